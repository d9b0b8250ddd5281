//! The plugin host's errors: one enum per operation (load, call, settings, evaluation).
//!
//! Messages are lower case without a final period; every limit error reports the
//! configured value. Each error has a stable [`code`](Fault::code) for programs.

use super::FoundVersion;

/// Why a component could not be loaded as a plugin (or as the core component).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The binary is larger than the module size limit.
    #[error("the component is {size} bytes, above the module size limit of {limit} bytes")]
    ModuleTooLarge {
        /// The binary's size, in bytes.
        size: usize,
        /// The configured limit, in bytes.
        limit: usize,
    },
    /// The component's structure exceeds a limit (nesting, functions, a function's size,
    /// types, instances, memories, tables), found by the scan before any compilation.
    #[error("the component exceeds `{limit}`: {found} counted, above the limit of {max}")]
    Structure {
        /// The limit (`maxNesting`, `maxFunctions`, ...), as in the tenant settings.
        limit: &'static str,
        /// What the scan had counted when it stopped (at least this many).
        found: u64,
        /// The configured limit.
        max: u64,
    },
    /// The tenant compiled too many new components recently (components found in the
    /// compile cache are free).
    #[error(
        "too many new plugin compilations for this tenant: the limit is {per_minute} per minute, try again in {retry_after_ms} ms"
    )]
    CompileRateLimited {
        /// The configured rate, compilations per minute.
        per_minute: u32,
        /// When the next compilation will be allowed, in milliseconds.
        retry_after_ms: u64,
    },
    /// The name or version a plugin gives itself (`describe`) is not valid.
    #[error("the plugin's {field} is not valid: {rule}")]
    InvalidIdentity {
        /// `name` or `version`.
        field: &'static str,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// The plugin calls itself by a name the host reserves.
    #[error("the plugin name `{name}` is reserved for the host")]
    ReservedName {
        /// The name.
        name: String,
    },
    /// Two plugins of one tenant have the same name.
    #[error("two plugins of the tenant are named `{name}`: names are unique within a tenant")]
    DuplicateName {
        /// The name.
        name: String,
    },
    /// The binary is not a valid WebAssembly component. The parser's and validator's own
    /// messages are not repeated (they quote names the component chose): the error names
    /// the kind of failure and, for a binary, the byte offset where it was found.
    #[error("not a valid WebAssembly component: {reason}{}", at(*offset))]
    Malformed {
        /// What is wrong, host-written: [`MALFORMED_WAT`], [`MALFORMED_CORE_MODULE`],
        /// [`MALFORMED_BINARY`] or [`MALFORMED_TRANSLATION`].
        reason: &'static str,
        /// The byte offset of the first error in the binary, when the parser knows it.
        offset: Option<usize>,
    },
    /// The component imports something other than `warden:policy/logging`.
    #[error(
        "the component imports `{import}`: plugins may import only `warden:policy/logging` (no WASI, clock, randomness, network or files)"
    )]
    ForbiddenImport {
        /// The import's name when it is a plain interface or kebab name (letters, digits,
        /// `:/@.+-`, at most 128 bytes); otherwise a fixed text: names such as `url=<...>`
        /// carry free text and are not repeated.
        import: String,
    },
    /// The component was built for an interface version this host does not support.
    #[error(
        "the component was built for `{found}`, this host supports `warden:policy@{supported}` (0.1.x): rebuild it with a matching SDK"
    )]
    UnsupportedVersion {
        /// The versioned name found (`warden:policy/hooks@0.2.0`), quoted under the same
        /// rule as [`ForbiddenImport`](Self::ForbiddenImport)'s.
        found: String,
        /// The supported version range.
        supported: &'static str,
    },
    /// The component does not export the expected interface.
    #[error("the component does not export `{expected}`")]
    MissingExport {
        /// The interface expected.
        expected: &'static str,
    },
    /// The component's exports do not have the interface's types (or the host could not
    /// be set up). The linker's own message is not repeated: it quotes names the component
    /// chose.
    #[error("the component does not match the interface: {reason}")]
    Mismatch {
        /// What does not match, host-written: [`MISMATCH_IMPORTS`], [`MISMATCH_EXPORTS`], or
        /// a fixed text for a host that cannot be set up.
        reason: &'static str,
    },
    /// `describe` failed at load.
    #[error("the plugin failed at load: {0}")]
    Describe(Fault),
    /// The tenant settings are unusable.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// A file could not be read.
    #[error("cannot read `{path}`: {reason}")]
    Io {
        /// The file.
        path: String,
        /// The operating system's message.
        reason: String,
    },
    /// One plugin of a set could not be loaded ([`Registry::load`](super::Registry::load)):
    /// which one, and why. The caller knows the plugins by its own names (a stored name, a
    /// file): [`LoadError::position`] says which of those it gave is at fault.
    #[error("plugin {} of the set: {source}", position + 1)]
    InPlugin {
        /// The plugin's index in the list given to the load, from 0.
        position: usize,
        /// Why it could not be loaded.
        source: Box<LoadError>,
    },
}

