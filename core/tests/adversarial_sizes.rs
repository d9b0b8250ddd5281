//! Adversarial sizes (issue 16): deeply nested JSON, 10 MB strings, imports past their
//! limits, policies at and past every limit. Each gives a typed error naming the field and
//! the reason, or a decision, never a panic; the peak memory of each is measured by
//! `fuzz/sizes.sh` (one test per process) and reported in `fuzz/README.md`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::{Value, json};
use warden_core::api::{self, MAX_RECORD_FIELDS};
use warden_core::import::{
    ImportErrorKind, ImportFormat, ImportOptions, MAX_COLUMNS, MAX_IMPORT_BYTES, MAX_IMPORT_ROWS,
    validate_import,
};
use warden_core::policy::{Mode, PolicyErrorKind, limits};
use warden_core::{Date, Lang, Policy, ValidationContext, ValidationFacts};

const TEN_MB: usize = 10 << 20;

/// The error envelope of a request refused by the JSON entry point.
fn refused(request: &str) -> Value {
    match api::evaluate_text(request) {
        Ok(d) => panic!("accepted: {}", d.chars().take(300).collect::<String>()),
        Err(e) => serde_json::from_str(&e).unwrap(),
    }
}

fn nested(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

#[test]
fn a_request_nested_100000_deep_is_invalid_input_not_a_stack_overflow() {
    let request = format!(
        r#"{{"preset":"000","op":"validate","input":{{"today":"2026-11-22","user":{{"x":{}}}}}}}"#,
        nested(100_000)
    );
    let e = refused(&request);
    assert_eq!(e["error"]["code"], "invalid_input");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("recursion limit"),
        "{e}"
    );
}

#[test]
fn a_policy_nested_100000_deep_is_refused_at_its_key_path() {
    // `in` takes any JSON values: the depth is met by the parser, not by the document's type.
    let text = format!(
        r#"{{"warden":1,"name":"t","fields":{{"a":{{"type":"text","requiredWhen":{{"field":"b","in":[{}]}}}},"b":{{"type":"text"}}}}}}"#,
        nested(100_000)
    );
    let e = Policy::from_json(&text).unwrap_err();
    assert!(e.reason().contains("recursion limit"), "{e}");
    assert!(e.path().starts_with("fields.a.requiredWhen.in"), "{e}");
}

#[test]
fn an_inline_policy_nested_deep_in_a_request_is_refused() {
    let request = format!(
        r#"{{"policy":{{"warden":1,"name":"t","fields":{{"a":{}}}}},"op":"validate","input":{{}}}}"#,
        nested(50_000)
    );
    assert_eq!(refused(&request)["error"]["code"], "invalid_input");
}

#[test]
fn a_jsonl_import_row_nested_deep_is_an_invalid_row() {
    let policy = Policy::preset("004").unwrap();
    let facts = ValidationFacts::default();
    let ctx = ctx(&facts);
    let data = format!(
        "{{\"username\":{}}}\n{{\"username\":\"ok\"}}\n",
        nested(100_000)
    );
    let r = validate_import(
        &policy,
        data.as_bytes(),
        ImportOptions {
            format: ImportFormat::JsonLines,
            records: false,
        },
        &ctx,
    )
    .unwrap();
    assert_eq!(r.summary.total, 2);
    assert_eq!(r.status[0], 2, "the nested row is invalid");
}

fn ctx(facts: &ValidationFacts) -> ValidationContext<'_> {
    ValidationContext {
        mode: Mode::Create,
        today: Date::parse("2026-11-22").unwrap(),
        lang: Lang::En,
        facts,
        mfa: false,
    }
}

/// A 10 MB value in each kind of field of preset 003 (name, email, phone, identifier,
/// password): a decision with a violation at that field, never a panic.
#[test]
fn ten_mb_strings_in_every_kind_of_field_are_violations() {
    let policy = Policy::preset("003").unwrap();
    let facts = ValidationFacts::default();
    let ctx = ctx(&facts);
    for field in [
        "firstName",
        "email",
        "phone",
        "employeeId",
        "password",
        "username",
    ] {
        let mut user = json!({"firstName": "Ada", "lastName": "Lovelace",
            "email": "ada@example.com", "password": "Violet-Kettle-42!x",
            "organization": "acme", "employeeId": "e-1"});
        user[field] = Value::from("a".repeat(TEN_MB));
        let start = std::time::Instant::now();
        let d = warden_core::validate_user(&policy, user.as_object().unwrap(), &ctx);
        assert!(!d.valid, "a 10 MB `{field}` is valid");
        assert!(
            d.violations
                .iter()
                .any(|v| v.path.to_string().starts_with(field)),
            "no violation at `{field}`: {:?}",
            d.violations
        );
        eprintln!("10 MB {field}: {:?}", start.elapsed());
    }
}

