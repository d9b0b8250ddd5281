//! The store's side of a login (R002-12): failed attempts counted in the user's row, the
//! lockout status written when the kernel's lockout says the account is locked, and the
//! bookkeeping cleared on success (and when an administrator moves the account out of the
//! lockout status, see [`unlocked`]).
//!
//! The kernel computes the lockout from failure timestamps and a count of earlier lockouts
//! ([`lifecycle::lockout_state`]); the store keeps exactly those facts. Each failure is
//! recorded in a write transaction that re-reads the row under its lock, so concurrent
//! failures are all counted. The list stays short without changing the kernel's answer:
//! failures a past lockout consumed are folded into the lockout count ([`fold`]).

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::json;
use sqlx::AnyConnection;
use warden_core::Timestamp;
use warden_core::lifecycle::{self, LockoutSpec, LockoutState};

use crate::app::{App, Tenant};
use crate::audit::{self, AuditRecord};
use crate::db::Backend;
use crate::error::ApiError;
use crate::store::{self, StoredHash, UserRow};

/// One sign-in at a time per account, in this process: a sign-in reads the account's
/// failures, verifies the password and records the outcome holding its account's turn, so
/// that concurrent guesses are judged one after the other, each seeing the failures of
/// those before it. Without it, guesses sent at once were all verified against the same
/// count of failures and the lockout let through as many as arrived together (the right
/// one signing in after dozens of wrong ones). Another process sharing the database
/// (several instances on PostgreSQL) is not held; each still counts every failure.
#[derive(Debug, Default)]
pub struct SignInTurns(std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>);

/// An account's turn, held until dropped ([`SignInTurns::take`]).
#[derive(Debug)]
pub struct SignInTurn<'a> {
    turns: &'a SignInTurns,
    key: String,
    held: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl SignInTurns {
    /// Waits for the turn of `tenant`'s account `id`.
    pub async fn take(&self, tenant: &str, id: &str) -> SignInTurn<'_> {
        let key = format!("{tenant}\u{0}{id}");
        let lock = {
            let mut map = self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(map.entry(key.clone()).or_default())
        };
        // The turn exists before the wait: a sign-in cancelled while it waits still
        // forgets its account in `Drop`.
        let mut turn = SignInTurn {
            turns: self,
            key,
            held: None,
        };
        turn.held = Some(lock.lock_owned().await);
        turn
    }

    /// How many accounts have a sign-in running or waiting (for tests: none once all end).
    pub fn accounts(&self) -> usize {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }
}

impl Drop for SignInTurn<'_> {
    fn drop(&mut self) {
        drop(self.held.take());
        let mut map = self
            .turns
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Forgotten when no other sign-in holds or waits for it: the map only ever holds
        // the accounts signing in now (a waiter holds a clone, taken under this map's lock).
        if map
            .get(&self.key)
            .is_some_and(|l| Arc::strong_count(l) == 1)
        {
            map.remove(&self.key);
        }
    }
}

/// The most failure timestamps kept for a policy without a lockout (nothing reads them but
/// the console's statistics).
pub const MAX_KEPT_FAILURES: usize = 50;

/// The policy's lockout, if any.
pub fn lockout_spec(tenant: &Tenant) -> Option<&LockoutSpec> {
    tenant
        .policy
        .lifecycle()
        .and_then(|l| l.spec().lockout.as_ref())
}

/// Whether the policy's lockout holds `u` at `now`, from its stored failures: what the
/// sign-in gate would answer, for the routes that verify a password of a user already
/// signed in (a lock must not leave them a way to go on guessing).
pub fn locked_now(tenant: &Tenant, u: &UserRow, now: Timestamp) -> bool {
    let Some(spec) = lockout_spec(tenant) else {
        return false;
    };
    let stamps: Vec<Timestamp> = u
        .failed_logins
        .iter()
        .map(|s| Timestamp::from_unix(*s))
        .collect();
    let lockouts = u32::try_from(u.lockouts).unwrap_or(0);
    lifecycle::lockout_state(spec, &stamps, lockouts, now).locked
}

