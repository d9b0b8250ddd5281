//! Bulk operations (R002-09): a batch of status changes, role assignments, deletions or
//! imports, decided item by item.
//!
//! Every item gets its own decision — allowed, denied or invalid — and the summary counts
//! them all: no item is dropped or silently skipped. The kernel does not commit anything:
//! the caller shows the result as a preview, applies the allowed items in the planned
//! batches, and records the audit entries. Bulk deletion has safeguards: an explicit
//! confirmation that repeats the number of accounts, a ceiling on the batch, and no
//! deleting oneself.

use std::collections::HashSet;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::access::{
    self, AccessError, AuthorizeRequest, AuthzDecision, Directory, RoleChange, Target,
};
use crate::checks::date::Timestamp;
use crate::decision::{Denial, DenyCode, DenyKind};
use crate::lifecycle::{
    self, DeleteMode, DeleteRequest, LifecycleError, Obligation, TransitionDecision,
    TransitionFacts, TransitionRequest,
};
use crate::messages::Lang;
use crate::model::Account;
use crate::policy::{Mode, Policy};
use crate::validate::{
    CheckKind, ValidationContext, ValidationDecision, ValidationFacts, validate_user,
};
use crate::violation::{Code, Issue, Path, Severity, Violation};

/// Most items in one bulk request: 100,000.
pub const MAX_BULK_ITEMS: usize = 100_000;
/// Default ceiling on deletions in one bulk request: 100 (`maxDelete` may lower it, or
/// raise it up to [`MAX_BULK_DELETE`]).
pub const DEFAULT_MAX_DELETE: usize = 100;
/// Hard ceiling on deletions in one bulk request: 1,000.
pub const MAX_BULK_DELETE: usize = 1_000;
/// Default processing batch size: 100.
pub const DEFAULT_BATCH_SIZE: usize = 100;

/// One item of a bulk request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "op", rename_all = "camelCase", deny_unknown_fields)]
pub enum BulkItem {
    /// Move an account to another status.
    #[serde(rename_all = "camelCase")]
    Status {
        /// The account.
        target: Account,
        /// The status.
        to: String,
        /// The reason.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// End of a temporary status.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<Timestamp>,
        /// Duration of a temporary status, in days.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duration_days: Option<u32>,
        /// Duration of a temporary status, in minutes (as a single transition takes it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duration_minutes: Option<u32>,
        /// Facts for the guards.
        #[serde(default)]
        facts: TransitionFacts,
    },
    /// Grant or withdraw roles.
    #[serde(rename_all = "camelCase")]
    Roles {
        /// The account.
        target: Account,
        /// Roles granted.
        #[serde(default)]
        add: Vec<String>,
        /// Roles withdrawn.
        #[serde(default)]
        remove: Vec<String>,
        /// Facts for the guards of what the change takes away, as an edit's
        /// (`soleHolderOf` when it withdraws a critical permission under a policy that
        /// guards its sole holder, R004-09).
        #[serde(default, skip_serializing_if = "lifecycle::ChangeFacts::is_empty")]
        facts: lifecycle::ChangeFacts,
    },
    /// Delete an account.
    #[serde(rename_all = "camelCase")]
    Delete {
        /// The account.
        target: Account,
        /// Soft, hard or anonymising (default: the policy's).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mode: Option<DeleteMode>,
        /// Facts for the blockers.
        #[serde(default)]
        facts: lifecycle::DeleteFacts,
    },
    /// Create an account from a record.
    #[serde(rename_all = "camelCase")]
    Import {
        /// The user record.
        user: Map<String, Value>,
        /// Answers to its checks.
        #[serde(default)]
        facts: ValidationFacts,
    },
}

/// A bulk request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BulkRequest {
    /// Who acts.
    pub actor: Account,
    /// The items.
    pub items: Vec<BulkItem>,
    /// The directory rows for `team` scopes (id and manager).
    #[serde(default)]
    pub directory: Vec<Account>,
    /// For deletions: the actor confirmed.
    #[serde(default)]
    pub confirmed: bool,
    /// For deletions: the number of accounts the actor typed to confirm; must equal the
    /// number of delete items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm_count: Option<usize>,
    /// Ceiling on deletions (default 100, at most 1,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_delete: Option<usize>,
    /// Processing batch size (default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<usize>,
    /// Today's date, for imports (default: the date of `now`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub today: Option<crate::checks::date::Date>,
}

