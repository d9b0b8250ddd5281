//! The management operations on users. Each write: the actor is the authenticated caller
//! loaded from the directory; the kernel authorizes and validates, its checks answered by
//! the store; the change, the directory obligations and the audit entry commit in one
//! transaction; the database's UNIQUE constraints are the final arbiter.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::{Map, Value, json};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection};
use warden_core::access::{
    self, AuthorizeRequest, AuthzDecision, Directory, Placeholder, RoleChange, SqlOptions, Target,
};
use warden_core::decision::{Decision, Name, PolicyHash};
use warden_core::lifecycle::{
    self, ChangeFacts, ChangeRequest, DeleteMode, DeleteRequest, LifecycleError, LoginFacts,
    Obligation, OrganizationState, PasswordResetRequest, ResetMethod, TransitionFacts,
    TransitionRequest,
};
use warden_core::model::Account;
use warden_core::password::{self, Profile, ResolvedPasswordPolicy};
use warden_core::policy::Mode;
use warden_core::validate::{ValidationDecision, ValidationFacts};
use warden_core::{Lang, Policy, Severity, Timestamp, ValidationContext, validate_user};

use crate::app::{App, Tenant, now};
use crate::audit::{self, AuditRecord};
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::fields;
use crate::store::{self, Param, StoredHash, UserRow};
use crate::tokens;

/// Keys of a create or update body that are not schema fields.
const ROLES: &str = "roles";
const GROUPS: &str = "groups";

/// A lifecycle error of the kernel as the API answers it.
pub(crate) fn lifecycle_bad(e: LifecycleError) -> ApiError {
    ApiError::kernel_refused(e.code(), None, e.to_string())
}

/// The fields of type password ([`Policy::password_fields`]).
pub(crate) fn password_fields(policy: &Policy) -> Vec<String> {
    policy.password_fields().map(str::to_owned).collect()
}

/// The password policy used to hash: the tenant's, or NIST's for a tenant without one
/// (accounts of such a tenant may still get a console password).
fn hash_policy(policy: &Policy) -> ResolvedPasswordPolicy {
    policy
        .password_policy()
        .cloned()
        .unwrap_or_else(|| Profile::Nist80063b4.resolved())
}

/// A password set for a stored user outside a record's validation (an administrator's
/// reset, a reset token's redemption, one's own change): held to the rules a create or an
/// edit holds it to, the user's own data (name, email, identifiers) among them; under a
/// policy without a `password` section, to the NIST SP 800-63B-4 profile the server hashes
/// it with ([`hash_policy`]): a password that signs in is never empty, nor any text at all.
///
/// # Errors
/// [`ApiError::Invalid`] with the password rules' violations, at `password`.
pub(crate) fn check_new_password(
    tenant: &Tenant,
    document: &Map<String, Value>,
    plain: &str,
    lang: Lang,
) -> Result<(), ApiError> {
    let fallback;
    let pp = match tenant.policy.password_policy() {
        Some(pp) => pp,
        None => {
            fallback = hash_policy(&tenant.policy);
            &fallback
        }
    };
    let context = warden_core::validate::password_context(&tenant.policy, document, false);
    let report = password::check_password_opt(pp, plain, &context, tenant.policy.blocklist());
    if report.is_acceptable() {
        Ok(())
    } else {
        Err(ApiError::Invalid {
            violations: report.violations(&warden_core::Path::key("password"), lang),
        })
    }
}

/// The refusal of a route that would verify one's own current password while the
/// policy's lockout holds the account (403 `locked`): not verified, it answers no guess.
fn locked_out() -> ApiError {
    ApiError::Forbidden {
        deny: None,
        reason: "locked",
    }
}

/// Hashes on the blocking pool (argon2id takes tens of milliseconds and 19 MiB).
pub(crate) async fn hash(policy: &Policy, plain: String) -> Result<StoredHash, ApiError> {
    let p = hash_policy(policy);
    let salt: [u8; 16] = tokens::random_bytes().map_err(|e| ApiError::Internal(e.to_string()))?;
    let memory_kib = p.hash().memory_kib;
    on_hashing_pool(memory_kib, move || {
        password::hash_password(&p, &plain, &salt)
    })
    .await?
    .map(StoredHash)
    .map_err(|e| ApiError::Internal(e.to_string()))
}

/// Spends the time a password verification would, for a sign-in that names no tenant
/// the server holds: answered as slowly as a wrong password, an unknown tenant id cannot
/// be told from a known one by timing (with the default hash parameters: a tenant's own
/// may differ).
pub(crate) async fn hash_for_nothing(plain: String) {
    let p = Profile::Nist80063b4.resolved();
    let salt = [0u8; 16];
    let memory_kib = p.hash().memory_kib;
    let _ = on_hashing_pool(memory_kib, move || {
        password::hash_password(&p, &plain, &salt)
    })
    .await;
}

/// The memory the server lets argon2 use at once, in MiB: a hash waits for room, so that
/// sign-ins sent at once (an unknown login's answered in a hash's time, needing no
/// credentials) cost at most this much memory, whatever their number. With the OWASP
/// parameters (19 MiB) 53 hashes run at once, more than the cores can.
pub const HASH_MEMORY_MIB: u32 = 1024;

static HASHING: tokio::sync::Semaphore =
    tokio::sync::Semaphore::const_new(HASH_MEMORY_MIB as usize);

/// Runs `work` (a hash of `memory_kib`) on the blocking pool once the budget
/// ([`HASH_MEMORY_MIB`]) has room for it. The room goes with the work, not with the
/// request: a request cancelled meanwhile (its timeout, its caller gone) does not give
/// back memory a hash still uses.
async fn on_hashing_pool<T: Send + 'static>(
    memory_kib: u32,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    let mib = memory_kib.div_ceil(1024).clamp(1, HASH_MEMORY_MIB);
    let room = HASHING
        .acquire_many(mib)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    tokio::task::spawn_blocking(move || {
        let _room = room;
        work()
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))
}

/// Verifies on the blocking pool.
async fn verify(
    policy: &Policy,
    stored: &StoredHash,
    plain: String,
) -> Result<password::Verification, ApiError> {
    let p = hash_policy(policy);
    let phc = stored.0.clone();
    // The stored hash's own memory (older parameters may differ from the policy's).
    let memory_kib = password::phc_memory_kib(&phc).unwrap_or(p.hash().memory_kib);
    on_hashing_pool(memory_kib, move || {
        password::verify_password(&p, &phc, &plain)
    })
    .await?
    .map_err(|e| ApiError::Internal(e.to_string()))
}

/// Refuses a new password that is the user's current one (409 `password_unchanged`), when
/// the user sets their own (the password route, an edit of one's own record, a reset
/// token's redemption): whoever knew the old password (a temporary one someone else saw,
/// one being reset because it leaked) would still know it. Never asked of a password set
/// for someone else: the answer would tell the setter the user's password.
/// `verified_current`: the current password the caller gave and had verified, compared as
/// text; without one the stored hash is asked (argon2id, 19 MiB).
pub(crate) async fn refuse_unchanged(
    policy: &Policy,
    before: &UserRow,
    verified_current: Option<&str>,
    new: &str,
) -> Result<(), ApiError> {
    let unchanged = match (verified_current, &before.password_hash) {
        (Some(current), _) => current == new,
        (None, Some(h)) => verify(policy, h, new.to_owned()).await?.matches,
        (None, None) => false,
    };
    if unchanged {
        return Err(ApiError::Conflict {
            errors: vec![FieldError {
                field: "password".into(),
                code: "password_unchanged".into(),
                message: "the new password is the current one: choose another".into(),
            }],
        });
    }
    Ok(())
}

/// Ends every session of `u` (the caller's too) when its password is replaced, or when it
/// is moved into an inactive organisation ([`moved_into_inactive`]), whatever the
/// policy's obligations (`obligations`, already carried out into `done`): a session
/// opened with the old password must not outlive it, nor change the new one (an
/// administrator's reset would otherwise be undone by whoever holds such a session).
pub(crate) async fn end_sessions(
    conn: &mut AnyConnection,
    u: &mut UserRow,
    obligations: &[Obligation],
    done: &mut Vec<Value>,
) -> Result<(), ApiError> {
    if !obligations.contains(&Obligation::RevokeSessions) {
        store::revoke_sessions(conn, u).await?;
        done.push(serde_json::to_value(Obligation::RevokeSessions)?);
    }
    Ok(())
}

/// After a write that may leave the tenant without a super administrator who can sign in
/// where no decision of the kernel's saw it (a super administrator moved into an inactive
/// organisation, an organisation deactivated with the last ones in it): under a policy
/// that keeps the last one (`lastSuperAdmin`), counted again in the write's transaction
/// (the tenant's row locked on PostgreSQL, after the rows written), and refused
/// `last_super_admin` when none is left.
///
/// # Errors
/// The kernel's `last_super_admin` denial; database errors.
pub(crate) async fn keep_a_super_admin(
    conn: &mut AnyConnection,
    tenant: &Tenant,
    lang: Lang,
) -> Result<(), ApiError> {
    let keeps_last = tenant
        .policy
        .lifecycle()
        .is_some_and(|l| l.guards(lifecycle::Guard::LastSuperAdmin));
    if !keeps_last {
        return Ok(());
    }
    store::lock_tenant(conn, &tenant.id).await?;
    if store::active_super_admins(conn, &tenant.id, &tenant.policy).await? == 0 {
        return Err(ApiError::denied(Some(lifecycle::last_super_admin_denial(
            lang,
        ))));
    }
    Ok(())
}

/// Whether the edit moves the user into an inactive organisation under a policy whose
/// sign-in needs an active one: its sessions end then, as a deactivation of the
/// organisation ends its users' (a session must not outlive what signing in again would
/// refuse).
///
/// # Errors
/// Database errors.
async fn moved_into_inactive(
    conn: &mut AnyConnection,
    tenant: &Tenant,
    before: &UserRow,
    after: &UserRow,
) -> Result<bool, ApiError> {
    let gates = tenant.policy.login_needs_active_organization();
    match &after.organization {
        Some(org) if gates && after.organization != before.organization => {
            Ok(store::organization_active_locked(conn, &tenant.id, org).await? == Some(false))
        }
        _ => Ok(false),
    }
}

/// The status a new record names: a string, or none (absent or `null`: the lifecycle's
/// initial status); anything else is refused naming the field, never replaced.
fn status_in(doc: &Map<String, Value>) -> Result<Option<String>, ApiError> {
    match doc.get("status") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::invalid_field(
            "status",
            "`status` must be a string",
        )),
    }
}

/// The password a record (a create's, an edit's, an imported row's) sets: its first
/// password field that holds a text that is not blank. A blank one (empty, or only white
/// space: `"        "`, a tab, U+3000) sets none, as the kernel reads it (R000-05: an
/// edit keeps the current password, a create has none, and a required password is
/// `required`): it is never hashed and stored as the password.
pub(crate) fn given_password(tenant: &Tenant, record: &Map<String, Value>) -> Option<String> {
    password_fields(&tenant.policy)
        .iter()
        .find_map(|f| text(record, f).filter(|p| !warden_core::checks::text::trim(p).is_empty()))
}

fn text(doc: &Map<String, Value>, key: &str) -> Option<String> {
    doc.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn string_list(v: Option<Value>, key: &str) -> Result<Option<Vec<String>>, ApiError> {
    v.map(|v| {
        warden_core::import::assignment_names(key, &v)
            .map_err(|reason| ApiError::invalid_field(key, reason))
    })
    .transpose()
}

/// Validates `record` twice: once to learn the checks, once with the store's answers (a
/// duplicate names its holder only when `actor` may read it, see [`conceal_holders`]);
/// messages in `lang`. One record of [`validate_all`].
#[allow(clippy::too_many_arguments)]
async fn validate(
    app: &App,
    conn: &mut AnyConnection,
    tenant: &Tenant,
    actor: &UserRow,
    record: &Map<String, Value>,
    mode: Mode,
    self_id: Option<&str>,
    lang: Lang,
) -> Result<ValidationDecision, ApiError> {
    validate_all(app, conn, tenant, actor, &[record], mode, self_id, lang)
        .await?
        .pop()
        .map(|(decision, _)| decision)
        .ok_or_else(|| ApiError::Internal("validation: no decision for the record".into()))
}

/// Validates each of `records` as a create or an edit of it alone validates it: once to
/// learn its checks, then with the store's answers to them, asked for all the records at
/// once ([`store::answer_checks_of`]), a duplicate naming its holder only when `actor` may
/// read it ([`conceal_holders`]). Messages in `lang`. Per record, in order: the decision
/// and the facts it was decided with.
///
/// # Errors
/// Store errors, plugin set load failures (while concealing holders), the clock.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn validate_all(
    app: &App,
    conn: &mut AnyConnection,
    tenant: &Tenant,
    actor: &UserRow,
    records: &[&Map<String, Value>],
    mode: Mode,
    self_id: Option<&str>,
    lang: Lang,
) -> Result<Vec<(ValidationDecision, ValidationFacts)>, ApiError> {
    let empty = ValidationFacts::default();
    let ctx = context(mode, lang, &empty)?;
    let mut out = Vec::with_capacity(records.len());
    let mut checks = Vec::with_capacity(records.len());
    for record in records {
        let first = validate_user(&tenant.policy, record, &ctx);
        checks.push(first.checks.clone());
        out.push((first, ValidationFacts::default()));
    }
    if checks.iter().all(Vec::is_empty) {
        return Ok(out);
    }
    let asked: Vec<&[warden_core::validate::Check]> = checks.iter().map(Vec::as_slice).collect();
    let answers = store::answer_checks_of(conn, &tenant.id, &asked, self_id).await?;
    let mut holders = HolderAnswers::new();
    for ((record, slot), mut facts) in records.iter().zip(out.iter_mut()).zip(answers) {
        if slot.0.checks.is_empty() {
            continue;
        }
        conceal_holders(
            app,
            conn,
            tenant,
            Some(actor),
            &slot.0.checks,
            &mut facts,
            &mut holders,
        )
        .await?;
        let answered = ValidationContext {
            facts: &facts,
            ..ctx
        };
        let decision = validate_user(&tenant.policy, record, &answered);
        *slot = (decision, facts);
    }
    Ok(out)
}

/// The context of a kernel validation on this server: the clock's date, no MFA, `facts`
/// the store's answers (none yet for a first pass).
///
/// # Errors
/// `Internal` when the clock has no date.
pub(crate) fn context(
    mode: Mode,
    lang: Lang,
    facts: &ValidationFacts,
) -> Result<ValidationContext<'_>, ApiError> {
    let today = now()
        .date()
        .ok_or_else(|| ApiError::Internal("clock".into()))?;
    Ok(ValidationContext {
        mode,
        today,
        lang,
        facts,
        mfa: false,
    })
}

/// Whether `actor` may read the live user `id` of the tenant: the kernel's `users.read`,
/// then the tenant's plugins, as [`readable_target`] answers. Asked holding `conn` (the
/// callers are in the middle of a validation): the tenant's plugin set was normally
/// loaded when the request was authenticated ([`crate::plugins::warm`]), so the plugins
/// need no connection of their own (a set that failed to load there, or that another
/// instance's change made stale meanwhile, takes a second one).
///
/// # Errors
/// Store errors, plugin set load failures.
pub(crate) async fn may_read(
    app: &App,
    conn: &mut AnyConnection,
    tenant: &Tenant,
    actor: &UserRow,
    id: &str,
) -> Result<bool, ApiError> {
    may_act(app, conn, tenant, actor, id, "users.read").await
}

/// Whether `actor` may do `action` to the live user `id` of the tenant: the kernel, then
/// the tenant's plugins ([`may_read`] for `users.read`).
///
/// # Errors
/// As [`may_read`].
pub(crate) async fn may_act(
    app: &App,
    conn: &mut AnyConnection,
    tenant: &Tenant,
    actor: &UserRow,
    id: &str,
    action: &str,
) -> Result<bool, ApiError> {
    let Some(target) = store::user(conn, &tenant.id, id)
        .await?
        .filter(|u| u.deleted_at.is_none())
    else {
        return Ok(false);
    };
    let dir = directory(conn, &tenant.id, &[], &[&target.id, &actor.id]).await?;
    let t = Target::from(&target.account());
    let req = AuthorizeRequest {
        actor: actor.account(),
        action: action.to_owned(),
        target: t.clone(),
        change: None,
    };
    match access::authorize(
        &tenant.policy,
        &dir,
        &req,
        now(),
        crate::extract::NEUTRAL_LANG,
    ) {
        Ok(d) if d.allowed() => {
            crate::plugins::allows(app, tenant, actor.account(), action, t, &d).await
        }
        _ => Ok(false),
    }
}

