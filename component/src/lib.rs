//! Warden's core as a WebAssembly component.
//!
//! Built for `wasm32-unknown-unknown` and componentized by `scripts/build-components.sh`
//! into `target/components/warden_core.wasm`, it exports `warden:policy/evaluate@0.1.0`
//! (world `core` of `wit/warden-policy.wit`) and imports nothing: any component host
//! (wasmtime in Rust, `wasmtime` in Python, jco in JavaScript) can evaluate Warden requests
//! with the very code the native CLI runs.
//!
//! `evaluate(request)` is [`warden_core::api::evaluate`] with JSON strings on both sides:
//! `ok(decision-json)`, or `err(error-json)` with the error exactly as
//! [`warden_core::api::ApiError::envelope`] renders it; a request that is not JSON at all is
//! an `invalid_input` error of the same shape.
//!
//! With the cargo feature `module`, the same crate builds the **portable core module**
//! instead (`scripts/build-module.sh`): a plain core module with a small C-like ABI
//! ([`module`], specified in `component/ABI.md`) that runtimes without the component model
//! load (wazero, Chicory, wasmtime-py's core API). Both artefacts call the same
//! `warden_core::api` functions, so no rule exists twice.

#![allow(unsafe_code, reason = "generated canonical-ABI bindings")]

#[allow(missing_docs, clippy::all, reason = "generated code")]
mod bindings {
    wit_bindgen::generate!({
        world: "core",
        path: "../wit",
    });
}

use bindings::exports::warden::policy::evaluate::Guest;

/// The component's implementation.
pub struct Core;

/// Evaluates a request given as a JSON string (what the component exports): exactly
/// [`warden_core::api::evaluate_text`].
///
/// # Errors
/// The error envelope as a JSON string `{"contract": 1, "error": {"code", "message", ...}}`.
pub fn evaluate_str(request: &str) -> Result<String, String> {
    warden_core::api::evaluate_text(request)
}

impl Guest for Core {
    fn evaluate(request: String) -> Result<String, String> {
        evaluate_str(&request)
    }
}

pub mod module;

// Only on wasm: the export names are not valid native symbol names. With the `module`
// feature the crate builds the portable core module instead (`component/ABI.md`).
#[cfg(all(target_arch = "wasm32", not(feature = "module")))]
bindings::export!(Core with_types_in bindings);
