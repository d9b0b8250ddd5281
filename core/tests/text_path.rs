//! The text-to-text path (`api::evaluate_json`, `api::evaluate_json_with`) answers exactly the
//! bytes of the Value path (`api::evaluate` / `api::evaluate_with`, then `serde_json`), for
//! every request of the conformance vectors, and for requests generated from them: fields
//! dropped, changed, duplicated, added, numbers and strings of every kind, nesting, text
//! that is not JSON.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::Path;

use proptest::prelude::*;
use serde_json::{Value, json};
use warden_core::api;

fn requests() -> Vec<Value> {
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
            out.push(case["request"].clone());
        }
    }
    assert!(out.len() >= 140, "{} requests", out.len());
    out
}

/// The reference: the Value path, as the core answered before the text path.
fn by_value(request: &[u8]) -> Result<Vec<u8>, Vec<u8>> {
    let value = match api::parse_json(request, "") {
        Ok(v) => v,
        Err(e) => return Err(serde_json::to_vec(&e.envelope()).unwrap()),
    };
    match api::evaluate(&value) {
        Ok(d) => Ok(serde_json::to_vec(&d).unwrap()),
        Err(e) => Err(serde_json::to_vec(&e.envelope()).unwrap()),
    }
}

fn by_text(request: &[u8]) -> Result<Vec<u8>, Vec<u8>> {
    api::evaluate_json(request).map_err(|e| serde_json::to_vec(&e.envelope()).unwrap())
}

/// The same, with the policy compiled once (the module's handles, the wasm package's
/// `Warden`): `evaluate_json_with` against `evaluate_with`.
/// A decision's bytes, or the error envelope's.
type Answer = Result<Vec<u8>, Vec<u8>>;

fn with_policy(request: &[u8]) -> Option<(Answer, Answer)> {
    let req = api::parse_request(request)?;
    let policy = api::load_policy(req.preset.as_deref(), req.policy.as_ref()).ok()?;
    let text = api::evaluate_json_with(&policy, req.op, req.lang, req.input.get())
        .map_err(|e| serde_json::to_vec(&e.envelope()).unwrap());
    if api::FORM_OPS.contains(&req.op) {
        // The forms build's entry point answers the same bytes for its operations.
        let form = api::evaluate_form_json(&policy, req.op, req.lang, req.input.get())
            .map_err(|e| serde_json::to_vec(&e.envelope()).unwrap());
        assert!(
            form == text,
            "forms path: {}\n{}\n{}",
            String::from_utf8_lossy(request),
            show(&form),
            show(&text)
        );
    }
    if req.op == api::Op::Validate
        && let Some(d) = api::validate_json_decision(&policy, req.lang, req.input.get())
    {
        // The typed decision (what the wasm package builds its object from) is the one the
        // text answers.
        let typed = api::to_response_json(&d).unwrap();
        assert!(
            text.as_ref() == Ok(&typed),
            "typed decision: {}\n{}\n{}",
            String::from_utf8_lossy(request),
            String::from_utf8_lossy(&typed),
            show(&text)
        );
        // The decision handed over in parts (what the wasm package builds its object from)
        // is the same decision: its stored record is the map, each key once.
        let parts = api::validate_json_with(&policy, req.lang, req.input.get(), |v, s| {
            (
                v,
                s.to_map(),
                s.iter().map(|(k, _)| k.to_owned()).collect::<Vec<_>>(),
            )
        });
        let (verdict, normalized, order) = parts.expect("the same inputs as the typed decision");
        assert_eq!(
            (verdict.valid, verdict.complete),
            (d.valid, d.complete),
            "{}",
            String::from_utf8_lossy(request)
        );
        assert_eq!(verdict.violations, d.violations);
        assert_eq!(verdict.checks, d.checks);
        assert_eq!(verdict.password, d.password);
        assert_eq!(normalized, d.normalized);
        assert_eq!(order.len(), d.normalized.len());
    } else if req.op == api::Op::Validate {
        assert!(
            api::validate_json_with(&policy, req.lang, req.input.get(), |_, _| ()).is_none(),
            "parts without a typed decision: {}",
            String::from_utf8_lossy(request)
        );
    }
    let input: Value = serde_json::from_str(req.input.get()).unwrap();
    let value = api::evaluate_with(&policy, req.op, req.lang, input)
        .map(|d| serde_json::to_vec(&d).unwrap())
        .map_err(|e| serde_json::to_vec(&e.envelope()).unwrap());
    Some((text, value))
}

