//! The JSON entry point: one request shape in, one decision shape out, for every target.
//!
//! The CLI, the wasm package, the core's own WebAssembly component and the conformance
//! vectors all go through [`evaluate`] (or [`evaluate_with`] with a policy compiled once),
//! so a rule has exactly one implementation and every target gives the same verdicts.
//!
//! ```
//! let request = serde_json::json!({
//!     "preset": "production-planner-pro",
//!     "op": "validate",
//!     "input": {
//!         "today": "2026-11-22",
//!         "user": { "firstName": "Ada", "lastName": "Lovelace", "email": "not-an-email",
//!                   "password": "Tr0ub4dor&3x!", "organization": "acme" }
//!     }
//! });
//! let decision = warden_core::api::evaluate(&request).unwrap();
//! assert_eq!(decision["valid"], false);
//! assert_eq!(decision["violations"][0]["code"], "invalid_email");
//! ```

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::checks::date::Date;
use crate::messages::Lang;
use crate::password::{self, PasswordContext};
use crate::policy::{Mode, Policy};
use crate::validate::ValidationFacts;
use crate::violation::{Path, Severity};

mod error;
mod ops;
#[cfg(feature = "schema")]
pub mod schema;
mod text;

pub use error::{ApiError, ApiErrorKind};
pub use ops::BulkInput;
pub use ops::{
    AccountsInput, AuthorizeInput, ChangesInput, DeleteInput, DirectoryDecision, DirectoryInput,
    EffectiveStatusInput, FieldAccessDecision, FieldAccessInput, FindingsDecision, ImportInput,
    LockoutInput, LoginInput, Operation, PasswordChangeInput, PasswordResetInput,
    PasswordResetOutput, PermissionsDecision, PermissionsInput, ScopeInput, ScopeOutput,
    TransitionInput, VerificationInput,
};
pub(crate) use text::RowsJson;
pub use text::{
    FORM_OPS, ImportJson, Passwords, evaluate_form_json, evaluate_form_request, evaluate_json,
    evaluate_json_with, import_report_json, parse_json, parse_request, to_response_json,
    to_sorted_json, validate_import_json, validate_json_decision, validate_json_with,
};

/// The version of the contract this build speaks: requests may name it (`"contract": 1`;
/// absent means 1), and every response, errors included, carries it.
pub const CONTRACT_VERSION: u32 = 1;

/// Largest user record accepted through the JSON entry point, in fields: 512.
pub const MAX_RECORD_FIELDS: usize = 512;

/// Largest directory accepted through the JSON entry point, in rows: 1,000,000.
pub const MAX_DIRECTORY_ROWS: usize = 1_000_000;

