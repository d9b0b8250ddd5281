//! Attribute permissions (`access.fieldAccess`): who may view and who may edit each field,
//! through the typed APIs (`access::field_access`, `access::edit_denial`, `lifecycle::changes`)
//! and the JSON entry point; the seed rules they carry (R000-07, R000-12, R002-05) are named.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::{Value, json};
use warden_core::access::{self, Directory, FieldAccess};
use warden_core::lifecycle::{self, ChangeRequest, LifecycleErrorKind, Obligation};
use warden_core::model::Account;
use warden_core::policy::PolicyErrorKind;
use warden_core::{Lang, Policy, Timestamp};

fn now() -> Timestamp {
    Timestamp::parse("2026-11-22T10:00:00Z").unwrap()
}

fn acct(v: Value) -> Account {
    serde_json::from_value(v).unwrap()
}

fn fa(p: &Policy, dir: &Directory, actor: &Account, target: &Account) -> FieldAccess {
    access::field_access(p, dir, actor, target, now()).unwrap()
}

fn change(p: &Policy, actor: &Account, before: &Account, after: &Account) -> Value {
    change_with(p, actor, before, after, None)
}

fn change_with(
    p: &Policy,
    actor: &Account,
    before: &Account,
    after: &Account,
    verified: Option<bool>,
) -> Value {
    let req = ChangeRequest {
        actor: actor.clone(),
        before: before.clone(),
        after: after.clone(),
        current_password_verified: verified,
        facts: Default::default(),
        lang: Lang::En,
    };
    serde_json::to_value(lifecycle::changes(p, &req, now()).unwrap()).unwrap()
}

fn regular() -> Account {
    acct(
        json!({"id": "reg", "organization": "acme", "roles": ["regular"],
        "attributes": {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@acme.test",
                       "phone": "+33612345678", "organization": "acme"}}),
    )
}

#[test]
fn r000_07_a_regular_user_edits_only_their_own_phone_and_password() {
    let p = Policy::preset("production-planner-pro").unwrap();
    let dir = Directory::new();
    let reg = regular();
    let mine = fa(&p, &dir, &reg, &reg);
    assert_eq!(mine.editable, ["phone", "password"]);
    assert!(mine.hidden.is_empty(), "nothing of 000 is hidden");
    for f in [
        "firstName",
        "email",
        "organization",
        "status",
        "superAdmin",
        "roles",
    ] {
        assert!(!mine.may_edit(f), "{f} is not self-service");
    }

    // The own phone: allowed.
    let mut after = reg.clone();
    after
        .attributes
        .insert("phone".into(), json!("+33699999999"));
    let d = change(&p, &reg, &reg, &after);
    assert_eq!(d["decision"], "allow", "{d}");

    // Status, organisation, super-admin flag and email at once: one deny naming each.
    let mut after = reg.clone();
    after.organization = Some("beta".into());
    after.status = "inactive".into();
    after.super_admin = true;
    after
        .attributes
        .insert("email".into(), json!("x@beta.test"));
    after
        .attributes
        .insert("phone".into(), json!("+33699999999"));
    // The organisation is also an attribute of the record: named once.
    after
        .attributes
        .insert("organization".into(), json!("beta"));
    let d = change(&p, &reg, &reg, &after);
    assert_eq!(d["decision"], "deny");
    assert_eq!(d["deny"]["code"], "field_not_editable");
    assert_eq!(d["deny"]["kind"], "forbidden");
    assert_eq!(d["deny"]["rule"], "fieldAccess");
    assert_eq!(
        d["deny"]["params"]["fields"],
        json!(["organization", "status", "superAdmin", "email"])
    );
    assert_eq!(
        d["deny"]["message"],
        "you are not allowed to change these fields: organization, status, superAdmin, email"
    );
    assert!(d["obligations"].as_array().unwrap().is_empty());

    // Dropping the own role is a roles edit: refused too.
    let mut after = reg.clone();
    after.roles.clear();
    let d = change(&p, &reg, &reg, &after);
    assert_eq!(d["deny"]["params"]["fields"], json!(["roles"]));

    // The own password, with the current one (R002-05's rule, declared for 000 too).
    let mut after = reg.clone();
    after
        .attributes
        .insert("password".into(), json!("Violet-Kettle-42!x"));
    let d = change(&p, &reg, &reg, &after);
    assert_eq!(d["deny"]["code"], "current_password_required");
    let d = change_with(&p, &reg, &reg, &after, Some(true));
    assert_eq!(d["decision"], "allow", "{d}");

    // Another user's phone is neither theirs to edit nor a field they may change.
    let other = acct(json!({"id": "u2", "organization": "acme", "roles": ["regular"]}));
    assert!(!fa(&p, &dir, &reg, &other).may_edit("phone"));
}

