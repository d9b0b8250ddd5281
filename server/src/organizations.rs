//! Organisations of a tenant, with their active flag (R000-08): the kernel's login gate
//! refuses users of an inactive organisation (`login.organizationMustBeActive`) and asks
//! the store whether the organisation is active; this module keeps that answer.
//!
//! Writes are authorized like every write: by the kernel's `organizations.manage` on the
//! organisation where the policy declares that action, else by an admin key or a super
//! administrator (the tenant's structure is theirs). Each write commits with its audit
//! entry; deactivating an organisation whose policy makes the flag gate logins also ends
//! the sessions of its users in the same transaction, so the kernel's answer holds at once
//! and not only at the next login.

use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::{AnyConnection, Row};
use warden_core::Lang;
use warden_core::access::Target;

use crate::app::{App, Tenant, now};
use crate::audit::{self, AuditRecord};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::users;

/// Longest organisation id.
pub const MAX_ID_LEN: usize = 64;
/// Longest organisation name.
pub const MAX_NAME_LEN: usize = 200;
/// Largest page of a listing.
pub const MAX_PAGE: i64 = 500;

/// A new organisation.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganization {
    /// Its id (letters, digits, `-`, `_`, `.`; 1 to 64).
    pub id: String,
    /// Its name (1 to 200 characters).
    pub name: String,
    /// Active (default true).
    #[serde(default)]
    pub active: Option<bool>,
}

/// A change to an organisation.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationChange {
    /// A new name.
    #[serde(default)]
    pub name: Option<String>,
    /// The active flag.
    #[serde(default)]
    pub active: Option<bool>,
}

/// The query of a listing.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationsQuery {
    /// Organisations after this id (the previous page's `next`).
    pub after: Option<String>,
    /// Page size (1 to 500, default 100).
    pub limit: Option<i64>,
}

fn check_id(id: &str) -> Result<(), ApiError> {
    let ok = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid_field(
            "id",
            format!("`id` must be 1 to {MAX_ID_LEN} letters, digits, `-`, `_` or `.`"),
        ))
    }
}

fn check_name(name: &str) -> Result<String, ApiError> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > MAX_NAME_LEN {
        return Err(ApiError::invalid_field(
            "name",
            format!("`name` must be 1 to {MAX_NAME_LEN} characters"),
        ));
    }
    // As every text field of a user: no control character, nothing invisible or that
    // reorders text (two names that look alike must be alike).
    let bad = warden_core::checks::text::prohibited_characters(n, false);
    if !bad.is_empty() {
        return Err(ApiError::invalid_field(
            "name",
            format!("`name` holds prohibited characters: {}", bad.join(", ")),
        ));
    }
    Ok(n.to_owned())
}

/// Whether the caller may manage organisation `org`; the decision recorded in the audit.
/// An actor's allow (the kernel's `organizations.manage`, or the super-administrator rule
/// of a policy that does not declare it) is narrowed by the tenant's plugins, as an
/// authorization of `organizations.manage` on the organisation; an admin key acting as
/// no one is the tenant's own administration, as for its plugins, and asks none (acting
/// as a user, it has that user's authority). The kernel's
/// denial is rendered in `lang`.
async fn authorize(app: &App, caller: &Caller, org: &str, lang: Lang) -> Result<Value, ApiError> {
    let tenant = &caller.tenant;
    if caller.is_admin() && caller.actor.is_none() {
        return Ok(json!({"rule": "admin key"}));
    }
    let actor = caller.actor()?;
    let target: Target =
        serde_json::from_value(json!({"id": org, "type": "organization", "organization": org}))?;
    let declared = tenant
        .policy
        .access()
        .is_some_and(|a| a.has_action("organizations", "manage"));
    let d = if declared {
        let dir = warden_core::access::Directory::new();
        users::require(users::authorize(
            tenant,
            &dir,
            &actor.account(),
            "organizations.manage",
            target.clone(),
            None,
            lang,
        )?)?
    } else if actor.super_admin || actor.root {
        // The rule that allowed it, as the audit entry names it. An admin key acting as a
        // user has that user's authority here, as on every route that names an actor.
        users::rule_allow(tenant, users::privileged_rule(actor))
    } else {
        return Err(ApiError::Forbidden {
            deny: None,
            reason: "only a super administrator or an admin key manages organisations under this policy",
        });
    };
    let reports = crate::plugins::authorize(
        app,
        tenant,
        actor.account(),
        "organizations.manage",
        target,
        None,
        &d,
    )
    .await?;
    Ok(crate::plugins::with_plugins(
        serde_json::to_value(&d)?,
        &reports,
    ))
}

