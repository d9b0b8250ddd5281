//! Tenant plugins over the API: upload (admin keys only), list, replace atomically,
//! remove, per-tenant settings; and the plugins' part in the tenant's decisions.
//!
//! The plugins run in the hardened plugin host of `warden-host` (issue 15): one wasmtime
//! [`Runtime`] per process, one [`Registry`] per [`App`]. An upload is checked exactly as
//! `warden plugin check` does, through [`Registry::load`]: the tenant's limits (within
//! the host's hard caps), the structural scan before compilation, the tenant's compile
//! rate limit, the interface, `describe`, the name and version rules. Nothing is stored
//! unless that check passes, and the plugin's name in the URL must be the name its
//! `describe` gives.
//!
//! The database is the source of truth: the component's bytes, its SHA-256, its name,
//! version and configuration, in `tenant_plugins`; each change bumps the tenant's
//! `plugin_generation` and appends an audit entry in the same transaction. Each instance
//! keeps the generation it loaded per tenant; a different one in the database (a change
//! made elsewhere, seen by [`crate::sync`]) makes the next decision reload the set (the
//! compile cache makes a reload of known bytes cheap and free of the rate limit).
//!
//! Decisions: after the kernel decided, the tenant's plugins run through
//! [`TenantPlugins::narrow`], given the kernel's input and its decision (the server's own,
//! made with its directory: the kernel is not run again, and a plugin is told the verdict
//! the server reached). Plugins only narrow: a plugin violation
//! of severity error refuses a record, a plugin deny (or a fault under a closed failure
//! policy) denies. Every decision that ran plugins names them (name, version, hash, hook,
//! outcome) in the response and in its audit entry, except a read's `users.read`, whose
//! refusal answers as the kernel's does (not found, left out of a list) and whose allow
//! is not reported. A tenant whose stored plugins cannot
//! be loaded gets 503 for its decisions, never a decision without its plugins.
//! Passwords are removed from what plugins receive: a secret never reaches tenant code,
//! whose logs end up in decisions.
//!
//! Reads ask the authorization hook on `users.read`, as an AuthZEN evaluation does: a
//! user the plugins do not let the actor read is not found (for a read and every route
//! that loads its target as a read, bulk targets and the decide API's named users but an
//! `authorize` question's), is left out of lists, group members and statistics (paging
//! goes on from the page's last stored row), and is not named as a duplicate's holder.
//! An AuthZEN evaluation answers the action asked about alone, as the kernel's does (a
//! route also needs the read first). The actions a list offers per user
//! (`?actions=true`) and a read's `permissions` are the kernel's: a console may offer what
//! a plugin then refuses, with a 403 naming it. A user's own password change (the current
//! password proves it) and sign-out ask no plugin.
//!
//! Which hooks a write asks: those of the kernel's decisions it is made of. A creation or
//! an edit asks the validation hook and the authorization hook on its action (and on the
//! actions of the role and group changes it makes); a deletion the authorization hook on
//! `users.delete`; a status change the authorization hook on `users.status`, then the
//! transition hook (the status route, and an AuthZEN evaluation of `users.status` with
//! the change's parameters, so that the evaluation answers what the route does); ending a
//! user's sessions the authorization hook on `users.status` (a status change's
//! `revokeSessions`); a password reset the authorization hook on `users.passwordReset`,
//! told the lifecycle's allow (rule `passwordReset`); managing an organisation the
//! authorization hook on `organizations.manage` (an admin key acting as no one, the
//! tenant's own administration, asks none); a group membership change the authorization
//! hook on what the kernel was asked (`groups.manage`, or the role-granting action), or,
//! where the policy says nothing, on `groups.manage` told the super-administrator rule.
//! A row of an import is committed in `import` mode, the mode its report was validated
//! in (the kernel's and the plugins' validation of the commit; the report itself runs no
//! plugin). A bulk item asks what its single-item route
//! asks (its target's `users.read` included); a status item whose `users.status`, or a
//! deletion whose `users.delete`, the kernel denies is refused with that denial, as the
//! route answers (with or without plugins), and one whose
//! authorization the kernel cannot make is refused as `plugins_not_asked` when the tenant
//! has plugins. The decide API answers the kernel's operations, each narrowed by
//! the hook of that operation (validate, authorize, transition), as the embedded host
//! does; a route made of several decisions asks each of their hooks.

use crate::extract::shown;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use axum::extract::State;
use axum::http::HeaderMap;
use axum::{Json, Router};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sqlx::{AnyConnection, Row};
use tokio::sync::Mutex;
use warden_core::access::{AuthzDecision, RoleChange, Target};
use warden_core::api::{AuthorizeInput, Op, TransitionInput, ValidateInput};
use warden_core::lifecycle::{TransitionDecision, TransitionRequest};
use warden_core::model::Account;
use warden_core::policy::Mode;
use warden_core::validate::{ValidationDecision, ValidationFacts};
use warden_host::plugin::{
    Decided, Limits, LoadError, PluginSpec, PluginStatus, Registry, Runtime, RuntimeConfig,
    SettingsError, TenantPlugins, TenantSettings,
};

use crate::app::{App, Tenant, now};
use crate::audit::{self, AuditRecord};
use crate::auth::Caller;
use crate::error::ApiError;

/// The largest plugin upload body (JSON with the component in base64): 16 MiB, so
/// components up to 12 MiB; each tenant's `maxModuleBytes` (default 2 MiB, hard cap
/// 64 MiB) is checked on the decoded bytes.
pub const MAX_PLUGIN_BODY: usize = 16 << 20;
/// The most plugins one tenant may have.
pub const MAX_PLUGINS_PER_TENANT: usize = 16;
/// The largest configuration of one plugin, as JSON text.
pub const MAX_CONFIG_BYTES: usize = 64 << 10;

