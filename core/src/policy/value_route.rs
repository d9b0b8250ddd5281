//! A policy given as a JSON value (inline policies of the JSON entry point, the browser's
//! `new Warden(object)`, the CLI's TOML path) is read by the same deserialiser as policy
//! text, so the document's serde code exists once in a binary instead of twice (about
//! 120 KB of the browser's `.wasm`, 36 KB gzipped).
//!
//! The value is written out as compact JSON text (object keys in the value's own order,
//! each floating-point number as a text that reads back to the very same `f64`) and read
//! with the text deserialiser, its recursion limit off as the value deserialiser has none.
//! The outcome is what `serde_path_to_error::deserialize(value)` gives: the same document,
//! or the same error path and message. The text deserialiser words a few errors otherwise
//! and appends a position; [`value_error`] turns those back into the value deserialiser's
//! wording, from the value at the error's path:
//!
//! - an enum that is neither a string nor an object with one key: `expected value` (or an
//!   error inside the first key's variant) becomes `invalid type: …, expected string or
//!   map` or `invalid value: map, expected map with a single key`;
//! - a sequence or map with elements left over: `trailing characters` / `trailing comma`
//!   becomes `invalid length N, expected fewer elements in array` (or `in map`).

use serde::de::{Error as _, Unexpected};
use serde_json::Value;
use serde_path_to_error::Segment;

use super::PolicyDocument;

/// A value the policy document cannot hold: tells an enum read by `deserialize_enum` (its
/// error names this variant) from any other type.
const PROBE: &str = "\u{1}warden-probe";

/// Reads a policy document from a JSON value; on failure, the error's key path (as
/// `serde_path_to_error::Path` displays it) and message, as the value deserialiser words
/// them.
pub(super) fn parse(value: &Value) -> Result<PolicyDocument, (String, String)> {
    read(value).map_err(|e| value_error(value, &e))
}

fn read(value: &Value) -> Result<PolicyDocument, serde_path_to_error::Error<serde_json::Error>> {
    let mut text = String::new();
    write_json(&mut text, value);
    let mut de = serde_json::Deserializer::from_str(&text);
    de.disable_recursion_limit();
    serde_path_to_error::deserialize(&mut de)
}

/// Compact JSON, keys in the map's order; numbers as they read back (see [`float_text`]).
fn write_json(out: &mut String, value: &Value) {
    match value {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_json(out, item);
            }
            out.push('}');
        }
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => out.push_str(&float_text(f)),
            _ => out.push_str(&n.to_string()),
        },
        other => out.push_str(&other.to_string()),
    }
}

/// A JSON text for `f` that serde_json reads back as exactly `f` (a float, not an integer).
/// serde_json's default float parser is not correctly rounded, so the shortest text of `f`
/// may read back a unit in the last place away. A float read from JSON text was read from
/// the shortest text of a nearby float, as serde_json or JavaScript's `JSON.stringify`
/// writes it: those are searched for, then (a float read from a text of more digits than
/// an `f64` keeps) the significand and power of ten serde_json read it as. A float that
/// none of them reads back to (possible only for values built in code) keeps its shortest
/// text.
fn float_text(f: f64) -> String {
    let shortest = Value::from(f).to_string();
    let reads_back = |s: &str| {
        serde_json::from_str::<Value>(s)
            .ok()
            .and_then(|v| {
                v.as_number()
                    .filter(|n| n.is_f64())
                    .and_then(|n| n.as_f64())
            })
            .is_some_and(|g| g.to_bits() == f.to_bits())
    };
    if reads_back(&shortest) {
        return shortest;
    }
    let bits = f.to_bits();
    // `f` itself, then its neighbours up to 8 units in the last place away.
    let nearby = (0..=8u64)
        .flat_map(|k| [bits.wrapping_add(k), bits.wrapping_sub(k)])
        .skip(1);
    for b in nearby {
        let near = f64::from_bits(b);
        // Same sign, finite: `Value::from` writes `null` for a non-finite float.
        if near.is_finite() && near.is_sign_negative() == f.is_sign_negative() {
            let text = Value::from(near).to_string();
            if b != bits && reads_back(&text) {
                return text;
            }
            if let Some(js) = js_text(&text).filter(|js| reads_back(js)) {
                return js;
            }
        }
    }
    // Read from a text of more significant digits than an `f64` keeps (a long integer
    // such as `2222…2` of 49 digits, or a long fraction): serde_json kept the first digits
    // that fit a `u64` as a significand and scaled them by a power of ten. Written back as
    // `SIGNIFICANDeEXPONENT`, such a pair is read by the same arithmetic. Found by the
    // `policy` fuzz target.
    if let Some(text) = long_text(f, reads_back) {
        return text;
    }
    shortest
}