#[test]
fn a_ten_mb_password_alone_is_checked_without_a_panic() {
    let request = json!({"preset": "000", "op": "password",
        "input": {"password": "Aa1!".repeat(TEN_MB / 4)}})
    .to_string();
    let d: Value = serde_json::from_str(&api::evaluate_text(&request).unwrap()).unwrap();
    assert_eq!(
        d["valid"], false,
        "a 10 MB password passes preset 000's maximum length"
    );
}

#[test]
fn a_record_of_more_than_512_fields_is_refused_naming_the_limit() {
    let user: serde_json::Map<String, Value> = (0..=MAX_RECORD_FIELDS)
        .map(|i| (format!("f{i}"), Value::from(i)))
        .collect();
    let request = json!({"preset": "000", "op": "validate",
        "input": {"today": "2026-11-22", "user": user}})
    .to_string();
    let e = refused(&request);
    assert_eq!(e["error"]["code"], "invalid_input");
    assert_eq!(e["error"]["path"], "input.user");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("512"),
        "{e}"
    );
}

fn import_err(bytes: &[u8], format: ImportFormat) -> warden_core::import::ImportError {
    let policy = Policy::preset("004").unwrap();
    let facts = ValidationFacts::default();
    validate_import(
        &policy,
        bytes,
        ImportOptions {
            format,
            records: false,
        },
        &ctx(&facts),
    )
    .unwrap_err()
}

#[test]
fn an_import_one_byte_over_64_mib_is_too_large() {
    let mut data = b"username\n".to_vec();
    data.resize(MAX_IMPORT_BYTES + 1, b'a');
    let e = import_err(&data, ImportFormat::Csv);
    assert_eq!(e.kind(), ImportErrorKind::TooLarge);
    assert!(e.to_string().contains(&MAX_IMPORT_BYTES.to_string()), "{e}");
}

#[test]
fn an_import_of_one_row_more_than_the_limit_is_too_large() {
    let mut data = String::from("username\n");
    for _ in 0..=MAX_IMPORT_ROWS {
        data.push_str("a\n");
    }
    let e = import_err(data.as_bytes(), ImportFormat::Csv);
    assert_eq!(e.kind(), ImportErrorKind::TooLarge);
    assert!(e.to_string().contains(&MAX_IMPORT_ROWS.to_string()), "{e}");
    let jsonl = "{}\n".repeat(MAX_IMPORT_ROWS + 1);
    let e = import_err(jsonl.as_bytes(), ImportFormat::JsonLines);
    assert_eq!(e.kind(), ImportErrorKind::TooLarge);
}

#[test]
fn a_header_far_wider_than_the_limit_is_too_large_and_a_malformed_one_says_why() {
    let header: Vec<String> = (0..50_000).map(|i| format!("c{i}")).collect();
    let data = format!("{}\n", header.join(","));
    let e = import_err(data.as_bytes(), ImportFormat::Csv);
    assert_eq!(e.kind(), ImportErrorKind::TooLarge, "{e}");
    assert_eq!(e.code(), "too_large");
    assert!(e.to_string().contains(&MAX_COLUMNS.to_string()), "{e}");
    for bad in ["email,\"first\"x\nx,y\n", "email,\"first\n", "em\"ail\nx\n"] {
        let e = import_err(bad.as_bytes(), ImportFormat::Csv);
        assert_eq!(e.kind(), ImportErrorKind::MalformedHeader, "{bad:?}: {e}");
        assert_eq!(e.code(), "malformed_header");
    }
    let e = import_err(b"", ImportFormat::Csv);
    assert_eq!(e.code(), "no_header", "{e}");
}

