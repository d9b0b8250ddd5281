//! Attribute permissions: which fields of an account an actor may view and which it may
//! edit (`access.fieldAccess`).
//!
//! The rule lives here once: [`field_access`] answers, for one actor and one target, the
//! fields visible and editable; [`FieldAccess::redact`] removes what the actor may not see
//! from a record; [`edit_denial`] (and the `changes` operation, which calls it) denies an
//! edit touching a field the actor may not edit with `field_not_editable`, naming every such
//! field. A creation is judged the same way: [`create_denial`] denies a new account that
//! sets a field its creator may not edit, the field access decided against the account as
//! it would be created (its manager, its organisation). Adapters (the server, the console)
//! ask and apply; they never write the rule.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::authorize::{
    AccessError, AuthorizeRequest, RoleSet, Subject, Target, authorize, denial, roles_of,
    same_organization, status_grants,
};
use super::compile::CompiledAccess;
use super::directory::Directory;
use super::spec::AccessSpec;
use crate::checks::date::Timestamp;
use crate::decision::{Denial, DenyCode, DenyKind};
use crate::messages::Lang;
use crate::model::Account;
use crate::policy::{Policy, PolicyDocument, PolicyError, limits};
use crate::violation::Params;

/// The account keys attribute permissions may govern besides the schema's fields: the
/// typed parts of an [`Account`].
pub const ACCOUNT_KEYS: &[&str] = &[
    "organization",
    "status",
    "statusUntil",
    "roles",
    "groups",
    "superAdmin",
    "root",
    "manager",
    "location",
];

/// The principals a field's `view` and `edit` lists may name, for messages.
const PRINCIPALS: &str =
    "`self`, `manager`, `team`, `superAdmin`, `root`, `role:<role>`, `permission:<module.action>`";

/// One principal of a `view` or `edit` list, compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Principal {
    /// The account itself.
    Own,
    /// The account's direct manager.
    Manager,
    /// Anyone above the account in the manager hierarchy.
    Team,
    /// A super administrator.
    SuperAdmin,
    /// The root user.
    Root,
    /// A holder of the role at this position.
    Role(usize),
    /// An actor allowed this declared action (`module.action`) on the account.
    Permission(Arc<str>),
}

/// The attribute permissions of one field, compiled.
#[derive(Debug, Clone)]
pub(crate) struct FieldRule {
    /// The field.
    pub(crate) field: String,
    /// Who may view it; `None`: whoever may read the account.
    pub(crate) view: Option<Vec<Principal>>,
    /// Who may edit it; `None`: whoever may update the account.
    pub(crate) edit: Option<Vec<Principal>>,
}

/// Checks and compiles `access.fieldAccess`: each key names a field of the schema or a typed
/// account key ([`ACCOUNT_KEYS`]); each principal is one of the known forms, its role a
/// declared role and its permission a declared `module.action`.
pub(crate) fn compile_field_access(
    access: &mut CompiledAccess,
    spec: &AccessSpec,
    doc: &PolicyDocument,
) -> Result<(), PolicyError> {
    if spec.field_access.len() > limits::MAX_LIST {
        return Err(PolicyError::limit(
            "access.fieldAccess",
            "the number of entries",
            limits::MAX_LIST,
        ));
    }
    for (field, rule) in spec.field_access.iter() {
        let path = format!("access.fieldAccess.{field}");
        if !doc.fields.contains_key(field) && !ACCOUNT_KEYS.contains(&field) {
            let known = doc.fields.keys().chain(ACCOUNT_KEYS.iter().copied());
            let help = match crate::util::closest(field, known, 3) {
                Some(best) => format!("did you mean `{best}`?"),
                None => "name a field of the schema, or one of `organization`, `status`, `roles`, `groups`, `superAdmin`, `manager`, `location`".to_owned(),
            };
            return Err(PolicyError::invalid(
                path,
                format!(
                    "`{}` is not a field of the schema",
                    field.chars().take(128).collect::<String>()
                ),
            )
            .with_help(help));
        }
        let view = match &rule.view {
            Some(list) => Some(principals(access, spec, &format!("{path}.view"), list)?),
            None => None,
        };
        let edit = match &rule.edit {
            Some(list) => Some(principals(access, spec, &format!("{path}.edit"), list)?),
            None => None,
        };
        access.field_rules.push(FieldRule {
            field: field.to_owned(),
            view,
            edit,
        });
    }
    Ok(())
}

