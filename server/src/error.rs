//! One error type for the API and its one map to HTTP statuses. Internals (SQL errors,
//! paths) go to the log, never to the client.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use warden_core::Violation;
use warden_core::decision::Denial;

/// A field-level problem the server itself found (not a kernel violation).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FieldError {
    /// The field.
    pub field: String,
    /// A stable code (`manager_cycle`, `unknown_field`).
    pub code: String,
    /// A message in English.
    pub message: String,
}

/// The code of a [`Malformed`] body sent in a media type other than JSON: answered 415
/// Unsupported Media Type (every other `bad_request` is a 400).
pub const UNSUPPORTED_MEDIA_TYPE: &str = "unsupported_media_type";

/// The part of a request a [`Malformed`] error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum RequestPart {
    /// A path parameter (`/users/{id}`).
    Path,
    /// A query-string parameter.
    Query,
    /// The JSON body.
    Body,
    /// A request header (`X-Warden-Act-As`).
    Header,
}

/// A request the server could not read: a path parameter, a query parameter or a body that
/// is malformed (the extractors of [`crate::extract`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// Where.
    pub part: RequestPart,
    /// The parameter or field at fault (`id`, `limit`, `roles`, `address.city`), when one
    /// is.
    pub field: Option<String>,
    /// A stable code: `invalid_path_parameter`; `unknown_parameter`, `missing_parameter`,
    /// `invalid_parameter`; `unsupported_media_type` (a 415), `unreadable_body`, `invalid_json`,
    /// `unknown_field`, `missing_field`, `invalid_value`; `invalid_header`; or the kernel's code for a
    /// question it cannot decide (`unknown_status`, `unknown_role`, ...).
    pub code: &'static str,
    /// The reason, in English.
    pub message: String,
}

impl Malformed {
    /// A malformed `part`, no field named yet.
    pub fn new(part: RequestPart, code: &'static str, message: impl Into<String>) -> Self {
        Malformed {
            part,
            field: None,
            code,
            message: message.into(),
        }
    }

    /// Names the field or parameter at fault.
    #[must_use]
    pub fn field(mut self, field: Option<String>) -> Self {
        self.field = field;
        self
    }

    /// The response body: the server's `bad_request` with where, what and why.
    pub fn body(&self) -> Value {
        let mut b = serde_json::json!({
            "error": "bad_request",
            "code": self.code,
            "in": self.part,
            "message": self.message,
        });
        if let (Some(f), Some(o)) = (&self.field, b.as_object_mut()) {
            o.insert("field".into(), f.clone().into());
        }
        b
    }
}

impl ApiError {
    /// A body field the server refuses: 400 `bad_request`, `in: body`, the field, code
    /// `invalid_value` and the reason.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> ApiError {
        Malformed::new(RequestPart::Body, "invalid_value", message)
            .field(Some(field.to_owned()))
            .into()
    }

    /// A required body field that is missing: 400 `bad_request`, `in: body`, the field,
    /// code `missing_field` and the reason.
    pub fn missing_field(field: &str, message: impl Into<String>) -> ApiError {
        Malformed::new(RequestPart::Body, "missing_field", message)
            .field(Some(field.to_owned()))
            .into()
    }

    /// A question the kernel cannot decide (an undeclared status, role or action): 400
    /// `bad_request` with the kernel's stable code (`unknown_status`, ...) and reason, at
    /// `field` when the route knows which field named it.
    pub fn kernel_refused(code: &'static str, field: Option<&str>, message: String) -> ApiError {
        Malformed::new(RequestPart::Body, code, message)
            .field(field.map(str::to_owned))
            .into()
    }
}

impl From<warden_core::access::AccessError> for ApiError {
    /// A question the kernel cannot decide (an undeclared action, role or group; a policy
    /// without access): 400 with the kernel's code.
    fn from(e: warden_core::access::AccessError) -> Self {
        // A role or group the request names (a body's `roles`, `groups`, a bulk item's
        // `add`): said in the API's words, at the request's field, not at the kernel
        // request's path (`change.add`), which no caller of this API wrote.
        match (e.field(), e.field_message()) {
            (Some(field), Some(message)) => {
                ApiError::kernel_refused(e.code(), Some(field), message)
            }
            _ => ApiError::kernel_refused(e.code(), None, e.to_string()),
        }
    }
}

impl From<Malformed> for ApiError {
    fn from(m: Malformed) -> Self {
        ApiError::Malformed(Box::new(m))
    }
}

