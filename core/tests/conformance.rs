//! The native conformance runner: every case of `tests/vectors/*.json` through
//! [`warden_core::api::evaluate`], its outcome matched against the case's `expect` pattern.
//!
//! The vector format and the subset-pattern rule are specified in `tests/README.md`; the
//! other runners (the wasm package under Node, the wasmtime host, Python) implement the same
//! rule, so [`matches`] is written to be read next to that document.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The vectors must not silently shrink: at least this many cases in all.
const MIN_CASES: usize = 140;

/// One place where the actual value does not match the pattern.
#[derive(Debug, Clone, PartialEq)]
struct Mismatch {
    /// Where, as `$.violations[0].code`.
    path: String,
    /// What the pattern wanted there (a short description for arrays of the wrong length
    /// and missing keys).
    expected: String,
    /// What was there.
    actual: String,
}

/// Matches `actual` against the subset pattern `expected`, collecting every mismatch.
///
/// - object pattern: `actual` is an object that has every key of the pattern, each value
///   matching; extra keys are allowed;
/// - array pattern: `actual` is an array of the same length, matching element-wise;
/// - anything else (string, number, boolean, null): `actual` is equal. Numbers compare by
///   value (`1` and `1.0` are equal).
fn matches(expected: &Value, actual: &Value, path: &str, out: &mut Vec<Mismatch>) {
    match (expected, actual) {
        (Value::Object(pattern), Value::Object(object)) => {
            for (key, sub) in pattern {
                let here = format!("{path}.{key}");
                match object.get(key) {
                    Some(value) => matches(sub, value, &here, out),
                    None => out.push(Mismatch {
                        path: here,
                        expected: compact(sub),
                        actual: "(missing key)".into(),
                    }),
                }
            }
        }
        (Value::Array(pattern), Value::Array(array)) => {
            if pattern.len() != array.len() {
                out.push(Mismatch {
                    path: path.to_owned(),
                    expected: format!(
                        "an array of {} elements: {}",
                        pattern.len(),
                        compact(expected)
                    ),
                    actual: format!("an array of {} elements: {}", array.len(), compact(actual)),
                });
                return;
            }
            for (i, (p, a)) in pattern.iter().zip(array).enumerate() {
                matches(p, a, &format!("{path}[{i}]"), out);
            }
        }
        (Value::Number(p), Value::Number(a)) => {
            if p != a && p.as_f64() != a.as_f64() {
                out.push(Mismatch {
                    path: path.to_owned(),
                    expected: compact(expected),
                    actual: compact(actual),
                });
            }
        }
        _ => {
            if expected != actual {
                out.push(Mismatch {
                    path: path.to_owned(),
                    expected: compact(expected),
                    actual: compact(actual),
                });
            }
        }
    }
}

fn compact(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 400 {
        let head: String = s.chars().take(400).collect();
        format!("{head}...")
    } else {
        s
    }
}

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn vector_files() -> Vec<PathBuf> {
    let dir = vectors_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no vector file in {}", dir.display());
    files
}

/// Whether `id` looks like a rule id of `RULES.md` (`R000-03`).
fn is_rule_id(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() == 7
        && b[0] == b'R'
        && b[1..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
}

fn non_empty_string(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::String(s)) if !s.trim().is_empty())
}

/// Problems with a case's own shape (not its outcome).
fn case_shape_problems(case: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(obj) = case.as_object() else {
        return vec!["a case must be an object".into()];
    };
    for key in obj.keys() {
        if !["name", "rules", "reason", "request", "expect"].contains(&key.as_str()) {
            problems.push(format!("unknown key `{key}` in a case"));
        }
    }
    if !non_empty_string(obj.get("name")) {
        problems.push("`name` must be a non-empty string".into());
    }
    for key in ["request", "expect"] {
        if !obj.contains_key(key) {
            problems.push(format!("`{key}` is missing"));
        }
    }
    match obj.get("rules").and_then(Value::as_array) {
        None => problems.push("`rules` must be an array of rule ids".into()),
        Some(rules) if rules.is_empty() => {
            if !non_empty_string(obj.get("reason")) {
                problems.push("`rules: []` needs a non-empty `reason`".into());
            }
        }
        Some(rules) => {
            for r in rules {
                if !r.as_str().is_some_and(is_rule_id) {
                    problems.push(format!("`{r}` is not a rule id like `R000-03`"));
                }
            }
        }
    }
    problems
}

#[test]
fn conformance_vectors() {
    let mut report = String::new();
    let mut cases = 0usize;
    let mut failures = 0usize;
    let mut names = std::collections::BTreeSet::new();
    for file in vector_files() {
        let short = file.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&file).unwrap();
        let doc: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{short}: not JSON: {e}"));
        assert!(
            doc.get("description")
                .and_then(Value::as_str)
                .is_some_and(|d| !d.is_empty()),
            "{short}: a vector file needs a `description`"
        );
        let list = doc
            .get("cases")
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("{short}: `cases` must be an array"));
        for (i, case) in list.iter().enumerate() {
            cases += 1;
            let name = case
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("(unnamed)")
                .to_owned();
            let mut problems = case_shape_problems(case);
            if !names.insert(name.clone()) {
                problems.push("the case name is not unique across the vectors".into());
            }
            let mut mismatches = Vec::new();
            if let (Some(request), Some(expect)) = (case.get("request"), case.get("expect")) {
                let actual = match warden_core::api::evaluate(request) {
                    Ok(v) => v,
                    Err(e) => e.envelope(),
                };
                matches(expect, &actual, "$", &mut mismatches);
            }
            if problems.is_empty() && mismatches.is_empty() {
                continue;
            }
            failures += 1;
            writeln!(report, "\n[{short} #{i}] {name}").unwrap();
            for p in problems {
                writeln!(report, "  case: {p}").unwrap();
            }
            for m in mismatches {
                writeln!(
                    report,
                    "  at {}\n    expected: {}\n    actual:   {}",
                    m.path, m.expected, m.actual
                )
                .unwrap();
            }
        }
    }
    assert!(
        cases >= MIN_CASES,
        "only {cases} conformance cases; at least {MIN_CASES} expected"
    );
    assert!(
        failures == 0,
        "{failures} of {cases} conformance cases failed:{report}"
    );
}

