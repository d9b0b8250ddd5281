//! The OpenID AuthZEN Authorization API 1.0 over the directory: a policy decision point
//! for backends in any language.
//!
//! - `GET /.well-known/authzen-configuration`: the metadata (public; the endpoints are the
//!   same for every tenant).
//! - `POST /access/v1/evaluation`, `POST /access/v1/evaluations` (with
//!   `options.evaluations_semantic`: `execute_all`, `deny_on_first_deny`,
//!   `permit_on_first_permit`).
//! - `POST /access/v1/search/subject`, `/search/resource`, `/search/action`.
//!
//! **Who calls, and which tenant.** Every endpoint but the metadata takes an API key
//! (`Authorization: Bearer wdn_…`, role `service` or `admin`); the key's tenant is the
//! tenant addressed, so one tenant never reads another's data. A console session is refused.
//!
//! **Subjects and resources come from the directory.** A subject is a user of the tenant
//! (`{"type": "user", "id"}`: the user's id or, when no user has that id, the user's login,
//! e-mail or username; searches answer with ids); a resource is a user (`type` `user`) or a
//! stored resource of another type (its organisation, owner and location, see
//! [`crate::resources`]). `properties` a caller sends never grant anything: they are
//! listed in the response context as ignored. The one exception narrows only: for the
//! `users.status` action, `action.properties` `to`, `reason`, `durationDays` and
//! `durationMinutes` are the parameters of the transition asked about, and
//! `activeBookings` and `pendingApprovals` the caller's facts the status route takes too
//! (the directory holds neither bookings nor approvals; they feed the state machine's
//! guards and obligations, never the authorization); the kernel's state machine and the
//! tenant's plugins' transition hook then run after the authorization allowed, as for the
//! status route, and may only turn the allow into a deny. A deletion (`users.delete`) is always also the lifecycle's, as the deletion route
//! decides it (a policy without deletion refuses every one); its `action.properties`
//! `mode` and `activeBookings` are the route's. The searches answer as evaluations would,
//! with the same `action.properties` (read by one function for both): every result
//! they return is allowed by an evaluation of it, and properties an evaluation would refuse
//! as malformed are a 400 naming the field.
//!
//! **Actions.** An action name `module.action` is the kernel's action as is; a bare name
//! (`read`) is the action of the module named like the resource's type (`record.read`) or
//! its plural (`users.read` for a `user`). A resource other than a user is acted on through
//! its own module only: another module's action is an error of the question
//! (`action_not_applicable`), never an answer about the resource.
//! Any action on a user but its read and a creation is decided only for a subject that may
//! read that user (the kernel's `users.read`, then the tenant's plugins), as the REST
//! routes decide it: for any other subject the answer is a deny with `error` 404
//! `unknown_resource` (the REST routes' 404 to that subject), whether or not the action
//! would have been allowed, and the searches leave the user out. The caller, a service
//! holding a key, is not hidden from: an evaluation of `users.read` itself answers the
//! kernel's deny, where a user that does not exist answers `unknown_resource`.
//!
//! **Decisions.** `decision` is the kernel's allow; the response `context` names the
//! policy (`policy`, its hash, and `policyVersion`), the `mode` (`directory`), the action
//! decided, the allowing rule and scope, or the kernel's denial (`deny`: kind, code,
//! message, hint), the lifecycle's obligations, and an `error` (`status`, `code`,
//! `message`) when the question could not be decided (an unknown subject, resource or
//! action): a deny, never an allow.
//!
//! **Searches** are never truncated: a page holds at most `page.limit` results (default
//! 100, at most 1,000) and, while more may follow, a non-empty `page.next_token` (opaque,
//! bound to the tenant and the question, refused with a 400 on any other question).

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;
use tower_http::limit::RequestBodyLimitLayer;
use warden_core::Lang;
use warden_core::access::{
    self, AuthorizeRequest, AuthzDecision, Directory, Placeholder, SqlOptions, SubtreeStrategy,
    Target,
};
use warden_core::lifecycle;

use crate::app::{App, Tenant, now};
use crate::auth::{Caller, Credential};
use crate::error::ApiError;
use crate::extract::{AcceptLanguage, NEUTRAL_LANG};
use crate::resources::{self, MAX_RESOURCE_ID_CHARS};
use crate::store::{self, Param, UserRow};
use crate::users::{HeldFacts, Lifecycle, StatusBody};

/// The largest AuthZEN request body, in bytes: 256 KiB.
pub const MAX_AUTHZEN_BODY: usize = 256 * 1024;
/// The most evaluations one `evaluations` request may carry: 1,000.
pub const MAX_EVALUATIONS: usize = 1_000;
/// The default page size of a search.
pub const DEFAULT_PAGE: i64 = 100;
/// The largest page size of a search.
pub const MAX_PAGE: i64 = 1_000;
/// The most users one subject-search request examines; past it, the page ends early with
/// a `next_token` (a page may then hold fewer results than its limit, never fewer than
/// exist: nothing is skipped).
pub const MAX_SUBJECT_SCAN: usize = 5_000;

/// The routes (merged at the root of the server).
pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/.well-known/authzen-configuration", get(metadata))
        .route("/access/v1/evaluation", post(evaluation))
        .route("/access/v1/evaluations", post(evaluations))
        .route("/access/v1/search/subject", post(search_subject))
        .route("/access/v1/search/resource", post(search_resource))
        .route("/access/v1/search/action", post(search_action))
        .layer(RequestBodyLimitLayer::new(MAX_AUTHZEN_BODY))
}

/// Why an AuthZEN request was refused before any decision.
#[derive(Debug)]
pub enum AuthzenError {
    /// A missing or invalid field: HTTP 400 naming the field and the reason.
    Invalid {
        /// The field (`subject.type`, `evaluations[1].resource`, `page.token`).
        field: String,
        /// Why (`is required`, `must be a string`).
        reason: String,
    },
    /// Any other refusal (authentication, the database), through the server's error map.
    Api(ApiError),
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> AuthzenError {
    AuthzenError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

impl From<ApiError> for AuthzenError {
    fn from(e: ApiError) -> Self {
        AuthzenError::Api(e)
    }
}

impl From<sqlx::Error> for AuthzenError {
    fn from(e: sqlx::Error) -> Self {
        AuthzenError::Api(ApiError::from(e))
    }
}

impl IntoResponse for AuthzenError {
    fn into_response(self) -> Response {
        match self {
            AuthzenError::Invalid { field, reason } => (
                StatusCode::BAD_REQUEST,
                Json(json!({
                    "error": "invalid_request",
                    "field": field,
                    "reason": reason,
                    "message": format!("`{field}` {reason}"),
                })),
            )
                .into_response(),
            AuthzenError::Api(e) => e.into_response(),
        }
    }
}

type Result<T, E = AuthzenError> = std::result::Result<T, E>;

/// Only an API key of the tenant calls the decision point.
fn require_key(caller: &Caller) -> Result<()> {
    match caller.credential {
        Credential::AdminKey(_) | Credential::ServiceKey(_) => Ok(()),
        Credential::Session => Err(AuthzenError::Api(ApiError::Forbidden {
            deny: None,
            reason: "the AuthZEN API takes an API key of the tenant (Authorization: Bearer)",
        })),
        // Refused by the extractor already: the decision point reads the directory.
        Credential::DecideKey(_) => Err(AuthzenError::Api(ApiError::Forbidden {
            deny: None,
            reason: "a decide key takes stateless decisions only",
        })),
    }
}

/// The body as a JSON object: `application/json`, not empty, valid JSON, an object.
fn parse_body(
    headers: &HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Map<String, Value>> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AuthzenError::Api(ApiError::TooLarge)
        } else {
            invalid("body", "could not be read")
        }
    })?;
    let json_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json_type {
        return Err(invalid("Content-Type", "must be `application/json`"));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid("body", "is empty"));
    }
    // A key given twice would be read as its last value here and as its first by another
    // reader: refused, as the management API refuses it.
    if let Err(ApiError::Malformed(m)) = crate::extract::unique_keys(&body) {
        return Err(invalid(
            m.field.clone().unwrap_or_else(|| "body".into()),
            format!("names a key twice ({})", m.message),
        ));
    }
    match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(invalid("body", "must be a JSON object")),
        Err(e) => Err(invalid("body", format!("is not valid JSON ({e})"))),
    }
}

