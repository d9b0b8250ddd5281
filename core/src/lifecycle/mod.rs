//! The account lifecycle: statuses, transitions, the login gate, lockout, deletion, field
//! changes, password resets, verifications and statistics.
//!
//! Everything here is pure: the current instant is passed in as a [`Timestamp`], what
//! Warden cannot know (how many active bookings the target has, who else holds a critical
//! permission) is passed in as *facts*, and every outcome is serde data.
//!
//! - [`effective_status`]: a temporary status whose `statusUntil` has passed counts as the
//!   status it returns to.
//! - [`transition`]: may `actor` move `target` to status `to`? The decision lists the
//!   obligations (revoke sessions, remove roles, reassign approvals, ...) and the audit
//!   entry. A guard whose fact is missing denies with kind `missingFact` (fail closed),
//!   naming every missing fact so the caller can ask for them all at once; a request that
//!   names a status the policy does not have, or a policy without a lifecycle, is a
//!   [`LifecycleError`].
//! - [`can_login`] and [`lockout_state`]: the login gate (status, organisation, lockout,
//!   password expiry) and lockout computed only from timestamps, so that a form's "try
//!   again in N minutes" matches the server.
//! - [`delete`], [`changes`], [`password_change`], [`password_reset`], [`verification`],
//!   [`feature_enabled`], [`security_findings`] and [`statistics`].
//!
//! Denials carry a stable snake_case `code`, `params`, a message and a hint in the
//! requested language, and the `rule` that decided (`transition`, `by`, `reason`,
//! `duration`, or a guard name).

mod actions;
mod login;
mod spec;
mod stats;
mod status;
mod transition;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::checks::date::Timestamp;
use crate::messages::Lang;
use crate::violation::Params;

pub use actions::{
    ChangeDecision, ChangeFacts, ChangeRequest, DeleteDecision, DeleteFacts, DeleteRequest,
    PasswordChangeRequest, PasswordResetDecision, PasswordResetRequest, Suggestion,
    VerificationDecision, changes, changes_in, delete, email_changed, feature_enabled,
    password_change, password_reset, verification,
};
pub(crate) use actions::{changed_fields, edit_guards};
pub use login::{
    LockoutState, LoginDecision, LoginFacts, OrganizationState, can_login, lockout_state,
};
pub(crate) use spec::compile;
pub use spec::{
    ActorSpec, AnonymizeSpec, ChangeEffect, ChangesSpec, CompiledLifecycle, DeleteMode,
    DeletionSpec, Guard, LifecycleSpec, LockoutSpec, LockoutStrategy, LoginSpec,
    MAX_LOCKOUT_MINUTES, MAX_TEMPORARY_DAYS, MAX_TOKEN_MINUTES, PasswordResetSpec, Requirement,
    ResetMethod, StatusSpec, TemporarySpec, TransitionEffect, TransitionSpec, VerificationSpec,
};
pub use stats::{Finding, Statistics, security_findings, statistics};
pub use status::{EffectiveStatus, effective_status, effective_status_id, initial_status};
pub use transition::{
    MAX_REASON_CHARS, TransitionDecision, TransitionFacts, TransitionRequest, lockout_obligations,
    transition,
};

pub use crate::decision::{Decision, DenyCode, DenyKind};

/// A denial: what refused the operation and what would allow it (the shared
/// [`Denial`](crate::decision::Denial) type).
pub type Deny = crate::decision::Denial;

impl Deny {
    /// A deny by lifecycle rule `rule`, worded by the [message catalogue](crate::messages).
    pub(crate) fn new(
        kind: DenyKind,
        code: DenyCode,
        rule: &str,
        params: Params,
        lang: Lang,
    ) -> Self {
        Deny::render(kind, code, Some(rule.into()), params, lang)
    }
}

/// Parameters of one entry.
pub(crate) fn one(key: &str, value: impl Into<serde_json::Value>) -> Params {
    let mut p = Params::new();
    p.insert(key.to_owned(), value.into());
    p
}

/// The denial of a change its caller finds, by counting after its write, to leave the
/// tenant without an active super administrator where no decision of the kernel's saw it
/// (an organisation deactivated with the last ones in it): `last_super_admin`, under the
/// rule of the guard (`lastSuperAdmin`), worded as the kernel words it.
pub fn last_super_admin_denial(lang: Lang) -> Deny {
    Deny::new(
        DenyKind::Forbidden,
        DenyCode::LastSuperAdmin,
        Guard::LastSuperAdmin.as_str(),
        Params::new(),
        lang,
    )
}

/// The denial of a decision that needs these facts from its caller (`missing_fact`, every
/// one named in `params.facts`).
pub(crate) fn missing_facts(facts: Vec<String>, lang: Lang) -> Deny {
    Deny::new(
        DenyKind::MissingFact,
        DenyCode::MissingFact,
        "facts",
        one("facts", facts),
        lang,
    )
}

