//! The messages and hints of denials ([`DenyCode`]), per language.
//!
//! One match per language over every code, without a catch-all: a new code (or a new
//! language) does not compile until it has a message and says whether it has a hint. A
//! template may depend on which params the deny carries (`has("allowed")`): a hint that
//! names the statuses reachable, a `not_permitted` of authorization (which names the action)
//! or of the lifecycle (which names who may).

use crate::decision::DenyCode;
use crate::messages::Lang;
use crate::violation::Params;

/// The message template of `code` for a deny carrying `params`, in `lang` (English for a
/// tenant language).
pub(crate) fn template(code: DenyCode, params: &Params, lang: Lang) -> &'static str {
    let has = |k: &str| params.contains_key(k);
    match lang {
        Lang::En | Lang::Tenant(_) => en(code, &has),
        Lang::Fr => fr(code, &has),
        Lang::De => de(code, &has),
        Lang::Es => es(code, &has),
    }
}

/// The hint template of `code` for a deny carrying `params`, in `lang`, if it has one.
pub(crate) fn hint_template(code: DenyCode, params: &Params, lang: Lang) -> Option<&'static str> {
    let has = |k: &str| params.contains_key(k);
    match lang {
        Lang::En | Lang::Tenant(_) => en_hint(code, &has),
        Lang::Fr => fr_hint(code, &has),
        Lang::De => de_hint(code, &has),
        Lang::Es => es_hint(code, &has),
    }
}

fn en(code: DenyCode, has: &dyn Fn(&str) -> bool) -> &'static str {
    use DenyCode::*;
    match code {
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
        ForbiddenCombination if has("reason") => "roles {roles} cannot be held together: {reason}",
        ForbiddenCombination => "roles {roles} cannot be held together",
        ReadOnlyConflict => {
            "read-only role `{role}` cannot be combined with `{other}`, which grants write actions"
        }
        NoActiveRole => "an account must keep at least {min} active role(s)",
        PrivilegeEscalation => {
            "you cannot grant `{permission}` (in role `{role}`) because you do not hold it"
        }
        RolesNotAllowed => "the account is `{status}`, a status that holds no roles or groups",
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
        MethodNotAllowed => "password reset method `{method}` is not offered (offered: {allowed})",
        ResetDisabled => "the policy does not allow password resets",
        SelfResetMethod => "users can reset their own password only with a reset link",
        CurrentPasswordRequired => {
            "changing your own password or email needs your current password"
        }
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
        BulkDeleteTooLarge => "a bulk deletion is limited to {max} accounts ({count} requested)",
        BulkDeleteSelf => "you cannot delete your own account in a bulk deletion",
    }
}

fn fr(code: DenyCode, has: &dyn Fn(&str) -> bool) -> &'static str {
    use DenyCode::*;
    match code {
        // The actor's own state, for authorization and the lifecycle alike.
        ActorInactive => {
            "le compte de l'auteur de la demande est `{status}` et n'a aucune permission"
        }
        // Authorization.
        OrganizationScope => "`{action}` dans une autre organisation exige un super administrateur",
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
        RolesNotAllowed => "le compte est à l'état `{status}`, qui ne porte ni rôle ni groupe",
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
            "changer son propre mot de passe ou e-mail demande le mot de passe actuel"
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
    }
}

