//! Operating the server (issue 12): health and readiness, Prometheus metrics, request ids,
//! typed 413, 408, 404 and 405 bodies, CORS closed by default, JSON logs that never carry a
//! secret, graceful shutdown on SIGTERM of a real process. Loopback only, bounded in time.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::{Auth, Env, Which, demo_user};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use warden_server::seed::DEMO_PASSWORD;
use warden_server::{App, Settings, api};

const HR: &str = "hr-platform";

async fn health_metrics_request_ids(env: &Env) {
    let (s, v, _) = env.call(Method::GET, "/healthz", &Auth::None, None).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("ok")));
    let (s, v, _) = env.call(Method::GET, "/readyz", &Auth::None, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["migrations"], json!(env.app.db.expected_migrations()));

    // A request id is generated when absent and echoed when given.
    let (_, _, h) = env.call(Method::GET, "/healthz", &Auth::None, None).await;
    let generated = h["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(generated.len(), 36, "a UUID: {generated}");
    let req = Request::get("/healthz")
        .header("x-request-id", "req-42")
        .body(Body::empty())
        .unwrap();
    let resp = env.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.headers()["x-request-id"], "req-42");

    // Decisions and requests are counted, by route template (never by id).
    env.demo(HR).await;
    let key = env.key(HR, "service").await;
    let (s, _, _) = env
        .call(
            Method::GET,
            "/api/v1/users/u_nobody",
            &Auth::Key {
                token: key,
                act_as: None,
            },
            None,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (status, text) = get_metrics(&env.router, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        text.contains(
            "warden_http_requests_total{method=\"GET\",route=\"/api/v1/users/{id}\",status=\"400\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "warden_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 3"
        ),
        "{text}"
    );
    assert!(
        text.contains("warden_http_request_duration_seconds_bucket{le="),
        "{text}"
    );
    assert!(text.contains("warden_db_pool_max_connections 8"), "{text}");
    assert!(!text.contains("u_nobody"), "no id in labels");

    // A method the client makes up is counted as `other`: its text is never a label (each
    // label value is a series kept for the process's life).
    for m in ["M1", "M2", "PROPFIND", &"Q".repeat(4000)] {
        let req = Request::builder()
            .method(Method::from_bytes(m.as_bytes()).unwrap())
            .uri("/healthz")
            .body(Body::empty())
            .unwrap();
        let resp = env.router.clone().oneshot(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    }
    let (_, text) = get_metrics(&env.router, None).await;
    assert!(
        text.contains(
            "warden_http_requests_total{method=\"other\",route=\"/healthz\",status=\"405\"} 4"
        ),
        "{text}"
    );
    for m in ["M1", "PROPFIND", "QQQQ"] {
        assert!(!text.contains(m), "{m} in the labels");
    }
    // One counter series and one latency histogram for all four, not one each.
    let other = text
        .lines()
        .filter(|l| l.contains("method=\"other\""))
        .count();
    let get = text
        .lines()
        .filter(|l| l.contains("method=\"GET\",route=\"/readyz\""))
        .count();
    assert_eq!(other, get, "{text}");
}
on_both!(health_metrics_request_ids);

/// `GET /metrics` through `router`, with this `Authorization` header if any: the status
/// and the body as text.
async fn get_metrics(router: &axum::Router, auth: Option<&str>) -> (StatusCode, String) {
    let mut req = Request::get("/metrics");
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let resp = router
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

async fn too_large_is_typed(env: &Env) {
    env.demo(HR).await;
    let key = env.key(HR, "service").await;
    let big = json!({"firstName": "x".repeat(warden_server::api::MAX_BODY_BYTES)});
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/users",
            &Auth::Key {
                token: key,
                act_as: None,
            },
            Some(big),
        )
        .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(v["error"], "too_large", "{v}");
}
on_both!(too_large_is_typed);

/// The router's own 404 and 405 carry the API's typed body (they were empty), and a 405
/// still names the methods the route answers.
async fn unknown_routes_and_methods_are_typed(env: &Env) {
    env.demo(HR).await;
    let key = Auth::Key {
        token: env.key(HR, "service").await,
        act_as: None,
    };
    for path in ["/api/v1/no-such-route", "/access/v1/nothing", "/nowhere"] {
        let (s, v, h) = env.call(Method::GET, path, &key, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(v["error"], "not_found", "{path}: {v}");
        assert_eq!(v["message"], warden_server::ops::NO_ROUTE, "{path}: {v}");
        assert!(
            h["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
    }
    let (s, v, h) = env
        .call(Method::DELETE, "/api/v1/statistics", &key, None)
        .await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(v["error"], "method_not_allowed", "{v}");
    assert!(v["message"].as_str().unwrap().contains("DELETE"), "{v}");
    assert!(h["allow"].to_str().unwrap().contains("GET"), "{h:?}");
    let (s, v, _) = env
        .call(Method::GET, "/access/v1/evaluation", &key, None)
        .await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(v["error"], "method_not_allowed", "{v}");
    // A route the document gives per operation names its methods too.
    let (s, v, _) = env
        .call(Method::GET, "/api/v1/decide/lockout", &key, None)
        .await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        v["message"].as_str().unwrap().ends_with("it answers POST"),
        "{v}"
    );
}
on_both!(unknown_routes_and_methods_are_typed);

async fn cors_closed_unless_configured(env: &Env) {
    let preflight = |router: axum::Router, origin: &'static str| async move {
        let req = Request::builder()
            .method(Method::OPTIONS)
            .uri("/api/v1/users")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .body(Body::empty())
            .unwrap();
        router.oneshot(req).await.unwrap()
    };
    let resp = preflight(env.router.clone(), "https://evil.example").await;
    assert!(
        resp.headers().get("access-control-allow-origin").is_none(),
        "closed by default"
    );
    let app = App::new(
        env.app.db.clone(),
        Settings {
            cors_origins: vec!["https://console.example".into()],
            ..Settings::default()
        },
    );
    let router = api::router(app, None);
    let resp = preflight(router.clone(), "https://console.example").await;
    assert_eq!(
        resp.headers()["access-control-allow-origin"],
        "https://console.example"
    );
    let resp = preflight(router, "https://evil.example").await;
    assert!(resp.headers().get("access-control-allow-origin").is_none());
    assert!(warden_server::ops::cors(&["console.example".into()]).is_err());
}
on_both!(cors_closed_unless_configured);

/// With a metrics token set, `/metrics` answers only a request bearing it (401 otherwise,
/// the server's typed body, never the token); the settings' `Debug` shows its hash only.
async fn metrics_take_a_token_when_set(env: &Env) {
    const TOKEN: &str = "scraper-token-0123456789";
    let settings = Settings::default().with_metrics_token(TOKEN);
    let shown = format!("{settings:?}");
    let hash = warden_server::tokens::hash_token(TOKEN);
    assert!(
        !shown.contains(TOKEN) && !shown.contains(&hash[7..]),
        "{shown}"
    );
    let router = api::router(App::new(env.app.db.clone(), settings), None);
    for auth in [
        None,
        Some("Bearer wrong-token-0123456789"),
        Some("Basic c2NyYXBlcg=="),
        Some("Bearer "),
    ] {
        let (status, body) = get_metrics(&router, auth).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{auth:?}: {body}");
        assert!(
            !body.contains(TOKEN) && !body.contains("warden_http"),
            "{body}"
        );
    }
    let (status, body) = get_metrics(&router, Some("Bearer scraper-token-0123456789")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("warden_http_requests_total"), "{body}");
    // Without one (the default), open as before.
    let (status, _) = get_metrics(&env.router, None).await;
    assert_eq!(status, StatusCode::OK, "open without a token");
}
on_both!(metrics_take_a_token_when_set);

/// A request whose body never finishes is answered 408 with the typed body.
async fn request_timeout_is_typed(env: &Env) {
    let app = App::new(
        env.app.db.clone(),
        Settings {
            request_timeout: Duration::from_millis(300),
            ..Settings::default()
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(listener, api::router(app, None)).await.unwrap();
    });
    let response = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(b"POST /api/v1/session HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"tenant\":")
            .unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0_u8; 4096];
        while let Ok(n) = s.read(&mut chunk) {
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
            if String::from_utf8_lossy(&buf).contains("}") {
                break;
            }
        }
        String::from_utf8_lossy(&buf).into_owned()
    })
    .await
    .unwrap();
    server.abort();
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(response.contains("\"error\":\"timeout\""), "{response}");
    assert!(response.contains("x-request-id"), "{response}");
}
on_both!(request_timeout_is_typed);