#[test]
fn r000_12_a_super_admin_changes_an_email_and_the_user_is_notified() {
    let p = Policy::preset("production-planner-pro").unwrap();
    let sa = acct(json!({"id": "sa", "organization": "hq", "superAdmin": true}));
    let reg = regular();
    assert!(
        fa(&p, &Directory::new(), &sa, &reg)
            .read_only
            .iter()
            .all(|f| f == "id")
    );
    let mut after = reg.clone();
    after
        .attributes
        .insert("email".into(), json!("ada.l@acme.test"));
    let d = change(&p, &sa, &reg, &after);
    assert_eq!(d["decision"], "allow", "{d}");
    assert_eq!(
        d["obligations"][0],
        json!({"kind": "notifyEmailChange", "old": "ada@acme.test", "new": "ada.l@acme.test"})
    );
}

fn customer() -> Account {
    acct(
        json!({"id": "c1", "organization": "rent", "location": "paris",
        "attributes": {"accountType": "customer", "email": "c1@rent.test",
                       "birthdate": "1990-01-01", "driversLicense": "D123"}}),
    )
}

#[test]
fn r002_05_a_customer_changes_their_email_with_verification_but_not_their_account_type() {
    let p = Policy::preset("rental-platform").unwrap();
    let c = customer();
    let mut after = c.clone();
    after
        .attributes
        .insert("email".into(), json!("new@rent.test"));
    // One's own email is where a password reset goes: changed by whoever holds the
    // session, it would hand them the account. The current password is asked for.
    let d = change(&p, &c, &c, &after);
    assert_eq!(d["deny"]["code"], "current_password_required", "{d}");
    let d = change_with(&p, &c, &c, &after, Some(true));
    assert_eq!(d["decision"], "allow", "{d}");
    let kinds: Vec<&str> = d["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"verifyNewEmail"), "{kinds:?}");

    // The account type is the role field: changing it is granting a role.
    let mut after = c.clone();
    after
        .attributes
        .insert("accountType".into(), json!("staff"));
    after.location = Some("lyon".into());
    let d = change(&p, &c, &c, &after);
    assert_eq!(d["deny"]["code"], "field_not_editable");
    assert_eq!(
        d["deny"]["params"]["fields"],
        json!(["location", "accountType"])
    );

    // A self-service password change needs the current password.
    let mut after = c.clone();
    after
        .attributes
        .insert("password".into(), json!("a long passphrase 42"));
    assert_eq!(
        change(&p, &c, &c, &after)["deny"]["code"],
        "current_password_required"
    );
    assert_eq!(
        change_with(&p, &c, &c, &after, Some(true))["decision"],
        "allow"
    );

    // An administrator (allowed `roles.assign`) changes the account type.
    let admin = acct(json!({"id": "a1", "organization": "rent",
        "roles": ["administrator"], "attributes": {"accountType": "staff"}}));
    let mut after = c.clone();
    after
        .attributes
        .insert("accountType".into(), json!("supplier"));
    assert_eq!(change(&p, &admin, &c, &after)["decision"], "allow");
}

#[test]
fn r002_05_identity_data_is_seen_by_the_account_administrators_and_support_only() {
    let p = Policy::preset("rental-platform").unwrap();
    let dir = Directory::new();
    let c = customer();
    let ro = acct(json!({"id": "r1", "organization": "rent", "roles": ["readOnlyAdmin"]}));
    let support = acct(json!({"id": "s1", "organization": "rent", "roles": ["supportAgent"]}));
    assert_eq!(
        fa(&p, &dir, &ro, &c).hidden,
        ["birthdate", "driversLicense"]
    );
    assert!(fa(&p, &dir, &support, &c).hidden.is_empty());
    assert!(fa(&p, &dir, &c, &c).hidden.is_empty());
    let mut record = c.attributes.clone();
    fa(&p, &dir, &ro, &c).redact(&mut record);
    assert_eq!(
        Value::Object(record),
        json!({"accountType": "customer", "email": "c1@rent.test"})
    );
}

#[test]
fn r001_03_a_manager_sees_their_n1_without_personal_data() {
    let p = Policy::preset("hr-platform").unwrap();
    let (dir, _) = Directory::from_rows([("m1", None), ("e1", Some("m1"))]);
    let m = acct(json!({"id": "m1", "organization": "acme", "roles": ["manager"]}));
    let e = acct(
        json!({"id": "e1", "organization": "acme", "manager": "m1", "roles": ["employee"],
        "attributes": {"firstName": "Eve", "birthdate": "1990-02-03", "address": "1 rue X"}}),
    );
    let hr = acct(json!({"id": "h1", "organization": "acme", "roles": ["hrViewer"]}));
    let seen = fa(&p, &dir, &m, &e);
    assert_eq!(seen.hidden, ["address", "birthdate"]);
    assert!(seen.visible.contains(&"firstName".to_owned()));
    assert!(fa(&p, &dir, &e, &e).hidden.is_empty());
    assert!(fa(&p, &dir, &hr, &e).hidden.is_empty());
    // An HR viewer of another organisation holds the role, not in this organisation.
    let far = acct(json!({"id": "h2", "organization": "other", "roles": ["hrViewer"]}));
    assert_eq!(fa(&p, &dir, &far, &e).hidden, ["address", "birthdate"]);
}

fn principals_policy() -> Policy {
    Policy::from_value(json!({
        "warden": 1, "name": "principals",
        "fields": {"name": {"type": "text"}, "note": {"type": "text"}, "salary": {"type": "text"}},
        "access": {
            "modules": {"users": ["read", "update"]},
            "roles": {
                "emp": {"permissions": [{"allow": "users.read", "scope": "own"}]},
                "hr": {"permissions": [{"allow": "users.update", "scope": "organization"}]}
            },
            "fieldAccess": {
                "salary": {"view": ["self", "team", "role:hr"], "edit": ["role:hr"]},
                "note": {"view": ["manager", "superAdmin", "root"], "edit": ["permission:users.update"]},
                "name": {"edit": []}
            }
        }
    }))
    .unwrap()
}

#[test]
fn each_principal_matches_what_it_names_and_nothing_more() {
    let p = principals_policy();
    let (dir, _) =
        Directory::from_rows([("boss", None), ("mid", Some("boss")), ("low", Some("mid"))]);
    let who = |id: &str, roles: Value| {
        acct(
            json!({"id": id, "organization": "acme", "roles": roles, "manager": match id {
            "mid" => json!("boss"), "low" => json!("mid"), _ => Value::Null }}),
        )
    };
    let low = who("low", json!(["emp"]));
    let hidden = |a: &Account| fa(&p, &dir, a, &low).hidden;
    let read_only = |a: &Account| fa(&p, &dir, a, &low).read_only;

    // team (two levels up): the salary, not the note (only the direct manager).
    assert_eq!(hidden(&who("boss", json!(["emp"]))), ["note"]);
    // manager: the note too, but editing it needs `users.update`, which `emp` lacks.
    assert!(hidden(&who("mid", json!(["emp"]))).is_empty());
    assert_eq!(
        read_only(&who("mid", json!(["emp"]))),
        ["name", "note", "salary"]
    );
    // self: the own salary, read-only.
    assert_eq!(hidden(&low), ["note"]);
    assert_eq!(read_only(&low), ["name", "note", "salary"]);
    // role:hr in the organisation: sees and edits the salary; the note is not theirs.
    let hr = who("h", json!(["hr"]));
    assert_eq!(hidden(&hr), ["note"]);
    assert_eq!(read_only(&hr), ["name", "note"]);
    // ... and an HR actor of another organisation holds nothing here.
    let mut far = hr.clone();
    far.organization = Some("beta".into());
    assert_eq!(hidden(&far), ["note", "salary"]);
    // superAdmin and root are named, never implied: neither sees the salary.
    let sa = acct(json!({"id": "sa", "superAdmin": true}));
    assert_eq!(hidden(&sa), ["salary"]);
    let root = acct(json!({"id": "rt", "organization": "acme", "root": true}));
    assert_eq!(hidden(&root), ["salary"]);
    // A super admin allowed `users.update` everywhere edits the note it sees.
    assert_eq!(read_only(&sa), ["name", "salary"]);
    // An actor whose status grants nothing matches no principal.
    let mut gone = hr.clone();
    gone.status = "inactive".into();
    assert_eq!(hidden(&gone), ["note", "salary"]);

    // One edit touching three fields: the two the actor may not edit are named.
    let mut after = low.clone();
    for (k, v) in [("name", "N"), ("note", "n"), ("salary", "1")] {
        after.attributes.insert(k.into(), json!(v));
    }
    let d = access::edit_denial(&p, &dir, &hr, &low, &after, now(), Lang::Fr)
        .unwrap()
        .unwrap();
    assert_eq!(d.code, "field_not_editable");
    assert_eq!(
        serde_json::to_value(&d.params).unwrap(),
        json!({"fields": ["name", "note"]})
    );
    assert_eq!(
        d.message.to_string(),
        "vous n'avez pas le droit de modifier ces champs : name, note"
    );
    // Changing only what it may: no deny.
    let mut after = low.clone();
    after.attributes.insert("salary".into(), json!("2"));
    assert!(
        access::edit_denial(&p, &dir, &hr, &low, &after, now(), Lang::En)
            .unwrap()
            .is_none()
    );
}

#[test]
fn a_policy_without_field_access_hides_nothing_and_locks_nothing() {
    let p = Policy::preset("prs-procurement").unwrap();
    let a = acct(json!({"id": "a", "organization": "o"}));
    let b = acct(json!({"id": "b", "organization": "o"}));
    let f = fa(&p, &Directory::new(), &a, &b);
    assert!(f.hidden.is_empty() && f.read_only.is_empty());
    assert_eq!(f.visible.len(), p.document().fields.len());
    assert_eq!(f.visible, f.editable);
}

#[test]
fn an_undeclared_role_of_the_actor_is_a_typed_error() {
    let p = Policy::preset("hr-platform").unwrap();
    let bad = acct(json!({"id": "x", "organization": "acme", "roles": ["ceo"]}));
    let e = acct(json!({"id": "e1", "organization": "acme"}));
    let err = access::field_access(&p, &Directory::new(), &bad, &e, now()).unwrap_err();
    assert_eq!(err.name(), Some("ceo"));
    let p = Policy::preset("production-planner-pro").unwrap();
    let mut after = e.clone();
    after
        .attributes
        .insert("phone".into(), json!("+33600000000"));
    let req = ChangeRequest {
        actor: bad,
        before: e,
        after,
        current_password_verified: None,
        facts: Default::default(),
        lang: Lang::En,
    };
    let err = lifecycle::changes(&p, &req, now()).unwrap_err();
    assert_eq!(err.kind(), LifecycleErrorKind::UnknownRole);
    assert_eq!(err.name(), Some("ceo"));
}

fn with_field_access(fa: Value) -> Value {
    json!({
        "warden": 1, "name": "bad",
        "fields": {"email": {"type": "email"}, "phone": {"type": "phone"}},
        "access": {
            "modules": {"users": ["read", "update"]},
            "roles": {"admin": {"permissions": [{"allow": "users.*", "scope": "organization"}]}},
            "fieldAccess": fa
        }
    })
}

#[test]
fn bad_attribute_permissions_are_policy_errors_naming_the_path() {
    let cases = [
        (
            json!({"phnoe": {"edit": ["self"]}}),
            "access.fieldAccess.phnoe",
            Some("did you mean `phone`?"),
        ),
        (
            json!({"phone": {"edit": ["self", "role:admn"]}}),
            "access.fieldAccess.phone.edit[1]",
            None,
        ),
        (
            json!({"email": {"view": ["everyone"]}}),
            "access.fieldAccess.email.view[0]",
            None,
        ),
        (
            json!({"email": {"edit": ["permission:users.delete"]}}),
            "access.fieldAccess.email.edit[0]",
            None,
        ),
    ];
    for (fa, path, help) in cases {
        let e = Policy::from_value(with_field_access(fa.clone())).unwrap_err();
        assert_eq!(e.kind(), PolicyErrorKind::Invalid, "{fa}: {e}");
        assert_eq!(e.path(), path, "{fa}: {e}");
        if let Some(h) = help {
            assert_eq!(e.help(), Some(h));
        }
        let msg = e.to_string();
        assert!(msg.contains(&format!("`{path}`")), "{msg}");
    }
    // An unknown key of a field's entry is a shape error, with a did-you-mean.
    let e = Policy::from_value(with_field_access(json!({"phone": {"edti": []}}))).unwrap_err();
    assert_eq!(e.kind(), PolicyErrorKind::Shape, "{e}");
    assert!(e.path().starts_with("access.fieldAccess.phone"), "{e}");
    // Typed account keys may be governed even when the schema does not declare them.
    Policy::from_value(with_field_access(
        json!({"roles": {"edit": ["role:admin"]}, "superAdmin": {"view": []}}),
    ))
    .unwrap();
}

#[test]
fn the_field_access_operation_redacts_the_record() {
    let out = warden_core::api::evaluate(&json!({
        "preset": "hr-platform", "op": "fieldAccess",
        "input": {
            "actor": {"id": "m1", "organization": "acme", "roles": ["manager"]},
            "target": {"id": "e1", "organization": "acme", "manager": "m1"},
            "record": {"id": "e1", "firstName": "Eve", "birthdate": "1990-02-03", "address": "x"},
            "now": "2026-11-22T10:00:00Z"
        }
    }))
    .unwrap();
    assert_eq!(out["hidden"], json!(["address", "birthdate"]));
    assert_eq!(out["record"], json!({"id": "e1", "firstName": "Eve"}));
    assert_eq!(out["contract"], 1);
    // A record too large is refused, naming it.
    let big: serde_json::Map<String, Value> =
        (0..600).map(|i| (format!("f{i}"), json!(i))).collect();
    let e = warden_core::api::evaluate(&json!({
        "preset": "hr-platform", "op": "fieldAccess",
        "input": {"actor": {"id": "m1"}, "target": {"id": "e1"}, "record": big,
                  "now": "2026-11-22T10:00:00Z"}
    }))
    .unwrap_err();
    assert_eq!(e.code(), "invalid_input");
    assert_eq!(e.path(), Some("input.record"));
}

#[test]
fn obligations_of_an_allowed_self_service_edit_are_kept() {
    // The field check never drops the obligations of an allowed edit (R002-05).
    let p = Policy::preset("rental-platform").unwrap();
    let c = customer();
    let mut after = c.clone();
    after
        .attributes
        .insert("password".into(), json!("a long passphrase 42"));
    let req = ChangeRequest {
        actor: c.clone(),
        before: c,
        after,
        current_password_verified: Some(true),
        facts: Default::default(),
        lang: Lang::En,
    };
    let d = lifecycle::changes(&p, &req, now()).unwrap();
    assert!(d.allowed());
    assert!(d.obligations.contains(&Obligation::RevokeSessions));
}

fn creation_policy_document() -> Value {
    json!({
        "warden": 1, "name": "creation",
        "fields": {
            "id": {"type": "text"}, "name": {"type": "text"}, "note": {"type": "text"},
            "salary": {"type": "text"}, "manager": {"type": "text"},
            "organization": {"type": "text"}
        },
        "access": {
            "modules": {"users": ["read", "update", "create"]},
            "roles": {
                "hr": {"permissions": [{"allow": "users.*", "scope": "organization"}]}
            },
            "createAction": "users.create",
            "managerField": "manager",
            "fieldAccess": {
                "salary": {"edit": ["superAdmin"]},
                "note": {"edit": ["manager", "team"]},
                "id": {"edit": []}
            }
        }
    })
}

fn creation_policy() -> Policy {
    Policy::from_value(creation_policy_document()).unwrap()
}

#[test]
fn a_creation_setting_a_field_the_creator_may_not_edit_is_denied_naming_it() {
    let p = creation_policy();
    let hr = acct(json!({"id": "h", "organization": "acme", "roles": ["hr"]}));
    let new = |attrs: Value, manager: Option<&str>| {
        let mut a = acct(json!({"id": "n", "organization": "acme", "attributes": attrs}));
        a.manager = manager.map(str::to_owned);
        a
    };
    let deny = |dir: &Directory, actor: &Account, created: &Account| {
        access::create_denial(&p, dir, actor, created, now(), Lang::En).unwrap()
    };
    let dir = Directory::new();

    // The salary and the note (whose manager is someone else): both named, as an edit
    // names them (the typed parts, then the attributes by name).
    let created = new(
        json!({"id": "n", "name": "N", "salary": "1", "note": "x", "organization": "acme", "manager": "m"}),
        Some("m"),
    );
    let d = deny(&dir, &hr, &created).expect("denied");
    assert_eq!(d.code, "field_not_editable");
    assert_eq!(d.rule.as_deref(), Some("fieldAccess"));
    assert_eq!(
        serde_json::to_value(&d.params).unwrap(),
        json!({"fields": ["note", "salary"]})
    );
    // The id names the account, the initial status is the policy's, blank values set
    // nothing: none of them is a field the creator sets.
    let mut plain = new(
        json!({"id": "n", "name": "N", "salary": "", "note": null, "status": "active"}),
        None,
    );
    assert!(deny(&dir, &hr, &plain).is_none());
    assert_eq!(access::created_fields(&p, &plain), ["organization", "name"]);
    // Another status than the initial one is set.
    plain.status = "inactive".into();
    assert_eq!(
        access::created_fields(&p, &plain),
        ["organization", "status", "name"]
    );

    // `manager` resolves against the new account: its creator is its manager.
    let mine = new(json!({"note": "x", "manager": "h"}), Some("h"));
    assert!(deny(&dir, &hr, &mine).is_none());
    // `team`: the creator above the new account's manager, in the directory holding the
    // new account's row.
    let below = new(json!({"note": "x", "manager": "m"}), Some("m"));
    let (chain, _) = Directory::from_rows([("h", None), ("m", Some("h")), ("n", Some("m"))]);
    assert!(deny(&chain, &hr, &below).is_none());
    let (other, _) = Directory::from_rows([("x", None), ("m", Some("x")), ("n", Some("m"))]);
    assert!(deny(&other, &hr, &below).is_some());

    // A super administrator sets the salary.
    let sa = acct(json!({"id": "s", "superAdmin": true}));
    let salary = new(json!({"salary": "1"}), None);
    assert!(deny(&dir, &sa, &salary).is_none());
    assert!(deny(&dir, &hr, &salary).is_some());
    // A policy without attribute permissions denies nothing.
    let open = Policy::preset("prs-procurement").unwrap();
    assert!(
        access::create_denial(&open, &dir, &hr, &salary, now(), Lang::En)
            .unwrap()
            .is_none()
    );
}

#[test]
fn a_bulk_import_setting_a_field_the_actor_may_not_edit_is_denied_and_the_others_pass() {
    let out = warden_core::api::evaluate(&json!({
        "policy": creation_policy_document(), "op": "bulk",
        "input": {
            "actor": {"id": "h", "organization": "acme", "roles": ["hr"]},
            "items": [
                {"op": "import", "user": {"name": "A", "organization": "acme"}},
                {"op": "import", "user": {"name": "B", "organization": "acme", "salary": "9"}},
                {"op": "import", "user": {"name": "C", "organization": "acme", "manager": "h", "note": "x"}}
            ],
            "now": "2026-11-22T10:00:00Z"
        }
    }))
    .unwrap();
    let r = &out["results"];
    assert_eq!(r[0]["outcome"], "allowed", "{out}");
    assert_eq!(r[1]["outcome"], "denied", "{out}");
    assert_eq!(r[1]["deny"]["code"], "field_not_editable");
    assert_eq!(r[1]["deny"]["params"]["fields"], json!(["salary"]));
    assert_eq!(r[2]["outcome"], "allowed", "{out}");
    assert_eq!(out["summary"]["denied"], 1);
}

/// `bulk_decided` gives, for each item, the kernel's decisions behind its result (what a
/// server hands its plugins and executes): the same results as `bulk`, an import's
/// validation with its normalised record, and the create action's authorization where
/// the record was valid (the field-access denial of item 1 comes after it, so its
/// authorization allows).
#[test]
fn bulk_decided_gives_the_decisions_behind_each_result() {
    use warden_core::bulk::{self, BulkRequest, ItemDecided, ItemOutcome};
    let policy = Policy::from_value(creation_policy_document()).unwrap();
    let req: BulkRequest = serde_json::from_value(json!({
        "actor": {"id": "h", "organization": "acme", "roles": ["hr"]},
        "items": [
            {"op": "import", "user": {"name": "A", "organization": "acme"}},
            {"op": "import", "user": {"name": "B", "organization": "acme", "salary": "9"}},
            {"op": "import", "user": {"name": 5, "organization": "acme"}}
        ]
    }))
    .unwrap();
    let (decision, decided) = bulk::bulk_decided(&policy, &req, now(), Lang::En).unwrap();
    assert_eq!(
        decision,
        bulk::bulk(&policy, &req, now(), Lang::En).unwrap()
    );
    assert_eq!(decided.len(), 3);
    let outcomes: Vec<ItemOutcome> = decision.results.iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        [
            ItemOutcome::Allowed,
            ItemOutcome::Denied,
            ItemOutcome::Invalid
        ]
    );
    for (r, d) in decision.results.iter().zip(&decided) {
        let Some(ItemDecided::Import {
            validation,
            authorization,
            target,
        }) = d
        else {
            panic!("an import's decisions: {d:?}");
        };
        // The target the authorization was made on, when there is one.
        assert_eq!(authorization.is_some(), target.is_some(), "{d:?}");
        if let Some(t) = target {
            assert_eq!(t.organization.as_deref(), Some("acme"), "{t:?}");
        }
        assert_eq!(validation.violations, r.violations);
        assert_eq!(validation.valid, r.outcome != ItemOutcome::Invalid);
        assert_eq!(
            authorization.as_ref().map(|a| a.allowed()),
            (r.outcome != ItemOutcome::Invalid).then_some(true),
            "{r:?}"
        );
    }
    let Some(ItemDecided::Import { validation, .. }) = &decided[0] else {
        unreachable!()
    };
    assert_eq!(validation.normalized["name"], "A");
}

