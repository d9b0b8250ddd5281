//! Measures, per class of issue 15, the bound the host enforces against a hostile tenant:
//! wall time, the process's peak resident memory (`VmHWM` of /proc/self/status) and the
//! bytes the host produced. One scenario per process, so that each peak is its own:
//! `scripts/measure-hostile.sh` runs them all and prints a table.
//!
//! `cargo bench -p warden-host --bench hostile -- SCENARIO` (`list` prints the names;
//! `WARDEN_BENCH_OPTIMIZE_PLUGINS=1`: with `RuntimeConfig::optimize_plugin_code`).
//! Needs `scripts/build-components.sh` first.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../tests/plugin_common/mod.rs"]
mod plugin_common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use plugin_common::{Image, VALIDATE_AT, component, raw_plugin, validate_request};
use serde_json::{Value, json};
use warden_host::plugin::{Limits, PluginSpec, Registry, Runtime, RuntimeConfig, TenantSettings};

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn caps() -> TenantSettings {
    TenantSettings {
        limits: Limits {
            max_module_bytes: Limits::DEFAULT.max_module_bytes,
            ..Limits::CAPS
        },
        ..TenantSettings::default()
    }
}

fn nested(levels: usize) -> Vec<u8> {
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
    let mut sizes = vec![HEADER.len()];
    for _ in 0..levels {
        let inner = *sizes.last().unwrap();
        let mut p = vec![4u8];
        leb(inner, &mut p);
        sizes.push(HEADER.len() + p.len() + inner);
    }
    let mut out = Vec::new();
    for i in (0..levels).rev() {
        out.extend_from_slice(&HEADER);
        out.push(4);
        leb(sizes[i], &mut out);
    }
    out.extend_from_slice(&HEADER);
    out
}

/// `functions` functions of about `body` bytes of branchy code each, in one module.
fn branchy(functions: usize, body: usize) -> Vec<u8> {
    let step = "(if (local.get 0) (then (local.set 1 (i32.add (local.get 1) (i32.const 7))))) ";
    // Each step is 13 bytes of code.
    let per = (body / 13).max(1);
    let f = format!(
        "(func (param i32) (result i32) (local i32) {} (local.get 1))",
        step.repeat(per)
    );
    let text = format!("(component (core module {}))", f.repeat(functions));
    wat::parse_str(&text).unwrap()
}

fn decide(r: &Registry, tenant: &str) -> Value {
    r.evaluate(tenant, &validate_request("ada@acme.example"))
        .unwrap()
}

fn hostile(mode: Value) -> Vec<PluginSpec> {
    vec![PluginSpec {
        wasm: component("hostile"),
        config: mode,
    }]
}

type Measured = Box<dyn FnOnce() -> (String, usize)>;

/// The runtime's default configuration, or with plugins' code optimised when
/// `WARDEN_BENCH_OPTIMIZE_PLUGINS=1` (what the compile-time scenarios then cost).
fn config() -> RuntimeConfig {
    RuntimeConfig {
        optimize_plugin_code: std::env::var("WARDEN_BENCH_OPTIMIZE_PLUGINS")
            .is_ok_and(|v| v == "1"),
        ..RuntimeConfig::default()
    }
}

