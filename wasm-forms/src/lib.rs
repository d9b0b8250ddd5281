//! # warden-wasm-forms
//!
//! The forms build of the wasm package (`warden-wasm/forms`): what a sign-up or profile form
//! needs in a browser, and nothing else. User validation, the password policy with its
//! checklist and score, the messages, and the uniqueness-check protocol (a decision's
//! `checks`, answered from local data by [`Warden::answer_facts`] or by a server, passed back
//! as `facts`). Access, lifecycle, import and bulk operations are in the full build.
//!
//! ```js
//! import init, { installPresets, Warden, Blocklist } from "warden-wasm/forms";
//! await init();
//! // Where the application serves `warden-wasm/forms/presets.json` (an asset of the package).
//! installPresets(await (await fetch("/assets/warden/presets.json")).text());
//! // Only for non-ASCII input (and the common-password list): the Unicode tables asset.
//! installUnicodeTables(await (await fetch("/assets/warden/unicode-tables.txt")).text());
//! const warden = Warden.fromPreset("production-planner-pro");
//! const d = warden.validate({ user: { email: "nope" }, today: "2026-11-22" }, "fr");
//! ```
//!
//! Every decision comes from the same core functions as in the full build
//! ([`warden_core::api::evaluate_form_json`]), and the tests compare both builds' outcomes
//! on every validation and password vector. The presets (`presets.json`) and the
//! common-password list (`common-passwords.txt`) are assets of the package, loaded when
//! needed, not part of the module, and so are the Unicode normalisation tables
//! (`unicode-tables.txt`, written from the full build's tables): until they are installed,
//! non-ASCII input is refused with `unicode_tables_needed`, never normalised half-way. Regular expressions follow the one pattern dialect of
//! every build (no construct that needs a Unicode table).
//!
//! ## Untrusted input
//! Inputs are bounded by the core's limits; nothing here panics on bad input (the
//! workspace lints deny it). A request that cannot be evaluated throws a `WardenError`
//! (`code`, `path`, `message`, `help`, `contract`), as in the full build.

#![deny(missing_docs)]

#[path = "../../wasm/src/facts.rs"]
mod facts;

use std::sync::Arc;

use serde_json::Value;
use warden_core::api::{self, ApiError, Op};
use warden_core::policy::presets;
use warden_core::{Lang, Policy};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_CONTRACT: &str = include_str!("../../wasm/src/contract.d.ts");

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = include_str!("../../wasm/src/types.d.ts");

/// An `invalid_input` error at `path`.
fn input_error(path: &str, reason: impl Into<String>) -> ApiError {
    ApiError::invalid_input(path, reason)
}

/// The error as a JS `Error` named `WardenError`, with the `code`, `path` (empty when the
/// error has none), `message`, `help` (when there is one) and `contract` of the core's
/// error envelope: the full build's shape.
fn to_js_error(error: &ApiError) -> JsValue {
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
        &JsValue::from_f64(f64::from(api::CONTRACT_VERSION)),
    );
    err.into()
}

/// A JS value as JSON text (`undefined` and `null` become `null`).
fn js_text(value: &JsValue, path: &str) -> Result<String, ApiError> {
    if value.is_undefined() || value.is_null() {
        return Ok("null".to_owned());
    }
    let text = js_sys::JSON::stringify(value)
        .map_err(|_| input_error(path, "not serialisable as JSON (a cycle or a BigInt)"))?;
    Ok(text.into())
}

/// A JS value as JSON (`undefined` and `null` become `null`).
fn from_js(value: &JsValue, path: &str) -> Result<Value, ApiError> {
    serde_json::from_str(&js_text(value, path)?).map_err(|e| input_error(path, e.to_string()))
}

/// JSON text as a plain JS value.
fn from_text(text: &[u8]) -> Result<JsValue, ApiError> {
    let text =
        std::str::from_utf8(text).map_err(|_| input_error("", "the decision is not UTF-8"))?;
    js_sys::JSON::parse(text).map_err(|_| input_error("", "the decision is not JSON"))
}

fn parse_lang(lang: Option<String>) -> Result<Lang, ApiError> {
    match lang {
        None => Ok(Lang::default()),
        Some(l) => serde_json::from_value(Value::String(l.clone())).map_err(|_| {
            input_error(
                "lang",
                format!(
                    "unknown language `{}`, expected `en` or `fr`",
                    l.chars().take(16).collect::<String>()
                ),
            )
        }),
    }
}