/// What every decision endpoint reads first: an API key of the tenant, then the body.
fn request(
    caller: &Caller,
    headers: &HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Map<String, Value>> {
    require_key(caller)?;
    parse_body(headers, body)
}

/// The required top-level `subject` or `resource` of a search.
fn required_entity(m: &Map<String, Value>, key: &str) -> Result<EntityIn> {
    entity_in(required(object(m, key, "")?, key.into())?, key)
}

/// The `type` of the entity a search looks for (the `subject` of a subject search, the
/// `resource` of a resource search), required. Its `id`, whatever it holds (a string, empty
/// or not, `null`, any value), is ignored, as AuthZEN 1.0 says of an id present there; its
/// `properties`, when present, must be an object and are ignored too.
fn searched_type(m: &Map<String, Value>, key: &str) -> Result<String> {
    let e = required(object(m, key, "")?, key.into())?;
    object(e, "properties", key)?;
    required(text(e, "type", key)?, join(key, "type"))
}

/// The required top-level `action` of a search.
fn required_action(m: &Map<String, Value>) -> Result<ActionIn> {
    action_in(
        required(object(m, "action", "")?, "action".into())?,
        "action",
    )
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// `m[key]` as an object: `None` when absent.
fn object<'a>(
    m: &'a Map<String, Value>,
    key: &str,
    prefix: &str,
) -> Result<Option<&'a Map<String, Value>>> {
    match m.get(key) {
        None => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(_) => Err(invalid(join(prefix, key), "must be an object")),
    }
}

/// `m[key]` as a non-empty string of at most [`MAX_RESOURCE_ID_CHARS`] characters: `None`
/// when absent.
fn text(m: &Map<String, Value>, key: &str, prefix: &str) -> Result<Option<String>> {
    match m.get(key) {
        None => Ok(None),
        Some(Value::String(s)) if s.is_empty() => {
            Err(invalid(join(prefix, key), "must not be empty"))
        }
        Some(Value::String(s)) if s.chars().count() > MAX_RESOURCE_ID_CHARS => Err(invalid(
            join(prefix, key),
            format!("is longer than {MAX_RESOURCE_ID_CHARS} characters"),
        )),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(join(prefix, key), "must be a string")),
    }
}

fn required<T>(v: Option<T>, field: String) -> Result<T> {
    v.ok_or_else(|| invalid(field, "is required"))
}

/// A subject or a resource as sent.
#[derive(Debug, Clone, Default)]
struct EntityIn {
    kind: Option<String>,
    id: Option<String>,
    properties: bool,
}

fn entity_in(m: &Map<String, Value>, path: &str) -> Result<EntityIn> {
    let properties = object(m, "properties", path)?.is_some();
    Ok(EntityIn {
        kind: text(m, "type", path)?,
        id: text(m, "id", path)?,
        properties,
    })
}

/// An action as sent.
#[derive(Debug, Clone, Default)]
struct ActionIn {
    name: Option<String>,
    properties: Option<Map<String, Value>>,
}

fn action_in(m: &Map<String, Value>, path: &str) -> Result<ActionIn> {
    Ok(ActionIn {
        name: text(m, "name", path)?,
        properties: object(m, "properties", path)?.cloned(),
    })
}

/// A complete question: who, what, to what.
#[derive(Debug, Clone)]
struct Question {
    subject_type: String,
    subject_id: String,
    action: String,
    action_properties: Option<Map<String, Value>>,
    resource_type: String,
    resource_id: String,
    /// The `properties` that were sent and not used (`subject.properties`).
    ignored: Vec<String>,
}

/// Reads a question from its three parts, every field required.
fn question(
    subject: Option<&Map<String, Value>>,
    action: Option<&Map<String, Value>>,
    resource: Option<&Map<String, Value>>,
    prefix: &str,
) -> Result<Question> {
    let s = entity_in(
        required(subject, join(prefix, "subject"))?,
        &join(prefix, "subject"),
    )?;
    let a = action_in(
        required(action, join(prefix, "action"))?,
        &join(prefix, "action"),
    )?;
    let r = entity_in(
        required(resource, join(prefix, "resource"))?,
        &join(prefix, "resource"),
    )?;
    let mut ignored = Vec::new();
    if s.properties {
        ignored.push("subject.properties".to_owned());
    }
    if r.properties {
        ignored.push("resource.properties".to_owned());
    }
    Ok(Question {
        subject_type: required(s.kind, join(prefix, "subject.type"))?,
        subject_id: required(s.id, join(prefix, "subject.id"))?,
        action: required(a.name, join(prefix, "action.name"))?,
        action_properties: a.properties,
        resource_type: required(r.kind, join(prefix, "resource.type"))?,
        resource_id: required(r.id, join(prefix, "resource.id"))?,
        ignored,
    })
}

/// The request's optional `context`: an object when present (it never decides: the
/// server's clock and directory do).
fn check_context(m: &Map<String, Value>, prefix: &str) -> Result<()> {
    object(m, "context", prefix).map(|_| ())
}

/// The kernel's action for an AuthZEN action name on a resource type: `module.action` as
/// is; a bare name in the module named like the type, or its plural.
pub fn warden_action(tenant: &Tenant, resource_type: &str, name: &str) -> String {
    if name.contains('.') {
        return name.to_owned();
    }
    // The module holding the action; else the type's declared module, so that the
    // kernel's refusal names the module and the actions it has (`users.delete` in a
    // policy whose `users` module deletes nothing), not a module nobody declared.
    module_of(tenant, resource_type, name)
        .or_else(|| module_of(tenant, resource_type, ""))
        .map_or_else(
            || format!("{resource_type}.{name}"),
            |m| format!("{m}.{name}"),
        )
}

/// The module that holds the actions on `resource_type` (the type, or its plural), if the
/// policy declares one (with `name` among its actions, when a name is given).
fn module_of(tenant: &Tenant, resource_type: &str, name: &str) -> Option<String> {
    let access = tenant.policy.document().access.as_ref()?;
    [resource_type.to_owned(), format!("{resource_type}s")]
        .into_iter()
        .find(|m| match access.modules.get(m) {
            Some(actions) => name.is_empty() || actions.iter().any(|a| a == name),
            None => false,
        })
}

/// Whether `action` acts on resources of `resource_type`: a user is acted on through any
/// module (`roles.assign` names it in full); another type only through its own module
/// (the type, or its plural), as the action search lists them. `accounts.read` does not
/// decide whether a lead may be read.
pub(crate) fn acts_on(tenant: &Tenant, resource_type: &str, action: &str) -> bool {
    if resource_type == "user" {
        return true;
    }
    let Some((module, _)) = action.split_once('.') else {
        return false;
    };
    module_of(tenant, resource_type, "")
        .as_deref()
        .unwrap_or(resource_type)
        == module
}

/// The parameters of a deletion asked about (`action.properties` of `users.delete`), as
/// the deletion route's query: `mode` and `activeBookings`; the deletion counts as
/// confirmed (a confirmation is the caller's step, not a permission). The field and the
/// reason when one is malformed.
fn delete_params(
    p: Option<&Map<String, Value>>,
) -> std::result::Result<crate::users::DeleteQuery, (String, String)> {
    let mut q = crate::users::DeleteQuery {
        confirm: true,
        ..crate::users::DeleteQuery::default()
    };
    let Some(p) = p else { return Ok(q) };
    unknown_property(p, &["mode", "activeBookings"])?;
    if let Some(m) = p.get("mode") {
        q.mode = Some(serde_json::from_value(m.clone()).map_err(|_| {
            (
                "action.properties.mode".to_owned(),
                "must be `soft`, `hard` or `anonymize`".to_owned(),
            )
        })?);
    }
    if let Some(n) = p.get("activeBookings") {
        q.active_bookings = Some(n.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or_else(
            || {
                (
                    "action.properties.activeBookings".to_owned(),
                    "must be a whole number from 0 to 4294967295".to_owned(),
                )
            },
        )?);
    }
    Ok(q)
}