fn same(request: &[u8]) {
    let a = by_text(request);
    let b = by_value(request);
    assert!(
        a == b,
        "request {}\ntext:  {}\nvalue: {}",
        String::from_utf8_lossy(request),
        show(&a),
        show(&b)
    );
    if let Some((t, v)) = with_policy(request) {
        assert!(
            t == v,
            "with a policy: {}\n{}\n{}",
            String::from_utf8_lossy(request),
            show(&t),
            show(&v)
        );
    }
}

fn show(r: &Result<Vec<u8>, Vec<u8>>) -> String {
    match r {
        Ok(b) => format!("ok {}", String::from_utf8_lossy(b)),
        Err(b) => format!("err {}", String::from_utf8_lossy(b)),
    }
}

#[test]
fn every_vector_gives_the_same_bytes() {
    let mut fast = 0;
    for r in requests() {
        let bytes = serde_json::to_vec(&r).unwrap();
        same(&bytes);
        // Pretty-printed and with keys in another order, too.
        same(serde_json::to_string_pretty(&r).unwrap().as_bytes());
        if api::parse_request(&bytes).is_some() {
            fast += 1;
        }
    }
    // Most vectors take the text path (the others are error cases the Value path words).
    assert!(fast >= 120, "{fast} requests took the text path");
}