/// The outcome of one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum ItemOutcome {
    /// Allowed: apply it.
    Allowed,
    /// Denied by a rule.
    Denied,
    /// The item's data is invalid (a record with violations).
    Invalid,
}

/// The decision on one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ItemResult {
    /// The item's index in the request.
    pub index: usize,
    /// The item's operation (`status`, `roles`, `delete`, `import`).
    pub op: String,
    /// The target account's id, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The outcome.
    pub outcome: ItemOutcome,
    /// Why it was denied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny: Option<Denial>,
    /// The record's violations (imports).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<Violation>,
    /// What must follow if it is applied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub obligations: Vec<Obligation>,
    /// Why the item could not be decided at all (outcome `invalid`): it names a role, a
    /// status or an action the policy does not declare, adds and removes one role, or
    /// needs a setting the policy lacks. The other items are decided as usual.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ItemError>,
}

/// Why one item of a bulk request could not be decided (see [`ItemResult::error`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ItemError {
    /// The stable code, as the contract's errors name it (`unknown_role`,
    /// `unknown_status`, `conflicting_change`, `unsupported`, ...).
    pub code: String,
    /// What is wrong, in English.
    pub message: String,
    /// The item's field at fault, when there is one: `roles` or `groups` for an
    /// undeclared role or group it gives ([`AccessError::field`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// Counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct BulkSummary {
    /// Items.
    pub total: usize,
    /// Allowed items.
    pub allowed: usize,
    /// Denied items.
    pub denied: usize,
    /// Invalid items.
    pub invalid: usize,
}

/// A processing batch: items `from..to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Batch {
    /// First item index.
    pub from: usize,
    /// One past the last item index.
    pub to: usize,
}

/// The decision on a bulk request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct BulkDecision {
    /// The policy's hash.
    pub policy: Arc<str>,
    /// One result per item, in order.
    pub results: Vec<ItemResult>,
    /// Counts.
    pub summary: BulkSummary,
    /// The processing plan.
    pub batches: Vec<Batch>,
    /// A safeguard that refused the whole request (every item is then denied with it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<Denial>,
    /// The audit entry for the bulk operation itself.
    pub audit: BulkAudit,
}

/// The audit entry of a bulk operation (R002-09: logged).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct BulkAudit {
    /// Who.
    pub actor: String,
    /// When.
    pub at: Timestamp,
    /// The operations, with their counts.
    pub operations: std::collections::BTreeMap<String, usize>,
    /// Allowed items.
    pub allowed: usize,
}

/// The kind of a [`BulkError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BulkErrorKind {
    /// More than [`MAX_BULK_ITEMS`] items.
    TooManyItems,
    /// `maxDelete` above [`MAX_BULK_DELETE`], `batchSize` of 0, or no `today` to be had.
    Setting,
    /// An item needs an action the policy does not name (`access.assignAction` for role
    /// items, `access.createAction` for imports).
    Unsupported,
    /// An item names an undeclared action, role or group ([`BulkError::access_error`]).
    Access,
    /// An item names an unknown status, or the policy has no lifecycle
    /// ([`BulkError::lifecycle_error`]).
    Lifecycle,
}

/// A bulk request that cannot be decided at all (too many items, a bad setting), or, told
/// in its [`ItemResult::error`], one item that cannot be.
///
/// Opaque, as [`PolicyError`](crate::PolicyError) is: read it through
/// [`kind`](Self::kind), [`setting`](Self::setting), the underlying
/// [`access_error`](Self::access_error) or [`lifecycle_error`](Self::lifecycle_error), and its
/// `Display`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkError(Repr);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Repr {
    Plain {
        kind: BulkErrorKind,
        setting: Option<&'static str>,
        message: String,
    },
    Access(AccessError),
    Lifecycle(LifecycleError),
}

