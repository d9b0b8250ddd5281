//! Byte scans eight bytes at a time (SWAR: one `u64` word per eight bytes, little-endian,
//! so the lowest flagged byte of a mask is the first in the text). The one home of these
//! word tricks: the JSON record reader, the JSON writer, the CSV reader and the text checks
//! use them.
//!
//! A mask has the high bit of a byte set when that byte matches. Masks marked *lowest
//! exact* may also flag bytes after the first match (a borrow runs upward), so only their
//! lowest set bit, or whether they are zero, may be read; [`equal_exact`] flags every
//! match and no other byte, so its bits may be counted.

/// `0x01` in every byte.
pub(crate) const ONES: u64 = u64::from_le_bytes([0x01; 8]);
/// `0x80` in every byte.
pub(crate) const HIGH: u64 = u64::from_le_bytes([0x80; 8]);

/// The bytes of `v` below `n` (at most `0x80`): lowest exact.
#[inline]
pub(crate) fn below(v: u64, n: u8) -> u64 {
    v.wrapping_sub(ONES.wrapping_mul(u64::from(n))) & !v & HIGH
}

/// The bytes of `v` equal to `b`: lowest exact.
#[inline]
pub(crate) fn equal(v: u64, b: u8) -> u64 {
    below(v ^ ONES.wrapping_mul(u64::from(b)), 1)
}

/// The bytes of `v` equal to `b`, every one exactly: each byte's test stays within its own
/// seven low bits, with no borrow or carry between bytes.
#[inline]
pub(crate) fn equal_exact(v: u64, b: u8) -> u64 {
    let low = v & !HIGH;
    let differs =
        (low ^ ONES.wrapping_mul(u64::from(b & 0x7f))).wrapping_add(ONES.wrapping_mul(0x7f));
    !differs & !(v ^ ONES.wrapping_mul(u64::from(b))) & HIGH
}

/// Whether JSON needs `b` escaped inside a string: `"`, `\` or a control character.
#[inline]
pub(crate) fn is_json_special(b: u8) -> bool {
    b == b'"' || b == b'\\' || b < 0x20
}

/// The bytes of `v` that [`is_json_special`]: lowest exact.
#[inline]
pub(crate) fn json_special(v: u64) -> u64 {
    equal(v, b'"') | equal(v, b'\\') | below(v, 0x20)
}

/// The position of the first byte of `bytes` that [`is_json_special`] (at or after which a
/// JSON string's text needs more than copying): the JSON reader's and writer's one scan.
#[inline]
pub(crate) fn json_special_position(bytes: &[u8]) -> Option<usize> {
    position(bytes, json_special, is_json_special)
}

/// The position of the first byte of `bytes` that `is` holds for, with `mask` (lowest
/// exact) flagging the same bytes of a word.
#[inline]
pub(crate) fn position(
    bytes: &[u8],
    mask: impl Fn(u64) -> u64,
    is: impl Fn(u8) -> bool,
) -> Option<usize> {
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let found = mask(u64::from_le_bytes(w));
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| is(b))
        .map(|p| at + p)
}

/// How many bytes of `bytes` are one of `set`.
pub(crate) fn count_of(bytes: &[u8], set: &[u8]) -> usize {
    count(
        bytes,
        |v| set.iter().fold(0, |m, &b| m | equal_exact(v, b)),
        |b| set.contains(&b),
    )
}

/// An upper bound of the line breaks (CR and LF) in `bytes`, in one test a word where
/// [`count_of`] with both would take two: the bytes `0x08..=0x0F`, which are CR, LF and the
/// controls backspace, tab, VT, FF, SO and SI (so it is exact for text without those).
pub(crate) fn count_line_breaks_at_most(bytes: &[u8]) -> usize {
    count(
        bytes,
        |v| equal_exact(v | ONES.wrapping_mul(0x07), 0x0F),
        |b| b | 0x07 == 0x0F,
    )
}

