//! Attribute permissions on the server: what a viewer may see of a user, and which fields an
//! edit may change. The rule is the kernel's (`access::field_access`, `access::edit_denial`);
//! this module loads what the kernel needs (the manager chains for `team` principals) and
//! applies its answer to the views the API returns.

use std::collections::BTreeSet;

use serde_json::{Map, Value};
use sqlx::AnyConnection;
use warden_core::access::{self, Directory, FieldAccess};
use warden_core::{Lang, Policy};

use crate::app::now;
use crate::error::ApiError;
use crate::store::{self, UserRow};

/// Whether the tenant's policy declares attribute permissions at all.
pub fn declared(policy: &Policy) -> bool {
    policy.access().is_some_and(|a| a.has_field_access())
}

/// A directory holding the manager chains of `actor` and of every user of `rows`: enough
/// for the kernel's `team` principals (and scopes) between the actor and each of them.
///
/// # Errors
/// Store errors.
pub async fn directory_for(
    conn: &mut AnyConnection,
    tenant: &str,
    actor: &UserRow,
    rows: &[&UserRow],
) -> Result<Directory, ApiError> {
    let mut edges: Vec<(String, Option<String>)> = rows
        .iter()
        .map(|u| (u.id.clone(), u.manager.clone()))
        .collect();
    edges.extend(store::ancestors(conn, tenant, &actor.id).await?);
    let mut known: BTreeSet<String> = edges.iter().map(|(i, _)| i.clone()).collect();
    // The chains above the listed users: one query per manager not already known (a page
    // of one team shares its manager, usually the actor).
    let managers: BTreeSet<String> = rows.iter().filter_map(|u| u.manager.clone()).collect();
    for m in managers {
        if known.contains(&m) {
            continue;
        }
        for (id, manager) in store::ancestors(conn, tenant, &m).await? {
            if known.insert(id.clone()) {
                edges.push((id, manager));
            }
        }
    }
    let mut seen = BTreeSet::new();
    edges.retain(|(id, _)| seen.insert(id.clone()));
    let (dir, _problems) =
        Directory::from_rows(edges.iter().map(|(i, m)| (i.as_str(), m.as_deref())));
    Ok(dir)
}

/// What `actor` may see and change of `target`, as the kernel says.
///
/// # Errors
/// A stored account naming an undeclared role or group (a policy replaced under it).
pub fn access_of(
    policy: &Policy,
    dir: &Directory,
    actor: &UserRow,
    target: &UserRow,
) -> Result<FieldAccess, ApiError> {
    access::field_access(policy, dir, &actor.account(), &target.account(), now())
        .map_err(ApiError::from)
}

/// Removes from a user view (an object) what the kernel hides.
pub fn redact(fa: &FieldAccess, view: &mut Value) {
    if let Value::Object(o) = view {
        fa.redact(o);
    }
}

/// Redacts audit entries about one user: their `before` and `after` records, and what of
/// the obligations and the kernel's decision quotes a value of a field hidden from the
/// viewer (`notifyEmailChange` names the old and new address): such a value is left out
/// there.
pub fn redact_entries(fa: &FieldAccess, entries: &mut [Value]) {
    for e in entries {
        let Value::Object(o) = e else { continue };
        let mut hidden = BTreeSet::new();
        for key in ["before", "after"] {
            if let Some(Value::Object(record)) = o.get(key) {
                for (_, v) in record.iter().filter(|(f, _)| !fa.may_view(f)) {
                    strings_of(v, &mut hidden);
                }
            }
        }
        for key in ["before", "after"] {
            if let Some(v) = o.get_mut(key) {
                redact(fa, v);
            }
        }
        if hidden.is_empty() {
            continue;
        }
        for key in ["obligations", "decision"] {
            if let Some(v) = o.get_mut(key) {
                scrub(v, &hidden);
            }
        }
    }
}

/// The non-empty strings of a value, at any depth.
fn strings_of(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::String(s) if !s.is_empty() => {
            out.insert(s.clone());
        }
        Value::Array(a) => a.iter().for_each(|x| strings_of(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings_of(x, out)),
        _ => {}
    }
}

