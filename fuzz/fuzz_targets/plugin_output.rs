//! The plugin host's decoding of what a plugin returns: violations (codes, paths,
//! severities, messages, params as JSON text), verdicts, and the byte accounting against
//! the output limits. The input is JSON: `{"limits": {...}, "violations": [{"code",
//! "path": ["key", 0], "error", "message", "params"}], "deny": ["code", "message"] | null}`.
//!
//! Invariants: no panic; an accepted output keeps every violation, in order, with a valid
//! code, the message and path keys with control and bidi characters removed and cut to
//! their limits, the params the plugin sent, and the bytes counted equal to the JSON the
//! host adds and within the limit; a refusal is `InvalidOutput` for a bad code, path or
//! params, or `OutputTooLarge` above a limit it names; raising the limits never turns an
//! accepted output into a refusal nor changes it; a plugin's deny is a `forbidden` deny
//! naming the plugin's rule, never an allow.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use serde_json::Value;
use warden_core::decision::DenyKind;
use warden_host::plugin::fuzzing::{self, RawPathPart, RawViolation};
use warden_host::plugin::{Fault, Limits, Source};

#[derive(Deserialize)]
struct Case {
    #[serde(default)]
    limits: Option<Value>,
    #[serde(default)]
    violations: Vec<RawV>,
    #[serde(default)]
    deny: Option<(String, String)>,
}

#[derive(Deserialize)]
struct RawV {
    code: String,
    #[serde(default)]
    path: Vec<Value>,
    #[serde(default)]
    error: bool,
    #[serde(default)]
    message: String,
    #[serde(default)]
    params: String,
}

fn unwanted(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

fn valid_code(code: &str) -> bool {
    let mut chars = code.chars();
    code.len() <= 64
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn limits_from(v: Option<Value>) -> Limits {
    let mut l = Limits::default();
    if let Some(Value::Object(m)) = v {
        let get = |k: &str| m.get(k).and_then(Value::as_u64);
        if let Some(x) = get("maxOutputBytes") {
            l.max_output_bytes = (x % (1 << 20)) as usize;
        }
        if let Some(x) = get("maxViolations") {
            l.max_violations = (x % 2048) as u32;
        }
        if let Some(x) = get("maxPathParts") {
            l.max_path_parts = (x % 128) as u32;
        }
    }
    l
}

fn raw(vs: &[RawV]) -> Vec<RawViolation> {
    vs.iter()
        .map(|v| RawViolation {
            code: v.code.clone(),
            path: v
                .path
                .iter()
                .map(|p| match p {
                    Value::Number(n) => RawPathPart::Index(n.as_u64().unwrap_or(0) as u32),
                    Value::String(s) => RawPathPart::Key(s.clone()),
                    other => RawPathPart::Key(other.to_string()),
                })
                .collect(),
            error: v.error,
            message: v.message.clone(),
            params_json: v.params.clone(),
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Ok(case) = serde_json::from_slice::<Case>(data) else {
        return;
    };
    let limits = limits_from(case.limits);
    let source = Source {
        plugin: "fuzz".into(),
        version: "1.0.0".into(),
        hash: "00".repeat(32),
    };
    let raws = raw(&case.violations);
    let result = fuzzing::violations(raws.clone(), &source, &limits);
    let mut larger = limits;
    larger.max_output_bytes = limits
        .max_output_bytes
        .saturating_mul(2)
        .saturating_add(1024);
    larger.max_violations = limits.max_violations.saturating_mul(2).saturating_add(1);
    larger.max_path_parts = limits.max_path_parts.saturating_add(1);
    match &result {
        Ok((out, bytes)) => {
            assert_eq!(out.len(), raws.len(), "a violation was dropped");
            let json = serde_json::to_vec(out).expect("violations serialise");
            let expected = if out.is_empty() { 0 } else { json.len() };
            assert_eq!(*bytes, expected, "bytes counted differ from the JSON added");
            assert!(
                *bytes <= limits.max_output_bytes,
                "accepted above the output limit"
            );
            for (pv, r) in out.iter().zip(&raws) {
                assert!(valid_code(&pv.code) && pv.code == r.code, "code");
                assert!(
                    !pv.message.chars().any(unwanted),
                    "unwanted characters kept"
                );
                assert_eq!(
                    pv.message,
                    fuzzing::plugin_text(&r.message, limits.max_output_bytes)
                );
                assert_eq!(
                    fuzzing::plugin_text(&pv.message, usize::MAX),
                    pv.message,
                    "text not idempotent"
                );
                assert_eq!(pv.path.len(), r.path.len(), "path length");
                assert!(
                    pv.path.len() <= limits.max_path_parts as usize,
                    "path above its limit"
                );
                let params: Value =
                    serde_json::from_str(&r.params_json).expect("accepted params are JSON");
                assert_eq!(
                    Some(Value::Object(pv.params.clone())),
                    fuzzing::params(params, limits.max_output_bytes),
                    "params not as the host cleans them"
                );
                assert_eq!(
                    fuzzing::params(Value::Object(pv.params.clone()), usize::MAX),
                    Some(Value::Object(pv.params.clone())),
                    "params cleaning not idempotent"
                );
                assert_eq!(pv.source, source);
                for part in &pv.path {
                    if let warden_core::violation::PathPart::Key(k) = part {
                        assert!(
                            k.len() <= 256 && !k.chars().any(unwanted),
                            "path key kept as is"
                        );
                    }
                }
            }
            let again = fuzzing::violations(raws.clone(), &source, &larger);
            assert_eq!(
                again.as_ref().map(|(o, _)| o),
                Ok(out),
                "larger limits change the outcome"
            );
        }
        Err(Fault::OutputTooLarge { size, limit, .. }) => {
            assert!(size > limit, "too large at {size} within the limit {limit}");
        }
        Err(Fault::InvalidOutput { .. }) => {
            let bad = raws.iter().any(|r| {
                !valid_code(&r.code)
                    || r.path.len() > limits.max_path_parts as usize
                    || !matches!(
                        serde_json::from_str::<Value>(&r.params_json),
                        Ok(Value::Object(_))
                    )
            });
            assert!(bad, "refused as invalid with nothing invalid");
        }
        Err(other) => panic!("an unexpected fault for plugin output: {other:?}"),
    }

    let deny = fuzzing::verdict(case.deny.clone(), &source, &limits);
    match (&case.deny, &deny) {
        (None, Ok((None, 0))) => {}
        (None, other) => panic!("an allow verdict gave {other:?}"),
        (Some((code, message)), Ok((Some(d), bytes))) => {
            assert!(valid_code(code));
            assert_eq!(d.kind, DenyKind::Forbidden, "a plugin's deny is forbidden");
            assert_eq!(d.code, code.as_str());
            assert_eq!(
                d.rule.as_ref().map(|r| r.to_string()),
                Some("plugin:fuzz@1.0.0".into())
            );
            assert_eq!(
                d.message.to_string(),
                fuzzing::plugin_text(message, limits.max_output_bytes)
            );
            assert_eq!(
                *bytes,
                serde_json::to_vec(d).expect("a denial serialises").len()
            );
            assert!(*bytes <= limits.max_output_bytes);
        }
        (Some(_), Ok((None, _))) => panic!("a deny verdict became an allow"),
        (Some((code, _)), Err(Fault::InvalidOutput { .. })) => assert!(!valid_code(code)),
        (Some(_), Err(Fault::OutputTooLarge { size, limit, .. })) => assert!(size > limit),
        (Some(_), Err(other)) => panic!("an unexpected fault for a verdict: {other:?}"),
    }
});
