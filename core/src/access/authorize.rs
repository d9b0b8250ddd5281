//! `authorize`: one actor, one action, one target, one decision.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::compile::{CompiledAccess, CompiledPermission};
use super::directory::Directory;
use super::spec::{GrantableBy, ScopeLevel};
use crate::checks::date::Timestamp;
use crate::decision::{Decision, Denial, DenyKind};
use crate::messages::{Lang, fill};
use crate::model::Account;
use crate::policy::Policy;
use crate::violation::Params;

/// What an action is done to: a user account, or another resource (a booking, a report).
///
/// `Target::default()` is a user target with an empty id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[serde(rename_all = "camelCase")]
pub struct AuthzDecision {
    /// Allow or deny.
    pub decision: Decision,
    /// The hash of the policy that decided.
    pub policy: Arc<str>,
    /// For an allow, the rule that allowed it (`superAdmin`, `role:manager#0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Arc<str>>,
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

/// A request that cannot be decided because it is malformed for this policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AccessError {
    /// The policy has no `access` section.
    #[error("the policy has no `access` section")]
    NoAccess,
    /// The action is not `module.action` of a declared module.
    #[error("unknown action `{action}`: {reason}")]
    UnknownAction {
        /// The action as given.
        action: String,
        /// Why.
        reason: String,
    },
    /// An account or a change names a role the policy does not declare.
    #[error("unknown role `{role}` in `{at}`")]
    UnknownRole {
        /// The role.
        role: String,
        /// Where (`actor.roles`, `change.add`).
        at: String,
    },
    /// An account names a group the policy does not declare.
    #[error("unknown group `{group}` in `{at}`")]
    UnknownGroup {
        /// The group.
        group: String,
        /// Where.
        at: String,
    },
}

fn template(code: &str, lang: Lang) -> &'static str {
    match (code, lang) {
        ("actor_inactive", Lang::En) => {
            "the actor's account is `{status}` and holds no permissions"
        }
        ("actor_inactive", Lang::Fr) => {
            "le compte de l'acteur est `{status}` et n'a aucune permission"
        }
        ("organization_scope", Lang::En) => {
            "`{action}` in another organization needs a super administrator"
        }
        ("organization_scope", Lang::Fr) => {
            "`{action}` dans une autre organisation exige un super administrateur"
        }
        ("forbidden", Lang::En) => "`{action}` is forbidden by role `{role}`",
        ("forbidden", Lang::Fr) => "`{action}` est interdit par le rôle `{role}`",
        ("scope_insufficient", Lang::En) => {
            "`{action}` is granted only at scope `{held}`, which does not reach this target (it needs `{needed}`)"
        }
        ("scope_insufficient", Lang::Fr) => {
            "`{action}` n'est accordé qu'au périmètre `{held}`, qui n'atteint pas cette cible (il faut `{needed}`)"
        }
        ("not_permitted", Lang::En) => "no role grants `{action}`",
        ("not_permitted", Lang::Fr) => "aucun rôle n'accorde `{action}`",
        ("root_only", Lang::En) => "only the root user can grant role `{role}`",
        ("root_only", Lang::Fr) => "seul l'utilisateur root peut accorder le rôle `{role}`",
        ("administrator_only", Lang::En) => "only an administrator can grant role `{role}`",
        ("administrator_only", Lang::Fr) => "seul un administrateur peut accorder le rôle `{role}`",
        ("forbidden_combination", Lang::En) => "roles {roles} cannot be held together",
        ("forbidden_combination", Lang::Fr) => "les rôles {roles} ne peuvent pas être cumulés",
        ("read_only_conflict", Lang::En) => {
            "read-only role `{role}` cannot be combined with `{other}`, which grants write actions"
        }
        ("read_only_conflict", Lang::Fr) => {
            "le rôle en lecture seule `{role}` ne peut pas être combiné avec `{other}`, qui accorde des écritures"
        }
        ("no_active_role", Lang::En) => "an account must keep at least {min} active role(s)",
        ("no_active_role", Lang::Fr) => "un compte doit garder au moins {min} rôle(s) actif(s)",
        ("privilege_escalation", Lang::En) => {
            "you cannot grant `{permission}` (in role `{role}`) because you do not hold it"
        }
        ("privilege_escalation", Lang::Fr) => {
            "vous ne pouvez pas accorder `{permission}` (rôle `{role}`) car vous ne le détenez pas"
        }
        (_, Lang::Fr) => "refusé",
        (_, Lang::En) => "denied",
    }
}

