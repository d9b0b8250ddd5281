//! The [`Runtime`]: one wasmtime [`Engine`], the epoch ticker, the linker with the only
//! import plugins get, the cache of compiled plugins by content hash, and admission: the
//! fair CPU gate (see [`admission`](super::admission)) and the instance gates.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use wasmtime::component::{
    Component, ComponentExportIndex, HasSelf, Instance, InstancePre, Linker, WasmStr,
};
use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, OptLevel, PoolConcurrencyLimitError,
    PoolingAllocationConfig, RegallocAlgorithm, ResourceLimiter, Store, StoreContextMut, Trap,
};

use super::admission::{CpuGate, CpuSlot, Party, thread_cpu_time};
use super::bindings::PluginPre;
use super::bindings::warden::policy::types::{
    AuthorizeInput, PluginInfo, TransitionInput, ValidateInput, Verdict, Violation,
};
use super::bindings::warden::policy::{logging, types};
use super::error::{
    Fault, LoadError, MALFORMED_BINARY, MALFORMED_TRANSLATION, MALFORMED_WAT, MISMATCH_EXPORTS,
    MISMATCH_IMPORTS, Overload, SettingsError,
};
use super::inspect::{Structure, scan};
use super::limits::{
    DEADLINE_CPU_PERCENT, LOG_CALL_FUEL, LOG_FUEL_BYTES, LOG_LINE_MIN_BYTES, Limits,
};
use super::text::{host_text, interface_name, plugin_text};
use super::{ContentHash, FoundVersion, INTERFACE_PACKAGE, SUPPORTED_VERSIONS};

/// How often the background ticker advances the engine's epoch: every millisecond. The
/// deadline of a call is counted in these ticks, so it is precise to about 1 ms.
pub const EPOCH_TICK: Duration = Duration::from_millis(1);

/// Compiled plugins the cache keeps alive after every tenant stopped using them: the last
/// 4 compiled or found there. A compiled plugin costs far more memory than its bytes
/// (tens of MiB for a 2 MiB module), so the cache holds the plugins in use by reference
/// only: they live as long as a tenant's set holds them, and these few recent ones for a
/// reload of the same bytes (a version put back, a set checked and then swapped in).
/// Replacing a plugin again and again therefore keeps at most this many old ones.
pub const CACHE_CAPACITY: usize = 4;

/// The compile cache: every compiled plugin still alive, by content hash, and the recent
/// ones kept alive ([`CACHE_CAPACITY`]).
#[derive(Default)]
struct Cache {
    alive: HashMap<ContentHash, std::sync::Weak<CompiledPlugin>>,
    recent: std::collections::VecDeque<Arc<CompiledPlugin>>,
}

impl Cache {
    /// The compiled plugin of `hash`, if still alive; marked recent.
    fn get(&mut self, hash: &ContentHash) -> Option<Arc<CompiledPlugin>> {
        let hit = self.alive.get(hash).and_then(std::sync::Weak::upgrade);
        match &hit {
            Some(p) => self.touch(p),
            None => {
                self.alive.remove(hash);
            }
        }
        hit
    }

    /// Keeps `plugin` alive as the most recent, dropping the oldest beyond the capacity
    /// and the entries of plugins nobody holds any more.
    fn touch(&mut self, plugin: &Arc<CompiledPlugin>) {
        self.recent.retain(|p| !Arc::ptr_eq(p, plugin));
        self.recent.push_back(Arc::clone(plugin));
        while self.recent.len() > CACHE_CAPACITY {
            self.recent.pop_front();
        }
        self.alive.retain(|_, w| w.strong_count() > 0);
    }

    fn insert(&mut self, plugin: &Arc<CompiledPlugin>) {
        self.alive.insert(plugin.hash, Arc::downgrade(plugin));
        self.touch(plugin);
    }

    fn len(&self) -> usize {
        self.alive.values().filter(|w| w.strong_count() > 0).count()
    }
}

/// With the pooling allocator on Linux 6.7 or later (the `PAGEMAP_SCAN` ioctl), how many
/// bytes of a linear memory's pages a plugin wrote are kept resident when its instance
/// ends: 1 MiB. They are copied back to their initial contents (the module's data, or
/// zeros) by wasmtime, instead of being given back to the kernel and faulted in again by
/// the next instance; past this many written bytes the rest is given back as before. The
/// next instance sees exactly the pristine memory either way; this trades at most this
/// much resident memory per pool slot for no page faults and no TLB flushes per decision
/// (`host/benches/compare_plugins.rs`). Without `PAGEMAP_SCAN` it is not set: wasmtime
/// would then reset the first bytes of every memory whether written or not.
pub const KEEP_RESIDENT_BYTES: usize = 1 << 20;

/// As [`KEEP_RESIDENT_BYTES`], for each table: 64 KiB (8,192 function references).
pub const KEEP_RESIDENT_TABLE_BYTES: usize = 64 << 10;

