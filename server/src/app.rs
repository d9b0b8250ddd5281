//! The server's state: the database and the tenants' compiled policies.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::Row;
use tokio::sync::RwLock;
use warden_core::{Policy, Timestamp};

use crate::db::Db;
use crate::error::ApiError;

/// A tenant: its current policy version, compiled once.
#[derive(Debug)]
pub struct Tenant {
    /// The tenant's id.
    pub id: String,
    /// The policy version.
    pub version: i64,
    /// The compiled policy (shared: plugin decisions run on blocking threads with it).
    pub policy: Arc<Policy>,
}

/// Settings that are not the database.
#[derive(Clone)]
pub struct Settings {
    /// Mark the session cookie `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// Session lifetime in seconds.
    pub session_seconds: i64,
    /// The longest a request may take before it is answered 408 (default 30 s); a bulk
    /// operation and an import run to their end (bounded by their own limits), and keep
    /// running if the caller goes away, so that what they commit is always reported.
    pub request_timeout: Duration,
    /// Origins allowed to call the API from a browser (CORS); empty (the default) means
    /// none: no CORS header is ever sent.
    pub cors_origins: Vec<String>,
    /// Compile tenants' plugins with optimisation (default off): decisions with plugins
    /// are faster, loads slower and less bounded against compile bombs; see
    /// [`RuntimeConfig::optimize_plugin_code`](warden_host::plugin::RuntimeConfig::optimize_plugin_code).
    pub optimize_plugin_code: bool,
    /// When set, `GET /metrics` answers only a request bearing this token
    /// (`Authorization: Bearer …`), kept hashed ([`crate::tokens::hash_token`]): set it
    /// with [`Settings::with_metrics_token`]. Unset (the default), `/metrics` is open, for a
    /// scraper on a network of its own.
    pub metrics_token_hash: Option<String>,
}

impl std::fmt::Debug for Settings {
    /// Every setting but the metrics token's hash, shown only as set or not (an unsalted
    /// hash of a weak token could be searched for).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("secure_cookies", &self.secure_cookies)
            .field("session_seconds", &self.session_seconds)
            .field("request_timeout", &self.request_timeout)
            .field("cors_origins", &self.cors_origins)
            .field("optimize_plugin_code", &self.optimize_plugin_code)
            .field(
                "metrics_token_hash",
                &self.metrics_token_hash.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl Settings {
    /// These settings with `GET /metrics` answering only `token` (stored hashed, so that
    /// neither `Debug` nor a log ever shows it).
    #[must_use]
    pub fn with_metrics_token(mut self, token: &str) -> Self {
        self.metrics_token_hash = Some(crate::tokens::hash_token(token));
        self
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            secure_cookies: false,
            session_seconds: 8 * 3600,
            request_timeout: Duration::from_secs(30),
            cors_origins: Vec::new(),
            optimize_plugin_code: false,
            metrics_token_hash: None,
        }
    }
}

/// The shared state.
#[derive(Debug)]
pub struct App {
    /// The database.
    pub db: Db,
    /// Settings.
    pub settings: Settings,
    /// Prometheus metrics.
    pub metrics: crate::ops::Metrics,
    /// The tenants' plugins.
    pub plugins: crate::plugins::Plugins,
    /// Room for the requests that run to their end (bulk operations, imports): at most
    /// [`MAX_RUNNING_JOBS`] at once per instance; the next waits for a place up to the
    /// request timeout, then is answered 503 `busy`.
    pub jobs: Arc<tokio::sync::Semaphore>,
    /// One sign-in at a time per account ([`crate::login::SignInTurns`]).
    pub sign_ins: crate::login::SignInTurns,
    tenants: RwLock<HashMap<String, Compiled>>,
}

/// A tenant's current policy as this instance found it: compiled, or refused by the kernel.
#[derive(Debug, Clone)]
enum Compiled {
    /// Compiled, ready to decide.
    Ready(Arc<Tenant>),
    /// The stored document does not compile on this server.
    Unusable(Arc<Unusable>),
}

/// Why a tenant's stored policy does not compile on this server: a document an earlier
/// version stored that a later version's checks refuse. The tenant's requests are answered
/// 503 `policy_unusable` until an admin key replaces the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unusable {
    /// The stored version.
    pub version: i64,
    /// The kernel's key path of the problem.
    pub path: String,
    /// The kernel's reason.
    pub reason: String,
}

