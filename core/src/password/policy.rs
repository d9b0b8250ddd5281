//! The password policy: what a tenant writes ([`PasswordPolicy`]), what the checks read
//! ([`ResolvedPasswordPolicy`]).

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A named set of defaults a [`PasswordPolicy`] starts from.
///
/// The default is [`Profile::Nist80063b4`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// NIST SP 800-63B-4: at least 15 code points for a single-factor password (8 when the
    /// password is used with multi-factor authentication), a maximum of at least 64, no
    /// composition rules, no periodic expiry, a blocklist of common passwords and a check
    /// against the user's own data. Serialised as `"nist-800-63b-4"`.
    #[default]
    #[serde(rename = "nist-800-63b-4")]
    Nist80063b4,
    /// Classic composition rules (R000-04, R003-06): at least 8 characters with an
    /// upper-case letter, a lower-case letter, a digit and a special character, a maximum
    /// of 128, blocklist and similarity checks. Serialised as `"composition"`.
    Composition,
}

impl Profile {
    /// The profile's name, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Nist80063b4 => "nist-800-63b-4",
            Profile::Composition => "composition",
        }
    }

    /// The profile's policy, with no override (cannot fail).
    pub fn resolved(self) -> ResolvedPasswordPolicy {
        match self {
            Profile::Nist80063b4 => ResolvedPasswordPolicy {
                profile: self,
                min_length: NIST_MIN_LENGTH,
                min_length_with_mfa: NIST_MIN_LENGTH_WITH_MFA,
                max_length: NIST_MIN_MAX_LENGTH,
                require_upper: false,
                require_lower: false,
                require_digit: false,
                require_special: false,
                blocklist: true,
                similarity: true,
                expiry_days: None,
                hash: ResolvedHashParams::OWASP,
            },
            Profile::Composition => ResolvedPasswordPolicy {
                profile: self,
                min_length: 8,
                min_length_with_mfa: 8,
                max_length: 128,
                require_upper: true,
                require_lower: true,
                require_digit: true,
                require_special: true,
                blocklist: true,
                similarity: true,
                expiry_days: None,
                hash: ResolvedHashParams::OWASP,
            },
        }
    }
}

/// NIST SP 800-63B-4: minimum length of a single-factor password.
const NIST_MIN_LENGTH: usize = 15;
/// NIST SP 800-63B-4: minimum length of a password used with another factor.
const NIST_MIN_LENGTH_WITH_MFA: usize = 8;
/// NIST SP 800-63B-4: verifiers should allow at least 64 characters.
const NIST_MIN_MAX_LENGTH: usize = 64;
/// Size limit on `maxLength`: a password longer than this is never legitimate.
pub const MAX_LENGTH_LIMIT: usize = 4096;
/// Upper bound of `expiryDays` (ten years).
pub const MAX_EXPIRY_DAYS: u32 = 3650;
/// Upper bound of `hash.memoryKib`: 256 MiB (OWASP's configurations use 7 to 46 MiB). A
/// tenant's hash runs for every sign-in, an unknown login's included (answered in a hash's
/// time): its cost is everyone's on a shared server.
pub const MAX_MEMORY_KIB: u32 = 256 * 1024;
/// Upper bound of `hash.memoryKib` × `hash.iterations`: 512 MiB passes (19 MiB × 26,
/// 64 MiB × 8, 256 MiB × 2), a hash of at most about half a second on one core.
pub const MAX_HASH_COST_KIB: u64 = 512 * 1024;
/// Upper bound of `hash.iterations`.
pub const MAX_ITERATIONS: u32 = 64;
/// Upper bound of `hash.parallelism`.
pub const MAX_PARALLELISM: u32 = 16;

