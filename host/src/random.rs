//! Randomness from the operating system, for password salts and temporary passwords.
//!
//! The kernel has no random number generator: it takes a
//! [`RandomSource`] and a salt from its caller.
//! [`Entropy`] is what the host needs from the operating system (a cryptographically
//! secure generator, [`OsEntropy`] in production); [`EntropyRng`] adapts it to the
//! kernel's infallible `RandomSource` by remembering the first failure, which the caller
//! must then check with [`EntropyRng::finish`].

use std::fmt;

use warden_core::password::RandomSource;

/// Length of a password salt, in bytes: 16 (the kernel's minimum, and argon2's advice).
pub const SALT_BYTES: usize = 16;

/// The operating system's random number generator could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntropyError {
    reason: String,
}

impl EntropyError {
    /// An error with the given reason.
    pub fn new(reason: impl Into<String>) -> Self {
        EntropyError {
            reason: reason.into(),
        }
    }

    /// Why the generator failed.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for EntropyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the system's random number generator failed: {}",
            self.reason
        )
    }
}

impl std::error::Error for EntropyError {}

/// A cryptographically secure source of random bytes.
pub trait Entropy {
    /// Fills `buf` with random bytes.
    ///
    /// # Errors
    /// When the generator cannot be read.
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), EntropyError>;
}

/// The operating system's generator, through `getrandom`.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), EntropyError> {
        getrandom::fill(buf).map_err(|e| EntropyError::new(e.to_string()))
    }
}

/// A fresh random salt of [`SALT_BYTES`] bytes.
///
/// # Errors
/// When the generator cannot be read.
pub fn salt(entropy: &mut dyn Entropy) -> Result<[u8; SALT_BYTES], EntropyError> {
    let mut salt = [0_u8; SALT_BYTES];
    entropy.fill(&mut salt)?;
    Ok(salt)
}

/// Adapts an [`Entropy`] to the kernel's [`RandomSource`].
///
/// `RandomSource::next_u32` cannot fail, so a failure of the generator is remembered (and
/// zeros returned); [`finish`](Self::finish) reports it. Discard whatever was generated
/// when `finish` fails.
pub struct EntropyRng<'a> {
    entropy: &'a mut dyn Entropy,
    failure: Option<EntropyError>,
}

impl<'a> EntropyRng<'a> {
    /// Wraps a generator.
    pub fn new(entropy: &'a mut dyn Entropy) -> Self {
        EntropyRng {
            entropy,
            failure: None,
        }
    }

    /// Ends the use of the generator.
    ///
    /// # Errors
    /// The first failure of the generator, if there was one: the values drawn were not
    /// random.
    pub fn finish(self) -> Result<(), EntropyError> {
        match self.failure {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl fmt::Debug for EntropyRng<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EntropyRng")
            .field("failure", &self.failure)
            .finish_non_exhaustive()
    }
}

impl RandomSource for EntropyRng<'_> {
    fn next_u32(&mut self) -> u32 {
        let mut bytes = [0_u8; 4];
        match self.entropy.fill(&mut bytes) {
            Ok(()) => u32::from_le_bytes(bytes),
            Err(e) => {
                self.failure.get_or_insert(e);
                0
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Broken;
    impl Entropy for Broken {
        fn fill(&mut self, _: &mut [u8]) -> Result<(), EntropyError> {
            Err(EntropyError::new("unplugged"))
        }
    }

    #[test]
    fn os_salts_differ() {
        let mut os = OsEntropy;
        assert_ne!(salt(&mut os), salt(&mut os));
    }

    #[test]
    fn failures_are_reported() {
        let mut broken = Broken;
        let mut rng = EntropyRng::new(&mut broken);
        assert_eq!(rng.next_u32(), 0);
        let err = rng
            .finish()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(
            err,
            "the system's random number generator failed: unplugged"
        );
    }
}
