//! The limits of a plugin call and the tenant settings that carry them.
//!
//! Every limit is an explicit setting with a unit, a default and a hard cap that no tenant
//! setting can exceed; exceeding a limit during a call is its own [`Fault`](super::Fault)
//! variant reporting the configured value. Defaults are safe for untrusted plugins.
//!
//! | limit | unit | default | hard cap | when exceeded |
//! |-------|------|---------|----------|---------------|
//! | [`fuel`](Limits::fuel) | wasmtime fuel (≈ one unit per wasm instruction) | 10,000,000 | 1,000,000,000 | [`Fault::FuelExhausted`](super::Fault::FuelExhausted) |
//! | [`memory_bytes`](Limits::memory_bytes) | bytes of linear memory (all memories of the instance) | 16 MiB | 256 MiB | `memory.grow` fails, then [`Fault::MemoryLimit`](super::Fault::MemoryLimit) |
//! | [`deadline_ms`](Limits::deadline_ms) | wall-clock milliseconds (epoch interruption, 1 ms ticks), from when the call runs | 100 | 10,000 | [`Fault::DeadlineExceeded`](super::Fault::DeadlineExceeded) if the call had at least [`DEADLINE_CPU_PERCENT`] of it as CPU time, else the host's [`Fault::HostOverloaded`](super::Fault::HostOverloaded) |
//! | [`max_input_bytes`](Limits::max_input_bytes) | bytes of strings passed to one hook | 1 MiB | 16 MiB | [`Fault::InputTooLarge`](super::Fault::InputTooLarge), the plugin is not called |
//! | [`max_output_bytes`](Limits::max_output_bytes) | bytes of strings returned by one hook | 64 KiB | 4 MiB | [`Fault::OutputTooLarge`](super::Fault::OutputTooLarge) |
//! | [`max_log_line_bytes`](Limits::max_log_line_bytes) | bytes kept per `log` call | 1 KiB | 64 KiB | the rest of the line is not kept; a line longer than [`lift_budget`](Limits::lift_budget) faults the call ([`Fault::OutputTooLarge`](super::Fault::OutputTooLarge), `lifting`) |
//! | [`max_log_bytes`](Limits::max_log_bytes) | bytes of log per decision per plugin | 8 KiB | 1 MiB | further lines are dropped and counted |
//! | [`max_module_bytes`](Limits::max_module_bytes) | bytes of the component binary | 2 MiB | 64 MiB | [`LoadError::ModuleTooLarge`](super::LoadError::ModuleTooLarge) at load |
//! | [`max_log_lines`](Limits::max_log_lines) | log lines kept per decision per plugin | 64 | 1,024 | further lines are dropped and counted |
//! | [`max_violations`](Limits::max_violations) | violations returned by one call | 64 | 1,024 | [`Fault::OutputTooLarge`](super::Fault::OutputTooLarge) |
//! | [`max_path_parts`](Limits::max_path_parts) | parts of one violation's path | 16 | 64 | [`Fault::InvalidOutput`](super::Fault::InvalidOutput) |
//! | [`max_nesting`](Limits::max_nesting) | nesting depth of components and modules (the outer component is 1) | 3 | 8 | [`LoadError::Structure`](super::LoadError::Structure) at load |
//! | [`max_functions`](Limits::max_functions) | core functions defined, all modules together | 10,000 | 100,000 | [`LoadError::Structure`](super::LoadError::Structure) |
//! | [`max_function_bytes`](Limits::max_function_bytes) | bytes of one function body | 64 KiB | 1 MiB | [`LoadError::Structure`](super::LoadError::Structure) |
//! | [`max_types`](Limits::max_types) | type definitions, core and component, all levels together | 10,000 | 100,000 | [`LoadError::Structure`](super::LoadError::Structure) |
//! | [`max_core_instances`](Limits::max_core_instances) | core instances of one component instance | 8 | 16 | [`LoadError::Structure`](super::LoadError::Structure) |
//! | [`max_memories`](Limits::max_memories) | linear memories of one component instance | 1 | 2 | [`LoadError::Structure`](super::LoadError::Structure) |
//! | [`max_tables`](Limits::max_tables) | tables of one component instance | 4 | 8 | [`LoadError::Structure`](super::LoadError::Structure) |
//!
//! The structural limits are counted by a `wasmparser` pass **before** wasmtime
//! translates or compiles anything, so a component nested thousands of levels deep or
//! with a hundred thousand functions costs a linear scan of its bytes, not gigabytes of
//! compiler memory. Instances, memories and tables are also capped per component
//! instance by the pooling allocator itself (at their hard caps), so a count the scan
//! cannot see statically (a nested component instantiated twice) is refused when
//! `describe` is first called at load.
//!
//! The scan also refuses a module that declares a linear memory larger than
//! [`memory_bytes`](Limits::memory_bytes) (`memoryBytes`) or a table of more than
//! 20,000 elements (`tableElements`, fixed: what a table slot of the instance pool holds,
//! and as far as a table may grow): such a component could never be instantiated.
//!
//! Fixed costs, not configurable: every `log` call costs at least
//! [`LOG_LINE_MIN_BYTES`] of the log budget and [`LOG_CALL_FUEL`] fuel (plus one unit per
//! [`LOG_FUEL_BYTES`] bytes of the line); an empty line is not free. The output of a call
//! is counted as the bytes of JSON the host adds to the decision (code, path, message,
//! params and the plugin's `source` of every violation), so a violation with an empty
//! path and message still costs its ~150 bytes. While lifting the result, wasmtime may
//! copy at most [`lift_budget`](Limits::lift_budget) bytes (strings and lists, aliased or
//! not) before the call faults with [`Fault::OutputTooLarge`](super::Fault::OutputTooLarge);
//! the same budget bounds one `log` line, so a line longer than it (320 KiB by default,
//! five times the longest line the log could keep) is not read at all and the call faults
//! the same way, where a shorter one is cut to `max_log_line_bytes`.
//!
//! Fuel is the deterministic limit: the same plugin, input and configuration always use
//! the same fuel. The deadline is a backstop for what fuel does not meter (host calls,
//! memory growth): a plugin that stays under its fuel finishes well before it.
//!
//! # Deadlines under CPU starvation
//! The deadline counts wall-clock time, so on a saturated machine a call can reach it
//! without having run: its thread was preempted, the host ran other work. That is not the
//! plugin's fault, and it must not trip the plugin's circuit breaker. So the host measures
//! the calling thread's CPU time around the call (`CLOCK_THREAD_CPUTIME_ID`: instantiation,
//! guest code and the host functions it calls, which are all the call can spend time on:
//! a plugin has no way to block or sleep). A call stopped by its deadline is:
//! - the plugin's [`Fault::DeadlineExceeded`](super::Fault::DeadlineExceeded), counted
//!   toward its breaker and handled under the tenant's failure policy, when it had at
//!   least [`DEADLINE_CPU_PERCENT`] (half, configurable per runtime) of the deadline as CPU
//!   time: it really used its time;
//! - otherwise the host's [`Fault::HostOverloaded`](super::Fault::HostOverloaded)
//!   ([`Overload::Starved`](super::Overload::Starved), reporting the CPU time it got): it
//!   fails closed whatever the failure policy (never a silent fail-open) and never counts
//!   toward the breaker.
//!
//! The fuel the call burned is reported either way (`fuelUsed`, readable after the
//! interrupt). Where the platform has no thread CPU clock, a deadline is always the
//! plugin's. Before the call runs, it waits for a running slot of the fair CPU gate
//! ([`RuntimeConfig`](super::RuntimeConfig): `maxRunningCalls`, per tenant, queue wait),
//! and that wait is not part of the deadline.

