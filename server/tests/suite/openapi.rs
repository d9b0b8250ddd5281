//! The OpenAPI document against the router: every route registered in `server/src` is
//! documented, every documented operation is routed, the served document is the generated
//! one, and the committed copy (`contract/openapi.json`) is current.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

use crate::common::{Env, Which};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;
use warden_server::openapi;

const METHODS: [&str; 7] = ["get", "post", "put", "patch", "delete", "head", "options"];

/// One `.route(path, methods)` call found in the source.
#[derive(Debug)]
struct SourceRoute {
    file: PathBuf,
    path: String,
    /// Upper-case methods; empty when the method router is not written inline.
    methods: Vec<String>,
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The source without comment lines.
fn code_of(file: &Path) -> String {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first string literal at or after `at`, and where it ends.
fn literal(s: &str, at: usize) -> Option<(String, usize)> {
    let start = at + s.get(at..)?.find('"')? + 1;
    let len = s.get(start..)?.find('"')?;
    Some((s.get(start..start + len)?.to_owned(), start + len + 1))
}

/// The text from `at` to the parenthesis that closes the one opened just before `at`.
fn balanced(s: &str, at: usize) -> &str {
    let mut depth = 1usize;
    for (i, c) in s.get(at..).unwrap_or_default().char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return &s[at..at + i];
                }
            }
            _ => {}
        }
    }
    &s[at..]
}