/// Rewrites `failures` and `lockouts` into an equivalent shorter pair: the kernel's lockout
/// state at `now` and for any later failure is the same. Only meaningful while the account
/// is not locked at `now` (a lock's own failures are kept until it ends).
///
/// Failures before the last lockout (or inside it) no longer count toward a new lockout:
/// they are dropped and the lockouts they produced are added to the count. Failures older
/// than the window never count again either.
pub fn fold(
    spec: &LockoutSpec,
    failures: &[i64],
    lockouts: u32,
    now: Timestamp,
) -> (Vec<i64>, u32) {
    let mut sorted: Vec<i64> = failures
        .iter()
        .copied()
        .filter(|t| *t <= now.unix())
        .collect();
    sorted.sort_unstable();
    let stamps: Vec<Timestamp> = sorted.iter().map(|t| Timestamp::from_unix(*t)).collect();
    let mut seen = lockouts;
    let mut last_trigger: Option<i64> = None;
    let mut last_until: Option<i64> = None;
    for (k, at) in stamps.iter().enumerate() {
        let prefix = stamps.get(..=k).unwrap_or_default();
        let st = lifecycle::lockout_state(spec, prefix, lockouts, *at);
        if st.lockouts > seen {
            seen = st.lockouts;
            last_trigger = Some(at.unix());
            last_until = st.until.map(Timestamp::unix);
        }
    }
    let total = lifecycle::lockout_state(spec, &stamps, lockouts, now).lockouts;
    let window = i64::from(spec.window_minutes).saturating_mul(60);
    let kept = sorted
        .into_iter()
        .filter(|t| now.unix() - *t < window)
        .filter(|t| last_trigger.is_none_or(|lt| *t > lt))
        .filter(|t| last_until.is_none_or(|u| *t >= u))
        .collect();
    (kept, total)
}

/// Takes the row lock of a user inside a write transaction (SQLite's `BEGIN IMMEDIATE`
/// already holds the database's write lock).
async fn lock_row(
    conn: &mut AnyConnection,
    backend: Backend,
    tenant: &str,
    id: &str,
) -> Result<Option<UserRow>, sqlx::Error> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT id FROM users WHERE tenant_id = $1 AND id = $2 FOR UPDATE")
            .bind(tenant)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    }
    store::user(conn, tenant, id).await
}

fn system_record(
    tenant: &Tenant,
    action: &str,
    u: &UserRow,
    before: &UserRow,
    at: i64,
    decision: serde_json::Value,
) -> AuditRecord {
    AuditRecord {
        tenant: tenant.id.clone(),
        actor: "system".into(),
        via: "login".into(),
        action: action.to_owned(),
        target: u.id.clone(),
        before: Some(before.view()),
        after: Some(u.view()),
        decision: json!({"policy": tenant.policy.hash(), "policyVersion": tenant.version, "kernel": decision}),
        policy_version: tenant.version,
        obligations: Vec::new(),
        at,
        request_id: None,
    }
}

/// Runs a login's write (`$write`, with `$t` the tenant it is decided under) under
/// `$tenant`'s policy, and once more when it lost a race: under the policy as stored now
/// when it was replaced meanwhile (409 `stale_policy`), or as it was when the database
/// rolled it back to break a deadlock (409 `contention`). A macro: a generic taking an
/// async closure that borrows the tenant would not make a `Send` future.
macro_rules! raced_once {
    ($app:expr, $tenant:expr, |$t:ident| $write:expr) => {{
        let first = {
            let $t: &Tenant = $tenant;
            $write.await
        };
        match first {
            Err(ApiError::StalePolicy { .. }) => {
                $app.forget_tenant(&$tenant.id).await;
                let fresh = $app.tenant(&$tenant.id).await?;
                let $t: &Tenant = &fresh;
                $write.await
            }
            Err(e) if e.is_conflict(crate::error::CONTENTION) => {
                let $t: &Tenant = $tenant;
                $write.await
            }
            other => other,
        }
    }};
}

/// Records a failed login at `at`. When the kernel's lockout now says locked and the
/// policy stores locks as a status, the status is written (temporary until the lock ends,
/// or with no end for a permanent lock) with its audit entry, in the same transaction.
/// Returns the lockout state after this failure.
///
/// The lock is a change the tenant's policy decides: it is written under the policy
/// version its status was read from (`audit::append_decided`), and judged again under the
/// new policy when the policy was replaced meanwhile.
///
/// # Errors
/// Store errors.
pub async fn failed(
    app: &App,
    tenant: &Tenant,
    id: &str,
    at: Timestamp,
) -> Result<Option<LockoutState>, ApiError> {
    match raced_once!(app, tenant, |t| failed_under(app, t, id, at)) {
        // Raced again: the failure goes uncounted rather than answered 409, which would
        // tell the caller that the login exists (an unknown one answers 401).
        Err(e @ (ApiError::StalePolicy { .. } | ApiError::Conflict { .. })) => {
            tracing::warn!(error = %e, "a failed sign-in was not counted: raced twice");
            Ok(None)
        }
        other => other,
    }
}

