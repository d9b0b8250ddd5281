//! The per-tenant registry and the composition of a decision: the core, then each plugin.
//!
//! Composition is typed: the core's decision is a `warden_core` value
//! ([`ValidationDecision`], [`AuthzDecision`], [`TransitionDecision`]) and a plugin can
//! only add [`PluginViolation`]s to it or replace an allow by a [`Denial`]; the JSON is
//! written once, at the end. Each tenant keeps its compiled [`Policy`] per policy version
//! (the SHA-256 of the document, or the preset's name), so a decision does not compile the
//! policy again.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use warden_core::access::AuthzDecision;
use warden_core::api::{self, Op, Operation, Request};
use warden_core::decision::{Decision, Denial, DenyKind, Name, Text};
use warden_core::lifecycle::TransitionDecision;
use warden_core::validate::{Check, PasswordSummary};
use warden_core::{Policy, Severity, ValidationDecision, Violation as CoreViolation};

use super::admission::Party;
use super::bindings::warden::policy::types::{
    AuthorizeInput, PathPart, Severity as WitSeverity, TransitionInput, ValidateInput, Verdict,
    Violation,
};
use super::error::{EvaluateError, Fault, LoadError};
use super::limits::{FailurePolicy, TenantSettings};
use super::output::{
    PluginViolation, RawPathPart, RawVerdict, RawViolation, Source, check_verdict,
    check_violations, too_large,
};
use super::runtime::{CallStats, CompileBudget, CompiledPlugin, Gate, LogLine, Runtime};
use super::text::plugin_text;

/// Compiled policies kept per tenant (one per policy version in use); beyond it the
/// tenant's cache is emptied and refilled.
pub const POLICY_CACHE_CAPACITY: usize = 16;

/// A plugin to load for a tenant: the component's bytes and the tenant's configuration
/// of it (any JSON value; passed to every hook as a string).
#[derive(Debug, Clone, PartialEq)]
pub struct PluginSpec {
    /// The component binary (or WAT text).
    pub wasm: Vec<u8>,
    /// The tenant's configuration of the plugin.
    pub config: Value,
}

/// The hooks of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Hook {
    /// `validate-user`, after `op: validate`.
    ValidateUser,
    /// `authorize`, after `op: authorize`.
    Authorize,
    /// `transition`, after `op: transition`.
    Transition,
}

/// A violation of a composed decision: the core's or a plugin's.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum AnyViolation {
    /// The core's.
    Core(CoreViolation),
    /// A plugin's.
    Plugin(PluginViolation),
}

/// The error part of a [`PluginReport`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportError {
    /// The fault's code ([`Fault::code`]).
    pub code: &'static str,
    /// The host's message (never the plugin's text).
    pub message: String,
    /// The failure policy applied (`closed` for a host fault, whatever the tenant chose).
    pub failure_policy: FailurePolicy,
    /// The plugin's own `err` message, control characters stripped, at most 1 KiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin_message: Option<String>,
}

/// What a decision reports of one plugin's call.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PluginReport {
    /// The plugin.
    #[serde(flatten)]
    pub source: Source,
    /// The hook called.
    pub hook: Hook,
    /// `ok`, `violations`, `allow`, `deny`, `fault` or `disabled`.
    pub outcome: &'static str,
    /// Fuel used.
    pub fuel_used: u64,
    /// Peak linear memory, in bytes.
    pub peak_memory: usize,
    /// Bytes counted against the output limit.
    pub output_bytes: usize,
    /// Wall-clock time of instantiation and call, in microseconds.
    pub micros: u64,
    /// CPU time of instantiation and call, in microseconds, where the platform has a thread
    /// CPU clock: far below `micros` when the host was overloaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_micros: Option<u64>,
    /// Time the call waited for its running and instance slots before it ran, in
    /// microseconds (not part of `micros` nor of the deadline).
    pub queue_micros: u64,
    /// The fault, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ReportError>,
    /// The lines the plugin logged (bounded).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub log: Vec<LogLine>,
    /// Lines dropped past the log limits.
    #[serde(skip_serializing_if = "is_zero")]
    pub log_dropped: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A validation decision with the tenant's plugins applied: the core's
