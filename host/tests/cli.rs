//! End-to-end tests of the `warden` binary: arguments, files and standard input in, JSON
//! and exit status out.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

const STRONG: &str = "Violet-Kettle-42!x";

/// A file under the temporary directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(suffix: &str, contents: &[u8]) -> TempFile {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let path = std::env::temp_dir().join(format!(
            "warden-cli-test-{}-{n}{suffix}",
            std::process::id()
        ));
        std::fs::write(&path, contents).unwrap();
        TempFile(path)
    }

    fn json(value: &Value) -> TempFile {
        TempFile::new(".json", value.to_string().as_bytes())
    }

    fn arg(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs `warden args...` with `stdin`.
fn warden(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_warden"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.to_vec();
    // Write from another thread: the child may exit before reading everything.
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally, not by a signal")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

fn json_out(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", stdout(out)))
}

/// Exit 2 with exactly one line on stderr, prefixed `warden: `, and nothing on stdout.
fn assert_usage_error(out: &Output) -> String {
    assert_eq!(
        code(out),
        2,
        "stdout: {} stderr: {}",
        stdout(out),
        stderr(out)
    );
    let err = stderr(out);
    assert!(err.starts_with("warden: "), "{err}");
    assert!(err.ends_with('\n'), "{err:?}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.stdout.is_empty(), "{}", stdout(out));
    err
}

fn core_presets_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/presets")
}

/// A realistic valid record for a preset, built from its schema: every required field
/// (and every field required by a condition that holds) gets a plausible value.
fn valid_record(preset: &Value) -> Value {
    let fields = preset["fields"].as_object().unwrap();
    let mut record = serde_json::Map::new();
    for (name, spec) in fields {
        let required =
            spec["required"].as_bool().unwrap_or(false) || spec.get("requiredWhen").is_some();
        if !required {
            continue;
        }
        let value = match (spec["type"].as_str().unwrap(), name.as_str()) {
            (_, "manager" | "supervisor") => json!("u-17"),
            ("name", "firstName") => json!("Ada"),
            ("name", _) => json!("Lovelace"),
            ("email", _) => json!("ada.lovelace@example.com"),
            ("password", _) => json!(STRONG),
            ("phone", _) => json!("+33612345678"),
            ("date", _) => json!("1990-05-01"),
            ("enum", _) => spec["values"][0].clone(),
            ("boolean", _) => json!(false),
            ("url", _) => json!("https://example.com/ada.png"),
            ("identifier", "employeeId") => json!("E-1001"),
            ("identifier", _) => json!("ada.l"),
            ("reference", _) => json!("acme"),
            ("text", "jobTitle") => json!("Software Engineer"),
            ("text", "department") => json!("Engineering"),
            ("text", _) => json!("Something plausible"),
            (other, _) => panic!("no sample value for type `{other}` of `{name}`"),
        };
        record.insert(name.clone(), value);
    }
    Value::Object(record)
}

fn presets() -> Vec<(String, Value)> {
    let mut out: Vec<_> = std::fs::read_dir(core_presets_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let doc: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            (doc["name"].as_str().unwrap().to_owned(), doc)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(out.len() >= 5, "presets found: {}", out.len());
    out
}

fn ada() -> Value {
    json!({
        "firstName": "Ada",
        "lastName": "Lovelace",
        "email": "ada@example.com",
        "password": STRONG,
        "organization": "acme"
    })
}

fn validate_000(extra: &[&str], record: &Value) -> Output {
    let file = TempFile::json(record);
    let mut args = vec![
        "validate",
        "--preset",
        "production-planner-pro",
        "--today",
        "2026-11-22",
    ];
    args.extend_from_slice(extra);
    args.push(file.arg());
    warden(&args, b"")
}

#[test]
fn every_preset_accepts_a_realistic_record() {
    for (name, doc) in presets() {
        let record = valid_record(&doc);
        let file = TempFile::json(&record);
        let out = warden(
            &[
                "validate",
                "--preset",
                &name,
                "--today",
                "2026-11-22",
                file.arg(),
            ],
            b"",
        );
        let decision = json_out(&out);
        assert_eq!(code(&out), 0, "{name}: {record} -> {decision}");
        assert_eq!(decision["valid"], true, "{name}");
        assert!(
            decision["violations"]
                .as_array()
                .unwrap()
                .iter()
                .all(|v| v["severity"] == "warning")
        );
        assert!(out.stderr.is_empty(), "{name}: {}", stderr(&out));
        assert!(!stdout(&out).contains(STRONG), "the password leaked");
        assert_eq!(stdout(&out).lines().count(), 1, "compact by default");
    }
}

#[test]
fn the_output_is_the_cores_decision() {
    let out = validate_000(&[], &ada());
    let request = json!({
        "preset": "production-planner-pro",
        "op": "validate",
        "input": { "today": "2026-11-22", "user": ada() }
    });
    assert_eq!(
        json_out(&out),
        warden_core::api::evaluate(&request).unwrap()
    );
}

#[test]
fn an_invalid_email_is_a_violation() {
    let mut record = ada();
    record["email"] = json!("not-an-email");
    let out = validate_000(&[], &record);
    assert_eq!(code(&out), 1);
    let decision = json_out(&out);
    assert_eq!(decision["valid"], false);
    assert_eq!(decision["violations"][0]["code"], "invalid_email");
    assert_eq!(decision["violations"][0]["path"], json!(["email"]));
    assert!(out.stderr.is_empty());
}

#[test]
fn french_messages() {
    let mut record = ada();
    record["email"] = json!("not-an-email");
    let en = json_out(&validate_000(&[], &record));
    let fr = json_out(&validate_000(&["--lang", "fr"], &record));
    let en_msg = en["violations"][0]["message"].as_str().unwrap();
    let fr_msg = fr["violations"][0]["message"].as_str().unwrap();
    assert_ne!(en_msg, fr_msg);
    assert!(fr_msg.contains("adresse e-mail"), "{fr_msg}");
}

#[test]
fn pretty_output_is_indented_json() {
    let out = validate_000(&["--pretty"], &ada());
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).lines().count() > 10);
    assert_eq!(json_out(&out), json_out(&validate_000(&[], &ada())));
}

#[test]
fn records_from_standard_input() {
    let out = warden(
        &["validate", "--preset", "000", "--today", "2026-11-22", "-"],
        ada().to_string().as_bytes(),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = warden(
        &["validate", "--preset", "000", "--today", "2026-11-22"],
        ada().to_string().as_bytes(),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn today_defaults_to_the_system_clock() {
    let out = warden(
        &["validate", "--preset", "000"],
        ada().to_string().as_bytes(),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn modes_and_facts_reach_the_core() {
    // On update a blank password keeps the current one.
    let mut record = ada();
    record["password"] = json!("");
    assert_eq!(code(&validate_000(&[], &record)), 1);
    assert_eq!(code(&validate_000(&["--mode", "update"], &record)), 0);

    let facts = TempFile::json(&json!({
        "unique": { "email_unique": { "taken": false } },
        "exists": { "organization_exists": true }
    }));
    let decision = json_out(&validate_000(&["--facts", facts.arg()], &ada()));
    assert_eq!(decision["complete"], true, "{decision}");
    let decision = json_out(&validate_000(&[], &ada()));
    assert_eq!(decision["complete"], false);

    let bad_facts = TempFile::json(&json!({ "unique": { "email_unique": { "taken": "no" } } }));
    let err = assert_usage_error(&validate_000(&["--facts", bad_facts.arg()], &ada()));
    assert!(
        err.contains("input.facts.unique.email_unique.taken"),
        "{err}"
    );
}

#[test]
fn malformed_json_is_a_usage_error() {
    let file = TempFile::new(
        ".json",
        b"{\n  \"firstName\": \"Ada\",\n  \"lastName\": \n}",
    );
    let out = warden(&["validate", "--preset", "000", file.arg()], b"");
    let err = assert_usage_error(&out);
    assert_eq!(
        err,
        format!(
            "warden: invalid JSON in `{}` at line 4 column 1: expected value\n",
            file.arg()
        )
    );
    for garbage in [
        &b""[..],
        b"{",
        b"\xff\xfe",
        b"[1, 2",
        b"nul",
        b"{\"a\": 1} trailing",
    ] {
        let out = warden(&["validate", "--preset", "000", "-"], garbage);
        let err = assert_usage_error(&out);
        assert!(
            err.starts_with("warden: invalid JSON in standard input at line "),
            "{err}"
        );
    }
    // Deep nesting hits serde_json's recursion limit instead of the stack's.
    let deep = "[".repeat(100_000);
    let err = assert_usage_error(&warden(&["validate", "--preset", "000"], deep.as_bytes()));
    assert!(err.contains("recursion limit exceeded"), "{err}");
}

#[test]
fn unknown_presets_are_listed() {
    let out = warden(
        &["validate", "--preset", "nope"],
        ada().to_string().as_bytes(),
    );
    let err = assert_usage_error(&out);
    assert!(err.contains("unknown preset `nope`"), "{err}");
    for (name, _) in presets() {
        assert!(err.contains(&format!("`{name}`")), "{err}");
    }
    let err = assert_usage_error(&warden(&["presets", "show", "nope"], b""));
    assert!(
        err.contains("presets are `production-planner-pro`"),
        "{err}"
    );
}

#[test]
fn a_record_of_the_wrong_type_is_a_usage_error() {
    for (input, kind) in [
        ("\"ada\"", "a string"),
        ("42", "a number"),
        ("null", "null"),
        ("true", "a boolean"),
    ] {
        let out = warden(
            &["validate", "--preset", "000", "--today", "2026-11-22"],
            input.as_bytes(),
        );
        let err = assert_usage_error(&out);
        assert_eq!(
            err,
            format!(
                "warden: standard input holds {kind}, not a user record (a JSON object) or an array of records\n"
            )
        );
    }
    let out = warden(
        &["validate", "--preset", "000"],
        br#"[{"firstName": "Ada"}, "bob"]"#,
    );
    let err = assert_usage_error(&out);
    assert_eq!(
        err,
        "warden: record 1 in standard input is a string, not a user record (a JSON object)\n"
    );
    // A field of the wrong type is a violation, not a usage error.
    let mut record = ada();
    record["firstName"] = json!(["Ada"]);
    assert_eq!(code(&validate_000(&[], &record)), 1);
}

#[test]
fn too_many_fields_is_a_usage_error() {
    let mut record = serde_json::Map::new();
    for i in 0..=warden_core::api::MAX_RECORD_FIELDS {
        record.insert(format!("f{i}"), json!(i));
    }
    let out = validate_000(&[], &Value::Object(record));
    let err = assert_usage_error(&out);
    assert!(err.contains("at most 512 fields"), "{err}");
}

#[test]
fn a_huge_field_is_too_long_without_panic() {
    let mut record = ada();
    record["firstName"] = json!("A".repeat(1 << 20));
    record["lastName"] = json!("é".repeat(1 << 19));
    let out = validate_000(&[], &record);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let decision = json_out(&out);
    let codes: Vec<_> = decision["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["path"][0].as_str().unwrap().to_owned(),
                v["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        codes.contains(&("firstName".into(), "too_long".into())),
        "{codes:?}"
    );
    assert!(
        codes.contains(&("lastName".into(), "too_long".into())),
        "{codes:?}"
    );
    assert!(stdout(&out).len() < 100_000, "the huge value is not echoed");
}

#[test]
fn input_over_the_size_limit_is_refused() {
    let huge = vec![b' '; (64 << 20) + 1];
    let file = TempFile::new(".json", &huge);
    let err = assert_usage_error(&warden(&["validate", "--preset", "000", file.arg()], b""));
    assert_eq!(
        err,
        format!(
            "warden: `{}` is larger than the limit of 64 MiB\n",
            file.arg()
        )
    );
    let help = stdout(&warden(&["validate", "--help"], b""));
    assert!(help.contains("64 MiB"), "{help}");
}

#[test]
fn policy_files_in_json_and_toml() {
    let toml = TempFile::new(
        ".toml",
        br#"warden = 1
name = "tiny"

[fields.email]
type = "email"
required = true

[fields.nickname]
type = "text"
maxLength = 5
"#,
    );
    let out = warden(
        &["validate", "--policy", toml.arg(), "--today", "2026-11-22"],
        br#"{"email": "ada@example.com", "nickname": "Ada"}"#,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = warden(
        &["validate", "--policy", toml.arg(), "--today", "2026-11-22"],
        br#"{"email": "nope", "nickname": "Adaline"}"#,
    );
    assert_eq!(code(&out), 1);
    let codes: Vec<_> = json_out(&out)["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes, ["invalid_email", "too_long"]);

    // The same policy as JSON has the same hash.
    let json_doc = TempFile::json(&json!({
        "warden": 1, "name": "tiny",
        "fields": { "email": { "type": "email", "required": true },
                    "nickname": { "type": "text", "maxLength": 5 } }
    }));
    let from_json = json_out(&warden(
        &[
            "validate",
            "--policy",
            json_doc.arg(),
            "--today",
            "2026-11-22",
        ],
        br#"{"email": "ada@example.com"}"#,
    ));
    let from_toml = json_out(&warden(
        &["validate", "--policy", toml.arg(), "--today", "2026-11-22"],
        br#"{"email": "ada@example.com"}"#,
    ));
    assert_eq!(from_json["policy"], from_toml["policy"]);

    // A shipped preset, copied with `presets show`, works as a policy file.
    let shown = warden(&["presets", "show", "crm"], b"");
    let copy = TempFile::new(".json", &shown.stdout);
    let out = warden(
        &["validate", "--policy", copy.arg(), "--today", "2026-11-22"],
        b"{}",
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
}

#[test]
fn bad_policy_files_are_usage_errors() {
    let typo = TempFile::new(
        ".toml",
        b"warden = 1\nname = \"t\"\n[fields.email]\ntype = \"emal\"\n",
    );
    let err = assert_usage_error(&warden(&["validate", "--policy", typo.arg()], b"{}"));
    assert!(err.contains("at `fields.email.type`"), "{err}");
    assert!(err.contains("help: did you mean `email`?"), "{err}");

    let broken = TempFile::new(".toml", b"warden = 1\nname = \n");
    let err = assert_usage_error(&warden(&["validate", "--policy", broken.arg()], b"{}"));
    assert!(
        err.starts_with(&format!(
            "warden: invalid TOML in `{}` at line 2 column ",
            broken.arg()
        )),
        "{err}"
    );

    let broken = TempFile::new(".json", b"{\"warden\": 1,");
    let err = assert_usage_error(&warden(&["validate", "--policy", broken.arg()], b"{}"));
    assert!(
        err.starts_with(&format!("warden: invalid policy in `{}`", broken.arg())),
        "{err}"
    );

    let err = assert_usage_error(&warden(
        &["validate", "--policy", "/nonexistent/policy.json"],
        b"{}",
    ));
    assert!(
        err.starts_with("warden: cannot read `/nonexistent/policy.json`: "),
        "{err}"
    );

    let big = TempFile::new(".json", &vec![b' '; (1 << 20) + 1]);
    let err = assert_usage_error(&warden(&["validate", "--policy", big.arg()], b"{}"));
    assert!(
        err.ends_with("is larger than the limit of 1 MiB\n"),
        "{err}"
    );
}

#[test]
fn arrays_of_records_get_a_summary() {
    let mut bad = ada();
    bad["email"] = json!("nope");
    let mut blank = ada();
    blank["firstName"] = json!("  ");
    let records = json!([ada(), bad, ada(), blank]);
    let file = TempFile::json(&records);
    let out = warden(
        &[
            "validate",
            "--preset",
            "000",
            "--today",
            "2026-11-22",
            file.arg(),
        ],
        b"",
    );
    assert_eq!(code(&out), 1);
    let out = json_out(&out);
    assert_eq!(
        out["summary"],
        json!({ "total": 4, "valid": 2, "invalid": 2 })
    );
    let results = out["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    assert_eq!(results[1]["violations"][0]["code"], "invalid_email");
    assert_eq!(results[3]["violations"][0]["code"], "required");

    let all_good = TempFile::json(&json!([ada(), ada()]));
    let out = warden(&["validate", "--preset", "000", all_good.arg()], b"");
    assert_eq!(code(&out), 0);
    assert_eq!(
        json_out(&out)["summary"],
        json!({ "total": 2, "valid": 2, "invalid": 0 })
    );

    let out = warden(&["validate", "--preset", "000"], b"[]");
    assert_eq!(code(&out), 0);
    assert_eq!(
        json_out(&out)["summary"],
        json!({ "total": 0, "valid": 0, "invalid": 0 })
    );
}

#[test]
fn presets_are_listed() {
    let out = warden(&["presets"], b"");
    assert_eq!(code(&out), 0);
    let list = json_out(&out);
    let names: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    let mut expected: Vec<_> = presets().into_iter().map(|(n, _)| n).collect();
    let mut sorted = names.clone();
    sorted.sort();
    expected.sort();
    assert_eq!(sorted, expected);
    assert_eq!(list[0]["id"], "000");
    assert!(
        list[0]["title"]
            .as_str()
            .unwrap()
            .contains("ProductionPlannerPro")
    );

    for (name, doc) in presets() {
        let out = warden(&["presets", "show", &name], b"");
        assert_eq!(code(&out), 0);
        assert_eq!(json_out(&out), doc, "{name}");
        let pretty = warden(&["presets", "show", &name, "--pretty"], b"");
        assert_eq!(json_out(&pretty), doc, "{name}");
    }
}

#[test]
fn password_check_reads_standard_input() {
    let out = warden(
        &["password", "check", "--preset", "000"],
        format!("{STRONG}\n").as_bytes(),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let decision = json_out(&out);
    assert_eq!(decision["valid"], true);
    assert_eq!(decision["score"], 4);
    assert!(!stdout(&out).contains(STRONG));

    // Only the first line, without its line ending (CRLF too).
    let out = warden(
        &["password", "check", "--preset", "000"],
        format!("{STRONG}\r\nsecond line\n").as_bytes(),
    );
    assert_eq!(code(&out), 0, "{}", stdout(&out));

    let out = warden(
        &["password", "check", "--preset", "000", "--lang", "fr"],
        b"password\n",
    );
    assert_eq!(code(&out), 1);
    let decision = json_out(&out);
    assert_eq!(decision["valid"], false);
    let codes: Vec<_> = decision["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"password_common"), "{codes:?}");
    assert!(
        decision["violations"][0]["message"]
            .as_str()
            .unwrap()
            .contains("doit"),
        "{decision}"
    );

    // The user's own data.
    let user =
        TempFile::json(&json!({ "firstName": "Violetta", "email": "violet.kettle@example.com" }));
    let out = warden(
        &["password", "check", "--preset", "000", "--user", user.arg()],
        b"VioletKettle!2024\n",
    );
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert!(
        stdout(&out).contains("password_similar"),
        "{}",
        stdout(&out)
    );

    // The password is never an argument.
    let err = assert_usage_error(&warden(
        &["password", "check", "--preset", "000", STRONG],
        b"",
    ));
    assert!(err.contains("unexpected argument"), "{err}");
    let help = stdout(&warden(&["password", "check", "--help"], b""));
    assert!(help.contains("never an argument"), "{help}");

    // A policy without a password section.
    let err = assert_usage_error(&warden(
        &["password", "check", "--preset", "hr-platform"],
        b"x\n",
    ));
    assert!(err.contains("password"), "{err}");
}

#[test]
fn hash_and_verify_round_trip() {
    let out = warden(
        &["password", "hash", "--preset", "000"],
        format!("{STRONG}\n").as_bytes(),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let phc = stdout(&out);
    assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    assert!(phc.ends_with('\n'));
    let phc = phc.trim_end();
    let again = stdout(&warden(
        &["password", "hash", "--preset", "000"],
        format!("{STRONG}\n").as_bytes(),
    ));
    assert_ne!(phc, again.trim_end(), "salts are random");

    let out = warden(
        &["password", "verify", "--preset", "000", "--hash", phc],
        format!("{STRONG}\n").as_bytes(),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        json_out(&out),
        json!({ "matches": true, "needsRehash": false })
    );

    let out = warden(
        &["password", "verify", "--preset", "000", "--hash", phc],
        b"Violet-Kettle-42!y\n",
    );
    assert_eq!(code(&out), 1);
    assert_eq!(
        json_out(&out),
        json!({ "matches": false, "needsRehash": false })
    );

    let err = assert_usage_error(&warden(
        &["password", "verify", "--preset", "000", "--hash", "garbage"],
        b"x\n",
    ));
    assert_eq!(
        err,
        "warden: the stored password hash is not a valid PHC string\n"
    );

    let err = assert_usage_error(&warden(&["password", "hash", "--preset", "000"], b"\n"));
    assert_eq!(err, "warden: the password on standard input is empty\n");
    assert_usage_error(&warden(&["password", "hash", "--preset", "000"], b""));
}

#[test]
fn generated_passwords_pass_the_check() {
    for (name, doc) in presets() {
        if doc.get("password").is_none() {
            let err =
                assert_usage_error(&warden(&["password", "generate", "--preset", &name], b""));
            assert!(err.contains("no `password` section"), "{err}");
            continue;
        }
        for length in [None, Some("24")] {
            let mut args = vec!["password", "generate", "--preset", name.as_str()];
            if let Some(l) = length {
                args.extend(["--length", l]);
            }
            let out = warden(&args, b"");
            assert_eq!(code(&out), 0, "{}", stderr(&out));
            let text = stdout(&out);
            assert!(text.ends_with('\n'));
            let password = text.trim_end_matches('\n');
            assert_eq!(password.lines().count(), 1);
            if let Some(l) = length {
                assert_eq!(password.chars().count(), l.parse::<usize>().unwrap());
            }
            let check = warden(&["password", "check", "--preset", &name], text.as_bytes());
            assert_eq!(code(&check), 0, "{name}: {}", stdout(&check));
        }
    }
    assert_usage_error(&warden(
        &["password", "generate", "--preset", "000", "--length", "0"],
        b"",
    ));
}

#[test]
fn usage_errors_exit_2_with_one_line() {
    let cases: &[&[&str]] = &[
        &[],
        &["frobnicate"],
        &["validate"],
        &["validate", "--preset", "000", "--policy", "p.json"],
        &["validate", "--preset", "000", "--lang", "english"],
        &["validate", "--preset", "000", "--lang", "fr/CA"],
        &["validate", "--preset", "000", "--mode", "delete"],
        &["validate", "--preset", "000", "--today", "2026-02-30"],
        &["validate", "--preset", "000", "a.json", "b.json"],
        &["password"],
        &["password", "verify", "--preset", "000"],
        &["presets", "show"],
        &["--bogus"],
    ];
    for args in cases {
        let err = assert_usage_error(&warden(args, b"{}"));
        assert!(err.contains("help: run `warden"), "{args:?}: {err}");
    }
    let err = assert_usage_error(&warden(
        &["validate", "--preset", "000", "/nonexistent/users.json"],
        b"",
    ));
    assert!(
        err.starts_with("warden: cannot read `/nonexistent/users.json`: "),
        "{err}"
    );
}

#[test]
fn version_and_help() {
    let out = warden(&["--version"], b"");
    assert_eq!(code(&out), 0);
    assert_eq!(
        stdout(&out),
        format!("warden {}\n", env!("CARGO_PKG_VERSION"))
    );
    let out = warden(&["--help"], b"");
    assert_eq!(code(&out), 0);
    for command in ["validate", "presets", "password", "--pretty"] {
        assert!(stdout(&out).contains(command), "{}", stdout(&out));
    }
    let out = warden(&["password", "--help"], b"");
    assert!(stdout(&out).contains("process lists"), "{}", stdout(&out));
}

#[test]
fn standard_input_is_read_once() {
    let err = assert_usage_error(&warden(&["validate", "--policy", "-"], b"{}"));
    assert_eq!(
        err,
        "warden: standard input can be read only once; help: give the policy and the other inputs as files\n"
    );
    let err = assert_usage_error(&warden(
        &["password", "check", "--preset", "000", "--user", "-"],
        b"{}",
    ));
    assert!(err.contains("only once"), "{err}");
    let err = assert_usage_error(&warden(&["password", "hash", "--policy", "-"], b"{}"));
    assert!(err.contains("only once"), "{err}");
    // A policy alone on standard input is fine.
    let preset = stdout(&warden(&["presets", "show", "000"], b""));
    let user = TempFile::json(&ada());
    let out = warden(
        &["validate", "--policy", "-", user.arg()],
        preset.as_bytes(),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

// ------------------------------------------------------------- decision commands

const NOW: &str = "2026-11-22T10:00:00Z";

fn decide(command: &[&str], input: &Value) -> Output {
    let file = TempFile::json(input);
    let mut args: Vec<&str> = command.to_vec();
    args.extend(["--now", NOW, file.arg()]);
    warden(&args, b"")
}

fn core(preset: &str, op: &str, mut input: Value) -> Value {
    if input.get("now").is_none() && op != "import" {
        input["now"] = json!(NOW);
    }
    warden_core::api::evaluate(&json!({"preset": preset, "op": op, "input": input})).unwrap()
}

#[test]
fn authorize_allows_denies_and_refuses() {
    let sa = json!({"id": "sa", "organization": "acme", "superAdmin": true});
    let reg = json!({"id": "reg", "organization": "acme", "roles": ["regular"]});
    let input = json!({"actor": sa, "action": "users.update", "target": {"id": "b1", "organization": "beta"}});
    let out = decide(&["authorize", "--preset", "000"], &input);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json_out(&out), core("000", "authorize", input));
    // A regular user may update only their own account (R000-07: phone, password), so
    // another user is out of scope; deleting is not theirs at all.
    let input = json!({"actor": reg, "action": "users.update", "target": {"id": "u1", "organization": "acme"}});
    let out = decide(&["authorize", "--preset", "000"], &input);
    assert_eq!(code(&out), 1);
    assert_eq!(json_out(&out)["deny"]["code"], "scope_insufficient");
    let input = json!({"actor": reg, "action": "users.delete", "target": {"id": "u1", "organization": "acme"}});
    let out = decide(&["authorize", "--preset", "000"], &input);
    assert_eq!(code(&out), 1);
    assert_eq!(json_out(&out)["deny"]["code"], "not_permitted");
    let out = decide(
        &["authorize", "--preset", "000"],
        &json!({"actor": reg, "action": "users.fly", "target": {"id": "u1"}}),
    );
    assert!(assert_usage_error(&out).contains("unknown action `users.fly`"));
    let out = warden(
        &["authorize", "--preset", "000", "--now", NOW],
        b"{\"actor\": ",
    );
    assert!(assert_usage_error(&out).starts_with("warden: invalid JSON in standard input"));
    let out = warden(&["authorize", "--preset", "000", "--now", NOW], b"[1]");
    assert_usage_error(&out);
}

#[test]
fn now_defaults_to_the_system_clock_and_is_overridden_by_the_input() {
    let input = json!({"account": {"id": "c1", "status": "suspended", "statusUntil": "2025-01-01T00:00:00Z"}});
    // The system clock is past the end of this suspension.
    let out = warden(&["login", "--preset", "002"], input.to_string().as_bytes());
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let out = warden(
        &["login", "--preset", "002", "--now", "2024-12-31T00:00:00Z"],
        input.to_string().as_bytes(),
    );
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    // A `now` in the input wins over `--now`.
    let mut late = input.clone();
    late["now"] = json!("2025-02-01T00:00:00Z");
    let out = warden(
        &["login", "--preset", "002", "--now", "2024-12-31T00:00:00Z"],
        late.to_string().as_bytes(),
    );
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let out = warden(&["login", "--preset", "002", "--now", "yesterday"], b"{}");
    assert!(assert_usage_error(&out).contains("`yesterday` is not an RFC 3339 instant"));
}

#[test]
fn scope_prints_the_filter_and_its_sql() {
    let emp = json!({"id": "e1", "organization": "hr", "manager": "m1", "roles": ["employee"]});
    let input = json!({"actor": emp, "action": "users.read"});
    let out = decide(&["scope", "--preset", "hr-platform"], &input);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v = json_out(&out);
    assert_eq!(v["filter"]["kind"], "anyOf");
    assert!(v.get("sql").is_none());
    let out = decide(&["scope", "--preset", "hr-platform", "--sql"], &input);
    let v = json_out(&out);
    assert_eq!(
        v["sql"]["sql"],
        "((id = $1 AND organization_id = $2) OR (organization_id = $3 AND manager_id = $4))"
    );
    assert_eq!(v["sql"]["params"], json!(["e1", "hr", "hr", "e1"]));
    let mut with_sql = input.clone();
    with_sql["sql"] = json!({});
    assert_eq!(v, core("hr-platform", "scope", with_sql));
    let out = decide(
        &[
            "scope",
            "--preset",
            "hr-platform",
            "--sql",
            "--placeholder",
            "question",
            "--closure-table",
            "tree:anc:desc:depth",
            "--columns",
            "id=user_id,organization=org_id",
        ],
        &json!({"actor": {"id": "d1", "organization": "hr", "roles": ["director"]}, "action": "users.read"}),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        json_out(&out)["sql"]["sql"],
        "((user_id = ? AND org_id = ?) OR (org_id = ? AND user_id IN (SELECT desc FROM tree WHERE anc = ? AND depth >= 1)))"
    );
    // An inactive actor reaches nothing: exit 1.
    let out = decide(
        &["scope", "--preset", "hr-platform", "--sql"],
        &json!({"actor": {"id": "x", "organization": "hr", "status": "inactive"}, "action": "users.read"}),
    );
    assert_eq!(code(&out), 1);
    assert_eq!(json_out(&out)["sql"]["sql"], "FALSE");
    let out = decide(
        &[
            "scope",
            "--preset",
            "hr-platform",
            "--sql",
            "--columns",
            "id=a b",
        ],
        &input,
    );
    assert!(assert_usage_error(&out).contains("not a plain SQL identifier"));
    let out = decide(
        &[
            "scope",
            "--preset",
            "hr-platform",
            "--sql",
            "--closure-table",
            "t:a",
        ],
        &input,
    );
    assert!(assert_usage_error(&out).contains("TABLE:ANCESTOR:DESCENDANT:DEPTH"));
    let out = decide(
        &[
            "scope",
            "--preset",
            "hr-platform",
            "--placeholder",
            "question",
        ],
        &input,
    );
    assert_usage_error(&out);
}

#[test]
fn transition_allows_and_denies() {
    let admin = json!({"id": "adm", "organization": "rent", "roles": ["administrator"]});
    let target = json!({"id": "c1", "organization": "rent"});
    let input = json!({"actor": admin, "target": target, "to": "suspended", "reason": "audit", "durationDays": 7});
    let out = decide(&["transition", "--preset", "rental-platform"], &input);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json_out(&out), core("rental-platform", "transition", input));
    let out = decide(
        &["transition", "--preset", "rental-platform", "--lang", "fr"],
        &json!({"actor": admin, "target": target, "to": "suspended"}),
    );
    assert_eq!(code(&out), 1);
    assert_eq!(json_out(&out)["deny"]["code"], "reason_required");
    let out = decide(
        &["transition", "--preset", "rental-platform"],
        &json!({"actor": admin, "target": target, "to": "archived"}),
    );
    assert!(assert_usage_error(&out).contains("`archived` is not a status"));
    let out = decide(
        &["transition", "--preset", "rental-platform"],
        &json!({"actor": admin, "target": target, "to": "inactive", "bogus": 1}),
    );
    assert_usage_error(&out);
}

#[test]
fn login_allows_and_denies() {
    let out = decide(
        &["login", "--preset", "000"],
        &json!({"account": {"id": "u1", "organization": "acme"}, "organization": {"id": "acme", "active": true}}),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = decide(
        &["login", "--preset", "000"],
        &json!({"account": {"id": "u1", "organization": "acme"}, "organization": {"id": "acme", "active": false}}),
    );
    assert_eq!(code(&out), 1);
    assert_eq!(json_out(&out)["deny"]["code"], "organization_inactive");
    let out = decide(
        &["login", "--preset", "000"],
        &json!({"account": {"organization": "acme"}}),
    );
    assert!(assert_usage_error(&out).contains("input.account"));
}

#[test]
fn delete_allows_and_denies() {
    let sa = json!({"id": "sa", "organization": "acme", "superAdmin": true});
    let out = decide(
        &["delete", "--preset", "000"],
        &json!({"actor": sa, "target": {"id": "u1", "organization": "acme"}, "confirmed": true}),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json_out(&out)["mode"], "hard");
    let out = decide(
        &["delete", "--preset", "000"],
        &json!({"actor": sa, "target": {"id": "u1", "organization": "acme"}}),
    );
    assert_eq!(code(&out), 1);
    assert_eq!(json_out(&out)["deny"]["code"], "confirmation_required");
    let out = decide(
        &["delete", "--preset", "000"],
        &json!({"actor": sa, "target": {"id": "u1"}, "mode": "shred"}),
    );
    assert_usage_error(&out);
}

#[test]
fn bulk_fails_when_any_item_is_denied() {
    let admin = json!({"id": "adm", "organization": "rent", "roles": ["administrator"]});
    let item = |id: &str, reason: Option<&str>| {
        let mut i =
            json!({"op": "status", "target": {"id": id, "organization": "rent"}, "to": "inactive"});
        if let Some(r) = reason {
            i["reason"] = json!(r);
        }
        i
    };
    let input =
        json!({"actor": admin, "items": [item("c1", Some("closed")), item("c2", Some("closed"))]});
    let out = decide(&["bulk", "--preset", "002"], &input);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json_out(&out), core("002", "bulk", input));
    let out = decide(
        &["bulk", "--preset", "002"],
        &json!({"actor": admin, "items": [item("c1", Some("x")), item("c2", None)]}),
    );
    assert_eq!(code(&out), 1);
    assert_eq!(
        json_out(&out)["summary"],
        json!({"total": 2, "allowed": 1, "denied": 1, "invalid": 0})
    );
    let out = decide(
        &["bulk", "--preset", "002"],
        &json!({"actor": admin, "items": [{"op": "explode"}]}),
    );
    assert_usage_error(&out);
}

#[test]
fn import_reads_raw_csv_and_json_lines() {
    let csv = "firstName,lastName,email,password,organization\n\
               Ada,Lovelace,ada@acme.test,Tr0ub4dor&3x!,acme\n";
    let file = TempFile::new(".csv", csv.as_bytes());
    let out = warden(
        &["import", "--preset", "000", "--now", NOW, file.arg()],
        b"",
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v = json_out(&out);
    assert_eq!(v["status"], json!([0]));
    assert_eq!(
        v,
        core(
            "000",
            "import",
            json!({"format": "csv", "data": csv, "today": "2026-11-22"})
        )
    );
    let bad = format!("{csv}Alan,Turing,not-an-email,Tr0ub4dor&3x!,acme\n");
    let out = warden(
        &["import", "--preset", "000", "--now", NOW, "-"],
        bad.as_bytes(),
    );
    assert_eq!(code(&out), 1);
    assert_eq!(json_out(&out)["summary"]["invalid"], 1);
    let lines = "{\"firstName\":\"Ada\",\"lastName\":\"Lovelace\",\"email\":\"ada@acme.test\",\"password\":\"Tr0ub4dor&3x!\",\"organization\":\"acme\"}\n";
    let file = TempFile::new(".jsonl", lines.as_bytes());
    let out = warden(
        &["import", "--preset", "000", "--now", NOW, file.arg()],
        b"",
    );
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let out = warden(
        &[
            "import", "--preset", "000", "--format", "jsonl", "--now", NOW, "-",
        ],
        b"{oops\n",
    );
    assert_eq!(code(&out), 1);
    let out = warden(&["import", "--preset", "000", "--now", NOW, "-"], b"");
    assert!(assert_usage_error(&out).contains("no header row"));
    let out = warden(&["import", "--preset", "000", "-"], b"\xff\xfe");
    assert!(assert_usage_error(&out).contains("not UTF-8"));
}

#[test]
fn stats_counts_accounts() {
    let input = json!({"accounts": [{"id": "a", "organization": "x", "superAdmin": true}, {"id": "b", "status": "inactive"}]});
    let out = decide(&["stats", "--preset", "000"], &input);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v = json_out(&out);
    assert_eq!(
        (
            v["total"].clone(),
            v["active"].clone(),
            v["superAdmins"].clone(),
            v["organizations"].clone()
        ),
        (json!(2), json!(1), json!(1), json!(1))
    );
    let out = decide(&["stats", "--preset", "000"], &json!({"accounts": {}}));
    assert_usage_error(&out);
}

#[test]
fn eval_runs_any_operation() {
    let out = decide(
        &["eval", "--op", "lockout", "--preset", "002"],
        &json!({"failedAttempts": ["2026-11-22T09:55:00Z", "2026-11-22T09:56:00Z", "2026-11-22T09:57:00Z", "2026-11-22T09:58:00Z", "2026-11-22T09:59:00Z"]}),
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(json_out(&out)["retryAfterSeconds"], 840);
    let out = decide(
        &["eval", "--op", "directory", "--preset", "001"],
        &json!({"accounts": [{"id": "a", "manager": "b"}, {"id": "b", "manager": "a"}]}),
    );
    assert_eq!(code(&out), 1);
    let out = decide(
        &["eval", "--op", "validate", "--preset", "000"],
        &json!({"user": {"firstName": "Ada"}}),
    );
    assert_eq!(code(&out), 1);
    let out = decide(
        &["eval", "--op", "effectiveStatus", "--preset", "002"],
        &json!({"account": {"id": "a"}}),
    );
    assert_eq!(code(&out), 0);
    assert_eq!(json_out(&out)["status"], "active");
    let out = decide(&["eval", "--op", "teleport", "--preset", "002"], &json!({}));
    assert!(assert_usage_error(&out).contains("unknown operation `teleport`"));
}

#[test]
fn password_reset_uses_os_entropy() {
    let root = json!({"id": "root", "organization": "prs", "root": true});
    let input =
        json!({"actor": root, "target": {"id": "u1", "organization": "prs", "status": "inactive"}});
    let out = decide(&["password", "reset", "--preset", "004"], &input);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let first = json_out(&out);
    assert_eq!(first["status"], "inactive");
    assert_eq!(first["mustChangePassword"], true);
    let temp = first["temporaryPassword"].as_str().unwrap().to_owned();
    let check = warden(
        &["password", "check", "--preset", "004"],
        format!("{temp}\n").as_bytes(),
    );
    assert_eq!(code(&check), 0, "{}", stdout(&check));
    let second = json_out(&decide(&["password", "reset", "--preset", "004"], &input));
    assert_ne!(second["temporaryPassword"], first["temporaryPassword"]);
    let out = decide(
        &["password", "reset", "--preset", "004"],
        &json!({"actor": {"id": "rq", "organization": "prs", "attributes": {"userType": "requester"}}, "target": {"id": "u1", "organization": "prs"}}),
    );
    assert_eq!(code(&out), 1);
    assert_eq!(json_out(&out)["deny"]["code"], "not_permitted");
    let out = decide(
        &["password", "reset", "--preset", "004"],
        &json!({"actor": root}),
    );
    assert_usage_error(&out);
}

// ---------------------------------------------------------------- the CLI as a newcomer meets it

#[test]
fn every_command_takes_the_same_clock() {
    let record = ada().to_string();
    // `validate` takes `--now` (its UTC date is today) as well as `--today`.
    for clock in [["--now", "2026-11-22T10:00:00Z"], ["--today", "2026-11-22"]] {
        let out = warden(
            &["validate", "--preset", "000", clock[0], clock[1]],
            record.as_bytes(),
        );
        assert!(code(&out) <= 1, "{clock:?}: {}", stderr(&out));
        assert_eq!(json_out(&out)["contract"], 1);
    }
    // The decision commands and `import` take `--today` as well as `--now`.
    let input = json!({"account": {"id": "a"}}).to_string();
    let out = warden(
        &[
            "eval",
            "--op",
            "effectiveStatus",
            "--preset",
            "002",
            "--today",
            "2026-11-22",
        ],
        input.as_bytes(),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = warden(
        &[
            "import",
            "--preset",
            "000",
            "--today",
            "2026-11-22",
            "--format",
            "csv",
            "-",
        ],
        b"firstName,lastName\nAda,Lovelace\n",
    );
    assert!(code(&out) <= 1, "{}", stderr(&out));
    // Both at once is a usage error, not a silent choice.
    let out = warden(
        &[
            "validate",
            "--preset",
            "000",
            "--today",
            "2026-11-22",
            "--now",
            "2026-11-22T10:00:00Z",
        ],
        record.as_bytes(),
    );
    assert_eq!(code(&out), 2);
}

#[test]
fn presets_are_found_by_what_warden_presets_prints_and_by_number() {
    let listed = json_out(&warden(&["presets"], b""));
    for p in listed.as_array().unwrap() {
        for name in [p["id"].as_str().unwrap(), p["name"].as_str().unwrap()] {
            let out = warden(&["presets", "show", name], b"");
            assert_eq!(code(&out), 0, "{name}: {}", stderr(&out));
        }
    }
    let out = warden(&["presets", "show", "2"], b"");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("rental-platform"));
}

#[test]
fn validate_says_so_when_given_the_operation_input_instead_of_a_record() {
    let wrapped = json!({"user": ada(), "today": "2026-11-22"}).to_string();
    let out = warden(
        &["validate", "--preset", "000", "--today", "2026-11-22"],
        wrapped.as_bytes(),
    );
    let err = assert_usage_error(&out);
    assert!(err.contains("not a user record"), "{err}");
    assert!(err.contains("warden eval --op validate"), "{err}");
}

#[test]
fn help_shows_the_account_shape_and_the_guard_facts() {
    for cmd in ["authorize", "transition", "delete", "eval"] {
        let out = warden(&[cmd, "--help"], b"");
        let text = stdout(&out);
        assert!(text.contains("ACCOUNTS"), "{cmd}");
        assert!(text.contains("\"superAdmin\""), "{cmd}");
        assert!(text.contains("activeBookings"), "{cmd}");
    }
}

#[test]
fn errors_name_no_rust_type_and_an_unknown_role_suggests_the_policys() {
    let out = warden(
        &[
            "authorize",
            "--preset",
            "001",
            "--now",
            "2026-11-22T10:00:00Z",
        ],
        json!({"actor": "a", "action": "users.read", "target": {"id": "b"}})
            .to_string()
            .as_bytes(),
    );
    let err = assert_usage_error(&out);
    assert!(!err.contains("struct"), "{err}");
    assert!(err.contains("expected an object"), "{err}");
    let out = warden(
        &["authorize", "--preset", "001", "--now", "2026-11-22T10:00:00Z"],
        json!({"actor": {"id": "a", "roles": ["emploee"]}, "action": "users.read", "target": {"id": "b"}})
            .to_string()
            .as_bytes(),
    );
    let err = assert_usage_error(&out);
    assert!(err.contains("did you mean `employee`"), "{err}");
}
