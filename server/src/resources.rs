//! Resources other than users: what an AuthZEN request names with a type other than `user`
//! (a `record`, a `booking`). The directory keeps their placement, the facts the kernel's
//! scopes read (organisation, owner, location), so a decision about a resource is made on
//! stored data, never on what a caller says about it.

use serde_json::{Map, Value};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use warden_core::access::{SqlFilter, Target};

/// The longest resource type or id accepted, in characters.
pub const MAX_RESOURCE_ID_CHARS: usize = 256;

/// A stored resource.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceRow {
    /// Its type (`record`); never `user`.
    pub kind: String,
    /// Its id, unique within the tenant and the type.
    pub id: String,
    /// The organisation it belongs to.
    pub organization: Option<String>,
    /// The account that owns it (`own` and `team` scopes look at it).
    pub owner: Option<String>,
    /// Its location.
    pub location: Option<String>,
    /// Other attributes (shown, never deciding).
    pub attributes: Map<String, Value>,
}

const COLUMNS: &str = "kind, id, organization_id, owner_id, location, attributes";

impl ResourceRow {
    fn from_row(r: &AnyRow) -> Result<ResourceRow, sqlx::Error> {
        let attributes: String = r.try_get("attributes")?;
        Ok(ResourceRow {
            kind: r.try_get("kind")?,
            id: r.try_get("id")?,
            organization: r.try_get("organization_id")?,
            owner: r.try_get("owner_id")?,
            location: r.try_get("location")?,
            attributes: serde_json::from_str(&attributes).unwrap_or_default(),
        })
    }

    /// The target the kernel sees.
    pub fn target(&self) -> Target {
        Target {
            id: self.id.clone(),
            kind: self.kind.clone(),
            organization: self.organization.clone(),
            owner: self.owner.clone(),
            location: self.location.clone(),
            ..Target::default()
        }
    }
}

/// Loads the resource `kind`/`id` of `tenant`.
///
/// # Errors
/// Database errors.
pub async fn resource(
    conn: &mut AnyConnection,
    tenant: &str,
    kind: &str,
    id: &str,
) -> Result<Option<ResourceRow>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM resources WHERE tenant_id = $1 AND kind = $2 AND id = $3"
    ))
    .bind(tenant)
    .bind(kind)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(ResourceRow::from_row).transpose()
}

/// Creates or replaces a resource of `tenant`.
///
/// # Errors
/// Database errors.
pub async fn upsert(
    conn: &mut AnyConnection,
    tenant: &str,
    r: &ResourceRow,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO resources (tenant_id, kind, id, organization_id, owner_id, location, attributes, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT (tenant_id, kind, id) DO UPDATE SET organization_id = excluded.organization_id, owner_id = excluded.owner_id, location = excluded.location, attributes = excluded.attributes, updated_at = excluded.updated_at",
    )
    .bind(tenant)
    .bind(&r.kind)
    .bind(&r.id)
    .bind(&r.organization)
    .bind(&r.owner)
    .bind(&r.location)
    .bind(serde_json::to_string(&r.attributes).unwrap_or_else(|_| "{}".into()))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// One page of the resources of `kind` in `tenant` that `filter` (the kernel's scope filter
/// rendered for this table, `$n` placeholders) admits, ordered by id, after `after`, at
/// most `limit` rows.
///
/// # Errors
/// Database errors.
pub async fn page(
    conn: &mut AnyConnection,
    tenant: &str,
    kind: &str,
    filter: &SqlFilter,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<ResourceRow>, sqlx::Error> {
    let mut n = filter.params.len();
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    let mut sql = format!(
        "SELECT {COLUMNS} FROM resources WHERE ({}) AND tenant_id = {} AND kind = {}",
        filter.sql,
        next(),
        next()
    );
    if after.is_some() {
        sql.push_str(&format!(" AND id > {}", next()));
    }
    sql.push_str(&format!(" ORDER BY id LIMIT {}", next()));
    let mut q = sqlx::query(&sql);
    for p in &filter.params {
        q = match p {
            Value::String(s) => q.bind(s.clone()),
            Value::Number(n) => q.bind(n.as_i64().unwrap_or(0)),
            Value::Bool(b) => q.bind(i64::from(*b)),
            _ => q.bind(Option::<String>::None),
        };
    }
    q = q.bind(tenant.to_owned()).bind(kind.to_owned());
    if let Some(a) = after {
        q = q.bind(a.to_owned());
    }
    q = q.bind(limit);
    let rows = q.fetch_all(&mut *conn).await?;
    rows.iter().map(ResourceRow::from_row).collect()
}
