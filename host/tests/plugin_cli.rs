//! `warden plugin check` and `warden plugin run`, through the binary.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod plugin_common;

use std::process::Command;

use serde_json::Value;

fn warden(args: &[&str]) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_warden"))
        .args(args)
        .output()
        .unwrap();
    let stdout: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), stdout)
}

fn path(name: &str) -> String {
    let p = plugin_common::components_dir().join(format!("{name}.wasm"));
    let _ = plugin_common::component(name); // fails with the script's name when missing
    p.display().to_string()
}

#[test]
fn check_reports_the_interface_or_why_a_component_is_refused() {
    let (code, out) = warden(&["plugin", "check", &path("four_eyes")]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["interface"], "warden:policy/hooks@0.1.0");
    assert_eq!(out["name"], "four-eyes");
    let wasi = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../plugins/hostile/imports-wasi.wat"
    );
    let (code, out) = warden(&["plugin", "check", wasi]);
    assert_eq!(code, 1);
    assert_eq!(out["error"]["code"], "forbidden_import");
}

#[test]
fn run_enforces_the_limits_and_reports_fuel_memory_and_output() {
    let dir = std::env::temp_dir().join(format!("warden-plugin-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let tenant = dir.join("tenant.json");
    std::fs::write(
        &tenant,
        r#"{"config": {"mode": "loop"}, "limits": {"fuel": 2000000}}"#,
    )
    .unwrap();
    let req = dir.join("req.json");
    std::fs::write(
        &req,
        plugin_common::validate_request("ada@acme.example").to_string(),
    )
    .unwrap();
    let (code, out) = warden(&[
        "plugin",
        "run",
        "--plugin",
        &path("hostile"),
        "--tenant-config",
        tenant.to_str().unwrap(),
        req.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}");
    let report = &out["plugins"][0];
    assert_eq!(report["error"]["code"], "fuel_exhausted");
    assert_eq!(report["fuelUsed"], 2_000_000);
    assert!(report["peakMemory"].as_u64().unwrap() > 0);
    assert!(report.get("outputBytes").is_some());
}

#[test]
fn plugin_option_narrows_validate_and_authorize() {
    let dir = std::env::temp_dir().join(format!("warden-plugin-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("cfg.json");
    std::fs::write(&cfg, r#"{"allowedDomains": ["acme.example"]}"#).unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    let user = root.join("examples/000-user.json");
    let plugin = path("email_domain");
    let (code, d) = warden(&[
        "validate",
        "--preset",
        "000",
        "--today",
        "2026-11-22",
        user.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{d}");
    let (code, d) = warden(&[
        "validate",
        "--preset",
        "000",
        "--today",
        "2026-11-22",
        "--plugin",
        &plugin,
        "--plugin-config",
        cfg.to_str().unwrap(),
        user.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{d}");
    assert_eq!(d["violations"][0]["code"], "email_domain_not_allowed");
    assert_eq!(d["violations"][0]["source"]["plugin"], "email-domain");
    // A core deny stays a deny whatever the plugin says.
    let req = dir.join("authorize.json");
    std::fs::write(
        &req,
        r#"{"actor": {"id": "u1", "organization": "a", "roles": ["regular"]}, "action": "users.update", "target": {"id": "u2", "organization": "a"}}"#,
    )
    .unwrap();
    let (code, d) = warden(&[
        "authorize",
        "--preset",
        "000",
        "--now",
        "2026-11-22T10:00:00Z",
        "--plugin",
        &plugin,
        "--plugin-config",
        cfg.to_str().unwrap(),
        req.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{d}");
    assert_eq!(d["decision"], "deny");
}

#[test]
fn a_plugin_that_cannot_load_is_named_by_its_file() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    let user = root.join("examples/000-user.json");
    let wasi = root.join("plugins/hostile/imports-wasi.wat");
    let good = path("email_domain");
    let out = Command::new(env!("CARGO_BIN_EXE_warden"))
        .args([
            "validate",
            "--preset",
            "000",
            "--today",
            "2026-11-22",
            "--plugin",
            &good,
            "--plugin",
            wasi.to_str().unwrap(),
            user.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("`{}`", wasi.display())) && stderr.contains("imports `wasi:"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(&good),
        "the valid plugin is not blamed: {stderr}"
    );
}
