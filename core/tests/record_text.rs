//! Validating a record from its JSON text (`validate_user_json`, `validate_verdict_json`)
//! gives exactly the decision of the same text parsed into a `Map` first (`validate_user`,
//! `validate_verdict`), for every record of the conformance vectors' `validate` cases and
//! for records generated from them: fields dropped, changed to values of every JSON type
//! (strings with escapes, numbers, nesting), unknown keys, duplicate keys (refused, naming
//! the key), key order. Text that is not one JSON object is a typed error that never quotes
//! the text. A record of
//! schema fields and scalar values given by schema position (`validate_user_values_with`)
//! is decided alike too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::Path;
use std::sync::LazyLock;

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use warden_core::policy::{Mode, presets};
use warden_core::validate::{
    StoredValue, ValidationContext, ValidationFacts, ValidationVerdict, validate_user,
    validate_user_json, validate_user_values_with, validate_verdict, validate_verdict_json,
};
use warden_core::{Date, Lang, Policy};

/// A policy, a record, and the context of one `validate` case.
struct Case {
    policy: Policy,
    user: Map<String, Value>,
    mode: Mode,
    today: Date,
    facts: ValidationFacts,
}

fn vector_cases() -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let v: Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
        for case in v["cases"].as_array().unwrap() {
            let r = &case["request"];
            if r["op"] != "validate" {
                continue;
            }
            let policy = match (&r["preset"], &r["policy"]) {
                (Value::String(p), _) => presets::load(p),
                (_, doc @ Value::Object(_)) => Policy::from_json(&doc.to_string()),
                _ => continue,
            };
            let (Ok(policy), Some(user)) = (policy, r["input"]["user"].as_object()) else {
                continue;
            };
            let input = &r["input"];
            // A case about a malformed `today` or `facts` is about the request, not the record.
            let (Ok(today), Ok(facts)) = (
                Date::parse(input["today"].as_str().unwrap_or("2026-11-22")),
                serde_json::from_value(input.get("facts").cloned().unwrap_or(json!({}))),
            ) else {
                continue;
            };
            out.push(Case {
                policy,
                user: user.clone(),
                mode: serde_json::from_value(input["mode"].clone()).unwrap_or(Mode::Create),
                today,
                facts,
            });
        }
    }
    // The §1 benchmark's policy, under each `unknownFields` setting.
    let compare = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../benches/compare/compare-policy.json"),
    )
    .unwrap();
    for unknown in ["ignore", "warn", "reject"] {
        let mut doc: Value = serde_json::from_str(&compare).unwrap();
        doc["unknownFields"] = json!(unknown);
        out.push(Case {
            policy: Policy::from_json(&doc.to_string()).unwrap(),
            user: json!({"firstName": "Ada", "lastName": "Lovelace", "email": "ada@acme.example",
                "employeeId": "EMP-00001", "organization": "acme", "emial": "x"})
            .as_object()
            .unwrap()
            .clone(),
            mode: Mode::Create,
            today: Date::parse("2026-11-22").unwrap(),
            facts: ValidationFacts::default(),
        });
    }
    assert!(out.len() >= 40, "{} validate cases", out.len());
    out
}

static CASES: LazyLock<Vec<Case>> = LazyLock::new(vector_cases);

impl Case {
    /// The case's context, in `mode` and `lang`.
    fn ctx(&self, mode: Mode, lang: Lang) -> ValidationContext<'_> {
        ValidationContext {
            mode,
            today: self.today,
            lang,
            facts: &self.facts,
            mfa: false,
        }
    }
}

