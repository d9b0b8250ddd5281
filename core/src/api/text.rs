//! The text-to-text path: a request's JSON text parsed straight into the operation's input
//! type, and the decision serialised straight to JSON text, with no [`Value`] in between.
//! What the portable module, the core component, the wasm package and the server call.
//!
//! It answers exactly the bytes of the [`Value`] path ([`super::evaluate`] then
//! `serde_json::to_vec`), which stays the reference:
//!
//! - **input**: the request must first be JSON that the [`Value`] parser accepts, with no
//!   object naming a key twice ([`Strict`]: the same parser, its recursion limit included,
//!   allocating nothing but the keys of objects of more than 16); any failure after that (a
//!   type error) is answered by the [`Value`] path, read by [`json::parse`], so every error
//!   keeps its wording and path. A success parses to the same input: serde's derived
//!   code reads a [`Value`] and the text it came from alike.
//! - **output**: a [`Value`] prints its object keys sorted (a `BTreeMap`): [`Sorted`] writes
//!   each object's entries sorted by key (the last of equal keys kept, as a map insert
//!   does), numbers and strings by `serde_json`'s own writer, `f32` widened as `to_value`
//!   does, and the top-level object stamped with `"contract"` as [`super::to_response`]
//!   does. What it cannot write the [`Value`] path writes.
//!
//! `tests/text_path.rs` proves it over every conformance vector and generated requests.

use serde::de::Deserialize;
use serde::ser::{self, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use smallvec::SmallVec;

use super::ops::{Operation, Runner, dispatch_to, exec};
use super::{
    ApiError, CONTRACT_VERSION, MAX_RECORD_FIELDS, Op, Request, check_contract, load_policy,
};
use crate::checks::date::Date;
use crate::import::{self, ImportOptions, ImportReport, RowReport, RowSink};
use crate::json::{self, JsonError, Strict};
use crate::messages::Lang;
use crate::policy::{Mode, Policy};
use crate::validate::{
    StoredRecord, StoredValue, ValidationContext, ValidationDecision, ValidationFacts,
    ValidationVerdict,
};
use crate::violation::Violation;

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
    let value = parse_json(request, "")?;
    value_bytes(&super::evaluate(&value)?)
}

/// `text` (a request, `prefix` empty, or its `input`, `prefix` `"input"`) as a [`Value`],
/// read by [`json::parse`]: what every adapter that reads a request's text itself calls.
///
/// # Errors
/// `invalid_input` at `prefix` for text that is not JSON, with serde_json's message (`the
/// request is not JSON: ...` for a whole request); at the object's path under `prefix` for
/// an object that names a key twice.
pub fn parse_json(text: &[u8], prefix: &str) -> Result<Value, ApiError> {
    json::parse(text).map_err(|e| match e {
        JsonError::Syntax(e) if prefix.is_empty() => {
            ApiError::invalid_input("", format!("the request is not JSON: {e}"))
        }
        JsonError::Syntax(e) => ApiError::invalid_input(prefix, e.to_string()),
        JsonError::Duplicate(d) => {
            let path = match (prefix, d.path.as_str()) {
                (p, "") | ("", p) => p.to_owned(),
                (p, inner) => format!("{p}.{inner}"),
            };
            ApiError::invalid_input(path, d.to_string())
        }
    })
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
    let input = req.input.get();
    if let Some(out) = validate_response(&policy, req.op, req.lang, input, true) {
        return Ok(out);
    }
    run_text(&policy, req.op, req.lang, input, true)
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
    if let Some(out) = validate_response(policy, op, lang, input, false) {
        return Ok(out);
    }
    run_text(policy, op, lang, input, is_strict_json(input))
}

/// The response of a `validate` (`op`) read by the text path ([`validate_parts`]), or
/// `None` for [`run_text`] to answer: tried once per request, before it.
fn validate_response(
    policy: &Policy,
    op: Op,
    lang: Lang,
    input: &str,
    checked: bool,
) -> Option<Vec<u8>> {
    if op != Op::Validate {
        return None;
    }
    validate_parts(policy, lang, input, checked, |verdict, stored| {
        validation_response(policy, &verdict, stored).ok()
    })
    .flatten()
}

