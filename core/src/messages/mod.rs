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

/// A language messages can be rendered in: one of the built-in catalogues, or a language a
/// tenant's policy adds (its `messages` section).
///
/// Serialised as its BCP 47 tag (`en`, `fr`, `de`, `es`, `it`, `pt-br`). A regional
/// variant of a built-in language (`fr-CA`, `en-GB`, `de-AT`) reads as the built-in one.
/// Any other well-formed tag (a language subtag of 2 or 3 letters, then subtags of 1 to 8
/// letters or digits, 15 bytes at most) reads as a tenant language, which a request may
/// name only when its policy declares it; its messages fall back to English for the codes
/// the tenant did not translate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English (the default).
    #[default]
    En,
    /// French.
    Fr,
    /// German.
    De,
    /// Spanish.
    Es,
    /// A language the tenant's policy adds, by its tag (lower case).
    Tenant(LangTag),
}

/// A BCP 47 language tag, held inline (lower case, at most [`LangTag::MAX_LEN`] bytes), so
/// that [`Lang`] stays `Copy`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct LangTag {
    bytes: [u8; LangTag::MAX_LEN],
    len: u8,
}

impl LangTag {
    /// The longest tag accepted, in bytes.
    pub const MAX_LEN: usize = 15;

    /// Parses a well-formed tag: a language subtag of 2 or 3 ASCII letters, then subtags of
    /// 1 to 8 ASCII letters or digits, joined by `-` (or `_`), at most [`Self::MAX_LEN`]
    /// bytes; stored in lower case with `-`.
    pub fn parse(tag: &str) -> Option<LangTag> {
        if tag.is_empty() || tag.len() > Self::MAX_LEN {
            return None;
        }
        let mut parts = tag.split(['-', '_']);
        let lang = parts.next()?;
        if !(2..=3).contains(&lang.len()) || !lang.bytes().all(|b| b.is_ascii_alphabetic()) {
            return None;
        }
        if !parts
            .all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
        {
            return None;
        }
        let mut bytes = [0u8; Self::MAX_LEN];
        for (slot, b) in bytes.iter_mut().zip(tag.bytes()) {
            *slot = if b == b'_' {
                b'-'
            } else {
                b.to_ascii_lowercase()
            };
        }
        Some(LangTag {
            bytes,
            len: u8::try_from(tag.len()).ok()?,
        })
    }

    /// The tag, in lower case.
    pub fn as_str(&self) -> &str {
        self.bytes
            .get(..usize::from(self.len))
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or_default()
    }

    /// The language subtag (`pt` of `pt-br`).
    pub fn language(&self) -> &str {
        self.as_str().split('-').next().unwrap_or_default()
    }
}

impl std::fmt::Debug for LangTag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl Lang {
    /// Every built-in language: each has a message for every code.
    pub const ALL: &'static [Lang] = &[Lang::En, Lang::Fr, Lang::De, Lang::Es];

    /// The language's tag (`en`, `fr`, `de`, `es`, or the tenant language's tag).
    pub fn as_str(&self) -> &str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::De => "de",
            Lang::Es => "es",
            Lang::Tenant(t) => t.as_str(),
        }
    }

    /// The built-in catalogue messages in this language come from: the language itself,
    /// or English for a tenant language (for the codes the tenant did not translate).
    pub fn builtin(self) -> Lang {
        match self {
            Lang::Tenant(_) => Lang::En,
            other => other,
        }
    }

    /// Whether this is a language a tenant's policy adds.
    pub fn is_tenant(&self) -> bool {
        matches!(self, Lang::Tenant(_))
    }
}

impl std::str::FromStr for Lang {
    type Err = crate::error::UnknownLanguage;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let tag = LangTag::parse(s).ok_or_else(|| crate::error::UnknownLanguage::new(s))?;
        Ok(match tag.language() {
            "en" => Lang::En,
            "fr" => Lang::Fr,
            "de" => Lang::De,
            "es" => Lang::Es,
            _ => Lang::Tenant(tag),
        })
    }
}