/// How the [`Runtime`] allocates instances and admits work, process-wide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuntimeConfig {
    /// Use wasmtime's pooling allocator (pre-reserved slots: faster instantiation, bounded
    /// concurrency). Default on: it makes a fresh instance per decision about 1.6x cheaper
    /// (see `host/benches/plugins.rs`).
    pub pooling: bool,
    /// How many plugin instances may be alive at once across all tenants (default 256).
    /// With pooling, the pool holds this many component instances and, for each, the
    /// hard caps of core instances, memories and tables
    /// ([`Limits::CAPS`](super::Limits::CAPS)), so the pool's other slots cannot run out
    /// before this count does. A call waits for a free slot up to
    /// [`queue_wait_ms`](Self::queue_wait_ms), then faults with
    /// [`Fault::HostOverloaded`] (never the plugin's fault: it fails closed and does not
    /// touch the circuit breaker).
    pub max_concurrent_instances: u32,
    /// How many of those instances one tenant may hold at once (default 64, a quarter of
    /// the default pool): a tenant flooding the host waits for its own slots and cannot
    /// take the other tenants'.
    pub max_instances_per_tenant: u32,
    /// How many plugin calls may run guest code at once, all tenants together (default:
    /// the number of cores, `std::thread::available_parallelism`). More calls would only
    /// share the same cores and all reach their deadlines later; instead they wait, in
    /// fair queues (see [`max_running_per_tenant`](Self::max_running_per_tenant)).
    pub max_running_calls: u32,
    /// How many of the running calls one tenant may hold (default: half of
    /// [`max_running_calls`](Self::max_running_calls), at least 1; at most
    /// `max_running_calls`). A freed slot goes to the waiting tenant running the fewest
    /// calls, then to the one served least recently; so one tenant saturating the CPU
    /// leaves the other half of the cores to everyone else, and waits behind itself.
    pub max_running_per_tenant: u32,
    /// How long a call may wait for its running and instance slots, in milliseconds
    /// (default 250). Counted separately from the plugin's deadline, which starts when the
    /// plugin runs. Past it the call faults with [`Fault::HostOverloaded`]
    /// ([`Overload::QueueWait`]): it fails closed and never counts toward the breaker.
    pub queue_wait_ms: u64,
    /// The share of its deadline, in percent (1 to 100), a call must have had as CPU time
    /// for reaching the deadline to be the plugin's [`Fault::DeadlineExceeded`]; below it
    /// the call faults with [`Fault::HostOverloaded`] ([`Overload::Starved`]). Default
    /// [`DEADLINE_CPU_PERCENT`] (50). Lower it and a plugin that spins on a machine
    /// overloaded by others is blamed sooner; raise it and it is blamed only when it had
    /// most of a core.
    pub deadline_cpu_percent: u32,
    /// New compilations per tenant per minute (default 10, a burst of 10 then one every
    /// 6 s). Components already in the compile cache are free. Beyond it,
    /// [`Registry::load`](super::Registry::load) fails with
    /// [`LoadError::CompileRateLimited`].
    pub compiles_per_minute: u32,
    /// Compile plugins' code with optimisation (Cranelift's `OptLevel::Speed` and its
    /// default backtracking register allocator) instead of for bounded compile time
    /// (default `false`: no optimisation passes, single-pass allocator). A trade between
    /// a decision and a load, to make knowingly: optimised, one plugin adds about 5 µs
    /// less to a decision (`host/benches/compare_plugins.rs`, 2026-12-04, medians of 8
    /// runs: `email-domain` 23.3 → 18.6 µs, `four-eyes` 20.6 → 15.6 µs), but a hostile
    /// module of branchy functions at the default 2 MiB module limit compiles 1.5–2.4×
    /// as long (`host/benches/hostile.rs`, same day: 1.2–1.4 s → 2.1–2.4 s for 10,000
    /// functions, 0.75–1.2 s → 1.8 s for 31 of 64 KiB; super-linear in a function's
    /// size with the backtracking allocator), and compilation is the one phase that
    /// fuel and deadlines do not bound
    /// ([`compiles_per_minute`](Self::compiles_per_minute) and the module size limit
    /// do). Fuel counts wasm instructions, so a plugin's fuel and verdicts are the same
    /// either way. Turn it on where the plugins' authors are trusted not to send
    /// compile bombs and decisions matter more than loads.
    pub optimize_plugin_code: bool,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        let cores = std::thread::available_parallelism()
            .map_or(1, |n| u32::try_from(n.get()).unwrap_or(u32::MAX));
        RuntimeConfig {
            pooling: true,
            max_concurrent_instances: 256,
            max_instances_per_tenant: 64,
            max_running_calls: cores,
            max_running_per_tenant: (cores / 2).max(1),
            queue_wait_ms: 250,
            deadline_cpu_percent: DEADLINE_CPU_PERCENT,
            compiles_per_minute: 10,
            optimize_plugin_code: false,
        }
    }
}

impl RuntimeConfig {
    /// Checks the admission settings: none of the counts is zero, a tenant's share of the
    /// running calls is at most all of them, the CPU share is a percentage (1 to 100).
    ///
    /// # Errors
    /// [`SettingsError::Zero`] or [`SettingsError::AboveCap`] naming the setting
    /// (`maxRunningCalls`, `maxRunningPerTenant`, `deadlineCpuPercent`, ...).
    pub fn check(&self) -> Result<(), SettingsError> {
        let all: [(&'static str, u64, u64); 6] = [
            (
                "maxConcurrentInstances",
                self.max_concurrent_instances.into(),
                u64::from(u32::MAX),
            ),
            (
                "maxInstancesPerTenant",
                self.max_instances_per_tenant.into(),
                self.max_concurrent_instances.into(),
            ),
            (
                "maxRunningCalls",
                self.max_running_calls.into(),
                u64::from(u32::MAX),
            ),
            (
                "maxRunningPerTenant",
                self.max_running_per_tenant.into(),
                self.max_running_calls.into(),
            ),
            (
                "compilesPerMinute",
                self.compiles_per_minute.into(),
                u64::from(u32::MAX),
            ),
            ("deadlineCpuPercent", self.deadline_cpu_percent.into(), 100),
        ];
        for (limit, value, cap) in all {
            if value == 0 {
                return Err(SettingsError::Zero { limit });
            }
            if value > cap {
                return Err(SettingsError::AboveCap { limit, value, cap });
            }
        }
        Ok(())
    }
}

/// What a call holds while it runs: its running slot (the fair CPU gate), its tenant's
/// instance slot, and the process's.
#[derive(Debug)]
pub(crate) struct Admission<'a> {
    _cpu: CpuSlot<'a>,
    _tenant: Option<Slot<'a>>,
    _instance: Slot<'a>,
}

/// A counting gate over instance slots: the process-wide one of the [`Runtime`] and one
/// per tenant. Waiting is bounded by the queue wait ([`RuntimeConfig::queue_wait_ms`]).
#[derive(Debug)]
pub(crate) struct Gate {
    capacity: u32,
    state: Mutex<GateState>,
    freed: Condvar,
}

/// The slots of a [`Gate`] in use, and how many callers wait for one.
#[derive(Debug, Default)]
struct GateState {
    in_use: u32,
    waiting: u32,
}

/// A slot held in a [`Gate`], released when dropped.
#[derive(Debug)]
pub(crate) struct Slot<'a>(&'a Gate);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut st = self.0.lock();
        st.in_use = st.in_use.saturating_sub(1);
        // A waiter is woken only when there is one: `notify_one` is a system call
        // (futex wake) even with nobody waiting, and most calls find a slot at once.
        // Waiters count themselves under the same lock, so none is missed.
        let wake = st.waiting > 0;
        drop(st);
        if wake {
            self.0.freed.notify_one();
        }
    }
}

