//! Invariants shared by Warden's fuzz targets (`fuzz_targets/`), checked on every input the
//! fuzzer runs. A broken invariant panics with a message naming it: libFuzzer reports it as
//! a crash and saves the input under `artifacts/TARGET/`.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use warden_core::api::Op;

/// The operation a request names, if it names one of the contract's.
pub fn op_of(request: &Value) -> Option<Op> {
    request
        .get("op")
        .and_then(Value::as_str)
        .and_then(Op::from_name)
}

/// Checks a successful response of the JSON entry point for `op`: it carries the contract
/// version, it round-trips through the operation's output type (for the output types that
/// can be read back), and every allow names what granted it while every deny says why.
pub fn check_response(op: Op, response: &Value) {
    assert_eq!(
        response.get("contract"),
        Some(&Value::from(warden_core::api::CONTRACT_VERSION)),
        "a response without the contract version: {response}"
    );
    match op {
        Op::Validate => roundtrip::<warden_core::ValidationDecision>(op, response),
        Op::Import => {
            roundtrip::<warden_core::import::ImportReport>(op, response);
            if let Ok(r) = serde_json::from_value(strip(response)) {
                check_import_report(&r);
            }
        }
        Op::Authorize => roundtrip::<warden_core::access::AuthzDecision>(op, response),
        Op::Transition => roundtrip::<warden_core::lifecycle::TransitionDecision>(op, response),
        Op::Login => roundtrip::<warden_core::lifecycle::LoginDecision>(op, response),
        Op::Lockout => roundtrip::<warden_core::lifecycle::LockoutState>(op, response),
        Op::Delete => roundtrip::<warden_core::lifecycle::DeleteDecision>(op, response),
        Op::Changes | Op::PasswordChange => {
            roundtrip::<warden_core::lifecycle::ChangeDecision>(op, response)
        }
        Op::Verification => roundtrip::<warden_core::lifecycle::VerificationDecision>(op, response),
        Op::Statistics => roundtrip::<warden_core::lifecycle::Statistics>(op, response),
        Op::EffectiveStatus => roundtrip::<warden_core::lifecycle::EffectiveStatus>(op, response),
        Op::Bulk => {
            roundtrip::<warden_core::bulk::BulkDecision>(op, response);
            check_bulk(response);
        }
        // Output types that are only written (PasswordDecision, ScopeOutput,
        // PermissionsDecision, DirectoryDecision, PasswordResetOutput, FindingsDecision):
        // their shape is checked by the rules below and by the contract's schema tests.
        _ => {}
    }
    check_allow_deny(op, response);
}

/// The response without its `contract` stamp: the operation's output type as serialised.
fn strip(response: &Value) -> Value {
    let mut v = response.clone();
    if let Value::Object(m) = &mut v {
        m.remove("contract");
    }
    v
}

/// Reading a response back into its output type and writing it again gives the same JSON.
pub fn roundtrip<T: DeserializeOwned + Serialize>(op: Op, response: &Value) {
    let value = strip(response);
    let typed: T = match serde_json::from_value(value.clone()) {
        Ok(t) => t,
        Err(e) => panic!(
            "the `{}` response does not read back into its output type: {e}\n{value}",
            op.name()
        ),
    };
    let again = serde_json::to_value(&typed).unwrap_or_else(|e| panic!("re-serialising: {e}"));
    assert_eq!(
        again,
        value,
        "the `{}` response changes when read back and written again",
        op.name()
    );
}