/// The process's plugin runtime (one per way of compiling plugins' code: each holds a
/// pool of instance slots and a compile cache, shared by every [`App`] of the process).
fn runtime(optimize_plugin_code: bool) -> Result<Arc<Runtime>, ApiError> {
    static DEFAULT: OnceLock<Result<Arc<Runtime>, String>> = OnceLock::new();
    static OPTIMIZED: OnceLock<Result<Arc<Runtime>, String>> = OnceLock::new();
    let runtime = if optimize_plugin_code {
        &OPTIMIZED
    } else {
        &DEFAULT
    };
    runtime
        .get_or_init(|| {
            Runtime::with_config(RuntimeConfig {
                optimize_plugin_code,
                ..RuntimeConfig::default()
            })
            .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(|e| ApiError::Internal(format!("plugin runtime: {e}")))
}

/// One [`App`]'s plugin state: the registry (created on first use) and the generation of
/// each tenant's set it holds.
#[derive(Debug, Default)]
pub struct Plugins {
    registry: OnceLock<Arc<Registry>>,
    loaded: Mutex<HashMap<String, i64>>,
    /// When [`warm`] last failed to load each tenant's set: it tries again only after
    /// [`WARM_RETRY`] (the decisions that need the set still try every time).
    warm_failed: Mutex<HashMap<String, std::time::Instant>>,
    /// Each tenant's administration lock: one change of a tenant's plugins or settings
    /// at a time, and other tenants' changes never wait for it.
    admin: Mutex<HashMap<String, Arc<Mutex<()>>>>,
    optimize_plugin_code: bool,
}

impl Plugins {
    /// Holds `tenant`'s administration lock until the guard is dropped.
    async fn administer(&self, tenant: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = Arc::clone(
            self.admin
                .lock()
                .await
                .entry(tenant.to_owned())
                .or_default(),
        );
        lock.lock_owned().await
    }
}

/// The limits a tenant may set, at most: the host's hard caps ([`Limits::CAPS`]), but for
/// the structural limits, which bound what compiling a plugin costs the whole process
/// (its time, its memory, the one compilation at a time every tenant's loads wait for):
/// those stay at most at the host's defaults, not a tenant's to raise. A tenant may lower
/// any limit. Checked when settings are put.
pub const TENANT_CAPS: Limits = Limits {
    max_module_bytes: Limits::DEFAULT.max_module_bytes,
    max_nesting: Limits::DEFAULT.max_nesting,
    max_functions: Limits::DEFAULT.max_functions,
    max_function_bytes: Limits::DEFAULT.max_function_bytes,
    max_types: Limits::DEFAULT.max_types,
    max_core_instances: Limits::DEFAULT.max_core_instances,
    max_memories: Limits::DEFAULT.max_memories,
    max_tables: Limits::DEFAULT.max_tables,
    ..Limits::CAPS
};

/// A tenant's set loaded under a check key to be judged before it is stored: unloaded
/// when dropped. Held by an upload until the new set is swapped in, so that the swap finds
/// its compiled plugins alive (in the compile cache); a settings change drops it once
/// judged (the swap then finds them among the cache's recent ones).
struct CheckedSet {
    registry: Arc<Registry>,
    key: String,
}

impl CheckedSet {
    /// Loads `specs` under `settings` as `tenant`'s candidate set.
    async fn load(
        registry: Arc<Registry>,
        tenant: &str,
        settings: TenantSettings,
        specs: Vec<PluginSpec>,
    ) -> Result<(CheckedSet, Result<Vec<PluginStatus>, LoadError>), ApiError> {
        let key = format!("\u{0}check:{tenant}");
        let checked = load_blocking(Arc::clone(&registry), key.clone(), settings, specs).await?;
        Ok((CheckedSet { registry, key }, checked))
    }
}

impl Drop for CheckedSet {
    fn drop(&mut self) {
        self.registry.unload(&self.key);
    }
}

/// How long [`warm`] leaves a tenant whose set failed to load before it tries again: a
/// load reads every stored component, and requests that need no plugin should not pay it.
const WARM_RETRY: std::time::Duration = std::time::Duration::from_secs(30);

impl Plugins {
    /// No plugins loaded yet; plugins' code compiled with optimisation when
    /// `optimize_plugin_code` ([`Settings::optimize_plugin_code`](crate::Settings)).
    pub fn new(optimize_plugin_code: bool) -> Plugins {
        Plugins {
            optimize_plugin_code,
            ..Plugins::default()
        }
    }

    /// The configuration of the runtime this app's plugins run on (the runtime is created
    /// on first use): how plugins' code is compiled, the pool and the CPU gate.
    ///
    /// # Errors
    /// [`ApiError::Internal`] when the runtime cannot be created on this platform.
    pub fn runtime_config(&self) -> Result<RuntimeConfig, ApiError> {
        Ok(self.registry()?.runtime().config())
    }

    fn registry(&self) -> Result<Arc<Registry>, ApiError> {
        if let Some(r) = self.registry.get() {
            return Ok(Arc::clone(r));
        }
        let r = Arc::new(Registry::new(runtime(self.optimize_plugin_code)?));
        Ok(Arc::clone(self.registry.get_or_init(|| r)))
    }

    /// The generation of `tenant`'s set this instance holds, if any.
    pub async fn loaded_generation(&self, tenant: &str) -> Option<i64> {
        self.loaded.lock().await.get(tenant).copied()
    }

    /// Forgets the set of `tenant` (a change elsewhere): the next decision reloads it.
    pub async fn forget(&self, tenant: &str) {
        self.loaded.lock().await.remove(tenant);
    }

    /// The tenants whose sets this instance holds, with their generations.
    pub async fn loaded(&self) -> HashMap<String, i64> {
        self.loaded.lock().await.clone()
    }
}

/// A load error's message, naming the plugin at fault by its stored name (`names`: the
/// names of the set given to the load, in its order).
fn load_message(e: &LoadError, names: &[&str]) -> String {
    match e.position().and_then(|i| names.get(i)) {
        Some(name) => named(name, e.cause()),
        None => e.to_string(),
    }
}

/// A message about the plugin `name`, as the tenant's administrators read it.
fn named(name: &str, message: impl std::fmt::Display) -> String {
    format!("plugin `{}`: {message}", shown(name))
}

/// What went wrong loading a set, told to any caller a 503 answers: the host's cause,
/// without the names a plugin gave itself (those are its administrators', `loadError`).
fn nameless_cause(e: &LoadError) -> String {
    match e.cause() {
        LoadError::ReservedName { .. } => {
            "a plugin calls itself by a name the host reserves".into()
        }
        LoadError::DuplicateName { .. } => "two plugins of the tenant have the same name".into(),
        cause => cause.to_string(),
    }
}

fn load_error(e: &LoadError, names: &[&str]) -> ApiError {
    let field = match e.cause() {
        LoadError::Structure { limit, .. } => (*limit).to_owned(),
        LoadError::Settings(SettingsError::AboveCap { limit, .. })
        | LoadError::Settings(SettingsError::BelowMin { limit, .. })
        | LoadError::Settings(SettingsError::Zero { limit }) => format!("settings.{limit}"),
        LoadError::Settings(_) => "settings".to_owned(),
        LoadError::ModuleTooLarge { .. } => "component".to_owned(),
        LoadError::InvalidIdentity { field, .. } => format!("describe.{field}"),
        LoadError::ReservedName { .. } | LoadError::DuplicateName { .. } => {
            "describe.name".to_owned()
        }
        _ => "component".to_owned(),
    };
    ApiError::PluginRefused {
        code: e.code().to_owned(),
        field,
        message: load_message(e, names),
    }
}

fn settings_error(e: &SettingsError) -> ApiError {
    // The setting's path in the document, as a malformed one is named.
    let field = match e {
        SettingsError::AboveCap { limit, .. }
        | SettingsError::BelowMin { limit, .. }
        | SettingsError::Zero { limit }
            if *limit == "breakerThreshold" || *limit == "breakerCooldownMs" =>
        {
            format!("settings.{limit}")
        }
        SettingsError::AboveCap { limit, .. }
        | SettingsError::BelowMin { limit, .. }
        | SettingsError::Zero { limit } => {
            format!("settings.limits.{limit}")
        }
        _ => "settings".to_owned(),
    };
    ApiError::PluginRefused {
        code: "invalid_settings".into(),
        field,
        message: e.to_string(),
    }
}

/// A stored plugin row.
struct Stored {
    name: String,
    version: String,
    hash: String,
    interface: String,
    size: i64,
    component: Vec<u8>,
    config: Value,
    updated_at: i64,
}

async fn stored(conn: &mut AnyConnection, tenant: &str) -> Result<Vec<Stored>, ApiError> {
    let rows = sqlx::query(
        "SELECT name, version, hash, interface, size, component, config, updated_at FROM tenant_plugins WHERE tenant_id = $1 ORDER BY position, name",
    )
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let config: String = r.try_get("config")?;
            Ok(Stored {
                name: r.try_get("name")?,
                version: r.try_get("version")?,
                hash: r.try_get("hash")?,
                interface: r.try_get("interface")?,
                size: r.try_get("size")?,
                component: r.try_get("component")?,
                config: serde_json::from_str(&config)?,
                updated_at: r.try_get("updated_at")?,
            })
        })
        .collect()
}

