//! `authorize`: one actor, one action, one target, one decision.

use std::borrow::Cow;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::compile::{CompiledAccess, CompiledPermission};
use super::directory::Directory;
use super::spec::{GrantableBy, ScopeLevel};
use crate::checks::date::Timestamp;
use crate::decision::{
    Decision, Denial, DenyCode, DenyKind, DenyParams, Name, Part, PolicyHash, Text,
};
use crate::hierarchy::{NodeId, same};
use crate::messages::{self, Lang};
use crate::model::Account;
use crate::policy::Policy;
use crate::violation::Params;

/// What an action is done to: a user account, or another resource (a booking, a report).
///
/// `Target::default()` is a user target with an empty id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Target {
    /// The target's id.
    pub id: String,
    /// `user` (the default) or a resource type (`booking`).
    #[serde(default = "user", rename = "type")]
    pub kind: String,
    /// The organisation it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// For a resource: the account that owns it (`own` and `team` scopes look at it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Its location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// For a user: the manager's id (used when the directory does not know the target).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
    /// For a user: the stored status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// For a user: the roles held directly (for grants and combinations).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// For a user: manual group memberships.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// For a user: the record's other fields (dynamic groups, the role field).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub attributes: Map<String, Value>,
}

fn user() -> String {
    "user".to_owned()
}

impl Default for Target {
    fn default() -> Self {
        Target {
            id: String::new(),
            kind: user(),
            organization: None,
            owner: None,
            location: None,
            manager: None,
            status: None,
            roles: Vec::new(),
            groups: Vec::new(),
            attributes: Map::new(),
        }
    }
}

impl Target {
    /// Whether the target is a user account.
    pub fn is_user(&self) -> bool {
        self.kind == "user"
    }

    /// The account whose position in the hierarchy decides `own` and `team`: the user
    /// itself, or a resource's owner.
    pub fn subject(&self) -> Option<&str> {
        if self.is_user() {
            Some(&self.id)
        } else {
            self.owner.as_deref()
        }
    }
}

impl From<&Account> for Target {
    fn from(a: &Account) -> Self {
        Target {
            id: a.id.clone(),
            kind: user(),
            organization: a.organization.clone(),
            owner: None,
            location: a.location.clone(),
            manager: a.manager.clone(),
            status: Some(a.status.clone()),
            roles: a.roles.clone(),
            groups: a.groups.clone(),
            attributes: a.attributes.clone(),
        }
    }
}

/// Roles added to or removed from the target by the action (`roles.assign`,
/// `users.create`, `users.update`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleChange {
    /// Roles granted.
    #[serde(default)]
    pub add: Vec<String>,
    /// Roles withdrawn.
    #[serde(default)]
    pub remove: Vec<String>,
}

/// One authorization question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthorizeRequest {
    /// Who acts.
    pub actor: Account,
    /// What they do: `module.action` (`users.update`).
    pub action: String,
    /// To what.
    pub target: Target,
    /// Roles the action grants or withdraws.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<RoleChange>,
}

/// The answer to an authorization question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuthzDecision {
    /// Allow or deny.
    pub decision: Decision,
    /// The hash of the policy that decided.
    pub policy: PolicyHash,
    /// For an allow, the rule that allowed it (`superAdmin`, `role:manager#0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Name>,
    /// For an allow by a role permission, the scope that reached the target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<ScopeLevel>,
    /// For a deny, why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny: Option<Denial>,
}

impl AuthzDecision {
    /// Whether the decision is allow.
    pub fn allowed(&self) -> bool {
        self.decision == Decision::Allow
    }
}

/// The kind of an [`AccessError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AccessErrorKind {
    /// The policy has no `access` section.
    NoAccess,
    /// The action is not `module.action` of a declared module.
    UnknownAction,
    /// An account or a change names a role the policy does not declare.
    UnknownRole,
    /// An account names a group the policy does not declare.
    UnknownGroup,
    /// A change both adds and removes a role: what it would leave is ambiguous.
    ConflictingChange,
}

/// A request that cannot be decided because it is malformed for this policy.
///
/// Opaque, as [`PolicyError`](crate::PolicyError) is: read it through
/// [`kind`](Self::kind), [`name`](Self::name), [`at`](Self::at) and its `Display`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessError {
    kind: AccessErrorKind,
    /// The action, role or group as given (at most 128 characters).
    name: String,
    /// Where (`actor.roles`, `change.add`), or why for an action.
    detail: String,
}

impl std::fmt::Display for AccessError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (name, detail) = (&self.name, &self.detail);
        match self.kind {
            AccessErrorKind::NoAccess => f.write_str("the policy has no `access` section"),
            AccessErrorKind::UnknownAction => write!(f, "unknown action `{name}`: {detail}"),
            AccessErrorKind::UnknownRole => write!(f, "unknown role `{name}` in `{detail}`"),
            AccessErrorKind::UnknownGroup => write!(f, "unknown group `{name}` in `{detail}`"),
            AccessErrorKind::ConflictingChange => write!(
                f,
                "role `{name}` is both in `change.add` and in `change.remove`: a change names a role once"
            ),
        }
    }
}

impl std::error::Error for AccessError {}

impl AccessError {
    fn new(kind: AccessErrorKind, name: &str, detail: impl Into<String>) -> Self {
        AccessError {
            kind,
            name: name.chars().take(128).collect(),
            detail: detail.into(),
        }
    }

    pub(crate) fn no_access() -> Self {
        AccessError::new(AccessErrorKind::NoAccess, "", "")
    }

    pub(crate) fn unknown_action(action: &str, reason: impl Into<String>) -> Self {
        AccessError::new(AccessErrorKind::UnknownAction, action, reason)
    }

    pub(crate) fn unknown_role(role: &str, at: &str) -> Self {
        AccessError::new(AccessErrorKind::UnknownRole, role, at)
    }

    pub(crate) fn conflicting_change(role: &str) -> Self {
        AccessError::new(AccessErrorKind::ConflictingChange, role, "change.remove")
    }

    pub(crate) fn unknown_group(group: &str, at: &str) -> Self {
        AccessError::new(AccessErrorKind::UnknownGroup, group, at)
    }

    /// The kind of error.
    pub fn kind(&self) -> AccessErrorKind {
        self.kind
    }

