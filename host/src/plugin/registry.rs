//! The per-tenant registry and the composition of a decision: the core, then each plugin.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::bindings::warden::policy::types::{
    AuthorizeInput, PathPart, Severity, TransitionInput, ValidateInput, Verdict, Violation,
};
use super::error::{EvaluateError, Fault, LoadError};
use super::limits::{FailurePolicy, TenantSettings};
use super::runtime::{CallStats, CompiledPlugin, Runtime, clip};

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

/// A plugin as a tenant has it loaded: shared compilation, own configuration, own
/// circuit breaker.
struct ActivePlugin {
    compiled: Arc<CompiledPlugin>,
    config: String,
    faults: AtomicU32,
    disabled: AtomicBool,
}

impl ActivePlugin {
    /// Counts a call's outcome for the circuit breaker.
    fn record(&self, ok: bool, threshold: u32) {
        if ok {
            self.faults.store(0, Ordering::Relaxed);
        } else {
            let n = self
                .faults
                .fetch_add(1, Ordering::Relaxed)
                .saturating_add(1);
            if n >= threshold {
                self.disabled.store(true, Ordering::Relaxed);
            }
        }
    }

    fn source(&self) -> Value {
        json!({
            "plugin": self.compiled.name(),
            "version": self.compiled.version(),
            "hash": self.compiled.hash().to_string(),
        })
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

/// One tenant's plugins and settings: an immutable snapshot, swapped whole.
pub struct TenantPlugins {
    settings: TenantSettings,
    plugins: Vec<ActivePlugin>,
}

impl std::fmt::Debug for TenantPlugins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantPlugins")
            .field("settings", &self.settings)
            .field("plugins", &self.plugins.len())
            .finish()
    }
}

/// Every tenant's plugins. `Send + Sync`: share it across threads.
#[derive(Debug)]
pub struct Registry {
    runtime: Arc<Runtime>,
    tenants: RwLock<HashMap<String, Arc<TenantPlugins>>>,
}

impl Registry {
    /// An empty registry over a runtime.
    pub fn new(runtime: Arc<Runtime>) -> Self {
        Registry {
            runtime,
            tenants: RwLock::new(HashMap::new()),
        }
    }

