//! Tenant policy plugins: WebAssembly components, run by wasmtime in a sandbox, that add
//! an organisation's own rules to Warden's decisions without being able to hurt anyone
//! else.
//!
//! ```no_run
//! use std::sync::Arc;
//! use warden_host::plugin::{PluginSpec, Registry, Runtime, TenantSettings};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let runtime = Runtime::new()?;                      // one per process
//! let registry = Registry::new(Arc::clone(&runtime));
//! let wasm = std::fs::read("target/components/email_domain.wasm")?;
//! registry.load("acme", TenantSettings::default(), vec![PluginSpec {
//!     wasm,
//!     config: serde_json::json!({"allowedDomains": ["acme.example"]}),
//! }])?;
//! let decision = registry.evaluate("acme", &serde_json::json!({
//!     "preset": "production-planner-pro", "op": "validate",
//!     "input": {"today": "2026-11-22", "user": {"firstName": "Ada", "lastName": "Lovelace",
//!               "email": "ada@gmail.example", "password": "Tr0ub4dor&3x!", "organization": "acme"}}
//! }))?;
//! assert_eq!(decision["valid"], false); // the core accepts, the tenant's plugin refuses
//! # Ok(()) }
//! ```
//!
//! # Core concepts
//! - The interface is the WIT package `warden:policy@0.1.0` (`wit/warden-policy.wit`): a
//!   plugin exports `hooks` (`describe`, `validate-user`, `authorize`, `transition`) and
//!   may import only `logging`. A component importing anything else (WASI, a clock, an
//!   unknown function) is refused at load with [`LoadError::ForbiddenImport`] naming the
//!   import; one built for another interface version with
//!   [`LoadError::UnsupportedVersion`].
//! - [`Runtime`]: one wasmtime `Engine` (fuel, epoch interruption, the pooling allocator),
//!   a background thread advancing the epoch every millisecond, and a cache of compiled
//!   plugins keyed by the SHA-256 of their bytes ([`ContentHash`]): the same plugin loaded
//!   by a thousand tenants is compiled once. Compiling costs milliseconds; do it at load.
//! - [`Registry`]: each tenant's plugins, in order, with their configuration and
//!   [`TenantSettings`]. [`Registry::load`] compiles everything first and then swaps the
//!   tenant's set in one step: a decision uses either the old set or the new one, never
//!   half of each. [`Registry::unload`] and [`Registry::list`] complete it.
//! - A decision ([`Registry::evaluate`], a contract request as JSON; or
//!   [`Registry::decide`], the policy compiled by the caller and given by reference): the
//!   core decides (`warden_core::api::evaluate_with`), then each plugin of the tenant runs
//!   in a **fresh instance** (a new `Store` from a pre-linked `InstancePre`, 6–8 µs in
//!   `benches/compare_plugins.rs`) with the tenant's [`Limits`]. No state survives a decision, so one decision cannot influence another.
//! - Plugins only narrow. Validation: a plugin's violations are appended (with their
//!   `source`), and one of severity `error` makes a valid record invalid; the core's
//!   violations are never removed. Authorization and transitions: a plugin's `allow` means
//!   "no objection"; only a deny changes the decision, and only from allow to deny.
//! - Faults ([`Fault`]): exhausted fuel, memory or deadline, stack overflow, a trap, too
//!   much input or output, invalid output, the plugin's own `err`; or the host's own
//!   ([`Fault::Host`], [`Fault::HostOverloaded`]), which always fail closed and never
//!   count toward the breaker; nor does too much input ([`Fault::InputTooLarge`]: the
//!   caller's, the plugin never ran), which fails closed too, so no caller can disable a
//!   tenant's plugin, or skip one that fails open, by sending large requests. Under the
//!   hook's
//!   [`FailurePolicy`] (closed by default) a fault is a deny, or an error violation
//!   `plugin_fault` in validation, never an allow. After `breakerThreshold` consecutive
//!   faults a plugin is disabled (the circuit breaker) and reported so by
//!   [`Registry::list`] and in every decision it would have taken part in.
//! - The decision's `plugins` list reports, per plugin: name, version, hash, hook,
//!   outcome, fuel used, peak memory, output size, time, and its log.
//! - [`CoreComponent`]: Warden's core itself compiled as a component
//!   (`warden:policy/evaluate@0.1.0`), for hosts that want the kernel sandboxed too; it
//!   gives the same decisions as the native core on every conformance vector.
//!
//! # Untrusted plugins
//! Every limit is per call, configurable per tenant below a hard cap (see [`limits`]).
//! Plugins have no WASI, no clock, no randomness, no network, no files; the only host
//! function is a bounded log. Tenants are isolated: separate stores, separate memories,
//! no shared state; a plugin looping forever costs its own tenant at most its deadline.
//! The host never panics on a plugin's behaviour.
//!
//! What a hostile tenant cannot do, and the bound that stops it:
//! - **Loading.** A `wasmparser` scan counts nesting, functions, body sizes, types,
//!   instances, memories and tables before wasmtime sees the bytes
//!   ([`LoadError::Structure`] names the limit and its value); compilations run one at a
//!   time and each tenant has a compile budget
//!   ([`RuntimeConfig::compiles_per_minute`], cache hits free).
//! - **Log and output.** Every log line costs at least
//!   [`limits::LOG_LINE_MIN_BYTES`] of the log budget and [`limits::LOG_CALL_FUEL`] fuel;
//!   only the kept prefix of a line is copied. Output is counted as the bytes of JSON the
//!   host adds, with caps on violations and path parts; wasmtime copies at most
//!   [`Limits::lift_budget`] bytes while lifting a result, aliased strings included.
//! - **Shared slots.** The pool reserves the per-component caps for every instance, and
//!   each call takes a slot of its tenant's (at most
//!   [`RuntimeConfig::max_instances_per_tenant`]) and of the process's, waiting at most
//!   [`RuntimeConfig::queue_wait_ms`]. A host fault ([`Fault::is_host`]), like an input
//!   above the limit (the caller's), never counts toward a plugin's breaker and always
//!   fails closed ([`Fault::is_not_the_plugins`]).
//! - **CPU.** At most [`RuntimeConfig::max_running_calls`] calls run guest code at once
//!   (default: one per core), one tenant at most
//!   [`RuntimeConfig::max_running_per_tenant`] of them (default half); waiting calls queue
//!   per tenant and a freed slot goes to the tenant running the fewest calls, so a tenant
//!   saturating the CPU waits behind itself. The wait is bounded
//!   ([`RuntimeConfig::queue_wait_ms`]) and not part of the plugin's deadline. Around
//!   every call the host measures its thread's CPU time: a deadline reached with less
//!   than [`RuntimeConfig::deadline_cpu_percent`] (half) of it as CPU time is the host's
//!   overload ([`Fault::HostOverloaded`], [`Overload::Starved`]), not the plugin's
//!   [`Fault::DeadlineExceeded`]; so starvation never trips a victim's breaker and never
//!   fails open, and a plugin that really spins through its deadline is still blamed (see
//!   [`limits`](limits#deadlines-under-cpu-starvation)).
//! - **Identity and text.** Names and versions are checked at load ([`NAME_RULE`],
//!   [`VERSION_RULE`], [`RESERVED_NAMES`]) and unique within a tenant; control and bidi
//!   characters are stripped from plugin text; host messages never quote plugin text,
//!   wasmtime backtraces or the parser's and linker's messages (they quote the
//!   component's names: [`LoadError::Malformed`] gives the kind and byte offset instead); a result that breaks the canonical ABI is the plugin's
//!   [`Fault::InvalidOutput`] and counts toward its breaker.

