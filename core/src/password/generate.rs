//! Temporary password generation (R004-05, R004-08).

use super::check::{PasswordContext, check_password_opt};
use super::policy::ResolvedPasswordPolicy;
use super::secret::Password;

/// A source of random numbers, supplied by the caller: the core has no RNG of its own.
///
/// Temporary passwords are secrets: pass a cryptographically secure generator (e.g. one
/// backed by `getrandom` or the browser's `crypto.getRandomValues`).
pub trait RandomSource {
    /// The next uniformly distributed 32-bit value.
    fn next_u32(&mut self) -> u32;
}

/// Upper-case letters without `I` and `O`.
const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
/// Lower-case letters without `l`.
const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
/// Digits without `0` and `1`.
const DIGITS: &[u8] = b"23456789";
/// Symbols that need no quoting in shells, URLs' query values or CSV.
const SPECIAL: &[u8] = b"!#$%&*+-=?@^_";
/// The default length of a generated password.
pub const DEFAULT_GENERATED_LENGTH: usize = 16;
/// Draws before the deterministic fallback.
const MAX_TRIES: usize = 64;
/// Rejected draws before `uniform` accepts a slightly biased value (only a broken RNG gets
/// there: the rejection zone is below 100 out of 2^32 values).
const MAX_REJECTIONS: usize = 64;

/// A uniform index in `0..n` (n ≥ 1) by rejection sampling.
fn uniform(rng: &mut dyn RandomSource, n: usize) -> usize {
    let Ok(n32) = u32::try_from(n) else {
        return 0;
    };
    if n32 <= 1 {
        return 0;
    }
    // Accept values below the largest multiple of n that fits in 2^32.
    let zone = (1_u64 << 32) - (1_u64 << 32) % u64::from(n32);
    let mut r = rng.next_u32();
    for _ in 0..MAX_REJECTIONS {
        if u64::from(r) < zone {
            break;
        }
        r = rng.next_u32();
    }
    usize::try_from(r % n32).unwrap_or(0)
}

fn pick(rng: &mut dyn RandomSource, set: &[u8]) -> char {
    set.get(uniform(rng, set.len()))
        .copied()
        .map_or('x', char::from)
}

/// The length a generated password gets: `length` (default 16), at least the policy's
/// `minLength`, at most its `maxLength`.
pub fn generated_length(policy: &ResolvedPasswordPolicy, length: Option<usize>) -> usize {
    length
        .unwrap_or(DEFAULT_GENERATED_LENGTH)
        .max(policy.min_length)
        .min(policy.max_length)
}

/// Generates a temporary password that `policy` accepts (R004-05; call again on each
/// reset, R004-08).
///
/// [`generated_length`] characters from an unambiguous alphabet (no `0`, `O`, `1`, `l`,
/// `I`): upper and lower case letters, digits 2-9 and `!#$%&*+-=?@^_`. One character of
/// each of the four classes is inserted at a random position (whatever the policy
/// requires, so the password also meets composition rules); every choice is uniform, by
/// rejection sampling. A draw that [`check_password`](super::check_password) refuses (blocklist, repetition) is
/// drawn again; after 64 refused draws (only with a broken RNG) a deterministic password
/// that passes the check is returned instead.
pub fn generate_password(
    policy: &ResolvedPasswordPolicy,
    rng: &mut dyn RandomSource,
    length: Option<usize>,
) -> Password {
    generate_password_with(policy, rng, length, &PasswordContext::default())
}

/// [`generate_password`], also re-drawing passwords that resemble the user's attributes in
/// `context` (the similarity rule).
pub fn generate_password_with(
    policy: &ResolvedPasswordPolicy,
    rng: &mut dyn RandomSource,
    length: Option<usize>,
    context: &PasswordContext<'_>,
) -> Password {
    let target = generated_length(policy, length);
    for _ in 0..MAX_TRIES {
        let candidate = draw(policy, rng, target);
        let report = check_password_opt(policy, &candidate, context, default_blocklist());
        if report
            .issues
            .iter()
            .all(|i| i.code == crate::violation::Code::PasswordCheckUnavailable)
        {
            return Password::new(candidate);
        }
    }
    Password::new(fallback(target))
}

fn classes_to_insert(policy: &ResolvedPasswordPolicy, target: usize) -> Vec<&'static [u8]> {
    let all: [(&'static [u8], bool); 4] = [
        (UPPER, policy.require_upper),
        (LOWER, policy.require_lower),
        (DIGITS, policy.require_digit),
        (SPECIAL, policy.require_special),
    ];
    if target >= all.len() {
        all.iter().map(|(set, _)| *set).collect()
    } else {
        all.iter()
            .filter(|(_, required)| *required)
            .map(|(set, _)| *set)
            .take(target)
            .collect()
    }
}

fn draw(policy: &ResolvedPasswordPolicy, rng: &mut dyn RandomSource, target: usize) -> String {
    let classes = classes_to_insert(policy, target);
    let alphabet: Vec<u8> = [UPPER, LOWER, DIGITS, SPECIAL].concat();
    let mut out: Vec<char> = (0..target.saturating_sub(classes.len()))
        .map(|_| pick(rng, &alphabet))
        .collect();
    for set in classes {
        let c = pick(rng, set);
        let at = uniform(rng, out.len() + 1).min(out.len());
        out.insert(at, c);
    }
    out.into_iter().collect()
}

/// A deterministic password of `target` characters: the classes in turn (upper, lower,
/// digit, special), each stepping through its set quadratically, so it is neither a
/// repetition of a short unit nor a sequence, nor a common password.
fn fallback(target: usize) -> String {
    let sets = [UPPER, LOWER, DIGITS, SPECIAL];
    (0..target)
        .map(|i| {
            let set = sets.get(i % 4).copied().unwrap_or(LOWER);
            let k = i / 4;
            let index = (5 * k * k + 3 * k + 1) % set.len().max(1);
            set.get(index).copied().map_or('x', char::from)
        })
        .collect()
}

#[cfg(test)]
pub(crate) fn fallback_for_tests(target: usize) -> String {
    fallback(target)
}

/// The built-in list when compiled in. Without it, generated passwords are still drawn from
/// a large alphabet at a length the policy accepts (a 16-character random draw is not on
/// any common-password list), but are checked without the list.
fn default_blocklist() -> Option<&'static super::Blocklist> {
    #[cfg(feature = "builtin-blocklist")]
    return Some(super::Blocklist::builtin());
    #[cfg(not(feature = "builtin-blocklist"))]
    None
}