    /// The contract's stable code for it (`unknown_role`, `conflicting_change`, ...).
    pub fn code(&self) -> &'static str {
        match self.kind {
            AccessErrorKind::NoAccess => "unsupported",
            AccessErrorKind::UnknownAction => "unknown_action",
            AccessErrorKind::UnknownRole => "unknown_role",
            AccessErrorKind::UnknownGroup => "unknown_group",
            AccessErrorKind::ConflictingChange => "conflicting_change",
        }
    }

    /// The action, role or group the request named (none for `NoAccess`).
    pub fn name(&self) -> Option<&str> {
        (self.kind != AccessErrorKind::NoAccess).then_some(self.name.as_str())
    }

    /// Where an unknown role or group was named (`actor.roles`, `change.add`).
    pub fn at(&self) -> Option<&str> {
        matches!(
            self.kind,
            AccessErrorKind::UnknownRole
                | AccessErrorKind::UnknownGroup
                | AccessErrorKind::ConflictingChange
        )
        .then_some(self.detail.as_str())
    }

    /// The account list an unknown role or group was given in, as a request names it:
    /// `groups` for a group, `roles` for a role (a target's or a change's); `None` for the
    /// actor's own (not the request's to mend) and for other errors.
    pub fn field(&self) -> Option<&'static str> {
        match self.at()? {
            at if at.starts_with("actor") => None,
            at if at.ends_with("groups") => Some("groups"),
            _ => Some("roles"),
        }
    }

    /// What is wrong with the request's [`field`](Self::field), in its own words (`` `wizard`
    /// is not a role the tenant's policy declares``): where a caller named the role or group
    /// (a body's `roles`, a bulk item's), not the kernel request's path (`change.add`) that
    /// `Display` gives. `None` when there is no such field.
    pub fn field_message(&self) -> Option<String> {
        let field = self.field()?;
        if self.kind == AccessErrorKind::ConflictingChange {
            return Some(format!(
                "`{}` is both added and removed: a change names a role once",
                self.name
            ));
        }
        let what = if field == "groups" { "group" } else { "role" };
        Some(format!(
            "`{}` is not a {what} the tenant's policy declares",
            self.name
        ))
    }
}

#[cfg(test)]
mod field_message_tests {
    use super::AccessError;

    /// A role both added and removed is said as such, not as an undeclared role.
    #[test]
    fn a_conflicting_change_is_worded_as_one() {
        let e = AccessError::conflicting_change("supportAgent");
        assert_eq!(e.field(), Some("roles"));
        assert_eq!(
            e.field_message().as_deref(),
            Some("`supportAgent` is both added and removed: a change names a role once")
        );
        let e = AccessError::unknown_role("wizard", "change.add");
        assert_eq!(
            e.field_message().as_deref(),
            Some("`wizard` is not a role the tenant's policy declares")
        );
    }
}

/// A deny of authorization, worded by the [message catalogue](crate::messages).
pub(crate) fn denial(
    kind: DenyKind,
    code: DenyCode,
    params: Params,
    rule: Option<Name>,
    lang: Lang,
) -> Denial {
    Denial::render(kind, code, rule, params, lang)
}

/// How far a permission reaches, or would need to reach: the `held` and `needed` params of
/// `scope_insufficient`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub(crate) struct Reach {
    /// The scope (`own`, `team`, `location`, ...).
    scope: ScopeLevel,
    /// Whether `depth` limits it (`team` limited to that many levels).
    limited: bool,
    /// The depth, when `limited`.
    depth: u32,
}

impl Reach {
    /// A scope, by its name.
    fn scope(scope: ScopeLevel) -> Reach {
        Reach {
            scope,
            limited: false,
            depth: 0,
        }
    }

    /// `team`, limited to `depth` levels.
    fn team(depth: u32) -> Reach {
        Reach {
            scope: ScopeLevel::Team,
            limited: true,
            depth,
        }
    }

    /// What permission `p` reaches.
    fn of(p: &CompiledPermission) -> Reach {
        match (p.scope, p.depth) {
            (ScopeLevel::Team, Some(d)) => Reach::team(d),
            (s, _) => Reach::scope(s),
        }
    }

    /// `own`, `team (depth 2)`, ...
    fn render(self) -> String {
        if self.limited {
            format!("team (depth {})", self.depth)
        } else {
            self.scope.as_str().to_owned()
        }
    }
}

/// The denies [`authorize`] renders lazily: a one-byte subset of [`DenyCode`].
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum LazyCode {
    /// [`DenyCode::OrganizationScope`].
    OrganizationScope,
    /// [`DenyCode::NotPermitted`].
    NotPermitted,
    /// [`DenyCode::ScopeInsufficient`] (with `held` and `needed`).
    ScopeInsufficient,
}

impl LazyCode {
    /// The deny's code.
    fn code(self) -> DenyCode {
        match self {
            LazyCode::OrganizationScope => DenyCode::OrganizationScope,
            LazyCode::NotPermitted => DenyCode::NotPermitted,
            LazyCode::ScopeInsufficient => DenyCode::ScopeInsufficient,
        }
    }
}

/// Everything a frequent deny of [`authorize`] is rendered from, kept without allocation:
/// its message, hint and params are built only when read (see [`Text`], [`DenyParams`]),
/// with exactly the text and values an eager rendering gives.
///
/// Laid out without padding (64 bytes), so that the copies a deny makes of it are whole-word
/// moves.
#[derive(Clone)]
#[repr(C)]
pub(crate) struct LazyDeny {
    /// `module.action` (short names are held inline).
    action: Name,
    /// For `scope_insufficient`: what the actor's best permission reaches.
    held: Reach,
    /// For `scope_insufficient`: what would reach the target.
    needed: Reach,
    /// Which deny.
    code: LazyCode,
    /// The language of the message.
    lang: Lang,
    /// Explicit padding (see above).
    pad: [u8; 6],
}

impl LazyDeny {
    /// The deny's params.
    pub(crate) fn params(&self) -> Params {
        let action = ("action", Value::String(self.action.as_str().to_owned()));
        match self.code {
            LazyCode::OrganizationScope | LazyCode::NotPermitted => params([action]),
            LazyCode::ScopeInsufficient => params([
                action,
                ("held", Value::String(self.held.render())),
                ("needed", Value::String(self.needed.render())),
            ]),
        }
    }

    /// Whether the params are empty: never (every lazy deny names its action).
    pub(crate) fn params_empty(&self) -> bool {
        false
    }

    /// The message or the hint, from the catalogue.
    pub(crate) fn render(&self, part: Part) -> String {
        let code = self.code.code();
        match part {
            Part::Message => messages::deny_message(code, &self.params(), self.lang),
            Part::Hint => messages::deny_hint(code, &self.params(), self.lang).unwrap_or_default(),
        }
    }

    /// The deny. `hint` is the policy's hint of a `not_permitted` (the roles granting the
    /// action); the other lazy denies have the catalogue's hint, rendered lazily too.
    fn into_denial(self, rule: Option<Name>, hint: Option<Text>) -> Denial {
        let hint = match self.code {
            LazyCode::ScopeInsufficient | LazyCode::OrganizationScope => {
                Some(Text::lazy(self.clone(), Part::Hint))
            }
            LazyCode::NotPermitted => hint,
        };
        Denial {
            kind: DenyKind::NotPermitted,
            code: Cow::Borrowed(self.code.code().as_str()),
            message: Text::lazy(self.clone(), Part::Message),
            rule,
            hint,
            params: DenyParams::lazy(self),
        }
    }
}

fn params<const N: usize>(pairs: [(&str, Value); N]) -> Params {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// Whether the account's effective status grants permissions (R000-06, R003-04): when the
/// policy has a lifecycle, a status whose `login` is true does (an unknown stored status
/// fails closed); otherwise only `active`. Returns the status in force.
pub(crate) fn status_grants<'a>(
    policy: &'a Policy,
    account: &'a Account,
    now: Timestamp,
) -> (bool, &'a str) {
    match policy.lifecycle() {
        Some(l) => match crate::lifecycle::effective_status_id(l, account, now) {
            Some(id) => (l.status(id).is_some_and(|s| s.login), id),
            None => (false, account.status.as_str()),
        },
        None => (
            account.status == crate::policy::ACTIVE_STATUS,
            account.status.as_str(),
        ),
    }
}