/// Appends an audit entry for a write by `caller` (tenant-level objects: organisations,
/// group memberships).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn audit_entry(
    conn: &mut AnyConnection,
    caller: &Caller,
    action: &str,
    target: &str,
    before: Option<Value>,
    after: Option<Value>,
    decision: Value,
    obligations: Vec<Value>,
    request_id: Option<String>,
) -> Result<(), ApiError> {
    let t: &Tenant = &caller.tenant;
    audit::append_decided(
        conn,
        &AuditRecord {
            tenant: t.id.clone(),
            actor: caller.audit_actor(),
            via: caller.via(),
            action: action.to_owned(),
            target: target.to_owned(),
            before,
            after,
            decision: json!({"policy": t.policy.hash(), "policyVersion": t.version, "kernel": decision}),
            policy_version: t.version,
            obligations,
            at: now().unix(),
            request_id,
        },
    )
    .await?;
    Ok(())
}

async fn load(conn: &mut AnyConnection, tenant: &str, id: &str) -> Result<Option<Value>, ApiError> {
    let row =
        sqlx::query("SELECT id, name, active FROM organizations WHERE tenant_id = $1 AND id = $2")
            .bind(tenant)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    row.map(|r| view(&r)).transpose()
}

fn view(r: &sqlx::any::AnyRow) -> Result<Value, ApiError> {
    Ok(json!({
        "id": r.try_get::<String, _>("id")?,
        "name": r.try_get::<String, _>("name")?,
        "active": r.try_get::<i64, _>("active")? != 0,
    }))
}

