//! The directory's rows and the queries over them. Every query names its tenant; user ids
//! are random and global, so a manager edge never crosses tenants.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use crate::error::ApiError;
use serde_json::{Map, Value};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use warden_core::Timestamp;
use warden_core::model::Account;
use warden_core::validate::{Check, CheckKind, UniqueFact, ValidationFacts};

/// A stored password hash (PHC string). Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredHash(pub String);

impl fmt::Debug for StoredHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoredHash(***)")
    }
}

/// A user as stored.
#[derive(Debug, Clone)]
pub struct UserRow {
    /// Global id.
    pub id: String,
    /// Tenant.
    pub tenant: String,
    /// The normalised record (never a password).
    pub document: Map<String, Value>,
    /// Indexed: organisation.
    pub organization: Option<String>,
    /// Indexed: manager.
    pub manager: Option<String>,
    /// Indexed: location.
    pub location: Option<String>,
    /// Stored status.
    pub status: String,
    /// End of a temporary status.
    pub status_until: Option<i64>,
    /// Direct roles.
    pub roles: Vec<String>,
    /// Manual groups.
    pub groups: Vec<String>,
    /// Super administrator.
    pub super_admin: bool,
    /// Root user.
    pub root: bool,
    /// Password hash.
    pub password_hash: Option<StoredHash>,
    /// When the password was set.
    pub password_changed_at: Option<i64>,
    /// Must change the password at next login.
    pub must_change_password: bool,
    /// Session epoch: sessions of an older epoch are revoked.
    pub session_epoch: i64,
    /// Failed logins since the last success (Unix seconds).
    pub failed_logins: Vec<i64>,
    /// Earlier lockouts.
    pub lockouts: i64,
    /// Soft deletion time.
    pub deleted_at: Option<i64>,
    /// The row's version as read (0 for a row not yet stored): every write bumps it, and
    /// [`update_user`] writes only over the version it was given (optimistic concurrency).
    pub version: i64,
}

const USER_COLUMNS: &str = "id, tenant_id, document, organization_id, manager_id, location, status, status_until, roles, groups_json, super_admin, root, password_hash, password_changed_at, must_change_password, session_epoch, failed_logins, lockouts, deleted_at, version";

fn json_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

impl UserRow {
    fn from_row(r: &AnyRow) -> Result<UserRow, sqlx::Error> {
        let document: String = r.try_get("document")?;
        let roles: String = r.try_get("roles")?;
        let groups: String = r.try_get("groups_json")?;
        let failed: String = r.try_get("failed_logins")?;
        Ok(UserRow {
            id: r.try_get("id")?,
            tenant: r.try_get("tenant_id")?,
            document: serde_json::from_str(&document).unwrap_or_default(),
            organization: r.try_get("organization_id")?,
            manager: r.try_get("manager_id")?,
            location: r.try_get("location")?,
            status: r.try_get("status")?,
            status_until: r.try_get("status_until")?,
            roles: json_list(&roles),
            groups: json_list(&groups),
            super_admin: r.try_get::<i64, _>("super_admin")? != 0,
            root: r.try_get::<i64, _>("root")? != 0,
            password_hash: r
                .try_get::<Option<String>, _>("password_hash")?
                .map(StoredHash),
            password_changed_at: r.try_get("password_changed_at")?,
            must_change_password: r.try_get::<i64, _>("must_change_password")? != 0,
            session_epoch: r.try_get("session_epoch")?,
            failed_logins: serde_json::from_str(&failed).unwrap_or_default(),
            lockouts: r.try_get("lockouts")?,
            deleted_at: r.try_get("deleted_at")?,
            version: r.try_get("version")?,
        })
    }

    /// The account the kernel sees.
    pub fn account(&self) -> Account {
        Account {
            id: self.id.clone(),
            organization: self.organization.clone(),
            status: self.status.clone(),
            status_until: self.status_until.map(Timestamp::from_unix),
            roles: self.roles.clone(),
            groups: self.groups.clone(),
            super_admin: self.super_admin,
            root: self.root,
            manager: self.manager.clone(),
            location: self.location.clone(),
            attributes: self.document.clone(),
        }
    }

    /// The user as the API shows it.
    pub fn view(&self) -> Value {
        let mut doc = self.document.clone();
        doc.insert("id".into(), self.id.clone().into());
        doc.insert("status".into(), self.status.clone().into());
        if let Some(u) = self.status_until {
            doc.insert(
                "statusUntil".into(),
                Timestamp::from_unix(u).to_string().into(),
            );
        }
        doc.insert("roles".into(), self.roles.clone().into());
        doc.insert("groups".into(), self.groups.clone().into());
        if self.super_admin {
            doc.insert("superAdmin".into(), true.into());
        }
        if self.root {
            doc.insert("root".into(), true.into());
        }
        if self.deleted_at.is_some() {
            doc.insert("deleted".into(), true.into());
        }
        doc.insert("version".into(), self.version.into());
        Value::Object(doc)
    }

    /// [`view`](Self::view) as a reader sees the account at `now`: a temporary status whose
    /// time is up shows the status it returned to (the kernel's effective status, which
    /// every decision reads), without the past `statusUntil`. The stored row is unchanged.
    pub fn view_at(&self, policy: &warden_core::Policy, now: Timestamp) -> Value {
        let mut view = self.view();
        let account = self.account();
        let effective = policy
            .lifecycle()
            .and_then(|lc| warden_core::lifecycle::effective_status_id(lc, &account, now));
        if let (Some(status), Some(o)) = (effective, view.as_object_mut())
            && status != self.status
        {
            o.insert("status".into(), status.into());
            o.remove("statusUntil");
        }
        view
    }
}

/// Loads a user of `tenant` (soft-deleted ones included).
///
/// # Errors
/// Database errors.
pub async fn user(
    conn: &mut AnyConnection,
    tenant: &str,
    id: &str,
) -> Result<Option<UserRow>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(UserRow::from_row).transpose()
}