/// Compiles one `view` or `edit` list at `path`.
fn principals(
    access: &CompiledAccess,
    spec: &AccessSpec,
    path: &str,
    list: &[String],
) -> Result<Vec<Principal>, PolicyError> {
    if list.len() > limits::MAX_LIST {
        return Err(PolicyError::limit(
            path,
            "the number of principals",
            limits::MAX_LIST,
        ));
    }
    let mut out = Vec::with_capacity(list.len());
    for (i, text) in list.iter().enumerate() {
        let at = format!("{path}[{i}]");
        let p = match text.as_str() {
            "self" => Principal::Own,
            "manager" => Principal::Manager,
            "team" => Principal::Team,
            "superAdmin" => Principal::SuperAdmin,
            "root" => Principal::Root,
            other => {
                if let Some(role) = other.strip_prefix("role:") {
                    match access.role_position(role) {
                        Some(i) => Principal::Role(i),
                        None => return Err(super::compile::unknown_role(spec, at, role)),
                    }
                } else if let Some(action) = other.strip_prefix("permission:") {
                    super::compile::declared_action(spec, action).map_err(|u| u.at(at))?;
                    Principal::Permission(action.into())
                } else {
                    return Err(PolicyError::invalid(
                        at,
                        format!(
                            "`{}` is not a principal",
                            other.chars().take(128).collect::<String>()
                        ),
                    )
                    .with_help(format!("principals are {PRINCIPALS}")));
                }
            }
        };
        out.push(p);
    }
    Ok(out)
}

/// What one actor may see and change of one account.
///
/// `visible` and `editable` list the schema's fields (in schema order) then the other keys
/// the policy governs; `hidden` and `readOnly` list the governed fields the actor may not
/// view, or may not edit. A field not governed is visible and editable: the actions decide
/// (`users.read`, `users.update`), and attribute permissions only narrow them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct FieldAccess {
    /// The hash of the policy that decided.
    pub policy: Arc<str>,
    /// The fields the actor may see.
    pub visible: Vec<String>,
    /// The fields the actor may change (a subset of `visible`).
    pub editable: Vec<String>,
    /// The fields the actor may not see: left out of what it reads.
    pub hidden: Vec<String>,
    /// The fields the actor may not change (`hidden` included).
    pub read_only: Vec<String>,
}

impl FieldAccess {
    /// Whether the actor may see `field` (a field the policy does not govern is visible).
    pub fn may_view(&self, field: &str) -> bool {
        !self.hidden.iter().any(|f| f == field)
    }

    /// Whether the actor may change `field` (a field the policy does not govern is
    /// editable, when the actor may update the account at all).
    pub fn may_edit(&self, field: &str) -> bool {
        !self.read_only.iter().any(|f| f == field)
    }

    /// Removes from `record` every field the actor may not see.
    pub fn redact(&self, record: &mut Map<String, Value>) {
        for f in &self.hidden {
            record.remove(f);
        }
    }