pub(crate) fn denial(
    kind: DenyKind,
    code: &str,
    params: Params,
    rule: Option<Arc<str>>,
    hint: Option<String>,
    lang: Lang,
) -> Denial {
    Denial {
        kind,
        code: code.to_owned(),
        message: fill(template(code, lang), &params, lang),
        rule,
        hint,
        params,
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
        None => (account.status == "active", account.status.as_str()),
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
    fn field(&self, key: &str) -> Option<std::borrow::Cow<'a, Value>> {
        use std::borrow::Cow;
        let s = |v: Option<&str>| v.map(|x| Cow::Owned(Value::String(x.to_owned())));
        match key {
            "id" => s(Some(self.id)),
            "organization" => s(self.organization),
            "location" => s(self.location),
            "manager" => s(self.manager),
            "status" => s(self.status),
            "superAdmin" => Some(Cow::Owned(Value::Bool(self.super_admin))),
            _ => self.attributes.get(key).map(Cow::Borrowed),
        }
    }

    /// Does a group rule hold? Every clause given must hold (see [`Condition`]).
    ///
    /// [`Condition`]: crate::policy::Condition
    fn meets(&self, c: &crate::policy::Condition) -> bool {
        c.field.is_some() && crate::validate::condition_holds_by(c, None, |f| self.field(f))
    }
}

/// The roles an account holds: direct roles, roles of its manual groups and of the
/// dynamic groups whose rule it meets, and the role named by the policy's `roleField`;
/// inactive roles excluded. Indices into the compiled roles, sorted, without duplicates.
///
/// # Errors
/// [`AccessError::UnknownRole`] / [`AccessError::UnknownGroup`] when the account names
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
}