/// What an actor may learn of a duplicate's holder ([`holder_view`]).
#[derive(Debug, Clone)]
pub(crate) enum HolderView {
    /// Nothing: the actor may not read the user (or it is gone).
    Hidden,
    /// Every field: the actor may read the user, and the policy hides no field.
    Whole,
    /// The fields the kernel shows the actor of the user (attribute permissions).
    Fields(warden_core::access::FieldAccess),
}

impl HolderView {
    /// Whether the actor may learn that the holder holds a key of `field` (a duplicate
    /// naming a holder whose value of the field is hidden would tell the value).
    pub(crate) fn sees(&self, field: &str) -> bool {
        match self {
            HolderView::Hidden => false,
            HolderView::Whole => true,
            HolderView::Fields(fa) => fa.may_view(field),
        }
    }
}

/// What `actor` may learn of the live user `holder`: whether it may read the user
/// ([`may_read`]) and, under attribute permissions, which of its fields it may see. Asked
/// once per holder and request (`asked`): every field of a holder is judged from one answer.
///
/// # Errors
/// As [`may_read`]; a stored account naming an undeclared role or group.
pub(crate) async fn holder_view(
    app: &App,
    conn: &mut AnyConnection,
    tenant: &Tenant,
    actor: &UserRow,
    holder: &str,
    asked: &mut HolderAnswers,
) -> Result<HolderView, ApiError> {
    if let Some(known) = asked.get(holder) {
        return Ok(known.clone());
    }
    let view = if !may_read(app, conn, tenant, actor, holder).await? {
        HolderView::Hidden
    } else if !fields::declared(&tenant.policy) {
        HolderView::Whole
    } else if let Some(row) = store::user(conn, &tenant.id, holder).await? {
        HolderView::Fields(stored_access(conn, tenant, actor, &row).await?)
    } else {
        HolderView::Hidden
    };
    asked.insert(holder.to_owned(), view.clone());
    Ok(view)
}

/// What [`holder_view`] learnt in one request, per holder.
pub(crate) type HolderAnswers = BTreeMap<String, HolderView>;

/// The store's uniqueness answers name the account holding a key (its id and status, for
/// the kernel's duplicate suggestion); an actor who may not read that account, or not see
/// its value of the key's field (attribute permissions), or no actor, learns only that the
/// key is taken (and the status only an actor who may see the holder's `status`), as `GET
/// /users/{id}` answers "not found" ([`holder_view`]). `checks`
/// are the validation's checks the facts answer (the field of each); `asked` keeps the
/// answers of a request that conceals many records' holders (a bulk import).
///
/// # Errors
/// Store errors, plugin set load failures.
pub(crate) async fn conceal_holders(
    app: &App,
    conn: &mut AnyConnection,
    tenant: &Tenant,
    actor: Option<&UserRow>,
    checks: &[warden_core::validate::Check],
    facts: &mut ValidationFacts,
    asked: &mut HolderAnswers,
) -> Result<(), ApiError> {
    for (check, fact) in &mut facts.unique {
        let Some(holder) = fact.existing_id.clone() else {
            continue;
        };
        // A fact no check asked for names no field: its holder is not told.
        let field = checks
            .iter()
            .find(|c| *c.check == **check)
            .map(|c| c.field.to_string());
        let view = match actor {
            Some(a) => holder_view(app, conn, tenant, a, &holder, asked).await?,
            None => HolderView::Hidden,
        };
        // The holder, to an actor who sees its value of the key's field; its status (and
        // the suggestion the kernel words from it) to one who also sees its status.
        let visible = field.is_some_and(|f| view.sees(&f));
        if !visible || !view.sees("status") {
            fact.existing_status = None;
        }
        if !visible {
            fact.existing_id = None;
        }
    }
    Ok(())
}

fn refuse_invalid(d: &ValidationDecision) -> Result<(), ApiError> {
    if d.accepted() {
        Ok(())
    } else {
        Err(ApiError::Invalid {
            violations: d.violations.clone(),
        })
    }
}

fn warnings(d: &ValidationDecision) -> Vec<Value> {
    d.violations
        .iter()
        .filter(|v| v.severity == Severity::Warning)
        .filter_map(|v| serde_json::to_value(v).ok())
        .collect()
}

/// The warnings an editor is answered: none at a field hidden from them (a naming
/// convention's warning quotes the expected e-mail address).
fn warnings_for(
    d: &ValidationDecision,
    fa: Option<&warden_core::access::FieldAccess>,
) -> Vec<Value> {
    d.violations
        .iter()
        .filter(|v| v.severity == Severity::Warning)
        .filter(|v| fa.is_none_or(|fa| v.path.field().is_none_or(|f| fa.may_view(f))))
        .filter_map(|v| serde_json::to_value(v).ok())
        .collect()
}

/// A directory index holding the manager chains above `starts`, enough for the kernel's
/// `team` scope between the actor and one target.
pub(crate) async fn directory(
    conn: &mut AnyConnection,
    tenant: &str,
    extra: &[(String, Option<String>)],
    starts: &[&str],
) -> Result<Directory, ApiError> {
    let mut rows: Vec<(String, Option<String>)> = extra.to_vec();
    for s in starts {
        rows.extend(store::ancestors(conn, tenant, s).await?);
    }
    Ok(directory_of(rows))
}

/// The directory of (id, manager) rows read from the store, each user once (the first
/// row of an id wins).
pub(crate) fn directory_of(mut rows: Vec<(String, Option<String>)>) -> Directory {
    let mut seen = BTreeSet::new();
    rows.retain(|(id, _)| seen.insert(id.clone()));
    let (dir, _problems) =
        Directory::from_rows(rows.iter().map(|(i, m)| (i.as_str(), m.as_deref())));
    dir
}

pub(crate) fn authorize(
    tenant: &Tenant,
    dir: &Directory,
    actor: &Account,
    action: &str,
    target: Target,
    change: Option<RoleChange>,
    lang: Lang,
) -> Result<AuthzDecision, ApiError> {
    let req = AuthorizeRequest {
        actor: actor.clone(),
        action: action.to_owned(),
        target,
        change,
    };
    access::authorize(&tenant.policy, dir, &req, now(), lang).map_err(|e| {
        // An undeclared role or group names where it was given; the body's lists are the
        // account's `roles` and `groups`, a change's `roles`.
        ApiError::kernel_refused(e.code(), e.field(), e.to_string())
    })
}

pub(crate) fn require(d: AuthzDecision) -> Result<AuthzDecision, ApiError> {
    if d.allowed() {
        Ok(d)
    } else {
        Err(ApiError::denied(d.deny))
    }
}

/// Loads a live user of the caller's tenant that the actor may read; a user outside the
/// actor's read scope, or whom the tenant's plugins do not let the actor read (as an
/// AuthZEN evaluation of `users.read` answers), is reported as not found. See
/// [`readable_target_and_conn`] for a caller that goes on with a connection.
pub(crate) async fn readable_target(
    app: &App,
    caller: &Caller,
    id: &str,
) -> Result<(UserRow, Directory), ApiError> {
    let (target, dir, _) = load_readable(app, caller, id, false).await?;
    Ok((target, dir))
}

/// [`readable_target`], and a connection to go on with: the one it read with for a tenant
/// without plugins (one acquisition, as before plugins were asked), a new one after the
/// plugins ran otherwise.
pub(crate) async fn readable_target_and_conn(
    app: &App,
    caller: &Caller,
    id: &str,
) -> Result<(UserRow, Directory, PoolConnection<Any>), ApiError> {
    match load_readable(app, caller, id, true).await? {
        (target, dir, Some(conn)) => Ok((target, dir, conn)),
        (target, dir, None) => Ok((target, dir, app.db.pool().acquire().await?)),
    }
}

/// The read check of a single user: the kernel's `users.read`, then, for a tenant with
/// plugins, their answer to it (as [`plugins_let_read`] asks) holding no connection (a
/// plugin set being loaded needs one, and requests holding one while they waited could
/// drain the pool). The connection it read with, when `keep` and it did not have to give
/// it back.
async fn load_readable(
    app: &App,
    caller: &Caller,
    id: &str,
    keep: bool,
) -> Result<(UserRow, Directory, Option<PoolConnection<Any>>), ApiError> {
    let tenant = &caller.tenant;
    let actor = caller.actor()?;
    // Asked before taking a connection: loading the tenant's set may need one.
    let plugins = crate::plugins::current(app, &tenant.id).await?.is_some();
    let mut conn = app.db.pool().acquire().await?;
    let target = store::user(&mut conn, &tenant.id, id)
        .await?
        .filter(|u| u.deleted_at.is_none())
        .ok_or(ApiError::NotFound)?;
    let dir = directory(&mut conn, &tenant.id, &[], &[&target.id, &actor.id]).await?;
    let t = Target::from(&target.account());
    let read = authorize(
        tenant,
        &dir,
        &actor.account(),
        "users.read",
        t.clone(),
        None,
        crate::extract::NEUTRAL_LANG,
    )?;
    if !read.allowed() {
        return Err(ApiError::NotFound);
    }
    if !plugins {
        return Ok((target, dir, keep.then_some(conn)));
    }
    drop(conn);
    if !crate::plugins::allows(app, tenant, actor.account(), "users.read", t, &read).await? {
        return Err(ApiError::NotFound);
    }
    Ok((target, dir, None))
}

/// Whether the actor may read `target`: the kernel's `users.read` with `dir` (which must
/// hold the chain of managers between the two), then the tenant's plugins, as an AuthZEN
/// evaluation of the same question answers, for a bulk item's target (a route's target
/// and a list page ask the same, deciding the kernel's part as they load the rows). Ask it
/// holding no connection (the plugin set may need one to load).
///
/// # Errors
/// Kernel errors (a role the policy no longer declares), plugin set load failures.
pub(crate) async fn plugins_let_read(
    app: &App,
    caller: &Caller,
    dir: &Directory,
    target: &UserRow,
) -> Result<bool, ApiError> {
    let t = Target::from(&target.account());
    lets_read(app, &caller.tenant, dir, caller.actor()?, &t, true).await
}

/// Whether `actor` may read `target` with `dir`: the kernel's `users.read`, then, for a
/// tenant with `plugins`, theirs. The check of one user that [`plugins_let_read`] and
/// AuthZEN's read-first ask; a route's target and a list page ask the same as they load
/// their rows.
///
/// # Errors
/// Kernel errors (a role the policy no longer declares), plugin set load failures.
pub(crate) async fn lets_read(
    app: &App,
    tenant: &Tenant,
    dir: &Directory,
    actor: &UserRow,
    target: &Target,
    plugins: bool,
) -> Result<bool, ApiError> {
    let read = authorize(
        tenant,
        dir,
        &actor.account(),
        "users.read",
        target.clone(),
        None,
        crate::extract::NEUTRAL_LANG,
    )?;
    Ok(read.allowed()
        && (!plugins
            || crate::plugins::allows(
                app,
                tenant,
                actor.account(),
                "users.read",
                target.clone(),
                &read,
            )
            .await?))
}

/// The rows of a page of users that the tenant's plugins let the actor read (a tenant with
/// plugins only): each row's `users.read`, decided by the kernel with the page's edges and
/// the actor's chain of managers (`conn`, given back before the plugins run), or with the
/// row's own chain where those do not reach it, then asked of the plugins as
/// [`plugins_let_read`] asks. A row left out is not replaced (the page's cursor names its
/// last stored row, so paging goes on).
async fn rows_plugins_let_read(
    app: &App,
    mut conn: PoolConnection<Any>,
    caller: &Caller,
    rows: Vec<UserRow>,
) -> Result<Vec<UserRow>, ApiError> {
    let tenant = &caller.tenant;
    let actor = caller.actor()?;
    let edges: Vec<(String, Option<String>)> = rows
        .iter()
        .map(|u| (u.id.clone(), u.manager.clone()))
        .collect();
    let read = |dir: &Directory, u: &UserRow| {
        authorize(
            tenant,
            dir,
            &actor.account(),
            "users.read",
            Target::from(&u.account()),
            None,
            crate::extract::NEUTRAL_LANG,
        )
    };
    let dir = directory(&mut conn, &tenant.id, &edges, &[&actor.id]).await?;
    let mut decided = Vec::with_capacity(rows.len());
    for u in &rows {
        decided.push(read(&dir, u)?);
    }
    // Rows below the actor through managers outside the page: decided again with their
    // own chains.
    let mut starts: Vec<&str> = vec![&actor.id];
    starts.extend(
        rows.iter()
            .zip(&decided)
            .filter(|(_, d)| !d.allowed())
            .map(|(u, _)| u.id.as_str()),
    );
    if starts.len() > 1 {
        let dir = directory(&mut conn, &tenant.id, &edges, &starts).await?;
        for (u, d) in rows.iter().zip(decided.iter_mut()) {
            if !d.allowed() {
                *d = read(&dir, u)?;
            }
        }
    }
    drop(conn);
    let mut kept = Vec::with_capacity(rows.len());
    for (u, d) in rows.into_iter().zip(decided) {
        if d.allowed()
            && crate::plugins::allows(
                app,
                tenant,
                actor.account(),
                "users.read",
                Target::from(&u.account()),
                &d,
            )
            .await?
        {
            kept.push(u);
        }
    }
    Ok(kept)
}

fn decision_json(policy_hash: &str, version: i64, extra: Value) -> Value {
    json!({"policy": policy_hash, "policyVersion": version, "kernel": extra})
}

/// Carries out the obligations that concern the directory; the others become tasks.
pub(crate) async fn apply_obligations(
    conn: &mut AnyConnection,
    u: &mut UserRow,
    obligations: &[Obligation],
    actor: &str,
    at: i64,
) -> Result<Vec<Value>, ApiError> {
    let mut done = Vec::new();
    for o in obligations {
        match o {
            Obligation::RevokeSessions => store::revoke_sessions(conn, u).await?,
            Obligation::RemoveRoles { roles } => {
                u.roles.retain(|r| !roles.contains(r));
                store::sync_roles(conn, &u.tenant, &u.id, &[], roles, actor, at).await?;
            }
            Obligation::RemoveGroups { groups } => {
                u.groups.retain(|g| !groups.contains(g));
                store::sync_groups(conn, &u.tenant, &u.id, &[], groups, actor, at).await?;
            }
            Obligation::ScheduleExpiry { at: end, .. } => u.status_until = Some(end.unix()),
            Obligation::ForcePasswordChange => u.must_change_password = true,
            Obligation::Audit | Obligation::InvalidatePasswords => {}
            other => {
                let v = serde_json::to_value(other)?;
                let kind = v
                    .get("kind")
                    .and_then(Value::as_str)
                    .unwrap_or("task")
                    .to_owned();
                if crate::outbox::is_outbound(&kind) {
                    // Leaves the directory: delivered by the outbox worker after commit.
                    crate::outbox::enqueue(conn, &u.tenant, &u.id, &kind, &v, at).await?;
                } else {
                    store::add_task(conn, &u.tenant, &u.id, &kind, &v, at).await?;
                }
            }
        }
        done.push(serde_json::to_value(o)?);
    }
    Ok(done)
}

/// What an operation records about itself.
struct Audit<'a> {
    caller: &'a Caller,
    request_id: Option<String>,
}

impl Audit<'_> {
    #[allow(clippy::too_many_arguments)]
    async fn write(
        &self,
        conn: &mut AnyConnection,
        action: &str,
        target: &str,
        before: Option<Value>,
        after: Option<Value>,
        decision: Value,
        obligations: Vec<Value>,
        at: i64,
    ) -> Result<i64, ApiError> {
        self.write_listing(
            conn,
            action,
            target,
            before,
            after,
            decision,
            obligations,
            at,
            None,
        )
        .await
    }

    /// [`Self::write`], the entry listing the entries it erases (`erased`, see
    /// [`audit::listing_erased`]).
    #[allow(clippy::too_many_arguments)]
    async fn write_listing(
        &self,
        conn: &mut AnyConnection,
        action: &str,
        target: &str,
        before: Option<Value>,
        after: Option<Value>,
        decision: Value,
        obligations: Vec<Value>,
        at: i64,
        erased: Option<&[i64]>,
    ) -> Result<i64, ApiError> {
        let t = &self.caller.tenant;
        let decision = decision_json(t.policy.hash(), t.version, decision);
        let record = AuditRecord {
            tenant: t.id.clone(),
            actor: self.caller.audit_actor(),
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
            at,
            request_id: self.request_id.clone(),
        };
        audit::append_decided(conn, &record).await
    }
}

