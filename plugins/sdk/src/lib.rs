//! Write Warden tenant policy plugins in Rust.
//!
//! A plugin is a WebAssembly component exporting the `warden:policy/hooks@0.1.0` interface
//! (`wit/warden-policy.wit`). This crate generates the bindings with `wit-bindgen`, gives
//! every hook a default ("no objection"), and offers the helpers plugins need: JSON access
//! ([`Fields`] reads a few top-level fields in place, [`Json`] builds a whole document),
//! calendar arithmetic (plugins have no clock: dates come in the input) and the bounded log.
//!
//! ```no_run
//! use warden_plugin_sdk::{Fields, Plugin, Violation, ValidateInput};
//!
//! struct NoBob;
//!
//! impl Plugin for NoBob {
//!     const NAME: &'static str = "no-bob";
//!     const VERSION: &'static str = "1.0.0";
//!
//!     fn validate_user(input: ValidateInput) -> Result<Vec<Violation>, String> {
//!         let user = Fields::parse(&input.user)?;
//!         if user.str_at("firstName").as_deref() == Some("Bob") {
//!             return Ok(vec![Violation::error("no_bob", &["firstName"], "Bob is not welcome")]);
//!         }
//!         Ok(Vec::new())
//!     }
//! }
//!
//! warden_plugin_sdk::export!(NoBob);
//! ```
//!
//! Build with `cargo build --release --target wasm32-unknown-unknown`, then turn the core
//! module into a component (`scripts/build-components.sh` does both). The crate also
//! compiles for the host target (the exports are then inert), so plugins can be linted
//! and unit-tested natively: call your `Plugin` methods directly.
//!
//! # What a plugin cannot do
//! It has no clock, no randomness, no files, no network and no WASI at all; its only import
//! is [`log`]. It runs in a fresh instance for every decision (no state survives between
//! calls), within the tenant's fuel, memory, time, input and output limits. It can only
//! narrow the core's decision.

#![allow(unsafe_code, reason = "generated canonical-ABI bindings")]

#[cfg(all(
    target_arch = "wasm32",
    target_os = "unknown",
    not(target_feature = "atomics"),
    feature = "initial-heap"
))]
mod heap;

/// The plugin's global allocator on `wasm32-unknown-unknown` (single-threaded; not on WASI,
/// whose libc allocator claims the same region): the free end of the initial memory first,
/// then the standard allocator (see `heap.rs`: a decision's small allocations then grow no
/// memory). Off without the default `initial-heap` feature.
#[cfg(all(
    target_arch = "wasm32",
    target_os = "unknown",
    not(target_feature = "atomics"),
    feature = "initial-heap"
))]
#[global_allocator]
static HEAP: heap::InitialHeap = heap::InitialHeap::new();

/// The generated bindings (`wit-bindgen`) of the `plugin` world.
#[allow(missing_docs, clippy::all, reason = "generated code")]
pub mod bindings {
    wit_bindgen::generate!({
        world: "plugin",
        path: "../../wit",
        pub_export_macro: true,
        export_macro_name: "export_bindings",
        default_bindings_module: "warden_plugin_sdk::bindings",
    });
}

use std::borrow::Cow;

use bindings::exports::warden::policy::hooks::Guest;
pub use bindings::warden::policy::logging::Level;
pub use bindings::warden::policy::types::{
    AuthorizeInput, Denial, PathPart, PluginInfo, Severity, TransitionInput, ValidateInput,
    Verdict, Violation,
};
use serde::de::{MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// The interface version this SDK builds plugins for.
pub const INTERFACE_VERSION: &str = "0.1.0";

/// A plugin: implement the hooks you need, the others say "no objection".
pub trait Plugin {
    /// The plugin's name, reported in decisions (`email-domain`).
    const NAME: &'static str;
    /// The plugin's version, reported in decisions (`1.0.0`).
    const VERSION: &'static str;

    /// Extra rules for a user record.
    ///
    /// # Errors
    /// A message when the plugin cannot decide (bad configuration): the host applies the
    /// tenant's failure policy.
    fn validate_user(_input: ValidateInput) -> Result<Vec<Violation>, String> {
        Ok(Vec::new())
    }

    /// An objection (or none) to an authorization.
    ///
    /// # Errors
    /// As [`Plugin::validate_user`].
    fn authorize(_input: AuthorizeInput) -> Result<Verdict, String> {
        Ok(Verdict::Allow)
    }

    /// An objection (or none) to a status transition.
    ///
    /// # Errors
    /// As [`Plugin::validate_user`].
    fn transition(_input: TransitionInput) -> Result<Verdict, String> {
        Ok(Verdict::Allow)
    }
}

/// Adapts a [`Plugin`] to the generated bindings. Used by [`export!`].
#[doc(hidden)]
pub struct Adapter<P>(core::marker::PhantomData<P>);

impl<P: Plugin> Guest for Adapter<P> {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: P::NAME.to_owned(),
            version: P::VERSION.to_owned(),
        }
    }
    fn validate_user(input: ValidateInput) -> Result<Vec<Violation>, String> {
        P::validate_user(input)
    }
    fn authorize(input: AuthorizeInput) -> Result<Verdict, String> {
        P::authorize(input)
    }
    fn transition(input: TransitionInput) -> Result<Verdict, String> {
        P::transition(input)
    }
}