fn parse_op(op: &str) -> Result<Op, ApiError> {
    serde_json::from_value(Value::String(op.to_owned())).map_err(|_| {
        input_error(
            "op",
            format!(
                "unknown operation `{}`",
                op.chars().take(32).collect::<String>()
            ),
        )
    })
}

/// Installs the package's `presets.json` asset (`[{id, name, title, policy}]`), once per
/// module: [`Warden::from_preset`], [`presets`](fn@presets) and requests naming a preset use it.
/// Installing the same list again does nothing.
///
/// # Errors
/// A `WardenError` (`policy_error`) when the text is not the asset's shape, or another list
/// was installed.
#[wasm_bindgen(js_name = installPresets)]
pub fn install_presets(text: &str) -> Result<(), JsValue> {
    presets::install(text).map_err(|e| to_js_error(&ApiError::from(e)))
}

/// The installed presets: `[{id, name, title}]`, in seed order (empty before
/// [`install_presets`]).
///
/// # Errors
/// Only if the list cannot be converted (a bug).
#[wasm_bindgen(unchecked_return_type = "PresetInfo[]")]
pub fn presets() -> Result<JsValue, JsValue> {
    serde_json::to_vec(presets::all())
        .map_err(|e| input_error("", e.to_string()))
        .and_then(|text| from_text(&text))
        .map_err(|e| to_js_error(&e))
}

/// An installed preset's policy document, by name or seed number.
///
/// # Errors
/// A `WardenError` (`policy_error`) when no installed preset has that name.
#[wasm_bindgen(js_name = presetDocument, unchecked_return_type = "PolicyDocument")]
pub fn preset_document(name: &str) -> Result<JsValue, JsValue> {
    match presets::find(name) {
        Some(p) => js_sys::JSON::parse(p.json),
        None => Err(Policy::preset(name).err().map_or_else(
            || to_js_error(&input_error("", "unknown preset")),
            |e| to_js_error(&ApiError::from(e)),
        )),
    }
}

/// Installs the package's `unicode-tables.txt` asset (the Unicode normalisation tables,
/// left out of this module for size), once per module; installing again does nothing.
/// Until then, input with non-ASCII text (a password or a name with an accent, an
/// internationalised domain) is refused with a `WardenError` whose code is
/// `unicode_tables_needed`: load the asset, install it and ask again (the Standard Schema
/// adapter does this by itself). Never needed for ASCII input.
///
/// # Errors
/// A `WardenError` (`invalid_input`) when the text is not the asset.
#[wasm_bindgen(js_name = installUnicodeTables)]
pub fn install_unicode_tables(text: &str) -> Result<(), JsValue> {
    warden_core::unicode::install(text)
        .map_err(|e| to_js_error(&input_error("unicodeTables", e.to_string())))
}

/// Whether the Unicode normalisation tables are installed ([`install_unicode_tables`]).
#[wasm_bindgen(js_name = unicodeTablesInstalled)]
pub fn unicode_tables_installed() -> bool {
    warden_core::unicode::available()
}

/// The common-password list, parsed once and shared by every policy given it.
#[wasm_bindgen]
pub struct Blocklist {
    inner: Arc<warden_core::password::Blocklist>,
}

#[wasm_bindgen]
impl Blocklist {
    /// Parses the list: one password per line (the package's `common-passwords.txt`).
    ///
    /// # Errors
    /// A `WardenError` (`unicode_tables_needed`) when the list has non-ASCII lines (the
    /// package's has a few) and [`install_unicode_tables`] has not been called: its lines
    /// are NFKC-normalised.
    #[wasm_bindgen(constructor)]
    pub fn new(text: &str) -> Result<Blocklist, JsValue> {
        match warden_core::password::Blocklist::try_from_text(text) {
            Some(list) => Ok(Blocklist {
                inner: Arc::new(list),
            }),
            None => Err(to_js_error(&ApiError::unicode_tables_needed("list"))),
        }
    }

    /// The number of distinct entries.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> usize {
        self.inner.len()
    }

    /// One whole request of the JSON entry point (`validate` or `password`), its policy
    /// given this list.
    ///
    /// # Errors
    /// A `WardenError` when the request cannot be evaluated; `unsupported` for an
    /// operation of the full build.
    #[wasm_bindgen(js_name = evaluateRequest, unchecked_return_type = "any")]
    pub fn evaluate_request(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Request")] request: &JsValue,
    ) -> Result<JsValue, JsValue> {
        evaluate_request_with(request, Some(self))
    }
}

