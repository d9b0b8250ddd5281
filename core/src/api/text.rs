//! The text-to-text path: a request's JSON text parsed straight into the operation's input
//! type, and the decision serialised straight to JSON text, with no [`Value`] in between.
//! What the portable module, the core component, the wasm package and the server call.
//!
//! It answers exactly the bytes of the [`Value`] path ([`super::evaluate`] then
//! `serde_json::to_vec`), which stays the reference:
//!
//! - **input**: the request must first be JSON that the [`Value`] parser accepts ([`Strict`]:
//!   the same parser, its recursion limit included, allocating nothing); any failure after
//!   that (a duplicate field, a type error) is answered by the [`Value`] path, so every
//!   error keeps its wording and path. A success parses to the same input: serde's derived
//!   code reads a [`Value`] and the text it came from alike.
//! - **output**: a [`Value`] prints its object keys sorted (a `BTreeMap`): [`Sorted`] writes
//!   each object's entries sorted by key (the last of equal keys kept, as a map insert
//!   does), numbers and strings by `serde_json`'s own writer, `f32` widened as `to_value`
//!   does, and the top-level object stamped with `"contract"` as [`super::to_response`]
//!   does. What it cannot write the [`Value`] path writes.
//!
//! `tests/text_path.rs` proves it over every conformance vector and generated requests.

use std::borrow::Cow;

use serde::de::Deserialize;
use serde::ser::{self, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use super::ops::{Operation, Runner, dispatch_to, exec};
use super::{
    ApiError, CONTRACT_VERSION, MAX_RECORD_FIELDS, Op, Request, check_contract, load_policy,
};
use crate::checks::date::Date;
use crate::messages::Lang;
use crate::policy::{Mode, Policy};
use crate::util::Strict;
use crate::validate::{ValidationContext, ValidationDecision, ValidationFacts};

/// Whether `text` is one JSON value the [`Value`] parser accepts.
fn is_strict_json(text: &str) -> bool {
    let mut de = serde_json::Deserializer::from_str(text);
    Strict::deserialize(&mut de).is_ok() && de.end().is_ok()
}

/// `text` parsed into `T`, or `None` when any part of it fails (the caller then asks the
/// [`Value`] path, which words the error).
fn from_text<'a, T: Deserialize<'a>>(text: &'a str) -> Option<T> {
    let mut de = serde_json::Deserializer::from_str(text);
    let v = T::deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(v)
}

/// Parses a request's text for the text path: `None` when the [`Value`] path must answer (not
/// UTF-8, not JSON, or not a request's shape). The input stays text.
pub fn parse_request(request: &[u8]) -> Option<Request<&RawValue>> {
    let text = std::str::from_utf8(request).ok()?;
    if !is_strict_json(text) {
        return None;
    }
    from_text(text)
}

/// The [`Value`] path for a request's text: exactly what the core answered before the text
/// path, `serde_json::to_vec` of [`super::evaluate`].
fn value_path(request: &[u8]) -> Result<Vec<u8>, ApiError> {
    let value: Value = serde_json::from_slice(request)
        .map_err(|e| ApiError::invalid_input("", format!("the request is not JSON: {e}")))?;
    value_bytes(&super::evaluate(&value)?)
}

fn value_bytes(v: &Value) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(v).map_err(|e| {
        ApiError::invalid_input("", format!("the decision could not be serialised: {e}"))
    })
}

/// Evaluates a request given as JSON text (the policy named in it), answering the decision as
/// JSON text: the bytes of [`super::evaluate_text`], without a [`Value`] on the way.
///
/// # Errors
/// As [`super::evaluate`]; a request that is not JSON is an `invalid_input` at the empty path.
pub fn evaluate_json(request: &[u8]) -> Result<Vec<u8>, ApiError> {
    let Some(req) = parse_request(request) else {
        return value_path(request);
    };
    check_contract(req.contract)?;
    let policy = load_policy(req.preset.as_deref(), req.policy.as_ref())?;
    // The whole request passed `is_strict_json` in `parse_request`.
    run_text(&policy, req.op, req.lang, req.input.get(), true)
}