/// `SIGNIFICANDeEXPONENT` (a significand of 17 to 20 digits, an integer that fits a `u64`)
/// that reads back as exactly `f`, if one of the few candidates near `f` does.
fn long_text(f: f64, reads_back: impl Fn(&str) -> bool) -> Option<String> {
    let sign = if f.is_sign_negative() { "-" } else { "" };
    let a = f.abs();
    if a == 0.0 || !a.is_finite() {
        return None;
    }
    // The exponent of ten that leaves a 20-digit significand, then 19, 18 and 17 digits.
    let top = a.log10().floor() as i32 - 19;
    // serde_json's own power of ten (`1eN` reads as its table's entry).
    let pow10 = |n: i32| serde_json::from_str::<f64>(&format!("1e{n}")).ok();
    for e in top..=top + 3 {
        let Some(p) = pow10(e.abs()) else {
            continue; // beyond serde_json's table
        };
        let q = if e >= 0 { a / p } else { a * p };
        if !q.is_finite() || q < 1e16 {
            continue;
        }
        let bits = q.to_bits();
        for k in 0..=8u64 {
            for b in [bits.wrapping_add(k), bits.wrapping_sub(k)] {
                let m = f64::from_bits(b);
                if m.is_finite() && (1.0..18_446_744_073_709_551_615.0).contains(&m) {
                    let text = format!("{sign}{}e{e}", m as u64);
                    if reads_back(&text) {
                        return Some(text);
                    }
                }
            }
        }
    }
    None
}

/// The text JavaScript's `Number.prototype.toString` (and so `JSON.stringify`) writes for
/// the number serde_json wrote as `text`: the same shortest digits, in plain notation from
/// 1e-7 to 1e21 and as `d.ddde+N` outside.
fn js_text(text: &str) -> Option<String> {
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.trim_start_matches('+').parse::<i32>().ok()?),
        None => (text, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all = format!("{int}{frac}");
    let lead = all.len() - all.trim_start_matches('0').len();
    let digits = all.trim_start_matches('0').trim_end_matches('0');
    if digits.is_empty() {
        return Some("0".to_owned());
    }
    let k = i32::try_from(digits.len()).ok()?;
    // The value is 0.DIGITS × 10^n.
    let n = i32::try_from(int.len()).ok()? - i32::try_from(lead).ok()? + exponent;
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat(usize::try_from(n - k).ok()?))
    } else if 0 < n && n <= 21 {
        let (a, b) = digits.split_at_checked(usize::try_from(n).ok()?)?;
        format!("{a}.{b}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat(usize::try_from(-n).ok()?))
    } else {
        let (first, rest) = digits.split_at_checked(1)?;
        let point = if rest.is_empty() { "" } else { "." };
        let sign = if n > 0 { "+" } else { "-" };
        format!("{first}{point}{rest}e{sign}{}", (n - 1).abs())
    };
    Some(if negative { format!("-{body}") } else { body })
}

/// The error as the value deserialiser reports it: `(path, message)`.
fn value_error(
    value: &Value,
    e: &serde_path_to_error::Error<serde_json::Error>,
) -> (String, String) {
    let segments: Vec<Segment> = e.path().iter().cloned().collect();
    let message = without_position(e.inner());
    // An error inside an enum's variant, the enum given as an object of several keys: the
    // value deserialiser refuses the object before reading any variant.
    let mut node = Some(value);
    for (i, segment) in segments.iter().enumerate() {
        if let (Segment::Enum { .. }, Some(Value::Object(map))) = (segment, node)
            && map.len() != 1
        {
            return (
                path_text(segments.get(..i).unwrap_or_default()),
                single_key(),
            );
        }
        node = node.and_then(|n| child(n, segment));
    }
    let path = e.path().to_string();
    let Some(node) = node else {
        return (path, message);
    };
    let message = match (message.as_str(), node) {
        // Only `deserialize_enum` says `expected value` of valid JSON text.
        ("expected value", Value::Object(map)) if map.len() != 1 => single_key(),
        ("expected value", Value::Object(_) | Value::String(_)) => message,
        ("expected value", other) => {
            serde_json::Error::invalid_type(unexpected(other), &"string or map").to_string()
        }
        ("trailing characters" | "trailing comma", Value::Array(items)) => {
            serde_json::Error::invalid_length(items.len(), &"fewer elements in array").to_string()
        }
        ("trailing characters" | "trailing comma", Value::Object(map)) => {
            serde_json::Error::invalid_length(map.len(), &"fewer elements in map").to_string()
        }
        (m, Value::Object(map))
            if map.len() > 1
                && m.starts_with("unknown variant `")
                && is_external_enum(value, &segments) =>
        {
            single_key()
        }
        _ => message,
    };
    (path, message)
}