/// What went wrong with a request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No credentials, or credentials that are not valid.
    #[error("authentication required")]
    Unauthenticated,
    /// A cookie-authenticated unsafe request without the anti-CSRF header.
    #[error("missing X-Warden-Csrf header")]
    Csrf,
    /// The credentials are valid but do not allow this (key role, kernel deny).
    #[error("forbidden")]
    Forbidden {
        /// The kernel's denial, when the kernel decided.
        deny: Option<Box<Denial>>,
        /// A reason when the server decided.
        reason: &'static str,
    },
    /// No such resource in the caller's tenant (or outside the caller's scope).
    #[error("not found")]
    NotFound,
    /// A resource the path names that the tenant's policy does not declare (a group): 404
    /// `not_found` with a stable code and the reason.
    #[error("not found: {code}")]
    Undeclared {
        /// `unknown_group`.
        code: &'static str,
        /// What is missing, in English.
        message: String,
    },
    /// The record is refused: the kernel's violations.
    #[error("invalid record")]
    Invalid {
        /// Every violation.
        violations: Vec<Violation>,
    },
    /// A conflict with stored data the kernel did not phrase (a manager cycle).
    #[error("conflict")]
    Conflict {
        /// The problems.
        errors: Vec<FieldError>,
    },
    /// The tenant's policy was replaced while the change was being decided (409
    /// `stale_policy`): nothing was written. The response carries [`StalePolicy`], so that
    /// the instance forgets the policy it decided with.
    #[error("stale policy")]
    StalePolicy {
        /// The tenant whose policy changed.
        tenant: String,
        /// What changed.
        message: String,
    },
    /// `If-Match` named another version of the user than the stored one (412): nothing
    /// was written.
    #[error("precondition failed")]
    PreconditionFailed {
        /// What changed.
        message: String,
    },
    /// The request body is larger than the server accepts.
    #[error("request body too large")]
    TooLarge,
    /// The request took longer than the server's request timeout.
    #[error("request timeout")]
    Timeout,
    /// A tenant plugin refused the record: the core's and the plugins' violations, and the
    /// plugins that took part.
    #[error("invalid record (plugin)")]
    PluginInvalid {
        /// Every violation, the core's then the plugins' (each plugin's with its source).
        violations: Value,
        /// One report per plugin (name, version, hash, hook, outcome).
        plugins: Value,
    },
    /// A tenant plugin denied (or failed closed): the denial and the plugins' reports.
    #[error("denied (plugin)")]
    PluginDenied {
        /// The denial (kind, code, rule `plugin:NAME`).
        deny: Value,
        /// One report per plugin.
        plugins: Value,
    },
    /// An uploaded plugin or plugin settings were refused: a stable code, the field or
    /// limit concerned, and the reason.
    #[error("plugin refused: {code}")]
    PluginRefused {
        /// `too_large`, `structure`, `forbidden_import`, `compile_rate_limited`, ...
        code: String,
        /// The field or limit concerned.
        field: String,
        /// What is wrong, in English (never plugin-chosen text).
        message: String,
    },
    /// The request is malformed.
    #[error("bad request: {message}")]
    BadRequest {
        /// A stable code (`too_many_users`).
        code: &'static str,
        /// The reason, in English.
        message: String,
    },
    /// A path parameter, a query parameter or the body could not be read: where, the
    /// parameter or field, a code and the reason.
    #[error("bad request: {}", .0.message)]
    Malformed(Box<Malformed>),
    /// The database is unavailable (pool exhausted, connection lost).
    #[error("unavailable")]
    Unavailable,
    /// The instance runs as many bulk operations and imports as it takes at once
    /// ([`crate::app::MAX_RUNNING_JOBS`]): 503 `busy`, to be sent again later.
    #[error("busy")]
    Busy,
    /// The tenant's stored plugins cannot be loaded on this instance (logged): its
    /// decisions are refused rather than made without them. `code` and `message` are the
    /// host's load error (`compile_rate_limited` passes by itself; the others need a
    /// plugin replaced or removed).
    #[error("plugins unavailable: {code}")]
    PluginsUnavailable {
        /// The host's load error code (`structure`, `compile_rate_limited`, ...).
        code: String,
        /// The host's load error, without the plugin's name.
        message: String,
        /// The stored name of the plugin at fault, when one is: told to the tenant's
        /// administrators (`loadError`) and the log, not to every caller the 503 answers.
        plugin: Option<String>,
    },
    /// The tenant's stored policy does not compile on this server (a document stored by an
    /// earlier version that a later check refuses): its requests are refused rather than
    /// decided on another policy. The kernel's reason is logged and given to the tenant's
    /// administrators (`GET /api/v1/policy`, `compileError`), who can replace the policy
    /// with an admin key (`PUT /api/v1/policy` needs no compiled policy).
    #[error("policy unusable: version {version}")]
    PolicyUnusable {
        /// The stored version that does not compile.
        version: i64,
    },
    /// Anything else: logged, answered with a bare 500.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// This error with `earlier`, the reports of plugins that ran before it in the same
    /// decision, ahead of its own: a plugin's denial or refusal then names every plugin
    /// that took part. Other errors are returned unchanged.
    pub fn after_plugins(self, earlier: Vec<Value>) -> ApiError {
        let merge = |plugins: Value| {
            let mut all = earlier;
            match plugins {
                Value::Array(own) => all.extend(own),
                other => all.push(other),
            }
            Value::Array(all)
        };
        match self {
            ApiError::PluginDenied { deny, plugins } => ApiError::PluginDenied {
                deny,
                plugins: merge(plugins),
            },
            ApiError::PluginInvalid {
                violations,
                plugins,
            } => ApiError::PluginInvalid {
                violations,
                plugins: merge(plugins),
            },
            other => other,
        }
    }

    /// A kernel denial.
    pub fn denied(deny: Option<Denial>) -> ApiError {
        ApiError::Forbidden {
            deny: deny.map(Box::new),
            reason: "denied",
        }
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiError::Csrf | ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound | ApiError::Undeclared { .. } => StatusCode::NOT_FOUND,
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Conflict { .. } | ApiError::StalePolicy { .. } => StatusCode::CONFLICT,
            // RFC 9110 §15.5.16: a body in a media type the route does not take.
            ApiError::Malformed(m) if m.code == UNSUPPORTED_MEDIA_TYPE => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            ApiError::BadRequest { .. } | ApiError::Malformed(_) => StatusCode::BAD_REQUEST,
            ApiError::Timeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            ApiError::PluginInvalid { .. } | ApiError::PluginRefused { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::PluginDenied { .. } => StatusCode::FORBIDDEN,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unavailable
            | ApiError::Busy
            | ApiError::PluginsUnavailable { .. }
            | ApiError::PolicyUnusable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn body(&self) -> Value {
        match self {
            ApiError::Unauthenticated => {
                serde_json::json!({"error": "unauthenticated", "message": "authentication required"})
            }
            ApiError::Csrf => serde_json::json!({
                "error": "csrf",
                "message": "unsafe requests with a session cookie need the X-Warden-Csrf header"
            }),
            ApiError::Forbidden { deny, reason } => match deny {
                Some(d) => serde_json::json!({"error": "denied", "deny": d}),
                None => serde_json::json!({"error": "forbidden", "reason": reason}),
            },
            ApiError::NotFound => serde_json::json!({"error": "not_found"}),
            ApiError::Undeclared { code, message } => {
                serde_json::json!({"error": "not_found", "code": code, "message": message})
            }
            ApiError::Invalid { violations } => {
                serde_json::json!({"error": "invalid", "violations": violations})
            }
            ApiError::Conflict { errors } => {
                serde_json::json!({"error": "conflict", "errors": errors})
            }
            ApiError::StalePolicy { message, .. } => serde_json::json!({
                "error": "conflict",
                "errors": [{"field": "policy", "code": "stale_policy", "message": message}],
            }),
            ApiError::PreconditionFailed { message } => serde_json::json!({
                "error": "precondition_failed",
                "code": "stale_user",
                "message": message
            }),
            ApiError::TooLarge => serde_json::json!({
                "error": "too_large",
                "message": "the request body is larger than this route accepts"
            }),
            ApiError::Timeout => serde_json::json!({
                "error": "timeout",
                "message": "the request took longer than the server's request timeout"
            }),
            ApiError::PluginInvalid {
                violations,
                plugins,
            } => {
                serde_json::json!({"error": "invalid", "violations": violations, "plugins": plugins})
            }
            ApiError::PluginDenied { deny, plugins } => {
                serde_json::json!({"error": "denied", "deny": deny, "plugins": plugins})
            }
            ApiError::PluginRefused {
                code,
                field,
                message,
            } => serde_json::json!({
                "error": "plugin_refused",
                "code": code,
                "field": field,
                "message": message
            }),
            ApiError::BadRequest { code, message } => {
                serde_json::json!({"error": "bad_request", "code": code, "message": message})
            }
            ApiError::Malformed(m) => m.body(),
            ApiError::Unavailable => serde_json::json!({
                "error": "unavailable",
                "message": "the database is unavailable; retry later"
            }),
            ApiError::Busy => serde_json::json!({
                "error": "busy",
                "message": "this instance runs as many bulk operations and imports as it takes at once; retry later"
            }),
            ApiError::PluginsUnavailable { code, message, .. } => serde_json::json!({
                "error": "plugins_unavailable",
                "code": code,
                "message": format!("the tenant's plugins cannot be loaded on this server, and its decisions are not made without them ({message}): its administrator can list them (GET /api/v1/plugins, `loadError`) and replace or remove the plugin at fault; `compile_rate_limited` passes within a minute")
            }),
            // The version stays in the log: the routes open to anyone (sign-in, a reset's
            // redemption) answer this too.
            ApiError::PolicyUnusable { .. } => serde_json::json!({
                "error": "policy_unusable",
                "message": "the tenant's stored policy does not compile on this server, and its requests are not decided on another policy: its administrator can read the reason (GET /api/v1/policy, `compileError`) and replace the policy with an admin key (PUT /api/v1/policy)"
            }),
            ApiError::Internal(_) => serde_json::json!({"error": "internal"}),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                tracing::warn!(error = %e, "database unavailable");
                ApiError::Unavailable
            }
            sqlx::Error::RowNotFound => ApiError::NotFound,
            // The server went away under an open connection: PostgreSQL's connection
            // exceptions (class 08) and its shutdown codes (57P01-57P03).
            sqlx::Error::Database(ref d)
                if d.code()
                    .is_some_and(|c| c.starts_with("08") || c.starts_with("57P")) =>
            {
                tracing::warn!(error = %e, "database unavailable");
                ApiError::Unavailable
            }
            sqlx::Error::WorkerCrashed => {
                tracing::warn!(error = %e, "database connection lost");
                ApiError::Unavailable
            }
            // A constraint the decision could not see coming: another write committed
            // meanwhile holds the value (the database is the final arbiter).
            sqlx::Error::Database(ref d) if d.is_unique_violation() => {
                tracing::info!(error = %e, "unique value taken meanwhile");
                ApiError::conflict(
                    "id",
                    TAKEN,
                    "a value this write holds as unique was taken by another write committed while it was being decided; nothing was written: read again and retry",
                )
            }
            // PostgreSQL rolled the write back to break a deadlock or a serialization
            // failure (class 40): nothing was written, and the same write may succeed now.
            sqlx::Error::Database(ref d) if d.code().is_some_and(|c| c.starts_with("40")) => {
                tracing::info!(error = %e, "write rolled back by contention");
                ApiError::conflict(
                    "id",
                    CONTENTION,
                    "the write met others writing the same rows at once and was rolled back; nothing was written: send it again",
                )
            }
            other => ApiError::Internal(format!("database: {other}")),
        }
    }
}

