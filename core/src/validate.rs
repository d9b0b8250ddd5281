//! User validation: is this user record (and its password) acceptable under the policy?
//!
//! [`validate_user`] reports every violation at once, each with a stable code, a path,
//! a severity and a message in the requested language. What a pure function cannot know
//! (is this email already taken? does this organisation exist?) it asks for: the decision
//! lists the [`Check`]s it needs, with the normalised keys to look up, and takes their
//! answers as [`ValidationFacts`] on the next call.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::checks::date::Date;
use crate::checks::email::{EmailOptions, normalize_email};
use crate::checks::phone::{PhoneOptions, normalize_phone};
use crate::checks::text;
use crate::messages::Lang;
use crate::password::{self, ChecklistItem, PasswordContext};
use crate::policy::{
    CompiledField, Condition, EmailStyle, FieldType, Mode, Policy, Suggestion, type_name,
};
use crate::violation::{Code, Issue, Path, Severity, Violation};

mod record;

use record::Record;
pub use record::RecordJsonError;
pub(crate) use record::{PerField, Raw, no_slots};

/// Answers to the checks a previous decision asked for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ValidationFacts {
    /// Uniqueness answers by check id (`email_unique`).
    #[serde(default)]
    pub unique: BTreeMap<String, UniqueFact>,
    /// Existence answers by check id (`organization_exists`).
    #[serde(default)]
    pub exists: BTreeMap<String, bool>,
}

/// The answer to a uniqueness check.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UniqueFact {
    /// The key the answer is about; when given and different from the record's key, the
    /// answer is stale and ignored (the check stays unanswered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Whether another account already uses the key.
    pub taken: bool,
    /// The id of that account, to link to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub existing_id: Option<String>,
    /// The status of that account (`active`, `inactive`, ...), which decides the suggestion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub existing_status: Option<String>,
}

/// Everything a validation call needs besides the policy and the record.
#[derive(Debug, Clone, Copy)]
pub struct ValidationContext<'a> {
    /// What the record is validated for.
    pub mode: Mode,
    /// Today's date, for ages and past dates (Warden has no clock).
    pub today: Date,
    /// The language of messages.
    pub lang: Lang,
    /// Answers to checks.
    pub facts: &'a ValidationFacts,
    /// The account uses multi-factor authentication (NIST allows shorter passwords).
    pub mfa: bool,
}

/// The kind of a [`Check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum CheckKind {
    /// Is the key already used by another account?
    Unique,
    /// Does the referenced entity exist?
    Exists,
}

/// The scope of a uniqueness check (`employeeId` unique within `organization`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Within {
    /// The scoping field.
    pub field: String,
    /// Its normalised value in this record.
    pub value: String,
}

/// A question validation cannot answer itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Check {
    /// The check id, the key of its answer in [`ValidationFacts`].
    pub check: Arc<str>,
    /// What is asked.
    pub kind: CheckKind,
    /// The field it is about.
    pub field: Arc<str>,
    /// The normalised key to look up (emails lower-cased, phones in E.164).
    pub key: String,
    /// For scoped uniqueness, the scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<Within>,
    /// Whether the facts answered it.
    pub answered: bool,
}

/// What a password check contributes to a decision: never the password itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct PasswordSummary {
    /// Strength for a meter, 0 (very weak) to 4 (strong).
    pub score: u8,
    /// Every rule the policy enforces, met or not.
    pub checklist: Vec<ChecklistItem>,
}

/// The outcome of validating one user record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ValidationDecision {
    /// No violation of severity error (warnings do not count).
    pub valid: bool,
    /// Every check was answered; a server must not accept a record that is not complete.
    pub complete: bool,
    /// The hash of the policy the record was checked against.
    pub policy: Arc<str>,
    /// Every violation, errors and warnings, in schema order.
    pub violations: Vec<Violation>,
    /// The checks the decision needs, answered or not.
    pub checks: Vec<Check>,
    /// The record as it would be stored: normalised values and derived fields; never the
    /// password.
    pub normalized: Map<String, Value>,
    /// The password's strength and checklist, when the record carried one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<PasswordSummary>,
}

impl ValidationDecision {
    /// The violations of severity error.
    pub fn errors(&self) -> impl Iterator<Item = &Violation> {
        self.violations
            .iter()
            .filter(|v| v.severity == Severity::Error)
    }

    /// The violations of severity warning.
    pub fn warnings(&self) -> impl Iterator<Item = &Violation> {
        self.violations
            .iter()
            .filter(|v| v.severity == Severity::Warning)
    }

    /// Whether the record may be stored: valid and complete.
    pub fn accepted(&self) -> bool {
        self.valid && self.complete
    }
}

/// The verdict on one user record without the record as it would be stored: what
/// [`validate_verdict`] returns, for callers that only need to know whether a record passes
/// and why not (bulk imports, batch checks).
///
/// Its fields are exactly those of the [`ValidationDecision`] the same call to
/// [`validate_user`] returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidationVerdict {
    /// No violation of severity error (warnings do not count).
    pub valid: bool,
    /// Every check was answered.
    pub complete: bool,
    /// Every violation, errors and warnings, in schema order.
    pub violations: Vec<Violation>,
    /// The checks the decision needs, answered or not.
    pub checks: Vec<Check>,
    /// The password's strength and checklist, when the record carried one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<PasswordSummary>,
}

impl ValidationVerdict {
    /// Whether the record may be stored: valid and complete.
    pub fn accepted(&self) -> bool {
        self.valid && self.complete
    }
}

/// A field's value as it would be stored, borrowed from the record or the policy when
/// normalisation changed nothing (the common case), so that a verdict allocates nothing
/// for a clean record.
#[derive(Debug, Default)]
enum Slot<'a> {
    #[default]
    Unset,
    Null,
    Bool(bool),
    Text(Cow<'a, str>),
}

/// What validation knows of one field of the schema.
#[derive(Default)]
struct FieldState<'a> {
    /// The value as it would be stored.
    stored: Slot<'a>,
    /// Set by a derivation after the fields were checked (it comes last in the stored
    /// record's key order).
    derived: bool,
}

struct Out<'a> {
    lang: Lang,
    violations: Vec<Violation>,
    checks: Vec<Check>,
    /// The fields, by schema position.
    fields: PerField<FieldState<'a>>,
    password: Option<PasswordSummary>,
    policy: &'a Policy,
}

