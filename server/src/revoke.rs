//! Revocation: API keys (listed and revoked by an admin key of the same tenant) and
//! sessions (a user signs out everywhere, or an actor the kernel lets change the user's
//! status ends all of the user's sessions). Keys and sessions are checked on every request
//! ([`crate::auth`]: `revoked_at IS NULL`, the session's epoch against the user's), so a
//! revocation is refused at once, with no cache to expire. Each revocation commits with
//! its audit entry in one transaction.

use serde_json::{Value, json};
use sqlx::{AnyConnection, Row};
use warden_core::access::Target;
use warden_core::{Lang, Timestamp};

use crate::app::{App, now};
use crate::audit::{self, AuditRecord};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::store;
use crate::users;

/// The most keys one listing returns (a tenant's keys are few; the listing pages by id).
pub const MAX_KEYS_PAGE: i64 = 500;

fn admin_only(caller: &Caller) -> Result<(), ApiError> {
    if caller.is_admin() {
        Ok(())
    } else {
        Err(ApiError::Forbidden {
            deny: None,
            reason: "only an admin key manages keys",
        })
    }
}

/// Appends an audit entry for a revocation made by `caller`.
async fn audit_entry(
    conn: &mut AnyConnection,
    caller: &Caller,
    action: &str,
    target: &str,
    decision: Value,
    request_id: Option<String>,
) -> Result<(), ApiError> {
    let t = &caller.tenant;
    audit::append(
        conn,
        &AuditRecord {
            tenant: t.id.clone(),
            actor: caller.audit_actor(),
            via: caller.via(),
            action: action.to_owned(),
            target: target.to_owned(),
            before: None,
            after: None,
            decision: json!({"policy": t.policy.hash(), "policyVersion": t.version, "server": decision}),
            policy_version: t.version,
            obligations: Vec::new(),
            at: now().unix(),
            request_id,
        },
    )
    .await?;
    Ok(())
}

/// The tenant's API keys (never their tokens or hashes), ordered by id, `after` the
/// previous page's last id.
///
/// # Errors
/// A caller without an admin key, store errors.
pub async fn list_keys(app: &App, caller: &Caller, after: Option<&str>) -> Result<Value, ApiError> {
    admin_only(caller)?;
    let rows = sqlx::query(
        "SELECT id, role, name, created_at, revoked_at, expires_at FROM api_keys WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3",
    )
    .bind(&caller.tenant.id)
    .bind(after.unwrap_or(""))
    .bind(MAX_KEYS_PAGE + 1)
    .fetch_all(app.db.pool())
    .await?;
    let mut keys = Vec::with_capacity(rows.len());
    for r in rows
        .iter()
        .take(usize::try_from(MAX_KEYS_PAGE).unwrap_or(500))
    {
        let revoked: Option<i64> = r.try_get("revoked_at")?;
        let expires: Option<i64> = r.try_get("expires_at")?;
        keys.push(json!({
            "id": r.try_get::<String, _>("id")?,
            "role": r.try_get::<String, _>("role")?,
            "name": r.try_get::<String, _>("name")?,
            "createdAt": Timestamp::from_unix(r.try_get::<i64, _>("created_at")?).to_string(),
            "revokedAt": revoked.map(|t| Timestamp::from_unix(t).to_string()),
            "expiresAt": expires.map(|t| Timestamp::from_unix(t).to_string()),
        }));
    }
    let next = (rows.len() > keys.len())
        .then(|| {
            keys.last()
                .and_then(|k| k["id"].as_str().map(str::to_owned))
        })
        .flatten();
    Ok(json!({"keys": keys, "next": next}))
}

