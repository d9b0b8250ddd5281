//! The message catalogue: every human-readable text Warden produces about a violation or a
//! deny, per language.
//!
//! Messages and hints are rendered from a code ([`Code`] for violations, [`DenyCode`] for
//! denials, whether authorization, the lifecycle or a bulk safeguard denies) and its params,
//! never written at the place a rule is checked, so that every target (native, browser,
//! host) words them the same way. A template names params in braces: `at least {min}
//! characters`. Every code has a message in every language of [`Lang::ALL`]: the templates
//! are exhaustive matches, so a code without one does not compile.

mod denials;
mod violations;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::decision::DenyCode;
use crate::violation::{Code, Params};

pub(crate) use violations::{checklist_label, template};

/// A language messages can be rendered in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English (the default).
    #[default]
    En,
    /// French.
    Fr,
}

impl Lang {
    /// Every supported language.
    pub const ALL: &'static [Lang] = &[Lang::En, Lang::Fr];

    /// The language's tag (`en`, `fr`).
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }
}

impl std::str::FromStr for Lang {
    type Err = crate::error::UnknownLanguage;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "en" | "en-us" | "en-gb" => Ok(Lang::En),
            "fr" | "fr-fr" | "fr-ca" => Ok(Lang::Fr),
            _ => Err(crate::error::UnknownLanguage::new(s)),
        }
    }
}

/// Renders the message of a deny with `code` and `params` in `lang`.
pub fn deny_message(code: DenyCode, params: &Params, lang: Lang) -> String {
    fill(denials::template(code, params, lang), params, lang)
}

/// Renders the hint of a deny with `code` and `params` in `lang`, if it has one.
pub fn deny_hint(code: DenyCode, params: &Params, lang: Lang) -> Option<String> {
    denials::hint_template(code, params, lang).map(|t| fill(t, params, lang))
}

/// Renders `code` with `params` in `lang`.
///
/// A param missing from `params` is left as its `{name}` placeholder, so a mistake shows
/// instead of vanishing.
pub fn render(code: Code, params: &Params, lang: Lang) -> String {
    let mut out = fill(template(code, lang), params, lang);
    // Suggestions attached by the validator are appended in a second sentence.
    if code == Code::Duplicate
        && let Some(Value::String(s)) = params.get("suggestion")
    {
        out.push_str(match (s.as_str(), lang) {
            ("reactivate", Lang::En) => ": the existing account is inactive, reactivate it instead",
            ("reactivate", Lang::Fr) => " : le compte existant est inactif, réactivez-le plutôt",
            ("resetPassword", Lang::En) => ": if it is yours, reset its password instead",
            ("resetPassword", Lang::Fr) => {
                " : s'il s'agit du vôtre, réinitialisez plutôt son mot de passe"
            }
            _ => "",
        });
    }
    out
}

/// The French wording of the short `reason` phrases the email and phone checks report
/// (the param itself stays in English: it is part of the machine interface).
fn reason_fr(reason: &str) -> Option<&'static str> {
    Some(match reason {
        "empty" => "vide",
        "missing @" => "il manque @",
        "more than one @" => "plus d'un @",
        "empty local part" => "partie locale vide",
        "invalid character in local part" => "caractère invalide dans la partie locale",
        "consecutive dots" => "points consécutifs",
        "leading or trailing dot" => "point au début ou à la fin",
        "empty domain" => "domaine vide",
        "empty label" => "segment vide",
        "label too long" => "segment trop long",
        "label starts or ends with a hyphen" => "segment commençant ou finissant par un tiret",
        "label starts with a combining mark" => "segment commençant par un signe diacritique",
        "invalid character" => "caractère invalide",
        "missing top-level domain" => "domaine de premier niveau manquant",
        "numeric top-level domain" => "domaine de premier niveau numérique",
        "internationalised domains are not allowed" => {
            "les domaines internationalisés ne sont pas autorisés"
        }
        "missing country code" => "indicatif du pays manquant",
        "too many digits" => "trop de chiffres",
        "too few digits" => "pas assez de chiffres",
        "letters are not allowed" => "les lettres ne sont pas autorisées",
        "invalid country code" => "indicatif du pays invalide",
        "unbalanced parentheses" => "parenthèses non appariées",
        _ => return None,
    })
}