impl<'a> Out<'a> {
    fn push(&mut self, field: &str, severity: Severity, issue: Issue) {
        self.push_at(Path::key(field), severity, issue);
    }
    /// Renders `issue` at `path`: the tenant rule's own message, else the policy's template
    /// for the code and language, else the catalogue's.
    fn push_at(&mut self, path: Path, severity: Severity, mut issue: Issue) {
        if issue.custom_message.is_none()
            && let Some(t) = self.policy.message_template(self.lang, issue.code)
        {
            issue.custom_message = Some(crate::messages::render_with(
                issue.code,
                &issue.params,
                self.lang,
                Some(t),
            ));
        }
        self.violations.push(issue.at(path, severity, self.lang));
    }
    fn error(&mut self, field: &str, issue: Issue) {
        self.push(field, Severity::Error, issue);
    }
    fn set(&mut self, position: usize, value: Slot<'a>) {
        if let Some(f) = self.fields.get_mut(position) {
            f.stored = value;
        }
    }
    fn stored(&self, position: usize) -> Option<&Slot<'a>> {
        self.fields.get(position).map(|f| &f.stored)
    }
    /// The stored text of a field, if it has one.
    fn text(&self, name: &str) -> Option<&str> {
        match self
            .policy
            .field_position(name)
            .and_then(|i| self.stored(i))
        {
            Some(Slot::Text(t)) => Some(t),
            _ => None,
        }
    }
    /// The stored record: the checked fields in schema order, then the derived ones
    /// ([`STORED_PASSES`]; the values are moved out, not copied).
    fn stored_record(&mut self) -> Map<String, Value> {
        let mut map = Map::new();
        for late in STORED_PASSES {
            for (f, field) in self.fields.iter_mut().zip(self.policy.fields()) {
                if f.derived != late {
                    continue;
                }
                let value = match std::mem::take(&mut f.stored) {
                    Slot::Unset => continue,
                    Slot::Null => Value::Null,
                    Slot::Bool(b) => Value::Bool(b),
                    Slot::Text(t) => Value::String(t.into_owned()),
                };
                map.insert(field.name.clone(), value);
            }
        }
        map
    }
}

/// The passes over a record's fields that give a stored record its order (the order a
/// [`Map`] built with `preserve_order` keeps): the checked fields (`derived` false) in
/// schema order, then the derived ones.
const STORED_PASSES: [bool; 2] = [false, true];

/// The positions of a stored record's fields, in [`STORED_PASSES`] order.
fn stored_order<'s>(fields: &'s [FieldState<'_>]) -> impl Iterator<Item = usize> + 's {
    STORED_PASSES.into_iter().flat_map(move |late| {
        fields
            .iter()
            .enumerate()
            .filter(move |(_, f)| f.derived == late)
            .map(|(i, _)| i)
    })
}

/// A value of a stored record, as [`ValidationDecision::normalized`] would hold it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredValue<'r> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A text (normalised).
    Text(&'r str),
}

impl StoredValue<'_> {
    /// The value as the decision's map holds it.
    pub fn to_value(self) -> Value {
        match self {
            StoredValue::Null => Value::Null,
            StoredValue::Bool(b) => Value::Bool(b),
            StoredValue::Text(t) => Value::String(t.to_owned()),
        }
    }
}

/// The record as it would be stored, read where validation left it: what
/// [`ValidationDecision::normalized`] holds, without building the map. For a caller that
/// writes a decision out (as JSON text, as a JS object) instead of keeping it; see
/// [`validate_user_json_with`].
#[derive(Clone, Copy)]
pub struct StoredRecord<'r> {
    policy: &'r Policy,
    fields: &'r [FieldState<'r>],
}

impl std::fmt::Debug for StoredRecord<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<'r> StoredRecord<'r> {
    /// The stored value of the schema's field at `position`, `None` when the record
    /// stores nothing for it.
    fn get(&self, position: usize) -> Option<StoredValue<'r>> {
        match &self.fields.get(position)?.stored {
            Slot::Unset => None,
            Slot::Null => Some(StoredValue::Null),
            Slot::Bool(b) => Some(StoredValue::Bool(*b)),
            Slot::Text(t) => Some(StoredValue::Text(t)),
        }
    }

    /// The stored fields by name, in the order the decision's map is built (the checked
    /// fields in schema order, then the derived ones).
    pub fn iter(&self) -> impl Iterator<Item = (&'r str, StoredValue<'r>)> + '_ {
        stored_order(self.fields)
            .filter_map(|i| Some((self.policy.fields().get(i)?.name.as_str(), self.get(i)?)))
    }

    /// The stored fields by schema position (the order of the policy document's `fields`),
    /// in the order of [`StoredRecord::iter`]: for a caller that keeps its own table by
    /// field and would otherwise look each name up.
    pub fn by_position(&self) -> impl Iterator<Item = (usize, StoredValue<'r>)> + '_ {
        stored_order(self.fields).filter_map(|i| Some((i, self.get(i)?)))
    }

    /// The map [`ValidationDecision::normalized`] holds.
    pub fn to_map(&self) -> Map<String, Value> {
        self.iter()
            .map(|(name, v)| (name.to_owned(), v.to_value()))
            .collect()
    }
}

/// Is `v` blank: absent, null, or a string of white space only?
fn is_blank(v: Option<Raw<'_>>) -> bool {
    match v {
        None | Some(Raw::Null) => true,
        Some(Raw::Str(s)) => text::trim(s).is_empty(),
        Some(_) => false,
    }
}

/// The key a uniqueness check looks up for a stored (normalised) value: the value in lower
/// case and in Unicode's canonical composition (NFC), so that uniqueness is
/// case-insensitive for every field (emails, usernames, employee ids) and two spellings of
/// one text (`é` as one code point, or `e` and a combining accent) are one key. Callers
/// answering checks from their own data compare with this.
pub fn unique_key(stored: &str) -> String {
    if stored.is_ascii() {
        return stored.to_ascii_lowercase();
    }
    // Lower-casing a composed text can leave it uncomposed (a capital whose lower case
    // is a letter and a combining mark): composed again after.
    crate::unicode::nfc(&crate::unicode::nfc(stored).to_lowercase())
}

/// Does the condition hold for this record and mode?
fn condition_holds(c: &Condition, record: &Record<'_>, mode: Mode) -> bool {
    condition_holds_by(c, Some(mode), |f| record.get(f))
}

