//! The `lifecycle` section of a policy document, and its checking.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::policy::limits;
use crate::policy::{OrderedMap, PolicyDocument, PolicyError, check_list, check_name};

/// The lifecycle section of a policy document: statuses, transitions, login gate, lockout,
/// deletion, field-change obligations, password resets and verifications.
///
/// ```json
/// { "initial": "active",
///   "statuses": { "active": { "login": true }, "inactive": { "rolesAllowed": false } },
///   "transitions": [
///     { "id": "deactivate", "from": ["active"], "to": "inactive", "reason": "required" },
///     { "id": "reactivate", "from": ["inactive"], "to": "active" } ] }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LifecycleSpec {
    /// The status of a new account (R004-01). Default `active`.
    #[serde(default = "active")]
    pub initial: String,
    /// Every status an account may have, by id. Statuses are data: any id works, but the
    /// presets use `active`, `inactive`, `suspended`, `blacklisted`, `pendingVerification`
    /// and `locked`.
    pub statuses: OrderedMap<StatusSpec>,
    /// The allowed status changes. A change that no transition lists is refused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transitions: Vec<TransitionSpec>,
    /// Locking after failed logins (R002-12); none: failed logins never lock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lockout: Option<LockoutSpec>,
    /// What the login gate checks besides the status.
    #[serde(default)]
    pub login: LoginSpec,
    /// Account deletion (R000-09, R002-10); none: deletion is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion: Option<DeletionSpec>,
    /// Obligations of field changes (R000-12, R002-05).
    #[serde(default)]
    pub changes: ChangesSpec,
    /// Password resets (R002-07, R004-08); none: resets are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_reset: Option<PasswordResetSpec>,
    /// Verification kinds and the features they enable (R002-08).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verifications: Option<VerificationSpec>,
    /// The boolean field of the schema that marks a system administrator (`isSystemAdmin`),
    /// for the guard `systemAdminActive` and the finding `system_admin_not_active`
    /// (R003-05). A policy that uses the guard must name it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_admin_field: Option<String>,
}

fn active() -> String {
    "active".to_owned()
}

fn yes() -> bool {
    true
}

/// One status.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StatusSpec {
    /// An account in this status may log in and act. Default false.
    #[serde(default)]
    pub login: bool,
    /// An account in this status may hold roles and group memberships. Default true; false
    /// (R001-06): holding any is reported by `security_findings`.
    #[serde(default = "yes")]
    pub roles_allowed: bool,
    /// Labels per language (`{"en": "Active", "fr": "Actif"}`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub label: BTreeMap<String, String>,
    /// A temporary status ends at the account's `statusUntil` and returns to another status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temporary: Option<TemporarySpec>,
    /// A terminal status is permanent (blacklisted, R002-06): no transition may leave it.
    #[serde(default)]
    pub terminal: bool,
    /// The account waits for a verification (R002-08): the login gate says so
    /// (`pending_verification`) instead of calling the account inactive.
    #[serde(default)]
    pub awaits_verification: bool,
}

/// How a temporary status ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TemporarySpec {
    /// The status the account returns to when `statusUntil` has passed (not temporary
    /// itself).
    pub returns_to: String,
    /// The longest duration a transition may set, in days (1 to 36,500); none: unbounded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_days: Option<u32>,
}

/// Whether a request part is required, optional or not accepted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Requirement {
    /// Must be given.
    Required,
    /// May be given.
    #[default]
    Optional,
    /// Must not be given.
    Forbidden,
}

/// Who may perform an operation: any one of the alternatives given suffices.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActorSpec {
    /// A `module.action` permission the actor holds over the target, as the kernel computes
    /// it from the policy's `access` section (a policy without one cannot name it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
    /// Roles any of which the actor holds directly.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// The root user (R004-02) may.
    #[serde(default)]
    pub root: bool,
    /// A super administrator (R000-07) may.
    #[serde(default)]
    pub super_admin: bool,
}

impl ActorSpec {
    pub(crate) fn is_empty(&self) -> bool {
        self.permission.is_none() && self.roles.is_empty() && !self.root && !self.super_admin
    }
}

/// A condition checked before a transition or a deletion; each needs facts from the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Guard {
    /// The last active super administrator cannot lose the status (fact `activeSuperAdmins`,
    /// asked only when the target is an active super administrator).
    LastSuperAdmin,
    /// The only holder of a critical permission cannot be deactivated (R004-09, fact
    /// `soleHolderOf`).
    SoleCriticalHolder,
    /// A system administrator (attribute `isSystemAdmin: true`) must stay in a login status
    /// (R003-05).
    SystemAdminActive,
    /// No active bookings (R002-10, fact `activeBookings`).
    ActiveBookings,
    /// The record passes validation in mode `reactivate` (R004-07).
    CompleteRecord,
    /// The actor is not the target.
    NotSelf,
}

impl Guard {
    /// The guard's name, as in the document.
    pub fn as_str(self) -> &'static str {
        match self {
            Guard::LastSuperAdmin => "lastSuperAdmin",
            Guard::SoleCriticalHolder => "soleCriticalHolder",
            Guard::SystemAdminActive => "systemAdminActive",
            Guard::ActiveBookings => "activeBookings",
            Guard::CompleteRecord => "completeRecord",
            Guard::NotSelf => "notSelf",
        }
    }
}

