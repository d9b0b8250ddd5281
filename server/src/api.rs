//! The HTTP routes. Handlers are thin: authentication is the [`Caller`] extractor, the work
//! is in [`crate::users`], errors map to statuses in [`ApiError`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::app::{App, now};
use crate::auth::{Caller, SESSION_COOKIE};
use crate::error::ApiError;
use crate::imports::{self, ImportQuery, MAX_IMPORT_BODY};
use crate::tokens;
use crate::users::{self, DeleteQuery, ListQuery, ResetBody, StatusBody};

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// The largest body of `PUT /policy`: the kernel's largest policy document
/// ([`warden_core::policy::limits::MAX_DOCUMENT_BYTES`]), as the CLI takes it. The text is
/// stored as given and `GET /policy` answers it as stored, so a document read back can be
/// written back.
pub const MAX_POLICY_BODY: usize = warden_core::policy::limits::MAX_DOCUMENT_BYTES;

/// The router: the API under `/api/v1`, health checks, and the console's static files
/// when `www` is given.
pub fn router(app: Arc<App>, www: Option<PathBuf>) -> Router {
    let api = Router::new()
        .route("/session", post(sign_in).get(whoami).delete(sign_out))
        .route("/users", get(list_users).post(create_user))
        .route(
            "/users/{id}",
            get(read_user).patch(update_user).delete(delete_user),
        )
        .route("/users/{id}/status", post(status_user))
        .route("/users/{id}/password-reset", post(reset_user))
        .route("/users/{id}/password", post(change_password))
        .route("/password-reset", post(redeem_reset))
        .route("/users/{id}/audit", get(user_audit))
        .route("/statistics", get(statistics))
        .route("/keys", post(create_key).get(list_keys))
        .route("/keys/{id}", axum::routing::delete(revoke_key))
        .route(
            "/users/{id}/sessions",
            axum::routing::delete(revoke_sessions),
        )
        .route("/imports/{id}", get(read_import))
        .route("/organizations", get(list_orgs).post(create_org))
        .route(
            "/organizations/{id}",
            axum::routing::patch(update_org).delete(delete_org),
        )
        .route("/groups", get(list_groups))
        .route("/groups/{id}/members", get(group_members))
        .route(
            "/groups/{id}/members/{user}",
            axum::routing::put(add_member).delete(remove_member),
        )
        .route("/decide/{operation}", post(crate::decide::decide))
        .route(
            "/resources/{kind}/{id}",
            get(crate::resources::read)
                .put(crate::resources::put)
                .delete(crate::resources::remove),
        )
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .merge(crate::plugins::routes())
        // A policy document as large as the kernel takes one (`MAX_DOCUMENT_BYTES`).
        .merge(
            Router::new()
                .route("/policy", get(read_policy).put(replace_policy))
                .layer(DefaultBodyLimit::disable())
                .layer(RequestBodyLimitLayer::new(MAX_POLICY_BODY)),
        )
        .merge(
            Router::new()
                .route("/imports", post(import_users))
                .layer(DefaultBodyLimit::disable())
                .layer(RequestBodyLimitLayer::new(MAX_IMPORT_BODY)),
        )
        .merge(
            Router::new()
                .route("/bulk", post(bulk_users))
                .layer(DefaultBodyLimit::disable())
                .layer(RequestBodyLimitLayer::new(crate::bulk::MAX_BULK_BODY)),
        )
        // An unknown API path is 404 whatever the method (not the console's 405), and no
        // API answer is kept by a cache: they carry users' data.
        .fallback(api_not_found)
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    let timeout = app.settings.request_timeout;
    let cors = match crate::ops::cors(&app.settings.cors_origins) {
        Ok(c) => c,
        Err(e) => {
            // Origins are checked when the settings are made (`serve`); a bad one here
            // keeps CORS closed.
            tracing::error!(error = %e, "CORS stays closed");
            None
        }
    };
    let mut r = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/openapi.json", get(crate::openapi::serve))
        .route("/metrics", get(crate::ops::metrics))
        .nest("/api/v1", api)
        .merge(crate::authzen::routes())
        .with_state(Arc::clone(&app));
    if let Some(dir) = www {
        r = r.fallback_service(ServeDir::new(dir));
    }
    // Innermost first: the language of the kernel's messages (said on the responses that
    // carry them), the timeout, the limits' typed bodies, metrics, the request's log span,
    // then the request id (set when absent, echoed on every response), then CORS.
    let r = r
        .layer(axum::middleware::from_fn(crate::extract::content_language))
        .layer(axum::middleware::from_fn_with_state(
            timeout,
            crate::ops::bounded_time,
        ))
        .layer(axum::middleware::from_fn(crate::ops::typed_limits))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&app),
            crate::ops::forget_stale_policy,
        ))
        .layer(axum::middleware::from_fn_with_state(app, crate::ops::track))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &axum::http::Request<_>| {
                    // The path only: no query string, no header (credentials), no body.
                    let id = crate::extract::request_id(req.headers()).unwrap_or_default();
                    tracing::info_span!(
                        "request",
                        request_id = %id,
                        method = %req.method(),
                        path = %req.uri().path(),
                    )
                })
                .on_request(())
                .on_response(
                    tower_http::trace::DefaultOnResponse::new()
                        .level(tracing::Level::INFO)
                        .latency_unit(tower_http::LatencyUnit::Micros),
                ),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(axum::middleware::from_fn(crate::ops::bound_request_id));
    let r = security_headers(r);
    match cors {
        Some(c) => r.layer(c),
        None => r,
    }
}

