//! The native decision API: every operation of the kernel's contract over HTTP, against the
//! tenant's policy (compiled once per version and cached by [`App::tenant`]).
//!
//! `POST /api/v1/decide/{operation}[?mode=directory|stateless][&lang=en|fr|de|es]` (without
//! `lang`, the caller's `Accept-Language` picks the language); the body is
//! the operation's contract input (`AuthorizeInput`, `ScopeInput`, ... in
//! `contract/schema.json`), the response is the operation's contract output, with two more
//! members: `mode` (`directory` or `stateless`) and `policyVersion`, and the policy's hash
//! as `policy` where the output has none of its own. An unusable request is the contract's error
//! envelope (`{"contract": 1, "error": {"code", "message", "path"?, "help"?}}`) with a 400.
//!
//! **Directory mode** (the default; any API key or console session): the facts come from
//! the directory, never from the body. The actor is the user the key acts for
//! (`X-Warden-Act-As`) or the session's user; a `target` (or `account`) is a user id, or
//! `{"type", "id"}` of a stored resource, and a user named must be one the actor may read
//! (`users.read`, the kernel's and the tenant's plugins'; otherwise it is answered as no
//! user, as the management API does; for `authorize` the plugins are not asked whether
//! it may be read: they narrow the decision asked for, so that a `users.read` question is
//! answered as a deny naming the plugin, as an AuthZEN evaluation answers it); the
//! manager chains, the current time, uniqueness
//! and existence answers, failed logins, the organisation's state and the number of active
//! super administrators are the server's. A body that asserts any of them (`actor`,
//! `directory`, `now`, `today`, `facts` the store answers, `mfa`: the server keeps no second
//! factor) is refused, naming the field.
//! Operations: `validate`, `password`, `authorize`, `scope`, `permissions`, `transition`,
//! `login`, `delete`, `effectiveStatus`.
//!
//! **Stateless mode** (`?mode=stateless`, admin keys, or `decide` keys, which may do nothing
//! else): for backends that keep their own users. The caller supplies every fact as the contract says; the server only runs the
//! kernel with the tenant's policy. Every operation of the contract.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sqlx::AnyConnection;
use warden_core::api::{self, CONTRACT_VERSION, Op};
use warden_core::lifecycle::OrganizationState;
use warden_core::model::Account;
use warden_core::validate::Check;
use warden_core::{Lang, Timestamp};

use crate::app::{App, Tenant, now};
use crate::auth::{Caller, Credential};
use crate::error::ApiError;
use crate::extract::{AcceptLanguage, NEUTRAL_LANG};
use crate::resources;
use crate::store::{self, UserRow};

/// The operations directory mode answers; the others are stateless only.
pub const DIRECTORY_OPS: &[Op] = &[
    Op::Validate,
    Op::Password,
    Op::Authorize,
    Op::Scope,
    Op::Permissions,
    Op::Transition,
    Op::Login,
    Op::Delete,
    Op::EffectiveStatus,
];

/// How a decision gets its facts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// From the directory (the default).
    #[default]
    Directory,
    /// From the caller (admin keys only).
    Stateless,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Directory => "directory",
            Mode::Stateless => "stateless",
        }
    }
}

/// The query of a decision.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideQuery {
    /// `directory` (default) or `stateless`.
    #[serde(default)]
    pub mode: Mode,
    /// The language of messages; without it, the caller's `Accept-Language`, matched
    /// against the languages the policy speaks (English when none matches).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Lang")]
    pub lang: Option<Lang>,
}