/// Prepares a scenario (inputs built, plugins loaded) and returns what is measured.
fn prepare(scenario: &str) -> Measured {
    let runtime = Runtime::with_config(config()).unwrap();
    let r = Registry::new(Arc::clone(&runtime));
    match scenario {
        "nesting-5000" | "nesting-150000" => {
            let levels = scenario.trim_start_matches("nesting-").parse().unwrap();
            let bytes = nested(levels);
            Box::new(move || {
                let err = runtime.compile(&bytes, &Limits::default()).unwrap_err();
                (format!("{} bytes in: {err}", bytes.len()), 0)
            })
        }
        "functions-100000" => {
            let bytes = branchy(100_000, 1);
            Box::new(move || {
                let err = runtime.compile(&bytes, &Limits::default()).unwrap_err();
                (format!("{} bytes in: {err}", bytes.len()), 0)
            })
        }
        "functions-at-limit" => {
            // 10,000 functions (the default limit), the rest of the 2 MiB in them.
            let bytes = branchy(10_000, (2 << 20) / 10_000 - 40);
            Box::new(move || {
                let err = runtime.compile(&bytes, &Limits::default()).unwrap_err();
                (format!("{} bytes compiled, then: {err}", bytes.len()), 0)
            })
        }
        "big-functions-at-limit" => {
            // 2 MiB (the default module limit) of 64 KiB branchy functions.
            let bytes = branchy(31, (64 << 10) - 64);
            Box::new(move || {
                let err = runtime.compile(&bytes, &Limits::default()).unwrap_err();
                (format!("{} bytes compiled, then: {err}", bytes.len()), 0)
            })
        }
        "log-empty-default" | "log-empty-caps" => {
            let s = if scenario.ends_with("caps") {
                caps()
            } else {
                TenantSettings::default()
            };
            r.load("t", s, hostile(json!({"mode": "log-empty"})))
                .unwrap();
            Box::new(move || {
                let d = decide(&r, "t");
                let p = &d["plugins"][0];
                (
                    format!(
                        "{}, {} lines kept, {} dropped",
                        p["error"]["code"],
                        p["log"].as_array().map_or(0, Vec::len),
                        p["logDropped"]
                    ),
                    d.to_string().len(),
                )
            })
        }
        "log-huge-caps" => {
            r.load(
                "t",
                caps(),
                hostile(json!({"mode": "log-huge", "bytes": 4 << 20, "lines": 1000})),
            )
            .unwrap();
            Box::new(move || {
                let d = decide(&r, "t");
                let p = &d["plugins"][0];
                (
                    format!(
                        "{} {}, {} lines kept, {} dropped",
                        p["outcome"],
                        p["error"]["code"],
                        p["log"].as_array().map_or(0, Vec::len),
                        p["logDropped"]
                    ),
                    d.to_string().len(),
                )
            })
        }
        "violations-default" | "violations-caps" => {
            let (s, n) = if scenario.ends_with("caps") {
                (caps(), 1024)
            } else {
                (TenantSettings::default(), 64)
            };
            r.load("t", s, hostile(json!({"mode": "many", "n": n})))
                .unwrap();
            Box::new(move || {
                let d = decide(&r, "t");
                let p = &d["plugins"][0];
                (
                    format!(
                        "{} {}, outputBytes {}",
                        p["outcome"], p["error"]["code"], p["outputBytes"]
                    ),
                    d.to_string().len(),
                )
            })
        }
        "aliasing-caps" => {
            let mut img = Image::default();
            let n = 1024u32;
            img.put(VALIDATE_AT, &[0])
                .u32(VALIDATE_AT + 4, 65536)
                .u32(VALIDATE_AT + 8, n);
            for i in 0..n as usize {
                let v = 65536 + i * 36;
                img.string(v, 1536, b"a");
                img.put(v + 16, &[0]);
                img.u32(v + 20, 8 << 20).u32(v + 24, 200 << 20);
                img.string(v + 28, 1540, b"{}");
            }
            let wasm = raw_plugin(b"aliasing", b"1.0.0", &img, 4096, "");
            r.load(
                "t",
                caps(),
                vec![PluginSpec {
                    wasm,
                    config: json!({}),
                }],
            )
            .unwrap();
            Box::new(move || {
                let d = decide(&r, "t");
                let p = &d["plugins"][0];
                (
                    format!("{} {}", p["outcome"], p["error"]["message"]),
                    d.to_string().len(),
                )
            })
        }
        "slots" => {
            let r = Arc::new(r);
            let mut evil = caps();
            evil.limits.deadline_ms = 200;
            evil.breaker_threshold = 1000;
            r.load("evil", evil, hostile(json!({"mode": "loop"})))
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
            Box::new(move || {
                let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
                let codes = Arc::new(std::sync::Mutex::new(std::collections::BTreeMap::new()));
                let attackers: Vec<_> = (0..300)
                    .map(|_| {
                        let (r, stop, codes) =
                            (Arc::clone(&r), Arc::clone(&stop), Arc::clone(&codes));
                        std::thread::spawn(move || {
                            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                                let d = decide(&r, "evil");
                                let code = outcome(&d["plugins"][0]);
                                *codes.lock().unwrap().entry(code).or_insert(0u32) += 1;
                            }
                        })
                    })
                    .collect();
                std::thread::sleep(Duration::from_millis(300));
                let mut worst = Duration::ZERO;
                let mut held = 0;
                let mut faults = 0;
                for _ in 0..200 {
                    let t = Instant::now();
                    let d = decide(&r, "good");
                    worst = worst.max(t.elapsed());
                    held = held.max(r.runtime().instances_in_use());
                    if d["plugins"][0]["outcome"] != "ok" {
                        faults += 1;
                        eprintln!("good tenant: {}", d["plugins"][0]["error"]);
                    }
                }

                stop.store(true, std::sync::atomic::Ordering::Relaxed);
                for a in attackers {
                    a.join().unwrap();
                }
                (
                    format!(
                        "300 attacker threads ({:?}); good tenant: 200 calls, {faults} faults, slowest {worst:?}; at most {held} instances in use (tenant cap 64)",
                        codes.lock().unwrap()
                    ),
                    0,
                )
            })
        }
        "cpu-alone" | "cpu-attacked" | "cpu-attacked-no-admission" => cpu_saturation(scenario),
        other => panic!("unknown scenario `{other}`"),
    }
}

const SCENARIOS: [&str; 16] = [
    "nesting-5000",
    "nesting-150000",
    "functions-100000",
    "functions-at-limit",
    "big-functions-at-limit",
    "log-empty-default",
    "log-empty-caps",
    "log-huge-caps",
    "violations-default",
    "violations-caps",
    "aliasing-caps",
    "slots",
    "cpu-alone",
    "cpu-attacked",
    "cpu-attacked-no-admission",
    "list",
];

