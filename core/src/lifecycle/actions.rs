//! Deletion, field changes, password changes and resets, verifications.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::spec::Guard;
use super::transition::{GuardContext, GuardOutcome, check_guard, record_of};
use super::{
    AuditEntry, ChangeEffect, Decision, DeleteMode, Deny, DenyCode, DenyKind, LifecycleError,
    Obligation, ResetMethod, TransitionFacts, actor_allowed, effective_status, hash_of,
    lifecycle_of, missing_facts, not_permitted, one,
};
use crate::Policy;
use crate::checks::date::Timestamp;
use crate::messages::Lang;
use crate::model::Account;
use crate::password::{Password, RandomSource, generate_password};
use crate::policy::FieldType;
use crate::violation::Params;

/// The facts a deletion's blockers need (the same as a transition's).
pub type DeleteFacts = TransitionFacts;

fn mode_name(m: DeleteMode) -> &'static str {
    match m {
        DeleteMode::Soft => "soft",
        DeleteMode::Hard => "hard",
        DeleteMode::Anonymize => "anonymize",
    }
}

fn method_name(m: ResetMethod) -> &'static str {
    match m {
        ResetMethod::Token => "token",
        ResetMethod::TemporaryPassword => "temporaryPassword",
        ResetMethod::Admin => "admin",
    }
}

/// A request to delete an account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeleteRequest {
    /// Who asks.
    pub actor: Account,
    /// The account to delete.
    pub target: Account,
    /// The mode; default the policy's `deletion.default`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<DeleteMode>,
    /// The actor confirmed the deletion (R000-09).
    #[serde(default)]
    pub confirmed: bool,
    /// Facts for the blockers.
    #[serde(default)]
    pub facts: DeleteFacts,
    /// The permissions the actor holds over the target, checked against `deletion.by`.
    ///
    /// Computed by the kernel, never read from a request: the JSON contract fills it from
    /// the policy and the directory; a Rust caller fills it with
    /// [`access::permissions_over`](crate::access::permissions_over).
    #[serde(skip)]
    pub actor_permissions: Vec<String>,
    /// The language of messages.
    #[serde(default)]
    pub lang: Lang,
}

/// A status suggested instead of an operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Suggestion {
    /// The status to move the account to.
    pub status: String,
    /// The transition that leads there from the account's status, if one does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transition: Option<String>,
}

/// The outcome of a deletion request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct DeleteDecision {
    /// Allow or deny.
    pub decision: Decision,
    /// The hash of the policy that decided.
    pub policy: Arc<str>,
    /// The mode used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<DeleteMode>,
    /// Fields anonymisation erases.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub erase: Vec<String>,
    /// Fields anonymisation keeps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keep: Vec<String>,
    /// The anonymised record (erased fields set to null), for an allowed anonymisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anonymized: Option<Map<String, Value>>,
    /// Why it is denied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny: Option<Deny>,
    /// What the caller must do.
    pub obligations: Vec<Obligation>,
    /// The recommended alternative (R000-09: deactivation; R002-10: suspension when
    /// bookings block).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<Suggestion>,
    /// The audit entry (action `users.delete`).
    pub audit: AuditEntry,
}

impl DeleteDecision {
    /// Whether the deletion is allowed.
    pub fn allowed(&self) -> bool {
        self.decision == Decision::Allow
    }
}

