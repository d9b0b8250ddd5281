//! Bulk operations over HTTP: the kernel's [`bulk`](warden_core::bulk::bulk) decides every
//! item, the store executes the allowed ones in the kernel's planned batches, and every item
//! is reported: `committed` (stored with its own audit entry), `refused` (with the kernel's
//! denial or violations, or `not_found` for a target outside the actor's read scope or
//! one the tenant's plugins do not let the actor read), or
//! `failed` (the store refused it: a uniqueness key taken meanwhile, a database error).
//! Nothing is dropped: the response has one result per item, in order.
//!
//! The request names targets by id; the store loads them (the actor and the targets come
//! from the directory, never from the body) and answers the kernel's questions (active
//! super administrators, uniqueness and existence checks of imported records, the manager
//! chains for `team` scopes). One write transaction per batch; each item runs inside a
//! savepoint, so a failed item is rolled back alone and its batch goes on. An item the
//! database rolls back to break a deadlock (PostgreSQL: a batch holds the tenant's audit
//! chain from its first item on, while single writes lock their user first) is tried
//! again (three attempts at most) after the batch so far commits, in a new transaction
//! that carries the batch on.
//!
//! The tenant's plugins judge every item the kernel allowed, as the single-item routes
//! have them judge the same write: an import is validated (and authorized as the policy's
//! create action), a status change is a transition, a role change is authorized as the
//! policy's assign action with the change, a deletion as `users.delete`. They run before
//! the first batch is written (a tenant whose plugins cannot be loaded gets its error,
//! with nothing written); an item a plugin refuses is reported `refused` with the plugins'
//! denial or violations and their reports, and the other items go on. A committed item's
//! audit entry names the plugins that judged it.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::{Map, Value, json};
use sqlx::{Acquire, AnyConnection};
use warden_core::Lang;

use crate::error::CONTENTION;
use warden_core::access::{self, AuthzDecision, RoleChange, Target};
use warden_core::bulk::{self, BulkItem, BulkRequest, ItemDecided, ItemOutcome, MAX_BULK_ITEMS};
use warden_core::lifecycle::{self, DeleteMode, DeleteRequest, Obligation, TransitionRequest};
use warden_core::model::Account;
use warden_core::policy::Mode;
use warden_core::validate::{Check, ValidationDecision, ValidationFacts};
use warden_core::validate_user;

use crate::app::{App, Tenant, now};
use crate::audit::{self, AuditRecord};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::NEUTRAL_LANG;
use crate::store::StoredHash;
use crate::store::{self, UserRow};
use crate::tokens;
use crate::users;
use crate::users::{Lifecycle, sole_holder_fact};

/// The largest bulk request body: 8 MiB.
pub const MAX_BULK_BODY: usize = 8 << 20;

/// One item as the API takes it: targets by id.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "BulkRequestItem")]
#[serde(tag = "op", rename_all = "camelCase", deny_unknown_fields)]
pub enum Item {
    /// Move a user to another status.
    #[serde(rename_all = "camelCase")]
    Status {
        /// The user's id.
        id: String,
        /// The status.
        to: String,
        /// The reason.
        #[serde(default)]
        reason: Option<String>,
        /// Duration of a temporary status, in days.
        #[serde(default)]
        duration_days: Option<u32>,
        /// Duration of a temporary status, in minutes.
        #[serde(default)]
        duration_minutes: Option<u32>,
        /// The target's active bookings, which the directory does not hold.
        #[serde(default)]
        active_bookings: Option<u32>,
        /// The approvals waiting on the target, which the directory does not hold.
        #[serde(default)]
        pending_approvals: Option<u32>,
    },
    /// Grant or withdraw roles.
    #[serde(rename_all = "camelCase")]
    Roles {
        /// The user's id.
        id: String,
        /// Roles granted.
        #[serde(default)]
        add: Vec<String>,
        /// Roles withdrawn.
        #[serde(default)]
        remove: Vec<String>,
    },
    /// Delete a user.
    #[serde(rename_all = "camelCase")]
    Delete {
        /// The user's id.
        id: String,
        /// Soft, hard or anonymising (default: the policy's).
        #[serde(default)]
        mode: Option<DeleteMode>,
        /// The target's active bookings.
        #[serde(default)]
        active_bookings: Option<u32>,
    },
    /// Create a user from a record.
    #[serde(rename_all = "camelCase")]
    Import {
        /// The user record.
        user: Map<String, Value>,
    },
}

impl Item {
    fn id(&self) -> Option<&str> {
        match self {
            Item::Status { id, .. } | Item::Roles { id, .. } | Item::Delete { id, .. } => Some(id),
            Item::Import { .. } => None,
        }
    }

    fn op(&self) -> &'static str {
        match self {
            Item::Status { .. } => "status",
            Item::Roles { .. } => "roles",
            Item::Delete { .. } => "delete",
            Item::Import { .. } => "import",
        }
    }
}

/// A bulk request body.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BulkBody {
    /// The items (at most 100,000).
    pub items: Vec<Item>,
    /// For deletions: the actor confirmed.
    #[serde(default)]
    pub confirmed: bool,
    /// For deletions: the number of accounts the actor typed to confirm.
    #[serde(default)]
    pub confirm_count: Option<usize>,
    /// Ceiling on deletions (default 100, at most 1,000).
    #[serde(default)]
    pub max_delete: Option<usize>,
    /// Processing batch size (default 100).
    #[serde(default)]
    pub batch_size: Option<usize>,
}

/// One item's report.
fn report(index: usize, op: &str, target: Option<&str>, outcome: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("index".into(), index.into());
    m.insert("op".into(), op.into());
    if let Some(t) = target {
        m.insert("target".into(), t.into());
    }
    m.insert("outcome".into(), outcome.into());
    m
}

/// What a bulk request is made of once the store has answered.
struct Prepared {
    /// Per item: the stored target (`None` for imports and for targets out of reach).
    targets: Vec<Option<UserRow>>,
    /// Per item: out of the actor's read scope (reported `not_found`).
    unreachable: Vec<bool>,
}