/// Evaluates one operation against a compiled policy, its input given as JSON text: the
/// bytes of `serde_json::to_vec` of [`super::evaluate_with`] on the input's [`Value`] (the
/// wasm package's `JSON.stringify`ed input, a request's `input`).
///
/// # Errors
/// As [`super::evaluate_with`]; input text that is not JSON is an `invalid_input` at `input`
/// with `serde_json`'s message.
pub fn evaluate_json_with(
    policy: &Policy,
    op: Op,
    lang: Lang,
    input: &str,
) -> Result<Vec<u8>, ApiError> {
    if op == Op::Validate
        && let Some(out) =
            validate_decision(policy, lang, input, false).and_then(|d| validation_response(&d).ok())
    {
        return Ok(out);
    }
    let checked = is_strict_json(input);
    run_text(policy, op, lang, input, checked)
}

/// The `validate` operation on its input text, as the typed decision: `Some` when
/// [`evaluate_json_with`] (`op` [`Op::Validate`]) answers this input with a decision read
/// by the text path, and then [`to_response_json`] of it is exactly the bytes that call
/// answers. `None` for everything else (an error, a one-field validation, a record that is
/// not an object or has more than [`MAX_RECORD_FIELDS`] keys, a language the policy does
/// not speak): ask [`evaluate_json_with`], which answers it.
///
/// For a caller that builds the response in another form than JSON text (the wasm package
/// builds the JS object of a valid record's decision itself).
pub fn validate_json_decision(
    policy: &Policy,
    lang: Lang,
    input: &str,
) -> Option<ValidationDecision> {
    validate_decision(policy, lang, input, false)
}

/// At most this many `[` and `{` in a text: its nesting stays under `serde_json`'s
/// recursion limit (128) however they are arranged, inside an envelope or not.
const SHALLOW_BRACKETS: usize = 100;

/// Whether `text` has too few brackets to reach `serde_json`'s recursion limit.
fn is_shallow(text: &str) -> bool {
    text.bytes().filter(|&b| b == b'[' || b == b'{').count() <= SHALLOW_BRACKETS
}

/// `input` read by the [`Value`] parser already (`checked`), or not.
fn run_text(
    policy: &Policy,
    op: Op,
    lang: Lang,
    input: &str,
    checked: bool,
) -> Result<Vec<u8>, ApiError> {
    super::check_lang(policy, lang)?;
    if op == Op::Validate
        && checked
        && let Some(out) =
            validate_decision(policy, lang, input, true).and_then(|d| validation_response(&d).ok())
    {
        return Ok(out);
    }
    dispatch_to(
        op,
        TextRun {
            policy,
            lang,
            input,
            checked,
        },
    )
}

/// [`super::ValidateInput`] with the record left as text, for [`validate_decision`].
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ValidateText<'a> {
    #[serde(borrow)]
    user: &'a RawValue,
    #[serde(default)]
    mode: Mode,
    today: Date,
    #[serde(default)]
    facts: ValidationFacts,
    #[serde(default)]
    mfa: bool,
    #[serde(default)]
    field: Option<String>,
}

/// The `validate` operation on input text: the record read from its text straight into the
/// policy's fields (no [`serde_json::Map`] of it), for [`validation_response`]. `None` for
/// anything this path does not answer itself (a language the policy does not speak, a shape
/// error, a record that is not an object or has more than [`MAX_RECORD_FIELDS`] keys, a
/// one-field validation): the typed path then answers, with its own errors.
///
/// `checked`: the [`Value`] parser reads `input` (the caller checked it). When not, a
/// success here still means it does: the envelope was read by its typed fields (every
/// scalar through the parser a [`Value`] uses, no key ignored, a duplicate key refused), the
/// record by `validate::record` (every value and key as a [`Value`] reads them), and a text
/// of at most [`SHALLOW_BRACKETS`] brackets cannot reach the recursion limit; a deeper
/// text is checked whole first.
fn validate_decision(
    policy: &Policy,
    lang: Lang,
    input: &str,
    checked: bool,
) -> Option<ValidationDecision> {
    if !policy.speaks(lang) || !(checked || is_shallow(input) || is_strict_json(input)) {
        return None;
    }
    let input: ValidateText<'_> = from_text(input)?;
    if input.field.is_some() {
        return None;
    }
    let ctx = ValidationContext {
        mode: input.mode,
        today: input.today,
        lang,
        facts: &input.facts,
        mfa: input.mfa,
    };
    crate::validate::validate_user_json_within(
        policy,
        input.user.get().as_bytes(),
        &ctx,
        MAX_RECORD_FIELDS,
    )
    .ok()?
}