    /// Loads (or replaces) a tenant's plugins, in the order given. Everything is compiled
    /// and checked first; then the tenant's set is swapped in one step, so decisions in
    /// flight finish with the old set and later ones use the new set. On error nothing
    /// changes.
    ///
    /// # Errors
    /// The first plugin's [`LoadError`], or invalid settings.
    pub fn load(
        &self,
        tenant: &str,
        settings: TenantSettings,
        plugins: Vec<PluginSpec>,
    ) -> Result<Vec<PluginStatus>, LoadError> {
        let set = Arc::new(TenantPlugins::compile(&self.runtime, settings, plugins)?);
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
            None => TenantPlugins::empty().evaluate(&self.runtime, request),
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

/// A stable code: `[a-z][a-z0-9_]*`, at most 64 bytes.
fn valid_code(code: &str) -> bool {
    let mut chars = code.chars();
    code.len() <= 64
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A plugin violation as decision JSON, checked.
fn violation_json(v: Violation, source: &Value) -> Result<(Value, bool), Fault> {
    if !valid_code(&v.code) {
        return Err(Fault::InvalidOutput {
            reason: format!(
                "`{}` is not a code ([a-z][a-z0-9_]*, at most 64 bytes)",
                clip(v.code, 64)
            ),
        });
    }
    let params: Value = serde_json::from_str(&v.params_json).map_err(|e| Fault::InvalidOutput {
        reason: format!("the params of `{}` are not JSON: {e}", v.code),
    })?;
    let Value::Object(params) = params else {
        return Err(Fault::InvalidOutput {
            reason: format!("the params of `{}` are not a JSON object", v.code),
        });
    };
    let path: Vec<Value> = v
        .path
        .into_iter()
        .map(|p| match p {
            PathPart::Key(k) => Value::String(k),
            PathPart::Index(i) => Value::from(i),
        })
        .collect();
    let error = matches!(v.severity, Severity::Error);
    let mut out = Map::new();
    out.insert("code".into(), Value::String(v.code));
    out.insert("path".into(), Value::Array(path));
    out.insert(
        "severity".into(),
        Value::from(if error { "error" } else { "warning" }),
    );
    out.insert("message".into(), Value::String(v.message));
    if !params.is_empty() {
        out.insert("params".into(), Value::Object(params));
    }
    out.insert("source".into(), source.clone());
    Ok((Value::Object(out), error))
}

fn violations_size(vs: &[Violation]) -> usize {
    vs.iter()
        .map(|v| {
            v.code.len()
                + v.message.len()
                + v.params_json.len()
                + v.path
                    .iter()
                    .map(|p| match p {
                        PathPart::Key(k) => k.len(),
                        PathPart::Index(_) => 4,
                    })
                    .sum::<usize>()
        })
        .sum()
}

fn verdict_size(v: &Verdict) -> usize {
    match v {
        Verdict::Allow => 0,
        Verdict::Deny(d) => d.code.len() + d.message.len(),
    }
}

/// The deny a fault or a plugin's deny puts in a decision.
fn deny_json(
    kind: &str,
    code: &str,
    message: &str,
    plugin: &ActivePlugin,
    error: Option<&str>,
) -> Value {
    let mut params = obj(Some(&plugin.source()));
    if let Some(e) = error {
        params.insert("error".into(), Value::from(e));
    }
    json!({
        "kind": kind,
        "code": code,
        "message": message,
        "rule": format!("plugin:{}@{}", plugin.compiled.name(), plugin.compiled.version()),
        "params": params,
    })
}

impl TenantPlugins {
    fn empty() -> Self {
        TenantPlugins {
            settings: TenantSettings::default(),
            plugins: Vec::new(),
        }
    }

    fn compile(
        runtime: &Runtime,
        settings: TenantSettings,
        specs: Vec<PluginSpec>,
    ) -> Result<Self, LoadError> {
        settings.check()?;
        let mut plugins = Vec::with_capacity(specs.len());
        for spec in specs {
            let compiled = runtime.compile(&spec.wasm, &settings.limits)?;
            plugins.push(ActivePlugin {
                compiled,
                config: spec.config.to_string(),
                faults: AtomicU32::new(0),
                disabled: AtomicBool::new(false),
            });
        }
        Ok(TenantPlugins { settings, plugins })
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

    /// Decides a request: `warden_core::api::evaluate`, then the hook of each plugin for
    /// `validate`, `authorize` and `transition` (other operations have no hooks and return
    /// the core's decision unchanged). The request may carry `pluginFacts`, a JSON object
    /// passed to the plugins as facts (and removed before the core sees the request).
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
        let mut decision = warden_core::api::evaluate(&req)?;
        if self.plugins.is_empty() {
            return Ok(decision);
        }
        let op = req.get("op").and_then(Value::as_str).unwrap_or("");
        let input = req.get("input").cloned().unwrap_or(Value::Null);
        let reports = match (op, &mut decision) {
            ("validate", Value::Object(d)) => self.validate(runtime, &input, plugin_facts, d),
            ("authorize", Value::Object(d)) => self.authorize(runtime, &input, plugin_facts, d),
            ("transition", Value::Object(d)) => self.transition(runtime, &input, plugin_facts, d),
            _ => return Ok(decision),
        };
        if let Value::Object(d) = &mut decision {
            d.insert("plugins".into(), Value::Array(reports));
        }
        Ok(decision)
    }

    /// Runs one hook of one plugin with the breaker, the input cap and an output check.
    fn run<R>(
        &self,
        runtime: &Runtime,
        plugin: &ActivePlugin,
        input_bytes: usize,
        call: impl FnOnce(
            &mut wasmtime::Store<super::runtime::StoreData>,
            &super::bindings::Plugin,
        ) -> wasmtime::Result<Result<R, String>>,
        size: impl Fn(&R) -> usize,
    ) -> (Result<R, Fault>, CallStats) {
        let limits = &self.settings.limits;
        if plugin.disabled.load(Ordering::Relaxed) {
            let faults = plugin.faults.load(Ordering::Relaxed);
            return (Err(Fault::Disabled { faults }), CallStats::default());
        }
        if input_bytes > limits.max_input_bytes {
            plugin.record(false, self.settings.breaker_threshold);
            let fault = Fault::InputTooLarge {
                size: input_bytes,
                limit: limits.max_input_bytes,
            };
            return (Err(fault), CallStats::default());
        }
        let (result, mut stats) = runtime.call(plugin.compiled.pre(), limits, call);
        let result = match result {
            Ok(Ok(r)) => {
                stats.output_bytes = size(&r);
                Ok(r)
            }
            Ok(Err(message)) => {
                stats.output_bytes = message.len();
                Err(Fault::PluginError {
                    message: clip(message, 1024),
                })
            }
            Err(f) => Err(f),
        };
        let result = match result {
            Ok(_) | Err(Fault::PluginError { .. })
                if stats.output_bytes > limits.max_output_bytes =>
            {
                Err(Fault::OutputTooLarge {
                    size: stats.output_bytes,
                    limit: limits.max_output_bytes,
                })
            }
            other => other,
        };
        plugin.record(result.is_ok(), self.settings.breaker_threshold);
        (result, stats)
    }

    fn report(
        plugin: &ActivePlugin,
        hook: Hook,
        outcome: &str,
        stats: CallStats,
        fault: Option<(&Fault, FailurePolicy)>,
    ) -> Value {
        let mut r = obj(Some(&plugin.source()));
        r.insert("hook".into(), json!(hook));
        r.insert("outcome".into(), Value::from(outcome));
        r.insert("fuelUsed".into(), Value::from(stats.fuel_used));
        r.insert("peakMemory".into(), Value::from(stats.peak_memory));
        r.insert("outputBytes".into(), Value::from(stats.output_bytes));
        r.insert("micros".into(), Value::from(stats.micros));
        if let Some((f, policy)) = fault {
            r.insert(
                "error".into(),
                json!({"code": f.code(), "message": f.to_string(), "failurePolicy": policy}),
            );
        }
        if !stats.log.is_empty() {
            r.insert("log".into(), json!(stats.log));
        }
        if stats.log_dropped > 0 {
            r.insert("logDropped".into(), Value::from(stats.log_dropped));
        }
        Value::Object(r)
    }

    fn validate(
        &self,
        runtime: &Runtime,
        input: &Value,
        plugin_facts: Map<String, Value>,
        decision: &mut Map<String, Value>,
    ) -> Vec<Value> {
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
            core_decision: Value::Object(decision.clone()).to_string(),
            config: String::new(),
        };
        let policy = self.settings.failure_policy.validate;
        let mut added: Vec<Value> = Vec::new();
        let mut invalid = false;
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
                |v| violations_size(v),
            );
            let source = plugin.source();
            let checked = result.and_then(|vs| {
                vs.into_iter()
                    .map(|v| violation_json(v, &source))
                    .collect::<Result<Vec<_>, Fault>>()
            });
            match checked {
                Ok(vs) => {
                    let outcome = if vs.is_empty() { "ok" } else { "violations" };
                    invalid |= vs.iter().any(|(_, error)| *error);
                    added.extend(vs.into_iter().map(|(v, _)| v));
                    reports.push(Self::report(
                        plugin,
                        Hook::ValidateUser,
                        outcome,
                        stats,
                        None,
                    ));
                }
                Err(fault) => {
                    if policy == FailurePolicy::Closed {
                        invalid = true;
                        let mut v = json!({
                            "code": "plugin_fault",
                            "path": [],
                            "severity": "error",
                            "message": format!("plugin `{}` failed: {fault}", plugin.compiled.name()),
                            "params": {"error": fault.code()},
                        });
                        if let Value::Object(m) = &mut v {
                            m.insert("source".into(), source.clone());
                        }
                        added.push(v);
                    }
                    let outcome = if matches!(fault, Fault::Disabled { .. }) {
                        "disabled"
                    } else {
                        "fault"
                    };
                    reports.push(Self::report(
                        plugin,
                        Hook::ValidateUser,
                        outcome,
                        stats,
                        Some((&fault, policy)),
                    ));
                }
            }
        }
        if let Some(Value::Array(vs)) = decision.get_mut("violations") {
            vs.extend(added);
        }
        if invalid {
            decision.insert("valid".into(), Value::Bool(false));
        }
        reports
    }

