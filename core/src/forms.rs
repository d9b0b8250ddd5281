//! Exports of a policy for forms and schema tools: a JSON Schema (2020-12) of the user
//! record, the HTML constraint attributes of each field, and the password rules as a
//! `passwordrules` attribute. One place, read by the wasm package, the CLI and the server.
//!
//! # What the exports claim
//! The kernel stays the authority; the exports say as much of the policy as their formats
//! can say *exactly*:
//! - The JSON Schema is **never stricter than Warden**: a record it refuses, Warden refuses
//!   (an error at the same field). Each property says whether it is also never looser
//!   (`x-warden-exact: true`: the schema accepts the field's value exactly when Warden
//!   reports no error at it) and lists under `x-warden-unexpressed` the rules JSON Schema
//!   cannot say (email grammar, uniqueness, minimum ages, tenant rules, ...). It describes a
//!   record being created (`mode: create`); values are the input as entered (surrounding
//!   white space allowed where the field trims it).
//! - HTML attributes: `required`, `minlength`, `maxlength` (the browser counts UTF-16 code
//!   units, Warden code points: they agree on text without characters outside the BMP),
//!   `type`, `autocomplete` tokens, and `pattern` only where the browser's `RegExp` with the
//!   `v` flag means exactly what the policy's pattern means on the value as entered;
//!   otherwise the pattern is left out and `omitted` says why.
//! - `passwordrules` (the WHATWG proposal Safari implements): length and required character
//!   classes, which Warden's composition rules accept; the common-password list, similarity
//!   and repetition rules cannot be said there.

use serde_json::{Map, Value, json};

use crate::messages::Lang;
use crate::policy::{CompiledField, FieldType, Policy, UnknownFields, type_name};

/// White space as Rust's `str::trim` and `char::is_whitespace` read it (Unicode
/// `White_Space`), as a class body for a JavaScript `RegExp` with the `u` or `v` flag.
const WS: &str =
    r"\t-\r\u{20}\u{85}\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}";

/// Characters `prohibited_characters` refuses in every text (controls, and the invisible
/// formatting of [`crate::checks::text::INVISIBLE_FORMAT`]), as a class body.
fn control_class() -> String {
    format!(
        r"\u{{0}}-\u{{1f}}\u{{7f}}-\u{{9f}}{}",
        crate::checks::text::invisible_format_class()
    )
}

/// Markup characters refused in names, as a class body.
const MARKUP: &str = r"\u{3c}\u{3e}\u{26}\u{22}\u{5c}\u{7b}\u{7d}";

/// The JSON Schema (2020-12) of a user record under `policy`, with labels in `lang`.
pub fn json_schema(policy: &Policy, lang: Lang) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for field in policy.fields() {
        let (schema, is_required) = field_schema(policy, field, lang);
        if is_required {
            required.push(Value::from(field.name.as_str()));
        }
        properties.insert(field.name.clone(), schema);
    }
    let doc = policy.document();
    let mut record_rules = Vec::new();
    if doc.email_convention.is_some() {
        record_rules.push("emailConvention");
    }
    if doc.generic_data.is_some() {
        record_rules.push("genericData");
    }
    if !doc.rules.is_empty() {
        record_rules.push("rules");
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("urn:warden:policy:{}", policy.hash()),
        "title": doc.name,
        "description": doc.description.clone().unwrap_or_default(),
        "type": "object",
        "properties": properties,
        "required": required,
        // An unknown field is an error only when the policy rejects it.
        "additionalProperties": doc.unknown_fields != UnknownFields::Reject,
        "x-warden-policy": policy.hash(),
        "x-warden-mode": "create",
        "x-warden-record-rules": record_rules,
    })
}

/// A string whose trimmed value (as `str::trim` trims) matches `core`, or is blank.
fn trimmed(core: &str) -> String {
    format!("^(?:[{WS}]*|[{WS}]*(?![{WS}])(?:{core})(?<![{WS}])[{WS}]*)$")
}

