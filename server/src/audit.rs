//! The audit log: append-only and hash-chained per tenant.
//!
//! Entry `n` of a tenant stores its body (canonical JSON text), the digest of the body's
//! skeleton (`sha256:<hex>`, see [`erase`]: the body with its records as they were replaced
//! by their own digests), the hash of entry `n-1` and its own hash
//! `sha256(prev_hash || "\n" || digest)`; the tenant row keeps the sequence number and hash
//! of the last entry. [`verify`] recomputes every chain: an edited body, digest or hash, a
//! deleted entry (a gap, a broken link, or a head that names a missing last entry) and a
//! reordered entry are all found. (Entries written before digests were kept chain their
//! body itself, `sha256(prev_hash || "\n" || body)`, and are verified so.)
//!
//! Chaining the digest lets a user's personal data be erased ([`erase`]: an anonymising or
//! hard deletion replaces the records as they were, in the entries about the user, by their
//! digests) without breaking the chain: the rest of an erased entry stays checked, it names
//! the entry that erased it, which lists it in its `decision.erased`, and [`verify`] holds
//! every erased entry to such a listing, so that marking an entry erased is no way to
//! rewrite it unnoticed.
//! The chain is unkeyed and its head is in the same database: it finds edits made by hand
//! or by a bug, not a rewrite of the whole chain by someone who can write the database
//! (keep copies of the tenants' `audit_head` elsewhere, and compare, for that).
//!
//! Appending first bumps the tenant's `audit_seq` (`UPDATE ... RETURNING`), which takes
//! the tenant row's lock until the transaction ends: the entries of one tenant are written
//! one transaction at a time, so the chain never forks.

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

/// One audit entry, before it is chained.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    /// The tenant.
    pub tenant: String,
    /// The actor's user id (`system` for seeding and the server itself).
    pub actor: String,
    /// How the actor authenticated (`session`, `key:<id>`, `system`).
    pub via: String,
    /// The action (`users.create`, `users.status`...).
    pub action: String,
    /// The target's id.
    pub target: String,
    /// The record before (secrets left out).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    /// The record after (secrets left out).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
    /// The kernel's decision: its audit entry, reason and policy hash.
    pub decision: Value,
    /// The policy version that decided.
    pub policy_version: i64,
    /// The obligations carried out.
    pub obligations: Vec<Value>,
    /// When, in Unix seconds.
    pub at: i64,
    /// The request id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// `sha256:<hex>` of a text.
fn sha256_of(text: &str) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(text.as_bytes())))
}

/// What an entry holds of personal data, as JSON pointers, which an erasure takes and
/// the chain links by digest: the records as they were, the obligations (they quote
/// e-mail addresses: an e-mail change's old and new ones), and the kernel's reason (free
/// text an administrator wrote: a name, a phone number). Each entry lists them in its
/// body (`erasable`), so that what an entry written before a change of this list erases
/// is what it was written with.
const ERASABLE: [&str; 4] = [
    "/before",
    "/after",
    "/obligations",
    "/decision/kernel/reason",
];

/// What an entry that lists no `erasable` (one written before entries listed it) erases:
/// its records as they were.
const ERASABLE_UNLISTED: [&str; 2] = ["/before", "/after"];

/// The JSON pointers of what `body` holds of personal data ([`ERASABLE`]).
fn erasable_of(body: &Value) -> Vec<String> {
    match body.get("erasable").and_then(Value::as_array) {
        Some(list) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        None => ERASABLE_UNLISTED.iter().map(|p| (*p).to_owned()).collect(),
    }
}

/// What the chain links of an entry's body: the digest of its skeleton, the body with each
/// of its records ([`ERASABLE`]) replaced by the record's own digest. An erased entry keeps
/// those digests in place of its records, so the same skeleton, and so the same digest, is
/// computed from it: everything else it says (who, what, whom, when, the decision) stays
/// checked. `None` for a body that is not a JSON object, or an erased one whose records
/// are not digests.
fn body_digest(body: &Value, erased: bool) -> Option<String> {
    body.as_object()?;
    let mut skeleton = body.clone();
    for pointer in erasable_of(body) {
        if let Some(v) = skeleton.pointer_mut(&pointer) {
            match (erased, &*v) {
                (true, Value::String(d)) if d.starts_with("sha256:") => {}
                (true, _) => return None,
                (false, record) => *v = Value::String(sha256_of(&record.to_string())),
            }
        }
    }
    Some(sha256_of(&skeleton.to_string()))
}