/// The console's content security policy: its own scripts, styles and wasm (compiled
/// from its own origin: `wasm-unsafe-eval`), requests to its own origin, no inline script,
/// no plugin, no framing. Sent on every response (an API answer opened as a page is
/// held to it too).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Headers every response carries, unless a handler set its own: the content security
/// policy, no MIME sniffing, no framing, no referrer.
fn security_headers(r: Router) -> Router {
    let set = |name, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    r.layer(set(
        header::CONTENT_SECURITY_POLICY,
        CONTENT_SECURITY_POLICY,
    ))
    .layer(set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
    .layer(set(header::X_FRAME_OPTIONS, "DENY"))
    .layer(set(header::REFERRER_POLICY, "no-referrer"))
}

/// The API's answer to a path it does not have, whatever the method: the router's own
/// 404, which `ops::typed_limits` answers as every unknown route (`NO_ROUTE`).
async fn api_not_found() -> StatusCode {
    StatusCode::NOT_FOUND
}

/// The version an edit was read at (`If-Match: "7"`, weak or strong, or `*`: any):
/// `None` when not given or `*`.
///
/// # Errors
/// A header that names no version (400 `invalid_header`).
fn if_match(h: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(v) = h.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = v.to_str().unwrap_or_default().trim();
    if text == "*" {
        return Ok(None);
    }
    text.trim_start_matches("W/")
        .trim_matches('"')
        .parse::<i64>()
        .map(Some)
        .map_err(|_| {
            crate::error::Malformed::new(
                crate::error::RequestPart::Header,
                "invalid_header",
                "`If-Match`: the user's `version` as read, e.g. \"7\"",
            )
            .field(Some("If-Match".into()))
            .into()
        })
}

/// The request's id as audited: the caller's (bounded by `ops::bound_request_id`; bytes
/// that are not UTF-8 shown as U+FFFD) or the one the server gave it.
use crate::extract::request_id;

pub use crate::extract::{AcceptLanguage, Body, Params, UrlParams};

/// Runs `work` (a bulk operation, an import) to its end, in a task of its own that the
/// caller going away does not cancel, within the request's span (its logs keep the request
/// id), holding one of the instance's places (`jobs`, [`App::jobs`]), waited for at most
/// `wait` (the request timeout): none free by then is 503 `busy`.
async fn run_to_end<T: Send + 'static>(
    jobs: Arc<tokio::sync::Semaphore>,
    wait: Duration,
    work: impl std::future::Future<Output = Result<T, ApiError>> + Send + 'static,
) -> Result<T, ApiError> {
    use tracing::Instrument as _;
    let place = match tokio::time::timeout(wait, jobs.acquire_owned()).await {
        Ok(Ok(place)) => place,
        Ok(Err(_)) | Err(_) => return Err(ApiError::Busy),
    };
    tokio::spawn(
        async move {
            let out = work.await;
            drop(place);
            out
        }
        .instrument(tracing::Span::current()),
    )
    .await
    .map_err(|e| ApiError::Internal(format!("run-to-end task: {e}")))?
}