/// Something the caller must do when it carries out an allowed decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Obligation {
    /// End every session of the account (R002-06).
    RevokeSessions,
    /// Send the account's owner the notification `template`.
    NotifyUser {
        /// The template's name (`status.inactive`, `passwordReset.temporaryPassword`).
        template: String,
    },
    /// Remove these direct roles (R001-06).
    RemoveRoles {
        /// The account's direct roles.
        roles: Vec<String>,
    },
    /// Remove these manual group memberships (R001-06).
    RemoveGroups {
        /// The account's manual groups.
        groups: Vec<String>,
    },
    /// Reassign the account's pending approvals (R004-06).
    ReassignApprovals {
        /// How many there are.
        count: u32,
    },
    /// Tell the user their login email changed, at the old address (R000-12).
    NotifyEmailChange {
        /// The old address.
        old: String,
        /// The new address.
        new: String,
    },
    /// Verify the new address before it becomes the login (R002-05).
    VerifyNewEmail {
        /// The address to verify.
        email: String,
    },
    /// The user must change their password at next login (R002-05).
    ForcePasswordChange,
    /// Every stored password and outstanding reset token stops working (R002-07); for the
    /// `token` method, when the token is redeemed.
    InvalidatePasswords,
    /// Send a single-use reset link that expires at `expiresAt` (R002-07).
    IssueResetToken {
        /// When the token stops working.
        expires_at: Timestamp,
    },
    /// Cancel the account's future bookings.
    CancelFutureBookings,
    /// Store `statusUntil`: the temporary status ends at `at` and returns to `returnsTo`.
    ScheduleExpiry {
        /// The end of the temporary status.
        at: Timestamp,
        /// The status it returns to.
        returns_to: String,
    },
    /// Write the decision's `audit` entry to the audit log (R003-08).
    Audit,
}

/// An audit log entry: who did what to whom, when, and why (R002-06, R003-08).
///
/// Never holds a password: changed fields are named, and only the email's values appear.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// The actor's account id.
    pub actor: String,
    /// The target's account id.
    pub target: String,
    /// The action (`users.status`, `users.update`, `users.delete`, `users.passwordReset`,
    /// `users.verify`).
    pub action: String,
    /// The status before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The status after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// The reason given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The names of the changed fields.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    /// Roles assigned by the actor (R003-08).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles_added: Vec<String>,
    /// Roles removed by the actor.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles_removed: Vec<String>,
    /// When.
    pub at: Timestamp,
}

impl AuditEntry {
    pub(crate) fn new(actor: &str, target: &str, action: &str, at: Timestamp) -> Self {
        AuditEntry {
            actor: actor.to_owned(),
            target: target.to_owned(),
            action: action.to_owned(),
            from: None,
            to: None,
            reason: None,
            fields: Vec::new(),
            roles_added: Vec::new(),
            roles_removed: Vec::new(),
            at,
        }
    }
}

/// The kind of a [`LifecycleError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LifecycleErrorKind {
    /// The policy has no `lifecycle` section.
    NoLifecycle,
    /// A status the policy does not declare ([`LifecycleError::name`] is the status).
    UnknownStatus,
    /// A verification kind the policy does not declare ([`LifecycleError::name`] is it).
    UnknownVerification,
    /// A feature the policy does not declare ([`LifecycleError::name`] is it).
    UnknownFeature,
    /// The actor names a role the policy does not declare ([`LifecycleError::name`] is it):
    /// attribute permissions cannot be decided.
    UnknownRole,
    /// The actor names a group the policy does not declare ([`LifecycleError::name`] is it).
    UnknownGroup,
}

/// A lifecycle request that cannot be decided at all.
///
/// Opaque, as [`PolicyError`](crate::PolicyError) is: read it through
/// [`kind`](Self::kind), [`name`](Self::name) and its `Display`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleError {
    kind: LifecycleErrorKind,
    /// The name asked for (status, verification kind, feature), at most 128 characters.
    name: Option<String>,
}

impl std::fmt::Display for LifecycleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = self.name.as_deref().unwrap_or_default();
        match self.kind {
            LifecycleErrorKind::NoLifecycle => f.write_str("the policy has no lifecycle section"),
            LifecycleErrorKind::UnknownStatus => {
                write!(f, "`{name}` is not a status of the policy")
            }
            LifecycleErrorKind::UnknownVerification => {
                write!(f, "`{name}` is not a verification kind of the policy")
            }
            LifecycleErrorKind::UnknownFeature => {
                write!(f, "`{name}` is not a feature of the policy")
            }
            LifecycleErrorKind::UnknownRole => {
                write!(f, "`{name}` in `actor.roles` is not a role of the policy")
            }
            LifecycleErrorKind::UnknownGroup => {
                write!(f, "`{name}` in `actor.groups` is not a group of the policy")
            }
        }
    }
}

impl std::error::Error for LifecycleError {}

impl LifecycleError {
    fn named(kind: LifecycleErrorKind, name: &str) -> Self {
        LifecycleError {
            kind,
            name: Some(name.chars().take(128).collect()),
        }
    }

