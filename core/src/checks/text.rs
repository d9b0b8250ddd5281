//! Text normalisation and character checks shared by every text-like field.

use std::borrow::Cow;

/// Characters that are invisible or reorder text, as ranges: refused in every text field
/// because they let two different values look the same, or a blank one look filled: the
/// soft hyphen, the combining grapheme joiner (U+034F), the Arabic letter mark (U+061C),
/// Hangul fillers (U+115F, U+1160, U+3164, U+FFA0), Khmer inherent vowels (U+17B4-5),
/// zero-width characters and marks (U+200B-F), bidi embeddings and overrides (U+202A-E),
/// invisible operators (U+2060-4), bidi isolates and deprecated format controls
/// (U+2066-F), the Braille blank (U+2800), the byte order mark, interlinear annotation
/// (U+FFF9-B), musical format controls (U+1D173-A) and tag characters (U+E0000-7F, which
/// can carry hidden text; the subdivision flags they spell, England's among them, are
/// refused with them). Not among them: emoji variation selectors (U+FE00-F) and
/// Mongolian ones (U+180B-F), which change how a visible character is drawn and which
/// Mongolian script needs. One table, read by [`is_invisible_format`] and by the forms
/// build's character classes (`crate::forms`).
pub(crate) const INVISIBLE_FORMAT: [(char, char); 16] = [
    ('\u{00AD}', '\u{00AD}'),
    ('\u{034F}', '\u{034F}'),
    ('\u{061C}', '\u{061C}'),
    ('\u{115F}', '\u{1160}'),
    ('\u{17B4}', '\u{17B5}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{202A}', '\u{202E}'),
    ('\u{2060}', '\u{2064}'),
    ('\u{2066}', '\u{206F}'),
    ('\u{2800}', '\u{2800}'),
    ('\u{3164}', '\u{3164}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFA0}', '\u{FFA0}'),
    ('\u{FFF9}', '\u{FFFB}'),
    ('\u{1D173}', '\u{1D17A}'),
    ('\u{E0000}', '\u{E007F}'),
];

/// Whether `c` is one of [`INVISIBLE_FORMAT`].
pub(crate) fn is_invisible_format(c: char) -> bool {
    c >= '\u{00AD}' && INVISIBLE_FORMAT.iter().any(|&(a, b)| (a..=b).contains(&c))
}

/// [`INVISIBLE_FORMAT`] as the body of a JavaScript `RegExp` character class (`u` or `v`
/// flag): `\u{ad}\u{34f}...\u{e0000}-\u{e007f}`.
pub(crate) fn invisible_format_class() -> String {
    let mut out = String::new();
    for (a, b) in INVISIBLE_FORMAT {
        if a == b {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(a)));
        } else {
            out.push_str(&format!(
                "\\u{{{:x}}}-\\u{{{:x}}}",
                u32::from(a),
                u32::from(b)
            ));
        }
    }
    out
}

/// Markup characters refused in names.
fn is_markup(c: char) -> bool {
    matches!(c, '<' | '>' | '&' | '"' | '\\' | '{' | '}')
}

/// The distinct prohibited characters of `s`, as printable descriptions (`U+0007`, `<`), in
/// order of first appearance; empty when the text is clean. `markup` also refuses markup
/// characters (names).
#[inline]
pub fn prohibited_characters(s: &str, markup: bool) -> Vec<String> {
    // Fast path, inlined into the caller: printable ASCII without markup (the common case)
    // has nothing to report.
    if plain_ascii(s.as_bytes(), markup) {
        return Vec::new();
    }
    prohibited_in(s, markup)
}

/// [`prohibited_characters`] of a text that is not plain ASCII.
#[inline(never)]
fn prohibited_in(s: &str, markup: bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in s.chars() {
        let bad = c.is_control() || is_invisible_format(c) || (markup && is_markup(c));
        if bad {
            let shown = if c.is_control() || is_invisible_format(c) {
                code_point(c)
            } else {
                c.to_string()
            };
            if !out.contains(&shown) {
                out.push(shown);
            }
        }
    }
    out
}

/// `c` as `U+` and at least four upper-case hex digits (`U+0007`, `U+202E`), as
/// `format!("U+{:04X}")` writes it, without the formatting machinery.
fn code_point(c: char) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let n = c as u32;
    let digits = (32 - n.leading_zeros()).div_ceil(4).max(4);
    let mut out = String::with_capacity(2 + digits as usize);
    out.push_str("U+");
    for shift in (0..digits).rev() {
        let nibble = (n >> (shift * 4)) & 0xF;
        out.push(char::from(
            HEX.get(nibble as usize).copied().unwrap_or(b'0'),
        ));
    }
    out
}

