//! The [`Runtime`]: one wasmtime [`Engine`], the epoch ticker, the linker with the only
//! import plugins get, and the cache of compiled plugins by content hash.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, ResourceLimiter, Store,
    Trap,
};

use super::bindings::warden::policy::{logging, types};
use super::bindings::{Plugin, PluginPre};
use super::error::{Fault, LoadError};
use super::limits::Limits;
use super::{ContentHash, FoundVersion, INTERFACE_PACKAGE, SUPPORTED_VERSIONS};

/// How often the background ticker advances the engine's epoch: every millisecond. The
/// deadline of a call is counted in these ticks, so it is precise to about 1 ms.
pub const EPOCH_TICK: Duration = Duration::from_millis(1);

/// Most compiled plugins kept in the cache; beyond it, entries no tenant uses are dropped.
pub const CACHE_CAPACITY: usize = 256;

/// How the [`Runtime`] allocates instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuntimeConfig {
    /// Use wasmtime's pooling allocator (pre-reserved slots: faster instantiation, bounded
    /// concurrency). Default on: it makes a fresh instance per decision about 1.6x cheaper
    /// (see `host/benches/plugins.rs`).
    pub pooling: bool,
    /// With pooling: how many instances may be alive at once across all tenants (default
    /// 256). A call beyond it faults with [`Fault::Host`], under the hook's failure policy.
    pub max_concurrent_instances: u32,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            pooling: true,
            max_concurrent_instances: 256,
        }
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
    cache: Mutex<HashMap<ContentHash, Arc<CompiledPlugin>>>,
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
    pre: PluginPre<StoreData>,
    hash: ContentHash,
    name: String,
    version: String,
    interface: String,
    size: usize,
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
    pub(crate) fn pre(&self) -> &PluginPre<StoreData> {
        &self.pre
    }
}

/// A log line a plugin wrote.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LogLine {
    /// `debug`, `info`, `warn` or `error`.
    pub level: &'static str,
    /// The line, truncated to the per-line cap.
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
        Ok(desired <= 100_000)
    }
}

impl types::Host for StoreData {}

