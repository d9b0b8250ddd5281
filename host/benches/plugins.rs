//! Plugin host costs: a decision with 0, 1 and 5 plugins (a fresh instance per plugin per
//! decision), the instantiation alone, with and without the pooling allocator, and the
//! time to stop an infinite loop by fuel and by epoch.
//!
//! Criterion reports means; a manual timing loop prints mean and p99 for each case.
//! Needs `scripts/build-components.sh` first.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "../tests/plugin_common/mod.rs"]
mod plugin_common;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use warden_host::plugin::{Limits, PluginSpec, Registry, Runtime, RuntimeConfig, TenantSettings};

use plugin_common::component;

fn request() -> Value {
    json!({"preset": "production-planner-pro", "op": "validate", "input": {"today": "2026-11-22",
        "user": {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@acme.example",
                 "password": "Tr0ub4dor&3x!", "organization": "acme"}}})
}

fn plugins(n: usize) -> Vec<PluginSpec> {
    let all = [
        ("email_domain", json!({"allowedDomains": ["acme.example"]})),
        ("four_eyes", json!({})),
        ("contractor", json!({})),
        ("hostile", json!({"mode": "none"})),
    ];
    let mut specs: Vec<PluginSpec> = all
        .into_iter()
        .take(n)
        .map(|(name, config)| PluginSpec {
            wasm: component(name),
            config,
        })
        .collect();
    // Names are unique within a tenant: the fifth is a minimal hand-written plugin.
    if n > 4 {
        specs.push(PluginSpec {
            wasm: plugin_common::raw_plugin(b"fifth", b"1.0.0", &Default::default(), 80, ""),
            config: json!({}),
        });
    }
    specs
}

fn registry(runtime: &Arc<Runtime>, n: usize) -> Registry {
    let r = Registry::new(Arc::clone(runtime));
    r.load("t", TenantSettings::default(), plugins(n)).unwrap();
    r
}

/// Mean and p99 of `f` over `n` runs, in microseconds.
fn timing(n: usize, mut f: impl FnMut()) -> (f64, f64) {
    for _ in 0..n / 10 {
        f();
    }
    let mut samples: Vec<Duration> = (0..n)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed()
        })
        .collect();
    samples.sort();
    let mean = samples.iter().sum::<Duration>().as_secs_f64() * 1e6 / n as f64;
    let p99 = samples[(n * 99 / 100).min(n - 1)].as_secs_f64() * 1e6;
    (mean, p99)
}

fn report() {
    let pooled = Runtime::new().unwrap();
    let on_demand = Runtime::with_config(RuntimeConfig {
        pooling: false,
        ..RuntimeConfig::default()
    })
    .unwrap();
    let req = request();
    println!("\n== manual timing (µs), 2000 runs each");
    for n in [0, 1, 5] {
        let r = registry(&pooled, n);
        let (mean, p99) = timing(2000, || {
            r.evaluate("t", &req).unwrap();
        });
        println!("decision with {n} plugin(s), pooling: mean {mean:.1} p99 {p99:.1}");
    }
    let r = registry(&on_demand, 1);
    let (mean, p99) = timing(2000, || {
        r.evaluate("t", &req).unwrap();
    });
    println!("decision with 1 plugin, on-demand allocator: mean {mean:.1} p99 {p99:.1}");
    for (label, rt) in [("pooling", &pooled), ("on-demand", &on_demand)] {
        let p = rt
            .compile(&component("email_domain"), &Limits::default())
            .unwrap();
        let (mean, p99) = timing(2000, || {
            rt.describe(&p, &Limits::default()).0.unwrap();
        });
        println!("instantiate + describe, {label}: mean {mean:.1} p99 {p99:.1}");
    }
    // Stopping an infinite loop.
    let hostile = pooled
        .compile(&component("hostile"), &Limits::default())
        .unwrap();
    let _ = hostile;
    for (label, limits) in [
        ("fuel 10M (default)", Limits::default()),
        (
            "fuel 1M",
            Limits {
                fuel: 1_000_000,
                ..Limits::default()
            },
        ),
        (
            "epoch, deadline 10 ms, fuel 1e9",
            Limits {
                fuel: Limits::CAPS.fuel,
                deadline_ms: 10,
                ..Limits::default()
            },
        ),
    ] {
        let r = Registry::new(Arc::clone(&pooled));
        let settings = TenantSettings {
            limits,
            breaker_threshold: 1000,
            ..TenantSettings::default()
        };
        r.load(
            "t",
            settings,
            vec![PluginSpec {
                wasm: component("hostile"),
                config: json!({"mode": "loop"}),
            }],
        )
        .unwrap();
        let mut code = String::new();
        let (mean, p99) = timing(50, || {
            let d = r.evaluate("t", &req).unwrap();
            code = d["plugins"][0]["error"]["code"]
                .as_str()
                .unwrap_or("")
                .to_owned();
        });
        println!("infinite loop stopped by {label} ({code}): mean {mean:.0} p99 {p99:.0}");
    }
}

fn bench(c: &mut Criterion) {
    report();
    let runtime = Runtime::new().unwrap();
    let req = request();
    for n in [0, 1, 5] {
        let r = registry(&runtime, n);
        c.bench_function(&format!("decision/{n}_plugins"), |b| {
            b.iter(|| r.evaluate("t", &req).unwrap())
        });
    }
    let p = runtime
        .compile(&component("email_domain"), &Limits::default())
        .unwrap();
    c.bench_function("instantiate+describe", |b| {
        b.iter(|| runtime.describe(&p, &Limits::default()).0.unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
