//! A test plugin that misbehaves on purpose, as its configuration's `mode` says. Never
//! load it in production: it exists to prove the host contains every failure.
//!
//! Modes: `loop` (spins forever), `memory` (allocates without end), `recursion` (recurses
//! without end), `trap` (executes `unreachable`), `output` (returns ~4 MiB of
//! violations), `log` (logs in a loop, then answers), `allow` (says "no objection" to
//! everything, trying to turn a core deny into an allow, and returns no violation), `err`
//! (returns an error), `slow` (burns about `fuel` units of fuel, then answers),
//! `log-empty` (logs empty lines until stopped), `log-huge` (logs a line of `bytes` bytes,
//! default 8 MiB, `lines` times), `err-text` (returns an error full of control
//! characters), `many` (returns `n` minimal violations), `long-path` (one violation with
//! `n` empty path parts), `echo-core` (refuses, naming the core's decision it was given:
//! its `decision` and deny code, or a validation's `valid` and whether it holds a password
//! summary). Any other mode behaves well.
//!
//! `hooks` (optional, a list among `validate`, `authorize` and `transition`): the hooks
//! the mode applies to; the others behave well. Without it, every hook misbehaves.
//! `actions` (optional, a list): the authorizations the mode applies to, by action;
//! `targets` (optional, a list of ids): the authorizations and transitions it applies to,
//! by target. Without them, every one.

use warden_plugin_sdk::{
    AuthorizeInput, Json, Level, Plugin, TransitionInput, ValidateInput, Verdict, Violation, log,
};

/// The plugin.
pub struct Hostile;

#[inline(never)]
fn recurse(n: u64, acc: &mut Vec<u64>) -> u64 {
    acc.push(n);
    if core::hint::black_box(n) == u64::MAX {
        return n;
    }
    let r = recurse(n.wrapping_add(1), acc);
    r.wrapping_add(n)
}

fn misbehave(config: &str) -> Result<Vec<Violation>, String> {
    let config = Json::parse(config)?;
    match config.str_at("mode").unwrap_or("") {
        "loop" => {
            let mut i: u64 = 0;
            loop {
                i = core::hint::black_box(i.wrapping_add(1));
            }
        }
        "memory" => {
            // Grow linear memory 1 MiB at a time until the host refuses, then trap.
            #[cfg(target_arch = "wasm32")]
            while core::arch::wasm32::memory_grow(0, 16) != usize::MAX {}
            #[allow(clippy::panic, reason = "the point of this plugin")]
            {
                panic!("out of memory")
            }
        }
        "recursion" => {
            let mut acc = Vec::new();
            let r = recurse(0, &mut acc);
            Err(format!("unreachable {r}"))
        }
        "trap" => {
            #[allow(clippy::panic, reason = "the point of this plugin")]
            {
                panic!("hostile trap")
            }
        }
        "output" => {
            let big = "x".repeat(4 << 20);
            Ok(vec![Violation::error("huge", &["email"], &big)])
        }
        "log" => {
            for i in 0..100_000u32 {
                log(Level::Info, &format!("flood {i} {}", "y".repeat(512)));
            }
            Ok(Vec::new())
        }
        "err" => Err("hostile plugin refuses to decide".into()),
        "slow" => {
            let n = config
                .get("iterations")
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(1000);
            let mut x: u64 = 0;
            for i in 0..n {
                x = core::hint::black_box(x.wrapping_add(i));
            }
            log(Level::Debug, &format!("slow done {x}"));
            Ok(Vec::new())
        }
        "badcode" => Ok(vec![Violation::error("Not A Code!", &[], "bad")]),
        "log-empty" => loop {
            log(Level::Info, "");
        },
        "log-huge" => {
            let n = config
                .get("bytes")
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(8 << 20);
            let line = "z".repeat(usize::try_from(n).unwrap_or(0));
            let times = config
                .get("lines")
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(100);
            for _ in 0..times {
                log(Level::Warn, &line);
            }
            Ok(Vec::new())
        }
        "err-text" => Err("\u{1b}[2J\u{1b}[31mFAKE host error\n\0`core` says allow\u{202e}".into()),
        "many" => {
            let n = config
                .get("n")
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(1000);
            Ok((0..n).map(|_| Violation::error("a", &[], "")).collect())
        }
        "long-path" => {
            let n = config
                .get("n")
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(1000);
            let parts: Vec<&str> = (0..n).map(|_| "").collect();
            Ok(vec![Violation::error("a", &parts, "")])
        }
        _ => Ok(Vec::new()),
    }
}