/// Does the condition hold, reading fields through `get`? A clause on the operation's
/// mode fails when there is no mode (group rules are not about an operation).
pub(crate) fn condition_holds_by<'v>(
    c: &Condition,
    mode: Option<Mode>,
    get: impl Fn(&str) -> Option<Raw<'v>>,
) -> bool {
    if let Some(modes) = &c.mode
        && !mode.is_some_and(|m| modes.contains(&m))
    {
        return false;
    }
    let Some(field) = &c.field else {
        return true;
    };
    let v = get(field);
    if let Some(present) = c.present
        && is_blank(v) == present
    {
        return false;
    }
    if let Some(values) = &c.one_of {
        let matches = match v {
            // A blank value is an absent one, as `required` and `present` read it: a
            // `sendActivationEmail` of `""` is no more a `true` than a missing one is. A
            // list naming `null` or a blank text takes it.
            _ if is_blank(v) => values.iter().any(|x| match x {
                Value::Null => true,
                Value::String(s) => text::trim(s).is_empty(),
                _ => false,
            }),
            Some(Raw::Str(s)) => {
                let s = s.trim();
                values
                    .iter()
                    .any(|x| x.as_str().is_some_and(|x| x.trim().eq_ignore_ascii_case(s)))
            }
            Some(other) => values.iter().any(|x| other.equals(x)),
            None => values.contains(&Value::Null),
        };
        if !matches {
            return false;
        }
    }
    true
}

/// Validates one user record.
///
/// Never fails: every problem with the record is a violation in the decision. The record's
/// password, if any, is checked but never copied into the decision.
pub fn validate_user(
    policy: &Policy,
    record: &Map<String, Value>,
    ctx: &ValidationContext<'_>,
) -> ValidationDecision {
    decide(policy, &Record::of_map(policy, record), ctx)
}

/// Validates one user record given as JSON text (one object), like [`validate_user`] on the
/// same text parsed into a [`Map`]: the same decision, without building the map. The values
/// are read straight into the policy's fields (strings stay borrowed from the text), so
/// this is the faster way for a caller that holds the record as text (a request body, a line
/// of an import).
///
/// Keys that are not fields of the schema are reported (under `unknownFields`) in key order,
/// each once, as a [`Map`] iterates them. An object that names a key twice, at any depth, is
/// refused ([`crate::json`]: which value counts would be up to each reader).
///
/// # Errors
/// [`RecordJsonError`] when `json` is not one JSON object, or names a key twice (the error
/// never quotes the text; it names the key).
pub fn validate_user_json(
    policy: &Policy,
    json: &[u8],
    ctx: &ValidationContext<'_>,
) -> Result<ValidationDecision, RecordJsonError> {
    with_json_record(policy, json, |policy, record, _| {
        decide(policy, record, ctx)
    })
}

/// Reads `json` into the policy's slots, kept on this frame (never moved), and hands `then`
/// the record and how many keys the object had (duplicates included).
fn with_json_record<R>(
    policy: &Policy,
    json: &[u8],
    then: impl for<'a> FnOnce(&'a Policy, &Record<'a>, usize) -> R,
) -> Result<R, RecordJsonError> {
    let mut slots = record::TextSlots::new();
    slots.resize_with(policy.fields().len(), || None);
    let keys = record::parse(policy, json, &mut slots)?;
    let record = Record::of_parsed(policy, &slots, &keys.unknown);
    Ok(then(policy, &record, keys.count))
}

/// [`validate_user_json`] for the JSON entry point, which refuses records of more than
/// `max_keys` keys: `Ok(None)` when the object has more keys than that, duplicates counted
/// (the caller then asks the [`Map`] path, which counts distinct keys and words the error).
pub(crate) fn validate_user_json_within(
    policy: &Policy,
    json: &[u8],
    ctx: &ValidationContext<'_>,
    max_keys: usize,
) -> Result<Option<ValidationDecision>, RecordJsonError> {
    with_json_record(policy, json, |policy, record, keys| {
        (keys <= max_keys).then(|| decide(policy, record, ctx))
    })
}

/// [`validate_user_json`], handing the verdict and the stored record, read in place, to
/// `then` instead of building a [`ValidationDecision`]: the same decision, for a caller
/// that writes it out rather than keeps it (the wasm package builds its JS object from
/// it). `then` gets what the decision would hold: [`StoredRecord::to_map`] is its
/// `normalized`, and its `policy` is `policy`'s hash.
///
/// # Errors
/// As [`validate_user_json`].
pub fn validate_user_json_with<R>(
    policy: &Policy,
    json: &[u8],
    ctx: &ValidationContext<'_>,
    then: impl FnOnce(ValidationVerdict, StoredRecord<'_>) -> R,
) -> Result<R, RecordJsonError> {
    with_json_record(policy, json, |policy, record, _| {
        decide_with(policy, record, ctx, then)
    })
}

/// [`validate_user_json_with`] for a record given as its values by schema position
/// instead of as text: `value_at(i)` is the value of the schema's `i`-th field (in the
/// order of the policy document's `fields`), `None` where the record has no such key. A
/// record given this way has no key outside the schema. For a caller that reads a record
/// field by field (the wasm package reads a plain JS object's own properties): no JSON text
/// written and read back. The decision is the one the record's JSON text gives
/// (`core/tests/record_text.rs` holds the two equal over the conformance vectors).
///
/// `value_at` is asked once per field, in schema order.
pub fn validate_user_values_with<'v, R>(
    policy: &Policy,
    value_at: impl FnMut(usize) -> Option<StoredValue<'v>>,
    ctx: &ValidationContext<'_>,
    then: impl FnOnce(ValidationVerdict, StoredRecord<'_>) -> R,
) -> R {
    let slots: PerField<Option<Raw<'v>>> = (0..policy.fields().len())
        .map(value_at)
        .map(|v| v.map(Raw::from))
        .collect();
    decide_with(
        policy,
        &Record::of_slots(policy, &slots, Vec::new()),
        ctx,
        then,
    )
}

/// [`validate_user_json_with`] within `max_keys` keys, as [`validate_user_json_within`].
pub(crate) fn validate_user_json_within_with<R>(
    policy: &Policy,
    json: &[u8],
    ctx: &ValidationContext<'_>,
    max_keys: usize,
    then: impl FnOnce(ValidationVerdict, StoredRecord<'_>) -> R,
) -> Result<Option<R>, RecordJsonError> {
    with_json_record(policy, json, |policy, record, keys| {
        (keys <= max_keys).then(|| decide_with(policy, record, ctx, then))
    })
}

fn decide_with<'a, R>(
    policy: &'a Policy,
    record: &Record<'a>,
    ctx: &ValidationContext<'_>,
    then: impl FnOnce(ValidationVerdict, StoredRecord<'_>) -> R,
) -> R {
    run_with(policy, record, ctx, None, |out| {
        let verdict = out.verdict();
        then(
            verdict,
            StoredRecord {
                policy,
                fields: &out.fields,
            },
        )
    })
}

fn decide<'a>(
    policy: &'a Policy,
    record: &Record<'a>,
    ctx: &ValidationContext<'_>,
) -> ValidationDecision {
    run_with(policy, record, ctx, None, Out::decision)
}

/// Validates one user record like [`validate_user`], without building the record as it
/// would be stored.
///
/// Same rules, same violations, same checks: only the `normalized` record (and the policy
/// hash) of the decision are left out, which makes a clean record allocation-free. Use it
/// where only the verdict matters: bulk imports, batch checks, a pre-flight before a full
/// decision.
pub fn validate_verdict(
    policy: &Policy,
    record: &Map<String, Value>,
    ctx: &ValidationContext<'_>,
) -> ValidationVerdict {
    verdict_of(policy, &Record::of_map(policy, record), ctx)
}

/// [`validate_verdict`] of a record given as its values by schema position (`slots`, as
/// long as the schema) and the keys that are not fields of the schema: what a CSV row is,
/// once its columns are mapped, with no map built per row.
pub(crate) fn verdict_of_slots<'a>(
    policy: &'a Policy,
    slots: &'a [Option<Raw<'a>>],
    unknown: Vec<&'a str>,
    ctx: &ValidationContext<'_>,
) -> ValidationVerdict {
    verdict_of(policy, &Record::of_slots(policy, slots, unknown), ctx)
}