/// OWASP's argon2id configurations (Password Storage Cheat Sheet), as (memory KiB,
/// iterations), all with parallelism 1. A configuration is acceptable when it is at least
/// one of these in both memory and iterations.
pub const OWASP_ARGON2ID_MINIMUMS: &[(u32, u32)] = &[
    (47_104, 1),
    (19_456, 2),
    (12_288, 3),
    (9_216, 4),
    (7_168, 5),
];

/// argon2id cost parameters, as a tenant writes them (every field optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HashParams {
    /// Memory in KiB (default 19456, 19 MiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_kib: Option<u32>,
    /// Number of passes (default 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iterations: Option<u32>,
    /// Degree of parallelism (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallelism: Option<u32>,
}

/// argon2id cost parameters with concrete values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedHashParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Number of passes.
    pub iterations: u32,
    /// Degree of parallelism.
    pub parallelism: u32,
}

impl ResolvedHashParams {
    /// OWASP's recommended argon2id parameters: m=19456 (19 MiB), t=2, p=1.
    pub const OWASP: ResolvedHashParams = ResolvedHashParams {
        memory_kib: 19_456,
        iterations: 2,
        parallelism: 1,
    };
}

impl Default for ResolvedHashParams {
    fn default() -> Self {
        Self::OWASP
    }
}

/// A tenant's password policy, as written in its configuration.
///
/// Every field is optional: a missing field takes the value of the [`profile`](Self::profile)
/// (by default [`Profile::Nist80063b4`]). [`resolve`](Self::resolve) checks the result and
/// gives the [`ResolvedPasswordPolicy`] the checks read.
///
/// ```json
/// { "profile": "composition", "minLength": 10, "expiryDays": 90 }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PasswordPolicy {
    /// The defaults the other fields override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    /// Minimum length in Unicode code points (after NFKC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<usize>,
    /// Minimum length when the password is used with multi-factor authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length_with_mfa: Option<usize>,
    /// Maximum length in Unicode code points (after NFKC); longer passwords are refused,
    /// never truncated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<usize>,
    /// Requires an upper-case letter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_upper: Option<bool>,
    /// Requires a lower-case letter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_lower: Option<bool>,
    /// Requires a digit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_digit: Option<bool>,
    /// Requires a special character.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_special: Option<bool>,
    /// Refuses common passwords.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocklist: Option<bool>,
    /// Refuses passwords that contain or resemble the user's own data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub similarity: Option<bool>,
    /// Days after which a password expires (R003-06); absent: never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_days: Option<u32>,
    /// argon2id parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<HashParams>,
}

/// A password policy with every value decided and checked, from
/// [`PasswordPolicy::resolve`] or [`Profile::resolved`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedPasswordPolicy {
    pub(crate) profile: Profile,
    pub(crate) min_length: usize,
    pub(crate) min_length_with_mfa: usize,
    pub(crate) max_length: usize,
    pub(crate) require_upper: bool,
    pub(crate) require_lower: bool,
    pub(crate) require_digit: bool,
    pub(crate) require_special: bool,
    pub(crate) blocklist: bool,
    pub(crate) similarity: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) expiry_days: Option<u32>,
    pub(crate) hash: ResolvedHashParams,
}

impl Default for ResolvedPasswordPolicy {
    /// The NIST SP 800-63B-4 profile.
    fn default() -> Self {
        Profile::default().resolved()
    }
}