/// Splits a create/update body into the record and the role and group lists.
struct Body {
    record: Map<String, Value>,
    roles: Option<Vec<String>>,
    groups: Option<Vec<String>>,
    current_password: Option<String>,
}

/// A new or edited account's record names no `id`: the server assigns it. The create and
/// edit routes' check, an import row's (through its create) and a bulk import item's.
///
/// # Errors
/// 400 `invalid_value` at `id`.
pub(crate) fn refuse_id(record: &Map<String, Value>) -> Result<(), ApiError> {
    if record.contains_key("id") {
        return Err(ApiError::invalid_field(
            "id",
            "`id` is assigned by the server",
        ));
    }
    Ok(())
}

fn split_body(mut body: Map<String, Value>) -> Result<Body, ApiError> {
    refuse_id(&body)?;
    let roles = string_list(body.remove(ROLES), ROLES)?;
    let groups = string_list(body.remove(GROUPS), GROUPS)?;
    let current_password = match body.remove("currentPassword") {
        Some(Value::String(s)) => Some(s),
        Some(_) => {
            return Err(ApiError::invalid_field(
                "currentPassword",
                "`currentPassword` must be a string",
            ));
        }
        None => None,
    };
    Ok(Body {
        record: body,
        roles,
        groups,
        current_password,
    })
}

fn is_privileged(a: &UserRow) -> bool {
    a.super_admin || a.root
}

/// Manual group memberships grant roles, so changing them is judged as assigning (or
/// withdrawing) the roles the user gains (or loses) through them: the kernel's
/// `groups.manage` on the target with that role change where the policy declares it (so
/// `grantableBy`, forbidden combinations, the minimum of active roles and privilege
/// escalation apply as to a direct assignment), a super administrator where it does not
/// (the change then still put to the kernel, under the policy's role-granting action).
/// `target` is the user with its direct roles as the write leaves them; `before` and
/// `after` its manual groups. Returns the question the kernel was asked, for the tenant's
/// plugins to be asked the same ([`plugins_on_groups`]); where the kernel was asked
/// nothing (no access section, or no action to put the change to), `groups.manage` told
/// the super-administrator rule ([`rule_allow`]). `None` when the memberships do not
/// change.
pub(crate) fn authorize_groups(
    tenant: &Tenant,
    dir: &Directory,
    actor: &UserRow,
    target: &UserRow,
    before: &[String],
    after: &[String],
    lang: Lang,
) -> Result<Option<GroupQuestion>, ApiError> {
    let mut a: Vec<&String> = after.iter().collect();
    let mut b: Vec<&String> = before.iter().collect();
    a.sort();
    b.sort();
    if a == b {
        return Ok(None);
    }
    // A dynamic group's members are those meeting its rule: joined by no edit, as its
    // membership route refuses it. Leaving one stays possible (a membership stored before
    // the group became dynamic must not be stuck).
    if let Some(acc) = tenant.policy.access()
        && let Some(g) = after
            .iter()
            .filter(|g| !before.contains(g))
            .find(|g| acc.is_dynamic_group(g) == Some(true))
    {
        return Err(crate::groups::dynamic_group(g));
    }
    // Without the policy's say, a super administrator's change is still put to the
    // tenant's plugins, as `groups.manage` told the super-administrator rule.
    let privileged =
        |target: &UserRow, change: Option<RoleChange>| -> Result<Option<GroupQuestion>, ApiError> {
            privileged_groups(actor)?;
            let mut base = target.account();
            base.groups = before.to_vec();
            Ok(Some(GroupQuestion {
                action: "groups.manage".to_owned(),
                target: Target::from(&base),
                change,
                decision: rule_allow(tenant, privileged_rule(actor)),
            }))
        };
    let Some(acc) = tenant.policy.access() else {
        return privileged(target, None);
    };
    let mut base = target.account();
    base.groups = before.to_vec();
    let change = group_role_change(acc, &base, after)?;
    let action = if acc.has_action("groups", "manage") {
        Some("groups.manage".to_owned())
    } else {
        privileged_groups(actor)?;
        // The action the policy grants roles with, else the edit's.
        tenant
            .policy
            .assign_action()
            .map(str::to_owned)
            .filter(|x| acc.declares(x))
            .or_else(|| {
                acc.has_action("users", "update")
                    .then(|| "users.update".to_owned())
            })
            .filter(|_| change.is_some())
    };
    let Some(action) = action else {
        return privileged(target, change);
    };
    let target = Target::from(&base);
    let decision = require(authorize(
        tenant,
        dir,
        &actor.account(),
        &action,
        target.clone(),
        change.clone(),
        lang,
    )?)?;
    Ok(Some(GroupQuestion {
        action,
        target,
        change,
        decision,
    }))
}

/// What the kernel was asked about a change of manual group memberships
/// ([`authorize_groups`]): the action, the target and the role change.
pub(crate) struct GroupQuestion {
    action: String,
    target: Target,
    change: Option<RoleChange>,
    /// The kernel's decision on it.
    decision: AuthzDecision,
}

/// The tenant's plugins asked what the kernel was asked about a membership change (a grant
/// or withdrawal of roles through a group narrows like a direct one); their reports.
///
/// # Errors
/// [`ApiError::PluginDenied`] when a plugin refuses; plugin set load failures.
pub(crate) async fn plugins_on_groups(
    app: &App,
    tenant: &Tenant,
    actor: &UserRow,
    question: Option<GroupQuestion>,
) -> Result<Vec<Value>, ApiError> {
    match question {
        None => Ok(Vec::new()),
        Some(q) => {
            crate::plugins::authorize(
                app,
                tenant,
                actor.account(),
                &q.action,
                q.target,
                q.change,
                &q.decision,
            )
            .await
        }
    }
}

/// An allow by a rule outside the policy's access section (`passwordReset`, the lifecycle's;
/// `superAdmin`, `root`, `adminKey`, the server's for what the policy does not declare),
/// as a decision the tenant's plugins are told: they narrow every write, whichever rule
/// allowed it.
pub(crate) fn rule_allow(tenant: &Tenant, rule: &str) -> AuthzDecision {
    AuthzDecision {
        decision: Decision::Allow,
        policy: PolicyHash::new(tenant.policy.hash()),
        reason: Some(Name::from(rule)),
        scope: None,
        deny: None,
    }
}

/// The rule that makes `actor` privileged ([`is_privileged`]), as [`rule_allow`] names it.
pub(crate) fn privileged_rule(actor: &UserRow) -> &'static str {
    if actor.super_admin {
        "superAdmin"
    } else {
        "root"
    }
}

/// Without `groups.manage` in the policy, only a super administrator changes memberships.
fn privileged_groups(actor: &UserRow) -> Result<(), ApiError> {
    if is_privileged(actor) {
        Ok(())
    } else {
        Err(ApiError::Forbidden {
            deny: None,
            reason: "only a super administrator changes group memberships under this policy",
        })
    }
}

/// The roles `account` gains and loses when its manual groups become `after` (its
/// effective roles before and after, as the kernel computes them); `None` when they are
/// the same.
fn group_role_change(
    acc: &access::CompiledAccess,
    account: &Account,
    after: &[String],
) -> Result<Option<RoleChange>, ApiError> {
    let mut then = account.clone();
    then.groups = after.to_vec();
    Ok(access::role_change_between(acc, account, &then)?)
}

/// Fills the indexed columns of `u` from its normalised record.
fn index_columns(u: &mut UserRow) {
    u.organization = text(&u.document, "organization");
    u.manager = text(&u.document, "manager").or_else(|| text(&u.document, "supervisor"));
    u.location = text(&u.document, "location");
    u.super_admin = u
        .document
        .get("superAdmin")
        .and_then(Value::as_bool)
        .unwrap_or(false);
}

/// The status a new account starts in: the one its record names, or the policy's initial
/// one (the lifecycle's, `active` without one). Another than the initial one only for a
/// super administrator or root, as a create, an import row and a bulk import item all take
/// it.
///
/// # Errors
/// A status that is not a string; another status than the initial one asked by an actor
/// who may not set it.
fn new_status(
    tenant: &Tenant,
    actor: &UserRow,
    record: &Map<String, Value>,
) -> Result<String, ApiError> {
    let initial = match tenant.policy.lifecycle() {
        Some(_) => lifecycle::initial_status(&tenant.policy)
            .map_err(lifecycle_bad)?
            .to_owned(),
        None => "active".to_owned(),
    };
    let status = status_in(record)?.unwrap_or_else(|| initial.clone());
    if status != initial && !is_privileged(actor) {
        return Err(ApiError::invalid_field(
            "status",
            format!("a new account starts as `{initial}`; change its status with a transition"),
        ));
    }
    Ok(status)
}

/// A new user row from a normalised record (bulk imports): the indexed columns filled, the
/// status the record names or the policy's initial one (another status only for a super
/// administrator, as in [`create`]), password fields left out of the document.
///
/// # Errors
/// A non-initial status asked by an actor who may not set it.
pub(crate) fn new_row(
    tenant: &Tenant,
    actor: &UserRow,
    id: &str,
    mut document: Map<String, Value>,
) -> Result<UserRow, ApiError> {
    let status = new_status(tenant, actor, &document)?;
    for f in password_fields(&tenant.policy) {
        document.remove(&f);
    }
    document.remove("id");
    let mut u = UserRow {
        id: id.to_owned(),
        tenant: tenant.id.clone(),
        document,
        organization: None,
        manager: None,
        location: None,
        status,
        status_until: None,
        roles: Vec::new(),
        groups: Vec::new(),
        super_admin: false,
        root: false,
        password_hash: None,
        password_changed_at: None,
        must_change_password: false,
        session_epoch: 0,
        failed_logins: Vec::new(),
        lockouts: 0,
        deleted_at: None,
        version: 0,
    };
    index_columns(&mut u);
    if u.super_admin && !is_privileged(actor) {
        return Err(ApiError::Forbidden {
            deny: None,
            reason: "only a super administrator creates super administrators",
        });
    }
    Ok(u)
}

/// The result of a write: the user and what the kernel said besides.
pub struct Written {
    /// The user as stored.
    pub user: Value,
    /// Warnings, obligations, a temporary password.
    pub extra: Map<String, Value>,
}

/// Creates a user. A new account setting a field the actor may not edit
/// (`access.fieldAccess`) is denied naming the field, as an edit is; the user returned
/// leaves out what the actor may not see, as a read does.
///
/// Violations and denials are rendered in `lang`.
///
/// # Errors
/// Kernel denials and violations, store errors.
pub async fn create(
    app: &App,
    caller: &Caller,
    body: Map<String, Value>,
    lang: Lang,
    request_id: Option<String>,
) -> Result<Written, ApiError> {
    create_item(app, caller, body, lang, request_id, None).await
}

/// An import's item: recorded in the same transaction as the user and its audit entry.
#[derive(Debug, Clone)]
pub struct ImportItem {
    /// The import's id.
    pub import: String,
    /// The item's index in the file.
    pub index: usize,
}

/// The chains of managers a request has read (above a user, itself included), by the
/// user's id: an import's preview reads each chain once for all its rows.
pub(crate) type ChainCache = std::collections::HashMap<String, Vec<(String, Option<String>)>>;

/// The directory a create of `u` by `actor` is decided with: the account under its
/// manager, and the chains of managers above the manager and above the actor (enough for
/// the kernel's `team` scope between them), read through `chains`.
///
/// # Errors
/// Store errors.
pub(crate) async fn create_directory(
    conn: &mut AnyConnection,
    tenant: &str,
    u: &UserRow,
    actor: &UserRow,
    chains: &mut ChainCache,
) -> Result<Directory, ApiError> {
    let mut rows: Vec<(String, Option<String>)> = vec![(u.id.clone(), u.manager.clone())];
    for start in u.manager.iter().chain([&actor.id]) {
        if !chains.contains_key(start) {
            let chain = store::ancestors(conn, tenant, start).await?;
            chains.insert(start.clone(), chain);
        }
        rows.extend(chains.get(start).into_iter().flatten().cloned());
    }
    Ok(directory_of(rows))
}

/// What a create decided before its plugins are asked ([`judge_create`]).
pub(crate) struct CreateJudged {
    /// The policy's create action (`users.create` when it names none).
    pub(crate) action: String,
    /// The kernel's allow.
    pub(crate) authz: AuthzDecision,
    /// The roles the creation grants.
    pub(crate) change: Option<RoleChange>,
    /// The question its groups were put as ([`authorize_groups`]).
    pub(crate) groups: Option<GroupQuestion>,
}

/// The tenant's plugins asked about the create of the account `u` that the kernel allowed
/// ([`judge_create`]): the question its groups were put as, then the policy's create
/// action on the account with the roles it grants. One place for a create and an import's
/// preview of it. The kernel's allow, and the plugins' reports.
///
/// # Errors
/// [`ApiError::PluginDenied`] when a plugin refuses; plugin set load failures.
pub(crate) async fn plugins_on_create(
    app: &App,
    tenant: &Tenant,
    actor: &UserRow,
    u: &UserRow,
    judged: CreateJudged,
) -> Result<(AuthzDecision, Vec<Value>), ApiError> {
    let CreateJudged {
        action,
        authz,
        change,
        groups,
    } = judged;
    let mut reports = plugins_on_groups(app, tenant, actor, groups).await?;
    reports.extend(
        crate::plugins::authorize(
            app,
            tenant,
            actor.account(),
            &action,
            Target::from(&u.account()),
            change,
            &authz,
        )
        .await?,
    );
    Ok((authz, reports))
}

/// Whether `actor` may create users anywhere: the policy's create action (`users.create`
/// when it names none) reaches some account, its scope is not empty. Asked before a
/// creation's record is validated against the directory: the validation answers which
/// keys the directory holds (an e-mail address taken), which only an actor who could
/// learn it by creating users may ask.
///
/// # Errors
/// The kernel's refusal of the action (a policy without access rules, an undeclared
/// action).
pub(crate) fn may_create_somewhere(tenant: &Tenant, actor: &UserRow) -> Result<bool, ApiError> {
    let action = tenant.policy.create_action().unwrap_or("users.create");
    let scope = access::scope(&tenant.policy, &actor.account(), action, now())?;
    Ok(!matches!(scope.filter, access::Filter::None))
}

/// [`may_create_somewhere`], or 403: a creation (a create, an import, its preview) by an
/// actor who may create no user is refused before anything is validated.
///
/// # Errors
/// [`ApiError::Forbidden`]; as [`may_create_somewhere`].
pub(crate) fn require_create_somewhere(tenant: &Tenant, actor: &UserRow) -> Result<(), ApiError> {
    if may_create_somewhere(tenant, actor)? {
        Ok(())
    } else {
        Err(ApiError::Forbidden {
            deny: None,
            reason: "the actor may not create users",
        })
    }
}

/// A create's decisions after its record's validation, but for its plugins: the kernel's
/// authorization of the policy's create action on the account `u` (the roles it is given
/// granted by the creation: who may grant them, the policy's combinations, its minimum of
/// active roles), the fields it sets that the actor may not edit (`password_set`: the
/// record sets a password), and its groups ([`authorize_groups`]), with `dir` from
/// [`create_directory`]. One place for a create and an import's preview of it.
///
/// # Errors
/// The create's refusal: a denial, an undeclared role or group, a field the actor may not
/// set, a dynamic group.
pub(crate) fn judge_create(
    tenant: &Tenant,
    dir: &Directory,
    actor: &UserRow,
    u: &UserRow,
    password_set: bool,
    lang: Lang,
) -> Result<CreateJudged, ApiError> {
    let change = (!u.roles.is_empty()).then(|| RoleChange {
        add: u.roles.clone(),
        remove: Vec::new(),
    });
    // The policy's create action, as a bulk import item is authorized (`users.create` when
    // the policy names none).
    let action = tenant
        .policy
        .create_action()
        .unwrap_or("users.create")
        .to_owned();
    let authz = require(authorize(
        tenant,
        dir,
        &actor.account(),
        &action,
        Target::from(&u.account()),
        change.clone(),
        lang,
    )?)?;
    // Field by field, as an edit is: a new account setting a field the actor may not edit
    // (attribute permissions, judged against the account as it would be created) is the
    // kernel's `field_not_editable`, naming every such field.
    let mut created = u.account();
    if let (true, Some(f)) = (password_set, password_fields(&tenant.policy).first()) {
        warden_core::access::mark_password_set(&mut created, f);
    }
    fields::check_create(&tenant.policy, dir, actor, &created, lang)?;
    let groups = authorize_groups(tenant, dir, actor, u, &[], &u.groups, lang)?;
    Ok(CreateJudged {
        action,
        authz,
        change,
        groups,
    })
}