/// Refuses a property the question does not take (a typo such as `activebookings` must not
/// be read as a fact left out): the field and the reason.
fn unknown_property(
    p: &Map<String, Value>,
    known: &[&str],
) -> std::result::Result<(), (String, String)> {
    match p.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err((
            format!(
                "action.properties.{}",
                k.chars().take(64).collect::<String>()
            ),
            format!(
                "is not a parameter of this action (it takes {})",
                known
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
        None => Ok(()),
    }
}

/// The lifecycle's decision on `actor` deleting `target` (the deletion route's second
/// question, after the authorization): `Err` when the policy has no lifecycle (the route
/// cannot delete at all then) or the question cannot be asked. `held`: the facts the
/// server reads from its directory, read once by the caller; a denial in `lang`.
fn deletion(
    tenant: &Tenant,
    dir: &Directory,
    actor: &UserRow,
    target: &UserRow,
    q: &crate::users::DeleteQuery,
    held: HeldFacts,
    lang: Lang,
) -> std::result::Result<lifecycle::DeleteDecision, (&'static str, String)> {
    let req = crate::users::delete_request(
        tenant,
        dir,
        actor.account(),
        target.account(),
        q,
        held,
        lang,
    )
    .map_err(|e| ("unsupported", e.to_string()))?;
    lifecycle::delete(&tenant.policy, &req, now()).map_err(|e| (e.code(), e.to_string()))
}

/// Whether the lifecycle lets `actor` delete `target` as `q` asks (a search's question):
/// the decision an evaluation with the same `action.properties` makes.
fn deletion_allows(
    tenant: &Tenant,
    dir: &Directory,
    actor: &UserRow,
    target: &UserRow,
    q: &crate::users::DeleteQuery,
    held: HeldFacts,
) -> bool {
    deletion(tenant, dir, actor, target, q, held, NEUTRAL_LANG).is_ok_and(|d| d.allowed())
}

/// Whether the policy lets anyone delete a user at all (a lifecycle with `deletion`):
/// without, every deletion is refused, and a search need not read a row to say so.
fn deletions_possible(tenant: &Tenant) -> bool {
    tenant
        .policy
        .lifecycle()
        .is_some_and(|l| l.spec().deletion.is_some())
}

/// What the context of every decision starts with.
fn base_context(tenant: &Tenant) -> Map<String, Value> {
    let mut c = Map::new();
    c.insert("policy".into(), tenant.policy.hash().into());
    c.insert("policyVersion".into(), tenant.version.into());
    c.insert("mode".into(), "directory".into());
    c
}

/// A question whose `action.properties` are malformed: its error, naming the field.
fn invalid_property(mut ctx: Map<String, Value>, field: &str, reason: &str) -> Value {
    ctx.insert("field".into(), field.into());
    deny_with_error(ctx, 400, "invalid_request", format!("`{field}` {reason}"))
}

fn deny_with_error(mut ctx: Map<String, Value>, status: u16, code: &str, message: String) -> Value {
    ctx.insert(
        "error".into(),
        json!({"status": status, "code": code, "message": message}),
    );
    json!({"decision": false, "context": Value::Object(ctx)})
}

/// The live user a search's subject names, when it may act at all: none for an unknown
/// one or one whose organisation is inactive ([`store::out_of_reach`]), as an evaluation
/// denies it (see `decide`).
async fn acting_subject(
    conn: &mut AnyConnection,
    tenant: &Tenant,
    id: &str,
) -> Result<Option<UserRow>, ApiError> {
    match live_user(conn, &tenant.id, id).await? {
        Some(u) if !store::out_of_reach(conn, &tenant.policy, &u).await? => Ok(Some(u)),
        _ => Ok(None),
    }
}

/// A live (not deleted) user of the tenant named by its id or by its login (the e-mail or
/// username key, compared as the store normalises it): a PEP often knows a user by the
/// identity provider's e-mail. An id that names two users (a username that is another
/// user's id or e-mail address) names none: the decision of one must never answer for the
/// other.
async fn live_user(
    conn: &mut AnyConnection,
    tenant: &str,
    id: &str,
) -> Result<Option<UserRow>, sqlx::Error> {
    // An id as given, or as ids are written (lower case, no surrounding blanks): the login
    // lookup folds the same way, so both readings are weighed.
    let by_id = match store::user(conn, tenant, id).await? {
        Some(u) => Some(u),
        None => {
            let folded = id.trim().to_lowercase();
            if folded == id {
                None
            } else {
                store::user(conn, tenant, &folded).await?
            }
        }
    };
    let holders = store::login_holders(conn, tenant, id).await?;
    let found = match (by_id, holders.as_slice()) {
        (Some(u), []) => Some(u),
        (Some(u), [only]) if *only == u.id => Some(u),
        (None, [only]) => store::user(conn, tenant, only).await?,
        _ => None,
    };
    Ok(found.filter(|u| u.deleted_at.is_none()))
}

/// A resource as the kernel sees it, loaded from the directory.
enum Loaded {
    User(Box<UserRow>),
    Resource(resources::ResourceRow),
}

impl Loaded {
    fn target(&self) -> Target {
        match self {
            Loaded::User(u) => Target::from(&u.account()),
            Loaded::Resource(r) => r.target(),
        }
    }
}

async fn load_resource(
    conn: &mut AnyConnection,
    tenant: &str,
    kind: &str,
    id: &str,
) -> Result<Option<Loaded>, sqlx::Error> {
    if kind == "user" {
        Ok(live_user(conn, tenant, id)
            .await?
            .map(|u| Loaded::User(Box::new(u))))
    } else {
        Ok(resources::resource(conn, tenant, kind, id)
            .await?
            .map(Loaded::Resource))
    }
}

/// The manager chains above the actor and the target's subject (the user itself, or a
/// resource's owner): what the `team` scope between them reads.
async fn directory_for(
    conn: &mut AnyConnection,
    tenant: &str,
    starts: &[&str],
) -> Result<Directory, sqlx::Error> {
    let mut rows: Vec<(String, Option<String>)> = Vec::new();
    for s in starts {
        rows.extend(store::ancestors(conn, tenant, s).await?);
    }
    Ok(crate::users::directory_of(rows))
}

/// The kernel's decision on `actor` doing `action` to `target` with `dir`, when it allows
/// (a deny, or a question the kernel refuses: `None`).
fn allowed_by_kernel(
    tenant: &Tenant,
    dir: &Directory,
    actor: &UserRow,
    action: &str,
    target: &Target,
) -> Option<AuthzDecision> {
    crate::users::authorize(
        tenant,
        dir,
        &actor.account(),
        action,
        target.clone(),
        None,
        NEUTRAL_LANG,
    )
    .ok()
    .filter(AuthzDecision::allowed)
}

/// The action that reads a user.
const READ: &str = "users.read";

/// Whether `action` on a resource of `resource_type` needs the subject to read it first.
/// The REST routes answer "not found" for a user the actor may not read, whatever they were
/// asked to do with it; an evaluation answers alike, so that a backend asking AuthZEN and
/// the console asking REST never disagree (a policy may grant `users.update` without
/// `users.read`). Every action on a user needs the read but the read itself and a creation
/// (whose resource is the record to be).
fn needs_read(tenant: &Tenant, resource_type: &str, action: &str) -> bool {
    resource_type == "user" && action != READ && tenant.policy.create_action() != Some(action)
}

/// Whether `actor` may read the user `target` (with `dir` holding the chains between
/// them), as the REST routes ask before anything else ([`crate::users::lets_read`]); a
/// question the kernel cannot decide (a role the policy no longer declares) reads nothing,
/// as an evaluation answers it.
///
/// # Errors
/// Plugin set load failures.
async fn reads_user(
    app: &App,
    tenant: &Tenant,
    dir: &Directory,
    actor: &UserRow,
    target: &Target,
    plugins: bool,
) -> Result<bool, ApiError> {
    match crate::users::lets_read(app, tenant, dir, actor, target, plugins).await {
        Err(ApiError::Malformed(_)) => Ok(false),
        read => read,
    }
}

/// Reads the parameters of a status change asked about (`action.properties` of
/// `users.status`), as the status route's body: `None` when no `to` is given (then the
/// properties are ignored), the field and the reason when one is malformed.
fn transition_params(
    p: &Map<String, Value>,
) -> std::result::Result<Option<StatusBody>, (String, String)> {
    let field = |k: &str| format!("action.properties.{k}");
    let to = match p.get("to") {
        None => return Ok(None),
        Some(Value::String(s)) if !s.is_empty() && s.chars().count() <= 128 => s.clone(),
        Some(_) => {
            return Err((
                field("to"),
                "must be a status name (1 to 128 characters)".into(),
            ));
        }
    };
    unknown_property(
        p,
        &[
            "to",
            "reason",
            "until",
            "durationDays",
            "durationMinutes",
            "activeBookings",
            "pendingApprovals",
        ],
    )?;
    let reason = match p.get("reason") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err((field("reason"), "must be a string".into())),
    };
    let whole = |k: &str| match p.get(k) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| {
                (
                    field(k),
                    "must be a whole number from 0 to 4294967295".to_owned(),
                )
            }),
    };
    let until = match p.get("until") {
        None => None,
        Some(v) => Some(
            serde_json::from_value::<warden_core::Timestamp>(v.clone()).map_err(|_| {
                (
                    field("until"),
                    "must be an RFC 3339 date and time (`2026-12-31T18:00:00Z`)".to_owned(),
                )
            })?,
        ),
    };
    Ok(Some(StatusBody {
        to,
        reason,
        until,
        duration_days: whole("durationDays")?,
        duration_minutes: whole("durationMinutes")?,
        active_bookings: whole("activeBookings")?,
        pending_approvals: whole("pendingApprovals")?,
    }))
}

