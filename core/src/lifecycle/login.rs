//! The login gate and lockout after failed logins.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{
    Decision, Deny, DenyCode, DenyKind, LifecycleError, LockoutSpec, LockoutStrategy,
    effective_status, hash_of, lifecycle_of,
};
use crate::Policy;
use crate::checks::date::Timestamp;
use crate::messages::Lang;
use crate::model::Account;
use crate::violation::Params;

/// The lockout state computed from failed-login timestamps (R002-12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct LockoutState {
    /// Login is refused because of failed logins.
    pub locked: bool,
    /// Locked until an administrator unlocks the account.
    pub permanent: bool,
    /// When the current lockout ends (temporary lockouts only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Timestamp>,
    /// Seconds from `now` to `until`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
    /// Failures counted in the current window (0 while locked).
    pub failures_in_window: u32,
    /// Failures left before the next lockout (0 while locked).
    pub remaining_attempts: u32,
    /// Lockouts so far: `previous_lockouts` plus those the timestamps show.
    pub lockouts: u32,
}

/// The wait of a lockout preceded by `earlier` lockouts, in seconds.
fn wait_seconds(spec: &LockoutSpec, earlier: u32) -> i64 {
    let base = u64::from(spec.wait_minutes);
    let minutes = match spec.strategy {
        LockoutStrategy::Fixed => spec
            .max_wait_minutes
            .map_or(base, |m| base.min(u64::from(m))),
        LockoutStrategy::Escalating => {
            let cap = u64::from(spec.max_wait_minutes.unwrap_or(1440).max(spec.wait_minutes));
            let factor = 1_u64.checked_shl(earlier.min(62)).unwrap_or(u64::MAX);
            base.saturating_mul(factor).min(cap)
        }
    };
    i64::try_from(minutes.saturating_mul(60)).unwrap_or(i64::MAX)
}

/// The lockout state at `now`, computed only from timestamps so that a form and the server
/// agree on "try again in N minutes".
///
/// `failed_attempts` are the failed logins since the last successful one (in any order;
/// those after `now` are ignored); `previous_lockouts` counts lockouts that happened before
/// them and should still escalate the wait. The timestamps are replayed in order: a failure
/// during a lockout is ignored; when `threshold` failures fall within a window of
/// `windowMinutes` (a failure exactly `windowMinutes` old no longer counts) the account is
/// locked from that failure for the wait (`waitMinutes`, doubled for each earlier lockout
/// under `escalating`, at most `maxWaitMinutes`), and the count starts again. A lockout ends
/// exactly at `until`. The `permanentAfterLockouts`-th lockout is permanent.
pub fn lockout_state(
    spec: &LockoutSpec,
    failed_attempts: &[Timestamp],
    previous_lockouts: u32,
    now: Timestamp,
) -> LockoutState {
    let mut times: Vec<Timestamp> = failed_attempts
        .iter()
        .copied()
        .filter(|t| *t <= now)
        .collect();
    times.sort_unstable();
    let window = i64::from(spec.window_minutes).saturating_mul(60);
    let threshold = usize::try_from(spec.threshold).unwrap_or(usize::MAX).max(1);
    let permanent_at = spec.permanent_after_lockouts;
    let mut lockouts = previous_lockouts;
    let mut permanent = permanent_at.is_some_and(|n| lockouts >= n);
    let mut until: Option<Timestamp> = None;
    let mut recent: Vec<Timestamp> = Vec::new();
    for t in times {
        if permanent {
            break;
        }
        if until.is_some_and(|u| t < u) {
            continue;
        }
        recent.retain(|r| t.seconds_since(*r) < window);
        recent.push(t);
        if recent.len() >= threshold {
            let wait = wait_seconds(spec, lockouts);
            lockouts = lockouts.saturating_add(1);
            recent.clear();
            if permanent_at.is_some_and(|n| lockouts >= n) {
                permanent = true;
                until = None;
            } else {
                until = Some(t.plus_seconds(wait));
            }
        }
    }
    if permanent {
        return LockoutState {
            locked: true,
            permanent: true,
            until: None,
            retry_after_seconds: None,
            failures_in_window: 0,
            remaining_attempts: 0,
            lockouts,
        };
    }
    if let Some(u) = until.filter(|u| now < *u) {
        return LockoutState {
            locked: true,
            permanent: false,
            until: Some(u),
            retry_after_seconds: u64::try_from(u.seconds_since(now)).ok(),
            failures_in_window: 0,
            remaining_attempts: 0,
            lockouts,
        };
    }
    let in_window = recent
        .iter()
        .filter(|r| now.seconds_since(**r) < window)
        .count();
    let in_window = u32::try_from(in_window).unwrap_or(u32::MAX);
    LockoutState {
        locked: false,
        permanent: false,
        until: None,
        retry_after_seconds: None,
        failures_in_window: in_window,
        remaining_attempts: spec.threshold.saturating_sub(in_window),
        lockouts,
    }
}