/// The kernel's deny of a create that sets a field the actor may not set (attribute
/// permissions), asked before the record meets the directory: a value another user holds
/// would be a `duplicate` naming them and any other value this deny, so the answer would
/// tell a hidden value apart. Judged on the record as the kernel normalises it without the
/// directory's answers; [`judge_create`] judges the validated account again.
///
/// # Errors
/// `Forbidden` with the kernel's `field_not_editable` deny; store errors.
#[allow(
    clippy::too_many_arguments,
    reason = "the create's parts, as judge_create takes them"
)]
pub(crate) async fn refuse_unsettable(
    conn: &mut AnyConnection,
    tenant: &Tenant,
    actor: &UserRow,
    account: &NewAccount,
    password_set: bool,
    mode: Mode,
    lang: Lang,
) -> Result<(), ApiError> {
    if !fields::declared(&tenant.policy) {
        return Ok(());
    }
    // A record the kernel cannot shape into an account is refused by the validation itself.
    let Some((u, dir)) = pending_account(conn, tenant, actor, account, mode).await? else {
        return Ok(());
    };
    let mut created = u.account();
    if let (true, Some(f)) = (password_set, password_fields(&tenant.policy).first()) {
        warden_core::access::mark_password_set(&mut created, f);
    }
    fields::check_create(&tenant.policy, &dir, actor, &created, lang)
}

/// The account a create of `account` would make, judged before the record meets the
/// directory (the record as the kernel normalises it without the directory's answers),
/// with the directory its `team` principals are judged against; `None` for a record the
/// kernel cannot shape into an account. One place for [`refuse_unsettable`] and
/// [`settable`].
async fn pending_account(
    conn: &mut AnyConnection,
    tenant: &Tenant,
    actor: &UserRow,
    account: &NewAccount,
    mode: Mode,
) -> Result<Option<(UserRow, Directory)>, ApiError> {
    let facts = ValidationFacts::default();
    // Only the normalised record is read: its messages are rendered for no one.
    let ctx = context(mode, crate::extract::NEUTRAL_LANG, &facts)?;
    let first = validate_user(&tenant.policy, &account.record, &ctx);
    let Ok(u) = account.row(tenant, actor, "u_pending", &first.normalized) else {
        return Ok(None);
    };
    let dir = create_directory(conn, &tenant.id, &u, actor, &mut ChainCache::new()).await?;
    Ok(Some((u, dir)))
}

/// What `actor` may see and change of the stored user `row`, with the manager chains of
/// both read for the kernel's `team` principals ([`fields::access_of`]).
///
/// # Errors
/// Store errors; a stored account naming an undeclared role or group.
async fn stored_access(
    conn: &mut AnyConnection,
    tenant: &Tenant,
    actor: &UserRow,
    row: &UserRow,
) -> Result<warden_core::access::FieldAccess, ApiError> {
    let dir = directory(conn, &tenant.id, &[], &[&row.id, &actor.id]).await?;
    fields::access_of(&tenant.policy, &dir, actor, row)
}

/// Which fields of a record an actor may set, for a validation that asks the directory
/// ([`settable`]).
pub(crate) enum Settable {
    /// Every field: the policy declares no attribute permissions.
    All,
    /// The fields the kernel lets the actor edit on the account.
    Editable(warden_core::access::FieldAccess),
    /// None: a record the kernel cannot shape into an account.
    Nothing,
}

impl Settable {
    /// Whether the actor may set `field`.
    pub(crate) fn may_set(&self, field: &str) -> bool {
        match self {
            Settable::All => true,
            Settable::Editable(fa) => fa.may_edit(field),
            Settable::Nothing => false,
        }
    }

    /// Whether the directory may be asked `check` for the actor: it may set the check's
    /// field and, for a scoped uniqueness, the scope's field (a key taken within an
    /// organisation tells the holder's organisation).
    pub(crate) fn may_ask(&self, check: &warden_core::validate::Check) -> bool {
        self.may_set(&check.field) && check.within.as_ref().is_none_or(|w| self.may_set(&w.field))
    }
}

/// Which fields of `record` `actor` may set: as an edit of the live user `self_id`, or as
/// a create ([`refuse_unsettable`]'s judgement, on the record as the kernel normalises it
/// without the directory's answers). A validation asks the directory about the others for
/// no one: a field the actor may not set is refused by the write whatever its value, so
/// whether a value is taken would only tell a hidden value apart.
///
/// # Errors
/// Store errors; a stored account naming an undeclared role or group.
pub(crate) async fn settable(
    conn: &mut AnyConnection,
    tenant: &Tenant,
    actor: &UserRow,
    record: &Map<String, Value>,
    self_id: Option<&str>,
) -> Result<Settable, ApiError> {
    if !fields::declared(&tenant.policy) {
        return Ok(Settable::All);
    }
    if let Some(id) = self_id {
        let Some(row) = store::user(conn, &tenant.id, id).await? else {
            return Ok(Settable::Nothing);
        };
        return Ok(Settable::Editable(
            stored_access(conn, tenant, actor, &row).await?,
        ));
    }
    // A validation's record may name an id (an edit's, of a user the actor may not
    // update), an import's a status the actor may not give: a create refuses them as its
    // body's faults; what the actor may set is judged without them.
    let mut body = record.clone();
    body.remove("id");
    body.remove("status");
    let Ok(account) = new_account(tenant, actor, body) else {
        return Ok(Settable::Nothing);
    };
    Ok(
        match pending_account(conn, tenant, actor, &account, Mode::Create).await? {
            Some((u, dir)) => {
                Settable::Editable(fields::access_of(&tenant.policy, &dir, actor, &u)?)
            }
            None => Settable::Nothing,
        },
    )
}

/// A create's body as its validation sees it ([`new_account`]).
pub(crate) struct NewAccount {
    /// The record validated: the body without its role and group lists, with the
    /// account's status when the policy has a `status` field.
    pub(crate) record: Map<String, Value>,
    /// The direct roles asked for.
    pub(crate) roles: Vec<String>,
    /// The manual groups asked for.
    pub(crate) groups: Vec<String>,
    /// The status the account starts in.
    pub(crate) status: String,
}

impl NewAccount {
    /// The password the record sets, if any ([`given_password`]).
    pub(crate) fn password(&self, tenant: &Tenant) -> Option<String> {
        given_password(tenant, &self.record)
    }

    /// The row a create stores for this account with id `id`, once its record was
    /// validated (`normalized`): [`new_row`], with the roles, groups and status asked for.
    /// One place for a create and an import's preview of it.
    ///
    /// # Errors
    /// As [`new_row`].
    pub(crate) fn row(
        &self,
        tenant: &Tenant,
        actor: &UserRow,
        id: &str,
        normalized: &Map<String, Value>,
    ) -> Result<UserRow, ApiError> {
        let mut u = new_row(tenant, actor, id, normalized.clone())?;
        u.roles.clone_from(&self.roles);
        u.groups.clone_from(&self.groups);
        u.status.clone_from(&self.status);
        Ok(u)
    }
}

/// The record a create validates, from its body, with the roles, groups and status it
/// asks for: the rules a create (and an import commit's row) applies before validating,
/// which an import's preview applies to each row as its commit will.
///
/// # Errors
/// 400 `invalid_value` naming the field: an `id` (the server assigns it), a role or group
/// list that is not a list of distinct names, a status that is not a string or, for an
/// actor other than a super administrator or root, not the policy's initial status; an
/// unusable lifecycle.
pub(crate) fn new_account(
    tenant: &Tenant,
    actor: &UserRow,
    body: Map<String, Value>,
) -> Result<NewAccount, ApiError> {
    let b = split_body(body)?;
    let mut record = b.record;
    let has_status_field = tenant
        .policy
        .document()
        .fields
        .iter()
        .any(|(n, _)| n == "status");
    let status = new_status(tenant, actor, &record)?;
    if has_status_field {
        record.insert("status".into(), status.clone().into());
    }
    Ok(NewAccount {
        record,
        roles: b.roles.unwrap_or_default(),
        groups: b.groups.unwrap_or_default(),
        status,
    })
}

/// [`create`], recording the import item `item` (when given) in the user's transaction.
///
/// # Errors
/// As [`create`].
pub async fn create_item(
    app: &App,
    caller: &Caller,
    body: Map<String, Value>,
    lang: Lang,
    request_id: Option<String>,
    item: Option<ImportItem>,
) -> Result<Written, ApiError> {
    let tenant = &caller.tenant;
    let actor = caller.actor()?;
    // A row of an import is validated, by the kernel and the plugins, as its import's
    // report validated it (the policy's conditions may name the mode).
    let mode = if item.is_some() {
        Mode::Import
    } else {
        Mode::Create
    };
    // Before the record meets the directory (which would tell a taken address).
    require_create_somewhere(tenant, actor)?;
    let account = new_account(tenant, actor, body)?;
    let record = &account.record;
    let plain = account.password(tenant);
    let id = tokens::new_id("u_").map_err(|e| ApiError::Internal(e.to_string()))?;

    let mut conn = app.db.pool().acquire().await?;
    refuse_unsettable(
        &mut conn,
        tenant,
        actor,
        &account,
        plain.is_some(),
        mode,
        lang,
    )
    .await?;
    let decision = validate(app, &mut conn, tenant, actor, record, mode, None, lang).await?;
    refuse_invalid(&decision)?;
    let mut plugin_reports = crate::plugins::validate(app, tenant, record, mode, &decision).await?;
    let mut u = account.row(tenant, actor, &id, &decision.normalized)?;
    let dir = create_directory(&mut conn, &tenant.id, &u, actor, &mut ChainCache::new()).await?;
    let judged = judge_create(tenant, &dir, actor, &u, plain.is_some(), lang)?;
    // What the creator may see of the new account: the response is redacted like a read.
    let visible = fields::access_of(&tenant.policy, &dir, actor, &u)?;
    drop(conn);
    let (authz, reports) = plugins_on_create(app, tenant, actor, &u, judged).await?;
    plugin_reports.extend(reports);

    let at = now().unix();
    let temporary = match plain {
        Some(p) => {
            u.password_hash = Some(hash(&tenant.policy, p).await?);
            u.password_changed_at = Some(at);
            None
        }
        None => match initial_temporary_password(&tenant.policy) {
            Some(p) => {
                u.password_hash = Some(hash(&tenant.policy, p.clone()).await?);
                u.password_changed_at = Some(at);
                u.must_change_password = true;
                Some(p)
            }
            None => None,
        },
    };
    let audit = Audit { caller, request_id };
    let mut tx = app.db.begin_write().await?;
    let written: Result<(), ApiError> = async {
        store::hold_references(&mut tx, &tenant.id, &decision.checks).await?;
        store::insert_user(&mut tx, &u, at).await?;
        store::set_keys(&mut tx, &tenant.id, &u.id, &decision.checks).await?;
        store::sync_roles(&mut tx, &tenant.id, &u.id, &u.roles, &[], &actor.id, at).await?;
        store::sync_groups(&mut tx, &tenant.id, &u.id, &u.groups, &[], &actor.id, at).await?;
        audit
            .write(
                &mut tx,
                "users.create",
                &u.id,
                None,
                Some(u.view()),
                crate::plugins::with_plugins(serde_json::to_value(&authz)?, &plugin_reports),
                Vec::new(),
                at,
            )
            .await?;
        if let Some(item) = &item {
            crate::imports::record_item(&mut tx, &tenant.id, item, &u.id).await?;
        }
        Ok(())
    }
    .await;
    match written {
        Ok(()) => tx.commit().await?,
        Err(e) => {
            tx.rollback().await?;
            return Err(duplicate_or(app, tenant, actor, record, None, mode, lang, e).await);
        }
    }
    let mut extra = Map::new();
    extra.insert("warnings".into(), warnings(&decision).into());
    if !plugin_reports.is_empty() {
        extra.insert("plugins".into(), plugin_reports.into());
    }
    if let Some(p) = temporary {
        // Shown once, here; stored only as its hash (R004-05).
        extra.insert("temporaryPassword".into(), p.into());
        extra.insert("mustChangePassword".into(), true.into());
    }
    let mut view = u.view();
    fields::redact(&visible, &mut view);
    Ok(Written { user: view, extra })
}

/// For a policy whose records carry no password but whose resets hand out temporary
/// passwords (the PRS seed, R004-05), a new account's initial password is a generated
/// temporary one meeting the password policy.
pub(crate) fn initial_temporary_password(policy: &Policy) -> Option<String> {
    let has_field = !password_fields(policy).is_empty();
    let temporary = policy
        .lifecycle()
        .and_then(|l| l.spec().password_reset.as_ref())
        .is_some_and(|r| r.methods.contains(&ResetMethod::TemporaryPassword));
    let pp = policy.password_policy()?;
    (!has_field && temporary).then(|| {
        password::generate_password(pp, &mut tokens::OsRandom, None)
            .expose()
            .to_owned()
    })
}

/// A unique violation (409 `taken`) becomes the kernel's `duplicate` violation (in `lang`):
/// the record is validated again now that the other writer's row is visible. When the
/// value is free again by then (the other writer let it go), the 409 stands: send again.
#[allow(clippy::too_many_arguments)]
async fn duplicate_or(
    app: &App,
    tenant: &Tenant,
    actor: &UserRow,
    record: &Map<String, Value>,
    self_id: Option<&str>,
    mode: Mode,
    lang: Lang,
    e: ApiError,
) -> ApiError {
    if !e.is_conflict(crate::error::TAKEN) {
        return e;
    }
    let Ok(mut conn) = app.db.pool().acquire().await else {
        return ApiError::Unavailable;
    };
    match validate(app, &mut conn, tenant, actor, record, mode, self_id, lang).await {
        Ok(d) if !d.accepted() => ApiError::Invalid {
            violations: d.violations,
        },
        Ok(_) => e,
        Err(e2) => e2,
    }
}

/// Reads a user in the actor's scope, with the actions the actor may take on it.
///
/// # Errors
/// Not found (or outside the scope), store errors.
pub async fn read(app: &App, caller: &Caller, id: &str) -> Result<Value, ApiError> {
    let (target, dir, mut conn) = readable_target_and_conn(app, caller, id).await?;
    let actor = caller.actor()?;
    // What the kernel lets this viewer see and change of this user (attribute permissions).
    let fields = fields::access_of(&caller.tenant.policy, &dir, actor, &target)?;
    let mut view = target.view_at(&caller.tenant.policy, now());
    fields::redact(&fields, &mut view);
    let permissions = access::permissions_over(
        &caller.tenant.policy,
        &dir,
        &actor.account(),
        &Target::from(&target.account()),
        now(),
    )?;
    // Who gave which role is the roles' own: none when they are hidden from this viewer.
    let assignments: Vec<Value> = if fields.may_view("roles") {
        store::role_assignments(&mut conn, &target.id)
            .await?
            .into_iter()
            .map(|(role, by, at)| json!({"role": role, "assignedBy": by, "assignedAt": Timestamp::from_unix(at).to_string()}))
            .collect()
    } else {
        Vec::new()
    };
    Ok(json!({
        "user": view,
        "fields": fields,
        "permissions": permissions,
        "roleAssignments": assignments,
        "policy": caller.tenant.policy.hash(),
        "policyVersion": caller.tenant.version,
    }))
}

/// The query of a list (an unknown parameter is a 400 naming it, never ignored).
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// The opaque cursor of the next page.
    pub cursor: Option<String>,
    /// Page size (1 to 200, default 50).
    pub limit: Option<i64>,
    /// A text to search for in the record.
    pub q: Option<String>,
    /// Also return, per user, the actions the kernel allows the actor on it (for a
    /// console that shows only what the actor may do).
    #[serde(default)]
    pub actions: bool,
}

/// The actions a console offers on a user.
const CONSOLE_ACTIONS: [&str; 5] = [
    "users.update",
    "users.status",
    "users.delete",
    "users.read",
    "roles.assign",
];

pub(crate) fn encode_cursor(id: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("after:{id}"))
}