async fn prepare(
    conn: &mut AnyConnection,
    caller: &Caller,
    items: &[Item],
) -> Result<(Prepared, Vec<Account>), ApiError> {
    let tenant = &caller.tenant;
    let actor = caller.actor()?;
    let mut cache: BTreeMap<String, Option<UserRow>> = BTreeMap::new();
    for id in items.iter().filter_map(Item::id) {
        if !cache.contains_key(id) {
            let u = store::user(conn, &tenant.id, id)
                .await?
                .filter(|u| u.deleted_at.is_none());
            cache.insert(id.to_owned(), u);
        }
    }
    // The manager chains above the actor and every target: enough for `team` scopes.
    let mut rows: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut starts: Vec<&str> = vec![actor.id.as_str()];
    starts.extend(
        cache
            .iter()
            .filter(|(_, u)| u.is_some())
            .map(|(k, _)| k.as_str()),
    );
    for s in starts {
        if rows.contains_key(s) {
            continue;
        }
        for (id, m) in store::ancestors(conn, &tenant.id, s).await? {
            rows.entry(id).or_insert(m);
        }
    }
    let directory: Vec<Account> = rows
        .iter()
        .map(|(id, m)| Account {
            id: id.clone(),
            manager: m.clone(),
            ..Account::default()
        })
        .collect();
    let (dir, _) =
        access::Directory::from_rows(rows.iter().map(|(i, m)| (i.as_str(), m.as_deref())));
    let mut readable: BTreeMap<String, bool> = BTreeMap::new();
    for (id, u) in &cache {
        let ok = match u {
            Some(u) => users::authorize(
                tenant,
                &dir,
                &actor.account(),
                "users.read",
                Target::from(&u.account()),
                None,
                NEUTRAL_LANG,
            )?
            .allowed(),
            None => false,
        };
        readable.insert(id.clone(), ok);
    }
    let mut targets = Vec::with_capacity(items.len());
    let mut unreachable = Vec::with_capacity(items.len());
    for it in items {
        match it.id() {
            Some(id) if readable.get(id).copied().unwrap_or(false) => {
                targets.push(cache.get(id).cloned().flatten());
                unreachable.push(false);
            }
            Some(_) => {
                targets.push(None);
                unreachable.push(true);
            }
            None => {
                targets.push(None);
                unreachable.push(false);
            }
        }
    }
    Ok((
        Prepared {
            targets,
            unreachable,
        },
        directory,
    ))
}

/// Marks out of reach (reported `not_found`, as the single-item routes answer) each target
/// the tenant's plugins do not let the actor read ([`users::plugins_let_read`], with the
/// request's directory: the chains above the actor and every target).
async fn plugins_reach(
    app: &App,
    caller: &Caller,
    directory: &[Account],
    prep: &mut Prepared,
) -> Result<(), ApiError> {
    let (dir, _) = access::Directory::from_accounts(directory);
    let mut asked: BTreeMap<String, bool> = BTreeMap::new();
    for (target, unreachable) in prep.targets.iter_mut().zip(prep.unreachable.iter_mut()) {
        let Some(u) = target.as_ref() else {
            continue;
        };
        let readable = match asked.get(&u.id) {
            Some(r) => *r,
            None => {
                let r = users::plugins_let_read(app, caller, &dir, u).await?;
                asked.insert(u.id.clone(), r);
                r
            }
        };
        if !readable {
            *target = None;
            *unreachable = true;
        }
    }
    Ok(())
}

/// The store's answers to an imported record's checks, a duplicate's holder concealed
/// from an actor who may not see it ([`users::conceal_holders`]). Only the checks of
/// fields the actor may set are asked ([`users::settable`]): the kernel then denies a
/// record setting another `field_not_editable` whatever its value, never a `duplicate`
/// telling a hidden value apart.
async fn import_facts(
    app: &App,
    conn: &mut AnyConnection,
    caller: &Caller,
    record: &Map<String, Value>,
    holders: &mut users::HolderAnswers,
) -> Result<ValidationFacts, ApiError> {
    let tenant = &caller.tenant;
    let actor = caller.actor()?;
    let settable = match users::settable(conn, tenant, actor, record, None).await {
        Ok(s) => s,
        // The store's or the server's own failure: the request's.
        Err(e @ (ApiError::Unavailable | ApiError::Internal(_))) => return Err(e),
        // The record's (a stored account naming an undeclared role): nothing is asked.
        Err(_) => users::Settable::Nothing,
    };
    let empty = ValidationFacts::default();
    // Asked only for the record's checks: its messages are rendered for no one.
    let ctx = users::context(Mode::Import, NEUTRAL_LANG, &empty)?;
    let first = validate_user(&tenant.policy, record, &ctx);
    let checks: Vec<Check> = first
        .checks
        .into_iter()
        .filter(|c| settable.may_ask(c))
        .collect();
    let mut facts = store::answer_checks(conn, &tenant.id, &checks, None).await?;
    // A duplicate names its holder only to an actor who may see it, as a single create's
    // does.
    users::conceal_holders(app, conn, tenant, Some(actor), &checks, &mut facts, holders).await?;
    Ok(facts)
}

