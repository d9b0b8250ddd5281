//! The record as validation reads it: one slot per field of the policy's schema, filled
//! either from a parsed [`Map`] or straight from the record's JSON text.
//!
//! Every rule reads a record's values by field, and every field a rule can name is a field
//! of the schema (the policy compiler refuses any other), so a record is its schema's slots
//! and the names of the keys that are not fields (for `unknownFields`). Reading JSON text
//! into the slots directly skips the map a [`Map`] caller builds first: no key is copied,
//! no tree is built and dropped, and a string without escapes stays borrowed from the text.
//! Both ways give the same slots, so validation answers both alike (`tests/record_text.rs`
//! proves it over generated records).

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::json::{KeySeed, Seen, Strict, UniqueValueVisitor, duplicate};
use crate::policy::{Policy, UnknownFields};
use crate::validate::StoredValue;

mod flat;

/// How many fields [`PerField`] holds inline.
const PER_FIELD_INLINE: usize = 16;

/// One value per field of the schema, by position: inline (no heap allocation) for schemas
/// of up to [`PER_FIELD_INLINE`] fields, the common size; larger schemas spill to the heap.
pub(crate) type PerField<T> = smallvec::SmallVec<[T; PER_FIELD_INLINE]>;

/// `n` empty slots (one per field of a schema): a schema that fits inline gets them from
/// one inline buffer, without a loop.
pub(crate) fn no_slots<'a>(n: usize) -> PerField<Option<Raw<'a>>> {
    if n <= PER_FIELD_INLINE {
        PerField::from_buf_and_len([None; PER_FIELD_INLINE], n)
    } else {
        let mut slots = PerField::new();
        slots.resize_with(n, || None);
        slots
    }
}

/// A record's value as validation reads it, borrowed from a [`Value`] or from JSON text.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Raw<'a> {
    Null,
    Bool(bool),
    Str(&'a str),
    /// A number, array or object.
    Other(&'a Value),
}

impl<'a> From<&'a Value> for Raw<'a> {
    fn from(v: &'a Value) -> Raw<'a> {
        match v {
            Value::Null => Raw::Null,
            Value::Bool(b) => Raw::Bool(*b),
            Value::String(s) => Raw::Str(s),
            other => Raw::Other(other),
        }
    }
}

impl<'a> From<StoredValue<'a>> for Raw<'a> {
    fn from(v: StoredValue<'a>) -> Raw<'a> {
        match v {
            StoredValue::Null => Raw::Null,
            StoredValue::Bool(b) => Raw::Bool(b),
            StoredValue::Text(s) => Raw::Str(s),
        }
    }
}

impl<'a> Raw<'a> {
    /// The text, when the value is a string.
    pub(crate) fn as_str(self) -> Option<&'a str> {
        match self {
            Raw::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Whether the value equals `v` as JSON values compare.
    pub(crate) fn equals(self, v: &Value) -> bool {
        match (self, v) {
            (Raw::Null, Value::Null) => true,
            (Raw::Bool(a), Value::Bool(b)) => a == *b,
            (Raw::Str(a), Value::String(b)) => a == b,
            (Raw::Other(a), b) => a == b,
            _ => false,
        }
    }

    /// The value as JSON text (a string as its text, unquoted, trimmed).
    pub(crate) fn display(self) -> String {
        match self {
            Raw::Null => String::new(),
            Raw::Bool(b) => b.to_string(),
            Raw::Str(s) => s.trim().to_owned(),
            Raw::Other(v) => v.to_string(),
        }
    }
}

/// A value read from JSON text: strings borrowed from the text when they have no escapes.
pub(crate) enum Parsed<'de> {
    Null,
    Bool(bool),
    Str(Cow<'de, str>),
    Other(Value),
}

impl Parsed<'_> {
    fn raw(&self) -> Raw<'_> {
        match self {
            Parsed::Null => Raw::Null,
            Parsed::Bool(b) => Raw::Bool(*b),
            Parsed::Str(s) => Raw::Str(s),
            Parsed::Other(v) => Raw::Other(v),
        }
    }
}

impl<'de> de::Deserialize<'de> for Parsed<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ParsedVisitor)
    }
}

/// Reads any JSON value as [`Value`]'s own visitor does (numbers, nested arrays and
/// objects; an object naming a key twice refused, as `json::parse` refuses it), keeping
/// strings borrowed.
struct ParsedVisitor;