fn decode_cursor(c: &str) -> Result<String, ApiError> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("after:").map(str::to_owned))
        .ok_or_else(|| {
            crate::error::Malformed::new(
                crate::error::RequestPart::Query,
                "invalid_parameter",
                "not a cursor this server gave (pass the previous page's `next` unchanged)",
            )
            .field(Some("cursor".into()))
            .into()
        })
}

/// Lists the users the actor may read: the kernel's scope filter rendered to SQL, one page
/// at a time (ordered by id; the cursor names the last id listed), without the rows the
/// tenant's plugins do not let the actor read, nor, under attribute permissions, a search's
/// hits only in a field hidden from the viewer. A page is read on until it holds its limit
/// or the users run out, and its cursor names a user it lists: never one left out (a hit
/// only in a hidden field would be named by it), and no page is empty but the last.
///
/// # Errors
/// Store errors, a bad cursor.
pub async fn list(app: &App, caller: &Caller, q: &ListQuery) -> Result<Value, ApiError> {
    let tenant = &caller.tenant;
    let actor = caller.actor()?;
    let limit = usize::try_from(crate::extract::page_limit(q.limit, 50, 200)?).unwrap_or(50);
    let declared = fields::declared(&tenant.policy);
    let needle = search_text(q)?;
    let mut query = ListQuery {
        cursor: q.cursor.clone(),
        limit: q.limit,
        q: q.q.clone(),
        actions: q.actions,
    };
    let mut kept: Vec<(UserRow, Option<warden_core::access::FieldAccess>)> = Vec::new();
    let (cursor, filter) = loop {
        let Page {
            rows, next, filter, ..
        } = list_page(app, caller, &query).await?;
        if declared {
            // Attribute permissions: each row without what this viewer may not see, and a
            // search hit only in a hidden field is no hit.
            let mut conn = app.db.pool().acquire().await?;
            let page: Vec<&UserRow> = rows.iter().collect();
            let dir = fields::directory_for(&mut conn, &tenant.id, actor, &page).await?;
            for u in rows {
                let fa = fields::access_of(&tenant.policy, &dir, actor, &u)?;
                if needle
                    .as_deref()
                    .is_none_or(|n| fields::still_matches(&fa, &u.document, n))
                {
                    kept.push((u, Some(fa)));
                }
            }
        } else {
            kept.extend(rows.into_iter().map(|u| (u, None)));
        }
        if kept.len() > limit {
            kept.truncate(limit);
            break (kept.last().map(|(u, _)| encode_cursor(&u.id)), filter);
        }
        let Some(next) = next else {
            break (None, filter);
        };
        // The page's last row read is listed: its cursor names a user the page shows.
        if kept.len() == limit
            && kept.last().map(|(u, _)| encode_cursor(&u.id)) == Some(next.clone())
        {
            break (Some(next), filter);
        }
        // Rows left out (or a page short of its limit): read on, past the last row read.
        query.cursor = Some(next);
    };
    let (rows, access): (Vec<UserRow>, Vec<_>) = kept.into_iter().unzip();
    let access = declared.then(|| access.into_iter().flatten().collect());
    list_views(app, caller, q, rows, access, cursor, filter).await
}

/// The list's answer: the page's views (redacted with `access` when the policy declares
/// attribute permissions) and, when asked, the actions the kernel allows on each.
async fn list_views(
    app: &App,
    caller: &Caller,
    q: &ListQuery,
    rows: Vec<UserRow>,
    access: Option<Vec<warden_core::access::FieldAccess>>,
    cursor: Option<String>,
    filter: access::Filter,
) -> Result<Value, ApiError> {
    let tenant = &caller.tenant;
    let actor = caller.actor()?;
    let at = now();
    let mut views: Vec<Value> = rows.iter().map(|u| u.view_at(&tenant.policy, at)).collect();
    if let Some(access) = &access {
        for (view, fa) in views.iter_mut().zip(access) {
            fields::redact(fa, view);
        }
    }
    if q.actions {
        // The page's edges and the actor's chain: enough for the `team` scope between the
        // actor and each listed user (an edge outside the page can only deny, never allow).
        let mut conn = app.db.pool().acquire().await?;
        let page: Vec<(String, Option<String>)> = rows
            .iter()
            .map(|u| (u.id.clone(), u.manager.clone()))
            .collect();
        let dir = directory(&mut conn, &tenant.id, &page, &[&actor.id]).await?;
        let account = actor.account();
        for (u, view) in rows.iter().zip(views.iter_mut()) {
            let allowed = access::permitted_among(
                &tenant.policy,
                &dir,
                &account,
                &Target::from(&u.account()),
                CONSOLE_ACTIONS,
                now(),
            )?;
            if let Some(o) = view.as_object_mut() {
                o.insert("actions".into(), allowed.into());
            }
        }
    }
    Ok(json!({
        "users": views,
        "next": cursor,
        "scope": filter,
        "policy": tenant.policy.hash(),
    }))
}

/// The longest search text, in characters.
const MAX_SEARCH_CHARS: usize = 100;

/// The search text of a list, trimmed and folded ([`search_fold`]); `None` when there is
/// none.
///
/// # Errors
/// A text of more than [`MAX_SEARCH_CHARS`] characters: refused, not cut.
fn search_text(q: &ListQuery) -> Result<Option<String>, ApiError> {
    let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    // Counted as compared (composed): `é` typed as `e` and a combining accent is one.
    let folded = search_fold(text);
    if folded.chars().count() > MAX_SEARCH_CHARS {
        return Err(crate::error::Malformed::new(
            crate::error::RequestPart::Query,
            "invalid_parameter",
            format!("a search text has at most {MAX_SEARCH_CHARS} characters"),
        )
        .field(Some("q".into()))
        .into());
    }
    Ok(Some(folded))
}

/// A text as a search compares it: in lower case and in Unicode's canonical composition
/// (NFC), as uniqueness keys are ([`warden_core::validate::unique_key`]), so that `é`
/// typed as one code point finds it stored as `e` and a combining accent, and the other
/// way round.
fn search_fold(text: &str) -> String {
    warden_core::validate::unique_key(text)
}

/// Whether a stored record holds `needle` (folded, [`search_text`]) in one of its
/// values: a string, or a number as written, at any depth; never in a field's name, nor
/// in `true`, `false` or `null`. Letters are compared folded ([`search_fold`]: lower case
/// in full Unicode, composed), on SQLite as on PostgreSQL.
pub(crate) fn search_hit(document: &Map<String, Value>, needle: &str) -> bool {
    any_searched_value(document, &mut |v| search_fold(v).contains(needle))
}

/// What separates two values in [`search_column`]: a control character (a search holding
/// one that the store matches across two values is refused by [`search_hit`] after).
const SEARCH_SEPARATOR: char = '\u{1f}';

/// The stored search text of a record (the `users.search` column): the values
/// [`search_hit`] looks in, each folded as it folds them, joined by
/// [`SEARCH_SEPARATOR`]. A search text without that separator is in it exactly when
/// `search_hit` finds it, so the store's LIKE ([`like_contains`]) picks the page's users
/// and no others.
pub(crate) fn search_column(document: &Map<String, Value>) -> String {
    let mut out = String::new();
    any_searched_value(document, &mut |v| {
        if !out.is_empty() {
            out.push(SEARCH_SEPARATOR);
        }
        out.push_str(&search_fold(v));
        false
    });
    out
}

/// Calls `f` on each value a search looks in (strings, and numbers as written, at any
/// depth), in the record's order, until it answers `true`; whether one did.
fn any_searched_value(document: &Map<String, Value>, f: &mut impl FnMut(&str) -> bool) -> bool {
    fn walk(v: &Value, f: &mut impl FnMut(&str) -> bool) -> bool {
        match v {
            Value::String(s) => f(s),
            Value::Number(n) => f(&n.to_string()),
            Value::Array(a) => a.iter().any(|x| walk(x, f)),
            Value::Object(o) => o.values().any(|x| walk(x, f)),
            Value::Bool(_) | Value::Null => false,
        }
    }
    document.values().any(|v| walk(v, f))
}

/// The LIKE pattern (with `ESCAPE '\'`) of the stored search texts ([`search_column`])
/// that hold `needle`: LIKE's wildcards and escape in it escaped, so each stands for
/// itself.
fn like_contains(needle: &str) -> String {
    let mut out = String::from("%");
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// One page of the users the actor may read ([`list_page`]).
pub(crate) struct Page {
    /// The page's users the actor may read (the tenant's plugins asked).
    pub rows: Vec<UserRow>,
    /// How many stored rows the page read (`rows` may hold fewer): what a caller walking
    /// the pages counts against its scan limit.
    pub scanned: usize,
    /// The next page's cursor.
    pub next: Option<String>,
    /// The kernel's scope filter.
    pub filter: access::Filter,
}

/// One page of the users the actor may read, the next page's cursor and the scope filter.
pub(crate) async fn list_page(app: &App, caller: &Caller, q: &ListQuery) -> Result<Page, ApiError> {
    let tenant = &caller.tenant;
    let actor = caller.actor()?;
    let scope = access::scope(&tenant.policy, &actor.account(), "users.read", now())?;
    let opts = SqlOptions {
        placeholder: Placeholder::Dollar,
        subtree: crate::closure::strategy(),
        ..SqlOptions::default()
    };
    let filter = scope
        .filter
        .to_sql(&opts)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let limit = crate::extract::page_limit(q.limit, 50, 200)?;
    let mut n = filter.params.len();
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    let mut extra = vec![Param::Text(tenant.id.clone())];
    let mut sql_where = format!(
        "({}) AND tenant_id = {} AND deleted_at IS NULL",
        filter.sql,
        next()
    );
    if let Some(c) = &q.cursor {
        extra.push(Param::Text(decode_cursor(c)?));
        sql_where.push_str(&format!(" AND id > {}", next()));
    }
    if let Some(text) = search_text(q)? {
        // A row not given its search text yet (written by an older server meanwhile) is
        // a candidate: `search_hit` decides below.
        extra.push(Param::Text(like_contains(&text)));
        sql_where.push_str(&format!(
            " AND (search IS NULL OR search LIKE {} ESCAPE '\\')",
            next()
        ));
    }
    extra.push(Param::Int(limit + 1));
    let tail = format!("ORDER BY id LIMIT {}", next());
    // Asked before taking a connection: loading the tenant's set may need one.
    let plugins = crate::plugins::current(app, &tenant.id).await?.is_some();
    let mut conn = app.db.pool().acquire().await?;
    let mut rows = store::users_where(&mut conn, &sql_where, &filter.params, &extra, &tail).await?;
    let more = i64::try_from(rows.len()).unwrap_or(i64::MAX) > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(50));
    let cursor = if more {
        rows.last().map(|u| encode_cursor(&u.id))
    } else {
        None
    };
    let scanned = rows.len();
    // The store found the search's users ([`like_contains`]); the values decide those
    // whose search text it did not have yet.
    if let Some(text) = search_text(q)? {
        rows.retain(|u| search_hit(&u.document, &text));
    }
    let rows = if plugins && !rows.is_empty() {
        rows_plugins_let_read(app, conn, caller, rows).await?
    } else {
        rows
    };
    Ok(Page {
        rows,
        scanned,
        next: cursor,
        filter: scope.filter,
    })
}

