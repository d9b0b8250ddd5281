//! Permission scoping rules of the seed systems, each test named after the rule it proves.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::json;
use warden_core::access::{
    AuthorizeRequest, Directory, Filter, RoleChange, SqlOptions, Target, authorize, scope,
};
use warden_core::decision::{Decision, DenyKind};
use warden_core::model::Account;
use warden_core::{Lang, Policy, Timestamp};

fn now() -> Timestamp {
    Timestamp::parse("2026-11-22T10:00:00Z").unwrap()
}

fn acct(v: serde_json::Value) -> Account {
    serde_json::from_value(v).unwrap()
}

fn target(v: serde_json::Value) -> Target {
    serde_json::from_value(v).unwrap()
}

fn ask(
    policy: &Policy,
    dir: &Directory,
    actor: &Account,
    action: &str,
    t: Target,
    change: Option<RoleChange>,
) -> warden_core::access::AuthzDecision {
    let req = AuthorizeRequest {
        actor: actor.clone(),
        action: action.into(),
        target: t,
        change,
    };
    authorize(policy, dir, &req, now(), Lang::En).unwrap()
}

fn deny_code(d: &warden_core::access::AuthzDecision) -> &str {
    assert_eq!(d.decision, Decision::Deny, "expected a deny, got {d:?}");
    &d.deny.as_ref().unwrap().code
}

#[test]
fn r000_07_super_admin_reaches_every_organization_regular_user_only_its_own() {
    let p = Policy::preset("000").unwrap();
    let dir = Directory::new();
    let sa = acct(json!({"id": "sa", "organization": "hq", "superAdmin": true}));
    let reg = acct(json!({"id": "u1", "organization": "plant-a", "roles": ["regular"]}));
    let other_org = target(json!({"id": "u9", "organization": "plant-b"}));
    let same_org = target(json!({"id": "u2", "organization": "plant-a"}));

    let d = ask(&p, &dir, &sa, "users.delete", other_org.clone(), None);
    assert_eq!(d.decision, Decision::Allow);
    assert_eq!(d.reason.as_deref(), Some("superAdmin"));

    // A regular user reads users of its own organisation, never another's.
    assert!(ask(&p, &dir, &reg, "users.read", same_org.clone(), None).allowed());
    let d = ask(&p, &dir, &reg, "users.read", other_org, None);
    assert_eq!(deny_code(&d), "organization_scope");
    assert_eq!(d.deny.as_ref().unwrap().kind, DenyKind::NotPermitted);
    // ... and cannot manage users or settings: it updates only its own account (self-service,
    // whose fields attribute permissions narrow to phone and password).
    let d = ask(&p, &dir, &reg, "users.update", same_org.clone(), None);
    assert_eq!(deny_code(&d), "scope_insufficient");
    assert_eq!(
        deny_code(&ask(&p, &dir, &reg, "settings.update", same_org, None)),
        "not_permitted"
    );

    // The list scope says the same: all for the super admin, one organisation otherwise.
    assert_eq!(
        scope(&p, &sa, "users.read", now()).unwrap().filter,
        Filter::All
    );
    assert_eq!(
        scope(&p, &reg, "users.read", now()).unwrap().filter,
        Filter::Organization {
            organization: "plant-a".into()
        }
    );
    assert_eq!(
        scope(&p, &reg, "users.update", now()).unwrap().filter,
        Filter::Own {
            id: "u1".into(),
            organization: Some("plant-a".into())
        }
    );
}

#[test]
fn r000_06_inactive_user_cannot_act() {
    let p = Policy::preset("000").unwrap();
    let dir = Directory::new();
    let inactive =
        acct(json!({"id": "u1", "organization": "o", "roles": ["regular"], "status": "inactive"}));
    let d = ask(
        &p,
        &dir,
        &inactive,
        "users.read",
        target(json!({"id": "u1", "organization": "o"})),
        None,
    );
    assert_eq!(deny_code(&d), "actor_inactive");
    assert_eq!(d.deny.as_ref().unwrap().kind, DenyKind::InvalidState);
    // Even a super admin.
    let sa =
        acct(json!({"id": "sa", "organization": "o", "superAdmin": true, "status": "inactive"}));
    assert_eq!(
        deny_code(&ask(
            &p,
            &dir,
            &sa,
            "users.read",
            target(json!({"id": "x", "organization": "o"})),
            None
        )),
        "actor_inactive"
    );
    assert_eq!(
        scope(&p, &sa, "users.read", now()).unwrap().filter,
        Filter::None
    );
}