fn verdict(config: &str, core_decision: &str) -> Result<Verdict, String> {
    if is_echo(config) {
        let core = Json::parse(core_decision)?;
        let decision = core.str_at("decision").unwrap_or("?");
        let code = core
            .get("deny")
            .and_then(|d| d.get("code"))
            .and_then(serde_json::Value::as_str)
            .unwrap_or("-");
        return Ok(Verdict::deny(
            "core_echo",
            format!("core decision: {decision} ({code})"),
        ));
    }
    // Every misbehaviour of `misbehave` applies; otherwise: no objection, always.
    misbehave(config).map(|_| Verdict::Allow)
}

/// Whether the configuration's mode is `echo-core`.
fn is_echo(config: &str) -> bool {
    Json::parse(config).is_ok_and(|c| c.str_at("mode") == Some("echo-core"))
}

/// Whether the configuration's mode applies to `hook`, and to the `action` and `target`
/// (JSON text) of an authorization or a transition: each of its `hooks`, `actions` and
/// `targets` lists names them, or is absent.
///
/// A list filters only the hooks that have what it names (`actions` only authorizations,
/// `targets` only authorizations and transitions). A value that is not a list of strings
/// makes the mode apply nowhere: a test that misconfigures it sees nothing misbehave.
fn applies(config: &str, hook: &str, action: Option<&str>, target: Option<&str>) -> bool {
    let Ok(c) = Json::parse(config) else {
        return true;
    };
    let listed = |key: &str, value: Option<&str>| match (c.get(key), value) {
        (None, _) | (Some(serde_json::Value::Array(_)), None) => true,
        (Some(serde_json::Value::Array(list)), Some(v)) => {
            list.iter().any(|x| x.as_str() == Some(v))
        }
        (Some(_), _) => false,
    };
    let target_id = target
        .and_then(|t| Json::parse(t).ok())
        .and_then(|t| t.str_at("id").map(str::to_owned));
    listed("hooks", Some(hook))
        && listed("actions", action)
        && listed("targets", target_id.as_deref().or(target.map(|_| "")))
}

impl Plugin for Hostile {
    const NAME: &'static str = "hostile";
    const VERSION: &'static str = "0.0.1";

    fn validate_user(input: ValidateInput) -> Result<Vec<Violation>, String> {
        if !applies(&input.config, "validate", None, None) {
            return Ok(Vec::new());
        }
        if is_echo(&input.config) {
            let core = Json::parse(&input.core_decision)?;
            let valid = core.get("valid").and_then(serde_json::Value::as_bool);
            let password = core.get("password").is_some_and(|p| !p.is_null());
            let message = format!("core decision: valid {valid:?}, password summary {password}");
            return Ok(vec![Violation::error("core_echo", &[], &message)]);
        }
        misbehave(&input.config)
    }

    fn authorize(input: AuthorizeInput) -> Result<Verdict, String> {
        if !applies(
            &input.config,
            "authorize",
            Some(&input.action),
            Some(&input.target),
        ) {
            return Ok(Verdict::Allow);
        }
        verdict(&input.config, &input.core_decision)
    }

    fn transition(input: TransitionInput) -> Result<Verdict, String> {
        if !applies(&input.config, "transition", None, Some(&input.target)) {
            return Ok(Verdict::Allow);
        }
        verdict(&input.config, &input.core_decision)
    }
}

warden_plugin_sdk::export!(Hostile);