    /// Applies a verdict or a fault to an allow/deny decision; returns the outcome name.
    fn narrow(
        &self,
        plugin: &ActivePlugin,
        result: Result<Verdict, Fault>,
        policy: FailurePolicy,
        decision: &mut Map<String, Value>,
        transition: bool,
    ) -> (&'static str, Option<Fault>) {
        let deny = match &result {
            Ok(Verdict::Allow) => None,
            Ok(Verdict::Deny(d)) => {
                if !valid_code(&d.code) {
                    let f = Fault::InvalidOutput {
                        reason: format!(
                            "`{}` is not a code ([a-z][a-z0-9_]*, at most 64 bytes)",
                            clip(d.code.clone(), 64)
                        ),
                    };
                    return self.narrow(plugin, Err(f), policy, decision, transition);
                }
                Some(deny_json("forbidden", &d.code, &d.message, plugin, None))
            }
            Err(f) if policy == FailurePolicy::Closed => Some(deny_json(
                "notPermitted",
                "plugin_fault",
                &format!("plugin `{}` failed: {f}", plugin.compiled.name()),
                plugin,
                Some(f.code()),
            )),
            Err(_) => None,
        };
        if let Some(deny) = deny
            && decision.get("decision").and_then(Value::as_str) == Some("allow")
        {
            decision.insert("decision".into(), Value::from("deny"));
            decision.insert("deny".into(), deny);
            decision.insert(
                "reason".into(),
                Value::from(format!("plugin:{}", plugin.compiled.name())),
            );
            decision.remove("scope");
            if transition {
                decision.insert("obligations".into(), Value::Array(Vec::new()));
                decision.remove("until");
            }
        }
        match result {
            Ok(Verdict::Allow) => ("allow", None),
            Ok(Verdict::Deny(_)) => ("deny", None),
            Err(f @ Fault::Disabled { .. }) => ("disabled", Some(f)),
            Err(f) => ("fault", Some(f)),
        }
    }