/// Applies a partial update; the kernel's violations and denials in `lang`.
///
/// # Errors
/// Kernel denials and violations, a manager cycle, store errors.
pub async fn update(
    app: &App,
    caller: &Caller,
    id: &str,
    body: Map<String, Value>,
    expected_version: Option<i64>,
    lang: Lang,
    request_id: Option<String>,
) -> Result<Written, ApiError> {
    let tenant = &caller.tenant;
    let actor = caller.actor()?;
    let mut b = split_body(body)?;
    // A status is changed by a transition; the edit is still put to the kernel first, so
    // that an actor who may not change the status hears which fields it may not edit.
    let requested_status = match b.record.remove("status") {
        None => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => {
            return Err(ApiError::invalid_field(
                "status",
                "`status` must be a string",
            ));
        }
    };
    let (before, read_dir, mut conn) = readable_target_and_conn(app, caller, id).await?;
    // An edit made on the user as it was read (`If-Match`): not over a change made since
    // (the write itself is made over the version read here, see `store::update_user`).
    if let Some(v) = expected_version
        && v != before.version
    {
        return Err(ApiError::PreconditionFailed {
            message: format!(
                "user `{}` is at version {} since it was read at {v}: read it again, and edit that",
                before.id, before.version
            ),
        });
    }
    // May the actor update this user at all, before the record is validated: an actor who
    // may not must not learn from the edit's violations whether a key is taken (nor by whom).
    let early_change = b.roles.as_ref().and_then(|r| {
        let add: Vec<String> = r
            .iter()
            .filter(|x| !before.roles.contains(x))
            .cloned()
            .collect();
        let remove: Vec<String> = before
            .roles
            .iter()
            .filter(|x| !r.contains(x))
            .cloned()
            .collect();
        (!add.is_empty() || !remove.is_empty()).then_some(RoleChange { add, remove })
    });
    require(authorize(
        tenant,
        &read_dir,
        &actor.account(),
        "users.update",
        Target::from(&before.account()),
        early_change,
        lang,
    )?)?;
    // A field hidden from the actor that it may not edit either: refused whatever the value,
    // before validation could tell the value apart.
    fields::check_named_hidden(
        &tenant.policy,
        &read_dir,
        actor,
        &before.account(),
        b.record.keys(),
        lang,
    )?;
    let mut record = before.document.clone();
    for (k, v) in &b.record {
        if v.is_null() {
            record.remove(k);
        } else {
            record.insert(k.clone(), v.clone());
        }
    }
    if tenant
        .policy
        .document()
        .fields
        .iter()
        .any(|(n, _)| n == "status")
    {
        record.insert("status".into(), before.status.clone().into());
    }
    let plain = given_password(tenant, &b.record);
    let decision = validate(
        app,
        &mut conn,
        tenant,
        actor,
        &record,
        Mode::Update,
        Some(&before.id),
        lang,
    )
    .await?;
    refuse_invalid(&decision)?;
    let mut plugin_reports =
        crate::plugins::validate(app, tenant, &record, Mode::Update, &decision).await?;
    let mut after = before.clone();
    after.document = decision.normalized.clone();
    after.document.remove("id");
    if let Some(r) = &b.roles {
        after.roles = r.clone();
    }
    if let Some(g) = &b.groups {
        after.groups = g.clone();
    }
    index_columns(&mut after);
    let starts: Vec<&str> = [before.id.as_str(), actor.id.as_str()]
        .into_iter()
        .chain(after.manager.as_deref())
        .collect();
    let dir = directory(&mut conn, &tenant.id, &[], &starts).await?;
    let mut after_account = after.account();
    if let (Some(p), Some(f)) = (&plain, password_fields(&tenant.policy).first()) {
        after_account.attributes.insert(f.clone(), p.clone().into());
    }
    if let Some(s) = &requested_status {
        after_account.status.clone_from(s);
    }
    let added: Vec<String> = after
        .roles
        .iter()
        .filter(|r| !before.roles.contains(r))
        .cloned()
        .collect();
    let removed: Vec<String> = before
        .roles
        .iter()
        .filter(|r| !after.roles.contains(r))
        .cloned()
        .collect();
    let change = (!added.is_empty() || !removed.is_empty()).then(|| RoleChange {
        add: added.clone(),
        remove: removed.clone(),
    });
    // May the actor update this user at all; then, field by field, may it change what the
    // edit changes: an edit of a field the actor may not edit is the kernel's
    // `field_not_editable`, naming every such field.
    let authz = require(authorize(
        tenant,
        &dir,
        &actor.account(),
        "users.update",
        Target::from(&before.account()),
        change.clone(),
        lang,
    )?)?;
    // The plugins judge the edit as the kernel did: the target as it is before the edit,
    // with the role change, so that a rule about who the target is (an administrator)
    // still sees what the edit would take away.
    plugin_reports.extend(
        crate::plugins::authorize(
            app,
            tenant,
            actor.account(),
            "users.update",
            Target::from(&before.account()),
            change.clone(),
            &authz,
        )
        .await?,
    );
    // A role change made by an edit is a grant or a withdrawal of roles: the plugins also
    // hear it as the policy's assign action (`roles.assign`), as they hear the same change
    // made by a bulk role item.
    if let (Some(c), Some(assign)) = (
        &change,
        tenant
            .policy
            .assign_action()
            .filter(|a| *a != "users.update"),
    ) {
        // The kernel allowed the change as the edit it is (`authz`, users.update with the
        // change): the plugins are told that decision on the assign question too (the
        // kernel's own answer to it may be a deny the edit does not depend on, and a
        // plugin's refusal would then be reported as the kernel's).
        plugin_reports.extend(
            crate::plugins::authorize(
                app,
                tenant,
                actor.account(),
                assign,
                Target::from(&before.account()),
                Some(c.clone()),
                &authz,
            )
            .await?,
        );
    }
    // The stored record as the edit's record was built from it (with the stored status
    // where the schema has a status field), so that only what the edit changes is compared.
    let mut before_account = before.account();
    if let Some(s) = record.get("status") {
        before_account
            .attributes
            .entry("status")
            .or_insert_with(|| s.clone());
    }
    fields::check_edit(
        &tenant.policy,
        &dir,
        actor,
        &before_account,
        &after_account,
        lang,
    )?;
    if requested_status.is_some() {
        return Err(ApiError::invalid_field(
            "status",
            "change `status` with POST /api/v1/users/{id}/status",
        ));
    }
    if after.super_admin != before.super_admin && !is_privileged(actor) {
        return Err(ApiError::Forbidden {
            deny: None,
            reason: "only a super administrator changes the super-administrator flag",
        });
    }
    if let Some(m) = &after.manager
        && after.manager != before.manager
    {
        let chain = store::ancestors(&mut conn, &tenant.id, m).await?;
        if m == &after.id || chain.iter().any(|(i, _)| i == &after.id) {
            return Err(ApiError::Conflict {
                errors: vec![FieldError {
                    field: if after.document.contains_key("supervisor") {
                        "supervisor".into()
                    } else {
                        "manager".into()
                    },
                    code: "manager_cycle".into(),
                    message: "this manager is the user or reports to the user".into(),
                }],
            });
        }
    }
    // The user as it would be must also be within the actor's reach: an update cannot move
    // a user to an organisation or a team the actor does not manage.
    let moved = require(authorize(
        tenant,
        &dir,
        &actor.account(),
        "users.update",
        Target::from(&after.account()),
        change.clone(),
        lang,
    )?)?;
    let groups = authorize_groups(
        tenant,
        &dir,
        actor,
        &after,
        &before.groups,
        &after.groups,
        lang,
    )?;
    // What the edit's fields and groups do to the roles the user holds (a manual group
    // joined or left, a dynamic group whose rule it now meets or no longer meets, the
    // policy's role field) is a grant or a withdrawal as a direct one is: judged as one (who
    // may grant the roles, the policy's forbidden combinations, its minimum of active
    // roles), on the user with the edit's direct roles and its fields and groups as they
    // were. Both together: a role a manual group joined gives and a dynamic group the edit
    // moves it into gives too is held after and not before, whichever is looked at first.
    let mut unedited = before.account();
    unedited.roles.clone_from(&after.roles);
    if let Some(acc) = tenant.policy.access()
        && let Some(derived) = access::role_change_between(acc, &unedited, &after.account())?
    {
        let target = Target::from(&unedited);
        let d = require(authorize(
            tenant,
            &dir,
            &actor.account(),
            "users.update",
            target.clone(),
            Some(derived.clone()),
            lang,
        )?)?;
        plugin_reports.extend(
            crate::plugins::authorize(
                app,
                tenant,
                actor.account(),
                "users.update",
                target,
                Some(derived),
                &d,
            )
            .await?,
        );
    }
    // The plugins hear the user as the edit leaves it too (a rule about where a user may be
    // moved), with the role change, as the kernel judged it, and any grant or withdrawal
    // through groups.
    plugin_reports.extend(
        crate::plugins::authorize(
            app,
            tenant,
            actor.account(),
            "users.update",
            Target::from(&after.account()),
            change,
            &moved,
        )
        .await?,
    );
    plugin_reports.extend(plugins_on_groups(app, tenant, actor, groups).await?);
    // Self-service password and email changes need the current password (R002-05: one's
    // own email is where a password reset goes).
    // `None` when no current password is given (the policy's `requireCurrentPassword`
    // refuses that); `Some(false)` when one is given and does not match.
    // One's own current password is not verified while the lockout holds the account, as
    // on `POST /users/{id}/password`.
    let asks_current = plain.is_some() || lifecycle::email_changed(&before_account, &after_account);
    let own_guess = asks_current && b.current_password.is_some() && actor.id == before.id;
    // Neither the account's turn nor the hash budget is waited for holding a connection.
    drop(conn);
    // One's own current password is a guess as a sign-in's is: judged in the account's
    // turn (`login::SignInTurns`), against its failures as they are now.
    let _turn = if own_guess {
        let turn = app.sign_ins.take(&tenant.id, &before.id).await;
        let mut c = app.db.pool().acquire().await?;
        let now_row = store::user(&mut c, &tenant.id, &before.id).await?;
        drop(c);
        if now_row.is_some_and(|u| crate::login::locked_now(tenant, &u, now())) {
            return Err(locked_out());
        }
        Some(turn)
    } else {
        None
    };
    let current_password_verified = match (&b.current_password, &before.password_hash) {
        (Some(cur), Some(h)) if asks_current => {
            Some(verify(&tenant.policy, h, cur.clone()).await?.matches)
        }
        (Some(_), None) if asks_current => Some(false),
        _ => None,
    };
    let mut conn = app.db.pool().acquire().await?;
    // A wrong current password for one's own password counts as a failed sign-in (the
    // policy's lockout), as on `POST /users/{id}/password`: the edit is no oracle either.
    let own_guess_wrong = current_password_verified == Some(false) && actor.id == before.id;
    // What the edit takes that the lifecycle guards (the flag, critical permissions): the
    // directory's facts, held again at write time.
    let held = EditFacts::read(
        &mut conn,
        tenant,
        &before,
        &before_account,
        &after_account,
        &BTreeSet::new(),
    )
    .await?;
    let obligations = match tenant.policy.lifecycle() {
        Some(_) => {
            let ch = lifecycle::changes_in(
                &tenant.policy,
                &dir,
                &ChangeRequest {
                    actor: actor.account(),
                    before: before_account,
                    after: after_account,
                    current_password_verified,
                    facts: held.facts(),
                    lang,
                },
                now(),
            )
            .map_err(lifecycle_bad)?;
            if !ch.allowed() {
                if own_guess_wrong {
                    drop(conn);
                    crate::login::failed(app, tenant, &before.id, now()).await?;
                }
                return Err(ApiError::denied(ch.deny));
            }
            ch.obligations
        }
        // No lifecycle, no `changes` rules: still, one's own current password given and
        // wrong is refused, as the kernel refuses it under a lifecycle.
        None if own_guess_wrong => {
            drop(conn);
            crate::login::failed(app, tenant, &before.id, now()).await?;
            return Err(ApiError::Forbidden {
                deny: None,
                reason: "current_password_required",
            });
        }
        None => Vec::new(),
    };
    // An edit that changes nothing writes nothing: no new version (another editor's
    // `If-Match` stays good) and no audit entry, once it is decided as any edit is.
    let seen = if fields::declared(&tenant.policy) {
        Some(fields::access_of(&tenant.policy, &dir, actor, &before)?)
    } else {
        None
    };
    if plain.is_none() && after.view() == before.view() {
        let mut extra = Map::new();
        extra.insert(
            "warnings".into(),
            warnings_for(&decision, seen.as_ref()).into(),
        );
        extra.insert("obligations".into(), Value::Array(Vec::new()));
        if !plugin_reports.is_empty() {
            extra.insert("plugins".into(), plugin_reports.into());
        }
        return Ok(Written {
            user: seen_by(tenant, &dir, actor, &before)?,
            extra,
        });
    }
    drop(conn);
    let at = now().unix();
    if let Some(p) = plain {
        // As the password route holds one's own: not the current password again. A
        // password set for someone else is temporary (whoever chose it knows it, and the
        // user changes it at the next sign-in), and is not compared with theirs (the
        // answer would tell the setter their password).
        if actor.id == before.id {
            let verified_current = b
                .current_password
                .as_deref()
                .filter(|_| current_password_verified == Some(true));
            refuse_unchanged(&tenant.policy, &before, verified_current, &p).await?;
        }
        after.password_hash = Some(hash(&tenant.policy, p).await?);
        after.password_changed_at = Some(at);
        after.must_change_password = actor.id != before.id;
    }
    let audit = Audit { caller, request_id };
    let mut tx = app.db.begin_write().await?;
    let password_set = after.password_hash != before.password_hash;
    let written: Result<Vec<Value>, ApiError> = async {
        store::hold_references(&mut tx, &tenant.id, &decision.checks).await?;
        let mut done = apply_obligations(&mut tx, &mut after, &obligations, &actor.id, at).await?;
        let into_inactive = moved_into_inactive(&mut tx, tenant, &before, &after).await?;
        if password_set || into_inactive {
            end_sessions(&mut tx, &mut after, &obligations, &mut done).await?;
        }
        store::update_user(&mut tx, &mut after, at).await?;
        if into_inactive && before.super_admin {
            keep_a_super_admin(&mut tx, tenant, lang).await?;
        }
        store::set_keys(&mut tx, &tenant.id, &after.id, &decision.checks).await?;
        store::sync_roles(
            &mut tx, &tenant.id, &after.id, &added, &removed, &actor.id, at,
        )
        .await?;
        let g_add: Vec<String> = after
            .groups
            .iter()
            .filter(|g| !before.groups.contains(g))
            .cloned()
            .collect();
        let g_rm: Vec<String> = before
            .groups
            .iter()
            .filter(|g| !after.groups.contains(g))
            .cloned()
            .collect();
        store::sync_groups(&mut tx, &tenant.id, &after.id, &g_add, &g_rm, &actor.id, at).await?;
        held.recheck(&mut tx, &tenant.policy, &before, &after)
            .await?;
        audit
            .write(
                &mut tx,
                "users.update",
                &after.id,
                Some(before.view()),
                Some(after.view()),
                crate::plugins::with_plugins(serde_json::to_value(&authz)?, &plugin_reports),
                done.clone(),
                at,
            )
            .await?;
        Ok(done)
    }
    .await;
    let done = match written {
        Ok(d) => {
            tx.commit().await?;
            d
        }
        Err(e) => {
            tx.rollback().await?;
            return Err(duplicate_or(
                app,
                tenant,
                actor,
                &record,
                Some(&before.id),
                Mode::Update,
                lang,
                e,
            )
            .await);
        }
    };
    let mut extra = Map::new();
    extra.insert(
        "warnings".into(),
        warnings_for(&decision, seen.as_ref()).into(),
    );
    extra.insert("obligations".into(), done.into());
    if !plugin_reports.is_empty() {
        extra.insert("plugins".into(), plugin_reports.into());
    }
    Ok(Written {
        user: seen_by(tenant, &dir, actor, &after)?,
        extra,
    })
}

/// `user` as `actor` sees it: its view without the fields the policy hides from them.
///
/// # Errors
/// The kernel's, judging the fields (no access section).
fn seen_by(
    tenant: &Tenant,
    dir: &Directory,
    actor: &UserRow,
    user: &UserRow,
) -> Result<Value, ApiError> {
    let mut view = user.view_at(&tenant.policy, now());
    fields::redact(
        &fields::access_of(&tenant.policy, dir, actor, user)?,
        &mut view,
    );
    Ok(view)
}

/// A status change request body.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StatusBody {
    /// The new status.
    pub to: String,
    /// Why.
    #[serde(default)]
    pub reason: Option<String>,
    /// End of a temporary status (RFC 3339), as the kernel's transition takes it; at most
    /// one of `until`, `durationDays` and `durationMinutes`.
    #[serde(default)]
    pub until: Option<warden_core::Timestamp>,
    /// Duration of a temporary status, in days.
    #[serde(default)]
    pub duration_days: Option<u32>,
    /// Duration of a temporary status, in minutes.
    #[serde(default)]
    pub duration_minutes: Option<u32>,
    /// The target's active bookings, which the directory does not hold.
    #[serde(default)]
    pub active_bookings: Option<u32>,
    /// The approvals waiting on the target, which the directory does not hold either: a
    /// transition obliging their reassignment (`reassignApprovals`, R004-06) is refused
    /// for the missing fact `pendingApprovals` without it, never decided on a guess.
    #[serde(default)]
    pub pending_approvals: Option<u32>,
}

/// The kernel's question for a status change of `target` by `actor` (the `body`): the
/// transition asked for, the caller's facts (`activeBookings`, `pendingApprovals`: the
/// server keeps neither bookings nor approvals), the facts the server holds (`held`: its
/// count of active super admins and the critical permissions only the target holds) and
/// the actor's permissions over the target. One place for the status route and an
/// AuthZEN evaluation of `users.status` with parameters, which ask the same question.
///
/// # Errors
/// The kernel's, computing the actor's permissions (no access section).
pub(crate) fn transition_request(
    tenant: &Tenant,
    dir: &Directory,
    actor: Account,
    target: Account,
    body: StatusBody,
    held: HeldFacts,
    lang: Lang,
) -> Result<TransitionRequest, access::AccessError> {
    let perms =
        access::permissions_over(&tenant.policy, dir, &actor, &Target::from(&target), now())?;
    Ok(TransitionRequest {
        actor,
        target,
        to: body.to,
        reason: body.reason,
        until: body.until,
        duration_days: body.duration_days,
        duration_minutes: body.duration_minutes,
        facts: held.facts(body.active_bookings, body.pending_approvals),
        actor_permissions: perms,
        lang,
    })
}

/// A status change's query.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StatusQuery {
    /// Decide the change, with every fact and plugin the real one has, and write nothing:
    /// the answer is the decision (`to`, `until`, the `obligations` it would carry) or the
    /// same refusal. What a console shows before the administrator applies.
    #[serde(default)]
    pub dry_run: bool,
}

/// Changes a user's status through the kernel's state machine and carries out its
/// obligations (sessions revoked, roles and groups removed, tasks recorded); the kernel's
/// denials in `lang`. With `dry_run`, decides it as it would (the same facts, the same
/// plugins) and writes nothing.
///
/// # Errors
/// Kernel denials, store errors.
pub async fn transition(
    app: &App,
    caller: &Caller,
    id: &str,
    body: StatusBody,
    dry_run: bool,
    lang: Lang,
    request_id: Option<String>,
) -> Result<Written, ApiError> {
    let tenant = &caller.tenant;
    let actor = caller.actor()?;
    let (before, dir, mut conn) = readable_target_and_conn(app, caller, id).await?;
    let authz = require(authorize(
        tenant,
        &dir,
        &actor.account(),
        "users.status",
        Target::from(&before.account()),
        None,
        lang,
    )?)?;
    let held = HeldFacts::read(&mut conn, tenant, &before, Lifecycle::Transition).await?;
    let supers = held.supers;
    let req = transition_request(
        tenant,
        &dir,
        actor.account(),
        before.account(),
        body,
        held,
        lang,
    )?;
    let d = lifecycle::transition(&tenant.policy, &req, now()).map_err(|e| {
        // The status asked for, when it is the one the policy does not declare.
        let at_to = e.kind() == lifecycle::LifecycleErrorKind::UnknownStatus
            && e.name() == Some(req.to.as_str());
        ApiError::kernel_refused(e.code(), at_to.then_some("to"), e.to_string())
    })?;
    if !d.allowed() {
        return Err(ApiError::denied(d.deny));
    }
    drop(conn);
    let plugin_reports = crate::plugins::status_change(app, tenant, &req, &authz, &d).await?;
    if dry_run {
        let mut extra = Map::new();
        extra.insert("dryRun".into(), true.into());
        extra.insert("to".into(), d.to.clone().into());
        if let Some(u) = d.until {
            extra.insert("until".into(), u.to_string().into());
        }
        let user = seen_by(tenant, &dir, actor, &before)?;
        // The roles and groups an obligation would remove are the user's: not named to an
        // actor the policy hides them from (the kind of obligation is still told).
        let mut obligations = serde_json::to_value(&d.obligations)?;
        for o in obligations.as_array_mut().into_iter().flatten() {
            for key in [ROLES, GROUPS] {
                if user.get(key).is_none()
                    && let Some(o) = o.as_object_mut()
                {
                    o.remove(key);
                }
            }
        }
        extra.insert("obligations".into(), obligations);
        if !plugin_reports.is_empty() {
            extra.insert("plugins".into(), plugin_reports.into());
        }
        return Ok(Written { user, extra });
    }
    let at = now().unix();
    let mut after = before.clone();
    after.status = d.to.clone();
    after.status_until = d.until.map(Timestamp::unix);
    // Leaving the lockout status (an administrator unlocking) clears the failed attempts.
    crate::login::unlocked(tenant, &before, &mut after);
    if after.document.contains_key("status") {
        after.document.insert("status".into(), d.to.clone().into());
    }
    let audit = Audit { caller, request_id };
    let mut tx = app.db.begin_write().await?;
    let done = apply_obligations(&mut tx, &mut after, &d.obligations, &actor.id, at).await?;
    store::update_user(&mut tx, &mut after, at).await?;
    store::recheck_super_admins(&mut tx, &tenant.policy, &before, Some(&after), supers).await?;
    if transition_guarded(tenant, &d) {
        store::recheck_sole_holder(&mut tx, &tenant.policy, &before, None, now()).await?;
    }
    audit
        .write(
            &mut tx,
            "users.status",
            &after.id,
            Some(before.view()),
            Some(after.view()),
            crate::plugins::with_plugins(serde_json::to_value(&d.audit)?, &plugin_reports),
            done.clone(),
            at,
        )
        .await?;
    tx.commit().await?;
    let mut extra = Map::new();
    extra.insert("obligations".into(), done.into());
    if !plugin_reports.is_empty() {
        extra.insert("plugins".into(), plugin_reports.into());
    }
    Ok(Written {
        user: seen_by(tenant, &dir, actor, &after)?,
        extra,
    })
}