/// Decides and executes a bulk request; the items' violations and denials in `lang`.
///
/// # Errors
/// A malformed request (too many items, bad settings, an undeclared role or status), a key
/// that names no user, store errors outside the items.
pub async fn run(
    app: &App,
    caller: &Caller,
    body: BulkBody,
    lang: Lang,
    request_id: Option<String>,
) -> Result<Value, ApiError> {
    let tenant = &caller.tenant;
    let actor = caller.actor()?.clone();
    if body.items.len() > MAX_BULK_ITEMS {
        return Err(ApiError::invalid_field(
            "items",
            format!("at most {MAX_BULK_ITEMS} items (got {})", body.items.len()),
        ));
    }
    // A roles item that grants and withdraws nothing would be reported committed, with an
    // audit entry of no change: a malformed item, named.
    if let Some(i) = body.items.iter().position(
        |it| matches!(it, Item::Roles { add, remove, .. } if add.is_empty() && remove.is_empty()),
    ) {
        return Err(ApiError::invalid_field(
            &format!("items[{i}]"),
            "a roles item grants or withdraws at least one role (`add`, `remove`)",
        ));
    }
    // Asked before taking a connection: loading the tenant's set may need one.
    let plugins = crate::plugins::current(app, &tenant.id).await?.is_some();
    let mut conn = app.db.pool().acquire().await?;
    let (mut prep, directory) = prepare(&mut conn, caller, &body.items).await?;
    if plugins {
        // The tenant's plugins are asked whether the actor may read each target, as the
        // single-item routes ask (holding no connection: the plugin set may need one).
        drop(conn);
        plugins_reach(app, caller, &directory, &mut prep).await?;
        conn = app.db.pool().acquire().await?;
    }
    let supers = store::active_super_admins(&mut conn, &tenant.id, &tenant.policy).await?;
    let supers_left = std::sync::atomic::AtomicI64::new(supers);
    // The kernel's `activeSuperAdmins` for an item on `target`: the count, the target added
    // when its organisation leaves it out (`store::super_admins_fact`).
    let facts =
        |bookings: Option<u32>, approvals: Option<u32>, sole: Vec<String>, out_of_reach: bool| {
            users::HeldFacts {
                supers: supers + i64::from(out_of_reach),
                sole_holder_of: sole,
            }
            .facts(bookings, approvals)
        };
    // The users the request's status changes, deletions and role withdrawals may take
    // away: no item's `soleHolderOf` counts them as holders (counted even when their own
    // item ends refused: the safe side), so one request cannot take every holder of a
    // critical permission. Read once per target.
    let leaving: BTreeSet<String> = body
        .items
        .iter()
        .zip(&prep.targets)
        .filter(|(it, _)| match it {
            Item::Status { .. } | Item::Delete { .. } => true,
            Item::Roles { remove, .. } => !remove.is_empty(),
            _ => false,
        })
        .filter_map(|(_, t)| t.as_ref().map(|u| u.id.clone()))
        .collect();
    let mut sole_of: BTreeMap<(String, bool), Vec<String>> = BTreeMap::new();
    // The kernel's items: a target out of reach is decided as an empty account (and
    // reported not_found whatever the kernel says), so indices stay aligned.
    let mut kernel_items = Vec::with_capacity(body.items.len());
    // Whether the actor may read each duplicate's holder, asked once per holder.
    let mut holders = users::HolderAnswers::new();
    for (it, target) in body.items.iter().zip(&prep.targets) {
        let account = target.as_ref().map_or_else(
            || Account {
                id: it.id().unwrap_or_default().to_owned(),
                status: "active".into(),
                ..Account::default()
            },
            UserRow::account,
        );
        // The `soleHolderOf` fact of a status change or a deletion.
        let question = match it {
            Item::Status { .. } => Some(Lifecycle::Transition),
            Item::Delete { .. } => Some(Lifecycle::Deletion),
            Item::Roles { .. } | Item::Import { .. } => None,
        };
        let out_of_reach = match (question, target) {
            (Some(_), Some(u)) => {
                store::super_admin_out_of_reach(&mut conn, &tenant.policy, u).await?
            }
            _ => false,
        };
        let sole = match question {
            Some(q) => {
                sole_holder(
                    &mut conn,
                    tenant,
                    target.as_ref(),
                    &leaving,
                    &mut sole_of,
                    q,
                )
                .await?
            }
            None => Vec::new(),
        };
        kernel_items.push(match it {
            Item::Status {
                to,
                reason,
                duration_days,
                duration_minutes,
                active_bookings,
                pending_approvals,
                ..
            } => BulkItem::Status {
                target: account,
                to: to.clone(),
                reason: reason.clone(),
                until: None,
                duration_days: *duration_days,
                duration_minutes: *duration_minutes,
                facts: facts(*active_bookings, *pending_approvals, sole, out_of_reach),
            },
            Item::Roles { add, remove, .. } => {
                // The guards of what the change takes away, as an edit of the roles reads
                // them (the others of the request leaving are no holders).
                let facts = match target.as_ref() {
                    Some(u) => {
                        let after = warden_core::bulk::with_roles(&account, add, remove);
                        users::EditFacts::read(&mut conn, tenant, u, &account, &after, &leaving)
                            .await?
                            .facts()
                    }
                    None => Default::default(),
                };
                BulkItem::Roles {
                    target: account,
                    add: add.clone(),
                    remove: remove.clone(),
                    facts,
                }
            }
            Item::Delete {
                mode,
                active_bookings,
                ..
            } => BulkItem::Delete {
                target: account,
                mode: *mode,
                facts: facts(*active_bookings, None, sole, out_of_reach),
            },
            Item::Import { user } => BulkItem::Import {
                user: user.clone(),
                facts: import_facts(app, &mut conn, caller, user, &mut holders).await?,
            },
        });
    }
    drop(conn);
    let req = BulkRequest {
        actor: actor.account(),
        items: kernel_items,
        directory,
        confirmed: body.confirmed,
        confirm_count: body.confirm_count,
        max_delete: body.max_delete,
        batch_size: body.batch_size,
        today: None,
    };
    let t = now();
    // The kernel's decisions behind each item's result are what the plugins narrow and what
    // an import executes (its validation): nothing is decided twice.
    let (decision, decided) = bulk::bulk_decided(&tenant.policy, &req, t, lang)
        .map_err(|e| ApiError::kernel_refused(e.code(), e.setting(), e.to_string()))?;
    // Each item's fate, before anything is written: the tenant's plugins judge every item
    // the kernel allowed.
    let mut fates: Vec<Fate> = Vec::with_capacity(body.items.len());
    for (index, item) in body.items.iter().enumerate() {
        let allowed = decision
            .results
            .get(index)
            .is_some_and(|r| r.outcome == ItemOutcome::Allowed);
        fates.push(match req.items.get(index) {
            _ if prep.unreachable.get(index).copied().unwrap_or(true) => Fate::NotFound,
            Some(kernel_item) if allowed => {
                let behind = decided.get(index).and_then(Option::as_ref);
                let target = prep.targets.get(index).and_then(Option::as_ref);
                judge(app, tenant, &actor, item, kernel_item, behind, target, lang).await?
            }
            _ => Fate::Refused,
        });
    }

    // Imported users' passwords are hashed before any transaction begins: argon2 takes tens
    // of milliseconds a password, and a batch's transaction holds the tenant's audit chain
    // (on SQLite, the database's one writer) until it commits. A hash that fails (the
    // system's random source, the hashing pool) refuses the request before anything is
    // written, rather than one item among committed ones.
    let mut hashes: Vec<Option<StoredHash>> = Vec::with_capacity(body.items.len());
    // An imported user's initial temporary password, where the policy gives one (R004-05:
    // records without a password, resets by temporary password), shown once in the item's
    // result and changed at the first sign-in, as a single create's.
    let mut temporary: Vec<Option<String>> = vec![None; body.items.len()];
    for (index, item) in body.items.iter().enumerate() {
        let executed = matches!(fates.get(index), Some(Fate::Executes(_)));
        let accepted = matches!(
            decided.get(index).and_then(Option::as_ref),
            Some(ItemDecided::Import { validation, .. }) if validation.accepted()
        );
        hashes.push(match (item, executed && accepted) {
            (Item::Import { user }, true) => match users::given_password(tenant, user) {
                Some(p) => Some(users::hash(&tenant.policy, p).await?),
                None => match users::initial_temporary_password(&tenant.policy) {
                    Some(t) => {
                        let h = users::hash(&tenant.policy, t.clone()).await?;
                        if let Some(slot) = temporary.get_mut(index) {
                            *slot = Some(t);
                        }
                        Some(h)
                    }
                    None => None,
                },
            },
            _ => None,
        });
    }

    let mut results: Vec<Map<String, Value>> = Vec::with_capacity(body.items.len());
    let (mut committed, mut refused, mut failed) = (0usize, 0usize, 0usize);
    // The first committed item on each user, by id.
    let mut changed_by: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for b in &decision.batches {
        let mut tx = app.db.begin_write().await?;
        for index in b.from..b.to {
            let (Some(item), Some(kernel), Some(r)) = (
                body.items.get(index),
                req.items.get(index),
                decision.results.get(index),
            ) else {
                continue;
            };
            let target = prep.targets.get(index).cloned().flatten();
            let mut out = report(index, item.op(), item.id().or(r.target.as_deref()), "");
            let fate = fates.get(index).unwrap_or(&Fate::NotFound);
            match fate {
                Fate::NotFound => {
                    out.insert("outcome".into(), "refused".into());
                    out.insert("reason".into(), "not_found".into());
                    refused += 1;
                }
                // Decided on the user as it was before the request, which an earlier item
                // of it changed: the denial may no longer hold (a second status change
                // denied `already_in_status` of the status the first one left). Reported
                // as the conflict it is, as an allowed item on a changed user is.
                Fate::Refused
                    if let Some(&first) = target.as_ref().and_then(|t| changed_by.get(&t.id)) =>
                {
                    out.insert("outcome".into(), "failed".into());
                    out.insert("reason".into(), "conflict".into());
                    out.insert("sameTargetAs".into(), first.into());
                    out.insert("message".into(), same_target_message(first).into());
                    failed += 1;
                }
                Fate::Refused => {
                    out.insert("outcome".into(), "refused".into());
                    if let Some(d) = &r.deny {
                        out.insert("deny".into(), serde_json::to_value(d)?);
                    }
                    if !r.violations.is_empty() {
                        out.insert("violations".into(), serde_json::to_value(&r.violations)?);
                    }
                    if let Some(e) = &r.error {
                        out.insert("error".into(), serde_json::to_value(e)?);
                    }
                    refused += 1;
                }
                Fate::RefusedByPlugin(refusal) => {
                    // Reported as the single-item route's error says it, and not executed.
                    out.insert("outcome".into(), "refused".into());
                    out.extend(refusal.clone());
                    refused += 1;
                }
                Fate::Executes(reports) => {
                    let ctx = Exec {
                        caller,
                        actor: &actor,
                        request_id: request_id.clone(),
                        at: t.unix(),
                        confirmed: body.confirmed,
                        plugins: reports,
                        supers: &supers_left,
                        removed: std::sync::atomic::AtomicBool::new(false),
                        password_hash: hashes.get_mut(index).and_then(Option::take),
                        temporary: temporary.get(index).is_some_and(Option::is_some),
                    };
                    let target_id = target.as_ref().map(|u| u.id.clone());
                    let decided = decided.get(index).and_then(Option::as_ref);
                    let mut attempt = 1;
                    let (sp, executed) = loop {
                        let mut sp = tx.begin().await?;
                        let executed = execute(
                            &mut sp,
                            &ctx,
                            item,
                            kernel,
                            decided,
                            target.clone(),
                            &r.obligations,
                        )
                        .await;
                        match executed {
                            // The database rolled the item back to break a deadlock with
                            // single writes (they lock a user, then the tenant's audit chain;
                            // this batch holds the chain since its first item): the batch so
                            // far is committed, which lets them go on, and the item is tried
                            // again in a new transaction that carries on the batch.
                            Err(e) if e.is_conflict(CONTENTION) && attempt < MAX_ATTEMPTS => {
                                sp.rollback().await?;
                                ctx.forget_removed();
                                tx.commit().await?;
                                tx = app.db.begin_write().await?;
                                attempt += 1;
                            }
                            executed => break (sp, executed),
                        }
                    };
                    match executed {
                        Ok(id) => {
                            sp.commit().await?;
                            ctx.count_removed();
                            out.insert("outcome".into(), "committed".into());
                            if let Some(id) = id {
                                out.insert("target".into(), id.into());
                            }
                            if let Some(t) = temporary.get_mut(index).and_then(Option::take) {
                                out.insert("temporaryPassword".into(), t.into());
                                out.insert("mustChangePassword".into(), true.into());
                            }
                            if let Some(t) = target_id {
                                changed_by.entry(t).or_insert(index);
                            }
                            committed += 1;
                        }
                        Err(e) => {
                            sp.rollback().await?;
                            ctx.forget_removed();
                            out.insert("outcome".into(), "failed".into());
                            out.insert("reason".into(), failure_reason(&e).into());
                            // A conflict the write met (a deletion of a user others
                            // report to, a stale user): its code and message, as the single
                            // route's 409 says them.
                            if let ApiError::Conflict { errors } = &e
                                && !e.is_conflict(CONTENTION)
                            {
                                out.insert("errors".into(), serde_json::to_value(errors)?);
                            }
                            // A key another writer took meanwhile (the store's constraint
                            // refused the write): the record validated again with the
                            // store's answers now, for its `duplicate` violations at the
                            // keys' fields, as an item refused at decision has them.
                            if let (ApiError::Invalid { .. }, Item::Import { user }) = (&e, item) {
                                let found = users::validate_all(
                                    app,
                                    &mut tx,
                                    tenant,
                                    &actor,
                                    &[user],
                                    Mode::Create,
                                    None,
                                    lang,
                                )
                                .await?;
                                let taken: Vec<&warden_core::Violation> = found
                                    .iter()
                                    .flat_map(|(d, _)| &d.violations)
                                    .filter(|v| v.code.as_str() == "duplicate")
                                    .collect();
                                out.insert("violations".into(), serde_json::to_value(taken)?);
                            }
                            // Decided on a replaced policy: the instance reads the new one for
                            // the next request, as a single change's refusal makes it.
                            if matches!(e, ApiError::StalePolicy { .. }) {
                                app.forget_tenant(&tenant.id).await;
                            }
                            // Every item was decided on the users as they were before the
                            // request: an earlier item's change makes a later one on the same
                            // user stale, and the report says which.
                            if let (ApiError::Conflict { .. }, false, Some(first)) = (
                                &e,
                                e.is_conflict(CONTENTION),
                                target_id.and_then(|t| changed_by.get(&t).copied()),
                            ) {
                                out.insert("sameTargetAs".into(), first.into());
                                out.insert("message".into(), same_target_message(first).into());
                            }
                            failed += 1;
                        }
                    }
                }
            }
            results.push(out);
        }
        tx.commit().await?;
    }
    // The bulk operation's own audit entry (R002-09), after its items.
    let mut tx = app.db.begin_write().await?;
    audit::append(
        &mut tx,
        &AuditRecord {
            tenant: tenant.id.clone(),
            actor: actor.id.clone(),
            via: caller.via(),
            action: "users.bulk".into(),
            target: "bulk".into(),
            before: None,
            after: None,
            decision: json!({"policy": tenant.policy.hash(), "policyVersion": tenant.version, "kernel": decision.audit, "committed": committed, "refused": refused, "failed": failed}),
            policy_version: tenant.version,
            obligations: Vec::new(),
            at: t.unix(),
            request_id,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(json!({
        "summary": {"total": body.items.len(), "committed": committed, "refused": refused, "failed": failed},
        "results": results,
        "batches": decision.batches,
        "refused": decision.refused,
        "policy": tenant.policy.hash(),
    }))
}

/// How many times an item the database rolled back to break a deadlock is run (409
/// `contention` after the last).
const MAX_ATTEMPTS: u32 = 3;

/// What becomes of one item, settled before anything is written: the one answer the
/// password hashing and the batches read. [`judge`] gives the last two, for an item the
/// kernel allowed.
#[derive(Debug)]
enum Fate {
    /// Its target is not one the actor may reach: refused as `not_found`.
    NotFound,
    /// The kernel refused it (its result in the bulk decision says why).
    Refused,
    /// A plugin refused what the kernel allowed: what its report says of it (`reason`,
    /// `deny` or `violations`, `plugins`), as the single-item route's error body says it.
    RefusedByPlugin(Map<String, Value>),
    /// Executed: the plugins' reports (empty without plugins), for the audit entry.
    Executes(Vec<Value>),
}

/// The plugins' judgement of one item the kernel allowed, as the single-item route asks
/// for the same write: given the item as the kernel was asked it (`kernel_item`, its
/// facts) and the kernel's decisions behind it (`kernel`, from [`bulk::bulk_decided`]). A
/// plugin's denial or violations refuse the item; other errors (the tenant's plugins cannot
/// be loaded) are the request's.
#[allow(clippy::too_many_arguments)]
async fn judge(
    app: &App,
    tenant: &Tenant,
    actor: &UserRow,
    item: &Item,
    kernel_item: &BulkItem,
    kernel: Option<&ItemDecided>,
    target: Option<&UserRow>,
    lang: Lang,
) -> Result<Fate, ApiError> {
    // An import item's own faults, refused as its create route refuses them, before any
    // plugin is asked: an `id` (the server assigns it), a status the actor may not give a
    // new account.
    let fault = match (item, kernel) {
        (Item::Import { user }, Some(ItemDecided::Import { validation, .. }))
            if validation.accepted() =>
        {
            users::refuse_id(user)
                .and_then(|()| users::new_row(tenant, actor, "", validation.normalized.clone()))
                .err()
        }
        _ => None,
    };
    let judged = match (item, target, kernel) {
        _ if fault.is_some() => Err(fault.unwrap_or_else(mismatch)),
        (
            Item::Status { .. },
            Some(_),
            Some(ItemDecided::Status {
                transition,
                authorization: Some(authz),
            }),
        ) if authz.allowed() => {
            // The kernel's question as the status route asks it: the item's transition
            // with its facts (the actor's permissions are not given to plugins).
            let BulkItem::Status {
                target,
                to,
                reason,
                until,
                duration_days,
                duration_minutes,
                facts,
            } = kernel_item
            else {
                return Err(mismatch());
            };
            let req = TransitionRequest {
                actor: actor.account(),
                target: target.clone(),
                to: to.clone(),
                reason: reason.clone(),
                until: *until,
                duration_days: *duration_days,
                duration_minutes: *duration_minutes,
                facts: facts.clone(),
                actor_permissions: Vec::new(),
                // For the plugins, which are given no language.
                lang: NEUTRAL_LANG,
            };
            crate::plugins::status_change(app, tenant, &req, authz, transition).await
        }
        // The kernel denies `users.status`, which the status route requires (its state
        // machine allowed the item): refused with that denial, as the route answers.
        (
            Item::Status { .. },
            Some(_),
            Some(ItemDecided::Status {
                authorization: Some(authz),
                ..
            }),
        ) => {
            return kernel_denied(authz);
        }
        // The kernel cannot decide `users.status` (no access section, an undeclared
        // action): nothing for the plugins to narrow.
        (Item::Status { .. }, Some(_), Some(ItemDecided::Status { .. })) => {
            return not_asked(app, tenant, "users.status").await;
        }
        (Item::Roles { add, remove, .. }, Some(before), Some(ItemDecided::Roles(d))) => {
            // The kernel authorized the item as the policy's assign action (a policy without
            // one has its role items refused before any plugin runs).
            let Some(action) = tenant.policy.assign_action() else {
                return Ok(Fate::Executes(Vec::new()));
            };
            crate::plugins::authorize(
                app,
                tenant,
                actor.account(),
                action,
                Target::from(&before.account()),
                Some(RoleChange {
                    add: add.clone(),
                    remove: remove.clone(),
                }),
                d,
            )
            .await
        }
        (Item::Delete { .. }, Some(before), Some(ItemDecided::Delete(Some(d)))) if d.allowed() => {
            crate::plugins::authorize(
                app,
                tenant,
                actor.account(),
                "users.delete",
                Target::from(&before.account()),
                None,
                d,
            )
            .await
        }
        // The kernel denies `users.delete`, which the deletion route requires (the
        // lifecycle's deletion allowed the item): refused with that denial, as the route
        // answers.
        (Item::Delete { .. }, Some(_), Some(ItemDecided::Delete(Some(d)))) => {
            return kernel_denied(d);
        }
        // The kernel cannot decide `users.delete`: nothing for the plugins to narrow.
        (Item::Delete { .. }, Some(_), Some(ItemDecided::Delete(None))) => {
            return not_asked(app, tenant, "users.delete").await;
        }
        // A valid record the kernel could not authorize (a policy without an access
        // section): nothing for the plugins' authorization hook to narrow.
        (
            Item::Import { .. },
            _,
            Some(ItemDecided::Import {
                validation,
                authorization: None,
                ..
            }),
        ) if validation.accepted() => {
            return not_asked(app, tenant, "the creation of an account").await;
        }
        (
            Item::Import { user },
            _,
            Some(ItemDecided::Import {
                validation,
                authorization,
                target,
            }),
        ) => {
            let authorized = authorization.as_ref().zip(target.as_ref());
            judge_import(app, tenant, actor, user, validation, authorized, lang).await
        }
        // Not executed: `execute` reports it not found.
        (_, None, _) if !matches!(item, Item::Import { .. }) => Ok(Vec::new()),
        _ => return Err(mismatch()),
    };
    match judged {
        Ok(reports) => Ok(Fate::Executes(reports)),
        Err(ApiError::PluginDenied { deny, plugins }) => {
            let mut m = Map::new();
            m.insert("reason".into(), "plugin_denied".into());
            m.insert("deny".into(), deny);
            m.insert("plugins".into(), plugins);
            Ok(Fate::RefusedByPlugin(m))
        }
        Err(ApiError::PluginInvalid {
            violations,
            plugins,
        }) => {
            let mut m = Map::new();
            m.insert("reason".into(), "plugin_invalid".into());
            m.insert("violations".into(), violations);
            m.insert("plugins".into(), plugins);
            Ok(Fate::RefusedByPlugin(m))
        }
        // The item's own refusal as its single route gives it (an import item's groups:
        // a dynamic group, a grant the actor may not make).
        Err(ApiError::Forbidden { deny, reason }) => {
            let mut m = Map::new();
            m.insert("reason".into(), reason.into());
            m.insert("deny".into(), serde_json::to_value(deny)?);
            Ok(Fate::RefusedByPlugin(m))
        }
        Err(ApiError::Conflict { errors }) => {
            let mut m = Map::new();
            m.insert("reason".into(), "conflict".into());
            m.insert("errors".into(), serde_json::to_value(errors)?);
            Ok(Fate::RefusedByPlugin(m))
        }
        Err(ApiError::Malformed(e)) => {
            let mut m = Map::new();
            m.insert("reason".into(), e.code.into());
            m.insert("error".into(), e.message.clone().into());
            if let Some(f) = &e.field {
                m.insert("field".into(), f.clone().into());
            }
            Ok(Fate::RefusedByPlugin(m))
        }
        Err(e) => Err(e),
    }
}

/// The kernel's decisions behind an item are not of the item's operation (never: they
/// are made from the same request).
fn mismatch() -> ApiError {
    ApiError::Internal("the kernel's decision does not match the item".into())
}

/// An item whose authorization the single-item route requires, and the kernel denies (the
/// item's own decision allowed it): refused with that denial, as the route answers, with or
/// without plugins.
fn kernel_denied(authz: &AuthzDecision) -> Result<Fate, ApiError> {
    let mut m = Map::new();
    m.insert("reason".into(), "denied".into());
    m.insert("deny".into(), serde_json::to_value(&authz.deny)?);
    Ok(Fate::RefusedByPlugin(m))
}

/// An item the kernel allowed without an authorization to hand the tenant's plugins
/// (`what`, the question they are asked): without plugins nothing is asked; with plugins
/// it is refused and reported (`plugins_not_asked`), never written unasked.
async fn not_asked(app: &App, tenant: &Tenant, what: &str) -> Result<Fate, ApiError> {
    if crate::plugins::current(app, &tenant.id).await?.is_none() {
        return Ok(Fate::Executes(Vec::new()));
    }
    let mut m = Map::new();
    m.insert("reason".into(), "plugins_not_asked".into());
    m.insert(
        "message".into(),
        format!(
            "the kernel does not authorize {what} under this policy, and the tenant's plugins are asked about an authorized one: the item is not executed"
        )
        .into(),
    );
    Ok(Fate::RefusedByPlugin(m))
}

/// An import as the single create route has the plugins judge it: the record's
/// validation, then the authorization of the account as it would be created (the policy's
/// create action), both the kernel's: `authorized`, the authorization and the target it
/// was made on.
async fn judge_import(
    app: &App,
    tenant: &Tenant,
    actor: &UserRow,
    user: &Map<String, Value>,
    validation: &ValidationDecision,
    authorized: Option<(&AuthzDecision, &Target)>,
    lang: Lang,
) -> Result<Vec<Value>, ApiError> {
    if !validation.accepted() {
        // `execute` refuses it as the kernel did.
        return Ok(Vec::new());
    }
    let mut reports = crate::plugins::validate(app, tenant, user, Mode::Import, validation).await?;
    // An account that cannot be built was refused by `judge` before this.
    let u = users::new_row(tenant, actor, "", validation.normalized.clone())?;
    // `judge` refuses a valid record without an authorization before this.
    let (Some(action), Some((d, target))) = (tenant.policy.create_action(), authorized) else {
        return Ok(reports);
    };
    // The roles the record gives, as the kernel authorized them with the creation.
    let change = (!target.roles.is_empty()).then(|| RoleChange {
        add: target.roles.clone(),
        remove: Vec::new(),
    });
    // The groups it gives, judged as a create judges them ([`users::authorize_groups`]:
    // a dynamic group joined by no create, the roles the groups bring granted by someone
    // who may, with the directory between the actor and the new account's manager), and
    // put to the plugins as the create puts them.
    if !target.groups.is_empty() {
        let mut created = u.clone();
        created.id = tokens::new_id("u_").map_err(|e| ApiError::Internal(e.to_string()))?;
        created.roles.clone_from(&target.roles);
        created.groups.clone_from(&target.groups);
        let mut conn = app.db.pool().acquire().await?;
        let mut chains = users::ChainCache::new();
        let dir =
            users::create_directory(&mut conn, &tenant.id, &created, actor, &mut chains).await?;
        drop(conn);
        let question =
            users::authorize_groups(tenant, &dir, actor, &created, &[], &created.groups, lang)?;
        reports.extend(users::plugins_on_groups(app, tenant, actor, question).await?);
    }
    // The target the kernel authorized (the record's manager under the policy's
    // `managerField`, its status), not the row as the server will store it.
    reports.extend(
        crate::plugins::authorize(
            app,
            tenant,
            actor.account(),
            action,
            target.clone(),
            change,
            d,
        )
        .await?,
    );
    Ok(reports)
}

fn failure_reason(e: &ApiError) -> String {
    match e {
        ApiError::Invalid { .. } => "duplicate".into(),
        ApiError::BadRequest { message, .. } => message.clone(),
        ApiError::Malformed(m) => m.message.clone(),
        ApiError::Conflict { .. } => "conflict".into(),
        ApiError::StalePolicy { .. } => "stale_policy".into(),
        ApiError::NotFound => "not_found".into(),
        ApiError::Forbidden { .. } => "denied".into(),
        _ => "store".into(),
    }
}

/// What executing an item needs besides the item.
struct Exec<'a> {
    caller: &'a Caller,
    actor: &'a UserRow,
    request_id: Option<String>,
    at: i64,
    confirmed: bool,
    /// The plugins' reports on the item (named in its audit entry).
    plugins: &'a [Value],
    /// The tenant's active super administrators: the count the kernel decided the request
    /// on, less those the committed items removed.
    supers: &'a std::sync::atomic::AtomicI64,
    /// Whether the item being executed took an active super administrator away: counted
    /// in `supers` once it commits ([`Exec::count_removed`]), forgotten when it is rolled
    /// back ([`Exec::forget_removed`]).
    removed: std::sync::atomic::AtomicBool,
    /// An imported user's password, hashed before the batch's transaction began.
    password_hash: Option<StoredHash>,
    /// Whether that password is a generated temporary one, to change at first sign-in.
    temporary: bool,
}

impl Exec<'_> {
    /// [`store::recheck_super_admins`] on the count left by the items committed before.
    async fn recheck_super_admins(
        &self,
        conn: &mut AnyConnection,
        before: &UserRow,
        after: Option<&UserRow>,
    ) -> Result<(), ApiError> {
        use std::sync::atomic::Ordering::Relaxed;
        let left = self.supers.load(Relaxed);
        if store::recheck_super_admins(conn, &self.caller.tenant.policy, before, after, left)
            .await?
        {
            self.removed.store(true, Relaxed);
        }
        Ok(())
    }

    /// The item committed: a super administrator it took away leaves the count.
    fn count_removed(&self) {
        use std::sync::atomic::Ordering::Relaxed;
        if self.removed.swap(false, Relaxed) {
            self.supers.fetch_sub(1, Relaxed);
        }
    }

    /// The item was rolled back: what it took away is still there.
    fn forget_removed(&self) {
        self.removed
            .store(false, std::sync::atomic::Ordering::Relaxed);
    }

    async fn audit(
        &self,
        conn: &mut AnyConnection,
        action: &str,
        target: &str,
        before: Option<Value>,
        after: Option<Value>,
        obligations: Vec<Value>,
    ) -> Result<i64, ApiError> {
        self.audit_listing(conn, action, target, before, after, obligations, None)
            .await
    }

    /// [`Self::audit`], the entry listing the entries it erases (`erased`, see
    /// [`audit::listing_erased`]).
    #[allow(clippy::too_many_arguments)]
    async fn audit_listing(
        &self,
        conn: &mut AnyConnection,
        action: &str,
        target: &str,
        before: Option<Value>,
        after: Option<Value>,
        obligations: Vec<Value>,
        erased: Option<&[i64]>,
    ) -> Result<i64, ApiError> {
        let t = &self.caller.tenant;
        let decision = crate::plugins::with_plugins(
            json!({"policy": t.policy.hash(), "policyVersion": t.version, "kernel": {"bulk": true}}),
            self.plugins,
        );
        audit::append_decided(
            conn,
            &AuditRecord {
                tenant: t.id.clone(),
                actor: self.actor.id.clone(),
                via: self.caller.via(),
                action: action.to_owned(),
                target: target.to_owned(),
                before,
                after,
                decision: match erased {
                    Some(seqs) => audit::listing_erased(decision, seqs),
                    None => decision,
                },
                policy_version: t.version,
                obligations,
                at: self.at,
                request_id: self.request_id.clone(),
            },
        )
        .await
    }
}

