//! Shared helpers of the plugin test suites: locating the built components.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

/// The folder `scripts/build-components.sh` writes to (override: `WARDEN_COMPONENTS`).
pub fn components_dir() -> PathBuf {
    match std::env::var_os("WARDEN_COMPONENTS") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/components"),
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