/// A status item's decisions: its transition and the kernel's authorization of
/// `users.status` on the target, which a server's status route requires and its plugins'
/// authorization hook is told; a deletion's: the authorization of `users.delete`. Rental
/// preset (002): the administrator may change a customer's status; a customer may not
/// change another's.
#[test]
fn bulk_decided_tells_the_authorizations_behind_status_and_delete_items() {
    use warden_core::bulk::{self, BulkRequest, ItemDecided};
    let policy = Policy::preset("002").unwrap();
    let cust = json!({"id": "c", "organization": "rent", "roles": ["customer"], "attributes": {"firstName": "Ann", "lastName": "Lee", "email": "ann@example.com", "phone": "+33612345678", "accountType": "customer", "birthdate": "1990-01-01"}});
    let decided_for = |actor: Value| {
        let req: BulkRequest = serde_json::from_value(json!({
            "actor": actor,
            "items": [
                {"op": "status", "target": cust, "to": "inactive", "reason": "left"},
                {"op": "delete", "target": cust, "facts": {"activeBookings": 0}}
            ],
            "confirmed": true,
            "confirmCount": 1
        }))
        .unwrap();
        let (decision, decided) = bulk::bulk_decided(&policy, &req, now(), Lang::En).unwrap();
        assert!(decision.refused.is_none(), "{decision:?}");
        decided
    };
    let admin = decided_for(json!({"id": "a", "organization": "rent", "roles": ["administrator"]}));
    let Some(ItemDecided::Status {
        transition,
        authorization: Some(a),
    }) = &admin[0]
    else {
        panic!("a status item's decisions: {:?}", admin[0]);
    };
    assert!(transition.allowed(), "{transition:?}");
    assert!(a.allowed(), "{a:?}");
    assert!(
        matches!(&admin[1], Some(ItemDecided::Delete(Some(d))) if d.allowed()),
        "{:?}",
        admin[1]
    );
    let other = decided_for(json!({"id": "x", "organization": "rent", "roles": ["customer"]}));
    let Some(ItemDecided::Status {
        authorization: Some(a),
        ..
    }) = &other[0]
    else {
        panic!("a status item's decisions: {:?}", other[0]);
    };
    assert!(
        !a.allowed(),
        "a customer may not change another's status: {a:?}"
    );
}