/// Executes one allowed item inside its savepoint. Returns the new user's id for imports.
async fn execute(
    conn: &mut AnyConnection,
    x: &Exec<'_>,
    item: &Item,
    kernel: &BulkItem,
    decided: Option<&ItemDecided>,
    target: Option<UserRow>,
    obligations: &[Obligation],
) -> Result<Option<String>, ApiError> {
    let tenant = &x.caller.tenant;
    let actor = x.actor;
    match (item, target) {
        (Item::Status { to, .. }, Some(before)) => {
            let mut after = before.clone();
            after.status.clone_from(to);
            after.status_until = None;
            if after.document.contains_key("status") {
                after.document.insert("status".into(), to.clone().into());
            }
            crate::login::unlocked(tenant, &before, &mut after);
            let done =
                users::apply_obligations(conn, &mut after, obligations, &actor.id, x.at).await?;
            store::update_user(conn, &mut after, x.at).await?;
            // The sole-holder guard again, at write time, as the status route holds it: a
            // holder the decision counted on may have left since (another request). The
            // request's own items committed before this one are seen, inside its
            // transaction. Held before the super-administrator count, which lowers the
            // request's running count: an item refused here must not have lowered it.
            if let Some(ItemDecided::Status { transition, .. }) = decided
                && users::transition_guarded(tenant, transition)
            {
                store::recheck_sole_holder(conn, &tenant.policy, &before, None, now()).await?;
            }
            x.recheck_super_admins(conn, &before, Some(&after)).await?;
            x.audit(
                conn,
                "users.status",
                &after.id,
                Some(before.view()),
                Some(after.view()),
                done,
            )
            .await?;
            Ok(None)
        }
        (Item::Roles { add, remove, .. }, Some(before)) => {
            let mut after = before.clone();
            after.roles = warden_core::bulk::with_roles(&before.account(), add, remove).roles;
            store::update_user(conn, &mut after, x.at).await?;
            store::sync_roles(conn, &tenant.id, &after.id, add, remove, &actor.id, x.at).await?;
            // The sole-holder guard held again at write time, for what the change takes.
            let taken = users::critical_taken(tenant, &before.account(), &after.account())?;
            if !taken.is_empty() {
                store::recheck_sole_holder(conn, &tenant.policy, &before, Some(&taken), now())
                    .await?;
            }
            x.audit(
                conn,
                "users.roles",
                &after.id,
                Some(before.view()),
                Some(after.view()),
                Vec::new(),
            )
            .await?;
            Ok(None)
        }
        (Item::Delete { .. }, Some(before)) => {
            // The same question as the bulk decision, asked again for what the decision
            // leaves out (the mode and the anonymised record).
            let BulkItem::Delete { mode, facts, .. } = kernel else {
                return Err(ApiError::Internal("bulk item mismatch".into()));
            };
            let (dir, _) = access::Directory::from_rows(std::iter::empty());
            let perms = access::permissions_over(
                &tenant.policy,
                &dir,
                &actor.account(),
                &Target::from(&before.account()),
                now(),
            )?;
            let d = lifecycle::delete(
                &tenant.policy,
                &DeleteRequest {
                    actor: actor.account(),
                    target: before.account(),
                    mode: *mode,
                    confirmed: x.confirmed,
                    facts: facts.clone(),
                    actor_permissions: perms,
                    // Read for its mode and anonymised record: the decision was made above.
                    lang: NEUTRAL_LANG,
                },
                now(),
            )
            .map_err(users::lifecycle_bad)?;
            let mut after = before.clone();
            let done =
                users::apply_obligations(conn, &mut after, obligations, &actor.id, x.at).await?;
            let view = users::remove(conn, &before, &mut after, &d, x.at).await?;
            let kept = (d.mode != Some(DeleteMode::Hard)).then_some(&after);
            // Before the super-administrator count, as for a status change.
            if users::guarded(
                tenant,
                Lifecycle::Deletion,
                lifecycle::Guard::SoleCriticalHolder,
            ) {
                store::recheck_sole_holder(conn, &tenant.policy, &before, None, now()).await?;
            }
            x.recheck_super_admins(conn, &before, kept).await?;
            // As the deletion route: an anonymising or hard deletion erases the user's
            // personal data from the audit entries about them, this one included.
            let erased = audit::erasable(conn, &tenant.id, &before.id, d.mode).await?;
            let seq = x
                .audit_listing(
                    conn,
                    "users.delete",
                    &before.id,
                    erased.is_none().then(|| before.view()),
                    view,
                    done,
                    erased.as_deref(),
                )
                .await?;
            if let Some(seqs) = &erased {
                audit::erase(conn, &tenant.id, seqs, seq).await?;
                crate::outbox::erase_delivered(conn, &tenant.id, &before.id).await?;
            }
            Ok(None)
        }
        (Item::Import { .. }, _) => {
            let Some(ItemDecided::Import { validation: d, .. }) = decided else {
                return Err(mismatch());
            };
            if !d.accepted() {
                return Err(ApiError::Invalid {
                    violations: d.violations.clone(),
                });
            }
            let id = tokens::new_id("u_").map_err(|e| ApiError::Internal(e.to_string()))?;
            let mut u = users::new_row(tenant, actor, &id, d.normalized.clone())?;
            // The roles and groups the record gives (checked, and authorized with the
            // creation, by the kernel's decision on the item).
            if let Some(ItemDecided::Import {
                target: Some(authorized),
                ..
            }) = decided
            {
                u.roles.clone_from(&authorized.roles);
                u.groups.clone_from(&authorized.groups);
            }
            // Hashed before the transaction began (`import_password`).
            if let Some(h) = &x.password_hash {
                u.password_hash = Some(h.clone());
                u.password_changed_at = Some(x.at);
                u.must_change_password = x.temporary;
            }
            store::hold_references(conn, &tenant.id, &d.checks).await?;
            store::insert_user(conn, &u, x.at).await.map_err(dup)?;
            store::set_keys(conn, &tenant.id, &u.id, &d.checks)
                .await
                .map_err(dup)?;
            store::sync_roles(conn, &tenant.id, &u.id, &u.roles, &[], &actor.id, x.at).await?;
            store::sync_groups(conn, &tenant.id, &u.id, &u.groups, &[], &actor.id, x.at).await?;
            x.audit(
                conn,
                "users.create",
                &u.id,
                None,
                Some(u.view()),
                Vec::new(),
            )
            .await?;
            Ok(Some(id))
        }
        (_, None) => Err(ApiError::NotFound),
    }
}

