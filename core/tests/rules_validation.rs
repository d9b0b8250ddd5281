//! One test per validation-kind rule of `RULES.md`, through the typed API
//! ([`warden_core::validate_user`], [`Policy::preset`], [`ValidationContext`]).
//!
//! Each test is named with its rule id so that `grep -r r000_03` finds it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::{Map, Value, json};
use warden_core::policy::Mode;
use warden_core::validate::{Check, CheckKind, UniqueFact, Within};
use warden_core::{
    Code, Date, Lang, Path, Policy, Severity, ValidationContext, ValidationDecision,
    ValidationFacts, Violation, validate_user,
};

fn today() -> Date {
    "2026-11-22".parse().unwrap()
}

fn record(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

/// Validates `user` under `preset` with the given mode, facts and language.
fn run(
    preset: &str,
    user: Value,
    mode: Mode,
    facts: &ValidationFacts,
    lang: Lang,
) -> ValidationDecision {
    let policy = Policy::preset(preset).unwrap();
    let ctx = ValidationContext {
        mode,
        today: today(),
        lang,
        facts,
        mfa: false,
    };
    validate_user(&policy, &record(user), &ctx)
}

fn create(preset: &str, user: Value) -> ValidationDecision {
    run(
        preset,
        user,
        Mode::Create,
        &ValidationFacts::default(),
        Lang::En,
    )
}

fn with_facts(preset: &str, user: Value, facts: &ValidationFacts) -> ValidationDecision {
    run(preset, user, Mode::Create, facts, Lang::En)
}

/// `(code, dotted path, severity)` of every violation, in order.
fn summary(d: &ValidationDecision) -> Vec<(Code, String, Severity)> {
    d.violations
        .iter()
        .map(|v| (v.code, v.path.to_string(), v.severity))
        .collect()
}

fn errors(list: &[(Code, &str)]) -> Vec<(Code, String, Severity)> {
    list.iter()
        .map(|(c, p)| (*c, (*p).to_owned(), Severity::Error))
        .collect()
}

fn only(d: &ValidationDecision) -> &Violation {
    assert_eq!(
        d.violations.len(),
        1,
        "expected exactly one violation: {:#?}",
        d.violations
    );
    &d.violations[0]
}

fn param<'a>(v: &'a Violation, key: &str) -> &'a Value {
    v.params
        .get(key)
        .unwrap_or_else(|| panic!("no param `{key}` in {:?}", v.params))
}

fn unique_fact(key: &str, taken: bool, status: Option<&str>) -> UniqueFact {
    UniqueFact {
        key: Some(key.to_owned()),
        taken,
        existing_id: Some("u-17".into()),
        existing_status: status.map(str::to_owned),
    }
}

fn facts_unique(check: &str, fact: UniqueFact) -> ValidationFacts {
    let mut f = ValidationFacts::default();
    f.unique.insert(check.to_owned(), fact);
    f
}

fn check<'a>(d: &'a ValidationDecision, id: &str) -> &'a Check {
    d.checks
        .iter()
        .find(|c| &*c.check == id)
        .unwrap_or_else(|| panic!("no check `{id}` in {:#?}", d.checks))
}

fn ada() -> Value {
    json!({"firstName": "Ada", "lastName": "Lovelace", "email": "ada.lovelace@acme.example",
           "password": "Tr0ub4dor&3x!", "organization": "acme"})
}

fn sophie() -> Value {
    json!({"firstName": "Sophie", "lastName": "Martin", "email": "sophie.martin@company.com",
           "jobTitle": "Senior Software Engineer", "manager": "u-sarah", "status": "active"})
}

fn lina() -> Value {
    json!({"firstName": "Lina", "lastName": "Haddad", "email": "lina.haddad@example.com",
           "phone": "+33 6 12 34 56 78", "accountType": "customer", "birthdate": "1990-05-15",
           "password": "violet-harbor-quartz-lamp"})
}

fn jean() -> Value {
    json!({"firstName": "Jean", "lastName": "Dupont", "email": "jean.dupont@crm.example",
           "password": "Kx7#mPq2vL", "organization": "company-a", "employeeId": "E-1001"})
}

fn jdoe() -> Value {
    json!({"username": "jdoe", "firstName": "John", "lastName": "Doe", "userType": "requester",
           "department": "Procurement", "supervisor": "u-7"})
}

