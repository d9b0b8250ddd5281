//! The messages of violations ([`Code`]) and the checklist labels of password rules, per
//! language.

use crate::messages::{Lang, fill, render};
use crate::violation::{Code, Params};

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
