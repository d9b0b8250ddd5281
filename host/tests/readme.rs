//! The README's CLI examples run as written (from the repository root) and give the
//! outcomes the README shows.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::Path;
use std::process::Command;

#[test]
fn readme_cli_examples_run_as_written() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let prefix = "cargo run -q -p warden-host -- ";
    let examples: Vec<&str> = readme
        .lines()
        .filter_map(|l| l.strip_prefix(prefix))
        .collect();
    assert!(
        examples.len() >= 8,
        "the README should show the CLI on every preset"
    );
    let mut outputs = Vec::new();
    for args in &examples {
        let out = Command::new(env!("CARGO_BIN_EXE_warden"))
            .args(args.split_whitespace())
            .current_dir(root)
            .output()
            .unwrap();
        let code = out.status.code().unwrap();
        assert!(
            code == 0 || code == 1,
            "`warden {args}` exited {code}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        outputs.push(String::from_utf8(out.stdout).unwrap());
    }
    // The outcomes the README quotes.
    let all = outputs.join("\n");
    for quoted in [
        "is not a valid email address (more than one @)",
        "\"department\":\"Engineering\"",
        "((id = $1 AND organization_id = $2) OR (organization_id = $3 AND manager_id = $4))",
        "l'âge minimum est de 18 ans",
        "\"phone\":\"+33612345678\"",
        "2026-12-06T10:00:00Z",
        "the existing account is inactive, reactivate it instead",
        "\"duplicatesInFile\":1",
        "\"status\":[0,0,2,2]",
        "email_domain_not_allowed",
    ] {
        assert!(all.contains(quoted), "no README example printed `{quoted}`");
    }
}
