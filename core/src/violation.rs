//! Violations: what validation reports, one per broken rule.
//!
//! A [`Violation`] is data, in the style of `validator` and `garde`: a stable machine
//! [`Code`], the [`Path`] of the offending field, a [`Severity`], the `params` the message
//! is rendered from, and the message itself, rendered by the [message
//! catalogue](crate::messages) in the language the caller asked for.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::messages::{self, Lang};

/// Parameters of a violation or a decision, rendered into messages and read by programs.
///
/// Keys are camelCase; the map is ordered so that serialised decisions are deterministic.
pub type Params = BTreeMap<String, Value>;

/// How bad a violation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum Severity {
    /// The record (or password) is refused.
    Error,
    /// Advice: the record is accepted, but a form should show it (naming conventions,
    /// generic data, ...).
    Warning,
}

/// One part of a [`Path`]: an object key or an array index.
///
/// Serialised as a JSON string or a JSON number, so that the key `"0"` and the index `0`
/// stay distinct in every language.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum PathPart {
    /// An array index.
    Index(usize),
    /// An object key.
    Key(String),
}

/// Where in the input a violation is, as typed parts (`["email"]`, `["rows", 3, "phone"]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct Path(pub Vec<PathPart>);

impl Path {
    /// The empty path: the record as a whole.
    pub fn root() -> Self {
        Path(Vec::new())
    }

    /// A path of one key.
    pub fn key(key: impl Into<String>) -> Self {
        Path(vec![PathPart::Key(key.into())])
    }

    /// This path followed by a key.
    #[must_use]
    pub fn join(mut self, key: impl Into<String>) -> Self {
        self.0.push(PathPart::Key(key.into()));
        self
    }

    /// This path followed by an index.
    #[must_use]
    pub fn index(mut self, index: usize) -> Self {
        self.0.push(PathPart::Index(index));
        self
    }

    /// The first key of the path, the field a violation belongs to.
    pub fn field(&self) -> Option<&str> {
        match self.0.first() {
            Some(PathPart::Key(k)) => Some(k),
            _ => None,
        }
    }
}

impl fmt::Display for Path {
    /// Dotted form for humans: `rows[3].phone`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for part in &self.0 {
            match part {
                PathPart::Index(i) => write!(f, "[{i}]")?,
                PathPart::Key(k) if first => write!(f, "{k}")?,
                PathPart::Key(k) => write!(f, ".{k}")?,
            }
            first = false;
        }
        Ok(())
    }
}