/// Asserts both paths agree on `text` for `case` (both refuse it, or both decide alike).
fn same(case: &Case, text: &[u8]) {
    for mode in [case.mode, Mode::Update] {
        let ctx = case.ctx(mode, Lang::Fr);
        // A key named twice is refused by the text path, as every JSON text the kernel reads.
        if let Some(d) = warden_core::json::duplicate_key(text) {
            let e = validate_user_json(&case.policy, text, &ctx).unwrap_err();
            assert_eq!(e.reason, format!("duplicate key `{}`", d.key));
            assert_eq!((e.line, e.column), (d.line, d.column));
            assert!(validate_verdict_json(&case.policy, text, &ctx).is_err());
            continue;
        }
        match serde_json::from_slice::<Map<String, Value>>(text) {
            Ok(map) => {
                let by_map = validate_user(&case.policy, &map, &ctx);
                let by_text = validate_user_json(&case.policy, text, &ctx).unwrap();
                assert_eq!(by_text, by_map, "{}", String::from_utf8_lossy(text));
                let verdict = validate_verdict_json(&case.policy, text, &ctx).unwrap();
                assert_eq!(verdict, validate_verdict(&case.policy, &map, &ctx));
                if let Some(by_values) = by_values(&case.policy, &map, &ctx) {
                    assert_eq!(by_values.0, verdict, "{}", String::from_utf8_lossy(text));
                    assert_eq!(by_values.1, by_map.normalized);
                }
            }
            Err(_) => {
                assert!(validate_user_json(&case.policy, text, &ctx).is_err());
                assert!(validate_verdict_json(&case.policy, text, &ctx).is_err());
            }
        }
    }
}

/// The verdict and stored record of `map` given by schema position
/// (`validate_user_values_with`), when it can be: every key a field of the schema, every
/// value null, a boolean or a string.
fn by_values(
    policy: &Policy,
    map: &Map<String, Value>,
    ctx: &ValidationContext<'_>,
) -> Option<(ValidationVerdict, Map<String, Value>)> {
    let names: Vec<&str> = policy.document().fields.iter().map(|(n, _)| n).collect();
    let mut values = vec![None; names.len()];
    for (key, value) in map {
        let i = names.iter().position(|n| *n == key)?;
        values[i] = Some(match value {
            Value::Null => StoredValue::Null,
            Value::Bool(b) => StoredValue::Bool(*b),
            Value::String(s) => StoredValue::Text(s),
            _ => return None,
        });
    }
    Some(validate_user_values_with(
        policy,
        |i| values[i],
        ctx,
        |verdict, stored| (verdict, stored.to_map()),
    ))
}

/// An object's text from its entries, in order, duplicates kept.
fn object_text(entries: &[(String, Value)]) -> Vec<u8> {
    let body: Vec<String> = entries
        .iter()
        .map(|(k, v)| format!("{}:{}", Value::from(k.as_str()), v))
        .collect();
    format!("{{{}}}", body.join(",")).into_bytes()
}

#[test]
fn every_vector_record_is_decided_alike_from_text() {
    let mut by_position = 0;
    for case in CASES.iter() {
        let text = serde_json::to_vec(&case.user).unwrap();
        same(case, &text);
        let ctx = case.ctx(case.mode, Lang::En);
        by_position += usize::from(by_values(&case.policy, &case.user, &ctx).is_some());
    }
    // Most vector records are schema fields with scalar values: the values path is held.
    assert!(by_position >= 40, "{by_position} records given by position");
}

