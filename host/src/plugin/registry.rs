//! The per-tenant registry and the composition of a decision: the core, then each plugin.
//!
//! Composition is typed: the core's decision is a `warden_core` value
//! ([`ValidationDecision`], [`AuthzDecision`], [`TransitionDecision`]) and a plugin can
//! only add [`PluginViolation`]s to it or replace an allow by a [`Denial`]; the JSON is
//! written once, at the end. Each tenant keeps its compiled [`Policy`] per policy version
//! (the document itself, found by its hash and compared whole, or the preset's name), so a
//! decision does not compile the policy again, nor copy or serialise its document. A
//! caller that keeps its policies compiled (the server keeps each tenant's) skips even
//! that: [`Registry::decide`] takes the policy by reference and the input typed by
//! operation ([`Call`]), and costs the core's own decision plus the tenant's lookup.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use warden_core::access::AuthzDecision;
use warden_core::api::{self, Op, Operation, Request};
use warden_core::decision::{Decision, Denial, DenyKind, Name, Text};
use warden_core::import;
use warden_core::lifecycle::TransitionDecision;
use warden_core::validate::{Check, PasswordSummary};
use warden_core::{Lang, Policy, Severity, ValidationDecision, Violation as CoreViolation};

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
    /// The failure policy applied (`closed` for a fault that is not the plugin's, whatever
    /// the tenant chose: see [`Fault::is_not_the_plugins`]).
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
    /// When the breaker last tripped, or last let a trial call through.
    tripped: Mutex<Option<std::time::Instant>>,
}

impl ActivePlugin {
    /// Whether a call of the disabled plugin may go through as the breaker's trial: its
    /// cooldown has passed since it tripped (or since the last trial) and no other call
    /// claimed the trial. A cooldown of zero never lets one through.
    fn trial(&self, cooldown: std::time::Duration) -> bool {
        if cooldown.is_zero() {
            return false;
        }
        let mut tripped = self.tripped.lock().unwrap_or_else(PoisonError::into_inner);
        match *tripped {
            Some(at) if at.elapsed() < cooldown => false,
            _ => {
                // The next trial a cooldown from now: concurrent calls stay disabled.
                *tripped = Some(std::time::Instant::now());
                true
            }
        }
    }

