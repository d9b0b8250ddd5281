//! Plugins, side by side (BENCHMARKS.md §5): what one tenant plugin adds to a Warden
//! decision, and what the same rule costs when it is written natively in Rust.
//!
//! Two decisions, each through the host's entry point (`Registry::evaluate`: the request as
//! JSON, the core, then the tenant's plugins), each in four ways on the same requests, and
//! the core called directly as the baseline of the host's own cost:
//! 0. the core called directly: `warden_core::api::evaluate_with` on a `Policy` compiled
//!    once, given a clone of the request's `input` (it consumes its input, as the host's
//!    entry point consumes its copy); it parses the input, decides and writes the
//!    decision as JSON, as the host does, but neither copies the request nor looks its
//!    policy document up in a cache;
//! 1. no plugin: the core alone, through the host's typed entry point
//!    (`Registry::decide`: the policy given compiled, by reference, and a clone of the
//!    input, as the server calls it; the tenant's set looked up, then the same
//!    `evaluate_with`); and through its JSON entry point (`Registry::evaluate`: the
//!    request's envelope read and checked, `pluginFacts` taken out, the input copied, the
//!    policy document found in the tenant's cache of compiled policies, by a hash then
//!    compared whole, then the same `evaluate_with`);
//! 2. the rule written natively in Rust against the parsed request, applied to the core's
//!    decision after it as the host applies a plugin's answer (configuration parsed once);
//! 3. the plugin's own crate compiled natively and called through its `Plugin` trait with
//!    the JSON-text inputs the host builds (the same code as the component, no sandbox);
//! 4. the example plugin as the host runs it: a wasm component in a fresh sandbox (new
//!    store, instantiation, fuel, limits) per decision.
//!
//! The decisions: *validate a user record* under `benches/compare/compare-policy.json` (the
//! equal rule set of §1–3) with `plugins/email-domain` (`allowedDomains: [acme.example]`),
//! and *authorize a delete* with `plugins/four-eyes` (deleting an administrator needs a
//! second approver, fact `secondApprover`). The data mixes what the core refuses, what the
//! plugin refuses and what both accept. Before timing, every request's verdict with the
//! plugin (4) must equal the native rule's (2) and the natively compiled crate's (3).
//!
//! Timings: medians of interleaved rounds (the order of the four ways rotates each round).
//! The plugin's added cost is the median over rounds of (4) − (1) paired in the same round;
//! the native rules' added cost is the rule alone, timed on the same requests and the
//! core's decisions computed beforehand (it is too small to survive a subtraction).
//!
//! Run with `cargo bench -p warden-host --bench compare_plugins` after
//! `scripts/build-components.sh` (`WARDEN_BENCH_SMOKE=1`: CI sizes; `WARDEN_BENCH_FULL=1`:
//! more requests and rounds; `WARDEN_BENCH_OPTIMIZE_PLUGINS=1`: plugins compiled with
//! `RuntimeConfig::optimize_plugin_code`). Writes `plugins-rust.md` into
//! `$WARDEN_COMPARE_OUT` (default `target/bench-compare/`), which `bench/report.mjs`
//! renders as §5.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a bench binary: a broken assumption should stop the run loudly"
)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value, json};
use warden_core::Policy;
use warden_core::api::{self, Op};
use warden_host::plugin::{
    Call, Limits, PluginSpec, Registry, Runtime, RuntimeConfig, TenantSettings,
};
use warden_plugin_email_domain::EmailDomain;
use warden_plugin_four_eyes::FourEyes;
use warden_plugin_sdk::{AuthorizeInput, PathPart, Plugin, Severity, ValidateInput, Verdict};

// ---- sizes, statistics and the fragment (the formats of benches/compare/src/lib.rs)

fn env_is(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v == "1")
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs.get(xs.len() / 2).copied().unwrap_or_default()
}