/// Whether the type at `at` is an externally tagged enum: a probe string there is refused
/// as an unknown variant at the same path.
fn is_external_enum(value: &Value, at: &[Segment]) -> bool {
    let mut probe = value.clone();
    let mut node = Some(&mut probe);
    for segment in at {
        node = node.and_then(|n| child_mut(n, segment));
    }
    let Some(node) = node else {
        return false;
    };
    *node = Value::String(PROBE.to_owned());
    match read(&probe) {
        Ok(_) => false,
        Err(e) => {
            e.path().to_string() == path_text(at)
                && without_position(e.inner()).starts_with(&format!("unknown variant `{PROBE}`"))
        }
    }
}

fn single_key() -> String {
    serde_json::Error::invalid_value(Unexpected::Map, &"map with a single key").to_string()
}

fn child<'v>(node: &'v Value, segment: &Segment) -> Option<&'v Value> {
    match segment {
        Segment::Seq { index } => node.as_array()?.get(*index),
        Segment::Map { key } | Segment::Enum { variant: key } => node.as_object()?.get(key),
        _ => None,
    }
}

fn child_mut<'v>(node: &'v mut Value, segment: &Segment) -> Option<&'v mut Value> {
    match segment {
        Segment::Seq { index } => node.as_array_mut()?.get_mut(*index),
        Segment::Map { key } | Segment::Enum { variant: key } => node.as_object_mut()?.get_mut(key),
        _ => None,
    }
}

/// What `serde_json::Value` reports for itself in an `invalid type` error.
fn unexpected(value: &Value) -> Unexpected<'_> {
    match value {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => Unexpected::Unsigned(u),
            (None, Some(i), _) => Unexpected::Signed(i),
            (None, None, f) => Unexpected::Float(f.unwrap_or_default()),
        },
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

/// The message without the ` at line L column C` the text deserialiser appends.
fn without_position(e: &serde_json::Error) -> String {
    let message = e.to_string();
    if e.line() == 0 {
        return message;
    }
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    message
        .strip_suffix(&suffix)
        .map_or_else(|| message.clone(), str::to_owned)
}