/// [`failed`], under `tenant`'s policy.
async fn failed_under(
    app: &App,
    tenant: &Tenant,
    id: &str,
    at: Timestamp,
) -> Result<Option<LockoutState>, ApiError> {
    let mut tx = app.db.begin_write().await?;
    let Some(before) = lock_row(&mut tx, app.db.backend(), &tenant.id, id).await? else {
        tx.rollback().await?;
        return Ok(None);
    };
    let mut u = before.clone();
    u.failed_logins.push(at.unix());
    // Concurrent failures commit in the order they take the row lock, not in the order
    // their clocks were read: judge at the latest failure recorded, so that none is left
    // out as lying in the future (five concurrent failures must lock the account).
    let now = u
        .failed_logins
        .iter()
        .copied()
        .max()
        .map_or(at, Timestamp::from_unix);
    let state = match lockout_spec(tenant) {
        None => {
            let keep = u.failed_logins.len().saturating_sub(MAX_KEPT_FAILURES);
            u.failed_logins.drain(..keep);
            None
        }
        Some(spec) => {
            let stamps: Vec<Timestamp> = u
                .failed_logins
                .iter()
                .map(|t| Timestamp::from_unix(*t))
                .collect();
            let previous = u32::try_from(u.lockouts).unwrap_or(u32::MAX);
            let state = lifecycle::lockout_state(spec, &stamps, previous, now);
            if state.locked {
                // Written only over a status the lifecycle lets a lock replace: a
                // blacklisted or suspended account stays so (the lock is enforced from
                // the failures alone).
                if let Some(lock) = tenant
                    .policy
                    .lifecycle()
                    .and_then(|l| l.lock_status_over(&u.status))
                    .map(str::to_owned)
                {
                    u.status.clone_from(&lock);
                    u.status_until = state.until.map(Timestamp::unix);
                    if u.document.contains_key("status") {
                        u.document.insert("status".into(), lock.into());
                    }
                }
            } else {
                let (kept, lockouts) = fold(spec, &u.failed_logins, previous, now);
                u.failed_logins = kept;
                u.lockouts = i64::from(lockouts);
            }
            Some(state)
        }
    };
    if u.status == before.status {
        // Counters only: no new version (see `store::write_login_counters`).
        store::write_login_counters(&mut tx, &u, at.unix()).await?;
    } else {
        // A lock written as a status is the lifecycle's transition into it, with its
        // obligations (a session opened before the lock ends with it, the user is told),
        // as an administrator's lock has them.
        let obligations =
            lifecycle::lockout_obligations(&tenant.policy, &before.account(), &u.status);
        let done =
            crate::users::apply_obligations(&mut tx, &mut u, &obligations, "system", at.unix())
                .await?;
        store::update_user(&mut tx, &mut u, at.unix()).await?;
        let mut record = system_record(
            tenant,
            "users.lockout",
            &u,
            &before,
            at.unix(),
            serde_json::to_value(&state)?,
        );
        record.obligations = done;
        audit::append_decided(&mut tx, &record).await?;
    }
    tx.commit().await?;
    Ok(state)
}

/// Records a successful login: the failures are cleared (the lockouts they produced are
/// kept in the count, which escalates later waits), a lockout status whose lock has ended is
/// written back to the status it returns to, and a new hash (parameters changed) replaces
/// the old one, all in one transaction. `rehash` is the hash the password was verified
/// against and its replacement: it is written only over that hash (a password reset
/// committed since the verification wins).
///
/// The unlock, as the lock ([`failed`]), is held to the policy it was decided under.
///
/// # Errors
/// Store errors.
pub async fn succeeded(
    app: &App,
    tenant: &Tenant,
    id: &str,
    at: Timestamp,
    rehash: Option<(StoredHash, StoredHash)>,
) -> Result<Option<UserRow>, ApiError> {
    raced_once!(app, tenant, |t| succeeded_under(
        app,
        t,
        id,
        at,
        rehash.clone()
    ))
}