/// Exports a [`Plugin`] as the component's `hooks`: `warden_plugin_sdk::export!(MyPlugin);`
#[macro_export]
macro_rules! export {
    ($plugin:ty) => {
        // Only on wasm: the canonical-ABI export names (`warden:policy/hooks@0.1.0#...`)
        // are not valid symbol names for native linkers, and natively there is nothing to
        // export (test the `Plugin` methods directly).
        #[cfg(target_arch = "wasm32")]
        type __WardenPluginAdapter = $crate::Adapter<$plugin>;
        #[cfg(target_arch = "wasm32")]
        $crate::bindings::export_bindings!(__WardenPluginAdapter with_types_in $crate::bindings);
    };
}

/// Appends a line to the decision's plugin log. The host keeps only the first bytes of a
/// line (1 KiB by default) and drops lines past the per-decision caps (counted, not an
/// error), but a line longer than it may read in one call (320 KiB by default) fails the
/// plugin's call with `output_too_large`, and every line costs fuel (see `log` in
/// `wit/warden-policy.wit`). On the host target (unit tests) it does nothing.
pub fn log(level: Level, message: &str) {
    #[cfg(target_arch = "wasm32")]
    bindings::warden::policy::logging::log(level, message);
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (level, message);
}

impl Violation {
    /// A violation of severity error at a path of keys, without params.
    pub fn error(code: &str, path: &[&str], message: &str) -> Self {
        Violation {
            code: code.to_owned(),
            path: path
                .iter()
                .map(|k| PathPart::Key((*k).to_owned()))
                .collect(),
            severity: Severity::Error,
            message: message.to_owned(),
            params_json: "{}".to_owned(),
        }
    }

    /// The same violation with params (a JSON object).
    #[must_use]
    pub fn with_params(mut self, params: serde_json::Value) -> Self {
        self.params_json = params.to_string();
        self
    }

    /// The same violation as a warning.
    #[must_use]
    pub fn warning(mut self) -> Self {
        self.severity = Severity::Warning;
        self
    }
}

impl Verdict {
    /// A deny with a stable code and a message.
    pub fn deny(code: &str, message: impl Into<String>) -> Self {
        Verdict::Deny(Denial {
            code: code.to_owned(),
            message: message.into(),
        })
    }
}

/// A parsed JSON input with small accessors, so plugins need no JSON boilerplate.
#[derive(Debug, Clone, PartialEq)]
pub struct Json(pub serde_json::Value);

impl Json {
    /// Parses a JSON string of the input.
    ///
    /// # Errors
    /// A message naming the problem (the host always passes valid JSON).
    pub fn parse(s: &str) -> Result<Json, String> {
        serde_json::from_str(s)
            .map(Json)
            .map_err(|e| format!("unreadable input: {e}"))
    }

    /// The value at a key, if present.
    pub fn get(&self, key: &str) -> Option<&serde_json::Value> {
        self.0.get(key)
    }

    /// The string at a key, if it is one.
    pub fn str_at(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(serde_json::Value::as_str)
    }

