//! What forms need from the kernel: messages in every built-in language, a tenant's own
//! messages and languages (checked at load), and validation of one field at a time that
//! agrees with validation of the whole record.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::{Map, Value, json};
use warden_core::policy::{Mode, PolicyErrorKind, presets};
use warden_core::validate::{UniqueFact, validate_field};
use warden_core::{Code, Date, Lang, Policy, ValidationContext, ValidationFacts, validate_user};

fn today() -> Date {
    "2026-11-22".parse().unwrap()
}

fn record(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

fn ctx(lang: Lang, facts: &ValidationFacts) -> ValidationContext<'_> {
    ValidationContext {
        mode: Mode::Create,
        today: today(),
        lang,
        facts,
        mfa: false,
    }
}

/// A preset's document with `messages` set to `messages`.
fn with_messages(preset: &str, messages: Value) -> Result<Policy, warden_core::PolicyError> {
    let mut doc: Value = serde_json::from_str(presets::find(preset).unwrap().json).unwrap();
    doc["messages"] = messages;
    Policy::from_value(doc)
}

#[test]
fn messages_exist_in_english_french_german_and_spanish() {
    let policy = Policy::preset("production-planner-pro").unwrap();
    let user = record(json!({"firstName": "Ada", "email": "nope"}));
    let facts = ValidationFacts::default();
    let mut seen = Vec::new();
    for &lang in Lang::ALL {
        let d = validate_user(&policy, &user, &ctx(lang, &facts));
        let messages: Vec<&str> = d.violations.iter().map(|v| v.message.as_str()).collect();
        assert!(!messages.is_empty());
        seen.push(messages.join("|"));
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 4, "four different catalogues: {seen:?}");
}

