//! Bench-only crate: Warden measured side by side with the tools its users would otherwise
//! pick (garde, validator, cedar-policy, casbin), on the same work, in the same run.
//!
//! Run everything with `scripts/bench-all.sh` (writes `BENCHMARKS.md`); the Rust halves are
//! `cargo bench -p warden-compare --bench validate` and `--bench authorize`. This library
//! only holds the helpers the benches share: sizes, medians and the Markdown fragments.

use std::path::PathBuf;
use std::time::Instant;

/// Whether the heavy sizes run (`WARDEN_BENCH_FULL=1`: 1,000,000 users).
pub fn full() -> bool {
    std::env::var("WARDEN_BENCH_FULL").is_ok_and(|v| v == "1")
}

/// Whether this is the CI smoke run (`WARDEN_BENCH_SMOKE=1`: tiny sizes, few rounds).
pub fn smoke() -> bool {
    std::env::var("WARDEN_BENCH_SMOKE").is_ok_and(|v| v == "1")
}

/// The median of `xs` (0 when empty).
pub fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    match xs.len() {
        0 => 0.0,
        n => xs.get(n / 2).copied().unwrap_or_default(),
    }
}

/// Runs `f` once and returns the elapsed nanoseconds.
pub fn time_ns(f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_nanos() as f64
}

/// Where the benches write their Markdown fragments (`WARDEN_COMPARE_OUT`, default
/// `target/bench-compare` under the workspace).
pub fn out_dir() -> PathBuf {
    std::env::var_os("WARDEN_COMPARE_OUT").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-compare"),
        PathBuf::from,
    )
}

/// Writes a Markdown fragment `name.md` into [`out_dir`] and echoes it to stdout.
///
/// # Errors
/// When the directory or the file cannot be written.
pub fn write_fragment(name: &str, markdown: &str) -> std::io::Result<()> {
    let dir = out_dir();
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join(format!("{name}.md")), markdown)?;
    println!("{markdown}");
    Ok(())
}

/// Formats nanoseconds for a table: `812 ns`, `3.4 µs`, `12.1 ms`, `2.30 s`.
pub fn fmt_ns(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.1} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.1} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

/// A ratio `other / warden` as `12.3×` (above 1: Warden is faster or smaller).
pub fn ratio(other: f64, warden: f64) -> String {
    if warden <= 0.0 {
        return "n/a".into();
    }
    let r = other / warden;
    if r >= 10.0 {
        format!("{r:.0}×")
    } else {
        format!("{r:.2}×")
    }
}
