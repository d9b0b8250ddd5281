//! Imports (CSV or JSON Lines): a preview, then a commit. The preview is the kernel's
//! import report (every row's verdict, duplicates within the file) plus the store's answer
//! to its uniqueness lookups (keys already in the directory) and each row's create's own
//! decisions (`users::judge_create`: the actor's authorization, the roles and groups a
//! `roles` or `groups` column gives, see [`warden_core::import::ASSIGNMENT_COLUMNS`]), its
//! tenant's plugins asked as the create asks them. The commit creates each
//! accepted row through the same path as a single create (authorized, validated with the
//! store's answers, committed with its audit entry in its own transaction), so a row is
//! either stored with its audit entry or reported with the reason it was not.

use std::collections::BTreeMap;

use axum::http::HeaderValue;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use warden_core::import::{self, ImportFormat, ImportOptions, RowStatus};
use warden_core::policy::Mode;
use warden_core::validate::ValidationFacts;

use crate::app::{App, now};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{AcceptLanguage, NEUTRAL_LANG};
use crate::tokens;
use crate::users;
use sqlx::{AnyConnection, Row};

/// The largest import body: 8 MiB.
pub const MAX_IMPORT_BODY: usize = 8 << 20;
/// The most data rows one commit request handles (each created, refused or reported
/// invalid).
pub const MAX_COMMIT_ROWS: usize = 10_000;

/// Bytes of a message, hint or error text an import report keeps of one violation or deny
/// (cut on a character boundary).
const REPORT_TEXT_BYTES: usize = 256;
/// Bytes of JSON of a violation's or deny's params (and of a violation's path) an import
/// report keeps; larger params are dropped (`paramsOmitted`), a longer path is cut
/// (`pathTruncated`).
const REPORT_PARAMS_BYTES: usize = 512;
/// Bytes of JSON of one row's violations, and of its plugins' reports, an import report
/// keeps: the first ones, in order, while they fit (the first one always, at least as its
/// code and severity); the others are counted (`violationsOmitted`, `pluginsOmitted`).
const ROW_DETAIL_BYTES: usize = 2048;
/// Bytes of JSON of the details (violations, deny, error, plugins) of all rows of one
/// import report; once spent, a row keeps only its index and the codes of its first
/// [`BRIEF_CODES`] violations (`detailsOmitted`).
const REPORT_DETAIL_BYTES: usize = 4 << 20;
/// The codes a row beyond [`REPORT_DETAIL_BYTES`] keeps.
const BRIEF_CODES: usize = 8;

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

