//! The contract's operations: one named input type and one named output type each, and a
//! dispatch that is parse → call → serialise.
//!
//! Every input type refuses unknown fields (with a did-you-mean). Nothing the kernel
//! computes is read from the caller: the permissions an actor holds over a target are
//! computed here from the policy and the directory, never accepted in a request.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    ApiError, MAX_DIRECTORY_ROWS, MAX_RECORD_FIELDS, Op, PasswordDecision, PasswordInput,
    ValidateInput, check_password_json, parse_input, to_json,
};
use crate::access::{
    self, AccessError, AccessErrorKind, AuthorizeRequest, AuthzDecision, Directory, FieldAccess,
    RoleChange, ScopeDecision, SqlFilter, SqlOptions, Target,
};
use crate::bulk::{self, BulkDecision, BulkItem, BulkRequest};
use crate::checks::date::{Date, Timestamp};
use crate::hierarchy::HierarchyProblem;
use crate::import::{ImportFormat, ImportOptions, ImportReport, validate_import};
use crate::lifecycle::{
    self, ChangeDecision, DeleteDecision, DeleteFacts, DeleteMode, EffectiveStatus, Finding,
    LifecycleError, LifecycleErrorKind, LockoutState, LoginDecision, LoginFacts, OrganizationState,
    PasswordResetDecision, ResetMethod, Statistics, TransitionDecision, TransitionFacts,
    VerificationDecision,
};
use crate::messages::Lang;
use crate::model::Account;
use crate::password::RandomSource;
use crate::policy::{Mode, Policy};
use crate::validate::{ValidationContext, ValidationDecision, ValidationFacts};

/// One operation of the contract: its input type runs against a policy and yields its
/// output type. `evaluate_with` is this trait's `run` between a parse and a serialisation.
pub trait Operation: serde::de::DeserializeOwned {
    /// The operation.
    const OP: Op;
    /// The decision it yields.
    type Output: Serialize;
    /// Runs the operation.
    ///
    /// # Errors
    /// An [`ApiError`] when the input is unusable for this policy.
    fn run(self, policy: &Policy, lang: Lang) -> Result<Self::Output, ApiError>;
}

/// The Value path: `input` parsed into `I`, run, and its output serialised as a [`Value`].
pub(super) fn exec<I: Operation>(
    policy: &Policy,
    lang: Lang,
    input: Value,
) -> Result<Value, ApiError> {
    let input: I = parse_input("input", input)?;
    to_json(&input.run(policy, lang)?)
}

/// What runs an operation once its input type is known: the Value path ([`exec`]) or the
/// text-to-text path (`api::text`). The one table from operation to input type is
/// [`dispatch_to`].
pub(super) trait Runner {
    /// What a run yields.
    type Out;
    /// Runs the operation whose input type is `I`.
    fn run<I: Operation>(self) -> Result<Self::Out, ApiError>;
}

/// Runs `op` with its input type.
pub(super) fn dispatch_to<R: Runner>(op: Op, runner: R) -> Result<R::Out, ApiError> {
    match op {
        Op::Validate => runner.run::<ValidateInput>(),
        Op::Password => runner.run::<PasswordInput>(),
        Op::Import => runner.run::<ImportInput>(),
        Op::Authorize => runner.run::<AuthorizeInput>(),
        Op::Scope => runner.run::<ScopeInput>(),
        Op::Permissions => runner.run::<PermissionsInput>(),
        Op::Directory => runner.run::<DirectoryInput>(),
        Op::Transition => runner.run::<TransitionInput>(),
        Op::Login => runner.run::<LoginInput>(),
        Op::Lockout => runner.run::<LockoutInput>(),
        Op::Delete => runner.run::<DeleteInput>(),
        Op::Changes => runner.run::<ChangesInput>(),
        Op::PasswordChange => runner.run::<PasswordChangeInput>(),
        Op::PasswordReset => runner.run::<PasswordResetInput>(),
        Op::Verification => runner.run::<VerificationInput>(),
        Op::Statistics => runner.run::<StatisticsInput>(),
        Op::Findings => runner.run::<AccountsInput>(),
        Op::EffectiveStatus => runner.run::<EffectiveStatusInput>(),
        Op::Bulk => runner.run::<BulkInput>(),
        Op::FieldAccess => runner.run::<FieldAccessInput>(),
    }
}