// ---------------------------------------------------------------- the matcher itself

fn check(expected: Value, actual: Value) -> Vec<Mismatch> {
    let mut out = Vec::new();
    matches(&expected, &actual, "$", &mut out);
    out
}

#[test]
fn matcher_accepts_extra_object_keys() {
    let m = check(
        serde_json::json!({"valid": true, "violations": []}),
        serde_json::json!({"valid": true, "complete": false, "violations": [], "policy": "sha256:00"}),
    );
    assert_eq!(m, vec![]);
}

#[test]
fn matcher_fails_on_an_extra_array_element() {
    let m = check(
        serde_json::json!({"violations": [{"code": "required"}]}),
        serde_json::json!({"violations": [{"code": "required"}, {"code": "too_long"}]}),
    );
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].path, "$.violations");
    assert!(m[0].expected.starts_with("an array of 1 elements"), "{m:?}");
    assert!(m[0].actual.starts_with("an array of 2 elements"), "{m:?}");
}

#[test]
fn matcher_fails_on_a_missing_array_element() {
    let m = check(serde_json::json!([1, 2]), serde_json::json!([1]));
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].path, "$");
}

#[test]
fn matcher_fails_on_a_wrong_scalar_and_names_its_path() {
    let m = check(
        serde_json::json!({"violations": [{"code": "required", "path": ["email"]}]}),
        serde_json::json!({"violations": [{"code": "required", "path": ["phone"]}]}),
    );
    assert_eq!(
        m,
        vec![Mismatch {
            path: "$.violations[0].path[0]".into(),
            expected: "\"email\"".into(),
            actual: "\"phone\"".into(),
        }]
    );
}

#[test]
fn matcher_fails_on_a_missing_key() {
    let m = check(
        serde_json::json!({"error": {"code": "invalid_input", "path": "input"}}),
        serde_json::json!({"error": {"code": "invalid_input"}}),
    );
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].path, "$.error.path");
    assert_eq!(m[0].actual, "(missing key)");
}

#[test]
fn matcher_is_strict_on_types_and_null() {
    // A string is not a number, null is not a missing key, an object is not an array.
    assert_eq!(
        check(
            serde_json::json!({"max": 64}),
            serde_json::json!({"max": "64"})
        )
        .len(),
        1
    );
    assert_eq!(
        check(serde_json::json!({"manager": null}), serde_json::json!({})).len(),
        1
    );
    assert_eq!(
        check(
            serde_json::json!({"manager": null}),
            serde_json::json!({"manager": "u-1"})
        )
        .len(),
        1
    );
    assert_eq!(check(serde_json::json!([]), serde_json::json!({})).len(), 1);
    assert_eq!(check(serde_json::json!({}), serde_json::json!([])).len(), 1);
    // An empty object pattern matches any object; an empty array only an empty array.
    assert_eq!(
        check(serde_json::json!({}), serde_json::json!({"a": 1})),
        vec![]
    );
    assert_eq!(
        check(serde_json::json!([]), serde_json::json!([0])).len(),
        1
    );
}

#[test]
fn matcher_compares_numbers_by_value() {
    assert_eq!(check(serde_json::json!(1), serde_json::json!(1.0)), vec![]);
    assert_eq!(check(serde_json::json!(1), serde_json::json!(2)).len(), 1);
}

#[test]
fn matcher_reports_every_mismatch_not_the_first() {
    let m = check(
        serde_json::json!({"a": 1, "b": [true], "c": "x"}),
        serde_json::json!({"a": 2, "b": [false]}),
    );
    let paths: Vec<&str> = m.iter().map(|m| m.path.as_str()).collect();
    assert_eq!(paths, ["$.a", "$.b[0]", "$.c"]);
}

#[test]
fn case_shape_needs_rule_ids_or_a_reason() {
    let ok = serde_json::json!({"name": "x", "rules": ["R000-03"], "request": {}, "expect": {}});
    assert_eq!(case_shape_problems(&ok), Vec::<String>::new());
    let reasoned = serde_json::json!({"name": "x", "rules": [], "reason": "request shape", "request": {}, "expect": {}});
    assert_eq!(case_shape_problems(&reasoned), Vec::<String>::new());
    let bare = serde_json::json!({"name": "x", "rules": [], "request": {}, "expect": {}});
    assert_eq!(case_shape_problems(&bare).len(), 1);
    let bad_id = serde_json::json!({"name": "x", "rules": ["R0-3"], "request": {}, "expect": {}});
    assert_eq!(case_shape_problems(&bad_id).len(), 1);
    let no_rules = serde_json::json!({"name": "x", "request": {}, "expect": {}});
    assert_eq!(case_shape_problems(&no_rules).len(), 1);
}