/// A borrowed view of an account or user target: what roles and group rules read.
#[derive(Clone, Copy)]
pub(crate) struct Subject<'a> {
    pub(crate) id: &'a str,
    pub(crate) organization: Option<&'a str>,
    pub(crate) location: Option<&'a str>,
    pub(crate) manager: Option<&'a str>,
    pub(crate) status: Option<&'a str>,
    pub(crate) super_admin: bool,
    pub(crate) groups: &'a [String],
    pub(crate) attributes: &'a Map<String, Value>,
}

impl<'a> Subject<'a> {
    pub(crate) fn of_account(a: &'a Account) -> Self {
        Subject {
            id: &a.id,
            organization: a.organization.as_deref(),
            location: a.location.as_deref(),
            manager: a.manager.as_deref(),
            status: Some(&a.status),
            super_admin: a.super_admin,
            groups: &a.groups,
            attributes: &a.attributes,
        }
    }

    pub(crate) fn of_target(t: &'a Target) -> Self {
        Subject {
            id: &t.id,
            organization: t.organization.as_deref(),
            location: t.location.as_deref(),
            manager: t.manager.as_deref(),
            status: t.status.as_deref(),
            super_admin: false,
            groups: &t.groups,
            attributes: &t.attributes,
        }
    }

    /// The value of a field for group rules: the typed fields, then the attributes.
    fn field(&self, key: &str) -> Option<crate::validate::Raw<'a>> {
        use crate::validate::Raw;
        let s = |v: Option<&'a str>| v.map(Raw::Str);
        match key {
            "id" => s(Some(self.id)),
            "organization" => s(self.organization),
            "location" => s(self.location),
            "manager" => s(self.manager),
            "status" => s(self.status),
            "superAdmin" => Some(Raw::Bool(self.super_admin)),
            _ => self.attributes.get(key).map(Raw::from),
        }
    }

    /// Does a group rule hold? Every clause given must hold (see [`Condition`]).
    ///
    /// [`Condition`]: crate::policy::Condition
    fn meets(&self, c: &crate::policy::Condition) -> bool {
        c.field.is_some() && crate::validate::condition_holds_by(c, None, |f| self.field(f))
    }
}

/// Whether `account` belongs to group `group`: listed among its groups for a manual
/// group, meeting the group's rule for a dynamic one (a dynamic group listed on the account
/// does not make it a member: membership is the rule's). `None` when the policy declares no
/// such group.
pub fn is_group_member(access: &CompiledAccess, account: &Account, group: &str) -> Option<bool> {
    let g = access
        .group_index
        .get(group)
        .and_then(|&i| access.groups.get(i))?;
    Some(match &g.rule {
        None => account.groups.iter().any(|x| x == group),
        Some(rule) => Subject::of_account(account).meets(rule),
    })
}

/// The roles an account holds: direct roles, roles of its manual groups and of the
/// dynamic groups whose rule it meets, and the role named by the policy's `roleField`;
/// inactive roles excluded. Indices into the compiled roles, sorted, without duplicates.
///
/// # Errors
/// [`AccessErrorKind::UnknownRole`] / [`AccessErrorKind::UnknownGroup`] when the account names
/// a role or group the policy does not declare.
pub fn effective_roles(
    access: &CompiledAccess,
    account: &Account,
) -> Result<Vec<usize>, AccessError> {
    roles_of(
        access,
        Subject::of_account(account),
        &account.roles,
        "roles",
    )
    .map(|set| set.iter().collect())
}

/// The change in the roles an account holds ([`effective_roles`]) from `before` to `after`:
/// the roles held after and not before (`add`) and before and not after (`remove`), by id
/// in declaration order; `None` when they are the same. Besides its direct roles, an
/// account's roles change with its manual groups, with a field a dynamic group's rule
/// reads (its status, its organisation, any attribute) and with the policy's `roleField`:
/// such a change grants or withdraws roles as a direct one does, and a caller judges it as
/// one ([`authorize`] with it as the request's `change`).
///
/// # Errors
/// As [`effective_roles`], for either account.
pub fn role_change_between(
    access: &CompiledAccess,
    before: &Account,
    after: &Account,
) -> Result<Option<RoleChange>, AccessError> {
    let held = effective_roles(access, before)?;
    let will = effective_roles(access, after)?;
    let names = |from: &[usize], without: &[usize]| -> Vec<String> {
        from.iter()
            .filter(|i| !without.contains(i))
            .filter_map(|&i| access.roles.get(i).map(|r| r.id.clone()))
            .collect()
    };
    let add = names(&will, &held);
    let remove = names(&held, &will);
    Ok((!add.is_empty() || !remove.is_empty()).then_some(RoleChange { add, remove }))
}

/// The grant rules [`authorize`] holds a role change to, for a change another decision
/// makes (a status change moving `target` into or out of a dynamic group whose rule reads
/// its status, [`role_change_between`]): who may grant each role (`root_only`,
/// `administrator_only`), the forbidden combinations and read-only roles of what the
/// target holds after, its minimum of active roles, and escalation (a role given only by
/// someone who holds what it gives). The denial, or `None` when the change passes.
///
/// # Errors
/// A role or group of the actor's, the target's or the change's that the policy does not
/// declare.
pub fn grant_denial(
    access: &CompiledAccess,
    actor: &Account,
    target: &Account,
    change: &RoleChange,
    lang: Lang,
) -> Result<Option<Denial>, AccessError> {
    let actor_roles = roles_of(
        access,
        Subject::of_account(actor),
        &actor.roles,
        "actor.roles",
    )?;
    check_grants(
        access,
        actor,
        &actor_roles,
        &Target::from(target),
        Some(change),
        false,
        None,
        lang,
    )
}

/// The critical permissions (R004-09, `access.criticalPermissions`) `account` holds: the
/// declared actions a critical pattern names that one of its roles (as
/// [`effective_roles`] counts them) allows, at any scope, and none forbids; none when its
/// status grants nothing now (an inactive account holds nothing). In declaration order.
///
/// A lifecycle's `soleHolderOf` fact is what the target holds and no other account does:
/// the caller, who keeps the directory, asks this of the target and of the others.
/// Super administrators and root are not holders: their authority is not a role's, and the
/// rule keeps a role's work (approvals, say) from being left to nobody.
///
/// # Errors
/// As [`effective_roles`]; a policy without an access section.
pub fn critical_permissions_held(
    policy: &Policy,
    account: &Account,
    now: Timestamp,
) -> Result<Vec<String>, AccessError> {
    let access = policy.access().ok_or_else(AccessError::no_access)?;
    if access.critical.is_empty() || !status_grants(policy, account, now).0 {
        return Ok(Vec::new());
    }
    let roles = effective_roles(access, account)?;
    let perms: Vec<&CompiledPermission> = roles
        .iter()
        .filter_map(|&i| access.roles.get(i))
        .flat_map(|r| r.permissions.iter())
        .collect();
    let mut held = Vec::new();
    for (index, action) in access.actions.iter().enumerate() {
        let Some((module, name)) = action.name.split_once('.') else {
            continue;
        };
        if !access.critical.iter().any(|c| c.matches(module, name)) {
            continue;
        }
        let granted = |forbid: bool| {
            perms
                .iter()
                .any(|p| p.forbid == forbid && p.matches_action(index))
        };
        if granted(false) && !granted(true) {
            held.push(action.name.to_string());
        }
    }
    Ok(held)
}