#[test]
fn r003_04_inactive_users_cannot_access_the_system() {
    let p = Policy::preset("003").unwrap();
    let dir = Directory::new();
    let a = acct(
        json!({"id": "a", "organization": "c1", "roles": ["systemAdmin"], "status": "inactive"}),
    );
    assert_eq!(
        deny_code(&ask(
            &p,
            &dir,
            &a,
            "users.read",
            target(json!({"id": "b", "organization": "c1"})),
            None
        )),
        "actor_inactive"
    );
}

fn hr_directory() -> (Vec<Account>, Directory) {
    let rows = json!([
        {"id": "david", "organization": "gt", "manager": null},
        {"id": "michael", "organization": "gt", "manager": "david"},
        {"id": "sarah", "organization": "gt", "manager": "michael"},
        {"id": "sophie", "organization": "gt", "manager": "sarah"},
        {"id": "thomas", "organization": "gt", "manager": "sarah"},
        {"id": "james", "organization": "gt", "manager": "michael"},
        {"id": "emily", "organization": "gt", "manager": "david"},
        {"id": "marie", "organization": "gt", "manager": "emily"},
        {"id": "nobody", "organization": "gt"}
    ]);
    let accounts: Vec<Account> = serde_json::from_value(rows).unwrap();
    let (dir, problems) = Directory::from_accounts(&accounts);
    assert!(problems.is_empty());
    (accounts, dir)
}

fn user_target(accounts: &[Account], id: &str) -> Target {
    Target::from(accounts.iter().find(|a| a.id == id).unwrap())
}

#[test]
fn r001_03_manager_sees_direct_reports_only() {
    let p = Policy::preset("001").unwrap();
    let (accounts, dir) = hr_directory();
    // Sarah is an active employee: the dynamic group gives her the N-1 view.
    let sarah = acct(
        json!({"id": "sarah", "organization": "gt", "manager": "michael", "attributes": {"status": "active"}}),
    );
    assert!(
        ask(
            &p,
            &dir,
            &sarah,
            "users.read",
            user_target(&accounts, "sophie"),
            None
        )
        .allowed()
    );
    assert!(
        ask(
            &p,
            &dir,
            &sarah,
            "users.read",
            user_target(&accounts, "thomas"),
            None
        )
        .allowed()
    );
    let d = ask(
        &p,
        &dir,
        &sarah,
        "users.read",
        user_target(&accounts, "james"),
        None,
    );
    assert_eq!(deny_code(&d), "scope_insufficient");
    // Michael sees Sarah and James (N-1) but not Sophie (N-2).
    let michael = acct(json!({"id": "michael", "organization": "gt", "manager": "david"}));
    assert!(
        ask(
            &p,
            &dir,
            &michael,
            "users.read",
            user_target(&accounts, "sarah"),
            None
        )
        .allowed()
    );
    let d = ask(
        &p,
        &dir,
        &michael,
        "users.read",
        user_target(&accounts, "sophie"),
        None,
    );
    assert_eq!(deny_code(&d), "scope_insufficient");
    assert_eq!(d.deny.as_ref().unwrap().params["needed"], "team (depth 2)");
    // The list filter is the direct reports.
    let f = scope(&p, &sarah, "users.read", now()).unwrap().filter;
    let visible: Vec<&str> = accounts
        .iter()
        .filter(|a| f.matches(&Target::from(*a), &dir))
        .map(|a| a.id.as_str())
        .collect();
    assert_eq!(visible, vec!["sarah", "sophie", "thomas"]);
}