/// One page of the tenant's live users inside a scope filter the kernel rendered (dollar
/// placeholders), after the id `after`, in id order: at most `limit` rows.
///
/// # Errors
/// Store errors.
pub async fn users_in_scope(
    conn: &mut AnyConnection,
    tenant: &str,
    filter: &warden_core::access::SqlFilter,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<UserRow>, sqlx::Error> {
    let mut n = filter.params.len();
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    let mut extra = vec![Param::Text(tenant.to_owned())];
    let mut sql_where = format!(
        "({}) AND tenant_id = {} AND deleted_at IS NULL",
        filter.sql,
        next()
    );
    if let Some(a) = after {
        extra.push(Param::Text(a.to_owned()));
        sql_where.push_str(&format!(" AND id > {}", next()));
    }
    extra.push(Param::Int(limit));
    let tail = format!("ORDER BY id LIMIT {}", next());
    users_where(conn, &sql_where, &filter.params, &extra, &tail).await
}

/// The users matching `sql_where` (a condition with dollar placeholders: `params`, a
/// kernel filter's, bound first, then `extra`), with `tail` (order, limit) after it.
///
/// # Errors
/// Database errors.
pub async fn users_where(
    conn: &mut AnyConnection,
    sql_where: &str,
    params: &[Value],
    extra: &[Param],
    tail: &str,
) -> Result<Vec<UserRow>, sqlx::Error> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE {sql_where} {tail}");
    let mut q = sqlx::query(&sql);
    for p in params {
        q = match p {
            Value::String(s) => q.bind(s.clone()),
            Value::Number(n) => q.bind(n.as_i64().unwrap_or(0)),
            Value::Bool(b) => q.bind(i64::from(*b)),
            _ => q.bind(Option::<String>::None),
        };
    }
    for p in extra {
        q = match p {
            Param::Text(s) => q.bind(s.clone()),
            Param::Int(i) => q.bind(*i),
        };
    }
    let rows = q.fetch_all(&mut *conn).await?;
    rows.iter().map(UserRow::from_row).collect()
}

/// An extra bound parameter.
#[derive(Debug, Clone)]
pub enum Param {
    /// Text.
    Text(String),
    /// Integer.
    Int(i64),
}

/// The user whose uniqueness key (email, username) is `login`.
///
/// # Errors
/// Database errors.
pub async fn user_by_login(
    conn: &mut AnyConnection,
    tenant: &str,
    login: &str,
) -> Result<Option<UserRow>, sqlx::Error> {
    match login_holders(conn, tenant, login).await?.into_iter().next() {
        Some(id) => user(conn, tenant, &id).await,
        None => Ok(None),
    }
}

/// The users holding `login` as their e-mail or username key, the e-mail's holder first:
/// at most two (the question is whether one user alone holds it). A username may be
/// another user's e-mail address, each unique in its own field.
///
/// # Errors
/// Store errors.
pub async fn login_holders(
    conn: &mut AnyConnection,
    tenant: &str,
    login: &str,
) -> Result<Vec<String>, sqlx::Error> {
    // The key as uniqueness stores it (lower case, NFC); an e-mail address as the field
    // stores it (an internationalised domain in A-labels, `xn--`), when it is one; a key
    // stored before keys were in NFC, lower case only. A key is a stored value exactly,
    // so asking for the three in one query finds no one else.
    let login = login.trim();
    let mut keys = vec![warden_core::validate::unique_key(login)];
    let email = warden_core::checks::email::EmailOptions { allow_idn: true };
    if let Ok(address) = warden_core::checks::email::normalize_email(login, email) {
        keys.push(warden_core::validate::unique_key(&address));
    }
    keys.push(login.to_lowercase());
    keys.sort_unstable();
    keys.dedup();
    let sql = format!(
        "SELECT user_id FROM user_keys WHERE tenant_id = $1 AND field IN ('email', 'username') AND key IN ({}) GROUP BY user_id ORDER BY MIN(field), user_id LIMIT 2",
        marks(2, keys.len())
    );
    let mut q = sqlx::query_scalar(&sql).bind(tenant);
    for k in &keys {
        q = q.bind(k);
    }
    q.fetch_all(&mut *conn).await
}

/// Keys, key pairs or ids asked of the store in one query when many records' checks are
/// answered at once ([`answer_checks_of`]): within SQLite's and PostgreSQL's limits on
/// bound parameters.
const KEYS_PER_QUERY: usize = 500;

/// The scope a uniqueness check's key is held in: the normalised value of its `within`
/// field, or the empty scope for a check over the whole tenant. The one place both the
/// keys stored ([`set_keys`]) and the keys asked ([`answer_checks_of`]) take it from.
fn scope_of(c: &Check) -> &str {
    c.within.as_ref().map_or("", |w| w.value.as_str())
}

/// Whether an existence check names an organisation (the `organization` field), answered
/// from `organizations`; every other reference (manager, supervisor) names a user.
fn names_organization(c: &Check) -> bool {
    &*c.field == "organization"
}