impl std::fmt::Display for BulkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Repr::Plain { message, .. } => f.write_str(message),
            Repr::Access(e) => e.fmt(f),
            Repr::Lifecycle(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for BulkError {}

impl From<AccessError> for BulkError {
    fn from(e: AccessError) -> Self {
        BulkError(Repr::Access(e))
    }
}

impl From<LifecycleError> for BulkError {
    fn from(e: LifecycleError) -> Self {
        BulkError(Repr::Lifecycle(e))
    }
}

impl BulkError {
    fn plain(kind: BulkErrorKind, setting: Option<&'static str>, message: String) -> Self {
        BulkError(Repr::Plain {
            kind,
            setting,
            message,
        })
    }

    fn too_many_items(max: usize, actual: usize) -> Self {
        BulkError::plain(
            BulkErrorKind::TooManyItems,
            None,
            format!("a bulk request has at most {max} items (it has {actual})"),
        )
    }

    fn setting_error(key: &'static str, reason: &str) -> Self {
        BulkError::plain(
            BulkErrorKind::Setting,
            Some(key),
            format!("invalid setting `{key}`: {reason}"),
        )
    }

    fn unsupported(item: &str, setting: &'static str) -> Self {
        BulkError::plain(
            BulkErrorKind::Unsupported,
            Some(setting),
            format!("`{item}` items need `{setting}` in the policy"),
        )
    }

    /// The kind of error.
    pub fn kind(&self) -> BulkErrorKind {
        match &self.0 {
            Repr::Plain { kind, .. } => *kind,
            Repr::Access(_) => BulkErrorKind::Access,
            Repr::Lifecycle(_) => BulkErrorKind::Lifecycle,
        }
    }

    /// The request setting or policy setting at fault (`maxDelete`, `access.assignAction`).
    pub fn setting(&self) -> Option<&'static str> {
        match &self.0 {
            Repr::Plain { setting, .. } => *setting,
            _ => None,
        }
    }

    /// The contract's stable code for it: the access or lifecycle error's
    /// (`unknown_role`, `unknown_status`, ...), `unsupported`, or `bulk_rejected` for the
    /// request's own settings.
    pub fn code(&self) -> &'static str {
        match &self.0 {
            Repr::Access(e) => e.code(),
            Repr::Lifecycle(e) => e.code(),
            Repr::Plain {
                kind: BulkErrorKind::Unsupported,
                ..
            } => "unsupported",
            Repr::Plain { .. } => "bulk_rejected",
        }
    }

    /// The access error an item caused.
    pub fn access_error(&self) -> Option<&AccessError> {
        match &self.0 {
            Repr::Access(e) => Some(e),
            _ => None,
        }
    }

    /// The lifecycle error an item caused.
    pub fn lifecycle_error(&self) -> Option<&LifecycleError> {
        match &self.0 {
            Repr::Lifecycle(e) => Some(e),
            _ => None,
        }
    }
}

fn op_name(item: &BulkItem) -> &'static str {
    match item {
        BulkItem::Status { .. } => "status",
        BulkItem::Roles { .. } => "roles",
        BulkItem::Delete { .. } => "delete",
        BulkItem::Import { .. } => "import",
    }
}

/// A safeguard that refuses the whole request, worded by the [message
/// catalogue](crate::messages).
fn safeguard(code: DenyCode, lang: Lang, params: crate::violation::Params) -> Denial {
    Denial::render(
        DenyKind::InvalidRequest,
        code,
        Some("bulkSafeguard".into()),
        params,
        lang,
    )
}

/// Decides every item of a bulk request.
///
/// # Errors
/// [`BulkError`] when the request as a whole cannot be decided (too many items, a bad
/// setting). Denials, invalid records and items that cannot be decided (an undeclared
/// action, role, group or status: [`ItemResult::error`]) are item results, not errors.
pub fn bulk(
    policy: &Policy,
    req: &BulkRequest,
    now: Timestamp,
    lang: Lang,
) -> Result<BulkDecision, BulkError> {
    bulk_decided(policy, req, now, lang).map(|(decision, _)| decision)
}

/// The kernel's own decisions behind one item's result ([`bulk_decided`]): what a caller
/// hands its tenant's plugins to narrow, so that they are told the decisions the kernel
/// made (with the request's directory) and the kernel is not asked again. `None` for an
/// item refused before it was decided (a safeguard, a record invalid within the batch
/// keeps its validation).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
#[allow(
    clippy::large_enum_variant,
    reason = "one per bulk item, built once and read once: boxing the largest would add an allocation per item"
)]
pub enum ItemDecided {
    /// A status change: the transition, and the authorization of `users.status` on the
    /// target (`None` when the kernel cannot decide it: no access section, an undeclared
    /// action). The transition decided the item's result here; a caller whose single-item
    /// route also requires `users.status` (the server's) refuses an item it denies, and
    /// hands an allow to its plugins.
    Status {
        /// The lifecycle's transition.
        transition: TransitionDecision,
        /// The authorization of `users.status`.
        authorization: Option<AuthzDecision>,
    },
    /// A role change: the authorization of the policy's assign action with the change.
    Roles(AuthzDecision),
    /// A deletion: the authorization of `users.delete` (`None` when the kernel cannot
    /// decide it: an undeclared action, no access section; the lifecycle's deletion decided
    /// the item).
    Delete(Option<AuthzDecision>),
    /// An import: the record's validation, then the authorization of the policy's create
    /// action (when the record was valid and the policy has an access section).
    Import {
        /// The record's validation (batch duplicates included).
        validation: ValidationDecision,
        /// The authorization of the account as it would be created.
        authorization: Option<AuthzDecision>,
        /// The target that authorization was made on (the record's organisation,
        /// location, manager under the policy's `managerField`, status): what a caller
        /// tells its plugins the kernel decided about.
        target: Option<Target>,
    },
}