fn fmt_ns(ns: f64) -> String {
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

/// `a / b` as `12.3×` / `1.05×`.
fn times(a: f64, b: f64) -> String {
    if b <= 0.0 {
        return "n/a".into();
    }
    let r = a / b;
    if r >= 10.0 {
        format!("{r:.0}×")
    } else {
        format!("{r:.2}×")
    }
}

fn write_fragment(name: &str, markdown: &str) {
    let dir = std::env::var_os("WARDEN_COMPARE_OUT").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-compare"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.md")), markdown).unwrap();
    println!("{markdown}");
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

fn component(name: &str) -> Vec<u8> {
    let path = repo(&format!("target/components/{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "missing {} ({e}): run scripts/build-components.sh first",
            path.display()
        )
    })
}

/// A deterministic xorshift generator.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

// ---- what the host does with a plugin's answer, and the same for the native rules

/// Appends violations to a validation decision; one of severity error makes it invalid.
fn add_violations(decision: &mut Value, added: Vec<Value>) {
    if added.is_empty() {
        return;
    }
    let invalid = added.iter().any(|v| v["severity"] == "error");
    if let Some(Value::Array(vs)) = decision.get_mut("violations") {
        vs.extend(added);
    }
    if invalid {
        decision["valid"] = Value::Bool(false);
    }
}

/// Turns an allow into the rule's deny (a deny stays as the core decided it).
fn add_deny(decision: &mut Value, deny: Option<Value>, plugin: &str) {
    if let Some(deny) = deny
        && decision["decision"] == "allow"
        && let Value::Object(d) = decision
    {
        d.insert("decision".into(), Value::from("deny"));
        d.insert("deny".into(), deny);
        d.insert("reason".into(), Value::from(format!("plugin:{plugin}")));
        d.remove("scope");
    }
}

fn json_text(v: Option<&Value>) -> String {
    v.map_or_else(|| "null".to_owned(), Value::to_string)
}

fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

fn plugin_facts(req: &Value) -> Map<String, Value> {
    match req.get("pluginFacts") {
        Some(Value::Object(f)) => f.clone(),
        _ => Map::new(),
    }
}

/// `plugins/email-domain` written natively: configuration parsed once, the record read
/// from the parsed request, the same violation as the plugin's.
struct EmailDomainRule {
    allowed: Vec<String>,
    subdomains: bool,
    message: String,
    source: Value,
}

impl EmailDomainRule {
    fn new(config: &Value) -> Self {
        let allowed: Vec<String> = config["allowedDomains"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .map(|d| d.trim().to_ascii_lowercase())
            .collect();
        EmailDomainRule {
            message: format!("Email addresses must be in {}", allowed.join(", ")),
            subdomains: config["allowSubdomains"].as_bool().unwrap_or(false),
            allowed,
            source: json!({"plugin": "email-domain", "version": "native"}),
        }
    }

    fn check(&self, req: &Value) -> Vec<Value> {
        let Some(email) = req["input"]["user"].get("email").and_then(Value::as_str) else {
            return Vec::new();
        };
        let Some((_, domain)) = email.trim().rsplit_once('@') else {
            return Vec::new();
        };
        let domain = domain.to_ascii_lowercase();
        let ok = self.allowed.iter().any(|a| {
            domain == *a
                || (self.subdomains
                    && domain
                        .strip_suffix(a.as_str())
                        .is_some_and(|p| p.ends_with('.')))
        });
        if ok {
            return Vec::new();
        }
        vec![json!({
            "code": "email_domain_not_allowed",
            "path": ["email"],
            "severity": "error",
            "message": self.message,
            "params": {"domain": domain, "allowed": self.allowed},
            "source": self.source,
        })]
    }
}

/// `plugins/four-eyes` written natively (its default configuration).
struct FourEyesRule {
    admin_roles: Vec<String>,
    delete_actions: Vec<String>,
    demote_actions: Vec<String>,
    source: Value,
}

impl FourEyesRule {
    fn new() -> Self {
        FourEyesRule {
            admin_roles: vec!["administrator".into()],
            delete_actions: vec!["users.delete".into()],
            demote_actions: vec!["roles.assign".into()],
            source: json!({"plugin": "four-eyes", "version": "native"}),
        }
    }

