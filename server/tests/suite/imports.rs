//! Import commits and their stored reports: every row reported (invalid ones included),
//! the report readable only by the importer or an actor who may import, and bounded
//! whatever the plugins say.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;

use crate::common::{Auth, Env, Which, demo_user};
use axum::http::{Method, StatusCode};
use base64::Engine as _;
use serde_json::{Value, json};

const HR: &str = "hr-platform";

fn row(first: &str, email: &str, manager: &str) -> String {
    json!({"firstName": first, "lastName": "Blanc", "email": email, "jobTitle": "Software Engineer", "manager": manager, "status": "active", "organization": "company"}).to_string()
}

fn component(name: &str) -> Vec<u8> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = match (
        std::env::var_os("WARDEN_COMPONENTS"),
        std::env::var_os("CARGO_TARGET_DIR"),
    ) {
        (Some(d), _) => PathBuf::from(d),
        (None, Some(t)) => root.join(t).join("components"),
        (None, None) => root.join("target/components"),
    };
    let path = dir.join(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run scripts/build-components.sh first)",
            path.display()
        )
    })
}

/// Commits a JSON Lines import (200 asserted); the response.
async fn commit_jsonl(env: &Env, auth: &Auth, file: String) -> Value {
    let (s, v, _) = env
        .call_raw(
            Method::POST,
            "/api/v1/imports?format=jsonl&commit=true",
            auth,
            Some(file),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

async fn read_report(env: &Env, auth: &Auth, id: &str) -> (StatusCode, Value) {
    let (s, v, _) = env
        .call(Method::GET, &format!("/api/v1/imports/{id}"), auth, None)
        .await;
    (s, v)
}

/// A row refused in the file is reported with its index, line and violations, in the
/// response and in the stored report, between the rows committed or refused at commit;
/// the totals agree.
async fn invalid_rows_are_reported(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let as_hr = Auth::key(&env.key(HR, "service").await, &hr.id);
    let file = [
        row("Ines", "ines.roux@company.com", &hr.id),
        row("Bad", "not-an-email", &hr.id),
        row("Sophie", "sophie.martin@company.com", &hr.id),
    ]
    .join("\n");
    let v = commit_jsonl(env, &as_hr, file).await;
    let check = |v: &Value| {
        let results = v["results"].as_array().unwrap();
        let indexes: Vec<u64> = results
            .iter()
            .map(|r| r["index"].as_u64().unwrap())
            .collect();
        assert_eq!(indexes, [0, 1, 2], "{v}");
        assert!(results[0]["id"].is_string(), "{v}");
        assert_eq!(results[1]["invalid"], true, "{v}");
        assert_eq!(results[1]["line"], 2, "{v}");
        let bad = results[1]["violations"].as_array().unwrap();
        assert!(
            bad.iter().any(|x| x["path"] == json!(["email"])),
            "the email's violation: {v}"
        );
        assert_eq!(results[2]["violations"][0]["code"], "duplicate", "{v}");
        assert_eq!(v["summary"]["total"], 3, "{v}");
        assert_eq!(v["summary"]["invalid"], 1, "{v}");
        assert_eq!(v["summary"]["created"], 1, "{v}");
        assert_eq!(v["summary"]["refused"], 1, "{v}");
    };
    check(&v);
    assert!(v.get("by").is_none(), "{v}");
    let id = v["import"].as_str().unwrap().to_owned();
    let (s, stored) = read_report(env, &as_hr, &id).await;
    assert_eq!(s, StatusCode::OK, "{stored}");
    check(&stored);
    assert_eq!(stored["total"], 3, "{stored}");
    assert_eq!(stored["committed"].as_array().unwrap().len(), 1, "{stored}");
    assert_eq!(stored["notCommitted"], json!([2]), "{stored}");
}
on_both!(invalid_rows_are_reported);

/// The stored report is the importer's, or an actor's who may import: anyone else finds no
/// such import; a reader other than the importer learns a duplicate's holder only when it
/// may read that account.
async fn stored_reports_are_read_by_importers_only(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let manager = demo_user(&users, "manager");
    let paul = demo_user(&users, "paul");
    // Managers may create users in their team (and read only their team and themselves).
    env.edit_policy(HR, |doc| {
        doc["access"]["roles"]["manager"]["permissions"]
            .as_array_mut()
            .unwrap()
            .push(json!({"allow": "users.create", "scope": "team"}));
    })
    .await;
    let key = env.key(HR, "service").await;
    let as_hr = Auth::key(&key, &hr.id);
    // Duplicates of the HR partner's own email (the manager may not read that account).
    let file = row("Hugo", "hugo.renard@company.com", &hr.id);
    let v = commit_jsonl(env, &as_hr, file).await;
    let id = v["import"].as_str().unwrap().to_owned();
    let dup = &v["results"][0]["violations"][0];
    assert_eq!(dup["code"], "duplicate", "{v}");
    assert_eq!(dup["params"]["existingId"], hr.id.as_str(), "{v}");

    // The importer reads it, holder included.
    let (s, stored) = read_report(env, &as_hr, &id).await;
    assert_eq!(s, StatusCode::OK, "{stored}");
    let dup = &stored["results"][0]["violations"][0];
    assert_eq!(dup["params"]["existingId"], hr.id.as_str(), "{stored}");
    assert!(stored.get("by").is_none(), "{stored}");

    // An employee, who may not import: no such import.
    let (s, body) = read_report(env, &Auth::key(&key, &paul.id), &id).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    assert!(!body.to_string().contains(&hr.id), "{body}");

    // A manager, who may import but not read the holder: the report without the holder.
    let (s, stored) = read_report(env, &Auth::key(&key, &manager.id), &id).await;
    assert_eq!(s, StatusCode::OK, "{stored}");
    let dup = &stored["results"][0]["violations"][0];
    assert_eq!(dup["code"], "duplicate", "{stored}");
    assert!(dup["params"].get("existingId").is_none(), "{stored}");
    assert!(dup["params"].get("existingStatus").is_none(), "{stored}");
    assert!(!stored.to_string().contains(&hr.id), "{stored}");
}
on_both!(stored_reports_are_read_by_importers_only);

/// A plugin returning many violations for every row: what each row keeps of them is
/// bounded, the rest counted.
async fn plugin_output_in_reports_is_bounded(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let admin = Auth::Key {
        token: env.key(HR, "admin").await,
        act_as: None,
    };
    let (s, v, _) = env
        .call(
            Method::PUT,
            "/api/v1/plugins/hostile",
            &admin,
            Some(json!({
                "component": base64::engine::general_purpose::STANDARD.encode(component("hostile.wasm")),
                "config": {"mode": "many", "n": 64},
            })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let as_hr = Auth::key(&env.key(HR, "service").await, &hr.id);
    let file = (0..3)
        .map(|i| row("Ines", &format!("ines.{i}@company.com"), &hr.id))
        .collect::<Vec<_>>()
        .join("\n");
    let v = commit_jsonl(env, &as_hr, file).await;
    assert_eq!(v["summary"]["refused"], 3, "{v}");
    let id = v["import"].as_str().unwrap().to_owned();
    let (s, stored) = read_report(env, &as_hr, &id).await;
    assert_eq!(s, StatusCode::OK, "{stored}");
    for report in [&v, &stored] {
        for r in report["results"].as_array().unwrap() {
            let kept = r["violations"].as_array().unwrap().len();
            // The kernel's naming warning, then the plugin's 64.
            assert!((1..65).contains(&kept), "{r}");
            assert_eq!(r["violationsOmitted"], 65 - kept, "{r}");
            assert!(r["violations"].to_string().len() <= 2048, "{r}");
        }
    }
}
on_both!(plugin_output_in_reports_is_bounded);