/// [`bulk`], with the kernel's decisions behind each item's result, in item order
/// (`None` for an item a safeguard refused as a whole).
///
/// # Errors
/// As [`bulk`].
pub fn bulk_decided(
    policy: &Policy,
    req: &BulkRequest,
    now: Timestamp,
    lang: Lang,
) -> Result<(BulkDecision, Vec<Option<ItemDecided>>), BulkError> {
    let (max_delete, batch_size) = check_settings(req)?;
    let (dir, _problems) = Directory::from_accounts(&req.directory);
    let actor = &req.actor;
    let refused = delete_safeguard(req, max_delete, lang);
    let today = bulk_today(req, now)?;
    let ctx = ItemContext {
        policy,
        dir: &dir,
        actor,
        confirmed: req.confirmed,
        today,
        now,
        lang,
    };
    let mut seen: HashSet<(Arc<str>, String)> = HashSet::new();
    let mut results = Vec::with_capacity(req.items.len());
    let mut decided = Vec::with_capacity(req.items.len());
    for (index, item) in req.items.iter().enumerate() {
        let (r, d) = match &refused {
            Some(d) => (refused_item(index, item, d), None),
            None => match decide_item(&ctx, index, item, &mut seen) {
                Ok((r, d)) => (r, Some(d)),
                // An item that cannot be decided is reported as such, with its index; the
                // others are decided (nothing is lost, nothing else refused for it).
                Err(e) => (undecided_item(index, item, &e), None),
            },
        };
        results.push(r);
        decided.push(d);
    }
    let (summary, operations) = summarize(&results);
    let batches = plan_batches(results.len(), batch_size);
    let decision = BulkDecision {
        policy: policy.hash_arc(),
        summary,
        batches,
        refused,
        audit: BulkAudit {
            actor: actor.id.clone(),
            at: now,
            operations,
            allowed: summary.allowed,
        },
        results,
    };
    Ok((decision, decided))
}

/// What every item's decision needs from the request as a whole.
struct ItemContext<'a> {
    policy: &'a Policy,
    dir: &'a Directory,
    actor: &'a Account,
    confirmed: bool,
    today: crate::checks::date::Date,
    now: Timestamp,
    lang: Lang,
}

/// The request's settings: at most [`MAX_BULK_ITEMS`] items, `maxDelete` at most
/// [`MAX_BULK_DELETE`], `batchSize` at least 1. Returns (`maxDelete`, `batchSize`) with
/// their defaults filled in.
fn check_settings(req: &BulkRequest) -> Result<(usize, usize), BulkError> {
    if req.items.len() > MAX_BULK_ITEMS {
        return Err(BulkError::too_many_items(MAX_BULK_ITEMS, req.items.len()));
    }
    let max_delete = req.max_delete.unwrap_or(DEFAULT_MAX_DELETE);
    if max_delete > MAX_BULK_DELETE {
        return Err(BulkError::setting_error(
            "maxDelete",
            &format!("at most {MAX_BULK_DELETE}"),
        ));
    }
    let batch_size = req.batch_size.unwrap_or(DEFAULT_BATCH_SIZE);
    if batch_size == 0 {
        return Err(BulkError::setting_error("batchSize", "at least 1"));
    }
    Ok((max_delete, batch_size))
}

