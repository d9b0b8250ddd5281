//! The `lifecycle` sections of the five presets, exercised against their seed rules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::json;
use warden_core::lifecycle::{
    self, DeleteMode, DeleteRequest, Obligation, TransitionFacts, TransitionRequest, can_login,
    delete, transition,
};
use warden_core::model::Account;
use warden_core::{Lang, Policy, Timestamp};

fn p000() -> Policy {
    Policy::preset("000").unwrap()
}
fn p001() -> Policy {
    Policy::preset("001").unwrap()
}
fn p002() -> Policy {
    Policy::preset("002").unwrap()
}
fn p003() -> Policy {
    Policy::preset("003").unwrap()
}
fn p004() -> Policy {
    Policy::preset("004").unwrap()
}

fn now() -> Timestamp {
    Timestamp::parse("2026-06-01T08:00:00Z").unwrap()
}

fn account(id: &str) -> Account {
    let mut a = Account::new(id);
    a.organization = Some("acme".into());
    a
}

fn request(policy_actor: Account, target: Account, to: &str) -> TransitionRequest {
    TransitionRequest {
        actor: policy_actor,
        target,
        to: to.into(),
        reason: Some("left the company".into()),
        until: None,
        duration_days: None,
        duration_minutes: None,
        facts: TransitionFacts {
            active_bookings: Some(0),
            active_super_admins: Some(2),
            sole_holder_of: Some(vec![]),
            pending_approvals: Some(0),
        },
        actor_permissions: vec!["users.status".into()],
        lang: Lang::En,
    }
}

#[test]
fn the_five_preset_sections_compile() {
    for p in [p000(), p001(), p002(), p003(), p004()] {
        assert_eq!(
            lifecycle::initial_status(&p).unwrap(),
            "active",
            "{}",
            p.name()
        );
    }
}

#[test]
fn preset_000_r000_06_r000_09_r000_08() {
    let p = p000();
    let mut boss = account("boss");
    boss.super_admin = true;
    let d = transition(&p, &request(boss.clone(), account("u"), "inactive"), now()).unwrap();
    assert!(d.allowed(), "{d:?}");
    let d = transition(
        &p,
        &request(account("clerk"), account("u"), "inactive"),
        now(),
    )
    .unwrap();
    assert_eq!(d.deny.unwrap().code, "not_permitted");
    let mut u = account("u");
    u.status = "inactive".into();
    assert!(
        !can_login(&p, &u, None, &Default::default(), now(), Lang::En)
            .unwrap()
            .allowed()
    );
    let org = lifecycle::OrganizationState {
        id: "acme".into(),
        active: false,
    };
    let d = can_login(
        &p,
        &account("u"),
        Some(&org),
        &Default::default(),
        now(),
        Lang::En,
    )
    .unwrap();
    assert_eq!(d.deny.unwrap().code, "organization_inactive");
    let r = DeleteRequest {
        actor: boss,
        target: account("u"),
        mode: None,
        confirmed: false,
        facts: TransitionFacts::default(),
        actor_permissions: vec![],
        lang: Lang::Fr,
    };
    let d = delete(&p, &r, now()).unwrap();
    assert_eq!(d.deny.unwrap().code, "confirmation_required");
    assert_eq!(
        d.suggestion.unwrap().transition.as_deref(),
        Some("deactivate")
    );
}

#[test]
fn preset_001_r001_06_deactivation_removes_roles_and_groups() {
    let p = p001();
    let mut u = account("u");
    u.roles = vec!["manager".into()];
    u.groups = vec!["paris".into()];
    let d = transition(&p, &request(account("hr"), u.clone(), "inactive"), now()).unwrap();
    assert!(d.obligations.contains(&Obligation::RemoveRoles {
        roles: vec!["manager".into()]
    }));
    assert!(d.obligations.contains(&Obligation::RemoveGroups {
        groups: vec!["paris".into()]
    }));
    u.status = "inactive".into();
    let f = lifecycle::security_findings(&p, &[u], now()).unwrap();
    assert_eq!(f.len(), 1);
}

