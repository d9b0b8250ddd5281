//! The blocklist of common passwords (code `password_common`).

use std::borrow::Cow;

use super::blocklist_layout::{entries, entry_at, hash, layout};
use super::normalize::{lower_and_leet, nfkc};

/// A stem (the password without its leading/trailing digits and symbols) shorter than this
/// is not looked up: `k` + 14 random digits is not a common password.
const MIN_STEM_CHARS: usize = 4;

/// A set of common passwords, looked up after normalisation.
///
/// Stored as one string of the sorted, deduplicated, lower-cased entries joined by `\n`,
/// the byte offset of each entry, and an open-addressing hash table of entry numbers
/// (load factor at most 2/3; the crate's `password/blocklist_layout.rs`): about 300 KB
/// for the built-in list, against about 1 MB and 20,000 allocations for a
/// `HashSet<Box<str>>`, which matters in the browser build. A lookup is one hash and one
/// or two comparisons. The built-in list is laid out at compile time (static data: no
/// instance builds it); a list given as text is laid out when it is given.
#[derive(Clone, Default)]
pub struct Blocklist {
    text: Cow<'static, str>,
    starts: Cow<'static, [u32]>,
    /// Entry number + 1, or 0 for an empty slot; the length is a power of two.
    table: Cow<'static, [u32]>,
    /// The longest entry, in bytes: longer candidates are not looked up.
    max_len: usize,
}

#[cfg(feature = "builtin-blocklist")]
include!(concat!(env!("OUT_DIR"), "/blocklist.rs"));

impl std::fmt::Debug for Blocklist {
    /// Shows the size, not the 19,640 entries.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blocklist")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

impl Blocklist {
    /// Builds a blocklist from text with one password per line. Lines are trimmed,
    /// NFKC-normalised and lower-cased; blank lines are skipped (there are no comments: a
    /// line starting with `#` is a password).
    ///
    /// In a build without `builtin-unicode`, use [`Blocklist::try_from_text`]: before the
    /// Unicode tables are installed, non-ASCII lines cannot be normalised.
    pub fn from_text(text: &str) -> Self {
        let l = layout(&entries(text, nfkc));
        Blocklist {
            text: Cow::Owned(l.text),
            starts: Cow::Owned(l.starts),
            table: Cow::Owned(l.table),
            max_len: l.max_len,
        }
    }

    /// [`Blocklist::from_text`], or `None` when the text has non-ASCII lines and the
    /// Unicode tables are not available ([`crate::unicode::available`]): install them first.
    pub fn try_from_text(text: &str) -> Option<Self> {
        if !crate::unicode::available() && !text.is_ascii() {
            return None;
        }
        let _ = crate::unicode::take_missed();
        let list = Blocklist::from_text(text);
        (!crate::unicode::take_missed()).then_some(list)
    }

    /// The built-in list: Django's copy of Royce Williams' 19,640 common passwords
    /// (BSD-3-Clause, see `core/data/NOTICE.md`; crate feature `builtin-blocklist`, on
    /// by default; the browser build loads the same list as a separate asset and passes it
    /// to [`Policy::with_blocklist`](crate::Policy::with_blocklist)): static data, laid out
    /// when the crate is compiled.
    #[cfg(feature = "builtin-blocklist")]
    pub fn builtin() -> &'static Blocklist {
        static LIST: Blocklist = Blocklist {
            text: Cow::Borrowed(BUILTIN_TEXT),
            starts: Cow::Borrowed(&BUILTIN_STARTS),
            table: Cow::Borrowed(&BUILTIN_TABLE),
            max_len: BUILTIN_MAX_LEN,
        };
        &LIST
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether the list has no entry.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// Entry number `i`, which starts at byte `start`: it ends one byte before the next
    /// entry's start (the `\n`), or at the end of the text.
    fn entry_at(&self, i: usize, start: u32) -> &str {
        entry_at(&self.text, &self.starts, i, start)
    }

    /// Whether `candidate` is exactly an entry (no normalisation).
    pub fn contains_exact(&self, candidate: &str) -> bool {
        if candidate.len() > self.max_len || self.table.is_empty() {
            return false;
        }
        let mask = self.table.len() - 1;
        let mut slot = (hash(candidate) as usize) & mask;
        loop {
            match self.table.get(slot) {
                Some(&0) | None => return false,
                Some(&n) => {
                    let i = n as usize - 1;
                    if self
                        .starts
                        .get(i)
                        .is_some_and(|&start| self.entry_at(i, start) == candidate)
                    {
                        return true;
                    }
                }
            }
            slot = (slot + 1) & mask;
        }
    }

    /// Whether `candidate` is a common password once normalised.
    ///
    /// The candidate is NFKC-normalised and lower-cased; then it, its stem without trailing
    /// digits and symbols (`password123!` → `password`) and its stem without leading and
    /// trailing ones (`1password1` → `password`), stems of at least 4 characters, are looked
    /// up as they are and in their two leet readings (`0`→o, `1`→i or l, `3`→e, `4`→a,
    /// `5`→s, `7`→t, `@`→a, `$`→s, `!`→i), so `P@ssw0rd123!` hits `password`.
    pub fn contains(&self, candidate: &str) -> bool {
        let lower = nfkc(candidate).to_lowercase();
        let not_letter = |c: char| !c.is_alphabetic();
        let mut bases = vec![lower.as_str()];
        for stem in [
            lower.trim_end_matches(not_letter),
            lower.trim_matches(not_letter),
        ] {
            if stem.chars().count() >= MIN_STEM_CHARS && !bases.contains(&stem) {
                bases.push(stem);
            }
        }
        bases
            .iter()
            .flat_map(|b| lower_and_leet(b))
            .any(|v| self.contains_exact(&v))
    }
}

#[cfg(all(test, feature = "builtin-blocklist"))]
mod tests {
    use super::Blocklist;

    /// The list laid out at compile time (build.rs) is the one the same text gives at run
    /// time: the build script and the crate share the layout's code, and this holds them to
    /// the same normalisation.
    #[test]
    fn the_built_in_list_is_what_its_text_lays_out() {
        let built = Blocklist::builtin();
        let read = Blocklist::from_text(include_str!("../../data/common-passwords.txt"));
        assert_eq!(built.text, read.text);
        assert_eq!(built.starts, read.starts);
        assert_eq!(built.table, read.table);
        assert_eq!(built.max_len, read.max_len);
        assert_eq!(built.len(), 19_640);
    }
}
