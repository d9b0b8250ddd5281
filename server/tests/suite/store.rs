//! The directory store's own machinery, on SQLite and PostgreSQL alike (each test twice:
//! `::sqlite` and `::postgres`, on a fresh database): the manager closure table, revocation,
//! login bookkeeping.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use crate::common::{Auth, Env, Which, demo_user};
use axum::http::{Method, StatusCode};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value, json};
use warden_core::access::{Filter, SqlOptions, SubtreeStrategy};
use warden_server::closure;
use warden_server::error::ApiError;
use warden_server::seed::{DEMO_PASSWORD, DemoUser};
use warden_server::store::{self, UserRow};

const HR: &str = "hr-platform";

fn row(tenant: &str, id: &str, manager: Option<String>) -> UserRow {
    UserRow {
        id: id.to_owned(),
        tenant: tenant.to_owned(),
        document: Map::new(),
        organization: Some("org".into()),
        manager,
        location: None,
        status: "active".into(),
        status_until: None,
        roles: Vec::new(),
        groups: Vec::new(),
        super_admin: false,
        root: false,
        password_hash: None,
        password_changed_at: None,
        must_change_password: false,
        session_epoch: 0,
        failed_logins: Vec::new(),
        lockouts: 0,
        deleted_at: None,
        version: 0,
    }
}

/// One step of a random history of the hierarchy.
#[derive(Debug, Clone)]
enum Op {
    /// A new user under the `n`-th live user (or at the top).
    Create(Option<usize>),
    /// The `a`-th live user moves under the `b`-th (or to the top); a move that would make a
    /// cycle is refused, as the API refuses it.
    Move(usize, Option<usize>),
    /// The `n`-th live user is deleted for good.
    Delete(usize),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        4 => proptest::option::weighted(0.8, 0..64usize).prop_map(Op::Create),
        4 => (0..64usize, proptest::option::weighted(0.85, 0..64usize)).prop_map(|(a, b)| Op::Move(a, b)),
        1 => (0..64usize).prop_map(Op::Delete),
    ];
    proptest::collection::vec(op, 1..60)
}

/// The ids the kernel's subtree filter selects, rendered with `strategy`.
async fn subtree(
    env: &Env,
    tenant: &str,
    manager: &str,
    depth: Option<u32>,
    strategy: SubtreeStrategy,
) -> Vec<String> {
    let f = Filter::Subtree {
        organization: "org".into(),
        manager: manager.to_owned(),
        depth,
    };
    let sql = f
        .to_sql(&SqlOptions {
            subtree: strategy,
            ..SqlOptions::default()
        })
        .unwrap();
    let n = sql.params.len();
    let mut conn = env.app.db.pool().acquire().await.unwrap();
    let rows = store::users_where(
        &mut conn,
        &format!("({}) AND tenant_id = ${}", sql.sql, n + 1),
        &sql.params,
        &[store::Param::Text(tenant.to_owned())],
        "ORDER BY id",
    )
    .await
    .unwrap();
    rows.into_iter().map(|u| u.id).collect()
}

/// Applies a random history through the store's own write functions (each step in its own
/// write transaction, as the API does) and compares, for every user and several depths, the
/// closure table's subtree with the recursive walk over `manager_id`.
async fn apply_and_compare(env: &Env, case: usize, history: &[Op]) -> Result<(), String> {
    let tenant = format!("t{case}");
    let policy = warden_core::Policy::from_json(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../core/presets/001-hr-platform.json"
        ))
        .unwrap(),
    )
    .unwrap();
    env.app
        .create_tenant(&tenant, &tenant, &policy)
        .await
        .unwrap();
    let mut live: Vec<UserRow> = Vec::new();
    let mut next = 0usize;
    for op in history {
        let mut tx = env.app.db.begin_write().await.unwrap();
        match op {
            Op::Create(m) => {
                let manager = m.and_then(|i| live.get(i % live.len().max(1)).map(|u| u.id.clone()));
                let u = row(&tenant, &format!("{tenant}_u{next:03}"), manager);
                next += 1;
                store::insert_user(&mut tx, &u, 0).await.unwrap();
                live.push(u);
            }
            Op::Move(a, b) => {
                if live.is_empty() {
                    continue;
                }
                let ai = a % live.len();
                let target = b.map(|j| live[j % live.len()].id.clone());
                // Refuse a cycle: the new manager is the user or below it.
                let below = subtree(
                    env,
                    &tenant,
                    &live[ai].id,
                    None,
                    SubtreeStrategy::RecursiveCte {
                        users_table: "users".into(),
                    },
                )
                .await;
                if target
                    .as_ref()
                    .is_some_and(|t| *t == live[ai].id || below.contains(t))
                {
                    continue;
                }
                live[ai].manager = target;
                // (The call counts the stored row's version, for the next write over it.)
                store::update_user(&mut tx, &mut live[ai], 0).await.unwrap();
            }
            Op::Delete(n) => {
                if live.is_empty() {
                    continue;
                }
                let u = live.remove(n % live.len());
                store::delete_user(&mut tx, &u).await.unwrap();
            }
        }
        tx.commit().await.unwrap();
    }
    for u in &live {
        for depth in [Some(1), Some(2), Some(3), None] {
            let recursive = subtree(
                env,
                &tenant,
                &u.id,
                depth,
                SubtreeStrategy::RecursiveCte {
                    users_table: "users".into(),
                },
            )
            .await;
            let closure = subtree(
                env,
                &tenant,
                &u.id,
                depth,
                warden_server::closure::strategy(),
            )
            .await;
            if recursive != closure {
                return Err(format!(
                    "subtree of {} at depth {depth:?}: recursive {recursive:?}, closure {closure:?}",
                    u.id
                ));
            }
        }
    }
    Ok(())
}

async fn closure_equals_the_recursive_walk(env: &Env) {
    let handle = tokio::runtime::Handle::current();
    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    let case = std::sync::atomic::AtomicUsize::new(0);
    let result = runner.run(&ops(), |history| {
        let c = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let r =
            tokio::task::block_in_place(|| handle.block_on(apply_and_compare(env, c, &history)));
        prop_assert!(r.is_ok(), "{}", r.err().unwrap_or_default());
        Ok(())
    });
    result.unwrap();
}
on_both!(closure_equals_the_recursive_walk);

/// The API's writes keep the closure table: a manager's N-1 (depth 1) and whole subtree
/// follow a create under a report and a move made with PATCH, and the manager's list (the
/// kernel's N-1 scope rendered on the closure table) follows.
async fn api_moves_keep_the_closure(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let manager = demo_user(&users, "manager");
    let key = env.key(HR, "service").await;
    let as_hr = Auth::key(&key, &hr.id);
    let create = |email: &str, boss: &str| json!({"firstName": "Ada", "lastName": "Moreau", "email": email, "jobTitle": "Software Engineer", "manager": boss, "status": "active", "organization": "company"});
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/users",
            &as_hr,
            Some(create("ada.moreau@company.com", &manager.id)),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let ada = v["user"]["id"].as_str().unwrap().to_owned();
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/users",
            &as_hr,
            Some(create("leo.petit@company.com", &ada)),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let leo = v["user"]["id"].as_str().unwrap().to_owned();

    let mut conn = env.app.db.pool().acquire().await.unwrap();
    let all = closure::descendants(&mut conn, &manager.id, None)
        .await
        .unwrap();
    assert!(all.contains(&ada) && all.contains(&leo), "{all:?}");
    let one = closure::descendants(&mut conn, &manager.id, Some(1))
        .await
        .unwrap();
    assert!(
        one.contains(&ada) && !one.contains(&leo),
        "depth 1 is the N-1: {one:?}"
    );
    drop(conn);
    let list = |v: &Value| -> Vec<String> {
        v["users"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|u| u["id"].as_str().map(str::to_owned))
            .collect()
    };
    let as_manager = Auth::key(&key, &manager.id);
    let (s, v, _) = env
        .call(Method::GET, "/api/v1/users", &as_manager, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(
        list(&v).contains(&ada) && !list(&v).contains(&leo),
        "the N-1 only: {v}"
    );

    // Leo moves under the manager directly: now in the N-1, and out of Ada's subtree.
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{leo}"),
            &as_hr,
            Some(json!({"manager": manager.id})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mut conn = env.app.db.pool().acquire().await.unwrap();
    let one = closure::descendants(&mut conn, &manager.id, Some(1))
        .await
        .unwrap();
    assert!(one.contains(&leo), "{one:?}");
    let under_ada = closure::descendants(&mut conn, &ada, None).await.unwrap();
    assert!(
        under_ada.is_empty(),
        "Leo left Ada's subtree: {under_ada:?}"
    );
    drop(conn);
    let (s, v, _) = env
        .call(Method::GET, "/api/v1/users", &as_manager, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(list(&v).contains(&ada) && list(&v).contains(&leo), "{v}");
}
on_both!(api_moves_keep_the_closure);

fn bearer(token: &str) -> Auth {
    Auth::Key {
        token: token.to_owned(),
        act_as: None,
    }
}

/// An admin lists and revokes keys; a revoked key is refused at the next request; keys of
/// another tenant are out of reach; tokens and hashes never appear in a listing.
async fn keys_are_listed_and_revoked(env: &Env) {
    let users = env.demo(HR).await;
    env.demo("crm").await;
    let hr = demo_user(&users, "hr");
    let admin = env.key(HR, "admin").await;
    let service = env.key(HR, "service").await;
    let other_admin = env.key("crm", "admin").await;

    let (s, v, _) = env
        .call(Method::GET, "/api/v1/keys", &bearer(&admin), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let keys = v["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "{v}");
    let text = v.to_string();
    assert!(
        !text.contains(&service) && !text.contains(&admin) && !text.contains("sha256"),
        "{v}"
    );
    let (s, _, _) = env
        .call(
            Method::GET,
            "/api/v1/keys",
            &Auth::key(&service, &hr.id),
            None,
        )
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "a service key does not manage keys"
    );
    let service_id = keys
        .iter()
        .find(|k| k["role"] == "service")
        .and_then(|k| k["id"].as_str())
        .unwrap()
        .to_owned();

    // Another tenant's admin key cannot see or revoke it.
    let (s, v, _) = env
        .call(Method::GET, "/api/v1/keys", &bearer(&other_admin), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(!v.to_string().contains(&service_id), "{v}");
    let (s, _, _) = env
        .call(
            Method::DELETE,
            &format!("/api/v1/keys/{service_id}"),
            &bearer(&other_admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let as_hr = Auth::key(&service, &hr.id);
    let (s, _, _) = env.call(Method::GET, "/api/v1/users", &as_hr, None).await;
    assert_eq!(s, StatusCode::OK, "still valid");

    let (s, v, _) = env
        .call(
            Method::DELETE,
            &format!("/api/v1/keys/{service_id}"),
            &bearer(&admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["changed"], true);
    let (s, _, _) = env.call(Method::GET, "/api/v1/users", &as_hr, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "refused at once");
    let (s, v, _) = env
        .call(
            Method::DELETE,
            &format!("/api/v1/keys/{service_id}"),
            &bearer(&admin),
            None,
        )
        .await;
    assert_eq!((s, v["changed"].clone()), (StatusCode::OK, json!(false)));
    let (_, v, _) = env
        .call(Method::GET, "/api/v1/keys", &bearer(&admin), None)
        .await;
    let listed = v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == service_id.as_str())
        .unwrap()
        .clone();
    assert!(listed["revokedAt"].is_string(), "{listed}");
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE target_id = $1",
            &service_id
        )
        .await,
        2,
        "its creation at the command line, and the one revocation"
    );
}
on_both!(keys_are_listed_and_revoked);

/// Signing out everywhere ends every session of the user at once (the epoch is bumped); an
/// actor the kernel lets change the user's status ends them too; one it does not is refused.
async fn sessions_are_revoked(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let sophie = demo_user(&users, "sophie");
    let paul = demo_user(&users, "paul");
    let key = env.key(HR, "service").await;
    let first = env.sign_in(HR, &sophie.login, DEMO_PASSWORD).await.unwrap();
    let second = env.sign_in(HR, &sophie.login, DEMO_PASSWORD).await.unwrap();
    for c in [&first, &second] {
        let (s, _, _) = env
            .call(Method::GET, "/api/v1/session", &Auth::cookie(c), None)
            .await;
        assert_eq!(s, StatusCode::OK);
    }
    let (s, _, _) = env
        .call(
            Method::DELETE,
            "/api/v1/session?everywhere=true",
            &Auth::cookie(&first),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    for c in [&first, &second] {
        let (s, _, _) = env
            .call(Method::GET, "/api/v1/session", &Auth::cookie(c), None)
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "every session ended");
    }
    assert_eq!(
        env.scalar("SELECT session_epoch FROM users WHERE id = $1", &sophie.id)
            .await,
        1
    );

    // Paul (an employee) may not end Sophie's sessions; HR (users.status) may.
    let third = env.sign_in(HR, &sophie.login, DEMO_PASSWORD).await.unwrap();
    let path = format!("/api/v1/users/{}/sessions", sophie.id);
    let (s, _, _) = env
        .call(Method::DELETE, &path, &Auth::key(&key, &paul.id), None)
        .await;
    assert!(
        s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND,
        "{s}"
    );
    let (s, _, _) = env
        .call(Method::GET, "/api/v1/session", &Auth::cookie(&third), None)
        .await;
    assert_eq!(s, StatusCode::OK, "a refused revocation changes nothing");
    let (s, v, _) = env
        .call(Method::DELETE, &path, &Auth::key(&key, &hr.id), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["sessionsEnded"], 1);
    let (s, _, _) = env
        .call(Method::GET, "/api/v1/session", &Auth::cookie(&third), None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE target_id = $1 AND body LIKE '%sessions.revoke%'",
            &sophie.id
        )
        .await,
        2
    );
    // A new sign-in works at the new epoch.
    assert!(
        env.sign_in(HR, &sophie.login, DEMO_PASSWORD)
            .await
            .is_some()
    );
}
on_both!(sessions_are_revoked);

const RENTAL: &str = "rental-platform";
const WRONG: &str = "Wrong-Password-123!";

async fn login(env: &Env, tenant: &str, login: &str, password: &str) -> (StatusCode, Value) {
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/session",
            &Auth::None,
            Some(json!({"tenant": tenant, "login": login, "password": password})),
        )
        .await;
    (s, v)
}

async fn text(env: &Env, sql: &str, arg: &str) -> Option<String> {
    sqlx::query_scalar(sql)
        .bind(arg)
        .fetch_one(env.app.db.pool())
        .await
        .unwrap()
}

/// R002-12: concurrent failed logins are all counted; when the kernel's lockout says
/// locked, the store writes the policy's lockout status (temporary, until the lock ends)
/// with an audit entry; once the lock has ended a successful login clears the failures,
/// keeps the lockout count (it escalates the next wait) and writes the status back.
async fn lockout_is_written_and_cleared(env: &Env) {
    let users = env.demo(RENTAL).await;
    let lucas = demo_user(&users, "customer");
    let attempts: Vec<_> = (0..5)
        .map(|_| spawn_login(env, RENTAL, &lucas.login, WRONG))
        .collect();
    for a in attempts {
        assert_eq!(a.await.unwrap(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        text(env, "SELECT status FROM users WHERE id = $1", &lucas.id)
            .await
            .as_deref(),
        Some("locked"),
        "five concurrent failures, all counted, lock the account"
    );
    let until = env
        .scalar("SELECT status_until FROM users WHERE id = $1", &lucas.id)
        .await;
    let now = warden_server::app::now().unix();
    assert!(
        (now + 14 * 60..=now + 16 * 60).contains(&until),
        "15 minutes: {until} vs {now}"
    );
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE target_id = $1 AND body LIKE '%users.lockout%'",
            &lucas.id
        )
        .await,
        1
    );
    // While locked, the right password is answered as a wrong one, and as a login that
    // does not exist: the lock tells no one which logins the tenant has, nor which
    // guess was right.
    let (s, v) = login(env, RENTAL, &lucas.login, DEMO_PASSWORD).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    let (s2, unknown) = login(env, RENTAL, "nobody@rental.example", DEMO_PASSWORD).await;
    assert_eq!(
        (s2, &unknown),
        (s, &v),
        "the same answer as an unknown login"
    );

    // An hour passes: the stored facts move back in time.
    let shifted: Vec<i64> = serde_json::from_str::<Vec<i64>>(
        &text(
            env,
            "SELECT failed_logins FROM users WHERE id = $1",
            &lucas.id,
        )
        .await
        .unwrap(),
    )
    .unwrap()
    .into_iter()
    .map(|t| t - 3600)
    .collect();
    sqlx::query(
        "UPDATE users SET failed_logins = $1, status_until = status_until - 3600 WHERE id = $2",
    )
    .bind(serde_json::to_string(&shifted).unwrap())
    .bind(&lucas.id)
    .execute(env.app.db.pool())
    .await
    .unwrap();
    let (s, v) = login(env, RENTAL, &lucas.login, DEMO_PASSWORD).await;
    assert_eq!(s, StatusCode::OK, "the lock ended: {v}");
    assert_eq!(
        text(env, "SELECT status FROM users WHERE id = $1", &lucas.id)
            .await
            .as_deref(),
        Some("active")
    );
    assert_eq!(
        text(
            env,
            "SELECT failed_logins FROM users WHERE id = $1",
            &lucas.id
        )
        .await
        .as_deref(),
        Some("[]")
    );
    assert_eq!(
        env.scalar("SELECT lockouts FROM users WHERE id = $1", &lucas.id)
            .await,
        1,
        "the lockout is remembered for escalation"
    );
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE target_id = $1 AND body LIKE '%users.unlock%'",
            &lucas.id
        )
        .await,
        1
    );
    // The second lockout waits twice as long (escalating, R002-12).
    for _ in 0..5 {
        let (s, _) = login(env, RENTAL, &lucas.login, WRONG).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let until = env
        .scalar("SELECT status_until FROM users WHERE id = $1", &lucas.id)
        .await;
    let now = warden_server::app::now().unix();
    assert!(
        (now + 29 * 60..=now + 31 * 60).contains(&until),
        "30 minutes: {until} vs {now}"
    );
}
on_both!(lockout_is_written_and_cleared);

/// A lock decided under a policy replaced meanwhile is judged again under the new one:
/// here the new policy's threshold is 50, so the fifth failure, which locked the account
/// under the old threshold of 5, locks nothing, and no lock entry is written under a
/// policy version that no longer holds.
async fn a_lock_under_a_replaced_policy_is_judged_again(env: &Env) {
    let users = env.demo(RENTAL).await;
    let lucas = demo_user(&users, "customer");
    let stale = env.app.tenant(RENTAL).await.unwrap();
    env.edit_policy(RENTAL, |doc| {
        doc["lifecycle"]["lockout"]["threshold"] = json!(50);
    })
    .await;
    let now = warden_server::app::now();
    for _ in 0..5 {
        warden_server::login::failed(&env.app, &stale, &lucas.id, now)
            .await
            .unwrap();
    }
    assert_eq!(
        text(env, "SELECT status FROM users WHERE id = $1", &lucas.id)
            .await
            .as_deref(),
        Some("active"),
        "five failures lock nothing under a threshold of 50"
    );
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE target_id = $1 AND body LIKE '%users.lockout%'",
            &lucas.id
        )
        .await,
        0
    );
    // Under the policy as it is, the 50th failure locks, its entry under that version.
    let fresh = env.app.tenant(RENTAL).await.unwrap();
    for _ in 0..45 {
        warden_server::login::failed(&env.app, &fresh, &lucas.id, now)
            .await
            .unwrap();
    }
    assert_eq!(
        text(env, "SELECT status FROM users WHERE id = $1", &lucas.id)
            .await
            .as_deref(),
        Some("locked")
    );
    let body = text(
        env,
        "SELECT body FROM audit_log WHERE target_id = $1 AND body LIKE '%users.lockout%'",
        &lucas.id,
    )
    .await
    .unwrap();
    assert!(
        body.contains(&format!("\"policyVersion\":{}", fresh.version)),
        "{body}"
    );
}
on_both!(a_lock_under_a_replaced_policy_is_judged_again);