use serde::{Deserialize, Serialize};

use super::error::SettingsError;

/// Limits of one plugin call; see the [module docs](self) for units, defaults and caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Limits {
    /// Fuel per call (wasmtime fuel units). Default 10,000,000; cap 1,000,000,000.
    pub fuel: u64,
    /// Linear memory per instance, in bytes. Default 16 MiB; cap 256 MiB.
    pub memory_bytes: usize,
    /// Wall-clock deadline per call, in milliseconds, from when the call runs (not while it
    /// waits for a slot). Default 100; cap 10,000. Reached with less than
    /// [`DEADLINE_CPU_PERCENT`] of it as CPU time, it is the host's overload, not the
    /// plugin's fault.
    pub deadline_ms: u64,
    /// Bytes of input strings per call. Default 1 MiB; cap 16 MiB.
    pub max_input_bytes: usize,
    /// Bytes of output strings per call. Default 64 KiB; cap 4 MiB.
    pub max_output_bytes: usize,
    /// Bytes kept of one log line (the rest is not kept). Default 1 KiB; cap 64 KiB. A line
    /// longer than [`lift_budget`](Self::lift_budget) is not read and faults the call.
    pub max_log_line_bytes: usize,
    /// Bytes of log per plugin per decision. Default 8 KiB; cap 1 MiB.
    pub max_log_bytes: usize,
    /// Bytes of a component binary. Default 2 MiB; cap 64 MiB.
    pub max_module_bytes: usize,
    /// Log lines kept per plugin per decision. Default 64; cap 1,024.
    pub max_log_lines: u32,
    /// Violations one `validate-user` call may return. Default 64; cap 1,024.
    pub max_violations: u32,
    /// Parts of one violation's path. Default 16; cap 64.
    pub max_path_parts: u32,
    /// Nesting depth of components and core modules (the outer component is 1, a module
    /// in it 2). Default 3; cap 8.
    pub max_nesting: u32,
    /// Core functions defined by all modules of a component. Default 10,000; cap 100,000.
    pub max_functions: u32,
    /// Bytes of one function body. Default 64 KiB; cap 1 MiB.
    pub max_function_bytes: u32,
    /// Type definitions of all kinds and levels. Default 10,000; cap 100,000.
    pub max_types: u32,
    /// Core instances of one component instance. Default 8; cap 16.
    pub max_core_instances: u32,
    /// Linear memories of one component instance. Default 1; cap 2.
    pub max_memories: u32,
    /// Tables of one component instance. Default 4; cap 8.
    pub max_tables: u32,
}