/// Validates one user record given as JSON text, like [`validate_verdict`] on the same text
/// parsed into a [`Map`] (see [`validate_user_json`] for how the text is read): the verdict
/// of a record as a server or an import receives it, with no map in between.
///
/// # Errors
/// [`RecordJsonError`] when `json` is not one JSON object (the error never quotes the text).
pub fn validate_verdict_json(
    policy: &Policy,
    json: &[u8],
    ctx: &ValidationContext<'_>,
) -> Result<ValidationVerdict, RecordJsonError> {
    with_json_record(policy, json, |policy, record, _| {
        verdict_of(policy, record, ctx)
    })
}

/// Validates one field of a user record, for a form's keystrokes: the same rules as
/// [`validate_user`] (one implementation), run only for `field` and for the fields its
/// cross-field rules read, and reporting only what is at `field`: its violations (the
/// tenant rules, derivation, naming convention and generic-data advice about it included),
/// its checks, its stored value in `normalized`, and the password summary when `field` is
/// the password.
///
/// `record` is the whole record as the form holds it: conditions (`requiredWhen`, `minAge`
/// `when`), the password's similarity to the user's data and the naming convention read
/// the other fields from it. Rules reported at *another* field that depend on this one (a
/// `requiredWhen` naming it) are that other field's: validate it too when this one changes.
///
/// # Errors
/// [`UnknownSchemaField`] when `field` is not a field of the policy's schema.
pub fn validate_field(
    policy: &Policy,
    record: &Map<String, Value>,
    field: &str,
    ctx: &ValidationContext<'_>,
) -> Result<ValidationDecision, UnknownSchemaField> {
    let Some(position) = policy.field_position(field) else {
        return Err(UnknownSchemaField {
            field: field.chars().take(128).collect(),
            closest: closest_field(policy, field),
        });
    };
    let record = Record::of_map(policy, record);
    Ok(run_with(
        policy,
        &record,
        ctx,
        Some(position),
        Out::decision,
    ))
}

/// The error of [`validate_field`]: the field is not part of the policy's schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}` is not a field of the policy's schema")]
pub struct UnknownSchemaField {
    /// The name asked for (at most 128 characters of it).
    pub field: String,
    /// The closest field of the schema, if one is close.
    pub closest: Option<String>,
}

impl Out<'_> {
    /// What was found, taken out of `self` (which is not used after).
    fn verdict(&mut self) -> ValidationVerdict {
        ValidationVerdict {
            valid: !self
                .violations
                .iter()
                .any(|v| v.severity == Severity::Error),
            complete: self.checks.iter().all(|c| c.answered),
            violations: std::mem::take(&mut self.violations),
            checks: std::mem::take(&mut self.checks),
            password: self.password.take(),
        }
    }

    /// The verdict with the stored record and the policy's hash.
    fn decision(&mut self) -> ValidationDecision {
        let normalized = self.stored_record();
        let verdict = self.verdict();
        ValidationDecision {
            valid: verdict.valid,
            complete: verdict.complete,
            policy: self.policy.hash_arc(),
            violations: verdict.violations,
            checks: verdict.checks,
            normalized,
            password: verdict.password,
        }
    }
}

/// The verdict of the whole record.
fn verdict_of<'a>(
    policy: &'a Policy,
    record: &Record<'a>,
    ctx: &ValidationContext<'_>,
) -> ValidationVerdict {
    run_with(policy, record, ctx, None, Out::verdict)
}

/// Runs [`run_scoped`] into an [`Out`] on this frame and hands it to `then`: the per-field
/// state lives inline in `Out` (up to 16 fields), and is never moved.
fn run_with<'a, R>(
    policy: &'a Policy,
    record: &Record<'a>,
    ctx: &ValidationContext<'_>,
    only: Option<usize>,
    then: impl FnOnce(&mut Out<'a>) -> R,
) -> R {
    let mut out = Out {
        lang: ctx.lang,
        violations: Vec::new(),
        checks: Vec::new(),
        fields: PerField::new(),
        password: None,
        policy,
    };
    out.fields
        .resize_with(policy.fields().len(), FieldState::default);
    run_scoped(policy, record, ctx, only, &mut out);
    then(&mut out)
}

/// The fields a validation of the field at `position` checks: itself, and the fields its
/// cross-field rules read as stored values (the naming convention of `email` reads the
/// stored `firstName` and `lastName`).
fn scope_fields(policy: &Policy, position: usize) -> Vec<usize> {
    let mut fields = vec![position];
    let is_email = policy
        .fields()
        .get(position)
        .is_some_and(|f| f.name == "email");
    if is_email && policy.document().email_convention.is_some() {
        fields.extend(
            ["firstName", "lastName"]
                .iter()
                .filter_map(|n| policy.field_position(n)),
        );
    }
    fields
}