/// Liveness: never touches the database.
async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// Readiness: the database answers (within 2 s) and every migration this build embeds is
/// applied.
async fn readyz(State(app): State<Arc<App>>) -> Response {
    let expected = app.db.expected_migrations();
    match tokio::time::timeout(Duration::from_secs(2), app.db.applied_migrations()).await {
        Ok(Ok(n)) if n >= expected => {
            Json(json!({"status": "ready", "migrations": n})).into_response()
        }
        Ok(Ok(n)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({
                "error": "unavailable",
                "message": format!("{n} of {expected} migrations applied"),
            })),
        )
            .into_response(),
        _ => ApiError::Unavailable.into_response(),
    }
}

/// A stored import report (the import's items committed, each with its audit entry).
async fn read_import(
    State(app): State<Arc<App>>,
    caller: Caller,
    accept: AcceptLanguage,
    UrlParams(id): UrlParams<String>,
) -> Result<Json<Value>, ApiError> {
    // The stored report's text is the language it was stored in, whoever reads it.
    accept.answer_in(crate::extract::NEUTRAL_LANG);
    imports::stored_report(&app, &caller, &id).await.map(Json)
}

/// The body of a console sign-in.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    /// The tenant's id.
    tenant: String,
    /// The user's login (e-mail or username, as the tenant's policy says).
    login: String,
    /// The password (never logged).
    password: String,
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignIn")
            .field("tenant", &self.tenant)
            .field("login", &self.login)
            .field("password", &"***")
            .finish()
    }
}

async fn sign_in(
    State(app): State<Arc<App>>,
    accept: AcceptLanguage,
    Body(b): Body<SignIn>,
) -> Result<Response, ApiError> {
    let tenant = match app.tenant(&b.tenant).await {
        Ok(t) => t,
        Err(ApiError::NotFound) => {
            users::hash_for_nothing(b.password).await;
            return Err(ApiError::Unauthenticated);
        }
        Err(other) => return Err(other),
    };
    let lang = accept.negotiate(&tenant.policy);
    let done = users::login(&app, &tenant, &b.login, b.password, lang).await?;
    let token = tokens::new_token("wds_").map_err(|e| ApiError::Internal(e.to_string()))?;
    let at = now().unix();
    let ttl = app.settings.session_seconds;
    sqlx::query(
        "INSERT INTO sessions (token_hash, tenant_id, user_id, epoch, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token.hashed())
    .bind(&tenant.id)
    .bind(&done.user.id)
    .bind(done.user.session_epoch)
    .bind(at)
    .bind(at + ttl)
    .execute(app.db.pool())
    .await?;
    let secure = if app.settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={ttl}{secure}",
        token.expose()
    );
    let mut resp = Json(json!({
        "tenant": tenant.id,
        "user": crate::fields::own_view(&tenant.policy, &done.user)?,
        "mustChangePassword": done.must_change_password,
        "policy": tenant.policy.hash(),
    }))
    .into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| ApiError::Internal(e.to_string()))?,
    );
    Ok(resp)
}

async fn whoami(caller: Caller) -> Result<Json<Value>, ApiError> {
    let actor = caller.actor()?;
    Ok(Json(json!({
        "tenant": caller.tenant.id,
        "user": crate::fields::own_view(&caller.tenant.policy, actor)?,
        "mustChangePassword": actor.must_change_password,
        "policy": caller.tenant.policy.hash(),
        "policyVersion": caller.tenant.version,
    })))
}

