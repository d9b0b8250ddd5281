//! The policy document: a tenant's whole policy as data.
//!
//! Every type here is plain serde (`camelCase` keys, unknown keys refused). A document is
//! checked and compiled into a [`Policy`](super::Policy) before use; the types here only
//! describe its shape. See the presets under `core/presets/` for complete examples.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ordered::OrderedMap;
use crate::access::AccessSpec;
use crate::lifecycle::LifecycleSpec;
use crate::password::PasswordPolicy;
use crate::violation::Severity;

/// A tenant's policy document, format version 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyDocument {
    /// Format version: must be `1`.
    pub warden: u32,
    /// A short name for the policy (`production-planner-pro`).
    pub name: String,
    /// What the policy is for, and the choices made where the source was vague.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The user schema: every field a user record may carry, in display order.
    #[serde(default)]
    pub fields: OrderedMap<FieldSpec>,
    /// What to do with record fields the schema does not declare.
    #[serde(default)]
    pub unknown_fields: UnknownFields,
    /// Tenant pattern rules, checked after the field rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<PatternRule>,
    /// The email naming convention (R001-07), if the tenant has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_convention: Option<EmailConvention>,
    /// Generic placeholder data to flag (R001-08), if the tenant wants it flagged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generic_data: Option<GenericData>,
    /// What a duplicate-value violation suggests (R000-11, R002-11).
    #[serde(default)]
    pub duplicates: DuplicateAdvice,
    /// The password policy; required when the schema has a `password` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<PasswordPolicy>,
    /// Roles, groups, permissions, scopes and grant rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<AccessSpec>,
    /// The status machine, login gate, lockout, deletion and field-change obligations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<LifecycleSpec>,
    /// The tenant's own violation messages: per language tag (`en`, `fr`, `de`, `es` to
    /// override the built-in catalogue, any other BCP 47 tag to add a language), a message
    /// template per violation code (`{"too_short": "at least {min} characters, please"}`).
    /// Placeholders name the code's params. A language the tenant adds falls back to the
    /// English catalogue for the codes it does not translate.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub messages: BTreeMap<String, BTreeMap<String, String>>,
}

/// What validation does with a record field the schema does not declare.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum UnknownFields {
    /// An `unknown_field` error (the default: a typo must not pass silently).
    #[default]
    Reject,
    /// An `unknown_field` warning.
    Warn,
    /// Ignored, and left out of the normalised record.
    Ignore,
}

/// The kind of a field, which decides its checks and its normalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FieldType {
    /// Free text: control characters refused.
    Text,
    /// A person's name: control characters, invisible formatting and markup (`<>&"`) refused.
    Name,
    /// An email address (HTML standard grammar, RFC 5321 lengths).
    Email,
    /// A phone number, normalised to E.164.
    Phone,
    /// An ISO `YYYY-MM-DD` date.
    Date,
    /// One of a fixed list of strings (`values`).
    Enum,
    /// An identifier with a format (`pattern`): usernames, employee ids.
    Identifier,
    /// The id of another entity (organisation, manager); its existence is a fact.
    Reference,
    /// `true` or `false`.
    Boolean,
    /// An `http` or `https` URL.
    Url,
    /// The password, checked by the password policy and never echoed.
    Password,
}

/// Letter case a field is normalised to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Case {
    /// Lower case.
    Lower,
    /// Upper case.
    Upper,
}

/// The declaration of one user field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FieldSpec {
    /// The field's kind.
    #[serde(rename = "type")]
    pub kind: FieldType,
    /// Labels per language for forms (`{"en": "First name", "fr": "Prénom"}`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub label: BTreeMap<String, String>,
    /// Required in every record.
    #[serde(default)]
    pub required: bool,
    /// With `required`: an explicit JSON `null` satisfies the requirement (the key is
    /// present, the value is "none", as for the manager of the head of an organisation).
    #[serde(default)]
    pub nullable: bool,
    /// Required only when this condition holds (date of birth for customers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_when: Option<Condition>,
    /// On update, a blank value means "keep the current one" and is not checked (R000-05).
    #[serde(default)]
    pub keep_if_blank_on_update: bool,
    /// Minimum length in Unicode code points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u32>,
    /// Maximum length in Unicode code points (each type has a default, see the docs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// Trim surrounding white space before checking (default: true, except passwords).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trim: Option<bool>,
    /// Fold runs of inner white space to one space.
    #[serde(default)]
    pub collapse_spaces: bool,
    /// Normalise letter case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<Case>,
    /// The allowed values of an `enum` field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// The format an `identifier` (or any text) must match, as a `regex` crate pattern that
    /// must match the whole value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// The name of the format, for messages (`username`, `employee id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// The value must be unique; validation asks the caller for the answer as a fact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unique: Option<Unique>,
    /// Email: accept internationalised domain names (converted to A-labels).
    #[serde(default)]
    pub idn: bool,
    /// Phone: the country code assumed for numbers written without one (`"33"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_country_code: Option<String>,
    /// Date: must lie strictly before `today`.
    #[serde(default)]
    pub past: bool,
    /// Date of birth: minimum ages, each possibly conditional.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub min_age: Vec<AgeRule>,
    /// The field is derived from another field through a mapping (department from job title).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_from: Option<Derivation>,
}