/// `v` without any of the `hidden` strings: an object's key holding one and an array's
/// element that is one are left out; a string quoting one of three characters or more
/// (a reason naming it) is replaced by `(hidden)`.
fn scrub(v: &mut Value, hidden: &BTreeSet<String>) {
    let quotes = |s: &str| {
        hidden
            .iter()
            .any(|h| h.chars().nth(2).is_some() && s.contains(h.as_str()))
    };
    match v {
        Value::Object(o) => {
            o.retain(|_, x| !x.as_str().is_some_and(|s| hidden.contains(s)));
            o.values_mut().for_each(|x| scrub(x, hidden));
        }
        Value::Array(a) => {
            a.retain(|x| !x.as_str().is_some_and(|s| hidden.contains(s)));
            a.iter_mut().for_each(|x| scrub(x, hidden));
        }
        Value::String(s) if quotes(s) => *s = "(hidden)".into(),
        _ => {}
    }
}

/// Whether a search text still matches a stored record once what the viewer may not see is
/// left out (a hit only in a hidden field must not reveal it). `needle` is the lower-cased
/// search text (as a list's search compares it).
pub fn still_matches(fa: &FieldAccess, document: &Map<String, Value>, needle: &str) -> bool {
    crate::users::search_hit(&fa.redacted(document), needle)
}

/// The kernel's deny of an edit of `before` into `after` that changes a field the actor may
/// not edit, as the API's 403 (the deny names every such field, in `lang`).
///
/// # Errors
/// `Forbidden` with the kernel's `field_not_editable` deny; a stored account naming an
/// undeclared role or group.
pub fn check_edit(
    policy: &Policy,
    dir: &Directory,
    actor: &UserRow,
    before: &warden_core::model::Account,
    after: &warden_core::model::Account,
    lang: Lang,
) -> Result<(), ApiError> {
    match access::edit_denial(policy, dir, &actor.account(), before, after, now(), lang)
        .map_err(ApiError::from)?
    {
        Some(deny) => Err(ApiError::denied(Some(deny))),
        None => Ok(()),
    }
}

/// The kernel's deny of an edit that names a field the actor may neither see nor edit,
/// whatever value it gives: asked before the edit is validated, so that nothing of the
/// answer tells the actor the hidden value (an edit giving the stored value would change
/// nothing and pass, another value would be refused, one another user holds would be a
/// `duplicate` naming them). A field the actor may see is judged by [`check_edit`] on what
/// the edit changes.
///
/// # Errors
/// As [`check_edit`].
pub fn check_named_hidden<'a>(
    policy: &Policy,
    dir: &Directory,
    actor: &UserRow,
    target: &warden_core::model::Account,
    named: impl IntoIterator<Item = &'a String>,
    lang: Lang,
) -> Result<(), ApiError> {
    if !declared(policy) {
        return Ok(());
    }
    let actor = actor.account();
    let fa = access::field_access(policy, dir, &actor, target, now()).map_err(ApiError::from)?;
    let hidden: Vec<String> = named
        .into_iter()
        .filter(|f| !fa.may_view(f) && !fa.may_edit(f))
        .cloned()
        .collect();
    match access::fields_denial(policy, dir, &actor, target, &hidden, now(), lang)
        .map_err(ApiError::from)?
    {
        Some(deny) => Err(ApiError::denied(Some(deny))),
        None => Ok(()),
    }
}

/// The kernel's deny of the creation of `created` by `actor` when the new account sets a
/// field the actor may not edit, as the API's 403 (the same `field_not_editable` deny as an
/// edit's, naming every such field, in `lang`). `dir` should hold the new account's row and
/// its manager's chain, for `team` principals.
///
/// # Errors
/// `Forbidden` with the kernel's `field_not_editable` deny; an account naming an undeclared
/// role or group.
pub fn check_create(
    policy: &Policy,
    dir: &Directory,
    actor: &UserRow,
    created: &warden_core::model::Account,
    lang: Lang,
) -> Result<(), ApiError> {
    match access::create_denial(policy, dir, &actor.account(), created, now(), lang)
        .map_err(ApiError::from)?
    {
        Some(deny) => Err(ApiError::denied(Some(deny))),
        None => Ok(()),
    }
}

/// A user's view of their own account, without what the policy hides from them (the manager
/// relation never relates an account to itself, so no directory is needed).
///
/// # Errors
/// A stored account naming an undeclared role or group.
pub fn own_view(policy: &Policy, user: &UserRow) -> Result<Value, ApiError> {
    let mut view = user.view_at(policy, crate::app::now());
    if declared(policy) {
        redact(
            &access_of(policy, &Directory::new(), user, user)?,
            &mut view,
        );
    }
    Ok(view)
}