fn de(code: DenyCode, has: &dyn Fn(&str) -> bool) -> &'static str {
    use DenyCode::*;
    match code {
        // The actor's own state, for authorization and the lifecycle alike.
        ActorInactive => "das ausführende Konto ist `{status}` und hat keine Berechtigungen",
        // Authorization.
        OrganizationScope => {
            "`{action}` in einer anderen Organisation erfordert einen Super-Administrator"
        }
        Forbidden => "`{action}` ist durch die Rolle `{role}` verboten",
        ScopeInsufficient => {
            "`{action}` ist nur im Bereich `{held}` gewährt, der dieses Ziel nicht erreicht (erforderlich: `{needed}`)"
        }
        NotPermitted if has("action") => "keine Rolle gewährt `{action}`",
        RootOnly => "nur der Root-Benutzer kann die Rolle `{role}` vergeben",
        AdministratorOnly => "nur ein Administrator kann die Rolle `{role}` vergeben",
        ForbiddenCombination if has("reason") => {
            "die Rollen {roles} dürfen nicht gemeinsam vergeben sein: {reason}"
        }
        ForbiddenCombination => "die Rollen {roles} dürfen nicht gemeinsam vergeben sein",
        ReadOnlyConflict => {
            "die Nur-Lese-Rolle `{role}` kann nicht mit `{other}` kombiniert werden, das Schreibaktionen gewährt"
        }
        NoActiveRole => "ein Konto muss mindestens {min} aktive Rolle(n) behalten",
        PrivilegeEscalation => {
            "Sie können `{permission}` (in der Rolle `{role}`) nicht vergeben, weil Sie diese Berechtigung nicht haben"
        }
        RolesNotAllowed => "das Konto ist `{status}`, ein Status ohne Rollen und Gruppen",
        FieldNotEditable => "Sie dürfen diese Felder nicht ändern: {fields}",
        // The lifecycle.
        AlreadyInStatus => "das Konto ist bereits `{status}`",
        NoSuchTransition => "kein Übergang führt von `{from}` nach `{to}`",
        TerminalStatus => "`{from}` ist endgültig: das Konto kann diesen Status nicht verlassen",
        NotPermitted => "der ausführende Benutzer darf das nicht tun",
        SelfApproval => "niemand genehmigt seine eigene Verifizierung",
        ReasonRequired => "eine Begründung ist erforderlich",
        ReasonTooLong => "die Begründung darf höchstens {max} Zeichen lang sein (es sind {actual})",
        ReasonNotAllowed => "diese Änderung nimmt keine Begründung an",
        DurationRequired => "für den befristeten Status `{to}` ist eine Dauer erforderlich",
        DurationTooLong => "die Dauer darf höchstens {maxDays} Tage betragen",
        DurationNotAllowed => "`{to}` ist kein befristeter Status: er nimmt keine Dauer an",
        DurationAmbiguous => {
            "geben Sie nur eines von `until`, `durationDays` und `durationMinutes` an"
        }
        DurationInPast => "das Ende eines befristeten Status muss in der Zukunft liegen",
        LastSuperAdmin => "das Konto ist der letzte aktive Super-Administrator",
        SoleCriticalHolder => {
            "das Konto ist der einzige Inhaber der kritischen Berechtigungen {permissions}"
        }
        SystemAdminActive => "ein Systemadministrator muss aktiv bleiben",
        ActiveBookings => "das Konto hat {count} aktive Buchungen",
        IncompleteRecord => "der Datensatz ist unvollständig oder ungültig: {fields}",
        NotSelf => "ein Konto kann das nicht mit sich selbst tun",
        MissingFact => "die Entscheidung benötigt diese Fakten: {facts}",
        ConfirmationRequired => "das Löschen ist endgültig und muss bestätigt werden",
        ModeNotAllowed => "der Löschmodus `{mode}` wird nicht angeboten (angeboten: {allowed})",
        DeletionDisabled => "die Richtlinie erlaubt kein Löschen von Konten",
        MethodNotAllowed => {
            "die Methode `{method}` zum Zurücksetzen des Passworts wird nicht angeboten (angeboten: {allowed})"
        }
        ResetDisabled => "die Richtlinie erlaubt kein Zurücksetzen von Passwörtern",
        SelfResetMethod => "Benutzer können ihr eigenes Passwort nur über einen Link zurücksetzen",
        CurrentPasswordRequired => {
            "zum Ändern des eigenen Passworts oder der eigenen E-Mail ist das aktuelle Passwort erforderlich"
        }
        ManagerCycle => {
            "`{manager}` kann nicht Vorgesetzter sein: das Konto würde sich selbst führen"
        }
        StatusChangeNeedsTransition => {
            "der Status wird über einen Statusübergang geändert, nicht durch Bearbeiten"
        }
        StatusInactive => "das Konto ist `{status}` und kann sich nicht anmelden",
        OrganizationInactive => "die Organisation `{organization}` ist inaktiv",
        Locked => "das Konto ist nach zu vielen fehlgeschlagenen Anmeldungen bis {until} gesperrt",
        AccountLocked => "das Konto ist gesperrt",
        LockedPermanently => "das Konto ist nach zu vielen fehlgeschlagenen Anmeldungen gesperrt",
        PasswordExpired => "das Passwort ist abgelaufen",
        PendingVerification => "das Konto wartet auf Verifizierung",
        Blacklisted => "das Konto ist dauerhaft gesperrt",
        // Bulk safeguards.
        BulkDeleteUnconfirmed => {
            "eine Massenlöschung muss durch Wiederholen der Anzahl der Konten ({count}) bestätigt werden"
        }
        BulkDeleteTooLarge => {
            "eine Massenlöschung ist auf {max} Konten begrenzt ({count} angefordert)"
        }
        BulkDeleteSelf => "Sie können Ihr eigenes Konto nicht in einer Massenlöschung löschen",
    }
}

