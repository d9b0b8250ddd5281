//! A field's `pattern`, compiled: the `regex` crate's program, and beside it a direct
//! matcher for the shape most field patterns have.
//!
//! Identifiers, codes and reference numbers are mostly written as a run of literal
//! characters and ASCII classes, each repeated a fixed or bounded number of times:
//! `EMP-[0-9]{5}`, `[A-Z]{2}[0-9]{2,4}`, `\+[1-9][0-9]{7,14}`. Such a pattern, anchored to
//! the whole value, is decided by walking the value once, byte by byte, against the
//! pieces: no search engine, no cache to borrow, a few instructions per byte. The `regex`
//! program is still compiled (the limits and errors of a policy are the same with or
//! without the shortcut) and answers every pattern of another shape.
//!
//! The walk takes as many bytes as each piece allows (greedy), which is exact only when no
//! choice could matter: a piece of variable length must be the last one, or be followed by
//! a piece that needs at least one byte and shares no byte with it. Patterns outside that
//! rule (alternations, `.`, negated classes, non-ASCII text, anchors, look-arounds, nested
//! repetitions) keep the regex. `tests` below hold the walk equal to the regex on generated
//! patterns and values.

use regex::Regex;
use regex_syntax::hir::{Class, Hir, HirKind};

/// A compiled field pattern, anchored to the whole value.
#[derive(Debug, Clone)]
pub(crate) struct FieldPattern {
    regex: Regex,
    walk: Option<Walk>,
}

impl FieldPattern {
    /// `regex` is `pattern` compiled and anchored (`^(?:pattern)$`).
    pub(crate) fn new(pattern: &str, regex: Regex) -> FieldPattern {
        FieldPattern {
            walk: Walk::compile(pattern),
            regex,
        }
    }

    /// Whether the whole of `value` matches.
    pub(crate) fn is_match(&self, value: &str) -> bool {
        match &self.walk {
            Some(walk) => walk.is_match(value.as_bytes()),
            None => self.regex.is_match(value),
        }
    }
}

/// The work of matching `pattern` against a value of at most `chars` code points: the
/// size of the automaton it compiles to times the value's length in bytes (four a code
/// point at most: the automaton reads UTF-8). The size is estimated from the syntax tree:
/// each literal byte and assertion one state, each class four per range (a range of code
/// points compiles to up to four UTF-8 byte sequences) and 24 more when it reaches past
/// ASCII (`.` compiles to a UTF-8 automaton of its own), a repetition its body once per
/// repeat it allows (once more for an unbounded one; no more repeats than such a value's
/// bytes can hold), a concatenation or alternation one state more than its parts. The `regex` crate matches in time linear in the value, but when
/// its lazy DFA gives up on a pattern it falls back to simulating the automaton, whose
/// cost per byte grows with this size. A pattern longer than any such value can match
/// (`[a-z]{300}` against 255 characters) is refused by the crate before any matching: no
/// work. `None` when the pattern does not parse (the compiler reports that).
pub(crate) fn work(pattern: &str, chars: usize) -> Option<u64> {
    let hir = regex_syntax::ParserBuilder::new()
        .nest_limit(64)
        .build()
        .parse(pattern)
        .ok()?;
    let bytes = chars.saturating_mul(4);
    if hir
        .properties()
        .minimum_len()
        .is_some_and(|min| min > bytes)
    {
        return Some(0);
    }
    Some(states(&hir, bytes as u64).saturating_mul(bytes as u64))
}

/// The estimated states of `hir`'s automaton that a value of at most `bytes` bytes can
/// reach (see [`work`]).
fn states(hir: &Hir, bytes: u64) -> u64 {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => 1,
        HirKind::Literal(lit) => lit.0.len() as u64,
        HirKind::Class(Class::Unicode(c)) => {
            let beyond_ascii = c.ranges().last().is_some_and(|r| u32::from(r.end()) > 0x7F);
            4 * c.ranges().len() as u64 + if beyond_ascii { 24 } else { 0 }
        }
        HirKind::Class(Class::Bytes(c)) => c.ranges().len() as u64,
        HirKind::Repetition(rep) => {
            let allowed = match rep.max {
                Some(max) => u64::from(max),
                None => u64::from(rep.min) + 1,
            };
            let fit = match rep.sub.properties().minimum_len() {
                Some(min) if min > 0 => bytes / min as u64 + 1,
                _ => u64::MAX,
            };
            states(&rep.sub, bytes)
                .saturating_mul(allowed.min(fit).max(1))
                .saturating_add(1)
        }
        HirKind::Capture(cap) => states(&cap.sub, bytes),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => subs
            .iter()
            .fold(1u64, |n, s| n.saturating_add(states(s, bytes))),
    }
}

/// Most pieces a walk has; a longer pattern keeps the regex.
const MAX_PIECES: usize = 64;

