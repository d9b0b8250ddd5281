//! The native anchor of `scripts/bench-sdks.sh`: the module's own adapter
//! (`warden_component::module`) compiled natively, timed on the same requests as the SDK
//! benches (the record rule set of BENCHMARKS.md, one authorization). Prints Markdown rows.
//!
//! `cargo run --release -p warden-component --example native_bench [N]`

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use warden_component::module;
use warden_core::api;

const ROUNDS: usize = 7;

fn records(n: usize, bad_per_100: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let mut r = json!({
                "firstName": format!("Ada{}", i % 97),
                "lastName": format!("Lovelace-{i}"),
                "email": format!("ada.lovelace{i}@acme{}.example", i % 13),
                "phone": format!("+3361234{:04}", i % 10000),
                "employeeId": format!("EMP-{:05}", i % 100_000),
                "organization": format!("org-{}", i % 50),
            });
            let Some(o) = r.as_object_mut() else {
                return r;
            };
            if i % 3 == 0 {
                o.remove("phone");
            }
            if i % 100 < bad_per_100 {
                match (i / 100 + i) % 8 {
                    0 => o.insert("email".into(), format!("user{i}.example.com").into()),
                    1 => o.insert("email".into(), format!("user{i}@@acme.example").into()),
                    2 => o.insert("phone".into(), "+33612".into()),
                    3 => o.insert("phone".into(), format!("0612{i:06}").into()),
                    4 => o.insert("employeeId".into(), format!("E-{i}").into()),
                    5 => o.remove("lastName"),
                    6 => o.insert("firstName".into(), "A".repeat(101).into()),
                    _ => o.insert("lastName".into(), format!("Love\u{7}lace{i}").into()),
                };
            }
            r
        })
        .collect()
}

/// Median over the rounds of the mean time per request.
fn per_call(handle: u32, requests: &[Vec<u8>]) -> Duration {
    per_call_both(handle, requests, None).0
}

/// The module's whole call (the decision and its text, `warden_output`) and, when a policy
/// is given, in the same rounds interleaved, the Value path the module took before the text
/// path (request text → `Value` → typed input; decision → `Value` → text): medians.
fn per_call_both(
    handle: u32,
    requests: &[Vec<u8>],
    policy: Option<&warden_core::Policy>,
) -> (Duration, Duration) {
    let per = |t: Instant| t.elapsed() / u32::try_from(requests.len().max(1)).unwrap_or(1);
    let (mut text, mut value) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let t = Instant::now();
        for r in requests {
            let _ = module::finish(module::evaluate(handle, r));
        }
        text.push(per(t));
        if let Some(policy) = policy {
            let t = Instant::now();
            for r in requests {
                let _ = by_value(policy, r);
            }
            value.push(per(t));
        }
    }
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v.get(v.len() / 2).copied().unwrap_or_default()
    };
    (median(text), median(value))
}

/// The module's evaluation before the text path, for the same bytes out.
fn by_value(policy: &warden_core::Policy, request: &[u8]) -> Option<Vec<u8>> {
    let value: Value = serde_json::from_slice(request).ok()?;
    let req: api::Request = api::parse_value("", value).ok()?;
    let decision = api::evaluate_with(policy, req.op, req.lang, req.input).ok()?;
    serde_json::to_vec(&decision).ok()
}

fn handle_of(v: &module::Output) -> u32 {
    v.to_value()
        .ok()
        .as_ref()
        .and_then(|v| v.get("handle"))
        .and_then(Value::as_u64)
        .and_then(|h| u32::try_from(h).ok())
        .unwrap_or(0)
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000);
    let doc = include_str!("../../benches/compare/compare-policy.json");
    let policy: Value = serde_json::from_str(doc).unwrap_or(Value::Null);
    let Ok(loaded) = module::load_policy(json!({ "policy": policy }).to_string().as_bytes()) else {
        eprintln!("the comparison policy does not load");
        std::process::exit(1);
    };
    let handle = handle_of(&loaded);
    let native = api::load_policy(None, Some(&policy)).ok();
    for bad in [0, 50] {
        let requests: Vec<Vec<u8>> = records(n, bad)
            .into_iter()
            .map(|user| {
                json!({"op": "validate", "input": {"user": user, "today": "2026-11-22"}})
                    .to_string()
                    .into_bytes()
            })
            .collect();
        let (t, v) = per_call_both(handle, &requests, native.as_ref());
        println!("| native Rust | validate, {bad}% invalid (JSON in, JSON out) | {t:?} | | |");
        println!(
            "| native Rust | the same by the Value path (before the text path) | {t:?} | {v:?} | {:.2}× |",
            v.as_secs_f64() / t.as_secs_f64().max(1e-12)
        );
    }
    let hr = module::load_policy(br#"{"preset": "hr-platform"}"#).map_or(0, |v| handle_of(&v));
    let req = json!({"op": "authorize", "input": {
        "actor": {"id": "m1", "organization": "hr", "manager": "d1", "roles": ["manager"]},
        "action": "users.read",
        "target": {"id": "e1", "organization": "hr", "manager": "m1"},
        "now": "2026-11-22T10:00:00Z"}})
    .to_string()
    .into_bytes();
    let t = per_call(hr, &vec![req; n]);
    println!("| native Rust | authorize (allow, team scope) | {t:?} | | |");
}
