//! Status transitions: who may move an account to which status, on which conditions, and
//! what the caller must then do.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{
    AuditEntry, CompiledLifecycle, Decision, Deny, DenyCode, DenyKind, Guard, LifecycleError,
    Obligation, Requirement, TransitionEffect, actor_allowed, effective_status, hash_of,
    lifecycle_of, missing_facts, not_permitted, one,
};
use crate::Policy;
use crate::access;
use crate::checks::date::{Date, Timestamp};
use crate::messages::Lang;
use crate::model::Account;
use crate::policy::Mode;
use crate::validate::{ValidationContext, ValidationFacts, validate_user};
use crate::violation::Params;

/// Longest reason, in code points after trimming: 1,000.
pub const MAX_REASON_CHARS: usize = 1000;

/// What the caller knows and Warden cannot. Every fact is optional so that a decision can
/// say which one it needs: a guard whose fact is missing denies with kind `missingFact`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TransitionFacts {
    /// The target's active (current or future) bookings (guard `activeBookings`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_bookings: Option<u32>,
    /// Active super administrators, the target included (guard `lastSuperAdmin`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_super_admins: Option<u32>,
    /// The critical permissions that the target alone holds (guard `soleCriticalHolder`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sole_holder_of: Option<Vec<String>>,
    /// The target's pending approvals (obligation `reassignApprovals`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_approvals: Option<u32>,
}

/// A request to change an account's status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TransitionRequest {
    /// Who asks.
    pub actor: Account,
    /// Whose status changes.
    pub target: Account,
    /// The new status.
    pub to: String,
    /// Why (R002-06, R004-06); trimmed, at most [`MAX_REASON_CHARS`] code points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The end of a temporary status; at most one of `until`, `durationDays`,
    /// `durationMinutes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Timestamp>,
    /// The duration of a temporary status, in days: at most the status's `maxDays`, and
    /// never more than [`MAX_TEMPORARY_DAYS`](super::MAX_TEMPORARY_DAYS) (100 years).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_days: Option<u32>,
    /// The duration of a temporary status, in minutes: the same ceiling as
    /// `duration_days`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_minutes: Option<u32>,
    /// Facts for the guards and obligations.
    #[serde(default)]
    pub facts: TransitionFacts,
    /// The permissions the actor holds over the target (computed by the access module),
    /// checked against the transition's `by.permission`.
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

/// The outcome of a transition request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct TransitionDecision {
    /// Allow or deny.
    pub decision: Decision,
    /// The hash of the policy that decided.
    pub policy: Arc<str>,
    /// The transition's id, when one leads from `from` to `to`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transition: Option<String>,
    /// The target's effective status.
    pub from: String,
    /// The status asked for.
    pub to: String,
    /// Why it is denied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny: Option<Deny>,
    /// What the caller must do (allowed decisions only).
    pub obligations: Vec<Obligation>,
    /// The end of the new temporary status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Timestamp>,
    /// The audit entry (action `users.status`), for allowed and denied requests alike.
    pub audit: AuditEntry,
}

impl TransitionDecision {
    /// Whether the transition is allowed.
    pub fn allowed(&self) -> bool {
        self.decision == Decision::Allow
    }
}

/// The outcome of one guard.
pub(crate) enum GuardOutcome {
    Pass,
    Deny(Box<Deny>),
    Missing(&'static str),
}

/// What guards look at.
pub(crate) struct GuardContext<'a> {
    pub(crate) policy: &'a Policy,
    pub(crate) actor: &'a Account,
    pub(crate) target: &'a Account,
    /// The target's effective status allows login.
    pub(crate) from_login: bool,
    /// The target's new status allows login (false for deletion).
    pub(crate) to_login: bool,
    /// The new status, for the record check.
    pub(crate) to: &'a str,
    pub(crate) active_bookings: Option<u32>,
    pub(crate) active_super_admins: Option<u32>,
    pub(crate) sole_holder_of: Option<&'a [String]>,
    /// The status suggested instead when bookings block.
    pub(crate) suggestion: Option<&'a str>,
    pub(crate) now: Timestamp,
    pub(crate) lang: Lang,
}