    /// `record` without the fields the actor may not see.
    pub fn redacted(&self, record: &Map<String, Value>) -> Map<String, Value> {
        record
            .iter()
            .filter(|(k, _)| self.may_view(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

/// Decides principals for one actor and one target, computing the actor's roles and the
/// actions' verdicts at most once.
struct Matcher<'a> {
    policy: &'a Policy,
    access: &'a CompiledAccess,
    dir: &'a Directory,
    actor: &'a Account,
    target: &'a Account,
    target_view: Target,
    now: Timestamp,
    /// The actor's status grants permissions.
    grants: bool,
    roles: Option<RoleSet>,
    actions: HashMap<Arc<str>, bool>,
}

impl<'a> Matcher<'a> {
    fn new(
        policy: &'a Policy,
        access: &'a CompiledAccess,
        dir: &'a Directory,
        actor: &'a Account,
        target: &'a Account,
        now: Timestamp,
    ) -> Self {
        Matcher {
            policy,
            access,
            dir,
            actor,
            target,
            target_view: Target::from(target),
            now,
            grants: status_grants(policy, actor, now).0,
            roles: None,
            actions: HashMap::new(),
        }
    }

    /// Whether the actor is any of `list`.
    fn any(&mut self, list: &[Principal]) -> Result<bool, AccessError> {
        for p in list {
            if self.is(p)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn is(&mut self, p: &Principal) -> Result<bool, AccessError> {
        if !self.grants {
            return Ok(false);
        }
        let (actor, target) = (self.actor, self.target);
        Ok(match p {
            Principal::Own => actor.id == target.id,
            Principal::Manager => {
                actor.id != target.id && target.manager.as_deref() == Some(actor.id.as_str())
            }
            Principal::Team => {
                self.dir
                    .is_below(&actor.id, &target.id, target.manager.as_deref(), None)
            }
            Principal::SuperAdmin => actor.super_admin,
            Principal::Root => actor.root,
            Principal::Role(i) => {
                if !actor.super_admin && !same_organization(actor, &self.target_view) {
                    return Ok(false);
                }
                if self.roles.is_none() {
                    self.roles = Some(roles_of(
                        self.access,
                        Subject::of_account(actor),
                        &actor.roles,
                        "actor.roles",
                    )?);
                }
                self.roles
                    .as_ref()
                    .is_some_and(|r| r.iter().any(|x| x == *i))
            }
            Principal::Permission(action) => {
                if let Some(&known) = self.actions.get(action) {
                    return Ok(known);
                }
                let req = AuthorizeRequest {
                    actor: actor.clone(),
                    action: action.to_string(),
                    target: self.target_view.clone(),
                    change: None,
                };
                let allowed = authorize(self.policy, self.dir, &req, self.now, Lang::En)?.allowed();
                self.actions.insert(Arc::clone(action), allowed);
                allowed
            }
        })
    }

    /// Whether the actor may view and may edit the field of `rule`.
    fn rule(&mut self, rule: &FieldRule) -> Result<(bool, bool), AccessError> {
        let view = match &rule.view {
            Some(list) => self.any(list)?,
            None => true,
        };
        let edit = view
            && match &rule.edit {
                Some(list) => self.any(list)?,
                None => true,
            };
        Ok((view, edit))
    }
}

/// What `actor` may see and change of `target`, under the policy's `access.fieldAccess`
/// (a policy without it, or without an `access` section, hides nothing and makes nothing
/// read-only). `dir` decides `team` (and the `team` scopes of `permission:` principals).
///
/// This does not decide whether the actor may read or update the account at all: ask
/// [`authorize`] for `users.read` and `users.update`.
///
/// # Errors
/// An [`AccessError`] when the actor names a role or group the policy does not declare.
pub fn field_access(
    policy: &Policy,
    dir: &Directory,
    actor: &Account,
    target: &Account,
    now: Timestamp,
) -> Result<FieldAccess, AccessError> {
    let mut out = FieldAccess {
        policy: policy.hash_arc(),
        visible: Vec::new(),
        editable: Vec::new(),
        hidden: Vec::new(),
        read_only: Vec::new(),
    };
    let rules: &[FieldRule] = policy.access().map_or(&[], |a| a.field_rules.as_slice());
    let mut verdicts: HashMap<&str, (bool, bool)> = HashMap::with_capacity(rules.len());
    if let Some(access) = policy.access()
        && !rules.is_empty()
    {
        let mut m = Matcher::new(policy, access, dir, actor, target, now);
        // The actor's roles and groups are checked whether or not a principal needs them:
        // an actor naming an undeclared role is a malformed request, never ignored.
        m.roles = Some(roles_of(
            access,
            Subject::of_account(actor),
            &actor.roles,
            "actor.roles",
        )?);
        for rule in rules {
            verdicts.insert(rule.field.as_str(), m.rule(rule)?);
        }
    }
    let schema = policy.document().fields.keys();
    let others = rules
        .iter()
        .map(|r| r.field.as_str())
        .filter(|f| !policy.document().fields.contains_key(f));
    for field in schema.chain(others) {
        let (view, edit) = verdicts.get(field).copied().unwrap_or((true, true));
        if view {
            out.visible.push(field.to_owned());
        } else {
            out.hidden.push(field.to_owned());
        }
        if edit {
            out.editable.push(field.to_owned());
        } else {
            out.read_only.push(field.to_owned());
        }
    }
    Ok(out)
}

/// The deny of an edit that changes fields the actor may not edit: `field_not_editable`
/// naming every such field once (params `fields`, in the order given), or `None`.
///
/// # Errors
/// As [`field_access`].
pub fn fields_denial(
    policy: &Policy,
    dir: &Directory,
    actor: &Account,
    target: &Account,
    changed: &[String],
    now: Timestamp,
    lang: Lang,
) -> Result<Option<Denial>, AccessError> {
    let Some(access) = policy.access() else {
        return Ok(None);
    };
    if access.field_rules.is_empty() || changed.is_empty() {
        return Ok(None);
    }
    let fa = field_access(policy, dir, actor, target, now)?;
    let mut refused: Vec<Value> = Vec::new();
    for f in changed.iter().filter(|f| !fa.may_edit(f)) {
        // A typed part of an account may also be an attribute of its record
        // (`organization`): named once.
        if !refused.iter().any(|r| r.as_str() == Some(f.as_str())) {
            refused.push(Value::String(f.clone()));
        }
    }
    if refused.is_empty() {
        return Ok(None);
    }
    let mut params = Params::new();
    params.insert("fields".into(), Value::Array(refused));
    Ok(Some(denial(
        DenyKind::Forbidden,
        DenyCode::FieldNotEditable,
        params,
        Some("fieldAccess".into()),
        lang,
    )))
}

/// The deny of the edit of `before` into `after` by `actor` when it changes fields the
/// actor may not edit (see [`fields_denial`]); the changed fields are those the `changes`
/// operation reports (a non-blank `password` attribute of `after` is a new password).
///
/// # Errors
/// As [`field_access`].
pub fn edit_denial(
    policy: &Policy,
    dir: &Directory,
    actor: &Account,
    before: &Account,
    after: &Account,
    now: Timestamp,
    lang: Lang,
) -> Result<Option<Denial>, AccessError> {
    let changed = crate::lifecycle::changed_fields(before, after);
    fields_denial(policy, dir, actor, before, &changed, now, lang)
}

/// Whether a value of a new record sets nothing: `null`, a blank text, an empty list or
/// object.
fn is_unset(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Bool(_) | Value::Number(_) => false,
    }
}

/// Records that a new account's password field `field` is set, for [`created_fields`] and
/// [`create_denial`]: a marker, never the password (field access asks only whether a field
/// is set, and a password is never in a normalised record).
pub fn mark_password_set(account: &mut Account, field: &str) {
    account
        .attributes
        .insert(field.to_owned(), Value::String("(set)".into()));
}

/// The fields a new account sets: those the `changes` operation would report for an edit
/// from an account with nothing set into `created` (see [`edit_denial`]). What the creator
/// does not choose is not a field it sets: the id (it names the new account), the
/// policy's initial status (the lifecycle's, or `active` without one), and values that set
/// nothing (`null`, a blank text, an empty list or object). A non-blank `password`
/// attribute is a password set.
pub fn created_fields(policy: &Policy, created: &Account) -> Vec<String> {
    let initial = crate::lifecycle::initial_status(policy).unwrap_or(crate::policy::ACTIVE_STATUS);
    let attributes: Map<String, Value> = created
        .attributes
        .iter()
        .filter(|(k, v)| {
            k.as_str() == "id"
                || (k.as_str() == "status" && v.as_str() == Some(initial))
                || is_unset(v)
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let nothing = Account {
        id: created.id.clone(),
        status: initial.to_owned(),
        attributes,
        ..Account::default()
    };
    crate::lifecycle::changed_fields(&nothing, created)
}

/// The deny of the creation of `created` by `actor` when the new account sets fields the
/// actor may not edit ([`created_fields`]): `field_not_editable` naming every such field,
/// as [`edit_denial`] does for an edit, or `None`.
///
/// The field access is decided against the account as it would be created: `manager` is
/// its creator when the new account names it as manager, `team` when the creator is above
/// it in `dir` (which should hold the new account's row and its manager's chain; without
/// them, only its direct manager), and `role:` principals need the creator in the new
/// account's organisation (or a super administrator). `self` never matches: a creator is
/// not the account it creates.
///
/// This does not decide whether the actor may create the account at all: ask
/// [`authorize`] for the policy's create action.
///
/// # Errors
/// As [`field_access`].
pub fn create_denial(
    policy: &Policy,
    dir: &Directory,
    actor: &Account,
    created: &Account,
    now: Timestamp,
    lang: Lang,
) -> Result<Option<Denial>, AccessError> {
    if policy.access().is_none_or(|a| a.field_rules.is_empty()) {
        return Ok(None);
    }
    let set = created_fields(policy, created);
    // `self` never matches a creator: a record naming the creator's own id (a bulk import
    // item, whose id the store replaces) is judged without it.
    if created.id == actor.id {
        let judged = Account {
            id: String::new(),
            ..created.clone()
        };
        return fields_denial(policy, dir, actor, &judged, &set, now, lang);
    }
    fields_denial(policy, dir, actor, created, &set, now, lang)
}
