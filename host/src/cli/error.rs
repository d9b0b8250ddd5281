//! Why a command could not run: each error renders as one line on standard error.

use std::fmt;
use std::path::Path;

use warden_core::PolicyError;
use warden_core::api::ApiError;
use warden_core::password::HashError;

use crate::random::EntropyError;

/// A command that could not run (exit status 2).
///
/// [`line`](Self::line) is the one-line message printed after `warden: `: lower case, no
/// final period, user input in backticks, a suggestion after `; help: `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    message: String,
    help: Option<String>,
}

impl CliError {
    /// An error with a message.
    pub fn new(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            help: None,
        }
    }

    /// Adds a suggestion.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// What went wrong.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// A suggestion, if there is one.
    pub fn help(&self) -> Option<&str> {
        self.help.as_deref()
    }

    /// The message and the suggestion on a single line (control characters, such as line
    /// breaks in file names or in a library's message, become spaces).
    pub fn line(&self) -> String {
        let text = match &self.help {
            Some(help) => format!("{}; help: {help}", self.message),
            None => self.message.clone(),
        };
        text.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect()
    }

    /// A file that cannot be read.
    pub(crate) fn io(source: &Source<'_>, e: &std::io::Error) -> Self {
        CliError::new(format!("cannot read {source}: {e}"))
    }

    /// An unusable policy document.
    pub(crate) fn policy(source: &Source<'_>, e: &PolicyError) -> Self {
        let message = if e.path().is_empty() {
            format!("invalid policy in {source}: {}", e.reason())
        } else {
            format!(
                "invalid policy in {source} at `{}`: {}",
                e.path(),
                e.reason()
            )
        };
        let err = CliError::new(message);
        match e.help() {
            Some(h) => err.with_help(h),
            None => err,
        }
    }

    /// A preset name that is unknown (or, a bug, a preset that does not load).
    pub(crate) fn preset(e: &PolicyError) -> Self {
        let err = CliError::new(e.reason());
        match e.help() {
            Some(h) => err.with_help(h),
            None => err,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line())
    }
}

impl std::error::Error for CliError {}

impl From<ApiError> for CliError {
    fn from(e: ApiError) -> Self {
        match e.policy_error() {
            Some(p) => CliError::preset(p),
            None => CliError::new(match e.help() {
                Some(help) => format!("{e} ({help})"),
                None => e.to_string(),
            }),
        }
    }
}

impl From<HashError> for CliError {
    fn from(e: HashError) -> Self {
        CliError::new(e.to_string())
    }
}

impl From<EntropyError> for CliError {
    fn from(e: EntropyError) -> Self {
        CliError::new(e.to_string())
    }
}

/// Where input comes from, as it is named in messages.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Source<'a> {
    /// Standard input.
    Stdin,
    /// A file.
    File(&'a Path),
}

impl fmt::Display for Source<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Stdin => f.write_str("standard input"),
            Source::File(p) => write!(f, "`{}`", p.display()),
        }
    }
}