    /// The strings of an array at a key (non-strings skipped; empty when absent).
    pub fn strings_at(&self, key: &str) -> Vec<&str> {
        self.0
            .get(key)
            .and_then(serde_json::Value::as_array)
            .map(|a| a.iter().filter_map(serde_json::Value::as_str).collect())
            .unwrap_or_default()
    }
}

/// The top-level fields of a JSON input, read without building the document: each value
/// stays a slice of the input text ([`RawValue`]) until a plugin asks for it, and keys are
/// borrowed from the text. [`Json`] builds the whole [`serde_json::Value`] (every key and
/// string allocated, a map built); a plugin that reads a few fields of a record does less
/// work with this (in a fresh sandbox per decision, that work is the plugin's own cost).
///
/// The answers are [`Json`]'s on the texts the host passes: any JSON value is accepted (a
/// value that is not an object has no fields), a key given twice counts once, with its
/// last value (as a map keeps it), and text that is not JSON is an error.
///
/// ```
/// use warden_plugin_sdk::Fields;
/// let user = Fields::parse(r#"{"email":"ada@acme.example","roles":["admin",1]}"#).unwrap();
/// assert_eq!(user.str_at("email").as_deref(), Some("ada@acme.example"));
/// assert_eq!(user.strings_at("roles"), ["admin"]);
/// assert!(user.str_at("phone").is_none());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Fields<'a> {
    fields: Vec<(Cow<'a, str>, &'a RawValue)>,
}

impl<'a> Fields<'a> {
    /// Reads the top-level fields of a JSON text.
    ///
    /// # Errors
    /// A message naming the problem when the text is not JSON (the host always passes
    /// valid JSON).
    pub fn parse(s: &'a str) -> Result<Fields<'a>, String> {
        match Shape::of(s).map_err(|e| format!("unreadable input: {e}"))? {
            Shape::Object(fields) => Ok(Fields { fields }),
            _ => Ok(Fields::default()),
        }
    }

    /// The text of the value at a key (its last occurrence), if present.
    pub fn raw(&self, key: &str) -> Option<&'a RawValue> {
        self.fields
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| *v)
    }

    /// The value at a key, if present, parsed on demand.
    pub fn get(&self, key: &str) -> Option<serde_json::Value> {
        self.raw(key)
            .and_then(|v| serde_json::from_str(v.get()).ok())
    }

    /// The string at a key, if it is one (borrowed from the input unless it has escapes).
    pub fn str_at(&self, key: &str) -> Option<Cow<'a, str>> {
        match Shape::of(self.raw(key)?.get()) {
            Ok(Shape::Str(s)) => Some(s),
            _ => None,
        }
    }

    /// The boolean at a key, if it is one.
    pub fn bool_at(&self, key: &str) -> Option<bool> {
        match self.raw(key)?.get() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }

    /// The strings of an array at a key (non-strings skipped; empty when absent or not an
    /// array).
    pub fn strings_at(&self, key: &str) -> Vec<Cow<'a, str>> {
        match self.raw(key).map(|raw| Shape::of(raw.get())) {
            Some(Ok(Shape::Array(strings))) => strings,
            _ => Vec::new(),
        }
    }
}

/// A JSON value as `Fields` reads it: an object's entries stay text, an array keeps its
/// strings, strings stay borrowed from the text unless they have escapes, and anything
/// else is only checked.
enum Shape<'de> {
    Object(Vec<(Cow<'de, str>, &'de RawValue)>),
    Array(Vec<Cow<'de, str>>),
    Str(Cow<'de, str>),
    Other,
}

impl<'de> Shape<'de> {
    /// The shape of a whole JSON text (trailing characters refused).
    fn of(text: &'de str) -> Result<Shape<'de>, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(text);
        let shape = serde::Deserialize::deserialize(&mut de)?;
        de.end()?;
        Ok(shape)
    }
}

impl<'de> serde::Deserialize<'de> for Shape<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ShapeVisitor)
    }
}

struct ShapeVisitor;

impl<'de> Visitor<'de> for ShapeVisitor {
    type Value = Shape<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(map.size_hint().unwrap_or(8));
        while let Some(key) = map.next_key::<Shape<'de>>()? {
            let Shape::Str(key) = key else {
                return Err(serde::de::Error::custom("a key that is not a string"));
            };
            out.push((key, map.next_value::<&'de RawValue>()?));
        }
        Ok(Shape::Object(out))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(element) = seq.next_element()? {
            if let Shape::Str(s) = element {
                out.push(s);
            }
        }
        Ok(Shape::Array(out))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Shape::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Shape::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Shape::Str(Cow::Owned(v)))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Shape::Other)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Shape::Other)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Shape::Other)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Shape::Other)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Shape::Other)
    }
}

