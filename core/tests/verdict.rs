//! `validate_verdict` is `validate_user` without the stored record: for every validation
//! case of the conformance vectors (every preset, valid and invalid records, facts, modes,
//! languages), both give the same verdict, violations, checks and password summary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use serde_json::Value;
use warden_core::api::{ValidateInput, load_policy};
use warden_core::messages::Lang;
use warden_core::validate::{ValidationContext, validate_user, validate_verdict};

#[test]
fn the_verdict_is_the_decision_without_the_stored_record() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
    let mut compared = 0;
    let mut invalid = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for case in doc["cases"].as_array().unwrap() {
            let request = &case["request"];
            if request["op"] != "validate" {
                continue;
            }
            let Ok(policy) = load_policy(request["preset"].as_str(), request.get("policy")) else {
                continue;
            };
            let Ok(input) = serde_json::from_value::<ValidateInput>(request["input"].clone())
            else {
                continue;
            };
            // Cases about an unsupported language are errors, not decisions.
            let Ok(lang) = request
                .get("lang")
                .map_or(Ok(Lang::default()), |l| serde_json::from_value(l.clone()))
            else {
                continue;
            };
            let ctx = ValidationContext {
                mode: input.mode,
                today: input.today,
                lang,
                facts: &input.facts,
                mfa: input.mfa,
            };
            let decision = validate_user(&policy, &input.user, &ctx);
            let verdict = validate_verdict(&policy, &input.user, &ctx);
            let name = case["name"].as_str().unwrap_or("?");
            assert_eq!(verdict.valid, decision.valid, "{name}");
            assert_eq!(verdict.complete, decision.complete, "{name}");
            assert_eq!(verdict.violations, decision.violations, "{name}");
            assert_eq!(verdict.checks, decision.checks, "{name}");
            assert_eq!(verdict.password, decision.password, "{name}");
            assert_eq!(verdict.accepted(), decision.accepted(), "{name}");
            compared += 1;
            invalid += usize::from(!decision.valid);
        }
    }
    assert!(compared >= 100, "only {compared} validation cases compared");
    assert!(invalid >= 30, "only {invalid} invalid records among them");
}