// Everything that runs plugins (wasmtime) is behind the default feature `runtime`; without
// it only the output checks (`output`, for the fuzz target `plugin_output`) and the plain
// types they use are compiled.
#[cfg(feature = "runtime")]
mod admission;
#[cfg(feature = "runtime")]
mod core_component;
pub mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
#[cfg(feature = "runtime")]
mod inspect;
pub mod limits;
// Used by the runtime and the fuzz targets; a build with neither only type-checks it.
#[cfg_attr(not(any(feature = "runtime", feature = "fuzzing")), allow(dead_code))]
mod output;
#[cfg(feature = "runtime")]
mod registry;
#[cfg(feature = "runtime")]
mod runtime;
mod text;

use std::fmt;

#[cfg(feature = "runtime")]
pub use core_component::CoreComponent;
pub use error::{CoreComponentError, EvaluateError, Fault, LoadError, Overload, SettingsError};
#[cfg(feature = "runtime")]
pub use inspect::{MAX_CANONICAL_FUNCTIONS, MAX_COMPONENT_INSTANCES, MAX_LOCALS, Structure};
pub use limits::{
    FailurePolicies, FailurePolicy, Limits, MAX_BREAKER_COOLDOWN_MS, MIN_BREAKER_COOLDOWN_MS,
    TenantSettings,
};
pub use output::{PluginViolation, Source};
#[cfg(feature = "runtime")]
pub use registry::{
    AnyViolation, Call, Composed, ComposedValidation, Decided, Hook, POLICY_CACHE_CAPACITY,
    PluginReport, PluginSpec, PluginStatus, Registry, ReportError, TenantPlugins,
};
#[cfg(feature = "runtime")]
pub use runtime::{
    CACHE_CAPACITY, CallStats, CompiledPlugin, EPOCH_TICK, LogLine, NAME_RULE, RESERVED_NAMES,
    Runtime, RuntimeConfig, VERSION_RULE,
};

/// The WIT package plugins are built against.
pub const INTERFACE_PACKAGE: &str = "warden:policy";

/// The interface versions this host accepts: `0.1.x` (`0.1` here means "0.1.").
pub const SUPPORTED_VERSIONS: &str = "0.1";

/// The interface version of the WIT in this repository.
pub const INTERFACE_VERSION: &str = "0.1.0";

/// The WIT package itself (`wit/warden-policy.wit`), for tools that show or ship it.
pub const WIT: &str = include_str!("../../../wit/warden-policy.wit");

/// A versioned interface name outside the supported versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundVersion(pub String);

/// The SHA-256 of a component binary: the cache key and the plugin's identity in
/// decisions (lower-case hex).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentHash(pub [u8; 32]);

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// The host bindings of the `plugin` world (generated by `wasmtime::component::bindgen!`).
#[cfg(feature = "runtime")]
#[allow(missing_docs, clippy::all, reason = "generated code")]
pub(crate) mod bindings {
    wasmtime::component::bindgen!({
        world: "plugin",
        path: "../wit",
    });
}

/// The host bindings of the `core` world.
#[cfg(feature = "runtime")]
#[allow(missing_docs, clippy::all, reason = "generated code")]
pub(crate) mod core_bindings {
    wasmtime::component::bindgen!({
        world: "core",
        path: "../wit",
    });
}
