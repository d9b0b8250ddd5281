//! Unicode normalisation: NFKC of passwords (NIST SP 800-63B-4) and NFC and combining marks
//! of internationalised domain labels.
//!
//! With the feature `builtin-unicode` (a default), the tables are compiled in (the
//! `unicode-normalization` crate). Without it (the wasm forms build, where the tables are
//! about 70 KB gzipped of a module that should be small), the tables are data installed at
//! run time with [`install`]: the package's `unicode-tables.txt` asset, which is written from
//! the same crate ([`export`], `core/data/unicode-tables.txt`) so that both builds normalise
//! alike (the tests compare them on every code point). Normalisation is never skipped: before
//! the tables are installed, the form entry points refuse non-ASCII input with the error code
//! `unicode_tables_needed` ([`may_need_tables`]), and a text normalised without them anyway is
//! recorded ([`take_missed`]) and turns the answer into that error.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// The first line of the tables asset.
const HEADER: &str = "# warden unicode tables 1";

/// Why a tables asset was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TablesError(String);

impl std::fmt::Display for TablesError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not a Unicode tables asset: {}", self.0)
    }
}

impl std::error::Error for TablesError {}

/// The normalisation data: combining classes, full decompositions, primary composites and
/// combining-mark ranges (Hangul syllables are algorithmic, not listed).
#[derive(Debug, Default)]
pub(crate) struct Tables {
    /// Non-zero canonical combining classes, sorted by code point.
    ccc: Vec<(u32, u8)>,
    /// Full canonical decompositions: (code point, start, length) into `chars`, sorted.
    canonical: Vec<(u32, u32, u8)>,
    /// Full compatibility decompositions that differ from the canonical one, sorted.
    compat: Vec<(u32, u32, u8)>,
    chars: Vec<char>,
    /// Primary composites: ((first, second), composite), sorted.
    compose: Vec<((u32, u32), char)>,
    /// Combining marks (general category M), inclusive ranges, sorted.
    marks: Vec<(u32, u32)>,
}

// Hangul syllables (Unicode 3.12).
const S_BASE: u32 = 0xAC00;
const L_BASE: u32 = 0x1100;
const V_BASE: u32 = 0x1161;
const T_BASE: u32 = 0x11A7;
const L_COUNT: u32 = 19;
const V_COUNT: u32 = 21;
const T_COUNT: u32 = 28;
const N_COUNT: u32 = V_COUNT * T_COUNT;
const S_COUNT: u32 = L_COUNT * N_COUNT;

fn hex(s: &str) -> Result<u32, TablesError> {
    u32::from_str_radix(s, 16).map_err(|_| TablesError(format!("`{s}` is not a hex number")))
}

fn scalar(s: &str) -> Result<char, TablesError> {
    char::from_u32(hex(s)?).ok_or_else(|| TablesError(format!("`{s}` is not a scalar value")))
}

#[cfg_attr(feature = "builtin-unicode", allow(dead_code))]
impl Tables {
    /// Parses the asset (lines `c CP CCC`, `d CP CP...`, `k CP CP...`, `p A B C`,
    /// `m LO HI`, hex code points).
    pub(crate) fn parse(text: &str) -> Result<Tables, TablesError> {
        let mut lines = text.lines();
        if !lines.next().is_some_and(|l| l.starts_with(HEADER)) {
            return Err(TablesError("the first line is not the header".into()));
        }
        let mut t = Tables::default();
        for line in lines.filter(|l| !l.is_empty()) {
            let mut parts = line.split(' ');
            let kind = parts.next().unwrap_or_default();
            let args: Vec<&str> = parts.collect();
            let bad = || {
                TablesError(format!(
                    "bad line `{}`",
                    line.chars().take(40).collect::<String>()
                ))
            };
            match (kind, args.as_slice()) {
                ("c", [cp, class]) => {
                    let class: u8 = class.parse().map_err(|_| bad())?;
                    t.ccc.push((hex(cp)?, class));
                }
                ("d" | "k", [cp, seq @ ..]) if !seq.is_empty() && seq.len() <= 32 => {
                    let start = u32::try_from(t.chars.len()).map_err(|_| bad())?;
                    for c in seq {
                        t.chars.push(scalar(c)?);
                    }
                    let entry = (hex(cp)?, start, u8::try_from(seq.len()).map_err(|_| bad())?);
                    if kind == "d" {
                        t.canonical.push(entry);
                    } else {
                        t.compat.push(entry);
                    }
                }
                ("p", [a, b, c]) => t.compose.push(((hex(a)?, hex(b)?), scalar(c)?)),
                ("m", [lo, hi]) => t.marks.push((hex(lo)?, hex(hi)?)),
                _ => return Err(bad()),
            }
        }
        let sorted = t.ccc.is_sorted_by(|a, b| a.0 < b.0)
            && t.canonical.is_sorted_by(|a, b| a.0 < b.0)
            && t.compat.is_sorted_by(|a, b| a.0 < b.0)
            && t.compose.is_sorted_by(|a, b| a.0 < b.0)
            && t.marks.is_sorted_by(|a, b| a.1 < b.0);
        if !sorted || t.ccc.is_empty() || t.canonical.is_empty() || t.compose.is_empty() {
            return Err(TablesError("sections missing or out of order".into()));
        }
        Ok(t)
    }