pub(crate) fn check_guard(g: Guard, cx: &GuardContext<'_>) -> GuardOutcome {
    let rule = g.as_str();
    let forbid = |code: DenyCode, params: Params| {
        GuardOutcome::Deny(Box::new(Deny::new(
            DenyKind::Forbidden,
            code,
            rule,
            params,
            cx.lang,
        )))
    };
    match g {
        Guard::LastSuperAdmin => {
            if !(cx.target.super_admin && cx.from_login && !cx.to_login) {
                return GuardOutcome::Pass;
            }
            match cx.active_super_admins {
                None => GuardOutcome::Missing("activeSuperAdmins"),
                Some(n) if n <= 1 => forbid(DenyCode::LastSuperAdmin, Params::new()),
                Some(_) => GuardOutcome::Pass,
            }
        }
        Guard::SoleCriticalHolder => match cx.sole_holder_of {
            None => GuardOutcome::Missing("soleHolderOf"),
            Some([]) => GuardOutcome::Pass,
            Some(perms) => forbid(
                DenyCode::SoleCriticalHolder,
                one("permissions", perms.to_vec()),
            ),
        },
        Guard::SystemAdminActive => {
            let is_admin = cx
                .policy
                .lifecycle()
                .and_then(|lc| lc.spec().system_admin_field.as_deref())
                .is_some_and(|f| cx.target.attributes.get(f) == Some(&Value::Bool(true)));
            if is_admin && !cx.to_login {
                forbid(DenyCode::SystemAdminActive, Params::new())
            } else {
                GuardOutcome::Pass
            }
        }
        Guard::ActiveBookings => match cx.active_bookings {
            None => GuardOutcome::Missing("activeBookings"),
            Some(0) => GuardOutcome::Pass,
            Some(n) => {
                let mut p = one("count", n);
                if let Some(s) = cx.suggestion {
                    p.insert("suggestion".into(), s.into());
                }
                forbid(DenyCode::ActiveBookings, p)
            }
        },
        Guard::CompleteRecord => {
            let problems = record_problems(cx.policy, cx.target, cx.to, cx.now, cx.lang);
            if problems.is_empty() {
                GuardOutcome::Pass
            } else {
                let fields: Vec<String> =
                    problems
                        .iter()
                        .map(|(f, _)| f.clone())
                        .fold(Vec::new(), |mut v, f| {
                            if !v.contains(&f) {
                                v.push(f);
                            }
                            v
                        });
                let mut p = one("fields", fields);
                let list: Vec<Value> = problems
                    .into_iter()
                    .map(|(f, c)| {
                        let mut m = Map::new();
                        m.insert("field".into(), f.into());
                        m.insert("code".into(), c.into());
                        Value::Object(m)
                    })
                    .collect();
                p.insert("violations".into(), Value::Array(list));
                forbid(DenyCode::IncompleteRecord, p)
            }
        }
        Guard::NotSelf => {
            if cx.actor.id == cx.target.id {
                forbid(DenyCode::NotSelf, Params::new())
            } else {
                GuardOutcome::Pass
            }
        }
    }
}

/// The user record of `account` as validation sees it: every schema field the account
/// has, from its typed fields and attributes, with `status` set to `status`.
pub(crate) fn record_of(policy: &Policy, account: &Account, status: &str) -> Map<String, Value> {
    let mut record = Map::new();
    for (name, _) in policy.document().fields.iter() {
        let value = if name == "status" {
            Some(Value::String(status.to_owned()))
        } else {
            account.attribute(name)
        };
        if let Some(v) = value {
            record.insert(name.to_owned(), v);
        }
    }
    record
}

/// The (field, code) of every validation error of the record in mode `reactivate`.
fn record_problems(
    policy: &Policy,
    account: &Account,
    status: &str,
    now: Timestamp,
    lang: Lang,
) -> Vec<(String, String)> {
    let record = record_of(policy, account, status);
    let facts = ValidationFacts::default();
    let today = now.date().or_else(|| Date::new(1970, 1, 1));
    let Some(today) = today else {
        return vec![(String::new(), "invalid_date".into())];
    };
    let ctx = ValidationContext {
        mode: Mode::Reactivate,
        today,
        lang,
        facts: &facts,
        mfa: false,
    };
    validate_user(policy, &record, &ctx)
        .errors()
        .map(|v| {
            (
                v.path.field().unwrap_or_default().to_owned(),
                v.code.as_str().to_owned(),
            )
        })
        .collect()
}

/// A reason as the audit records it: line breaks and tabs as spaces, other control
/// characters and invisible format characters (a zero-width space, a direction override)
/// dropped, surrounding white space trimmed. Such characters would let a reason read
/// otherwise than it is (a NUL ending it early for a C reader, an override reordering it),
/// and one made only of them is no reason (`reason_required`).
fn recorded_reason(reason: &str) -> String {
    let shown: String = reason
        .chars()
        .filter_map(|c| match c {
            '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}' => {
                Some(' ')
            }
            c if c.is_control() || crate::checks::text::is_invisible_format(c) => None,
            c => Some(c),
        })
        .collect();
    shown.trim().to_owned()
}

