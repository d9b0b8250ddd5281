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

use plugin_common::{
    Image, VALIDATE_AT, VERDICT_AT, admin, authorize_request, component, raw_plugin,
    raw_plugin_with, validate_request, wat,
};
use serde_json::{Value, json};
use warden_host::plugin::{
    CACHE_CAPACITY, FailurePolicy, Fault, Limits, LoadError, PluginSpec, Registry, Runtime,
    RuntimeConfig, SettingsError, TenantSettings,
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
    load_retrying(&r, settings, vec![hostile(mode)]);
    let start = Instant::now();
    let d = r.decide_retrying("t", &validate_request("ada@acme.example"));
    (d, start.elapsed())
}

/// Loads the tenant `t`; a load whose `describe` call the host could not run
/// (`HostOverloaded`: this machine busy with other tests or jobs) says nothing of the
/// plugin and is asked again, up to 20 times. Any other error fails the test.
fn load_retrying(r: &Registry, settings: TenantSettings, plugins: Vec<PluginSpec>) {
    for _ in 0..20 {
        match r.load("t", settings, plugins.clone()) {
            Err(e) if matches!(e.cause(), LoadError::Describe(f) if f.code() == "host_overloaded") =>
                {}
            other => {
                other.unwrap();
                return;
            }
        }
    }
    panic!("the host was overloaded on 20 loads in a row");
}

/// The decisions of the tenant `t` under test. A decision in which the host could not run
/// a plugin (`host_overloaded`: this machine busy with other tests or jobs) says nothing of
/// the plugin under test, and the overload counts toward nothing: it is asked again, up to
/// 20 times.
trait Decide {
    fn decide_retrying(&self, tenant: &str, request: &Value) -> Value;
}

impl Decide for Registry {
    fn decide_retrying(&self, tenant: &str, request: &Value) -> Value {
        let mut tries = 0;
        loop {
            let d = self.evaluate(tenant, request).unwrap();
            tries += 1;
            let overloaded = d["plugins"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p["error"]["code"] == "host_overloaded"));
            if !overloaded || tries == 20 {
                return d;
            }
        }
    }
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

/// An input above the limit is the caller's: the plugin never ran, so however many such
/// calls come, its breaker counts nothing and the plugin keeps serving other callers.
#[test]
fn inputs_too_large_never_trip_the_breaker() {
    let mut s = TenantSettings::default();
    s.limits.max_input_bytes = 100;
    s.breaker_threshold = 2;
    let r = registry();
    load_retrying(&r, s, vec![hostile("none")]);
    for _ in 0..5 {
        let d = r.decide_retrying("t", &validate_request("ada@acme.example"));
        assert_eq!(fault_code(&d), "input_too_large", "{d}");
    }
    let status = &r.list("t").unwrap()[0];
    assert!(!status.disabled, "{status:?}");
    assert_eq!(status.consecutive_faults, 0, "{status:?}");
}

/// An input above the limit fails closed even where the tenant chose to fail open: the
/// caller controls the input's size, and would otherwise skip the plugin at will.
#[test]
fn an_input_too_large_fails_closed_under_an_open_policy() {
    let mut s = TenantSettings::default();
    s.failure_policy.validate = FailurePolicy::Open;
    s.limits.max_input_bytes = 100;
    let (d, _) = run_mode(s, "none");
    assert_eq!(fault_code(&d), "input_too_large", "{d}");
    assert_eq!(d["valid"], false, "{d}");
    assert_eq!(d["plugins"][0]["error"]["failurePolicy"], "closed", "{d}");
    // A plugin's own fault under the same settings still fails open, as chosen.
    s.limits.max_input_bytes = TenantSettings::default().limits.max_input_bytes;
    let (d, _) = run_mode(s, "trap");
    assert_eq!(d["valid"], true, "{d}");
    assert_eq!(d["plugins"][0]["error"]["failurePolicy"], "open", "{d}");
}

#[test]
fn the_epoch_deadline_stops_a_loop_that_has_fuel_to_spare() {
    let mut s = TenantSettings::default();
    s.limits.fuel = Limits::CAPS.fuel;
    s.limits.deadline_ms = 50;
    // Stopped by the deadline either way; whose fault it is depends on the CPU it got
    // (on a loaded machine, possibly under half of it: the host's overload).
    // One evaluation, timed alone (not `decide`, which asks again after an overload): the
    // loop's fuel would last seconds, the deadline stops it long before.
    let r = registry();
    load_retrying(&r, s, vec![hostile("loop")]);
    let start = Instant::now();
    let d = r
        .evaluate("t", &validate_request("ada@acme.example"))
        .unwrap();
    let took = start.elapsed();
    let report = &d["plugins"][0];
    let cpu = report["cpuMicros"].as_u64().unwrap();
    if cpu >= 25_000 {
        assert_eq!(fault_code(&d), "deadline_exceeded", "{d}");
    } else {
        assert_eq!(fault_code(&d), "host_overloaded", "{d}");
    }
    assert!(took < Duration::from_millis(1000), "{took:?}");
    // A runtime that blames a plugin from 1% of its deadline: a plugin spinning through
    // its deadline has that much on any machine, and the fault is its own, counted.
    let r = Registry::new(
        Runtime::with_config(RuntimeConfig {
            deadline_cpu_percent: 1,
            ..RuntimeConfig::default()
        })
        .unwrap(),
    );
    load_retrying(&r, s, vec![hostile("loop")]);
    let d = r.decide_retrying("t", &validate_request("ada@acme.example"));
    assert_eq!(fault_code(&d), "deadline_exceeded", "{d}");
    assert_eq!(
        d["plugins"][0]["error"]["message"],
        "the plugin exceeded its deadline of 50 ms"
    );
    assert_eq!(r.list("t").unwrap()[0].consecutive_faults, 1);
    // The admission settings are checked, each named.
    let e = Runtime::with_config(RuntimeConfig {
        max_running_calls: 2,
        max_running_per_tenant: 3,
        ..RuntimeConfig::default()
    })
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "`maxRunningPerTenant` is 3, above its hard cap of 2"
    );
    let e = Runtime::with_config(RuntimeConfig {
        max_running_calls: 0,
        ..RuntimeConfig::default()
    })
    .unwrap_err();
    assert_eq!(e.to_string(), "`maxRunningCalls` must be greater than zero");
    // The share is a percentage.
    for (percent, err) in [
        (
            0,
            SettingsError::Zero {
                limit: "deadlineCpuPercent",
            },
        ),
        (
            101,
            SettingsError::AboveCap {
                limit: "deadlineCpuPercent",
                value: 101,
                cap: 100,
            },
        ),
    ] {
        let e = Runtime::with_config(RuntimeConfig {
            deadline_cpu_percent: percent,
            ..RuntimeConfig::default()
        })
        .unwrap_err();
        assert_eq!(e, LoadError::Settings(err));
    }
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
    load_retrying(&r, TenantSettings::default(), vec![hostile("allow")]);
    let customer = json!({"id": "c", "organization": "rent", "roles": ["customer"]});
    let req = authorize_request(
        customer,
        "users.delete",
        json!({"id": "x", "organization": "rent"}),
    );
    let core = warden_core::api::evaluate(&req).unwrap();
    assert_eq!(core["decision"], "deny");
    let d = r.decide_retrying("t", &req);
    assert_eq!(d["decision"], "deny", "{d}");
    assert_eq!(d["deny"], core["deny"]);
    assert_eq!(d["plugins"][0]["outcome"], "allow");

    let core = warden_core::api::evaluate(&validate_request("not-an-email")).unwrap();
    let d = r.decide_retrying("t", &validate_request("not-an-email"));
    assert_eq!(d["valid"], false);
    assert_eq!(d["violations"], core["violations"]);
}