#[test]
fn r001_03_user_without_manager_is_in_no_n1_view_and_moves_with_manager_change() {
    let p = Policy::preset("001").unwrap();
    let (accounts, mut dir) = hr_directory();
    for a in &accounts {
        let f = scope(&p, a, "users.read", now()).unwrap().filter;
        let sees_nobody = a.id != "nobody" && f.matches(&user_target(&accounts, "nobody"), &dir);
        assert!(!sees_nobody, "{} sees the user without a manager", a.id);
    }
    // Thomas moves from Sarah to James.
    let h = dir.hierarchy_mut();
    let thomas = h.node("thomas").unwrap();
    let james = h.node("james").unwrap();
    h.set_manager(thomas, Some(james)).unwrap();
    let mut t = user_target(&accounts, "thomas");
    t.manager = Some("james".into());
    let sarah = acct(json!({"id": "sarah", "organization": "gt"}));
    let james_a = acct(json!({"id": "james", "organization": "gt"}));
    assert!(!ask(&p, &dir, &sarah, "users.read", t.clone(), None).allowed());
    assert!(ask(&p, &dir, &james_a, "users.read", t, None).allowed());
}

#[test]
fn r001_05_roles_come_from_groups_manual_and_dynamic() {
    let p = Policy::preset("001").unwrap();
    let (accounts, dir) = hr_directory();
    // Manual group: people-managers gives `manager` (reviews.update over N-1).
    let sarah = acct(json!({"id": "sarah", "organization": "gt", "groups": ["people-managers"]}));
    assert!(
        ask(
            &p,
            &dir,
            &sarah,
            "reviews.update",
            user_target(&accounts, "sophie"),
            None
        )
        .allowed()
    );
    let plain = acct(json!({"id": "sarah", "organization": "gt"}));
    assert_eq!(
        deny_code(&ask(
            &p,
            &dir,
            &plain,
            "reviews.update",
            user_target(&accounts, "sophie"),
            None
        )),
        "not_permitted"
    );
    // Dynamic group: department Human Resources gives hrViewer (read the organisation).
    let marie = acct(
        json!({"id": "marie", "organization": "gt", "attributes": {"department": "Human Resources"}}),
    );
    assert!(
        ask(
            &p,
            &dir,
            &marie,
            "users.read",
            user_target(&accounts, "sophie"),
            None
        )
        .allowed()
    );
    let marie_moved =
        acct(json!({"id": "marie", "organization": "gt", "attributes": {"department": "Finance"}}));
    assert!(
        !ask(
            &p,
            &dir,
            &marie_moved,
            "users.read",
            user_target(&accounts, "sophie"),
            None
        )
        .allowed()
    );
    // Direct assignment works too.
    let direct = acct(json!({"id": "x", "organization": "gt", "roles": ["hrAdmin"]}));
    assert!(
        ask(
            &p,
            &dir,
            &direct,
            "users.update",
            user_target(&accounts, "sophie"),
            None
        )
        .allowed()
    );
}

#[test]
fn r002_03_permissions_at_module_action_and_data_level() {
    let p = Policy::preset("002").unwrap();
    let dir = Directory::new();
    let fm = acct(
        json!({"id": "fm", "organization": "rent", "location": "paris", "roles": ["fleetManager"]}),
    );
    let booking_paris = target(
        json!({"id": "b1", "type": "booking", "organization": "rent", "location": "paris", "owner": "c1"}),
    );
    let booking_lyon = target(
        json!({"id": "b2", "type": "booking", "organization": "rent", "location": "lyon", "owner": "c2"}),
    );
    // Data level: location.
    assert!(
        ask(
            &p,
            &dir,
            &fm,
            "bookings.update",
            booking_paris.clone(),
            None
        )
        .allowed()
    );
    assert_eq!(
        deny_code(&ask(
            &p,
            &dir,
            &fm,
            "bookings.update",
            booking_lyon.clone(),
            None
        )),
        "scope_insufficient"
    );
    // Action level: a fleet manager does not delete bookings.
    assert_eq!(
        deny_code(&ask(
            &p,
            &dir,
            &fm,
            "bookings.delete",
            booking_paris.clone(),
            None
        )),
        "not_permitted"
    );
    // Data level: own.
    let c1 = acct(json!({"id": "c1", "organization": "rent", "roles": ["customer"]}));
    assert!(
        ask(
            &p,
            &dir,
            &c1,
            "bookings.update",
            booking_paris.clone(),
            None
        )
        .allowed()
    );
    assert_eq!(
        deny_code(&ask(&p, &dir, &c1, "bookings.update", booking_lyon, None)),
        "scope_insufficient"
    );
    // Module level: a customer has nothing on pricing; the administrator has everything in its organisation.
    assert_eq!(
        deny_code(&ask(
            &p,
            &dir,
            &c1,
            "pricing.update",
            target(json!({"id": "p", "type": "price", "organization": "rent"})),
            None
        )),
        "not_permitted"
    );
    let admin = acct(json!({"id": "a", "organization": "rent", "roles": ["administrator"]}));
    assert!(
        ask(
            &p,
            &dir,
            &admin,
            "pricing.update",
            target(json!({"id": "p", "type": "price", "organization": "rent"})),
            None
        )
        .allowed()
    );
    // An undeclared action is an error, not a silent deny.
    let req = AuthorizeRequest {
        actor: admin,
        action: "fleet.fly".into(),
        target: booking_paris,
        change: None,
    };
    let err = authorize(&p, &dir, &req, now(), Lang::En).unwrap_err();
    assert!(err.to_string().contains("fleet.fly"), "{err}");
}