/// The safeguards on deletion, which refuse the whole request: no more deletions than
/// `max_delete`, an explicit confirmation repeating their number, and no deleting oneself.
fn delete_safeguard(req: &BulkRequest, max_delete: usize, lang: Lang) -> Option<Denial> {
    let deletes = req
        .items
        .iter()
        .filter(|i| matches!(i, BulkItem::Delete { .. }))
        .count();
    if deletes == 0 {
        return None;
    }
    let count = |n: usize| {
        [
            ("count".to_owned(), Value::from(n)),
            ("max".to_owned(), Value::from(max_delete)),
        ]
        .into_iter()
        .collect()
    };
    if deletes > max_delete {
        Some(safeguard(
            DenyCode::BulkDeleteTooLarge,
            lang,
            count(deletes),
        ))
    } else if !req.confirmed || req.confirm_count != Some(deletes) {
        Some(safeguard(
            DenyCode::BulkDeleteUnconfirmed,
            lang,
            count(deletes),
        ))
    } else if req
        .items
        .iter()
        .any(|i| matches!(i, BulkItem::Delete { target, .. } if target.id == req.actor.id))
    {
        Some(safeguard(DenyCode::BulkDeleteSelf, lang, count(deletes)))
    } else {
        None
    }
}

/// The day imported records are checked against: `today`, or the date of `now`.
fn bulk_today(req: &BulkRequest, now: Timestamp) -> Result<crate::checks::date::Date, BulkError> {
    req.today.or_else(|| now.date()).ok_or_else(|| {
        BulkError::setting_error("today", "`now` is outside the calendar: give `today`")
    })
}

/// A fresh, allowed result for the item at `index`.
fn new_result(index: usize, item: &BulkItem) -> ItemResult {
    ItemResult {
        index,
        op: op_name(item).to_owned(),
        target: None,
        outcome: ItemOutcome::Allowed,
        deny: None,
        violations: Vec::new(),
        obligations: Vec::new(),
        error: None,
    }
}

/// The result of an item when a safeguard refused the whole request: denied with the
/// safeguard's denial, naming its target if it has one.
fn refused_item(index: usize, item: &BulkItem, d: &Denial) -> ItemResult {
    let mut r = new_result(index, item);
    r.outcome = ItemOutcome::Denied;
    r.deny = Some(d.clone());
    r.target = item_target(item);
    r
}

/// The result of an item that could not be decided (`e`): invalid, with the error.
fn undecided_item(index: usize, item: &BulkItem, e: &BulkError) -> ItemResult {
    let mut r = new_result(index, item);
    r.outcome = ItemOutcome::Invalid;
    r.target = item_target(item);
    let access = e.access_error();
    r.error = Some(ItemError {
        code: e.code().to_owned(),
        message: access
            .and_then(AccessError::field_message)
            .unwrap_or_else(|| e.to_string()),
        field: access.and_then(AccessError::field).map(str::to_owned),
    });
    r
}

/// The id of an item's target, for items that have one.
fn item_target(item: &BulkItem) -> Option<String> {
    match item {
        BulkItem::Status { target, .. }
        | BulkItem::Roles { target, .. }
        | BulkItem::Delete { target, .. } => Some(target.id.clone()),
        BulkItem::Import { .. } => None,
    }
}

/// Marks `r` denied when there is a denial.
fn record_denial(r: &mut ItemResult, deny: Option<Denial>) {
    if let Some(deny) = deny {
        r.outcome = ItemOutcome::Denied;
        r.deny = Some(deny);
    }
}

/// Decides one item, by its operation: its result and the decisions behind it.
fn decide_item(
    ctx: &ItemContext<'_>,
    index: usize,
    item: &BulkItem,
    seen: &mut HashSet<(Arc<str>, String)>,
) -> Result<(ItemResult, ItemDecided), BulkError> {
    let mut r = new_result(index, item);
    let decided = match item {
        BulkItem::Status {
            target,
            to,
            reason,
            until,
            duration_days,
            duration_minutes,
            facts,
        } => {
            r.target = Some(target.id.clone());
            let duration = (*duration_days, *duration_minutes);
            let d = decide_status(ctx, target, to, reason, *until, duration, facts)?;
            r.obligations.clone_from(&d.obligations);
            record_denial(&mut r, d.deny.clone());
            ItemDecided::Status {
                transition: d,
                authorization: authorize_on(ctx, "users.status", target),
            }
        }
        BulkItem::Roles {
            target,
            add,
            remove,
            facts,
        } => {
            r.target = Some(target.id.clone());
            let (deny, d) = decide_roles(ctx, target, add, remove, facts)?;
            record_denial(&mut r, deny);
            ItemDecided::Roles(d)
        }
        BulkItem::Delete {
            target,
            mode,
            facts,
        } => {
            r.target = Some(target.id.clone());
            let (obligations, deny) = decide_delete(ctx, target, *mode, facts)?;
            r.obligations = obligations;
            record_denial(&mut r, deny);
            ItemDecided::Delete(authorize_on(ctx, "users.delete", target))
        }
        BulkItem::Import { user, facts } => decide_import(ctx, &mut r, user, facts, seen)?,
    };
    Ok((r, decided))
}