/// Decides whether `req.actor` may delete `req.target`.
///
/// In order: the policy must offer deletion (`deletion_disabled`) and the mode
/// (`mode_not_allowed`); `deletion.by` (`not_permitted`); the blockers (R002-10
/// `active_bookings` suggesting `deletion.whenBlocked`, `last_super_admin`,
/// `sole_critical_holder`, or `missing_fact`); the confirmation (R000-09
/// `confirmation_required`). Every decision suggests `deletion.alternative` (R000-09)
/// unless a blocker suggested another status.
///
/// # Errors
/// [`LifecycleErrorKind::NoLifecycle`](crate::lifecycle::LifecycleErrorKind::NoLifecycle) or [`LifecycleErrorKind::UnknownStatus`](crate::lifecycle::LifecycleErrorKind::UnknownStatus) (stored status).
pub fn delete(
    policy: &Policy,
    req: &DeleteRequest,
    now: Timestamp,
) -> Result<DeleteDecision, LifecycleError> {
    let lc = lifecycle_of(policy)?;
    let lang = req.lang;
    let from = effective_status(lc, &req.target, now)?.status;
    let from_login = lc.status(&from).is_some_and(|s| s.login);
    let suggest = |status: &str| Suggestion {
        status: status.to_owned(),
        transition: lc.transition_between(&from, status).map(|t| t.id.clone()),
    };
    let mut d = DeleteDecision {
        decision: Decision::Deny,
        policy: hash_of(policy),
        mode: None,
        erase: Vec::new(),
        keep: Vec::new(),
        anonymized: None,
        deny: None,
        obligations: Vec::new(),
        suggestion: None,
        audit: AuditEntry::new(&req.actor.id, &req.target.id, "users.delete", now),
    };
    d.audit.from = Some(from.clone());
    let Some(spec) = &lc.spec().deletion else {
        d.deny = Some(Deny::new(
            DenyKind::Forbidden,
            DenyCode::DeletionDisabled,
            "deletion",
            Params::new(),
            lang,
        ));
        return Ok(d);
    };
    d.suggestion = spec
        .alternative
        .as_deref()
        .filter(|a| *a != from)
        .map(suggest);
    let mode = req.mode.unwrap_or(spec.default);
    d.mode = Some(mode);
    if !spec.modes.contains(&mode) {
        let allowed = spec.modes.iter().map(|m| mode_name(*m));
        d.deny = Some(not_offered(
            (DenyCode::ModeNotAllowed, "mode"),
            mode_name(mode),
            allowed,
            "deletion.modes",
            lang,
        ));
        return Ok(d);
    }
    if let Some(deny) = super::actor_state_denial(policy, &req.actor, now, lang) {
        d.deny = Some(deny);
        return Ok(d);
    }
    if let Some(by) = &spec.by
        && !actor_allowed(policy, by, &req.actor, &req.actor_permissions)
    {
        d.deny = Some(not_permitted(by, lang));
        return Ok(d);
    }
    let cx = GuardContext {
        policy,
        actor: &req.actor,
        target: &req.target,
        from_login,
        to_login: false,
        to: &from,
        active_bookings: req.facts.active_bookings,
        active_super_admins: req.facts.active_super_admins,
        sole_holder_of: req.facts.sole_holder_of.as_deref(),
        suggestion: spec.when_blocked.as_deref(),
        now,
        lang,
    };
    let mut missing: Vec<String> = Vec::new();
    for &g in &spec.blockers {
        match check_guard(g, &cx) {
            GuardOutcome::Pass => {}
            GuardOutcome::Deny(deny) => {
                if deny.deny_code() == Some(DenyCode::ActiveBookings)
                    && let Some(s) = &spec.when_blocked
                {
                    d.suggestion = Some(suggest(s));
                }
                d.deny = Some(*deny);
                return Ok(d);
            }
            GuardOutcome::Missing(f) => missing.push(f.to_owned()),
        }
    }
    if !missing.is_empty() {
        d.deny = Some(missing_facts(missing, lang));
        return Ok(d);
    }
    if spec.confirmation && !req.confirmed {
        let mut p = one("mode", mode_name(mode));
        if let Some(s) = &d.suggestion {
            p.insert("alternative".into(), s.status.clone().into());
        }
        d.deny = Some(Deny::new(
            DenyKind::InvalidRequest,
            DenyCode::ConfirmationRequired,
            "confirmation",
            p,
            lang,
        ));
        return Ok(d);
    }
    if mode == DeleteMode::Anonymize {
        let anon = spec.anonymize.clone().unwrap_or_default();
        let mut record = record_of(policy, &req.target, &req.target.status);
        for (name, field) in policy.document().fields.iter() {
            let kept = name == "id"
                || (anon.keep.iter().any(|k| k == name) && field.kind != FieldType::Password);
            if kept {
                d.keep.push(name.to_owned());
            } else {
                d.erase.push(name.to_owned());
                if record.contains_key(name) {
                    record.insert(name.to_owned(), Value::Null);
                }
            }
        }
        d.audit.fields = d.erase.clone();
        d.anonymized = Some(record);
    }
    d.obligations = vec![Obligation::RevokeSessions];
    // Bookings are the tenant's when its policy speaks of them (a deletion blocked by
    // active ones, a guard or an obligation of a transition about them): its deletions
    // cancel the future ones; another tenant's have none to cancel.
    if lc.knows_bookings() {
        d.obligations.push(Obligation::CancelFutureBookings);
    }
    d.obligations.push(Obligation::Audit);
    d.decision = Decision::Allow;
    Ok(d)
}

/// An edit of an account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangeRequest {
    /// Who edits.
    pub actor: Account,
    /// The account before.
    pub before: Account,
    /// The account after; a non-blank `password` attribute means a new password (R000-05).
    pub after: Account,
    /// The actor re-entered their current password (for a self-service password or email
    /// change, R002-05).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_password_verified: Option<bool>,
    /// What the caller knows and Warden cannot (see [`ChangeFacts`]).
    #[serde(default, skip_serializing_if = "ChangeFacts::is_empty")]
    pub facts: ChangeFacts,
    /// The language of messages.
    #[serde(default)]
    pub lang: Lang,
}