/// [`ValidationDecision`], field by field, with the plugins' violations after the core's.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComposedValidation {
    /// No violation of severity error, the plugins' included.
    pub valid: bool,
    /// As the core's.
    pub complete: bool,
    /// As the core's.
    pub policy: Arc<str>,
    /// The core's violations, then the plugins'.
    pub violations: Vec<AnyViolation>,
    /// As the core's.
    pub checks: Vec<Check>,
    /// As the core's.
    pub normalized: Map<String, Value>,
    /// As the core's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<PasswordSummary>,
    /// One report per plugin.
    pub plugins: Vec<PluginReport>,
}

/// An authorization or transition decision with the tenant's plugins applied.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Composed<D> {
    /// The core's decision, narrowed by the plugins.
    #[serde(flatten)]
    pub decision: D,
    /// One report per plugin.
    pub plugins: Vec<PluginReport>,
}

/// A decision a plugin may narrow from allow to deny.
trait Narrow {
    fn allowed(&self) -> bool;
    fn deny(&mut self, denial: Denial, plugin: &str);
}

impl Narrow for AuthzDecision {
    fn allowed(&self) -> bool {
        self.decision == Decision::Allow
    }
    fn deny(&mut self, denial: Denial, plugin: &str) {
        self.decision = Decision::Deny;
        self.deny = Some(denial);
        self.reason = Some(Name::new(&format!("plugin:{plugin}")));
        self.scope = None;
    }
}

impl Narrow for TransitionDecision {
    fn allowed(&self) -> bool {
        self.decision == Decision::Allow
    }
    fn deny(&mut self, denial: Denial, _plugin: &str) {
        self.decision = Decision::Deny;
        self.deny = Some(denial);
        self.obligations.clear();
        self.until = None;
    }
}

/// A plugin as a tenant has it loaded: shared compilation, own configuration, own
/// circuit breaker.
struct ActivePlugin {
    compiled: Arc<CompiledPlugin>,
    source: Source,
    config: String,
    faults: AtomicU32,
    disabled: AtomicBool,
}

impl ActivePlugin {
    /// Counts a call's outcome for the circuit breaker. Host faults are not the plugin's
    /// and change nothing.
    fn record(&self, result: Result<(), &Fault>, threshold: u32) {
        match result {
            Err(f) if f.is_host() => {}
            Ok(()) => self.faults.store(0, Ordering::Relaxed),
            Err(_) => {
                let n = self
                    .faults
                    .fetch_add(1, Ordering::Relaxed)
                    .saturating_add(1);
                if n >= threshold {
                    self.disabled.store(true, Ordering::Relaxed);
                }
            }
        }
    }
}

/// What [`Registry::list`] reports of a loaded plugin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PluginStatus {
    /// Its name (`describe`).
    pub name: String,
    /// Its version (`describe`).
    pub version: String,
    /// SHA-256 of the component, hex.
    pub hash: String,
    /// The interface it was built for (`warden:policy/hooks@0.1.0`).
    pub interface: String,
    /// Size of the component, in bytes.
    pub size: usize,
    /// Disabled by the circuit breaker.
    pub disabled: bool,
    /// Consecutive faults so far.
    pub consecutive_faults: u32,
}

/// A policy version: a preset's name or the SHA-256 of a document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum PolicyKey {
    Preset(String),
    Document([u8; 32]),
}

/// One tenant's plugins and settings: an immutable snapshot, swapped whole.
pub struct TenantPlugins {
    party: Party,
    settings: TenantSettings,
    plugins: Vec<ActivePlugin>,
    gate: Arc<Gate>,
    policies: Mutex<HashMap<PolicyKey, Arc<Policy>>>,
}