impl ResolvedPasswordPolicy {
    /// The profile the policy started from.
    pub fn profile(&self) -> Profile {
        self.profile
    }
    /// Minimum length in code points for a single-factor password.
    pub fn min_length(&self) -> usize {
        self.min_length
    }
    /// Minimum length in code points when used with multi-factor authentication.
    pub fn min_length_with_mfa(&self) -> usize {
        self.min_length_with_mfa
    }
    /// The minimum length that applies, with or without MFA.
    pub fn effective_min_length(&self, mfa: bool) -> usize {
        if mfa {
            self.min_length_with_mfa
        } else {
            self.min_length
        }
    }
    /// Maximum length in code points.
    pub fn max_length(&self) -> usize {
        self.max_length
    }
    /// Whether an upper-case letter is required.
    pub fn require_upper(&self) -> bool {
        self.require_upper
    }
    /// Whether a lower-case letter is required.
    pub fn require_lower(&self) -> bool {
        self.require_lower
    }
    /// Whether a digit is required.
    pub fn require_digit(&self) -> bool {
        self.require_digit
    }
    /// Whether a special character is required.
    pub fn require_special(&self) -> bool {
        self.require_special
    }
    /// Whether common passwords are refused.
    pub fn blocklist(&self) -> bool {
        self.blocklist
    }
    /// Whether passwords resembling the user's data are refused.
    pub fn similarity(&self) -> bool {
        self.similarity
    }
    /// Days after which a password expires (R003-06), if it does.
    pub fn expiry_days(&self) -> Option<u32> {
        self.expiry_days
    }
    /// The argon2id parameters.
    pub fn hash(&self) -> ResolvedHashParams {
        self.hash
    }
    /// How many character classes the policy requires.
    pub fn required_classes(&self) -> usize {
        [
            self.require_upper,
            self.require_lower,
            self.require_digit,
            self.require_special,
        ]
        .iter()
        .filter(|b| **b)
        .count()
    }
}

/// Why a [`PasswordPolicy`] cannot be resolved. [`key`](Self::key) names the offending
/// field (camelCase; `hash.memoryKib` for a field of `hash`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PasswordPolicyError {
    /// A value below its lower bound.
    #[error("`{key}` must be at least {min} (it is {actual})")]
    TooSmall {
        /// The field.
        key: &'static str,
        /// The lower bound.
        min: u64,
        /// The value given.
        actual: u64,
    },
    /// A value above its upper bound.
    #[error("`{key}` must be at most {max} (it is {actual})")]
    TooLarge {
        /// The field.
        key: &'static str,
        /// The upper bound.
        max: u64,
        /// The value given.
        actual: u64,
    },
    /// `minLength` greater than `maxLength`.
    #[error("`minLength` ({min}) must not exceed `maxLength` ({max})")]
    MinExceedsMax {
        /// The minimum length.
        min: usize,
        /// The maximum length.
        max: usize,
    },
    /// `minLengthWithMfa` greater than `minLength`.
    #[error("`minLengthWithMfa` ({mfa}) must not exceed `minLength` ({min})")]
    MfaMinExceedsMin {
        /// The MFA minimum length.
        mfa: usize,
        /// The single-factor minimum length.
        min: usize,
    },
    /// `maxLength` too small to hold one character of each required class.
    #[error("`maxLength` ({max}) cannot hold the {classes} required character classes")]
    MaxBelowClasses {
        /// The maximum length.
        max: usize,
        /// The number of required classes.
        classes: usize,
    },
    /// A setting that NIST SP 800-63B-4 forbids, under the `nist-800-63b-4` profile.
    #[error("`{key}` {reason} under the `nist-800-63b-4` profile (use the `composition` profile)")]
    NistConflict {
        /// The field.
        key: &'static str,
        /// What NIST demands, e.g. `must be at least 64`.
        reason: &'static str,
    },
    /// argon2id costs below every OWASP configuration.
    #[error(
        "`hash` costs (memoryKib {memory_kib}, iterations {iterations}) are below every OWASP argon2id configuration (e.g. memoryKib 19456 with iterations 2)"
    )]
    WeakHash {
        /// Memory in KiB.
        memory_kib: u32,
        /// Number of passes.
        iterations: u32,
    },
    /// The hash's memory times its passes is above [`MAX_HASH_COST_KIB`].
    #[error(
        "`hash` costs (memoryKib {memory_kib} × iterations {iterations}) are above the limit of {max} KiB passes (e.g. memoryKib 19456 with iterations 2)"
    )]
    CostlyHash {
        /// Memory in KiB.
        memory_kib: u32,
        /// Number of passes.
        iterations: u32,
        /// [`MAX_HASH_COST_KIB`].
        max: u64,
    },
}

