//! Permission scoping: may this actor do this action to this target, and which users may
//! this actor see at all?
//!
//! - [`authorize`] answers one request with an allow or a typed deny.
//! - [`field_access`] answers which fields of an account the actor may see and change
//!   (attribute permissions, `access.fieldAccess`); [`edit_denial`] refuses an edit of a
//!   field the actor may not change, [`create_denial`] a new account setting one.
//! - [`scope`] answers "which users may I list" with a [`Filter`] — never a truncated list —
//!   that renders to a parameterised SQL `WHERE` clause ([`Filter::to_sql`]) or runs in
//!   memory ([`Filter::matches`]).
//!
//! The rules: super administrators reach every organisation; everyone else only their own
//! (R000-07), whatever their roles say. Roles carry permissions at module, action and data
//! level (own, team, location, organisation, all); roles inherit from roles; groups
//! (manual or dynamic) grant roles; an account whose status grants no permissions (an
//! inactive account) is denied everything (R000-06, R003-04). Granting a role checks who
//! may grant it (R004-02), forbidden combinations (R002-04), the minimum number of active
//! roles (R003-03) and privilege escalation (nobody grants what they do not hold).

mod authorize;
pub(crate) mod compile;
mod directory;
mod fields;
mod filter;
mod spec;

pub(crate) use authorize::LazyDeny;
pub use authorize::{
    AccessError, AccessErrorKind, AuthorizeRequest, AuthzDecision, RoleChange, Target, authorize,
    critical_permissions_held, critical_permissions_lost, effective_roles, grant_denial,
    is_group_member, permissions_over, permitted_among, role_change_between,
};
pub use compile::CompiledAccess;
pub(crate) use compile::compile;
pub use directory::Directory;
pub use fields::{
    ACCOUNT_KEYS, FieldAccess, create_denial, created_fields, edit_denial, field_access,
    fields_denial, mark_password_set,
};
pub use filter::{
    Filter, Placeholder, ScopeDecision, SqlError, SqlFilter, SqlOptions, SubtreeStrategy, scope,
};
pub use spec::*;
