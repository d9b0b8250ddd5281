//! Bad policy documents: each gives a [`PolicyError`] naming the key path and the kind of
//! problem, with messages in Cedar's grammar (lower case, no final period, key path and user
//! input in backticks).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::{Value, json};
use warden_core::policy::{PolicyErrorKind, limits};
use warden_core::{Policy, PolicyError};

/// A minimal valid document with the given fields.
fn doc(fields: Value) -> Value {
    json!({"warden": 1, "name": "test", "fields": fields})
}

fn err_json(text: &str) -> PolicyError {
    match Policy::from_json(text) {
        Ok(_) => panic!(
            "the policy should be refused: {}",
            text.chars().take(300).collect::<String>()
        ),
        Err(e) => e,
    }
}

fn err(v: &Value) -> PolicyError {
    let from_text = err_json(&v.to_string());
    // The JSON-value path (used by `api::evaluate` for inline policies) agrees.
    let from_value = Policy::from_value(v.clone()).unwrap_err();
    assert_eq!(
        from_text.path(),
        from_value.path(),
        "text and value paths differ"
    );
    assert_eq!(
        from_text.kind(),
        from_value.kind(),
        "text and value kinds differ"
    );
    from_text
}

fn assert_grammar(e: &PolicyError) {
    let msg = e.to_string();
    let first = msg.chars().next().unwrap();
    assert!(first.is_lowercase(), "messages start in lower case: {msg}");
    assert!(!msg.ends_with('.'), "messages take no final period: {msg}");
    assert!(!msg.contains('\n'), "messages are one line: {msg}");
    if !e.path().is_empty() {
        assert!(
            msg.contains(&format!("`{}`", e.path())),
            "the key path is quoted in backticks: {msg}"
        );
    }
}

#[test]
fn the_presets_and_a_minimal_document_compile() {
    for name in ["000", "001", "002", "003", "004"] {
        Policy::preset(name).unwrap();
    }
    Policy::from_value(doc(json!({"firstName": {"type": "name"}}))).unwrap();
}

#[test]
fn unknown_key_gives_did_you_mean() {
    let e = err(&doc(
        json!({"firstName": {"type": "name", "maxLenght": 20}}),
    ));
    assert_eq!(e.kind(), PolicyErrorKind::Shape);
    assert_eq!(e.path(), "fields.firstName.maxLenght");
    assert_eq!(e.help(), Some("did you mean `maxLength`?"));
    assert!(
        e.reason().contains("unknown field `maxLenght`"),
        "{}",
        e.reason()
    );
    assert_grammar(&e);

    let e = err(&json!({"warden": 1, "name": "test", "feilds": {}}));
    assert_eq!(e.kind(), PolicyErrorKind::Shape);
    assert_eq!(e.help(), Some("did you mean `fields`?"));
    assert_grammar(&e);
}

#[test]
fn unknown_field_type_is_a_shape_error() {
    let e = err(&doc(json!({"firstName": {"type": "nmae"}})));
    assert_eq!(e.kind(), PolicyErrorKind::Shape);
    assert_eq!(e.path(), "fields.firstName.type");
    assert_eq!(e.help(), Some("did you mean `name`?"));
}

#[test]
fn wrong_version() {
    let e = err(&json!({"warden": 2, "name": "test"}));
    assert_eq!(e.kind(), PolicyErrorKind::Version);
    assert_eq!(e.path(), "warden");
    assert_eq!(
        e.to_string(),
        "invalid policy at `warden`: format version `2` is not supported"
    );
    assert_eq!(e.help(), Some("this build reads format version `1`"));
    assert_grammar(&e);
}

#[test]
fn min_length_greater_than_max_length() {
    let e = err(&doc(
        json!({"firstName": {"type": "name", "minLength": 10, "maxLength": 5}}),
    ));
    assert_eq!(e.kind(), PolicyErrorKind::Invalid);
    assert_eq!(e.path(), "fields.firstName.minLength");
    assert_eq!(
        e.to_string(),
        "invalid policy at `fields.firstName.minLength`: `minLength` (10) is greater than `maxLength` (5)"
    );
    assert_grammar(&e);
}

