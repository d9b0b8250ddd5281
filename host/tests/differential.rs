//! Differential testing across targets (issue 16): generated requests decided by the native
//! core, the core component (wasmtime), the portable core module (wasmtime, `component/ABI.md`)
//! and the Node package (`wasm/pkg/node`) must give identical outcomes, decisions and error
//! envelopes alike.
//!
//! Requests are generated with proptest from the conformance vectors as templates: leaves of
//! the request are replaced by generated values of the same JSON type (or any type), keys are
//! dropped, and the policy is, for a third of the cases, the preset's document inlined and
//! mutated the same way (so that generated policies, valid or refused, are compared too). A
//! difference fails with proptest's minimal case.
//!
//! Needs what `scripts/differential.sh` builds first (the component, the module, the Node
//! package): `cargo test -p warden-host --features differential --test differential`.
//! `WARDEN_DIFF_CASES` sets the number of cases (default 2,000).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod plugin_common;

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{LazyLock, Mutex};

use proptest::prelude::*;
use serde_json::{Map, Value};
use warden_host::plugin::{CoreComponent, Runtime};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every conformance vector's request: the templates.
static TEMPLATES: LazyLock<Vec<Value>> = LazyLock::new(|| {
    let dir = root().join("tests/vectors");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let doc: Value = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
        for case in doc["cases"].as_array().unwrap() {
            out.push(case["request"].clone());
        }
    }
    assert!(out.len() >= 140, "only {} vectors", out.len());
    out
});

/// The presets' documents, by the names and numbers requests use.
static PRESETS: LazyLock<Vec<(String, Value)>> = LazyLock::new(|| {
    let mut out = Vec::new();
    for e in std::fs::read_dir(root().join("core/presets")).unwrap() {
        let path = e.unwrap().path();
        let doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let (num, name) = stem.split_once('-').unwrap();
        out.push((num.to_owned(), doc.clone()));
        out.push((name.to_owned(), doc));
    }
    out
});

// ---------------------------------------------------------------- the four targets

fn native(request: &str) -> String {
    match warden_core::api::evaluate_text(request) {
        Ok(s) | Err(s) => s,
    }
}

static COMPONENT: LazyLock<CoreComponent> = LazyLock::new(|| {
    let runtime = Runtime::new().unwrap();
    CoreComponent::load(
        runtime,
        &plugin_common::component("warden_core"),
        CoreComponent::DEFAULT_LIMITS,
    )
    .unwrap()
});

fn component(request: &Value) -> String {
    match COMPONENT.evaluate(request) {
        Ok(Ok(v) | Err(v)) => v.to_string(),
        Err(e) => format!("the component failed: {e}"),
    }
}

/// The portable core module on wasmtime, driven through its ABI with handle 0 (the request
/// names its policy): the output bytes as the module wrote them.
struct Module {
    store: wasmtime::Store<()>,
    memory: wasmtime::Memory,
    alloc: wasmtime::TypedFunc<u32, u32>,
    free: wasmtime::TypedFunc<(u32, u32), ()>,
    evaluate: wasmtime::TypedFunc<(u32, u32, u32), u32>,
    output: wasmtime::TypedFunc<(), u64>,
}

impl Module {
    fn load() -> Module {
        let path = std::env::var_os("WARDEN_MODULE")
            .map(PathBuf::from)
            .unwrap_or_else(|| root().join("target/module/warden.wasm"));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "missing module `{}` ({e}): run scripts/build-module.sh first",
                path.display()
            )
        });
        let engine = wasmtime::Engine::default();
        let module = wasmtime::Module::new(&engine, bytes).unwrap();
        let mut store = wasmtime::Store::new(&engine, ());
        let instance = wasmtime::Instance::new(&mut store, &module, &[]).unwrap();
        let memory = instance.get_memory(&mut store, "memory").unwrap();
        Module {
            alloc: instance.get_typed_func(&mut store, "warden_alloc").unwrap(),
            free: instance.get_typed_func(&mut store, "warden_free").unwrap(),
            evaluate: instance
                .get_typed_func(&mut store, "warden_evaluate")
                .unwrap(),
            output: instance
                .get_typed_func(&mut store, "warden_output")
                .unwrap(),
            memory,
            store,
        }
    }

    fn evaluate(&mut self, request: &str) -> String {
        let len = u32::try_from(request.len()).unwrap();
        let ptr = self.alloc.call(&mut self.store, len).unwrap();
        assert_ne!(ptr, 0, "warden_alloc({len}) failed");
        self.memory
            .write(&mut self.store, ptr as usize, request.as_bytes())
            .unwrap();
        let status = self.evaluate.call(&mut self.store, (0, ptr, len)).unwrap();
        assert!(status <= 1, "reserved status {status}");
        let packed = self.output.call(&mut self.store, ()).unwrap();
        let (at, n) = ((packed >> 32) as usize, (packed & 0xffff_ffff) as usize);
        let out = self.memory.data(&self.store)[at..at + n].to_vec();
        self.free.call(&mut self.store, (ptr, len)).unwrap();
        String::from_utf8(out).unwrap()
    }
}

