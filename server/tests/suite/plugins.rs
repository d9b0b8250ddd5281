//! Tenant plugins over the API (issue 12), on SQLite and PostgreSQL: upload (admin keys
//! only, checked by the hardened plugin host), a decision narrowed by the plugin and
//! naming it, replacement, removal, hostile uploads refused with typed errors, and one
//! tenant's plugin never seen by another.
//!
//! The components are those `scripts/build-components.sh` builds (`target/components`, or
//! `WARDEN_COMPONENTS`); a missing one fails the test.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::common::{Auth, Env, Which, component, demo_user};
use axum::http::{Method, StatusCode};
use base64::Engine as _;
use serde_json::{Value, json};

const HR: &str = "hr-platform";
const PPP: &str = "production-planner-pro";

/// The tenant's admin key, acting for no one (plugin administration).
async fn admin_key(env: &Env, tenant: &str) -> Auth {
    Auth::Key {
        token: env.key(tenant, "admin").await,
        act_as: None,
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn hr_user(first: &str, email: &str, manager: &str) -> Value {
    json!({"firstName": first, "lastName": "Blanc", "email": email, "jobTitle": "Software Engineer", "manager": manager, "status": "active", "organization": "company"})
}

async fn upload_narrow_replace_remove(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let manager = demo_user(&users, "manager");
    let admin = admin_key(env, HR).await;
    let service = env.key(HR, "service").await;
    let as_hr = Auth::key(&service, &hr.id);
    let wasm = component("email_domain.wasm");

    // A service key may not manage plugins.
    let (s, v, _) = env
        .call(
            Method::PUT,
            "/api/v1/plugins/email-domain",
            &as_hr,
            Some(json!({"component": b64(&wasm), "config": {"allowedDomains": ["company.com"]}})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");

    let (s, v, _) = env
        .call(
            Method::PUT,
            "/api/v1/plugins/email-domain",
            &admin,
            Some(json!({"component": b64(&wasm), "config": {"allowedDomains": ["company.com"]}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["plugin"]["name"], "email-domain");
    assert_eq!(v["plugin"]["version"], "1.0.0");
    let hash = v["plugin"]["hash"].as_str().unwrap().to_owned();
    assert_eq!(hash.len(), 64, "the SHA-256 of the component: {v}");
    assert!(v["replaced"].is_null());

    let stored: i64 = env
        .scalar(
            "SELECT COUNT(*) FROM tenant_plugins WHERE tenant_id = $1 AND name = 'email-domain'",
            HR,
        )
        .await;
    assert_eq!(stored, 1, "stored in the database");

    // The kernel accepts a gmail address; the tenant's plugin refuses it, and says so.
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/users",
            &as_hr,
            Some(hr_user("Nora", "nora.blanc@gmail.example", &manager.id)),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"], "invalid");
    let from_plugin: Vec<&Value> = v["violations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["source"]["plugin"] == "email-domain")
        .collect();
    assert!(!from_plugin.is_empty(), "{v}");
    assert_eq!(from_plugin[0]["source"]["version"], "1.0.0");
    assert_eq!(v["plugins"][0]["plugin"], "email-domain");
    assert_eq!(v["plugins"][0]["outcome"], "violations");
    assert!(
        v["plugins"][0].get("log").is_none(),
        "plugin logs stay out of responses"
    );

    // An address the plugin accepts: created, and the decision names the plugin.
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/users",
            &as_hr,
            Some(hr_user("Nina", "nina.blanc@company.com", &manager.id)),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let nina = v["user"]["id"].as_str().unwrap().to_owned();
    let names: Vec<(&str, &str, &str)> = v["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["plugin"].as_str().unwrap(),
                p["version"].as_str().unwrap(),
                p["hook"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        names.contains(&("email-domain", "1.0.0", "validateUser")),
        "{v}"
    );
    // ... and so does its audit entry.
    let (s, v, _) = env
        .call(
            Method::GET,
            &format!("/api/v1/users/{nina}/audit"),
            &as_hr,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(
        v.to_string().contains("\"plugin\":\"email-domain\""),
        "the audit entry names the plugin: {v}"
    );

    // Replace: the same plugin, another configuration. The old rule is gone at once.
    let (s, v, _) = env
        .call(
            Method::PUT,
            "/api/v1/plugins/email-domain",
            &admin,
            Some(json!({"component": b64(&wasm), "config": {"allowedDomains": ["gmail.example"]}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["replaced"]["name"], "email-domain");
    let (s, v, _) = env.call(Method::GET, "/api/v1/plugins", &admin, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["plugins"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(
        v["plugins"][0]["config"]["allowedDomains"],
        json!(["gmail.example"])
    );
    assert_eq!(v["plugins"][0]["hash"], hash.as_str());
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/users",
            &as_hr,
            Some(hr_user("Nora", "nora.blanc@gmail.example", &manager.id)),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/users",
            &as_hr,
            Some(hr_user("Noe", "noe.blanc@company.com", &manager.id)),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");

    // An update goes through the plugin too.
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{nina}"),
            &as_hr,
            Some(json!({"jobTitle": "QA Engineer"})),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "nina's company.com address is refused by the new configuration: {v}"
    );

    // Remove: the plugin no longer takes part.
    let (s, v, _) = env
        .call(Method::DELETE, "/api/v1/plugins/email-domain", &admin, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _, _) = env
        .call(Method::DELETE, "/api/v1/plugins/email-domain", &admin, None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/users",
            &as_hr,
            Some(hr_user("Noe", "noe.blanc@company.com", &manager.id)),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert!(v.get("plugins").is_none(), "{v}");

    // Every change is in the audit log.
    let n = env
        .scalar(
            "SELECT COUNT(*) FROM audit_log WHERE tenant_id = $1 AND target_id = 'plugin:email-domain'",
            HR,
        )
        .await;
    assert_eq!(n, 3, "upload, replace, remove");

    // The metrics count the decisions by operation and outcome.
    let (s, _, _) = env.call(Method::GET, "/metrics", &Auth::None, None).await;
    assert_eq!(s, StatusCode::OK);
}
on_both!(upload_narrow_replace_remove);

async fn transition_fails_closed_on_a_faulting_plugin(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let sophie = demo_user(&users, "sophie");
    let admin = admin_key(env, HR).await;
    let service = env.key(HR, "service").await;
    // Only the transition hook traps (the status route asks the authorization hook
    // first, which then has no objection).
    env.put_plugin(
        &admin,
        "hostile",
        "hostile.wasm",
        json!({"mode": "trap", "hooks": ["transition"]}),
    )
    .await;
    let (s, v, _) = env
        .call(
            Method::POST,
            &format!("/api/v1/users/{}/status", sophie.id),
            &Auth::key(&service, &hr.id),
            Some(json!({"to": "inactive", "reason": "left the company"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["error"], "denied");
    assert_eq!(v["plugins"][0]["hook"], "authorize", "{v}");
    assert_eq!(v["plugins"][0]["outcome"], "allow", "{v}");
    assert_eq!(v["plugins"][1]["plugin"], "hostile");
    assert_eq!(v["plugins"][1]["hook"], "transition", "{v}");
    assert_eq!(v["plugins"][1]["outcome"], "fault");
    assert_eq!(v["plugins"][1]["error"]["failurePolicy"], "closed");
    // The plugin's own page tells its breaker state as the list does (it told none); read
    // before anything else asks the plugin (a call that succeeds resets the count).
    let (s, list, _) = env.call(Method::GET, "/api/v1/plugins", &admin, None).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let (s, one, _) = env
        .call(Method::GET, "/api/v1/plugins/hostile", &admin, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{one}");
    assert_eq!(list["plugins"][0]["consecutiveFaults"], 1, "{list}");
    assert_eq!(one["consecutiveFaults"], 1, "{one}");
    // Nothing changed.
    let (s, v, _) = env
        .call(
            Method::GET,
            &format!("/api/v1/users/{}", sophie.id),
            &Auth::key(&service, &hr.id),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["user"]["status"], "active", "{v}");
    let text = env
        .app
        .metrics
        .render(env.app.db.pool(), env.app.db.max_connections())
        .unwrap();
    assert!(
        text.contains("warden_plugin_faults_total{hook=\"transition\",code=\"trap\"}"),
        "{text}"
    );
    assert!(
        text.contains("warden_decisions_total{operation=\"transition\",outcome=\"deny\"} 1"),
        "{text}"
    );
}
on_both!(transition_fails_closed_on_a_faulting_plugin);

/// The writes beside a user's record and status ask the plugins too, as authorizations
/// told the kernel's allow: a password reset (`users.passwordReset`, allowed by the
/// lifecycle's `passwordReset` rule), ending a user's sessions (`users.status`, as a
/// status change's `revokeSessions`) and managing an organisation
/// (`organizations.manage`). Each went through whatever the tenant's plugins said.
async fn resets_sessions_and_organisations_ask_the_plugins(env: &Env) {
    let users = env.demo(PPP).await;
    let ada = demo_user(&users, "admin");
    let carla = demo_user(&users, "carla");
    let admin = admin_key(env, PPP).await;
    let service = env.key(PPP, "service").await;
    let as_ada = Auth::key(&service, &ada.id);
    env.put_plugin(&admin,
        "hostile",
        "hostile.wasm",
        json!({"mode": "echo-core", "hooks": ["authorize"], "actions": ["users.passwordReset", "users.status", "organizations.manage"]}),
    )
    .await;
    let refused = |what: &str, s: StatusCode, v: &Value| {
        assert_eq!(s, StatusCode::FORBIDDEN, "{what}: {v}");
        assert_eq!(v["deny"]["code"], "core_echo", "{what}: {v}");
        assert!(
            v["deny"].to_string().contains("core decision: allow"),
            "{what}: the plugin is told the kernel's allow: {v}"
        );
        assert_eq!(v["plugins"][0]["hook"], "authorize", "{what}: {v}");
    };
    let (s, v, _) = env
        .call(
            Method::POST,
            &format!("/api/v1/users/{}/password-reset", carla.id),
            &as_ada,
            Some(json!({"method": "admin", "password": "Another-Kettle-77!"})),
        )
        .await;
    refused("a password reset", s, &v);
    assert!(
        env.sign_in(PPP, &carla.login, warden_server::seed::DEMO_PASSWORD)
            .await
            .is_some(),
        "the password is unchanged"
    );
    let session = env
        .sign_in(PPP, &carla.login, warden_server::seed::DEMO_PASSWORD)
        .await
        .unwrap();
    let (s, v, _) = env
        .call(
            Method::DELETE,
            &format!("/api/v1/users/{}/sessions", carla.id),
            &as_ada,
            None,
        )
        .await;
    refused("ending the sessions", s, &v);
    let (s, _, _) = env
        .call(
            Method::GET,
            "/api/v1/session",
            &Auth::cookie(&session),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "the session lives on");
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/organizations",
            &as_ada,
            Some(json!({"id": "plant-c", "name": "Plant C"})),
        )
        .await;
    refused("creating an organisation", s, &v);
    let (s, v, _) = env
        .call(
            Method::PATCH,
            "/api/v1/organizations/plant-b",
            &as_ada,
            Some(json!({"active": false})),
        )
        .await;
    refused("deactivating an organisation", s, &v);
    let (s, v, _) = env
        .call(Method::GET, "/api/v1/organizations", &admin, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let plant_b = v["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == "plant-b")
        .unwrap();
    assert_eq!(plant_b["active"], true, "nothing changed: {v}");
    assert!(
        !v["organizations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["id"] == "plant-c"),
        "{v}"
    );
    // The tenant's own administration (an admin key acting as no one) asks no plugin.
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/organizations",
            &admin,
            Some(json!({"id": "plant-c", "name": "Plant C"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // Without the plugin, the same requests go through.
    let (s, v, _) = env
        .call(Method::DELETE, "/api/v1/plugins/hostile", &admin, None)
        .await;
    assert!(s.is_success(), "{s} {v}");
    let (s, v, _) = env
        .call(
            Method::POST,
            &format!("/api/v1/users/{}/password-reset", carla.id),
            &as_ada,
            Some(json!({"method": "admin", "password": "Another-Kettle-77!"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v, _) = env
        .call(
            Method::DELETE,
            &format!("/api/v1/users/{}/sessions", carla.id),
            &as_ada,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _, _) = env
        .call(
            Method::GET,
            "/api/v1/session",
            &Auth::cookie(&session),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "the session ended");
}
on_both!(resets_sessions_and_organisations_ask_the_plugins);

/// A group membership change under a policy that does not declare `groups.manage` (a
/// super administrator's, granting no role) is put to the plugins as `groups.manage`,
/// told the super-administrator rule; it was written with no plugin asked.
async fn a_super_administrators_membership_change_asks_the_plugins(env: &Env) {
    let users = env.demo(PPP).await;
    let ada = demo_user(&users, "admin");
    let carla = demo_user(&users, "carla");
    env.edit_policy(PPP, |doc| {
        doc["access"]["groups"] =
            json!({"night-shift": {"label": {"en": "Night shift"}, "roles": []}});
    })
    .await;
    let admin = admin_key(env, PPP).await;
    let service = env.key(PPP, "service").await;
    let as_ada = Auth::key(&service, &ada.id);
    let path = format!("/api/v1/groups/night-shift/members/{}", carla.id);
    env.put_plugin(
        &admin,
        "hostile",
        "hostile.wasm",
        json!({"mode": "echo-core", "hooks": ["authorize"], "actions": ["groups.manage"]}),
    )
    .await;
    let (s, v, _) = env.call(Method::PUT, &path, &as_ada, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["deny"]["code"], "core_echo", "{v}");
    assert!(
        v["deny"].to_string().contains("core decision: allow"),
        "{v}"
    );
    assert_eq!(
        read_user(env, &as_ada, &carla.id).await["groups"],
        json!([])
    );
    let (s, v, _) = env
        .call(Method::DELETE, "/api/v1/plugins/hostile", &admin, None)
        .await;
    assert!(s.is_success(), "{s} {v}");
    let (s, v, _) = env.call(Method::PUT, &path, &as_ada, None).await;
    assert_eq!(s, StatusCode::CREATED, "created: {v}");
    assert_eq!(v["changed"], true, "{v}");
}
on_both!(a_super_administrators_membership_change_asks_the_plugins);

/// A tenant whose stored plugins cannot be loaded: its decisions answer 503, never a
/// decision without its plugins; a request that needs no plugin still answers; its
/// administrator still lists the plugins (with `loadError`) and removes the one at fault,
/// after which the decisions answer again.
async fn a_set_that_cannot_load_is_listed_and_mended(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let paul = demo_user(&users, "paul");
    let admin = admin_key(env, HR).await;
    let service = env.key(HR, "service").await;
    let as_hr = Auth::key(&service, &hr.id);
    env.put_plugin(
        &admin,
        "email-domain",
        "email_domain.wasm",
        json!({"allowedDomains": ["company.com"]}),
    )
    .await;
    env.put_plugin(&admin, "hostile", "hostile.wasm", json!({"mode": "none"}))
        .await;
    sqlx::query(
        "UPDATE tenant_plugins SET component = $1, hash = $2 WHERE tenant_id = $3 AND name = 'hostile'",
    )
    .bind(b"not a component".to_vec())
    .bind("0".repeat(64))
    .bind(HR)
    .execute(env.app.db.pool())
    .await
    .unwrap();
    env.app.plugins.forget(HR).await;
    let (s, v, _) = env
        .call(
            Method::GET,
            &format!("/api/v1/users/{}", paul.id),
            &as_hr,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert_eq!(v["error"], "plugins_unavailable", "not the database's: {v}");
    // Which plugin is at fault is the administrators' to know (below), not every caller's.
    assert!(!v.to_string().contains("hostile"), "{v}");
    assert_eq!(
        v["code"], "malformed_component",
        "the host's load error: {v}"
    );
    let (s, v, _) = env.call(Method::GET, "/api/v1/policy", &admin, None).await;
    assert_eq!(s, StatusCode::OK, "a request that needs no plugin: {v}");
    let (s, v, _) = env.call(Method::GET, "/api/v1/plugins", &admin, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["plugins"][1]["name"], "hostile", "{v}");
    assert_eq!(v["loadError"]["code"], "malformed_component", "{v}");
    // The plugin at fault is named, the other one is not blamed.
    let message = v["loadError"]["message"].as_str().unwrap();
    assert!(message.starts_with("plugin `hostile`: "), "{v}");
    assert_eq!(v["loadError"]["plugin"], "hostile", "{v}");
    // Removing the other plugin is done, and says the set still cannot load (it answered
    // 503 after the removal had committed).
    let (s, v, _) = env
        .call(Method::DELETE, "/api/v1/plugins/email-domain", &admin, None)
        .await;
    assert!(s.is_success(), "{s} {v}");
    assert_eq!(v["loadError"]["code"], "malformed_component", "{v}");
    let (s, v, _) = env
        .call(Method::DELETE, "/api/v1/plugins/hostile", &admin, None)
        .await;
    assert!(s.is_success(), "{s} {v}");
    assert!(v.get("loadError").is_none(), "{v}");
    let (s, v, _) = env
        .call(
            Method::GET,
            &format!("/api/v1/users/{}", paul.id),
            &as_hr,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v, _) = env.call(Method::GET, "/api/v1/plugins", &admin, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v.get("loadError").is_none(), "{v}");
}
on_both!(a_set_that_cannot_load_is_listed_and_mended);

/// Reading a user asks the plugins as an AuthZEN evaluation of `users.read` does: a user
/// a plugin does not let the actor read is not found (read, edit, status change, history)
/// and is left out of lists, group members and exports, while paging goes on; the others
/// are unchanged. Reads went through whatever the plugins said.
async fn reads_ask_the_plugins(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let sophie = demo_user(&users, "sophie");
    let paul = demo_user(&users, "paul");
    let admin = admin_key(env, HR).await;
    let service = env.key(HR, "service").await;
    let as_hr = Auth::key(&service, &hr.id);
    let listed = |limit: i64| {
        let as_hr = &as_hr;
        async move {
            let mut ids = Vec::new();
            let mut cursor: Option<String> = None;
            for _ in 0..100 {
                let path = match &cursor {
                    Some(c) => format!("/api/v1/users?limit={limit}&cursor={c}"),
                    None => format!("/api/v1/users?limit={limit}"),
                };
                let (s, v, _) = env.call(Method::GET, &path, as_hr, None).await;
                assert_eq!(s, StatusCode::OK, "{v}");
                for u in v["users"].as_array().unwrap() {
                    ids.push(u["id"].as_str().unwrap().to_owned());
                }
                match v["next"].as_str() {
                    Some(c) => cursor = Some(c.to_owned()),
                    None => return ids,
                }
            }
            panic!("more than 100 pages");
        }
    };
    let before = listed(2).await;
    assert!(before.contains(&sophie.id) && before.contains(&paul.id));
    env.put_plugin(&admin,
        "hostile",
        "hostile.wasm",
        json!({"mode": "echo-core", "hooks": ["authorize"], "actions": ["users.read"], "targets": [sophie.id]}),
    )
    .await;
    // Sophie is out of every page, at any page size; nobody else is.
    for limit in [1, 2, 50] {
        let after = listed(limit).await;
        let expected: Vec<String> = before
            .iter()
            .filter(|i| **i != sophie.id)
            .cloned()
            .collect();
        assert_eq!(after, expected, "page size {limit}");
    }
    let service_key = Auth::Key {
        token: service.clone(),
        act_as: None,
    };
    assert!(!evaluation(env, &service_key, &hr.id, &sophie.id).await);
    for (method, path, body) in [
        (Method::GET, format!("/api/v1/users/{}", sophie.id), None),
        (
            Method::PATCH,
            format!("/api/v1/users/{}", sophie.id),
            Some(json!({"jobTitle": "Staff Engineer"})),
        ),
        (
            Method::POST,
            format!("/api/v1/users/{}/status", sophie.id),
            Some(json!({"to": "inactive", "reason": "left the company"})),
        ),
        (
            Method::GET,
            format!("/api/v1/users/{}/audit", sophie.id),
            None,
        ),
    ] {
        let (s, v, _) = env.call(method.clone(), &path, &as_hr, body).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{method} {path}: {v}");
    }
    // Nor is she among a group's members or a bulk item's targets.
    let (s, v, _) = env
        .call(
            Method::GET,
            "/api/v1/groups/all-employees/members",
            &as_hr,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let members = v["members"].to_string();
    assert!(!members.contains(&sophie.id), "{v}");
    assert!(members.contains(&paul.id), "{v}");
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/bulk",
            &as_hr,
            Some(json!({"items": [
                {"op": "status", "id": sophie.id, "to": "inactive", "reason": "left the company"},
                {"op": "roles", "id": sophie.id, "add": ["hrAdmin"]}
            ]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    for r in v["results"].as_array().unwrap() {
        assert_eq!(r["reason"], "not_found", "{v}");
    }
    // The decide API answers the read question itself as a deny naming the plugin, as
    // the AuthZEN evaluation does.
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/decide/authorize",
            &as_hr,
            Some(json!({"action": "users.read", "target": sophie.id})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["decision"], "deny", "{v}");
    assert_eq!(v["plugins"][0]["plugin"], "hostile", "{v}");
    assert_eq!(env.stored_status(&sophie.id).await, "active");
    // A record taking her e-mail is a duplicate that does not name her, as for an actor
    // the kernel does not let read her.
    let manager = demo_user(&users, "manager");
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/users",
            &as_hr,
            Some(hr_user("Sophia", "sophie.martin@company.com", &manager.id)),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let duplicate = v["violations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["code"] == "duplicate")
        .unwrap();
    assert!(duplicate["params"].get("existingId").is_none(), "{v}");
    assert!(!v.to_string().contains(&sophie.id), "{v}");
    // Nor does a bulk import's.
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/bulk",
            &as_hr,
            Some(json!({"items": [{"op": "import", "user": hr_user("Sophia", "sophie.martin@company.com", &manager.id)}]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(
        v["results"][0]["violations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["code"] == "duplicate"),
        "{v}"
    );
    assert!(!v.to_string().contains(&sophie.id), "{v}");
    // The decide API answers about her as about no user, but for an `authorize` question,
    // which the plugins narrow themselves (above).
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/decide/effectiveStatus",
            &as_hr,
            Some(json!({"account": sophie.id})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(v.to_string().contains("no user"), "{v}");
    assert!(!v.to_string().contains("active"), "{v}");
    // Paul reads as before.
    let v = evaluation_answer(env, &service_key, &hr.id, &paul.id).await;
    assert_eq!(v["decision"], true, "{v}");
    assert_eq!(read_user(env, &as_hr, &paul.id).await["id"], json!(paul.id));
}
on_both!(reads_ask_the_plugins);

/// A status change asks the plugins' authorization hook (`users.status`) and their
/// transition hook, on the route, in bulk and in an AuthZEN evaluation of the same change
/// alike: the evaluation answers what the route does (it ran no transition hook, and the
/// route and bulk no authorization hook, so each allowed what a plugin refused in the
/// other).
async fn status_changes_ask_both_hooks(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let sophie = demo_user(&users, "sophie");
    let admin = admin_key(env, HR).await;
    let service = env.key(HR, "service").await;
    let service_key = Auth::Key {
        token: service.clone(),
        act_as: None,
    };
    let change = json!({"to": "inactive", "reason": "left the company"});
    let route = || async {
        env.call(
            Method::POST,
            &format!("/api/v1/users/{}/status", sophie.id),
            &Auth::key(&service, &hr.id),
            Some(change.clone()),
        )
        .await
    };
    let evaluate = |properties: Option<Value>| {
        let mut action = json!({"name": "users.status"});
        if let Some(p) = properties {
            action["properties"] = p;
        }
        let q = json!({"subject": {"type": "user", "id": hr.id}, "action": action, "resource": {"type": "user", "id": sophie.id}});
        let key = &service_key;
        async move {
            let (s, v, _) = env
                .call(Method::POST, "/access/v1/evaluation", key, Some(q))
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
            v
        }
    };

    // A plugin that refuses in its authorization hook only.
    env.put_plugin(
        &admin,
        "hostile",
        "hostile.wasm",
        json!({"mode": "err", "hooks": ["authorize"], "actions": ["users.status"]}),
    )
    .await;
    let v = evaluate(Some(change.clone())).await;
    assert_eq!(v["decision"], false, "{v}");
    assert_eq!(v["context"]["plugins"][0]["hook"], "authorize", "{v}");
    let (s, v, _) = route().await;
    assert_eq!(s, StatusCode::FORBIDDEN, "the route refuses too: {v}");
    assert_eq!(v["error"], "denied", "{v}");
    assert_eq!(v["plugins"][0]["hook"], "authorize", "{v}");
    assert_eq!(v["plugins"][0]["outcome"], "fault", "{v}");
    // And so does a bulk status item.
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/bulk",
            &Auth::key(&service, &hr.id),
            Some(json!({"items": [{"op": "status", "id": sophie.id, "to": "inactive", "reason": "left the company"}]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["results"][0]["outcome"], "refused", "{v}");
    assert_eq!(v["results"][0]["reason"], "plugin_denied", "{v}");
    assert_eq!(v["results"][0]["plugins"][0]["hook"], "authorize", "{v}");

    // A plugin that refuses in its transition hook only, naming the kernel's decision it
    // was told.
    env.put_plugin(
        &admin,
        "hostile",
        "hostile.wasm",
        json!({"mode": "echo-core", "hooks": ["transition"]}),
    )
    .await;
    let v = evaluate(Some(change.clone())).await;
    assert_eq!(v["decision"], false, "the transition hook ran: {v}");
    assert_eq!(v["context"]["deny"]["code"], "core_echo", "{v}");
    assert!(
        v["context"]["deny"]
            .to_string()
            .contains("core decision: allow"),
        "{v}"
    );
    let hooks: Vec<&Value> = v["context"]["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["hook"])
        .collect();
    assert_eq!(hooks, [&json!("authorize"), &json!("transition")], "{v}");
    // Without the change's parameters the question is the authorization alone.
    let v = evaluate(None).await;
    assert_eq!(v["decision"], true, "{v}");
    let (s, v, _) = route().await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["deny"]["code"], "core_echo", "{v}");
    assert_eq!(v["plugins"][1]["hook"], "transition", "{v}");

    // Nothing changed; with the plugin gone the evaluation allows and the route changes.
    let stored = read_user(env, &Auth::key(&service, &hr.id), &sophie.id).await;
    assert_eq!(stored["status"], "active", "{stored}");
    let (s, v, _) = env
        .call(Method::DELETE, "/api/v1/plugins/hostile", &admin, None)
        .await;
    assert!(s.is_success(), "{s} {v}");
    let v = evaluate(Some(change.clone())).await;
    assert_eq!(v["decision"], true, "{v}");
    assert_eq!(v["context"]["to"], "inactive", "{v}");
    let (s, v, _) = route().await;
    assert_eq!(s, StatusCode::OK, "{v}");
}
on_both!(status_changes_ask_both_hooks);

async fn hostile_uploads_are_refused(env: &Env) {
    env.demo(HR).await;
    let admin = admin_key(env, HR).await;
    let put = |name: &str, body: Value| {
        let admin = admin.clone();
        let path = format!("/api/v1/plugins/{name}");
        async move { env.call(Method::PUT, &path, &admin, Some(body)).await }
    };
    // WASI imports are refused, naming the import.
    let wat = component("imports-wasi.wat");
    let (s, v, _) = put("env", json!({"component": b64(&wat)})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"], "plugin_refused");
    assert_eq!(v["code"], "forbidden_import");
    assert!(v["message"].as_str().unwrap().contains("wasi:cli"), "{v}");
    // Garbage.
    let (s, v, _) = put("junk", json!({"component": b64(b"\0asm\x01\0\0\0garbage")})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["code"], "malformed_component", "{v}");
    // Not base64.
    let (s, v, _) = put("junk", json!({"component": "***"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["code"], "invalid_base64");
    assert_eq!(v["field"], "component");
    // Unknown field.
    let (s, v, _) = put("junk", json!({"component": "", "wasm": ""})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    // A component whose describe gives another name than the URL.
    let (s, v, _) = put(
        "not-email",
        json!({"component": b64(&component("email_domain.wasm")), "config": {"allowedDomains": ["x.example"]}}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["code"], "name_mismatch");
    // A component above the tenant's module size limit.
    let (s, v, _) = env
        .call(
            Method::PUT,
            "/api/v1/plugin-settings",
            &admin,
            Some(json!({"limits": {"maxModuleBytes": 4096}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v, _) = put(
        "email-domain",
        json!({"component": b64(&component("email_domain.wasm")), "config": {"allowedDomains": ["x.example"]}}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["code"], "module_too_large", "{v}");
    // Settings above the host's hard caps are refused, naming the limit.
    let (s, v, _) = env
        .call(
            Method::PUT,
            "/api/v1/plugin-settings",
            &admin,
            Some(json!({"limits": {"fuel": 10_000_000_000_u64}})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["code"], "invalid_settings");
    assert_eq!(v["field"], "settings.limits.fuel", "{v}");
    // The limits that bound what a compilation costs the whole process are the
    // operator's: a tenant may not raise them above the defaults, even within the host's
    // caps (a 64 MiB module would hold every tenant's loads behind its compilation).
    for (limit, value) in [
        ("maxModuleBytes", json!(64 << 20)),
        ("maxFunctions", json!(100_000)),
    ] {
        let (s, v, _) = env
            .call(
                Method::PUT,
                "/api/v1/plugin-settings",
                &admin,
                Some(json!({ "limits": { limit: value } })),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["code"], "invalid_settings", "{v}");
        assert_eq!(v["field"], format!("settings.limits.{limit}"), "{v}");
    }
    let (s, v, _) = env
        .call(Method::GET, "/api/v1/plugin-settings", &admin, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["caps"]["maxModuleBytes"], 2 << 20, "{v}");
    assert_eq!(v["caps"]["fuel"], 1_000_000_000, "{v}");
    // Nothing was stored.
    let (s, v, _) = env.call(Method::GET, "/api/v1/plugins", &admin, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["plugins"], json!([]), "{v}");
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM tenant_plugins WHERE tenant_id = $1",
            HR
        )
        .await,
        0
    );
    // A body that is not settings is the API's typed 400, as on every route.
    let (s, v, _) = env
        .call(
            Method::PUT,
            "/api/v1/plugin-settings",
            &admin,
            Some(json!({"limits": {"fuell": 5}})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(
        (v["code"].as_str(), v["field"].as_str()),
        (Some("unknown_field"), Some("limits.fuell")),
        "{v}"
    );
    // Settings stored above the caps (before the server lowered them) apply at the caps.
    sqlx::query("UPDATE tenant_plugin_settings SET settings = $2 WHERE tenant_id = $1")
        .bind(HR)
        .bind(json!({"limits": {"maxModuleBytes": 64 << 20, "fuel": 2_000_000}}).to_string())
        .execute(env.app.db.pool())
        .await
        .unwrap();
    let (s, v, _) = env
        .call(Method::GET, "/api/v1/plugin-settings", &admin, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["settings"]["limits"]["maxModuleBytes"], 2 << 20, "{v}");
    assert_eq!(v["settings"]["limits"]["fuel"], 2_000_000, "{v}");
}
on_both!(hostile_uploads_are_refused);

async fn tenants_never_see_each_others_plugins(env: &Env) {
    let hr_users = env.demo(HR).await;
    let ppp_users = env.demo(PPP).await;
    let hr_admin = Auth::Key {
        token: env.key(HR, "admin").await,
        act_as: None,
    };
    let ppp_admin = Auth::Key {
        token: env.key(PPP, "admin").await,
        act_as: None,
    };
    let (s, v, _) = env
        .call(
            Method::PUT,
            "/api/v1/plugins/email-domain",
            &hr_admin,
            Some(json!({"component": b64(&component("email_domain.wasm")), "config": {"allowedDomains": ["company.com"]}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // The other tenant lists none, reads none, removes none.
    let (s, v, _) = env
        .call(Method::GET, "/api/v1/plugins", &ppp_admin, None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["plugins"], json!([]));
    let (s, _, _) = env
        .call(
            Method::GET,
            "/api/v1/plugins/email-domain",
            &ppp_admin,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = env
        .call(
            Method::DELETE,
            "/api/v1/plugins/email-domain",
            &ppp_admin,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // ... and its decisions do not run it: an address outside company.com is accepted.
    let ada = demo_user(&ppp_users, "admin");
    let service = env.key(PPP, "service").await;
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/users",
            &Auth::key(&service, &ada.id),
            Some(json!({"firstName": "Eve", "lastName": "Moreau", "email": "eve@gmail.example", "password": "Violet-Kettle-42!x", "organization": "plant-a", "status": "active"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert!(v.get("plugins").is_none(), "{v}");
    // The plugin is still there for its own tenant.
    let (s, v, _) = env
        .call(Method::GET, "/api/v1/plugins", &hr_admin, None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["plugins"][0]["name"], "email-domain");
    let _ = hr_users;
}
on_both!(tenants_never_see_each_others_plugins);

/// The native decision API runs the tenant's plugins too, and names them.
async fn native_decisions_run_the_plugins(env: &Env) {
    let users = env.demo(HR).await;
    let manager = demo_user(&users, "manager");
    let paul = demo_user(&users, "paul");
    let admin = admin_key(env, HR).await;
    let service = env.key(HR, "service").await;
    let as_manager = Auth::key(&service, &manager.id);
    env.put_plugin(
        &admin,
        "email-domain",
        "email_domain.wasm",
        json!({"allowedDomains": ["company.com"]}),
    )
    .await;
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/decide/validate",
            &as_manager,
            Some(json!({"user": hr_user("Nora", "nora.blanc@gmail.example", &manager.id)})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["valid"], false, "{v}");
    assert!(
        v["violations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["source"]["plugin"] == "email-domain"),
        "{v}"
    );
    assert_eq!(v["plugins"][0]["plugin"], "email-domain");
    assert_eq!(v["plugins"][0]["version"], "1.0.0");

    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/decide/authorize",
            &as_manager,
            Some(json!({"action": "users.read", "target": paul.id})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        v["decision"], "allow",
        "email-domain has no authorize objection: {v}"
    );
    let question = json!({
        "subject": {"type": "user", "id": manager.id},
        "action": {"name": "users.read"},
        "resource": {"type": "user", "id": paul.id},
    });
    let service_key = Auth::Key {
        token: service.clone(),
        act_as: None,
    };
    let (s, v, _) = env
        .call(
            Method::POST,
            "/access/v1/evaluation",
            &service_key,
            Some(question.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["decision"], true, "{v}");
    assert_eq!(v["context"]["plugins"][0]["plugin"], "email-domain", "{v}");
    env.put_plugin(&admin, "hostile", "hostile.wasm", json!({"mode": "trap"}))
        .await;
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/decide/authorize",
            &as_manager,
            Some(json!({"action": "users.read", "target": paul.id})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["decision"], "deny", "a faulting plugin fails closed: {v}");
    let names: Vec<&str> = v["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["plugin"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["email-domain", "hostile"], "{v}");
    // AuthZEN evaluations too.
    let (s, v, _) = env
        .call(
            Method::POST,
            "/access/v1/evaluation",
            &service_key,
            Some(question),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["decision"], false, "{v}");
    assert_eq!(v["context"]["plugins"][1]["plugin"], "hostile", "{v}");
    assert_eq!(v["context"]["plugins"][1]["outcome"], "fault", "{v}");
}
on_both!(native_decisions_run_the_plugins);

/// Collects every page of an AuthZEN search (`page.limit` per request) as sorted ids.
async fn search_all(
    env: &Env,
    key: &Auth,
    path: &str,
    question: &Value,
    limit: i64,
) -> Vec<String> {
    let mut ids = Vec::new();
    let mut token = String::new();
    for _ in 0..100 {
        let mut q = question.clone();
        q["page"] = json!({"limit": limit});
        if !token.is_empty() {
            q["page"]["token"] = token.clone().into();
        }
        let (s, v, _) = env.call(Method::POST, path, key, Some(q)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        for r in v["results"].as_array().unwrap() {
            ids.push(
                r.get("id")
                    .or(r.get("name"))
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        token = v["page"]["next_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if token.is_empty() {
            ids.sort();
            return ids;
        }
    }
    panic!("{path}: more than 100 pages");
}

/// The decision of an AuthZEN evaluation: may `who` read the user `target`?
async fn evaluation(env: &Env, key: &Auth, who: &str, target: &str) -> bool {
    evaluation_answer(env, key, who, target).await["decision"]
        .as_bool()
        .unwrap()
}

/// The whole answer (200) of an AuthZEN evaluation: may `who` read the user `target`?
async fn evaluation_answer(env: &Env, key: &Auth, who: &str, target: &str) -> Value {
    let q = json!({"subject": {"type": "user", "id": who}, "action": {"name": "users.read"}, "resource": {"type": "user", "id": target}});
    let (s, v, _) = env
        .call(Method::POST, "/access/v1/evaluation", key, Some(q))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

/// AuthZEN searches answer what evaluations of the same questions answer: the tenant's
/// plugins narrow them too (a search that skipped them listed subjects, resources and
/// actions that an evaluation then denied).
async fn searches_run_the_plugins(env: &Env) {
    let users = env.demo(HR).await;
    let manager = demo_user(&users, "manager");
    let hr = demo_user(&users, "hr");
    let paul = demo_user(&users, "paul");
    let admin = admin_key(env, HR).await;
    let service = Auth::Key {
        token: env.key(HR, "service").await,
        act_as: None,
    };
    let subjects_q = json!({"subject": {"type": "user"}, "action": {"name": "users.read"}, "resource": {"type": "user", "id": paul.id}});
    let resources_q = |who: &str| json!({"subject": {"type": "user", "id": who}, "action": {"name": "users.read"}, "resource": {"type": "user"}});
    let actions_q = |who: &str| json!({"subject": {"type": "user", "id": who}, "resource": {"type": "user", "id": paul.id}});
    let subjects_before =
        search_all(env, &service, "/access/v1/search/subject", &subjects_q, 2).await;
    assert!(
        subjects_before.contains(&hr.id) && subjects_before.contains(&manager.id),
        "{subjects_before:?}"
    );
    let readable_before = search_all(
        env,
        &service,
        "/access/v1/search/resource",
        &resources_q(&manager.id),
        2,
    )
    .await;
    assert!(readable_before.contains(&paul.id), "{readable_before:?}");
    let actions_before = search_all(
        env,
        &service,
        "/access/v1/search/action",
        &actions_q(&hr.id),
        100,
    )
    .await;
    assert!(
        actions_before.iter().any(|a| a == "read"),
        "{actions_before:?}"
    );
    let manager_actions_before = search_all(
        env,
        &service,
        "/access/v1/search/action",
        &actions_q(&manager.id),
        100,
    )
    .await;
    assert!(!manager_actions_before.is_empty());

    // Every "COO" (the HR administrator's job title) is treated as a contractor without
    // an end date: the plugin denies every action they attempt, and nothing else.
    env.put_plugin(
        &admin,
        "contractor",
        "contractor.wasm",
        json!({"typeField": "jobTitle", "contractorTypes": ["COO"]}),
    )
    .await;
    let subjects = search_all(env, &service, "/access/v1/search/subject", &subjects_q, 2).await;
    let expected: Vec<String> = subjects_before
        .iter()
        .filter(|id| **id != hr.id)
        .cloned()
        .collect();
    assert_eq!(subjects, expected, "the contractor is no longer a subject");
    for id in &subjects_before {
        assert_eq!(
            evaluation(env, &service, id, &paul.id).await,
            subjects.contains(id),
            "search and evaluation agree on {id}"
        );
    }
    assert_eq!(
        search_all(
            env,
            &service,
            "/access/v1/search/resource",
            &resources_q(&manager.id),
            2
        )
        .await,
        readable_before,
        "the plugin has nothing against the manager: every page as before"
    );
    assert_eq!(
        search_all(
            env,
            &service,
            "/access/v1/search/resource",
            &resources_q(&hr.id),
            2
        )
        .await,
        Vec::<String>::new()
    );
    assert_eq!(
        search_all(
            env,
            &service,
            "/access/v1/search/action",
            &actions_q(&hr.id),
            100
        )
        .await,
        Vec::<String>::new()
    );
    assert_eq!(
        search_all(
            env,
            &service,
            "/access/v1/search/action",
            &actions_q(&manager.id),
            100
        )
        .await,
        manager_actions_before,
        "the manager keeps every action"
    );

    // A plugin that faults fails closed in searches as in evaluations: nothing is listed.
    env.put_plugin(&admin, "hostile", "hostile.wasm", json!({"mode": "trap"}))
        .await;
    assert!(
        search_all(env, &service, "/access/v1/search/subject", &subjects_q, 2)
            .await
            .is_empty()
    );
    assert!(
        search_all(
            env,
            &service,
            "/access/v1/search/resource",
            &resources_q(&manager.id),
            2
        )
        .await
        .is_empty()
    );
    assert!(
        search_all(
            env,
            &service,
            "/access/v1/search/action",
            &actions_q(&manager.id),
            100
        )
        .await
        .is_empty()
    );
}
on_both!(searches_run_the_plugins);

/// The opt-in optimised plugin code (`Settings::optimize_plugin_code`, the server's
/// `--optimize-plugin-code`) over the API: the app runs on the optimising runtime, and
/// uploads, narrowed decisions, replacement, removal, a faulting plugin and hostile uploads
/// go as they do by default (SQLite: the runtime does not depend on the database).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn optimised_plugin_code_over_the_api() {
    let settings = || warden_server::Settings {
        optimize_plugin_code: true,
        ..warden_server::Settings::default()
    };
    let env = Env::with_settings(Which::Sqlite, settings())
        .await
        .expect("sqlite env");
    assert!(
        env.app
            .plugins
            .runtime_config()
            .unwrap()
            .optimize_plugin_code
    );
    upload_narrow_replace_remove(&env).await;
    env.cleanup().await;
    let env = Env::with_settings(Which::Sqlite, settings())
        .await
        .expect("sqlite env");
    transition_fails_closed_on_a_faulting_plugin(&env).await;
    env.cleanup().await;
    let env = Env::with_settings(Which::Sqlite, settings())
        .await
        .expect("sqlite env");
    hostile_uploads_are_refused(&env).await;
    env.cleanup().await;
    // The default app is not on the optimising runtime.
    let env = Env::new(Which::Sqlite).await.expect("sqlite env");
    assert!(
        !env.app
            .plugins
            .runtime_config()
            .unwrap()
            .optimize_plugin_code
    );
    env.cleanup().await;
}

/// Creates, as `auth`, a user from `record` and returns its id.
async fn create_user(env: &Env, auth: &Auth, record: Value) -> String {
    let (s, v, _) = env
        .call(Method::POST, "/api/v1/users", auth, Some(record))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["user"]["id"].as_str().unwrap().to_owned()
}

/// The user `id` as `auth` reads it.
async fn read_user(env: &Env, auth: &Auth, id: &str) -> Value {
    let (s, v, _) = env
        .call(Method::GET, &format!("/api/v1/users/{id}"), auth, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["user"].clone()
}

/// Bulk items go through the tenant's plugins as the single-item routes do: a status
/// change is a transition, a role change an authorization of the assign action with the
/// change, an import a validation. An item a plugin refuses is reported refused with the
/// plugin's reason and not written; the others go on, their audit entries naming the
/// plugins.
async fn bulk_items_run_the_plugins(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let manager = demo_user(&users, "manager");
    let paul = demo_user(&users, "paul");
    let admin = admin_key(env, HR).await;
    let service = env.key(HR, "service").await;
    let as_hr = Auth::key(&service, &hr.id);
    let mut alix = hr_user("Alix", "alix.blanc@company.com", &manager.id);
    alix["roles"] = json!(["hrAdmin"]);
    let alix = create_user(env, &as_hr, alix).await;
    env.put_plugin(
        &admin,
        "four-eyes",
        "four_eyes.wasm",
        json!({"adminRoles": ["hrAdmin"], "statuses": ["inactive"]}),
    )
    .await;
    env.put_plugin(
        &admin,
        "email-domain",
        "email_domain.wasm",
        json!({"allowedDomains": ["company.com"]}),
    )
    .await;
    let users_before = env
        .scalar("SELECT COUNT(*) FROM users WHERE tenant_id = $1", HR)
        .await;
    let body = json!({"items": [
        {"op": "status", "id": alix, "to": "inactive", "reason": "left the company"},
        {"op": "roles", "id": alix, "remove": ["hrAdmin"]},
        {"op": "import", "user": hr_user("Nora", "nora.blanc@gmail.example", &manager.id)},
        {"op": "import", "user": hr_user("Nina", "nina.blanc@company.com", &manager.id)},
        {"op": "status", "id": paul.id, "to": "inactive", "reason": "left the company"},
    ]});
    let (s, v, _) = env
        .call(Method::POST, "/api/v1/bulk", &as_hr, Some(body))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let r = &v["results"];
    let outcomes: Vec<&str> = r
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        ["refused", "refused", "refused", "committed", "committed"],
        "{v}"
    );
    assert_eq!(v["summary"]["committed"], 2, "{v}");
    assert_eq!(v["summary"]["refused"], 3, "{v}");
    // The transition and the role change: four-eyes' denial, as the single routes give it
    // (a status change asks the authorization hook on `users.status`, then the transition
    // hook, which denies).
    let denied_by = |i: usize| {
        let plugins = r[i]["plugins"].as_array().unwrap();
        let deny = plugins.iter().find(|p| p["outcome"] == "deny").unwrap();
        (deny["plugin"].clone(), deny["hook"].clone())
    };
    for i in [0, 1] {
        assert_eq!(r[i]["reason"], "plugin_denied", "{v}");
        assert_eq!(r[i]["deny"]["code"], "four_eyes_required", "{v}");
    }
    assert_eq!(
        denied_by(0),
        (json!("four-eyes"), json!("transition")),
        "{v}"
    );
    assert_eq!(r[0]["plugins"][0]["hook"], "authorize", "{v}");
    assert_eq!(r[0]["plugins"][0]["outcome"], "allow", "{v}");
    assert_eq!(
        denied_by(1),
        (json!("four-eyes"), json!("authorize")),
        "{v}"
    );
    // The import: email-domain's violation.
    assert_eq!(r[2]["reason"], "plugin_invalid", "{v}");
    assert!(
        r[2]["violations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["source"]["plugin"] == "email-domain"
                && x["code"] == "email_domain_not_allowed"),
        "{v}"
    );
    assert!(
        r[2]["plugins"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["plugin"] == "email-domain" && p["outcome"] == "violations"),
        "{v}"
    );
    // Nothing refused was written: Alix is still an active administrator, Nora absent.
    let stored = read_user(env, &as_hr, &alix).await;
    assert_eq!(stored["status"], "active", "{stored}");
    assert!(
        stored["roles"]
            .as_array()
            .unwrap()
            .contains(&json!("hrAdmin")),
        "{stored}"
    );
    assert_eq!(
        env.scalar("SELECT COUNT(*) FROM users WHERE tenant_id = $1", HR)
            .await,
        users_before + 1,
        "only Nina was imported"
    );
    assert_eq!(read_user(env, &as_hr, &paul.id).await["status"], "inactive");
    // The committed import's audit entry names the plugins that judged it.
    let nina = r[3]["target"].as_str().unwrap();
    let (s, v, _) = env
        .call(
            Method::GET,
            &format!("/api/v1/users/{nina}/audit"),
            &as_hr,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(
        v.to_string().contains("\"plugin\":\"email-domain\""),
        "the audit entry names the plugin: {v}"
    );
}
on_both!(bulk_items_run_the_plugins);

const RENTAL: &str = "rental-platform";

/// Deletions go through the tenant's plugins, one by one and in bulk: four-eyes refuses
/// deleting an administrator without a second approver, and nothing is deleted.
async fn deletions_run_the_plugins(env: &Env) {
    let users = env.demo(RENTAL).await;
    let alice = demo_user(&users, "admin");
    let samir = demo_user(&users, "supplier");
    let lucas = demo_user(&users, "customer");
    let admin = admin_key(env, RENTAL).await;
    let service = env.key(RENTAL, "service").await;
    let as_alice = Auth::key(&service, &alice.id);
    let bea = create_user(
        env,
        &as_alice,
        json!({"firstName": "Bea", "lastName": "Roche", "email": "bea@rental.example", "phone": "+33 6 12 34 56 81", "accountType": "staff", "roles": ["administrator"], "password": "Violet-Kettle-42!x", "organization": "rental", "location": "paris"}),
    )
    .await;
    env.put_plugin(&admin, "four-eyes", "four_eyes.wasm", json!({}))
        .await;
    let deleted = |id: String| async move {
        env.scalar(
            "SELECT COUNT(*) FROM users WHERE id = $1 AND deleted_at IS NOT NULL",
            &id,
        )
        .await
    };

    // One by one: the administrator is refused by the plugin, the customer deleted.
    let (s, v, _) = env
        .call(
            Method::DELETE,
            &format!("/api/v1/users/{bea}?confirm=true&activeBookings=0"),
            &as_alice,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["error"], "denied", "{v}");
    assert_eq!(v["deny"]["code"], "four_eyes_required", "{v}");
    assert_eq!(v["plugins"][0]["plugin"], "four-eyes", "{v}");
    assert_eq!(v["plugins"][0]["outcome"], "deny", "{v}");
    assert_eq!(deleted(bea.clone()).await, 0, "nothing deleted");
    let (s, v, _) = env
        .call(
            Method::DELETE,
            &format!("/api/v1/users/{}?confirm=true&activeBookings=0", lucas.id),
            &as_alice,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["plugins"][0]["plugin"], "four-eyes", "{v}");
    assert_eq!(deleted(lucas.id.clone()).await, 1);
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE target_id = $1 AND body LIKE '%\"plugin\":\"four-eyes\"%'",
            &lucas.id,
        )
        .await,
        1,
        "the deletion's audit entry names the plugin"
    );

    // In bulk: the same refusal, reported, and the other deletion goes on.
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/bulk",
            &as_alice,
            Some(json!({
                "items": [
                    {"op": "delete", "id": bea, "activeBookings": 0},
                    {"op": "delete", "id": samir.id, "activeBookings": 0},
                ],
                "confirmed": true,
                "confirmCount": 2,
            })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let r = &v["results"];
    assert_eq!(r[0]["outcome"], "refused", "{v}");
    assert_eq!(r[0]["reason"], "plugin_denied", "{v}");
    assert_eq!(r[0]["deny"]["code"], "four_eyes_required", "{v}");
    assert_eq!(r[0]["plugins"][0]["plugin"], "four-eyes", "{v}");
    assert_eq!(r[1]["outcome"], "committed", "{v}");
    assert_eq!(v["summary"]["refused"], 1, "{v}");
    assert_eq!(deleted(bea).await, 0, "nothing deleted");
    assert_eq!(deleted(samir.id.clone()).await, 1);
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE target_id = $1 AND body LIKE '%\"plugin\":\"four-eyes\"%'",
            &samir.id,
        )
        .await,
        1,
        "the bulk deletion's audit entry names the plugin"
    );
}
on_both!(deletions_run_the_plugins);

/// An edit that takes an administrator's role away reaches four-eyes' demotion rule: the
/// plugin sees the target as it is before the edit, with the role change, under the edit's
/// action and under the policy's assign action.
async fn demoting_an_administrator_by_an_edit_runs_four_eyes(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let manager = demo_user(&users, "manager");
    let admin = admin_key(env, HR).await;
    let service = env.key(HR, "service").await;
    let as_hr = Auth::key(&service, &hr.id);
    let mut alix = hr_user("Alix", "alix.blanc@company.com", &manager.id);
    alix["roles"] = json!(["hrAdmin"]);
    let alix = create_user(env, &as_hr, alix).await;
    let demote = || async {
        env.call(
            Method::PATCH,
            &format!("/api/v1/users/{alix}"),
            &as_hr,
            Some(json!({"roles": ["employee"]})),
        )
        .await
    };
    // The default configuration: demotions are `roles.assign`, which an edit of the
    // roles is.
    env.put_plugin(
        &admin,
        "four-eyes",
        "four_eyes.wasm",
        json!({"adminRoles": ["hrAdmin"]}),
    )
    .await;
    let (s, v, _) = demote().await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["error"], "denied", "{v}");
    assert_eq!(v["deny"]["code"], "four_eyes_required", "{v}");
    assert!(
        v["plugins"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["plugin"] == "four-eyes" && p["outcome"] == "deny"),
        "{v}"
    );
    // Demotions named as the edit itself: the plugin sees who the target was.
    env.put_plugin(
        &admin,
        "four-eyes",
        "four_eyes.wasm",
        json!({"adminRoles": ["hrAdmin"], "demoteActions": ["users.update"]}),
    )
    .await;
    let (s, v, _) = demote().await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["deny"]["code"], "four_eyes_required", "{v}");
    // Nothing changed.
    let stored = read_user(env, &as_hr, &alix).await;
    assert_eq!(stored["roles"], json!(["hrAdmin"]), "{stored}");
    // An edit that leaves the roles alone is no demotion.
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{alix}"),
            &as_hr,
            Some(json!({"jobTitle": "HR Business Partner"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["plugins"][0]["plugin"], "four-eyes", "{v}");
}
on_both!(demoting_an_administrator_by_an_edit_runs_four_eyes);

/// Directory-mode validation of a record that needs no store checks still runs the
/// tenant's plugins (as stateless mode does), and names them.
async fn directory_validation_without_checks_runs_the_plugins(env: &Env) {
    let users = env.demo(HR).await;
    let manager = demo_user(&users, "manager");
    // Neither a unique email nor a required manager: a record needs no store check.
    env.edit_policy(HR, |doc| {
        doc["fields"]["email"]
            .as_object_mut()
            .unwrap()
            .remove("unique");
        doc["fields"]["manager"]["required"] = json!(false);
    })
    .await;
    let admin = admin_key(env, HR).await;
    let service = env.key(HR, "service").await;
    let as_manager = Auth::key(&service, &manager.id);
    env.put_plugin(
        &admin,
        "email-domain",
        "email_domain.wasm",
        json!({"allowedDomains": ["company.com"]}),
    )
    .await;
    let mut record = hr_user("Nora", "nora.blanc@gmail.example", &manager.id);
    record.as_object_mut().unwrap().remove("manager");
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/decide/validate?mode=directory",
            &as_manager,
            Some(json!({"user": record})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(
        v["checks"].as_array().is_none_or(Vec::is_empty),
        "the record needs no store check: {v}"
    );
    assert_eq!(v["valid"], false, "{v}");
    assert!(
        v["violations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["source"]["plugin"] == "email-domain"),
        "{v}"
    );
    assert_eq!(v["plugins"][0]["plugin"], "email-domain", "{v}");
    // An address the plugin accepts is valid, and the plugin still named.
    record["email"] = json!("nora.blanc@company.com");
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/decide/validate?mode=directory",
            &as_manager,
            Some(json!({"user": record})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["plugins"][0]["plugin"], "email-domain", "{v}");
}
on_both!(directory_validation_without_checks_runs_the_plugins);

/// A plugin is told the decision the server's kernel made, with the server's directory:
/// the CEO reads Sophie through the `team` scope two levels down (CEO, her manager,
/// Sophie), which the directory allows and Sophie's own `manager` field alone would not.
/// The `echo-core` hostile plugin refuses, naming the decision it was given; every way a
/// decision reaches the plugins says `allow`. (The host once decided again for the
/// plugins, without the directory, and told them `deny`.)
async fn plugins_are_told_the_servers_decision(env: &Env) {
    let users = env.demo(HR).await;
    let ceo = demo_user(&users, "ceo");
    let sophie = demo_user(&users, "sophie");
    let admin = admin_key(env, HR).await;
    let service = env.key(HR, "service").await;
    env.put_plugin(
        &admin,
        "hostile",
        "hostile.wasm",
        json!({"mode": "echo-core"}),
    )
    .await;
    let told = "core decision: allow (-)";
    let service_key = Auth::Key {
        token: service.clone(),
        act_as: None,
    };
    let v = evaluation_answer(env, &service_key, &ceo.id, &sophie.id).await;
    assert_eq!(v["decision"], false, "the plugin refuses: {v}");
    assert_eq!(v["context"]["plugins"][0]["outcome"], "deny", "{v}");
    assert!(v["context"]["deny"].to_string().contains(told), "{v}");
    // The native decision API, the directory filled in by the server.
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/decide/authorize",
            &Auth::key(&service, &ceo.id),
            Some(json!({"action": "users.read", "target": sophie.id})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["decision"], "deny", "{v}");
    assert!(v["deny"].to_string().contains(told), "{v}");
    // An AuthZEN resource search: the plugin refuses every row, each told `allow`.
    let (s, v, _) = env
        .call(
            Method::POST,
            "/access/v1/search/resource",
            &service_key,
            Some(json!({"subject": {"type": "user", "id": ceo.id}, "action": {"name": "users.read"}, "resource": {"type": "user"}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["results"], json!([]), "{v}");
}
on_both!(plugins_are_told_the_servers_decision);