/// Why an item on a user that item `first` of the same request changed is not executed.
fn same_target_message(first: usize) -> String {
    format!(
        "item {first} of this request changed this user first; this item was decided on the user as it was before, send it again"
    )
}

/// A unique violation is the item's `duplicate`; anything else a store failure.
fn dup(e: sqlx::Error) -> ApiError {
    if store::is_unique_violation(&e) {
        ApiError::Invalid {
            violations: Vec::new(),
        }
    } else {
        ApiError::from(e)
    }
}

/// The `soleHolderOf` fact of one bulk item on `target` (none for a target out of reach):
/// [`sole_holder_fact`], the users of the request's other items (`leaving`) not counted as
/// holders; read once per target and question (`known`).
///
/// # Errors
/// As [`store::sole_holder_of`].
async fn sole_holder(
    conn: &mut AnyConnection,
    tenant: &Tenant,
    target: Option<&UserRow>,
    leaving: &BTreeSet<String>,
    known: &mut BTreeMap<(String, bool), Vec<String>>,
    question: Lifecycle,
) -> Result<Vec<String>, ApiError> {
    let Some(target) = target else {
        return Ok(Vec::new());
    };
    let key = (target.id.clone(), question == Lifecycle::Deletion);
    if let Some(sole) = known.get(&key) {
        return Ok(sole.clone());
    }
    let sole = sole_holder_fact(conn, tenant, target, question, leaving).await?;
    known.insert(key, sole.clone());
    Ok(sole)
}