fn es(code: DenyCode, has: &dyn Fn(&str) -> bool) -> &'static str {
    use DenyCode::*;
    match code {
        // The actor's own state, for authorization and the lifecycle alike.
        ActorInactive => "la cuenta del solicitante está en `{status}` y no tiene permisos",
        // Authorization.
        OrganizationScope => "`{action}` en otra organización requiere un superadministrador",
        Forbidden => "`{action}` está prohibido por el rol `{role}`",
        ScopeInsufficient => {
            "`{action}` solo se concede en el ámbito `{held}`, que no alcanza este destino (se necesita `{needed}`)"
        }
        NotPermitted if has("action") => "ningún rol concede `{action}`",
        RootOnly => "solo el usuario root puede conceder el rol `{role}`",
        AdministratorOnly => "solo un administrador puede conceder el rol `{role}`",
        ForbiddenCombination if has("reason") => {
            "los roles {roles} no pueden tenerse a la vez: {reason}"
        }
        ForbiddenCombination => "los roles {roles} no pueden tenerse a la vez",
        ReadOnlyConflict => {
            "el rol de solo lectura `{role}` no puede combinarse con `{other}`, que concede acciones de escritura"
        }
        NoActiveRole => "una cuenta debe conservar al menos {min} rol(es) activo(s)",
        PrivilegeEscalation => {
            "no puede conceder `{permission}` (del rol `{role}`) porque usted no lo tiene"
        }
        RolesNotAllowed => "la cuenta está en `{status}`, un estado sin roles ni grupos",
        FieldNotEditable => "no tiene permiso para cambiar estos campos: {fields}",
        // The lifecycle.
        AlreadyInStatus => "la cuenta ya está en `{status}`",
        NoSuchTransition => "ninguna transición lleva de `{from}` a `{to}`",
        TerminalStatus => "`{from}` es definitivo: la cuenta no puede salir de él",
        NotPermitted => "el solicitante no tiene permiso para hacer esto",
        SelfApproval => "nadie aprueba su propia verificación",
        ReasonRequired => "se requiere un motivo",
        ReasonTooLong => "el motivo debe tener como máximo {max} caracteres (tiene {actual})",
        ReasonNotAllowed => "este cambio no admite motivo",
        DurationRequired => "se requiere una duración para el estado temporal `{to}`",
        DurationTooLong => "la duración debe ser como máximo de {maxDays} días",
        DurationNotAllowed => "`{to}` no es un estado temporal: no admite duración",
        DurationAmbiguous => "indique solo uno de `until`, `durationDays` y `durationMinutes`",
        DurationInPast => "el fin de un estado temporal debe estar en el futuro",
        LastSuperAdmin => "la cuenta es el último superadministrador activo",
        SoleCriticalHolder => {
            "la cuenta es la única titular de los permisos críticos {permissions}"
        }
        SystemAdminActive => "un administrador del sistema debe permanecer activo",
        ActiveBookings => "la cuenta tiene {count} reservas activas",
        IncompleteRecord => "el registro está incompleto o no es válido: {fields}",
        NotSelf => "una cuenta no puede hacerse esto a sí misma",
        MissingFact => "la decisión necesita estos hechos: {facts}",
        ConfirmationRequired => "la eliminación es definitiva y requiere una confirmación",
        ModeNotAllowed => {
            "el modo de eliminación `{mode}` no está disponible (disponibles: {allowed})"
        }
        DeletionDisabled => "la política no permite eliminar cuentas",
        MethodNotAllowed => {
            "el método de restablecimiento de contraseña `{method}` no está disponible (disponibles: {allowed})"
        }
        ResetDisabled => "la política no permite restablecer contraseñas",
        SelfResetMethod => {
            "los usuarios solo pueden restablecer su propia contraseña con un enlace"
        }
        CurrentPasswordRequired => {
            "para cambiar su propia contraseña o correo necesita la contraseña actual"
        }
        ManagerCycle => {
            "`{manager}` no puede ser el responsable: la cuenta se dirigiría a sí misma"
        }
        StatusChangeNeedsTransition => {
            "el estado se cambia mediante una transición de estado, no con una edición"
        }
        StatusInactive => "la cuenta está en `{status}` y no puede iniciar sesión",
        OrganizationInactive => "la organización `{organization}` está inactiva",
        Locked => {
            "la cuenta está bloqueada tras demasiados inicios de sesión fallidos, hasta {until}"
        }
        AccountLocked => "la cuenta está bloqueada",
        LockedPermanently => "la cuenta está bloqueada tras demasiados inicios de sesión fallidos",
        PasswordExpired => "la contraseña ha caducado",
        PendingVerification => "la cuenta está pendiente de verificación",
        Blacklisted => "la cuenta está vetada de forma permanente",
        // Bulk safeguards.
        BulkDeleteUnconfirmed => {
            "una eliminación masiva debe confirmarse repitiendo el número de cuentas ({count})"
        }
        BulkDeleteTooLarge => {
            "una eliminación masiva está limitada a {max} cuentas ({count} solicitadas)"
        }
        BulkDeleteSelf => "no puede eliminar su propia cuenta en una eliminación masiva",
    }
}