/// The critical permissions (R004-09) an edit takes from its organisation's holders: those
/// `before` holds ([`critical_permissions_held`]) that `after` does not, or all of them when
/// the edit moves the account to another organisation (its old organisation loses the
/// holder whatever the account keeps). An edit that withdraws a role, or a group bringing
/// one, is the case: the lifecycle's `soleCriticalHolder` guard then holds for the edit as
/// it holds for a deactivation. None under a policy without an access section.
///
/// # Errors
/// As [`effective_roles`] (a role or group of either account the policy does not declare).
pub fn critical_permissions_lost(
    policy: &Policy,
    before: &Account,
    after: &Account,
    now: Timestamp,
) -> Result<Vec<String>, AccessError> {
    if policy.access().is_none() {
        return Ok(Vec::new());
    }
    let mut lost = critical_permissions_held(policy, before, now)?;
    if !lost.is_empty() && before.organization == after.organization {
        let kept = critical_permissions_held(policy, after, now)?;
        lost.retain(|p| !kept.contains(p));
    }
    Ok(lost)
}

/// A set of role indices, iterated in increasing order: a bit set, without allocation, for
/// policies of up to 128 roles, a sorted list otherwise.
#[derive(Debug, Clone)]
pub(crate) enum RoleSet {
    /// Bit `i` is role `i`.
    Bits(u128),
    /// Sorted, without duplicates.
    List(Vec<usize>),
}

impl RoleSet {
    /// The roles, in increasing order.
    pub(crate) fn iter(&self) -> RoleIter<'_> {
        match self {
            RoleSet::Bits(bits) => RoleIter {
                bits: *bits,
                list: [].iter(),
            },
            RoleSet::List(list) => RoleIter {
                bits: 0,
                list: list.iter(),
            },
        }
    }
}

/// The roles of a [`RoleSet`], in increasing order.
pub(crate) struct RoleIter<'a> {
    bits: u128,
    list: std::slice::Iter<'a, usize>,
}

impl Iterator for RoleIter<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        if self.bits != 0 {
            let i = self.bits.trailing_zeros() as usize;
            self.bits &= self.bits - 1;
            return Some(i);
        }
        self.list.next().copied()
    }
}

/// Adds role `i` to a bit set or a list.
#[inline]
fn add_role(bits: &mut u128, list: &mut Vec<usize>, small: bool, i: usize) {
    if small {
        if let Some(bit) = 1u128.checked_shl(i as u32) {
            *bits |= bit;
        }
    } else {
        list.push(i);
    }
}

pub(crate) fn roles_of(
    access: &CompiledAccess,
    t: Subject<'_>,
    direct: &[String],
    at: &str,
) -> Result<RoleSet, AccessError> {
    let small = access.roles.len() <= 128;
    let mut bits: u128 = 0;
    let mut list: Vec<usize> = Vec::new();
    for r in direct {
        match access.role_position(r) {
            Some(i) => add_role(&mut bits, &mut list, small, i),
            None => {
                return Err(AccessError::unknown_role(r, at));
            }
        }
    }
    if let Some(field) = &access.spec.role_field
        && let Some(Value::String(v)) = t.attributes.get(field)
        && let Some(i) = access.role_position(v.trim())
    {
        add_role(&mut bits, &mut list, small, i);
    }
    for g in t.groups {
        match access
            .group_index
            .get(g)
            .and_then(|&i| access.groups.get(i))
        {
            Some(group) if group.rule.is_none() => {
                for &i in &group.roles {
                    add_role(&mut bits, &mut list, small, i);
                }
            }
            // A dynamic group's membership is its rule's, not a list's.
            Some(_) => {}
            None => {
                return Err(AccessError::unknown_group(g, "groups"));
            }
        }
    }
    for g in &access.groups {
        if let Some(rule) = &g.rule
            && t.meets(rule)
        {
            for &i in &g.roles {
                add_role(&mut bits, &mut list, small, i);
            }
        }
    }
    if small {
        return Ok(RoleSet::Bits(bits & access.active_roles));
    }
    list.retain(|&i| access.roles.get(i).is_some_and(|r| r.active));
    list.sort_unstable();
    list.dedup();
    Ok(RoleSet::List(list))
}

/// Parses `module.action` against the declared modules.
pub(crate) fn parse_action<'a>(
    access: &CompiledAccess,
    action: &'a str,
) -> Result<(&'a str, &'a str), AccessError> {
    resolve_action(access, action)?;
    Ok(action.split_once('.').unwrap_or((action, "")))
}

/// The position of `module.action` among the declared actions (see
/// [`CompiledAccess::action_index`]), or why it is not a declared action.
fn resolve_action(access: &CompiledAccess, action: &str) -> Result<usize, AccessError> {
    if let Some(index) = access.action_by_name(action) {
        return Ok(index);
    }
    let reason = match super::compile::declared_action(&access.spec, action) {
        Err(u) => u.sentence(),
        // Declared, yet not found by its name: not possible, as the names are the
        // declared actions'; refused all the same rather than trusted.
        Ok(_) => "not found among the compiled actions".to_owned(),
    };
    Err(AccessError::unknown_action(action, reason))
}

/// Whether `actor` and `target` are in the same organisation (or the target is the actor).
pub(crate) fn same_organization(actor: &Account, target: &Target) -> bool {
    (target.is_user() && same(&target.id, &actor.id))
        || matches!((&actor.organization, &target.organization), (Some(a), Some(t)) if same(a, t))
}

/// The positions of the actor and of the target's subject in the directory, looked up once
/// per decision, on first need (only `team` permissions and their denies need them).
struct Positions<'a> {
    dir: &'a Directory,
    /// `None` until looked up; then the actor's and the subject's nodes.
    nodes: Option<(Option<NodeId>, Option<NodeId>)>,
}

impl<'a> Positions<'a> {
    fn new(dir: &'a Directory) -> Self {
        Positions { dir, nodes: None }
    }

    /// The actor's and the subject's nodes (looked up together, once).
    fn nodes(&mut self, actor: &str, subject: &str) -> (Option<NodeId>, Option<NodeId>) {
        *self
            .nodes
            .get_or_insert_with(|| self.dir.hierarchy().node_pair(actor, subject))
    }

    /// How many levels `subject` is below `actor`, if it is: from the directory when it knows
    /// both, else from the target's own `manager` field (one level); see
    /// [`Directory::levels_below`].
    fn levels_below(
        &mut self,
        actor: &str,
        subject: &str,
        target_manager: Option<&str>,
    ) -> Option<u32> {
        match self.nodes(actor, subject) {
            (Some(m), Some(t)) => self.dir.hierarchy().levels_below(m, t),
            _ => (target_manager == Some(actor) && actor != subject).then_some(1),
        }
    }