impl logging::Host for StoreData {
    fn log(&mut self, level: logging::Level, message: String) {
        if self.log_bytes >= self.max_log_bytes {
            self.log_dropped = self.log_dropped.saturating_add(1);
            return;
        }
        let room = self.max_log_line.min(self.max_log_bytes - self.log_bytes);
        let mut message = message;
        if message.len() > room {
            let mut cut = room;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
        }
        self.log_bytes += message.len();
        let level = match level {
            logging::Level::Debug => "debug",
            logging::Level::Info => "info",
            logging::Level::Warn => "warn",
            logging::Level::Error => "error",
        };
        self.log.push(LogLine { level, message });
    }
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
        Err(FoundVersion(name.to_owned()))
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
    /// As [`Runtime::new`].
    pub fn with_config(rc: RuntimeConfig) -> Result<Arc<Runtime>, LoadError> {
        let mut config = Config::new();
        config.consume_fuel(true);
        config.epoch_interruption(true);
        config.wasm_component_model(true);
        config.max_wasm_stack(512 << 10);
        if rc.pooling {
            let mut pool = PoolingAllocationConfig::default();
            let n = rc.max_concurrent_instances.max(1);
            pool.total_component_instances(n);
            pool.total_core_instances(n.saturating_mul(2));
            pool.total_memories(n.saturating_mul(2));
            pool.total_tables(n.saturating_mul(2));
            pool.max_memory_size(Limits::CAPS.memory_bytes);
            config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        }
        let engine = Engine::new(&config).map_err(|e| LoadError::Mismatch {
            reason: format!("cannot configure wasmtime: {e}"),
        })?;
        let mut linker = Linker::new(&engine);
        Plugin::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s).map_err(|e| {
            LoadError::Mismatch {
                reason: format!("cannot link the host functions: {e}"),
            }
        })?;
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
                .map_err(|e| LoadError::Mismatch {
                    reason: format!("cannot start the epoch ticker: {e}"),
                })?
        };
        Ok(Arc::new(Runtime {
            engine,
            linker,
            core_linker,
            cache: Mutex::new(HashMap::new()),
            stop,
            ticker: Some(ticker),
        }))
    }

    /// The engine, for embedders that compile other components with the same settings.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Compiles a component and checks it is a plugin, or returns the cached compilation of
    /// the same bytes. Runs `describe` once under `limits`.
    ///
    /// # Errors
    /// A [`LoadError`]: too large, malformed, a forbidden import (named), an unsupported
    /// interface version, a missing export, or `describe` faulting.
    pub fn compile(&self, bytes: &[u8], limits: &Limits) -> Result<Arc<CompiledPlugin>, LoadError> {
        if bytes.len() > limits.max_module_bytes {
            return Err(LoadError::ModuleTooLarge {
                size: bytes.len(),
                limit: limits.max_module_bytes,
            });
        }
        let hash = ContentHash(Sha256::digest(bytes).into());
        if let Some(hit) = self.lock_cache().get(&hash) {
            return Ok(Arc::clone(hit));
        }
        let component = self.component(bytes)?;
        let interface = check_plugin_shape(&self.engine, &component)?;
        let instance_pre =
            self.linker
                .instantiate_pre(&component)
                .map_err(|e| LoadError::Mismatch {
                    reason: format!("{e:#}"),
                })?;
        let pre = PluginPre::new(instance_pre).map_err(|e| LoadError::Mismatch {
            reason: format!("{e:#}"),
        })?;
        let (info, _) = self.call(&pre, limits, |store, plugin| {
            plugin.warden_policy_hooks().call_describe(store)
        });
        let info = info.map_err(LoadError::Describe)?;
        let compiled = Arc::new(CompiledPlugin {
            pre,
            hash,
            name: clip(info.name, 128),
            version: clip(info.version, 64),
            interface,
            size: bytes.len(),
        });
        let mut cache = self.lock_cache();
        if cache.len() >= CACHE_CAPACITY {
            cache.retain(|_, p| Arc::strong_count(p) > 1);
        }
        cache.insert(hash, Arc::clone(&compiled));
        Ok(compiled)
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
        let (r, stats) = self.call(&plugin.pre, limits, |store, p| {
            p.warden_policy_hooks().call_describe(store)
        });
        (r.map(|i| (i.name, i.version)), stats)
    }

    /// How many compiled plugins the cache holds.
    pub fn cached(&self) -> usize {
        self.lock_cache().len()
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, HashMap<ContentHash, Arc<CompiledPlugin>>> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn component(&self, bytes: &[u8]) -> Result<Component, LoadError> {
        Component::new(&self.engine, bytes).map_err(|e| LoadError::Malformed {
            reason: one_line(&format!("{e:#}")),
        })
    }

    pub(crate) fn core_linker(&self) -> &Linker<StoreData> {
        &self.core_linker
    }

    /// Runs `f` on a fresh instance of `pre` within `limits`, returning its result or the
    /// fault, and what the call measured.
    pub(crate) fn call<R>(
        &self,
        pre: &PluginPre<StoreData>,
        limits: &Limits,
        f: impl FnOnce(&mut Store<StoreData>, &Plugin) -> wasmtime::Result<R>,
    ) -> (Result<R, Fault>, CallStats) {
        self.with_store(limits, |store| {
            let plugin = pre.instantiate(&mut *store)?;
            f(store, &plugin)
        })
    }

    /// Runs `f` with a fresh store carrying `limits` (fuel, epoch deadline, memory).
    pub(crate) fn with_store<R>(
        &self,
        limits: &Limits,
        f: impl FnOnce(&mut Store<StoreData>) -> wasmtime::Result<R>,
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
        };
        let mut store = Store::new(&self.engine, data);
        store.limiter(|d| &mut d.limiter);
        let tick_ms = u64::try_from(EPOCH_TICK.as_millis()).unwrap_or(1).max(1);
        store.set_epoch_deadline(limits.deadline_ms.div_ceil(tick_ms).max(1));
        let result = match store.set_fuel(limits.fuel) {
            Ok(()) => f(&mut store),
            Err(e) => Err(e),
        };
        let fuel_left = store.get_fuel().unwrap_or(0);
        let data = store.into_data();
        let stats = CallStats {
            fuel_used: limits.fuel.saturating_sub(fuel_left),
            peak_memory: data.limiter.peak,
            output_bytes: 0,
            micros: u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX),
            log: data.log,
            log_dropped: data.log_dropped,
        };
        let result = result.map_err(|e| classify(&e, limits, data.limiter.hit));
        (result, stats)
    }
}

/// Maps a wasmtime error to the fault it is.
fn classify(e: &wasmtime::Error, limits: &Limits, memory_hit: bool) -> Fault {
    if memory_hit {
        return Fault::MemoryLimit {
            limit: limits.memory_bytes,
        };
    }
    match e.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => Fault::FuelExhausted { limit: limits.fuel },
        Some(Trap::Interrupt) => Fault::DeadlineExceeded {
            limit_ms: limits.deadline_ms,
        },
        Some(Trap::StackOverflow) => Fault::StackOverflow,
        Some(t) => Fault::Trap {
            message: t.to_string(),
        },
        None => Fault::Host {
            message: one_line(&format!("{e:#}")),
        },
    }
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
                    import: name.to_owned(),
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

pub(crate) fn one_line(s: &str) -> String {
    clip(s.replace(['\n', '\r'], " "), 1024)
}

pub(crate) fn clip(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}
