//! # warden-wasm
//!
//! Warden for browsers and Node: a thin [`wasm_bindgen`](mod@wasm_bindgen) layer over `warden-core`. Every
//! decision goes through the core's JSON entry point ([`warden_core::api::evaluate_with`]),
//! so a rule has exactly one implementation and the verdicts are the native ones.
//!
//! ```js
//! import init, { Warden, Blocklist } from "./pkg/web/warden_wasm.js";
//! await init();
//! const list = new Blocklist(await (await fetch("pkg/common-passwords.txt")).text());
//! const warden = Warden.fromPreset("production-planner-pro").withBlocklist(list);
//! const d = warden.validate({ user: { email: "nope" }, today: "2026-11-22" }, "fr");
//! ```
//!
//! ## Core concepts
//! - [`Warden`] holds a compiled policy: parse and compile once, call many times.
//! - [`Blocklist`] is the common-password list, loaded on demand and shared by policies
//!   (policies whose password rules need it report `password_check_unavailable` until
//!   [`Warden::with_blocklist`] gives it).
//! - Decisions come back as plain JS objects of the native JSON shape (`JSON.parse` of the
//!   core's JSON text; a validation decision read by the core's text path is built as that
//!   same object by `wasm/js/decision.js`, from its stored values and the text of its
//!   lists, without a `JSON.parse` of the whole decision); a request that
//!   cannot be evaluated throws a `WardenError` (an `Error` with `code`, `path`, `message`,
//!   `help`). Domain outcomes (invalid records, denials) are values, never exceptions.
//! - [`Warden::validate_import`] takes the raw CSV or JSON Lines bytes and returns one
//!   status byte per row (a `Uint8Array`) plus objects only for rows with violations,
//!   decoded from the report's JSON text the first time they are read.
//!
//! ## Untrusted input
//! Inputs are bounded by the core's limits (record fields, import bytes and rows, policy
//! size); nothing here panics on bad input (the workspace lints deny it).

#![deny(missing_docs)]

mod convert;
pub mod facts;

use std::cell::RefCell;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;
use smallvec::SmallVec;
use warden_core::api::{self, ApiError, Op};
use warden_core::import::{ImportFormat, ImportOptions as CoreImportOptions};
use warden_core::policy::{Mode, presets};
use warden_core::validate::{
    StoredRecord, StoredValue, ValidationContext, ValidationFacts, ValidationVerdict,
};
use warden_core::{Date, Lang, Policy};
use wasm_bindgen::prelude::*;

use convert::{from_js, input_error, js_text, string_arg, to_js, to_js_error};

#[wasm_bindgen(typescript_custom_section)]
const TS_CONTRACT: &str = include_str!("contract.d.ts");

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = include_str!("types.d.ts");

#[wasm_bindgen(module = "/js/lazy.js")]
extern "C" {
    /// A `validateImport` result: `status` now, the rest decoded from `text` on first read.
    #[wasm_bindgen(js_name = lazyImport)]
    fn lazy_import(status: &[u8], records: bool, text: &[u8]) -> JsValue;
}

#[wasm_bindgen(module = "/js/decision.js")]
extern "C" {
    /// A `ValidationDecisionResponse` built from its compact form (see
    /// `Warden::decision_object`).
    #[wasm_bindgen(js_name = validationDecision)]
    #[allow(
        clippy::too_many_arguments,
        reason = "the parts of one decision, passed apart"
    )]
    fn validation_decision(
        names: &js_sys::Array,
        policy: &JsValue,
        contract: u32,
        flags: u32,
        values: Option<&str>,
        layout_at: u32,
        layout_len: u32,
        rest: Option<&str>,
        reader: &JsValue,
    ) -> JsValue;
}