/// Found in review: a bulk import's password is never in the normalised record, and a
/// record could name the creator's own id to make `self` match. Both are fields the
/// creator sets, judged as a single create judges them.
#[test]
fn a_bulk_import_cannot_set_a_password_or_borrow_the_creators_id_past_field_access() {
    let mut doc = creation_policy_document();
    doc["fields"]["password"] = json!({"type": "password"});
    doc["fields"]["phone"] = json!({"type": "text"});
    doc["password"] = json!({"profile": "nist-800-63b-4"});
    doc["access"]["fieldAccess"]["password"] = json!({"edit": ["self"]});
    doc["access"]["fieldAccess"]["phone"] = json!({"edit": ["self"]});
    let out = warden_core::api::evaluate(&json!({
        "policy": doc, "op": "bulk",
        "input": {
            "actor": {"id": "h", "organization": "acme", "roles": ["hr"]},
            "items": [
                {"op": "import", "user": {"name": "A", "organization": "acme", "password": "Correct-Horse-7"}},
                {"op": "import", "user": {"id": "h", "name": "B", "organization": "acme", "phone": "+33 1 23 45 67 89"}},
                {"op": "import", "user": {"name": "C", "organization": "acme"}}
            ],
            "now": "2026-11-22T10:00:00Z"
        }
    }))
    .unwrap();
    let r = &out["results"];
    assert_eq!(r[0]["outcome"], "denied", "{out}");
    assert_eq!(
        r[0]["deny"]["params"]["fields"],
        json!(["password"]),
        "{out}"
    );
    assert!(!out.to_string().contains("Correct-Horse-7"), "{out}");
    assert_eq!(r[1]["outcome"], "denied", "{out}");
    assert_eq!(r[1]["deny"]["params"]["fields"], json!(["phone"]), "{out}");
    assert_eq!(r[2]["outcome"], "allowed", "{out}");
}