fn methods_in(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = expr.as_bytes();
    for m in METHODS {
        let pat = format!("{m}(");
        let mut from = 0;
        while let Some(i) = expr[from..].find(&pat) {
            let at = from + i;
            let before = if at == 0 { b' ' } else { bytes[at - 1] };
            if !(before.is_ascii_alphanumeric() || before == b'_') {
                out.push(m.to_uppercase());
            }
            from = at + pat.len();
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Every `.route("...", ...)` and every `.nest("...", ...)` prefix in `server/src`.
fn source_routes() -> (Vec<SourceRoute>, Vec<String>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut routes = Vec::new();
    let mut nests = Vec::new();
    for file in files {
        let code = code_of(&file);
        let mut from = 0;
        while let Some(i) = code[from..].find(".route(") {
            let open = from + i + ".route(".len();
            let args = balanced(&code, open);
            if let Some((path, end)) = literal(args, 0) {
                let rest = args.get(end..).unwrap_or_default();
                routes.push(SourceRoute {
                    file: file.clone(),
                    path,
                    methods: methods_in(rest),
                });
            }
            from = open;
        }
        let mut from = 0;
        while let Some(i) = code[from..].find(".nest(") {
            let open = from + i + ".nest(".len();
            if let Some((prefix, _)) = literal(balanced(&code, open), 0) {
                nests.push(prefix);
            }
            from = open;
        }
    }
    (routes, nests)
}

/// Whether the router's template `route` covers the documented path `doc` (`{x}` in the
/// route matches any segment: `/decide/{operation}` is documented per operation).
fn covers(route: &str, doc: &str) -> bool {
    let r: Vec<&str> = route.split('/').collect();
    let d: Vec<&str> = doc.split('/').collect();
    r.len() == d.len()
        && r.iter()
            .zip(&d)
            .all(|(a, b)| a == b || (a.starts_with('{') && a.ends_with('}')))
}

#[test]
fn every_route_is_documented() {
    let (routes, nests) = source_routes();
    assert!(
        routes.len() >= 20 && routes.iter().any(|r| r.path == "/users/{id}"),
        "the source scan found too few routes: {routes:?}"
    );
    assert!(nests.iter().any(|n| n == "/api/v1"), "{nests:?}");
    let documented = openapi::documented();
    let mut missing = Vec::new();
    for r in &routes {
        let mut candidates = vec![r.path.clone()];
        candidates.extend(nests.iter().map(|n| format!("{n}{}", r.path)));
        let methods = if r.methods.is_empty() {
            vec![String::new()]
        } else {
            r.methods.clone()
        };
        for m in methods {
            let found = documented.iter().any(|(dm, dp)| {
                (m.is_empty() || *dm == m) && candidates.iter().any(|c| covers(c, dp))
            });
            if !found {
                missing.push(format!("{m} {} ({})", r.path, r.file.display()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "routes registered in the router but not in the OpenAPI document (server/src/openapi.rs, `operations`): {missing:#?}"
    );
}

#[test]
fn the_route_scan_sees_methods_and_nesting() {
    assert_eq!(
        methods_in("get(read_user).patch(update_user).delete(delete_user)"),
        ["DELETE", "GET", "PATCH"]
    );
    assert_eq!(methods_in("post(crate::decide::decide)"), ["POST"]);
    assert_eq!(
        methods_in("get(crate::resources::read)\n .put(x)"),
        ["GET", "PUT"]
    );
    assert!(methods_in("handler_forget(x)").is_empty());
    assert!(covers(
        "/api/v1/decide/{operation}",
        "/api/v1/decide/validate"
    ));
    assert!(covers("/api/v1/users/{id}", "/api/v1/users/{id}"));
    assert!(!covers("/api/v1/users/{id}", "/api/v1/users/{id}/status"));
    assert!(!covers("/api/v1/users", "/api/v1/users/{id}"));
}

async fn call(env: &Env, method: &str, path: &str) -> (StatusCode, Vec<u8>) {
    let req = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).unwrap())
        .uri(path)
        .header("content-type", "application/json")
        .body(Body::from("{}"))
        .unwrap();
    let resp = env.router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, body)
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let env = Env::new(Which::Sqlite).await.unwrap();
    let documented = openapi::documented();
    assert!(documented.len() >= 40, "{documented:?}");
    let mut unrouted = Vec::new();
    for (method, path) in &documented {
        let concrete: String = path
            .split('/')
            .map(|s| if s.starts_with('{') { "x" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        let (status, body) = call(&env, method, &concrete).await;
        // The router's own refusals: 405 for a method it does not route, a 404 whose
        // message is `NO_ROUTE` for a path it does not know.
        if status == StatusCode::METHOD_NOT_ALLOWED
            || (status == StatusCode::NOT_FOUND
                && String::from_utf8_lossy(&body).contains(warden_server::ops::NO_ROUTE))
        {
            unrouted.push(format!("{method} {path} -> {status}"));
        }
    }
    assert!(
        unrouted.is_empty(),
        "documented but not routed: {unrouted:#?}"
    );
    // And the check can fail: a path nobody routes is the router's own 404.
    let (status, body) = call(&env, "GET", "/api/v1/no-such-route").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let body = String::from_utf8_lossy(&body);
    assert!(body.contains(warden_server::ops::NO_ROUTE), "{body}");
    env.cleanup().await;
}

#[tokio::test]
async fn the_served_document_is_the_generated_one() {
    let env = Env::new(Which::Sqlite).await.unwrap();
    let (status, body) = call(&env, "GET", "/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let served: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(served, openapi::document());
    assert_eq!(served["openapi"], "3.1.0");
    let schemes = &served["components"]["securitySchemes"];
    assert_eq!(schemes["apiKey"]["scheme"], "bearer");
    assert_eq!(schemes["session"]["in"], "cookie");
    assert_eq!(schemes["session"]["name"], "warden_session");
    // The contract's types are the contract's: the decide operations reference them.
    let validate = &served["paths"]["/api/v1/decide/validate"]["post"];
    assert_eq!(
        validate["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ValidateInput"
    );
    let contract = warden_core::api::schema::contract_schema();
    let mut violation = contract["$defs"]["Violation"].clone();
    let text = serde_json::to_string(&violation)
        .unwrap()
        .replace("#/$defs/", "#/components/schemas/");
    violation = serde_json::from_str(&text).unwrap();
    assert_eq!(served["components"]["schemas"]["Violation"], violation);
    env.cleanup().await;
}

#[test]
fn openapi_copy_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../contract/openapi.json");
    let current = serde_json::to_string_pretty(&openapi::document()).unwrap() + "\n";
    if std::env::var("WARDEN_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &current).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == current,
        "contract/openapi.json is not the generated document: run `WARDEN_BLESS=1 cargo test -p warden-server --test suite openapi::openapi_copy_is_current` and review the diff"
    );
}

/// Found by schemathesis: a malformed query string was axum's plain-text 400; it is the
/// server's JSON error naming the parameter and the reason, on every route with a query.
#[tokio::test]
async fn malformed_query_strings_are_typed_errors() {
    let env = Env::new(Which::Sqlite).await.unwrap();
    let users = env.demo("production-planner-pro").await;
    let admin = crate::common::demo_user(&users, "admin").id.clone();
    let key = env.key("production-planner-pro", "admin").await;
    let auth = crate::common::Auth::key(&key, &admin);
    for (method, path, field) in [
        (
            Method::GET,
            "/api/v1/users?limit=9223372036854775808".to_owned(),
            "limit",
        ),
        (
            Method::DELETE,
            format!("/api/v1/users/{admin}?mode=null"),
            "mode",
        ),
        (
            Method::GET,
            format!("/api/v1/users/{admin}/audit?bogus=1"),
            "bogus",
        ),
        (
            Method::POST,
            "/api/v1/imports?commit=maybe".to_owned(),
            "commit",
        ),
        (
            Method::PUT,
            "/api/v1/policy?dryRun=null".to_owned(),
            "dryRun",
        ),
    ] {
        let (s, b, h) = env.call(method.clone(), &path, &auth, None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{method} {path}: {b}");
        assert_eq!(
            h.get("content-type").and_then(|v| v.to_str().ok()),
            Some("application/json"),
            "{method} {path}"
        );
        assert_eq!(b["error"], "bad_request", "{method} {path}: {b}");
        let message = b["message"].as_str().unwrap_or_default();
        assert!(message.contains(field), "{method} {path}: {message}");
    }
    env.cleanup().await;
}