/// A deletion query.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeleteQuery {
    /// `soft`, `hard` or `anonymize`; default the policy's.
    pub mode: Option<DeleteMode>,
    /// The actor confirmed (R000-09).
    #[serde(default)]
    pub confirm: bool,
    /// The target's active bookings, which the directory does not hold.
    pub active_bookings: Option<u32>,
}

/// The kernel's question for deleting `target` by `actor` (`q`: the mode, the actor's
/// confirmation, the caller's fact `activeBookings`): with the facts the server holds
/// (`held`: its count of active super admins and the critical permissions only the target
/// holds; a deletion reads no pending approvals) and the actor's permissions over the
/// target. One place for the deletion route and an AuthZEN evaluation of `users.delete`,
/// which ask the same question.
///
/// # Errors
/// The kernel's, computing the actor's permissions (no access section).
pub(crate) fn delete_request(
    tenant: &Tenant,
    dir: &Directory,
    actor: Account,
    target: Account,
    q: &DeleteQuery,
    held: HeldFacts,
    lang: Lang,
) -> Result<DeleteRequest, ApiError> {
    let perms =
        access::permissions_over(&tenant.policy, dir, &actor, &Target::from(&target), now())?;
    Ok(DeleteRequest {
        actor,
        target,
        mode: q.mode,
        confirmed: q.confirm,
        facts: held.facts(q.active_bookings, None),
        actor_permissions: perms,
        lang,
    })
}

/// The lifecycle facts the server reads from its own directory for an edit: what it takes
/// that the lifecycle's guards protect.
#[derive(Debug, Clone, Default)]
pub(crate) struct EditFacts {
    /// When the edit takes the super-administrator flag: the tenant's count of active super
    /// administrators (`activeSuperAdmins`).
    supers: Option<i64>,
    /// The critical permissions the edit takes from the user's organisation
    /// ([`access::critical_permissions_lost`]), when the policy guards their sole holder.
    lost: Vec<String>,
    /// When it takes any: those only this user holds (`soleHolderOf`).
    sole: Option<Vec<String>>,
}

impl EditFacts {
    /// The facts of an edit of `before` (stored) from `before_account` to `after_account`
    /// (as the kernel sees them).
    ///
    /// # Errors
    /// A role or group the policy does not declare; database errors.
    /// The users in `leaving` (those other items of a bulk request take away) do not count
    /// as holders.
    pub(crate) async fn read(
        conn: &mut AnyConnection,
        tenant: &Tenant,
        before: &UserRow,
        before_account: &Account,
        after_account: &Account,
        leaving: &BTreeSet<String>,
    ) -> Result<EditFacts, ApiError> {
        let supers = if before_account.super_admin && !after_account.super_admin {
            Some(store::super_admins_fact(conn, &tenant.policy, before).await?)
        } else {
            None
        };
        let lost = critical_taken(tenant, before_account, after_account)?;
        let sole = if lost.is_empty() {
            None
        } else {
            Some(
                store::sole_holder_of(conn, &tenant.id, &tenant.policy, before, leaving, now())
                    .await?,
            )
        };
        Ok(EditFacts { supers, lost, sole })
    }

    /// The kernel's facts.
    pub(crate) fn facts(&self) -> ChangeFacts {
        ChangeFacts {
            active_super_admins: self.supers.map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
            sole_holder_of: self.sole.clone(),
        }
    }

    /// Holds the guards again inside the write's transaction, after the write of `after`
    /// (its roles and groups included): the last super administrator
    /// ([`store::recheck_super_admins`]) and the sole holders of what the edit takes
    /// ([`store::recheck_sole_holder`]).
    ///
    /// # Errors
    /// [`ApiError::Conflict`] (`stale_user`) when the directory changed since the
    /// decision; database errors.
    pub(crate) async fn recheck(
        &self,
        tx: &mut AnyConnection,
        policy: &Policy,
        before: &UserRow,
        after: &UserRow,
    ) -> Result<(), ApiError> {
        if let Some(n) = self.supers {
            store::recheck_super_admins(tx, policy, before, Some(after), n).await?;
        }
        if self.sole.is_some() {
            store::recheck_sole_holder(tx, policy, before, Some(&self.lost), now()).await?;
        }
        Ok(())
    }
}

/// The critical permissions an edit of `before` into `after` takes from its organisation
/// ([`access::critical_permissions_lost`]), when the policy guards their sole holder
/// (`soleCriticalHolder` anywhere in its lifecycle); none otherwise.
///
/// # Errors
/// A role or group of either account the policy does not declare.
pub(crate) fn critical_taken(
    tenant: &Tenant,
    before: &Account,
    after: &Account,
) -> Result<Vec<String>, ApiError> {
    let guarded = tenant
        .policy
        .lifecycle()
        .is_some_and(|l| l.guards(lifecycle::Guard::SoleCriticalHolder));
    if !guarded {
        return Ok(Vec::new());
    }
    Ok(access::critical_permissions_lost(
        &tenant.policy,
        before,
        after,
        now(),
    )?)
}

/// The lifecycle facts the server reads from its own directory for a status change or a
/// deletion (the caller's, such as `activeBookings`, come with the request).
#[derive(Debug, Clone, Default)]
pub(crate) struct HeldFacts {
    /// The tenant's count of active super administrators (`activeSuperAdmins`).
    pub(crate) supers: i64,
    /// The critical permissions only the target holds (`soleHolderOf`).
    pub(crate) sole_holder_of: Vec<String>,
}

impl HeldFacts {
    /// The facts of a `question` on `target`: the tenant's count of active super
    /// administrators, and [`sole_holder_fact`] (no other user counted as leaving).
    ///
    /// # Errors
    /// Database errors.
    pub(crate) async fn read(
        conn: &mut AnyConnection,
        tenant: &Tenant,
        target: &UserRow,
        question: Lifecycle,
    ) -> Result<HeldFacts, ApiError> {
        Ok(HeldFacts {
            supers: store::super_admins_fact(conn, &tenant.policy, target).await?,
            sole_holder_of: sole_holder_fact(conn, tenant, target, question, &BTreeSet::new())
                .await?,
        })
    }

    /// The kernel's facts: these, and the caller's `activeBookings` and
    /// `pendingApprovals` (`None` when not given: a rule that needs one refuses for the
    /// missing fact).
    pub(crate) fn facts(
        self,
        active_bookings: Option<u32>,
        pending_approvals: Option<u32>,
    ) -> TransitionFacts {
        TransitionFacts {
            active_bookings,
            active_super_admins: Some(u32::try_from(self.supers).unwrap_or(u32::MAX)),
            sole_holder_of: Some(self.sole_holder_of),
            pending_approvals,
        }
    }
}

/// The lifecycle questions the server reads facts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lifecycle {
    /// A status change (any of the policy's transitions).
    Transition,
    /// A deletion.
    Deletion,
}

/// Whether the policy guards this kind of question with `guard`: one of its transitions,
/// or its deletion's blockers. Without, no rule reads the guard's fact.
pub(crate) fn guarded(tenant: &Tenant, question: Lifecycle, guard: lifecycle::Guard) -> bool {
    let Some(l) = tenant.policy.lifecycle() else {
        return false;
    };
    match question {
        Lifecycle::Transition => l
            .spec()
            .transitions
            .iter()
            .any(|t| t.guards.contains(&guard)),
        Lifecycle::Deletion => l
            .spec()
            .deletion
            .as_ref()
            .is_some_and(|d| d.blockers.contains(&guard)),
    }
}

/// Whether the transition a decision made applies `soleCriticalHolder` (its write then
/// holds the guard again: [`store::recheck_sole_holder`]).
pub(crate) fn transition_guarded(tenant: &Tenant, d: &lifecycle::TransitionDecision) -> bool {
    let (Some(l), Some(id)) = (tenant.policy.lifecycle(), d.transition.as_deref()) else {
        return false;
    };
    l.spec()
        .transitions
        .iter()
        .any(|t| t.id == id && t.guards.contains(&lifecycle::Guard::SoleCriticalHolder))
}

/// The `soleHolderOf` fact of `question` on `target` ([`store::sole_holder_of`], the users
/// in `leaving` not counted as holders): read only when the policy guards that kind of
/// question with it ([`guarded`]), empty otherwise.
///
/// # Errors
/// As [`store::sole_holder_of`].
pub(crate) async fn sole_holder_fact(
    conn: &mut AnyConnection,
    tenant: &Tenant,
    target: &UserRow,
    question: Lifecycle,
    leaving: &BTreeSet<String>,
) -> Result<Vec<String>, ApiError> {
    if guarded(tenant, question, lifecycle::Guard::SoleCriticalHolder) {
        store::sole_holder_of(conn, &tenant.id, &tenant.policy, target, leaving, now()).await
    } else {
        Ok(Vec::new())
    }
}

/// Deletes a user as the policy says (soft, hard, anonymising); the kernel's denials in
/// `lang`.
///
/// # Errors
/// Kernel denials, store errors.
pub async fn delete(
    app: &App,
    caller: &Caller,
    id: &str,
    q: DeleteQuery,
    lang: Lang,
    request_id: Option<String>,
) -> Result<Value, ApiError> {
    let tenant = &caller.tenant;
    let actor = caller.actor()?;
    let (before, dir, mut conn) = readable_target_and_conn(app, caller, id).await?;
    let target = Target::from(&before.account());
    let authz = require(authorize(
        tenant,
        &dir,
        &actor.account(),
        "users.delete",
        target.clone(),
        None,
        lang,
    )?)?;
    let held = HeldFacts::read(&mut conn, tenant, &before, Lifecycle::Deletion).await?;
    let supers = held.supers;
    let req = delete_request(
        tenant,
        &dir,
        actor.account(),
        before.account(),
        &q,
        held,
        lang,
    )?;
    let d = lifecycle::delete(&tenant.policy, &req, now()).map_err(lifecycle_bad)?;
    if !d.allowed() {
        return Err(ApiError::Forbidden {
            deny: d.deny.map(Box::new),
            reason: "denied",
        });
    }
    drop(conn);
    // The tenant's plugins narrow the deletion the kernel allowed (a deletion is not a
    // status transition: no transition hook runs), before anything is written.
    let plugin_reports = crate::plugins::authorize(
        app,
        tenant,
        actor.account(),
        "users.delete",
        target,
        None,
        &authz,
    )
    .await?;
    let at = now().unix();
    let audit = Audit { caller, request_id };
    let mut after = before.clone();
    let mut tx = app.db.begin_write().await?;
    let done = apply_obligations(&mut tx, &mut after, &d.obligations, &actor.id, at).await?;
    let after_view = remove(&mut tx, &before, &mut after, &d, at).await?;
    let kept = (d.mode != Some(DeleteMode::Hard)).then_some(&after);
    store::recheck_super_admins(&mut tx, &tenant.policy, &before, kept, supers).await?;
    if guarded(
        tenant,
        Lifecycle::Deletion,
        lifecycle::Guard::SoleCriticalHolder,
    ) {
        store::recheck_sole_holder(&mut tx, &tenant.policy, &before, None, now()).await?;
    }
    // An anonymising or hard deletion erases the user's personal data from the audit
    // entries about them too (the records as they were), this entry included; the chain
    // keeps who did what, and when.
    let erased = audit::erasable(&mut tx, &tenant.id, &before.id, d.mode).await?;
    let decision = crate::plugins::with_plugins(serde_json::to_value(&d.audit)?, &plugin_reports);
    let seq = audit
        .write_listing(
            &mut tx,
            "users.delete",
            &before.id,
            erased.is_none().then(|| before.view()),
            after_view,
            decision,
            done.clone(),
            at,
            erased.as_deref(),
        )
        .await?;
    if let Some(seqs) = &erased {
        audit::erase(&mut tx, &tenant.id, seqs, seq).await?;
        crate::outbox::erase_delivered(&mut tx, &tenant.id, &before.id).await?;
    }
    tx.commit().await?;
    let mut out = json!({"deleted": before.id, "mode": d.mode, "obligations": done});
    if !plugin_reports.is_empty()
        && let Some(o) = out.as_object_mut()
    {
        o.insert("plugins".into(), plugin_reports.into());
    }
    Ok(out)
}

/// Writes a deletion the kernel decided (`d`) of `before`, whose obligations `after` already
/// carries: removed for good (hard), erased in place (anonymised: the record the kernel
/// made, no password, no uniqueness keys of the erased fields, no session) or marked deleted
/// (soft). A hard or soft one is refused while others report to the user
/// ([`store::refuse_while_managing`]). The user as it is left, none when removed. One place
/// for the deletion route and a bulk deletion.
///
/// # Errors
/// `has_reports`, a stale user, database errors.
pub(crate) async fn remove(
    conn: &mut AnyConnection,
    before: &UserRow,
    after: &mut UserRow,
    d: &lifecycle::DeleteDecision,
    at: i64,
) -> Result<Option<Value>, ApiError> {
    if d.mode != Some(DeleteMode::Anonymize) {
        store::refuse_while_managing(conn, before).await?;
    }
    Ok(match d.mode {
        Some(DeleteMode::Hard) => {
            store::delete_user(conn, before).await?;
            None
        }
        Some(DeleteMode::Anonymize) => {
            if let Some(anon) = &d.anonymized {
                after.document = anon.clone();
                after.document.remove("id");
            }
            after.password_hash = None;
            store::drop_keys(conn, &after.id, &d.erase).await?;
            store::revoke_sessions(conn, after).await?;
            store::update_user(conn, after, at).await?;
            Some(after.view())
        }
        Some(DeleteMode::Soft) | None => {
            after.deleted_at = Some(at);
            store::revoke_sessions(conn, after).await?;
            store::update_user(conn, after, at).await?;
            Some(after.view())
        }
    })
}

/// A password reset body. Its `Debug` hides the password.
#[derive(Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResetBody {
    /// The method; default the policy's first.
    #[serde(default)]
    pub method: Option<ResetMethod>,
    /// For the `admin` method: the new password.
    #[serde(default)]
    pub password: Option<String>,
}

impl std::fmt::Debug for ResetBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResetBody")
            .field("method", &self.method)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .finish()
    }
}

/// A self-service password change body. Its `Debug` hides both passwords.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PasswordChangeBody {
    /// The new password.
    pub password: String,
    /// The current password (required when the policy's `changes.requireCurrentPassword`
    /// is on, as it is in every preset that has it).
    #[serde(default)]
    pub current_password: Option<String>,
}

impl std::fmt::Debug for PasswordChangeBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordChangeBody")
            .field("password", &"***")
            .field(
                "current_password",
                &self.current_password.as_ref().map(|_| "***"),
            )
            .finish()
    }
}

