//! The command line, as clap types. Doc comments here are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use warden_core::{Date, Lang, Timestamp};

/// Warden: user-management policies (validation, passwords, scoping, lifecycle) from the
/// command line.
///
/// Every command prints JSON on standard output (compact, one line; `--pretty` to indent),
/// except `password hash` (a PHC string) and `password generate` (the password). Exit
/// status: 0 valid or allowed, 1 violations or denied, 2 bad input or usage (with one
/// line on standard error starting with `warden: `).
#[derive(Debug, Clone, Parser)]
#[command(name = "warden", version, propagate_version = true)]
pub struct Cli {
    /// Indent the JSON output.
    #[arg(long, global = true)]
    pub pretty: bool,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The shapes the decision commands read, shown by their `--help`.
const SHAPES: &str = "\
ACCOUNTS (actor, target, account, accounts[], directory[]):
  {\"id\": \"u1\", \"organization\": \"acme\", \"status\": \"active\", \"statusUntil\": RFC3339,
   \"roles\": [\"manager\"], \"groups\": [\"team-a\"], \"superAdmin\": false, \"root\": false,
   \"manager\": \"u0\", \"location\": \"paris\", \"attributes\": {...the record's other fields}}
  Only `id` is required; `status` defaults to `active`. `directory` lists the accounts (id and
  manager) that `team` scopes are computed on.

FACTS the lifecycle's guards and obligations ask for (`facts` of transition and delete):
  activeBookings (activeBookings guard), activeSuperAdmins (lastSuperAdmin),
  soleHolderOf: [\"module.action\"] (soleCriticalHolder), pendingApprovals (reassignApprovals).
  A fact a guard needs and the input lacks denies with kind `missingFact`, naming it.

LOGIN FACTS (`facts` of login): failedAttempts: [RFC3339], lockouts, passwordChangedAt,
  emailVerified, mustChangePassword.

The whole contract (every input and decision) is contract/schema.json.";

/// A `warden` command.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Validate user records against a policy.
    ///
    /// The input (a file, or standard input when FILE is `-` or absent) is one user record
    /// (a JSON object) or an array of records; for an array the output is
    /// `{"results": [...], "summary": {"total", "valid", "invalid"}}` and the exit status
    /// is 1 if any record is invalid. Input is read up to 64 MiB.
    Validate(ValidateArgs),
    /// List the preset policies, or show one.
    Presets(PresetsArgs),
    /// Check, hash, verify or generate passwords.
    ///
    /// Passwords are read from the first line of standard input (its line ending
    /// removed), never from the command line, where they would show in process lists and
    /// shell history.
    Password(PasswordArgs),
    /// Decide one action: may the actor do `action` to the target?
    ///
    /// The input is the `authorize` operation's input (`{actor, action, target, change?,
    /// directory?}`); `now` is filled in from `--now` unless given. Exit status 0 allow, 1
    /// deny.
    #[command(after_long_help = SHAPES)]
    Authorize(OpArgs),
    /// Print the filter of the targets an actor may reach with an action.
    ///
    /// The input is `{actor, action}` (and optionally `sql`). With `--sql` the output also
    /// has the parameterised SQL (`sql: {sql, params}`). Exit status 0, or 1 when the filter
    /// is `none` (the actor reaches nothing).
    #[command(after_long_help = SHAPES)]
    Scope(ScopeArgs),
    /// Decide a status change: `{actor, target, to, reason?, until?, durationDays?,
    /// durationMinutes?, facts?, directory?}`. Exit status 0 allow, 1 deny.
    #[command(after_long_help = SHAPES)]
    Transition(OpArgs),
    /// Decide whether an account may log in now: `{account, organization?, facts?}`. Exit
    /// status 0 allow, 1 deny.
    #[command(after_long_help = SHAPES)]
    Login(OpArgs),
    /// Decide a deletion: `{actor, target, mode?, confirmed?, facts?, directory?}`. Exit
    /// status 0 allow, 1 deny.
    #[command(after_long_help = SHAPES)]
    Delete(OpArgs),
    /// Decide a batch of operations item by item: `{actor, items, directory?, confirmed?,
    /// confirmCount?, maxDelete?, batchSize?, today?}`. Exit status 0 when every item is
    /// allowed, 1 when any is denied or invalid.
    #[command(after_long_help = SHAPES)]
    Bulk(OpArgs),
    /// Validate a raw CSV or JSON Lines file of user records and print the import report.
    ///
    /// Exit status 0 when every row is valid (warnings allowed), 1 when any row is
    /// invalid. The file is read up to 64 MiB.
    Import(ImportArgs),
    /// Account statistics (total, active, super administrators, organisations, by status)
    /// of `{accounts}`. Exit status 0.
    #[command(after_long_help = SHAPES)]
    Stats(OpArgs),
    /// Run any operation of the JSON entry point on the input (`validate`, `password`,
    /// `authorize`, `scope`, `permissions`, `directory`, `transition`, `login`, `lockout`,
    /// `delete`, `changes`, `passwordChange`, `passwordReset`, `verification`,
    /// `statistics`, `findings`, `effectiveStatus`, `bulk`, `import`).
    ///
    /// `now` (or `today` for `validate` and `import`) is filled in from `--now` unless the
    /// input gives it. Exit status 1 for a deny, an invalid record, a denied or invalid
    /// bulk item, an invalid import row, a lockout, an invalid directory or security
    /// findings; 0 otherwise.
    #[command(after_long_help = SHAPES)]
    Eval(EvalArgs),
    /// Check a tenant policy plugin, or run one locally with the production limits.
    Plugin(super::plugin::PluginArgs),
    /// Export a policy for forms and schema tools: the user record's JSON Schema
    /// (2020-12, `x-warden-*` keys for what it cannot say), each field's HTML constraint
    /// attributes, or the `passwordrules` attribute.
    Forms(FormsArgs),
}

/// The arguments shared by the decision commands.
#[derive(Debug, Clone, Args)]
pub struct OpArgs {
    /// The policy.
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// The language of messages.
    #[arg(long, value_name = "LANG", default_value = "en", value_parser = parse_lang)]
    pub lang: Lang,
    /// The clock (used only when the input has no `now` or `today`).
    #[command(flatten)]
    pub clock: ClockArgs,
    /// A tenant policy plugin (a WebAssembly component) to run after the core; repeatable,
    /// run in order. Plugins can only narrow the core's decision.
    #[arg(long = "plugin", value_name = "FILE")]
    pub plugins: Vec<PathBuf>,
    /// The tenant configuration given to every `--plugin`, a JSON file [default: `{}`].
    #[arg(long, value_name = "FILE", requires = "plugins")]
    pub plugin_config: Option<PathBuf>,
    /// The operation's input, a JSON object: a file, or `-` for standard input (at most
    /// 64 MiB).
    #[arg(value_name = "FILE", default_value = "-")]
    pub input: PathBuf,
}

/// The arguments of `warden scope`.
#[derive(Debug, Clone, Args)]
pub struct ScopeArgs {
    /// The policy, language, instant and input.
    #[command(flatten)]
    pub op: OpArgs,
    /// Also render the filter as a parameterised SQL boolean expression.
    #[arg(long)]
    pub sql: bool,
    /// The placeholder style of the SQL [default: dollar].
    #[arg(long, value_enum, requires = "sql")]
    pub placeholder: Option<PlaceholderArg>,
    /// Express the manager subtree with a closure table instead of a recursive CTE.
    #[arg(long, value_name = "TABLE:ANCESTOR:DESCENDANT:DEPTH", requires = "sql")]
    pub closure_table: Option<String>,
    /// Column names, as `id=..,organization=..,location=..,manager=..,owner=..` (any
    /// subset) [default: id, organization_id, location, manager_id, no owner].
    #[arg(long, value_name = "NAME=COLUMN,...", requires = "sql")]
    pub columns: Option<String>,
}

/// SQL placeholder style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlaceholderArg {
    /// `$1`, `$2` (PostgreSQL).
    Dollar,
    /// `?` (SQLite, MySQL).
    Question,
}

impl PlaceholderArg {
    /// The style's name in requests.
    pub fn as_str(self) -> &'static str {
        match self {
            PlaceholderArg::Dollar => "dollar",
            PlaceholderArg::Question => "question",
        }
    }
}

