//! The management API, run against SQLite and PostgreSQL alike (each test twice: `::sqlite`
//! and `::postgres`, on a fresh database).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use crate::common::{Auth, Env, Which, demo_user};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use warden_server::seed::DEMO_PASSWORD;
use warden_server::{Db, DbUrl, audit};

const HR: &str = "hr-platform";
const PPP: &str = "production-planner-pro";

fn ids(v: &Value) -> Vec<String> {
    v["users"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|u| u["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn new_hr_user(email: &str, manager: &str) -> Value {
    json!({"firstName": "Nora", "lastName": "Blanc", "email": email, "jobTitle": "Software Engineer", "manager": manager, "status": "active", "organization": "company"})
}

async fn crud_and_audit(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let manager = demo_user(&users, "manager");
    let key = env.key(HR, "service").await;
    let as_hr = Auth::key(&key, &hr.id);

    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/users",
            &as_hr,
            Some(new_hr_user("Nora.Blanc@Company.com", &manager.id)),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["user"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        v["user"]["email"], "Nora.Blanc@company.com",
        "domain normalised by the kernel"
    );
    assert_eq!(
        v["user"]["department"], "Engineering",
        "derived by the kernel"
    );

    // The manager sees the new report (N-1), through the kernel's scope rendered to SQL.
    let as_manager = Auth::key(&key, &manager.id);
    let (s, v, _) = env
        .call(Method::GET, "/api/v1/users", &as_manager, None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(ids(&v).contains(&id));
    assert!(!ids(&v).contains(&hr.id), "HR is not in the manager's N-1");

    let (s, v, _) = env
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            &as_hr,
            Some(json!({"jobTitle": "QA Engineer"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["user"]["jobTitle"], "QA Engineer");

    let (s, v, _) = env
        .call(Method::GET, &format!("/api/v1/users/{id}"), &as_hr, None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        v["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "users.update")
    );

    let (s, v, _) = env
        .call(
            Method::GET,
            &format!("/api/v1/users/{id}/audit"),
            &as_hr,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let actions: Vec<&str> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(actions, ["users.create", "users.update"]);
    assert_eq!(
        v["entries"][1]["actor"],
        hr.id.as_str(),
        "the actor is the caller named by the key"
    );
    // Pages by sequence number: one entry per page, the second page ends the history.
    let (_, p1, _) = env
        .call(
            Method::GET,
            &format!("/api/v1/users/{id}/audit?limit=1"),
            &as_hr,
            None,
        )
        .await;
    assert_eq!(p1["entries"].as_array().unwrap().len(), 1);
    let after = p1["next"].as_i64().unwrap();
    let (_, p2, _) = env
        .call(
            Method::GET,
            &format!("/api/v1/users/{id}/audit?limit=1&after={after}"),
            &as_hr,
            None,
        )
        .await;
    assert_eq!(p2["entries"][0]["action"], "users.update");
    assert!(p2["next"].is_null());
    assert!(
        v["entries"][1]["decision"]["policy"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );

    // The list says what the actor may do on each user (the console shows only that).
    let (_, v, _) = env
        .call(Method::GET, "/api/v1/users?actions=true", &as_hr, None)
        .await;
    let row = v["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == id.as_str())
        .cloned()
        .unwrap();
    assert!(
        row["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "users.update"),
        "{row}"
    );
    // Outside an employee's read scope, a user does not exist for her.
    let sophie = demo_user(&users, "sophie");
    let as_sophie = Auth::key(&key, &sophie.id);
    let (s, _, _) = env
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            &as_sophie,
            Some(json!({"jobTitle": "CTO"})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, v, _) = env
        .call(Method::GET, "/api/v1/users?actions=true", &as_sophie, None)
        .await;
    let own = v["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == sophie.id.as_str())
        .cloned()
        .unwrap();
    assert_eq!(own["actions"], json!(["users.read"]), "{own}");
    // She sees herself but may not edit her record: the kernel's deny, typed.
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", sophie.id),
            &as_sophie,
            Some(json!({"jobTitle": "CTO"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["error"], "denied");
    assert!(v["deny"]["code"].is_string());
}
on_both!(crud_and_audit);

async fn duplicate_is_the_kernels_violation(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let key = env.key(HR, "service").await;
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/users",
            &Auth::key(&key, &hr.id),
            Some(new_hr_user("SOPHIE.martin@company.com", &hr.id)),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let v0 = &v["violations"][0];
    assert_eq!(v0["code"], "duplicate");
    assert_eq!(v0["path"], json!(["email"]));
    assert_eq!(
        v0["params"]["existingId"],
        demo_user(&users, "sophie").id.as_str()
    );
}
on_both!(duplicate_is_the_kernels_violation);

async fn concurrent_creates_leave_one_row(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr").id.clone();
    let key = env.key(HR, "service").await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let router = env.router.clone();
        let (key, hr) = (key.clone(), hr.clone());
        tasks.push(tokio::spawn(async move {
            // A 503 (the pool's wait ran out on a loaded machine: the server sheds load,
            // nothing is written) is retried, as a client does; at most 20 times.
            for _ in 0..20 {
                let req = axum::http::Request::builder()
                    .method(Method::POST)
                    .uri("/api/v1/users")
                    .header("authorization", format!("Bearer {key}"))
                    .header("x-warden-act-as", hr.as_str())
                    .header("content-type", "application/json")
                    .body(axum::body::Body::from(
                        new_hr_user("twin@company.com", &hr).to_string(),
                    ))
                    .unwrap();
                let resp = tower::ServiceExt::oneshot(router.clone(), req)
                    .await
                    .unwrap();
                let status = resp.status();
                let bytes = http_body_util::BodyExt::collect(resp.into_body())
                    .await
                    .unwrap()
                    .to_bytes();
                let body = serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null);
                if status != StatusCode::SERVICE_UNAVAILABLE {
                    return (status, body);
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            panic!("20 answers of 503 in a row");
        }));
    }
    let mut created = 0;
    for t in tasks {
        let (s, v) = t.await.unwrap();
        if s == StatusCode::CREATED {
            created += 1;
        } else {
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
            assert_eq!(v["violations"][0]["code"], "duplicate", "{v}");
        }
    }
    assert_eq!(created, 1);
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM user_keys WHERE key = $1",
            "twin@company.com"
        )
        .await,
        1
    );
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM users WHERE document LIKE $1",
            "%twin@company.com%"
        )
        .await,
        1
    );
}
on_both!(concurrent_creates_leave_one_row);

async fn deactivation_removes_roles_and_sessions(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let sophie = demo_user(&users, "sophie");
    let cookie = env
        .sign_in(HR, &sophie.login, DEMO_PASSWORD)
        .await
        .expect("sign in");
    let (s, _, _) = env
        .call(Method::GET, "/api/v1/session", &Auth::cookie(&cookie), None)
        .await;
    assert_eq!(s, StatusCode::OK);

    let key = env.key(HR, "service").await;
    let (s, v, _) = env
        .call(
            Method::POST,
            &format!("/api/v1/users/{}/status", sophie.id),
            &Auth::key(&key, &hr.id),
            Some(json!({"to": "inactive", "reason": "left the company"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["user"]["status"], "inactive");
    assert_eq!(
        v["user"]["roles"],
        json!([]),
        "R001-06: deactivation removes roles"
    );
    let kinds: Vec<&str> = v["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["kind"].as_str())
        .collect();
    assert!(
        kinds.contains(&"revokeSessions") && kinds.contains(&"removeRoles"),
        "{kinds:?}"
    );
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM role_assignments WHERE user_id = $1",
            &sophie.id
        )
        .await,
        0
    );
    assert_eq!(
        env.scalar("SELECT session_epoch FROM users WHERE id = $1", &sophie.id)
            .await,
        1
    );

    // Her session is revoked; she cannot sign in again (the kernel's login gate).
    let (s, _, _) = env
        .call(Method::GET, "/api/v1/session", &Auth::cookie(&cookie), None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/session",
            &Auth::None,
            Some(json!({"tenant": HR, "login": sophie.login, "password": DEMO_PASSWORD})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["deny"]["code"], "status_inactive");

    let (_, v, _) = env
        .call(
            Method::GET,
            &format!("/api/v1/users/{}/audit", sophie.id),
            &Auth::key(&key, &hr.id),
            None,
        )
        .await;
    let last = v["entries"].as_array().unwrap().last().cloned().unwrap();
    assert_eq!(last["action"], "users.status");
    assert_eq!(last["after"]["status"], "inactive");
}
on_both!(deactivation_removes_roles_and_sessions);

async fn pages_cover_everything(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let key = env.key(HR, "service").await;
    let as_hr = Auth::key(&key, &hr.id);
    for i in 0..7 {
        let (s, v, _) = env
            .call(
                Method::POST,
                "/api/v1/users",
                &as_hr,
                Some(new_hr_user(&format!("p{i}@company.com"), &hr.id)),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let total = env
        .scalar("SELECT COUNT(*) FROM users WHERE tenant_id = $1", HR)
        .await;
    let mut seen: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/users?limit=3&cursor={c}"),
            None => "/api/v1/users?limit=3".to_owned(),
        };
        let (s, v, _) = env.call(Method::GET, &path, &as_hr, None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let page = ids(&v);
        assert!(page.len() <= 3);
        seen.extend(page);
        pages += 1;
        match v["next"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
        assert!(pages < 20);
    }
    let mut dedup = seen.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), seen.len(), "no user twice");
    assert_eq!(i64::try_from(seen.len()).unwrap(), total, "never truncated");
    assert_eq!(pages, 4);

    let (s, v, _) = env
        .call(Method::GET, "/api/v1/users?q=p3@company", &as_hr, None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ids(&v).len(), 1);
    let (s, v, _) = env
        .call(Method::GET, "/api/v1/users?cursor=!!", &as_hr, None)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
}
on_both!(pages_cover_everything);

async fn sessions_are_strict_and_csrf_safe(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let (s, _, h) = env
        .call(
            Method::POST,
            "/api/v1/session",
            &Auth::None,
            Some(json!({"tenant": HR, "login": hr.login, "password": DEMO_PASSWORD})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let set = h.get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let cookie = set.split(';').next().unwrap().to_owned();
    let no_csrf = Auth::Cookie {
        cookie: cookie.clone(),
        csrf: false,
    };
    let body = Some(new_hr_user("csrf@company.com", &hr.id));
    let (s, v, _) = env
        .call(Method::POST, "/api/v1/users", &no_csrf, body.clone())
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(v["error"], "csrf");
    let (s, v, _) = env
        .call(Method::POST, "/api/v1/users", &Auth::cookie(&cookie), body)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");

    // Wrong passwords are counted; an unknown login looks the same.
    let (s, _, _) = env
        .call(
            Method::POST,
            "/api/v1/session",
            &Auth::None,
            Some(json!({"tenant": HR, "login": hr.login, "password": "wrong-password-123"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM users WHERE id = $1 AND failed_logins <> '[]'",
            &hr.id
        )
        .await,
        1
    );
    let (s, _, _) = env
        .call(Method::POST, "/api/v1/session", &Auth::None, Some(json!({"tenant": HR, "login": "nobody@company.com", "password": "wrong-password-123"})))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _, _) = env
        .call(
            Method::DELETE,
            "/api/v1/session",
            &Auth::cookie(&cookie),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, _) = env
        .call(Method::GET, "/api/v1/session", &Auth::cookie(&cookie), None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}
on_both!(sessions_are_strict_and_csrf_safe);

async fn errors_are_typed(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let manager = demo_user(&users, "manager");
    let ceo = demo_user(&users, "ceo");
    let key = env.key(HR, "service").await;
    let as_hr = Auth::key(&key, &hr.id);
    let (s, v, _) = env
        .call(Method::GET, "/api/v1/users/u_nope", &as_hr, None)
        .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (s, v, _) = env
        .call(Method::GET, "/api/v1/users", &Auth::None, None)
        .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );
    let (s, _, _) = env
        .call(
            Method::GET,
            "/api/v1/users",
            &Auth::Key {
                token: "wdn_forged".into(),
                act_as: None,
            },
            None,
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, v, _) = env
        .call(
            Method::GET,
            "/api/v1/users",
            &Auth::Key {
                token: key.clone(),
                act_as: None,
            },
            None,
        )
        .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_request"))
    );
    let (s, v, _) = env
        .call(Method::POST, "/api/v1/users", &as_hr, Some(json!([1, 2])))
        .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_request"))
    );
    // A manager cycle: the CEO may not report to someone below her.
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", ceo.id),
            &as_hr,
            Some(json!({"manager": manager.id})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["errors"][0]["field"], "manager");
    assert_eq!(v["errors"][0]["code"], "manager_cycle");
    // An unknown manager: the kernel's unknown_reference, answered by the store.
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/users",
            &as_hr,
            Some(new_hr_user("ghost@company.com", "u_ghost")),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["violations"][0]["code"], "unknown_reference");
    assert_eq!(v["violations"][0]["path"], json!(["manager"]));
    // Oversized bodies are refused before parsing.
    let big = "x".repeat(warden_server::api::MAX_BODY_BYTES + 1);
    let (s, _, _) = env
        .call(
            Method::POST,
            "/api/v1/users",
            &as_hr,
            Some(json!({"firstName": big})),
        )
        .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
}
on_both!(errors_are_typed);

async fn deletion_follows_the_policy(env: &Env) {
    let users = env.demo(PPP).await;
    let admin = demo_user(&users, "admin");
    let bob = demo_user(&users, "bob");
    let carla = demo_user(&users, "carla");
    let key = env.key(PPP, "service").await;
    // R000-09: confirmation required; a regular user may not delete.
    let (s, v, _) = env
        .call(
            Method::DELETE,
            &format!("/api/v1/users/{}", bob.id),
            &Auth::key(&key, &admin.id),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["deny"]["code"], "confirmation_required");
    let (s, _, _) = env
        .call(
            Method::DELETE,
            &format!("/api/v1/users/{}?confirm=true", carla.id),
            &Auth::key(&key, &bob.id),
            None,
        )
        .await;
    assert!(s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND);
    let (s, v, _) = env
        .call(
            Method::DELETE,
            &format!("/api/v1/users/{}?confirm=true", bob.id),
            &Auth::key(&key, &admin.id),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["mode"], "hard");
    assert_eq!(
        env.scalar("SELECT COUNT(*) FROM users WHERE id = $1", &bob.id)
            .await,
        0
    );
    assert_eq!(
        env.scalar("SELECT COUNT(*) FROM user_keys WHERE user_id = $1", &bob.id)
            .await,
        0
    );
    // The audit entry outlives the user.
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE target_id = $1",
            &bob.id
        )
        .await,
        2
    );
    // Password reset (admin method, R000-05): the new password works, once changed.
    let (s, v, _) = env
        .call(
            Method::POST,
            &format!("/api/v1/users/{}/password-reset", carla.id),
            &Auth::key(&key, &admin.id),
            Some(json!({"method": "admin", "password": "Another-Kettle-77!"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v.get("temporaryPassword").is_none());
    assert!(
        env.sign_in(PPP, &carla.login, DEMO_PASSWORD)
            .await
            .is_none()
    );
    assert!(
        env.sign_in(PPP, &carla.login, "Another-Kettle-77!")
            .await
            .is_some()
    );
}
on_both!(deletion_follows_the_policy);

async fn temporary_passwords_are_shown_once(env: &Env) {
    let users = env.demo("prs-procurement").await;
    let admin = demo_user(&users, "admin");
    let jdoe = demo_user(&users, "requester");
    let key = env.key("prs-procurement", "service").await;
    let (s, v, _) = env
        .call(
            Method::POST,
            &format!("/api/v1/users/{}/password-reset", jdoe.id),
            &Auth::key(&key, &admin.id),
            Some(json!({})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let temp = v["temporaryPassword"].as_str().unwrap().to_owned();
    assert_eq!(v["mustChangePassword"], true);
    let (_, body, _) = env
        .call(
            Method::GET,
            &format!("/api/v1/users/{}/audit", jdoe.id),
            &Auth::key(&key, &admin.id),
            None,
        )
        .await;
    assert!(!body.to_string().contains(&temp), "never in the audit log");
    let stored: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(&jdoe.id)
        .fetch_one(env.app.db.pool())
        .await
        .unwrap();
    assert!(stored.starts_with("$argon2id$") && !stored.contains(&temp));
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/session",
            &Auth::None,
            Some(json!({"tenant": "prs-procurement", "login": "JDOE", "password": temp})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["mustChangePassword"], true);
}
on_both!(temporary_passwords_are_shown_once);

async fn audit_verify_finds_tampering(env: &Env) {
    let users = env.demo(HR).await;
    let sophie = demo_user(&users, "sophie");
    let verify = || async {
        let mut conn = env.app.db.pool().acquire().await.unwrap();
        audit::verify(&mut conn).await.unwrap()
    };
    let (problems, checked) = verify().await;
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(checked, 5);
    let pool = env.app.db.pool();
    let body: String = sqlx::query_scalar("SELECT body FROM audit_log WHERE target_id = $1")
        .bind(&sophie.id)
        .fetch_one(pool)
        .await
        .unwrap();
    // Edited.
    sqlx::query("UPDATE audit_log SET body = $1 WHERE target_id = $2")
        .bind(body.replace("Sophie", "Sofia"))
        .bind(&sophie.id)
        .execute(pool)
        .await
        .unwrap();
    let (problems, _) = verify().await;
    assert!(
        problems.iter().any(|p| p.problem.contains("edited")),
        "{problems:?}"
    );
    sqlx::query("UPDATE audit_log SET body = $1 WHERE target_id = $2")
        .bind(&body)
        .bind(&sophie.id)
        .execute(pool)
        .await
        .unwrap();
    assert!(verify().await.0.is_empty());
    // Deleted in the middle.
    sqlx::query("DELETE FROM audit_log WHERE tenant_id = $1 AND seq = 2")
        .bind(HR)
        .execute(pool)
        .await
        .unwrap();
    let (problems, _) = verify().await;
    assert!(
        problems.iter().any(|p| p.problem.contains("missing")),
        "{problems:?}"
    );
    // Deleted at the end.
    sqlx::query("DELETE FROM audit_log WHERE tenant_id = $1 AND seq = 5")
        .bind(HR)
        .execute(pool)
        .await
        .unwrap();
    let (problems, _) = verify().await;
    assert!(
        problems.iter().any(|p| p.problem.contains("last entry")),
        "{problems:?}"
    );
}
on_both!(audit_verify_finds_tampering);

async fn restart_migrates_nothing_twice(env: &Env) {
    let users = env.demo(HR).await;
    let before = env
        .scalar("SELECT COUNT(*) FROM users WHERE tenant_id = $1", HR)
        .await;
    let migrations = env.app.db.applied_migrations().await.unwrap();
    let again = Db::connect(&DbUrl::parse(&env.url).unwrap(), 2)
        .await
        .unwrap();
    assert_eq!(again.applied_migrations().await.unwrap(), migrations);
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE tenant_id = $1")
        .bind(HR)
        .fetch_one(again.pool())
        .await
        .unwrap();
    assert_eq!(count, before);
    assert_eq!(usize::try_from(count).unwrap(), users.len());
    // Seeding again leaves the existing tenant alone.
    let app2 = warden_server::App::new(again, warden_server::Settings::default());
    assert!(
        warden_server::seed::demo_tenant(&app2, HR)
            .await
            .unwrap()
            .is_none()
    );
    app2.db.pool().close().await;
}
on_both!(restart_migrates_nothing_twice);

#[tokio::test]
async fn production_refuses_memory_and_unknown_schemes() {
    assert!(DbUrl::parse("sqlite::memory:").unwrap().in_memory());
    assert!(DbUrl::parse("mysql://localhost/x").is_err());
    let _ = Which::Sqlite;
}

async fn imports_preview_then_commit(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let key = env.key(HR, "service").await;
    let as_hr = Auth::key(&key, &hr.id);
    // (The blank line is no row: each row's line is its index + 3.)
    let csv = format!(
        "firstName,lastName,email,jobTitle,manager,status,organization\n\n\
         Ines,Roux,ines.roux@company.com,Software Engineer,{m},active,company\n\
         Sophie,Martin,sophie.martin@company.com,Software Engineer,{m},active,company\n\
         Bad,Mail,not-an-email,Software Engineer,{m},active,company\n\
         Ines,Roux,INES.ROUX@company.com,Software Engineer,{m},active,company\n",
        m = hr.id
    );
    let (s, v, _) = env
        .call_raw(Method::POST, "/api/v1/imports", &as_hr, Some(csv.clone()))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["summary"]["total"], 4);
    assert_eq!(
        v["summary"]["invalid"], 2,
        "a bad email and a duplicate within the file: {v}"
    );
    assert_eq!(
        v["taken"]["email_unique"],
        json!(["sophie.martin@company.com"])
    );
    // Every row's entry says the line it starts on, the one the store refuses included.
    let lines = |v: &Value| {
        v["results"]
            .as_array()
            .map(|r| r.iter().map(|e| e["line"].clone()).collect::<Vec<_>>())
    };
    assert_eq!(
        lines(&v),
        Some(vec![json!(3), json!(4), json!(5), json!(6)]),
        "{v}"
    );
    assert_eq!(v["results"][1]["verdict"], "refused", "{v}");
    assert!(v.get("lines").is_none(), "{v}");
    assert_eq!(
        env.scalar("SELECT COUNT(*) FROM users WHERE tenant_id = $1", HR)
            .await,
        5,
        "a preview writes nothing"
    );

    let (s, v, _) = env
        .call_raw(
            Method::POST,
            "/api/v1/imports?commit=true",
            &as_hr,
            Some(csv),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["summary"]["created"], 1, "{v}");
    assert_eq!(v["summary"]["refused"], 1, "{v}");
    assert_eq!(v["results"][1]["violations"][0]["code"], "duplicate");
    assert_eq!(
        lines(&v),
        Some(vec![json!(3), json!(4), json!(5), json!(6)]),
        "{v}"
    );
    let id = v["results"][0]["id"].as_str().unwrap();
    assert_eq!(
        env.scalar("SELECT COUNT(*) FROM audit_log WHERE target_id = $1", id)
            .await,
        1
    );
    let (s, _, _) = env
        .call_raw(
            Method::POST,
            "/api/v1/imports?format=xml",
            &as_hr,
            Some(String::new()),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // A file that cannot be read at all says why, with a code.
    for (file, code) in [
        ("email,\"first\"x\nx,y\n".to_owned(), "malformed_header"),
        (format!("{}\n", vec!["c"; 5_000].join(",")), "too_large"),
        (String::new(), "no_header"),
    ] {
        let (s, v, _) = env
            .call_raw(Method::POST, "/api/v1/imports", &as_hr, Some(file))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(
            (v["code"].as_str(), v["in"].as_str()),
            (Some(code), Some("body")),
            "{v}"
        );
    }
}
on_both!(imports_preview_then_commit);

/// What HTTP says a created or versioned resource carries (RFC 9110): a created user's
/// `Location` and `ETag` (its version, the tag `If-Match` names), a PUT answering 201 when
/// it creates and 200 when it replaces.
async fn created_resources_say_where_and_their_version(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let key = env.key(HR, "service").await;
    let as_hr = Auth::key(&key, &hr.id);
    let (s, v, h) = env
        .call(
            Method::POST,
            "/api/v1/users",
            &as_hr,
            Some(new_hr_user("located@company.com", &hr.id)),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["user"]["id"].as_str().unwrap();
    let location = h["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/users/{id}"));
    assert_eq!(
        h["etag"].to_str().unwrap(),
        format!("\"{}\"", v["user"]["version"]),
        "{v}"
    );
    let (s, v, h) = env.call(Method::GET, &location, &as_hr, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let tag = h["etag"].to_str().unwrap().to_owned();
    assert_eq!(tag, format!("\"{}\"", v["user"]["version"]), "{v}");
    let (s, v, h) = env
        .call_with_headers(
            Method::PATCH,
            &location,
            &as_hr,
            Some(json!({"jobTitle": "Tagged"}).to_string()),
            &[("if-match", tag.as_bytes())],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_ne!(h["etag"].to_str().unwrap(), tag, "a new version: {v}");
    assert_eq!(
        h["etag"].to_str().unwrap(),
        format!("\"{}\"", v["user"]["version"]),
        "{v}"
    );

    let admin = Auth::Key {
        token: env.key(HR, "admin").await,
        act_as: None,
    };
    let path = "/api/v1/resources/review/r-201";
    let (s, v, _) = env.call(Method::PUT, path, &admin, Some(json!({}))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v, _) = env.call(Method::PUT, path, &admin, Some(json!({}))).await;
    assert_eq!(s, StatusCode::OK, "replaced: {v}");
}
on_both!(created_resources_say_where_and_their_version);

/// Stores version `n` of hr-platform's policy (its preset's document again), as another
/// instance replacing it would.
async fn store_policy_version(env: &Env, n: i64) {
    let doc = serde_json::to_string(warden_core::Policy::preset(HR).unwrap().document()).unwrap();
    let mut tx = env.app.db.begin_write().await.unwrap();
    sqlx::query("UPDATE tenants SET policy_version = $2 WHERE id = $1")
        .bind(HR)
        .bind(n)
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("INSERT INTO policy_versions (tenant_id, version, hash, document, created_at) VALUES ($1, $2, $3, $4, 0)")
        .bind(HR)
        .bind(n)
        .bind(warden_core::Policy::preset(HR).unwrap().hash())
        .bind(&doc)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// A change decided on a policy that was replaced before its write (here by a replacement
/// this instance has not heard of yet) is refused `stale_policy` and writes nothing; the
/// instance then reads the new policy, and the same change, sent again, goes through.
async fn a_change_decided_on_a_replaced_policy_is_refused(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let sophie = demo_user(&users, "sophie");
    let key = env.key(HR, "service").await;
    let as_hr = Auth::key(&key, &hr.id);
    let edit = json!({"jobTitle": "Analyst"});
    let path = format!("/api/v1/users/{}", sophie.id);
    // The instance holds version 1.
    let (s, v, _) = env.call(Method::GET, &path, &as_hr, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let version = env
        .scalar("SELECT version FROM users WHERE id = $1", &sophie.id)
        .await;
    // Another instance stores version 2 (the same document).
    store_policy_version(env, 2).await;
    let (s, v, _) = env
        .call(Method::PATCH, &path, &as_hr, Some(edit.clone()))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["errors"][0]["code"], "stale_policy", "{v}");
    assert_eq!(
        env.scalar("SELECT version FROM users WHERE id = $1", &sophie.id)
            .await,
        version,
        "nothing written"
    );
    // The refusal made the instance forget the policy it decided with: sent again, the
    // change is decided on version 2.
    let (s, v, _) = env.call(Method::PATCH, &path, &as_hr, Some(edit)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE target_id = $1 AND body LIKE '%\"policyVersion\":2%'",
            &sophie.id
        )
        .await,
        1,
        "decided and audited on version 2"
    );
    // A bulk item decided on a replaced policy fails `stale_policy`, reported; the next
    // request is decided on the new one.
    store_policy_version(env, 3).await;
    let items = json!({"items": [{"op": "roles", "id": sophie.id, "add": ["hrViewer"]}]});
    let (s, v, _) = env
        .call(Method::POST, "/api/v1/bulk", &as_hr, Some(items.clone()))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["results"][0]["reason"], "stale_policy", "{v}");
    let (s, v, _) = env
        .call(Method::POST, "/api/v1/bulk", &as_hr, Some(items))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["summary"]["committed"], 1, "{v}");
}
on_both!(a_change_decided_on_a_replaced_policy_is_refused);

/// A role given while a replacement that no longer declares it is being decided: the
/// replacement checks the names users hold again under the tenant's lock, and is refused
/// `in_use` (the role's holder would be stranded).
async fn a_role_given_during_a_replacement_is_counted(env: &Env) {
    let users = env.demo(HR).await;
    let sophie = demo_user(&users, "sophie");
    let auditor = json!({"label": {"en": "Auditor"}, "permissions": [{"allow": "users.read", "scope": "organization"}]});
    env.edit_policy(HR, |d| d["access"]["roles"]["auditor"] = auditor)
        .await;
    let (admin, mut without) = env.policy_document(HR).await;
    without["access"]["roles"]
        .as_object_mut()
        .unwrap()
        .remove("auditor");
    // Nobody holds `auditor` when the replacement starts; Sophie is given it in a
    // transaction that commits while the replacement waits to write.
    let mut conn = env.app.db.pool().acquire().await.unwrap();
    let mut given = warden_server::store::user(&mut conn, HR, &sophie.id)
        .await
        .unwrap()
        .unwrap();
    drop(conn);
    given.roles.push("auditor".into());
    let mut tx = env.app.db.begin_write().await.unwrap();
    warden_server::store::lock_tenant(&mut tx, HR)
        .await
        .unwrap();
    warden_server::store::update_user(&mut tx, &mut given, 1_900_000_000)
        .await
        .unwrap();
    let replace = env.call(Method::PUT, "/api/v1/policy", &admin, Some(without));
    let release = async {
        // Long enough for the replacement to check the stored users and reach its write.
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        tx.commit().await.unwrap();
    };
    let ((s, v, _), ()) = tokio::join!(replace, release);
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["errors"][0]["code"], "in_use", "{v}");
    let (_, v, _) = env.call(Method::GET, "/api/v1/policy", &admin, None).await;
    assert!(
        v["document"]["access"]["roles"]["auditor"].is_object(),
        "kept: {v}"
    );
}
on_both!(a_role_given_during_a_replacement_is_counted);

/// A stored policy this server's kernel refuses (a document an earlier version took, which
/// a later check refuses: here a key named twice) leaves the tenant answered 503
/// `policy_unusable`, not 500; its administrator reads the document and the kernel's reason
/// and replaces it with an admin key, which needs no compiled policy; the start-up check
/// counts it; another tenant is untouched.
async fn a_stored_policy_the_kernel_refuses_is_unusable_until_replaced(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let other = env.demo(PPP).await;
    let other_admin = env.key(PPP, "admin").await;
    let admin = env.key(HR, "admin").await;
    let service = env.key(HR, "service").await;
    let (s, v, _) = env
        .call(
            Method::GET,
            "/api/v1/policy",
            &Auth::key(&admin, &hr.id),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v.get("compileError").is_none(), "{v}");
    let good = v["document"].clone();
    let version = v["version"].as_i64().unwrap();
    // What an earlier version stored, refused by a later check: an enum naming a value twice.
    let text: String = sqlx::query_scalar(
        "SELECT document FROM policy_versions WHERE tenant_id = $1 AND version = $2",
    )
    .bind(HR)
    .bind(version)
    .fetch_one(env.app.db.pool())
    .await
    .unwrap();
    let refused = text.replacen(
        r#""values":["active","inactive"]"#,
        r#""values":["active","inactive","active"]"#,
        1,
    );
    assert_ne!(refused, text);
    assert!(warden_core::Policy::from_json(&refused).is_err());
    sqlx::query("UPDATE policy_versions SET document = $1 WHERE tenant_id = $2 AND version = $3")
        .bind(&refused)
        .bind(HR)
        .bind(version)
        .execute(env.app.db.pool())
        .await
        .unwrap();
    env.app.forget_all().await;
    assert_eq!(env.app.check_stored_policies().await, 1);

    let as_hr = Auth::key(&service, &hr.id);
    for _ in 0..2 {
        let (s, v, _) = env.call(Method::GET, "/api/v1/users", &as_hr, None).await;
        assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{v}");
        assert_eq!(v["error"], "policy_unusable", "{v}");
        assert!(
            v["message"]
                .as_str()
                .unwrap()
                .contains("PUT /api/v1/policy"),
            "says the way out: {v}"
        );
    }
    let session = env.sign_in(HR, &hr.login, DEMO_PASSWORD).await;
    assert!(session.is_none(), "no sign-in decided without the policy");
    // Another tenant is untouched.
    let (s, v, _) = env
        .call(
            Method::GET,
            "/api/v1/policy",
            &Auth::key(&other_admin, &other[0].id),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // The administrator reads the stored text and why it does not compile, with a key the
    // operator creates now (`warden key create` reads no compiled policy).
    drop(admin);
    let admin_auth = Auth::Key {
        token: env.key(HR, "admin").await,
        act_as: None,
    };
    let (s, v, _) = env
        .call(Method::GET, "/api/v1/policy", &admin_auth, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["version"], version, "{v}");
    assert_eq!(v["compileError"]["path"], "fields.status.values[2]", "{v}");
    assert!(
        v["compileError"]["reason"]
            .as_str()
            .is_some_and(|r| !r.is_empty()),
        "{v}"
    );
    // A service key is still refused the policy routes.
    let (s, v, _) = env
        .call(Method::PUT, "/api/v1/policy", &as_hr, Some(good.clone()))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    // The admin key replaces it; the tenant works again, the audit names what was replaced.
    let (s, v, _) = env
        .call(Method::PUT, "/api/v1/policy", &admin_auth, Some(good))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["version"], version + 1, "{v}");
    let (s, v, _) = env.call(Method::GET, "/api/v1/users", &as_hr, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, v, _) = env
        .call(Method::GET, "/api/v1/policy", &admin_auth, None)
        .await;
    assert!(v.get("compileError").is_none(), "{v}");
    assert_eq!(env.app.check_stored_policies().await, 0);
    let bodies: Vec<String> =
        sqlx::query_scalar("SELECT body FROM audit_log WHERE tenant_id = $1 AND target_id = $1")
            .bind(HR)
            .fetch_all(env.app.db.pool())
            .await
            .unwrap();
    let entry: Value = bodies
        .iter()
        .map(|b| serde_json::from_str::<Value>(b).unwrap())
        .find(|e| e["action"] == "policy.replace")
        .expect("the replacement's audit entry");
    let before = &entry["before"];
    assert_eq!(before["version"], version, "{entry}");
    assert!(
        before["policy"].as_str().is_some_and(|h| !h.is_empty()),
        "{before}"
    );
}
on_both!(a_stored_policy_the_kernel_refuses_is_unusable_until_replaced);

async fn policy_replacement_reports_failing_users(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let admin = env.key(HR, "admin").await;
    let service = env.key(HR, "service").await;
    let (s, v, _) = env
        .call(
            Method::GET,
            "/api/v1/policy",
            &Auth::key(&admin, &hr.id),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _, _) = env
        .call(
            Method::GET,
            "/api/v1/policy",
            &Auth::key(&service, &hr.id),
            None,
        )
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "service keys do not manage policy"
    );
    let mut doc = v["document"].clone();
    let old_hash = v["hash"].as_str().unwrap().to_owned();
    // The stored document compiles to the same hash (what the decisions name).
    assert_eq!(old_hash, warden_core::Policy::preset(HR).unwrap().hash());
    // Job titles now at most 10 characters: most demo users fail.
    doc["fields"]["jobTitle"]["maxLength"] = json!(10);
    let admin_auth = Auth::Key {
        token: admin.clone(),
        act_as: None,
    };
    let (s, v, _) = env
        .call(
            Method::PUT,
            "/api/v1/policy?dryRun=true",
            &admin_auth,
            Some(doc.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["report"]["checked"], 5);
    let failing = v["report"]["failing"].as_u64().unwrap();
    assert!(failing >= 3, "{v}");
    let (s, v, _) = env
        .call(
            Method::PUT,
            "/api/v1/policy",
            &admin_auth,
            Some(doc.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["version"], 2);
    let new_hash = v["hash"].as_str().unwrap().to_owned();
    assert_ne!(new_hash, old_hash);
    // Decisions now name the new version.
    let (_, v, _) = env
        .call(
            Method::GET,
            "/api/v1/session",
            &Auth::key(&service, &hr.id),
            None,
        )
        .await;
    assert_eq!(v["policyVersion"], 2);
    assert_eq!(v["policy"], new_hash.as_str());
    // A policy the kernel refuses names the key path.
    doc["fields"]["jobTitle"]["maxLength"] = json!("ten");
    let (s, v, _) = env
        .call(
            Method::PUT,
            "/api/v1/policy",
            &admin_auth,
            Some(doc.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["errors"][0]["code"], "invalid_policy");

    // A policy that no longer declares a role, a group or a status users hold would strand
    // them (no read, edit or sign-in could decide on them, nor take the name away): its
    // dry run lists each name with its holders, and the replacement is refused.
    doc["fields"]["jobTitle"]["maxLength"] = json!(10);
    let mut strands = doc.clone();
    strands["access"]["roles"]
        .as_object_mut()
        .unwrap()
        .remove("director");
    let (s, v, _) = env
        .call(
            Method::PUT,
            "/api/v1/policy?dryRun=true",
            &admin_auth,
            Some(strands.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        v["report"]["undeclared"],
        json!([{"in": "access.roles", "name": "director", "users": 1}]),
        "{v}"
    );
    let (s, v, _) = env
        .call(Method::PUT, "/api/v1/policy", &admin_auth, Some(strands))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["errors"][0]["code"], "in_use", "{v}");
    assert_eq!(v["errors"][0]["field"], "access.roles", "{v}");
    let (_, v, _) = env
        .call(Method::GET, "/api/v1/policy", &admin_auth, None)
        .await;
    assert_eq!(v["version"], 2, "nothing stored: {v}");
    // Without the undeclared names in use, the same edit of the policy goes through.
    let (s, v, _) = env
        .call(
            Method::PUT,
            "/api/v1/policy?dryRun=true",
            &admin_auth,
            Some(doc),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["report"].get("undeclared").is_none(), "{v}");
}
on_both!(policy_replacement_reports_failing_users);

/// The UNIQUE constraint is the final arbiter even when the kernel's pre-check was
/// answered before another writer committed: a second key row is refused by the database,
/// recognised as a unique violation, and the transaction leaves nothing behind.
async fn the_database_refuses_a_second_key(env: &Env) {
    let users = env.demo(HR).await;
    let sophie = demo_user(&users, "sophie");
    let pool = env.app.db.pool();
    let mut tx = env.app.db.begin_write().await.unwrap();
    sqlx::query(
        "INSERT INTO users (id, tenant_id, document, status, created_at, updated_at) VALUES ('u_twin', $1, '{}', 'active', 0, 0)",
    )
    .bind(HR)
    .execute(&mut *tx)
    .await
    .unwrap();
    let err = sqlx::query(
        "INSERT INTO user_keys (tenant_id, check_id, field, scope, key, user_id) VALUES ($1, 'email_unique', 'email', '', $2, 'u_twin')",
    )
    .bind(HR)
    .bind(&sophie.login)
    .execute(&mut *tx)
    .await
    .unwrap_err();
    assert!(warden_server::store::is_unique_violation(&err), "{err}");
    tx.rollback().await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE id = 'u_twin'")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(n, 0);
}
on_both!(the_database_refuses_a_second_key);

async fn statistics_lockout_and_request_ids(env: &Env) {
    let users = env.demo(HR).await;
    let manager = demo_user(&users, "manager");
    let key = env.key(HR, "service").await;
    let (s, v, h) = env
        .call(
            Method::GET,
            "/api/v1/statistics",
            &Auth::key(&key, &manager.id),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["statistics"]["total"], 3, "the manager's scope: {v}");
    assert!(
        h.get("x-request-id").is_some(),
        "a request id is generated and echoed"
    );

    // R002-12: failed logins are counted in the store; the kernel's gate locks the account.
    let rental = env.demo("rental-platform").await;
    let lucas = demo_user(&rental, "customer");
    for _ in 0..5 {
        let (s, _, _) = env
            .call(Method::POST, "/api/v1/session", &Auth::None, Some(json!({"tenant": "rental-platform", "login": lucas.login, "password": "Wrong-Password-123!"})))
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, v, _) = env
        .call(Method::POST, "/api/v1/session", &Auth::None, Some(json!({"tenant": "rental-platform", "login": lucas.login, "password": DEMO_PASSWORD})))
        .await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "locked: answered as a wrong password: {v}"
    );
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM users WHERE id = $1 AND status = 'locked'",
            &lucas.id
        )
        .await,
        1
    );
}
on_both!(statistics_lockout_and_request_ids);

async fn updates_cannot_escape_the_actors_reach(env: &Env) {
    let users = env.demo(PPP).await;
    let bob = demo_user(&users, "bob");
    let carla = demo_user(&users, "carla");
    let admin = demo_user(&users, "admin");
    let key = env.key(PPP, "service").await;
    // A super administrator moves Carla to plant A: allowed.
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", carla.id),
            &Auth::key(&key, &admin.id),
            Some(json!({"organization": "plant-a"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // Bob may not put himself in a group (groups grant roles; this policy has no groups.manage).
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", bob.id),
            &Auth::key(&key, &bob.id),
            Some(json!({"groups": ["admins"]})),
        )
        .await;
    assert!(
        s == StatusCode::FORBIDDEN || s == StatusCode::BAD_REQUEST,
        "{s} {v}"
    );
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM group_members WHERE user_id = $1",
            &bob.id
        )
        .await,
        0
    );
    // Nor make himself a super administrator.
    let (s, _, _) = env
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", bob.id),
            &Auth::key(&key, &bob.id),
            Some(json!({"superAdmin": true})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(
        env.scalar("SELECT super_admin FROM users WHERE id = $1", &bob.id)
            .await,
        0
    );
}
on_both!(updates_cannot_escape_the_actors_reach);

/// A PRS requester, `kwong`, created by the demo administrator: the administrator's id, a
/// service key, the generated temporary password and the new user's id.
struct NewRequester {
    admin: String,
    key: String,
    temp: String,
    id: String,
}

async fn new_prs_requester(env: &Env) -> NewRequester {
    let users = env.demo("prs-procurement").await;
    let admin = demo_user(&users, "admin").id.clone();
    let key = env.key("prs-procurement", "service").await;
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/users",
            &Auth::key(&key, &admin),
            Some(json!({"username": "kwong", "firstName": "Kim", "lastName": "Wong", "userType": "requester", "department": "Finance", "supervisor": admin, "organization": "prs"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let temp = v["temporaryPassword"]
        .as_str()
        .expect("R004-05: a generated temporary password")
        .to_owned();
    let id = v["user"]["id"].as_str().unwrap().to_owned();
    NewRequester {
        admin,
        key,
        temp,
        id,
    }
}

async fn prs_accounts_start_with_a_temporary_password(env: &Env) {
    let NewRequester {
        admin, key, temp, ..
    } = new_prs_requester(env).await;
    assert!(temp.len() >= 8);
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/session",
            &Auth::None,
            Some(json!({"tenant": "prs-procurement", "login": "kwong", "password": temp})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["mustChangePassword"], true);
    let id = v["user"]["id"].as_str().unwrap().to_owned();
    let (_, audit, _) = env
        .call(
            Method::GET,
            &format!("/api/v1/users/{id}/audit"),
            &Auth::key(&key, &admin),
            None,
        )
        .await;
    assert!(!audit.to_string().contains(&temp));
}
on_both!(prs_accounts_start_with_a_temporary_password);

/// A session signed in with a temporary password can do nothing but read itself, sign out
/// and change the password; once changed, the user is a user like any other.
async fn a_temporary_password_must_be_changed_before_anything_else(env: &Env) {
    const PRS: &str = "prs-procurement";
    let NewRequester {
        admin,
        key,
        temp,
        id,
    } = new_prs_requester(env).await;
    // Signed in as kwong: the session, and what the server says of it.
    let sign_in = |password: String| async move {
        let cookie = env
            .sign_in(PRS, "kwong", &password)
            .await
            .expect("signed in");
        let me = Auth::cookie(&cookie);
        let (s, v, _) = env.call(Method::GET, "/api/v1/session", &me, None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        (v, me)
    };
    let (v, me) = sign_in(temp.clone()).await;
    assert_eq!(v["mustChangePassword"], true);
    let refused = |v: &Value| v["reason"] == "password_change_required";
    for (method, path) in [
        (Method::GET, "/api/v1/users".to_owned()),
        (Method::GET, format!("/api/v1/users/{admin}")),
        (Method::GET, "/api/v1/statistics".to_owned()),
        (Method::GET, format!("/api/v1/users/{id}/audit")),
    ] {
        let (s, v, _) = env.call(method, &path, &me, None).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{path}: {v}");
        assert!(refused(&v), "{path}: {v}");
    }
    let (s, v, _) = env
        .call(Method::GET, &format!("/api/v1/users/{id}"), &me, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // Not even an edit of its own record: only the password route.
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            &me,
            Some(json!({"firstName": "Kimberly"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert!(refused(&v), "{v}");
    let change = |body: Value| {
        let (me, path) = (me.clone(), format!("/api/v1/users/{id}/password"));
        async move { env.call(Method::POST, &path, &me, Some(body)).await }
    };
    let new = "Violet-Kettle-42!x";
    // A wrong current password is refused (PRS does not ask for it, but a wrong one is
    // never accepted), and a new password is held to the policy.
    let (s, v, _) = change(json!({"password": new, "currentPassword": "wrong"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["deny"]["code"], "current_password_required", "{v}");
    let (s, v, _) = change(json!({"password": "kwong", "currentPassword": temp})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    // The temporary password is not a new one: whoever saw it would still know it.
    let (s, v, _) = change(json!({"password": temp, "currentPassword": temp})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["errors"][0]["code"], "password_unchanged", "{v}");
    let (s, v, _) = change(json!({"password": new, "currentPassword": temp})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["mustChangePassword"], false);
    // Every session opened with the temporary password ends with it (one the administrator
    // could have opened too), not only the caller's.
    let (s, v, _) = env.call(Method::GET, "/api/v1/users", &me, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    // Another user's password is not changed here, even by an administrator.
    let (s, v, _) = env
        .call(
            Method::POST,
            &format!("/api/v1/users/{id}/password"),
            &Auth::key(&key, &admin),
            Some(json!({"password": new})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (v, me) = sign_in(new.to_owned()).await;
    assert_eq!(v["mustChangePassword"], false);
    let (_, v, _) = env.call(Method::GET, "/api/v1/users", &me, None).await;
    assert!(!refused(&v), "{v}");
    // API keys act on a backend's authority: not held to it.
    let (s, v, _) = env
        .call(Method::GET, "/api/v1/users", &Auth::key(&key, &admin), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}
on_both!(a_temporary_password_must_be_changed_before_anything_else);

/// One's own password changed by an edit: where the policy does not ask for the current
/// password (CRM), none is needed; a wrong one is refused all the same.
async fn an_own_password_edit_needs_no_current_password_unless_asked(env: &Env) {
    let users = env.demo("crm").await;
    let admin = demo_user(&users, "admin");
    let key = env.key("crm", "service").await;
    let me = Auth::key(&key, &admin.id);
    let path = format!("/api/v1/users/{}", admin.id);
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &path,
            &me,
            Some(json!({"password": "Violet-Kettle-42!x", "currentPassword": "wrong"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["deny"]["code"], "current_password_required", "{v}");
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &path,
            &me,
            Some(json!({"password": "Violet-Kettle-42!x"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}
on_both!(an_own_password_edit_needs_no_current_password_unless_asked);

/// An update is authorized before the record is validated: a user who may not update an
/// account cannot use the edit to learn whether an e-mail is taken, nor by whom.
async fn an_update_is_authorized_before_it_is_validated(env: &Env) {
    let users = env.demo(HR).await;
    let sophie = demo_user(&users, "sophie");
    let hugo = demo_user(&users, "hr");
    let key = env.key(HR, "service").await;
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", sophie.id),
            &Auth::key(&key, &sophie.id),
            Some(json!({"email": "hugo.renard@company.com"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert!(!v.to_string().contains(&hugo.id), "{v}");
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", sophie.id),
            &Auth::key(&key, &sophie.id),
            Some(json!({"email": "sophie.new@company.com"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
}
on_both!(an_update_is_authorized_before_it_is_validated);

/// Sign-in answers a refused account's state only to whom knows its password: without it,
/// an inactive account is the same 401 as an unknown login (no enumeration, no status), and
/// the wrong guess is counted as a failed attempt.
async fn a_refused_account_is_not_revealed_without_its_password(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let sophie = demo_user(&users, "sophie");
    let key = env.key(HR, "service").await;
    let (s, v, _) = env
        .call(
            Method::POST,
            &format!("/api/v1/users/{}/status", sophie.id),
            &Auth::key(&key, &hr.id),
            Some(json!({"to": "inactive", "reason": "left the company"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let sign_in =
        |login: String, password: &str| json!({"tenant": HR, "login": login, "password": password});
    let (unknown, u, _) = env
        .call(
            Method::POST,
            "/api/v1/session",
            &Auth::None,
            Some(sign_in("nobody@company.com".into(), "Wrong-Guess-123!")),
        )
        .await;
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/session",
            &Auth::None,
            Some(sign_in(sophie.login.clone(), "Wrong-Guess-123!")),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    assert_eq!(
        (s, &v),
        (unknown, &u),
        "the same answer as an unknown login"
    );
    assert!(!v.to_string().contains("inactive"), "{v}");
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM users WHERE id = $1 AND failed_logins <> '[]'",
            &sophie.id
        )
        .await,
        1,
        "the wrong guess is counted"
    );
    // With her password, she hears why.
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/session",
            &Auth::None,
            Some(sign_in(sophie.login.clone(), DEMO_PASSWORD)),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["deny"]["code"], "status_inactive");
}
on_both!(a_refused_account_is_not_revealed_without_its_password);

/// An import preview answers which of a file's e-mails the directory already holds: only an
/// actor who may create users may ask (else any signed-in user could test ten thousand
/// addresses a request).
async fn an_import_preview_takes_an_actor_who_may_create_users(env: &Env) {
    let users = env.demo(HR).await;
    let sophie = demo_user(&users, "sophie");
    let key = env.key(HR, "service").await;
    let csv = "firstName,lastName,email,jobTitle,manager,status,organization\n\
               Hugo,Renard,hugo.renard@company.com,HR,,active,company\n"
        .to_owned();
    let (s, v, _) = env
        .call_raw(
            Method::POST,
            "/api/v1/imports",
            &Auth::key(&key, &sophie.id),
            Some(csv),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert!(v.get("taken").is_none(), "{v}");
}
on_both!(an_import_preview_takes_an_actor_who_may_create_users);

/// Concurrent wrong passwords are each counted: the lockout cannot be outrun by guessing in
/// parallel (each failed attempt was a read, then a write of the whole list: lost updates).
async fn concurrent_failed_sign_ins_are_all_counted(env: &Env) {
    let users = env.demo(HR).await;
    let paul = demo_user(&users, "paul").login.clone();
    let mut tasks = Vec::new();
    for i in 0..6 {
        let router = env.router.clone();
        let body = json!({"tenant": HR, "login": paul, "password": format!("Wrong-Guess-{i}!x")});
        tasks.push(tokio::spawn(async move {
            let req = axum::http::Request::builder()
                .method(Method::POST)
                .uri("/api/v1/session")
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body.to_string()))
                .unwrap();
            tower::ServiceExt::oneshot(router, req)
                .await
                .unwrap()
                .status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::UNAUTHORIZED);
    }
    let id = demo_user(&users, "paul").id.clone();
    let stored: String = sqlx::query_scalar("SELECT failed_logins FROM users WHERE id = $1")
        .bind(&id)
        .fetch_one(env.app.db.pool())
        .await
        .unwrap();
    let n = serde_json::from_str::<Vec<i64>>(&stored).unwrap().len();
    assert_eq!(n, 6, "{stored}");
}
on_both!(concurrent_failed_sign_ins_are_all_counted);

/// The status, the content type and the body of a refused request.
fn malformed(
    (s, v, h): (StatusCode, Value, axum::http::HeaderMap),
    part: &str,
    code: &str,
    field: Option<&str>,
) -> Value {
    // RFC 9110 §15.5.16: a body in a media type the route does not take is a 415.
    let want = if code == "unsupported_media_type" {
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    } else {
        StatusCode::BAD_REQUEST
    };
    assert_eq!(s, want, "{v}");
    assert_eq!(
        h.get("content-type").and_then(|c| c.to_str().ok()),
        Some("application/json"),
        "{v}"
    );
    assert_eq!(v["error"], "bad_request", "{v}");
    assert_eq!(v["in"], part, "{v}");
    assert_eq!(v["code"], code, "{v}");
    match field {
        Some(f) => assert_eq!(v["field"], f, "{v}"),
        None => assert!(v.get("field").is_none(), "{v}"),
    }
    assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    v
}

/// Axum's extractor rejections (a path parameter, a JSON body, a query string) are the
/// server's typed JSON 400, naming the part, the parameter or field, and the reason.
async fn malformed_requests_are_typed_errors(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let sophie = demo_user(&users, "sophie");
    let key = env.key(HR, "service").await;
    let as_hr = Auth::key(&key, &hr.id);

    // A path parameter that is not UTF-8 once percent-decoded: named, on every route kind.
    let v = malformed(
        env.call(Method::GET, "/api/v1/users/%FF%FE", &as_hr, None)
            .await,
        "path",
        "invalid_path_parameter",
        Some("id"),
    );
    assert!(v["message"].as_str().unwrap().contains("UTF-8"), "{v}");
    malformed(
        env.call(
            Method::PUT,
            "/api/v1/groups/g1/members/%C3%28",
            &as_hr,
            None,
        )
        .await,
        "path",
        "invalid_path_parameter",
        Some("user"),
    );
    malformed(
        env.call(Method::GET, "/api/v1/resources/%FF/r1", &as_hr, None)
            .await,
        "path",
        "invalid_path_parameter",
        Some("kind"),
    );

    // A body that is not JSON.
    let v = malformed(
        env.call_raw(
            Method::POST,
            "/api/v1/users",
            &as_hr,
            Some(r#"{"firstName": "#.into()),
        )
        .await,
        "body",
        "invalid_json",
        None,
    );
    assert!(
        v["message"].as_str().unwrap().contains("not valid JSON"),
        "{v}"
    );
    // A field the body does not have, a field of the wrong type, a missing field.
    let status = format!("/api/v1/users/{}/status", sophie.id);
    let v = malformed(
        env.call(
            Method::POST,
            &status,
            &as_hr,
            Some(json!({"to": "inactive", "bogus": 1})),
        )
        .await,
        "body",
        "unknown_field",
        Some("bogus"),
    );
    assert!(v["message"].as_str().unwrap().contains("`bogus`"), "{v}");
    malformed(
        env.call(Method::POST, &status, &as_hr, Some(json!({"to": 5})))
            .await,
        "body",
        "invalid_value",
        Some("to"),
    );
    malformed(
        env.call(Method::POST, &status, &as_hr, Some(json!({"reason": "x"})))
            .await,
        "body",
        "missing_field",
        Some("to"),
    );
    // Nothing changed.
    let (_, v, _) = env
        .call(
            Method::GET,
            &format!("/api/v1/users/{}", sophie.id),
            &as_hr,
            None,
        )
        .await;
    assert_eq!(v["user"]["status"], "active", "{v}");
    // A body sent without a JSON content type.
    let req = axum::http::Request::builder()
        .method(Method::POST)
        .uri(&status)
        .header("authorization", format!("Bearer {key}"))
        .header("x-warden-act-as", hr.id.as_str())
        .header("content-type", "text/plain")
        .body(axum::body::Body::from(r#"{"to": "inactive"}"#))
        .unwrap();
    let resp = tower::ServiceExt::oneshot(env.router.clone(), req)
        .await
        .unwrap();
    let (s, h) = (resp.status(), resp.headers().clone());
    let bytes = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes();
    malformed(
        (s, serde_json::from_slice(&bytes).unwrap(), h),
        "body",
        "unsupported_media_type",
        None,
    );

    // A status the policy does not declare, asked for: the kernel's code, at `to`.
    malformed(
        env.call(
            Method::POST,
            &format!("/api/v1/users/{}/status", sophie.id),
            &as_hr,
            Some(json!({"to": "nope", "reason": "test"})),
        )
        .await,
        "body",
        "unknown_status",
        Some("to"),
    );
    // A group the policy does not declare, in a body: the kernel's code.
    let v = malformed(
        env.call(
            Method::PATCH,
            &format!("/api/v1/users/{}", sophie.id),
            &as_hr,
            Some(json!({"groups": ["nope"]})),
        )
        .await,
        "body",
        "unknown_group",
        Some("groups"),
    );
    // Said in the API's words: not at the kernel request's path (`change.add`).
    let message = v["message"].as_str().unwrap();
    assert_eq!(
        message, "`nope` is not a group the tenant's policy declares",
        "{v}"
    );

    // A key given twice, at any depth: which value counts is up to each reader, so none
    // is read, and nothing is written.
    for (body, field) in [
        (r#"{"jobTitle": "A", "jobTitle": "B"}"#, Some("jobTitle")),
        (
            r#"{"address": {"city": "A", "city": "B"}}"#,
            Some("address.city"),
        ),
    ] {
        let v = malformed(
            env.call_raw(
                Method::PATCH,
                &format!("/api/v1/users/{}", sophie.id),
                &as_hr,
                Some(body.to_owned()),
            )
            .await,
            "body",
            "duplicate_key",
            field,
        );
        assert!(v["message"].as_str().unwrap().contains('`'), "{v}");
    }

    // A body is a JSON object: a sign-in or a status change is never read from an array
    // of its fields' values.
    let v = malformed(
        env.call_raw(
            Method::POST,
            &format!("/api/v1/users/{}/status?dryRun=true", sophie.id),
            &as_hr,
            Some(r#"["suspended", "x", 3, null, null, null]"#.to_owned()),
        )
        .await,
        "body",
        "invalid_value",
        None,
    );
    assert!(
        v["message"].as_str().unwrap().ends_with("not an array"),
        "{v}"
    );
    malformed(
        env.call_raw(
            Method::POST,
            "/api/v1/session",
            &Auth::None,
            Some(r#"["hr-platform", "hugo.renard@company.com", "x"]"#.to_owned()),
        )
        .await,
        "body",
        "invalid_value",
        None,
    );
    // A policy's text that is not JSON (a lone surrogate escape, which only the compiler
    // reads) is the body's fault, as any body's: 400, not a refused policy's 409.
    let admin = Auth::Key {
        token: env.key(HR, "admin").await,
        act_as: None,
    };
    let v = malformed(
        env.call_raw(
            Method::PUT,
            "/api/v1/policy?dryRun=true",
            &admin,
            Some(r#"{"warden": 1, "name": "\ud800", "fields": {}}"#.to_owned()),
        )
        .await,
        "body",
        "invalid_json",
        None,
    );
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .starts_with("the body is not valid JSON"),
        "{v}"
    );
    // A body sent to an operation that takes none is refused, never ignored: the user is
    // neither deleted (by the policy's mode, in place of the one the body asks) nor added
    // to the group.
    for (method, path) in [
        (Method::DELETE, format!("/api/v1/users/{}", sophie.id)),
        (
            Method::PUT,
            format!("/api/v1/groups/hr-admins/members/{}", sophie.id),
        ),
    ] {
        malformed(
            env.call_raw(
                method.clone(),
                &path,
                &as_hr,
                Some(r#"{"mode": "anonymize"}"#.to_owned()),
            )
            .await,
            "body",
            "unexpected_body",
            None,
        );
    }
    let (s, v, _) = env
        .call(
            Method::GET,
            &format!("/api/v1/users/{}", sophie.id),
            &as_hr,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["user"]["groups"], json!([]), "{v}");
    // A body whose length is not told (chunked) is read: an empty one is no body, one with
    // a byte is refused all the same.
    for (chunk, status) in [("", StatusCode::OK), ("{}", StatusCode::BAD_REQUEST)] {
        let req = axum::http::Request::builder()
            .method(Method::GET)
            .uri(format!("/api/v1/users/{}", sophie.id))
            .header("authorization", format!("Bearer {key}"))
            .header("x-warden-act-as", hr.id.as_str())
            .body(axum::body::Body::new(Chunked(Some(
                axum::body::Bytes::from(chunk),
            ))))
            .unwrap();
        let resp = tower::ServiceExt::oneshot(env.router.clone(), req)
            .await
            .unwrap();
        assert_eq!(resp.status(), status, "{chunk:?}");
    }

    // A query parameter of the wrong type, an unknown one.
    let v = malformed(
        env.call(Method::GET, "/api/v1/users?limit=ten", &as_hr, None)
            .await,
        "query",
        "invalid_parameter",
        Some("limit"),
    );
    assert!(v["message"].as_str().unwrap().starts_with("`limit`"), "{v}");
    let v = malformed(
        env.call(
            Method::GET,
            &format!("/api/v1/users/{}/audit?bogus=1", sophie.id),
            &as_hr,
            None,
        )
        .await,
        "query",
        "unknown_parameter",
        Some("bogus"),
    );
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .starts_with("unknown parameter `bogus`"),
        "{v}"
    );
    malformed(
        env.call(Method::GET, "/api/v1/organizations?limit=1.5", &as_hr, None)
            .await,
        "query",
        "invalid_parameter",
        Some("limit"),
    );

    // The decision API keeps the contract's envelope, naming the operation.
    let (s, v, h) = env
        .call(Method::POST, "/api/v1/decide/%FF", &as_hr, Some(json!({})))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(
        h.get("content-type").and_then(|c| c.to_str().ok()),
        Some("application/json")
    );
    assert_eq!(v["error"]["code"], "invalid_input", "{v}");
    assert_eq!(v["error"]["path"], "operation", "{v}");
}
on_both!(malformed_requests_are_typed_errors);

/// A bulk status item is decided as the status route decides it: the state machine and the
/// kernel's `users.status` on the target. With a transition its state machine lets a
/// manager make (`by` a permission the manager holds over the report) but no
/// `users.status` in the manager's roles, the route refuses, and so does the bulk item,
/// with the kernel's denial (it was committed).
async fn a_bulk_status_item_needs_users_status_as_the_route_does(env: &Env) {
    let users = env.demo(HR).await;
    let manager = demo_user(&users, "manager");
    let sophie = demo_user(&users, "sophie");
    env.edit_policy(HR, |doc| {
        for t in doc["lifecycle"]["transitions"].as_array_mut().unwrap() {
            if t["id"] == "deactivate" {
                t["by"] = json!({"permission": "reviews.read"});
            }
        }
    })
    .await;
    let key = env.key(HR, "service").await;
    let as_manager = Auth::key(&key, &manager.id);
    let change = json!({"to": "inactive", "reason": "left the company"});
    let (s, v, _) = env
        .call(
            Method::POST,
            &format!("/api/v1/users/{}/status", sophie.id),
            &as_manager,
            Some(change.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let route_deny = v["deny"]["code"].clone();
    let mut item = change;
    item["op"] = json!("status");
    item["id"] = json!(sophie.id);
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/bulk",
            &as_manager,
            Some(json!({"items": [item]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let r = &v["results"][0];
    assert_eq!(r["outcome"], "refused", "{v}");
    assert_eq!(r["reason"], "denied", "{v}");
    assert_eq!(r["deny"]["code"], route_deny, "the route's denial: {v}");
    assert_eq!(env.stored_status(&sophie.id).await, "active");
}
on_both!(a_bulk_status_item_needs_users_status_as_the_route_does);

/// A bulk deletion is decided as the deletion route decides it: the lifecycle's deletion
/// and the kernel's `users.delete` on the target. With a deletion whose `by` a regular user
/// meets (`users.read`) but no `users.delete` in its role, the route refuses, and so does
/// the bulk item, with the kernel's denial (it was committed).
async fn a_bulk_deletion_needs_users_delete_as_the_route_does(env: &Env) {
    let users = env.demo(PPP).await;
    let ada = demo_user(&users, "admin");
    let bob = demo_user(&users, "bob");
    let key = env.key(PPP, "service").await;
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/users",
            &Auth::key(&key, &ada.id),
            Some(json!({"firstName": "Dan", "lastName": "Roy", "email": "dan@planner.example", "password": "Violet-Kettle-42!x", "organization": "plant-a", "status": "active"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let dan = v["user"]["id"].as_str().unwrap().to_owned();
    env.edit_policy(PPP, |doc| {
        doc["lifecycle"]["deletion"]["by"] = json!({"permission": "users.read"});
    })
    .await;
    let as_bob = Auth::key(&key, &bob.id);
    let (s, v, _) = env
        .call(
            Method::DELETE,
            &format!("/api/v1/users/{dan}?confirm=true"),
            &as_bob,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let route_deny = v["deny"]["code"].clone();
    assert!(route_deny.is_string(), "{v}");
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/bulk",
            &as_bob,
            Some(json!({"items": [{"op": "delete", "id": dan}], "confirmed": true, "confirmCount": 1})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let r = &v["results"][0];
    assert_eq!(r["outcome"], "refused", "{v}");
    assert_eq!(r["reason"], "denied", "{v}");
    assert_eq!(r["deny"]["code"], route_deny, "the route's denial: {v}");
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM users WHERE id = $1 AND deleted_at IS NULL",
            &dan
        )
        .await,
        1,
        "nothing deleted"
    );
}
on_both!(a_bulk_deletion_needs_users_delete_as_the_route_does);

/// A bulk operation and an import run to their end whatever the request timeout: cut at
/// the timeout, their committed items would have no report and the import no final status.
/// Here the timeout is a millisecond, far less than either takes.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bulk_and_imports_are_not_cut_by_the_request_timeout() {
    let env = Env::with_settings(
        Which::Sqlite,
        warden_server::Settings {
            request_timeout: std::time::Duration::from_millis(1),
            ..warden_server::Settings::default()
        },
    )
    .await
    .expect("sqlite env");
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let key = env.key(HR, "service").await;
    let as_hr = Auth::key(&key, &hr.id);
    let items: Vec<Value> = (0..20)
        .map(|i| json!({"op": "import", "user": new_hr_user(&format!("timed{i}@company.com"), &hr.id)}))
        .collect();
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/bulk",
            &as_hr,
            Some(json!({"items": items})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["summary"]["committed"], 20, "{v}");
    let mut csv = String::from("firstName,lastName,email,jobTitle,organization,manager,status\n");
    for i in 0..20 {
        csv.push_str(&format!(
            "Ann,Lee,ann{i}@company.com,Engineer,company,{},active\n",
            hr.id
        ));
    }
    let (s, v, _) = env
        .call_raw(
            Method::POST,
            "/api/v1/imports?commit=true",
            &as_hr,
            Some(csv),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["summary"]["created"], 20, "{v}");
    // At most so many at once per instance: the next waits for a place up to the request
    // timeout (a millisecond here), then is 503 `busy`; it runs once a place is free.
    let held = std::sync::Arc::clone(&env.app.jobs)
        .acquire_many_owned(u32::try_from(warden_server::app::MAX_RUNNING_JOBS).unwrap())
        .await
        .unwrap();
    let one = json!({"items": [{"op": "import", "user": new_hr_user("busy@company.com", &hr.id)}]});
    let (s, v, _) = env
        .call(Method::POST, "/api/v1/bulk", &as_hr, Some(one.clone()))
        .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("busy")),
        "{v}"
    );
    drop(held);
    let (s, v, _) = env
        .call(Method::POST, "/api/v1/bulk", &as_hr, Some(one))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // Their bodies are still read within the timeout: one that never ends is a 408.
    for path in ["/api/v1/bulk", "/api/v1/imports"] {
        let req = axum::http::Request::builder()
            .method(Method::POST)
            .uri(path)
            .header("authorization", format!("Bearer {key}"))
            .header("x-warden-act-as", hr.id.as_str())
            .header("content-type", "application/json")
            .body(axum::body::Body::new(Endless))
            .unwrap();
        let resp = tower::ServiceExt::oneshot(env.router.clone(), req)
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::REQUEST_TIMEOUT, "{path}");
    }
    env.cleanup().await;
}

/// A request body sent as one chunk, its length not told.
struct Chunked(Option<axum::body::Bytes>);

impl http_body::Body for Chunked {
    type Data = axum::body::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        std::task::Poll::Ready(self.0.take().map(|b| Ok(http_body::Frame::data(b))))
    }
}

/// A request body that never sends anything.
struct Endless;

impl http_body::Body for Endless {
    type Data = axum::body::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        std::task::Poll::Pending
    }
}

/// Under a policy without a `password` section (hr-platform), a password that signs in is
/// still held to the NIST SP 800-63B-4 profile the server hashes it with: never empty,
/// blank, a control character or a common password.
async fn a_policy_without_password_rules_still_refuses_empty_passwords(env: &Env) {
    assert!(
        warden_core::Policy::preset(HR)
            .unwrap()
            .password_policy()
            .is_none()
    );
    let users = env.demo(HR).await;
    let paul = demo_user(&users, "paul");
    let key = env.key(HR, "service").await;
    let as_paul = Auth::key(&key, &paul.id);
    let path = format!("/api/v1/users/{}/password", paul.id);
    for bad in ["", "   ", "password"] {
        let (s, v, _) = env
            .call(
                Method::POST,
                &path,
                &as_paul,
                Some(json!({"password": bad, "currentPassword": DEMO_PASSWORD})),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}: {v}");
        assert_eq!(v["violations"][0]["path"], json!(["password"]), "{v}");
    }
    // A NUL is no value's: the body's fault, naming the field.
    let (s, v, _) = env
        .call(
            Method::POST,
            &path,
            &as_paul,
            Some(json!({"password": "a\u{0}b", "currentPassword": DEMO_PASSWORD})),
        )
        .await;
    assert_eq!(
        (s, &v["field"]),
        (StatusCode::BAD_REQUEST, &json!("password")),
        "{v}"
    );
    // Nor does the stored password let an empty one in.
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/session",
            &Auth::None,
            Some(json!({"tenant": HR, "login": paul.login, "password": ""})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    let (s, v, _) = env
        .call(
            Method::POST,
            &path,
            &as_paul,
            Some(json!({"password": "Violet-Kettle-42-Lantern", "currentPassword": DEMO_PASSWORD})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}
on_both!(a_policy_without_password_rules_still_refuses_empty_passwords);

/// A caller's request id is echoed as sent, but logged and audited without the characters
/// that would rewrite how an entry reads (direction overrides, controls).
async fn a_request_id_is_audited_without_hidden_characters(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let sophie = demo_user(&users, "sophie");
    let key = env.key(HR, "service").await;
    let sent = "ticket-\u{202e}42\u{85}".as_bytes();
    let (s, v, h) = env
        .call_with_headers(
            Method::PATCH,
            &format!("/api/v1/users/{}", sophie.id),
            &Auth::key(&key, &hr.id),
            Some(json!({"jobTitle": "Auditor"}).to_string()),
            &[("x-request-id", sent)],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(h["x-request-id"].as_bytes(), sent, "echoed as sent");
    let body: String = sqlx::query_scalar(
        "SELECT body FROM audit_log WHERE target_id = $1 ORDER BY seq DESC LIMIT 1",
    )
    .bind(&sophie.id)
    .fetch_one(env.app.db.pool())
    .await
    .unwrap();
    let entry: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(entry["requestId"], "ticket-\u{fffd}42\u{fffd}", "{entry}");
}
on_both!(a_request_id_is_audited_without_hidden_characters);

/// The department the stateless validation derives for a "Product Designer".
async fn designer_department(env: &Env, admin: &Auth) -> Value {
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/decide/validate?mode=stateless",
            admin,
            Some(json!({"user": {"jobTitle": "Product Designer"}, "today": "2026-12-06"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["normalized"]["department"].clone()
}

/// A policy is stored as its text: `PUT /policy` compiles the body's text and stores it as
/// given, and `GET /policy` answers it (the order a tenant wrote its fields in stays the
/// order its forms show). The preset written back decides as the preset does, under the
/// same hash, and so does the preset with its `contains` keywords in another order: a JSON
/// object's keys have no order, and no decision depends on it.
async fn a_policy_keeps_the_order_it_was_written_in(env: &Env) {
    env.demo(HR).await;
    let admin = Auth::Key {
        token: env.key(HR, "admin").await,
        act_as: None,
    };
    let preset = warden_core::policy::presets::find(HR).unwrap();
    let kernel = warden_core::Policy::preset(HR).unwrap();
    // `design` before `product`: the same policy.
    let design_first = preset.json.replacen(
        "\"product\": \"Product Management\",\n          \"design\": \"Design\",",
        "\"design\": \"Design\",\n          \"product\": \"Product Management\",",
        1,
    );
    assert_ne!(
        design_first, preset.json,
        "the preset lists `product` first"
    );
    for text in [preset.json.to_owned(), design_first] {
        let (s, v, _) = env
            .call_raw(Method::PUT, "/api/v1/policy", &admin, Some(text.clone()))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["hash"], kernel.hash(), "{v}");
        assert_eq!(
            designer_department(env, &admin).await,
            json!("Product Management")
        );
        let stored: String = sqlx::query_scalar(
            "SELECT p.document FROM policy_versions p JOIN tenants t ON t.id = p.tenant_id AND p.version = t.policy_version WHERE t.id = $1",
        )
        .bind(HR)
        .fetch_one(env.app.db.pool())
        .await
        .unwrap();
        assert!(stored == text.trim(), "stored as given");
    }
}
on_both!(a_policy_keeps_the_order_it_was_written_in);

/// The roles an edit's fields give through a dynamic group (its rule reads the fields)
/// are granted as roles given directly are: an edit moving a user into a group whose role
/// only an administrator grants is refused to anyone else (even on their own record), and
/// an edit that would make a user hold a forbidden combination through a group is refused
/// as a direct grant of it is; an edit whose group's role the actor may grant goes
/// through.
async fn an_edit_that_gives_roles_through_a_dynamic_group_is_judged_as_a_grant(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let paul = demo_user(&users, "paul");
    let sophie = demo_user(&users, "sophie");
    let recruiter = json!({"label": {"en": "Recruiter"}, "permissions": [
        {"allow": "users.*", "scope": "organization"},
        {"allow": "roles.*", "scope": "organization"},
        {"allow": "groups.*", "scope": "organization"},
    ]});
    env.edit_policy(HR, |d| {
        d["access"]["roles"]["recruiter"] = recruiter;
        d["access"]["groups"]["chief-admins"] = json!({
            "label": {"en": "Chief administrators"}, "roles": ["hrAdmin"],
            "rule": {"field": "jobTitle", "in": ["Chief Administration Officer"]},
        });
    })
    .await;
    let key = env.key(HR, "service").await;
    let as_hr = Auth::key(&key, &hr.id);
    let as_sophie = Auth::key(&key, &sophie.id);
    // One bulk role item by `who` (`change`: `add` or `remove`): its outcome.
    let roles = |who: &Auth, id: &str, change: &str, role: &str| {
        let (who, body) = (
            who.clone(),
            json!({"items": [{"op": "roles", "id": id, change: [role]}]}),
        );
        async move {
            let (s, v, _) = env
                .call(Method::POST, "/api/v1/bulk", &who, Some(body))
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
            v["results"][0]["outcome"].clone()
        }
    };
    assert_eq!(
        roles(&as_hr, &sophie.id, "add", "recruiter").await,
        "committed"
    );
    let patch = |who: &Auth, id: &str, body: Value| {
        let (who, path) = (who.clone(), format!("/api/v1/users/{id}"));
        async move { env.call(Method::PATCH, &path, &who, Some(body)).await }
    };
    // The recruiter may not grant hrAdmin directly...
    assert_ne!(
        roles(&as_sophie, &paul.id, "add", "hrAdmin").await,
        "committed"
    );
    // ...nor through the group, by editing her own job title.
    let (s, v, _) = patch(
        &as_sophie,
        &sophie.id,
        json!({"jobTitle": "Chief Administration Officer"}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["deny"]["code"], "administrator_only", "{v}");
    // ...nor by joining the manual group that gives it in the same edit as the dynamic
    // one: each alone would look like a role already held through the other.
    let (s, v, _) = patch(
        &as_sophie,
        &sophie.id,
        json!({"jobTitle": "Chief Administration Officer", "groups": ["hr-admins"]}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["deny"]["code"], "administrator_only", "{v}");
    let (_, v, _) = env
        .call(
            Method::GET,
            &format!("/api/v1/users/{}", sophie.id),
            &as_hr,
            None,
        )
        .await;
    assert_ne!(v["user"]["jobTitle"], "Chief Administration Officer", "{v}");
    assert_eq!(v["user"]["groups"], json!([]), "{v}");

    // A forbidden combination (hrViewer with hrAdmin): Paul given hrAdmin directly, then
    // moved into the HR department, whose group gives hrViewer.
    assert_eq!(roles(&as_hr, &paul.id, "add", "hrAdmin").await, "committed");
    let into_hr = json!({"jobTitle": "HR Business Partner", "department": "Human Resources"});
    let (s, v, _) = patch(&as_hr, &paul.id, into_hr.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["deny"]["code"], "forbidden_combination", "{v}");
    // Without hrAdmin, the same edit gives hrViewer, which the HR administrator may grant.
    assert_eq!(
        roles(&as_hr, &paul.id, "remove", "hrAdmin").await,
        "committed"
    );
    let (s, v, _) = patch(&as_hr, &paul.id, into_hr).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["user"]["department"], "Human Resources", "{v}");
}
on_both!(an_edit_that_gives_roles_through_a_dynamic_group_is_judged_as_a_grant);

/// An account whose status holds no roles (`rolesAllowed: false`: HR's `inactive`) is
/// given none, by an edit, a bulk item or a group that gives roles (R001-06): before, an
/// inactive user was given `manager` and `hrAdmin` with no warning, which its reactivation
/// then restored.
async fn an_inactive_account_is_given_no_roles(env: &Env) {
    let users = env.demo(HR).await;
    let (hr, paul) = (demo_user(&users, "hr"), demo_user(&users, "paul"));
    let key = env.key(HR, "service").await;
    let as_hr = Auth::key(&key, &hr.id);
    let (s, v, _) = env
        .call(
            Method::POST,
            &format!("/api/v1/users/{}/status", paul.id),
            &as_hr,
            Some(json!({"to": "inactive"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let refused = |v: &Value| v["deny"]["code"] == "roles_not_allowed";
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", paul.id),
            &as_hr,
            Some(json!({"roles": ["manager"]})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert!(refused(&v), "{v}");
    assert!(
        v["deny"]["message"].as_str().unwrap().contains("inactive"),
        "{v}"
    );
    let (s, v, _) = env
        .call(
            Method::PUT,
            &format!("/api/v1/groups/hr-admins/members/{}", paul.id),
            &as_hr,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert!(refused(&v), "{v}");
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/bulk",
            &as_hr,
            Some(json!({"items": [{"op": "roles", "id": paul.id, "add": ["manager"]}]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(refused(&v["results"][0]), "{v}");
    let (_, v, _) = env
        .call(
            Method::GET,
            &format!("/api/v1/users/{}", paul.id),
            &as_hr,
            None,
        )
        .await;
    assert_eq!(
        (&v["user"]["roles"], &v["user"]["groups"]),
        (&json!([]), &json!([])),
        "{v}"
    );
}
on_both!(an_inactive_account_is_given_no_roles);

/// A replacement's report lists the users whose roles break the new policy's rules about
/// roles (here a forbidden combination a group's widened rule makes), not only those
/// whose records it refuses; and a role users hold through the `roleField` (an account
/// type that is also a role) is a role they hold: a policy that no longer declares it is
/// refused `in_use`, as for a role given directly.
async fn a_replacement_holds_users_roles_to_its_rules(env: &Env) {
    let users = env.demo(HR).await;
    let paul = demo_user(&users, "paul");
    let hugo = demo_user(&users, "hr");
    let key = env.key(HR, "service").await;
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", paul.id),
            &Auth::key(&key, &hugo.id),
            Some(json!({"roles": ["employee", "hrAdmin"]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (admin, mut widened) = env.policy_document(HR).await;
    widened["access"]["groups"]["hr-team"]["rule"] =
        json!({"field": "department", "in": ["Engineering", "Human Resources"]});
    let (s, v, _) = env
        .call(
            Method::PUT,
            "/api/v1/policy?dryRun=true",
            &admin,
            Some(widened),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let listed = v["report"]["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == paul.id.as_str())
        .unwrap_or_else(|| panic!("Paul is listed: {v}"));
    assert_eq!(listed["deny"]["code"], "forbidden_combination", "{v}");

    let prs = "prs-procurement";
    env.demo(prs).await;
    let (admin, mut without) = env.policy_document(prs).await;
    without["access"]["roles"]
        .as_object_mut()
        .unwrap()
        .remove("requester");
    let (s, v, _) = env
        .call(Method::PUT, "/api/v1/policy", &admin, Some(without))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["errors"][0]["code"], "in_use", "{v}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("requester"),
        "{v}"
    );
}
on_both!(a_replacement_holds_users_roles_to_its_rules);

/// A text holding U+0000 is a 400 wherever a request gives one, on both backends alike
/// (PostgreSQL stores no NUL in text: a lookup of one was a 500 there): a body's string, a
/// path parameter, a query parameter, a bulk item, a sign-in.
async fn a_nul_character_is_a_400_everywhere(env: &Env) {
    let users = env.demo("crm").await;
    let ana = demo_user(&users, "admin");
    let key = env.key("crm", "service").await;
    let as_ana = Auth::key(&key, &ana.id);
    let cases: Vec<(Method, String, Option<Value>)> = vec![
        (
            Method::POST,
            "/api/v1/users".into(),
            Some(
                json!({"firstName": "A", "lastName": "B", "email": "nul1@crm.example", "username": "nul1",
                "password": "Violet-Kettle-42!x", "organization": "ac\u{0}me", "employeeId": "E-1", "isSalesRep": true, "roles": ["salesRep"]}),
            ),
        ),
        (
            Method::POST,
            "/api/v1/bulk".into(),
            Some(
                json!({"items": [{"op": "status", "id": "u_\u{0}x", "to": "inactive", "reason": "x"}]}),
            ),
        ),
        (Method::GET, "/api/v1/users/u_%00x".into(), None),
        (Method::GET, "/api/v1/users?q=a%00b".into(), None),
        (
            Method::PATCH,
            "/api/v1/organizations/a%00b".into(),
            Some(json!({"active": false})),
        ),
    ];
    for (method, path, body) in cases {
        let (s, v, _) = env.call(method.clone(), &path, &as_ana, body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{method} {path}: {v}");
        assert!(
            v["message"].as_str().unwrap_or_default().contains("NUL"),
            "{path}: {v}"
        );
    }
    // A body's text is named by its path.
    let (_, v, _) = env
        .call(
            Method::POST,
            "/api/v1/bulk",
            &as_ana,
            Some(json!({"items": [{"op": "status", "id": "u_\u{0}x", "to": "inactive", "reason": "x"}]})),
        )
        .await;
    assert_eq!(v["field"], "items[0].id", "{v}");
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/session",
            &Auth::None,
            Some(json!({"tenant": "crm", "login": "a\u{0}b@x.example", "password": "x"})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
}
on_both!(a_nul_character_is_a_400_everywhere);

/// A bulk roles item granting and withdrawing nothing is a malformed request naming the
/// item (it used to be reported committed, with an audit entry of no change); nothing of
/// the request is done.
async fn an_empty_roles_item_is_refused_naming_it(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let sophie = demo_user(&users, "sophie");
    let as_hr = Auth::key(&env.key(HR, "service").await, &hr.id);
    let before = env
        .scalar(
            "SELECT COUNT(*) FROM audit_log WHERE target_id = $1",
            &sophie.id,
        )
        .await;
    let body = json!({"items": [
        {"op": "roles", "id": sophie.id, "add": ["hrViewer"]},
        {"op": "roles", "id": sophie.id},
    ]});
    let (s, v, _) = env
        .call(Method::POST, "/api/v1/bulk", &as_hr, Some(body))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["field"], "items[1]", "{v}");
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE target_id = $1",
            &sophie.id
        )
        .await,
        before
    );
}
on_both!(an_empty_roles_item_is_refused_naming_it);
