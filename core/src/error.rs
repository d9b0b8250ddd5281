//! Errors: one type per operation, with messages in Cedar's grammar (lower case, no final
//! period, user input in backticks).

use thiserror::Error;

/// A language tag Warden has no messages for.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown language `{tag}`: expected a language tag such as `en`, `fr`, `de` or `es`")]
pub struct UnknownLanguage {
    tag: String,
}

impl UnknownLanguage {
    pub(crate) fn new(tag: &str) -> Self {
        UnknownLanguage {
            tag: tag.chars().take(32).collect(),
        }
    }

    /// The tag that was asked for.
    pub fn tag(&self) -> &str {
        &self.tag
    }
}
