//! The messages of violations ([`Code`]) and the checklist labels of password rules, per
//! language.

use crate::messages::{Lang, fill, render};
use crate::violation::{Code, Params};

/// The template of `code` in `lang` (English for a tenant language).
pub fn template(code: Code, lang: Lang) -> &'static str {
    match lang {
        Lang::En | Lang::Tenant(_) => en(code),
        Lang::Fr => fr(code),
        Lang::De => de(code),
        Lang::Es => es(code),
    }
}

fn en(code: Code) -> &'static str {
    use Code::*;
    match code {
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
        EmailLocalTooLong => "the part before @ must be at most {max} characters (it has {actual})",
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
    }
}

fn fr(code: Code) -> &'static str {
    use Code::*;
    match code {
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
    }
}

fn de(code: Code) -> &'static str {
    use Code::*;
    match code {
        Required => "dieses Feld ist erforderlich",
        UnknownField => "dieses Feld gehört nicht zum Benutzerschema",
        WrongType => "erwartet: {expected}",
        TooShort => "muss mindestens {min} Zeichen lang sein (es sind {actual})",
        TooLong => "darf höchstens {max} Zeichen lang sein (es sind {actual})",
        ProhibitedCharacters => "enthält nicht erlaubte Zeichen: {characters}",
        NotAllowed => "muss einer dieser Werte sein: {allowed}",
        PatternMismatch => "entspricht nicht dem geforderten Format",
        InvalidFormat => "ist kein gültiger Wert für {format}",
        InvalidEmail => "ist keine gültige E-Mail-Adresse ({reason})",
        EmailLocalTooLong => {
            "der Teil vor dem @ darf höchstens {max} Zeichen lang sein (es sind {actual})"
        }
        EmailTooLong => {
            "eine E-Mail-Adresse darf höchstens {max} Zeichen lang sein (es sind {actual})"
        }
        InvalidDomain => "die Domain ist ungültig ({reason})",
        InvalidPhone => "ist keine gültige internationale Telefonnummer ({reason})",
        InvalidDate => "ist kein gültiges Datum (erwartet JJJJ-MM-TT)",
        DateNotInPast => "muss ein Datum in der Vergangenheit sein",
        TooYoung => "das Mindestalter beträgt {minAge} Jahre",
        DerivedMismatch => "sollte {expected} lauten, abgeleitet aus {source}",
        UnknownReference => "`{key}` existiert nicht",
        Duplicate => "wird bereits von einem anderen Konto verwendet",
        NamingConvention => "entspricht nicht der Namenskonvention {expected}",
        GenericData => "sieht nach generischen Platzhalterdaten aus",
        PasswordTooShort => "muss mindestens {min} Zeichen lang sein",
        PasswordTooLong => "darf höchstens {max} Zeichen lang sein",
        PasswordMissingUpper => "muss einen Großbuchstaben enthalten",
        PasswordMissingLower => "muss einen Kleinbuchstaben enthalten",
        PasswordMissingDigit => "muss eine Ziffer enthalten",
        PasswordMissingSpecial => "muss ein Sonderzeichen enthalten",
        PasswordCommon => "ist zu verbreitet und leicht zu erraten",
        PasswordSimilar => "ähnelt zu sehr dem Attribut {attribute} des Benutzers",
        PasswordRepetitive => "ist eine Wiederholung oder eine Folge",
        PasswordInvalidCharacters => "enthält Steuerzeichen",
        PasswordCheckUnavailable => {
            "kann nicht geprüft werden: die Liste verbreiteter Passwörter ist nicht geladen"
        }
    }
}

fn es(code: Code) -> &'static str {
    use Code::*;
    match code {
        Required => "este campo es obligatorio",
        UnknownField => "este campo no forma parte del esquema de usuario",
        WrongType => "se esperaba: {expected}",
        TooShort => "debe tener al menos {min} caracteres (tiene {actual})",
        TooLong => "debe tener como máximo {max} caracteres (tiene {actual})",
        ProhibitedCharacters => "contiene caracteres no permitidos: {characters}",
        NotAllowed => "debe ser uno de estos valores: {allowed}",
        PatternMismatch => "no tiene el formato requerido",
        InvalidFormat => "no es un valor válido de {format}",
        InvalidEmail => "no es una dirección de correo electrónico válida ({reason})",
        EmailLocalTooLong => {
            "la parte anterior a @ debe tener como máximo {max} caracteres (tiene {actual})"
        }
        EmailTooLong => {
            "una dirección de correo electrónico debe tener como máximo {max} caracteres (tiene {actual})"
        }
        InvalidDomain => "el dominio no es válido ({reason})",
        InvalidPhone => "no es un número de teléfono internacional válido ({reason})",
        InvalidDate => "no es una fecha válida (formato AAAA-MM-DD)",
        DateNotInPast => "debe ser una fecha pasada",
        TooYoung => "la edad mínima es de {minAge} años",
        DerivedMismatch => "debería ser {expected}, según {source}",
        UnknownReference => "`{key}` no existe",
        Duplicate => "ya lo utiliza otra cuenta",
        NamingConvention => "no sigue la convención de nombres {expected}",
        GenericData => "parece un dato genérico de relleno",
        PasswordTooShort => "debe tener al menos {min} caracteres",
        PasswordTooLong => "debe tener como máximo {max} caracteres",
        PasswordMissingUpper => "debe contener una letra mayúscula",
        PasswordMissingLower => "debe contener una letra minúscula",
        PasswordMissingDigit => "debe contener un dígito",
        PasswordMissingSpecial => "debe contener un carácter especial",
        PasswordCommon => "es demasiado común y fácil de adivinar",
        PasswordSimilar => "se parece demasiado al atributo {attribute} del usuario",
        PasswordRepetitive => "es una repetición o una secuencia",
        PasswordInvalidCharacters => "contiene caracteres de control",
        PasswordCheckUnavailable => {
            "no se puede comprobar: la lista de contraseñas comunes no está cargada"
        }
    }
}