#[test]
fn an_import_of_one_column_more_than_the_limit_is_too_large() {
    let header: Vec<String> = (0..=MAX_COLUMNS).map(|i| format!("c{i}")).collect();
    let data = format!("{}\n", header.join(","));
    let e = import_err(data.as_bytes(), ImportFormat::Csv);
    assert_eq!(e.kind(), ImportErrorKind::TooLarge);
    assert!(e.to_string().contains(&MAX_COLUMNS.to_string()), "{e}");
}

#[test]
fn an_import_through_the_entry_point_past_its_limit_is_a_typed_error() {
    let request = json!({"preset": "004", "op": "import",
        "input": {"today": "2026-11-22", "data": format!("username\n{}", "a\n".repeat(MAX_IMPORT_ROWS + 1))}})
    .to_string();
    let e = refused(&request);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&MAX_IMPORT_ROWS.to_string()),
        "{e}"
    );
}

// ---- policies at and one past every limit

fn doc(fields: Value) -> Value {
    json!({"warden": 1, "name": "test", "fields": fields})
}

fn limit_error(v: &Value) -> warden_core::PolicyError {
    match Policy::from_value(v.clone()) {
        Ok(_) => panic!("accepted past its limit"),
        Err(e) => {
            assert_eq!(e.kind(), PolicyErrorKind::Limit, "{e}");
            e
        }
    }
}