/// Concurrent failed logins take the row lock in any order: a failure whose clock was read
/// later can commit first. Every failure still counts: here one is stored a few seconds
/// ahead of the four that follow, and the fifth failure locks the account.
async fn failures_committed_out_of_clock_order_all_count(env: &Env) {
    let users = env.demo(RENTAL).await;
    let lucas = demo_user(&users, "customer");
    let ahead = warden_server::app::now().unix() + 5;
    sqlx::query("UPDATE users SET failed_logins = $1 WHERE id = $2")
        .bind(format!("[{ahead}]"))
        .bind(&lucas.id)
        .execute(env.app.db.pool())
        .await
        .unwrap();
    for _ in 0..4 {
        let (s, _) = login(env, RENTAL, &lucas.login, WRONG).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        text(env, "SELECT status FROM users WHERE id = $1", &lucas.id)
            .await
            .as_deref(),
        Some("locked"),
        "the failure stored ahead of the others counts"
    );
}
on_both!(failures_committed_out_of_clock_order_all_count);

/// Guesses sent at once are judged one after the other (the account's sign-in turn): the
/// lockout's threshold of five is verified, the rest are refused by the lock without being
/// verified or counted, and the right password, sent after them, is refused too.
async fn concurrent_guesses_are_judged_one_after_another(env: &Env) {
    let users = env.demo(RENTAL).await;
    let lucas = demo_user(&users, "customer");
    let attempts: Vec<_> = (0..20)
        .map(|_| spawn_login(env, RENTAL, &lucas.login, WRONG))
        .collect();
    for a in attempts {
        assert_eq!(a.await.unwrap(), StatusCode::UNAUTHORIZED);
    }
    let failures = text(
        env,
        "SELECT failed_logins FROM users WHERE id = $1",
        &lucas.id,
    )
    .await
    .unwrap();
    let failures: Vec<i64> = serde_json::from_str(&failures).unwrap();
    assert_eq!(
        failures.len(),
        5,
        "only the threshold's guesses were verified"
    );
    assert_eq!(
        text(env, "SELECT status FROM users WHERE id = $1", &lucas.id)
            .await
            .as_deref(),
        Some("locked")
    );
    let (s, _) = login(env, RENTAL, &lucas.login, DEMO_PASSWORD).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(env.app.sign_ins.accounts(), 0, "no turn left behind");
}
on_both!(concurrent_guesses_are_judged_one_after_another);

/// Moves rental user `id` to `to` as its demo administrator (200 asserted).
async fn status_by_admin(env: &Env, users: &[DemoUser], id: &str, to: &str, reason: &str) {
    let admin = demo_user(users, "admin");
    let key = env.key(RENTAL, "service").await;
    let (s, v, _) = env
        .call(
            Method::POST,
            &format!("/api/v1/users/{id}/status"),
            &Auth::key(&key, &admin.id),
            Some(json!({"to": to, "reason": reason})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

/// A lockout writes its status only over one the lifecycle lets a lock replace: a
/// blacklisted account stays blacklisted (rental's `lock` leaves only `active`), so the
/// lock's end cannot make it active. The failures still hold the lock.
async fn a_lock_keeps_a_status_it_cannot_replace(env: &Env) {
    let users = env.demo(RENTAL).await;
    let lucas = demo_user(&users, "customer");
    status_by_admin(env, &users, &lucas.id, "blacklisted", "fraud confirmed").await;
    for _ in 0..6 {
        let (s, _) = login(env, RENTAL, &lucas.login, WRONG).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        text(env, "SELECT status FROM users WHERE id = $1", &lucas.id)
            .await
            .as_deref(),
        Some("blacklisted")
    );
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM users WHERE id = $1 AND status_until IS NULL",
            &lucas.id
        )
        .await,
        1
    );
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE target_id = $1 AND body LIKE '%users.lockout%'",
            &lucas.id
        )
        .await,
        0
    );
}
on_both!(a_lock_keeps_a_status_it_cannot_replace);

/// An administrator moving the account out of the lockout status unlocks it at once: the
/// failures that locked it are cleared with the status change.
async fn an_administrator_unlocks(env: &Env) {
    let users = env.demo(RENTAL).await;
    let lucas = demo_user(&users, "customer");
    for _ in 0..5 {
        login(env, RENTAL, &lucas.login, WRONG).await;
    }
    status_by_admin(
        env,
        &users,
        &lucas.id,
        "active",
        "identity checked by phone",
    )
    .await;
    let (s, v) = login(env, RENTAL, &lucas.login, DEMO_PASSWORD).await;
    assert_eq!(s, StatusCode::OK, "unlocked at once: {v}");
}
on_both!(an_administrator_unlocks);

/// Failed sign-ins that lock an account carry the obligations of the policy's transition
/// into the lock, as an administrator's lock does (R002-06): a session opened before ends
/// with it, and the user is told; the audit entry names them.
async fn a_lockout_ends_sessions_and_tells_the_user(env: &Env) {
    let users = env.demo(RENTAL).await;
    let lucas = demo_user(&users, "customer");
    let cookie = env
        .sign_in(RENTAL, &lucas.login, DEMO_PASSWORD)
        .await
        .unwrap();
    let session = Auth::cookie(&cookie);
    assert_eq!(
        env.call(Method::GET, "/api/v1/session", &session, None)
            .await
            .0,
        StatusCode::OK
    );
    for _ in 0..5 {
        login(env, RENTAL, &lucas.login, WRONG).await;
    }
    assert_eq!(env.stored_status(&lucas.id).await, "locked");
    assert_eq!(
        env.call(Method::GET, "/api/v1/session", &session, None)
            .await
            .0,
        StatusCode::UNAUTHORIZED,
        "the session opened before the lock ends with it"
    );
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM outbox WHERE user_id = $1 AND kind = 'notifyUser'",
            &lucas.id
        )
        .await,
        1
    );
    let bodies: Vec<String> =
        sqlx::query_scalar("SELECT body FROM audit_log WHERE target_id = $1 ORDER BY seq")
            .bind(&lucas.id)
            .fetch_all(env.app.db.pool())
            .await
            .unwrap();
    let entry: Value = bodies
        .iter()
        .map(|b| serde_json::from_str::<Value>(b).unwrap())
        .find(|e| e["action"] == "users.lockout")
        .unwrap();
    let kinds: Vec<&str> = entry["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"revokeSessions"), "{entry}");
    assert!(kinds.contains(&"notifyUser"), "{entry}");
}
on_both!(a_lockout_ends_sessions_and_tells_the_user);

