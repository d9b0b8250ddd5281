//! Malicious and broken plugins are contained: each fails with a typed error within its
//! limits, never turns a deny into an allow, and other tenants are unaffected.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod plugin_common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use plugin_common::{admin, authorize_request, component, validate_request, wat};
use serde_json::{Value, json};
use warden_host::plugin::{
    FailurePolicy, Fault, Limits, LoadError, PluginSpec, Registry, Runtime, SettingsError,
    TenantSettings,
};

fn hostile(mode: &str) -> PluginSpec {
    PluginSpec {
        wasm: component("hostile"),
        config: json!({"mode": mode}),
    }
}

fn registry() -> Registry {
    Registry::new(Runtime::new().unwrap())
}

/// Validates once with a tenant whose only plugin misbehaves as `mode`; returns the
/// decision and how long it took.
fn run_mode(settings: TenantSettings, mode: &str) -> (Value, Duration) {
    let r = registry();
    r.load("t", settings, vec![hostile(mode)]).unwrap();
    let start = Instant::now();
    let d = r
        .evaluate("t", &validate_request("ada@acme.example"))
        .unwrap();
    (d, start.elapsed())
}

fn fault_code(d: &Value) -> &str {
    d["plugins"][0]["error"]["code"].as_str().unwrap_or("none")
}

#[test]
fn each_misbehaviour_is_a_typed_fault_and_fails_closed() {
    for (mode, code) in [
        ("loop", "fuel_exhausted"),
        ("memory", "memory_limit"),
        ("trap", "trap"),
        ("output", "output_too_large"),
        ("err", "plugin_error"),
        ("badcode", "invalid_output"),
    ] {
        let (d, took) = run_mode(TenantSettings::default(), mode);
        assert_eq!(fault_code(&d), code, "{mode}: {d}");
        assert_eq!(
            d["valid"], false,
            "{mode}: fail-closed makes the record invalid: {d}"
        );
        let last = d["violations"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["code"], "plugin_fault", "{mode}");
        assert_eq!(last["params"]["error"], code, "{mode}");
        assert!(took < Duration::from_secs(2), "{mode} took {took:?}");
    }
    // Deep recursion: a stack overflow or an out-of-bounds trap of the shadow stack.
    let (d, _) = run_mode(TenantSettings::default(), "recursion");
    assert!(
        ["stack_overflow", "trap", "memory_limit"].contains(&fault_code(&d)),
        "{d}"
    );
    assert_eq!(d["valid"], false);
}

#[test]
fn the_limits_report_their_configured_values() {
    let mut s = TenantSettings::default();
    s.limits.fuel = 1_000_000;
    s.limits.memory_bytes = 4 << 20;
    let (d, _) = run_mode(s, "loop");
    assert_eq!(
        d["plugins"][0]["error"]["message"],
        "the plugin ran out of fuel (limit 1000000 units)"
    );
    assert_eq!(d["plugins"][0]["fuelUsed"], 1_000_000);
    let (d, _) = run_mode(s, "memory");
    assert_eq!(
        d["plugins"][0]["error"]["message"],
        "the plugin exceeded its memory limit of 4194304 bytes"
    );
    assert!(d["plugins"][0]["peakMemory"].as_u64().unwrap() <= 4 << 20);
    s.limits.max_input_bytes = 100;
    let (d, _) = run_mode(s, "none");
    assert_eq!(fault_code(&d), "input_too_large", "{d}");
}

#[test]
fn the_epoch_deadline_stops_a_loop_that_has_fuel_to_spare() {
    let mut s = TenantSettings::default();
    s.limits.fuel = Limits::CAPS.fuel;
    s.limits.deadline_ms = 50;
    let (d, took) = run_mode(s, "loop");
    assert_eq!(fault_code(&d), "deadline_exceeded", "{d}");
    assert_eq!(
        d["plugins"][0]["error"]["message"],
        "the plugin exceeded its deadline of 50 ms"
    );
    assert!(took < Duration::from_millis(1000), "{took:?}");
}

#[test]
fn a_log_flood_is_capped() {
    let (d, _) = run_mode(TenantSettings::default(), "log");
    let report = &d["plugins"][0];
    let bytes: usize = report["log"].as_array().map_or(0, |l| {
        l.iter().map(|x| x["message"].as_str().unwrap().len()).sum()
    });
    assert!(bytes <= Limits::DEFAULT.max_log_bytes, "{bytes}");
    // Either it finished (lines dropped and counted) or it ran out of fuel trying.
    assert!(
        report["logDropped"].as_u64().unwrap_or(0) > 0 || fault_code(&d) == "fuel_exhausted",
        "{report}"
    );
}

