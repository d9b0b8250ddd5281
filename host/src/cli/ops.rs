//! The decision commands (`authorize`, `scope`, `transition`, `login`, `delete`, `bulk`,
//! `import`, `stats`, `eval`, `password reset`): each reads the operation's input, fills in
//! `now` from the host's clock, and prints exactly what
//! [`warden_core::api::evaluate_with`] returns.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};
use warden_core::Timestamp;
use warden_core::api::{self, Op};

use super::args::{EvalArgs, ImportArgs, ImportFormatArg, OpArgs, ScopeArgs};
use super::error::CliError;
use super::input::{load_policy, read_input, read_json, source_of, stdin_once, type_name};
use super::{Env, Exit, MAX_INPUT_BYTES, Output};

/// Bytes of operating-system entropy passed to `passwordReset`: 64 (the kernel needs 32
/// or more).
pub const RESET_ENTROPY_BYTES: usize = 64;

/// The current instant from the system clock, or `None` when it is before 1970.
fn system_now() -> Option<Timestamp> {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(Timestamp::from_unix(i64::try_from(secs).ok()?))
}

/// `--now`, else the system clock.
fn now_of(given: Option<Timestamp>) -> Result<Timestamp, CliError> {
    given.or_else(system_now).ok_or_else(|| {
        CliError::new("the system clock does not give the current instant")
            .with_help("give it with `--now 2026-11-22T10:00:00Z`")
    })
}

/// The operation named by `--op`, as in requests.
fn parse_op(name: &str) -> Result<Op, CliError> {
    serde_json::from_value(Value::String(name.to_owned())).map_err(|_| {
        CliError::new(format!("unknown operation `{name}`")).with_help(
            "operations are `validate`, `password`, `import`, `authorize`, `scope`, \
             `permissions`, `directory`, `transition`, `login`, `lockout`, `delete`, \
             `changes`, `passwordChange`, `passwordReset`, `verification`, `statistics`, \
             `findings`, `effectiveStatus`, `bulk`",
        )
    })
}

/// The key an operation's input takes the current time under, if any, and whether it is
/// a date (`today`) rather than an instant (`now`).
fn clock_key(op: Op) -> Option<(&'static str, bool)> {
    match op {
        Op::Validate | Op::Import => Some(("today", true)),
        Op::Password | Op::Directory => None,
        _ => Some(("now", false)),
    }
}

/// Reads the input object of an operation and fills in `now` (or `today`) unless given.
fn read_op_input(args: &OpArgs, op: Op, env: &mut Env<'_>) -> Result<Map<String, Value>, CliError> {
    let source = source_of(&args.input);
    let mut obj = match read_json(&args.input, env.stdin)? {
        Value::Object(m) => m,
        other => {
            return Err(CliError::new(format!(
                "{source} holds {}, not the operation's input (a JSON object)",
                type_name(&other)
            )));
        }
    };
    if let Some((key, is_date)) = clock_key(op)
        && !obj.contains_key(key)
    {
        let now = now_of(args.clock.now())?;
        let text = if is_date {
            now.date()
                .map(|d| d.to_string())
                .ok_or_else(|| CliError::new("the current instant is outside the calendar"))?
        } else {
            now.to_string()
        };
        obj.insert(key.to_owned(), Value::String(text));
    }
    Ok(obj)
}

/// Whether a decision of `op` is a success (exit 0) or a failure (exit 1): the one place
/// the CLI reads a verdict, for the core's decisions and the plugin host's alike. A decision
/// without the key its operation's verdict is read from is an error, never a success.
pub(crate) fn verdict(op: Op, decision: &Value) -> Result<bool, CliError> {
    let missing = |key: &str| {
        CliError::new(format!(
            "the `{}` decision has no `{key}`: cannot tell success from failure",
            op.name()
        ))
    };
    let get = |path: &[&str]| -> Result<&Value, CliError> {
        let mut v = decision;
        for k in path {
            v = v.get(*k).ok_or_else(|| missing(&path.join(".")))?;
        }
        Ok(v)
    };
    let boolean = |path: &[&str]| -> Result<bool, CliError> {
        get(path)?.as_bool().ok_or_else(|| missing(&path.join(".")))
    };
    let number = |path: &[&str]| -> Result<u64, CliError> {
        get(path)?.as_u64().ok_or_else(|| missing(&path.join(".")))
    };
    Ok(match op {
        Op::Validate | Op::Password | Op::Directory => boolean(&["valid"])?,
        Op::Import => number(&["summary", "invalid"])? == 0,
        Op::Bulk => {
            number(&["summary", "denied"])? == 0
                && number(&["summary", "invalid"])? == 0
                && decision.get("refused").is_none_or(Value::is_null)
        }
        Op::Scope => get(&["filter", "kind"])?.as_str() != Some("none"),
        Op::Lockout => !boolean(&["locked"])?,
        Op::Findings => get(&["findings"])?
            .as_array()
            .ok_or_else(|| missing("findings"))?
            .is_empty(),
        // Reports, not verdicts: a success whenever the decision is one of the contract's.
        Op::Statistics | Op::EffectiveStatus | Op::Permissions | Op::FieldAccess => {
            get(&["contract"])?;
            true
        }
        _ => get(&["decision"])?.as_str() == Some("allow"),
    })
}