/// A pattern as a sequence of pieces, each a set of ASCII bytes taken `min..=max` times.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Walk {
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Piece {
    /// Bit `b` of the 128 set when the ASCII byte `b` is in the piece's set.
    set: u128,
    /// `set` as two words, for [`Piece::contains`].
    words: [u64; 2],
    min: u32,
    max: u32,
}

impl Piece {
    fn contains(&self, b: u8) -> bool {
        // Two words, no 128-bit shift; bytes of 128 and above are in no set.
        let [low, high] = self.words;
        let word = match b >> 6 {
            0 => low,
            1 => high,
            _ => return false,
        };
        word >> (b & 63) & 1 != 0
    }
}

impl Walk {
    /// The walk of `pattern`, or `None` when it is not of the shape the walk decides
    /// exactly (or does not parse: the regex compiler then reports it).
    fn compile(pattern: &str) -> Option<Walk> {
        // The same parser settings as the `regex` crate's defaults (Unicode mode, UTF-8),
        // so the same syntax tree as the compiled program.
        let hir = regex_syntax::ParserBuilder::new()
            .nest_limit(64)
            .build()
            .parse(pattern)
            .ok()?;
        let mut pieces = Vec::new();
        flatten(&hir, &mut pieces)?;
        if pieces.len() > MAX_PIECES {
            return None;
        }
        // Greedy is exact when a variable piece is last, or is followed by a piece that
        // needs a byte and shares none with it: the byte that ends the run then cannot
        // belong to the variable piece, so no shorter run could match.
        for (i, p) in pieces.iter().enumerate() {
            if p.min != p.max
                && let Some(next) = pieces.get(i + 1)
                && (next.min == 0 || next.set & p.set != 0)
            {
                return None;
            }
        }
        Some(Walk { pieces })
    }

    fn is_match(&self, value: &[u8]) -> bool {
        let mut at: usize = 0;
        for p in &self.pieces {
            // A piece of exactly one byte (a literal, a class): one test.
            if p.max == 1 && p.min == 1 {
                if !value.get(at).is_some_and(|&b| p.contains(b)) {
                    return false;
                }
                at += 1;
                continue;
            }
            let start = at;
            let end = value.len().min(start.saturating_add(p.max as usize));
            while at < end && value.get(at).is_some_and(|&b| p.contains(b)) {
                at += 1;
            }
            if at - start < p.min as usize {
                return false;
            }
        }
        at == value.len()
    }
}

/// Appends the pieces of `hir`, or `None` when it has another shape.
fn flatten(hir: &Hir, out: &mut Vec<Piece>) -> Option<()> {
    match hir.kind() {
        HirKind::Empty => Some(()),
        HirKind::Literal(lit) => {
            for &b in lit.0.iter() {
                out.push(Piece::new(ascii_bit(b)?, 1, 1));
            }
            Some(())
        }
        HirKind::Class(class) => {
            out.push(Piece::new(class_set(class)?, 1, 1));
            Some(())
        }
        // Laziness does not change whether a whole-value match exists.
        HirKind::Repetition(rep) => {
            let set = match rep.sub.kind() {
                HirKind::Class(class) => class_set(class)?,
                HirKind::Literal(lit) => match &*lit.0 {
                    [b] => ascii_bit(*b)?,
                    _ => return None,
                },
                _ => return None,
            };
            out.push(Piece::new(set, rep.min, rep.max.unwrap_or(u32::MAX)));
            Some(())
        }
        HirKind::Capture(cap) => flatten(&cap.sub, out),
        HirKind::Concat(subs) => subs.iter().try_for_each(|s| flatten(s, out)),
        HirKind::Look(_) | HirKind::Alternation(_) => None,
    }
}

impl Piece {
    fn new(set: u128, min: u32, max: u32) -> Piece {
        #[allow(clippy::cast_possible_truncation, reason = "the two halves of the set")]
        let words = [set as u64, (set >> 64) as u64];
        Piece {
            set,
            words,
            min,
            max,
        }
    }
}

fn ascii_bit(b: u8) -> Option<u128> {
    (b < 128).then(|| 1u128 << b)
}

