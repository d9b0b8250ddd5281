//! The common shape of a record's JSON text read without serde: one flat object whose
//! values are strings, `null`, `true` or `false`, and whose keys have no escapes.
//!
//! That is what a form, an API client or a line of an import sends nearly always, and for
//! it serde_json's general machinery (a visitor per value, position tracking, a scratch
//! buffer per string) costs more than validating the record. [`read`] scans such a text in
//! one pass, eight bytes at a time inside strings (`crate::swar`), and fills the same slots
//! [`super::parse`]'s serde path would. A value's escapes are decoded (`\n`, `\"`,
//! `\u00e9`, a surrogate pair: what a control character or a quote in a name needs, and
//! what encoders that write ASCII only, such as Python's `json.dumps`, send for every
//! accented letter). On anything else (an escape in a key, an invalid escape or a lone
//! surrogate, a number, an array or a nested object, a syntax error, text after the
//! object, a key named twice) it gives up and the caller reads the text with serde_json
//! from the start: serde_json stays the only judge of what JSON is and the only author of
//! its errors, and this path only ever answers texts on which both agree (`tests` below compare them on
//! generated texts, valid and not).

use std::borrow::Cow;

use super::{Keys, Parsed};
use crate::policy::{Policy, UnknownFields};
use crate::swar;

/// Reads `text` into `slots` (all `None`, one per field of the schema) when it is a flat
/// object of unescaped strings and literals; `None` when it is not, with `slots` possibly
/// partly filled (the caller clears them).
pub(super) fn read<'de>(
    policy: &Policy,
    text: &'de str,
    slots: &mut [Option<Parsed<'de>>],
) -> Option<Keys<'de>> {
    let bytes = text.as_bytes();
    let report = policy.document().unknown_fields != UnknownFields::Ignore;
    let fields = policy.fields();
    let mut unknown = Vec::new();
    // The keys that are not fields, to give up on one named twice.
    let mut others = crate::json::Seen::default();
    let mut count = 0;
    let mut next = 0;
    let mut at = skip_ws(bytes, 0);
    if bytes.get(at) != Some(&b'{') {
        return None;
    }
    at = skip_ws(bytes, at + 1);
    if bytes.get(at) == Some(&b'}') {
        at += 1;
    } else {
        loop {
            // A key.
            if bytes.get(at) != Some(&b'"') {
                return None;
            }
            let (key, after) = string(text, at + 1)?;
            at = skip_ws(bytes, after);
            if bytes.get(at) != Some(&b':') {
                return None;
            }
            at = skip_ws(bytes, at + 1);
            // Its value.
            let (value, after) = value(text, at)?;
            count += 1;
            // Records mostly list their keys in schema order: the field after the last one
            // found is compared first, a hash lookup only when it is not the key (as the
            // serde path does).
            let position = match fields.get(next) {
                Some(f) if f.name == key => Some(next),
                _ => policy.field_position(key),
            };
            if let Some(p) = position {
                next = p + 1;
            }
            match position.and_then(|i| slots.get_mut(i)) {
                // A key named twice: the serde path refuses it, with serde_json's position.
                Some(Some(_)) => return None,
                Some(slot) => *slot = Some(value),
                None => {
                    if !others.first(Cow::Borrowed(key)) {
                        return None;
                    }
                    if report {
                        unknown.push(Cow::Borrowed(key));
                    }
                }
            }
            at = skip_ws(bytes, after);
            match bytes.get(at) {
                Some(b',') => at = skip_ws(bytes, at + 1),
                Some(b'}') => {
                    at += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    // Nothing but white space after the object.
    (skip_ws(bytes, at) == bytes.len()).then_some(Keys { unknown, count })
}

/// The position of the first byte at or after `at` that is not JSON white space.
#[inline]
fn skip_ws(bytes: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\r' | b'\t') = bytes.get(at) {
        at += 1;
    }
    at
}

/// A value at `at`: a string (its escapes decoded) or a literal, and the position after it.
#[inline]
fn value(text: &str, at: usize) -> Option<(Parsed<'_>, usize)> {
    let bytes = text.as_bytes();
    let literal = |word: &[u8], v: Parsed<'static>| {
        bytes
            .get(at..at + word.len())
            .is_some_and(|b| b == word)
            .then_some((v, at + word.len()))
    };
    match bytes.get(at)? {
        b'"' => match string(text, at + 1) {
            Some((s, after)) => Some((Parsed::Str(Cow::Borrowed(s)), after)),
            // Not a plain string: one with escapes, or not a string JSON allows.
            None => unescape(text, at + 1).map(|(s, after)| (Parsed::Str(Cow::Owned(s)), after)),
        },
        b'n' => literal(b"null", Parsed::Null),
        b't' => literal(b"true", Parsed::Bool(true)),
        b'f' => literal(b"false", Parsed::Bool(false)),
        _ => None,
    }
}

/// The string whose text starts at `start` (just after its opening quote) and the position
/// after its closing quote; `None` at an escape, a control character (which JSON forbids
/// unescaped) or the end of the text.
#[inline]
fn string(text: &str, start: usize) -> Option<(&str, usize)> {
    let at = start + swar::json_special_position(text.as_bytes().get(start..)?)?;
    if text.as_bytes().get(at) != Some(&b'"') {
        return None;
    }
    // `start` and `at` sit next to ASCII quotes, so both are character boundaries.
    Some((text.get(start..at)?, at + 1))
}

/// The string whose text starts at `start` (just after its opening quote), its escapes
/// decoded, and the position after its closing quote; `None` when it has no escape (then
/// [`string`] reads it), at an invalid escape, a lone surrogate, a control character or
/// the end of the text, where serde_json is the judge. Out of line: the common string has
/// no escape.
#[inline(never)]
fn unescape(text: &str, start: usize) -> Option<(String, usize)> {
    let bytes = text.as_bytes();
    let mut at = start + swar::json_special_position(bytes.get(start..)?)?;
    if bytes.get(at) != Some(&b'\\') {
        return None;
    }
    let mut out = String::with_capacity(at - start + 16);
    out.push_str(text.get(start..at)?);
    loop {
        // `at` is at a backslash.
        let escape = *bytes.get(at + 1)?;
        at += 2;
        let c = match escape {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = hex4(bytes, at)?;
                at += 4;
                match unit {
                    // A leading surrogate, then its trailing one as the next escape.
                    0xD800..=0xDBFF => {
                        if bytes.get(at..at + 2) != Some(b"\\u".as_slice()) {
                            return None;
                        }
                        let low = hex4(bytes, at + 2)?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return None;
                        }
                        at += 6;
                        char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))?
                    }
                    0xDC00..=0xDFFF => return None,
                    _ => char::from_u32(unit)?,
                }
            }
            _ => return None,
        };
        out.push(c);
        // After an escape `at` is just past an ASCII byte: a character boundary.
        let next = at + swar::json_special_position(bytes.get(at..)?)?;
        out.push_str(text.get(at..next)?);
        at = next;
        match bytes.get(at)? {
            b'"' => return Some((out, at + 1)),
            b'\\' => {}
            _ => return None,
        }
    }
}