/// One whole request of the JSON entry point (`{preset | policy, op, lang?, input}`) for
/// `validate` or `password`.
///
/// # Errors
/// A `WardenError` when the request cannot be evaluated; `unsupported` for an operation of
/// the full build.
#[wasm_bindgen(js_name = evaluateRequest, unchecked_return_type = "any")]
pub fn evaluate_request(
    #[wasm_bindgen(unchecked_param_type = "Request")] request: &JsValue,
) -> Result<JsValue, JsValue> {
    evaluate_request_with(request, None)
}

fn evaluate_request_with(
    request: &JsValue,
    blocklist: Option<&Blocklist>,
) -> Result<JsValue, JsValue> {
    let inner = || -> Result<JsValue, ApiError> {
        let value = from_js(request, "request")?;
        let out = match blocklist {
            None => api::evaluate_form_request(&value),
            Some(list) => {
                // As `evaluate_form_request`, the policy given the list.
                let req: api::Request = api::parse_value("", value)?;
                api::check_contract(req.contract)?;
                let policy = api::load_policy(req.preset.as_deref(), req.policy.as_ref())?
                    .with_blocklist(Arc::clone(&list.inner));
                let input = serde_json::to_string(&req.input)
                    .map_err(|e| input_error("input", e.to_string()))?;
                api::evaluate_form_json(&policy, req.op, req.lang, &input)
            }
        }?;
        from_text(&out)
    };
    inner().map_err(|e| to_js_error(&e))
}

/// A compiled policy and the form operations over it.
#[wasm_bindgen]
pub struct Warden {
    policy: Policy,
}

impl Warden {
    fn run(&self, op: Op, input: &JsValue, lang: Option<String>) -> Result<JsValue, JsValue> {
        let inner = || -> Result<JsValue, ApiError> {
            let lang = parse_lang(lang)?;
            let text = js_text(input, "input")?;
            from_text(&api::evaluate_form_json(&self.policy, op, lang, &text)?)
        };
        inner().map_err(|e| to_js_error(&e))
    }
}