/// The key of the list of sequence numbers an erasing entry's `decision` carries.
const ERASED: &str = "erased";

/// For a deletion of `target` in `mode`: `None` when the mode keeps the user's data (a
/// soft deletion); for an anonymising or hard one, the entries about `target` whose
/// personal data it erases (those written with a digest and not erased yet), by sequence
/// number: what the deletion's entry lists in its `decision.erased` (and leaves its own
/// `before` out) before [`erase`] takes them.
///
/// # Errors
/// Database errors.
pub async fn erasable(
    conn: &mut AnyConnection,
    tenant: &str,
    target: &str,
    mode: Option<warden_core::lifecycle::DeleteMode>,
) -> Result<Option<Vec<i64>>, sqlx::Error> {
    use warden_core::lifecycle::DeleteMode;
    if !matches!(mode, Some(DeleteMode::Anonymize | DeleteMode::Hard)) {
        return Ok(None);
    }
    sqlx::query_scalar(
        "SELECT seq FROM audit_log WHERE tenant_id = $1 AND target_id = $2 AND body_digest IS NOT NULL AND erased_by IS NULL ORDER BY seq",
    )
    .bind(tenant)
    .bind(target)
    .fetch_all(&mut *conn)
    .await
    .map(Some)
}

/// The decision of an erasing entry, listing the entries it erases.
pub fn listing_erased(mut decision: Value, seqs: &[i64]) -> Value {
    if let Some(o) = decision.as_object_mut() {
        o.insert(ERASED.into(), seqs.into());
    }
    decision
}