    fn ccc(&self, c: char) -> u8 {
        self.ccc
            .binary_search_by_key(&u32::from(c), |e| e.0)
            .ok()
            .and_then(|i| self.ccc.get(i))
            .map_or(0, |e| e.1)
    }

    fn lookup(&self, list: &[(u32, u32, u8)], c: char) -> Option<&[char]> {
        let i = list.binary_search_by_key(&u32::from(c), |e| e.0).ok()?;
        let &(_, start, len) = list.get(i)?;
        let start = start as usize;
        self.chars.get(start..start + usize::from(len))
    }

    fn is_combining_mark(&self, c: char) -> bool {
        let c = u32::from(c);
        let i = self.marks.partition_point(|r| r.1 < c);
        self.marks.get(i).is_some_and(|r| r.0 <= c)
    }

    fn compose_pair(&self, a: char, b: char) -> Option<char> {
        let (a, b) = (u32::from(a), u32::from(b));
        // Hangul: L + V, then LV + T.
        if (L_BASE..L_BASE + L_COUNT).contains(&a) && (V_BASE..V_BASE + V_COUNT).contains(&b) {
            return char::from_u32(S_BASE + ((a - L_BASE) * V_COUNT + (b - V_BASE)) * T_COUNT);
        }
        if (S_BASE..S_BASE + S_COUNT).contains(&a)
            && (a - S_BASE).is_multiple_of(T_COUNT)
            && (T_BASE + 1..T_BASE + T_COUNT).contains(&b)
        {
            return char::from_u32(a + (b - T_BASE));
        }
        let i = self.compose.binary_search_by_key(&(a, b), |e| e.0).ok()?;
        self.compose.get(i).map(|e| e.1)
    }

    /// The full decomposition of `s`, canonically ordered.
    fn decompose(&self, s: &str, compat: bool) -> Vec<char> {
        let mut out: Vec<char> = Vec::with_capacity(s.len());
        for c in s.chars() {
            let u = u32::from(c);
            if (S_BASE..S_BASE + S_COUNT).contains(&u) {
                let i = u - S_BASE;
                let parts = [
                    char::from_u32(L_BASE + i / N_COUNT),
                    char::from_u32(V_BASE + (i % N_COUNT) / T_COUNT),
                    (!i.is_multiple_of(T_COUNT))
                        .then(|| char::from_u32(T_BASE + i % T_COUNT))
                        .flatten(),
                ];
                out.extend(parts.into_iter().flatten());
                continue;
            }
            let found = if compat {
                self.lookup(&self.compat, c)
                    .or_else(|| self.lookup(&self.canonical, c))
            } else {
                self.lookup(&self.canonical, c)
            };
            match found {
                Some(seq) => out.extend_from_slice(seq),
                None => out.push(c),
            }
        }
        // Canonical ordering: each run of non-starters, stably by combining class.
        let mut i = 0;
        while i < out.len() {
            let run = out.get(i..).map_or(0, |rest| {
                rest.iter().take_while(|&&c| self.ccc(c) != 0).count()
            });
            if run > 1
                && let Some(slice) = out.get_mut(i..i + run)
            {
                slice.sort_by_key(|&c| self.ccc(c));
            }
            i += run.max(1);
        }
        out
    }

