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
//! | [`deadline_ms`](Limits::deadline_ms) | wall-clock milliseconds (epoch interruption, 1 ms ticks) | 100 | 10,000 | [`Fault::DeadlineExceeded`](super::Fault::DeadlineExceeded) |
//! | [`max_input_bytes`](Limits::max_input_bytes) | bytes of strings passed to one hook | 1 MiB | 16 MiB | [`Fault::InputTooLarge`](super::Fault::InputTooLarge), the plugin is not called |
//! | [`max_output_bytes`](Limits::max_output_bytes) | bytes of strings returned by one hook | 64 KiB | 4 MiB | [`Fault::OutputTooLarge`](super::Fault::OutputTooLarge) |
//! | [`max_log_line_bytes`](Limits::max_log_line_bytes) | bytes per `log` call | 1 KiB | 64 KiB | the line is truncated |
//! | [`max_log_bytes`](Limits::max_log_bytes) | bytes of log per decision per plugin | 8 KiB | 1 MiB | further lines are dropped and counted |
//! | [`max_module_bytes`](Limits::max_module_bytes) | bytes of the component binary | 8 MiB | 64 MiB | [`LoadError::ModuleTooLarge`](super::LoadError::ModuleTooLarge) at load |
//!
//! Fuel is the deterministic limit: the same plugin, input and configuration always use
//! the same fuel. The deadline is a backstop for what fuel does not meter (host calls,
//! memory growth): a plugin that stays under its fuel finishes well before it.

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
    /// Wall-clock deadline per call, in milliseconds. Default 100; cap 10,000.
    pub deadline_ms: u64,
    /// Bytes of input strings per call. Default 1 MiB; cap 16 MiB.
    pub max_input_bytes: usize,
    /// Bytes of output strings per call. Default 64 KiB; cap 4 MiB.
    pub max_output_bytes: usize,
    /// Bytes per log line. Default 1 KiB; cap 64 KiB.
    pub max_log_line_bytes: usize,
    /// Bytes of log per plugin per decision. Default 8 KiB; cap 1 MiB.
    pub max_log_bytes: usize,
    /// Bytes of a component binary. Default 8 MiB; cap 64 MiB.
    pub max_module_bytes: usize,
}

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
        max_module_bytes: 8 << 20,
    };

    /// Checks every limit against its hard cap (and that none is zero).
    ///
    /// # Errors
    /// [`SettingsError::AboveCap`] naming the first limit above its cap, or
    /// [`SettingsError::Zero`] for a zero limit.
    pub fn check(&self) -> Result<(), SettingsError> {
        let caps = Limits::CAPS;
        let all: [(&'static str, u64, u64); 8] = [
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
    /// The fault is reported in the decision's `plugins` list and otherwise ignored.
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
/// {"limits": {"fuel": 5000000}, "failurePolicy": {"validate": "open"}, "breakerThreshold": 5}
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct TenantSettings {
    /// Limits of every call of the tenant's plugins.
    pub limits: Limits,
    /// The failure policy per hook.
    pub failure_policy: FailurePolicies,
    /// Consecutive faults after which a plugin is disabled (circuit breaker): default 5,
    /// 1 to 1,000. A disabled plugin is not called again until it is loaded anew; it
    /// counts as a fault under the hook's failure policy and is reported as `disabled`.
    pub breaker_threshold: u32,
}

impl Default for TenantSettings {
    fn default() -> Self {
        TenantSettings {
            limits: Limits::DEFAULT,
            failure_policy: FailurePolicies::default(),
            breaker_threshold: 5,
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
        if !(1..=1000).contains(&self.breaker_threshold) {
            return Err(SettingsError::AboveCap {
                limit: "breakerThreshold",
                value: u64::from(self.breaker_threshold),
                cap: 1000,
            });
        }
        Ok(())
    }
}