#[test]
fn a_policy_overrides_messages_and_adds_a_language() {
    let policy = with_messages(
        "production-planner-pro",
        json!({
            "en": {"required": "please fill this in"},
            "de": {"invalid_email": "keine E-Mail-Adresse ({reason})"},
            "it": {"required": "questo campo è obbligatorio", "too_long": "al massimo {max} caratteri"}
        }),
    )
    .unwrap();
    let facts = ValidationFacts::default();
    let user = record(json!({"lastName": "Lovelace", "email": "nope"}));
    let en = validate_user(&policy, &user, &ctx(Lang::En, &facts));
    let first = en
        .violations
        .iter()
        .find(|v| v.path.field() == Some("firstName"))
        .unwrap();
    assert_eq!(first.code, Code::Required);
    assert_eq!(first.message, "please fill this in");
    let de = validate_user(&policy, &user, &ctx(Lang::De, &facts));
    let email = de
        .violations
        .iter()
        .find(|v| v.code == Code::InvalidEmail)
        .unwrap();
    assert_eq!(email.message, "keine E-Mail-Adresse (@ fehlt)");
    // Not overridden in German: the built-in German message.
    let req = de
        .violations
        .iter()
        .find(|v| v.code == Code::Required)
        .unwrap();
    assert_eq!(req.message, "dieses Feld ist erforderlich");
    // The added language: its own messages, English for the rest.
    let it: Lang = "it".parse().unwrap();
    assert!(policy.speaks(it));
    let d = validate_user(&policy, &user, &ctx(it, &facts));
    let req = d
        .violations
        .iter()
        .find(|v| v.code == Code::Required)
        .unwrap();
    assert_eq!(req.message, "questo campo è obbligatorio");
    let email = d
        .violations
        .iter()
        .find(|v| v.code == Code::InvalidEmail)
        .unwrap();
    assert_eq!(email.message, "is not a valid email address (missing @)");
    // Through the JSON entry point too; a language the policy does not add is refused.
    let req = |lang: &str| {
        let mut doc: Value = serde_json::to_value(policy.document()).unwrap();
        doc["warden"] = json!(1);
        warden_core::api::evaluate(&json!({
            "policy": doc, "op": "validate", "lang": lang,
            "input": {"today": "2026-11-22", "user": {"email": "nope"}}
        }))
    };
    let ok = req("it").unwrap();
    assert!(
        ok["violations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["message"] == "questo campo è obbligatorio")
    );
    let err = req("nl").unwrap_err();
    assert_eq!(err.path(), Some("lang"));
    assert!(err.help().unwrap_or_default().contains("`it`"), "{err:?}");
    assert!(!Policy::preset("crm").unwrap().speaks("nl".parse().unwrap()));
}

#[test]
fn bad_messages_are_typed_policy_errors_naming_the_field() {
    let cases = [
        (
            json!({"xx-": {"required": "x"}}),
            "messages.xx-",
            "language tag",
        ),
        (
            json!({"fr-CA": {"required": "x"}}),
            "messages.fr-CA",
            "variant",
        ),
        (
            json!({"en": {"requird": "x"}}),
            "messages.en.requird",
            "not a violation code",
        ),
        (
            json!({"en": {"not_permitted": "x"}}),
            "messages.en.not_permitted",
            "denial code",
        ),
        (
            json!({"en": {"too_short": "at least {minimum}"}}),
            "messages.en.too_short",
            "`{minimum}` is not a param of `too_short`",
        ),
        (
            json!({"en": {"required": "a {b"}}),
            "messages.en.required",
            "not closed",
        ),
        (
            json!({"en": {"required": " "}}),
            "messages.en.required",
            "empty",
        ),
    ];
    for (messages, path, reason) in cases {
        let err = with_messages("crm", messages.clone()).unwrap_err();
        assert_eq!(err.kind(), PolicyErrorKind::Invalid, "{messages}");
        assert_eq!(err.path(), path, "{messages}");
        assert!(
            err.reason().contains(reason),
            "{messages}: {}",
            err.reason()
        );
    }
    let err = with_messages("crm", json!({"en": {"too_short": "{mn}"}})).unwrap_err();
    assert_eq!(err.help(), Some("did you mean `{min}`?"));
    // The placeholders a code may use are its params.
    assert!(
        with_messages(
            "crm",
            json!({"en": {"too_short": "{min} at least, {actual} given"}})
        )
        .is_ok()
    );
}

/// Each field's own validation is the whole record's, restricted to that field.
#[test]
fn a_field_validates_as_in_the_whole_record() {
    let records = [
        (
            "production-planner-pro",
            json!({"firstName": "A<b>", "lastName": "", "email": "x@@y", "password": "abc", "organization": "acme", "phone": "12"}),
        ),
        (
            "hr-platform",
            json!({"firstName": "Sophie", "lastName": "Martin", "email": "user1@company.com", "jobTitle": "Senior Software Engineer", "department": "Sales", "status": "active", "birthdate": "2030-01-01"}),
        ),
        (
            "rental-platform",
            json!({"firstName": "Léa", "lastName": "Roux", "email": "lea@example.fr", "phone": "06 12 34 56 78", "accountType": "customer", "birthdate": "2015-01-01", "password": "password"}),
        ),
        (
            "crm",
            json!({"username": "bad name", "firstName": "Jo", "lastName": "Doe", "email": "jo@example.com", "password": "Aa1!aaaaaaaa", "organization": "acme", "employeeId": "-x"}),
        ),
        (
            "prs-procurement",
            json!({"username": "jd", "firstName": "J", "lastName": "D", "userType": "boss", "department": "", "supervisor": "msmith"}),
        ),
    ];
    let mut facts = ValidationFacts::default();
    facts.unique.insert(
        "email_unique".into(),
        UniqueFact {
            key: None,
            taken: true,
            existing_id: Some("u-1".into()),
            existing_status: Some("inactive".into()),
        },
    );
    for (preset, user) in records {
        let policy = Policy::preset(preset).unwrap();
        let user = record(user);
        for &lang in Lang::ALL {
            let c = ctx(lang, &facts);
            let whole = validate_user(&policy, &user, &c);
            for (name, _) in policy.document().fields.iter() {
                let one = validate_field(&policy, &user, name, &c).unwrap();
                let expected: Vec<_> = whole
                    .violations
                    .iter()
                    .filter(|v| v.path.field() == Some(name))
                    .collect();
                let got: Vec<_> = one.violations.iter().collect();
                assert_eq!(got, expected, "{preset} {name} {lang:?}");
                let checks: Vec<_> = whole.checks.iter().filter(|k| &*k.field == name).collect();
                assert_eq!(
                    one.checks.iter().collect::<Vec<_>>(),
                    checks,
                    "{preset} {name}"
                );
                assert_eq!(
                    one.normalized.get(name),
                    whole.normalized.get(name),
                    "{preset} {name}"
                );
                assert!(one.normalized.keys().all(|k| k == name), "{preset} {name}");
                assert_eq!(
                    one.password.is_some(),
                    name == "password" && whole.password.is_some()
                );
            }
        }
    }
    let policy = Policy::preset("crm").unwrap();
    let err = validate_field(&policy, &Map::new(), "emial", &ctx(Lang::En, &facts)).unwrap_err();
    assert_eq!(err.closest.as_deref(), Some("email"));
}

#[test]
fn the_json_entry_point_validates_one_field() {
    let d = warden_core::api::evaluate(&json!({
        "preset": "rental-platform", "op": "validate", "lang": "es",
        "input": {"today": "2026-11-22", "field": "birthdate",
                  "user": {"accountType": "customer", "birthdate": "2015-01-01", "email": "nope"}}
    }))
    .unwrap();
    let v = d["violations"].as_array().unwrap();
    assert_eq!(v.len(), 1, "{d}");
    assert_eq!(v[0]["code"], "too_young");
    assert_eq!(v[0]["message"], "la edad mínima es de 18 años");
    let err = warden_core::api::evaluate(&json!({
        "preset": "crm", "op": "validate",
        "input": {"today": "2026-11-22", "field": "emial", "user": {}}
    }))
    .unwrap_err();
    assert_eq!(err.path(), Some("input.field"));
    assert_eq!(err.help(), Some("did you mean `email`?"));
}