impl Gate {
    pub(crate) fn new(capacity: u32) -> Self {
        Gate {
            capacity: capacity.max(1),
            state: Mutex::new(GateState::default()),
            freed: Condvar::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes a slot, waiting until `until` at most.
    pub(crate) fn acquire(&self, until: Instant) -> Option<Slot<'_>> {
        let mut st = self.lock();
        while st.in_use >= self.capacity {
            let left = until
                .checked_duration_since(Instant::now())
                .filter(|l| !l.is_zero())?;
            st.waiting += 1;
            st = self
                .freed
                .wait_timeout(st, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            st.waiting -= 1;
        }
        st.in_use += 1;
        Some(Slot(self))
    }

    /// Slots in use now.
    pub(crate) fn in_use(&self) -> u32 {
        self.lock().in_use
    }
}

/// A token bucket of compilations: `per_minute` in a burst, then one every
/// `60 s / per_minute`.
#[derive(Debug)]
pub(crate) struct CompileBudget {
    per_minute: u32,
    state: Mutex<(f64, Instant)>,
}

impl CompileBudget {
    pub(crate) fn new(per_minute: u32) -> Self {
        CompileBudget {
            per_minute: per_minute.max(1),
            state: Mutex::new((f64::from(per_minute.max(1)), Instant::now())),
        }
    }

    /// Takes one compilation, or says when the next one will be allowed.
    pub(crate) fn take(&self) -> Result<(), LoadError> {
        let rate = f64::from(self.per_minute) / 60_000.0; // tokens per millisecond
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        let elapsed = now.duration_since(st.1).as_secs_f64() * 1000.0;
        st.0 = (st.0 + elapsed * rate).min(f64::from(self.per_minute));
        st.1 = now;
        if st.0 >= 1.0 {
            st.0 -= 1.0;
            return Ok(());
        }
        let wait = ((1.0 - st.0) / rate).ceil();
        Err(LoadError::CompileRateLimited {
            per_minute: self.per_minute,
            retry_after_ms: if wait.is_finite() && wait > 0.0 {
                wait as u64
            } else {
                1
            },
        })
    }
}

/// The plugin runtime: one engine, one linker, one cache, one epoch ticker thread.
///
/// Create one per process and share it (`Arc<Runtime>`); it is `Send + Sync`. Dropping
/// the last reference stops the ticker thread.
pub struct Runtime {
    engine: Engine,
    linker: Linker<StoreData>,
    core_linker: Linker<StoreData>,
    cache: Mutex<Cache>,
    /// Held while compiling: one compilation at a time, so that peak compiler memory
    /// does not multiply with concurrent loads.
    compiling: Mutex<()>,
    slots: Gate,
    cpu: CpuGate,
    config: RuntimeConfig,
    stop: Arc<AtomicBool>,
    ticker: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").finish_non_exhaustive()
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
    }
}

/// A plugin compiled and checked: its component, its pre-linked instance, who it says it
/// is. Shared by every tenant that loads the same bytes.
pub struct CompiledPlugin {
    pre: Prepared,
    hash: ContentHash,
    name: String,
    version: String,
    interface: String,
    size: usize,
    structure: Structure,
}

impl std::fmt::Debug for CompiledPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledPlugin")
            .field("name", &self.name)
            .field("version", &self.version)
            .field("hash", &self.hash.to_string())
            .finish_non_exhaustive()
    }
}

impl CompiledPlugin {
    /// The name the plugin gives itself (`describe`).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The version the plugin gives itself (`describe`).
    pub fn version(&self) -> &str {
        &self.version
    }
    /// The SHA-256 of the component binary.
    pub fn hash(&self) -> ContentHash {
        self.hash
    }
    /// The interface it was built for (`warden:policy/hooks@0.1.0`).
    pub fn interface(&self) -> &str {
        &self.interface
    }
    /// The binary's size, in bytes.
    pub fn size(&self) -> usize {
        self.size
    }
    /// What the structural scan counted.
    pub fn structure(&self) -> Structure {
        self.structure
    }
    pub(crate) fn pre(&self) -> &Prepared {
        &self.pre
    }
}

/// A plugin ready to instantiate: its pre-linked component and where its four hooks are.
pub(crate) struct Prepared {
    instance: InstancePre<StoreData>,
    hooks: HookIndices,
}

/// Where the hooks are among a plugin's exports, found once when it is compiled. The
/// generated `PluginPre::instantiate` looks up and type-checks all four hooks in every
/// new instance; a call needs one, so [`Hooks`] finds and checks only the one it calls.
struct HookIndices {
    describe: ComponentExportIndex,
    validate_user: ComponentExportIndex,
    authorize: ComponentExportIndex,
    transition: ComponentExportIndex,
}

impl Prepared {
    /// The instance and hook indices of a plugin whose exports `PluginPre::new` checked:
    /// the same lookups (by the same names) as the generated bindings.
    fn new(pre: &PluginPre<StoreData>) -> Option<Prepared> {
        let instance = pre.instance_pre().clone();
        let component = instance.component();
        let hooks = component.get_export_index(None, "warden:policy/hooks@0.1.0")?;
        let find = |name: &str| component.get_export_index(Some(&hooks), name);
        let hooks = HookIndices {
            describe: find("describe")?,
            validate_user: find("validate-user")?,
            authorize: find("authorize")?,
            transition: find("transition")?,
        };
        Some(Prepared { instance, hooks })
    }
}

/// The hooks of one fresh instance of a plugin. Each call looks up and type-checks only
/// its own hook (as the generated bindings do for all four), then calls it; wasmtime
/// runs the hook's post-return within the call.
pub(crate) struct Hooks<'a> {
    instance: Instance,
    indices: &'a HookIndices,
}

