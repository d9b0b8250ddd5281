//! argon2id password hashing (feature `hash`).
//!
//! Hashes are PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`). The caller
//! supplies the salt (at least 16 random bytes): the core has no RNG. Passwords are
//! NFKC-normalised before hashing, as before checking, so a password typed in another
//! Unicode form still verifies.

use argon2::password_hash::{self, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use thiserror::Error;

use super::normalize::nfkc;
use super::policy::{MAX_ITERATIONS, MAX_PARALLELISM, ResolvedPasswordPolicy};

/// The shortest salt accepted, in bytes.
pub const MIN_SALT_BYTES: usize = 16;
/// The longest salt accepted, in bytes (64 characters of B64, the PHC limit).
pub const MAX_SALT_BYTES: usize = 48;

/// Why a password could not be hashed or verified. Never contains the password or the hash.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum HashError {
    /// The salt is shorter than 16 bytes.
    #[error("the salt must be at least 16 bytes long (it has {actual})")]
    SaltTooShort {
        /// The salt's length in bytes.
        actual: usize,
    },
    /// The salt is longer than 48 bytes.
    #[error("the salt must be at most 48 bytes long (it has {actual})")]
    SaltTooLong {
        /// The salt's length in bytes.
        actual: usize,
    },
    /// The stored hash is not a PHC string, or lacks its salt or hash.
    #[error("the stored password hash is not a valid PHC string")]
    MalformedHash,
    /// The stored hash uses an algorithm other than argon2 (argon2id, argon2i, argon2d).
    #[error("the stored password hash uses the unsupported algorithm `{algorithm}`")]
    UnsupportedAlgorithm {
        /// The PHC algorithm identifier.
        algorithm: String,
    },
    /// The stored hash's argon2 parameters or version are not valid.
    #[error("the stored password hash has invalid argon2 parameters")]
    InvalidParams,
    /// The stored hash's costs exceed the limits a stored hash is verified within (1 GiB,
    /// 64 passes, 16 lanes: what a policy could ask before its own bounds were tightened,
    /// so that such a hash still verifies, and is replaced), which protects the verifier
    /// from a planted hash that would exhaust memory or time.
    #[error(
        "the stored password hash's costs exceed the limits (memory 1048576 KiB, 64 iterations, parallelism 16)"
    )]
    CostsTooHigh,
    /// The policy's parameters are refused by argon2.
    #[error("the policy's `hash` parameters are refused by argon2")]
    PolicyParams,
    /// argon2 failed.
    #[error("argon2 failed to hash the password")]
    Hashing,
}

/// The outcome of [`verify_password`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verification {
    /// Whether the password matches the hash.
    pub matches: bool,
    /// Whether the hash should be replaced by a new one with the policy's parameters (do
    /// it only when `matches`, while the password is at hand).
    pub needs_rehash: bool,
}

fn policy_params(policy: &ResolvedPasswordPolicy) -> Result<Params, HashError> {
    let h = policy.hash;
    Params::new(h.memory_kib, h.iterations, h.parallelism, None)
        .map_err(|_| HashError::PolicyParams)
}

/// Hashes `password` (NFKC-normalised) with argon2id v0x13 and the policy's parameters,
/// salted with `salt` (16 to 48 bytes, from a secure RNG), as a PHC string.
pub fn hash_password(
    policy: &ResolvedPasswordPolicy,
    password: &str,
    salt: &[u8],
) -> Result<String, HashError> {
    if salt.len() < MIN_SALT_BYTES {
        return Err(HashError::SaltTooShort { actual: salt.len() });
    }
    if salt.len() > MAX_SALT_BYTES {
        return Err(HashError::SaltTooLong { actual: salt.len() });
    }
    let salt =
        SaltString::encode_b64(salt).map_err(|_| HashError::SaltTooLong { actual: salt.len() })?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, policy_params(policy)?);
    let normalized = nfkc(password);
    argon2
        .hash_password(normalized.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| HashError::Hashing)
}