/// Previews or commits an import. A preview's violations are in the caller's language
/// (`accept`); a commit's report is stored, and read back by anyone
/// ([`stored_report`]): it is in [`NEUTRAL_LANG`], as answered.
///
/// # Errors
/// An unreadable file, store errors.
pub async fn import(
    app: &App,
    caller: &Caller,
    bytes: &[u8],
    content_type: Option<&HeaderValue>,
    q: &ImportQuery,
    accept: &AcceptLanguage,
    request_id: Option<String>,
) -> Result<Value, ApiError> {
    let tenant = &caller.tenant;
    let lang = if q.commit {
        accept.answer_in(NEUTRAL_LANG)
    } else {
        accept.negotiate(&tenant.policy)
    };
    let actor = caller.actor()?;
    // An import creates users: an actor whose `users.create` reaches nobody may neither
    // commit nor preview one (a preview answers which keys the directory holds).
    users::require_create_somewhere(tenant, actor)?;
    let format = import_format(content_type, q.format.as_deref())?;
    // Before the kernel reads the rows: a file far past the rows an import takes is not
    // validated first (a line of JSON Lines is a row; a CSV row is at least one line, so
    // more than four lines a row is refused too).
    let lines = bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .count();
    let most_lines = match format {
        ImportFormat::JsonLines => MAX_COMMIT_ROWS,
        ImportFormat::Csv => 4 * MAX_COMMIT_ROWS + 1,
    };
    if lines > most_lines {
        return Err(too_many_rows());
    }
    let facts = ValidationFacts::default();
    let ctx = users::context(Mode::Import, lang, &facts)?;
    let report = import::validate_import(
        &tenant.policy,
        bytes,
        ImportOptions {
            format,
            records: true,
        },
        &ctx,
    )
    .map_err(|e| {
        crate::error::Malformed::new(crate::error::RequestPart::Body, e.code(), e.to_string())
    })?;
    // A preview as a commit: at most MAX_COMMIT_ROWS rows, so that what a preview answers
    // (a row's verdict, the record it would store) stays in proportion to the file, and a
    // file previewed is one that can be committed.
    if report.summary.total > MAX_COMMIT_ROWS {
        return Err(too_many_rows());
    }
    if !q.commit {
        return preview(app, caller, report, lang).await;
    }
    let records = report.records.clone().unwrap_or_default();
    let lines = report.lines.as_deref().unwrap_or_default();
    // Every row is reported with its line: a row the kernel found invalid in the file with
    // its violations, the others with what their commit did.
    let mut budget = REPORT_DETAIL_BYTES;
    let mut invalid = invalid_in_file(&report, &mut budget)?;
    let planned: Vec<usize> = (0..records.len())
        .filter(|i| {
            report
                .status
                .get(*i)
                .is_some_and(|s| *s != RowStatus::Invalid as u8)
        })
        .collect();
    let total = report.summary.total;
    let by = actor.id.clone();
    // The import is stored before its first item, with the items it plans to create and the
    // rows found invalid; each item is recorded in its own transaction with the user and its
    // audit entry, so after a crash the stored report still says which items were
    // committed.
    let import_id = tokens::new_id("imp_").map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut results: Vec<Value> = invalid.values().cloned().collect();
    sqlx::query(
        "INSERT INTO imports (id, tenant_id, status, total, report, request_id, created_at) VALUES ($1, $2, 'running', $3, $4, $5, $6)",
    )
    .bind(&import_id)
    .bind(&tenant.id)
    .bind(i64::try_from(total).unwrap_or(i64::MAX))
    .bind(
        json!({
            "summary": {"total": total, "invalid": report.summary.invalid},
            "results": results,
            "planned": planned,
            "by": by,
        })
        .to_string(),
    )
    .bind(&request_id)
    .bind(now().unix())
    .execute(app.db.pool())
    .await?;
    results.clear();
    let (mut created, mut refused) = (0_usize, 0_usize);
    let mut temporary: BTreeMap<usize, String> = BTreeMap::new();
    for (index, record) in records.into_iter().enumerate() {
        // `planned` is in index order: a search, not a scan per row.
        if planned.binary_search(&index).is_err() {
            results.push(invalid.remove(&index).unwrap_or_else(|| {
                at_line(json!({"index": index, "invalid": true}), lines, index)
            }));
            continue;
        }
        let item = users::ImportItem {
            import: import_id.clone(),
            index,
        };
        let entry =
            match users::create_item(app, caller, record, lang, request_id.clone(), Some(item))
                .await
            {
                Ok(w) => {
                    created += 1;
                    if let Some(p) = w.extra.get("temporaryPassword").and_then(Value::as_str) {
                        temporary.insert(index, p.to_owned());
                    }
                    let entry = json!({"index": index, "id": w.user.get("id")});
                    results.push(at_line(entry, lines, index));
                    continue;
                }
                Err(e) => match refusal(index, e) {
                    Ok(entry) => entry,
                    Err(e) => {
                        // The rows not reached yet that were found invalid are reported too.
                        results.extend(invalid.into_values());
                        let _ = finish(
                            app,
                            &import_id,
                            "failed",
                            json!({
                                "summary": {"total": total, "invalid": report.summary.invalid},
                                "planned": planned,
                                "results": results,
                                "by": by,
                            }),
                        )
                        .await;
                        return Err(e);
                    }
                },
            };
        refused += 1;
        results.push(bound_row(at_line(entry, lines, index), &mut budget));
    }
    let report = json!({
        "summary": {"total": total, "invalid": report.summary.invalid, "created": created, "refused": refused},
        "results": results,
        "planned": planned,
        "policy": tenant.policy.hash(),
        "by": by,
    });
    finish(app, &import_id, "done", report.clone()).await?;
    let mut out = report;
    if let Some(o) = out.as_object_mut() {
        o.remove("planned");
        o.remove("by");
        o.insert("import".into(), import_id.into());
        // Each created account's initial temporary password (R004-05), in this answer
        // only: the stored report never holds one.
        if let Some(Value::Array(results)) = o.get_mut("results") {
            for r in results.iter_mut().filter_map(Value::as_object_mut) {
                let index = r.get("index").and_then(Value::as_u64);
                if let Some(p) = index.and_then(|i| temporary.remove(&(i as usize))) {
                    r.insert("temporaryPassword".into(), p.into());
                    r.insert("mustChangePassword".into(), true.into());
                }
            }
        }
    }
    Ok(out)
}