/// How many bytes of `bytes` `exact` flags, a mask that flags every match and no other
/// byte (as [`equal_exact`] does), `is` being the same test on one byte.
///
/// Each word's flags are added into eight byte-wide counters (a flag is one in its byte),
/// which are summed every 255 words, before any can overflow: two operations a word where
/// a population count is a dozen on a machine without one.
#[inline]
fn count(bytes: &[u8], exact: impl Fn(u64) -> u64, is: impl Fn(u8) -> bool) -> usize {
    /// Adds the eight byte-wide counters of `lanes`.
    fn sum(lanes: u64) -> usize {
        const LOW_BYTES: u64 = 0x00FF_00FF_00FF_00FF;
        let pairs = (lanes & LOW_BYTES) + ((lanes >> 8) & LOW_BYTES);
        (pairs.wrapping_mul(0x0001_0001_0001_0001) >> 48) as usize
    }
    let mut chunks = bytes.chunks_exact(8);
    let mut n = 0usize;
    let mut lanes = 0u64;
    let mut words = 0u32;
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        lanes += exact(u64::from_le_bytes(w)) >> 7;
        words += 1;
        if words == 255 {
            n += sum(lanes);
            lanes = 0;
            words = 0;
        }
    }
    n + sum(lanes) + chunks.remainder().iter().filter(|&&b| is(b)).count()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn the_lowest_flag_of_a_word_is_the_first_special_byte() {
        // Every special byte at every position, after every byte value.
        for special in (0u8..0x20).chain([b'"', b'\\']) {
            for position in 0..8 {
                for before in 0u8..=255 {
                    let mut word = [b'a'; 8];
                    let plain = if is_json_special(before) {
                        b'a'
                    } else {
                        before
                    };
                    for b in word.iter_mut().take(position) {
                        *b = plain;
                    }
                    word[position] = special;
                    for b in word.iter_mut().skip(position + 1) {
                        *b = before;
                    }
                    let found = json_special(u64::from_le_bytes(word));
                    assert_eq!((found.trailing_zeros() / 8) as usize, position, "{word:?}");
                }
            }
        }
        assert_eq!(json_special(u64::from_le_bytes(*b"plain \x7f\xff")), 0);
    }

    /// The counts agree with a plain loop, over texts long enough for the byte-wide
    /// counters to be summed several times (every byte a match: the fullest counters), and
    /// the line-break bound is exactly the bytes `0x08..=0x0F`.
    #[test]
    fn counts_agree_with_a_plain_loop() {
        let mut texts: Vec<Vec<u8>> = vec![
            Vec::new(),
            vec![b'\n'; 5000],
            vec![b'\r'; 2041],
            (0..=255u8).cycle().take(4099).collect(),
        ];
        for len in [1, 7, 8, 9, 2039, 2040, 2048, 4083] {
            texts.push(
                (0..len)
                    .map(|i| [b'\n', b'a', b'\r', b'\t', 0x8D][i % 5])
                    .collect(),
            );
        }
        for bytes in &texts {
            let plain = |f: fn(u8) -> bool| bytes.iter().filter(|&&b| f(b)).count();
            assert_eq!(
                count_of(bytes, b"\n\r"),
                plain(|b| b == b'\n' || b == b'\r')
            );
            assert_eq!(count_of(bytes, b"\n"), plain(|b| b == b'\n'));
            assert_eq!(count_of(bytes, b"[{"), plain(|b| b == b'[' || b == b'{'));
            let bound = count_line_breaks_at_most(bytes);
            assert_eq!(bound, plain(|b| (0x08..=0x0F).contains(&b)));
            assert!(bound >= plain(|b| b == b'\n' || b == b'\r'));
        }
    }

    #[test]
    fn exact_equality_flags_every_match_and_nothing_else() {
        for b in 0u8..=255 {
            for other in 0u8..=255 {
                let word = [other, b, other, b, b, other, other, b];
                let expected = word.iter().filter(|&&x| x == b).count() as u32;
                assert_eq!(
                    equal_exact(u64::from_le_bytes(word), b).count_ones(),
                    expected
                );
            }
        }
    }
}
