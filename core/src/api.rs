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
use crate::policy::{Mode, Policy, PolicyError};
use crate::validate::{ValidationContext, ValidationFacts, validate_user};
use crate::violation::{Path, Severity};

/// Largest user record accepted through the JSON entry point, in fields: 512.
pub const MAX_RECORD_FIELDS: usize = 512;

/// The operations of the JSON entry point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum Op {
    /// Validate a user record: [`ValidateInput`].
    Validate,
    /// Check a password on its own: [`PasswordInput`].
    Password,
    /// Validate a whole CSV or JSON Lines file: `{format, data, today, facts?}`.
    Import,
    /// Decide one action: `{actor, action, target, change?, directory?, now}`.
    Authorize,
    /// The filter of targets an actor may reach: `{actor, action, now, sql?}`.
    Scope,
    /// Every action the actor may perform on a target: `{actor, target, directory?, now}`.
    Permissions,
    /// Check a directory's manager relation (R001-04): `{accounts}`.
    Directory,
    /// Move an account to another status: a transition request plus `now`, `directory?`.
    Transition,
    /// May this account log in now: `{account, organization?, facts, now}`.
    Login,
    /// The lockout state from failed-login timestamps: `{failedAttempts, lockouts, now}`.
    Lockout,
    /// Delete an account: a delete request plus `now`, `directory?`.
    Delete,
    /// The obligations of an edit: `{actor, before, after, ..., now}`.
    Changes,
    /// A password change: a password-change request plus `now`.
    PasswordChange,
    /// A password reset: a reset request plus `now` and `entropy` (64+ hex digits of fresh
    /// randomness from the caller, for temporary passwords).
    PasswordReset,
    /// Approve or reject a verification: `{actor, account, kind, approve, now}`.
    Verification,
    /// Account statistics (R000-10): `{accounts, now}`.
    Statistics,
    /// Security findings (R001-06, R003-05): `{accounts, now}`.
    Findings,
    /// The effective status of an account: `{account, now}`.
    EffectiveStatus,
    /// A batch of operations decided item by item (R002-09): a bulk request plus `now`.
    Bulk,
}

/// A request to the kernel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Request {
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
    /// The operation's input.
    pub input: Value,
}

/// The input of [`Op::Validate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
}

/// The input of [`Op::Password`].
#[derive(Debug, Clone, Deserialize)]
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

/// Why a request could not be evaluated. Domain outcomes (invalid records, denials) are
/// decisions, not errors: an error means the request itself is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// The policy (or preset name) is unusable.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The request or its input does not have the expected shape.
    #[error("invalid input at `{path}`: {reason}")]
    Input {
        /// The key path in the request (`input.user`).
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The request names something the policy does not declare (an action, a role, a
    /// status), or a whole import or bulk request is unreadable.
    #[error("{message}")]
    Rejected {
        /// The stable code (`unknown_action`, `unknown_status`, `import_unreadable`, ...).
        code: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The operation needs something the policy does not define.
    #[error("the policy does not support `{op}`: {reason}")]
    Unsupported {
        /// The operation.
        op: String,
        /// What is missing.
        reason: String,
    },
}

impl ApiError {
    /// The stable machine code of the error (`policy_error`, `invalid_input`, `unsupported`).
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Policy(_) => "policy_error",
            ApiError::Input { .. } => "invalid_input",
            ApiError::Unsupported { .. } => "unsupported",
            ApiError::Rejected { code, .. } => code,
        }
    }

    /// The error as JSON: `{"error": {"code", "message", "path"?, "help"?}}`.
    pub fn to_json(&self) -> Value {
        let mut e = Map::new();
        e.insert("code".into(), self.code().into());
        e.insert("message".into(), self.to_string().into());
        match self {
            ApiError::Policy(p) => {
                e.insert("path".into(), p.path().into());
                if let Some(h) = p.help() {
                    e.insert("help".into(), h.into());
                }
            }
            ApiError::Input { path, .. } => {
                e.insert("path".into(), path.as_str().into());
            }
            ApiError::Unsupported { .. } | ApiError::Rejected { .. } => {}
        }
        let mut out = Map::new();
        out.insert("error".into(), Value::Object(e));
        Value::Object(out)
    }

    pub(crate) fn input(path: impl Into<String>, reason: impl Into<String>) -> Self {
        ApiError::Input {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

/// Parses a typed input from a JSON value, naming the offending key path on failure.
pub fn parse_input<T: serde::de::DeserializeOwned>(
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
        ApiError::input(parts.join("."), message)
    })
}

/// Loads the policy a request names.
///
/// # Errors
/// When both or neither of `preset` and `policy` are given, or the policy is unusable.
pub fn load_policy(preset: Option<&str>, policy: Option<&Value>) -> Result<Policy, ApiError> {
    match (preset, policy) {
        (Some(name), None) => Ok(Policy::preset(name)?),
        (None, Some(doc)) => Ok(Policy::from_value(doc.clone())?),
        _ => Err(ApiError::input(
            "",
            "give exactly one of `preset` and `policy`",
        )),
    }
}

/// Evaluates a request given as JSON.
///
/// # Errors
/// An [`ApiError`] when the request is unusable: bad shape, unknown preset, invalid policy,
/// unsupported operation.
pub fn evaluate(request: &Value) -> Result<Value, ApiError> {
    let req: Request = parse_input("", request.clone())?;
    let policy = load_policy(req.preset.as_deref(), req.policy.as_ref())?;
    evaluate_with(&policy, req.op, req.lang, req.input)
}

/// Evaluates one operation against a compiled policy (reuse the policy across calls).
///
/// # Errors
/// As [`evaluate`].
pub fn evaluate_with(policy: &Policy, op: Op, lang: Lang, input: Value) -> Result<Value, ApiError> {
    let out = match op {
        Op::Validate => {
            let input: ValidateInput = parse_input("input", input)?;
            if input.user.len() > MAX_RECORD_FIELDS {
                return Err(ApiError::input(
                    "input.user",
                    format!("a record has at most {MAX_RECORD_FIELDS} fields"),
                ));
            }
            let ctx = ValidationContext {
                mode: input.mode,
                today: input.today,
                lang,
                facts: &input.facts,
                mfa: input.mfa,
            };
            to_json(&validate_user(policy, &input.user, &ctx))?
        }
        Op::Password => {
            let input: PasswordInput = parse_input("input", input)?;
            to_json(&check_password_json(policy, &input, lang)?)?
        }
        other => crate::api_ops::evaluate_op(policy, other, lang, input)?,
    };
    Ok(out)
}

/// The decision of a stand-alone password check.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
/// [`ApiError::Unsupported`] when the policy has no password section.
pub fn check_password_json(
    policy: &Policy,
    input: &PasswordInput,
    lang: Lang,
) -> Result<PasswordDecision, ApiError> {
    let Some(pp) = policy.password_policy() else {
        return Err(ApiError::Unsupported {
            op: "password".into(),
            reason: "it has no `password` section".into(),
        });
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
        .map(|i| i.at(Path::key("password"), Severity::Error, lang))
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

pub(crate) fn to_json<T: Serialize>(v: &T) -> Result<Value, ApiError> {
    serde_json::to_value(v)
        .map_err(|e| ApiError::input("", format!("the decision could not be serialised: {e}")))
}
