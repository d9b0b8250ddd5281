//! The `token` method of a password reset: a single-use, expiring token the user redeems
//! with a new password of their choosing.
//!
//! The kernel decides the reset (`lifecycle::password_reset`: who may ask for it, which
//! method, the token's lifetime) and phrases its obligations: `issueResetToken` now and
//! `invalidatePasswords` on redemption. The server carries them out:
//!
//! * [`issue`], in the reset's transaction: any earlier token of the user is dropped, the
//!   new one is stored as its SHA-256 only, and the outbox message that delivers it
//!   (`issueResetToken`, to the tenant's mailer through the outbox's sink) is the only place
//!   it is in clear. The outbox worker removes it from the stored message once the message
//!   is delivered or dead ([`scrub`]), and the default log sink never prints it.
//! * [`redeem`] (`POST /api/v1/password-reset`, no credentials: the token is the
//!   credential): the token must be the user's live one, unexpired, the user not deleted;
//!   the new password must pass the tenant's password rules against the user's own data,
//!   as on a create; then, in one transaction, the password is replaced (the old one no
//!   longer works: `invalidatePasswords`), every session ends, the token is used up and the
//!   audit entry is written. A refused password leaves the token valid. Any token that is
//!   not live — unknown, expired, used, replaced, another tenant's, or ended by a change of
//!   the user's status or password since it was issued, or the user's deletion (the token
//!   row keeps the status and a fingerprint of the password it was issued under) — gets the
//!   same answer, so the answer tells nothing about which.

use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::{AnyConnection, Row};
use warden_core::Timestamp;
use warden_core::lifecycle::Obligation;

use crate::app::{App, now};
use crate::audit::{self, AuditRecord};
use crate::error::ApiError;
use crate::extract::AcceptLanguage;
use crate::store::{self, UserRow};
use crate::tokens;

/// The prefix of reset tokens (API keys are `wdn_`, sessions `wds_`).
pub const TOKEN_PREFIX: &str = "wrt_";

/// The key of the token in an `issueResetToken` outbox message.
pub const TOKEN_KEY: &str = "token";

/// Issues the user's reset token, expiring at `expires_at`, in the caller's transaction:
/// the user's earlier tokens are dropped, the new one is stored hashed with the status and
/// password it is issued under, and the `issueResetToken` outbox message carries it to the
/// user. Returns the obligation as carried out, without the token.
///
/// # Errors
/// Database errors; no randomness from the OS.
pub async fn issue(
    conn: &mut AnyConnection,
    user: &UserRow,
    expires_at: Timestamp,
    at: i64,
) -> Result<Value, ApiError> {
    let (tenant, id) = (user.tenant.as_str(), user.id.as_str());
    let token = tokens::new_token(TOKEN_PREFIX).map_err(|e| ApiError::Internal(e.to_string()))?;
    sqlx::query("DELETE FROM password_reset_tokens WHERE tenant_id = $1 AND user_id = $2")
        .bind(tenant)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO password_reset_tokens (token_hash, tenant_id, user_id, expires_at, created_at, status, password) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(token.hashed())
    .bind(tenant)
    .bind(id)
    .bind(expires_at.unix())
    .bind(at)
    .bind(&user.status)
    .bind(password_fingerprint(user))
    .execute(&mut *conn)
    .await?;
    // The obligation as the contract writes it, then the message with the token.
    let done = serde_json::to_value(Obligation::IssueResetToken { expires_at })?;
    let mut message = done.clone();
    if let Some(o) = message.as_object_mut() {
        o.insert(TOKEN_KEY.into(), token.expose().into());
    }
    crate::outbox::enqueue(conn, tenant, id, "issueResetToken", &message, at).await?;
    Ok(done)
}

/// What a token keeps of the password it is issued under: the SHA-256 of the stored hash
/// (salted: any new password changes it), `None` for an account without one.
fn password_fingerprint(user: &UserRow) -> Option<String> {
    user.password_hash
        .as_ref()
        .map(|h| tokens::hash_token(&h.0))
}

/// An outbox message's obligation without its secret (the reset token), as the worker
/// stores a delivered or dead message and the log sink prints any message.
pub fn scrub(obligation: &Value) -> Value {
    let mut v = obligation.clone();
    if let Some(o) = v.as_object_mut()
        && o.contains_key(TOKEN_KEY)
    {
        o.insert(TOKEN_KEY.into(), "[redacted]".into());
    }
    v
}

/// The body of `POST /api/v1/password-reset`: the tenant, the token the user received and
/// the new password. Its `Debug` shows neither secret.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RedeemBody {
    /// The tenant's id.
    pub tenant: String,
    /// The token the user received (`wrt_...`).
    pub token: String,
    /// The new password.
    pub password: String,
}

