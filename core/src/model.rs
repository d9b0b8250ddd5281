//! Accounts: a user as the scoping and lifecycle rules see it.
//!
//! The caller owns the data; Warden receives the rows it needs (the actor, the target, the
//! directory) as [`Account`]s and never stores them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::checks::date::Timestamp;

/// A user account, as given by the caller.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Account {
    /// The account's id.
    pub id: String,
    /// The organisation (tenant) the account belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// The account's stored status id (`active`, `suspended`, ...). Default `active`.
    #[serde(default = "active")]
    pub status: String,
    /// When a temporary status ends (a suspension's or a lock's end); past it, the
    /// effective status is the one the policy returns to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_until: Option<Timestamp>,
    /// Roles assigned directly.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// Manual group memberships (dynamic groups are computed from `attributes`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Super administrator: every organisation (R000-07).
    #[serde(default)]
    pub super_admin: bool,
    /// The root user: the only one who creates administrators (R004-02).
    #[serde(default)]
    pub root: bool,
    /// The manager's account id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
    /// The account's location (agency, site, city).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The user record's other fields (for dynamic groups, required-field checks and
    /// anonymisation), as in validation.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub attributes: Map<String, Value>,
}

fn active() -> String {
    "active".to_owned()
}

impl Account {
    /// A minimal active account.
    pub fn new(id: impl Into<String>) -> Self {
        Account {
            id: id.into(),
            status: active(),
            ..Account::default()
        }
    }

    /// The value of attribute `key`, or of the typed field of the same name.
    pub fn attribute(&self, key: &str) -> Option<Value> {
        match key {
            "id" => Some(Value::String(self.id.clone())),
            "organization" => self.organization.clone().map(Value::String),
            "status" => Some(Value::String(self.status.clone())),
            "manager" => self.manager.clone().map(Value::String),
            "location" => self.location.clone().map(Value::String),
            "superAdmin" => Some(Value::Bool(self.super_admin)),
            _ => self.attributes.get(key).cloned(),
        }
    }
}
