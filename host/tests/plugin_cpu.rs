//! Issue 15, CPU: no tenant starves another of CPU, and starvation never trips a victim's
//! circuit breaker. Its own test binary, its tests one at a time: they saturate the
//! machine on purpose, and would starve the other suites' plugins running beside them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod plugin_common;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use plugin_common::{Image, component, raw_plugin, validate_request};
use serde_json::{Value, json};
use warden_host::plugin::{
    FailurePolicy, Limits, PluginSpec, Registry, Runtime, RuntimeConfig, TenantSettings,
};

/// One saturating test at a time.
fn serial() -> MutexGuard<'static, ()> {
    static ONE: Mutex<()> = Mutex::new(());
    ONE.lock().unwrap_or_else(PoisonError::into_inner)
}

fn hostile(mode: &str) -> PluginSpec {
    PluginSpec {
        wasm: component("hostile"),
        config: json!({"mode": mode}),
    }
}

/// A tenant whose one plugin spins as long as it may: fuel at the cap, this deadline.
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

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// Runs `calls` of `tenant` from `threads` threads at once (released together), and
/// returns every plugin report.
fn concurrently(r: &Arc<Registry>, tenant: &str, threads: usize, calls: usize) -> Vec<Value> {
    let barrier = Arc::new(std::sync::Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (r, barrier, tenant) = (Arc::clone(r), Arc::clone(&barrier), tenant.to_owned());
            std::thread::spawn(move || {
                barrier.wait();
                (0..calls)
                    .map(|_| {
                        let d = r
                            .evaluate(&tenant, &validate_request("a@b.example"))
                            .unwrap();
                        assert_eq!(d["valid"], false, "every fault fails closed: {d}");
                        d["plugins"][0].clone()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect()
}

#[test]
fn a_deadline_reached_without_the_cpu_is_the_hosts_overload_and_never_counted() {
    let _one = serial();
    // No CPU admission to speak of: 8 calls per core run at once, each spinning with fuel to
    // spare until its deadline. In any deadline's window the cores give all of them
    // together at most `cores x deadline` of CPU, so most get far less than half their
    // deadline: the host starved them, and it says so.
    let n = 8 * cores();
    let runtime = Runtime::with_config(RuntimeConfig {
        max_running_calls: n as u32,
        max_running_per_tenant: n as u32,
        ..RuntimeConfig::default()
    })
    .unwrap();
    let r = Arc::new(Registry::new(runtime));
    let (mut s, p) = spinner(200);
    s.breaker_threshold = 1000;
    r.load("t", s, p).unwrap();
    let reports = concurrently(&r, "t", n, 1);
    let (mut starved, mut counted) = (0, 0);
    for p in &reports {
        let cpu = p["cpuMicros"]
            .as_u64()
            .expect("Linux has a thread CPU clock");
        match p["error"]["code"].as_str().unwrap() {
            "host_overloaded" => {
                starved += 1;
                assert!(cpu < 100_000, "{p}");
                assert_eq!(p["error"]["failurePolicy"], "closed");
                let m = p["error"]["message"].as_str().unwrap();
                assert!(
                    m.starts_with(
                        "the host is overloaded: the call reached its deadline of 200 ms with"
                    ),
                    "{m}"
                );
            }
            "deadline_exceeded" => {
                counted += 1;
                assert!(cpu >= 100_000, "{p}");
                // The fuel it burned is read back after the interrupt.
                assert!(p["fuelUsed"].as_u64().unwrap() > 0, "{p}");
            }
            "fuel_exhausted" => counted += 1,
            other => panic!("unexpected {other}: {p}"),
        }
    }
    assert!(
        starved > 0,
        "{n} spinners on {} cores: {reports:?}",
        cores()
    );
    // Only the faults that are the plugin's count toward its breaker.
    assert_eq!(r.list("t").unwrap()[0].consecutive_faults, counted);
}

#[test]
fn a_tenant_saturating_the_cpu_neither_starves_nor_disables_another() {
    let _one = serial();
    // The default runtime: one running slot per core, half of them at most to one tenant.
    let runtime = Runtime::new().unwrap();
    let config = runtime.config();
    assert_eq!(config.max_running_calls as usize, cores());
    let r = Arc::new(Registry::new(Arc::clone(&runtime)));
    // The attacker: two fuel burners at the caps, called from 4 threads per core.
    let mut evil = TenantSettings::default();
    evil.limits.fuel = Limits::CAPS.fuel;
    evil.limits.deadline_ms = 300;
    evil.breaker_threshold = 1000;
    r.load(
        "evil",
        evil,
        vec![
            hostile("loop"),
            PluginSpec {
                wasm: raw_plugin(
                    b"burner",
                    b"1.0.0",
                    &Image::default(),
                    80,
                    "(func $hook (loop $l (br $l)))",
                ),
                config: json!({}),
            },
        ],
    )
    .unwrap();
    // The victim: its own rule, a breaker that trips on the first fault it counts, and
    // fail-open chosen for validation (an overload must still fail closed).
    let victim = TenantSettings {
        breaker_threshold: 1,
        failure_policy: warden_host::plugin::FailurePolicies {
            validate: FailurePolicy::Open,
            ..Default::default()
        },
        ..TenantSettings::default()
    };
    r.load("victim", victim, good_plugin()).unwrap();

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let codes = Arc::new(std::sync::Mutex::new(std::collections::BTreeMap::new()));
    let attackers: Vec<_> = (0..4 * cores())
        .map(|_| {
            let (r, stop, codes) = (Arc::clone(&r), Arc::clone(&stop), Arc::clone(&codes));
            std::thread::spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let d = r
                        .evaluate("evil", &validate_request("a@b.example"))
                        .unwrap();
                    assert_eq!(d["valid"], false, "{d}");
                    for p in d["plugins"].as_array().unwrap() {
                        let code = p["error"]["code"].as_str().unwrap_or("none").to_owned();
                        *codes.lock().unwrap().entry(code).or_insert(0u32) += 1;
                    }
                }
            })
        })
        .collect();
    // Until the attack is on: an attacker's call is running.
    while runtime.calls_running() == 0 {
        std::thread::sleep(Duration::from_millis(1));
    }
    let (mut served, mut overloaded) = (0, 0);
    for i in 0..40 {
        let gmail = i % 2 == 1;
        let email = if gmail {
            "ada@gmail.example"
        } else {
            "ada@acme.example"
        };
        let d = r.evaluate("victim", &validate_request(email)).unwrap();
        let p = &d["plugins"][0];
        assert!(runtime.calls_running() <= config.max_running_calls);
        assert!(p["queueMicros"].is_u64(), "{p}");
        match p["outcome"].as_str().unwrap() {
            "ok" | "violations" => {
                served += 1;
                assert_eq!(p["outcome"], if gmail { "violations" } else { "ok" }, "{d}");
                assert_eq!(d["valid"], !gmail, "{d}");
            }
            _ => {
                overloaded += 1;
                assert_eq!(p["error"]["code"], "host_overloaded", "{d}");
                if p["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("queue wait")
                {
                    // Turned away only after the whole queue wait.
                    assert!(p["queueMicros"].as_u64().unwrap() >= 250_000, "{d}");
                }
                assert_eq!(p["error"]["failurePolicy"], "closed", "{d}");
                assert_eq!(d["valid"], false, "an overload never fails open: {d}");
            }
        }
        let status = &r.list("victim").unwrap()[0];
        assert_eq!(status.consecutive_faults, 0, "{d}");
        assert!(!status.disabled);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for a in attackers {
        a.join().unwrap();
    }
    let codes = codes.lock().unwrap().clone();
    // The attacker fails on its own limits, or is throttled (waits in its own queue and
    // is turned away): nothing else.
    for code in codes.keys() {
        assert!(
            ["fuel_exhausted", "deadline_exceeded", "host_overloaded"].contains(&code.as_str()),
            "{codes:?}"
        );
    }
    assert!(
        codes.get("host_overloaded").copied().unwrap_or(0) > 0,
        "throttled: {codes:?}"
    );
    assert!(served > 0, "served {served}, overloaded {overloaded}");
    // After the attack, the victim is served as before.
    let d = r
        .evaluate("victim", &validate_request("ada@acme.example"))
        .unwrap();
    assert_eq!(d["plugins"][0]["outcome"], "ok", "{d}");
}
