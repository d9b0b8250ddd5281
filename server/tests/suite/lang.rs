//! The server answers in the caller's language: `Accept-Language` (RFC 9110 §12.5.4) picks
//! the language the kernel renders its violations, denials and lifecycle messages in, among
//! those the tenant's policy speaks; English when none matches, the header is absent or
//! unusable. Every message is compared with the kernel's own rendering, never with a string
//! written here. Stored text (the audit log, import reports) stays English.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use crate::common::{Auth, Env, Which, demo_user};
use axum::http::{HeaderMap, Method, StatusCode};
use serde_json::{Value, json};
use warden_core::decision::DenyCode;
use warden_core::messages::{deny_hint, deny_message};
use warden_core::violation::Params;
use warden_core::{Code, Lang};

const HR: &str = "hr-platform";

/// A new HR user whose email is not one.
fn bad_email_user(manager: &str) -> Value {
    json!({"firstName": "Nora", "lastName": "Blanc", "email": "not-an-email", "jobTitle": "Software Engineer", "manager": manager, "status": "active", "organization": "company"})
}

/// Calls the router with `Accept-Language: accept` (raw bytes), or without the header.
async fn call(
    env: &Env,
    method: Method,
    path: &str,
    auth: &Auth,
    body: Option<Value>,
    accept: Option<&[u8]>,
) -> (StatusCode, Value, HeaderMap) {
    let headers: Vec<(&str, &[u8])> = accept.map(|a| ("accept-language", a)).into_iter().collect();
    env.call_with_headers(method, path, auth, body.map(|b| b.to_string()), &headers)
        .await
}

fn params(v: &Value) -> Params {
    serde_json::from_value(v.get("params").cloned().unwrap_or_else(|| json!({}))).unwrap()
}

/// The kernel's rendering of violation `v` (as answered) in `lang`, by the tenant's policy.
async fn violation_in(env: &Env, tenant: &str, v: &Value, lang: Lang) -> String {
    let code = Code::from_name(v["code"].as_str().unwrap()).unwrap();
    let policy = env.app.tenant(tenant).await.unwrap().policy.clone();
    policy.render(code, &params(v), lang)
}

/// The kernel's rendering of denial `d` (as answered) in `lang`: its message, and its hint
/// when the answered params hold what it is worded from.
fn denial_in(d: &Value, lang: Lang) -> (String, Option<String>) {
    let code = DenyCode::from_name(d["code"].as_str().unwrap()).unwrap();
    let p = params(d);
    (deny_message(code, &p, lang), deny_hint(code, &p, lang))
}

/// The violation at `email` of a refused record.
fn email_violation(v: &Value) -> Value {
    v["violations"]
        .as_array()
        .unwrap_or_else(|| panic!("no violations: {v}"))
        .iter()
        .find(|x| x["path"] == json!(["email"]))
        .cloned()
        .unwrap_or_else(|| panic!("no violation at email: {v}"))
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Vec<&'a str> {
    h.get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap_or_default())
        .collect()
}

/// The response says its language, and that it varies by `Accept-Language`.
fn labelled(h: &HeaderMap, lang: &str) {
    assert_eq!(header(h, "content-language"), [lang], "{h:?}");
    assert!(
        header(h, "vary")
            .iter()
            .flat_map(|v| v.split(','))
            .any(|v| v.trim().eq_ignore_ascii_case("accept-language")),
        "{h:?}"
    );
}

