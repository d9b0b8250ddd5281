//! Policy versions: replacing a tenant's policy stores a new version (with its hash) and
//! reports which stored users no longer pass under it.

use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::{AnyConnection, Row};
use warden_core::policy::Mode;
use warden_core::validate::ValidationFacts;
use warden_core::{Lang, Policy, validate_user};

use crate::app::{App, now};
use crate::audit::{self, AuditRecord};
use crate::auth::PolicyAdmin;
use crate::error::{ApiError, FieldError};
use crate::extract::AcceptLanguage;
use crate::store::{self, Param};

/// Most users listed by name in a replacement report (all are counted).
pub const MAX_LISTED: usize = 1000;

/// The query of a replacement.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplaceQuery {
    /// Only report; store nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// What stored users hold that a policy does not declare: roles, groups and statuses, each
/// with how many live users hold it. A user holding one could no longer be read, edited,
/// moved or signed in under that policy (the kernel refuses an undeclared name), nor could
/// the name be taken from them: a replacement that strands users is refused, and its
/// dry run lists them.
#[derive(Debug, Default)]
struct Stranded {
    /// `(kind, name)`: kind is `access.roles`, `access.groups` or `lifecycle.statuses`.
    names: std::collections::BTreeMap<(&'static str, String), usize>,
    /// The roles and groups the policy declares (looked up once per user's name).
    roles: std::collections::HashSet<String>,
    groups: std::collections::HashSet<String>,
    /// The replaced policy's `roleField` and its roles: a user whose value of that field
    /// names one of them holds it through the field.
    role_field: Option<(String, std::collections::HashSet<String>)>,
}

impl Stranded {
    /// The names `policy` declares; `replaced`, the policy it replaces (when it compiles),
    /// for the roles users hold through its `roleField`.
    fn new(policy: &Policy, replaced: Option<&Policy>) -> Self {
        let names = |p: &Policy, groups: bool| {
            p.access()
                .map(|a| {
                    if groups {
                        a.group_ids().map(str::to_owned).collect()
                    } else {
                        a.role_ids().map(str::to_owned).collect()
                    }
                })
                .unwrap_or_default()
        };
        let role_field = replaced.and_then(|old| {
            let field = old.document().access.as_ref()?.role_field.clone()?;
            Some((field, names(old, false)))
        });
        Stranded {
            names: std::collections::BTreeMap::new(),
            roles: names(policy, false),
            groups: names(policy, true),
            role_field,
        }
    }

    fn note(&mut self, policy: &Policy, u: &store::UserRow) {
        for r in u.roles.iter().filter(|r| !self.roles.contains(*r)) {
            *self.names.entry(("access.roles", r.clone())).or_default() += 1;
        }
        // A role held through the replaced policy's `roleField` (an account type that is
        // also a role) is held as a direct one is.
        if let Some((field, held)) = &self.role_field
            && let Some(Value::String(v)) = u.document.get(field)
            && held.contains(v.trim())
            && !self.roles.contains(v.trim())
        {
            *self
                .names
                .entry(("access.roles", v.trim().to_owned()))
                .or_default() += 1;
        }
        for g in u.groups.iter().filter(|g| !self.groups.contains(*g)) {
            *self.names.entry(("access.groups", g.clone())).or_default() += 1;
        }
        if let Some(lc) = policy.lifecycle()
            && lc.status(&u.status).is_none()
        {
            *self
                .names
                .entry(("lifecycle.statuses", u.status.clone()))
                .or_default() += 1;
        }
    }

    /// The report's list: `{"in": kind, "name": ..., "users": n}`.
    fn report(&self) -> Value {
        self.names
            .iter()
            .map(|((kind, name), n)| json!({"in": kind, "name": name, "users": n}))
            .collect()
    }