#[test]
fn r002_04_invalid_role_combination_is_refused_with_explanation_and_alternative() {
    let p = Policy::preset("002").unwrap();
    let dir = Directory::new();
    let admin = acct(json!({"id": "a", "organization": "rent", "roles": ["administrator"]}));
    let staff = target(json!({"id": "s", "organization": "rent", "roles": ["readOnlyAdmin"]}));
    // Read-Only Admin plus a role with write permissions.
    let d = ask(
        &p,
        &dir,
        &admin,
        "roles.assign",
        staff.clone(),
        Some(RoleChange {
            add: vec!["pricingManager".into()],
            remove: vec![],
        }),
    );
    assert_eq!(deny_code(&d), "read_only_conflict");
    let deny = d.deny.unwrap();
    assert_eq!(deny.kind, DenyKind::Forbidden);
    assert_eq!(deny.params["suggest"], "administrator");
    assert!(deny.hint.unwrap().contains("administrator"));
    // A declared forbidden combination carries its reason.
    let cust = target(json!({"id": "c", "organization": "rent", "roles": ["customer"]}));
    let d = ask(
        &p,
        &dir,
        &admin,
        "roles.assign",
        cust,
        Some(RoleChange {
            add: vec!["administrator".into()],
            remove: vec![],
        }),
    );
    assert_eq!(deny_code(&d), "forbidden_combination");
    assert!(
        d.deny
            .unwrap()
            .message
            .contains("customer and staff accounts are kept apart")
    );
    // Swapping instead of adding is fine.
    let d = ask(
        &p,
        &dir,
        &admin,
        "roles.assign",
        staff,
        Some(RoleChange {
            add: vec!["pricingManager".into()],
            remove: vec!["readOnlyAdmin".into()],
        }),
    );
    assert!(d.allowed(), "{d:?}");
    // A read-only role defined with a write permission is a policy error.
    let mut doc: serde_json::Value =
        serde_json::from_str(warden_core::policy::presets::find("002").unwrap().json).unwrap();
    doc["access"]["roles"]["readOnlyAdmin"]["permissions"][0]["allow"] = json!("fleet.update");
    let err = Policy::from_value(doc).unwrap_err();
    assert_eq!(err.path(), "access.roles.readOnlyAdmin.permissions");
}

