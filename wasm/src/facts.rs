//! Answering a decision's checks from local data, as the admin console does before it
//! has a server: uniqueness and existence facts from the records it holds.
//!
//! No rule lives here: the keys compared are the normalised keys the core put in the
//! checks, and stored records hold the core's normalised values.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};
use warden_core::validate::{Check, CheckKind, UniqueFact, ValidationFacts};

/// How [`answer`] reads the local data.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AnswerOptions {
    /// The id of the record being edited: it does not collide with itself.
    #[serde(default)]
    pub self_id: Option<String>,
    /// The key holding a record's id (default `id`).
    #[serde(default)]
    pub id_field: Option<String>,
    /// Known ids per referencing field (`{"organization": ["acme", "globex"]}`); a
    /// reference not listed here exists when a record has that id.
    #[serde(default)]
    pub known: BTreeMap<String, Vec<String>>,
}

fn text(record: &Map<String, Value>, key: &str) -> Option<String> {
    match record.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Answers every check from `records`.
pub fn answer(
    checks: &[Check],
    records: &[Map<String, Value>],
    options: &AnswerOptions,
) -> ValidationFacts {
    let id_field = options.id_field.as_deref().unwrap_or("id");
    let mut facts = ValidationFacts::default();
    for check in checks {
        match check.kind {
            CheckKind::Unique => {
                let found = records.iter().find(|r| {
                    let id = text(r, id_field);
                    if id.is_some() && id == options.self_id {
                        return false;
                    }
                    let same_key = text(r, &check.field)
                        .is_some_and(|v| warden_core::validate::unique_key(&v) == check.key);
                    let same_scope = check.within.as_ref().is_none_or(|w| {
                        text(r, &w.field).is_some_and(|v| v.eq_ignore_ascii_case(&w.value))
                    });
                    same_key && same_scope
                });
                facts.unique.insert(
                    check.check.to_string(),
                    UniqueFact {
                        key: Some(check.key.clone()),
                        taken: found.is_some(),
                        existing_id: found.and_then(|r| text(r, id_field)),
                        existing_status: found
                            .map(|r| text(r, "status").unwrap_or_else(|| "active".to_owned())),
                    },
                );
            }
            CheckKind::Exists => {
                let exists = match options.known.get(&*check.field) {
                    Some(ids) => ids.contains(&check.key),
                    None => records
                        .iter()
                        .any(|r| text(r, id_field).is_some_and(|v| v == check.key)),
                };
                facts.exists.insert(check.check.to_string(), exists);
            }
        }
    }
    facts
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn rec(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn r000_02_duplicate_email_found_and_self_excluded() {
        let checks: Vec<Check> = serde_json::from_value(serde_json::json!([
            {"check": "email_unique", "kind": "unique", "field": "email",
             "key": "ada@acme.example", "answered": false},
            {"check": "organization_exists", "kind": "exists", "field": "organization",
             "key": "acme", "answered": false}
        ]))
        .unwrap();
        // Stored as the core normalised it (local part as typed): still the same key.
        let records = vec![rec(serde_json::json!(
            {"id": "u1", "email": "Ada@acme.example", "status": "inactive"}
        ))];
        let mut options = AnswerOptions::default();
        options
            .known
            .insert("organization".into(), vec!["acme".into()]);
        let f = answer(&checks, &records, &options);
        let u = &f.unique["email_unique"];
        assert!(u.taken);
        assert_eq!(u.existing_id.as_deref(), Some("u1"));
        assert_eq!(u.existing_status.as_deref(), Some("inactive"));
        assert!(f.exists["organization_exists"]);

        options.self_id = Some("u1".into());
        let f = answer(&checks, &records, &options);
        assert!(!f.unique["email_unique"].taken);
    }
}
