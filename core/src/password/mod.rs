//! Passwords: policy, checks, blocklist, strength, hashing and temporary passwords.
//!
//! - [`PasswordPolicy`] is what a tenant writes; [`PasswordPolicy::resolve`] fills it from
//!   its [`Profile`] (NIST SP 800-63B-4 by default, or classic composition rules, R000-04)
//!   and refuses contradictions.
//! - [`check_password`] reports every unmet rule as an [`Issue`](crate::violation::Issue),
//!   plus a strength score and a checklist for a form.
//! - [`hash_password`] / [`verify_password`] store passwords as argon2id PHC strings
//!   (feature `hash`).
//! - [`generate_password`] makes temporary passwords from a caller's [`RandomSource`].
//!
//! Passwords are NFKC-normalised before they are checked and before they are hashed, and
//! never truncated. A password never appears in a `Debug` output, an error or an issue.
//!
//! A blank password on edit means "keep the current one" (R000-05): the caller tests
//! [`Password::is_blank`] and skips the check; a non-blank one must pass
//! [`check_password`].

mod blocklist;
mod blocklist_layout;
mod check;
mod generate;
#[cfg(feature = "hash")]
mod hash;
mod normalize;
mod policy;
mod secret;
pub mod strength;

#[cfg(test)]
mod tests;

pub use blocklist::Blocklist;
#[cfg(feature = "builtin-blocklist")]
pub use check::check_password;
pub use check::{
    ChecklistItem, MAX_PASSWORD_BYTES, PasswordContext, PasswordReport, check_password_opt,
    check_password_with,
};
pub use generate::{
    DEFAULT_GENERATED_LENGTH, RandomSource, generate_password, generate_password_with,
    generated_length,
};
#[cfg(feature = "hash")]
pub use hash::{
    HashError, Verification, hash_password, needs_rehash, phc_memory_kib, verify_password,
};
pub use policy::{
    HashParams, MAX_EXPIRY_DAYS, MAX_HASH_COST_KIB, MAX_ITERATIONS, MAX_LENGTH_LIMIT,
    MAX_MEMORY_KIB, MAX_PARALLELISM, OWASP_ARGON2ID_MINIMUMS, PasswordPolicy, PasswordPolicyError,
    Profile, ResolvedHashParams, ResolvedPasswordPolicy,
};
pub use secret::Password;