/// The query of a sign-out.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignOut {
    /// End every session of the user, not only this one (bumps the session epoch).
    #[serde(default)]
    everywhere: bool,
}

async fn sign_out(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    caller: Caller,
    accept: AcceptLanguage,
    Params(q): Params<SignOut>,
) -> Result<Response, ApiError> {
    if q.everywhere {
        let id = caller.actor()?.id.clone();
        let lang = accept.negotiate(&caller.tenant.policy);
        crate::revoke::revoke_sessions(&app, &caller, &id, lang, request_id(&headers)).await?;
    } else if caller.credential == crate::auth::Credential::Session {
        let token = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == SESSION_COOKIE)
            .map(|(_, v)| v.to_owned())
            .unwrap_or_default();
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(tokens::hash_token(&token))
            .execute(app.db.pool())
            .await?;
    }
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("warden_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(resp)
}

async fn list_users(
    State(app): State<Arc<App>>,
    caller: Caller,
    Params(q): Params<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    users::list(&app, &caller, &q).await.map(Json)
}

async fn create_user(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    caller: Caller,
    accept: AcceptLanguage,
    Body(b): Body<Map<String, Value>>,
) -> Result<Response, ApiError> {
    let lang = accept.negotiate(&caller.tenant.policy);
    let w = users::create(&app, &caller, b, lang, request_id(&headers)).await?;
    let (status, mut headers, body) = with_version(StatusCode::CREATED, w.extra, w.user);
    // RFC 9110 §15.3.2: where the new user is.
    if let Some(location) = body
        .get("user")
        .and_then(|u| u.get("id"))
        .and_then(Value::as_str)
        .and_then(|id| HeaderValue::from_str(&format!("/api/v1/users/{id}")).ok())
    {
        headers.insert(header::LOCATION, location);
    }
    Ok((status, headers, Json(body)).into_response())
}

/// The `ETag` of a user view: its stored `version` (RFC 9110 §8.8.3), the tag an edit
/// names in `If-Match`.
fn etag(user: &Value) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Some(tag) = user
        .get("version")
        .and_then(Value::as_i64)
        .and_then(|v| HeaderValue::from_str(&format!("\"{v}\"")).ok())
    {
        headers.insert(header::ETAG, tag);
    }
    headers
}

/// A user answer, `user` beside `extra`, with the user's [`etag`].
fn with_version(
    status: StatusCode,
    mut extra: Map<String, Value>,
    user: Value,
) -> (StatusCode, HeaderMap, Value) {
    let headers = etag(&user);
    extra.insert("user".into(), user);
    (status, headers, Value::Object(extra))
}

async fn read_user(
    State(app): State<Arc<App>>,
    caller: Caller,
    UrlParams(id): UrlParams<String>,
) -> Result<Response, ApiError> {
    let read = users::read(&app, &caller, &id).await?;
    let headers = read.get("user").map(etag).unwrap_or_default();
    Ok((headers, Json(read)).into_response())
}

async fn update_user(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    caller: Caller,
    accept: AcceptLanguage,
    UrlParams(id): UrlParams<String>,
    Body(b): Body<Map<String, Value>>,
) -> Result<Response, ApiError> {
    let expected = if_match(&headers)?;
    let lang = accept.negotiate(&caller.tenant.policy);
    let w = users::update(&app, &caller, &id, b, expected, lang, request_id(&headers)).await?;
    let (status, headers, body) = with_version(StatusCode::OK, w.extra, w.user);
    Ok((status, headers, Json(body)).into_response())
}

async fn delete_user(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    caller: Caller,
    accept: AcceptLanguage,
    UrlParams(id): UrlParams<String>,
    Params(q): Params<DeleteQuery>,
) -> Result<Json<Value>, ApiError> {
    let lang = accept.negotiate(&caller.tenant.policy);
    users::delete(&app, &caller, &id, q, lang, request_id(&headers))
        .await
        .map(Json)
}