#[test]
fn a_fault_in_authorization_is_a_deny_never_an_allow() {
    let r = registry();
    load_retrying(&r, TenantSettings::default(), vec![hostile("trap")]);
    let req = authorize_request(
        admin(),
        "users.read",
        json!({"id": "x", "organization": "rent"}),
    );
    assert_eq!(
        warden_core::api::evaluate(&req).unwrap()["decision"],
        "allow"
    );
    let d = r.decide_retrying("t", &req);
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
    load_retrying(&r, s, vec![hostile("trap")]);
    for _ in 0..3 {
        let d = r.decide_retrying("t", &validate_request("ada@acme.example"));
        assert_eq!(d["plugins"][0]["outcome"], "fault");
    }
    let d = r.decide_retrying("t", &validate_request("ada@acme.example"));
    assert_eq!(d["plugins"][0]["outcome"], "disabled", "{d}");
    assert_eq!(d["plugins"][0]["error"]["code"], "plugin_disabled");
    assert_eq!(d["valid"], false, "a disabled plugin still fails closed");
    let list = r.list("t").unwrap();
    assert!(list[0].disabled);
    assert_eq!(list[0].consecutive_faults, 3);
    // Loading it anew resets the breaker.
    load_retrying(&r, s, vec![hostile("none")]);
    assert!(!r.list("t").unwrap()[0].disabled);
}

/// A tripped breaker is not for good: after its cooldown one call goes through as a trial
/// (here faulting again, which opens the breaker for another cooldown); a cooldown of zero
/// keeps the plugin disabled until it is loaded anew.
#[test]
fn a_tripped_breaker_lets_a_trial_call_through_after_its_cooldown() {
    let r = registry();
    let outcome = |r: &Registry| {
        r.decide_retrying("t", &validate_request("ada@acme.example"))["plugins"][0]["outcome"]
            .clone()
    };
    // A plugin that always traps, behind a breaker that trips on its first fault.
    let trapping = |cooldown_ms: u32| {
        let s = TenantSettings {
            breaker_threshold: 1,
            breaker_cooldown_ms: cooldown_ms,
            ..TenantSettings::default()
        };
        load_retrying(&r, s, vec![hostile("trap")]);
    };
    trapping(1_500);
    assert_eq!(outcome(&r), "fault");
    assert_eq!(outcome(&r), "disabled");
    std::thread::sleep(Duration::from_millis(1_600));
    assert_eq!(outcome(&r), "fault", "the trial call runs the plugin");
    assert_eq!(
        outcome(&r),
        "disabled",
        "and its fault opens the breaker again"
    );
    assert!(r.list("t").unwrap()[0].disabled);

    trapping(0);
    assert_eq!(outcome(&r), "fault");
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(outcome(&r), "disabled");
    // Above its cap, the setting is refused naming it.
    let s = TenantSettings {
        breaker_cooldown_ms: warden_host::plugin::MAX_BREAKER_COOLDOWN_MS + 1,
        ..TenantSettings::default()
    };
    assert!(
        s.check()
            .unwrap_err()
            .to_string()
            .contains("breakerCooldownMs")
    );
    // Below a second (but 0), several trials could run at once: refused.
    let s = TenantSettings {
        breaker_cooldown_ms: 999,
        ..TenantSettings::default()
    };
    assert_eq!(
        s.check().unwrap_err().to_string(),
        "`breakerCooldownMs` is 999, below its minimum of 1000"
    );
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
    // Every hook of the right name is type-checked at load, not only `describe` (a call
    // checks only its own hook): one of the wrong type is refused then. Here
    // `transition`'s input has `reason: option<tuple<u32, u32>>` (as many flat values as
    // `option<string>`: still passed by pointer, the core module's signature unchanged).
    let good = raw_plugin(b"typed", b"1.0.0", &Image::default(), 1, "");
    assert!(runtime.compile(&good, &limits).is_ok());
    let wrong_type = String::from_utf8(good)
        .unwrap()
        .replace(
            r#"(field "reason" (option string))"#,
            r#"(field "reason" (option (tuple u32 u32)))"#,
        )
        .into_bytes();
    let err = runtime.compile(&wrong_type, &limits).unwrap_err();
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
    // Zero is below the range, not above its cap.
    let s = TenantSettings {
        breaker_threshold: 0,
        ..TenantSettings::default()
    };
    let err = r.load("t", s, vec![]).unwrap_err();
    assert_eq!(
        err,
        LoadError::Settings(SettingsError::Zero {
            limit: "breakerThreshold"
        })
    );
}