impl Hooks<'_> {
    /// Type-checks all four hooks (as the generated `PluginPre::instantiate` does in every
    /// instance), then calls `describe`: at load, so that a plugin with a hook of the
    /// wrong type is refused then, not when that hook is first called. `None` when a hook
    /// has the wrong type.
    fn check_and_describe(
        &self,
        store: &mut Store<StoreData>,
    ) -> wasmtime::Result<Option<PluginInfo>> {
        let i = self.indices;
        let typed = self
            .instance
            .get_typed_func::<(), (PluginInfo,)>(&mut *store, &i.describe)
            .is_ok()
            && self
                .instance
                .get_typed_func::<(&ValidateInput,), (Result<Vec<Violation>, String>,)>(
                    &mut *store,
                    &i.validate_user,
                )
                .is_ok()
            && self
                .instance
                .get_typed_func::<(&AuthorizeInput,), (Result<Verdict, String>,)>(
                    &mut *store,
                    &i.authorize,
                )
                .is_ok()
            && self
                .instance
                .get_typed_func::<(&TransitionInput,), (Result<Verdict, String>,)>(
                    &mut *store,
                    &i.transition,
                )
                .is_ok();
        if !typed {
            return Ok(None);
        }
        self.call_describe(store).map(Some)
    }

    /// `describe`.
    pub(crate) fn call_describe(
        &self,
        store: &mut Store<StoreData>,
    ) -> wasmtime::Result<PluginInfo> {
        let f = self
            .instance
            .get_typed_func::<(), (PluginInfo,)>(&mut *store, &self.indices.describe)?;
        Ok(f.call(store, ())?.0)
    }

    /// `validate-user`.
    pub(crate) fn call_validate_user(
        &self,
        store: &mut Store<StoreData>,
        input: &ValidateInput,
    ) -> wasmtime::Result<Result<Vec<Violation>, String>> {
        let f = self
            .instance
            .get_typed_func::<(&ValidateInput,), (Result<Vec<Violation>, String>,)>(
                &mut *store,
                &self.indices.validate_user,
            )?;
        Ok(f.call(store, (input,))?.0)
    }

    /// `authorize`.
    pub(crate) fn call_authorize(
        &self,
        store: &mut Store<StoreData>,
        input: &AuthorizeInput,
    ) -> wasmtime::Result<Result<Verdict, String>> {
        let f = self
            .instance
            .get_typed_func::<(&AuthorizeInput,), (Result<Verdict, String>,)>(
                &mut *store,
                &self.indices.authorize,
            )?;
        Ok(f.call(store, (input,))?.0)
    }

    /// `transition`.
    pub(crate) fn call_transition(
        &self,
        store: &mut Store<StoreData>,
        input: &TransitionInput,
    ) -> wasmtime::Result<Result<Verdict, String>> {
        let f = self
            .instance
            .get_typed_func::<(&TransitionInput,), (Result<Verdict, String>,)>(
                &mut *store,
                &self.indices.transition,
            )?;
        Ok(f.call(store, (input,))?.0)
    }
}

/// A log line a plugin wrote.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LogLine {
    /// `debug`, `info`, `warn` or `error`.
    pub level: &'static str,
    /// The line's first bytes, up to the per-line cap (`maxLogLineBytes`), control
    /// characters stripped. (A line longer than the lifting budget is not read: it faults
    /// the call.)
    pub message: String,
}

/// Per-store state: the memory limiter and the log.
pub(crate) struct StoreData {
    limiter: MemoryLimiter,
    log: Vec<LogLine>,
    log_bytes: usize,
    log_dropped: u32,
    max_log_line: usize,
    max_log_bytes: usize,
    max_log_lines: usize,
}

/// A [`ResourceLimiter`] that refuses growth beyond the limit and remembers it did, so
/// the resulting trap is reported as [`Fault::MemoryLimit`].
struct MemoryLimiter {
    limit: usize,
    total: usize,
    peak: usize,
    hit: bool,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = self.total.saturating_sub(current).saturating_add(desired);
        if total > self.limit {
            self.hit = true;
            return Ok(false);
        }
        self.total = total;
        self.peak = self.peak.max(total);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= super::inspect::MAX_TABLE_ELEMENTS as usize)
    }
}

impl types::Host for StoreData {}

impl StoreData {
    /// Keeps a line, or counts it as dropped: every line costs at least
    /// [`LOG_LINE_MIN_BYTES`] of the budget, no more than `max_log_lines` are kept, and
    /// only the first bytes that fit are copied (without control characters).
    fn log_full(&self) -> bool {
        self.log.len() >= self.max_log_lines
            || self.log_bytes.saturating_add(LOG_LINE_MIN_BYTES) > self.max_log_bytes
    }

    fn keep_line(&mut self, level: logging::Level, line: Option<&str>) {
        let Some(line) = line.filter(|_| !self.log_full()) else {
            self.log_dropped = self.log_dropped.saturating_add(1);
            return;
        };
        let room = self
            .max_log_line
            .min(self.max_log_bytes.saturating_sub(self.log_bytes));
        let message = plugin_text(line, room);
        self.log_bytes = self
            .log_bytes
            .saturating_add(message.len().max(LOG_LINE_MIN_BYTES));
        let level = match level {
            logging::Level::Debug => "debug",
            logging::Level::Info => "info",
            logging::Level::Warn => "warn",
            logging::Level::Error => "error",
        };
        self.log.push(LogLine { level, message });
    }
}

/// The `log` import. The line is lifted as a [`WasmStr`], a bounds-checked view of guest
/// memory: only the bytes kept are copied. The call costs [`LOG_CALL_FUEL`] plus one
/// unit per [`LOG_FUEL_BYTES`] bytes of the line; a plugin without that fuel left
/// faults with [`Fault::FuelExhausted`]. Invalid UTF-8 is the plugin's
/// [`Fault::InvalidOutput`].
fn log_import(
    mut cx: StoreContextMut<'_, StoreData>,
    (level, line): (logging::Level, WasmStr),
) -> wasmtime::Result<()> {
    let (len, kept) = {
        let data = cx.data();
        let (full, max) = (data.log_full(), data.max_log_line);
        let text = line.to_str(&cx)?;
        (text.len(), (!full).then(|| plugin_text(&text, max)))
    };
    cx.data_mut().keep_line(level, kept.as_deref());
    let cost =
        LOG_CALL_FUEL.saturating_add(u64::try_from(len).unwrap_or(u64::MAX) / LOG_FUEL_BYTES);
    let fuel = cx.get_fuel()?;
    if fuel < cost {
        cx.set_fuel(0)?;
        return Err(wasmtime::Error::new(Trap::OutOfFuel));
    }
    cx.set_fuel(fuel - cost)?;
    Ok(())
}

/// What one call measured, besides its result.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallStats {
    /// Fuel consumed (instantiation and the call).
    pub fuel_used: u64,
    /// Peak linear memory, in bytes.
    pub peak_memory: usize,
    /// Bytes of strings returned.
    pub output_bytes: usize,
    /// Wall-clock time of instantiation and call, in microseconds.
    pub micros: u64,
    /// CPU time of the calling thread during instantiation and call, in microseconds
    /// (`None` where the platform has no thread CPU clock). Far below `micros` when the
    /// host was overloaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_micros: Option<u64>,
    /// Time waited for admission (running and instance slots) before the call, in
    /// microseconds; set by the caller that admitted it.
    pub queue_micros: u64,
    /// Log lines written (bounded by the log limits).
    pub log: Vec<LogLine>,
    /// Log lines dropped once the per-decision log limit was reached.
    pub log_dropped: u32,
}