/// The code of a 409 whose write lost a race to a unique value ([`ApiError::Conflict`]).
pub const TAKEN: &str = "taken";

/// The code of a 409 whose write the database rolled back to break a deadlock or a
/// serialization failure ([`ApiError::Conflict`]): the same write may succeed when sent
/// again.
pub const CONTENTION: &str = "contention";

impl ApiError {
    /// A 409 with one problem: `field`, a stable `code` and the reason.
    pub fn conflict(field: &str, code: &str, message: impl Into<String>) -> ApiError {
        ApiError::Conflict {
            errors: vec![FieldError {
                field: field.into(),
                code: code.into(),
                message: message.into(),
            }],
        }
    }

    /// Whether this is a 409 with `code` ([`TAKEN`], [`CONTENTION`], ...).
    pub fn is_conflict(&self, code: &str) -> bool {
        matches!(self, ApiError::Conflict { errors } if errors.iter().any(|e| e.code == code))
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> Self {
        ApiError::Internal(format!("json: {e}"))
    }
}

/// A response extension: the tenant whose policy changed under a request
/// ([`ApiError::StalePolicy`]); [`crate::ops::forget_stale_policy`] drops the instance's
/// copy, so that the next request decides on the new one even before the change notice
/// arrives.
#[derive(Debug, Clone)]
pub struct StalePolicy(pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        let unauthenticated = matches!(self, ApiError::Unauthenticated);
        let stale = match &self {
            ApiError::StalePolicy { tenant, .. } => Some(StalePolicy(tenant.clone())),
            _ => None,
        };
        let mut resp = (self.status(), Json(self.body())).into_response();
        if let Some(s) = stale {
            resp.extensions_mut().insert(s);
        }
        if unauthenticated {
            // RFC 9110, 11.6.1: a 401 names the scheme that would do (an API key as a
            // bearer token; the console signs in for a session cookie).
            resp.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"warden\""),
            );
        }
        resp
    }
}
