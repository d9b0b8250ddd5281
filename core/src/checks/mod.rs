//! Field checks: pure functions over one value, returning normalised values or [`Issue`]s.
//!
//! [`Issue`]: crate::violation::Issue

pub mod date;
pub mod email;
pub mod phone;
pub mod text;