/// Revokes a key of the caller's tenant (an admin key may revoke itself). A key of another
/// tenant is not found; revoking a revoked key is a no-op reported as such.
///
/// # Errors
/// A caller without an admin key, an unknown key, store errors.
pub async fn revoke_key(
    app: &App,
    caller: &Caller,
    id: &str,
    request_id: Option<String>,
) -> Result<Value, ApiError> {
    admin_only(caller)?;
    let at = now().unix();
    let mut tx = app.db.begin_write().await?;
    let known: Option<Option<i64>> =
        sqlx::query_scalar("SELECT revoked_at FROM api_keys WHERE tenant_id = $1 AND id = $2")
            .bind(&caller.tenant.id)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(revoked_before) = known else {
        return Err(ApiError::NotFound);
    };
    if let Some(t) = revoked_before {
        tx.rollback().await?;
        return Ok(
            json!({"id": id, "revoked": true, "revokedAt": Timestamp::from_unix(t).to_string(), "changed": false}),
        );
    }
    sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE tenant_id = $2 AND id = $3")
        .bind(at)
        .bind(&caller.tenant.id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit_entry(
        &mut tx,
        caller,
        "keys.revoke",
        id,
        json!({"rule": "admin key"}),
        request_id,
    )
    .await?;
    tx.commit().await?;
    Ok(
        json!({"id": id, "revoked": true, "revokedAt": Timestamp::from_unix(at).to_string(), "changed": true}),
    )
}

/// Ends every session of user `id`: bumps the user's session epoch and deletes the session
/// rows. Allowed to the user itself (sign out everywhere), to an admin key, and to an actor
/// the kernel allows `users.status` on the user (revoking sessions is what a status
/// change's `revokeSessions` obligation does), unless the tenant's plugins refuse it.
///
/// A kernel denial is rendered in `lang`.
///
/// # Errors
/// Not found (or outside the actor's read scope), a kernel denial, store errors.
pub async fn revoke_sessions(
    app: &App,
    caller: &Caller,
    id: &str,
    lang: Lang,
    request_id: Option<String>,
) -> Result<Value, ApiError> {
    let tenant = &caller.tenant;
    // The decision for the audit entry, or the kernel's allow the plugins are still to
    // narrow.
    let (decision, asked) = match &caller.actor {
        Some(actor) if actor.id == id => (json!({"rule": "self"}), None),
        Some(actor) => {
            let (target, dir) = users::readable_target(app, caller, id).await?;
            let target = Target::from(&target.account());
            let d = users::require(users::authorize(
                tenant,
                &dir,
                &actor.account(),
                "users.status",
                target.clone(),
                None,
                lang,
            )?)?;
            (Value::Null, Some((actor.account(), target, d)))
        }
        None if caller.is_admin() => {
            let mut conn = app.db.pool().acquire().await?;
            store::user(&mut conn, &tenant.id, id)
                .await?
                .ok_or(ApiError::NotFound)?;
            (json!({"rule": "admin key"}), None)
        }
        None => {
            caller.actor()?;
            return Err(ApiError::NotFound);
        }
    };
    let decision = match asked {
        // The tenant's plugins narrow it as they narrow a status change, whose
        // `revokeSessions` obligation this is.
        Some((actor, target, d)) => {
            let reports =
                crate::plugins::authorize(app, tenant, actor, "users.status", target, None, &d)
                    .await?;
            crate::plugins::with_plugins(serde_json::to_value(&d)?, &reports)
        }
        None => decision,
    };
    let mut tx = app.db.begin_write().await?;
    let epoch: Option<i64> = sqlx::query_scalar(
        "UPDATE users SET session_epoch = session_epoch + 1, updated_at = $1, version = version + 1 WHERE tenant_id = $2 AND id = $3 RETURNING session_epoch",
    )
    .bind(now().unix())
    .bind(&tenant.id)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(epoch) = epoch else {
        return Err(ApiError::NotFound);
    };
    let ended = sqlx::query("DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2")
        .bind(&tenant.id)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    // Every way in the user has open ends with them, a reset link in flight too.
    store::void_reset_tokens(&mut tx, &tenant.id, id).await?;
    audit_entry(&mut tx, caller, "sessions.revoke", id, decision, request_id).await?;
    tx.commit().await?;
    Ok(json!({"user": id, "sessionEpoch": epoch, "sessionsEnded": ended}))
}