#[test]
fn text_that_is_not_one_object_is_a_typed_error_that_never_quotes_it() {
    let case = &CASES[0];
    let ctx = case.ctx(Mode::Create, Lang::En);
    for (text, reason) in [
        (&br#""hunter2-secret""#[..], "expected a JSON object"),
        (br#"["hunter2-secret"]"#, "expected a JSON object"),
        (
            br#"{"password": "hunter2-secret""#,
            "EOF while parsing an object",
        ),
        (
            br#"{"password": "hunter2-secret"} x"#,
            "trailing characters",
        ),
        (b"", "EOF while parsing a value"),
        (b"{\"password\": \"hunter2\xff\"}", "the text is not UTF-8"),
    ] {
        let e = validate_verdict_json(&case.policy, text, &ctx).unwrap_err();
        assert_eq!(e.reason, reason, "{}", String::from_utf8_lossy(text));
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert!(e.line >= 1);
    }
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "[a-zA-Z0-9 .@+-]{0,24}".prop_map(Value::from),
        // Escapes, control and non-ASCII characters, white space only.
        "[\"\\\\\n\t\u{7}é☃ \u{200B}a@.]{0,12}".prop_map(Value::from),
        Just(json!("  ")),
        Just(json!("ada.lovelace@acme.example")),
        Just(json!("+33 6 12 34 56 78")),
        Just(json!("1990-05-15")),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::vec(("[a-z]{1,4}", inner), 0..3)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// One change to a record's entries.
#[derive(Debug, Clone)]
enum Edit {
    Drop(usize),
    Set(usize, Value),
    Unknown(String, Value),
    Duplicate(usize, Value),
    Reverse,
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<usize>().prop_map(Edit::Drop),
        (any::<usize>(), value()).prop_map(|(i, v)| Edit::Set(i, v)),
        ("[a-zA-Z\"\\\\é]{1,8}", value()).prop_map(|(k, v)| Edit::Unknown(k, v)),
        (any::<usize>(), value()).prop_map(|(i, v)| Edit::Duplicate(i, v)),
        Just(Edit::Reverse),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(768))]

    #[test]
    fn generated_records_are_decided_alike_from_text(
        pick in any::<usize>(),
        edits in prop::collection::vec(edit(), 0..6),
    ) {
        let case = &CASES[pick % CASES.len()];
        let mut entries: Vec<(String, Value)> =
            case.user.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        for e in edits {
            let n = entries.len().max(1);
            match e {
                Edit::Drop(i) if !entries.is_empty() => {
                    entries.remove(i % n);
                }
                Edit::Set(i, v) if !entries.is_empty() => entries[i % n].1 = v,
                Edit::Duplicate(i, v) if !entries.is_empty() => {
                    let k = entries[i % n].0.clone();
                    entries.push((k, v));
                }
                Edit::Unknown(k, v) => entries.push((k, v)),
                Edit::Reverse => entries.reverse(),
                _ => {}
            }
        }
        same(case, &object_text(&entries));
    }
}

/// A CSV cell: empty, a word, a boolean word, a value a field accepts, or one with quotes,
/// commas and white space.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("yes".to_owned()),
        Just(" No ".to_owned()),
        Just("ada.lovelace@acme.example".to_owned()),
        Just("\"Love, lace\"".to_owned()),
        Just("  ".to_owned()),
        "[a-zA-Z0-9 @.+-]{1,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A CSV import reads rows straight into the policy's fields unless it returns the
    /// records (then through a map): both give the same report.
    #[test]
    fn csv_rows_are_decided_alike_without_a_map(
        pick in any::<usize>(),
        columns in prop::collection::vec((any::<usize>(), "[a-zA-Z]{1,8}"), 1..8),
        rows in prop::collection::vec(prop::collection::vec(cell(), 0..9), 0..12),
    ) {
        use warden_core::import::{ImportFormat, ImportOptions, validate_import};
        let case = &CASES[pick % CASES.len()];
        let names: Vec<String> = case.user.keys().cloned().collect();
        // Schema fields (as the vector's record names them), unknown names, a field twice.
        let header: Vec<String> = columns
            .iter()
            .map(|(i, other)| match names.get(i % (names.len() + 2)) {
                Some(n) => n.clone(),
                None => other.clone(),
            })
            .collect();
        let mut text = header.join(",");
        for r in &rows {
            text.push('\n');
            text.push_str(&r.join(","));
        }
        let ctx = case.ctx(case.mode, Lang::En);
        let run = |records| {
            validate_import(
                &case.policy,
                text.as_bytes(),
                ImportOptions { format: ImportFormat::Csv, records },
                &ctx,
            )
        };
        match (run(false), run(true)) {
            (Ok(direct), Ok(mut by_map)) => {
                prop_assert!(by_map.records.is_some());
                // One line per row, each the line of the row's report when it has one.
                let lines = by_map.lines.take().unwrap_or_default();
                prop_assert_eq!(lines.len(), by_map.status.len());
                for row in &by_map.rows {
                    prop_assert_eq!(lines.get(row.index), Some(&row.line));
                }
                by_map.records = None;
                prop_assert_eq!(direct, by_map);
            }
            (direct, by_map) => prop_assert_eq!(direct.err(), by_map.err()),
        }
    }
}