impl Serialize for Lang {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Lang {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Lang;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a language tag (`en`, `fr`, `de`, `es`, or one the policy adds)")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Lang, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Lang {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Lang".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A language tag (BCP 47): a built-in catalogue (`en`, `fr`, `de`, `es`; a regional variant such as `fr-CA` reads as its language) or a language the policy's `messages` section adds.",
            "anyOf": [
                { "type": "string", "enum": ["en", "fr", "de", "es"] },
                { "type": "string", "pattern": "^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$", "maxLength": 15 }
            ]
        })
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

/// Renders `code` with `params` in `lang`, from the built-in catalogue (English for a
/// tenant language; [`render_with`] applies a policy's own messages).
///
/// A param missing from `params` is left as its `{name}` placeholder, so a mistake shows
/// instead of vanishing.
pub fn render(code: Code, params: &Params, lang: Lang) -> String {
    render_template(template(code, lang.builtin()), code, params, lang.builtin())
}

/// Renders `code` with `params` in `lang`, preferring `custom` (a tenant's template for
/// this code and language) over the built-in catalogue.
pub fn render_with(code: Code, params: &Params, lang: Lang, custom: Option<&str>) -> String {
    match custom {
        Some(t) => render_template(t, code, params, lang),
        None => render(code, params, lang),
    }
}

/// Fills `template` for `code`, and appends the suggestion of a duplicate.
fn render_template(template: &str, code: Code, params: &Params, lang: Lang) -> String {
    let mut out = fill(template, params, lang);
    // Suggestions attached by the validator are appended in a second sentence.
    if code == Code::Duplicate
        && let Some(Value::String(s)) = params.get("suggestion")
    {
        out.push_str(suggestion(s, lang.builtin()));
    }
    out
}

/// The sentence a duplicate's suggestion appends, in `lang`.
fn suggestion(s: &str, lang: Lang) -> &'static str {
    match (s, lang) {
        ("reactivate", Lang::Fr) => " : le compte existant est inactif, réactivez-le plutôt",
        ("reactivate", Lang::De) => {
            ": das bestehende Konto ist inaktiv, reaktivieren Sie es stattdessen"
        }
        ("reactivate", Lang::Es) => ": la cuenta existente está inactiva, reactívela en su lugar",
        ("reactivate", _) => ": the existing account is inactive, reactivate it instead",
        ("resetPassword", Lang::Fr) => {
            " : s'il s'agit du vôtre, réinitialisez plutôt son mot de passe"
        }
        ("resetPassword", Lang::De) => {
            ": wenn es Ihres ist, setzen Sie stattdessen sein Passwort zurück"
        }
        ("resetPassword", Lang::Es) => ": si es suya, restablezca su contraseña en su lugar",
        ("resetPassword", _) => ": if it is yours, reset its password instead",
        _ => "",
    }
}