fn en_hint(code: DenyCode, has: &dyn Fn(&str) -> bool) -> Option<&'static str> {
    use DenyCode::*;
    Some(match code {
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
        ReadOnlyConflict if has("suggest") => "assign `{suggest}` instead, or keep `{role}` alone",
        ReadOnlyConflict => "keep `{role}` alone",
        NoActiveRole => "assign another active role first",
        PrivilegeEscalation => "ask someone who holds that permission",
        RolesNotAllowed => "reactivate the account first",
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
        MissingFact => "they are the caller's to give: give them with the question and ask again",
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
    })
}

fn fr_hint(code: DenyCode, has: &dyn Fn(&str) -> bool) -> Option<&'static str> {
    use DenyCode::*;
    Some(match code {
        // The actor's own state, for authorization and the lifecycle alike.
        ActorInactive => "réactivez le compte de l'auteur de la demande",
        // Authorization.
        OrganizationScope => "seul un super administrateur atteint une autre organisation",
        ScopeInsufficient => "un rôle qui accorde `{action}` au périmètre `{needed}` ou plus large",
        NotPermitted if has("granting") => "rôles qui l'accordent : {granting}",
        NotPermitted if has("action") => return None,
        RootOnly => "demandez à l'utilisateur root",
        AdministratorOnly => "demandez à un administrateur",
        ForbiddenCombination if has("suggest") => "attribuez plutôt `{suggest}`",
        ForbiddenCombination => return None,
        ReadOnlyConflict if has("suggest") => {
            "attribuez plutôt `{suggest}`, ou gardez `{role}` seul"
        }
        ReadOnlyConflict => "gardez `{role}` seul",
        NoActiveRole => "attribuez d'abord un autre rôle actif",
        PrivilegeEscalation => "demandez à une personne qui détient cette permission",
        RolesNotAllowed => "réactivez d'abord le compte",
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
        ActiveBookings if has("suggestion") => "passez plutôt le compte à l'état `{suggestion}`",
        ActiveBookings => "attendez la fin des réservations",
        IncompleteRecord => "remplissez tous les champs obligatoires avant de réactiver",
        MissingFact => {
            "c'est à l'appelant de les donner : fournissez-les avec la question et redemandez"
        }
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
        // Bulk safeguards.
        BulkDeleteUnconfirmed => {
            "confirmez avec `confirmed: true` et un `confirmCount` égal au nombre de suppressions"
        }
        BulkDeleteTooLarge => "découpez la suppression en lots plus petits",
        BulkDeleteSelf => "retirez votre propre compte du lot",
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
    })
}