static MODULE: LazyLock<Mutex<Module>> = LazyLock::new(|| Mutex::new(Module::load()));

/// One Node process running the wasm package for the whole run: a request per line in,
/// `{"ok": decision}`, `{"err": envelope}` or `{"crash": text}` per line out. A thrown
/// `WardenError` becomes the envelope as the Node conformance runner rebuilds it.
struct Node {
    _child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

const NODE_DRIVER: &str = r#"
const { createInterface } = require("node:readline");
const { readFileSync } = require("node:fs");
const { join } = require("node:path");
const dir = process.argv[1];
const w = require(join(dir, "warden_wasm.js"));
const list = new w.Blocklist(readFileSync(join(dir, "common-passwords.txt"), "utf8"));
createInterface({ input: process.stdin }).on("line", (line) => {
  let out;
  try {
    out = { ok: list.evaluateRequest(JSON.parse(line)) };
  } catch (e) {
    if (e?.name !== "WardenError") {
      out = { crash: String(e?.stack ?? e) };
    } else {
      const error = { code: e.code, message: e.message };
      if (e.path !== "" || e.code === "invalid_input" || e.code === "policy_error") error.path = e.path;
      if (e.help !== undefined) error.help = e.help;
      out = { err: { contract: e.contract, error } };
    }
  }
  process.stdout.write(JSON.stringify(out) + "\n");
});
"#;

impl Node {
    fn start() -> Node {
        let dir = std::env::var_os("WARDEN_NODE_PKG")
            .map(PathBuf::from)
            .unwrap_or_else(|| root().join("wasm/pkg/node"));
        assert!(
            dir.join("warden_wasm.js").exists(),
            "missing Node package in `{}`: run scripts/build-wasm.sh first",
            dir.display()
        );
        let mut child = Command::new("node")
            .arg("-e")
            .arg(NODE_DRIVER)
            .arg(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("node on PATH");
        Node {
            stdin: child.stdin.take().unwrap(),
            stdout: BufReader::new(child.stdout.take().unwrap()),
            _child: child,
        }
    }

    fn evaluate(&mut self, request: &str) -> String {
        writeln!(self.stdin, "{request}").unwrap();
        self.stdin.flush().unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        let v: Value = serde_json::from_str(&line).unwrap();
        match (v.get("ok"), v.get("err")) {
            (Some(d), _) | (None, Some(d)) => d.to_string(),
            _ => format!("node failed: {}", v["crash"]),
        }
    }
}

static NODE: LazyLock<Mutex<Node>> = LazyLock::new(|| Mutex::new(Node::start()));

/// The module's error envelope always has a `path`, `""` for the whole request
/// (`component/ABI.md`, "Error envelope"), where the contract's envelope leaves it out: the
/// one documented difference, undone here before the bytes are compared.
fn module_as_contract(native: &str, module: String) -> String {
    let (Ok(n), Ok(mut m)) = (
        serde_json::from_str::<Value>(native),
        serde_json::from_str::<Value>(&module),
    ) else {
        return module;
    };
    let native_has_path = n.get("error").is_some_and(|e| e.get("path").is_some());
    match m.get_mut("error").and_then(Value::as_object_mut) {
        Some(e) if !native_has_path && e.get("path") == Some(&Value::from("")) => {
            e.remove("path");
            m.to_string()
        }
        _ => module,
    }
}

/// The outcome as canonical JSON text (keys sorted, as `serde_json::Value` writes them):
/// for a target that answers a JS object or a parsed value, the bytes it would have sent.
fn canonical(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(v) => v.to_string(),
        Err(_) => text.to_owned(),
    }
}

// ---------------------------------------------------------------- generation

/// A generated value: of the replaced leaf's JSON type, or of any type.
#[derive(Debug, Clone)]
enum Gen {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
    Drop,
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "",
            " ",
            "a",
            "Ada",
            "Lovelace",
            "ada@example.com",
            "a@b",
            "ADA@EXAMPLE.COM ",
            "Zoë",
            "O'Brien",
            "<b>x</b>",
            "+33612345678",
            "0612345678",
            "2026-11-22",
            "2026-02-30",
            "2026-11-22T10:00:00Z",
            "1999-01-01",
            "active",
            "suspended",
            "inactive",
            "blacklisted",
            "locked",
            "pending",
            "administrator",
            "manager",
            "employee",
            "users.read",
            "users.update",
            "users.delete",
            "roles.assign",
            "users.create",
            "users.status",
            "acme",
            "u-1",
            "m",
            "r",
            "Password1!",
            "Violet-Kettle-42!x",
            "password123",
            "\u{202e}x",
            "\u{0}",
            "ǅ",
            "ﬃ",
            "e\u{301}",
            "user",
            "booking",
            "jsonLines",
            "csv",
            "fr",
            "en",
            "soft",
            "hard",
            "anonymize",
        ])
        .prop_map(str::to_owned),
        "\\PC{0,16}",
        "[a-z]{1,8}(\\.[a-z]{1,8})?",
    ]
}