async fn stored_settings(
    conn: &mut AnyConnection,
    tenant: &str,
) -> Result<TenantSettings, ApiError> {
    let text: Option<String> =
        sqlx::query_scalar("SELECT settings FROM tenant_plugin_settings WHERE tenant_id = $1")
            .bind(tenant)
            .fetch_optional(&mut *conn)
            .await?;
    let mut settings: TenantSettings = match text {
        None => return Ok(TenantSettings::default()),
        Some(t) => serde_json::from_str(&t)
            .map_err(|e| ApiError::Internal(format!("stored plugin settings of {tenant}: {e}")))?,
    };
    // Settings stored before the server lowered a cap (`TENANT_CAPS`) apply within it.
    if let Err(e) = settings.limits.check_within(&TENANT_CAPS) {
        tracing::warn!(tenant, error = %e, "stored plugin limits above the server's caps: applied at the caps");
        settings.limits = settings.limits.capped(&TENANT_CAPS);
    }
    Ok(settings)
}

async fn generation(conn: &mut AnyConnection, tenant: &str) -> Result<i64, ApiError> {
    Ok(
        sqlx::query_scalar("SELECT plugin_generation FROM tenants WHERE id = $1")
            .bind(tenant)
            .fetch_one(&mut *conn)
            .await?,
    )
}

async fn load_blocking(
    registry: Arc<Registry>,
    key: String,
    settings: TenantSettings,
    specs: Vec<PluginSpec>,
) -> Result<Result<Vec<PluginStatus>, LoadError>, ApiError> {
    tokio::task::spawn_blocking(move || registry.load(&key, settings, specs))
        .await
        .map_err(|e| ApiError::Internal(format!("plugin load task: {e}")))
}

/// The tenant's current plugin set, loaded from the database when this instance does not
/// hold the stored generation; `None` when the tenant has no plugins.
///
/// # Errors
/// Store errors; [`ApiError::PluginsUnavailable`] when stored plugins cannot be loaded here (the
/// tenant's decisions then fail instead of running without its plugins).
pub async fn current(app: &App, tenant: &str) -> Result<Option<Arc<TenantPlugins>>, ApiError> {
    let p = &app.plugins;
    if p.loaded.lock().await.contains_key(tenant) {
        return Ok(match p.registry.get() {
            Some(r) => r.snapshot(tenant),
            None => None,
        });
    }
    // Two loads can overlap (two decisions, or a decision and a change made here): one that
    // read the set before a change may finish after one that read it after, and put the
    // older set back in the registry. So a load counts only when the generation is still
    // the one it read once it is in place; else the set is read and loaded again, and the
    // older set serves for no longer than that second load.
    // Whenever the set in the registry may not be the recorded generation's (a newer one
    // recorded by an overlapping load while this one put an older set in place, or a load
    // that failed half-way), the record is dropped, so that no decision takes the set as
    // current and the next one loads it again.
    let mut set = None;
    for _ in 0..MAX_LOAD_ATTEMPTS {
        let loaded = load(app, tenant).await;
        let (generation, loaded) = match loaded {
            Ok(l) => l,
            Err(e) => {
                p.forget(tenant).await;
                return Err(e);
            }
        };
        set = loaded;
        let now = match app.db.pool().acquire().await {
            Ok(mut conn) => self::generation(&mut conn, tenant).await,
            Err(e) => Err(e.into()),
        };
        match now {
            Ok(g) if g == generation => {
                p.loaded.lock().await.insert(tenant.to_owned(), generation);
                return Ok(set);
            }
            Ok(_) => p.forget(tenant).await,
            Err(e) => {
                p.forget(tenant).await;
                return Err(e);
            }
        }
    }
    // The set keeps changing: this decision takes the newest set read, and the next one
    // reads again (no generation is recorded).
    Ok(set)
}

/// How many times [`current`] reads and loads a set that changes while it loads.
const MAX_LOAD_ATTEMPTS: usize = 3;