/// Why a decision request was refused.
#[derive(Debug)]
pub enum DecideError {
    /// The kernel refused the input: the contract's envelope, 400.
    Kernel(api::ApiError),
    /// The server refused it: the contract's envelope with this status and code.
    Refused {
        /// HTTP status.
        status: StatusCode,
        /// Stable code (`invalid_input`, `unknown_operation`, `forbidden_mode`,
        /// `action_not_applicable`).
        code: &'static str,
        /// Where in the body (`input.actor`), when a field is at fault.
        path: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// Authentication, the database: the server's error map.
    Server(ApiError),
}

impl From<ApiError> for DecideError {
    fn from(e: ApiError) -> Self {
        DecideError::Server(e)
    }
}

impl From<sqlx::Error> for DecideError {
    fn from(e: sqlx::Error) -> Self {
        DecideError::Server(ApiError::from(e))
    }
}

impl From<api::ApiError> for DecideError {
    fn from(e: api::ApiError) -> Self {
        DecideError::Kernel(e)
    }
}

impl IntoResponse for DecideError {
    fn into_response(self) -> Response {
        match self {
            DecideError::Kernel(e) => (StatusCode::BAD_REQUEST, Json(e.envelope())).into_response(),
            DecideError::Refused {
                status,
                code,
                path,
                message,
            } => {
                let mut error = Map::new();
                error.insert("code".into(), code.into());
                error.insert("message".into(), message.into());
                if let Some(p) = path {
                    error.insert("path".into(), p.into());
                }
                (
                    status,
                    Json(json!({"contract": CONTRACT_VERSION, "error": error})),
                )
                    .into_response()
            }
            DecideError::Server(e) => e.into_response(),
        }
    }
}

fn refuse(path: &str, message: impl Into<String>) -> DecideError {
    DecideError::Refused {
        status: StatusCode::BAD_REQUEST,
        code: "invalid_input",
        path: Some(path.to_owned()),
        message: message.into(),
    }
}

/// `POST /api/v1/decide/{operation}`.
pub async fn decide(
    State(app): State<Arc<App>>,
    caller: Caller,
    accept: AcceptLanguage,
    headers: axum::http::HeaderMap,
    operation: Result<crate::api::UrlParams<String>, ApiError>,
    query: Result<Query<DecideQuery>, axum::extract::rejection::QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, DecideError> {
    let Query(q) = query.map_err(|e| DecideError::Refused {
        status: StatusCode::BAD_REQUEST,
        code: "invalid_input",
        path: Some("query".into()),
        message: format!("`mode` is `directory` or `stateless`, `lang` is a language tag such as `en`, `fr`, `de` or `es` ({e})"),
    })?;
    let operation = match operation {
        Ok(crate::api::UrlParams(o)) => o,
        Err(ApiError::Malformed(m)) => {
            return Err(DecideError::Refused {
                status: StatusCode::BAD_REQUEST,
                code: "invalid_input",
                path: Some("operation".into()),
                message: m.message,
            });
        }
        Err(e) => return Err(DecideError::Server(e)),
    };
    let op = Op::from_name(&operation).ok_or_else(|| DecideError::Refused {
        status: StatusCode::NOT_FOUND,
        code: "unknown_operation",
        path: None,
        message: format!(
            "`{}` is not an operation of the contract: {}",
            operation.chars().take(64).collect::<String>(),
            Op::ALL
                .iter()
                .map(|o| o.name())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })?;
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            DecideError::Server(ApiError::TooLarge)
        } else {
            refuse("input", "the body could not be read")
        }
    })?;
    // As every JSON body of the API: sent as JSON, and no key named twice (readers
    // disagree on which value counts).
    if !crate::extract::is_json(&headers) {
        return Err(DecideError::Refused {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: crate::error::UNSUPPORTED_MEDIA_TYPE,
            path: None,
            message: "the body must be JSON, sent with `Content-Type: application/json`".into(),
        });
    }
    if let Err(ApiError::Malformed(m)) = crate::extract::unique_keys(&body) {
        let at = m
            .field
            .as_deref()
            .map_or_else(|| "input".to_owned(), |f| format!("input.{f}"));
        return Err(refuse(&at, m.message));
    }
    let input: Value = serde_json::from_slice(&body)
        .map_err(|e| refuse("input", format!("the body is not JSON: {e}")))?;
    let tenant = Arc::clone(&caller.tenant);
    let lang = match q.lang {
        Some(lang) if tenant.policy.speaks(lang) => accept.answer_in(lang),
        // The kernel refuses it, naming `lang`.
        Some(lang) => lang,
        None => accept.negotiate(&tenant.policy),
    };
    let out = match q.mode {
        Mode::Stateless => {
            if !matches!(
                caller.credential,
                Credential::AdminKey(_) | Credential::DecideKey(_)
            ) {
                return Err(DecideError::Refused {
                    status: StatusCode::FORBIDDEN,
                    code: "forbidden_mode",
                    path: None,
                    message:
                        "stateless decisions take an admin or decide key: the caller supplies every fact"
                            .into(),
                });
            }
            let core = api::evaluate_with(&tenant.policy, op, lang, input.clone())?;
            crate::plugins::compose(&app, &tenant, op, &input, core).await?
        }
        Mode::Directory => {
            if matches!(caller.credential, Credential::DecideKey(_)) {
                return Err(DecideError::Refused {
                    status: StatusCode::FORBIDDEN,
                    code: "forbidden_mode",
                    path: None,
                    message:
                        "a decide key reads nothing of the directory: ask with ?mode=stateless"
                            .into(),
                });
            }
            let Value::Object(input) = input else {
                return Err(refuse("input", "expected an object"));
            };
            directory_mode(&app, &caller, &tenant, op, lang, input).await?
        }
    };
    Ok(Json(stamp(out, &tenant, q.mode)))
}

