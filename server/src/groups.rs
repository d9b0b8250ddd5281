//! Groups, as the tenant's policy declares them (`access.groups`): manual groups, whose
//! members are assigned (each membership records who added it and when, R003-08), and
//! dynamic groups, whose members are the accounts meeting the group's rule (the kernel's
//! [`is_group_member`]); a dynamic group's membership is never assigned.
//!
//! Adding or removing a member is authorized like the membership change of an update
//! (the kernel's `groups.manage` on the member where the policy declares it, a super
//! administrator where it does not), as assigning or withdrawing the roles the member gains
//! or loses through the group (who may grant them, forbidden combinations, the minimum of
//! active roles, privilege escalation: `users::authorize_groups`), and commits with the
//! member's row, the membership record and the audit entry in one transaction.

use serde::Deserialize;
use serde_json::{Value, json};
use warden_core::access::is_group_member;
use warden_core::lifecycle::{self, ChangeRequest};
use warden_core::{Lang, Timestamp};

use crate::app::{App, now};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::organizations::audit_entry;
use crate::store::{self, UserRow};
use crate::users::{self, ListQuery};

/// Most users of the actor's scope one members request examines; the cursor continues
/// from there, so a page may be short but the listing is never truncated.
pub const MAX_SCANNED: usize = 5_000;

/// The query of a members listing.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MembersQuery {
    /// The previous page's `next`.
    pub cursor: Option<String>,
    /// Page size (1 to 200, default 50).
    pub limit: Option<i64>,
}

/// The group a path names is not one the policy declares: 404 `unknown_group`.
fn unknown_group(id: &str) -> ApiError {
    ApiError::Undeclared {
        code: "unknown_group",
        message: format!(
            "the policy declares no group `{}`",
            crate::extract::shown(id)
        ),
    }
}

/// The refusal of a membership change in dynamic group `id` (409 `dynamic_group`).
pub(crate) fn dynamic_group(id: &str) -> ApiError {
    ApiError::conflict(
        "group",
        "dynamic_group",
        format!(
            "`{}` is a dynamic group: its members are those meeting its rule; they are not assigned",
            id.chars().take(64).collect::<String>()
        ),
    )
}

/// Whether `id` is a dynamic group (`Err` for an undeclared one).
fn kind(caller: &Caller, id: &str) -> Result<bool, ApiError> {
    caller
        .tenant
        .policy
        .access()
        .and_then(|a| a.is_dynamic_group(id))
        .ok_or_else(|| unknown_group(id))
}

/// The groups the policy declares, with their kind and roles.
///
/// # Errors
/// A key that names no user.
pub fn list(caller: &Caller) -> Result<Value, ApiError> {
    if !caller.is_admin() {
        caller.actor()?;
    }
    let Some(access) = caller.tenant.policy.access() else {
        return Ok(json!({"groups": []}));
    };
    let doc = caller.tenant.policy.document();
    let groups: Vec<Value> = access
        .group_ids()
        .map(|id| {
            let spec = doc.access.as_ref().and_then(|a| a.groups.get(id));
            json!({
                "id": id,
                "kind": if access.is_dynamic_group(id) == Some(true) { "dynamic" } else { "manual" },
                "roles": spec.map(|g| g.roles.clone()).unwrap_or_default(),
                "label": spec.map(|g| g.label.clone()).unwrap_or_default(),
                "rule": spec.and_then(|g| g.rule.clone()),
            })
        })
        .collect();
    Ok(json!({"groups": groups}))
}