/// The facts of an edit, each optional so that a decision can say which one it needs (kind
/// `missingFact`, as a transition's guards do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangeFacts {
    /// Active super administrators, the edited account included: asked only when the edit
    /// takes the super-administrator flag from an account in a login status and the
    /// policy's transitions or deletion guard the last one (`lastSuperAdmin`), which the
    /// edit may then not take from the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_super_admins: Option<u32>,
    /// The critical permissions the edited account holds and no other account of its
    /// organisation does, as for a transition (R004-09): asked only when the edit takes
    /// critical permissions from the account (`access::critical_permissions_lost`: a role
    /// withdrawn, a group left, a move to another organisation) and the policy's
    /// transitions or deletion guard them (`soleCriticalHolder`), which the edit may then
    /// not take from their sole holder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sole_holder_of: Option<Vec<String>>,
}

impl ChangeFacts {
    /// Whether no fact is given.
    pub fn is_empty(&self) -> bool {
        self.active_super_admins.is_none() && self.sole_holder_of.is_none()
    }
}

/// A self-service or administrative password change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PasswordChangeRequest {
    /// Who changes it.
    pub actor: Account,
    /// Whose password.
    pub target: Account,
    /// The actor re-entered their current password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_password_verified: Option<bool>,
    /// The language of messages.
    #[serde(default)]
    pub lang: Lang,
}

/// The outcome of an edit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ChangeDecision {
    /// Allow or deny.
    pub decision: Decision,
    /// The hash of the policy that decided.
    pub policy: Arc<str>,
    /// Why it is denied (`status_change_needs_transition`, `current_password_required`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny: Option<Deny>,
    /// The names of the changed fields (never a password's value).
    pub changed: Vec<String>,
    /// What the caller must do.
    pub obligations: Vec<Obligation>,
    /// The audit entry (action `users.update`), naming the actor (R003-08).
    pub audit: AuditEntry,
}

impl ChangeDecision {
    /// Whether the edit is allowed.
    pub fn allowed(&self) -> bool {
        self.decision == Decision::Allow
    }
}

/// Whether an edit from `before` to `after` changes the account's email, as `changes`
/// judges it (R002-05: one's own email change needs the current password): trimmed, case
/// aside, a blank one as none.
pub fn email_changed(before: &Account, after: &Account) -> bool {
    let lower = |a: &Account| email_of(a).map(|e| e.to_lowercase());
    lower(before) != lower(after)
}

fn email_of(a: &Account) -> Option<String> {
    match a.attribute("email") {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    }
}

/// The names of the fields an edit changes: the typed parts of the account, then its
/// attributes in key order, and `password` when `after` carries a non-blank one.
pub(crate) fn changed_fields(before: &Account, after: &Account) -> Vec<String> {
    let mut out = Vec::new();
    let typed = [
        ("id", before.id != after.id),
        ("organization", before.organization != after.organization),
        ("status", before.status != after.status),
        ("statusUntil", before.status_until != after.status_until),
        ("roles", before.roles != after.roles),
        ("groups", before.groups != after.groups),
        ("superAdmin", before.super_admin != after.super_admin),
        ("root", before.root != after.root),
        ("manager", before.manager != after.manager),
        ("location", before.location != after.location),
    ];
    out.extend(
        typed
            .iter()
            .filter(|(_, c)| *c)
            .map(|(n, _)| (*n).to_owned()),
    );
    let mut keys: Vec<&String> = before
        .attributes
        .keys()
        .chain(after.attributes.keys())
        .collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        if k == "password" {
            continue;
        }
        if before.attributes.get(k) != after.attributes.get(k) {
            out.push(k.clone());
        }
    }
    if matches!(after.attributes.get("password"), Some(Value::String(s)) if !s.trim().is_empty()) {
        out.push("password".into());
    }
    out
}

struct ChangeInput<'a> {
    actor: &'a Account,
    before: &'a Account,
    after: &'a Account,
    changed: Vec<String>,
    current_password_verified: Option<bool>,
    facts: &'a ChangeFacts,
    lang: Lang,
}

/// Whether the edit takes the super-administrator flag from the last active one, under a
/// policy whose transitions or deletion guard the last one (`lastSuperAdmin`): the same
/// guard, for the flag instead of the status. `Err` names the missing fact.
fn last_super_admin_edit(
    lc: &super::CompiledLifecycle,
    before: &Account,
    after: &Account,
    facts: &ChangeFacts,
) -> Result<bool, &'static str> {
    let active = lc.status(&before.status).is_some_and(|s| s.login);
    if !(lc.guards(Guard::LastSuperAdmin) && active && before.super_admin && !after.super_admin) {
        return Ok(false);
    }
    match facts.active_super_admins {
        None => Err("activeSuperAdmins"),
        Some(n) => Ok(n <= 1),
    }
}