#[test]
fn invalid_regex() {
    let e = err(&doc(
        json!({"code": {"type": "identifier", "pattern": "[a-z"}}),
    ));
    assert_eq!(e.kind(), PolicyErrorKind::Regex);
    assert_eq!(e.path(), "fields.code.pattern");
    assert!(
        e.reason().starts_with("the pattern does not compile"),
        "{}",
        e.reason()
    );
    assert_grammar(&e);
}

#[test]
fn regex_too_large_once_compiled() {
    // Short text, huge program: a class of two scripts repeated a million times (`\w`,
    // the old example, is outside the pattern dialect).
    let pattern = r"(?:[a-zà-ÿ]{1000}){1000}";
    assert!(pattern.len() <= limits::MAX_PATTERN_BYTES);
    let e = err(&doc(
        json!({"code": {"type": "identifier", "pattern": pattern}}),
    ));
    assert_eq!(e.kind(), PolicyErrorKind::Limit);
    assert_eq!(e.path(), "fields.code.pattern");
    assert_grammar(&e);
}

#[test]
fn pattern_over_1024_bytes() {
    let pattern = "a".repeat(limits::MAX_PATTERN_BYTES + 1);
    let e = err(&doc(
        json!({"code": {"type": "identifier", "pattern": pattern}}),
    ));
    assert_eq!(e.kind(), PolicyErrorKind::Limit);
    assert_eq!(e.path(), "fields.code.pattern");
    assert!(
        e.reason().contains("1024"),
        "the limit is reported: {}",
        e.reason()
    );
    // Exactly at the limit is fine.
    let pattern = "a".repeat(limits::MAX_PATTERN_BYTES);
    Policy::from_value(doc(
        json!({"code": {"type": "identifier", "pattern": pattern}}),
    ))
    .unwrap();
}

#[test]
fn condition_on_an_unknown_field() {
    let e = err(&doc(json!({
        "accountType": {"type": "enum", "values": ["customer"]},
        "birthdate": {"type": "date", "requiredWhen": {"field": "acountType", "in": ["customer"]}}
    })));
    assert_eq!(e.kind(), PolicyErrorKind::Invalid);
    assert_eq!(e.path(), "fields.birthdate.requiredWhen.field");
    assert_eq!(e.help(), Some("did you mean `accountType`?"));
    assert_grammar(&e);
    // Also in a minimum-age condition.
    let e = err(&doc(json!({
        "birthdate": {"type": "date", "minAge": [{"years": 18, "when": {"field": "kind", "in": ["customer"]}}]}
    })));
    assert_eq!(e.path(), "fields.birthdate.minAge[0].when.field");
}