/// How many bulk operations and imports an instance runs at once: each holds database
/// connections and may run long, and none is cut by the request timeout.
pub const MAX_RUNNING_JOBS: usize = 4;

/// Now, in whole seconds.
pub fn now() -> Timestamp {
    Timestamp::from_unix(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0),
    )
}

/// A tenant's current policy version as stored: what `GET /policy` answers, what a
/// replacement's audit names, what the tenant's requests are compiled from.
#[derive(Debug, Clone)]
pub struct StoredPolicy {
    /// The version.
    pub version: i64,
    /// Its hash.
    pub hash: String,
    /// Its text, as given.
    pub document: String,
}

/// Tenant `id`'s current stored policy (on a pool or inside a transaction).
///
/// # Errors
/// [`ApiError::NotFound`] for an unknown tenant; store errors.
pub async fn stored_policy<'e, E>(db: E, id: &str) -> Result<StoredPolicy, ApiError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(
        "SELECT p.version, p.hash, p.document FROM tenants t JOIN policy_versions p ON p.tenant_id = t.id AND p.version = t.policy_version WHERE t.id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?
    .ok_or(ApiError::NotFound)?;
    Ok(StoredPolicy {
        version: row.try_get("version")?,
        hash: row.try_get("hash")?,
        document: row.try_get("document")?,
    })
}

/// Logs a stored policy this server does not compile, with the kernel's reason and the way
/// out.
fn log_unusable(tenant: &str, u: &Unusable) {
    tracing::error!(
        tenant,
        version = u.version,
        path = %u.path,
        reason = %u.reason,
        "the tenant's stored policy does not compile on this server: its requests are answered 503 policy_unusable until an admin key replaces it (PUT /api/v1/policy)"
    );
}

impl App {
    /// A new state over `db`.
    pub fn new(db: Db, settings: Settings) -> Arc<App> {
        Arc::new(App {
            db,
            metrics: crate::ops::Metrics::new(),
            plugins: crate::plugins::Plugins::new(settings.optimize_plugin_code),
            settings,
            jobs: Arc::new(tokio::sync::Semaphore::new(MAX_RUNNING_JOBS)),
            sign_ins: crate::login::SignInTurns::default(),
            tenants: RwLock::new(HashMap::new()),
        })
    }

    /// Waits, for at most `within`, for the bulk operations and imports still running to
    /// end (their callers may have gone: they run to their end), then lets none start:
    /// what a stopping server calls once it serves no more requests. Returns how many were
    /// still running at the bound (an import cut there is marked `interrupted` at the next
    /// start, its report saying which items were committed).
    pub async fn finish_jobs(&self, within: Duration) -> usize {
        let all = u32::try_from(MAX_RUNNING_JOBS).unwrap_or(u32::MAX);
        let running = match tokio::time::timeout(within, self.jobs.acquire_many(all)).await {
            Ok(Ok(places)) => {
                places.forget();
                0
            }
            Ok(Err(_)) | Err(_) => MAX_RUNNING_JOBS.saturating_sub(self.jobs.available_permits()),
        };
        self.jobs.close();
        running
    }

    /// The policy version of each tenant compiled in this instance.
    pub async fn cached_policy_versions(&self) -> HashMap<String, i64> {
        self.tenants
            .read()
            .await
            .iter()
            .map(|(k, t)| {
                let version = match t {
                    Compiled::Ready(t) => t.version,
                    Compiled::Unusable(u) => u.version,
                };
                (k.clone(), version)
            })
            .collect()
    }

    /// Forgets every compiled policy (after missed change notices).
    pub async fn forget_all(&self) {
        self.tenants.write().await.clear();
    }