/// What an action's `properties` ask beyond the action itself, read once and the same way
/// for an evaluation and for a search (whose every result an evaluation of it allows).
enum Asked {
    /// The action alone: its `properties`, if any, are ignored.
    Action,
    /// A deletion of a user (`users.delete`), with the deletion route's parameters.
    Deletion(crate::users::DeleteQuery),
    /// A status change of a user (`users.status` with a `to`, under a lifecycle), with the
    /// status route's body.
    Transition(StatusBody),
}

/// Reads what `action` (the kernel's, resolved) on a resource of `resource_type` asks with
/// its `properties` (see [`Asked`]): the field and the reason when one is malformed.
fn asked(
    tenant: &Tenant,
    resource_type: &str,
    action: &str,
    p: Option<&Map<String, Value>>,
) -> std::result::Result<Asked, (String, String)> {
    if resource_type != "user" {
        return Ok(Asked::Action);
    }
    match (action, p) {
        ("users.delete", p) => delete_params(p).map(Asked::Deletion),
        ("users.status", Some(p)) if tenant.policy.lifecycle().is_some() => {
            Ok(transition_params(p)?.map_or(Asked::Action, Asked::Transition))
        }
        _ => Ok(Asked::Action),
    }
}

/// The lifecycle's answer to a status change asked with its parameters.
enum Transition {
    /// The question cannot be asked (a status the policy does not declare): its code and
    /// message.
    Refused(&'static str, String),
    /// A guard of the state machine, or a plugin, refused: the denial, and the plugins'
    /// reports when a plugin refused.
    Denied(Value, Option<Value>),
    /// Allowed: the state machine's decision, and the reports of the plugins' transition
    /// hook.
    Allowed(Box<lifecycle::TransitionDecision>, Vec<Value>),
}

/// The status route's questions after its authorization, on `actor` changing `target`'s
/// status as `params` ask: the kernel's state machine (with `held`, the facts the server
/// reads from its directory), then the tenant's plugins' transition hook. `earlier`: the
/// reports of the plugins' authorization hook, carried by a plugin's denial. Asked alike by
/// an evaluation and, for each candidate, by a search.
///
/// # Errors
/// Plugin faults that are not a denial, serialisation.
#[allow(clippy::too_many_arguments)]
async fn transition(
    app: &App,
    tenant: &Tenant,
    dir: &Directory,
    actor: &UserRow,
    target: &UserRow,
    params: StatusBody,
    held: HeldFacts,
    earlier: &[Value],
    at: warden_core::Timestamp,
    lang: Lang,
) -> Result<Transition, ApiError> {
    let req = match crate::users::transition_request(
        tenant,
        dir,
        actor.account(),
        target.account(),
        params,
        held,
        lang,
    ) {
        Ok(req) => req,
        Err(e) => {
            let e = warden_core::api::ApiError::from(e);
            return Ok(Transition::Refused(e.code(), e.to_string()));
        }
    };
    let td = match lifecycle::transition(&tenant.policy, &req, at) {
        Ok(td) => td,
        Err(e) => {
            let e = warden_core::api::ApiError::from(e);
            return Ok(Transition::Refused(e.code(), e.to_string()));
        }
    };
    if !td.allowed() {
        return Ok(Transition::Denied(serde_json::to_value(&td.deny)?, None));
    }
    match crate::plugins::transition(app, tenant, &req, &td)
        .await
        .map_err(|e| e.after_plugins(earlier.to_vec()))
    {
        Ok(more) => Ok(Transition::Allowed(Box::new(td), more)),
        Err(ApiError::PluginDenied { deny, plugins }) => {
            Ok(Transition::Denied(deny, Some(plugins)))
        }
        Err(e) => Err(e),
    }
}

/// Whether a status change as `params` ask stands for a search's candidate (`actor`
/// changing `target`): the answer [`transition`] gives an evaluation of it.
///
/// # Errors
/// As [`transition`].
async fn transition_allows(
    app: &App,
    tenant: &Tenant,
    dir: &Directory,
    actor: &UserRow,
    target: &UserRow,
    params: &StatusBody,
    held: HeldFacts,
) -> Result<bool, ApiError> {
    let t = transition(
        app,
        tenant,
        dir,
        actor,
        target,
        params.clone(),
        held,
        &[],
        now(),
        NEUTRAL_LANG,
    )
    .await?;
    Ok(matches!(t, Transition::Allowed(..)))
}

/// Decides one question against the directory. Domain outcomes (an unknown subject, an
/// undeclared action, a deny) are decisions; only the database fails. The kernel's denials
/// are rendered in `lang`.
async fn decide(
    app: &App,
    conn: &mut AnyConnection,
    tenant: &Tenant,
    q: &Question,
    lang: Lang,
) -> Result<Value, ApiError> {
    let mut ctx = base_context(tenant);
    let ignored = q.ignored.clone();
    // A refusal before the action's properties are read ignored all it was sent.
    let early = |ctx: &Map<String, Value>| {
        let mut ctx = ctx.clone();
        note_ignored(&mut ctx, ignored.clone(), q.action_properties.is_some());
        ctx
    };
    if q.subject_type != "user" {
        return Ok(deny_with_error(
            early(&ctx),
            404,
            "unknown_subject_type",
            format!(
                "subjects are users: `{}` is not a subject type of this server",
                q.subject_type
            ),
        ));
    }
    let Some(actor) = live_user(conn, &tenant.id, &q.subject_id).await? else {
        return Ok(deny_with_error(
            early(&ctx),
            404,
            "unknown_subject",
            format!("no user `{}` in this tenant", q.subject_id),
        ));
    };
    // A subject whose organisation is inactive may do nothing, as it may not sign in.
    if crate::store::out_of_reach(conn, &tenant.policy, &actor).await? {
        return Ok(deny_with_error(
            early(&ctx),
            403,
            "organization_inactive",
            format!(
                "the organisation of user `{}` is inactive: it may do nothing until it is active again",
                q.subject_id
            ),
        ));
    }
    let Some(loaded) = load_resource(conn, &tenant.id, &q.resource_type, &q.resource_id).await?
    else {
        return Ok(deny_with_error(
            early(&ctx),
            404,
            "unknown_resource",
            format!("no {} `{}` in this tenant", q.resource_type, q.resource_id),
        ));
    };
    let action = warden_action(tenant, &q.resource_type, &q.action);
    ctx.insert("action".into(), action.clone().into());
    if !acts_on(tenant, &q.resource_type, &action) {
        return Ok(deny_with_error(
            early(&ctx),
            400,
            "action_not_applicable",
            format!(
                "`{action}` does not act on `{}` resources: a resource is acted on through its own module",
                q.resource_type
            ),
        ));
    }
    // What the action's properties ask (a deletion's or a status change's parameters),
    // read as every search reads them: malformed, the question's error.
    let asked = match asked(
        tenant,
        &q.resource_type,
        &action,
        q.action_properties.as_ref(),
    ) {
        Ok(a) => a,
        Err((field, reason)) => {
            let mut ctx = ctx;
            note_ignored(&mut ctx, ignored.clone(), false);
            return Ok(invalid_property(ctx, &field, &reason));
        }
    };
    let target = loaded.target();
    let starts: Vec<&str> = std::iter::once(actor.id.as_str())
        .chain(target.subject())
        .collect();
    let dir = directory_for(conn, &tenant.id, &starts).await?;
    // A user the subject may not read is, to it, no user at all: the answer the REST
    // routes give it (404), without saying whether the action would have been allowed.
    if needs_read(tenant, &q.resource_type, &action) {
        let plugins = crate::plugins::current(app, &tenant.id).await?.is_some();
        if !reads_user(app, tenant, &dir, &actor, &target, plugins).await? {
            return Ok(deny_with_error(
                early(&ctx),
                404,
                "unknown_resource",
                format!(
                    "no {} `{}` that the subject may read in this tenant",
                    q.resource_type, q.resource_id
                ),
            ));
        }
    }
    let t = now();
    let req = AuthorizeRequest {
        actor: actor.account(),
        action: action.clone(),
        target: target.clone(),
        change: None,
    };
    let d = match access::authorize(&tenant.policy, &dir, &req, t, lang) {
        Ok(d) => d,
        Err(e) => {
            let e = warden_core::api::ApiError::from(e);
            return Ok(deny_with_error(ctx, 400, e.code(), e.to_string()));
        }
    };
    if !d.allowed() {
        let deny = serde_json::to_value(&d.deny)?;
        return Ok(deny_answer(
            ctx,
            deny,
            None,
            ignored,
            q.action_properties.is_some(),
        ));
    }
    // A deletion is the lifecycle's too (`deletion`: disabled, who may, blockers), asked
    // as the deletion route asks it, before the plugins as there; `action.properties` give
    // its `mode` and `activeBookings`.
    let mut deleted = None;
    if let (Loaded::User(target_user), Asked::Deletion(params)) = (&loaded, &asked) {
        let held = HeldFacts::read(conn, tenant, target_user, Lifecycle::Deletion).await?;
        match deletion(tenant, &dir, &actor, target_user, params, held, lang) {
            Err((code, message)) => return Ok(deny_with_error(ctx, 400, code, message)),
            Ok(dd) if !dd.allowed() => {
                let deny = serde_json::to_value(&dd.deny)?;
                return Ok(deny_answer(ctx, deny, None, ignored, false));
            }
            Ok(dd) => deleted = Some(dd),
        }
    }
    // The tenant's plugins may narrow the allow (a deny, or a fault failing closed); the
    // context names the plugins that took part.
    let earlier = match crate::plugins::authorize(
        app,
        tenant,
        actor.account(),
        &action,
        target.clone(),
        None,
        &d,
    )
    .await
    {
        Ok(reports) => {
            if !reports.is_empty() {
                ctx.insert("plugins".into(), reports.clone().into());
            }
            reports
        }
        Err(ApiError::PluginDenied { deny, plugins }) => {
            let props = q.action_properties.is_some();
            return Ok(deny_answer(ctx, deny, Some(plugins), ignored, props));
        }
        Err(e) => return Err(e),
    };
    if let Some(r) = &d.reason {
        ctx.insert("reason".into(), serde_json::to_value(r)?);
    }
    if let Some(s) = &d.scope {
        ctx.insert("scope".into(), serde_json::to_value(s)?);
    }
    if let Some(dd) = deleted {
        ctx.insert("deleteMode".into(), serde_json::to_value(dd.mode)?);
        ctx.insert("obligations".into(), serde_json::to_value(&dd.obligations)?);
        note_ignored(&mut ctx, ignored, false);
        return Ok(json!({"decision": true, "context": Value::Object(ctx)}));
    }
    // A status change asked with its parameters: the kernel's state machine and the
    // plugins' transition hook decide too, after the authorization allowed (they can only
    // narrow).
    if let (Loaded::User(target_user), Asked::Transition(params)) = (&loaded, asked) {
        let held = HeldFacts::read(conn, tenant, target_user, Lifecycle::Transition).await?;
        let answer = transition(
            app,
            tenant,
            &dir,
            &actor,
            target_user,
            params,
            held,
            &earlier,
            t,
            lang,
        )
        .await?;
        return Ok(match answer {
            Transition::Refused(code, message) => deny_with_error(ctx, 400, code, message),
            Transition::Denied(deny, plugins) => deny_answer(ctx, deny, plugins, ignored, false),
            Transition::Allowed(td, more) => {
                if !more.is_empty() {
                    let all: Vec<Value> = earlier.into_iter().chain(more).collect();
                    ctx.insert("plugins".into(), all.into());
                }
                ctx.insert("to".into(), td.to.clone().into());
                if let Some(u) = td.until {
                    ctx.insert("until".into(), u.to_string().into());
                }
                ctx.insert("obligations".into(), serde_json::to_value(&td.obligations)?);
                note_ignored(&mut ctx, ignored, false);
                json!({"decision": true, "context": Value::Object(ctx)})
            }
        });
    }
    note_ignored(&mut ctx, ignored, q.action_properties.is_some());
    Ok(json!({"decision": true, "context": Value::Object(ctx)}))
}

/// An evaluation's deny: the kernel's or the plugins' denial (`deny`), the plugins that
/// took part, and the properties ignored.
fn deny_answer(
    mut ctx: Map<String, Value>,
    deny: Value,
    plugins: Option<Value>,
    ignored: Vec<String>,
    action_properties: bool,
) -> Value {
    ctx.insert("deny".into(), deny);
    if let Some(p) = plugins {
        ctx.insert("plugins".into(), p);
    }
    note_ignored(&mut ctx, ignored, action_properties);
    json!({"decision": false, "context": Value::Object(ctx)})
}

fn note_ignored(ctx: &mut Map<String, Value>, mut ignored: Vec<String>, action_properties: bool) {
    if action_properties {
        ignored.push("action.properties".into());
    }
    if !ignored.is_empty() {
        ctx.insert("ignoredProperties".into(), ignored.into());
    }
}

/// `POST /access/v1/evaluation`.
async fn evaluation(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    caller: Caller,
    accept: AcceptLanguage,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Json<Value>> {
    let m = request(&caller, &headers, body)?;
    let lang = accept.negotiate(&caller.tenant.policy);
    let q = question(
        object(&m, "subject", "")?,
        object(&m, "action", "")?,
        object(&m, "resource", "")?,
        "",
    )?;
    check_context(&m, "")?;
    let mut conn = app.db.pool().acquire().await?;
    Ok(Json(
        decide(&app, &mut conn, &caller.tenant, &q, lang).await?,
    ))
}

/// How a batch ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Semantic {
    ExecuteAll,
    DenyOnFirstDeny,
    PermitOnFirstPermit,
}

fn semantic(m: &Map<String, Value>) -> Result<Semantic> {
    let Some(options) = object(m, "options", "")? else {
        return Ok(Semantic::ExecuteAll);
    };
    match options.get("evaluations_semantic") {
        None => Ok(Semantic::ExecuteAll),
        Some(Value::String(s)) => match s.as_str() {
            "execute_all" => Ok(Semantic::ExecuteAll),
            "deny_on_first_deny" => Ok(Semantic::DenyOnFirstDeny),
            "permit_on_first_permit" => Ok(Semantic::PermitOnFirstPermit),
            _ => Err(invalid(
                "options.evaluations_semantic",
                "must be `execute_all`, `deny_on_first_deny` or `permit_on_first_permit`",
            )),
        },
        Some(_) => Err(invalid("options.evaluations_semantic", "must be a string")),
    }
}

/// A per-evaluation entity replaces the top-level one as a whole, but falls back to the
/// top-level value of a required key it lacks (`type`, `id`; `name` for an action).
fn merge(top: Option<&Map<String, Value>>, item: Option<&Value>, keys: &[&str]) -> Option<Value> {
    match item {
        Some(Value::Object(i)) => {
            let mut m = i.clone();
            if let Some(t) = top {
                for k in keys {
                    if !m.contains_key(*k)
                        && let Some(v) = t.get(*k)
                    {
                        m.insert((*k).to_owned(), v.clone());
                    }
                }
            }
            Some(Value::Object(m))
        }
        Some(other) => Some(other.clone()),
        None => top.map(|t| Value::Object(t.clone())),
    }
}

/// Reads one evaluation of a batch; `Err` is that item's error (a deny with the error in its
/// context), never the batch's.
fn batch_item(top: &Map<String, Value>, item: &Value, index: usize) -> Result<Question> {
    let prefix = format!("evaluations[{index}]");
    let Value::Object(item) = item else {
        return Err(invalid(prefix, "must be an object"));
    };
    let s = merge(
        object(top, "subject", "")?,
        item.get("subject"),
        &["type", "id"],
    );
    let a = merge(object(top, "action", "")?, item.get("action"), &["name"]);
    let r = merge(
        object(top, "resource", "")?,
        item.get("resource"),
        &["type", "id"],
    );
    let as_obj = |v: &Option<Value>, key: &str| -> Result<Option<Map<String, Value>>> {
        match v {
            None => Ok(None),
            Some(Value::Object(o)) => Ok(Some(o.clone())),
            Some(_) => Err(invalid(join(&prefix, key), "must be an object")),
        }
    };
    let (s, a, r) = (
        as_obj(&s, "subject")?,
        as_obj(&a, "action")?,
        as_obj(&r, "resource")?,
    );
    check_context(item, &prefix)?;
    question(s.as_ref(), a.as_ref(), r.as_ref(), &prefix)
}

/// `POST /access/v1/evaluations`.
async fn evaluations(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    caller: Caller,
    accept: AcceptLanguage,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Json<Value>> {
    let m = request(&caller, &headers, body)?;
    let lang = accept.negotiate(&caller.tenant.policy);
    let semantic = semantic(&m)?;
    check_context(&m, "")?;
    // The defaults are held to the request's schema whether or not an item takes them: a
    // malformed default is the request's error, not silently unused.
    for key in ["subject", "resource"] {
        if let Some(o) = object(&m, key, "")? {
            entity_in(o, key)?;
        }
    }
    if let Some(o) = object(&m, "action", "")? {
        action_in(o, "action")?;
    }
    let items: &[Value] = match m.get("evaluations") {
        None => &[],
        Some(Value::Array(a)) => a,
        Some(_) => return Err(invalid("evaluations", "must be an array")),
    };
    if items.len() > MAX_EVALUATIONS {
        return Err(invalid(
            "evaluations",
            format!("holds at most {MAX_EVALUATIONS} evaluations"),
        ));
    }
    let mut conn = app.db.pool().acquire().await?;
    if items.is_empty() {
        // Backwards compatible: a single evaluation.
        let q = question(
            object(&m, "subject", "")?,
            object(&m, "action", "")?,
            object(&m, "resource", "")?,
            "",
        )?;
        return Ok(Json(
            decide(&app, &mut conn, &caller.tenant, &q, lang).await?,
        ));
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let decision = match batch_item(&m, item, i) {
            Ok(q) => decide(&app, &mut conn, &caller.tenant, &q, lang).await?,
            Err(AuthzenError::Invalid { field, reason }) => {
                let mut ctx = base_context(&caller.tenant);
                ctx.insert("field".into(), field.clone().into());
                deny_with_error(ctx, 400, "invalid_request", format!("`{field}` {reason}"))
            }
            Err(e) => return Err(e),
        };
        let allowed = decision.get("decision").and_then(Value::as_bool) == Some(true);
        out.push(decision);
        match semantic {
            Semantic::DenyOnFirstDeny if !allowed => break,
            Semantic::PermitOnFirstPermit if allowed => break,
            _ => {}
        }
    }
    Ok(Json(json!({"evaluations": out})))
}

/// A search's page request.
#[derive(Debug, Clone)]
struct Page {
    limit: i64,
    token: Option<String>,
}

fn page(m: &Map<String, Value>) -> Result<Page> {
    let Some(p) = object(m, "page", "")? else {
        return Ok(Page {
            limit: DEFAULT_PAGE,
            token: None,
        });
    };
    let limit = match p.get("limit") {
        None => DEFAULT_PAGE,
        Some(v) => match v.as_i64() {
            Some(n) if (1..=MAX_PAGE).contains(&n) => n,
            _ => {
                return Err(invalid(
                    "page.limit",
                    format!("must be a whole number from 1 to {MAX_PAGE}"),
                ));
            }
        },
    };
    // The request's keys (`next_token`, the response's name, read as `token`), and no
    // other: a page is bound to its question by all of them.
    if let Some(k) = p
        .keys()
        .find(|k| !["token", "next_token", "limit", "properties"].contains(&k.as_str()))
    {
        return Err(invalid(
            join("page", k),
            "is not a page parameter (`token`, `limit`, `properties`)",
        ));
    }
    object(p, "properties", "page")?;
    let mut token: Option<(&str, String)> = None;
    for key in ["token", "next_token"] {
        let given = match p.get(key) {
            None => continue,
            Some(Value::String(s)) if s.is_empty() => continue,
            Some(Value::String(s)) if s.len() <= 1024 => s.clone(),
            Some(Value::String(_)) => {
                return Err(invalid(
                    join("page", key),
                    "is not a token this server issued",
                ));
            }
            Some(_) => return Err(invalid(join("page", key), "must be a string")),
        };
        if let Some((first, t)) = &token
            && *t != given
        {
            return Err(invalid(
                join("page", key),
                format!("differs from `page.{first}`: give one token"),
            ));
        }
        token = Some((key, given));
    }
    Ok(Page {
        limit,
        token: token.map(|(_, t)| t),
    })
}

/// What binds a page token to one tenant and one question: the request as sent but its
/// page, its keys in order: the entities and their properties, and the context (AuthZEN
/// 1.1, paginated requests: they MUST be the same on every page, and a PDP SHOULD refuse a
/// token whose request changed). The page's own parameters are not bound: a page after
/// the token's id is the same answer whatever its size (the certification scenario asks
/// the next page with its token alone).
fn binding(tenant: &str, request: &Map<String, Value>) -> String {
    let mut asked = request.clone();
    asked.remove("page");
    let mut h = Sha256::new();
    h.update(tenant.as_bytes());
    h.update([0u8]);
    // Keys in order, whatever order they were sent in (the kernel's sorted writer).
    h.update(warden_core::api::to_sorted_json(&asked).unwrap_or_default());
    hex::encode(h.finalize()).chars().take(24).collect()
}

fn encode_token(binding: &str, after: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("wz1|{binding}|{after}"))
}

/// The id a token continues after; a 400 for a token this server did not issue for this
/// tenant and this question.
fn decode_token(token: &str, binding: &str) -> Result<String> {
    use base64::Engine;
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| invalid("page.token", "is not a token this server issued"))?;
    let mut parts = text.splitn(3, '|');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("wz1"), Some(b), Some(after)) if b == binding && !after.is_empty() => {
            Ok(after.to_owned())
        }
        (Some("wz1"), Some(_), Some(_)) => {
            Err(invalid("page.token", "was issued for another question"))
        }
        _ => Err(invalid("page.token", "is not a token this server issued")),
    }
}