    /// Whether `subject` is below `actor` within `depth` levels; see
    /// [`Directory::is_below`].
    fn is_below(
        &mut self,
        actor: &str,
        subject: &str,
        target_manager: Option<&str>,
        depth: Option<u32>,
    ) -> bool {
        match self.nodes(actor, subject) {
            (Some(m), Some(t)) => self.dir.hierarchy().is_below(m, t, depth),
            _ => target_manager == Some(actor) && actor != subject,
        }
    }
}

/// The target's `manager` field, for a user target (the directory's fallback).
fn target_manager(target: &Target) -> Option<&str> {
    if target.is_user() {
        target.manager.as_deref()
    } else {
        None
    }
}

/// Does permission `p` (held by `actor`) reach `target`? The organisation was checked.
fn reaches(
    p: &CompiledPermission,
    actor: &Account,
    target: &Target,
    positions: &mut Positions<'_>,
) -> bool {
    match p.scope {
        ScopeLevel::All | ScopeLevel::Organization => true,
        ScopeLevel::Location => actor.location.is_some() && actor.location == target.location,
        ScopeLevel::Own => target.subject().is_some_and(|s| same(s, &actor.id)),
        ScopeLevel::Team => match target.subject() {
            Some(s) => positions.is_below(&actor.id, s, target_manager(target), p.depth),
            None => false,
        },
    }
}

/// The narrowest scope that would reach `target`, for hints.
fn needed_scope(actor: &Account, target: &Target, positions: &mut Positions<'_>) -> Reach {
    if target.subject() == Some(actor.id.as_str()) {
        return Reach::scope(ScopeLevel::Own);
    }
    if let Some(s) = target.subject()
        && let Some(d) = positions.levels_below(&actor.id, s, target_manager(target))
    {
        return Reach::team(d);
    }
    if actor.location.is_some() && actor.location == target.location {
        return Reach::scope(ScopeLevel::Location);
    }
    Reach::scope(ScopeLevel::Organization)
}

fn describe(p: &CompiledPermission) -> String {
    Reach::of(p).render()
}

/// Decides one request.
///
/// The order: the actor's state (an account whose status grants nothing is denied
/// everything), super administrators and the root user, the organisation boundary,
/// forbids, allows by scope; then, for an action that grants roles, who may grant them,
/// forbidden combinations, the minimum of active roles and privilege escalation.
///
/// # Errors
/// An [`AccessError`] when the request names an undeclared action, role or group, or the
/// policy has no access section.
pub fn authorize(
    policy: &Policy,
    dir: &Directory,
    req: &AuthorizeRequest,
    now: Timestamp,
    lang: Lang,
) -> Result<AuthzDecision, AccessError> {
    let access = policy.access().ok_or_else(AccessError::no_access)?;
    // Each case builds its decision in place; the denies out of line, so that the allow stays
    // a few stores.
    match decide(access, policy, dir, req, now, lang)? {
        Outcome::Allow(reason, scope) => Ok(AuthzDecision {
            decision: Decision::Allow,
            policy: access.policy_name(policy).clone(),
            reason: Some(reason.clone()),
            scope,
            deny: None,
        }),
        Outcome::Lazy {
            code,
            held,
            needed,
            action,
            rule,
            hint,
        } => lazy_denied(
            access,
            policy,
            req,
            lang,
            (code, held, needed),
            action,
            rule,
            hint,
        ),
        Outcome::Denied(d) => denied(access, policy, d),
    }
}

/// The decision of a deny rendered lazily.
#[inline(never)]
#[allow(
    clippy::too_many_arguments,
    reason = "the parts of one outcome, passed apart"
)]
fn lazy_denied(
    access: &CompiledAccess,
    policy: &Policy,
    req: &AuthorizeRequest,
    lang: Lang,
    (code, held, needed): (LazyCode, Reach, Reach),
    action: usize,
    rule: Option<&Name>,
    hint: Hint<'_>,
) -> Result<AuthzDecision, AccessError> {
    let deny = LazyDeny {
        action: access
            .action_label(action)
            .map_or_else(|| Name::new(&req.action), Name::clone),
        held,
        needed,
        code,
        lang,
        pad: [0; 6],
    };
    let hint = match hint {
        Hint::None => None,
        Hint::Shared(h) => Some(Text::shared(Arc::clone(h))),
    };
    Ok(AuthzDecision {
        decision: Decision::Deny,
        policy: access.policy_name(policy).clone(),
        reason: None,
        scope: None,
        deny: Some(deny.into_denial(rule.cloned(), hint)),
    })
}

/// The decision of any other deny.
#[inline(never)]
fn denied(
    access: &CompiledAccess,
    policy: &Policy,
    deny: Box<Denial>,
) -> Result<AuthzDecision, AccessError> {
    Ok(AuthzDecision {
        decision: Decision::Deny,
        policy: access.policy_name(policy).clone(),
        reason: None,
        scope: None,
        deny: Some(*deny),
    })
}

/// What [`decide`] found, small (borrowed names, a boxed eager deny) so that moving it is
/// cheap; [`authorize`] turns it into the decision.
enum Outcome<'a> {
    /// Allowed by this rule, at this scope.
    Allow(&'a Name, Option<ScopeLevel>),
    /// A frequent deny, rendered lazily: the deny, the declared action, the rule and the hint.
    Lazy {
        code: LazyCode,
        held: Reach,
        needed: Reach,
        action: usize,
        rule: Option<&'a Name>,
        hint: Hint<'a>,
    },
    /// Any other deny, rendered.
    Denied(Box<Denial>),
}

/// The hint of a lazily rendered deny, borrowed until the decision is built.
enum Hint<'a> {
    /// None (or rendered lazily with the message).
    None,
    /// A hint the compiled policy holds.
    Shared(&'a Arc<str>),
}