/// The critical permissions the edit takes from their sole holder (R004-09), under a
/// policy whose transitions or deletion guard them (`soleCriticalHolder`): the same guard,
/// for a role withdrawn, a group left or a move to another organisation instead of the
/// status. Empty when the edit takes none; `Err` names the missing fact.
fn sole_holder_edit(
    policy: &Policy,
    lc: &super::CompiledLifecycle,
    before: &Account,
    after: &Account,
    facts: &ChangeFacts,
    now: Timestamp,
) -> Result<Result<Vec<String>, &'static str>, LifecycleError> {
    if !lc.guards(Guard::SoleCriticalHolder) {
        return Ok(Ok(Vec::new()));
    }
    let lost = crate::access::critical_permissions_lost(policy, before, after, now)
        .map_err(|e| LifecycleError::from_access(&e))?;
    if lost.is_empty() {
        return Ok(Ok(lost));
    }
    Ok(match &facts.sole_holder_of {
        None => Err("soleHolderOf"),
        Some(sole) => Ok(lost.into_iter().filter(|p| sole.contains(p)).collect()),
    })
}

/// The guards of what an edit of `before` into `after` takes away, as the lifecycle's
/// transitions hold them for a status change: the super-administrator flag from the last
/// active one (`last_super_admin`), a critical permission from its only holder
/// (`sole_critical_holder`, R004-09); a denial first, then every fact the edit needs,
/// named at once (`missing_fact`). `None` when the edit takes nothing they guard, or the
/// policy has no lifecycle. One place for an edit ([`changes`]) and a bulk role change.
///
/// # Errors
/// A role or group of either account the policy does not declare.
pub(crate) fn edit_guards(
    policy: &Policy,
    before: &Account,
    after: &Account,
    facts: &ChangeFacts,
    now: Timestamp,
    lang: Lang,
) -> Result<Option<Deny>, LifecycleError> {
    let Some(lc) = policy.lifecycle() else {
        return Ok(None);
    };
    // R003-05: a system administrator is an active account. The flag is not given to an
    // account whose status does not let it sign in, as `systemAdminActive` keeps one who
    // holds it from leaving such a status.
    if let Some(f) = lc.spec().system_admin_field.as_deref() {
        let flagged = |a: &Account| a.attributes.get(f) == Some(&Value::Bool(true));
        let login = super::status::effective_status_id(lc, before, now)
            .and_then(|s| lc.status(s))
            .is_some_and(|s| s.login);
        if flagged(after) && !flagged(before) && !login {
            return Ok(Some(Deny::new(
                DenyKind::InvalidState,
                DenyCode::SystemAdminActive,
                Guard::SystemAdminActive.as_str(),
                Params::new(),
                lang,
            )));
        }
    }
    let mut missing = Vec::new();
    match last_super_admin_edit(lc, before, after, facts) {
        Ok(false) => {}
        Ok(true) => {
            return Ok(Some(Deny::new(
                DenyKind::Forbidden,
                DenyCode::LastSuperAdmin,
                Guard::LastSuperAdmin.as_str(),
                Params::new(),
                lang,
            )));
        }
        Err(fact) => missing.push(fact.to_owned()),
    }
    match sole_holder_edit(policy, lc, before, after, facts, now)? {
        Ok(taken) if taken.is_empty() => {}
        Ok(taken) => {
            return Ok(Some(Deny::new(
                DenyKind::Forbidden,
                DenyCode::SoleCriticalHolder,
                Guard::SoleCriticalHolder.as_str(),
                one("permissions", taken),
                lang,
            )));
        }
        Err(fact) => missing.push(fact.to_owned()),
    }
    Ok((!missing.is_empty()).then(|| missing_facts(missing, lang)))
}