/// A search's answer: the results, the page, and a context naming the policy that decided.
fn results_page(tenant: &Tenant, results: Vec<Value>, next: Option<String>) -> Json<Value> {
    let count = results.len();
    Json(json!({
        "results": results,
        "page": {"next_token": next.unwrap_or_default(), "count": count},
        "context": Value::Object(base_context(tenant)),
    }))
}

/// `POST /access/v1/search/subject`: the users who may do this action to this resource.
async fn search_subject(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    caller: Caller,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Json<Value>> {
    let m = request(&caller, &headers, body)?;
    let subject_type = searched_type(&m, "subject")?;
    let a = required_action(&m)?;
    let r = required_entity(&m, "resource")?;
    check_context(&m, "")?;
    let name = required(a.name, "action.name".into())?;
    let resource_type = required(r.kind, "resource.type".into())?;
    let resource_id = required(r.id, "resource.id".into())?;
    let page = page(&m)?;
    let tenant = &caller.tenant;
    let action = warden_action(tenant, &resource_type, &name);
    let asked = asked(tenant, &resource_type, &action, a.properties.as_ref())
        .map_err(|(field, reason)| invalid(field, reason))?;
    let bind = binding(&tenant.id, &m);
    let mut after = page
        .token
        .as_deref()
        .map(|t| decode_token(t, &bind))
        .transpose()?;
    if subject_type != "user" {
        return Ok(results_page(tenant, Vec::new(), None));
    }
    let mut conn = app.db.pool().acquire().await?;
    let Some(loaded) = load_resource(&mut conn, &tenant.id, &resource_type, &resource_id).await?
    else {
        return Ok(results_page(tenant, Vec::new(), None));
    };
    if !acts_on(tenant, &resource_type, &action) {
        return Ok(results_page(tenant, Vec::new(), None));
    }
    let target = loaded.target();
    let dir = directory_for(
        &mut conn,
        &tenant.id,
        &target.subject().into_iter().collect::<Vec<_>>(),
    )
    .await?;
    let t = now();
    let plugins = crate::plugins::current(&app, &tenant.id).await?.is_some();
    let read_first = needs_read(tenant, &resource_type, &action);
    // A deletion or a status change asked with its parameters is the lifecycle's too, for
    // each subject, as an evaluation of it asks (the facts the server holds on the user,
    // read once).
    let held = match (&loaded, &asked) {
        (Loaded::User(u), Asked::Deletion(_)) => {
            if !deletions_possible(tenant) {
                return Ok(results_page(tenant, Vec::new(), None));
            }
            Some((
                u,
                HeldFacts::read(&mut conn, tenant, u, Lifecycle::Deletion).await?,
            ))
        }
        (Loaded::User(u), Asked::Transition(_)) => Some((
            u,
            HeldFacts::read(&mut conn, tenant, u, Lifecycle::Transition).await?,
        )),
        _ => None,
    };
    let mut results = Vec::new();
    let mut closed: std::collections::HashMap<Option<String>, bool> =
        std::collections::HashMap::new();
    let mut scanned = 0usize;
    let batch: i64 = 200;
    loop {
        let mut extra = vec![Param::Text(tenant.id.clone())];
        let mut sql_where = "tenant_id = $1 AND deleted_at IS NULL".to_owned();
        if let Some(a) = &after {
            extra.push(Param::Text(a.clone()));
            sql_where.push_str(" AND id > $2");
        }
        extra.push(Param::Int(batch));
        let tail = format!("ORDER BY id LIMIT ${}", extra.len());
        let rows = store::users_where(&mut conn, &sql_where, &[], &extra, &tail).await?;
        let exhausted = i64::try_from(rows.len()).unwrap_or(i64::MAX) < batch;
        for u in &rows {
            scanned += 1;
            after = Some(u.id.clone());
            let req = AuthorizeRequest {
                actor: u.account(),
                action: action.clone(),
                target: target.clone(),
                change: None,
            };
            // A subject whose organisation is inactive may do nothing (see `decide`): each
            // organisation's answer read once.
            let reachable = match closed.get(&u.organization) {
                Some(&c) => !c,
                None => {
                    let c = store::out_of_reach(&mut conn, &tenant.policy, u).await?;
                    closed.insert(u.organization.clone(), c);
                    !c
                }
            };
            let allowed = match access::authorize(&tenant.policy, &dir, &req, t, NEUTRAL_LANG) {
                Ok(d) if d.allowed() && reachable => {
                    let deletes = match (&asked, &held) {
                        (Asked::Deletion(q), Some((target_user, held))) => {
                            deletion_allows(tenant, &dir, u, target_user, q, held.clone())
                        }
                        _ => true,
                    };
                    deletes
                        && (!plugins
                            || crate::plugins::allows(
                                &app,
                                tenant,
                                u.account(),
                                &action,
                                target.clone(),
                                &d,
                            )
                            .await?)
                }
                // A deny; an undeclared action, a role the policy no longer declares:
                // nobody may.
                _ => false,
            };
            // A subject that may not read the user may do nothing to it (see `decide`).
            let allowed = allowed
                && (!read_first || reads_user(&app, tenant, &dir, u, &target, plugins).await?);
            // A status change: the state machine's guards and the plugins' transition hook.
            let allowed = allowed
                && match (&asked, &held) {
                    (Asked::Transition(params), Some((target_user, held))) => {
                        transition_allows(&app, tenant, &dir, u, target_user, params, held.clone())
                            .await?
                    }
                    _ => true,
                };
            if allowed {
                results.push(json!({"type": "user", "id": u.id}));
            }
            let full = i64::try_from(results.len()).unwrap_or(i64::MAX) >= page.limit;
            if full || scanned >= MAX_SUBJECT_SCAN {
                let last_of_all = exhausted && rows.last().is_some_and(|l| l.id == u.id);
                let next = (!last_of_all).then(|| encode_token(&bind, &u.id));
                return Ok(results_page(tenant, results, next));
            }
        }
        if exhausted {
            return Ok(results_page(tenant, results, None));
        }
    }
}

/// `POST /access/v1/search/resource`: the resources of a type this subject may act on —
/// the kernel's scope filter executed against the directory.
async fn search_resource(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    caller: Caller,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Json<Value>> {
    let m = request(&caller, &headers, body)?;
    let s = required_entity(&m, "subject")?;
    let a = required_action(&m)?;
    let resource_type = searched_type(&m, "resource")?;
    check_context(&m, "")?;
    let subject_type = required(s.kind, "subject.type".into())?;
    let subject_id = required(s.id, "subject.id".into())?;
    let name = required(a.name, "action.name".into())?;
    let page = page(&m)?;
    let tenant = &caller.tenant;
    let action = warden_action(tenant, &resource_type, &name);
    let asked = asked(tenant, &resource_type, &action, a.properties.as_ref())
        .map_err(|(field, reason)| invalid(field, reason))?;
    let bind = binding(&tenant.id, &m);
    let after = page
        .token
        .as_deref()
        .map(|t| decode_token(t, &bind))
        .transpose()?;
    if subject_type != "user" {
        return Ok(results_page(tenant, Vec::new(), None));
    }
    let mut conn = app.db.pool().acquire().await?;
    let Some(actor) = acting_subject(&mut conn, tenant, &subject_id).await? else {
        return Ok(results_page(tenant, Vec::new(), None));
    };
    if !acts_on(tenant, &resource_type, &action) {
        return Ok(results_page(tenant, Vec::new(), None));
    }
    let Ok(scope) = access::scope(&tenant.policy, &actor.account(), &action, now()) else {
        // An undeclared action: nothing may be reached with it.
        return Ok(results_page(tenant, Vec::new(), None));
    };
    let users = resource_type == "user";
    let opts = SqlOptions {
        placeholder: Placeholder::Dollar,
        subtree: SubtreeStrategy::RecursiveCte {
            users_table: "users".into(),
        },
        owner_column: (!users).then(|| "owner_id".to_owned()),
        ..SqlOptions::default()
    };
    let filter = scope
        .filter
        .to_sql(&opts)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    // When the filter answers alone, a page is one query of `limit + 1` rows. When each
    // row is also decided (below: plugins, creations, assignments, deletions, status
    // changes), pages are
    // read on until the page is full, the rows run out, or MAX_SUBJECT_SCAN rows were
    // examined; the token continues from the last row examined, so nothing is skipped.
    let plugins = crate::plugins::current(&app, &tenant.id).await?.is_some();
    // The filter answers which rows the actor's permissions reach. Where an evaluation
    // also asks more of each row (the roles a creation or an assignment would grant,
    // against the policy's combinations and who may grant them; a deletion's or a status
    // change's lifecycle, with the parameters asked; the tenant's plugins), each row the
    // filter admits is decided as an evaluation decides it, and rows it would deny are
    // left out.
    let deleting = matches!(asked, Asked::Deletion(_));
    let transiting = matches!(asked, Asked::Transition(_));
    // A user the actor may not read is left out whatever the action (see `decide`).
    let read_first = needs_read(tenant, &resource_type, &action);
    let row_checked = plugins
        || deleting
        || transiting
        || read_first
        || tenant.policy.create_action() == Some(action.as_str())
        || tenant.policy.assign_action() == Some(action.as_str());
    if deleting && !deletions_possible(tenant) {
        return Ok(results_page(tenant, Vec::new(), None));
    }
    // The tenant's count of active super administrators, read once for every row.
    let supers = if deleting || transiting {
        store::active_super_admins(&mut conn, &tenant.id, &tenant.policy).await?
    } else {
        0
    };
    // The actor's chain of managers, for the kernel's decision on each row (read once).
    let actor_chain = if row_checked {
        store::ancestors(&mut conn, &tenant.id, &actor.id).await?
    } else {
        Vec::new()
    };
    let limit = usize::try_from(page.limit).unwrap_or(0);
    let mut cursor = after;
    let mut results = Vec::new();
    let mut scanned = 0usize;
    loop {
        let rows: Vec<Loaded> = if users {
            store::users_in_scope(
                &mut conn,
                &tenant.id,
                &filter,
                cursor.as_deref(),
                page.limit + 1,
            )
            .await?
            .into_iter()
            .map(|u| Loaded::User(Box::new(u)))
            .collect()
        } else {
            resources::page(
                &mut conn,
                &tenant.id,
                &resource_type,
                &filter,
                cursor.as_deref(),
                page.limit + 1,
            )
            .await?
            .into_iter()
            .map(Loaded::Resource)
            .collect()
        };
        let more = rows.len() > limit;
        let kept = rows.len().min(limit);
        for (i, row) in rows.into_iter().take(limit).enumerate() {
            let id = match &row {
                Loaded::User(u) => u.id.clone(),
                Loaded::Resource(r) => r.id.clone(),
            };
            scanned += 1;
            // Where rows are decided: the kernel's decision on the row, as an evaluation
            // makes it (with the directory between the actor and the row; the roles a
            // creation or an assignment grants), the lifecycle's for a deletion, the
            // plugins', then the lifecycle's for a status change (its state machine, then
            // the plugins' transition hook), each with the parameters asked. A row any of
            // them would deny is left out, as an evaluation of it would answer.
            let allowed = if row_checked {
                let target = row.target();
                let mut rows = actor_chain.clone();
                if let Some(s) = target.subject() {
                    rows.extend(store::ancestors(&mut conn, &tenant.id, s).await?);
                }
                let dir = crate::users::directory_of(rows);
                let readable =
                    !read_first || reads_user(&app, tenant, &dir, &actor, &target, plugins).await?;
                match allowed_by_kernel(tenant, &dir, &actor, &action, &target).filter(|_| readable)
                {
                    None => false,
                    Some(d) => {
                        // The facts the server holds on the row's user, for its lifecycle.
                        let held = match &row {
                            Loaded::User(u) if deleting || transiting => Some(HeldFacts {
                                supers,
                                sole_holder_of: crate::users::sole_holder_fact(
                                    &mut conn,
                                    tenant,
                                    u,
                                    if deleting {
                                        Lifecycle::Deletion
                                    } else {
                                        Lifecycle::Transition
                                    },
                                    &BTreeSet::new(),
                                )
                                .await?,
                            }),
                            _ => None,
                        };
                        let deletes = match (&asked, &row, &held) {
                            (Asked::Deletion(q), Loaded::User(u), Some(held)) => {
                                deletion_allows(tenant, &dir, &actor, u, q, held.clone())
                            }
                            _ => true,
                        };
                        deletes
                            && (!plugins
                                || crate::plugins::allows(
                                    &app,
                                    tenant,
                                    actor.account(),
                                    &action,
                                    target,
                                    &d,
                                )
                                .await?)
                            && match (&asked, &row, held) {
                                (Asked::Transition(params), Loaded::User(u), Some(held)) => {
                                    transition_allows(&app, tenant, &dir, &actor, u, params, held)
                                        .await?
                                }
                                _ => true,
                            }
                    }
                }
            } else {
                true
            };
            if allowed {
                results.push(json!({"type": resource_type, "id": id}));
            }
            let last_row = i + 1 == kept && !more;
            if results.len() >= limit || (row_checked && scanned >= MAX_SUBJECT_SCAN) {
                let next = (!last_row).then(|| encode_token(&bind, &id));
                return Ok(results_page(tenant, results, next));
            }
            cursor = Some(id);
        }
        if !more {
            return Ok(results_page(tenant, results, None));
        }
    }
}

/// Every action the policy declares, `module.action`, in its order: the order of the action
/// search's results, which its page tokens continue.
fn declared_actions(tenant: &Tenant) -> Vec<String> {
    tenant
        .policy
        .document()
        .access
        .as_ref()
        .map(|a| {
            a.modules
                .iter()
                .flat_map(|(m, actions)| actions.iter().map(move |a| format!("{m}.{a}")))
                .collect()
        })
        .unwrap_or_default()
}

/// `POST /access/v1/search/action`: the actions this subject may take on this resource
/// (the kernel's `permissions`), in the policy's order, paged as the other searches are.
async fn search_action(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    caller: Caller,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Json<Value>> {
    let m = request(&caller, &headers, body)?;
    let s = required_entity(&m, "subject")?;
    let r = required_entity(&m, "resource")?;
    check_context(&m, "")?;
    let subject_type = required(s.kind, "subject.type".into())?;
    let subject_id = required(s.id, "subject.id".into())?;
    let resource_type = required(r.kind, "resource.type".into())?;
    let resource_id = required(r.id, "resource.id".into())?;
    let page = page(&m)?;
    let tenant = &caller.tenant;
    let bind = binding(&tenant.id, &m);
    let after = page
        .token
        .as_deref()
        .map(|t| decode_token(t, &bind))
        .transpose()?;
    if subject_type != "user" {
        return Ok(results_page(tenant, Vec::new(), None));
    }
    let mut conn = app.db.pool().acquire().await?;
    let Some(actor) = acting_subject(&mut conn, tenant, &subject_id).await? else {
        return Ok(results_page(tenant, Vec::new(), None));
    };
    let Some(loaded) = load_resource(&mut conn, &tenant.id, &resource_type, &resource_id).await?
    else {
        return Ok(results_page(tenant, Vec::new(), None));
    };
    let target = loaded.target();
    let starts: Vec<&str> = std::iter::once(actor.id.as_str())
        .chain(target.subject())
        .collect();
    let dir = directory_for(&mut conn, &tenant.id, &starts).await?;
    let Ok(perms) =
        access::permissions_over(&tenant.policy, &dir, &actor.account(), &target, now())
    else {
        return Ok(results_page(tenant, Vec::new(), None));
    };
    // A resource of another type than `user` is acted on through its module only; a user
    // also through the modules that act on users (`roles.assign`), named in full.
    let module = module_of(tenant, &resource_type, "");
    let perms: Vec<String> = perms
        .into_iter()
        .filter(|p| {
            resource_type == "user"
                || module
                    .as_deref()
                    .is_some_and(|m| p.strip_prefix(m).is_some_and(|r| r.starts_with('.')))
        })
        .collect();
    // A user the actor may not read: no action but a creation (see `decide`).
    let plugins = crate::plugins::current(&app, &tenant.id).await?.is_some();
    let perms = match &loaded {
        Loaded::User(_)
            if perms.iter().any(|p| needs_read(tenant, &resource_type, p))
                && !reads_user(&app, tenant, &dir, &actor, &target, plugins).await? =>
        {
            perms
                .into_iter()
                .filter(|p| !needs_read(tenant, &resource_type, p))
                .collect()
        }
        _ => perms,
    };
    // A deletion is the lifecycle's too, as an evaluation of it asks.
    let perms = match &loaded {
        Loaded::User(target_user) if perms.iter().any(|p| p == "users.delete") => {
            // The action search names no parameters: the deletion an evaluation without
            // `action.properties` asks about.
            let allows = deletions_possible(tenant)
                && match asked(tenant, "user", "users.delete", None) {
                    Ok(Asked::Deletion(q)) => {
                        let held =
                            HeldFacts::read(&mut conn, tenant, target_user, Lifecycle::Deletion)
                                .await?;
                        deletion_allows(tenant, &dir, &actor, target_user, &q, held)
                    }
                    _ => false,
                };
            perms
                .into_iter()
                .filter(|p| allows || p != "users.delete")
                .collect()
        }
        _ => perms,
    };
    // The tenant's plugins may narrow each action, as an evaluation of it would.
    let perms = if plugins {
        let mut kept = Vec::with_capacity(perms.len());
        for p in perms {
            let allowed = match allowed_by_kernel(tenant, &dir, &actor, &p, &target) {
                Some(d) => {
                    crate::plugins::allows(&app, tenant, actor.account(), &p, target.clone(), &d)
                        .await?
                }
                None => false,
            };
            if allowed {
                kept.push(p);
            }
        }
        kept
    } else {
        perms
    };
    // The page: the actions after the token's, in the policy's order, at most `limit`.
    let declared = declared_actions(tenant);
    let position = |a: &str| declared.iter().position(|d| d == a);
    let mut perms = match after {
        None => perms,
        Some(last) => {
            let from = position(&last).ok_or_else(|| {
                invalid(
                    "page.token",
                    "names an action the policy no longer declares",
                )
            })?;
            perms
                .into_iter()
                .filter(|p| position(p).is_some_and(|i| i > from))
                .collect()
        }
    };
    let limit = usize::try_from(page.limit).unwrap_or(0);
    let next = if perms.len() > limit {
        perms.truncate(limit);
        perms.last().map(|last| encode_token(&bind, last))
    } else {
        None
    };
    let results = perms
        .into_iter()
        .map(|p| {
            let short = module
                .as_deref()
                .and_then(|m| p.strip_prefix(m))
                .and_then(|rest| rest.strip_prefix('.'))
                .map(str::to_owned);
            json!({"name": short.unwrap_or(p)})
        })
        .collect();
    Ok(results_page(tenant, results, next))
}

/// `GET /.well-known/authzen-configuration`: the endpoints, under the base URL the caller
/// used (`https` when the server runs behind HTTPS, `--secure-cookies`). Public: it names
/// no tenant (the API key does).
async fn metadata(State(app): State<Arc<App>>, headers: HeaderMap) -> Result<Response> {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .ok_or_else(|| invalid("Host", "is required: a host name, optionally with a port"))?;
    let scheme = if app.settings.secure_cookies {
        "https"
    } else {
        "http"
    };
    let base = format!("{scheme}://{host}");
    let doc = Json(json!({
        "policy_decision_point": base,
        "access_evaluation_endpoint": format!("{base}/access/v1/evaluation"),
        "access_evaluations_endpoint": format!("{base}/access/v1/evaluations"),
        "search_subject_endpoint": format!("{base}/access/v1/search/subject"),
        "search_resource_endpoint": format!("{base}/access/v1/search/resource"),
        "search_action_endpoint": format!("{base}/access/v1/search/action"),
    }));
    // The answer depends on the Host asked for: a shared cache must not give one host's
    // answer (a forged Host's) for another.
    Ok(([(header::VARY, "Host")], doc).into_response())
}
