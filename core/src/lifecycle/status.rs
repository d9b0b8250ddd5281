//! Effective status: automatic expiry of temporary statuses.

use serde::{Deserialize, Serialize};

use super::{CompiledLifecycle, LifecycleError, lifecycle_of};
use crate::checks::date::Timestamp;
use crate::model::Account;

/// An account's status as it stands at `now`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct EffectiveStatus {
    /// The status in force.
    pub status: String,
    /// The stored status.
    pub stored: String,
    /// The stored status was temporary and its `statusUntil` has passed: `status` is the
    /// one it returns to (the caller may store it).
    pub expired: bool,
    /// When the status in force ends, if it is temporary and has an end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Timestamp>,
}

/// The status of `account` at `now`: a temporary status whose `statusUntil` is at or before
/// `now` has ended and counts as its `returnsTo` status. A temporary status without
/// `statusUntil` lasts until changed.
///
/// # Errors
/// [`LifecycleErrorKind::UnknownStatus`](crate::lifecycle::LifecycleErrorKind::UnknownStatus) when the stored status is not one of the policy's.
pub fn effective_status(
    lc: &CompiledLifecycle,
    account: &Account,
    now: Timestamp,
) -> Result<EffectiveStatus, LifecycleError> {
    let spec = lc
        .status(&account.status)
        .ok_or_else(|| LifecycleError::unknown_status(&account.status))?;
    let stored = account.status.clone();
    match (&spec.temporary, account.status_until) {
        (Some(t), Some(until)) if until <= now => Ok(EffectiveStatus {
            status: t.returns_to.clone(),
            stored,
            expired: true,
            until: None,
        }),
        (Some(_), until) => Ok(EffectiveStatus {
            status: stored.clone(),
            stored,
            expired: false,
            until,
        }),
        (None, _) => Ok(EffectiveStatus {
            status: stored.clone(),
            stored,
            expired: false,
            until: None,
        }),
    }
}

/// The id of the status in force at `now`, without allocating (`None` for an unknown
/// stored status).
pub fn effective_status_id<'a>(
    lc: &'a CompiledLifecycle,
    account: &'a Account,
    now: Timestamp,
) -> Option<&'a str> {
    let spec = lc.status(&account.status)?;
    match (&spec.temporary, account.status_until) {
        (Some(t), Some(until)) if until <= now => Some(t.returns_to.as_str()),
        _ => Some(account.status.as_str()),
    }
}

/// The status of a new account (R004-01).
///
/// # Errors
/// [`LifecycleErrorKind::NoLifecycle`](crate::lifecycle::LifecycleErrorKind::NoLifecycle) when the policy has no lifecycle.
pub fn initial_status(policy: &crate::Policy) -> Result<&str, LifecycleError> {
    Ok(lifecycle_of(policy)?.initial())
}