/// The share of its deadline, in percent, a call must have had as CPU time for reaching
/// the deadline to be the plugin's fault, by default: 50
/// ([`RuntimeConfig::deadline_cpu_percent`](super::RuntimeConfig::deadline_cpu_percent)).
/// Below it the host was overloaded (see the
/// [module docs](self#deadlines-under-cpu-starvation)).
pub const DEADLINE_CPU_PERCENT: u32 = 50;

/// Log budget every `log` call costs at least, in bytes: 64. A plugin cannot keep more
/// than `max_log_bytes / 64` lines, however short.
pub const LOG_LINE_MIN_BYTES: usize = 64;

/// Fuel every `log` call costs on top of the plugin's own instructions: 1,000 units.
/// With the default 10 million fuel a plugin makes at most 10,000 `log` calls.
pub const LOG_CALL_FUEL: u64 = 1_000;

/// One more unit of fuel per this many bytes of a `log` line (the host reads and checks
/// the whole line before keeping its first bytes): 16.
pub const LOG_FUEL_BYTES: u64 = 16;

impl Limits {
    /// The hard caps: no tenant setting may exceed them.
    pub const CAPS: Limits = Limits {
        fuel: 1_000_000_000,
        memory_bytes: 256 << 20,
        deadline_ms: 10_000,
        max_input_bytes: 16 << 20,
        max_output_bytes: 4 << 20,
        max_log_line_bytes: 64 << 10,
        max_log_bytes: 1 << 20,
        max_module_bytes: 64 << 20,
        max_log_lines: 1024,
        max_violations: 1024,
        max_path_parts: 64,
        max_nesting: 8,
        max_functions: 100_000,
        max_function_bytes: 1 << 20,
        max_types: 100_000,
        max_core_instances: 16,
        max_memories: 2,
        max_tables: 8,
    };

    /// The defaults, as a constant.
    pub const DEFAULT: Limits = Limits {
        fuel: 10_000_000,
        memory_bytes: 16 << 20,
        deadline_ms: 100,
        max_input_bytes: 1 << 20,
        max_output_bytes: 64 << 10,
        max_log_line_bytes: 1 << 10,
        max_log_bytes: 8 << 10,
        max_module_bytes: 2 << 20,
        max_log_lines: 64,
        max_violations: 64,
        max_path_parts: 16,
        max_nesting: 3,
        max_functions: 10_000,
        max_function_bytes: 64 << 10,
        max_types: 10_000,
        max_core_instances: 8,
        max_memories: 1,
        max_tables: 4,
    };

    /// Bytes wasmtime may copy out of the guest while lifting one call's result (strings
    /// and list elements, counted by wasmtime's hostcall fuel; aliased strings count each
    /// time): four times [`max_output_bytes`](Self::max_output_bytes) plus 64 KiB, room
    /// for the host's own representation of a result the output limit accepts.
    pub fn lift_budget(&self) -> usize {
        self.max_output_bytes
            .saturating_mul(4)
            .saturating_add(64 << 10)
    }

