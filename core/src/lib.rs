//! # warden-core
//!
//! Warden's policy kernel: one pure library that decides, for any user-management system,
//! whether a user record and password are acceptable, what an actor may do to whom, and how
//! an account may move through its lifecycle.
#![cfg_attr(not(test), deny(missing_docs))]

pub mod checks;
pub mod error;
pub mod hierarchy;
pub mod messages;
pub mod password;
pub mod violation;