impl<'de> Visitor<'de> for ParsedVisitor {
    type Value = Parsed<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<Parsed<'de>, E> {
        Ok(Parsed::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Parsed<'de>, E> {
        Ok(Parsed::Other(Value::from(n)))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Parsed<'de>, E> {
        Ok(Parsed::Other(Value::from(n)))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Parsed<'de>, E> {
        Ok(Parsed::Other(Value::from(n)))
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Parsed<'de>, E> {
        Ok(Parsed::Str(Cow::Borrowed(s)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Parsed<'de>, E> {
        Ok(Parsed::Str(Cow::Owned(s.to_owned())))
    }
    fn visit_string<E>(self, s: String) -> Result<Parsed<'de>, E> {
        Ok(Parsed::Str(Cow::Owned(s)))
    }
    fn visit_unit<E>(self) -> Result<Parsed<'de>, E> {
        Ok(Parsed::Null)
    }
    fn visit_none<E>(self) -> Result<Parsed<'de>, E> {
        Ok(Parsed::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Parsed<'de>, A::Error> {
        UniqueValueVisitor(None).visit_seq(seq).map(Parsed::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Parsed<'de>, A::Error> {
        UniqueValueVisitor(None).visit_map(map).map(Parsed::Other)
    }
}

/// What [`parse`] returns besides the slots it fills.
pub(crate) struct Keys<'de> {
    /// The keys that are not fields (only when the policy reports them).
    pub(crate) unknown: Vec<Cow<'de, str>>,
    /// How many keys the object had, duplicates included: at least the number of keys of
    /// the [`Map`] the same text parses to.
    pub(crate) count: usize,
}

/// Reads one JSON object into the slots of `policy`'s schema (the caller's, so that the
/// inline slots are not moved on return).
struct RecordSeed<'p, 's, 'de> {
    policy: &'p Policy,
    slots: &'s mut [Option<Parsed<'de>>],
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_, '_, 'de> {
    type Value = Keys<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Keys<'de>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_, '_, 'de> {
    type Value = Keys<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Keys<'de>, A::Error> {
        let report = self.policy.document().unknown_fields != UnknownFields::Ignore;
        let slots = self.slots;
        let mut unknown = Vec::new();
        // The keys that are not fields, to refuse one named twice.
        let mut others = Seen::default();
        let fields = self.policy.fields();
        // Records mostly list their keys in schema order: the field after the last one
        // found is compared first, a hash lookup only when it is not the key.
        let mut next = 0;
        let mut count = 0;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            count += 1;
            let position = match fields.get(next) {
                Some(f) if f.name == *key => Some(next),
                _ => self.policy.field_position(&key),
            };
            if let Some(p) = position {
                next = p + 1;
            }
            match position.and_then(|i| slots.get_mut(i)) {
                // A key named twice is refused, as `json::parse` refuses it.
                Some(Some(_)) => return Err(duplicate(&key)),
                Some(slot) => *slot = Some(map.next_value::<Parsed<'de>>()?),
                None => {
                    if !others.first(key.clone()) {
                        return Err(duplicate(&key));
                    }
                    // Read as a `Value` would be (same numbers, same depth limit), kept
                    // nowhere.
                    map.next_value::<Strict>()?;
                    if report {
                        unknown.push(key);
                    }
                }
            }
        }
        Ok(Keys { unknown, count })
    }
}

/// The error of the validations that read a record from JSON text: the text is not one JSON
/// object. The message never quotes the text (a record may hold a password).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the record is not a JSON object: {reason} at line {line}, column {column}")]
pub struct RecordJsonError {
    /// What is wrong: a syntax error (`expected value`, `trailing characters`, ...), the
    /// end of the input, `the text is not UTF-8`, or `expected a JSON object` when the text
    /// is another JSON value.
    pub reason: String,
    /// The line of the text where it was found (1-based).
    pub line: usize,
    /// The column of that line (1-based).
    pub column: usize,
}

impl RecordJsonError {
    fn new(e: &serde_json::Error) -> RecordJsonError {
        let reason = if let Some(d) = crate::json::duplicate_in(e) {
            d
        } else if e.is_data() {
            // serde's type errors quote the value they met: never repeat it.
            "expected a JSON object".to_owned()
        } else {
            let full = e.to_string();
            let suffix = format!(" at line {} column {}", e.line(), e.column());
            full.strip_suffix(&suffix).unwrap_or(&full).to_owned()
        };
        RecordJsonError {
            reason,
            line: e.line(),
            column: e.column(),
        }
    }
}

/// The slots [`parse`] fills: one per field of the schema, by position.
pub(crate) type TextSlots<'de> = PerField<Option<Parsed<'de>>>;