/// Declares a code enum: each variant serialises as its stable snake_case name, and the enum
/// gets `ALL` (every code, in declaration order), `as_str` and `from_name`. Used for
/// [`Code`] and [`DenyCode`](crate::decision::DenyCode).
macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$doc:meta])* $variant:ident = $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$doc])* #[serde(rename = $text)] $variant, )*
        }

        impl $name {
            /// Every code, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The code's stable name, as serialised.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }

            /// The code whose stable name is `name`, if there is one.
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($text => Some($name::$variant),)*
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use code_enum;

code_enum! {
    /// The stable machine code of a violation.
    ///
    /// Codes are part of Warden's interface: they never change meaning, and new ones are
    /// only added. They serialise as the snake_case strings listed here.
    pub enum Code {
        /// A required field is missing or blank. Params: `condition` when conditionally required.
        Required = "required",
        /// The record has a field the policy does not declare.
        UnknownField = "unknown_field",
        /// The field's JSON type is wrong. Params: `expected`.
        WrongType = "wrong_type",
        /// Fewer code points than allowed. Params: `min`, `actual`.
        TooShort = "too_short",
        /// More code points than allowed. Params: `max`, `actual`.
        TooLong = "too_long",
        /// Control characters or markup in a text field. Params: `characters`.
        ProhibitedCharacters = "prohibited_characters",
        /// A value outside the field's allowed list. Params: `allowed`.
        NotAllowed = "not_allowed",
        /// A tenant pattern rule did not match. Params: `rule`.
        PatternMismatch = "pattern_mismatch",
        /// The value does not have the field's format (username, employee id, url). Params: `format`.
        InvalidFormat = "invalid_format",
        /// Not a valid email address. Params: `reason`.
        InvalidEmail = "invalid_email",
        /// The email's local part is longer than RFC 5321 allows. Params: `max`, `actual`.
        EmailLocalTooLong = "email_local_too_long",
        /// The email is longer than RFC 5321 allows. Params: `max`, `actual`.
        EmailTooLong = "email_too_long",
        /// The email's domain is not a valid host name. Params: `reason`, `label`.
        InvalidDomain = "invalid_domain",
        /// Not a valid E.164 phone number. Params: `reason`.
        InvalidPhone = "invalid_phone",
        /// Not an ISO `YYYY-MM-DD` date.
        InvalidDate = "invalid_date",
        /// A date that must lie in the past does not. Params: `today`.
        DateNotInPast = "date_not_in_past",
        /// Younger than the policy's minimum age. Params: `minAge`, `age`, `accountType`.
        TooYoung = "too_young",
        /// A derived field disagrees with what the policy derives. Params: `expected`, `source`.
        DerivedMismatch = "derived_mismatch",
        /// A reference names something that does not exist (organisation, manager). Params:
        /// `check`, `key`.
        UnknownReference = "unknown_reference",
        /// The value already belongs to another account. Params: `check`, `existingId`,
        /// `existingStatus`, `suggestion` (`reactivate` or `resetPassword`).
        Duplicate = "duplicate",
        /// The value does not follow the tenant's naming convention. Params: `expected`.
        NamingConvention = "naming_convention",
        /// Generic placeholder data (`user1@`, job title `Employee`, no manager). Params: `kind`.
        GenericData = "generic_data",
        /// Shorter than the password policy's minimum. Params: `min`, `actual`.
        PasswordTooShort = "password_too_short",
        /// Longer than the password policy's maximum. Params: `max`, `actual`.
        PasswordTooLong = "password_too_long",
        /// No upper-case letter where the policy demands one.
        PasswordMissingUpper = "password_missing_upper",
        /// No lower-case letter where the policy demands one.
        PasswordMissingLower = "password_missing_lower",
        /// No digit where the policy demands one.
        PasswordMissingDigit = "password_missing_digit",
        /// No special character where the policy demands one.
        PasswordMissingSpecial = "password_missing_special",
        /// The password is on the blocklist of common passwords (after leet normalisation).
        PasswordCommon = "password_common",
        /// The password contains or resembles the user's own data. Params: `attribute`.
        PasswordSimilar = "password_similar",
        /// The password is a repetition or a sequence (`aaaaaaaa`, `12345678`).
        PasswordRepetitive = "password_repetitive",
        /// The password contains control characters.
        PasswordInvalidCharacters = "password_invalid_characters",
        /// The policy requires the common-password list, and it is not loaded in this build.
        PasswordCheckUnavailable = "password_check_unavailable",
    }
}

impl Code {
    /// The params a violation with this code may carry: the placeholders its message
    /// templates (built-in or a tenant's) may name. A `too_young` of a conditional minimum
    /// age also carries the condition's field (`accountType`), named by the policy.
    pub fn params(self) -> &'static [&'static str] {
        use Code::*;
        match self {
            Required => &["condition"],
            UnknownField => &["didYouMean"],
            WrongType => &["expected"],
            TooShort | PasswordTooShort => &["min", "actual"],
            TooLong | EmailLocalTooLong | EmailTooLong | PasswordTooLong => &["max", "actual"],
            ProhibitedCharacters => &["characters"],
            NotAllowed => &["allowed"],
            PatternMismatch => &["rule"],
            InvalidFormat => &["format"],
            InvalidEmail | InvalidPhone => &["reason"],
            InvalidDomain => &["reason", "label"],
            DateNotInPast => &["today"],
            TooYoung => &["minAge", "age"],
            DerivedMismatch => &["expected", "source"],
            UnknownReference => &["check", "key"],
            Duplicate => &["check", "existingId", "existingStatus", "suggestion"],
            NamingConvention => &["expected"],
            GenericData => &["kind", "value"],
            PasswordSimilar => &["attribute"],
            InvalidDate
            | PasswordMissingUpper
            | PasswordMissingLower
            | PasswordMissingDigit
            | PasswordMissingSpecial
            | PasswordCommon
            | PasswordRepetitive
            | PasswordInvalidCharacters
            | PasswordCheckUnavailable => &[],
        }
    }
}

/// One broken rule, as validation reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Violation {
    /// The stable machine code.
    pub code: Code,
    /// Where the violation is.
    pub path: Path,
    /// Error (refuses the record) or warning (advice).
    pub severity: Severity,
    /// The message, rendered from `code` and `params` in the requested language, or the
    /// tenant's own message for a tenant rule.
    pub message: String,
    /// Values the message is rendered from, for programs (`{"min": 8, "actual": 5}`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: Params,
}

/// A violation before its message is rendered: what the checks produce.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    /// The stable machine code.
    pub code: Code,
    /// Values the message is rendered from.
    pub params: Params,
    /// A tenant-supplied message that replaces the catalogue's (tenant pattern rules).
    pub custom_message: Option<String>,
}

impl Issue {
    /// An issue without params.
    pub fn new(code: Code) -> Self {
        Issue {
            code,
            params: Params::new(),
            custom_message: None,
        }
    }

    /// Adds a param.
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.params.insert(key.to_owned(), value.into());
        self
    }

    /// Renders the issue into a violation at `path`.
    pub fn at(self, path: Path, severity: Severity, lang: Lang) -> Violation {
        let message = match self.custom_message {
            Some(m) => m,
            None => messages::render(self.code, &self.params, lang),
        };
        Violation {
            code: self.code,
            path,
            severity,
            message,
            params: self.params,
        }
    }
}
