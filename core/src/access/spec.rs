//! The `access` section of a policy document: roles, groups, permissions and grant rules.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::policy::{Condition, OrderedMap};

/// Roles, groups, permissions and grant rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccessSpec {
    /// The modules and their actions (`{"users": ["create", "read"]}`). Every permission's
    /// action must name one of them, so a typo is a policy error, not a silent deny.
    pub modules: OrderedMap<Vec<String>>,
    /// The roles.
    #[serde(default)]
    pub roles: OrderedMap<RoleSpec>,
    /// Groups: manual (members listed on the account) or dynamic (membership from a rule
    /// on the account's attributes, R001-05). Both grant roles.
    #[serde(default)]
    pub groups: OrderedMap<GroupSpec>,
    /// Role combinations no account may hold (R002-04).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forbidden_combinations: Vec<ForbiddenCombination>,
    /// Actions that count as reads: a `readOnly` role may only be combined with roles whose
    /// permissions are all reads. Default `["read", "list", "export"]`.
    #[serde(default = "read_actions")]
    pub read_actions: Vec<String>,
    /// Permissions whose last holder cannot be deactivated (R004-09), as `module.action`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub critical_permissions: Vec<String>,
    /// The minimum number of active roles an account must keep (R003-03). Default 0.
    #[serde(default)]
    pub min_active_roles: u32,
    /// A record field whose value is also a role the account holds (`userType`,
    /// `accountType`): creating an account with that value is granting that role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_field: Option<String>,
    /// The action that creates an account (`users.create`): it grants every role the new
    /// account starts with, so grant rules apply to it, and bulk imports are authorized
    /// as it. Without it, a bulk import item is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_action: Option<String>,
    /// The action that grants and withdraws roles (`roles.assign`): bulk role items are
    /// authorized as it. Without it, a bulk role item is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assign_action: Option<String>,
    /// The record field that holds an imported account's manager id (default `manager`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager_field: Option<String>,
    /// Attribute permissions: per field, who may view it and who may edit it. A field not
    /// listed here (or a list left out) keeps the behaviour of the actions: whoever may read
    /// (update) the account sees (edits) it. See [`FieldAccessSpec`].
    #[serde(default, skip_serializing_if = "OrderedMap::is_empty")]
    pub field_access: OrderedMap<FieldAccessSpec>,
}

fn read_actions() -> Vec<String> {
    vec!["read".into(), "list".into(), "export".into()]
}

/// One role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleSpec {
    /// Labels per language.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub label: BTreeMap<String, String>,
    /// Roles whose permissions this role also carries (R003-07). Cycles are refused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inherits: Vec<String>,
    /// The permissions.
    #[serde(default)]
    pub permissions: Vec<PermissionSpec>,
    /// An inactive role grants nothing and does not count towards `minActiveRoles`.
    #[serde(default = "yes")]
    pub active: bool,
    /// An administrator role: see `grantableBy`.
    #[serde(default)]
    pub administrator: bool,
    /// Who may grant this role (R004-02): `root` (only the root user), `administrator`
    /// (an account holding an administrator role, or root, or a super admin) or `holder`
    /// (anyone allowed `roles.assign` who holds every permission of the role: the default).
    /// Only `holder` roles are checked for privilege escalation: the other two are granted
    /// by standing, not by holding.
    #[serde(default)]
    pub grantable_by: GrantableBy,
    /// A read-only role: its permissions must all be reads, and it cannot be combined with
    /// a role that grants writes (R002-04).
    #[serde(default)]
    pub read_only: bool,
    /// The role to suggest instead when this one is refused in a combination.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggest: Option<String>,
}

fn yes() -> bool {
    true
}

/// Who may grant a role.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum GrantableBy {
    /// Anyone allowed `roles.assign` (or `users.create`) on the target who holds every
    /// permission of the role at the same or a wider scope.
    #[default]
    Holder,
    /// An administrator (an account with an administrator role), the root user or a super
    /// administrator.
    Administrator,
    /// Only the root user.
    Root,
}

/// One permission: allow or forbid an action at a data scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PermissionSpec {
    /// The action allowed: `module.action`, `module.*` or `*`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow: Option<String>,
    /// The action forbidden (beats any allow, for every scope).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forbid: Option<String>,
    /// The data scope of an allow. Default `own`.
    #[serde(default)]
    pub scope: ScopeLevel,
    /// For `team`: how many levels down the manager hierarchy (1 = direct reports, N-1);
    /// absent means the whole subtree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth: Option<u32>,
}

/// How far a permission reaches.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum ScopeLevel {
    /// The actor's own account, and resources the actor owns.
    #[default]
    Own,
    /// Accounts below the actor in the manager hierarchy (and resources they own).
    Team,
    /// Accounts and resources at the actor's location, in the actor's organisation.
    Location,
    /// Everything in the actor's organisation.
    Organization,
    /// Every organisation — but only a super administrator ever reaches another
    /// organisation: for anyone else `all` is the organisation (R000-07).
    All,
}

impl ScopeLevel {
    /// The level's stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            ScopeLevel::Own => "own",
            ScopeLevel::Team => "team",
            ScopeLevel::Location => "location",
            ScopeLevel::Organization => "organization",
            ScopeLevel::All => "all",
        }
    }
}

/// A group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GroupSpec {
    /// Labels per language.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub label: BTreeMap<String, String>,
    /// The roles members hold.
    #[serde(default)]
    pub roles: Vec<String>,
    /// For a dynamic group, the membership rule on the account's attributes (every clause
    /// must hold); absent for a manual group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<Condition>,
}

/// A forbidden role combination.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ForbiddenCombination {
    /// The roles that must not be held together (two or more).
    pub roles: Vec<String>,
    /// Why, per language.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub reason: BTreeMap<String, String>,
    /// A valid alternative to suggest (a role).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggest: Option<String>,
}

/// Who may view and who may edit one field (`access.fieldAccess.<field>`).
///
/// Each list names principals; the actor is one of them when it matches any:
///
/// - `self`: the account itself;
/// - `manager`: the account's direct manager;
/// - `team`: anyone above the account in the manager hierarchy (any depth);
/// - `role:<role>`: an actor holding that role (directly, through a group or the role
///   field), in the account's organisation;
/// - `permission:<module.action>`: an actor the policy allows that action on the account;
/// - `superAdmin`: a super administrator; `root`: the root user.
///
/// An empty list is nobody. Attribute permissions only narrow what the actions allow: they
/// never let an actor read or update an account it may not, and a field the actor may not
/// view it may not edit either. An actor whose own status grants no permissions matches no
/// principal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FieldAccessSpec {
    /// Who may see the field; absent: whoever may read the account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view: Option<Vec<String>>,
    /// Who may change the field; absent: whoever may update the account (and view the
    /// field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edit: Option<Vec<String>>,
}
