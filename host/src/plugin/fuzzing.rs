//! Not part of the API: the host's checks of what a plugin returns, reachable without a
//! running plugin, for the fuzz targets in `fuzz/` (feature `fuzzing`, off by default).
//!
//! These functions take the plugin's output as plain Rust values (what wasmtime lifts out
//! of the guest) and run exactly the checks, conversions and byte accounting
//! [`Registry::evaluate`](super::Registry::evaluate) runs on a real call's result. Nothing
//! here changes the runtime: the same private functions are called.

use super::bindings::warden::policy::types::{
    Denial as WitDenial, PathPart, Severity as WitSeverity, Verdict, Violation,
};
use super::error::Fault;
use super::limits::Limits;
use super::registry::{PluginViolation, Source, check_verdict, check_violations};
use warden_core::decision::Denial;

/// One part of a violation's path, as a plugin returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawPathPart {
    /// An object key.
    Key(String),
    /// An array index.
    Index(u32),
}

/// A violation as a plugin returns it (the WIT `violation` record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawViolation {
    /// The plugin's code.
    pub code: String,
    /// Where.
    pub path: Vec<RawPathPart>,
    /// Error (`true`) or warning.
    pub error: bool,
    /// The plugin's message.
    pub message: String,
    /// The params, as JSON text.
    pub params_json: String,
}

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
    let vs = raw
        .into_iter()
        .map(|v| Violation {
            code: v.code,
            path: v
                .path
                .into_iter()
                .map(|p| match p {
                    RawPathPart::Key(k) => PathPart::Key(k),
                    RawPathPart::Index(i) => PathPart::Index(i),
                })
                .collect(),
            severity: if v.error {
                WitSeverity::Error
            } else {
                WitSeverity::Warning
            },
            message: v.message,
            params_json: v.params_json,
        })
        .collect();
    check_violations(vs, source, limits)
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
        None => Verdict::Allow,
        Some((code, message)) => Verdict::Deny(WitDenial { code, message }),
    };
    check_verdict(v, source, limits)
}

/// Plugin text as the host keeps it: unwanted characters removed, cut to `max` bytes.
pub fn plugin_text(s: &str, max: usize) -> String {
    super::text::plugin_text(s, max)
}