    /// Whether a list of roles holds (or, for a change, takes away) an admin role.
    fn is_admin(&self, roles: &Value) -> bool {
        roles.as_array().is_some_and(|rs| {
            rs.iter()
                .filter_map(Value::as_str)
                .any(|r| self.admin_roles.iter().any(|a| a == r))
        })
    }

    fn deny(&self, code: &str, message: String) -> Value {
        json!({
            "kind": "forbidden", "code": code, "message": message,
            "rule": "plugin:four-eyes@native", "params": self.source,
        })
    }

    fn second_approver(&self, actor: &Value, facts: Option<&Value>, what: &str) -> Option<Value> {
        let approver = facts
            .and_then(|f| f.get("secondApprover"))
            .and_then(Value::as_str)
            .map(str::trim);
        match approver {
            Some(a) if !a.is_empty() && Some(a) == actor["id"].as_str() => Some(self.deny(
                "four_eyes_same_person",
                format!("the second approver of {what} must be someone other than the actor"),
            )),
            Some(a) if !a.is_empty() => None,
            _ => Some(self.deny(
                "four_eyes_required",
                format!("{what} requires a second approver (fact `secondApprover`)"),
            )),
        }
    }

    fn check(&self, req: &Value) -> Option<Value> {
        let input = &req["input"];
        if !self.is_admin(&input["target"]["roles"]) {
            return None;
        }
        let action = input["action"].as_str().unwrap_or("");
        let facts = req.get("pluginFacts");
        if self.delete_actions.iter().any(|a| a == action) {
            return self.second_approver(&input["actor"], facts, "deleting an administrator");
        }
        if self.demote_actions.iter().any(|a| a == action)
            && self.is_admin(&input["change"]["remove"])
        {
            return self.second_approver(&input["actor"], facts, "demoting an administrator");
        }
        None
    }
}

/// A violation of the plugin SDK as decision JSON (what the host does with a plugin's).
fn violation_json(v: warden_plugin_sdk::Violation, source: &Value) -> Value {
    let mut out = Map::new();
    let path: Vec<Value> = v
        .path
        .into_iter()
        .map(|p| match p {
            PathPart::Key(k) => Value::String(k),
            PathPart::Index(i) => Value::from(i),
        })
        .collect();
    let params: Value = serde_json::from_str(&v.params_json).unwrap();
    out.insert("code".into(), Value::String(v.code));
    out.insert("path".into(), Value::Array(path));
    let severity = match v.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    out.insert("severity".into(), Value::from(severity));
    out.insert("message".into(), Value::String(v.message));
    if params.as_object().is_some_and(|p| !p.is_empty()) {
        out.insert("params".into(), params);
    }
    out.insert("source".into(), source.clone());
    Value::Object(out)
}

/// The plugin's crate, compiled natively, on the inputs the host builds for the component.
fn email_domain_crate(req: &Value, core: &Value, config: &str, source: &Value) -> Vec<Value> {
    let input = &req["input"];
    let mut facts = match input.get("facts") {
        Some(Value::Object(f)) => f.clone(),
        _ => Map::new(),
    };
    facts.extend(plugin_facts(req));
    let vi = ValidateInput {
        user: json_text(input.get("user")),
        mode: input
            .get("mode")
            .and_then(Value::as_str)
            .unwrap_or("create")
            .to_owned(),
        today: text(input.get("today")),
        facts: Value::Object(facts).to_string(),
        core_decision: core.to_string(),
        config: config.to_owned(),
    };
    EmailDomain::validate_user(vi)
        .unwrap()
        .into_iter()
        .map(|v| violation_json(v, source))
        .collect()
}

/// `plugins/four-eyes`' crate, compiled natively, on the inputs the host builds.
fn four_eyes_crate(req: &Value, core: &Value, config: &str, source: &Value) -> Option<Value> {
    let input = &req["input"];
    let ai = AuthorizeInput {
        actor: json_text(input.get("actor")),
        action: text(input.get("action")),
        target: json_text(input.get("target")),
        change: json_text(input.get("change")),
        now: text(input.get("now")),
        facts: Value::Object(plugin_facts(req)).to_string(),
        core_decision: core.to_string(),
        config: config.to_owned(),
    };
    match FourEyes::authorize(ai).unwrap() {
        Verdict::Allow => None,
        Verdict::Deny(d) => Some(json!({
            "kind": "forbidden", "code": d.code, "message": d.message,
            "rule": "plugin:four-eyes@crate", "params": source,
        })),
    }
}

// ---- the two decisions

enum Rule {
    EmailDomain(EmailDomainRule),
    FourEyes(FourEyesRule),
}

struct Scenario {
    decision: &'static str,
    plugin: &'static str,
    requests: Vec<Value>,
    registry: Registry,
    /// The requests' policy document, compiled once (the direct calls' policy).
    policy: Policy,
    /// The requests' operation.
    op: Op,
    rule: Rule,
    /// The plugin's configuration as the host passes it (JSON text).
    config: String,
    crate_source: Value,
}

/// The ways of deciding, in table order.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Way {
    Direct,
    Typed,
    Core,
    Native,
    Crate,
    Plugin,
}