async fn status_user(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    caller: Caller,
    accept: AcceptLanguage,
    UrlParams(id): UrlParams<String>,
    Params(q): Params<users::StatusQuery>,
    Body(b): Body<StatusBody>,
) -> Result<Json<Value>, ApiError> {
    let lang = accept.negotiate(&caller.tenant.policy);
    let w = users::transition(&app, &caller, &id, b, q.dry_run, lang, request_id(&headers)).await?;
    let mut out = w.extra;
    out.insert("user".into(), w.user);
    Ok(Json(Value::Object(out)))
}

async fn reset_user(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    caller: Caller,
    accept: AcceptLanguage,
    UrlParams(id): UrlParams<String>,
    Body(b): Body<ResetBody>,
) -> Result<Json<Value>, ApiError> {
    let lang = accept.negotiate(&caller.tenant.policy);
    users::password_reset(&app, &caller, &id, b, lang, request_id(&headers))
        .await
        .map(Json)
}

async fn change_password(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    caller: Caller,
    accept: AcceptLanguage,
    UrlParams(id): UrlParams<String>,
    Body(b): Body<users::PasswordChangeBody>,
) -> Result<Json<Value>, ApiError> {
    let lang = accept.negotiate(&caller.tenant.policy);
    users::change_password(&app, &caller, &id, b, lang, request_id(&headers))
        .await
        .map(Json)
}

/// Redeems a password reset token: no credentials, the token is the credential.
async fn redeem_reset(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    accept: AcceptLanguage,
    Body(b): Body<crate::reset::RedeemBody>,
) -> Result<Json<Value>, ApiError> {
    crate::reset::redeem(&app, b, &accept, request_id(&headers))
        .await
        .map(Json)
}

async fn user_audit(
    State(app): State<Arc<App>>,
    caller: Caller,
    UrlParams(id): UrlParams<String>,
    Params(q): Params<users::HistoryQuery>,
) -> Result<Json<Value>, ApiError> {
    users::history(&app, &caller, &id, &q).await.map(Json)
}

/// The body of a new API key.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    /// `admin`, `service` (acts for the user it names) or `decide` (stateless decisions
    /// only, for a backend that keeps its own users).
    role: String,
    /// A name for people (shown in the audit log).
    name: String,
    /// Days until the key no longer authenticates (1 to 3,650); none: it does not expire.
    #[serde(default, rename = "expiresInDays")]
    #[schemars(range(min = 1, max = crate::seed::MAX_KEY_DAYS))]
    expires_in_days: Option<u32>,
}

/// Creates an API key of the caller's tenant (admin keys only), audited; the token is
/// shown once.
async fn create_key(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    caller: Caller,
    Body(b): Body<NewKey>,
) -> Result<Response, ApiError> {
    if !caller.is_admin() {
        return Err(ApiError::Forbidden {
            deny: None,
            reason: "only an admin key manages keys",
        });
    }
    let key = crate::seed::create_key_audited(
        &app,
        &caller,
        &b.role,
        &b.name,
        b.expires_in_days,
        request_id(&headers),
    )
    .await?;
    let expires_at = key
        .expires_at
        .map(|t| warden_core::Timestamp::from_unix(t).to_string());
    Ok((
        StatusCode::CREATED,
        Json(
            json!({"id": key.id, "role": b.role, "token": key.token.expose(), "expiresAt": expires_at}),
        ),
    )
        .into_response())
}

/// The query of the keys listing.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct KeysQuery {
    /// Keys after this id (the previous page's `next`).
    after: Option<String>,
}

/// The tenant's API keys (admin keys only), never their tokens.
async fn list_keys(
    State(app): State<Arc<App>>,
    caller: Caller,
    Params(q): Params<KeysQuery>,
) -> Result<Json<Value>, ApiError> {
    crate::revoke::list_keys(&app, &caller, q.after.as_deref())
        .await
        .map(Json)
}

