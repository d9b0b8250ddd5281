//! Shared helpers of the plugin test suites: locating the built components.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

/// The folder `scripts/build-components.sh` writes to: `WARDEN_COMPONENTS`, else
/// `$CARGO_TARGET_DIR/components`, else `target/components` of the workspace.
pub fn components_dir() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    if let Some(d) = std::env::var_os("WARDEN_COMPONENTS") {
        return PathBuf::from(d);
    }
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(t) => root.join(t).join("components"),
        None => root.join("target/components"),
    }
}

/// A built component's bytes; fails (never skips) when it is missing.
pub fn component(name: &str) -> Vec<u8> {
    let path = components_dir().join(format!("{name}.wasm"));
    match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => panic!(
            "missing component `{}` ({e}): run scripts/build-components.sh first",
            path.display()
        ),
    }
}

/// A hostile WAT fixture from plugins/hostile/.
pub fn wat(name: &str) -> Vec<u8> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../plugins/hostile/{name}.wat"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("missing fixture {}: {e}", path.display()))
}

pub const NOW: &str = "2026-11-22T10:00:00Z";

pub fn admin() -> serde_json::Value {
    serde_json::json!({"id": "a", "organization": "rent", "roles": ["administrator"]})
}

/// A validation request (preset 000) for a user with this email.
pub fn validate_request(email: &str) -> serde_json::Value {
    serde_json::json!({
        "preset": "production-planner-pro",
        "op": "validate",
        "input": {
            "today": "2026-11-22",
            "user": {"firstName": "Ada", "lastName": "Lovelace", "email": email,
                     "password": "Tr0ub4dor&3x!", "organization": "acme"}
        }
    })
}

/// An authorization request (preset 002).
pub fn authorize_request(
    actor: serde_json::Value,
    action: &str,
    target: serde_json::Value,
) -> serde_json::Value {
    serde_json::json!({
        "preset": "002", "op": "authorize",
        "input": {"actor": actor, "action": action, "target": target, "now": NOW}
    })
}

/// Linear memory of a hand-made (WAT) plugin: bytes written at offsets, the rest zero.
#[derive(Debug, Clone, Default)]
pub struct Image {
    pub bytes: Vec<u8>,
}

impl Image {
    pub fn put(&mut self, at: usize, data: &[u8]) -> &mut Self {
        if self.bytes.len() < at + data.len() {
            self.bytes.resize(at + data.len(), 0);
        }
        self.bytes[at..at + data.len()].copy_from_slice(data);
        self
    }
    pub fn u32(&mut self, at: usize, v: u32) -> &mut Self {
        self.put(at, &v.to_le_bytes())
    }
    /// A string (pointer, length) at `at`, its bytes at `data_at`.
    pub fn string(&mut self, at: usize, data_at: usize, s: &[u8]) -> &mut Self {
        self.put(data_at, s);
        self.u32(at, data_at as u32).u32(at + 4, s.len() as u32)
    }
}

/// Offsets in a raw plugin's memory: `describe`'s record, the result of
/// `validate-user` and the result of `authorize`/`transition`.
pub const DESCRIBE_AT: usize = 0;
pub const VALIDATE_AT: usize = 1024;
pub const VERDICT_AT: usize = 1280;

/// A plugin written by hand in WAT: the canonical-ABI results are whatever `image` holds
/// at [`VALIDATE_AT`] (`result<list<violation>, string>`) and [`VERDICT_AT`]
/// (`result<verdict, string>`); `describe` returns the name and version given.
/// `pages` of 64 KiB of memory; `extra` is spliced into the core module.
pub fn raw_plugin(name: &[u8], version: &[u8], image: &Image, pages: u32, extra: &str) -> Vec<u8> {
    raw_plugin_with(name, version, image, pages, extra, "")
}