fn decide_changes(
    policy: &Policy,
    dir: &crate::access::Directory,
    input: ChangeInput<'_>,
    now: Timestamp,
) -> Result<ChangeDecision, LifecycleError> {
    let lc = lifecycle_of(policy)?;
    let spec = &lc.spec().changes;
    let lang = input.lang;
    let mut audit = AuditEntry::new(&input.actor.id, &input.before.id, "users.update", now);
    audit.fields = input.changed.clone();
    audit.roles_added = input
        .after
        .roles
        .iter()
        .filter(|r| !input.before.roles.contains(r))
        .cloned()
        .collect();
    audit.roles_removed = input
        .before
        .roles
        .iter()
        .filter(|r| !input.after.roles.contains(r))
        .cloned()
        .collect();
    let mut d = ChangeDecision {
        decision: Decision::Deny,
        policy: hash_of(policy),
        deny: None,
        changed: input.changed.clone(),
        obligations: Vec::new(),
        audit,
    };
    // Attribute permissions first: a field the actor may not edit is refused whatever else
    // the edit does, every such field named.
    if let Some(deny) = crate::access::fields_denial(
        policy,
        dir,
        input.actor,
        input.before,
        &input.changed,
        now,
        lang,
    )
    .map_err(|e| LifecycleError::from_access(&e))?
    {
        d.deny = Some(deny);
        return Ok(d);
    }
    let has = |f: &str| input.changed.iter().any(|c| c == f);
    if has("status") || has("statusUntil") {
        d.deny = Some(Deny::new(
            DenyKind::InvalidRequest,
            DenyCode::StatusChangeNeedsTransition,
            "status",
            Params::new(),
            lang,
        ));
        return Ok(d);
    }
    // The guards of what the edit takes away (the flag, critical permissions).
    if let Some(deny) = edit_guards(policy, input.before, input.after, input.facts, now, lang)? {
        d.deny = Some(deny);
        return Ok(d);
    }
    let password = has("password");
    let (old, new) = (email_of(input.before), email_of(input.after));
    let email_changed = email_changed(input.before, input.after);
    // One's own password, or one's own email (where a password reset is sent: changed by
    // whoever holds a session, it hands them the account): the current password when the
    // policy asks for it, and never against a current password the caller checked and
    // found wrong, whatever the policy.
    let own = (password || email_changed) && input.actor.id == input.before.id;
    let verified = input.current_password_verified;
    let rule = if !own || verified == Some(true) {
        None
    } else if spec.require_current_password {
        Some("changes.requireCurrentPassword")
    } else {
        (verified == Some(false)).then_some("currentPasswordVerified")
    };
    if let Some(rule) = rule {
        d.deny = Some(Deny::new(
            DenyKind::InvalidRequest,
            DenyCode::CurrentPasswordRequired,
            rule,
            Params::new(),
            lang,
        ));
        return Ok(d);
    }
    let mut obligations = Vec::new();
    if email_changed {
        for e in &spec.email {
            match (e, &old, &new) {
                (ChangeEffect::NotifyEmailChange, Some(o), Some(n)) => {
                    obligations.push(Obligation::NotifyEmailChange {
                        old: o.clone(),
                        new: n.clone(),
                    })
                }
                (ChangeEffect::VerifyNewEmail, _, Some(n)) => {
                    obligations.push(Obligation::VerifyNewEmail { email: n.clone() })
                }
                (ChangeEffect::NotifyUser, _, _) => obligations.push(Obligation::NotifyUser {
                    template: "emailChanged".into(),
                }),
                (ChangeEffect::RevokeSessions, _, _)
                    if !obligations.contains(&Obligation::RevokeSessions) =>
                {
                    obligations.push(Obligation::RevokeSessions);
                }
                _ => {}
            }
        }
    }
    if password {
        for e in &spec.password {
            match e {
                ChangeEffect::NotifyUser => obligations.push(Obligation::NotifyUser {
                    template: "passwordChanged".into(),
                }),
                ChangeEffect::RevokeSessions
                    if !obligations.contains(&Obligation::RevokeSessions) =>
                {
                    obligations.push(Obligation::RevokeSessions);
                }
                _ => {}
            }
        }
    }
    if !input.changed.is_empty() {
        obligations.push(Obligation::Audit);
    }
    d.obligations = obligations;
    d.decision = Decision::Allow;
    Ok(d)
}

/// [`changes`], with the caller's directory: for `team` principals of attribute
/// permissions, and for the manager relation: a
/// manager edit that makes the account its own manager, or puts it under one of its own
/// reports (directly or further down), is denied `manager_cycle` (R001-04).
///
/// # Errors
/// [`LifecycleErrorKind::NoLifecycle`](crate::lifecycle::LifecycleErrorKind::NoLifecycle);
/// `UnknownRole` / `UnknownGroup` when the actor names an undeclared role or group.
pub fn changes_in(
    policy: &Policy,
    dir: &crate::access::Directory,
    req: &ChangeRequest,
    now: Timestamp,
) -> Result<ChangeDecision, LifecycleError> {
    let mut d = decide_changes(
        policy,
        dir,
        ChangeInput {
            actor: &req.actor,
            before: &req.before,
            after: &req.after,
            changed: changed_fields(&req.before, &req.after),
            current_password_verified: req.current_password_verified,
            facts: &req.facts,
            lang: req.lang,
        },
        now,
    )?;
    if !d.allowed() || req.before.manager == req.after.manager {
        return Ok(d);
    }
    let Some(manager) = req.after.manager.as_deref() else {
        return Ok(d);
    };
    let h = dir.hierarchy();
    let cycle = manager == req.after.id
        || manager == req.before.id
        || matches!(
            h.node_pair(&req.before.id, manager),
            (Some(me), Some(m)) if h.is_below(me, m, None)
        );
    if cycle {
        let mut params = Params::new();
        params.insert("manager".into(), Value::String(manager.to_owned()));
        d.decision = Decision::Deny;
        d.obligations.clear();
        d.deny = Some(Deny::new(
            DenyKind::InvalidRequest,
            DenyCode::ManagerCycle,
            "directory.manager",
            params,
            req.lang,
        ));
    }
    Ok(d)
}