/// A hash made with older argon2 parameters is rewritten at the next successful login, and
/// never on a failed one.
async fn rehash_on_login(env: &Env) {
    let users = env.demo(RENTAL).await;
    let lucas = demo_user(&users, "customer");
    env.edit_policy(RENTAL, |doc| {
        doc["password"]["hash"] = json!({"memoryKib": 47104, "iterations": 1, "parallelism": 1});
    })
    .await;
    let old = text(
        env,
        "SELECT password_hash FROM users WHERE id = $1",
        &lucas.id,
    )
    .await
    .unwrap();
    assert!(old.contains("m=19456"), "{}", &old[..30]);
    let (s, _) = login(env, RENTAL, &lucas.login, WRONG).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(
        text(
            env,
            "SELECT password_hash FROM users WHERE id = $1",
            &lucas.id
        )
        .await
        .as_deref(),
        Some(old.as_str()),
        "a failed login never rewrites the hash"
    );
    let (s, v) = login(env, RENTAL, &lucas.login, DEMO_PASSWORD).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let new = text(
        env,
        "SELECT password_hash FROM users WHERE id = $1",
        &lucas.id,
    )
    .await
    .unwrap();
    assert_ne!(new, old);
    assert!(
        new.starts_with("$argon2id$") && new.contains("m=47104,t=1,p=1"),
        "rehashed with the new parameters"
    );
    let (s, _) = login(env, RENTAL, &lucas.login, DEMO_PASSWORD).await;
    assert_eq!(s, StatusCode::OK, "the new hash verifies");
    assert_eq!(
        text(
            env,
            "SELECT password_hash FROM users WHERE id = $1",
            &lucas.id
        )
        .await
        .as_deref(),
        Some(new.as_str()),
        "and is not rewritten again"
    );
}
on_both!(rehash_on_login);

/// A sign-in on its own task (for concurrent requests).
fn spawn_login(
    env: &Env,
    tenant: &str,
    login: &str,
    password: &str,
) -> tokio::task::JoinHandle<StatusCode> {
    let router = env.router.clone();
    let body = json!({"tenant": tenant, "login": login, "password": password}).to_string();
    tokio::spawn(async move {
        let req = axum::http::Request::builder()
            .method(Method::POST)
            .uri("/api/v1/session")
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body))
            .unwrap();
        tower::ServiceExt::oneshot(router, req)
            .await
            .unwrap()
            .status()
    })
}

const PPP: &str = "production-planner-pro";