/// The rows the kernel found invalid in the file, by index, each as an import report
/// tells it (its line and violations, `invalid: true`), bounded ([`bound_row`]) from
/// `budget`: the same entries in a preview and in a commit's report.
fn invalid_in_file(
    report: &import::ImportReport,
    budget: &mut usize,
) -> Result<BTreeMap<usize, Value>, ApiError> {
    let mut invalid = BTreeMap::new();
    for row in &report.rows {
        if report.status.get(row.index) == Some(&(RowStatus::Invalid as u8)) {
            let entry = json!({
                "index": row.index,
                "line": row.line,
                "invalid": true,
                "violations": serde_json::to_value(&row.violations)?,
            });
            invalid.insert(row.index, bound_row(entry, budget));
        }
    }
    Ok(invalid)
}

/// The media types that name an import's format (`Content-Type`, without parameters, any
/// case). `application/vnd.ms-excel` is what browsers on Windows give a `.csv` file.
const CSV_TYPES: [&str; 3] = ["text/csv", "application/csv", "application/vnd.ms-excel"];
const JSON_LINES_TYPES: [&str; 4] = [
    "application/x-ndjson",
    "application/jsonl",
    "application/x-jsonlines",
    "application/jsonlines",
];

/// The format of an import's file: the query's `format` (`csv` or `jsonl`), else what its
/// `Content-Type` says (see [`CSV_TYPES`]), else CSV. Another type says nothing of the
/// format (`text/plain`, `application/octet-stream`, or `application/json` as clients
/// send by habit), but a form's: its body is not the file.
///
/// # Errors
/// An unknown `format` (400 `invalid_parameter`); a form (`multipart/form-data`,
/// `application/x-www-form-urlencoded`), an unreadable header, or a type naming the other
/// format than `format` does (415 `unsupported_media_type`, saying how to send the file).
fn import_format(
    content_type: Option<&HeaderValue>,
    format: Option<&str>,
) -> Result<ImportFormat, ApiError> {
    let asked = match format {
        None => None,
        Some("csv") => Some(ImportFormat::Csv),
        Some("jsonl") => Some(ImportFormat::JsonLines),
        Some(other) => {
            return Err(crate::error::Malformed::new(
                crate::error::RequestPart::Query,
                "invalid_parameter",
                format!(
                    "unknown format `{}`, expected `csv` or `jsonl`",
                    other.chars().take(32).collect::<String>()
                ),
            )
            .field(Some("format".into()))
            .into());
        }
    };
    let unsupported = |why: String| -> ApiError {
        crate::error::Malformed::new(
            crate::error::RequestPart::Body,
            crate::error::UNSUPPORTED_MEDIA_TYPE,
            why,
        )
        .into()
    };
    let said = match content_type.map(|v| v.to_str()) {
        None => None,
        Some(Err(_)) => return Err(unsupported("the Content-Type header is not text".into())),
        Some(Ok(ct)) => {
            let essence = ct.split(';').next().unwrap_or_default().trim();
            let is = |types: &[&str]| types.iter().any(|t| t.eq_ignore_ascii_case(essence));
            let form = essence
                .get(..10)
                .is_some_and(|m| m.eq_ignore_ascii_case("multipart/"))
                || essence.eq_ignore_ascii_case("application/x-www-form-urlencoded");
            if form {
                return Err(unsupported(format!(
                    "the body is a form (`{}`), not the file: send the file itself as the body, as `text/csv` or `application/x-ndjson` (curl: `--data-binary @users.csv -H 'Content-Type: text/csv'`)",
                    crate::extract::shown(essence)
                )));
            }
            if is(&CSV_TYPES) {
                Some(ImportFormat::Csv)
            } else if is(&JSON_LINES_TYPES) {
                Some(ImportFormat::JsonLines)
            } else {
                None
            }
        }
    };
    match (asked, said) {
        (Some(a), Some(s)) if a != s => Err(unsupported(format!(
            "the body is sent as {} and `format` asks for {}",
            format_name(s),
            format_name(a)
        ))),
        (Some(f), _) | (None, Some(f)) => Ok(f),
        (None, None) => Ok(ImportFormat::Csv),
    }
}

/// A format as people name it.
fn format_name(f: ImportFormat) -> &'static str {
    match f {
        ImportFormat::Csv => "CSV",
        ImportFormat::JsonLines => "JSON Lines",
    }
}

