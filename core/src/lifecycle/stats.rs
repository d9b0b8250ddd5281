//! Statistics (R000-10) and security findings (R001-06, R003-05).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{LifecycleError, effective_status, lifecycle_of};
use crate::Policy;
use crate::checks::date::Timestamp;
use crate::model::Account;

/// User statistics (R000-10).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Statistics {
    /// Every account, whatever its status.
    pub total: u32,
    /// Accounts whose effective status allows login (without a lifecycle: status `active`).
    pub active: u32,
    /// Super administrators, whatever their status.
    pub super_admins: u32,
    /// Distinct organisations with at least one account.
    pub organizations: u32,
    /// Accounts by effective status (stored status when unknown to the policy).
    pub by_status: BTreeMap<String, u32>,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Counts `accounts` at `now` (R000-10). With a policy that has a lifecycle, statuses are
/// effective (expired temporary statuses counted as the status they return to).
pub fn statistics(policy: Option<&Policy>, accounts: &[Account], now: Timestamp) -> Statistics {
    let lc = policy.and_then(Policy::lifecycle);
    let mut by_status: BTreeMap<String, u32> = BTreeMap::new();
    let mut active = 0_u32;
    for a in accounts {
        let (status, login) = match lc.map(|lc| (lc, effective_status(lc, a, now))) {
            Some((lc, Ok(e))) => {
                let login = lc.status(&e.status).is_some_and(|s| s.login);
                (e.status, login)
            }
            Some((_, Err(_))) => (a.status.clone(), false),
            None => (a.status.clone(), a.status == "active"),
        };
        if login {
            active = active.saturating_add(1);
        }
        let slot = by_status.entry(status).or_insert(0);
        *slot = slot.saturating_add(1);
    }
    let organizations: BTreeSet<&str> = accounts
        .iter()
        .filter_map(|a| a.organization.as_deref())
        .collect();
    Statistics {
        total: count(accounts.len()),
        active,
        super_admins: count(accounts.iter().filter(|a| a.super_admin).count()),
        organizations: count(organizations.len()),
        by_status,
    }
}

/// A security problem in the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// `roles_in_inactive_status` (R001-06) or `system_admin_not_active` (R003-05).
    pub code: String,
    /// The rule it breaks.
    pub rule: String,
    /// The account's id.
    pub account: String,
    /// Its effective status.
    pub status: String,
    /// The roles it should not hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// The groups it should not belong to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
}

/// Reports accounts whose effective status does not allow roles (`rolesAllowed: false`)
/// but that hold roles or manual groups (R001-06: a security risk), and system
/// administrators (the policy's `lifecycle.systemAdminField` is true) whose status does not
/// allow login
/// (R003-05). An account with a status unknown to the policy is skipped.
///
/// # Errors
/// [`LifecycleErrorKind::NoLifecycle`](crate::lifecycle::LifecycleErrorKind::NoLifecycle).
pub fn security_findings(
    policy: &Policy,
    accounts: &[Account],
    now: Timestamp,
) -> Result<Vec<Finding>, LifecycleError> {
    let lc = lifecycle_of(policy)?;
    let mut out = Vec::new();
    for a in accounts {
        let Ok(e) = effective_status(lc, a, now) else {
            continue;
        };
        let Some(spec) = lc.status(&e.status) else {
            continue;
        };
        if !spec.roles_allowed && (!a.roles.is_empty() || !a.groups.is_empty()) {
            out.push(Finding {
                code: "roles_in_inactive_status".into(),
                rule: "R001-06".into(),
                account: a.id.clone(),
                status: e.status.clone(),
                roles: a.roles.clone(),
                groups: a.groups.clone(),
            });
        }
        let system_admin = lc
            .spec()
            .system_admin_field
            .as_deref()
            .is_some_and(|f| a.attributes.get(f) == Some(&Value::Bool(true)));
        if !spec.login && system_admin {
            out.push(Finding {
                code: "system_admin_not_active".into(),
                rule: "R003-05".into(),
                account: a.id.clone(),
                status: e.status.clone(),
                roles: Vec::new(),
                groups: Vec::new(),
            });
        }
    }
    Ok(out)
}
