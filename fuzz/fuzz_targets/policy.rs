//! A policy document: parse and compile.
//!
//! Invariants: no panic; the text path (`Policy::from_json`) and the value path
//! (`Policy::from_value`, which re-reads the value as text, `value_route.rs`) agree with the
//! value deserialiser: the same document and hash, or an error at the same key path with the
//! same reason; an accepted policy's own document compiles again to the same hash; a
//! compiled policy validates a record without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use warden_core::policy::{Mode, PolicyDocument};
use warden_core::{Date, Lang, Policy, ValidationContext, ValidationFacts};

fuzz_target!(
    // The built-in common-password list is sorted once per process: not per input.
    init: {
        let _ = warden_core::password::Blocklist::builtin();
    },
    |data: &[u8]| {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        let from_text = Policy::from_json(text);
        if let Err(e) = &from_text {
            assert!(!e.reason().is_empty(), "a policy error without a reason");
        }
        let Ok(value) = serde_json::from_str::<Value>(text) else {
            assert!(
                from_text.is_err(),
                "text that is not JSON compiled as a policy"
            );
            return;
        };

        // The value path against the value deserialiser itself.
        let from_value = Policy::from_value(value.clone());
        match serde_path_to_error::deserialize::<_, PolicyDocument>(&value) {
            Err(e) => {
                let Err(got) = &from_value else {
                    panic!("the value path accepted a document the value deserialiser refuses: {e}")
                };
                let path = e.path().to_string();
                let path = if path == "." { String::new() } else { path };
                assert!(
                    echoes(got.path(), &path),
                    "value path: error path differs ({e})"
                );
                assert!(
                    echoes(got.reason(), e.inner().to_string().trim_end_matches('.')),
                    "value path: error reason differs"
                );
            }
            Ok(doc) => match (Policy::from_document(doc), &from_value) {
                (Ok(a), Ok(b)) => assert_eq!(a.hash(), b.hash(), "value path: hash differs"),
                (Err(a), Err(b)) => {
                    assert_eq!(
                        (a.path(), a.reason()),
                        (b.path(), b.reason()),
                        "value path: error differs"
                    )
                }
                (a, b) => panic!(
                    "value path disagrees: {:?} vs {:?}",
                    a.map(|p| p.hash().to_owned()),
                    b.as_ref().map(|p| p.hash())
                ),
            },
        }

        // Text with unique keys (the value written out) reads as the value does.
        let canonical = value.to_string();
        match (Policy::from_json(&canonical), &from_value) {
            (Ok(a), Ok(b)) => assert_eq!(a.hash(), b.hash(), "text and value paths: hash differs"),
            (Err(a), Err(b)) => assert_eq!(
                a.path(),
                b.path(),
                "text and value paths: error path differs"
            ),
            (a, b) => panic!(
                "text and value paths disagree: {:?} vs {:?}",
                a.map(|p| p.hash().to_owned()),
                b.as_ref().map(|p| p.hash())
            ),
        }

        let Ok(policy) = from_value else { return };
        assert!(policy.hash().starts_with("sha256:") && policy.hash().len() == 71);
        // The compiled document, written out, compiles to the same policy.
        let doc = serde_json::to_string(policy.document()).expect("a document serialises");
        match Policy::from_json(&doc) {
            Ok(again) => assert_eq!(
                again.hash(),
                policy.hash(),
                "the document's own JSON hashes otherwise"
            ),
            Err(e) => panic!("an accepted policy's own document is refused: {e}\n{doc}"),
        }

        // Exercise the compiled policy on a small record.
        let facts = ValidationFacts::default();
        let ctx = ValidationContext {
            mode: Mode::Create,
            today: Date::parse("2026-11-22").expect("a date"),
            lang: Lang::En,
            facts: &facts,
            mfa: false,
        };
        let record =
            serde_json::json!({"firstName": "Ada", "email": "ada@example.com", "password": "x"});
        if let Value::Object(record) = record {
            let d = warden_core::validate_user(&policy, &record, &ctx);
            assert_eq!(d.policy.as_ref(), policy.hash());
        }
    }
);

/// Whether a policy error's `echo` says `full`: the same, or, for a long one, its start
/// cut with `…` (a refused policy echoes at most a bounded part of itself).
fn echoes(echo: &str, full: &str) -> bool {
    echo == full
        || echo
            .strip_suffix('…')
            .is_some_and(|start| full.starts_with(start) && full.len() > start.len())
}