    /// The tenant `id` with its current policy, compiled on first use.
    ///
    /// # Errors
    /// [`ApiError::NotFound`] for an unknown tenant; [`ApiError::PolicyUnusable`] when its
    /// stored policy does not compile on this server (logged once per instance and
    /// version, with the kernel's reason).
    pub async fn tenant(&self, id: &str) -> Result<Arc<Tenant>, ApiError> {
        match self.tenants.read().await.get(id) {
            Some(Compiled::Ready(t)) => return Ok(Arc::clone(t)),
            Some(Compiled::Unusable(u)) => {
                return Err(ApiError::PolicyUnusable { version: u.version });
            }
            None => {}
        }
        let StoredPolicy {
            version, document, ..
        } = stored_policy(self.db.pool(), id).await?;
        let compiled = match Policy::from_json(&document) {
            Ok(policy) => Compiled::Ready(Arc::new(Tenant {
                id: id.to_owned(),
                version,
                policy: Arc::new(policy),
            })),
            Err(e) => {
                let unusable = Unusable {
                    version,
                    path: e.path().to_owned(),
                    reason: e.reason().to_owned(),
                };
                log_unusable(id, &unusable);
                Compiled::Unusable(Arc::new(unusable))
            }
        };
        self.tenants
            .write()
            .await
            .insert(id.to_owned(), compiled.clone());
        match compiled {
            Compiled::Ready(t) => Ok(t),
            Compiled::Unusable(u) => Err(ApiError::PolicyUnusable { version: u.version }),
        }
    }

    /// Compiles every tenant's current policy into this instance, as a starting server
    /// does (in the background), so that each one this version refuses is logged with the
    /// kernel's reason at the start rather than at its first request; returns how many do
    /// not compile. A tenant that cannot be read is logged and passed over: one tenant never
    /// stops the others.
    pub async fn check_stored_policies(&self) -> usize {
        let ids: Vec<String> = match sqlx::query_scalar("SELECT id FROM tenants ORDER BY id")
            .fetch_all(self.db.pool())
            .await
        {
            Ok(ids) => ids,
            Err(e) => {
                tracing::warn!(error = %e, "the stored policies could not be listed for their check");
                return 0;
            }
        };
        let mut unusable = 0;
        for id in ids {
            match self.tenant(&id).await {
                Ok(_) => {}
                Err(ApiError::PolicyUnusable { .. }) => unusable += 1,
                Err(e) => {
                    tracing::warn!(tenant = %id, error = %e, "the tenant's stored policy could not be read for its check")
                }
            }
        }
        if unusable > 0 {
            tracing::warn!(
                tenants = unusable,
                "stored policies do not compile on this server (each logged with its reason): those tenants are answered 503 policy_unusable until an admin key replaces their policy"
            );
        }
        unusable
    }

    /// Forgets the compiled policy of `id` (after a replacement), so the next request
    /// compiles the new version.
    pub async fn forget_tenant(&self, id: &str) {
        self.tenants.write().await.remove(id);
    }

    /// Creates a tenant with `policy` as version 1 (nothing when it exists). Returns whether
    /// it was created.
    ///
    /// # Errors
    /// Database errors.
    pub async fn create_tenant(
        &self,
        id: &str,
        name: &str,
        policy: &Policy,
    ) -> Result<bool, ApiError> {
        let document = serde_json::to_string(policy.document())?;
        let at = now().unix();
        let mut tx = self.db.begin_write().await?;
        let created = sqlx::query(
            "INSERT INTO tenants (id, name, policy_version, audit_seq, audit_head, created_at) VALUES ($1, $2, 1, 0, '', $3) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(name)
        .bind(at)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if created {
            sqlx::query(
                "INSERT INTO policy_versions (tenant_id, version, hash, document, created_at) VALUES ($1, 1, $2, $3, $4)",
            )
            .bind(id)
            .bind(policy.hash())
            .bind(&document)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(created)
    }
}