impl std::fmt::Debug for TenantPlugins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantPlugins")
            .field("settings", &self.settings)
            .field("plugins", &self.plugins.len())
            .finish()
    }
}

/// What the registry keeps of a tenant across loads: its instance gate and compile budget.
#[derive(Debug)]
struct TenantState {
    gate: Arc<Gate>,
    budget: Arc<CompileBudget>,
}

/// Every tenant's plugins. `Send + Sync`: share it across threads.
#[derive(Debug)]
pub struct Registry {
    runtime: Arc<Runtime>,
    tenants: RwLock<HashMap<String, Arc<TenantPlugins>>>,
    state: Mutex<HashMap<String, TenantState>>,
    none: TenantPlugins,
}

impl Registry {
    /// An empty registry over a runtime.
    pub fn new(runtime: Arc<Runtime>) -> Self {
        let none = TenantPlugins::empty(Party::Host, Arc::new(Gate::new(1)));
        Registry {
            runtime,
            tenants: RwLock::new(HashMap::new()),
            state: Mutex::new(HashMap::new()),
            none,
        }
    }

    /// The runtime this registry runs plugins on.
    pub fn runtime(&self) -> &Arc<Runtime> {
        &self.runtime
    }

    fn tenant_state(&self, tenant: &str) -> (Arc<Gate>, Arc<CompileBudget>) {
        let config = self.runtime.config();
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let st = state
            .entry(tenant.to_owned())
            .or_insert_with(|| TenantState {
                gate: Arc::new(Gate::new(config.max_instances_per_tenant)),
                budget: Arc::new(CompileBudget::new(config.compiles_per_minute)),
            });
        (Arc::clone(&st.gate), Arc::clone(&st.budget))
    }

    /// Loads (or replaces) a tenant's plugins, in the order given. Everything is compiled
    /// and checked first; then the tenant's set is swapped in one step, so decisions in
    /// flight finish with the old set and later ones use the new set. On error nothing
    /// changes.
    ///
    /// Components not in the compile cache count against the tenant's compile budget
    /// ([`RuntimeConfig::compiles_per_minute`](super::RuntimeConfig::compiles_per_minute)).
    /// Names are unique within the tenant.
    ///
    /// # Errors
    /// The first plugin's [`LoadError`], invalid settings, a duplicate name, or the
    /// compile budget spent ([`LoadError::CompileRateLimited`]).
    pub fn load(
        &self,
        tenant: &str,
        settings: TenantSettings,
        plugins: Vec<PluginSpec>,
    ) -> Result<Vec<PluginStatus>, LoadError> {
        let (gate, budget) = self.tenant_state(tenant);
        let set = Arc::new(TenantPlugins::compile(
            &self.runtime,
            Party::Tenant(Arc::from(tenant)),
            settings,
            plugins,
            gate,
            &budget,
        )?);
        let status = set.status();
        self.tenants
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(tenant.to_owned(), set);
        Ok(status)
    }

    /// Unloads a tenant's plugins; `false` when it had none.
    pub fn unload(&self, tenant: &str) -> bool {
        self.tenants
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(tenant)
            .is_some()
    }

    /// A tenant's plugins, with content hash, interface version and breaker state; `None`
    /// for an unknown tenant.
    pub fn list(&self, tenant: &str) -> Option<Vec<PluginStatus>> {
        self.snapshot(tenant).map(|s| s.status())
    }

    /// The tenants with plugins, sorted.
    pub fn tenants(&self) -> Vec<String> {
        let mut t: Vec<String> = self
            .tenants
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect();
        t.sort();
        t
    }

    /// The tenant's current set (what a decision starting now would use).
    pub fn snapshot(&self, tenant: &str) -> Option<Arc<TenantPlugins>> {
        self.tenants
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(tenant)
            .cloned()
    }