/// The decision of [`authorize`], before it is built (inlined: the outcome is then never
/// built in memory, each of its cases goes straight to the decision it makes).
#[inline(always)]
fn decide<'a>(
    access: &'a CompiledAccess,
    policy: &Policy,
    dir: &Directory,
    req: &AuthorizeRequest,
    now: Timestamp,
    lang: Lang,
) -> Result<Outcome<'a>, AccessError> {
    let action = resolve_action(access, &req.action)?;
    let actor = &req.actor;
    let target = &req.target;

    let actor_roles = roles_of(
        access,
        Subject::of_account(actor),
        &actor.roles,
        "actor.roles",
    )?;
    let (grants, status) = status_grants(policy, actor, now);
    if !grants {
        let p = params([("status", Value::String(status.to_owned()))]);
        return Ok(Outcome::Denied(Box::new(denial(
            DenyKind::InvalidState,
            DenyCode::ActorInactive,
            p,
            Some(access.rules.status.clone()),
            lang,
        ))));
    }

    let mut allowed: Option<(&Name, Option<ScopeLevel>)> = None;
    if actor.root {
        allowed = Some((&access.rules.root, None));
    } else if actor.super_admin {
        allowed = Some((&access.rules.super_admin, None));
    } else {
        if !same_organization(actor, target) {
            return Ok(Outcome::Lazy {
                code: LazyCode::OrganizationScope,
                held: Reach::scope(ScopeLevel::Own),
                needed: Reach::scope(ScopeLevel::Own),
                action,
                rule: Some(&access.rules.organization_boundary),
                hint: Hint::None,
            });
        }
        let perms = || {
            actor_roles
                .iter()
                .filter_map(|i| access.roles.get(i))
                .flat_map(|r| r.permissions.iter())
        };
        if let Some(f) = perms().find(|p| p.forbid && p.matches_action(action)) {
            let role = f
                .rule
                .split(['#', ':'])
                .nth(1)
                .unwrap_or_default()
                .to_owned();
            let p = params([
                ("action", Value::String(req.action.clone())),
                ("role", Value::String(role)),
            ]);
            return Ok(Outcome::Denied(Box::new(denial(
                DenyKind::Forbidden,
                DenyCode::Forbidden,
                p,
                Some(f.name.clone()),
                lang,
            ))));
        }
        let mut positions = Positions::new(dir);
        let mut held: Option<&CompiledPermission> = None;
        for p in perms().filter(|p| !p.forbid && p.matches_action(action)) {
            if reaches(p, actor, target, &mut positions) {
                allowed = Some((&p.name, Some(p.scope)));
                break;
            }
            if held.is_none_or(|h| p.reach_rank() > h.reach_rank()) {
                held = Some(p);
            }
        }
        if allowed.is_none() {
            return Ok(match held {
                Some(h) => Outcome::Lazy {
                    code: LazyCode::ScopeInsufficient,
                    held: Reach::of(h),
                    needed: needed_scope(actor, target, &mut positions),
                    action,
                    rule: Some(&h.name),
                    hint: Hint::None,
                },
                None => Outcome::Lazy {
                    code: LazyCode::NotPermitted,
                    held: Reach::scope(ScopeLevel::Own),
                    needed: Reach::scope(ScopeLevel::Own),
                    action,
                    rule: None,
                    hint: access
                        .not_permitted_hint(action, lang)
                        .map_or(Hint::None, Hint::Shared),
                },
            });
        }
    }

    let creating = access.spec.create_action.as_deref() == Some(req.action.as_str());
    // R001-06: an account whose status holds no roles (`rolesAllowed: false`) is given none
    // (looked up only for a question that gives roles).
    let barred = (creating || req.change.is_some())
        .then_some(target.status.as_deref())
        .flatten()
        .filter(|s| {
            policy
                .lifecycle()
                .and_then(|lc| lc.status(s))
                .is_some_and(|spec| !spec.roles_allowed)
        });
    if let Some(d) = check_grants(
        access,
        actor,
        &actor_roles,
        target,
        req.change.as_ref(),
        creating,
        barred,
        lang,
    )? {
        return Ok(Outcome::Denied(Box::new(d)));
    }
    let (reason, scope) = allowed.unwrap_or((&access.rules.root, None));
    Ok(Outcome::Allow(reason, scope))
}

/// Grant rules for an action that gives the target roles (`change`, or every role it
/// starts with when `creating` it). `barred`: the target's status when it holds no roles
/// (R001-06), which refuses any role given. `None` when they pass.
#[allow(clippy::too_many_arguments)]
fn check_grants(
    access: &CompiledAccess,
    actor: &Account,
    actor_roles: &RoleSet,
    target: &Target,
    change: Option<&RoleChange>,
    creating: bool,
    barred: Option<&str>,
    lang: Lang,
) -> Result<Option<Denial>, AccessError> {
    if !creating && change.is_none() {
        return Ok(None);
    }
    let (granted, after) = role_changes(access, target, change, creating)?;
    if let (Some(status), false) = (barred, granted.is_empty()) {
        return Ok(Some(denial(
            DenyKind::InvalidState,
            DenyCode::RolesNotAllowed,
            params([("status", Value::String(status.to_owned()))]),
            Some("rolesAllowed".into()),
            lang,
        )));
    }
    Ok(
        check_grantable_by(access, actor, actor_roles, &granted, lang)
            .or_else(|| check_combinations(access, &after, lang))
            .or_else(|| check_read_only(access, &after, lang))
            .or_else(|| check_min_active_roles(access, &after, lang))
            .or_else(|| check_escalation(access, actor, actor_roles, &granted, lang)),
    )
}

/// The roles a grant gives (held after and not before, sorted) and the active roles the
/// target holds after it (sorted). Creating an account grants every role it starts with.
fn role_changes(
    access: &CompiledAccess,
    target: &Target,
    change: Option<&RoleChange>,
    creating: bool,
) -> Result<(Vec<usize>, Vec<usize>), AccessError> {
    let change = change.cloned().unwrap_or_default();
    // Roles the target holds before, and the ones being granted.
    let before: Vec<usize> = if creating {
        Vec::new()
    } else {
        roles_of(
            access,
            Subject::of_target(target),
            &target.roles,
            "target.roles",
        )?
        .iter()
        .collect()
    };
    let mut granted = change_roles(access, &change.add, "change.add")?;
    let removed = change_roles(access, &change.remove, "change.remove")?;
    // Added and removed at once: the kernel would judge one outcome and a caller might
    // apply the other (removing, then adding), so such a change is refused.
    if let Some(r) = granted
        .iter()
        .find(|i| removed.contains(i))
        .and_then(|&i| access.roles.get(i))
    {
        return Err(AccessError::conflicting_change(&r.id));
    }
    if creating {
        // Creating an account grants every role it starts with.
        granted.extend(
            roles_of(
                access,
                Subject::of_target(target),
                &target.roles,
                "target.roles",
            )?
            .iter(),
        );
    }
    let mut after: Vec<usize> = before
        .iter()
        .chain(granted.iter())
        .copied()
        .filter(|i| !removed.contains(i) && access.roles.get(*i).is_some_and(|r| r.active))
        .collect();
    after.sort_unstable();
    after.dedup();
    granted.retain(|i| !before.contains(i));
    granted.sort_unstable();
    granted.dedup();
    Ok((granted, after))
}

/// The positions of the roles a change names (`at`: `change.add` or `change.remove`); an
/// undeclared role is an error.
fn change_roles(
    access: &CompiledAccess,
    names: &[String],
    at: &str,
) -> Result<Vec<usize>, AccessError> {
    let mut roles: Vec<usize> = Vec::new();
    for r in names {
        match access.role(r) {
            Some((i, _)) => roles.push(i),
            None => {
                return Err(AccessError::unknown_role(r, at));
            }
        }
    }
    Ok(roles)
}