    fn authorize(
        &self,
        runtime: &Runtime,
        input: &Value,
        plugin_facts: Map<String, Value>,
        decision: &mut Map<String, Value>,
    ) -> Vec<Value> {
        let policy = self.settings.failure_policy.authorize;
        let base = AuthorizeInput {
            actor: json_text(input.get("actor")),
            action: text(input.get("action")),
            target: json_text(input.get("target")),
            change: json_text(input.get("change")),
            now: text(input.get("now")),
            facts: Value::Object(plugin_facts).to_string(),
            core_decision: Value::Object(decision.clone()).to_string(),
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
            policy,
            decision,
            false,
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
        decision: &mut Map<String, Value>,
    ) -> Vec<Value> {
        let policy = self.settings.failure_policy.transition;
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
            core_decision: Value::Object(decision.clone()).to_string(),
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
            policy,
            decision,
            true,
            |config| TransitionInput {
                config,
                ..base.clone()
            },
            size,
            |store, p, i| p.warden_policy_hooks().call_transition(store, i),
        )
    }

    /// Runs a verdict hook (authorize, transition) of every plugin in order, narrowing
    /// `decision` with each verdict, and returns one report per plugin.
    #[allow(clippy::too_many_arguments)]
    fn verdict_hooks<I>(
        &self,
        runtime: &Runtime,
        hook: Hook,
        policy: FailurePolicy,
        decision: &mut Map<String, Value>,
        transition: bool,
        input: impl Fn(String) -> I,
        size: impl Fn(&I) -> usize,
        call: impl Fn(
            &mut wasmtime::Store<super::runtime::StoreData>,
            &super::bindings::Plugin,
            &I,
        ) -> wasmtime::Result<Result<Verdict, String>>,
    ) -> Vec<Value> {
        let mut reports = Vec::with_capacity(self.plugins.len());
        for plugin in &self.plugins {
            let i = input(plugin.config.clone());
            let (result, stats) = self.run(
                runtime,
                plugin,
                size(&i),
                |store, p| call(store, p, &i),
                verdict_size,
            );
            let (outcome, fault) = self.narrow(plugin, result, policy, decision, transition);
            reports.push(Self::report(
                plugin,
                hook,
                outcome,
                stats,
                fault.as_ref().map(|f| (f, policy)),
            ));
        }
        reports
    }
}