/// Revokes an API key of the caller's tenant (admin keys only); refused at once.
async fn revoke_key(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    caller: Caller,
    UrlParams(id): UrlParams<String>,
) -> Result<Json<Value>, ApiError> {
    crate::revoke::revoke_key(&app, &caller, &id, request_id(&headers))
        .await
        .map(Json)
}

/// Ends every session of a user (the user itself, an admin key, or an actor the kernel
/// allows `users.status` on the user).
async fn revoke_sessions(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    caller: Caller,
    accept: AcceptLanguage,
    UrlParams(id): UrlParams<String>,
) -> Result<Json<Value>, ApiError> {
    let lang = accept.negotiate(&caller.tenant.policy);
    crate::revoke::revoke_sessions(&app, &caller, &id, lang, request_id(&headers))
        .await
        .map(Json)
}

/// The tenant's current policy (admin keys only), as stored; with the kernel's reason when
/// it does not compile on this server.
async fn read_policy(
    State(app): State<Arc<App>>,
    caller: crate::auth::PolicyAdmin,
) -> Result<Json<PolicyOut>, ApiError> {
    let stored = crate::app::stored_policy(app.db.pool(), &caller.tenant_id).await?;
    // The text just read, compiled: its reason is the row's, whatever this instance's
    // cache holds (another instance may have replaced it meanwhile).
    let compile_error = warden_core::Policy::from_json(&stored.document)
        .err()
        .map(|e| CompileError {
            path: e.path().to_owned(),
            reason: e.reason().to_owned(),
        });
    // The stored text as it was given (its key order, its white space), as the tenant
    // wrote it: a `Value` would sort its keys.
    let document = serde_json::value::RawValue::from_string(stored.document)?;
    Ok(Json(PolicyOut {
        version: stored.version,
        hash: stored.hash,
        document,
        compile_error,
    }))
}

/// `GET /policy`'s answer.
#[derive(serde::Serialize)]
struct PolicyOut {
    version: i64,
    hash: String,
    document: Box<serde_json::value::RawValue>,
    /// Present when the stored document does not compile on this server.
    #[serde(rename = "compileError", skip_serializing_if = "Option::is_none")]
    compile_error: Option<CompileError>,
}

/// Why a stored policy does not compile on this server: the kernel's key path and reason.
#[derive(serde::Serialize)]
struct CompileError {
    path: String,
    reason: String,
}

/// Previews (default) or commits (`?commit=true`) an import; the body is the file.
async fn import_users(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    caller: Caller,
    accept: AcceptLanguage,
    Params(q): Params<ImportQuery>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge
        } else {
            crate::error::Malformed::new(
                crate::error::RequestPart::Body,
                "unreadable_body",
                "the body could not be read",
            )
            .into()
        }
    })?;
    // Run to its end even if the caller goes away: a commit always records its report.
    let rid = request_id(&headers);
    let (jobs, wait) = (Arc::clone(&app.jobs), app.settings.request_timeout);
    run_to_end(jobs, wait, async move {
        let content_type = headers.get(axum::http::header::CONTENT_TYPE);
        imports::import(&app, &caller, &bytes, content_type, &q, &accept, rid).await
    })
    .await
    .map(Json)
}

/// Replaces the tenant's policy (admin keys only), reporting the stored users that no longer
/// pass; `?dryRun=true` only reports.
async fn replace_policy(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    caller: crate::auth::PolicyAdmin,
    accept: AcceptLanguage,
    Params(q): Params<crate::policy::ReplaceQuery>,
    Body(document): Body<Box<serde_json::value::RawValue>>,
) -> Result<Json<Value>, ApiError> {
    // Compiled and stored as its text: a `Value` would sort its keys, and the order the
    // tenant wrote its fields in is the order its forms and reports show them in.
    crate::policy::replace(
        &app,
        &caller,
        document.get(),
        &q,
        &accept,
        request_id(&headers),
    )
    .await
    .map(Json)
}

/// Statistics over the users the actor may read (the kernel's `statistics`).
async fn statistics(State(app): State<Arc<App>>, caller: Caller) -> Result<Json<Value>, ApiError> {
    users::statistics(&app, &caller).await.map(Json)
}

