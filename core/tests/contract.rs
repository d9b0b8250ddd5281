//! The contract's promises (issue: one typed, versioned contract): versions, unknown fields
//! refused with a did-you-mean, nothing the kernel computes accepted from the caller, and
//! the kernel consistency fixes found by using it as a newcomer would.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::{Value, json};
use warden_core::api::{self, CONTRACT_VERSION};
use warden_core::{Policy, Timestamp};

fn eval(request: Value) -> Result<Value, api::ApiError> {
    api::evaluate(&request)
}

fn ok(request: Value) -> Value {
    eval(request).unwrap()
}

#[test]
fn every_response_and_error_carries_the_contract_version() {
    let d = ok(json!({"preset": "hr-platform", "op": "effectiveStatus",
        "input": {"account": {"id": "a"}, "now": "2026-11-22T10:00:00Z"}}));
    assert_eq!(d["contract"], json!(CONTRACT_VERSION));
    let e =
        eval(json!({"preset": "hr-platform", "op": "effectiveStatus", "input": {}})).unwrap_err();
    assert_eq!(e.envelope()["contract"], json!(CONTRACT_VERSION));
    assert_eq!(e.envelope()["error"]["path"], "input.account");
}

#[test]
fn a_request_for_another_contract_version_is_refused() {
    let req = |v: Value| {
        json!({"contract": v, "preset": "hr-platform", "op": "effectiveStatus",
        "input": {"account": {"id": "a"}, "now": "2026-11-22T10:00:00Z"}})
    };
    assert!(eval(req(json!(1))).is_ok());
    let e = eval(req(json!(2))).unwrap_err();
    assert_eq!(e.code(), "unsupported_contract");
    assert_eq!(e.path(), Some("contract"));
    assert!(e.help().unwrap().contains("\"contract\": 1"));
}

#[test]
fn unknown_fields_are_refused_with_a_did_you_mean_in_every_input() {
    // `permissions` and `directory` used to accept unknown fields silently.
    for (op, input) in [
        (
            "permissions",
            json!({"actor": {"id": "a"}, "target": {"id": "b"}, "now": "2026-11-22T10:00:00Z", "directry": []}),
        ),
        ("directory", json!({"accounts": [], "acounts": []})),
        (
            "validate",
            json!({"user": {}, "today": "2026-11-22", "mfaa": true}),
        ),
    ] {
        let e = eval(json!({"preset": "hr-platform", "op": op, "input": input})).unwrap_err();
        assert_eq!(e.code(), "invalid_input", "{op}");
        assert!(e.to_string().contains("unknown field"), "{op}: {e}");
        assert!(
            e.help().unwrap().starts_with("did you mean `"),
            "{op}: {:?}",
            e.help()
        );
    }
}

#[test]
fn errors_name_no_rust_type() {
    let e = eval(json!({"preset": "hr-platform", "op": "effectiveStatus",
        "input": {"account": 3, "now": "2026-11-22T10:00:00Z"}}))
    .unwrap_err();
    assert!(!e.to_string().contains("struct"), "{e}");
    assert!(e.to_string().contains("expected an object"), "{e}");
}

fn manager() -> Value {
    json!({"id": "m", "organization": "o", "roles": ["employee"]})
}

#[test]
fn a_caller_cannot_grant_itself_a_permission_through_the_request() {
    // An employee of the HR preset holds no `users.status`: the transition is denied, and
    // claiming the permission in the request is refused, not believed.
    let input = json!({"actor": manager(), "target": {"id": "t", "organization": "o", "manager": "m"},
        "to": "inactive", "reason": "left", "now": "2026-11-22T10:00:00Z"});
    let d = ok(json!({"preset": "hr-platform", "op": "transition", "input": input.clone()}));
    assert_eq!(d["decision"], "deny");
    assert_eq!(d["deny"]["code"], "not_permitted");
    let mut forged = input;
    forged["actorPermissions"] = json!(["users.status"]);
    let e =
        eval(json!({"preset": "hr-platform", "op": "transition", "input": forged})).unwrap_err();
    assert_eq!(e.code(), "invalid_input");
    assert_eq!(e.path(), Some("input.actorPermissions"));
    for op in ["delete", "passwordReset"] {
        let e = eval(json!({"preset": "rental-platform", "op": op, "input": {
            "actor": {"id": "a"}, "target": {"id": "b"}, "actorPermissions": ["users.delete"],
            "entropy": "00".repeat(32), "now": "2026-11-22T10:00:00Z"}}))
        .unwrap_err();
        assert_eq!(e.path(), Some("input.actorPermissions"), "{op}");
    }
}

