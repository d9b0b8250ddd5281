//! Imports (CSV or JSON Lines): a preview, then a commit. The preview is the kernel's
//! import report (every row's verdict, duplicates within the file) plus the store's answer
//! to its uniqueness lookups (keys already in the directory). The commit creates each
//! accepted row through the same path as a single create (authorized, validated with the
//! store's answers, committed with its audit entry in its own transaction), so a row is
//! either stored with its audit entry or reported with the reason it was not.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use warden_core::import::{self, ImportFormat, ImportOptions, RowStatus};
use warden_core::policy::Mode;
use warden_core::validate::ValidationFacts;
use warden_core::{Lang, ValidationContext};

use crate::app::{App, now};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::users;

/// The largest import body: 8 MiB.
pub const MAX_IMPORT_BODY: usize = 8 << 20;
/// The most rows one commit request creates.
pub const MAX_COMMIT_ROWS: usize = 10_000;

/// The query of an import.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// `csv` (default) or `jsonl`.
    #[serde(default)]
    pub format: Option<String>,
    /// Commit the accepted rows (default: preview only).
    #[serde(default)]
    pub commit: bool,
}

/// Previews or commits an import.
///
/// # Errors
/// An unreadable file, store errors.
pub async fn import(
    app: &App,
    caller: &Caller,
    bytes: &[u8],
    q: &ImportQuery,
    request_id: Option<String>,
) -> Result<Value, ApiError> {
    let tenant = &caller.tenant;
    let actor = caller.actor()?;
    // An import creates users: an actor whose `users.create` reaches nobody may neither
    // commit nor preview one (a preview answers which keys the directory holds).
    let create =
        warden_core::access::scope(&tenant.policy, &actor.account(), "users.create", now())
            .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    if matches!(create.filter, warden_core::access::Filter::None) {
        return Err(ApiError::Forbidden {
            deny: None,
            reason: "an import creates users: the actor may not create users",
        });
    }
    let format = match q.format.as_deref() {
        None | Some("csv") => ImportFormat::Csv,
        Some("jsonl") => ImportFormat::JsonLines,
        Some(other) => return Err(ApiError::BadRequest(format!("unknown format `{other}`"))),
    };
    let today = now()
        .date()
        .ok_or_else(|| ApiError::Internal("clock".into()))?;
    let facts = ValidationFacts::default();
    let ctx = ValidationContext {
        mode: Mode::Import,
        today,
        lang: Lang::En,
        facts: &facts,
        mfa: false,
    };
    let report = import::validate_import(
        &tenant.policy,
        bytes,
        ImportOptions {
            format,
            records: true,
        },
        &ctx,
    )
    .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    if !q.commit {
        // Keys the directory already holds, per uniqueness check.
        let mut taken: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut conn = app.db.pool().acquire().await?;
        for (check, keys) in &report.lookups {
            for key in keys.iter().take(MAX_COMMIT_ROWS) {
                let n: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM user_keys WHERE tenant_id = $1 AND check_id = $2 AND key = $3",
                )
                .bind(&tenant.id)
                .bind(check)
                .bind(key)
                .fetch_one(&mut *conn)
                .await?;
                if n > 0 {
                    taken.entry(check.clone()).or_default().push(key.clone());
                }
            }
        }
        let mut v = serde_json::to_value(&report)?;
        if let Some(o) = v.as_object_mut() {
            o.insert("taken".into(), serde_json::to_value(&taken)?);
            o.remove("lookups");
        }
        return Ok(v);
    }
    let records = report.records.clone().unwrap_or_default();
    let accepted: Vec<(usize, Map<String, Value>)> = records
        .into_iter()
        .enumerate()
        .filter(|(i, _)| {
            report
                .status
                .get(*i)
                .is_some_and(|s| *s != RowStatus::Invalid as u8)
        })
        .collect();
    if accepted.len() > MAX_COMMIT_ROWS {
        return Err(ApiError::BadRequest(format!(
            "at most {MAX_COMMIT_ROWS} rows per commit"
        )));
    }
    let mut results = Vec::with_capacity(accepted.len());
    let (mut created, mut refused) = (0_usize, 0_usize);
    for (index, record) in accepted {
        match users::create(app, caller, record, request_id.clone()).await {
            Ok(w) => {
                created += 1;
                results.push(json!({"index": index, "id": w.user.get("id")}));
            }
            Err(ApiError::Invalid { violations }) => {
                refused += 1;
                results.push(json!({"index": index, "violations": violations}));
            }
            Err(ApiError::Forbidden { deny, reason }) => {
                refused += 1;
                results.push(json!({"index": index, "deny": deny, "reason": reason}));
            }
            Err(ApiError::BadRequest(m)) => {
                refused += 1;
                results.push(json!({"index": index, "error": m}));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(json!({
        "summary": {"total": report.summary.total, "invalid": report.summary.invalid, "created": created, "refused": refused},
        "results": results,
        "policy": tenant.policy.hash(),
    }))
}
