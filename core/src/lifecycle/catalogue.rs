//! The lifecycle's message catalogue: denial codes to messages and hints, in English and
//! French. Templates name params in braces, as in [`crate::messages`].

use crate::messages::{Lang, fill};
use crate::violation::Params;

/// Every denial code of the lifecycle, for tests.
#[cfg(test)]
pub(crate) const CODES: &[&str] = &[
    "already_in_status",
    "no_such_transition",
    "terminal_status",
    "not_permitted",
    "actor_inactive",
    "self_approval",
    "reason_required",
    "reason_too_long",
    "reason_not_allowed",
    "duration_required",
    "duration_too_long",
    "duration_not_allowed",
    "duration_ambiguous",
    "duration_in_past",
    "last_super_admin",
    "sole_critical_holder",
    "system_admin_active",
    "active_bookings",
    "incomplete_record",
    "not_self",
    "missing_fact",
    "confirmation_required",
    "mode_not_allowed",
    "deletion_disabled",
    "method_not_allowed",
    "reset_disabled",
    "self_reset_method",
    "current_password_required",
    "manager_cycle",
    "status_change_needs_transition",
    "status_inactive",
    "organization_inactive",
    "locked",
    "account_locked",
    "locked_permanently",
    "password_expired",
    "pending_verification",
    "blacklisted",
];