/// A user changes their own password (`POST /api/v1/users/{id}/password`, the only way
/// out of a temporary one): decided by the kernel's `passwordChange` (attribute permissions
/// on the password field, the current password when the policy asks for it), not by the
/// `users.update` permission, which a user may not hold over their own account (a PRS
/// requester). The new password is held to the policy and to the user's own data, and may
/// not be the current one; a wrong current password counts as a failed sign-in. Its
/// obligations (the user notified), the end of every session (the caller's included) and
/// the audit entry commit with it. The kernel's denials and violations in `lang`.
///
/// # Errors
/// 403 for another user's password (an administrator resets it) or the kernel's denial
/// (`current_password_required`); 422 with the password rules' violations; 409
/// `password_unchanged`, or when the user changed meanwhile; store errors.
pub async fn change_password(
    app: &App,
    caller: &Caller,
    id: &str,
    body: PasswordChangeBody,
    lang: Lang,
    request_id: Option<String>,
) -> Result<Value, ApiError> {
    let tenant = &caller.tenant;
    let actor = caller.actor()?;
    if actor.id != id {
        return Err(ApiError::Forbidden {
            deny: None,
            reason: "a password is changed by its own user; an administrator resets it (POST /api/v1/users/{id}/password-reset)",
        });
    }
    // One guess at a time, as a sign-in's (`login::SignInTurns`), against the failures as
    // they are now, not as the caller's credentials were read.
    let _turn = app.sign_ins.take(&tenant.id, &actor.id).await;
    let before = {
        let mut conn = app.db.pool().acquire().await?;
        store::user(&mut conn, &tenant.id, &actor.id)
            .await?
            .ok_or(ApiError::NotFound)?
    };
    // While the lockout holds the account, the current password is not verified: the route
    // would otherwise go on answering guesses that sign-in refuses to hear.
    if crate::login::locked_now(tenant, &before, now()) {
        return Err(locked_out());
    }
    let verified = match (&body.current_password, &before.password_hash) {
        (Some(current), Some(h)) => Some(verify(&tenant.policy, h, current.clone()).await?.matches),
        (Some(_), None) => Some(false),
        (None, _) => None,
    };
    if verified == Some(false) {
        // A wrong current password counts as a failed sign-in (the policy's lockout): the
        // route is no oracle to guess it with.
        crate::login::failed(app, tenant, &before.id, now()).await?;
    }

    let (obligations, decision) = match tenant.policy.lifecycle() {
        Some(_) => {
            let d = lifecycle::password_change(
                &tenant.policy,
                &lifecycle::PasswordChangeRequest {
                    actor: actor.account(),
                    target: before.account(),
                    current_password_verified: verified,
                    lang,
                },
                now(),
            )
            .map_err(lifecycle_bad)?;
            if !d.allowed() {
                return Err(ApiError::denied(d.deny));
            }
            (d.obligations.clone(), serde_json::to_value(&d.audit)?)
        }
        // No lifecycle, no `changes` rules: still, a current password given and wrong is
        // refused, as the kernel refuses it under a lifecycle.
        None if verified == Some(false) => {
            return Err(ApiError::Forbidden {
                deny: None,
                reason: "current_password_required",
            });
        }
        None => (Vec::new(), json!({"policy": tenant.policy.hash()})),
    };
    check_new_password(tenant, &before.document, &body.password, lang)?;
    let verified_current = body
        .current_password
        .as_deref()
        .filter(|_| verified == Some(true));
    refuse_unchanged(&tenant.policy, &before, verified_current, &body.password).await?;
    let at = now().unix();
    let mut after = before.clone();
    after.password_hash = Some(hash(&tenant.policy, body.password).await?);
    after.password_changed_at = Some(at);
    after.must_change_password = false;
    let audit = Audit { caller, request_id };
    let mut tx = app.db.begin_write().await?;
    let mut done = apply_obligations(&mut tx, &mut after, &obligations, &actor.id, at).await?;
    end_sessions(&mut tx, &mut after, &obligations, &mut done).await?;
    store::update_user(&mut tx, &mut after, at).await?;
    audit
        .write(
            &mut tx,
            "users.passwordChange",
            &after.id,
            None,
            None,
            decision,
            done.clone(),
            at,
        )
        .await?;
    tx.commit().await?;
    Ok(json!({"user": after.id, "mustChangePassword": false, "obligations": done}))
}

/// Resets a password: a temporary password is generated, stored hashed and shown once.
/// The kernel's denials and violations in `lang`.
///
/// # Errors
/// Kernel denials, store errors.
pub async fn password_reset(
    app: &App,
    caller: &Caller,
    id: &str,
    body: ResetBody,
    lang: Lang,
    request_id: Option<String>,
) -> Result<Value, ApiError> {
    let tenant = &caller.tenant;
    let actor = caller.actor()?;
    let (before, dir) = readable_target(app, caller, id).await?;
    let perms = access::permissions_over(
        &tenant.policy,
        &dir,
        &actor.account(),
        &Target::from(&before.account()),
        now(),
    )?;
    let req = PasswordResetRequest {
        actor: actor.account(),
        target: before.account(),
        method: body.method,
        actor_permissions: perms,
        lang,
    };
    let d = lifecycle::password_reset(&tenant.policy, &req, &mut tokens::OsRandom, now())
        .map_err(lifecycle_bad)?;
    if !d.allowed() {
        return Err(ApiError::denied(d.deny));
    }
    // The tenant's plugins narrow the reset as an authorization of `users.passwordReset`
    // on the target (the action the audit names), told the kernel's allow: its
    // lifecycle's `passwordReset` rule (not an access rule).
    let told = rule_allow(tenant, "passwordReset");
    let plugin_reports = crate::plugins::authorize(
        app,
        tenant,
        actor.account(),
        "users.passwordReset",
        Target::from(&before.account()),
        None,
        &told,
    )
    .await?;
    let at = now().unix();
    let mut after = before.clone();
    let shown = match (d.method, d.temporary_password(), body.password) {
        (Some(method @ (ResetMethod::Token | ResetMethod::TemporaryPassword)), _, Some(_)) => {
            // Never silently dropped: only the admin method takes a password.
            let name = serde_json::to_value(method)?;
            return Err(ApiError::invalid_field(
                "password",
                format!(
                    "`password` is only for the admin method, not `{}`",
                    name.as_str().unwrap_or_default()
                ),
            ));
        }
        (Some(ResetMethod::TemporaryPassword), Some(p), _) => {
            after.password_hash = Some(hash(&tenant.policy, p.expose().to_owned()).await?);
            after.password_changed_at = Some(at);
            Some(p.expose().to_owned())
        }
        (Some(ResetMethod::Admin), _, Some(p)) => {
            check_new_password(tenant, &before.document, &p, lang)?;
            after.password_hash = Some(hash(&tenant.policy, p).await?);
            after.password_changed_at = Some(at);
            None
        }
        (Some(ResetMethod::Admin), _, None) => {
            return Err(ApiError::missing_field(
                "password",
                "the admin method needs `password`",
            ));
        }
        _ => None,
    };
    // A token reset sets no password now: its obligations (issue the token; invalidate the
    // old password when it is redeemed) are `reset`'s, and the must-change flag stays as it
    // is until the user chooses a password.
    let by_token = d.method == Some(ResetMethod::Token);
    if !by_token {
        after.must_change_password = d.must_change_password;
    }
    let (token_obligations, obligations): (Vec<Obligation>, Vec<Obligation>) =
        d.obligations.iter().cloned().partition(|o| {
            by_token
                && matches!(
                    o,
                    Obligation::IssueResetToken { .. } | Obligation::InvalidatePasswords
                )
        });
    let audit = Audit { caller, request_id };
    let mut tx = app.db.begin_write().await?;
    let mut done = apply_obligations(&mut tx, &mut after, &obligations, &actor.id, at).await?;
    if after.password_hash != before.password_hash {
        end_sessions(&mut tx, &mut after, &obligations, &mut done).await?;
    }
    for o in &token_obligations {
        if let Obligation::IssueResetToken { expires_at } = o {
            done.push(crate::reset::issue(&mut tx, &after, *expires_at, at).await?);
        }
    }
    store::update_user(&mut tx, &mut after, at).await?;
    audit
        .write(
            &mut tx,
            "users.passwordReset",
            &after.id,
            None,
            None,
            crate::plugins::with_plugins(serde_json::to_value(&d.audit)?, &plugin_reports),
            done.clone(),
            at,
        )
        .await?;
    tx.commit().await?;
    let mut out = json!({"method": d.method, "mustChangePassword": after.must_change_password, "obligations": done});
    if !plugin_reports.is_empty()
        && let Some(o) = out.as_object_mut()
    {
        o.insert("plugins".into(), plugin_reports.into());
    }
    if let (Some(p), Some(o)) = (shown, out.as_object_mut()) {
        o.insert("temporaryPassword".into(), p.into());
    }
    Ok(out)
}

/// The audit history of a user the actor may read.
///
/// # Errors
/// Not found, store errors.
pub async fn history(
    app: &App,
    caller: &Caller,
    id: &str,
    q: &HistoryQuery,
) -> Result<Value, ApiError> {
    let (target, dir, mut conn) = readable_target_and_conn(app, caller, id).await?;
    let limit = crate::extract::page_limit(q.limit, 200, 1000)?;
    let (mut entries, next) = audit::history(
        &mut conn,
        &caller.tenant.id,
        &target.id,
        q.after.unwrap_or(0),
        limit,
    )
    .await?;
    // The before and after of each entry without what this viewer may not see of the user.
    let fa = fields::access_of(&caller.tenant.policy, &dir, caller.actor()?, &target)?;
    fields::redact_entries(&fa, &mut entries);
    Ok(json!({"entries": entries, "next": next}))
}

/// The query of an audit history: pages by sequence number, never truncated.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// Entries after this sequence number (the previous page's `next`).
    pub after: Option<i64>,
    /// Page size (1 to 1,000, default 200).
    pub limit: Option<i64>,
}

/// The outcome of a login.
pub struct LoggedIn {
    /// The user.
    pub user: UserRow,
    /// The kernel's gate decision (allowed).
    pub must_change_password: bool,
}

/// Signs a user in: the kernel's login gate (status, organisation, lockout), the password,
/// failed attempts counted in the store, and a rehash when the parameters changed. The
/// gate's denial in `lang`.
///
/// # Errors
/// `Unauthenticated` for an unknown login or a wrong password (indistinguishable, also for
/// an account the gate refuses), and for an account the lockout holds, whatever the
/// password; the kernel's denial for a gate that refuses a caller who gave the right
/// password for another reason (an inactive status or organisation, an expired password).
pub async fn login(
    app: &App,
    tenant: &Tenant,
    login: &str,
    password_text: String,
    lang: Lang,
) -> Result<LoggedIn, ApiError> {
    let mut conn = app.db.pool().acquire().await?;
    let found = store::user_by_login(&mut conn, &tenant.id, login)
        .await?
        .filter(|u| u.deleted_at.is_none());
    // The account's turn, then its row read again: the failures of the sign-ins that held
    // the turn before this one are counted by the gate below.
    let turn = match &found {
        Some(u) => {
            drop(conn);
            let turn = app.sign_ins.take(&tenant.id, &u.id).await;
            conn = app.db.pool().acquire().await?;
            Some((turn, store::user(&mut conn, &tenant.id, &u.id).await?))
        }
        None => None,
    };
    let Some((turn, Some(mut u))) = turn.map(|(t, u)| (t, u.filter(|u| u.deleted_at.is_none())))
    else {
        drop(conn);
        // Spend the time a verification would, so an unknown login is not faster.
        let _ = hash(&tenant.policy, password_text).await;
        return Err(ApiError::Unauthenticated);
    };
    let org = match &u.organization {
        Some(o) => store::organization_active(&mut conn, &tenant.id, o)
            .await?
            .map(|active| OrganizationState {
                id: o.clone(),
                active,
            }),
        None => None,
    };
    drop(conn);
    let t = now();
    let facts = LoginFacts {
        failed_attempts: u
            .failed_logins
            .iter()
            .map(|s| Timestamp::from_unix(*s))
            .collect(),
        lockouts: u32::try_from(u.lockouts).unwrap_or(0),
        password_changed_at: u.password_changed_at.map(Timestamp::from_unix),
        email_verified: Some(true),
        must_change_password: u.must_change_password,
    };
    if tenant.policy.lifecycle().is_some() {
        let gate =
            lifecycle::can_login(&tenant.policy, &u.account(), org.as_ref(), &facts, t, lang)
                .map_err(lifecycle_bad)?;
        if !gate.allowed() {
            // Only a caller who knows the password hears why the account is refused:
            // without it, a refused account is an unknown login (no enumeration, no status),
            // and the guess counts. An account the lockout holds is answered as an unknown
            // login is, whatever the password, in a hash's time: told "locked", anyone
            // could find the tenant's logins by locking them, and told only with the right
            // password, the lock would let guesses go on and say when one is right.
            if gate.lockout.as_ref().is_some_and(|l| l.locked) {
                drop(turn);
                let _ = hash(&tenant.policy, password_text).await;
                return Err(ApiError::Unauthenticated);
            }
            let matches = match u.password_hash.clone() {
                Some(stored) => {
                    verify(&tenant.policy, &stored, password_text)
                        .await?
                        .matches
                }
                None => {
                    let _ = hash(&tenant.policy, password_text).await;
                    false
                }
            };
            if matches {
                return Err(ApiError::denied(gate.deny));
            }
            // Counted in the store; the lockout status is written when the kernel says locked.
            crate::login::failed(app, tenant, &u.id, t).await?;
            return Err(ApiError::Unauthenticated);
        }
    }
    let Some(stored) = u.password_hash.clone() else {
        return Err(ApiError::Unauthenticated);
    };
    let v = verify(&tenant.policy, &stored, password_text.clone()).await?;
    if !v.matches {
        // Counted in the store; the lockout status is written when the kernel says locked.
        crate::login::failed(app, tenant, &u.id, t).await?;
        return Err(ApiError::Unauthenticated);
    }
    // Only after a successful verification: a hash with old parameters is rewritten.
    let rehash = if v.needs_rehash {
        Some(hash(&tenant.policy, password_text).await?)
    } else {
        None
    };
    let rehash = rehash.map(|new| (stored, new));
    if let Some(stored) = crate::login::succeeded(app, tenant, &u.id, t, rehash).await? {
        u = stored;
    }
    let must = u.must_change_password;
    Ok(LoggedIn {
        user: u,
        must_change_password: must,
    })
}

/// The most users [`statistics`] counts in one request.
pub const MAX_STATISTICS_USERS: usize = 100_000;

/// The status [`statistics`] counts a user under when the actor may not see its status.
pub const HIDDEN_STATUS: &str = "(hidden)";

/// The kernel's statistics (totals, by status, super administrators, organisations) over
/// the users the actor may read, each seen as the actor may see it: under attribute
/// permissions, a user whose `status` is hidden from the actor counts under
/// [`HIDDEN_STATUS`] and not as active, one whose `superAdmin` flag is hidden not as a
/// super administrator, one whose `organization` is hidden in no organisation (counting
/// what a list leaves out would tell it).
///
/// # Errors
/// A scope larger than [`MAX_STATISTICS_USERS`], store errors.
pub async fn statistics(app: &App, caller: &Caller) -> Result<Value, ApiError> {
    let tenant = &caller.tenant;
    let declared = fields::declared(&tenant.policy);
    let mut accounts = Vec::new();
    let mut q = ListQuery {
        limit: Some(200),
        ..ListQuery::default()
    };
    let mut scanned = 0usize;
    loop {
        let Page {
            rows,
            next,
            scanned: read,
            ..
        } = list_page(app, caller, &q).await?;
        if declared {
            let actor = caller.actor()?;
            let mut conn = app.db.pool().acquire().await?;
            let page: Vec<&UserRow> = rows.iter().collect();
            let dir = fields::directory_for(&mut conn, &tenant.id, actor, &page).await?;
            for u in &rows {
                let fa = fields::access_of(&tenant.policy, &dir, actor, u)?;
                let mut a = u.account();
                if !fa.may_view("status") {
                    HIDDEN_STATUS.clone_into(&mut a.status);
                    a.status_until = None;
                }
                if !fa.may_view("superAdmin") {
                    a.super_admin = false;
                }
                if !fa.may_view("organization") {
                    a.organization = None;
                }
                accounts.push(a);
            }
        } else {
            accounts.extend(rows.iter().map(UserRow::account));
        }
        // Counted in stored rows read, so that rows the tenant's plugins leave out do not
        // let the walk go past the limit.
        scanned += read;
        if scanned > MAX_STATISTICS_USERS {
            return Err(ApiError::BadRequest {
                code: "too_many_users",
                message: format!(
                    "statistics count at most {MAX_STATISTICS_USERS} users: the actor may read more"
                ),
            });
        }
        match next {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
    }
    let s = lifecycle::statistics(Some(&tenant.policy), &accounts, now());
    Ok(json!({"statistics": s, "policy": tenant.policy.hash()}))
}