/// `grantableBy`: a role reserved to root is granted only by root, one reserved to
/// administrators only by an administrator (or root, or a super admin).
fn check_grantable_by(
    access: &CompiledAccess,
    actor: &Account,
    actor_roles: &RoleSet,
    granted: &[usize],
    lang: Lang,
) -> Option<Denial> {
    let actor_is_admin = actor.root
        || actor.super_admin
        || actor_roles
            .iter()
            .any(|i| access.roles.get(i).is_some_and(|r| r.administrator));
    for &g in granted {
        let Some(role) = access.roles.get(g) else {
            continue;
        };
        let p = params([("role", Value::String(role.id.clone()))]);
        match role.grantable_by {
            GrantableBy::Root if !actor.root => {
                return Some(denial(
                    DenyKind::Forbidden,
                    DenyCode::RootOnly,
                    p,
                    Some(format!("grant:{}", role.id).into()),
                    lang,
                ));
            }
            GrantableBy::Administrator if !actor_is_admin => {
                return Some(denial(
                    DenyKind::Forbidden,
                    DenyCode::AdministratorOnly,
                    p,
                    Some(format!("grant:{}", role.id).into()),
                    lang,
                ));
            }
            _ => {}
        }
    }
    None
}

/// Forbidden combinations: the roles after the grant hold no whole combination.
fn check_combinations(access: &CompiledAccess, after: &[usize], lang: Lang) -> Option<Denial> {
    for c in &access.combinations {
        if c.roles.iter().all(|r| after.contains(r)) {
            let names: Vec<Value> = c
                .roles
                .iter()
                .filter_map(|&i| access.roles.get(i))
                .map(|r| Value::String(r.id.clone()))
                .collect();
            let mut p = params([("roles", Value::Array(names))]);
            if let Some(reason) = c.reason.get(lang.as_str()).or_else(|| c.reason.get("en")) {
                p.insert("reason".into(), Value::String(reason.clone()));
            }
            if let Some(s) = &c.suggest {
                p.insert("suggest".into(), Value::String(s.clone()));
            }
            return Some(denial(
                DenyKind::Forbidden,
                DenyCode::ForbiddenCombination,
                p,
                Some("forbiddenCombination".into()),
                lang,
            ));
        }
    }
    None
}

/// Read-only roles: a read-only role is not held with a role that writes.
fn check_read_only(access: &CompiledAccess, after: &[usize], lang: Lang) -> Option<Denial> {
    for &ro in after {
        let Some(r) = access.roles.get(ro) else {
            continue;
        };
        if !r.read_only {
            continue;
        }
        if let Some(other) = after
            .iter()
            .filter_map(|&i| access.roles.get(i))
            .find(|o| o.writes)
        {
            let mut p = params([
                ("role", Value::String(r.id.clone())),
                ("other", Value::String(other.id.clone())),
            ]);
            let suggest = r.suggest.clone().or_else(|| other.suggest.clone());
            if let Some(s) = &suggest {
                p.insert("suggest".into(), Value::String(s.clone()));
            }
            return Some(denial(
                DenyKind::Forbidden,
                DenyCode::ReadOnlyConflict,
                p,
                Some(format!("readOnly:{}", r.id).into()),
                lang,
            ));
        }
    }
    None
}

/// `minActiveRoles`: the target keeps at least that many active roles.
fn check_min_active_roles(access: &CompiledAccess, after: &[usize], lang: Lang) -> Option<Denial> {
    let min = access.spec.min_active_roles as usize;
    if min > 0 && after.len() < min {
        let p = params([("min", Value::from(min))]);
        return Some(denial(
            DenyKind::Forbidden,
            DenyCode::NoActiveRole,
            p,
            Some("minActiveRoles".into()),
            lang,
        ));
    }
    None
}

/// Privilege escalation: an actor other than root or a super admin grants a role granted
/// by holders only when it holds (with at least the scope) every permission the role gives.
fn check_escalation(
    access: &CompiledAccess,
    actor: &Account,
    actor_roles: &RoleSet,
    granted: &[usize],
    lang: Lang,
) -> Option<Denial> {
    if actor.root || actor.super_admin {
        return None;
    }
    let held: Vec<&CompiledPermission> = actor_roles
        .iter()
        .filter_map(|i| access.roles.get(i))
        .flat_map(|r| r.permissions.iter())
        .filter(|p| !p.forbid)
        .collect();
    for &g in granted {
        let Some(role) = access.roles.get(g) else {
            continue;
        };
        // Roles reserved to administrators or root are granted by that standing, which
        // was checked above; the others only by someone who holds what they give.
        if role.grantable_by != GrantableBy::Holder {
            continue;
        }
        for p in role.permissions.iter().filter(|p| !p.forbid) {
            if !held
                .iter()
                .any(|h| h.pattern.covers(&p.pattern) && h.scope_covers(p))
            {
                let pr = params([
                    ("role", Value::String(role.id.clone())),
                    (
                        "permission",
                        Value::String(format!("{} ({})", p.pattern.render(), describe(p))),
                    ),
                ]);
                return Some(denial(
                    DenyKind::Forbidden,
                    DenyCode::PrivilegeEscalation,
                    pr,
                    Some(p.name.clone()),
                    lang,
                ));
            }
        }
    }
    None
}

/// Every declared `module.action` the actor may perform on `target` (for forms that grey
/// out what is not allowed).
///
/// # Errors
/// As [`authorize`].
pub fn permissions_over(
    policy: &Policy,
    dir: &Directory,
    actor: &Account,
    target: &Target,
    now: Timestamp,
) -> Result<Vec<String>, AccessError> {
    let access = policy.access().ok_or_else(AccessError::no_access)?;
    let all: Vec<String> = access
        .spec
        .modules
        .iter()
        .flat_map(|(m, actions)| actions.iter().map(move |a| format!("{m}.{a}")))
        .collect();
    permitted_among(
        policy,
        dir,
        actor,
        target,
        all.iter().map(String::as_str),
        now,
    )
}