#[test]
fn a_plugin_cannot_turn_a_core_deny_into_an_allow_or_remove_core_violations() {
    let r = registry();
    r.load("t", TenantSettings::default(), vec![hostile("allow")])
        .unwrap();
    let customer = json!({"id": "c", "organization": "rent", "roles": ["customer"]});
    let req = authorize_request(
        customer,
        "users.delete",
        json!({"id": "x", "organization": "rent"}),
    );
    let core = warden_core::api::evaluate(&req).unwrap();
    assert_eq!(core["decision"], "deny");
    let d = r.evaluate("t", &req).unwrap();
    assert_eq!(d["decision"], "deny", "{d}");
    assert_eq!(d["deny"], core["deny"]);
    assert_eq!(d["plugins"][0]["outcome"], "allow");

    let core = warden_core::api::evaluate(&validate_request("not-an-email")).unwrap();
    let d = r.evaluate("t", &validate_request("not-an-email")).unwrap();
    assert_eq!(d["valid"], false);
    assert_eq!(d["violations"], core["violations"]);
}

#[test]
fn a_fault_in_authorization_is_a_deny_never_an_allow() {
    let r = registry();
    r.load("t", TenantSettings::default(), vec![hostile("trap")])
        .unwrap();
    let req = authorize_request(
        admin(),
        "users.read",
        json!({"id": "x", "organization": "rent"}),
    );
    assert_eq!(
        warden_core::api::evaluate(&req).unwrap()["decision"],
        "allow"
    );
    let d = r.evaluate("t", &req).unwrap();
    assert_eq!(d["decision"], "deny", "{d}");
    assert_eq!(d["deny"]["code"], "plugin_fault");
    assert_eq!(d["deny"]["params"]["error"], "trap");
}

#[test]
fn fail_open_is_a_tenant_choice_and_reported() {
    let mut s = TenantSettings::default();
    s.failure_policy.validate = FailurePolicy::Open;
    let (d, _) = run_mode(s, "trap");
    assert_eq!(d["valid"], true, "{d}");
    assert_eq!(d["plugins"][0]["outcome"], "fault");
    assert_eq!(d["plugins"][0]["error"]["failurePolicy"], "open");
}

#[test]
fn the_circuit_breaker_disables_a_faulty_plugin() {
    let r = registry();
    let s = TenantSettings {
        breaker_threshold: 3,
        ..TenantSettings::default()
    };
    r.load("t", s, vec![hostile("trap")]).unwrap();
    for _ in 0..3 {
        let d = r
            .evaluate("t", &validate_request("ada@acme.example"))
            .unwrap();
        assert_eq!(d["plugins"][0]["outcome"], "fault");
    }
    let d = r
        .evaluate("t", &validate_request("ada@acme.example"))
        .unwrap();
    assert_eq!(d["plugins"][0]["outcome"], "disabled", "{d}");
    assert_eq!(d["plugins"][0]["error"]["code"], "plugin_disabled");
    assert_eq!(d["valid"], false, "a disabled plugin still fails closed");
    let list = r.list("t").unwrap();
    assert!(list[0].disabled);
    assert_eq!(list[0].consecutive_faults, 3);
    // Loading it anew resets the breaker.
    r.load("t", s, vec![hostile("none")]).unwrap();
    assert!(!r.list("t").unwrap()[0].disabled);
}

#[test]
fn forbidden_imports_versions_and_malformed_binaries_are_refused_at_load() {
    let runtime = Runtime::new().unwrap();
    let limits = Limits::default();
    let err = runtime.compile(&wat("imports-wasi"), &limits).unwrap_err();
    assert!(
        matches!(&err, LoadError::ForbiddenImport { import } if import == "wasi:cli/environment@0.2.0"),
        "{err}"
    );
    assert!(
        err.to_string().contains("`wasi:cli/environment@0.2.0`"),
        "{err}"
    );
    let err = runtime
        .compile(&wat("imports-unknown"), &limits)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the component imports `steal-secrets`: plugins may import only `warden:policy/logging` (no WASI, clock, randomness, network or files)"
    );
    let err = runtime.compile(&wat("wrong-version"), &limits).unwrap_err();
    assert_eq!(err.code(), "unsupported_interface_version");
    assert!(
        err.to_string().contains("`warden:policy/hooks@9.0.0`"),
        "{err}"
    );
    let err = runtime.compile(&wat("wrong-shape"), &limits).unwrap_err();
    assert_eq!(err.code(), "interface_mismatch", "{err}");
    let malformed = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../plugins/hostile/malformed.bin"
    ))
    .unwrap();
    let err = runtime.compile(&malformed, &limits).unwrap_err();
    assert_eq!(err.code(), "malformed_component", "{err}");
    let err = runtime.compile(b"(module (func))", &limits).unwrap_err();
    assert_eq!(
        err.code(),
        "malformed_component",
        "a core module is not a component: {err}"
    );
    let small = Limits {
        max_module_bytes: 1000,
        ..limits
    };
    let err = runtime.compile(&component("hostile"), &small).unwrap_err();
    assert!(
        matches!(err, LoadError::ModuleTooLarge { limit: 1000, .. }),
        "{err}"
    );
    // The host keeps serving.
    assert!(runtime.compile(&component("email_domain"), &limits).is_ok());
}