/// Adds the mode, the policy version and (where the output has none) the policy hash to a
/// decision.
fn stamp(mut out: Value, tenant: &Tenant, mode: Mode) -> Value {
    if let Value::Object(m) = &mut out {
        m.entry("policy")
            .or_insert_with(|| tenant.policy.hash().into());
        m.insert("mode".into(), mode.name().into());
        m.insert("policyVersion".into(), tenant.version.into());
    }
    out
}

/// Refuses the members of `input` the directory answers.
fn refuse_asserted(input: &Map<String, Value>, keys: &[&str]) -> Result<(), DecideError> {
    for k in keys {
        if input.contains_key(*k) {
            let why = match *k {
                "actor" => {
                    "the actor is the user the key acts for (X-Warden-Act-As) or the session's user"
                }
                "directory" => "the manager chains are the directory's",
                "now" | "today" => "the time is the server's",
                "facts" | "organization" => "these facts are the directory's",
                "mfa" => {
                    "the server keeps no second factor: its writes hold passwords to the rules without one"
                }
                _ => "the directory answers it",
            };
            return Err(refuse(
                &format!("input.{k}"),
                format!(
                    "`{k}` is not accepted in directory mode: {why} (stateless mode takes it, with an admin key)"
                ),
            ));
        }
    }
    Ok(())
}

fn account(u: &UserRow) -> Result<Value, DecideError> {
    serde_json::to_value(u.account()).map_err(|e| DecideError::Server(ApiError::from(e)))
}

/// A user or a stored resource named by `input[key]`: a user id, or `{"type", "id"}`.
enum Named {
    User(Box<UserRow>),
    Resource(resources::ResourceRow),
}

/// A user named in a request must be one the actor may read (`users.read`), as in the
/// management API: a user outside the actor's reach is answered as no user at all, so a
/// decision never reveals what the actor may not see (a status, an anonymised record).
async fn named(
    app: &App,
    conn: &mut AnyConnection,
    tenant: &Tenant,
    actor: &UserRow,
    input: &Map<String, Value>,
    key: &str,
    op: Op,
) -> Result<Named, DecideError> {
    // `authorize` and `permissions` name resources too; every other operation a user.
    let users_only = !matches!(op, Op::Authorize | Op::Permissions);
    let path = format!("input.{key}");
    let (kind, id) = match input.get(key) {
        None => return Err(refuse(&path, "is required: a user id")),
        Some(Value::String(id)) => ("user".to_owned(), id.clone()),
        Some(Value::Object(o)) if !users_only && o.len() == 2 => {
            match (
                o.get("type").and_then(Value::as_str),
                o.get("id").and_then(Value::as_str),
            ) {
                (Some(t), Some(i)) => (t.to_owned(), i.to_owned()),
                _ => {
                    return Err(refuse(
                        &path,
                        "is a user id or `{\"type\", \"id\"}` of a stored resource",
                    ));
                }
            }
        }
        Some(_) if users_only => return Err(refuse(&path, "is a user id in directory mode")),
        Some(_) => {
            return Err(refuse(
                &path,
                "is a user id or `{\"type\", \"id\"}` of a stored resource in directory mode",
            ));
        }
    };
    if id.is_empty() || id.chars().count() > resources::MAX_RESOURCE_ID_CHARS {
        return Err(refuse(&path, "is not an id of this tenant"));
    }
    if kind == "user" {
        let unknown = || refuse(&path, format!("no user `{id}` in this tenant"));
        let Some(u) = store::user(conn, &tenant.id, &id)
            .await?
            .filter(|u| u.deleted_at.is_none())
        else {
            return Err(unknown());
        };
        let rows = chain_rows(conn, &tenant.id, &[&actor.id, &u.id]).await?;
        let (dir, _) = warden_core::access::Directory::from_accounts(&rows);
        let read = warden_core::access::authorize(
            &tenant.policy,
            &dir,
            &warden_core::access::AuthorizeRequest {
                actor: actor.account(),
                action: "users.read".into(),
                target: warden_core::access::Target::from(&u.account()),
                change: None,
            },
            now(),
            NEUTRAL_LANG,
        );
        match read {
            // An `authorize` question is narrowed by the plugins itself (a `users.read`
            // question then answers as a deny naming the plugin, as an AuthZEN evaluation
            // does); every other operation answers about the user only if the plugins let
            // the actor read it, as the management API does (the plugin set was normally
            // loaded as the request was authenticated: no second connection is needed).
            Ok(d) if d.allowed() => {
                let t = warden_core::access::Target::from(&u.account());
                if op == Op::Authorize
                    || crate::plugins::allows(app, tenant, actor.account(), "users.read", t, &d)
                        .await?
                {
                    Ok(Named::User(Box::new(u)))
                } else {
                    Err(unknown())
                }
            }
            _ => Err(unknown()),
        }
    } else {
        match resources::resource(conn, &tenant.id, &kind, &id).await? {
            Some(r) => Ok(Named::Resource(r)),
            None => Err(refuse(&path, format!("no {kind} `{id}` in this tenant"))),
        }
    }
}