/// Evaluates `op` on `input` and turns the decision into output and exit status.
fn decide(
    args: &OpArgs,
    op: Op,
    input: Map<String, Value>,
    env: &mut Env<'_>,
) -> Result<(Output, Exit), CliError> {
    let policy = load_policy(&args.policy, env.stdin)?;
    let decision = if args.plugins.is_empty() {
        api::evaluate_with(&policy, op, args.lang, Value::Object(input))?
    } else {
        let config = super::plugin::config_of(args.plugin_config.as_deref(), env.stdin)?;
        let request = super::plugin::request_for(&policy, op, args.lang, Value::Object(input))?;
        super::plugin::plugin_decision(&request, &args.plugins, &config)?
    };
    let ok = verdict(op, &decision)?;
    Ok((Output::Json(decision), Exit::from_verdict(ok)))
}

/// `warden authorize`, `transition`, `login`, `delete`, `bulk`, `stats`.
pub(crate) fn simple(args: &OpArgs, op: Op, env: &mut Env<'_>) -> Result<(Output, Exit), CliError> {
    stdin_once(&[args.policy.policy.as_deref(), Some(&args.input)], false)?;
    let input = read_op_input(args, op, env)?;
    decide(args, op, input, env)
}

/// `warden eval --op OP`.
pub(crate) fn eval(args: &EvalArgs, env: &mut Env<'_>) -> Result<(Output, Exit), CliError> {
    let op = parse_op(&args.op)?;
    if op == Op::PasswordReset {
        return password_reset(&args.args, env);
    }
    simple(&args.args, op, env)
}

/// Parses `--columns id=..,organization=..` into `SqlOptions` keys.
fn columns(spec: &str, sql: &mut Map<String, Value>) -> Result<(), CliError> {
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((name, column)) = part.split_once('=') else {
            return Err(CliError::new(format!(
                "`{part}` in `--columns` is not NAME=COLUMN"
            )));
        };
        let key = match name.trim() {
            "id" => "idColumn",
            "organization" => "organizationColumn",
            "location" => "locationColumn",
            "manager" => "managerColumn",
            "owner" => "ownerColumn",
            other => {
                return Err(
                    CliError::new(format!("unknown column `{other}` in `--columns`")).with_help(
                        "columns are `id`, `organization`, `location`, `manager`, `owner`",
                    ),
                );
            }
        };
        sql.insert(key.to_owned(), Value::String(column.trim().to_owned()));
    }
    Ok(())
}

/// `warden scope`.
pub(crate) fn scope(args: &ScopeArgs, env: &mut Env<'_>) -> Result<(Output, Exit), CliError> {
    stdin_once(
        &[args.op.policy.policy.as_deref(), Some(&args.op.input)],
        false,
    )?;
    let mut input = read_op_input(&args.op, Op::Scope, env)?;
    if args.sql {
        let mut sql = match input.remove("sql") {
            Some(Value::Object(m)) => m,
            None | Some(Value::Null) => Map::new(),
            Some(other) => {
                return Err(CliError::new(format!(
                    "the input's `sql` is {}, not an object",
                    type_name(&other)
                )));
            }
        };
        if let Some(p) = args.placeholder {
            sql.insert("placeholder".into(), p.as_str().into());
        }
        if let Some(spec) = &args.closure_table {
            let parts: Vec<&str> = spec.split(':').collect();
            let [table, ancestor, descendant, depth] = parts.as_slice() else {
                return Err(CliError::new(format!(
                    "`--closure-table {spec}` is not TABLE:ANCESTOR:DESCENDANT:DEPTH"
                )));
            };
            sql.insert(
                "subtree".into(),
                json!({ "kind": "closureTable", "table": table, "ancestor": ancestor,
                        "descendant": descendant, "depth": depth }),
            );
        }
        if let Some(spec) = &args.columns {
            columns(spec, &mut sql)?;
        }
        input.insert("sql".into(), Value::Object(sql));
    }
    decide(&args.op, Op::Scope, input, env)
}