/// Whether every byte is printable ASCII (`0x20..=0x7e`) and, with `markup`, none is a
/// markup character of [`is_markup`]: eight bytes at a time (the classic "has a byte less
/// than" and "has a zero byte" word tricks, exact for "any"), the tail by [`ASCII_CLASS`].
#[inline]
fn plain_ascii(bytes: &[u8], markup: bool) -> bool {
    use crate::swar::{HIGH, ONES, below, equal};
    let plain = |chunk: &[u8]| {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        // Below 0x20 (borrows), 0x80 and above (its own high bit), 0x7f (+1 sets it).
        if (below(x, 0x20) | x | x.wrapping_add(ONES)) & HIGH != 0 {
            return false;
        }
        !(markup
            && [b'<', b'>', b'&', b'"', b'\\', b'{', b'}']
                .iter()
                .any(|&m| equal(x, m) != 0))
    };
    let mut chunks = bytes.chunks_exact(8);
    if !chunks.all(plain) {
        return false;
    }
    let tail = chunks.remainder();
    if tail.is_empty() {
        return true;
    }
    // A text of eight bytes or more: its last eight bytes (overlapping the words above)
    // in one word rather than its last few one by one.
    if let Some(last) = bytes.len().checked_sub(8).and_then(|at| bytes.get(at..)) {
        return plain(last);
    }
    let refused = if markup { 3 } else { 1 };
    tail.iter()
        .all(|&b| ASCII_CLASS.get(usize::from(b)).copied().unwrap_or(1) & refused == 0)
}

/// Per byte: bit 0 set when the byte is not printable ASCII (controls, DEL, any byte of a
/// non-ASCII character), bit 1 when it is a markup character of [`is_markup`].
#[allow(
    clippy::indexing_slicing,
    reason = "const construction of a 256-entry table indexed by bytes and ASCII literals"
)]
static ASCII_CLASS: [u8; 256] = {
    let mut t = [1u8; 256];
    let mut b = 0x20;
    while b < 0x7f {
        t[b] = 0;
        b += 1;
    }
    t[b'<' as usize] = 2;
    t[b'>' as usize] = 2;
    t[b'&' as usize] = 2;
    t[b'"' as usize] = 2;
    t[b'\\' as usize] = 2;
    t[b'{' as usize] = 2;
    t[b'}' as usize] = 2;
    t
};

/// `s.trim()`, answered from the first and last bytes when both are ASCII and not white
/// space (nothing to trim: the common case), without decoding characters.
#[inline]
pub fn trim(s: &str) -> &str {
    let plain = |b: Option<&u8>| b.is_some_and(|&b| b.is_ascii() && !is_ascii_white_space(b));
    if plain(s.as_bytes().first()) && plain(s.as_bytes().last()) {
        s
    } else {
        s.trim()
    }
}

/// Whether an ASCII byte is white space as [`char::is_whitespace`] sees it (`\t` to `\r`
/// and the space; unlike [`u8::is_ascii_whitespace`], the vertical tab too).
fn is_ascii_white_space(b: u8) -> bool {
    b == b' ' || (0x09..=0x0d).contains(&b)
}

/// Length in Unicode code points.
#[inline]
pub fn code_points(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

/// Applies the field's normalisation: trimming, folding inner white space, letter case.
/// Borrows when nothing changes (the common case).
#[inline]
pub fn normalize<'a>(
    s: &'a str,
    trim: bool,
    collapse: bool,
    case: Option<crate::policy::Case>,
) -> Cow<'a, str> {
    let trimmed = if trim { self::trim(s) } else { s };
    if !collapse && case.is_none() {
        return Cow::Borrowed(trimmed);
    }
    // Inlined into the caller: one pass over ASCII text (the common case) tells whether
    // anything would change.
    if trimmed.is_ascii() && !ascii_needs_change(trimmed.as_bytes(), collapse, case) {
        return Cow::Borrowed(trimmed);
    }
    normalize_in(trimmed, collapse, case)
}

/// [`normalize`] of a trimmed text that changes or is not ASCII.
#[inline(never)]
fn normalize_in<'a>(
    trimmed: &'a str,
    collapse: bool,
    case: Option<crate::policy::Case>,
) -> Cow<'a, str> {
    let mut v: Cow<'a, str> = Cow::Borrowed(trimmed);
    if collapse && (v.contains(|c: char| c.is_whitespace() && c != ' ') || v.contains("  ")) {
        let mut out = String::with_capacity(v.len());
        let mut prev_space = false;
        for c in v.chars() {
            if c.is_whitespace() {
                if !prev_space {
                    out.push(' ');
                }
                prev_space = true;
            } else {
                out.push(c);
                prev_space = false;
            }
        }
        v = Cow::Owned(out);
    }
    match case {
        Some(crate::policy::Case::Lower) if v.chars().any(char::is_uppercase) => {
            Cow::Owned(v.to_lowercase())
        }
        Some(crate::policy::Case::Upper) if v.chars().any(char::is_lowercase) => {
            Cow::Owned(v.to_uppercase())
        }
        _ => v,
    }
}

