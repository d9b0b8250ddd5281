//! Not part of the API: the host's checks of what a plugin returns, reachable without a
//! running plugin, for the fuzz targets in `fuzz/` (feature `fuzzing`, off by default; the
//! fuzz build also leaves out `runtime`, so wasmtime is not compiled).
//!
//! These functions take the plugin's output as plain Rust values (what the registry turns
//! wasmtime's lifted result into) and run exactly the checks, conversions and byte
//! accounting [`Registry::evaluate`](super::Registry::evaluate) runs on a real call's
//! result: the same functions of the `output` module are called.

use super::error::Fault;
use super::limits::Limits;
use super::output::{PluginViolation, RawVerdict, Source, check_verdict, check_violations};
pub use super::output::{RawPathPart, RawViolation};
use warden_core::decision::Denial;

/// The host's check of a `validate-user` result: the violations as they enter the
/// decision and the bytes counted against `limits.max_output_bytes`.
///
/// # Errors
/// The [`Fault`] the host reports for this output.
pub fn violations(
    raw: Vec<RawViolation>,
    source: &Source,
    limits: &Limits,
) -> Result<(Vec<PluginViolation>, usize), Fault> {
    check_violations(raw, source, limits)
}

/// The host's check of an `authorize` or `transition` verdict: `None` for allow (which
/// changes nothing), the denial as it enters the decision for a deny, and the bytes counted.
///
/// # Errors
/// The [`Fault`] the host reports for this output.
pub fn verdict(
    deny: Option<(String, String)>,
    source: &Source,
    limits: &Limits,
) -> Result<(Option<Denial>, usize), Fault> {
    let v = match deny {
        None => RawVerdict::Allow,
        Some((code, message)) => RawVerdict::Deny { code, message },
    };
    check_verdict(v, source, limits)
}

/// A violation's params as the host keeps them: every key and string value cleaned as
/// plugin text, each cut to `max` bytes; `None` when they nest deeper than the host allows
/// (the plugin's fault).
pub fn params(value: serde_json::Value, max: usize) -> Option<serde_json::Value> {
    super::output::clean_params(value, super::output::MAX_PARAMS_DEPTH, max)
}

/// Plugin text as the host keeps it: unwanted characters removed, cut to `max` bytes.
pub fn plugin_text(s: &str, max: usize) -> String {
    super::text::plugin_text(s, max)
}
