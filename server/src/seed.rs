//! Startup seeding: a demo tenant per preset with demo users, and API keys. Seeding is the
//! server acting as `system`: records are validated by the kernel like any other (a demo
//! user that does not pass is an error), written with their keys and role assignments, and
//! audited.

use serde_json::{Map, Value, json};
use sqlx::AnyConnection;
use warden_core::policy::Mode;
use warden_core::{Lang, Policy, Timestamp, ValidationContext, validate_user};

use crate::app::{App, now};
use crate::audit::{self, AuditRecord};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::store::{self, StoredHash, UserRow};
use crate::tokens::{self, PlainToken};

/// The demo users' password (demo tenants only).
pub const DEMO_PASSWORD: &str = "Demo-Warden-2026!";

/// Creates an API key for `tenant` with `role` (`admin`, `service` or `decide`) for the
/// operator's command line (`warden-server key create`), with its `keys.create` audit
/// entry (actor `system`, via `cli`) in one transaction. A key made through the API is
/// [`create_key_audited`], for its caller.
///
/// # Errors
/// An unknown tenant, a bad role, store errors.
pub async fn create_key(
    app: &App,
    tenant: &str,
    role: &str,
    name: &str,
) -> Result<(String, PlainToken), ApiError> {
    create_expiring_key(app, tenant, role, name, None)
        .await
        .map(|k| (k.id, k.token))
}

/// A key just made: its id, its token (shown once) and when it expires, if it does.
pub struct NewKey {
    /// The key's id.
    pub id: String,
    /// The token, stored only hashed.
    pub token: PlainToken,
    /// From when it no longer authenticates (Unix seconds), `None` for a key that does
    /// not expire.
    pub expires_at: Option<i64>,
}

/// [`create_key`], for a key that expires `expires_in_days` days from now (1 to
/// [`MAX_KEY_DAYS`]) when given.
///
/// # Errors
/// As [`create_key`]; a number of days out of range.
pub async fn create_expiring_key(
    app: &App,
    tenant: &str,
    role: &str,
    name: &str,
    expires_in_days: Option<u32>,
) -> Result<NewKey, ApiError> {
    // Audited as a key the API creates is, by the operator at the command line.
    let maker = KeyMaker {
        actor: "system".into(),
        via: "cli".into(),
        rule: "operator",
        request_id: None,
    };
    make_key(app, tenant, maker, role, name, expires_in_days).await
}

/// Creates an API key of `caller`'s tenant and its `keys.create` audit entry (who, the
/// key's id, name, role and expiry, never its token) in one transaction.
///
/// # Errors
/// A bad role, a number of days out of range, store errors.
pub async fn create_key_audited(
    app: &App,
    caller: &Caller,
    role: &str,
    name: &str,
    expires_in_days: Option<u32>,
    request_id: Option<String>,
) -> Result<NewKey, ApiError> {
    let maker = KeyMaker {
        actor: caller.audit_actor(),
        via: caller.via(),
        rule: "admin key",
        request_id,
    };
    make_key(app, &caller.tenant.id, maker, role, name, expires_in_days).await
}

/// Who makes a key, as its audit entry says: the actor, the way in, the server's rule
/// that lets it, the request.
struct KeyMaker {
    actor: String,
    via: String,
    rule: &'static str,
    request_id: Option<String>,
}

