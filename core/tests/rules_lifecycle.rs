//! Lifecycle rules through the typed APIs (`lifecycle::*`, `access::*`), one test per rule
//! id, beside the conformance vectors that prove the same rules through the JSON entry point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use warden_core::access::{self, AuthorizeRequest, Directory, Target};
use warden_core::lifecycle::{
    self, DeleteRequest, Obligation, TransitionFacts, TransitionRequest, effective_status,
    initial_status,
};
use warden_core::model::Account;
use warden_core::{Lang, Policy, Timestamp};

fn now() -> Timestamp {
    Timestamp::parse("2026-11-22T10:00:00Z").unwrap()
}

fn account(id: &str, org: &str) -> Account {
    let mut a = Account::new(id);
    a.organization = Some(org.to_owned());
    a
}

fn transition_request(actor: Account, target: Account, to: &str) -> TransitionRequest {
    TransitionRequest {
        actor,
        target,
        to: to.to_owned(),
        reason: None,
        until: None,
        duration_days: None,
        duration_minutes: None,
        facts: TransitionFacts::default(),
        actor_permissions: Vec::new(),
        lang: Lang::En,
    }
}

#[test]
fn r004_01_a_new_account_is_active() {
    let p = Policy::preset("prs-procurement").unwrap();
    assert_eq!(initial_status(&p).unwrap(), "active");
    let lc = p.lifecycle().unwrap();
    let e = effective_status(lc, &Account::new("n1"), now()).unwrap();
    assert_eq!(e.status, "active");
    assert!(!e.expired);
}

#[test]
fn r004_06_deactivation_by_root_reassigns_approvals() {
    let p = Policy::preset("prs-procurement").unwrap();
    let mut root = account("root", "prs");
    root.root = true;
    let mut req = transition_request(root, account("u1", "prs"), "inactive");
    req.facts.sole_holder_of = Some(Vec::new());
    req.facts.pending_approvals = Some(2);
    let d = lifecycle::transition(&p, &req, now()).unwrap();
    assert!(!d.allowed(), "a reason is required");
    assert_eq!(d.deny.as_ref().unwrap().code, "reason_required");
    req.reason = Some("left".into());
    let d = lifecycle::transition(&p, &req, now()).unwrap();
    assert!(d.allowed(), "{d:?}");
    assert_eq!(
        d.obligations,
        vec![
            Obligation::RevokeSessions,
            Obligation::ReassignApprovals { count: 2 },
            Obligation::Audit
        ]
    );
}

#[test]
fn r004_09_the_sole_critical_holder_stays_active() {
    let p = Policy::preset("prs-procurement").unwrap();
    let mut root = account("root", "prs");
    root.root = true;
    let mut req = transition_request(root, account("u1", "prs"), "inactive");
    req.reason = Some("left".into());
    req.facts.sole_holder_of = Some(vec!["users.status".into()]);
    req.facts.pending_approvals = Some(0);
    let d = lifecycle::transition(&p, &req, now()).unwrap();
    assert_eq!(d.deny.unwrap().code, "sole_critical_holder");
}

#[test]
fn r000_09_deletion_needs_confirmation() {
    let p = Policy::preset("production-planner-pro").unwrap();
    let mut sa = account("sa", "acme");
    sa.super_admin = true;
    let mut req = DeleteRequest {
        actor: sa,
        target: account("u1", "acme"),
        mode: None,
        confirmed: false,
        facts: TransitionFacts::default(),
        actor_permissions: Vec::new(),
        lang: Lang::En,
    };
    let d = lifecycle::delete(&p, &req, now()).unwrap();
    assert_eq!(d.deny.as_ref().unwrap().code, "confirmation_required");
    assert_eq!(d.suggestion.as_ref().unwrap().status, "inactive");
    req.confirmed = true;
    assert!(lifecycle::delete(&p, &req, now()).unwrap().allowed());
}

#[test]
fn r000_07_a_regular_user_stays_in_the_own_organization() {
    let p = Policy::preset("production-planner-pro").unwrap();
    let mut reg = account("reg", "acme");
    reg.roles = vec!["regular".into()];
    let mut target = Target {
        id: "o1".into(),
        kind: "production".into(),
        organization: Some("acme".into()),
        ..Target::default()
    };
    let mut req = AuthorizeRequest {
        actor: reg,
        action: "production.read".into(),
        target: target.clone(),
        change: None,
    };
    let dir = Directory::new();
    assert!(
        access::authorize(&p, &dir, &req, now(), Lang::En)
            .unwrap()
            .allowed()
    );
    target.organization = Some("beta".into());
    req.target = target;
    let d = access::authorize(&p, &dir, &req, now(), Lang::En).unwrap();
    assert_eq!(d.deny.unwrap().code, "organization_scope");
}

/// Suspected bug (reported): R000-06 says inactive users cannot act, but a transition whose
/// `by` is `superAdmin` (or `root`, or `roles`) does not look at the actor's status.
#[test]
fn r000_06_an_inactive_super_admin_cannot_deactivate() {
    let p = Policy::preset("production-planner-pro").unwrap();
    let mut sa = account("sa", "acme");
    sa.super_admin = true;
    sa.status = "inactive".into();
    let d = lifecycle::transition(
        &p,
        &transition_request(sa, account("u1", "acme"), "inactive"),
        now(),
    )
    .unwrap();
    assert!(!d.allowed(), "{d:?}");
}

/// Suspected bug (asked): in the PRS preset the user type is the account's role
/// (`access.roleField`), but `by.roles` only reads the direct `roles`.
#[test]
fn r004_06_an_administrator_by_user_type_deactivates() {
    let p = Policy::preset("prs-procurement").unwrap();
    let mut admin = account("it2", "prs");
    admin
        .attributes
        .insert("userType".into(), serde_json::json!("admin"));
    let mut req = transition_request(admin, account("u1", "prs"), "inactive");
    req.reason = Some("left".into());
    req.facts.sole_holder_of = Some(Vec::new());
    req.facts.pending_approvals = Some(0);
    let d = lifecycle::transition(&p, &req, now()).unwrap();
    assert!(d.allowed(), "{d:?}");
}