/// `$from, $from+1, ...`: `n` dollar placeholders, for an `IN (...)` list.
fn marks(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The holders of uniqueness keys by check, scope and key: (user id, status).
type Holders = HashMap<String, HashMap<String, HashMap<String, (String, String)>>>;

/// Answers the kernel's checks from the store: uniqueness keys against `user_keys`
/// (another user holding the key in the check's scope), organisations against
/// `organizations`, other references (manager, supervisor) against the tenant's live users.
/// One record's checks, as [`answer_checks_of`] answers each of many.
///
/// # Errors
/// Database errors.
pub async fn answer_checks(
    conn: &mut AnyConnection,
    tenant: &str,
    checks: &[Check],
    self_id: Option<&str>,
) -> Result<ValidationFacts, sqlx::Error> {
    Ok(answer_checks_of(conn, tenant, &[checks], self_id)
        .await?
        .pop()
        .unwrap_or_default())
}

/// The store's answers to the checks of many records (an import's rows), one
/// [`ValidationFacts`] per record, in order: each record's checks answered as a create of
/// that record alone would have them answered, against the store as it is (a record is not
/// answered by another record of the same call). The questions are asked once each, in
/// batches of at most 500: a uniqueness check's keys per query with the
/// scopes they are asked in, every organisation or user id named per query, never one
/// query per record.
///
/// A uniqueness key is taken when another user (not `self_id`) holds it in the check's
/// scope (an employee id unique within an organisation is taken only by a
/// holder in the same organisation); a reference exists when the tenant has the
/// organisation (a check on the `organization` field) or the live (not deleted) user it names.
///
/// # Errors
/// Database errors.
pub async fn answer_checks_of(
    conn: &mut AnyConnection,
    tenant: &str,
    records: &[&[Check]],
    self_id: Option<&str>,
) -> Result<Vec<ValidationFacts>, sqlx::Error> {
    // Every question once: uniqueness by check, as (scope, key); references by table.
    let mut unique: BTreeMap<&str, BTreeSet<(&str, &str)>> = BTreeMap::new();
    let mut organizations: BTreeSet<&str> = BTreeSet::new();
    let mut users: BTreeSet<&str> = BTreeSet::new();
    for c in records.iter().flat_map(|checks| checks.iter()) {
        match c.kind {
            CheckKind::Unique => {
                unique
                    .entry(&*c.check)
                    .or_default()
                    .insert((scope_of(c), c.key.as_str()));
            }
            CheckKind::Exists if names_organization(c) => {
                organizations.insert(c.key.as_str());
            }
            CheckKind::Exists => {
                users.insert(c.key.as_str());
            }
        }
    }
    let mut holders = Holders::new();
    for (check, pairs) in &unique {
        let pairs: Vec<&(&str, &str)> = pairs.iter().collect();
        for chunk in pairs.chunks(KEYS_PER_QUERY) {
            // The chunk's (scope, key) pairs as row values: only the pairs asked are read
            // (a list of scopes and one of keys would read their cross product, every
            // key held in every scope of the chunk).
            let rows: Vec<String> = (0..chunk.len())
                .map(|i| format!("(${}, ${})", 3 + 2 * i, 4 + 2 * i))
                .collect();
            let sql = format!(
                "SELECT k.scope, k.key, k.user_id, u.status FROM user_keys k JOIN users u ON u.tenant_id = k.tenant_id AND u.id = k.user_id WHERE k.tenant_id = $1 AND k.check_id = $2 AND (k.scope, k.key) IN ({})",
                rows.join(", ")
            );
            let mut q = sqlx::query(&sql).bind(tenant).bind(*check);
            for (scope, key) in chunk {
                q = q.bind(*scope).bind(*key);
            }
            for r in q.fetch_all(&mut *conn).await? {
                let scope: String = r.try_get("scope")?;
                let key: String = r.try_get("key")?;
                // The chunk is in (scope, key) order, as the set it was taken from.
                let asked = chunk
                    .binary_search_by(|p| (p.0, p.1).cmp(&(scope.as_str(), key.as_str())))
                    .is_ok();
                if !asked {
                    continue;
                }
                let holder = (
                    r.try_get::<String, _>("user_id")?,
                    r.try_get::<String, _>("status")?,
                );
                holders
                    .entry((*check).to_owned())
                    .or_default()
                    .entry(scope)
                    .or_default()
                    .insert(key, holder);
            }
        }
    }
    let organizations = existing(
        conn,
        tenant,
        "SELECT id FROM organizations WHERE tenant_id = $1 AND id IN",
        &organizations,
    )
    .await?;
    let users = existing(
        conn,
        tenant,
        "SELECT id FROM users WHERE tenant_id = $1 AND deleted_at IS NULL AND id IN",
        &users,
    )
    .await?;
    let answers = records
        .iter()
        .map(|checks| {
            let mut facts = ValidationFacts::default();
            for c in checks.iter() {
                match c.kind {
                    CheckKind::Unique => {
                        let holder = holders
                            .get(&*c.check)
                            .and_then(|by_scope| by_scope.get(scope_of(c)))
                            .and_then(|by_key| by_key.get(&c.key));
                        let fact = match holder {
                            Some((id, status)) if Some(id.as_str()) != self_id => UniqueFact {
                                key: Some(c.key.clone()),
                                taken: true,
                                existing_id: Some(id.clone()),
                                existing_status: Some(status.clone()),
                            },
                            _ => UniqueFact {
                                key: Some(c.key.clone()),
                                taken: false,
                                existing_id: None,
                                existing_status: None,
                            },
                        };
                        facts.unique.insert(c.check.to_string(), fact);
                    }
                    CheckKind::Exists => {
                        let found = if names_organization(c) {
                            organizations.contains(&c.key)
                        } else {
                            users.contains(&c.key)
                        };
                        facts.exists.insert(c.check.to_string(), found);
                    }
                }
            }
            facts
        })
        .collect();
    Ok(answers)
}

/// Which of `ids` the query `select` (naming the tenant `$1`, ending with `id IN`) finds,
/// asked [`KEYS_PER_QUERY`] at a time.
async fn existing(
    conn: &mut AnyConnection,
    tenant: &str,
    select: &str,
    ids: &BTreeSet<&str>,
) -> Result<BTreeSet<String>, sqlx::Error> {
    let ids: Vec<&str> = ids.iter().copied().collect();
    let mut found = BTreeSet::new();
    for chunk in ids.chunks(KEYS_PER_QUERY) {
        let sql = format!("{select} ({})", marks(2, chunk.len()));
        let mut q = sqlx::query_scalar::<_, String>(&sql).bind(tenant);
        for id in chunk {
            q = q.bind(*id);
        }
        found.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(found)
}

/// The manager chain above `start` (itself first), as (id, manager) rows, bounded.
///
/// # Errors
/// Database errors.
pub async fn ancestors(
    conn: &mut AnyConnection,
    tenant: &str,
    start: &str,
) -> Result<Vec<(String, Option<String>)>, sqlx::Error> {
    let rows = sqlx::query(
        "WITH RECURSIVE a(id, manager_id, depth) AS (SELECT id, manager_id, 0 FROM users WHERE tenant_id = $1 AND id = $2 UNION ALL SELECT u.id, u.manager_id, a.depth + 1 FROM users u JOIN a ON u.id = a.manager_id WHERE a.depth < 256) SELECT id, manager_id FROM a ORDER BY depth",
    )
    .bind(tenant)
    .bind(start)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("manager_id")?)))
        .collect()
}