#[test]
fn preset_002_r002_06_r002_10_r002_12() {
    let p = p002();
    let mut r = request(account("admin"), account("u"), "suspended");
    assert_eq!(
        transition(&p, &r, now()).unwrap().deny.unwrap().code,
        "duration_required"
    );
    r.duration_days = Some(30);
    let d = transition(&p, &r, now()).unwrap();
    assert!(d.allowed());
    assert!(d.obligations.contains(&Obligation::RevokeSessions));
    let mut b = account("u");
    b.status = "blacklisted".into();
    let d = transition(&p, &request(account("admin"), b, "active"), now()).unwrap();
    assert_eq!(d.deny.unwrap().code, "terminal_status");
    let del = DeleteRequest {
        actor: account("admin"),
        target: account("u"),
        mode: Some(DeleteMode::Anonymize),
        confirmed: true,
        facts: TransitionFacts {
            active_bookings: Some(1),
            active_super_admins: Some(1),
            ..TransitionFacts::default()
        },
        actor_permissions: vec!["users.delete".into()],
        lang: Lang::En,
    };
    let d = delete(&p, &del, now()).unwrap();
    assert_eq!(d.deny.unwrap().code, "active_bookings");
    assert_eq!(d.suggestion.unwrap().status, "suspended");
    let facts = lifecycle::LoginFacts {
        failed_attempts: (0..5).map(|i| now().plus_seconds(-60 * i)).collect(),
        ..Default::default()
    };
    let d = can_login(&p, &account("u"), None, &facts, now(), Lang::En).unwrap();
    assert_eq!(d.deny.unwrap().code, "locked");
}

#[test]
fn preset_003_r003_05_and_r003_06() {
    let p = p003();
    let mut admin = account("sys");
    admin.attributes.insert("isSystemAdmin".into(), json!(true));
    let d = transition(&p, &request(account("boss"), admin, "inactive"), now()).unwrap();
    assert_eq!(d.deny.unwrap().code, "system_admin_active");
    // Nor is an inactive account made a system administrator by an edit; an active one is.
    for (status, denied) in [("inactive", true), ("active", false)] {
        let mut before = account("u");
        before.status = status.into();
        let mut after = before.clone();
        after.attributes.insert("isSystemAdmin".into(), json!(true));
        let mut boss = account("boss");
        boss.root = true;
        let d = lifecycle::changes(
            &p,
            &lifecycle::ChangeRequest {
                actor: boss,
                before,
                after,
                current_password_verified: None,
                facts: lifecycle::ChangeFacts::default(),
                lang: Lang::En,
            },
            now(),
        )
        .unwrap();
        assert_eq!(
            d.deny.as_ref().map(|d| &*d.code),
            denied.then_some("system_admin_active"),
            "{status}: {d:?}"
        );
    }
    let org = lifecycle::OrganizationState {
        id: "acme".into(),
        active: true,
    };
    let facts = lifecycle::LoginFacts {
        password_changed_at: Some(now().plus_seconds(-91 * 86_400)),
        ..Default::default()
    };
    let d = can_login(&p, &account("u"), Some(&org), &facts, now(), Lang::En).unwrap();
    assert_eq!(d.deny.unwrap().code, "password_expired");
}

#[test]
fn preset_004_r004_06_r004_07_r004_09() {
    let p = p004();
    let mut it = account("it");
    it.roles = vec!["admin".into()];
    let mut r = request(it.clone(), account("u"), "inactive");
    r.reason = None;
    assert_eq!(
        transition(&p, &r, now()).unwrap().deny.unwrap().code,
        "reason_required"
    );
    r.reason = Some("resigned".into());
    r.facts.pending_approvals = Some(4);
    let d = transition(&p, &r, now()).unwrap();
    assert!(
        d.obligations
            .contains(&Obligation::ReassignApprovals { count: 4 })
    );
    r.facts.sole_holder_of = Some(vec!["po.approve".into()]);
    assert_eq!(
        transition(&p, &r, now()).unwrap().deny.unwrap().code,
        "sole_critical_holder"
    );
    // Reactivation checks the record against the schema.
    let mut u = account("u");
    u.status = "inactive".into();
    let d = transition(&p, &request(it.clone(), u.clone(), "active"), now()).unwrap();
    assert_eq!(d.deny.as_ref().unwrap().code, "incomplete_record");
    for (k, v) in [
        ("username", "jdoe"),
        ("firstName", "Jane"),
        ("lastName", "Doe"),
        ("userType", "requester"),
        ("department", "Finance"),
        ("supervisor", "boss"),
    ] {
        u.attributes.insert(k.into(), json!(v));
    }
    let d = transition(&p, &request(it, u, "active"), now()).unwrap();
    assert!(d.allowed(), "{:?}", d.deny);
}