/// The format of an import file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFormatArg {
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// The arguments of `warden import`.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// The policy.
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// The language of messages.
    #[arg(long, value_name = "LANG", default_value = "en", value_parser = parse_lang)]
    pub lang: Lang,
    /// The file's format [default: `jsonl` for a name ending in `.jsonl` or `.ndjson`,
    /// else `csv`].
    #[arg(long, value_enum)]
    pub format: Option<ImportFormatArg>,
    /// The clock: its UTC date is the import's `today`.
    #[command(flatten)]
    pub clock: ClockArgs,
    /// Answers to the checks of a previous report (`{"unique": {...}, "exists": {...}}`),
    /// as a JSON file.
    #[arg(long, value_name = "FILE")]
    pub facts: Option<PathBuf>,
    /// The file: CSV or JSON Lines, or `-` for standard input (at most 64 MiB).
    #[arg(value_name = "FILE")]
    pub input: PathBuf,
}

/// The arguments of `warden eval`.
#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// The operation, as in requests (`authorize`, `passwordReset`, ...).
    #[arg(long, value_name = "OP")]
    pub op: String,
    /// The policy, language, instant and input.
    #[command(flatten)]
    pub args: OpArgs,
}

/// The clock every command takes: `--now` (an instant) or `--today` (a date, meaning its
/// midnight UTC); the system clock when neither is given. Commands that need a date use the
/// UTC date of the instant, commands that need an instant use the instant.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct ClockArgs {
    /// The current instant, RFC 3339 (`2026-11-22T10:00:00Z`) [default: the system clock].
    #[arg(long, value_name = "RFC3339", value_parser = parse_timestamp, conflicts_with = "today")]
    pub now: Option<Timestamp>,
    /// Today's date, YYYY-MM-DD: the same as `--now YYYY-MM-DDT00:00:00Z`.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub today: Option<Date>,
}