/// Which of the supported interfaces a name is, or the version found.
fn parse_versioned(name: &str, iface: &str) -> Option<Result<(), FoundVersion>> {
    let rest = name.strip_prefix(INTERFACE_PACKAGE)?.strip_prefix('/')?;
    let (i, version) = rest.split_once('@').unwrap_or((rest, ""));
    if i != iface {
        return None;
    }
    let ok = version
        .strip_prefix(SUPPORTED_VERSIONS)
        .is_some_and(|r| r.starts_with('.') && r.len() > 1);
    Some(if ok {
        Ok(())
    } else {
        Err(FoundVersion(interface_name(name)))
    })
}

impl Runtime {
    /// A runtime with the default configuration (pooling allocator on).
    ///
    /// # Errors
    /// [`LoadError::Mismatch`] if wasmtime cannot be configured (an unsupported platform).
    pub fn new() -> Result<Arc<Runtime>, LoadError> {
        Runtime::with_config(RuntimeConfig::default())
    }

    /// A runtime with a given configuration.
    ///
    /// # Errors
    /// As [`Runtime::new`]; [`LoadError::Settings`] when the configuration is unusable
    /// ([`RuntimeConfig::check`]).
    pub fn with_config(rc: RuntimeConfig) -> Result<Arc<Runtime>, LoadError> {
        rc.check()?;
        let mut config = Config::new();
        config.consume_fuel(true);
        config.epoch_interruption(true);
        config.wasm_component_model(true);
        config.max_wasm_stack(512 << 10);
        // Untrusted code is compiled for bounded compile time, not peak speed, unless the
        // operator chose otherwise: the single-pass register allocator is linear in the
        // code, where the default backtracking one is super-linear on functions with many
        // branches, and no optimisation passes. The figures of the trade are on
        // `RuntimeConfig::optimize_plugin_code`; the core component compiles twice as fast
        // this way too.
        if rc.optimize_plugin_code {
            config.cranelift_regalloc_algorithm(RegallocAlgorithm::Backtracking);
            config.cranelift_opt_level(OptLevel::Speed);
        } else {
            config.cranelift_regalloc_algorithm(RegallocAlgorithm::SinglePass);
            config.cranelift_opt_level(OptLevel::None);
        }
        if rc.pooling {
            // Every component instance may use the hard caps of core instances, memories
            // and tables, and the pool holds that much for each: admission in component
            // instances (the gates) is then enough for no other slot kind to run out.
            let caps = Limits::CAPS;
            let mut pool = PoolingAllocationConfig::default();
            let n = rc.max_concurrent_instances.max(1);
            pool.total_component_instances(n);
            pool.max_core_instances_per_component(caps.max_core_instances);
            pool.max_memories_per_component(caps.max_memories);
            pool.max_tables_per_component(caps.max_tables);
            pool.total_core_instances(n.saturating_mul(caps.max_core_instances));
            pool.total_memories(n.saturating_mul(caps.max_memories));
            pool.total_tables(n.saturating_mul(caps.max_tables));
            pool.max_memory_size(caps.memory_bytes);
            pool.table_elements(super::inspect::MAX_TABLE_ELEMENTS as usize);
            // Reset what a plugin wrote by copying, not by giving pages back to the kernel:
            // only with PAGEMAP_SCAN, which finds the written pages (see
            // KEEP_RESIDENT_BYTES).
            if PoolingAllocationConfig::is_pagemap_scan_available() {
                pool.pagemap_scan(Enabled::Yes);
                pool.linear_memory_keep_resident(KEEP_RESIDENT_BYTES);
                pool.table_keep_resident(KEEP_RESIDENT_TABLE_BYTES);
            }
            config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        }
        let engine = Engine::new(&config).map_err(|_| LoadError::Mismatch {
            reason: "the host cannot configure wasmtime on this platform",
        })?;
        let mut linker = Linker::new(&engine);
        let link = |_: wasmtime::Error| LoadError::Mismatch {
            reason: "the host cannot link its own functions",
        };
        types::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s).map_err(link)?;
        linker
            .instance("warden:policy/logging@0.1.0")
            .and_then(|mut i| i.func_wrap("log", log_import))
            .map_err(link)?;
        let core_linker = Linker::new(&engine);
        let stop = Arc::new(AtomicBool::new(false));
        let ticker = {
            let engine = engine.clone();
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("warden-epoch".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(EPOCH_TICK);
                        engine.increment_epoch();
                    }
                })
                .map_err(|_| LoadError::Mismatch {
                    reason: "the host cannot start the epoch ticker thread",
                })?
        };
        Ok(Arc::new(Runtime {
            engine,
            linker,
            core_linker,
            cache: Mutex::new(Cache::default()),
            compiling: Mutex::new(()),
            slots: Gate::new(rc.max_concurrent_instances),
            cpu: CpuGate::new(rc.max_running_calls, rc.max_running_per_tenant),
            config: rc,
            stop,
            ticker: Some(ticker),
        }))
    }

    /// The engine, for embedders that compile other components with the same settings.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The configuration this runtime was built with.
    pub fn config(&self) -> RuntimeConfig {
        self.config
    }

    /// Compiles a component and checks it is a plugin, or returns the cached compilation of
    /// the same bytes. Runs `describe` once under `limits`. Not rate-limited: a tenant's
    /// loads go through [`Registry::load`](super::Registry::load), which is.
    ///
    /// In order, each step bounded before the next: the size; the structural scan
    /// ([`Structure`], limits `maxNesting` to `maxTables`, also checked again on a cache
    /// hit under these `limits`); one compilation at a time process-wide; the imports,
    /// exports and types; `describe` in a fresh instance; the name and version it gives.
    ///
    /// # Errors
    /// A [`LoadError`]: too large, a structural limit, malformed, a forbidden import
    /// (named), an unsupported interface version, a missing export, `describe` faulting,
    /// an invalid or reserved name or version.
    pub fn compile(&self, bytes: &[u8], limits: &Limits) -> Result<Arc<CompiledPlugin>, LoadError> {
        self.compile_with(bytes, limits, Party::Host, None, || Ok(()))
    }

    /// [`compile`](Self::compile) for `party`, calling `admit` before compiling anything
    /// not in the cache (the tenant's compile budget); `describe` is admitted as the
    /// party's calls are.
    pub(crate) fn compile_with(
        &self,
        bytes: &[u8],
        limits: &Limits,
        party: Party,
        tenant_gate: Option<&Gate>,
        admit: impl FnOnce() -> Result<(), LoadError>,
    ) -> Result<Arc<CompiledPlugin>, LoadError> {
        if bytes.len() > limits.max_module_bytes {
            return Err(LoadError::ModuleTooLarge {
                size: bytes.len(),
                limit: limits.max_module_bytes,
            });
        }
        let hash = ContentHash(Sha256::digest(bytes).into());
        let hit = self.lock_cache().get(&hash);
        if let Some(hit) = hit {
            hit.structure.check(limits)?;
            return Ok(hit);
        }
        // WAT text (tests, local tools) is parsed to its binary first: the scan reads
        // binaries.
        let binary = wat::parse_bytes(bytes).map_err(|_| LoadError::Malformed {
            reason: MALFORMED_WAT,
            offset: None,
        })?;
        let structure = scan(&binary, limits)?;
        admit()?;
        let (pre, interface) = {
            let _one_at_a_time = self
                .compiling
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            // The same bytes may have been compiled while this load waited for the lock.
            let hit = self.lock_cache().get(&hash);
            if let Some(hit) = hit {
                return Ok(hit);
            }
            let component = self.component(&binary)?;
            let interface = check_plugin_shape(&self.engine, &component)?;
            // The linker's messages quote the component's names: not repeated.
            let instance_pre =
                self.linker
                    .instantiate_pre(&component)
                    .map_err(|_| LoadError::Mismatch {
                        reason: MISMATCH_IMPORTS,
                    })?;
            let pre = PluginPre::new(instance_pre)
                .ok()
                .as_ref()
                .and_then(Prepared::new)
                .ok_or(LoadError::Mismatch {
                    reason: MISMATCH_EXPORTS,
                })?;
            (pre, interface)
        };
        let (info, _) = match self.admit(&party, tenant_gate) {
            Ok(_admitted) => self.call(&pre, limits, |store, plugin| {
                plugin.check_and_describe(store)
            }),
            Err(f) => (Err(f), CallStats::default()),
        };
        // A hook of the wrong type: the exports do not match the interface.
        let info = info
            .map_err(LoadError::Describe)?
            .ok_or(LoadError::Mismatch {
                reason: MISMATCH_EXPORTS,
            })?;
        check_identity(&info.name, &info.version)?;
        let compiled = Arc::new(CompiledPlugin {
            pre,
            hash,
            name: info.name,
            version: info.version,
            interface,
            size: bytes.len(),
            structure,
        });
        self.lock_cache().insert(&compiled);
        Ok(compiled)
    }

    /// Admits a call of `party`: a running slot of the fair CPU gate, then a slot of the
    /// tenant's instance gate (if any) and of the process's, all within
    /// [`RuntimeConfig::queue_wait_ms`].
    ///
    /// # Errors
    /// [`Fault::HostOverloaded`] naming what was not free in time.
    pub(crate) fn admit<'a>(
        &'a self,
        party: &Party,
        tenant_gate: Option<&'a Gate>,
    ) -> Result<Admission<'a>, Fault> {
        let wait = Duration::from_millis(self.config.queue_wait_ms);
        let until = super::admission::far(wait);
        let cpu = self
            .cpu
            .acquire(party, wait)
            .map_err(|cause| Fault::HostOverloaded { cause })?;
        let instances = || Fault::HostOverloaded {
            cause: Overload::Instances {
                limit_ms: self.config.queue_wait_ms,
            },
        };
        let tenant = match tenant_gate {
            Some(g) => Some(g.acquire(until).ok_or_else(instances)?),
            None => None,
        };
        let instance = self.slots.acquire(until).ok_or_else(instances)?;
        Ok(Admission {
            _cpu: cpu,
            _tenant: tenant,
            _instance: instance,
        })
    }

    /// Plugin instances alive now, across all tenants.
    pub fn instances_in_use(&self) -> u32 {
        self.slots.in_use()
    }

    /// Plugin calls running guest code now, across all tenants (at most
    /// [`RuntimeConfig::max_running_calls`]).
    pub fn calls_running(&self) -> u32 {
        self.cpu.running()
    }

    /// Plugin calls waiting for a running slot now, across all tenants.
    pub fn calls_waiting(&self) -> usize {
        self.cpu.waiting()
    }

    /// Instantiates a plugin in a fresh store and calls `describe`: the fixed cost every
    /// hook call pays (benchmarks, health checks).
    ///
    /// # Errors
    /// The [`Fault`] of the call.
    pub fn describe(
        &self,
        plugin: &CompiledPlugin,
        limits: &Limits,
    ) -> (Result<(String, String), Fault>, CallStats) {
        let _admitted = match self.admit(&Party::Host, None) {
            Ok(a) => a,
            Err(f) => return (Err(f), CallStats::default()),
        };
        let (r, stats) = self.call(&plugin.pre, limits, |store, p| p.call_describe(store));
        (r.map(|i| (i.name, i.version)), stats)
    }

    /// How many compiled plugins are alive: in use by a tenant, or among the recent ones
    /// the cache keeps ([`CACHE_CAPACITY`]).
    pub fn cached(&self) -> usize {
        self.lock_cache().len()
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn component(&self, bytes: &[u8]) -> Result<Component, LoadError> {
        // wasmparser's and wasmtime's messages quote the component's names: only the kind
        // and the offset are kept.
        Component::new(&self.engine, bytes).map_err(|e| {
            pool_limit(&e).unwrap_or_else(|| {
                match e
                    .chain()
                    .find_map(|c| c.downcast_ref::<wasmparser::BinaryReaderError>())
                {
                    Some(b) => LoadError::Malformed {
                        reason: MALFORMED_BINARY,
                        offset: Some(b.offset()),
                    },
                    None => LoadError::Malformed {
                        reason: MALFORMED_TRANSLATION,
                        offset: None,
                    },
                }
            })
        })
    }

    pub(crate) fn core_linker(&self) -> &Linker<StoreData> {
        &self.core_linker
    }

    /// Runs `f` on a fresh instance of `pre` within `limits`, returning its result or the
    /// fault, and what the call measured. The caller holds an [`Admission`].
    pub(crate) fn call<R>(
        &self,
        pre: &Prepared,
        limits: &Limits,
        f: impl FnOnce(&mut Store<StoreData>, &Hooks<'_>) -> wasmtime::Result<R>,
    ) -> (Result<R, Fault>, CallStats) {
        self.with_store(limits, |store| {
            let instance = pre
                .instance
                .instantiate(&mut *store)
                .map_err(|e| (Phase::Instantiate, e))?;
            let hooks = Hooks {
                instance,
                indices: &pre.hooks,
            };
            f(store, &hooks).map_err(|e| (Phase::Call, e))
        })
    }

    /// Runs `f` with a fresh store carrying `limits` (fuel, epoch deadline, memory, the
    /// lifting budget), measuring the thread's CPU time around it: a deadline reached with
    /// less than [`DEADLINE_CPU_PERCENT`] of it as CPU time is the host's
    /// [`Overload::Starved`], not the plugin's [`Fault::DeadlineExceeded`].
    pub(crate) fn with_store<R>(
        &self,
        limits: &Limits,
        f: impl FnOnce(&mut Store<StoreData>) -> Result<R, (Phase, wasmtime::Error)>,
    ) -> (Result<R, Fault>, CallStats) {
        let start = Instant::now();
        let data = StoreData {
            limiter: MemoryLimiter {
                limit: limits.memory_bytes,
                total: 0,
                peak: 0,
                hit: false,
            },
            log: Vec::new(),
            log_bytes: 0,
            log_dropped: 0,
            max_log_line: limits.max_log_line_bytes,
            max_log_bytes: limits.max_log_bytes,
            max_log_lines: usize::try_from(limits.max_log_lines).unwrap_or(usize::MAX),
        };
        let mut store = Store::new(&self.engine, data);
        store.limiter(|d| &mut d.limiter);
        store.set_hostcall_fuel(limits.lift_budget());
        let tick_ms = u64::try_from(EPOCH_TICK.as_millis()).unwrap_or(1).max(1);
        store.set_epoch_deadline(limits.deadline_ms.div_ceil(tick_ms).max(1));
        let cpu_start = thread_cpu_time();
        let result = match store.set_fuel(limits.fuel) {
            Ok(()) => f(&mut store),
            Err(e) => Err((Phase::Instantiate, e)),
        };
        let cpu = cpu_start
            .zip(thread_cpu_time())
            .map(|(a, b)| b.saturating_sub(a));
        let fuel_left = store.get_fuel().unwrap_or(0);
        let data = store.into_data();
        let stats = CallStats {
            fuel_used: limits.fuel.saturating_sub(fuel_left),
            peak_memory: data.limiter.peak,
            output_bytes: 0,
            micros: u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX),
            cpu_micros: cpu.map(|c| u64::try_from(c.as_micros()).unwrap_or(u64::MAX)),
            queue_micros: 0,
            log: data.log,
            log_dropped: data.log_dropped,
        };
        let percent = self.config.deadline_cpu_percent;
        let result = result
            .map_err(|(phase, e)| classify(&e, phase, limits, data.limiter.hit, cpu, percent));
        (result, stats)
    }
}