/// Validation of the whole record (`only` is `None`) or of the field at position `only`:
/// the same rules, run for that field and the fields it reads, keeping only what is
/// reported at it.
fn run_scoped<'a>(
    policy: &'a Policy,
    record: &Record<'a>,
    ctx: &ValidationContext<'_>,
    only: Option<usize>,
    out: &mut Out<'a>,
) {
    let scope = only.map(|p| scope_fields(policy, p));
    let in_scope = |position: usize| scope.as_ref().is_none_or(|s| s.contains(&position));
    let target: Option<&'a str> =
        only.and_then(|p| policy.fields().get(p).map(|f| f.name.as_str()));
    let about = |field: &str| target.is_none_or(|t| t == field);
    let doc = policy.document();

    // Unknown fields are reported first: a typo in a key is the most likely cause of a
    // "required" error. (The record keeps them only when the policy reports them.)
    if only.is_none() && !record.unknown().is_empty() {
        report_unknown(policy, record, ctx, out);
    }

    for (position, field) in policy.fields().iter().enumerate() {
        if in_scope(position) {
            check_field(position, field, record, ctx, out);
        }
    }
    derive_fields(policy, record, out, only);
    if let Some(conv) = &doc.email_convention
        && about("email")
    {
        check_email_convention(conv, record, out);
    }
    if let Some(g) = &doc.generic_data {
        check_generic(g, record, out, target);
    }
    for rule in policy.rules() {
        if !about(&rule.spec.field) {
            continue;
        }
        let Some(matched) = out.text(&rule.spec.field).map(|v| rule.regex.is_match(v)) else {
            continue;
        };
        if matched != rule.spec.must_match {
            let mut issue = Issue::new(Code::PatternMismatch).with("rule", rule.spec.id.as_str());
            issue.custom_message = rule.spec.message.get(ctx.lang.as_str()).cloned();
            out.push(&rule.spec.field, rule.spec.severity, issue);
        }
    }
    if let Some(t) = target {
        // The fields read for the target's rules are not reported, nor stored.
        out.violations.retain(|v| v.path.field() == Some(t));
        out.checks.retain(|c| &*c.field == t);
        for (position, f) in out.fields.iter_mut().enumerate() {
            if Some(position) != only {
                f.stored = Slot::Unset;
            }
        }
    }
}

/// Reports the record's unknown fields, each with the closest field's name. Out of line: a
/// cold path, kept out of [`run_scoped`], whose shape decides how well V8 compiles the
/// validation in the Node package. With this block inlined there, the 100,000-row import
/// of BENCHMARKS.md §3 took 35% longer in Node after changes elsewhere in the kernel
/// (47 -> 63 ms, the same rows, no unknown field among them); out of line, 47 ms again.
#[cold]
#[inline(never)]
fn report_unknown<'a>(
    policy: &'a Policy,
    record: &Record<'a>,
    ctx: &ValidationContext<'_>,
    out: &mut Out<'a>,
) {
    let doc = policy.document();
    for key in record.unknown() {
        // An import's roles and groups columns are the account's, not the record's.
        let assigned = ctx.mode == crate::policy::Mode::Import
            && crate::import::assignment_key(policy, key) == Some(key);
        if !assigned {
            let severity = if doc.unknown_fields == crate::policy::UnknownFields::Warn {
                Severity::Warning
            } else {
                Severity::Error
            };
            let mut issue = Issue::new(Code::UnknownField);
            if let Some(best) = closest_field(policy, key) {
                issue = issue.with("didYouMean", best);
            }
            out.push_at(
                Path::key(key.chars().take(128).collect::<String>()),
                severity,
                issue,
            );
        }
    }
}

fn closest_field(policy: &Policy, key: &str) -> Option<String> {
    crate::util::closest(key, policy.fields().iter().map(|f| f.name.as_str()), 2).map(str::to_owned)
}

fn check_field<'a>(
    position: usize,
    field: &'a CompiledField,
    record: &Record<'a>,
    ctx: &ValidationContext<'_>,
    out: &mut Out<'a>,
) {
    let raw = record.at(position);
    if is_blank(raw) {
        check_blank(position, field, raw, record, ctx, out);
        return;
    }
    let Some(raw) = raw else { return };
    if field.spec.kind == FieldType::Boolean {
        check_boolean(position, field, raw, out);
        return;
    }
    let Raw::Str(s) = raw else {
        out.error(
            &field.name,
            Issue::new(Code::WrongType).with("expected", "string"),
        );
        return;
    };
    let errors_before = out.violations.len();
    if field.spec.kind == FieldType::Password {
        check_password_field(field, s, record, ctx, out);
        return;
    }
    if exceeds_hard_bound(field, s, out) {
        return;
    }
    let spec = &field.spec;
    let normalized = text::normalize(s, field.trim, spec.collapse_spaces, spec.case);
    check_text_length(field, &normalized, out);
    let Some(stored) = check_type(field, normalized, record, ctx, out) else {
        return;
    };
    check_pattern(field, &stored, out);
    if let Some((check, within)) = &field.unique {
        let key = unique_key(&stored);
        unique_check(field, check, within.as_deref(), key, record, ctx, out);
    }
    check_exists(field, &stored, ctx, out);
    // Only values that passed their field's rules are part of the stored record.
    if out.violations.len() == errors_before {
        out.set(position, Slot::Text(stored));
    }
}

/// A blank value (absent, null or empty): `Required` when the field is required here
/// (`required`, or `requiredWhen` holds) and neither keeps its value, accepts the null nor
/// is derived for this record; a null the field accepts is stored as null.
fn check_blank(
    position: usize,
    field: &CompiledField,
    raw: Option<Raw<'_>>,
    record: &Record<'_>,
    ctx: &ValidationContext<'_>,
    out: &mut Out<'_>,
) {
    let spec = &field.spec;
    let is_password = spec.kind == FieldType::Password;
    let keep = (spec.keep_if_blank_on_update && ctx.mode == Mode::Update)
        || (is_password && ctx.mode == Mode::Reactivate);
    let required = spec.required
        || spec
            .required_when
            .as_ref()
            .is_some_and(|c| condition_holds(c, record, ctx.mode));
    let null_ok = spec.nullable && matches!(raw, Some(Raw::Null));
    // A derived field the record's source gives a value for is filled by the derivation
    // (`derive_fields`): not missing.
    if required
        && !keep
        && !null_ok
        && (field.derivation.is_none() || derivation_of(field, record).is_none())
    {
        let mut issue = Issue::new(Code::Required);
        if let Some(c) = &spec.required_when
            && let Some(f) = &c.field
        {
            issue = issue.with("condition", f.as_str());
        }
        out.error(&field.name, issue);
    } else if null_ok && !is_password {
        out.set(position, Slot::Null);
    }
}

