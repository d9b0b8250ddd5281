//! The scoping, lifecycle, import and bulk operations of the JSON entry point.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::access::{self, AccessError, AuthorizeRequest, Directory, SqlOptions, Target};
use crate::api::{ApiError, Op, parse_input, to_json};
use crate::bulk::{self, BulkError, BulkRequest};
use crate::checks::date::{Date, Timestamp};
use crate::import::{ImportError, ImportFormat, ImportOptions, validate_import};
use crate::lifecycle::{self, LifecycleError, LoginFacts, OrganizationState};
use crate::messages::Lang;
use crate::model::Account;
use crate::password::RandomSource;
use crate::policy::{Mode, Policy};
use crate::validate::{ValidationContext, ValidationFacts};

impl From<AccessError> for ApiError {
    fn from(e: AccessError) -> Self {
        let code = match &e {
            AccessError::NoAccess => "unsupported",
            AccessError::UnknownAction { .. } => "unknown_action",
            AccessError::UnknownRole { .. } => "unknown_role",
            AccessError::UnknownGroup { .. } => "unknown_group",
        };
        ApiError::Rejected {
            code,
            message: e.to_string(),
        }
    }
}

impl From<LifecycleError> for ApiError {
    fn from(e: LifecycleError) -> Self {
        let code = match &e {
            LifecycleError::NoLifecycle => "unsupported",
            LifecycleError::UnknownStatus { .. } => "unknown_status",
            _ => "rejected",
        };
        ApiError::Rejected {
            code,
            message: e.to_string(),
        }
    }
}

impl From<BulkError> for ApiError {
    fn from(e: BulkError) -> Self {
        match e {
            BulkError::Access(a) => a.into(),
            BulkError::Lifecycle(l) => l.into(),
            other => ApiError::Rejected {
                code: "bulk_rejected",
                message: other.to_string(),
            },
        }
    }
}

impl From<ImportError> for ApiError {
    fn from(e: ImportError) -> Self {
        ApiError::Rejected {
            code: "import_unreadable",
            message: e.to_string(),
        }
    }
}

/// Removes `key` from the input object and parses it.
fn take<T: serde::de::DeserializeOwned>(
    obj: &mut Map<String, Value>,
    key: &str,
) -> Result<Option<T>, ApiError> {
    match obj.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => parse_input(&format!("input.{key}"), v).map(Some),
    }
}

fn required<T>(v: Option<T>, key: &str) -> Result<T, ApiError> {
    v.ok_or_else(|| ApiError::input(format!("input.{key}"), format!("missing field `{key}`")))
}

fn object(input: Value) -> Result<Map<String, Value>, ApiError> {
    match input {
        Value::Object(m) => Ok(m),
        _ => Err(ApiError::input("input", "expected an object")),
    }
}

fn directory(obj: &mut Map<String, Value>) -> Result<Directory, ApiError> {
    let rows: Vec<Account> = take(obj, "directory")?.unwrap_or_default();
    if rows.len() > 1_000_000 {
        return Err(ApiError::input(
            "input.directory",
            "a directory has at most 1,000,000 rows",
        ));
    }
    Ok(Directory::from_accounts(&rows).0)
}

/// Sets `lang` in a request object to the request's language.
fn with_lang(mut obj: Map<String, Value>, lang: Lang) -> Value {
    obj.insert("lang".into(), Value::String(lang.as_str().to_owned()));
    Value::Object(obj)
}

/// A hash-DRBG over the caller's entropy: SHA-256 of (seed, counter). The kernel has no
/// randomness of its own; the caller passes fresh bytes from its operating system.
struct SeededRandom {
    seed: Vec<u8>,
    counter: u64,
    block: [u8; 32],
    used: usize,
}

impl SeededRandom {
    fn new(seed: Vec<u8>) -> Self {
        SeededRandom {
            seed,
            counter: 0,
            block: [0; 32],
            used: 32,
        }
    }
}

impl RandomSource for SeededRandom {
    fn next_u32(&mut self) -> u32 {
        use sha2::{Digest, Sha256};
        if self.used + 4 > 32 {
            let mut h = Sha256::new();
            h.update(&self.seed);
            h.update(self.counter.to_le_bytes());
            self.block = h.finalize().into();
            self.counter += 1;
            self.used = 0;
        }
        let mut b = [0u8; 4];
        for (i, x) in b.iter_mut().enumerate() {
            *x = self.block.get(self.used + i).copied().unwrap_or(0);
        }
        self.used += 4;
        u32::from_le_bytes(b)
    }
}