    /// Checks every limit against its hard cap (and that none is zero).
    ///
    /// # Errors
    /// [`SettingsError::AboveCap`] naming the first limit above its cap, or
    /// [`SettingsError::Zero`] for a zero limit.
    pub fn check(&self) -> Result<(), SettingsError> {
        self.check_within(&Limits::CAPS)
    }

    /// These limits with each one above `caps` lowered to its cap: what an embedder applies
    /// to limits stored before it lowered its caps (settings it would now refuse from
    /// [`check_within`](Self::check_within)), so that they cannot exceed the caps in
    /// force. Every limit is a number, compared one by one by its name.
    #[must_use]
    pub fn capped(&self, caps: &Limits) -> Limits {
        let (Ok(serde_json::Value::Object(mut mine)), Ok(serde_json::Value::Object(theirs))) =
            (serde_json::to_value(self), serde_json::to_value(caps))
        else {
            return *caps;
        };
        for (name, value) in &mut mine {
            if let (Some(v), Some(cap)) = (
                value.as_u64(),
                theirs.get(name).and_then(serde_json::Value::as_u64),
            ) && v > cap
            {
                *value = cap.into();
            }
        }
        // The map came from a `Limits` and holds numbers no larger than before.
        serde_json::from_value(serde_json::Value::Object(mine)).unwrap_or(*caps)
    }