/// `warden import`.
pub(crate) fn import(args: &ImportArgs, env: &mut Env<'_>) -> Result<(Output, Exit), CliError> {
    let stdin_readers = [args.policy.policy.as_deref(), args.facts.as_deref()]
        .iter()
        .flatten()
        .chain(std::iter::once(&args.input.as_path()))
        .filter(|p| p.as_os_str() == "-")
        .count();
    if stdin_readers > 1 {
        return Err(CliError::new("standard input can be read only once")
            .with_help("give the policy and the other inputs as files"));
    }
    let policy = load_policy(&args.policy, env.stdin)?;
    let format = args.format.unwrap_or_else(|| {
        let ext = args
            .input
            .extension()
            .map(|x| x.to_string_lossy().to_ascii_lowercase());
        match ext.as_deref() {
            Some("jsonl" | "ndjson") => ImportFormatArg::Jsonl,
            _ => ImportFormatArg::Csv,
        }
    });
    let facts = match &args.facts {
        Some(path) => match read_json(path, env.stdin)? {
            v @ Value::Object(_) => v,
            other => {
                return Err(CliError::new(format!(
                    "the facts in {} are {}, not a JSON object",
                    source_of(path),
                    type_name(&other)
                )));
            }
        },
        None => Value::Object(Map::new()),
    };
    let source = source_of(&args.input);
    let bytes = read_input(&args.input, env.stdin, MAX_INPUT_BYTES)?;
    let data = String::from_utf8(bytes).map_err(|e| {
        CliError::new(format!(
            "{source} is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    let today = now_of(args.clock.now())?
        .date()
        .ok_or_else(|| CliError::new("the current instant is outside the calendar"))?;
    let input = json!({
        "format": match format { ImportFormatArg::Csv => "csv", ImportFormatArg::Jsonl => "jsonLines" },
        "data": data,
        "today": today.to_string(),
        "facts": facts,
    });
    let decision = api::evaluate_with(&policy, Op::Import, args.lang, input)?;
    let ok = verdict(Op::Import, &decision)?;
    Ok((Output::Json(decision), Exit::from_verdict(ok)))
}

/// `warden password reset`: the `passwordReset` operation with fresh OS entropy.
pub(crate) fn password_reset(args: &OpArgs, env: &mut Env<'_>) -> Result<(Output, Exit), CliError> {
    stdin_once(&[args.policy.policy.as_deref(), Some(&args.input)], false)?;
    let mut input = read_op_input(args, Op::PasswordReset, env)?;
    if !input.contains_key("entropy") {
        let mut bytes = [0_u8; RESET_ENTROPY_BYTES];
        env.entropy.fill(&mut bytes)?;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        input.insert("entropy".into(), Value::String(hex));
    }
    decide(args, Op::PasswordReset, input, env)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_op_name_parses() {
        for name in [
            "validate",
            "password",
            "import",
            "authorize",
            "scope",
            "permissions",
            "directory",
            "transition",
            "login",
            "lockout",
            "delete",
            "changes",
            "passwordChange",
            "passwordReset",
            "verification",
            "statistics",
            "findings",
            "effectiveStatus",
            "bulk",
        ] {
            assert!(parse_op(name).is_ok(), "{name}");
        }
        assert_eq!(
            parse_op("nope").unwrap_err().message(),
            "unknown operation `nope`"
        );
    }

    #[test]
    fn verdicts() {
        assert!(verdict(Op::Authorize, &json!({"decision": "allow"})).unwrap());
        assert!(!verdict(Op::Transition, &json!({"decision": "deny"})).unwrap());
        assert!(!verdict(Op::Bulk, &json!({"summary": {"denied": 0, "invalid": 1}})).unwrap());
        assert!(!verdict(Op::Scope, &json!({"filter": {"kind": "none"}})).unwrap());
        assert!(verdict(Op::Statistics, &json!({"contract": 1, "total": 0})).unwrap());
        // What an actor may see and change of an account is a report, not a verdict.
        assert!(
            verdict(
                Op::FieldAccess,
                &json!({"contract": 1, "hidden": ["birthdate"]})
            )
            .unwrap()
        );
        assert!(!verdict(Op::Import, &json!({"summary": {"invalid": 2}})).unwrap());
        // A decision without the key its verdict is read from is an error, not a success.
        assert!(verdict(Op::Transition, &json!({"policy": "x"})).is_err());
        assert!(verdict(Op::Validate, &json!({})).is_err());
        assert!(verdict(Op::Import, &json!({"summary": {}})).is_err());
    }

    #[test]
    fn the_system_clock_is_after_2025() {
        assert!(system_now().unwrap().unix() > 1_735_689_600);
    }
}