    pub(crate) fn no_lifecycle() -> Self {
        LifecycleError {
            kind: LifecycleErrorKind::NoLifecycle,
            name: None,
        }
    }

    pub(crate) fn unknown_status(s: &str) -> Self {
        LifecycleError::named(LifecycleErrorKind::UnknownStatus, s)
    }

    pub(crate) fn unknown_verification(k: &str) -> Self {
        LifecycleError::named(LifecycleErrorKind::UnknownVerification, k)
    }

    pub(crate) fn unknown_feature(f: &str) -> Self {
        LifecycleError::named(LifecycleErrorKind::UnknownFeature, f)
    }

    /// The error of an access question asked on the way (attribute permissions): an
    /// undeclared role or group of the actor.
    pub(crate) fn from_access(e: &crate::access::AccessError) -> Self {
        let kind = match e.kind() {
            crate::access::AccessErrorKind::UnknownGroup => LifecycleErrorKind::UnknownGroup,
            _ => LifecycleErrorKind::UnknownRole,
        };
        LifecycleError::named(kind, e.name().unwrap_or_default())
    }

    /// The kind of error.
    pub fn kind(&self) -> LifecycleErrorKind {
        self.kind
    }

    /// The contract's stable code for it (`unknown_status`, `unsupported`, ...).
    pub fn code(&self) -> &'static str {
        match self.kind {
            LifecycleErrorKind::NoLifecycle => "unsupported",
            LifecycleErrorKind::UnknownStatus => "unknown_status",
            LifecycleErrorKind::UnknownVerification => "unknown_verification",
            LifecycleErrorKind::UnknownFeature => "unknown_feature",
            LifecycleErrorKind::UnknownRole => "unknown_role",
            LifecycleErrorKind::UnknownGroup => "unknown_group",
        }
    }

    /// The status, verification kind or feature the request named, when that is the error.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
}

/// The compiled lifecycle of `policy`.
pub(crate) fn lifecycle_of(policy: &crate::Policy) -> Result<&CompiledLifecycle, LifecycleError> {
    policy.lifecycle().ok_or_else(LifecycleError::no_lifecycle)
}

/// The policy hash of decisions.
pub(crate) fn hash_of(policy: &crate::Policy) -> Arc<str> {
    Arc::from(policy.hash())
}

/// Does `actor` satisfy `by`? `permissions` are the actor's effective permissions over the
/// target.
/// Roles count as the access model computes them (direct, groups, `roleField`), when the
/// policy has one; otherwise the account's direct roles.
pub(crate) fn actor_allowed(
    policy: &crate::Policy,
    by: &ActorSpec,
    actor: &crate::model::Account,
    permissions: &[String],
) -> bool {
    let has_role = |r: &String| match policy.access() {
        Some(access) => crate::access::effective_roles(access, actor)
            .map(|ids| {
                ids.iter()
                    .any(|&i| access.role_ids().nth(i) == Some(r.as_str()))
            })
            .unwrap_or(false),
        None => actor.roles.contains(r),
    };
    by.permission
        .as_ref()
        .is_some_and(|p| permissions.iter().any(|q| q == p || wildcard(q, p)))
        || by.roles.iter().any(has_role)
        || (by.root && actor.root)
        || (by.super_admin && actor.super_admin)
}

/// `users.*` covers `users.status`.
fn wildcard(held: &str, wanted: &str) -> bool {
    match (held.split_once('.'), wanted.split_once('.')) {
        (Some((hm, "*")), Some((wm, _))) => hm == wm,
        _ => false,
    }
}

/// An actor whose own status grants no permissions (inactive, suspended, ...) acts on
/// nobody, whatever its flags say (R000-06, R003-04).
pub(crate) fn actor_state_denial(
    policy: &crate::Policy,
    actor: &crate::model::Account,
    now: Timestamp,
    lang: Lang,
) -> Option<Deny> {
    let lc = policy.lifecycle()?;
    let status = effective_status_id(lc, actor, now);
    if status.and_then(|s| lc.status(s)).is_some_and(|s| s.login) {
        return None;
    }
    let mut params = Params::new();
    params.insert(
        "status".into(),
        status.unwrap_or(&actor.status).to_owned().into(),
    );
    Some(Deny::new(
        DenyKind::InvalidState,
        DenyCode::ActorInactive,
        "actorStatus",
        params,
        lang,
    ))
}

/// The params of a `not_permitted` denial.
pub(crate) fn not_permitted(by: &ActorSpec, lang: Lang) -> Deny {
    let mut params = Params::new();
    if let Some(p) = &by.permission {
        params.insert("permission".into(), p.clone().into());
    }
    if !by.roles.is_empty() {
        params.insert("roles".into(), by.roles.clone().into());
    }
    if by.root {
        params.insert("root".into(), true.into());
    }
    if by.super_admin {
        params.insert("superAdmin".into(), true.into());
    }
    Deny::new(
        DenyKind::NotPermitted,
        DenyCode::NotPermitted,
        "by",
        params,
        lang,
    )
}