/// [`LoadError::Malformed`]: WAT text that does not parse.
pub const MALFORMED_WAT: &str = "the WebAssembly text does not parse";
/// [`LoadError::Malformed`]: a core module where a component was expected.
pub const MALFORMED_CORE_MODULE: &str = "a core module, not a component";
/// [`LoadError::Malformed`]: the binary does not parse or does not validate.
pub const MALFORMED_BINARY: &str = "the binary does not parse or validate";
/// [`LoadError::Malformed`]: wasmtime cannot translate a binary that validates.
pub const MALFORMED_TRANSLATION: &str = "wasmtime cannot translate the component";
/// [`LoadError::Mismatch`]: an import the host does not provide with that type.
pub const MISMATCH_IMPORTS: &str =
    "an import does not have the type of the host's `warden:policy/logging` or `types`";
/// [`LoadError::Mismatch`]: an export without the interface's type.
pub const MISMATCH_EXPORTS: &str =
    "the exported `warden:policy/hooks` functions do not have the interface's types";

fn at(offset: Option<usize>) -> String {
    offset.map_or_else(String::new, |o| format!(" (at byte offset {o})"))
}

impl LoadError {
    /// The stable machine code (`module_too_large`, `forbidden_import`, ...); for
    /// [`LoadError::InPlugin`], its cause's.
    pub fn code(&self) -> &'static str {
        match self {
            LoadError::InPlugin { source, .. } => source.code(),
            LoadError::ModuleTooLarge { .. } => "module_too_large",
            LoadError::Structure { .. } => "structure_limit",
            LoadError::CompileRateLimited { .. } => "compile_rate_limited",
            LoadError::InvalidIdentity { .. } => "invalid_identity",
            LoadError::ReservedName { .. } => "reserved_name",
            LoadError::DuplicateName { .. } => "duplicate_name",
            LoadError::Malformed { .. } => "malformed_component",
            LoadError::ForbiddenImport { .. } => "forbidden_import",
            LoadError::UnsupportedVersion { .. } => "unsupported_interface_version",
            LoadError::MissingExport { .. } => "missing_export",
            LoadError::Mismatch { .. } => "interface_mismatch",
            LoadError::Describe(_) => "describe_failed",
            LoadError::Settings(_) => "invalid_settings",
            LoadError::Io { .. } => "io",
        }
    }

    /// The index (from 0) of the plugin at fault in the list given to
    /// [`Registry::load`](super::Registry::load); `None` for an error of the whole set
    /// (settings, the compile budget) or of a single component.
    pub fn position(&self) -> Option<usize> {
        match self {
            LoadError::InPlugin { position, .. } => Some(*position),
            _ => None,
        }
    }

    /// What went wrong, without the plugin's position: the error itself, or the cause of
    /// a [`LoadError::InPlugin`].
    pub fn cause(&self) -> &LoadError {
        match self {
            LoadError::InPlugin { source, .. } => source.cause(),
            other => other,
        }
    }
}

/// A tenant setting outside its allowed range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// A limit above its hard cap.
    #[error("`{limit}` is {value}, above its hard cap of {cap}")]
    AboveCap {
        /// The setting (`fuel`, `memoryBytes`, ...).
        limit: &'static str,
        /// The value asked for.
        value: u64,
        /// The cap.
        cap: u64,
    },
    /// A setting below its minimum (other than a zero it allows).
    #[error("`{limit}` is {value}, below its minimum of {min}")]
    BelowMin {
        /// The setting.
        limit: &'static str,
        /// The value asked for.
        value: u64,
        /// The minimum.
        min: u64,
    },
    /// A limit of zero.
    #[error("`{limit}` must be greater than zero")]
    Zero {
        /// The setting.
        limit: &'static str,
    },
    /// The settings document is unreadable.
    #[error("invalid tenant settings: {reason}")]
    Invalid {
        /// What is wrong.
        reason: String,
    },
}

