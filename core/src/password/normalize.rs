//! Text normalisations shared by the checks, the blocklist and hashing.

/// NFKC, the normalisation NIST SP 800-63B-4 recommends before checking and hashing a
/// password. Never truncates.
pub(crate) use crate::unicode::nfkc;

/// Undoes simple leet speak: `0`→o, `1`→`one`, `3`→e, `4`→a, `5`→s, `7`→t, `@`→a, `$`→s,
/// `!`→i. `1` stands for both `i` and `l`, so callers try both.
pub(crate) fn leet(s: &str, one: char) -> String {
    s.chars()
        .map(|c| match c {
            '0' => 'o',
            '1' => one,
            '3' => 'e',
            '4' => 'a',
            '5' => 's',
            '7' => 't',
            '@' => 'a',
            '$' => 's',
            '!' => 'i',
            other => other,
        })
        .collect()
}

/// The lower-cased password and its two leet readings (`1` as `i`, `1` as `l`), without
/// duplicates.
pub(crate) fn lower_and_leet(lower: &str) -> Vec<String> {
    let mut out = vec![lower.to_owned()];
    if !lower.contains(['0', '1', '3', '4', '5', '7', '@', '$', '!']) {
        return out;
    }
    for one in ['i', 'l'] {
        let v = leet(lower, one);
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}