/// The wording of the short `reason` phrases the email and phone checks report, in a
/// language other than English (the param itself stays in English: it is part of the
/// machine interface).
fn reason_in(reason: &str, lang: Lang) -> Option<&'static str> {
    const REASONS: &[(&str, [&str; 3])] = &[
        // (English, [French, German, Spanish])
        ("empty", ["vide", "leer", "vacío"]),
        ("missing @", ["il manque @", "@ fehlt", "falta @"]),
        (
            "more than one @",
            ["plus d'un @", "mehr als ein @", "más de un @"],
        ),
        (
            "empty local part",
            [
                "partie locale vide",
                "leerer lokaler Teil",
                "parte local vacía",
            ],
        ),
        (
            "invalid character in local part",
            [
                "caractère invalide dans la partie locale",
                "ungültiges Zeichen im lokalen Teil",
                "carácter no válido en la parte local",
            ],
        ),
        (
            "consecutive dots",
            [
                "points consécutifs",
                "aufeinanderfolgende Punkte",
                "puntos consecutivos",
            ],
        ),
        (
            "leading or trailing dot",
            [
                "point au début ou à la fin",
                "Punkt am Anfang oder Ende",
                "punto al principio o al final",
            ],
        ),
        (
            "empty domain",
            ["domaine vide", "leere Domain", "dominio vacío"],
        ),
        (
            "empty label",
            ["segment vide", "leeres Segment", "segmento vacío"],
        ),
        (
            "label too long",
            [
                "segment trop long",
                "Segment zu lang",
                "segmento demasiado largo",
            ],
        ),
        (
            "label starts or ends with a hyphen",
            [
                "segment commençant ou finissant par un tiret",
                "Segment beginnt oder endet mit einem Bindestrich",
                "segmento que empieza o termina con un guion",
            ],
        ),
        (
            "label starts with a combining mark",
            [
                "segment commençant par un signe diacritique",
                "Segment beginnt mit einem diakritischen Zeichen",
                "segmento que empieza con un signo diacrítico",
            ],
        ),
        (
            "invalid character",
            [
                "caractère invalide",
                "ungültiges Zeichen",
                "carácter no válido",
            ],
        ),
        (
            "missing top-level domain",
            [
                "domaine de premier niveau manquant",
                "Top-Level-Domain fehlt",
                "falta el dominio de primer nivel",
            ],
        ),
        (
            "numeric top-level domain",
            [
                "domaine de premier niveau numérique",
                "numerische Top-Level-Domain",
                "dominio de primer nivel numérico",
            ],
        ),
        (
            "internationalised domains are not allowed",
            [
                "les domaines internationalisés ne sont pas autorisés",
                "internationalisierte Domains sind nicht erlaubt",
                "no se permiten dominios internacionalizados",
            ],
        ),
        (
            "missing country code",
            [
                "indicatif du pays manquant",
                "Ländervorwahl fehlt",
                "falta el prefijo del país",
            ],
        ),
        (
            "too many digits",
            ["trop de chiffres", "zu viele Ziffern", "demasiados dígitos"],
        ),
        (
            "too few digits",
            [
                "pas assez de chiffres",
                "zu wenige Ziffern",
                "muy pocos dígitos",
            ],
        ),
        (
            "letters are not allowed",
            [
                "les lettres ne sont pas autorisées",
                "Buchstaben sind nicht erlaubt",
                "no se permiten letras",
            ],
        ),
        (
            "invalid country code",
            [
                "indicatif du pays invalide",
                "ungültige Ländervorwahl",
                "prefijo del país no válido",
            ],
        ),
        (
            "unbalanced parentheses",
            [
                "parenthèses non appariées",
                "unausgeglichene Klammern",
                "paréntesis desparejados",
            ],
        ),
    ];
    let column = match lang {
        Lang::Fr => 0,
        Lang::De => 1,
        Lang::Es => 2,
        Lang::En | Lang::Tenant(_) => return None,
    };
    REASONS
        .iter()
        .find(|(en, _)| *en == reason)
        .and_then(|(_, t)| t.get(column).copied())
}