#[test]
fn duplicate_json_key() {
    // In the field map: declaration order matters, so a repeated field is refused.
    let text = r#"{"warden": 1, "name": "test", "fields": {"email": {"type": "email"}, "email": {"type": "text"}}}"#;
    let e = err_json(text);
    assert_eq!(e.kind(), PolicyErrorKind::Shape);
    assert_eq!(e.path(), "fields");
    assert!(
        e.reason().contains("duplicate key `email`"),
        "{}",
        e.reason()
    );
    assert_grammar(&e);
    // At the top level.
    let e = err_json(r#"{"warden": 1, "name": "a", "name": "b"}"#);
    assert_eq!(e.kind(), PolicyErrorKind::Shape);
    assert!(
        e.reason().contains("duplicate field `name`"),
        "{}",
        e.reason()
    );
    // Inside a field declaration.
    let e = err_json(
        r#"{"warden": 1, "name": "a", "fields": {"x": {"type": "text", "type": "name"}}}"#,
    );
    assert_eq!(e.kind(), PolicyErrorKind::Shape);
    assert!(e.path().starts_with("fields.x"), "{}", e.path());
    // In a map serde would read as its last entry: a label's language, a derivation's map.
    for (text, path, key) in [
        (
            r#"{"warden": 1, "name": "a", "fields": {"x": {"type": "text", "label": {"en": "X", "en": "Y"}}}}"#,
            "fields.x.label",
            "en",
        ),
        (
            r#"{"warden": 1, "name": "a", "fields": {"t": {"type": "text"}, "d": {"type": "text", "derivedFrom": {"field": "t", "map": {"CEO": "Executive", "CEO": "Sales"}}}}}"#,
            "fields.d.derivedFrom.map",
            "CEO",
        ),
    ] {
        let e = err_json(text);
        assert_eq!(e.kind(), PolicyErrorKind::Shape);
        assert_eq!(e.path(), path);
        assert!(
            e.reason().contains(&format!("duplicate key `{key}`")),
            "{}",
            e.reason()
        );
        assert_grammar(&e);
    }
}

#[test]
fn document_of_2_mib() {
    let filler = "x".repeat(2 << 20);
    let text = format!(r#"{{"warden": 1, "name": "test", "description": "{filler}"}}"#);
    let e = err_json(&text);
    assert_eq!(e.kind(), PolicyErrorKind::Limit);
    assert_eq!(e.path(), "");
    assert!(
        e.reason().contains(&limits::MAX_DOCUMENT_BYTES.to_string()),
        "{}",
        e.reason()
    );
    assert_eq!(
        e.to_string(),
        format!(
            "invalid policy: the document's size in bytes exceeds the limit of {}",
            limits::MAX_DOCUMENT_BYTES
        )
    );
    assert_grammar(&e);
}

#[test]
fn unique_within_an_unknown_field() {
    let e = err(&doc(json!({
        "organization": {"type": "reference"},
        "employeeId": {"type": "identifier", "pattern": "[A-Z0-9-]+", "unique": {"within": "organisation"}}
    })));
    assert_eq!(e.kind(), PolicyErrorKind::Invalid);
    assert_eq!(e.path(), "fields.employeeId.unique.within");
    assert_eq!(e.help(), Some("did you mean `organization`?"));
    assert_eq!(
        e.to_string(),
        "invalid policy at `fields.employeeId.unique.within`: `organisation` is not a field of the schema"
    );
    assert_grammar(&e);
}

#[test]
fn enum_without_values() {
    let e = err(&doc(json!({"status": {"type": "enum"}})));
    assert_eq!(e.kind(), PolicyErrorKind::Invalid);
    assert_eq!(e.path(), "fields.status.values");
    assert_grammar(&e);
    let e = err(&doc(json!({"status": {"type": "enum", "values": []}})));
    assert_eq!(e.path(), "fields.status.values");
}

#[test]
fn password_field_without_password_policy() {
    let e = err(&doc(
        json!({"password": {"type": "password", "required": true}}),
    ));
    assert_eq!(e.kind(), PolicyErrorKind::Invalid);
    assert_eq!(e.path(), "password");
    assert!(
        e.help().is_some_and(|h| h.contains("`password`")),
        "{:?}",
        e.help()
    );
    assert_grammar(&e);
}

#[test]
fn password_policy_contradictions_name_the_password_key() {
    let mut d = doc(json!({"password": {"type": "password", "required": true}}));
    d["password"] = json!({"profile": "composition", "minLength": 20, "maxLength": 10});
    let e = err(&d);
    assert_eq!(e.kind(), PolicyErrorKind::Invalid);
    assert_eq!(e.path(), "password.minLength");
    d["password"] = json!({"profile": "nist-800-63b-4", "expiryDays": 90});
    assert_eq!(err(&d).path(), "password.expiryDays");
}

#[test]
fn not_json_is_a_syntax_error() {
    let e = err_json("{\"warden\": 1, ");
    assert_eq!(e.kind(), PolicyErrorKind::Syntax);
    assert_grammar(&e);
}

/// A pattern is anchored as `^(?:pattern)$`: one that is not a well-formed expression on its
/// own could close that group early (`[0-9]{3})|(?:.*` anchored matches every value) and
/// slip past the dialect check (`\d{3})|(\d`). Each is refused as the syntax error it is.
#[test]
fn a_pattern_that_does_not_parse_on_its_own_is_refused_not_anchored() {
    for pattern in ["[0-9]{3})|(?:.*", r"\d{3})|(\d", "x)|(?i)(abc", "a)(", "(a"] {
        let e = err(&doc(
            json!({"code": {"type": "identifier", "pattern": pattern}}),
        ));
        assert_eq!(e.kind(), PolicyErrorKind::Regex, "{pattern}");
        assert_eq!(e.path(), "fields.code.pattern", "{pattern}");
        assert!(
            e.reason().starts_with("the pattern does not compile: "),
            "{pattern}: {}",
            e.reason()
        );
        assert_grammar(&e);
    }
    // Balanced groups, alternations and escaped parentheses still load.
    for pattern in [r"(?:[0-9]{3})|(?:[a-z]{2})", r"\(x\)", "a|b", "(a)(b)"] {
        let policy = Policy::from_value(doc(
            json!({"code": {"type": "identifier", "pattern": pattern}}),
        ));
        assert!(policy.is_ok(), "{pattern}: {:?}", policy.err());
    }
}

#[test]
fn patterns_outside_the_dialect_are_refused_with_the_construct_and_a_suggestion() {
    for (pattern, construct) in [
        (r"\d{4}", r"\d"),
        (r"[\w.]+", r"\w"),
        (r"(?i)abc", "(?i)"),
        (r"x\b", r"\b"),
        (r"\p{Greek}", r"\p{Greek}"),
    ] {
        let e = err(&doc(
            json!({"code": {"type": "identifier", "pattern": pattern}}),
        ));
        assert_eq!(e.kind(), PolicyErrorKind::Regex, "{pattern}");
        assert_eq!(e.path(), "fields.code.pattern", "{pattern}");
        assert!(
            e.reason()
                .starts_with(&format!("the pattern uses `{construct}`, which is outside")),
            "{pattern}: {}",
            e.reason()
        );
        assert!(e.help().is_some(), "{pattern}");
        assert_grammar(&e);
    }
    // Their ASCII forms and explicit ranges load.
    for pattern in [r"(?-u:\d){4}", r"(?i-u:abc)", "[0-9]{4}", "[A-Za-zÀ-ÿ]+"] {
        let policy = Policy::from_value(doc(
            json!({"code": {"type": "identifier", "pattern": pattern}}),
        ));
        assert!(policy.is_ok(), "{pattern}: {:?}", policy.err());
    }
}

/// `roles` and `groups` are an account's lists, given beside its record: no field takes
/// either name (it would shadow them in a create's body and an import's columns).
#[test]
fn a_field_named_like_the_accounts_lists_is_refused() {
    for name in ["roles", "groups"] {
        let e = err(&doc(json!({ name: {"type": "text"} })));
        assert_eq!(e.kind(), PolicyErrorKind::Invalid, "{e}");
        assert_eq!(e.path(), format!("fields.{name}"));
        assert!(e.to_string().contains("not a record field"), "{e}");
        assert_grammar(&e);
    }
    // Other names that merely contain them are fields like any other.
    assert!(
        Policy::from_value(doc(
            json!({"roleNote": {"type": "text"}, "groupsText": {"type": "text"}})
        ))
        .is_ok()
    );
}

#[test]
fn a_role_inheritance_cycle_is_named_as_the_cycle_alone() {
    let crm = || -> Value {
        serde_json::from_str(warden_core::policy::presets::find("003").unwrap().json).unwrap()
    };
    // A role inheriting itself: the roles that only inherit from it are not on the cycle.
    let mut doc = crm();
    doc["access"]["roles"]["salesRep"]["inherits"] = json!(["salesRep"]);
    let e = err(&doc);
    assert_grammar(&e);
    assert_eq!(e.path(), "access.roles.salesRep.inherits");
    assert_eq!(
        e.to_string(),
        "invalid policy at `access.roles.salesRep.inherits`: role inheritance has a cycle: `salesRep` → `salesRep` (each inherits the next)"
    );
    // Two roles inheriting each other, a third inheriting one of them.
    let mut doc = crm();
    let roles = &mut doc["access"]["roles"];
    roles["zeta"] = json!({"permissions": [], "inherits": ["eta"]});
    roles["eta"] = json!({"permissions": [], "inherits": ["zeta"]});
    roles["theta"] = json!({"permissions": [], "inherits": ["eta"]});
    let e = err(&doc);
    let message = e.to_string();
    assert!(
        message.contains("`eta` → `zeta` → `eta`") || message.contains("`zeta` → `eta` → `zeta`"),
        "{message}"
    );
    assert!(!message.contains("theta"), "{message}");
}

/// Settings that could never take effect, or would take effect against their intent, are
/// refused at their key path: a transition's permission no role can be given, a forbidden
/// combination naming a role twice (it would forbid the role alone), more active roles
/// than the policy declares, an enum value listed twice, a name with invisible characters.
#[test]
fn settings_that_could_never_hold_are_refused_at_their_path() {
    let preset = |id: &str| -> Value {
        serde_json::from_str(warden_core::policy::presets::find(id).unwrap().json).unwrap()
    };
    let mut cases: Vec<(Value, &str)> = Vec::new();
    let mut d = preset("001");
    d["lifecycle"]["transitions"][0]["by"]["permission"] = json!("users.nope");
    cases.push((d, "lifecycle.transitions[0].by.permission"));
    let mut d = preset("001");
    d["lifecycle"]["transitions"][0]["by"]["permission"] = json!("nope.status");
    cases.push((d, "lifecycle.transitions[0].by.permission"));
    let mut d = preset("001");
    d["access"]["forbiddenCombinations"][0]["roles"] = json!(["hrAdmin", "hrAdmin"]);
    cases.push((d, "access.forbiddenCombinations[0].roles[1]"));
    let mut d = preset("001");
    d["access"]["minActiveRoles"] = json!(1000);
    cases.push((d, "access.minActiveRoles"));
    let mut d = preset("001");
    d["fields"]["status"]["values"] = json!(["active", "inactive", "active"]);
    cases.push((d, "fields.status.values[2]"));
    let mut d = preset("001");
    d["fields"]["ca\u{200b}fe"] = json!({"type": "text"});
    cases.push((d, "fields.ca\u{200b}fe"));
    for (doc, path) in cases {
        let e = err(&doc);
        assert_grammar(&e);
        assert_eq!(e.path(), path, "{e}");
    }
    // A wildcard over a declared module is a permission roles can hold.
    let mut d = preset("001");
    d["lifecycle"]["transitions"][0]["by"]["permission"] = json!("users.*");
    Policy::from_value(d).unwrap();
}

/// A derivation's values are stored without the field's own checks: the policy refuses a
/// derivation onto a field they could not pass, naming the value's place.
#[test]
fn derived_values_must_pass_their_fields_checks() {
    let policy = |department: Value| {
        json!({"warden": 1, "name": "d", "fields": {
            "jobTitle": {"type": "text"},
            "department": department,
        }})
    };
    for (department, path, reason) in [
        (
            json!({"type": "enum", "values": ["Sales", "Finance"], "derivedFrom": {"field": "jobTitle", "map": {"CFO": "Finance", "CEO": "Executive"}}}),
            "fields.department.derivedFrom.map.CEO",
            "not one of the field's values",
        ),
        (
            json!({"type": "text", "maxLength": 5, "derivedFrom": {"field": "jobTitle", "map": {}, "contains": {"sales": "Sales Department"}}}),
            "fields.department.derivedFrom.contains.sales",
            "lengths",
        ),
        (
            json!({"type": "identifier", "pattern": "[A-Z]{3}", "derivedFrom": {"field": "jobTitle", "map": {}, "default": "other"}}),
            "fields.department.derivedFrom.default",
            "pattern",
        ),
        (
            json!({"type": "text", "derivedFrom": {"field": "jobTitle", "map": {}, "default": "  "}}),
            "fields.department.derivedFrom.default",
            "blank",
        ),
        (
            json!({"type": "date", "derivedFrom": {"field": "jobTitle", "map": {}, "default": "2026-01-01"}}),
            "fields.department.derivedFrom",
            "cannot be derived",
        ),
        (
            json!({"type": "text", "unique": {}, "derivedFrom": {"field": "jobTitle", "map": {}, "default": "x"}}),
            "fields.department.derivedFrom",
            "unique",
        ),
    ] {
        let e = err(&policy(department));
        assert_eq!(e.path(), path, "{}", e.reason());
        assert!(e.reason().contains(reason), "{}", e.reason());
        assert_grammar(&e);
    }
    // Values that pass are taken.
    Policy::from_value(policy(json!({"type": "enum", "values": ["Sales", "Finance"], "derivedFrom": {"field": "jobTitle", "map": {"CFO": "Finance"}, "default": "Sales"}}))).unwrap();
}

/// An action that is not declared is explained in the same words wherever a policy names
/// it (a role's permission, `createAction`, `criticalPermissions`, an attribute
/// permission, a transition's `by.permission`) and wherever a request names it: one test
/// of a declared action, not one per place.
#[test]
fn an_undeclared_action_is_explained_alike_wherever_it_is_named() {
    let base = || {
        json!({
            "warden": 1, "name": "actions",
            "fields": {"name": {"type": "text"}},
            "access": {
                "modules": {"users": ["read", "update"]},
                "roles": {"emp": {"permissions": [{"allow": "users.read", "scope": "own"}]}}
            }
        })
    };
    for (name, reason, help) in [
        (
            "users.nope",
            "`nope` is not an action of module `users`",
            "its actions are `read`, `update`",
        ),
        (
            "nope.read",
            "`nope` is not a declared module",
            "modules are `users`",
        ),
    ] {
        let mut sites: Vec<(Value, &str)> = Vec::new();
        let mut d = base();
        d["access"]["roles"]["emp"]["permissions"][0]["allow"] = json!(name);
        sites.push((d, "access.roles.emp.permissions[0].allow"));
        let mut d = base();
        d["access"]["createAction"] = json!(name);
        sites.push((d, "access.createAction"));
        let mut d = base();
        d["access"]["criticalPermissions"] = json!([name]);
        sites.push((d, "access.criticalPermissions[0]"));
        let mut d = base();
        d["access"]["fieldAccess"] = json!({"name": {"edit": [format!("permission:{name}")]}});
        sites.push((d, "access.fieldAccess.name.edit[0]"));
        for (doc, path) in sites {
            let e = err(&doc);
            assert_grammar(&e);
            assert_eq!(e.path(), path, "{e}");
            assert_eq!(e.reason(), reason, "{path}");
            assert_eq!(e.help(), Some(help), "{path}");
        }
        // A request naming it is refused for the same reason, with the same help.
        let policy = Policy::from_value(base()).unwrap();
        let req = warden_core::access::AuthorizeRequest {
            actor: warden_core::model::Account::new("a".to_owned()),
            action: name.to_owned(),
            target: warden_core::access::Target {
                id: "a".into(),
                ..Default::default()
            },
            change: None,
        };
        let e = warden_core::access::authorize(
            &policy,
            &warden_core::access::Directory::new(),
            &req,
            warden_core::Timestamp::from_unix(1_800_000_000),
            warden_core::Lang::En,
        )
        .unwrap_err();
        assert_eq!(e.code(), "unknown_action");
        assert!(e.to_string().contains(&format!("{reason}: {help}")), "{e}");
    }
    // A transition's permission (a preset with a lifecycle), whose module is declared.
    let mut d: Value =
        serde_json::from_str(warden_core::policy::presets::find("001").unwrap().json).unwrap();
    d["lifecycle"]["transitions"][0]["by"]["permission"] = json!("users.nope");
    let e = err(&d);
    assert_eq!(e.path(), "lifecycle.transitions[0].by.permission", "{e}");
    assert_eq!(e.reason(), "`nope` is not an action of module `users`");
    assert!(e.help().unwrap().starts_with("its actions are `"), "{e}");
}

/// Names in the access section are names as field names are (no invisible or control
/// character: a role `administrator\u{200b}` would read as `administrator`), and a module
/// declares each action once; a role inheriting from the same role twice inherits from it
/// once.
#[test]
fn access_names_are_visible_and_listed_once() {
    let base = || {
        json!({
            "warden": 1, "name": "names",
            "fields": {"name": {"type": "text"}},
            "access": {
                "modules": {"users": ["read", "update"]},
                "roles": {"emp": {"permissions": [{"allow": "users.read", "scope": "own"}]}},
                "groups": {}
            }
        })
    };
    let mut cases: Vec<(Value, &str)> = Vec::new();
    let mut d = base();
    d["access"]["roles"]["administrator\u{200b}"] = json!({"administrator": true});
    cases.push((d, "access.roles.administrator\u{200b}"));
    let mut d = base();
    d["access"]["roles"]["ro\u{0}le"] = json!({});
    cases.push((d, "access.roles.ro\u{0}le"));
    let mut d = base();
    d["access"]["modules"]["users"] = json!(["read", "upd\u{200b}ate"]);
    cases.push((d, "access.modules.users[1]"));
    let mut d = base();
    d["access"]["modules"]["fleet"] = json!(["read", "update", "read"]);
    cases.push((d, "access.modules.fleet[2]"));
    let mut d = base();
    d["access"]["groups"]["te\u{202e}am"] = json!({"roles": ["emp"]});
    cases.push((d, "access.groups.te\u{202e}am"));
    for (doc, path) in cases {
        let e = err(&doc);
        assert_eq!(e.path(), path, "{e}");
        assert_eq!(e.kind(), PolicyErrorKind::Invalid, "{e}");
    }
    // A parent listed 2,000 times is inherited once: its permissions are not copied (nor
    // counted against the flattened limit) 2,000 times.
    let perms: Vec<Value> = (0..2000)
        .map(|_| json!({"allow": "users.read", "scope": "own"}))
        .collect();
    let mut d = base();
    d["access"]["roles"]["emp"]["permissions"] = json!(perms);
    d["access"]["roles"]["lead"] = json!({"inherits": vec!["emp"; 2000]});
    Policy::from_value(d).unwrap();
}

/// Roles that would flatten to more permissions than the limit (each inheriting all the
/// roles before it: the count doubles with every role) are refused naming the limit; the
/// count is made before any permission is copied.
#[test]
fn inheritance_that_would_flatten_past_the_limit_is_refused() {
    let perms: Vec<Value> = (0..100)
        .map(|_| json!({"allow": "users.read", "scope": "own"}))
        .collect();
    let mut roles = serde_json::Map::new();
    for k in 0..40 {
        let inherits: Vec<String> = (0..k).map(|j| format!("r{j:02}")).collect();
        roles.insert(
            format!("r{k:02}"),
            json!({"permissions": perms, "inherits": inherits}),
        );
    }
    let d = json!({
        "warden": 1, "name": "deep",
        "fields": {"name": {"type": "text"}},
        "access": {"modules": {"users": ["read"]}, "roles": roles}
    });
    let e = err(&d);
    assert_eq!(e.path(), "access.roles", "{e}");
    assert_eq!(e.kind(), PolicyErrorKind::Limit, "{e}");
}