/// A staff account (the seed's administrator account) holds the roles it is given, not the
/// administrator's through its account type: a support agent is no administrator, and a
/// read-only admin can be given to one (R002-03, R002-04); a customer's and a supplier's
/// account type is still their role.
#[test]
fn r002_03_a_staff_account_holds_the_roles_it_is_given() {
    let p = Policy::preset("002").unwrap();
    let dir = Directory::new();
    let agent = acct(
        json!({"id": "s", "organization": "rent", "roles": ["supportAgent"],
        "attributes": {"accountType": "staff"}}),
    );
    let customer = target(
        json!({"id": "c", "organization": "rent", "attributes": {"accountType": "customer"}}),
    );
    assert_eq!(
        deny_code(&ask(
            &p,
            &dir,
            &agent,
            "users.delete",
            customer.clone(),
            None
        )),
        "not_permitted"
    );
    assert!(ask(&p, &dir, &agent, "users.read", customer, None).allowed());
    let admin = acct(
        json!({"id": "a", "organization": "rent", "roles": ["administrator"],
        "attributes": {"accountType": "staff"}}),
    );
    let newcomer =
        target(json!({"id": "n", "organization": "rent", "attributes": {"accountType": "staff"}}));
    let d = ask(
        &p,
        &dir,
        &admin,
        "roles.assign",
        newcomer,
        Some(RoleChange {
            add: vec!["readOnlyAdmin".into()],
            remove: vec![],
        }),
    );
    assert!(d.allowed(), "{d:?}");
    // A supplier's account type is its role: a read-only admin it cannot be.
    let supplier = target(
        json!({"id": "p", "organization": "rent", "attributes": {"accountType": "supplier"}}),
    );
    let d = ask(
        &p,
        &dir,
        &admin,
        "roles.assign",
        supplier,
        Some(RoleChange {
            add: vec!["readOnlyAdmin".into()],
            remove: vec![],
        }),
    );
    assert_eq!(deny_code(&d), "read_only_conflict");
}

#[test]
fn r003_03_user_must_keep_one_active_role() {
    let p = Policy::preset("003").unwrap();
    let dir = Directory::new();
    let admin = acct(json!({"id": "a", "organization": "c1", "roles": ["systemAdmin"]}));
    let rep = target(json!({"id": "r", "organization": "c1", "roles": ["salesRep"]}));
    let d = ask(
        &p,
        &dir,
        &admin,
        "roles.assign",
        rep.clone(),
        Some(RoleChange {
            add: vec![],
            remove: vec!["salesRep".into()],
        }),
    );
    assert_eq!(deny_code(&d), "no_active_role");
    // An inactive role does not count.
    let d = ask(
        &p,
        &dir,
        &admin,
        "roles.assign",
        rep.clone(),
        Some(RoleChange {
            add: vec!["legacyReports".into()],
            remove: vec!["salesRep".into()],
        }),
    );
    assert_eq!(deny_code(&d), "no_active_role");
    let d = ask(
        &p,
        &dir,
        &admin,
        "roles.assign",
        rep,
        Some(RoleChange {
            add: vec!["marketingUser".into()],
            remove: vec!["salesRep".into()],
        }),
    );
    assert!(d.allowed(), "{d:?}");
    // Creating a user without any role is refused too.
    let new_user = target(json!({"id": "n", "organization": "c1"}));
    assert_eq!(
        deny_code(&ask(&p, &dir, &admin, "users.create", new_user, None)),
        "no_active_role"
    );
}

#[test]
fn r003_07_permissions_are_inherited_hierarchically() {
    let p = Policy::preset("003").unwrap();
    let rows: Vec<Account> = serde_json::from_value(json!([
        {"id": "boss", "organization": "c1"}, {"id": "rep", "organization": "c1", "manager": "boss"}
    ]))
    .unwrap();
    let (dir, _) = Directory::from_accounts(&rows);
    let boss = acct(json!({"id": "boss", "organization": "c1", "roles": ["salesManager"]}));
    // Own leads come from salesRep, inherited.
    assert!(
        ask(
            &p,
            &dir,
            &boss,
            "leads.update",
            target(json!({"id": "l1", "type": "lead", "organization": "c1", "owner": "boss"})),
            None
        )
        .allowed()
    );
    let d = ask(
        &p,
        &dir,
        &boss,
        "leads.update",
        target(json!({"id": "l2", "type": "lead", "organization": "c1", "owner": "rep"})),
        None,
    );
    assert!(d.allowed());
    assert_eq!(d.reason.as_deref(), Some("role:salesManager#0"));
    // The admin inherits the whole chain.
    let admin = acct(json!({"id": "x", "organization": "c1", "roles": ["systemAdmin"]}));
    assert!(
        ask(
            &p,
            &dir,
            &admin,
            "opportunities.delete",
            target(json!({"id": "o", "type": "opportunity", "organization": "c1", "owner": "rep"})),
            None
        )
        .allowed()
    );
    // Cycles are refused when the policy loads.
    let mut doc: serde_json::Value =
        serde_json::from_str(warden_core::policy::presets::find("003").unwrap().json).unwrap();
    doc["access"]["roles"]["salesRep"]["inherits"] = json!(["systemAdmin"]);
    let err = Policy::from_value(doc).unwrap_err();
    assert!(err.to_string().contains("cycle"), "{err}");
}

