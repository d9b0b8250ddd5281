//! How a [`Blocklist`](super::Blocklist) lays out its entries: one string of the sorted,
//! deduplicated entries joined by `\n`, the byte offset of each, and an open-addressing hash
//! table of entry numbers. Shared by the crate (a list given at run time) and its build
//! script (the built-in list, laid out at compile time, so that no instance pays for it on
//! its first password check): one definition of the entries, the hash and the table.

/// FNV-1a over the bytes: small, fast enough for short strings, no dependency.
pub fn hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The entries of a list's text, one password per line: trimmed, blank lines skipped,
/// each normalised by `normalise` (NFKC) and lower-cased, sorted and deduplicated.
pub fn entries(text: &str, normalise: impl Fn(&str) -> String) -> Vec<String> {
    let mut entries: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| normalise(l).to_lowercase())
        .collect();
    entries.sort_unstable();
    entries.dedup();
    entries
}

/// A laid-out list: see the module's documentation.
pub struct Layout {
    /// The entries joined by `\n`.
    pub text: String,
    /// The byte offset of each entry in `text`.
    pub starts: Vec<u32>,
    /// Entry number + 1, or 0 for an empty slot; the length is a power of two and the load
    /// factor at most 2/3.
    pub table: Vec<u32>,
    /// The longest entry, in bytes.
    pub max_len: usize,
}

/// Entry number `i` of `text`, which starts at byte `start`: it ends one byte before the
/// next entry's start (the `\n`), or at the end of the text.
pub fn entry_at<'a>(text: &'a str, starts: &[u32], i: usize, start: u32) -> &'a str {
    let start = start as usize;
    let end = starts
        .get(i + 1)
        .map_or(text.len(), |&n| (n as usize).saturating_sub(1));
    text.get(start..end).unwrap_or_default()
}

/// Lays out `entries` ([`entries`]' answer).
pub fn layout(entries: &[String]) -> Layout {
    let mut text = String::with_capacity(entries.iter().map(|e| e.len() + 1).sum());
    let mut starts = Vec::with_capacity(entries.len());
    for e in entries {
        if !text.is_empty() {
            text.push('\n');
        }
        // Entries past 4 GiB of text are dropped rather than mis-indexed.
        let Ok(start) = u32::try_from(text.len()) else {
            break;
        };
        text.push_str(e);
        starts.push(start);
    }
    let max_len = entries.iter().map(String::len).max().unwrap_or(0);
    let cap = (starts.len() * 3 / 2 + 1).next_power_of_two();
    let mut table = vec![0u32; cap];
    let mask = cap - 1;
    for (i, &start) in starts.iter().enumerate() {
        let mut slot = (hash(entry_at(&text, &starts, i, start)) as usize) & mask;
        while table.get(slot).is_some_and(|&x| x != 0) {
            slot = (slot + 1) & mask;
        }
        if let (Some(t), Ok(n)) = (table.get_mut(slot), u32::try_from(i + 1)) {
            *t = n;
        }
    }
    Layout {
        text,
        starts,
        table,
        max_len,
    }
}
