#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::{Value, json};

use super::*;
use crate::model::Account;
use crate::policy::{Policy, PolicyErrorKind};

fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

const NOW: &str = "2026-03-01T12:00:00Z";

fn now() -> Timestamp {
    ts(NOW)
}

fn lifecycle() -> Value {
    json!({
        "initial": "active",
        "statuses": {
            "active": { "login": true, "label": {"en": "Active", "fr": "Actif"} },
            "inactive": { "rolesAllowed": false },
            "suspended": { "temporary": { "returnsTo": "active", "maxDays": 365 } },
            "blacklisted": { "terminal": true },
            "pendingVerification": { "awaitsVerification": true },
            "locked": { "temporary": { "returnsTo": "active" } }
        },
        "systemAdminField": "isSystemAdmin",
        "transitions": [
            { "id": "deactivate", "from": ["active", "suspended", "locked"], "to": "inactive", "by": {"permission": "users.status"},
              "reason": "required", "guards": ["lastSuperAdmin", "soleCriticalHolder", "systemAdminActive"],
              "obligations": ["revokeSessions", "notifyUser", "removeRoles", "removeGroups", "reassignApprovals"] },
            { "id": "reactivate", "from": ["inactive"], "to": "active", "guards": ["completeRecord"] },
            { "id": "suspend", "from": ["active", "pendingVerification"], "to": "suspended", "reason": "required",
              "guards": ["lastSuperAdmin"], "obligations": ["revokeSessions", "notifyUser"] },
            { "id": "unsuspend", "from": ["suspended", "locked"], "to": "active" },
            { "id": "blacklist", "from": ["active", "inactive", "suspended"], "to": "blacklisted", "reason": "required",
              "obligations": ["revokeSessions", "cancelFutureBookings"] },
            { "id": "lock", "from": ["active"], "to": "locked" }
        ],
        "lockout": { "threshold": 5, "windowMinutes": 15, "strategy": "escalating", "waitMinutes": 15,
                     "maxWaitMinutes": 1440, "permanentAfterLockouts": 3, "status": "locked" },
        "login": { "organizationMustBeActive": true, "passwordExpiry": true },
        "deletion": { "modes": ["soft", "hard", "anonymize"], "default": "soft", "blockers": ["activeBookings", "lastSuperAdmin"],
                      "anonymize": { "erase": ["firstName", "lastName", "email"], "keep": ["organization", "status"] },
                      "whenBlocked": "suspended", "alternative": "inactive" },
        "changes": { "email": ["notifyEmailChange", "verifyNewEmail"], "password": ["notifyUser", "revokeSessions"], "requireCurrentPassword": true },
        "passwordReset": { "methods": ["token", "temporaryPassword", "admin"], "tokenMinutes": 60, "by": {"permission": "users.update"} },
        "verifications": { "kinds": ["email", "phone", "identity", "payment", "address"],
                           "features": { "booking": ["email", "phone"], "pickup": ["identity", "payment"] } }
    })
}

fn doc_with(lc: Value) -> Value {
    json!({
        "warden": 1,
        "name": "test",
        "fields": {
            "id": { "type": "text" },
            "firstName": { "type": "name", "required": true },
            "lastName": { "type": "name", "required": true },
            "email": { "type": "email", "required": true },
            "password": { "type": "password" },
            "organization": { "type": "reference" },
            "status": { "type": "enum", "values": ["active", "inactive", "suspended", "blacklisted", "pendingVerification", "locked"] },
            "isSystemAdmin": { "type": "boolean" }
        },
        "password": { "profile": "composition", "expiryDays": 90 },
        "access": { "modules": { "users": ["read", "update", "delete", "status"] } },
        "lifecycle": lc
    })
}

fn policy() -> Policy {
    Policy::from_value(doc_with(lifecycle())).unwrap()
}

fn policy_err(patch: impl FnOnce(&mut Value)) -> crate::PolicyError {
    let mut lc = lifecycle();
    patch(&mut lc);
    Policy::from_value(doc_with(lc)).unwrap_err()
}

fn user(id: &str) -> Account {
    let mut a = Account::new(id);
    a.organization = Some("acme".into());
    a.attributes.insert("firstName".into(), json!("Ada"));
    a.attributes.insert("lastName".into(), json!("Lovelace"));
    a.attributes
        .insert("email".into(), json!(format!("{id}@example.com")));
    a
}

fn admin() -> Account {
    let mut a = user("admin");
    a.super_admin = true;
    a
}

fn full_facts() -> TransitionFacts {
    TransitionFacts {
        active_bookings: Some(0),
        active_super_admins: Some(2),
        sole_holder_of: Some(vec![]),
        pending_approvals: Some(0),
    }
}

fn req(target: Account, to: &str) -> TransitionRequest {
    TransitionRequest {
        actor: admin(),
        target,
        to: to.into(),
        reason: Some("left the company".into()),
        until: None,
        duration_days: None,
        duration_minutes: None,
        facts: full_facts(),
        actor_permissions: vec!["users.status".into()],
        lang: Lang::En,
    }
}

fn denied_code(d: &TransitionDecision) -> &str {
    assert_eq!(d.decision, Decision::Deny, "{d:?}");
    &d.deny.as_ref().unwrap().code
}

// ---------------------------------------------------------------- compile

#[test]
fn compile_accepts_the_full_example() {
    let p = policy();
    let lc = p.lifecycle().unwrap();
    assert_eq!(lc.initial(), "active");
    assert_eq!(
        lc.transition_between("active", "inactive").unwrap().id,
        "deactivate"
    );
    assert_eq!(
        lc.targets_from("active"),
        vec!["inactive", "suspended", "blacklisted", "locked"]
    );
}

#[test]
fn compile_rejects_unknown_status_in_transition_to_with_its_path() {
    let e = policy_err(|lc| lc["transitions"][2]["to"] = json!("suspendd"));
    assert_eq!(e.kind(), PolicyErrorKind::Invalid);
    assert_eq!(e.path(), "lifecycle.transitions[2].to");
    assert_eq!(e.help(), Some("did you mean `suspended`?"));
}

#[test]
fn compile_rejects_a_status_the_status_field_does_not_allow() {
    let e = policy_err(|lc| lc["statuses"]["probation"] = json!({"login": true}));
    assert_eq!(e.kind(), PolicyErrorKind::Invalid);
    assert_eq!(e.path(), "lifecycle.statuses.probation");
    assert!(e.to_string().contains("`status` field"), "{e}");
    // Allowed by the field, it loads.
    let mut doc = doc_with(lifecycle());
    doc["lifecycle"]["statuses"]["probation"] = json!({"login": true});
    doc["fields"]["status"]["values"]
        .as_array_mut()
        .unwrap()
        .push(json!("probation"));
    assert!(Policy::from_value(doc.clone()).is_ok());
    // A status field that is not an enum lists nothing to hold the lifecycle to.
    doc["fields"]["status"] = json!({"type": "text"});
    doc["lifecycle"]["statuses"]["review"] = json!({"login": false});
    assert!(Policy::from_value(doc).is_ok());
}

#[test]
fn compile_rejects_unknown_statuses_everywhere() {
    assert_eq!(
        policy_err(|lc| lc["initial"] = json!("nope")).path(),
        "lifecycle.initial"
    );
    assert_eq!(
        policy_err(|lc| lc["transitions"][1]["from"][0] = json!("x")).path(),
        "lifecycle.transitions[1].from[0]"
    );
    assert_eq!(
        policy_err(|lc| lc["statuses"]["suspended"]["temporary"]["returnsTo"] = json!("gone"))
            .path(),
        "lifecycle.statuses.suspended.temporary.returnsTo"
    );
    assert_eq!(
        policy_err(|lc| lc["deletion"]["whenBlocked"] = json!("x")).path(),
        "lifecycle.deletion.whenBlocked"
    );
    assert_eq!(
        policy_err(|lc| lc["lockout"]["status"] = json!("x")).path(),
        "lifecycle.lockout.status"
    );
}