fn template(code: &str, lang: Lang) -> &'static str {
    match lang {
        Lang::En => match code {
            "already_in_status" => "the account is already `{status}`",
            "no_such_transition" => "no transition leads from `{from}` to `{to}`",
            "terminal_status" => "`{from}` is permanent: the account cannot leave it",
            "not_permitted" => "the actor is not allowed to do this",
            "actor_inactive" => "the actor's account is `{status}` and holds no permissions",
            "self_approval" => "nobody approves their own verification",
            "reason_required" => "a reason is required",
            "reason_too_long" => {
                "the reason must be at most {max} characters long (it has {actual})"
            }
            "reason_not_allowed" => "this change takes no reason",
            "duration_required" => "a duration is required for the temporary status `{to}`",
            "duration_too_long" => "the duration must be at most {maxDays} days",
            "duration_not_allowed" => "`{to}` is not a temporary status: it takes no duration",
            "duration_ambiguous" => {
                "give only one of `until`, `durationDays` and `durationMinutes`"
            }
            "duration_in_past" => "the end of a temporary status must be in the future",
            "last_super_admin" => "the account is the last active super administrator",
            "sole_critical_holder" => {
                "the account is the only holder of the critical permissions {permissions}"
            }
            "system_admin_active" => "a system administrator must stay active",
            "active_bookings" => "the account has {count} active bookings",
            "incomplete_record" => "the record is incomplete or invalid: {fields}",
            "not_self" => "an account cannot do this to itself",
            "missing_fact" => "the decision needs these facts: {facts}",
            "confirmation_required" => "deletion is permanent and needs a confirmation",
            "mode_not_allowed" => "deletion mode `{mode}` is not offered (offered: {allowed})",
            "deletion_disabled" => "the policy does not allow deleting accounts",
            "method_not_allowed" => {
                "password reset method `{method}` is not offered (offered: {allowed})"
            }
            "reset_disabled" => "the policy does not allow password resets",
            "self_reset_method" => "users can reset their own password only with a reset link",
            "current_password_required" => "changing your own password needs your current password",
            "manager_cycle" => "`{manager}` cannot be the manager: the account would manage itself",
            "status_change_needs_transition" => {
                "the status is changed through a status transition, not an edit"
            }
            "status_inactive" => "the account is `{status}` and cannot log in",
            "organization_inactive" => "the organization `{organization}` is inactive",
            "locked" => "the account is locked after too many failed logins, until {until}",
            "account_locked" => "the account is locked",
            "locked_permanently" => "the account is locked after too many failed logins",
            "password_expired" => "the password has expired",
            "pending_verification" => "the account is awaiting verification",
            "blacklisted" => "the account is permanently banned",
            _ => "the operation is denied",
        },
        Lang::Fr => match code {
            "already_in_status" => "le compte est déjà à l'état `{status}`",
            "no_such_transition" => "aucune transition ne mène de `{from}` à `{to}`",
            "terminal_status" => "l'état `{from}` est définitif : le compte ne peut pas le quitter",
            "not_permitted" => "l'auteur de la demande n'a pas le droit de faire cela",
            "actor_inactive" => {
                "le compte de l'auteur de la demande est `{status}` et n'a aucune permission"
            }
            "self_approval" => "personne ne valide sa propre vérification",
            "reason_required" => "un motif est obligatoire",
            "reason_too_long" => {
                "le motif doit contenir au plus {max} caractères (il en a {actual})"
            }
            "reason_not_allowed" => "ce changement ne prend pas de motif",
            "duration_required" => "une durée est obligatoire pour l'état temporaire `{to}`",
            "duration_too_long" => "la durée doit être d'au plus {maxDays} jours",
            "duration_not_allowed" => {
                "l'état `{to}` n'est pas temporaire : il ne prend pas de durée"
            }
            "duration_ambiguous" => {
                "donnez une seule valeur parmi `until`, `durationDays` et `durationMinutes`"
            }
            "duration_in_past" => "la fin d'un état temporaire doit être dans le futur",
            "last_super_admin" => "le compte est le dernier super administrateur actif",
            "sole_critical_holder" => {
                "le compte est le seul détenteur des permissions critiques {permissions}"
            }
            "system_admin_active" => "un administrateur système doit rester actif",
            "active_bookings" => "le compte a {count} réservations en cours",
            "incomplete_record" => "la fiche est incomplète ou invalide : {fields}",
            "not_self" => "un compte ne peut pas se faire cela à lui-même",
            "missing_fact" => "la décision a besoin de ces faits : {facts}",
            "confirmation_required" => "la suppression est définitive et doit être confirmée",
            "mode_not_allowed" => {
                "le mode de suppression `{mode}` n'est pas proposé (proposés : {allowed})"
            }
            "deletion_disabled" => "la politique ne permet pas de supprimer des comptes",
            "method_not_allowed" => {
                "la méthode de réinitialisation `{method}` n'est pas proposée (proposées : {allowed})"
            }
            "reset_disabled" => "la politique ne permet pas de réinitialiser les mots de passe",
            "self_reset_method" => {
                "un utilisateur ne peut réinitialiser son propre mot de passe que par un lien"
            }
            "current_password_required" => {
                "changer son propre mot de passe demande le mot de passe actuel"
            }
            "manager_cycle" => {
                "`{manager}` ne peut pas être le responsable : le compte se dirigerait lui-même"
            }
            "status_change_needs_transition" => {
                "l'état se change par une transition d'état, pas par une modification"
            }
            "status_inactive" => "le compte est à l'état `{status}` et ne peut pas se connecter",
            "organization_inactive" => "l'organisation `{organization}` est inactive",
            "locked" => "le compte est bloqué après trop d'échecs de connexion, jusqu'au {until}",
            "account_locked" => "le compte est bloqué",
            "locked_permanently" => "le compte est bloqué après trop d'échecs de connexion",
            "password_expired" => "le mot de passe a expiré",
            "pending_verification" => "le compte est en attente de vérification",
            "blacklisted" => "le compte est banni définitivement",
            _ => "l'opération est refusée",
        },
    }
}