impl std::fmt::Debug for RedeemBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedeemBody")
            .field("tenant", &self.tenant)
            .field("token", &"***")
            .field("password", &"***")
            .finish()
    }
}

/// The one answer to a token that is not live.
fn not_live() -> ApiError {
    ApiError::Forbidden {
        deny: None,
        reason: "invalid_reset_token",
    }
}

/// Redeems a reset token: see the [module documentation](self).
///
/// # Errors
/// 403 `invalid_reset_token` for a token that is not live; 422 with the password rules'
/// violations for a refused password (the token stays valid); 409 `password_unchanged` for
/// the current password, or when the user changed meanwhile; store errors.
pub async fn redeem(
    app: &App,
    body: RedeemBody,
    accept: &AcceptLanguage,
    request_id: Option<String>,
) -> Result<Value, ApiError> {
    let tenant = app.tenant(&body.tenant).await.map_err(|e| match e {
        ApiError::NotFound => not_live(),
        other => other,
    })?;
    let at = now().unix();
    let hashed = tokens::hash_token(&body.token);
    let mut conn = app.db.pool().acquire().await?;
    let row = sqlx::query(
        "SELECT user_id, expires_at, status, password FROM password_reset_tokens WHERE token_hash = $1 AND tenant_id = $2",
    )
    .bind(&hashed)
    .bind(&tenant.id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(not_live)?;
    let user_id: String = row.try_get("user_id")?;
    let expires_at: i64 = row.try_get("expires_at")?;
    if expires_at <= at {
        return Err(not_live());
    }
    let issued_status: String = row.try_get("status")?;
    let issued_password: Option<String> = row.try_get("password")?;
    // A change of the user's status or password since the token was issued ends it.
    let before = store::user(&mut conn, &tenant.id, &user_id)
        .await?
        .filter(|u| {
            u.deleted_at.is_none()
                && u.status == issued_status
                && password_fingerprint(u) == issued_password
        })
        .ok_or_else(not_live)?;
    drop(conn);
    let lang = accept.negotiate(&tenant.policy);
    crate::users::check_new_password(&tenant, &before.document, &body.password, lang)?;
    crate::users::refuse_unchanged(&tenant.policy, &before, None, &body.password).await?;
    let mut after = before.clone();
    after.password_hash = Some(crate::users::hash(&tenant.policy, body.password).await?);
    after.password_changed_at = Some(at);
    after.must_change_password = false;
    let mut tx = app.db.begin_write().await?;
    // Used up in the same transaction: a token redeemed twice at once passes once.
    let used =
        sqlx::query("DELETE FROM password_reset_tokens WHERE token_hash = $1 AND tenant_id = $2")
            .bind(&hashed)
            .bind(&tenant.id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if used != 1 {
        return Err(not_live());
    }
    // A password changed by a token carries what the policy's `changes.password` asks of
    // any password change (the user told, their sessions ended...), as the user's own
    // change through the password route does: the token proves the user, as the current
    // password does there. A redeemed token that leaked must not take the account over
    // unannounced.
    let changed = match tenant.policy.lifecycle() {
        Some(_) => {
            let d = warden_core::lifecycle::password_change(
                &tenant.policy,
                &warden_core::lifecycle::PasswordChangeRequest {
                    actor: before.account(),
                    target: before.account(),
                    current_password_verified: Some(true),
                    lang,
                },
                now(),
            )
            .map_err(crate::users::lifecycle_bad)?;
            d.obligations
        }
        None => Vec::new(),
    };
    let mut done = vec![serde_json::to_value(Obligation::InvalidatePasswords)?];
    done.extend(
        crate::users::apply_obligations(&mut tx, &mut after, &changed, &before.id, at)
            .await?
            .into_iter()
            .filter(|o| o.get("kind").and_then(Value::as_str) != Some("audit")),
    );
    crate::users::end_sessions(&mut tx, &mut after, &changed, &mut done).await?;
    store::update_user(&mut tx, &mut after, at).await?;
    audit::append(
        &mut tx,
        &AuditRecord {
            tenant: tenant.id.clone(),
            actor: after.id.clone(),
            via: "resetToken".into(),
            action: "users.passwordResetRedeemed".into(),
            target: after.id.clone(),
            before: None,
            after: None,
            decision: json!({"policy": tenant.policy.hash(), "policyVersion": tenant.version, "rule": "reset token"}),
            policy_version: tenant.version,
            obligations: done.clone(),
            at,
            request_id,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(json!({"user": after.id, "obligations": done}))
}
