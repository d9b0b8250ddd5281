//! A JSON object's keys have no order, so neither the policy hash nor any decision depends
//! on the order a document's keys are written in: a derivation's `contains` takes the
//! longest keyword found (then the first in alphabetical order), not the first written, and
//! the hash is over the canonical JSON (keys sorted). A policy decides alike whoever sorted
//! its keys on the way (a `serde_json::Value`, Go's `encoding/json`, a database).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use serde_json::{Map, Value, json};
use warden_core::policy::Mode;
use warden_core::{Date, Lang, Policy, ValidationContext, ValidationFacts, validate_user};

/// A policy deriving `department` from `jobTitle` by the `contains` entries, in the order
/// given (written as text: a `Map` would sort them).
fn document(contains: &[(&str, &str)], name_first: bool) -> String {
    let entries: Vec<String> = contains
        .iter()
        .map(|(k, v)| format!("{}:{}", json!(k), json!(v)))
        .collect();
    let fields = format!(
        r#""fields":{{"jobTitle":{{"type":"text"}},"department":{{"type":"text","derivedFrom":{{"field":"jobTitle","map":{{}},"contains":{{{}}}}}}}}}"#,
        entries.join(",")
    );
    if name_first {
        format!(r#"{{"warden":1,"name":"t",{fields}}}"#)
    } else {
        format!("{{\n  {fields},\n  \"name\": \"t\", \"warden\": 1\n}}")
    }
}

fn department(policy: &Policy, title: &str) -> Value {
    let facts = ValidationFacts::default();
    let ctx = ValidationContext {
        mode: Mode::Create,
        today: Date::parse("2026-12-06").unwrap(),
        lang: Lang::En,
        facts: &facts,
        mfa: false,
    };
    let mut user = Map::new();
    user.insert("jobTitle".into(), json!(title));
    validate_user(policy, &user, &ctx).normalized["department"].clone()
}

#[test]
fn the_order_keys_are_written_in_changes_neither_decisions_nor_the_hash() {
    let product_first = [
        ("product", "Product Management"),
        ("design", "Design"),
        ("qa", "Quality"),
    ];
    let design_first = [
        ("qa", "Quality"),
        ("design", "Design"),
        ("product", "Product Management"),
    ];
    let a = Policy::from_json(&document(&product_first, true)).unwrap();
    let b = Policy::from_json(&document(&design_first, false)).unwrap();
    for p in [&a, &b] {
        // The longest keyword found wins, wherever it is written.
        assert_eq!(
            department(p, "Product Designer"),
            json!("Product Management")
        );
        assert_eq!(department(p, "QA Designer"), json!("Design"));
        assert_eq!(department(p, "QA lead"), json!("Quality"));
    }
    assert_eq!(a.hash(), b.hash());
    // Of two keywords as long, the first in alphabetical order.
    let tie = Policy::from_json(&document(&[("zeta", "Z"), ("alfa", "A")], true)).unwrap();
    assert_eq!(department(&tie, "zeta alfa"), json!("A"));
}