/// Gives the rows written before the `search` column (or inserted by an older server
/// since) their search text (`users::search_column`), 500 rows per transaction, walking
/// the table once by id; how many. A serving instance runs it in the background after it
/// starts listening: until a row has its text, a search reads it as a candidate that its
/// own check decides.
///
/// # Errors
/// Database errors.
pub async fn fill_search_column(pool: &sqlx::AnyPool) -> Result<u64, sqlx::Error> {
    let mut filled = 0;
    let mut after = String::new();
    loop {
        let mut tx = pool.begin().await?;
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT tenant_id, id, document FROM users WHERE id > $1 AND search IS NULL ORDER BY id LIMIT 500",
        )
        .bind(&after)
        .fetch_all(&mut *tx)
        .await?;
        let Some(last) = rows.last().map(|r| r.1.clone()) else {
            return Ok(filled);
        };
        for (tenant, id, document) in rows {
            // A document that is not an object has no values to search in.
            let document: Map<String, Value> = serde_json::from_str(&document).unwrap_or_default();
            filled += sqlx::query(
                "UPDATE users SET search = $1 WHERE tenant_id = $2 AND id = $3 AND search IS NULL",
            )
            .bind(crate::users::search_column(&document))
            .bind(&tenant)
            .bind(&id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        tx.commit().await?;
        after = last;
    }
}

/// Inserts a new user row.
///
/// # Errors
/// Database errors (a constraint violation included).
pub async fn insert_user(
    conn: &mut AnyConnection,
    u: &UserRow,
    now: i64,
) -> Result<(), sqlx::Error> {
    bind_user(
        sqlx::query(
            "INSERT INTO users (id, tenant_id, document, organization_id, manager_id, location, status, status_until, roles, groups_json, super_admin, root, password_hash, password_changed_at, must_change_password, session_epoch, failed_logins, lockouts, deleted_at, created_at, updated_at, search) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $20, $21)",
        ),
        u,
        now,
    )
    .bind(crate::users::search_column(&u.document))
    .execute(&mut *conn)
    .await?;
    crate::closure::insert(conn, &u.tenant, &u.id, u.manager.as_deref()).await
}

/// Binds a user row's columns as `$1` (id) to `$20` (the time), the order `insert_user` and
/// `update_user` share.
fn bind_user<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    u: &'q UserRow,
    now: i64,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    q.bind(&u.id)
        .bind(&u.tenant)
        .bind(serde_json::to_string(&u.document).unwrap_or_default())
        .bind(&u.organization)
        .bind(&u.manager)
        .bind(&u.location)
        .bind(&u.status)
        .bind(u.status_until)
        .bind(serde_json::to_string(&u.roles).unwrap_or_default())
        .bind(serde_json::to_string(&u.groups).unwrap_or_default())
        .bind(i64::from(u.super_admin))
        .bind(i64::from(u.root))
        .bind(u.password_hash.as_ref().map(|h| h.0.clone()))
        .bind(u.password_changed_at)
        .bind(i64::from(u.must_change_password))
        .bind(u.session_epoch)
        .bind(serde_json::to_string(&u.failed_logins).unwrap_or_default())
        .bind(u.lockouts)
        .bind(u.deleted_at)
        .bind(now)
}

/// Writes every column of an existing user row, over the version it was read at; a new
/// manager moves the user's subtree in the closure table in the same transaction.
///
/// The write is conditional (`WHERE version = u.version`) and bumps the version, so a
/// decision made on a row that another request has changed since it was read is never
/// written over that change: the update then fails with [`ApiError::Conflict`]
/// (`stale_user`, HTTP 409) and the caller's transaction is dropped, its audit entry and
/// obligations with it. The client reads the user again and retries.
///
/// # Errors
/// [`ApiError::Conflict`] when the row changed since it was read (or is gone); database
/// errors.
pub async fn update_user(
    conn: &mut AnyConnection,
    u: &mut UserRow,
    now: i64,
) -> Result<(), ApiError> {
    // What the write changes that more than the row follows: the manager (the closure),
    // the status (reset tokens). Read before the write, in one query.
    let stored: Option<(Option<String>, String)> =
        sqlx::query_as("SELECT manager_id, status FROM users WHERE id = $1")
            .bind(&u.id)
            .fetch_optional(&mut *conn)
            .await?;
    let moved = stored.as_ref().is_some_and(|(m, _)| *m != u.manager);
    let status_changed = stored.as_ref().is_some_and(|(_, s)| *s != u.status);
    let written = bind_user(
        sqlx::query(
            "UPDATE users SET document = $3, organization_id = $4, manager_id = $5, location = $6, status = $7, status_until = $8, roles = $9, groups_json = $10, super_admin = $11, root = $12, password_hash = $13, password_changed_at = $14, must_change_password = $15, session_epoch = $16, failed_logins = $17, lockouts = $18, deleted_at = $19, updated_at = $20, search = $22, version = version + 1 WHERE id = $1 AND tenant_id = $2 AND version = $21",
        ),
        u,
        now,
    )
    .bind(u.version)
    .bind(crate::users::search_column(&u.document))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if written != 1 {
        return Err(stale_user(&u.id));
    }
    if moved {
        // The decision refused a manager below the user, on the hierarchy it read; two
        // moves decided at once (X under Y, Y under X) would each pass it. The hierarchy
        // is read again here, after the other's write: on PostgreSQL with the tenant's
        // row locked (after the user's row, the order every write-time recheck takes),
        // SQLite's write transactions being serialised already.
        lock_tenant(conn, &u.tenant).await?;
        if let Some(m) = u.manager.as_deref()
            && crate::closure::is_below_or_same(conn, &u.id, m).await?
        {
            return Err(stale(format!(
                "user `{m}` was moved below user `{}` while this request was being decided; read them again and retry",
                u.id
            )));
        }
        crate::closure::set_manager(conn, &u.tenant, &u.id, u.manager.as_deref()).await?;
    }
    // A reset token is issued under a status (`reset::issue`): once the user is written in
    // another, it is void for good, not again usable when the user returns to the first.
    if status_changed {
        void_reset_tokens(conn, &u.tenant, &u.id).await?;
    }
    // The row as now stored: its views show the version the next edit must name.
    u.version += 1;
    Ok(())
}