const WAYS: [Way; 6] = [
    Way::Direct,
    Way::Typed,
    Way::Core,
    Way::Native,
    Way::Crate,
    Way::Plugin,
];

impl Scenario {
    /// What the rule of way `w` (native or crate) adds to a core decision.
    fn rule(&self, w: Way, req: &Value, core: &mut Value) {
        match (&self.rule, w) {
            (Rule::EmailDomain(r), Way::Native) => add_violations(core, r.check(req)),
            (Rule::EmailDomain(_), Way::Crate) => {
                let added = email_domain_crate(req, core, &self.config, &self.crate_source);
                add_violations(core, added);
            }
            (Rule::FourEyes(r), Way::Native) => add_deny(core, r.check(req), self.plugin),
            (Rule::FourEyes(_), Way::Crate) => {
                let deny = four_eyes_crate(req, core, &self.config, &self.crate_source);
                add_deny(core, deny, self.plugin);
            }
            _ => unreachable!("only the native ways have a rule"),
        }
    }

    /// The rule alone on a precomputed core decision, without applying it (timing).
    fn rule_alone(&self, w: Way, req: &Value, core: &Value) -> bool {
        match (&self.rule, w) {
            (Rule::EmailDomain(r), Way::Native) => !r.check(req).is_empty(),
            (Rule::EmailDomain(_), Way::Crate) => {
                !email_domain_crate(req, core, &self.config, &self.crate_source).is_empty()
            }
            (Rule::FourEyes(r), Way::Native) => r.check(req).is_some(),
            (Rule::FourEyes(_), Way::Crate) => {
                four_eyes_crate(req, core, &self.config, &self.crate_source).is_some()
            }
            _ => unreachable!("only the native ways have a rule"),
        }
    }

    fn decide(&self, w: Way, req: &Value) -> Value {
        match w {
            Way::Direct => api::evaluate_with(
                &self.policy,
                self.op,
                warden_core::Lang::default(),
                req["input"].clone(),
            )
            .unwrap(),
            Way::Typed => self
                .registry
                .decide(
                    "none",
                    &self.policy,
                    Call::new(self.op, warden_core::Lang::default(), req["input"].clone()),
                )
                .unwrap(),
            Way::Core => self.registry.evaluate("none", req).unwrap(),
            Way::Plugin => self.registry.evaluate("tenant", req).unwrap(),
            Way::Native | Way::Crate => {
                let mut d = self.registry.evaluate("none", req).unwrap();
                self.rule(w, req, &mut d);
                d
            }
        }
    }

    /// The verdict of a decision: valid and every violation's code, path, severity and
    /// params; or allow/deny and the deny's code and message.
    fn verdict(&self, d: &Value) -> Value {
        match self.rule {
            Rule::EmailDomain(_) => json!([
                d["valid"],
                d["violations"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| json!([v["code"], v["path"], v["severity"], v["params"]]))
                    .collect::<Vec<_>>()
            ]),
            Rule::FourEyes(_) => json!([d["decision"], d["deny"]["code"], d["deny"]["message"]]),
        }
    }