struct ValueRun<'a> {
    policy: &'a Policy,
    lang: Lang,
    input: Value,
}

impl Runner for ValueRun<'_> {
    type Out = Value;
    fn run<I: Operation>(self) -> Result<Value, ApiError> {
        exec::<I>(self.policy, self.lang, self.input)
    }
}

/// Parses, runs and serialises `op`.
pub(super) fn dispatch(
    policy: &Policy,
    op: Op,
    lang: Lang,
    input: Value,
) -> Result<Value, ApiError> {
    super::check_lang(policy, lang)?;
    dispatch_to(
        op,
        ValueRun {
            policy,
            lang,
            input,
        },
    )
}

/// An [`AccessError`] with help from the policy: the closest declared role or action.
fn access_error(policy: &Policy, e: AccessError) -> ApiError {
    let help = match (policy.access(), e.name()) {
        (Some(a), Some(role)) if e.kind() == AccessErrorKind::UnknownRole => {
            let roles: Vec<&str> = a.spec.roles.keys().collect();
            Some(did_you_mean(role, &roles, "the policy's roles are"))
        }
        _ => None,
    };
    let err = ApiError::from(e);
    match help {
        Some(h) => err.with_help(h),
        None => err,
    }
}

/// A [`LifecycleError`] with help from the policy: the closest declared status.
fn lifecycle_error(policy: &Policy, e: LifecycleError) -> ApiError {
    let help = match (policy.lifecycle(), e.name()) {
        (Some(lc), Some(status)) if e.kind() == LifecycleErrorKind::UnknownStatus => {
            let statuses: Vec<&str> = lc.spec().statuses.keys().collect();
            Some(did_you_mean(status, &statuses, "the policy's statuses are"))
        }
        _ => None,
    };
    let err = ApiError::from(e);
    match help {
        Some(h) => err.with_help(h),
        None => err,
    }
}

