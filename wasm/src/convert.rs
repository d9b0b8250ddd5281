//! Conversions across the boundary: JS values to and from `serde_json::Value`, and
//! [`ApiError`] to a thrown JS `Error`.

use serde::Serialize;
use serde_json::Value;
use warden_core::api::ApiError;
use wasm_bindgen::{JsCast, JsValue};

/// How values cross the boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    /// `JSON.stringify` in JS, `serde_json` in wasm, `JSON.parse` on the way back: measured
    /// faster for typical decisions (see `npm run bench`), and exactly the native shape.
    Json,
    /// `serde-wasm-bindgen` with `Serializer::json_compatible()`.
    Serde,
}

impl Codec {
    /// The codec of every export (chosen by measurement).
    pub(crate) const DEFAULT: Codec = Codec::Json;
}

/// An `invalid_input` error at `path`.
pub(crate) fn input_error(path: &str, reason: impl Into<String>) -> ApiError {
    // `ApiError::input` is crate-private in the core; parsing an impossible shape yields
    // the same variant with the path we name.
    ApiError::Input {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

/// A JS value as JSON (`undefined` and `null` become `null`).
pub(crate) fn from_js(codec: Codec, value: &JsValue, path: &str) -> Result<Value, ApiError> {
    if value.is_undefined() || value.is_null() {
        return Ok(Value::Null);
    }
    match codec {
        Codec::Json => {
            let text = js_sys::JSON::stringify(value)
                .map_err(|_| input_error(path, "not serialisable as JSON (a cycle or a BigInt)"))?;
            let text: String = text.into();
            serde_json::from_str(&text).map_err(|e| input_error(path, e.to_string()))
        }
        Codec::Serde => serde_wasm_bindgen::from_value(value.clone())
            .map_err(|e| input_error(path, e.to_string())),
    }
}

/// A JSON value as a plain JS value.
pub(crate) fn to_js(codec: Codec, value: &Value) -> Result<JsValue, ApiError> {
    match codec {
        Codec::Json => {
            let text = serde_json::to_string(value).map_err(|e| input_error("", e.to_string()))?;
            js_sys::JSON::parse(&text).map_err(|_| input_error("", "the decision is not JSON"))
        }
        Codec::Serde => value
            .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
            .map_err(|e| input_error("", e.to_string())),
    }
}

/// The error as a JS `Error` named `WardenError`, with the stable `code`, `path` (empty
/// when the error has none), `message` and `help` (when there is one) of
/// `ApiError::to_json()`.
pub(crate) fn to_js_error(error: &ApiError) -> JsValue {
    let json = error.to_json();
    let fields = json.get("error").and_then(Value::as_object);
    let get = |k: &str| {
        fields
            .and_then(|f| f.get(k))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let err = js_sys::Error::new(&get("message"));
    err.set_name("WardenError");
    let obj: &JsValue = err.unchecked_ref();
    let set = |k: &str, v: &str| {
        // Setting a property on a fresh Error object cannot fail.
        let _ = js_sys::Reflect::set(obj, &JsValue::from_str(k), &JsValue::from_str(v));
    };
    set("code", error.code());
    set("path", &get("path"));
    let help = get("help");
    if !help.is_empty() {
        set("help", &help);
    }
    err.into()
}
