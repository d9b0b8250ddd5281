//! JSON text as the kernel reads it: serde_json's parser, and no object that names a key
//! twice.
//!
//! RFC 8259 leaves an object with a duplicate name to each reader: JavaScript's
//! `JSON.parse` and serde_json's [`Value`] keep the last value, other readers the first or
//! an error. A request that two readers could read differently (a gateway that checks the
//! first `role`, a kernel that acts on the last) is read by none: every JSON text the kernel
//! is given, a request, a record, a line of an import, is refused at the object that names a
//! key twice, with the object's path and the key. Everything else about JSON is serde_json's
//! to judge, with its wording.
//!
//! [`parse`] is the one way the kernel turns text into a [`Value`]; [`duplicate_key`] finds
//! the object for a caller that parses the text itself (the server's bodies).

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fmt;

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use smallvec::SmallVec;

/// Why [`parse`] refused a text.
#[derive(Debug, thiserror::Error)]
pub enum JsonError {
    /// The text is not one JSON value (serde_json's error, with its line and column).
    #[error(transparent)]
    Syntax(serde_json::Error),
    /// An object names a key twice.
    #[error(transparent)]
    Duplicate(DuplicateKey),
}

/// An object that names a key twice.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("duplicate key `{key}` at line {line} column {column}")]
pub struct DuplicateKey {
    /// The object's path from the top of the text, as the contract's errors write paths
    /// (`input.user`, `rows[2]`); empty for the top-level object.
    pub path: String,
    /// The key as shown: its first 64 characters, control characters escaped.
    pub key: String,
    /// The line of the key's second occurrence (1-based).
    pub line: usize,
    /// The column of that occurrence's closing quote (1-based).
    pub column: usize,
}

/// The message a duplicate key is refused with, before serde_json adds the position.
const PREFIX: &str = "duplicate key `";

/// `key` as error messages show it: at most 64 characters, control characters and the
/// invisible ones that reorder or hide text escaped (a key is the caller's text, never a
/// secret, but it may be long, unprintable, or written to make the message misread).
pub(crate) fn shown_key(key: &str) -> String {
    let mut out = String::new();
    for c in key.chars().take(64) {
        if c.is_control() || crate::checks::text::is_invisible_format(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if key.chars().nth(64).is_some() {
        out.push('…');
    }
    out
}

/// The error an object naming `key` twice is refused with.
pub(crate) fn duplicate<E: de::Error>(key: &str) -> E {
    E::custom(format_args!("{PREFIX}{}`", shown_key(key)))
}

/// Parses `text` as one JSON value, refusing an object that names a key twice.
///
/// # Errors
/// [`JsonError::Syntax`] when the text is not JSON (serde_json's error);
/// [`JsonError::Duplicate`] naming the first object, in text order, that repeats a key.
pub fn parse(text: &[u8]) -> Result<Value, JsonError> {
    let trail = RefCell::new(Trail::default());
    let mut de = serde_json::Deserializer::from_slice(text);
    let value = match UniqueValueVisitor(Some(&trail)).deserialize(&mut de) {
        Ok(v) => v,
        Err(e) => {
            return Err(match (duplicate_in(&e), trail.into_inner().found) {
                (Some(_), Some((path, key))) => JsonError::Duplicate(DuplicateKey {
                    path,
                    key: shown_key(&key),
                    line: e.line(),
                    column: e.column(),
                }),
                _ => JsonError::Syntax(e),
            });
        }
    };
    de.end().map_err(JsonError::Syntax)?;
    Ok(value)
}

/// The first object in `text`, in text order, that names a key twice; `None` when there is
/// none, or when the text is not JSON (the caller's own parse words that error).
pub fn duplicate_key(text: &[u8]) -> Option<DuplicateKey> {
    // Most texts name no key twice: checked first without building anything.
    let mut de = serde_json::Deserializer::from_slice(text);
    if Strict::deserialize(&mut de).is_ok() && de.end().is_ok() {
        return None;
    }
    match parse(text) {
        Err(JsonError::Duplicate(d)) => Some(d),
        _ => None,
    }
}

/// Where a [`parse`] is: the keys and indexes down to the value it reads, and the first
/// object it found naming a key twice (its path, the key).
#[derive(Default)]
pub(crate) struct Trail {
    at: Vec<Step>,
    found: Option<(String, String)>,
}

enum Step {
    Key(String),
    Index(usize),
}

impl Trail {
    /// The path down to here, as the contract's errors write one (`input.user`, `rows[2]`).
    fn path(&self) -> String {
        let mut out = String::new();
        for step in &self.at {
            match step {
                Step::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Step::Index(i) => {
                    out.push('[');
                    out.push_str(&i.to_string());
                    out.push(']');
                }
            }
        }
        out
    }
}

/// The message of `e` without its position (`duplicate key `role``), when `e` refuses an
/// object that names a key twice.
pub(crate) fn duplicate_in(e: &serde_json::Error) -> Option<String> {
    let message = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let m = message.strip_suffix(&suffix)?;
    (e.is_data() && m.starts_with(PREFIX)).then(|| m.to_owned())
}

/// The keys an object has named so far, to find one named twice: searched in order while
/// few (an object is mostly a handful of keys), in a sorted set past that, so that an object
/// of many keys costs `n log n`, never `n²`.
#[derive(Default)]
pub(crate) struct Seen<'de> {
    few: SmallVec<[Cow<'de, str>; 8]>,
    many: BTreeSet<Cow<'de, str>>,
}

impl<'de> Seen<'de> {
    /// How many keys are searched in order before the set takes over.
    const FEW: usize = 16;

    /// Records `key`: `false` when the object named it already.
    pub(crate) fn first(&mut self, key: Cow<'de, str>) -> bool {
        if self.many.is_empty() {
            if self.few.contains(&key) {
                return false;
            }
            if self.few.len() < Self::FEW {
                self.few.push(key);
                return true;
            }
            self.many.extend(self.few.drain(..));
        }
        self.many.insert(key)
    }
}

/// An object key, borrowed from the text when it has no escapes.
pub(crate) struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(s))
    }
    fn visit_str<E>(self, s: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(s))
    }
}

