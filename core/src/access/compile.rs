//! Checking and compiling the access section: role inheritance flattened once, actions
//! parsed once, so a decision is a few comparisons.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use serde_json::Value;

use super::spec::{AccessSpec, GrantableBy, PermissionSpec, ScopeLevel};
use crate::decision::{DenyCode, Name, PolicyHash};
use crate::hierarchy::same;
use crate::messages::{self, Lang};
use crate::policy::{Condition, PolicyDocument, PolicyError, limits};
use crate::violation::Params;

/// Largest number of permissions after inheritance is flattened: 100,000.
pub const MAX_FLATTENED_PERMISSIONS: usize = 100_000;

/// `module.action` with wildcards, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ActionPattern {
    /// `None` for `*`.
    pub(crate) module: Option<String>,
    /// `None` for `*`.
    pub(crate) action: Option<String>,
}

impl ActionPattern {
    pub(crate) fn matches(&self, module: &str, action: &str) -> bool {
        self.module.as_deref().is_none_or(|m| m == module)
            && self.action.as_deref().is_none_or(|a| a == action)
    }

    /// Does `self` cover every action `other` covers?
    pub(crate) fn covers(&self, other: &ActionPattern) -> bool {
        let m = match (&self.module, &other.module) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(a), Some(b)) => a == b,
        };
        let a = match (&self.action, &other.action) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(a), Some(b)) => a == b,
        };
        m && a
    }

    pub(crate) fn render(&self) -> String {
        format!(
            "{}.{}",
            self.module.as_deref().unwrap_or("*"),
            self.action.as_deref().unwrap_or("*")
        )
    }
}

/// A permission after compilation.
#[derive(Debug, Clone)]
pub(crate) struct CompiledPermission {
    pub(crate) forbid: bool,
    pub(crate) pattern: ActionPattern,
    pub(crate) scope: ScopeLevel,
    pub(crate) depth: Option<u32>,
    /// `role:<id>#<n>`, naming the role that declared it.
    pub(crate) rule: Arc<str>,
    /// The same, as decisions carry it.
    pub(crate) name: Name,
    /// The declared actions the pattern matches, as positions (see
    /// [`CompiledAccess::action_index`]): a pattern matches one action, one module's actions
    /// or every action, which are consecutive positions.
    pub(crate) actions: std::ops::Range<usize>,
}

impl CompiledPermission {
    /// Whether the pattern matches the declared action at position `action`.
    #[inline]
    pub(crate) fn matches_action(&self, action: usize) -> bool {
        self.actions.contains(&action)
    }

    /// How far this grant reaches, for naming the widest one an actor holds in a deny: own,
    /// then team (deeper is wider, unlimited widest), location, organisation, all. Own and
    /// team are incomparable on some directories ([`Self::scope_covers`]); a deny names the
    /// team grant, the one that reaches other people.
    pub(crate) fn reach_rank(&self) -> (u8, u32) {
        match self.scope {
            ScopeLevel::Own => (0, 0),
            ScopeLevel::Team => (1, self.depth.unwrap_or(u32::MAX)),
            ScopeLevel::Location => (2, 0),
            ScopeLevel::Organization => (3, 0),
            ScopeLevel::All => (4, 0),
        }
    }

