//! Attribute permissions through the API, on SQLite and PostgreSQL: an update touching a
//! field the actor may not edit is the kernel's `field_not_editable` (403, naming every such
//! field); reads, lists, searches and audit histories leave out what the viewer may not see.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use crate::common::{Auth, Env, Which, demo_user};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use warden_server::seed::DEMO_PASSWORD;

const HR: &str = "hr-platform";
const PPP: &str = "production-planner-pro";
const RENTAL: &str = "rental-platform";
const CRM: &str = "crm";

fn user_in<'a>(list: &'a Value, id: &str) -> Option<&'a Value> {
    list["users"]
        .as_array()
        .and_then(|a| a.iter().find(|u| u["id"] == id))
}

async fn r000_07_self_service_is_phone_and_password_only(env: &Env) {
    let users = env.demo(PPP).await;
    let bob = demo_user(&users, "bob");
    let carla = demo_user(&users, "carla");
    let admin = demo_user(&users, "admin");
    let key = env.key(PPP, "service").await;
    let as_bob = Auth::key(&key, &bob.id);
    let me = format!("/api/v1/users/{}", bob.id);

    // The own phone: allowed, stored.
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &me,
            &as_bob,
            Some(json!({"phone": "+33 6 11 22 33 44"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["user"]["phone"], "+33611223344");

    // Organisation, status, super-admin flag and email at once: one 403 naming each field,
    // and nothing stored.
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &me,
            &as_bob,
            Some(
                json!({"organization": "plant-b", "status": "inactive", "superAdmin": true,
                        "email": "bob.m@planner.example", "phone": "+33 6 99 99 99 99"}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["error"], "denied");
    assert_eq!(v["deny"]["code"], "field_not_editable");
    assert_eq!(
        v["deny"]["params"]["fields"],
        json!(["organization", "status", "superAdmin", "email"])
    );
    let (_, v, _) = env.call(Method::GET, &me, &as_bob, None).await;
    assert_eq!(v["user"]["organization"], "plant-a");
    assert_eq!(v["user"]["email"], "bob@planner.example");
    assert_eq!(v["user"]["phone"], "+33611223344");
    assert_eq!(v["fields"]["editable"], json!(["phone", "password"]));

    // The own password needs the current one (R002-05, declared for 000 too).
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &me,
            &as_bob,
            Some(json!({"password": "Violet-Kettle-42!x"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["deny"]["code"], "current_password_required");
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &me,
            &as_bob,
            Some(json!({"password": "Violet-Kettle-42!x", "currentPassword": DEMO_PASSWORD})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(
        env.sign_in(PPP, &bob.login, "Violet-Kettle-42!x")
            .await
            .is_some()
    );

    // Another user of the same organisation: not Bob's to update at all (R000-07).
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", admin.id),
            &as_bob,
            Some(json!({"phone": "+33 6 00 00 00 01"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["deny"]["code"], "scope_insufficient");

    // R000-12: a super administrator changes Carla's email; Carla is notified.
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", carla.id),
            &Auth::key(&key, &admin.id),
            Some(json!({"email": "carla.diaz@planner.example"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(
        v["obligations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["kind"] == "notifyEmailChange" && o["new"] == "carla.diaz@planner.example"),
        "{v}"
    );
}
on_both!(r000_07_self_service_is_phone_and_password_only);

async fn r002_05_customers_edit_their_profile_not_their_account_type(env: &Env) {
    let users = env.demo(RENTAL).await;
    let customer = demo_user(&users, "customer");
    let key = env.key(RENTAL, "service").await;
    let as_customer = Auth::key(&key, &customer.id);
    let me = format!("/api/v1/users/{}", customer.id);
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &me,
            &as_customer,
            Some(json!({"accountType": "staff", "location": "lyon"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(
        v["deny"]["params"]["fields"],
        json!(["location", "accountType"])
    );
    // One's own email is where a password reset goes: the current password is asked.
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &me,
            &as_customer,
            Some(json!({"email": "lucas.moreau@rental.example"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["deny"]["code"], "current_password_required", "{v}");
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &me,
            &as_customer,
            Some(json!({"email": "lucas.moreau@rental.example", "currentPassword": DEMO_PASSWORD})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let kinds: Vec<&str> = v["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"verifyNewEmail"), "{v}");
    // Verifying the new address leaves the directory: it is written to the outbox with
    // the change (delivered after commit by the outbox worker).
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM outbox WHERE user_id = $1 AND kind = 'verifyNewEmail'",
            &customer.id
        )
        .await,
        1
    );
}
on_both!(r002_05_customers_edit_their_profile_not_their_account_type);

async fn reads_lists_searches_and_histories_leave_out_hidden_fields(env: &Env) {
    let users = env.demo(HR).await;
    let manager = demo_user(&users, "manager");
    let sophie = demo_user(&users, "sophie");
    let hr = demo_user(&users, "hr");
    let key = env.key(HR, "service").await;
    let as_manager = Auth::key(&key, &manager.id);
    let as_hr = Auth::key(&key, &hr.id);

    // The manager's N-1 list: Sophie, without her date of birth and address.
    let (s, v, _) = env
        .call(Method::GET, "/api/v1/users", &as_manager, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let row = user_in(&v, &sophie.id).expect("Sophie is in her manager's N-1");
    assert_eq!(row["firstName"], "Sophie");
    assert!(
        row.get("birthdate").is_none() && row.get("address").is_none(),
        "{row}"
    );
    // HR sees them.
    let (_, v, _) = env.call(Method::GET, "/api/v1/users", &as_hr, None).await;
    assert_eq!(user_in(&v, &sophie.id).unwrap()["birthdate"], "1991-05-14");

    // One user: the same, and the kernel's answer says why.
    let path = format!("/api/v1/users/{}", sophie.id);
    let (s, v, _) = env.call(Method::GET, &path, &as_manager, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["user"].get("birthdate").is_none(), "{v}");
    assert_eq!(v["fields"]["hidden"], json!(["address", "birthdate"]));
    let (_, v, _) = env.call(Method::GET, &path, &as_hr, None).await;
    assert_eq!(v["user"]["address"], "12 rue des Lilas, 75011 Paris");
    assert_eq!(v["fields"]["hidden"], json!([]));
    // Sophie sees her own.
    let (_, v, _) = env
        .call(Method::GET, &path, &Auth::key(&key, &sophie.id), None)
        .await;
    assert_eq!(v["user"]["birthdate"], "1991-05-14");

    // A search matching only a hidden field finds nothing for the manager.
    let (_, v, _) = env
        .call(Method::GET, "/api/v1/users?q=1991-05", &as_manager, None)
        .await;
    assert!(user_in(&v, &sophie.id).is_none(), "{v}");
    let (_, v, _) = env
        .call(Method::GET, "/api/v1/users?q=sophie", &as_manager, None)
        .await;
    assert!(user_in(&v, &sophie.id).is_some(), "{v}");
    let (_, v, _) = env
        .call(Method::GET, "/api/v1/users?q=1991-05", &as_hr, None)
        .await;
    assert!(user_in(&v, &sophie.id).is_some(), "{v}");

    // The audit history (the seeding's entry holds the whole record): redacted too.
    let (s, v, _) = env
        .call(Method::GET, &format!("{path}/audit"), &as_manager, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(!v["entries"].as_array().unwrap().is_empty());
    assert!(!v.to_string().contains("1991-05-14"), "{v}");
    let (_, v, _) = env
        .call(Method::GET, &format!("{path}/audit"), &as_hr, None)
        .await;
    assert!(v.to_string().contains("1991-05-14"), "{v}");

    // A manager does not update users (HR does).
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &path,
            &as_manager,
            Some(json!({"birthdate": "1990-01-01"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["deny"]["code"], "not_permitted");
}
on_both!(reads_lists_searches_and_histories_leave_out_hidden_fields);

/// A group's member list shows each member as a list of users does: without what the
/// viewer may not see.
async fn group_members_leave_out_hidden_fields(env: &Env) {
    let users = env.demo(HR).await;
    let manager = demo_user(&users, "manager");
    let sophie = demo_user(&users, "sophie");
    let hr = demo_user(&users, "hr");
    let key = env.key(HR, "service").await;
    let path = "/api/v1/groups/all-employees/members";
    let (s, v, _) = env
        .call(Method::GET, path, &Auth::key(&key, &manager.id), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let member = v["members"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["user"]["id"] == sophie.id.as_str()))
        .expect("Sophie is an active employee in her manager's scope");
    assert_eq!(member["user"]["firstName"], "Sophie");
    assert!(
        member["user"].get("birthdate").is_none() && member["user"].get("address").is_none(),
        "{member}"
    );
    assert!(!v.to_string().contains("1991-05-14"), "{v}");
    // HR sees them.
    let (_, v, _) = env
        .call(Method::GET, path, &Auth::key(&key, &hr.id), None)
        .await;
    assert!(v.to_string().contains("1991-05-14"), "{v}");
}
on_both!(group_members_leave_out_hidden_fields);

/// Found in review: a dynamic group whose rule reads a field hidden from the viewer listed
/// exactly the members with that value, revealing it. A member the rule admits only through
/// hidden fields is not listed to that viewer.
async fn dynamic_group_members_do_not_reveal_hidden_fields(env: &Env) {
    let users = env.demo(HR).await;
    let manager = demo_user(&users, "manager");
    let sophie = demo_user(&users, "sophie");
    let hr = demo_user(&users, "hr");
    env.edit_policy(HR, |doc| {
        doc["access"]["groups"]["born-1991-05-14"] = json!({
            "label": {"en": "Born on 14 May 1991", "fr": "Nés le 14 mai 1991"},
            "rule": {"field": "birthdate", "in": ["1991-05-14"]}
        });
    })
    .await;
    let key = env.key(HR, "service").await;
    let path = "/api/v1/groups/born-1991-05-14/members";
    let ids = |v: &Value| -> Vec<String> {
        v["members"]
            .as_array()
            .map(|m| {
                m.iter()
                    .filter_map(|m| m["user"]["id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    // HR sees birth dates: Sophie is a member.
    let (s, v, _) = env
        .call(Method::GET, path, &Auth::key(&key, &hr.id), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(ids(&v).contains(&sophie.id), "{v}");
    // Her manager reads her but not her birth date: the list does not name her, nor does
    // its cursor (a page of one used to stop at her and name her in `next`).
    let (s, v, _) = env
        .call(Method::GET, path, &Auth::key(&key, &manager.id), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(!ids(&v).contains(&sophie.id), "{v}");
    let (s, v, _) = env
        .call(
            Method::GET,
            &format!("{path}?limit=1"),
            &Auth::key(&key, &manager.id),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((ids(&v).len(), &v["next"]), (0, &Value::Null), "{v}");
}
on_both!(dynamic_group_members_do_not_reveal_hidden_fields);

/// HR's policy with attribute permissions on creation: HR may not set the company entry
/// date (super administrators do), sets the country only of the accounts below it and the
/// city only of those it manages directly, and does not see the status.
async fn restrict_hr_creation(env: &Env) {
    env.edit_policy(HR, |doc| {
        let fa = &mut doc["access"]["fieldAccess"];
        fa["companyEntryDate"] = json!({"edit": ["superAdmin"]});
        fa["country"] = json!({"edit": ["team"]});
        fa["city"] = json!({"edit": ["manager"]});
        fa["status"] = json!({"view": ["self", "superAdmin"]});
    })
    .await;
}

/// `POST /api/v1/users` of [`new_hr_user`] as `auth`.
async fn create_hr_user(
    env: &Env,
    auth: &Auth,
    email: &str,
    manager: &str,
    extra: Value,
) -> (StatusCode, Value) {
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/users",
            auth,
            Some(new_hr_user(email, manager, extra)),
        )
        .await;
    (s, v)
}

fn new_hr_user(email: &str, manager: &str, extra: Value) -> Value {
    let mut u = json!({"firstName": "Nora", "lastName": "Blanc", "email": email,
        "jobTitle": "Software Engineer", "manager": manager, "status": "active",
        "organization": "company"});
    for (k, v) in extra.as_object().unwrap() {
        u[k] = v.clone();
    }
    u
}

/// A single create setting a field the actor may not edit is the kernel's
/// `field_not_editable` (403, naming the field, as an edit's), and nothing is stored;
/// `manager` is judged against the new account's manager; the created user comes back
/// without what the creator may not see.
async fn a_create_obeys_attribute_permissions(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let manager = demo_user(&users, "manager");
    restrict_hr_creation(env).await;
    let key = env.key(HR, "service").await;
    let as_hr = Auth::key(&key, &hr.id);
    let count = || env.scalar("SELECT COUNT(*) FROM users WHERE tenant_id = $1", HR);
    let before = count().await;

    // The entry date: only super administrators set it.
    let (s, v) = create_hr_user(
        env,
        &as_hr,
        "nora.blanc@company.com",
        &hr.id,
        json!({"companyEntryDate": "2026-01-05", "country": "France"}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["error"], "denied");
    assert_eq!(v["deny"]["code"], "field_not_editable");
    assert_eq!(v["deny"]["rule"], "fieldAccess");
    assert_eq!(v["deny"]["params"]["fields"], json!(["companyEntryDate"]));
    // The country of an account that will not be below HR: `team` is judged against the
    // new account's manager.
    let (s, v) = create_hr_user(
        env,
        &as_hr,
        "nora.blanc@company.com",
        &manager.id,
        json!({"country": "France"}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["deny"]["params"]["fields"], json!(["country"]));
    assert_eq!(count().await, before, "a denied create stores nothing");

    // The country of an account HR manages: created. A blank entry date sets nothing.
    let (s, v) = create_hr_user(
        env,
        &as_hr,
        "nora.blanc@company.com",
        &hr.id,
        json!({"country": "France", "companyEntryDate": null}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["user"]["country"], "France");
    // Redacted like a read: HR does not see the status.
    assert!(v["user"].get("status").is_none(), "{v}");
    assert_eq!(v["user"]["firstName"], "Nora");
    let id = v["user"]["id"].as_str().unwrap().to_owned();
    let (_, read, _) = env
        .call(Method::GET, &format!("/api/v1/users/{id}"), &as_hr, None)
        .await;
    assert!(read["user"].get("status").is_none(), "{read}");
    assert_eq!(read["fields"]["hidden"], json!(["status"]));
    // Stored with its status all the same.
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM users WHERE id = $1 AND status = 'active'",
            &id
        )
        .await,
        1
    );

    // Two levels below HR (reporting to the user just created): `team` reaches the new
    // account through its manager's chain, `manager` does not (its manager is Nora).
    let (s, v) = create_hr_user(
        env,
        &as_hr,
        "zoe.caron@company.com",
        &id,
        json!({"country": "France"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = create_hr_user(
        env,
        &as_hr,
        "yves.caron@company.com",
        &id,
        json!({"city": "Lyon"}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["deny"]["params"]["fields"], json!(["city"]));
    // Its direct manager sets the city.
    let (s, v) = create_hr_user(
        env,
        &as_hr,
        "yves.caron@company.com",
        &hr.id,
        json!({"city": "Lyon"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}
on_both!(a_create_obeys_attribute_permissions);

/// Import commits and bulk imports: a record setting a field the actor may not edit is
/// reported refused with the same deny, and the other records are created.
async fn imports_and_bulk_imports_obey_attribute_permissions(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let manager = demo_user(&users, "manager");
    restrict_hr_creation(env).await;
    let key = env.key(HR, "service").await;
    let as_hr = Auth::key(&key, &hr.id);

    let csv = format!(
        "firstName,lastName,email,jobTitle,manager,status,organization,companyEntryDate\n\
         Ines,Roux,ines.roux@company.com,Software Engineer,{m},active,company,\n\
         Jade,Faure,jade.faure@company.com,Software Engineer,{m},active,company,2026-02-01\n\
         Lea,Morel,lea.morel@company.com,Software Engineer,{m},active,company,\n",
        m = manager.id
    );
    let (s, v, _) = env
        .call_raw(
            Method::POST,
            "/api/v1/imports?commit=true",
            &as_hr,
            Some(csv),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["summary"]["created"], 2, "{v}");
    assert_eq!(v["summary"]["refused"], 1, "{v}");
    let refused = &v["results"][1];
    assert_eq!(refused["index"], 1, "{v}");
    assert_eq!(refused["deny"]["code"], "field_not_editable", "{v}");
    assert_eq!(
        refused["deny"]["params"]["fields"],
        json!(["companyEntryDate"])
    );
    assert!(v["results"][0]["id"].is_string() && v["results"][2]["id"].is_string());
    assert_eq!(
        env.scalar(
            "SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND document LIKE '%jade.faure%'",
            HR
        )
        .await,
        0
    );

    let body = json!({"items": [
        {"op": "import", "user": new_hr_user("max.girard@company.com", &manager.id, json!({}))},
        {"op": "import", "user": new_hr_user("eve.perrin@company.com", &manager.id, json!({"country": "France"}))},
        {"op": "import", "user": new_hr_user("tom.lemoine@company.com", &hr.id, json!({"country": "France"}))},
    ]});
    let (s, v, _) = env
        .call(Method::POST, "/api/v1/bulk", &as_hr, Some(body))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let r = &v["results"];
    assert_eq!(r[0]["outcome"], "committed", "{v}");
    assert_eq!(r[1]["outcome"], "refused", "{v}");
    assert_eq!(r[1]["deny"]["code"], "field_not_editable", "{v}");
    assert_eq!(r[1]["deny"]["params"]["fields"], json!(["country"]), "{v}");
    assert_eq!(r[2]["outcome"], "committed", "{v}");
    assert_eq!(v["summary"]["committed"], 2);
    assert_eq!(v["summary"]["refused"], 1);
}
on_both!(imports_and_bulk_imports_obey_attribute_permissions);

/// An edit naming a field the actor may neither see nor edit is refused whatever value it
/// gives: the stored value (which would change nothing), another value, and one another
/// user holds (which validation would answer `duplicate`, naming the holder) answer the
/// same 403, so the edit cannot be used to guess the hidden value.
async fn an_edit_cannot_guess_a_hidden_value(env: &Env) {
    let users = env.demo(CRM).await;
    let ana = demo_user(&users, "admin");
    let tom = demo_user(&users, "rep");
    env.edit_policy(CRM, |d| {
        d["access"]["fieldAccess"] = json!({"employeeId": {"view": ["self"], "edit": ["self"]}});
    })
    .await;
    let key = env.key(CRM, "service").await;
    let as_ana = Auth::key(&key, &ana.id);
    let path = format!("/api/v1/users/{}", tom.id);
    let (_, v, _) = env.call(Method::GET, &path, &as_ana, None).await;
    assert!(v["user"].get("employeeId").is_none(), "hidden: {v}");
    let version = v["user"]["version"].clone();
    for guess in ["EMP-00003", "EMP-00099", "EMP-00001"] {
        let (s, v, _) = env
            .call(
                Method::PATCH,
                &path,
                &as_ana,
                Some(json!({"employeeId": guess})),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{guess}: {v}");
        assert_eq!(v["deny"]["code"], "field_not_editable", "{guess}: {v}");
        assert_eq!(v["deny"]["params"]["fields"], json!(["employeeId"]), "{v}");
    }
    // What Ana may see and edit still is.
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &path,
            &as_ana,
            Some(json!({"lastName": "Baker-Ray"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_ne!(v["user"]["version"], version);
}
on_both!(an_edit_cannot_guess_a_hidden_value);

/// An audit history leaves a hidden field's values out of the entries' obligations too
/// (an e-mail change's `notifyEmailChange` quotes the old and new address), not only out
/// of their records.
async fn an_audit_history_hides_hidden_values_in_obligations(env: &Env) {
    let users = env.demo(CRM).await;
    let ana = demo_user(&users, "admin");
    let mia = demo_user(&users, "manager");
    let tom = demo_user(&users, "rep");
    env.edit_policy(CRM, |d| {
        d["access"]["fieldAccess"] = json!({"email": {"view": ["self", "role:systemAdmin"]}});
        // Mia reads the organisation's users (not only her team).
        d["access"]["roles"]["salesManager"]["permissions"]
            .as_array_mut()
            .unwrap()
            .push(json!({"allow": "users.read", "scope": "organization"}));
    })
    .await;
    let key = env.key(CRM, "service").await;
    let path = format!("/api/v1/users/{}", tom.id);
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &path,
            &Auth::key(&key, &ana.id),
            Some(json!({"email": "tom.secret@crm.example"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let audit = format!("{path}/audit");
    let (s, v, _) = env
        .call(Method::GET, &audit, &Auth::key(&key, &ana.id), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(
        v.to_string().contains("tom.secret@crm.example"),
        "Ana sees it: {v}"
    );
    let (s, v, _) = env
        .call(Method::GET, &audit, &Auth::key(&key, &mia.id), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let text = v.to_string();
    assert!(
        text.contains("notifyEmailChange"),
        "the obligation is listed: {v}"
    );
    assert!(
        !text.contains("tom.secret@crm.example") && !text.contains("tom.baker@crm.example"),
        "{v}"
    );
}
on_both!(an_audit_history_hides_hidden_values_in_obligations);

/// A list's cursor never names a user the page leaves out: a search whose only hits are in
/// a field hidden from the viewer answers no users and no next page (the cursor used to
/// name the last hit read, a user whose hidden value matched), and a search with visible
/// hits pages through them, each page full but the last.
async fn a_list_cursor_never_names_a_hidden_hit(env: &Env) {
    let users = env.demo(HR).await;
    let manager = demo_user(&users, "manager");
    let paul = demo_user(&users, "paul");
    let hr = demo_user(&users, "hr");
    let key = env.key(HR, "service").await;
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", paul.id),
            &Auth::key(&key, &hr.id),
            Some(json!({"birthdate": "1991-02-01"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let as_manager = Auth::key(&key, &manager.id);
    let (s, v, _) = env
        .call(
            Method::GET,
            "/api/v1/users?q=1991&limit=1",
            &as_manager,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["users"], json!([]), "{v}");
    assert!(v["next"].is_null(), "{v}");
    // Every user the manager reads, one a page: each page one user, never twice.
    let (_, all, _) = env
        .call(Method::GET, "/api/v1/users?limit=200", &as_manager, None)
        .await;
    let want = all["users"].as_array().unwrap().len();
    let mut seen = Vec::new();
    let mut path = "/api/v1/users?limit=1".to_owned();
    for _ in 0..=want {
        let (s, v, _) = env.call(Method::GET, &path, &as_manager, None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let page = v["users"].as_array().unwrap();
        assert_eq!(page.len(), 1, "{v}");
        seen.push(page[0]["id"].as_str().unwrap().to_owned());
        match v["next"].as_str() {
            Some(n) => path = format!("/api/v1/users?limit=1&cursor={n}"),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (want, want), "{seen:?}");
}
on_both!(a_list_cursor_never_names_a_hidden_hit);

/// The CRM demo with employee ids seen and set by their holder only, and its administrator
/// Ana (who may create users) acting through a service key.
async fn crm_hiding_employee_ids(env: &Env) -> Auth {
    let users = env.demo(CRM).await;
    let ana = demo_user(&users, "admin");
    env.edit_policy(CRM, |d| {
        d["access"]["fieldAccess"] = json!({"employeeId": {"view": ["self"], "edit": ["self"]}});
    })
    .await;
    Auth::key(&env.key(CRM, "service").await, &ana.id)
}

/// A new CRM user (the `i`th of a test) giving `guess` as its employee id (`EMP-00003` is
/// held, `EMP-00099` is not).
fn crm_record(i: usize, guess: &str) -> Value {
    json!({"firstName": "Zed", "lastName": "Zulu", "email": format!("zed{i}@crm.example"),
        "username": format!("zzulu{i}"), "password": "Violet-Kettle-42!x", "organization": "acme",
        "employeeId": guess, "isSalesRep": true, "roles": ["salesRep"]})
}

/// A create setting a field the actor may not set is refused before the record meets the
/// directory: a value another user holds answers the same 403 as any other value, never a
/// `duplicate` naming its holder.
async fn a_create_cannot_guess_a_hidden_value(env: &Env) {
    let as_ana = crm_hiding_employee_ids(env).await;
    for (i, guess) in ["EMP-00003", "EMP-00099"].into_iter().enumerate() {
        let (s, v, _) = env
            .call(
                Method::POST,
                "/api/v1/users",
                &as_ana,
                Some(crm_record(i, guess)),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{guess}: {v}");
        assert_eq!(v["deny"]["code"], "field_not_editable", "{guess}: {v}");
    }
}
on_both!(a_create_cannot_guess_a_hidden_value);

/// An edit's warnings leave out those at a field hidden from the editor: the naming
/// convention's warning quotes the e-mail address it expects, which the editor may not see.
async fn an_edits_warnings_leave_hidden_fields_out(env: &Env) {
    let users = env.demo(HR).await;
    let manager = demo_user(&users, "manager");
    let sophie = demo_user(&users, "sophie");
    let hr = demo_user(&users, "hr");
    env.edit_policy(HR, |d| {
        d["access"]["fieldAccess"]["email"] =
            json!({"view": ["self", "role:hrAdmin"], "edit": ["role:hrAdmin"]});
        d["access"]["roles"]["manager"]["permissions"]
            .as_array_mut()
            .unwrap()
            .push(json!({"allow": "users.update", "scope": "team"}));
    })
    .await;
    let key = env.key(HR, "service").await;
    let path = format!("/api/v1/users/{}", sophie.id);
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &path,
            &Auth::key(&key, &hr.id),
            Some(json!({"email": "sophie.martin@secret-domain.org"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &path,
            &Auth::key(&key, &manager.id),
            Some(json!({"firstName": "Sophia"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(!v.to_string().contains("secret-domain"), "{v}");
    // The HR administrator, who sees the address, hears the warning.
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &path,
            &Auth::key(&key, &hr.id),
            Some(json!({"firstName": "Sophie-Anne"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v.to_string().contains("secret-domain"), "{v}");
}
on_both!(an_edits_warnings_leave_hidden_fields_out);

/// A user's role assignments (who gave which role) are the roles' own: a viewer from whom
/// the policy hides `roles` reads none.
async fn role_assignments_follow_the_roles_visibility(env: &Env) {
    let users = env.demo(HR).await;
    let manager = demo_user(&users, "manager");
    let sophie = demo_user(&users, "sophie");
    let hr = demo_user(&users, "hr");
    let key = env.key(HR, "service").await;
    let path = format!("/api/v1/users/{}", sophie.id);
    let (_, v, _) = env
        .call(Method::GET, &path, &Auth::key(&key, &manager.id), None)
        .await;
    assert!(!v["roleAssignments"].as_array().unwrap().is_empty(), "{v}");
    env.edit_policy(HR, |d| {
        d["access"]["fieldAccess"]["roles"] =
            json!({"view": ["self", "role:hrAdmin"], "edit": ["role:hrAdmin"]});
    })
    .await;
    let (s, v, _) = env
        .call(Method::GET, &path, &Auth::key(&key, &manager.id), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["roleAssignments"], json!([]), "{v}");
    assert!(v["user"].get("roles").is_none(), "{v}");
    let (_, v, _) = env
        .call(Method::GET, &path, &Auth::key(&key, &hr.id), None)
        .await;
    assert!(!v["roleAssignments"].as_array().unwrap().is_empty(), "{v}");
}
on_both!(role_assignments_follow_the_roles_visibility);

/// Statistics count what the actor may see of each user: a status hidden from it counts
/// under `(hidden)` and never as active, a hidden super-admin flag never as one (the counts
/// would tell what a list leaves out).
async fn statistics_count_only_what_the_actor_may_see(env: &Env) {
    let users = env.demo(HR).await;
    let manager = demo_user(&users, "manager");
    let hr = demo_user(&users, "hr");
    let key = env.key(HR, "service").await;
    let stats = |who: &str| {
        let auth = Auth::key(&key, who);
        async move {
            let (s, v, _) = env
                .call(Method::GET, "/api/v1/statistics", &auth, None)
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
            v["statistics"].clone()
        }
    };
    let before = stats(&manager.id).await;
    assert!(before["active"].as_u64().unwrap() > 0, "{before}");
    assert!(before["byStatus"].get("(hidden)").is_none(), "{before}");
    env.edit_policy(HR, |d| {
        d["access"]["fieldAccess"]["status"] =
            json!({"view": ["role:hrAdmin"], "edit": ["role:hrAdmin"]});
    })
    .await;
    let after = stats(&manager.id).await;
    assert_eq!(after["total"], before["total"], "{after}");
    assert_eq!(after["active"], 0, "{after}");
    assert_eq!(
        after["byStatus"],
        json!({"(hidden)": before["total"]}),
        "{after}"
    );
    // HR holds the role that sees statuses.
    let as_hr = stats(&hr.id).await;
    assert!(as_hr["active"].as_u64().unwrap() > 0, "{as_hr}");
    assert!(as_hr["byStatus"].get("(hidden)").is_none(), "{as_hr}");
}
on_both!(statistics_count_only_what_the_actor_may_see);

/// A bulk import item or an import preview's row setting a field the actor may not set is
/// refused as its create is, before the record meets the directory: a value another user
/// holds answers the same `field_not_editable` as any other, never a `duplicate`.
async fn imports_cannot_guess_a_hidden_value(env: &Env) {
    let as_ana = crm_hiding_employee_ids(env).await;
    let record = crm_record;
    let guesses = ["EMP-00003", "EMP-00099"];
    let mut items: Vec<Value> = guesses
        .iter()
        .enumerate()
        .map(|(i, g)| json!({"op": "import", "user": record(i, g)}))
        .collect();
    // A record its create would refuse as a body (an `id`) asks the directory nothing
    // either.
    let mut with_id = record(9, "EMP-00001");
    with_id["id"] = json!("u_mine");
    items.push(json!({"op": "import", "user": with_id}));
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/bulk",
            &as_ana,
            Some(json!({"items": items})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    for (i, guess) in guesses.iter().enumerate() {
        let r = &v["results"][i];
        assert_eq!(r["outcome"], "refused", "{guess}: {v}");
        assert_eq!(r["deny"]["code"], "field_not_editable", "{guess}: {v}");
    }
    assert_eq!(v["results"][2]["outcome"], "refused", "{v}");
    assert!(!v.to_string().contains(r#""code":"duplicate""#), "{v}");

    let file: Vec<String> = guesses
        .iter()
        .enumerate()
        .map(|(i, g)| record(i + 2, g).to_string())
        .collect();
    let (s, v, _) = env
        .call_raw(
            Method::POST,
            "/api/v1/imports?format=jsonl",
            &as_ana,
            Some(file.join("\n")),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    for (i, guess) in guesses.iter().enumerate() {
        let r = &v["results"][i];
        assert_eq!(r["verdict"], "refused", "{guess}: {v}");
        assert_eq!(r["deny"]["code"], "field_not_editable", "{guess}: {v}");
    }
    assert!(!v.to_string().contains(r#""code":"duplicate""#), "{v}");
    // A validation in directory mode does not ask the directory about the field either:
    // both guesses are answered alike, the check left open.
    let answers: Vec<Value> = {
        let mut out = Vec::new();
        for (i, guess) in guesses.iter().enumerate() {
            let (s, v, _) = env
                .call(
                    Method::POST,
                    "/api/v1/decide/validate",
                    &as_ana,
                    Some(json!({"user": record(i + 4, guess)})),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{guess}: {v}");
            assert!(
                !v.to_string().contains(r#""code":"duplicate""#),
                "{guess}: {v}"
            );
            let open: Vec<&Value> = v["checks"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["field"] == "employeeId")
                .collect();
            assert!(
                !open.is_empty() && open.iter().all(|c| c["answered"] == false),
                "{guess}: {v}"
            );
            out.push(v["valid"].clone());
        }
        out
    };
    assert_eq!(answers[0], answers[1], "{answers:?}");
}
on_both!(imports_cannot_guess_a_hidden_value);

/// A duplicate names its holder only to an actor who may see the holder's value of the
/// field: HR may read Sophie but, with e-mail addresses shown to their owner and manager
/// only, not her address, so a create (as her new account's manager) giving it is told the
/// address is taken, not by whom; her manager, who sees it, is told.
async fn a_duplicate_names_its_holder_only_to_who_sees_the_value(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let manager = demo_user(&users, "manager");
    let sophie = demo_user(&users, "sophie");
    env.edit_policy(HR, |d| {
        d["access"]["fieldAccess"]["email"] =
            json!({"view": ["self", "manager"], "edit": ["manager"]});
    })
    .await;
    let key = env.key(HR, "service").await;
    let duplicate = |v: &Value| -> Value {
        v["violations"]
            .as_array()
            .and_then(|vs| vs.iter().find(|x| x["code"] == "duplicate"))
            .cloned()
            .unwrap_or_else(|| panic!("no duplicate: {v}"))
    };
    // A create by `who` of a user it manages, with Sophie's address: the refusal and its
    // duplicate's params.
    let sophies_address_by = |who: &str| {
        let auth = Auth::key(&key, who);
        let body = new_hr_user("sophie.martin@company.com", who, json!({}));
        async move {
            let (s, v, _) = env
                .call(Method::POST, "/api/v1/users", &auth, Some(body))
                .await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
            (duplicate(&v)["params"].clone(), v)
        }
    };
    let (params, v) = sophies_address_by(&hr.id).await;
    assert!(params.get("existingId").is_none(), "{v}");
    assert!(!v.to_string().contains(sophie.id.as_str()), "{v}");
    let body = new_hr_user("sophie.martin@company.com", &hr.id, json!({}));
    // The same through a bulk import and an import preview.
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/bulk",
            &Auth::key(&key, &hr.id),
            Some(json!({"items": [{"op": "import", "user": body.clone()}]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(!v.to_string().contains(sophie.id.as_str()), "{v}");
    let (s, v, _) = env
        .call_raw(
            Method::POST,
            "/api/v1/imports?format=jsonl",
            &Auth::key(&key, &hr.id),
            Some(body.to_string()),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["results"][0]["verdict"], "refused", "{v}");
    assert!(!v.to_string().contains(sophie.id.as_str()), "{v}");
    // Her manager sees her address: the duplicate names her.
    env.edit_policy(HR, |d| {
        d["access"]["roles"]["manager"]["permissions"]
            .as_array_mut()
            .unwrap()
            .push(json!({"allow": "users.create", "scope": "team", "depth": 1}));
    })
    .await;
    let (params, v) = sophies_address_by(&manager.id).await;
    assert_eq!(params["existingId"], sophie.id.as_str(), "{v}");
    assert_eq!(params["existingStatus"], "active", "{v}");
    // With statuses shown to HR only, the manager is told who, not her status (nor the
    // suggestion worded from it).
    env.edit_policy(HR, |d| {
        d["access"]["fieldAccess"]["status"] =
            json!({"view": ["role:hrAdmin"], "edit": ["role:hrAdmin"]});
    })
    .await;
    let (params, v) = sophies_address_by(&manager.id).await;
    assert_eq!(params["existingId"], sophie.id.as_str(), "{v}");
    assert!(
        params.get("existingStatus").is_none() && params.get("suggestion").is_none(),
        "{v}"
    );
}
on_both!(a_duplicate_names_its_holder_only_to_who_sees_the_value);