#[wasm_bindgen(module = "/js/record.js")]
extern "C" {
    /// The reader of a policy's records, from its field names sorted and the module's
    /// memory (`wasm_bindgen::memory()`).
    #[wasm_bindgen(js_name = recordReader)]
    fn record_reader(names: &js_sys::Array, memory: &JsValue) -> JsValue;

    /// A `validate` input read into `buf_len` bytes at `buf_at` and `codes_len` codes at
    /// `codes_at` (see `wasm/js/record.js`; addresses in this module's memory, given as
    /// numbers so that no view of it is made per call): 0 read, -1 declined, else the bytes
    /// the buffer needs.
    #[wasm_bindgen(js_name = readRecord)]
    fn read_record(
        reader: &JsValue,
        input: &JsValue,
        buf_at: u32,
        buf_len: u32,
        codes_at: u32,
        codes_len: u32,
    ) -> i32;

    /// Drops the values of the record `reader` last read.
    #[wasm_bindgen(js_name = forgetRecord)]
    fn forget_record(reader: &JsValue);
}

/// The address of `p` in this module's memory, as JS reads it.
fn address<T>(p: *const T) -> u32 {
    // A wasm32 address is 32 bits wide (the crate builds only for wasm32 and tests on it).
    p as usize as u32
}

/// Whether two texts are equal: the same bytes in memory (a stored text left as it was
/// read) without comparing them.
fn same_text(a: &str, b: &str) -> bool {
    a.len() == b.len() && (std::ptr::eq(a.as_ptr(), b.as_ptr()) || a == b)
}

/// The first size of [`Scratch::bytes`]: a record's strings and its date (most fit).
const FIRST_READ_BUFFER: usize = 1024;

/// The largest [`Scratch::bytes`]: a record whose strings need more goes through
/// `JSON.stringify` and the JSON reader (as any input then does).
const MAX_READ_BUFFER: usize = 1 << 20;

/// Where `wasm/js/record.js` writes a record it reads.
struct Scratch {
    /// The strings, one after the other.
    bytes: Vec<u8>,
    /// One code per field (sorted index), then the date's length.
    codes: Vec<u32>,
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
    /// A `WardenError` (`invalid_input`, path `text`) when `text` is not a string.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "string")] text: &JsValue,
    ) -> Result<Blocklist, JsValue> {
        let text = string_arg(text, "text").map_err(|e| to_js_error(&e))?;
        Ok(Blocklist {
            inner: Arc::new(warden_core::password::Blocklist::from_text(&text)),
        })
    }

    /// The number of distinct entries.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> usize {
        self.inner.len()
    }
}

/// A compiled policy and the operations of the JSON entry point over it.
#[wasm_bindgen]
pub struct Warden {
    policy: Policy,
    /// The schema's field names, sorted.
    fields: Vec<String>,
    /// The same as JS strings, for the objects of [`Warden::decision_object`]; `None` when
    /// a name would not be an own data property of an object built by assignment
    /// (`__proto__`).
    names: Option<js_sys::Array>,
    /// The policy's hash as a JS string.
    hash: JsValue,
    /// The reader of `wasm/js/record.js` (with `names`).
    reader: Option<JsValue>,
    /// For each field in schema order, its index in `fields`.
    sorted_of: Vec<usize>,
    /// What the reader writes; borrowed by one `validate` at a time (a getter of the input
    /// calling `validate` again is answered by the JSON path).
    scratch: RefCell<Scratch>,
}

/// The options of [`Warden::validate_import`].
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ImportOptions {
    #[serde(default)]
    format: ImportFormat,
    #[serde(default)]
    records: bool,
    /// The records keep the file's password cells (and keys the policy does not declare),
    /// for a caller that commits the accounts itself; left out by default, as a decision
    /// leaves them.
    #[serde(default)]
    passwords: bool,
    today: Date,
    #[serde(default)]
    facts: ValidationFacts,
}