fn did_you_mean(name: &str, known: &[&str], intro: &str) -> String {
    match crate::util::closest(name, known.iter().copied(), 3) {
        Some(best) => format!("did you mean `{best}`?"),
        None => format!(
            "{intro} {}",
            known
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Indexes the caller's directory rows. A directory whose manager relation has a cycle or a
/// repeated id cannot decide `team` scopes: it is refused, naming the problem.
fn directory(rows: &[Account]) -> Result<Directory, ApiError> {
    if rows.len() > MAX_DIRECTORY_ROWS {
        return Err(ApiError::invalid_input(
            "input.directory",
            format!("a directory has at most {MAX_DIRECTORY_ROWS} rows"),
        ));
    }
    let (dir, problems) = Directory::from_accounts(rows);
    if let Some(p) = problems.iter().find(|p| {
        matches!(
            p,
            HierarchyProblem::Cycle { .. } | HierarchyProblem::DuplicateId { .. }
        )
    }) {
        return Err(
            ApiError::rejected("invalid_directory", p.to_string()).with_help(
                "run the `directory` operation to list every problem of the manager relation",
            ),
        );
    }
    Ok(dir)
}

/// The permissions `actor` holds over `target`, computed from the policy (none without an
/// `access` section: the policy then cannot name permissions in `by`).
fn permissions(
    policy: &Policy,
    dir: &Directory,
    actor: &Account,
    target: &Account,
    now: Timestamp,
) -> Result<Vec<String>, ApiError> {
    if policy.access().is_none() {
        return Ok(Vec::new());
    }
    bulk::actor_permissions(policy, dir, actor, target, now).map_err(|e| access_error(policy, e))
}

impl Operation for ValidateInput {
    const OP: Op = Op::Validate;
    type Output = ValidationDecision;
    fn run(self, policy: &Policy, lang: Lang) -> Result<ValidationDecision, ApiError> {
        if self.user.len() > MAX_RECORD_FIELDS {
            return Err(ApiError::invalid_input(
                "input.user",
                format!("a record has at most {MAX_RECORD_FIELDS} fields"),
            ));
        }
        let ctx = ValidationContext {
            mode: self.mode,
            today: self.today,
            lang,
            facts: &self.facts,
            mfa: self.mfa,
        };
        match &self.field {
            None => Ok(crate::validate::validate_user(policy, &self.user, &ctx)),
            Some(field) => crate::validate::validate_field(policy, &self.user, field, &ctx)
                .map_err(|e| {
                    let help = e.closest.as_ref().map(|c| format!("did you mean `{c}`?"));
                    let err = ApiError::invalid_input("input.field", e.to_string());
                    match help {
                        Some(h) => err.with_help(h),
                        None => err,
                    }
                }),
        }
    }
}

impl Operation for PasswordInput {
    const OP: Op = Op::Password;
    type Output = PasswordDecision;
    fn run(self, policy: &Policy, lang: Lang) -> Result<PasswordDecision, ApiError> {
        check_password_json(policy, &self, lang)
    }
}

/// The input of [`Op::Import`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImportInput {
    /// `csv` (the default) or `jsonl`.
    #[serde(default)]
    pub format: ImportFormat,
    /// Also return each row's record as read (for previews; an empty object for a row that
    /// could not be read), without its passwords: a decision never carries one.
    #[serde(default)]
    pub records: bool,
    /// The file's text.
    pub data: String,
    /// Today's date.
    pub today: Date,
    /// Answers to checks (uniqueness against the stored directory).
    #[serde(default)]
    pub facts: ValidationFacts,
}

impl Operation for ImportInput {
    const OP: Op = Op::Import;
    type Output = ImportReport;
    fn run(self, policy: &Policy, lang: Lang) -> Result<ImportReport, ApiError> {
        let ctx = ValidationContext {
            mode: Mode::Import,
            today: self.today,
            lang,
            facts: &self.facts,
            mfa: false,
        };
        let mut report = validate_import(
            policy,
            self.data.as_bytes(),
            ImportOptions {
                format: self.format,
                records: self.records,
            },
            &ctx,
        )?;
        // A decision never carries a password, nor a key that could be one misspelt.
        for record in report.records.iter_mut().flatten() {
            crate::import::shown_record(policy, record);
        }
        Ok(report)
    }
}

/// Takes the passwords out of a record a decision returns (the policy's password fields,
/// and `password` by its name): a decision never carries one.
fn without_passwords(policy: &Policy, record: &mut serde_json::Map<String, Value>) {
    for name in policy.password_fields() {
        record.remove(name);
    }
    record.remove("password");
}

/// The input of [`Op::Authorize`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthorizeInput {
    /// Who acts.
    pub actor: Account,
    /// What they do: `module.action` (`users.update`).
    pub action: String,
    /// To what.
    pub target: Target,
    /// Roles the action grants or withdraws.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<RoleChange>,
    /// The directory rows (id and manager) for `team` scopes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub directory: Vec<Account>,
    /// The current time.
    pub now: Timestamp,
}

impl Operation for AuthorizeInput {
    const OP: Op = Op::Authorize;
    type Output = AuthzDecision;
    fn run(self, policy: &Policy, lang: Lang) -> Result<AuthzDecision, ApiError> {
        let dir = directory(&self.directory)?;
        let req = AuthorizeRequest {
            actor: self.actor,
            action: self.action,
            target: self.target,
            change: self.change,
        };
        access::authorize(policy, &dir, &req, self.now, lang).map_err(|e| access_error(policy, e))
    }
}

/// The input of [`Op::Scope`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScopeInput {
    /// Who looks.
    pub actor: Account,
    /// The action (`users.read`).
    pub action: String,
    /// The current time.
    pub now: Timestamp,
    /// Render the filter as SQL with these columns and this dialect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql: Option<SqlOptions>,
}