/// The pooling allocator's per-component caps, checked by wasmtime when it translates a
/// component, as the structural limit each one is: the count the scan could not see
/// (a nested component instantiated several times) against the hard cap.
fn pool_limit(e: &wasmtime::Error) -> Option<LoadError> {
    let text = e.to_string();
    if !text.contains("in the pooling allocator") {
        return None;
    }
    let caps = Limits::CAPS;
    let (limit, max) = if text.contains("core module instances") {
        ("maxCoreInstances", caps.max_core_instances)
    } else if text.contains("memories") {
        ("maxMemories", caps.max_memories)
    } else if text.contains("tables") {
        ("maxTables", caps.max_tables)
    } else {
        return None;
    };
    let found = text
        .split_whitespace()
        .find_map(|w| w.parse::<u64>().ok())
        .unwrap_or(u64::from(max).saturating_add(1));
    Some(LoadError::Structure {
        limit,
        found,
        max: u64::from(max),
    })
}

/// Where a wasmtime error happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Creating the instance (allocation, start functions).
    Instantiate,
    /// The hook's call, including lowering its input and lifting its result.
    Call,
}

/// The fault of a call stopped by its deadline after `cpu` of CPU time: the plugin's
/// [`Fault::DeadlineExceeded`] when it had at least `percent` of the deadline (or the CPU
/// time is unknown), the host's [`Overload::Starved`] otherwise.
pub(crate) fn deadline_fault(limits: &Limits, cpu: Option<Duration>, percent: u32) -> Fault {
    let deadline = Duration::from_millis(limits.deadline_ms);
    // Saturating: limits not checked against their caps (a public `compile`'s) never panic.
    let owed = deadline.saturating_mul(percent.min(100)) / 100;
    match cpu {
        Some(cpu) if cpu < owed => Fault::HostOverloaded {
            cause: Overload::Starved {
                deadline_ms: limits.deadline_ms,
                cpu_ms: u64::try_from(cpu.as_millis()).unwrap_or(u64::MAX),
                percent,
            },
        },
        _ => Fault::DeadlineExceeded {
            limit_ms: limits.deadline_ms,
        },
    }
}

