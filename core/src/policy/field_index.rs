//! The schema position of a field by its name: what the record reader asks for every key
//! of every record, so it must cost less than hashing the name.

use std::collections::HashMap;

use super::CompiledField;
use crate::util::FnvBuild;

/// A bucket no field falls in: a name there is not a field.
const EMPTY: u8 = u8::MAX;
/// A bucket two fields (or a field past position 253) fall in: the hash index answers.
const SHARED: u8 = u8::MAX - 1;

/// Field positions by name: a 64-bucket table on the name's length and end bytes, which
/// answers with one comparison of names when a field has its bucket to itself (nearly
/// always, in schemas of tens of fields), and the hash index when it shares it.
#[derive(Debug)]
pub(crate) struct FieldIndex {
    buckets: [u8; 64],
    by_name: HashMap<String, usize, FnvBuild>,
}

/// The bucket of a name: its length and first and last bytes, mixed.
#[inline]
fn bucket(name: &str) -> usize {
    let b = name.as_bytes();
    let first = usize::from(b.first().copied().unwrap_or(0));
    let last = usize::from(b.last().copied().unwrap_or(0));
    (b.len().wrapping_mul(7) ^ first ^ last.rotate_left(3)) & 63
}

impl FieldIndex {
    /// The index of `by_name` (every field's name to its position in `fields`).
    pub(crate) fn new(by_name: HashMap<String, usize, FnvBuild>) -> FieldIndex {
        let mut buckets = [EMPTY; 64];
        for (name, &position) in &by_name {
            let entry = buckets.get_mut(bucket(name));
            if let Some(entry) = entry {
                *entry = match u8::try_from(position) {
                    Ok(p) if *entry == EMPTY && p < SHARED => p,
                    _ => SHARED,
                };
            }
        }
        FieldIndex { buckets, by_name }
    }

    /// The position of the field `name` in `fields` (the schema this index was built for).
    #[inline]
    pub(crate) fn get(&self, fields: &[CompiledField], name: &str) -> Option<usize> {
        match self.buckets.get(bucket(name)).copied().unwrap_or(SHARED) {
            EMPTY => None,
            SHARED => self.by_name.get(name).copied(),
            p => {
                let p = usize::from(p);
                (fields.get(p)?.name == name).then_some(p)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use crate::Policy;

    /// Every field is found at its position, and names that are not fields are not, in
    /// schemas small and large (shared buckets and positions past 253 included).
    #[test]
    fn finds_every_field_and_nothing_else() {
        for n in [1, 6, 40, 256] {
            let fields: Vec<String> = (0..n)
                .map(|i| format!("\"f{i}x{}\":{{\"type\":\"text\"}}", "y".repeat(i % 7)))
                .collect();
            let text = format!(
                "{{\"warden\":1,\"name\":\"t\",\"fields\":{{{}}}}}",
                fields.join(",")
            );
            let policy = Policy::from_json(&text).expect("policy");
            for (i, f) in policy.fields().iter().enumerate() {
                assert_eq!(policy.field_position(&f.name), Some(i), "{}", f.name);
                for other in [
                    format!("{}z", f.name),
                    format!("z{}", f.name),
                    String::new(),
                ] {
                    assert_eq!(policy.field_position(&other), None, "{other}");
                }
            }
        }
    }
}
