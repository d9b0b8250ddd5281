//! The contract's one error type and its one JSON rendering, the error envelope.
//!
//! Every target (the wasm package, the core component, the portable module, the plugin host,
//! the CLI and the server) renders an unusable request with [`ApiError::envelope`]:
//!
//! ```json
//! {"contract": 1, "error": {"code": "invalid_input", "message": "...", "path": "input.now", "help": "..."}}
//! ```
//!
//! `path` and `help` are present when known. Domain outcomes (an invalid record, a deny) are
//! decisions, never errors.

use std::fmt;

use serde_json::{Map, Value};

use crate::access::{AccessError, AccessErrorKind};
use crate::bulk::{BulkError, BulkErrorKind};
use crate::import::ImportError;
use crate::lifecycle::{LifecycleError, LifecycleErrorKind};
use crate::policy::PolicyError;

use super::CONTRACT_VERSION;

/// The broad class of an [`ApiError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiErrorKind {
    /// The policy (or the preset name) is unusable: code `policy_error`.
    Policy,
    /// The request or its input does not have the contract's shape: code `invalid_input`.
    Input,
    /// The request names something the policy does not declare (an action, a role, a
    /// status), or a whole import or bulk request is unreadable: a specific code
    /// (`unknown_action`, `unknown_status`, `import_unreadable`, `bulk_rejected`, ...).
    Rejected,
    /// The operation needs a section the policy does not have: code `unsupported`.
    Unsupported,
    /// The input has non-ASCII text and this build's Unicode normalisation tables are not
    /// installed yet (a build without `builtin-unicode`): code `unicode_tables_needed`.
    /// Install the package's `unicode-tables.txt` and ask again.
    UnicodeTables,
    /// The request asks for a contract version this build does not speak: code
    /// `unsupported_contract`.
    Contract,
}

/// Why a request could not be evaluated.
///
/// Opaque, as [`PolicyError`] is: read it through [`code`](Self::code),
/// [`path`](Self::path), [`help`](Self::help) and its `Display` (the message), and render it
/// with [`envelope`](Self::envelope).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError(Box<Inner>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Inner {
    kind: ApiErrorKind,
    code: &'static str,
    path: Option<String>,
    message: String,
    help: Option<String>,
    policy: Option<PolicyError>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for ApiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .policy
            .as_ref()
            .map(|p| p as &(dyn std::error::Error + 'static))
    }
}

impl ApiError {
    pub(super) fn new(kind: ApiErrorKind, code: &'static str, message: String) -> Self {
        ApiError(Box::new(Inner {
            kind,
            code,
            path: None,
            message,
            help: None,
            policy: None,
        }))
    }