/// The directory rows (id and manager) of the manager chains above `starts`.
async fn chain_rows(
    conn: &mut AnyConnection,
    tenant: &str,
    starts: &[&str],
) -> Result<Vec<Account>, DecideError> {
    let mut rows = Vec::new();
    let mut seen = BTreeSet::new();
    for s in starts {
        for (id, manager) in store::ancestors(conn, tenant, s).await? {
            if seen.insert(id.clone()) {
                rows.push(Account {
                    manager,
                    ..Account::new(id)
                });
            }
        }
    }
    Ok(rows)
}

/// [`chain_rows`] as the contract's `directory` member.
async fn chains(
    conn: &mut AnyConnection,
    tenant: &str,
    starts: &[&str],
) -> Result<Value, DecideError> {
    let rows = chain_rows(conn, tenant, starts).await?;
    serde_json::to_value(rows).map_err(|e| DecideError::Server(ApiError::from(e)))
}

fn now_value() -> Value {
    Value::String(now().to_string())
}

/// Transition and delete facts: the caller may give what the directory does not hold
/// (bookings, pending approvals); the number of active super administrators and the
/// critical permissions only `target` holds are the directory's, read as the status and
/// deletion routes read them ([`HeldFacts`](crate::users::HeldFacts)).
async fn lifecycle_facts(
    conn: &mut AnyConnection,
    tenant: &Tenant,
    target: &UserRow,
    question: crate::users::Lifecycle,
    input: &Map<String, Value>,
) -> Result<Value, DecideError> {
    let mut facts = match input.get("facts") {
        None => Map::new(),
        Some(Value::Object(f)) => f.clone(),
        Some(_) => return Err(refuse("input.facts", "expected an object")),
    };
    for (fact, what) in [
        (
            "activeSuperAdmins",
            "counts the active super administrators",
        ),
        ("soleHolderOf", "knows who holds each critical permission"),
    ] {
        if facts.contains_key(fact) {
            return Err(refuse(
                &format!("input.facts.{fact}"),
                format!("is not accepted in directory mode: the directory {what}"),
            ));
        }
    }
    let held = crate::users::HeldFacts::read(conn, tenant, target, question).await?;
    facts.insert("activeSuperAdmins".into(), held.supers.into());
    facts.insert("soleHolderOf".into(), held.sole_holder_of.into());
    Ok(Value::Object(facts))
}