    /// Does this allow reach at least as far as `other`, on every directory?
    pub(crate) fn scope_covers(&self, other: &CompiledPermission) -> bool {
        use ScopeLevel::*;
        match (self.scope, other.scope) {
            (All, _) => true,
            (Organization, All) => false,
            (Organization, _) => true,
            (Location, Location) => true,
            (Own, Own) => true,
            (Team, Team) => match (self.depth, other.depth) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some(a), Some(b)) => a >= b,
            },
            _ => false,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledRole {
    pub(crate) id: String,
    pub(crate) active: bool,
    pub(crate) administrator: bool,
    pub(crate) grantable_by: GrantableBy,
    pub(crate) read_only: bool,
    pub(crate) suggest: Option<String>,
    /// Own and inherited permissions.
    pub(crate) permissions: Vec<CompiledPermission>,
    /// Whether any allow is not a read.
    pub(crate) writes: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledGroup {
    pub(crate) roles: Vec<usize>,
    pub(crate) rule: Option<Condition>,
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledCombination {
    pub(crate) roles: Vec<usize>,
    pub(crate) reason: std::collections::BTreeMap<String, String>,
    pub(crate) suggest: Option<String>,
}

/// A declared action, compiled.
#[derive(Debug, Clone)]
pub(crate) struct CompiledAction {
    /// `module.action`.
    pub(crate) name: Arc<str>,
    /// The same, as decisions carry it.
    pub(crate) label: Name,
    /// The hint of a `not_permitted` deny of this action (the roles granting it), computed
    /// on first need.
    /// Per built-in language (`Lang::ALL`'s order), computed on first use.
    not_permitted_hint: [OnceLock<Option<Arc<str>>>; 4],
}

/// The rule names decisions carry that do not come from the document, made once.
#[derive(Debug, Clone)]
pub(crate) struct FixedRules {
    /// `root`.
    pub(crate) root: Name,
    /// `superAdmin`.
    pub(crate) super_admin: Name,
    /// `organizationBoundary`.
    pub(crate) organization_boundary: Name,
    /// `status`.
    pub(crate) status: Name,
}

impl Default for FixedRules {
    fn default() -> Self {
        FixedRules {
            root: "root".into(),
            super_admin: "superAdmin".into(),
            organization_boundary: "organizationBoundary".into(),
            status: "status".into(),
        }
    }
}

/// Up to this many roles (actions), a role (an action) is found by comparing names rather
/// than hashing.
const SCAN: usize = 16;

/// The compiled access model of a policy.
#[derive(Debug, Clone)]
pub struct CompiledAccess {
    pub(crate) spec: AccessSpec,
    pub(crate) roles: Vec<CompiledRole>,
    pub(crate) role_index: HashMap<String, usize>,
    pub(crate) groups: Vec<CompiledGroup>,
    pub(crate) group_index: HashMap<String, usize>,
    pub(crate) combinations: Vec<CompiledCombination>,
    pub(crate) critical: Vec<ActionPattern>,
    /// Every declared action, module by module, in declaration order.
    pub(crate) actions: Vec<CompiledAction>,
    /// The position of every declared action by name, for policies of more than
    /// [`SCAN`] actions.
    action_lookup: HashMap<Arc<str>, usize>,
    /// Bit `i` is set when role `i` is active (policies of up to 128 roles).
    pub(crate) active_roles: u128,
    /// Rule names shared by decisions.
    pub(crate) rules: FixedRules,
    /// The policy's hash as decisions carry it, made on first need (the hash is computed
    /// after the access section is compiled).
    policy_name: OnceLock<PolicyHash>,
    /// Attribute permissions (`fieldAccess`), in declaration order.
    pub(crate) field_rules: Vec<super::fields::FieldRule>,
}

impl CompiledAccess {
    /// The role ids, in declaration order.
    pub fn role_ids(&self) -> impl Iterator<Item = &str> {
        self.roles.iter().map(|r| r.id.as_str())
    }

    /// The group ids, in declaration order.
    pub fn group_ids(&self) -> impl Iterator<Item = &str> {
        self.spec.groups.iter().map(|(id, _)| id)
    }

    /// Whether group `id` is dynamic (its membership is its rule's, never a list's);
    /// `None` when the policy declares no such group.
    pub fn is_dynamic_group(&self, id: &str) -> Option<bool> {
        self.group_index
            .get(id)
            .and_then(|&i| self.groups.get(i))
            .map(|g| g.rule.is_some())
    }

    /// Whether the action named `name` (`module.action`) is declared.
    pub fn declares(&self, name: &str) -> bool {
        self.action_by_name(name).is_some()
    }

    /// Whether `module.action` is declared.
    pub fn has_action(&self, module: &str, action: &str) -> bool {
        self.action_index(module, action).is_some()
    }

    /// The position of `module.action` among the declared actions.
    pub(crate) fn action_index(&self, module: &str, action: &str) -> Option<usize> {
        let mut base = 0;
        for (m, actions) in self.spec.modules.iter() {
            if m == module {
                return actions.iter().position(|a| a == action).map(|i| base + i);
            }
            base += actions.len();
        }
        None
    }

    /// The position of the declared action named `name` (`module.action`).
    #[inline]
    pub(crate) fn action_by_name(&self, name: &str) -> Option<usize> {
        if self.actions.len() <= SCAN {
            self.actions.iter().position(|a| same(&a.name, name))
        } else {
            self.action_lookup.get(name).copied()
        }
    }

    /// The name (`module.action`) of the declared action at `index`, as decisions carry it.
    pub(crate) fn action_label(&self, index: usize) -> Option<&Name> {
        self.actions.get(index).map(|a| &a.label)
    }

    /// The hint of a `not_permitted` deny of the declared action at `index`: the first five
    /// active roles that grant it, if any.
    pub(crate) fn not_permitted_hint(&self, index: usize, lang: Lang) -> Option<&Arc<str>> {
        let action = self.actions.get(index)?;
        let lang = lang.builtin();
        let slot = Lang::ALL.iter().position(|l| *l == lang).unwrap_or(0);
        action
            .not_permitted_hint
            .get(slot)?
            .get_or_init(|| {
                let (module, act) = action.name.split_once('.')?;
                let granting: Vec<String> = self
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
                if granting.is_empty() {
                    return None;
                }
                // The params the hint is worded from; `granting` is not a param of the deny.
                let params: Params = [
                    ("action", Value::String(action.name.to_string())),
                    ("granting", Value::String(granting.join(", "))),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect();
                // Computed once per action and language.
                messages::deny_hint(DenyCode::NotPermitted, &params, lang).map(Into::into)
            })
            .as_ref()
    }

    /// The hash of `policy` (the policy this access section belongs to) as a [`Name`].
    pub(crate) fn policy_name(&self, policy: &crate::policy::Policy) -> &PolicyHash {
        self.policy_name
            .get_or_init(|| PolicyHash::new(policy.hash()))
    }

    /// The position of role `id`.
    #[inline]
    pub(crate) fn role_position(&self, id: &str) -> Option<usize> {
        if self.roles.len() <= SCAN {
            self.roles.iter().position(|r| same(&r.id, id))
        } else {
            self.role_index.get(id).copied()
        }
    }

    /// Whether the policy declares attribute permissions (`access.fieldAccess`): without
    /// them, [`field_access`](super::field_access) hides nothing and locks nothing.
    pub fn has_field_access(&self) -> bool {
        !self.field_rules.is_empty()
    }

    /// Whether the roles an account holds may depend on its `field` (`status`,
    /// `department`): a dynamic group's rule reads it, or it is the policy's `roleField`.
    /// A change of it may then give or take roles.
    pub fn roles_depend_on(&self, field: &str) -> bool {
        self.spec.role_field.as_deref() == Some(field)
            || self
                .groups
                .iter()
                .any(|g| g.rule.as_ref().and_then(|r| r.field.as_deref()) == Some(field))
    }

    /// The critical permissions (R004-09), as `module.action` text.
    pub fn critical_permissions(&self) -> &[String] {
        &self.spec.critical_permissions
    }

    pub(crate) fn role(&self, id: &str) -> Option<(usize, &CompiledRole)> {
        let i = self.role_position(id)?;
        self.roles.get(i).map(|r| (i, r))
    }

    pub(crate) fn is_read(&self, pattern: &ActionPattern) -> bool {
        pattern
            .action
            .as_deref()
            .is_some_and(|a| self.spec.read_actions.iter().any(|r| r == a))
    }
}

/// Why a name is not a declared `module.action` ([`declared_action`]): the reason, and
/// help naming what is declared, if anything.
pub(crate) struct Undeclared {
    reason: String,
    help: Option<String>,
}

impl Undeclared {
    /// As a [`PolicyError`] at `path` (a policy's reference to an action).
    pub(crate) fn at(self, path: impl Into<String>) -> PolicyError {
        let e = PolicyError::invalid(path, self.reason);
        match self.help {
            Some(help) => e.with_help(help),
            None => e,
        }
    }

    /// The reason and the help in one sentence (a request's action: [`AccessError`]'s
    /// reason).
    ///
    /// [`AccessError`]: super::AccessError
    pub(crate) fn sentence(self) -> String {
        match self.help {
            Some(help) => format!("{}: {help}", self.reason),
            None => self.reason,
        }
    }
}

/// `text` as the declared action it names, its module and its action; or why it is none.
/// The one test of an action's name against the declared modules: a policy's action
/// patterns ([`parse_pattern`]), its `createAction` and `assignAction`, its attribute
/// permissions (`permission:`), a transition's `by.permission`, and a request's action
/// (the reason it is refused with; a declared one is found by its position).
pub(crate) fn declared_action<'a>(
    spec: &AccessSpec,
    text: &'a str,
) -> Result<(&'a str, &'a str), Undeclared> {
    let Some((module, action)) = text.split_once('.') else {
        return Err(Undeclared {
            reason: format!(
                "`{}` is not an action: write `module.action`",
                text.chars().take(128).collect::<String>()
            ),
            help: None,
        });
    };
    let Some(actions) = spec.modules.get(module) else {
        let known: Vec<String> = spec
            .modules
            .keys()
            .take(20)
            .map(|k| format!("`{k}`"))
            .collect();
        return Err(Undeclared {
            reason: format!(
                "`{}` is not a declared module",
                module.chars().take(128).collect::<String>()
            ),
            help: Some(format!("modules are {}", known.join(", "))),
        });
    };
    if !actions.iter().any(|a| a == action) {
        let known: Vec<String> = actions.iter().take(20).map(|k| format!("`{k}`")).collect();
        return Err(Undeclared {
            reason: format!(
                "`{}` is not an action of module `{module}`",
                action.chars().take(128).collect::<String>()
            ),
            help: Some(format!("its actions are {}", known.join(", "))),
        });
    }
    Ok((module, action))
}

/// Parses `module.action`, `module.*` or `*` and checks it against the declared modules
/// ([`declared_action`]; `module.*` names a declared module).
pub(crate) fn parse_pattern(
    spec: &AccessSpec,
    path: &str,
    text: &str,
) -> Result<ActionPattern, PolicyError> {
    if text == "*" {
        return Ok(ActionPattern {
            module: None,
            action: None,
        });
    }
    if let Some(module) = text.strip_suffix(".*")
        && spec.modules.contains_key(module)
    {
        return Ok(ActionPattern {
            module: Some(module.to_owned()),
            action: None,
        });
    }
    let (module, action) = declared_action(spec, text).map_err(|u| {
        if text.contains('.') {
            u.at(path)
        } else {
            Undeclared {
                reason: format!(
                    "`{}` is not an action: write `module.action`, `module.*` or `*`",
                    text.chars().take(128).collect::<String>()
                ),
                help: None,
            }
            .at(path)
        }
    })?;
    Ok(ActionPattern {
        module: Some(module.to_owned()),
        action: Some(action.to_owned()),
    })
}

/// The positions of the declared actions `pattern` matches (declared actions are numbered
/// module by module, in declaration order).
fn action_range(spec: &AccessSpec, pattern: &ActionPattern) -> std::ops::Range<usize> {
    let mut base = 0;
    for (m, actions) in spec.modules.iter() {
        match (&pattern.module, &pattern.action) {
            (Some(pm), Some(pa)) if pm == m => {
                return match actions.iter().position(|a| a == pa) {
                    Some(i) => base + i..base + i + 1,
                    None => 0..0,
                };
            }
            (Some(pm), None) if pm == m => return base..base + actions.len(),
            _ => base += actions.len(),
        }
    }
    match pattern.module {
        None => 0..base,
        Some(_) => 0..0,
    }
}

fn compile_permission(
    spec: &AccessSpec,
    path: &str,
    p: &PermissionSpec,
    rule: Arc<str>,
) -> Result<CompiledPermission, PolicyError> {
    let (text, forbid) = match (&p.allow, &p.forbid) {
        (Some(a), None) => (a, false),
        (None, Some(f)) => (f, true),
        _ => {
            return Err(PolicyError::invalid(
                path,
                "a permission has exactly one of `allow` and `forbid`",
            ));
        }
    };
    if p.depth.is_some() && p.scope != ScopeLevel::Team {
        return Err(PolicyError::invalid(
            format!("{path}.depth"),
            "`depth` applies only to scope `team`",
        ));
    }
    if p.depth == Some(0) {
        return Err(PolicyError::invalid(
            format!("{path}.depth"),
            "`depth` must be at least 1 (1 = direct reports)",
        ));
    }
    if forbid && (p.scope != ScopeLevel::Own || p.depth.is_some()) {
        return Err(PolicyError::invalid(
            format!("{path}.scope"),
            "a `forbid` applies to every scope and takes no `scope`",
        ));
    }
    let key = if forbid { "forbid" } else { "allow" };
    let pattern = parse_pattern(spec, &format!("{path}.{key}"), text)?;
    Ok(CompiledPermission {
        forbid,
        actions: action_range(spec, &pattern),
        pattern,
        scope: p.scope,
        depth: p.depth,
        name: Name::from(&rule),
        rule,
    })
}

fn check_condition(doc: &PolicyDocument, path: &str, c: &Condition) -> Result<(), PolicyError> {
    let Some(field) = &c.field else {
        return Err(PolicyError::invalid(path, "a group rule needs a `field`"));
    };
    if c.mode.is_some() {
        return Err(PolicyError::invalid(
            format!("{path}.mode"),
            "a group rule cannot depend on the operation",
        ));
    }
    if c.one_of.is_none() && c.present.is_none() {
        return Err(PolicyError::invalid(
            path,
            "a group rule needs `in` or `present`",
        ));
    }
    let builtin = [
        "id",
        "organization",
        "status",
        "manager",
        "location",
        "superAdmin",
    ];
    if !builtin.contains(&field.as_str()) && !doc.fields.contains_key(field) {
        return Err(PolicyError::invalid(
            format!("{path}.field"),
            format!("`{field}` is not a field of the schema"),
        ));
    }
    if field == "status" {
        check_status_rule(doc, path, c)?;
    }
    Ok(())
}

/// A group rule on the status names no status an account leaves by itself or enters
/// without an actor: a temporary one (its stored status stays until the account is next
/// written, while it counts as returned: the group's roles would outlive it, or be given
/// to an account that came back from elsewhere) and the lockout's (failed sign-ins, which
/// anybody can make, would give the group's roles).
fn check_status_rule(doc: &PolicyDocument, path: &str, c: &Condition) -> Result<(), PolicyError> {
    let Some(lc) = &doc.lifecycle else {
        return Ok(());
    };
    let lock = lc.lockout.as_ref().and_then(|l| l.status.as_deref());
    for (i, v) in c.one_of.iter().flatten().enumerate() {
        let Some(status) = v.as_str() else { continue };
        let temporary = lc
            .statuses
            .get(status)
            .is_some_and(|s| s.temporary.is_some());
        if temporary || lock == Some(status) {
            let what = if temporary {
                "is temporary: an account leaves it by itself, and its roles would outlive it"
            } else {
                "is the lockout's: failed sign-ins, which anybody can make, would give its roles"
            };
            return Err(PolicyError::invalid(
                format!("{path}.in[{i}]"),
                format!("a group's rule cannot read status `{status}`, which {what}"),
            ));
        }
    }
    Ok(())
}

/// Checks and compiles the access section.
///
/// # Errors
/// A [`PolicyError`] naming the key path: an undeclared module or action, an unknown role,
/// a role inheritance cycle, a read-only role with a write permission, a forbidden
/// combination of fewer than two roles, a limit exceeded.
pub fn compile(spec: &AccessSpec, doc: &PolicyDocument) -> Result<CompiledAccess, PolicyError> {
    check_list_limits(spec)?;
    check_modules(spec)?;
    check_schema_field(doc, "access.roleField", spec.role_field.as_deref())?;
    check_declared_actions(spec)?;
    check_schema_field(doc, "access.managerField", spec.manager_field.as_deref())?;
    let role_index: HashMap<String, usize> = spec
        .roles
        .keys()
        .enumerate()
        .map(|(i, k)| (k.to_owned(), i))
        .collect();
    let (own, parents) = compile_own_permissions(spec, &role_index)?;
    let order = inheritance_order(spec, &parents)?;
    let flat = flatten_permissions(&own, &parents, &order)?;
    let mut access = new_access(spec, role_index);
    compile_roles(&mut access, spec, flat)?;
    compile_groups(&mut access, spec, doc)?;
    compile_combinations(&mut access, spec)?;
    // More active roles than the policy has could never be held: every account would be
    // refused every change to its roles.
    if spec.min_active_roles as usize > spec.roles.len() {
        return Err(PolicyError::invalid(
            "access.minActiveRoles",
            format!(
                "{} active roles asked, and the policy declares {}",
                spec.min_active_roles,
                spec.roles.len()
            ),
        ));
    }
    compile_critical(&mut access, spec)?;
    super::fields::compile_field_access(&mut access, spec, doc)?;
    Ok(access)
}

/// The top-level lists of the access section hold at most [`limits::MAX_LIST`] entries.
fn check_list_limits(spec: &AccessSpec) -> Result<(), PolicyError> {
    for (len, path) in [
        (spec.modules.len(), "access.modules"),
        (spec.roles.len(), "access.roles"),
        (spec.groups.len(), "access.groups"),
        (
            spec.forbidden_combinations.len(),
            "access.forbiddenCombinations",
        ),
        (
            spec.critical_permissions.len(),
            "access.criticalPermissions",
        ),
    ] {
        if len > limits::MAX_LIST {
            return Err(PolicyError::limit(
                path,
                "the number of entries",
                limits::MAX_LIST,
            ));
        }
    }
    Ok(())
}

/// `access.modules`: every module and action name is valid (not empty, no `.`, not `*`,
/// not too long).
fn check_modules(spec: &AccessSpec) -> Result<(), PolicyError> {
    for (m, actions) in spec.modules.iter() {
        let path = format!("access.modules.{m}");
        if m.is_empty() || m.contains('.') || m == "*" || m.len() > limits::MAX_NAME_BYTES {
            return Err(PolicyError::invalid(
                path,
                format!("`{m}` is not a valid module name"),
            ));
        }
        // No invisible or control character: a name that looks like another is not one.
        crate::policy::check_name(&path, m)?;
        for (i, a) in actions.iter().enumerate() {
            let at = format!("{path}[{i}]");
            if a.is_empty() || a.contains('.') || a == "*" || a.len() > limits::MAX_NAME_BYTES {
                return Err(PolicyError::invalid(
                    at,
                    format!("`{a}` is not a valid action name"),
                ));
            }
            crate::policy::check_name(&at, a)?;
            if actions.get(..i).is_some_and(|before| before.contains(a)) {
                return Err(PolicyError::invalid(
                    at,
                    format!("module `{m}` declares the action `{a}` twice"),
                ));
            }
        }
    }
    Ok(())
}

/// A key naming a field (`access.roleField`, `access.managerField`), when set, names a
/// field of the schema.
fn check_schema_field(
    doc: &PolicyDocument,
    path: &str,
    field: Option<&str>,
) -> Result<(), PolicyError> {
    if let Some(f) = field
        && !doc.fields.contains_key(f)
    {
        return Err(PolicyError::invalid(
            path,
            format!("`{f}` is not a field of the schema"),
        ));
    }
    Ok(())
}

/// `access.createAction` and `access.assignAction`, when set, name a declared
/// `module.action`.
fn check_declared_actions(spec: &AccessSpec) -> Result<(), PolicyError> {
    for (key, action) in [
        ("createAction", &spec.create_action),
        ("assignAction", &spec.assign_action),
    ] {
        if let Some(a) = action {
            declared_action(spec, a).map_err(|u| u.at(format!("access.{key}")))?;
        }
    }
    Ok(())
}

/// The error for a role name at `path` that is not a declared role (the help lists the
/// first twenty roles).
pub(crate) fn unknown_role(spec: &AccessSpec, path: String, r: &str) -> PolicyError {
    let known: Vec<String> = spec
        .roles
        .keys()
        .take(20)
        .map(|k| format!("`{k}`"))
        .collect();
    PolicyError::invalid(path, format!("`{r}` is not a declared role"))
        .with_help(format!("roles are {}", known.join(", ")))
}

/// The positions of the roles `names` names; `at(i)` is the key path of the `i`-th name.
fn resolve_roles(
    spec: &AccessSpec,
    role_index: &HashMap<String, usize>,
    names: &[String],
    at: impl Fn(usize) -> String,
) -> Result<Vec<usize>, PolicyError> {
    let mut roles = Vec::with_capacity(names.len());
    for (i, r) in names.iter().enumerate() {
        match role_index.get(r) {
            Some(&x) => roles.push(x),
            None => return Err(unknown_role(spec, at(i), r)),
        }
    }
    Ok(roles)
}

/// Each role's own permissions, and each role's parents, role by role.
type OwnAndParents = (Vec<Vec<CompiledPermission>>, Vec<Vec<usize>>);

/// Own permissions of every role, and the inheritance graph (each role's parents): role
/// ids and list sizes, each permission, `inherits` and `suggest` naming declared roles.
fn compile_own_permissions(
    spec: &AccessSpec,
    role_index: &HashMap<String, usize>,
) -> Result<OwnAndParents, PolicyError> {
    let mut own: Vec<Vec<CompiledPermission>> = Vec::with_capacity(spec.roles.len());
    let mut parents: Vec<Vec<usize>> = Vec::with_capacity(spec.roles.len());
    for (id, role) in spec.roles.iter() {
        let path = format!("access.roles.{id}");
        if id.is_empty() || id.len() > limits::MAX_NAME_BYTES {
            return Err(PolicyError::invalid(
                path,
                "a role id must be 1 to 128 bytes",
            ));
        }
        // No invisible or control character: `administrator\u{200b}` is not a second
        // `administrator` that reads the same.
        crate::policy::check_name(&path, id)?;
        if role.permissions.len() > limits::MAX_LIST || role.inherits.len() > limits::MAX_LIST {
            return Err(PolicyError::limit(
                path,
                "the number of permissions",
                limits::MAX_LIST,
            ));
        }
        let mut perms = Vec::with_capacity(role.permissions.len());
        for (i, p) in role.permissions.iter().enumerate() {
            let rule: Arc<str> = format!("role:{id}#{i}").into();
            perms.push(compile_permission(
                spec,
                &format!("{path}.permissions[{i}]"),
                p,
                rule,
            )?);
        }
        own.push(perms);
        let mut ps = Vec::new();
        for (i, parent) in role.inherits.iter().enumerate() {
            match role_index.get(parent) {
                // Inheriting twice is inheriting once: a parent listed again is not copied
                // again (nor counted again against the flattened limit).
                Some(p) if ps.contains(p) => {}
                Some(&p) => ps.push(p),
                None => return Err(unknown_role(spec, format!("{path}.inherits[{i}]"), parent)),
            }
        }
        parents.push(ps);
        if let Some(s) = &role.suggest
            && !role_index.contains_key(s)
        {
            return Err(unknown_role(spec, format!("{path}.suggest"), s));
        }
    }
    Ok((own, parents))
}

/// The roles in inheritance order, parents before children (Kahn's algorithm); whatever
/// is left is on a cycle, an error naming those roles.
fn inheritance_order(spec: &AccessSpec, parents: &[Vec<usize>]) -> Result<Vec<usize>, PolicyError> {
    let n = spec.roles.len();
    let mut pending: Vec<usize> = parents.iter().map(Vec::len).collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (child, ps) in parents.iter().enumerate() {
        for &p in ps {
            if let Some(c) = children.get_mut(p) {
                c.push(child);
            }
        }
    }
    let mut order = Vec::with_capacity(n);
    let mut ready: Vec<usize> = (0..n).filter(|&i| pending.get(i) == Some(&0)).collect();
    while let Some(r) = ready.pop() {
        order.push(r);
        for &c in children.get(r).map(Vec::as_slice).unwrap_or_default() {
            if let Some(p) = pending.get_mut(c) {
                *p -= 1;
                if *p == 0 {
                    ready.push(c);
                }
            }
        }
    }
    if order.len() < n {
        let left = |i: usize| pending.get(i).is_some_and(|&p| p > 0);
        let name = |i: usize| spec.roles.keys().nth(i).map_or("?", |k| k);
        let cycle = one_cycle(parents, left);
        let start = cycle.first().copied().unwrap_or(0);
        let shown: Vec<String> = cycle
            .iter()
            .chain(cycle.first())
            .map(|&i| format!("`{}`", name(i)))
            .collect();
        return Err(PolicyError::invalid(
            format!("access.roles.{}.inherits", name(start)),
            format!(
                "role inheritance has a cycle: {} (each inherits the next)",
                shown.join(" → ")
            ),
        ));
    }
    Ok(order)
}

/// One cycle among the roles Kahn's algorithm left (`left`), in inheritance order (each
/// inherits the next, the last the first), from the first such role: each left role has a
/// parent left too (else it would have been ordered), so walking such parents from one
/// comes back to a role it passed, and the roles from there on are the cycle. Roles that
/// only inherit from a cycle are not on it and not named.
fn one_cycle(parents: &[Vec<usize>], left: impl Fn(usize) -> bool) -> Vec<usize> {
    let Some(mut at) = (0..parents.len()).find(|&i| left(i)) else {
        return Vec::new();
    };
    let mut walked: Vec<usize> = Vec::new();
    loop {
        if let Some(from) = walked.iter().position(|&r| r == at) {
            return walked.split_off(from);
        }
        walked.push(at);
        match parents
            .get(at)
            .and_then(|ps| ps.iter().copied().find(|&p| left(p)))
        {
            Some(p) => at = p,
            None => return walked,
        }
    }
}

/// Every role's own and inherited permissions, in `order`; at most
/// [`MAX_FLATTENED_PERMISSIONS`] in all.
fn flatten_permissions(
    own: &[Vec<CompiledPermission>],
    parents: &[Vec<usize>],
    order: &[usize],
) -> Result<Vec<Vec<CompiledPermission>>, PolicyError> {
    let mut flat: Vec<Vec<CompiledPermission>> = vec![Vec::new(); own.len()];
    let mut total = 0usize;
    for &r in order {
        let ps = parents.get(r).map(Vec::as_slice).unwrap_or_default();
        // Counted before anything is copied: a policy whose roles would flatten to more
        // than the limit is refused without the memory it asks for ever being taken.
        let size = ps
            .iter()
            .map(|&p| flat.get(p).map_or(0, Vec::len))
            .fold(own.get(r).map_or(0, Vec::len), usize::saturating_add);
        total = total.saturating_add(size);
        if total > MAX_FLATTENED_PERMISSIONS {
            return Err(PolicyError::limit(
                "access.roles",
                "the number of permissions after inheritance",
                MAX_FLATTENED_PERMISSIONS,
            ));
        }
        let mut perms = Vec::with_capacity(size);
        perms.extend(own.get(r).into_iter().flatten().cloned());
        for &p in ps {
            perms.extend(flat.get(p).into_iter().flatten().cloned());
        }
        if let Some(slot) = flat.get_mut(r) {
            *slot = perms;
        }
    }
    Ok(flat)
}

/// The compiled access with its actions (and their lookup) and no roles, groups,
/// combinations or critical permissions yet.
fn new_access(spec: &AccessSpec, role_index: HashMap<String, usize>) -> CompiledAccess {
    let mut access = CompiledAccess {
        spec: spec.clone(),
        roles: Vec::with_capacity(spec.roles.len()),
        role_index,
        groups: Vec::new(),
        group_index: HashMap::new(),
        combinations: Vec::new(),
        critical: Vec::new(),
        actions: spec
            .modules
            .iter()
            .flat_map(|(m, actions)| {
                actions.iter().map(move |a| {
                    let name: Arc<str> = format!("{m}.{a}").into();
                    CompiledAction {
                        label: Name::from(&name),
                        name,
                        not_permitted_hint: Default::default(),
                    }
                })
            })
            .collect(),
        action_lookup: HashMap::new(),
        active_roles: 0,
        rules: FixedRules::default(),
        policy_name: OnceLock::new(),
        field_rules: Vec::new(),
    };
    if access.actions.len() > SCAN {
        for (i, a) in access.actions.iter().enumerate() {
            access.action_lookup.entry(Arc::clone(&a.name)).or_insert(i);
        }
    }
    access
}

/// The compiled roles, with their flattened permissions; a read-only role carries no
/// write permission.
fn compile_roles(
    access: &mut CompiledAccess,
    spec: &AccessSpec,
    flat: Vec<Vec<CompiledPermission>>,
) -> Result<(), PolicyError> {
    for ((id, role), permissions) in spec.roles.iter().zip(flat) {
        let mut r = CompiledRole {
            id: id.to_owned(),
            active: role.active,
            administrator: role.administrator,
            grantable_by: role.grantable_by,
            read_only: role.read_only,
            suggest: role.suggest.clone(),
            permissions,
            writes: false,
        };
        r.writes = r
            .permissions
            .iter()
            .any(|p| !p.forbid && !access.is_read(&p.pattern));
        if r.read_only && r.writes {
            let offending = r
                .permissions
                .iter()
                .find(|p| !p.forbid && !access.is_read(&p.pattern))
                .map(|p| p.pattern.render())
                .unwrap_or_default();
            return Err(PolicyError::invalid(
                format!("access.roles.{id}.permissions"),
                format!("read-only role `{id}` carries the write permission `{offending}`"),
            )
            .with_help("remove the permission, or make the role not `readOnly`"));
        }
        if r.active
            && let Some(bit) = 1u128.checked_shl(access.roles.len() as u32)
        {
            access.active_roles |= bit;
        }
        access.roles.push(r);
    }
    Ok(())
}

/// `access.groups`: each names declared roles, and its rule (if any) is a valid group rule.
fn compile_groups(
    access: &mut CompiledAccess,
    spec: &AccessSpec,
    doc: &PolicyDocument,
) -> Result<(), PolicyError> {
    for (gid, g) in spec.groups.iter() {
        let path = format!("access.groups.{gid}");
        crate::policy::check_name(&path, gid)?;
        let roles = resolve_roles(spec, &access.role_index, &g.roles, |i| {
            format!("{path}.roles[{i}]")
        })?;
        if let Some(c) = &g.rule {
            check_condition(doc, &format!("{path}.rule"), c)?;
        }
        access
            .group_index
            .insert(gid.to_owned(), access.groups.len());
        access.groups.push(CompiledGroup {
            roles,
            rule: g.rule.clone(),
        });
    }
    Ok(())
}

/// `access.forbiddenCombinations`: each names at least two declared roles, and its
/// `suggest` (if any) a declared role.
fn compile_combinations(access: &mut CompiledAccess, spec: &AccessSpec) -> Result<(), PolicyError> {
    for (i, c) in spec.forbidden_combinations.iter().enumerate() {
        let path = format!("access.forbiddenCombinations[{i}]");
        if c.roles.len() < 2 {
            return Err(PolicyError::invalid(
                format!("{path}.roles"),
                "a forbidden combination names at least two roles",
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (j, r) in c.roles.iter().enumerate() {
            if !seen.insert(r.as_str()) {
                return Err(PolicyError::invalid(
                    format!("{path}.roles[{j}]"),
                    "a role named twice: a combination is of distinct roles (as written it would forbid holding the role at all)",
                ));
            }
        }
        let roles = resolve_roles(spec, &access.role_index, &c.roles, |j| {
            format!("{path}.roles[{j}]")
        })?;
        if let Some(s) = &c.suggest
            && !access.role_index.contains_key(s)
        {
            return Err(unknown_role(spec, format!("{path}.suggest"), s));
        }
        access.combinations.push(CompiledCombination {
            roles,
            reason: c.reason.clone(),
            suggest: c.suggest.clone(),
        });
    }
    Ok(())
}

/// `access.criticalPermissions`: each is a valid action pattern.
fn compile_critical(access: &mut CompiledAccess, spec: &AccessSpec) -> Result<(), PolicyError> {
    for (i, p) in spec.critical_permissions.iter().enumerate() {
        access.critical.push(parse_pattern(
            spec,
            &format!("access.criticalPermissions[{i}]"),
            p,
        )?);
    }
    Ok(())
}