/// The tenant's organisations: all of them for an admin key or a super administrator, the
/// actor's own otherwise. Paged by id, never truncated.
///
/// # Errors
/// Store errors.
pub async fn list(app: &App, caller: &Caller, q: &OrganizationsQuery) -> Result<Value, ApiError> {
    let tenant = &caller.tenant;
    let limit = crate::extract::page_limit(q.limit, 100, MAX_PAGE)?;
    let own: Option<String> = match &caller.actor {
        Some(a) if !(a.super_admin || a.root) => Some(a.organization.clone().unwrap_or_default()),
        Some(_) => None,
        None if caller.is_admin() => None,
        None => {
            caller.actor()?;
            None
        }
    };
    let rows = sqlx::query(
        "SELECT id, name, active FROM organizations WHERE tenant_id = $1 AND id > $2 AND ($3 = '' OR id = $4) ORDER BY id LIMIT $5",
    )
    .bind(&tenant.id)
    .bind(q.after.as_deref().unwrap_or(""))
    .bind(if own.is_some() { "own" } else { "" })
    .bind(own.unwrap_or_default())
    .bind(limit + 1)
    .fetch_all(app.db.pool())
    .await?;
    let mut out: Vec<Value> = rows.iter().map(view).collect::<Result<_, _>>()?;
    let more = i64::try_from(out.len()).unwrap_or(i64::MAX) > limit;
    out.truncate(usize::try_from(limit).unwrap_or(100));
    let next = if more {
        out.last()
            .and_then(|o| o.get("id"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    } else {
        None
    };
    Ok(json!({"organizations": out, "next": next}))
}

/// Creates an organisation. Ids are unique within the tenant ignoring case (`ACME` is
/// refused where `acme` exists: people would read them as one organisation); the id keeps
/// the spelling it is created with, and users name it exactly (the kernel compares
/// organisations exactly, in its scopes and its login gate). The database decides between
/// concurrent creations: the primary key, and a unique index on the lower-cased id.
///
/// # Errors
/// Bad input, authorization, an id taken in any case (409 `duplicate` at `id`, naming the
/// existing id), store errors.
pub async fn create(
    app: &App,
    caller: &Caller,
    body: NewOrganization,
    lang: Lang,
    request_id: Option<String>,
) -> Result<Value, ApiError> {
    check_id(&body.id)?;
    let name = check_name(&body.name)?;
    let decision = authorize(app, caller, &body.id, lang).await?;
    let active = body.active.unwrap_or(true);
    let mut tx = app.db.begin_write().await?;
    let inserted = sqlx::query(
        "INSERT INTO organizations (tenant_id, id, name, active) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(&caller.tenant.id)
    .bind(&body.id)
    .bind(&name)
    .bind(i64::from(active))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        let existing: Option<String> = sqlx::query_scalar(
            "SELECT id FROM organizations WHERE tenant_id = $1 AND lower(id) = lower($2)",
        )
        .bind(&caller.tenant.id)
        .bind(&body.id)
        .fetch_optional(&mut *tx)
        .await?;
        tx.rollback().await?;
        let message = match existing {
            Some(e) if e != body.id => format!(
                "organisation `{e}` exists, and ids are unique ignoring case: `{}` would be the same one",
                body.id
            ),
            Some(e) => format!("organisation `{e}` exists"),
            None => "an organisation with this id exists".to_owned(),
        };
        return Err(ApiError::conflict("id", "duplicate", &message));
    }
    let after = json!({"id": body.id, "name": name, "active": active});
    audit_entry(
        &mut tx,
        caller,
        "organizations.create",
        &body.id,
        None,
        Some(after.clone()),
        decision,
        Vec::new(),
        request_id,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Renames, deactivates or reactivates an organisation. Deactivation, where the policy's
/// login gate requires an active organisation, ends the sessions of the organisation's
/// users (their session epoch is bumped) in the same transaction.
///
/// # Errors
/// Bad input, authorization, an unknown organisation, store errors.
pub async fn update(
    app: &App,
    caller: &Caller,
    id: &str,
    body: OrganizationChange,
    lang: Lang,
    request_id: Option<String>,
) -> Result<Value, ApiError> {
    let tenant = &caller.tenant;
    let name = body.name.as_deref().map(check_name).transpose()?;
    let decision = authorize(app, caller, id, lang).await?;
    let mut tx = app.db.begin_write().await?;
    let Some(before) = load(&mut tx, &tenant.id, id).await? else {
        tx.rollback().await?;
        return Err(ApiError::NotFound);
    };
    // The super administrators who can sign in before the change: a deactivation may not
    // leave none (`users::keep_a_super_admin`).
    let supers = crate::store::active_super_admins(&mut tx, &tenant.id, &tenant.policy).await?;
    let was_active = before
        .get("active")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let active = body.active.unwrap_or(was_active);
    let name = name.unwrap_or_else(|| {
        before
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    });
    sqlx::query("UPDATE organizations SET name = $1, active = $2 WHERE tenant_id = $3 AND id = $4")
        .bind(&name)
        .bind(i64::from(active))
        .bind(&tenant.id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let gates = tenant.policy.login_needs_active_organization();
    let mut obligations = Vec::new();
    if was_active && !active && gates {
        let ended = sqlx::query(
            "UPDATE users SET session_epoch = session_epoch + 1, version = version + 1 WHERE tenant_id = $1 AND organization_id = $2",
        )
        .bind(&tenant.id)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query(
            "DELETE FROM sessions WHERE tenant_id = $1 AND user_id IN (SELECT id FROM users WHERE tenant_id = $1 AND organization_id = $2)",
        )
        .bind(&tenant.id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM password_reset_tokens WHERE tenant_id = $1 AND user_id IN (SELECT id FROM users WHERE tenant_id = $1 AND organization_id = $2)",
        )
        .bind(&tenant.id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        obligations.push(json!({"kind": "revokeSessions", "users": ended}));
        // The last active super administrators may not be locked out with their
        // organisation: the tenant would be left with nobody to administer it.
        if supers > 0
            && let Err(e) = crate::users::keep_a_super_admin(&mut tx, tenant, lang).await
        {
            tx.rollback().await?;
            return Err(e);
        }
    }
    let after = json!({"id": id, "name": name, "active": active});
    audit_entry(
        &mut tx,
        caller,
        "organizations.update",
        id,
        Some(before),
        Some(after.clone()),
        decision,
        obligations.clone(),
        request_id,
    )
    .await?;
    tx.commit().await?;
    Ok(json!({"organization": after, "obligations": obligations}))
}

/// Deletes an organisation no user belongs to (soft-deleted users included: their records
/// still name it).
///
/// # Errors
/// Authorization, an unknown organisation, one still in use, store errors.
pub async fn delete(
    app: &App,
    caller: &Caller,
    id: &str,
    lang: Lang,
    request_id: Option<String>,
) -> Result<Value, ApiError> {
    let tenant = &caller.tenant;
    let decision = authorize(app, caller, id, lang).await?;
    let mut tx = app.db.begin_write().await?;
    let Some(before) = load(&mut tx, &tenant.id, id).await? else {
        tx.rollback().await?;
        return Err(ApiError::NotFound);
    };
    // The row locked before its members are counted (PostgreSQL): a user write into the
    // organisation holds it `FOR KEY SHARE` (`store::hold_references`), so one of the two
    // waits for the other and sees it; SQLite's writers are one at a time already.
    if tx.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT id FROM organizations WHERE tenant_id = $1 AND id = $2 FOR UPDATE")
            .bind(&tenant.id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    let members: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND organization_id = $2",
    )
    .bind(&tenant.id)
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    if members > 0 {
        tx.rollback().await?;
        return Err(ApiError::conflict(
            "id",
            "organization_in_use",
            format!("{members} users belong to this organisation; move them or deactivate it"),
        ));
    }
    sqlx::query("DELETE FROM organizations WHERE tenant_id = $1 AND id = $2")
        .bind(&tenant.id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit_entry(
        &mut tx,
        caller,
        "organizations.delete",
        id,
        Some(before),
        None,
        decision,
        Vec::new(),
        request_id,
    )
    .await?;
    tx.commit().await?;
    Ok(json!({"deleted": id}))
}