#[test]
fn two_tenants_concurrently_a_hostile_one_does_not_affect_the_other() {
    let r = Arc::new(registry());
    r.load("evil", TenantSettings::default(), vec![hostile("loop")])
        .unwrap();
    r.load(
        "evil-memory",
        TenantSettings::default(),
        vec![hostile("memory")],
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
                // Fuel first, or the deadline when the machine is busy (the host's overload
                // if the plugin did not get half of it as CPU time): contained either way.
                assert!(
                    ["fuel_exhausted", "deadline_exceeded", "host_overloaded"]
                        .contains(&fault_code(&d)),
                    "{d}"
                );
                let d = r
                    .evaluate("evil-memory", &validate_request("ada@acme.example"))
                    .unwrap();
                assert_eq!(fault_code(&d), "memory_limit");
            }
        })
    };
    for i in 0..200 {
        let email = if i % 2 == 0 {
            "ada@acme.example"
        } else {
            "ada@gmail.example"
        };
        let d = r.evaluate("good", &validate_request(email)).unwrap();
        if fault_code(&d) == "host_overloaded" {
            // A machine so loaded that the call did not run: the host's, failing closed.
            assert_eq!(d["valid"], false, "{d}");
        } else {
            assert_eq!(d["valid"], i % 2 == 0, "{d}");
        }
    }
    evil.join().unwrap();
    // Every decision of the good tenant was its own rule's, and nothing counted against
    // its plugin (how long they took is for the benchmarks: host/README.md).
    let good = &r.list("good").unwrap()[0];
    assert_eq!((good.consecutive_faults, good.disabled), (0, false));
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
    load_retrying(&r, TenantSettings::default(), set_a());
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (r, stop) = (Arc::clone(&r), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) || n < 20 {
                    let d = r.decide_retrying("t", &validate_request("ada@gmail.example"));
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

// ---------------------------------------------------------------------------------------
// Issue 15: hostile tenants. One section per class; the measurements of each bound are in
// host/benches/hostile.rs.
// ---------------------------------------------------------------------------------------

fn structure_error(err: &LoadError) -> (&'static str, u64) {
    match err {
        LoadError::Structure { limit, max, .. } => (limit, *max),
        other => panic!("expected a structure error, got {other:?}: {other}"),
    }
}

/// A component binary nested `levels` deep (components in components), written directly:
/// no text parser could read it back without recursing as deep.
fn nested_component(levels: usize) -> Vec<u8> {
    const HEADER: [u8; 8] = [0, b'a', b's', b'm', 0x0d, 0x00, 0x01, 0x00];
    fn leb(mut n: usize, out: &mut Vec<u8>) {
        loop {
            let b = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(b);
                break;
            }
            out.push(b | 0x80);
        }
    }
    // Sizes from the inside out: level i holds the header, section id 4 and the size.
    let mut sizes = vec![HEADER.len()];
    for _ in 0..levels {
        let inner = *sizes.last().unwrap();
        let mut prefix = vec![4u8];
        leb(inner, &mut prefix);
        sizes.push(HEADER.len() + prefix.len() + inner);
    }
    let mut out = Vec::with_capacity(*sizes.last().unwrap());
    for i in (0..levels).rev() {
        out.extend_from_slice(&HEADER);
        out.push(4);
        leb(sizes[i], &mut out);
    }
    out.extend_from_slice(&HEADER);
    out
}

/// Locals cost compilation time, a few bytes of the binary each: more than
/// `MAX_LOCALS` declared by a component's functions together are refused by the scan,
/// before anything is compiled.
#[test]
fn locals_past_the_limit_are_refused_by_the_scan_before_compilation() {
    let runtime = Runtime::new().unwrap();
    let locals = |per: usize| format!("(func (local {}))", "i32 ".repeat(per));
    // As a binary: a function declares its locals as counted runs, a few bytes each.
    let text = String::from_utf8(module_component(&locals(5_000).repeat(201))).unwrap();
    let bytes = wat::parse_str(&text).unwrap();
    assert!(bytes.len() < 100_000, "{}", bytes.len());
    let start = Instant::now();
    let err = runtime.compile(&bytes, &Limits::default()).unwrap_err();
    assert_eq!(
        structure_error(&err),
        ("locals", u64::from(warden_host::plugin::MAX_LOCALS)),
        "{err}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

/// wasmtime translates a nested component once per instance of it, and compiles a
/// trampoline per canonical function per instance: the scan counts instances and canonical
/// functions as they would be inlined, so that a few hundred bytes of instantiations cannot
/// make it translate millions of them.
#[test]
fn inlined_instances_and_trampolines_are_counted_by_the_scan() {
    let runtime = Runtime::new().unwrap();
    // The scan's refusal of a component written as text: the error it is.
    let refused = |text: &str| {
        runtime
            .compile(&wat::parse_str(text).unwrap(), &Limits::default())
            .unwrap_err()
    };
    // 8 instances of a component that creates 8 instances: 8 × (1 + 8) = 72 once inlined,
    // 16 as written.
    let text = format!(
        "(component (component $b (component $a) {}) {})",
        "(instance (instantiate $a)) ".repeat(8),
        "(instance (instantiate $b)) ".repeat(8)
    );
    let start = Instant::now();
    let err = refused(&text);
    assert_eq!(
        err,
        LoadError::Structure {
            limit: "componentInstances",
            found: 72,
            max: u64::from(warden_host::plugin::MAX_COMPONENT_INSTANCES),
        },
        "{err}"
    );
    let lowerings = "(core func (canon lower (func $f))) ".repeat(200);
    // 200 lowerings in a component instantiated 51 times: 10,200 trampolines.
    let text = format!(
        r#"(component (import "f" (func $f))
            (component $c (import "f" (func $f)) {})
            {})"#,
        lowerings,
        r#"(instance (instantiate $c (with "f" (func $f)))) "#.repeat(60)
    );
    let err = refused(&text);
    assert_eq!(
        err,
        LoadError::Structure {
            limit: "canonicalFunctions",
            found: 10_200,
            max: u64::from(warden_host::plugin::MAX_CANONICAL_FUNCTIONS),
        },
        "{err}"
    );
    // The same lowerings reached through an outer alias (a component that names its
    // parent's component and instantiates it 51 times): a component aliased is refused,
    // whatever it would cost.
    let text = format!(
        r#"(component $root (import "f" (func $f))
            (component $c (import "f" (func $f)) {})
            (component $d (import "f" (func $f))
                (alias outer $root $c (component $c2))
                {})
            (instance (instantiate $d (with "f" (func $f)))))"#,
        lowerings,
        r#"(instance (instantiate $c2 (with "f" (func $f)))) "#.repeat(51)
    );
    let err = refused(&text);
    assert_eq!(structure_error(&err), ("componentAliases", 0), "{err}");
    // A component given to another as an instantiation's argument (a component import),
    // inlined at each of the receiver's instantiations: refused.
    let text = r#"(component (component $a) (component $b (import "c" (component)))
        (instance (instantiate $b (with "c" (component $a)))))"#;
    let err = refused(text);
    assert_eq!(structure_error(&err), ("componentImports", 0), "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn deep_nesting_is_refused_by_the_scan_before_translation() {
    let runtime = Runtime::new().unwrap();
    for levels in [5_000, 150_000] {
        let bytes = nested_component(levels);
        let start = Instant::now();
        let err = runtime.compile(&bytes, &Limits::default()).unwrap_err();
        assert_eq!(structure_error(&err), ("maxNesting", 3), "{err}");
        assert_eq!(err.code(), "structure_limit");
        assert_eq!(
            err.to_string(),
            "the component exceeds `maxNesting`: 4 counted, above the limit of 3"
        );
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "{:?}",
            start.elapsed()
        );
    }
}