/// The `validate` operation on its input text, as the typed decision: `Some` when
/// [`evaluate_json_with`] (`op` [`Op::Validate`]) answers this input with a decision read
/// by the text path, and then [`to_response_json`] of it is exactly the bytes that call
/// answers. `None` for everything else (an error, a one-field validation, a record that is
/// not an object or has more than [`MAX_RECORD_FIELDS`] keys, a language the policy does
/// not speak): ask [`evaluate_json_with`], which answers it.
///
/// For a caller that keeps the decision; one that writes it out at once (as the wasm
/// package builds its JS object) is better served by [`validate_json_with`], which builds
/// no `normalized` map.
pub fn validate_json_decision(
    policy: &Policy,
    lang: Lang,
    input: &str,
) -> Option<ValidationDecision> {
    with_validate_text(policy, lang, input, false, |json, ctx| {
        crate::validate::validate_user_json_within(policy, json, ctx, MAX_RECORD_FIELDS).ok()?
    })
}

/// [`validate_json_decision`], handing the decision's verdict and stored record to `then`
/// instead of building the [`ValidationDecision`] ([`validate_user_json_with`]): `Some`
/// exactly when that function answers, with the same decision (its `normalized` is
/// [`StoredRecord::to_map`], its `policy` is `policy`'s hash).
///
/// For a caller that writes the decision out at once (the wasm package builds its JS
/// object from it): the record as stored is read in place, with no map built.
///
/// [`validate_user_json_with`]: crate::validate::validate_user_json_with
pub fn validate_json_with<R>(
    policy: &Policy,
    lang: Lang,
    input: &str,
    then: impl FnOnce(ValidationVerdict, StoredRecord<'_>) -> R,
) -> Option<R> {
    validate_parts(policy, lang, input, false, then)
}

/// At most this many `[` and `{` in a text: its nesting stays under `serde_json`'s
/// recursion limit (128) however they are arranged, inside an envelope or not.
const SHALLOW_BRACKETS: usize = 100;

/// Whether `text` has too few brackets to reach `serde_json`'s recursion limit.
fn is_shallow(text: &str) -> bool {
    crate::swar::count_of(text.as_bytes(), b"[{") <= SHALLOW_BRACKETS
}

/// `input` read by the [`Value`] parser already (`checked`), or not, by the typed path
/// (after [`validate_response`] declined it).
fn run_text(
    policy: &Policy,
    op: Op,
    lang: Lang,
    input: &str,
    checked: bool,
) -> Result<Vec<u8>, ApiError> {
    super::check_lang(policy, lang)?;
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

/// [`super::ValidateInput`] with the record left as text, for [`with_validate_text`].
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

/// The `validate` operation on input text, its decision handed over in parts to `then`
/// ([`validate_json_with`]; `checked` as in [`with_validate_text`]).
fn validate_parts<R>(
    policy: &Policy,
    lang: Lang,
    input: &str,
    checked: bool,
    then: impl FnOnce(ValidationVerdict, StoredRecord<'_>) -> R,
) -> Option<R> {
    with_validate_text(policy, lang, input, checked, |json, ctx| {
        crate::validate::validate_user_json_within_with(policy, json, ctx, MAX_RECORD_FIELDS, then)
            .ok()?
    })
}

/// The `validate` operation's input text read by the text path: the envelope by its typed
/// fields, then `then` given the record's text (read later straight into the policy's
/// fields, no [`serde_json::Map`] of it) and the context. `None` for anything this path
/// does not answer itself (a language the policy does not speak, a shape error, a
/// one-field validation; `then` declines a record that is not an object or has more than
/// [`MAX_RECORD_FIELDS`] keys): the typed path then answers, with its own errors.
///
/// `checked`: the [`Value`] parser reads `input` (the caller checked it). When not, a
/// success here still means it does: the envelope was read by its typed fields (every
/// scalar through the parser a [`Value`] uses, no key ignored, a duplicate key refused), the
/// record by `validate::record` (every value and key as a [`Value`] reads them), and a text
/// of at most [`SHALLOW_BRACKETS`] brackets cannot reach the recursion limit; a deeper
/// text is checked whole first.
fn with_validate_text<R>(
    policy: &Policy,
    lang: Lang,
    input: &str,
    checked: bool,
    then: impl FnOnce(&[u8], &ValidationContext<'_>) -> Option<R>,
) -> Option<R> {
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
    then(input.user.get().as_bytes(), &ctx)
}

/// A validation decision as the contract's response: the bytes of [`to_response_json`] of
/// the decision `verdict` and `stored` make under `policy` (see
/// [`validate_json_with`]), written field by field in key order (the lists go through
/// [`Sorted`]) with no [`ValidationDecision`] built. `core/tests/text_path.rs` holds them
/// equal to the typed decision's bytes over the conformance vectors and generated records.
fn validation_response(
    policy: &Policy,
    verdict: &ValidationVerdict,
    stored: StoredRecord<'_>,
) -> Result<Vec<u8>, serde_json::Error> {
    // Every field of the verdict named: a field added to it fails to compile here (the
    // decision adds `normalized` and `policy`, written below).
    let ValidationVerdict {
        valid,
        complete,
        violations,
        checks,
        password,
    } = verdict;
    let mut w = Sorted::new(384, false);
    w.out.extend_from_slice(b"{\"checks\":");
    checks.serialize(&mut w)?;
    w.out.extend_from_slice(b",\"complete\":");
    w.out.extend_from_slice(bool_text(*complete));
    w.out.extend_from_slice(b",\"contract\":");
    serde_json::to_writer(&mut w.out, &CONTRACT_VERSION)?;
    w.out.extend_from_slice(b",\"normalized\":");
    // Keys sorted as the `Value` path writes them (a map sorts its keys unless
    // `serde_json` is built with `preserve_order`).
    let mut entries: crate::validate::PerField<(&str, StoredValue<'_>)> = stored.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    w.out.push(b'{');
    for (i, (key, value)) in entries.into_iter().enumerate() {
        if i > 0 {
            w.out.push(b',');
        }
        serde_json::to_writer(&mut w.out, key)?;
        w.out.push(b':');
        match value {
            StoredValue::Null => w.out.extend_from_slice(b"null"),
            StoredValue::Bool(b) => w.out.extend_from_slice(bool_text(b)),
            StoredValue::Text(t) => serde_json::to_writer(&mut w.out, t)?,
        }
    }
    w.out.push(b'}');
    if let Some(p) = password {
        w.out.extend_from_slice(b",\"password\":");
        p.serialize(&mut w)?;
    }
    w.out.extend_from_slice(b",\"policy\":");
    serde_json::to_writer(&mut w.out, policy.hash())?;
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
        let value = parse_json(self.input.as_bytes(), "input")?;
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

/// An import report as JSON text: the bytes of [`to_sorted_json`] of it (what the wasm
/// package's `validateImport` decodes), written field by field in key order. The rows with
/// violations are most of a report with many bad rows: each row and violation is written
/// straight in its key order rather than as an object whose entries are then sorted; their
/// params, paths and the rest go through the sorted-key writer.
///
/// # Errors
/// As [`to_sorted_json`].
pub fn import_report_json(report: &ImportReport) -> Result<Vec<u8>, serde_json::Error> {
    report_json(report, RowsJson::of(&report.rows))
}

/// What [`validate_import_json`] returns: an import report as JSON text, its status bytes
/// apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportJson {
    /// One [`RowStatus`](crate::import::RowStatus) per data row, as its `u8` value: what
    /// [`ImportReport::status`] holds.
    pub status: Vec<u8>,
    /// The report as [`import_report_json`] writes it, with `"status":[]`: a caller reads
    /// the status at once from [`status`](Self::status), and the rest (the bad rows, their
    /// violations and messages) only when it shows them; 100,000 rows of status would be
    /// 200 KB more text to decode.
    pub text: Vec<u8>,
}

/// Whether an import's records keep the file's password cells ([`validate_import_json`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Passwords {
    /// Left out, with every key the policy does not declare: what a decision shows.
    Leave,
    /// Kept as read, for a caller that commits the accounts itself.
    Keep,
}

/// [`validate_import`](crate::import::validate_import), answered as the JSON text of its
/// report ([`ImportJson`]): the wasm package's `validateImport`. Each row with violations
/// is written as it is read and then dropped, so that a file with many bad rows never
/// holds all their violations at once: in the Node package, 100,000 JSON Lines rows at
/// 50% bad leave 49 MiB of wasm memory instead of 73 MiB (a wasm memory never shrinks);
/// natively, 9% fewer instructions there (the allocator reuses what each row frees).
///
/// The records (with [`ImportOptions::records`]) are shown as a decision shows them
/// ([`shown_record`](crate::import::shown_record): no password, no undeclared key) unless
/// `passwords` is [`Passwords::Keep`], for the caller that commits the accounts itself.
///
/// # Errors
/// [`ApiError`] `import_unreadable` when the file as a whole cannot be read, as
/// [`ImportError`](crate::import::ImportError); `invalid_input` should the report not be
/// writable as JSON.
pub fn validate_import_json(
    policy: &Policy,
    bytes: &[u8],
    options: ImportOptions,
    ctx: &ValidationContext<'_>,
    passwords: Passwords,
) -> Result<ImportJson, ApiError> {
    let rows = RowSink::Json(RowsJson::new(4096));
    let (mut report, rows) = import::run(policy, bytes, options, ctx, rows)?.finish();
    if passwords == Passwords::Leave {
        for record in report.records.iter_mut().flatten() {
            import::shown_record(policy, record);
        }
    }
    let status = std::mem::take(&mut report.status);
    // The rows went to the text; should they be in the report instead, they are written
    // from there.
    let rows = rows.unwrap_or_else(|| RowsJson::of(&report.rows));
    let text =
        report_json(&report, rows).map_err(|e| ApiError::invalid_input("", e.to_string()))?;
    Ok(ImportJson { status, text })
}

/// The JSON text of an import report's `rows`, one row at a time, without the array's
/// brackets: the one writer of a row and its violations ([`import_report_json`],
/// [`validate_import_json`]).
pub(crate) struct RowsJson {
    w: Sorted,
    /// The first error; no row is written after it.
    error: Option<serde_json::Error>,
}

impl RowsJson {
    fn new(capacity: usize) -> Self {
        RowsJson {
            w: Sorted::new(capacity, false),
            error: None,
        }
    }

    /// The text of a report's `rows`.
    fn of(rows: &[RowReport]) -> Self {
        let mut text = RowsJson::new(160 * rows.len());
        for row in rows {
            text.push(row);
        }
        text
    }

    /// Writes `row`; an error is kept for [`report_json`].
    pub(crate) fn push(&mut self, row: &RowReport) {
        if self.error.is_none()
            && let Err(e) = self.write(row)
        {
            self.error = Some(e);
        }
    }

    fn write(&mut self, row: &RowReport) -> Result<(), serde_json::Error> {
        // Every field named: a field added to a row or a violation fails to compile here.
        let RowReport {
            index,
            line,
            violations,
        } = row;
        let w = &mut self.w;
        // Every row writes text: any before this one needs a separator.
        if !w.out.is_empty() {
            w.out.push(b',');
        }
        let mut number = itoa::Buffer::new();
        w.out.extend_from_slice(b"{\"index\":");
        w.out.extend_from_slice(number.format(*index).as_bytes());
        w.out.extend_from_slice(b",\"line\":");
        w.out.extend_from_slice(number.format(*line).as_bytes());
        w.out.extend_from_slice(b",\"violations\":[");
        for (j, v) in violations.iter().enumerate() {
            if j > 0 {
                w.out.push(b',');
            }
            let Violation {
                code,
                path,
                severity,
                message,
                params,
            } = v;
            w.out.extend_from_slice(b"{\"code\":");
            write_str(&mut w.out, code.as_str())?;
            w.out.extend_from_slice(b",\"message\":");
            write_str(&mut w.out, message)?;
            // As `skip_serializing_if = "BTreeMap::is_empty"` on the field.
            if !params.is_empty() {
                w.out.extend_from_slice(b",\"params\":");
                w.params(params)?;
            }
            w.out.extend_from_slice(b",\"path\":");
            path.serialize(&mut *w)?;
            w.out.extend_from_slice(b",\"severity\":");
            severity.serialize(&mut *w)?;
            w.out.push(b'}');
        }
        w.out.extend_from_slice(b"]}");
        Ok(())
    }
}

/// `report` as JSON text, its `rows` read from `rows` (not from the report).
fn report_json(report: &ImportReport, rows: RowsJson) -> Result<Vec<u8>, serde_json::Error> {
    if let Some(e) = rows.error {
        return Err(e);
    }
    // Every field named: a field added to the report fails to compile here.
    let ImportReport {
        policy,
        summary,
        status,
        rows: _,
        columns,
        lookups,
        records,
        lines,
    } = report;
    let mut w = Sorted::new(256 + rows.w.out.len() + 2 * status.len(), false);
    w.out.extend_from_slice(b"{\"columns\":");
    columns.serialize(&mut w)?;
    if let Some(lines) = lines {
        w.out.extend_from_slice(b",\"lines\":");
        lines.serialize(&mut w)?;
    }
    w.out.extend_from_slice(b",\"lookups\":");
    lookups.serialize(&mut w)?;
    w.out.extend_from_slice(b",\"policy\":");
    write_str(&mut w.out, policy)?;
    if let Some(records) = records {
        w.out.extend_from_slice(b",\"records\":");
        records.serialize(&mut w)?;
    }
    w.out.extend_from_slice(b",\"rows\":[");
    w.out.extend_from_slice(&rows.w.out);
    w.out.extend_from_slice(b"],\"status\":");
    status.serialize(&mut w)?;
    w.out.extend_from_slice(b",\"summary\":");
    summary.serialize(&mut w)?;
    w.out.push(b'}');
    Ok(w.out)
}

/// `v` written by [`Sorted`], its top-level object stamped with `"contract"` when `stamp`.
fn sorted_json<T: Serialize + ?Sized>(v: &T, stamp: bool) -> Result<Vec<u8>, serde_json::Error> {
    let mut w = Sorted::new(256, stamp);
    v.serialize(&mut w)?;
    Ok(w.out)
}

/// A JSON writer whose objects have their keys sorted, as a [`Value`] prints them.
///
/// An object's entries are written as they come, each as its final `"key":value` text; an
/// object whose keys came in order (a `BTreeMap`, a struct whose fields are declared in key
/// order) is then done, and only the others are put in key order, through `scratch`.
struct Sorted {
    out: Vec<u8>,
    /// The next object is the top-level one: it gets `"contract"`.
    stamp: bool,
    /// The map keys of the objects being written (see [`Key::Buf`]), one after the other.
    keys: String,
    /// The entries of the object being put in order.
    scratch: Vec<u8>,
}

impl Sorted {
    fn new(capacity: usize, stamp: bool) -> Self {
        Sorted {
            out: Vec::with_capacity(capacity),
            stamp,
            keys: String::new(),
            scratch: Vec::new(),
        }
    }
    fn prim<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), serde_json::Error> {
        self.stamp = false;
        serde_json::to_writer(&mut self.out, v)
    }
    /// A violation's params, as serialising them would write them: the map's keys in their
    /// own order (a `BTreeMap`'s, the order this writer puts keys in), each value through
    /// [`Sorted::value`].
    fn params(&mut self, params: &crate::violation::Params) -> Result<(), serde_json::Error> {
        self.stamp = false;
        self.out.push(b'{');
        for (i, (key, value)) in params.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            write_str(&mut self.out, key)?;
            self.out.push(b':');
            self.value(value)?;
        }
        self.out.push(b'}');
        Ok(())
    }
    /// `value`, as serialising it would write it: strings, numbers, booleans, null and
    /// arrays of them straight, without serde's generic path; an object through it (its
    /// keys put in order there).
    fn value(&mut self, value: &Value) -> Result<(), serde_json::Error> {
        self.stamp = false;
        match value {
            Value::String(text) => write_str(&mut self.out, text),
            Value::Number(n) => serde_json::to_writer(&mut self.out, n),
            Value::Bool(b) => {
                self.out.extend_from_slice(bool_text(*b));
                Ok(())
            }
            Value::Null => {
                self.out.extend_from_slice(b"null");
                Ok(())
            }
            Value::Array(items) => {
                self.out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push(b',');
                    }
                    self.value(item)?;
                }
                self.out.push(b']');
                Ok(())
            }
            Value::Object(_) => value.serialize(self),
        }
    }
    fn object(&mut self) -> Object<'_> {
        let stamp = std::mem::take(&mut self.stamp);
        self.out.push(b'{');
        let start = self.out.len();
        let keys_start = self.keys.len();
        Object {
            w: self,
            start,
            keys_start,
            entries: SmallVec::new(),
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

/// `s` as a JSON string, the bytes `serde_json` writes: as it is between quotes when no
/// character needs an escape (the common case, checked eight bytes at a time), else by
/// `serde_json`.
fn write_str(out: &mut Vec<u8>, s: &str) -> Result<(), serde_json::Error> {
    let bytes = s.as_bytes();
    if needs_escape(bytes) {
        return serde_json::to_writer(out, s);
    }
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    out.extend_from_slice(bytes);
    out.push(b'"');
    Ok(())
}

/// `b` as JSON text.
fn bool_text(b: bool) -> &'static [u8] {
    if b { b"true" } else { b"false" }
}

/// Whether `bytes` has a byte `serde_json` escapes in a string: `"`, `\\` or a control
/// character below U+0020.
fn needs_escape(bytes: &[u8]) -> bool {
    crate::swar::json_special_position(bytes).is_some()
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
        self.stamp = false;
        write_str(&mut self.out, v)
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
        self.stamp = false;
        write_str(&mut self.out, variant)
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

/// An object's key: a struct's field name, or a map key written out in [`Sorted::keys`].
#[derive(Clone, Copy)]
enum Key {
    Static(&'static str),
    /// The range of the key's text in [`Sorted::keys`].
    Buf(usize, usize),
}

impl Key {
    fn text(self, keys: &str) -> &str {
        match self {
            Key::Static(k) => k,
            Key::Buf(from, to) => keys.get(from..to).unwrap_or_default(),
        }
    }
}

/// A JSON object being written: each entry is written after `start` as it comes, as its
/// `"key":value` text (a comma before all but the first), then, unless the keys came in
/// order, the entries are put in key order.
pub(crate) struct Object<'a> {
    w: &'a mut Sorted,
    /// Where the first entry starts (just after the `{`).
    start: usize,
    /// The length of [`Sorted::keys`] before this object's map keys.
    keys_start: usize,
    /// Key and the range of its entry's text (`"key":value`) in `w.out`.
    entries: SmallVec<[(Key, usize, usize); 8]>,
    /// The key of `serialize_key`, waiting for its value.
    key: Option<Key>,
    stamp: bool,
}

impl<'a> Object<'a> {
    fn entry<T: Serialize + ?Sized>(&mut self, key: Key, v: &T) -> Result<(), serde_json::Error> {
        let w = &mut *self.w;
        if !self.entries.is_empty() {
            w.out.push(b',');
        }
        let from = w.out.len();
        write_str(&mut w.out, key.text(&w.keys))?;
        w.out.push(b':');
        v.serialize(&mut *w)?;
        self.entries.push((key, from, w.out.len()));
        Ok(())
    }

    fn finish(mut self) -> Result<&'a mut Sorted, serde_json::Error> {
        if self.stamp {
            self.entry(Key::Static("contract"), &CONTRACT_VERSION)?;
        }
        let Object {
            w,
            start,
            keys_start,
            mut entries,
            ..
        } = self;
        let keys = w.keys.as_str();
        let in_order = entries
            .windows(2)
            .all(|p| matches!(p, [a, b] if a.0.text(keys) < b.0.text(keys)));
        if !in_order {
            // Stable: of equal keys, the last one written wins, as in a map insert.
            entries.sort_by(|a, b| a.0.text(keys).cmp(b.0.text(keys)));
            let mut scratch = std::mem::take(&mut w.scratch);
            scratch.clear();
            scratch.extend_from_slice(w.out.get(start..).unwrap_or_default());
            w.out.truncate(start);
            let mut first = true;
            for (i, (key, from, to)) in entries.iter().enumerate() {
                if entries
                    .get(i + 1)
                    .is_some_and(|next| next.0.text(keys) == key.text(keys))
                {
                    continue;
                }
                if !std::mem::take(&mut first) {
                    w.out.push(b',');
                }
                let text = scratch
                    .get(from - start..to - start)
                    .ok_or_else(|| err("an entry out of range"))?;
                w.out.extend_from_slice(text);
            }
            w.scratch = scratch;
        }
        w.out.push(b'}');
        w.keys.truncate(keys_start);
        Ok(w)
    }
}

/// A map key as `to_value` writes it, for the kinds of keys written without a [`Value`]: a
/// string as it is, an integer or a boolean as text. Anything else is `Unsupported`, and
/// then asked of `to_value`.
struct KeyText<'a>(&'a mut String);

/// Not a key [`KeyText`] writes (not an error of the output).
#[derive(Debug)]
struct Unsupported;

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("unsupported key")
    }
}

