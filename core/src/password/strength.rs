//! A deterministic strength estimate for a password meter.
//!
//! The estimate is `effective length × log2(pool)`:
//!
//! - the pool is the sum of the sizes of the classes the password uses: ASCII lower case
//!   26, ASCII upper case 26, ASCII digits 10, ASCII symbols and space 33, anything else
//!   100;
//! - each character counts 1 towards the effective length, or 1/4 when it repeats the
//!   previous character (ignoring case) or continues a sequence from it (code point ±1),
//!   so `aaaa` and `abcd` weigh little.
//!
//! The score maps bits to 0..=4: below 28 bits 0, below 36 1, below 60 2, below 80 3,
//! else 4. [`check_password`](super::check_password) then sets the score to 0 when the
//! password is common, similar to the user's data, repetitive or has control characters,
//! and caps it at 1 when the policy refuses the password for another reason (length,
//! composition), so the meter never praises a password the form refuses.

/// Score thresholds in bits: a password reaches score `i + 1` at `THRESHOLDS[i]` bits.
pub const SCORE_THRESHOLDS_BITS: [f64; 4] = [28.0, 36.0, 60.0, 80.0];

/// The estimated entropy of an (already normalised) password, in bits, rounded to 0.1.
pub fn estimate_entropy_bits(password: &str) -> f64 {
    let (mut lower, mut upper, mut digit, mut symbol, mut other) =
        (false, false, false, false, false);
    let mut effective = 0.0_f64;
    let mut previous: Option<char> = None;
    for c in password.chars() {
        match c {
            'a'..='z' => lower = true,
            'A'..='Z' => upper = true,
            '0'..='9' => digit = true,
            ' '..='~' => symbol = true,
            _ => other = true,
        }
        let weak = previous.is_some_and(|p| {
            let (a, b) = (u32::from(p), u32::from(c));
            a.abs_diff(b) == 1 || p.to_lowercase().eq(c.to_lowercase())
        });
        effective += if weak { 0.25 } else { 1.0 };
        previous = Some(c);
    }
    let pool: u32 = [
        (lower, 26),
        (upper, 26),
        (digit, 10),
        (symbol, 33),
        (other, 100),
    ]
    .iter()
    .filter(|(used, _)| *used)
    .map(|(_, size)| size)
    .sum();
    if pool < 2 {
        return 0.0;
    }
    let bits = effective * f64::from(pool).log2();
    (bits * 10.0).round() / 10.0
}

/// The meter score (0..=4) of an entropy estimate, by [`SCORE_THRESHOLDS_BITS`].
pub fn score_for_bits(bits: f64) -> u8 {
    let reached = SCORE_THRESHOLDS_BITS.iter().filter(|t| bits >= **t).count();
    u8::try_from(reached).unwrap_or(4)
}