/// An obligation a transition carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TransitionEffect {
    /// End the target's sessions (R002-06).
    RevokeSessions,
    /// Notify the target (template `status.<to>`).
    NotifyUser,
    /// Remove the target's direct roles (R001-06).
    RemoveRoles,
    /// Remove the target's manual group memberships (R001-06).
    RemoveGroups,
    /// Reassign the target's pending approvals (R004-06, fact `pendingApprovals`).
    ReassignApprovals,
    /// Cancel the target's future bookings.
    CancelFutureBookings,
}

/// One allowed status change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TransitionSpec {
    /// The transition's id (`deactivate`), unique.
    pub id: String,
    /// The statuses it leaves from (at least one).
    pub from: Vec<String>,
    /// The status it leads to.
    pub to: String,
    /// Who may perform it; none: whoever the caller's access check lets through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<ActorSpec>,
    /// The reason (R002-06, R004-06). Default optional.
    #[serde(default)]
    pub reason: Requirement,
    /// The duration: default `required` when `to` is temporary, `forbidden` otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<Requirement>,
    /// Guards checked in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub guards: Vec<Guard>,
    /// Obligations the transition carries (`scheduleExpiry` and `audit` are added
    /// automatically).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub obligations: Vec<TransitionEffect>,
}

/// How a lockout's wait grows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LockoutStrategy {
    /// Every lockout lasts `waitMinutes`.
    #[default]
    Fixed,
    /// The wait doubles with each earlier lockout, up to `maxWaitMinutes`.
    Escalating,
}

/// Locking after failed logins (R002-12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LockoutSpec {
    /// Failed logins within the window that lock the account (at least 1).
    pub threshold: u32,
    /// The window, in minutes (1 to 525,600).
    pub window_minutes: u32,
    /// How the wait grows. Default `fixed`.
    #[serde(default)]
    pub strategy: LockoutStrategy,
    /// The first lockout's wait, in minutes (1 to 525,600).
    pub wait_minutes: u32,
    /// The longest wait, in minutes (at least `waitMinutes`); default `waitMinutes` for
    /// `fixed`, 1,440 (a day) for `escalating`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_wait_minutes: Option<u32>,
    /// The lockout after which the account stays locked until an administrator unlocks it
    /// (the 3rd when 3); none: never permanent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permanent_after_lockouts: Option<u32>,
    /// The status that stands for a lock (`locked`), if the policy stores locks as a status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// What the login gate checks besides the status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginSpec {
    /// A user of an inactive organisation cannot log in (R000-08).
    #[serde(default)]
    pub organization_must_be_active: bool,
    /// An expired password (`password.expiryDays`) blocks login (R003-06).
    #[serde(default)]
    pub password_expiry: bool,
    /// An unverified email blocks login.
    #[serde(default)]
    pub email_verified: bool,
}

/// A way of deleting an account (R002-10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum DeleteMode {
    /// Marked deleted, data kept.
    Soft,
    /// Removed for good (R000-09).
    Hard,
    /// Personal data removed, the record kept.
    Anonymize,
}

/// Account deletion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeletionSpec {
    /// The modes offered (at least one).
    pub modes: Vec<DeleteMode>,
    /// The mode used when the request names none (one of `modes`).
    pub default: DeleteMode,
    /// Deletion needs an explicit confirmation (R000-09). Default true.
    #[serde(default = "yes")]
    pub confirmation: bool,
    /// Who may delete; none: whoever the caller's access check lets through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<ActorSpec>,
    /// Guards that block deletion (`activeBookings`, `lastSuperAdmin`, `soleCriticalHolder`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blockers: Vec<Guard>,
    /// What anonymisation erases and keeps; required when `modes` has `anonymize`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anonymize: Option<AnonymizeSpec>,
    /// The status suggested when a blocker holds (`suspended`, R002-10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when_blocked: Option<String>,
    /// The status recommended instead of deletion (`inactive`, R000-09).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternative: Option<String>,
}

/// Anonymisation: schema fields in `keep` (and the id) are kept, every other field is
/// erased (set to null); `erase` names the personal data explicitly.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AnonymizeSpec {
    /// Fields erased (schema fields).
    #[serde(default)]
    pub erase: Vec<String>,
    /// Fields kept (schema fields, not in `erase`).
    #[serde(default)]
    pub keep: Vec<String>,
}

/// An obligation a field change carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ChangeEffect {
    /// Tell the user their email (their login) changed, at the old address (R000-12).
    NotifyEmailChange,
    /// Verify the new address before it is used (R002-05).
    VerifyNewEmail,
    /// Notify the user.
    NotifyUser,
    /// End the user's other sessions.
    RevokeSessions,
}

/// Obligations of field changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangesSpec {
    /// Obligations of an email change (case-insensitive comparison).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub email: Vec<ChangeEffect>,
    /// Obligations of a password change.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub password: Vec<ChangeEffect>,
    /// A user changing their own password, or their own email (where a password reset is
    /// sent), must give the current password (R002-05).
    #[serde(default)]
    pub require_current_password: bool,
}

