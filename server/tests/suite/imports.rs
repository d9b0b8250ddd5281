//! Import commits and their stored reports: every row reported (invalid ones included),
//! the report readable only by the importer or an actor who may import, and bounded
//! whatever the plugins say.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::common::{Auth, Env, Which, component, demo_user};
use axum::http::{Method, StatusCode};
use base64::Engine as _;
use serde_json::{Value, json};

const HR: &str = "hr-platform";

fn row(first: &str, email: &str, manager: &str) -> String {
    json!({"firstName": first, "lastName": "Blanc", "email": email, "jobTitle": "Software Engineer", "manager": manager, "status": "active", "organization": "company"}).to_string()
}

/// Commits a JSON Lines import (200 asserted); the response.
async fn commit_jsonl(env: &Env, auth: &Auth, file: String) -> Value {
    let (s, v, _) = env
        .call_raw(
            Method::POST,
            "/api/v1/imports?format=jsonl&commit=true",
            auth,
            Some(file),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

async fn read_report(env: &Env, auth: &Auth, id: &str) -> (StatusCode, Value) {
    let (s, v, _) = env
        .call(Method::GET, &format!("/api/v1/imports/{id}"), auth, None)
        .await;
    (s, v)
}

/// A row refused in the file is reported with its index, line and violations, in the
/// response and in the stored report, between the rows committed or refused at commit;
/// the totals agree.
async fn invalid_rows_are_reported(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let as_hr = Auth::key(&env.key(HR, "service").await, &hr.id);
    let file = [
        row("Ines", "ines.roux@company.com", &hr.id),
        row("Bad", "not-an-email", &hr.id),
        row("Sophie", "sophie.martin@company.com", &hr.id),
    ]
    .join("\n");
    let v = commit_jsonl(env, &as_hr, file).await;
    let check = |v: &Value| {
        let results = v["results"].as_array().unwrap();
        let indexes: Vec<u64> = results
            .iter()
            .map(|r| r["index"].as_u64().unwrap())
            .collect();
        assert_eq!(indexes, [0, 1, 2], "{v}");
        assert!(results[0]["id"].is_string(), "{v}");
        assert_eq!(results[1]["invalid"], true, "{v}");
        assert_eq!(results[1]["line"], 2, "{v}");
        let bad = results[1]["violations"].as_array().unwrap();
        assert!(
            bad.iter().any(|x| x["path"] == json!(["email"])),
            "the email's violation: {v}"
        );
        assert_eq!(results[2]["violations"][0]["code"], "duplicate", "{v}");
        assert_eq!(results[2]["line"], 3, "the row the store refused: {v}");
        assert_eq!(v["summary"]["total"], 3, "{v}");
        assert_eq!(v["summary"]["invalid"], 1, "{v}");
        assert_eq!(v["summary"]["created"], 1, "{v}");
        assert_eq!(v["summary"]["refused"], 1, "{v}");
    };
    check(&v);
    assert!(v.get("by").is_none(), "{v}");
    let id = v["import"].as_str().unwrap().to_owned();
    let (s, stored) = read_report(env, &as_hr, &id).await;
    assert_eq!(s, StatusCode::OK, "{stored}");
    check(&stored);
    assert_eq!(stored["total"], 3, "{stored}");
    assert_eq!(stored["committed"].as_array().unwrap().len(), 1, "{stored}");
    assert_eq!(stored["notCommitted"], json!([2]), "{stored}");
}
on_both!(invalid_rows_are_reported);

/// An import's file is read as its `Content-Type` says (CSV, or JSON Lines as
/// `application/x-ndjson` and its aliases, any case, with parameters) when `format` does not
/// say; other types (`text/plain`, `application/octet-stream`, `application/json`) and no
/// type at all take `format` (CSV by default). A form's body, or a type saying the other
/// format than `format` names, is a 415 saying how to send the file. Nothing is written by
/// a refused one.
async fn an_imports_format_follows_its_content_type(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let as_hr = Auth::key(&env.key(HR, "service").await, &hr.id);
    let jsonl = row("Ines", "ines.roux@company.com", &hr.id);
    let csv = format!(
        "firstName,lastName,email,jobTitle,manager,status,organization\n\
         Ines,Roux,ines.roux@company.com,Software Engineer,{},active,company\n",
        hr.id
    );
    let users_now = || env.scalar("SELECT COUNT(*) FROM users WHERE tenant_id = $1", HR);
    let before = users_now().await;
    let send = |query: &'static str, body: &str, content_type: Option<&'static str>| {
        let headers: Vec<(&str, &[u8])> = content_type
            .map(|t| vec![("content-type", t.as_bytes())])
            .unwrap_or_default();
        let (as_hr, body) = (as_hr.clone(), body.to_owned());
        async move {
            let path = format!("/api/v1/imports{query}");
            let (s, v, _) = env
                .call_with_headers(Method::POST, &path, &as_hr, Some(body), &headers)
                .await;
            (s, v)
        }
    };
    // Read as the type says, or as `format` says: one valid row each time.
    let (csv, jsonl) = (csv.as_str(), jsonl.as_str());
    let read = [
        ("", jsonl, Some("application/x-ndjson")),
        ("", jsonl, Some("Application/JSONL; charset=utf-8")),
        ("?format=jsonl", jsonl, Some("text/plain;charset=UTF-8")),
        ("?format=jsonl", jsonl, Some("application/x-ndjson")),
        ("?format=jsonl", jsonl, Some("application/json")),
        ("", csv, Some("TEXT/CSV; charset=utf-8; header=present")),
        ("", csv, Some("application/octet-stream")),
        ("", csv, Some("application/json")),
        ("", csv, None),
        ("?format=csv", csv, Some("application/vnd.ms-excel")),
    ];
    for (query, body, content_type) in read {
        let (s, v) = send(query, body, content_type).await;
        assert_eq!(s, StatusCode::OK, "{query} {content_type:?}: {v}");
        let summary = &v["summary"];
        assert_eq!(
            (summary["total"].as_u64(), summary["invalid"].as_u64()),
            (Some(1), Some(0)),
            "{query} {content_type:?}: {v}"
        );
    }
    // Refused: a form's body, or a type saying the other format.
    let refused = [
        (
            "?format=jsonl",
            jsonl,
            Some("multipart/form-data; boundary=x"),
        ),
        ("?commit=true", csv, Some("Multipart/Mixed")),
        ("", csv, Some("application/x-www-form-urlencoded")),
        ("?format=jsonl", jsonl, Some("text/csv")),
        ("?format=csv&commit=true", csv, Some("application/x-ndjson")),
    ];
    for (query, body, content_type) in refused {
        let (s, v) = send(query, body, content_type).await;
        let why = format!("{query} {content_type:?}: {v}");
        assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{why}");
        assert_eq!(v["code"], "unsupported_media_type", "{why}");
        let message = v["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("--data-binary") || message.contains("`format` asks for"),
            "{why}"
        );
    }
    assert_eq!(users_now().await, before, "nothing was imported");
}
on_both!(an_imports_format_follows_its_content_type);

/// The stored report is the importer's, or an actor's who may import: anyone else finds no
/// such import; a reader other than the importer learns a duplicate's holder only when it
/// may read that account.
async fn stored_reports_are_read_by_importers_only(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let manager = demo_user(&users, "manager");
    let paul = demo_user(&users, "paul");
    // Managers may create users in their team (and read only their team and themselves).
    env.edit_policy(HR, |doc| {
        doc["access"]["roles"]["manager"]["permissions"]
            .as_array_mut()
            .unwrap()
            .push(json!({"allow": "users.create", "scope": "team"}));
    })
    .await;
    let key = env.key(HR, "service").await;
    let as_hr = Auth::key(&key, &hr.id);
    // Duplicates of the HR partner's own email (the manager may not read that account).
    let file = row("Hugo", "hugo.renard@company.com", &hr.id);
    let v = commit_jsonl(env, &as_hr, file).await;
    let id = v["import"].as_str().unwrap().to_owned();
    let dup = &v["results"][0]["violations"][0];
    assert_eq!(dup["code"], "duplicate", "{v}");
    assert_eq!(dup["params"]["existingId"], hr.id.as_str(), "{v}");

    // The importer reads it, holder included.
    let (s, stored) = read_report(env, &as_hr, &id).await;
    assert_eq!(s, StatusCode::OK, "{stored}");
    let dup = &stored["results"][0]["violations"][0];
    assert_eq!(dup["params"]["existingId"], hr.id.as_str(), "{stored}");
    assert!(stored.get("by").is_none(), "{stored}");

    // An employee, who may not import: no such import.
    let (s, body) = read_report(env, &Auth::key(&key, &paul.id), &id).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    assert!(!body.to_string().contains(&hr.id), "{body}");

    // A manager, who may import but not read the holder: the report without the holder.
    let (s, stored) = read_report(env, &Auth::key(&key, &manager.id), &id).await;
    assert_eq!(s, StatusCode::OK, "{stored}");
    let dup = &stored["results"][0]["violations"][0];
    assert_eq!(dup["code"], "duplicate", "{stored}");
    assert!(dup["params"].get("existingId").is_none(), "{stored}");
    assert!(dup["params"].get("existingStatus").is_none(), "{stored}");
    assert!(!stored.to_string().contains(&hr.id), "{stored}");
}
on_both!(stored_reports_are_read_by_importers_only);

/// A plugin returning many violations for every row: what each row keeps of them is
/// bounded, the rest counted.
async fn plugin_output_in_reports_is_bounded(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let admin = Auth::Key {
        token: env.key(HR, "admin").await,
        act_as: None,
    };
    let (s, v, _) = env
        .call(
            Method::PUT,
            "/api/v1/plugins/hostile",
            &admin,
            Some(json!({
                "component": base64::engine::general_purpose::STANDARD.encode(component("hostile.wasm")),
                "config": {"mode": "many", "n": 64},
            })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let as_hr = Auth::key(&env.key(HR, "service").await, &hr.id);
    let file = (0..3)
        .map(|i| row("Ines", &format!("ines.{i}@company.com"), &hr.id))
        .collect::<Vec<_>>()
        .join("\n");
    let v = commit_jsonl(env, &as_hr, file).await;
    assert_eq!(v["summary"]["refused"], 3, "{v}");
    let id = v["import"].as_str().unwrap().to_owned();
    let (s, stored) = read_report(env, &as_hr, &id).await;
    assert_eq!(s, StatusCode::OK, "{stored}");
    for report in [&v, &stored] {
        for r in report["results"].as_array().unwrap() {
            let kept = r["violations"].as_array().unwrap().len();
            // The kernel's naming warning, then the plugin's 64.
            assert!((1..65).contains(&kept), "{r}");
            assert_eq!(r["violationsOmitted"], 65 - kept, "{r}");
            assert!(r["violations"].to_string().len() <= 2048, "{r}");
        }
    }
}
on_both!(plugin_output_in_reports_is_bounded);

/// A preview asks the tenant's plugins as each row's create asks them, in the create's
/// order: a record a plugin refuses is `refused` with the plugin's violations and report,
/// an account whose creation a plugin denies is `refused` with its deny, and each entry
/// is the commit's own.
async fn a_preview_asks_the_plugins_as_its_commit_does(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let admin = Auth::Key {
        token: env.key(HR, "admin").await,
        act_as: None,
    };
    let as_hr = Auth::key(&env.key(HR, "service").await, &hr.id);
    env.put_plugin(
        &admin,
        "email-domain",
        "email_domain.wasm",
        json!({"allowedDomains": ["company.com"]}),
    )
    .await;
    let file = [
        row("Nora", "nora.blanc@gmail.example", &hr.id),
        row("Bad", "not-an-email", &hr.id),
        row("Ines", "ines.roux@company.com", &hr.id),
    ]
    .join("\n");
    let preview = preview_jsonl(env, &as_hr, &file).await;
    let refused = verdict(&preview, 0, "refused");
    assert_eq!(codes(refused), ["email_domain_not_allowed"], "{preview}");
    assert_eq!(
        first_error(refused)["source"]["plugin"],
        "email-domain",
        "{preview}"
    );
    assert_eq!(refused["plugins"][0]["plugin"], "email-domain", "{preview}");
    assert_eq!(refused["plugins"][0]["outcome"], "violations", "{preview}");
    verdict(&preview, 1, "invalid");
    let valid = verdict(&preview, 2, "valid");
    // The plugin was asked of the valid row too, and had no objection.
    let reported: Vec<&str> = valid["plugins"]
        .as_array()
        .unwrap_or_else(|| panic!("the plugins' reports: {preview}"))
        .iter()
        .filter_map(|p| p["plugin"].as_str())
        .collect();
    assert!(reported.contains(&"email-domain"), "{preview}");
    let commit = commit_jsonl(env, &as_hr, file).await;
    assert_eq!(commit["summary"]["created"], 1, "{commit}");
    assert_preview_is_commit(&preview, &commit);

    // A plugin denying every creation: the record's plugin still speaks first, as in the
    // create; every other row is denied with the plugin's deny.
    env.put_plugin(
        &admin,
        "hostile",
        "hostile.wasm",
        json!({"mode": "echo-core", "hooks": ["authorize"], "actions": ["users.create"]}),
    )
    .await;
    let file = [
        row("Olga", "olga.blanc@gmail.example", &hr.id),
        row("Paul", "paul.roux@company.com", &hr.id),
    ]
    .join("\n");
    let preview = preview_jsonl(env, &as_hr, &file).await;
    let refused = verdict(&preview, 0, "refused");
    assert_eq!(codes(refused), ["email_domain_not_allowed"], "{preview}");
    let denied = verdict(&preview, 1, "refused");
    assert_eq!(denied["deny"]["code"], "core_echo", "{preview}");
    let commit = commit_jsonl(env, &as_hr, file).await;
    assert_eq!(commit["summary"]["created"], 0, "{commit}");
    assert_preview_is_commit(&preview, &commit);
}
on_both!(a_preview_asks_the_plugins_as_its_commit_does);

const CRM: &str = "crm";
/// A password the CRM's composition profile accepts.
const CRM_PASSWORD: &str = "Kx8-Pelican-Ruby!";

/// The CRM demo tenant, where a new account may have no role (the preset asks for one,
/// which these tests' rows do not give: see `an_import_gives_roles` for rows that do).
async fn crm(env: &Env) -> Vec<warden_server::seed::DemoUser> {
    let users = env.demo(CRM).await;
    env.edit_policy(CRM, |doc| doc["access"]["minActiveRoles"] = json!(0))
        .await;
    users
}

fn crm_row(first: &str, org: &str, employee: &str) -> String {
    let login = first.to_lowercase();
    json!({
        "firstName": first, "lastName": "Stone", "email": format!("{login}@crm.example"),
        "username": login, "password": CRM_PASSWORD, "organization": org, "employeeId": employee,
    })
    .to_string()
}

/// Previews a JSON Lines import (200 asserted); the response.
async fn preview_jsonl(env: &Env, auth: &Auth, file: &str) -> Value {
    let (s, v, _) = env
        .call_raw(
            Method::POST,
            "/api/v1/imports?format=jsonl",
            auth,
            Some(file.to_owned()),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

/// The preview's entry of row `i`, its verdict asserted.
fn verdict<'a>(preview: &'a Value, i: usize, expected: &str) -> &'a Value {
    let r = &preview["results"][i];
    assert_eq!(r["index"], i, "{preview}");
    assert_eq!(r["verdict"], expected, "row {i}: {preview}");
    r
}

/// The codes of an entry's errors (its warnings left out).
fn codes(entry: &Value) -> Vec<&str> {
    entry["violations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v["severity"] == "error")
        .filter_map(|v| v["code"].as_str())
        .collect()
}

/// An entry's first error.
fn first_error(entry: &Value) -> &Value {
    entry["violations"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|v| v["severity"] == "error")
        .unwrap_or_else(|| panic!("no error: {entry}"))
}

/// An entry without its plugins' timings (`micros`, the one part of a plugin's report that
/// two runs of it do not share).
fn untimed(entry: &Value) -> Value {
    let mut entry = entry.clone();
    if let Some(Value::Array(reports)) = entry.get_mut("plugins") {
        for r in reports.iter_mut().filter_map(Value::as_object_mut) {
            r.remove("micros");
        }
    }
    entry
}

/// Row by row, the preview's verdict is the commit's outcome: a `valid` row is created, and
/// every other row's entry is the commit's own, violations, params and messages included.
fn assert_preview_is_commit(preview: &Value, commit: &Value) {
    let p = preview["results"].as_array().unwrap();
    let c = commit["results"].as_array().unwrap();
    assert_eq!(p.len(), c.len(), "{preview}\n{commit}");
    for (i, (p, c)) in p.iter().zip(c).enumerate() {
        assert_eq!(p["index"], i, "{preview}");
        assert_eq!(c["index"], i, "{commit}");
        if p["verdict"] == "valid" {
            assert!(
                c["id"].is_string(),
                "row {i} previewed valid: {p}, committed: {c}"
            );
            continue;
        }
        let mut p = untimed(p);
        p.as_object_mut().unwrap().remove("verdict");
        assert_eq!(p, untimed(c), "row {i}");
    }
    let refused = p.iter().filter(|r| r["verdict"] == "refused").count();
    assert_eq!(preview["summary"]["refused"], refused, "{preview}");
    assert_eq!(commit["summary"]["refused"], refused, "{commit}");
}

/// An employee id is unique within its company: the preview finds it taken only in the
/// company where it is held (Ana's `EMP-00001`, in Acme), as the commit does; a row of
/// another company reusing it is valid, and created.
async fn a_preview_answers_a_scoped_key_in_its_scope(env: &Env) {
    let users = crm(env).await;
    let admin = demo_user(&users, "admin");
    warden_server::seed::add_organization(&env.app, CRM, "globex", "Globex", true)
        .await
        .unwrap();
    // Only a super administrator creates users in another company than their own.
    sqlx::query("UPDATE users SET super_admin = 1 WHERE id = $1")
        .bind(&admin.id)
        .execute(env.app.db.pool())
        .await
        .unwrap();
    let as_admin = Auth::key(&env.key(CRM, "service").await, &admin.id);
    // Alone, Globex's `EMP-00001` is held by no one.
    let preview = preview_jsonl(env, &as_admin, &crm_row("Gail", "globex", "EMP-00001")).await;
    assert_eq!(preview["taken"], json!({}), "{preview}");
    verdict(&preview, 0, "valid");
    let file = [
        crm_row("Gail", "globex", "EMP-00001"),
        crm_row("Abel", "acme", "EMP-00001"),
    ]
    .join("\n");
    let preview = preview_jsonl(env, &as_admin, &file).await;
    verdict(&preview, 0, "valid");
    let taken = verdict(&preview, 1, "refused");
    assert_eq!(codes(taken), ["duplicate"], "{preview}");
    let dup = first_error(taken);
    assert_eq!(dup["path"], json!(["employeeId"]), "{preview}");
    assert_eq!(
        dup["params"]["check"], "employee_id_unique_in_company",
        "{preview}"
    );
    assert_eq!(dup["params"]["existingId"], admin.id.as_str(), "{preview}");
    // The keys per check, as before: only the one held in the row's own company.
    assert_eq!(
        preview["taken"],
        json!({"employee_id_unique_in_company": ["emp-00001"]}),
        "{preview}"
    );
    let commit = commit_jsonl(env, &as_admin, file).await;
    assert_eq!(commit["summary"]["created"], 1, "{commit}");
    assert_preview_is_commit(&preview, &commit);
}
on_both!(a_preview_answers_a_scoped_key_in_its_scope);

/// A JSON Lines row that names a key twice is reported invalid, as the kernel reports it
/// everywhere (naming the key; which value counts would be up to each reader): neither of
/// its values is imported, and the file's other rows are (preview and commit alike).
async fn a_jsonl_row_with_a_key_twice_is_reported(env: &Env) {
    let users = crm(env).await;
    let admin = demo_user(&users, "admin");
    let key = env.key(CRM, "service").await;
    let as_admin = Auth::key(&key, &admin.id);
    let twice = r#"{"firstName": "Eve", "lastName": "Stone", "email": "eve@crm.example", "email": "mallory@crm.example", "organization": "acme"}"#;
    let file = format!("{}\n{twice}\n", crm_row("Dana", "acme", "EMP-00077"));
    let check = |v: &Value| {
        let bad = v["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["line"] == 2)
            .unwrap_or_else(|| panic!("line 2 reported: {v}"));
        assert_eq!(bad["invalid"], true, "{v}");
        let violation = &bad["violations"][0];
        assert_eq!(violation["code"], "wrong_type", "{v}");
        let reason = violation["params"]["reason"].as_str().unwrap();
        assert!(reason.starts_with("duplicate key `email`"), "{reason}");
        assert!(!v.to_string().contains("mallory"), "{v}");
    };
    let before = env
        .scalar("SELECT COUNT(*) FROM users WHERE tenant_id = $1", CRM)
        .await;
    let preview = preview_jsonl(env, &as_admin, &file).await;
    check(&preview);
    let commit = commit_jsonl(env, &as_admin, file).await;
    check(&commit);
    assert_eq!(commit["summary"]["created"], 1, "{commit}");
    assert_eq!(commit["summary"]["invalid"], 1, "{commit}");
    let after = env
        .scalar("SELECT COUNT(*) FROM users WHERE tenant_id = $1", CRM)
        .await;
    assert_eq!(after, before + 1, "Dana alone imported");
}
on_both!(a_jsonl_row_with_a_key_twice_is_reported);

/// A row naming a company or a manager the directory does not have is refused by the
/// preview with the commit's `unknown_reference`; one naming existing ones is valid.
async fn a_preview_answers_references_as_the_commit(env: &Env) {
    // A company (CRM): Acme exists, Initech does not.
    let users = crm(env).await;
    let admin = demo_user(&users, "admin");
    let as_admin = Auth::key(&env.key(CRM, "service").await, &admin.id);
    let file = [
        crm_row("Ines", "initech", "EMP-00100"),
        crm_row("Jade", "acme", "EMP-00101"),
    ]
    .join("\n");
    let preview = preview_jsonl(env, &as_admin, &file).await;
    let unknown = verdict(&preview, 0, "refused");
    assert_eq!(codes(unknown), ["unknown_reference"], "{preview}");
    assert_eq!(first_error(unknown)["path"], json!(["organization"]));
    assert_eq!(
        first_error(unknown)["params"]["check"],
        "organization_exists"
    );
    verdict(&preview, 1, "valid");
    let commit = commit_jsonl(env, &as_admin, file).await;
    assert_preview_is_commit(&preview, &commit);

    // A manager (HR): an id no user has, a deleted user's, a live user's.
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let paul = demo_user(&users, "paul");
    let as_hr = Auth::key(&env.key(HR, "service").await, &hr.id);
    sqlx::query("UPDATE users SET deleted_at = 1 WHERE id = $1")
        .bind(&paul.id)
        .execute(env.app.db.pool())
        .await
        .unwrap();
    let file = [
        row("Ines", "ines.roux@company.com", "u_nobody"),
        row("Jade", "jade.roux@company.com", &paul.id),
        row("Karl", "karl.roux@company.com", &hr.id),
    ]
    .join("\n");
    let preview = preview_jsonl(env, &as_hr, &file).await;
    for i in [0, 1] {
        let unknown = verdict(&preview, i, "refused");
        assert_eq!(codes(unknown), ["unknown_reference"], "{preview}");
        assert_eq!(first_error(unknown)["path"], json!(["manager"]));
    }
    verdict(&preview, 2, "valid");
    let commit = commit_jsonl(env, &as_hr, file).await;
    assert_eq!(commit["summary"]["created"], 1, "{commit}");
    assert_preview_is_commit(&preview, &commit);
}
on_both!(a_preview_answers_references_as_the_commit);

/// The server assigns a new user's id, so no row names a user that an earlier row of the
/// same file creates: at commit such a reference (by the earlier row's email, or an `id`
/// the row gives itself, which a create refuses) is refused, and the preview says so
/// before; a later row naming a user the directory holds is valid.
async fn a_reference_to_an_earlier_row_is_previewed_as_committed(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let as_hr = Auth::key(&env.key(HR, "service").await, &hr.id);
    let mut with_id: Value =
        serde_json::from_str(&row("Lea", "lea.roux@company.com", &hr.id)).unwrap();
    with_id["id"] = json!("u_lea");
    let file = [
        row("Ines", "ines.roux@company.com", &hr.id),
        row("Jade", "jade.roux@company.com", "ines.roux@company.com"),
        with_id.to_string(),
        row("Karl", "karl.roux@company.com", "u_lea"),
        row("Mona", "mona.roux@company.com", &hr.id),
    ]
    .join("\n");
    let preview = preview_jsonl(env, &as_hr, &file).await;
    verdict(&preview, 0, "valid");
    assert_eq!(
        codes(verdict(&preview, 1, "refused")),
        ["unknown_reference"]
    );
    let own_id = verdict(&preview, 2, "refused");
    assert_eq!(own_id["code"], "invalid_value", "{preview}");
    assert_eq!(own_id["field"], "id", "{preview}");
    assert_eq!(
        codes(verdict(&preview, 3, "refused")),
        ["unknown_reference"]
    );
    verdict(&preview, 4, "valid");
    let commit = commit_jsonl(env, &as_hr, file).await;
    assert_eq!(commit["summary"]["created"], 2, "{commit}");
    assert_preview_is_commit(&preview, &commit);
}
on_both!(a_reference_to_an_earlier_row_is_previewed_as_committed);

/// A mixed file: valid rows, a row invalid in the file, a duplicate within the file, a key
/// the directory holds (named with its holder, whom the importer may read), an unknown
/// manager, a status the importer may not give: the preview's verdict on every row is the
/// commit's outcome, entry for entry.
async fn preview_verdicts_are_the_commits_row_by_row(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let sophie = demo_user(&users, "sophie");
    let as_hr = Auth::key(&env.key(HR, "service").await, &hr.id);
    let mut inactive: Value =
        serde_json::from_str(&row("Nina", "nina.roux@company.com", &hr.id)).unwrap();
    inactive["status"] = json!("inactive");
    let file = [
        row("Ines", "ines.roux@company.com", &hr.id),
        row("Bad", "not-an-email", &hr.id),
        row("Ines", "INES.ROUX@company.com", &hr.id),
        row("Sophie", "sophie.martin@company.com", &hr.id),
        row("Olga", "olga.roux@company.com", "u_nobody"),
        inactive.to_string(),
        row("Paul", "paul.roux@company.com", &sophie.id),
    ]
    .join("\n");
    let preview = preview_jsonl(env, &as_hr, &file).await;
    let expected = [
        "valid", "invalid", "invalid", "refused", "refused", "refused", "valid",
    ];
    for (i, e) in expected.iter().enumerate() {
        verdict(&preview, i, e);
    }
    let dup = first_error(&preview["results"][3]);
    assert_eq!(dup["code"], "duplicate", "{preview}");
    assert_eq!(dup["params"]["existingId"], sophie.id.as_str(), "{preview}");
    assert_eq!(preview["results"][5]["field"], "status", "{preview}");
    assert_eq!(
        preview["taken"],
        json!({"email_unique": ["sophie.martin@company.com"]}),
        "{preview}"
    );
    let commit = commit_jsonl(env, &as_hr, file).await;
    assert_eq!(commit["summary"]["created"], 2, "{commit}");
    assert_preview_is_commit(&preview, &commit);
}
on_both!(preview_verdicts_are_the_commits_row_by_row);

/// A preview names a duplicate's holder only to an actor who may read it, as a create
/// does: a manager (who may create users in their team) learns that the HR partner's email
/// is taken, not by whom; a key held by one of their reports names its holder.
async fn a_preview_conceals_holders_the_actor_may_not_read(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let manager = demo_user(&users, "manager");
    let sophie = demo_user(&users, "sophie");
    env.edit_policy(HR, |doc| {
        doc["access"]["roles"]["manager"]["permissions"]
            .as_array_mut()
            .unwrap()
            .push(json!({"allow": "users.create", "scope": "team"}));
    })
    .await;
    let as_manager = Auth::key(&env.key(HR, "service").await, &manager.id);
    let file = [
        row("Hugo", "hugo.renard@company.com", &manager.id),
        row("Sophie", "sophie.martin@company.com", &manager.id),
    ]
    .join("\n");
    let preview = preview_jsonl(env, &as_manager, &file).await;
    let hidden = first_error(verdict(&preview, 0, "refused"));
    assert_eq!(hidden["code"], "duplicate", "{preview}");
    assert!(hidden["params"].get("existingId").is_none(), "{preview}");
    assert!(
        hidden["params"].get("existingStatus").is_none(),
        "{preview}"
    );
    assert!(!preview.to_string().contains(&hr.id), "{preview}");
    let shown = first_error(verdict(&preview, 1, "refused"));
    assert_eq!(
        shown["params"]["existingId"],
        sophie.id.as_str(),
        "{preview}"
    );
}
on_both!(a_preview_conceals_holders_the_actor_may_not_read);

/// An import gives each account its roles: a `roles` column (names separated by `;`) in
/// CSV, a `roles` list in JSON Lines. Under the CRM's own policy (at least one role) a row
/// without roles is refused, a row naming an undeclared role too, and the preview says so
/// as the commit does; the rows with roles are created with them.
async fn an_import_gives_roles(env: &Env) {
    let users = env.demo(CRM).await;
    let admin = demo_user(&users, "admin");
    let auth = Auth::key(&env.key(CRM, "service").await, &admin.id);
    let line = |first: &str, employee: &str, roles: &str| {
        let login = first.to_lowercase();
        format!("{first},Stone,{login}@crm.example,{login},{CRM_PASSWORD},acme,{employee},{roles}")
    };
    let file = [
        "firstName,lastName,email,username,password,organization,employeeId,Roles".to_owned(),
        line("Ava", "EMP-10001", "salesRep"),
        line("Ben", "EMP-10002", ""),
        line("Cal", "EMP-10003", "wizard"),
        line("Dan", "EMP-10004", " salesRep ; marketingUser "),
    ]
    .join("\n");
    let (s, preview, _) = env
        .call_raw(
            Method::POST,
            "/api/v1/imports?format=csv",
            &auth,
            Some(file.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{preview}");
    assert_eq!(preview["columns"][7], "roles", "{preview}");
    verdict(&preview, 0, "valid");
    let ben = verdict(&preview, 1, "refused");
    assert_eq!(ben["deny"]["code"], "no_active_role", "{preview}");
    let cal = verdict(&preview, 2, "refused");
    assert_eq!(cal["field"], "roles", "{preview}");
    assert!(cal.to_string().contains("wizard"), "{preview}");
    verdict(&preview, 3, "valid");
    let (s, commit, _) = env
        .call_raw(
            Method::POST,
            "/api/v1/imports?format=csv&commit=true",
            &auth,
            Some(file),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{commit}");
    assert_preview_is_commit(&preview, &commit);
    let id = |commit: &Value, i: usize| commit["results"][i]["id"].as_str().unwrap().to_owned();
    let roles_of = |id: String| {
        let auth = &auth;
        async move {
            let (s, v, _) = env
                .call(Method::GET, &format!("/api/v1/users/{id}"), auth, None)
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
            let mut roles: Vec<String> =
                serde_json::from_value(v["user"]["roles"].clone()).unwrap();
            roles.sort();
            roles
        }
    };
    assert_eq!(roles_of(id(&commit, 0)).await, ["salesRep"]);
    assert_eq!(
        roles_of(id(&commit, 3)).await,
        ["marketingUser", "salesRep"]
    );
    // JSON Lines: the list itself; a list that is not one of names is refused, naming it.
    let mut eve: Value = serde_json::from_str(&crm_row("Eve", "acme", "EMP-10005")).unwrap();
    eve["roles"] = json!(["salesManager"]);
    let mut fay: Value = serde_json::from_str(&crm_row("Fay", "acme", "EMP-10006")).unwrap();
    fay["roles"] = json!("salesRep");
    let file = format!("{eve}\n{fay}");
    let preview = preview_jsonl(env, &auth, &file).await;
    verdict(&preview, 0, "valid");
    assert_eq!(
        verdict(&preview, 1, "refused")["field"],
        "roles",
        "{preview}"
    );
    let commit = commit_jsonl(env, &auth, file).await;
    assert_preview_is_commit(&preview, &commit);
    assert_eq!(roles_of(id(&commit, 0)).await, ["salesManager"]);
    // A bulk request's import items give roles alike; a list that is not one of names is
    // the item's violation at `roles`, an undeclared role the item's error: each reported.
    let mut gus: Value = serde_json::from_str(&crm_row("Gus", "acme", "EMP-10007")).unwrap();
    gus["roles"] = json!(["salesRep"]);
    let mut hal: Value = serde_json::from_str(&crm_row("Hal", "acme", "EMP-10008")).unwrap();
    hal["roles"] = json!(["salesRep", "salesRep"]);
    let mut ida: Value = serde_json::from_str(&crm_row("Ida", "acme", "EMP-10009")).unwrap();
    ida["roles"] = json!(["wizard"]);
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/bulk",
            &auth,
            Some(json!({"items": [
                {"op": "import", "user": gus},
                {"op": "import", "user": hal},
                {"op": "import", "user": ida},
            ]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 3, "{v}");
    assert_eq!(results[0]["outcome"], "committed", "{v}");
    let gus_id = results[0]["target"].as_str().unwrap().to_owned();
    assert_eq!(roles_of(gus_id).await, ["salesRep"]);
    assert_ne!(results[1]["outcome"], "committed", "{v}");
    assert!(
        results[1]["violations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["code"] == "wrong_type" && x["path"] == json!(["roles"])),
        "{v}"
    );
    assert_ne!(results[2]["outcome"], "committed", "{v}");
    assert_eq!(results[2]["error"]["code"], "unknown_role", "{v}");
    assert_eq!(
        results[2]["error"]["field"], "roles",
        "the item's field at fault: {v}"
    );
    // In the API's words, as the create route says it: not at the kernel request's path.
    assert_eq!(
        results[2]["error"]["message"], "`wizard` is not a role the tenant's policy declares",
        "{v}"
    );
}
on_both!(an_import_gives_roles);

/// Groups given by an import are judged as a create judges them: a dynamic group (its
/// members are those meeting its rule) is joined by no import, in a preview, its commit
/// and a bulk request's import item alike; a manual group is given as `POST /users` gives
/// it, and its members then list the account.
async fn an_import_gives_groups_as_a_create_does(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let as_hr = Auth::key(&env.key(HR, "service").await, &hr.id);
    let with_groups = |first: &str, email: &str, groups: Value| {
        let mut r: Value = serde_json::from_str(&row(first, email, &hr.id)).unwrap();
        r["roles"] = json!(["employee"]);
        r["groups"] = groups;
        r
    };
    let file = [
        with_groups("Ines", "ines.blanc@company.com", json!(["hr-team"])).to_string(),
        with_groups("Jean", "jean.blanc@company.com", json!(["people-managers"])).to_string(),
    ]
    .join("\n");
    let preview = preview_jsonl(env, &as_hr, &file).await;
    let ines = verdict(&preview, 0, "refused");
    assert_eq!(ines["errors"][0]["code"], "dynamic_group", "{preview}");
    // The manual group: as a single create of the same account answers.
    let (s, single, _) = env
        .call(
            Method::POST,
            "/api/v1/users",
            &as_hr,
            Some(with_groups(
                "Kim",
                "kim.blanc@company.com",
                json!(["people-managers"]),
            )),
        )
        .await;
    let created = s == StatusCode::CREATED;
    verdict(&preview, 1, if created { "valid" } else { "refused" });
    let commit = commit_jsonl(env, &as_hr, file).await;
    assert_preview_is_commit(&preview, &commit);
    // A bulk request's import items: the dynamic group refused (reported, not dropped), the
    // manual one as the single create answered.
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/bulk",
            &as_hr,
            Some(json!({"items": [
                {"op": "import", "user": with_groups("Lea", "lea.blanc@company.com", json!(["hr-team"]))},
                {"op": "import", "user": with_groups("Max", "max.blanc@company.com", json!(["people-managers"]))},
            ]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{v}");
    assert_eq!(results[0]["outcome"], "refused", "{v}");
    assert_eq!(results[0]["errors"][0]["code"], "dynamic_group", "{v}");
    assert_eq!(
        results[1]["outcome"] == "committed",
        created,
        "as POST /users answered ({single}): {v}"
    );
    if created {
        let max = results[1]["target"].as_str().unwrap();
        let (_, members, _) = env
            .call(
                Method::GET,
                "/api/v1/groups/people-managers/members",
                &as_hr,
                None,
            )
            .await;
        assert!(members.to_string().contains(max), "{members}");
    }
}
on_both!(an_import_gives_groups_as_a_create_does);

/// A preview takes at most as many rows as a commit: what it answers for each row (its
/// verdict, its violations, the record it would store) stays in proportion to a file that
/// can be committed. A file of empty rows one past the limit is refused, 400 naming it.
async fn a_preview_takes_at_most_a_commits_rows(env: &Env) {
    let users = crm(env).await;
    let admin = demo_user(&users, "admin");
    let key = env.key(CRM, "service").await;
    let as_admin = Auth::key(&key, &admin.id);
    let file = "{}\n".repeat(warden_server::imports::MAX_COMMIT_ROWS + 1);
    for path in [
        "/api/v1/imports?format=jsonl",
        "/api/v1/imports?format=jsonl&commit=true",
    ] {
        let (s, v, _) = env
            .call_raw(Method::POST, path, &as_admin, Some(file.clone()))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(v["code"], "too_many_rows", "{v}");
    }
    // At the limit, every row is answered, and the kernel's rows are bounded as the
    // results are (a row's violations within its share of the report).
    let file = "{}\n".repeat(warden_server::imports::MAX_COMMIT_ROWS);
    let v = preview_jsonl(env, &as_admin, &file).await;
    assert_eq!(
        v["rows"].as_array().unwrap().len(),
        warden_server::imports::MAX_COMMIT_ROWS
    );
    let rows = v["rows"].as_array().unwrap();
    assert!(
        rows.iter().any(|r| r["detailsOmitted"] == true),
        "past the report's budget a row keeps its codes only"
    );
}
on_both!(a_preview_takes_at_most_a_commits_rows);

/// A bulk import item's own faults are refused as a create of the same record refuses
/// them, with the same code and field: an `id` (the server assigns it: never dropped in
/// silence), a status the actor may not give a new account (the caller's input, not a
/// store failure).
async fn a_bulk_import_items_own_faults_are_refused_as_a_create_refuses_them(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let as_hr = Auth::key(&env.key(HR, "service").await, &hr.id);
    let with = |first: &str, email: &str, key: &str, value: Value| {
        let mut r: Value = serde_json::from_str(&row(first, email, &hr.id)).unwrap();
        r[key] = value;
        r
    };
    let cases = [
        (
            "id",
            with("Lea", "lea.roux@company.com", "id", json!("chosen-id")),
        ),
        (
            "status",
            with("Max", "max.roux@company.com", "status", json!("inactive")),
        ),
    ];
    let items: Vec<Value> = cases
        .iter()
        .map(|(_, user)| json!({"op": "import", "user": user}))
        .collect();
    let before = env
        .scalar("SELECT COUNT(*) FROM users WHERE tenant_id = $1", HR)
        .await;
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/bulk",
            &as_hr,
            Some(json!({"items": items})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["summary"]["refused"], 2, "{v}");
    assert_eq!(v["summary"]["committed"], 0, "{v}");
    for (i, (field, user)) in cases.iter().enumerate() {
        let r = &v["results"][i];
        assert_eq!(r["outcome"], "refused", "{v}");
        assert_eq!(r["reason"], "invalid_value", "{v}");
        assert_eq!(r["field"], *field, "{v}");
        // The single create answers the same record with the same code and field.
        let (s, c, _) = env
            .call(Method::POST, "/api/v1/users", &as_hr, Some(user.clone()))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{c}");
        assert_eq!(c["code"], "invalid_value", "{c}");
        assert_eq!(c["field"], *field, "{c}");
        assert_eq!(r["error"], c["message"], "{v}\n{c}");
    }
    let after = env
        .scalar("SELECT COUNT(*) FROM users WHERE tenant_id = $1", HR)
        .await;
    assert_eq!(after, before, "nothing created");
}
on_both!(a_bulk_import_items_own_faults_are_refused_as_a_create_refuses_them);

/// A preview's records are the rows as they would be stored: never a password, nor a key
/// the policy does not declare, which may be a password column under a misspelt name (its
/// value never comes back; the row is reported with `unknown_field` and its suggestion).
async fn a_preview_never_shows_a_password_under_a_misspelt_name(env: &Env) {
    let users = crm(env).await;
    let admin = demo_user(&users, "admin");
    let as_admin = Auth::key(&env.key(CRM, "service").await, &admin.id);
    let secret = "Misspelt-Pa55word!";
    let mut row: Value = serde_json::from_str(&crm_row("Vera", "acme", "EMP-00300")).unwrap();
    row.as_object_mut().unwrap().remove("password");
    row["passwrod"] = json!(secret);
    let preview = preview_jsonl(env, &as_admin, &row.to_string()).await;
    assert!(!preview.to_string().contains(secret), "{preview}");
    let record = &preview["records"][0];
    assert_eq!(record["firstName"], "Vera", "{preview}");
    assert!(record.get("passwrod").is_none(), "{preview}");
    let unknown = preview["rows"][0]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["code"] == "unknown_field")
        .unwrap_or_else(|| panic!("{preview}"));
    assert_eq!(unknown["params"]["didYouMean"], "password", "{preview}");
}
on_both!(a_preview_never_shows_a_password_under_a_misspelt_name);

/// PRS (R004-05): an account created by an import, committed or as a bulk item, is given
/// a generated temporary password, as a single create is: shown once in its result (never
/// in the stored report), changed at the first sign-in.
async fn imported_accounts_get_their_temporary_password(env: &Env) {
    let prs = "prs-procurement";
    let users = env.demo(prs).await;
    let padmin = demo_user(&users, "admin");
    let key = env.key(prs, "service").await;
    let as_padmin = Auth::key(&key, &padmin.id);
    let line =
        json!({"username": "appr2", "firstName": "App", "lastName": "Two", "userType": "approver",
        "department": "Finance", "supervisor": padmin.id, "organization": "prs"})
        .to_string();
    let v = commit_jsonl(env, &as_padmin, line).await;
    let result = &v["results"][0];
    let temporary = result["temporaryPassword"]
        .as_str()
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(result["mustChangePassword"], true, "{v}");
    let (s, stored) = read_report(env, &as_padmin, v["import"].as_str().unwrap()).await;
    assert_eq!(s, StatusCode::OK, "{stored}");
    assert!(!stored.to_string().contains(temporary), "{stored}");
    let (s, signed, _) = env
        .call(
            Method::POST,
            "/api/v1/session",
            &Auth::None,
            Some(json!({"tenant": prs, "login": "appr2", "password": temporary})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{signed}");
    assert_eq!(signed["mustChangePassword"], true, "{signed}");
    // A bulk import item: the same.
    let (s, v, _) = env
        .call(
            Method::POST,
            "/api/v1/bulk",
            &as_padmin,
            Some(json!({"items": [{"op": "import", "user": {"username": "bulk1", "firstName": "Bu", "lastName": "Lk",
                "userType": "requester", "department": "Finance", "supervisor": padmin.id, "organization": "prs"}}]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let result = &v["results"][0];
    assert_eq!(result["outcome"], "committed", "{v}");
    let temporary = result["temporaryPassword"]
        .as_str()
        .unwrap_or_else(|| panic!("{v}"));
    let (s, signed, _) = env
        .call(
            Method::POST,
            "/api/v1/session",
            &Auth::None,
            Some(json!({"tenant": prs, "login": "bulk1", "password": temporary})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{signed}");
    assert_eq!(signed["mustChangePassword"], true, "{signed}");
}
on_both!(imported_accounts_get_their_temporary_password);