/// The output of [`Op::Scope`]: the filter, and its SQL when asked for.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ScopeOutput {
    /// The scope decision.
    #[serde(flatten)]
    pub scope: ScopeDecision,
    /// The filter as a parameterised SQL condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql: Option<SqlFilter>,
}

impl Operation for ScopeInput {
    const OP: Op = Op::Scope;
    type Output = ScopeOutput;
    fn run(self, policy: &Policy, _lang: Lang) -> Result<ScopeOutput, ApiError> {
        let scope = access::scope(policy, &self.actor, &self.action, self.now)
            .map_err(|e| access_error(policy, e))?;
        let sql = match &self.sql {
            Some(opts) => Some(
                scope
                    .filter
                    .to_sql(opts)
                    .map_err(|e| ApiError::invalid_input("input.sql", e.to_string()))?,
            ),
            None => None,
        };
        Ok(ScopeOutput { scope, sql })
    }
}

/// The input of [`Op::Permissions`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PermissionsInput {
    /// Who acts.
    pub actor: Account,
    /// On what.
    pub target: Target,
    /// The directory rows for `team` scopes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub directory: Vec<Account>,
    /// The current time.
    pub now: Timestamp,
}

/// The output of [`Op::Permissions`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct PermissionsDecision {
    /// The policy's hash.
    pub policy: Arc<str>,
    /// Every `module.action` the actor may perform on the target, in declaration order.
    pub permissions: Vec<String>,
}

impl Operation for PermissionsInput {
    const OP: Op = Op::Permissions;
    type Output = PermissionsDecision;
    fn run(self, policy: &Policy, _lang: Lang) -> Result<PermissionsDecision, ApiError> {
        let dir = directory(&self.directory)?;
        let permissions =
            access::permissions_over(policy, &dir, &self.actor, &self.target, self.now)
                .map_err(|e| access_error(policy, e))?;
        Ok(PermissionsDecision {
            policy: policy.hash_arc(),
            permissions,
        })
    }
}

/// The input of [`Op::Directory`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DirectoryInput {
    /// The accounts (id and manager are read).
    pub accounts: Vec<Account>,
}

/// The output of [`Op::Directory`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct DirectoryDecision {
    /// The policy's hash.
    pub policy: Arc<str>,
    /// No problem was found.
    pub valid: bool,
    /// Every problem of the manager relation (R001-04).
    pub problems: Vec<HierarchyProblem>,
}

impl Operation for DirectoryInput {
    const OP: Op = Op::Directory;
    type Output = DirectoryDecision;
    fn run(self, policy: &Policy, _lang: Lang) -> Result<DirectoryDecision, ApiError> {
        if self.accounts.len() > MAX_DIRECTORY_ROWS {
            return Err(ApiError::invalid_input(
                "input.accounts",
                format!("a directory has at most {MAX_DIRECTORY_ROWS} rows"),
            ));
        }
        let (_, problems) = Directory::from_accounts(&self.accounts);
        Ok(DirectoryDecision {
            policy: policy.hash_arc(),
            valid: problems.is_empty(),
            problems,
        })
    }
}

/// The input of [`Op::Transition`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TransitionInput {
    /// Who asks.
    pub actor: Account,
    /// Whose status changes.
    pub target: Account,
    /// The new status.
    pub to: String,
    /// Why; trimmed, at most 1,000 code points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The end of a temporary status; at most one of `until`, `durationDays`,
    /// `durationMinutes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Timestamp>,
    /// The duration of a temporary status, in days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_days: Option<u32>,
    /// The duration of a temporary status, in minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_minutes: Option<u32>,
    /// Facts for the guards and obligations.
    #[serde(default)]
    pub facts: TransitionFacts,
    /// The directory rows for `team` scopes of `by.permission`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub directory: Vec<Account>,
    /// The current time.
    pub now: Timestamp,
}