fn gen_value() -> impl Strategy<Value = Gen> {
    prop_oneof![
        4 => text().prop_map(Gen::Text),
        2 => prop_oneof![(-3i64..400), Just(i64::from(u32::MAX)), Just(-1i64 << 40)].prop_map(Gen::Int),
        // Not integral: JavaScript has one number type, so `2.0` and `-0.0` reach the Node
        // package as `2` and `0` (a difference of the JS boundary, not of the kernel).
        1 => prop_oneof![Just(0.5f64), Just(1e300), Just(-2.5)].prop_map(Gen::Float),
        1 => any::<bool>().prop_map(Gen::Bool),
        1 => Just(Gen::Null),
        2 => Just(Gen::Drop),
    ]
}

/// Every leaf (scalar or empty container) of `v`, as a path of keys and indexes.
fn leaves(v: &Value, path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                path.push(Value::from(k.as_str()));
                leaves(x, path, out);
                path.pop();
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for (i, x) in a.iter().enumerate() {
                path.push(Value::from(i));
                leaves(x, path, out);
                path.pop();
            }
        }
        _ => out.push(path.clone()),
    }
}

/// Replaces (or drops) the leaf at `path`; a generated value takes the leaf's type when
/// `typed` (so that documents stay mostly readable) and may change it otherwise.
fn apply(v: &mut Value, path: &[Value], g: &Gen, typed: bool) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = v;
    for p in parents {
        cur = match (cur, p) {
            (Value::Object(m), Value::String(k)) => m.get_mut(k.as_str()).unwrap(),
            (Value::Array(a), Value::Number(i)) => &mut a[i.as_u64().unwrap() as usize],
            _ => return,
        };
    }
    let old = match (&*cur, last) {
        (Value::Object(m), Value::String(k)) => m.get(k.as_str()).cloned(),
        (Value::Array(a), Value::Number(i)) => a.get(i.as_u64().unwrap() as usize).cloned(),
        _ => None,
    };
    let Some(old) = old else { return };
    let new = match g {
        Gen::Drop => None,
        Gen::Text(s) if !typed || old.is_string() || old.is_null() => Some(Value::from(s.as_str())),
        Gen::Int(n) if !typed || old.is_number() || old.is_null() => Some(Value::from(*n)),
        Gen::Float(f) if !typed || old.is_number() => {
            Some(serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number))
        }
        Gen::Bool(b) if !typed || old.is_boolean() || old.is_null() => Some(Value::from(*b)),
        Gen::Null if !typed => Some(Value::Null),
        _ => Some(old),
    };
    match (cur, last, new) {
        (Value::Object(m), Value::String(k), None) => {
            m.remove(k.as_str());
        }
        (Value::Object(m), Value::String(k), Some(n)) => {
            m.insert(k.clone(), n);
        }
        (Value::Array(a), Value::Number(i), None) => {
            a.remove(i.as_u64().unwrap() as usize);
        }
        (Value::Array(a), Value::Number(i), Some(n)) => {
            a[i.as_u64().unwrap() as usize] = n;
        }
        _ => {}
    }
}

/// One generated case: a template, mutations of its request, whether to inline its preset,
/// mutations of that policy document.
#[derive(Debug, Clone)]
struct Case {
    template: usize,
    request: Vec<(usize, Gen)>,
    inline: bool,
    policy: Vec<(usize, Gen)>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        0..TEMPLATES.len(),
        prop::collection::vec((any::<usize>(), gen_value()), 0..4),
        prop::bool::weighted(0.33),
        prop::collection::vec((any::<usize>(), gen_value()), 0..4),
    )
        .prop_map(|(template, request, inline, policy)| Case {
            template,
            request,
            inline,
            policy,
        })
}