/// The rules of `field` that no JSON Schema keyword says, by name.
fn unexpressed(policy: &Policy, field: &CompiledField) -> Vec<&'static str> {
    let spec = &field.spec;
    let mut out = Vec::new();
    match spec.kind {
        FieldType::Email => out.push("email"),
        FieldType::Phone => out.push("phone"),
        FieldType::Date => out.push("date"),
        FieldType::Url => out.push("url"),
        FieldType::Password => out.push("password"),
        FieldType::Reference => out.push("exists"),
        _ => {}
    }
    if spec.required_when.is_some() {
        out.push("requiredWhen");
    }
    if spec.past {
        out.push("past");
    }
    if !spec.min_age.is_empty() {
        out.push("minAge");
    }
    if field.unique.is_some() {
        out.push("unique");
    }
    if spec.derived_from.is_some() {
        out.push("derivedFrom");
    }
    if spec.collapse_spaces {
        out.push("collapseSpaces");
    }
    if spec.case.is_some() {
        out.push("case");
    }
    if spec.pattern.is_some() && pattern_core(field).is_none() {
        out.push("pattern");
    }
    let doc = policy.document();
    if doc.rules.iter().any(|r| r.field == field.name) {
        out.push("rules");
    }
    let name = field.name.as_str();
    if doc.email_convention.is_some() && name == "email" {
        out.push("emailConvention");
    }
    if let Some(g) = &doc.generic_data
        && ((name == "email" && !g.email_local_parts.is_empty())
            || g.values.contains_key(name)
            || g.recommended.iter().any(|r| r == name))
    {
        out.push("genericData");
    }
    out
}

/// The policy's `pattern` of `field` as a JavaScript pattern on the stored value, when it
/// means exactly the same and the stored value is the value as entered (trimmed at most).
fn pattern_core(field: &CompiledField) -> Option<String> {
    let spec = &field.spec;
    if spec.case.is_some() || spec.collapse_spaces {
        return None;
    }
    spec.pattern.as_deref().and_then(translate_regex)
}

/// Whether a form must have `field`: `required`, unless it is derived (a record whose
/// source derives it may leave it out: the validation fills it).
fn required_here(field: &CompiledField) -> bool {
    field.spec.required && field.spec.derived_from.is_none()
}

/// The schema of one field, and whether it is required.
fn field_schema(policy: &Policy, field: &CompiledField, lang: Lang) -> (Value, bool) {
    let spec = &field.spec;
    // A required field's key must be there; a `nullable` one may hold null. A derived field
    // is not required here: a record whose source derives it may leave it out (Warden fills
    // it), which the schema cannot tell (`x-warden-unexpressed`: `derivedFrom`).
    let required = required_here(field);
    let nullable = !required || spec.nullable;
    let kind = if spec.kind == FieldType::Boolean {
        "boolean"
    } else {
        "string"
    };
    let mut s = Map::new();
    let kinds = if nullable {
        json!([kind, "null"])
    } else {
        json!(kind)
    };
    if kind == "boolean" && !required {
        // A blank string is a missing value, which an optional field may be.
        s.insert(
            "anyOf".into(),
            json!([{"type": kinds}, {"type": "string", "pattern": format!("^[{WS}]*$")}]),
        );
    } else {
        s.insert("type".into(), kinds);
    }
    if let Some(label) = spec
        .label
        .get(lang.as_str())
        .or_else(|| spec.label.get("en"))
    {
        s.insert("title".into(), json!(label));
    }
    let mut patterns: Vec<String> = Vec::new();
    if required && kind == "string" {
        // Blank (white space only) is missing (null is a value only for a nullable field).
        patterns.push(format!("[^{WS}]"));
    }
    let texty = !matches!(spec.kind, FieldType::Boolean | FieldType::Password);
    if texty {
        // Prohibited characters and lengths, on the value as Warden sees it (trimmed).
        let mut bad = control_class();
        if spec.kind == FieldType::Name {
            bad.push_str(MARKUP);
        }
        let min = spec.min_length.unwrap_or(0);
        // An email's limits are RFC 5321's in octets, unless the tenant set one.
        let max =
            (spec.kind != FieldType::Email || spec.max_length.is_some()).then_some(field.max_len);
        let exact_lengths = !spec.collapse_spaces && spec.case.is_none();
        let core = match (exact_lengths, max) {
            (true, Some(max)) => format!("[^{bad}]{{{},{max}}}", min.max(1)),
            (true, None) => format!("[^{bad}]{{{},}}", min.max(1)),
            // Case mapping and folded spaces change lengths and remove white space
            // controls: only what stays true of the value as entered.
            (false, _) => format!("[^{}]+", control_not_ws_class()),
        };
        // A value past the hard bound is too long before anything else (on the value as
        // given, trimmed or not).
        s.insert(
            "maxLength".into(),
            json!(field.max_len.saturating_mul(2).max(field.max_len + 64)),
        );
        // Blank values are missing, not checked: the rules apply to the others.
        let untrimmed = |core: &str| format!("^(?:[{WS}]*|{core})$");
        if field.trim {
            patterns.push(trimmed(&core));
        } else {
            patterns.push(untrimmed(&core));
        }
        if let Some(p) = pattern_core(field) {
            patterns.push(if field.trim {
                trimmed(&p)
            } else {
                untrimmed(&format!("(?:{p})"))
            });
        }
        if spec.kind == FieldType::Enum && !spec.collapse_spaces {
            let alternatives: Vec<String> = spec.values.iter().map(|v| ascii_caseless(v)).collect();
            patterns.push(trimmed(&alternatives.join("|")));
            s.insert("x-warden-enum".into(), json!(spec.values));
        }
    }
    match patterns.len() {
        0 => {}
        1 => {
            s.insert("pattern".into(), json!(patterns.remove(0)));
        }
        _ => {
            s.insert(
                "allOf".into(),
                Value::Array(
                    patterns
                        .into_iter()
                        .map(|p| json!({"pattern": p}))
                        .collect(),
                ),
            );
        }
    }
    s.insert("x-warden-type".into(), json!(type_name(spec.kind)));
    let missing = unexpressed(policy, field);
    s.insert("x-warden-exact".into(), json!(missing.is_empty()));
    if !missing.is_empty() {
        s.insert("x-warden-unexpressed".into(), json!(missing));
    }
    if let Some(f) = &spec.format {
        s.insert("x-warden-format".into(), json!(f));
    }
    if let Some(pp) = policy
        .password_policy()
        .filter(|_| spec.kind == FieldType::Password)
    {
        s.insert(
            "x-warden-password".into(),
            json!({
                "minLength": pp.min_length(),
                "maxLength": pp.max_length(),
                "passwordrules": password_rules(policy),
            }),
        );
    }
    (Value::Object(s), required)
}