/// The obligations and audit entry of an edit (R000-12, R002-05, R003-08).
///
/// An edit changing fields the actor may not edit under the policy's attribute
/// permissions (`access.fieldAccess`) is denied `field_not_editable`, naming every such
/// field (see [`access::field_access`](crate::access::field_access)); without a directory,
/// a `team` principal reaches only the account's direct manager ([`changes_in`] takes one).
///
/// An email change (compared case-insensitively) carries `changes.email` obligations
/// (`notifyEmailChange` with both addresses, `verifyNewEmail`); a new password carries
/// `changes.password` obligations and, when the actor edits themselves and
/// `changes.requireCurrentPassword` is on, needs `currentPasswordVerified: true`
/// (`current_password_required`); `currentPasswordVerified: false` (the caller checked the
/// current password and it is wrong) refuses one's own password change under any policy. A status change is refused
/// (`status_change_needs_transition`): it goes through [`transition`](super::transition).
/// Under a policy that guards the last super administrator (`lastSuperAdmin` in a
/// transition's guards or the deletion's blockers), an edit may not take the
/// super-administrator flag from the last active one either (`last_super_admin`; fact
/// `activeSuperAdmins` in [`ChangeFacts`], asked only for such an edit).
/// The audit entry names the actor, the changed fields (never a password's value) and the
/// roles added and removed by the actor.
///
/// # Errors
/// [`LifecycleErrorKind::NoLifecycle`](crate::lifecycle::LifecycleErrorKind::NoLifecycle);
/// `UnknownRole` / `UnknownGroup` when the actor names an undeclared role or group.
pub fn changes(
    policy: &Policy,
    req: &ChangeRequest,
    now: Timestamp,
) -> Result<ChangeDecision, LifecycleError> {
    decide_changes(
        policy,
        &crate::access::Directory::new(),
        ChangeInput {
            actor: &req.actor,
            before: &req.before,
            after: &req.after,
            changed: changed_fields(&req.before, &req.after),
            current_password_verified: req.current_password_verified,
            facts: &req.facts,
            lang: req.lang,
        },
        now,
    )
}

/// A password change on its own (R002-05): as [`changes`] with only the password changed
/// (so attribute permissions on the password field apply).
///
/// # Errors
/// As [`changes`].
pub fn password_change(
    policy: &Policy,
    req: &PasswordChangeRequest,
    now: Timestamp,
) -> Result<ChangeDecision, LifecycleError> {
    decide_changes(
        policy,
        &crate::access::Directory::new(),
        ChangeInput {
            actor: &req.actor,
            before: &req.target,
            after: &req.target,
            changed: vec!["password".into()],
            current_password_verified: req.current_password_verified,
            facts: &ChangeFacts::default(),
            lang: req.lang,
        },
        now,
    )
}

/// A password reset request (R002-07, R004-08).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PasswordResetRequest {
    /// Who asks (the target themselves for a self-service reset).
    pub actor: Account,
    /// Whose password.
    pub target: Account,
    /// The method; default the first of `passwordReset.methods`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<ResetMethod>,
    /// The permissions the actor holds over the target, checked against
    /// `passwordReset.by`.
    ///
    /// Computed by the kernel, never read from a request: the JSON contract fills it from
    /// the policy and the directory; a Rust caller fills it with
    /// [`access::permissions_over`](crate::access::permissions_over).
    #[serde(skip)]
    pub actor_permissions: Vec<String>,
    /// The language of messages.
    #[serde(default)]
    pub lang: Lang,
}

/// The outcome of a password reset. The generated temporary password is not serialised:
/// read it with [`temporary_password`](Self::temporary_password) and hand it over out of
/// band.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct PasswordResetDecision {
    /// Allow or deny.
    pub decision: Decision,
    /// The hash of the policy that decided.
    pub policy: Arc<str>,
    /// The method used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<ResetMethod>,
    /// Why it is denied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny: Option<Deny>,
    /// The account's status, unchanged by a reset (R004-08).
    pub status: String,
    /// What the caller must do.
    pub obligations: Vec<Obligation>,
    /// When the reset token expires (method `token`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    /// The user must change the password at next login (R002-05).
    pub must_change_password: bool,
    /// The audit entry (action `users.passwordReset`).
    pub audit: AuditEntry,
    #[serde(skip)]
    temporary: Option<Password>,
}

impl PasswordResetDecision {
    /// Whether the reset is allowed.
    pub fn allowed(&self) -> bool {
        self.decision == Decision::Allow
    }

    /// The generated temporary password (method `temporaryPassword`), never serialised.
    pub fn temporary_password(&self) -> Option<&Password> {
        self.temporary.as_ref()
    }
}