/// `entry`, a row's in an import's `results`, with the line the row starts on in the file
/// (`lines`, the kernel's report's, by index), unless it has it already.
fn at_line(mut entry: Value, lines: &[usize], index: usize) -> Value {
    if let (Some(o), Some(&line)) = (entry.as_object_mut(), lines.get(index)) {
        o.entry("line").or_insert(line.into());
    }
    entry
}

/// A row's refusal as an import report tells it (not yet bounded): the violations, the
/// deny, the error of a create that refused the row for a fault of its own. `Err` gives
/// back an error that is not the row's (a store failure): it stops the import.
fn refusal(index: usize, e: ApiError) -> Result<Value, ApiError> {
    Ok(match e {
        ApiError::Invalid { violations } => json!({"index": index, "violations": violations}),
        ApiError::PluginInvalid {
            violations,
            plugins,
        } => json!({"index": index, "violations": violations, "plugins": plugins}),
        ApiError::Forbidden { deny, reason } => {
            json!({"index": index, "deny": deny, "reason": reason})
        }
        ApiError::PluginDenied { deny, plugins } => {
            json!({"index": index, "deny": deny, "plugins": plugins})
        }
        ApiError::BadRequest { code, message } => {
            json!({"index": index, "error": message, "code": code})
        }
        // The row's own fault (a field it may not set, a manager cycle): refused, and the
        // import goes on.
        ApiError::Malformed(m) => {
            json!({"index": index, "error": m.message, "code": m.code, "field": m.field})
        }
        ApiError::Conflict { errors } => json!({"index": index, "errors": errors}),
        e => return Err(e),
    })
}

/// A preview's verdict on one row, with the row's entry in its `results`.
enum Verdict {
    /// Refused by the kernel in the file (bounded already).
    Invalid(Value),
    /// Refused by its create: its violations with the store's answers, or its body.
    Refused(Value),
    /// Created, as far as the preview can tell; its warnings.
    Valid(Value),
}