/// The `lang` argument: absent (`undefined`, `null`) for the default, else a language tag.
fn parse_lang(lang: Option<&JsValue>) -> Result<Lang, ApiError> {
    let Some(lang) = lang.filter(|l| !l.is_undefined() && !l.is_null()) else {
        return Ok(Lang::default());
    };
    let Some(l) = lang.as_string() else {
        return Err(input_error(
            "lang",
            format!(
                "expected a language tag as a string (`en`), not {}",
                convert::js_type_name(lang)
            ),
        ));
    };
    serde_json::from_value(Value::String(l.clone())).map_err(|_| {
        input_error(
            "lang",
            format!(
                "unknown language `{}`, expected a language tag (`en`, `fr`, `de`, `es`, or one the policy adds)",
                l.chars().take(16).collect::<String>()
            ),
        )
    })
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

impl Warden {
    fn with_policy(policy: Policy) -> Warden {
        let mut fields: Vec<String> = policy
            .document()
            .fields
            .iter()
            .map(|(name, _)| name.to_owned())
            .collect();
        fields.sort_unstable();
        let names = (!fields.iter().any(|f| f == "__proto__")).then(|| {
            fields
                .iter()
                .map(|f| JsValue::from_str(f))
                .collect::<js_sys::Array>()
        });
        let hash = JsValue::from_str(policy.hash());
        let sorted_of = policy
            .document()
            .fields
            .iter()
            .map(|(name, _)| {
                fields
                    .binary_search_by(|f| f.as_str().cmp(name))
                    .unwrap_or(usize::MAX)
            })
            .collect();
        let scratch = RefCell::new(Scratch {
            bytes: vec![0; FIRST_READ_BUFFER],
            codes: vec![0; fields.len() + 1],
        });
        Warden {
            reader: names
                .as_ref()
                .map(|names| record_reader(names, &wasm_bindgen::memory())),
            policy,
            fields,
            names,
            hash,
            sorted_of,
            scratch,
        }
    }

    /// `validate` of an input read field by field (`wasm/js/record.js`) rather than as
    /// JSON text: `None` when the reader declines it or it needs what only the JSON path
    /// answers (a language the policy does not speak, a malformed date, an error), which
    /// then answers. The same decision either way (tests/node/api.test.mjs).
    fn validate_read(&self, input: &JsValue, lang: Option<&JsValue>) -> Option<JsValue> {
        let reader = self.reader.as_ref()?;
        let lang = parse_lang(lang).ok()?;
        if !self.policy.speaks(lang) {
            return None;
        }
        let mut scratch = self.scratch.try_borrow_mut().ok()?;
        let Scratch { bytes, codes } = &mut *scratch;
        // The reader writes through these addresses (as through a `&mut` slice: both
        // borrows are held over the call).
        let status = read_record(
            reader,
            input,
            address(bytes.as_mut_ptr()),
            u32::try_from(bytes.len()).ok()?,
            address(codes.as_mut_ptr()),
            u32::try_from(codes.len()).ok()?,
        );
        if status != 0 {
            // Declined: the reader zeroed the bytes it wrote and dropped what it read.
            codes.fill(0);
            if let Ok(needed) = usize::try_from(status)
                && needed <= MAX_READ_BUFFER
            {
                bytes.resize(needed.max(bytes.len()), 0);
            }
            return None;
        }
        let decision = self.decide_read(bytes, codes, lang);
        // The record (a password among its values) is not kept: the reader's JS values,
        // its bytes in the buffer (as long as the codes say they are), and the codes.
        forget_record(reader);
        let used = codes
            .iter()
            .enumerate()
            .map(|(i, &c)| match (i < self.fields.len(), c) {
                (true, 0..=3) => 0,
                (true, c) => c - 4,
                (false, c) => c,
            })
            .fold(0usize, |sum, c| {
                sum.saturating_add(usize::try_from(c).unwrap_or(usize::MAX))
            });
        let used = used.min(bytes.len());
        if let Some(b) = bytes.get_mut(..used) {
            b.fill(0);
        }
        codes.fill(0);
        decision
    }

    /// The decision of a record `wasm/js/record.js` read into `bytes` and `codes`.
    fn decide_read(&self, bytes: &[u8], codes: &[u32], lang: Lang) -> Option<JsValue> {
        let n = self.fields.len();
        // The values by sorted index, strings borrowed from `bytes`. (At most one per field
        // of the schema, whose size the policy bounds under `api::MAX_RECORD_FIELDS`.)
        let mut inputs: SmallVec<[Option<StoredValue<'_>>; 16]> = SmallVec::with_capacity(n);
        let mut at = 0usize;
        for &code in codes.get(..n)? {
            let value = match code {
                0 => None,
                1 => Some(StoredValue::Null),
                2 => Some(StoredValue::Bool(false)),
                3 => Some(StoredValue::Bool(true)),
                c => {
                    let end = at.checked_add(usize::try_from(c - 4).ok()?)?;
                    let text = std::str::from_utf8(bytes.get(at..end)?).ok()?;
                    at = end;
                    Some(StoredValue::Text(text))
                }
            };
            inputs.push(value);
        }
        let end = at.checked_add(usize::try_from(*codes.get(n)?).ok()?)?;
        let today: Date = std::str::from_utf8(bytes.get(at..end)?)
            .ok()?
            .parse()
            .ok()?;
        let facts = ValidationFacts::default();
        let ctx = ValidationContext {
            mode: Mode::default(),
            today,
            lang,
            facts: &facts,
            mfa: false,
        };
        warden_core::validate::validate_user_values_with(
            &self.policy,
            |i| {
                self.sorted_of
                    .get(i)
                    .and_then(|&s| inputs.get(s))
                    .copied()
                    .flatten()
            },
            &ctx,
            |verdict, stored| self.decision_object(&verdict, stored, Some(&inputs)),
        )
    }

    /// A validation decision as the JS object `JSON.parse` of its contract response gives,
    /// built by `wasm/js/decision.js` from the verdict and the stored record read in place
    /// (`api::validate_json_with`: no map of it built) and the JSON text of its lists (none
    /// for a clean record): no JSON text of the whole decision, no `JSON.parse` of it.
    /// `None` when the names cannot be own data properties of an object built by
    /// assignment (`__proto__`), which the caller then answers as text.
    ///
    /// `read`: the record's own values by sorted index, when `wasm/js/record.js` read it
    /// (its reader holds them as JS values): a stored text equal to the record's own is
    /// taken from there, not copied back.
    fn decision_object(
        &self,
        verdict: &ValidationVerdict,
        stored: StoredRecord<'_>,
        read: Option<&[Option<StoredValue<'_>>]>,
    ) -> Option<JsValue> {
        let names = self.names.as_ref()?;
        let reader = self.reader.as_ref()?;
        // Keys sorted as the contract's response writes them (`api::to_response_json`): the
        // stored fields by their index among the sorted names.
        let mut entries: SmallVec<[(usize, StoredValue<'_>); 16]> = stored
            .by_position()
            .map(|(p, value)| Some((*self.sorted_of.get(p)?, value)))
            .collect::<Option<_>>()?;
        entries.sort_unstable_by_key(|e| e.0);
        let mut values = String::new();
        let mut layout: SmallVec<[u32; 32]> = SmallVec::new();
        for (index, value) in entries {
            // The record's own text at this field, when the reader read it.
            let own = read.and_then(|inputs| inputs.get(index).copied().flatten());
            let code = match value {
                StoredValue::Null => 0,
                StoredValue::Bool(b) => 1 + u32::from(b),
                StoredValue::Text(s) if matches!(own, Some(StoredValue::Text(t)) if same_text(s, t)) => {
                    3
                }
                StoredValue::Text(s) => {
                    let units = if s.is_ascii() {
                        s.len()
                    } else {
                        s.encode_utf16().count()
                    };
                    values.push_str(s);
                    u32::try_from(units).ok()?.checked_add(4)?
                }
            };
            layout.push(u32::try_from(index).ok()?);
            layout.push(code);
        }
        let rest = if verdict.checks.is_empty()
            && verdict.violations.is_empty()
            && verdict.password.is_none()
        {
            Vec::new()
        } else {
            // The lists as the response's text writes them, in one array for one `JSON.parse`.
            let mut rest = b"[".to_vec();
            rest.extend(api::to_sorted_json(&verdict.checks).ok()?);
            rest.push(b',');
            rest.extend(api::to_sorted_json(&verdict.violations).ok()?);
            rest.push(b',');
            rest.extend(api::to_sorted_json(&verdict.password).ok()?);
            rest.push(b']');
            rest
        };
        let rest = std::str::from_utf8(&rest).ok()?;
        // An empty text is not passed at all (each text passed is decoded in JS).
        fn some(t: &str) -> Option<&str> {
            (!t.is_empty()).then_some(t)
        }
        let flags = u32::from(verdict.valid) | (u32::from(verdict.complete) << 1);
        Some(validation_decision(
            names,
            &self.hash,
            api::CONTRACT_VERSION,
            flags,
            some(&values),
            address(layout.as_ptr()),
            u32::try_from(layout.len()).ok()?,
            some(rest),
            reader,
        ))
    }

    /// Runs `op` on `input` by the text-to-text path: the `JSON.stringify`ed input straight
    /// into the operation's input type, the decision straight to text for `JSON.parse`; a
    /// validation decision read by the text path straight to its JS object.
    fn run(&self, op: Op, input: &JsValue, lang: Option<JsValue>) -> Result<JsValue, JsValue> {
        let inner = || -> Result<JsValue, ApiError> {
            let lang = parse_lang(lang.as_ref())?;
            let text = convert::js_text(input, "input")?;
            // A policy whose field names have no object form (`__proto__`) is answered
            // as text below, without validating twice.
            if op == Op::Validate
                && self.names.is_some()
                && let Some(Some(object)) =
                    api::validate_json_with(&self.policy, lang, &text, |v, s| {
                        self.decision_object(&v, s, None)
                    })
            {
                return Ok(object);
            }
            let out = api::evaluate_json_with(&self.policy, op, lang, &text)?;
            convert::from_text(&out)
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
            .map(Warden::with_policy)
            .map_err(|e| to_js_error(&e))
    }

    /// A preset policy by name (`production-planner-pro`) or seed number (`000`).
    ///
    /// # Errors
    /// A `WardenError` (`policy_error`) listing the presets when none has that name.
    #[wasm_bindgen(js_name = fromPreset)]
    pub fn from_preset(
        #[wasm_bindgen(unchecked_param_type = "string")] name: &JsValue,
    ) -> Result<Warden, JsValue> {
        let name = string_arg(name, "name").map_err(|e| to_js_error(&e))?;
        Policy::preset(&name)
            .map(Warden::with_policy)
            .map_err(|e| to_js_error(&ApiError::from(e)))
    }

    /// This policy with `list` as its common-password list (a new `Warden`; the compiled
    /// policy is shared, not recompiled).
    #[wasm_bindgen(js_name = withBlocklist)]
    pub fn with_blocklist(&self, list: &Blocklist) -> Warden {
        Warden::with_policy(self.policy.with_blocklist(Arc::clone(&list.inner)))
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

    /// The policy document (schema, labels, statuses, transitions), for building forms.
    ///
    /// # Errors
    /// Only if the document cannot be converted (a bug).
    #[wasm_bindgen(unchecked_return_type = "PolicyDocument")]
    pub fn document(&self) -> Result<JsValue, JsValue> {
        // Straight to JSON text: a `serde_json::Value` would sort the fields, which are in
        // display order.
        let text = serde_json::to_string(self.policy.document())
            .map_err(|e| to_js_error(&input_error("", e.to_string())))?;
        js_sys::JSON::parse(&text)
    }

    /// The JSON Schema (2020-12) of a user record under this policy, for ajv, OpenAPI and
    /// form generators; what JSON Schema cannot say is under `x-warden-*` keys (see
    /// `warden_core::forms`).
    ///
    /// # Errors
    /// A `WardenError` (`invalid_input`) for an unknown language.
    #[wasm_bindgen(js_name = jsonSchema, unchecked_return_type = "Record<string, unknown>")]
    pub fn json_schema(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "Lang")] lang: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        let lang = parse_lang(lang.as_ref()).map_err(|e| to_js_error(&e))?;
        let schema = warden_core::forms::json_schema(&self.policy, lang);
        to_js(&schema).map_err(|e| to_js_error(&e))
    }

    /// The HTML constraint attributes of each field (`required`, `minlength`, `maxlength`,
    /// `type`, `autocomplete`, `pattern` where exact, `passwordrules`), labels in `lang`.
    ///
    /// # Errors
    /// A `WardenError` (`invalid_input`) for an unknown language.
    #[wasm_bindgen(js_name = htmlAttributes, unchecked_return_type = "Record<string, FieldAttributes>")]
    pub fn html_attributes(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "Lang")] lang: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        let lang = parse_lang(lang.as_ref()).map_err(|e| to_js_error(&e))?;
        let attrs = warden_core::forms::html_attributes(&self.policy, lang);
        // Straight to JSON text: the fields keep their schema order.
        let text = serde_json::to_string(&attrs)
            .map_err(|e| to_js_error(&input_error("", e.to_string())))?;
        js_sys::JSON::parse(&text)
    }

    /// The password rules as a `passwordrules` attribute value, if the policy has any.
    #[wasm_bindgen(getter, js_name = passwordRules)]
    pub fn password_rules(&self) -> Option<String> {
        warden_core::forms::password_rules(&self.policy)
    }

    /// Any operation of the JSON entry point (`validate`, `password`, `authorize`, `scope`,
    /// `transition`, `login`, `statistics`, `bulk`, ...), `input` as in the core docs.
    ///
    /// # Errors
    /// A `WardenError` when the request cannot be evaluated (bad shape, unknown op).
    #[wasm_bindgen(unchecked_return_type = "any")]
    pub fn evaluate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Op")] op: &JsValue,
        #[wasm_bindgen(unchecked_param_type = "object")] input: &JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Lang")] lang: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        let op = string_arg(op, "op")
            .and_then(|op| parse_op(&op))
            .map_err(|e| to_js_error(&e))?;
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
        #[wasm_bindgen(unchecked_optional_param_type = "Lang")] lang: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        if let Some(decision) = self.validate_read(input, lang.as_ref()) {
            return Ok(decision);
        }
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
        #[wasm_bindgen(unchecked_optional_param_type = "Lang")] lang: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        self.run(Op::Password, input, lang)
    }

    /// Decides one action: `{actor, action, target, change?, directory?, now}`.
    ///
    /// # Errors
    /// A `WardenError` for a bad shape or an action, role or group the policy lacks.
    #[wasm_bindgen(unchecked_return_type = "AuthzDecisionResponse")]
    pub fn authorize(
        &self,
        #[wasm_bindgen(unchecked_param_type = "AuthorizeInput")] input: &JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Lang")] lang: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        self.run(Op::Authorize, input, lang)
    }

    /// The filter of targets an actor may reach: `{actor, action, now, sql?}`.
    ///
    /// # Errors
    /// A `WardenError` for a bad shape or an unknown action.
    #[wasm_bindgen(unchecked_return_type = "ScopeOutputResponse")]
    pub fn scope(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ScopeInput")] input: &JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Lang")] lang: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        self.run(Op::Scope, input, lang)
    }

    /// Moves an account to another status: `{actor, target, to, reason?, durationDays?,
    /// until?, facts?, directory?, now}` → allow/deny, obligations, audit entry.
    ///
    /// # Errors
    /// A `WardenError` for a bad shape or a status the policy lacks.
    #[wasm_bindgen(unchecked_return_type = "TransitionDecisionResponse")]
    pub fn transition(
        &self,
        #[wasm_bindgen(unchecked_param_type = "TransitionInput")] input: &JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Lang")] lang: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        self.run(Op::Transition, input, lang)
    }

    /// May this account log in now: `{account, organization?, facts?, now}`.
    ///
    /// # Errors
    /// A `WardenError` for a bad shape.
    #[wasm_bindgen(js_name = canLogin, unchecked_return_type = "LoginDecisionResponse")]
    pub fn can_login(
        &self,
        #[wasm_bindgen(unchecked_param_type = "LoginInput")] input: &JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Lang")] lang: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        self.run(Op::Login, input, lang)
    }

    /// Account statistics (R000-10): `{accounts, now}`.
    ///
    /// # Errors
    /// A `WardenError` for a bad shape.
    #[wasm_bindgen(unchecked_return_type = "StatisticsResponse")]
    pub fn statistics(
        &self,
        #[wasm_bindgen(unchecked_param_type = "AccountsInput")] input: &JsValue,
    ) -> Result<JsValue, JsValue> {
        self.run(Op::Statistics, input, None)
    }

    /// Answers a decision's `checks` from local data: uniqueness from `records` (stored,
    /// normalised user records; `options.selfId` excludes the record being edited),
    /// existence from `options.known` (`{field: [ids]}`) or from record ids. Pass the
    /// result as `facts` to the next `validate`.
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
        let inner = || -> Result<Value, ApiError> {
            let checks: Vec<warden_core::validate::Check> =
                api::parse_value("checks", from_js(checks, "checks")?)?;
            let records: Vec<serde_json::Map<String, Value>> =
                api::parse_value("records", from_js(records, "records")?)?;
            let options: facts::AnswerOptions = match from_js(options, "options")? {
                Value::Null => facts::AnswerOptions::default(),
                v => api::parse_value("options", v)?,
            };
            serde_json::to_value(facts::answer(&checks, &records, &options))
                .map_err(|e| input_error("", e.to_string()))
        };
        let out = inner().map_err(|e| to_js_error(&e))?;
        to_js(&out).map_err(|e| to_js_error(&e))
    }

    /// Parses and validates a whole CSV (with a header row) or JSON Lines file inside wasm.
    /// `options` is `{format?: "csv" | "jsonLines", today, facts?}`. Returns `{summary,
    /// status, rows, columns, lookups}` where `status` is a `Uint8Array` with one byte per
    /// data row (0 valid, 1 valid with warnings, 2 invalid) and `rows` lists only the rows
    /// with violations. `status` is a plain property; the rest is decoded from the report's
    /// JSON text the first time any of it is read (`wasm/js/lazy.js`).
    ///
    /// # Errors
    /// A `WardenError` (`import_unreadable`) when the file as a whole cannot be read (too
    /// large, not UTF-8, no header, a duplicated column); bad rows are never errors.
    #[wasm_bindgen(js_name = validateImport, unchecked_return_type = "ImportResult")]
    pub fn validate_import(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: &JsValue,
        #[wasm_bindgen(unchecked_param_type = "ImportOptions")] options: &JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Lang")] lang: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        let inner = || -> Result<JsValue, ApiError> {
            let bytes = convert::bytes_arg(bytes, "bytes")?;
            let bytes = bytes.as_slice();
            let lang = parse_lang(lang.as_ref())?;
            let opts: ImportOptions = api::parse_value("options", from_js(options, "options")?)?;
            let ctx = ValidationContext {
                mode: Mode::Import,
                today: opts.today,
                lang,
                facts: &opts.facts,
                mfa: false,
            };
            // The bytes `JSON.parse` of `to_value` of the report would read, written as the
            // rows are read, without the `Value`; the status apart.
            let report = api::validate_import_json(
                &self.policy,
                bytes,
                CoreImportOptions {
                    format: opts.format,
                    records: opts.records,
                },
                &ctx,
                if opts.passwords {
                    api::Passwords::Keep
                } else {
                    api::Passwords::Leave
                },
            )?;
            Ok(lazy_import(&report.status, opts.records, &report.text))
        };
        inner().map_err(|e| to_js_error(&e))
    }
}