    fn accepted(&self, d: &Value) -> bool {
        match self.rule {
            Rule::EmailDomain(_) => d["valid"] == true,
            Rule::FourEyes(_) => d["decision"] == "allow",
        }
    }
}

fn validation(runtime: &Arc<Runtime>, n: usize) -> Scenario {
    let policy: Value = serde_json::from_str(
        &std::fs::read_to_string(repo("benches/compare/compare-policy.json")).unwrap(),
    )
    .unwrap();
    let config = json!({"allowedDomains": ["acme.example"]});
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let requests = (0..n)
        .map(|i| {
            // 70% the tenant's domain (some in capitals), 20% another one, 5% a subdomain
            // (refused: no `allowSubdomains`), 5% no `@` at all (the core's refusal).
            let domain = match rng.below(20) {
                0..=11 => "acme.example",
                12 | 13 => "ACME.Example",
                14..=16 => "gmail.example",
                17 => "acme.example.org",
                18 => "eu.acme.example",
                _ => "",
            };
            let email = if domain.is_empty() {
                format!("user{i}.acme.example")
            } else {
                format!("user{i}@{domain}")
            };
            // ~1 in 8 records also has a defect the core reports.
            let employee_id = if rng.below(8) == 0 {
                format!("E-{i}")
            } else {
                format!("EMP-{:05}", i % 100_000)
            };
            json!({
                "policy": policy, "op": "validate",
                "input": {"today": "2026-11-22", "user": {
                    "firstName": "Ada", "lastName": format!("Lovelace{i}"), "email": email,
                    "phone": "+33612345678", "employeeId": employee_id, "organization": "acme",
                }},
            })
        })
        .collect();
    let registry = Registry::new(Arc::clone(runtime));
    registry
        .load("none", TenantSettings::default(), Vec::new())
        .unwrap();
    registry
        .load(
            "tenant",
            TenantSettings::default(),
            vec![PluginSpec {
                wasm: component("email_domain"),
                config: config.clone(),
            }],
        )
        .unwrap();
    Scenario {
        decision: "validate a user record",
        plugin: "email-domain",
        requests,
        registry,
        policy: Policy::from_value(policy).unwrap(),
        op: Op::Validate,
        rule: Rule::EmailDomain(EmailDomainRule::new(&config)),
        config: config.to_string(),
        crate_source: json!({"plugin": "email-domain", "version": "crate"}),
    }
}

fn authorization(runtime: &Arc<Runtime>, n: usize) -> Scenario {
    let policy = json!({
        "warden": 1, "name": "compare-plugins",
        "access": {
            "modules": {"users": ["read", "delete"]},
            "roles": {
                "administrator": {"permissions": [
                    {"allow": "users.delete", "scope": "organization"},
                    {"allow": "users.read", "scope": "organization"}]},
                "employee": {"permissions": [{"allow": "users.read", "scope": "own"}]}
            }
        }
    });
    let config = json!({});
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let requests = (0..n)
        .map(|i| {
            let actor_roles = if rng.below(10) == 0 {
                "employee"
            } else {
                "administrator"
            };
            let target_org = if rng.below(10) == 0 { "globex" } else { "acme" };
            let target_roles = if rng.below(2) == 0 {
                "administrator"
            } else {
                "employee"
            };
            let actor = format!("u{i}");
            let facts = match rng.below(3) {
                0 => json!({}),
                1 => json!({"secondApprover": format!("u{}", i + 1)}),
                _ => json!({"secondApprover": actor}),
            };
            json!({
                "policy": policy, "op": "authorize",
                "input": {
                    "now": "2026-11-22T10:00:00Z",
                    "actor": {"id": actor, "organization": "acme", "roles": [actor_roles]},
                    "action": "users.delete",
                    "target": {"id": format!("t{i}"), "organization": target_org,
                               "roles": [target_roles]},
                },
                "pluginFacts": facts,
            })
        })
        .collect();
    let registry = Registry::new(Arc::clone(runtime));
    registry
        .load("none", TenantSettings::default(), Vec::new())
        .unwrap();
    registry
        .load(
            "tenant",
            TenantSettings::default(),
            vec![PluginSpec {
                wasm: component("four_eyes"),
                config: config.clone(),
            }],
        )
        .unwrap();
    Scenario {
        decision: "authorize a delete",
        plugin: "four-eyes",
        requests,
        registry,
        policy: Policy::from_value(policy).unwrap(),
        op: Op::Authorize,
        rule: Rule::FourEyes(FourEyesRule::new()),
        config: config.to_string(),
        crate_source: json!({"plugin": "four-eyes", "version": "crate"}),
    }
}