async fn directory_mode(
    app: &App,
    caller: &Caller,
    tenant: &Tenant,
    op: Op,
    lang: Lang,
    mut input: Map<String, Value>,
) -> Result<Value, DecideError> {
    if !DIRECTORY_OPS.contains(&op) {
        return Err(DecideError::Refused {
            status: StatusCode::BAD_REQUEST,
            code: "stateless_only",
            path: None,
            message: format!(
                "`{}` runs in stateless mode only (`?mode=stateless`, an admin key): directory mode answers {}",
                op.name(),
                DIRECTORY_OPS
                    .iter()
                    .map(|o| o.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    let mut conn = app.db.pool().acquire().await?;
    let t = &tenant.id;
    let policy = &tenant.policy;
    let actor = || -> Result<&UserRow, DecideError> { caller.actor().map_err(DecideError::Server) };
    // A decision the server's own writes would not make: they know of no second factor.
    refuse_asserted(&input, &["mfa"])?;
    match op {
        Op::Password => {}
        Op::Validate => {
            refuse_asserted(&input, &["facts", "today"])?;
            let today = now()
                .date()
                .ok_or_else(|| DecideError::Server(ApiError::Internal("clock".into())))?;
            input.insert("today".into(), today.to_string().into());
            let first = api::evaluate_with(policy, op, lang, Value::Object(input.clone()))?;
            let checks: Vec<Check> = first
                .get("checks")
                .cloned()
                .map(serde_json::from_value)
                .transpose()
                .map_err(|e| DecideError::Server(ApiError::from(e)))?
                .unwrap_or_default();
            if checks.is_empty() {
                // Nothing to ask the store: the kernel's decision stands, narrowed by the
                // tenant's plugins as every other validation is.
                drop(conn);
                let input = Value::Object(input);
                return Ok(crate::plugins::compose(app, tenant, op, &input, first).await?);
            }
            // The store answers (is this email taken?) only to a caller who could learn it
            // by the write itself: an update of a user the actor may update (which does
            // not collide with itself), or a creation by an actor who may create users
            // somewhere. Anyone else would have an oracle of the tenant's addresses: the
            // checks are then left open, as the kernel asked them.
            let named_self = input
                .get("user")
                .and_then(|u| u.get("id"))
                .and_then(Value::as_str)
                .map(str::to_owned);
            let (entitled, self_id) = match (named_self, caller.actor.as_ref()) {
                (Some(id), Some(a))
                    if crate::users::may_act(app, &mut conn, tenant, a, &id, "users.update")
                        .await? =>
                {
                    (true, Some(id))
                }
                (_, Some(a)) => (
                    crate::users::may_create_somewhere(tenant, a).unwrap_or(false),
                    None,
                ),
                (_, None) => (matches!(caller.credential, Credential::AdminKey(_)), None),
            };
            if !entitled {
                drop(conn);
                let input = Value::Object(input);
                return Ok(crate::plugins::compose(app, tenant, op, &input, first).await?);
            }
            // Under attribute permissions, only the checks of fields the actor may set
            // (`users::settable`): the others stay open.
            let checks: Vec<Check> = match (caller.actor.as_ref(), input.get("user")) {
                (Some(a), Some(Value::Object(record))) => {
                    let settable =
                        crate::users::settable(&mut conn, tenant, a, record, self_id.as_deref())
                            .await?;
                    checks.into_iter().filter(|c| settable.may_ask(c)).collect()
                }
                _ => checks,
            };
            let mut facts = store::answer_checks(&mut conn, t, &checks, self_id.as_deref()).await?;
            // A duplicate names its holder only to an actor who may read it.
            crate::users::conceal_holders(
                app,
                &mut conn,
                tenant,
                caller.actor.as_ref(),
                &checks,
                &mut facts,
                &mut crate::users::HolderAnswers::new(),
            )
            .await?;
            input.insert(
                "facts".into(),
                serde_json::to_value(&facts).map_err(|e| DecideError::Server(ApiError::from(e)))?,
            );
        }
        Op::Scope => {
            refuse_asserted(&input, &["actor", "now"])?;
            input.insert("actor".into(), account(actor()?)?);
            input.insert("now".into(), now_value());
        }
        Op::Authorize | Op::Permissions => {
            refuse_asserted(&input, &["actor", "directory", "now"])?;
            let a = actor()?;
            let target = named(app, &mut conn, tenant, a, &input, "target", op).await?;
            // A stored resource is acted on through its own module only, as AuthZEN
            // decides it: `accounts.read` is no answer about a lead.
            if let (Op::Authorize, Named::Resource(r)) = (op, &target)
                && let Some(action) = input.get("action").and_then(Value::as_str)
                && !crate::authzen::acts_on(tenant, &r.kind, action)
            {
                return Err(DecideError::Refused {
                    status: StatusCode::BAD_REQUEST,
                    code: "action_not_applicable",
                    path: Some("input.action".into()),
                    message: format!(
                        "`{}` does not act on `{}` resources: a resource is acted on through its own module",
                        action.chars().take(128).collect::<String>(),
                        r.kind
                    ),
                });
            }
            let (target, subject) = match &target {
                Named::User(u) => (
                    serde_json::to_value(warden_core::access::Target::from(&u.account())),
                    Some(u.id.clone()),
                ),
                Named::Resource(r) => (serde_json::to_value(r.target()), r.owner.clone()),
            };
            let target = target.map_err(|e| DecideError::Server(ApiError::from(e)))?;
            let starts: Vec<&str> = std::iter::once(a.id.as_str())
                .chain(subject.as_deref())
                .collect();
            input.insert("directory".into(), chains(&mut conn, t, &starts).await?);
            input.insert("actor".into(), account(a)?);
            input.insert("target".into(), target);
            input.insert("now".into(), now_value());
        }
        Op::Transition | Op::Delete => {
            refuse_asserted(&input, &["actor", "directory", "now"])?;
            let a = actor()?;
            let Named::User(target) =
                named(app, &mut conn, tenant, a, &input, "target", op).await?
            else {
                return Err(refuse("input.target", "is a user id"));
            };
            let question = if op == Op::Delete {
                crate::users::Lifecycle::Deletion
            } else {
                crate::users::Lifecycle::Transition
            };
            let facts = lifecycle_facts(&mut conn, tenant, &target, question, &input).await?;
            input.insert("facts".into(), facts);
            input.insert(
                "directory".into(),
                chains(&mut conn, t, &[&a.id, &target.id]).await?,
            );
            input.insert("actor".into(), account(a)?);
            input.insert("target".into(), account(&target)?);
            input.insert("now".into(), now_value());
        }
        Op::Login => {
            refuse_asserted(&input, &["facts", "organization", "now"])?;
            let Named::User(u) =
                named(app, &mut conn, tenant, actor()?, &input, "account", op).await?
            else {
                return Err(refuse("input.account", "is a user id"));
            };
            let organization = match &u.organization {
                Some(o) => store::organization_active(&mut conn, t, o)
                    .await?
                    .map(|active| OrganizationState {
                        id: o.clone(),
                        active,
                    }),
                None => None,
            };
            let facts = json!({
                "failedAttempts": u.failed_logins.iter().map(|s| Timestamp::from_unix(*s).to_string()).collect::<Vec<_>>(),
                "lockouts": u32::try_from(u.lockouts).unwrap_or(0),
                "passwordChangedAt": u.password_changed_at.map(|s| Timestamp::from_unix(s).to_string()),
                "mustChangePassword": u.must_change_password,
                // The directory keeps no e-mail verification state: as at sign-in
                // (`users::login`), a stored account counts as verified.
                "emailVerified": true,
            });
            input.insert("account".into(), account(&u)?);
            if let Some(o) = organization {
                input.insert(
                    "organization".into(),
                    serde_json::to_value(o).map_err(|e| DecideError::Server(ApiError::from(e)))?,
                );
            }
            input.insert("facts".into(), facts);
            input.insert("now".into(), now_value());
        }
        Op::EffectiveStatus => {
            refuse_asserted(&input, &["now"])?;
            let Named::User(u) =
                named(app, &mut conn, tenant, actor()?, &input, "account", op).await?
            else {
                return Err(refuse("input.account", "is a user id"));
            };
            input.insert("account".into(), account(&u)?);
            input.insert("now".into(), now_value());
        }
        _ => {}
    }
    drop(conn);
    let input = Value::Object(input);
    let core = api::evaluate_with(policy, op, lang, input.clone())?;
    // The tenant's plugins narrow validations, authorizations and transitions.
    Ok(crate::plugins::compose(app, tenant, op, &input, core).await?)
}