/// The operations of the contract. Each has one named input type and one named output type
/// (listed below, and in `x-operations` of the contract's JSON Schema).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum Op {
    /// Validate a user record: [`ValidateInput`] → [`ValidationDecision`](crate::ValidationDecision).
    Validate,
    /// Check a password on its own: [`PasswordInput`] → [`PasswordDecision`].
    Password,
    /// Validate a whole CSV or JSON Lines file: [`ImportInput`] →
    /// [`ImportReport`](crate::import::ImportReport).
    Import,
    /// Decide one action: [`AuthorizeInput`] → [`AuthzDecision`](crate::access::AuthzDecision).
    Authorize,
    /// The filter of targets an actor may reach: [`ScopeInput`] → [`ScopeOutput`].
    Scope,
    /// Every action the actor may perform on a target: [`PermissionsInput`] →
    /// [`PermissionsDecision`].
    Permissions,
    /// Check a directory's manager relation (R001-04): [`DirectoryInput`] →
    /// [`DirectoryDecision`].
    Directory,
    /// Move an account to another status: [`TransitionInput`] →
    /// [`TransitionDecision`](crate::lifecycle::TransitionDecision).
    Transition,
    /// May this account log in now: [`LoginInput`] →
    /// [`LoginDecision`](crate::lifecycle::LoginDecision).
    Login,
    /// The lockout state from failed-login timestamps: [`LockoutInput`] →
    /// [`LockoutState`](crate::lifecycle::LockoutState).
    Lockout,
    /// Delete an account: [`DeleteInput`] → [`DeleteDecision`](crate::lifecycle::DeleteDecision).
    Delete,
    /// The obligations of an edit: [`ChangesInput`] →
    /// [`ChangeDecision`](crate::lifecycle::ChangeDecision).
    Changes,
    /// A password change: [`PasswordChangeInput`] →
    /// [`ChangeDecision`](crate::lifecycle::ChangeDecision).
    PasswordChange,
    /// A password reset: [`PasswordResetInput`] → [`PasswordResetOutput`].
    PasswordReset,
    /// Approve or reject a verification: [`VerificationInput`] →
    /// [`VerificationDecision`](crate::lifecycle::VerificationDecision).
    Verification,
    /// Account statistics (R000-10): [`AccountsInput`] →
    /// [`Statistics`](crate::lifecycle::Statistics).
    Statistics,
    /// Security findings (R001-06, R003-05): [`AccountsInput`] → [`FindingsDecision`].
    Findings,
    /// The effective status of an account: [`EffectiveStatusInput`] →
    /// [`EffectiveStatus`](crate::lifecycle::EffectiveStatus).
    EffectiveStatus,
    /// A batch of operations decided item by item (R002-09): [`BulkInput`] →
    /// [`BulkDecision`](crate::bulk::BulkDecision).
    Bulk,
    /// The fields of an account the actor may see and change (attribute permissions), and
    /// the record without what it may not see: [`FieldAccessInput`] →
    /// [`FieldAccessDecision`].
    FieldAccess,
}

impl Op {
    /// Every operation, in the contract's order.
    pub const ALL: &'static [Op] = &[
        Op::Validate,
        Op::Password,
        Op::Import,
        Op::Authorize,
        Op::Scope,
        Op::Permissions,
        Op::Directory,
        Op::Transition,
        Op::Login,
        Op::Lockout,
        Op::Delete,
        Op::Changes,
        Op::PasswordChange,
        Op::PasswordReset,
        Op::Verification,
        Op::Statistics,
        Op::Findings,
        Op::EffectiveStatus,
        Op::Bulk,
        Op::FieldAccess,
    ];

    /// The operation's name in requests (`validate`, `passwordChange`).
    pub fn name(self) -> &'static str {
        match self {
            Op::Validate => "validate",
            Op::Password => "password",
            Op::Import => "import",
            Op::Authorize => "authorize",
            Op::Scope => "scope",
            Op::Permissions => "permissions",
            Op::Directory => "directory",
            Op::Transition => "transition",
            Op::Login => "login",
            Op::Lockout => "lockout",
            Op::Delete => "delete",
            Op::Changes => "changes",
            Op::PasswordChange => "passwordChange",
            Op::PasswordReset => "passwordReset",
            Op::Verification => "verification",
            Op::Statistics => "statistics",
            Op::Findings => "findings",
            Op::EffectiveStatus => "effectiveStatus",
            Op::Bulk => "bulk",
            Op::FieldAccess => "fieldAccess",
        }
    }

    /// The operation named `name`, if any.
    pub fn from_name(name: &str) -> Option<Op> {
        Op::ALL.iter().copied().find(|op| op.name() == name)
    }
}

// `I` is how the input is held: a parsed `Value`, or the input's JSON text (`&RawValue`) on
// the text-to-text path (`evaluate_json`), parsed straight into the operation's input type.
// (A plain comment: the doc comment is the contract schema's description.)
/// A request to the kernel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "Request"))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Request<I = Value> {
    /// The contract version the caller speaks; absent means 1. Any other value is refused
    /// with `unsupported_contract`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<u64>,
    /// A preset's name or seed number; exactly one of `preset` and `policy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    /// A policy document; exactly one of `preset` and `policy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<Value>,
    /// The operation.
    pub op: Op,
    /// The language of messages (default `en`).
    #[serde(default)]
    pub lang: Lang,
    /// The operation's input: the operation's input type ([`Op`]).
    pub input: I,
}