/// Fills `{name}` placeholders of `template` from `params`.
pub fn fill(template: &str, params: &Params, lang: Lang) -> String {
    let lang = lang.builtin();
    // Room for the params' text, so that a message is written without growing.
    let mut out = String::with_capacity(template.len() + 48);
    let mut rest = template;
    // Byte searches, eight bytes at a time: `{` and `}` are ASCII, so never inside another
    // character's bytes.
    let find = |s: &str, b: u8| {
        crate::swar::position(s.as_bytes(), |v| crate::swar::equal(v, b), |c| c == b)
    };
    while let Some(start) = find(rest, b'{') {
        let (before, after) = rest.split_at(start);
        out.push_str(before);
        match find(after, b'}') {
            Some(end) => {
                let name = after.get(1..end).unwrap_or_default();
                match params.get(name) {
                    Some(Value::String(r))
                        if name == "reason"
                            && let Some(t) = reason_in(r, lang) =>
                    {
                        out.push_str(t);
                    }
                    Some(Value::Number(n)) if name.ends_with("Seconds") => {
                        out.push_str(&human_duration(n.as_u64().unwrap_or(0), lang));
                    }
                    Some(v) => push_display(&mut out, v, lang),
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

/// The names of the `{placeholders}` of a template, in order (duplicates kept).
pub fn placeholders(template: &str) -> Vec<&str> {
    template
        .split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}').map(|(name, _)| name))
        .collect()
}

/// A duration for people: its two largest units (`3 hours 20 minutes`, `12 years 4 days`).
/// Params named `...Seconds` keep the number; messages show this.
pub fn human_duration(seconds: u64, lang: Lang) -> String {
    // (size, [singular, plural] in English, French, German, Spanish)
    const UNITS: [(u64, [[&str; 2]; 4]); 5] = [
        (
            31_536_000,
            [
                ["year", "years"],
                ["an", "ans"],
                ["Jahr", "Jahre"],
                ["año", "años"],
            ],
        ),
        (
            86_400,
            [
                ["day", "days"],
                ["jour", "jours"],
                ["Tag", "Tage"],
                ["día", "días"],
            ],
        ),
        (
            3_600,
            [
                ["hour", "hours"],
                ["heure", "heures"],
                ["Stunde", "Stunden"],
                ["hora", "horas"],
            ],
        ),
        (
            60,
            [
                ["minute", "minutes"],
                ["minute", "minutes"],
                ["Minute", "Minuten"],
                ["minuto", "minutos"],
            ],
        ),
        (
            1,
            [
                ["second", "seconds"],
                ["seconde", "secondes"],
                ["Sekunde", "Sekunden"],
                ["segundo", "segundos"],
            ],
        ),
    ];
    let column = match lang.builtin() {
        Lang::Fr => 1,
        Lang::De => 2,
        Lang::Es => 3,
        Lang::En | Lang::Tenant(_) => 0,
    };
    let word = |names: &[[&'static str; 2]; 4], n: u64| -> &'static str {
        let [one, many] = names.get(column).copied().unwrap_or(["", ""]);
        if n == 1 { one } else { many }
    };
    let mut parts: Vec<String> = Vec::new();
    let mut rest = seconds;
    for (size, names) in &UNITS {
        let n = rest / size;
        if n > 0 {
            rest -= n * size;
            parts.push(format!("{n} {}", word(names, n)));
        } else if !parts.is_empty() {
            break;
        }
        if parts.len() == 2 {
            break;
        }
    }
    if parts.is_empty() {
        return match lang.builtin() {
            Lang::Fr => "0 seconde".into(),
            Lang::De => "0 Sekunden".into(),
            Lang::Es => "0 segundos".into(),
            Lang::En | Lang::Tenant(_) => "0 seconds".into(),
        };
    }
    parts.join(" ")
}

/// Appends a param's value as a message shows it: text as is, lists joined with `, `,
/// booleans in words, integers in digits (without the formatting machinery), other numbers
/// and values as JSON.
fn push_display(out: &mut String, v: &Value, lang: Lang) {
    match v {
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                push_display(out, item, lang);
            }
        }
        Value::Bool(b) => out.push_str(match (lang.builtin(), b) {
            (Lang::Fr, true) => "oui",
            (Lang::Fr, false) => "non",
            (Lang::De, true) => "ja",
            (Lang::De, false) => "nein",
            (Lang::Es, true) => "sí",
            (Lang::Es, false) => "no",
            (_, true) => "yes",
            (_, false) => "no",
        }),
        Value::Null => {}
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => out.push_str(itoa::Buffer::new().format(u)),
            (None, Some(i)) => out.push_str(itoa::Buffer::new().format(i)),
            _ => out.push_str(&n.to_string()),
        },
        Value::Object(_) => out.push_str(&v.to_string()),
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
        // German capitalises nouns and the formal `Sie` wherever they stand: a German
        // message may start with one (`Sie dürfen ...`, `Rollen, die ...`).
        assert!(
            what.contains(" De") || t.chars().next().is_some_and(|c| !c.is_uppercase()),
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

    /// The French, German and Spanish catalogues are translations, not copies of the
    /// English one: every violation message, deny message and hint differs from English.
    #[test]
    fn every_code_is_translated_in_every_built_in_language() {
        for &lang in Lang::ALL.iter().filter(|l| **l != Lang::En) {
            for &code in Code::ALL {
                assert_ne!(
                    template(code, lang),
                    template(code, Lang::En),
                    "{code} {lang:?}"
                );
            }
            for &code in DenyCode::ALL {
                for params in param_sets() {
                    let what = format!("{code} {lang:?} {:?}", params.keys().collect::<Vec<_>>());
                    assert_ne!(
                        denials::template(code, &params, lang),
                        denials::template(code, &params, Lang::En),
                        "{what}"
                    );
                    if let (Some(h), Some(en)) = (
                        denials::hint_template(code, &params, lang),
                        denials::hint_template(code, &params, Lang::En),
                    ) {
                        assert_ne!(h, en, "{what} hint");
                    }
                }
            }
            for reason in ["missing @", "too many digits", "unbalanced parentheses"] {
                assert!(reason_in(reason, lang).is_some(), "{reason} {lang:?}");
            }
            assert_ne!(
                human_duration(90_061, lang),
                human_duration(90_061, Lang::En)
            );
        }
    }

    #[test]
    fn language_tags_read_as_built_in_or_tenant_languages() {
        assert_eq!("de".parse::<Lang>(), Ok(Lang::De));
        assert_eq!("es-MX".parse::<Lang>(), Ok(Lang::Es));
        assert_eq!("fr_CA".parse::<Lang>(), Ok(Lang::Fr));
        let it: Lang = "it".parse().unwrap_or_default();
        assert!(it.is_tenant());
        assert_eq!(it.as_str(), "it");
        let pt: Lang = "pt-BR".parse().unwrap_or_default();
        assert_eq!(pt.as_str(), "pt-br");
        for bad in [
            "",
            "x",
            "english",
            "e1",
            "pt-",
            "pt--br",
            "zh-Hant-TW-x-private",
        ] {
            assert!(bad.parse::<Lang>().is_err(), "{bad}");
        }
        assert_eq!(serde_json::to_value(Lang::Es).ok(), Some(Value::from("es")));
        assert_eq!(
            serde_json::from_value::<Lang>(Value::from("pt-br")).ok(),
            Some(pt)
        );
        // A tenant language renders the English catalogue without the policy's messages.
        assert_eq!(
            render(Code::Required, &Params::new(), it),
            render(Code::Required, &Params::new(), Lang::En)
        );
    }

    #[test]
    fn german_and_spanish_render_params_reasons_and_suggestions() {
        let mut p = Params::new();
        p.insert("min".into(), 8.into());
        p.insert("actual".into(), 5.into());
        assert_eq!(
            render(Code::TooShort, &p, Lang::De),
            "muss mindestens 8 Zeichen lang sein (es sind 5)"
        );
        assert_eq!(
            render(Code::TooShort, &p, Lang::Es),
            "debe tener al menos 8 caracteres (tiene 5)"
        );
        let mut r = Params::new();
        r.insert("reason".into(), "missing @".into());
        assert_eq!(
            render(Code::InvalidEmail, &r, Lang::De),
            "ist keine gültige E-Mail-Adresse (@ fehlt)"
        );
        let mut d = Params::new();
        d.insert("suggestion".into(), "reactivate".into());
        assert!(render(Code::Duplicate, &d, Lang::Es).ends_with("reactívela en su lugar"));
        assert_eq!(human_duration(90_000, Lang::De), "1 Tag 1 Stunde");
        assert_eq!(human_duration(7_260, Lang::Es), "2 horas 1 minuto");
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

    proptest::proptest! {
        /// `fill`'s word-at-a-time brace search finds what a plain character search finds,
        /// in templates of any length, with braces anywhere, unbalanced ones and other
        /// characters of several bytes among them.
        #[test]
        fn fill_finds_the_placeholders_a_character_search_finds(
            template in "[a-c{}é€ ]{0,40}",
            a in "[x-zé]{0,6}",
            b in "[x-z]{0,3}",
        ) {
            let mut p = Params::new();
            p.insert("a".into(), Value::String(a));
            p.insert("b".into(), Value::String(b));
            p.insert("".into(), Value::String("E".into()));
            let mut expected = String::new();
            let mut rest = template.as_str();
            while let Some(start) = rest.find('{') {
                expected.push_str(&rest[..start]);
                let after = &rest[start..];
                match after.find('}') {
                    Some(end) => {
                        match p.get(&after[1..end]) {
                            Some(Value::String(v)) => expected.push_str(v),
                            _ => expected.push_str(&after[..=end]),
                        }
                        rest = &after[end + 1..];
                    }
                    None => {
                        expected.push_str(after);
                        rest = "";
                    }
                }
            }
            expected.push_str(rest);
            proptest::prop_assert_eq!(fill(&template, &p, Lang::En), expected);
        }
    }
}