/// The reason as recorded ([`recorded_reason`]), or the denial about it.
pub(crate) fn check_reason(
    req: Requirement,
    reason: Option<&str>,
    lang: Lang,
) -> Result<Option<String>, Box<Deny>> {
    let reason = reason.map(recorded_reason).filter(|r| !r.is_empty());
    match (req, reason) {
        (Requirement::Required, None) => Err(Box::new(Deny::new(
            DenyKind::InvalidRequest,
            DenyCode::ReasonRequired,
            "reason",
            Params::new(),
            lang,
        ))),
        (Requirement::Forbidden, Some(_)) => Err(Box::new(Deny::new(
            DenyKind::InvalidRequest,
            DenyCode::ReasonNotAllowed,
            "reason",
            Params::new(),
            lang,
        ))),
        (_, Some(r)) => {
            let n = r.chars().count();
            if n > MAX_REASON_CHARS {
                let mut p = one("max", MAX_REASON_CHARS);
                p.insert("actual".into(), n.into());
                Err(Box::new(Deny::new(
                    DenyKind::InvalidRequest,
                    DenyCode::ReasonTooLong,
                    "reason",
                    p,
                    lang,
                )))
            } else {
                Ok(Some(r))
            }
        }
        (_, None) => Ok(None),
    }
}

fn check_duration(
    lc: &CompiledLifecycle,
    t: &super::TransitionSpec,
    req: &TransitionRequest,
    now: Timestamp,
) -> Result<Option<Timestamp>, Box<Deny>> {
    let lang = req.lang;
    let deny = |code: DenyCode, params: Params| {
        Deny::new(DenyKind::InvalidRequest, code, "duration", params, lang)
    };
    let temporary = lc.status(&t.to).and_then(|s| s.temporary.as_ref());
    let given = usize::from(req.until.is_some())
        + usize::from(req.duration_days.is_some())
        + usize::from(req.duration_minutes.is_some());
    if given > 1 {
        return Err(Box::new(deny(DenyCode::DurationAmbiguous, Params::new())));
    }
    let requirement = t.duration.unwrap_or(if temporary.is_some() {
        Requirement::Required
    } else {
        Requirement::Forbidden
    });
    // Every duration has a ceiling, [`MAX_TEMPORARY_DAYS`] (a tighter `maxDays` of the status
    // applies below), and every end is a timestamp that reads back as input.
    let ceiling_days = temporary
        .and_then(|tmp| tmp.max_days)
        .unwrap_or(super::MAX_TEMPORARY_DAYS)
        .min(super::MAX_TEMPORARY_DAYS);
    let too_long = || {
        Box::new(deny(
            DenyCode::DurationTooLong,
            one("maxDays", ceiling_days),
        ))
    };
    if req
        .duration_days
        .is_some_and(|d| d > super::MAX_TEMPORARY_DAYS)
        || req
            .duration_minutes
            .is_some_and(|m| u64::from(m) > u64::from(super::MAX_TEMPORARY_DAYS) * 1440)
    {
        return Err(too_long());
    }
    let until = match (req.until, req.duration_days, req.duration_minutes) {
        (Some(u), _, _) => Some(u),
        (_, Some(d), _) => Some(now.plus_seconds(i64::from(d).saturating_mul(86_400))),
        (_, _, Some(m)) => Some(now.plus_seconds(i64::from(m).saturating_mul(60))),
        _ => None,
    };
    match (requirement, until) {
        (Requirement::Required, None) => Err(Box::new(deny(
            DenyCode::DurationRequired,
            one("to", t.to.clone()),
        ))),
        (Requirement::Forbidden, Some(_)) => Err(Box::new(deny(
            DenyCode::DurationNotAllowed,
            one("to", t.to.clone()),
        ))),
        (_, None) => Ok(None),
        (_, Some(u)) => {
            if u <= now {
                return Err(Box::new(deny(DenyCode::DurationInPast, Params::new())));
            }
            if u.seconds_since(now) > i64::from(ceiling_days).saturating_mul(86_400)
                || !u.is_rfc3339()
            {
                return Err(too_long());
            }
            Ok(Some(u))
        }
    }
}