fn set(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

fn remove(mut v: Value, key: &str) -> Value {
    v.as_object_mut().unwrap().remove(key);
    v
}

// ---------------------------------------------------------------- 000

#[test]
fn r000_01_required_fields_on_create() {
    let d = create("000", json!({}));
    assert!(!d.valid);
    assert_eq!(
        summary(&d),
        errors(&[
            (Code::Required, "firstName"),
            (Code::Required, "lastName"),
            (Code::Required, "email"),
            (Code::Required, "password"),
            (Code::Required, "organization"),
        ])
    );
    assert_eq!(d.violations[0].message, "this field is required");
    assert!(
        d.violations.iter().all(|v| v.params.is_empty()),
        "unconditional requirements carry no params"
    );
    assert!(d.checks.is_empty());

    // Complete record: valid; phone is optional.
    let d = create("000", ada());
    assert!(d.valid, "{:#?}", d.violations);
    assert!(d.violations.is_empty());
    assert!(
        !d.normalized.contains_key("password"),
        "the password is never echoed"
    );
    assert_eq!(d.normalized["firstName"], "Ada");

    // A given phone is normalised.
    let d = create("000", set(ada(), "phone", json!("+33 6 12 34 56 78")));
    assert!(d.valid);
    assert_eq!(d.normalized["phone"], "+33612345678");
}

#[test]
fn r000_02_email_unique_case_insensitive() {
    let d = create(
        "000",
        set(ada(), "email", json!("Ada.Lovelace@ACME.Example")),
    );
    assert!(d.valid);
    assert!(
        !d.complete,
        "an unanswered uniqueness check leaves the decision incomplete"
    );
    assert!(!d.accepted());
    assert_eq!(
        check(&d, "email_unique"),
        &Check {
            check: "email_unique".into(),
            kind: CheckKind::Unique,
            field: "email".into(),
            key: "ada.lovelace@acme.example".into(),
            within: None,
            answered: false,
        }
    );
    assert_eq!(d.normalized["email"], "Ada.Lovelace@acme.example");

    // Answered with a differently-cased key: the answer applies.
    let facts = facts_unique(
        "email_unique",
        unique_fact("ADA.LOVELACE@acme.example", true, Some("active")),
    );
    let d = with_facts("000", ada(), &facts);
    assert!(check(&d, "email_unique").answered);
    let v = only(&d);
    assert_eq!(
        (v.code, v.path.clone(), v.severity),
        (Code::Duplicate, Path::key("email"), Severity::Error)
    );
    assert_eq!(param(v, "check"), "email_unique");
    assert!(
        !v.params.contains_key("suggestion"),
        "000 suggests nothing for an active duplicate"
    );

    // Free, and the organisation exists: complete and accepted.
    let mut facts = facts_unique(
        "email_unique",
        unique_fact("ada.lovelace@acme.example", false, None),
    );
    facts.exists.insert("organization_exists".into(), true);
    let d = with_facts("000", ada(), &facts);
    assert!(d.valid && d.complete && d.accepted());

    // A fact about another key is stale: ignored.
    let facts = facts_unique(
        "email_unique",
        unique_fact("other@acme.example", true, Some("active")),
    );
    let d = with_facts("000", ada(), &facts);
    assert!(d.valid);
    assert!(!check(&d, "email_unique").answered);
}

#[test]
fn r000_03_email_must_be_valid() {
    let reason = |email: &str| {
        let d = create("000", set(ada(), "email", json!(email)));
        assert!(!d.valid, "{email} should be invalid");
        let v = only(&d);
        assert_eq!(v.path, Path::key("email"));
        (v.code, v.params.get("reason").cloned())
    };
    assert_eq!(
        reason("ada.lovelace"),
        (Code::InvalidEmail, Some(json!("missing @")))
    );
    assert_eq!(
        reason("a@b@acme.example"),
        (Code::InvalidEmail, Some(json!("more than one @")))
    );
    assert_eq!(
        reason("ada..l@acme.example"),
        (Code::InvalidEmail, Some(json!("consecutive dots")))
    );
    assert_eq!(
        reason(".ada@acme.example"),
        (Code::InvalidEmail, Some(json!("leading or trailing dot")))
    );
    assert_eq!(
        reason("ada@localhost"),
        (Code::InvalidDomain, Some(json!("missing top-level domain")))
    );
    assert_eq!(reason("ada@-acme.example").0, Code::InvalidDomain);
    assert_eq!(
        reason("ada@bücher.example"),
        (
            Code::InvalidDomain,
            Some(json!("internationalised domains are not allowed"))
        )
    );
    let local65 = format!("{}@acme.example", "a".repeat(65));
    assert_eq!(reason(&local65).0, Code::EmailLocalTooLong);
    let d = create("000", set(ada(), "email", json!(local65)));
    assert_eq!(param(&d.violations[0], "max"), 64);
    assert_eq!(param(&d.violations[0], "actual"), 65);
    let local64 = format!("{}@acme.example", "a".repeat(64));
    assert!(create("000", set(ada(), "email", json!(local64))).valid);
    // The whole address: at most 254 octets.
    let domain = format!("{}exa", format!("{}.", "b".repeat(61)).repeat(3));
    let ok = format!("{}@{domain}", "a".repeat(64));
    assert_eq!(ok.len(), 254);
    assert!(create("000", set(ada(), "email", json!(ok))).valid);
    // One octet more: one violation, the email-specific one (not also a generic `too_long`).
    let long = format!("{}@{}", "a".repeat(64), domain.replace("exa", "exam"));
    assert_eq!(long.len(), 255);
    let d = create("000", set(ada(), "email", json!(long)));
    assert_eq!(summary(&d), errors(&[(Code::EmailTooLong, "email")]));
    assert_eq!(param(only(&d), "max"), 254);
    assert_eq!(param(only(&d), "actual"), 255);
    // French: same code, French message.
    let d = run(
        "000",
        set(ada(), "email", json!("ada")),
        Mode::Create,
        &ValidationFacts::default(),
        Lang::Fr,
    );
    assert!(
        only(&d)
            .message
            .starts_with("n'est pas une adresse e-mail valide"),
        "{}",
        d.violations[0].message
    );
}

#[test]
fn r000_04_password_complexity_and_common_passwords() {
    let codes = |pw: &str| -> Vec<Code> {
        let d = create("000", set(ada(), "password", json!(pw)));
        assert!(
            d.violations
                .iter()
                .all(|v| v.path == Path::key("password") && v.severity == Severity::Error)
        );
        assert!(!d.normalized.contains_key("password"));
        d.violations.iter().map(|v| v.code).collect()
    };
    assert_eq!(
        codes("password123"),
        [
            Code::PasswordMissingUpper,
            Code::PasswordMissingSpecial,
            Code::PasswordCommon
        ]
    );
    assert_eq!(codes("Password123!"), [Code::PasswordCommon]);
    assert_eq!(codes("P@ssw0rd2024"), [Code::PasswordCommon]);
    assert_eq!(codes("Ab1!x"), [Code::PasswordTooShort]);
    assert_eq!(codes("kx7#mpq2vl"), [Code::PasswordMissingUpper]);
    assert_eq!(codes("KX7#MPQ2VL"), [Code::PasswordMissingLower]);
    assert_eq!(codes("Kxz#mPqvLw"), [Code::PasswordMissingDigit]);
    assert_eq!(codes("Kx7zmPq2vL"), [Code::PasswordMissingSpecial]);
    assert_eq!(codes("Tr0ub4dor&3x!"), []);
    let d = create("000", set(ada(), "password", json!("Ab1!x")));
    assert_eq!(param(only(&d), "min"), 8);
    assert_eq!(param(only(&d), "actual"), 5);
    // Similar to the user's own data: one violation per attribute.
    let d = create("000", set(ada(), "password", json!("Lovelace#2024")));
    let attrs: Vec<&Value> = d.violations.iter().map(|v| param(v, "attribute")).collect();
    assert_eq!(attrs, [&json!("lastName"), &json!("email")]);
    // The summary carries score and checklist, never the password.
    let summary = d.password.as_ref().unwrap();
    assert_eq!(summary.score, 0);
    assert_eq!(summary.checklist.len(), 10);
}

#[test]
fn r000_05_blank_password_on_edit_keeps_current() {
    let facts = ValidationFacts::default();
    for blank in [json!(""), json!("   "), Value::Null] {
        let d = run(
            "000",
            set(ada(), "password", blank.clone()),
            Mode::Update,
            &facts,
            Lang::En,
        );
        assert!(d.valid, "{blank}: {:#?}", d.violations);
        assert!(d.violations.is_empty());
        assert!(d.password.is_none(), "a kept password is not checked");
        assert!(!d.normalized.contains_key("password"));
    }
    let d = run(
        "000",
        remove(ada(), "password"),
        Mode::Update,
        &facts,
        Lang::En,
    );
    assert!(d.valid);
    // On create, blank is missing.
    let d = create("000", set(ada(), "password", json!("")));
    assert_eq!(summary(&d), errors(&[(Code::Required, "password")]));
    // On update, a non-blank password must pass R000-04.
    let d = run(
        "000",
        set(ada(), "password", json!("xkq")),
        Mode::Update,
        &facts,
        Lang::En,
    );
    assert_eq!(
        summary(&d),
        errors(&[
            (Code::PasswordTooShort, "password"),
            (Code::PasswordMissingUpper, "password"),
            (Code::PasswordMissingDigit, "password"),
            (Code::PasswordMissingSpecial, "password"),
        ])
    );
    // Only the password may be left blank.
    let d = run(
        "000",
        set(set(ada(), "password", json!("")), "lastName", json!("")),
        Mode::Update,
        &facts,
        Lang::En,
    );
    assert_eq!(summary(&d), errors(&[(Code::Required, "lastName")]));
}

#[test]
fn r000_11_duplicate_inactive_suggests_reactivation() {
    let facts = facts_unique(
        "email_unique",
        unique_fact("ada.lovelace@acme.example", true, Some("inactive")),
    );
    let d = with_facts("000", ada(), &facts);
    assert!(!d.valid);
    let v = only(&d);
    assert_eq!(
        (v.code, v.path.clone(), v.severity),
        (Code::Duplicate, Path::key("email"), Severity::Error)
    );
    assert_eq!(param(v, "suggestion"), "reactivate");
    assert_eq!(param(v, "existingId"), "u-17");
    assert_eq!(param(v, "existingStatus"), "inactive");
    assert_eq!(
        v.message,
        "is already used by another account: the existing account is inactive, reactivate it instead"
    );
    let d = run("000", ada(), Mode::Create, &facts, Lang::Fr);
    assert_eq!(
        only(&d).message,
        "est déjà utilisé par un autre compte : le compte existant est inactif, réactivez-le plutôt"
    );
    // An active duplicate: said so, no suggestion.
    let facts = facts_unique(
        "email_unique",
        unique_fact("ada.lovelace@acme.example", true, Some("active")),
    );
    let d = with_facts("000", ada(), &facts);
    assert_eq!(only(&d).message, "is already used by another account");
}

// ---------------------------------------------------------------- 001

#[test]
fn r001_01_required_fields_and_department_derived() {
    let d = create("001", json!({"manager": null}));
    assert_eq!(
        summary(&d)[..5],
        errors(&[
            (Code::Required, "firstName"),
            (Code::Required, "lastName"),
            (Code::Required, "email"),
            (Code::Required, "jobTitle"),
            (Code::Required, "status"),
        ])[..]
    );
    // Manager is required as a key, but null is allowed for the head of the organisation.
    let d = create("001", remove(sophie(), "manager"));
    assert!(!d.valid);
    assert!(
        d.errors()
            .any(|v| v.code == Code::Required && v.path == Path::key("manager"))
    );

    let d = create("001", sophie());
    assert!(d.valid, "{:#?}", d.violations);
    assert!(d.violations.is_empty());
    assert_eq!(d.normalized["department"], "Engineering");
    assert_eq!(check(&d, "manager_exists").kind, CheckKind::Exists);
    assert_eq!(check(&d, "manager_exists").key, "u-sarah");
    assert_eq!(
        create("001", set(sophie(), "jobTitle", json!("VP HR"))).normalized["department"],
        "Human Resources"
    );
    assert_eq!(
        create("001", set(sophie(), "jobTitle", json!("cto"))).normalized["department"],
        "Executive"
    );

    // A given department that disagrees: a warning, the record stays valid.
    let d = create("001", set(sophie(), "department", json!("Sales")));
    assert!(d.valid);
    let v = only(&d);
    assert_eq!(
        (v.code, v.severity),
        (Code::DerivedMismatch, Severity::Warning)
    );
    assert_eq!(param(v, "expected"), "Engineering");
    assert_eq!(param(v, "source"), "jobTitle");

    // Optional fields are checked when given.
    let d = create("001", set(sophie(), "avatar", json!("ftp://x/y.png")));
    assert_eq!(summary(&d), errors(&[(Code::InvalidFormat, "avatar")]));
    // A URL's host is a host name (labels as an e-mail domain's), an IPv4 address or an
    // IPv6 literal, with a port from 1 to 65535; never credentials.
    for good in [
        "https://cdn.example.com/a.png",
        "HTTPS://Example.COM",
        "http://intranet/photo",
        "https://example.com:8443/a?b=c#d",
        "https://[2001:db8::1]:443/a",
        "https://192.168.0.1/a",
        "https://café.example/x",
        "https://हिन्दी.example/",
        "https://example.com./a",
    ] {
        let d = create("001", set(sophie(), "avatar", json!(good)));
        assert!(d.valid, "{good}: {:#?}", d.violations);
    }
    for bad in [
        "https://example.com:99999/",
        "https://example.com:0/",
        "https://example.com:/",
        "https://-bad-.com/",
        "https://a..b/",
        "https://user:pass@example.com/",
        "https://exa mple.com",
        "https:///path",
        "https://[zz]/",
        "https://exa_mple.com/",
        "https://999.999.999.999/",
        "https://1.2.3/",
    ] {
        let d = create("001", set(sophie(), "avatar", json!(bad)));
        assert_eq!(
            summary(&d),
            errors(&[(Code::InvalidFormat, "avatar")]),
            "{bad}"
        );
    }
    let d = create("001", set(sophie(), "birthdate", json!("2030-01-01")));
    assert_eq!(summary(&d), errors(&[(Code::DateNotInPast, "birthdate")]));
}

/// A required field that is derived (`department` from `jobTitle`) is not missing when the
/// record's source gives it a value: the derivation fills it, as an optional derived field
/// is filled. Without a source value it derives from, it is missing, as any required field.
#[test]
fn r001_01_a_required_derived_field_is_filled_not_missing() {
    let mut doc = serde_json::to_value(Policy::preset("001").unwrap().document()).unwrap();
    doc["fields"]["department"]["required"] = json!(true);
    let policy = Policy::from_value(doc).unwrap();
    let ctx = |facts| ValidationContext {
        mode: Mode::Create,
        today: today(),
        lang: Lang::En,
        facts,
        mfa: false,
    };
    let facts = ValidationFacts::default();
    let d = validate_user(&policy, &record(sophie()), &ctx(&facts));
    assert!(d.valid, "{:#?}", d.violations);
    assert_eq!(d.normalized["department"], "Engineering");
    // A given department still wins its own check.
    let d = validate_user(
        &policy,
        &record(set(sophie(), "department", json!("Sales"))),
        &ctx(&facts),
    );
    assert_eq!(only(&d).code, Code::DerivedMismatch);
    // A job title nothing derives from: the department is missing.
    let d = validate_user(
        &policy,
        &record(set(sophie(), "jobTitle", json!("Gardener"))),
        &ctx(&facts),
    );
    assert_eq!(summary(&d), errors(&[(Code::Required, "department")]));
    // A blank source derives nothing, not even the default.
    let mut doc = serde_json::to_value(policy.document()).unwrap();
    doc["fields"]["department"]["derivedFrom"]["default"] = json!("Other");
    let policy = Policy::from_value(doc).unwrap();
    let d = validate_user(
        &policy,
        &record(set(sophie(), "jobTitle", json!("  "))),
        &ctx(&facts),
    );
    assert_eq!(
        summary(&d),
        errors(&[(Code::Required, "department"), (Code::Required, "jobTitle")])
    );
    let d = validate_user(
        &policy,
        &record(set(sophie(), "jobTitle", json!("Gardener"))),
        &ctx(&facts),
    );
    assert!(d.valid, "{:#?}", d.violations);
    assert_eq!(d.normalized["department"], "Other");
}

#[test]
fn r001_07_naming_convention_warning() {
    let warn = |email: &str| -> Option<String> {
        let d = create("001", set(sophie(), "email", json!(email)));
        assert!(d.valid, "a naming convention is a warning only");
        d.warnings()
            .find(|v| v.code == Code::NamingConvention)
            .map(|v| param(v, "expected").as_str().unwrap().to_owned())
    };
    assert_eq!(warn("sophie.martin@company.com"), None);
    assert_eq!(
        warn("SophieM@company.com").as_deref(),
        Some("sophie.martin@company.com")
    );
    assert_eq!(
        warn("s.martin@company.com").as_deref(),
        Some("sophie.martin@company.com")
    );
    assert_eq!(
        warn("Sophie.Martin@company.com").as_deref(),
        Some("sophie.martin@company.com")
    );
    assert_eq!(
        warn("marie123@company.com").as_deref(),
        Some("sophie.martin@company.com")
    );
    let d = create(
        "001",
        json!({"firstName": "Hélène", "lastName": "Dupré", "email": "helene.dupre@company.com",
               "jobTitle": "Developer", "manager": "u-1", "status": "active"}),
    );
    assert!(
        d.violations.is_empty(),
        "accents are folded: {:#?}",
        d.violations
    );
    let d = run(
        "001",
        set(sophie(), "email", json!("SophieM@company.com")),
        Mode::Create,
        &ValidationFacts::default(),
        Lang::Fr,
    );
    assert_eq!(
        only(&d).message,
        "ne respecte pas la convention de nommage sophie.martin@company.com"
    );
    assert_eq!(only(&d).severity, Severity::Warning);
}

#[test]
fn r001_07_naming_convention_is_lower_case_including_the_domain() {
    // RULES.md: "firstname.lastname@domain, lower case"; the source lists
    // `t.bernard@COMPANY.COM` as a bad pattern.
    let d = create(
        "001",
        set(sophie(), "email", json!("sophie.martin@COMPANY.COM")),
    );
    assert!(d.valid);
    assert_eq!(
        d.warnings().map(|v| v.code).collect::<Vec<_>>(),
        [Code::NamingConvention],
        "an upper-case domain breaks the lower-case convention"
    );
}

#[test]
fn r001_08_generic_data_warnings() {
    let d = create("001", set(sophie(), "email", json!("user1@company.com")));
    assert!(d.valid);
    let generic: Vec<&Violation> = d
        .warnings()
        .filter(|v| v.code == Code::GenericData)
        .collect();
    assert_eq!(generic.len(), 1);
    assert_eq!(generic[0].path, Path::key("email"));
    assert_eq!(param(generic[0], "kind"), "email");

    let d = create("001", set(sophie(), "jobTitle", json!("Employee")));
    assert!(d.valid);
    let v = only(&d);
    assert_eq!(
        (v.code, v.path.clone(), v.severity),
        (Code::GenericData, Path::key("jobTitle"), Severity::Warning)
    );
    assert_eq!(param(v, "kind"), "value");
    assert_eq!(param(v, "value"), "Employee");
    assert_eq!(v.message, "looks like generic placeholder data");

    let d = create("001", set(sophie(), "manager", Value::Null));
    assert!(d.valid);
    let v = only(&d);
    assert_eq!(
        (v.code, v.path.clone(), v.severity),
        (Code::GenericData, Path::key("manager"), Severity::Warning)
    );
    assert_eq!(param(v, "kind"), "missing");
    assert_eq!(d.normalized["manager"], Value::Null);
}

// ---------------------------------------------------------------- 002

#[test]
fn r002_01_account_types_and_conditional_requirements() {
    let d = create("002", json!({}));
    assert_eq!(
        summary(&d),
        errors(&[
            (Code::Required, "firstName"),
            (Code::Required, "lastName"),
            (Code::Required, "email"),
            (Code::Required, "phone"),
            (Code::Required, "accountType"),
            (Code::Required, "password"),
        ])
    );
    assert_eq!(param(&d.violations[5], "condition"), "sendActivationEmail");

    assert!(create("002", lina()).valid);
    // Date of birth: customers only.
    let d = create("002", remove(lina(), "birthdate"));
    assert_eq!(summary(&d), errors(&[(Code::Required, "birthdate")]));
    assert_eq!(param(only(&d), "condition"), "accountType");
    for t in ["staff", "supplier", "Supplier"] {
        let d = create(
            "002",
            set(remove(lina(), "birthdate"), "accountType", json!(t)),
        );
        assert!(d.valid, "{t}: {:#?}", d.violations);
    }
    let d = create("002", set(lina(), "accountType", json!("guest")));
    assert_eq!(summary(&d), errors(&[(Code::NotAllowed, "accountType")]));
    assert_eq!(
        param(only(&d), "allowed"),
        &json!(["customer", "staff", "supplier"])
    );
    // An initial password or an activation email.
    let d = create(
        "002",
        set(
            remove(lina(), "password"),
            "sendActivationEmail",
            json!(true),
        ),
    );
    assert!(d.valid);
    assert!(d.password.is_none());
    let d = create(
        "002",
        set(
            remove(lina(), "password"),
            "sendActivationEmail",
            json!(false),
        ),
    );
    assert_eq!(summary(&d), errors(&[(Code::Required, "password")]));
    // A blank activation flag is an absent one, as a blank password is: neither is a
    // credential, and the account would be created with none.
    for blank in ["", "  "] {
        for without_password in [
            remove(lina(), "password"),
            set(lina(), "password", json!("")),
        ] {
            let d = create(
                "002",
                set(without_password, "sendActivationEmail", json!(blank)),
            );
            assert_eq!(
                summary(&d),
                errors(&[(Code::Required, "password")]),
                "{blank:?}"
            );
        }
    }
}

#[test]
fn r002_02_email_phone_and_minimum_age() {
    // Age from the date of birth, against `today` (2026-11-22).
    let d = create("002", set(lina(), "birthdate", json!("2008-11-23")));
    let v = only(&d);
    assert_eq!(
        (v.code, v.path.clone()),
        (Code::TooYoung, Path::key("birthdate"))
    );
    assert_eq!(param(v, "minAge"), 18);
    assert_eq!(param(v, "age"), 17);
    assert_eq!(param(v, "accountType"), "customer");
    assert_eq!(v.message, "must be at least 18 years old");
    assert!(
        create("002", set(lina(), "birthdate", json!("2008-11-22"))).valid,
        "18 today"
    );
    let young_admin = set(
        set(lina(), "birthdate", json!("2010-01-01")),
        "accountType",
        json!("staff"),
    );
    assert!(
        create("002", young_admin).valid,
        "the minimum age is for customers"
    );
    // Phone format, normalised to E.164.
    for (input, e164) in [
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+1 (415) 555-2671", "+14155552671"),
        ("0044 (0)20 7946 0958", "+442079460958"),
    ] {
        let d = create("002", set(lina(), "phone", json!(input)));
        assert!(d.valid, "{input}");
        assert_eq!(d.normalized["phone"], e164);
    }
    let d = create("002", set(lina(), "phone", json!("06 12 34 56 78")));
    assert_eq!(summary(&d), errors(&[(Code::InvalidPhone, "phone")]));
    assert_eq!(param(only(&d), "reason"), "missing country code");
    // Email format and uniqueness.
    let d = create("002", set(lina(), "email", json!("lina@")));
    assert_eq!(only(&d).path, Path::key("email"));
    let d = create("002", lina());
    assert_eq!(check(&d, "email_unique").key, "lina.haddad@example.com");
}

#[test]
fn r002_11_duplicate_suggests_password_reset() {
    let facts = facts_unique(
        "email_unique",
        unique_fact("lina.haddad@example.com", true, Some("active")),
    );
    let d = with_facts("002", lina(), &facts);
    let v = only(&d);
    assert_eq!(v.code, Code::Duplicate);
    assert_eq!(param(v, "existingId"), "u-17");
    assert_eq!(param(v, "suggestion"), "resetPassword");
    assert_eq!(
        v.message,
        "is already used by another account: if it is yours, reset its password instead"
    );
    assert!(check(&d, "email_unique").answered);
    // An inactive account: reactivation (the preset's documented choice).
    let facts = facts_unique(
        "email_unique",
        unique_fact("lina.haddad@example.com", true, Some("inactive")),
    );
    assert_eq!(
        param(only(&with_facts("002", lina(), &facts)), "suggestion"),
        "reactivate"
    );
}

// ---------------------------------------------------------------- 003

#[test]
fn r003_01_employee_id_required_unique_within_company() {
    let d = create("003", remove(remove(jean(), "employeeId"), "organization"));
    assert_eq!(
        summary(&d),
        errors(&[
            (Code::Required, "organization"),
            (Code::Required, "employeeId")
        ])
    );

    let d = create("003", set(jean(), "organization", json!(" company-a ")));
    assert!(d.valid);
    assert_eq!(
        check(&d, "employee_id_unique_in_company"),
        &Check {
            check: "employee_id_unique_in_company".into(),
            kind: CheckKind::Unique,
            field: "employeeId".into(),
            key: "e-1001".into(),
            within: Some(Within {
                field: "organization".into(),
                value: "company-a".into(),
            }),
            answered: false,
        }
    );
    assert_eq!(check(&d, "organization_exists").key, "company-a");

    let facts = facts_unique(
        "employee_id_unique_in_company",
        unique_fact("E-1001", true, None),
    );
    let d = with_facts("003", jean(), &facts);
    let v = only(&d);
    assert_eq!(
        (v.code, v.path.clone()),
        (Code::Duplicate, Path::key("employeeId"))
    );
    assert_eq!(param(v, "check"), "employee_id_unique_in_company");

    let d = create("003", set(jean(), "employeeId", json!("E 1001")));
    let v = only(&d);
    assert_eq!(
        (v.code, v.path.clone()),
        (Code::InvalidFormat, Path::key("employeeId"))
    );
    assert_eq!(param(v, "format"), "employee id");
    assert_eq!(v.message, "is not a valid employee id");
}

#[test]
fn r003_02_email_unique_across_system() {
    let d = create(
        "003",
        set(jean(), "email", json!("Jean.Dupont@CRM.example")),
    );
    let c = check(&d, "email_unique");
    assert_eq!(c.key, "jean.dupont@crm.example");
    assert_eq!(
        c.within, None,
        "email uniqueness is not scoped to the company"
    );
    let facts = facts_unique(
        "email_unique",
        unique_fact("jean.dupont@crm.example", true, Some("active")),
    );
    let d = with_facts("003", jean(), &facts);
    assert_eq!(summary(&d), errors(&[(Code::Duplicate, "email")]));
}

#[test]
fn r003_06_password_complexity_and_expiry() {
    let policy = Policy::preset("crm").unwrap();
    let pp = policy.password_policy().unwrap();
    assert_eq!(pp.expiry_days(), Some(90));
    assert_eq!(pp.min_length(), 8);
    assert!(pp.require_upper() && pp.require_lower() && pp.require_digit() && pp.require_special());
    assert!(pp.blocklist());

    let codes = |pw: &str| -> Vec<Code> {
        create("003", set(jean(), "password", json!(pw)))
            .violations
            .iter()
            .map(|v| v.code)
            .collect()
    };
    assert_eq!(codes("Kx7#mPq2vL"), []);
    assert_eq!(codes("kx7#mpq2vl"), [Code::PasswordMissingUpper]);
    assert_eq!(codes("Kx7#m"), [Code::PasswordTooShort]);
    assert_eq!(codes("Welcome1!"), [Code::PasswordCommon]);
}

// ---------------------------------------------------------------- 004

#[test]
fn r004_03_username_unique_email_optional() {
    let d = create("004", jdoe());
    assert!(d.valid, "{:#?}", d.violations);
    assert!(!d.checks.iter().any(|c| &*c.field == "email"));
    let d = create("004", set(jdoe(), "username", json!("JDoe")));
    assert_eq!(check(&d, "username_unique").key, "jdoe");
    assert_eq!(check(&d, "username_unique").kind, CheckKind::Unique);
    let d = create("004", remove(jdoe(), "username"));
    assert_eq!(summary(&d), errors(&[(Code::Required, "username")]));
    let d = create("004", set(jdoe(), "username", json!("1jd")));
    assert_eq!(summary(&d), errors(&[(Code::InvalidFormat, "username")]));
    assert_eq!(param(only(&d), "format"), "username");
    let facts = facts_unique("username_unique", unique_fact("jdoe", true, Some("active")));
    assert_eq!(
        summary(&with_facts("004", jdoe(), &facts)),
        errors(&[(Code::Duplicate, "username")])
    );
    // Email optional, but valid when given.
    assert!(create("004", set(jdoe(), "email", json!("john.doe@prs.example"))).valid);
    assert!(!create("004", set(jdoe(), "email", json!("john.doe"))).valid);
}

#[test]
fn r004_04_one_user_type_department_supervisor_required() {
    let d = create(
        "004",
        remove(
            remove(remove(jdoe(), "userType"), "department"),
            "supervisor",
        ),
    );
    assert_eq!(
        summary(&d),
        errors(&[
            (Code::Required, "userType"),
            (Code::Required, "department"),
            (Code::Required, "supervisor")
        ])
    );
    let d = create(
        "004",
        set(jdoe(), "userType", json!(["requester", "approver"])),
    );
    assert_eq!(summary(&d), errors(&[(Code::WrongType, "userType")]));
    assert_eq!(param(only(&d), "expected"), "string");
    let d = create("004", set(jdoe(), "userType", json!("superuser")));
    assert_eq!(summary(&d), errors(&[(Code::NotAllowed, "userType")]));
    let d = create("004", jdoe());
    assert_eq!(check(&d, "supervisor_exists").key, "u-7");
    let mut facts = ValidationFacts::default();
    facts.exists.insert("supervisor_exists".into(), false);
    let d = with_facts("004", jdoe(), &facts);
    assert_eq!(
        summary(&d),
        errors(&[(Code::UnknownReference, "supervisor")])
    );
}

#[test]
fn r004_05_generated_password_meets_complexity() {
    // Partially: the creation form has no password field; the password policy a generated
    // temporary password must meet is the composition profile, at most 64 characters.
    let d = create("004", set(jdoe(), "password", json!("Kx7#mPq2vL")));
    assert_eq!(summary(&d), errors(&[(Code::UnknownField, "password")]));
    let policy = Policy::preset("004").unwrap();
    let pp = policy.password_policy().unwrap();
    assert_eq!(pp.max_length(), 64);
    assert_eq!(pp.required_classes(), 4);
}

/// Text lengths are code points, not bytes, at both bounds: a text of multi-byte characters
/// within its bounds passes, and one a code point past either bound fails with its length in
/// code points (the validator counts only when the length in bytes leaves a bound in doubt).
#[test]
fn text_lengths_count_code_points_at_both_bounds() {
    let policy = Policy::from_json(
        r#"{"warden": 1, "name": "lengths", "unknownFields": "ignore", "fields": {
            "nickname": {"type": "text", "required": true, "minLength": 3, "maxLength": 5, "trim": false}
        }}"#,
    )
    .unwrap();
    let facts = ValidationFacts::default();
    let ctx = ValidationContext {
        mode: Mode::Create,
        today: today(),
        lang: Lang::En,
        facts: &facts,
        mfa: false,
    };
    let verdict = |nick: &str| {
        let d = validate_user(&policy, &record(json!({ "nickname": nick })), &ctx);
        d.violations
            .iter()
            .map(|v| (v.code, v.params.get("actual").cloned()))
            .collect::<Vec<_>>()
    };
    for ok in ["abc", "ééé", "😀😀😀", "ééééé", "ab😀de", "abcde"] {
        assert_eq!(verdict(ok), [], "{ok:?}");
    }
    assert_eq!(verdict("éé"), [(Code::TooShort, Some(json!(2)))]);
    assert_eq!(verdict("😀😀"), [(Code::TooShort, Some(json!(2)))]);
    assert_eq!(verdict("ab"), [(Code::TooShort, Some(json!(2)))]);
    assert_eq!(verdict("éééééé"), [(Code::TooLong, Some(json!(6)))]);
    assert_eq!(verdict("abcdef"), [(Code::TooLong, Some(json!(6)))]);
    let long = "é".repeat(200);
    assert_eq!(verdict(&long), [(Code::TooLong, Some(json!(200)))]);
}

