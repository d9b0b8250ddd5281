//! What a plugin returns, checked and counted before it enters a decision: the codes,
//! paths, messages and params of its violations, its verdict, and the bytes of JSON the
//! host adds, against the tenant's output limits.
//!
//! Pure code, without wasmtime: the registry converts what wasmtime lifts out of the guest
//! (the WIT `violation` and `verdict`) into [`RawViolation`] and [`RawVerdict`] and calls
//! [`check_violations`] and [`check_verdict`]; the fuzz target `plugin_output` calls the
//! same functions through [`fuzzing`](super::fuzzing), in a build of this crate without its
//! `runtime` feature.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};
use warden_core::Severity;
use warden_core::decision::{Denial, DenyKind, DenyParams, Name, Text};
use warden_core::violation::PathPart as CorePathPart;

use super::error::Fault;
use super::limits::Limits;
use super::text::plugin_text;

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

/// A verdict as a plugin returns it (the WIT `verdict` variant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawVerdict {
    /// No objection.
    Allow,
    /// A deny: the plugin's code and message.
    Deny {
        /// The plugin's code.
        code: String,
        /// The plugin's message.
        message: String,
    },
}

/// Which plugin added something to a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    /// Its name (validated at load: `[a-z][a-z0-9]*(-[a-z0-9]+)*`).
    pub plugin: String,
    /// Its version (validated at load).
    pub version: String,
    /// The SHA-256 of its component, hex.
    pub hash: String,
}

/// A violation a plugin added, checked and counted: a code of the plugin's
/// (`[a-z][a-z0-9_]*`), its path, severity, message and params (control and bidi
/// characters stripped from every string, params at most 16 levels deep), and the plugin
/// it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PluginViolation {
    /// The plugin's code.
    pub code: String,
    /// Where.
    pub path: Vec<CorePathPart>,
    /// Error or warning.
    pub severity: Severity,
    /// The plugin's message.
    pub message: String,
    /// The plugin's params (a JSON object).
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub params: Map<String, Value>,
    /// The plugin.
    pub source: Source,
}

impl Source {
    /// The rule a plugin's deny names: `plugin:NAME@VERSION`.
    pub(crate) fn rule(&self) -> String {
        format!("plugin:{}@{}", self.plugin, self.version)
    }

    /// The params of a plugin's deny: the plugin, its version and hash, and the fault's
    /// code for a fault.
    pub(crate) fn params(&self, error: Option<&str>) -> DenyParams {
        let mut p = BTreeMap::new();
        p.insert("plugin".to_owned(), Value::from(self.plugin.clone()));
        p.insert("version".to_owned(), Value::from(self.version.clone()));
        p.insert("hash".to_owned(), Value::from(self.hash.clone()));
        if let Some(e) = error {
            p.insert("error".to_owned(), Value::from(e));
        }
        DenyParams::from(p)
    }
}

/// A stable code: `[a-z][a-z0-9_]*`, at most 64 bytes, and not the host's own
/// [`PLUGIN_FAULT`] (a plugin cannot pass its violation off as the host's report of a fault).
fn valid_code(code: &str) -> bool {
    let mut chars = code.chars();
    code != PLUGIN_FAULT
        && code.len() <= 64
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

const CODE_RULE: &str =
    "a code is [a-z][a-z0-9_]*, at most 64 bytes, and not `plugin_fault` (the host's)";

/// The code the host reports a plugin's fault under.
pub(crate) const PLUGIN_FAULT: &str = "plugin_fault";

/// The deepest a violation's params may nest: the params object is level 1, each object
/// or array inside it one more. Deeper params are the plugin's [`Fault::InvalidOutput`]:
/// a decision, a server response or a stored report wraps the params in a few more
/// levels, and must stay within JSON parsers' own limits (serde_json's is 128).
pub(crate) const MAX_PARAMS_DEPTH: usize = 16;

/// `value` with every string in it (object keys and string values, at any depth) cleaned
/// as plugin text ([`plugin_text`]: no control, bidi or zero-width characters, at most
/// `max` bytes each); `None` when it nests deeper than `depth` levels.
pub(crate) fn clean_params(value: Value, depth: usize, max: usize) -> Option<Value> {
    let below = depth.checked_sub(1);
    Some(match value {
        Value::String(s) => Value::String(plugin_text(&s, max)),
        Value::Array(a) => {
            let below = below?;
            Value::Array(
                a.into_iter()
                    .map(|v| clean_params(v, below, max))
                    .collect::<Option<_>>()?,
            )
        }
        Value::Object(m) => {
            let below = below?;
            let mut out = Map::new();
            for (k, v) in m {
                out.insert(plugin_text(&k, max), clean_params(v, below, max)?);
            }
            Value::Object(out)
        }
        other => other,
    })
}

/// Bytes of `value` as JSON: what the host adds to the decision for it.
fn json_len(value: &impl Serialize) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 = self.0.saturating_add(buf.len());
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Count(0);
    match serde_json::to_writer(&mut c, value) {
        Ok(()) => c.0,
        Err(_) => usize::MAX,
    }
}

