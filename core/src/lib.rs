//! # warden-core
//!
//! Warden's policy kernel: one pure library that decides, for any user-management system,
//! whether a user record and password are acceptable, what an actor may do to whom, and how
//! an account may move through its lifecycle.
//!
//! ```
//! use warden_core::access::{self, AuthorizeRequest, Directory, Target};
//! use warden_core::model::Account;
//! use warden_core::{Date, Lang, Policy, Timestamp, ValidationContext, ValidationFacts};
//!
//! // A policy is data: a preset (one per seed system) or a tenant's own JSON document.
//! let policy = Policy::preset("hr-platform")?;
//!
//! // 1. Validation: every violation at once, each with a stable code, a typed path and a
//! //    message in the caller's language.
//! let user = serde_json::json!({"firstName": "Ada", "lastName": "Lovelace",
//!     "email": "ada@@acme.example", "jobTitle": "Engineer", "organization": "acme"});
//! let facts = ValidationFacts::default();
//! let ctx = ValidationContext {
//!     mode: warden_core::policy::Mode::Create,
//!     today: Date::parse("2026-11-22")?,
//!     lang: Lang::En,
//!     facts: &facts,
//!     mfa: false,
//! };
//! let decision = warden_core::validate_user(&policy, user.as_object().unwrap(), &ctx);
//! assert!(!decision.valid);
//! assert!(decision.violations.iter().any(|v| v.code.as_str() == "invalid_email"));
//!
//! // 2. Scoping: may this actor read that user? The directory answers `team` scopes.
//! let mut manager = Account::new("m");
//! manager.organization = Some("acme".into());
//! manager.roles = vec!["employee".into()];
//! let mut report = Account::new("r");
//! report.organization = Some("acme".into());
//! report.manager = Some("m".into());
//! let (dir, problems) = Directory::from_accounts([&manager, &report]);
//! assert!(problems.is_empty());
//! let now = Timestamp::parse("2026-11-22T10:00:00Z")?;
//! let req = AuthorizeRequest {
//!     actor: manager.clone(),
//!     action: "users.read".into(),
//!     target: Target::from(&report),
//!     change: None,
//! };
//! assert!(access::authorize(&policy, &dir, &req, now, Lang::En)?.allowed());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Concepts
//!
//! - **Policy** ([`Policy`]): one JSON document per tenant (`"warden": 1`) — the user schema,
//!   the password policy, `access` (modules, roles, scopes, groups, forbidden combinations)
//!   and `lifecycle` (statuses, transitions, guards, obligations). It is compiled once and
//!   hashed; every decision names the hash.
//! - **Decisions are data**: [`ValidationDecision`], [`access::AuthzDecision`],
//!   [`lifecycle::TransitionDecision`], ... A deny has a kind, a stable code, the rule that
//!   decided and a hint ([`decision::Denial`]). Domain outcomes are never errors; an error
//!   means the request itself is unusable.
//! - **The contract** ([`api`]): one versioned JSON entry point with one named input and
//!   output type per operation, the same on every target (native, wasm, the plugin host's
//!   component, the server). Its JSON Schema is `contract/schema.json`.
//! - **No I/O, no clock, no randomness**: time (`today`, `now`), facts the kernel cannot
//!   know (uniqueness, bookings) and randomness (temporary passwords) are passed in. A check
//!   the kernel cannot answer is returned as a `check` to answer, never guessed.
//!
//! ## Untrusted input
//!
//! Policies, records and requests may come from anyone. Everything a tenant controls is
//! bounded ([`policy::limits`]: document size, fields, names, patterns, lists); tenant regular
//! expressions use the `regex` crate with size limits (no backtracking, no catastrophic
//! patterns); a record has at most [`api::MAX_RECORD_FIELDS`] fields and a directory at most
//! [`api::MAX_DIRECTORY_ROWS`] rows through the contract; durations are capped and every
//! timestamp a decision carries reads back as input. Bad input is a typed error naming the
//! key path and the reason ([`api::ApiError`], [`PolicyError`]), never a panic. Nothing the
//! kernel computes is accepted from a caller: the permissions an actor holds are computed
//! from the policy, and a password never appears in `Debug` output or in a decision.
//!
//! ## Features
//!
//! - `hash` (default): argon2id password hashing.
//! - `builtin-blocklist` (default): the common-password list compiled in.
//! - `builtin-presets` (default): the preset policies compiled in (else installed at run
//!   time, `policy::presets::install`).
//! - `builtin-unicode` (default): the Unicode normalisation tables compiled in (else
//!   installed at run time, [`unicode::install`]; non-ASCII input is refused with
//!   `unicode_tables_needed` until then).
//! - `perf` (default): the `regex` crate's optimisations.
//! - `schema`: the contract's JSON Schema ([`api`]`::schema`).
#![cfg_attr(not(test), deny(missing_docs))]

pub mod access;
pub mod api;

pub mod bulk;
pub mod checks;
pub mod decision;
pub mod error;
pub mod forms;
pub mod hierarchy;
pub mod import;
pub mod json;
pub mod lifecycle;
pub mod messages;
pub mod model;
pub mod password;
pub mod policy;
mod swar;
pub mod unicode;
pub(crate) mod util;
pub mod validate;
pub mod violation;

pub use checks::date::{Date, Timestamp};
pub use messages::Lang;
pub use policy::{Policy, PolicyError};
pub use validate::{
    ValidationContext, ValidationDecision, ValidationFacts, ValidationVerdict, validate_user,
    validate_user_json, validate_verdict, validate_verdict_json,
};
pub use violation::{Code, Path, Severity, Violation};

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
