//! Operating the server: Prometheus metrics, structured JSON logs with request ids, the
//! typed bodies of the limits' errors (413, 408), CORS (closed unless origins are given),
//! and the shutdown signal.
//!
//! Metrics use the Prometheus project's own client (`prometheus-client`): one registry per
//! [`App`], so two instances in one process (the tests) never mix their counts. Nothing
//! tenant-controlled becomes a label except the fixed set of operations, outcomes and
//! fault codes, so the number of series is bounded.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::app::App;
use crate::error::ApiError;

/// Labels of an HTTP request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    /// The method.
    pub method: String,
    /// The route's template (`/api/v1/users/{id}`), `unmatched` outside the routes.
    pub route: String,
    /// The status code.
    pub status: u16,
}

/// Labels of a request's latency.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// The method.
    pub method: String,
    /// The route's template.
    pub route: String,
}

/// Labels of a decision.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DecisionLabels {
    /// `validate`, `authorize`, `transition`.
    pub operation: String,
    /// `allow`, `deny`, `valid`, `invalid`.
    pub outcome: String,
}

/// Labels of a plugin fault.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FaultLabels {
    /// The hook (`validateUser`, `authorize`, `transition`).
    pub hook: String,
    /// The fault's code (`fuel_exhausted`, `deadline`, ...) or `disabled`.
    pub code: String,
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<HttpLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    decisions: Family<DecisionLabels, Counter>,
    plugin_faults: Family<FaultLabels, Counter>,
    pool_size: Gauge,
    pool_idle: Gauge,
    pool_max: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// Latency buckets: 0.25 ms to about 16 s, doubling.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_25, 2.0, 17))
}