/// Decides a password reset; the status never changes (R004-08).
///
/// `token`: a single-use link expiring after `tokenMinutes` (obligations `issueResetToken`,
/// `invalidatePasswords` on redemption); the only method for a user resetting their own
/// password (`self_reset_method`). `temporaryPassword`: a password generated from `rng`
/// that meets the password policy (R004-05, R004-08), changed at next login. `admin`: the
/// administrator sets one, changed at next login (R002-05). Old passwords stop working
/// (R002-07). Resetting another user's password needs `passwordReset.by`.
///
/// # Errors
/// [`LifecycleErrorKind::NoLifecycle`](crate::lifecycle::LifecycleErrorKind::NoLifecycle).
pub fn password_reset(
    policy: &Policy,
    req: &PasswordResetRequest,
    rng: &mut dyn RandomSource,
    now: Timestamp,
) -> Result<PasswordResetDecision, LifecycleError> {
    let lc = lifecycle_of(policy)?;
    let lang = req.lang;
    let mut d = PasswordResetDecision {
        decision: Decision::Deny,
        policy: hash_of(policy),
        method: None,
        deny: None,
        status: req.target.status.clone(),
        obligations: Vec::new(),
        expires_at: None,
        must_change_password: false,
        audit: AuditEntry::new(&req.actor.id, &req.target.id, "users.passwordReset", now),
        temporary: None,
    };
    let Some(spec) = &lc.spec().password_reset else {
        d.deny = Some(Deny::new(
            DenyKind::Forbidden,
            DenyCode::ResetDisabled,
            "passwordReset",
            Params::new(),
            lang,
        ));
        return Ok(d);
    };
    let Some(method) = req.method.or_else(|| spec.methods.first().copied()) else {
        d.deny = Some(Deny::new(
            DenyKind::Forbidden,
            DenyCode::ResetDisabled,
            "passwordReset",
            Params::new(),
            lang,
        ));
        return Ok(d);
    };
    d.method = Some(method);
    if !spec.methods.contains(&method) {
        let allowed = spec.methods.iter().map(|m| method_name(*m));
        d.deny = Some(not_offered(
            (DenyCode::MethodNotAllowed, "method"),
            method_name(method),
            allowed,
            "passwordReset.methods",
            lang,
        ));
        return Ok(d);
    }
    if req.actor.id == req.target.id {
        if method != ResetMethod::Token {
            d.deny = Some(Deny::new(
                DenyKind::NotPermitted,
                DenyCode::SelfResetMethod,
                "passwordReset.methods",
                Params::new(),
                lang,
            ));
            return Ok(d);
        }
    } else if let Some(deny) = super::actor_state_denial(policy, &req.actor, now, lang) {
        d.deny = Some(deny);
        return Ok(d);
    } else if let Some(by) = &spec.by
        && !actor_allowed(policy, by, &req.actor, &req.actor_permissions)
    {
        d.deny = Some(not_permitted(by, lang));
        return Ok(d);
    }
    d.audit.fields = vec!["password".into()];
    match method {
        ResetMethod::Token => {
            let at = now.plus_seconds(i64::from(spec.token_minutes).saturating_mul(60));
            d.expires_at = Some(at);
            d.obligations = vec![
                Obligation::IssueResetToken { expires_at: at },
                Obligation::InvalidatePasswords,
            ];
        }
        ResetMethod::TemporaryPassword => {
            let Some(pp) = policy.password_policy() else {
                d.deny = Some(Deny::new(
                    DenyKind::Forbidden,
                    DenyCode::ResetDisabled,
                    "passwordReset",
                    Params::new(),
                    lang,
                ));
                return Ok(d);
            };
            let length = spec.temporary_length.and_then(|n| usize::try_from(n).ok());
            d.temporary = Some(generate_password(pp, rng, length));
            d.must_change_password = true;
            d.obligations = vec![
                Obligation::InvalidatePasswords,
                Obligation::ForcePasswordChange,
                Obligation::NotifyUser {
                    template: "passwordReset.temporaryPassword".into(),
                },
            ];
        }
        ResetMethod::Admin => {
            d.must_change_password = true;
            d.obligations = vec![
                Obligation::InvalidatePasswords,
                Obligation::ForcePasswordChange,
                Obligation::NotifyUser {
                    template: "passwordReset.admin".into(),
                },
            ];
        }
    }
    d.obligations.push(Obligation::Audit);
    d.decision = Decision::Allow;
    Ok(d)
}

/// The outcome of approving or rejecting a verification (R002-08).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct VerificationDecision {
    /// Allow or deny.
    pub decision: Decision,
    /// Why it is denied: the actor's own status, `by`, or self-approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny: Option<Deny>,
    /// The hash of the policy that decided.
    pub policy: Arc<str>,
    /// The verification kind.
    pub kind: String,
    /// Approved or rejected.
    pub approved: bool,
    /// The new flags to store in the account's `verifications` attribute (declared kinds
    /// only).
    pub flags: BTreeMap<String, bool>,
    /// The features the new flags enable.
    pub features: Vec<String>,
    /// What the caller must do.
    pub obligations: Vec<Obligation>,
    /// The audit entry (action `users.verify`).
    pub audit: AuditEntry,
}

