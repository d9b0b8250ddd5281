//! The message catalogue: every human-readable text Warden produces, per language.
//!
//! Messages are rendered from a [`Code`] and its params, never written at the place a
//! rule is checked, so that every target (native, browser, host) words a violation the
//! same way. A template names params in braces: `at least {min} characters`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::violation::{Code, Params};

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

/// The template of `code` in `lang`.
pub fn template(code: Code, lang: Lang) -> &'static str {
    use Code::*;
    match lang {
        Lang::En => match code {
            Required => "this field is required",
            UnknownField => "this field is not part of the user schema",
            WrongType => "expected {expected}",
            TooShort => "must be at least {min} characters long (it has {actual})",
            TooLong => "must be at most {max} characters long (it has {actual})",
            ProhibitedCharacters => "contains characters that are not allowed: {characters}",
            NotAllowed => "must be one of: {allowed}",
            PatternMismatch => "does not match the required format",
            InvalidFormat => "is not a valid {format}",
            InvalidEmail => "is not a valid email address ({reason})",
            EmailLocalTooLong => {
                "the part before @ must be at most {max} characters (it has {actual})"
            }
            EmailTooLong => "an email address must be at most {max} characters (it has {actual})",
            InvalidDomain => "the domain is not valid ({reason})",
            InvalidPhone => "is not a valid international phone number ({reason})",
            InvalidDate => "is not a valid date (expected YYYY-MM-DD)",
            DateNotInPast => "must be a date in the past",
            TooYoung => "must be at least {minAge} years old",
            DerivedMismatch => "should be {expected}, as derived from {source}",
            UnknownReference => "`{key}` does not exist",
            Duplicate => "is already used by another account",
            NamingConvention => "does not follow the naming convention {expected}",
            GenericData => "looks like generic placeholder data",
            PasswordTooShort => "must be at least {min} characters long",
            PasswordTooLong => "must be at most {max} characters long",
            PasswordMissingUpper => "must contain an upper-case letter",
            PasswordMissingLower => "must contain a lower-case letter",
            PasswordMissingDigit => "must contain a digit",
            PasswordMissingSpecial => "must contain a special character",
            PasswordCommon => "is too common and easily guessed",
            PasswordSimilar => "is too similar to the user's {attribute}",
            PasswordRepetitive => "is a repetition or a sequence",
            PasswordInvalidCharacters => "contains control characters",
            PasswordCheckUnavailable => "cannot be checked: the common-password list is not loaded",
        },
        Lang::Fr => match code {
            Required => "ce champ est obligatoire",
            UnknownField => "ce champ ne fait pas partie du schéma utilisateur",
            WrongType => "valeur attendue : {expected}",
            TooShort => "doit contenir au moins {min} caractères (il en a {actual})",
            TooLong => "doit contenir au plus {max} caractères (il en a {actual})",
            ProhibitedCharacters => "contient des caractères interdits : {characters}",
            NotAllowed => "doit être l'une des valeurs : {allowed}",
            PatternMismatch => "ne respecte pas le format demandé",
            InvalidFormat => "n'est pas un {format} valide",
            InvalidEmail => "n'est pas une adresse e-mail valide ({reason})",
            EmailLocalTooLong => {
                "la partie avant @ doit contenir au plus {max} caractères (elle en a {actual})"
            }
            EmailTooLong => {
                "une adresse e-mail doit contenir au plus {max} caractères (elle en a {actual})"
            }
            InvalidDomain => "le domaine n'est pas valide ({reason})",
            InvalidPhone => "n'est pas un numéro de téléphone international valide ({reason})",
            InvalidDate => "n'est pas une date valide (format AAAA-MM-JJ)",
            DateNotInPast => "doit être une date passée",
            TooYoung => "l'âge minimum est de {minAge} ans",
            DerivedMismatch => "devrait être {expected}, d'après {source}",
            UnknownReference => "`{key}` n'existe pas",
            Duplicate => "est déjà utilisé par un autre compte",
            NamingConvention => "ne respecte pas la convention de nommage {expected}",
            GenericData => "ressemble à une donnée générique",
            PasswordTooShort => "doit contenir au moins {min} caractères",
            PasswordTooLong => "doit contenir au plus {max} caractères",
            PasswordMissingUpper => "doit contenir une lettre majuscule",
            PasswordMissingLower => "doit contenir une lettre minuscule",
            PasswordMissingDigit => "doit contenir un chiffre",
            PasswordMissingSpecial => "doit contenir un caractère spécial",
            PasswordCommon => "est trop courant et facile à deviner",
            PasswordSimilar => "ressemble trop à l'attribut {attribute} de l'utilisateur",
            PasswordRepetitive => "est une répétition ou une suite",
            PasswordInvalidCharacters => "contient des caractères de contrôle",
            PasswordCheckUnavailable => {
                "ne peut pas être vérifié : la liste des mots de passe courants n'est pas chargée"
            }
        },
    }
}

/// The positive wording of a password rule for a form's checklist (`at least 8
/// characters`), from the code of the issue the rule raises when unmet.
pub fn checklist_label(code: Code, params: &Params, lang: Lang) -> String {
    use Code::*;
    let t = match (code, lang) {
        (PasswordTooShort, Lang::En) => "at least {min} characters",
        (PasswordTooShort, Lang::Fr) => "au moins {min} caractères",
        (PasswordTooLong, Lang::En) => "at most {max} characters",
        (PasswordTooLong, Lang::Fr) => "au plus {max} caractères",
        (PasswordMissingUpper, Lang::En) => "an upper-case letter",
        (PasswordMissingUpper, Lang::Fr) => "une lettre majuscule",
        (PasswordMissingLower, Lang::En) => "a lower-case letter",
        (PasswordMissingLower, Lang::Fr) => "une lettre minuscule",
        (PasswordMissingDigit, Lang::En) => "a digit",
        (PasswordMissingDigit, Lang::Fr) => "un chiffre",
        (PasswordMissingSpecial, Lang::En) => "a special character",
        (PasswordMissingSpecial, Lang::Fr) => "un caractère spécial",
        (PasswordCommon, Lang::En) => "not a common password",
        (PasswordCommon, Lang::Fr) => "pas un mot de passe courant",
        (PasswordSimilar, Lang::En) => "not based on the user's name, email or username",
        (PasswordSimilar, Lang::Fr) => "sans rapport avec le nom, l'e-mail ou l'identifiant",
        (PasswordRepetitive, Lang::En) => "not a repetition or a sequence",
        (PasswordRepetitive, Lang::Fr) => "ni une répétition ni une suite",
        (PasswordInvalidCharacters, Lang::En) => "no control characters",
        (PasswordInvalidCharacters, Lang::Fr) => "aucun caractère de contrôle",
        _ => return render(code, params, lang),
    };
    fill(t, params, lang)
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

    #[test]
    fn every_code_has_a_message_in_every_language_and_all_placeholders_are_known() {
        for &code in Code::ALL {
            for &lang in Lang::ALL {
                let t = template(code, lang);
                assert!(!t.is_empty(), "{code:?} {lang:?}");
                assert!(!t.ends_with('.'), "messages take no final period: {t}");
            }
            // Both languages use the same placeholders.
            let names = |t: &str| {
                let mut v: Vec<String> = t
                    .split('{')
                    .skip(1)
                    .filter_map(|s| s.split('}').next().map(str::to_owned))
                    .collect();
                v.sort();
                v
            };
            assert_eq!(
                names(template(code, Lang::En)),
                names(template(code, Lang::Fr)),
                "{code:?}"
            );
        }
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