impl PasswordPolicyError {
    /// The camelCase key of the offending field (`hash.memoryKib` for a field of `hash`,
    /// `hash` when the combination of its fields is at fault).
    pub fn key(&self) -> &'static str {
        match self {
            PasswordPolicyError::TooSmall { key, .. }
            | PasswordPolicyError::TooLarge { key, .. }
            | PasswordPolicyError::NistConflict { key, .. } => key,
            PasswordPolicyError::MinExceedsMax { .. } => "minLength",
            PasswordPolicyError::MfaMinExceedsMin { .. } => "minLengthWithMfa",
            PasswordPolicyError::MaxBelowClasses { .. } => "maxLength",
            PasswordPolicyError::WeakHash { .. } | PasswordPolicyError::CostlyHash { .. } => "hash",
        }
    }
}

fn at_least(key: &'static str, value: u64, min: u64) -> Result<(), PasswordPolicyError> {
    if value < min {
        Err(PasswordPolicyError::TooSmall {
            key,
            min,
            actual: value,
        })
    } else {
        Ok(())
    }
}

fn at_most(key: &'static str, value: u64, max: u64) -> Result<(), PasswordPolicyError> {
    if value > max {
        Err(PasswordPolicyError::TooLarge {
            key,
            max,
            actual: value,
        })
    } else {
        Ok(())
    }
}

fn to_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

impl PasswordPolicy {
    /// A policy with only a profile.
    pub fn from_profile(profile: Profile) -> Self {
        PasswordPolicy {
            profile: Some(profile),
            ..PasswordPolicy::default()
        }
    }

    /// Fills every missing field from the profile and checks the result.
    ///
    /// Refused: a length of 0, `maxLength` above 4096, `minLength` above `maxLength`,
    /// `minLengthWithMfa` above `minLength`, `maxLength` too small for the required
    /// character classes, `expiryDays` of 0 or above 3650, argon2id costs below OWASP's
    /// configurations or above 256 MiB / 64 passes / 16 lanes / 512 MiB passes in all
    /// ([`MAX_HASH_COST_KIB`]); and under the NIST profile,
    /// whatever SP 800-63B-4 forbids: `minLength` below 15, `minLengthWithMfa` below 8,
    /// `maxLength` below 64, composition rules, the blocklist turned off, and expiry.
    ///
    /// Under the composition profile, `minLengthWithMfa` defaults to `minLength` (MFA does
    /// not relax composition rules); under NIST it defaults to 8.
    pub fn resolve(&self) -> Result<ResolvedPasswordPolicy, PasswordPolicyError> {
        let profile = self.profile.unwrap_or_default();
        let base = profile.resolved();
        let min_length = self.min_length.unwrap_or(base.min_length);
        let min_length_with_mfa = match (self.min_length_with_mfa, profile) {
            (Some(n), _) => n,
            (None, Profile::Nist80063b4) => base.min_length_with_mfa.min(min_length),
            (None, Profile::Composition) => min_length,
        };
        let max_length = self.max_length.unwrap_or(base.max_length);
        let hash_in = self.hash.clone().unwrap_or_default();
        let hash = ResolvedHashParams {
            memory_kib: hash_in.memory_kib.unwrap_or(base.hash.memory_kib),
            iterations: hash_in.iterations.unwrap_or(base.hash.iterations),
            parallelism: hash_in.parallelism.unwrap_or(base.hash.parallelism),
        };
        let resolved = ResolvedPasswordPolicy {
            profile,
            min_length,
            min_length_with_mfa,
            max_length,
            require_upper: self.require_upper.unwrap_or(base.require_upper),
            require_lower: self.require_lower.unwrap_or(base.require_lower),
            require_digit: self.require_digit.unwrap_or(base.require_digit),
            require_special: self.require_special.unwrap_or(base.require_special),
            blocklist: self.blocklist.unwrap_or(base.blocklist),
            similarity: self.similarity.unwrap_or(base.similarity),
            expiry_days: self.expiry_days,
            hash,
        };
        check(&resolved)?;
        Ok(resolved)
    }
}

