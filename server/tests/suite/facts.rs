//! Facts the server holds and answers for the kernel itself, rather than asking its caller:
//! `soleHolderOf` (R004-09), from its directory. Found by a walk of the console: a PRS
//! deactivation was refused for a missing fact no caller could give.
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
use warden_core::Timestamp;
use warden_server::error::ApiError;
use warden_server::store::{self, UserRow};

const PRS: &str = "prs-procurement";

async fn new_approver(env: &Env, admin: &Auth, supervisor: &str, username: &str) -> String {
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/users",
            admin,
            Some(json!({"username": username, "firstName": "Ann", "lastName": username, "userType": "approver", "department": "Finance", "supervisor": supervisor, "organization": "prs"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["user"]["id"].as_str().unwrap().to_owned()
}

/// A status change of user `id` with `body`; with `dry`, its dry run.
async fn change_status(
    env: &Env,
    auth: &Auth,
    id: &str,
    dry: bool,
    body: Value,
) -> (StatusCode, Value) {
    let query = if dry { "?dryRun=true" } else { "" };
    let (s, v, _) = env
        .call(
            Method::POST,
            &format!("/api/v1/users/{id}/status{query}"),
            auth,
            Some(body),
        )
        .await;
    (s, v)
}

/// A PRS deactivation, with no approvals waiting.
fn leaves() -> Value {
    json!({"to": "inactive", "reason": "left the company", "pendingApprovals": 0})
}

async fn deactivate(env: &Env, admin: &Auth, id: &str) -> (StatusCode, Value) {
    change_status(env, admin, id, false, leaves()).await
}

/// The only approver of the PRS tenant is not deactivated (its approvals would be left
/// to nobody): the status route, an AuthZEN evaluation with the change and a bulk item
/// all refuse it, naming the permission; with a second approver it is deactivated, and
/// of several approvers deactivated in one bulk request the last is refused.
async fn the_only_holder_of_a_critical_permission_stays(env: &Env) {
    let users = env.demo(PRS).await;
    let admin = demo_user(&users, "admin");
    let approver = demo_user(&users, "approver");
    let key = env.key(PRS, "service").await;
    let as_admin = Auth::key(&key, &admin.id);

    let (s, v) = deactivate(env, &as_admin, &approver.id).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["deny"]["code"], "sole_critical_holder", "{v}");
    assert_eq!(
        v["deny"]["params"]["permissions"],
        json!(["requisitions.approve"]),
        "{v}"
    );
    let (s, v, _) = env
        .call(
            Method::POST,
            "/access/v1/evaluation",
            &as_admin,
            Some(json!({
                "subject": {"type": "user", "id": admin.id},
                "action": {"name": "users.status", "properties": {"to": "inactive", "reason": "left the company", "pendingApprovals": 0}},
                "resource": {"type": "user", "id": approver.id}
            })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["decision"], false, "{v}");
    assert_eq!(env.stored_status(&approver.id).await, "active");

    // Two more approvers. One request deactivating all three is refused whole (its
    // items do not count on each other as holders); two of the three pass.
    let second = new_approver(env, &as_admin, &admin.id, "ann2").await;
    let third = new_approver(env, &as_admin, &admin.id, "ann3").await;
    let bulk = |ids: Vec<&str>| {
        let items: Vec<Value> = ids
            .iter()
            .map(|id| json!({"op": "status", "id": id, "to": "inactive", "reason": "left", "pendingApprovals": 0}))
            .collect();
        let as_admin = &as_admin;
        async move {
            let (s, v, _) = env
                .call(
                    Method::POST,
                    "/api/v1/bulk",
                    as_admin,
                    Some(json!({ "items": items })),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
            v
        }
    };
    let v = bulk(vec![&approver.id, &second, &third]).await;
    for r in v["results"].as_array().unwrap() {
        assert_eq!(r["outcome"], "refused", "{v}");
        assert_eq!(r["deny"]["code"], "sole_critical_holder", "{v}");
    }
    assert_eq!(env.stored_status(&approver.id).await, "active");
    let v = bulk(vec![&approver.id, &second]).await;
    assert_eq!(v["results"][0]["outcome"], "committed", "{v}");
    assert_eq!(v["results"][1]["outcome"], "committed", "{v}");
    let (s, v) = deactivate(env, &as_admin, &third).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "the last one stays: {v}");

    // An inactive approver holds nothing: with a fourth, active, the third may go.
    new_approver(env, &as_admin, &admin.id, "ann4").await;
    let (s, v) = deactivate(env, &as_admin, &third).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(env.stored_status(&third).await, "inactive");
}
on_both!(the_only_holder_of_a_critical_permission_stays);

/// The PRS demo with a second approver: the administrator (as a service key acting as
/// them), the demo's approver and the new one.
async fn two_approvers(env: &Env) -> (Auth, String, String) {
    let users = env.demo(PRS).await;
    let admin = demo_user(&users, "admin");
    let first = demo_user(&users, "approver").id.clone();
    let key = env.key(PRS, "service").await;
    let as_admin = Auth::key(&key, &admin.id);
    let second = new_approver(env, &as_admin, &admin.id, "ann2").await;
    (as_admin, first, second)
}

/// The guard holds again at write time (`store::recheck_sole_holder`, which the status
/// route, the deletion route and each bulk item call inside their transaction): two
/// approvers, each deactivation decided while the other was still active; the first to
/// write passes, the second is refused (409 `stale_user`) and writes nothing.
async fn the_last_holders_cannot_both_leave_at_once(env: &Env) {
    let (_, first, second) = two_approvers(env).await;
    let tenant = env.app.tenant(PRS).await.unwrap();
    let row = |id: String| async move {
        let mut conn = env.app.db.pool().acquire().await.unwrap();
        store::user(&mut conn, PRS, &id).await.unwrap().unwrap()
    };
    let (before_first, before_second) = (row(first.clone()).await, row(second.clone()).await);
    let leave = |before: &UserRow| {
        let before = before.clone();
        let policy = tenant.policy.clone();
        async move {
            let mut after = before.clone();
            after.status = "inactive".into();
            let mut tx = env.app.db.begin_write().await.unwrap();
            store::update_user(&mut tx, &mut after, 1_900_000_000)
                .await
                .unwrap();
            let checked = store::recheck_sole_holder(
                &mut tx,
                &policy,
                &before,
                None,
                Timestamp::from_unix(1_900_000_000),
            )
            .await;
            if checked.is_ok() {
                tx.commit().await.unwrap();
            }
            checked
        }
    };
    leave(&before_second)
        .await
        .expect("another approver was left");
    match leave(&before_first).await {
        Err(ApiError::Conflict { errors }) => assert_eq!(errors[0].code, "stale_user"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(env.stored_status(&first).await, "active");
    assert_eq!(env.stored_status(&second).await, "inactive");
}
on_both!(the_last_holders_cannot_both_leave_at_once);

/// The deactivation of PRS user `id`, written in a transaction left open for the caller
/// to commit: SQLite's writers wait on it (`BEGIN IMMEDIATE`); on PostgreSQL it holds the
/// tenant's row, which the write-time rechecks lock.
async fn leaves_held_open(env: &Env, id: &str) -> sqlx::Transaction<'static, sqlx::Any> {
    let mut conn = env.app.db.pool().acquire().await.unwrap();
    let mut leaving = store::user(&mut conn, PRS, id).await.unwrap().unwrap();
    drop(conn);
    leaving.status = "inactive".into();
    let mut tx = env.app.db.begin_write().await.unwrap();
    store::lock_tenant(&mut tx, PRS).await.unwrap();
    store::update_user(&mut tx, &mut leaving, 1_900_000_000)
        .await
        .unwrap();
    tx
}

/// A bulk request's status change holds the guard at write time too: the other approver
/// leaves in a transaction still open while the request decides (so the decision counts
/// on them), and commits while the request waits to write; the item then fails as a
/// conflict, reported, and the approver stays.
async fn a_bulk_item_holds_the_guard_at_write_time(env: &Env) {
    let (as_admin, first, second) = two_approvers(env).await;
    let tx = leaves_held_open(env, &second).await;
    let bulk = env.call(
        Method::POST,
        "/api/v1/bulk",
        &as_admin,
        Some(json!({"items": [
            {"op": "status", "id": first, "to": "inactive", "reason": "left", "pendingApprovals": 0}
        ]})),
    );
    let release = async {
        // Long enough for the request to decide and reach its write.
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        tx.commit().await.unwrap();
    };
    let ((s, v, _), ()) = tokio::join!(bulk, release);
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["results"][0]["outcome"], "failed", "{v}");
    assert_eq!(v["results"][0]["reason"], "conflict", "{v}");
    assert_eq!(env.stored_status(&first).await, "active");
    assert_eq!(env.stored_status(&second).await, "inactive");
}
on_both!(a_bulk_item_holds_the_guard_at_write_time);

/// An edit of `id` with `body`.
async fn edit(env: &Env, auth: &Auth, id: &str, body: Value) -> (StatusCode, Value) {
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            auth,
            Some(body),
        )
        .await;
    (s, v)
}

/// The user type (PRS's role field) of user `id`, as stored.
async fn stored_type(env: &Env, id: &str) -> Value {
    let mut conn = env.app.db.pool().acquire().await.unwrap();
    let row = store::user(&mut conn, PRS, id).await.unwrap().unwrap();
    row.document["userType"].clone()
}

/// An edit may not take a critical permission from its only holder either (R004-09, as
/// a deactivation may not): the PRS approver's user type (its role) changed is refused,
/// the permission named, and nothing is written; with a second approver it goes through.
async fn an_edit_cannot_take_the_only_holders_permission(env: &Env) {
    let users = env.demo(PRS).await;
    let admin = demo_user(&users, "admin");
    let approver = demo_user(&users, "approver").id.clone();
    let key = env.key(PRS, "service").await;
    let as_admin = Auth::key(&key, &admin.id);
    let (s, v) = edit(env, &as_admin, &approver, json!({"userType": "requester"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["deny"]["code"], "sole_critical_holder", "{v}");
    assert_eq!(
        v["deny"]["params"]["permissions"],
        json!(["requisitions.approve"]),
        "{v}"
    );
    assert_eq!(stored_type(env, &approver).await, "approver");
    // An edit that keeps the role needs nothing of the guard.
    let (s, v) = edit(env, &as_admin, &approver, json!({"lastName": "Kept"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    let second = new_approver(env, &as_admin, &admin.id, "ann2").await;
    let (s, v) = edit(env, &as_admin, &approver, json!({"userType": "requester"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(stored_type(env, &approver).await, "requester");
    // The second is now the only one.
    let (s, v) = edit(env, &as_admin, &second, json!({"userType": "viewer"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["deny"]["code"], "sole_critical_holder", "{v}");
    assert_eq!(stored_type(env, &second).await, "approver");
}
on_both!(an_edit_cannot_take_the_only_holders_permission);

/// The edit holds the guard at write time: the other approver leaves in a transaction
/// held open while the edit decides (so the decision counts on them) and committed while
/// it waits to write; the edit then fails as a conflict and the role stays.
async fn an_edit_holds_the_guard_at_write_time(env: &Env) {
    let (as_admin, first, second) = two_approvers(env).await;
    let tx = leaves_held_open(env, &second).await;
    let change = edit(env, &as_admin, &first, json!({"userType": "requester"}));
    let release = async {
        // Long enough for the request to decide and reach its write.
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        tx.commit().await.unwrap();
    };
    let ((s, v), ()) = tokio::join!(change, release);
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["errors"][0]["code"], "stale_user", "{v}");
    assert_eq!(stored_type(env, &first).await, "approver");
    assert_eq!(env.stored_status(&second).await, "inactive");
}
on_both!(an_edit_holds_the_guard_at_write_time);

/// A dry run decides a status change as the change would be decided (the same facts) and
/// writes nothing: what a console shows before the administrator applies it.
async fn a_dry_run_decides_and_writes_nothing(env: &Env) {
    let users = env.demo(PRS).await;
    let admin = demo_user(&users, "admin");
    let approver = demo_user(&users, "approver");
    let requester = demo_user(&users, "requester");
    let key = env.key(PRS, "service").await;
    let as_admin = Auth::key(&key, &admin.id);
    let (s, v) = change_status(env, &as_admin, &requester.id, true, leaves()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["dryRun"], true, "{v}");
    assert_eq!(v["to"], "inactive", "{v}");
    let kinds: Vec<&str> = v["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"revokeSessions"), "{v}");
    assert_eq!(v["user"]["status"], "active", "{v}");
    assert_eq!(env.stored_status(&requester.id).await, "active");
    // Nothing written: not the version, not an audit entry.
    let audit = |id: String| {
        let as_admin = &as_admin;
        async move {
            let (_, v, _) = env
                .call(
                    Method::GET,
                    &format!("/api/v1/users/{id}/audit"),
                    as_admin,
                    None,
                )
                .await;
            v["entries"].as_array().unwrap().len()
        }
    };
    let entries = audit(requester.id.clone()).await;
    let (s, v) = change_status(env, &as_admin, &requester.id, true, leaves()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(audit(requester.id.clone()).await, entries);
    let (_, read, _) = env
        .call(
            Method::GET,
            &format!("/api/v1/users/{}", requester.id),
            &as_admin,
            None,
        )
        .await;
    assert_eq!(read["user"]["version"], v["user"]["version"], "{read}");
    let (s, v) = change_status(env, &as_admin, &approver.id, true, leaves()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["deny"]["code"], "sole_critical_holder", "{v}");
    let (s, v, _) = env
        .call(
            Method::POST,
            &format!("/api/v1/users/{}/status?dryRun=maybe", requester.id),
            &as_admin,
            Some(json!({"to": "inactive", "reason": "left"})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
}
on_both!(a_dry_run_decides_and_writes_nothing);

/// A dry run names the roles and groups an obligation would remove only to an actor the
/// policy lets see them: with `roles` hidden from HR, HR's dry run of a deactivation still
/// says roles would be removed, not which.
async fn a_dry_run_names_only_what_the_actor_may_see(env: &Env) {
    const HR: &str = "hr-platform";
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let sophie = demo_user(&users, "sophie");
    let key = env.key(HR, "service").await;
    let as_hr = Auth::key(&key, &hr.id);
    let dry = || async {
        let body = json!({"to": "inactive", "reason": "left the company"});
        let (s, v) = change_status(env, &as_hr, &sophie.id, true, body).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v
    };
    // The obligation of `kind` in a dry run's answer.
    let obligation = |v: &Value, kind: &str| -> Value {
        v["obligations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o.to_string().contains(kind))
            .cloned()
            .unwrap_or_else(|| panic!("no {kind} obligation: {v}"))
    };
    let v = dry().await;
    assert!(
        obligation(&v, "removeRoles")["roles"].is_array(),
        "HR sees the roles: {v}"
    );
    env.edit_policy(HR, |doc| {
        let fa = doc["access"]["fieldAccess"].as_object_mut().unwrap();
        fa.insert("roles".into(), json!({"view": ["self", "superAdmin"]}));
    })
    .await;
    let v = dry().await;
    let o = obligation(&v, "removeRoles");
    assert!(o.get("roles").is_none(), "roles hidden from HR: {v}");
    assert!(v["user"].get("roles").is_none(), "{v}");
    assert_eq!(env.stored_status(&sophie.id).await, "active", "a dry run");
}
on_both!(a_dry_run_names_only_what_the_actor_may_see);

/// The approvals waiting on a user are the caller's fact (the directory keeps no
/// approvals): a PRS deactivation, which obliges their reassignment (R004-06), is refused
/// for the missing fact without it, carries the obligation with its count when some are
/// waiting, and none when none are; a bulk item and an AuthZEN evaluation take the fact
/// alike.
async fn pending_approvals_are_the_callers_fact(env: &Env) {
    let users = env.demo(PRS).await;
    let admin = demo_user(&users, "admin");
    let requester = demo_user(&users, "requester");
    let key = env.key(PRS, "service").await;
    let as_admin = Auth::key(&key, &admin.id);
    let status = |body: Value| change_status(env, &as_admin, &requester.id, true, body);
    let (s, v) = status(json!({"to": "inactive", "reason": "left"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["deny"]["code"], "missing_fact", "{v}");
    assert_eq!(
        v["deny"]["params"]["facts"],
        json!(["pendingApprovals"]),
        "{v}"
    );
    let reassign = |v: &Value| {
        v["obligations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["kind"] == "reassignApprovals")
            .cloned()
    };
    let (s, v) = status(json!({"to": "inactive", "reason": "left", "pendingApprovals": 3})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(reassign(&v).expect("the obligation")["count"], 3, "{v}");
    let (s, v) = status(json!({"to": "inactive", "reason": "left", "pendingApprovals": 0})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(reassign(&v).is_none(), "nothing to reassign: {v}");
    let (s, v) = status(json!({"to": "inactive", "pendingApprovals": -1})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");

    // AuthZEN: the same fact in action.properties.
    let eval = |props: Value| {
        let as_admin = &as_admin;
        let body = json!({
            "subject": {"type": "user", "id": admin.id},
            "action": {"name": "users.status", "properties": props},
            "resource": {"type": "user", "id": requester.id}
        });
        async move {
            let (_, v, _) = env
                .call(Method::POST, "/access/v1/evaluation", as_admin, Some(body))
                .await;
            v
        }
    };
    let v = eval(json!({"to": "inactive", "reason": "left"})).await;
    assert_eq!(v["decision"], false, "{v}");
    assert_eq!(v["context"]["deny"]["code"], "missing_fact", "{v}");
    let v = eval(json!({"to": "inactive", "reason": "left", "pendingApprovals": 2})).await;
    assert_eq!(v["decision"], true, "{v}");
    assert_eq!(
        reassign(&v["context"]).expect("the obligation")["count"],
        2,
        "{v}"
    );

    // A bulk item: refused without the fact, committed with it, the obligation recorded.
    let bulk = |item: Value| {
        let as_admin = &as_admin;
        async move {
            let (s, v, _) = env
                .call(
                    Method::POST,
                    "/api/v1/bulk",
                    as_admin,
                    Some(json!({ "items": [item] })),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
            v["results"][0].clone()
        }
    };
    let r =
        bulk(json!({"op": "status", "id": requester.id, "to": "inactive", "reason": "left"})).await;
    assert_eq!(r["outcome"], "refused", "{r}");
    assert_eq!(r["deny"]["code"], "missing_fact", "{r}");
    assert_eq!(env.stored_status(&requester.id).await, "active");
    let r = bulk(json!({"op": "status", "id": requester.id, "to": "inactive", "reason": "left", "pendingApprovals": 4})).await;
    assert_eq!(r["outcome"], "committed", "{r}");
    assert_eq!(env.stored_status(&requester.id).await, "inactive");
    let (_, v, _) = env
        .call(
            Method::GET,
            &format!("/api/v1/users/{}/audit", requester.id),
            &as_admin,
            None,
        )
        .await;
    assert!(
        v.to_string().contains("reassignApprovals"),
        "the audit entry records the obligation: {v}"
    );
}
on_both!(pending_approvals_are_the_callers_fact);

/// A group left is an edit of the user's groups: through the members route as through
/// `PATCH`, it may not take a critical permission from its only holder (R004-09). The HR
/// policy made to guard `roles.assign` (only `hrAdmin` holds it): Paul holds it through
/// `hr-admins`, Hugo directly; Paul leaves while Hugo holds it too, and once Hugo's role
/// is gone, Paul's membership is the last and stays.
async fn a_group_left_cannot_take_the_only_holders_permission(env: &Env) {
    const HR: &str = "hr-platform";
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr").id.clone();
    let paul = demo_user(&users, "paul").id.clone();
    let key = env.key(HR, "service").await;
    let as_hr = Auth::key(&key, &hr);
    env.edit_policy(HR, |doc| {
        doc["access"]["criticalPermissions"] = json!(["roles.assign"]);
        let deactivate = &mut doc["lifecycle"]["transitions"][0];
        deactivate["guards"]
            .as_array_mut()
            .unwrap()
            .push(json!("soleCriticalHolder"));
    })
    .await;
    // Hugo is the only holder: a bulk request's role withdrawal is held to the guard as an
    // edit is, refused, reported, and nothing is written.
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/bulk",
            &as_hr,
            Some(json!({"items": [{"op": "roles", "id": hr, "remove": ["hrAdmin"]}]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["results"][0]["outcome"], "refused", "{v}");
    assert_eq!(
        v["results"][0]["deny"]["code"], "sole_critical_holder",
        "{v}"
    );
    let mut conn = env.app.db.pool().acquire().await.unwrap();
    let row = store::user(&mut conn, HR, &hr).await.unwrap().unwrap();
    assert!(row.roles.contains(&"hrAdmin".to_owned()), "the role stays");
    drop(conn);
    let member = format!("/api/v1/groups/hr-admins/members/{paul}");
    let (s, v, _) = env.call(Method::PUT, &member, &as_hr, None).await;
    assert_eq!(s, StatusCode::CREATED, "created: {v}");
    let (s, v, _) = env.call(Method::DELETE, &member, &as_hr, None).await;
    assert_eq!(s, StatusCode::OK, "Hugo holds it too: {v}");
    let (s, v, _) = env.call(Method::PUT, &member, &as_hr, None).await;
    assert_eq!(s, StatusCode::CREATED, "added again: {v}");
    // Hugo's own role goes: Paul holds it through the group.
    let (s, v) = edit(env, &as_hr, &hr, json!({"roles": ["employee"]})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let as_paul = Auth::key(&key, &paul);
    let (s, v, _) = env.call(Method::DELETE, &member, &as_paul, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["deny"]["code"], "sole_critical_holder", "{v}");
    assert_eq!(
        v["deny"]["params"]["permissions"],
        json!(["roles.assign"]),
        "{v}"
    );
    let (s, v) = edit(env, &as_paul, &paul, json!({"groups": []})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["deny"]["code"], "sole_critical_holder", "{v}");
    let mut conn = env.app.db.pool().acquire().await.unwrap();
    let row = store::user(&mut conn, HR, &paul).await.unwrap().unwrap();
    assert_eq!(row.groups, ["hr-admins"], "the membership stays");
}
on_both!(a_group_left_cannot_take_the_only_holders_permission);