/// The input of [`Op::Validate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ValidateInput {
    /// The user record.
    pub user: Map<String, Value>,
    /// What it is validated for (default `create`).
    #[serde(default)]
    pub mode: Mode,
    /// Today's date (`YYYY-MM-DD`).
    pub today: Date,
    /// Answers to checks.
    #[serde(default)]
    pub facts: ValidationFacts,
    /// The account uses multi-factor authentication.
    #[serde(default)]
    pub mfa: bool,
    /// Validate only this field of the schema (a form's keystroke), with `user` as the
    /// whole record for its cross-field rules: the decision reports only the field's
    /// violations, checks and stored value (see `validate_field`). Absent: the whole record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// The input of [`Op::Password`].
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PasswordInput {
    /// The password to check.
    pub password: crate::password::Password,
    /// The user's own data the password must not resemble (`firstName`, `email`, ...).
    #[serde(default)]
    pub user: Map<String, Value>,
    /// The account uses multi-factor authentication.
    #[serde(default)]
    pub mfa: bool,
}

/// Parses any of the contract's types from a JSON value with the contract's error: an
/// `invalid_input` naming the key path under `prefix` and, for an unknown field, the
/// closest known one. For adapters that receive parts of a request separately (the wasm
/// package's JS arguments).
///
/// # Errors
/// `invalid_input` when `value` does not have `T`'s shape.
pub fn parse_value<T: serde::de::DeserializeOwned>(
    prefix: &str,
    value: Value,
) -> Result<T, ApiError> {
    parse_input(prefix, value)
}

/// [`parse_value`].
pub(crate) fn parse_input<T: serde::de::DeserializeOwned>(
    prefix: &str,
    value: Value,
) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let message = e.inner().to_string();
        let mut parts: Vec<String> = Vec::new();
        if !prefix.is_empty() {
            parts.push(prefix.to_owned());
        }
        let inner = e.path().to_string();
        if inner != "." {
            parts.push(inner);
        }
        // serde reports a missing field at its parent: name the field itself.
        if let Some(field) = message
            .strip_prefix("missing field `")
            .and_then(|r| r.split('`').next())
        {
            parts.push(field.to_owned());
        }
        let err = ApiError::invalid_input(parts.join("."), humane(&message));
        match unknown_field_help(&message) {
            Some(help) => err.with_help(help),
            None => err,
        }
    })
}

/// serde's wording without Rust type names (`expected struct Account` → `expected an
/// object`).
fn humane(message: &str) -> String {
    let mut out = without_value(message);
    for (rust, plain) in [
        ("expected struct ", "expected an object ("),
        ("expected a map", "expected an object"),
        ("expected a sequence", "expected a list"),
        (
            "expected u32",
            "expected a whole number from 0 to 4294967295",
        ),
        ("expected u64", "expected a whole number from 0"),
        ("expected usize", "expected a whole number from 0"),
        ("expected a boolean", "expected true or false"),
    ] {
        if let Some(i) = out.find(rust) {
            if rust.starts_with("expected struct ") {
                let tail = out.get(i + rust.len()..).unwrap_or_default();
                let name_end = tail
                    .find(|c: char| !c.is_alphanumeric())
                    .unwrap_or(tail.len());
                let name = tail.get(..name_end).unwrap_or_default();
                let rest = tail.get(name_end..).unwrap_or_default();
                out = format!(
                    "{}expected an object ({}){rest}",
                    out.get(..i).unwrap_or_default(),
                    crate::util::words(name)
                );
            } else {
                out = out.replacen(rust, plain, 1);
            }
        }
    }
    out
}

