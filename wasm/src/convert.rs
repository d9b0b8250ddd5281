//! Conversions across the boundary: JS values to and from `serde_json::Value`, and
//! [`ApiError`] to a thrown JS `Error`.

use serde_json::Value;
use warden_core::api::ApiError;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use zeroize::{Zeroize, Zeroizing};

/// What a JS value is, for an error that names what was given instead (`a number`, `an
/// array`): never the value itself, which may be a password.
pub(crate) fn js_type_name(value: &JsValue) -> &'static str {
    if value.is_undefined() {
        "undefined"
    } else if value.is_null() {
        "null"
    } else if value.is_string() {
        "a string"
    } else if value.as_f64().is_some() {
        "a number"
    } else if value.as_bool().is_some() {
        "a boolean"
    } else if value.is_bigint() {
        "a BigInt"
    } else if value.is_symbol() {
        "a symbol"
    } else if value.is_function() {
        "a function"
    } else if js_sys::Array::is_array(value) {
        "an array"
    } else {
        "an object"
    }
}

/// A string argument at `path`, or a typed error naming what was given instead.
pub(crate) fn string_arg(value: &JsValue, path: &str) -> Result<String, ApiError> {
    value.as_string().ok_or_else(|| {
        input_error(
            path,
            format!("expected a string, not {}", js_type_name(value)),
        )
    })
}

/// The bytes of a file argument at `path`: a `Uint8Array` (a Node `Buffer` is one) or an
/// `ArrayBuffer`; a string is refused (its characters are not the file's bytes: encode it
/// with `TextEncoder`), as is anything else.
pub(crate) fn bytes_arg(value: &JsValue, path: &str) -> Result<Vec<u8>, ApiError> {
    if let Some(array) = value.dyn_ref::<js_sys::Uint8Array>() {
        return Ok(array.to_vec());
    }
    if let Some(buffer) = value.dyn_ref::<js_sys::ArrayBuffer>() {
        return Ok(js_sys::Uint8Array::new(buffer).to_vec());
    }
    let help = if value.is_string() {
        " (encode a text with `new TextEncoder().encode(text)`)"
    } else {
        ""
    };
    Err(input_error(
        path,
        format!(
            "expected the file's bytes as a Uint8Array, not {}{help}",
            js_type_name(value)
        ),
    ))
}

/// An `invalid_input` error at `path`.
pub(crate) fn input_error(path: &str, reason: impl Into<String>) -> ApiError {
    ApiError::invalid_input(path, reason)
}

/// A JS value as JSON (`undefined` and `null` become `null`).
pub(crate) fn from_js(value: &JsValue, path: &str) -> Result<Value, ApiError> {
    if value.is_undefined() || value.is_null() {
        return Ok(Value::Null);
    }
    let text = finite_stringify(value).map_err(|e| stringify_error(&e, path))?;
    let Some(text) = text.as_string().map(Zeroizing::new) else {
        return Err(input_error(path, "not serialisable as JSON"));
    };
    serde_json::from_str(&text).map_err(|e| input_error(path, e.to_string()))
}

/// What `JSON.stringify` of the value at `path` threw, as the contract's error: a number
/// that is not finite (`wasm/js/text.js`, `finiteStringify`) at its own path, else a cycle
/// or a BigInt.
fn stringify_error(thrown: &JsValue, path: &str) -> ApiError {
    let field = |name: &str| {
        js_sys::Reflect::get(thrown, &JsValue::from_str(name))
            .ok()
            .and_then(|v| v.as_string())
    };
    if field("name").as_deref() != Some("NonFinite") {
        return input_error(path, "not serialisable as JSON (a cycle or a BigInt)");
    }
    let inner = field("path").unwrap_or_default();
    let at = match (path.is_empty(), inner.is_empty()) {
        (_, true) => path.to_owned(),
        (true, false) => inner,
        (false, false) if inner.starts_with('[') => format!("{path}{inner}"),
        (false, false) => format!("{path}.{inner}"),
    };
    input_error(
        &at,
        "not a finite number (NaN and Infinity have no JSON value)",
    )
}