/// A component whose one core module holds `body` (and no hooks: the scan refuses it
/// before anything else is looked at).
fn module_component(body: &str) -> Vec<u8> {
    format!("(component (core module {body}))").into_bytes()
}

#[test]
fn every_structural_limit_is_a_typed_error_with_its_configured_value() {
    let runtime = Runtime::new().unwrap();
    let limits = Limits {
        max_functions: 100,
        max_function_bytes: 1_000,
        max_types: 50,
        max_core_instances: 3,
        max_memories: 1,
        max_tables: 2,
        ..Limits::default()
    };
    let cases: [(String, &str, u64); 8] = [
        ("(func) ".repeat(101), "maxFunctions", 100),
        // Declared sizes no instance could have: the memory limit (16 MiB by default:
        // 512 MiB declared), the table elements a pool slot holds (100,000 declared).
        ("(memory 8192)".into(), "memoryBytes", 16 << 20),
        ("(table 100000 funcref)".into(), "tableElements", 20_000),
        (
            format!("(func {})", "(nop) ".repeat(2_000)),
            "maxFunctionBytes",
            1_000,
        ),
        ("(type (func)) ".repeat(51), "maxTypes", 50),
        ("(memory 1) (memory 1)".into(), "maxMemories", 1),
        (
            "(table 1 funcref) (table 1 funcref) (table 1 funcref)".into(),
            "maxTables",
            2,
        ),
        ("".into(), "", 0),
    ];
    for (body, limit, max) in cases.iter().filter(|c| !c.1.is_empty()) {
        let err = runtime
            .compile(&module_component(body), &limits)
            .unwrap_err();
        assert_eq!(structure_error(&err), (*limit, *max), "{err}");
        assert!(
            err.to_string().contains(&format!("limit of {max}")),
            "{err}"
        );
    }
    let instances = format!(
        "(component (core module $e) {})",
        "(core instance (instantiate $e)) ".repeat(4)
    );
    let err = runtime.compile(instances.as_bytes(), &limits).unwrap_err();
    assert_eq!(structure_error(&err), ("maxCoreInstances", 3), "{err}");
    // The same binary under the defaults passes the scan (and fails later, for not being
    // a plugin): the limits are the tenant's, not fixed.
    let err = runtime
        .compile(
            &module_component(&"(func) ".repeat(101)),
            &Limits::default(),
        )
        .unwrap_err();
    assert_eq!(err.code(), "missing_export", "{err}");
}

#[test]
fn instances_the_scan_cannot_count_are_refused_by_the_pool_at_load() {
    // A nested component with 8 core instances, instantiated 3 times: the scan counts 8
    // (each module and instantiation once), the instance would hold 24 + 1, above the
    // pool's hard cap of 16 per component.
    let nested = format!(
        "(component $c (core module $e) {}) {}",
        "(core instance (instantiate $e)) ".repeat(7),
        "(instance (instantiate $c)) ".repeat(3)
    );
    let bytes = raw_plugin_with(b"nested", b"1.0.0", &Image::default(), 80, "", &nested);
    let runtime = Runtime::new().unwrap();
    let err = runtime.compile(&bytes, &Limits::default()).unwrap_err();
    assert_eq!(
        err,
        LoadError::Structure {
            limit: "maxCoreInstances",
            found: 22,
            max: u64::from(Limits::CAPS.max_core_instances)
        },
        "{err}"
    );
}

/// The same component with a custom section appended: different bytes, different hash,
/// the same plugin (how an attacker defeats a compile cache).
fn variant(bytes: &[u8], n: u32) -> Vec<u8> {
    let name = b"x";
    let payload = n.to_le_bytes();
    let mut out = bytes.to_vec();
    out.push(0);
    out.push((1 + name.len() + payload.len()) as u8);
    out.push(name.len() as u8);
    out.extend_from_slice(name);
    out.extend_from_slice(&payload);
    out
}

#[test]
fn compilation_is_rate_limited_per_tenant_and_cache_hits_are_free() {
    let runtime = Runtime::with_config(RuntimeConfig {
        compiles_per_minute: 2,
        ..RuntimeConfig::default()
    })
    .unwrap();
    let r = Registry::new(Arc::clone(&runtime));
    let base = component("hostile");
    let spec = |n| PluginSpec {
        wasm: variant(&base, n),
        config: json!({"mode": "none"}),
    };
    r.load("evil", TenantSettings::default(), vec![spec(1)])
        .unwrap();
    r.load("evil", TenantSettings::default(), vec![spec(2)])
        .unwrap();
    let err = r
        .load("evil", TenantSettings::default(), vec![spec(3)])
        .unwrap_err();
    assert!(
        matches!(err, LoadError::CompileRateLimited { per_minute: 2, retry_after_ms } if retry_after_ms > 0),
        "{err}"
    );
    assert_eq!(err.code(), "compile_rate_limited");
    // Already compiled: free, as often as wanted.
    for _ in 0..5 {
        r.load("evil", TenantSettings::default(), vec![spec(1)])
            .unwrap();
    }
    // Another tenant has its own budget.
    r.load("good", TenantSettings::default(), vec![spec(3)])
        .unwrap();
    assert_eq!(runtime.cached(), 3);
}