fn hint_template(code: &str, params: &Params, lang: Lang) -> Option<&'static str> {
    let has = |k: &str| params.contains_key(k);
    Some(match lang {
        Lang::En => match code {
            "no_such_transition" if has("allowed") => {
                "from `{from}` the account can go to: {allowed}"
            }
            "no_such_transition" => "no transition leaves `{from}`",
            "not_permitted" => "ask someone who holds the required permission or role",
            "reason_required" => "give the reason for the change",
            "duration_required" => "give `until`, `durationDays` or `durationMinutes`",
            "duration_too_long" => "choose a shorter duration",
            "last_super_admin" => "make another account super administrator first",
            "sole_critical_holder" => "reassign the critical permission to another account first",
            "system_admin_active" => "remove the system administrator flag first",
            "active_bookings" if has("suggestion") => "set the status to `{suggestion}` instead",
            "active_bookings" => "wait until the bookings have ended",
            "incomplete_record" => "fill in every required field before reactivating",
            "missing_fact" => "pass them in `facts` and ask again",
            "confirmation_required" if has("alternative") => {
                "confirm the deletion, or set the status to `{alternative}` instead"
            }
            "confirmation_required" => "confirm the deletion",
            "self_reset_method" => "use the `token` method",
            "current_password_required" => "verify the current password first",
            "locked" => "try again in {retryAfterSeconds}",
            "account_locked" if has("until") => "it unlocks in {retryAfterSeconds}, at {until}",
            "account_locked" => "an administrator must unlock the account",
            "locked_permanently" => "an administrator must unlock the account",
            "password_expired" => "change the password",
            "status_inactive" => "an administrator can reactivate the account",
            _ => return None,
        },
        Lang::Fr => match code {
            "no_such_transition" if has("allowed") => {
                "depuis `{from}`, le compte peut passer à : {allowed}"
            }
            "no_such_transition" => "aucune transition ne part de `{from}`",
            "not_permitted" => "demandez à une personne qui a la permission ou le rôle requis",
            "reason_required" => "indiquez le motif du changement",
            "duration_required" => "donnez `until`, `durationDays` ou `durationMinutes`",
            "duration_too_long" => "choisissez une durée plus courte",
            "last_super_admin" => "nommez d'abord un autre super administrateur",
            "sole_critical_holder" => "attribuez d'abord la permission critique à un autre compte",
            "system_admin_active" => "retirez d'abord l'indicateur d'administrateur système",
            "active_bookings" if has("suggestion") => {
                "passez plutôt le compte à l'état `{suggestion}`"
            }
            "active_bookings" => "attendez la fin des réservations",
            "incomplete_record" => "remplissez tous les champs obligatoires avant de réactiver",
            "missing_fact" => "fournissez-les dans `facts` et redemandez",
            "confirmation_required" if has("alternative") => {
                "confirmez la suppression, ou passez plutôt le compte à l'état `{alternative}`"
            }
            "confirmation_required" => "confirmez la suppression",
            "self_reset_method" => "utilisez la méthode `token`",
            "current_password_required" => "vérifiez d'abord le mot de passe actuel",
            "locked" => "réessayez dans {retryAfterSeconds}",
            "account_locked" if has("until") => {
                "il se débloque dans {retryAfterSeconds}, le {until}"
            }
            "account_locked" => "un administrateur doit débloquer le compte",
            "locked_permanently" => "un administrateur doit débloquer le compte",
            "password_expired" => "changez le mot de passe",
            "status_inactive" => "un administrateur peut réactiver le compte",
            _ => return None,
        },
    })
}

/// The message of `code`.
pub(crate) fn message(code: &str, params: &Params, lang: Lang) -> String {
    fill(template(code, lang), params, lang)
}

/// The hint of `code`, if it has one.
pub(crate) fn hint(code: &str, params: &Params, lang: Lang) -> Option<String> {
    hint_template(code, params, lang).map(|t| fill(t, params, lang))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_message_in_both_languages_without_final_period() {
        for code in CODES {
            for lang in [Lang::En, Lang::Fr] {
                let t = template(code, lang);
                assert_ne!(t, template("__nope__", lang), "{code} {lang:?}");
                assert!(!t.ends_with('.'), "{t}");
                assert!(t.chars().next().is_some_and(|c| !c.is_uppercase()), "{t}");
            }
        }
    }
}