/// Fills `{name}` placeholders of `template` from `params`.
pub fn fill(template: &str, params: &Params, lang: Lang) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let (before, after) = rest.split_at(start);
        out.push_str(before);
        match after.find('}') {
            Some(end) => {
                let name = after.get(1..end).unwrap_or_default();
                match params.get(name) {
                    Some(Value::String(r))
                        if name == "reason" && lang == Lang::Fr && reason_fr(r).is_some() =>
                    {
                        out.push_str(reason_fr(r).unwrap_or_default());
                    }
                    Some(Value::Number(n)) if name.ends_with("Seconds") => {
                        out.push_str(&human_duration(n.as_u64().unwrap_or(0), lang));
                    }
                    Some(v) => out.push_str(&display_value(v, lang)),
                    None => out.push_str(after.get(..=end).unwrap_or_default()),
                }
                rest = after.get(end + 1..).unwrap_or_default();
            }
            None => {
                out.push_str(after);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// A duration for people: its two largest units (`3 hours 20 minutes`, `12 years 4 days`).
/// Params named `...Seconds` keep the number; messages show this.
pub fn human_duration(seconds: u64, lang: Lang) -> String {
    const UNITS: [(u64, &str, &str, &str, &str); 5] = [
        (31_536_000, "year", "years", "an", "ans"),
        (86_400, "day", "days", "jour", "jours"),
        (3_600, "hour", "hours", "heure", "heures"),
        (60, "minute", "minutes", "minute", "minutes"),
        (1, "second", "seconds", "seconde", "secondes"),
    ];
    let mut parts: Vec<String> = Vec::new();
    let mut rest = seconds;
    for (size, en1, en, fr1, fr) in UNITS {
        let n = rest / size;
        if n > 0 {
            rest -= n * size;
            let word = match (lang, n) {
                (Lang::En, 1) => en1,
                (Lang::En, _) => en,
                (Lang::Fr, 1) => fr1,
                (Lang::Fr, _) => fr,
            };
            parts.push(format!("{n} {word}"));
        } else if !parts.is_empty() {
            break;
        }
        if parts.len() == 2 {
            break;
        }
    }
    if parts.is_empty() {
        return match lang {
            Lang::En => "0 seconds".into(),
            Lang::Fr => "0 seconde".into(),
        };
    }
    parts.join(" ")
}

fn display_value(v: &Value, lang: Lang) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|i| display_value(i, lang))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Bool(true) => match lang {
            Lang::En => "yes".into(),
            Lang::Fr => "oui".into(),
        },
        Value::Bool(false) => match lang {
            Lang::En => "no".into(),
            Lang::Fr => "non".into(),
        },
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names of the `{placeholders}` of a template, sorted.
    fn placeholders(t: &str) -> Vec<String> {
        let mut v: Vec<String> = t
            .split('{')
            .skip(1)
            .filter_map(|s| s.split('}').next().map(str::to_owned))
            .collect();
        v.sort();
        v
    }

    /// What every message and hint is held to.
    fn well_formed(what: &str, t: &str) {
        assert!(!t.trim().is_empty(), "{what}: empty");
        assert!(
            !t.ends_with('.'),
            "{what}: messages take no final period: {t}"
        );
        assert!(
            t.chars().next().is_some_and(|c| !c.is_uppercase()),
            "{what}: messages start in lower case: {t}"
        );
    }

    /// The params a deny's template may depend on: none, each alone, all together.
    fn param_sets() -> Vec<Params> {
        const KEYS: &[&str] = &[
            "action",
            "allowed",
            "alternative",
            "granting",
            "reason",
            "suggest",
            "suggestion",
            "until",
        ];
        let one = |k: &str| Params::from([(k.to_owned(), Value::from("x"))]);
        let mut sets = vec![Params::new()];
        sets.extend(KEYS.iter().map(|k| one(k)));
        sets.push(KEYS.iter().flat_map(|k| one(k)).collect());
        sets
    }

    #[test]
    fn every_code_has_a_message_in_every_language() {
        for &code in Code::ALL {
            for &lang in Lang::ALL {
                well_formed(&format!("{code} {lang:?}"), template(code, lang));
            }
            // Every language uses the same placeholders.
            for &lang in Lang::ALL {
                assert_eq!(
                    placeholders(template(code, lang)),
                    placeholders(template(code, Lang::En)),
                    "{code} {lang:?}"
                );
            }
        }
        for &code in DenyCode::ALL {
            for params in param_sets() {
                let keys: Vec<&String> = params.keys().collect();
                let en_hint = denials::hint_template(code, &params, Lang::En);
                for &lang in Lang::ALL {
                    let what = format!("{code} {lang:?} {keys:?}");
                    let message = denials::template(code, &params, lang);
                    well_formed(&what, message);
                    assert_eq!(
                        placeholders(message),
                        placeholders(denials::template(code, &params, Lang::En)),
                        "{what}"
                    );
                    // The hints that exist are non-empty, and exist in every language.
                    let hint = denials::hint_template(code, &params, lang);
                    assert_eq!(hint.is_some(), en_hint.is_some(), "{what}: hint");
                    if let (Some(h), Some(en)) = (hint, en_hint) {
                        well_formed(&format!("{what} hint"), h);
                        assert_eq!(placeholders(h), placeholders(en), "{what} hint");
                    }
                }
            }
        }
    }

    #[test]
    fn deny_codes_have_distinct_names_that_read_back() {
        let mut names: Vec<&str> = DenyCode::ALL.iter().map(|c| c.as_str()).collect();
        for &code in DenyCode::ALL {
            assert_eq!(DenyCode::from_name(code.as_str()), Some(code));
            assert_eq!(
                serde_json::to_value(code).ok(),
                Some(Value::from(code.as_str()))
            );
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), DenyCode::ALL.len());
        assert_eq!(DenyCode::from_name("denied"), None);
    }

    #[test]
    fn reasons_are_translated_in_french_messages_only() {
        let mut p = Params::new();
        p.insert("reason".into(), "missing @".into());
        assert_eq!(
            render(Code::InvalidEmail, &p, Lang::Fr),
            "n'est pas une adresse e-mail valide (il manque @)"
        );
        assert_eq!(
            render(Code::InvalidEmail, &p, Lang::En),
            "is not a valid email address (missing @)"
        );
    }

    #[test]
    fn render_fills_params_and_keeps_unknown_placeholders() {
        let mut p = Params::new();
        p.insert("min".into(), 8.into());
        p.insert("actual".into(), 5.into());
        assert_eq!(
            render(Code::TooShort, &p, Lang::En),
            "must be at least 8 characters long (it has 5)"
        );
        assert_eq!(
            render(Code::TooShort, &p, Lang::Fr),
            "doit contenir au moins 8 caractères (il en a 5)"
        );
        assert_eq!(fill("x {nope} y", &p, Lang::En), "x {nope} y");
    }
}