/// A [`Value`] read as serde_json's own visitor reads one (the same numbers, strings and
/// recursion limit), refusing an object that names a key twice; with a [`Trail`], it notes
/// where (for [`parse`]); without, only the error says which key (for readers that report
/// a position, `validate::record`).
pub(crate) struct UniqueValueVisitor<'t>(pub(crate) Option<&'t RefCell<Trail>>);

impl UniqueValueVisitor<'_> {
    fn step(&self, step: Option<Step>) {
        if let Some(t) = self.0 {
            let mut t = t.borrow_mut();
            match step {
                Some(s) => t.at.push(s),
                None => {
                    t.at.pop();
                }
            }
        }
    }
}

impl<'de> DeserializeSeed<'de> for UniqueValueVisitor<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for UniqueValueVisitor<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::from(n))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::from(n))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        Ok(Value::from(n))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        loop {
            self.step(Some(Step::Index(items.len())));
            let Some(v) = seq.next_element_seed(UniqueValueVisitor(self.0))? else {
                self.step(None);
                break;
            };
            self.step(None);
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut m = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if m.contains_key(&key) {
                if let Some(t) = self.0 {
                    let mut t = t.borrow_mut();
                    if t.found.is_none() {
                        t.found = Some((t.path(), key.clone()));
                    }
                }
                return Err(duplicate(&key));
            }
            if self.0.is_some() {
                self.step(Some(Step::Key(key.clone())));
            }
            let v = map.next_value_seed(UniqueValueVisitor(self.0))?;
            self.step(None);
            m.insert(key, v);
        }
        Ok(Value::Object(m))
    }
}

/// Any JSON the [`Value`] parser accepts, read by the same parser (`deserialize_any` all the
/// way down, so numbers, strings, escapes and the recursion limit are checked exactly as for
/// a [`Value`]) without building anything, and no object that names a key twice.
pub(crate) struct Strict;

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Strict, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Strict;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_str<E>(self, _: &str) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_unit<E>(self) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
        while seq.next_element::<Strict>()?.is_some() {}
        Ok(Strict)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
        let mut seen = Seen::default();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            if !seen.first(key.clone()) {
                return Err(duplicate(&key));
            }
            map.next_value::<Strict>()?;
        }
        Ok(Strict)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, reason = "tests")]

    use super::*;

    fn dup(text: &str) -> DuplicateKey {
        match parse(text.as_bytes()) {
            Err(JsonError::Duplicate(d)) => {
                assert_eq!(duplicate_key(text.as_bytes()).as_ref(), Some(&d), "{text}");
                d
            }
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn an_object_naming_a_key_twice_is_refused_at_its_path() {
        let d = dup(r#"{"a":1,"a":2}"#);
        assert_eq!((d.path.as_str(), d.key.as_str()), ("", "a"));
        assert_eq!(d.to_string(), "duplicate key `a` at line 1 column 10");
        let d = dup(r#"{"input":{"user":{"email":"x","role":"r","email":"y"}}}"#);
        assert_eq!((d.path.as_str(), d.key.as_str()), ("input.user", "email"));
        let d = dup(r#"{"rows":[{"a":1},{"b":1,"b":1}]}"#);
        assert_eq!((d.path.as_str(), d.key.as_str()), ("rows[1]", "b"));
        // The same key spelt with an escape is the same key.
        let d = dup(r#"{"ab":1,"a\u0062":2}"#);
        assert_eq!(d.key, "ab");
        // Past the short list: the set finds it.
        let many: Vec<String> = (0..40).map(|i| format!("\"k{i}\":{i}")).collect();
        let d = dup(&format!("{{{},\"k3\":0}}", many.join(",")));
        assert_eq!(d.key, "k3");
        // A long or unprintable key is shown bounded.
        let long = "x".repeat(100);
        let d = dup(&format!(r#"{{"{long}":1,"{long}":2}}"#));
        assert_eq!(d.key, format!("{}…", "x".repeat(64)));
        let d = dup(r#"{"a\nb":1,"a\nb":2}"#);
        assert_eq!(d.key, "a\\nb");
        let d = dup("{\"\u{202e}ab\":1,\"\u{202e}ab\":2}");
        assert_eq!(d.key, "\\u{202e}ab");
    }

    #[test]
    fn everything_else_is_serde_jsons_value() {
        for text in [
            r#"{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}"#,
            r#"[1,-2,3.5,1e300,"\u00e9",null,true,{}]"#,
            r#""a string""#,
            "18446744073709551615",
        ] {
            let ours = parse(text.as_bytes()).unwrap();
            let theirs: Value = serde_json::from_str(text).unwrap();
            assert_eq!(ours, theirs, "{text}");
            assert_eq!(duplicate_key(text.as_bytes()), None, "{text}");
        }
        for text in ["{", "{\"a\":1} x", "[1,]", "{\"a\" 1}", "", "nul"] {
            let theirs = serde_json::from_str::<Value>(text).unwrap_err().to_string();
            match parse(text.as_bytes()) {
                Err(JsonError::Syntax(e)) => assert_eq!(e.to_string(), theirs, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
            assert_eq!(duplicate_key(text.as_bytes()), None, "{text}");
        }
        // The recursion limit is the parser's.
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(matches!(parse(deep.as_bytes()), Err(JsonError::Syntax(_))));
    }
}
