//! Secrets the server issues: API keys and session tokens. Prefixed (`wdn_`, `wds_`) so
//! that a leaked one is recognisable, random (192 bits), shown once and stored only as
//! SHA-256.

use std::fmt;

use sha2::{Digest, Sha256};

/// A token in clear, as handed to its owner once. Its `Debug` never shows it.
pub struct PlainToken(String);

impl PlainToken {
    /// The token's text.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Its stored form.
    pub fn hashed(&self) -> String {
        hash_token(&self.0)
    }
}

impl fmt::Debug for PlainToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PlainToken(***)")
    }
}

/// Random bytes from the operating system.
///
/// # Errors
/// When the OS has no randomness to give.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], getrandom::Error> {
    let mut b = [0_u8; N];
    getrandom::fill(&mut b)?;
    Ok(b)
}

/// A new token with `prefix`.
///
/// # Errors
/// When the OS has no randomness to give.
pub fn new_token(prefix: &str) -> Result<PlainToken, getrandom::Error> {
    let b: [u8; 24] = random_bytes()?;
    Ok(PlainToken(format!("{prefix}{}", hex::encode(b))))
}

/// A random id (`u_` + 16 hex digits for users).
///
/// # Errors
/// When the OS has no randomness to give.
pub fn new_id(prefix: &str) -> Result<String, getrandom::Error> {
    let b: [u8; 8] = random_bytes()?;
    Ok(format!("{prefix}{}", hex::encode(b)))
}

/// The stored form of a token: `sha256:` and 64 hex digits.
pub fn hash_token(token: &str) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(token.as_bytes())))
}

/// The core's password generator, fed by the OS.
pub struct OsRandom;

impl warden_core::password::RandomSource for OsRandom {
    fn next_u32(&mut self) -> u32 {
        // A failing OS RNG leaves zeros; the generator then falls back to its
        // deterministic, policy-passing password, which is still hashed and shown once.
        random_bytes::<4>().map(u32::from_le_bytes).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_prefixed_random_and_hidden() {
        let a = new_token("wdn_").ok();
        let b = new_token("wdn_").ok();
        assert!(a.as_ref().is_some_and(|t| t.expose().starts_with("wdn_")));
        assert_ne!(
            a.as_ref().map(|t| t.expose().to_owned()),
            b.as_ref().map(|t| t.expose().to_owned())
        );
        let t = a.map(|t| (format!("{t:?}"), t.expose().to_owned(), t.hashed()));
        assert!(t.is_some_and(|(dbg, plain, hashed)| !dbg.contains(&plain)
            && !hashed.contains(&plain)
            && hashed.starts_with("sha256:")));
    }
}