/// Decides whether `req.actor` may move `req.target` to status `req.to` at `now`.
///
/// In order: the target's effective status is computed ([`effective_status`]); the same
/// status denies `already_in_status`; a terminal status denies `terminal_status`; no
/// transition from it to `to` denies `no_such_transition` (params `allowed` lists the
/// statuses reachable); then `by` (`not_permitted`), the reason (`reason_required`,
/// `reason_too_long`, `reason_not_allowed`), the duration (`duration_required`,
/// `duration_not_allowed`, `duration_too_long`, `duration_in_past`,
/// `duration_ambiguous`), and the guards in order. A guard that forbids wins over missing
/// facts; otherwise every missing fact (guards' and obligations') is listed in one
/// `missing_fact` denial.
///
/// # Errors
/// [`LifecycleErrorKind::NoLifecycle`](crate::lifecycle::LifecycleErrorKind::NoLifecycle) without a lifecycle section;
/// [`LifecycleErrorKind::UnknownStatus`](crate::lifecycle::LifecycleErrorKind::UnknownStatus) when `to` or the target's stored status is not one of
/// the policy's.
pub fn transition(
    policy: &Policy,
    req: &TransitionRequest,
    now: Timestamp,
) -> Result<TransitionDecision, LifecycleError> {
    let lc = lifecycle_of(policy)?;
    let to_spec = lc
        .status(&req.to)
        .ok_or_else(|| LifecycleError::unknown_status(&req.to))?;
    let from = effective_status(lc, &req.target, now)?.status;
    let from_spec = lc
        .status(&from)
        .ok_or_else(|| LifecycleError::unknown_status(&from))?;
    let lang = req.lang;
    let mut audit = AuditEntry::new(&req.actor.id, &req.target.id, "users.status", now);
    audit.from = Some(from.clone());
    audit.to = Some(req.to.clone());
    audit.reason = req
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| r.chars().take(MAX_REASON_CHARS).collect());
    let mut decision = TransitionDecision {
        decision: Decision::Deny,
        policy: hash_of(policy),
        transition: None,
        from: from.clone(),
        to: req.to.clone(),
        deny: None,
        obligations: Vec::new(),
        until: None,
        audit,
    };
    let deny = |mut d: TransitionDecision, deny: Deny| {
        d.deny = Some(deny);
        Ok(d)
    };
    if from == req.to {
        return deny(
            decision,
            Deny::new(
                DenyKind::InvalidState,
                DenyCode::AlreadyInStatus,
                "transition",
                one("status", from),
                lang,
            ),
        );
    }
    let Some(t) = lc.transition_between(&from, &req.to) else {
        let mut p = one("from", from.clone());
        p.insert("to".into(), req.to.clone().into());
        if from_spec.terminal {
            return deny(
                decision,
                Deny::new(
                    DenyKind::InvalidState,
                    DenyCode::TerminalStatus,
                    "transition",
                    p,
                    lang,
                ),
            );
        }
        let allowed = lc.targets_from(&from);
        if !allowed.is_empty() {
            p.insert("allowed".into(), allowed.into());
        }
        return deny(
            decision,
            Deny::new(
                DenyKind::InvalidState,
                DenyCode::NoSuchTransition,
                "transition",
                p,
                lang,
            ),
        );
    };
    decision.transition = Some(t.id.clone());
    if let Some(d) = super::actor_state_denial(policy, &req.actor, now, lang) {
        return deny(decision, d);
    }
    if let Some(by) = &t.by
        && !actor_allowed(policy, by, &req.actor, &req.actor_permissions)
    {
        return deny(decision, not_permitted(by, lang));
    }
    match check_reason(t.reason, req.reason.as_deref(), lang) {
        Ok(r) => decision.audit.reason = r,
        Err(d) => return deny(decision, *d),
    }
    let until = match check_duration(lc, t, req, now) {
        Ok(u) => u,
        Err(d) => return deny(decision, *d),
    };
    let cx = GuardContext {
        policy,
        actor: &req.actor,
        target: &req.target,
        from_login: from_spec.login,
        to_login: to_spec.login,
        to: &req.to,
        active_bookings: req.facts.active_bookings,
        active_super_admins: req.facts.active_super_admins,
        sole_holder_of: req.facts.sole_holder_of.as_deref(),
        suggestion: lc
            .spec()
            .deletion
            .as_ref()
            .and_then(|d| d.when_blocked.as_deref()),
        now,
        lang,
    };
    let mut missing: Vec<&'static str> = Vec::new();
    for &g in &t.guards {
        match check_guard(g, &cx) {
            GuardOutcome::Pass => {}
            GuardOutcome::Deny(d) => return deny(decision, *d),
            GuardOutcome::Missing(f) => missing.push(f),
        }
    }
    let mut obligations = effect_obligations(t, &req.target, &req.to, &req.facts, &mut missing);
    if !missing.is_empty() {
        let facts: Vec<String> = missing.iter().map(|s| (*s).to_owned()).collect();
        return deny(decision, missing_facts(facts, lang));
    }
    if let Some(d) = grant_through_status(policy, req, lang)? {
        return deny(decision, d);
    }
    if let (Some(at), Some(tmp)) = (until, &to_spec.temporary) {
        obligations.push(Obligation::ScheduleExpiry {
            at,
            returns_to: tmp.returns_to.clone(),
        });
    }
    obligations.push(Obligation::Audit);
    decision.decision = Decision::Allow;
    decision.obligations = obligations;
    decision.until = until;
    Ok(decision)
}