/// Controls that are not white space (a folded run of white space stores as one space),
/// and the invisible formatting, as a class body.
fn control_not_ws_class() -> String {
    format!(
        r"\u{{0}}-\u{{8}}\u{{e}}-\u{{1f}}\u{{7f}}-\u{{84}}\u{{86}}-\u{{9f}}{}",
        crate::checks::text::invisible_format_class()
    )
}

/// `value` matched with ASCII letters in either case (as `eq_ignore_ascii_case`), every
/// other character literally.
fn ascii_caseless(value: &str) -> String {
    let mut out = String::new();
    for c in value.chars() {
        if c.is_ascii_alphabetic() {
            out.push('[');
            out.push(c.to_ascii_lowercase());
            out.push(c.to_ascii_uppercase());
            out.push(']');
        } else if c.is_ascii_digit() {
            out.push(c);
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    out
}

/// Translates a `regex` crate pattern into a JavaScript `RegExp` source that means exactly
/// the same under the `u` and the `v` flags, or `None` when the pattern uses anything
/// outside the subset translated: literals, `.`, classes of literals and ranges (negated or
/// not), groups (`(...)`, `(?:...)`), alternation, greedy or lazy quantifiers, `^` and `$`,
/// and escaped punctuation. Left out on purpose: `\d`, `\w`, `\s`, `\b` and Unicode
/// classes (Unicode versions and definitions differ), flags (`(?i)`), class set
/// operations, named groups.
pub fn translate_regex(pattern: &str) -> Option<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let mut depth = 0usize;
    // Whether the previous item can take a quantifier.
    let mut quantifiable = false;
    while let Some(&c) = chars.get(i) {
        i += 1;
        match c {
            '\\' => {
                let e = *chars.get(i)?;
                i += 1;
                if !is_escapable_punct(e) {
                    return None;
                }
                out.push_str(&lit(e));
                quantifiable = true;
            }
            '.' => {
                // Rust: any character but `\n`; JavaScript's `.` also stops at `\r`,
                // U+2028 and U+2029.
                out.push_str(r"[^\n]");
                quantifiable = true;
            }
            '[' => {
                let (class, next) = translate_class(&chars, i)?;
                out.push_str(&class);
                i = next;
                quantifiable = true;
            }
            '(' => {
                if chars.get(i) == Some(&'?') {
                    if chars.get(i + 1) == Some(&':') {
                        i += 2;
                    } else {
                        return None;
                    }
                }
                out.push_str("(?:");
                depth += 1;
                quantifiable = false;
            }
            ')' => {
                depth = depth.checked_sub(1)?;
                out.push(')');
                quantifiable = true;
            }
            '|' => {
                out.push('|');
                quantifiable = false;
            }
            '^' | '$' => {
                out.push(c);
                quantifiable = false;
            }
            '*' | '+' | '?' => {
                if !quantifiable {
                    return None;
                }
                out.push(c);
                if chars.get(i) == Some(&'?') {
                    out.push('?');
                    i += 1;
                }
                quantifiable = false;
            }
            '{' => {
                if !quantifiable {
                    return None;
                }
                let end = i + chars.get(i..)?.iter().position(|&x| x == '}')?;
                let body: String = chars.get(i..end)?.iter().collect();
                let (lo, hi) = match body.split_once(',') {
                    Some((lo, hi)) => (lo, Some(hi)),
                    None => (body.as_str(), None),
                };
                let lo: u32 = lo.parse().ok()?;
                if let Some(hi) = hi
                    && !hi.is_empty()
                    && hi.parse::<u32>().ok()? < lo
                {
                    return None;
                }
                if hi.is_some_and(|h| !h.is_empty() && !h.bytes().all(|b| b.is_ascii_digit())) {
                    return None;
                }
                out.push('{');
                out.push_str(&body);
                out.push('}');
                i = end + 1;
                if chars.get(i) == Some(&'?') {
                    out.push('?');
                    i += 1;
                }
                quantifiable = false;
            }
            '}' | ']' => return None,
            c if c.is_whitespace() || c.is_control() => {
                out.push_str(&lit(c));
                quantifiable = true;
            }
            c => {
                out.push_str(&lit(c));
                quantifiable = true;
            }
        }
    }
    (depth == 0).then_some(out)
}

/// ASCII punctuation whose escape means the character itself in both dialects.
fn is_escapable_punct(c: char) -> bool {
    c.is_ascii_punctuation()
}

/// A literal character: ASCII letters and digits as themselves, anything else as `\u{..}`
/// (valid and literal in and outside classes, under `u` and `v`).
fn lit(c: char) -> String {
    if c.is_ascii_alphanumeric() {
        c.to_string()
    } else {
        format!("\\u{{{:x}}}", c as u32)
    }
}

/// A class starting after its `[` at `i`: the JavaScript class and the index after its `]`.
fn translate_class(chars: &[char], mut i: usize) -> Option<(String, usize)> {
    let mut out = String::from("[");
    if chars.get(i) == Some(&'^') {
        out.push('^');
        i += 1;
    }
    let mut first = true;
    let mut items: Vec<char> = Vec::new();
    loop {
        let c = *chars.get(i)?;
        i += 1;
        let item = match c {
            ']' if !first => break,
            // Nested classes, POSIX classes and set operations.
            '[' | '&' | '~' => return None,
            '-' if chars.get(i) == Some(&'-') => return None,
            '\\' => {
                let e = *chars.get(i)?;
                i += 1;
                if !is_escapable_punct(e) {
                    return None;
                }
                e
            }
            c => c,
        };
        first = false;
        items.push(item);
        // A range `a-z` (a `-` first or last is literal).
        if chars.get(i) == Some(&'-') && chars.get(i + 1).is_some_and(|&n| n != ']') {
            let hi = match *chars.get(i + 1)? {
                '\\' => {
                    let e = *chars.get(i + 2)?;
                    if !is_escapable_punct(e) {
                        return None;
                    }
                    i += 3;
                    e
                }
                '[' | '&' | '~' => return None,
                h => {
                    i += 2;
                    h
                }
            };
            if hi < item {
                return None;
            }
            items.pop();
            out.push_str(&lit(item));
            out.push('-');
            out.push_str(&lit(hi));
            continue;
        }
    }
    for c in items {
        out.push_str(&lit(c));
    }
    out.push(']');
    Some((out, i))
}

/// The HTML constraint attributes of each field, for a form creating a record: `{field:
/// {"element", "attributes": {...}, "options"?, "omitted"?}}` in schema order.
pub fn html_attributes(policy: &Policy, lang: Lang) -> Value {
    let mut out = Map::new();
    for field in policy.fields() {
        let spec = &field.spec;
        let mut a = Map::new();
        let mut omitted = Map::new();
        let element = match spec.kind {
            FieldType::Enum => "select",
            _ => "input",
        };
        let input_type = match spec.kind {
            FieldType::Email if !spec.idn => Some("email"),
            FieldType::Phone => Some("tel"),
            FieldType::Date => Some("date"),
            FieldType::Url => Some("url"),
            FieldType::Boolean => Some("checkbox"),
            FieldType::Password => Some("password"),
            FieldType::Enum => None,
            _ => Some("text"),
        };
        if let Some(t) = input_type {
            a.insert("type".into(), json!(t));
        }
        a.insert("name".into(), json!(field.name));
        if spec.kind == FieldType::Email && spec.idn {
            a.insert("inputmode".into(), json!("email"));
        }
        // `required` blocks an empty value: not for a field that takes null, nor for a
        // checkbox (unchecked is `false`, a value), nor for a derived field (left empty, it
        // is filled from its source).
        if required_here(field) && !spec.nullable && spec.kind != FieldType::Boolean {
            a.insert("required".into(), json!(true));
        }
        if let Some(token) = autocomplete(field) {
            a.insert("autocomplete".into(), json!(token));
        }
        match spec.kind {
            FieldType::Password => {
                if let Some(pp) = policy.password_policy() {
                    a.insert("minlength".into(), json!(pp.min_length()));
                    a.insert("maxlength".into(), json!(pp.max_length()));
                }
                if let Some(rules) = password_rules(policy) {
                    a.insert("passwordrules".into(), json!(rules));
                }
            }
            FieldType::Boolean | FieldType::Date | FieldType::Enum => {}
            _ => {
                if let Some(min) = spec.min_length {
                    a.insert("minlength".into(), json!(min));
                }
                if spec.kind != FieldType::Email || spec.max_length.is_some() {
                    a.insert("maxlength".into(), json!(field.max_len));
                }
            }
        }
        if spec.pattern.is_some() {
            match pattern_core(field) {
                // The browser anchors the attribute as `^(?:...)$` and compiles it with `v`.
                Some(p) if field.trim => {
                    let t = trimmed(&p);
                    let body = t
                        .strip_prefix("^(?:")
                        .and_then(|s| s.strip_suffix(")$"))
                        .unwrap_or(&t);
                    a.insert("pattern".into(), json!(body));
                }
                Some(p) => {
                    a.insert("pattern".into(), json!(p));
                }
                None => {
                    let why = if spec.case.is_some() || spec.collapse_spaces {
                        "the value is case-folded or space-folded before the pattern applies"
                    } else {
                        "the pattern uses syntax whose meaning differs in a browser's RegExp"
                    };
                    omitted.insert("pattern".into(), json!(why));
                }
            }
        }
        let mut entry = Map::new();
        entry.insert("element".into(), json!(element));
        if let Some(label) = spec
            .label
            .get(lang.as_str())
            .or_else(|| spec.label.get("en"))
        {
            entry.insert("label".into(), json!(label));
        }
        entry.insert("attributes".into(), Value::Object(a));
        if spec.kind == FieldType::Enum {
            entry.insert("options".into(), json!(spec.values));
        }
        if !omitted.is_empty() {
            entry.insert("omitted".into(), Value::Object(omitted));
        }
        out.insert(field.name.clone(), Value::Object(entry));
    }
    Value::Object(out)
}

/// The `autocomplete` token of a field, from its type and its usual names.
fn autocomplete(field: &CompiledField) -> Option<&'static str> {
    let lower = field.name.to_ascii_lowercase();
    Some(match field.spec.kind {
        FieldType::Email => "email",
        FieldType::Phone => "tel",
        FieldType::Password => "new-password",
        FieldType::Name => match lower.as_str() {
            "firstname" | "givenname" | "forename" => "given-name",
            "lastname" | "familyname" | "surname" => "family-name",
            "middlename" | "additionalname" => "additional-name",
            "nickname" => "nickname",
            _ => "name",
        },
        FieldType::Date if matches!(lower.as_str(), "birthdate" | "dateofbirth" | "birthday") => {
            "bday"
        }
        FieldType::Identifier if lower == "username" || lower == "login" => "username",
        FieldType::Text => match lower.as_str() {
            "jobtitle" | "title" => "organization-title",
            "organization" | "company" => "organization",
            "address" | "streetaddress" => "street-address",
            "city" => "address-level2",
            "country" => "country-name",
            "postalcode" | "zip" | "zipcode" => "postal-code",
            _ => return None,
        },
        FieldType::Url if lower == "avatar" || lower == "photo" => "photo",
        FieldType::Url => "url",
        _ => return None,
    })
}