/// A validation decision as the contract's response: the bytes of [`to_response_json`],
/// written field by field in key order (the record as stored is a map already sorted, and
/// the lists go through [`Sorted`]).
fn validation_response(d: &ValidationDecision) -> Result<Vec<u8>, serde_json::Error> {
    // Every field named: a field added to the decision fails to compile here.
    let ValidationDecision {
        valid,
        complete,
        policy,
        violations,
        checks,
        normalized,
        password,
    } = d;
    let mut w = Sorted {
        out: Vec::with_capacity(384),
        stamp: false,
    };
    let bool_text = |b: bool| -> &'static [u8] { if b { b"true" } else { b"false" } };
    w.out.extend_from_slice(b"{\"checks\":");
    checks.serialize(&mut w)?;
    w.out.extend_from_slice(b",\"complete\":");
    w.out.extend_from_slice(bool_text(*complete));
    w.out.extend_from_slice(b",\"contract\":");
    serde_json::to_writer(&mut w.out, &CONTRACT_VERSION)?;
    w.out.extend_from_slice(b",\"normalized\":");
    // Keys sorted as the `Value` path writes them, whichever order the map keeps (an
    // application may build `serde_json` with `preserve_order`); values are `Value`s.
    let mut entries: crate::validate::PerField<(&String, &Value)> = normalized.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    w.out.push(b'{');
    for (i, (key, value)) in entries.into_iter().enumerate() {
        if i > 0 {
            w.out.push(b',');
        }
        serde_json::to_writer(&mut w.out, key)?;
        w.out.push(b':');
        serde_json::to_writer(&mut w.out, value)?;
    }
    w.out.push(b'}');
    if let Some(p) = password {
        w.out.extend_from_slice(b",\"password\":");
        p.serialize(&mut w)?;
    }
    w.out.extend_from_slice(b",\"policy\":");
    serde_json::to_writer(&mut w.out, &**policy)?;
    w.out.extend_from_slice(b",\"valid\":");
    w.out.extend_from_slice(bool_text(*valid));
    w.out.extend_from_slice(b",\"violations\":");
    violations.serialize(&mut w)?;
    w.out.push(b'}');
    Ok(w.out)
}

struct TextRun<'a> {
    policy: &'a Policy,
    lang: Lang,
    input: &'a str,
    /// `input` is JSON the [`Value`] parser reads.
    checked: bool,
}

impl TextRun<'_> {
    /// The [`Value`] path for this input.
    fn by_value<I: Operation>(&self) -> Result<Vec<u8>, ApiError> {
        let value: Value = serde_json::from_str(self.input)
            .map_err(|e| ApiError::invalid_input("input", e.to_string()))?;
        value_bytes(&exec::<I>(self.policy, self.lang, value)?)
    }
}

impl Runner for TextRun<'_> {
    type Out = Vec<u8>;
    fn run<I: Operation>(self) -> Result<Vec<u8>, ApiError> {
        let parsed = if self.checked {
            from_text::<I>(self.input)
        } else {
            None
        };
        let Some(input) = parsed else {
            return self.by_value::<I>();
        };
        let out = input.run(self.policy, self.lang)?;
        match to_response_json(&out) {
            Ok(bytes) => Ok(bytes),
            Err(_) => self.by_value::<I>(),
        }
    }
}

/// A decision as the contract's response, as JSON text: the bytes of `serde_json::to_vec` of
/// [`super::to_response`], written without a [`Value`].
///
/// # Errors
/// When the [`Value`] path would fail too, or for a shape it writes otherwise (a map key that
/// is not a string or an integer, a 128-bit number, a top-level enum variant with data).
pub fn to_response_json<T: Serialize + ?Sized>(v: &T) -> Result<Vec<u8>, serde_json::Error> {
    sorted_json(v, true)
}

/// Any serialisable value as JSON text with every object's keys sorted: the bytes of
/// `serde_json::to_vec` of `serde_json::to_value`, written without a [`Value`] (no
/// `"contract"` stamp: for outputs that are not a contract response, such as the wasm
/// package's import report).
///
/// # Errors
/// As [`to_response_json`].
pub fn to_sorted_json<T: Serialize + ?Sized>(v: &T) -> Result<Vec<u8>, serde_json::Error> {
    sorted_json(v, false)
}