impl ClockArgs {
    /// The instant given, if any (`--today` is its midnight UTC).
    pub fn now(&self) -> Option<Timestamp> {
        self.now.or_else(|| {
            self.today
                .and_then(|d| Timestamp::parse(&format!("{d}T00:00:00Z")).ok())
        })
    }

    /// The date given, if any (`--now` gives its UTC date).
    pub fn today(&self) -> Option<Date> {
        self.today.or_else(|| self.now.and_then(Timestamp::date))
    }
}

/// The policy to apply: a preset or a file.
#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = false)]
pub struct PolicyArgs {
    /// A preset policy, by name or number (`warden presets` lists them).
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// A policy document: JSON, or TOML when the name ends in `.toml` (at most 1 MiB).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

/// The arguments of `warden validate`.
#[derive(Debug, Clone, Args)]
pub struct ValidateArgs {
    /// The policy.
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// The language of messages.
    #[arg(long, value_name = "LANG", default_value = "en", value_parser = parse_lang)]
    pub lang: Lang,
    /// What the records are validated for.
    #[arg(long, value_enum, default_value_t = ModeArg::Create)]
    pub mode: ModeArg,
    /// The clock: its UTC date is the validation's `today` (ages, past dates).
    #[command(flatten)]
    pub clock: ClockArgs,
    /// Answers to the checks a previous decision asked for (uniqueness, existence), as a
    /// JSON file: `{"unique": {...}, "exists": {...}}`.
    #[arg(long, value_name = "FILE")]
    pub facts: Option<PathBuf>,
    /// The accounts use multi-factor authentication.
    #[arg(long)]
    pub mfa: bool,
    /// A tenant policy plugin (a WebAssembly component) to run after the core; repeatable,
    /// run in order. Plugins can only narrow the core's decision.
    #[arg(long = "plugin", value_name = "FILE")]
    pub plugins: Vec<PathBuf>,
    /// The tenant configuration given to every `--plugin`, a JSON file [default: `{}`].
    #[arg(long, value_name = "FILE", requires = "plugins")]
    pub plugin_config: Option<PathBuf>,

    /// The records: a JSON file, or `-` for standard input (at most 64 MiB).
    #[arg(value_name = "FILE", default_value = "-")]
    pub input: PathBuf,
}

/// What records are validated for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// A new account.
    Create,
    /// An edit of an existing account (a blank password keeps the current one).
    Update,
    /// Reactivation of an account.
    Reactivate,
    /// A row of a bulk import.
    Import,
}

impl ModeArg {
    /// The mode's name in requests.
    pub fn as_str(self) -> &'static str {
        match self {
            ModeArg::Create => "create",
            ModeArg::Update => "update",
            ModeArg::Reactivate => "reactivate",
            ModeArg::Import => "import",
        }
    }
}

