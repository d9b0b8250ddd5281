//! [`Password`]: a secret that never shows itself.

use std::fmt;

use serde::Deserialize;

/// A password: a secret string that is never printed, serialised or logged.
///
/// `Debug` prints `Password(<redacted>)`; there is no `Display` and no `Serialize`.
/// Deserialises from a plain JSON string. Read the value with [`expose`](Self::expose),
/// only where it is needed (checking, hashing).
#[derive(Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct Password(String);

impl Password {
    /// Wraps a password.
    pub fn new(value: impl Into<String>) -> Self {
        Password(value.into())
    }

    /// The password itself.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the password is empty or only whitespace: on edit, a blank password keeps
    /// the current one (R000-05) and is not checked.
    pub fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl From<String> for Password {
    fn from(value: String) -> Self {
        Password(value)
    }
}