/// `v` written by [`Sorted`], its top-level object stamped with `"contract"` when `stamp`.
fn sorted_json<T: Serialize + ?Sized>(v: &T, stamp: bool) -> Result<Vec<u8>, serde_json::Error> {
    let mut w = Sorted {
        out: Vec::with_capacity(256),
        stamp,
    };
    v.serialize(&mut w)?;
    Ok(w.out)
}

/// A JSON writer whose objects have their keys sorted, as a [`Value`] prints them.
struct Sorted {
    out: Vec<u8>,
    /// The next object is the top-level one: it gets `"contract"`.
    stamp: bool,
}

impl Sorted {
    fn prim<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), serde_json::Error> {
        self.stamp = false;
        serde_json::to_writer(&mut self.out, v)
    }
    fn object(&mut self) -> Object<'_> {
        let stamp = std::mem::take(&mut self.stamp);
        let start = self.out.len();
        Object {
            w: self,
            start,
            entries: Vec::new(),
            key: None,
            stamp,
        }
    }
    fn array(&mut self) -> Array<'_> {
        self.stamp = false;
        self.out.push(b'[');
        Array {
            w: self,
            first: true,
        }
    }
    fn refuse_stamped(&self) -> Result<(), serde_json::Error> {
        if self.stamp {
            return Err(ser::Error::custom("a top-level enum variant with data"));
        }
        Ok(())
    }
}

fn err(msg: &str) -> serde_json::Error {
    ser::Error::custom(msg)
}

impl<'a> ser::Serializer for &'a mut Sorted {
    type Ok = ();
    type Error = serde_json::Error;
    type SerializeSeq = Array<'a>;
    type SerializeTuple = Array<'a>;
    type SerializeTupleStruct = Array<'a>;
    type SerializeTupleVariant = Variant<Array<'a>>;
    type SerializeMap = Object<'a>;
    type SerializeStruct = Object<'a>;
    type SerializeStructVariant = Variant<Object<'a>>;

    fn serialize_bool(self, v: bool) -> Result<(), serde_json::Error> {
        self.prim(&v)
    }
    fn serialize_i8(self, v: i8) -> Result<(), serde_json::Error> {
        self.prim(&v)
    }
    fn serialize_i16(self, v: i16) -> Result<(), serde_json::Error> {
        self.prim(&v)
    }
    fn serialize_i32(self, v: i32) -> Result<(), serde_json::Error> {
        self.prim(&v)
    }
    fn serialize_i64(self, v: i64) -> Result<(), serde_json::Error> {
        self.prim(&v)
    }
    fn serialize_i128(self, v: i128) -> Result<(), serde_json::Error> {
        let v = i64::try_from(v).map_err(|_| err("a 128-bit number"))?;
        self.prim(&v)
    }
    fn serialize_u8(self, v: u8) -> Result<(), serde_json::Error> {
        self.prim(&v)
    }
    fn serialize_u16(self, v: u16) -> Result<(), serde_json::Error> {
        self.prim(&v)
    }
    fn serialize_u32(self, v: u32) -> Result<(), serde_json::Error> {
        self.prim(&v)
    }
    fn serialize_u64(self, v: u64) -> Result<(), serde_json::Error> {
        self.prim(&v)
    }
    fn serialize_u128(self, v: u128) -> Result<(), serde_json::Error> {
        let v = u64::try_from(v).map_err(|_| err("a 128-bit number"))?;
        self.prim(&v)
    }
    fn serialize_f32(self, v: f32) -> Result<(), serde_json::Error> {
        // `to_value` widens an f32 to the f64 it is.
        self.prim(&f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), serde_json::Error> {
        self.prim(&v)
    }
    fn serialize_char(self, v: char) -> Result<(), serde_json::Error> {
        self.prim(&v)
    }
    fn serialize_str(self, v: &str) -> Result<(), serde_json::Error> {
        self.prim(v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), serde_json::Error> {
        self.prim(v)
    }
    fn serialize_none(self) -> Result<(), serde_json::Error> {
        self.prim(&())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), serde_json::Error> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), serde_json::Error> {
        self.prim(&())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), serde_json::Error> {
        self.prim(&())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), serde_json::Error> {
        self.prim(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), serde_json::Error> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<(), serde_json::Error> {
        self.refuse_stamped()?;
        self.out.push(b'{');
        serde_json::to_writer(&mut self.out, variant)?;
        self.out.push(b':');
        v.serialize(&mut *self)?;
        self.out.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Array<'a>, serde_json::Error> {
        Ok(self.array())
    }
    fn serialize_tuple(self, _: usize) -> Result<Array<'a>, serde_json::Error> {
        Ok(self.array())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Array<'a>, serde_json::Error> {
        Ok(self.array())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Variant<Array<'a>>, serde_json::Error> {
        self.refuse_stamped()?;
        self.out.push(b'{');
        serde_json::to_writer(&mut self.out, variant)?;
        self.out.push(b':');
        Ok(Variant(self.array()))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Object<'a>, serde_json::Error> {
        Ok(self.object())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Object<'a>, serde_json::Error> {
        Ok(self.object())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Variant<Object<'a>>, serde_json::Error> {
        self.refuse_stamped()?;
        self.out.push(b'{');
        serde_json::to_writer(&mut self.out, variant)?;
        self.out.push(b':');
        Ok(Variant(self.object()))
    }
}

/// A JSON array being written.
pub(crate) struct Array<'a> {
    w: &'a mut Sorted,
    first: bool,
}