/// Whether [`normalize`] would change an ASCII text: white space to fold (anything but a
/// single space) or letters in the wrong case.
#[inline]
fn ascii_needs_change(bytes: &[u8], collapse: bool, case: Option<crate::policy::Case>) -> bool {
    let mut prev_space = false;
    for &b in bytes {
        let change = match b {
            b' ' => collapse && prev_space,
            b'\t' | b'\n' | 0x0b | 0x0c | b'\r' => collapse,
            b'A'..=b'Z' => case == Some(crate::policy::Case::Lower),
            b'a'..=b'z' => case == Some(crate::policy::Case::Upper),
            _ => false,
        };
        if change {
            return true;
        }
        prev_space = b == b' ';
    }
    false
}

/// Folds common Latin accents to ASCII (`é` → `e`, `ß` → `ss`) and lower-cases, for naming
/// conventions. Characters with no folding are kept lower-cased.
pub fn fold_ascii_lower(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let f: &str = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => {
                "a"
            }
            'æ' | 'Æ' => "ae",
            'ç' | 'Ç' => "c",
            'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
            'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
            'ñ' | 'Ñ' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => {
                "o"
            }
            'œ' | 'Œ' => "oe",
            'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "u",
            'ý' | 'ÿ' | 'Ý' => "y",
            'ß' => "ss",
            _ => {
                out.extend(c.to_lowercase());
                continue;
            }
        };
        out.push_str(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Case;
    use proptest::prelude::*;

    /// The byte-at-a-time answer the word-at-a-time [`plain_ascii`] must equal.
    fn plain_by_table(bytes: &[u8], markup: bool) -> bool {
        let refused = if markup { 3 } else { 1 };
        bytes
            .iter()
            .all(|&b| ASCII_CLASS.get(usize::from(b)).copied().unwrap_or(1) & refused == 0)
    }

    #[test]
    fn a_code_point_is_written_as_format_writes_it() {
        let every_width = (0..=0x10_FFFF_u32)
            .step_by(97)
            .chain([0, 7, 0xF, 0x10, 0xFFF, 0x1000, 0xFFFF, 0x1_0000, 0x10_FFFF]);
        for c in every_width.filter_map(char::from_u32) {
            assert_eq!(code_point(c), format!("U+{:04X}", c as u32));
        }
    }

    #[test]
    fn plain_ascii_finds_every_byte_at_every_position() {
        for len in [1, 7, 8, 9, 16, 23] {
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut v = vec![b'a'; len];
                    if let Some(slot) = v.get_mut(at) {
                        *slot = b;
                    }
                    for markup in [false, true] {
                        assert_eq!(
                            plain_ascii(&v, markup),
                            plain_by_table(&v, markup),
                            "byte {b:#04x} at {at} of {len}, markup {markup}"
                        );
                    }
                }
            }
        }
    }

    proptest! {
        #[test]
        fn plain_ascii_is_the_table(bytes in proptest::collection::vec(any::<u8>(), 0..40), markup: bool) {
            prop_assert_eq!(plain_ascii(&bytes, markup), plain_by_table(&bytes, markup));
        }
    }

    #[test]
    fn trim_is_str_trim() {
        for s in [
            "",
            " ",
            "a",
            " a",
            "a ",
            "\u{b}a",
            "a\u{b}",
            "\u{a0}a",
            "a\u{3000}",
            "ab",
            "é",
            "\u{85}",
        ] {
            assert_eq!(trim(s), s.trim(), "{s:?}");
        }
        for b in 0u8..0x80 {
            assert_eq!(
                is_ascii_white_space(b),
                char::from(b).is_whitespace(),
                "{b}"
            );
        }
    }

    #[test]
    fn the_byte_table_agrees_with_the_character_rules() {
        for c in (0u32..0x100)
            .filter_map(char::from_u32)
            .chain(['\u{200B}', '\u{FEFF}', 'é'])
        {
            for markup in [false, true] {
                let bad = c.is_control() || is_invisible_format(c) || (markup && is_markup(c));
                let text = format!("ab{c}cd");
                assert_eq!(
                    !prohibited_characters(&text, markup).is_empty(),
                    bad,
                    "{c:?}"
                );
            }
        }
    }

    #[test]
    fn prohibited_characters_lists_each_once() {
        assert_eq!(
            prohibited_characters("Anne-Marie O'Brien", true),
            Vec::<String>::new()
        );
        assert_eq!(prohibited_characters("<b>Bob</b>", true), vec!["<", ">"]);
        assert_eq!(prohibited_characters("<b>", false), Vec::<String>::new());
        assert_eq!(
            prohibited_characters("a\u{7}b\u{202E}", false),
            vec!["U+0007", "U+202E"]
        );
    }

    #[test]
    fn normalisation_trims_collapses_and_cases() {
        assert_eq!(normalize("  Ab  ", true, false, None), "Ab");
        assert_eq!(normalize(" a \t b ", true, true, None), "a b");
        assert_eq!(normalize("AbC", true, false, Some(Case::Lower)), "abc");
        assert!(matches!(
            normalize("abc", true, false, Some(Case::Lower)),
            Cow::Borrowed(_)
        ));
        assert_eq!(code_points("Zoë"), 3);
    }

    #[test]
    fn folding_for_conventions() {
        assert_eq!(fold_ascii_lower("Hélène Müller"), "helene muller");
    }
}