#[test]
fn compile_rejects_duplicate_ids_and_pairs() {
    let e = policy_err(|lc| lc["transitions"][1]["id"] = json!("deactivate"));
    assert_eq!(e.path(), "lifecycle.transitions[1].id");
    assert!(e.reason().contains("duplicate transition id"));
    let e = policy_err(|lc| {
        lc["transitions"]
            .as_array_mut()
            .unwrap()
            .push(json!({"id": "again", "from": ["active"], "to": "inactive"}));
    });
    assert_eq!(e.path(), "lifecycle.transitions[6].from[0]");
}

#[test]
fn compile_rejects_transitions_out_of_a_terminal_status() {
    let e = policy_err(|lc| {
        lc["transitions"]
            .as_array_mut()
            .unwrap()
            .push(json!({"id": "pardon", "from": ["blacklisted"], "to": "active"}));
    });
    assert_eq!(e.path(), "lifecycle.transitions[6].from[0]");
    assert!(e.reason().contains("terminal"), "{e}");
}

#[test]
fn compile_rejects_bad_temporary_statuses() {
    let e =
        policy_err(|lc| lc["statuses"]["suspended"]["temporary"]["returnsTo"] = json!("locked"));
    assert!(e.reason().contains("temporary itself"), "{e}");
    let e = policy_err(|lc| lc["statuses"]["suspended"]["temporary"]["maxDays"] = json!(0));
    assert_eq!(e.path(), "lifecycle.statuses.suspended.temporary.maxDays");
    let e = policy_err(|lc| lc["statuses"]["suspended"]["temporary"] = json!({}));
    assert_eq!(e.kind(), PolicyErrorKind::Shape, "{e}");
    let e = policy_err(|lc| lc["statuses"]["suspended"]["terminal"] = json!(true));
    assert_eq!(e.path(), "lifecycle.statuses.suspended.terminal");
}

#[test]
fn compile_rejects_malformed_permissions() {
    for bad in [
        "users",
        "users.",
        ".status",
        "users.status.extra",
        "users status",
        "*.status",
    ] {
        let e = policy_err(|lc| lc["transitions"][0]["by"]["permission"] = json!(bad));
        assert_eq!(e.path(), "lifecycle.transitions[0].by.permission", "{bad}");
    }
    let e = policy_err(|lc| lc["transitions"][0]["by"] = json!({}));
    assert_eq!(e.path(), "lifecycle.transitions[0].by");
}

#[test]
fn compile_rejects_erase_keep_overlap_and_unknown_fields() {
    let e = policy_err(|lc| lc["deletion"]["anonymize"]["keep"] = json!(["email"]));
    assert_eq!(e.path(), "lifecycle.deletion.anonymize.keep[0]");
    assert!(e.reason().contains("both erased and kept"));
    let e = policy_err(|lc| lc["deletion"]["anonymize"]["erase"] = json!(["phone"]));
    assert_eq!(e.path(), "lifecycle.deletion.anonymize.erase[0]");
    let e = policy_err(|lc| lc["deletion"]["anonymize"]["keep"] = json!(["password"]));
    assert!(e.reason().contains("password"));
    let e = policy_err(|lc| lc["deletion"]["anonymize"] = Value::Null);
    assert_eq!(e.path(), "lifecycle.deletion.anonymize");
}

#[test]
fn a_group_rule_reads_no_status_an_account_leaves_by_itself() {
    let with_group = |statuses: Value| {
        let mut doc = doc_with(lifecycle());
        doc["access"]["roles"] =
            json!({"helper": {"permissions": [{"allow": "users.read", "scope": "own"}]}});
        doc["access"]["groups"] =
            json!({"g": {"roles": ["helper"], "rule": {"field": "status", "in": statuses}}});
        Policy::from_value(doc)
    };
    // Temporary (`suspended`), or the lockout's (`locked`): the group's roles would outlive
    // the status, or be given by failed sign-ins.
    for (statuses, why) in [
        (json!(["active", "suspended"]), "temporary"),
        (json!(["locked"]), "temporary"),
    ] {
        let e = with_group(statuses).unwrap_err();
        assert!(e.path().starts_with("access.groups.g"), "{e}");
        assert!(e.reason().contains(why), "{e}");
    }
    assert!(with_group(json!(["active", "inactive"])).is_ok());
}

