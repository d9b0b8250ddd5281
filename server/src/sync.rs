//! Several instances over one database: each instance keeps in memory the tenants'
//! compiled policies and loaded plugin sets; a change made through another instance
//! (a policy replacement, a plugin upload, replacement or removal, new plugin settings)
//! bumps the tenant's `policy_version` or `plugin_generation` in the database, in the
//! change's own transaction.
//!
//! Each instance compares those counters with what it holds and forgets what is stale
//! ([`refresh`]), so the next request reloads it:
//! - on PostgreSQL, a trigger sends `NOTIFY warden_changes` at commit and a listener wakes
//!   the refresh at once (milliseconds);
//! - on every backend, the refresh also runs every [`POLL_INTERVAL`] (the fallback when a
//!   notice is lost or the listener is reconnecting).
//!
//! The bound: a change committed through one instance is used by every other instance
//! from at most [`POLL_INTERVAL`] plus one refresh query later (typically a few ms on
//! PostgreSQL). The directory itself (users, roles, groups, sessions, keys) is never
//! cached: every request reads it, so directory changes are seen at once.

use std::sync::{Arc, Weak};
use std::time::Duration;

use sqlx::Row;
use tokio::sync::Notify;

use crate::app::App;
use crate::error::ApiError;

/// How often each instance compares its caches with the database.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// What one refresh forgot.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Refreshed {
    /// Compiled policies forgotten.
    pub policies: usize,
    /// Plugin sets forgotten.
    pub plugin_sets: usize,
}

/// Compares the cached tenants with the database and forgets the stale ones.
///
/// # Errors
/// Database errors.
pub async fn refresh(app: &App) -> Result<Refreshed, ApiError> {
    let policies = app.cached_policy_versions().await;
    let plugins = app.plugins.loaded().await;
    let mut out = Refreshed::default();
    if policies.is_empty() && plugins.is_empty() {
        return Ok(out);
    }
    let rows = sqlx::query("SELECT id, policy_version, plugin_generation FROM tenants")
        .fetch_all(app.db.pool())
        .await?;
    for r in rows {
        let id: String = r.try_get("id")?;
        let policy_version: i64 = r.try_get("policy_version")?;
        let generation: i64 = r.try_get("plugin_generation")?;
        if policies.get(&id).is_some_and(|v| *v != policy_version) {
            app.forget_tenant(&id).await;
            out.policies += 1;
        }
        if plugins.get(&id).is_some_and(|g| *g != generation) {
            app.plugins.forget(&id).await;
            out.plugin_sets += 1;
        }
    }
    Ok(out)
}

/// Starts the refresh loop (and, on PostgreSQL, the change listener) of `app`. Both stop
/// by themselves once the last other reference to `app` is gone.
pub fn spawn(app: &Arc<App>) {
    let wake = Arc::new(Notify::new());
    let weak = Arc::downgrade(app);
    #[cfg(feature = "postgres")]
    if let Some(url) = app.db.url() {
        tokio::spawn(listen(
            url.to_owned(),
            Weak::clone(&weak),
            Arc::clone(&wake),
        ));
    }
    tokio::spawn(poll(weak, wake));
}

async fn poll(app: Weak<App>, wake: Arc<Notify>) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(POLL_INTERVAL) => {}
            () = wake.notified() => {}
        }
        let Some(app) = app.upgrade() else { return };
        match refresh(&app).await {
            Ok(r) if r != Refreshed::default() => {
                tracing::info!(
                    policies = r.policies,
                    plugin_sets = r.plugin_sets,
                    "caches refreshed after changes elsewhere"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cache refresh failed; retrying"),
        }
    }
}

#[cfg(feature = "postgres")]
async fn listen(url: String, app: Weak<App>, wake: Arc<Notify>) {
    use sqlx::postgres::PgListener;
    loop {
        if app.strong_count() == 0 {
            return;
        }
        let mut listener = match PgListener::connect(&url).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "change listener cannot connect; polling meanwhile");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(e) = listener.listen("warden_changes").await {
            tracing::warn!(error = %e, "change listener cannot LISTEN; polling meanwhile");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        // Wake once after (re)connecting: notices sent meanwhile were lost.
        wake.notify_one();
        loop {
            if app.strong_count() == 0 {
                return;
            }
            match tokio::time::timeout(Duration::from_secs(1), listener.try_recv()).await {
                Err(_) => {}
                Ok(Ok(Some(_))) => wake.notify_one(),
                // The connection was lost (a notice may have been missed): wake and go on.
                Ok(Ok(None)) => wake.notify_one(),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "change listener lost; reconnecting");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    break;
                }
            }
        }
    }
}