/// Which of `actions` the actor may perform on `target`; actions the policy does not
/// declare are left out.
///
/// # Errors
/// As [`authorize`].
pub fn permitted_among<'a>(
    policy: &Policy,
    dir: &Directory,
    actor: &Account,
    target: &Target,
    actions: impl IntoIterator<Item = &'a str>,
    now: Timestamp,
) -> Result<Vec<String>, AccessError> {
    let access = policy.access().ok_or_else(AccessError::no_access)?;
    let mut out = Vec::new();
    let mut req = AuthorizeRequest {
        actor: actor.clone(),
        action: String::new(),
        target: target.clone(),
        change: None,
    };
    for action in actions {
        if !access.declares(action) {
            continue;
        }
        action.clone_into(&mut req.action);
        if authorize(policy, dir, &req, now, Lang::En)?.allowed() {
            out.push(req.action.clone());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use serde_json::json;

    /// R004-09's fact: what an account holds of the critical permissions, through any role
    /// it has (direct, role field, group), allowed and not forbidden, while its status
    /// grants; a super administrator's authority is not a role's.
    #[test]
    fn r004_09_critical_permissions_are_held_through_roles_while_active() {
        let p = Policy::from_value(json!({
            "warden": 1, "name": "critical",
            "fields": {"userType": {"type": "enum", "values": ["approver", "admin"]}},
            "access": {
                "modules": {"requisitions": ["read", "approve"], "users": ["read", "status"]},
                "roleField": "userType",
                "criticalPermissions": ["requisitions.approve", "users.status"],
                "roles": {
                    "approver": {"permissions": [{"allow": "requisitions.*", "scope": "team"}]},
                    "admin": {"permissions": [{"allow": "users.*", "scope": "organization"}]},
                    "muted": {"inherits": ["approver"], "permissions": [{"forbid": "requisitions.approve"}]},
                    "viewer": {"permissions": [{"allow": "requisitions.read", "scope": "organization"}]}
                }
            }
        }))
        .unwrap();
        let now = Timestamp::from_unix(1_800_000_000);
        let held = |roles: &[&str], user_type: Option<&str>, status: &str, sup: bool| {
            let mut a = Account::new("u");
            a.status = status.into();
            a.super_admin = sup;
            a.roles = roles.iter().map(|r| (*r).to_owned()).collect();
            if let Some(t) = user_type {
                a.attributes.insert("userType".into(), json!(t));
            }
            critical_permissions_held(&p, &a, now).unwrap()
        };
        assert_eq!(
            held(&["approver"], None, "active", false),
            ["requisitions.approve"]
        );
        assert_eq!(held(&[], Some("admin"), "active", false), ["users.status"]);
        assert_eq!(
            held(&["admin"], Some("approver"), "active", false),
            ["requisitions.approve", "users.status"]
        );
        assert!(
            held(&["muted"], None, "active", false).is_empty(),
            "forbidden"
        );
        assert!(held(&["viewer"], None, "active", false).is_empty());
        assert!(
            held(&["approver"], None, "inactive", false).is_empty(),
            "inactive"
        );
        // A super administrator's authority makes no holder; a role it has does.
        assert!(held(&[], None, "active", true).is_empty(), "super admin");
        assert_eq!(
            held(&["approver"], None, "active", true),
            ["requisitions.approve"]
        );
        let mut unknown = Account::new("u");
        unknown.roles = vec!["nope".into()];
        assert!(critical_permissions_held(&p, &unknown, now).is_err());
    }

    fn policy() -> Policy {
        Policy::from_value(json!({
            "warden": 1, "name": "lazy-denies",
            "access": {
                "modules": {"users": ["read", "update"]},
                "roles": {
                    "employee": {"permissions": [{"allow": "users.read", "scope": "own"}, {"allow": "users.read", "scope": "team", "depth": 1}]},
                    "director": {"inherits": ["employee"], "permissions": [{"allow": "users.update", "scope": "team"}]},
                    "hr": {"permissions": [{"allow": "users.read", "scope": "organization"}]}
                }
            }
        }))
        .unwrap()
    }

    fn ask(
        actor: &str,
        roles: &[&str],
        action: &str,
        target: &str,
        org: &str,
        lang: Lang,
    ) -> Value {
        let (dir, _) =
            Directory::from_rows([("boss", None), ("mid", Some("boss")), ("low", Some("mid"))]);
        let mut a = Account::new(actor);
        a.organization = Some("acme".into());
        a.roles = roles.iter().map(|r| (*r).to_owned()).collect();
        let req = AuthorizeRequest {
            actor: a,
            action: action.into(),
            target: Target {
                id: target.into(),
                organization: Some(org.into()),
                ..Target::default()
            },
            change: None,
        };
        let d = authorize(
            &policy(),
            &dir,
            &req,
            Timestamp::from_unix(1_800_000_000),
            lang,
        )
        .unwrap();
        // Reading a field renders it; the rendering is the same as serialising directly.
        let direct = serde_json::to_value(&d).unwrap();
        if let Some(deny) = &d.deny {
            assert!(!deny.message.is_empty());
            assert!(!deny.params.is_empty());
        }
        assert_eq!(serde_json::to_value(&d).unwrap(), direct);
        assert_eq!(serde_json::to_value(d.clone()).unwrap(), direct);
        direct["deny"].clone()
    }

    #[test]
    fn lazy_denies_read_the_catalogue_as_eager_ones_do() {
        let reach = [Reach::scope(ScopeLevel::Own), Reach::team(2)];
        for code in [
            LazyCode::OrganizationScope,
            LazyCode::NotPermitted,
            LazyCode::ScopeInsufficient,
        ] {
            for &lang in Lang::ALL {
                let lazy = LazyDeny {
                    action: Name::new("users.read"),
                    held: reach[0],
                    needed: reach[1],
                    code,
                    lang,
                    pad: [0; 6],
                };
                let eager = Denial::render(
                    DenyKind::NotPermitted,
                    code.code(),
                    Some("r".into()),
                    lazy.params(),
                    lang,
                );
                // A `not_permitted` takes its hint from the policy (the roles granting the
                // action), passed in; the others from the catalogue.
                let given = eager.hint.clone();
                let denial = lazy.into_denial(Some("r".into()), given);
                assert_eq!(denial, eager);
                assert_eq!(
                    serde_json::to_value(&denial).unwrap(),
                    serde_json::to_value(&eager).unwrap()
                );
            }
        }
    }

    #[test]
    fn lazy_denies_render_as_eager_ones_did() {
        assert_eq!(
            ask("boss", &["hr"], "users.read", "x", "other", Lang::En),
            json!({
                "kind": "notPermitted", "code": "organization_scope",
                "message": "`users.read` in another organization needs a super administrator",
                "rule": "organizationBoundary",
                "hint": "only a super administrator reaches another organization",
                "params": {"action": "users.read"}
            })
        );
        assert_eq!(
            ask("boss", &["hr"], "users.read", "x", "other", Lang::Fr)["message"],
            json!("`users.read` dans une autre organisation exige un super administrateur")
        );
        assert_eq!(
            ask("boss", &["employee"], "users.read", "low", "acme", Lang::En),
            json!({
                "kind": "notPermitted", "code": "scope_insufficient",
                "message": "`users.read` is granted only at scope `team (depth 1)`, which does not reach this target (it needs `team (depth 2)`)",
                "rule": "role:employee#1",
                "hint": "a role granting `users.read` at scope `team (depth 2)` or wider",
                "params": {"action": "users.read", "held": "team (depth 1)", "needed": "team (depth 2)"}
            })
        );
        assert_eq!(
            ask(
                "mid",
                &["director"],
                "users.update",
                "boss",
                "acme",
                Lang::Fr
            ),
            json!({
                "kind": "notPermitted", "code": "scope_insufficient",
                "message": "`users.update` n'est accordé qu'au périmètre `team`, qui n'atteint pas cette cible (il faut `organization`)",
                "rule": "role:director#0",
                "hint": "un rôle qui accorde `users.update` au périmètre `organization` ou plus large",
                "params": {"action": "users.update", "held": "team", "needed": "organization"}
            })
        );
        assert_eq!(
            ask("boss", &["hr"], "users.update", "low", "acme", Lang::En),
            json!({
                "kind": "notPermitted", "code": "not_permitted",
                "message": "no role grants `users.update`",
                "hint": "roles granting it: `director`",
                "params": {"action": "users.update"}
            })
        );
        assert_eq!(
            ask("mid", &["employee"], "users.read", "low", "acme", Lang::En),
            Value::Null,
            "a direct report is allowed"
        );
    }
}
