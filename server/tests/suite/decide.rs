//! The native decision API on SQLite and PostgreSQL: directory mode (the facts are the
//! directory's; the body cannot assert them), stateless mode (admin and `decide` keys; the caller
//! supplies the facts), every operation of the contract reachable, decisions naming the
//! mode and the policy version.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use crate::common::*;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use warden_core::api::Op;

async fn decide(env: &Env, auth: &Auth, path: &str, body: Value) -> (StatusCode, Value) {
    let (s, b, _) = env
        .call(
            Method::POST,
            &format!("/api/v1/decide/{path}"),
            auth,
            Some(body),
        )
        .await;
    (s, b)
}

fn refused(s: StatusCode, b: &Value, path: &str) {
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert_eq!(b["contract"], 1, "{b}");
    assert_eq!(b["error"]["code"], "invalid_input", "{b}");
    assert_eq!(b["error"]["path"], path, "{b}");
}

/// Directory mode: actor, target, manager chains and time come from the server.
async fn directory_mode(env: &Env) {
    let demo = env.demo("hr-platform").await;
    let key = env.key("hr-platform", "service").await;
    let id = |n: &str| demo_user(&demo, n).id.clone();
    let as_manager = Auth::key(&key, &id("manager"));
    let as_sophie = Auth::key(&key, &id("sophie"));

    let (s, b) = decide(
        env,
        &as_manager,
        "authorize",
        json!({"action": "users.update", "target": id("paul")}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["mode"], "directory");
    assert_eq!(b["policyVersion"], 1);
    assert_eq!(b["contract"], 1);
    assert!(b["policy"].as_str().unwrap().starts_with("sha256:"));
    // The manager reads N-1; a peer does not.
    let (_, b) = decide(
        env,
        &as_manager,
        "authorize",
        json!({"action": "users.read", "target": id("paul")}),
    )
    .await;
    assert_eq!(b["decision"], "allow", "{b}");
    // A user may read herself but not change herself here: a deny, with its kind and code.
    let (_, b) = decide(
        env,
        &as_sophie,
        "authorize",
        json!({"action": "users.update", "target": id("sophie")}),
    )
    .await;
    assert_eq!(b["decision"], "deny", "{b}");
    assert_eq!(b["deny"]["kind"], "notPermitted");
    assert!(b["deny"]["code"].is_string());
    // A peer is outside her reach: answered as no user at all, as GET /users/{id} does.
    let (s, b) = decide(
        env,
        &as_sophie,
        "authorize",
        json!({"action": "users.read", "target": id("paul")}),
    )
    .await;
    refused(s, &b, "input.target");
    let (s, b) = decide(
        env,
        &as_sophie,
        "effectiveStatus",
        json!({"account": id("paul")}),
    )
    .await;
    refused(s, &b, "input.account");
    let (s, b) = decide(env, &as_sophie, "login", json!({"account": id("paul")})).await;
    refused(s, &b, "input.account");
    // The body cannot assert the actor, the directory, the time, nor another tenant's user.
    let (s, b) = decide(env, &as_sophie, "authorize", json!({"action": "users.read", "target": id("paul"), "actor": {"id": id("ceo"), "roles": ["director"], "organization": "company"}})).await;
    refused(s, &b, "input.actor");
    let (s, b) = decide(env, &as_sophie, "authorize", json!({"action": "users.read", "target": id("paul"), "directory": [{"id": id("paul"), "manager": id("sophie")}]})).await;
    refused(s, &b, "input.directory");
    let (s, b) = decide(
        env,
        &as_sophie,
        "authorize",
        json!({"action": "users.read", "target": id("paul"), "now": "2020-01-01T00:00:00Z"}),
    )
    .await;
    refused(s, &b, "input.now");
    let (s, b) = decide(env, &as_sophie, "authorize", json!({"action": "users.read", "target": {"id": id("paul"), "organization": "company", "manager": id("sophie")}})).await;
    refused(s, &b, "input.target");
    let other = env.demo("crm").await;
    let (s, b) = decide(
        env,
        &as_manager,
        "authorize",
        json!({"action": "users.read", "target": demo_user(&other, "rep").id}),
    )
    .await;
    refused(s, &b, "input.target");
    // A key that acts for nobody has no actor.
    let (s, _) = decide(
        env,
        &Auth::Key {
            token: key.clone(),
            act_as: None,
        },
        "authorize",
        json!({"action": "users.read", "target": id("paul")}),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // The kernel's own refusals are the contract's envelope.
    let (s, b) = decide(
        env,
        &as_manager,
        "authorize",
        json!({"action": "users.fly", "target": id("paul")}),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(b["error"]["code"], "unknown_action", "{b}");

    // Scope, also as SQL for a backend with its own user table.
    let (s, b) = decide(env, &as_manager, "scope", json!({"action": "users.read", "sql": {"placeholder": "question", "subtree": {"kind": "closureTable", "table": "org_closure", "ancestor": "ancestor_id", "descendant": "user_id", "depth": "depth"}}})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["filter"]["kind"], "anyOf", "{b}");
    assert!(
        b["sql"]["sql"].as_str().unwrap().contains("org_closure"),
        "{b}"
    );
    assert!(
        b["sql"]["params"]
            .as_array()
            .unwrap()
            .contains(&json!(id("manager")))
    );

    // Permissions over a user.
    let (_, b) = decide(
        env,
        &Auth::key(&key, &id("hr")),
        "permissions",
        json!({"target": id("sophie")}),
    )
    .await;
    assert!(
        b["permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("users.update")),
        "{b}"
    );

    // Validate: the store answers uniqueness (sophie's e-mail is taken) to HR, who may
    // create users; facts are refused.
    let as_hr = Auth::key(&key, &id("hr"));
    let record = json!({"firstName": "Sophie", "lastName": "Martin", "email": "sophie.martin@company.com", "jobTitle": "QA Engineer", "manager": id("manager"), "status": "active", "organization": "company"});
    let (s, b) = decide(env, &as_hr, "validate", json!({"user": record})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["complete"], true, "{b}");
    assert!(
        b["violations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["code"] == "duplicate"),
        "{b}"
    );
    let (s, b) = decide(
        env,
        &as_hr,
        "validate",
        json!({"user": record, "facts": {"unique": {}}}),
    )
    .await;
    refused(s, &b, "input.facts");
    // Nor a second factor the server does not keep: its writes would decide without one.
    let (s, b) = decide(
        env,
        &as_hr,
        "validate",
        json!({"user": record, "mfa": true}),
    )
    .await;
    refused(s, &b, "input.mfa");
    let (s, b) = decide(
        env,
        &as_hr,
        "password",
        json!({"password": "qwerty-lamp9", "mfa": true}),
    )
    .await;
    refused(s, &b, "input.mfa");
    // A body of this API: JSON, with no key named twice.
    let (s, b, _) = env
        .call_raw(
            Method::POST,
            "/api/v1/decide/validate",
            &as_hr,
            Some(r#"{"user": {"firstName": "A", "firstName": "B"}}"#.to_owned()),
        )
        .await;
    refused(s, &b, "input.user.firstName");
    let (s, b, _) = env
        .call_with_headers(
            Method::POST,
            "/api/v1/decide/validate",
            &as_hr,
            Some(json!({"user": record}).to_string()),
            &[("content-type", b"text/plain")],
        )
        .await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{b}");
    assert_eq!(b["error"]["code"], "unsupported_media_type", "{b}");
    let mut fresh = record.clone();
    fresh["email"] = json!("sophie.martin2@company.com");
    let (_, b) = decide(env, &as_hr, "validate", json!({"user": fresh})).await;
    assert_eq!(b["valid"], true, "{b}");
    assert_eq!(b["complete"], true, "{b}");
    // An actor who may create no user (the manager, Sophie) gets no oracle of the
    // tenant's addresses: the store's checks are left open, as the kernel asked them.
    for who in [&as_manager, &as_sophie] {
        let (s, b) = decide(env, who, "validate", json!({"user": record})).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["complete"], false, "{b}");
        assert!(!b.to_string().contains("duplicate"), "{b}");
        assert!(
            b["checks"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["check"] == "email_unique" && c["answered"] == false),
            "{b}"
        );
    }
    // An update is answered to an actor who may make it: HR editing Sophie (her own
    // address is no collision), not Sophie, whom HR's policy does not let edit herself.
    let mut own = record.clone();
    own["id"] = json!(id("sophie"));
    let update = json!({"mode": "update", "user": own});
    let (_, b) = decide(env, &as_hr, "validate", update.clone()).await;
    assert_eq!(
        (&b["complete"], &b["valid"]),
        (&json!(true), &json!(true)),
        "{b}"
    );
    let (_, b) = decide(env, &as_sophie, "validate", update).await;
    assert_eq!(b["complete"], false, "{b}");
    // Nor is the create route an oracle: refused before the record meets the directory.
    let (s, b, _) = env
        .call(
            Method::POST,
            "/api/v1/users",
            &as_sophie,
            Some(record.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    assert!(!b.to_string().contains("duplicate"), "{b}");

    // Login gate and effective status from the stored account.
    let (s, b) = decide(env, &as_manager, "login", json!({"account": id("sophie")})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["decision"], "allow", "{b}");
    let (s, b) = decide(
        env,
        &as_manager,
        "login",
        json!({"account": id("sophie"), "facts": {"failedAttempts": []}}),
    )
    .await;
    refused(s, &b, "input.facts");
    let (s, b) = decide(
        env,
        &as_manager,
        "effectiveStatus",
        json!({"account": id("sophie")}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // Operations whose facts the directory does not hold are stateless only.
    let (s, b) = decide(env, &as_manager, "lockout", json!({})).await;
    assert_eq!(
        (s, &b["error"]["code"]),
        (StatusCode::BAD_REQUEST, &json!("stateless_only"))
    );
    // An unknown operation.
    let (s, b) = decide(env, &as_manager, "telepathy", json!({})).await;
    assert_eq!(
        (s, &b["error"]["code"]),
        (StatusCode::NOT_FOUND, &json!("unknown_operation"))
    );
}
on_both!(directory_mode);

/// Transitions and deletions: the kernel's state machine with the directory's facts.
async fn lifecycle(env: &Env) {
    let demo = env.demo("rental-platform").await;
    let key = env.key("rental-platform", "service").await;
    let admin = Auth::key(&key, &demo_user(&demo, "admin").id);
    let customer = demo_user(&demo, "customer").id.clone();
    let (s, b) = decide(env, &admin, "transition", json!({"target": customer, "to": "suspended", "reason": "chargeback under review", "durationDays": 14})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["decision"], "allow", "{b}");
    assert!(
        b["obligations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["kind"] == "revokeSessions"),
        "{b}"
    );
    let (_, b) = decide(
        env,
        &admin,
        "transition",
        json!({"target": customer, "to": "suspended", "durationDays": 14}),
    )
    .await;
    assert_eq!(b["deny"]["code"], "reason_required", "{b}");
    let (s, b) = decide(env, &admin, "transition", json!({"target": customer, "to": "suspended", "reason": "x", "durationDays": 1, "facts": {"activeSuperAdmins": 9}})).await;
    refused(s, &b, "input.facts.activeSuperAdmins");
    let (s, b) = decide(env, &admin, "transition", json!({"target": customer, "to": "suspended", "reason": "x", "durationDays": 1, "facts": {"soleHolderOf": []}})).await;
    refused(s, &b, "input.facts.soleHolderOf");
    // A guard fed by the caller's fact (bookings are not in the directory).
    let (s, b) = decide(
        env,
        &admin,
        "delete",
        json!({"target": customer, "confirmed": true, "facts": {"activeBookings": 2}}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        b["decision"], "deny",
        "active bookings block a deletion: {b}"
    );
    let (_, b) = decide(
        env,
        &admin,
        "delete",
        json!({"target": customer, "confirmed": true, "facts": {"activeBookings": 0}}),
    )
    .await;
    assert_eq!(b["decision"], "allow", "{b}");
    // A decision, not a change: the customer is still active.
    let (_, b, _) = env
        .call(
            Method::GET,
            &format!("/api/v1/users/{customer}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(b["user"]["status"], "active", "{b}");
}
on_both!(lifecycle);

/// Directory mode reads who else holds a critical permission (R004-09) as the status
/// route does: the PRS demo's only approver is not deactivated in a dry decision either,
/// and a caller may not say otherwise.
async fn the_directory_knows_the_sole_holders(env: &Env) {
    let demo = env.demo("prs-procurement").await;
    let key = env.key("prs-procurement", "service").await;
    let admin = Auth::key(&key, &demo_user(&demo, "admin").id);
    let approver = demo_user(&demo, "approver").id.clone();
    let leave = json!({"target": approver, "to": "inactive", "reason": "left", "facts": {"pendingApprovals": 0}});
    let (s, b) = decide(env, &admin, "transition", leave).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["deny"]["code"], "sole_critical_holder", "{b}");
    assert_eq!(
        b["deny"]["params"]["permissions"],
        json!(["requisitions.approve"]),
        "{b}"
    );
    let (s, b) = decide(env, &admin, "transition", json!({"target": approver, "to": "inactive", "reason": "left", "facts": {"pendingApprovals": 0, "soleHolderOf": []}})).await;
    refused(s, &b, "input.facts.soleHolderOf");
}
on_both!(the_directory_knows_the_sole_holders);

/// Stateless mode: admin keys only; every operation of the contract answers over HTTP.
/// A stateless authorization whose facts all come from the caller: a manager reads a
/// direct report (allowed under the HR preset).
fn manager_reads_report() -> Value {
    json!({
        "actor": {"id": "m-1", "organization": "o", "roles": ["manager"]},
        "action": "users.read",
        "target": {"id": "e-7", "organization": "o", "manager": "m-1"},
        "now": "2026-11-22T10:00:00Z"
    })
}

async fn stateless_mode(env: &Env) {
    let demo = env.demo("hr-platform").await;
    let service = env.key("hr-platform", "service").await;
    let admin = env.key("hr-platform", "admin").await;
    let as_admin = Auth::Key {
        token: admin.clone(),
        act_as: None,
    };
    let input = manager_reads_report();
    let (s, b) = env
        .call(
            Method::POST,
            "/api/v1/decide/authorize?mode=stateless",
            &Auth::key(&service, &demo_user(&demo, "hr").id),
            Some(input.clone()),
        )
        .await
        .into_tuple();
    assert_eq!(
        (s, &b["error"]["code"]),
        (StatusCode::FORBIDDEN, &json!("forbidden_mode")),
        "{b}"
    );
    let (s, b) = env
        .call(
            Method::POST,
            "/api/v1/decide/authorize?mode=stateless",
            &as_admin,
            Some(input),
        )
        .await
        .into_tuple();
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        (&b["decision"], &b["mode"], &b["policyVersion"]),
        (&json!("allow"), &json!("stateless"), &json!(1)),
        "{b}"
    );
    // Scope rendered as SQL for the caller's own table.
    let (s, b) = env
        .call(Method::POST, "/api/v1/decide/scope?mode=stateless", &as_admin, Some(json!({"actor": {"id": "m-1", "organization": "o", "roles": ["manager"]}, "action": "users.read", "now": "2026-11-22T10:00:00Z", "sql": {}})))
        .await
        .into_tuple();
    assert_eq!(s, StatusCode::OK, "{b}");
    assert!(
        b["sql"]["sql"].as_str().unwrap().contains("WITH RECURSIVE")
            || b["sql"]["sql"].as_str().unwrap().contains("manager_id"),
        "{b}"
    );
    // Every operation is reachable: an empty input misses a field of each one's input type.
    for op in Op::ALL {
        let (s, b) = env
            .call(
                Method::POST,
                &format!("/api/v1/decide/{}?mode=stateless", op.name()),
                &as_admin,
                Some(json!({})),
            )
            .await
            .into_tuple();
        assert_eq!(s, StatusCode::BAD_REQUEST, "{}: {b}", op.name());
        assert_eq!(b["error"]["code"], "invalid_input", "{}: {b}", op.name());
        assert!(
            b["error"]["path"].as_str().unwrap().starts_with("input"),
            "{}: {b}",
            op.name()
        );
    }
    // An output without a policy of its own is stamped with it.
    let (s, b) = env
        .call(
            Method::POST,
            "/api/v1/decide/passwordChange?mode=stateless",
            &as_admin,
            Some(json!({"actor": {"id": "e-7", "organization": "o"}, "target": {"id": "e-7", "organization": "o"}, "currentPasswordVerified": true, "now": "2026-11-22T10:00:00Z"})),
        )
        .await
        .into_tuple();
    assert_eq!(s, StatusCode::OK, "{b}");
    assert!(b["policy"].as_str().unwrap().starts_with("sha256:"), "{b}");
    // French messages.
    let (_, b) = env
        .call(Method::POST, "/api/v1/decide/authorize?mode=stateless&lang=fr", &as_admin, Some(json!({"actor": {"id": "x", "organization": "o"}, "action": "users.read", "target": {"id": "y", "organization": "o"}, "now": "2026-11-22T10:00:00Z"})))
        .await
        .into_tuple();
    assert_eq!(b["decision"], "deny");
    let (s, b) = env
        .call(
            Method::POST,
            "/api/v1/decide/authorize?mode=oracle",
            &as_admin,
            Some(json!({})),
        )
        .await
        .into_tuple();
    refused(s, &b, "query");
    // Unauthenticated callers get nothing.
    let (s, _) = decide(env, &Auth::None, "authorize", json!({})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // A new policy version is compiled once and named by the next decision.
    let (_, doc, _) = env
        .call(Method::GET, "/api/v1/policy", &as_admin, None)
        .await;
    let mut document = doc["document"].clone();
    document["description"] = json!("version two");
    let (s, b, _) = env
        .call(Method::PUT, "/api/v1/policy", &as_admin, Some(document))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, b) = decide(
        env,
        &Auth::key(&service, &demo_user(&demo, "hr").id),
        "authorize",
        json!({"action": "users.read", "target": demo_user(&demo, "paul").id}),
    )
    .await;
    assert_eq!(b["policyVersion"], 2, "{b}");
}
on_both!(stateless_mode);

trait IntoTuple {
    fn into_tuple(self) -> (StatusCode, Value);
}

impl IntoTuple for (StatusCode, Value, axum::http::HeaderMap) {
    fn into_tuple(self) -> (StatusCode, Value) {
        (self.0, self.1)
    }
}

/// The password check and the login gate read the tenant's rules and the stored account:
/// failed logins counted by the store lock the account out; no password is echoed.
async fn password_and_login(env: &Env) {
    let demo = env.demo("rental-platform").await;
    let key = env.key("rental-platform", "service").await;
    let admin = Auth::key(&key, &demo_user(&demo, "admin").id);
    let customer = demo_user(&demo, "customer").id.clone();
    let (s, b) = decide(env, &admin, "password", json!({"password": "password123"})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["valid"], false, "{b}");
    assert!(!b.to_string().contains("password123"), "never echoed: {b}");
    let (_, b) = decide(
        env,
        &admin,
        "password",
        json!({"password": "Violet-Kettle-42!x"}),
    )
    .await;
    assert_eq!(b["valid"], true, "{b}");
    let (_, b) = decide(env, &admin, "login", json!({"account": customer})).await;
    assert_eq!(b["decision"], "allow", "{b}");
    // Five recent failures in the store: the lockout threshold of the policy.
    let at = warden_server::app::now().unix();
    let failures: Vec<i64> = (0..5).map(|i| at - 60 + i).collect();
    sqlx::query("UPDATE users SET failed_logins = $1 WHERE id = $2")
        .bind(serde_json::to_string(&failures).unwrap())
        .bind(&customer)
        .execute(env.app.db.pool())
        .await
        .unwrap();
    let (_, b) = decide(env, &admin, "login", json!({"account": customer})).await;
    assert_eq!(
        b["decision"], "deny",
        "locked out by the stored failures: {b}"
    );
}
on_both!(password_and_login);

/// A duplicate names the account holding the key (its id and status) only to an actor who
/// may read that account: validating someone else's e-mail is not a way to learn who holds
/// it. A `user.id` in the body excuses a collision only with a user the actor may read.
async fn duplicate_names_only_a_holder_the_actor_may_read(env: &Env) {
    let demo = env.demo("hr-platform").await;
    // The manager may create users in their team: the store answers them.
    env.edit_policy("hr-platform", |doc| {
        doc["access"]["roles"]["manager"]["permissions"]
            .as_array_mut()
            .unwrap()
            .push(json!({"allow": "users.create", "scope": "team", "depth": 1}));
    })
    .await;
    let key = env.key("hr-platform", "service").await;
    let id = |n: &str| demo_user(&demo, n).id.clone();
    let as_manager = Auth::key(&key, &id("manager"));
    let record = |email: &str| json!({"firstName": "Nora", "lastName": "Blanc", "email": email, "jobTitle": "QA Engineer", "manager": id("manager"), "status": "active", "organization": "company"});
    let duplicate = |b: &Value| -> Value {
        b["violations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["code"] == "duplicate")
            .cloned()
            .unwrap_or_else(|| panic!("no duplicate: {b}"))
    };
    // Hugo (HR) is outside the manager's reach: taken, but neither his id nor his status.
    let (s, b) = decide(
        env,
        &as_manager,
        "validate",
        json!({"user": record("hugo.renard@company.com")}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let d = duplicate(&b);
    assert!(d["params"].get("existingId").is_none(), "{b}");
    assert!(d["params"].get("existingStatus").is_none(), "{b}");
    assert!(!b.to_string().contains(&id("hr")), "{b}");
    // Sophie is in his team: her id is named, to link to.
    let (_, b) = decide(
        env,
        &as_manager,
        "validate",
        json!({"user": record("sophie.martin@company.com")}),
    )
    .await;
    assert_eq!(duplicate(&b)["params"]["existingId"], id("sophie"), "{b}");
    // A key acting for no user: no holder named.
    let (_, b) = decide(
        env,
        &Auth::Key {
            token: key.clone(),
            act_as: None,
        },
        "validate",
        json!({"user": record("hugo.renard@company.com")}),
    )
    .await;
    assert!(!b.to_string().contains(&id("hr")), "{b}");
    // Claiming to be the holder: still a duplicate (nor is this an oracle of who holds it).
    let mut claimed = record("hugo.renard@company.com");
    claimed["id"] = json!(id("hr"));
    let (_, b) = decide(env, &as_manager, "validate", json!({"user": claimed})).await;
    duplicate(&b);
}
on_both!(duplicate_names_only_a_holder_the_actor_may_read);

/// A `decide` key serves a backend that keeps its own users: stateless decisions, and
/// nothing else (no directory mode, no acting for a user, no other route).
async fn decide_keys_take_stateless_decisions_only(env: &Env) {
    env.demo("hr-platform").await;
    let token = env.key("hr-platform", "decide").await;
    let key = Auth::Key {
        token: token.clone(),
        act_as: None,
    };
    let input = manager_reads_report();
    let (s, b) = env
        .call(
            Method::POST,
            "/api/v1/decide/authorize?mode=stateless",
            &key,
            Some(input.clone()),
        )
        .await
        .into_tuple();
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        (&b["decision"], &b["mode"]),
        (&json!("allow"), &json!("stateless")),
        "{b}"
    );
    let (s, b) = env
        .call(
            Method::POST,
            "/api/v1/decide/validate?mode=stateless",
            &key,
            Some(json!({"user": {"firstName": "Nora"}, "today": "2026-11-22"})),
        )
        .await
        .into_tuple();
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["valid"], false, "{b}");
    // Directory mode reads the directory: refused.
    let (s, b) = env
        .call(
            Method::POST,
            "/api/v1/decide/authorize",
            &key,
            Some(json!({"action": "users.read", "target": "u_x"})),
        )
        .await
        .into_tuple();
    assert_eq!(
        (s, &b["error"]["code"]),
        (StatusCode::FORBIDDEN, &json!("forbidden_mode")),
        "{b}"
    );
    // It acts for nobody.
    let (s, _) = env
        .call(
            Method::POST,
            "/api/v1/decide/authorize?mode=stateless",
            &Auth::key(&token, "u_x"),
            Some(input),
        )
        .await
        .into_tuple();
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // Every other route refuses it: the directory, the policy, keys, AuthZEN.
    for (method, path, body) in [
        (Method::GET, "/api/v1/users", None),
        (Method::GET, "/api/v1/policy", None),
        (
            Method::POST,
            "/api/v1/keys",
            Some(json!({"role": "admin", "name": "x"})),
        ),
        (Method::GET, "/api/v1/plugins", None),
        (
            Method::POST,
            "/access/v1/evaluation",
            Some(
                json!({"subject": {"type": "user", "id": "a"}, "action": {"name": "users.read"}, "resource": {"type": "user", "id": "b"}}),
            ),
        ),
    ] {
        let (s, b) = env
            .call(method.clone(), path, &key, body)
            .await
            .into_tuple();
        assert_eq!(s, StatusCode::FORBIDDEN, "{method} {path}: {b}");
    }
    // An admin key may create one; no other role is accepted.
    let admin = Auth::Key {
        token: env.key("hr-platform", "admin").await,
        act_as: None,
    };
    let (s, b) = env
        .call(
            Method::POST,
            "/api/v1/keys",
            &admin,
            Some(json!({"role": "decide", "name": "billing backend"})),
        )
        .await
        .into_tuple();
    assert_eq!(
        (s, &b["role"]),
        (StatusCode::CREATED, &json!("decide")),
        "{b}"
    );
    let (s, _) = env
        .call(
            Method::POST,
            "/api/v1/keys",
            &admin,
            Some(json!({"role": "root", "name": "x"})),
        )
        .await
        .into_tuple();
    assert_eq!(s, StatusCode::BAD_REQUEST);
}
on_both!(decide_keys_take_stateless_decisions_only);
