//! The messages and hints of denials ([`DenyCode`]), per language.
//!
//! One match per language over every code, without a catch-all: a new code (or a new
//! language) does not compile until it has a message and says whether it has a hint. A
//! template may depend on which params the deny carries (`has("allowed")`): a hint that
//! names the statuses reachable, a `not_permitted` of authorization (which names the action)
//! or of the lifecycle (which names who may).
//!
//! The hints of authorization and of bulk safeguards are not translated yet: French
//! decisions carry the English hint, as they always have.

use crate::decision::DenyCode;
use crate::messages::Lang;
use crate::violation::Params;

/// The message template of `code` for a deny carrying `params`, in `lang`.
pub(crate) fn template(code: DenyCode, params: &Params, lang: Lang) -> &'static str {
    use DenyCode::*;
    let has = |k: &str| params.contains_key(k);
    match lang {
        Lang::En => match code {
            // The actor's own state, for authorization and the lifecycle alike.
            ActorInactive => "the actor's account is `{status}` and holds no permissions",
            // Authorization.
            OrganizationScope => "`{action}` in another organization needs a super administrator",
            Forbidden => "`{action}` is forbidden by role `{role}`",
            ScopeInsufficient => {
                "`{action}` is granted only at scope `{held}`, which does not reach this target (it needs `{needed}`)"
            }
            NotPermitted if has("action") => "no role grants `{action}`",
            RootOnly => "only the root user can grant role `{role}`",
            AdministratorOnly => "only an administrator can grant role `{role}`",
            ForbiddenCombination if has("reason") => {
                "roles {roles} cannot be held together: {reason}"
            }
            ForbiddenCombination => "roles {roles} cannot be held together",
            ReadOnlyConflict => {
                "read-only role `{role}` cannot be combined with `{other}`, which grants write actions"
            }
            NoActiveRole => "an account must keep at least {min} active role(s)",
            PrivilegeEscalation => {
                "you cannot grant `{permission}` (in role `{role}`) because you do not hold it"
            }
            FieldNotEditable => "you are not allowed to change these fields: {fields}",
            // The lifecycle.
            AlreadyInStatus => "the account is already `{status}`",
            NoSuchTransition => "no transition leads from `{from}` to `{to}`",
            TerminalStatus => "`{from}` is permanent: the account cannot leave it",
            NotPermitted => "the actor is not allowed to do this",
            SelfApproval => "nobody approves their own verification",
            ReasonRequired => "a reason is required",
            ReasonTooLong => "the reason must be at most {max} characters long (it has {actual})",
            ReasonNotAllowed => "this change takes no reason",
            DurationRequired => "a duration is required for the temporary status `{to}`",
            DurationTooLong => "the duration must be at most {maxDays} days",
            DurationNotAllowed => "`{to}` is not a temporary status: it takes no duration",
            DurationAmbiguous => "give only one of `until`, `durationDays` and `durationMinutes`",
            DurationInPast => "the end of a temporary status must be in the future",
            LastSuperAdmin => "the account is the last active super administrator",
            SoleCriticalHolder => {
                "the account is the only holder of the critical permissions {permissions}"
            }
            SystemAdminActive => "a system administrator must stay active",
            ActiveBookings => "the account has {count} active bookings",
            IncompleteRecord => "the record is incomplete or invalid: {fields}",
            NotSelf => "an account cannot do this to itself",
            MissingFact => "the decision needs these facts: {facts}",
            ConfirmationRequired => "deletion is permanent and needs a confirmation",
            ModeNotAllowed => "deletion mode `{mode}` is not offered (offered: {allowed})",
            DeletionDisabled => "the policy does not allow deleting accounts",
            MethodNotAllowed => {
                "password reset method `{method}` is not offered (offered: {allowed})"
            }
            ResetDisabled => "the policy does not allow password resets",
            SelfResetMethod => "users can reset their own password only with a reset link",
            CurrentPasswordRequired => "changing your own password needs your current password",
            ManagerCycle => "`{manager}` cannot be the manager: the account would manage itself",
            StatusChangeNeedsTransition => {
                "the status is changed through a status transition, not an edit"
            }
            StatusInactive => "the account is `{status}` and cannot log in",
            OrganizationInactive => "the organization `{organization}` is inactive",
            Locked => "the account is locked after too many failed logins, until {until}",
            AccountLocked => "the account is locked",
            LockedPermanently => "the account is locked after too many failed logins",
            PasswordExpired => "the password has expired",
            PendingVerification => "the account is awaiting verification",
            Blacklisted => "the account is permanently banned",
            // Bulk safeguards.
            BulkDeleteUnconfirmed => {
                "a bulk deletion must be confirmed by repeating the number of accounts ({count})"
            }
            BulkDeleteTooLarge => {
                "a bulk deletion is limited to {max} accounts ({count} requested)"
            }
            BulkDeleteSelf => "you cannot delete your own account in a bulk deletion",
        },
        Lang::Fr => match code {
            // The actor's own state, for authorization and the lifecycle alike.
            ActorInactive => {
                "le compte de l'auteur de la demande est `{status}` et n'a aucune permission"
            }
            // Authorization.
            OrganizationScope => {
                "`{action}` dans une autre organisation exige un super administrateur"
            }
            Forbidden => "`{action}` est interdit par le rôle `{role}`",
            ScopeInsufficient => {
                "`{action}` n'est accordé qu'au périmètre `{held}`, qui n'atteint pas cette cible (il faut `{needed}`)"
            }
            NotPermitted if has("action") => "aucun rôle n'accorde `{action}`",
            RootOnly => "seul l'utilisateur root peut accorder le rôle `{role}`",
            AdministratorOnly => "seul un administrateur peut accorder le rôle `{role}`",
            ForbiddenCombination if has("reason") => {
                "les rôles {roles} ne peuvent pas être cumulés: {reason}"
            }
            ForbiddenCombination => "les rôles {roles} ne peuvent pas être cumulés",
            ReadOnlyConflict => {
                "le rôle en lecture seule `{role}` ne peut pas être combiné avec `{other}`, qui accorde des écritures"
            }
            NoActiveRole => "un compte doit garder au moins {min} rôle(s) actif(s)",
            PrivilegeEscalation => {
                "vous ne pouvez pas accorder `{permission}` (rôle `{role}`) car vous ne le détenez pas"
            }
            FieldNotEditable => "vous n'avez pas le droit de modifier ces champs : {fields}",
            // The lifecycle.
            AlreadyInStatus => "le compte est déjà à l'état `{status}`",
            NoSuchTransition => "aucune transition ne mène de `{from}` à `{to}`",
            TerminalStatus => "l'état `{from}` est définitif : le compte ne peut pas le quitter",
            NotPermitted => "l'auteur de la demande n'a pas le droit de faire cela",
            SelfApproval => "personne ne valide sa propre vérification",
            ReasonRequired => "un motif est obligatoire",
            ReasonTooLong => "le motif doit contenir au plus {max} caractères (il en a {actual})",
            ReasonNotAllowed => "ce changement ne prend pas de motif",
            DurationRequired => "une durée est obligatoire pour l'état temporaire `{to}`",
            DurationTooLong => "la durée doit être d'au plus {maxDays} jours",
            DurationNotAllowed => "l'état `{to}` n'est pas temporaire : il ne prend pas de durée",
            DurationAmbiguous => {
                "donnez une seule valeur parmi `until`, `durationDays` et `durationMinutes`"
            }
            DurationInPast => "la fin d'un état temporaire doit être dans le futur",
            LastSuperAdmin => "le compte est le dernier super administrateur actif",
            SoleCriticalHolder => {
                "le compte est le seul détenteur des permissions critiques {permissions}"
            }
            SystemAdminActive => "un administrateur système doit rester actif",
            ActiveBookings => "le compte a {count} réservations en cours",
            IncompleteRecord => "la fiche est incomplète ou invalide : {fields}",
            NotSelf => "un compte ne peut pas se faire cela à lui-même",
            MissingFact => "la décision a besoin de ces faits : {facts}",
            ConfirmationRequired => "la suppression est définitive et doit être confirmée",
            ModeNotAllowed => {
                "le mode de suppression `{mode}` n'est pas proposé (proposés : {allowed})"
            }
            DeletionDisabled => "la politique ne permet pas de supprimer des comptes",
            MethodNotAllowed => {
                "la méthode de réinitialisation `{method}` n'est pas proposée (proposées : {allowed})"
            }
            ResetDisabled => "la politique ne permet pas de réinitialiser les mots de passe",
            SelfResetMethod => {
                "un utilisateur ne peut réinitialiser son propre mot de passe que par un lien"
            }
            CurrentPasswordRequired => {
                "changer son propre mot de passe demande le mot de passe actuel"
            }
            ManagerCycle => {
                "`{manager}` ne peut pas être le responsable : le compte se dirigerait lui-même"
            }
            StatusChangeNeedsTransition => {
                "l'état se change par une transition d'état, pas par une modification"
            }
            StatusInactive => "le compte est à l'état `{status}` et ne peut pas se connecter",
            OrganizationInactive => "l'organisation `{organization}` est inactive",
            Locked => "le compte est bloqué après trop d'échecs de connexion, jusqu'au {until}",
            AccountLocked => "le compte est bloqué",
            LockedPermanently => "le compte est bloqué après trop d'échecs de connexion",
            PasswordExpired => "le mot de passe a expiré",
            PendingVerification => "le compte est en attente de vérification",
            Blacklisted => "le compte est banni définitivement",
            // Bulk safeguards.
            BulkDeleteUnconfirmed => {
                "une suppression en masse doit être confirmée en répétant le nombre de comptes ({count})"
            }
            BulkDeleteTooLarge => {
                "une suppression en masse est limitée à {max} comptes ({count} demandés)"
            }
            BulkDeleteSelf => {
                "vous ne pouvez pas supprimer votre propre compte dans une suppression en masse"
            }
        },
    }
}