/// An import's preview: the kernel's report of the file (`summary`, `status` and `rows`:
/// each row's verdict on its own and against the file's other rows), its `records` as
/// they would be stored (no password, no key the policy does not declare), and what the
/// commit will do with each row as far as the directory can tell before writing:
///
/// - `results`, one entry per row in file order, with its `verdict`: `invalid` (the
///   kernel refused it in the file; its entry as in the commit's report: `line`,
///   `violations`, `invalid: true`), `refused` (its entry as the commit will report it:
///   the violations of a create of the row validated with the store's answers, a
///   `duplicate` naming its holder only when the actor may read it, or the create's own
///   refusal of its body, e.g. an `id`), or `valid` (its warnings, if any, as
///   `violations`). Each row is answered against the directory as it is, as the commit
///   answers it: a row can name no user an earlier row of the file creates, since the
///   server assigns new users' ids. Entries are bounded as the commit's report's are.
/// - `summary.refused`: the rows valid in the file that are `refused`.
/// - `taken`, kept for clients of the earlier preview: per uniqueness check, the keys of
///   `refused` rows that the directory holds in the row's scope.
///
/// A row its create would refuse after its validation (the tenant's plugins on the record,
/// the actor's authorization, its roles and groups, a field the actor may not set:
/// [`users::judge_create`], with the directory the create reads; the plugins on the
/// authorization, [`users::plugins_on_create`]) is `refused` with the create's refusal, in
/// the order the create decides. A `valid` row's entry has its plugins' reports
/// (`plugins`), if any. What concurrent writers change before the commit a preview does not
/// predict.
///
/// # Errors
/// Store errors, plugin set load failures.
async fn preview(
    app: &App,
    caller: &Caller,
    report: import::ImportReport,
    lang: warden_core::Lang,
) -> Result<Value, ApiError> {
    let tenant = &caller.tenant;
    let actor = caller.actor()?;
    let mut budget = REPORT_DETAIL_BYTES;
    let mut invalid = invalid_in_file(&report, &mut budget)?;
    // The kernel's `rows` (each row with violations, every violation in full) bounded as
    // the results are: a file of empty rows under a schema of many required fields would otherwise be
    // answered with hundreds of times its size.
    let mut rows_budget = REPORT_DETAIL_BYTES;
    let mut rows: Vec<Value> = Vec::with_capacity(report.rows.len());
    for row in &report.rows {
        let entry = json!({
            "index": row.index,
            "line": row.line,
            "violations": serde_json::to_value(&row.violations)?,
        });
        rows.push(bound_row(entry, &mut rows_budget));
    }
    let records = report.records.clone().unwrap_or_default();
    // Each row the kernel accepted in the file, made into the record its create validates
    // (or refused there, as its create will be).
    let mut entries: Vec<Verdict> = Vec::with_capacity(records.len());
    let mut asked: Vec<(usize, users::NewAccount)> = Vec::new();
    for (index, record) in records.into_iter().enumerate() {
        if report.status.get(index) == Some(&(RowStatus::Invalid as u8)) {
            entries.push(Verdict::Invalid(
                invalid
                    .remove(&index)
                    .unwrap_or_else(|| json!({"index": index, "invalid": true})),
            ));
            continue;
        }
        match users::new_account(tenant, actor, record) {
            Ok(account) => {
                asked.push((index, account));
                entries.push(Verdict::Valid(json!({"index": index})));
            }
            Err(e) => entries.push(Verdict::Refused(refusal(index, e)?)),
        }
    }
    let mut conn = app.db.pool().acquire().await?;
    // A row setting a field the actor may not set is refused before it meets the directory,
    // as its create refuses it ([`users::refuse_unsettable`]): its checks are not answered.
    let mut settable = Vec::with_capacity(asked.len());
    for (index, account) in asked {
        let password_set = account.password(tenant).is_some();
        let refused = users::refuse_unsettable(
            &mut conn,
            tenant,
            actor,
            &account,
            password_set,
            Mode::Import,
            lang,
        )
        .await;
        // The row's refusal, as its create's (`refusal` re-raises a store error).
        match (refused, entries.get_mut(index)) {
            (Ok(()), _) => settable.push((index, account)),
            (Err(e), Some(slot)) => *slot = Verdict::Refused(refusal(index, e)?),
            (Err(e), None) => return Err(e),
        }
    }
    let asked = settable;
    // Every row's checks answered at once, as each row's create answers its own.
    let to_validate: Vec<&Map<String, Value>> = asked.iter().map(|(_, a)| &a.record).collect();
    let decided = users::validate_all(
        app,
        &mut conn,
        tenant,
        actor,
        &to_validate,
        Mode::Import,
        None,
        lang,
    )
    .await?;
    // The chains of managers read for the rows' directories, each once.
    let mut chains = users::ChainCache::new();
    let mut taken: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    // The rows the kernel accepts with the store's answers, with their create's own
    // decisions (judged holding the connection, their plugins asked after).
    let mut pending = Vec::new();
    for ((index, account), (decision, facts)) in asked.iter().zip(decided) {
        let index = *index;
        for c in decision
            .checks
            .iter()
            .filter(|c| c.kind == warden_core::validate::CheckKind::Unique)
        {
            if facts.unique.get(&*c.check).is_some_and(|f| f.taken) {
                taken
                    .entry(c.check.to_string())
                    .or_default()
                    .insert(c.key.clone());
            }
        }
        let Some(slot) = entries.get_mut(index) else {
            continue;
        };
        if !decision.accepted() {
            *slot = Verdict::Refused(refusal(
                index,
                ApiError::Invalid {
                    violations: decision.violations,
                },
            )?);
            continue;
        }
        // After the record's validation, the create's own decisions (see
        // [`users::judge_create`]), with the directory the commit's create reads.
        let password_set = account.password(tenant).is_some();
        // An id of its own, as its create gives it (the directory may hold any other).
        let id = tokens::new_id("u_").map_err(|e| ApiError::Internal(e.to_string()))?;
        let judged = match account.row(tenant, actor, &id, &decision.normalized) {
            Ok(u) => {
                let dir =
                    users::create_directory(&mut conn, &tenant.id, &u, actor, &mut chains).await?;
                users::judge_create(tenant, &dir, actor, &u, password_set, lang).map(|j| (u, j))
            }
            Err(e) => Err(e),
        };
        pending.push((index, account, decision, judged));
    }
    // A plugin set being loaded needs a connection: none is held while the plugins run.
    drop(conn);
    let plugins = crate::plugins::current(app, &tenant.id).await?.is_some();
    for (index, account, decision, judged) in pending {
        // In the order of the row's create: the plugins on the record, the create's own
        // decisions, the plugins on its authorization.
        let asked: Result<Vec<Value>, ApiError> = async {
            let mut reports = if plugins {
                crate::plugins::validate(app, tenant, &account.record, Mode::Import, &decision)
                    .await?
            } else {
                Vec::new()
            };
            let (u, judged) = judged?;
            if plugins {
                reports.extend(
                    users::plugins_on_create(app, tenant, actor, &u, judged)
                        .await?
                        .1,
                );
            }
            Ok(reports)
        }
        .await;
        let verdict = match asked {
            Err(e) => Verdict::Refused(refusal(index, e)?),
            Ok(reports) => {
                let mut entry = Map::new();
                entry.insert("index".into(), index.into());
                if !decision.violations.is_empty() {
                    entry.insert(
                        "violations".into(),
                        serde_json::to_value(&decision.violations)?,
                    );
                }
                if !reports.is_empty() {
                    entry.insert("plugins".into(), Value::Array(reports));
                }
                Verdict::Valid(Value::Object(entry))
            }
        };
        if let Some(slot) = entries.get_mut(index) {
            *slot = verdict;
        }
    }
    // In file order, bounded as the commit's report is: the rows invalid in the file
    // first (above), then the others.
    let mut results = Vec::with_capacity(entries.len());
    let mut refused = 0_usize;
    let lines = report.lines.as_deref().unwrap_or_default();
    for (index, entry) in entries.into_iter().enumerate() {
        let (verdict, mut entry) = match entry {
            Verdict::Invalid(e) => ("invalid", at_line(e, lines, index)),
            Verdict::Refused(e) => {
                refused += 1;
                ("refused", bound_row(at_line(e, lines, index), &mut budget))
            }
            Verdict::Valid(e) => ("valid", bound_row(at_line(e, lines, index), &mut budget)),
        };
        if let Some(o) = entry.as_object_mut() {
            o.insert("verdict".into(), verdict.into());
        }
        results.push(entry);
    }
    let mut v = serde_json::to_value(&report)?;
    if let Some(o) = v.as_object_mut() {
        o.insert("taken".into(), serde_json::to_value(&taken)?);
        o.insert("results".into(), Value::Array(results));
        o.insert("rows".into(), Value::Array(rows));
        if let Some(Value::Object(summary)) = o.get_mut("summary") {
            summary.insert("refused".into(), refused.into());
        }
        o.remove("lookups");
        // (Each entry of `results` has its row's line.)
        o.remove("lines");
        // A preview shows the rows as they would be stored: never a password, nor a key
        // the policy does not declare (it may be a password column misspelt).
        if let Some(Value::Array(records)) = o.get_mut("records") {
            for r in records.iter_mut().filter_map(Value::as_object_mut) {
                warden_core::import::shown_record(&tenant.policy, r);
            }
        }
    }
    Ok(v)
}