    /// Gives back a trial that did not run the plugin (the host did not admit the call):
    /// the next call may take it.
    fn give_back_trial(&self) {
        *self.tripped.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Counts a call's outcome for the circuit breaker. Host faults and an input too
    /// large (the caller's: the plugin never ran) are not the plugin's and change nothing.
    /// A success closes the breaker; the plugin's fault in a trial call opens it again
    /// for a cooldown.
    fn record(&self, result: Result<(), &Fault>, threshold: u32, trial: bool) {
        match result {
            Err(f) if f.is_not_the_plugins() => {}
            Ok(()) => {
                self.faults.store(0, Ordering::Relaxed);
                if trial {
                    self.disabled.store(false, Ordering::Relaxed);
                }
            }
            Err(_) => {
                let n = self
                    .faults
                    .fetch_add(1, Ordering::Relaxed)
                    .saturating_add(1);
                if n >= threshold {
                    // The time first, under the lock `trial` reads it under: a call that
                    // sees the plugin disabled never finds the cooldown unset.
                    let mut tripped = self.tripped.lock().unwrap_or_else(PoisonError::into_inner);
                    if !self.disabled.load(Ordering::Relaxed) {
                        *tripped = Some(std::time::Instant::now());
                        self.disabled.store(true, Ordering::Relaxed);
                    }
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

/// A policy version: a preset's name, or a document with its hash (SipHash with fixed
/// keys, [`document_hash`]). The hash only narrows the search: a document is found only
/// when it is equal, whole, to the one kept, so a collision costs a comparison and never
/// picks another policy.
#[derive(Debug, Clone, PartialEq)]
enum PolicyKey {
    Preset(String),
    Document(u64, Value),
}

/// The hash of a policy document's JSON value down to [`HASH_DEPTH`] levels: keys and
/// scalars there, only the length of a list or object deeper. Not of any text of it (key
/// order and spacing of the request do not matter, as the value keeps neither), and not
/// of all of it: the hash only narrows the search, the whole document is then compared
/// ([`PolicyKey`]), so two versions of a policy that differ deep inside are told apart
/// by that comparison, for the price of hashing a few top-level fields.
fn document_hash(doc: &Value) -> u64 {
    fn walk(v: &Value, depth: u32, h: &mut DefaultHasher) {
        match v {
            Value::Object(m) => {
                m.len().hash(h);
                if depth < HASH_DEPTH {
                    for (k, v) in m {
                        k.hash(h);
                        walk(v, depth + 1, h);
                    }
                }
            }
            Value::Array(a) => {
                a.len().hash(h);
                if depth < HASH_DEPTH {
                    for v in a {
                        walk(v, depth + 1, h);
                    }
                }
            }
            scalar => scalar.hash(h),
        }
    }
    let mut h = DefaultHasher::new();
    walk(doc, 0, &mut h);
    h.finish()
}

/// How deep [`document_hash`] looks into a policy document: 2 levels (the document's
/// fields and theirs).
const HASH_DEPTH: u32 = 2;

/// A tenant's compiled policies: at most [`POLICY_CACHE_CAPACITY`], and which one the
/// last decision used (looked at first: a tenant mostly decides under one policy, and then
/// its document is compared once and not hashed).
#[derive(Debug, Default)]
struct PolicyCache {
    entries: Vec<(PolicyKey, Arc<Policy>)>,
    last: usize,
}

/// A request's envelope, parsed without copying its policy document: the request (its
/// `policy` left out when the document was taken by reference), the document, the
/// plugins' facts.
struct Envelope<'a> {
    req: Request,
    document: Option<&'a Value>,
    plugin_facts: Option<&'a Map<String, Value>>,
}

impl<'a> Envelope<'a> {
    /// Checks the request's shape with the contract's errors ([`api::parse_value`]) on a
    /// copy of its small fields: `policy` and `input` are stood in for by `null` there,
    /// so neither is copied nor converted; the input is then copied once (the core
    /// consumes it) and the document kept by reference. `pluginFacts` is taken out
    /// first (an object, or `null`).
    fn parse(request: &'a Value) -> Result<Self, EvaluateError> {
        let Value::Object(fields) = request else {
            // Not an object: whatever the contract says of it, on the whole value.
            return Ok(Envelope {
                req: api::parse_value("", request.clone())?,
                document: None,
                plugin_facts: None,
            });
        };
        if let Some(envelope) = Self::typed(fields) {
            return Ok(envelope);
        }
        let mut plugin_facts = None;
        let mut envelope = Map::new();
        for (key, value) in fields {
            match (key.as_str(), value) {
                ("pluginFacts", Value::Null) => {}
                ("pluginFacts", Value::Object(f)) => plugin_facts = Some(f),
                ("pluginFacts", _) => {
                    return Err(EvaluateError::Input {
                        path: "pluginFacts",
                        reason: "expected an object".into(),
                    });
                }
                ("policy" | "input", _) => {
                    envelope.insert(key.clone(), Value::Null);
                }
                _ => {
                    envelope.insert(key.clone(), value.clone());
                }
            }
        }
        let mut req: Request = api::parse_value("", Value::Object(envelope))?;
        if let Some(input) = fields.get("input") {
            req.input = input.clone();
        }
        Ok(Envelope {
            req,
            document: fields.get("policy").filter(|d| !d.is_null()),
            plugin_facts,
        })
    }

    /// The envelope of a well-formed request, read field by field with each field's own
    /// deserializer (from a reference: nothing but the input and the preset's name is
    /// copied), or `None` when anything is not as expected (an unknown or missing field,
    /// a field of the wrong type): then [`parse`](Self::parse) runs the contract's parser
    /// on it for its error, or for what it accepts that this does not.
    fn typed(fields: &'a Map<String, Value>) -> Option<Self> {
        let (mut contract, mut preset, mut op, mut lang) = (None, None, None, Lang::default());
        let (mut input, mut document, mut plugin_facts) = (None, None, None);
        for (key, value) in fields {
            match (key.as_str(), value) {
                ("contract", v) => contract = Option::<u64>::deserialize(v).ok()?,
                ("preset", v) => preset = Option::<String>::deserialize(v).ok()?,
                ("policy", Value::Null) | ("pluginFacts", Value::Null) => {}
                ("policy", doc) => document = Some(doc),
                ("op", v) => op = Some(Op::deserialize(v).ok()?),
                ("lang", v) => lang = Lang::deserialize(v).ok()?,
                ("input", v) => input = Some(v),
                ("pluginFacts", Value::Object(f)) => plugin_facts = Some(f),
                _ => return None,
            }
        }
        Some(Envelope {
            req: Request {
                contract,
                preset,
                policy: None,
                op: op?,
                lang,
                input: input?.clone(),
            },
            document,
            plugin_facts,
        })
    }
}

/// One tenant's plugins and settings: an immutable snapshot, swapped whole.
pub struct TenantPlugins {
    party: Party,
    settings: TenantSettings,
    plugins: Vec<ActivePlugin>,
    gate: Arc<Gate>,
    policies: Mutex<PolicyCache>,
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
    /// Invalid settings, the compile budget spent ([`LoadError::CompileRateLimited`]), or
    /// the first plugin that cannot be loaded (or repeats a name) as
    /// [`LoadError::InPlugin`], with its position in `plugins`.
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

    /// Decides one call for a tenant under a policy the caller compiled: the core, then
    /// the tenant's plugins (none for an unknown tenant). See [`TenantPlugins::decide`].
    ///
    /// # Errors
    /// As [`TenantPlugins::decide`].
    pub fn decide(
        &self,
        tenant: &str,
        policy: &Policy,
        call: Call,
    ) -> Result<Value, EvaluateError> {
        match self.snapshot(tenant) {
            Some(set) => set.decide(&self.runtime, policy, call),
            None => self.none.decide(&self.runtime, policy, call),
        }
    }

    /// Narrows a decision the caller's core already made with the tenant's plugins (the
    /// decision unchanged for an unknown tenant). See [`TenantPlugins::narrow`].
    ///
    /// # Errors
    /// As [`TenantPlugins::narrow`].
    pub fn narrow(
        &self,
        tenant: &str,
        policy: &Policy,
        decided: Decided,
        plugin_facts: Map<String, Value>,
    ) -> Result<Value, EvaluateError> {
        match self.snapshot(tenant) {
            Some(set) => set.narrow(&self.runtime, policy, decided, plugin_facts),
            None => self
                .none
                .narrow(&self.runtime, policy, decided, plugin_facts),
        }
    }
}

/// One decision for [`Registry::decide`] and [`TenantPlugins::decide`]: what a request
/// holds besides its policy. Its `Debug` shows the operation, the language and the facts'
/// names, never the input (a record may hold a password).
pub struct Call {
    /// The operation.
    pub op: Op,
    /// The language of messages.
    pub lang: Lang,
    /// The operation's input, as a request's `input` ([`Op`] names its type).
    pub input: Value,
    /// Facts for the plugins only (a request's `pluginFacts`); the core never sees them.
    pub plugin_facts: Map<String, Value>,
}

impl Call {
    /// A call with no facts for the plugins.
    pub fn new(op: Op, lang: Lang, input: Value) -> Self {
        Call {
            op,
            lang,
            input,
            plugin_facts: Map::new(),
        }
    }
}

impl std::fmt::Debug for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call")
            .field("op", &self.op)
            .field("lang", &self.lang)
            .field("input", &"***")
            .field(
                "plugin_facts",
                &self.plugin_facts.keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// A decision the caller's core already made, with the input it made it on (the
/// contract's `input` of the operation, complete: whatever directory and facts the caller
/// gave its core), for [`TenantPlugins::narrow`] and [`Registry::narrow`]: the plugins are
/// given that input and that decision, and narrow it; the core is not run again.
///
/// A server that decides with its own directory hands its decision over this way, so that
/// a plugin is told the verdict the server reached (a `team` scope several levels deep
/// allows with the server's directory, and would deny without it). Its `Debug` shows the
/// operation and the verdict, never the input (a record may hold a password).
#[allow(
    clippy::large_enum_variant,
    reason = "made once per decision and moved into the call: a box would only add an allocation"
)]
pub enum Decided {
    /// A validation (`op: validate`).
    Validate {
        /// The input, as a request's `input`.
        input: Value,
        /// The core's decision on it.
        decision: ValidationDecision,
    },
    /// An authorization (`op: authorize`).
    Authorize {
        /// The input, as a request's `input`.
        input: Value,
        /// The core's decision on it.
        decision: AuthzDecision,
    },
    /// A transition (`op: transition`).
    Transition {
        /// The input, as a request's `input`.
        input: Value,
        /// The core's decision on it.
        decision: TransitionDecision,
    },
}

impl Decided {
    /// The operation decided.
    pub fn op(&self) -> Op {
        match self {
            Decided::Validate { .. } => Op::Validate,
            Decided::Authorize { .. } => Op::Authorize,
            Decided::Transition { .. } => Op::Transition,
        }
    }
}

impl std::fmt::Debug for Decided {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (allowed, name) = match self {
            Decided::Validate { decision, .. } => (decision.valid, "valid"),
            Decided::Authorize { decision, .. } => (decision.allowed(), "allowed"),
            Decided::Transition { decision, .. } => (decision.allowed(), "allowed"),
        };
        f.debug_struct("Decided")
            .field("op", &self.op())
            .field(name, &allowed)
            .field("input", &"***")
            .finish()
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

/// Whether a plugin is given the key `key` of a record it validates:
/// the record's `id`, and what a decision shows of a record ([`import::shown_key`]): the
/// policy's fields but its password fields, and the account's lists. A key the policy does
/// not declare is left out with the passwords: it may be a password under a misspelt name
/// (`Passwort`, `passwordConfirm`, a `currentPassword`), which a plugin could quote back.
fn given_to_plugins(policy: &Policy, key: &str) -> bool {
    key == "id" || import::shown_key(policy, key)
}

/// `record` (a user record) as JSON text, without the policy's password fields nor any key
/// it does not declare ([`given_to_plugins`]): a plugin is never given a password, whoever
/// calls the host.
fn without_secrets(policy: &Policy, record: Option<&Value>) -> String {
    match record {
        Some(Value::Object(m)) if !m.keys().all(|k| given_to_plugins(policy, k)) => {
            let mut m = m.clone();
            m.retain(|k, _| given_to_plugins(policy, k));
            Value::Object(m).to_string()
        }
        other => json_text(other),
    }
}

/// An account or target as JSON text, its `attributes` without the policy's password
/// fields. Unlike a record's, an account's other keys are kept, declared or not: they are
/// the caller's (the server's stored account, an embedding application's), and a plugin may
/// rule on one the policy does not declare (the `contractor` example's `endDate`).
fn account_text(policy: &Policy, account: Option<&Value>) -> String {
    match account {
        Some(Value::Object(a))
            if a.get("attributes")
                .and_then(Value::as_object)
                .is_some_and(|m| policy.password_fields().any(|f| m.contains_key(f))) =>
        {
            let mut a = a.clone();
            if let Some(Value::Object(m)) = a.get_mut("attributes") {
                for f in policy.password_fields() {
                    m.remove(f);
                }
            }
            Value::Object(a).to_string()
        }
        other => json_text(other),
    }
}

/// What `validate-user` is given, read from the request's input and the plugins' facts
/// (after the input's own `facts`); `core_decision` and `config` are filled in later.
/// The record is given without its password fields ([`without_secrets`]).
fn validate_input(
    policy: &Policy,
    input: &Value,
    plugin_facts: Map<String, Value>,
) -> ValidateInput {
    let mut facts = obj(input.get("facts"));
    facts.extend(plugin_facts);
    ValidateInput {
        user: without_secrets(policy, input.get("user")),
        mode: input
            .get("mode")
            .and_then(Value::as_str)
            .unwrap_or("create")
            .to_owned(),
        today: text(input.get("today")),
        facts: Value::Object(facts).to_string(),
        core_decision: String::new(),
        config: String::new(),
    }
}

/// The core's decision as the plugins are given it (`decision` itself is left as it was):
/// without the password summary and without the violations of a password field. Each says
/// things of a password (its length, its character classes, that it is a common one,
/// which field it resembles), and a plugin is never told a password.
fn decision_for_plugins(policy: &Policy, decision: &mut ValidationDecision) -> String {
    let password = decision.password.take();
    let all = std::mem::take(&mut decision.violations);
    decision.violations = all
        .iter()
        .filter(|v| {
            !v.path
                .field()
                .is_some_and(|f| policy.password_fields().any(|p| p == f))
        })
        .cloned()
        .collect();
    let text = serde_json::to_string(&*decision).unwrap_or_default();
    decision.violations = all;
    decision.password = password;
    text
}

/// What `authorize` is given (the plugins' facts only), as [`validate_input`]: the
/// accounts' attributes without password fields ([`account_text`]).
fn authorize_input(
    policy: &Policy,
    input: &Value,
    plugin_facts: Map<String, Value>,
) -> AuthorizeInput {
    AuthorizeInput {
        actor: account_text(policy, input.get("actor")),
        action: text(input.get("action")),
        target: account_text(policy, input.get("target")),
        change: json_text(input.get("change")),
        now: text(input.get("now")),
        facts: Value::Object(plugin_facts).to_string(),
        core_decision: String::new(),
        config: String::new(),
    }
}

/// What `transition` is given, as [`validate_input`].
fn transition_input(
    policy: &Policy,
    input: &Value,
    plugin_facts: Map<String, Value>,
) -> TransitionInput {
    let mut facts = obj(input.get("facts"));
    facts.extend(plugin_facts);
    TransitionInput {
        actor: account_text(policy, input.get("actor")),
        target: account_text(policy, input.get("target")),
        to: text(input.get("to")),
        reason: input
            .get("reason")
            .and_then(Value::as_str)
            .map(str::to_owned),
        now: text(input.get("now")),
        facts: Value::Object(facts).to_string(),
        core_decision: String::new(),
        config: String::new(),
    }
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
        code: Cow::Borrowed(super::output::PLUGIN_FAULT),
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
            policies: Mutex::new(PolicyCache::default()),
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
        for (position, spec) in specs.into_iter().enumerate() {
            // An error of this plugin names its position; the compile budget is the set's.
            let at = |e: LoadError| match e {
                e @ LoadError::CompileRateLimited { .. } => e,
                e => LoadError::InPlugin {
                    position,
                    source: Box::new(e),
                },
            };
            let compiled = runtime
                .compile_with(
                    &spec.wasm,
                    &settings.limits,
                    party.clone(),
                    Some(&gate),
                    || budget.take(),
                )
                .map_err(at)?;
            if plugins.iter().any(|p| p.source.plugin == compiled.name()) {
                return Err(at(LoadError::DuplicateName {
                    name: compiled.name().to_owned(),
                }));
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
                tripped: Mutex::new(None),
            });
        }
        Ok(TenantPlugins {
            party,
            settings,
            plugins,
            gate,
            policies: Mutex::new(PolicyCache::default()),
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
    /// name or by the document, [`PolicyKey`]) or compiled once and kept. `document` is
    /// the request's policy document.
    fn policy(
        &self,
        req: &Request,
        document: Option<&Value>,
    ) -> Result<Arc<Policy>, EvaluateError> {
        let lock = || self.policies.lock().unwrap_or_else(PoisonError::into_inner);
        let key = match (&req.preset, document) {
            (Some(name), None) => {
                let mut cache = lock();
                let found = cache
                    .entries
                    .iter()
                    .position(|(k, _)| matches!(k, PolicyKey::Preset(n) if n == name));
                if let Some((i, p)) = found.and_then(|i| Some((i, cache.entries.get(i)?))) {
                    let p = Arc::clone(&p.1);
                    cache.last = i;
                    return Ok(p);
                }
                PolicyKey::Preset(name.clone())
            }
            // The document is copied into the key only when it is not found.
            (None, Some(doc)) => {
                let mut cache = lock();
                if let Some((PolicyKey::Document(_, d), p)) = cache.entries.get(cache.last)
                    && d == doc
                {
                    return Ok(Arc::clone(p));
                }
                let hash = document_hash(doc);
                let found = cache.entries.iter().position(
                    |(k, _)| matches!(k, PolicyKey::Document(h, d) if *h == hash && d == doc),
                );
                if let Some((i, p)) = found.and_then(|i| Some((i, cache.entries.get(i)?))) {
                    let p = Arc::clone(&p.1);
                    cache.last = i;
                    return Ok(p);
                }
                PolicyKey::Document(hash, doc.clone())
            }
            _ => {
                return Ok(Arc::new(api::load_policy(req.preset.as_deref(), document)?));
            }
        };
        // Compiled outside the lock: other decisions of the tenant go on meanwhile.
        let policy = Arc::new(api::load_policy(req.preset.as_deref(), document)?);
        let mut cache = lock();
        if cache.entries.len() >= POLICY_CACHE_CAPACITY {
            cache.entries.clear();
        }
        cache.entries.push((key, Arc::clone(&policy)));
        cache.last = cache.entries.len().saturating_sub(1);
        Ok(policy)
    }

    /// How many compiled policies this tenant keeps now.
    pub fn cached_policies(&self) -> usize {
        self.policies
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entries
            .len()
    }

    /// Decides a request: its envelope read and checked (the contract's errors), its
    /// compiled policy found in this tenant's cache (by the preset's name, or the document
    /// by its hash and then compared whole) or compiled once and kept, then
    /// [`decide`](Self::decide). The request may carry `pluginFacts`, a JSON object passed
    /// to the plugins as facts (and removed before the core sees the request).
    ///
    /// A caller that keeps its policies compiled (a server keeps each tenant's) calls
    /// [`decide`](Self::decide) with the policy instead, and neither sends nor compares a
    /// document.
    ///
    /// # Errors
    /// [`EvaluateError`] when the core refuses the request or `pluginFacts` is not an
    /// object. Plugin faults are never errors: they are part of the decision.
    pub fn evaluate(&self, runtime: &Runtime, request: &Value) -> Result<Value, EvaluateError> {
        let Envelope {
            req,
            document,
            plugin_facts,
        } = Envelope::parse(request)?;
        api::check_contract(req.contract)?;
        let policy = self.policy(&req, document.or(req.policy.as_ref()))?;
        // The facts are copied only when a plugin will read them.
        let plugin_facts = match plugin_facts {
            Some(f) if !self.plugins.is_empty() => f.clone(),
            _ => Map::new(),
        };
        self.decide(
            runtime,
            &policy,
            Call {
                op: req.op,
                lang: req.lang,
                input: req.input,
                plugin_facts,
            },
        )
    }

    /// Decides one call under a policy the caller compiled: the core
    /// (`warden_core::api::evaluate_with`), then the hook of each plugin for `validate`,
    /// `authorize` and `transition` (other operations have no hooks and return the core's
    /// decision unchanged). This is [`evaluate`](Self::evaluate) without the envelope:
    /// the policy is given by reference, so nothing is parsed, hashed or compared to find
    /// it. The caller answers for the policy being the tenant's.
    ///
    /// The decision is the core's, narrowed by the plugins, plus a `plugins` list (one
    /// report per plugin: name, version, hash, hook, outcome, fuel used, ...) when the
    /// tenant has plugins.
    ///
    /// # Errors
    /// [`EvaluateError`] when the core refuses the input. Plugin faults are never errors:
    /// they are part of the decision.
    pub fn decide(
        &self,
        runtime: &Runtime,
        policy: &Policy,
        call: Call,
    ) -> Result<Value, EvaluateError> {
        let Call {
            op,
            lang,
            input,
            plugin_facts,
        } = call;
        if self.plugins.is_empty() {
            return Ok(api::evaluate_with(policy, op, lang, input)?);
        }
        // The core's typed decision, composed with the plugins' verdicts, then answered in
        // the contract's response shape.
        // The plugins' inputs are read from the input first, so that the core then
        // consumes it (no second copy).
        fn core<I: Operation>(
            policy: &Policy,
            lang: Lang,
            input: Value,
        ) -> Result<I::Output, EvaluateError> {
            let input: I = api::parse_value("input", input)?;
            Ok(input.run(policy, lang)?)
        }
        let composed = match op {
            Op::Validate => {
                let vi = validate_input(policy, &input, plugin_facts);
                let d = core::<api::ValidateInput>(policy, lang, input)?;
                api::to_response(&self.validate(runtime, policy, vi, d))
            }
            Op::Authorize => {
                let ai = authorize_input(policy, &input, plugin_facts);
                let d = core::<api::AuthorizeInput>(policy, lang, input)?;
                api::to_response(&self.authorize(runtime, ai, d))
            }
            Op::Transition => {
                let ti = transition_input(policy, &input, plugin_facts);
                let d = core::<api::TransitionInput>(policy, lang, input)?;
                api::to_response(&self.transition(runtime, ti, d))
            }
            _ => return Ok(api::evaluate_with(policy, op, lang, input)?),
        };
        Ok(composed?)
    }

    /// Narrows a decision the caller's core already made: the hook of each plugin, given
    /// the input and the decision of `decided` (the input's password fields removed, as
    /// [`decide`](Self::decide) removes them), exactly as [`decide`](Self::decide) runs
    /// them after its own core. The caller answers for the decision being its core's on
    /// that input under `policy`, the tenant's.
    ///
    /// The result is the decision narrowed by the plugins, in the contract's response
    /// shape, plus a `plugins` list when the tenant has plugins.
    ///
    /// # Errors
    /// [`EvaluateError`] when the decision cannot be turned into the response (never for a
    /// decision the core made). Plugin faults are never errors: they are part of the
    /// decision.
    pub fn narrow(
        &self,
        runtime: &Runtime,
        policy: &Policy,
        decided: Decided,
        plugin_facts: Map<String, Value>,
    ) -> Result<Value, EvaluateError> {
        if self.plugins.is_empty() {
            // The decision as the core answers it (no `plugins` list), as `decide` does.
            let response = match decided {
                Decided::Validate { decision, .. } => api::to_response(&decision),
                Decided::Authorize { decision, .. } => api::to_response(&decision),
                Decided::Transition { decision, .. } => api::to_response(&decision),
            };
            return Ok(response?);
        }
        let composed = match decided {
            Decided::Validate { input, decision } => api::to_response(&self.validate(
                runtime,
                policy,
                validate_input(policy, &input, plugin_facts),
                decision,
            )),
            Decided::Authorize { input, decision } => api::to_response(&self.authorize(
                runtime,
                authorize_input(policy, &input, plugin_facts),
                decision,
            )),
            Decided::Transition { input, decision } => api::to_response(&self.transition(
                runtime,
                transition_input(policy, &input, plugin_facts),
                decision,
            )),
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
            &super::runtime::Hooks<'_>,
        ) -> wasmtime::Result<Result<R, String>>,
        check: impl FnOnce(R) -> Result<(O, usize), Fault>,
    ) -> (Result<O, Fault>, CallStats) {
        let limits = &self.settings.limits;
        let threshold = self.settings.breaker_threshold;
        let cooldown =
            std::time::Duration::from_millis(u64::from(self.settings.breaker_cooldown_ms));
        if input_bytes > limits.max_input_bytes {
            let fault = Fault::InputTooLarge {
                size: input_bytes,
                limit: limits.max_input_bytes,
            };
            // The caller's input, not the plugin's doing (it never ran): not counted
            // toward its breaker, or anyone able to send a large input could disable the
            // tenant's plugin for everyone (nor does it spend a disabled plugin's trial).
            return (Err(fault), CallStats::default());
        }
        let trial = plugin.disabled.load(Ordering::Relaxed);
        if trial && !plugin.trial(cooldown) {
            let faults = plugin.faults.load(Ordering::Relaxed);
            return (Err(Fault::Disabled { faults }), CallStats::default());
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
            // Not admitted: the host's overload, never counted (`record` skips it); a
            // trial it took is given back (the plugin never ran).
            Err(f) => {
                if trial {
                    plugin.give_back_trial();
                }
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
        plugin.record(result.as_ref().map(|_| ()), threshold, trial);
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
        policy: &Policy,
        mut vi: ValidateInput,
        mut decision: ValidationDecision,
    ) -> ComposedValidation {
        // Every field but `config` is written once per decision, for all the plugins.
        vi.core_decision = decision_for_plugins(policy, &mut decision);
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
            plugin.config.clone_into(&mut vi.config);
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
                |store, p| p.call_validate_user(store, &vi),
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
                            code: super::output::PLUGIN_FAULT.into(),
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
        mut base: AuthorizeInput,
        decision: AuthzDecision,
    ) -> Composed<AuthzDecision> {
        base.core_decision = serde_json::to_string(&decision).unwrap_or_default();
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
            base,
            |i, config| config.clone_into(&mut i.config),
            size,
            |store, p, i| p.call_authorize(store, i),
        )
    }

    fn transition(
        &self,
        runtime: &Runtime,
        mut base: TransitionInput,
        decision: TransitionDecision,
    ) -> Composed<TransitionDecision> {
        base.core_decision = serde_json::to_string(&decision).unwrap_or_default();
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
            base,
            |i, config| config.clone_into(&mut i.config),
            size,
            |store, p, i| p.call_transition(store, i),
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
        mut input: I,
        configure: impl Fn(&mut I, &str),
        size: impl Fn(&I) -> usize,
        call: impl Fn(
            &mut wasmtime::Store<super::runtime::StoreData>,
            &super::runtime::Hooks<'_>,
            &I,
        ) -> wasmtime::Result<Result<Verdict, String>>,
    ) -> Composed<D> {
        let limits = &self.settings.limits;
        let mut reports = Vec::with_capacity(self.plugins.len());
        for plugin in &self.plugins {
            configure(&mut input, &plugin.config);
            let i = &input;
            let (result, stats) = self.run(
                runtime,
                plugin,
                size(i),
                |store, p| call(store, p, i),
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

/// The failure policy a fault is handled under: the tenant's, except that a fault that is
/// not the plugin's (the host's, an input above the limit) always fails closed (never a
/// silent skip of the tenant's rule, least of all one a caller can bring about).
fn effective(policy: FailurePolicy, fault: &Fault) -> FailurePolicy {
    if fault.is_not_the_plugins() {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

    use serde_json::json;

    use super::*;

    /// A plugin is never given a password: not in the record it validates, not in the
    /// attributes of the accounts it authorizes, whoever calls the host.
    #[test]
    fn plugins_are_given_records_and_accounts_without_password_fields() {
        let policy = Policy::preset("production-planner-pro").unwrap();
        let secrets: Vec<&str> = policy.password_fields().collect();
        assert_eq!(secrets, ["password"]);
        let input = json!({"today": "2026-11-22", "user": {
            "email": "ada@acme.example", "password": "Tr0ub4dor&3x!"}});
        let vi = validate_input(&policy, &input, Map::new());
        let user: Value = serde_json::from_str(&vi.user).unwrap();
        assert_eq!(user, json!({"email": "ada@acme.example"}));
        assert!(!vi.user.contains("Tr0ub4dor"), "{}", vi.user);
        let account =
            json!({"id": "a", "attributes": {"password": "Tr0ub4dor&3x!", "email": "a@x"}});
        let input = json!({"actor": account, "target": account, "action": "users.read",
            "now": "2026-11-22T10:00:00Z", "to": "inactive"});
        let ai = authorize_input(&policy, &input, Map::new());
        let ti = transition_input(&policy, &input, Map::new());
        for text in [&ai.actor, &ai.target, &ti.actor, &ti.target] {
            let a: Value = serde_json::from_str(text).unwrap();
            assert_eq!(a, json!({"id": "a", "attributes": {"email": "a@x"}}));
        }
    }

    /// Nor a password under a key the policy does not declare (a misspelt column, a
    /// confirmation, the current password): such a key is given to no plugin; the record's
    /// `id`, its fields and its role list are.
    #[test]
    fn plugins_are_given_no_undeclared_key() {
        let policy = Policy::preset("production-planner-pro").unwrap();
        let input = json!({"today": "2026-11-22", "user": {"id": "u1", "email": "ada@acme.example",
            "Passwort": "Tr0ub4dor&3x!", "passwordConfirm": "Tr0ub4dor&3x!",
            "currentPassword": "Tr0ub4dor&3x!", "roles": ["planner"]}});
        let vi = validate_input(&policy, &input, Map::new());
        let user: Value = serde_json::from_str(&vi.user).unwrap();
        assert_eq!(
            user,
            json!({"id": "u1", "email": "ada@acme.example", "roles": ["planner"]})
        );
    }

    /// Nor are they told what the core found of a password: neither its summary nor the
    /// violations of a password field; the caller's decision keeps both.
    #[test]
    fn plugins_are_given_no_violation_of_a_password_field() {
        let policy = Policy::preset("production-planner-pro").unwrap();
        let input = json!({"today": "2026-11-22", "user": {"firstName": "Ada", "lastName": "Lovelace",
            "email": "ada@acme.example", "password": "abc", "organization": "acme"}});
        let mut d: ValidationDecision = api::parse_value::<api::ValidateInput>("input", input)
            .unwrap()
            .run(&policy, Lang::En)
            .unwrap();
        let on_password = |d: &ValidationDecision| {
            d.violations
                .iter()
                .filter(|v| v.path.field() == Some("password"))
                .count()
        };
        let before = on_password(&d);
        assert!(before > 0, "{:?}", d.violations);
        let text = decision_for_plugins(&policy, &mut d);
        let given: Value = serde_json::from_str(&text).unwrap();
        let paths: Vec<&Value> = given["violations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| &v["path"])
            .collect();
        assert!(!paths.contains(&&json!(["password"])), "{text}");
        assert!(given.get("password").is_none_or(Value::is_null), "{text}");
        assert_eq!(on_password(&d), before);
    }

    fn none() -> (Arc<Runtime>, TenantPlugins) {
        let runtime = Runtime::new().unwrap();
        let set = TenantPlugins::empty(Party::Host, Arc::new(Gate::new(1)));
        (runtime, set)
    }

    /// The host's answer to a request without plugins (the decision, or the error as
    /// JSON) is the core's own entry point's, whichever way the envelope was read.
    #[test]
    fn without_plugins_the_host_answers_as_the_core_does_decisions_and_errors() {
        let (runtime, set) = none();
        let policy = json!({"warden": 1, "name": "t", "access": {
            "modules": {"users": ["read"]},
            "roles": {"admin": {"permissions": [{"allow": "users.read", "scope": "organization"}]}}}});
        let input = json!({"now": "2026-11-22T10:00:00Z",
            "actor": {"id": "a", "organization": "acme", "roles": ["admin"]},
            "action": "users.read", "target": {"id": "b", "organization": "acme"}});
        let user = json!({"today": "2026-11-22", "user": {"email": "x@acme.example"}});
        let requests = [
            json!({"policy": policy, "op": "authorize", "input": input}),
            json!({"policy": policy, "op": "authorize", "input": input, "lang": "fr", "contract": 1}),
            json!({"policy": policy, "op": "authorize", "input": input, "lang": "fr-CA", "preset": null}),
            json!({"preset": "production-planner-pro", "op": "validate", "input": user}),
            json!({"policy": policy, "op": "authorize", "input": input, "contract": 2}),
            json!({"policy": policy, "op": "authorize", "input": input, "lang": "klingon-x"}),
            json!({"policy": policy, "op": "authorize", "input": input, "lang": 3}),
            json!({"policy": policy, "op": "authorise", "input": input}),
            json!({"policy": policy, "op": "authorize"}),
            json!({"policy": policy, "input": input}),
            json!({"policy": policy, "op": "authorize", "input": input, "polcy": 1}),
            json!({"policy": policy, "preset": "production-planner-pro", "op": "authorize", "input": input}),
            json!({"op": "authorize", "input": input}),
            json!({"policy": null, "op": "authorize", "input": input}),
            json!({"policy": {"warden": 1}, "op": "authorize", "input": input}),
            json!({"policy": policy, "op": "authorize", "input": {"actor": 1}}),
            json!({"policy": policy, "op": "authorize", "input": null}),
            json!({"preset": 7, "op": "authorize", "input": input}),
            json!({"policy": policy, "op": "authorize", "input": input, "contract": "1"}),
            json!([null, null, policy, "authorize", "en", input]),
            json!("authorize"),
        ];
        for req in &requests {
            let host = set.evaluate(&runtime, req).map_err(|e| e.to_json());
            let core = api::evaluate(req).map_err(|e| e.envelope());
            assert_eq!(host, core, "{req}");
        }
        // `pluginFacts` is the host's: taken out (an object or null), refused otherwise.
        let mut with_facts = requests[0].clone();
        with_facts["pluginFacts"] = json!({"secondApprover": "b"});
        assert_eq!(
            set.evaluate(&runtime, &with_facts).unwrap(),
            api::evaluate(&requests[0]).unwrap()
        );
        with_facts["pluginFacts"] = Value::Null;
        assert_eq!(
            set.evaluate(&runtime, &with_facts).unwrap(),
            api::evaluate(&requests[0]).unwrap()
        );
        with_facts["pluginFacts"] = json!([1]);
        assert_eq!(
            set.evaluate(&runtime, &with_facts).unwrap_err().to_json()["error"]["path"],
            "pluginFacts"
        );
    }

    /// A call's `Debug` names its operation, language and facts, never its input (a record
    /// may hold a password).
    #[test]
    fn a_calls_debug_never_shows_its_input() {
        let mut call = Call::new(
            Op::Validate,
            Lang::En,
            json!({"user": {"password": "Tr0ub4dor&3x!", "email": "ada@acme.example"}}),
        );
        call.plugin_facts
            .insert("secondApprover".into(), json!("zed"));
        let shown = format!("{call:?}");
        assert!(
            shown.contains("Validate") && shown.contains("secondApprover"),
            "{shown}"
        );
        for secret in ["Tr0ub4dor", "ada@acme", "zed"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    /// Documents are told apart whole, not by their hash: two policies that differ only
    /// deeper than the hash looks (same hash) are both kept, and each request is decided
    /// under its own.
    #[test]
    fn policies_with_the_same_hash_are_told_apart_by_their_documents() {
        let (runtime, set) = none();
        let policy = |scope: &str| {
            json!({"warden": 1, "name": "t", "access": {
                "modules": {"users": ["read"]},
                "roles": {"admin": {"permissions": [{"allow": "users.read", "scope": scope}]}}}})
        };
        let (own, org) = (policy("own"), policy("organization"));
        assert_eq!(document_hash(&own), document_hash(&org));
        assert_ne!(own, org);
        let request = |p: &Value| {
            json!({"policy": p, "op": "authorize", "input": {"now": "2026-11-22T10:00:00Z",
                "actor": {"id": "a", "organization": "acme", "roles": ["admin"]},
                "action": "users.read", "target": {"id": "b", "organization": "acme"}}})
        };
        for _ in 0..2 {
            for p in [&own, &org] {
                let d = set.evaluate(&runtime, &request(p)).unwrap();
                assert_eq!(d, api::evaluate(&request(p)).unwrap());
            }
        }
        let own_d = set.evaluate(&runtime, &request(&own)).unwrap();
        let org_d = set.evaluate(&runtime, &request(&org)).unwrap();
        assert_eq!(own_d["decision"], "deny", "{own_d}");
        assert_eq!(org_d["decision"], "allow", "{org_d}");
        assert_eq!(set.cached_policies(), 2);
    }
}