pub(crate) fn too_large(size: usize, limits: &Limits) -> Fault {
    Fault::OutputTooLarge {
        size,
        limit: limits.max_output_bytes,
        what: "output",
    }
}

/// The plugin's violations, checked and counted as the bytes of JSON the host adds; stops
/// at the first limit exceeded.
pub(crate) fn check_violations(
    vs: Vec<RawViolation>,
    source: &Source,
    limits: &Limits,
) -> Result<(Vec<PluginViolation>, usize), Fault> {
    let max = usize::try_from(limits.max_violations).unwrap_or(usize::MAX);
    if vs.len() > max {
        return Err(Fault::OutputTooLarge {
            size: vs.len(),
            limit: max,
            what: "violation",
        });
    }
    let max_parts = usize::try_from(limits.max_path_parts).unwrap_or(usize::MAX);
    let mut out = Vec::with_capacity(vs.len());
    // As the list `[v1,v2,...]` would be written: one byte for `[`, then each violation
    // and the `,` or `]` after it.
    let mut bytes: usize = 1;
    for v in vs {
        if !valid_code(&v.code) {
            return Err(Fault::InvalidOutput {
                reason: CODE_RULE.into(),
            });
        }
        if v.path.len() > max_parts {
            return Err(Fault::InvalidOutput {
                reason: format!(
                    "a violation's path has {} parts, above the limit of {max_parts}",
                    v.path.len()
                ),
            });
        }
        // Text the host will not keep still costs its bytes.
        let raw = v.message.len().saturating_add(v.params_json.len());
        if bytes.saturating_add(raw) > limits.max_output_bytes {
            return Err(too_large(bytes.saturating_add(raw), limits));
        }
        let params = match serde_json::from_str::<Value>(&v.params_json) {
            Ok(p @ Value::Object(_)) => p,
            _ => {
                return Err(Fault::InvalidOutput {
                    reason: format!("the params of `{}` are not a JSON object", v.code),
                });
            }
        };
        let params = match clean_params(params, MAX_PARAMS_DEPTH, limits.max_output_bytes) {
            Some(Value::Object(m)) => m,
            _ => {
                return Err(Fault::InvalidOutput {
                    reason: format!(
                        "the params of `{}` nest deeper than {MAX_PARAMS_DEPTH} levels",
                        v.code
                    ),
                });
            }
        };
        let pv = PluginViolation {
            path: v
                .path
                .into_iter()
                .map(|p| match p {
                    RawPathPart::Key(k) => CorePathPart::Key(plugin_text(&k, 256)),
                    RawPathPart::Index(i) => {
                        CorePathPart::Index(usize::try_from(i).unwrap_or(usize::MAX))
                    }
                })
                .collect(),
            severity: if v.error {
                Severity::Error
            } else {
                Severity::Warning
            },
            message: plugin_text(&v.message, limits.max_output_bytes),
            code: v.code,
            params,
            source: source.clone(),
        };
        bytes = bytes.saturating_add(json_len(&pv)).saturating_add(1);
        if bytes > limits.max_output_bytes {
            return Err(too_large(bytes, limits));
        }
        out.push(pv);
    }
    let bytes = if out.is_empty() { 0 } else { bytes };
    Ok((out, bytes))
}