/// `s` cut to at most `max` bytes, on a character boundary.
fn cut(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default().to_owned()
}

/// Bytes of `v` as JSON.
fn json_len(v: &Value) -> usize {
    serde_json::to_vec(v).map_or(usize::MAX, |b| b.len())
}

/// One violation or deny as an import report keeps it: its message and hint cut to
/// [`REPORT_TEXT_BYTES`], its params dropped above [`REPORT_PARAMS_BYTES`] of JSON, its path
/// cut to the parts that fit in as many.
fn bound_detail(v: Value) -> Value {
    let Value::Object(mut o) = v else {
        return v;
    };
    for k in ["message", "hint"] {
        if let Some(Value::String(t)) = o.get_mut(k)
            && t.len() > REPORT_TEXT_BYTES
        {
            *t = cut(t, REPORT_TEXT_BYTES);
        }
    }
    if o.get("params")
        .is_some_and(|p| json_len(p) > REPORT_PARAMS_BYTES)
    {
        o.remove("params");
        o.insert("paramsOmitted".into(), true.into());
    }
    if let Some(Value::Array(path)) = o.get_mut("path") {
        let mut used = 2;
        let mut keep = 0;
        for part in path.iter() {
            used += json_len(part) + 1;
            if used > REPORT_PARAMS_BYTES {
                break;
            }
            keep += 1;
        }
        if keep < path.len() {
            path.truncate(keep);
            o.insert("pathTruncated".into(), true.into());
        }
    }
    Value::Object(o)
}

/// The first items of `list` (each through `each`) whose JSON fits in
/// [`ROW_DETAIL_BYTES`] (the first one always, as `first` makes it when it does not fit),
/// and how many were left out.
fn bound_list(
    list: Vec<Value>,
    each: impl Fn(Value) -> Value,
    first: impl Fn(&Value) -> Value,
) -> (Vec<Value>, usize) {
    let total = list.len();
    let mut out = Vec::new();
    let mut used = 2;
    for v in list {
        let v = each(v);
        let n = json_len(&v) + 1;
        if used + n > ROW_DETAIL_BYTES {
            if out.is_empty() {
                out.push(first(&v));
            }
            break;
        }
        used += n;
        out.push(v);
    }
    let omitted = total - out.len();
    (out, omitted)
}

