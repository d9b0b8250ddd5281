//! Regressions of a security review: group memberships are role grants, an administrator's
//! password reset meets the same rules as a create, and API key creation is audited.
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

const HR: &str = "hr-platform";
const CRM: &str = "crm";

/// The groups of user `id` as stored: the membership rows and the row's own list.
async fn stored_groups(env: &Env, id: &str) -> (i64, String) {
    let rows = env
        .scalar("SELECT COUNT(*) FROM group_members WHERE user_id = $1", id)
        .await;
    let doc: String = sqlx::query_scalar("SELECT groups_json FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(env.app.db.pool())
        .await
        .unwrap_or_default();
    (rows, doc)
}

/// Adds to the HR policy a role `helpdesk` that manages groups (and reads and updates
/// users) across the organisation, granted by administrators only, and has HR (`as_hr`)
/// give it to `paul` beside his `employee` role.
async fn paul_in_helpdesk(env: &Env, as_hr: &Auth, paul: &str) {
    env.edit_policy(HR, |doc| {
        doc["access"]["roles"]["helpdesk"] = json!({
            "label": {"en": "Helpdesk"},
            "grantableBy": "administrator",
            "permissions": [
                {"allow": "users.read", "scope": "organization"},
                {"allow": "users.update", "scope": "organization"},
                {"allow": "groups.manage", "scope": "organization"},
                {"allow": "groups.read", "scope": "organization"},
            ],
        });
    })
    .await;
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{paul}"),
            as_hr,
            Some(json!({"roles": ["employee", "helpdesk"]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

fn deny_code(v: &Value) -> &Value {
    &v["deny"]["code"]
}

/// A group join (`PUT` on a members path) refused with the kernel's `code`, and `user` in
/// no group afterwards.
async fn refused_join(env: &Env, path: &str, auth: &Auth, code: &str, user: &str) {
    let (s, v, _) = env.call(Method::PUT, path, auth, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(deny_code(&v), code, "{v}");
    assert_eq!(stored_groups(env, user).await.0, 0);
}

/// Joining a group is judged as assigning the group's roles: a helpdesk user who manages
/// groups but may not grant `hrAdmin` cannot join `hr-admins` (neither through the members
/// route nor through an edit of its `groups`), while an HR administrator can.
async fn group_membership_is_a_role_grant(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let paul = demo_user(&users, "paul");
    let key = env.key(HR, "service").await;
    let as_hr = Auth::key(&key, &hr.id);
    let as_paul = Auth::key(&key, &paul.id);
    paul_in_helpdesk(env, &as_hr, &paul.id).await;
    let before = stored_groups(env, &paul.id).await;

    // The direct grant is refused...
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", paul.id),
            &as_paul,
            Some(json!({"roles": ["employee", "helpdesk", "hrAdmin"]})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(deny_code(&v), "administrator_only", "{v}");
    // ...and so is the same grant through the group, by either route.
    let member = format!("/api/v1/groups/hr-admins/members/{}", paul.id);
    let (s, v, _) = env.call(Method::PUT, &member, &as_paul, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(deny_code(&v), "administrator_only", "{v}");
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", paul.id),
            &as_paul,
            Some(json!({"groups": ["hr-admins"]})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(deny_code(&v), "administrator_only", "{v}");
    assert_eq!(
        stored_groups(env, &paul.id).await,
        before,
        "nothing written"
    );
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE target_id = $1 AND body LIKE '%groups.addMember%'",
            &paul.id
        )
        .await,
        0
    );
    let (s, v, _) = env
        .call(
            Method::GET,
            &format!("/api/v1/users/{}", paul.id),
            &as_hr,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["user"]["groups"], json!([]), "{v}");

    // An administrator may grant it, through the group as directly.
    let (s, v, _) = env.call(Method::PUT, &member, &as_hr, None).await;
    assert_eq!(s, StatusCode::CREATED, "created: {v}");
    assert_eq!(v["changed"], true);
    assert_eq!(stored_groups(env, &paul.id).await.0, 1);
}
on_both!(group_membership_is_a_role_grant);

/// The other grant rules apply to memberships as to direct roles: privilege escalation on
/// joining, forbidden combinations and read-only roles with the roles held otherwise, the
/// minimum of active roles on leaving. A refused change writes nothing.
async fn group_membership_keeps_the_grant_rules(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let sophie = demo_user(&users, "sophie");
    let paul = demo_user(&users, "paul");
    let key = env.key(HR, "service").await;
    let as_hr = Auth::key(&key, &hr.id);
    let as_paul = Auth::key(&key, &paul.id);
    paul_in_helpdesk(env, &as_hr, &paul.id).await;

    // Escalation: `manager` gives `reviews.*`, which the helpdesk does not hold.
    let managers = |id: &str| format!("/api/v1/groups/people-managers/members/{id}");
    refused_join(
        env,
        &managers(&sophie.id),
        &as_paul,
        "privilege_escalation",
        &sophie.id,
    )
    .await;

    // Combination: an HR viewer joining the HR administrators.
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", sophie.id),
            &as_hr,
            Some(json!({"roles": ["employee", "hrViewer"]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let hr_admins = format!("/api/v1/groups/hr-admins/members/{}", sophie.id);
    refused_join(env, &hr_admins, &as_hr, "forbidden_combination", &sophie.id).await;

    // Read-only roles: an HR viewer joining a group that grants writes.
    refused_join(
        env,
        &managers(&sophie.id),
        &as_hr,
        "read_only_conflict",
        &sophie.id,
    )
    .await;

    // Minimum of active roles: leaving the group would leave Sophie one role of two.
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", sophie.id),
            &as_hr,
            Some(json!({"roles": ["employee"]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v, _) = env
        .call(Method::PUT, &managers(&sophie.id), &as_hr, None)
        .await;
    assert_eq!(s, StatusCode::CREATED, "created: {v}");
    env.edit_policy(HR, |doc| doc["access"]["minActiveRoles"] = json!(2))
        .await;
    let (s, v, _) = env
        .call(Method::DELETE, &managers(&sophie.id), &as_hr, None)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(deny_code(&v), "no_active_role", "{v}");
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", sophie.id),
            &as_hr,
            Some(json!({"groups": []})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(deny_code(&v), "no_active_role", "{v}");
    assert_eq!(stored_groups(env, &sophie.id).await.0, 1, "still a member");
}
on_both!(group_membership_keeps_the_grant_rules);

/// An administrator's reset refuses a password like the user's own data, as a create does.
async fn admin_reset_refuses_a_password_like_the_user(env: &Env) {
    let users = env.demo(CRM).await;
    let admin = demo_user(&users, "admin");
    let rep = demo_user(&users, "rep");
    let key = env.key(CRM, "service").await;
    let as_admin = Auth::key(&key, &admin.id);
    let hash = |env: &Env| {
        let id = rep.id.clone();
        let pool = env.app.db.pool().clone();
        async move {
            sqlx::query_scalar::<_, String>("SELECT password_hash FROM users WHERE id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let before = hash(env).await;
    let path = format!("/api/v1/users/{}/password-reset", rep.id);
    let (s, v, _) = env
        .call(
            Method::POST,
            &path,
            &as_admin,
            Some(json!({"method": "admin", "password": "tbakerTom1234!"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let codes: Vec<&Value> = v["violations"]
        .as_array()
        .map(|a| a.iter().map(|x| &x["code"]).collect())
        .unwrap_or_default();
    assert!(codes.contains(&&json!("password_similar")), "{v}");
    assert_eq!(hash(env).await, before, "nothing written");
    assert!(
        env.sign_in(CRM, &rep.login, "tbakerTom1234!")
            .await
            .is_none()
    );
    // A password unlike the user's data is taken.
    let (s, v, _) = env
        .call(
            Method::POST,
            &path,
            &as_admin,
            Some(json!({"method": "admin", "password": "Another-Kettle-77!"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_ne!(hash(env).await, before);
}
on_both!(admin_reset_refuses_a_password_like_the_user);

/// Creating a key through the API writes a `keys.create` audit entry (who, the key's id,
/// name and role) with the key, never its token; a refused creation writes neither.
async fn key_creation_is_audited(env: &Env) {
    env.demo(HR).await;
    let admin_key = env.key(HR, "admin").await;
    let admin = Auth::Key {
        token: admin_key.clone(),
        act_as: None,
    };
    let admin_id: String =
        sqlx::query_scalar("SELECT id FROM api_keys WHERE tenant_id = $1 AND role = 'admin'")
            .bind(HR)
            .fetch_one(env.app.db.pool())
            .await
            .unwrap();
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/keys",
            &admin,
            Some(json!({"role": "service", "name": "ci runner"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    let token = v["token"].as_str().unwrap().to_owned();
    let bodies: Vec<String> =
        sqlx::query_scalar("SELECT body FROM audit_log WHERE tenant_id = $1 AND target_id = $2")
            .bind(HR)
            .bind(&id)
            .fetch_all(env.app.db.pool())
            .await
            .unwrap();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    let entry: Value = serde_json::from_str(&bodies[0]).unwrap();
    assert_eq!(entry["action"], "keys.create");
    assert_eq!(entry["via"], format!("key:{admin_id}"));
    assert_eq!(entry["after"]["role"], "service");
    assert_eq!(entry["after"]["name"], "ci runner");
    let hashed: String = sqlx::query_scalar("SELECT token_hash FROM api_keys WHERE id = $1")
        .bind(&id)
        .fetch_one(env.app.db.pool())
        .await
        .unwrap();
    assert!(!bodies[0].contains(&token), "never the token");
    assert!(!bodies[0].contains(&hashed), "nor its hash");
    assert!(!bodies[0].contains("wdn_"), "nor any token");

    // Refused: no key, no entry.
    let keys = env
        .scalar("SELECT COUNT(*) FROM api_keys WHERE tenant_id = $1", HR)
        .await;
    let entries = env
        .scalar(
            "SELECT COUNT(*) FROM audit_log WHERE tenant_id = $1 AND body LIKE '%keys.create%'",
            HR,
        )
        .await;
    let (s, _, _) = env
        .call(
            Method::POST,
            "/api/v1/keys",
            &admin,
            Some(json!({"role": "root", "name": "nope"})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        env.scalar("SELECT COUNT(*) FROM api_keys WHERE tenant_id = $1", HR)
            .await,
        keys
    );
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE tenant_id = $1 AND body LIKE '%keys.create%'",
            HR,
        )
        .await,
        entries
    );
}
on_both!(key_creation_is_audited);

/// A key made to expire (`expiresInDays`) authenticates until then and is refused (401)
/// from its expiry on, as a revoked key is; the listing, the creation's answer and its
/// audit entry say when. A life out of range is refused, naming the field, and makes no
/// key.
async fn keys_expire(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let admin = Auth::Key {
        token: env.key(HR, "admin").await,
        act_as: None,
    };
    let new_key = |body: Value| {
        let admin = admin.clone();
        async move {
            env.call(Method::POST, "/api/v1/keys", &admin, Some(body))
                .await
        }
    };
    let (s, v, _) =
        new_key(json!({"role": "service", "name": "nightly", "expiresInDays": 30})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (id, token) = (
        v["id"].as_str().unwrap().to_owned(),
        v["token"].as_str().unwrap().to_owned(),
    );
    let expires = v["expiresAt"].as_str().unwrap().to_owned();
    let stored: i64 =
        sqlx::query_scalar("SELECT expires_at - created_at FROM api_keys WHERE id = $1")
            .bind(&id)
            .fetch_one(env.app.db.pool())
            .await
            .unwrap();
    assert_eq!(stored, 30 * 86_400, "thirty days from its creation");
    let (_, listed, _) = env.call(Method::GET, "/api/v1/keys", &admin, None).await;
    let keys = listed["keys"].as_array().unwrap();
    let mine = keys.iter().find(|k| k["id"] == id.as_str()).unwrap();
    assert_eq!(mine["expiresAt"], expires.as_str(), "{listed}");
    assert!(
        keys.iter()
            .filter(|k| k["id"] != id.as_str())
            .all(|k| k["expiresAt"].is_null()),
        "a key made without a life does not expire: {listed}"
    );
    let audited: String =
        sqlx::query_scalar("SELECT body FROM audit_log WHERE tenant_id = $1 AND target_id = $2")
            .bind(HR)
            .bind(&id)
            .fetch_one(env.app.db.pool())
            .await
            .unwrap();
    let audited: Value = serde_json::from_str(&audited).unwrap();
    assert_eq!(audited["after"]["expiresAt"], expires.as_str(), "{audited}");

    let as_hr = Auth::key(&token, &hr.id);
    let (s, _, _) = env.call(Method::GET, "/api/v1/users", &as_hr, None).await;
    assert_eq!(s, StatusCode::OK, "before its expiry");
    // Its expiry comes (the stored instant moved to now): refused from then on.
    sqlx::query("UPDATE api_keys SET expires_at = $1 WHERE id = $2")
        .bind(warden_server::app::now().unix())
        .bind(&id)
        .execute(env.app.db.pool())
        .await
        .unwrap();
    let (s, v, _) = env.call(Method::GET, "/api/v1/users", &as_hr, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");

    let keys_now = || env.scalar("SELECT COUNT(*) FROM api_keys WHERE tenant_id = $1", HR);
    let before = keys_now().await;
    for days in [json!(0), json!(3651), json!(-1), json!(1.5), json!("30")] {
        let (s, v, _) =
            new_key(json!({"role": "service", "name": "bad", "expiresInDays": days})).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{days}: {v}");
        assert!(v.to_string().contains("expiresInDays"), "{days}: {v}");
    }
    assert_eq!(keys_now().await, before, "no key made");
}
on_both!(keys_expire);

/// The planner's policy guards the last super administrator (`lastSuperAdmin` on
/// deactivation and deletion): an edit may not take the flag from the last one either.
async fn the_last_super_admin_cannot_lose_the_flag_by_an_edit(env: &Env) {
    const PLANNER: &str = "production-planner-pro";
    let users = env.demo(PLANNER).await;
    let (admin, bob) = (demo_user(&users, "admin"), demo_user(&users, "bob"));
    let key = env.key(PLANNER, "service").await;
    let flag = |who: &str, by: &str, on: bool| {
        let (who, by, key) = (who.to_owned(), by.to_owned(), key.clone());
        async move {
            env.call(
                Method::PATCH,
                &format!("/api/v1/users/{who}"),
                &Auth::key(&key, &by),
                Some(json!({"superAdmin": on})),
            )
            .await
        }
    };
    let stored = |id: &str| {
        let id = id.to_owned();
        async move {
            env.scalar("SELECT super_admin FROM users WHERE id = $1", &id)
                .await
        }
    };
    let (s, v, _) = flag(&admin.id, &admin.id, false).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(deny_code(&v), "last_super_admin");
    assert_eq!(stored(&admin.id).await, 1);
    // With a second super administrator, the first may step down; then the second is last.
    let (s, v, _) = flag(&bob.id, &admin.id, true).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v, _) = flag(&admin.id, &admin.id, false).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(stored(&admin.id).await, 0);
    let (s, v, _) = flag(&bob.id, &bob.id, false).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(deny_code(&v), "last_super_admin");
    assert_eq!(stored(&bob.id).await, 1);
}
on_both!(the_last_super_admin_cannot_lose_the_flag_by_an_edit);

/// Every answer carries the browser's protections (a content security policy without
/// inline script, no sniffing, no framing, no referrer), no API answer is cached, and an
/// unknown API path is 404 whatever the method.
async fn answers_carry_the_browsers_protections(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let key = env.key(HR, "service").await;
    let as_hr = Auth::key(&key, &hr.id);
    let (s, _, h) = env.call(Method::GET, "/api/v1/users", &as_hr, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let (_, _, h) = env.call(Method::GET, "/healthz", &Auth::None, None).await;
    assert_eq!(h["x-content-type-options"], "nosniff");
    for method in [Method::GET, Method::POST, Method::DELETE] {
        let (s, v, _) = env
            .call(method.clone(), "/api/v1/nonexistent", &as_hr, None)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{method}: {v}");
        assert_eq!(v["error"], "not_found", "{method}: {v}");
        assert_eq!(v["message"], warden_server::ops::NO_ROUTE, "{method}: {v}");
    }
}
on_both!(answers_carry_the_browsers_protections);