impl std::error::Error for Unsupported {}

impl ser::Error for Unsupported {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Unsupported
    }
}

impl KeyText<'_> {
    fn int(self, v: impl itoa::Integer) -> Result<(), Unsupported> {
        self.0.push_str(itoa::Buffer::new().format(v));
        Ok(())
    }
}

impl ser::Serializer for KeyText<'_> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = ser::Impossible<(), Unsupported>;
    type SerializeTuple = ser::Impossible<(), Unsupported>;
    type SerializeTupleStruct = ser::Impossible<(), Unsupported>;
    type SerializeTupleVariant = ser::Impossible<(), Unsupported>;
    type SerializeMap = ser::Impossible<(), Unsupported>;
    type SerializeStruct = ser::Impossible<(), Unsupported>;
    type SerializeStructVariant = ser::Impossible<(), Unsupported>;

    fn serialize_str(self, v: &str) -> Result<(), Unsupported> {
        self.0.push_str(v);
        Ok(())
    }
    fn serialize_bool(self, v: bool) -> Result<(), Unsupported> {
        self.0.push_str(if v { "true" } else { "false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Unsupported> {
        self.int(v)
    }
    fn serialize_i16(self, v: i16) -> Result<(), Unsupported> {
        self.int(v)
    }
    fn serialize_i32(self, v: i32) -> Result<(), Unsupported> {
        self.int(v)
    }
    fn serialize_i64(self, v: i64) -> Result<(), Unsupported> {
        self.int(v)
    }
    fn serialize_u8(self, v: u8) -> Result<(), Unsupported> {
        self.int(v)
    }
    fn serialize_u16(self, v: u16) -> Result<(), Unsupported> {
        self.int(v)
    }
    fn serialize_u32(self, v: u32) -> Result<(), Unsupported> {
        self.int(v)
    }
    fn serialize_u64(self, v: u64) -> Result<(), Unsupported> {
        self.int(v)
    }
    fn serialize_f32(self, _: f32) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_f64(self, _: f64) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_char(self, _: char) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_none(self) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_unit(self) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Unsupported> {
        Err(Unsupported)
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
        self.entry(Key::Static(key), v)
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
        let keys = &mut self.w.keys;
        let from = keys.len();
        if key.serialize(KeyText(keys)).is_err() {
            keys.truncate(from);
            match serde_json::to_value(key)? {
                Value::String(s) => keys.push_str(&s),
                Value::Number(n) if n.is_i64() || n.is_u64() => keys.push_str(&n.to_string()),
                Value::Bool(b) => keys.push_str(if b { "true" } else { "false" }),
                _ => return Err(err("a map key that is not a string or an integer")),
            }
        }
        self.key = Some(Key::Buf(from, keys.len()));
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// `write_str` writes `serde_json`'s bytes for every byte value at every position of
    /// an eight-byte chunk and of the tail, and for keys that need escapes in a map.
    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        for len in 1..=19 {
            for at in 0..len {
                for b in 0u8..=0x7f {
                    let mut bytes = vec![b'a'; len];
                    if let Some(x) = bytes.get_mut(at) {
                        *x = b;
                    }
                    let s = String::from_utf8(bytes).unwrap();
                    let mut out = Vec::new();
                    write_str(&mut out, &s).unwrap();
                    assert_eq!(out, serde_json::to_vec(&s).unwrap(), "{s:?}");
                }
            }
        }
        for s in ["", "é\u{7}\"\\", "\u{2028}\u{7f}", "ü"] {
            let mut out = Vec::new();
            write_str(&mut out, s).unwrap();
            assert_eq!(out, serde_json::to_vec(s).unwrap(), "{s:?}");
        }
        let map: std::collections::BTreeMap<String, Value> = [
            ("b\n", Value::from(1)),
            ("a\"", Value::from("x\ty")),
            ("", Value::Null),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let value = serde_json::to_value(&map).unwrap();
        assert_eq!(
            sorted_json(&map, false).unwrap(),
            serde_json::to_vec(&value).unwrap()
        );
    }
}