    /// [`check`](Self::check) against caps of the embedder's, at most the hard caps (a
    /// server that keeps some limits lower than the host allows).
    ///
    /// # Errors
    /// As [`check`](Self::check), naming the first limit above `caps`.
    pub fn check_within(&self, caps: &Limits) -> Result<(), SettingsError> {
        let all: [(&'static str, u64, u64); 18] = [
            ("fuel", self.fuel, caps.fuel),
            (
                "memoryBytes",
                as_u64(self.memory_bytes),
                as_u64(caps.memory_bytes),
            ),
            ("deadlineMs", self.deadline_ms, caps.deadline_ms),
            (
                "maxInputBytes",
                as_u64(self.max_input_bytes),
                as_u64(caps.max_input_bytes),
            ),
            (
                "maxOutputBytes",
                as_u64(self.max_output_bytes),
                as_u64(caps.max_output_bytes),
            ),
            (
                "maxLogLineBytes",
                as_u64(self.max_log_line_bytes),
                as_u64(caps.max_log_line_bytes),
            ),
            (
                "maxLogBytes",
                as_u64(self.max_log_bytes),
                as_u64(caps.max_log_bytes),
            ),
            (
                "maxModuleBytes",
                as_u64(self.max_module_bytes),
                as_u64(caps.max_module_bytes),
            ),
            (
                "maxLogLines",
                self.max_log_lines.into(),
                caps.max_log_lines.into(),
            ),
            (
                "maxViolations",
                self.max_violations.into(),
                caps.max_violations.into(),
            ),
            (
                "maxPathParts",
                self.max_path_parts.into(),
                caps.max_path_parts.into(),
            ),
            (
                "maxNesting",
                self.max_nesting.into(),
                caps.max_nesting.into(),
            ),
            (
                "maxFunctions",
                self.max_functions.into(),
                caps.max_functions.into(),
            ),
            (
                "maxFunctionBytes",
                self.max_function_bytes.into(),
                caps.max_function_bytes.into(),
            ),
            ("maxTypes", self.max_types.into(), caps.max_types.into()),
            (
                "maxCoreInstances",
                self.max_core_instances.into(),
                caps.max_core_instances.into(),
            ),
            (
                "maxMemories",
                self.max_memories.into(),
                caps.max_memories.into(),
            ),
            ("maxTables", self.max_tables.into(), caps.max_tables.into()),
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

fn as_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// What a fault (trap, exhausted limit, bad output, plugin error, disabled plugin) does to
/// the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum FailurePolicy {
    /// The fault decides: deny (authorization, transitions) or an error violation
    /// `plugin_fault` (validation). Never an allow.
    #[default]
    Closed,
    /// The fault is reported in the decision's `plugins` list and otherwise ignored,
    /// except a fault that is not the plugin's (the host's, an input above the limit),
    /// which fails closed ([`Fault::is_not_the_plugins`](super::Fault::is_not_the_plugins)).
    Open,
}

/// The failure policy of each hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct FailurePolicies {
    /// `validate-user`: closed unless the tenant opts out.
    pub validate: FailurePolicy,
    /// `authorize`: closed by default.
    pub authorize: FailurePolicy,
    /// `transition`: closed by default.
    pub transition: FailurePolicy,
}

/// A tenant's plugin settings (JSON, camelCase): limits, failure policies and the circuit
/// breaker.
///
/// ```json
/// {"limits": {"fuel": 5000000}, "failurePolicy": {"validate": "open"}, "breakerThreshold": 5,
///  "breakerCooldownMs": 30000}
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct TenantSettings {
    /// Limits of every call of the tenant's plugins.
    pub limits: Limits,
    /// The failure policy per hook.
    pub failure_policy: FailurePolicies,
    /// Consecutive faults after which a plugin is disabled (circuit breaker): default 5,
    /// 1 to 1,000. A disabled plugin is not called (it counts as a fault under the hook's
    /// failure policy and is reported as `disabled`) until it is loaded anew or its
    /// cooldown passes ([`breaker_cooldown_ms`](Self::breaker_cooldown_ms)).
    pub breaker_threshold: u32,
    /// Milliseconds a disabled plugin stays disabled before one call is let through as a
    /// trial (the breaker half-open): a success closes the breaker, the plugin's fault opens
    /// it for another cooldown. Default 30,000; 1,000 to 3,600,000 (an hour), or 0: disabled
    /// until loaded anew. Without a cooldown, anyone able to send inputs the plugin faults
    /// on could disable a tenant's rule for good.
    pub breaker_cooldown_ms: u32,
}

/// The shortest [`TenantSettings::breaker_cooldown_ms`] but 0: a second (a cooldown shorter
/// than a call would let several trials run at once).
pub const MIN_BREAKER_COOLDOWN_MS: u32 = 1_000;

/// The longest [`TenantSettings::breaker_cooldown_ms`]: an hour.
pub const MAX_BREAKER_COOLDOWN_MS: u32 = 3_600_000;

impl Default for TenantSettings {
    fn default() -> Self {
        TenantSettings {
            limits: Limits::DEFAULT,
            failure_policy: FailurePolicies::default(),
            breaker_threshold: 5,
            breaker_cooldown_ms: 30_000,
        }
    }
}

impl TenantSettings {
    /// Checks the limits against their caps and the breaker threshold.
    ///
    /// # Errors
    /// A [`SettingsError`] naming the setting.
    pub fn check(&self) -> Result<(), SettingsError> {
        self.limits.check()?;
        if self.breaker_threshold == 0 {
            return Err(SettingsError::Zero {
                limit: "breakerThreshold",
            });
        }
        if self.breaker_threshold > 1000 {
            return Err(SettingsError::AboveCap {
                limit: "breakerThreshold",
                value: u64::from(self.breaker_threshold),
                cap: 1000,
            });
        }
        if (1..MIN_BREAKER_COOLDOWN_MS).contains(&self.breaker_cooldown_ms) {
            return Err(SettingsError::BelowMin {
                limit: "breakerCooldownMs",
                value: u64::from(self.breaker_cooldown_ms),
                min: u64::from(MIN_BREAKER_COOLDOWN_MS),
            });
        }
        if self.breaker_cooldown_ms > MAX_BREAKER_COOLDOWN_MS {
            return Err(SettingsError::AboveCap {
                limit: "breakerCooldownMs",
                value: u64::from(self.breaker_cooldown_ms),
                cap: u64::from(MAX_BREAKER_COOLDOWN_MS),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_lowers_only_the_limits_above_the_caps() {
        let caps = Limits {
            max_module_bytes: 1 << 20,
            fuel: 5_000_000,
            ..Limits::default()
        };
        let stored = Limits {
            max_module_bytes: 64 << 20,
            fuel: 1_000_000,
            max_functions: 99_000,
            ..Limits::default()
        };
        assert!(stored.check_within(&caps).is_err());
        let capped = stored.capped(&caps);
        assert_eq!(capped.max_module_bytes, 1 << 20);
        assert_eq!(capped.fuel, 1_000_000, "a limit below its cap is kept");
        assert_eq!(capped.max_functions, caps.max_functions);
        assert_eq!(capped.deadline_ms, stored.deadline_ms);
        assert!(capped.check_within(&caps).is_ok());
    }
}