/// A status change that gives the target roles (a dynamic group whose rule reads the
/// status: `{"field": "status", "in": ["probation"]}` giving `hrAdmin`) is a grant, and
/// held to the grant rules a direct one is ([`access::grant_denial`]): without this, an
/// actor who may only change statuses could hand out any role such a group gives, to
/// others or to themselves, and make a user hold a forbidden combination. A change that
/// only takes roles away is the lifecycle's own (its obligations remove roles too),
/// decided by the transition's `by`. The change is judged whole (what it gives and what it
/// takes), so that the combinations and the minimum are those of the roles held after.
fn grant_through_status(
    policy: &Policy,
    req: &TransitionRequest,
    lang: Lang,
) -> Result<Option<Deny>, LifecycleError> {
    let Some(access) = policy.access().filter(|a| a.roles_depend_on("status")) else {
        return Ok(None);
    };
    // A role or group the policy no longer declares (a stored user's, after a policy
    // change) gives nothing: it neither blocks the change (a deactivation must stay
    // possible) nor counts.
    let mut target = req.target.clone();
    target.roles.retain(|r| access.role(r).is_some());
    target
        .groups
        .retain(|g| access.is_dynamic_group(g).is_some());
    let mut moved = target.clone();
    moved.status.clone_from(&req.to);
    let change = access::role_change_between(access, &target, &moved)
        .map_err(|e| LifecycleError::from_access(&e))?;
    match change {
        Some(change) if !change.add.is_empty() => {
            access::grant_denial(access, &req.actor, &target, &change, lang)
                .map_err(|e| LifecycleError::from_access(&e))
        }
        _ => Ok(None),
    }
}

/// The obligations of transition `t`'s effects on `target` moving to `to`, with the
/// caller's `facts`; a fact an effect needs and lacks is pushed onto `missing`. One
/// mapping for a decided transition and a lockout's.
fn effect_obligations(
    t: &super::TransitionSpec,
    target: &Account,
    to: &str,
    facts: &TransitionFacts,
    missing: &mut Vec<&'static str>,
) -> Vec<Obligation> {
    let mut obligations = Vec::new();
    for effect in &t.obligations {
        match effect {
            TransitionEffect::RevokeSessions => obligations.push(Obligation::RevokeSessions),
            TransitionEffect::NotifyUser => obligations.push(Obligation::NotifyUser {
                template: format!("status.{to}"),
            }),
            TransitionEffect::RemoveRoles => {
                if !target.roles.is_empty() {
                    obligations.push(Obligation::RemoveRoles {
                        roles: target.roles.clone(),
                    });
                }
            }
            TransitionEffect::RemoveGroups => {
                if !target.groups.is_empty() {
                    obligations.push(Obligation::RemoveGroups {
                        groups: target.groups.clone(),
                    });
                }
            }
            TransitionEffect::ReassignApprovals => match facts.pending_approvals {
                None => missing.push("pendingApprovals"),
                Some(0) => {}
                Some(count) => obligations.push(Obligation::ReassignApprovals { count }),
            },
            TransitionEffect::CancelFutureBookings => {
                obligations.push(Obligation::CancelFutureBookings)
            }
        }
    }
    obligations
}

/// What follows when failed sign-ins lock `target` into the lockout's status `to`
/// (R002-06, R002-12): the obligations the policy's transition from the target's status
/// into it carries (its sessions revoked, the user notified...), as a manual lock's, and
/// an audit entry. The lock is the lifecycle's own and no actor's, so the transition's
/// `by`, reason and guards do not apply; an effect that needs a fact nobody gave
/// (`pendingApprovals`) is left out. None when no transition leads there (a lock renewed,
/// or written over nothing: [`CompiledLifecycle::lock_status_over`]).
pub fn lockout_obligations(policy: &Policy, target: &Account, to: &str) -> Vec<Obligation> {
    let Some(t) = policy
        .lifecycle()
        .and_then(|lc| lc.transition_between(&target.status, to))
    else {
        return Vec::new();
    };
    let mut missing = Vec::new();
    let mut obligations =
        effect_obligations(t, target, to, &TransitionFacts::default(), &mut missing);
    obligations.push(Obligation::Audit);
    obligations
}