/// Why one plugin call failed. Under a fail-closed policy this becomes a deny (or an error
/// violation), never an allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Fault {
    /// The call used all its fuel.
    #[error("the plugin ran out of fuel (limit {limit} units)")]
    FuelExhausted {
        /// The configured fuel.
        limit: u64,
    },
    /// The instance asked for more linear memory than allowed.
    #[error("the plugin exceeded its memory limit of {limit} bytes")]
    MemoryLimit {
        /// The configured limit, in bytes.
        limit: usize,
    },
    /// The wall-clock deadline passed.
    #[error("the plugin exceeded its deadline of {limit_ms} ms")]
    DeadlineExceeded {
        /// The configured deadline, in milliseconds.
        limit_ms: u64,
    },
    /// The wasm call stack overflowed (deep recursion).
    #[error("the plugin overflowed its call stack")]
    StackOverflow,
    /// The input of the hook is larger than allowed; the plugin was not called (the
    /// caller's fault: it never counts toward the plugin's circuit breaker).
    #[error("the hook's input is {size} bytes, above the input limit of {limit} bytes")]
    InputTooLarge {
        /// The input's size, in bytes.
        size: usize,
        /// The configured limit, in bytes.
        limit: usize,
    },
    /// The plugin returned more than allowed: more bytes of decision JSON than the output
    /// limit, more violations than `maxViolations`, or more data than wasmtime may copy
    /// while lifting the result ([`Limits::lift_budget`](super::Limits::lift_budget)).
    #[error("the plugin's output is above the {what} limit of {limit} ({size} counted)")]
    OutputTooLarge {
        /// What was counted, at least (bytes, or violations).
        size: usize,
        /// The configured limit.
        limit: usize,
        /// Which limit: `output` (bytes), `violation` (count) or `lifting` (bytes copied).
        what: &'static str,
    },
    /// The plugin trapped (`unreachable`, a panic, an out-of-bounds access).
    #[error("the plugin trapped: {message}")]
    Trap {
        /// The trap's description.
        message: String,
    },
    /// The plugin returned something the interface forbids: a malformed code, params that
    /// are not a JSON object, a path too long, or a result that breaks the canonical ABI
    /// (an out-of-bounds pointer, a bad discriminant, invalid UTF-8).
    #[error("the plugin returned an invalid result: {reason}")]
    InvalidOutput {
        /// What is wrong (host-written, never the plugin's text).
        reason: String,
    },
    /// The plugin returned `err(message)`: it could not decide. The message is the
    /// plugin's text and is not part of this error's own message.
    #[error("the plugin could not decide")]
    PluginError {
        /// The plugin's message, without control characters, at most 1 KiB.
        message: String,
    },
    /// The component instance needs more core instances, memories or tables (or a
    /// larger memory or table) than the host allows one instance.
    #[error("the plugin needs more instances, memories or tables than the host allows")]
    InstanceLimit,
    /// The circuit breaker disabled the plugin after repeated faults.
    #[error("the plugin is disabled after {faults} consecutive faults")]
    Disabled {
        /// The consecutive faults that disabled it.
        faults: u32,
    },
    /// The host could not run the plugin (an internal error: the instance pool refused an
    /// allocation). Not the plugin's fault: it never counts toward the plugin's circuit
    /// breaker, and it always fails closed, whatever the tenant's failure policy.
    #[error("the host could not run the plugin: {message}")]
    Host {
        /// What failed (host-written).
        message: String,
    },
    /// The host was overloaded: the call found no CPU or instance slot within the queue
    /// wait, or it reached its deadline without getting the CPU time the host owes it
    /// ([`Overload::Starved`]). Not the plugin's fault: as [`Fault::Host`], it never counts
    /// toward the plugin's circuit breaker and always fails closed.
    #[error("the host is overloaded: {cause}")]
    HostOverloaded {
        /// Why.
        cause: Overload,
    },
}