fn check(p: &ResolvedPasswordPolicy) -> Result<(), PasswordPolicyError> {
    at_least("minLength", to_u64(p.min_length), 1)?;
    at_least("minLengthWithMfa", to_u64(p.min_length_with_mfa), 1)?;
    at_least("maxLength", to_u64(p.max_length), 1)?;
    at_most("maxLength", to_u64(p.max_length), to_u64(MAX_LENGTH_LIMIT))?;
    if p.min_length > p.max_length {
        return Err(PasswordPolicyError::MinExceedsMax {
            min: p.min_length,
            max: p.max_length,
        });
    }
    if p.min_length_with_mfa > p.min_length {
        return Err(PasswordPolicyError::MfaMinExceedsMin {
            mfa: p.min_length_with_mfa,
            min: p.min_length,
        });
    }
    if p.max_length < p.required_classes() {
        return Err(PasswordPolicyError::MaxBelowClasses {
            max: p.max_length,
            classes: p.required_classes(),
        });
    }
    if let Some(days) = p.expiry_days {
        at_least("expiryDays", u64::from(days), 1)?;
        at_most("expiryDays", u64::from(days), u64::from(MAX_EXPIRY_DAYS))?;
    }
    let h = p.hash;
    at_least("hash.parallelism", u64::from(h.parallelism), 1)?;
    at_most(
        "hash.parallelism",
        u64::from(h.parallelism),
        u64::from(MAX_PARALLELISM),
    )?;
    at_least("hash.iterations", u64::from(h.iterations), 1)?;
    at_most(
        "hash.iterations",
        u64::from(h.iterations),
        u64::from(MAX_ITERATIONS),
    )?;
    at_most(
        "hash.memoryKib",
        u64::from(h.memory_kib),
        u64::from(MAX_MEMORY_KIB),
    )?;
    if !OWASP_ARGON2ID_MINIMUMS
        .iter()
        .any(|&(m, t)| h.memory_kib >= m && h.iterations >= t)
    {
        return Err(PasswordPolicyError::WeakHash {
            memory_kib: h.memory_kib,
            iterations: h.iterations,
        });
    }
    if u64::from(h.memory_kib) * u64::from(h.iterations) > MAX_HASH_COST_KIB {
        return Err(PasswordPolicyError::CostlyHash {
            memory_kib: h.memory_kib,
            iterations: h.iterations,
            max: MAX_HASH_COST_KIB,
        });
    }
    if p.profile == Profile::Nist80063b4 {
        let nist = |key, reason| Err(PasswordPolicyError::NistConflict { key, reason });
        if p.min_length < NIST_MIN_LENGTH {
            return nist("minLength", "must be at least 15");
        }
        if p.min_length_with_mfa < NIST_MIN_LENGTH_WITH_MFA {
            return nist("minLengthWithMfa", "must be at least 8");
        }
        if p.max_length < NIST_MIN_MAX_LENGTH {
            return nist("maxLength", "must be at least 64");
        }
        for (key, on) in [
            ("requireUpper", p.require_upper),
            ("requireLower", p.require_lower),
            ("requireDigit", p.require_digit),
            ("requireSpecial", p.require_special),
        ] {
            if on {
                return nist(key, "must not be set: composition rules are not allowed");
            }
        }
        if !p.blocklist {
            return nist("blocklist", "must not be turned off");
        }
        if p.expiry_days.is_some() {
            return nist(
                "expiryDays",
                "must not be set: periodic password changes are not allowed",
            );
        }
    }
    Ok(())
}