fn entropy(obj: &mut Map<String, Value>) -> Result<Vec<u8>, ApiError> {
    let hex: String = required(take(obj, "entropy")?, "entropy")?;
    let bad = || {
        ApiError::input(
            "input.entropy",
            "expected at least 64 hexadecimal digits (32 bytes) of fresh randomness",
        )
    };
    if hex.len() < 64 || hex.len() > 1024 || !hex.len().is_multiple_of(2) {
        return Err(bad());
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|b| u8::from_str_radix(b, 16).ok())
                .ok_or_else(bad)
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ImportInput {
    #[serde(default)]
    format: ImportFormat,
    #[serde(default)]
    records: bool,
    data: String,
    today: Date,
    #[serde(default)]
    facts: ValidationFacts,
}

/// Dispatches the operations beyond validation.
pub(crate) fn evaluate_op(
    policy: &Policy,
    op: Op,
    lang: Lang,
    input: Value,
) -> Result<Value, ApiError> {
    let mut obj = object(input)?;
    match op {
        Op::Import => {
            let i: ImportInput = parse_input("input", Value::Object(obj))?;
            let ctx = ValidationContext {
                mode: Mode::Import,
                today: i.today,
                lang,
                facts: &i.facts,
                mfa: false,
            };
            to_json(&validate_import(
                policy,
                i.data.as_bytes(),
                ImportOptions {
                    format: i.format,
                    records: i.records,
                },
                &ctx,
            )?)
        }
        Op::Authorize => {
            let now: Timestamp = required(take(&mut obj, "now")?, "now")?;
            let dir = directory(&mut obj)?;
            let req: AuthorizeRequest = parse_input("input", Value::Object(obj))?;
            to_json(&access::authorize(policy, &dir, &req, now, lang)?)
        }
        Op::Scope => {
            let now: Timestamp = required(take(&mut obj, "now")?, "now")?;
            let sql: Option<SqlOptions> = take(&mut obj, "sql")?;
            let actor: Account = required(take(&mut obj, "actor")?, "actor")?;
            let action: String = required(take(&mut obj, "action")?, "action")?;
            if let Some(k) = obj.keys().next() {
                return Err(ApiError::input(
                    format!("input.{k}"),
                    format!("unknown field `{k}`, expected `actor`, `action`, `now` or `sql`"),
                ));
            }
            let d = access::scope(policy, &actor, &action, now)?;
            let mut v = to_json(&d)?;
            if let (Some(opts), Value::Object(m)) = (sql, &mut v) {
                let rendered = d
                    .filter
                    .to_sql(&opts)
                    .map_err(|e| ApiError::input("input.sql", e.to_string()))?;
                m.insert("sql".into(), to_json(&rendered)?);
            }
            Ok(v)
        }
        Op::Permissions => {
            let now: Timestamp = required(take(&mut obj, "now")?, "now")?;
            let dir = directory(&mut obj)?;
            let actor: Account = required(take(&mut obj, "actor")?, "actor")?;
            let target: Target = required(take(&mut obj, "target")?, "target")?;
            let perms = access::permissions_over(policy, &dir, &actor, &target, now)?;
            Ok(serde_json::json!({ "policy": policy.hash(), "permissions": perms }))
        }
        Op::Directory => {
            let accounts: Vec<Account> = required(take(&mut obj, "accounts")?, "accounts")?;
            let (_, problems) = Directory::from_accounts(&accounts);
            Ok(
                serde_json::json!({ "policy": policy.hash(), "valid": problems.is_empty(), "problems": problems }),
            )
        }
        Op::Transition => {
            let now: Timestamp = required(take(&mut obj, "now")?, "now")?;
            let dir = directory(&mut obj)?;
            let mut req: lifecycle::TransitionRequest = parse_input("input", with_lang(obj, lang))?;
            if policy.access().is_some() {
                req.actor_permissions =
                    bulk::actor_permissions(policy, &dir, &req.actor, &req.target, now)?;
            }
            to_json(&lifecycle::transition(policy, &req, now)?)
        }
        Op::Login => {
            let now: Timestamp = required(take(&mut obj, "now")?, "now")?;
            let account: Account = required(take(&mut obj, "account")?, "account")?;
            let org: Option<OrganizationState> = take(&mut obj, "organization")?;
            let facts: LoginFacts = take(&mut obj, "facts")?.unwrap_or_default();
            no_more(&obj)?;
            to_json(&lifecycle::can_login(
                policy,
                &account,
                org.as_ref(),
                &facts,
                now,
                lang,
            )?)
        }
        Op::Lockout => {
            let now: Timestamp = required(take(&mut obj, "now")?, "now")?;
            let failed: Vec<Timestamp> = take(&mut obj, "failedAttempts")?.unwrap_or_default();
            let lockouts: u32 = take(&mut obj, "lockouts")?.unwrap_or_default();
            no_more(&obj)?;
            let spec = policy
                .lifecycle()
                .and_then(|l| l.spec().lockout.as_ref())
                .ok_or_else(|| ApiError::Unsupported {
                    op: "lockout".into(),
                    reason: "it has no `lifecycle.lockout` section".into(),
                })?;
            to_json(&lifecycle::lockout_state(spec, &failed, lockouts, now))
        }
        Op::Delete => {
            let now: Timestamp = required(take(&mut obj, "now")?, "now")?;
            let dir = directory(&mut obj)?;
            let mut req: lifecycle::DeleteRequest = parse_input("input", with_lang(obj, lang))?;
            if policy.access().is_some() {
                req.actor_permissions =
                    bulk::actor_permissions(policy, &dir, &req.actor, &req.target, now)?;
            }
            to_json(&lifecycle::delete(policy, &req, now)?)
        }
        Op::Changes => {
            let now: Timestamp = required(take(&mut obj, "now")?, "now")?;
            let req: lifecycle::ChangeRequest = parse_input("input", with_lang(obj, lang))?;
            to_json(&lifecycle::changes(policy, &req, now)?)
        }
        Op::PasswordChange => {
            let now: Timestamp = required(take(&mut obj, "now")?, "now")?;
            let req: lifecycle::PasswordChangeRequest = parse_input("input", with_lang(obj, lang))?;
            to_json(&lifecycle::password_change(policy, &req, now)?)
        }
        Op::PasswordReset => {
            let now: Timestamp = required(take(&mut obj, "now")?, "now")?;
            let seed = entropy(&mut obj)?;
            let dir = directory(&mut obj)?;
            let mut req: lifecycle::PasswordResetRequest =
                parse_input("input", with_lang(obj, lang))?;
            if policy.access().is_some() {
                req.actor_permissions =
                    bulk::actor_permissions(policy, &dir, &req.actor, &req.target, now)?;
            }
            let d = lifecycle::password_reset(policy, &req, &mut SeededRandom::new(seed), now)?;
            let mut v = to_json(&d)?;
            // The one place a password leaves the kernel, because it was asked for.
            if let (Some(p), Value::Object(m)) = (d.temporary_password(), &mut v) {
                m.insert(
                    "temporaryPassword".into(),
                    Value::String(p.expose().to_owned()),
                );
            }
            Ok(v)
        }
        Op::Verification => {
            let now: Timestamp = required(take(&mut obj, "now")?, "now")?;
            let actor: Account = required(take(&mut obj, "actor")?, "actor")?;
            let account: Account = required(take(&mut obj, "account")?, "account")?;
            let kind: String = required(take(&mut obj, "kind")?, "kind")?;
            let approve: bool = required(take(&mut obj, "approve")?, "approve")?;
            let dir = directory(&mut obj)?;
            no_more(&obj)?;
            let perms = bulk::actor_permissions(policy, &dir, &actor, &account, now)?;
            to_json(&lifecycle::verification(
                policy, &actor, &account, &kind, approve, &perms, now, lang,
            )?)
        }
        Op::Statistics | Op::Findings => {
            let now: Timestamp = required(take(&mut obj, "now")?, "now")?;
            let accounts: Vec<Account> = required(take(&mut obj, "accounts")?, "accounts")?;
            no_more(&obj)?;
            if op == Op::Statistics {
                to_json(&lifecycle::statistics(Some(policy), &accounts, now))
            } else {
                let findings = lifecycle::security_findings(policy, &accounts, now)?;
                Ok(serde_json::json!({ "policy": policy.hash(), "findings": findings }))
            }
        }
        Op::EffectiveStatus => {
            let now: Timestamp = required(take(&mut obj, "now")?, "now")?;
            let account: Account = required(take(&mut obj, "account")?, "account")?;
            no_more(&obj)?;
            let lc = policy.lifecycle().ok_or(LifecycleError::NoLifecycle)?;
            to_json(&lifecycle::effective_status(lc, &account, now)?)
        }
        Op::Bulk => {
            let now: Timestamp = required(take(&mut obj, "now")?, "now")?;
            let req: BulkRequest = parse_input("input", Value::Object(obj))?;
            to_json(&bulk::bulk(policy, &req, now, lang)?)
        }
        Op::Validate | Op::Password => Err(ApiError::input(
            "op",
            "handled by the validation entry point",
        )),
    }
}

fn no_more(obj: &Map<String, Value>) -> Result<(), ApiError> {
    match obj.keys().next() {
        Some(k) => Err(ApiError::input(
            format!("input.{k}"),
            format!("unknown field `{k}`"),
        )),
        None => Ok(()),
    }
}
