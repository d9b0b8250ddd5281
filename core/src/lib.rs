//! # warden-core
//!
//! Warden's policy kernel: one pure library that decides, for any user-management system,
//! whether a user record and password are acceptable, what an actor may do to whom, and how
//! an account may move through its lifecycle.
#![cfg_attr(not(test), deny(missing_docs))]

pub mod access;
pub mod api;

pub mod bulk;
pub mod checks;
pub mod decision;
pub mod error;
pub mod hierarchy;
pub mod import;
pub mod lifecycle;
pub mod messages;
pub mod model;
pub mod password;
pub mod policy;
pub(crate) mod util;
pub mod validate;
pub mod violation;

pub use checks::date::{Date, Timestamp};
pub use messages::Lang;
pub use policy::{Policy, PolicyError};
pub use validate::{
    ValidationContext, ValidationDecision, ValidationFacts, ValidationVerdict, validate_user,
    validate_verdict,
};
pub use violation::{Code, Path, Severity, Violation};

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
