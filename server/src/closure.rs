//! The manager hierarchy's closure table (`user_closure`: ancestor, descendant, depth),
//! kept in step with `users.manager_id` inside the transaction that changes it. The list
//! scope's subtree (`team` with or without a depth) reads it through the kernel's
//! [`SubtreeStrategy::ClosureTable`]
//! rendering, an indexed lookup instead of a recursive walk per request.
//!
//! Every user has its own row at depth 0, so that moving a user moves its whole subtree
//! with two set-based statements (detach, attach) whatever its size.

use sqlx::AnyConnection;
use warden_core::access::SubtreeStrategy;

/// The kernel's rendering options for this table.
pub fn strategy() -> SubtreeStrategy {
    SubtreeStrategy::ClosureTable {
        table: "user_closure".into(),
        ancestor: "ancestor_id".into(),
        descendant: "descendant_id".into(),
        depth: "depth".into(),
    }
}

/// Records a new user: its own row, then the rows linking it under `manager` (when the
/// manager is a user of the directory; a dangling reference links nothing, as a recursive
/// walk over `manager_id` would find nothing).
///
/// # Errors
/// Database errors.
pub async fn insert(
    conn: &mut AnyConnection,
    tenant: &str,
    user: &str,
    manager: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO user_closure (tenant_id, ancestor_id, descendant_id, depth) VALUES ($1, $2, $2, 0)",
    )
    .bind(tenant)
    .bind(user)
    .execute(&mut *conn)
    .await?;
    if let Some(m) = manager {
        attach(conn, tenant, user, m).await?;
    }
    Ok(())
}

/// Moves `user` and its subtree from its current manager to `manager` (`None`: to the
/// top). A no-op when nothing changes is the caller's business: this always rewrites.
///
/// # Errors
/// Database errors.
pub async fn set_manager(
    conn: &mut AnyConnection,
    tenant: &str,
    user: &str,
    manager: Option<&str>,
) -> Result<(), sqlx::Error> {
    detach(conn, user).await?;
    if let Some(m) = manager {
        attach(conn, tenant, user, m).await?;
    }
    Ok(())
}

/// Cuts the links between the subtree of `user` (itself included) and everything above it.
async fn detach(conn: &mut AnyConnection, user: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM user_closure WHERE descendant_id IN (SELECT descendant_id FROM user_closure WHERE ancestor_id = $1) AND ancestor_id NOT IN (SELECT descendant_id FROM user_closure WHERE ancestor_id = $1)",
    )
    .bind(user)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Links the subtree of `user` under `manager` and every ancestor of `manager`. A manager
/// in another tenant links nothing: ids are global but edges never cross tenants.
async fn attach(
    conn: &mut AnyConnection,
    tenant: &str,
    user: &str,
    manager: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO user_closure (tenant_id, ancestor_id, descendant_id, depth) SELECT $1, a.ancestor_id, d.descendant_id, a.depth + d.depth + 1 FROM user_closure a, user_closure d WHERE a.descendant_id = $2 AND a.tenant_id = $1 AND d.ancestor_id = $3",
    )
    .bind(tenant)
    .bind(manager)
    .bind(user)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Whether `other` is `user` or below it, as the closure stores the hierarchy now.
///
/// # Errors
/// Database errors.
pub async fn is_below_or_same(
    conn: &mut AnyConnection,
    user: &str,
    other: &str,
) -> Result<bool, sqlx::Error> {
    let hit: Option<String> = sqlx::query_scalar(
        "SELECT descendant_id FROM user_closure WHERE ancestor_id = $1 AND descendant_id = $2",
    )
    .bind(user)
    .bind(other)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(hit.is_some() || user == other)
}

/// Before a user row is removed: its reports' subtrees are cut from everything above it
/// (their `manager_id` then names no user, and a recursive walk would no longer reach
/// them either); its own rows go with the row (`ON DELETE CASCADE`).
///
/// # Errors
/// Database errors.
pub async fn remove(conn: &mut AnyConnection, user: &str) -> Result<(), sqlx::Error> {
    detach(conn, user).await?;
    sqlx::query("DELETE FROM user_closure WHERE ancestor_id = $1 OR descendant_id = $1")
        .bind(user)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The subtree of `manager` (depth 1 and below, at most `depth` levels), read from the
/// closure table, sorted: what the list scope sees.
///
/// # Errors
/// Database errors.
pub async fn descendants(
    conn: &mut AnyConnection,
    manager: &str,
    depth: Option<i64>,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT descendant_id FROM user_closure WHERE ancestor_id = $1 AND depth >= 1 AND depth <= $2 ORDER BY descendant_id",
    )
    .bind(manager)
    .bind(depth.unwrap_or(i64::MAX))
    .fetch_all(&mut *conn)
    .await
}