impl Operation for TransitionInput {
    const OP: Op = Op::Transition;
    type Output = TransitionDecision;
    fn run(self, policy: &Policy, lang: Lang) -> Result<TransitionDecision, ApiError> {
        let dir = directory(&self.directory)?;
        let actor_permissions = permissions(policy, &dir, &self.actor, &self.target, self.now)?;
        let req = lifecycle::TransitionRequest {
            actor: self.actor,
            target: self.target,
            to: self.to,
            reason: self.reason,
            until: self.until,
            duration_days: self.duration_days,
            duration_minutes: self.duration_minutes,
            facts: self.facts,
            actor_permissions,
            lang,
        };
        lifecycle::transition(policy, &req, self.now).map_err(|e| lifecycle_error(policy, e))
    }
}

/// The input of [`Op::Login`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginInput {
    /// The account logging in.
    pub account: Account,
    /// Its organisation's state (R000-08).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<OrganizationState>,
    /// Failed attempts, password age, verification.
    #[serde(default)]
    pub facts: LoginFacts,
    /// The current time.
    pub now: Timestamp,
}

impl Operation for LoginInput {
    const OP: Op = Op::Login;
    type Output = LoginDecision;
    fn run(self, policy: &Policy, lang: Lang) -> Result<LoginDecision, ApiError> {
        lifecycle::can_login(
            policy,
            &self.account,
            self.organization.as_ref(),
            &self.facts,
            self.now,
            lang,
        )
        .map_err(|e| lifecycle_error(policy, e))
    }
}

/// The input of [`Op::Lockout`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LockoutInput {
    /// Failed logins since the last successful one.
    #[serde(default)]
    pub failed_attempts: Vec<Timestamp>,
    /// Earlier lockouts that still escalate the wait.
    #[serde(default)]
    pub lockouts: u32,
    /// The current time.
    pub now: Timestamp,
}

impl Operation for LockoutInput {
    const OP: Op = Op::Lockout;
    type Output = LockoutState;
    fn run(self, policy: &Policy, _lang: Lang) -> Result<LockoutState, ApiError> {
        let spec = policy
            .lifecycle()
            .and_then(|l| l.spec().lockout.as_ref())
            .ok_or_else(|| {
                ApiError::unsupported("lockout", "it has no `lifecycle.lockout` section")
            })?;
        Ok(lifecycle::lockout_state(
            spec,
            &self.failed_attempts,
            self.lockouts,
            self.now,
        ))
    }
}

/// The input of [`Op::Delete`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeleteInput {
    /// Who asks.
    pub actor: Account,
    /// The account to delete.
    pub target: Account,
    /// The mode; default the policy's `deletion.default`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<DeleteMode>,
    /// The actor confirmed the deletion (R000-09).
    #[serde(default)]
    pub confirmed: bool,
    /// Facts for the blockers.
    #[serde(default)]
    pub facts: DeleteFacts,
    /// The directory rows for `team` scopes of `deletion.by`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub directory: Vec<Account>,
    /// The current time.
    pub now: Timestamp,
}

impl Operation for DeleteInput {
    const OP: Op = Op::Delete;
    type Output = DeleteDecision;
    fn run(self, policy: &Policy, lang: Lang) -> Result<DeleteDecision, ApiError> {
        let dir = directory(&self.directory)?;
        let actor_permissions = permissions(policy, &dir, &self.actor, &self.target, self.now)?;
        let req = lifecycle::DeleteRequest {
            actor: self.actor,
            target: self.target,
            mode: self.mode,
            confirmed: self.confirmed,
            facts: self.facts,
            actor_permissions,
            lang,
        };
        lifecycle::delete(policy, &req, self.now).map_err(|e| lifecycle_error(policy, e))
    }
}