// ---- checks, timing, report

struct Checked {
    refused_by_plugin: usize,
    refused_by_core: usize,
    accepted: usize,
    fuel: u64,
    peak_memory: u64,
}

/// Decides every request all four ways; the verdicts with the plugin must equal the
/// native rule's and the crate's, and the data must be a mix: accepted by both, refused by
/// the core, accepted by the core but refused by the plugin.
fn check(s: &Scenario) -> Checked {
    let (mut by_plugin, mut by_core, mut accepted) = (0, 0, 0);
    let (mut fuel, mut peak) = (Vec::new(), Vec::new());
    for req in &s.requests {
        let core = s.decide(Way::Core, req);
        assert_eq!(
            core,
            s.decide(Way::Direct, req),
            "{}: the host's decision without plugins vs the core's own on {req}",
            s.plugin
        );
        assert_eq!(
            core,
            s.decide(Way::Typed, req),
            "{}: the host's JSON entry point vs its typed one on {req}",
            s.plugin
        );
        let native = s.decide(Way::Native, req);
        let krate = s.decide(Way::Crate, req);
        let plugin = s.decide(Way::Plugin, req);
        let report = &plugin["plugins"][0];
        let outcome = report["outcome"].as_str().unwrap_or("");
        assert!(
            ["ok", "violations", "allow", "deny"].contains(&outcome),
            "{}: the plugin did not answer: {report}",
            s.plugin
        );
        fuel.push(report["fuelUsed"].as_u64().unwrap() as f64);
        peak.push(report["peakMemory"].as_u64().unwrap() as f64);
        let v = s.verdict(&plugin);
        assert_eq!(
            v,
            s.verdict(&native),
            "{}: plugin vs native on {req}",
            s.plugin
        );
        assert_eq!(
            v,
            s.verdict(&krate),
            "{}: plugin vs crate on {req}",
            s.plugin
        );
        if s.accepted(&plugin) {
            accepted += 1;
        } else if s.accepted(&core) {
            by_plugin += 1;
        } else {
            by_core += 1;
        }
    }
    assert!(
        by_plugin > 0 && accepted > 0 && by_core > 0,
        "{}: not a mix (plugin refused {by_plugin}, core refused {by_core}, accepted {accepted})",
        s.plugin
    );
    Checked {
        refused_by_plugin: by_plugin,
        refused_by_core: by_core,
        accepted,
        fuel: median(&mut fuel) as u64,
        peak_memory: median(&mut peak) as u64,
    }
}

struct Timed {
    /// Median per decision, by way.
    per: [f64; 6],
    /// Median added cost per decision, by way (direct and core unused).
    added: [f64; 6],
    /// Median over rounds of (through the host's JSON entry point − direct), paired in the
    /// same round.
    host_over_direct: f64,
    /// The same through the host's typed entry point.
    typed_over_direct: f64,
}

fn per_request(s: &Scenario, f: impl Fn(&Value, usize)) -> f64 {
    let t = Instant::now();
    for (i, req) in s.requests.iter().enumerate() {
        f(req, i);
    }
    t.elapsed().as_nanos() as f64 / s.requests.len() as f64
}