/// A `boolean` field: a JSON boolean, stored as is; anything else is `WrongType`.
fn check_boolean(position: usize, field: &CompiledField, raw: Raw<'_>, out: &mut Out<'_>) {
    match raw {
        Raw::Bool(b) => out.set(position, Slot::Bool(b)),
        _ => out.error(
            &field.name,
            Issue::new(Code::WrongType).with("expected", "boolean"),
        ),
    }
}

/// The hard bound before any work, on the string as given (a huge string costs nothing
/// more than its length check): past it, `TooLong` and nothing else is checked.
fn exceeds_hard_bound(field: &CompiledField, s: &str, out: &mut Out<'_>) -> bool {
    let bound = crate::policy::unread_bound(field.max_len);
    // A code point is at least one byte: a text no longer than the bound in bytes is not
    // counted.
    if s.len() <= bound {
        return false;
    }
    let len = text::code_points(s);
    if len > bound {
        out.error(
            &field.name,
            Issue::new(Code::TooLong)
                .with("max", field.max_len)
                .with("actual", len),
        );
        return true;
    }
    false
}

/// The normalised text: no prohibited characters, within `maxLength` (for an email only
/// when the tenant set one) and at least `minLength`.
fn check_text_length(field: &CompiledField, value: &str, out: &mut Out<'_>) {
    let name = field.name.as_str();
    let spec = &field.spec;
    // A code point is one to four bytes: the code points are counted only when the length
    // in bytes leaves a bound in doubt (twice only when it leaves both, for a maximum under
    // four times the minimum: rarer than a memo's cost on every field).
    let len = || text::code_points(value);
    let bad = text::prohibited_characters(value, spec.kind == FieldType::Name);
    if !bad.is_empty() {
        out.error(
            name,
            Issue::new(Code::ProhibitedCharacters).with("characters", bad),
        );
    }
    // An email's length limits are RFC 5321's, checked (in octets) by the email parser;
    // the generic limit applies only when the tenant set a stricter one.
    let generic_max = spec.kind != FieldType::Email || spec.max_length.is_some();
    if generic_max
        && value.len() > field.max_len
        && let len = len()
        && len > field.max_len
    {
        out.error(
            name,
            Issue::new(Code::TooLong)
                .with("max", field.max_len)
                .with("actual", len),
        );
    }
    if let Some(min) = spec.min_length
        && value.len() < (min as usize).saturating_mul(4)
        && let len = len()
        && len < min as usize
    {
        out.error(
            name,
            Issue::new(Code::TooShort)
                .with("min", min)
                .with("actual", len),
        );
    }
}

/// The rules of the field's type, on the normalised text: the value to store, or `None`
/// when the type's rule failed (its error reported, nothing more to check).
fn check_type<'a>(
    field: &'a CompiledField,
    normalized: Cow<'a, str>,
    record: &Record<'_>,
    ctx: &ValidationContext<'_>,
    out: &mut Out<'_>,
) -> Option<Cow<'a, str>> {
    match field.spec.kind {
        FieldType::Email => check_email(field, &normalized, out),
        FieldType::Phone => check_phone(field, &normalized, out),
        FieldType::Date => check_date(field, &normalized, record, ctx, out),
        FieldType::Enum => check_enum(field, &normalized, out),
        FieldType::Url => check_url(field, &normalized, out).then_some(normalized),
        _ => Some(normalized),
    }
}

/// An `email` field: a valid address, stored normalised (lower-cased domain, A-labels).
fn check_email<'a>(
    field: &CompiledField,
    normalized: &Cow<'a, str>,
    out: &mut Out<'_>,
) -> Option<Cow<'a, str>> {
    let opts = EmailOptions {
        allow_idn: field.spec.idn,
    };
    match reborrow(normalized, |v| normalize_email(v, opts)) {
        Ok(address) => Some(address),
        Err(issue) => {
            out.error(&field.name, issue);
            None
        }
    }
}

/// A `phone` field: a valid number, stored in E.164.
fn check_phone<'a>(
    field: &CompiledField,
    normalized: &Cow<'a, str>,
    out: &mut Out<'_>,
) -> Option<Cow<'a, str>> {
    let opts = PhoneOptions {
        default_country_code: field.spec.default_country_code.clone(),
    };
    match reborrow(normalized, |v| normalize_phone(v, &opts)) {
        Ok(p) => Some(p),
        Err(issue) => {
            out.error(&field.name, issue);
            None
        }
    }
}

/// A `date` field: a valid date (else `InvalidDate`), in the past when `past` is set, the
/// minimum ages met; stored in ISO form.
fn check_date<'a>(
    field: &CompiledField,
    value: &str,
    record: &Record<'_>,
    ctx: &ValidationContext<'_>,
    out: &mut Out<'_>,
) -> Option<Cow<'a, str>> {
    let Ok(d) = Date::parse(value) else {
        out.error(&field.name, Issue::new(Code::InvalidDate));
        return None;
    };
    if field.spec.past && d >= ctx.today {
        out.error(
            &field.name,
            Issue::new(Code::DateNotInPast).with("today", ctx.today.to_string()),
        );
    }
    check_min_age(field, d, record, ctx, out);
    Some(Cow::Owned(d.to_string()))
}

/// `minAge`: each rule whose condition holds (or that has none) is met on `today`, else
/// `TooYoung` (naming the condition's field and value).
fn check_min_age(
    field: &CompiledField,
    d: Date,
    record: &Record<'_>,
    ctx: &ValidationContext<'_>,
    out: &mut Out<'_>,
) {
    for rule in &field.spec.min_age {
        if rule
            .when
            .as_ref()
            .is_none_or(|c| condition_holds(c, record, ctx.mode))
        {
            let age = d.age_on(ctx.today);
            if age < rule.years {
                let mut issue = Issue::new(Code::TooYoung)
                    .with("minAge", rule.years)
                    .with("age", age);
                if let Some(f) = rule.when.as_ref().and_then(|c| c.field.as_deref())
                    && let Some(Raw::Str(v)) = record.get(f)
                {
                    issue = issue.with(f, v.trim());
                }
                out.error(&field.name, issue);
            }
        }
    }
}

/// An `enum` field: one of the values (case-insensitively), stored as the policy spells it.
fn check_enum<'a>(
    field: &'a CompiledField,
    value: &str,
    out: &mut Out<'_>,
) -> Option<Cow<'a, str>> {
    let spec = &field.spec;
    match spec.values.iter().find(|v| v.eq_ignore_ascii_case(value)) {
        Some(v) => Some(Cow::Borrowed(v.as_str())),
        None => {
            out.error(
                &field.name,
                Issue::new(Code::NotAllowed).with("allowed", spec.values.clone()),
            );
            None
        }
    }
}