#[test]
fn by_permission_without_an_access_section_is_a_policy_error() {
    let mut doc: Value =
        serde_json::to_value(Policy::preset("rental-platform").unwrap().document()).unwrap();
    doc.as_object_mut().unwrap().remove("access");
    let e = Policy::from_value(doc).unwrap_err();
    assert!(e.path().ends_with(".by.permission"), "{}", e.path());
    assert!(e.to_string().contains("needs an `access` section"), "{e}");
}

#[test]
fn a_deny_names_the_widest_scope_the_actor_holds() {
    // The HR employee holds `users.read` at `own` and at `team` (depth 1): reading a
    // colleague outside the team is refused naming `team`, not `own`.
    let d = ok(
        json!({"preset": "hr-platform", "op": "authorize", "input": {
        "actor": manager(), "action": "users.read",
        "target": {"id": "x", "organization": "o", "manager": "boss"},
        "directory": [{"id": "boss", "organization": "o"}, {"id": "m", "organization": "o", "manager": "boss"},
                      {"id": "x", "organization": "o", "manager": "boss"}],
        "now": "2026-11-22T10:00:00Z"}}),
    );
    assert_eq!(d["deny"]["code"], "scope_insufficient", "{d}");
    let text = d["deny"].to_string();
    assert!(text.contains("team"), "{text}");
}

#[test]
fn a_cyclic_directory_is_refused_and_a_manager_edit_cannot_make_one() {
    let cyclic = json!([{"id": "a", "manager": "b"}, {"id": "b", "manager": "a"}]);
    let e = eval(
        json!({"preset": "hr-platform", "op": "authorize", "input": {
        "actor": manager(), "action": "users.read", "target": {"id": "a", "organization": "o"},
        "directory": cyclic, "now": "2026-11-22T10:00:00Z"}}),
    )
    .unwrap_err();
    assert_eq!(e.code(), "invalid_directory");
    assert!(e.to_string().contains("cycle"), "{e}");

    // b reports to a; making a report to b closes a cycle.
    let dir =
        json!([{"id": "a", "organization": "o"}, {"id": "b", "organization": "o", "manager": "a"}]);
    let change = |manager: &str| {
        json!({"preset": "hr-platform", "op": "changes", "input": {
        "actor": {"id": "admin", "organization": "o", "roles": ["hrAdmin"]},
        "before": {"id": "a", "organization": "o"},
        "after": {"id": "a", "organization": "o", "manager": manager},
        "directory": dir, "now": "2026-11-22T10:00:00Z"}})
    };
    let d = ok(change("b"));
    assert_eq!(d["decision"], "deny", "{d}");
    assert_eq!(d["deny"]["code"], "manager_cycle");
    let d = ok(change("a"));
    assert_eq!(d["deny"]["code"], "manager_cycle");
    let d = ok(change("c"));
    assert_eq!(d["decision"], "allow", "{d}");
}

fn lock_policy() -> Value {
    serde_json::to_value(Policy::preset("rental-platform").unwrap().document()).unwrap()
}