    /// Canonical composition of a canonically ordered decomposition (UAX #15).
    fn compose(&self, chars: Vec<char>) -> String {
        let mut out: Vec<char> = Vec::with_capacity(chars.len());
        let mut starter: Option<usize> = None;
        // The class of the last character since the starter that did not combine.
        let mut last: Option<u8> = None;
        for c in chars {
            let class = self.ccc(c);
            if let Some(si) = starter {
                let blocked = last.is_some_and(|l| l == 0 || l >= class);
                if !blocked
                    && let Some(first) = out.get(si).copied()
                    && let Some(composite) = self.compose_pair(first, c)
                {
                    if let Some(slot) = out.get_mut(si) {
                        *slot = composite;
                    }
                    continue;
                }
            }
            if class == 0 {
                starter = Some(out.len());
                last = None;
            } else {
                last = Some(class);
            }
            out.push(c);
        }
        out.into_iter().collect()
    }

    pub(crate) fn nfkc(&self, s: &str) -> String {
        self.compose(self.decompose(s, true))
    }

    pub(crate) fn nfc(&self, s: &str) -> String {
        self.compose(self.decompose(s, false))
    }
}

/// The SHA-256 of the one tables asset this core reads (`core/data/unicode-tables.txt`; a
/// test keeps it current): a file cut short, edited, or written by another version of the
/// tables is refused, never installed to normalise differently from the full build.
const ASSET_SHA256: &str = "c33ca2ca22dab95ca2d1e786130eef4a6f30b38bee3fa2038e75ec7c002ee838";

/// The largest text [`install`] reads (the asset is about 110 KB).
pub const MAX_ASSET_BYTES: usize = 256 * 1024;

fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

static INSTALLED: OnceLock<Tables> = OnceLock::new();
static MISSED: AtomicBool = AtomicBool::new(false);

/// Installs the tables asset (`unicode-tables.txt`), once per process; installing again
/// does nothing (the first list stays). Builds with `builtin-unicode` check the text and
/// keep using their compiled-in tables.
///
/// # Errors
/// When the text is longer than [`MAX_ASSET_BYTES`], or is not this build's tables asset
/// (its SHA-256 differs), or does not parse.
pub fn install(text: &str) -> Result<(), TablesError> {
    if text.len() > MAX_ASSET_BYTES {
        return Err(TablesError(format!(
            "{} bytes, over the limit of {MAX_ASSET_BYTES}",
            text.len()
        )));
    }
    if sha256_hex(text) != ASSET_SHA256 {
        return Err(TablesError(
            "not this build's asset (its SHA-256 differs: a file cut short, edited, or of \
             another version; load the `unicode-tables.txt` of the same package)"
                .into(),
        ));
    }
    if INSTALLED.get().is_some() {
        return Ok(());
    }
    let tables = Tables::parse(text)?;
    let _ = INSTALLED.set(tables);
    Ok(())
}

/// Whether non-ASCII text can be normalised: always with `builtin-unicode`, else once
/// [`install`] has succeeded.
pub fn available() -> bool {
    cfg!(feature = "builtin-unicode") || INSTALLED.get().is_some()
}

/// Whether `text` (JSON text or plain text) may carry non-ASCII characters: non-ASCII
/// bytes, or a `\u` escape (any: the check errs on the side of loading the tables).
pub fn may_need_tables(text: &str) -> bool {
    !text.is_ascii() || text.contains("\\u")
}

/// Whether a normalisation ran without tables since the last call (and clears the record).
/// Never true with `builtin-unicode`.
pub fn take_missed() -> bool {
    MISSED.swap(false, Ordering::Relaxed)
}

#[cfg_attr(feature = "builtin-unicode", allow(dead_code))]
fn missed(s: &str) -> String {
    MISSED.store(true, Ordering::Relaxed);
    s.to_owned()
}

/// NFKC. ASCII text is already in NFKC. Never truncates.
pub(crate) fn nfkc(s: &str) -> String {
    if s.is_ascii() {
        return s.to_owned();
    }
    #[cfg(feature = "builtin-unicode")]
    {
        use unicode_normalization::UnicodeNormalization;
        s.nfkc().collect()
    }
    #[cfg(not(feature = "builtin-unicode"))]
    match INSTALLED.get() {
        Some(t) => t.nfkc(s),
        None => missed(s),
    }
}

