//! The commands: each turns its arguments into a kernel call and the kernel's answer into
//! an [`Output`] and an [`Exit`].

use serde_json::{Map, Value, json};
use warden_core::api::{self, Op};
use warden_core::password::{self, ResolvedPasswordPolicy};
use warden_core::policy::presets::{self, PRESETS};
use warden_core::{Lang, Policy};

use super::args::{
    Command, FormsArgs, FormsExport, PasswordCommand, PolicyArgs, PresetsCommand, ValidateArgs,
};
use super::error::CliError;
use super::input::{load_policy, read_json, read_password, source_of, stdin_once, type_name};
use super::{Env, Exit, Output, ops};
use crate::random::{EntropyRng, salt};

/// Runs a parsed command.
pub(crate) fn execute(command: &Command, env: &mut Env<'_>) -> Result<(Output, Exit), CliError> {
    match command {
        Command::Validate(args) => validate(args, env),
        Command::Presets(args) => match &args.command {
            None => list_presets(),
            Some(PresetsCommand::Show { name }) => show_preset(name),
        },
        Command::Password(args) => match &args.command {
            PasswordCommand::Check {
                policy,
                lang,
                user,
                mfa,
            } => check_password(env, policy, *lang, user.as_deref(), *mfa),
            PasswordCommand::Hash { policy } => hash_password(env, policy),
            PasswordCommand::Verify { policy, hash } => verify_password(env, policy, hash),
            PasswordCommand::Generate { policy, length } => {
                generate_password(env, policy, length.map(usize::from))
            }
            PasswordCommand::Reset(args) => ops::password_reset(args, env),
        },
        Command::Authorize(args) => ops::simple(args, Op::Authorize, env),
        Command::Scope(args) => ops::scope(args, env),
        Command::Transition(args) => ops::simple(args, Op::Transition, env),
        Command::Login(args) => ops::simple(args, Op::Login, env),
        Command::Delete(args) => ops::simple(args, Op::Delete, env),
        Command::Bulk(args) => ops::simple(args, Op::Bulk, env),
        Command::Import(args) => ops::import(args, env),
        Command::Stats(args) => ops::simple(args, Op::Statistics, env),
        Command::Eval(args) => ops::eval(args, env),
        Command::Plugin(args) => super::plugin::execute(args, env),
        Command::Forms(args) => forms(args, env),
    }
}

/// `warden forms`: a policy's exports for forms (`warden_core::forms`).
fn forms(args: &FormsArgs, env: &mut Env<'_>) -> Result<(Output, Exit), CliError> {
    let policy = load_policy(&args.policy, env.stdin)?;
    let out = match args.export {
        FormsExport::Schema => warden_core::forms::json_schema(&policy, args.lang),
        FormsExport::Html => warden_core::forms::html_attributes(&policy, args.lang),
        FormsExport::Passwordrules => match warden_core::forms::password_rules(&policy) {
            Some(rules) => return Ok((Output::Text(rules), Exit::Success)),
            None => {
                return Err(CliError::new(format!(
                    "the policy `{}` has no `password` section",
                    policy.name()
                )));
            }
        },
    };
    Ok((Output::Json(out), Exit::Success))
}

fn validate(args: &ValidateArgs, env: &mut Env<'_>) -> Result<(Output, Exit), CliError> {
    let today = args.clock.today().or(env.today).ok_or_else(|| {
        CliError::new("the system clock does not give today's date")
            .with_help("give it with `--today YYYY-MM-DD`")
    })?;
    stdin_once(
        &[
            args.policy.policy.as_deref(),
            args.facts.as_deref(),
            Some(&args.input),
        ],
        false,
    )?;
    let policy = load_policy(&args.policy, env.stdin)?;
    let facts = match &args.facts {
        Some(path) => {
            let facts = read_json(path, env.stdin)?;
            if !facts.is_object() {
                return Err(CliError::new(format!(
                    "the facts in {} are {}, not a JSON object",
                    source_of(path),
                    type_name(&facts)
                )));
            }
            facts
        }
        None => Value::Object(Map::new()),
    };
    let source = source_of(&args.input);
    let input = read_json(&args.input, env.stdin)?;
    // The plugins are loaded once for every record of the input, not once per record.
    let session = if args.plugins.is_empty() {
        None
    } else {
        let config = super::plugin::config_of(args.plugin_config.as_deref(), env.stdin)?;
        Some(super::plugin::Session::load(&args.plugins, &config)?)
    };
    let evaluate = |user: Map<String, Value>| -> Result<Value, CliError> {
        let request = json!({
            "user": user,
            "mode": args.mode.as_str(),
            "today": today.to_string(),
            "facts": facts,
            "mfa": args.mfa,
        });
        let Some(session) = &session else {
            return Ok(api::evaluate_with(
                &policy,
                Op::Validate,
                args.lang,
                request,
            )?);
        };
        let request = super::plugin::request_for(&policy, Op::Validate, args.lang, request)?;
        session.decide(&request)
    };
    if let Value::Object(m) = &input
        && m.get("user").is_some_and(Value::is_object)
        && !policy.document().fields.contains_key("user")
    {
        return Err(CliError::new(format!(
            "{source} holds the `validate` operation's input (`{{user, today, ...}}`), not a user record"
        ))
        .with_help(
            "pass the record itself (the `user` object), or run `warden eval --op validate` on this input",
        ));
    }
    match input {
        Value::Object(user) => {
            let decision = evaluate(user)?;
            let valid = is_valid(&decision)?;
            Ok((Output::Json(decision), Exit::from_verdict(valid)))
        }
        Value::Array(records) => {
            // Check every record's type first: nothing is printed for unusable input.
            if let Some((i, other)) = records.iter().enumerate().find(|(_, r)| !r.is_object()) {
                return Err(CliError::new(format!(
                    "record {i} in {source} is {}, not a user record (a JSON object)",
                    type_name(other)
                )));
            }
            let total = records.len();
            let mut results = Vec::with_capacity(total);
            let mut valid = 0_usize;
            for (i, record) in records.into_iter().enumerate() {
                let Value::Object(user) = record else {
                    continue;
                };
                let decision = evaluate(user).map_err(|e| {
                    let e: CliError = e;
                    CliError::new(format!("record {i} in {source}: {}", e.message()))
                })?;
                if is_valid(&decision)? {
                    valid += 1;
                }
                results.push(decision);
            }
            let out = json!({
                "results": results,
                "summary": { "total": total, "valid": valid, "invalid": total - valid },
            });
            Ok((Output::Json(out), Exit::from_verdict(valid == total)))
        }
        other => Err(CliError::new(format!(
            "{source} holds {}, not a user record (a JSON object) or an array of records",
            type_name(&other)
        ))),
    }
}