/// The text of wasmtime's hostcall-fuel error: its type is private, its message is what
/// identifies it (pinned by `host/tests/plugin_hostile.rs`).
const LIFT_BUDGET_TEXT: &str = "too much data is being copied between the host and the guest";

/// Maps a wasmtime error to the fault it is. Host-written messages only: a trap is named
/// by its kind (wasmtime's backtrace, which carries function names the plugin chose, is
/// dropped), other errors by a fixed text. `cpu` is the thread's CPU time during the call
/// and `percent` the share of the deadline it must reach ([`deadline_fault`]).
fn classify(
    e: &wasmtime::Error,
    phase: Phase,
    limits: &Limits,
    memory_hit: bool,
    cpu: Option<Duration>,
    percent: u32,
) -> Fault {
    let trap = e.downcast_ref::<Trap>();
    // A refused `memory.grow` the plugin survived does not make a later deadline its
    // memory's fault: the deadline is classified as deadlines are (the host's starvation,
    // or the plugin's time).
    if memory_hit && !matches!(trap, Some(Trap::Interrupt)) {
        return Fault::MemoryLimit {
            limit: limits.memory_bytes,
        };
    }
    if let Some(t) = trap {
        return match t {
            Trap::OutOfFuel => Fault::FuelExhausted { limit: limits.fuel },
            Trap::Interrupt => deadline_fault(limits, cpu, percent),
            Trap::StackOverflow => Fault::StackOverflow,
            other => Fault::Trap {
                message: host_text(&other.to_string(), 200),
            },
        };
    }
    if e.downcast_ref::<PoolConcurrencyLimitError>().is_some() {
        return Fault::Host {
            message: "the instance pool is exhausted".into(),
        };
    }
    if e.chain().any(|c| c.to_string().contains(LIFT_BUDGET_TEXT)) {
        return Fault::OutputTooLarge {
            size: limits.lift_budget(),
            limit: limits.lift_budget(),
            what: "lifting",
        };
    }
    match phase {
        // Allocation refused for the instance's own needs: more core instances, memories
        // or tables than the pool allows one component, a memory or table too large.
        Phase::Instantiate => Fault::InstanceLimit,
        // Lowering the input or lifting the result broke the canonical ABI: a pointer or
        // length out of bounds, a bad discriminant or flag, invalid UTF-8.
        Phase::Call => Fault::InvalidOutput {
            reason: format!(
                "the result breaks the canonical ABI ({})",
                host_text(&e.root_cause().to_string(), 160)
            ),
        },
    }
}

