//! The example plugins, end to end through the registry: core first, then the plugins.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod plugin_common;

use std::sync::Arc;

use plugin_common::{NOW, admin, authorize_request, component, validate_request};
use serde_json::{Value, json};
use warden_host::plugin::{
    Call, Decided, PluginSpec, Registry, Runtime, RuntimeConfig, TenantSettings,
};

fn registry_with(tenant: &str, plugins: &[(&str, Value)]) -> Registry {
    registry_on(Runtime::new().unwrap(), tenant, plugins)
}

fn registry_on(runtime: Arc<Runtime>, tenant: &str, plugins: &[(&str, Value)]) -> Registry {
    let registry = Registry::new(runtime);
    let specs = plugins
        .iter()
        .map(|(name, config)| PluginSpec {
            wasm: component(name),
            config: config.clone(),
        })
        .collect();
    registry
        .load(tenant, TenantSettings::default(), specs)
        .unwrap();
    registry
}

#[test]
fn email_domain_narrows_a_valid_record_and_names_its_source() {
    let r = registry_with(
        "acme",
        &[("email_domain", json!({"allowedDomains": ["acme.example"]}))],
    );
    let ok = r
        .evaluate("acme", &validate_request("ada.lovelace@acme.example"))
        .unwrap();
    assert_eq!(ok["valid"], true, "{ok}");
    assert_eq!(ok["plugins"][0]["outcome"], "ok");
    assert!(ok["plugins"][0]["fuelUsed"].as_u64().unwrap() > 0);

    let bad = r
        .evaluate("acme", &validate_request("ada@gmail.example"))
        .unwrap();
    assert_eq!(bad["valid"], false, "{bad}");
    let v = bad["violations"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(v["code"], "email_domain_not_allowed");
    assert_eq!(v["path"], json!(["email"]));
    assert_eq!(v["params"]["domain"], "gmail.example");
    assert_eq!(v["source"]["plugin"], "email-domain");
    assert_eq!(v["source"]["version"], "1.0.0");
    assert_eq!(v["source"]["hash"].as_str().unwrap().len(), 64);
    assert_eq!(
        bad["plugins"][0]["log"][0]["message"],
        "refused domain gmail.example"
    );

    // The core's own violations are kept, the plugin's appended after them.
    let core_bad = r
        .evaluate("acme", &validate_request("not-an-email"))
        .unwrap();
    assert_eq!(core_bad["violations"][0]["code"], "invalid_email");
    // The same request without plugins (another tenant) is the core's decision unchanged.
    let other = r
        .evaluate("globex", &validate_request("ada@gmail.example"))
        .unwrap();
    assert_eq!(
        other,
        warden_core::api::evaluate(&validate_request("ada@gmail.example")).unwrap()
    );
}

#[test]
fn email_domain_misconfigured_fails_closed() {
    let r = registry_with("acme", &[("email_domain", json!({}))]);
    let d = r
        .evaluate("acme", &validate_request("ada.lovelace@acme.example"))
        .unwrap();
    assert_eq!(d["valid"], false, "{d}");
    let v = d["violations"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(v["code"], "plugin_fault");
    assert_eq!(v["params"]["error"], "plugin_error");
    assert_eq!(d["plugins"][0]["error"]["code"], "plugin_error");
}

/// The initial size, in bytes, of the one linear memory a component's core modules define.
fn initial_memory(component: &[u8]) -> u64 {
    let mut pages = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(component) {
        if let wasmparser::Payload::MemorySection(memories) = payload.unwrap() {
            pages.extend(memories.into_iter().map(|m| m.unwrap().initial));
        }
    }
    assert_eq!(pages.len(), 1, "one memory: {pages:?}");
    pages[0] * 65_536
}

/// The SDK's heap (`plugins/sdk/src/heap.rs`): the example plugins' allocations in a decision
/// fit in the free end of the initial memory, so their instance never grows its memory
/// (with dlmalloc alone, the first allocation grew it). Both outcomes are asked, a refusal
/// allocating the most (a violation, its params, a log line).
#[test]
fn the_example_plugins_decide_within_their_initial_memory() {
    let initial = initial_memory(&component("email_domain"));
    let r = registry_with(
        "acme",
        &[("email_domain", json!({"allowedDomains": ["acme.example"]}))],
    );
    for email in ["ada@acme.example", "ada@gmail.example"] {
        let d = r.evaluate("acme", &validate_request(email)).unwrap();
        assert_eq!(
            d["plugins"][0]["outcome"],
            if email.ends_with("acme.example") {
                "ok"
            } else {
                "violations"
            },
            "{d}"
        );
        assert_eq!(d["plugins"][0]["peakMemory"], initial, "{email}: {d}");
    }
    let initial = initial_memory(&component("four_eyes"));
    let r = registry_with("rent", &[("four_eyes", json!({}))]);
    for facts in [json!({}), json!({"secondApprover": "z"})] {
        let mut req = authorize_request(admin(), "users.delete", admin_target());
        req["pluginFacts"] = facts;
        let d = r.evaluate("rent", &req).unwrap();
        assert_eq!(d["plugins"][0]["peakMemory"], initial, "{d}");
    }
}

fn admin_target() -> Value {
    json!({"id": "b", "organization": "rent", "roles": ["administrator"]})
}

#[test]
fn four_eyes_needs_a_second_approver_to_delete_or_demote_an_administrator() {
    let r = registry_with("rent", &[("four_eyes", json!({}))]);
    let req = authorize_request(admin(), "users.delete", admin_target());
    let core = warden_core::api::evaluate(&req).unwrap();
    assert_eq!(core["decision"], "allow", "the core allows it: {core}");

    let d = r.evaluate("rent", &req).unwrap();
    assert_eq!(d["decision"], "deny", "{d}");
    assert_eq!(d["deny"]["code"], "four_eyes_required");
    assert_eq!(d["deny"]["rule"], "plugin:four-eyes@1.0.0");
    assert_eq!(d["deny"]["params"]["plugin"], "four-eyes");

    let mut with = req.clone();
    with["pluginFacts"] = json!({"secondApprover": "z"});
    assert_eq!(r.evaluate("rent", &with).unwrap()["decision"], "allow");
    with["pluginFacts"] = json!({"secondApprover": "a"});
    assert_eq!(
        r.evaluate("rent", &with).unwrap()["deny"]["code"],
        "four_eyes_same_person"
    );

    // Demotion: removing the administrator role.
    let mut demote = authorize_request(admin(), "roles.assign", admin_target());
    demote["input"]["change"] = json!({"remove": ["administrator"]});
    let d = r.evaluate("rent", &demote).unwrap();
    assert_eq!(d["deny"]["code"], "four_eyes_required", "{d}");
    // Not an administrator: no objection.
    let d = r
        .evaluate(
            "rent",
            &authorize_request(
                admin(),
                "users.delete",
                json!({"id": "c", "organization": "rent", "roles": ["customer"]}),
            ),
        )
        .unwrap();
    assert_eq!(d["decision"], "allow", "{d}");
    assert_eq!(d["plugins"][0]["outcome"], "allow");
}

#[test]
fn four_eyes_applies_to_transitions_too() {
    let r = registry_with(
        "rent",
        &[("four_eyes", json!({"statuses": ["blacklisted"]}))],
    );
    let req = json!({"preset": "002", "op": "transition", "input": {
        "actor": admin(),
        "target": {"id": "b", "organization": "rent", "roles": ["administrator"], "status": "active"},
        "to": "blacklisted", "reason": "fraud", "facts": {"activeSuperAdmins": 3}, "now": NOW}});
    let core = warden_core::api::evaluate(&req).unwrap();
    assert_eq!(core["decision"], "allow", "the core allows it: {core}");
    let d = r.evaluate("rent", &req).unwrap();
    assert_eq!(d["decision"], "deny", "{d}");
    assert_eq!(d["deny"]["code"], "four_eyes_required");
    assert_eq!(d["obligations"], json!([]));
    let mut with = req.clone();
    with["pluginFacts"] = json!({"secondApprover": "z"});
    let d = r.evaluate("rent", &with).unwrap();
    assert_eq!(d["decision"], "allow", "{d}");
}

fn contractor_policy() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../core/presets/002-rental-platform.json");
    let mut policy: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    policy["fields"]["accountType"]["values"]
        .as_array_mut()
        .unwrap()
        .push(json!("contractor"));
    policy["fields"]["endDate"] =
        json!({"type": "date", "label": {"en": "End date", "fr": "Date de fin"}});
    policy
}

fn contractor_user(end: Option<&str>) -> Value {
    let mut user = json!({"firstName": "Cy", "lastName": "Borg", "email": "cy@rent.example",
        "phone": "+33612345678", "accountType": "contractor", "password": "Violet-Kettle-42!x"});
    if let Some(e) = end {
        user["endDate"] = json!(e);
    }
    json!({"policy": contractor_policy(), "op": "validate", "input": {"user": user, "today": "2026-11-22"}})
}

#[test]
fn contractor_end_date_is_required_within_90_days_of_today() {
    let r = registry_with("rent", &[("contractor", json!({}))]);
    let ok = r
        .evaluate("rent", &contractor_user(Some("2027-02-20")))
        .unwrap(); // 90 days
    assert_eq!(ok["valid"], true, "{ok}");
    let codes = |d: &Value| -> Vec<String> {
        d["violations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["code"].as_str().unwrap().to_owned())
            .collect()
    };
    let far = r
        .evaluate("rent", &contractor_user(Some("2027-02-21")))
        .unwrap();
    assert_eq!(codes(&far), ["contractor_end_date_too_far"], "{far}");
    assert_eq!(far["violations"][0]["params"]["maxDays"], 90);
    let none = r.evaluate("rent", &contractor_user(None)).unwrap();
    assert_eq!(codes(&none), ["contractor_end_date_required"], "{none}");
    let past = r
        .evaluate("rent", &contractor_user(Some("2026-11-21")))
        .unwrap();
    assert_eq!(codes(&past), ["contractor_expired"], "{past}");
}

#[test]
fn an_expired_contractor_is_inactive() {
    let r = registry_with("rent", &[("contractor", json!({}))]);
    let contractor = json!({"id": "k", "organization": "rent", "roles": ["administrator"],
        "attributes": {"accountType": "contractor", "endDate": "2026-11-01"}});
    let req = authorize_request(
        contractor.clone(),
        "users.read",
        json!({"id": "c", "organization": "rent"}),
    );
    assert_eq!(
        warden_core::api::evaluate(&req).unwrap()["decision"],
        "allow"
    );
    let d = r.evaluate("rent", &req).unwrap();
    assert_eq!(d["deny"]["code"], "contractor_expired", "{d}");

    let reactivate = json!({"preset": "002", "op": "transition", "input": {
        "actor": admin(),
        "target": {"id": "k", "organization": "rent", "roles": ["customer"], "status": "inactive",
                   "attributes": {"accountType": "contractor", "endDate": "2026-11-01"}},
        "to": "active", "reason": "back", "now": NOW}});
    let core = warden_core::api::evaluate(&reactivate).unwrap();
    assert_eq!(core["decision"], "allow", "{core}");
    let d = r.evaluate("rent", &reactivate).unwrap();
    assert_eq!(d["deny"]["code"], "contractor_expired", "{d}");
}

#[test]
fn plugins_compose_in_order_and_each_is_reported() {
    let r = registry_with(
        "acme",
        &[
            ("email_domain", json!({"allowedDomains": ["acme.example"]})),
            ("four_eyes", json!({})),
            ("contractor", json!({})),
        ],
    );
    let d = r
        .evaluate("acme", &validate_request("ada@gmail.example"))
        .unwrap();
    let names: Vec<&str> = d["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["plugin"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["email-domain", "four-eyes", "contractor"]);
    let list = r.list("acme").unwrap();
    assert_eq!(list.len(), 3);
    assert!(
        list.iter()
            .all(|p| p.interface == "warden:policy/hooks@0.1.0" && p.hash.len() == 64)
    );
    let _ = Arc::clone(&Runtime::new().unwrap());
}

/// A decision without what varies from call to call (the plugins' times, if any).
fn without_times(mut d: Value) -> Value {
    let reports = d.get_mut("plugins").and_then(Value::as_array_mut);
    for report in reports.into_iter().flatten() {
        let report = report.as_object_mut().unwrap();
        for time in ["micros", "cpuMicros", "queueMicros"] {
            report.remove(time);
        }
    }
    d
}

#[test]
fn optimised_plugin_code_decides_and_meters_exactly_as_the_default() {
    // `optimize_plugin_code` changes how the guest's code is compiled, never what it
    // does: the same decisions, violations, logs, fuel (counted in wasm instructions)
    // and peak memory, on what the core refuses, what a plugin refuses and what passes.
    let plugins = [
        ("email_domain", json!({"allowedDomains": ["acme.example"]})),
        ("four_eyes", json!({})),
    ];
    let optimised = Runtime::with_config(RuntimeConfig {
        optimize_plugin_code: true,
        ..RuntimeConfig::default()
    })
    .unwrap();
    let a = registry_with("acme", &plugins);
    let b = registry_on(optimised, "acme", &plugins);
    let mut approved = authorize_request(admin(), "users.delete", admin_target());
    approved["pluginFacts"] = json!({"secondApprover": "z"});
    let requests = [
        validate_request("ada.lovelace@acme.example"),
        validate_request("ada@gmail.example"),
        validate_request("not-an-email"),
        authorize_request(admin(), "users.delete", admin_target()),
        approved,
    ];
    for req in &requests {
        let (da, db) = (
            a.evaluate("acme", req).unwrap(),
            b.evaluate("acme", req).unwrap(),
        );
        assert!(
            da["plugins"].as_array().is_some_and(|p| !p.is_empty()),
            "the plugins ran: {da}"
        );
        assert!(da["plugins"][0]["fuelUsed"].as_u64().unwrap() > 0, "{da}");
        assert_eq!(without_times(da), without_times(db), "{req}");
    }
}

#[test]
fn decide_with_the_callers_policy_answers_as_evaluate_with_the_document() {
    // `Registry::decide` is `evaluate` without the envelope: the policy given compiled,
    // the facts given typed. The same decisions, plugin reports and errors, for a tenant
    // with plugins and for one without, on each hooked operation and one without hooks.
    let plugins = [
        ("email_domain", json!({"allowedDomains": ["acme.example"]})),
        ("four_eyes", json!({"statuses": ["blacklisted"]})),
    ];
    let r = registry_with("acme", &plugins);
    let mut approved = authorize_request(admin(), "users.delete", admin_target());
    approved["pluginFacts"] = json!({"secondApprover": "z"});
    let transition = json!({"preset": "002", "op": "transition", "input": {
        "actor": admin(),
        "target": {"id": "b", "organization": "rent", "roles": ["administrator"], "status": "active"},
        "to": "blacklisted", "reason": "fraud", "facts": {"activeSuperAdmins": 3}, "now": NOW}});
    let mut requests = vec![
        validate_request("ada.lovelace@acme.example"),
        validate_request("ada@gmail.example"),
        validate_request("not-an-email"),
        authorize_request(admin(), "users.delete", admin_target()),
        approved,
        transition.clone(),
        json!({"preset": "002", "op": "password", "input": {"password": "Tr0ub4dor&3x!"}}),
        // refused by the core: the same error either way
        json!({"preset": "002", "op": "authorize", "input": {"actor": 1}}),
    ];
    let mut approved_transition = transition;
    approved_transition["pluginFacts"] = json!({"secondApprover": "z"});
    approved_transition["lang"] = json!("fr");
    requests.push(approved_transition);
    let mut denied = 0;
    for tenant in ["acme", "nobody"] {
        for req in &requests {
            let preset = req["preset"].as_str().unwrap();
            let policy = warden_core::api::load_policy(Some(preset), None).unwrap();
            let call = Call {
                op: serde_json::from_value(req["op"].clone()).unwrap(),
                lang: serde_json::from_value(req.get("lang").cloned().unwrap_or(json!("en")))
                    .unwrap(),
                input: req["input"].clone(),
                plugin_facts: req
                    .get("pluginFacts")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default(),
            };
            let by_value = r.evaluate(tenant, req).map(without_times);
            let by_reference = r.decide(tenant, &policy, call).map(without_times);
            match (&by_value, &by_reference) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(a, b, "{tenant}: {req}");
                    assert_eq!(
                        a.get("plugins").is_some(),
                        tenant == "acme"
                            && ["validate", "authorize", "transition"]
                                .contains(&req["op"].as_str().unwrap()),
                        "{tenant}: {a}"
                    );
                    denied += usize::from(a["decision"] == "deny" || a["valid"] == false);
                }
                (Err(a), Err(b)) => assert_eq!(a.to_json(), b.to_json(), "{tenant}: {req}"),
                _ => panic!("{tenant}: {req}: {by_value:?} against {by_reference:?}"),
            }
        }
    }
    assert!(denied >= 4, "the plugins refused some: {denied}");
    // The policy is the caller's: `decide` neither compiles nor keeps one.
    let fresh = registry_with("acme", &plugins);
    let policy = warden_core::api::load_policy(Some("002"), None).unwrap();
    let call = Call::new(
        warden_core::api::Op::Authorize,
        warden_core::Lang::En,
        requests[3]["input"].clone(),
    );
    let d = fresh.decide("acme", &policy, call).unwrap();
    assert_eq!(d["deny"]["code"], "four_eyes_required", "{d}");
    assert_eq!(fresh.snapshot("acme").unwrap().cached_policies(), 0);
}

#[test]
fn narrowing_the_callers_decision_answers_as_deciding() {
    // `Registry::narrow` is `decide` with the core's decision given: on the same input,
    // the same composed decisions and plugin reports, for a tenant with plugins and one
    // without.
    let plugins = [
        ("email_domain", json!({"allowedDomains": ["acme.example"]})),
        ("four_eyes", json!({"statuses": ["blacklisted"]})),
    ];
    let r = registry_with("acme", &plugins);
    let transition = json!({"preset": "002", "op": "transition", "input": {"actor": admin(),
        "target": {"id": "b", "organization": "rent", "roles": ["administrator"], "status": "active"},
        "to": "blacklisted", "reason": "fraud", "facts": {"activeSuperAdmins": 3}, "now": NOW}});
    let requests = [
        validate_request("ada.lovelace@acme.example"),
        validate_request("ada@gmail.example"),
        authorize_request(admin(), "users.delete", admin_target()),
        authorize_request(admin(), "users.read", admin_target()),
        transition,
    ];
    let en = warden_core::Lang::En;
    let mut narrowed = 0;
    for tenant in ["acme", "nobody"] {
        for req in &requests {
            let policy =
                warden_core::api::load_policy(Some(req["preset"].as_str().unwrap()), None).unwrap();
            let op: warden_core::api::Op = serde_json::from_value(req["op"].clone()).unwrap();
            let input = req["input"].clone();
            let core = warden_core::api::evaluate_with(&policy, op, en, input.clone()).unwrap();
            let decided = match op {
                warden_core::api::Op::Validate => Decided::Validate {
                    input: input.clone(),
                    decision: serde_json::from_value(core.clone()).unwrap(),
                },
                warden_core::api::Op::Authorize => Decided::Authorize {
                    input: input.clone(),
                    decision: serde_json::from_value(core.clone()).unwrap(),
                },
                _ => Decided::Transition {
                    input: input.clone(),
                    decision: serde_json::from_value(core.clone()).unwrap(),
                },
            };
            assert_eq!(decided.op(), op);
            assert!(!format!("{decided:?}").contains("ada"), "{decided:?}");
            let a = r
                .narrow(tenant, &policy, decided, serde_json::Map::new())
                .map(without_times)
                .unwrap();
            let b = r
                .decide(tenant, &policy, Call::new(op, en, input))
                .map(without_times)
                .unwrap();
            assert_eq!(a, b, "{tenant}: {req}");
            if tenant == "nobody" {
                assert_eq!(a, core, "no plugins: the core's decision unchanged");
            } else if a["decision"] == "deny" || a["valid"] == false {
                narrowed += usize::from(core["decision"] == "allow" || core["valid"] == true);
            }
        }
    }
    assert!(narrowed >= 2, "the plugins narrowed some: {narrowed}");
}

#[test]
fn plugins_are_given_the_decision_the_caller_made() {
    // A caller deciding with facts the plugins are not given (a server's directory) hands
    // its decision over: the plugins are told that one, not one made again without them.
    // An actor with no role may not read on the input alone; the caller's decision allows.
    let r = registry_with("acme", &[("hostile", json!({"mode": "echo-core"}))]);
    let policy = warden_core::api::load_policy(Some("002"), None).unwrap();
    let nobody = json!({"id": "n", "organization": "rent", "roles": []});
    let input = authorize_request(nobody, "users.read", admin_target())["input"].clone();
    let core = warden_core::api::evaluate_with(
        &policy,
        warden_core::api::Op::Authorize,
        warden_core::Lang::En,
        input.clone(),
    )
    .unwrap();
    assert_eq!(core["decision"], "deny", "{core}");
    let mut decision: warden_core::access::AuthzDecision = serde_json::from_value(core).unwrap();
    decision.decision = warden_core::decision::Decision::Allow;
    decision.deny = None;
    let d = r
        .narrow(
            "acme",
            &policy,
            Decided::Authorize { input, decision },
            serde_json::Map::new(),
        )
        .unwrap();
    assert_eq!(d["decision"], "deny", "{d}");
    assert_eq!(d["plugins"][0]["outcome"], "deny", "{d}");
    assert!(
        d["deny"].to_string().contains("core decision: allow (-)"),
        "the plugin was told the caller's allow: {d}"
    );
}

#[test]
fn plugins_are_never_given_a_password_summary() {
    // The core's decision on a record with a password holds the password's score and
    // checklist; the decision the plugins are given does not, whoever made it.
    let r = registry_with("acme", &[("hostile", json!({"mode": "echo-core"}))]);
    let mut req = validate_request("ada.lovelace@acme.example");
    req["input"]["user"]["password"] = json!("Tr0ub4dor&3x!");
    let policy = warden_core::api::load_policy(Some("production-planner-pro"), None).unwrap();
    let en = warden_core::Lang::En;
    let op = warden_core::api::Op::Validate;
    let core = warden_core::api::evaluate_with(&policy, op, en, req["input"].clone()).unwrap();
    assert!(
        core["password"].is_object(),
        "the core's decision has one: {core}"
    );
    let decided = Decided::Validate {
        input: req["input"].clone(),
        decision: serde_json::from_value(core).unwrap(),
    };
    let narrowed = r
        .narrow("acme", &policy, decided, serde_json::Map::new())
        .unwrap();
    let decided = r
        .decide("acme", &policy, Call::new(op, en, req["input"].clone()))
        .unwrap();
    for d in [narrowed, decided] {
        let echo = d["violations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["code"] == "core_echo")
            .unwrap_or_else(|| panic!("the plugin answered: {d}"));
        assert!(
            echo["message"]
                .as_str()
                .unwrap()
                .ends_with("password summary false"),
            "{echo}"
        );
        assert!(
            d["password"].is_object(),
            "the caller's decision keeps it: {d}"
        );
    }
}