/// The hint template of `code` for a deny carrying `params`, in `lang`, if it has one.
pub(crate) fn hint_template(code: DenyCode, params: &Params, lang: Lang) -> Option<&'static str> {
    use DenyCode::*;
    let has = |k: &str| params.contains_key(k);
    Some(match lang {
        Lang::En => match code {
            // The actor's own state, for authorization and the lifecycle alike.
            ActorInactive => "reactivate the actor's account",
            // Authorization.
            OrganizationScope => "only a super administrator reaches another organization",
            ScopeInsufficient => "a role granting `{action}` at scope `{needed}` or wider",
            // The roles that grant the action, listed once per action from the policy.
            NotPermitted if has("granting") => "roles granting it: {granting}",
            // No role grants the action: nobody to ask.
            NotPermitted if has("action") => return None,
            RootOnly => "ask the root user",
            AdministratorOnly => "ask an administrator",
            ForbiddenCombination if has("suggest") => "assign `{suggest}` instead",
            ForbiddenCombination => return None,
            ReadOnlyConflict if has("suggest") => {
                "assign `{suggest}` instead, or keep `{role}` alone"
            }
            ReadOnlyConflict => "keep `{role}` alone",
            NoActiveRole => "assign another active role first",
            PrivilegeEscalation => "ask someone who holds that permission",
            FieldNotEditable => "leave these fields unchanged, or ask someone who may edit them",
            // The lifecycle.
            NoSuchTransition if has("allowed") => "from `{from}` the account can go to: {allowed}",
            NoSuchTransition => "no transition leaves `{from}`",
            NotPermitted => "ask someone who holds the required permission or role",
            ReasonRequired => "give the reason for the change",
            DurationRequired => "give `until`, `durationDays` or `durationMinutes`",
            DurationTooLong => "choose a shorter duration",
            LastSuperAdmin => "make another account super administrator first",
            SoleCriticalHolder => "reassign the critical permission to another account first",
            SystemAdminActive => "remove the system administrator flag first",
            ActiveBookings if has("suggestion") => "set the status to `{suggestion}` instead",
            ActiveBookings => "wait until the bookings have ended",
            IncompleteRecord => "fill in every required field before reactivating",
            MissingFact => "pass them in `facts` and ask again",
            ConfirmationRequired if has("alternative") => {
                "confirm the deletion, or set the status to `{alternative}` instead"
            }
            ConfirmationRequired => "confirm the deletion",
            SelfResetMethod => "use the `token` method",
            CurrentPasswordRequired => "verify the current password first",
            Locked => "try again in {retryAfterSeconds}",
            AccountLocked if has("until") => "it unlocks in {retryAfterSeconds}, at {until}",
            AccountLocked => "an administrator must unlock the account",
            LockedPermanently => "an administrator must unlock the account",
            PasswordExpired => "change the password",
            StatusInactive => "an administrator can reactivate the account",
            // Bulk safeguards.
            BulkDeleteUnconfirmed => {
                "confirm with `confirmed: true` and `confirmCount` equal to the number of deletions"
            }
            BulkDeleteTooLarge => "split the deletion into smaller batches",
            BulkDeleteSelf => "remove your own account from the batch",
            // No hint.
            Forbidden
            | AlreadyInStatus
            | TerminalStatus
            | SelfApproval
            | ReasonTooLong
            | ReasonNotAllowed
            | DurationNotAllowed
            | DurationAmbiguous
            | DurationInPast
            | NotSelf
            | ModeNotAllowed
            | DeletionDisabled
            | MethodNotAllowed
            | ResetDisabled
            | ManagerCycle
            | StatusChangeNeedsTransition
            | OrganizationInactive
            | PendingVerification
            | Blacklisted => return None,
        },
        Lang::Fr => match code {
            // The actor's own state, for authorization and the lifecycle alike.
            ActorInactive => "réactivez le compte de l'auteur de la demande",
            // Authorization.
            // Not translated yet: these hints are English in every language, as they always
            // were (translating them changes what French decisions say).
            NotPermitted if has("granting") || has("action") => {
                return hint_template(code, params, Lang::En);
            }
            OrganizationScope
            | ScopeInsufficient
            | RootOnly
            | AdministratorOnly
            | ForbiddenCombination
            | ReadOnlyConflict
            | NoActiveRole
            | PrivilegeEscalation
            | BulkDeleteUnconfirmed
            | BulkDeleteTooLarge
            | BulkDeleteSelf => return hint_template(code, params, Lang::En),
            FieldNotEditable => {
                "laissez ces champs inchangés, ou demandez à une personne qui peut les modifier"
            }
            // The lifecycle.
            NoSuchTransition if has("allowed") => {
                "depuis `{from}`, le compte peut passer à : {allowed}"
            }
            NoSuchTransition => "aucune transition ne part de `{from}`",
            NotPermitted => "demandez à une personne qui a la permission ou le rôle requis",
            ReasonRequired => "indiquez le motif du changement",
            DurationRequired => "donnez `until`, `durationDays` ou `durationMinutes`",
            DurationTooLong => "choisissez une durée plus courte",
            LastSuperAdmin => "nommez d'abord un autre super administrateur",
            SoleCriticalHolder => "attribuez d'abord la permission critique à un autre compte",
            SystemAdminActive => "retirez d'abord l'indicateur d'administrateur système",
            ActiveBookings if has("suggestion") => {
                "passez plutôt le compte à l'état `{suggestion}`"
            }
            ActiveBookings => "attendez la fin des réservations",
            IncompleteRecord => "remplissez tous les champs obligatoires avant de réactiver",
            MissingFact => "fournissez-les dans `facts` et redemandez",
            ConfirmationRequired if has("alternative") => {
                "confirmez la suppression, ou passez plutôt le compte à l'état `{alternative}`"
            }
            ConfirmationRequired => "confirmez la suppression",
            SelfResetMethod => "utilisez la méthode `token`",
            CurrentPasswordRequired => "vérifiez d'abord le mot de passe actuel",
            Locked => "réessayez dans {retryAfterSeconds}",
            AccountLocked if has("until") => "il se débloque dans {retryAfterSeconds}, le {until}",
            AccountLocked => "un administrateur doit débloquer le compte",
            LockedPermanently => "un administrateur doit débloquer le compte",
            PasswordExpired => "changez le mot de passe",
            StatusInactive => "un administrateur peut réactiver le compte",
            // No hint.
            Forbidden
            | AlreadyInStatus
            | TerminalStatus
            | SelfApproval
            | ReasonTooLong
            | ReasonNotAllowed
            | DurationNotAllowed
            | DurationAmbiguous
            | DurationInPast
            | NotSelf
            | ModeNotAllowed
            | DeletionDisabled
            | MethodNotAllowed
            | ResetDisabled
            | ManagerCycle
            | StatusChangeNeedsTransition
            | OrganizationInactive
            | PendingVerification
            | Blacklisted => return None,
        },
    })
}