/// The kernel's authorization of `action` on `target` by the bulk's actor, told to a
/// caller beside an item's own decision; `None` when it cannot be made (no access
/// section, an undeclared action).
fn authorize_on(ctx: &ItemContext<'_>, action: &str, target: &Account) -> Option<AuthzDecision> {
    let a = AuthorizeRequest {
        actor: ctx.actor.clone(),
        action: action.into(),
        target: Target::from(target),
        change: None,
    };
    access::authorize(ctx.policy, ctx.dir, &a, ctx.now, ctx.lang).ok()
}

/// A status change: the lifecycle transition, with the permissions the actor holds over
/// the target.
fn decide_status(
    ctx: &ItemContext<'_>,
    target: &Account,
    to: &str,
    reason: &Option<String>,
    until: Option<Timestamp>,
    (duration_days, duration_minutes): (Option<u32>, Option<u32>),
    facts: &TransitionFacts,
) -> Result<TransitionDecision, BulkError> {
    let perms = actor_permissions(ctx.policy, ctx.dir, ctx.actor, target, ctx.now)?;
    let t = TransitionRequest {
        actor: ctx.actor.clone(),
        target: target.clone(),
        to: to.to_owned(),
        reason: reason.clone(),
        until,
        duration_days,
        duration_minutes,
        facts: facts.clone(),
        actor_permissions: perms,
        lang: ctx.lang,
    };
    Ok(lifecycle::transition(ctx.policy, &t, ctx.now)?)
}

/// A role change: authorization of `access.assignAction` with the change, then the
/// attribute permissions of the account's `roles` (`access.fieldAccess`), then the
/// lifecycle's guards of what it takes away, as an edit of the roles is held to them
/// (a critical permission from its only holder). Returns its denial and the
/// authorization.
fn decide_roles(
    ctx: &ItemContext<'_>,
    target: &Account,
    add: &[String],
    remove: &[String],
    facts: &lifecycle::ChangeFacts,
) -> Result<(Option<Denial>, AuthzDecision), BulkError> {
    let Some(assign) = ctx.policy.assign_action().map(str::to_owned) else {
        return Err(BulkError::unsupported("roles", "access.assignAction"));
    };
    let a = AuthorizeRequest {
        actor: ctx.actor.clone(),
        action: assign,
        target: Target::from(target),
        change: Some(RoleChange {
            add: add.to_vec(),
            remove: remove.to_vec(),
        }),
    };
    let d = access::authorize(ctx.policy, ctx.dir, &a, ctx.now, ctx.lang)?;
    if d.deny.is_some() || (add.is_empty() && remove.is_empty()) {
        return Ok((d.deny.clone(), d));
    }
    // A role change is an edit of the account's `roles`: attribute permissions apply, as
    // they do to the same change made by an edit.
    let deny = access::fields_denial(
        ctx.policy,
        ctx.dir,
        ctx.actor,
        target,
        &["roles".to_owned()],
        ctx.now,
        ctx.lang,
    )?;
    if deny.is_some() {
        return Ok((deny, d));
    }
    let after = with_roles(target, add, remove);
    let deny = lifecycle::edit_guards(ctx.policy, target, &after, facts, ctx.now, ctx.lang)?;
    Ok((deny, d))
}

/// `account` with the roles in `remove` withdrawn and those in `add` granted (each once):
/// what a bulk role change makes of it.
pub fn with_roles(account: &Account, add: &[String], remove: &[String]) -> Account {
    let mut after = account.clone();
    after.roles.retain(|r| !remove.contains(r));
    for r in add {
        if !after.roles.contains(r) {
            after.roles.push(r.clone());
        }
    }
    after
}

/// A deletion: the lifecycle deletion, with the permissions the actor holds over the
/// target. Returns its obligations and denial.
fn decide_delete(
    ctx: &ItemContext<'_>,
    target: &Account,
    mode: Option<DeleteMode>,
    facts: &lifecycle::DeleteFacts,
) -> Result<(Vec<Obligation>, Option<Denial>), BulkError> {
    let perms = actor_permissions(ctx.policy, ctx.dir, ctx.actor, target, ctx.now)?;
    let d = lifecycle::delete(
        ctx.policy,
        &DeleteRequest {
            actor: ctx.actor.clone(),
            target: target.clone(),
            mode,
            confirmed: ctx.confirmed,
            facts: facts.clone(),
            actor_permissions: perms,
            lang: ctx.lang,
        },
        ctx.now,
    )?;
    Ok((d.obligations, d.deny))
}

