//! The `warden` command-line tool, runnable in-process.
//!
//! [`run`] takes the arguments and an [`Env`] (standard streams, today's date, entropy)
//! and returns an [`Exit`]; it never panics and never touches the process's own streams,
//! so tests can drive it directly. Files named on the command line are read from the file
//! system.
//!
//! Exit status: [`Exit::Success`] (0) valid or allowed, [`Exit::Failure`] (1) violations
//! or denied, [`Exit::Usage`] (2) bad input or usage, with one line on standard error
//! starting with `warden: ` and nothing on standard output.

mod args;
mod commands;
mod error;
mod input;
mod ops;
mod plugin;

pub use ops::RESET_ENTROPY_BYTES;
pub use plugin::{PluginArgs, PluginCommand};

use std::ffi::OsString;
use std::io::{BufRead, Write};
use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;
use warden_core::Date;

pub use args::{
    Cli, Command, EvalArgs, ImportArgs, ImportFormatArg, ModeArg, OpArgs, PasswordArgs,
    PasswordCommand, PlaceholderArg, PolicyArgs, PresetsArgs, PresetsCommand, ScopeArgs,
    ValidateArgs,
};
pub use error::CliError;

use crate::random::Entropy;

/// Largest input read from a file or standard input (records, facts, user files), in
/// bytes: 64 MiB. Larger input is refused with exit status 2.
pub const MAX_INPUT_BYTES: usize = 64 << 20;

/// Longest password line read from standard input, in bytes: 64 KiB (the longest
/// password a policy may allow is 4,096 characters). Longer lines are refused with exit
/// status 2.
pub const MAX_PASSWORD_LINE_BYTES: usize = 64 << 10;

/// Everything the CLI needs from the outside world besides the file system.
pub struct Env<'a> {
    /// Standard input: records (`-`) and passwords.
    pub stdin: &'a mut dyn BufRead,
    /// Standard output: decisions.
    pub stdout: &'a mut dyn Write,
    /// Standard error: the one-line error of exit status 2.
    pub stderr: &'a mut dyn Write,
    /// Today's UTC date, the default of `--today`; `None` when the clock is unusable
    /// (then `validate` needs `--today`).
    pub today: Option<Date>,
    /// The source of salts and temporary passwords (cryptographically secure).
    pub entropy: &'a mut dyn Entropy,
}

impl std::fmt::Debug for Env<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env")
            .field("today", &self.today)
            .finish_non_exhaustive()
    }
}

/// How a command ended: the process's exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Exit {
    /// 0: valid, allowed, or done.
    Success,
    /// 1: violations found, or denied (the password does not match).
    Failure,
    /// 2: bad input or usage; a line on standard error says why.
    Usage,
}

impl Exit {
    /// The exit status.
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Failure => 1,
            Exit::Usage => 2,
        }
    }

    /// [`Exit::Success`] when `ok`, else [`Exit::Failure`].
    pub fn from_verdict(ok: bool) -> Self {
        if ok { Exit::Success } else { Exit::Failure }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit.code())
    }
}

/// What a command produced, before it is written.
pub(crate) enum Output {
    /// A JSON document, printed compact or indented.
    Json(serde_json::Value),
    /// A JSON document as shipped (key order kept), printed as it is with `--pretty`,
    /// else without its white space.
    Document(String),
    /// Text printed as it is, followed by a newline.
    Text(String),
}

/// Runs the `warden` command line `args` (the first item is the program name).
///
/// Writes the result to `env.stdout` and, for [`Exit::Usage`], one line to `env.stderr`.
pub fn run<I, T>(args: I, env: &mut Env<'_>) -> Exit
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => return clap_error(&e, env),
    };
    match commands::execute(&cli.command, env) {
        Ok((output, exit)) => match write_output(&output, cli.pretty, env.stdout) {
            Ok(()) => exit,
            Err(e) => fail(env, &CliError::new(format!("cannot write the output: {e}"))),
        },
        Err(e) => fail(env, &e),
    }
}

fn write_output(output: &Output, pretty: bool, out: &mut dyn Write) -> std::io::Result<()> {
    match output {
        Output::Json(value) => {
            if pretty {
                serde_json::to_writer_pretty(&mut *out, value)?;
            } else {
                serde_json::to_writer(&mut *out, value)?;
            }
            out.write_all(b"\n")?;
        }
        Output::Document(text) if !pretty => {
            out.write_all(minify_json(text).as_bytes())?;
            out.write_all(b"\n")?;
        }
        Output::Document(text) | Output::Text(text) => {
            out.write_all(text.as_bytes())?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()
}

/// The message of a rendered clap error on one line (its first paragraph, lines joined),
/// and the command it is about (`warden validate`), read from its usage line.
fn summarize_clap_error(rendered: &str) -> (String, String) {
    let mut paragraph = rendered
        .lines()
        .map(str::trim)
        .take_while(|l| !l.is_empty() && !l.starts_with("Usage:"));
    let first = paragraph.next().unwrap_or("invalid usage");
    let mut message = first.strip_prefix("error: ").unwrap_or(first).to_owned();
    for line in paragraph {
        if !message.ends_with(':') && !line.starts_with('[') {
            message.push(',');
        }
        message.push(' ');
        message.push_str(line);
    }
    let command = rendered
        .lines()
        .find_map(|l| l.trim().strip_prefix("Usage: "))
        .map(|usage| {
            usage
                .split_whitespace()
                .take_while(|w| !w.starts_with(['<', '[', '-']))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "warden".to_owned());
    (message, command)
}

/// Removes the white space between the tokens of a JSON text (not inside strings), which
/// keeps the order of keys, unlike a round trip through `serde_json::Value`.
fn minify_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            out.push(c);
        }
    }
    out
}

