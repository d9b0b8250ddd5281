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
use crate::tokens;
use crate::users;
use sqlx::{AnyConnection, Row};

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
    // The import is stored before its first item, with the items it plans to create; each
    // item is recorded in its own transaction with the user and its audit entry, so after a
    // crash the stored report still says which items were committed.
    let import_id = tokens::new_id("imp_").map_err(|e| ApiError::Internal(e.to_string()))?;
    let planned: Vec<usize> = accepted.iter().map(|(i, _)| *i).collect();
    sqlx::query(
        "INSERT INTO imports (id, tenant_id, status, total, report, request_id, created_at) VALUES ($1, $2, 'running', $3, $4, $5, $6)",
    )
    .bind(&import_id)
    .bind(&tenant.id)
    .bind(i64::try_from(planned.len()).unwrap_or(i64::MAX))
    .bind(json!({"planned": planned}).to_string())
    .bind(&request_id)
    .bind(now().unix())
    .execute(app.db.pool())
    .await?;
    let mut results = Vec::with_capacity(accepted.len());
    let (mut created, mut refused) = (0_usize, 0_usize);
    for (index, record) in accepted {
        let item = users::ImportItem {
            import: import_id.clone(),
            index,
        };
        match users::create_item(app, caller, record, request_id.clone(), Some(item)).await {
            Ok(w) => {
                created += 1;
                results.push(json!({"index": index, "id": w.user.get("id")}));
            }
            Err(ApiError::Invalid { violations }) => {
                refused += 1;
                results.push(json!({"index": index, "violations": violations}));
            }
            Err(ApiError::PluginInvalid {
                violations,
                plugins,
            }) => {
                refused += 1;
                results.push(json!({"index": index, "violations": violations, "plugins": plugins}));
            }
            Err(ApiError::Forbidden { deny, reason }) => {
                refused += 1;
                results.push(json!({"index": index, "deny": deny, "reason": reason}));
            }
            Err(ApiError::PluginDenied { deny, plugins }) => {
                refused += 1;
                results.push(json!({"index": index, "deny": deny, "plugins": plugins}));
            }
            Err(ApiError::BadRequest(m)) => {
                refused += 1;
                results.push(json!({"index": index, "error": m}));
            }
            Err(e) => {
                let _ = finish(
                    app,
                    &import_id,
                    "failed",
                    json!({"planned": planned, "results": results}),
                )
                .await;
                return Err(e);
            }
        }
    }
    let report = json!({
        "summary": {"total": report.summary.total, "invalid": report.summary.invalid, "created": created, "refused": refused},
        "results": results,
        "planned": planned,
        "policy": tenant.policy.hash(),
    });
    finish(app, &import_id, "done", report.clone()).await?;
    let mut out = report;
    if let Some(o) = out.as_object_mut() {
        o.remove("planned");
        o.insert("import".into(), import_id.into());
    }
    Ok(out)
}

async fn finish(app: &App, id: &str, status: &str, report: Value) -> Result<(), ApiError> {
    sqlx::query("UPDATE imports SET status = $1, report = $2, finished_at = $3 WHERE id = $4")
        .bind(status)
        .bind(report.to_string())
        .bind(now().unix())
        .bind(id)
        .execute(app.db.pool())
        .await?;
    Ok(())
}

/// Records a committed import item, inside the transaction that created the user and
/// appended its audit entry (whose sequence number it keeps).
///
/// # Errors
/// Database errors (the item's transaction then fails as a whole).
pub async fn record_item(
    conn: &mut AnyConnection,
    tenant: &str,
    item: &users::ImportItem,
    user_id: &str,
) -> Result<(), ApiError> {
    let seq: i64 = sqlx::query_scalar("SELECT audit_seq FROM tenants WHERE id = $1")
        .bind(tenant)
        .fetch_one(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO import_items (import_id, item, user_id, audit_seq) VALUES ($1, $2, $3, $4)",
    )
    .bind(&item.import)
    .bind(i64::try_from(item.index).unwrap_or(i64::MAX))
    .bind(user_id)
    .bind(seq)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Marks the imports left `running` by a process that stopped (a crash, a kill) as
/// `interrupted`. Run at start, before serving: their reports are then read from the
/// committed items.
///
/// # Errors
/// Database errors.
pub async fn recover(app: &App) -> Result<u64, ApiError> {
    Ok(sqlx::query(
        "UPDATE imports SET status = 'interrupted', finished_at = $1 WHERE status = 'running'",
    )
    .bind(now().unix())
    .execute(app.db.pool())
    .await?
    .rows_affected())
}

/// The stored report of an import of the caller's tenant: its status, the items committed
/// (each with its user and audit entry) and those not committed.
///
/// # Errors
/// [`ApiError::NotFound`] outside the caller's tenant; store errors.
pub async fn stored_report(app: &App, caller: &Caller, id: &str) -> Result<Value, ApiError> {
    caller.actor()?;
    let tenant = &caller.tenant.id;
    let row = sqlx::query(
        "SELECT status, total, report, created_at, finished_at FROM imports WHERE id = $1 AND tenant_id = $2",
    )
    .bind(id)
    .bind(tenant)
    .fetch_optional(app.db.pool())
    .await?
    .ok_or(ApiError::NotFound)?;
    let status: String = row.try_get("status")?;
    let report: Option<String> = row.try_get("report")?;
    let report: Value = match report {
        Some(t) => serde_json::from_str(&t)?,
        None => Value::Null,
    };
    let items = sqlx::query(
        "SELECT item, user_id, audit_seq FROM import_items WHERE import_id = $1 ORDER BY item",
    )
    .bind(id)
    .fetch_all(app.db.pool())
    .await?;
    let mut committed = Vec::with_capacity(items.len());
    let mut done = std::collections::BTreeSet::new();
    for r in &items {
        let item: i64 = r.try_get("item")?;
        done.insert(item);
        committed.push(json!({
            "index": item,
            "id": r.try_get::<String, _>("user_id")?,
            "auditSeq": r.try_get::<i64, _>("audit_seq")?,
        }));
    }
    let not_committed: Vec<i64> = report
        .get("planned")
        .and_then(Value::as_array)
        .map(|p| {
            p.iter()
                .filter_map(Value::as_i64)
                .filter(|i| !done.contains(i))
                .collect()
        })
        .unwrap_or_default();
    Ok(json!({
        "import": id,
        "status": status,
        "total": row.try_get::<i64, _>("total")?,
        "createdAt": row.try_get::<i64, _>("created_at")?,
        "finishedAt": row.try_get::<Option<i64>, _>("finished_at")?,
        "committed": committed,
        "notCommitted": not_committed,
        "summary": report.get("summary"),
        "results": report.get("results"),
    }))
}