#[test]
fn text_that_is_not_what_the_value_parser_reads() {
    let base = r#"{"preset":"crm","op":"validate","input":{"user":{"firstName":"Ada"},"today":"2026-11-22"}}"#;
    same(base.as_bytes());
    for bad in [
        "",
        "{",
        "null",
        "[]",
        r#"{"preset":"crm","op":"validate","input":{"user":{"firstName":"Ada"},"today":"2026-11-22"}} x"#,
        r#"{"preset":"crm","preset":"crm","op":"validate","input":{"user":{},"today":"2026-11-22"}}"#,
        r#"{"preset":"crm","op":"validate","input":{"user":{"a":1,"a":2},"today":"2026-11-22"}}"#,
        r#"{"preset":"crm","op":"validate","input":{"user":{},"today":"2026-11-22","today":"2026-11-23"}}"#,
        r#"{"preset":"crm","op":"validate","input":{"user":{"a":1e999},"today":"2026-11-22"}}"#,
        r#"{"preset":"crm","op":"validate","input":{"user":{"a":"\ud800"},"today":"2026-11-22"}}"#,
        r#"{"preset":"crm","op":"validate","input":{"user":{"a":"\x"},"today":"2026-11-22"}}"#,
        r#"{"preset":"crm","op":"validate","input":{"user":{"a":18446744073709551616},"today":"2026-11-22"}}"#,
        r#"{"preset":"crm","op":"validate","input":{"user":{"a":-0.0,"b":1.5e300,"c":-9223372036854775809},"today":"2026-11-22"}}"#,
        r#"{"preset":"crm","op":"validate","input":{"user":{"firstName":"Ada"},"today":"2026-13-22"}}"#,
        r#"{"preset":"crm","op":"validate","input":{"user":{"firstName":"Ada"},"today":"2026-11-22","mfaa":true}}"#,
        r#"{"preset":"crm","op":"validate","input":{"user":{"firstName":"Ada"},"today":"2026-11-22","mode":"update"}}"#,
        r#"{"preset":"crm","op":"validate","input":["x"]}"#,
        r#"{"preset":"crm","op":"validat","input":{}}"#,
        r#"{"contract":2,"preset":"crm","op":"validate","input":{}}"#,
        r#"{"preset":"nope","op":"validate","input":{}}"#,
    ] {
        same(bad.as_bytes());
    }
    same(b"{\"preset\":\"crm\",\"op\":\"validate\",\"input\":{\"user\":{\"a\":\"\xff\"},\"today\":\"2026-11-22\"}}");
    // Nesting around serde_json's recursion limit of 128, in the input and in the policy.
    for depth in [120, 125, 126, 127, 128, 129, 130] {
        let deep = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        same(
            format!(r#"{{"preset":"crm","op":"validate","input":{{"user":{{"a":{deep}}},"today":"2026-11-22"}}}}"#)
                .as_bytes(),
        );
        same(format!(r#"{{"preset":"crm","op":"password","input":{{"password":"x","user":{{"a":{deep}}}}}}}"#).as_bytes());
    }
}

/// An input given as text alone (the wasm package's `JSON.stringify`): the reference parses it
/// into a Value (an error at `input` when it cannot), then `evaluate_with`.
#[test]
fn input_text_alone_gives_the_same_bytes() {
    let policy = api::load_policy(Some("crm"), None).unwrap();
    let lang = warden_core::Lang::default();
    let mut inputs = vec![
        r#"{"user":{"firstName":"Ada"},"today":"2026-11-22"}"#.to_owned(),
        r#"{"user":{"firstName":"Ada","firstName":"Bo"},"today":"2026-11-22"}"#.to_owned(),
        r#"{"user":{"a":1e999},"today":"2026-11-22"}"#.to_owned(),
        r#"{"user":{},"today":"2026-11-22"} ,"#.to_owned(),
        "nul".to_owned(),
    ];
    for depth in [125, 126, 127, 128, 129] {
        let deep = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        inputs.push(format!(r#"{{"user":{{"a":{deep}}},"today":"2026-11-22"}}"#));
    }
    for input in inputs {
        let text = api::evaluate_json_with(&policy, api::Op::Validate, lang, &input)
            .map_err(|e| serde_json::to_vec(&e.envelope()).unwrap());
        let value = api::parse_json(input.as_bytes(), "input")
            .and_then(|v| api::evaluate_with(&policy, api::Op::Validate, lang, v))
            .map(|d| serde_json::to_vec(&d).unwrap())
            .map_err(|e| serde_json::to_vec(&e.envelope()).unwrap());
        assert!(text == value, "{input}\n{}\n{}", show(&text), show(&value));
    }
}

/// A key named twice anywhere in a request (the envelope, the record, a nested value, an
/// unknown key, a policy) is refused at its object, on every path, never read as its first
/// or its last value.
#[test]
fn a_key_named_twice_is_refused_at_its_object() {
    let policy = api::load_policy(Some("crm"), None).unwrap();
    let lang = warden_core::Lang::default();
    let user = r#""firstName":"Ada","lastName":"Lovelace","email":"ada@acme.example""#;
    for (request, path, key) in [
        (
            format!(
                r#"{{"preset":"crm","op":"validate","op":"password","input":{{"user":{{{user}}},"today":"2026-11-22"}}}}"#
            ),
            "",
            "op",
        ),
        (
            format!(
                r#"{{"preset":"crm","op":"validate","input":{{"user":{{{user},"email":"eve@evil.example"}},"today":"2026-11-22"}}}}"#
            ),
            "input.user",
            "email",
        ),
        (
            format!(
                r#"{{"preset":"crm","op":"validate","input":{{"user":{{{user},"x":1,"x":2}},"today":"2026-11-22"}}}}"#
            ),
            "input.user",
            "x",
        ),
        (
            format!(
                r#"{{"preset":"crm","op":"validate","input":{{"user":{{{user},"x":[{{"y":1,"y":1}}]}},"today":"2026-11-22"}}}}"#
            ),
            "input.user.x[0]",
            "y",
        ),
        (
            format!(
                r#"{{"preset":"crm","op":"validate","input":{{"user":{{{user}}},"today":"2026-11-22","today":"2026-11-23"}}}}"#
            ),
            "input",
            "today",
        ),
    ] {
        for answer in [by_text(request.as_bytes()), by_value(request.as_bytes())] {
            let e: Value = serde_json::from_slice(&answer.unwrap_err()).unwrap();
            assert_eq!(e["error"]["code"], "invalid_input", "{request}: {e}");
            assert_eq!(e["error"]["path"], path, "{request}: {e}");
            let message = e["error"]["message"].as_str().unwrap();
            assert!(
                message.contains(&format!(": duplicate key `{key}` at line 1 column ")),
                "{request}: {message}"
            );
        }
        // The input alone, against a compiled policy: the same refusal under `input`.
        // (`input` is the request's last key.)
        let start = request.find(r#""input":"#).unwrap() + r#""input":"#.len();
        let input = &request[start..request.len() - 1];
        let e = api::evaluate_json_with(&policy, api::Op::Validate, lang, input);
        if path.starts_with("input") {
            let e: Value = serde_json::to_value(e.unwrap_err().envelope()).unwrap();
            assert_eq!(e["error"]["path"], path, "{input}: {e}");
        }
    }
}

/// A generated change to a request.
#[derive(Debug, Clone)]
enum Change {
    Drop(usize),
    Set(usize, Value),
    Add(String, Value),
    Lang(String),
}

fn any_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        "[a-zA-Z0-9 @._\u{e9}\u{1f600}-]{0,12}".prop_map(Value::from),
        prop_oneof![
            Just("2026-11-22"),
            Just("ada@acme.example"),
            Just("admin"),
            Just("active"),
            Just("Tr0ub4dor&3x!")
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-zA-Z]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        any::<usize>().prop_map(Change::Drop),
        (any::<usize>(), any_value()).prop_map(|(i, v)| Change::Set(i, v)),
        ("[a-zA-Z]{1,8}", any_value()).prop_map(|(k, v)| Change::Add(k, v)),
        prop_oneof![Just("fr"), Just("de"), Just("xx"), Just("en")]
            .prop_map(|l| Change::Lang(l.to_owned())),
    ]
}

/// A step from a value to one inside it.
#[derive(Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// The paths of every object in `v`, depth first: the places a change applies to.
fn objects(v: &Value, here: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match v {
        Value::Object(m) => {
            out.push(here.clone());
            for (k, x) in m {
                here.push(Step::Key(k.clone()));
                objects(x, here, out);
                here.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                here.push(Step::Index(i));
                objects(x, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn at<'a>(mut v: &'a mut Value, path: &[Step]) -> &'a mut Value {
    for s in path {
        v = match s {
            Step::Key(k) => &mut v[k.as_str()],
            Step::Index(i) => &mut v[*i],
        };
    }
    v
}

fn apply(request: &mut Value, changes: &[(usize, Change)]) {
    for (pos, c) in changes {
        if let Change::Lang(l) = c {
            request["lang"] = Value::from(l.as_str());
            continue;
        }
        // The input's objects (the request's own keys are exercised by the vectors).
        let Some(input) = request.get_mut("input") else {
            return;
        };
        let mut found = Vec::new();
        objects(input, &mut Vec::new(), &mut found);
        if found.is_empty() {
            return;
        }
        let Value::Object(m) = at(input, &found[pos % found.len()]) else {
            return;
        };
        match c {
            Change::Drop(i) => {
                if !m.is_empty() {
                    let k = m.keys().nth(i % m.len()).unwrap().clone();
                    m.remove(&k);
                }
            }
            Change::Set(i, v) => {
                if !m.is_empty() {
                    let k = m.keys().nth(i % m.len()).unwrap().clone();
                    m.insert(k, v.clone());
                }
            }
            Change::Add(k, v) => {
                m.insert(k.clone(), v.clone());
            }
            Change::Lang(_) => {}
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn generated_requests_give_the_same_bytes(
        pick in any::<usize>(),
        changes in prop::collection::vec((any::<usize>(), change()), 0..4),
        pretty in any::<bool>(),
    ) {
        let all = requests_cached();
        let mut request = all[pick % all.len()].clone();
        apply(&mut request, &changes);
        let bytes = if pretty {
            serde_json::to_vec_pretty(&request).unwrap()
        } else {
            serde_json::to_vec(&request).unwrap()
        };
        same(&bytes);
    }
}

fn requests_cached() -> &'static [Value] {
    static ALL: std::sync::OnceLock<Vec<Value>> = std::sync::OnceLock::new();
    ALL.get_or_init(requests)
}

/// `to_sorted_json` writes the bytes of `to_vec(to_value(..))` for import reports (what the
/// wasm package's `validateImport` returns): valid, invalid and unreadable rows, warnings,
/// in-file duplicates, unique-check lookups, with and without `records`, CSV and JSON Lines.
#[test]
fn sorted_json_of_import_reports_is_the_value_paths() {
    use warden_core::Policy;
    let policy = Policy::preset("production-planner-pro").unwrap();
    let csv = "firstName,lastName,email,phone,organization,bogus\n\
               Ada,Lovelace,ada@acme.example,+33612345678,acme,x\n\
               ,Lovelace,nope,0612,acme,\n\
               Bob,\"Quoted, \"\"name\"\"\",ADA@acme.example,,acme,\n\
               \"unterminated,x\n";
    let jsonl = "{\"firstName\":\"Ada\",\"lastName\":\"L\",\"email\":\"a@b.example\",\"organization\":\"o\"}\n\
                 not json\n\
                 {\"firstName\":\"\\u00e9\\n\",\"email\":\"a@b.example\",\"n\":[1,2.5,{\"x\":null}]}\n";
    import_reports_written_alike(&policy, [csv, jsonl], "fr", |report, _| {
        assert!(report.summary.invalid > 0, "{:?}", report.rows);
    });
}

/// The rows of the Node benches (`bench/js/common.mjs`, `records`): every other row
/// broken in one of eight ways, a third without a phone.
fn bench_rows(n: usize) -> Vec<Vec<(&'static str, String)>> {
    (0..n)
        .map(|i| {
            let mut r = vec![
                ("firstName", format!("Ada{}", i % 97)),
                ("lastName", format!("Lovelace-{i}")),
                ("email", format!("ada.lovelace{i}@acme{}.example", i % 13)),
                ("phone", format!("+3361234{:04}", i % 10000)),
                ("employeeId", format!("EMP-{:05}", i % 100000)),
                ("organization", format!("org-{}", i % 50)),
            ];
            let mut set = |k: &'static str, v: Option<String>| {
                r.retain(|e| e.0 != k);
                if let Some(v) = v {
                    r.push((k, v));
                }
            };
            if i % 3 == 0 {
                set("phone", None);
            }
            if i % 2 == 0 {
                match (i / 100 + i) % 8 {
                    0 => set("email", Some(format!("user{i}.example.com"))),
                    1 => set("email", Some(format!("user{i}@@acme.example"))),
                    2 => set("employeeId", Some("E\"\\\u{1}".into())),
                    3 => set("phone", Some(format!("0612{i:06}"))),
                    4 => set("employeeId", Some(format!("E-{i}"))),
                    5 => set("lastName", None),
                    6 => set("firstName", Some("A".repeat(101))),
                    _ => set("lastName", Some(format!("Love\u{7}lace{i}"))),
                }
            }
            r
        })
        .collect()
}

/// As [`sorted_json_of_import_reports_is_the_value_paths`], over generated files: the Node
/// benches' rule set and rows (half of them broken, with quotes, backslashes and control
/// characters in values and messages), as CSV and as JSON Lines, in two languages.
#[test]
fn sorted_json_of_generated_import_reports_is_the_value_paths() {
    use warden_core::Policy;
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../benches/compare/compare-policy.json"
    ))
    .unwrap();
    let policy = Policy::from_json(&text).unwrap();
    let rows = bench_rows(400);
    const COLUMNS: [&str; 6] = [
        "firstName",
        "lastName",
        "email",
        "phone",
        "employeeId",
        "organization",
    ];
    let quote = |v: &str| format!("\"{}\"", v.replace('"', "\"\""));
    let mut csv = COLUMNS.join(",") + "\n";
    let mut jsonl = String::new();
    for r in &rows {
        let cells: Vec<String> = COLUMNS
            .iter()
            .map(|c| {
                r.iter()
                    .find(|e| e.0 == *c)
                    .map_or(String::new(), |e| quote(&e.1))
            })
            .collect();
        csv += &(cells.join(",") + "\n");
        let object: serde_json::Map<String, Value> = r
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::from(v.as_str())))
            .collect();
        jsonl += &(serde_json::to_string(&object).unwrap() + "\n");
    }
    import_reports_written_alike(&policy, [&csv, &jsonl], "de", |report, format| {
        assert_eq!(report.summary.invalid, 200, "{format:?}");
    });
}

/// Imports `csv` and `jsonl` under `policy`, in English and in `lang`, with and without
/// `records`; hands each report to `check`, and asserts that `to_sorted_json` and
/// `import_report_json` both write the bytes of `to_vec(to_value(..))`, and that
/// `validate_import_json` writes the same while it reads the rows.
fn import_reports_written_alike(
    policy: &warden_core::Policy,
    [csv, jsonl]: [&str; 2],
    lang: &str,
    check: impl Fn(&warden_core::import::ImportReport, warden_core::import::ImportFormat),
) {
    use warden_core::Lang;
    use warden_core::import::{ImportFormat, ImportOptions, validate_import};
    use warden_core::policy::Mode;
    use warden_core::validate::{ValidationContext, ValidationFacts};
    let facts = ValidationFacts::default();
    for lang in [
        Lang::default(),
        serde_json::from_value(json!(lang)).unwrap(),
    ] {
        let ctx = ValidationContext {
            mode: Mode::Import,
            today: serde_json::from_value(json!("2026-11-22")).unwrap(),
            lang,
            facts: &facts,
            mfa: false,
        };
        for (text, format) in [(csv, ImportFormat::Csv), (jsonl, ImportFormat::JsonLines)] {
            for records in [false, true] {
                let report = validate_import(
                    policy,
                    text.as_bytes(),
                    ImportOptions { format, records },
                    &ctx,
                )
                .unwrap();
                check(&report, format);
                let reference =
                    serde_json::to_vec(&serde_json::to_value(&report).unwrap()).unwrap();
                let sorted = api::to_sorted_json(&report).unwrap();
                assert_eq!(
                    String::from_utf8(sorted).unwrap(),
                    String::from_utf8(reference.clone()).unwrap()
                );
                let direct = api::import_report_json(&report).unwrap();
                assert_eq!(
                    String::from_utf8(direct).unwrap(),
                    String::from_utf8(reference).unwrap()
                );
                // Written as the rows are read: the same text, the status apart.
                let streamed = api::validate_import_json(
                    policy,
                    text.as_bytes(),
                    ImportOptions { format, records },
                    &ctx,
                    api::Passwords::Keep,
                )
                .unwrap();
                let mut without_status = report.clone();
                let status = std::mem::take(&mut without_status.status);
                assert_eq!(streamed.status, status);
                assert_eq!(
                    String::from_utf8(streamed.text).unwrap(),
                    String::from_utf8(api::import_report_json(&without_status).unwrap()).unwrap()
                );
            }
        }
    }
}