fn flags_of(account: &Account, kinds: &[String]) -> BTreeMap<String, bool> {
    let stored = account
        .attributes
        .get("verifications")
        .and_then(Value::as_object);
    kinds
        .iter()
        .map(|k| {
            (
                k.clone(),
                stored
                    .and_then(|m| m.get(k))
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            )
        })
        .collect()
}

fn enabled(
    features: &BTreeMap<String, Vec<String>>,
    flags: &BTreeMap<String, bool>,
) -> Vec<String> {
    features
        .iter()
        .filter(|(_, kinds)| kinds.iter().all(|k| flags.get(k).copied().unwrap_or(false)))
        .map(|(f, _)| f.clone())
        .collect()
}

/// Approves or rejects verification `kind` of `account` (R002-08): the new flags, the
/// features they enable, and the obligations (notify the user, audit).
///
/// # Errors
/// [`LifecycleErrorKind::NoLifecycle`](crate::lifecycle::LifecycleErrorKind::NoLifecycle); [`LifecycleErrorKind::UnknownVerification`](crate::lifecycle::LifecycleErrorKind::UnknownVerification) when the
/// policy does not declare `kind`.
#[allow(clippy::too_many_arguments)]
pub fn verification(
    policy: &Policy,
    actor: &Account,
    account: &Account,
    kind: &str,
    approve: bool,
    actor_permissions: &[String],
    now: Timestamp,
    lang: Lang,
) -> Result<VerificationDecision, LifecycleError> {
    let lc = lifecycle_of(policy)?;
    let unknown = || LifecycleError::unknown_verification(kind);
    let spec = lc.spec().verifications.as_ref().ok_or_else(unknown)?;
    if !spec.kinds.iter().any(|k| k == kind) {
        return Err(unknown());
    }
    let mut deny = super::actor_state_denial(policy, actor, now, lang);
    if deny.is_none() && actor.id == account.id {
        deny = Some(Deny::new(
            DenyKind::Forbidden,
            DenyCode::SelfApproval,
            "verifications",
            Params::new(),
            lang,
        ));
    }
    if deny.is_none()
        && let Some(by) = &spec.by
        && !actor_allowed(policy, by, actor, actor_permissions)
    {
        deny = Some(not_permitted(by, lang));
    }
    let mut flags = flags_of(account, &spec.kinds);
    if deny.is_some() {
        // Nothing changes: the flags stay as stored.
        let mut audit = AuditEntry::new(&actor.id, &account.id, "users.verify", now);
        audit.fields = vec![format!("verifications.{kind}")];
        return Ok(VerificationDecision {
            decision: Decision::Deny,
            deny,
            policy: hash_of(policy),
            kind: kind.to_owned(),
            approved: false,
            features: enabled(&spec.features, &flags),
            flags,
            obligations: Vec::new(),
            audit,
        });
    }
    flags.insert(kind.to_owned(), approve);
    let mut audit = AuditEntry::new(&actor.id, &account.id, "users.verify", now);
    audit.fields = vec![format!("verifications.{kind}")];
    Ok(VerificationDecision {
        decision: Decision::Allow,
        deny: None,
        policy: hash_of(policy),
        kind: kind.to_owned(),
        approved: approve,
        features: enabled(&spec.features, &flags),
        flags,
        obligations: vec![
            Obligation::NotifyUser {
                template: format!(
                    "verification.{kind}.{}",
                    if approve { "approved" } else { "rejected" }
                ),
            },
            Obligation::Audit,
        ],
        audit,
    })
}

/// Whether `account`'s verification flags enable `feature` (R002-08).
///
/// # Errors
/// [`LifecycleErrorKind::NoLifecycle`](crate::lifecycle::LifecycleErrorKind::NoLifecycle); [`LifecycleErrorKind::UnknownFeature`](crate::lifecycle::LifecycleErrorKind::UnknownFeature) when the policy
/// does not declare `feature`.
pub fn feature_enabled(
    policy: &Policy,
    account: &Account,
    feature: &str,
) -> Result<bool, LifecycleError> {
    let lc = lifecycle_of(policy)?;
    let unknown = || LifecycleError::unknown_feature(feature);
    let spec = lc.spec().verifications.as_ref().ok_or_else(unknown)?;
    let kinds = spec.features.get(feature).ok_or_else(unknown)?;
    let flags = flags_of(account, &spec.kinds);
    Ok(kinds.iter().all(|k| flags.get(k).copied().unwrap_or(false)))
}

/// The deny for a requested option (`mode`, `method`) the policy does not offer: code
/// `<key>_not_allowed`, params `<key>` and `allowed`.
fn not_offered<'a>(
    (code, key): (DenyCode, &str),
    value: &str,
    allowed: impl Iterator<Item = &'a str>,
    rule: &str,
    lang: Lang,
) -> Deny {
    let mut p = one(key, value);
    p.insert("allowed".into(), allowed.collect::<Vec<_>>().into());
    Deny::new(DenyKind::InvalidRequest, code, rule, p, lang)
}