/// The grammar of plugin names: `[a-z][a-z0-9]*(-[a-z0-9]+)*`, at most 64 bytes.
pub const NAME_RULE: &str =
    "lower-case letters and digits in words joined by `-`, starting with a letter, 1 to 64 bytes";

/// The grammar of plugin versions: ASCII letters, digits, `.`, `+`, `-`, starting with a
/// letter or digit, at most 32 bytes (`1.0.0`, `2.1.0-rc.1+build.5`).
pub const VERSION_RULE: &str =
    "ASCII letters, digits, `.`, `+` and `-`, starting with a letter or digit, 1 to 32 bytes";

/// Names the host keeps for itself (`core` is the kernel in every `rule` and `source`).
pub const RESERVED_NAMES: [&str; 3] = ["core", "warden", "host"];

fn valid_name(name: &str) -> bool {
    name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.split('-').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

fn valid_version(v: &str) -> bool {
    v.len() <= 32
        && v.starts_with(|c: char| c.is_ascii_alphanumeric())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-'))
}

/// Checks what `describe` returned. Errors never quote an invalid name.
fn check_identity(name: &str, version: &str) -> Result<(), LoadError> {
    if !valid_name(name) {
        return Err(LoadError::InvalidIdentity {
            field: "name",
            rule: NAME_RULE,
        });
    }
    if !valid_version(version) {
        return Err(LoadError::InvalidIdentity {
            field: "version",
            rule: VERSION_RULE,
        });
    }
    if RESERVED_NAMES.contains(&name) {
        return Err(LoadError::ReservedName {
            name: name.to_owned(),
        });
    }
    Ok(())
}

/// Checks imports and exports: only `logging`/`types` imports, a supported `hooks`
/// export. Returns the hooks export's name.
fn check_plugin_shape(engine: &Engine, component: &Component) -> Result<String, LoadError> {
    let ty = component.component_type();
    for (name, _) in ty.imports(engine) {
        match parse_versioned(name, "logging").or_else(|| parse_versioned(name, "types")) {
            Some(Ok(())) => {}
            Some(Err(v)) => return Err(v.into()),
            None => {
                return Err(LoadError::ForbiddenImport {
                    import: interface_name(name),
                });
            }
        }
    }
    let mut found = None;
    for (name, _) in ty.exports(engine) {
        match parse_versioned(name, "hooks") {
            Some(Ok(())) => return Ok(name.to_owned()),
            Some(Err(v)) => found = Some(v),
            None => {}
        }
    }
    match found {
        Some(v) => Err(v.into()),
        None => Err(LoadError::MissingExport {
            expected: "warden:policy/hooks@0.1.0",
        }),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn a_freed_slot_wakes_a_waiter_and_a_full_gate_times_out() {
        let gate = Gate::new(1);
        let held = gate.acquire(Instant::now()).unwrap();
        // Full: no slot by the deadline.
        assert!(
            gate.acquire(Instant::now() + Duration::from_millis(20))
                .is_none()
        );
        std::thread::scope(|s| {
            let waiter = s.spawn(|| {
                let start = Instant::now();
                let slot = gate.acquire(start + Duration::from_secs(5));
                (slot.is_some(), start.elapsed())
            });
            std::thread::sleep(Duration::from_millis(50));
            drop(held);
            let (got, waited) = waiter.join().unwrap();
            assert!(got, "the waiter got the freed slot");
            assert!(
                waited < Duration::from_secs(4),
                "woken, not timed out: {waited:?}"
            );
        });
        assert_eq!(gate.in_use(), 0);
        assert_eq!(gate.lock().waiting, 0);
    }

    #[test]
    fn a_deadline_is_the_plugins_only_when_it_had_half_of_it_as_cpu_time() {
        let limits = Limits {
            deadline_ms: 100,
            ..Limits::default()
        };
        let at = |ms: u64| deadline_fault(&limits, Some(Duration::from_millis(ms)), 50);
        assert_eq!(at(50), Fault::DeadlineExceeded { limit_ms: 100 });
        assert_eq!(at(100), Fault::DeadlineExceeded { limit_ms: 100 });
        assert_eq!(
            at(49),
            Fault::HostOverloaded {
                cause: Overload::Starved {
                    deadline_ms: 100,
                    cpu_ms: 49,
                    percent: 50
                }
            }
        );
        assert!(at(0).is_host());
        assert!(!at(50).is_host());
        // No thread CPU clock: the deadline stays the plugin's.
        assert_eq!(
            deadline_fault(&limits, None, 50),
            Fault::DeadlineExceeded { limit_ms: 100 }
        );
        assert_eq!(
            deadline_fault(&limits, Some(Duration::from_millis(10)), 10),
            Fault::DeadlineExceeded { limit_ms: 100 }
        );
        assert!(deadline_fault(&limits, Some(Duration::from_millis(9)), 10).is_host());
        assert_eq!(
            at(3).to_string(),
            "the host is overloaded: the call reached its deadline of 100 ms with 3 ms of CPU time, under 50% of it: the host did not run the plugin"
        );
    }
}