fn de_hint(code: DenyCode, has: &dyn Fn(&str) -> bool) -> Option<&'static str> {
    use DenyCode::*;
    Some(match code {
        // The actor's own state, for authorization and the lifecycle alike.
        ActorInactive => "reaktivieren Sie das ausführende Konto",
        // Authorization.
        OrganizationScope => "nur ein Super-Administrator erreicht eine andere Organisation",
        ScopeInsufficient => "eine Rolle, die `{action}` im Bereich `{needed}` oder weiter gewährt",
        NotPermitted if has("granting") => "Rollen, die es gewähren: {granting}",
        NotPermitted if has("action") => return None,
        RootOnly => "fragen Sie den Root-Benutzer",
        AdministratorOnly => "fragen Sie einen Administrator",
        ForbiddenCombination if has("suggest") => "vergeben Sie stattdessen `{suggest}`",
        ForbiddenCombination => return None,
        ReadOnlyConflict if has("suggest") => {
            "vergeben Sie stattdessen `{suggest}`, oder behalten Sie `{role}` allein"
        }
        ReadOnlyConflict => "behalten Sie `{role}` allein",
        NoActiveRole => "vergeben Sie zuerst eine andere aktive Rolle",
        PrivilegeEscalation => "fragen Sie jemanden, der diese Berechtigung hat",
        RolesNotAllowed => "reaktivieren Sie zuerst das Konto",
        FieldNotEditable => {
            "lassen Sie diese Felder unverändert, oder fragen Sie jemanden, der sie ändern darf"
        }
        // The lifecycle.
        NoSuchTransition if has("allowed") => {
            "von `{from}` aus kann das Konto wechseln zu: {allowed}"
        }
        NoSuchTransition => "kein Übergang verlässt `{from}`",
        NotPermitted => "fragen Sie jemanden mit der erforderlichen Berechtigung oder Rolle",
        ReasonRequired => "geben Sie den Grund für die Änderung an",
        DurationRequired => "geben Sie `until`, `durationDays` oder `durationMinutes` an",
        DurationTooLong => "wählen Sie eine kürzere Dauer",
        LastSuperAdmin => "machen Sie zuerst ein anderes Konto zum Super-Administrator",
        SoleCriticalHolder => {
            "übertragen Sie die kritische Berechtigung zuerst einem anderen Konto"
        }
        SystemAdminActive => "entfernen Sie zuerst die Kennzeichnung als Systemadministrator",
        ActiveBookings if has("suggestion") => {
            "setzen Sie den Status stattdessen auf `{suggestion}`"
        }
        ActiveBookings => "warten Sie, bis die Buchungen beendet sind",
        IncompleteRecord => "füllen Sie vor dem Reaktivieren alle Pflichtfelder aus",
        MissingFact => {
            "der Aufrufer gibt sie an: übergeben Sie sie mit der Frage und fragen Sie erneut"
        }
        ConfirmationRequired if has("alternative") => {
            "bestätigen Sie das Löschen, oder setzen Sie den Status stattdessen auf `{alternative}`"
        }
        ConfirmationRequired => "bestätigen Sie das Löschen",
        SelfResetMethod => "verwenden Sie die Methode `token`",
        CurrentPasswordRequired => "prüfen Sie zuerst das aktuelle Passwort",
        Locked => "versuchen Sie es in {retryAfterSeconds} erneut",
        AccountLocked if has("until") => "es wird in {retryAfterSeconds} entsperrt, am {until}",
        AccountLocked => "ein Administrator muss das Konto entsperren",
        LockedPermanently => "ein Administrator muss das Konto entsperren",
        PasswordExpired => "ändern Sie das Passwort",
        StatusInactive => "ein Administrator kann das Konto reaktivieren",
        // Bulk safeguards.
        BulkDeleteUnconfirmed => {
            "bestätigen Sie mit `confirmed: true` und einem `confirmCount` gleich der Anzahl der Löschungen"
        }
        BulkDeleteTooLarge => "teilen Sie die Löschung in kleinere Stapel auf",
        BulkDeleteSelf => "nehmen Sie Ihr eigenes Konto aus dem Stapel",
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
    })
}