/// Every allow names the rule that granted it (authorize: `reason`; transition: the
/// `transition` taken) and carries no denial; every deny carries its denial with a code.
pub fn check_allow_deny(op: Op, response: &Value) {
    let Some(decision) = response.get("decision").and_then(Value::as_str) else {
        return;
    };
    match decision {
        "allow" => {
            assert!(
                response.get("deny").is_none(),
                "an allow that carries a denial: {response}"
            );
            let granted_by = match op {
                Op::Authorize => Some("reason"),
                Op::Transition => Some("transition"),
                _ => None,
            };
            if let Some(key) = granted_by {
                let named = response
                    .get(key)
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.is_empty());
                assert!(
                    named,
                    "an allow without `{key}`, the rule that granted it: {response}"
                );
            }
        }
        "deny" => {
            let code = response
                .get("deny")
                .and_then(|d| d.get("code"))
                .and_then(Value::as_str);
            assert!(
                code.is_some_and(|c| !c.is_empty()),
                "a deny without a denial code: {response}"
            );
        }
        other => panic!("a decision that is neither allow nor deny: `{other}`"),
    }
}

/// A bulk decision's counts add up, and every denied item says why.
fn check_bulk(response: &Value) {
    let Ok(d) = serde_json::from_value::<warden_core::bulk::BulkDecision>(strip(response)) else {
        return;
    };
    let s = d.summary;
    assert_eq!(
        s.total,
        d.results.len(),
        "bulk: total is not the number of results"
    );
    assert_eq!(
        s.allowed + s.denied + s.invalid,
        s.total,
        "bulk: allowed + denied + invalid is not total"
    );
    let items = response.get("results").and_then(Value::as_array);
    for item in items.into_iter().flatten() {
        if item.get("outcome").and_then(Value::as_str) == Some("denied") {
            assert!(
                item.get("deny").is_some(),
                "bulk: a denied item without a denial: {item}"
            );
        }
    }
}

/// An import report's counts, statuses and rows agree with each other.
pub fn check_import_report(r: &warden_core::import::ImportReport) {
    let s = r.summary;
    assert_eq!(r.status.len(), s.total, "import: one status per data row");
    assert_eq!(
        s.valid + s.invalid,
        s.total,
        "import: valid + invalid is not total"
    );
    let count = |x: u8| r.status.iter().filter(|&&st| st == x).count();
    assert_eq!(count(2), s.invalid, "import: invalid count");
    assert_eq!(count(1), s.warnings, "import: warnings count");
    assert!(
        r.status.iter().all(|&st| st <= 2),
        "import: unknown row status"
    );
    assert_eq!(
        r.rows.len(),
        count(1) + count(2),
        "import: one row report per row with violations"
    );
    let mut last = None;
    for row in &r.rows {
        assert!(last < Some(row.index), "import: row reports out of order");
        last = Some(row.index);
        assert!(
            r.status.get(row.index).is_some_and(|&st| st != 0),
            "import: a row report for a row without violations"
        );
        assert!(
            !row.violations.is_empty(),
            "import: a row report without violations"
        );
        let errors = row
            .violations
            .iter()
            .any(|v| v.severity == warden_core::Severity::Error);
        let status = r.status.get(row.index).copied();
        assert_eq!(
            status,
            Some(if errors { 2 } else { 1 }),
            "import: a row's status does not follow its violations"
        );
    }
    if let Some(records) = &r.records {
        assert_eq!(records.len(), s.total, "import: one record per data row");
    }
}

/// The error envelope of the JSON entry point: `{"contract": 1, "error": {"code",
/// "message", ...}}` with a non-empty code and message.
pub fn check_error_envelope(text: &str) {
    let v: Value = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("an error envelope that is not JSON: {e}: {text}"));
    assert_eq!(
        v.get("contract"),
        Some(&Value::from(1)),
        "an error without the contract: {v}"
    );
    let err = v.get("error").and_then(Value::as_object);
    let Some(err) = err else {
        panic!("an error envelope without `error`: {v}")
    };
    for key in ["code", "message"] {
        assert!(
            err.get(key)
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty()),
            "an error without a `{key}`: {v}"
        );
    }
}

/// The normalised record plus the record's password (never part of `normalized`).
pub fn with_password(
    normalized: &Map<String, Value>,
    record: &Map<String, Value>,
) -> Map<String, Value> {
    let mut out = normalized.clone();
    if let Some(p) = record.get("password") {
        out.insert("password".into(), p.clone());
    }
    out
}