fn time(s: &Scenario, rounds: usize) -> Timed {
    let cores: Vec<Value> = s.requests.iter().map(|r| s.decide(Way::Core, r)).collect();
    let mut per: [Vec<f64>; 6] = Default::default();
    let mut added: [Vec<f64>; 6] = Default::default();
    let mut host_over_direct = Vec::new();
    let mut typed_over_direct = Vec::new();
    for round in 0..=rounds {
        let mut this = [0.0; 6];
        for k in 0..WAYS.len() {
            let w = WAYS[(round + k) % WAYS.len()];
            this[w as usize] = per_request(s, |req, _| {
                black_box(s.decide(w, black_box(req)));
            });
        }
        let mut alone = [0.0; 6];
        for w in [Way::Native, Way::Crate] {
            alone[w as usize] = per_request(s, |req, i| {
                black_box(s.rule_alone(w, black_box(req), &cores[i]));
            });
        }
        if round > 0 {
            for w in WAYS {
                per[w as usize].push(this[w as usize]);
            }
            added[Way::Native as usize].push(alone[Way::Native as usize]);
            added[Way::Crate as usize].push(alone[Way::Crate as usize]);
            added[Way::Plugin as usize].push(this[Way::Plugin as usize] - this[Way::Core as usize]);
            host_over_direct.push(this[Way::Core as usize] - this[Way::Direct as usize]);
            typed_over_direct.push(this[Way::Typed as usize] - this[Way::Direct as usize]);
        }
    }
    Timed {
        per: per.map(|mut xs| median(&mut xs)),
        added: added.map(|mut xs| median(&mut xs)),
        host_over_direct: median(&mut host_over_direct),
        typed_over_direct: median(&mut typed_over_direct),
    }
}

/// The fixed cost of a fresh sandbox: a new store, instantiation and `describe`.
fn sandbox_alone(runtime: &Runtime, name: &str, rounds: usize, n: usize) -> f64 {
    let plugin = runtime
        .compile(&component(name), &Limits::default())
        .unwrap();
    let limits = Limits::default();
    let mut xs: Vec<f64> = (0..=rounds)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..n {
                black_box(runtime.describe(&plugin, &limits).0.unwrap());
            }
            t.elapsed().as_nanos() as f64 / n as f64
        })
        .skip(1)
        .collect();
    median(&mut xs)
}