#[test]
fn fields_at_the_limit_compile_and_one_more_is_refused() {
    let fields = |n: usize| -> Value {
        (0..n)
            .map(|i| (format!("f{i}"), json!({"type": "text"})))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    Policy::from_value(doc(fields(limits::MAX_FIELDS))).unwrap();
    let e = limit_error(&doc(fields(limits::MAX_FIELDS + 1)));
    assert_eq!(e.path(), "fields");
}

#[test]
fn a_name_at_the_limit_compiles_and_one_byte_more_is_refused() {
    let name = |n: usize| "f".repeat(n);
    Policy::from_value(doc(
        json!({ name(limits::MAX_NAME_BYTES): {"type": "text"} }),
    ))
    .unwrap();
    let long = name(limits::MAX_NAME_BYTES + 1);
    let e = limit_error(&doc(json!({ long.clone(): {"type": "text"} })));
    assert!(e.path().starts_with("fields"), "{e}");
}

#[test]
fn a_formats_name_is_a_name_and_a_label_holds_no_control_character() {
    // Quoted in every violation of its field: a 1 MB format made each of an import's
    // violations 1 MB.
    let format =
        |f: &str| doc(json!({"u": {"type": "identifier", "pattern": "[a-z]+", "format": f}}));
    Policy::from_value(format(&"f".repeat(limits::MAX_NAME_BYTES))).unwrap();
    let e = limit_error(&format(&"f".repeat(limits::MAX_NAME_BYTES + 1)));
    assert_eq!(e.path(), "fields.u.format");
    let e = Policy::from_value(format("id\u{1b}[2J")).unwrap_err();
    assert_eq!(e.path(), "fields.u.format");
    // A label with an escape sequence; a line break is a text's own.
    let label = |l: &str| doc(json!({"u": {"type": "text", "label": {"en": l}}}));
    let e = Policy::from_value(label("User\u{1b}[31m")).unwrap_err();
    assert_eq!(e.path(), "fields.u.label.en");
    assert_eq!(e.kind(), PolicyErrorKind::Invalid);
    Policy::from_value(label("User\nname")).unwrap();
}

#[test]
fn a_refused_policy_echoes_no_more_than_a_bounded_part_of_itself() {
    // An unknown key of 300 KB, an unknown field type of 300 KB: the error names them,
    // cut, not whole (a 600 KB error before).
    let key = format!("\u{1b}[31m{}", "k".repeat(300_000));
    let mut top = doc(json!({"u": {"type": "text"}}));
    top[&key] = json!(1);
    let typ = doc(json!({"u": {"type": "t".repeat(300_000)}}));
    for d in [top, typ] {
        let e = Policy::from_value(d).unwrap_err();
        assert!(e.to_string().len() < 4096, "{} bytes", e.to_string().len());
        assert!(e.path().chars().count() <= 513, "{}", e.path().len());
    }
}

#[test]
fn a_list_at_the_limit_compiles_and_one_entry_more_is_refused() {
    let values = |n: usize| -> Vec<String> { (0..n).map(|i| format!("v{i}")).collect() };
    Policy::from_value(doc(
        json!({"kind": {"type": "enum", "values": values(limits::MAX_LIST)}}),
    ))
    .unwrap();
    let e = limit_error(&doc(
        json!({"kind": {"type": "enum", "values": values(limits::MAX_LIST + 1)}}),
    ));
    assert_eq!(e.path(), "fields.kind.values");
}

#[test]
fn a_max_length_at_the_limit_compiles_and_one_more_is_refused() {
    Policy::from_value(doc(
        json!({"bio": {"type": "text", "maxLength": limits::MAX_FIELD_LENGTH}}),
    ))
    .unwrap();
    let e = limit_error(&doc(
        json!({"bio": {"type": "text", "maxLength": limits::MAX_FIELD_LENGTH + 1}}),
    ));
    assert_eq!(e.path(), "fields.bio.maxLength");
}

#[test]
fn a_text_at_the_limit_compiles_and_one_byte_more_is_refused() {
    let with_label =
        |n: usize| doc(json!({"bio": {"type": "text", "label": {"en": "x".repeat(n)}}}));
    Policy::from_value(with_label(limits::MAX_TEXT_BYTES)).unwrap();
    let e = limit_error(&with_label(limits::MAX_TEXT_BYTES + 1));
    assert!(e.path().starts_with("fields.bio.label"), "{e}");
}

#[test]
fn a_field_at_its_max_length_validates_and_one_more_is_a_violation() {
    let policy = Policy::from_value(doc(
        json!({"bio": {"type": "text", "maxLength": limits::MAX_FIELD_LENGTH}}),
    ))
    .unwrap();
    let facts = ValidationFacts::default();
    let ctx = ctx(&facts);
    let at = json!({"bio": "é".repeat(limits::MAX_FIELD_LENGTH as usize)});
    assert!(warden_core::validate_user(&policy, at.as_object().unwrap(), &ctx).valid);
    let over = json!({"bio": "é".repeat(limits::MAX_FIELD_LENGTH as usize + 1)});
    let d = warden_core::validate_user(&policy, over.as_object().unwrap(), &ctx);
    assert!(!d.valid);
    assert_eq!(d.violations[0].path.to_string(), "bio");
}

/// Runs the named test of this binary in a child process and returns the child's peak
/// resident memory (VmHWM), in KiB: the figure is the test's own, not its neighbours'.
fn peak_rss_kib_of(test: &str) -> u64 {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env("WARDEN_MEASURE_CHILD", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let (_, rest) = stdout
        .split_once("vmhwm_kib=")
        .unwrap_or_else(|| panic!("no figure from the child: {stdout}"));
    rest.split_whitespace().next().unwrap().parse().unwrap()
}

fn print_vmhwm() {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .unwrap()
        .trim()
        .trim_end_matches("kB")
        .trim()
        .to_owned();
    println!("vmhwm_kib={kib}");
}

/// Found by fuzz/sizes.sh (issue 16): a 2 MB CSV or JSON Lines file one row past
/// `MAX_IMPORT_ROWS` was validated row by row before the limit was noticed, building a
/// report of a million invalid rows (2.8 GiB peak, minutes) only to refuse it. The limit is
/// now checked before any row is validated.
#[test]
fn regression_import_one_row_past_the_limit_is_refused_before_validating_rows() {
    if std::env::var_os("WARDEN_MEASURE_CHILD").is_some() {
        let mut csv = String::from("username\n");
        csv.push_str(&"a\n".repeat(MAX_IMPORT_ROWS + 1));
        let e = import_err(csv.as_bytes(), ImportFormat::Csv);
        assert_eq!(e.kind(), ImportErrorKind::TooLarge);
        let jsonl = "{\"username\":\"a\"}\n".repeat(MAX_IMPORT_ROWS + 1);
        let e = import_err(jsonl.as_bytes(), ImportFormat::JsonLines);
        assert_eq!(e.kind(), ImportErrorKind::TooLarge);
        print_vmhwm();
        return;
    }
    let kib = peak_rss_kib_of(
        "regression_import_one_row_past_the_limit_is_refused_before_validating_rows",
    );
    // The inputs themselves take about 23 MB; a report of a million rows took 2.8 GiB.
    assert!(kib < 256 * 1024, "peak RSS {kib} KiB");
}

/// A policy's regex patterns are counted before any is compiled: one past
/// [`limits::MAX_PATTERNS`] (rules, field patterns and generic e-mail local parts
/// together) is refused naming the limit; as many as the limit, each as large as
/// [`limits::REGEX_SIZE_LIMIT`] lets a pattern of `[a-z]{n}` be, still load.
#[test]
fn a_policy_of_more_regex_patterns_than_the_limit_is_refused_before_compiling() {
    let doc = |rules: usize, fields: usize, pattern: &str| {
        let mut f = serde_json::Map::new();
        f.insert("lastName".into(), json!({"type": "text"}));
        for i in 0..fields {
            f.insert(
                format!("code{i}"),
                json!({"type": "text", "pattern": "[A-Z]{3}"}),
            );
        }
        let rules: Vec<Value> = (0..rules)
            .map(|i| json!({"id": format!("r{i}"), "field": "lastName", "pattern": pattern}))
            .collect();
        json!({"warden": 1, "name": "patterns", "fields": f, "rules": rules})
    };
    let e = Policy::from_value(doc(limits::MAX_PATTERNS - 9, 10, "[a-z]+")).unwrap_err();
    assert_eq!(e.kind(), PolicyErrorKind::Limit, "{e}");
    assert_eq!(e.path(), "rules", "{e}");
    Policy::from_value(doc(limits::MAX_PATTERNS - 10, 10, "[a-z]+")).unwrap();
    // The most compiled program the limit allows, as many times as the limit allows.
    Policy::from_value(doc(limits::MAX_PATTERNS, 0, "[a-z]{2500}")).unwrap();
}

/// A pattern's work (its automaton's estimated size times the longest value it is matched
/// against, in bytes) is bounded: `[a-z]*a[a-z]{2000}` over a field of 65,536 characters
/// is refused naming the pattern and the limit, and loads for a field of 200; `.` reaching
/// past ASCII costs more than an ASCII class; the work of all patterns together is
/// bounded too, refused at the pattern that crosses the limit.
#[test]
fn a_pattern_whose_work_exceeds_the_limit_is_refused_naming_it() {
    let one = |max: u32| {
        json!({"warden": 1, "name": "work", "fields": {
            "bio": {"type": "text", "maxLength": max, "pattern": "[a-z]*a[a-z]{2000}"}
        }})
    };
    let e = Policy::from_value(one(65_536)).unwrap_err();
    assert_eq!(e.kind(), PolicyErrorKind::Limit, "{e}");
    assert_eq!(e.path(), "fields.bio.pattern", "{e}");
    assert!(e.to_string().contains("16777216"), "{e}");
    Policy::from_value(one(200)).unwrap();
    let dot = |pattern: &str| {
        json!({"warden": 1, "name": "work", "fields": {
            "bio": {"type": "text", "maxLength": 1000, "pattern": pattern}
        }})
    };
    Policy::from_value(dot("[a-z]*a[a-z]{100}b")).unwrap();
    let e = Policy::from_value(dot(".*a.{100}b")).unwrap_err();
    assert_eq!(e.path(), "fields.bio.pattern", "{e}");
    // A pattern longer than any value of the field can be matches nothing: no work.
    let code = |max: u32| {
        json!({"warden": 1, "name": "work", "fields": {
            "code": {"type": "text", "maxLength": max, "pattern": "[a-z]{2000}"}
        }})
    };
    Policy::from_value(code(10)).unwrap();
    let e = Policy::from_value(code(65_536)).unwrap_err();
    assert_eq!(e.path(), "fields.code.pattern", "{e}");
    let rules = |n: usize| {
        let rules: Vec<Value> = (0..n)
            .map(
                |i| json!({"id": format!("r{i}"), "field": "bio", "pattern": "[a-z]*a[a-z]{1000}"}),
            )
            .collect();
        json!({"warden": 1, "name": "work",
            "fields": {"bio": {"type": "text", "maxLength": 1000}}, "rules": rules})
    };
    // Each rule is within the limit for one pattern (a rule reads values of at most the
    // field's `maxLength`: about 4,000 states times 4,000 bytes); the fifth crosses the
    // document's.
    Policy::from_value(rules(4)).unwrap();
    let e = Policy::from_value(rules(5)).unwrap_err();
    assert_eq!(e.kind(), PolicyErrorKind::Limit, "{e}");
    assert_eq!(e.path(), "rules[4].pattern", "{e}");
    assert!(e.to_string().contains("67108864"), "{e}");
}