/// A `url` field: `http://` or `https://`, then a host ([`is_url_host`]: labels as an
/// e-mail domain's, an IPv4 address, an IPv6 literal in brackets) with an optional port
/// from 1 to 65535, then anything without whitespace. No credentials (`user:pass@`): a
/// URL stored in a directory is shown to others.
///
/// [`is_url_host`]: crate::checks::email::is_url_host
fn check_url(field: &CompiledField, value: &str, out: &mut Out<'_>) -> bool {
    if !is_url(value) {
        out.error(
            &field.name,
            Issue::new(Code::InvalidFormat).with("format", "URL"),
        );
        return false;
    }
    true
}

/// Whether `value` is a URL as [`check_url`] takes it.
fn is_url(value: &str) -> bool {
    let scheme = value.get(..8).map(str::to_ascii_lowercase);
    let rest = match scheme.as_deref() {
        Some("https://") => value.get(8..),
        _ if value
            .get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("http://")) =>
        {
            value.get(7..)
        }
        _ => None,
    };
    let Some(rest) = rest else {
        return false;
    };
    if rest.contains(char::is_whitespace) {
        return false;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return false;
    }
    // The port follows the last `:` outside an IPv6 literal's brackets.
    let (host, port) = match authority.rfind(':') {
        Some(i) if !authority.get(i..).is_some_and(|t| t.contains(']')) => (
            authority.get(..i).unwrap_or_default(),
            authority.get(i + 1..),
        ),
        _ => (authority, None),
    };
    let port_ok = port.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 5
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|n| (1..=65_535).contains(&n))
    });
    port_ok && crate::checks::email::is_url_host(host)
}

/// `pattern`: the stored value matches it, else `InvalidFormat` (named by `format`, or by
/// the field's type).
fn check_pattern(field: &CompiledField, stored: &str, out: &mut Out<'_>) {
    let spec = &field.spec;
    if let Some(re) = &field.pattern
        && !re.is_match(stored)
    {
        let format = spec
            .format
            .clone()
            .unwrap_or_else(|| type_name(spec.kind).to_owned());
        out.error(
            &field.name,
            Issue::new(Code::InvalidFormat).with("format", format),
        );
    }
}

/// A `reference` field: asks whether the referenced entity exists (an `Exists` check),
/// and reports `UnknownReference` when the facts say it does not.
fn check_exists(
    field: &CompiledField,
    stored: &str,
    ctx: &ValidationContext<'_>,
    out: &mut Out<'_>,
) {
    let Some(check) = &field.exists_check else {
        return;
    };
    let answer = ctx.facts.exists.get(&**check).copied();
    if answer == Some(false) {
        out.error(
            &field.name,
            Issue::new(Code::UnknownReference)
                .with("check", &**check)
                .with("key", stored),
        );
    }
    out.checks.push(Check {
        check: Arc::clone(check),
        kind: CheckKind::Exists,
        field: Arc::clone(&field.name_arc),
        key: stored.to_string(),
        within: None,
        answered: answer.is_some(),
    });
}

/// Runs `f` on a normalised value, keeping what it returns borrowed from the record when
/// the value itself is.
fn reborrow<'a>(
    value: &Cow<'a, str>,
    f: impl for<'b> FnOnce(&'b str) -> Result<Cow<'b, str>, Issue>,
) -> Result<Cow<'a, str>, Issue> {
    match value {
        Cow::Borrowed(v) => f(v),
        Cow::Owned(v) => f(v).map(|c| Cow::Owned(c.into_owned())),
    }
}

fn unique_check(
    field: &CompiledField,
    check: &Arc<str>,
    within: Option<&str>,
    key: String,
    record: &Record<'_>,
    ctx: &ValidationContext<'_>,
    out: &mut Out<'_>,
) {
    let within = within.map(|w| Within {
        field: w.to_owned(),
        value: record.get(w).map(Raw::display).unwrap_or_default(),
    });
    let fact = ctx
        .facts
        .unique
        .get(&**check)
        .filter(|f| f.key.as_ref().is_none_or(|k| k.eq_ignore_ascii_case(&key)));
    if let Some(f) = fact
        && f.taken
    {
        let advice = &out.policy.document().duplicates;
        let mut issue = Issue::new(Code::Duplicate).with("check", &**check);
        if let Some(id) = &f.existing_id {
            issue = issue.with("existingId", id.as_str());
        }
        if let Some(status) = &f.existing_status {
            issue = issue.with("existingStatus", status.as_str());
            let suggestion = match status.as_str() {
                "inactive" => advice.inactive,
                "active" => advice.active,
                _ => None,
            };
            if let Some(s) = suggestion.map(Suggestion::as_str) {
                issue = issue.with("suggestion", s);
            }
        }
        out.error(&field.name, issue);
    }
    out.checks.push(Check {
        check: Arc::clone(check),
        kind: CheckKind::Unique,
        field: Arc::clone(&field.name_arc),
        key,
        within,
        answered: fact.is_some(),
    });
}

/// The user's own data a password must not resemble (`password_similar`): the non-empty
/// values of the record's name, email and identifier fields, trimmed.
fn own_data<'a>(policy: &'a Policy, record: &Record<'a>) -> Vec<(&'a str, &'a str)> {
    let mut attributes: Vec<(&str, &str)> = Vec::new();
    for (position, f) in policy.fields().iter().enumerate() {
        if matches!(
            f.spec.kind,
            FieldType::Name | FieldType::Email | FieldType::Identifier
        ) && let Some(Raw::Str(v)) = record.at(position)
            && !v.trim().is_empty()
        {
            attributes.push((f.name.as_str(), v.trim()));
        }
    }
    attributes
}

/// The [`PasswordContext`] a password of the user `record` is checked in, as validation
/// builds it for a create or an edit: the user's own data it must not resemble (the
/// record's name, email and identifier fields). For a password set outside validation (an
/// administrator's reset), so that it meets the same rules.
pub fn password_context<'a>(
    policy: &'a Policy,
    record: &'a Map<String, Value>,
    mfa: bool,
) -> PasswordContext<'a> {
    PasswordContext {
        attributes: own_data(policy, &Record::of_map(policy, record)),
        mfa,
    }
}