#[test]
fn r004_02_only_root_creates_administrators_administrators_create_the_others() {
    let p = Policy::preset("004").unwrap();
    let dir = Directory::new();
    let root = acct(json!({"id": "root", "organization": "prs", "root": true}));
    let admin = acct(json!({"id": "it", "organization": "prs", "roles": ["admin"]}));
    let new_admin =
        target(json!({"id": "n1", "organization": "prs", "attributes": {"userType": "admin"}}));
    let new_requester =
        target(json!({"id": "n2", "organization": "prs", "attributes": {"userType": "requester"}}));
    assert!(ask(&p, &dir, &root, "users.create", new_admin.clone(), None).allowed());
    let d = ask(&p, &dir, &admin, "users.create", new_admin, None);
    assert_eq!(deny_code(&d), "root_only");
    assert!(
        ask(
            &p,
            &dir,
            &admin,
            "users.create",
            new_requester.clone(),
            None
        )
        .allowed()
    );
    // A requester cannot create users at all.
    let req = acct(json!({"id": "r", "organization": "prs", "roles": ["requester"]}));
    assert_eq!(
        deny_code(&ask(&p, &dir, &req, "users.create", new_requester, None)),
        "not_permitted"
    );
}

#[test]
fn nobody_grants_a_permission_they_do_not_hold() {
    let p = Policy::preset("001").unwrap();
    let dir = Directory::new();
    // A custom role that may assign roles but holds little.
    let mut doc: serde_json::Value =
        serde_json::from_str(warden_core::policy::presets::find("001").unwrap().json).unwrap();
    doc["access"]["roles"]["delegate"] = json!({"permissions": [{"allow": "roles.assign", "scope": "organization"}, {"allow": "users.read", "scope": "organization"}]});
    let p2 = Policy::from_value(doc).unwrap();
    let delegate = acct(json!({"id": "d", "organization": "gt", "roles": ["delegate"]}));
    let t = target(json!({"id": "t", "organization": "gt"}));
    let d = ask(
        &p2,
        &dir,
        &delegate,
        "roles.assign",
        t.clone(),
        Some(RoleChange {
            add: vec!["hrViewer".into()],
            remove: vec![],
        }),
    );
    assert_eq!(deny_code(&d), "privilege_escalation");
    // hrAdmin is an administrator-only role.
    let d = ask(
        &p2,
        &dir,
        &delegate,
        "roles.assign",
        t,
        Some(RoleChange {
            add: vec!["hrAdmin".into()],
            remove: vec![],
        }),
    );
    assert_eq!(deny_code(&d), "administrator_only");
    drop(p);
}

#[test]
fn scope_renders_parameterised_sql() {
    let p = Policy::preset("001").unwrap();
    let sarah =
        acct(json!({"id": "sarah", "organization": "gt", "attributes": {"status": "active"}}));
    let f = scope(&p, &sarah, "users.read", now()).unwrap().filter;
    let sql = f.to_sql(&SqlOptions::default()).unwrap();
    assert_eq!(
        sql.sql,
        "((id = $1 AND organization_id = $2) OR (organization_id = $3 AND manager_id = $4))"
    );
    assert_eq!(
        sql.params,
        vec![json!("sarah"), json!("gt"), json!("gt"), json!("sarah")]
    );
    // Values never reach the SQL text, identifiers are checked.
    let evil = Filter::Own {
        id: "x' OR 1=1 --".into(),
        organization: None,
    };
    assert!(
        !evil
            .to_sql(&SqlOptions::default())
            .unwrap()
            .sql
            .contains("OR 1=1")
    );
    let bad = SqlOptions {
        id_column: "id; DROP TABLE users".into(),
        ..SqlOptions::default()
    };
    assert!(evil.to_sql(&bad).is_err());
}