/// The `valid` flag of a kernel decision.
fn is_valid(decision: &Value) -> Result<bool, CliError> {
    super::ops::verdict(Op::Validate, decision)
}

fn list_presets() -> Result<(Output, Exit), CliError> {
    let list = serde_json::to_value(PRESETS)
        .map_err(|e| CliError::new(format!("cannot list the presets: {e}")))?;
    Ok((Output::Json(list), Exit::Success))
}

fn show_preset(name: &str) -> Result<(Output, Exit), CliError> {
    match presets::find(name) {
        Some(p) => Ok((Output::Document(p.json.trim().to_owned()), Exit::Success)),
        None => match Policy::preset(name) {
            Err(e) => Err(CliError::preset(&e)),
            Ok(_) => Err(CliError::new(format!("unknown preset `{name}`"))),
        },
    }
}

/// The resolved password policy, or an error when the policy has none.
fn password_policy(policy: &Policy) -> Result<&ResolvedPasswordPolicy, CliError> {
    policy.password_policy().ok_or_else(|| {
        CliError::new(format!(
            "the policy `{}` has no `password` section",
            policy.name()
        ))
    })
}

fn check_password(
    env: &mut Env<'_>,
    policy: &PolicyArgs,
    lang: Lang,
    user: Option<&std::path::Path>,
    mfa: bool,
) -> Result<(Output, Exit), CliError> {
    stdin_once(&[policy.policy.as_deref(), user], true)?;
    let policy = load_policy(policy, env.stdin)?;
    let user = match user {
        Some(path) => match read_json(path, env.stdin)? {
            Value::Object(map) => map,
            other => {
                return Err(CliError::new(format!(
                    "the user in {} is {}, not a user record (a JSON object)",
                    source_of(path),
                    type_name(&other)
                )));
            }
        },
        None => Map::new(),
    };
    let password = read_password(env.stdin)?;
    let request = json!({ "password": password.expose(), "user": user, "mfa": mfa });
    let decision = api::evaluate_with(&policy, Op::Password, lang, request)?;
    let valid = super::ops::verdict(Op::Password, &decision)?;
    Ok((Output::Json(decision), Exit::from_verdict(valid)))
}

fn hash_password(env: &mut Env<'_>, policy: &PolicyArgs) -> Result<(Output, Exit), CliError> {
    stdin_once(&[policy.policy.as_deref()], true)?;
    let policy = load_policy(policy, env.stdin)?;
    let pp = password_policy(&policy)?;
    let password = read_password(env.stdin)?;
    if password.expose().is_empty() {
        return Err(CliError::new("the password on standard input is empty"));
    }
    let salt = salt(env.entropy)?;
    let phc = password::hash_password(pp, password.expose(), &salt)?;
    Ok((Output::Text(phc), Exit::Success))
}

fn verify_password(
    env: &mut Env<'_>,
    policy: &PolicyArgs,
    phc: &str,
) -> Result<(Output, Exit), CliError> {
    stdin_once(&[policy.policy.as_deref()], true)?;
    let policy = load_policy(policy, env.stdin)?;
    let pp = password_policy(&policy)?;
    let password = read_password(env.stdin)?;
    let v = password::verify_password(pp, phc.trim(), password.expose())?;
    let out = json!({ "matches": v.matches, "needsRehash": v.needs_rehash });
    Ok((Output::Json(out), Exit::from_verdict(v.matches)))
}

fn generate_password(
    env: &mut Env<'_>,
    policy: &PolicyArgs,
    length: Option<usize>,
) -> Result<(Output, Exit), CliError> {
    let policy = load_policy(policy, env.stdin)?;
    let pp = password_policy(&policy)?;
    let mut rng = EntropyRng::new(env.entropy);
    let password = password::generate_password(pp, &mut rng, length);
    rng.finish()?;
    Ok((Output::Text(password.expose().to_owned()), Exit::Success))
}