    /// Decides a request for a tenant: the core, then the tenant's plugins (none for an
    /// unknown tenant). See [`TenantPlugins::evaluate`].
    ///
    /// # Errors
    /// As [`TenantPlugins::evaluate`].
    pub fn evaluate(&self, tenant: &str, request: &Value) -> Result<Value, EvaluateError> {
        match self.snapshot(tenant) {
            Some(set) => set.evaluate(&self.runtime, request),
            None => self.none.evaluate(&self.runtime, request),
        }
    }
}

fn obj(v: Option<&Value>) -> Map<String, Value> {
    match v {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    }
}

fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

fn json_text(v: Option<&Value>) -> String {
    v.map_or_else(|| "null".to_owned(), Value::to_string)
}

/// What wasmtime lifted out of the guest, as [`check_violations`] takes it.
fn raw_violations(vs: Vec<Violation>) -> Vec<RawViolation> {
    vs.into_iter()
        .map(|v| RawViolation {
            code: v.code,
            path: v
                .path
                .into_iter()
                .map(|p| match p {
                    PathPart::Key(k) => RawPathPart::Key(k),
                    PathPart::Index(i) => RawPathPart::Index(i),
                })
                .collect(),
            error: matches!(v.severity, WitSeverity::Error),
            message: v.message,
            params_json: v.params_json,
        })
        .collect()
}

/// What wasmtime lifted out of the guest, as [`check_verdict`] takes it.
fn raw_verdict(v: Verdict) -> RawVerdict {
    match v {
        Verdict::Allow => RawVerdict::Allow,
        Verdict::Deny(d) => RawVerdict::Deny {
            code: d.code,
            message: d.message,
        },
    }
}

/// The deny a fault puts in a decision (fail-closed).
fn fault_denial(plugin: &ActivePlugin, fault: &Fault) -> Denial {
    Denial {
        kind: DenyKind::NotPermitted,
        code: Cow::Borrowed("plugin_fault"),
        message: Text::from(format!("plugin `{}` failed: {fault}", plugin.source.plugin)),
        rule: Some(Name::new(&plugin.source.rule())),
        hint: None,
        params: plugin.source.params(Some(fault.code())),
    }
}

impl TenantPlugins {
    fn empty(party: Party, gate: Arc<Gate>) -> Self {
        TenantPlugins {
            party,
            settings: TenantSettings::default(),
            plugins: Vec::new(),
            gate,
            policies: Mutex::new(HashMap::new()),
        }
    }

    fn compile(
        runtime: &Runtime,
        party: Party,
        settings: TenantSettings,
        specs: Vec<PluginSpec>,
        gate: Arc<Gate>,
        budget: &CompileBudget,
    ) -> Result<Self, LoadError> {
        settings.check()?;
        let mut plugins: Vec<ActivePlugin> = Vec::with_capacity(specs.len());
        for spec in specs {
            let compiled = runtime.compile_with(
                &spec.wasm,
                &settings.limits,
                party.clone(),
                Some(&gate),
                || budget.take(),
            )?;
            if plugins.iter().any(|p| p.source.plugin == compiled.name()) {
                return Err(LoadError::DuplicateName {
                    name: compiled.name().to_owned(),
                });
            }
            plugins.push(ActivePlugin {
                source: Source {
                    plugin: compiled.name().to_owned(),
                    version: compiled.version().to_owned(),
                    hash: compiled.hash().to_string(),
                },
                compiled,
                config: spec.config.to_string(),
                faults: AtomicU32::new(0),
                disabled: AtomicBool::new(false),
            });
        }
        Ok(TenantPlugins {
            party,
            settings,
            plugins,
            gate,
            policies: Mutex::new(HashMap::new()),
        })
    }

    /// The settings of this set.
    pub fn settings(&self) -> &TenantSettings {
        &self.settings
    }