/// A key and its `keys.create` audit entry, in one transaction. The entry names the
/// tenant's current policy version as stored, not compiled: the operator's way in to a
/// tenant whose stored policy no longer compiles (its admin key then replaces the policy).
async fn make_key(
    app: &App,
    tenant: &str,
    maker: KeyMaker,
    role: &str,
    name: &str,
    expires_in_days: Option<u32>,
) -> Result<NewKey, ApiError> {
    let mut tx = app.db.begin_write().await?;
    let current = crate::app::stored_policy(&mut *tx, tenant).await?;
    let key = insert_key(&mut tx, tenant, role, name, expires_in_days).await?;
    audit::append(
        &mut tx,
        &AuditRecord {
            tenant: tenant.to_owned(),
            actor: maker.actor,
            via: maker.via,
            action: "keys.create".into(),
            target: key.id.clone(),
            before: None,
            after: Some(json!({
                "id": key.id,
                "role": role,
                "name": key_name(name),
                "expiresAt": key.expires_at.map(|t| Timestamp::from_unix(t).to_string()),
            })),
            decision: json!({"policy": current.hash, "policyVersion": current.version, "server": {"rule": maker.rule}}),
            policy_version: current.version,
            obligations: Vec::new(),
            at: now().unix(),
            request_id: maker.request_id,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(key)
}

/// The longest life a key may be given, in days (ten years).
pub const MAX_KEY_DAYS: u32 = 3650;

/// The longest key name, in characters.
const MAX_KEY_NAME: usize = 100;

/// A key's name as stored: trimmed (a longer or empty one is refused, never cut).
fn key_name(name: &str) -> String {
    name.trim().to_owned()
}

async fn insert_key(
    conn: &mut AnyConnection,
    tenant: &str,
    role: &str,
    name: &str,
    expires_in_days: Option<u32>,
) -> Result<NewKey, ApiError> {
    if !crate::auth::KEY_ROLES.contains(&role) {
        return Err(ApiError::invalid_field(
            "role",
            "`role` must be `admin`, `service` or `decide` (stateless decisions only)",
        ));
    }
    // Refused rather than cut or left blank: the name is how people tell keys apart in
    // the audit log.
    let n = key_name(name);
    if n.is_empty() || n.chars().count() > MAX_KEY_NAME {
        return Err(ApiError::invalid_field(
            "name",
            format!("`name` must be 1 to {MAX_KEY_NAME} characters"),
        ));
    }
    let bad = warden_core::checks::text::prohibited_characters(&n, false);
    if !bad.is_empty() {
        return Err(ApiError::invalid_field(
            "name",
            format!("`name` holds prohibited characters: {}", bad.join(", ")),
        ));
    }
    let at = now().unix();
    let expires_at = match expires_in_days {
        None => None,
        Some(days @ 1..=MAX_KEY_DAYS) => Some(at + i64::from(days) * 86_400),
        Some(_) => {
            return Err(ApiError::invalid_field(
                "expiresInDays",
                format!("`expiresInDays` must be 1 to {MAX_KEY_DAYS}"),
            ));
        }
    };
    let id = tokens::new_id("k_").map_err(|e| ApiError::Internal(e.to_string()))?;
    let token = tokens::new_token("wdn_").map_err(|e| ApiError::Internal(e.to_string()))?;
    sqlx::query(
        "INSERT INTO api_keys (id, tenant_id, role, name, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(tenant)
    .bind(role)
    .bind(key_name(name))
    .bind(token.hashed())
    .bind(at)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(NewKey {
        id,
        token,
        expires_at,
    })
}

/// Writes one user as `system`: validated by the kernel (unless `root`), with keys, role
/// assignments, a password hash and an audit entry. Returns the id.
///
/// # Errors
/// A record the kernel refuses, store errors.
pub async fn seed_user(
    app: &App,
    tenant_id: &str,
    record: Map<String, Value>,
    roles: &[String],
    root: bool,
    password: Option<&str>,
) -> Result<String, ApiError> {
    let tenant = app.tenant(tenant_id).await?;
    let policy = &tenant.policy;
    let version = tenant.version;
    let mut conn = app.db.pool().acquire().await?;
    let today = now()
        .date()
        .ok_or_else(|| ApiError::Internal("clock".into()))?;
    let empty = warden_core::validate::ValidationFacts::default();
    let first = validate_user(
        policy,
        &record,
        &ValidationContext {
            mode: Mode::Create,
            today,
            lang: Lang::En,
            facts: &empty,
            mfa: false,
        },
    );
    let facts = store::answer_checks(&mut conn, tenant_id, &first.checks, None).await?;
    let d = validate_user(
        policy,
        &record,
        &ValidationContext {
            mode: Mode::Create,
            today,
            lang: Lang::En,
            facts: &facts,
            mfa: false,
        },
    );
    if !root && !d.accepted() {
        return Err(ApiError::Invalid {
            violations: d.violations,
        });
    }
    drop(conn);
    let mut document = if root {
        record.clone()
    } else {
        d.normalized.clone()
    };
    document.remove("password");
    let id = tokens::new_id("u_").map_err(|e| ApiError::Internal(e.to_string()))?;
    let at = now().unix();
    let text = |k: &str| document.get(k).and_then(Value::as_str).map(str::to_owned);
    let status = text("status").unwrap_or_else(|| "active".into());
    let password_hash = match password {
        Some(p) => {
            let pp = policy
                .password_policy()
                .cloned()
                .unwrap_or_else(|| warden_core::password::Profile::Nist80063b4.resolved());
            let salt: [u8; 16] =
                tokens::random_bytes().map_err(|e| ApiError::Internal(e.to_string()))?;
            let p = p.to_owned();
            Some(StoredHash(
                tokio::task::spawn_blocking(move || {
                    warden_core::password::hash_password(&pp, &p, &salt)
                })
                .await
                .map_err(|e| ApiError::Internal(e.to_string()))?
                .map_err(|e| ApiError::Internal(e.to_string()))?,
            ))
        }
        None => None,
    };
    let u = UserRow {
        id: id.clone(),
        tenant: tenant_id.to_owned(),
        organization: text("organization"),
        manager: text("manager").or_else(|| text("supervisor")),
        location: text("location"),
        status,
        status_until: None,
        roles: roles.to_vec(),
        groups: Vec::new(),
        super_admin: document
            .get("superAdmin")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        root,
        password_hash,
        password_changed_at: password.map(|_| at),
        must_change_password: false,
        session_epoch: 0,
        failed_logins: Vec::new(),
        lockouts: 0,
        deleted_at: None,
        version: 0,
        document,
    };
    // The roles it starts with, direct and through its groups, are held to the policy's
    // invariants as any grant is (its forbidden combinations, read-only roles and minimum
    // of active roles), the actor being the system: demo data that breaks its own policy
    // (an HR administrator whose job title puts them in the HR team's group, whose role
    // may not be held with theirs) is refused, not written.
    if !root && let Some(access) = policy.access() {
        let mut bare = u.account();
        bare.roles.clear();
        let mut system = warden_core::model::Account::new("system");
        system.root = true;
        let change = warden_core::access::RoleChange {
            add: roles.to_vec(),
            remove: Vec::new(),
        };
        if let Some(d) =
            warden_core::access::grant_denial(access, &system, &bare, &change, Lang::En)?
        {
            return Err(ApiError::denied(Some(d)));
        }
    }
    let mut tx = app.db.begin_write().await?;
    store::insert_user(&mut tx, &u, at).await?;
    store::set_keys(&mut tx, tenant_id, &u.id, &d.checks).await?;
    store::sync_roles(&mut tx, tenant_id, &u.id, &u.roles, &[], "system", at).await?;
    audit::append(
        &mut tx,
        &AuditRecord {
            tenant: tenant_id.to_owned(),
            actor: "system".into(),
            via: "seed".into(),
            action: "users.create".into(),
            target: u.id.clone(),
            before: None,
            after: Some(u.view()),
            decision: json!({"policy": policy.hash(), "policyVersion": version, "kernel": {"decision": "allow", "reason": "seed"}}),
            policy_version: version,
            obligations: Vec::new(),
            at,
            request_id: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Adds an organisation, unless the tenant has it already (in any spelling: ids are
/// unique ignoring case, and an `ACME` an administrator made stands for the demo's `acme`).
///
/// # Errors
/// Store errors.
pub async fn add_organization(
    app: &App,
    tenant: &str,
    id: &str,
    name: &str,
    active: bool,
) -> Result<(), ApiError> {
    sqlx::query(
        "INSERT INTO organizations (tenant_id, id, name, active) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(tenant)
    .bind(id)
    .bind(name)
    .bind(i64::from(active))
    .execute(app.db.pool())
    .await?;
    Ok(())
}

/// A demo user as seeded: its name in the seed, its id, and its login.
#[derive(Debug, Clone)]
pub struct DemoUser {
    /// The seed's short name (`admin`, `manager`, ...).
    pub name: &'static str,
    /// The stored id.
    pub id: String,
    /// The login (email or username).
    pub login: String,
}

async fn seed_list(
    app: &App,
    tenant: &str,
    users: Vec<(&'static str, Value, Vec<&'static str>, bool)>,
) -> Result<Vec<DemoUser>, ApiError> {
    let mut out: Vec<DemoUser> = Vec::new();
    for (name, record, roles, root) in users {
        let mut record = obj(record);
        // `@name` references an earlier seed's id.
        for key in ["manager", "supervisor"] {
            if let Some(Value::String(r)) = record.get(key)
                && let Some(n) = r.strip_prefix('@')
            {
                let id = out.iter().find(|u| u.name == n).map(|u| u.id.clone());
                record.insert(key.into(), id.map_or(Value::Null, Value::String));
            }
        }
        let login = record
            .get("email")
            .or_else(|| record.get("username"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_lowercase();
        let roles: Vec<String> = roles.into_iter().map(str::to_owned).collect();
        let id = seed_user(app, tenant, record, &roles, root, Some(DEMO_PASSWORD)).await?;
        out.push(DemoUser { name, id, login });
    }
    Ok(out)
}

/// Seeds the demo tenant of `preset` unless it exists. Returns its users when it was
/// created now.
///
/// # Errors
/// A demo record the kernel refuses, store errors.
pub async fn demo_tenant(app: &App, preset: &str) -> Result<Option<Vec<DemoUser>>, ApiError> {
    let policy = Policy::preset(preset).map_err(|e| ApiError::Internal(e.to_string()))?;
    if !app.create_tenant(preset, policy.name(), &policy).await? {
        return Ok(None);
    }
    let users = match preset {
        "production-planner-pro" => {
            add_organization(app, preset, "plant-a", "Plant A", true).await?;
            add_organization(app, preset, "plant-b", "Plant B", true).await?;
            add_organization(app, preset, "plant-closed", "Closed plant", false).await?;
            vec![
                (
                    "admin",
                    json!({"firstName": "Ada", "lastName": "Lovelace", "email": "ada@planner.example", "password": DEMO_PASSWORD, "organization": "plant-a", "status": "active", "superAdmin": true}),
                    vec![],
                    false,
                ),
                (
                    "bob",
                    json!({"firstName": "Bob", "lastName": "Martin", "email": "bob@planner.example", "password": DEMO_PASSWORD, "organization": "plant-a", "status": "active"}),
                    vec!["regular"],
                    false,
                ),
                (
                    "carla",
                    json!({"firstName": "Carla", "lastName": "Diaz", "email": "carla@planner.example", "password": DEMO_PASSWORD, "organization": "plant-b", "status": "active"}),
                    vec!["regular"],
                    false,
                ),
            ]
        }
        "hr-platform" => vec![
            (
                "ceo",
                json!({"firstName": "Sarah", "lastName": "Martinez", "email": "sarah.martinez@company.com", "jobTitle": "CEO", "manager": null, "status": "active", "organization": "company"}),
                vec!["director"],
                false,
            ),
            (
                "hr",
                json!({"firstName": "Hugo", "lastName": "Renard", "email": "hugo.renard@company.com", "jobTitle": "COO", "manager": "@ceo", "status": "active", "organization": "company"}),
                vec!["hrAdmin"],
                false,
            ),
            (
                "manager",
                json!({"firstName": "Marc", "lastName": "Dubois", "email": "marc.dubois@company.com", "jobTitle": "Engineering Manager", "manager": "@ceo", "status": "active", "organization": "company"}),
                vec!["manager"],
                false,
            ),
            (
                "sophie",
                json!({"firstName": "Sophie", "lastName": "Martin", "email": "sophie.martin@company.com", "jobTitle": "Senior Software Engineer", "manager": "@manager", "status": "active", "organization": "company", "birthdate": "1991-05-14", "address": "12 rue des Lilas, 75011 Paris"}),
                vec!["employee"],
                false,
            ),
            (
                "paul",
                json!({"firstName": "Paul", "lastName": "Petit", "email": "paul.petit@company.com", "jobTitle": "QA Engineer", "manager": "@manager", "status": "active", "organization": "company"}),
                vec!["employee"],
                false,
            ),
        ],
        "rental-platform" => vec![
            (
                "admin",
                json!({"firstName": "Alice", "lastName": "Bernard", "email": "alice@rental.example", "phone": "+33 6 12 34 56 78", "accountType": "staff", "password": DEMO_PASSWORD, "organization": "rental", "location": "paris"}),
                vec!["administrator"],
                false,
            ),
            (
                "supplier",
                json!({"firstName": "Samir", "lastName": "Haddad", "email": "samir@rental.example", "phone": "+33 6 12 34 56 79", "accountType": "supplier", "password": DEMO_PASSWORD, "organization": "rental", "location": "lyon"}),
                vec![],
                false,
            ),
            (
                "customer",
                json!({"firstName": "Lucas", "lastName": "Moreau", "email": "lucas@rental.example", "phone": "+33 6 12 34 56 80", "accountType": "customer", "password": DEMO_PASSWORD, "birthdate": "1990-04-02", "organization": "rental", "location": "paris"}),
                vec![],
                false,
            ),
        ],
        "crm" => {
            add_organization(app, preset, "acme", "Acme", true).await?;
            vec![
                (
                    "admin",
                    json!({"firstName": "Ana", "lastName": "Lopez", "email": "ana.lopez@crm.example", "username": "alopez", "password": DEMO_PASSWORD, "organization": "acme", "employeeId": "EMP-00001", "isSystemAdmin": true}),
                    vec!["systemAdmin"],
                    false,
                ),
                (
                    "manager",
                    json!({"firstName": "Mia", "lastName": "Klein", "email": "mia.klein@crm.example", "username": "mklein", "password": DEMO_PASSWORD, "organization": "acme", "employeeId": "EMP-00002", "isSalesManager": true}),
                    vec!["salesManager"],
                    false,
                ),
                (
                    "rep",
                    json!({"firstName": "Tom", "lastName": "Baker", "email": "tom.baker@crm.example", "username": "tbaker", "password": DEMO_PASSWORD, "organization": "acme", "employeeId": "EMP-00003", "isSalesRep": true}),
                    vec!["salesRep"],
                    false,
                ),
            ]
        }
        "prs-procurement" => vec![
            (
                "root",
                json!({"username": "root", "firstName": "System", "lastName": "Root", "userType": "admin", "department": "IT", "organization": "prs"}),
                vec![],
                true,
            ),
            (
                "admin",
                json!({"username": "padmin", "firstName": "Paula", "lastName": "Admin", "userType": "admin", "department": "IT", "supervisor": "@root", "organization": "prs"}),
                vec![],
                false,
            ),
            (
                "approver",
                json!({"username": "msmith", "firstName": "Mary", "lastName": "Smith", "userType": "approver", "department": "Finance", "supervisor": "@admin", "organization": "prs"}),
                vec![],
                false,
            ),
            (
                "requester",
                json!({"username": "jdoe", "firstName": "John", "lastName": "Doe", "userType": "requester", "department": "Finance", "supervisor": "@approver", "organization": "prs"}),
                vec![],
                false,
            ),
        ],
        _ => vec![],
    };
    seed_list(app, preset, users).await.map(Some)
}

/// The presets seeded as demo tenants.
pub const DEMO_PRESETS: [&str; 5] = [
    "production-planner-pro",
    "hr-platform",
    "rental-platform",
    "crm",
    "prs-procurement",
];