fn es_hint(code: DenyCode, has: &dyn Fn(&str) -> bool) -> Option<&'static str> {
    use DenyCode::*;
    Some(match code {
        // The actor's own state, for authorization and the lifecycle alike.
        ActorInactive => "reactive la cuenta del solicitante",
        // Authorization.
        OrganizationScope => "solo un superadministrador alcanza otra organización",
        ScopeInsufficient => "un rol que conceda `{action}` en el ámbito `{needed}` o más amplio",
        NotPermitted if has("granting") => "roles que lo conceden: {granting}",
        NotPermitted if has("action") => return None,
        RootOnly => "pídaselo al usuario root",
        AdministratorOnly => "pídaselo a un administrador",
        ForbiddenCombination if has("suggest") => "asigne `{suggest}` en su lugar",
        ForbiddenCombination => return None,
        ReadOnlyConflict if has("suggest") => {
            "asigne `{suggest}` en su lugar, o deje `{role}` solo"
        }
        ReadOnlyConflict => "deje `{role}` solo",
        NoActiveRole => "asigne antes otro rol activo",
        PrivilegeEscalation => "pídaselo a alguien que tenga ese permiso",
        RolesNotAllowed => "reactive antes la cuenta",
        FieldNotEditable => {
            "deje estos campos sin cambios, o pídaselo a alguien que pueda modificarlos"
        }
        // The lifecycle.
        NoSuchTransition if has("allowed") => "desde `{from}` la cuenta puede pasar a: {allowed}",
        NoSuchTransition => "ninguna transición sale de `{from}`",
        NotPermitted => "pídaselo a alguien con el permiso o el rol requerido",
        ReasonRequired => "indique el motivo del cambio",
        DurationRequired => "indique `until`, `durationDays` o `durationMinutes`",
        DurationTooLong => "elija una duración más corta",
        LastSuperAdmin => "nombre antes a otra cuenta superadministrador",
        SoleCriticalHolder => "asigne antes el permiso crítico a otra cuenta",
        SystemAdminActive => "quite antes la marca de administrador del sistema",
        ActiveBookings if has("suggestion") => "cambie el estado a `{suggestion}` en su lugar",
        ActiveBookings => "espere a que terminen las reservas",
        IncompleteRecord => "rellene todos los campos obligatorios antes de reactivar",
        MissingFact => "los aporta quien pregunta: páselos con la pregunta y vuelva a preguntar",
        ConfirmationRequired if has("alternative") => {
            "confirme la eliminación, o cambie el estado a `{alternative}` en su lugar"
        }
        ConfirmationRequired => "confirme la eliminación",
        SelfResetMethod => "use el método `token`",
        CurrentPasswordRequired => "verifique antes la contraseña actual",
        Locked => "vuelva a intentarlo dentro de {retryAfterSeconds}",
        AccountLocked if has("until") => "se desbloquea dentro de {retryAfterSeconds}, el {until}",
        AccountLocked => "un administrador debe desbloquear la cuenta",
        LockedPermanently => "un administrador debe desbloquear la cuenta",
        PasswordExpired => "cambie la contraseña",
        StatusInactive => "un administrador puede reactivar la cuenta",
        // Bulk safeguards.
        BulkDeleteUnconfirmed => {
            "confirme con `confirmed: true` y un `confirmCount` igual al número de eliminaciones"
        }
        BulkDeleteTooLarge => "divida la eliminación en lotes más pequeños",
        BulkDeleteSelf => "quite su propia cuenta del lote",
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
    })
}