    /// The status of each plugin, in order.
    pub fn status(&self) -> Vec<PluginStatus> {
        self.plugins
            .iter()
            .map(|p| PluginStatus {
                name: p.compiled.name().to_owned(),
                version: p.compiled.version().to_owned(),
                hash: p.compiled.hash().to_string(),
                interface: p.compiled.interface().to_owned(),
                size: p.compiled.size(),
                disabled: p.disabled.load(Ordering::Relaxed),
                consecutive_faults: p.faults.load(Ordering::Relaxed),
            })
            .collect()
    }

    /// The compiled policy of a request: from this tenant's cache (keyed by the preset's
    /// name or the SHA-256 of the document) or compiled once and kept.
    fn policy(&self, req: &Request) -> Result<Arc<Policy>, EvaluateError> {
        let key = match (&req.preset, &req.policy) {
            (Some(name), None) => PolicyKey::Preset(name.clone()),
            (None, Some(doc)) => {
                let bytes = serde_json::to_vec(doc).map_err(|e| EvaluateError::Input {
                    path: "policy",
                    reason: e.to_string(),
                })?;
                PolicyKey::Document(Sha256::digest(&bytes).into())
            }
            _ => {
                return Ok(Arc::new(api::load_policy(
                    req.preset.as_deref(),
                    req.policy.as_ref(),
                )?));
            }
        };
        if let Some(p) = self
            .policies
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return Ok(Arc::clone(p));
        }
        let policy = Arc::new(api::load_policy(
            req.preset.as_deref(),
            req.policy.as_ref(),
        )?);
        let mut cache = self.policies.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= POLICY_CACHE_CAPACITY {
            cache.clear();
        }
        cache.insert(key, Arc::clone(&policy));
        Ok(policy)
    }

    /// How many compiled policies this tenant keeps now.
    pub fn cached_policies(&self) -> usize {
        self.policies
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Decides a request: the core (`warden_core::api::evaluate_with`, with this tenant's
    /// compiled policy), then the hook of each plugin for `validate`, `authorize` and
    /// `transition` (other operations have no hooks and return the core's decision
    /// unchanged). The request may carry `pluginFacts`, a JSON object passed to the
    /// plugins as facts (and removed before the core sees the request).
    ///
    /// The decision is the core's, narrowed by the plugins, plus a `plugins` list (one
    /// report per plugin: name, version, hash, hook, outcome, fuel used, ...) when the
    /// tenant has plugins.
    ///
    /// # Errors
    /// [`EvaluateError`] when the core refuses the request or `pluginFacts` is not an
    /// object. Plugin faults are never errors: they are part of the decision.
    pub fn evaluate(&self, runtime: &Runtime, request: &Value) -> Result<Value, EvaluateError> {
        let mut req = request.clone();
        let mut plugin_facts = Map::new();
        if let Value::Object(m) = &mut req {
            match m.remove("pluginFacts") {
                None | Some(Value::Null) => {}
                Some(Value::Object(f)) => plugin_facts = f,
                Some(_) => {
                    return Err(EvaluateError::Input {
                        path: "pluginFacts",
                        reason: "expected an object".into(),
                    });
                }
            }
        }
        let req: Request = api::parse_value("", req)?;
        api::check_contract(req.contract)?;
        let policy = self.policy(&req)?;
        if self.plugins.is_empty() {
            return Ok(api::evaluate_with(&policy, req.op, req.lang, req.input)?);
        }
        // The core's typed decision, composed with the plugins' verdicts, then answered in
        // the contract's response shape.
        fn core<I: Operation>(policy: &Policy, req: &Request) -> Result<I::Output, EvaluateError> {
            let input: I = api::parse_value("input", req.input.clone())?;
            Ok(input.run(policy, req.lang)?)
        }
        let input = &req.input;
        let composed = match req.op {
            Op::Validate => {
                let d = core::<api::ValidateInput>(&policy, &req)?;
                api::to_response(&self.validate(runtime, input, plugin_facts, d))
            }
            Op::Authorize => {
                let d = core::<api::AuthorizeInput>(&policy, &req)?;
                api::to_response(&self.authorize(runtime, input, plugin_facts, d))
            }
            Op::Transition => {
                let d = core::<api::TransitionInput>(&policy, &req)?;
                api::to_response(&self.transition(runtime, input, plugin_facts, d))
            }
            _ => return Ok(api::evaluate_with(&policy, req.op, req.lang, req.input)?),
        };
        Ok(composed?)
    }

    /// Runs one hook of one plugin: the breaker, the input cap, admission (a running slot
    /// of the fair CPU gate, an instance slot of the tenant's and of the process's, within
    /// the queue wait), the call, then `check` (the output's limits and conversion).
    fn run<R, O>(
        &self,
        runtime: &Runtime,
        plugin: &ActivePlugin,
        input_bytes: usize,
        call: impl FnOnce(
            &mut wasmtime::Store<super::runtime::StoreData>,
            &super::bindings::Plugin,
        ) -> wasmtime::Result<Result<R, String>>,
        check: impl FnOnce(R) -> Result<(O, usize), Fault>,
    ) -> (Result<O, Fault>, CallStats) {
        let limits = &self.settings.limits;
        let threshold = self.settings.breaker_threshold;
        if plugin.disabled.load(Ordering::Relaxed) {
            let faults = plugin.faults.load(Ordering::Relaxed);
            return (Err(Fault::Disabled { faults }), CallStats::default());
        }
        if input_bytes > limits.max_input_bytes {
            let fault = Fault::InputTooLarge {
                size: input_bytes,
                limit: limits.max_input_bytes,
            };
            plugin.record(Err(&fault), threshold);
            return (Err(fault), CallStats::default());
        }
        let queued = std::time::Instant::now();
        let waited = || u64::try_from(queued.elapsed().as_micros()).unwrap_or(u64::MAX);
        let (result, mut stats) = match runtime.admit(&self.party, Some(&self.gate)) {
            Ok(_admitted) => {
                let queue_micros = waited();
                let (result, stats) = runtime.call(plugin.compiled.pre(), limits, call);
                (
                    result,
                    CallStats {
                        queue_micros,
                        ..stats
                    },
                )
            }
            // Not admitted: the host's overload, never counted (`record` skips it).
            Err(f) => {
                let stats = CallStats {
                    queue_micros: waited(),
                    ..CallStats::default()
                };
                return (Err(f), stats);
            }
        };
        let result = match result {
            Ok(Ok(r)) => check(r).map(|(o, bytes)| {
                stats.output_bytes = bytes;
                o
            }),
            Ok(Err(message)) => {
                stats.output_bytes = message.len();
                if message.len() > limits.max_output_bytes {
                    Err(too_large(message.len(), limits))
                } else {
                    Err(Fault::PluginError {
                        message: plugin_text(&message, 1024),
                    })
                }
            }
            Err(f) => Err(f),
        };
        plugin.record(result.as_ref().map(|_| ()), threshold);
        (result, stats)
    }

    fn report(
        plugin: &ActivePlugin,
        hook: Hook,
        outcome: &'static str,
        stats: CallStats,
        fault: Option<(&Fault, FailurePolicy)>,
    ) -> PluginReport {
        PluginReport {
            source: plugin.source.clone(),
            hook,
            outcome,
            fuel_used: stats.fuel_used,
            peak_memory: stats.peak_memory,
            output_bytes: stats.output_bytes,
            micros: stats.micros,
            cpu_micros: stats.cpu_micros,
            queue_micros: stats.queue_micros,
            error: fault.map(|(f, policy)| ReportError {
                code: f.code(),
                message: f.to_string(),
                failure_policy: effective(policy, f),
                plugin_message: match f {
                    Fault::PluginError { message } => Some(message.clone()),
                    _ => None,
                },
            }),
            log: stats.log,
            log_dropped: stats.log_dropped,
        }
    }

    fn validate(
        &self,
        runtime: &Runtime,
        input: &Value,
        plugin_facts: Map<String, Value>,
        decision: ValidationDecision,
    ) -> ComposedValidation {
        let mut facts = obj(input.get("facts"));
        facts.extend(plugin_facts);
        let base = ValidateInput {
            user: json_text(input.get("user")),
            mode: input
                .get("mode")
                .and_then(Value::as_str)
                .unwrap_or("create")
                .to_owned(),
            today: text(input.get("today")),
            facts: Value::Object(facts).to_string(),
            core_decision: serde_json::to_string(&decision).unwrap_or_default(),
            config: String::new(),
        };
        // Every field of the core's decision, by name: a field the core adds is a compile
        // error here, not a key silently dropped.
        let ValidationDecision {
            mut valid,
            complete,
            policy: policy_hash,
            violations,
            checks,
            normalized,
            password,
        } = decision;
        let mut violations: Vec<AnyViolation> =
            violations.into_iter().map(AnyViolation::Core).collect();
        let policy = self.settings.failure_policy.validate;
        let limits = &self.settings.limits;
        let mut reports = Vec::with_capacity(self.plugins.len());
        for plugin in &self.plugins {
            let vi = ValidateInput {
                config: plugin.config.clone(),
                ..base.clone()
            };
            let bytes = vi.user.len()
                + vi.mode.len()
                + vi.today.len()
                + vi.facts.len()
                + vi.core_decision.len()
                + vi.config.len();
            let (result, stats) = self.run(
                runtime,
                plugin,
                bytes,
                |store, p| p.warden_policy_hooks().call_validate_user(store, &vi),
                |vs| check_violations(raw_violations(vs), &plugin.source, limits),
            );
            match result {
                Ok(vs) => {
                    let outcome = if vs.is_empty() { "ok" } else { "violations" };
                    if vs.iter().any(|v| v.severity == Severity::Error) {
                        valid = false;
                    }
                    violations.extend(vs.into_iter().map(AnyViolation::Plugin));
                    reports.push(Self::report(
                        plugin,
                        Hook::ValidateUser,
                        outcome,
                        stats,
                        None,
                    ));
                }
                Err(fault) => {
                    if effective(policy, &fault) == FailurePolicy::Closed {
                        valid = false;
                        let mut params = Map::new();
                        params.insert("error".into(), Value::from(fault.code()));
                        violations.push(AnyViolation::Plugin(PluginViolation {
                            code: "plugin_fault".into(),
                            path: Vec::new(),
                            severity: Severity::Error,
                            message: format!("plugin `{}` failed: {fault}", plugin.source.plugin),
                            params,
                            source: plugin.source.clone(),
                        }));
                    }
                    reports.push(Self::report(
                        plugin,
                        Hook::ValidateUser,
                        outcome_of(&fault),
                        stats,
                        Some((&fault, policy)),
                    ));
                }
            }
        }
        ComposedValidation {
            valid,
            complete,
            policy: policy_hash,
            violations,
            checks,
            normalized,
            password,
            plugins: reports,
        }
    }

    fn authorize(
        &self,
        runtime: &Runtime,
        input: &Value,
        plugin_facts: Map<String, Value>,
        decision: AuthzDecision,
    ) -> Composed<AuthzDecision> {
        let base = AuthorizeInput {
            actor: json_text(input.get("actor")),
            action: text(input.get("action")),
            target: json_text(input.get("target")),
            change: json_text(input.get("change")),
            now: text(input.get("now")),
            facts: Value::Object(plugin_facts).to_string(),
            core_decision: serde_json::to_string(&decision).unwrap_or_default(),
            config: String::new(),
        };
        let size = |i: &AuthorizeInput| {
            i.actor.len()
                + i.action.len()
                + i.target.len()
                + i.change.len()
                + i.now.len()
                + i.facts.len()
                + i.core_decision.len()
                + i.config.len()
        };
        self.verdict_hooks(
            runtime,
            Hook::Authorize,
            self.settings.failure_policy.authorize,
            decision,
            |config| AuthorizeInput {
                config,
                ..base.clone()
            },
            size,
            |store, p, i| p.warden_policy_hooks().call_authorize(store, i),
        )
    }

    fn transition(
        &self,
        runtime: &Runtime,
        input: &Value,
        plugin_facts: Map<String, Value>,
        decision: TransitionDecision,
    ) -> Composed<TransitionDecision> {
        let mut facts = obj(input.get("facts"));
        facts.extend(plugin_facts);
        let base = TransitionInput {
            actor: json_text(input.get("actor")),
            target: json_text(input.get("target")),
            to: text(input.get("to")),
            reason: input
                .get("reason")
                .and_then(Value::as_str)
                .map(str::to_owned),
            now: text(input.get("now")),
            facts: Value::Object(facts).to_string(),
            core_decision: serde_json::to_string(&decision).unwrap_or_default(),
            config: String::new(),
        };
        let size = |i: &TransitionInput| {
            i.actor.len()
                + i.target.len()
                + i.to.len()
                + i.reason.as_ref().map_or(0, String::len)
                + i.now.len()
                + i.facts.len()
                + i.core_decision.len()
                + i.config.len()
        };
        self.verdict_hooks(
            runtime,
            Hook::Transition,
            self.settings.failure_policy.transition,
            decision,
            |config| TransitionInput {
                config,
                ..base.clone()
            },
            size,
            |store, p, i| p.warden_policy_hooks().call_transition(store, i),
        )
    }

    /// Runs a verdict hook (authorize, transition) of every plugin in order, narrowing
    /// the decision with each deny (or fault, fail-closed), and reports each plugin.
    #[allow(clippy::too_many_arguments)]
    fn verdict_hooks<I, D: Narrow>(
        &self,
        runtime: &Runtime,
        hook: Hook,
        policy: FailurePolicy,
        mut decision: D,
        input: impl Fn(String) -> I,
        size: impl Fn(&I) -> usize,
        call: impl Fn(
            &mut wasmtime::Store<super::runtime::StoreData>,
            &super::bindings::Plugin,
            &I,
        ) -> wasmtime::Result<Result<Verdict, String>>,
    ) -> Composed<D> {
        let limits = &self.settings.limits;
        let mut reports = Vec::with_capacity(self.plugins.len());
        for plugin in &self.plugins {
            let i = input(plugin.config.clone());
            let (result, stats) = self.run(
                runtime,
                plugin,
                size(&i),
                |store, p| call(store, p, &i),
                |v| check_verdict(raw_verdict(v), &plugin.source, limits),
            );
            let (outcome, fault, denial) = match result {
                Ok(None) => ("allow", None, None),
                Ok(Some(d)) => ("deny", None, Some(d)),
                Err(f) => {
                    let denial = (effective(policy, &f) == FailurePolicy::Closed)
                        .then(|| fault_denial(plugin, &f));
                    (outcome_of(&f), Some(f), denial)
                }
            };
            if let Some(d) = denial
                && decision.allowed()
            {
                decision.deny(d, &plugin.source.plugin);
            }
            reports.push(Self::report(
                plugin,
                hook,
                outcome,
                stats,
                fault.as_ref().map(|f| (f, policy)),
            ));
        }
        Composed {
            decision,
            plugins: reports,
        }
    }
}

/// The failure policy a fault is handled under: the tenant's, except that a host fault
/// always fails closed (never a silent skip of the tenant's rule).
fn effective(policy: FailurePolicy, fault: &Fault) -> FailurePolicy {
    if fault.is_host() {
        FailurePolicy::Closed
    } else {
        policy
    }
}

fn outcome_of(fault: &Fault) -> &'static str {
    if matches!(fault, Fault::Disabled { .. }) {
        "disabled"
    } else {
        "fault"
    }
}
