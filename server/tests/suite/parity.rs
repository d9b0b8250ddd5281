//! Neighbouring routes answer alike: a password set by an edit, a reset or a redemption is
//! held as the password route holds it; a bulk item as its single-item route; a list's
//! search, a body's lists and a query string as documented. Found by black-box probes of
//! a running server (2026-12-06); each test fails on the server before its fix.
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

const CRM: &str = "crm";
const HR: &str = "hr-platform";
const PPP: &str = "production-planner-pro";
const RENTAL: &str = "rental-platform";

/// A signed-in session of `login`.
async fn session(env: &Env, tenant: &str, login: &str, password: &str) -> Auth {
    let cookie = env
        .sign_in(tenant, login, password)
        .await
        .unwrap_or_else(|| panic!("{login} signs in"));
    Auth::cookie(&cookie)
}

/// What `GET /session` answers a session: 200 while it lives.
async fn session_status(env: &Env, me: &Auth) -> StatusCode {
    env.call(Method::GET, "/api/v1/session", me, None).await.0
}

/// An administrator's reset ends the user's sessions, whatever the method: a session
/// opened with the old password could otherwise set a password of its own over the one
/// the administrator chose (CRM asks no current password), taking the account back.
async fn a_reset_ends_the_users_sessions(env: &Env) {
    let users = env.demo(CRM).await;
    let admin = demo_user(&users, "admin");
    let tom = demo_user(&users, "rep");
    let key = env.key(CRM, "service").await;
    let as_admin = Auth::key(&key, &admin.id);
    let reset = format!("/api/v1/users/{}/password-reset", tom.id);
    let chosen = "Rv5-Heron-Indigo!";

    let me = session(env, CRM, &tom.login, DEMO_PASSWORD).await;
    let (s, v, _) = env
        .call(
            Method::POST,
            &reset,
            &as_admin,
            Some(json!({"method": "admin", "password": chosen})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(
        v["obligations"]
            .as_array()
            .is_some_and(|o| o.iter().any(|o| o["kind"] == "revokeSessions")),
        "{v}"
    );
    assert_eq!(session_status(env, &me).await, StatusCode::UNAUTHORIZED);
    let (s, v, _) = env
        .call(
            Method::POST,
            &format!("/api/v1/users/{}/password", tom.id),
            &me,
            Some(json!({"password": "Attacker-Owned-9!"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    assert!(env.sign_in(CRM, &tom.login, chosen).await.is_some());

    // A temporary password ends them too (the rental platform offers the method).
    let rental = env.demo(RENTAL).await;
    let alice = demo_user(&rental, "admin");
    let lucas = demo_user(&rental, "customer");
    let me = session(env, RENTAL, &lucas.login, DEMO_PASSWORD).await;
    let key = env.key(RENTAL, "service").await;
    let (s, v, _) = env
        .call(
            Method::POST,
            &format!("/api/v1/users/{}/password-reset", lucas.id),
            &Auth::key(&key, &alice.id),
            Some(json!({"method": "temporaryPassword"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(session_status(env, &me).await, StatusCode::UNAUTHORIZED);
}
on_both!(a_reset_ends_the_users_sessions);

/// A password set by an edit is held as `POST /users/{id}/password` holds it: a wrong
/// current password counts as a failed sign-in (the lockout applies: the edit is no oracle
/// to guess with), the current password is not a new one, and every session ends; a
/// password an administrator sets for someone else must be changed at the next sign-in.
async fn a_password_edit_is_held_as_the_password_route(env: &Env) {
    let rental = env.demo(RENTAL).await;
    let lucas = demo_user(&rental, "customer");
    let me = session(env, RENTAL, &lucas.login, DEMO_PASSWORD).await;
    let path = format!("/api/v1/users/{}", lucas.id);
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &path,
            &me,
            Some(json!({"password": DEMO_PASSWORD, "currentPassword": DEMO_PASSWORD})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["errors"][0]["code"], "password_unchanged", "{v}");
    for i in 0..5 {
        let (s, v, _) = env
            .call(
                Method::PATCH,
                &path,
                &me,
                Some(json!({"password": "Violet-Kettle-42!x", "currentPassword": format!("wrong-{i}")})),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    }
    // The lock ended the session left open (the lock's obligations, as an administrator's
    // lock): it cannot go on guessing, not even with the right current password.
    let (s, v, _) = env
        .call(
            Method::POST,
            &format!("{path}/password"),
            &me,
            Some(json!({"password": "Violet-Kettle-42!x", "currentPassword": DEMO_PASSWORD})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    // The policy's lockout (5 failures) locked the account: the right password no longer
    // signs in.
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/session",
            &Auth::None,
            Some(json!({"tenant": RENTAL, "login": lucas.login, "password": DEMO_PASSWORD})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM users WHERE id = $1 AND status = 'locked'",
            &lucas.id
        )
        .await,
        1
    );

    // One's own password changed by an edit ends every session, the caller's too.
    let users = env.demo(PPP).await;
    let bob = demo_user(&users, "bob");
    let admin = demo_user(&users, "admin");
    let me = session(env, PPP, &bob.login, DEMO_PASSWORD).await;
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", bob.id),
            &me,
            Some(json!({"password": "Violet-Kettle-42!x", "currentPassword": DEMO_PASSWORD})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(session_status(env, &me).await, StatusCode::UNAUTHORIZED);
    // Set by a super administrator: temporary, and Bob's new session ends with it.
    let me = session(env, PPP, &bob.login, "Violet-Kettle-42!x").await;
    let key = env.key(PPP, "service").await;
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", bob.id),
            &Auth::key(&key, &admin.id),
            Some(json!({"password": "Amber-Lantern-77?q"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(session_status(env, &me).await, StatusCode::UNAUTHORIZED);
    let me = session(env, PPP, &bob.login, "Amber-Lantern-77?q").await;
    let (s, v, _) = env.call(Method::GET, "/api/v1/session", &me, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["mustChangePassword"], true, "{v}");
}
on_both!(a_password_edit_is_held_as_the_password_route);

/// A reset token does not set the current password again, as the password route refuses
/// it; the token stays valid for another password.
async fn a_redeemed_token_needs_a_new_password(env: &Env) {
    let users = env.demo(CRM).await;
    let admin = demo_user(&users, "admin");
    let tom = demo_user(&users, "rep");
    let key = env.key(CRM, "service").await;
    let (s, v, _) = env
        .call(
            Method::POST,
            &format!("/api/v1/users/{}/password-reset", tom.id),
            &Auth::key(&key, &admin.id),
            Some(json!({"method": "token"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let token: String = sqlx_token(env, &tom.id).await;
    let redeem = |password: &str| json!({"tenant": CRM, "token": token, "password": password});
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/password-reset",
            &Auth::None,
            Some(redeem(DEMO_PASSWORD)),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["errors"][0]["code"], "password_unchanged", "{v}");
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/password-reset",
            &Auth::None,
            Some(redeem("Rv5-Heron-Indigo!")),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // A password changed by a token carries the policy's `changes.password` obligations
    // (rental: the user is told), as a change through the password route does: a leaked
    // token does not take an account over unannounced.
    let rental = env.demo(RENTAL).await;
    let (alice, lucas) = (demo_user(&rental, "admin"), demo_user(&rental, "customer"));
    let key = env.key(RENTAL, "service").await;
    let (s, v, _) = env
        .call(
            Method::POST,
            &format!("/api/v1/users/{}/password-reset", lucas.id),
            &Auth::key(&key, &alice.id),
            Some(json!({"method": "token"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let told = "SELECT COUNT(*) FROM outbox WHERE user_id = $1 AND kind = 'notifyUser'";
    let before = env.scalar(told, &lucas.id).await;
    let token = sqlx_token(env, &lucas.id).await;
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/password-reset",
            &Auth::None,
            Some(json!({"tenant": RENTAL, "token": token, "password": "Rv5-Heron-Indigo!"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let kinds: Vec<&str> = v["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"notifyUser"), "{v}");
    assert!(kinds.contains(&"revokeSessions"), "{v}");
    assert_eq!(env.scalar(told, &lucas.id).await, before + 1);
}
on_both!(a_redeemed_token_needs_a_new_password);

/// The token a reset issued, from the outbox message that carries it to the user.
async fn sqlx_token(env: &Env, user: &str) -> String {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT payload FROM outbox WHERE user_id = $1 AND kind = 'issueResetToken'",
    )
    .bind(user)
    .fetch_all(env.app.db.pool())
    .await
    .expect("outbox");
    rows.iter()
        .find_map(|p| {
            let v: Value = serde_json::from_str(p).ok()?;
            v["token"].as_str().map(str::to_owned)
        })
        .unwrap_or_else(|| panic!("no reset token in the outbox: {rows:?}"))
}

/// A bulk item the kernel cannot decide (an undeclared role, a role both added and
/// removed) is reported with its error, and the other items are decided and committed:
/// nothing is lost, and adding and removing a role at once no longer slips a forbidden
/// combination past the kernel (it judged the role removed, the server stored it added).
async fn a_bulk_item_that_cannot_be_decided_is_reported(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let paul = demo_user(&users, "paul");
    let sophie = demo_user(&users, "sophie");
    let key = env.key(HR, "service").await;
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/bulk",
            &Auth::key(&key, &hr.id),
            Some(json!({"items": [
                {"op": "roles", "id": paul.id, "add": ["bogus"]},
                {"op": "roles", "id": hr.id, "add": ["hrViewer"], "remove": ["hrViewer"]},
                {"op": "status", "id": sophie.id, "to": "inactive"}
            ]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let r = &v["results"];
    assert_eq!(r[0]["outcome"], "refused", "{v}");
    assert_eq!(r[0]["error"]["code"], "unknown_role", "{v}");
    assert_eq!(r[1]["outcome"], "refused", "{v}");
    assert_eq!(r[1]["error"]["code"], "conflicting_change", "{v}");
    assert_eq!(r[2]["outcome"], "committed", "{v}");
    assert_eq!(env.stored_status(&sophie.id).await, "inactive");
    let roles: String = sqlx::query_scalar("SELECT roles FROM users WHERE id = $1")
        .bind(&hr.id)
        .fetch_one(env.app.db.pool())
        .await
        .expect("a stored user");
    assert!(!roles.contains("hrViewer"), "{roles}");
}
on_both!(a_bulk_item_that_cannot_be_decided_is_reported);

/// A body's fields are refused, naming the field, rather than replaced or stored as they
/// would never be by their own routes: a status that is not a string (it became the
/// initial status), a list naming one role twice, a dynamic group (its members are those
/// meeting its rule).
async fn a_bodys_lists_and_status_are_checked(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let sophie = demo_user(&users, "sophie");
    let key = env.key(HR, "service").await;
    let as_hr = Auth::key(&key, &hr.id);
    let mut user = json!({"firstName": "Nina", "lastName": "Roux", "email": "nina.roux@company.com", "jobTitle": "QA Engineer", "manager": sophie.id, "organization": "company"});
    for bad in [json!(123), json!(true), json!(["active"])] {
        user["status"] = bad;
        let (s, v, _) = env
            .call(Method::POST, "/api/v1/users", &as_hr, Some(user.clone()))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["field"], "status", "{v}");
    }
    let path = format!("/api/v1/users/{}", sophie.id);
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &path,
            &as_hr,
            Some(json!({"roles": ["employee", "employee"]})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["field"], "roles", "{v}");
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &path,
            &as_hr,
            Some(json!({"groups": ["hr-team"]})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["errors"][0]["code"], "dynamic_group", "{v}");
    let (_, v, _) = env.call(Method::GET, &path, &as_hr, None).await;
    assert!(
        !v["user"]["groups"]
            .as_array()
            .is_some_and(|g| g.iter().any(|g| g == "hr-team")),
        "{v}"
    );
}
on_both!(a_bodys_lists_and_status_are_checked);

/// A query parameter an operation does not take is refused, not ignored: an edit sent
/// with `?dryRun=true` must not be stored as if the caller had asked for it. A 405 names
/// the methods the route answers.
async fn a_query_an_operation_does_not_take_is_refused(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let sophie = demo_user(&users, "sophie");
    let key = env.key(HR, "service").await;
    let as_hr = Auth::key(&key, &hr.id);
    let path = format!("/api/v1/users/{}", sophie.id);
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &format!("{path}?dryRun=true"),
            &as_hr,
            Some(json!({"jobTitle": "Changed Title"})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["code"], "unknown_parameter", "{v}");
    assert_eq!(v["field"], "dryRun", "{v}");
    let (_, v, _) = env.call(Method::GET, &path, &as_hr, None).await;
    assert_ne!(v["user"]["jobTitle"], "Changed Title", "{v}");
    // Documented parameters still pass; unknown ones are named by the route's own check.
    let (s, v, _) = env
        .call(Method::GET, "/api/v1/users?limit=1", &as_hr, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v, _) = env
        .call(Method::GET, "/api/v1/statistics?foo=1", &as_hr, None)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["field"], "foo", "{v}");
    let (s, v, h) = env.call(Method::POST, &path, &as_hr, Some(json!({}))).await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED, "{v}");
    let message = v["message"].as_str().unwrap_or_default();
    for m in ["GET", "PATCH", "DELETE"] {
        assert!(message.contains(m), "{v}");
    }
    assert!(h.get("allow").is_some(), "{h:?}");
    // The operational routes take what monitors add.
    let (s, v, _) = env
        .call(Method::GET, "/healthz?v=1", &Auth::None, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}
on_both!(a_query_an_operation_does_not_take_is_refused);

/// A page of a search holds the users the search finds, whatever its letters: the store
/// matches the values' lower-cased text (`users.search`), not the record's JSON, so a
/// search of letters beyond ASCII, or of a field's name, does not read pages of users it
/// then drops (an empty page with a cursor). Rows without their search text (written
/// before the column) are still found, and given it when a server starts.
async fn a_search_page_holds_what_it_finds(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let sophie = demo_user(&users, "sophie");
    let key = env.key(HR, "service").await;
    let as_hr = Auth::key(&key, &hr.id);
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/users",
            &as_hr,
            Some(json!({"firstName": "Ярослава", "lastName": "Щербакова", "email": "yaroslava.s@company.com", "jobTitle": "QA Engineer", "manager": sophie.id, "organization": "company"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let page = |q: &'static str| {
        let as_hr = as_hr.clone();
        async move {
            let (s, v, _) = env
                .call(
                    Method::GET,
                    &format!("/api/v1/users?limit=1&q={q}"),
                    &as_hr,
                    None,
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
            (v["users"].as_array().map_or(0, Vec::len), v["next"].clone())
        }
    };
    let lower = "%D1%89%D0%B5%D1%80%D0%B1"; // щерб
    let upper = "%D0%A9%D0%95%D0%A0%D0%91"; // ЩЕРБ
    for q in [lower, upper, "yaroslava"] {
        assert_eq!(page(q).await, (1, Value::Null), "{q}");
    }
    // A field's name, in every record's JSON but in no value: nothing, and no next page.
    assert_eq!(page("firstname").await, (0, Value::Null));
    assert_eq!(page("%C3%A9").await, (0, Value::Null), "é is in no value");

    // Rows without their search text: candidates the values decide, then filled.
    let cleared = sqlx::query("UPDATE users SET search = NULL WHERE tenant_id = $1")
        .bind(HR)
        .execute(env.app.db.pool())
        .await
        .unwrap()
        .rows_affected();
    assert!(cleared > 1);
    // (Every row a candidate: pages may come back empty, and the walk finds the one.)
    let walk = |q: &'static str| {
        let as_hr = as_hr.clone();
        async move {
            let (mut found, mut cursor) = (0, String::new());
            for _ in 0..100 {
                let (s, v, _) = env
                    .call(
                        Method::GET,
                        &format!("/api/v1/users?limit=1&q={q}{cursor}"),
                        &as_hr,
                        None,
                    )
                    .await;
                assert_eq!(s, StatusCode::OK, "{v}");
                found += v["users"].as_array().map_or(0, Vec::len);
                match v["next"].as_str() {
                    Some(next) => cursor = format!("&cursor={next}"),
                    None => return found,
                }
            }
            panic!("more pages than users");
        }
    };
    assert_eq!(walk(lower).await, 1, "found without its search text");
    assert_eq!(walk("firstname").await, 0);
    let filled = warden_server::store::fill_search_column(env.app.db.pool())
        .await
        .unwrap();
    assert_eq!(filled, cleared);
    let stored: String = sqlx::query_scalar(
        "SELECT search FROM users WHERE tenant_id = $1 AND search LIKE '%yaroslava%'",
    )
    .bind(HR)
    .fetch_one(env.app.db.pool())
    .await
    .unwrap();
    assert!(stored.contains("щербакова"), "{stored}");
    assert!(!stored.contains("firstname"), "{stored}");
    for q in [lower, upper] {
        assert_eq!(page(q).await, (1, Value::Null), "{q}");
    }
}
on_both!(a_search_page_holds_what_it_finds);

/// A search finds the LIKE wildcards as themselves: `_` is an underscore, `%` a percent
/// sign, not "any character" or "anything".
async fn a_search_takes_wildcards_literally(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let sophie = demo_user(&users, "sophie");
    let key = env.key(HR, "service").await;
    let as_hr = Auth::key(&key, &hr.id);
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/users",
            &as_hr,
            Some(json!({"firstName": "Una", "lastName": "Score", "email": "under_score@company.com", "jobTitle": "QA Engineer", "manager": sophie.id, "organization": "company"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/users",
            &as_hr,
            Some(json!({"firstName": "Rita", "lastName": "Dee", "email": "rita.dee@company.com", "jobTitle": "R\\D Engineer", "manager": sophie.id, "organization": "company"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let found = |q: &'static str| {
        let as_hr = as_hr.clone();
        async move {
            let (s, v, _) = env
                .call(Method::GET, &format!("/api/v1/users?q={q}"), &as_hr, None)
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
            v["users"].as_array().map_or(0, Vec::len)
        }
    };
    assert_eq!(found("under_score").await, 1, "`_` is searched for");
    assert_eq!(found("nder_sco").await, 1);
    assert_eq!(found("under%25score").await, 0, "`%` is no wildcard");
    assert_eq!(found("%25").await, 0, "`%` alone matches nobody here");
    assert_eq!(
        found("r%5Cd%20engineer").await,
        1,
        "a backslash is found as typed"
    );
    // Letters beyond ASCII in any case, on SQLite as on PostgreSQL.
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/users",
            &as_hr,
            Some(json!({"firstName": "Émile", "lastName": "Ørsted", "email": "emile.orsted@company.com", "jobTitle": "QA Engineer", "manager": sophie.id, "organization": "company"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    for q in [
        "%C3%89mile",
        "%C3%A9mile",
        "%C3%89MILE",
        "%C3%B8rsted",
        "RSTED",
        "mile",
    ] {
        assert_eq!(found(q).await, 1, "{q}");
    }
    // A letter beyond ASCII whose lower case is ASCII (KELVIN SIGN): found by its
    // lower case on SQLite as on PostgreSQL.
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/users",
            &as_hr,
            Some(json!({"firstName": "\u{212a}zqy", "lastName": "Kelvin", "email": "kzqy@company.com", "jobTitle": "QA Engineer", "manager": sophie.id, "organization": "company"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(found("kzqy").await, 1);
    // Values only: never a field's name, nor a literal.
    for q in ["firstName", "lastname", "organization", "null", "true"] {
        assert_eq!(found(q).await, 0, "{q}");
    }
    assert_eq!(found("%22").await, 0, "a quote is in no value here");
    // One text however it is encoded: a name stored with a combining accent (NFD) is
    // found by the composed letter (NFC) and by itself, and the other way round.
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/users",
            &as_hr,
            Some(json!({"firstName": "Ame\u{301}lie", "lastName": "Nfd", "email": "amelie.nfd@company.com", "jobTitle": "QA Engineer", "manager": sophie.id, "organization": "company"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    for q in ["am%C3%A9lie", "AM%C3%89LIE", "ame%CC%81lie", "Ame%CC%81"] {
        assert_eq!(found(q).await, 1, "{q}");
    }
    assert_eq!(
        found("%C3%A9mile").await,
        1,
        "stored composed, searched composed"
    );
    assert_eq!(
        found("e%CC%81mile").await,
        1,
        "stored composed, searched decomposed"
    );
    // Its length is counted composed: 60 letters typed with combining accents are 60.
    let decomposed = "e%CC%81".repeat(60);
    let (s, v, _) = env
        .call(
            Method::GET,
            &format!("/api/v1/users?q={decomposed}"),
            &as_hr,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // A search text too long is refused, not cut.
    let long = "a".repeat(101);
    let (s, v, _) = env
        .call(
            Method::GET,
            &format!("/api/v1/users?q={long}"),
            &as_hr,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(
        (&v["code"], &v["field"]),
        (&json!("invalid_parameter"), &json!("q")),
        "{v}"
    );
}
on_both!(a_search_takes_wildcards_literally);

/// An import's preview shows the rows as they would be stored, never their passwords,
/// and names every key the directory already holds, to the last row of the largest file
/// a preview takes (10,000 rows).
async fn an_import_preview_shows_no_password_and_every_taken_key(env: &Env) {
    let users = env.demo(PPP).await;
    let admin = demo_user(&users, "admin");
    let bob = demo_user(&users, "bob");
    let key = env.key(PPP, "service").await;
    let mut csv = String::from("firstName,lastName,email,password,organization\n");
    for i in 0..9_999 {
        csv.push_str(&format!(
            "Ann,Lee,ann{i}@planner.example,Kx8-Pelican-Ruby!,plant-a\n"
        ));
    }
    csv.push_str(&format!(
        "Bob,Again,{},Kx8-Pelican-Ruby!,plant-a\n",
        bob.login
    ));
    let (s, v, _) = env
        .call_raw(
            Method::POST,
            "/api/v1/imports?format=csv",
            &Auth::key(&key, &admin.id),
            Some(csv),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let text = v.to_string();
    assert!(
        !text.contains("Kx8-Pelican-Ruby!"),
        "a password in the preview"
    );
    let taken: Vec<&Value> = v["taken"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
        .flat_map(|k| k.as_array().into_iter().flatten())
        .collect();
    assert_eq!(taken.len(), 1, "{}", v["taken"]);
    assert!(
        taken[0].as_str().is_some_and(|k| k.contains("bob@")),
        "{}",
        v["taken"]
    );
}
on_both!(an_import_preview_shows_no_password_and_every_taken_key);

/// A bulk import hashes its users' passwords before its transaction begins: while it
/// hashes (tens of milliseconds a password), a single write of the same tenant is not held
/// behind the batch's transaction, and ends first; the imported passwords sign in. (On
/// SQLite the batch held the database's one writer while it hashed: the single write
/// waited for the whole import.)
async fn a_bulk_import_hashes_its_passwords_before_it_writes(env: &Env) {
    let users = env.demo(PPP).await;
    let admin = demo_user(&users, "admin");
    let key = env.key(PPP, "service").await;
    let as_admin = Auth::key(&key, &admin.id);
    let user = |email: String| json!({"firstName": "Ann", "lastName": "Lee", "email": email, "password": "Kx8-Pelican-Ruby!", "organization": "plant-a"});
    let items: Vec<Value> = (0..32)
        .map(|i| json!({"op": "import", "user": user(format!("hashed{i}@planner.example"))}))
        .collect();
    // One batch: with the hashing inside it, the single write would wait for all of it.
    let bulk = async {
        let r = env
            .call(
                Method::POST,
                "/api/v1/bulk",
                &as_admin,
                Some(json!({"items": items, "batchSize": 100})),
            )
            .await;
        (r, std::time::Instant::now())
    };
    let single = async {
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        let r = env
            .call(
                Method::POST,
                "/api/v1/users",
                &as_admin,
                Some(user("single@planner.example".into())),
            )
            .await;
        (r, std::time::Instant::now())
    };
    let (((s, v, _), bulk_done), ((s1, v1, _), single_done)) = tokio::join!(bulk, single);
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["summary"]["committed"], 32, "{v}");
    assert_eq!(s1, StatusCode::CREATED, "{v1}");
    assert!(
        single_done < bulk_done,
        "the single write waited for the bulk import's hashing"
    );
    for login in ["hashed0@planner.example", "hashed31@planner.example"] {
        assert!(
            env.sign_in(PPP, login, "Kx8-Pelican-Ruby!").await.is_some(),
            "{login} signs in with the imported password"
        );
    }
}
on_both!(a_bulk_import_hashes_its_passwords_before_it_writes);

/// An AuthZEN question as `env.call` sends it (a service key, no user acted for).
async fn authzen(env: &Env, key: &str, path: &str, body: Value) -> Value {
    let auth = Auth::Key {
        token: key.to_owned(),
        act_as: None,
    };
    let (s, v, _) = env.call(Method::POST, path, &auth, Some(body)).await;
    assert_eq!(s, StatusCode::OK, "{path}: {v}");
    v
}

fn names(v: &Value, key: &str) -> Vec<String> {
    v["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r[key].as_str().map(str::to_owned))
        .collect()
}

/// An AuthZEN evaluation of a deletion is the deletion route's answer: the lifecycle is
/// asked too (CRM's policy has no deletion: the route refuses every one), and the three
/// searches answer as evaluations would.
async fn an_authzen_deletion_is_the_routes(env: &Env) {
    let users = env.demo(CRM).await;
    let ana = demo_user(&users, "admin");
    let tom = demo_user(&users, "rep");
    let key = env.key(CRM, "service").await;
    let (s, v, _) = env
        .call(
            Method::DELETE,
            &format!("/api/v1/users/{}?confirm=true", tom.id),
            &Auth::key(&key, &ana.id),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let route_code = v["deny"]["code"].clone();
    let ask = json!({"subject": {"type": "user", "id": ana.id}, "action": {"name": "delete"}, "resource": {"type": "user", "id": tom.id}});
    let v = authzen(env, &key, "/access/v1/evaluation", ask).await;
    assert_eq!(v["decision"], false, "{v}");
    assert_eq!(v["context"]["deny"]["code"], route_code, "{v}");
    let v = authzen(
        env,
        &key,
        "/access/v1/search/action",
        json!({"subject": {"type": "user", "id": ana.id}, "resource": {"type": "user", "id": tom.id}}),
    )
    .await;
    let actions = names(&v, "name");
    assert!(actions.contains(&"read".to_owned()), "{v}");
    assert!(!actions.contains(&"delete".to_owned()), "{v}");
    let v = authzen(
        env,
        &key,
        "/access/v1/search/subject",
        json!({"subject": {"type": "user"}, "action": {"name": "delete"}, "resource": {"type": "user", "id": tom.id}}),
    )
    .await;
    assert_eq!(names(&v, "id"), Vec::<String>::new(), "{v}");
    let v = authzen(
        env,
        &key,
        "/access/v1/search/resource",
        json!({"subject": {"type": "user", "id": ana.id}, "action": {"name": "delete"}, "resource": {"type": "user"}}),
    )
    .await;
    assert_eq!(names(&v, "id"), Vec::<String>::new(), "{v}");
}
on_both!(an_authzen_deletion_is_the_routes);

/// Every resource a search returns is one an evaluation of the same question allows
/// (AuthZEN 1.0, resource search semantics): a creation's question also judges the roles
/// it would grant, which the scope's filter alone does not (Hugo holds `hrAdmin`, and
/// `employee` through the active employees' group: a combination the policy forbids once
/// it is changed to, as a policy may be after its users were written).
async fn a_resource_search_returns_what_evaluations_allow(env: &Env) {
    let users = env.demo(HR).await;
    env.edit_policy(HR, |d| {
        d["access"]["forbiddenCombinations"]
            .as_array_mut()
            .unwrap()
            .push(json!({"roles": ["hrAdmin", "employee"], "reason": {"en": "An HR administrator is not an employee here"}}));
    })
    .await;
    let key = env.key(HR, "service").await;
    for who in ["hr", "ceo"] {
        let subject = demo_user(&users, who);
        for action in ["create", "read", "update", "delete"] {
            let v = authzen(
                env,
                &key,
                "/access/v1/search/resource",
                json!({"subject": {"type": "user", "id": subject.id}, "action": {"name": action}, "resource": {"type": "user"}}),
            )
            .await;
            for id in names(&v, "id") {
                let e = authzen(
                    env,
                    &key,
                    "/access/v1/evaluation",
                    json!({"subject": {"type": "user", "id": subject.id}, "action": {"name": action}, "resource": {"type": "user", "id": id}}),
                )
                .await;
                assert_eq!(e["decision"], true, "{who} {action} {id}: {e}");
            }
        }
    }
    let hugo = demo_user(&users, "hr");
    let e = authzen(
        env,
        &key,
        "/access/v1/evaluation",
        json!({"subject": {"type": "user", "id": hugo.id}, "action": {"name": "create"}, "resource": {"type": "user", "id": hugo.id}}),
    )
    .await;
    assert_eq!(e["decision"], false, "{e}");
    // Not an empty answer: HR reads all five, and may "create" the four others.
    let search = |action: &str| json!({"subject": {"type": "user", "id": hugo.id}, "action": {"name": action}, "resource": {"type": "user"}});
    let v = authzen(env, &key, "/access/v1/search/resource", search("read")).await;
    assert_eq!(names(&v, "id").len(), 5, "{v}");
    let v = authzen(env, &key, "/access/v1/search/resource", search("create")).await;
    let ids = names(&v, "id");
    assert_eq!(ids.len(), 4, "{v}");
    assert!(!ids.contains(&hugo.id), "{v}");
}
on_both!(a_resource_search_returns_what_evaluations_allow);

/// An action of one module does not decide a resource of another type: `accounts.read`
/// on a lead is no answer about the lead (the action search never lists it there).
async fn an_action_decides_its_own_modules_resources(env: &Env) {
    let users = env.demo(CRM).await;
    let mia = demo_user(&users, "manager");
    let admin_key = env.key(CRM, "admin").await;
    let as_admin = Auth::Key {
        token: admin_key,
        act_as: None,
    };
    let (s, v, _) = env
        .call(
            Method::PUT,
            "/api/v1/resources/lead/l1",
            &as_admin,
            Some(json!({"organization": "acme", "owner": mia.id})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "created: {v}");
    let key = env.key(CRM, "service").await;
    let ask = |action: &str| json!({"subject": {"type": "user", "id": mia.id}, "action": {"name": action}, "resource": {"type": "lead", "id": "l1"}});
    let v = authzen(env, &key, "/access/v1/evaluation", ask("accounts.read")).await;
    assert_eq!(v["decision"], false, "{v}");
    assert_eq!(
        v["context"]["error"]["code"], "action_not_applicable",
        "{v}"
    );
    let v = authzen(env, &key, "/access/v1/evaluation", ask("leads.read")).await;
    assert_eq!(v["decision"], true, "{v}");
    let v = authzen(
        env,
        &key,
        "/access/v1/search/resource",
        json!({"subject": {"type": "user", "id": mia.id}, "action": {"name": "accounts.read"}, "resource": {"type": "lead"}}),
    )
    .await;
    assert_eq!(names(&v, "id"), Vec::<String>::new(), "{v}");
    let v = authzen(
        env,
        &key,
        "/access/v1/search/subject",
        json!({"subject": {"type": "user"}, "action": {"name": "accounts.read"}, "resource": {"type": "lead", "id": "l1"}}),
    )
    .await;
    assert_eq!(names(&v, "id"), Vec::<String>::new(), "{v}");
}
on_both!(an_action_decides_its_own_modules_resources);

/// Values a route took and silently changed are refused, naming the parameter or field:
/// a page size out of range (it was clamped), an API key's name too long (it was cut) or
/// empty, an organisation's name with a control or a bidi character (user fields refuse
/// them); the acting-user header given twice or unreadable (the first one, or none, was
/// taken). A 401 names its scheme; an overlong request id is replaced, not echoed.
async fn silent_changes_are_refused(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let sophie = demo_user(&users, "sophie");
    let key = env.key(HR, "service").await;
    let as_hr = Auth::key(&key, &hr.id);
    for q in ["limit=0", "limit=-1", "limit=100000"] {
        let (s, v, _) = env
            .call(Method::GET, &format!("/api/v1/users?{q}"), &as_hr, None)
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}: {v}");
        assert_eq!(v["field"], "limit", "{v}");
    }
    let admin = env.key(HR, "admin").await;
    let as_admin = Auth::Key {
        token: admin,
        act_as: None,
    };
    for name in [String::new(), "k".repeat(101)] {
        let (s, v, _) = env
            .call(
                Method::POST,
                "/api/v1/keys",
                &as_admin,
                Some(json!({"role": "service", "name": name})),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["field"], "name", "{v}");
    }
    for name in ["N\u{0}ul", "Plant \u{202E}C"] {
        let (s, v, _) = env
            .call(
                Method::POST,
                "/api/v1/organizations",
                &as_admin,
                Some(json!({"id": "plant-z", "name": name})),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["field"], "name", "{v}");
    }
    // The acting user: twice, or not text.
    let req = |act_as: Vec<&[u8]>| {
        let mut b = axum::http::Request::builder()
            .method(Method::GET)
            .uri(format!("/api/v1/users/{}", sophie.id))
            .header("authorization", format!("Bearer {key}"));
        for a in act_as {
            b = b.header(
                "x-warden-act-as",
                axum::http::HeaderValue::from_bytes(a).unwrap(),
            );
        }
        b.body(axum::body::Body::empty()).unwrap()
    };
    for headers in [
        vec![hr.id.as_bytes(), sophie.id.as_bytes()],
        vec![b"\xff\xfe".as_slice()],
    ] {
        let (s, v, _) = env.send(req(headers)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["in"], "header", "{v}");
    }
    // A 401 names the scheme; an overlong request id is not echoed.
    let r = axum::http::Request::builder()
        .method(Method::GET)
        .uri("/api/v1/users")
        .header("x-request-id", "r".repeat(5000))
        .body(axum::body::Body::empty())
        .unwrap();
    let (s, _, h) = env.send(r).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(h.get("www-authenticate").is_some());
    let id = h.get("x-request-id").unwrap().as_bytes();
    assert!(id.len() <= 128, "{} bytes echoed", id.len());
}
on_both!(silent_changes_are_refused);

/// A committed import goes on past a row the server refuses for a field (a status the
/// importer may not give), as it goes on past one the kernel finds invalid: the row is
/// reported with its field, the others are created.
async fn an_import_goes_on_past_a_refused_row(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let sophie = demo_user(&users, "sophie");
    let key = env.key(HR, "service").await;
    let row = |first: &str, status: &str| {
        json!({"firstName": first, "lastName": "Roux", "email": format!("{}.roux@company.com", first.to_lowercase()), "jobTitle": "QA Engineer", "manager": sophie.id, "organization": "company", "status": status})
        .to_string()
    };
    let file = [
        row("Ana", "active"),
        row("Ben", "inactive"),
        row("Cy", "active"),
    ]
    .join("\n");
    let (s, v, _) = env
        .call_raw(
            Method::POST,
            "/api/v1/imports?format=jsonl&commit=true",
            &Auth::key(&key, &hr.id),
            Some(file),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 3, "{v}");
    assert!(results[0]["id"].is_string(), "{v}");
    assert_eq!(results[1]["field"], "status", "{v}");
    assert!(results[2]["id"].is_string(), "{v}");
}
on_both!(an_import_goes_on_past_a_refused_row);

/// An edit made on the user as read (`If-Match` with the `version` a read gives) is
/// refused once someone else changed the user (412 `stale_user`, nothing written): two
/// administrators editing one user no longer overwrite each other's change.
async fn an_edit_made_on_an_old_version_is_refused(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let sophie = demo_user(&users, "sophie");
    let key = env.key(HR, "service").await;
    let as_hr = Auth::key(&key, &hr.id);
    let path = format!("/api/v1/users/{}", sophie.id);
    let (_, v, _) = env.call(Method::GET, &path, &as_hr, None).await;
    let read = v["user"]["version"].as_i64().expect("a version");
    let edit = |title: &str, version: i64| {
        let mut r = axum::http::Request::builder()
            .method(Method::PATCH)
            .uri(path.clone())
            .header("authorization", format!("Bearer {key}"))
            .header("x-warden-act-as", hr.id.clone())
            .header("content-type", "application/json");
        r = r.header("if-match", format!("\"{version}\""));
        r.body(axum::body::Body::from(
            json!({"jobTitle": title}).to_string(),
        ))
        .unwrap()
    };
    let (s, v, _) = env.send(edit("Staff Engineer", read)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        v["user"]["version"],
        read + 1,
        "the version the next edit names: {v}"
    );
    // The second editor read the same version: refused, the first edit kept.
    let (s, v, _) = env.send(edit("Principal Engineer", read)).await;
    assert_eq!(s, StatusCode::PRECONDITION_FAILED, "{v}");
    assert_eq!(v["code"], "stale_user", "{v}");
    let (_, v, _) = env.call(Method::GET, &path, &as_hr, None).await;
    assert_eq!(v["user"]["jobTitle"], "Staff Engineer", "{v}");

    // An edit that changes nothing writes nothing: the version the other editor holds
    // stays good, and the audit log does not grow.
    let audited = || {
        env.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE target_id = $1",
            &sophie.id,
        )
    };
    let entries = audited().await;
    for same in [json!({}), json!({"jobTitle": "Staff Engineer"})] {
        let (s, v, _) = env.call(Method::PATCH, &path, &as_hr, Some(same)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["user"]["version"], read + 1, "{v}");
    }
    assert_eq!(audited().await, entries);
    let (s, v, _) = env.send(edit("Staff Engineer", read + 1)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}
on_both!(an_edit_made_on_an_old_version_is_refused);

/// A blank password (empty, or only white space) sets no password, on every route that
/// takes one in a record, as the kernel reads it (R000-05): an edit keeps the current
/// one, a create has none. Before, the server hashed and stored eight spaces (which the
/// kernel had read as no password, so no rule held them) and signed in with them (found
/// by a black-box probe).
async fn a_blank_password_sets_no_password(env: &Env) {
    let ppp = env.demo(PPP).await;
    let (ada, bob) = (demo_user(&ppp, "admin"), demo_user(&ppp, "bob"));
    let key = env.key(PPP, "service").await;
    let as_ada = Auth::key(&key, &ada.id);
    for blank in ["        ", "\t", "\u{3000}\u{a0}"] {
        let (s, v, _) = env
            .call(
                Method::PATCH,
                &format!("/api/v1/users/{}", bob.id),
                &as_ada,
                Some(json!({"password": blank})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{blank:?}: {v}");
        assert!(
            env.sign_in(PPP, &bob.login, blank).await.is_none(),
            "{blank:?}"
        );
    }
    assert!(env.sign_in(PPP, &bob.login, DEMO_PASSWORD).await.is_some());

    // Where the password is optional (an activation e-mail sets it), a create and a bulk
    // import with a blank one make an account without a password.
    let rental = env.demo(RENTAL).await;
    let alice = demo_user(&rental, "admin");
    let key = env.key(RENTAL, "service").await;
    let as_alice = Auth::key(&key, &alice.id);
    let record = |email: &str| json!({"firstName": "Wes", "lastName": "Space", "email": email, "phone": "+33612345678", "accountType": "supplier", "sendActivationEmail": true, "password": "        ", "organization": "rental"});
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/users",
            &as_alice,
            Some(record("wes@rental.example")),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let created = v["user"]["id"].as_str().unwrap().to_owned();
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/bulk",
            &as_alice,
            Some(json!({"items": [{"op": "import", "user": record("wes2@rental.example")}]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["results"][0]["outcome"], "committed", "{v}");
    let imported = v["results"][0]["target"].as_str().unwrap().to_owned();
    for (login, id) in [
        ("wes@rental.example", created),
        ("wes2@rental.example", imported),
    ] {
        assert!(
            env.sign_in(RENTAL, login, "        ").await.is_none(),
            "{login}"
        );
        let hash: Option<String> =
            sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
                .bind(&id)
                .fetch_one(env.app.db.pool())
                .await
                .unwrap();
        assert_eq!(hash, None, "{login}");
    }
}
on_both!(a_blank_password_sets_no_password);