/// The path as `serde_path_to_error::Path` displays it (`.` when empty).
fn path_text(segments: &[Segment]) -> String {
    if segments.is_empty() {
        return ".".to_owned();
    }
    let mut out = String::new();
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 && !matches!(segment, Segment::Seq { .. }) {
            out.push('.');
        }
        out.push_str(&segment.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use crate::policy::Policy;
    use serde_json::json;

    /// `(path, reason)` of the policy `{"fields": {"firstName": field}, ...}` given as a value.
    fn refused(field: Value) -> (String, String) {
        let doc = json!({"warden": 1, "name": "t", "fields": {"firstName": field}});
        match Policy::from_value(doc) {
            Ok(_) => panic!("the policy should be refused"),
            Err(e) => (e.path().to_owned(), e.reason().to_owned()),
        }
    }

    /// The wording of `serde_json::Value`'s own deserialiser, which these errors had before
    /// values were read as text (messages recorded from it).
    #[test]
    fn enum_and_sequence_errors_keep_the_value_wording() {
        let at = |p: &str, r: &str| (p.to_owned(), r.to_owned());
        let single = "invalid value: map, expected map with a single key";
        for (field, expected) in [
            (
                json!({"type": 7}),
                at(
                    "fields.firstName.type",
                    "invalid type: integer `7`, expected string or map",
                ),
            ),
            (
                json!({"type": null}),
                at(
                    "fields.firstName.type",
                    "invalid type: null, expected string or map",
                ),
            ),
            (
                json!({"type": [1]}),
                at(
                    "fields.firstName.type",
                    "invalid type: sequence, expected string or map",
                ),
            ),
            (json!({"type": {}}), at("fields.firstName.type", single)),
            (
                json!({"type": {"name": null, "zz": 1}}),
                at("fields.firstName.type", single),
            ),
            (
                json!({"type": {"name": 5, "zz": 1}}),
                at("fields.firstName.type", single),
            ),
            (
                json!({"type": {"a": 1, "name": null}}),
                at("fields.firstName.type", single),
            ),
            (
                json!({"type": {"name": 5}}),
                at(
                    "fields.firstName.type.name",
                    "invalid type: integer `5`, expected unit",
                ),
            ),
        ] {
            assert_eq!(refused(field.clone()), expected, "{field}");
        }
        let doc = json!({"warden": 1, "name": "t", "duplicates": ["reactivate", null, 1]});
        let e = Policy::from_value(doc).unwrap_err();
        assert_eq!(
            (e.path(), e.reason()),
            (
                "duplicates",
                "invalid length 3, expected fewer elements in array"
            )
        );
    }

    /// Floats in a condition's `in` list keep their exact value.
    #[test]
    fn floats_keep_their_value() {
        for text in [
            "123456789012345680000",
            "1.0715660391465826e-75",
            "-1.603964615428183e143",
            "0.30000000000000004",
        ] {
            let number: Value = serde_json::from_str(text).unwrap();
            let doc = json!({"warden": 1, "name": "t", "fields": {
                "a": {"type": "text"},
                "b": {"type": "text", "requiredWhen": {"field": "a", "in": [number.clone()]}},
            }});
            let policy = Policy::from_value(doc).unwrap();
            let b = policy.document().fields.get("b").unwrap();
            let kept = &b.required_when.as_ref().unwrap().one_of.as_ref().unwrap()[0];
            assert_eq!(
                kept.as_f64().unwrap().to_bits(),
                number.as_f64().unwrap().to_bits(),
                "{text}"
            );
        }
    }

    /// A float read from a text of more digits than an `f64` keeps is written back as a text
    /// that reads back to it (the `policy` fuzz target's crash: a 49-digit integer whose
    /// value path quoted a float one unit in the last place away, in a refusal and in an
    /// accepted `in` list alike).
    #[test]
    fn regression_fuzz_policy_float_from_a_long_digit_text_keeps_its_value() {
        let mut texts = vec![
            "2222222222222222222222222222222222222222222222222".to_owned(),
            "-2222222222222222222222222222222222222222222222222".to_owned(),
            "1.2345678901234567890123e5".to_owned(),
            "0.000000000000000000012345678901234567891".to_owned(),
        ];
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..5_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let digits = 18 + (x % 30) as usize;
            let mut t: String = (0..digits)
                .map(|i| char::from(b'1' + ((x >> (i % 60)) % 9) as u8))
                .collect();
            match x % 3 {
                0 => t.insert(1 + (x >> 8) as usize % (digits - 1), '.'),
                1 => t.push_str(&format!("e{}", (x >> 20) % 250)),
                _ => t.push_str(&format!("e-{}", (x >> 20) % 250)),
            }
            texts.push(t);
        }
        for text in &texts {
            let Ok(v) = serde_json::from_str::<Value>(text) else {
                continue; // out of range for serde_json
            };
            let a = v.as_f64().unwrap();
            let back: Value = serde_json::from_str(&float_text(a)).unwrap();
            assert_eq!(back.as_f64().unwrap().to_bits(), a.to_bits(), "{text}");
            assert!(back.as_number().unwrap().is_f64(), "{text}");
        }
        // The crash itself: the same refusal on both paths; and kept in an `in` list.
        let crash = "\r2222222222222222222222222222222222222222222222222\r";
        let value: Value = serde_json::from_str(crash).unwrap();
        let expected = serde_path_to_error::deserialize::<_, PolicyDocument>(&value).unwrap_err();
        let got = Policy::from_value(value).unwrap_err();
        assert_eq!(
            got.reason(),
            expected.inner().to_string().trim_end_matches('.')
        );
        let doc = format!(
            r#"{{"warden": 1, "name": "t", "fields": {{"a": {{"type": "text"}},
            "b": {{"type": "text", "requiredWhen": {{"field": "a", "in": [{}]}}}}}}}}"#,
            &texts[0]
        );
        let from_text = Policy::from_json(&doc).unwrap();
        let from_value = Policy::from_value(serde_json::from_str(&doc).unwrap()).unwrap();
        assert_eq!(from_text.hash(), from_value.hash());
    }

    #[test]
    fn javascript_notation() {
        for (serde, js) in [
            ("1.2345678901234568e20", "123456789012345680000"),
            ("1e21", "1e+21"),
            ("1e+21", "1e+21"),
            ("1e-6", "0.000001"),
            ("1e-7", "1e-7"),
            ("1.5", "1.5"),
            ("-2.5e-300", "-2.5e-300"),
            ("0.30000000000000004", "0.30000000000000004"),
            ("7.0", "7"),
            ("-0.0", "0"),
            ("123.456", "123.456"),
        ] {
            assert_eq!(js_text(serde).as_deref(), Some(js), "{serde}");
        }
    }

    /// Every float read from a text written by serde_json or JavaScript is written back as
    /// a text that reads back to it.
    #[test]
    fn floats_read_from_json_read_back() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let d = f64::from_bits(x);
            if !d.is_finite() {
                continue;
            }
            let serde = Value::from(d).to_string();
            for text in [js_text(&serde).unwrap(), serde] {
                let Ok(v) = serde_json::from_str::<Value>(&text) else {
                    continue; // out of range for serde_json
                };
                let Some(a) = v
                    .as_number()
                    .filter(|n| n.is_f64())
                    .and_then(|n| n.as_f64())
                else {
                    continue; // read as an integer
                };
                let back: Value = serde_json::from_str(&float_text(a)).unwrap();
                assert_eq!(back.as_f64().unwrap().to_bits(), a.to_bits(), "{text}");
                assert!(back.as_number().unwrap().is_f64(), "{text}");
            }
        }
    }
}