/// A calendar date as days since 1970-01-01, from `YYYY-MM-DD` or the date part of an RFC
/// 3339 timestamp (`2026-11-22T10:00:00Z`). `None` when it is not a valid date.
pub fn days_since_epoch(date: &str) -> Option<i64> {
    let d = date.get(..10)?;
    let mut parts = d.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let day: i64 = parts.next()?.parse().ok()?;
    if d.len() != 10 || !(1..=12).contains(&m) || day < 1 || day > days_in_month(y, m) {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        reason = "tests: a broken assumption should fail the test loudly"
    )]
    use super::*;

    use proptest::prelude::*;

    /// The answers for one key: `str_at`, `strings_at`, `get` and the boolean, owned.
    type Answers = (
        Option<String>,
        Vec<String>,
        Option<serde_json::Value>,
        Option<bool>,
    );

    /// What `Json` answers for `key`, as `Fields` writes it.
    fn by_json(text: &str, key: &str) -> Answers {
        let j = Json::parse(text).unwrap();
        (
            j.str_at(key).map(str::to_owned),
            j.strings_at(key).iter().map(|s| (*s).to_owned()).collect(),
            j.get(key).cloned(),
            j.get(key).and_then(serde_json::Value::as_bool),
        )
    }

    /// What `Fields` answers for `key`.
    fn by_fields(text: &str, key: &str) -> Answers {
        let f = Fields::parse(text).unwrap();
        (
            f.str_at(key).map(Cow::into_owned),
            f.strings_at(key).into_iter().map(Cow::into_owned).collect(),
            f.get(key),
            f.bool_at(key),
        )
    }

    fn scalar() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("null".to_owned()),
            Just("true".to_owned()),
            Just("false".to_owned()),
            any::<i32>().prop_map(|n| n.to_string()),
            Just("1.5e3".to_owned()),
            "[a-c\\\\\"é]{0,6}".prop_map(|s| serde_json::to_string(&s).unwrap()),
            Just(r#""tab\there \u00e9 \ud83d\ude00""#.to_owned()),
        ]
    }

    fn value() -> impl Strategy<Value = String> {
        scalar().prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                prop::collection::vec(("[a-c]{1,2}", inner), 0..4).prop_map(|v| {
                    let entries: Vec<String> =
                        v.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                    format!("{{{}}}", entries.join(","))
                }),
            ]
        })
    }

    proptest! {
        /// The same answers as `Json` on any document: objects with repeated keys and keys
        /// with escapes, nested values, and values that are not objects.
        #[test]
        fn fields_answer_as_json_does(
            entries in prop::collection::vec((prop_oneof![Just("a".to_owned()), Just("b".to_owned()), Just("c\\u0061".to_owned())], value()), 0..6),
            top in prop::option::of(value()),
        ) {
            let text = match top {
                Some(t) => t,
                None => {
                    let e: Vec<String> = entries.iter().map(|(k, v)| format!(" \"{k}\" : {v} ")).collect();
                    format!("{{{}}}", e.join(","))
                }
            };
            for key in ["a", "b", "ca", "c\\u0061", "zz"] {
                prop_assert_eq!(by_fields(&text, key), by_json(&text, key), "{} at {}", text, key);
            }
        }
    }

    #[test]
    fn not_json_is_an_error_for_both() {
        for bad in ["", "{", "{\"a\":}", "[1,]", "{\"a\":1} x", "nul"] {
            assert!(Fields::parse(bad).is_err(), "{bad}");
            assert!(Json::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dates() {
        assert_eq!(days_since_epoch("1970-01-01"), Some(0));
        assert_eq!(days_since_epoch("2026-11-22T10:00:00Z"), Some(20_779));
        assert_eq!(days_since_epoch("2024-02-30"), None);
        assert_eq!(days_since_epoch("2024-02-29"), Some(19_782));
        assert_eq!(days_since_epoch("nope"), None);
    }
}