/// A tenant replacing its plugin again and again (each version new bytes) does not make
/// the process keep every old version compiled: the cache holds what tenants use and the
/// last few (`CACHE_CAPACITY`), and the memory of the others is given back.
#[test]
fn replaced_plugins_do_not_pile_up_in_the_cache() {
    let runtime = Runtime::with_config(RuntimeConfig {
        compiles_per_minute: 100,
        ..RuntimeConfig::default()
    })
    .unwrap();
    let r = Registry::new(Arc::clone(&runtime));
    let base = component("hostile");
    for n in 0..12 {
        let spec = PluginSpec {
            wasm: variant(&base, n),
            config: json!({"mode": "none"}),
        };
        r.load("busy", TenantSettings::default(), vec![spec])
            .unwrap();
        assert!(
            runtime.cached() <= CACHE_CAPACITY,
            "after {} versions: {} alive",
            n + 1,
            runtime.cached()
        );
    }
    // Once no tenant uses them, only the recent ones are kept.
    r.unload("busy");
    assert_eq!(runtime.cached(), CACHE_CAPACITY);
}

#[test]
fn every_log_line_costs_fuel_and_budget_and_lines_past_the_cap_are_not_kept() {
    let (d, took) = run_mode(TenantSettings::default(), "log-empty");
    let report = &d["plugins"][0];
    assert_eq!(fault_code(&d), "fuel_exhausted", "{report}");
    let kept = report["log"].as_array().unwrap().len();
    // 8 KiB of budget at 64 bytes per line at least: 128, and the line cap is 64.
    assert_eq!(kept, Limits::DEFAULT.max_log_lines as usize);
    let dropped = report["logDropped"].as_u64().unwrap();
    // 10 million fuel at 1,000 per call: about 10,000 calls, no more.
    assert!(
        (5_000..=10_000).contains(&(kept as u64 + dropped)),
        "{dropped}"
    );
    assert!(d.to_string().len() < 64 << 10, "{}", d.to_string().len());
    assert!(took < Duration::from_secs(2), "{took:?}");

    let mut s = TenantSettings::default();
    s.limits.max_log_lines = 1000;
    let (d, _) = run_mode(s, "log-empty");
    let kept = d["plugins"][0]["log"].as_array().unwrap().len();
    assert_eq!(
        kept,
        Limits::DEFAULT.max_log_bytes / 64,
        "the minimum cost decides"
    );
}

#[test]
fn a_long_log_line_keeps_only_its_prefix_and_an_oversized_one_is_refused_while_lifting() {
    let r = registry();
    let load = |bytes: u64, lines: u64| {
        r.load(
            "t",
            TenantSettings::default(),
            vec![PluginSpec {
                wasm: component("hostile"),
                config: json!({"mode": "log-huge", "bytes": bytes, "lines": lines}),
            }],
        )
        .unwrap();
        r.decide_retrying("t", &validate_request("ada@acme.example"))
    };
    let d = load(200 << 10, 50);
    let report = &d["plugins"][0];
    assert_eq!(report["outcome"], "ok", "{report}");
    let log = report["log"].as_array().unwrap();
    assert_eq!(log.len(), 8, "8 KiB of log at 1 KiB per line");
    assert!(
        log.iter()
            .all(|l| l["message"].as_str().unwrap().len() == 1024)
    );
    assert_eq!(report["logDropped"], 42);
    // Each call paid for reading its 200 KiB.
    assert!(report["fuelUsed"].as_u64().unwrap() > 50 * (200 << 10) / 16);
    // A line larger than the lifting budget is not read at all.
    let d = load(8 << 20, 3);
    assert_eq!(fault_code(&d), "output_too_large", "{d}");
}