/// Prints `warden: <line>` on standard error and returns [`Exit::Usage`].
fn fail(env: &mut Env<'_>, e: &CliError) -> Exit {
    // Nothing more can be done when standard error is closed.
    let _ = writeln!(env.stderr, "warden: {}", e.line());
    let _ = env.stderr.flush();
    Exit::Usage
}

/// Handles clap's outcome: help and version on standard output (exit 0), any usage error
/// as one line (exit 2).
fn clap_error(e: &clap::Error, env: &mut Env<'_>) -> Exit {
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let text = e.render().to_string();
            match env
                .stdout
                .write_all(text.as_bytes())
                .and_then(|()| env.stdout.flush())
            {
                Ok(()) => Exit::Success,
                Err(io) => fail(
                    env,
                    &CliError::new(format!("cannot write the output: {io}")),
                ),
            }
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand | ErrorKind::MissingSubcommand => {
            let (_, command) = summarize_clap_error(&e.render().to_string());
            fail(
                env,
                &CliError::new("a command is required")
                    .with_help(format!("run `{command} --help`")),
            )
        }
        _ => {
            let (message, command) = summarize_clap_error(&e.render().to_string());
            fail(
                env,
                &CliError::new(message).with_help(format!("run `{command} --help`")),
            )
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::random::OsEntropy;

    fn run_with(args: &[&str], stdin: &[u8]) -> (Exit, String, String) {
        let mut stdin = stdin;
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let mut entropy = OsEntropy;
        let mut env = Env {
            stdin: &mut stdin,
            stdout: &mut stdout,
            stderr: &mut stderr,
            today: Date::new(2026, 11, 22),
            entropy: &mut entropy,
        };
        let mut argv = vec!["warden"];
        argv.extend_from_slice(args);
        let exit = run(argv, &mut env);
        (
            exit,
            String::from_utf8(stdout).unwrap(),
            String::from_utf8(stderr).unwrap(),
        )
    }

    #[test]
    fn minify_keeps_strings_and_order() {
        let text = "{\n  \"b\": \"a \\\" b\",\n  \"a\": [1, 2]\n}";
        assert_eq!(minify_json(text), r#"{"b":"a \" b","a":[1,2]}"#);
    }

    #[test]
    fn shown_presets_keep_their_key_order() {
        let (exit, out, _) = run_with(&["presets", "show", "000"], b"");
        assert_eq!(exit, Exit::Success);
        assert!(
            out.starts_with(r#"{"warden":1,"name":"production-planner-pro""#),
            "{out}"
        );
        assert_eq!(out.lines().count(), 1);
        let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert!(warden_core::Policy::from_value(doc).is_ok());
    }

    #[test]
    fn forms_exports_the_schema_the_attributes_and_the_password_rules() {
        let (exit, out, _) = run_with(&["forms", "schema", "--preset", "crm", "--lang", "de"], b"");
        assert_eq!(exit, Exit::Success);
        let schema: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        let (exit, out, _) = run_with(&["forms", "html", "--preset", "000"], b"");
        assert_eq!(exit, Exit::Success);
        let html: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(html["email"]["attributes"]["autocomplete"], "email");
        let (exit, out, _) = run_with(&["forms", "passwordrules", "--preset", "000"], b"");
        assert_eq!(exit, Exit::Success);
        assert!(out.contains("required: upper;"), "{out}");
        let (exit, _, _) = run_with(&["forms", "passwordrules", "--preset", "001"], b"");
        assert_ne!(exit, Exit::Success);
    }

    #[test]
    fn usage_errors_are_one_line() {
        let (exit, out, err) = run_with(&["validate", "--bogus"], b"");
        assert_eq!(exit, Exit::Usage);
        assert!(out.is_empty());
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("warden: unexpected argument"), "{err}");
        let (exit, _, err) = run_with(&[], b"");
        assert_eq!(exit, Exit::Usage);
        assert_eq!(
            err,
            "warden: a command is required; help: run `warden --help`\n"
        );
    }

    #[test]
    fn help_and_version_succeed() {
        let (exit, out, _) = run_with(&["--version"], b"");
        assert_eq!(exit, Exit::Success);
        assert_eq!(out, format!("warden {}\n", env!("CARGO_PKG_VERSION")));
        let (exit, out, _) = run_with(&["validate", "--help"], b"");
        assert_eq!(exit, Exit::Success);
        assert!(out.contains("64 MiB"), "{out}");
    }

    #[test]
    fn records_from_stdin_use_the_given_today() {
        let record = br#"{"firstName":"Ada","lastName":"Lovelace","email":"ada@example.com","jobTitle":"CEO","manager":null,"status":"active","birthdate":"2026-11-23"}"#;
        let (exit, out, _) = run_with(&["validate", "--preset", "hr-platform"], record);
        assert_eq!(exit, Exit::Failure, "{out}");
        assert!(out.contains("birthdate"), "{out}");
    }

    #[test]
    fn hashing_needs_a_password_section() {
        let (exit, _, err) = run_with(&["password", "hash", "--preset", "hr-platform"], b"x\n");
        assert_eq!(exit, Exit::Usage);
        assert_eq!(
            err,
            "warden: the policy `hr-platform` has no `password` section\n"
        );
    }
}