fn org_ids(v: &Value) -> Vec<String> {
    v["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

/// R000-08: organisations with their active flag. Listing follows the actor's reach; only
/// a super administrator (or an admin key) manages them under this policy; deactivating an
/// organisation ends its users' sessions and the kernel's login gate refuses them; an
/// organisation in use is not deleted; every write is audited.
async fn organizations_crud(env: &Env) {
    let users = env.demo(PPP).await;
    let ada = demo_user(&users, "admin");
    let bob = demo_user(&users, "bob");
    let carla = demo_user(&users, "carla");
    let admin = env.key(PPP, "admin").await;
    let key = env.key(PPP, "service").await;

    let (s, v, _) = env
        .call(Method::GET, "/api/v1/organizations", &bearer(&admin), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(org_ids(&v), ["plant-a", "plant-b", "plant-closed"]);
    let (_, v, _) = env
        .call(
            Method::GET,
            "/api/v1/organizations",
            &Auth::key(&key, &bob.id),
            None,
        )
        .await;
    assert_eq!(
        org_ids(&v),
        ["plant-a"],
        "a regular user sees its own organisation"
    );

    let body = json!({"id": "plant-c", "name": "Plant C"});
    let (s, _, _) = env
        .call(
            Method::POST,
            "/api/v1/organizations",
            &Auth::key(&key, &bob.id),
            Some(body.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // An admin key acting as Bob has Bob's authority, not its own.
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/organizations",
            &Auth::key(&admin, &bob.id),
            Some(body.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let as_ada = Auth::key(&key, &ada.id);
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/organizations",
            &as_ada,
            Some(body.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["active"], true);
    let (s, v, _) = env
        .call(Method::POST, "/api/v1/organizations", &as_ada, Some(body))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(v["errors"][0]["code"], "duplicate");
    for bad in [
        json!({"id": "bad id!", "name": "x"}),
        json!({"id": "ok", "name": "  "}),
        json!({"id": "ok", "name": "x", "owner": "me"}),
    ] {
        let (s, _, _) = env
            .call(
                Method::POST,
                "/api/v1/organizations",
                &as_ada,
                Some(bad.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
    }

    // Deactivation: Carla's session ends at once, and the gate refuses her login.
    let cookie = env.sign_in(PPP, &carla.login, DEMO_PASSWORD).await.unwrap();
    let (s, v, _) = env
        .call(
            Method::PATCH,
            "/api/v1/organizations/plant-b",
            &as_ada,
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["organization"]["active"], false);
    let (s, _, _) = env
        .call(Method::GET, "/api/v1/session", &Auth::cookie(&cookie), None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, v) = login(env, PPP, &carla.login, DEMO_PASSWORD).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["deny"]["code"], "organization_inactive", "{v}");
    // Nor does a key act for her, nor may she do anything as an AuthZEN subject.
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", carla.id),
            &Auth::key(&key, &carla.id),
            Some(json!({"firstName": "Carlotta"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, v, _) = env
        .call(
            Method::POST,
            "/access/v1/evaluation",
            &Auth::key(&key, &ada.id),
            Some(json!({"subject": {"type": "user", "id": carla.id}, "action": {"name": "read"}, "resource": {"type": "user", "id": carla.id}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["decision"], false, "{v}");
    assert_eq!(
        v["context"]["error"]["code"], "organization_inactive",
        "{v}"
    );
    // The searches say the same: nothing for her as a subject, and she is no subject.
    for (path, body) in [
        (
            "/access/v1/search/resource",
            json!({"subject": {"type": "user", "id": carla.id}, "action": {"name": "read"}, "resource": {"type": "user"}}),
        ),
        (
            "/access/v1/search/action",
            json!({"subject": {"type": "user", "id": carla.id}, "resource": {"type": "user", "id": carla.id}}),
        ),
    ] {
        let (s, v, _) = env
            .call(Method::POST, path, &Auth::key(&key, &ada.id), Some(body))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["results"], json!([]), "{path}: {v}");
    }
    let (s, v, _) = env
        .call(
            Method::POST,
            "/access/v1/search/subject",
            &Auth::key(&key, &ada.id),
            Some(json!({"subject": {"type": "user"}, "action": {"name": "read"}, "resource": {"type": "user", "id": carla.id}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(!v["results"].to_string().contains(&carla.id), "{v}");
    assert!(v["results"].to_string().contains(&ada.id), "{v}");
    let (s, _, _) = env
        .call(
            Method::PATCH,
            "/api/v1/organizations/plant-b",
            &as_ada,
            Some(json!({"active": true, "name": "Plant B (reopened)"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = login(env, PPP, &carla.login, DEMO_PASSWORD).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = env
        .call(
            Method::PATCH,
            "/api/v1/organizations/nowhere",
            &as_ada,
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let (s, v, _) = env
        .call(
            Method::DELETE,
            "/api/v1/organizations/plant-b",
            &as_ada,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(v["errors"][0]["code"], "organization_in_use");
    let (s, _, _) = env
        .call(
            Method::DELETE,
            "/api/v1/organizations/plant-c",
            &as_ada,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE target_id = $1",
            "plant-c"
        )
        .await,
        2,
        "create and delete, each audited"
    );
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE target_id = $1",
            "plant-b"
        )
        .await,
        2,
        "deactivate and reactivate"
    );
    // Another tenant's admin key sees none of them.
    env.demo(HR).await;
    let other = env.key(HR, "admin").await;
    let (_, v, _) = env
        .call(Method::GET, "/api/v1/organizations", &bearer(&other), None)
        .await;
    assert!(!org_ids(&v).contains(&"plant-a".to_owned()), "{v}");
    let (s, _, _) = env
        .call(
            Method::DELETE,
            "/api/v1/organizations/plant-closed",
            &bearer(&other),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
on_both!(organizations_crud);

/// The organisation of the last active super administrator is not deactivated (she would
/// be locked out with it, and the tenant left with nobody to administer it); once an
/// account of another organisation is super administrator, it is. A user moved into an
/// inactive organisation loses its sessions, as its users do when it is deactivated.
async fn organisations_keep_the_last_super_admin_and_end_moved_sessions(env: &Env) {
    let users = env.demo(PPP).await;
    let (ada, bob, carla) = (
        demo_user(&users, "admin"),
        demo_user(&users, "bob"),
        demo_user(&users, "carla"),
    );
    let key = env.key(PPP, "service").await;
    let as_ada = Auth::key(&key, &ada.id);
    let close = |org: &'static str| {
        let as_ada = &as_ada;
        async move {
            let body = json!({"active": false});
            let path = format!("/api/v1/organizations/{org}");
            env.call(Method::PATCH, &path, as_ada, Some(body)).await
        }
    };
    let (s, v, _) = close("plant-a").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["deny"]["code"], "last_super_admin", "{v}");
    let (s, v) = login(env, PPP, &ada.login, DEMO_PASSWORD).await;
    assert_eq!(s, StatusCode::OK, "plant-a is still active: {v}");
    let edit = |id: &str, body: Value| {
        let (path, as_ada) = (format!("/api/v1/users/{id}"), &as_ada);
        async move { env.call(Method::PATCH, &path, as_ada, Some(body)).await }
    };
    // Nor is she moved into the closed plant, by herself or anyone.
    let (s, v, _) = edit(&ada.id, json!({"organization": "plant-closed"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["deny"]["code"], "last_super_admin", "{v}");
    let (s, v) = login(env, PPP, &ada.login, DEMO_PASSWORD).await;
    assert_eq!(s, StatusCode::OK, "still in plant-a: {v}");
    let (s, v, _) = edit(&carla.id, json!({"superAdmin": true})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v, _) = close("plant-a").await;
    assert_eq!(
        s,
        StatusCode::OK,
        "Carla, in plant-b, administers the tenant: {v}"
    );
    // Ada, in the closed plant-a, cannot sign in, and no key acts for her: Carla is now
    // the last one who can, and is not deactivated.
    let (s, v, _) = env
        .call(
            Method::POST,
            &format!("/api/v1/users/{}/status", carla.id),
            &as_ada,
            Some(json!({"to": "inactive", "reason": "left"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert!(
        v["reason"]
            .as_str()
            .is_some_and(|r| r.contains("inactive organisation")),
        "{v}"
    );
    assert_eq!(env.stored_status(&carla.id).await, "active");

    let cookie = env.sign_in(PPP, &carla.login, DEMO_PASSWORD).await.unwrap();
    let as_carla = Auth::key(&key, &carla.id);
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", bob.id),
            &as_carla,
            Some(json!({"organization": "plant-b"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let bob_cookie = env.sign_in(PPP, &bob.login, DEMO_PASSWORD).await.unwrap();
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", bob.id),
            &as_carla,
            Some(json!({"organization": "plant-closed"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(
        v["obligations"].to_string().contains("revokeSessions"),
        "{v}"
    );
    let session = |c: String| async move {
        env.call(Method::GET, "/api/v1/session", &Auth::cookie(&c), None)
            .await
            .0
    };
    assert_eq!(session(bob_cookie).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        session(cookie).await,
        StatusCode::OK,
        "Carla's own session stays"
    );
}
on_both!(organisations_keep_the_last_super_admin_and_end_moved_sessions);

/// A move into an organisation while its deactivation is being written: the deactivation
/// (held open here, its organisation row written, its users' sessions ended) commits while
/// the move waits to write; the move then sees the organisation inactive and ends the
/// moved user's sessions, as the deactivation would have.
async fn a_move_racing_a_deactivation_ends_the_sessions(env: &Env) {
    let users = env.demo(PPP).await;
    let (ada, bob) = (demo_user(&users, "admin"), demo_user(&users, "bob"));
    let key = env.key(PPP, "service").await;
    let as_ada = Auth::key(&key, &ada.id);
    let bob_cookie = env.sign_in(PPP, &bob.login, DEMO_PASSWORD).await.unwrap();
    let mut tx = env.app.db.begin_write().await.unwrap();
    sqlx::query("UPDATE organizations SET active = 0 WHERE tenant_id = $1 AND id = $2")
        .bind(PPP)
        .bind("plant-b")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("UPDATE users SET session_epoch = session_epoch + 1, version = version + 1 WHERE tenant_id = $1 AND organization_id = $2")
        .bind(PPP)
        .bind("plant-b")
        .execute(&mut *tx)
        .await
        .unwrap();
    let path = format!("/api/v1/users/{}", bob.id);
    let mv = env.call(
        Method::PATCH,
        &path,
        &as_ada,
        Some(json!({"organization": "plant-b"})),
    );
    let release = async {
        // Long enough for the move to decide (plant-b still active) and reach its write.
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        tx.commit().await.unwrap();
    };
    let ((s, v, _), ()) = tokio::join!(mv, release);
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["user"]["organization"], "plant-b", "{v}");
    let (s, v, _) = env
        .call(
            Method::GET,
            "/api/v1/session",
            &Auth::cookie(&bob_cookie),
            None,
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "moved into an inactive organisation: {v}"
    );
}
on_both!(a_move_racing_a_deactivation_ends_the_sessions);

/// A create into an organisation, and a move into one, while its deletion is being
/// written: each decides with the organisation there, then the deletion (held open here)
/// commits before they write. Neither leaves a user in an organisation that is gone: each
/// is refused 409, naming it, and writes nothing.
async fn a_write_into_an_organisation_being_deleted_is_refused(env: &Env) {
    let users = env.demo(PPP).await;
    let (ada, bob) = (demo_user(&users, "admin"), demo_user(&users, "bob"));
    let key = env.key(PPP, "service").await;
    let as_ada = Auth::key(&key, &ada.id);
    for (round, org) in ["gone-a", "gone-b"].into_iter().enumerate() {
        let (s, v, _) = env
            .call(
                Method::POST,
                "/api/v1/organizations",
                &as_ada,
                Some(json!({"id": org, "name": "Short-lived"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let mut tx = env.app.db.begin_write().await.unwrap();
        sqlx::query("DELETE FROM organizations WHERE tenant_id = $1 AND id = $2")
            .bind(PPP)
            .bind(org)
            .execute(&mut *tx)
            .await
            .unwrap();
        let write = async {
            if round == 0 {
                env.call(
                    Method::POST,
                    "/api/v1/users",
                    &as_ada,
                    Some(json!({"firstName": "Nora", "lastName": "Gone", "email": "nora.gone@planner.example", "password": "Violet-Kettle-42!x", "organization": org, "roles": ["regular"]})),
                )
                .await
            } else {
                env.call(
                    Method::PATCH,
                    &format!("/api/v1/users/{}", bob.id),
                    &as_ada,
                    Some(json!({"organization": org})),
                )
                .await
            }
        };
        let release = async {
            // Long enough for the write to decide (the organisation still there) and wait.
            tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
            tx.commit().await.unwrap();
        };
        let ((s, v, _), ()) = tokio::join!(write, release);
        assert_eq!(s, StatusCode::CONFLICT, "{org}: {v}");
        assert!(v.to_string().contains(org), "{v}");
        assert_eq!(
            env.scalar("SELECT COUNT(*) FROM users WHERE organization_id = $1", org)
                .await,
            0,
            "nobody in {org}"
        );
    }
}
on_both!(a_write_into_an_organisation_being_deleted_is_refused);

/// What the database refuses that no decision foresaw is a typed 409, never a 500: a
/// unique value taken by a write committed meanwhile is `taken`; on PostgreSQL, a write
/// rolled back to break a deadlock is `contention` (send it again). A real constraint and
/// a real deadlock, not a mock.
async fn database_refusals_are_typed_conflicts(env: &Env) {
    use warden_server::error::{CONTENTION, TAKEN};
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let pool = env.app.db.pool();
    let key: (String, String, String, String) = sqlx::query_as(
        "SELECT check_id, field, scope, key FROM user_keys WHERE tenant_id = $1 AND user_id = $2",
    )
    .bind(HR)
    .bind(&hr.id)
    .fetch_one(pool)
    .await
    .unwrap();
    let taken = sqlx::query(
        "INSERT INTO user_keys (tenant_id, check_id, field, scope, key, user_id) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(HR)
    .bind(&key.0)
    .bind(&key.1)
    .bind(&key.2)
    .bind(&key.3)
    .bind(&demo_user(&users, "sophie").id)
    .execute(pool)
    .await
    .unwrap_err();
    let e = ApiError::from(taken);
    assert!(e.is_conflict(TAKEN), "{e:?}");
    assert_eq!(e.status(), StatusCode::CONFLICT);
    if env.which != Which::Postgres {
        return;
    }
    // Two transactions each lock one user, then the other's.
    let (a, b) = (hr.id.clone(), demo_user(&users, "sophie").id.clone());
    let mut t1 = pool.begin().await.unwrap();
    let mut t2 = pool.begin().await.unwrap();
    let lock = "SELECT id FROM users WHERE id = $1 FOR UPDATE";
    sqlx::query(lock).bind(&a).execute(&mut *t1).await.unwrap();
    sqlx::query(lock).bind(&b).execute(&mut *t2).await.unwrap();
    let (r1, r2) = tokio::join!(
        sqlx::query(lock).bind(&b).execute(&mut *t1),
        sqlx::query(lock).bind(&a).execute(&mut *t2)
    );
    let lost = match (r1, r2) {
        (Err(e), Ok(_)) | (Ok(_), Err(e)) => e,
        other => panic!("one of the two is rolled back: {other:?}"),
    };
    let e = ApiError::from(lost);
    assert!(e.is_conflict(CONTENTION), "{e:?}");
    assert_eq!(e.status(), StatusCode::CONFLICT);
}
on_both!(database_refusals_are_typed_conflicts);

/// A super administrator in an inactive organisation (out of reach: this policy's sign-in
/// needs an active organisation) is not counted among the active ones, and taking it away
/// is not taking away the last one while another can sign in: its status change and its
/// flag's removal are allowed, not refused as the last one nor as stale forever.
async fn a_super_admin_out_of_reach_can_be_removed(env: &Env) {
    let users = env.demo(PPP).await;
    let ada = demo_user(&users, "admin");
    let key = env.key(PPP, "service").await;
    let as_ada = Auth::key(&key, &ada.id);
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/organizations",
            &as_ada,
            Some(json!({"id": "west", "name": "West"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let mut supers = Vec::new();
    for name in ["zed", "zoe"] {
        let (s, v, _) = env
            .call(
                Method::POST,
                "/api/v1/users",
                &as_ada,
                Some(json!({"firstName": name, "lastName": "Super", "email": format!("{name}.super@planner.example"), "password": "Violet-Kettle-42!x", "organization": "west", "superAdmin": true})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        supers.push(v["user"]["id"].as_str().unwrap().to_owned());
    }
    let (s, v, _) = env
        .call(
            Method::PATCH,
            "/api/v1/organizations/west",
            &as_ada,
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // Ada alone can sign in as a super administrator.
    let (s, v, _) = env
        .call(
            Method::POST,
            &format!("/api/v1/users/{}/status", supers[0]),
            &as_ada,
            Some(json!({"to": "inactive", "reason": "left"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", supers[1]),
            &as_ada,
            Some(json!({"superAdmin": false})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["user"]["superAdmin"], false, "{v}");
    // The same through a bulk request.
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/users",
            &as_ada,
            Some(json!({"firstName": "Zia", "lastName": "Super", "email": "zia.super@planner.example", "password": "Violet-Kettle-42!x", "organization": "plant-b", "superAdmin": true})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let zia = v["user"]["id"].as_str().unwrap().to_owned();
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{zia}"),
            &as_ada,
            Some(json!({"organization": "west"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/bulk",
            &as_ada,
            Some(
                json!({"items": [{"op": "status", "id": zia, "to": "inactive", "reason": "left"}]}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["results"][0]["outcome"], "committed", "{v}");
}
on_both!(a_super_admin_out_of_reach_can_be_removed);

/// An organisation's deletion while a write into it is being committed (held open here,
/// the organisation held as a user write holds it): the deletion waits for the write, then
/// counts its user, and is refused `organization_in_use`.
async fn an_organisation_is_not_deleted_under_a_write_into_it(env: &Env) {
    let users = env.demo(PPP).await;
    let (ada, bob) = (demo_user(&users, "admin"), demo_user(&users, "bob"));
    let key = env.key(PPP, "service").await;
    let as_ada = Auth::key(&key, &ada.id);
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/organizations",
            &as_ada,
            Some(json!({"id": "kept", "name": "Kept"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let mut tx = env.app.db.begin_write().await.unwrap();
    let checks = [warden_core::validate::Check {
        check: "organization_exists".into(),
        kind: warden_core::validate::CheckKind::Exists,
        field: "organization".into(),
        key: "kept".into(),
        within: None,
        answered: true,
    }];
    store::hold_references(&mut tx, PPP, &checks).await.unwrap();
    sqlx::query("UPDATE users SET organization_id = $1 WHERE id = $2")
        .bind("kept")
        .bind(&bob.id)
        .execute(&mut *tx)
        .await
        .unwrap();
    let delete = env.call(Method::DELETE, "/api/v1/organizations/kept", &as_ada, None);
    let release = async {
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        tx.commit().await.unwrap();
    };
    let ((s, v, _), ()) = tokio::join!(delete, release);
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(v.to_string().contains("organization_in_use"), "{v}");
}
on_both!(an_organisation_is_not_deleted_under_a_write_into_it);

/// A login spelt in another Unicode form than it was stored in (a decomposed accent in
/// an internationalised domain, which this tenant's policy allows) signs in: logins are
/// looked up by the key uniqueness stores.
async fn a_login_is_found_whatever_its_unicode_spelling(env: &Env) {
    let users = env.demo(PPP).await;
    env.edit_policy(PPP, |doc| {
        doc["fields"]["email"]["idn"] = json!(true);
    })
    .await;
    let ada = demo_user(&users, "admin");
    let key = env.key(PPP, "service").await;
    let as_ada = Auth::key(&key, &ada.id);
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/users",
            &as_ada,
            Some(json!({"firstName": "Ana", "lastName": "Caf\u{e9}", "email": "ana@caf\u{e9}.example", "password": "Violet-Kettle-42!x", "organization": "plant-b", "roles": ["regular"]})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    for login in [
        "ana@caf\u{e9}.example",
        "ANA@CAFE\u{301}.EXAMPLE",
        "ana@cafe\u{301}.example",
        "ana@xn--caf-dma.example",
    ] {
        assert!(
            env.sign_in(PPP, login, "Violet-Kettle-42!x")
                .await
                .is_some(),
            "{login}"
        );
    }
}
on_both!(a_login_is_found_whatever_its_unicode_spelling);

/// An anonymising deletion erases the user's personal data from the audit entries about
/// them (the records as they were), its own entry included, and lists what it erased;
/// the chain still verifies, and an entry marked erased that no later entry lists is found.
async fn an_anonymising_deletion_erases_the_audit_history(env: &Env) {
    let users = env.demo(RENTAL).await;
    let admin = demo_user(&users, "admin");
    let lucas = demo_user(&users, "customer");
    let key = env.key(RENTAL, "service").await;
    let as_admin = Auth::key(&key, &admin.id);
    let path = format!("/api/v1/users/{}", lucas.id);
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &path,
            &as_admin,
            Some(json!({"firstName": "Lucien", "email": "lucien.new@rental.example"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // A reason an administrator wrote, naming the user and a phone number.
    let (s, v, _) = env
        .call(
            Method::POST,
            &format!("{path}/status"),
            &as_admin,
            Some(json!({"to": "suspended", "reason": "Lucien called from +33 6 99 88 77 66", "durationDays": 3})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // The messages about him delivered (the e-mail change's notices quote both addresses).
    sqlx::query("UPDATE outbox SET state = 'delivered' WHERE user_id = $1")
        .bind(&lucas.id)
        .execute(env.app.db.pool())
        .await
        .unwrap();
    let history = |auth: Auth| {
        let path = format!("{path}/audit");
        async move { env.call(Method::GET, &path, &auth, None).await.1 }
    };
    let before = history(as_admin.clone()).await;
    assert!(before.to_string().contains("Lucien"), "{before}");
    let (s, v, _) = env
        .call(
            Method::DELETE,
            &format!("{path}?mode=anonymize&confirm=true&activeBookings=0"),
            &as_admin,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT body FROM audit_log WHERE target_id = $1 ORDER BY seq")
            .bind(&lucas.id)
            .fetch_all(env.app.db.pool())
            .await
            .unwrap();
    assert!(stored.len() >= 3, "{stored:?}");
    let personal = ["Lucien", &lucas.login, "lucien.new@", "+33 6 99 88"];
    assert!(
        before.to_string().contains("lucien.new@") && before.to_string().contains("+33 6 99 88"),
        "the obligations and the reason held them: {before}"
    );
    for body in &stored {
        for p in personal {
            assert!(!body.contains(p), "{p} in {body}");
        }
    }
    let messages: Vec<String> = sqlx::query_scalar("SELECT payload FROM outbox WHERE user_id = $1")
        .bind(&lucas.id)
        .fetch_all(env.app.db.pool())
        .await
        .unwrap();
    assert!(!messages.is_empty());
    for m in &messages {
        for p in personal {
            assert!(!m.contains(p), "{p} in the delivered message {m}");
        }
    }
    let last: Value = serde_json::from_str(stored.last().unwrap()).unwrap();
    assert_eq!(last["action"], "users.delete", "{last}");
    let erased = last["decision"]["erased"].as_array().unwrap();
    assert_eq!(
        erased.len(),
        stored.len() - 1,
        "every earlier entry: {last}"
    );
    // The rest of an erased entry stays checked: who did it, what, when.
    let mut conn = env.app.db.pool().acquire().await.unwrap();
    let (first, body): (i64, String) = {
        let r = sqlx::query(
            "SELECT seq, body FROM audit_log WHERE target_id = $1 ORDER BY seq LIMIT 1",
        )
        .bind(&lucas.id)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        (sqlx::Row::get(&r, "seq"), sqlx::Row::get(&r, "body"))
    };
    let forged = body.replacen("\"action\":\"", "\"action\":\"forged.", 1);
    assert_ne!(forged, body);
    sqlx::query("UPDATE audit_log SET body = $1 WHERE tenant_id = $2 AND seq = $3")
        .bind(&forged)
        .bind(RENTAL)
        .bind(first)
        .execute(&mut *conn)
        .await
        .unwrap();
    let (problems, _) = warden_server::audit::verify(&mut conn).await.unwrap();
    assert!(problems.iter().any(|p| p.seq == first), "{problems:?}");
    sqlx::query("UPDATE audit_log SET body = $1 WHERE tenant_id = $2 AND seq = $3")
        .bind(&body)
        .bind(RENTAL)
        .bind(first)
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    // Erased twice (anonymised, then deleted for good): the first eraser is erased in turn,
    // its list still checked.
    let (s, v, _) = env
        .call(
            Method::DELETE,
            &format!("{path}?mode=hard&confirm=true&activeBookings=0"),
            &as_admin,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mut conn = env.app.db.pool().acquire().await.unwrap();
    let (problems, _) = warden_server::audit::verify(&mut conn).await.unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    drop(conn);
    // A bulk deletion erases as the route does.
    let samir = users
        .iter()
        .find(|u| u.login == "samir@rental.example")
        .unwrap();
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/bulk",
            &as_admin,
            Some(json!({"items": [{"op": "delete", "id": samir.id, "mode": "hard", "activeBookings": 0}], "confirmed": true, "confirmCount": 1})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["summary"]["committed"], 1, "{v}");
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT body FROM audit_log WHERE target_id = $1 ORDER BY seq")
            .bind(&samir.id)
            .fetch_all(env.app.db.pool())
            .await
            .unwrap();
    assert!(!stored.is_empty());
    assert!(stored.iter().all(|b| !b.contains("Haddad")), "{stored:?}");
    let mut conn = env.app.db.pool().acquire().await.unwrap();
    let (problems, _) = warden_server::audit::verify(&mut conn).await.unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    // Marking an entry erased is no way to rewrite it unnoticed: its eraser must list it.
    let other: i64 = sqlx::query_scalar("SELECT MIN(seq) FROM audit_log WHERE tenant_id = $1 AND target_id <> $2 AND body_digest IS NOT NULL")
        .bind(RENTAL)
        .bind(&lucas.id)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let eraser: i64 = sqlx::query_scalar("SELECT MAX(seq) FROM audit_log WHERE tenant_id = $1")
        .bind(RENTAL)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE audit_log SET erased_by = $1, body = '{}' WHERE tenant_id = $2 AND seq = $3",
    )
    .bind(eraser)
    .bind(RENTAL)
    .bind(other)
    .execute(&mut *conn)
    .await
    .unwrap();
    let (problems, _) = warden_server::audit::verify(&mut conn).await.unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p.seq == other && p.problem.contains("does not list it")),
        "{problems:?}"
    );
}
on_both!(an_anonymising_deletion_erases_the_audit_history);

/// A temporary status whose time is up reads as the status it returned to, as every
/// decision reads it: a single read, a list and the user's own view agree with sign-in.
async fn an_expired_temporary_status_reads_as_its_return(env: &Env) {
    let users = env.demo(RENTAL).await;
    let admin = demo_user(&users, "admin");
    let lucas = demo_user(&users, "customer");
    let key = env.key(RENTAL, "service").await;
    let as_admin = Auth::key(&key, &admin.id);
    let path = format!("/api/v1/users/{}", lucas.id);
    let (s, v, _) = env
        .call(
            Method::POST,
            &format!("{path}/status"),
            &as_admin,
            Some(json!({"to": "suspended", "reason": "unpaid invoice", "durationMinutes": 60})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, v, _) = env.call(Method::GET, &path, &as_admin, None).await;
    assert_eq!(v["user"]["status"], "suspended", "{v}");
    assert!(v["user"]["statusUntil"].is_string(), "{v}");
    // The hour passes.
    sqlx::query("UPDATE users SET status_until = status_until - 7200 WHERE id = $1")
        .bind(&lucas.id)
        .execute(env.app.db.pool())
        .await
        .unwrap();
    let (_, v, _) = env.call(Method::GET, &path, &as_admin, None).await;
    assert_eq!(v["user"]["status"], "active", "{v}");
    assert!(v["user"].get("statusUntil").is_none(), "{v}");
    let (_, v, _) = env
        .call(Method::GET, "/api/v1/users?q=lucas", &as_admin, None)
        .await;
    assert_eq!(v["users"][0]["status"], "active", "{v}");
    let cookie = env
        .sign_in(RENTAL, &lucas.login, DEMO_PASSWORD)
        .await
        .unwrap();
    let (s, v, _) = env
        .call(Method::GET, "/api/v1/session", &Auth::cookie(&cookie), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["user"]["status"], "active", "{v}");
    // A bulk status item takes its duration in minutes as the route does.
    let samir = users
        .iter()
        .find(|u| u.login == "samir@rental.example")
        .unwrap();
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/bulk",
            &as_admin,
            Some(json!({"items": [{"op": "status", "id": samir.id, "to": "suspended", "reason": "audit", "durationMinutes": 90}]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["summary"]["committed"], 1, "{v}");
    let until = env
        .scalar("SELECT status_until FROM users WHERE id = $1", &samir.id)
        .await;
    let now = warden_server::app::now().unix();
    assert!(
        (now + 89 * 60..=now + 91 * 60).contains(&until),
        "{until} vs {now}"
    );
}
on_both!(an_expired_temporary_status_reads_as_its_return);

/// Organisation ids are unique within a tenant ignoring case (`acme` and `ACME` would be
/// one organisation to a reader): a second spelling is a 409 at `id` naming the existing
/// one, the stored id keeps its spelling, and the database refuses a twin even when the
/// API is bypassed. Another tenant has ids of its own. References from users stay exact.
async fn organization_ids_differ_by_more_than_case(env: &Env) {
    let users = env.demo(PPP).await;
    let ada = demo_user(&users, "admin");
    let admin = bearer(&env.key(PPP, "admin").await);
    let create = |id: &'static str| {
        env.call(
            Method::POST,
            "/api/v1/organizations",
            &admin,
            Some(json!({"id": id, "name": "A plant"})),
        )
    };
    for (twin, existing) in [("PLANT-A", "plant-a"), ("Plant-B", "plant-b")] {
        let (s, v, _) = create(twin).await;
        assert_eq!(s, StatusCode::CONFLICT, "{twin}: {v}");
        let e = &v["errors"][0];
        assert_eq!(
            (&e["field"], &e["code"]),
            (&json!("id"), &json!("duplicate")),
            "{v}"
        );
        assert!(
            e["message"]
                .as_str()
                .unwrap()
                .contains(&format!("`{existing}`")),
            "the existing id is named: {v}"
        );
    }
    let (s, v, _) = create("Plant-C").await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["id"], "Plant-C", "the id keeps its spelling");
    let (s, v, _) = create("plant-c").await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("`Plant-C`"),
        "{v}"
    );
    let (_, v, _) = env
        .call(Method::GET, "/api/v1/organizations", &admin, None)
        .await;
    assert_eq!(
        org_ids(&v),
        ["Plant-C", "plant-a", "plant-b", "plant-closed"]
    );
    // The database is the final arbiter.
    let twin = sqlx::query(
        "INSERT INTO organizations (tenant_id, id, name, active) VALUES ($1, $2, $3, 1)",
    )
    .bind(PPP)
    .bind("PLANT-CLOSED")
    .bind("Twin")
    .execute(env.app.db.pool())
    .await;
    assert!(
        twin.as_ref().is_err_and(store::is_unique_violation),
        "{twin:?}"
    );
    // Another tenant's ids are its own.
    env.demo(HR).await;
    let other = bearer(&env.key(HR, "admin").await);
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/organizations",
            &other,
            Some(json!({"id": "PLANT-A", "name": "Elsewhere"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // A user names its organisation by the id as stored: another spelling names none (the
    // kernel compares organisations exactly, in scopes and in the login gate).
    let as_ada = Auth::key(&env.key(PPP, "service").await, &ada.id);
    for (org, known) in [("PLANT-A", false), ("plant-a", true)] {
        let (s, v, _) = env
            .call(
                Method::POST,
                "/api/v1/users",
                &as_ada,
                Some(json!({"firstName": "Eve", "lastName": "Case", "email": format!("eve.{known}@planner.example"), "password": "Quartz-Lantern-42!", "organization": org, "status": "active"})),
            )
            .await;
        let at_org = v["violations"]
            .as_array()
            .is_some_and(|vs| vs.iter().any(|x| x["path"] == json!(["organization"])));
        if known {
            assert_eq!(s, StatusCode::CREATED, "{v}");
        } else {
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
            assert!(at_org, "{v}");
        }
    }
}
on_both!(organization_ids_differ_by_more_than_case);

/// A database that already holds organisation ids differing only in case (made before the
/// rule) is not migrated: the migration fails naming the problem and the remedy, and the
/// server does not start on it; once the twins are renamed it applies.
async fn the_case_rule_refuses_to_migrate_case_twins(env: &Env) {
    env.demo(PPP).await;
    let pool = env.app.db.pool();
    sqlx::query("DROP INDEX organizations_id_ignoring_case")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO organizations (tenant_id, id, name, active) VALUES ($1, 'PLANT-A', 'Twin', 1)",
    )
    .bind(PPP)
    .execute(pool)
    .await
    .unwrap();
    let forget =
        "DELETE FROM _sqlx_migrations WHERE description = 'organization ids ignoring case'";
    assert_eq!(
        sqlx::query(forget)
            .execute(pool)
            .await
            .unwrap()
            .rows_affected(),
        1
    );
    let url = warden_server::DbUrl::parse(&env.url).unwrap();
    let refused = warden_server::Db::connect(&url, 2)
        .await
        .err()
        .map(|e| e.to_string());
    let refused = refused.expect("the migration fails");
    assert!(
        refused.contains("differ only in case") && refused.contains("rename"),
        "{refused}"
    );
    sqlx::query("UPDATE organizations SET id = 'plant-a-2' WHERE id = 'PLANT-A'")
        .execute(pool)
        .await
        .unwrap();
    let db = warden_server::Db::connect(&url, 2).await.expect("migrated");
    let twin = sqlx::query(
        "INSERT INTO organizations (tenant_id, id, name, active) VALUES ($1, 'Plant-B', 'Twin', 1)",
    )
    .bind(PPP)
    .execute(db.pool())
    .await;
    assert!(
        twin.as_ref().is_err_and(store::is_unique_violation),
        "{twin:?}"
    );
    db.pool().close().await;
}
on_both!(the_case_rule_refuses_to_migrate_case_twins);

fn member_ids(v: &Value) -> Vec<String> {
    v["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user"]["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Manual groups: members assigned by an actor the kernel allows `groups.manage`, each
/// membership with who and when (R003-08), audited; dynamic groups: members by rule, never
/// assigned.
async fn groups_manual_and_dynamic(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let manager = demo_user(&users, "manager");
    let sophie = demo_user(&users, "sophie");
    let paul = demo_user(&users, "paul");
    let key = env.key(HR, "service").await;
    let as_hr = Auth::key(&key, &hr.id);

    let (s, v, _) = env.call(Method::GET, "/api/v1/groups", &as_hr, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let kind = |id: &str| {
        v["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["id"] == id)
            .map(|g| g["kind"].clone())
    };
    assert_eq!(kind("all-employees"), Some(json!("dynamic")));
    assert_eq!(kind("people-managers"), Some(json!("manual")));

    let path = format!("/api/v1/groups/people-managers/members/{}", sophie.id);
    let (s, v, _) = env.call(Method::PUT, &path, &as_hr, None).await;
    assert_eq!(s, StatusCode::CREATED, "created: {v}");
    assert_eq!(v["changed"], true);
    let (s, v, _) = env.call(Method::PUT, &path, &as_hr, None).await;
    assert_eq!(s, StatusCode::OK, "a member already: {v}");
    assert_eq!(v["changed"], false);
    let (s, v, _) = env.call(Method::PUT, &path, &as_hr, None).await;
    assert_eq!((s, v["changed"].clone()), (StatusCode::OK, json!(false)));
    let (s, v, _) = env
        .call(
            Method::GET,
            "/api/v1/groups/people-managers/members",
            &as_hr,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(member_ids(&v), vec![sophie.id.clone()]);
    assert_eq!(v["members"][0]["addedBy"], hr.id.as_str(), "who (R003-08)");
    assert!(v["members"][0]["addedAt"].is_string(), "when (R003-08)");
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE target_id = $1 AND body LIKE '%groups.addMember%'",
            &sophie.id
        )
        .await,
        1
    );

    // The manager may not manage groups; dynamic and undeclared groups are not assigned.
    let (s, _, _) = env
        .call(
            Method::PUT,
            &format!("/api/v1/groups/people-managers/members/{}", paul.id),
            &Auth::key(&key, &manager.id),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v, _) = env
        .call(
            Method::PUT,
            &format!("/api/v1/groups/all-employees/members/{}", paul.id),
            &as_hr,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(v["errors"][0]["code"], "dynamic_group");
    let (s, v, _) = env
        .call(
            Method::PUT,
            &format!("/api/v1/groups/nope/members/{}", paul.id),
            &as_hr,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    assert_eq!(v["error"], "not_found", "{v}");
    assert_eq!(v["code"], "unknown_group", "{v}");
    let (s, v, _) = env
        .call(Method::GET, "/api/v1/groups/nope/members", &as_hr, None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    assert_eq!(v["code"], "unknown_group", "{v}");

    // Dynamic: every active user the actor may read, paged without loss.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = cursor
            .as_ref()
            .map(|c| format!("&cursor={c}"))
            .unwrap_or_default();
        let (s, v, _) = env
            .call(
                Method::GET,
                &format!("/api/v1/groups/all-employees/members?limit=2{q}"),
                &as_hr,
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        seen.extend(member_ids(&v));
        match v["next"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    seen.sort();
    let mut expected: Vec<String> = users.iter().map(|u| u.id.clone()).collect();
    expected.sort();
    assert_eq!(seen, expected, "all five demo users are active");

    let (s, _, _) = env.call(Method::DELETE, &path, &as_hr, None).await;
    assert_eq!(s, StatusCode::OK);
    let (_, v, _) = env
        .call(
            Method::GET,
            "/api/v1/groups/people-managers/members",
            &as_hr,
            None,
        )
        .await;
    assert!(member_ids(&v).is_empty(), "{v}");
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM group_members WHERE user_id = $1",
            &sophie.id
        )
        .await,
        0
    );
}
on_both!(groups_manual_and_dynamic);

fn outcomes(v: &Value) -> Vec<String> {
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap().to_owned())
        .collect()
}

/// The kernel's bulk operation over HTTP: every item decided by the kernel and reported in
/// order (committed, refused with its reason), the allowed ones executed in the kernel's
/// batches, each committed item with its audit entry; a target outside the actor's reach
/// (or of another tenant) is refused as not found; a deletion safeguard refuses all.
async fn bulk_reports_every_item(env: &Env) {
    let users = env.demo(HR).await;
    let crm = env.demo("crm").await;
    let hr = demo_user(&users, "hr");
    let manager = demo_user(&users, "manager");
    let sophie = demo_user(&users, "sophie");
    let paul = demo_user(&users, "paul");
    let stranger = &crm[0];
    let key = env.key(HR, "service").await;
    let as_hr = Auth::key(&key, &hr.id);
    let audit_before = env
        .scalar("SELECT COUNT(*) FROM audit_log WHERE tenant_id = $1", HR)
        .await;
    let body = json!({
        "batchSize": 2,
        "items": [
            {"op": "status", "id": paul.id, "to": "inactive", "reason": "left the company"},
            {"op": "import", "user": {"firstName": "Ines", "lastName": "Roux", "email": "ines.roux@company.com", "jobTitle": "Software Engineer", "manager": manager.id, "status": "active", "organization": "company"}},
            {"op": "import", "user": {"firstName": "Dup", "lastName": "Licate", "email": sophie.login, "jobTitle": "Software Engineer", "manager": manager.id, "status": "active", "organization": "company"}},
            {"op": "import", "user": {"firstName": "", "lastName": "NoName", "email": "not-an-email", "organization": "company"}},
            {"op": "status", "id": "u_nobody", "to": "inactive", "reason": "x"},
            {"op": "status", "id": stranger.id, "to": "inactive", "reason": "x"},
            {"op": "status", "id": hr.id, "to": "inactive", "reason": "myself"},
        ]
    });
    let (s, v, _) = env
        .call(Method::POST, "/api/v1/bulk", &as_hr, Some(body))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        outcomes(&v),
        [
            "committed",
            "committed",
            "refused",
            "refused",
            "refused",
            "refused",
            "refused"
        ],
        "{v}"
    );
    let r = &v["results"];
    assert_eq!(r[2]["violations"][0]["code"], "duplicate", "{v}");
    assert!(r[3]["violations"].as_array().is_some_and(|a| !a.is_empty()));
    assert_eq!(r[4]["reason"], "not_found");
    assert_eq!(
        r[5]["reason"], "not_found",
        "another tenant's user is not found"
    );
    assert!(r[6]["deny"]["code"].is_string(), "the kernel's denial: {v}");
    assert_eq!(v["summary"]["total"], 7);
    assert_eq!(v["summary"]["committed"], 2);
    assert_eq!(v["summary"]["refused"], 5);
    assert_eq!(
        v["batches"].as_array().unwrap().len(),
        4,
        "the kernel's plan, batches of 2"
    );
    for (i, res) in r.as_array().unwrap().iter().enumerate() {
        assert_eq!(res["index"], i, "every item, in order");
    }

    // The store did what was committed, with obligations (deactivation removes roles) and
    // one audit entry per committed item plus the bulk's own.
    assert_eq!(
        text(env, "SELECT status FROM users WHERE id = $1", &paul.id)
            .await
            .as_deref(),
        Some("inactive")
    );
    assert_eq!(
        text(env, "SELECT roles FROM users WHERE id = $1", &paul.id)
            .await
            .as_deref(),
        Some("[]"),
        "R001-06: deactivation removes roles"
    );
    let ines = r[1]["target"].as_str().unwrap();
    assert_eq!(
        text(env, "SELECT manager_id FROM users WHERE id = $1", ines)
            .await
            .as_deref(),
        Some(manager.id.as_str())
    );
    let mut conn = env.app.db.pool().acquire().await.unwrap();
    assert!(
        closure::descendants(&mut conn, &manager.id, Some(1))
            .await
            .unwrap()
            .contains(&ines.to_owned()),
        "the closure table follows imports"
    );
    drop(conn);
    let audit_after = env
        .scalar("SELECT COUNT(*) FROM audit_log WHERE tenant_id = $1", HR)
        .await;
    assert_eq!(
        audit_after - audit_before,
        3,
        "two items and the bulk entry"
    );

    // Deletions need the confirmation repeating their number: the safeguard refuses every
    // item, and nothing changes.
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/bulk",
            &as_hr,
            Some(json!({"items": [{"op": "delete", "id": sophie.id}, {"op": "status", "id": manager.id, "to": "inactive", "reason": "r"}], "confirmed": true})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(outcomes(&v), ["refused", "refused"], "{v}");
    assert!(v["refused"]["code"].is_string(), "{v}");
    assert_eq!(
        text(env, "SELECT status FROM users WHERE id = $1", &manager.id)
            .await
            .as_deref(),
        Some("active")
    );

    // Malformed requests are typed errors, naming the field.
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/bulk",
            &as_hr,
            Some(json!({"items": [{"op": "explode", "id": "x"}]})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/bulk",
            &as_hr,
            Some(json!({"items": [], "batchSize": 0})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap_or_default()
            .contains("batchSize"),
        "{v}"
    );
}
on_both!(bulk_reports_every_item);

/// Two items on one user: both are decided on the user as it was before the request, so the
/// second, made stale by the first, fails `conflict` and names the item that came first.
async fn a_second_item_on_one_user_names_the_first(env: &Env) {
    let users = env.demo(HR).await;
    let (hr, paul) = (demo_user(&users, "hr"), demo_user(&users, "paul"));
    let key = env.key(HR, "service").await;
    let body = json!({"items": [
        {"op": "status", "id": paul.id, "to": "inactive", "reason": "left the company"},
        {"op": "status", "id": hr.id, "to": "inactive", "reason": "myself"},
        {"op": "status", "id": paul.id, "to": "inactive", "reason": "again"},
    ]});
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/bulk",
            &Auth::key(&key, &hr.id),
            Some(body),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(outcomes(&v), ["committed", "refused", "failed"], "{v}");
    let second = &v["results"][2];
    assert_eq!(second["reason"], "conflict", "{v}");
    assert_eq!(second["sameTargetAs"], 0, "{v}");
    assert!(
        second["message"]
            .as_str()
            .is_some_and(|m| m.contains("item 0"))
    );
    assert!(v["results"][1].get("sameTargetAs").is_none(), "{v}");

    // A second item the snapshot denies is no different: Sophie, inactive now, is not
    // "already active" (a denial of the status the first item left), its item conflicts.
    let sophie = demo_user(&users, "sophie");
    let body = json!({"items": [
        {"op": "status", "id": sophie.id, "to": "inactive", "reason": "left the company"},
        {"op": "status", "id": sophie.id, "to": "active"},
    ]});
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/bulk",
            &Auth::key(&key, &hr.id),
            Some(body),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(outcomes(&v), ["committed", "failed"], "{v}");
    assert_eq!(v["results"][1]["reason"], "conflict", "{v}");
    assert_eq!(v["results"][1]["sameTargetAs"], 0, "{v}");
    assert!(v["results"][1].get("deny").is_none(), "{v}");
    assert_eq!(v["summary"]["failed"], 1, "{v}");
}
on_both!(a_second_item_on_one_user_names_the_first);

/// Concurrent bulk imports of the same email: the database decides, exactly one row is
/// stored, and every other request reports its item (refused by the kernel when it saw the
/// row, failed when the UNIQUE constraint refused it), never drops it.
async fn bulk_imports_race_to_one_row(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr").id.clone();
    let manager = demo_user(&users, "manager").id.clone();
    let key = env.key(HR, "service").await;
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let router = env.router.clone();
        let body = json!({"items": [{"op": "import", "user": {"firstName": "Twin", "lastName": "Race", "email": "twin.race@company.com", "jobTitle": "Software Engineer", "manager": manager, "status": "active", "organization": "company"}}]}).to_string();
        let (key, hr) = (key.clone(), hr.clone());
        tasks.push(tokio::spawn(async move {
            let req = axum::http::Request::builder()
                .method(Method::POST)
                .uri("/api/v1/bulk")
                .header("authorization", format!("Bearer {key}"))
                .header("x-warden-act-as", hr.as_str())
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body))
                .unwrap();
            let resp = tower::ServiceExt::oneshot(router, req).await.unwrap();
            let bytes = http_body_util::BodyExt::collect(resp.into_body())
                .await
                .unwrap()
                .to_bytes();
            serde_json::from_slice::<Value>(&bytes).unwrap()
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        let v = t.await.unwrap();
        assert_eq!(v["results"].as_array().map(Vec::len), Some(1), "{v}");
        let outcome = v["results"][0]["outcome"].as_str().unwrap().to_owned();
        // A loser says why, whether the decision saw the key taken (`refused`) or the
        // store's constraint refused the write (`failed`): its `duplicate` violation at
        // the key's field.
        if outcome != "committed" {
            let found = &v["results"][0]["violations"][0];
            assert_eq!(found["code"], "duplicate", "{v}");
            assert_eq!(found["path"], json!(["email"]), "{v}");
        }
        all.push(outcome);
    }
    assert_eq!(
        all.iter().filter(|o| *o == "committed").count(),
        1,
        "{all:?}"
    );
    assert!(
        all.iter()
            .all(|o| o == "committed" || o == "refused" || o == "failed"),
        "{all:?}"
    );
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM user_keys WHERE key = $1",
            "twin.race@company.com"
        )
        .await,
        1
    );
}
on_both!(bulk_imports_race_to_one_row);

/// A webhook receiver on loopback: records each request's idempotency key and answers 500
/// to the first `fail_first` requests.
struct Receiver {
    url: String,
    keys: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

async fn receiver(fail_first: usize) -> Receiver {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let keys = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = std::sync::Arc::new(AtomicUsize::new(0));
    let (k, s) = (keys.clone(), seen.clone());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |h: axum::http::HeaderMap, body: String| {
            let (k, s) = (k.clone(), s.clone());
            async move {
                let key = h
                    .get("idempotency-key")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                assert_eq!(v["idempotencyKey"].as_str(), Some(key.as_str()));
                k.lock().unwrap().push(key);
                if s.fetch_add(1, Ordering::SeqCst) < fail_first {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::NO_CONTENT
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Receiver {
        url: format!("http://{addr}/hook"),
        keys,
        task,
    }
}

/// Makes every audit append for `target` fail, so that a change fails after its outbox
/// write, inside the same transaction.
async fn fail_audit_for(env: &Env, target: &str) {
    let pool = env.app.db.pool();
    match env.which {
        Which::Sqlite => {
            sqlx::query(&format!(
                "CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log WHEN NEW.target_id = '{target}' BEGIN SELECT RAISE(ABORT, 'audit refused'); END"
            ))
            .execute(pool)
            .await
            .unwrap();
        }
        Which::Postgres => {
            sqlx::query(&format!(
                "CREATE FUNCTION fail_audit() RETURNS trigger AS $$ BEGIN IF NEW.target_id = '{target}' THEN RAISE EXCEPTION 'audit refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
            ))
            .execute(pool)
            .await
            .unwrap();
            sqlx::query("CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION fail_audit()")
                .execute(pool)
                .await
                .unwrap();
        }
    }
}

/// Obligations that leave the directory are written to the outbox with the change; a
/// change rolled back after its outbox write leaves no row; the worker delivers at least
/// once with a stable idempotency key, retrying a refused delivery, and gives up after
/// the last attempt.
async fn outbox_commits_with_the_change(env: &Env) {
    use warden_server::outbox::{self, MAX_ATTEMPTS, Worker};
    let users = env.demo(RENTAL).await;
    let admin = demo_user(&users, "admin");
    let lucas = demo_user(&users, "customer");
    let supplier = demo_user(&users, "supplier");
    let key = env.key(RENTAL, "service").await;
    let as_admin = Auth::key(&key, &admin.id);
    let suspend = json!({"to": "suspended", "reason": "unpaid invoices", "durationDays": 14});

    let (s, v, _) = env
        .call(
            Method::POST,
            &format!("/api/v1/users/{}/status", lucas.id),
            &as_admin,
            Some(suspend.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        env.scalar("SELECT COUNT(*) FROM outbox WHERE user_id = $1 AND kind = 'notifyUser' AND state = 'pending'", &lucas.id).await,
        1,
        "the notification is in the outbox, committed with the change"
    );

    fail_audit_for(env, &supplier.id).await;
    let (s, _, _) = env
        .call(
            Method::POST,
            &format!("/api/v1/users/{}/status", supplier.id),
            &as_admin,
            Some(suspend),
        )
        .await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        text(env, "SELECT status FROM users WHERE id = $1", &supplier.id)
            .await
            .as_deref(),
        Some("active"),
        "the change rolled back"
    );
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM outbox WHERE user_id = $1",
            &supplier.id
        )
        .await,
        0,
        "and its outbox row with it"
    );

    // Delivery: the first POST is refused, the retry is accepted with the same key.
    let rx = receiver(1).await;
    let worker = Worker::new(
        env.app.db.clone(),
        std::sync::Arc::new(outbox::WebhookSink::new(&rx.url).unwrap()),
    );
    let r = worker.round().await.unwrap();
    assert_eq!((r.delivered, r.retried), (0, 1), "{r:?}");
    let r = worker.round().await.unwrap();
    assert_eq!(r.delivered, 0, "not due before its backoff");
    sqlx::query("UPDATE outbox SET next_attempt_at = 0")
        .execute(env.app.db.pool())
        .await
        .unwrap();
    let r = worker.round().await.unwrap();
    assert_eq!((r.delivered, r.retried), (1, 0), "{r:?}");
    let keys = rx.keys.lock().unwrap().clone();
    assert_eq!(keys.len(), 2);
    assert_eq!(
        keys[0], keys[1],
        "the same idempotency key on every attempt"
    );
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM outbox WHERE user_id = $1 AND state = 'delivered'",
            &lucas.id
        )
        .await,
        1
    );
    assert_eq!(
        worker.round().await.unwrap(),
        outbox::Round::default(),
        "delivered once"
    );
    rx.task.abort();

    // A receiver that is gone: retried, then dead after the last attempt.
    let mut tx = env.app.db.begin_write().await.unwrap();
    outbox::enqueue(
        &mut tx,
        RENTAL,
        &lucas.id,
        "notifyUser",
        &json!({"kind": "notifyUser"}),
        0,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let gone = Worker::new(
        env.app.db.clone(),
        std::sync::Arc::new(outbox::WebhookSink::new("http://127.0.0.1:9/hook").unwrap()),
    );
    for _ in 0..MAX_ATTEMPTS {
        sqlx::query("UPDATE outbox SET next_attempt_at = 0 WHERE state = 'pending'")
            .execute(env.app.db.pool())
            .await
            .unwrap();
        gone.round().await.unwrap();
    }
    assert_eq!(
        env.scalar("SELECT COUNT(*) FROM outbox WHERE user_id = $1 AND state = 'dead' AND attempts = 8 AND last_error IS NOT NULL", &lucas.id).await,
        1
    );
}
on_both!(outbox_commits_with_the_change);

/// A user's row as stored now.
async fn stored_row(env: &Env, id: &str) -> UserRow {
    let tenant = text(env, "SELECT tenant_id FROM users WHERE id = $1", id)
        .await
        .unwrap();
    let mut conn = env.app.db.pool().acquire().await.unwrap();
    store::user(&mut conn, &tenant, id).await.unwrap().unwrap()
}

/// Optimistic concurrency: a write over a user row that changed since it was read is refused
/// (409 `stale_user`) and leaves the other write standing, whether the change was a full
/// write or a session revocation's epoch bump. Two concurrent requests on one user used to
/// undo each other (a deactivation lost under a password reset; a document's email out of
/// step with the uniqueness keys).
async fn a_write_over_a_changed_user_is_refused(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let sophie = demo_user(&users, "sophie");
    let write = |mut row: UserRow| {
        let db = env.app.db.clone();
        async move {
            let mut tx = db.begin_write().await.unwrap();
            let r = store::update_user(&mut tx, &mut row, 1_900_000_000).await;
            if r.is_ok() {
                tx.commit().await.unwrap();
            }
            r
        }
    };
    let stale_code = |r: Result<(), warden_server::error::ApiError>| match r {
        Err(warden_server::error::ApiError::Conflict { errors }) => errors[0].code.clone(),
        other => panic!("expected a stale-user conflict, got {other:?}"),
    };

    // Two requests read the same row; the first to write wins, the second is refused.
    let mut first = stored_row(env, &sophie.id).await;
    let mut second = first.clone();
    first.status = "inactive".into();
    second
        .document
        .insert("jobTitle".into(), "Overwritten".into());
    write(first).await.unwrap();
    assert_eq!(stale_code(write(second).await), "stale_user");
    let now = stored_row(env, &sophie.id).await;
    assert_eq!(now.status, "inactive", "the first write stands");
    assert_ne!(now.document.get("jobTitle"), Some(&"Overwritten".into()));

    // A session revocation between the read and the write: the write would have put the
    // old epoch back (the revoked sessions alive again); it is refused instead.
    let stale = stored_row(env, &sophie.id).await;
    let epoch = stale.session_epoch;
    let key = env.key(HR, "service").await;
    let (s, v, _) = env
        .call(
            Method::DELETE,
            &format!("/api/v1/users/{}/sessions", sophie.id),
            &Auth::key(&key, &hr.id),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mut over = stale;
    over.must_change_password = true;
    assert_eq!(stale_code(write(over).await), "stale_user");
    let now = stored_row(env, &sophie.id).await;
    assert_eq!(now.session_epoch, epoch + 1, "the revocation stands");
    assert!(!now.must_change_password);

    // Read again, the write goes through (and bumps the version once).
    let fresh = stored_row(env, &sophie.id).await;
    let version = fresh.version;
    write(fresh).await.unwrap();
    assert_eq!(stored_row(env, &sophie.id).await.version, version + 1);
}
on_both!(a_write_over_a_changed_user_is_refused);

/// The last-super-admin guard holds at write time: a removal (a status change, a delete)
/// decided on a count of active super administrators that another removal has since
/// lowered is refused (409 `stale_user`); decided on the current count, it goes through.
async fn the_super_admin_count_is_rechecked_at_write_time(env: &Env) {
    let users = env.demo(HR).await;
    let (a, b) = (demo_user(&users, "sophie"), demo_user(&users, "paul"));
    let pool = env.app.db.pool().clone();
    for id in [&a.id, &b.id] {
        sqlx::query("UPDATE users SET super_admin = 1, status = 'active' WHERE id = $1")
            .bind(id)
            .execute(&pool)
            .await
            .unwrap();
    }
    let (before_a, before_b) = (stored_row(env, &a.id).await, stored_row(env, &b.id).await);
    let tenant = env.app.tenant(HR).await.unwrap();
    let policy = &tenant.policy;
    let mut conn = pool.acquire().await.unwrap();
    let counted = store::active_super_admins(&mut conn, &before_a.tenant, policy)
        .await
        .unwrap();
    assert!(counted >= 2, "{counted}");
    drop(conn);
    let deactivate = |u: &UserRow| {
        let mut x = u.clone();
        x.status = "inactive".into();
        x
    };
    // B's removal, decided on `counted`, commits first.
    let mut tx = env.app.db.begin_write().await.unwrap();
    let mut after_b = deactivate(&before_b);
    store::update_user(&mut tx, &mut after_b, 1_900_000_000)
        .await
        .unwrap();
    let removed = store::recheck_super_admins(&mut tx, policy, &before_b, Some(&after_b), counted)
        .await
        .unwrap();
    assert!(removed);
    tx.commit().await.unwrap();
    // A's removal was decided on the same count: refused (and rolled back).
    let mut after_a = deactivate(&before_a);
    let mut tx = env.app.db.begin_write().await.unwrap();
    store::update_user(&mut tx, &mut after_a, 1_900_000_000)
        .await
        .unwrap();
    match store::recheck_super_admins(&mut tx, policy, &before_a, Some(&after_a), counted).await {
        Err(warden_server::error::ApiError::Conflict { errors }) => {
            assert_eq!(errors[0].code, "stale_user");
        }
        other => panic!("expected a stale count, got {other:?}"),
    }
    drop(tx);
    // Decided on the current count, it passes; a hard delete counts as a removal; a change
    // that keeps A a super admin is not checked at all.
    // (The refused write's transaction was rolled back: the row is at the version read.)
    after_a.version = before_a.version;
    let mut tx = env.app.db.begin_write().await.unwrap();
    store::update_user(&mut tx, &mut after_a, 1_900_000_000)
        .await
        .unwrap();
    assert!(
        store::recheck_super_admins(&mut tx, policy, &before_a, Some(&after_a), counted - 1)
            .await
            .unwrap()
    );
    drop(tx);
    let mut tx = env.app.db.begin_write().await.unwrap();
    store::delete_user(&mut tx, &before_a).await.unwrap();
    assert!(
        store::recheck_super_admins(&mut tx, policy, &before_a, None, counted - 1)
            .await
            .unwrap()
    );
    drop(tx);
    let mut tx = env.app.db.begin_write().await.unwrap();
    assert!(
        !store::recheck_super_admins(&mut tx, policy, &before_a, Some(&before_a), 0)
            .await
            .unwrap()
    );
}
on_both!(the_super_admin_count_is_rechecked_at_write_time);

/// The count of active super administrators is the kernel's notion of active: every
/// status from which an account may log in (`login: true`), not the name `active`.
async fn super_admins_in_any_login_status_are_counted(env: &Env) {
    let users = env.demo(HR).await;
    let (a, b) = (demo_user(&users, "sophie"), demo_user(&users, "paul"));
    let pool = env.app.db.pool().clone();
    for (id, status) in [(&a.id, "onLeave"), (&b.id, "active")] {
        sqlx::query("UPDATE users SET super_admin = 1, status = $2 WHERE id = $1")
            .bind(id)
            .bind(status)
            .execute(&pool)
            .await
            .unwrap();
    }
    let tenant = env.app.tenant(HR).await.unwrap();
    let mut doc = serde_json::to_value(tenant.policy.document()).unwrap();
    let mut conn = pool.acquire().await.unwrap();
    let plain = store::active_super_admins(&mut conn, HR, &tenant.policy)
        .await
        .unwrap();
    doc["lifecycle"]["statuses"]["onLeave"] = json!({"login": true});
    doc["fields"]["status"]["values"]
        .as_array_mut()
        .unwrap()
        .push(json!("onLeave"));
    let on_leave = warden_core::Policy::from_value(doc).unwrap();
    assert_eq!(on_leave.login_statuses(), ["active", "onLeave"]);
    let counted = store::active_super_admins(&mut conn, HR, &on_leave)
        .await
        .unwrap();
    assert_eq!(counted, plain + 1, "sophie, on leave, may log in: counted");
}
on_both!(super_admins_in_any_login_status_are_counted);

/// The `token` reset method end to end: the reset issues a token (stored hashed, in clear
/// only in the outbox message, scrubbed from it once delivered) and sets no password; the
/// user redeems it once with a password the rules accept (a refused one leaves it valid);
/// then the old password and every session are gone, and any token that is not live gets
/// the same 403.
async fn a_reset_token_is_issued_delivered_and_redeemed_once(env: &Env) {
    const CRM: &str = "crm";
    let users = env.demo(CRM).await;
    let admin = demo_user(&users, "admin");
    let rep = demo_user(&users, "rep");
    let key = env.key(CRM, "admin").await;
    let session = env.sign_in(CRM, &rep.login, DEMO_PASSWORD).await.unwrap();
    // A reset of the rep asked by the administrator.
    let reset = |body: Value| {
        let path = format!("/api/v1/users/{}/password-reset", rep.id);
        let auth = Auth::key(&key, &admin.id);
        async move { env.call(Method::POST, &path, &auth, Some(body)).await }
    };

    // A password sent with the token method is refused, not ignored.
    let (s, v, _) = reset(json!({"method": "token", "password": "Vq8!rT#2mLp9zXw"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM password_reset_tokens WHERE user_id = $1",
            &rep.id
        )
        .await,
        0
    );

    let (s, v, _) = reset(json!({"method": "token"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let kinds: Vec<&str> = v["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"issueResetToken"), "{v}");
    assert!(
        !kinds.contains(&"invalidatePasswords"),
        "not done before redemption: {v}"
    );
    assert!(v.get("temporaryPassword").is_none());
    assert!(
        !v.to_string().contains("wrt_"),
        "the token is not in the answer"
    );
    // Issued, not yet redeemed: the old password still signs in.
    assert!(env.sign_in(CRM, &rep.login, DEMO_PASSWORD).await.is_some());

    let payload = text(
        env,
        "SELECT payload FROM outbox WHERE user_id = $1 AND kind = 'issueResetToken'",
        &rep.id,
    )
    .await
    .unwrap();
    let token = serde_json::from_str::<Value>(&payload).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(token.starts_with("wrt_"));
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM password_reset_tokens WHERE user_id = $1",
            &rep.id
        )
        .await,
        1
    );
    let redeem = |token: &str, tenant: &str, password: &str| {
        let body = json!({"tenant": tenant, "token": token, "password": password});
        async move {
            env.call(
                Method::POST,
                "/api/v1/password-reset",
                &Auth::None,
                Some(body),
            )
            .await
        }
    };

    // A password the rules refuse (too short; then the user's own username): 422, the
    // token still valid.
    for weak in ["short", "tbaker-Password-2026!"] {
        let (s, v, _) = redeem(&token, CRM, weak).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{weak}: {v}");
    }
    // Tokens that are not live, another tenant, a made-up one: the same 403.
    let (s, refused, _) = redeem("wrt_0000", CRM, "Vq8!rT#2mLp9zXw").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{refused}");
    let (s, v, _) = redeem(&token, HR, "Vq8!rT#2mLp9zXw").await;
    assert_eq!((s, &v), (StatusCode::FORBIDDEN, &refused));

    let (s, v, _) = redeem(&token, CRM, "Vq8!rT#2mLp9zXw").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["user"], rep.id.as_str());
    // The old password and the old session are gone; the new password signs in.
    assert!(env.sign_in(CRM, &rep.login, DEMO_PASSWORD).await.is_none());
    let (s, _, _) = env
        .call(
            Method::GET,
            "/api/v1/session",
            &Auth::cookie(&session),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(
        env.sign_in(CRM, &rep.login, "Vq8!rT#2mLp9zXw")
            .await
            .is_some()
    );
    // Used up.
    let (s, v, _) = redeem(&token, CRM, "Another-Pass-7391!").await;
    assert_eq!((s, &v), (StatusCode::FORBIDDEN, &refused));
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE target_id = $1 AND body LIKE '%passwordResetRedeemed%'",
            &rep.id
        )
        .await,
        1
    );
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE body LIKE '%wrt_%' OR body LIKE $1",
            "%Vq8!rT%"
        )
        .await,
        0,
        "no token or password in the audit log"
    );

    // Delivered, the stored message no longer holds the token.
    let worker = warden_server::outbox::Worker::new(
        env.app.db.clone(),
        std::sync::Arc::new(warden_server::outbox::LogSink),
    );
    worker.round().await.unwrap();
    let payload = text(
        env,
        "SELECT payload FROM outbox WHERE user_id = $1 AND kind = 'issueResetToken'",
        &rep.id,
    )
    .await
    .unwrap();
    assert!(!payload.contains(&token), "{payload}");
    assert!(payload.contains("expiresAt"), "{payload}");

    // A second reset replaces the user's live token; an expired one is refused.
    let issue = || async {
        let (s, v, _) = reset(json!({"method": "token"})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let payload: String = sqlx::query_scalar(
            "SELECT payload FROM outbox WHERE user_id = $1 AND kind = 'issueResetToken' AND state = 'pending'",
        )
        .bind(&rep.id)
        .fetch_one(env.app.db.pool())
        .await
        .unwrap();
        let token = serde_json::from_str::<Value>(&payload).unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned();
        worker.round().await.unwrap();
        token
    };
    let first = issue().await;
    let second = issue().await;
    let (s, _, _) = redeem(&first, CRM, "Vq8!rT#2mLp9zXa").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "replaced by the second");
    sqlx::query("UPDATE password_reset_tokens SET expires_at = 0 WHERE user_id = $1")
        .bind(&rep.id)
        .execute(env.app.db.pool())
        .await
        .unwrap();
    let (s, v, _) = redeem(&second, CRM, "Vq8!rT#2mLp9zXa").await;
    assert_eq!((s, &v), (StatusCode::FORBIDDEN, &refused), "expired");
    // A password set another way (an administrator's reset) ends the live token.
    let third = issue().await;
    let (s, v, _) = reset(json!({"method": "admin", "password": "Kx4#pQ9!vNm2rTz"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v, _) = redeem(&third, CRM, "Vq8!rT#2mLp9zXa").await;
    assert_eq!(
        (s, &v),
        (StatusCode::FORBIDDEN, &refused),
        "ended by the admin reset"
    );
}
on_both!(a_reset_token_is_issued_delivered_and_redeemed_once);

/// A reset token is a way in, and goes where the user's other ways in go: a status change
/// voids it for good (a deactivated user reactivated later does not find it usable again),
/// and so does ending the user's sessions.
async fn a_reset_token_dies_with_a_status_change_or_the_sessions(env: &Env) {
    const CRM: &str = "crm";
    let users = env.demo(CRM).await;
    let admin = demo_user(&users, "admin");
    let rep = demo_user(&users, "rep");
    let key = env.key(CRM, "admin").await;
    let as_admin = &Auth::key(&key, &admin.id);
    let user_path = |tail: &str| format!("/api/v1/users/{}/{tail}", rep.id);
    let issue = || async {
        // The one message the new token is in.
        sqlx::query("DELETE FROM outbox WHERE user_id = $1")
            .bind(&rep.id)
            .execute(env.app.db.pool())
            .await
            .unwrap();
        let (s, v, _) = env
            .call(
                Method::POST,
                &user_path("password-reset"),
                as_admin,
                Some(json!({"method": "token"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let payload = text(
            env,
            "SELECT payload FROM outbox WHERE user_id = $1 AND kind = 'issueResetToken'",
            &rep.id,
        )
        .await
        .unwrap();
        serde_json::from_str::<Value>(&payload).unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let status = |to: &'static str| async move {
        let body = json!({"to": to, "reason": "a test"});
        let (s, v, _) = env
            .call(Method::POST, &user_path("status"), as_admin, Some(body))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    };
    let redeem = |token: String| async move {
        let body = json!({"tenant": CRM, "token": token, "password": "Vq8!rT#2mLp9zXw"});
        let (s, v, _) = env
            .call(
                Method::POST,
                "/api/v1/password-reset",
                &Auth::None,
                Some(body),
            )
            .await;
        (s, v)
    };

    let token = issue().await;
    status("inactive").await;
    status("active").await;
    let (s, v) = redeem(token).await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "back in its status, the token is still void: {v}"
    );

    let token = issue().await;
    let (s, v, _) = env
        .call(Method::DELETE, &user_path("sessions"), as_admin, None)
        .await;
    assert!(s.is_success(), "{s} {v}");
    let (s, v) = redeem(token).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");

    // Untouched, a token still works.
    let token = issue().await;
    let (s, v) = redeem(token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}
on_both!(a_reset_token_dies_with_a_status_change_or_the_sessions);

/// Two moves decided at once, each on a hierarchy where it makes no cycle (X under Y, Y
/// under X): the second to write finds the other's write and fails as a conflict (409
/// `stale_user`, the client reads again and gets `manager_cycle`), not a database error,
/// and the hierarchy keeps no cycle.
async fn crossed_manager_moves_are_a_conflict(env: &Env) {
    let users = env.demo(HR).await;
    let (hr, manager) = (demo_user(&users, "hr"), demo_user(&users, "manager"));
    let mut conn = env.app.db.pool().acquire().await.unwrap();
    let mut x = store::user(&mut conn, HR, &hr.id).await.unwrap().unwrap();
    let mut y = store::user(&mut conn, HR, &manager.id)
        .await
        .unwrap()
        .unwrap();
    drop(conn);
    x.manager = Some(y.id.clone());
    y.manager = Some(x.id.clone());
    let mut tx = env.app.db.begin_write().await.unwrap();
    store::update_user(&mut tx, &mut x, 1_900_000_000)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = env.app.db.begin_write().await.unwrap();
    match store::update_user(&mut tx, &mut y, 1_900_000_000).await {
        Err(ApiError::Conflict { errors }) => assert_eq!(errors[0].code, "stale_user"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    drop(tx);
    let mut conn = env.app.db.pool().acquire().await.unwrap();
    assert!(
        closure::is_below_or_same(&mut conn, &y.id, &x.id)
            .await
            .unwrap()
    );
    assert!(
        !closure::is_below_or_same(&mut conn, &x.id, &y.id)
            .await
            .unwrap()
    );
}
on_both!(crossed_manager_moves_are_a_conflict);

/// A query parameter the route does not know is a 400 naming it, not silently dropped (a
/// typo such as `?confrim=true` would otherwise change what the request does).
async fn unknown_query_parameters_are_refused(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let sophie = demo_user(&users, "sophie");
    let key = env.key(HR, "service").await;
    let auth = Auth::key(&key, &hr.id);
    for (method, path) in [
        (Method::GET, "/api/v1/users?limt=5".to_owned()),
        (
            Method::DELETE,
            format!("/api/v1/users/{}?confrim=true", sophie.id),
        ),
    ] {
        let (s, v, _) = env.call(method, &path, &auth, None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{path}: {v}");
        assert_eq!(v["in"], "query", "{path}: {v}");
        assert_eq!(v["code"], "unknown_parameter", "{path}: {v}");
        assert!(
            ["limt", "confrim"].contains(&v["field"].as_str().unwrap_or_default()),
            "{path}: {v}"
        );
    }
    let (s, _, _) = env
        .call(
            Method::GET,
            &format!("/api/v1/users/{}", sophie.id),
            &auth,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "the refused delete deleted nothing");
    // A parameter of the wrong value is typed too, naming it.
    for (method, path, field) in [
        (Method::GET, "/api/v1/users?cursor=not-a-cursor", "cursor"),
        (Method::POST, "/api/v1/imports?format=xlsx", "format"),
    ] {
        // A body only where the operation takes one (a GET's would be refused itself).
        let body = (method == Method::POST).then(|| json!({}));
        let (s, v, _) = env.call(method, path, &auth, body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{path}: {v}");
        assert_eq!(
            (&v["in"], &v["field"], &v["code"]),
            (&json!("query"), &json!(field), &json!("invalid_parameter")),
            "{path}: {v}"
        );
    }
}
on_both!(unknown_query_parameters_are_refused);

/// Sign-ins that change only the login counters (a failure that locks nothing, a success)
/// make no new version of the user: an administrator's change decided meanwhile still goes
/// through (anyone can send wrong passwords, and they must not make it stale).
async fn login_counters_make_no_new_version(env: &Env) {
    let users = env.demo(HR).await;
    let sophie = demo_user(&users, "sophie");
    let read = stored_row(env, &sophie.id).await;
    assert!(env.sign_in(HR, &sophie.login, WRONG).await.is_none());
    assert!(
        env.sign_in(HR, &sophie.login, DEMO_PASSWORD)
            .await
            .is_some()
    );
    assert_eq!(
        env.scalar("SELECT version FROM users WHERE id = $1", &sophie.id)
            .await,
        read.version
    );
    let mut after = read.clone();
    after.document.insert("jobTitle".into(), "Analyst".into());
    let mut tx = env.app.db.begin_write().await.unwrap();
    store::update_user(&mut tx, &mut after, 1_900_000_000)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}
on_both!(login_counters_make_no_new_version);

/// A user others report to is not removed from the directory (a hard or soft deletion,
/// one or in bulk): their manager would name nobody (R001-04) and they would fall out of
/// every manager's scope (an anonymising deletion keeps the user, and so its reports'
/// references); once the reports have another manager, the deletion goes through.
async fn a_manager_with_reports_is_not_deleted(env: &Env) {
    let users = env.demo(HR).await;
    let (hr, marc, ceo) = (
        demo_user(&users, "hr"),
        demo_user(&users, "manager"),
        demo_user(&users, "ceo"),
    );
    env.edit_policy(HR, |d| {
        d["lifecycle"]["deletion"] = json!({"modes": ["soft", "hard"], "default": "hard", "confirmation": true, "by": {"permission": "users.delete"}});
    })
    .await;
    let key = env.key(HR, "service").await;
    let as_hr = Auth::key(&key, &hr.id);
    for mode in ["hard", "soft"] {
        let (s, v, _) = env
            .call(
                Method::DELETE,
                &format!("/api/v1/users/{}?mode={mode}&confirm=true", marc.id),
                &as_hr,
                None,
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{mode}: {v}");
        assert_eq!(v["errors"][0]["code"], "has_reports", "{v}");
    }
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/bulk",
            &as_hr,
            Some(json!({"items": [{"op": "delete", "id": marc.id, "mode": "hard"}], "confirmed": true, "confirmCount": 1})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["results"][0]["outcome"], "failed", "{v}");
    assert_eq!(v["results"][0]["errors"][0]["code"], "has_reports", "{v}");
    assert_eq!(env.stored_status(&marc.id).await, "active");
    // His reports given another manager, he goes.
    let reports: Vec<String> = sqlx::query_scalar("SELECT id FROM users WHERE manager_id = $1")
        .bind(&marc.id)
        .fetch_all(env.app.db.pool())
        .await
        .unwrap();
    assert_eq!(reports.len(), 2, "{reports:?}");
    for id in &reports {
        let (s, v, _) = env
            .call(
                Method::PATCH,
                &format!("/api/v1/users/{id}"),
                &as_hr,
                Some(json!({"manager": ceo.id})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let (s, v, _) = env
        .call(
            Method::DELETE,
            &format!("/api/v1/users/{}?mode=hard&confirm=true", marc.id),
            &as_hr,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}
on_both!(a_manager_with_reports_is_not_deleted);