/// Parses `json` (one JSON object, nothing after it but white space) into `slots` (as many
/// as `policy`'s schema has fields, all `None`).
pub(crate) fn parse<'de>(
    policy: &Policy,
    json: &'de [u8],
    slots: &mut TextSlots<'de>,
) -> Result<Keys<'de>, RecordJsonError> {
    // The whole text checked as UTF-8 at once (word at a time) costs less than serde_json's
    // reader checking each string as it meets it.
    let text = std::str::from_utf8(json).map_err(|e| {
        let before = json.get(..e.valid_up_to()).unwrap_or_default();
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        RecordJsonError {
            reason: "the text is not UTF-8".to_owned(),
            line: 1 + before.iter().filter(|&&b| b == b'\n').count(),
            column: 1 + before.len() - line_start,
        }
    })?;
    if let Some(keys) = flat::read(policy, text, slots) {
        return Ok(keys);
    }
    // Not the common shape (or not JSON): serde_json reads it from the start.
    slots.iter_mut().for_each(|s| *s = None);
    parse_serde(policy, text, slots)
}

/// [`parse`] by serde_json alone: the reference [`flat::read`] is held to.
fn parse_serde<'de>(
    policy: &Policy,
    text: &'de str,
    slots: &mut TextSlots<'de>,
) -> Result<Keys<'de>, RecordJsonError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let keys = RecordSeed { policy, slots }
        .deserialize(&mut de)
        .map_err(|e| RecordJsonError::new(&e))?;
    de.end().map_err(|e| RecordJsonError::new(&e))?;
    Ok(keys)
}

/// A record as validation reads it: its values by schema position, and the keys that are not
/// fields of the schema, sorted (as a [`Map`] iterates them).
pub(crate) struct Record<'a> {
    policy: &'a Policy,
    slots: Slots<'a>,
    unknown: Vec<&'a str>,
}

/// The values by schema position: read from a map, or the parsed text's own slots.
enum Slots<'a> {
    Map(Vec<Option<Raw<'a>>>),
    Raw(&'a [Option<Raw<'a>>]),
    Text(&'a [Option<Parsed<'a>>]),
}

impl<'a> Record<'a> {
    /// The record of a parsed map. Keys that are not fields are kept only when the policy
    /// reports them.
    pub(crate) fn of_map(policy: &'a Policy, map: &'a Map<String, Value>) -> Record<'a> {
        let report = policy.document().unknown_fields != UnknownFields::Ignore;
        let mut slots = vec![None; policy.fields().len()];
        let mut unknown = Vec::new();
        for (key, value) in map {
            match policy.field_position(key).and_then(|i| slots.get_mut(i)) {
                Some(slot) => *slot = Some(Raw::from(value)),
                None if report => unknown.push(key.as_str()),
                None => {}
            }
        }
        Record::new(policy, Slots::Map(slots), unknown)
    }

    /// The record of values already by schema position (`slots`, as long as the schema)
    /// and the keys that are not fields (ignored unless the policy reports them).
    pub(crate) fn of_slots(
        policy: &'a Policy,
        slots: &'a [Option<Raw<'a>>],
        unknown: Vec<&'a str>,
    ) -> Record<'a> {
        let report = policy.document().unknown_fields != UnknownFields::Ignore;
        let unknown = if report { unknown } else { Vec::new() };
        Record::new(policy, Slots::Raw(slots), unknown)
    }

    /// The record [`parse`] read: its slots and the keys that are not fields.
    pub(crate) fn of_parsed(
        policy: &'a Policy,
        slots: &'a [Option<Parsed<'_>>],
        unknown: &'a [Cow<'_, str>],
    ) -> Record<'a> {
        let unknown = unknown.iter().map(|k| &**k).collect();
        Record::new(policy, Slots::Text(slots), unknown)
    }

    fn new(policy: &'a Policy, slots: Slots<'a>, mut unknown: Vec<&'a str>) -> Self {
        // In key order, each key once: how a map (a `BTreeMap`) iterates them, whichever
        // order the text or an insertion-ordered map had.
        unknown.sort_unstable();
        unknown.dedup();
        Record {
            policy,
            slots,
            unknown,
        }
    }

    /// The value of the field at schema `position`, if the record has it.
    pub(crate) fn at(&self, position: usize) -> Option<Raw<'a>> {
        match &self.slots {
            Slots::Map(slots) => slots.get(position).copied().flatten(),
            Slots::Raw(slots) => slots.get(position).copied().flatten(),
            Slots::Text(slots) => slots.get(position)?.as_ref().map(Parsed::raw),
        }
    }

    /// The value of the schema field `name`, if the record has it.
    pub(crate) fn get(&self, name: &str) -> Option<Raw<'a>> {
        self.policy.field_position(name).and_then(|i| self.at(i))
    }

    /// The keys that are not fields of the schema, in key order.
    pub(crate) fn unknown(&self) -> &[&'a str] {
        &self.unknown
    }
}