/// Why the host was overloaded ([`Fault::HostOverloaded`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Overload {
    /// No running slot (CPU admission) became free within the queue wait.
    #[error("no CPU slot became free within the queue wait of {limit_ms} ms")]
    QueueWait {
        /// The configured queue wait
        /// ([`RuntimeConfig::queue_wait_ms`](super::RuntimeConfig::queue_wait_ms)).
        limit_ms: u64,
    },
    /// No instance slot (of the tenant's or of the process's) became free within the
    /// queue wait.
    #[error("no instance slot became free within the queue wait of {limit_ms} ms")]
    Instances {
        /// The configured queue wait, in milliseconds.
        limit_ms: u64,
    },
    /// The call reached its deadline with less CPU time than
    /// [`RuntimeConfig::deadline_cpu_percent`](super::RuntimeConfig::deadline_cpu_percent)
    /// of it (default [`DEADLINE_CPU_PERCENT`](super::limits::DEADLINE_CPU_PERCENT)): the
    /// host ran other work instead (starvation), the plugin did not use up its time.
    #[error(
        "the call reached its deadline of {deadline_ms} ms with {cpu_ms} ms of CPU time, under {percent}% of it: the host did not run the plugin"
    )]
    Starved {
        /// The configured deadline, in milliseconds.
        deadline_ms: u64,
        /// CPU time the call's thread got, in milliseconds (rounded down).
        cpu_ms: u64,
        /// The share of the deadline a plugin must have had for the deadline to be its
        /// fault, in percent
        /// ([`RuntimeConfig::deadline_cpu_percent`](super::RuntimeConfig::deadline_cpu_percent)).
        percent: u32,
    },
}

impl Fault {
    /// The stable machine code (`fuel_exhausted`, `memory_limit`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            Fault::FuelExhausted { .. } => "fuel_exhausted",
            Fault::MemoryLimit { .. } => "memory_limit",
            Fault::DeadlineExceeded { .. } => "deadline_exceeded",
            Fault::StackOverflow => "stack_overflow",
            Fault::InputTooLarge { .. } => "input_too_large",
            Fault::OutputTooLarge { .. } => "output_too_large",
            Fault::Trap { .. } => "trap",
            Fault::InvalidOutput { .. } => "invalid_output",
            Fault::PluginError { .. } => "plugin_error",
            Fault::Disabled { .. } => "plugin_disabled",
            Fault::Host { .. } => "host_error",
            Fault::HostOverloaded { .. } => "host_overloaded",
            Fault::InstanceLimit => "instance_limit",
        }
    }

    /// Whether the fault is the host's, not the plugin's: such a fault never trips the
    /// plugin's circuit breaker and never fails open.
    pub fn is_host(&self) -> bool {
        matches!(self, Fault::Host { .. } | Fault::HostOverloaded { .. })
    }

    /// Whether the fault is not the plugin's: the host's ([`Fault::is_host`]) or the
    /// caller's (an input above the limit: the plugin never ran). Such a fault never trips
    /// the plugin's circuit breaker and never fails open, whatever the tenant's failure
    /// policy: a caller who could make an input large enough would otherwise skip a
    /// plugin that fails open.
    pub fn is_not_the_plugins(&self) -> bool {
        self.is_host() || matches!(self, Fault::InputTooLarge { .. })
    }
}

/// Why a request could not be evaluated by the host (domain outcomes, including plugin
/// faults, are decisions, not errors).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EvaluateError {
    /// The core refused the request (bad shape, unknown preset, ...).
    #[error(transparent)]
    Core(#[from] warden_core::api::ApiError),
    /// The host-level part of the request is unusable (`pluginFacts` not an object).
    #[error("invalid input at `{path}`: {reason}")]
    Input {
        /// The key path.
        path: &'static str,
        /// What is wrong.
        reason: String,
    },
}

impl EvaluateError {
    /// The error as JSON: the core's error envelope
    /// ([`ApiError::envelope`](warden_core::api::ApiError::envelope)).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            EvaluateError::Core(e) => e.envelope(),
            EvaluateError::Input { path, reason } => {
                warden_core::api::ApiError::invalid_input(*path, reason.as_str()).envelope()
            }
        }
    }
}

/// Why the core component could not evaluate a request (not a domain error: those come
/// back as the core's error JSON).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CoreComponentError {
    /// The component could not be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The call faulted (limits, trap).
    #[error(transparent)]
    Fault(#[from] Fault),
    /// The component returned text that is not JSON.
    #[error("the core component returned invalid JSON: {reason}")]
    InvalidJson {
        /// The parser's message.
        reason: String,
    },
}

impl From<FoundVersion> for LoadError {
    fn from(v: FoundVersion) -> Self {
        LoadError::UnsupportedVersion {
            found: v.0,
            supported: super::SUPPORTED_VERSIONS,
        }
    }
}
