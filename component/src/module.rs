//! The portable core module: Warden's core behind a small C-like ABI that every WebAssembly
//! runtime can call (wazero, Chicory, wasmtime in any language), without the component
//! model. The specification is `component/ABI.md`; this file implements it.
//!
//! Built with `--features module` for `wasm32-unknown-unknown` (`scripts/build-module.sh`),
//! the crate exports `memory`, the ABI version globals and the `warden_*` functions below,
//! and imports nothing. Every decision goes through [`warden_core::api`]: the adapter only
//! moves bytes, keeps compiled policies by handle and renders errors.
//!
//! The logic ([`load_policy`], [`evaluate`], [`free_policy`]) is safe Rust over byte slices
//! and is unit-tested natively; the exported functions are thin `unsafe` shims that turn
//! `(ptr, len)` pairs into slices and are compiled only on `wasm32`.

use std::cell::RefCell;
use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};
use warden_core::Policy;
use warden_core::api::{self, ApiError};

/// The ABI major version: a module with another major is incompatible.
pub const ABI_MAJOR: u32 = 1;
/// The ABI minor version: additions that keep every major-1 caller working.
pub const ABI_MINOR: u32 = 0;
/// Largest buffer `warden_alloc` hands out, and so the largest request: 64 MiB.
pub const MAX_INPUT_BYTES: usize = 64 << 20;
/// Most policies loaded at once in one instance.
pub const MAX_POLICIES: usize = 256;

/// The call succeeded: the output is the result (a decision, or the load result).
pub const STATUS_OK: i32 = 0;
/// The call failed: the output is the error envelope `{"contract": 1, "error": {code, message,
/// path, help?}}`.
pub const STATUS_ERROR: i32 = 1;

/// A call's successful output: JSON text already written, or a value to write.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// The JSON text (a decision of the text path).
    Text(Vec<u8>),
    /// A value, written by [`finish`].
    Value(Value),
}

impl Output {
    /// The output as a value (for tests and callers that inspect it).
    ///
    /// # Errors
    /// When the text is not JSON (never for the module's outputs).
    pub fn to_value(&self) -> Result<Value, serde_json::Error> {
        match self {
            Output::Text(t) => serde_json::from_slice(t),
            Output::Value(v) => Ok(v.clone()),
        }
    }
}

/// What a call returns: the output, or the error envelope.
pub type Outcome = Result<Output, Value>;

/// The per-instance state: compiled policies by handle, and the last output.
#[derive(Default)]
struct State {
    policies: BTreeMap<u32, Policy>,
    last_handle: u32,
    output: Vec<u8>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// The error envelope of a contract error. The one place that renders [`ApiError`]s: when the
/// contract's envelope changes, only this function changes.
fn contract_error(e: &ApiError) -> Value {
    let mut v = e.envelope();
    ensure_path(&mut v);
    v
}

/// The envelope always has a `path` (empty when the error is about the whole request).
fn ensure_path(v: &mut Value) {
    if let Some(Value::Object(e)) = v.get_mut("error") {
        e.entry("path")
            .or_insert_with(|| Value::String(String::new()));
    }
}

/// An error of the ABI itself (bad handle, limits), in the same envelope.
fn abi_error(code: &str, message: &str) -> Value {
    let mut e = Map::new();
    e.insert("code".into(), code.into());
    e.insert("message".into(), message.into());
    e.insert("path".into(), "".into());
    let mut out = Map::new();
    out.insert("contract".into(), api::CONTRACT_VERSION.into());
    out.insert("error".into(), Value::Object(e));
    Value::Object(out)
}

fn parse_json(bytes: &[u8]) -> Result<Value, Value> {
    api::parse_json(bytes, "").map_err(|e| contract_error(&e))
}

/// The request of `warden_policy_load`: exactly one of `preset` and `policy`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoadRequest {
    #[serde(default)]
    contract: Option<u64>,
    #[serde(default)]
    preset: Option<String>,
    #[serde(default)]
    policy: Option<Value>,
}