fn check_password_field(
    field: &CompiledField,
    pw: &str,
    record: &Record<'_>,
    ctx: &ValidationContext<'_>,
    out: &mut Out<'_>,
) {
    let Some(policy) = out.policy.password_policy() else {
        return;
    };
    let report = password::check_password_opt(
        policy,
        pw,
        &PasswordContext {
            attributes: own_data(out.policy, record),
            mfa: ctx.mfa,
        },
        out.policy.blocklist(),
    );
    for issue in report.issues {
        out.error(&field.name, issue);
    }
    let mut checklist = report.checklist;
    checklist.iter_mut().for_each(|c| c.localize(ctx.lang));
    out.password = Some(PasswordSummary {
        score: report.score,
        checklist,
    });
}

fn derive_fields<'a>(
    policy: &'a Policy,
    record: &Record<'_>,
    out: &mut Out<'a>,
    only: Option<usize>,
) {
    for (position, field) in policy.fields().iter().enumerate() {
        if only.is_some_and(|p| p != position) {
            continue;
        }
        if field.derivation.is_none() {
            continue;
        }
        let Some((d, derived)) = derivation_of(field, record) else {
            continue;
        };
        match out.stored(position) {
            Some(Slot::Text(given)) if !given.eq_ignore_ascii_case(derived) => {
                let issue = Issue::new(Code::DerivedMismatch)
                    .with("expected", derived.as_str())
                    .with("source", d.field.as_str());
                out.push(&field.name, d.mismatch, issue);
            }
            Some(Slot::Text(_)) => {}
            _ => {
                if let Some(f) = out.fields.get_mut(position) {
                    // A field already stored as null keeps its place in the record.
                    f.derived = matches!(f.stored, Slot::Unset);
                    f.stored = Slot::Text(Cow::Borrowed(derived.as_str()));
                }
            }
        }
    }
}

/// The value `field`'s derivation gives for `record` (from its source's text as given,
/// never from another derived value), with the derivation: its `map` entry, else its
/// `contains` keyword, else its `default`; `None` when the field is not derived, the source
/// is not given as a non-blank text, or nothing matches. Out of line, as [`report_unknown`]: only
/// derived fields pay for it.
#[inline(never)]
fn derivation_of<'a>(
    field: &'a CompiledField,
    record: &Record<'_>,
) -> Option<(&'a crate::policy::Derivation, &'a String)> {
    let (Some(d), Some(map)) = (&field.spec.derived_from, &field.derivation) else {
        return None;
    };
    let Some(Raw::Str(source)) = record.get(&d.field) else {
        return None;
    };
    // A blank source is no source: its `default` would fill the field from nothing.
    if source.trim().is_empty() {
        return None;
    }
    let source = source.trim().to_lowercase();
    map.get(&source)
        .or_else(|| contained(&d.contains, &source))
        .or(d.default.as_ref())
        .map(|v| (d, v))
}

/// The derived value of the `contains` keyword found in `source` (lower-cased): the longest
/// one found, and of equally long ones the first in alphabetical order. Never the first in
/// the document: a JSON object's keys have no order (a reader, an SDK, a database may sort
/// them), so a policy decides alike however its keys reach the kernel.
fn contained<'p>(
    contains: &'p crate::policy::OrderedMap<String>,
    source: &str,
) -> Option<&'p String> {
    contains
        .iter()
        .map(|(raw, v)| (raw.trim().to_lowercase(), raw, v))
        .filter(|(k, _, _)| source.contains(k.as_str()))
        // Longest first, then alphabetical, then (two spellings of one keyword, `Eng` and
        // `eng `) by the keys as written: never by their place in the document.
        .min_by(|(a, ra, _), (b, rb, _)| {
            b.chars()
                .count()
                .cmp(&a.chars().count())
                .then(a.cmp(b))
                .then(ra.cmp(rb))
        })
        .map(|(_, _, v)| v)
}

fn check_email_convention(
    conv: &crate::policy::EmailConvention,
    record: &Record<'_>,
    out: &mut Out<'_>,
) {
    // The convention is about the address as entered (`t.bernard@COMPANY.COM` breaks it),
    // so it reads the record, once the address is known to be valid.
    let (Some(_), Some(email), Some(first), Some(last)) = (
        out.text("email"),
        record.get("email").and_then(Raw::as_str),
        out.text("firstName"),
        out.text("lastName"),
    ) else {
        return;
    };
    let email = email.trim();
    let Some((local, domain)) = email.rsplit_once('@') else {
        return;
    };
    let part = |s: &str| -> String {
        text::fold_ascii_lower(s)
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == '-')
            .collect()
    };
    let expected_local = match conv.style {
        EmailStyle::FirstnameDotLastname => format!("{}.{}", part(first), part(last)),
    };
    let domain_ok =
        conv.domains.is_empty() || conv.domains.iter().any(|d| d.eq_ignore_ascii_case(domain));
    let expected_domain = if domain_ok {
        domain.to_ascii_lowercase()
    } else {
        conv.domains.first().cloned().unwrap_or_default()
    };
    // The address as entered must already be in lower case.
    if local != expected_local || !domain_ok || domain.chars().any(|c| c.is_ascii_uppercase()) {
        let issue = Issue::new(Code::NamingConvention)
            .with("expected", format!("{expected_local}@{expected_domain}"));
        out.push("email", conv.severity, issue);
    }
}

fn check_generic(
    g: &crate::policy::GenericData,
    record: &Record<'_>,
    out: &mut Out<'_>,
    target: Option<&str>,
) {
    let about = |field: &str| target.is_none_or(|t| t == field);
    let policy = out.policy;
    let generic_email = about("email")
        && out
            .text("email")
            .and_then(|email| email.rsplit_once('@'))
            .is_some_and(|(local, _)| {
                let local = local.to_lowercase();
                policy.generic_locals().iter().any(|re| re.is_match(&local))
            });
    if generic_email {
        out.push(
            "email",
            g.severity,
            Issue::new(Code::GenericData).with("kind", "email"),
        );
    }
    for (field, values) in &g.values {
        if !about(field) {
            continue;
        }
        if let Some(v) = out.text(field)
            && values.iter().any(|x| x.trim().eq_ignore_ascii_case(v))
        {
            let issue = Issue::new(Code::GenericData)
                .with("kind", "value")
                .with("value", v);
            out.push(field, g.severity, issue);
        }
    }
    for field in &g.recommended {
        if about(field) && is_blank(record.get(field)) {
            out.push(
                field,
                g.severity,
                Issue::new(Code::GenericData).with("kind", "missing"),
            );
        }
    }
}
