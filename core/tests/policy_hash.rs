//! The policy hash is over the document as the kernel reads it: two documents that decide
//! alike hash alike (white space, the order of keys whose order means nothing), and two
//! whose ordered maps differ do not, since the order there is meaning (a derivation's
//! `contains` is matched in document order).
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
fn the_hash_follows_what_the_policy_decides() {
    let product_first = [("product", "Product Management"), ("design", "Design")];
    let design_first = [("design", "Design"), ("product", "Product Management")];
    let a = Policy::from_json(&document(&product_first, true)).unwrap();
    let same = Policy::from_json(&document(&product_first, false)).unwrap();
    let b = Policy::from_json(&document(&design_first, true)).unwrap();
    // The order of `contains` decides the department of a title naming both...
    assert_eq!(
        department(&a, "Product Designer"),
        json!("Product Management")
    );
    assert_eq!(department(&b, "Product Designer"), json!("Design"));
    // ...so the hash tells the two policies apart,
    assert_ne!(a.hash(), b.hash());
    // and not two spellings of the same one.
    assert_eq!(a.hash(), same.hash());
    // A document read back from its own serialisation is the same policy.
    let again = Policy::from_json(&serde_json::to_string(a.document()).unwrap()).unwrap();
    assert_eq!(again.hash(), a.hash());
}