/// Writes a login's counters (failed attempts, lockouts) alone, without a new version: a
/// failed or successful sign-in that changes nothing else must not make an administrator's
/// change of the same user, decided meanwhile, fail as stale (anyone can send wrong
/// passwords). The caller holds the row (the login's transaction locked it). A concurrent
/// administrator's write may then put back the counters it read: a failure recorded in
/// between is forgotten, which leaves an attacker at most one more attempt per such write.
///
/// # Errors
/// Database errors.
pub async fn write_login_counters(
    conn: &mut AnyConnection,
    u: &UserRow,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE users SET failed_logins = $3, lockouts = $4, updated_at = $5 WHERE id = $1 AND tenant_id = $2",
    )
    .bind(&u.id)
    .bind(&u.tenant)
    .bind(serde_json::to_string(&u.failed_logins).unwrap_or_default())
    .bind(u.lockouts)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The error of a write over a user row that changed since it was read.
pub fn stale_user(id: &str) -> ApiError {
    stale(format!(
        "user `{id}` changed while this request was being decided; read it again and retry"
    ))
}

/// 409 `stale_user`: what a decision was made on changed before its write (`message`
/// says what).
fn stale(message: String) -> ApiError {
    ApiError::conflict("id", "stale_user", message)
}

/// Refuses to remove `u` from the directory (a hard or soft deletion) while live users name
/// it as their manager (R001-04: a manager exists): 409 `has_reports`, saying how many.
/// Read in the deletion's transaction; an edit naming `u` as a manager meanwhile holds `u`
/// until it commits. An anonymising deletion keeps the user (its record erased), and so
/// its reports' references.
///
/// # Errors
/// `has_reports`; database errors.
pub async fn refuse_while_managing(conn: &mut AnyConnection, u: &UserRow) -> Result<(), ApiError> {
    let reports: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND manager_id = $2 AND deleted_at IS NULL AND id <> $2",
    )
    .bind(&u.tenant)
    .bind(&u.id)
    .fetch_one(&mut *conn)
    .await?;
    if reports > 0 {
        return Err(ApiError::conflict(
            "id",
            "has_reports",
            format!(
                "{reports} user(s) name this user as their manager: give them another manager first (or deactivate or anonymise this user, which keeps it)"
            ),
        ));
    }
    Ok(())
}

/// Removes a user row for good, over the version it was read at (as [`update_user`]
/// writes), cutting its reports' subtrees from the hierarchy above it.
///
/// # Errors
/// [`ApiError::Conflict`] (`stale_user`) when the row changed since it was read (or is
/// gone); database errors.
pub async fn delete_user(conn: &mut AnyConnection, u: &UserRow) -> Result<(), ApiError> {
    crate::closure::remove(conn, &u.id).await?;
    let removed =
        sqlx::query("DELETE FROM users WHERE tenant_id = $1 AND id = $2 AND version = $3")
            .bind(&u.tenant)
            .bind(&u.id)
            .bind(u.version)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    if removed != 1 {
        return Err(stale_user(&u.id));
    }
    Ok(())
}