/// The class as a set of ASCII bytes, or `None` when it holds anything else.
fn class_set(class: &Class) -> Option<u128> {
    let mut set = 0u128;
    let mut add = |start: u32, end: u32| -> Option<()> {
        if end >= 128 {
            return None;
        }
        for b in start..=end {
            set |= 1u128 << b;
        }
        Some(())
    };
    match class {
        Class::Unicode(c) => {
            for r in c.ranges() {
                add(u32::from(r.start()), u32::from(r.end()))?;
            }
        }
        Class::Bytes(c) => {
            for r in c.ranges() {
                add(u32::from(r.start()), u32::from(r.end()))?;
            }
        }
    }
    Some(set)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use proptest::prelude::*;

    fn both(pattern: &str) -> (Option<Walk>, Regex) {
        (
            Walk::compile(pattern),
            Regex::new(&format!("^(?:{pattern})$")).unwrap(),
        )
    }

    #[test]
    fn common_field_patterns_take_the_walk() {
        for p in [
            "EMP-[0-9]{5}",
            "[A-Z]{2}[0-9]{2,4}",
            r"\+[1-9][0-9]{7,14}",
            "[a-z]+@[0-9]+",
            "(?-u:\\d){3}-(?-u:\\d){4}",
            "(?i-u:abc)[0-9]*",
            "[[:upper:]]{3}",
            "",
        ] {
            assert!(Walk::compile(p).is_some(), "{p}");
        }
    }

    #[test]
    fn other_shapes_keep_the_regex() {
        for p in [
            "ab|cd",
            ".{3}",
            "[^0-9]{3}",
            "é{2}",
            "[a-z]+[a-z0-9]",
            "[a-z]{1,3}x?y",
            "(ab){2}",
            "^abc",
            "a{2}(?:b+)+",
            "[",
        ] {
            assert!(Walk::compile(p).is_none(), "{p}");
        }
    }

    #[test]
    fn the_walk_decides_as_the_regex_on_edge_values() {
        let cases = [
            ("EMP-[0-9]{5}", "EMP-01234"),
            ("EMP-[0-9]{5}", "EMP-0123"),
            ("EMP-[0-9]{5}", "EMP-012345"),
            ("EMP-[0-9]{5}", "emp-01234"),
            ("EMP-[0-9]{5}", "EMP-0123٤"),
            (r"\+[1-9][0-9]{7,14}", "+33612345678"),
            (r"\+[1-9][0-9]{7,14}", "+0612345678"),
            (r"\+[1-9][0-9]{7,14}", "+3361234567890123"),
            ("[a-z]*", ""),
            ("", ""),
            ("", "a"),
            ("(?i-u:abc)[0-9]*", "aBc12"),
        ];
        for (p, v) in cases {
            let (walk, re) = both(p);
            assert_eq!(
                walk.unwrap().is_match(v.as_bytes()),
                re.is_match(v),
                "{p} on {v:?}"
            );
        }
    }

    /// Patterns built from the pieces the walk knows, some valid for it and some not,
    /// against values built from the same alphabet.
    fn piece() -> impl Strategy<Value = String> {
        let atom = prop_oneof![
            Just("a".to_owned()),
            Just("b".to_owned()),
            Just("-".to_owned()),
            Just("[ab]".to_owned()),
            Just("[0-9]".to_owned()),
            Just("[a-c0-1]".to_owned()),
            Just("(?-u:\\d)".to_owned()),
            Just("(?i-u:a)".to_owned()),
        ];
        let rep = prop_oneof![
            Just(String::new()),
            Just("?".to_owned()),
            Just("*".to_owned()),
            Just("+".to_owned()),
            Just("{2}".to_owned()),
            Just("{1,3}".to_owned()),
            Just("{0,2}".to_owned()),
            Just("*?".to_owned()),
        ];
        (atom, rep).prop_map(|(a, r)| format!("{a}{r}"))
    }

    /// A pattern of 0 to 5 pieces, values that match it (generated from it), near misses
    /// (one character more or fewer) and arbitrary values.
    fn pattern_and_values() -> impl Strategy<Value = (String, Vec<String>)> {
        proptest::collection::vec(piece(), 0..6).prop_flat_map(|pieces| {
            let pattern = pieces.concat();
            let matching = proptest::string::string_regex(&format!("(?:{pattern})"))
                .map(|g| proptest::collection::vec(g, 8).boxed())
                .unwrap_or_else(|_| Just(Vec::new()).boxed());
            let arbitrary = proptest::collection::vec("[ab0-9A\\-é]{0,10}", 8);
            (Just(pattern), matching, arbitrary).prop_map(|(p, matching, arbitrary)| {
                let mut values = arbitrary;
                for m in matching {
                    let mut shorter = m.clone();
                    shorter.pop();
                    values.extend([format!("{m}a"), format!("{m}0"), shorter, m]);
                }
                (p, values)
            })
        })
    }

    /// The property below only asserts on patterns that take the walk: most generated ones
    /// must, or it would prove little.
    #[test]
    fn most_generated_patterns_take_the_walk() {
        use proptest::strategy::ValueTree;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let strategy = pattern_and_values();
        let walked = (0..500)
            .filter(|_| {
                let (pattern, _) = strategy.new_tree(&mut runner).unwrap().current();
                Walk::compile(&pattern).is_some()
            })
            .count();
        assert!(
            walked >= 150,
            "only {walked} of 500 generated patterns take the walk"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]
        #[test]
        fn the_walk_decides_as_the_regex((pattern, values) in pattern_and_values()) {
            let (walk, re) = both(&pattern);
            if let Some(walk) = walk {
                for v in &values {
                    prop_assert_eq!(
                        walk.is_match(v.as_bytes()),
                        re.is_match(v),
                        "{} on {:?}",
                        pattern,
                        v
                    );
                }
            }
        }
    }
}