fn main() {
    let (smoke, full) = (env_is("WARDEN_BENCH_SMOKE"), env_is("WARDEN_BENCH_FULL"));
    let (n, rounds) = if smoke {
        (96, 3)
    } else if full {
        (5_000, 21)
    } else {
        (2_000, 11)
    };
    // `WARDEN_BENCH_OPTIMIZE_PLUGINS=1`: plugins compiled with optimisation (opt-in).
    let optimized = env_is("WARDEN_BENCH_OPTIMIZE_PLUGINS");
    let runtime = Runtime::with_config(RuntimeConfig {
        optimize_plugin_code: optimized,
        ..RuntimeConfig::default()
    })
    .unwrap();
    let compiled = if optimized {
        "optimised (`RuntimeConfig::optimize_plugin_code` on, not the default)"
    } else {
        "for bounded compile time (the default: no optimisation, single-pass allocator)"
    };
    let mut md = String::new();
    write!(
        md,
        "Per decision, through the host's entry point (`Registry::evaluate`: the request as \
         JSON, the core, then the tenant's plugins; plugins' code compiled {compiled}): \
         median of {rounds} interleaved rounds over \
         {n} generated requests per decision; every request's verdict with the plugin asserted \
         equal to the native rule's and to the natively compiled crate's first. These columns \
         are **overheads**, not anchor / Warden ratios: above 1 costs more. *Added* is what \
         comes on top of the core alone: for the plugin, the median of (with plugin − without) \
         paired in the same round; for the native ways, the rule alone on the core's decisions \
         computed beforehand.\n\n"
    )
    .unwrap();
    md.push_str(
        "| decision | case | per decision | added per decision | vs without plugin | vs the same logic natively |\n",
    );
    md.push_str("|---|---|---:|---:|---:|---:|\n");
    let mut notes = Vec::new();
    for make in [validation, authorization] {
        let s = make(&runtime, n);
        eprintln!("plugins: {} ({}), {n} requests", s.decision, s.plugin);
        let c = check(&s);
        let t = time(&s, rounds);
        let [direct, typed, core, native, krate, plugin] = t.per;
        let cases = [
            (
                Way::Direct,
                "the core called directly (`api::evaluate_with`, policy compiled once)".to_owned(),
            ),
            (
                Way::Typed,
                "no plugin, the host's typed entry point (`Registry::decide`, policy compiled, by reference)"
                    .to_owned(),
            ),
            (
                Way::Core,
                "no plugin (the core alone), the host's JSON entry point (`Registry::evaluate`, the request's policy document)"
                    .to_owned(),
            ),
            (
                Way::Native,
                format!("+ `{}` written natively in Rust", s.plugin),
            ),
            (
                Way::Crate,
                format!(
                    "+ `{}`'s crate compiled natively, the host's JSON-text inputs",
                    s.plugin
                ),
            ),
            (
                Way::Plugin,
                format!(
                    "+ `{}` plugin (wasm component, fresh sandbox per decision)",
                    s.plugin
                ),
            ),
        ];
        for (w, label) in cases {
            let i = w as usize;
            let (added, vs_native) = match w {
                Way::Direct | Way::Typed | Way::Core => ("—".to_owned(), "—".to_owned()),
                Way::Native => (fmt_ns(t.added[i]), "1×".to_owned()),
                _ => (
                    fmt_ns(t.added[i]),
                    format!(
                        "{} (added: {})",
                        times(t.per[i], native),
                        times(t.added[i], t.added[Way::Native as usize])
                    ),
                ),
            };
            let vs_core = if w == Way::Core {
                "1×".to_owned()
            } else {
                times(t.per[i], core)
            };
            writeln!(
                md,
                "| {} | {label} | {} | {added} | {vs_core} | {vs_native} |",
                s.decision,
                fmt_ns(t.per[i]),
            )
            .unwrap();
        }
        let total = s.requests.len();
        notes.push(format!(
            "*{}* with `{}`: of {total} requests, {} ({}%) pass the core but not the plugin, \
             {} fail the core and {} pass both; the plugin's own report (median): {} fuel, {} KiB peak memory. \
             Plugin / native: {} per decision, {} on the added cost ({} vs {}); plugin / \
             crate compiled natively: {}. The core alone through the host / called directly: \
             {} through the JSON entry point ({} more per decision, the median of the paired \
             differences), {} through the typed entry point ({} more).",
            s.decision,
            s.plugin,
            c.refused_by_plugin,
            c.refused_by_plugin * 100 / total,
            c.refused_by_core,
            c.accepted,
            c.fuel,
            c.peak_memory / 1024,
            times(plugin, native),
            times(t.added[Way::Plugin as usize], t.added[Way::Native as usize]),
            fmt_ns(t.added[Way::Plugin as usize]),
            fmt_ns(t.added[Way::Native as usize]),
            times(plugin, krate),
            times(core, direct),
            fmt_ns(t.host_over_direct),
            times(typed, direct),
            fmt_ns(t.typed_over_direct),
        ));
    }
    let sandboxes = ["email_domain", "four_eyes"]
        .map(|name| (name, sandbox_alone(&runtime, name, rounds, n.min(1_000))));
    md.push('\n');
    for note in notes {
        md.push_str(&note);
        md.push_str("\n\n");
    }
    let sandboxes: Vec<String> = sandboxes
        .iter()
        .map(|(name, ns)| format!("`{}` {}", name.replace('_', "-"), fmt_ns(*ns)))
        .collect();
    writeln!(
        md,
        "A fresh sandbox alone (new store with fuel, epoch deadline and memory limits, \
         instantiation of the plugin from its pre-linked component, one `describe` call; \
         pooling allocator): {}. Through the host's JSON entry point, a decision reads the \
         request's envelope, copies its input and finds its policy document in the tenant's \
         cache of compiled policies (compared whole); through its typed entry point, and \
         called directly, the core is given the compiled policy and a copy of the input.",
        sandboxes.join(", ")
    )
    .unwrap();
    write_fragment("plugins-rust", &md);
}
