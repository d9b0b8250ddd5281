//! The decision type every target shares: allow or deny, with the reason.
//!
//! As in Cedar, [`Decision`] has exactly two values; a deny always says which kind it is
//! ([`DenyKind`]), carries a stable code, the rule that decided and, where possible, a hint
//! of what would make the request allowed.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::violation::Params;

/// Allow or deny. Anything fatal (a policy error, a plugin fault, an exhausted limit) is a
/// deny, never an allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// The request is allowed.
    Allow,
    /// The request is denied; the response says why.
    Deny,
}

/// Why a request is denied, broadly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DenyKind {
    /// No rule grants it.
    NotPermitted,
    /// A rule forbids it (a forbid permission, a forbidden role combination, a guard).
    Forbidden,
    /// Someone's state prevents it (the actor is inactive, the target is blacklisted).
    InvalidState,
    /// A fact the rule needs was not supplied: supply it and ask again (params `facts`
    /// lists them).
    MissingFact,
    /// The request itself is incomplete or malformed (a reason, a duration, a
    /// confirmation).
    InvalidRequest,
}

/// The details of a deny.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Denial {
    /// The kind of deny.
    pub kind: DenyKind,
    /// The stable machine code (`scope_insufficient`, `reason_required`, ...).
    pub code: String,
    /// The rendered message, in the requested language.
    pub message: String,
    /// The rule that decided (`role:fleetManager#1`, `guard:activeBookings`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<Arc<str>>,
    /// What would make the request allowed, when Warden can tell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Values the message is rendered from.
    #[serde(default, skip_serializing_if = "Params::is_empty")]
    pub params: Params,
}