/// The four hexadecimal digits at `at` (either case), as a number.
#[inline]
fn hex4(bytes: &[u8], at: usize) -> Option<u32> {
    bytes.get(at..at + 4)?.iter().try_fold(0u32, |n, &b| {
        let digit = char::from(b).to_digit(16)?;
        Some(n << 4 | digit)
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used, clippy::indexing_slicing)]
    use super::*;
    use crate::validate::record::TextSlots;
    use proptest::prelude::*;
    use proptest::strategy::ValueTree;

    fn policy() -> Policy {
        Policy::from_json(
            r#"{"warden":1,"name":"t","unknownFields":"warn","fields":{
                "a":{"type":"text"},"b":{"type":"text"},"c":{"type":"boolean"},"d":{"type":"text"}}}"#,
        )
        .expect("policy")
    }

    /// What a parse gave, comparable.
    fn shape(slots: &TextSlots<'_>, keys: &Keys<'_>) -> String {
        let values: Vec<String> = slots
            .iter()
            .map(|s| match s {
                None => "-".to_owned(),
                Some(Parsed::Null) => "null".to_owned(),
                Some(Parsed::Bool(b)) => b.to_string(),
                Some(Parsed::Str(s)) => format!("s:{s:?}:{}", matches!(s, Cow::Borrowed(_))),
                Some(Parsed::Other(v)) => format!("o:{v}"),
            })
            .collect();
        format!("{values:?} {:?} {}", keys.unknown, keys.count)
    }

    /// The serde path alone, and this path alone (`None` when it gives up).
    fn both(policy: &Policy, text: &str) -> (Result<String, String>, Option<String>) {
        let mut slots = TextSlots::new();
        slots.resize_with(policy.fields().len(), || None);
        let serde = super::super::parse_serde(policy, text, &mut slots)
            .map(|k| shape(&slots, &k))
            .map_err(|e| e.to_string());
        let mut slots = TextSlots::new();
        slots.resize_with(policy.fields().len(), || None);
        let flat = read(policy, text, &mut slots).map(|k| shape(&slots, &k));
        (serde, flat)
    }

    #[test]
    fn answers_flat_objects_and_gives_up_on_the_rest() {
        let p = policy();
        for text in [
            r#"{"a":"x","b":null,"c":true,"zz":"q","d":"é ü"}"#,
            " \n{ \"a\" : \"\" ,\t\"b\":false }\r\n",
            "{}",
            r#"{"q":"1","p":"2","r":"3"}"#,
            r#"{"a":"x\"y","b":"Zo\u00eBl \ud83d\ude00\/\\\b\f\n\r\t\u0007","d":"\u00e9"}"#,
        ] {
            let (serde, flat) = both(&p, text);
            assert_eq!(Some(serde.expect("valid JSON")), flat, "{text}");
        }
        for text in [
            r#"{"a\u0062":"x"}"#,
            r#"{"a":"\x"}"#,
            r#"{"a":"\u00e"}"#,
            r#"{"a":"\ud83d"}"#,
            r#"{"a":"\ud83d\u0041"}"#,
            r#"{"a":"\ude00"}"#,
            r#"{"a":"x\"#,
            r#"{"a":1}"#,
            r#"{"a":["x"]}"#,
            r#"{"a":{"b":"c"}}"#,
            r#"{"a":"x",}"#,
            r#"{"a":"x"} x"#,
            // A key named twice, a field or not: the serde path refuses it.
            " \n{ \"a\" : \"\" ,\t\"a\":false }\r\n",
            r#"{"q":"1","p":"2","q":"3"}"#,
            "{\"a\":\"\u{1}\"}",
            r#"{"a":nul}"#,
            r#"{"a":nullx}"#,
            r#"{"a" "x"}"#,
            r#"["a"]"#,
            r#"{"a":"x""#,
            "",
        ] {
            assert_eq!(both(&p, text).1, None, "{text}");
        }
        for (text, key) in [
            (" {\"a\":\"\",\"a\":false}", "a"),
            (r#"{"q":"1","p":"2","q":"3"}"#, "q"),
            (r#"{"a":"1","b":{"c":1,"c":2}}"#, "c"),
        ] {
            let refused = both(&p, text).0.expect_err(text);
            assert!(
                refused.contains(&format!("duplicate key `{key}`")),
                "{refused}"
            );
        }
    }

    /// JSON-like text: mostly flat objects of strings and literals, with escapes, control
    /// characters, numbers, nesting and syntax errors mixed in.
    fn text() -> impl Strategy<Value = String> {
        let key = prop::sample::select(vec!["a", "b", "c", "d", "zz", "A", "é"]);
        let string = "[a-z\"\\\\\u{0}-\u{1f} é€😀]{0,20}";
        let value = prop_oneof![
            2 => string.prop_map(|s| format!("\"{s}\"")),
            3 => any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap_or_default()),
            3 => prop::collection::vec(
                prop::sample::select(vec![
                    "a", "é", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t",
                    "\\u00e9", "\\u00C9", "\\u0000", "\\u001f", "\\ud83d\\ude00", "\\uD83D\\uDE00",
                    "\\ud83d", "\\ude00", "\\ud83d\\u0041", "\\u12", "\\x", "\\", "\\u{e9}",
                ]),
                0..6,
            )
            .prop_map(|parts| format!("\"{}\"", parts.concat())),
            6 => "[a-zé ]{0,24}".prop_map(|s| format!("\"{s}\"")),
            2 => prop::sample::select(vec!["null", "true", "false", "nul", "truex"])
                .prop_map(str::to_owned),
            1 => prop::sample::select(vec!["1", "-2.5e3", "[]", "[\"x\"]", "{}", "{\"a\":\"b\"}"])
                .prop_map(str::to_owned),
        ];
        let ws = prop::sample::select(vec!["", "", " ", "\n", "\t", "\r\n "]);
        let member = (key, ws.clone(), value, ws.clone())
            .prop_map(|(k, w, v, w2)| format!("\"{k}\"{w}:{w2}{v}{w}"));
        (
            prop::collection::vec(member, 0..7),
            ws,
            prop::sample::select(vec!["", "", "", "", "", "", ",", " x", "}", "]"]),
            prop::bool::weighted(0.1),
        )
            .prop_map(|(members, w, tail, cut)| {
                let mut t = format!("{w}{{{w}{}}}{tail}", members.join(","));
                if cut {
                    let mut half = t.len() / 2;
                    while !t.is_char_boundary(half) {
                        half -= 1;
                    }
                    t.truncate(half);
                }
                t
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

        /// Whenever this path answers, serde_json read the same text to the same slots,
        /// unknown keys and key count.
        #[test]
        fn agrees_with_serde_whenever_it_answers(t in text()) {
            let p = policy();
            let (serde, flat) = both(&p, &t);
            if let Some(flat) = flat {
                prop_assert_eq!(Ok(flat), serde, "{}", t);
            }
        }
    }

    #[test]
    fn answers_most_generated_texts_that_serde_reads() {
        // The property above is not empty: this path answers most texts of its shape.
        let p = policy();
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let (mut answered, mut valid, mut escaped) = (0, 0, 0);
        for _ in 0..1000 {
            let t = text().new_tree(&mut runner).expect("tree").current();
            let (serde, flat) = both(&p, &t);
            valid += usize::from(serde.is_ok());
            answered += usize::from(flat.is_some());
            escaped += usize::from(flat.is_some() && t.contains('\\'));
        }
        assert!(
            valid >= 100 && answered * 3 >= valid && escaped >= 20,
            "{answered} of {valid}, {escaped} with escapes"
        );
    }
}