/// Replaces a user's uniqueness keys by those of `checks` (the kernel's uniqueness checks
/// of the stored record). The UNIQUE constraint decides between concurrent writers.
///
/// # Errors
/// Database errors; a unique violation when another user holds a key.
pub async fn set_keys(
    conn: &mut AnyConnection,
    tenant: &str,
    user_id: &str,
    checks: &[Check],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM user_keys WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    for c in checks.iter().filter(|c| c.kind == CheckKind::Unique) {
        sqlx::query(
            "INSERT INTO user_keys (tenant_id, check_id, field, scope, key, user_id) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(tenant)
        .bind(&*c.check)
        .bind(&*c.field)
        .bind(scope_of(c))
        .bind(&c.key)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Holds, until the transaction ends, what a decision found existing (its
/// [`CheckKind::Exists`] checks: the organisation a user is in, the live user a field
/// names), and refuses the write when one went away since the facts were read: an
/// organisation deleted, a user deleted, while the change was being decided. Called
/// first in the write's transaction, before the user's own row is written (the order
/// every writer takes: what is referenced, then the user). On PostgreSQL an organisation
/// is locked `FOR KEY SHARE` (its deletion, which locks the row `FOR UPDATE` before it
/// counts the members, waits for the write and sees it; its deactivation, a plain update,
/// does not wait) and a user `FOR SHARE` (its deletion is an update); SQLite's writers are
/// one at a time already.
///
/// # Errors
/// 409 `stale_user` naming the reference that went away; database errors.
pub async fn hold_references(
    conn: &mut AnyConnection,
    tenant: &str,
    checks: &[Check],
) -> Result<(), ApiError> {
    let pg = conn.backend_name() == "PostgreSQL";
    for c in checks.iter().filter(|c| c.kind == CheckKind::Exists) {
        let (sql, lock, what) = if names_organization(c) {
            (
                "SELECT id FROM organizations WHERE tenant_id = $1 AND id = $2",
                " FOR KEY SHARE",
                "organisation",
            )
        } else {
            (
                "SELECT id FROM users WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL",
                " FOR SHARE",
                "user",
            )
        };
        let lock = if pg { lock } else { "" };
        let held: Option<String> = sqlx::query_scalar(&format!("{sql}{lock}"))
            .bind(tenant)
            .bind(&c.key)
            .fetch_optional(&mut *conn)
            .await?;
        if held.is_none() {
            return Err(stale(format!(
                "{what} `{}` (field `{}`) was removed while this request was being decided; nothing was written: read it again and retry",
                c.key, c.field
            )));
        }
    }
    Ok(())
}

/// Removes the keys of `fields` (anonymisation).
///
/// # Errors
/// Database errors.
pub async fn drop_keys(
    conn: &mut AnyConnection,
    user_id: &str,
    fields: &[String],
) -> Result<(), sqlx::Error> {
    for f in fields {
        sqlx::query("DELETE FROM user_keys WHERE user_id = $1 AND field = $2")
            .bind(user_id)
            .bind(f)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// A membership table of the directory: role assignments or manual group memberships, each
/// recording who added it and when.
#[derive(Debug, Clone, Copy)]
enum Membership {
    Roles,
    Groups,
}

impl Membership {
    /// The statements: (delete one, insert one). Table and column names are constants,
    /// never request data.
    fn statements(self) -> (&'static str, &'static str) {
        match self {
            Membership::Roles => (
                "DELETE FROM role_assignments WHERE user_id = $1 AND role = $2",
                "INSERT INTO role_assignments (tenant_id, user_id, role, assigned_by, assigned_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, role) DO NOTHING",
            ),
            Membership::Groups => (
                "DELETE FROM group_members WHERE user_id = $1 AND group_id = $2",
                "INSERT INTO group_members (tenant_id, user_id, group_id, added_by, added_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, group_id) DO NOTHING",
            ),
        }
    }
}

/// Adds and removes memberships of one user, recording who added them and when.
async fn sync_memberships(
    conn: &mut AnyConnection,
    kind: Membership,
    change: MembershipChange<'_>,
) -> Result<(), sqlx::Error> {
    let (delete, insert) = kind.statements();
    for name in change.removed {
        sqlx::query(delete)
            .bind(change.user_id)
            .bind(name)
            .execute(&mut *conn)
            .await?;
    }
    for name in change.added {
        sqlx::query(insert)
            .bind(change.tenant)
            .bind(change.user_id)
            .bind(name)
            .bind(change.by)
            .bind(change.now)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// One user's membership change.
struct MembershipChange<'a> {
    tenant: &'a str,
    user_id: &'a str,
    added: &'a [String],
    removed: &'a [String],
    by: &'a str,
    now: i64,
}

/// Records role grants (who, when) and removes withdrawn ones.
///
/// # Errors
/// Database errors.
pub async fn sync_roles(
    conn: &mut AnyConnection,
    tenant: &str,
    user_id: &str,
    added: &[String],
    removed: &[String],
    by: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    let change = MembershipChange {
        tenant,
        user_id,
        added,
        removed,
        by,
        now,
    };
    sync_memberships(conn, Membership::Roles, change).await
}

/// Records manual group memberships and removes withdrawn ones.
///
/// # Errors
/// Database errors.
pub async fn sync_groups(
    conn: &mut AnyConnection,
    tenant: &str,
    user_id: &str,
    added: &[String],
    removed: &[String],
    by: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    let change = MembershipChange {
        tenant,
        user_id,
        added,
        removed,
        by,
        now,
    };
    sync_memberships(conn, Membership::Groups, change).await
}

/// Role assignments of a user: (role, assigned_by, assigned_at).
///
/// # Errors
/// Database errors.
pub async fn role_assignments(
    conn: &mut AnyConnection,
    user_id: &str,
) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT role, assigned_by, assigned_at FROM role_assignments WHERE user_id = $1 ORDER BY role",
    )
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("role")?,
                r.try_get("assigned_by")?,
                r.try_get("assigned_at")?,
            ))
        })
        .collect()
}

/// Records a task (an obligation a person or a job must carry out).
///
/// # Errors
/// Database errors.
pub async fn add_task(
    conn: &mut AnyConnection,
    tenant: &str,
    user_id: &str,
    kind: &str,
    payload: &Value,
    now: i64,
) -> Result<(), sqlx::Error> {
    let id = crate::tokens::new_id("t_")
        .map_err(|e| sqlx::Error::Protocol(format!("randomness: {e}")))?;
    sqlx::query(
        "INSERT INTO tasks (id, tenant_id, user_id, kind, payload, state, created_at) VALUES ($1, $2, $3, $4, $5, 'open', $6)",
    )
    .bind(id)
    .bind(tenant)
    .bind(user_id)
    .bind(kind)
    .bind(payload.to_string())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Ends every session of a user: bumps the epoch and deletes the session rows.
///
/// # Errors
/// Database errors.
pub async fn revoke_sessions(conn: &mut AnyConnection, u: &mut UserRow) -> Result<(), sqlx::Error> {
    u.session_epoch += 1;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(&u.id)
        .execute(&mut *conn)
        .await?;
    void_reset_tokens(conn, &u.tenant, &u.id).await
}

/// Locks the tenant's row until the transaction ends, on PostgreSQL (`FOR UPDATE`): the
/// write-time rechecks (the last super administrator, the sole holders, the hierarchy)
/// then count after any concurrent write of the tenant. SQLite's write transactions are
/// serialised already. Taken after the rows the write changes, never before.
///
/// # Errors
/// Database errors.
pub async fn lock_tenant(conn: &mut AnyConnection, tenant: &str) -> Result<(), sqlx::Error> {
    if conn.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT id FROM tenants WHERE id = $1 FOR UPDATE")
            .bind(tenant)
            .fetch_optional(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Drops the user's outstanding password-reset tokens: a way in that an ended session,
/// a status change or a deletion must not leave open (a token issued before a
/// deactivation would otherwise work again once the user is reactivated).
///
/// # Errors
/// Database errors.
pub async fn void_reset_tokens(
    conn: &mut AnyConnection,
    tenant: &str,
    user: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM password_reset_tokens WHERE tenant_id = $1 AND user_id = $2")
        .bind(tenant)
        .bind(user)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Active super administrators of a tenant: super administrators, not deleted, in a status
/// of [`Policy::login_statuses`](warden_core::Policy::login_statuses) and, under a policy
/// whose sign-in needs an active organisation, in none or an active one: those who can
/// sign in (the count the kernel's `lastSuperAdmin` guard decides on).
///
/// # Errors
/// Database errors.
pub async fn active_super_admins(
    conn: &mut AnyConnection,
    tenant: &str,
    policy: &warden_core::Policy,
) -> Result<i64, sqlx::Error> {
    let statuses = policy.login_statuses();
    if statuses.is_empty() {
        return Ok(0);
    }
    let list: Vec<String> = (0..statuses.len()).map(|i| format!("${}", i + 2)).collect();
    // Under a policy whose sign-in needs an active organisation, a super administrator in
    // an inactive one cannot sign in: not counted.
    let gates = policy.login_needs_active_organization();
    let reachable = if gates {
        " AND (organization_id IS NULL OR organization_id NOT IN (SELECT id FROM organizations WHERE tenant_id = $1 AND active = 0))"
    } else {
        ""
    };
    let sql = format!(
        "SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND super_admin = 1 AND status IN ({}) AND deleted_at IS NULL{reachable}",
        list.join(", ")
    );
    let mut q = sqlx::query_scalar(&sql).bind(tenant);
    for status in statuses {
        q = q.bind(status);
    }
    q.fetch_one(&mut *conn).await
}

/// How many users [`sole_holder_of`] reads per query.
const HOLDERS_PAGE: i64 = 500;

/// The kernel's `soleHolderOf` fact (R004-09) for `target`: the critical permissions the
/// kernel says it holds ([`critical_permissions_held`]) that no other live user of its
/// organisation holds now, as the kernel says of each (a holder in another organisation
/// cannot act there: the organisation boundary comes first). The others are read in pages
/// of 500 (`HOLDERS_PAGE`), in id order, until every permission has another holder or the
/// users run out: a deactivation of one of several holders usually reads one page. A user
/// whose stored roles the policy no longer declares (the target too) counts as holding
/// nothing, and so do the users in `leaving` (those the other items of a bulk request take
/// away: two holders deactivated in one request cannot each count on the other).
///
/// [`critical_permissions_held`]: warden_core::access::critical_permissions_held
///
/// # Errors
/// Database errors.
pub async fn sole_holder_of(
    conn: &mut AnyConnection,
    tenant: &str,
    policy: &warden_core::Policy,
    target: &UserRow,
    leaving: &BTreeSet<String>,
    now: Timestamp,
) -> Result<Vec<String>, ApiError> {
    use warden_core::access::critical_permissions_held;
    let held =
        |u: &UserRow| critical_permissions_held(policy, &u.account(), now).unwrap_or_default();
    let mut left = held(target);
    let mut after = String::new();
    let mut sql_where = "tenant_id = $1 AND deleted_at IS NULL AND id <> $2 AND id > $3".to_owned();
    let mut params = vec![
        Param::Text(tenant.to_owned()),
        Param::Text(target.id.clone()),
        Param::Text(String::new()),
    ];
    if let Some(org) = &target.organization {
        sql_where.push_str(" AND organization_id = $4");
        params.push(Param::Text(org.clone()));
    }
    while !left.is_empty() {
        if let Some(Param::Text(a)) = params.get_mut(2) {
            a.clone_from(&after);
        }
        let page = users_where(
            conn,
            &sql_where,
            &[],
            &params,
            &format!("ORDER BY id LIMIT {HOLDERS_PAGE}"),
        )
        .await?;
        for other in page.iter().filter(|u| !leaving.contains(&u.id)) {
            let theirs = held(other);
            left.retain(|p| !theirs.contains(p));
        }
        match page.last() {
            Some(last) if page.len() as i64 == HOLDERS_PAGE => after.clone_from(&last.id),
            _ => break,
        }
    }
    Ok(left)
}

/// Holds the sole-holder guard (R004-09) at write time, as [`recheck_super_admins`] holds
/// the last super administrator's: inside the write's transaction, after the write that
/// takes `before` away, the critical permissions it held must still have another holder.
/// Two administrators deactivating the last two holders at once would otherwise both pass
/// the guard, each counting on the other. On PostgreSQL the tenant's row is locked first
/// (`FOR UPDATE`), so the second recount sees the first's write; SQLite's write
/// transactions are serialised already. Called only when the decision applied the guard.
/// `taken` limits the recheck to these permissions (an edit's, which takes only some);
/// `None` rechecks every one `before` held (a status change or deletion takes them all).
///
/// # Errors
/// [`ApiError::Conflict`] (`stale_user`) when a permission lost its other holders since
/// the decision; database errors.
pub async fn recheck_sole_holder(
    conn: &mut AnyConnection,
    policy: &warden_core::Policy,
    before: &UserRow,
    taken: Option<&[String]>,
    now: Timestamp,
) -> Result<(), ApiError> {
    lock_tenant(conn, &before.tenant).await?;
    let tenant = before.tenant.clone();
    let mut sole = sole_holder_of(conn, &tenant, policy, before, &BTreeSet::new(), now).await?;
    if let Some(taken) = taken {
        sole.retain(|p| taken.contains(p));
    }
    if !sole.is_empty() {
        return Err(stale(
            "the holders of a critical permission changed while this request was being decided; retry"
                .into(),
        ));
    }
    Ok(())
}

/// Whether `u` is held back by its organisation: under a policy whose sign-in needs an
/// active organisation, one that is inactive. Such a user signs in to nothing, so nobody
/// acts for them (an API key's `X-Warden-Act-As`, an AuthZEN subject), and they are left
/// out of [`active_super_admins`].
///
/// # Errors
/// Database errors.
pub async fn out_of_reach(
    conn: &mut AnyConnection,
    policy: &warden_core::Policy,
    u: &UserRow,
) -> Result<bool, sqlx::Error> {
    match &u.organization {
        Some(org) if policy.login_needs_active_organization() => {
            Ok(organization_active(conn, &u.tenant, org).await? == Some(false))
        }
        _ => Ok(false),
    }
}

/// The kernel's `activeSuperAdmins` fact for a decision on `target`: the active super
/// administrators ([`active_super_admins`]), `target` counted as the kernel counts it (by
/// its status) even when its inactive organisation leaves it out of reach. So the kernel's
/// "the last one" test asks whether anyone else can sign in as one: taking away a super
/// administrator out of reach is refused only when no other is in reach.
///
/// # Errors
/// Database errors.
pub async fn super_admins_fact(
    conn: &mut AnyConnection,
    policy: &warden_core::Policy,
    target: &UserRow,
) -> Result<i64, sqlx::Error> {
    let counted = active_super_admins(conn, &target.tenant, policy).await?;
    Ok(counted + i64::from(super_admin_out_of_reach(conn, policy, target).await?))
}

/// Whether `u` is an active super administrator by its status, as the kernel counts one,
/// that [`active_super_admins`] leaves out (its organisation inactive): what
/// [`super_admins_fact`] adds to the count for a decision on `u`.
///
/// # Errors
/// Database errors.
pub async fn super_admin_out_of_reach(
    conn: &mut AnyConnection,
    policy: &warden_core::Policy,
    u: &UserRow,
) -> Result<bool, sqlx::Error> {
    Ok(active_super_admin(u, &policy.login_statuses()) && out_of_reach(conn, policy, u).await?)
}

/// Whether the row is an active super administrator, as [`active_super_admins`] counts
/// them (`statuses`: the policy's login statuses).
fn active_super_admin(u: &UserRow, statuses: &[&str]) -> bool {
    u.super_admin && u.deleted_at.is_none() && statuses.contains(&u.status.as_str())
}

/// Holds the last-super-admin guard at write time: when a write took an active super
/// administrator away (`before` was one, `after` is not, or is gone: `None`), the tenant's
/// count of active super administrators must now be one less than `counted`, the count the
/// kernel decided on. Called inside the write's transaction, after the write (so that the
/// user's row is locked before the tenant's, the order every audited write takes them).
/// On PostgreSQL the tenant's row is locked first (`FOR UPDATE`, until the transaction
/// ends), so two such removals in one tenant are serialised and the second counts the
/// first's; SQLite's write transactions are serialised already (`BEGIN IMMEDIATE`).
/// Without it, two administrators removing the last two super administrators at once could
/// both pass the guard.
///
/// # Errors
/// [`ApiError::Conflict`] (`stale_user`) when the count changed since the decision; database
/// errors. `Ok(true)` when the write was such a removal (the count is now `counted - 1`).
pub async fn recheck_super_admins(
    conn: &mut AnyConnection,
    policy: &warden_core::Policy,
    before: &UserRow,
    after: Option<&UserRow>,
    counted: i64,
) -> Result<bool, ApiError> {
    let statuses = policy.login_statuses();
    if !active_super_admin(before, &statuses)
        || after.is_some_and(|a| active_super_admin(a, &statuses))
        // One who cannot sign in (an inactive organisation) is not in the count: taking
        // it away leaves the count as it was.
        || out_of_reach(conn, policy, before).await?
    {
        return Ok(false);
    }
    lock_tenant(conn, &before.tenant).await?;
    if active_super_admins(conn, &before.tenant, policy).await? != counted - 1 {
        return Err(stale(
            "the tenant's super administrators changed while this request was being decided; retry"
                .into(),
        ));
    }
    Ok(true)
}

/// Whether an organisation exists and is active: `None` when it does not exist.
///
/// # Errors
/// Database errors.
pub async fn organization_active(
    conn: &mut AnyConnection,
    tenant: &str,
    id: &str,
) -> Result<Option<bool>, sqlx::Error> {
    let v: Option<i64> =
        sqlx::query_scalar("SELECT active FROM organizations WHERE tenant_id = $1 AND id = $2")
            .bind(tenant)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(v.map(|a| a != 0))
}

/// [`organization_active`] with the organisation's row locked until the transaction ends
/// (PostgreSQL, `FOR NO KEY UPDATE`, as the deactivation's own update locks it, and
/// compatible with the `FOR KEY SHARE` of [`hold_references`]; SQLite's writers are one at
/// a time already): a write that moves a user into the organisation is then ordered
/// against its deactivation, which updates that row before it ends its users' sessions,
/// so one of the two always sees the other.
///
/// # Errors
/// Database errors.
pub async fn organization_active_locked(
    conn: &mut AnyConnection,
    tenant: &str,
    id: &str,
) -> Result<Option<bool>, sqlx::Error> {
    if conn.backend_name() != "PostgreSQL" {
        return organization_active(conn, tenant, id).await;
    }
    let v: Option<i64> = sqlx::query_scalar(
        "SELECT active FROM organizations WHERE tenant_id = $1 AND id = $2 FOR NO KEY UPDATE",
    )
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(v.map(|a| a != 0))
}

/// Whether `e` is a unique-constraint violation.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}