    /// An `invalid_input` error at `path` (a dotted key path in the request: `input.user`;
    /// empty for the request as a whole). For adapters that read a request themselves (the
    /// wasm package's JS values, a body that is not JSON).
    pub fn invalid_input(path: impl Into<String>, reason: impl Into<String>) -> Self {
        let path = path.into();
        let reason = reason.into();
        let message = if path.is_empty() {
            format!("invalid input: {reason}")
        } else {
            format!("invalid input at `{path}`: {reason}")
        };
        let mut e = ApiError::new(ApiErrorKind::Input, "invalid_input", message);
        e.0.path = Some(path);
        e
    }

    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.0.help = Some(help.into());
        self
    }

    pub(crate) fn rejected(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(ApiErrorKind::Rejected, code, message.into())
    }

    pub(crate) fn unsupported(op: &str, reason: &str) -> Self {
        ApiError::new(
            ApiErrorKind::Unsupported,
            "unsupported",
            format!("the policy does not support `{op}`: {reason}"),
        )
    }

    /// `unicode_tables_needed`: non-ASCII text at `path` and no Unicode tables installed
    /// (builds without `builtin-unicode`; see [`crate::unicode`]).
    pub fn unicode_tables_needed(path: impl Into<String>) -> Self {
        let mut e = ApiError::new(
            ApiErrorKind::UnicodeTables,
            "unicode_tables_needed",
            "the input has non-ASCII text and the Unicode normalisation tables are not installed"
                .to_owned(),
        );
        e.0.path = Some(path.into());
        e.0.help = Some(
            "install the package's `unicode-tables.txt` (`installUnicodeTables`) and ask again"
                .to_owned(),
        );
        e
    }

    pub(crate) fn contract(asked: u64) -> Self {
        let mut e = ApiError::new(
            ApiErrorKind::Contract,
            "unsupported_contract",
            format!(
                "contract version {asked} is not supported: this build speaks version {CONTRACT_VERSION}"
            ),
        );
        e.0.path = Some("contract".into());
        e.0.help = Some(format!(
            "send `\"contract\": {CONTRACT_VERSION}` (or leave it out)"
        ));
        e
    }

    /// The broad class of the error.
    pub fn kind(&self) -> ApiErrorKind {
        self.0.kind
    }

    /// The stable machine code (`policy_error`, `invalid_input`, `unsupported`,
    /// `unsupported_contract`, `unknown_action`, `unknown_status`, `import_unreadable`, ...).
    pub fn code(&self) -> &'static str {
        self.0.code
    }

    /// The key path of the offending value, when the error is about one.
    pub fn path(&self) -> Option<&str> {
        self.0.path.as_deref()
    }

    /// What would fix it, when Warden can tell (a did-you-mean, the accepted values).
    pub fn help(&self) -> Option<&str> {
        self.0.help.as_deref()
    }

    /// The policy error, for a `policy_error`.
    pub fn policy_error(&self) -> Option<&PolicyError> {
        self.0.policy.as_ref()
    }

    /// The error envelope: `{"contract": 1, "error": {"code", "message", "path"?,
    /// "help"?}}`. The one rendering of an error every target uses.
    pub fn envelope(&self) -> Value {
        let mut e = Map::new();
        e.insert("code".into(), self.0.code.into());
        e.insert("message".into(), self.0.message.as_str().into());
        if let Some(p) = &self.0.path {
            e.insert("path".into(), p.as_str().into());
        }
        if let Some(h) = &self.0.help {
            e.insert("help".into(), h.as_str().into());
        }
        let mut out = Map::new();
        out.insert("contract".into(), CONTRACT_VERSION.into());
        out.insert("error".into(), Value::Object(e));
        Value::Object(out)
    }
}

impl From<PolicyError> for ApiError {
    fn from(p: PolicyError) -> Self {
        let mut e = ApiError::new(ApiErrorKind::Policy, "policy_error", p.to_string());
        e.0.path = Some(p.path().to_owned());
        e.0.help = p.help().map(str::to_owned);
        e.0.policy = Some(p);
        e
    }
}

impl From<AccessError> for ApiError {
    fn from(e: AccessError) -> Self {
        let kind = match e.kind() {
            AccessErrorKind::NoAccess => ApiErrorKind::Unsupported,
            _ => ApiErrorKind::Rejected,
        };
        ApiError::new(kind, e.code(), e.to_string())
    }
}

impl From<LifecycleError> for ApiError {
    fn from(e: LifecycleError) -> Self {
        let kind = match e.kind() {
            LifecycleErrorKind::NoLifecycle => ApiErrorKind::Unsupported,
            _ => ApiErrorKind::Rejected,
        };
        ApiError::new(kind, e.code(), e.to_string())
    }
}

impl From<BulkError> for ApiError {
    fn from(e: BulkError) -> Self {
        if let Some(a) = e.access_error() {
            return a.clone().into();
        }
        if let Some(l) = e.lifecycle_error() {
            return l.clone().into();
        }
        match e.kind() {
            BulkErrorKind::Unsupported => {
                ApiError::new(ApiErrorKind::Unsupported, e.code(), e.to_string())
            }
            _ => ApiError::rejected(e.code(), e.to_string()),
        }
    }
}

impl From<ImportError> for ApiError {
    fn from(e: ImportError) -> Self {
        ApiError::rejected("import_unreadable", e.to_string())
    }
}