/// The presets shipped with the package: `[{id, name, title}]`, in seed order.
#[wasm_bindgen(unchecked_return_type = "PresetInfo[]")]
pub fn presets() -> Result<JsValue, JsValue> {
    let list = serde_json::to_value(presets::PRESETS).map_err(|e| input_error("", e.to_string()));
    list.and_then(|v| to_js(&v)).map_err(|e| to_js_error(&e))
}

/// A preset's policy document, by name or seed number (to copy and edit, or to pass to
/// `new Warden(...)`).
///
/// # Errors
/// A `WardenError` (`policy_error`) when no preset has that name.
#[wasm_bindgen(js_name = presetDocument, unchecked_return_type = "PolicyDocument")]
pub fn preset_document(
    #[wasm_bindgen(unchecked_param_type = "string")] name: &JsValue,
) -> Result<JsValue, JsValue> {
    let name = string_arg(name, "name").map_err(|e| to_js_error(&e))?;
    let name = name.as_str();
    match presets::find(name) {
        // The shipped text itself, in its field order.
        Some(p) => js_sys::JSON::parse(p.json),
        None => Err(Policy::preset(name).err().map_or_else(
            || to_js_error(&input_error("", "unknown preset")),
            |e| to_js_error(&ApiError::from(e)),
        )),
    }
}