/// An import: the record validated for import, unique checks also held against the
/// records before it in the batch, then, if valid and the policy has an access section,
/// authorization of `access.createAction` and the attribute permissions of the fields the
/// record sets (`access.fieldAccess`, [`access::create_denial`]).
fn decide_import(
    ctx: &ItemContext<'_>,
    r: &mut ItemResult,
    user: &Map<String, Value>,
    facts: &ValidationFacts,
    seen: &mut HashSet<(Arc<str>, String)>,
) -> Result<ItemDecided, BulkError> {
    let vctx = ValidationContext {
        mode: Mode::Import,
        today: ctx.today,
        lang: ctx.lang,
        facts,
        mfa: false,
    };
    let mut v = validate_user(ctx.policy, user, &vctx);
    r.target = v
        .normalized
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_owned);
    flag_batch_duplicates(&mut v, seen, ctx.lang);
    r.violations.clone_from(&v.violations);
    if !v.valid {
        r.outcome = ItemOutcome::Invalid;
        return Ok(ItemDecided::Import {
            validation: v,
            authorization: None,
            target: None,
        });
    }
    let mut authorization = None;
    let mut authorized_on = None;
    if let Some(access) = ctx.policy.access() {
        let Some(create) = ctx.policy.create_action().map(str::to_owned) else {
            return Err(BulkError::unsupported("import", "access.createAction"));
        };
        // The roles and groups the record gives the account (a single create's lists):
        // granted by the creation, so authorized with it.
        let lists = assigned(ctx.policy, user, "roles")
            .and_then(|roles| Ok((roles, assigned(ctx.policy, user, "groups")?)));
        let (roles, groups) = match lists {
            Ok(lists) => lists,
            Err((path, issue)) => {
                let violation = issue.at(path, Severity::Error, ctx.lang);
                v.violations.push(violation.clone());
                v.valid = false;
                r.violations.push(violation);
                r.outcome = ItemOutcome::Invalid;
                return Ok(ItemDecided::Import {
                    validation: v,
                    authorization: None,
                    target: None,
                });
            }
        };
        let manager = access.spec.manager_field.as_deref().unwrap_or("manager");
        let mut target = import_target(user, &v.normalized, manager);
        target.roles.clone_from(&roles);
        target.groups.clone_from(&groups);
        let a = AuthorizeRequest {
            actor: ctx.actor.clone(),
            action: create,
            target,
            change: (!roles.is_empty()).then(|| access::RoleChange {
                add: roles.clone(),
                remove: Vec::new(),
            }),
        };
        let d = access::authorize(ctx.policy, ctx.dir, &a, ctx.now, ctx.lang)?;
        authorized_on = Some(a.target);
        if d.deny.is_some() {
            record_denial(r, d.deny.clone());
        } else {
            // A created account is judged like an edit: a record setting a field the actor
            // may not edit (`access.fieldAccess`) is denied naming the field, as the same
            // fields set by a single create are.
            let mut created = import_account(ctx.policy, user, &v.normalized, manager);
            created.roles = roles;
            created.groups = groups;
            let deny =
                access::create_denial(ctx.policy, ctx.dir, ctx.actor, &created, ctx.now, ctx.lang)?;
            record_denial(r, deny);
        }
        authorization = Some(d);
    }
    Ok(ItemDecided::Import {
        validation: v,
        authorization,
        target: authorized_on,
    })
}

/// The names the import record `user` gives under `key` (`roles`, `groups`; none when
/// absent, or a field of the policy's): [`crate::import::assignment_names`], its reason as
/// a `wrong_type` violation at the key.
fn assigned(
    policy: &Policy,
    user: &Map<String, Value>,
    key: &str,
) -> Result<Vec<String>, (Path, Issue)> {
    match user.get(key) {
        _ if crate::import::assignment_key(policy, key) != Some(key) => Ok(Vec::new()),
        None => Ok(Vec::new()),
        Some(value) => crate::import::assignment_names(key, value).map_err(|reason| {
            (
                Path::key(key),
                Issue::new(Code::WrongType)
                    .with("expected", "a list of distinct names")
                    .with("reason", reason),
            )
        }),
    }
}