async fn list_orgs(
    State(app): State<Arc<App>>,
    caller: Caller,
    Params(q): Params<crate::organizations::OrganizationsQuery>,
) -> Result<Json<Value>, ApiError> {
    crate::organizations::list(&app, &caller, &q)
        .await
        .map(Json)
}

async fn create_org(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    caller: Caller,
    accept: AcceptLanguage,
    Body(b): Body<crate::organizations::NewOrganization>,
) -> Result<Response, ApiError> {
    let lang = accept.negotiate(&caller.tenant.policy);
    let v = crate::organizations::create(&app, &caller, b, lang, request_id(&headers)).await?;
    let mut headers = HeaderMap::new();
    if let Some(location) = v
        .get("organization")
        .and_then(|o| o.get("id"))
        .and_then(Value::as_str)
        .and_then(|id| HeaderValue::from_str(&format!("/api/v1/organizations/{id}")).ok())
    {
        headers.insert(header::LOCATION, location);
    }
    Ok((StatusCode::CREATED, headers, Json(v)).into_response())
}

async fn update_org(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    caller: Caller,
    accept: AcceptLanguage,
    UrlParams(id): UrlParams<String>,
    Body(b): Body<crate::organizations::OrganizationChange>,
) -> Result<Json<Value>, ApiError> {
    let lang = accept.negotiate(&caller.tenant.policy);
    crate::organizations::update(&app, &caller, &id, b, lang, request_id(&headers))
        .await
        .map(Json)
}

async fn delete_org(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    caller: Caller,
    accept: AcceptLanguage,
    UrlParams(id): UrlParams<String>,
) -> Result<Json<Value>, ApiError> {
    let lang = accept.negotiate(&caller.tenant.policy);
    crate::organizations::delete(&app, &caller, &id, lang, request_id(&headers))
        .await
        .map(Json)
}

async fn list_groups(caller: Caller) -> Result<Json<Value>, ApiError> {
    crate::groups::list(&caller).map(Json)
}

async fn group_members(
    State(app): State<Arc<App>>,
    caller: Caller,
    UrlParams(id): UrlParams<String>,
    Params(q): Params<crate::groups::MembersQuery>,
) -> Result<Json<Value>, ApiError> {
    crate::groups::members(&app, &caller, &id, &q)
        .await
        .map(Json)
}

async fn add_member(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    caller: Caller,
    accept: AcceptLanguage,
    UrlParams((id, user)): UrlParams<(String, String)>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let lang = accept.negotiate(&caller.tenant.policy);
    let v = crate::groups::set_member(&app, &caller, &id, &user, true, lang, request_id(&headers))
        .await?;
    // RFC 9110 §9.3.4: a PUT that creates the membership answers 201.
    let status = if v.get("changed") == Some(&Value::Bool(true)) {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(v)))
}

async fn remove_member(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    caller: Caller,
    accept: AcceptLanguage,
    UrlParams((id, user)): UrlParams<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let lang = accept.negotiate(&caller.tenant.policy);
    crate::groups::set_member(&app, &caller, &id, &user, false, lang, request_id(&headers))
        .await
        .map(Json)
}

/// The kernel's bulk operation: every item decided, the allowed ones executed in the
/// kernel's batches, every item reported.
async fn bulk_users(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    caller: Caller,
    accept: AcceptLanguage,
    Body(b): Body<crate::bulk::BulkBody>,
) -> Result<Json<Value>, ApiError> {
    let lang = accept.negotiate(&caller.tenant.policy);
    // Run to its end even if the caller goes away: every item committed is reported in
    // the bulk's audit entry.
    let rid = request_id(&headers);
    let (jobs, wait) = (Arc::clone(&app.jobs), app.settings.request_timeout);
    run_to_end(jobs, wait, async move {
        crate::bulk::run(&app, &caller, b, lang, rid).await
    })
    .await
    .map(Json)
}