/// NFC.
pub(crate) fn nfc(s: &str) -> String {
    if s.is_ascii() {
        return s.to_owned();
    }
    #[cfg(feature = "builtin-unicode")]
    {
        use unicode_normalization::UnicodeNormalization;
        s.nfc().collect()
    }
    #[cfg(not(feature = "builtin-unicode"))]
    match INSTALLED.get() {
        Some(t) => t.nfc(s),
        None => missed(s),
    }
}

/// Whether `c` is a combining mark (general category M).
pub(crate) fn is_combining_mark(c: char) -> bool {
    if c.is_ascii() {
        return false;
    }
    #[cfg(feature = "builtin-unicode")]
    {
        unicode_normalization::char::is_combining_mark(c)
    }
    #[cfg(not(feature = "builtin-unicode"))]
    match INSTALLED.get() {
        Some(t) => t.is_combining_mark(c),
        None => {
            let _ = missed("");
            false
        }
    }
}

/// The tables asset, written from the compiled-in tables (`core/data/unicode-tables.txt`
/// is this text; a test checks it).
#[cfg(feature = "builtin-unicode")]
pub fn export() -> String {
    use std::fmt::Write;
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char as uc;

    let (major, minor, patch) = unicode_normalization::UNICODE_VERSION;
    let mut out = format!(
        "{HEADER}, Unicode {major}.{minor}.{patch} (written by warden_core::unicode::export)\n"
    );
    let all = || (0..=0x10_FFFFu32).filter_map(char::from_u32);
    let hangul = |c: char| (S_BASE..S_BASE + S_COUNT).contains(&u32::from(c));
    let seq = |v: &[char]| {
        v.iter()
            .map(|c| format!("{:X}", u32::from(*c)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    for c in all() {
        let class = uc::canonical_combining_class(c);
        if class != 0 {
            let _ = writeln!(out, "c {:X} {class}", u32::from(c));
        }
    }
    let mut canon: Vec<char> = Vec::new();
    let mut compat: Vec<char> = Vec::new();
    for c in all().filter(|&c| !hangul(c)) {
        canon.clear();
        uc::decompose_canonical(c, |d| canon.push(d));
        if canon.as_slice() != [c] {
            let _ = writeln!(out, "d {:X} {}", u32::from(c), seq(&canon));
        }
    }
    for c in all().filter(|&c| !hangul(c)) {
        canon.clear();
        compat.clear();
        uc::decompose_canonical(c, |d| canon.push(d));
        uc::decompose_compatible(c, |d| compat.push(d));
        if compat != canon {
            let _ = writeln!(out, "k {:X} {}", u32::from(c), seq(&compat));
        }
    }
    // Primary composites: characters whose canonical decomposition has two or more
    // characters and that NFC gives back; their pair is found by the crate's `compose`.
    let mut pairs: Vec<((u32, u32), char)> = Vec::new();
    for c in all().filter(|&c| !hangul(c)) {
        canon.clear();
        uc::decompose_canonical(c, |d| canon.push(d));
        if canon.len() < 2 || c.to_string().nfc().ne(std::iter::once(c)) {
            continue;
        }
        for skip in (0..canon.len()).rev() {
            let Some(&b) = canon.get(skip) else { continue };
            let rest: String = canon
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != skip)
                .map(|(_, &d)| d)
                .collect();
            let mut first = rest.nfc();
            if let (Some(a), None) = (first.next(), first.next())
                && uc::compose(a, b) == Some(c)
            {
                pairs.push(((u32::from(a), u32::from(b)), c));
                break;
            }
        }
    }
    pairs.sort_unstable();
    for ((a, b), c) in pairs {
        let _ = writeln!(out, "p {a:X} {b:X} {:X}", u32::from(c));
    }
    let mut start: Option<u32> = None;
    for u in 0..=0x11_0000u32 {
        let mark = char::from_u32(u).is_some_and(uc::is_combining_mark);
        match (mark, start) {
            (true, None) => start = Some(u),
            (false, Some(s)) => {
                let _ = writeln!(out, "m {s:X} {:X}", u - 1);
                start = None;
            }
            _ => {}
        }
    }
    out
}

#[cfg(all(test, feature = "builtin-unicode"))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use proptest::prelude::*;
    use unicode_normalization::UnicodeNormalization;

    fn tables() -> &'static Tables {
        static T: OnceLock<Tables> = OnceLock::new();
        T.get_or_init(|| Tables::parse(&export()).expect("the exported tables parse"))
    }

    #[test]
    fn the_asset_is_the_export() {
        let asset = include_str!("../data/unicode-tables.txt");
        if std::env::var_os("WARDEN_WRITE_UNICODE_TABLES").is_some() {
            std::fs::write(
                concat!(env!("CARGO_MANIFEST_DIR"), "/data/unicode-tables.txt"),
                export(),
            )
            .expect("write");
            return;
        }
        assert!(
            asset == export(),
            "core/data/unicode-tables.txt is stale: rerun with WARDEN_WRITE_UNICODE_TABLES=1"
        );
        assert_eq!(
            sha256_hex(asset),
            ASSET_SHA256,
            "the asset changed: ASSET_SHA256 in core/src/unicode.rs must name it"
        );
    }

    /// Found in review: a cut, edited or oversized asset parsed and was installed.
    #[test]
    fn only_this_builds_asset_installs() {
        let asset = include_str!("../data/unicode-tables.txt");
        assert_eq!(install(asset), Ok(()));
        let cut = asset.get(..asset.len() / 2).unwrap_or_default();
        assert!(install(cut).is_err());
        let edited = asset.replacen('\n', "\n\n", 1);
        assert!(install(&edited).is_err());
        assert!(
            install(&asset.repeat(3))
                .unwrap_err()
                .to_string()
                .contains("over the limit")
        );
        assert!(install("").is_err());
    }

    #[test]
    fn every_code_point_normalises_as_the_crate_does() {
        let t = tables();
        for c in (0..=0x10_FFFFu32).filter_map(char::from_u32) {
            let s = c.to_string();
            assert_eq!(
                t.nfkc(&s),
                s.nfkc().collect::<String>(),
                "NFKC of U+{:X}",
                u32::from(c)
            );
            assert_eq!(
                t.nfc(&s),
                s.nfc().collect::<String>(),
                "NFC of U+{:X}",
                u32::from(c)
            );
            assert_eq!(
                t.is_combining_mark(c),
                unicode_normalization::char::is_combining_mark(c),
                "mark U+{:X}",
                u32::from(c)
            );
            // Decomposed forms exercise the composition.
            for form in [s.nfd().collect::<String>(), s.nfkd().collect::<String>()] {
                assert_eq!(
                    t.nfkc(&form),
                    form.nfkc().collect::<String>(),
                    "NFKC of {form:?}"
                );
                assert_eq!(
                    t.nfc(&form),
                    form.nfc().collect::<String>(),
                    "NFC of {form:?}"
                );
            }
        }
    }

    fn interesting() -> impl Strategy<Value = char> {
        prop_oneof![
            any::<char>(),
            (0x300u32..0x370).prop_map(|u| char::from_u32(u).unwrap_or('a')),
            (0x1100u32..0x1200).prop_map(|u| char::from_u32(u).unwrap_or('a')),
            (0xAC00u32..0xAC40).prop_map(|u| char::from_u32(u).unwrap_or('a')),
            (0xFF00u32..0xFFEF).prop_map(|u| char::from_u32(u).unwrap_or('a')),
            proptest::sample::select(vec![
                'a', 'e', 'o', 'A', 'ı', 'ſ', 'ϒ', 'ᄀ', '가', 'ே', 'ா', 'ৗ'
            ]),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        #[test]
        fn strings_normalise_as_the_crate_does(v in proptest::collection::vec(interesting(), 0..12)) {
            let s: String = v.into_iter().collect();
            prop_assert_eq!(tables().nfkc(&s), s.nfkc().collect::<String>());
            prop_assert_eq!(tables().nfc(&s), s.nfc().collect::<String>());
        }
    }

    #[test]
    fn bad_assets_are_refused() {
        assert!(Tables::parse("").is_err());
        assert!(Tables::parse("hello").is_err());
        assert!(Tables::parse(&format!("{HEADER}\nc 300 x\n")).is_err());
        assert!(Tables::parse(&format!("{HEADER}\nd 300\n")).is_err());
        assert!(Tables::parse(&format!("{HEADER}\nd D800 41\n")).is_err());
        assert!(Tables::parse(&format!("{HEADER}\nc 300 230\n")).is_err());
    }

    #[test]
    fn text_that_may_need_tables() {
        assert!(!may_need_tables(r#"{"password":"abc"}"#));
        assert!(may_need_tables(r#"{"password":"é"}"#));
        assert!(may_need_tables(r#"{"password":"\u00e9"}"#));
    }
}
