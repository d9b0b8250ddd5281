//! Small helpers shared by several modules.

/// Levenshtein edit distance in code points (for suggestions; inputs are short).
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        if let Some(first) = cur.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            if let Some(c) = cur.get_mut(j + 1) {
                *c = sub.min(del).min(ins);
            }
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.last().copied().unwrap_or(0)
}

/// FNV-1a: a fast hasher for short, trusted keys (schema field names, compiled at policy
/// load; record keys are looked up, never inserted, so flooding cannot grow a table).
#[derive(Debug, Clone, Copy, Default)]
pub struct FnvBuild;

/// The state of [`FnvBuild`].
#[derive(Debug, Clone, Copy)]
pub struct Fnv(u64);

impl std::hash::BuildHasher for FnvBuild {
    type Hasher = Fnv;
    fn build_hasher(&self) -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// The candidate closest to `name` (case-insensitive edit distance), if within `max` edits:
/// the "did you mean" of errors and violations.
pub fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    max: usize,
) -> Option<&'a str> {
    let lower = name.to_lowercase();
    let len = lower.chars().count();
    candidates
        .into_iter()
        .filter_map(|c| {
            let other = c.to_lowercase();
            // Two texts whose lengths differ by more than `max` are more than `max` edits
            // apart: a long name (a 200 KB key) is never compared character by character.
            (other.chars().count().abs_diff(len) <= max).then(|| (levenshtein(&lower, &other), c))
        })
        .filter(|(d, _)| *d <= max)
        .min()
        .map(|(_, c)| c)
}

/// `employeeId` → `employee_id`.
pub fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            if !out.is_empty() {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `TransitionFacts` → `transition facts`: a Rust type name as words, for messages.
pub fn words(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_and_snake_case() {
        assert_eq!(levenshtein("maxLenght", "maxLength"), 2);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(snake_case("employeeId"), "employee_id");
        assert_eq!(snake_case("email"), "email");
    }

    #[test]
    fn closest_skips_names_too_long_to_be_close() {
        assert_eq!(closest("emial", ["email", "name"], 2), Some("email"));
        assert_eq!(closest("EMAILS", ["email"], 1), Some("email"));
        assert_eq!(closest("emailxyz", ["email"], 2), None);
        let long = "e".repeat(200_000);
        assert_eq!(closest(&long, ["email", "name"], 3), None);
    }
}