/// Compiles a policy (`{"preset": name}` or `{"policy": document}`) and keeps it under a new
/// handle: `{"handle": n, "policy": "sha256:..."}`.
///
/// # Errors
/// The error envelope: `invalid_input` (not JSON, wrong shape), `policy_error` (unknown
/// preset, invalid document), `limit_exceeded` ([`MAX_POLICIES`] loaded).
pub fn load_policy(request: &[u8]) -> Outcome {
    let value = parse_json(request)?;
    let req: LoadRequest = api::parse_value("", value).map_err(|e| contract_error(&e))?;
    api::check_contract(req.contract).map_err(|e| contract_error(&e))?;
    let policy = api::load_policy(req.preset.as_deref(), req.policy.as_ref())
        .map_err(|e| contract_error(&e))?;
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        if s.policies.len() >= MAX_POLICIES {
            return Err(abi_error(
                "limit_exceeded",
                &format!("at most {MAX_POLICIES} policies are loaded at once: free one first"),
            ));
        }
        let mut handle = s.last_handle;
        loop {
            handle = handle.wrapping_add(1).max(1);
            if !s.policies.contains_key(&handle) {
                break;
            }
        }
        s.last_handle = handle;
        let mut out = Map::new();
        out.insert("handle".into(), handle.into());
        out.insert("policy".into(), policy.hash().into());
        s.policies.insert(handle, policy);
        Ok(Output::Value(Value::Object(out)))
    })
}

/// Evaluates a contract request. Handle 0: the request names its policy (`preset` or
/// `policy`), compiled for this call only, exactly [`api::evaluate`]. Another handle: the
/// request must not name a policy; it is evaluated against the loaded one.
///
/// The request's text goes straight into the operation's input and the decision straight to
/// text ([`api::evaluate_json`], [`api::evaluate_json_with`]); a request the text path does
/// not read is answered by the Value path, with the same bytes.
///
/// # Errors
/// The error envelope: the contract's errors, or `invalid_handle`.
pub fn evaluate(handle: u32, request: &[u8]) -> Outcome {
    if handle == 0 {
        return api::evaluate_json(request)
            .map(Output::Text)
            .map_err(|e| contract_error(&e));
    }
    match api::parse_request(request) {
        Some(req) => with_loaded(handle, req, |policy, op, lang, input| {
            api::evaluate_json_with(policy, op, lang, input.get()).map(Output::Text)
        }),
        None => {
            let value = parse_json(request)?;
            let req: api::Request = api::parse_value("", value).map_err(|e| contract_error(&e))?;
            with_loaded(handle, req, |policy, op, lang, input| {
                api::evaluate_with(policy, op, lang, input).map(Output::Value)
            })
        }
    }
}

/// A request against the policy loaded under `handle`: the checks of [`evaluate`], then `run`
/// on the request's operation, language and input.
fn with_loaded<I>(
    handle: u32,
    req: api::Request<I>,
    run: impl FnOnce(&Policy, api::Op, warden_core::Lang, I) -> Result<Output, ApiError>,
) -> Outcome {
    api::check_contract(req.contract).map_err(|e| contract_error(&e))?;
    if let Some(key) = [
        ("preset", req.preset.is_some()),
        ("policy", req.policy.is_some()),
    ]
    .iter()
    .find_map(|(k, given)| given.then_some(*k))
    {
        return Err(contract_error(&ApiError::invalid_input(
            key,
            "a request evaluated against a loaded policy does not name a policy",
        )));
    }
    STATE.with(|s| {
        let s = s.borrow();
        let Some(policy) = s.policies.get(&handle) else {
            return Err(abi_error(
                "invalid_handle",
                &format!("no policy is loaded under handle {handle}"),
            ));
        };
        run(policy, req.op, req.lang, req.input).map_err(|e| contract_error(&e))
    })
}

/// Frees a loaded policy.
///
/// # Errors
/// `invalid_handle` when nothing is loaded under `handle`.
pub fn free_policy(handle: u32) -> Outcome {
    STATE.with(|s| match s.borrow_mut().policies.remove(&handle) {
        Some(_) => Ok(Output::Value(Value::Object(Map::new()))),
        None => Err(abi_error(
            "invalid_handle",
            &format!("no policy is loaded under handle {handle}"),
        )),
    })
}

