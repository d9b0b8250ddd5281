//! Every rule of `tests/rules.txt` (the ids of `RULES.md`) is proved twice: by a Rust test
//! named after it (`fn r000_07_...` in `core/tests`, `core/src`, `host/tests` or `host/src`)
//! and by at least one conformance vector whose `rules` list names it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn rule_ids() -> Vec<String> {
    let text = std::fs::read_to_string(root().join("tests/rules.txt")).unwrap();
    let ids: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    for id in &ids {
        let b = id.as_bytes();
        assert!(
            b.len() == 7
                && b[0] == b'R'
                && b[4] == b'-'
                && b[1..4].iter().chain(&b[5..7]).all(u8::is_ascii_digit),
            "`{id}` in tests/rules.txt is not a rule id"
        );
    }
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "tests/rules.txt lists an id twice");
    assert!(
        ids.len() >= 49,
        "tests/rules.txt lists only {} rules",
        ids.len()
    );
    ids
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The rule ids named by test functions: `fn r000_07_...` → `R000-07`.
fn ids_in_test_names() -> BTreeSet<String> {
    let mut files = Vec::new();
    for d in ["core/tests", "core/src", "host/tests", "host/src"] {
        rust_files(&root().join(d), &mut files);
    }
    assert!(!files.is_empty());
    let mut out = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, _) in text.match_indices("fn r") {
            let name: String = text[i + 3..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let b = name.as_bytes();
            if b.len() >= 7
                && b[1..4].iter().all(u8::is_ascii_digit)
                && b[4] == b'_'
                && b[5..7].iter().all(u8::is_ascii_digit)
                && (b.len() == 7 || b[7] == b'_')
            {
                out.insert(format!("R{}-{}", &name[1..4], &name[5..7]));
            }
        }
    }
    out
}

/// The rule ids named by conformance vectors.
fn ids_in_vectors() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let dir = root().join("tests/vectors");
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let p = e.path();
        if p.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        for case in doc["cases"].as_array().unwrap() {
            for r in case["rules"].as_array().unwrap() {
                out.insert(r.as_str().unwrap().to_owned());
            }
        }
    }
    out
}

#[test]
fn every_rule_is_named_by_a_rust_test() {
    let named = ids_in_test_names();
    let missing: Vec<String> = rule_ids()
        .into_iter()
        .filter(|id| !named.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "rules without a `fn rNNN_NN_...` test: {missing:?}"
    );
}

#[test]
fn every_rule_is_named_by_a_conformance_vector() {
    let named = ids_in_vectors();
    let missing: Vec<String> = rule_ids()
        .into_iter()
        .filter(|id| !named.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "rules without a conformance vector: {missing:?}"
    );
}

#[test]
fn vectors_name_only_listed_rules() {
    let listed: BTreeSet<String> = rule_ids().into_iter().collect();
    let unknown: Vec<String> = ids_in_vectors()
        .into_iter()
        .filter(|id| !listed.contains(id))
        .collect();
    assert!(
        unknown.is_empty(),
        "vectors name rules that tests/rules.txt does not list: {unknown:?}"
    );
}
