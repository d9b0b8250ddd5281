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
            Some(json!({"accountType": "administrator", "location": "lyon"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(
        v["deny"]["params"]["fields"],
        json!(["location", "accountType"])
    );
    let (s, v, _) = env
        .call(
            Method::PATCH,
            &me,
            &as_customer,
            Some(json!({"email": "lucas.moreau@rental.example"})),
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