/// The input of [`Op::Changes`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangesInput {
    /// Who edits.
    pub actor: Account,
    /// The account before.
    pub before: Account,
    /// The account after; a non-blank `password` attribute means a new password.
    pub after: Account,
    /// The actor re-entered their current password (a self-service password or email
    /// change).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_password_verified: Option<bool>,
    /// The directory rows, to refuse a manager edit that would make a cycle.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub directory: Vec<Account>,
    /// What the caller knows and Warden cannot (`activeSuperAdmins`, when the edit takes the
    /// super-administrator flag away).
    #[serde(default, skip_serializing_if = "lifecycle::ChangeFacts::is_empty")]
    pub facts: lifecycle::ChangeFacts,
    /// The current time.
    pub now: Timestamp,
}

impl Operation for ChangesInput {
    const OP: Op = Op::Changes;
    type Output = ChangeDecision;
    fn run(self, policy: &Policy, lang: Lang) -> Result<ChangeDecision, ApiError> {
        let dir = directory(&self.directory)?;
        let req = lifecycle::ChangeRequest {
            actor: self.actor,
            before: self.before,
            after: self.after,
            current_password_verified: self.current_password_verified,
            facts: self.facts,
            lang,
        };
        lifecycle::changes_in(policy, &dir, &req, self.now).map_err(|e| lifecycle_error(policy, e))
    }
}

/// The input of [`Op::PasswordChange`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PasswordChangeInput {
    /// Who changes it.
    pub actor: Account,
    /// Whose password.
    pub target: Account,
    /// The actor re-entered their current password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_password_verified: Option<bool>,
    /// The current time.
    pub now: Timestamp,
}

impl Operation for PasswordChangeInput {
    const OP: Op = Op::PasswordChange;
    type Output = ChangeDecision;
    fn run(self, policy: &Policy, lang: Lang) -> Result<ChangeDecision, ApiError> {
        let req = lifecycle::PasswordChangeRequest {
            actor: self.actor,
            target: self.target,
            current_password_verified: self.current_password_verified,
            lang,
        };
        lifecycle::password_change(policy, &req, self.now).map_err(|e| lifecycle_error(policy, e))
    }
}

/// The input of [`Op::PasswordReset`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PasswordResetInput {
    /// Who asks (the target themselves for a self-service reset).
    pub actor: Account,
    /// Whose password.
    pub target: Account,
    /// The method; default the first of `passwordReset.methods`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<ResetMethod>,
    /// At least 64 hexadecimal digits (32 bytes) of fresh randomness from the caller's
    /// operating system, for a temporary password: the kernel has no randomness of its own.
    pub entropy: String,
    /// The directory rows for `team` scopes of `passwordReset.by`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub directory: Vec<Account>,
    /// The current time.
    pub now: Timestamp,
}

/// The output of [`Op::PasswordReset`]: the decision, and the temporary password it
/// generated (the one place a password leaves the kernel, because it was asked for).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct PasswordResetOutput {
    /// The decision.
    #[serde(flatten)]
    pub reset: PasswordResetDecision,
    /// The generated temporary password, shown once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temporary_password: Option<String>,
}

impl Operation for PasswordResetInput {
    const OP: Op = Op::PasswordReset;
    type Output = PasswordResetOutput;
    fn run(self, policy: &Policy, lang: Lang) -> Result<PasswordResetOutput, ApiError> {
        let seed = entropy(&self.entropy)?;
        let dir = directory(&self.directory)?;
        let actor_permissions = permissions(policy, &dir, &self.actor, &self.target, self.now)?;
        let req = lifecycle::PasswordResetRequest {
            actor: self.actor,
            target: self.target,
            method: self.method,
            actor_permissions,
            lang,
        };
        let reset = lifecycle::password_reset(policy, &req, &mut SeededRandom::new(seed), self.now)
            .map_err(|e| lifecycle_error(policy, e))?;
        let temporary_password = reset.temporary_password().map(|p| p.expose().to_owned());
        Ok(PasswordResetOutput {
            reset,
            temporary_password,
        })
    }
}