pub(crate) fn roles_of(
    access: &CompiledAccess,
    t: Subject<'_>,
    direct: &[String],
    at: &str,
) -> Result<Vec<usize>, AccessError> {
    let mut out: Vec<usize> = Vec::with_capacity(direct.len() + 2);
    for r in direct {
        match access.role(r) {
            Some((i, _)) => out.push(i),
            None => {
                return Err(AccessError::UnknownRole {
                    role: r.clone(),
                    at: at.to_owned(),
                });
            }
        }
    }
    if let Some(field) = &access.spec.role_field
        && let Some(Value::String(v)) = t.attributes.get(field)
        && let Some((i, _)) = access.role(v.trim())
    {
        out.push(i);
    }
    for g in t.groups {
        match access
            .group_index
            .get(g)
            .and_then(|&i| access.groups.get(i))
        {
            Some(group) if group.rule.is_none() => out.extend(group.roles.iter().copied()),
            // A dynamic group's membership is its rule's, not a list's.
            Some(_) => {}
            None => {
                return Err(AccessError::UnknownGroup {
                    group: g.clone(),
                    at: "groups".to_owned(),
                });
            }
        }
    }
    for g in &access.groups {
        if let Some(rule) = &g.rule
            && t.meets(rule)
        {
            out.extend(g.roles.iter().copied());
        }
    }
    out.retain(|&i| access.roles.get(i).is_some_and(|r| r.active));
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Parses `module.action` against the declared modules.
pub(crate) fn parse_action<'a>(
    access: &CompiledAccess,
    action: &'a str,
) -> Result<(&'a str, &'a str), AccessError> {
    let Some((module, act)) = action.split_once('.') else {
        return Err(AccessError::UnknownAction {
            action: action.chars().take(128).collect(),
            reason: "write `module.action`".into(),
        });
    };
    if !access.has_action(module, act) {
        let reason = match access.spec.modules.get(module) {
            None => format!("`{module}` is not a declared module"),
            Some(acts) => format!(
                "module `{module}` has the actions {}",
                acts.iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        return Err(AccessError::UnknownAction {
            action: action.chars().take(128).collect(),
            reason,
        });
    }
    Ok((module, act))
}

/// Whether `actor` and `target` are in the same organisation (or the target is the actor).
pub(crate) fn same_organization(actor: &Account, target: &Target) -> bool {
    (target.is_user() && target.id == actor.id)
        || (actor.organization.is_some() && actor.organization == target.organization)
}

/// Does permission `p` (held by `actor`) reach `target`? The organisation was checked.
pub(crate) fn reaches(
    p: &CompiledPermission,
    actor: &Account,
    target: &Target,
    dir: &Directory,
) -> bool {
    match p.scope {
        ScopeLevel::All | ScopeLevel::Organization => true,
        ScopeLevel::Location => actor.location.is_some() && actor.location == target.location,
        ScopeLevel::Own => target.subject() == Some(actor.id.as_str()),
        ScopeLevel::Team => match target.subject() {
            Some(s) => {
                let manager = if target.is_user() {
                    target.manager.as_deref()
                } else {
                    None
                };
                dir.is_below(&actor.id, s, manager, p.depth)
            }
            None => false,
        },
    }
}

/// The narrowest scope that would reach `target`, for hints.
fn needed_scope(actor: &Account, target: &Target, dir: &Directory) -> String {
    if target.subject() == Some(actor.id.as_str()) {
        return "own".into();
    }
    if let Some(s) = target.subject() {
        let manager = if target.is_user() {
            target.manager.as_deref()
        } else {
            None
        };
        if let Some(d) = dir.levels_below(&actor.id, s, manager) {
            return if d == 1 {
                "team (depth 1)".into()
            } else {
                format!("team (depth {d})")
            };
        }
    }
    if actor.location.is_some() && actor.location == target.location {
        return "location".into();
    }
    "organization".into()
}

fn describe(p: &CompiledPermission) -> String {
    match (p.scope, p.depth) {
        (ScopeLevel::Team, Some(d)) => format!("team (depth {d})"),
        (s, _) => s.as_str().to_owned(),
    }
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
    let access = policy.access().ok_or(AccessError::NoAccess)?;
    let (module, act) = parse_action(access, &req.action)?;
    let actor = &req.actor;
    let target = &req.target;
    let deny = |d: Denial| AuthzDecision {
        decision: Decision::Deny,
        policy: policy.hash_arc(),
        reason: None,
        scope: None,
        deny: Some(d),
    };

    let actor_roles = roles_of(
        access,
        Subject::of_account(actor),
        &actor.roles,
        "actor.roles",
    )?;
    let (grants, status) = status_grants(policy, actor, now);
    if !grants {
        let p = params([("status", Value::String(status.to_owned()))]);
        return Ok(deny(denial(
            DenyKind::InvalidState,
            "actor_inactive",
            p,
            Some("status".into()),
            Some("reactivate the actor's account".into()),
            lang,
        )));
    }

    let mut allowed: Option<(Arc<str>, Option<ScopeLevel>)> = None;
    if actor.root {
        allowed = Some(("root".into(), None));
    } else if actor.super_admin {
        allowed = Some(("superAdmin".into(), None));
    } else {
        if !same_organization(actor, target) {
            let p = params([("action", Value::String(req.action.clone()))]);
            return Ok(deny(denial(
                DenyKind::NotPermitted,
                "organization_scope",
                p,
                Some("organizationBoundary".into()),
                Some("only a super administrator reaches another organization".into()),
                lang,
            )));
        }
        let perms = || {
            actor_roles
                .iter()
                .filter_map(|&i| access.roles.get(i))
                .flat_map(|r| r.permissions.iter())
        };
        if let Some(f) = perms().find(|p| p.forbid && p.pattern.matches(module, act)) {
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
            return Ok(deny(denial(
                DenyKind::Forbidden,
                "forbidden",
                p,
                Some(Arc::clone(&f.rule)),
                None,
                lang,
            )));
        }
        let mut held: Option<&CompiledPermission> = None;
        for p in perms().filter(|p| !p.forbid && p.pattern.matches(module, act)) {
            if reaches(p, actor, target, dir) {
                allowed = Some((Arc::clone(&p.rule), Some(p.scope)));
                break;
            }
            if held.is_none_or(|h| p.scope_covers(h)) {
                held = Some(p);
            }
        }
        if allowed.is_none() {
            let d = match held {
                Some(h) => {
                    let needed = needed_scope(actor, target, dir);
                    let p = params([
                        ("action", Value::String(req.action.clone())),
                        ("held", Value::String(describe(h))),
                        ("needed", Value::String(needed.clone())),
                    ]);
                    denial(
                        DenyKind::NotPermitted,
                        "scope_insufficient",
                        p,
                        Some(Arc::clone(&h.rule)),
                        Some(format!(
                            "a role granting `{}` at scope `{needed}` or wider",
                            req.action
                        )),
                        lang,
                    )
                }
                None => {
                    let granting: Vec<String> = access
                        .roles
                        .iter()
                        .filter(|r| {
                            r.active
                                && r.permissions
                                    .iter()
                                    .any(|p| !p.forbid && p.pattern.matches(module, act))
                        })
                        .map(|r| format!("`{}`", r.id))
                        .take(5)
                        .collect();
                    let hint = (!granting.is_empty())
                        .then(|| format!("roles granting it: {}", granting.join(", ")));
                    let p = params([("action", Value::String(req.action.clone()))]);
                    denial(DenyKind::NotPermitted, "not_permitted", p, None, hint, lang)
                }
            };
            return Ok(deny(d));
        }
    }

    if let Some(d) = check_grants(access, actor, &actor_roles, req, lang)? {
        return Ok(deny(d));
    }
    let (reason, scope) = allowed.unwrap_or_else(|| ("root".into(), None));
    Ok(AuthzDecision {
        decision: Decision::Allow,
        policy: policy.hash_arc(),
        reason: Some(reason),
        scope,
        deny: None,
    })
}

/// Grant rules for an action that gives the target roles. `None` when they pass.
fn check_grants(
    access: &CompiledAccess,
    actor: &Account,
    actor_roles: &[usize],
    req: &AuthorizeRequest,
    lang: Lang,
) -> Result<Option<Denial>, AccessError> {
    let target = &req.target;
    let creating = req.action == "users.create";
    let change = req.change.clone().unwrap_or_default();
    if !creating && req.change.is_none() {
        return Ok(None);
    }
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
    };
    let mut granted: Vec<usize> = Vec::new();
    for r in &change.add {
        match access.role(r) {
            Some((i, _)) => granted.push(i),
            None => {
                return Err(AccessError::UnknownRole {
                    role: r.clone(),
                    at: "change.add".into(),
                });
            }
        }
    }
    let mut removed: Vec<usize> = Vec::new();
    for r in &change.remove {
        match access.role(r) {
            Some((i, _)) => removed.push(i),
            None => {
                return Err(AccessError::UnknownRole {
                    role: r.clone(),
                    at: "change.remove".into(),
                });
            }
        }
    }
    if creating {
        // Creating an account grants every role it starts with.
        granted.extend(roles_of(
            access,
            Subject::of_target(target),
            &target.roles,
            "target.roles",
        )?);
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

    let actor_is_admin = actor.root
        || actor.super_admin
        || actor_roles
            .iter()
            .any(|&i| access.roles.get(i).is_some_and(|r| r.administrator));
    for &g in &granted {
        let Some(role) = access.roles.get(g) else {
            continue;
        };
        let p = params([("role", Value::String(role.id.clone()))]);
        match role.grantable_by {
            GrantableBy::Root if !actor.root => {
                return Ok(Some(denial(
                    DenyKind::Forbidden,
                    "root_only",
                    p,
                    Some(format!("grant:{}", role.id).into()),
                    Some("ask the root user".into()),
                    lang,
                )));
            }
            GrantableBy::Administrator if !actor_is_admin => {
                return Ok(Some(denial(
                    DenyKind::Forbidden,
                    "administrator_only",
                    p,
                    Some(format!("grant:{}", role.id).into()),
                    Some("ask an administrator".into()),
                    lang,
                )));
            }
            _ => {}
        }
    }
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
            let hint = c.suggest.as_ref().map(|s| format!("assign `{s}` instead"));
            if let Some(s) = &c.suggest {
                p.insert("suggest".into(), Value::String(s.clone()));
            }
            let mut d = denial(
                DenyKind::Forbidden,
                "forbidden_combination",
                p,
                Some("forbiddenCombination".into()),
                hint,
                lang,
            );
            if let Some(Value::String(reason)) = d.params.get("reason") {
                d.message = format!("{}: {reason}", d.message);
            }
            return Ok(Some(d));
        }
    }
    for &ro in &after {
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
            let hint = Some(match suggest {
                Some(s) => format!("assign `{s}` instead, or keep `{}` alone", r.id),
                None => format!("keep `{}` alone", r.id),
            });
            return Ok(Some(denial(
                DenyKind::Forbidden,
                "read_only_conflict",
                p,
                Some(format!("readOnly:{}", r.id).into()),
                hint,
                lang,
            )));
        }
    }
    let min = access.spec.min_active_roles as usize;
    if min > 0 && after.len() < min {
        let p = params([("min", Value::from(min))]);
        return Ok(Some(denial(
            DenyKind::Forbidden,
            "no_active_role",
            p,
            Some("minActiveRoles".into()),
            Some("assign another active role first".into()),
            lang,
        )));
    }
    if !(actor.root || actor.super_admin) {
        let held: Vec<&CompiledPermission> = actor_roles
            .iter()
            .filter_map(|&i| access.roles.get(i))
            .flat_map(|r| r.permissions.iter())
            .filter(|p| !p.forbid)
            .collect();
        for &g in &granted {
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
                    return Ok(Some(denial(
                        DenyKind::Forbidden,
                        "privilege_escalation",
                        pr,
                        Some(Arc::clone(&p.rule)),
                        Some("ask someone who holds that permission".into()),
                        lang,
                    )));
                }
            }
        }
    }
    Ok(None)
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
    let access = policy.access().ok_or(AccessError::NoAccess)?;
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
    let access = policy.access().ok_or(AccessError::NoAccess)?;
    let mut out = Vec::new();
    let mut req = AuthorizeRequest {
        actor: actor.clone(),
        action: String::new(),
        target: target.clone(),
        change: None,
    };
    for action in actions {
        let declared = action
            .split_once('.')
            .is_some_and(|(m, a)| access.has_action(m, a));
        if !declared {
            continue;
        }
        action.clone_into(&mut req.action);
        if authorize(policy, dir, &req, now, Lang::En)?.allowed() {
            out.push(req.action.clone());
        }
    }
    Ok(out)
}