/// A uniqueness key is one per text, whatever its case or its Unicode spelling: `é` as
/// one code point or as `e` and a combining accent, `Σ` or `σ`, are the same key (a
/// duplicate spelled otherwise is still a duplicate).
#[test]
fn unique_keys_ignore_case_and_canonical_spelling() {
    use warden_core::validate::unique_key;
    assert_eq!(unique_key("ABC-12"), "abc-12");
    let composed = unique_key("Jos\u{e9}-N");
    assert_eq!(composed, "jos\u{e9}-n");
    assert_eq!(unique_key("Jose\u{301}-n"), composed);
    assert_eq!(unique_key("JOSE\u{301}-N"), composed);
    assert_eq!(unique_key("JOS\u{c9}-N"), composed);
    // Hangul: a syllable and its jamo.
    assert_eq!(unique_key("\u{1100}\u{1161}"), unique_key("\u{ac00}"));
    assert_ne!(unique_key("jos\u{e9}"), unique_key("jose"));
}

/// A name that looks blank (a Hangul or Braille filler), or that carries invisible text (a
/// bidi mark, a tag character), is refused as a zero-width space is: its characters are
/// listed as prohibited. An emoji's variation selector is not among them.
#[test]
fn names_that_look_blank_or_carry_hidden_text_are_refused() {
    for c in [
        '\u{3164}',
        '\u{2800}',
        '\u{115F}',
        '\u{FFA0}',
        '\u{061C}',
        '\u{034F}',
        '\u{FFF9}',
        '\u{E0041}',
    ] {
        for name in [c.to_string(), format!("Ada{c}")] {
            let d = create("000", set(ada(), "firstName", json!(name)));
            assert!(!d.valid, "{c:?}");
            let v = d
                .violations
                .iter()
                .find(|v| v.code == Code::ProhibitedCharacters)
                .unwrap_or_else(|| panic!("{c:?}: {:#?}", d.violations));
            assert_eq!(v.path, Path::key("firstName"), "{c:?}");
        }
    }
    // Mongolian script's variation selectors draw a visible letter: allowed.
    let d = create("000", set(ada(), "firstName", json!("\u{1820}\u{180B}")));
    assert!(
        d.violations
            .iter()
            .all(|v| v.code != Code::ProhibitedCharacters),
        "{:#?}",
        d.violations
    );
    let d = create("000", set(ada(), "firstName", json!("Ada\u{2764}\u{FE0F}")));
    assert!(
        d.violations
            .iter()
            .all(|v| v.code != Code::ProhibitedCharacters),
        "{:#?}",
        d.violations
    );
}

/// A condition's `in` list reads a blank value as an absent one: it matches a list naming
/// `null`, or naming a blank text (a policy written for forms that send `""`), and no
/// other value.
#[test]
fn a_blank_value_meets_a_condition_naming_null_or_a_blank_text() {
    for listed in [json!(null), json!(""), json!(" ")] {
        let policy = Policy::from_value(json!({
            "warden": 1, "name": "blank",
            "fields": {
                "code": {"type": "text", "requiredWhen": {"field": "kind", "in": [listed]}},
                "kind": {"type": "text"},
            }
        }))
        .unwrap();
        let facts = ValidationFacts::default();
        let ctx = ValidationContext {
            mode: Mode::Create,
            today: today(),
            lang: Lang::En,
            facts: &facts,
            mfa: false,
        };
        for kind in [json!(null), json!(""), json!("   ")] {
            let d = validate_user(&policy, &record(json!({"kind": kind})), &ctx);
            assert_eq!(
                summary(&d),
                errors(&[(Code::Required, "code")]),
                "{listed} / {kind}"
            );
        }
        let d = validate_user(&policy, &record(json!({"kind": "x"})), &ctx);
        assert!(d.valid, "{listed}: {:#?}", d.violations);
    }
}