/// serde's "invalid type" and "invalid value" wording without the value it quotes
/// (``invalid type: integer `31415926535`, expected a string`` → "invalid type: integer,
/// expected a string"): an error names the path and the kind of value, never the value,
/// which may be a password or anything a caller did not mean to see repeated.
fn without_value(message: &str) -> String {
    for lead in ["invalid type: ", "invalid value: "] {
        let Some(rest) = message.strip_prefix(lead) else {
            continue;
        };
        // The value is quoted after its kind (`integer `5``, `string "x"`); what it is
        // expected to be comes last, written by the code, never by the caller.
        let Some(at) = rest.rfind(", expected ") else {
            continue;
        };
        let (unexpected, expected) = rest.split_at(at);
        // Up to whichever quote opens the value first (a string's own text may hold the
        // other).
        let open = [unexpected.find(" `"), unexpected.find(" \"")]
            .into_iter()
            .flatten()
            .min();
        let kind = open
            .and_then(|at| unexpected.get(..at))
            .unwrap_or(unexpected);
        return format!("{lead}{kind}{expected}");
    }
    message.to_owned()
}

/// `unknown field `mfaa`, expected one of `user`, `mfa`` → "did you mean `mfa`?".
fn unknown_field_help(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (field, expected) = rest.split_once('`')?;
    let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    if known.is_empty() {
        return None;
    }
    match crate::util::closest(field, known.iter().copied(), 3) {
        Some(best) => Some(format!("did you mean `{best}`?")),
        None => Some(format!(
            "the accepted fields are {}",
            known
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Loads the policy a request names.
///
/// # Errors
/// When both or neither of `preset` and `policy` are given, or the policy is unusable.
pub fn load_policy(preset: Option<&str>, policy: Option<&Value>) -> Result<Policy, ApiError> {
    match (preset, policy) {
        (Some(name), None) => Ok(Policy::preset(name)?),
        (None, Some(doc)) => Ok(Policy::from_value(doc.clone())?),
        _ => Err(ApiError::invalid_input(
            "",
            "give exactly one of `preset` and `policy`",
        )),
    }
}

/// Checks the contract version a request names.
///
/// # Errors
/// `unsupported_contract` for any version but [`CONTRACT_VERSION`].
pub fn check_contract(version: Option<u64>) -> Result<(), ApiError> {
    match version {
        None => Ok(()),
        Some(v) if v == u64::from(CONTRACT_VERSION) => Ok(()),
        Some(v) => Err(ApiError::contract(v)),
    }
}

/// Evaluates a request given as JSON.
///
/// # Errors
/// An [`ApiError`] when the request is unusable: bad shape, unknown preset, invalid policy,
/// unsupported operation or contract version.
pub fn evaluate(request: &Value) -> Result<Value, ApiError> {
    let req: Request = parse_input("", request.clone())?;
    check_contract(req.contract)?;
    let policy = load_policy(req.preset.as_deref(), req.policy.as_ref())?;
    evaluate_with(&policy, req.op, req.lang, req.input)
}

/// Evaluates a request given as JSON text, answering JSON text: `Ok(decision)` or
/// `Err(error envelope)`. What the core component exports; the text-to-text path
/// ([`evaluate_json`]), the same bytes as `evaluate` and `Value::to_string`.
///
/// # Errors
/// The error envelope ([`ApiError::envelope`]) as text; a request that is not JSON at all
/// is an `invalid_input` error at the empty path.
pub fn evaluate_text(request: &str) -> Result<String, String> {
    match evaluate_json(request.as_bytes()) {
        Ok(decision) => String::from_utf8(decision).map_err(|e| {
            ApiError::invalid_input("", format!("the decision is not UTF-8: {e}"))
                .envelope()
                .to_string()
        }),
        Err(e) => Err(e.envelope().to_string()),
    }
}

/// Evaluates one operation against a compiled policy (reuse the policy across calls): the
/// input is parsed into the operation's input type, the operation runs, and its output is
/// serialised with the contract version.
///
/// # Errors
/// As [`evaluate`].
pub fn evaluate_with(policy: &Policy, op: Op, lang: Lang, input: Value) -> Result<Value, ApiError> {
    ops::dispatch(policy, op, lang, input)
}

/// Checks that `policy` can render messages in `lang`: a built-in language, or one its
/// `messages` section adds.
///
/// # Errors
/// `invalid_input` at `lang` for a language the policy does not add.
pub fn check_lang(policy: &Policy, lang: Lang) -> Result<(), ApiError> {
    if policy.speaks(lang) {
        return Ok(());
    }
    let added: Vec<String> = policy
        .added_languages()
        .iter()
        .map(|l| format!("`{}`", l.as_str()))
        .collect();
    let err = ApiError::invalid_input(
        "lang",
        format!(
            "unknown language `{}`: the built-in languages are `en`, `fr`, `de` and `es`",
            lang.as_str()
        ),
    );
    Err(if added.is_empty() {
        err.with_help("a policy adds a language in its `messages` section")
    } else {
        err.with_help(format!("this policy adds {}", added.join(", ")))
    })
}

/// The decision of a stand-alone password check.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct PasswordDecision {
    /// No rule is broken.
    pub valid: bool,
    /// The policy's hash.
    pub policy: std::sync::Arc<str>,
    /// One violation per broken rule, at path `["password"]`.
    pub violations: Vec<crate::violation::Violation>,
    /// Strength for a meter, 0 to 4.
    pub score: u8,
    /// Every rule the policy enforces, met or not.
    pub checklist: Vec<password::ChecklistItem>,
}

/// Checks a password against the policy's password rules.
///
/// # Errors
/// `unsupported` when the policy has no password section.
pub fn check_password_json(
    policy: &Policy,
    input: &PasswordInput,
    lang: Lang,
) -> Result<PasswordDecision, ApiError> {
    let Some(pp) = policy.password_policy() else {
        return Err(ApiError::unsupported(
            "password",
            "it has no `password` section",
        ));
    };
    let attributes: Vec<(&str, &str)> = input
        .user
        .iter()
        .filter_map(|(k, v)| v.as_str().map(|s| (k.as_str(), s.trim())))
        .filter(|(k, s)| !s.is_empty() && !k.eq_ignore_ascii_case("password"))
        .collect();
    let report = password::check_password_opt(
        pp,
        input.password.expose(),
        &PasswordContext {
            attributes,
            mfa: input.mfa,
        },
        policy.blocklist(),
    );
    let violations: Vec<_> = report
        .issues
        .into_iter()
        .map(|mut i| {
            if let Some(t) = policy.message_template(lang, i.code) {
                i.custom_message = Some(crate::messages::render_with(
                    i.code,
                    &i.params,
                    lang,
                    Some(t),
                ));
            }
            i.at(Path::key("password"), Severity::Error, lang)
        })
        .collect();
    Ok(PasswordDecision {
        valid: violations.is_empty(),
        policy: policy.hash_arc(),
        violations,
        score: report.score,
        checklist: {
            let mut c = report.checklist;
            c.iter_mut().for_each(|i| i.localize(lang));
            c
        },
    })
}

/// A decision as the contract's response: its JSON, stamped with the contract version. For
/// hosts that compose typed decisions (the plugin host) and answer with the same shape as
/// [`evaluate_with`].
///
/// # Errors
/// `invalid_input` if the decision cannot be serialised (a map with non-string keys: never
/// for the contract's types).
pub fn to_response<T: Serialize>(v: &T) -> Result<Value, ApiError> {
    to_json(v)
}

/// [`to_response`].
pub(crate) fn to_json<T: Serialize>(v: &T) -> Result<Value, ApiError> {
    let mut value = serde_json::to_value(v).map_err(|e| {
        ApiError::invalid_input("", format!("the decision could not be serialised: {e}"))
    })?;
    if let Value::Object(m) = &mut value {
        m.insert("contract".into(), CONTRACT_VERSION.into());
    }
    Ok(value)
}