/// One whole request of the JSON entry point (`{preset | policy, op, lang?, input}`), as
/// `warden_core::api::evaluate`. Applications should keep a [`Warden`] instead; see also
/// [`Blocklist::evaluate_request`].
///
/// # Errors
/// A `WardenError` when the request cannot be evaluated.
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
    let inner = || -> Result<Value, ApiError> {
        let req: api::Request = api::parse_value("", from_js(request, "request")?)?;
        api::check_contract(req.contract)?;
        let mut policy = api::load_policy(req.preset.as_deref(), req.policy.as_ref())?;
        if let Some(list) = blocklist {
            policy = policy.with_blocklist(Arc::clone(&list.inner));
        }
        api::evaluate_with(&policy, req.op, req.lang, req.input)
    };
    inner().and_then(|v| to_js(&v)).map_err(|e| to_js_error(&e))
}

#[wasm_bindgen]
impl Blocklist {
    /// One whole request of the JSON entry point, its policy given this list (the
    /// conformance runner uses it).
    ///
    /// # Errors
    /// A `WardenError` when the request cannot be evaluated.
    #[wasm_bindgen(js_name = evaluateRequest, unchecked_return_type = "any")]
    pub fn evaluate_request(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Request")] request: &JsValue,
    ) -> Result<JsValue, JsValue> {
        evaluate_request_with(request, Some(self))
    }
}

/// Renders a rule's message from its code and params (for a password checklist item).
///
/// # Errors
/// A `WardenError` (`invalid_input`) for an unknown code or language.
#[wasm_bindgen(js_name = renderMessage)]
pub fn render_message(
    #[wasm_bindgen(unchecked_param_type = "string")] code: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "Record<string, unknown> | undefined")] params: &JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "Lang")] lang: Option<JsValue>,
) -> Result<String, JsValue> {
    let inner = || -> Result<String, ApiError> {
        let code = string_arg(code, "code")?;
        let lang = parse_lang(lang.as_ref())?;
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