fn build(c: &Case) -> Value {
    let mut req = TEMPLATES[c.template].clone();
    if c.inline {
        let preset = req.get("preset").and_then(Value::as_str).map(str::to_owned);
        if let Some(name) = preset {
            if let Some((_, doc)) = PRESETS.iter().find(|(n, _)| *n == name) {
                let mut doc = doc.clone();
                for (i, g) in &c.policy {
                    let mut all = Vec::new();
                    leaves(&doc, &mut Vec::new(), &mut all);
                    if !all.is_empty() {
                        let path = all[i % all.len()].clone();
                        apply(&mut doc, &path, g, true);
                    }
                }
                let m = req.as_object_mut().unwrap();
                m.remove("preset");
                m.insert("policy".into(), doc);
            }
        }
    }
    for (i, g) in &c.request {
        let mut all = Vec::new();
        leaves(&req, &mut Vec::new(), &mut all);
        // Never the policy document here (its mutations are typed, above) nor `op`.
        all.retain(|p| !matches!(p.first(), Some(Value::String(k)) if k == "policy" || k == "op"));
        if !all.is_empty() {
            let path = all[i % all.len()].clone();
            apply(&mut req, &path, g, false);
        }
    }
    req
}

// ---------------------------------------------------------------- the property

fn cases() -> u32 {
    std::env::var("WARDEN_DIFF_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2_000)
}

/// Counts of the outcomes seen, to make sure the generator reaches decisions and errors.
static SEEN: LazyLock<Mutex<Map<String, Value>>> = LazyLock::new(|| Mutex::new(Map::new()));

fn count(key: &str) {
    let mut seen = SEEN.lock().unwrap();
    let n = seen.get(key).and_then(Value::as_u64).unwrap_or(0);
    seen.insert(key.to_owned(), (n + 1).into());
}

fn check(c: &Case) -> Result<(), TestCaseError> {
    let request = build(c);
    let text = request.to_string();
    let native = native(&text);
    let component = component(&request);
    let module = module_as_contract(&native, MODULE.lock().unwrap().evaluate(&text));
    let node = canonical(&NODE.lock().unwrap().evaluate(&text));
    let outcome = serde_json::from_str::<Value>(&native).unwrap_or(Value::Null);
    count(match outcome.get("error") {
        Some(e) => e["code"].as_str().unwrap_or("error"),
        None => "decision",
    });
    for (name, other) in [
        ("component", &component),
        ("module", &module),
        ("node", &node),
    ] {
        prop_assert_eq!(
            &native,
            other,
            "native and {} differ on the request\n{}",
            name,
            text
        );
    }
    Ok(())
}

#[test]
fn generated_requests_give_identical_outcomes_on_every_target() {
    let config = ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let start = std::time::Instant::now();
    let mut runner = proptest::test_runner::TestRunner::new(config);
    if let Err(e) = runner.run(&case(), |c| check(&c)) {
        match e {
            proptest::test_runner::TestError::Fail(reason, minimal) => panic!(
                "{reason}\nminimal case: {minimal:?}\nminimal request: {}",
                build(&minimal)
            ),
            other => panic!("{other}"),
        }
    }
    let seen = SEEN.lock().unwrap().clone();
    eprintln!(
        "{} cases in {:.1} s; outcomes: {}",
        cases(),
        start.elapsed().as_secs_f64(),
        Value::Object(seen.clone())
    );
    // The generator must reach both decisions and refusals, or it proves little.
    let decisions = seen.get("decision").and_then(Value::as_u64).unwrap_or(0);
    assert!(
        decisions * 5 >= u64::from(cases()),
        "fewer than a fifth of the cases reached a decision: {}",
        Value::Object(seen)
    );
}

#[test]
fn the_targets_are_the_ones_built_from_this_tree() {
    // A stale build would make the comparison meaningless: each target must answer a
    // vector exactly as the native core does, including the policy hash of a preset.
    let request = &TEMPLATES[0];
    let text = request.to_string();
    let native = native(&text);
    assert_eq!(component(request), native);
    assert_eq!(MODULE.lock().unwrap().evaluate(&text), native);
    assert_eq!(canonical(&NODE.lock().unwrap().evaluate(&text)), native);
}