/// The input of [`Op::Verification`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VerificationInput {
    /// Who decides.
    pub actor: Account,
    /// The account being verified.
    pub account: Account,
    /// The verification kind the policy declares.
    pub kind: String,
    /// Approve (true) or reject (false).
    pub approve: bool,
    /// The directory rows for `team` scopes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub directory: Vec<Account>,
    /// The current time.
    pub now: Timestamp,
}

impl Operation for VerificationInput {
    const OP: Op = Op::Verification;
    type Output = VerificationDecision;
    fn run(self, policy: &Policy, lang: Lang) -> Result<VerificationDecision, ApiError> {
        let dir = directory(&self.directory)?;
        let perms = permissions(policy, &dir, &self.actor, &self.account, self.now)?;
        lifecycle::verification(
            policy,
            &self.actor,
            &self.account,
            &self.kind,
            self.approve,
            &perms,
            self.now,
            lang,
        )
        .map_err(|e| lifecycle_error(policy, e))
    }
}

/// The input of [`Op::Statistics`] and [`Op::Findings`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountsInput {
    /// The accounts.
    pub accounts: Vec<Account>,
    /// The current time.
    pub now: Timestamp,
}

/// [`AccountsInput`] read for [`Op::Statistics`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(transparent)]
struct StatisticsInput(AccountsInput);

impl Operation for StatisticsInput {
    const OP: Op = Op::Statistics;
    type Output = Statistics;
    fn run(self, policy: &Policy, _lang: Lang) -> Result<Statistics, ApiError> {
        Ok(lifecycle::statistics(
            Some(policy),
            &self.0.accounts,
            self.0.now,
        ))
    }
}

/// The output of [`Op::Findings`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct FindingsDecision {
    /// The policy's hash.
    pub policy: Arc<str>,
    /// Every finding (R001-06, R003-05).
    pub findings: Vec<Finding>,
}

impl Operation for AccountsInput {
    const OP: Op = Op::Findings;
    type Output = FindingsDecision;
    fn run(self, policy: &Policy, _lang: Lang) -> Result<FindingsDecision, ApiError> {
        let findings = lifecycle::security_findings(policy, &self.accounts, self.now)
            .map_err(|e| lifecycle_error(policy, e))?;
        Ok(FindingsDecision {
            policy: policy.hash_arc(),
            findings,
        })
    }
}

/// The input of [`Op::EffectiveStatus`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EffectiveStatusInput {
    /// The account.
    pub account: Account,
    /// The current time.
    pub now: Timestamp,
}

impl Operation for EffectiveStatusInput {
    const OP: Op = Op::EffectiveStatus;
    type Output = EffectiveStatus;
    fn run(self, policy: &Policy, _lang: Lang) -> Result<EffectiveStatus, ApiError> {
        let lc = policy
            .lifecycle()
            .ok_or_else(|| lifecycle_error(policy, LifecycleError::no_lifecycle()))?;
        lifecycle::effective_status(lc, &self.account, self.now)
            .map_err(|e| lifecycle_error(policy, e))
    }
}

/// The input of [`Op::Bulk`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BulkInput {
    /// Who acts.
    pub actor: Account,
    /// The items.
    pub items: Vec<BulkItem>,
    /// The directory rows for `team` scopes.
    #[serde(default)]
    pub directory: Vec<Account>,
    /// For deletions: the actor confirmed.
    #[serde(default)]
    pub confirmed: bool,
    /// For deletions: the number of accounts the actor typed to confirm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm_count: Option<usize>,
    /// Ceiling on deletions (default 100, at most 1,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_delete: Option<usize>,
    /// Processing batch size (default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<usize>,
    /// Today's date, for imports (default: the date of `now`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub today: Option<Date>,
    /// The current time.
    pub now: Timestamp,
}