/// A condition on the record or on the operation.
///
/// Every clause given must hold. At least one clause is required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Condition {
    /// The field the clauses `in` and `present` test.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The field's value is one of these.
    #[serde(default, rename = "in", skip_serializing_if = "Option::is_none")]
    pub one_of: Option<Vec<Value>>,
    /// The field is present and not blank (`true`) or absent or blank (`false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub present: Option<bool>,
    /// The operation is one of these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Vec<Mode>>,
}

/// What a record is validated for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum Mode {
    /// A new account.
    #[default]
    Create,
    /// An edit of an existing account: fields marked `keepIfBlankOnUpdate` may be blank.
    Update,
    /// Reactivation: the whole record must satisfy the schema again (R004-07), but the
    /// password is kept.
    Reactivate,
    /// A row of a bulk import: like `create`.
    Import,
}

/// A uniqueness requirement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Unique {
    /// The value is unique only within the value of this field (`organization`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<String>,
    /// The check's name in requests and facts (default: `<snake_case field>_unique`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
}

/// A minimum age.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgeRule {
    /// Minimum age in whole years.
    pub years: u32,
    /// Applies only when this holds (for example account type `customer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Condition>,
}

/// A field derived from another through a mapping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Derivation {
    /// The source field.
    pub field: String,
    /// Source value (compared case-insensitively) to derived value.
    pub map: BTreeMap<String, String>,
    /// Keyword rules for a source value not in `map`: the keyword contained in the source
    /// value (case-insensitively) gives the derived value (`{"engineer": "Engineering"}`
    /// derives it for `Senior Software Engineer`); of several, the longest, then the first
    /// in alphabetical order, whatever order they are written in.
    #[serde(default, skip_serializing_if = "OrderedMap::is_empty")]
    pub contains: OrderedMap<String>,
    /// The derived value for a source value not in the map, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// How a given value that disagrees with the derivation is reported.
    #[serde(default = "warning")]
    pub mismatch: Severity,
}

fn warning() -> Severity {
    Severity::Warning
}

/// A tenant pattern rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PatternRule {
    /// The rule's id, reported in the violation's `rule` param.
    pub id: String,
    /// The field the rule tests (skipped when the field is blank).
    pub field: String,
    /// A `regex` crate pattern, searched for in the normalised value.
    pub pattern: String,
    /// Violation when the pattern does not match (`true`, the default) or when it does.
    #[serde(default = "yes")]
    pub must_match: bool,
    /// Error or warning.
    #[serde(default = "error")]
    pub severity: Severity,
    /// The tenant's message per language; the catalogue's is used for missing languages.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub message: BTreeMap<String, String>,
}

fn yes() -> bool {
    true
}

fn error() -> Severity {
    Severity::Error
}

/// The email naming convention (R001-07).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmailConvention {
    /// The convention.
    pub style: EmailStyle,
    /// Error or warning (default warning).
    #[serde(default = "warning")]
    pub severity: Severity,
    /// Domains the address must use, if any (`company.com`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<String>,
}

/// Supported email naming conventions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EmailStyle {
    /// `firstname.lastname@domain`, lower case, names as in the record (accents folded,
    /// spaces and apostrophes removed, hyphens kept).
    #[serde(rename = "firstname.lastname")]
    FirstnameDotLastname,
}

/// Generic placeholder data to flag (R001-08).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GenericData {
    /// Email local parts that are generic, as whole-match `regex` patterns (`user\d*`).
    #[serde(default)]
    pub email_local_parts: Vec<String>,
    /// Field values that are generic, per field, compared case-insensitively
    /// (`{"jobTitle": ["Employee"]}`).
    #[serde(default)]
    pub values: BTreeMap<String, Vec<String>>,
    /// Optional fields whose absence is flagged (`manager`).
    #[serde(default)]
    pub recommended: Vec<String>,
    /// Error or warning (default warning).
    #[serde(default = "warning")]
    pub severity: Severity,
}

/// What a duplicate-value violation suggests, by the existing account's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DuplicateAdvice {
    /// Suggestion when the existing account is inactive (R000-11). Default `reactivate`.
    #[serde(default = "reactivate")]
    pub inactive: Option<Suggestion>,
    /// Suggestion when the existing account is active (R002-11). Default none.
    #[serde(default)]
    pub active: Option<Suggestion>,
}

impl Default for DuplicateAdvice {
    fn default() -> Self {
        DuplicateAdvice {
            inactive: reactivate(),
            active: None,
        }
    }
}

fn reactivate() -> Option<Suggestion> {
    Some(Suggestion::Reactivate)
}

/// A suggestion attached to a duplicate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Suggestion {
    /// Reactivate the existing (inactive) account.
    Reactivate,
    /// Reset the existing account's password.
    ResetPassword,
}

impl Suggestion {
    /// The suggestion's stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Suggestion::Reactivate => "reactivate",
            Suggestion::ResetPassword => "resetPassword",
        }
    }
}
