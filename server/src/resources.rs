//! Resources other than users: what an AuthZEN request names with a type other than `user`
//! (a `record`, a `booking`). The directory keeps their placement, the facts the kernel's
//! scopes read (organisation, owner, location), so a decision about a resource is made on
//! stored data, never on what a caller says about it.
//!
//! Admin keys manage them (`PUT`, `DELETE /api/v1/resources/{type}/{id}`, each change
//! audited in the same transaction); any key or session of the tenant reads one (`GET`).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Map, Value};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use warden_core::access::{SqlFilter, Target};

use crate::api::UrlParams;
use crate::app::App;
use crate::auth::Caller;
use crate::error::ApiError;

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

/// The most attributes a resource keeps.
pub const MAX_ATTRIBUTES: usize = 64;
/// The largest attributes object, serialised, in bytes: 16 KiB.
pub const MAX_ATTRIBUTES_BYTES: usize = 16 * 1024;

/// A resource as an admin key writes it (`PUT /api/v1/resources/{type}/{id}`).
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceBody {
    /// The organisation it belongs to.
    #[serde(default)]
    pub organization: Option<String>,
    /// The owner: a live user of the tenant.
    #[serde(default)]
    pub owner: Option<String>,
    /// Its location.
    #[serde(default)]
    pub location: Option<String>,
    /// Other attributes (shown, never deciding).
    #[serde(default)]
    pub attributes: Map<String, Value>,
}

/// A refused path parameter (the resource's `type` or `id`) or body field, named.
fn bad(field: &str, reason: &str) -> ApiError {
    let message = format!("`{field}` {reason}");
    if matches!(field, "type" | "id") {
        crate::error::Malformed::new(
            crate::error::RequestPart::Path,
            "invalid_path_parameter",
            message,
        )
        .field(Some(field.to_owned()))
        .into()
    } else {
        ApiError::invalid_field(field, message)
    }
}

/// A resource type or id, checked: not empty, at most [`MAX_RESOURCE_ID_CHARS`]
/// characters; a type is letters, digits, `_`, `-` and `.`, and never `user` (users live in
/// the directory's users).
fn check_name(field: &str, v: &str, is_type: bool) -> Result<(), ApiError> {
    if v.is_empty() || v.chars().count() > MAX_RESOURCE_ID_CHARS {
        return Err(bad(
            field,
            &format!("must have 1 to {MAX_RESOURCE_ID_CHARS} characters"),
        ));
    }
    if is_type {
        if v == "user" {
            return Err(bad(
                field,
                "cannot be `user`: users are managed under /api/v1/users",
            ));
        }
        if !v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            return Err(bad(
                field,
                "may hold only letters, digits, `_`, `-` and `.`",
            ));
        }
    }
    Ok(())
}

fn admin_only(caller: &Caller) -> Result<(), ApiError> {
    if caller.is_admin() {
        Ok(())
    } else {
        Err(ApiError::Forbidden {
            deny: None,
            reason: "only an admin key manages resources",
        })
    }
}

fn view(r: &ResourceRow) -> Value {
    serde_json::json!({
        "type": r.kind, "id": r.id, "organization": r.organization, "owner": r.owner,
        "location": r.location, "attributes": r.attributes,
    })
}

/// One audited change of a resource.
struct Change {
    action: &'static str,
    target: String,
    before: Option<Value>,
    after: Option<Value>,
}

async fn audit_change(
    conn: &mut AnyConnection,
    caller: &Caller,
    change: Change,
    request_id: Option<String>,
    at: i64,
) -> Result<(), ApiError> {
    let Change {
        action,
        target,
        before,
        after,
    } = change;
    let t = &caller.tenant;
    crate::audit::append(
        conn,
        &crate::audit::AuditRecord {
            tenant: t.id.clone(),
            actor: caller.audit_actor(),
            via: caller.via(),
            action: action.to_owned(),
            target,
            before,
            after,
            decision: serde_json::json!({"policy": t.policy.hash(), "policyVersion": t.version, "kernel": {"decision": "allow", "reason": "adminKey"}}),
            policy_version: t.version,
            obligations: Vec::new(),
            at,
            request_id,
        },
    )
    .await?;
    Ok(())
}