impl Array<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), serde_json::Error> {
        if !std::mem::take(&mut self.first) {
            self.w.out.push(b',');
        }
        v.serialize(&mut *self.w)
    }
    fn close(self) {
        self.w.out.push(b']');
    }
}

impl ser::SerializeSeq for Array<'_> {
    type Ok = ();
    type Error = serde_json::Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Self::Error> {
        self.element(v)
    }
    fn end(self) -> Result<(), Self::Error> {
        self.close();
        Ok(())
    }
}

impl ser::SerializeTuple for Array<'_> {
    type Ok = ();
    type Error = serde_json::Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Self::Error> {
        self.element(v)
    }
    fn end(self) -> Result<(), Self::Error> {
        self.close();
        Ok(())
    }
}

impl ser::SerializeTupleStruct for Array<'_> {
    type Ok = ();
    type Error = serde_json::Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Self::Error> {
        self.element(v)
    }
    fn end(self) -> Result<(), Self::Error> {
        self.close();
        Ok(())
    }
}

/// An enum variant with data: `{"variant": ...}` around an array or an object.
pub(crate) struct Variant<T>(T);

impl ser::SerializeTupleVariant for Variant<Array<'_>> {
    type Ok = ();
    type Error = serde_json::Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Self::Error> {
        self.0.element(v)
    }
    fn end(self) -> Result<(), Self::Error> {
        let w = self.0.w;
        w.out.extend_from_slice(b"]}");
        Ok(())
    }
}

impl ser::SerializeStructVariant for Variant<Object<'_>> {
    type Ok = ();
    type Error = serde_json::Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), Self::Error> {
        ser::SerializeStruct::serialize_field(&mut self.0, key, v)
    }
    fn end(self) -> Result<(), Self::Error> {
        let w = self.0.finish()?;
        w.out.push(b'}');
        Ok(())
    }
}

/// A JSON object being written: each value is written after `start` as it comes, then the
/// entries are put in key order.
pub(crate) struct Object<'a> {
    w: &'a mut Sorted,
    start: usize,
    /// Key and the range of its value's text in `w.out`.
    entries: Vec<(Cow<'static, str>, usize, usize)>,
    /// The key of `serialize_key`, waiting for its value.
    key: Option<Cow<'static, str>>,
    stamp: bool,
}

impl<'a> Object<'a> {
    fn entry<T: Serialize + ?Sized>(
        &mut self,
        key: Cow<'static, str>,
        v: &T,
    ) -> Result<(), serde_json::Error> {
        let from = self.w.out.len();
        v.serialize(&mut *self.w)?;
        self.entries.push((key, from, self.w.out.len()));
        Ok(())
    }

    fn finish(mut self) -> Result<&'a mut Sorted, serde_json::Error> {
        if self.stamp {
            let from = self.w.out.len();
            serde_json::to_writer(&mut self.w.out, &CONTRACT_VERSION)?;
            self.entries
                .push((Cow::Borrowed("contract"), from, self.w.out.len()));
        }
        // Stable: of equal keys, the last one written wins, as in a map insert.
        self.entries.sort_by(|a, b| a.0.cmp(&b.0));
        let values = self.w.out.split_off(self.start);
        let out = &mut self.w.out;
        out.push(b'{');
        let mut first = true;
        for (i, (key, from, to)) in self.entries.iter().enumerate() {
            if self.entries.get(i + 1).is_some_and(|next| next.0 == *key) {
                continue;
            }
            if !std::mem::take(&mut first) {
                out.push(b',');
            }
            serde_json::to_writer(&mut *out, key.as_ref())?;
            out.push(b':');
            let text = values
                .get(from - self.start..to - self.start)
                .ok_or_else(|| err("an entry out of range"))?;
            out.extend_from_slice(text);
        }
        out.push(b'}');
        Ok(self.w)
    }
}