/// The account's organisation, as the caller knows it (R000-08).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrganizationState {
    /// The organisation's id.
    pub id: String,
    /// Whether it is active.
    pub active: bool,
}

/// What the login gate needs to know besides the account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginFacts {
    /// Failed logins since the last successful one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed_attempts: Vec<Timestamp>,
    /// Earlier lockouts that still escalate the wait.
    #[serde(default)]
    pub lockouts: u32,
    /// When the password was last set (needed when password expiry is on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_changed_at: Option<Timestamp>,
    /// Whether the email is verified (needed when `login.emailVerified` is on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// The password was reset by an administrator or is temporary (R002-05, R004-08).
    #[serde(default)]
    pub must_change_password: bool,
}

/// The outcome of the login gate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct LoginDecision {
    /// Allow or deny.
    pub decision: Decision,
    /// The hash of the policy that decided.
    pub policy: Arc<str>,
    /// The account's effective status.
    pub status: String,
    /// Why it is denied: `status_inactive`, `blacklisted`, `pending_verification`,
    /// `organization_inactive`, `locked` (params `until`, `retryAfterSeconds`),
    /// `locked_permanently`, `password_expired`, `missing_fact`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny: Option<Deny>,
    /// The user must change their password (after an admin reset, or an expired password).
    pub must_change_password: bool,
    /// The lockout state, when the policy has a lockout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lockout: Option<LockoutState>,
}

impl LoginDecision {
    /// Whether the login may proceed.
    pub fn allowed(&self) -> bool {
        self.decision == Decision::Allow
    }
}

fn locked_deny(until: Option<Timestamp>, now: Timestamp, lang: Lang) -> Deny {
    match until {
        Some(u) => {
            let mut p = Params::new();
            p.insert("until".into(), u.to_string().into());
            p.insert(
                "retryAfterSeconds".into(),
                u.seconds_since(now).max(0).into(),
            );
            Deny::new(DenyKind::Forbidden, DenyCode::Locked, "lockout", p, lang)
        }
        None => Deny::new(
            DenyKind::Forbidden,
            DenyCode::LockedPermanently,
            "lockout",
            Params::new(),
            lang,
        ),
    }
}