/// A password reset method (R002-07).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum ResetMethod {
    /// An expiring single-use link sent to the user (self-service allowed).
    Token,
    /// A generated temporary password, changed at next login (R004-08).
    TemporaryPassword,
    /// An administrator sets the password; changed at next login (R002-05).
    Admin,
}

/// Password resets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PasswordResetSpec {
    /// The methods offered (at least one).
    pub methods: Vec<ResetMethod>,
    /// A reset token's lifetime, in minutes (1 to 10,080). Default 60.
    #[serde(default = "sixty")]
    pub token_minutes: u32,
    /// Who may reset another user's password; none: whoever the caller's access check lets
    /// through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<ActorSpec>,
    /// The length of generated temporary passwords (default 16, bounded by the password
    /// policy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temporary_length: Option<u32>,
}

fn sixty() -> u32 {
    60
}

/// Verifications and features (R002-08). Flags live in the account's `verifications`
/// attribute, an object of kind to boolean.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VerificationSpec {
    /// The verification kinds (`email`, `phone`, `identity`, `payment`, `address`).
    pub kinds: Vec<String>,
    /// Who may approve or reject a verification; absent means any active actor with a
    /// lifecycle-capable status. Nobody approves their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<ActorSpec>,
    /// Features and the kinds each needs approved (`{"book": ["email", "identity"]}`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub features: BTreeMap<String, Vec<String>>,
}

/// The compiled lifecycle: the checked section, with indexes.
#[derive(Debug, Clone)]
pub struct CompiledLifecycle {
    spec: LifecycleSpec,
    /// (from, to) → transition index.
    pairs: HashMap<(String, String), usize>,
}

impl CompiledLifecycle {
    /// The checked section.
    pub fn spec(&self) -> &LifecycleSpec {
        &self.spec
    }