impl ser::SerializeStruct for Object<'_> {
    type Ok = ();
    type Error = serde_json::Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), Self::Error> {
        self.entry(Cow::Borrowed(key), v)
    }
    fn end(self) -> Result<(), Self::Error> {
        self.finish().map(|_| ())
    }
}

impl ser::SerializeMap for Object<'_> {
    type Ok = ();
    type Error = serde_json::Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Self::Error> {
        // A map key as `to_value` writes it: a string, or an integer or boolean as text.
        let key = match serde_json::to_value(key)? {
            Value::String(s) => s,
            Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return Err(err("a map key that is not a string or an integer")),
        };
        self.key = Some(Cow::Owned(key));
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Self::Error> {
        let key = self
            .key
            .take()
            .ok_or_else(|| err("a map value without a key"))?;
        self.entry(key, v)
    }
    fn end(self) -> Result<(), Self::Error> {
        self.finish().map(|_| ())
    }
}

/// The operations of the forms build of the wasm package: those a sign-up or profile form
/// needs, validation and the stand-alone password check.
pub const FORM_OPS: &[Op] = &[Op::Validate, Op::Password];

/// [`evaluate_json_with`] for the operations of [`FORM_OPS`] only: the same bytes for
/// them, and `unsupported` for any other. A build that calls only this (the wasm forms
/// build) links the code of those two operations, not the other eighteen, and only the
/// reference [`Value`] path (no second, faster parser and writer of each input and
/// decision: a form checks one record at a time).
///
/// # Errors
/// As [`evaluate_json_with`]; `unsupported` for an operation outside [`FORM_OPS`];
/// `unicode_tables_needed` for input with non-ASCII text (or a `\u` escape) in a build
/// without `builtin-unicode` before [`crate::unicode::install`].
pub fn evaluate_form_json(
    policy: &Policy,
    op: Op,
    lang: Lang,
    input: &str,
) -> Result<Vec<u8>, ApiError> {
    // As the full build (`run_text`): a language the policy does not know is refused.
    super::check_lang(policy, lang)?;
    // Without compiled-in Unicode tables, non-ASCII input waits for them: never
    // normalised half-way (crate::unicode).
    if !crate::unicode::available() && crate::unicode::may_need_tables(input) {
        return Err(ApiError::unicode_tables_needed("input"));
    }
    let run = TextRun {
        policy,
        lang,
        input,
        checked: false,
    };
    let _ = crate::unicode::take_missed();
    let out = match op {
        Op::Validate => run.by_value::<super::ValidateInput>(),
        Op::Password => run.by_value::<super::PasswordInput>(),
        other => Err(not_a_form_op(other)),
    }?;
    if crate::unicode::take_missed() {
        return Err(ApiError::unicode_tables_needed("input"));
    }
    Ok(out)
}

/// [`super::evaluate`] for the operations of [`FORM_OPS`] only, answering JSON text: the
/// bytes of `serde_json::to_vec` of `evaluate` for them (request errors included), and
/// `unsupported` for any other operation.
///
/// # Errors
/// As [`super::evaluate`]; `unsupported` for an operation outside [`FORM_OPS`].
pub fn evaluate_form_request(request: &Value) -> Result<Vec<u8>, ApiError> {
    let req: Request = super::parse_input("", request.clone())?;
    check_contract(req.contract)?;
    let policy = load_policy(req.preset.as_deref(), req.policy.as_ref())?;
    if !FORM_OPS.contains(&req.op) {
        return Err(not_a_form_op(req.op));
    }
    let input = serde_json::to_string(&req.input)
        .map_err(|e| ApiError::invalid_input("input", e.to_string()))?;
    evaluate_form_json(&policy, req.op, req.lang, &input)
}

fn not_a_form_op(op: Op) -> ApiError {
    ApiError::new(
        super::ApiErrorKind::Unsupported,
        "unsupported",
        format!(
            "the forms build answers `validate` and `password`, not `{}`: use the full build",
            op.name()
        ),
    )
}