/// The most memory a stored hash is verified with: 1 GiB, the bound of a policy's
/// `hash.memoryKib` before it was lowered to [`MAX_MEMORY_KIB`](super::MAX_MEMORY_KIB) (a
/// hash stored under it still verifies, and is rehashed with the policy's parameters).
const STORED_MAX_MEMORY_KIB: u32 = 1024 * 1024;

/// Parses `phc` and checks it is a complete argon2 hash within the cost limits.
fn parse(phc: &str) -> Result<(PasswordHash<'_>, Params), HashError> {
    let parsed = PasswordHash::new(phc).map_err(|_| HashError::MalformedHash)?;
    if parsed.salt.is_none() || parsed.hash.is_none() {
        return Err(HashError::MalformedHash);
    }
    if Algorithm::new(parsed.algorithm.as_str()).is_err() {
        return Err(HashError::UnsupportedAlgorithm {
            algorithm: parsed.algorithm.as_str().chars().take(32).collect(),
        });
    }
    let params = Params::try_from(&parsed).map_err(|_| HashError::InvalidParams)?;
    if params.m_cost() > STORED_MAX_MEMORY_KIB
        || params.t_cost() > MAX_ITERATIONS
        || params.p_cost() > MAX_PARALLELISM
    {
        return Err(HashError::CostsTooHigh);
    }
    Ok((parsed, params))
}

fn stale(policy: &ResolvedPasswordPolicy, parsed: &PasswordHash<'_>, params: &Params) -> bool {
    let h = policy.hash;
    parsed.algorithm != Algorithm::Argon2id.ident()
        || parsed.version != Some(u32::from(Version::V0x13))
        || params.m_cost() != h.memory_kib
        || params.t_cost() != h.iterations
        || params.p_cost() != h.parallelism
        || parsed.hash.map(|o| o.len()) != Some(Params::DEFAULT_OUTPUT_LEN)
}

/// The memory (KiB) a verification against the PHC string `phc` takes: its own `m`
/// parameter; `None` for a string [`verify_password`] refuses without hashing.
pub fn phc_memory_kib(phc: &str) -> Option<u32> {
    parse(phc).ok().map(|(_, params)| params.m_cost())
}

/// Verifies `password` (NFKC-normalised) against the PHC string `phc` in constant time
/// (argon2's [`PasswordVerifier`], which compares outputs with `subtle`), with the
/// parameters stored in `phc` (argon2id, argon2i or argon2d), and tells whether the hash
/// is stale for `policy`.
pub fn verify_password(
    policy: &ResolvedPasswordPolicy,
    phc: &str,
    password: &str,
) -> Result<Verification, HashError> {
    let (parsed, params) = parse(phc)?;
    let normalized = nfkc(password);
    let matches = match Argon2::default().verify_password(normalized.as_bytes(), &parsed) {
        Ok(()) => true,
        Err(password_hash::Error::Password) => false,
        Err(_) => return Err(HashError::Hashing),
    };
    Ok(Verification {
        matches,
        needs_rehash: stale(policy, &parsed, &params),
    })
}

/// Whether the PHC string `phc` should be replaced by a hash with `policy`'s parameters:
/// true when it is not argon2id v0x13, or its memory, iterations, parallelism or output
/// length differ from the policy's. A hash of another algorithm family (`scrypt`,
/// `pbkdf2-sha256`, ...) needs a rehash; a string that is not PHC at all is an error.
pub fn needs_rehash(policy: &ResolvedPasswordPolicy, phc: &str) -> Result<bool, HashError> {
    match parse(phc) {
        Ok((parsed, params)) => Ok(stale(policy, &parsed, &params)),
        Err(HashError::UnsupportedAlgorithm { .. } | HashError::CostsTooHigh) => Ok(true),
        Err(e) => Err(e),
    }
}