/// [`raw_plugin`] with `outer` spliced into the component itself.
pub fn raw_plugin_with(
    name: &[u8],
    version: &[u8],
    image: &Image,
    pages: u32,
    extra: &str,
    outer: &str,
) -> Vec<u8> {
    let mut img = image.clone();
    img.string(DESCRIBE_AT, 64, name);
    img.string(DESCRIBE_AT + 8, 512, version);
    let data: String = img.bytes.iter().map(|b| format!("\\{b:02x}")).collect();
    let p12 = "i32 ".repeat(12);
    let p16 = "i32 ".repeat(16);
    let extra_hook = if extra.contains("$hook") {
        ""
    } else {
        "(func $hook)"
    };
    let wat = format!(
        r#"(component
  (core module $m
    (memory (export "memory") {pages})
    (global $bump (mut i32) (i32.const 4194304))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $bump) (i32.const 7)) (i32.const -8)))
      (global.set $bump (i32.add (local.get $p) (local.get 3)))
      (local.get $p))
    (data (i32.const 0) "{data}")
    (func (export "describe") (result i32) (i32.const {DESCRIBE_AT}))
    (func $validate_user_evil_backtrace_name (export "validate-user") (param {p12}) (result i32)
      (call $hook)
      (i32.const {VALIDATE_AT}))
    (func (export "authorize") (param {p16}) (result i32)
      (call $hook)
      (i32.const {VERDICT_AT}))
    (func (export "transition") (param i32) (result i32)
      (call $hook)
      (i32.const {VERDICT_AT}))
    {extra}
    {extra_hook}
  )
  (core instance $i (instantiate $m))
  {outer}
  (type $path-part (variant (case "key" string) (case "index" u32)))
  (export $path-part-e "path-part" (type $path-part))
  (type $severity (enum "error" "warning"))
  (export $severity-e "severity" (type $severity))
  (type $violation (record (field "code" string) (field "path" (list $path-part-e))
    (field "severity" $severity-e) (field "message" string) (field "params-json" string)))
  (export $violation-e "violation" (type $violation))
  (type $denial (record (field "code" string) (field "message" string)))
  (export $denial-e "denial" (type $denial))
  (type $verdict (variant (case "allow") (case "deny" $denial-e)))
  (export $verdict-e "verdict" (type $verdict))
  (type $plugin-info (record (field "name" string) (field "version" string)))
  (export $plugin-info-e "plugin-info" (type $plugin-info))
  (type $vi (record (field "user" string) (field "mode" string) (field "today" string)
    (field "facts" string) (field "core-decision" string) (field "config" string)))
  (export $vi-e "validate-input" (type $vi))
  (type $ai (record (field "actor" string) (field "action" string) (field "target" string)
    (field "change" string) (field "now" string) (field "facts" string)
    (field "core-decision" string) (field "config" string)))
  (export $ai-e "authorize-input" (type $ai))
  (type $ti (record (field "actor" string) (field "target" string) (field "to" string)
    (field "reason" (option string)) (field "now" string) (field "facts" string)
    (field "core-decision" string) (field "config" string)))
  (export $ti-e "transition-input" (type $ti))
  (type $describe-t (func (result $plugin-info-e)))
  (type $validate-t (func (param "input" $vi-e) (result (result (list $violation-e) (error string)))))
  (type $authorize-t (func (param "input" $ai-e) (result (result $verdict-e (error string)))))
  (type $transition-t (func (param "input" $ti-e) (result (result $verdict-e (error string)))))
  (func $describe (type $describe-t) (canon lift (core func $i "describe")
    (memory (core memory $i "memory")) (realloc (core func $i "realloc"))))
  (func $validate (type $validate-t) (canon lift (core func $i "validate-user")
    (memory (core memory $i "memory")) (realloc (core func $i "realloc"))))
  (func $authorize (type $authorize-t) (canon lift (core func $i "authorize")
    (memory (core memory $i "memory")) (realloc (core func $i "realloc"))))
  (func $transition (type $transition-t) (canon lift (core func $i "transition")
    (memory (core memory $i "memory")) (realloc (core func $i "realloc"))))
  (instance $hooks
    (export "describe" (func $describe))
    (export "validate-user" (func $validate))
    (export "authorize" (func $authorize))
    (export "transition" (func $transition)))
  (export "warden:policy/hooks@0.1.0" (instance $hooks))
)"#
    );
    wat.into_bytes()
}