/// Reads the tenant's stored set and puts it in the registry: the generation read and the
/// loaded set (`None` when the tenant has no plugins). Loading happens outside any lock:
/// one tenant's load never holds up another's decisions.
async fn load(app: &App, tenant: &str) -> Result<(i64, Option<Arc<TenantPlugins>>), ApiError> {
    let p = &app.plugins;
    let mut conn = app.db.pool().acquire().await?;
    // The generation first, then the rows: a change committed in between leaves a newer
    // generation in the database, which [`current`] sees once the set is in place.
    let generation = generation(&mut conn, tenant).await?;
    let rows = stored(&mut conn, tenant).await?;
    if rows.is_empty() {
        if let Some(r) = p.registry.get() {
            r.unload(tenant);
        }
        return Ok((generation, None));
    }
    let settings = stored_settings(&mut conn, tenant).await?;
    drop(conn);
    let registry = p.registry()?;
    let names: Vec<String> = rows.iter().map(|s| s.name.clone()).collect();
    let specs = rows
        .into_iter()
        .map(|s| PluginSpec {
            wasm: s.component,
            config: s.config,
        })
        .collect();
    match load_blocking(Arc::clone(&registry), tenant.to_owned(), settings, specs).await? {
        Ok(_) => Ok((generation, registry.snapshot(tenant))),
        Err(e) => {
            let plugin = e.position().and_then(|i| names.get(i)).cloned();
            tracing::error!(tenant, code = e.code(), plugin, error = %e.cause(), "stored plugins cannot be loaded");
            Err(ApiError::PluginsUnavailable {
                code: e.code().to_owned(),
                message: nameless_cause(&e),
                plugin,
            })
        }
    }
}

/// Loads the tenant's plugin set unless it is loaded, so that the request's decisions find
/// it in memory: called as a request is authenticated, before its handler takes a
/// connection. A set being loaded needs a connection of its own, and handlers that ask
/// plugins while holding one (a validation's conflict reports, an edit) would otherwise
/// wait for a second, and could drain the pool on a tenant's first requests. A failure is
/// not the request's: the decisions that need the set answer 503 (it was logged), and
/// the others go on (the plugin administration lists a set that cannot load, with its
/// `loadError`, and replaces or removes its plugins).
///
/// A set that failed to load is not tried again here for 30 seconds: a load reads
/// every stored component.
pub async fn warm(app: &App, tenant: &str) {
    let failed = &app.plugins.warm_failed;
    let last_failure = failed.lock().await.get(tenant).copied();
    if last_failure.is_some_and(|at| at.elapsed() < WARM_RETRY) {
        return;
    }
    match current(app, tenant).await {
        Ok(_) => {
            if last_failure.is_some() {
                failed.lock().await.remove(tenant);
            }
        }
        // A set that cannot be loaded: not tried again here for a while (expired entries
        // dropped as one is added, so the map holds only recent failures).
        Err(e @ ApiError::PluginsUnavailable { .. }) => {
            tracing::debug!(tenant, error = %e, "plugin set not loaded ahead of the request");
            let mut failed = failed.lock().await;
            failed.retain(|_, at| at.elapsed() < WARM_RETRY);
            failed.insert(tenant.to_owned(), std::time::Instant::now());
        }
        // Another failure (the database's) says nothing of the set: the next request warms
        // it again.
        Err(e) => {
            tracing::debug!(tenant, error = %e, "plugin set not loaded ahead of the request");
        }
    }
}

/// What a decision reports of a plugin: its identity, the hook and the outcome (the
/// plugin's log stays out: it is plugin-chosen text).
fn summary(report: &Value, app: &App) -> Value {
    let mut out = Map::new();
    for k in [
        "plugin", "version", "hash", "hook", "outcome", "micros", "fuelUsed",
    ] {
        if let Some(v) = report.get(k) {
            out.insert(k.into(), v.clone());
        }
    }
    if let Some(e) = report.get("error") {
        let mut err = Map::new();
        for k in ["code", "message", "failurePolicy"] {
            if let Some(v) = e.get(k) {
                err.insert(k.into(), v.clone());
            }
        }
        app.metrics.plugin_fault(
            report.get("hook").and_then(Value::as_str).unwrap_or(""),
            e.get("code").and_then(Value::as_str).unwrap_or("unknown"),
        );
        out.insert("error".into(), Value::Object(err));
    }
    Value::Object(out)
}

/// Narrows the kernel's decision with the tenant's plugins (`set`, the tenant's current
/// set), under the tenant's compiled policy (given by reference: nothing is serialised or
/// compared to find it): the composed decision and the plugins' reports.
async fn run(
    app: &App,
    tenant: &Tenant,
    set: Arc<TenantPlugins>,
    decided: Decided,
) -> Result<(Value, Vec<Value>), ApiError> {
    let runtime = app.plugins.registry()?.runtime().clone();
    let policy = Arc::clone(&tenant.policy);
    let decision =
        tokio::task::spawn_blocking(move || set.narrow(&runtime, &policy, decided, Map::new()))
            .await
            .map_err(|e| ApiError::Internal(format!("plugin task: {e}")))?
            .map_err(|e| ApiError::Internal(format!("plugin evaluation: {}", e.to_json())))?;
    let reports = decision
        .get("plugins")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|r| summary(r, app)).collect())
        .unwrap_or_default();
    Ok((decision, reports))
}

fn without_secrets(mut record: Map<String, Value>, tenant: &Tenant) -> Map<String, Value> {
    for f in crate::users::password_fields(&tenant.policy) {
        record.remove(&f);
    }
    record
}

fn account_without_secrets(mut a: Account, tenant: &Tenant) -> Account {
    a.attributes = without_secrets(a.attributes, tenant);
    a
}