/// A `MakeWriter` into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

async fn secrets_stay_out_of_logs(which: Which) {
    let Some(env) = Env::new(which).await else {
        return;
    };
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let manager = demo_user(&users, "manager");
    let key = env.key(HR, "admin").await;
    let secret_password = "Zebra-Quartz-7781!secret";
    // Sign-ins (right and wrong), a create with a password, a malformed body with one,
    // a bad key: every path that might echo a secret.
    let _ = env
        .call(
            Method::POST,
            "/api/v1/session",
            &Auth::None,
            Some(json!({"tenant": HR, "login": hr.login, "password": secret_password})),
        )
        .await;
    let _ = env.sign_in(HR, &hr.login, DEMO_PASSWORD).await.unwrap();
    let _ = env
        .call(
            Method::POST,
            "/api/v1/users",
            &Auth::key(&key, &hr.id),
            Some(json!({"firstName": "Lea", "lastName": "Noir", "email": "lea.noir@company.com", "jobTitle": "Software Engineer", "manager": manager.id, "status": "active", "organization": "company", "password": secret_password})),
        )
        .await;
    let _ = env
        .call_raw(
            Method::POST,
            "/api/v1/session",
            &Auth::None,
            Some(format!(
                "{{\"tenant\": \"{HR}\", \"password\": \"{secret_password}\", "
            )),
        )
        .await;
    let _ = env
        .call(
            Method::GET,
            "/api/v1/users",
            &Auth::Key {
                token: "wdn_not-a-real-key-but-secret".into(),
                act_as: None,
            },
            None,
        )
        .await;
    let text = String::from_utf8(CAPTURE.with(|c| c.0.lock().unwrap().clone())).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let responses: Vec<&Value> = lines
        .iter()
        .filter(|l| l["target"] == "tower_http::trace::on_response")
        .collect();
    assert_eq!(responses.len(), 5, "one line per response: {text}");
    assert!(
        responses.iter().all(|l| l["span"]["request_id"]
            .as_str()
            .is_some_and(|i| i.len() == 36)),
        "every request's line has its request id: {text}"
    );
    for secret in [
        secret_password,
        DEMO_PASSWORD,
        key.as_str(),
        "wdn_not-a-real-key-but-secret",
    ] {
        assert!(!text.contains(secret), "a secret in the logs: {text}");
    }
    assert!(!text.contains("wds_"), "no session token in the logs");
    env.cleanup().await;
}