/// May `account` log in at `now`?
///
/// In order: the effective status (a status without `login`: `blacklisted` when terminal,
/// `locked` / `locked_permanently` when it is the lockout's status and the failed attempts
/// lock the account, `account_locked` when it is the lockout's status without failed
/// attempts that explain it (an administrator's lock), `pending_verification`
/// for a status that `awaitsVerification`, `status_inactive` otherwise; R000-06, R003-04); the
/// organisation (R000-08, when `login.organizationMustBeActive` and the account has one);
/// the lockout (R002-12); the email verification (`login.emailVerified`); password expiry
/// (R003-06, `password.expiryDays` days after `passwordChangedAt`, ending exactly then).
/// Facts these need and that are missing deny with `missing_fact`.
///
/// # Errors
/// [`LifecycleErrorKind::NoLifecycle`](crate::lifecycle::LifecycleErrorKind::NoLifecycle) or [`LifecycleErrorKind::UnknownStatus`](crate::lifecycle::LifecycleErrorKind::UnknownStatus) (stored status).
pub fn can_login(
    policy: &Policy,
    account: &Account,
    organization: Option<&OrganizationState>,
    facts: &LoginFacts,
    now: Timestamp,
    lang: Lang,
) -> Result<LoginDecision, LifecycleError> {
    let lc = lifecycle_of(policy)?;
    let eff = effective_status(lc, account, now)?;
    let spec = lc
        .status(&eff.status)
        .ok_or_else(|| LifecycleError::unknown_status(&eff.status))?;
    let lockout = lc
        .spec()
        .lockout
        .as_ref()
        .map(|l| lockout_state(l, &facts.failed_attempts, facts.lockouts, now));
    let mut d = LoginDecision {
        decision: Decision::Deny,
        policy: hash_of(policy),
        status: eff.status.clone(),
        deny: None,
        must_change_password: facts.must_change_password,
        lockout: lockout.clone(),
    };
    let status_param = || {
        let mut p = Params::new();
        p.insert("status".into(), eff.status.clone().into());
        p
    };
    if !spec.login {
        let lock_status = lc.spec().lockout.as_ref().and_then(|l| l.status.as_deref());
        d.deny = Some(if spec.terminal {
            Deny::new(
                DenyKind::InvalidState,
                DenyCode::Blacklisted,
                "status",
                status_param(),
                lang,
            )
        } else if lock_status == Some(eff.status.as_str()) {
            // The lockout's status, reached by failed logins or set by an administrator: only
            // failed attempts that lock the account now make it the lockout's doing; without
            // them the message says it is locked, not why.
            if lockout.as_ref().is_some_and(|l| l.locked) {
                locked_deny(eff.until, now, lang)
            } else {
                let mut p = status_param();
                if let Some(u) = eff.until {
                    p.insert("until".into(), u.to_string().into());
                    p.insert(
                        "retryAfterSeconds".into(),
                        u.seconds_since(now).max(0).into(),
                    );
                }
                Deny::new(
                    DenyKind::Forbidden,
                    DenyCode::AccountLocked,
                    "status",
                    p,
                    lang,
                )
            }
        } else if spec.awaits_verification {
            Deny::new(
                DenyKind::InvalidState,
                DenyCode::PendingVerification,
                "status",
                status_param(),
                lang,
            )
        } else {
            Deny::new(
                DenyKind::InvalidState,
                DenyCode::StatusInactive,
                "status",
                status_param(),
                lang,
            )
        });
        return Ok(d);
    }
    let login = &lc.spec().login;
    let mut missing: Vec<String> = Vec::new();
    if login.organization_must_be_active
        && let Some(org) = &account.organization
    {
        match organization {
            Some(o) if &o.id == org => {
                if !o.active {
                    let mut p = Params::new();
                    p.insert("organization".into(), org.clone().into());
                    d.deny = Some(Deny::new(
                        DenyKind::Forbidden,
                        DenyCode::OrganizationInactive,
                        "login.organizationMustBeActive",
                        p,
                        lang,
                    ));
                    return Ok(d);
                }
            }
            _ => missing.push("organization".into()),
        }
    }
    if let Some(l) = &lockout
        && l.locked
    {
        d.deny = Some(locked_deny(l.until, now, lang));
        return Ok(d);
    }
    if login.email_verified {
        match facts.email_verified {
            None => missing.push("emailVerified".into()),
            Some(false) => {
                d.deny = Some(Deny::new(
                    DenyKind::InvalidState,
                    DenyCode::PendingVerification,
                    "login.emailVerified",
                    status_param(),
                    lang,
                ));
                return Ok(d);
            }
            Some(true) => {}
        }
    }
    if login.password_expiry
        && let Some(days) = policy.password_policy().and_then(|p| p.expiry_days())
    {
        match facts.password_changed_at {
            None => missing.push("passwordChangedAt".into()),
            Some(at) => {
                let expires = at.plus_seconds(i64::from(days).saturating_mul(86_400));
                if now >= expires {
                    let mut p = Params::new();
                    p.insert("expiredAt".into(), expires.to_string().into());
                    p.insert("expiryDays".into(), days.into());
                    d.deny = Some(Deny::new(
                        DenyKind::InvalidState,
                        DenyCode::PasswordExpired,
                        "login.passwordExpiry",
                        p,
                        lang,
                    ));
                    d.must_change_password = true;
                    return Ok(d);
                }
            }
        }
    }
    if !missing.is_empty() {
        d.deny = Some(super::missing_facts(missing, lang));
        return Ok(d);
    }
    d.decision = Decision::Allow;
    Ok(d)
}
