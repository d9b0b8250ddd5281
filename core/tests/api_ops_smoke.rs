//! Every JSON operation answers a well-formed request, and rejects a malformed one with a
//! typed error naming the key path.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::{Value, json};
use warden_core::api::evaluate;

fn ok(req: Value) -> Value {
    match evaluate(&req) {
        Ok(v) => v,
        Err(e) => panic!("{req}\n-> {e}"),
    }
}

#[test]
fn every_operation_answers() {
    let now = "2026-11-22T10:00:00Z";
    let admin = json!({"id": "a", "organization": "rent", "roles": ["administrator"]});
    let cust = json!({"id": "c", "organization": "rent", "roles": ["customer"], "attributes": {"firstName": "Ann", "lastName": "Lee", "email": "ann@example.com", "phone": "+33612345678", "accountType": "customer", "birthdate": "1990-01-01"}});
    let d = ok(
        json!({"preset": "002", "op": "authorize", "input": {"actor": admin, "action": "users.update", "target": {"id": "c", "organization": "rent"}, "now": now}}),
    );
    assert_eq!(d["decision"], "allow");
    let d = ok(
        json!({"preset": "001", "op": "scope", "input": {"actor": {"id": "s", "organization": "gt", "attributes": {"status": "active"}}, "action": "users.read", "now": now, "sql": {}}}),
    );
    assert_eq!(d["filter"]["kind"], "anyOf");
    assert!(d["sql"]["sql"].as_str().unwrap().contains("manager_id"));
    let d = ok(
        json!({"preset": "002", "op": "permissions", "input": {"actor": admin, "target": {"id": "c", "organization": "rent"}, "now": now}}),
    );
    assert!(
        d["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "users.status")
    );
    let d = ok(
        json!({"preset": "001", "op": "directory", "input": {"accounts": [{"id": "a", "manager": "b"}, {"id": "b", "manager": "a"}]}}),
    );
    assert_eq!(d["valid"], false);
    let d = ok(
        json!({"preset": "002", "op": "transition", "input": {"actor": admin, "target": cust, "to": "suspended", "reason": "fraud check", "durationDays": 7, "now": now}}),
    );
    assert_eq!(d["decision"], "allow", "{d}");
    let d = ok(
        json!({"preset": "002", "op": "login", "input": {"account": cust, "now": now, "facts": {"failedAttempts": ["2026-11-22T09:55:00Z", "2026-11-22T09:56:00Z", "2026-11-22T09:57:00Z", "2026-11-22T09:58:00Z", "2026-11-22T09:59:00Z"]}}}),
    );
    assert_eq!(d["decision"], "deny", "{d}");
    let d = ok(
        json!({"preset": "002", "op": "lockout", "input": {"failedAttempts": ["2026-11-22T09:59:00Z"], "now": now}}),
    );
    assert_eq!(d["locked"], false);
    let d = ok(
        json!({"preset": "002", "op": "delete", "input": {"actor": admin, "target": cust, "confirmed": true, "facts": {"activeBookings": 1}, "now": now}}),
    );
    assert_eq!(d["deny"]["code"], "active_bookings", "{d}");
    let d = ok(
        json!({"preset": "002", "op": "statistics", "input": {"accounts": [admin, cust], "now": now}}),
    );
    assert_eq!(d["total"], 2);
    ok(
        json!({"preset": "001", "op": "findings", "input": {"accounts": [{"id": "x", "status": "inactive", "roles": ["employee"]}], "now": now}}),
    );
    ok(json!({"preset": "002", "op": "effectiveStatus", "input": {"account": cust, "now": now}}));
    let d = ok(
        json!({"preset": "004", "op": "passwordReset", "input": {"actor": {"id": "r", "organization": "prs", "root": true}, "target": {"id": "u", "organization": "prs"}, "entropy": "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", "now": now}}),
    );
    assert!(d["temporaryPassword"].as_str().unwrap().len() >= 8, "{d}");
    let d = ok(
        json!({"preset": "004", "op": "import", "input": {"data": "username,firstName,lastName,userType,department,supervisor\njdoe,J,D,viewer,F,s\n", "today": "2026-11-22"}}),
    );
    assert_eq!(d["summary"]["valid"], 1);
    let d = ok(
        json!({"preset": "002", "op": "bulk", "input": {"actor": admin, "now": now, "items": [
            {"op": "status", "target": cust, "to": "inactive", "reason": "left"},
            {"op": "status", "target": cust, "to": "inactive"},
            {"op": "import", "user": {"firstName": "B", "lastName": "C", "email": "bad"}}
        ]}}),
    );
    assert_eq!(
        d["summary"],
        json!({"total": 3, "allowed": 1, "denied": 1, "invalid": 1}),
        "{d}"
    );
}

#[test]
fn malformed_inputs_name_their_path() {
    let e = evaluate(&json!({"preset": "002", "op": "authorize", "input": {"actor": {"id": "a"}, "action": "users.read", "target": {"id": "b"}}})).unwrap_err();
    assert_eq!(e.envelope()["error"]["path"], "input.now");
    let e = evaluate(&json!({"preset": "002", "op": "authorize", "input": {"actor": {"id": "a"}, "action": "users.fly", "target": {"id": "b"}, "now": "2026-11-22T10:00:00Z"}})).unwrap_err();
    assert_eq!(e.code(), "unknown_action");
    let e = evaluate(&json!({"preset": "002", "op": "transition", "input": {"actor": {"id": "a"}, "target": {"id": "b"}, "to": "flying", "now": "2026-11-22T10:00:00Z"}})).unwrap_err();
    assert_eq!(e.code(), "unknown_status", "{e}");
    let e = evaluate(&json!({"preset": "002", "op": "passwordReset", "input": {"actor": {"id": "a"}, "target": {"id": "b"}, "entropy": "abc", "now": "2026-11-22T10:00:00Z"}})).unwrap_err();
    assert_eq!(e.envelope()["error"]["path"], "input.entropy");
}

#[test]
fn a_policy_can_carry_its_own_blocklist() {
    use std::sync::Arc;
    use warden_core::password::Blocklist;
    let p = warden_core::Policy::preset("002").unwrap();
    let input = |pw: &str| warden_core::api::PasswordInput {
        password: warden_core::password::Password::new(pw),
        user: serde_json::Map::new(),
        mfa: false,
    };
    let pw = "zanzibar-quokka-lantern";
    let d = warden_core::api::check_password_json(&p, &input(pw), warden_core::Lang::En).unwrap();
    assert!(d.valid, "{:?}", d.violations);
    let custom = p.with_blocklist(Arc::new(Blocklist::from_text(pw)));
    assert_eq!(custom.hash(), p.hash());
    let d =
        warden_core::api::check_password_json(&custom, &input(pw), warden_core::Lang::En).unwrap();
    assert_eq!(d.violations[0].code, warden_core::Code::PasswordCommon);
}

#[test]
fn r002_08_verifications_are_approved_by_staff_never_by_oneself() {
    let now = "2026-11-22T10:00:00Z";
    let cust = json!({"id": "c", "organization": "rent", "roles": ["customer"]});
    let agent = json!({"id": "s", "organization": "rent", "roles": ["supportAgent"]});
    let d = ok(
        json!({"preset": "002", "op": "verification", "input": {"actor": cust, "account": cust, "kind": "identity", "approve": true, "now": now}}),
    );
    assert_eq!(d["decision"], "deny");
    assert_eq!(d["deny"]["code"], "self_approval");
    assert_eq!(d["flags"]["identity"], false);
    let other = json!({"id": "c2", "organization": "rent", "roles": ["customer"]});
    let d = ok(
        json!({"preset": "002", "op": "verification", "input": {"actor": cust, "account": other, "kind": "identity", "approve": true, "now": now}}),
    );
    assert_eq!(d["deny"]["code"], "not_permitted", "{d}");
    let d = ok(
        json!({"preset": "002", "op": "verification", "input": {"actor": agent, "account": cust, "kind": "identity", "approve": true, "now": now}}),
    );
    assert_eq!(d["decision"], "allow", "{d}");
    assert_eq!(d["flags"]["identity"], true);
}

/// A decision never carries a password: not in an import's records, not in the record a
/// field-access decision returns, whoever may see the field.
#[test]
fn no_decision_returns_a_password() {
    let secret = "Zq9!SecretEcho#77";
    let d = ok(json!({"preset": "000", "op": "import", "input": {
        "records": true,
        "today": "2026-11-22",
        "data": format!("firstName,lastName,email,password,organization\nAda,Lovelace,ada@acme.test,{secret},acme\nBad,Row,not-an-email,{secret},acme\n"),
    }}));
    let records = d["records"].as_array().unwrap();
    assert_eq!(records.len(), 2, "{d}");
    assert_eq!(records[0]["email"], "ada@acme.test", "{d}");
    assert!(!d.to_string().contains(secret), "{d}");
    let admin = json!({"id": "a", "organization": "rent", "roles": ["administrator"]});
    let d = ok(json!({"preset": "002", "op": "fieldAccess", "input": {
        "actor": admin,
        "target": {"id": "c", "organization": "rent"},
        "record": {"firstName": "Ada", "password": secret},
        "now": "2026-11-22T10:00:00Z",
    }}));
    assert_eq!(d["record"]["firstName"], "Ada", "{d}");
    assert!(!d.to_string().contains(secret), "{d}");
}