/// The password rules as a `passwordrules` attribute (`minlength: 12; maxlength: 64;
/// required: upper; ...`), when the policy has password rules. Generators following it make
/// passwords Warden's length and composition rules accept (its `special` is every ASCII
/// punctuation and the space, all special for Warden); the common-password list,
/// similarity and repetition rules are not expressible there.
pub fn password_rules(policy: &Policy) -> Option<String> {
    let pp = policy.password_policy()?;
    let mut parts = vec![format!("minlength: {}", pp.min_length())];
    parts.push(format!("maxlength: {}", pp.max_length()));
    for (on, class) in [
        (pp.require_upper(), "upper"),
        (pp.require_lower(), "lower"),
        (pp.require_digit(), "digit"),
        (pp.require_special(), "special"),
    ] {
        if on {
            parts.push(format!("required: {class}"));
        }
    }
    parts.push("allowed: upper, lower, digit, special".into());
    Some(parts.join("; ") + ";")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The forms' character classes are the kernel's rule, character for character: the
    /// class text (which `regex` reads as JavaScript does, `\u{..}` and ranges) matches
    /// exactly the characters `prohibited_characters` refuses in every text.
    #[test]
    #[allow(
        clippy::unwrap_used,
        reason = "a test: a class that does not compile fails it"
    )]
    fn the_control_classes_are_the_kernels_characters() {
        let every = regex::Regex::new(&format!("^[{}]$", control_class())).unwrap();
        let not_ws = regex::Regex::new(&format!("^[{}]$", control_not_ws_class())).unwrap();
        for c in (0..=0x10_FFFF).filter_map(char::from_u32) {
            let refused = c.is_control() || crate::checks::text::is_invisible_format(c);
            let text = c.to_string();
            assert_eq!(every.is_match(&text), refused, "{c:?}");
            assert_eq!(
                not_ws.is_match(&text),
                refused && !c.is_whitespace(),
                "{c:?}"
            );
        }
    }

    #[test]
    fn the_safe_subset_translates_and_the_rest_is_refused() {
        let ok = [
            (
                "[A-Za-z0-9@.+_-]{1,150}",
                r"[A-Za-z0-9\u{40}\u{2e}\u{2b}\u{5f}\u{2d}]{1,150}",
            ),
            (
                "[A-Za-z][A-Za-z0-9._-]{2,31}",
                r"[A-Za-z][A-Za-z0-9\u{2e}\u{5f}\u{2d}]{2,31}",
            ),
            ("a.b", r"a[^\n]b"),
            ("(ab|c)*?x+", "(?:ab|c)*?x+"),
            (r"E\-[0-9]{4}", r"E\u{2d}[0-9]{4}"),
            ("[^<>]+", r"[^\u{3c}\u{3e}]+"),
            ("é{2,}", r"\u{e9}{2,}"),
        ];
        for (rust, js) in ok {
            assert_eq!(translate_regex(rust).as_deref(), Some(js), "{rust}");
        }
        for bad in [
            r"\d+",
            r"\w",
            r"\s",
            r"\bx",
            r"\p{L}",
            "(?i)abc",
            "(?P<n>a)",
            "[[:alpha:]]",
            "[a-z&&[^x]]",
            "[a--b]",
            "x{2,1}",
            "(a",
            "a)",
            "*a",
            "[z-a]",
        ] {
            assert_eq!(translate_regex(bad), None, "{bad}");
        }
    }
}