#[wasm_bindgen]
impl Warden {
    /// Parses and compiles a policy document, given as JSON text or as an object.
    ///
    /// # Errors
    /// A `WardenError` with code `policy_error` naming the key path.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "string | PolicyDocument")] policy: &JsValue,
    ) -> Result<Warden, JsValue> {
        let compiled = match policy.as_string() {
            Some(text) => Policy::from_json(&text).map_err(ApiError::from),
            // As text, never through a `serde_json::Value` (whose maps sort their keys): the
            // document's field order (the order of the violations) is the object's own.
            None => js_text(policy, "policy")
                .and_then(|text| Policy::from_json(&text).map_err(ApiError::from)),
        };
        compiled
            .map(|policy| Warden { policy })
            .map_err(|e| to_js_error(&e))
    }

    /// [`install_unicode_tables`], reachable from a `Warden` (`warden.constructor`): what
    /// the Standard Schema adapter calls after an `unicode_tables_needed` error.
    ///
    /// # Errors
    /// As [`install_unicode_tables`].
    #[wasm_bindgen(js_name = installUnicodeTables)]
    pub fn install_unicode_tables(text: &str) -> Result<(), JsValue> {
        install_unicode_tables(text)
    }

    /// An installed preset by name (`production-planner-pro`) or seed number (`000`).
    ///
    /// # Errors
    /// A `WardenError` (`policy_error`) listing the installed presets when none has that
    /// name.
    #[wasm_bindgen(js_name = fromPreset)]
    pub fn from_preset(name: &str) -> Result<Warden, JsValue> {
        Policy::preset(name)
            .map(|policy| Warden { policy })
            .map_err(|e| to_js_error(&ApiError::from(e)))
    }

    /// This policy with `list` as its common-password list (a new `Warden`; the compiled
    /// policy is shared, not recompiled).
    #[wasm_bindgen(js_name = withBlocklist)]
    pub fn with_blocklist(&self, list: &Blocklist) -> Warden {
        Warden {
            policy: self.policy.with_blocklist(Arc::clone(&list.inner)),
        }
    }

    /// Whether password checks need a common-password list this `Warden` does not have.
    #[wasm_bindgen(getter, js_name = needsBlocklist)]
    pub fn needs_blocklist(&self) -> bool {
        self.policy.needs_blocklist()
    }

    /// The policy's name.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.policy.name().to_owned()
    }

    /// The policy's content hash (`sha256:...`).
    #[wasm_bindgen(getter)]
    pub fn hash(&self) -> String {
        self.policy.hash().to_owned()
    }

    /// The policy document (fields, labels, password policy), for building forms.
    ///
    /// # Errors
    /// Only if the document cannot be converted (a bug).
    #[wasm_bindgen(unchecked_return_type = "PolicyDocument")]
    pub fn document(&self) -> Result<JsValue, JsValue> {
        // Straight to JSON text: the fields are in display order.
        let text = serde_json::to_string(self.policy.document())
            .map_err(|e| to_js_error(&input_error("", e.to_string())))?;
        js_sys::JSON::parse(&text)
    }

    /// `validate` or `password`, `input` as in the core docs.
    ///
    /// # Errors
    /// A `WardenError` when the request cannot be evaluated; `unsupported` for an
    /// operation of the full build.
    #[wasm_bindgen(unchecked_return_type = "any")]
    pub fn evaluate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Op")] op: &str,
        #[wasm_bindgen(unchecked_param_type = "object")] input: &JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Lang")] lang: Option<String>,
    ) -> Result<JsValue, JsValue> {
        let op = parse_op(op).map_err(|e| to_js_error(&e))?;
        self.run(op, input, lang)
    }

    /// Validates a user record: `{user, mode?, today, facts?, mfa?}`.
    ///
    /// # Errors
    /// A `WardenError` (`invalid_input`) when the input has the wrong shape.
    #[wasm_bindgen(unchecked_return_type = "ValidationDecisionResponse")]
    pub fn validate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ValidateInput")] input: &JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Lang")] lang: Option<String>,
    ) -> Result<JsValue, JsValue> {
        self.run(Op::Validate, input, lang)
    }

    /// Checks a password on its own: `{password, user?, mfa?}` → violations, score (0–4)
    /// and checklist.
    ///
    /// # Errors
    /// A `WardenError` (`unsupported`) when the policy has no password rules.
    #[wasm_bindgen(js_name = checkPassword, unchecked_return_type = "PasswordDecisionResponse")]
    pub fn check_password(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PasswordInput")] input: &JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Lang")] lang: Option<String>,
    ) -> Result<JsValue, JsValue> {
        self.run(Op::Password, input, lang)
    }

    /// The uniqueness-check protocol, answered from local data: uniqueness from `records`
    /// (stored, normalised user records; `options.selfId` excludes the record being
    /// edited), existence from `options.known` (`{field: [ids]}`) or from record ids. Pass
    /// the result as `facts` to the next `validate`. (A server answers the same checks.)
    ///
    /// # Errors
    /// A `WardenError` (`invalid_input`) when an argument has the wrong shape.
    #[wasm_bindgen(js_name = answerFacts, unchecked_return_type = "ValidationFacts")]
    pub fn answer_facts(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Check[]")] checks: &JsValue,
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>[]")] records: &JsValue,
        #[wasm_bindgen(unchecked_param_type = "AnswerOptions | undefined")] options: &JsValue,
    ) -> Result<JsValue, JsValue> {
        let inner = || -> Result<JsValue, ApiError> {
            let checks: Vec<warden_core::validate::Check> =
                api::parse_value("checks", from_js(checks, "checks")?)?;
            let records: Vec<serde_json::Map<String, Value>> =
                api::parse_value("records", from_js(records, "records")?)?;
            let options: facts::AnswerOptions = match from_js(options, "options")? {
                Value::Null => facts::AnswerOptions::default(),
                v => api::parse_value("options", v)?,
            };
            let facts = facts::answer(&checks, &records, &options);
            let text = serde_json::to_vec(&facts).map_err(|e| input_error("", e.to_string()))?;
            from_text(&text)
        };
        inner().map_err(|e| to_js_error(&e))
    }
}

/// Renders a rule's message from its code and params (for a password checklist item).
///
/// # Errors
/// A `WardenError` (`invalid_input`) for an unknown code or language.
#[wasm_bindgen(js_name = renderMessage)]
pub fn render_message(
    code: &str,
    #[wasm_bindgen(unchecked_param_type = "Record<string, unknown> | undefined")] params: &JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "Lang")] lang: Option<String>,
) -> Result<String, JsValue> {
    let inner = || -> Result<String, ApiError> {
        let lang = parse_lang(lang)?;
        let code: warden_core::Code = serde_json::from_value(Value::String(code.to_owned()))
            .map_err(|_| {
                input_error(
                    "code",
                    format!(
                        "unknown code `{}`",
                        code.chars().take(48).collect::<String>()
                    ),
                )
            })?;
        let params: warden_core::violation::Params = match from_js(params, "params")? {
            Value::Null => Default::default(),
            v => api::parse_value("params", v)?,
        };
        Ok(warden_core::messages::render(code, &params, lang))
    };
    inner().map_err(|e| to_js_error(&e))
}

/// The package version (the workspace version of `warden-core`).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