/// The positive wording of a password rule for a form's checklist (`at least 8
/// characters`), from the code of the issue the rule raises when unmet.
pub fn checklist_label(code: Code, params: &Params, lang: Lang) -> String {
    use Code::*;
    let t = match (code, lang.builtin()) {
        (PasswordTooShort, Lang::En) => "at least {min} characters",
        (PasswordTooShort, Lang::Fr) => "au moins {min} caractères",
        (PasswordTooShort, Lang::De) => "mindestens {min} Zeichen",
        (PasswordTooShort, Lang::Es) => "al menos {min} caracteres",
        (PasswordTooLong, Lang::En) => "at most {max} characters",
        (PasswordTooLong, Lang::Fr) => "au plus {max} caractères",
        (PasswordTooLong, Lang::De) => "höchstens {max} Zeichen",
        (PasswordTooLong, Lang::Es) => "como máximo {max} caracteres",
        (PasswordMissingUpper, Lang::En) => "an upper-case letter",
        (PasswordMissingUpper, Lang::Fr) => "une lettre majuscule",
        (PasswordMissingUpper, Lang::De) => "ein Großbuchstabe",
        (PasswordMissingUpper, Lang::Es) => "una letra mayúscula",
        (PasswordMissingLower, Lang::En) => "a lower-case letter",
        (PasswordMissingLower, Lang::Fr) => "une lettre minuscule",
        (PasswordMissingLower, Lang::De) => "ein Kleinbuchstabe",
        (PasswordMissingLower, Lang::Es) => "una letra minúscula",
        (PasswordMissingDigit, Lang::En) => "a digit",
        (PasswordMissingDigit, Lang::Fr) => "un chiffre",
        (PasswordMissingDigit, Lang::De) => "eine Ziffer",
        (PasswordMissingDigit, Lang::Es) => "un dígito",
        (PasswordMissingSpecial, Lang::En) => "a special character",
        (PasswordMissingSpecial, Lang::Fr) => "un caractère spécial",
        (PasswordMissingSpecial, Lang::De) => "ein Sonderzeichen",
        (PasswordMissingSpecial, Lang::Es) => "un carácter especial",
        (PasswordCommon, Lang::En) => "not a common password",
        (PasswordCommon, Lang::Fr) => "pas un mot de passe courant",
        (PasswordCommon, Lang::De) => "kein verbreitetes Passwort",
        (PasswordCommon, Lang::Es) => "no es una contraseña común",
        (PasswordSimilar, Lang::En) => "not based on the user's name, email or username",
        (PasswordSimilar, Lang::Fr) => "sans rapport avec le nom, l'e-mail ou l'identifiant",
        (PasswordSimilar, Lang::De) => {
            "nicht aus Name, E-Mail-Adresse oder Benutzername abgeleitet"
        }
        (PasswordSimilar, Lang::Es) => {
            "sin relación con el nombre, el correo electrónico o el nombre de usuario"
        }
        (PasswordRepetitive, Lang::En) => "not a repetition or a sequence",
        (PasswordRepetitive, Lang::Fr) => "ni une répétition ni une suite",
        (PasswordRepetitive, Lang::De) => "keine Wiederholung und keine Folge",
        (PasswordRepetitive, Lang::Es) => "ni una repetición ni una secuencia",
        (PasswordInvalidCharacters, Lang::En) => "no control characters",
        (PasswordInvalidCharacters, Lang::Fr) => "aucun caractère de contrôle",
        (PasswordInvalidCharacters, Lang::De) => "keine Steuerzeichen",
        (PasswordInvalidCharacters, Lang::Es) => "ningún carácter de control",
        _ => return render(code, params, lang),
    };
    fill(t, params, lang)
}