/// A plugin report's outcome: the fault's code, and for an overload its cause.
fn outcome(p: &Value) -> String {
    let code = p["error"]["code"].as_str().unwrap_or("none");
    let message = p["error"]["message"].as_str().unwrap_or("");
    let cause = if code != "host_overloaded" {
        ""
    } else if message.contains("reached its deadline") {
        ":starved"
    } else if message.contains("CPU slot") {
        ":queue-wait"
    } else {
        ":instances"
    };
    format!("{code}{cause}")
}

/// CPU saturation: a victim tenant's 400 decisions (its own `email-domain` rule, breaker
/// at 1) alone, then while an attacker's fuel burners (the `hostile` loop and a bare wasm
/// loop, fuel at the cap, deadline 300 ms) run from 4 threads per core; and the same attack
/// with CPU admission off (every call runs at once) to show what the deadline
/// classification does alone.
fn cpu_saturation(scenario: &str) -> Measured {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let config = if scenario == "cpu-attacked-no-admission" {
        RuntimeConfig {
            max_running_calls: 256,
            max_running_per_tenant: 256,
            ..config()
        }
    } else {
        config()
    };
    let runtime = Runtime::with_config(config).unwrap();
    let r = Arc::new(Registry::new(Arc::clone(&runtime)));
    let mut evil = TenantSettings::default();
    evil.limits.fuel = Limits::CAPS.fuel;
    evil.limits.deadline_ms = 300;
    evil.breaker_threshold = 1000;
    r.load(
        "evil",
        evil,
        vec![
            PluginSpec {
                wasm: component("hostile"),
                config: json!({"mode": "loop"}),
            },
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
    let victim = TenantSettings {
        breaker_threshold: 1,
        ..TenantSettings::default()
    };
    r.load(
        "victim",
        victim,
        vec![PluginSpec {
            wasm: component("email_domain"),
            config: json!({"allowedDomains": ["acme.example"]}),
        }],
    )
    .unwrap();
    let attack = scenario != "cpu-alone";
    Box::new(move || {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let codes = Arc::new(std::sync::Mutex::new(std::collections::BTreeMap::new()));
        let attackers: Vec<_> = (0..if attack { 4 * cores } else { 0 })
            .map(|_| {
                let (r, stop, codes) = (Arc::clone(&r), Arc::clone(&stop), Arc::clone(&codes));
                std::thread::spawn(move || {
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        let d = decide(&r, "evil");
                        let mut codes = codes.lock().unwrap();
                        for p in d["plugins"].as_array().unwrap() {
                            *codes.entry(outcome(p)).or_insert(0u32) += 1;
                        }
                    }
                })
            })
            .collect();
        if attack {
            while runtime.calls_running() == 0 {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        let mut times = Vec::with_capacity(400);
        let mut faults = std::collections::BTreeMap::new();
        let mut bytes = 0;
        let mut queued = 0u64;
        for _ in 0..400 {
            let t = Instant::now();
            let d = decide(&r, "victim");
            times.push(t.elapsed());
            queued = queued.max(d["plugins"][0]["queueMicros"].as_u64().unwrap_or(0));
            bytes = bytes.max(d.to_string().len());
            if d["plugins"][0]["error"].is_object() {
                *faults.entry(outcome(&d["plugins"][0])).or_insert(0u32) += 1;
            }
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for a in attackers {
            a.join().unwrap();
        }
        times.sort();
        let pct = |p: usize| times[(times.len() * p / 100).min(times.len() - 1)];
        let status = &r.list("victim").unwrap()[0];
        (
            format!(
                "victim: 400 decisions, p50 {:?}, p99 {:?}, max {:?}, longest queue wait {:?}, faults {faults:?}, breaker: {} counted, disabled {}; attacker ({} threads): {:?}",
                pct(50),
                pct(99),
                times[times.len() - 1],
                Duration::from_micros(queued),
                status.consecutive_faults,
                status.disabled,
                if attack { 4 * cores } else { 0 },
                codes.lock().unwrap()
            ),
            bytes,
        )
    })
}

fn main() {
    let scenario = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .unwrap_or_else(|| "list".into());
    if scenario == "list" {
        for s in SCENARIOS.iter().filter(|s| **s != "list") {
            println!("{s}");
        }
        return;
    }
    let measured = prepare(&scenario);
    // Reset the peak to the current resident set: the peak below is the scenario's.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = peak_rss_kib();
    let start = Instant::now();
    let (what, bytes) = measured();
    let took = start.elapsed();
    println!(
        "{scenario}\t{:.3} s\tpeak RSS {} MiB (at start {} MiB)\toutput {bytes} B\t{what}",
        took.as_secs_f64(),
        peak_rss_kib() / 1024,
        before / 1024
    );
}