/// Stores the outcome as the instance's output (what `warden_output` then points at) and
/// returns its ABI status: [`STATUS_OK`] or [`STATUS_ERROR`].
pub fn finish(outcome: Outcome) -> i32 {
    let (status, written) = match outcome {
        Ok(Output::Text(t)) => (STATUS_OK, Ok(t)),
        Ok(Output::Value(v)) => (STATUS_OK, serde_json::to_vec(&v)),
        Err(v) => (STATUS_ERROR, serde_json::to_vec(&v)),
    };
    let bytes = written.unwrap_or_else(|e| {
        format!(r#"{{"error":{{"code":"internal","message":"the output could not be serialised: {e}","path":""}}}}"#)
            .into_bytes()
    });
    STATE.with(|s| s.borrow_mut().output = bytes);
    status
}

/// The output of the last call, as (address, length) in this instance's memory.
pub fn output_range() -> (usize, usize) {
    STATE.with(|s| {
        let s = s.borrow();
        (s.output.as_ptr() as usize, s.output.len())
    })
}

/// The exported ABI (`component/ABI.md`). Only on wasm32, where addresses are 32 bits.
#[cfg(all(target_arch = "wasm32", feature = "module"))]
mod exports {
    use std::alloc::Layout;

    use super::{
        ABI_MAJOR, ABI_MINOR, MAX_INPUT_BYTES, evaluate, finish, free_policy, load_policy,
        output_range,
    };

    /// `warden_abi_major`: an exported global holding the address of the major version
    /// (a little-endian u32).
    #[unsafe(export_name = "warden_abi_major")]
    pub static WARDEN_ABI_MAJOR: u32 = ABI_MAJOR;

    /// `warden_abi_minor`: an exported global holding the address of the minor version.
    #[unsafe(export_name = "warden_abi_minor")]
    pub static WARDEN_ABI_MINOR: u32 = ABI_MINOR;

    fn layout(len: usize) -> Option<Layout> {
        Layout::from_size_align(len.max(1), 1).ok()
    }

    /// The bytes at `(ptr, len)`: a range the caller allocated with `warden_alloc`.
    fn input<'a>(ptr: u32, len: u32) -> &'a [u8] {
        if len == 0 || ptr == 0 {
            return &[];
        }
        // SAFETY: the ABI requires (ptr, len) to lie in a live `warden_alloc` buffer the
        // caller does not touch during the call; a wasm address outside memory traps.
        unsafe { std::slice::from_raw_parts(ptr as usize as *const u8, len as usize) }
    }

    /// Allocates `len` bytes (align 1) in this instance's memory; 0 when `len` exceeds the
    /// limit or memory cannot grow.
    #[unsafe(no_mangle)]
    pub extern "C" fn warden_alloc(len: u32) -> u32 {
        let len = len as usize;
        if len > MAX_INPUT_BYTES {
            return 0;
        }
        match layout(len) {
            // SAFETY: the layout has a non-zero size.
            Some(l) => unsafe { std::alloc::alloc(l) as usize as u32 },
            None => 0,
        }
    }

    /// Frees a buffer of `warden_alloc` (same `len`); 0 is ignored.
    #[unsafe(no_mangle)]
    pub extern "C" fn warden_free(ptr: u32, len: u32) {
        if ptr == 0 {
            return;
        }
        if let Some(l) = layout(len as usize) {
            // SAFETY: the ABI requires (ptr, len) to come from `warden_alloc(len)`.
            unsafe { std::alloc::dealloc(ptr as usize as *mut u8, l) }
        }
    }

    /// Loads a policy: status 0 (output `{"handle", "policy"}`) or 1 (error envelope).
    #[unsafe(no_mangle)]
    pub extern "C" fn warden_policy_load(ptr: u32, len: u32) -> i32 {
        finish(load_policy(input(ptr, len)))
    }

    /// Frees a loaded policy: status 0 (output `{}`) or 1 (`invalid_handle`).
    #[unsafe(no_mangle)]
    pub extern "C" fn warden_policy_free(handle: u32) -> i32 {
        finish(free_policy(handle))
    }

    /// Evaluates a request: status 0 (output: the decision) or 1 (error envelope).
    #[unsafe(no_mangle)]
    pub extern "C" fn warden_evaluate(handle: u32, ptr: u32, len: u32) -> i32 {
        finish(evaluate(handle, input(ptr, len)))
    }

    /// The output of the last call as `address << 32 | length`, owned by the module and
    /// valid until the next `warden_policy_load`, `warden_policy_free` or `warden_evaluate`.
    #[unsafe(no_mangle)]
    pub extern "C" fn warden_output() -> u64 {
        let (ptr, len) = output_range();
        ((ptr as u64) << 32) | len as u64
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bytes(v: &Value) -> Vec<u8> {
        serde_json::to_vec(v).unwrap()
    }

    fn ok(o: Outcome) -> Value {
        o.unwrap().to_value().unwrap()
    }

    #[test]
    fn load_evaluate_free_round_trip() {
        let loaded = ok(load_policy(&bytes(&json!({"preset": "crm"}))));
        let handle = u32::try_from(loaded["handle"].as_u64().unwrap()).unwrap();
        assert!(handle > 0);
        assert!(loaded["policy"].as_str().unwrap().starts_with("sha256:"));
        let req = json!({"op": "password", "input": {"password": "correct horse battery staple"}});
        let by_handle = evaluate(handle, &bytes(&req)).unwrap();
        let mut full = req.clone();
        full["preset"] = json!("crm");
        let one_shot = evaluate(0, &bytes(&full)).unwrap();
        assert_eq!(by_handle, one_shot);
        assert_eq!(ok(free_policy(handle)), json!({}));
        let gone = evaluate(handle, &bytes(&req)).unwrap_err();
        assert_eq!(gone["error"]["code"], "invalid_handle");
        assert_eq!(
            free_policy(handle).unwrap_err()["error"]["code"],
            "invalid_handle"
        );
    }

    #[test]
    fn errors_carry_the_envelope_with_a_path() {
        let e = load_policy(&bytes(&json!({"preset": "acme"}))).unwrap_err();
        assert_eq!(e["error"]["code"], "policy_error");
        assert_eq!(e["error"]["path"], "");
        assert!(e["error"]["help"].as_str().unwrap().contains("crm"));
        let e = load_policy(b"{not json").unwrap_err();
        assert_eq!(e["error"]["code"], "invalid_input");
        let e = load_policy(&bytes(&json!({"preset": "crm", "tenant": 1}))).unwrap_err();
        assert_eq!(e["error"]["path"], "tenant");
        let e = load_policy(&bytes(&json!({}))).unwrap_err();
        assert_eq!(e["error"]["code"], "invalid_input");
    }

    #[test]
    fn a_loaded_policy_refuses_requests_naming_another() {
        let loaded = ok(load_policy(&bytes(&json!({"preset": "000"}))));
        let handle = u32::try_from(loaded["handle"].as_u64().unwrap()).unwrap();
        let e = evaluate(
            handle,
            &bytes(&json!({"preset": "crm", "op": "password", "input": {"password": "x"}})),
        )
        .unwrap_err();
        assert_eq!(e["error"]["code"], "invalid_input");
        assert_eq!(e["error"]["path"], "preset");
        free_policy(handle).unwrap();
    }

    #[test]
    fn the_number_of_loaded_policies_is_bounded() {
        let mut handles = Vec::new();
        let err = loop {
            match load_policy(&bytes(&json!({"preset": "crm"}))) {
                Ok(v) => {
                    let v = v.to_value().unwrap();
                    handles.push(u32::try_from(v["handle"].as_u64().unwrap()).unwrap());
                }
                Err(e) => break e,
            }
            assert!(handles.len() <= MAX_POLICIES);
        };
        assert_eq!(err["error"]["code"], "limit_exceeded");
        assert_eq!(handles.len(), MAX_POLICIES);
        for h in handles {
            free_policy(h).unwrap();
        }
    }

    #[test]
    fn finish_keeps_the_output() {
        assert_eq!(finish(Ok(Output::Value(json!({"a": 1})))), STATUS_OK);
        let (_, len) = output_range();
        assert_eq!(len, br#"{"a":1}"#.len());
        assert_eq!(finish(Err(abi_error("x", "y"))), STATUS_ERROR);
    }
}
