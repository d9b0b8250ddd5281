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
/// plus the byte offset of each entry, searched by binary search (about 15 comparisons for
/// the built-in list). This takes about 240 KB for the built-in list in two allocations,
/// against about 1 MB and 20,000 allocations for a `HashSet<Box<str>>`, which matters in
/// the browser build; a lookup stays in the microseconds.
#[derive(Clone, Default)]
pub struct Blocklist {
    text: Box<str>,
    starts: Box<[u32]>,
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
        Blocklist {
            text: joined.into_boxed_str(),
            starts: starts.into_boxed_slice(),
        }
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

    fn entry(&self, start: u32) -> &str {
        let rest = usize::try_from(start)
            .ok()
            .and_then(|s| self.text.get(s..))
            .unwrap_or_default();
        rest.split('\n').next().unwrap_or_default()
    }

    /// Whether `candidate` is exactly an entry (no normalisation).
    pub fn contains_exact(&self, candidate: &str) -> bool {
        self.starts
            .binary_search_by(|&s| self.entry(s).cmp(candidate))
            .is_ok()
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