use crate::extract::request_id;

/// `GET /api/v1/resources/{type}/{id}`: any key or session of the tenant.
///
/// # Errors
/// Not found, store errors.
pub async fn read(
    State(app): State<Arc<App>>,
    caller: Caller,
    UrlParams((kind, id)): UrlParams<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let mut conn = app.db.pool().acquire().await?;
    let r = resource(&mut conn, &caller.tenant.id, &kind, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(view(&r)))
}

/// `PUT /api/v1/resources/{type}/{id}`: creates or replaces a resource (admin keys), with
/// its audit entry in the same transaction.
///
/// # Errors
/// A bad type, id or body, an owner that is not a live user of the tenant, store errors.
pub async fn put(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    caller: Caller,
    UrlParams((kind, id)): UrlParams<(String, String)>,
    crate::api::Body(b): crate::api::Body<ResourceBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    admin_only(&caller)?;
    check_name("type", &kind, true)?;
    check_name("id", &id, false)?;
    for (field, v) in [
        ("organization", &b.organization),
        ("owner", &b.owner),
        ("location", &b.location),
    ] {
        if let Some(v) = v {
            check_name(field, v, false)?;
        }
    }
    if b.attributes.len() > MAX_ATTRIBUTES
        || serde_json::to_string(&b.attributes).map_or(true, |s| s.len() > MAX_ATTRIBUTES_BYTES)
    {
        return Err(bad(
            "attributes",
            &format!("holds at most {MAX_ATTRIBUTES} keys and {MAX_ATTRIBUTES_BYTES} bytes"),
        ));
    }
    let tenant = &caller.tenant.id;
    let mut tx = app.db.begin_write().await?;
    if let Some(o) = &b.owner {
        let live = crate::store::user(&mut tx, tenant, o)
            .await?
            .is_some_and(|u| u.deleted_at.is_none());
        if !live {
            return Err(bad("owner", "is not a user of this tenant"));
        }
    }
    let before = resource(&mut tx, tenant, &kind, &id)
        .await?
        .map(|r| view(&r));
    let row = ResourceRow {
        kind,
        id,
        organization: b.organization,
        owner: b.owner,
        location: b.location,
        attributes: b.attributes,
    };
    let at = crate::app::now().unix();
    upsert(&mut tx, tenant, &row, at).await?;
    let after = view(&row);
    let created = before.is_none();
    audit_change(
        &mut tx,
        &caller,
        Change {
            action: "resources.put",
            target: format!("{}:{}", row.kind, row.id),
            before,
            after: Some(after.clone()),
        },
        request_id(&headers),
        at,
    )
    .await?;
    tx.commit().await?;
    // RFC 9110 §9.3.4: a PUT that creates its resource answers 201.
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(after)))
}

/// `DELETE /api/v1/resources/{type}/{id}` (admin keys), audited.
///
/// # Errors
/// Not found, store errors.
pub async fn remove(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    caller: Caller,
    UrlParams((kind, id)): UrlParams<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    admin_only(&caller)?;
    let tenant = &caller.tenant.id;
    let mut tx = app.db.begin_write().await?;
    let before = resource(&mut tx, tenant, &kind, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    sqlx::query("DELETE FROM resources WHERE tenant_id = $1 AND kind = $2 AND id = $3")
        .bind(tenant)
        .bind(&kind)
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    let at = crate::app::now().unix();
    audit_change(
        &mut tx,
        &caller,
        Change {
            action: "resources.delete",
            target: format!("{kind}:{id}"),
            before: Some(view(&before)),
            after: None,
        },
        request_id(&headers),
        at,
    )
    .await?;
    tx.commit().await?;
    Ok(Json(
        serde_json::json!({"deleted": {"type": kind, "id": id}}),
    ))
}