#[test]
fn compile_rejects_a_lockout_status_that_would_not_let_go() {
    // Terminal: five wrong passwords, which anybody can type, would end any account.
    let e = policy_err(|lc| lc["lockout"]["status"] = json!("blacklisted"));
    assert_eq!(e.path(), "lifecycle.lockout.status");
    assert!(e.reason().contains("terminal"), "{e}");
    // Returning by itself to a terminal status: as final.
    let e = policy_err(|lc| {
        lc["statuses"]["locked"]["temporary"]["returnsTo"] = json!("blacklisted");
    });
    assert_eq!(e.path(), "lifecycle.lockout.status");
    assert!(e.reason().contains("terminal"), "{e}");
    // Signing in: it would lock nothing.
    let e = policy_err(|lc| lc["lockout"]["status"] = json!("active"));
    assert!(e.reason().contains("sign-in"), "{e}");
    // No way out: neither temporary nor left by a transition.
    let mut doc = doc_with(lifecycle());
    doc["fields"]["status"]["values"]
        .as_array_mut()
        .unwrap()
        .push(json!("held"));
    doc["lifecycle"]["statuses"]["held"] = json!({});
    doc["lifecycle"]["lockout"]["status"] = json!("held");
    let e = Policy::from_value(doc.clone()).unwrap_err();
    assert!(e.reason().contains("no way out"), "{e}");
    // Left by a transition, not temporary: an administrator lets it out.
    doc["lifecycle"]["transitions"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": "release", "from": ["held"], "to": "active"}));
    assert!(Policy::from_value(doc).is_ok());
}

#[test]
fn compile_rejects_zero_and_out_of_range_numbers() {
    assert_eq!(
        policy_err(|lc| lc["lockout"]["threshold"] = json!(0)).path(),
        "lifecycle.lockout.threshold"
    );
    assert_eq!(
        policy_err(|lc| lc["lockout"]["windowMinutes"] = json!(0)).path(),
        "lifecycle.lockout.windowMinutes"
    );
    assert_eq!(
        policy_err(|lc| lc["lockout"]["maxWaitMinutes"] = json!(1)).path(),
        "lifecycle.lockout.maxWaitMinutes"
    );
    assert_eq!(
        policy_err(|lc| lc["lockout"]["permanentAfterLockouts"] = json!(0)).path(),
        "lifecycle.lockout.permanentAfterLockouts"
    );
    assert_eq!(
        policy_err(|lc| lc["passwordReset"]["tokenMinutes"] = json!(0)).path(),
        "lifecycle.passwordReset.tokenMinutes"
    );
}

#[test]
fn compile_rejects_contradictions() {
    let e = policy_err(|lc| lc["transitions"][1]["duration"] = json!("required"));
    assert_eq!(e.path(), "lifecycle.transitions[1].duration");
    let e = policy_err(|lc| {
        lc["deletion"]["modes"] = json!(["hard"]);
        lc["deletion"]["default"] = json!("soft");
    });
    assert_eq!(e.path(), "lifecycle.deletion.default");
    let e = policy_err(|lc| lc["verifications"]["features"]["x"] = json!(["retina"]));
    assert_eq!(e.path(), "lifecycle.verifications.features.x[0]");
    let e = policy_err(|lc| lc["transitions"][0]["guards"] = json!(["notSelf", "notSelf"]));
    assert_eq!(e.path(), "lifecycle.transitions[0].guards[1]");
}

#[test]
fn compile_rejects_password_expiry_without_expiry_days() {
    let mut doc = doc_with(lifecycle());
    doc["password"] = json!({ "profile": "composition" });
    let e = Policy::from_value(doc).unwrap_err();
    assert_eq!(e.path(), "lifecycle.login.passwordExpiry");
}

#[test]
fn compile_rejects_lists_over_the_limit() {
    let many: Vec<String> = (0..=crate::policy::limits::MAX_LIST)
        .map(|i| format!("k{i}"))
        .collect();
    let e = policy_err(|lc| lc["verifications"]["kinds"] = json!(many));
    assert_eq!(e.kind(), PolicyErrorKind::Limit);
    assert_eq!(e.path(), "lifecycle.verifications.kinds");
}

#[test]
fn compile_rejects_unknown_keys() {
    let e = policy_err(|lc| lc["transitions"][0]["reasn"] = json!("required"));
    assert_eq!(e.kind(), PolicyErrorKind::Shape);
    assert_eq!(e.help(), Some("did you mean `reason`?"));
}

// ---------------------------------------------------------------- effective status

#[test]
fn temporary_status_expires_at_until() {
    let p = policy();
    let lc = p.lifecycle().unwrap();
    let mut a = user("u");
    a.status = "suspended".into();
    a.status_until = Some(now());
    let e = effective_status(lc, &a, now().plus_seconds(-1)).unwrap();
    assert_eq!(
        (e.status.as_str(), e.expired, e.until),
        ("suspended", false, Some(now()))
    );
    let e = effective_status(lc, &a, now()).unwrap();
    assert_eq!(
        (e.status.as_str(), e.stored.as_str(), e.expired),
        ("active", "suspended", true)
    );
    a.status_until = None;
    assert_eq!(effective_status(lc, &a, now()).unwrap().status, "suspended");
    a.status = "nope".into();
    assert!(matches!(
        effective_status(lc, &a, now()),
        Err(e) if e.kind() == crate::lifecycle::LifecycleErrorKind::UnknownStatus
    ));
}

// ---------------------------------------------------------------- transitions

#[test]
fn r004_06_deactivation_requires_reason() {
    let p = policy();
    // Blank, or made only of characters that show nothing (a zero-width space, a NUL, a
    // direction override): no reason.
    for reason in [
        None,
        Some("   "),
        Some("\u{200b}"),
        Some("\u{0}\u{202e} \n"),
    ] {
        let mut r = req(user("u"), "inactive");
        r.reason = reason.map(str::to_owned);
        let d = transition(&p, &r, now()).unwrap();
        assert_eq!(denied_code(&d), "reason_required");
        assert_eq!(d.deny.as_ref().unwrap().kind, DenyKind::InvalidRequest);
        assert_eq!(d.deny.as_ref().unwrap().message, "a reason is required");
    }
    let mut r = req(user("u"), "inactive");
    r.reason = Some("x".repeat(MAX_REASON_CHARS + 1));
    assert_eq!(
        denied_code(&transition(&p, &r, now()).unwrap()),
        "reason_too_long"
    );
    // Recorded without what would make it read otherwise than it is.
    r.reason = Some("left\u{0} the\ncompany\u{202e} \u{200b}".to_owned());
    let d = transition(&p, &r, now()).unwrap();
    assert_eq!(d.audit.reason.as_deref(), Some("left the company"));
    r.reason = Some(format!("  {}  ", "é".repeat(MAX_REASON_CHARS)));
    let d = transition(&p, &r, now()).unwrap();
    assert!(d.allowed(), "{d:?}");
    assert_eq!(
        d.audit.reason.as_deref().map(|r| r.chars().count()),
        Some(MAX_REASON_CHARS)
    );
}

#[test]
fn r004_06_deactivation_obliges_reassigning_pending_approvals() {
    let p = policy();
    let mut r = req(user("u"), "inactive");
    r.facts.pending_approvals = Some(3);
    let d = transition(&p, &r, now()).unwrap();
    assert!(d.allowed());
    assert!(
        d.obligations
            .contains(&Obligation::ReassignApprovals { count: 3 })
    );
    r.facts.pending_approvals = None;
    let d = transition(&p, &r, now()).unwrap();
    assert_eq!(denied_code(&d), "missing_fact");
    assert_eq!(
        d.deny.as_ref().unwrap().params["facts"],
        json!(["pendingApprovals"])
    );
}

#[test]
fn r002_06_temporary_status_requires_duration() {
    let p = policy();
    let mut r = req(user("u"), "suspended");
    let d = transition(&p, &r, now()).unwrap();
    assert_eq!(denied_code(&d), "duration_required");
    assert_eq!(
        d.deny.as_ref().unwrap().hint.as_deref(),
        Some("give `until`, `durationDays` or `durationMinutes`")
    );
    r.duration_days = Some(366);
    assert_eq!(
        denied_code(&transition(&p, &r, now()).unwrap()),
        "duration_too_long"
    );
    r.duration_days = Some(365);
    let d = transition(&p, &r, now()).unwrap();
    assert!(d.allowed(), "{d:?}");
    let until = now().plus_seconds(365 * 86_400);
    assert_eq!(d.until, Some(until));
    assert!(d.obligations.contains(&Obligation::ScheduleExpiry {
        at: until,
        returns_to: "active".into()
    }));
    r.until = Some(now());
    assert_eq!(
        denied_code(&transition(&p, &r, now()).unwrap()),
        "duration_ambiguous"
    );
    r.duration_days = None;
    assert_eq!(
        denied_code(&transition(&p, &r, now()).unwrap()),
        "duration_in_past"
    );
    r.until = None;
    r.duration_minutes = Some(30);
    assert!(transition(&p, &r, now()).unwrap().allowed());
    // A duration for a lasting status is refused.
    let mut r = req(user("u"), "inactive");
    r.duration_days = Some(3);
    assert_eq!(
        denied_code(&transition(&p, &r, now()).unwrap()),
        "duration_not_allowed"
    );
}

#[test]
fn r002_06_disabling_revokes_sessions_and_notifies() {
    let p = policy();
    let d = transition(&p, &req(user("u"), "inactive"), now()).unwrap();
    assert!(d.allowed());
    assert!(d.obligations.contains(&Obligation::RevokeSessions));
    assert!(d.obligations.contains(&Obligation::NotifyUser {
        template: "status.inactive".into()
    }));
    assert_eq!(d.obligations.last(), Some(&Obligation::Audit));
    assert_eq!(d.audit.reason.as_deref(), Some("left the company"));
    assert_eq!(d.audit.action, "users.status");
    assert_eq!(
        (d.audit.from.as_deref(), d.audit.to.as_deref()),
        (Some("active"), Some("inactive"))
    );
    assert_eq!(d.audit.at, now());
    assert_eq!(&*d.policy, p.hash());
}

#[test]
fn r001_06_deactivation_removes_roles_and_groups() {
    let p = policy();
    let mut u = user("u");
    u.roles = vec!["fleetManager".into()];
    u.groups = vec!["lyon".into()];
    let d = transition(&p, &req(u, "inactive"), now()).unwrap();
    assert!(d.obligations.contains(&Obligation::RemoveRoles {
        roles: vec!["fleetManager".into()]
    }));
    assert!(d.obligations.contains(&Obligation::RemoveGroups {
        groups: vec!["lyon".into()]
    }));
    // Nothing to remove: no empty obligation.
    let d = transition(&p, &req(user("v"), "inactive"), now()).unwrap();
    assert!(!d.obligations.iter().any(|o| matches!(
        o,
        Obligation::RemoveRoles { .. } | Obligation::RemoveGroups { .. }
    )));
}

#[test]
fn r004_09_sole_holder_of_critical_permission_cannot_be_deactivated() {
    let p = policy();
    let mut r = req(user("u"), "inactive");
    r.facts.sole_holder_of = Some(vec!["approvals.approve".into()]);
    let d = transition(&p, &r, now()).unwrap();
    assert_eq!(denied_code(&d), "sole_critical_holder");
    let deny = d.deny.unwrap();
    assert_eq!(deny.rule.as_deref(), Some("soleCriticalHolder"));
    assert_eq!(deny.kind, DenyKind::Forbidden);
    assert_eq!(
        deny.hint.as_deref(),
        Some("reassign the critical permission to another account first")
    );
    r.facts.sole_holder_of = None;
    let d = transition(&p, &r, now()).unwrap();
    assert_eq!(d.deny.unwrap().params["facts"], json!(["soleHolderOf"]));
}

#[test]
fn r003_05_system_admin_must_stay_active() {
    let p = policy();
    let mut u = user("u");
    u.attributes.insert("isSystemAdmin".into(), json!(true));
    let d = transition(&p, &req(u.clone(), "inactive"), now()).unwrap();
    assert_eq!(denied_code(&d), "system_admin_active");
    assert_eq!(
        d.deny.unwrap().hint.as_deref(),
        Some("remove the system administrator flag first")
    );
    u.attributes.insert("isSystemAdmin".into(), json!(false));
    assert!(
        transition(&p, &req(u, "inactive"), now())
            .unwrap()
            .allowed()
    );
}

#[test]
fn last_super_admin_cannot_be_deactivated_or_suspended() {
    let p = policy();
    let mut target = user("boss");
    target.super_admin = true;
    let mut r = req(target, "inactive");
    r.facts.active_super_admins = Some(1);
    assert_eq!(
        denied_code(&transition(&p, &r, now()).unwrap()),
        "last_super_admin"
    );
    r.to = "suspended".into();
    r.duration_days = Some(1);
    assert_eq!(
        denied_code(&transition(&p, &r, now()).unwrap()),
        "last_super_admin"
    );
    r.facts.active_super_admins = None;
    assert_eq!(
        denied_code(&transition(&p, &r, now()).unwrap()),
        "missing_fact"
    );
    r.facts.active_super_admins = Some(2);
    assert!(transition(&p, &r, now()).unwrap().allowed());
    // Not a super admin: the fact is not needed.
    let mut r = req(user("u"), "inactive");
    r.facts.active_super_admins = None;
    assert!(transition(&p, &r, now()).unwrap().allowed());
}

#[test]
fn a_forbidding_guard_wins_over_missing_facts_and_missing_facts_are_listed_together() {
    let p = policy();
    let mut r = req(user("u"), "inactive");
    r.facts = TransitionFacts::default();
    let d = transition(&p, &r, now()).unwrap();
    assert_eq!(d.deny.as_ref().unwrap().kind, DenyKind::MissingFact);
    assert_eq!(
        d.deny.unwrap().params["facts"],
        json!(["soleHolderOf", "pendingApprovals"])
    );
    r.target
        .attributes
        .insert("isSystemAdmin".into(), json!(true));
    assert_eq!(
        denied_code(&transition(&p, &r, now()).unwrap()),
        "system_admin_active"
    );
}

#[test]
fn r004_07_reactivation_requires_complete_record() {
    let p = policy();
    let mut u = user("u");
    u.status = "inactive".into();
    u.attributes.remove("lastName");
    u.attributes.insert("email".into(), json!("not-an-email"));
    let d = transition(&p, &req(u.clone(), "active"), now()).unwrap();
    assert_eq!(denied_code(&d), "incomplete_record");
    let deny = d.deny.unwrap();
    // Schema order; the test policy comes through a `serde_json::Value`, whose key order
    // depends on the build's serde_json features, so compare as sets.
    let mut fields: Vec<String> = serde_json::from_value(deny.params["fields"].clone()).unwrap();
    fields.sort();
    assert_eq!(fields, vec!["email", "lastName"]);
    assert!(
        deny.message
            .starts_with("the record is incomplete or invalid: "),
        "{}",
        deny.message
    );
    u.attributes.insert("lastName".into(), json!("Lovelace"));
    u.attributes
        .insert("email".into(), json!("ada@example.com"));
    assert!(transition(&p, &req(u, "active"), now()).unwrap().allowed());
}

#[test]
fn r001_02_inactive_can_be_reactivated() {
    let p = policy();
    let mut u = user("u");
    u.status = "inactive".into();
    let d = transition(&p, &req(u, "active"), now()).unwrap();
    assert!(d.allowed(), "{d:?}");
    assert_eq!(d.transition.as_deref(), Some("reactivate"));
}

#[test]
fn same_status_and_missing_transitions_are_denied_with_the_allowed_targets() {
    let p = policy();
    let d = transition(&p, &req(user("u"), "active"), now()).unwrap();
    assert_eq!(denied_code(&d), "already_in_status");
    let mut u = user("u");
    u.status = "inactive".into();
    let d = transition(&p, &req(u, "suspended"), now()).unwrap();
    assert_eq!(denied_code(&d), "no_such_transition");
    let deny = d.deny.unwrap();
    assert_eq!(deny.params["allowed"], json!(["active", "blacklisted"]));
    assert_eq!(
        deny.hint.as_deref(),
        Some("from `inactive` the account can go to: active, blacklisted")
    );
}

#[test]
fn blacklisted_is_permanent() {
    let p = policy();
    let mut u = user("u");
    u.status = "blacklisted".into();
    let d = transition(&p, &req(u, "active"), now()).unwrap();
    assert_eq!(denied_code(&d), "terminal_status");
    assert_eq!(d.deny.unwrap().kind, DenyKind::InvalidState);
}

#[test]
fn expired_suspension_counts_as_active() {
    let p = policy();
    let mut u = user("u");
    u.status = "suspended".into();
    u.status_until = Some(now().plus_seconds(-60));
    let d = transition(&p, &req(u, "inactive"), now()).unwrap();
    assert_eq!(d.from, "active");
    assert!(d.allowed());
}

#[test]
fn by_permission_is_checked() {
    let p = policy();
    let mut r = req(user("u"), "inactive");
    r.actor = user("clerk");
    r.actor_permissions = vec!["users.read".into()];
    let d = transition(&p, &r, now()).unwrap();
    assert_eq!(denied_code(&d), "not_permitted");
    assert_eq!(
        d.deny.as_ref().unwrap().params["permission"],
        json!("users.status")
    );
    r.actor_permissions = vec!["users.*".into()];
    assert!(transition(&p, &r, now()).unwrap().allowed());
}

#[test]
fn unknown_status_and_missing_lifecycle_are_errors() {
    let p = policy();
    let e = transition(&p, &req(user("u"), "retired"), now()).unwrap_err();
    assert_eq!(e.to_string(), "`retired` is not a status of the policy");
    let mut doc = doc_with(lifecycle());
    doc.as_object_mut().unwrap().remove("lifecycle");
    let bare = Policy::from_value(doc).unwrap();
    assert_eq!(
        transition(&bare, &req(user("u"), "inactive"), now()).unwrap_err(),
        LifecycleError::no_lifecycle()
    );
    assert_eq!(
        LifecycleError::no_lifecycle().to_string(),
        "the policy has no lifecycle section"
    );
}

#[test]
fn messages_are_rendered_in_french() {
    let p = policy();
    let mut r = req(user("u"), "suspended");
    r.lang = Lang::Fr;
    let d = transition(&p, &r, now()).unwrap();
    assert_eq!(
        d.deny.unwrap().message,
        "une durée est obligatoire pour l'état temporaire `suspended`"
    );
}

#[test]
fn decisions_serialise_in_camel_case() {
    let p = policy();
    let mut r = req(user("u"), "suspended");
    r.duration_days = Some(2);
    let v = serde_json::to_value(transition(&p, &r, now()).unwrap()).unwrap();
    assert_eq!(v["decision"], "allow");
    assert_eq!(v["transition"], "suspend");
    assert_eq!(v["obligations"][0], json!({"kind": "revokeSessions"}));
    assert_eq!(
        v["obligations"][2],
        json!({"kind": "scheduleExpiry", "at": "2026-03-03T12:00:00Z", "returnsTo": "active"})
    );
    assert_eq!(v["audit"]["at"], NOW);
    let r2: TransitionRequest = serde_json::from_value(json!({
        "actor": {"id": "a"}, "target": {"id": "b"}, "to": "inactive", "reason": "x",
        "facts": {"activeBookings": 0, "soleHolderOf": []}, "lang": "fr"
    }))
    .unwrap();
    assert_eq!(r2.facts.active_bookings, Some(0));
    // The permissions an actor holds are computed, never read from a request.
    assert!(
        serde_json::from_value::<TransitionRequest>(json!({
            "actor": {"id": "a"}, "target": {"id": "b"}, "to": "inactive",
            "actorPermissions": ["users.status"]
        }))
        .is_err()
    );
    assert!(serde_json::from_value::<TransitionFacts>(json!({"bookings": 1})).is_err());
}

// ---------------------------------------------------------------- lockout and login

fn lockout(strategy: &str) -> LockoutSpec {
    serde_json::from_value(json!({
        "threshold": 3, "windowMinutes": 10, "strategy": strategy, "waitMinutes": 15, "maxWaitMinutes": 40
    }))
    .unwrap()
}

fn minutes(ms: &[i64]) -> Vec<Timestamp> {
    ms.iter().map(|m| now().plus_seconds(m * 60)).collect()
}

#[test]
fn r002_12_failed_logins_lock_the_account() {
    let spec = lockout("fixed");
    let s = lockout_state(&spec, &minutes(&[0, 1]), 0, now().plus_seconds(120));
    assert_eq!(
        (s.locked, s.failures_in_window, s.remaining_attempts),
        (false, 2, 1)
    );
    // Exactly at the threshold.
    let s = lockout_state(&spec, &minutes(&[0, 1, 2]), 0, now().plus_seconds(120));
    assert!(s.locked);
    assert_eq!(s.until, Some(now().plus_seconds((2 + 15) * 60)));
    assert_eq!(s.retry_after_seconds, Some(15 * 60));
    assert_eq!(s.lockouts, 1);
    // One second before and exactly at `until`.
    let until = now().plus_seconds(17 * 60);
    assert!(lockout_state(&spec, &minutes(&[0, 1, 2]), 0, until.plus_seconds(-1)).locked);
    let s = lockout_state(&spec, &minutes(&[0, 1, 2]), 0, until);
    assert!(!s.locked);
    assert_eq!((s.failures_in_window, s.remaining_attempts), (0, 3));
}

#[test]
fn lockout_window_slides() {
    let spec = lockout("fixed");
    // The first failure is exactly 10 minutes old at the third: it no longer counts.
    let s = lockout_state(&spec, &minutes(&[0, 5, 10]), 0, now().plus_seconds(600));
    assert!(!s.locked);
    assert_eq!(s.failures_in_window, 2);
    // A second less and it locks.
    let mut t = minutes(&[0, 5]);
    t.push(now().plus_seconds(599));
    assert!(lockout_state(&spec, &t, 0, now().plus_seconds(599)).locked);
    // Failures in the future are ignored; order does not matter.
    let s = lockout_state(&spec, &minutes(&[2, 0, 1, 60]), 0, now().plus_seconds(120));
    assert!(s.locked);
    // Old failures drop out of the window.
    let s = lockout_state(&spec, &minutes(&[0, 1]), 0, now().plus_seconds(11 * 60));
    assert_eq!(s.failures_in_window, 0);
}

#[test]
fn escalating_lockout_doubles_and_is_capped_and_becomes_permanent() {
    let mut spec = lockout("escalating");
    let s = lockout_state(&spec, &minutes(&[0, 1, 2]), 1, now().plus_seconds(120));
    assert_eq!(s.retry_after_seconds, Some(30 * 60));
    let s = lockout_state(&spec, &minutes(&[0, 1, 2]), 5, now().plus_seconds(120));
    assert_eq!(s.retry_after_seconds, Some(40 * 60));
    // Replayed: a first lockout at 2 (15 min, failures during it ignored), a second at 19.
    let s = lockout_state(
        &spec,
        &minutes(&[0, 1, 2, 5, 17, 18, 19]),
        0,
        now().plus_seconds(19 * 60),
    );
    assert_eq!(s.lockouts, 2);
    assert_eq!(s.until, Some(now().plus_seconds((19 + 30) * 60)));
    spec.permanent_after_lockouts = Some(2);
    let s = lockout_state(
        &spec,
        &minutes(&[0, 1, 2, 5, 17, 18, 19]),
        0,
        now().plus_seconds(10 * 86_400),
    );
    assert!(s.locked && s.permanent);
    assert_eq!(s.until, None);
    assert!(lockout_state(&spec, &[], 2, now()).permanent);
}

fn login_facts() -> LoginFacts {
    LoginFacts {
        password_changed_at: Some(now().plus_seconds(-86_400)),
        ..LoginFacts::default()
    }
}

fn org(active: bool) -> OrganizationState {
    OrganizationState {
        id: "acme".into(),
        active,
    }
}

#[test]
fn r000_06_inactive_cannot_log_in() {
    let p = policy();
    let mut u = user("u");
    assert!(
        can_login(&p, &u, Some(&org(true)), &login_facts(), now(), Lang::En)
            .unwrap()
            .allowed()
    );
    u.status = "inactive".into();
    let d = can_login(&p, &u, Some(&org(true)), &login_facts(), now(), Lang::En).unwrap();
    assert!(!d.allowed());
    let deny = d.deny.unwrap();
    assert_eq!(deny.code, "status_inactive");
    assert_eq!(deny.message, "the account is `inactive` and cannot log in");
    for (status, code) in [
        ("blacklisted", "blacklisted"),
        ("pendingVerification", "pending_verification"),
    ] {
        u.status = status.into();
        let d = can_login(&p, &u, Some(&org(true)), &login_facts(), now(), Lang::En).unwrap();
        assert_eq!(d.deny.unwrap().code, code);
    }
    u.status = "locked".into();
    u.status_until = Some(now().plus_seconds(90));
    // Locked by an administrator: no failed logins lock it now.
    let d = can_login(&p, &u, Some(&org(true)), &login_facts(), now(), Lang::En).unwrap();
    let deny = d.deny.unwrap();
    assert_eq!(deny.code, "account_locked");
    assert_eq!(deny.params["retryAfterSeconds"], json!(90));
    assert!(!deny.message.contains("failed"), "{}", deny.message);
    // Locked by the lockout: the failed attempts lock it now.
    let mut f = login_facts();
    f.failed_attempts = minutes(&[-4, -3, -2, -1, 0]);
    let d = can_login(&p, &u, Some(&org(true)), &f, now(), Lang::En).unwrap();
    assert_eq!(d.deny.unwrap().code, "locked");
    u.status_until = Some(now());
    assert!(
        can_login(&p, &u, Some(&org(true)), &login_facts(), now(), Lang::En)
            .unwrap()
            .allowed()
    );
}

#[test]
fn r000_06_inactive_can_be_reactivated() {
    let p = policy();
    let mut u = user("u");
    u.status = "inactive".into();
    let d = transition(&p, &req(u, "active"), now()).unwrap();
    assert!(d.allowed());
}

#[test]
fn r000_08_inactive_organization_blocks_login() {
    let p = policy();
    let u = user("u");
    let d = can_login(&p, &u, Some(&org(false)), &login_facts(), now(), Lang::En).unwrap();
    let deny = d.deny.unwrap();
    assert_eq!(deny.code, "organization_inactive");
    assert_eq!(deny.message, "the organization `acme` is inactive");
    let d = can_login(&p, &u, None, &login_facts(), now(), Lang::En).unwrap();
    assert_eq!(d.deny.unwrap().params["facts"], json!(["organization"]));
}

#[test]
fn r003_06_expired_password_blocks_login() {
    let p = policy();
    let u = user("u");
    let mut f = login_facts();
    f.password_changed_at = Some(now().plus_seconds(-90 * 86_400));
    let d = can_login(&p, &u, Some(&org(true)), &f, now(), Lang::En).unwrap();
    assert_eq!(d.deny.as_ref().unwrap().code, "password_expired");
    assert!(d.must_change_password);
    f.password_changed_at = Some(now().plus_seconds(-90 * 86_400 + 1));
    assert!(
        can_login(&p, &u, Some(&org(true)), &f, now(), Lang::En)
            .unwrap()
            .allowed()
    );
    f.password_changed_at = None;
    let d = can_login(&p, &u, Some(&org(true)), &f, now(), Lang::En).unwrap();
    assert_eq!(
        d.deny.unwrap().params["facts"],
        json!(["passwordChangedAt"])
    );
}

#[test]
fn r002_12_login_gate_applies_the_lockout() {
    let p = policy();
    let mut f = login_facts();
    f.failed_attempts = minutes(&[-4, -3, -2, -1, 0]);
    let d = can_login(&p, &user("u"), Some(&org(true)), &f, now(), Lang::En).unwrap();
    let deny = d.deny.unwrap();
    assert_eq!(deny.code, "locked");
    assert_eq!(deny.params["retryAfterSeconds"], json!(900));
    assert_eq!(deny.hint.as_deref(), Some("try again in 15 minutes"));
    f.lockouts = 3;
    let d = can_login(&p, &user("u"), Some(&org(true)), &f, now(), Lang::En).unwrap();
    assert_eq!(d.deny.unwrap().code, "locked_permanently");
}

#[test]
fn r002_05_admin_reset_forces_change_at_next_login() {
    let p = policy();
    let mut rng = Counter(7);
    let r = PasswordResetRequest {
        actor: admin(),
        target: user("u"),
        method: Some(ResetMethod::Admin),
        actor_permissions: vec!["users.update".into()],
        lang: Lang::En,
    };
    let d = password_reset(&p, &r, &mut rng, now()).unwrap();
    assert!(d.allowed());
    assert!(d.must_change_password);
    assert!(d.obligations.contains(&Obligation::ForcePasswordChange));
    let mut f = login_facts();
    f.must_change_password = true;
    let l = can_login(&p, &user("u"), Some(&org(true)), &f, now(), Lang::En).unwrap();
    assert!(l.allowed() && l.must_change_password);
}

// ---------------------------------------------------------------- password reset and changes

struct Counter(u32);
impl crate::password::RandomSource for Counter {
    fn next_u32(&mut self) -> u32 {
        self.0 = self.0.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        self.0
    }
}

fn reset(method: ResetMethod, actor: Account) -> PasswordResetDecision {
    let r = PasswordResetRequest {
        actor,
        target: user("u"),
        method: Some(method),
        actor_permissions: vec!["users.update".into()],
        lang: Lang::En,
    };
    password_reset(&policy(), &r, &mut Counter(1), now()).unwrap()
}

#[test]
fn r002_07_reset_invalidates_old_passwords() {
    for m in [
        ResetMethod::Token,
        ResetMethod::TemporaryPassword,
        ResetMethod::Admin,
    ] {
        let d = reset(m, admin());
        assert!(
            d.obligations.contains(&Obligation::InvalidatePasswords),
            "{m:?}"
        );
    }
    let d = reset(ResetMethod::Token, admin());
    let at = now().plus_seconds(3600);
    assert_eq!(d.expires_at, Some(at));
    assert!(
        d.obligations
            .contains(&Obligation::IssueResetToken { expires_at: at })
    );
    assert!(!d.must_change_password);
}

#[test]
fn r004_08_password_reset_keeps_status() {
    let mut target = user("u");
    target.status = "suspended".into();
    let r = PasswordResetRequest {
        actor: admin(),
        target,
        method: Some(ResetMethod::TemporaryPassword),
        actor_permissions: vec!["users.update".into()],
        lang: Lang::En,
    };
    let p = policy();
    let d = password_reset(&p, &r, &mut Counter(3), now()).unwrap();
    assert_eq!(d.status, "suspended");
    assert!(
        !d.obligations
            .iter()
            .any(|o| matches!(o, Obligation::ScheduleExpiry { .. }))
    );
    let pw = d.temporary_password().unwrap();
    let report = crate::password::check_password(
        p.password_policy().unwrap(),
        pw.expose(),
        &Default::default(),
    );
    assert!(report.is_acceptable());
    let json = serde_json::to_string(&d).unwrap();
    assert!(
        !json.contains(pw.expose()),
        "the temporary password must never be serialised"
    );
    assert!(!format!("{d:?}").contains(pw.expose()));
    // A second reset gives another password.
    let d2 = password_reset(&p, &r, &mut Counter(4), now()).unwrap();
    assert_ne!(d2.temporary_password().unwrap().expose(), pw.expose());
}

#[test]
fn self_service_reset_is_token_only_and_others_need_permission() {
    let d = reset(ResetMethod::Admin, user("u"));
    assert_eq!(d.deny.unwrap().code, "self_reset_method");
    assert!(reset(ResetMethod::Token, user("u")).allowed());
    let r = PasswordResetRequest {
        actor: user("clerk"),
        target: user("u"),
        method: None,
        actor_permissions: vec![],
        lang: Lang::En,
    };
    let d = password_reset(&policy(), &r, &mut Counter(1), now()).unwrap();
    assert_eq!(d.deny.unwrap().code, "not_permitted");
}

fn change(before: Account, after: Account, actor: Account) -> ChangeDecision {
    let r = ChangeRequest {
        actor,
        before,
        after,
        current_password_verified: None,
        facts: ChangeFacts::default(),
        lang: Lang::En,
    };
    changes(&policy(), &r, now()).unwrap()
}

#[test]
fn the_last_super_admin_cannot_lose_the_flag_by_an_edit() {
    let before = admin();
    let mut after = before.clone();
    after.super_admin = false;
    let mut r = ChangeRequest {
        actor: admin(),
        before,
        after,
        current_password_verified: None,
        facts: ChangeFacts {
            active_super_admins: Some(1),
            sole_holder_of: None,
        },
        lang: Lang::En,
    };
    let code = |p: &Policy, r: &ChangeRequest| {
        let d = changes(p, r, now()).unwrap();
        d.deny
            .map_or_else(|| "allow".to_owned(), |x| x.code.into_owned())
    };
    let p = policy();
    assert_eq!(code(&p, &r), "last_super_admin");
    r.facts.active_super_admins = None;
    assert_eq!(code(&p, &r), "missing_fact");
    r.facts.active_super_admins = Some(2);
    assert_eq!(code(&p, &r), "allow");
    // Not in a login status: not counted, the fact not needed.
    r.facts.active_super_admins = None;
    r.before.status = "inactive".into();
    r.after.status = "inactive".into();
    assert_eq!(code(&p, &r), "allow");
    // Granting the flag, or keeping it, needs no fact.
    r.before.status = "active".into();
    r.after.status = "active".into();
    r.after.super_admin = true;
    assert_eq!(code(&p, &r), "allow");
    // A policy that does not guard the last super administrator lets the edit through.
    fn unguard(v: &mut Value) {
        match v {
            Value::Array(a) => {
                a.retain(|g| g != "lastSuperAdmin");
                a.iter_mut().for_each(unguard);
            }
            Value::Object(o) => o.values_mut().for_each(unguard),
            _ => {}
        }
    }
    let mut lc = lifecycle();
    unguard(&mut lc);
    let open = Policy::from_value(doc_with(lc)).unwrap();
    r.after.super_admin = false;
    assert_eq!(code(&p, &r), "missing_fact");
    assert_eq!(code(&open, &r), "allow");
}

#[test]
fn r000_12_email_change_notifies_user() {
    let before = user("u");
    let mut after = before.clone();
    after
        .attributes
        .insert("email".into(), json!("new@example.com"));
    let d = change(before.clone(), after, admin());
    assert!(d.obligations.contains(&Obligation::NotifyEmailChange {
        old: "u@example.com".into(),
        new: "new@example.com".into()
    }));
    // A change of case only is not an email change.
    let mut after = before.clone();
    after
        .attributes
        .insert("email".into(), json!("U@Example.com"));
    let d = change(before, after, admin());
    assert!(
        !d.obligations
            .iter()
            .any(|o| matches!(o, Obligation::NotifyEmailChange { .. }))
    );
    assert_eq!(d.changed, vec!["email"]);
}

#[test]
fn r002_05_email_change_requires_verification() {
    let before = user("u");
    let mut after = before.clone();
    after
        .attributes
        .insert("email".into(), json!("new@example.com"));
    let d = change(before, after, admin());
    assert!(d.obligations.contains(&Obligation::VerifyNewEmail {
        email: "new@example.com".into()
    }));
}

#[test]
fn r002_05_self_service_password_change_needs_the_current_password() {
    let p = policy();
    let mut r = PasswordChangeRequest {
        actor: user("u"),
        target: user("u"),
        current_password_verified: None,
        lang: Lang::En,
    };
    let d = password_change(&p, &r, now()).unwrap();
    assert_eq!(d.deny.unwrap().code, "current_password_required");
    r.current_password_verified = Some(true);
    let d = password_change(&p, &r, now()).unwrap();
    assert!(d.allowed());
    assert!(d.obligations.contains(&Obligation::RevokeSessions));
    // Through an edit too; an administrator needs no current password.
    let before = user("u");
    let mut after = before.clone();
    after
        .attributes
        .insert("password".into(), json!("N3w-Secret-Pass!"));
    assert_eq!(
        change(before.clone(), after.clone(), user("u"))
            .deny
            .unwrap()
            .code,
        "current_password_required"
    );
    assert!(change(before, after, admin()).allowed());
}

#[test]
fn r003_08_changes_are_audited_with_actor() {
    let before = user("u");
    let mut after = before.clone();
    after.roles = vec!["sales".into()];
    after.attributes.insert("lastName".into(), json!("Byron"));
    after
        .attributes
        .insert("password".into(), json!("Sup3r-Secret-Value!"));
    let d = change(before, after, admin());
    assert!(d.allowed());
    assert_eq!(d.audit.actor, "admin");
    assert_eq!(d.audit.target, "u");
    assert_eq!(d.audit.at, now());
    assert_eq!(d.audit.fields, vec!["roles", "lastName", "password"]);
    assert_eq!(d.audit.roles_added, vec!["sales"]);
    assert_eq!(d.obligations.last(), Some(&Obligation::Audit));
    let json = serde_json::to_string(&d).unwrap();
    assert!(!json.contains("Sup3r-Secret-Value!"));
}

#[test]
fn an_edit_cannot_change_the_status() {
    let before = user("u");
    let mut after = before.clone();
    after.status = "inactive".into();
    assert_eq!(
        change(before, after, admin()).deny.unwrap().code,
        "status_change_needs_transition"
    );
}

// ---------------------------------------------------------------- deletion

fn del(target: Account, mode: Option<DeleteMode>, confirmed: bool) -> DeleteDecision {
    let r = DeleteRequest {
        actor: admin(),
        target,
        mode,
        confirmed,
        facts: full_facts(),
        actor_permissions: vec![],
        lang: Lang::En,
    };
    delete(&policy(), &r, now()).unwrap()
}

#[test]
fn r000_09_delete_requires_confirmation_and_suggests_deactivation() {
    let d = del(user("u"), Some(DeleteMode::Hard), false);
    let deny = d.deny.clone().unwrap();
    assert_eq!(deny.code, "confirmation_required");
    assert_eq!(
        deny.hint.as_deref(),
        Some("confirm the deletion, or set the status to `inactive` instead")
    );
    assert_eq!(
        d.suggestion,
        Some(Suggestion {
            status: "inactive".into(),
            transition: Some("deactivate".into())
        })
    );
    let d = del(user("u"), Some(DeleteMode::Hard), true);
    assert!(d.allowed());
    assert!(d.obligations.contains(&Obligation::RevokeSessions));
    assert_eq!(d.mode, Some(DeleteMode::Hard));
    assert_eq!(d.suggestion.unwrap().status, "inactive");
}

#[test]
fn r002_10_active_bookings_block_deletion_and_suggest_suspension() {
    let mut r = DeleteRequest {
        actor: admin(),
        target: user("u"),
        mode: None,
        confirmed: true,
        facts: full_facts(),
        actor_permissions: vec![],
        lang: Lang::En,
    };
    r.facts.active_bookings = Some(2);
    let d = delete(&policy(), &r, now()).unwrap();
    let deny = d.deny.unwrap();
    assert_eq!(deny.code, "active_bookings");
    assert_eq!(
        deny.hint.as_deref(),
        Some("set the status to `suspended` instead")
    );
    assert_eq!(
        d.suggestion,
        Some(Suggestion {
            status: "suspended".into(),
            transition: Some("suspend".into())
        })
    );
    r.facts.active_bookings = None;
    let d = delete(&policy(), &r, now()).unwrap();
    assert_eq!(d.deny.unwrap().params["facts"], json!(["activeBookings"]));
}

#[test]
fn r002_10_anonymize_erases_personal_data_and_keeps_records() {
    let d = del(user("u"), Some(DeleteMode::Anonymize), true);
    assert!(d.allowed());
    let (mut keep, mut erase) = (d.keep.clone(), d.erase.clone());
    keep.sort();
    erase.sort();
    assert_eq!(keep, vec!["id", "organization", "status"]);
    assert_eq!(
        erase,
        vec![
            "email",
            "firstName",
            "isSystemAdmin",
            "lastName",
            "password"
        ]
    );
    let rec = d.anonymized.unwrap();
    assert_eq!(rec["firstName"], Value::Null);
    assert_eq!(rec["email"], Value::Null);
    assert_eq!(rec["id"], json!("u"));
    assert_eq!(rec["organization"], json!("acme"));
}

#[test]
fn last_super_admin_cannot_be_deleted() {
    let mut t = user("boss");
    t.super_admin = true;
    let r = DeleteRequest {
        actor: admin(),
        target: t,
        mode: Some(DeleteMode::Soft),
        confirmed: true,
        facts: TransitionFacts {
            active_super_admins: Some(1),
            active_bookings: Some(0),
            ..TransitionFacts::default()
        },
        actor_permissions: vec![],
        lang: Lang::En,
    };
    assert_eq!(
        delete(&policy(), &r, now()).unwrap().deny.unwrap().code,
        "last_super_admin"
    );
}

// ---------------------------------------------------------------- findings, statistics, verifications

#[test]
fn r001_06_inactive_user_with_roles_is_reported() {
    let p = policy();
    let mut a = user("a");
    a.status = "inactive".into();
    a.roles = vec!["hr".into()];
    let mut b = user("b");
    b.roles = vec!["hr".into()];
    let mut c = user("c");
    c.status = "suspended".into();
    c.attributes.insert("isSystemAdmin".into(), json!(true));
    let f = security_findings(&p, &[a, b, c], now()).unwrap();
    assert_eq!(f.len(), 2);
    assert_eq!(
        (
            f[0].code.as_str(),
            f[0].account.as_str(),
            f[0].rule.as_str()
        ),
        ("roles_in_inactive_status", "a", "R001-06")
    );
    assert_eq!(f[0].roles, vec!["hr"]);
    assert_eq!(
        (f[1].code.as_str(), f[1].rule.as_str()),
        ("system_admin_not_active", "R003-05")
    );
}

#[test]
fn r000_10_statistics() {
    let p = policy();
    let mut a = admin();
    a.organization = Some("hq".into());
    let mut b = user("b");
    b.status = "inactive".into();
    let mut c = user("c");
    c.status = "suspended".into();
    c.status_until = Some(now());
    let mut d = user("d");
    d.organization = None;
    let accounts = [a, b, c, d];
    let s = statistics(Some(&p), &accounts, now());
    assert_eq!(
        (s.total, s.active, s.super_admins, s.organizations),
        (4, 3, 1, 2)
    );
    assert_eq!(s.by_status.get("active"), Some(&3));
    assert_eq!(s.by_status.get("inactive"), Some(&1));
    let s = statistics(None, &accounts, now());
    assert_eq!(s.active, 2);
    assert_eq!(s.by_status.get("suspended"), Some(&1));
    let v = serde_json::to_value(&s).unwrap();
    assert_eq!(v["superAdmins"], 1);
    assert_eq!(statistics(None, &[], now()), Statistics::default());
}

#[test]
fn r002_08_verification_flags() {
    let p = policy();
    let mut u = user("u");
    u.attributes
        .insert("verifications".into(), json!({"email": true}));
    assert!(!feature_enabled(&p, &u, "booking").unwrap());
    let d = verification(&p, &admin(), &u, "phone", true, &[], now(), Lang::En).unwrap();
    assert_eq!(d.flags.get("phone"), Some(&true));
    assert_eq!(d.flags.get("email"), Some(&true));
    assert_eq!(d.features, vec!["booking"]);
    assert!(d.obligations.contains(&Obligation::NotifyUser {
        template: "verification.phone.approved".into()
    }));
    u.attributes.insert(
        "verifications".into(),
        serde_json::to_value(&d.flags).unwrap(),
    );
    assert!(feature_enabled(&p, &u, "booking").unwrap());
    let d = verification(&p, &admin(), &u, "phone", false, &[], now(), Lang::En).unwrap();
    assert!(d.features.is_empty());
    assert_eq!(d.audit.fields, vec!["verifications.phone"]);
    assert!(matches!(
        verification(&p, &admin(), &u, "retina", true, &[], now(), Lang::En),
        Err(e) if e.kind() == crate::lifecycle::LifecycleErrorKind::UnknownVerification
    ));
    assert!(matches!(
        feature_enabled(&p, &u, "fly"),
        Err(e) if e.kind() == crate::lifecycle::LifecycleErrorKind::UnknownFeature
    ));
}

#[test]
fn r004_01_new_user_is_active() {
    assert_eq!(initial_status(&policy()).unwrap(), "active");
}

#[test]
fn r004_09_an_edit_cannot_take_a_critical_permission_from_its_sole_holder() {
    let mut doc = doc_with(lifecycle());
    doc["access"] = json!({
        "modules": { "users": ["read", "update", "delete", "status"], "approvals": ["approve"] },
        "roles": {
            "approver": { "permissions": [{ "allow": "approvals.approve", "scope": "organization" }] },
            "clerk": { "permissions": [{ "allow": "users.read", "scope": "organization" }] }
        },
        "groups": { "approvers": { "roles": ["approver"] } },
        "criticalPermissions": ["approvals.approve"]
    });
    let p = Policy::from_value(doc).unwrap();
    let mut before = user("u");
    before.roles = vec!["approver".into(), "clerk".into()];
    let code = |before: &Account, after: &Account, sole: Option<Vec<&str>>| {
        let r = ChangeRequest {
            actor: admin(),
            before: before.clone(),
            after: after.clone(),
            current_password_verified: None,
            facts: ChangeFacts {
                active_super_admins: None,
                sole_holder_of: sole.map(|s| s.into_iter().map(str::to_owned).collect()),
            },
            lang: Lang::En,
        };
        let d = changes(&p, &r, now()).unwrap();
        (
            d.deny
                .as_ref()
                .map_or_else(|| "allow".to_owned(), |x| x.code.clone().into_owned()),
            d.deny.map(|x| x.params),
        )
    };
    // The role withdrawn from the only approver: refused, the permission named.
    let mut after = before.clone();
    after.roles = vec!["clerk".into()];
    let (c, params) = code(&before, &after, Some(vec!["approvals.approve"]));
    assert_eq!(c, "sole_critical_holder");
    assert_eq!(params.unwrap()["permissions"], json!(["approvals.approve"]));
    // Another approver exists: allowed. Unknown: the fact is asked.
    assert_eq!(code(&before, &after, Some(vec![])).0, "allow");
    let (c, params) = code(&before, &after, None);
    assert_eq!(c, "missing_fact");
    assert_eq!(params.unwrap()["facts"], json!(["soleHolderOf"]));
    // The same permission through a group, the group left.
    let mut grouped = user("u");
    grouped.groups = vec!["approvers".into()];
    let mut left = grouped.clone();
    left.groups.clear();
    assert_eq!(
        code(&grouped, &left, Some(vec!["approvals.approve"])).0,
        "sole_critical_holder"
    );
    // The role kept through a group while the direct one goes: nothing is taken.
    let mut kept = after.clone();
    kept.groups = vec!["approvers".into()];
    assert_eq!(code(&before, &kept, None).0, "allow");
    // A move to another organisation takes the holder from the old one, roles and all.
    let mut moved = before.clone();
    moved.organization = Some("globex".into());
    assert_eq!(
        code(&before, &moved, Some(vec!["approvals.approve"])).0,
        "sole_critical_holder"
    );
    // An edit that takes nothing critical needs no fact: another field, a non-critical role.
    let mut renamed = before.clone();
    renamed
        .attributes
        .insert("firstName".into(), json!("Grace"));
    assert_eq!(code(&before, &renamed, None).0, "allow");
    let mut no_clerk = before.clone();
    no_clerk.roles = vec!["approver".into()];
    assert_eq!(code(&before, &no_clerk, None).0, "allow");
    // An inactive account holds nothing: nothing to take.
    let mut asleep = before.clone();
    asleep.status = "inactive".into();
    let mut asleep_after = after.clone();
    asleep_after.status = "inactive".into();
    assert_eq!(code(&asleep, &asleep_after, None).0, "allow");
    // A policy that guards no sole holder lets the role go.
    fn unguard(v: &mut Value) {
        match v {
            Value::Array(a) => {
                a.retain(|g| g != "soleCriticalHolder");
                a.iter_mut().for_each(unguard);
            }
            Value::Object(o) => o.values_mut().for_each(unguard),
            _ => {}
        }
    }
    let mut open_doc = serde_json::to_value(p.document()).unwrap();
    unguard(&mut open_doc);
    let open = Policy::from_value(open_doc).unwrap();
    let r = ChangeRequest {
        actor: admin(),
        before: before.clone(),
        after,
        current_password_verified: None,
        facts: ChangeFacts::default(),
        lang: Lang::En,
    };
    assert!(changes(&open, &r, now()).unwrap().allowed());
}