impl Operation for BulkInput {
    const OP: Op = Op::Bulk;
    type Output = BulkDecision;
    fn run(self, policy: &Policy, lang: Lang) -> Result<BulkDecision, ApiError> {
        if self.directory.len() > MAX_DIRECTORY_ROWS {
            return Err(ApiError::invalid_input(
                "input.directory",
                format!("a directory has at most {MAX_DIRECTORY_ROWS} rows"),
            ));
        }
        // The same refusal of a cyclic directory as every other operation.
        directory(&self.directory)?;
        let req = BulkRequest {
            actor: self.actor,
            items: self.items,
            directory: self.directory,
            confirmed: self.confirmed,
            confirm_count: self.confirm_count,
            max_delete: self.max_delete,
            batch_size: self.batch_size,
            today: self.today,
        };
        bulk::bulk(policy, &req, self.now, lang).map_err(|e| {
            if let Some(a) = e.access_error() {
                access_error(policy, a.clone())
            } else if let Some(l) = e.lifecycle_error() {
                lifecycle_error(policy, l.clone())
            } else {
                ApiError::from(e)
            }
        })
    }
}

/// The input of [`Op::FieldAccess`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FieldAccessInput {
    /// Who looks or edits.
    pub actor: Account,
    /// The account looked at.
    pub target: Account,
    /// A record of the target to return without the fields the actor may not see.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<serde_json::Map<String, Value>>,
    /// The directory rows for `team` principals and scopes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub directory: Vec<Account>,
    /// The current time.
    pub now: Timestamp,
}

/// The output of [`Op::FieldAccess`]: what the actor may see and change, and the record
/// redacted when one was given.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct FieldAccessDecision {
    /// The fields.
    #[serde(flatten)]
    pub access: FieldAccess,
    /// The record given, without the fields the actor may not see, nor its passwords.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<serde_json::Map<String, Value>>,
}

impl Operation for FieldAccessInput {
    const OP: Op = Op::FieldAccess;
    type Output = FieldAccessDecision;
    fn run(self, policy: &Policy, _lang: Lang) -> Result<FieldAccessDecision, ApiError> {
        if self
            .record
            .as_ref()
            .is_some_and(|r| r.len() > MAX_RECORD_FIELDS)
        {
            return Err(ApiError::invalid_input(
                "input.record",
                format!("a record has at most {MAX_RECORD_FIELDS} fields"),
            ));
        }
        let dir = directory(&self.directory)?;
        let access = access::field_access(policy, &dir, &self.actor, &self.target, self.now)
            .map_err(|e| access_error(policy, e))?;
        let record = self.record.map(|r| {
            let mut visible = access.redacted(&r);
            without_passwords(policy, &mut visible);
            visible
        });
        Ok(FieldAccessDecision { access, record })
    }
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

fn entropy(hex: &str) -> Result<Vec<u8>, ApiError> {
    let bad = || {
        ApiError::invalid_input(
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

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::*;
    use serde_json::Map;

    #[test]
    fn every_op_dispatches_to_its_own_input_type() {
        // An empty object misses a required field of every input type: the error names
        // `input.<field>`, proving the op reached its own parser.
        let policy = Policy::preset("hr-platform").expect("preset");
        for &op in Op::ALL {
            let r = dispatch(&policy, op, Lang::En, Value::Object(Map::new()));
            let e = r.expect_err("an empty input is incomplete for every operation");
            assert_eq!(e.code(), "invalid_input", "{op:?}: {e}");
            assert!(e.path().is_some_and(|p| p.starts_with("input")), "{op:?}");
        }
    }
}