#[wasm_bindgen(module = "/js/text.js")]
extern "C" {
    /// `JSON.stringify(value)`, throwing on a number that is not finite (see
    /// [`stringify_error`]) instead of writing it as `null`.
    #[wasm_bindgen(catch, js_name = finiteStringify)]
    fn finite_stringify(value: &JsValue) -> Result<JsValue, JsValue>;

    /// `JSON.stringify(value)` as UTF-8 into `buf`: the bytes written, -1 when the value has
    /// no JSON text, -2 minus the text's UTF-16 length when `buf` is too small (then called
    /// again with `retry`, which writes the same text without stringifying again).
    #[wasm_bindgen(catch, js_name = stringifyInto)]
    fn stringify_into(value: &JsValue, buf: &mut [u8], retry: bool) -> Result<i32, JsValue>;
}

/// The first buffer [`js_text`] offers: most inputs (a record, a request) fit.
const FIRST_TEXT_BUFFER: usize = 1024;

/// A JS value as JSON text (`undefined` and `null` become `null`), as [`from_js`] reads it:
/// `JSON.stringify` written straight into wasm memory (`wasm/js/text.js`).
///
/// The text, and every buffer it was written into on the way, is wiped when dropped: an
/// input can hold a password, and wasm memory outlives the call.
pub(crate) fn js_text(value: &JsValue, path: &str) -> Result<Zeroizing<String>, ApiError> {
    if value.is_undefined() || value.is_null() {
        return Ok(Zeroizing::new("null".to_owned()));
    }
    let not_json = || input_error(path, "not serialisable as JSON (a cycle or a BigInt)");
    let thrown = |e: JsValue| stringify_error(&e, path);
    let mut buf = Zeroizing::new(vec![0u8; FIRST_TEXT_BUFFER]);
    // Twice at most: 3 bytes per UTF-16 unit hold any text.
    for retry in [false, true] {
        let n = stringify_into(value, &mut buf, retry).map_err(thrown)?;
        if let Ok(len) = usize::try_from(n) {
            buf.truncate(len);
            return match String::from_utf8(std::mem::take(&mut *buf)) {
                Ok(text) => Ok(Zeroizing::new(text)),
                Err(e) => {
                    e.into_bytes().zeroize();
                    Err(not_json())
                }
            };
        }
        if n == -1 {
            return Err(input_error(path, "not serialisable as JSON"));
        }
        let units = usize::try_from(-2_i64 - i64::from(n)).map_err(|_| not_json())?;
        // (The first buffer, a part of the text in it, is wiped as it is replaced.)
        buf = Zeroizing::new(vec![0u8; units.saturating_mul(3)]);
    }
    Err(not_json())
}

/// JSON text (a decision) as a plain JS value, as [`to_js`] gives it.
pub(crate) fn from_text(text: &[u8]) -> Result<JsValue, ApiError> {
    let text =
        std::str::from_utf8(text).map_err(|_| input_error("", "the decision is not UTF-8"))?;
    js_sys::JSON::parse(text).map_err(|_| input_error("", "the decision is not JSON"))
}

/// A JSON value as a plain JS value.
pub(crate) fn to_js(value: &Value) -> Result<JsValue, ApiError> {
    let text = serde_json::to_string(value).map_err(|e| input_error("", e.to_string()))?;
    js_sys::JSON::parse(&text).map_err(|_| input_error("", "the decision is not JSON"))
}

/// The error as a JS `Error` named `WardenError`, with the stable `code`, `path` (empty
/// when the error has none), `message` and `help` (when there is one) of the core's error
/// envelope ([`ApiError::envelope`]).
pub(crate) fn to_js_error(error: &ApiError) -> JsValue {
    let err = js_sys::Error::new(&error.to_string());
    err.set_name("WardenError");
    let obj: &JsValue = err.unchecked_ref();
    let set = |k: &str, v: &JsValue| {
        // Setting a property on a fresh Error object cannot fail.
        let _ = js_sys::Reflect::set(obj, &JsValue::from_str(k), v);
    };
    set("code", &JsValue::from_str(error.code()));
    set("path", &JsValue::from_str(error.path().unwrap_or_default()));
    if let Some(help) = error.help() {
        set("help", &JsValue::from_str(help));
    }
    set(
        "contract",
        &JsValue::from_f64(f64::from(warden_core::api::CONTRACT_VERSION)),
    );
    err.into()
}
