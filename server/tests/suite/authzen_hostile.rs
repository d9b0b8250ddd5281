//! Hostile bodies against every AuthZEN endpoint, on SQLite and PostgreSQL: whatever the
//! JSON (missing, extra, mistyped, nested members; forged page tokens), the answer is a 200
//! with a well-formed decision or result page, or a 400 naming the field and the reason —
//! never a 5xx, never an allow for a request that names nobody of the directory.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use crate::common::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value, json};
use tower::ServiceExt;
use warden_core::Policy;

const ENDPOINTS: [&str; 5] = [
    "/access/v1/evaluation",
    "/access/v1/evaluations",
    "/access/v1/search/subject",
    "/access/v1/search/resource",
    "/access/v1/search/action",
];

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        "[a-z0-9_.|-]{0,12}".prop_map(Value::from),
        Just(json!("alice")),
        Just(json!("bob")),
        Just(json!("record-1")),
        Just(json!("user")),
        Just(json!("record")),
        Just(json!("write")),
        Just(json!("deny_on_first_deny")),
        Just(json!("d3oxfGFhYWF8YWxpY2U")),
    ];
    leaf.prop_recursive(3, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("type".to_owned()),
                    Just("id".to_owned()),
                    Just("name".to_owned()),
                    Just("properties".to_owned()),
                    Just("limit".to_owned()),
                    Just("token".to_owned()),
                    Just("evaluations_semantic".to_owned()),
                    Just("subject".to_owned()),
                    Just("resource".to_owned()),
                    Just("action".to_owned()),
                    "[a-z]{1,6}",
                ],
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn arb_body() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map(
        prop_oneof![
            Just("subject".to_owned()),
            Just("action".to_owned()),
            Just("resource".to_owned()),
            Just("context".to_owned()),
            Just("evaluations".to_owned()),
            Just("page".to_owned()),
            Just("options".to_owned()),
            Just("foo".to_owned()),
        ],
        arb_json(),
        0..7,
    )
    .prop_map(|m| m.into_iter().collect())
}

async fn hostile_bodies(env: &Env) {
    let fixture: Value =
        serde_json::from_str(include_str!("../fixtures/authzen/fixture.json")).unwrap();
    let policy = Policy::from_value(fixture["policy"].clone()).unwrap();
    env.app
        .create_tenant("cert", "cert", &policy)
        .await
        .unwrap();
    let key = env.key("cert", "service").await;
    let handle = tokio::runtime::Handle::current();
    let mut runner = TestRunner::new(Config {
        cases: 192,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (0..ENDPOINTS.len(), arb_body());
    let result = runner.run(&strategy, |(e, body)| {
        let path = ENDPOINTS[e];
        let (status, v) = tokio::task::block_in_place(|| {
            handle.block_on(async {
                let req = Request::post(path)
                    .header("authorization", format!("Bearer {key}"))
                    .header("content-type", "application/json")
                    .body(Body::from(Value::Object(body.clone()).to_string()))
                    .unwrap();
                let resp = env.router.clone().oneshot(req).await.unwrap();
                let status = resp.status();
                let bytes = resp.into_body().collect().await.unwrap().to_bytes();
                (
                    status,
                    serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null),
                )
            })
        });
        match status {
            StatusCode::OK => {
                // Nobody is in this tenant's directory: nothing is ever allowed or found.
                if let Some(d) = v.get("decision") {
                    prop_assert_eq!(
                        d,
                        &json!(false),
                        "{} {}: {}",
                        path,
                        Value::Object(body.clone()),
                        v
                    );
                    prop_assert!(v["context"].is_object());
                } else if let Some(evs) = v.get("evaluations").and_then(Value::as_array) {
                    for ev in evs {
                        prop_assert_eq!(&ev["decision"], &json!(false));
                    }
                } else {
                    prop_assert_eq!(&v["results"], &json!([]), "{}: {}", path, v);
                    prop_assert!(v["page"]["next_token"].is_string());
                }
            }
            StatusCode::BAD_REQUEST => {
                prop_assert_eq!(&v["error"], &json!("invalid_request"), "{}", v);
                prop_assert!(v["field"].as_str().is_some_and(|f| !f.is_empty()), "{}", v);
                prop_assert!(v["reason"].as_str().is_some_and(|f| !f.is_empty()), "{}", v);
            }
            other => prop_assert!(
                false,
                "{} {}: status {} {}",
                path,
                Value::Object(body.clone()),
                other,
                v
            ),
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
on_both!(hostile_bodies);