#[test]
fn every_emitted_timestamp_reads_back_and_durations_have_a_ceiling() {
    let doc = lock_policy();
    let statuses = doc["lifecycle"]["statuses"].as_object().unwrap().clone();
    let (temp, _) = statuses
        .iter()
        .find(|(_, s)| s.get("temporary").is_some())
        .expect("a temporary status");
    let from = doc["lifecycle"]["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["to"] == json!(temp))
        .expect("a transition to it")
        .clone();
    let req = |extra: Value| {
        let mut input = json!({"actor": {"id": "sa", "superAdmin": true},
            "target": {"id": "t", "status": from["from"][0]},
            "to": temp, "reason": "abuse", "now": "2026-11-22T10:00:00Z",
            "facts": {"activeBookings": 0, "activeSuperAdmins": 2, "soleHolderOf": [], "pendingApprovals": 0}});
        for (k, v) in extra.as_object().unwrap() {
            input[k] = v.clone();
        }
        json!({"policy": doc, "op": "transition", "input": input})
    };
    for extra in [
        json!({"durationMinutes": 4_294_967_295_u32}),
        json!({"durationDays": 4_294_967_295_u32}),
    ] {
        let d = ok(req(extra.clone()));
        assert_eq!(d["decision"], "deny", "{extra}: {d}");
        assert_eq!(d["deny"]["code"], "duration_too_long", "{extra}: {d}");
    }
    let d = ok(req(json!({"durationDays": 2})));
    if let Some(until) = d.get("until").and_then(Value::as_str) {
        assert!(Timestamp::parse(until).is_ok(), "{until}");
    }
}

#[test]
fn an_administrator_lock_is_not_worded_as_failed_logins_and_waits_read_as_durations() {
    let doc = lock_policy();
    let Some(lock_status) = doc["lifecycle"]["lockout"]["status"].as_str() else {
        return;
    };
    let login = |facts: Value| {
        json!({"policy": doc, "op": "login", "input": {
        "account": {"id": "u", "status": lock_status, "statusUntil": "2026-11-22T13:00:00Z"},
        "facts": facts, "now": "2026-11-22T10:00:00Z"}})
    };
    let d = ok(login(json!({})));
    assert_eq!(d["deny"]["code"], "account_locked", "{d}");
    assert!(
        !d["deny"]["message"].as_str().unwrap().contains("failed"),
        "{d}"
    );
    assert_eq!(d["deny"]["params"]["retryAfterSeconds"], 10_800);
    assert!(
        d["deny"]["hint"].as_str().unwrap().contains("3 hours"),
        "{d}"
    );
}

#[test]
fn messages_give_human_durations() {
    use warden_core::Lang;
    use warden_core::messages::human_duration;
    assert_eq!(human_duration(900, Lang::En), "15 minutes");
    assert_eq!(human_duration(3_661, Lang::En), "1 hour 1 minute");
    assert_eq!(
        human_duration(251_606_959_199, Lang::En),
        "7978 years 147 days"
    );
    assert_eq!(human_duration(90_000, Lang::Fr), "1 jour 1 heure");
}

/// An input error names the path and the kind of value, never the value: not a number
/// given as a password, nor any part of a string holding quotes of either kind, on the
/// text path and the value path alike.
#[test]
fn input_errors_never_repeat_the_value() {
    for (input, path, secret) in [
        (
            json!({"password": 31_415_926_535_u64}),
            "input.password",
            "31415926535",
        ),
        (
            json!({"password": "Tr0ub4dor&3x!", "mfa": "ab `cd\" ef"}),
            "input.mfa",
            "ab",
        ),
        (
            json!({"password": "Tr0ub4dor&3x!", "mfa": "x\" `y, expected z"}),
            "input.mfa",
            "x\"",
        ),
    ] {
        let request = json!({"preset": "crm", "op": "password", "input": input});
        let e = eval(request.clone()).unwrap_err();
        assert_eq!(e.path(), Some(path), "{e}");
        let text = api::evaluate_text(&request.to_string()).unwrap_err();
        for message in [e.to_string(), text] {
            assert!(!message.contains(secret), "{message}");
            assert!(message.contains("invalid type: "), "{message}");
        }
    }
}
