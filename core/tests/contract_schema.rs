//! The committed JSON Schema of the contract (`contract/schema.json`) is exactly what the
//! contract's types generate: a change to a request or response type fails here until the
//! schema is regenerated (`WARDEN_BLESS=1 cargo test -p warden-core --features schema --test
//! contract_schema`) and the change reviewed as a diff.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::PathBuf;

use serde_json::Value;
use warden_core::api::{Op, schema::contract_schema};

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../contract/schema.json")
}

#[test]
fn committed_schema_matches_the_types() {
    let generated = contract_schema();
    let text = serde_json::to_string_pretty(&generated).unwrap() + "\n";
    let path = committed_path();
    if std::env::var_os("WARDEN_BLESS").is_some() {
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "contract/schema.json is out of date with the contract's types: regenerate it with \
         `WARDEN_BLESS=1 cargo test -p warden-core --features schema --test contract_schema` \
         (and `npm run types` for the TypeScript declarations), then review the diff"
    );
}

#[test]
fn every_operation_names_an_input_and_a_response_defined_in_the_schema() {
    let schema = contract_schema();
    let defs = schema["$defs"].as_object().unwrap();
    for op in Op::ALL {
        let entry = &schema["x-operations"][op.name()];
        for key in ["input", "response"] {
            let r = entry[key].as_str().unwrap();
            let name = r.strip_prefix("#/$defs/").unwrap();
            assert!(defs.contains_key(name), "{} {key}: {name}", op.name());
        }
        // Inputs refuse unknown fields, as the parser does.
        let input = entry["input"]
            .as_str()
            .unwrap()
            .strip_prefix("#/$defs/")
            .unwrap();
        assert_eq!(
            defs[input]["additionalProperties"],
            Value::Bool(false),
            "{input} must refuse unknown fields"
        );
    }
    assert_eq!(defs["Request"]["additionalProperties"], Value::Bool(false));
}