/// Unique checks held across the batch: a value already seen in an earlier record of the
/// batch (within the same scope) is a duplicate, and makes the record invalid.
fn flag_batch_duplicates(
    v: &mut ValidationDecision,
    seen: &mut HashSet<(Arc<str>, String)>,
    lang: Lang,
) {
    for c in v.checks.iter().filter(|c| c.kind == CheckKind::Unique) {
        let scoped = match &c.within {
            Some(w) => format!("{}\u{0}{}", w.value.to_lowercase(), c.key),
            None => c.key.clone(),
        };
        if !seen.insert((c.check.clone(), scoped)) {
            let issue = Issue::new(Code::Duplicate)
                .with("check", &*c.check)
                .with("inBatch", true);
            v.violations
                .push(issue.at(Path::key(&*c.field), Severity::Error, lang));
            v.valid = false;
        }
    }
}

/// The summary (items by outcome) and the audit's count of items by operation.
fn summarize(results: &[ItemResult]) -> (BulkSummary, std::collections::BTreeMap<String, usize>) {
    let mut summary = BulkSummary {
        total: results.len(),
        ..BulkSummary::default()
    };
    let mut operations = std::collections::BTreeMap::new();
    for r in results {
        *operations.entry(r.op.to_owned()).or_insert(0) += 1;
        match r.outcome {
            ItemOutcome::Allowed => summary.allowed += 1,
            ItemOutcome::Denied => summary.denied += 1,
            ItemOutcome::Invalid => summary.invalid += 1,
        }
    }
    (summary, operations)
}

/// The processing batches: consecutive runs of `batch_size` items over `len` results.
fn plan_batches(len: usize, batch_size: usize) -> Vec<Batch> {
    (0..len)
        .step_by(batch_size)
        .map(|from| Batch {
            from,
            to: (from + batch_size).min(len),
        })
        .collect()
}

/// The permissions the actor holds over an account among those the lifecycle's `by`
/// checks ask about (one authorization each, not one per declared action). Without an
/// access section, none (only `by.root`/`by.superAdmin`/`by.roles` can pass).
pub(crate) fn actor_permissions(
    policy: &Policy,
    dir: &Directory,
    actor: &Account,
    target: &Account,
    now: Timestamp,
) -> Result<Vec<String>, AccessError> {
    let (Some(_), Some(lc)) = (policy.access(), policy.lifecycle()) else {
        return Ok(Vec::new());
    };
    access::permitted_among(
        policy,
        dir,
        actor,
        &Target::from(target),
        lc.permissions_needed(),
        now,
    )
}

/// The account an imported record creates, for its attribute permissions: the typed parts
/// read from the record as [`import_target`] reads them, the status the record names or the
/// policy's initial one, `superAdmin` when the record sets it.
fn import_account(
    policy: &Policy,
    user: &Map<String, Value>,
    normalized: &Map<String, Value>,
    manager_field: &str,
) -> Account {
    let t = import_target(user, normalized, manager_field);
    let status = t.status.unwrap_or_else(|| {
        lifecycle::initial_status(policy)
            .unwrap_or("active")
            .to_owned()
    });
    let mut account = Account {
        id: t.id,
        organization: t.organization,
        status,
        super_admin: normalized.get("superAdmin").and_then(Value::as_bool) == Some(true),
        manager: t.manager,
        location: t.location,
        attributes: t.attributes,
        ..Account::default()
    };
    // The record's password is never in the normalised record, but the record sets it.
    for (name, spec) in policy.document().fields.iter() {
        let set = user
            .get(name)
            .and_then(Value::as_str)
            .is_some_and(|p| !p.is_empty());
        if spec.kind == crate::policy::FieldType::Password && set {
            access::mark_password_set(&mut account, name);
        }
    }
    account
}

/// The target of a `users.create` for an imported record.
pub(crate) fn import_target(
    user: &Map<String, Value>,
    normalized: &Map<String, Value>,
    manager_field: &str,
) -> Target {
    let s = |k: &str| {
        normalized
            .get(k)
            .or_else(|| user.get(k))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    Target {
        id: s("id").unwrap_or_default(),
        kind: "user".into(),
        organization: s("organization"),
        location: s("location"),
        manager: s(manager_field),
        status: s("status"),
        attributes: normalized.clone(),
        ..Target::default()
    }
}