/// The arguments of `warden forms`.
#[derive(Debug, Clone, Args)]
pub struct FormsArgs {
    /// What to export.
    #[arg(value_enum)]
    pub export: FormsExport,
    /// The policy.
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// The language of labels.
    #[arg(long, value_name = "LANG", default_value = "en", value_parser = parse_lang)]
    pub lang: Lang,
}

/// What `warden forms` exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormsExport {
    /// The JSON Schema (2020-12) of a user record.
    Schema,
    /// The HTML constraint attributes of each field.
    Html,
    /// The password rules as a `passwordrules` attribute value.
    Passwordrules,
}

/// The arguments of `warden presets`.
#[derive(Debug, Clone, Args)]
pub struct PresetsArgs {
    /// What to do; without one, list the presets (id, name, title).
    #[command(subcommand)]
    pub command: Option<PresetsCommand>,
}

/// A `warden presets` subcommand.
#[derive(Debug, Clone, Subcommand)]
pub enum PresetsCommand {
    /// Print a preset's policy document (JSON), to start a policy of your own.
    Show {
        /// The preset's name or number.
        #[arg(value_name = "NAME")]
        name: String,
    },
}

/// The arguments of `warden password`.
#[derive(Debug, Clone, Args)]
pub struct PasswordArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: PasswordCommand,
}

/// A `warden password` subcommand.
#[derive(Debug, Clone, Subcommand)]
pub enum PasswordCommand {
    /// Check the password on standard input against the policy's password rules.
    ///
    /// The password is the first line of standard input, never an argument (arguments
    /// show in process lists and shell history). Prints the decision; exit status 0 when
    /// the password is acceptable, 1 when it is not.
    Check {
        /// The policy.
        #[command(flatten)]
        policy: PolicyArgs,
        /// The language of messages.
        #[arg(long, value_name = "LANG", default_value = "en", value_parser = parse_lang)]
        lang: Lang,
        /// The user's record (JSON object), whose names and email the password must not
        /// resemble.
        #[arg(long, value_name = "FILE")]
        user: Option<PathBuf>,
        /// The account uses multi-factor authentication.
        #[arg(long)]
        mfa: bool,
    },
    /// Hash the password on standard input (argon2id with the policy's parameters and a
    /// random 16-byte salt) and print the PHC string.
    ///
    /// Hashing does not judge the password (use `check`), but an empty one is refused.
    Hash {
        /// The policy.
        #[command(flatten)]
        policy: PolicyArgs,
    },
    /// Verify the password on standard input against a PHC hash.
    ///
    /// Prints `{"matches": bool, "needsRehash": bool}`; exit status 0 when it matches, 1
    /// when it does not.
    Verify {
        /// The policy (it decides whether the hash needs a rehash).
        #[command(flatten)]
        policy: PolicyArgs,
        /// The stored hash, a PHC string (`$argon2id$v=19$...`; quote it in the shell).
        #[arg(long, value_name = "PHC")]
        hash: String,
    },
    /// Print a temporary password that the policy accepts, followed by a newline.
    Generate {
        /// The policy.
        #[command(flatten)]
        policy: PolicyArgs,
        /// The length [default: 16, raised to the policy's minimum and lowered to its
        /// maximum].
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=4096))]
        length: Option<u16>,
    },
    /// Decide a password reset (`{actor, target, method?, directory?}`), with fresh
    /// entropy from the operating system for a temporary password.
    ///
    /// Prints the decision (with `temporaryPassword` when one was generated); exit status
    /// 0 allow, 1 deny.
    Reset(OpArgs),
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    s.parse::<Lang>().map_err(|_| {
        format!(
            "`{s}` is not a BCP 47 language tag such as `en`, `fr`, `de-CH` or `es-419` \
             (messages exist in `en`, `fr`, `de`, `es` and the languages a policy adds)"
        )
    })
}

fn parse_timestamp(s: &str) -> Result<Timestamp, String> {
    Timestamp::parse(s)
        .map_err(|_| format!("`{s}` is not an RFC 3339 instant such as `2026-11-22T10:00:00Z`"))
}

fn parse_date(s: &str) -> Result<Date, String> {
    Date::parse(s).map_err(|_| format!("`{s}` is not a date of the form YYYY-MM-DD"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