/// A plugin's deny, checked and counted.
pub(crate) fn check_verdict(
    v: RawVerdict,
    source: &Source,
    limits: &Limits,
) -> Result<(Option<Denial>, usize), Fault> {
    match v {
        RawVerdict::Allow => Ok((None, 0)),
        RawVerdict::Deny { code, message } => {
            if !valid_code(&code) {
                return Err(Fault::InvalidOutput {
                    reason: CODE_RULE.into(),
                });
            }
            if message.len() > limits.max_output_bytes {
                return Err(too_large(message.len(), limits));
            }
            let denial = Denial {
                kind: DenyKind::Forbidden,
                code: Cow::Owned(code),
                message: Text::from(plugin_text(&message, limits.max_output_bytes)),
                rule: Some(Name::new(&source.rule())),
                hint: None,
                params: source.params(None),
            };
            let bytes = json_len(&denial);
            if bytes > limits.max_output_bytes {
                return Err(too_large(bytes, limits));
            }
            Ok((Some(denial), bytes))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

    use super::*;

    fn source() -> Source {
        Source {
            plugin: "p".into(),
            version: "1.0.0".into(),
            hash: "00".into(),
        }
    }

    fn violation(params_json: String) -> RawViolation {
        RawViolation {
            code: "c".into(),
            path: Vec::new(),
            error: true,
            message: "m".into(),
            params_json,
        }
    }

    /// A plugin's violation cannot wear the code the host reports faults under.
    #[test]
    fn the_hosts_fault_code_is_reserved() {
        let mut v = violation("{}".into());
        v.code = PLUGIN_FAULT.into();
        let err = check_violations(vec![v], &source(), &Limits::default()).unwrap_err();
        assert!(err.to_string().contains("plugin_fault"), "{err}");
        let mut v = violation("{}".into());
        v.code = "plugin_faulty".into();
        assert!(check_violations(vec![v], &source(), &Limits::default()).is_ok());
    }

    #[test]
    fn control_and_bidi_characters_are_stripped_from_params_keys_and_values() {
        let params = serde_json::json!({
            "k\u{202E}ey\u{9B}": "a\u{85}b\u{7F}c\u{202E}d\u{2066}e\u{1b}",
            "list": ["x\u{200B}y", {"in\u{0}ner": "z\u{9F}"}],
            "n": 7,
        });
        let (vs, _) = check_violations(
            vec![violation(params.to_string())],
            &source(),
            &Limits::default(),
        )
        .unwrap();
        let p = Value::Object(vs[0].params.clone());
        assert_eq!(
            p,
            serde_json::json!({"key": "abcde", "list": ["xy", {"inner": "z"}], "n": 7})
        );
    }

    #[test]
    fn params_nesting_is_capped_with_a_typed_fault() {
        let nested = |levels: usize| {
            // `levels` containers, the params object included.
            let mut s = String::from("1");
            for i in 1..levels {
                s = if i % 2 == 0 {
                    format!("[{s}]")
                } else {
                    format!("{{\"a\":{s}}}")
                };
            }
            format!("{{\"a\":{s}}}")
        };
        let limits = Limits::default();
        let (vs, _) = check_violations(
            vec![violation(nested(MAX_PARAMS_DEPTH))],
            &source(),
            &limits,
        )
        .unwrap();
        assert_eq!(vs.len(), 1);
        // 127 levels parse (serde_json's own limit is 128) but are refused.
        for levels in [MAX_PARAMS_DEPTH + 1, 127] {
            let err =
                check_violations(vec![violation(nested(levels))], &source(), &limits).unwrap_err();
            assert!(
                matches!(&err, Fault::InvalidOutput { reason } if reason.contains("nest deeper than 16")),
                "{levels}: {err:?}"
            );
        }
    }
}
