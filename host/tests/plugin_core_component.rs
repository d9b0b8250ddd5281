//! The core compiled as a component gives the same outcome as the native core on every
//! conformance vector (compared for equality, not just against the expectations).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod plugin_common;

use serde_json::Value;
use warden_host::plugin::{CoreComponent, LoadError, Runtime};

#[test]
fn every_vector_gives_identical_outcomes_natively_and_through_the_component() {
    let runtime = Runtime::new().unwrap();
    let core = CoreComponent::load(
        runtime,
        &plugin_common::component("warden_core"),
        CoreComponent::DEFAULT_LIMITS,
    )
    .unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let (mut cases, mut mismatches) = (0, Vec::new());
    for file in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
    {
        let doc: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
        for case in doc["cases"].as_array().unwrap() {
            cases += 1;
            let request = &case["request"];
            let native = match warden_core::api::evaluate(request) {
                Ok(v) => v,
                Err(e) => e.envelope(),
            };
            let wasm = match core.evaluate(request) {
                Ok(Ok(v) | Err(v)) => v,
                Err(e) => panic!("{}: the component failed: {e}", case["name"]),
            };
            if native != wasm {
                mismatches.push(format!(
                    "{}\n native: {native}\n   wasm: {wasm}",
                    case["name"]
                ));
            }
        }
    }
    assert!(
        cases >= 140,
        "only {cases} vectors found in {}",
        dir.display()
    );
    assert!(
        mismatches.is_empty(),
        "{} of {cases} differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn the_core_component_is_refused_as_a_plugin_and_plugins_as_the_core() {
    let runtime = Runtime::new().unwrap();
    // Under the hard caps: the core (2.7 MB) is above the default size of a plugin, and
    // the refusal tested here is of its shape.
    let err = runtime
        .compile(
            &plugin_common::component("warden_core"),
            &warden_host::plugin::Limits::CAPS,
        )
        .unwrap_err();
    assert!(matches!(err, LoadError::MissingExport { .. }), "{err}");
    let err = CoreComponent::load(
        runtime,
        &plugin_common::component("email_domain"),
        CoreComponent::DEFAULT_LIMITS,
    )
    .unwrap_err();
    assert!(matches!(err, LoadError::ForbiddenImport { .. }), "{err}");
}
