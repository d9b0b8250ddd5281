//! Several instances over one database (issue 12): two `App`s, each with its own caches
//! and its own refresh loop, on the same PostgreSQL database (and on one SQLite file,
//! where only the polling fallback exists). Policy, plugin and directory changes made
//! through instance A are used by instance B within the documented bound
//! (`sync::POLL_INTERVAL` plus one refresh).
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{Auth, Env, Which, component, demo_user};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use base64::Engine as _;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use warden_server::{App, Db, DbUrl, Settings, api, sync};

const HR: &str = "hr-platform";

async fn call(
    router: &axum::Router,
    method: Method,
    path: &str,
    auth: &Auth,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(path);
    if let Auth::Key { token, act_as } = auth {
        req = req.header("authorization", format!("Bearer {token}"));
        if let Some(a) = act_as {
            req = req.header("x-warden-act-as", a.as_str());
        }
    }
    let req = match body {
        Some(b) => req
            .header("content-type", "application/json")
            .body(Body::from(b.to_string())),
        None => req.body(Body::empty()),
    }
    .unwrap();
    let resp = router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// Waits until `check` holds on instance B; returns how long it took. Fails past 5 s.
async fn within_bound<F, Fut>(what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if check().await {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{what}: not seen by instance B after 5 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn user(first: &str, email: &str, manager: &str) -> Value {
    json!({"firstName": first, "lastName": "Blanc", "email": email, "jobTitle": "Software Engineer", "manager": manager, "status": "active", "organization": "company"})
}

async fn two_instances(env: &Env) {
    let a = Arc::clone(&env.app);
    let router_a = env.router.clone();
    let db_b = Db::connect(&DbUrl::parse(&env.url).unwrap(), 8)
        .await
        .unwrap();
    let b = App::new(db_b, Settings::default());
    let router_b = api::router(Arc::clone(&b), None);
    sync::spawn(&a);
    sync::spawn(&b);

    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let manager = demo_user(&users, "manager");
    let admin = Auth::Key {
        token: env.key(HR, "admin").await,
        act_as: None,
    };
    let service = env.key(HR, "service").await;
    let as_hr = Auth::key(&service, &hr.id);

    // B decides first, so that it holds the tenant's compiled policy and (empty) plugin set.
    let (s, v) = call(
        &router_b,
        Method::POST,
        "/api/v1/users",
        &as_hr,
        Some(user("Ana", "ana.blanc@gmail.example", &manager.id)),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // Directory changes are never cached: a user created through B is read through A.
    let ana = v["user"]["id"].as_str().unwrap().to_owned();
    let (s, _) = call(
        &router_a,
        Method::GET,
        &format!("/api/v1/users/{ana}"),
        &as_hr,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);

    // A plugin uploaded through A narrows B's decisions.
    let (s, v) = call(&router_a, Method::PUT, "/api/v1/plugins/email-domain", &admin, Some(json!({
        "component": base64::engine::general_purpose::STANDARD.encode(component("email_domain.wasm")),
        "config": {"allowedDomains": ["company.com"]},
    }))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mut n = 0;
    let took = within_bound("the plugin upload", || {
        n += 1;
        let (router_b, as_hr, m) = (router_b.clone(), as_hr.clone(), manager.id.clone());
        let email = format!("probe{n}.blanc@gmail.example");
        async move {
            let (s, v) = call(
                &router_b,
                Method::POST,
                "/api/v1/users",
                &as_hr,
                Some(user("Probe", &email, &m)),
            )
            .await;
            s == StatusCode::UNPROCESSABLE_ENTITY && v["plugins"][0]["plugin"] == "email-domain"
        }
    })
    .await;
    assert!(
        took <= sync::POLL_INTERVAL + Duration::from_millis(1500),
        "{took:?}"
    );

    // A policy replaced through A is the one B decides with.
    let (s, v) = call(&router_a, Method::GET, "/api/v1/policy", &admin, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = call(
        &router_a,
        Method::PUT,
        "/api/v1/policy",
        &admin,
        Some(v["document"].clone()),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["version"], 2);
    let took = within_bound("the policy replacement", || {
        let (router_b, as_hr) = (router_b.clone(), as_hr.clone());
        async move {
            let (_, v) = call(&router_b, Method::GET, "/api/v1/session", &as_hr, None).await;
            v["policyVersion"] == 2
        }
    })
    .await;
    assert!(
        took <= sync::POLL_INTERVAL + Duration::from_millis(1500),
        "{took:?}"
    );

    // The plugin removed through A no longer takes part in B's decisions.
    let (s, v) = call(
        &router_a,
        Method::DELETE,
        "/api/v1/plugins/email-domain",
        &admin,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mut n = 0;
    within_bound("the plugin removal", || {
        n += 1;
        let (router_b, as_hr, m) = (router_b.clone(), as_hr.clone(), manager.id.clone());
        let email = format!("after{n}.blanc@gmail.example");
        async move {
            let (s, _) = call(
                &router_b,
                Method::POST,
                "/api/v1/users",
                &as_hr,
                Some(user("After", &email, &m)),
            )
            .await;
            s == StatusCode::CREATED
        }
    })
    .await;
    b.db.pool().close().await;
}
on_both!(two_instances);