/// A create's violations follow `Accept-Language`: the best language the policy speaks,
/// English when none; a malformed header is ignored, never an error.
async fn violations_follow_accept_language(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let key = env.key(HR, "service").await;
    let as_hr = Auth::key(&key, &hr.id);
    let create = |accept: Option<&'static [u8]>| {
        call(
            env,
            Method::POST,
            "/api/v1/users",
            &as_hr,
            Some(bad_email_user(&hr.id)),
            accept,
        )
    };

    let (s, v, h) = create(None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let english = email_violation(&v);
    let en = violation_in(env, HR, &english, Lang::En).await;
    let fr = violation_in(env, HR, &english, Lang::Fr).await;
    let de = violation_in(env, HR, &english, Lang::De).await;
    assert_ne!(en, fr);
    assert_ne!(en, de);
    assert_eq!(english["message"], en.as_str());
    labelled(&h, "en");

    for (accept, lang, message) in [
        (&b"fr-FR,fr;q=0.9,en;q=0.5"[..], "fr", &fr),
        (b"FR-ca", "fr", &fr),
        (b"en;q=0.1, fr;q=0", "en", &en),
        (b"ja, it-IT;q=0.9", "en", &en),
        (b"ja, de-CH;q=0.2, en;q=0.1", "de", &de),
        (b"*", "en", &en),
        // Unparsable entries are skipped, the others kept.
        (
            b"fr;q=2, !!, de;level=1, es;q=0.5;q=0.4, en-;q=1, fr;q=0.4",
            "fr",
            &fr,
        ),
    ] {
        let (s, v, h) = create(Some(accept)).await;
        assert_eq!(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}: {v}",
            String::from_utf8_lossy(accept)
        );
        assert_eq!(
            email_violation(&v)["message"],
            message.as_str(),
            "{}",
            String::from_utf8_lossy(accept)
        );
        labelled(&h, lang);
    }

    // A header that says nothing usable: English, and the same answer as without it.
    let long = format!("{}fr", "xx;q=0.5, ".repeat(2_000));
    for accept in [
        &b""[..],
        b";;;,,,",
        b"fr;q=abc",
        b"fr;q=-1",
        b"q=1",
        b"fran\xc3\xa7ais",
        b"\xff\xfe",
        long.as_bytes(),
    ] {
        let (s, v, h) = call(
            env,
            Method::POST,
            "/api/v1/users",
            &as_hr,
            Some(bad_email_user(&hr.id)),
            Some(accept),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(email_violation(&v)["message"], en.as_str());
        labelled(&h, "en");
    }
    // A valid record is created whatever the header says.
    let mut ok = bad_email_user(&hr.id);
    ok["email"] = "nora.blanc@company.com".into();
    let (s, v, h) = call(
        env,
        Method::POST,
        "/api/v1/users",
        &as_hr,
        Some(ok),
        Some(b"\xff, fr;q=abc"),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    labelled(&h, "en");
}
on_both!(violations_follow_accept_language);

/// The kernel's denials (a 403) and its decisions over the other APIs (the native decision
/// API, AuthZEN, bulk) are in the caller's language too; `?lang=` of a decision wins over
/// the header.
async fn denials_and_decisions_follow_accept_language(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let sophie = demo_user(&users, "sophie");
    let key = env.key(HR, "service").await;
    let as_sophie = Auth::key(&key, &sophie.id);
    let fr = Some(&b"fr-FR, en;q=0.5"[..]);

    // She may not edit her own record: the kernel's denial, in French (its hint too, which
    // the kernel words from the policy).
    let own = format!("/api/v1/users/{}", sophie.id);
    let edit = |accept| {
        call(
            env,
            Method::PATCH,
            &own,
            &as_sophie,
            Some(json!({"jobTitle": "CTO"})),
            accept,
        )
    };
    let (s, english, _) = edit(None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{english}");
    let (s, v, h) = edit(fr).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let message = denial_in(&v["deny"], Lang::Fr).0;
    assert_ne!(message, denial_in(&v["deny"], Lang::En).0);
    assert_eq!(v["deny"]["message"], message.as_str(), "{v}");
    assert_eq!(
        english["deny"]["message"],
        denial_in(&v["deny"], Lang::En).0.as_str()
    );
    assert!(v["deny"]["hint"].is_string(), "{v}");
    assert_ne!(v["deny"]["hint"], english["deny"]["hint"], "{v}");
    labelled(&h, "fr");

    // The native decision API: the header, unless `lang` names a language.
    let record = json!({"user": bad_email_user(&hr.id)});
    let as_hr = Auth::key(&key, &hr.id);
    let (s, v, h) = call(
        env,
        Method::POST,
        "/api/v1/decide/validate",
        &as_hr,
        Some(record.clone()),
        fr,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let violation = email_violation(&v);
    assert_eq!(
        violation["message"],
        violation_in(env, HR, &violation, Lang::Fr).await.as_str()
    );
    labelled(&h, "fr");
    let (s, v, h) = call(
        env,
        Method::POST,
        "/api/v1/decide/validate?lang=es",
        &as_hr,
        Some(record),
        fr,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let violation = email_violation(&v);
    assert_eq!(
        violation["message"],
        violation_in(env, HR, &violation, Lang::Es).await.as_str()
    );
    assert_eq!(header(&h, "content-language"), ["es"]);

    // AuthZEN: the deny in the context.
    let (s, v, h) = call(
        env,
        Method::POST,
        "/access/v1/evaluation",
        &Auth::Key {
            token: key.clone(),
            act_as: None,
        },
        Some(json!({
            "subject": {"type": "user", "id": sophie.id},
            "action": {"name": "users.update"},
            "resource": {"type": "user", "id": sophie.id}
        })),
        fr,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["decision"], false, "{v}");
    let deny = &v["context"]["deny"];
    assert_eq!(deny["message"], denial_in(deny, Lang::Fr).0.as_str(), "{v}");
    labelled(&h, "fr");

    // Bulk: an item's violations.
    let (s, v, h) = call(
        env,
        Method::POST,
        "/api/v1/bulk",
        &as_hr,
        Some(json!({"items": [{"op": "import", "user": bad_email_user(&hr.id)}]})),
        fr,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let item = &v["results"][0];
    assert_eq!(item["outcome"], "refused", "{v}");
    let violation = email_violation(item);
    assert_eq!(
        violation["message"],
        violation_in(env, HR, &violation, Lang::Fr).await.as_str()
    );
    labelled(&h, "fr");
}
on_both!(denials_and_decisions_follow_accept_language);

/// An import's preview is in the caller's language; its commit report is stored, and read
/// back by others: stored and answered in English, whatever the header, as the audit log.
async fn stored_reports_stay_english(env: &Env) {
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr");
    let key = env.key(HR, "service").await;
    let as_hr = Auth::key(&key, &hr.id);
    let file = format!("{}\n", bad_email_user(&hr.id));
    let fr: &[(&str, &[u8])] = &[("accept-language", b"fr")];

    let (s, v, h) = env
        .call_with_headers(
            Method::POST,
            "/api/v1/imports?format=jsonl",
            &as_hr,
            Some(file.clone()),
            fr,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let violation = email_violation(&v["rows"][0]);
    assert_eq!(
        violation["message"],
        violation_in(env, HR, &violation, Lang::Fr).await.as_str(),
        "{v}"
    );
    labelled(&h, "fr");

    let (s, v, h) = env
        .call_with_headers(
            Method::POST,
            "/api/v1/imports?format=jsonl&commit=true",
            &as_hr,
            Some(file),
            fr,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let english = violation_in(env, HR, &email_violation(&v["results"][0]), Lang::En).await;
    assert_eq!(
        email_violation(&v["results"][0])["message"],
        english.as_str()
    );
    assert_eq!(header(&h, "content-language"), ["en"]);
    let id = v["import"].as_str().unwrap();
    let (s, v, h) = env
        .call_with_headers(
            Method::GET,
            &format!("/api/v1/imports/{id}"),
            &as_hr,
            None,
            fr,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        email_violation(&v["results"][0])["message"],
        english.as_str()
    );
    // Labelled with the language it is in, as the commit that stored it was.
    assert_eq!(header(&h, "content-language"), ["en"]);
}
on_both!(stored_reports_stay_english);