/// A violation reduced to what identifies it: its code, severity and source.
fn brief_violation(v: &Value) -> Value {
    let mut o = Map::new();
    for k in ["code", "severity", "source"] {
        if let Some(x) = v.get(k) {
            o.insert(k.into(), x.clone());
        }
    }
    o.insert("detailsOmitted".into(), true.into());
    Value::Object(o)
}

/// A plugin's report reduced to its identity and outcome.
fn brief_plugin(v: &Value) -> Value {
    let mut o = Map::new();
    for k in ["plugin", "version", "hash", "hook", "outcome"] {
        if let Some(x) = v.get(k) {
            o.insert(k.into(), x.clone());
        }
    }
    if let Some(code) = v.get("error").and_then(|e| e.get("code")) {
        o.insert("error".into(), json!({"code": code}));
    }
    Value::Object(o)
}

/// One row's entry of an import report, bounded: its violations and its plugins' reports
/// each to [`ROW_DETAIL_BYTES`] of JSON ([`bound_list`], every violation through
/// [`bound_detail`]), its deny through [`bound_detail`], its error cut to
/// [`REPORT_TEXT_BYTES`]. The entry's bytes are then taken from `budget` (the report's
/// [`REPORT_DETAIL_BYTES`]); once that is spent, the row keeps only its index, line and
/// the codes of its first [`BRIEF_CODES`] violations or of its deny.
///
/// So a stored import report holds at most [`REPORT_DETAIL_BYTES`] (4 MiB) of rows'
/// details, plus per row its index, line, created user's id or at most [`BRIEF_CODES`]
/// codes (a plugin's code is at most 64 bytes): under 12 MiB for [`MAX_COMMIT_ROWS`] rows,
/// however much the kernel or the plugins said.
fn bound_row(entry: Value, budget: &mut usize) -> Value {
    let Value::Object(mut o) = entry else {
        return entry;
    };
    let mut codes: Vec<Value> = Vec::new();
    if let Some(Value::Array(vs)) = o.remove("violations") {
        codes.extend(
            vs.iter()
                .filter_map(|v| v.get("code").cloned())
                .take(BRIEF_CODES),
        );
        let (vs, omitted) = bound_list(vs, bound_detail, brief_violation);
        o.insert("violations".into(), Value::Array(vs));
        if omitted > 0 {
            o.insert("violationsOmitted".into(), omitted.into());
        }
    }
    if let Some(Value::Array(ps)) = o.remove("plugins") {
        let (ps, omitted) = bound_list(ps, |p| p, brief_plugin);
        o.insert("plugins".into(), Value::Array(ps));
        if omitted > 0 {
            o.insert("pluginsOmitted".into(), omitted.into());
        }
    }
    if let Some(deny) = o.remove("deny") {
        if let Some(code) = deny.get("code") {
            codes.push(code.clone());
        }
        o.insert("deny".into(), bound_detail(deny));
    }
    if let Some(Value::String(e)) = o.get_mut("error")
        && e.len() > REPORT_TEXT_BYTES
    {
        *e = cut(e, REPORT_TEXT_BYTES);
    }
    let o = Value::Object(o);
    let n = json_len(&o);
    if n <= *budget {
        *budget -= n;
        return o;
    }
    *budget = 0;
    let mut brief = Map::new();
    for k in ["index", "line", "invalid"] {
        if let Some(v) = o.get(k) {
            brief.insert(k.into(), v.clone());
        }
    }
    codes.truncate(BRIEF_CODES);
    brief.insert("codes".into(), Value::Array(codes));
    brief.insert("detailsOmitted".into(), true.into());
    Value::Object(brief)
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

/// The stored report of an import of the caller's tenant: its status, every row (those
/// found invalid in the file, those committed, each with its user and audit entry, and
/// those refused or not committed).
///
/// Read by the importer, or by an actor who may run imports (whose `users.create` reaches
/// someone); for anyone else the import does not exist. A reader other than the importer
/// learns a duplicate's holder (`existingId`, `existingStatus`) only when it may read that
/// account, as on a create of its own.
///
/// # Errors
/// [`ApiError::NotFound`] outside the caller's tenant or reach; store errors.
pub async fn stored_report(app: &App, caller: &Caller, id: &str) -> Result<Value, ApiError> {
    let actor = caller.actor()?;
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
    let mut report: Value = match report {
        Some(t) => serde_json::from_str(&t)?,
        None => Value::Null,
    };
    let importer = report.get("by").and_then(Value::as_str) == Some(actor.id.as_str());
    if !importer {
        let create = warden_core::access::scope(
            &caller.tenant.policy,
            &actor.account(),
            "users.create",
            now(),
        )
        .map_err(ApiError::from)?;
        if matches!(create.filter, warden_core::access::Filter::None) {
            return Err(ApiError::NotFound);
        }
        conceal_report_holders(app, caller, actor, &mut report).await?;
    }
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

/// Removes from `report`'s results the duplicate holders (`existingId`, `existingStatus`)
/// that `actor` may not see ([`users::holder_view`]: read the user, see its value of the
/// violation's field): what [`users::conceal_holders`] does to
/// the store's facts before a decision, done to a stored report's violations for a reader
/// other than the importer the report was decided for.
async fn conceal_report_holders(
    app: &App,
    caller: &Caller,
    actor: &crate::store::UserRow,
    report: &mut Value,
) -> Result<(), ApiError> {
    let Some(results) = report.get_mut("results").and_then(Value::as_array_mut) else {
        return Ok(());
    };
    let mut conn = app.db.pool().acquire().await?;
    let mut visible = users::HolderAnswers::new();
    for entry in results {
        let Some(vs) = entry.get_mut("violations").and_then(Value::as_array_mut) else {
            continue;
        };
        for v in vs {
            // The violation's field: the first key of its path.
            let field = v
                .get("path")
                .and_then(Value::as_array)
                .and_then(|p| p.first())
                .and_then(Value::as_str)
                .map(str::to_owned);
            let Some(params) = v.get_mut("params").and_then(Value::as_object_mut) else {
                continue;
            };
            // The status, and the suggestion the kernel worded from it, go with it.
            let conceal_status = |params: &mut serde_json::Map<String, Value>| {
                params.remove("existingStatus");
                params.remove("suggestion");
            };
            let (Some(holder), Some(field)) =
                (params.get("existingId").and_then(Value::as_str), field)
            else {
                params.remove("existingId");
                conceal_status(params);
                continue;
            };
            let view =
                users::holder_view(app, &mut conn, &caller.tenant, actor, holder, &mut visible)
                    .await?;
            let sees = view.sees(&field);
            if !sees {
                params.remove("existingId");
            }
            if !sees || !view.sees("status") {
                conceal_status(params);
            }
        }
    }
    Ok(())
}

/// [`ApiError::Malformed`] `too_many_rows`: a file of more rows than an import takes.
fn too_many_rows() -> ApiError {
    crate::error::Malformed::new(
        crate::error::RequestPart::Body,
        "too_many_rows",
        format!("at most {MAX_COMMIT_ROWS} rows per import (preview or commit): split the file"),
    )
    .into()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

    use super::*;

    #[test]
    fn a_rows_details_are_bounded_and_the_reports_budget_spent_once() {
        let big = json!({
            "code": "a",
            "severity": "error",
            "message": "é".repeat(10_000),
            "params": {"x": "y".repeat(10_000)},
            "path": vec!["k".repeat(200); 50],
        });
        let entry = json!({"index": 4, "violations": vec![big; 100], "deny": {"code": "no", "message": "m".repeat(10_000)}});
        let mut budget = REPORT_DETAIL_BYTES;
        let row = bound_row(entry.clone(), &mut budget);
        let v = &row["violations"][0];
        assert_eq!(v["message"].as_str().unwrap().len(), REPORT_TEXT_BYTES);
        assert!(
            v.get("params").is_none() && v["paramsOmitted"] == true,
            "{v}"
        );
        assert!(json_len(&v["path"]) <= REPORT_PARAMS_BYTES && v["pathTruncated"] == true);
        let kept = row["violations"].as_array().unwrap().len();
        assert!(kept >= 1 && json_len(&row["violations"]) <= ROW_DETAIL_BYTES);
        assert_eq!(row["violationsOmitted"], 100 - kept);
        assert_eq!(
            row["deny"]["message"].as_str().unwrap().len(),
            REPORT_TEXT_BYTES
        );
        assert!(json_len(&row) <= 2 * ROW_DETAIL_BYTES, "{row}");
        assert_eq!(REPORT_DETAIL_BYTES - budget, json_len(&row));
        // The report's budget spent: the index and the first codes only.
        let mut budget = 10;
        let row = bound_row(entry, &mut budget);
        assert_eq!(
            row,
            json!({"index": 4, "codes": vec!["a"; BRIEF_CODES], "detailsOmitted": true})
        );
        assert_eq!(budget, 0);
    }
}