/// [`succeeded`], under `tenant`'s policy.
async fn succeeded_under(
    app: &App,
    tenant: &Tenant,
    id: &str,
    at: Timestamp,
    rehash: Option<(StoredHash, StoredHash)>,
) -> Result<Option<UserRow>, ApiError> {
    let mut tx = app.db.begin_write().await?;
    let Some(before) = lock_row(&mut tx, app.db.backend(), &tenant.id, id).await? else {
        tx.rollback().await?;
        return Ok(None);
    };
    let mut u = before.clone();
    if let Some(spec) = lockout_spec(tenant) {
        let stamps: Vec<Timestamp> = u
            .failed_logins
            .iter()
            .map(|t| Timestamp::from_unix(*t))
            .collect();
        let previous = u32::try_from(u.lockouts).unwrap_or(u32::MAX);
        u.lockouts = i64::from(lifecycle::lockout_state(spec, &stamps, previous, at).lockouts);
    }
    u.failed_logins.clear();
    let mut unlocked = false;
    if let (Some(spec), Some(lc)) = (lockout_spec(tenant), tenant.policy.lifecycle())
        && spec.status.as_deref() == Some(u.status.as_str())
    {
        let eff = lifecycle::effective_status(lc, &u.account(), at)
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        if eff.expired {
            u.status.clone_from(&eff.status);
            u.status_until = None;
            if u.document.contains_key("status") {
                u.document
                    .insert("status".into(), eff.status.clone().into());
            }
            unlocked = true;
        }
    }
    let mut rehashed = false;
    if let Some((verified, new)) = rehash
        && u.password_hash.as_ref() == Some(&verified)
    {
        u.password_hash = Some(new);
        rehashed = true;
    }
    if unlocked || rehashed {
        store::update_user(&mut tx, &mut u, at.unix()).await?;
    } else if u.failed_logins != before.failed_logins || u.lockouts != before.lockouts {
        // Counters only: no new version (see `store::write_login_counters`).
        store::write_login_counters(&mut tx, &u, at.unix()).await?;
    }
    if unlocked {
        let record = system_record(
            tenant,
            "users.unlock",
            &u,
            &before,
            at.unix(),
            json!({"rule": "lockout", "reason": "the lock ended"}),
        );
        audit::append_decided(&mut tx, &record).await?;
    }
    tx.commit().await?;
    Ok(Some(u))
}

/// Whether a status change ends a lockout: leaving the policy's lockout status (an
/// administrator unlocking the account) clears the failures and the lockout count, so the
/// kernel's lockout does not lock the account again from the same facts.
pub fn unlocked(tenant: &Tenant, before: &UserRow, after: &mut UserRow) -> bool {
    let leaves = lockout_spec(tenant)
        .and_then(|s| s.status.as_deref())
        .is_some_and(|lock| before.status == lock && after.status != lock);
    if leaves {
        after.failed_logins.clear();
        after.lockouts = 0;
    }
    leaves
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use warden_core::lifecycle::LockoutStrategy;

    fn spec(
        threshold: u32,
        window: u32,
        wait: u32,
        escalating: bool,
        permanent: Option<u32>,
    ) -> LockoutSpec {
        LockoutSpec {
            threshold,
            window_minutes: window,
            strategy: if escalating {
                LockoutStrategy::Escalating
            } else {
                LockoutStrategy::Fixed
            },
            wait_minutes: wait,
            max_wait_minutes: None,
            permanent_after_lockouts: permanent,
            status: None,
        }
    }

    fn state(s: &LockoutSpec, f: &[i64], l: u32, now: i64) -> LockoutState {
        let stamps: Vec<Timestamp> = f.iter().map(|t| Timestamp::from_unix(*t)).collect();
        lifecycle::lockout_state(s, &stamps, l, Timestamp::from_unix(now))
    }

    proptest! {
        /// Folding never changes the kernel's answer, now or after more failures.
        #[test]
        fn fold_keeps_the_kernels_answer(
            threshold in 1u32..6,
            window in 1u32..20,
            wait in 1u32..10,
            escalating in any::<bool>(),
            permanent in proptest::option::of(2u32..5),
            gaps in proptest::collection::vec(0i64..900, 0..30),
            later in proptest::collection::vec(0i64..900, 0..10),
        ) {
            let s = spec(threshold, window, wait, escalating, permanent);
            let mut t = 1_000_000i64;
            let mut failures = Vec::new();
            for g in gaps {
                t += g;
                failures.push(t);
            }
            let now = t;
            let before = state(&s, &failures, 0, now);
            prop_assume!(!before.locked);
            let (kept, lockouts) = fold(&s, &failures, 0, Timestamp::from_unix(now));
            prop_assert!(kept.len() <= failures.len());
            prop_assert_eq!(&state(&s, &kept, lockouts, now), &before);
            let (mut a, mut b) = (failures.clone(), kept.clone());
            let mut t2 = now;
            for g in later {
                t2 += g;
                a.push(t2);
                b.push(t2);
                prop_assert_eq!(state(&s, &a, 0, t2), state(&s, &b, lockouts, t2));
            }
        }
    }

    #[test]
    fn fold_drops_what_a_lockout_consumed() {
        let s = spec(3, 15, 1, false, None);
        // Three failures lock at 1030 until 1090; one more after it ended.
        let f = [1000, 1010, 1030, 1200];
        let (kept, lockouts) = fold(&s, &f, 0, Timestamp::from_unix(1200));
        assert_eq!((kept, lockouts), (vec![1200], 1));
    }
}