impl Metrics {
    /// A fresh registry with every metric registered.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("warden");
        let requests = Family::<HttpLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        let decisions = Family::<DecisionLabels, Counter>::default();
        let plugin_faults = Family::<FaultLabels, Counter>::default();
        let (pool_size, pool_idle, pool_max) =
            (Gauge::default(), Gauge::default(), Gauge::default());
        registry.register(
            "http_requests",
            "HTTP requests by method, route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by method and route",
            latency.clone(),
        );
        registry.register(
            "decisions",
            "Kernel decisions (with the tenant's plugins) by operation and outcome",
            decisions.clone(),
        );
        registry.register(
            "plugin_faults",
            "Tenant plugin faults by hook and fault code",
            plugin_faults.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Open database connections",
            pool_size.clone(),
        );
        registry.register(
            "db_pool_idle_connections",
            "Idle database connections",
            pool_idle.clone(),
        );
        registry.register(
            "db_pool_max_connections",
            "The pool's connection limit",
            pool_max.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            decisions,
            plugin_faults,
            pool_size,
            pool_idle,
            pool_max,
        }
    }

    /// Counts a decision.
    pub fn decision(&self, operation: &str, outcome: &str) {
        self.decisions
            .get_or_create(&DecisionLabels {
                operation: operation.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// Counts a plugin fault.
    pub fn plugin_fault(&self, hook: &str, code: &str) {
        self.plugin_faults
            .get_or_create(&FaultLabels {
                hook: hook.to_owned(),
                code: code.to_owned(),
            })
            .inc();
    }

    fn request(&self, method: &Method, route: &str, status: StatusCode, elapsed: Duration) {
        let method = method_label(method);
        self.requests
            .get_or_create(&HttpLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status: status.as_u16(),
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.to_owned(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// The OpenMetrics text of every metric, the pool's state read now.
    ///
    /// # Errors
    /// Formatting errors (none in practice: the target is a `String`).
    pub fn render(&self, pool: &sqlx::AnyPool, max_connections: u32) -> Result<String, ApiError> {
        self.pool_size.set(i64::from(pool.size()));
        self.pool_idle
            .set(i64::try_from(pool.num_idle()).unwrap_or(i64::MAX));
        self.pool_max.set(i64::from(max_connections));
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .map_err(|e| ApiError::Internal(format!("metrics: {e}")))?;
        Ok(out)
    }
}

/// `GET /metrics`: Prometheus' text format; with a metrics token set
/// ([`crate::app::Settings::metrics_token_hash`]), only to a request bearing it (401
/// without it, as any route without credentials).
pub async fn metrics(State(app): State<Arc<App>>, headers: axum::http::HeaderMap) -> Response {
    if let Some(expected) = &app.settings.metrics_token_hash {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(crate::auth::bearer_token)
            .map(crate::tokens::hash_token);
        if given.as_ref() != Some(expected) {
            return ApiError::Unauthenticated.into_response();
        }
    }
    match app.metrics.render(app.db.pool(), app.db.max_connections()) {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// Counts every request by route template and status, and times it.
pub async fn track(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let start = Instant::now();
    let resp = next.run(req).await;
    app.metrics
        .request(&method, &route, resp.status(), start.elapsed());
    resp
}

/// The request timeout (`limit`), but for the work of the routes that must run to their
/// end once started: a bulk operation and an import (bounded by their item and size
/// limits, and by [`crate::app::MAX_RUNNING_JOBS`] at once), whose partial work would
/// otherwise be committed without its report; their bodies are still read within it. A
/// request over the limit answers 408 `timeout`.
pub async fn bounded_time(
    State(limit): State<std::time::Duration>,
    req: Request,
    next: Next,
) -> Response {
    let runs_to_its_end = req.method() == axum::http::Method::POST
        && matches!(req.uri().path(), "/api/v1/bulk" | "/api/v1/imports");
    if runs_to_its_end {
        // The body is still read within the limit (a caller cannot hold the connection by
        // sending it slowly), and bounded by the larger of the two routes' own limits
        // (each route holds its own after this).
        let (parts, body) = req.into_parts();
        let most = crate::imports::MAX_IMPORT_BODY.max(crate::bulk::MAX_BULK_BODY);
        let bytes = match tokio::time::timeout(limit, axum::body::to_bytes(body, most)).await {
            Err(_) => return ApiError::Timeout.into_response(),
            Ok(Err(_)) => return ApiError::TooLarge.into_response(),
            Ok(Ok(b)) => b,
        };
        return next
            .run(Request::from_parts(parts, axum::body::Body::from(bytes)))
            .await;
    }
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => ApiError::Timeout.into_response(),
    }
}

/// Forgets a tenant's compiled policy when a response says a change was decided on a
/// replaced one ([`crate::error::StalePolicy`]): the next request reads the new policy.
pub async fn forget_stale_policy(
    State(app): State<Arc<App>>,
    req: Request,
    next: Next,
) -> Response {
    let resp = next.run(req).await;
    if let Some(crate::error::StalePolicy(tenant)) = resp.extensions().get() {
        app.forget_tenant(tenant).await;
    }
    resp
}

/// The longest request id the server takes from a caller, in bytes.
pub const MAX_REQUEST_ID: usize = 1_024;

/// A caller's `X-Request-ID` is the request's id (echoed on the response, logged, audited)
/// when it is one non-empty header value of at most [`MAX_REQUEST_ID`] bytes: whatever an
/// HTTP header value may hold (visible ASCII with spaces and tabs inside, and the opaque
/// non-ASCII bytes RFC 9110 still allows) is echoed as sent, as AuthZEN 1.0 has a decision
/// point echo the caller's identifier. An empty one, a longer one, or several are dropped
/// before anything reads them: the server then gives the request an id of its own, rather
/// than echoing and logging any text at any length.
pub async fn bound_request_id(mut req: Request, next: Next) -> Response {
    let fits = |v: &HeaderValue| !v.is_empty() && v.len() <= MAX_REQUEST_ID;
    let headers = req.headers_mut();
    if headers.get_all("x-request-id").iter().count() > 1
        || headers.get("x-request-id").is_some_and(|v| !fits(v))
    {
        headers.remove("x-request-id");
    }
    next.run(req).await
}

/// The message of the router's own 404: no route answers the path (a handler's 404, a
/// record not found, has none).
pub const NO_ROUTE: &str = "no route answers this path";

/// Gives the answers the handlers never see (tower-http's 413 and 408, the router's 404
/// for an unknown path and 405 for a method a route does not answer, which have plain or
/// empty bodies) the API's typed error body; a 405 names the route's methods (from the
/// OpenAPI document: the router adds its `Allow` header after this runs). Refuses a query
/// string on a management API operation (`/api/v1/...`) the document gives no query
/// parameter (400 `unknown_parameter`), and a body on one it gives no body (400
/// `unexpected_body`): a parameter or a body the server would ignore (`?dryRun=true` on an
/// edit, a deletion's `{"mode": "anonymize"}`) must not be taken as honoured. Operations with parameters
/// check them with their own extractor; `HEAD` is checked as `GET`; the operational routes
/// (`/healthz`, `/metrics`, ...) and AuthZEN's take what monitors and caches add.
pub async fn typed_limits(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let asked = if method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    if let (Some(route), Some(query)) = (&route, req.uri().query())
        && route.starts_with("/api/v1/")
        && !query.is_empty()
        && crate::openapi::query_of(asked, route).is_some_and(<[String]>::is_empty)
    {
        let name = form_urlencoded::parse(query.as_bytes())
            .next()
            .map(|(k, _)| k.chars().take(64).collect::<String>())
            .unwrap_or_default();
        return ApiError::from(
            crate::error::Malformed::new(
                crate::error::RequestPart::Query,
                "unknown_parameter",
                format!("unknown parameter `{name}`: this operation takes no query parameter"),
            )
            .field(Some(name)),
        )
        .into_response();
    }
    // A body sent to a management operation that takes none (`DELETE /users/{id}` with
    // `{"mode": "anonymize"}`) would be ignored: refused, as an unknown parameter is. A body
    // whose length is not told (chunked) is read to see whether it has any byte: an empty
    // one is no body (some clients send every PUT chunked).
    let mut req = req;
    if let Some(route) = &route
        && route.starts_with("/api/v1/")
        && crate::openapi::takes_body(asked, route) == Some(false)
        && may_have_body(req.body())
    {
        let (parts, body) = req.into_parts();
        match axum::body::to_bytes(body, UNEXPECTED_BODY_READ).await {
            Ok(bytes) if bytes.is_empty() => {
                req = Request::from_parts(parts, axum::body::Body::empty());
            }
            _ => {
                return ApiError::from(crate::error::Malformed::new(
                    crate::error::RequestPart::Body,
                    "unexpected_body",
                    "this operation takes no body: send none",
                ))
                .into_response();
            }
        }
    }
    let resp = next.run(req).await;
    let json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if json {
        return resp;
    }
    match resp.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge.into_response(),
        StatusCode::REQUEST_TIMEOUT => ApiError::Timeout.into_response(),
        StatusCode::NOT_FOUND => (
            StatusCode::NOT_FOUND,
            axum::Json(serde_json::json!({"error": "not_found", "message": NO_ROUTE})),
        )
            .into_response(),
        StatusCode::METHOD_NOT_ALLOWED => {
            // The router's own `Allow` when it is there already; else the methods the
            // document gives the route, for the message only (the router adds its header,
            // HEAD included, afterwards).
            let allow = resp.headers().get(header::ALLOW).cloned();
            let allowed = allow
                .as_ref()
                .and_then(|a| a.to_str().ok())
                .map(str::to_owned)
                .or_else(|| route.as_deref().and_then(crate::openapi::methods_of))
                // A route the document gives per value of its parameter (`/decide/{operation}`).
                .or_else(|| crate::openapi::methods_of(&path));
            let message = match allowed {
                Some(a) if !a.is_empty() => {
                    format!("this route does not answer {method}; it answers {a}")
                }
                _ => format!("this route does not answer {method}"),
            };
            let body = serde_json::json!({
                "error": "method_not_allowed",
                "message": message,
            });
            let mut r = (StatusCode::METHOD_NOT_ALLOWED, axum::Json(body)).into_response();
            if let Some(a) = allow {
                r.headers_mut().insert(header::ALLOW, a);
            }
            r
        }
        _ => resp,
    }
}

/// CORS: `None` (no header at all, so browsers refuse cross-origin calls) unless origins
/// are configured; then exactly those origins, the API's methods and headers, no
/// credentials.
///
/// # Errors
/// An origin that is not a valid header value (`scheme://host[:port]`).
pub fn cors(origins: &[String]) -> Result<Option<CorsLayer>, String> {
    if origins.is_empty() {
        return Ok(None);
    }
    let mut list = Vec::with_capacity(origins.len());
    for o in origins {
        let ok = (o.starts_with("https://") || o.starts_with("http://"))
            && !o.ends_with('/')
            && o.len() <= 256;
        if !ok {
            return Err(format!(
                "--cors-origin `{o}`: expected scheme://host[:port] without a trailing slash"
            ));
        }
        list.push(HeaderValue::from_str(o).map_err(|e| format!("--cors-origin `{o}`: {e}"))?);
    }
    Ok(Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(list))
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                HeaderName::from_static(crate::auth::ACT_AS),
                HeaderName::from_static("x-request-id"),
            ])
            .expose_headers([HeaderName::from_static("x-request-id")])
            .max_age(Duration::from_secs(600)),
    ))
}

/// The JSON log subscriber's formatting layer over `writer`: one JSON object per line,
/// with the current span (the request: id, method, route) on every event.
pub fn json_layer<S, W>(writer: W) -> impl tracing_subscriber::Layer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt::layer()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .with_writer(writer)
}

/// Resolves on Ctrl-C or SIGTERM, logging `then` (what the server does next): the first
/// signal stops accepting and lets in-flight requests and detached jobs finish, a second one
/// stops at once.
pub async fn shutdown_signal(then: &'static str) {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested: {then}");
}

/// A request's method as a metric label: the standard methods by name, any other as
/// `other`. A client chooses the method's text, and every label value is a series kept
/// for the process's life: the label's values must be a fixed set, as the route's are
/// (an unknown path is `unmatched`).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "other",
    }
}

/// Whether a request may carry a body: its body's size hint is not exactly zero (a
/// `Content-Length` above zero, or a chunked body, whose length is not told).
fn may_have_body(body: &axum::body::Body) -> bool {
    use axum::body::HttpBody as _;
    body.size_hint().exact() != Some(0)
}

/// The most of a body [`typed_limits`] reads to find whether an operation that takes none
/// was sent one: any byte is enough to refuse it.
const UNEXPECTED_BODY_READ: usize = 64 << 10;