#[test]
fn settings_above_their_caps_are_refused() {
    let r = registry();
    let mut s = TenantSettings::default();
    s.limits.fuel = Limits::CAPS.fuel + 1;
    let err = r.load("t", s, vec![]).unwrap_err();
    assert_eq!(
        err,
        LoadError::Settings(SettingsError::AboveCap {
            limit: "fuel",
            value: 1_000_000_001,
            cap: 1_000_000_000
        })
    );
    assert_eq!(
        err.to_string(),
        "`fuel` is 1000000001, above its hard cap of 1000000000"
    );
}

#[test]
fn two_tenants_concurrently_a_hostile_one_does_not_affect_the_other() {
    let r = Arc::new(registry());
    r.load(
        "evil",
        TenantSettings::default(),
        vec![hostile("loop"), hostile("memory")],
    )
    .unwrap();
    r.load(
        "good",
        TenantSettings::default(),
        vec![PluginSpec {
            wasm: component("email_domain"),
            config: json!({"allowedDomains": ["acme.example"]}),
        }],
    )
    .unwrap();
    let evil = {
        let r = Arc::clone(&r);
        std::thread::spawn(move || {
            for _ in 0..5 {
                let d = r
                    .evaluate("evil", &validate_request("ada@acme.example"))
                    .unwrap();
                assert_eq!(d["valid"], false);
                assert_eq!(fault_code(&d), "fuel_exhausted");
            }
        })
    };
    let mut slowest = Duration::ZERO;
    for i in 0..200 {
        let email = if i % 2 == 0 {
            "ada@acme.example"
        } else {
            "ada@gmail.example"
        };
        let start = Instant::now();
        let d = r.evaluate("good", &validate_request(email)).unwrap();
        slowest = slowest.max(start.elapsed());
        assert_eq!(d["valid"], i % 2 == 0, "{d}");
    }
    evil.join().unwrap();
    assert!(slowest < Duration::from_millis(500), "{slowest:?}");
    // Still serving both.
    assert_eq!(
        r.evaluate("good", &validate_request("ada@acme.example"))
            .unwrap()["valid"],
        true
    );
}

#[test]
fn a_replacement_is_atomic_for_decisions_in_flight() {
    let r = Arc::new(registry());
    let set_a = || {
        vec![PluginSpec {
            wasm: component("email_domain"),
            config: json!({"allowedDomains": ["acme.example"]}),
        }]
    };
    let set_b = || {
        vec![
            PluginSpec {
                wasm: component("email_domain"),
                config: json!({"allowedDomains": ["gmail.example"]}),
            },
            PluginSpec {
                wasm: component("four_eyes"),
                config: json!({}),
            },
        ]
    };
    r.load("t", TenantSettings::default(), set_a()).unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (r, stop) = (Arc::clone(&r), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) || n < 20 {
                    let d = r
                        .evaluate("t", &validate_request("ada@gmail.example"))
                        .unwrap();
                    let reports = d["plugins"].as_array().unwrap().len();
                    let valid = d["valid"].as_bool().unwrap();
                    assert!(
                        (reports == 1 && !valid) || (reports == 2 && valid),
                        "half a swap: {d}"
                    );
                    n += 1;
                }
                n
            })
        })
        .collect();
    for i in 0..20 {
        r.load(
            "t",
            TenantSettings::default(),
            if i % 2 == 0 { set_b() } else { set_a() },
        )
        .unwrap();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in readers {
        assert!(t.join().unwrap() >= 20);
    }
}

#[test]
fn modules_are_compiled_once_per_content_hash_and_unload_works() {
    let runtime = Runtime::new().unwrap();
    let r = Registry::new(Arc::clone(&runtime));
    for tenant in ["a", "b", "c"] {
        r.load(tenant, TenantSettings::default(), vec![hostile("none")])
            .unwrap();
    }
    assert_eq!(runtime.cached(), 1);
    assert_eq!(r.tenants(), ["a", "b", "c"]);
    let a = r.list("a").unwrap();
    assert_eq!(a[0].hash, r.list("b").unwrap()[0].hash);
    assert_eq!(
        (a[0].name.as_str(), a[0].version.as_str()),
        ("hostile", "0.0.1")
    );
    assert!(r.unload("a"));
    assert!(!r.unload("a"));
    assert!(r.list("a").is_none());
    let _ = Fault::StackOverflow.code();
}