/// The members of a group among the users the actor may read: for a manual group with who
/// added them and when.
///
/// # Errors
/// An undeclared group, a bad cursor, store errors.
pub async fn members(
    app: &App,
    caller: &Caller,
    id: &str,
    q: &MembersQuery,
) -> Result<Value, ApiError> {
    let dynamic = kind(caller, id)?;
    let access = caller
        .tenant
        .policy
        .access()
        .ok_or_else(|| unknown_group(id))?;
    let limit = usize::try_from(crate::extract::page_limit(q.limit, 50, 200)?).unwrap_or(50);
    let mut page = ListQuery {
        cursor: q.cursor.clone(),
        limit: Some(200),
        ..ListQuery::default()
    };
    let policy = &caller.tenant.policy;
    let declared = crate::fields::declared(policy);
    // Each member with what this viewer may see of it (attribute permissions), decided as
    // the page is read: a member the viewer could only find through what is hidden from
    // it (a dynamic group's rule reading a hidden field; a manual group with `groups`
    // hidden) is no member to it, and no cursor names one.
    let mut found: Vec<(UserRow, Option<warden_core::access::FieldAccess>)> = Vec::new();
    let mut scanned = 0usize;
    let next = loop {
        let users::Page {
            rows,
            next,
            scanned: read,
            ..
        } = users::list_page(app, caller, &page).await?;
        // Rows the tenant's plugins left out were examined too.
        scanned += read.saturating_sub(rows.len());
        let dir = if declared {
            let actor = caller.actor()?;
            let mut conn = app.db.pool().acquire().await?;
            let listed: Vec<&UserRow> = rows.iter().collect();
            Some((
                actor,
                crate::fields::directory_for(&mut conn, &caller.tenant.id, actor, &listed).await?,
            ))
        } else {
            None
        };
        let mut stopped_at = None;
        for u in rows {
            scanned += 1;
            let at = u.id.clone();
            let fa = match &dir {
                Some((actor, dir)) => Some(crate::fields::access_of(policy, dir, actor, &u)?),
                None => None,
            };
            let member = match &fa {
                Some(fa) if dynamic => {
                    let mut seen = u.account();
                    seen.attributes = fa.redacted(&seen.attributes);
                    is_group_member(access, &seen, id) == Some(true)
                }
                Some(fa) => {
                    fa.may_view("groups") && is_group_member(access, &u.account(), id) == Some(true)
                }
                None => is_group_member(access, &u.account(), id) == Some(true),
            };
            if member {
                found.push((u, fa));
            }
            if found.len() >= limit || scanned >= MAX_SCANNED {
                stopped_at = Some(at);
                break;
            }
        }
        // Stopped within the page: the next request goes on after the last row examined.
        if let Some(at) = stopped_at {
            break Some(users::encode_cursor(&at));
        }
        // The whole page examined (the rows the plugins left out may have reached the
        // limit): the next request goes on from the page's own cursor, if any.
        match (found.len() >= limit || scanned >= MAX_SCANNED, next) {
            (true, next) => break next,
            (false, Some(c)) => page.cursor = Some(c),
            (false, None) => break None,
        }
    };
    let mut conn = app.db.pool().acquire().await?;
    let mut out = Vec::with_capacity(found.len());
    for (u, fa) in &found {
        let mut view = u.view_at(policy, crate::app::now());
        if let Some(fa) = fa {
            crate::fields::redact(fa, &mut view);
        }
        let mut v = json!({"user": view});
        if !dynamic {
            let added = sqlx::query_as::<_, (String, i64)>(
                "SELECT added_by, added_at FROM group_members WHERE tenant_id = $1 AND user_id = $2 AND group_id = $3",
            )
            .bind(&caller.tenant.id)
            .bind(&u.id)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
            if let (Some((by, at)), Some(o)) = (added, v.as_object_mut()) {
                o.insert("addedBy".into(), by.into());
                o.insert(
                    "addedAt".into(),
                    Timestamp::from_unix(at).to_string().into(),
                );
            }
        }
        out.push(v);
    }
    Ok(
        json!({"group": id, "kind": if dynamic { "dynamic" } else { "manual" }, "members": out, "next": next}),
    )
}

/// Adds (`add`) or removes a member of a manual group; a kernel denial is rendered in
/// `lang`.
///
/// # Errors
/// An undeclared or dynamic group, a user outside the actor's read scope, a denial, store
/// errors.
pub async fn set_member(
    app: &App,
    caller: &Caller,
    id: &str,
    user: &str,
    add: bool,
    lang: Lang,
    request_id: Option<String>,
) -> Result<Value, ApiError> {
    if kind(caller, id)? {
        return Err(dynamic_group(id));
    }
    let tenant = &caller.tenant;
    let actor = caller.actor()?;
    let (before, dir) = users::readable_target(app, caller, user).await?;
    let mut after = before.clone();
    let present = before.groups.iter().any(|g| g == id);
    if add == present {
        return Ok(json!({"group": id, "user": user, "member": add, "changed": false}));
    }
    if add {
        after.groups.push(id.to_owned());
    } else {
        after.groups.retain(|g| g != id);
    }
    let question = users::authorize_groups(
        tenant,
        &dir,
        actor,
        &before,
        &before.groups,
        &after.groups,
        lang,
    )?;
    // A membership is an edit of the user's groups, as `PATCH /users/{id}` makes it: the
    // kernel's rules of edits hold for it too (who may edit `groups`; a group left that
    // takes a critical permission from its only holder, R004-09).
    let (before_account, after_account) = (before.account(), after.account());
    let mut conn = app.db.pool().acquire().await?;
    let held = users::EditFacts::read(
        &mut conn,
        tenant,
        &before,
        &before_account,
        &after_account,
        &std::collections::BTreeSet::new(),
    )
    .await?;
    drop(conn);
    if tenant.policy.lifecycle().is_some() {
        let change = lifecycle::changes_in(
            &tenant.policy,
            &dir,
            &ChangeRequest {
                actor: actor.account(),
                before: before_account,
                after: after_account,
                current_password_verified: None,
                facts: held.facts(),
                lang,
            },
            now(),
        )
        .map_err(users::lifecycle_bad)?;
        if !change.allowed() {
            return Err(ApiError::denied(change.deny));
        }
    }
    let plugin_reports = users::plugins_on_groups(app, tenant, actor, question).await?;
    let at = now().unix();
    let (added, removed) = if add {
        (vec![id.to_owned()], Vec::new())
    } else {
        (Vec::new(), vec![id.to_owned()])
    };
    let mut tx = app.db.begin_write().await?;
    store::update_user(&mut tx, &mut after, at).await?;
    store::sync_groups(
        &mut tx, &tenant.id, &after.id, &added, &removed, &actor.id, at,
    )
    .await?;
    held.recheck(&mut tx, &tenant.policy, &before, &after)
        .await?;
    let decision = crate::plugins::with_plugins(
        json!({"rule": "groups.manage", "group": id}),
        &plugin_reports,
    );
    audit_entry(
        &mut tx,
        caller,
        if add {
            "groups.addMember"
        } else {
            "groups.removeMember"
        },
        &after.id,
        Some(before.view()),
        Some(after.view()),
        decision,
        Vec::new(),
        request_id,
    )
    .await?;
    tx.commit().await?;
    Ok(json!({"group": id, "user": user, "member": add, "changed": true}))
}