    /// The `by.permission` actions the lifecycle asks about (transitions, deletion,
    /// password reset, verifications), without duplicates: the only permissions a caller
    /// needs to compute for an actor before a lifecycle decision.
    pub fn permissions_needed(&self) -> Vec<&str> {
        let s = &self.spec;
        let bys = s
            .transitions
            .iter()
            .filter_map(|t| t.by.as_ref())
            .chain(s.deletion.as_ref().and_then(|d| d.by.as_ref()))
            .chain(s.password_reset.as_ref().and_then(|r| r.by.as_ref()))
            .chain(s.verifications.as_ref().and_then(|v| v.by.as_ref()));
        let mut out: Vec<&str> = bys.filter_map(|b| b.permission.as_deref()).collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The initial status of a new account (R004-01).
    pub fn initial(&self) -> &str {
        &self.spec.initial
    }

    /// Whether one of the transitions, or the deletion's blockers, applies `guard`: an edit
    /// that would do what the guard prevents (take the super-administrator flag, a
    /// critical permission) is then held to it too, and a caller keeping the directory
    /// reads the guard's fact for it.
    pub fn guards(&self, guard: Guard) -> bool {
        self.spec
            .transitions
            .iter()
            .flat_map(|t| &t.guards)
            .chain(self.spec.deletion.iter().flat_map(|d| &d.blockers))
            .any(|g| *g == guard)
    }

    /// The status `id`, if the policy has it.
    pub fn status(&self, id: &str) -> Option<&StatusSpec> {
        self.spec.statuses.get(id)
    }

    /// Whether the policy speaks of bookings: a deletion blocked by active ones, or a
    /// transition guarded by them or cancelling future ones. Only then does a deletion
    /// carry `cancelFutureBookings`.
    pub fn knows_bookings(&self) -> bool {
        self.spec
            .deletion
            .as_ref()
            .is_some_and(|d| d.blockers.contains(&Guard::ActiveBookings))
            || self.spec.transitions.iter().any(|t| {
                t.guards.contains(&Guard::ActiveBookings)
                    || t.obligations
                        .contains(&TransitionEffect::CancelFutureBookings)
            })
    }

    /// The transition from `from` to `to`, if any.
    pub fn transition_between(&self, from: &str, to: &str) -> Option<&TransitionSpec> {
        self.pairs
            .get(&(from.to_owned(), to.to_owned()))
            .and_then(|&i| self.spec.transitions.get(i))
    }

    /// The status a lockout writes over an account in `current` (R002-12): the lockout's
    /// status when the policy stores locks as a status and the lifecycle lets `current`
    /// move to it (or `current` is it: a lock renewed); else none. A status no transition
    /// leads from into the lock (`blacklisted`, `suspended`, `inactive`) is kept: the lock
    /// is still enforced from the failures ([`super::lockout_state`]) but never written over
    /// it, so that its end cannot bring back an account its status keeps out.
    pub fn lock_status_over(&self, current: &str) -> Option<&str> {
        let lock = self.spec.lockout.as_ref()?.status.as_deref()?;
        self.status(lock)?;
        (current == lock || self.transition_between(current, lock).is_some()).then_some(lock)
    }

    /// The statuses reachable from `from` in one transition, in document order.
    pub fn targets_from(&self, from: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for t in &self.spec.transitions {
            if t.from.iter().any(|f| f == from) && !out.contains(&t.to) {
                out.push(t.to.clone());
            }
        }
        out
    }
}

/// Longest `maxDays` of a temporary status: 36,500 (a century).
pub const MAX_TEMPORARY_DAYS: u32 = 36_500;
/// Longest lockout window or wait, in minutes: 525,600 (a year).
pub const MAX_LOCKOUT_MINUTES: u32 = 525_600;
/// Longest reset-token lifetime, in minutes: 10,080 (a week).
pub const MAX_TOKEN_MINUTES: u32 = 10_080;

fn known_status(spec: &LifecycleSpec, path: &str, id: &str) -> Result<(), PolicyError> {
    if spec.statuses.contains_key(id) {
        return Ok(());
    }
    let err = PolicyError::invalid(path, format!("`{id}` is not a status of the lifecycle"));
    Err(match crate::util::closest(id, spec.statuses.keys(), 3) {
        Some(k) => err.with_help(format!("did you mean `{k}`?")),
        None => err,
    })
}

fn no_duplicates<T: std::hash::Hash + Eq + std::fmt::Debug>(
    path: &str,
    items: &[T],
    what: &str,
) -> Result<(), PolicyError> {
    let mut seen = HashSet::new();
    for (i, item) in items.iter().enumerate() {
        if !seen.insert(item) {
            return Err(PolicyError::invalid(
                format!("{path}[{i}]"),
                format!("duplicate {what}"),
            ));
        }
    }
    Ok(())
}

/// Is `p` a `module.action` permission: two non-empty segments of ASCII letters, digits,
/// `_` and `-`, starting with a letter, or `*`?
pub(crate) fn is_permission(p: &str) -> bool {
    let seg = |s: &str| {
        s == "*"
            || (s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
    };
    match p.split_once('.') {
        Some((m, a)) => seg(m) && seg(a) && m != "*" && p.len() <= limits::MAX_NAME_BYTES,
        None => false,
    }
}

fn check_actor(path: &str, by: &ActorSpec, doc: &PolicyDocument) -> Result<(), PolicyError> {
    if by.is_empty() {
        return Err(PolicyError::invalid(
            path,
            "`by` names nobody: give a `permission`, `roles`, `root` or `superAdmin`",
        ));
    }
    // The kernel computes the permissions an actor holds from the `access` section; without
    // one there is nothing to compute them from, and a caller's word is never taken for it.
    if by.permission.is_some() && doc.access.is_none() {
        return Err(PolicyError::invalid(
            format!("{path}.permission"),
            "`by.permission` needs an `access` section: the permissions an actor holds are computed from it",
        )
        .with_help("declare the permission in `access`, or name `roles`, `root` or `superAdmin`"));
    }
    if let Some(p) = &by.permission
        && !is_permission(p)
    {
        return Err(PolicyError::invalid(
            format!("{path}.permission"),
            format!(
                "`{}` is not a `module.action` permission",
                p.chars().take(128).collect::<String>()
            ),
        )
        .with_help("write it as `users.status`"));
    }
    // A permission no role can hold would let no one through: a typo, refused as the
    // attribute permissions refuse it (`permission:<module.action>`).
    if let (Some(p), Some(access)) = (&by.permission, &doc.access) {
        crate::access::compile::parse_pattern(access, &format!("{path}.permission"), p)?;
    }
    check_list(&format!("{path}.roles"), by.roles.len())?;
    for (i, r) in by.roles.iter().enumerate() {
        check_name(&format!("{path}.roles[{i}]"), r)?;
    }
    Ok(())
}

fn check_field(doc: &PolicyDocument, path: &str, name: &str) -> Result<(), PolicyError> {
    if doc.fields.contains_key(name) {
        return Ok(());
    }
    let err = PolicyError::invalid(path, format!("`{name}` is not a field of the schema"));
    let best = doc
        .fields
        .keys()
        .map(|k| {
            (
                crate::util::levenshtein(&name.to_lowercase(), &k.to_lowercase()),
                k,
            )
        })
        .min();
    Err(match best {
        Some((d, k)) if d <= 3 => err.with_help(format!("did you mean `{k}`?")),
        _ => err,
    })
}

/// Checks and compiles the lifecycle section.
///
/// # Errors
/// A [`PolicyError`] naming the key path (`lifecycle.transitions[2].to`): unknown statuses,
/// duplicate transition ids or status pairs, a terminal status with outgoing transitions,
/// a malformed `by.permission`, overlapping or unknown anonymisation fields, zero or
/// out-of-range numbers, and lists above [`limits::MAX_LIST`].
pub fn compile(
    spec: &LifecycleSpec,
    doc: &PolicyDocument,
) -> Result<CompiledLifecycle, PolicyError> {
    let p = "lifecycle";
    check_system_admin_field(spec, doc, p)?;
    check_initial(spec, p)?;
    for (id, s) in spec.statuses.iter() {
        check_status(spec, p, id, s)?;
    }
    check_status_field(spec, doc, p)?;
    let pairs = check_transitions(spec, doc, p)?;
    if let Some(l) = &spec.lockout {
        check_lockout(spec, p, l)?;
    }
    check_login(spec, doc, p)?;
    if let Some(d) = &spec.deletion {
        check_deletion(spec, doc, p, d)?;
    }
    check_changes(spec, p)?;
    if let Some(r) = &spec.password_reset {
        check_password_reset(doc, p, r)?;
    }
    if let Some(v) = &spec.verifications {
        check_verifications(p, v)?;
    }
    Ok(CompiledLifecycle {
        spec: spec.clone(),
        pairs,
    })
}

/// `systemAdminField`: when given, a field of the schema.
fn check_system_admin_field(
    spec: &LifecycleSpec,
    doc: &PolicyDocument,
    p: &str,
) -> Result<(), PolicyError> {
    if let Some(f) = &spec.system_admin_field
        && !doc.fields.contains_key(f)
    {
        return Err(PolicyError::invalid(
            format!("{p}.systemAdminField"),
            format!("`{f}` is not a field of the schema"),
        ));
    }
    Ok(())
}

/// The schema's `status` field, when it is an `enum`, allows every status of the
/// lifecycle: an account moved into one it does not list could no longer be validated (its
/// next edit refused `not_allowed` on a status no edit may change), a contradiction the
/// policy is refused for.
fn check_status_field(
    spec: &LifecycleSpec,
    doc: &PolicyDocument,
    p: &str,
) -> Result<(), PolicyError> {
    let Some(field) = doc
        .fields
        .get("status")
        .filter(|f| f.kind == crate::policy::FieldType::Enum)
    else {
        return Ok(());
    };
    match spec
        .statuses
        .iter()
        .find(|(id, _)| !field.values.iter().any(|v| v == *id))
    {
        Some((id, _)) => Err(PolicyError::invalid(
            format!("{p}.statuses.{id}"),
            format!(
                "`{id}` is not one of the values of the schema's `status` field ({}): an account in it would fail its own validation",
                field.values.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

/// `statuses` and `initial`: at least one status, within the list limit; the initial
/// status is one of them and neither terminal nor temporary.
fn check_initial(spec: &LifecycleSpec, p: &str) -> Result<(), PolicyError> {
    if spec.statuses.is_empty() {
        return Err(PolicyError::invalid(
            format!("{p}.statuses"),
            "the lifecycle needs at least one status",
        ));
    }
    check_list(&format!("{p}.statuses"), spec.statuses.len())?;
    known_status(spec, &format!("{p}.initial"), &spec.initial)?;
    if spec
        .statuses
        .get(&spec.initial)
        .is_some_and(|s| s.terminal || s.temporary.is_some())
    {
        return Err(PolicyError::invalid(
            format!("{p}.initial"),
            "the initial status cannot be terminal or temporary",
        ));
    }
    Ok(())
}

/// One status `statuses.<id>`: its name, its labels, and its `temporary` part.
fn check_status(
    spec: &LifecycleSpec,
    p: &str,
    id: &str,
    s: &StatusSpec,
) -> Result<(), PolicyError> {
    let sp = format!("{p}.statuses.{id}");
    check_name(&sp, id)?;
    check_status_labels(&sp, s)?;
    if let Some(t) = &s.temporary {
        check_temporary(spec, &sp, id, s, t)?;
    }
    Ok(())
}

/// A status's `label`: known languages, texts within the byte limit.
fn check_status_labels(sp: &str, s: &StatusSpec) -> Result<(), PolicyError> {
    for (lang, label) in &s.label {
        lang.parse::<crate::messages::Lang>()
            .map_err(|e| PolicyError::invalid(format!("{sp}.label.{lang}"), e.to_string()))?;
        if label.len() > limits::MAX_TEXT_BYTES {
            return Err(PolicyError::limit(
                format!("{sp}.label.{lang}"),
                "the text's length in bytes",
                limits::MAX_TEXT_BYTES,
            ));
        }
    }
    Ok(())
}

/// A status's `temporary` part: not terminal, returns to another, lasting status, and
/// `maxDays` in range.
fn check_temporary(
    spec: &LifecycleSpec,
    sp: &str,
    id: &str,
    s: &StatusSpec,
    t: &TemporarySpec,
) -> Result<(), PolicyError> {
    if s.terminal {
        return Err(PolicyError::invalid(
            format!("{sp}.terminal"),
            "a status cannot be both temporary and terminal",
        ));
    }
    if t.returns_to.is_empty() {
        return Err(PolicyError::invalid(
            format!("{sp}.temporary.returnsTo"),
            "a temporary status needs `returnsTo`",
        ));
    }
    known_status(spec, &format!("{sp}.temporary.returnsTo"), &t.returns_to)?;
    if t.returns_to == id {
        return Err(PolicyError::invalid(
            format!("{sp}.temporary.returnsTo"),
            "a temporary status cannot return to itself",
        ));
    }
    if spec
        .statuses
        .get(&t.returns_to)
        .is_some_and(|r| r.temporary.is_some())
    {
        return Err(PolicyError::invalid(
            format!("{sp}.temporary.returnsTo"),
            format!(
                "`{}` is temporary itself: a temporary status must return to a lasting one",
                t.returns_to
            ),
        ));
    }
    if let Some(d) = t.max_days
        && (d == 0 || d > MAX_TEMPORARY_DAYS)
    {
        return Err(PolicyError::invalid(
            format!("{sp}.temporary.maxDays"),
            format!("`maxDays` must be between 1 and {MAX_TEMPORARY_DAYS}"),
        ));
    }
    Ok(())
}

/// `transitions`: within the list limit, each one checked in order; returns the
/// (from, to) → transition index.
fn check_transitions(
    spec: &LifecycleSpec,
    doc: &PolicyDocument,
    p: &str,
) -> Result<HashMap<(String, String), usize>, PolicyError> {
    check_list(&format!("{p}.transitions"), spec.transitions.len())?;
    let mut ids = HashSet::new();
    let mut pairs = HashMap::new();
    for (i, t) in spec.transitions.iter().enumerate() {
        let tp = format!("{p}.transitions[{i}]");
        check_name(&format!("{tp}.id"), &t.id)?;
        if !ids.insert(t.id.as_str()) {
            return Err(PolicyError::invalid(
                format!("{tp}.id"),
                format!("duplicate transition id `{}`", t.id),
            ));
        }
        known_status(spec, &format!("{tp}.to"), &t.to)?;
        check_transition_from(spec, &tp, i, t, &mut pairs)?;
        if let Some(by) = &t.by {
            check_actor(&format!("{tp}.by"), by, doc)?;
        }
        check_transition_duration(spec, &tp, t)?;
        check_transition_guards(spec, &tp, t)?;
        check_list(&format!("{tp}.obligations"), t.obligations.len())?;
        no_duplicates(&format!("{tp}.obligations"), &t.obligations, "obligation")?;
    }
    Ok(pairs)
}

/// A transition's `from`: at least one status, no duplicates, each known, not its own
/// target, not terminal, and no (from, to) pair already taken by an earlier transition
/// (recorded in `pairs`).
fn check_transition_from(
    spec: &LifecycleSpec,
    tp: &str,
    i: usize,
    t: &TransitionSpec,
    pairs: &mut HashMap<(String, String), usize>,
) -> Result<(), PolicyError> {
    if t.from.is_empty() {
        return Err(PolicyError::invalid(
            format!("{tp}.from"),
            "a transition needs at least one `from` status",
        ));
    }
    check_list(&format!("{tp}.from"), t.from.len())?;
    no_duplicates(&format!("{tp}.from"), &t.from, "status")?;
    for (j, f) in t.from.iter().enumerate() {
        let fp = format!("{tp}.from[{j}]");
        known_status(spec, &fp, f)?;
        if f == &t.to {
            return Err(PolicyError::invalid(
                fp,
                format!("a transition cannot lead from `{f}` to itself"),
            ));
        }
        if spec.statuses.get(f).is_some_and(|s| s.terminal) {
            return Err(PolicyError::invalid(
                fp,
                format!("`{f}` is terminal: no transition may leave it"),
            ));
        }
        if let Some(other) = pairs.insert((f.clone(), t.to.clone()), i) {
            let other_id = spec
                .transitions
                .get(other)
                .map(|o| o.id.as_str())
                .unwrap_or_default();
            return Err(PolicyError::invalid(
                fp,
                format!(
                    "transition `{other_id}` already leads from `{f}` to `{}`",
                    t.to
                ),
            ));
        }
    }
    Ok(())
}

/// A transition's `duration`: only a transition to a temporary status takes one.
fn check_transition_duration(
    spec: &LifecycleSpec,
    tp: &str,
    t: &TransitionSpec,
) -> Result<(), PolicyError> {
    let temporary = spec
        .statuses
        .get(&t.to)
        .is_some_and(|s| s.temporary.is_some());
    if let Some(d) = t.duration
        && !temporary
        && d != Requirement::Forbidden
    {
        return Err(PolicyError::invalid(
            format!("{tp}.duration"),
            format!(
                "`{}` is not temporary: a transition to it takes no duration",
                t.to
            ),
        ));
    }
    Ok(())
}

/// A transition's `guards`: within the list limit, no duplicates, and
/// `systemAdminActive` only with `lifecycle.systemAdminField`.
fn check_transition_guards(
    spec: &LifecycleSpec,
    tp: &str,
    t: &TransitionSpec,
) -> Result<(), PolicyError> {
    check_list(&format!("{tp}.guards"), t.guards.len())?;
    no_duplicates(&format!("{tp}.guards"), &t.guards, "guard")?;
    if t.guards.contains(&Guard::SystemAdminActive) && spec.system_admin_field.is_none() {
        return Err(PolicyError::invalid(
            format!("{tp}.guards"),
            "the guard `systemAdminActive` needs `lifecycle.systemAdminField`, the field that marks a system administrator",
        )
        .with_help("add `\"systemAdminField\": \"isSystemAdmin\"` (a boolean field of the schema)"));
    }
    Ok(())
}

/// `lockout`: threshold, windows and waits in range, and a known `status`.
fn check_lockout(spec: &LifecycleSpec, p: &str, l: &LockoutSpec) -> Result<(), PolicyError> {
    let lp = format!("{p}.lockout");
    if l.threshold == 0 {
        return Err(PolicyError::invalid(
            format!("{lp}.threshold"),
            "`threshold` must be at least 1",
        ));
    }
    for (key, v) in [
        ("windowMinutes", l.window_minutes),
        ("waitMinutes", l.wait_minutes),
    ] {
        if v == 0 || v > MAX_LOCKOUT_MINUTES {
            return Err(PolicyError::invalid(
                format!("{lp}.{key}"),
                format!("`{key}` must be between 1 and {MAX_LOCKOUT_MINUTES}"),
            ));
        }
    }
    if let Some(m) = l.max_wait_minutes
        && (m < l.wait_minutes || m > MAX_LOCKOUT_MINUTES)
    {
        return Err(PolicyError::invalid(
            format!("{lp}.maxWaitMinutes"),
            format!(
                "`maxWaitMinutes` must be between `waitMinutes` ({}) and {MAX_LOCKOUT_MINUTES}",
                l.wait_minutes
            ),
        ));
    }
    if l.permanent_after_lockouts == Some(0) {
        return Err(PolicyError::invalid(
            format!("{lp}.permanentAfterLockouts"),
            "`permanentAfterLockouts` must be at least 1",
        ));
    }
    if let Some(s) = &l.status {
        known_status(spec, &format!("{lp}.status"), s)?;
        check_lock_status(spec, &format!("{lp}.status"), s)?;
    }
    Ok(())
}

/// The status a lockout moves an account to: failed sign-ins, which anybody can make
/// without credentials, may put an account there, so it must hold the account only until
/// it is let out: not terminal (five wrong passwords would ban any account, the last
/// administrator's too), one an administrator can move it out of (a transition from it, or
/// a return when it is temporary), and one without sign-in (else it locks nothing).
fn check_lock_status(spec: &LifecycleSpec, path: &str, id: &str) -> Result<(), PolicyError> {
    let Some(status) = spec.statuses.get(id) else {
        return Ok(());
    };
    let refuse = |why: &str| Err(PolicyError::invalid(path, format!("`{id}` {why}")));
    if status.terminal {
        return refuse(
            "is terminal: failed sign-ins, which anybody can make, would end any account for good",
        );
    }
    if status.login {
        return refuse("allows sign-in: a lockout there would lock nothing");
    }
    // Out to a status that is not terminal: a lock returning by itself to `blacklisted`
    // bans as surely as a terminal lock does.
    let open = |to: &str| spec.statuses.get(to).is_some_and(|s| !s.terminal);
    if let Some(t) = &status.temporary
        && !open(&t.returns_to)
    {
        return refuse(&format!(
            "returns to `{}`, which is terminal: failed sign-ins, which anybody can make, would end any account for good",
            t.returns_to
        ));
    }
    let leaves = status.temporary.is_some()
        || spec
            .transitions
            .iter()
            .any(|t| t.from.iter().any(|f| f == id) && open(&t.to));
    if !leaves {
        return refuse(
            "has no way out to a status that is not terminal (no such transition from it, not temporary): a locked account could never be let out",
        );
    }
    Ok(())
}

/// `login`: password expiry needs `password.expiryDays`.
fn check_login(spec: &LifecycleSpec, doc: &PolicyDocument, p: &str) -> Result<(), PolicyError> {
    if spec.login.password_expiry
        && doc
            .password
            .as_ref()
            .and_then(|pw| pw.expiry_days)
            .is_none()
    {
        return Err(PolicyError::invalid(
            format!("{p}.login.passwordExpiry"),
            "password expiry needs `password.expiryDays`",
        ));
    }
    Ok(())
}

/// `deletion`: modes and their default, `by`, blockers, the `anonymize` part, and the
/// `whenBlocked` and `alternative` statuses.
fn check_deletion(
    spec: &LifecycleSpec,
    doc: &PolicyDocument,
    p: &str,
    d: &DeletionSpec,
) -> Result<(), PolicyError> {
    let dp = format!("{p}.deletion");
    check_deletion_modes(&dp, d)?;
    if let Some(by) = &d.by {
        check_actor(&format!("{dp}.by"), by, doc)?;
    }
    check_deletion_blockers(&dp, d)?;
    if d.modes.contains(&DeleteMode::Anonymize) && d.anonymize.is_none() {
        return Err(PolicyError::invalid(
            format!("{dp}.anonymize"),
            "the `anonymize` mode needs an `anonymize` section",
        ));
    }
    if let Some(a) = &d.anonymize {
        check_anonymize(doc, &dp, a)?;
    }
    if let Some(s) = &d.when_blocked {
        known_status(spec, &format!("{dp}.whenBlocked"), s)?;
    }
    if let Some(s) = &d.alternative {
        known_status(spec, &format!("{dp}.alternative"), s)?;
    }
    Ok(())
}

/// Deletion `modes` and `default`: at least one mode, no duplicates, the default among
/// them.
fn check_deletion_modes(dp: &str, d: &DeletionSpec) -> Result<(), PolicyError> {
    if d.modes.is_empty() {
        return Err(PolicyError::invalid(
            format!("{dp}.modes"),
            "deletion needs at least one mode",
        ));
    }
    check_list(&format!("{dp}.modes"), d.modes.len())?;
    no_duplicates(&format!("{dp}.modes"), &d.modes, "mode")?;
    if !d.modes.contains(&d.default) {
        return Err(PolicyError::invalid(
            format!("{dp}.default"),
            "the default mode must be one of `modes`",
        ));
    }
    Ok(())
}

/// Deletion `blockers`: within the list limit, no duplicates, only guards that apply to
/// deletion.
fn check_deletion_blockers(dp: &str, d: &DeletionSpec) -> Result<(), PolicyError> {
    check_list(&format!("{dp}.blockers"), d.blockers.len())?;
    no_duplicates(&format!("{dp}.blockers"), &d.blockers, "blocker")?;
    for (i, b) in d.blockers.iter().enumerate() {
        if matches!(b, Guard::CompleteRecord | Guard::SystemAdminActive) {
            return Err(PolicyError::invalid(
                format!("{dp}.blockers[{i}]"),
                format!("`{}` does not apply to deletion", b.as_str()),
            ));
        }
    }
    Ok(())
}

/// Deletion `anonymize`: `erase` and `keep` are fields of the schema without duplicates;
/// the id is never erased, nothing is both erased and kept, and a password is never kept.
fn check_anonymize(doc: &PolicyDocument, dp: &str, a: &AnonymizeSpec) -> Result<(), PolicyError> {
    let ap = format!("{dp}.anonymize");
    check_list(&format!("{ap}.erase"), a.erase.len())?;
    check_list(&format!("{ap}.keep"), a.keep.len())?;
    no_duplicates(&format!("{ap}.erase"), &a.erase, "field")?;
    no_duplicates(&format!("{ap}.keep"), &a.keep, "field")?;
    for (i, f) in a.erase.iter().enumerate() {
        check_field(doc, &format!("{ap}.erase[{i}]"), f)?;
        if f == "id" {
            return Err(PolicyError::invalid(
                format!("{ap}.erase[{i}]"),
                "the id is always kept",
            ));
        }
    }
    for (i, f) in a.keep.iter().enumerate() {
        check_field(doc, &format!("{ap}.keep[{i}]"), f)?;
        if a.erase.contains(f) {
            return Err(PolicyError::invalid(
                format!("{ap}.keep[{i}]"),
                format!("`{f}` is both erased and kept"),
            ));
        }
        if doc
            .fields
            .get(f)
            .is_some_and(|s| s.kind == crate::policy::FieldType::Password)
        {
            return Err(PolicyError::invalid(
                format!("{ap}.keep[{i}]"),
                "a password is never kept",
            ));
        }
    }
    Ok(())
}

/// `changes`: list limits, and no email obligations on a password change.
fn check_changes(spec: &LifecycleSpec, p: &str) -> Result<(), PolicyError> {
    check_list(&format!("{p}.changes.email"), spec.changes.email.len())?;
    check_list(
        &format!("{p}.changes.password"),
        spec.changes.password.len(),
    )?;
    for (i, e) in spec.changes.password.iter().enumerate() {
        if matches!(
            e,
            ChangeEffect::NotifyEmailChange | ChangeEffect::VerifyNewEmail
        ) {
            return Err(PolicyError::invalid(
                format!("{p}.changes.password[{i}]"),
                "email obligations do not apply to a password change",
            ));
        }
    }
    Ok(())
}

/// `passwordReset`: methods, token lifetime, a `password` section for temporary
/// passwords, `by`, and `temporaryLength` in range.
fn check_password_reset(
    doc: &PolicyDocument,
    p: &str,
    r: &PasswordResetSpec,
) -> Result<(), PolicyError> {
    let rp = format!("{p}.passwordReset");
    if r.methods.is_empty() {
        return Err(PolicyError::invalid(
            format!("{rp}.methods"),
            "password reset needs at least one method",
        ));
    }
    check_list(&format!("{rp}.methods"), r.methods.len())?;
    no_duplicates(&format!("{rp}.methods"), &r.methods, "method")?;
    if r.token_minutes == 0 || r.token_minutes > MAX_TOKEN_MINUTES {
        return Err(PolicyError::invalid(
            format!("{rp}.tokenMinutes"),
            format!("`tokenMinutes` must be between 1 and {MAX_TOKEN_MINUTES}"),
        ));
    }
    if r.methods.contains(&ResetMethod::TemporaryPassword) && doc.password.is_none() {
        return Err(PolicyError::invalid(
            format!("{rp}.methods"),
            "temporary passwords need a `password` section to meet",
        ));
    }
    if let Some(by) = &r.by {
        check_actor(&format!("{rp}.by"), by, doc)?;
    }
    if r.temporary_length.is_some_and(|n| n == 0 || n > 4096) {
        return Err(PolicyError::invalid(
            format!("{rp}.temporaryLength"),
            "`temporaryLength` must be between 1 and 4096",
        ));
    }
    Ok(())
}

/// `verifications`: kinds are names without duplicates; each feature needs only kinds
/// of `kinds`.
fn check_verifications(p: &str, v: &VerificationSpec) -> Result<(), PolicyError> {
    let vp = format!("{p}.verifications");
    check_list(&format!("{vp}.kinds"), v.kinds.len())?;
    no_duplicates(&format!("{vp}.kinds"), &v.kinds, "kind")?;
    for (i, k) in v.kinds.iter().enumerate() {
        check_name(&format!("{vp}.kinds[{i}]"), k)?;
    }
    check_list(&format!("{vp}.features"), v.features.len())?;
    for (f, kinds) in &v.features {
        check_name(&format!("{vp}.features.{f}"), f)?;
        check_list(&format!("{vp}.features.{f}"), kinds.len())?;
        for (i, k) in kinds.iter().enumerate() {
            if !v.kinds.contains(k) {
                return Err(PolicyError::invalid(
                    format!("{vp}.features.{f}[{i}]"),
                    format!("`{k}` is not a verification kind of `kinds`"),
                ));
            }
        }
    }
    Ok(())
}
