//! Import: CSV and JSON Lines bytes. The first byte picks the preset (of the five), the
//! format and whether records are returned; the rest is the file.
//!
//! Invariants: no panic; a file is refused only as a whole with a typed error; a report's
//! counts, statuses and row reports agree; the JSON entry point gives the same report;
//! the streamed report text (`api::validate_import_json`) is the report's own.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use warden_core::api::{self, Op};
use warden_core::import::{ImportFormat, ImportOptions, validate_import};
use warden_core::policy::Mode;
use warden_core::{Date, Lang, Policy, ValidationContext, ValidationFacts};
use warden_fuzz::check_import_report;

const PRESETS: [&str; 5] = ["000", "001", "002", "003", "004"];

fn policies() -> &'static Vec<Policy> {
    static P: OnceLock<Vec<Policy>> = OnceLock::new();
    P.get_or_init(|| {
        PRESETS
            .iter()
            .map(|p| Policy::preset(p).expect("a shipped preset"))
            .collect()
    })
}

fuzz_target!(
    // The built-in common-password list is sorted once per process: not per input.
    init: {
        let _ = warden_core::password::Blocklist::builtin();
    },
    |data: &[u8]| {
        let Some((&selector, file)) = data.split_first() else {
            return;
        };
        let policy = &policies()[usize::from(selector & 7) % PRESETS.len()];
        let format = if selector & 8 == 0 {
            ImportFormat::Csv
        } else {
            ImportFormat::JsonLines
        };
        let records = selector & 16 != 0;
        let facts = ValidationFacts::default();
        let today = Date::parse("2026-11-22").expect("a date");
        let ctx = ValidationContext {
            mode: Mode::Import,
            today,
            lang: Lang::En,
            facts: &facts,
            mfa: false,
        };
        let report = validate_import(policy, file, ImportOptions { format, records }, &ctx);
        if let Ok(r) = &report {
            check_import_report(r);
            assert_eq!(r.records.is_some(), records, "records returned iff asked");
        }
        // Written as the rows are read (the wasm package's path): the report's own text.
        let streamed = api::validate_import_json(policy, file, ImportOptions { format, records }, &ctx, api::Passwords::Keep);
        match (&report, streamed) {
            (Ok(r), Ok(s)) => {
                let mut without_status = r.clone();
                let status = std::mem::take(&mut without_status.status);
                assert_eq!(s.status, status, "the streamed status differs");
                let text = api::import_report_json(&without_status).expect("a report writes");
                assert!(s.text == text, "the streamed report text differs");
            }
            (Err(e), Err(a)) => assert_eq!(e.to_string(), a.to_string()),
            (r, s) => panic!(
                "import and the streamed import disagree: {:?} vs {:?}",
                r.as_ref().err(),
                s.err()
            ),
        }
        // The JSON entry point takes the file as text.
        let Ok(text) = std::str::from_utf8(file) else {
            assert!(report.is_err(), "bytes that are not UTF-8 were imported");
            return;
        };
        let input = serde_json::json!({
            "format": if format == ImportFormat::Csv { "csv" } else { "jsonLines" },
            "records": records, "data": text, "today": "2026-11-22",
        });
        let via_api = api::evaluate_with(policy, Op::Import, Lang::En, input);
        match (&report, via_api) {
            (Ok(r), Ok(v)) => {
                let mut expected = serde_json::to_value(r).expect("a report serialises");
                if let serde_json::Value::Object(m) = &mut expected {
                    m.insert("contract".into(), 1.into());
                    // The entry point's records carry no password, nor a key the policy
                    // does not declare (a decision never carries a password).
                    let records = m.get_mut("records").and_then(|r| r.as_array_mut());
                    for record in records.into_iter().flatten() {
                        if let Some(o) = record.as_object_mut() {
                            warden_core::import::shown_record(policy, o);
                        }
                    }
                }
                assert_eq!(v, expected, "the JSON entry point imports otherwise");
            }
            (Err(e), Err(a)) => assert!(!e.to_string().is_empty() && !a.to_string().is_empty()),
            (r, a) => panic!(
                "import and the entry point disagree: {:?} vs {:?}",
                r.as_ref().err(),
                a.err()
            ),
        }
    }
);
