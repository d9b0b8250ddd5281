//! The blocklist of common passwords (code `password_common`).

use super::normalize::{lower_and_leet, nfkc};

/// The built-in list: Django's copy of Royce Williams' 19,640 common passwords
/// (BSD-3-Clause, see `core/data/NOTICE.md`).
#[cfg(feature = "builtin-blocklist")]
const BUILTIN: &str = include_str!("../../data/common-passwords.txt");

/// A stem (the password without its leading/trailing digits and symbols) shorter than this
/// is not looked up: `k` + 14 random digits is not a common password.
const MIN_STEM_CHARS: usize = 4;

/// A set of common passwords, looked up after normalisation.
///
/// Stored as one string of the sorted, deduplicated, lower-cased entries joined by `\n`,
/// the byte offset of each entry, and an open-addressing hash table of entry numbers
/// (load factor at most 2/3): about 300 KB for the built-in list in three allocations,
/// against about 1 MB and 20,000 allocations for a `HashSet<Box<str>>`, which matters in
/// the browser build. A lookup is one hash and one or two comparisons.
#[derive(Clone, Default)]
pub struct Blocklist {
    text: Box<str>,
    starts: Box<[u32]>,
    /// Entry number + 1, or 0 for an empty slot; the length is a power of two.
    table: Box<[u32]>,
    /// The longest entry, in bytes: longer candidates are not looked up.
    max_len: usize,
}

/// FNV-1a over the bytes: small, fast enough for short strings, no dependency.
fn hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

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
        let mut entries: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| nfkc(l).to_lowercase())
            .collect();
        entries.sort_unstable();
        entries.dedup();
        let mut joined = String::with_capacity(entries.iter().map(|e| e.len() + 1).sum());
        let mut starts = Vec::with_capacity(entries.len());
        for e in &entries {
            if !joined.is_empty() {
                joined.push('\n');
            }
            // Entries past 4 GiB of text are dropped rather than mis-indexed.
            let Ok(start) = u32::try_from(joined.len()) else {
                break;
            };
            joined.push_str(e);
            starts.push(start);
        }
        let max_len = entries.iter().map(String::len).max().unwrap_or(0);
        let mut list = Blocklist {
            text: joined.into_boxed_str(),
            starts: starts.into_boxed_slice(),
            table: Box::default(),
            max_len,
        };
        let cap = (list.starts.len() * 3 / 2 + 1).next_power_of_two();
        let mut table = vec![0u32; cap];
        let mask = cap - 1;
        for (i, &start) in list.starts.iter().enumerate() {
            let mut slot = (hash(list.entry_at(i, start)) as usize) & mask;
            while table.get(slot).is_some_and(|&x| x != 0) {
                slot = (slot + 1) & mask;
            }
            if let (Some(t), Ok(n)) = (table.get_mut(slot), u32::try_from(i + 1)) {
                *t = n;
            }
        }
        list.table = table.into_boxed_slice();
        list
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

    /// The built-in list of 19,640 common passwords, parsed once (crate feature
    /// `builtin-blocklist`, on by default; the browser build loads the same list as a
    /// separate asset and passes it to [`Policy::with_blocklist`](crate::Policy::with_blocklist)).
    #[cfg(feature = "builtin-blocklist")]
    pub fn builtin() -> &'static Blocklist {
        static LIST: std::sync::OnceLock<Blocklist> = std::sync::OnceLock::new();
        LIST.get_or_init(|| Blocklist::from_text(BUILTIN))
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
        let start = start as usize;
        let end = self
            .starts
            .get(i + 1)
            .map_or(self.text.len(), |&n| (n as usize).saturating_sub(1));
        self.text.get(start..end).unwrap_or_default()
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