thread_local! {
    static CAPTURE: Captured = Captured::default();
}

/// Runs the log test in a process of its own (this test binary, filtered to the one test):
/// tracing's per-callsite interest cache is process-wide, and with the rest of the suite
/// running in parallel threads (no subscriber on them) an event could be judged
/// uninteresting before this thread's subscriber is registered.
fn run_logs(which: Which) {
    const CHILD: &str = "WARDEN_TEST_LOGS_CHILD";
    if std::env::var_os(CHILD).is_none() {
        let name = match which {
            Which::Sqlite => "ops::secrets_stay_out_of_logs_sqlite",
            Which::Postgres => "ops::secrets_stay_out_of_logs_postgres",
        };
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([name, "--exact", "--test-threads=1"])
            .env(CHILD, "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "{name} in its own process: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    use tracing_subscriber::layer::SubscriberExt as _;
    let writer = CAPTURE.with(Clone::clone);
    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::EnvFilter::new("info"))
        .with(warden_server::ops::json_layer(writer));
    let _guard = tracing::subscriber::set_default(subscriber);
    // One thread: every event of the requests goes to this thread's subscriber.
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(secrets_stay_out_of_logs(which));
}

#[test]
fn secrets_stay_out_of_logs_sqlite() {
    run_logs(Which::Sqlite);
}

#[test]
fn secrets_stay_out_of_logs_postgres() {
    run_logs(Which::Postgres);
}

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// SIGTERM to a real server process: the request in flight (its body still arriving)
/// finishes with its answer, then the process exits 0.
#[test]
fn sigterm_lets_in_flight_requests_finish() {
    let dir = std::env::temp_dir().join(format!("warden-sigterm-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_warden-server"))
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data"])
        .arg(&dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed and reaped if the test fails half-way: nothing outlives it.
    let mut guard = KillOnDrop(child);
    let child = &mut guard.0;
    let mut out = child.stdout.take().unwrap();
    let start = Instant::now();
    let mut seen = String::new();
    let addr = loop {
        let mut b = [0_u8; 256];
        let n = out.read(&mut b).unwrap();
        assert!(n > 0, "server exited early: {seen}");
        seen.push_str(&String::from_utf8_lossy(&b[..n]));
        if let Some(rest) = seen.split("listening on http://").nth(1)
            && let Some(addr) = rest.split('/').next()
            && rest.contains('/')
        {
            break addr.to_owned();
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{seen}");
    };
    let body = json!({"tenant": HR, "login": "hugo.renard@company.com", "password": DEMO_PASSWORD})
        .to_string();
    let (first, second) = body.split_at(10);
    let mut s = TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        s,
        "POST /api/v1/session HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{first}",
        body.len()
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    std::thread::sleep(Duration::from_millis(300));
    // The process is still serving the request in flight.
    assert!(
        child.try_wait().unwrap().is_none(),
        "exited before the request finished"
    );
    s.write_all(second.as_bytes()).unwrap();
    let mut response = String::new();
    let _ = s.read_to_string(&mut response);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("warden_session="), "{response}");
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < deadline, "did not stop after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    assert!(TcpStream::connect(&addr).is_err(), "no longer listening");
    let _ = std::fs::remove_dir_all(&dir);
}