    /// The refusal of a replacement that strands users, one error per name.
    fn refusal(&self) -> ApiError {
        let what = |kind: &str| match kind {
            "access.roles" => "role",
            "access.groups" => "group",
            _ => "status",
        };
        ApiError::Conflict {
            errors: self
                .names
                .iter()
                .map(|((kind, name), n)| FieldError {
                    field: (*kind).to_owned(),
                    code: "in_use".into(),
                    message: format!(
                        "the {} `{}` is held by {n} user(s) and the new policy does not declare it: withdraw it from them first (the dry run lists them), or keep it declared",
                        what(kind),
                        name.chars().take(128).collect::<String>()
                    ),
                })
                .collect(),
        }
    }
}

/// Calls `f` on every stored user of `tenant` that is not deleted, 500 rows at a time.
async fn each_user(
    conn: &mut AnyConnection,
    tenant: &str,
    mut f: impl FnMut(&store::UserRow),
) -> Result<(), ApiError> {
    let mut after = String::new();
    loop {
        let rows = store::users_where(
            conn,
            "tenant_id = $1 AND deleted_at IS NULL AND id > $2",
            &[],
            &[Param::Text(tenant.to_owned()), Param::Text(after.clone())],
            "ORDER BY id LIMIT 500",
        )
        .await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = last.id.clone();
        rows.iter().for_each(&mut f);
    }
}

/// The stored users of the tenant that `policy` refuses, validated as updates (the
/// store's uniqueness and existence answers are not asked: those checks stay open and do
/// not count as failures); their violations in `lang`. With them, the names users hold
/// that the policy does not declare ([`Stranded`]).
async fn failing_users(
    app: &App,
    tenant: &str,
    policy: &Policy,
    replaced: Option<&Policy>,
    lang: Lang,
) -> Result<(Value, Stranded), ApiError> {
    let facts = ValidationFacts::default();
    let ctx = crate::users::context(Mode::Update, lang, &facts)?;
    let mut conn = app.db.pool().acquire().await?;
    let (mut checked, mut failing) = (0_usize, 0_usize);
    let mut listed = Vec::new();
    let mut stranded = Stranded::new(policy, replaced);
    each_user(&mut conn, tenant, |u| {
        checked += 1;
        stranded.note(policy, u);
        let mut record = u.document.clone();
        if policy.document().fields.iter().any(|(n, _)| n == "status") {
            record.insert("status".into(), u.status.clone().into());
        }
        let d = validate_user(policy, &record, &ctx);
        // The roles it holds under the new policy, held to its invariants as a grant is.
        let deny = role_invariants(policy, u, lang);
        if !d.valid || deny.is_some() {
            failing += 1;
            if listed.len() < MAX_LISTED {
                let errors: Vec<_> = d.errors().cloned().collect();
                let mut entry = serde_json::Map::new();
                entry.insert("id".into(), u.id.clone().into());
                entry.insert("violations".into(), json!(errors));
                if let Some(deny) = deny {
                    entry.insert("deny".into(), deny);
                }
                listed.push(Value::Object(entry));
            }
        }
    })
    .await?;
    let mut report = serde_json::Map::new();
    report.insert("checked".into(), checked.into());
    report.insert("failing".into(), failing.into());
    report.insert("users".into(), listed.into());
    if !stranded.names.is_empty() {
        report.insert("undeclared".into(), stranded.report());
    }
    let report = Value::Object(report);
    Ok((report, stranded))
}

/// The kernel's deny of the roles `u` holds under `policy`, direct, through its groups and
/// its `roleField`, as a grant of them all by the system would be judged (forbidden
/// combinations, read-only roles, the minimum of active roles), and of any role held in a
/// status that holds none (`rolesAllowed: false`, R001-06). `None` when they pass, or
/// when a name is undeclared (the replacement's `in_use` reports that).
fn role_invariants(policy: &Policy, u: &store::UserRow, lang: Lang) -> Option<Value> {
    let access = policy.access()?;
    let account = u.account();
    let barred = policy
        .lifecycle()
        .and_then(|lc| lc.status(&u.status))
        .is_some_and(|spec| !spec.roles_allowed);
    // A user who holds no role breaks none of the rules about the roles one holds.
    if warden_core::access::effective_roles(access, &account)
        .ok()?
        .is_empty()
    {
        return None;
    }
    if barred {
        return Some(json!({
            "code": "roles_not_allowed",
            "status": u.status,
            "message": format!("the status `{}` holds no roles, and the user holds some", u.status),
        }));
    }
    let mut bare = account.clone();
    bare.roles.clear();
    let mut system = warden_core::model::Account::new("system");
    system.root = true;
    let change = warden_core::access::RoleChange {
        add: account.roles.clone(),
        remove: Vec::new(),
    };
    let deny = warden_core::access::grant_denial(access, &system, &bare, &change, lang).ok()??;
    serde_json::to_value(deny).ok()
}

/// Replaces the caller's tenant policy (admin keys only).
///
/// # Errors
/// A text that is not JSON (400 `invalid_json`); a policy the kernel refuses (409
/// `invalid_policy` naming the key path); one that would
/// strand stored users (409 `in_use`, one error per name the policy no longer declares); store
/// errors.
pub async fn replace(
    app: &App,
    caller: &PolicyAdmin,
    document: &str,
    q: &ReplaceQuery,
    accept: &AcceptLanguage,
    request_id: Option<String>,
) -> Result<Value, ApiError> {
    let tenant = &caller.tenant_id;
    // Text that is not JSON (a lone surrogate escape, which the body's first read leaves
    // to the compiler) is the body's fault, as any other body's: 400, not a refused
    // policy's 409. Read as a value: only a read that decodes its strings sees the escape
    // (a policy is at most 1 MiB, and replaced rarely).
    if let Err(e) = serde_json::from_str::<Value>(document)
        && e.classify() != serde_json::error::Category::Data
    {
        return Err(crate::error::Malformed::new(
            crate::error::RequestPart::Body,
            "invalid_json",
            format!("the body is not valid JSON: {e}"),
        )
        .into());
    }
    let policy = Policy::from_json(document).map_err(|e| ApiError::Conflict {
        errors: vec![FieldError {
            field: e.path().to_owned(),
            code: "invalid_policy".into(),
            message: e.reason().to_owned(),
        }],
    })?;
    // The report's violations are the new policy's, in a language it speaks (the audit
    // entry keeps only their count).
    // The policy replaced, for the roles users hold through its `roleField` (none when it
    // does not compile on this server).
    let replaced = app.tenant(tenant).await.ok();
    let replaced = replaced.as_ref().map(|t| t.policy.as_ref());
    let (report, stranded) =
        failing_users(app, tenant, &policy, replaced, accept.negotiate(&policy)).await?;
    if q.dry_run {
        return Ok(json!({"dryRun": true, "hash": policy.hash(), "report": report}));
    }
    if !stranded.names.is_empty() {
        return Err(stranded.refusal());
    }
    let at = now().unix();
    // Stored as given: the text the kernel's size limit was checked on (the document with
    // its defaults written out can be twice as long), its order kept.
    let text = document;
    let mut tx = app.db.begin_write().await?;
    let version: i64 = sqlx::query(
        "UPDATE tenants SET policy_version = policy_version + 1 WHERE id = $1 RETURNING policy_version",
    )
    .bind(tenant)
    .fetch_one(&mut *tx)
    .await?
    .try_get("policy_version")?;
    // The version replaced, read under the same lock (it may not compile on this server:
    // replacing it is how a tenant gets out of `policy_unusable`).
    let before: String =
        sqlx::query("SELECT hash FROM policy_versions WHERE tenant_id = $1 AND version = $2")
            .bind(tenant)
            .bind(version - 1)
            .fetch_one(&mut *tx)
            .await?
            .try_get("hash")?;
    // Under the tenant row's lock (taken by the update): a change decided on the old policy
    // either committed before it, and is counted here, or is refused `stale_policy` at its
    // own write (`audit::append_decided`). Nothing can give a user a name the new policy
    // does not declare in between.
    let mut now_stranded = Stranded::new(&policy, replaced);
    each_user(&mut tx, tenant, |u| now_stranded.note(&policy, u)).await?;
    if !now_stranded.names.is_empty() {
        return Err(now_stranded.refusal());
    }
    sqlx::query(
        "INSERT INTO policy_versions (tenant_id, version, hash, document, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(tenant)
    .bind(version)
    .bind(policy.hash())
    .bind(text)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        &AuditRecord {
            tenant: tenant.clone(),
            actor: caller
                .actor
                .as_ref()
                .map_or_else(|| "admin".to_owned(), |a| a.id.clone()),
            via: caller.credential.via(),
            action: "policy.replace".into(),
            target: tenant.clone(),
            before: Some(json!({"policy": before, "version": version - 1})),
            after: Some(json!({"policy": policy.hash(), "version": version})),
            decision: json!({"policy": policy.hash(), "policyVersion": version, "failingUsers": report.get("failing")}),
            policy_version: version,
            obligations: Vec::new(),
            at,
            request_id,
        },
    )
    .await?;
    tx.commit().await?;
    app.forget_tenant(tenant).await;
    Ok(json!({"version": version, "hash": policy.hash(), "report": report}))
}