/// Erases the personal data of the entries `seqs` of `tenant` (what each lists in its
/// `erasable`: the records as they were, the obligations, the kernel's reason; each
/// replaced by its digest), in the caller's transaction, by entry `by`, which lists them
/// ([`listing_erased`]). What stays, and stays checked: who did what to whom, when, under
/// which policy.
///
/// # Errors
/// Database errors.
pub async fn erase(
    conn: &mut AnyConnection,
    tenant: &str,
    seqs: &[i64],
    by: i64,
) -> Result<(), sqlx::Error> {
    for seq in seqs {
        let body: Option<String> = sqlx::query_scalar(
            "SELECT body FROM audit_log WHERE tenant_id = $1 AND seq = $2 AND body_digest IS NOT NULL",
        )
        .bind(tenant)
        .bind(seq)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(body) = body else { continue };
        let mut v: Value = serde_json::from_str(&body)
            .map_err(|e| sqlx::Error::Protocol(format!("audit entry {seq}: {e}")))?;
        for pointer in erasable_of(&v) {
            if let Some(held) = v.pointer_mut(&pointer) {
                *held = Value::String(sha256_of(&held.to_string()));
            }
        }
        sqlx::query(
            "UPDATE audit_log SET body = $1, erased_by = $2 WHERE tenant_id = $3 AND seq = $4",
        )
        .bind(v.to_string())
        .bind(by)
        .bind(tenant)
        .bind(seq)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

fn chain_hash(prev: &str, body: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(b"\n");
    h.update(body.as_bytes());
    format!("sha256:{}", hex::encode(h.finalize()))
}

/// Appends `record` to its tenant's chain, inside the caller's transaction: if the
/// transaction fails, so does the entry, and a failed append fails the transaction.
///
/// # Errors
/// Database errors (the caller's request then fails).
pub async fn append(conn: &mut AnyConnection, record: &AuditRecord) -> Result<i64, sqlx::Error> {
    Ok(chain(conn, record).await?.0)
}

/// Appends `record`, the entry of a change the tenant's policy decided, as [`append`]
/// does, and holds the change to the policy version that decided it
/// (`record.policy_version`): when the tenant's policy was replaced while the change was
/// being decided, the change is refused and its transaction must not commit. The tenant
/// row's lock, taken by the append, orders it against the replacement: a change committed
/// first is seen by the replacement's check of the names users hold
/// ([`crate::policy::replace`]), a change after it is refused here.
///
/// # Errors
/// 409 `stale_policy` when the policy changed; database errors.
pub async fn append_decided(
    conn: &mut AnyConnection,
    record: &AuditRecord,
) -> Result<i64, crate::error::ApiError> {
    let (seq, current) = chain(conn, record).await?;
    if current != record.policy_version {
        return Err(crate::error::ApiError::StalePolicy {
            tenant: record.tenant.clone(),
            message: format!(
                "the tenant's policy was replaced (version {} to {current}) while this change was being decided; nothing was written: send it again",
                record.policy_version
            ),
        });
    }
    Ok(seq)
}

/// Chains `record`; its sequence number and the tenant's policy version under the lock.
async fn chain(conn: &mut AnyConnection, record: &AuditRecord) -> Result<(i64, i64), sqlx::Error> {
    let body = serde_json::to_string(record)
        .map_err(|e| sqlx::Error::Protocol(format!("audit entry: {e}")))?;
    let row = sqlx::query(
        "UPDATE tenants SET audit_seq = audit_seq + 1 WHERE id = $1 RETURNING audit_seq, audit_head, policy_version",
    )
    .bind(&record.tenant)
    .fetch_one(&mut *conn)
    .await?;
    let seq: i64 = row.try_get("audit_seq")?;
    let version: i64 = row.try_get("policy_version")?;
    let prev: String = row.try_get("audit_head")?;
    let mut parsed: Value = serde_json::from_str(&body)
        .map_err(|e| sqlx::Error::Protocol(format!("audit entry: {e}")))?;
    // The entry says what of it an erasure takes ([`ERASABLE`]).
    if let Some(o) = parsed.as_object_mut() {
        o.insert("erasable".into(), ERASABLE.into());
    }
    let body = parsed.to_string();
    let digest = body_digest(&parsed, false)
        .ok_or_else(|| sqlx::Error::Protocol("audit entry: not an object".into()))?;
    let hash = chain_hash(&prev, &digest);
    sqlx::query(
        "INSERT INTO audit_log (tenant_id, seq, target_id, body, prev_hash, hash, body_digest) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&record.tenant)
    .bind(seq)
    .bind(&record.target)
    .bind(&body)
    .bind(&prev)
    .bind(&hash)
    .bind(&digest)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE tenants SET audit_head = $1 WHERE id = $2")
        .bind(&hash)
        .bind(&record.tenant)
        .execute(&mut *conn)
        .await?;
    Ok((seq, version))
}

/// The audit entries about `target` in `tenant` after sequence number `after`, oldest
/// first, at most `limit`; and the sequence number to continue after when there are more.
///
/// # Errors
/// Database errors.
pub async fn history(
    conn: &mut AnyConnection,
    tenant: &str,
    target: &str,
    after: i64,
    limit: i64,
) -> Result<(Vec<Value>, Option<i64>), sqlx::Error> {
    let rows = sqlx::query(
        "SELECT seq, body, erased_by FROM audit_log WHERE tenant_id = $1 AND target_id = $2 AND seq > $3 ORDER BY seq LIMIT $4",
    )
    .bind(tenant)
    .bind(target)
    .bind(after)
    .bind(limit + 1)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    let mut last = None;
    for r in rows.iter().take(usize::try_from(limit).unwrap_or(0)) {
        let seq: i64 = r.try_get("seq")?;
        let body: String = r.try_get("body")?;
        let erased_by: Option<i64> = r.try_get("erased_by")?;
        let mut v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        if let Some(o) = v.as_object_mut() {
            o.insert("seq".into(), seq.into());
            // An erased entry's records are digests: said, not shown as records.
            if let Some(by) = erased_by {
                for key in ERASABLE {
                    o.remove(key);
                }
                o.insert("erasedBy".into(), by.into());
            }
        }
        out.push(v);
        last = Some(seq);
    }
    let more = i64::try_from(rows.len()).unwrap_or(i64::MAX) > limit;
    Ok((out, if more { last } else { None }))
}

/// A break in a tenant's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// The tenant.
    pub tenant: String,
    /// The sequence number where the chain breaks.
    pub seq: i64,
    /// What is wrong.
    pub problem: String,
}

/// Verifies every tenant's chain; returns the problems (none: intact) and how many entries
/// were checked.
///
/// # Errors
/// Database errors.
pub async fn verify(conn: &mut AnyConnection) -> Result<(Vec<Problem>, i64), sqlx::Error> {
    let tenants = sqlx::query("SELECT id, audit_seq, audit_head FROM tenants ORDER BY id")
        .fetch_all(&mut *conn)
        .await?;
    let mut problems = Vec::new();
    let mut checked = 0_i64;
    for t in tenants {
        let tenant: String = t.try_get("id")?;
        let head_seq: i64 = t.try_get("audit_seq")?;
        let head: String = t.try_get("audit_head")?;
        let mut expected_seq = 1_i64;
        let mut prev = String::new();
        let mut after = 0_i64;
        // (erased entry, the entry it names as its eraser); each eraser's list.
        let mut claimed: Vec<(i64, i64)> = Vec::new();
        let mut listed: std::collections::HashMap<i64, std::collections::HashSet<i64>> =
            std::collections::HashMap::new();
        let mut report = |seq: i64, problem: String| {
            problems.push(Problem {
                tenant: tenant.clone(),
                seq,
                problem,
            });
        };
        loop {
            let rows = sqlx::query(
                "SELECT seq, target_id, body, prev_hash, hash, body_digest, erased_by FROM audit_log WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT 1000",
            )
            .bind(&tenant)
            .bind(after)
            .fetch_all(&mut *conn)
            .await?;
            if rows.is_empty() {
                break;
            }
            for r in rows {
                let seq: i64 = r.try_get("seq")?;
                let target: String = r.try_get("target_id")?;
                let body: String = r.try_get("body")?;
                let stored_prev: String = r.try_get("prev_hash")?;
                let hash: String = r.try_get("hash")?;
                let digest: Option<String> = r.try_get("body_digest")?;
                let erased_by: Option<i64> = r.try_get("erased_by")?;
                checked += 1;
                if seq != expected_seq {
                    report(
                        seq,
                        format!("entries {expected_seq} to {} are missing", seq - 1),
                    );
                }
                if stored_prev != prev {
                    report(seq, "does not link to the entry before it".into());
                }
                let parsed = serde_json::from_str::<Value>(&body).ok();
                match &digest {
                    // Before erasable entries: the chain links the body itself.
                    None => {
                        if chain_hash(&stored_prev, &body) != hash || erased_by.is_some() {
                            report(seq, "its content does not match its hash (edited)".into());
                        }
                    }
                    Some(d) => {
                        if chain_hash(&stored_prev, d) != hash {
                            report(seq, "its digest does not match its hash (edited)".into());
                        }
                        let computed = parsed
                            .as_ref()
                            .and_then(|v| body_digest(v, erased_by.is_some()));
                        if computed.as_deref() != Some(d.as_str()) {
                            report(seq, "its content does not match its hash (edited)".into());
                        }
                        // Erased: the entry that erased it must come later and list it.
                        if let Some(by) = erased_by {
                            claimed.push((seq, by));
                        }
                    }
                }
                // An erasing entry's list is checked with the rest of its content, erased
                // or not.
                if digest.is_some()
                    && let Some(list) = parsed
                        .as_ref()
                        .and_then(|v| v.get("decision"))
                        .and_then(|d| d.get(ERASED))
                        .and_then(Value::as_array)
                {
                    listed.insert(seq, list.iter().filter_map(Value::as_i64).collect());
                }
                let named = parsed
                    .as_ref()
                    .and_then(|v| v.get("target").and_then(Value::as_str).map(str::to_owned));
                if named.as_deref() != Some(target.as_str()) {
                    report(seq, "its target column does not match its content".into());
                }
                prev = hash;
                expected_seq = seq + 1;
                after = seq;
            }
        }
        for (seq, by) in claimed {
            if by <= seq || !listed.get(&by).is_some_and(|l| l.contains(&seq)) {
                report(
                    seq,
                    format!("it is marked erased by entry {by}, which does not list it (edited)"),
                );
            }
        }
        if after != head_seq {
            report(
                head_seq,
                format!("the tenant's last entry is {head_seq} but the log ends at {after}"),
            );
        } else if prev != head {
            report(
                head_seq,
                "the last entry's hash differs from the tenant's head".into(),
            );
        }
    }
    Ok((problems, checked))
}