/// The plugins' part of a validation the kernel accepted: refuses the record when a
/// plugin adds an error; returns the plugins' reports (empty without plugins).
///
/// # Errors
/// [`ApiError::PluginInvalid`] naming the plugins' violations and reports; plugin set
/// load failures.
pub async fn validate(
    app: &App,
    tenant: &Tenant,
    record: &Map<String, Value>,
    mode: Mode,
    core: &ValidationDecision,
) -> Result<Vec<Value>, ApiError> {
    let Some(set) = current(app, &tenant.id).await? else {
        app.metrics.decision("validate", "valid");
        return Ok(Vec::new());
    };
    let today = now()
        .date()
        .ok_or_else(|| ApiError::Internal("clock".into()))?;
    let input = ValidateInput {
        user: without_secrets(record.clone(), tenant),
        mode,
        today,
        facts: ValidationFacts::default(),
        mfa: false,
        field: None,
    };
    let decided = Decided::Validate {
        input: serde_json::to_value(&input)?,
        decision: core.clone(),
    };
    let (decision, reports) = run(app, tenant, set, decided).await?;
    let plugin_violations: Vec<Value> = decision
        .get("violations")
        .and_then(Value::as_array)
        .map(|vs| {
            vs.iter()
                .filter(|v| v.get("source").is_some())
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let refused = plugin_violations
        .iter()
        .any(|v| v.get("severity").and_then(Value::as_str) == Some("error"));
    if refused {
        app.metrics.decision("validate", "invalid");
        let mut violations: Vec<Value> = core
            .violations
            .iter()
            .filter_map(|v| serde_json::to_value(v).ok())
            .collect();
        violations.extend(plugin_violations);
        return Err(ApiError::PluginInvalid {
            violations: Value::Array(violations),
            plugins: Value::Array(reports),
        });
    }
    app.metrics.decision("validate", "valid");
    Ok(reports)
}

/// Whether a plugin narrowed a verdict: its deny, or a fault failing closed.
fn narrowed(reports: &[Value]) -> bool {
    reports.iter().any(|r| {
        let outcome = r.get("outcome").and_then(Value::as_str);
        let closed = r
            .get("error")
            .and_then(|e| e.get("failurePolicy"))
            .and_then(Value::as_str)
            == Some("closed");
        outcome == Some("deny") || (matches!(outcome, Some("fault" | "disabled")) && closed)
    })
}

/// Narrows an allowed decision with the tenant's plugins, if it has any: their reports,
/// or their refusal.
async fn verdict(
    app: &App,
    tenant: &Tenant,
    op: &str,
    decided: impl FnOnce() -> Result<Decided, ApiError>,
) -> Result<Vec<Value>, ApiError> {
    let Some(set) = current(app, &tenant.id).await? else {
        app.metrics.decision(op, "allow");
        return Ok(Vec::new());
    };
    let (decision, reports) = run(app, tenant, set, decided()?).await?;
    if narrowed(&reports) {
        app.metrics.decision(op, "deny");
        return Err(ApiError::PluginDenied {
            deny: decision.get("deny").cloned().unwrap_or(Value::Null),
            plugins: Value::Array(reports),
        });
    }
    app.metrics.decision(op, "allow");
    Ok(reports)
}

/// The plugins' part of an authorization the kernel allowed: `core`, the kernel's
/// decision on that question (made with the server's directory, which the plugins are not
/// given).
///
/// # Errors
/// [`ApiError::PluginDenied`] with the denial and the reports.
pub async fn authorize(
    app: &App,
    tenant: &Tenant,
    actor: Account,
    action: &str,
    target: Target,
    change: Option<RoleChange>,
    core: &AuthzDecision,
) -> Result<Vec<Value>, ApiError> {
    verdict(app, tenant, "authorize", || {
        let input = AuthorizeInput {
            actor: account_without_secrets(actor, tenant),
            action: action.to_owned(),
            target,
            change,
            directory: Vec::new(),
            now: now(),
        };
        Ok(Decided::Authorize {
            input: serde_json::to_value(&input)?,
            decision: core.clone(),
        })
    })
    .await
}

/// Whether the tenant's plugins let the kernel's allow `core` of an authorization stand,
/// for a question answered by leaving an item out rather than by an error: a search,
/// a list, a read (a deny, or a fault failing closed, takes the item out). Without
/// plugins: always.
///
/// # Errors
/// Plugin set load failures ([`ApiError::PluginsUnavailable`]), task failures.
pub async fn allows(
    app: &App,
    tenant: &Tenant,
    actor: Account,
    action: &str,
    target: Target,
    core: &AuthzDecision,
) -> Result<bool, ApiError> {
    match authorize(app, tenant, actor, action, target, None, core).await {
        Ok(_) => Ok(true),
        Err(ApiError::PluginDenied { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The plugins' part of a transition the kernel allowed: `core`, the kernel's decision on
/// `req` (whose facts the plugins are given as the transition's; the actor's permissions
/// are not given).
///
/// # Errors
/// [`ApiError::PluginDenied`] with the denial and the reports.
pub async fn transition(
    app: &App,
    tenant: &Tenant,
    req: &TransitionRequest,
    core: &TransitionDecision,
) -> Result<Vec<Value>, ApiError> {
    verdict(app, tenant, "transition", || {
        let input = TransitionInput {
            actor: account_without_secrets(req.actor.clone(), tenant),
            target: account_without_secrets(req.target.clone(), tenant),
            to: req.to.clone(),
            reason: req.reason.clone(),
            until: req.until,
            duration_days: req.duration_days,
            duration_minutes: req.duration_minutes,
            facts: req.facts.clone(),
            directory: Vec::new(),
            now: now(),
        };
        Ok(Decided::Transition {
            input: serde_json::to_value(&input)?,
            decision: core.clone(),
        })
    })
    .await
}

/// The plugins' part of a status change the kernel allowed (the status route, a bulk
/// status item): the
/// authorization hook on `users.status` (told `authz`, the kernel's authorization of the
/// change), then the transition hook on `req` (told `core`, the kernel's transition). An
/// AuthZEN evaluation of `users.status` asks the same two hooks, so that its answer is
/// what the route does. The reports of both; a denial names every plugin that ran.
///
/// # Errors
/// [`ApiError::PluginDenied`] with the denial and the reports.
pub async fn status_change(
    app: &App,
    tenant: &Tenant,
    req: &TransitionRequest,
    authz: &AuthzDecision,
    core: &TransitionDecision,
) -> Result<Vec<Value>, ApiError> {
    let mut reports = authorize(
        app,
        tenant,
        req.actor.clone(),
        "users.status",
        Target::from(&req.target),
        None,
        authz,
    )
    .await?;
    match transition(app, tenant, req, core).await {
        Ok(more) => {
            reports.extend(more);
            Ok(reports)
        }
        Err(e) => Err(e.after_plugins(reports)),
    }
}

/// The native decision API's part: the kernel's decision `core` on `input` (the
/// contract's input of `op`, complete: directory and facts filled in), narrowed by the
/// tenant's plugins for `validate`, `authorize` and `transition`, with a `plugins` list
/// naming them. Unchanged for other operations and tenants without plugins. Validation
/// inputs reach the plugins without their password fields.
///
/// # Errors
/// Plugin set load failures ([`ApiError::PluginsUnavailable`]), store errors.
pub async fn compose(
    app: &App,
    tenant: &Tenant,
    op: Op,
    input: &Value,
    core: Value,
) -> Result<Value, ApiError> {
    if !matches!(op, Op::Validate | Op::Authorize | Op::Transition) {
        return Ok(core);
    }
    let Some(set) = current(app, &tenant.id).await? else {
        return Ok(core);
    };
    let mut sent = input.clone();
    if op == Op::Validate
        && let Some(Value::Object(user)) = sent.get_mut("user")
    {
        *user = without_secrets(std::mem::take(user), tenant);
    }
    // The kernel's decision, read back from its response (the plugins narrow the decision
    // this request got, not one made again).
    fn read<T: serde::de::DeserializeOwned>(core: &Value) -> Result<T, ApiError> {
        serde_json::from_value(core.clone())
            .map_err(|e| ApiError::Internal(format!("the kernel's decision: {e}")))
    }
    let decided = match op {
        Op::Validate => Decided::Validate {
            input: sent,
            decision: read(&core)?,
        },
        Op::Authorize => Decided::Authorize {
            input: sent,
            decision: read(&core)?,
        },
        _ => Decided::Transition {
            input: sent,
            decision: read(&core)?,
        },
    };
    let (composed, reports) = run(app, tenant, set, decided).await?;
    let mut out = core;
    if op == Op::Validate {
        let plugin_violations: Vec<Value> = composed
            .get("violations")
            .and_then(Value::as_array)
            .map(|vs| {
                vs.iter()
                    .filter(|v| v.get("source").is_some())
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let refused = plugin_violations
            .iter()
            .any(|v| v.get("severity").and_then(Value::as_str) == Some("error"));
        if let Some(o) = out.as_object_mut() {
            if let Some(Value::Array(vs)) = o.get_mut("violations") {
                vs.extend(plugin_violations);
            }
            if refused {
                o.insert("valid".into(), false.into());
            }
        }
        let valid = out.get("valid").and_then(Value::as_bool) == Some(true);
        app.metrics
            .decision("validate", if valid { "valid" } else { "invalid" });
    } else {
        if narrowed(&reports) {
            // The same complete input: the composed decision is the kernel's, narrowed.
            out = composed;
        }
        let allowed = out.get("decision").and_then(Value::as_str) == Some("allow");
        app.metrics
            .decision(op.name(), if allowed { "allow" } else { "deny" });
    }
    if let Some(o) = out.as_object_mut() {
        o.insert("plugins".into(), Value::Array(reports));
    }
    Ok(out)
}

/// Adds the plugins' reports to a decision's JSON (for the audit entry).
pub fn with_plugins(mut decision: Value, reports: &[Value]) -> Value {
    if !reports.is_empty()
        && let Some(o) = decision.as_object_mut()
    {
        o.insert("plugins".into(), Value::Array(reports.to_vec()));
    }
    decision
}

// ---- the admin API ----

fn require_admin(caller: &Caller) -> Result<(), ApiError> {
    if caller.is_admin() {
        Ok(())
    } else {
        Err(ApiError::Forbidden {
            deny: None,
            reason: "only an admin key manages plugins",
        })
    }
}

fn actor_id(caller: &Caller) -> String {
    caller
        .actor
        .as_ref()
        .map_or_else(|| "admin".to_owned(), |a| a.id.clone())
}

use crate::extract::request_id;

/// The routes, under `/api/v1`.
pub fn routes() -> Router<Arc<App>> {
    use axum::extract::DefaultBodyLimit;
    use axum::routing::get;
    use tower_http::limit::RequestBodyLimitLayer;
    Router::new()
        .route("/plugins", get(list))
        .route("/plugin-settings", get(read_settings).put(replace_settings))
        // As every other JSON route of the API: only an upload carries a component.
        .layer(RequestBodyLimitLayer::new(crate::api::MAX_BODY_BYTES))
        .merge(
            Router::new()
                .route("/plugins/{name}", get(read).put(upload).delete(remove))
                .layer(DefaultBodyLimit::disable())
                .layer(RequestBodyLimitLayer::new(MAX_PLUGIN_BODY)),
        )
}

fn describe(s: &Stored, position: usize, status: Option<&PluginStatus>) -> Value {
    json!({
        "name": s.name,
        "version": s.version,
        "hash": s.hash,
        "interface": s.interface,
        "size": s.size,
        "position": position,
        "config": s.config,
        "updatedAt": s.updated_at,
        "disabled": status.is_some_and(|st| st.disabled),
        "consecutiveFaults": status.map_or(0, |st| st.consecutive_faults),
    })
}

/// The tenant's set as loaded on this instance, for its administration pages: each plugin's
/// breaker state (loading makes it meaningful here), and the load error of a set that
/// cannot be loaded (`loadError`), which is still shown so that its administrator can see
/// and mend it.
async fn loaded_status(
    app: &App,
    tenant: &str,
) -> Result<(Vec<PluginStatus>, Option<Value>), ApiError> {
    match current(app, tenant).await {
        Ok(set) => Ok((set.map(|s| s.status()).unwrap_or_default(), None)),
        Err(e @ ApiError::PluginsUnavailable { .. }) => Ok((Vec::new(), Some(load_failure(&e)))),
        Err(e) => Err(e),
    }
}

async fn list(State(app): State<Arc<App>>, caller: Caller) -> Result<Json<Value>, ApiError> {
    require_admin(&caller)?;
    let tenant = &caller.tenant.id;
    let (status, load_error) = loaded_status(&app, tenant).await?;
    let mut conn = app.db.pool().acquire().await?;
    let rows = stored(&mut conn, tenant).await?;
    let settings = stored_settings(&mut conn, tenant).await?;
    let generation = generation(&mut conn, tenant).await?;
    let plugins: Vec<Value> = rows
        .iter()
        .enumerate()
        .map(|(i, s)| describe(s, i, status.iter().find(|st| st.name == s.name)))
        .collect();
    let mut out = json!({
        "plugins": plugins,
        "settings": settings,
        "generation": generation,
    });
    if let (Some(e), Some(o)) = (load_error, out.as_object_mut()) {
        o.insert("loadError".into(), e);
    }
    Ok(Json(out))
}

/// A set that cannot be loaded, as an administration response tells it (`loadError`):
/// the host's code and message, and the plugin at fault (`plugin`, its stored name) when
/// one is.
fn load_failure(e: &ApiError) -> Value {
    match e {
        ApiError::PluginsUnavailable {
            code,
            message,
            plugin: Some(name),
        } => {
            json!({"code": code, "message": named(name, message), "plugin": name})
        }
        ApiError::PluginsUnavailable { code, message, .. } => {
            json!({"code": code, "message": message})
        }
        other => json!({"code": "unknown", "message": other.to_string()}),
    }
}

/// Loads the tenant's set after an administration change committed (`out`, its
/// response): a set that still cannot be loaded (another plugin at fault, the compile
/// rate limit) does not undo the change, and is told in the response (`loadError`).
async fn reload_after_change(app: &App, tenant: &str, mut out: Value) -> Result<Value, ApiError> {
    app.plugins.forget(tenant).await;
    match current(app, tenant).await {
        Ok(_) => Ok(out),
        Err(e @ ApiError::PluginsUnavailable { .. }) => {
            if let Some(o) = out.as_object_mut() {
                o.insert("loadError".into(), load_failure(&e));
            }
            Ok(out)
        }
        Err(e) => Err(e),
    }
}

async fn read(
    State(app): State<Arc<App>>,
    caller: Caller,
    crate::api::UrlParams(name): crate::api::UrlParams<String>,
) -> Result<Json<Value>, ApiError> {
    require_admin(&caller)?;
    let (status, load_error) = loaded_status(&app, &caller.tenant.id).await?;
    let mut conn = app.db.pool().acquire().await?;
    let rows = stored(&mut conn, &caller.tenant.id).await?;
    let (i, s) = rows
        .iter()
        .enumerate()
        .find(|(_, s)| s.name == name)
        .ok_or(ApiError::NotFound)?;
    let mut out = describe(s, i, status.iter().find(|st| st.name == s.name));
    if let (Some(e), Some(o)) = (load_error, out.as_object_mut()) {
        o.insert("loadError".into(), e);
    }
    Ok(Json(out))
}

/// An upload: the component (base64 of the binary, or WAT text) and its configuration.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Upload {
    /// The component, standard base64.
    component: String,
    /// The tenant's configuration of the plugin (any JSON; default `{}`).
    #[serde(default)]
    config: Option<Value>,
}

async fn upload(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    caller: Caller,
    crate::api::UrlParams(name): crate::api::UrlParams<String>,
    crate::api::Body(b): crate::api::Body<Upload>,
) -> Result<Json<Value>, ApiError> {
    require_admin(&caller)?;
    let tenant = caller.tenant.id.clone();
    let wasm = base64::engine::general_purpose::STANDARD
        .decode(b.component.as_bytes())
        .map_err(|e| ApiError::PluginRefused {
            code: "invalid_base64".into(),
            field: "component".into(),
            message: format!("the component is not standard base64: {e}"),
        })?;
    let config = b.config.unwrap_or_else(|| json!({}));
    let config_text = serde_json::to_string(&config)?;
    if config_text.len() > MAX_CONFIG_BYTES {
        return Err(ApiError::PluginRefused {
            code: "config_too_large".into(),
            field: "config".into(),
            message: format!(
                "the configuration is {} bytes of JSON, above the limit of {MAX_CONFIG_BYTES}",
                config_text.len()
            ),
        });
    }
    let _one_at_a_time = app.plugins.administer(&tenant).await;
    let registry = app.plugins.registry()?;
    let mut conn = app.db.pool().acquire().await?;
    let settings = stored_settings(&mut conn, &tenant).await?;
    let rows = stored(&mut conn, &tenant).await?;
    drop(conn);
    let position = rows.iter().position(|s| s.name == name);
    if position.is_none() && rows.len() >= MAX_PLUGINS_PER_TENANT {
        return Err(ApiError::PluginRefused {
            code: "too_many_plugins".into(),
            field: "name".into(),
            message: format!("a tenant has at most {MAX_PLUGINS_PER_TENANT} plugins"),
        });
    }
    // The new set, checked as a whole under a per-tenant check key (the tenant's compile
    // budget, its limits, unique names), before anything is stored or swapped in.
    let mut specs: Vec<PluginSpec> = rows
        .iter()
        .map(|s| PluginSpec {
            wasm: s.component.clone(),
            config: s.config.clone(),
        })
        .collect();
    let new = PluginSpec {
        wasm: wasm.clone(),
        config,
    };
    let index = match position {
        Some(i) => {
            if let Some(slot) = specs.get_mut(i) {
                *slot = new;
            }
            i
        }
        None => {
            specs.push(new);
            specs.len() - 1
        }
    };
    let mut names: Vec<&str> = rows.iter().map(|s| s.name.as_str()).collect();
    match names.get_mut(index) {
        Some(slot) => *slot = name.as_str(),
        None => names.push(name.as_str()),
    }
    let (_held, checked) =
        CheckedSet::load(Arc::clone(&registry), &tenant, settings, specs).await?;
    let statuses = checked.map_err(|e| load_error(&e, &names))?;
    let status = statuses
        .get(index)
        .cloned()
        .ok_or_else(|| ApiError::Internal("plugin status missing".into()))?;
    if status.name != name {
        return Err(ApiError::PluginRefused {
            code: "name_mismatch".into(),
            field: "name".into(),
            message: format!(
                "the URL names the plugin `{}` but the component describes itself as `{}`",
                shown(&name),
                status.name
            ),
        });
    }
    let at = now().unix();
    let mut tx = app.db.begin_write().await?;
    let generation: i64 = sqlx::query(
        "UPDATE tenants SET plugin_generation = plugin_generation + 1 WHERE id = $1 RETURNING plugin_generation",
    )
    .bind(&tenant)
    .fetch_one(&mut *tx)
    .await?
    .try_get("plugin_generation")?;
    let before = sqlx::query("SELECT version, hash FROM tenant_plugins WHERE tenant_id = $1 AND name = $2")
        .bind(&tenant)
        .bind(&name)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| -> Result<Value, sqlx::Error> {
            Ok(json!({"name": name, "version": r.try_get::<String, _>("version")?, "hash": r.try_get::<String, _>("hash")?}))
        })
        .transpose()?;
    let next_position: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(position), -1) + 1 FROM tenant_plugins WHERE tenant_id = $1",
    )
    .bind(&tenant)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO tenant_plugins (tenant_id, name, position, version, hash, interface, size, component, config, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) ON CONFLICT (tenant_id, name) DO UPDATE SET version = excluded.version, hash = excluded.hash, interface = excluded.interface, size = excluded.size, component = excluded.component, config = excluded.config, updated_at = excluded.updated_at",
    )
    .bind(&tenant)
    .bind(&name)
    .bind(next_position)
    .bind(&status.version)
    .bind(&status.hash)
    .bind(&status.interface)
    .bind(i64::try_from(wasm.len()).unwrap_or(i64::MAX))
    .bind(wasm)
    .bind(&config_text)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    let after = json!({"name": name, "version": status.version, "hash": status.hash});
    let action = if before.is_some() {
        "plugins.replace"
    } else {
        "plugins.upload"
    };
    audit::append(
        &mut tx,
        &AuditRecord {
            tenant: tenant.clone(),
            actor: actor_id(&caller),
            via: caller.via(),
            action: action.into(),
            target: format!("plugin:{name}"),
            before: before.clone(),
            after: Some(after.clone()),
            decision: json!({"pluginGeneration": generation, "interface": status.interface}),
            policy_version: caller.tenant.version,
            obligations: Vec::new(),
            at,
            request_id: request_id(&headers),
        },
    )
    .await?;
    tx.commit().await?;
    // Swap this instance's set now (compile-cache hits); other instances follow through
    // the generation.
    let out = json!({
        "plugin": after,
        "replaced": before,
        "interface": status.interface,
        "size": status.size,
        "generation": generation,
    });
    Ok(Json(reload_after_change(&app, &tenant, out).await?))
}

async fn remove(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    caller: Caller,
    crate::api::UrlParams(name): crate::api::UrlParams<String>,
) -> Result<Json<Value>, ApiError> {
    require_admin(&caller)?;
    let tenant = caller.tenant.id.clone();
    let _one_at_a_time = app.plugins.administer(&tenant).await;
    let at = now().unix();
    let mut tx = app.db.begin_write().await?;
    let before =
        sqlx::query("SELECT version, hash FROM tenant_plugins WHERE tenant_id = $1 AND name = $2")
            .bind(&tenant)
            .bind(&name)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(before) = before else {
        tx.rollback().await?;
        return Err(ApiError::NotFound);
    };
    let before = json!({"name": name, "version": before.try_get::<String, _>("version")?, "hash": before.try_get::<String, _>("hash")?});
    let generation: i64 = sqlx::query(
        "UPDATE tenants SET plugin_generation = plugin_generation + 1 WHERE id = $1 RETURNING plugin_generation",
    )
    .bind(&tenant)
    .fetch_one(&mut *tx)
    .await?
    .try_get("plugin_generation")?;
    sqlx::query("DELETE FROM tenant_plugins WHERE tenant_id = $1 AND name = $2")
        .bind(&tenant)
        .bind(&name)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        &AuditRecord {
            tenant: tenant.clone(),
            actor: actor_id(&caller),
            via: caller.via(),
            action: "plugins.remove".into(),
            target: format!("plugin:{name}"),
            before: Some(before.clone()),
            after: None,
            decision: json!({"pluginGeneration": generation}),
            policy_version: caller.tenant.version,
            obligations: Vec::new(),
            at,
            request_id: request_id(&headers),
        },
    )
    .await?;
    tx.commit().await?;
    let out = json!({"removed": before, "generation": generation});
    Ok(Json(reload_after_change(&app, &tenant, out).await?))
}

async fn read_settings(
    State(app): State<Arc<App>>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    require_admin(&caller)?;
    let mut conn = app.db.pool().acquire().await?;
    let s = stored_settings(&mut conn, &caller.tenant.id).await?;
    Ok(Json(json!({"settings": s, "caps": TENANT_CAPS})))
}

async fn replace_settings(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    caller: Caller,
    crate::api::Body(settings): crate::api::Body<TenantSettings>,
) -> Result<Json<Value>, ApiError> {
    require_admin(&caller)?;
    // A body that is not settings is the API's 400 naming the field (`limits.fuel`), as
    // on every route; settings out of their bounds are refused below (422).
    settings.check().map_err(|e| settings_error(&e))?;
    settings
        .limits
        .check_within(&TENANT_CAPS)
        .map_err(|e| settings_error(&e))?;
    let tenant = caller.tenant.id.clone();
    let _one_at_a_time = app.plugins.administer(&tenant).await;
    // The stored plugins must still load under the new limits.
    let mut conn = app.db.pool().acquire().await?;
    let rows = stored(&mut conn, &tenant).await?;
    drop(conn);
    if !rows.is_empty() {
        let registry = app.plugins.registry()?;
        let names: Vec<String> = rows.iter().map(|s| s.name.clone()).collect();
        let specs = rows
            .into_iter()
            .map(|s| PluginSpec {
                wasm: s.component,
                config: s.config,
            })
            .collect();
        let (_held, checked) = CheckedSet::load(registry, &tenant, settings, specs).await?;
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        checked.map_err(|e| load_error(&e, &names))?;
    }
    let text = serde_json::to_string(&settings)?;
    let at = now().unix();
    let mut tx = app.db.begin_write().await?;
    let generation: i64 = sqlx::query(
        "UPDATE tenants SET plugin_generation = plugin_generation + 1 WHERE id = $1 RETURNING plugin_generation",
    )
    .bind(&tenant)
    .fetch_one(&mut *tx)
    .await?
    .try_get("plugin_generation")?;
    sqlx::query(
        "INSERT INTO tenant_plugin_settings (tenant_id, settings, updated_at) VALUES ($1, $2, $3) ON CONFLICT (tenant_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at",
    )
    .bind(&tenant)
    .bind(&text)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        &AuditRecord {
            tenant: tenant.clone(),
            actor: actor_id(&caller),
            via: caller.via(),
            action: "plugins.settings".into(),
            target: tenant.clone(),
            before: None,
            after: Some(serde_json::to_value(settings)?),
            decision: json!({"pluginGeneration": generation}),
            policy_version: caller.tenant.version,
            obligations: Vec::new(),
            at,
            request_id: request_id(&headers),
        },
    )
    .await?;
    tx.commit().await?;
    let out = json!({"settings": settings, "generation": generation});
    Ok(Json(reload_after_change(&app, &tenant, out).await?))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::time::Duration;

    use super::{Plugins, shown};

    /// A name from a URL is quoted without what would rewrite the message it is in.
    #[test]
    fn names_are_quoted_without_controls_or_direction_changes() {
        assert_eq!(shown("\u{202e}evil\n"), "\u{fffd}evil\u{fffd}");
        assert_eq!(shown("email-domain"), "email-domain");
        assert_eq!(shown(&"x".repeat(500)).chars().count(), 64);
    }

    /// One tenant's plugin administration (an upload compiling for seconds) holds its own
    /// tenant's next change, never another tenant's.
    #[tokio::test]
    async fn administration_locks_are_per_tenant() {
        let plugins = Plugins::default();
        let held = plugins.administer("a").await;
        let other = tokio::time::timeout(Duration::from_secs(5), plugins.administer("b")).await;
        assert!(other.is_ok(), "another tenant does not wait");
        let same = tokio::time::timeout(Duration::from_millis(50), plugins.administer("a")).await;
        assert!(same.is_err(), "the same tenant waits");
        drop(held);
        let again = tokio::time::timeout(Duration::from_secs(5), plugins.administer("a")).await;
        assert!(again.is_ok());
    }
}