#[test]
fn violations_are_capped_by_count_and_path_length_while_lifting_and_after() {
    let mode = |mode: &str, n: u64| {
        let r = registry();
        r.load(
            "t",
            TenantSettings::default(),
            vec![PluginSpec {
                wasm: component("hostile"),
                config: json!({"mode": mode, "n": n}),
            }],
        )
        .unwrap();
        let start = Instant::now();
        let d = r.decide_retrying("t", &validate_request("ada@acme.example"));
        (d, start.elapsed())
    };
    let (d, _) = mode("many", 65);
    assert_eq!(fault_code(&d), "output_too_large", "{d}");
    assert_eq!(
        d["plugins"][0]["error"]["message"],
        "the plugin's output is above the violation limit of 64 (65 counted)"
    );
    // Far too many: refused while lifting, before the host copies them.
    let (d, took) = mode("many", 5_000);
    assert_eq!(fault_code(&d), "output_too_large", "{d}");
    assert!(
        d["plugins"][0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("lifting limit"),
        "{d}"
    );
    assert!(took < Duration::from_secs(2), "{took:?}");
    let (d, _) = mode("long-path", 17);
    assert_eq!(fault_code(&d), "invalid_output", "{d}");
    assert_eq!(
        d["plugins"][0]["error"]["message"],
        "the plugin returned an invalid result: a violation's path has 17 parts, above the limit of 16"
    );
    let (d, _) = mode("long-path", 20_000);
    assert_eq!(fault_code(&d), "output_too_large", "{d}");
}

#[test]
fn output_is_counted_as_the_json_the_host_adds() {
    let r = registry();
    let load = |settings: TenantSettings| {
        r.load(
            "t",
            settings,
            vec![PluginSpec {
                wasm: component("hostile"),
                config: json!({"mode": "many", "n": 20}),
            }],
        )
        .unwrap();
        r.decide_retrying("t", &validate_request("ada@acme.example"))
    };
    let d = load(TenantSettings::default());
    let added: Vec<Value> = d["violations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v.get("source").is_some())
        .cloned()
        .collect();
    assert_eq!(added.len(), 20);
    let produced = Value::Array(added).to_string().len();
    assert_eq!(d["plugins"][0]["outputBytes"], produced, "{d}");
    // 20 violations of one letter each are not 20 bytes: a limit below what the host
    // would write refuses them.
    let mut s = TenantSettings::default();
    s.limits.max_output_bytes = produced - 1;
    let d = load(s);
    assert_eq!(fault_code(&d), "output_too_large", "{d}");
}

/// A raw plugin whose `validate-user` returns `n` violations laid out in `img`, each
/// message pointing at the same `len` bytes of zeros at 8 MiB.
fn aliasing_plugin(n: u32, len: u32) -> Vec<u8> {
    let mut img = Image::default();
    let list = 2048;
    img.put(VALIDATE_AT, &[0])
        .u32(VALIDATE_AT + 4, list)
        .u32(VALIDATE_AT + 8, n);
    for i in 0..n as usize {
        let v = list as usize + i * 36;
        img.string(v, 1536, b"a"); // code
        img.u32(v + 8, 0).u32(v + 12, 0); // empty path
        img.put(v + 16, &[0]); // error
        img.u32(v + 20, 8 << 20).u32(v + 24, len); // the shared message
        img.string(v + 28, 1540, b"{}");
    }
    raw_plugin(b"aliasing", b"1.0.0", &img, 256, "")
}

#[test]
fn aliased_strings_are_counted_each_time_while_lifting() {
    let r = registry();
    r.load(
        "t",
        TenantSettings::default(),
        vec![PluginSpec {
            wasm: aliasing_plugin(64, 8 << 20),
            config: json!({}),
        }],
    )
    .unwrap();
    let start = Instant::now();
    let d = r.decide_retrying("t", &validate_request("ada@acme.example"));
    assert_eq!(fault_code(&d), "output_too_large", "{d}");
    assert!(
        d["plugins"][0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&format!(
                "lifting limit of {}",
                Limits::DEFAULT.lift_budget()
            )),
        "{d}"
    );
    assert!(start.elapsed() < Duration::from_secs(2));
    // Small aliases within the budget are fine and counted in full.
    r.load(
        "t",
        TenantSettings::default(),
        vec![PluginSpec {
            wasm: aliasing_plugin(4, 100),
            config: json!({}),
        }],
    )
    .unwrap();
    let d = r.decide_retrying("t", &validate_request("ada@acme.example"));
    assert_eq!(d["plugins"][0]["outcome"], "violations", "{d}");
    assert!(d["plugins"][0]["outputBytes"].as_u64().unwrap() > 400);
}

#[test]
fn canonical_abi_errors_are_the_plugins_invalid_output_and_trip_its_breaker() {
    let mut bad_discriminant = Image::default();
    bad_discriminant.put(VALIDATE_AT, &[7]);
    let mut bad_utf8 = Image::default();
    bad_utf8
        .put(VALIDATE_AT, &[1])
        .string(VALIDATE_AT + 4, 1536, &[0xff, 0xfe, b'x']);
    let mut out_of_bounds = Image::default();
    out_of_bounds
        .put(VALIDATE_AT, &[0])
        .u32(VALIDATE_AT + 4, 0xffff_0000)
        .u32(VALIDATE_AT + 8, 3);
    let mut bad_verdict = Image::default();
    bad_verdict.put(VERDICT_AT, &[0]).put(VERDICT_AT + 4, &[9]);
    for (name, img) in [
        ("discriminant", &bad_discriminant),
        ("utf8", &bad_utf8),
        ("bounds", &out_of_bounds),
    ] {
        let r = registry();
        let s = TenantSettings {
            breaker_threshold: 2,
            ..TenantSettings::default()
        };
        r.load(
            "t",
            s,
            vec![PluginSpec {
                wasm: raw_plugin(name.as_bytes(), b"1.0.0", img, 80, ""),
                config: json!({}),
            }],
        )
        .unwrap();
        for _ in 0..2 {
            let d = r.decide_retrying("t", &validate_request("ada@acme.example"));
            assert_eq!(fault_code(&d), "invalid_output", "{name}: {d}");
            assert_eq!(d["valid"], false);
        }
        let d = r.decide_retrying("t", &validate_request("ada@acme.example"));
        assert_eq!(d["plugins"][0]["outcome"], "disabled", "{name}: {d}");
        assert!(r.list("t").unwrap()[0].disabled);
    }
    let r = registry();
    r.load(
        "t",
        TenantSettings::default(),
        vec![PluginSpec {
            wasm: raw_plugin(b"verdict", b"1.0.0", &bad_verdict, 80, ""),
            config: json!({}),
        }],
    )
    .unwrap();
    let req = authorize_request(
        admin(),
        "users.read",
        json!({"id": "x", "organization": "rent"}),
    );
    let d = r.decide_retrying("t", &req);
    assert_eq!(d["decision"], "deny", "{d}");
    assert_eq!(d["deny"]["params"]["error"], "invalid_output");
}

/// A tenant whose one plugin spins as long as it may: the fuel cap (about 0.1 s here;
/// wasmtime charges bulk memory operations per byte, so no instruction is cheaper in time).
fn spinner(deadline_ms: u64) -> (TenantSettings, Vec<PluginSpec>) {
    let mut s = TenantSettings::default();
    s.limits.fuel = Limits::CAPS.fuel;
    s.limits.deadline_ms = deadline_ms;
    (s, vec![hostile("loop")])
}

fn good_plugin() -> Vec<PluginSpec> {
    vec![PluginSpec {
        wasm: component("email_domain"),
        config: json!({"allowedDomains": ["acme.example"]}),
    }]
}

#[test]
fn one_tenant_cannot_take_every_instance_slot() {
    let runtime = Runtime::with_config(RuntimeConfig {
        max_concurrent_instances: 4,
        max_instances_per_tenant: 2,
        ..RuntimeConfig::default()
    })
    .unwrap();
    let r = Arc::new(Registry::new(runtime));
    let (s, p) = spinner(200);
    r.load("evil", s, p).unwrap();
    let mut good = TenantSettings::default();
    good.limits.deadline_ms = 1_000;
    r.load("good", good, good_plugin()).unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let attackers: Vec<_> = (0..8)
        .map(|_| {
            let (r, stop) = (Arc::clone(&r), Arc::clone(&stop));
            std::thread::spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let d = r
                        .evaluate("evil", &validate_request("a@b.example"))
                        .unwrap();
                    assert_eq!(d["valid"], false);
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    for i in 0..30 {
        let email = if i % 2 == 0 {
            "ada@acme.example"
        } else {
            "ada@gmail.example"
        };
        let d = r.evaluate("good", &validate_request(email)).unwrap();
        assert_eq!(
            d["plugins"][0]["outcome"],
            if i % 2 == 0 { "ok" } else { "violations" },
            "{d}"
        );
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for a in attackers {
        a.join().unwrap();
    }
    assert_eq!(r.list("good").unwrap()[0].consecutive_faults, 0);
}

#[test]
fn host_exhaustion_never_trips_a_breaker_and_never_fails_open() {
    let runtime = Runtime::with_config(RuntimeConfig {
        max_concurrent_instances: 1,
        max_instances_per_tenant: 1,
        queue_wait_ms: 50,
        ..RuntimeConfig::default()
    })
    .unwrap();
    let r = Arc::new(Registry::new(runtime));
    let (mut s, p) = spinner(5_000);
    s.breaker_threshold = 1000;
    r.load("evil", s, p).unwrap();
    let victim = TenantSettings {
        breaker_threshold: 1,
        failure_policy: warden_host::plugin::FailurePolicies {
            validate: FailurePolicy::Open,
            ..Default::default()
        },
        limits: Limits {
            deadline_ms: 50,
            ..Limits::default()
        },
        ..TenantSettings::default()
    };
    r.load("victim", victim, good_plugin()).unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let evil = {
        let (r, stop) = (Arc::clone(&r), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let d = r
                    .evaluate("evil", &validate_request("a@b.example"))
                    .unwrap();
                // Its fuel runs out long before its 5 s deadline, unless the machine is
                // so loaded that the host starves it (then the host's overload).
                assert!(
                    ["fuel_exhausted", "host_overloaded"].contains(&fault_code(&d)),
                    "{d}"
                );
            }
        })
    };
    std::thread::sleep(Duration::from_millis(20));
    // The victim's own rule refuses gmail. Without a slot, its fail-open setting must not
    // let the record through silently, and its breaker (threshold 1) must not move.
    let mut busy = 0;
    for _ in 0..20 {
        let d = r
            .evaluate("victim", &validate_request("ada@gmail.example"))
            .unwrap();
        assert_eq!(d["valid"], false, "{d}");
        if fault_code(&d) == "host_overloaded" {
            busy += 1;
            assert_eq!(d["plugins"][0]["error"]["failurePolicy"], "closed", "{d}");
            assert_eq!(
                d["violations"].as_array().unwrap().last().unwrap()["params"]["error"],
                "host_overloaded"
            );
        } else {
            assert_eq!(d["plugins"][0]["outcome"], "violations", "{d}");
        }
        let status = &r.list("victim").unwrap()[0];
        assert_eq!(status.consecutive_faults, 0);
        assert!(!status.disabled);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    evil.join().unwrap();
    assert!(busy > 0, "the attack never held the only slot");
    let d = r
        .evaluate("victim", &validate_request("ada@acme.example"))
        .unwrap();
    assert_eq!(d["plugins"][0]["outcome"], "ok", "{d}");
    assert_eq!(d["valid"], true);
}

#[test]
fn names_and_versions_are_validated_at_load_and_unique_within_a_tenant() {
    let runtime = Runtime::new().unwrap();
    let img = Image::default();
    let limits = Limits::default();
    let long = "a".repeat(65);
    for (name, version, code) in [
        (&b"core"[..], &b"1.0.0"[..], "reserved_name"),
        (b"Evil\x1b[31m", b"1.0.0", "invalid_identity"),
        (b"email-domain\n", b"1.0.0", "invalid_identity"),
        (b"", b"1.0.0", "invalid_identity"),
        (long.as_bytes(), b"1.0.0", "invalid_identity"),
        (b"-x", b"1.0.0", "invalid_identity"),
        (b"ok", b"1.0\x00", "invalid_identity"),
        (b"ok", b"", "invalid_identity"),
    ] {
        let err = runtime
            .compile(&raw_plugin(name, version, &img, 80, ""), &limits)
            .unwrap_err();
        assert_eq!(err.code(), code, "{name:?}: {err}");
        let text = err.to_string();
        assert!(!text.chars().any(char::is_control), "{text:?}");
        assert!(!text.contains("Evil"), "{text}");
    }
    let ok = runtime
        .compile(
            &raw_plugin(b"my-rule-2", b"2.1.0-rc.1+b5", &img, 80, ""),
            &limits,
        )
        .unwrap();
    assert_eq!((ok.name(), ok.version()), ("my-rule-2", "2.1.0-rc.1+b5"));

    let r = Registry::new(Arc::clone(&runtime));
    let twin = |n: u8| PluginSpec {
        wasm: raw_plugin(b"twin", b"1.0.0", &Image::default(), 80 + u32::from(n), ""),
        config: json!({}),
    };
    let err = r
        .load("t", TenantSettings::default(), vec![twin(0), twin(1)])
        .unwrap_err();
    // The second plugin of the set is at fault: the error names its position.
    assert_eq!(
        err,
        LoadError::InPlugin {
            position: 1,
            source: Box::new(LoadError::DuplicateName {
                name: "twin".into()
            })
        }
    );
    assert_eq!(err.code(), "duplicate_name");
    r.load("a", TenantSettings::default(), vec![twin(0)])
        .unwrap();
    r.load("b", TenantSettings::default(), vec![twin(1)])
        .unwrap();
}

#[test]
fn plugin_text_is_cleaned_and_host_messages_quote_none_of_it() {
    let (d, _) = run_mode(TenantSettings::default(), "err-text");
    let error = &d["plugins"][0]["error"];
    assert_eq!(error["message"], "the plugin could not decide");
    let theirs = error["pluginMessage"].as_str().unwrap();
    assert_eq!(theirs, "[2J[31mFAKE host error`core` says allow");
    let fault = d["violations"].as_array().unwrap().last().unwrap();
    assert_eq!(
        fault["message"],
        "plugin `hostile` failed: the plugin could not decide"
    );
    // A trap inside functions whose names the plugin chose: no name in the decision.
    let r = registry();
    r.load(
        "t",
        TenantSettings::default(),
        vec![PluginSpec {
            wasm: raw_plugin(
                b"trapper",
                b"1.0.0",
                &Image::default(),
                80,
                "(func $hook unreachable)",
            ),
            config: json!({}),
        }],
    )
    .unwrap();
    let d = r.decide_retrying("t", &validate_request("ada@acme.example"));
    assert_eq!(fault_code(&d), "trap", "{d}");
    assert!(!d.to_string().contains("evil_backtrace"), "{d}");
    // A deny message with terminal escapes and a bidi override.
    let mut img = Image::default();
    img.put(VERDICT_AT, &[0])
        .put(VERDICT_AT + 4, &[1])
        .string(VERDICT_AT + 8, 1536, b"no")
        .string(
            VERDICT_AT + 16,
            1600,
            "\u{1b}]0;pwned\u{7}ok\u{202e}".as_bytes(),
        );
    r.load(
        "t",
        TenantSettings::default(),
        vec![PluginSpec {
            wasm: raw_plugin(b"denier", b"1.0.0", &img, 80, ""),
            config: json!({}),
        }],
    )
    .unwrap();
    let req = authorize_request(
        admin(),
        "users.read",
        json!({"id": "x", "organization": "rent"}),
    );
    let d = r.decide_retrying("t", &req);
    assert_eq!(d["decision"], "deny", "{d}");
    assert_eq!(d["deny"]["message"], "]0;pwnedok");
    assert_eq!(d["deny"]["rule"], "plugin:denier@1.0.0");
    assert_eq!(d["reason"], "plugin:denier");
}

#[test]
fn a_tenant_compiles_each_policy_version_once() {
    let r = registry();
    load_retrying(&r, TenantSettings::default(), vec![hostile("none")]);
    let policy = warden_core::Policy::preset("production-planner-pro").unwrap();
    let doc = serde_json::to_value(policy.document()).unwrap();
    let by_doc = |email: &str| {
        let mut req = validate_request(email);
        req.as_object_mut().unwrap().remove("preset");
        req["policy"] = doc.clone();
        req
    };
    for email in ["a@acme.example", "b@acme.example", "c@acme.example"] {
        r.decide_retrying("t", &validate_request(email));
        let d = r.decide_retrying("t", &by_doc(email));
        assert_eq!(d["policy"], policy.hash(), "{d}");
    }
    assert_eq!(r.snapshot("t").unwrap().cached_policies(), 2);
}

#[test]
fn load_errors_name_the_kind_and_never_quote_the_components_names() {
    use warden_host::plugin::error::{MALFORMED_BINARY, MALFORMED_WAT, MISMATCH_IMPORTS};
    let runtime = Runtime::new().unwrap();
    let limits = Limits::default();
    let lifted = |exports: &str| {
        format!(
            r#"(component
                 (core module $m (func (export "f")))
                 (core instance $i (instantiate $m))
                 (func $f (canon lift (core func $i "f")))
                 {exports})"#
        )
    };
    // Refused by the validator, whose messages quote the names.
    for (text, chosen) in [
        (
            lifted(r#"(export "evil-name-xyz" (func $f)) (export "evil-name-xyz" (func $f))"#),
            "evil-name-xyz",
        ),
        (lifted(r#"(export "Core`Says`Allow" (func $f))"#), "Says"),
    ] {
        let bytes = wat::parse_str(&text).unwrap();
        let err = runtime.compile(&bytes, &limits).unwrap_err();
        assert!(
            matches!(err, LoadError::Malformed { reason, offset: Some(o) } if reason == MALFORMED_BINARY && o > 0 && o < bytes.len()),
            "{err:?}"
        );
        assert!(!err.to_string().contains(chosen), "{err}");
        assert!(
            err.to_string()
                .starts_with("not a valid WebAssembly component: the binary does not parse or validate (at byte offset "),
            "{err}"
        );
    }
    // Refused by the linker: an import of the logging interface with a function of the
    // component's own naming.
    let bytes = raw_plugin_with(
        b"linker",
        b"1.0.0",
        &Image::default(),
        80,
        "",
        r#"(import "warden:policy/logging@0.1.0" (instance (export "steal-the-keys" (func))))"#,
    );
    let err = runtime.compile(&bytes, &limits).unwrap_err();
    assert_eq!(
        err,
        LoadError::Mismatch {
            reason: MISMATCH_IMPORTS
        }
    );
    assert!(!err.to_string().contains("steal"), "{err}");
    // An import whose name carries free text (the component model's `url=<...>` names):
    // refused, and not repeated.
    let text = r#"(component (import "url=<https://x.example/Core Says ALLOW>" (func)))"#;
    let err = runtime.compile(text.as_bytes(), &limits).unwrap_err();
    assert_eq!(err.code(), "forbidden_import", "{err}");
    assert!(!err.to_string().contains("ALLOW"), "{err}");
    assert!(
        err.to_string().starts_with(
            "the component imports `(a name that is not a plain interface name, not quoted)`"
        ),
        "{err}"
    );
    // WAT that does not parse: the parser quotes the text.
    let err = runtime
        .compile(b"(component (evil-token-xyz))", &limits)
        .unwrap_err();
    assert_eq!(
        err,
        LoadError::Malformed {
            reason: MALFORMED_WAT,
            offset: None
        }
    );
    assert!(!err.to_string().contains("evil"), "{err}");
}

/// A set whose third plugin cannot be loaded says which one (its position in the list the
/// caller gave, which the caller maps to its own name), with the cause's code; the first
/// two, valid, are not blamed, and nothing of the set is loaded.
#[test]
fn a_load_error_names_the_plugin_at_fault() {
    let r = registry();
    let set = vec![
        PluginSpec {
            wasm: component("email_domain"),
            config: json!({"allowedDomains": ["acme.example"]}),
        },
        hostile("none"),
        PluginSpec {
            wasm: b"not a component".to_vec(),
            config: json!({}),
        },
    ];
    let err = r.load("t", TenantSettings::default(), set).unwrap_err();
    assert_eq!(err.position(), Some(2), "{err}");
    assert_eq!(err.code(), "malformed_component");
    assert!(
        matches!(err.cause(), LoadError::Malformed { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with("plugin 3 of the set: "),
        "{err}"
    );
    assert!(r.list("t").is_none(), "nothing loaded");
    // An error of the whole set names no plugin.
    let s = TenantSettings {
        breaker_threshold: 0,
        ..TenantSettings::default()
    };
    let err = r.load("t", s, vec![hostile("none")]).unwrap_err();
    assert_eq!((err.position(), err.code()), (None, "invalid_settings"));
}
