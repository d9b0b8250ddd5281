/* Generated from contract/schema.json by scripts/gen-types.mjs: do not edit. */

/**
 * An instant: RFC 3339 (`2026-01-31T09:00:00Z`, an offset is accepted and normalised to UTC).
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "Timestamp".
 */
export type Timestamp = string;
/**
 * A rendered message, in the requested language.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "Text".
 */
export type Text = string;
/**
 * The rule that decided (`superAdmin`, `role:manager#0`, `guard:activeBookings`).
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "RuleName".
 */
export type RuleName = string;
/**
 * How far a permission reaches.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "ScopeLevel".
 */
export type ScopeLevel = "own" | "team" | "location" | "organization" | "all";
/**
 * The response of an operation whose output is `AuthzDecision`: the output with the contract version.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "AuthzDecisionResponse".
 */
export type AuthzDecisionResponse = AuthzDecision & {
  /**
   * The contract version of the response.
   */
  contract: 1;
};
/**
 * Something the caller must do when it carries out an allowed decision.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "Obligation".
 */
export type Obligation =
  | {
      kind: "revokeSessions";
    }
  | {
      kind: "notifyUser";
      /**
       * The template's name (`status.inactive`, `passwordReset.temporaryPassword`).
       */
      template: string;
    }
  | {
      kind: "removeRoles";
      /**
       * The account's direct roles.
       */
      roles: string[];
    }
  | {
      /**
       * The account's manual groups.
       */
      groups: string[];
      kind: "removeGroups";
    }
  | {
      /**
       * How many there are.
       */
      count: number;
      kind: "reassignApprovals";
    }
  | {
      kind: "notifyEmailChange";
      /**
       * The new address.
       */
      new: string;
      /**
       * The old address.
       */
      old: string;
    }
  | {
      /**
       * The address to verify.
       */
      email: string;
      kind: "verifyNewEmail";
    }
  | {
      kind: "forcePasswordChange";
    }
  | {
      kind: "invalidatePasswords";
    }
  | {
      /**
       * An instant: RFC 3339 (`2026-01-31T09:00:00Z`, an offset is accepted and normalised to UTC).
       */
      expiresAt: string;
      kind: "issueResetToken";
    }
  | {
      kind: "cancelFutureBookings";
    }
  | {
      /**
       * An instant: RFC 3339 (`2026-01-31T09:00:00Z`, an offset is accepted and normalised to UTC).
       */
      at: string;
      kind: "scheduleExpiry";
      /**
       * The status it returns to.
       */
      returnsTo: string;
    }
  | {
      kind: "audit";
    };
/**
 * One part of a [`Path`]: an object key or an array index.
 *
 * Serialised as a JSON string or a JSON number, so that the key `"0"` and the index `0`
 * stay distinct in every language.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "PathPart".
 */
export type PathPart = number | string;
/**
 * Where the violation is.
 */
export type Path = PathPart[];
/**
 * The response of an operation whose output is `BulkDecision`: the output with the contract version.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "BulkDecisionResponse".
 */
export type BulkDecisionResponse = BulkDecision & {
  /**
   * The contract version of the response.
   */
  contract: 1;
};
/**
 * One item of a bulk request.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "BulkItem".
 */
export type BulkItem =
  | {
      /**
       * Duration of a temporary status, in days.
       */
      durationDays?: number | null;
      /**
       * Duration of a temporary status, in minutes (as a single transition takes it).
       */
      durationMinutes?: number | null;
      facts?: TransitionFacts;
      op: "status";
      /**
       * The reason.
       */
      reason?: string | null;
      target: Account3;
      /**
       * The status.
       */
      to: string;
      /**
       * End of a temporary status.
       */
      until?: Timestamp | null;
    }
  | {
      /**
       * Roles granted.
       */
      add?: string[];
      facts?: ChangeFacts;
      op: "roles";
      /**
       * Roles withdrawn.
       */
      remove?: string[];
      target: Account4;
    }
  | {
      facts?: TransitionFacts1;
      /**
       * Soft, hard or anonymising (default: the policy's).
       */
      mode?: DeleteMode | null;
      op: "delete";
      target: Account5;
    }
  | {
      facts?: ValidationFacts;
      op: "import";
      /**
       * The user record.
       */
      user: {
        [k: string]: unknown;
      };
    };
/**
 * A way of deleting an account (R002-10).
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "DeleteMode".
 */
export type DeleteMode = "soft" | "hard" | "anonymize";
/**
 * A calendar date, `YYYY-MM-DD`.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "Date".
 */
export type Date = string;
/**
 * The response of an operation whose output is `ChangeDecision`: the output with the contract version.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "ChangeDecisionResponse".
 */
export type ChangeDecisionResponse = ChangeDecision & {
  /**
   * The contract version of the response.
   */
  contract: 1;
};
/**
 * The kind of a [`Check`].
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "CheckKind".
 */
export type CheckKind = "unique" | "exists";
/**
 * The stable machine code of a violation.
 *
 * Codes are part of Warden's interface: they never change meaning, and new ones are
 * only added. They serialise as the snake_case strings listed here.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "Code".
 */
export type Code =
  | "required"
  | "unknown_field"
  | "wrong_type"
  | "too_short"
  | "too_long"
  | "prohibited_characters"
  | "not_allowed"
  | "pattern_mismatch"
  | "invalid_format"
  | "invalid_email"
  | "email_local_too_long"
  | "email_too_long"
  | "invalid_domain"
  | "invalid_phone"
  | "invalid_date"
  | "date_not_in_past"
  | "too_young"
  | "derived_mismatch"
  | "unknown_reference"
  | "duplicate"
  | "naming_convention"
  | "generic_data"
  | "password_too_short"
  | "password_too_long"
  | "password_missing_upper"
  | "password_missing_lower"
  | "password_missing_digit"
  | "password_missing_special"
  | "password_common"
  | "password_similar"
  | "password_repetitive"
  | "password_invalid_characters"
  | "password_check_unavailable";
/**
 * Allow or deny. Anything fatal (a policy error, a plugin fault, an exhausted limit) is a
 * deny, never an allow.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "Decision".
 */
export type Decision = "allow" | "deny";
/**
 * The response of an operation whose output is `DeleteDecision`: the output with the contract version.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "DeleteDecisionResponse".
 */
export type DeleteDecisionResponse = DeleteDecision & {
  /**
   * The contract version of the response.
   */
  contract: 1;
};
/**
 * Why a request is denied, broadly.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "DenyKind".
 */
export type DenyKind = "notPermitted" | "forbidden" | "invalidState" | "missingFact" | "invalidRequest";
/**
 * One thing wrong with the manager relation found while building a [`Hierarchy`] (R001-04).
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "HierarchyProblem".
 */
export type HierarchyProblem =
  | {
      kind: "missingManager";
      /**
       * The manager id that does not exist.
       */
      manager: string;
      /**
       * The user whose manager is missing.
       */
      user: string;
    }
  | {
      kind: "cycle";
      /**
       * The users on the cycle, starting with the smallest id, in manager order (each one's
       * manager is the next one; the last one's manager is the first one).
       */
      users: string[];
    }
  | {
      kind: "duplicateId";
      /**
       * The repeated id.
       */
      user: string;
    }
  | {
      kind: "selfManaged";
      /**
       * The user.
       */
      user: string;
    }
  | {
      kind: "capacityExceeded";
      /**
       * The user that was left out.
       */
      user: string;
    };
/**
 * The response of an operation whose output is `DirectoryDecision`: the output with the contract version.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "DirectoryDecisionResponse".
 */
export type DirectoryDecisionResponse = DirectoryDecision & {
  /**
   * The contract version of the response.
   */
  contract: 1;
};
/**
 * The response of an operation whose output is `EffectiveStatus`: the output with the contract version.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "EffectiveStatusResponse".
 */
export type EffectiveStatusResponse = EffectiveStatus & {
  /**
   * The contract version of the response.
   */
  contract: 1;
};
/**
 * The response of an operation whose output is `FieldAccessDecision`: the output with the contract version.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "FieldAccessDecisionResponse".
 */
export type FieldAccessDecisionResponse = FieldAccessDecision & {
  /**
   * The contract version of the response.
   */
  contract: 1;
};
/**
 * The set of targets an actor may reach with an action.
 *
 * Every variant but [`Filter::All`] is confined to one organisation: only a super
 * administrator gets `All` (R000-07).
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "Filter".
 */
export type Filter =
  | {
      kind: "all";
    }
  | {
      kind: "none";
    }
  | {
      kind: "organization";
      /**
       * The organisation.
       */
      organization: string;
    }
  | {
      /**
       * The actor's id.
       */
      id: string;
      kind: "own";
      /**
       * The actor's organisation; without one, only the actor's own account matches.
       */
      organization?: string | null;
    }
  | {
      kind: "locations";
      /**
       * The locations.
       */
      locations: string[];
      /**
       * The organisation.
       */
      organization: string;
    }
  | {
      /**
       * How many levels down (1 = direct reports); absent for the whole subtree.
       */
      depth?: number | null;
      kind: "subtree";
      /**
       * The manager's id.
       */
      manager: string;
      /**
       * The organisation.
       */
      organization: string;
    }
  | {
      /**
       * The alternatives (never nested, never empty).
       */
      filters: Filter[];
      kind: "anyOf";
    };
/**
 * The response of an operation whose output is `FindingsDecision`: the output with the contract version.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "FindingsDecisionResponse".
 */
export type FindingsDecisionResponse = FindingsDecision & {
  /**
   * The contract version of the response.
   */
  contract: 1;
};
/**
 * The input format.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "ImportFormat".
 */
export type ImportFormat = "csv" | "jsonLines";
/**
 * The response of an operation whose output is `ImportReport`: the output with the contract version.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "ImportReportResponse".
 */
export type ImportReportResponse = ImportReport & {
  /**
   * The contract version of the response.
   */
  contract: 1;
};
/**
 * The outcome of one item.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "ItemOutcome".
 */
export type ItemOutcome = "allowed" | "denied" | "invalid";
/**
 * A language tag (BCP 47): a built-in catalogue (`en`, `fr`, `de`, `es`; a regional variant such as `fr-CA` reads as its language) or a language the policy's `messages` section adds.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "Lang".
 */
export type Lang = ("en" | "fr" | "de" | "es") | string;
/**
 * The response of an operation whose output is `LockoutState`: the output with the contract version.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "LockoutStateResponse".
 */
export type LockoutStateResponse = LockoutState & {
  /**
   * The contract version of the response.
   */
  contract: 1;
};
/**
 * The response of an operation whose output is `LoginDecision`: the output with the contract version.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "LoginDecisionResponse".
 */
export type LoginDecisionResponse = LoginDecision & {
  /**
   * The contract version of the response.
   */
  contract: 1;
};
/**
 * What a record is validated for.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "Mode".
 */
export type Mode = "create" | "update" | "reactivate" | "import";
/**
 * The operations of the contract. Each has one named input type and one named output type
 * (listed below, and in `x-operations` of the contract's JSON Schema).
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "Op".
 */
export type Op =
  | "validate"
  | "password"
  | "import"
  | "authorize"
  | "scope"
  | "permissions"
  | "directory"
  | "transition"
  | "login"
  | "lockout"
  | "delete"
  | "changes"
  | "passwordChange"
  | "passwordReset"
  | "verification"
  | "statistics"
  | "findings"
  | "effectiveStatus"
  | "bulk"
  | "fieldAccess";
/**
 * A password in clear; never echoed in a decision.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "Password".
 */
export type Password = string;
/**
 * The response of an operation whose output is `PasswordDecision`: the output with the contract version.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "PasswordDecisionResponse".
 */
export type PasswordDecisionResponse = PasswordDecision & {
  /**
   * The contract version of the response.
   */
  contract: 1;
};
/**
 * A password reset method (R002-07).
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "ResetMethod".
 */
export type ResetMethod = "token" | "temporaryPassword" | "admin";
/**
 * The response of an operation whose output is `PasswordResetOutput`: the output with the contract version.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "PasswordResetOutputResponse".
 */
export type PasswordResetOutputResponse = PasswordResetOutput & {
  /**
   * The contract version of the response.
   */
  contract: 1;
};
/**
 * Where in the input a violation is, as typed parts (`["email"]`, `["rows", 3, "phone"]`).
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "Path".
 */
export type Path1 = PathPart[];
/**
 * The response of an operation whose output is `PermissionsDecision`: the output with the contract version.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "PermissionsDecisionResponse".
 */
export type PermissionsDecisionResponse = PermissionsDecision & {
  /**
   * The contract version of the response.
   */
  contract: 1;
};
/**
 * Placeholder style.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "Placeholder".
 */
export type Placeholder = "dollar" | "question";
/**
 * The hash of the policy that decided: `sha256:` and 64 hexadecimal digits.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "PolicyHash".
 */
export type PolicyHash = string;
/**
 * The response of an operation whose output is `ScopeOutput`: the output with the contract version.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "ScopeOutputResponse".
 */
export type ScopeOutputResponse = ScopeOutput & {
  /**
   * The contract version of the response.
   */
  contract: 1;
};
/**
 * How bad a violation is.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "Severity".
 */
export type Severity = "error" | "warning";
/**
 * The response of an operation whose output is `Statistics`: the output with the contract version.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "StatisticsResponse".
 */
export type StatisticsResponse = Statistics & {
  /**
   * The contract version of the response.
   */
  contract: 1;
};
/**
 * How the manager subtree is expressed in SQL.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "SubtreeStrategy".
 */
export type SubtreeStrategy =
  | {
      kind: "recursiveCte";
      /**
       * The users table.
       */
      usersTable: string;
    }
  | {
      /**
       * Its ancestor column.
       */
      ancestor: string;
      /**
       * Its depth column (1 = direct report).
       */
      depth: string;
      /**
       * Its descendant column.
       */
      descendant: string;
      kind: "closureTable";
      /**
       * The closure table.
       */
      table: string;
    };
/**
 * The response of an operation whose output is `TransitionDecision`: the output with the contract version.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "TransitionDecisionResponse".
 */
export type TransitionDecisionResponse = TransitionDecision & {
  /**
   * The contract version of the response.
   */
  contract: 1;
};
/**
 * The response of an operation whose output is `ValidationDecision`: the output with the contract version.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "ValidationDecisionResponse".
 */
export type ValidationDecisionResponse = ValidationDecision & {
  /**
   * The contract version of the response.
   */
  contract: 1;
};
/**
 * The response of an operation whose output is `VerificationDecision`: the output with the contract version.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "VerificationDecisionResponse".
 */
export type VerificationDecisionResponse = VerificationDecision & {
  /**
   * The contract version of the response.
   */
  contract: 1;
};

/**
 * Every request, input, output and error of Warden's decision contract. `x-operations` names each operation's input and response types.
 */
export interface WardenContract {
  request?: Request;
}
/**
 * A request to the kernel.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "Request".
 */
export interface Request {
  /**
   * The contract version the caller speaks; absent means 1. Any other value is refused
   * with `unsupported_contract`.
   */
  contract?: number | null;
  /**
   * The operation's input: the operation's input type ([`Op`]).
   */
  input: {
    [k: string]: unknown;
  };
  /**
   * The language of messages (default `en`).
   */
  lang?: ("en" | "fr" | "de" | "es") | string;
  /**
   * The operation.
   */
  op:
    | "validate"
    | "password"
    | "import"
    | "authorize"
    | "scope"
    | "permissions"
    | "directory"
    | "transition"
    | "login"
    | "lockout"
    | "delete"
    | "changes"
    | "passwordChange"
    | "passwordReset"
    | "verification"
    | "statistics"
    | "findings"
    | "effectiveStatus"
    | "bulk"
    | "fieldAccess";
  /**
   * A policy document; exactly one of `preset` and `policy`.
   */
  policy?: {
    [k: string]: unknown;
  };
  /**
   * A preset's name or seed number; exactly one of `preset` and `policy`.
   */
  preset?: string | null;
}
/**
 * A user account, as given by the caller.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "Account".
 */
export interface Account {
  /**
   * The user record's other fields (for dynamic groups, required-field checks and
   * anonymisation), as in validation.
   */
  attributes?: {
    [k: string]: unknown;
  };
  /**
   * Manual group memberships (dynamic groups are computed from `attributes`).
   */
  groups?: string[];
  /**
   * The account's id.
   */
  id: string;
  /**
   * The account's location (agency, site, city).
   */
  location?: string | null;
  /**
   * The manager's account id.
   */
  manager?: string | null;
  /**
   * The organisation (tenant) the account belongs to.
   */
  organization?: string | null;
  /**
   * Roles assigned directly.
   */
  roles?: string[];
  /**
   * The root user: the only one who creates administrators (R004-02).
   */
  root?: boolean;
  /**
   * The account's stored status id (`active`, `suspended`, ...). Default `active`.
   */
  status?: string;
  /**
   * When a temporary status ends (a suspension's or a lock's end); past it, the
   * effective status is the one the policy returns to.
   */
  statusUntil?: Timestamp | null;
  /**
   * Super administrator: every organisation (R000-07).
   */
  superAdmin?: boolean;
}
/**
 * The input of [`Op::Statistics`] and [`Op::Findings`].
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "AccountsInput".
 */
export interface AccountsInput {
  /**
   * The accounts.
   */
  accounts: Account[];
  /**
   * An instant: RFC 3339 (`2026-01-31T09:00:00Z`, an offset is accepted and normalised to UTC).
   */
  now: string;
}
/**
 * An audit log entry: who did what to whom, when, and why (R002-06, R003-08).
 *
 * Never holds a password: changed fields are named, and only the email's values appear.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "AuditEntry".
 */
export interface AuditEntry {
  /**
   * The action (`users.status`, `users.update`, `users.delete`, `users.passwordReset`,
   * `users.verify`).
   */
  action: string;
  /**
   * The actor's account id.
   */
  actor: string;
  /**
   * An instant: RFC 3339 (`2026-01-31T09:00:00Z`, an offset is accepted and normalised to UTC).
   */
  at: string;
  /**
   * The names of the changed fields.
   */
  fields?: string[];
  /**
   * The status before.
   */
  from?: string | null;
  /**
   * The reason given.
   */
  reason?: string | null;
  /**
   * Roles assigned by the actor (R003-08).
   */
  rolesAdded?: string[];
  /**
   * Roles removed by the actor.
   */
  rolesRemoved?: string[];
  /**
   * The target's account id.
   */
  target: string;
  /**
   * The status after.
   */
  to?: string | null;
}
/**
 * The input of [`Op::Authorize`].
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "AuthorizeInput".
 */
export interface AuthorizeInput {
  /**
   * What they do: `module.action` (`users.update`).
   */
  action: string;
  actor: Account1;
  /**
   * Roles the action grants or withdraws.
   */
  change?: RoleChange | null;
  /**
   * The directory rows (id and manager) for `team` scopes.
   */
  directory?: Account[];
  /**
   * An instant: RFC 3339 (`2026-01-31T09:00:00Z`, an offset is accepted and normalised to UTC).
   */
  now: string;
  target: Target;
}
/**
 * A user account, as given by the caller.
 */
export interface Account1 {
  /**
   * The user record's other fields (for dynamic groups, required-field checks and
   * anonymisation), as in validation.
   */
  attributes?: {
    [k: string]: unknown;
  };
  /**
   * Manual group memberships (dynamic groups are computed from `attributes`).
   */
  groups?: string[];
  /**
   * The account's id.
   */
  id: string;
  /**
   * The account's location (agency, site, city).
   */
  location?: string | null;
  /**
   * The manager's account id.
   */
  manager?: string | null;
  /**
   * The organisation (tenant) the account belongs to.
   */
  organization?: string | null;
  /**
   * Roles assigned directly.
   */
  roles?: string[];
  /**
   * The root user: the only one who creates administrators (R004-02).
   */
  root?: boolean;
  /**
   * The account's stored status id (`active`, `suspended`, ...). Default `active`.
   */
  status?: string;
  /**
   * When a temporary status ends (a suspension's or a lock's end); past it, the
   * effective status is the one the policy returns to.
   */
  statusUntil?: Timestamp | null;
  /**
   * Super administrator: every organisation (R000-07).
   */
  superAdmin?: boolean;
}
/**
 * Roles added to or removed from the target by the action (`roles.assign`,
 * `users.create`, `users.update`).
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "RoleChange".
 */
export interface RoleChange {
  /**
   * Roles granted.
   */
  add?: string[];
  /**
   * Roles withdrawn.
   */
  remove?: string[];
}
/**
 * To what.
 */
export interface Target {
  /**
   * For a user: the record's other fields (dynamic groups, the role field).
   */
  attributes?: {
    [k: string]: unknown;
  };
  /**
   * For a user: manual group memberships.
   */
  groups?: string[];
  /**
   * The target's id.
   */
  id: string;
  /**
   * Its location.
   */
  location?: string | null;
  /**
   * For a user: the manager's id (used when the directory does not know the target).
   */
  manager?: string | null;
  /**
   * The organisation it belongs to.
   */
  organization?: string | null;
  /**
   * For a resource: the account that owns it (`own` and `team` scopes look at it).
   */
  owner?: string | null;
  /**
   * For a user: the roles held directly (for grants and combinations).
   */
  roles?: string[];
  /**
   * For a user: the stored status.
   */
  status?: string | null;
  /**
   * `user` (the default) or a resource type (`booking`).
   */
  type?: string;
}
/**
 * The answer to an authorization question.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "AuthzDecision".
 */
export interface AuthzDecision {
  /**
   * Allow or deny.
   */
  decision: "allow" | "deny";
  /**
   * For a deny, why.
   */
  deny?: Denial | null;
  /**
   * The hash of the policy that decided.
   */
  policy: string;
  /**
   * For an allow, the rule that allowed it (`superAdmin`, `role:manager#0`).
   */
  reason?: RuleName | null;
  /**
   * For an allow by a role permission, the scope that reached the target.
   */
  scope?: ScopeLevel | null;
}
/**
 * The details of a deny.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "Denial".
 */
export interface Denial {
  /**
   * The stable machine code (`scope_insufficient`, `reason_required`, ...).
   */
  code: string;
  /**
   * What would make the request allowed, when Warden can tell.
   */
  hint?: Text | null;
  /**
   * The kind of deny.
   */
  kind: "notPermitted" | "forbidden" | "invalidState" | "missingFact" | "invalidRequest";
  /**
   * A rendered message, in the requested language.
   */
  message: string;
  params?: DenyParams;
  /**
   * The rule that decided (`role:fleetManager#1`, `guard:activeBookings`).
   */
  rule?: RuleName | null;
}
/**
 * Values the message is rendered from.
 */
export interface DenyParams {}
/**
 * A processing batch: items `from..to`.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "Batch".
 */
export interface Batch {
  /**
   * First item index.
   */
  from: number;
  /**
   * One past the last item index.
   */
  to: number;
}
/**
 * The audit entry of a bulk operation (R002-09: logged).
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "BulkAudit".
 */
export interface BulkAudit {
  /**
   * Who.
   */
  actor: string;
  /**
   * Allowed items.
   */
  allowed: number;
  /**
   * An instant: RFC 3339 (`2026-01-31T09:00:00Z`, an offset is accepted and normalised to UTC).
   */
  at: string;
  /**
   * The operations, with their counts.
   */
  operations: {
    [k: string]: number;
  };
}
/**
 * The decision on a bulk request.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "BulkDecision".
 */
export interface BulkDecision {
  audit: BulkAudit1;
  /**
   * The processing plan.
   */
  batches: Batch[];
  /**
   * The policy's hash.
   */
  policy: string;
  /**
   * A safeguard that refused the whole request (every item is then denied with it).
   */
  refused?: Denial | null;
  /**
   * One result per item, in order.
   */
  results: ItemResult[];
  summary: BulkSummary;
}
/**
 * The audit entry for the bulk operation itself.
 */
export interface BulkAudit1 {
  /**
   * Who.
   */
  actor: string;
  /**
   * Allowed items.
   */
  allowed: number;
  /**
   * An instant: RFC 3339 (`2026-01-31T09:00:00Z`, an offset is accepted and normalised to UTC).
   */
  at: string;
  /**
   * The operations, with their counts.
   */
  operations: {
    [k: string]: number;
  };
}
/**
 * The decision on one item.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "ItemResult".
 */
export interface ItemResult {
  /**
   * Why it was denied.
   */
  deny?: Denial | null;
  /**
   * Why the item could not be decided at all (outcome `invalid`): it names a role, a
   * status or an action the policy does not declare, adds and removes one role, or
   * needs a setting the policy lacks. The other items are decided as usual.
   */
  error?: ItemError | null;
  /**
   * The item's index in the request.
   */
  index: number;
  /**
   * What must follow if it is applied.
   */
  obligations?: Obligation[];
  /**
   * The item's operation (`status`, `roles`, `delete`, `import`).
   */
  op: string;
  /**
   * The outcome.
   */
  outcome: "allowed" | "denied" | "invalid";
  /**
   * The target account's id, when there is one.
   */
  target?: string | null;
  /**
   * The record's violations (imports).
   */
  violations?: Violation[];
}
/**
 * Why one item of a bulk request could not be decided (see [`ItemResult::error`]).
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "ItemError".
 */
export interface ItemError {
  /**
   * The stable code, as the contract's errors name it (`unknown_role`,
   * `unknown_status`, `conflicting_change`, `unsupported`, ...).
   */
  code: string;
  /**
   * The item's field at fault, when there is one: `roles` or `groups` for an
   * undeclared role or group it gives ([`AccessError::field`]).
   */
  field?: string | null;
  /**
   * What is wrong, in English.
   */
  message: string;
}
/**
 * One broken rule, as validation reports it.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "Violation".
 */
export interface Violation {
  /**
   * The stable machine code.
   */
  code:
    | "required"
    | "unknown_field"
    | "wrong_type"
    | "too_short"
    | "too_long"
    | "prohibited_characters"
    | "not_allowed"
    | "pattern_mismatch"
    | "invalid_format"
    | "invalid_email"
    | "email_local_too_long"
    | "email_too_long"
    | "invalid_domain"
    | "invalid_phone"
    | "invalid_date"
    | "date_not_in_past"
    | "too_young"
    | "derived_mismatch"
    | "unknown_reference"
    | "duplicate"
    | "naming_convention"
    | "generic_data"
    | "password_too_short"
    | "password_too_long"
    | "password_missing_upper"
    | "password_missing_lower"
    | "password_missing_digit"
    | "password_missing_special"
    | "password_common"
    | "password_similar"
    | "password_repetitive"
    | "password_invalid_characters"
    | "password_check_unavailable";
  /**
   * The message, rendered from `code` and `params` in the requested language, or the
   * tenant's own message for a tenant rule.
   */
  message: string;
  /**
   * Values the message is rendered from, for programs (`{"min": 8, "actual": 5}`).
   */
  params?: {
    [k: string]: unknown;
  };
  path: Path;
  /**
   * Error (refuses the record) or warning (advice).
   */
  severity: "error" | "warning";
}
/**
 * Counts.
 */
export interface BulkSummary {
  /**
   * Allowed items.
   */
  allowed: number;
  /**
   * Denied items.
   */
  denied: number;
  /**
   * Invalid items.
   */
  invalid: number;
  /**
   * Items.
   */
  total: number;
}
/**
 * The input of [`Op::Bulk`].
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "BulkInput".
 */
export interface BulkInput {
  actor: Account2;
  /**
   * Processing batch size (default 100).
   */
  batchSize?: number | null;
  /**
   * For deletions: the number of accounts the actor typed to confirm.
   */
  confirmCount?: number | null;
  /**
   * For deletions: the actor confirmed.
   */
  confirmed?: boolean;
  /**
   * The directory rows for `team` scopes.
   */
  directory?: Account[];
  /**
   * The items.
   */
  items: BulkItem[];
  /**
   * Ceiling on deletions (default 100, at most 1,000).
   */
  maxDelete?: number | null;
  /**
   * An instant: RFC 3339 (`2026-01-31T09:00:00Z`, an offset is accepted and normalised to UTC).
   */
  now: string;
  /**
   * Today's date, for imports (default: the date of `now`).
   */
  today?: Date | null;
}
/**
 * A user account, as given by the caller.
 */
export interface Account2 {
  /**
   * The user record's other fields (for dynamic groups, required-field checks and
   * anonymisation), as in validation.
   */
  attributes?: {
    [k: string]: unknown;
  };
  /**
   * Manual group memberships (dynamic groups are computed from `attributes`).
   */
  groups?: string[];
  /**
   * The account's id.
   */
  id: string;
  /**
   * The account's location (agency, site, city).
   */
  location?: string | null;
  /**
   * The manager's account id.
   */
  manager?: string | null;
  /**
   * The organisation (tenant) the account belongs to.
   */
  organization?: string | null;
  /**
   * Roles assigned directly.
   */
  roles?: string[];
  /**
   * The root user: the only one who creates administrators (R004-02).
   */
  root?: boolean;
  /**
   * The account's stored status id (`active`, `suspended`, ...). Default `active`.
   */
  status?: string;
  /**
   * When a temporary status ends (a suspension's or a lock's end); past it, the
   * effective status is the one the policy returns to.
   */
  statusUntil?: Timestamp | null;
  /**
   * Super administrator: every organisation (R000-07).
   */
  superAdmin?: boolean;
}
/**
 * Facts for the guards.
 */
export interface TransitionFacts {
  /**
   * The target's active (current or future) bookings (guard `activeBookings`).
   */
  activeBookings?: number | null;
  /**
   * Active super administrators, the target included (guard `lastSuperAdmin`).
   */
  activeSuperAdmins?: number | null;
  /**
   * The target's pending approvals (obligation `reassignApprovals`).
   */
  pendingApprovals?: number | null;
  /**
   * The critical permissions that the target alone holds (guard `soleCriticalHolder`).
   */
  soleHolderOf?: string[] | null;
}
/**
 * A user account, as given by the caller.
 */
export interface Account3 {
  /**
   * The user record's other fields (for dynamic groups, required-field checks and
   * anonymisation), as in validation.
   */
  attributes?: {
    [k: string]: unknown;
  };
  /**
   * Manual group memberships (dynamic groups are computed from `attributes`).
   */
  groups?: string[];
  /**
   * The account's id.
   */
  id: string;
  /**
   * The account's location (agency, site, city).
   */
  location?: string | null;
  /**
   * The manager's account id.
   */
  manager?: string | null;
  /**
   * The organisation (tenant) the account belongs to.
   */
  organization?: string | null;
  /**
   * Roles assigned directly.
   */
  roles?: string[];
  /**
   * The root user: the only one who creates administrators (R004-02).
   */
  root?: boolean;
  /**
   * The account's stored status id (`active`, `suspended`, ...). Default `active`.
   */
  status?: string;
  /**
   * When a temporary status ends (a suspension's or a lock's end); past it, the
   * effective status is the one the policy returns to.
   */
  statusUntil?: Timestamp | null;
  /**
   * Super administrator: every organisation (R000-07).
   */
  superAdmin?: boolean;
}
/**
 * Facts for the guards of what the change takes away, as an edit's
 * (`soleHolderOf` when it withdraws a critical permission under a policy that
 * guards its sole holder, R004-09).
 */
export interface ChangeFacts {
  /**
   * Active super administrators, the edited account included: asked only when the edit
   * takes the super-administrator flag from an account in a login status and the
   * policy's transitions or deletion guard the last one (`lastSuperAdmin`), which the
   * edit may then not take from the last.
   */
  activeSuperAdmins?: number | null;
  /**
   * The critical permissions the edited account holds and no other account of its
   * organisation does, as for a transition (R004-09): asked only when the edit takes
   * critical permissions from the account (`access::critical_permissions_lost`: a role
   * withdrawn, a group left, a move to another organisation) and the policy's
   * transitions or deletion guard them (`soleCriticalHolder`), which the edit may then
   * not take from their sole holder.
   */
  soleHolderOf?: string[] | null;
}
/**
 * A user account, as given by the caller.
 */
export interface Account4 {
  /**
   * The user record's other fields (for dynamic groups, required-field checks and
   * anonymisation), as in validation.
   */
  attributes?: {
    [k: string]: unknown;
  };
  /**
   * Manual group memberships (dynamic groups are computed from `attributes`).
   */
  groups?: string[];
  /**
   * The account's id.
   */
  id: string;
  /**
   * The account's location (agency, site, city).
   */
  location?: string | null;
  /**
   * The manager's account id.
   */
  manager?: string | null;
  /**
   * The organisation (tenant) the account belongs to.
   */
  organization?: string | null;
  /**
   * Roles assigned directly.
   */
  roles?: string[];
  /**
   * The root user: the only one who creates administrators (R004-02).
   */
  root?: boolean;
  /**
   * The account's stored status id (`active`, `suspended`, ...). Default `active`.
   */
  status?: string;
  /**
   * When a temporary status ends (a suspension's or a lock's end); past it, the
   * effective status is the one the policy returns to.
   */
  statusUntil?: Timestamp | null;
  /**
   * Super administrator: every organisation (R000-07).
   */
  superAdmin?: boolean;
}
/**
 * Facts for the blockers.
 */
export interface TransitionFacts1 {
  /**
   * The target's active (current or future) bookings (guard `activeBookings`).
   */
  activeBookings?: number | null;
  /**
   * Active super administrators, the target included (guard `lastSuperAdmin`).
   */
  activeSuperAdmins?: number | null;
  /**
   * The target's pending approvals (obligation `reassignApprovals`).
   */
  pendingApprovals?: number | null;
  /**
   * The critical permissions that the target alone holds (guard `soleCriticalHolder`).
   */
  soleHolderOf?: string[] | null;
}
/**
 * A user account, as given by the caller.
 */
export interface Account5 {
  /**
   * The user record's other fields (for dynamic groups, required-field checks and
   * anonymisation), as in validation.
   */
  attributes?: {
    [k: string]: unknown;
  };
  /**
   * Manual group memberships (dynamic groups are computed from `attributes`).
   */
  groups?: string[];
  /**
   * The account's id.
   */
  id: string;
  /**
   * The account's location (agency, site, city).
   */
  location?: string | null;
  /**
   * The manager's account id.
   */
  manager?: string | null;
  /**
   * The organisation (tenant) the account belongs to.
   */
  organization?: string | null;
  /**
   * Roles assigned directly.
   */
  roles?: string[];
  /**
   * The root user: the only one who creates administrators (R004-02).
   */
  root?: boolean;
  /**
   * The account's stored status id (`active`, `suspended`, ...). Default `active`.
   */
  status?: string;
  /**
   * When a temporary status ends (a suspension's or a lock's end); past it, the
   * effective status is the one the policy returns to.
   */
  statusUntil?: Timestamp | null;
  /**
   * Super administrator: every organisation (R000-07).
   */
  superAdmin?: boolean;
}
/**
 * Answers to its checks.
 */
export interface ValidationFacts {
  /**
   * Existence answers by check id (`organization_exists`).
   */
  exists?: {
    [k: string]: boolean;
  };
  /**
   * Uniqueness answers by check id (`email_unique`).
   */
  unique?: {
    [k: string]: UniqueFact;
  };
}
/**
 * The answer to a uniqueness check.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "UniqueFact".
 */
export interface UniqueFact {
  /**
   * The id of that account, to link to.
   */
  existingId?: string | null;
  /**
   * The status of that account (`active`, `inactive`, ...), which decides the suggestion.
   */
  existingStatus?: string | null;
  /**
   * The key the answer is about; when given and different from the record's key, the
   * answer is stale and ignored (the check stays unanswered).
   */
  key?: string | null;
  /**
   * Whether another account already uses the key.
   */
  taken: boolean;
}
/**
 * Counts.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "BulkSummary".
 */
export interface BulkSummary1 {
  /**
   * Allowed items.
   */
  allowed: number;
  /**
   * Denied items.
   */
  denied: number;
  /**
   * Invalid items.
   */
  invalid: number;
  /**
   * Items.
   */
  total: number;
}
/**
 * The outcome of an edit.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "ChangeDecision".
 */
export interface ChangeDecision {
  audit: AuditEntry1;
  /**
   * The names of the changed fields (never a password's value).
   */
  changed: string[];
  /**
   * Allow or deny.
   */
  decision: "allow" | "deny";
  /**
   * Why it is denied (`status_change_needs_transition`, `current_password_required`).
   */
  deny?: Denial | null;
  /**
   * What the caller must do.
   */
  obligations: Obligation[];
  /**
   * The hash of the policy that decided.
   */
  policy: string;
}
/**
 * The audit entry (action `users.update`), naming the actor (R003-08).
 */
export interface AuditEntry1 {
  /**
   * The action (`users.status`, `users.update`, `users.delete`, `users.passwordReset`,
   * `users.verify`).
   */
  action: string;
  /**
   * The actor's account id.
   */
  actor: string;
  /**
   * An instant: RFC 3339 (`2026-01-31T09:00:00Z`, an offset is accepted and normalised to UTC).
   */
  at: string;
  /**
   * The names of the changed fields.
   */
  fields?: string[];
  /**
   * The status before.
   */
  from?: string | null;
  /**
   * The reason given.
   */
  reason?: string | null;
  /**
   * Roles assigned by the actor (R003-08).
   */
  rolesAdded?: string[];
  /**
   * Roles removed by the actor.
   */
  rolesRemoved?: string[];
  /**
   * The target's account id.
   */
  target: string;
  /**
   * The status after.
   */
  to?: string | null;
}
/**
 * The facts of an edit, each optional so that a decision can say which one it needs (kind
 * `missingFact`, as a transition's guards do).
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "ChangeFacts".
 */
export interface ChangeFacts1 {
  /**
   * Active super administrators, the edited account included: asked only when the edit
   * takes the super-administrator flag from an account in a login status and the
   * policy's transitions or deletion guard the last one (`lastSuperAdmin`), which the
   * edit may then not take from the last.
   */
  activeSuperAdmins?: number | null;
  /**
   * The critical permissions the edited account holds and no other account of its
   * organisation does, as for a transition (R004-09): asked only when the edit takes
   * critical permissions from the account (`access::critical_permissions_lost`: a role
   * withdrawn, a group left, a move to another organisation) and the policy's
   * transitions or deletion guard them (`soleCriticalHolder`), which the edit may then
   * not take from their sole holder.
   */
  soleHolderOf?: string[] | null;
}
/**
 * The input of [`Op::Changes`].
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "ChangesInput".
 */
export interface ChangesInput {
  actor: Account6;
  after: Account7;
  before: Account8;
  /**
   * The actor re-entered their current password (a self-service password or email
   * change).
   */
  currentPasswordVerified?: boolean | null;
  /**
   * The directory rows, to refuse a manager edit that would make a cycle.
   */
  directory?: Account[];
  facts?: ChangeFacts2;
  /**
   * An instant: RFC 3339 (`2026-01-31T09:00:00Z`, an offset is accepted and normalised to UTC).
   */
  now: string;
}
/**
 * A user account, as given by the caller.
 */
export interface Account6 {
  /**
   * The user record's other fields (for dynamic groups, required-field checks and
   * anonymisation), as in validation.
   */
  attributes?: {
    [k: string]: unknown;
  };
  /**
   * Manual group memberships (dynamic groups are computed from `attributes`).
   */
  groups?: string[];
  /**
   * The account's id.
   */
  id: string;
  /**
   * The account's location (agency, site, city).
   */
  location?: string | null;
  /**
   * The manager's account id.
   */
  manager?: string | null;
  /**
   * The organisation (tenant) the account belongs to.
   */
  organization?: string | null;
  /**
   * Roles assigned directly.
   */
  roles?: string[];
  /**
   * The root user: the only one who creates administrators (R004-02).
   */
  root?: boolean;
  /**
   * The account's stored status id (`active`, `suspended`, ...). Default `active`.
   */
  status?: string;
  /**
   * When a temporary status ends (a suspension's or a lock's end); past it, the
   * effective status is the one the policy returns to.
   */
  statusUntil?: Timestamp | null;
  /**
   * Super administrator: every organisation (R000-07).
   */
  superAdmin?: boolean;
}
/**
 * A user account, as given by the caller.
 */
export interface Account7 {
  /**
   * The user record's other fields (for dynamic groups, required-field checks and
   * anonymisation), as in validation.
   */
  attributes?: {
    [k: string]: unknown;
  };
  /**
   * Manual group memberships (dynamic groups are computed from `attributes`).
   */
  groups?: string[];
  /**
   * The account's id.
   */
  id: string;
  /**
   * The account's location (agency, site, city).
   */
  location?: string | null;
  /**
   * The manager's account id.
   */
  manager?: string | null;
  /**
   * The organisation (tenant) the account belongs to.
   */
  organization?: string | null;
  /**
   * Roles assigned directly.
   */
  roles?: string[];
  /**
   * The root user: the only one who creates administrators (R004-02).
   */
  root?: boolean;
  /**
   * The account's stored status id (`active`, `suspended`, ...). Default `active`.
   */
  status?: string;
  /**
   * When a temporary status ends (a suspension's or a lock's end); past it, the
   * effective status is the one the policy returns to.
   */
  statusUntil?: Timestamp | null;
  /**
   * Super administrator: every organisation (R000-07).
   */
  superAdmin?: boolean;
}
/**
 * A user account, as given by the caller.
 */
export interface Account8 {
  /**
   * The user record's other fields (for dynamic groups, required-field checks and
   * anonymisation), as in validation.
   */
  attributes?: {
    [k: string]: unknown;
  };
  /**
   * Manual group memberships (dynamic groups are computed from `attributes`).
   */
  groups?: string[];
  /**
   * The account's id.
   */
  id: string;
  /**
   * The account's location (agency, site, city).
   */
  location?: string | null;
  /**
   * The manager's account id.
   */
  manager?: string | null;
  /**
   * The organisation (tenant) the account belongs to.
   */
  organization?: string | null;
  /**
   * Roles assigned directly.
   */
  roles?: string[];
  /**
   * The root user: the only one who creates administrators (R004-02).
   */
  root?: boolean;
  /**
   * The account's stored status id (`active`, `suspended`, ...). Default `active`.
   */
  status?: string;
  /**
   * When a temporary status ends (a suspension's or a lock's end); past it, the
   * effective status is the one the policy returns to.
   */
  statusUntil?: Timestamp | null;
  /**
   * Super administrator: every organisation (R000-07).
   */
  superAdmin?: boolean;
}
/**
 * What the caller knows and Warden cannot (`activeSuperAdmins`, when the edit takes the
 * super-administrator flag away).
 */
export interface ChangeFacts2 {
  /**
   * Active super administrators, the edited account included: asked only when the edit
   * takes the super-administrator flag from an account in a login status and the
   * policy's transitions or deletion guard the last one (`lastSuperAdmin`), which the
   * edit may then not take from the last.
   */
  activeSuperAdmins?: number | null;
  /**
   * The critical permissions the edited account holds and no other account of its
   * organisation does, as for a transition (R004-09): asked only when the edit takes
   * critical permissions from the account (`access::critical_permissions_lost`: a role
   * withdrawn, a group left, a move to another organisation) and the policy's
   * transitions or deletion guard them (`soleCriticalHolder`), which the edit may then
   * not take from their sole holder.
   */
  soleHolderOf?: string[] | null;
}
/**
 * A question validation cannot answer itself.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "Check".
 */
export interface Check {
  /**
   * Whether the facts answered it.
   */
  answered: boolean;
  /**
   * The check id, the key of its answer in [`ValidationFacts`].
   */
  check: string;
  /**
   * The field it is about.
   */
  field: string;
  /**
   * The normalised key to look up (emails lower-cased, phones in E.164).
   */
  key: string;
  /**
   * What is asked.
   */
  kind: "unique" | "exists";
  /**
   * For scoped uniqueness, the scope.
   */
  within?: Within | null;
}
/**
 * The scope of a uniqueness check (`employeeId` unique within `organization`).
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "Within".
 */
export interface Within {
  /**
   * The scoping field.
   */
  field: string;
  /**
   * Its normalised value in this record.
   */
  value: string;
}
/**
 * One rule of the policy and whether the password meets it, for a form's live checklist.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "ChecklistItem".
 */
export interface ChecklistItem {
  /**
   * The rule, as the code of the issue it raises when unmet.
   */
  code:
    | "required"
    | "unknown_field"
    | "wrong_type"
    | "too_short"
    | "too_long"
    | "prohibited_characters"
    | "not_allowed"
    | "pattern_mismatch"
    | "invalid_format"
    | "invalid_email"
    | "email_local_too_long"
    | "email_too_long"
    | "invalid_domain"
    | "invalid_phone"
    | "invalid_date"
    | "date_not_in_past"
    | "too_young"
    | "derived_mismatch"
    | "unknown_reference"
    | "duplicate"
    | "naming_convention"
    | "generic_data"
    | "password_too_short"
    | "password_too_long"
    | "password_missing_upper"
    | "password_missing_lower"
    | "password_missing_digit"
    | "password_missing_special"
    | "password_common"
    | "password_similar"
    | "password_repetitive"
    | "password_invalid_characters"
    | "password_check_unavailable";
  /**
   * The rule as a form shows it (`at least 8 characters`), in the requested language;
   * filled in by the decision functions, empty in a bare [`PasswordReport`].
   */
  label?: string;
  /**
   * Whether the password meets it.
   */
  met: boolean;
  /**
   * Params to render the rule's message with (`min` for `password_too_short`, `max` for
   * `password_too_long`, `attribute` for an unmet `password_similar`; `unavailable`: the
   * rule could not be checked, `skipped`: the password was too long to analyse, both on
   * an unmet item).
   */
  params?: {
    [k: string]: unknown;
  };
}
/**
 * The outcome of a deletion request.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "DeleteDecision".
 */
export interface DeleteDecision {
  /**
   * The anonymised record (erased fields set to null), for an allowed anonymisation.
   */
  anonymized?: {
    [k: string]: unknown;
  } | null;
  audit: AuditEntry2;
  /**
   * Allow or deny.
   */
  decision: "allow" | "deny";
  /**
   * Why it is denied.
   */
  deny?: Denial | null;
  /**
   * Fields anonymisation erases.
   */
  erase?: string[];
  /**
   * Fields anonymisation keeps.
   */
  keep?: string[];
  /**
   * The mode used.
   */
  mode?: DeleteMode | null;
  /**
   * What the caller must do.
   */
  obligations: Obligation[];
  /**
   * The hash of the policy that decided.
   */
  policy: string;
  /**
   * The recommended alternative (R000-09: deactivation; R002-10: suspension when
   * bookings block).
   */
  suggestion?: Suggestion | null;
}
/**
 * The audit entry (action `users.delete`).
 */
export interface AuditEntry2 {
  /**
   * The action (`users.status`, `users.update`, `users.delete`, `users.passwordReset`,
   * `users.verify`).
   */
  action: string;
  /**
   * The actor's account id.
   */
  actor: string;
  /**
   * An instant: RFC 3339 (`2026-01-31T09:00:00Z`, an offset is accepted and normalised to UTC).
   */
  at: string;
  /**
   * The names of the changed fields.
   */
  fields?: string[];
  /**
   * The status before.
   */
  from?: string | null;
  /**
   * The reason given.
   */
  reason?: string | null;
  /**
   * Roles assigned by the actor (R003-08).
   */
  rolesAdded?: string[];
  /**
   * Roles removed by the actor.
   */
  rolesRemoved?: string[];
  /**
   * The target's account id.
   */
  target: string;
  /**
   * The status after.
   */
  to?: string | null;
}
/**
 * A status suggested instead of an operation.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "Suggestion".
 */
export interface Suggestion {
  /**
   * The status to move the account to.
   */
  status: string;
  /**
   * The transition that leads there from the account's status, if one does.
   */
  transition?: string | null;
}
/**
 * The input of [`Op::Delete`].
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "DeleteInput".
 */
export interface DeleteInput {
  actor: Account9;
  /**
   * The actor confirmed the deletion (R000-09).
   */
  confirmed?: boolean;
  /**
   * The directory rows for `team` scopes of `deletion.by`.
   */
  directory?: Account[];
  facts?: TransitionFacts2;
  /**
   * The mode; default the policy's `deletion.default`.
   */
  mode?: DeleteMode | null;
  /**
   * An instant: RFC 3339 (`2026-01-31T09:00:00Z`, an offset is accepted and normalised to UTC).
   */
  now: string;
  target: Account10;
}
/**
 * A user account, as given by the caller.
 */
export interface Account9 {
  /**
   * The user record's other fields (for dynamic groups, required-field checks and
   * anonymisation), as in validation.
   */
  attributes?: {
    [k: string]: unknown;
  };
  /**
   * Manual group memberships (dynamic groups are computed from `attributes`).
   */
  groups?: string[];
  /**
   * The account's id.
   */
  id: string;
  /**
   * The account's location (agency, site, city).
   */
  location?: string | null;
  /**
   * The manager's account id.
   */
  manager?: string | null;
  /**
   * The organisation (tenant) the account belongs to.
   */
  organization?: string | null;
  /**
   * Roles assigned directly.
   */
  roles?: string[];
  /**
   * The root user: the only one who creates administrators (R004-02).
   */
  root?: boolean;
  /**
   * The account's stored status id (`active`, `suspended`, ...). Default `active`.
   */
  status?: string;
  /**
   * When a temporary status ends (a suspension's or a lock's end); past it, the
   * effective status is the one the policy returns to.
   */
  statusUntil?: Timestamp | null;
  /**
   * Super administrator: every organisation (R000-07).
   */
  superAdmin?: boolean;
}
/**
 * Facts for the blockers.
 */
export interface TransitionFacts2 {
  /**
   * The target's active (current or future) bookings (guard `activeBookings`).
   */
  activeBookings?: number | null;
  /**
   * Active super administrators, the target included (guard `lastSuperAdmin`).
   */
  activeSuperAdmins?: number | null;
  /**
   * The target's pending approvals (obligation `reassignApprovals`).
   */
  pendingApprovals?: number | null;
  /**
   * The critical permissions that the target alone holds (guard `soleCriticalHolder`).
   */
  soleHolderOf?: string[] | null;
}
/**
 * A user account, as given by the caller.
 */
export interface Account10 {
  /**
   * The user record's other fields (for dynamic groups, required-field checks and
   * anonymisation), as in validation.
   */
  attributes?: {
    [k: string]: unknown;
  };
  /**
   * Manual group memberships (dynamic groups are computed from `attributes`).
   */
  groups?: string[];
  /**
   * The account's id.
   */
  id: string;
  /**
   * The account's location (agency, site, city).
   */
  location?: string | null;
  /**
   * The manager's account id.
   */
  manager?: string | null;
  /**
   * The organisation (tenant) the account belongs to.
   */
  organization?: string | null;
  /**
   * Roles assigned directly.
   */
  roles?: string[];
  /**
   * The root user: the only one who creates administrators (R004-02).
   */
  root?: boolean;
  /**
   * The account's stored status id (`active`, `suspended`, ...). Default `active`.
   */
  status?: string;
  /**
   * When a temporary status ends (a suspension's or a lock's end); past it, the
   * effective status is the one the policy returns to.
   */
  statusUntil?: Timestamp | null;
  /**
   * Super administrator: every organisation (R000-07).
   */
  superAdmin?: boolean;
}
/**
 * The values a deny's message is rendered from.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "DenyParams".
 */
export interface DenyParams1 {}
/**
 * The output of [`Op::Directory`].
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "DirectoryDecision".
 */
export interface DirectoryDecision {
  /**
   * The policy's hash.
   */
  policy: string;
  /**
   * Every problem of the manager relation (R001-04).
   */
  problems: HierarchyProblem[];
  /**
   * No problem was found.
   */
  valid: boolean;
}
/**
 * The input of [`Op::Directory`].
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "DirectoryInput".
 */
export interface DirectoryInput {
  /**
   * The accounts (id and manager are read).
   */
  accounts: Account[];
}
/**
 * An account's status as it stands at `now`.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "EffectiveStatus".
 */
export interface EffectiveStatus {
  /**
   * The stored status was temporary and its `statusUntil` has passed: `status` is the
   * one it returns to (the caller may store it).
   */
  expired: boolean;
  /**
   * The status in force.
   */
  status: string;
  /**
   * The stored status.
   */
  stored: string;
  /**
   * When the status in force ends, if it is temporary and has an end.
   */
  until?: Timestamp | null;
}
/**
 * The input of [`Op::EffectiveStatus`].
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "EffectiveStatusInput".
 */
export interface EffectiveStatusInput {
  account: Account11;
  /**
   * An instant: RFC 3339 (`2026-01-31T09:00:00Z`, an offset is accepted and normalised to UTC).
   */
  now: string;
}
/**
 * A user account, as given by the caller.
 */
export interface Account11 {
  /**
   * The user record's other fields (for dynamic groups, required-field checks and
   * anonymisation), as in validation.
   */
  attributes?: {
    [k: string]: unknown;
  };
  /**
   * Manual group memberships (dynamic groups are computed from `attributes`).
   */
  groups?: string[];
  /**
   * The account's id.
   */
  id: string;
  /**
   * The account's location (agency, site, city).
   */
  location?: string | null;
  /**
   * The manager's account id.
   */
  manager?: string | null;
  /**
   * The organisation (tenant) the account belongs to.
   */
  organization?: string | null;
  /**
   * Roles assigned directly.
   */
  roles?: string[];
  /**
   * The root user: the only one who creates administrators (R004-02).
   */
  root?: boolean;
  /**
   * The account's stored status id (`active`, `suspended`, ...). Default `active`.
   */
  status?: string;
  /**
   * When a temporary status ends (a suspension's or a lock's end); past it, the
   * effective status is the one the policy returns to.
   */
  statusUntil?: Timestamp | null;
  /**
   * Super administrator: every organisation (R000-07).
   */
  superAdmin?: boolean;
}
/**
 * An unusable request: the contract's one error shape.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "ErrorEnvelope".
 */
export interface ErrorEnvelope {
  /**
   * The contract version of the response.
   */
  contract: 1;
  error: {
    /**
     * The stable machine code (`invalid_input`, `policy_error`, `unsupported`, `unsupported_contract`, `unknown_action`, ...).
     */
    code: string;
    /**
     * What would fix it, when Warden can tell.
     */
    help?: string;
    /**
     * What is wrong, in English.
     */
    message: string;
    /**
     * The key path of the offending value, when the error is about one.
     */
    path?: string;
  };
}
/**
 * The output of [`Op::FieldAccess`]: what the actor may see and change, and the record
 * redacted when one was given.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "FieldAccessDecision".
 */
export interface FieldAccessDecision {
  /**
   * The fields the actor may change (a subset of `visible`).
   */
  editable: string[];
  /**
   * The fields the actor may not see: left out of what it reads.
   */
  hidden: string[];
  /**
   * The hash of the policy that decided.
   */
  policy: string;
  /**
   * The fields the actor may not change (`hidden` included).
   */
  readOnly: string[];
  /**
   * The record given, without the fields the actor may not see, nor its passwords.
   */
  record?: {
    [k: string]: unknown;
  } | null;
  /**
   * The fields the actor may see.
   */
  visible: string[];
}
/**
 * The input of [`Op::FieldAccess`].
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "FieldAccessInput".
 */
export interface FieldAccessInput {
  actor: Account12;
  /**
   * The directory rows for `team` principals and scopes.
   */
  directory?: Account[];
  /**
   * An instant: RFC 3339 (`2026-01-31T09:00:00Z`, an offset is accepted and normalised to UTC).
   */
  now: string;
  /**
   * A record of the target to return without the fields the actor may not see.
   */
  record?: {
    [k: string]: unknown;
  } | null;
  target: Account13;
}
/**
 * A user account, as given by the caller.
 */
export interface Account12 {
  /**
   * The user record's other fields (for dynamic groups, required-field checks and
   * anonymisation), as in validation.
   */
  attributes?: {
    [k: string]: unknown;
  };
  /**
   * Manual group memberships (dynamic groups are computed from `attributes`).
   */
  groups?: string[];
  /**
   * The account's id.
   */
  id: string;
  /**
   * The account's location (agency, site, city).
   */
  location?: string | null;
  /**
   * The manager's account id.
   */
  manager?: string | null;
  /**
   * The organisation (tenant) the account belongs to.
   */
  organization?: string | null;
  /**
   * Roles assigned directly.
   */
  roles?: string[];
  /**
   * The root user: the only one who creates administrators (R004-02).
   */
  root?: boolean;
  /**
   * The account's stored status id (`active`, `suspended`, ...). Default `active`.
   */
  status?: string;
  /**
   * When a temporary status ends (a suspension's or a lock's end); past it, the
   * effective status is the one the policy returns to.
   */
  statusUntil?: Timestamp | null;
  /**
   * Super administrator: every organisation (R000-07).
   */
  superAdmin?: boolean;
}
/**
 * A user account, as given by the caller.
 */
export interface Account13 {
  /**
   * The user record's other fields (for dynamic groups, required-field checks and
   * anonymisation), as in validation.
   */
  attributes?: {
    [k: string]: unknown;
  };
  /**
   * Manual group memberships (dynamic groups are computed from `attributes`).
   */
  groups?: string[];
  /**
   * The account's id.
   */
  id: string;
  /**
   * The account's location (agency, site, city).
   */
  location?: string | null;
  /**
   * The manager's account id.
   */
  manager?: string | null;
  /**
   * The organisation (tenant) the account belongs to.
   */
  organization?: string | null;
  /**
   * Roles assigned directly.
   */
  roles?: string[];
  /**
   * The root user: the only one who creates administrators (R004-02).
   */
  root?: boolean;
  /**
   * The account's stored status id (`active`, `suspended`, ...). Default `active`.
   */
  status?: string;
  /**
   * When a temporary status ends (a suspension's or a lock's end); past it, the
   * effective status is the one the policy returns to.
   */
  statusUntil?: Timestamp | null;
  /**
   * Super administrator: every organisation (R000-07).
   */
  superAdmin?: boolean;
}
/**
 * A security problem in the directory.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "Finding".
 */
export interface Finding {
  /**
   * The account's id.
   */
  account: string;
  /**
   * `roles_in_inactive_status` (R001-06) or `system_admin_not_active` (R003-05).
   */
  code: string;
  /**
   * The groups it should not belong to.
   */
  groups?: string[];
  /**
   * The roles it should not hold.
   */
  roles?: string[];
  /**
   * The rule it breaks.
   */
  rule: string;
  /**
   * Its effective status.
   */
  status: string;
}
/**
 * The output of [`Op::Findings`].
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "FindingsDecision".
 */
export interface FindingsDecision {
  /**
   * Every finding (R001-06, R003-05).
   */
  findings: Finding[];
  /**
   * The policy's hash.
   */
  policy: string;
}
/**
 * The input of [`Op::Import`].
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "ImportInput".
 */
export interface ImportInput {
  /**
   * The file's text.
   */
  data: string;
  facts?: ValidationFacts1;
  /**
   * `csv` (the default) or `jsonl`.
   */
  format?: "csv" | "jsonLines";
  /**
   * Also return each row's record as read (for previews; an empty object for a row that
   * could not be read), without its passwords: a decision never carries one.
   */
  records?: boolean;
  /**
   * A calendar date, `YYYY-MM-DD`.
   */
  today: string;
}
/**
 * Answers to checks (uniqueness against the stored directory).
 */
export interface ValidationFacts1 {
  /**
   * Existence answers by check id (`organization_exists`).
   */
  exists?: {
    [k: string]: boolean;
  };
  /**
   * Uniqueness answers by check id (`email_unique`).
   */
  unique?: {
    [k: string]: UniqueFact;
  };
}
/**
 * The result of validating an import.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "ImportReport".
 */
export interface ImportReport {
  /**
   * How the header's columns map to fields, or to `roles` and `groups` (see
   * [`ASSIGNMENT_COLUMNS`]); `null` for an unknown column.
   */
  columns: (string | null)[];
  /**
   * With [`ImportOptions::records`]: the line each data row starts on in the file (from
   * 1), in file order as `records`: where to find a row that the file's checks passed
   * and its commit refused (a uniqueness the store answers, a plugin), which `rows` do
   * not list. A CSV row with a line break inside a quoted cell spans several lines; blank
   * lines are no rows.
   */
  lines?: number[] | null;
  /**
   * For each uniqueness check, the distinct keys of the valid rows, to look up in one
   * query before committing.
   */
  lookups: {
    [k: string]: string[];
  };
  /**
   * The policy's hash.
   */
  policy: string;
  /**
   * With [`ImportOptions::records`]: every data row as the record it was read as (an
   * empty object for a row that could not be read), in file order. The contract's
   * `import` leaves the passwords out, and the keys the policy does not declare
   * ([`shown_record`]: a decision never carries a password), as does the wasm package's
   * `validateImport` unless asked for them (`validate_import_json` with
   * `Passwords::Keep`: the console's local commit); [`validate_import`] keeps them,
   * for the caller that read the file and stores the accounts (the server's commit).
   */
  records?:
    | {
        [k: string]: unknown;
      }[]
    | null;
  /**
   * Rows with violations (invalid rows and rows with warnings), in file order.
   */
  rows: RowReport[];
  /**
   * One [`RowStatus`] per data row, as its `u8` value.
   */
  status: number[];
  summary: ImportSummary;
}
/**
 * One row with violations.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "RowReport".
 */
export interface RowReport {
  /**
   * The data row's index, from 0 (the header is not counted).
   */
  index: number;
  /**
   * The line the row starts on in the file, from 1.
   */
  line: number;
  /**
   * Its violations.
   */
  violations: Violation[];
}
/**
 * Counts.
 */
export interface ImportSummary {
  /**
   * Rows that are duplicates of an earlier row of the file.
   */
  duplicatesInFile: number;
  /**
   * Invalid rows.
   */
  invalid: number;
  /**
   * Data rows.
   */
  total: number;
  /**
   * Valid rows (with or without warnings).
   */
  valid: number;
  /**
   * Valid rows with warnings.
   */
  warnings: number;
}
/**
 * Counts.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "ImportSummary".
 */
export interface ImportSummary1 {
  /**
   * Rows that are duplicates of an earlier row of the file.
   */
  duplicatesInFile: number;
  /**
   * Invalid rows.
   */
  invalid: number;
  /**
   * Data rows.
   */
  total: number;
  /**
   * Valid rows (with or without warnings).
   */
  valid: number;
  /**
   * Valid rows with warnings.
   */
  warnings: number;
}
/**
 * The input of [`Op::Lockout`].
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "LockoutInput".
 */
export interface LockoutInput {
  /**
   * Failed logins since the last successful one.
   */
  failedAttempts?: Timestamp[];
  /**
   * Earlier lockouts that still escalate the wait.
   */
  lockouts?: number;
  /**
   * An instant: RFC 3339 (`2026-01-31T09:00:00Z`, an offset is accepted and normalised to UTC).
   */
  now: string;
}
/**
 * The lockout state computed from failed-login timestamps (R002-12).
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "LockoutState".
 */
export interface LockoutState {
  /**
   * Failures counted in the current window (0 while locked).
   */
  failuresInWindow: number;
  /**
   * Login is refused because of failed logins.
   */
  locked: boolean;
  /**
   * Lockouts so far: `previous_lockouts` plus those the timestamps show.
   */
  lockouts: number;
  /**
   * Locked until an administrator unlocks the account.
   */
  permanent: boolean;
  /**
   * Failures left before the next lockout (0 while locked).
   */
  remainingAttempts: number;
  /**
   * Seconds from `now` to `until`.
   */
  retryAfterSeconds?: number | null;
  /**
   * When the current lockout ends (temporary lockouts only).
   */
  until?: Timestamp | null;
}
/**
 * The outcome of the login gate.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "LoginDecision".
 */
export interface LoginDecision {
  /**
   * Allow or deny.
   */
  decision: "allow" | "deny";
  /**
   * Why it is denied: `status_inactive`, `blacklisted`, `pending_verification`,
   * `organization_inactive`, `locked` (params `until`, `retryAfterSeconds`),
   * `locked_permanently`, `password_expired`, `missing_fact`.
   */
  deny?: Denial | null;
  /**
   * The lockout state, when the policy has a lockout.
   */
  lockout?: LockoutState | null;
  /**
   * The user must change their password (after an admin reset, or an expired password).
   */
  mustChangePassword: boolean;
  /**
   * The hash of the policy that decided.
   */
  policy: string;
  /**
   * The account's effective status.
   */
  status: string;
}
/**
 * What the login gate needs to know besides the account.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "LoginFacts".
 */
export interface LoginFacts {
  /**
   * Whether the email is verified (needed when `login.emailVerified` is on).
   */
  emailVerified?: boolean | null;
  /**
   * Failed logins since the last successful one.
   */
  failedAttempts?: Timestamp[];
  /**
   * Earlier lockouts that still escalate the wait.
   */
  lockouts?: number;
  /**
   * The password was reset by an administrator or is temporary (R002-05, R004-08).
   */
  mustChangePassword?: boolean;
  /**
   * When the password was last set (needed when password expiry is on).
   */
  passwordChangedAt?: Timestamp | null;
}
/**
 * The input of [`Op::Login`].
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "LoginInput".
 */
export interface LoginInput {
  account: Account14;
  facts?: LoginFacts1;
  /**
   * An instant: RFC 3339 (`2026-01-31T09:00:00Z`, an offset is accepted and normalised to UTC).
   */
  now: string;
  /**
   * Its organisation's state (R000-08).
   */
  organization?: OrganizationState | null;
}
/**
 * A user account, as given by the caller.
 */
export interface Account14 {
  /**
   * The user record's other fields (for dynamic groups, required-field checks and
   * anonymisation), as in validation.
   */
  attributes?: {
    [k: string]: unknown;
  };
  /**
   * Manual group memberships (dynamic groups are computed from `attributes`).
   */
  groups?: string[];
  /**
   * The account's id.
   */
  id: string;
  /**
   * The account's location (agency, site, city).
   */
  location?: string | null;
  /**
   * The manager's account id.
   */
  manager?: string | null;
  /**
   * The organisation (tenant) the account belongs to.
   */
  organization?: string | null;
  /**
   * Roles assigned directly.
   */
  roles?: string[];
  /**
   * The root user: the only one who creates administrators (R004-02).
   */
  root?: boolean;
  /**
   * The account's stored status id (`active`, `suspended`, ...). Default `active`.
   */
  status?: string;
  /**
   * When a temporary status ends (a suspension's or a lock's end); past it, the
   * effective status is the one the policy returns to.
   */
  statusUntil?: Timestamp | null;
  /**
   * Super administrator: every organisation (R000-07).
   */
  superAdmin?: boolean;
}
/**
 * Failed attempts, password age, verification.
 */
export interface LoginFacts1 {
  /**
   * Whether the email is verified (needed when `login.emailVerified` is on).
   */
  emailVerified?: boolean | null;
  /**
   * Failed logins since the last successful one.
   */
  failedAttempts?: Timestamp[];
  /**
   * Earlier lockouts that still escalate the wait.
   */
  lockouts?: number;
  /**
   * The password was reset by an administrator or is temporary (R002-05, R004-08).
   */
  mustChangePassword?: boolean;
  /**
   * When the password was last set (needed when password expiry is on).
   */
  passwordChangedAt?: Timestamp | null;
}
/**
 * The account's organisation, as the caller knows it (R000-08).
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "OrganizationState".
 */
export interface OrganizationState {
  /**
   * Whether it is active.
   */
  active: boolean;
  /**
   * The organisation's id.
   */
  id: string;
}
/**
 * The input of [`Op::PasswordChange`].
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "PasswordChangeInput".
 */
export interface PasswordChangeInput {
  actor: Account15;
  /**
   * The actor re-entered their current password.
   */
  currentPasswordVerified?: boolean | null;
  /**
   * An instant: RFC 3339 (`2026-01-31T09:00:00Z`, an offset is accepted and normalised to UTC).
   */
  now: string;
  target: Account16;
}
/**
 * A user account, as given by the caller.
 */
export interface Account15 {
  /**
   * The user record's other fields (for dynamic groups, required-field checks and
   * anonymisation), as in validation.
   */
  attributes?: {
    [k: string]: unknown;
  };
  /**
   * Manual group memberships (dynamic groups are computed from `attributes`).
   */
  groups?: string[];
  /**
   * The account's id.
   */
  id: string;
  /**
   * The account's location (agency, site, city).
   */
  location?: string | null;
  /**
   * The manager's account id.
   */
  manager?: string | null;
  /**
   * The organisation (tenant) the account belongs to.
   */
  organization?: string | null;
  /**
   * Roles assigned directly.
   */
  roles?: string[];
  /**
   * The root user: the only one who creates administrators (R004-02).
   */
  root?: boolean;
  /**
   * The account's stored status id (`active`, `suspended`, ...). Default `active`.
   */
  status?: string;
  /**
   * When a temporary status ends (a suspension's or a lock's end); past it, the
   * effective status is the one the policy returns to.
   */
  statusUntil?: Timestamp | null;
  /**
   * Super administrator: every organisation (R000-07).
   */
  superAdmin?: boolean;
}
/**
 * A user account, as given by the caller.
 */
export interface Account16 {
  /**
   * The user record's other fields (for dynamic groups, required-field checks and
   * anonymisation), as in validation.
   */
  attributes?: {
    [k: string]: unknown;
  };
  /**
   * Manual group memberships (dynamic groups are computed from `attributes`).
   */
  groups?: string[];
  /**
   * The account's id.
   */
  id: string;
  /**
   * The account's location (agency, site, city).
   */
  location?: string | null;
  /**
   * The manager's account id.
   */
  manager?: string | null;
  /**
   * The organisation (tenant) the account belongs to.
   */
  organization?: string | null;
  /**
   * Roles assigned directly.
   */
  roles?: string[];
  /**
   * The root user: the only one who creates administrators (R004-02).
   */
  root?: boolean;
  /**
   * The account's stored status id (`active`, `suspended`, ...). Default `active`.
   */
  status?: string;
  /**
   * When a temporary status ends (a suspension's or a lock's end); past it, the
   * effective status is the one the policy returns to.
   */
  statusUntil?: Timestamp | null;
  /**
   * Super administrator: every organisation (R000-07).
   */
  superAdmin?: boolean;
}
/**
 * The decision of a stand-alone password check.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "PasswordDecision".
 */
export interface PasswordDecision {
  /**
   * Every rule the policy enforces, met or not.
   */
  checklist: ChecklistItem[];
  /**
   * The policy's hash.
   */
  policy: string;
  /**
   * Strength for a meter, 0 to 4.
   */
  score: number;
  /**
   * No rule is broken.
   */
  valid: boolean;
  /**
   * One violation per broken rule, at path `["password"]`.
   */
  violations: Violation[];
}
/**
 * The input of [`Op::Password`].
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "PasswordInput".
 */
export interface PasswordInput {
  /**
   * The account uses multi-factor authentication.
   */
  mfa?: boolean;
  /**
   * The password to check.
   */
  password: string;
  /**
   * The user's own data the password must not resemble (`firstName`, `email`, ...).
   */
  user?: {
    [k: string]: unknown;
  };
}
/**
 * The input of [`Op::PasswordReset`].
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "PasswordResetInput".
 */
export interface PasswordResetInput {
  actor: Account17;
  /**
   * The directory rows for `team` scopes of `passwordReset.by`.
   */
  directory?: Account[];
  /**
   * At least 64 hexadecimal digits (32 bytes) of fresh randomness from the caller's
   * operating system, for a temporary password: the kernel has no randomness of its own.
   */
  entropy: string;
  /**
   * The method; default the first of `passwordReset.methods`.
   */
  method?: ResetMethod | null;
  /**
   * An instant: RFC 3339 (`2026-01-31T09:00:00Z`, an offset is accepted and normalised to UTC).
   */
  now: string;
  target: Account18;
}
/**
 * A user account, as given by the caller.
 */
export interface Account17 {
  /**
   * The user record's other fields (for dynamic groups, required-field checks and
   * anonymisation), as in validation.
   */
  attributes?: {
    [k: string]: unknown;
  };
  /**
   * Manual group memberships (dynamic groups are computed from `attributes`).
   */
  groups?: string[];
  /**
   * The account's id.
   */
  id: string;
  /**
   * The account's location (agency, site, city).
   */
  location?: string | null;
  /**
   * The manager's account id.
   */
  manager?: string | null;
  /**
   * The organisation (tenant) the account belongs to.
   */
  organization?: string | null;
  /**
   * Roles assigned directly.
   */
  roles?: string[];
  /**
   * The root user: the only one who creates administrators (R004-02).
   */
  root?: boolean;
  /**
   * The account's stored status id (`active`, `suspended`, ...). Default `active`.
   */
  status?: string;
  /**
   * When a temporary status ends (a suspension's or a lock's end); past it, the
   * effective status is the one the policy returns to.
   */
  statusUntil?: Timestamp | null;
  /**
   * Super administrator: every organisation (R000-07).
   */
  superAdmin?: boolean;
}
/**
 * A user account, as given by the caller.
 */
export interface Account18 {
  /**
   * The user record's other fields (for dynamic groups, required-field checks and
   * anonymisation), as in validation.
   */
  attributes?: {
    [k: string]: unknown;
  };
  /**
   * Manual group memberships (dynamic groups are computed from `attributes`).
   */
  groups?: string[];
  /**
   * The account's id.
   */
  id: string;
  /**
   * The account's location (agency, site, city).
   */
  location?: string | null;
  /**
   * The manager's account id.
   */
  manager?: string | null;
  /**
   * The organisation (tenant) the account belongs to.
   */
  organization?: string | null;
  /**
   * Roles assigned directly.
   */
  roles?: string[];
  /**
   * The root user: the only one who creates administrators (R004-02).
   */
  root?: boolean;
  /**
   * The account's stored status id (`active`, `suspended`, ...). Default `active`.
   */
  status?: string;
  /**
   * When a temporary status ends (a suspension's or a lock's end); past it, the
   * effective status is the one the policy returns to.
   */
  statusUntil?: Timestamp | null;
  /**
   * Super administrator: every organisation (R000-07).
   */
  superAdmin?: boolean;
}
/**
 * The output of [`Op::PasswordReset`]: the decision, and the temporary password it
 * generated (the one place a password leaves the kernel, because it was asked for).
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "PasswordResetOutput".
 */
export interface PasswordResetOutput {
  audit: AuditEntry3;
  /**
   * Allow or deny.
   */
  decision: "allow" | "deny";
  /**
   * Why it is denied.
   */
  deny?: Denial | null;
  /**
   * When the reset token expires (method `token`).
   */
  expiresAt?: Timestamp | null;
  /**
   * The method used.
   */
  method?: ResetMethod | null;
  /**
   * The user must change the password at next login (R002-05).
   */
  mustChangePassword: boolean;
  /**
   * What the caller must do.
   */
  obligations: Obligation[];
  /**
   * The hash of the policy that decided.
   */
  policy: string;
  /**
   * The account's status, unchanged by a reset (R004-08).
   */
  status: string;
  /**
   * The generated temporary password, shown once.
   */
  temporaryPassword?: string | null;
}
/**
 * The audit entry (action `users.passwordReset`).
 */
export interface AuditEntry3 {
  /**
   * The action (`users.status`, `users.update`, `users.delete`, `users.passwordReset`,
   * `users.verify`).
   */
  action: string;
  /**
   * The actor's account id.
   */
  actor: string;
  /**
   * An instant: RFC 3339 (`2026-01-31T09:00:00Z`, an offset is accepted and normalised to UTC).
   */
  at: string;
  /**
   * The names of the changed fields.
   */
  fields?: string[];
  /**
   * The status before.
   */
  from?: string | null;
  /**
   * The reason given.
   */
  reason?: string | null;
  /**
   * Roles assigned by the actor (R003-08).
   */
  rolesAdded?: string[];
  /**
   * Roles removed by the actor.
   */
  rolesRemoved?: string[];
  /**
   * The target's account id.
   */
  target: string;
  /**
   * The status after.
   */
  to?: string | null;
}
/**
 * What a password check contributes to a decision: never the password itself.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "PasswordSummary".
 */
export interface PasswordSummary {
  /**
   * Every rule the policy enforces, met or not.
   */
  checklist: ChecklistItem[];
  /**
   * Strength for a meter, 0 (very weak) to 4 (strong).
   */
  score: number;
}
/**
 * The output of [`Op::Permissions`].
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "PermissionsDecision".
 */
export interface PermissionsDecision {
  /**
   * Every `module.action` the actor may perform on the target, in declaration order.
   */
  permissions: string[];
  /**
   * The policy's hash.
   */
  policy: string;
}
/**
 * The input of [`Op::Permissions`].
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "PermissionsInput".
 */
export interface PermissionsInput {
  actor: Account19;
  /**
   * The directory rows for `team` scopes.
   */
  directory?: Account[];
  /**
   * An instant: RFC 3339 (`2026-01-31T09:00:00Z`, an offset is accepted and normalised to UTC).
   */
  now: string;
  target: Target1;
}
/**
 * A user account, as given by the caller.
 */
export interface Account19 {
  /**
   * The user record's other fields (for dynamic groups, required-field checks and
   * anonymisation), as in validation.
   */
  attributes?: {
    [k: string]: unknown;
  };
  /**
   * Manual group memberships (dynamic groups are computed from `attributes`).
   */
  groups?: string[];
  /**
   * The account's id.
   */
  id: string;
  /**
   * The account's location (agency, site, city).
   */
  location?: string | null;
  /**
   * The manager's account id.
   */
  manager?: string | null;
  /**
   * The organisation (tenant) the account belongs to.
   */
  organization?: string | null;
  /**
   * Roles assigned directly.
   */
  roles?: string[];
  /**
   * The root user: the only one who creates administrators (R004-02).
   */
  root?: boolean;
  /**
   * The account's stored status id (`active`, `suspended`, ...). Default `active`.
   */
  status?: string;
  /**
   * When a temporary status ends (a suspension's or a lock's end); past it, the
   * effective status is the one the policy returns to.
   */
  statusUntil?: Timestamp | null;
  /**
   * Super administrator: every organisation (R000-07).
   */
  superAdmin?: boolean;
}
/**
 * On what.
 */
export interface Target1 {
  /**
   * For a user: the record's other fields (dynamic groups, the role field).
   */
  attributes?: {
    [k: string]: unknown;
  };
  /**
   * For a user: manual group memberships.
   */
  groups?: string[];
  /**
   * The target's id.
   */
  id: string;
  /**
   * Its location.
   */
  location?: string | null;
  /**
   * For a user: the manager's id (used when the directory does not know the target).
   */
  manager?: string | null;
  /**
   * The organisation it belongs to.
   */
  organization?: string | null;
  /**
   * For a resource: the account that owns it (`own` and `team` scopes look at it).
   */
  owner?: string | null;
  /**
   * For a user: the roles held directly (for grants and combinations).
   */
  roles?: string[];
  /**
   * For a user: the stored status.
   */
  status?: string | null;
  /**
   * `user` (the default) or a resource type (`booking`).
   */
  type?: string;
}
/**
 * The input of [`Op::Scope`].
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "ScopeInput".
 */
export interface ScopeInput {
  /**
   * The action (`users.read`).
   */
  action: string;
  actor: Account20;
  /**
   * An instant: RFC 3339 (`2026-01-31T09:00:00Z`, an offset is accepted and normalised to UTC).
   */
  now: string;
  /**
   * Render the filter as SQL with these columns and this dialect.
   */
  sql?: SqlOptions | null;
}
/**
 * A user account, as given by the caller.
 */
export interface Account20 {
  /**
   * The user record's other fields (for dynamic groups, required-field checks and
   * anonymisation), as in validation.
   */
  attributes?: {
    [k: string]: unknown;
  };
  /**
   * Manual group memberships (dynamic groups are computed from `attributes`).
   */
  groups?: string[];
  /**
   * The account's id.
   */
  id: string;
  /**
   * The account's location (agency, site, city).
   */
  location?: string | null;
  /**
   * The manager's account id.
   */
  manager?: string | null;
  /**
   * The organisation (tenant) the account belongs to.
   */
  organization?: string | null;
  /**
   * Roles assigned directly.
   */
  roles?: string[];
  /**
   * The root user: the only one who creates administrators (R004-02).
   */
  root?: boolean;
  /**
   * The account's stored status id (`active`, `suspended`, ...). Default `active`.
   */
  status?: string;
  /**
   * When a temporary status ends (a suspension's or a lock's end); past it, the
   * effective status is the one the policy returns to.
   */
  statusUntil?: Timestamp | null;
  /**
   * Super administrator: every organisation (R000-07).
   */
  superAdmin?: boolean;
}
/**
 * Column names and dialect for [`Filter::to_sql`].
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "SqlOptions".
 */
export interface SqlOptions {
  /**
   * The id column of the filtered table. Default `id`.
   */
  idColumn?: string;
  /**
   * The location column. Default `location`.
   */
  locationColumn?: string;
  /**
   * The manager column of the users table. Default `manager_id`.
   */
  managerColumn?: string;
  /**
   * The organisation column. Default `organization_id`.
   */
  organizationColumn?: string;
  /**
   * For a table of resources, the owner column (`own` and `team` then test it instead
   * of the id). Default none.
   */
  ownerColumn?: string | null;
  /**
   * Placeholder style. Default `$n`.
   */
  placeholder?: "dollar" | "question";
  /**
   * Subtree strategy. Default a recursive CTE over `users`.
   */
  subtree?:
    | {
        kind: "recursiveCte";
        /**
         * The users table.
         */
        usersTable: string;
      }
    | {
        /**
         * Its ancestor column.
         */
        ancestor: string;
        /**
         * Its depth column (1 = direct report).
         */
        depth: string;
        /**
         * Its descendant column.
         */
        descendant: string;
        kind: "closureTable";
        /**
         * The closure table.
         */
        table: string;
      };
}
/**
 * The output of [`Op::Scope`]: the filter, and its SQL when asked for.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "ScopeOutput".
 */
export interface ScopeOutput {
  /**
   * The action.
   */
  action: string;
  /**
   * The filter.
   */
  filter:
    | {
        kind: "all";
      }
    | {
        kind: "none";
      }
    | {
        kind: "organization";
        /**
         * The organisation.
         */
        organization: string;
      }
    | {
        /**
         * The actor's id.
         */
        id: string;
        kind: "own";
        /**
         * The actor's organisation; without one, only the actor's own account matches.
         */
        organization?: string | null;
      }
    | {
        kind: "locations";
        /**
         * The locations.
         */
        locations: string[];
        /**
         * The organisation.
         */
        organization: string;
      }
    | {
        /**
         * How many levels down (1 = direct reports); absent for the whole subtree.
         */
        depth?: number | null;
        kind: "subtree";
        /**
         * The manager's id.
         */
        manager: string;
        /**
         * The organisation.
         */
        organization: string;
      }
    | {
        /**
         * The alternatives (never nested, never empty).
         */
        filters: Filter[];
        kind: "anyOf";
      };
  /**
   * The hash of the policy.
   */
  policy: string;
  /**
   * The rules that contributed (`superAdmin`, `role:manager#0`), or why it is `none`.
   */
  reasons: string[];
  /**
   * The filter as a parameterised SQL condition.
   */
  sql?: SqlFilter | null;
}
/**
 * A parameterised SQL expression: splice `sql` into a `WHERE` clause and bind `params`
 * in order. No value from the policy or the request is ever written into `sql`.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "SqlFilter".
 */
export interface SqlFilter {
  /**
   * The values of the placeholders, in order.
   */
  params: unknown[];
  /**
   * The boolean expression.
   */
  sql: string;
}
/**
 * User statistics (R000-10).
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "Statistics".
 */
export interface Statistics {
  /**
   * Accounts whose effective status allows login (without a lifecycle: status `active`).
   */
  active: number;
  /**
   * Accounts by effective status (stored status when unknown to the policy).
   */
  byStatus: {
    [k: string]: number;
  };
  /**
   * Distinct organisations with at least one account.
   */
  organizations: number;
  /**
   * Super administrators, whatever their status.
   */
  superAdmins: number;
  /**
   * Every account, whatever its status.
   */
  total: number;
}
/**
 * What an action is done to: a user account, or another resource (a booking, a report).
 *
 * `Target::default()` is a user target with an empty id.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "Target".
 */
export interface Target2 {
  /**
   * For a user: the record's other fields (dynamic groups, the role field).
   */
  attributes?: {
    [k: string]: unknown;
  };
  /**
   * For a user: manual group memberships.
   */
  groups?: string[];
  /**
   * The target's id.
   */
  id: string;
  /**
   * Its location.
   */
  location?: string | null;
  /**
   * For a user: the manager's id (used when the directory does not know the target).
   */
  manager?: string | null;
  /**
   * The organisation it belongs to.
   */
  organization?: string | null;
  /**
   * For a resource: the account that owns it (`own` and `team` scopes look at it).
   */
  owner?: string | null;
  /**
   * For a user: the roles held directly (for grants and combinations).
   */
  roles?: string[];
  /**
   * For a user: the stored status.
   */
  status?: string | null;
  /**
   * `user` (the default) or a resource type (`booking`).
   */
  type?: string;
}
/**
 * The outcome of a transition request.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "TransitionDecision".
 */
export interface TransitionDecision {
  audit: AuditEntry4;
  /**
   * Allow or deny.
   */
  decision: "allow" | "deny";
  /**
   * Why it is denied.
   */
  deny?: Denial | null;
  /**
   * The target's effective status.
   */
  from: string;
  /**
   * What the caller must do (allowed decisions only).
   */
  obligations: Obligation[];
  /**
   * The hash of the policy that decided.
   */
  policy: string;
  /**
   * The status asked for.
   */
  to: string;
  /**
   * The transition's id, when one leads from `from` to `to`.
   */
  transition?: string | null;
  /**
   * The end of the new temporary status.
   */
  until?: Timestamp | null;
}
/**
 * The audit entry (action `users.status`), for allowed and denied requests alike.
 */
export interface AuditEntry4 {
  /**
   * The action (`users.status`, `users.update`, `users.delete`, `users.passwordReset`,
   * `users.verify`).
   */
  action: string;
  /**
   * The actor's account id.
   */
  actor: string;
  /**
   * An instant: RFC 3339 (`2026-01-31T09:00:00Z`, an offset is accepted and normalised to UTC).
   */
  at: string;
  /**
   * The names of the changed fields.
   */
  fields?: string[];
  /**
   * The status before.
   */
  from?: string | null;
  /**
   * The reason given.
   */
  reason?: string | null;
  /**
   * Roles assigned by the actor (R003-08).
   */
  rolesAdded?: string[];
  /**
   * Roles removed by the actor.
   */
  rolesRemoved?: string[];
  /**
   * The target's account id.
   */
  target: string;
  /**
   * The status after.
   */
  to?: string | null;
}
/**
 * What the caller knows and Warden cannot. Every fact is optional so that a decision can
 * say which one it needs: a guard whose fact is missing denies with kind `missingFact`.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "TransitionFacts".
 */
export interface TransitionFacts3 {
  /**
   * The target's active (current or future) bookings (guard `activeBookings`).
   */
  activeBookings?: number | null;
  /**
   * Active super administrators, the target included (guard `lastSuperAdmin`).
   */
  activeSuperAdmins?: number | null;
  /**
   * The target's pending approvals (obligation `reassignApprovals`).
   */
  pendingApprovals?: number | null;
  /**
   * The critical permissions that the target alone holds (guard `soleCriticalHolder`).
   */
  soleHolderOf?: string[] | null;
}
/**
 * The input of [`Op::Transition`].
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "TransitionInput".
 */
export interface TransitionInput {
  actor: Account21;
  /**
   * The directory rows for `team` scopes of `by.permission`.
   */
  directory?: Account[];
  /**
   * The duration of a temporary status, in days.
   */
  durationDays?: number | null;
  /**
   * The duration of a temporary status, in minutes.
   */
  durationMinutes?: number | null;
  facts?: TransitionFacts4;
  /**
   * An instant: RFC 3339 (`2026-01-31T09:00:00Z`, an offset is accepted and normalised to UTC).
   */
  now: string;
  /**
   * Why; trimmed, at most 1,000 code points.
   */
  reason?: string | null;
  target: Account22;
  /**
   * The new status.
   */
  to: string;
  /**
   * The end of a temporary status; at most one of `until`, `durationDays`,
   * `durationMinutes`.
   */
  until?: Timestamp | null;
}
/**
 * A user account, as given by the caller.
 */
export interface Account21 {
  /**
   * The user record's other fields (for dynamic groups, required-field checks and
   * anonymisation), as in validation.
   */
  attributes?: {
    [k: string]: unknown;
  };
  /**
   * Manual group memberships (dynamic groups are computed from `attributes`).
   */
  groups?: string[];
  /**
   * The account's id.
   */
  id: string;
  /**
   * The account's location (agency, site, city).
   */
  location?: string | null;
  /**
   * The manager's account id.
   */
  manager?: string | null;
  /**
   * The organisation (tenant) the account belongs to.
   */
  organization?: string | null;
  /**
   * Roles assigned directly.
   */
  roles?: string[];
  /**
   * The root user: the only one who creates administrators (R004-02).
   */
  root?: boolean;
  /**
   * The account's stored status id (`active`, `suspended`, ...). Default `active`.
   */
  status?: string;
  /**
   * When a temporary status ends (a suspension's or a lock's end); past it, the
   * effective status is the one the policy returns to.
   */
  statusUntil?: Timestamp | null;
  /**
   * Super administrator: every organisation (R000-07).
   */
  superAdmin?: boolean;
}
/**
 * Facts for the guards and obligations.
 */
export interface TransitionFacts4 {
  /**
   * The target's active (current or future) bookings (guard `activeBookings`).
   */
  activeBookings?: number | null;
  /**
   * Active super administrators, the target included (guard `lastSuperAdmin`).
   */
  activeSuperAdmins?: number | null;
  /**
   * The target's pending approvals (obligation `reassignApprovals`).
   */
  pendingApprovals?: number | null;
  /**
   * The critical permissions that the target alone holds (guard `soleCriticalHolder`).
   */
  soleHolderOf?: string[] | null;
}
/**
 * A user account, as given by the caller.
 */
export interface Account22 {
  /**
   * The user record's other fields (for dynamic groups, required-field checks and
   * anonymisation), as in validation.
   */
  attributes?: {
    [k: string]: unknown;
  };
  /**
   * Manual group memberships (dynamic groups are computed from `attributes`).
   */
  groups?: string[];
  /**
   * The account's id.
   */
  id: string;
  /**
   * The account's location (agency, site, city).
   */
  location?: string | null;
  /**
   * The manager's account id.
   */
  manager?: string | null;
  /**
   * The organisation (tenant) the account belongs to.
   */
  organization?: string | null;
  /**
   * Roles assigned directly.
   */
  roles?: string[];
  /**
   * The root user: the only one who creates administrators (R004-02).
   */
  root?: boolean;
  /**
   * The account's stored status id (`active`, `suspended`, ...). Default `active`.
   */
  status?: string;
  /**
   * When a temporary status ends (a suspension's or a lock's end); past it, the
   * effective status is the one the policy returns to.
   */
  statusUntil?: Timestamp | null;
  /**
   * Super administrator: every organisation (R000-07).
   */
  superAdmin?: boolean;
}
/**
 * The input of [`Op::Validate`].
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "ValidateInput".
 */
export interface ValidateInput {
  facts?: ValidationFacts2;
  /**
   * Validate only this field of the schema (a form's keystroke), with `user` as the
   * whole record for its cross-field rules: the decision reports only the field's
   * violations, checks and stored value (see `validate_field`). Absent: the whole record.
   */
  field?: string | null;
  /**
   * The account uses multi-factor authentication.
   */
  mfa?: boolean;
  /**
   * What it is validated for (default `create`).
   */
  mode?: "create" | "update" | "reactivate" | "import";
  /**
   * A calendar date, `YYYY-MM-DD`.
   */
  today: string;
  /**
   * The user record.
   */
  user: {
    [k: string]: unknown;
  };
}
/**
 * Answers to checks.
 */
export interface ValidationFacts2 {
  /**
   * Existence answers by check id (`organization_exists`).
   */
  exists?: {
    [k: string]: boolean;
  };
  /**
   * Uniqueness answers by check id (`email_unique`).
   */
  unique?: {
    [k: string]: UniqueFact;
  };
}
/**
 * The outcome of validating one user record.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "ValidationDecision".
 */
export interface ValidationDecision {
  /**
   * The checks the decision needs, answered or not.
   */
  checks: Check[];
  /**
   * Every check was answered; a server must not accept a record that is not complete.
   */
  complete: boolean;
  /**
   * The record as it would be stored: normalised values and derived fields; never the
   * password.
   */
  normalized: {
    [k: string]: unknown;
  };
  /**
   * The password's strength and checklist, when the record carried one.
   */
  password?: PasswordSummary | null;
  /**
   * The hash of the policy the record was checked against.
   */
  policy: string;
  /**
   * No violation of severity error (warnings do not count).
   */
  valid: boolean;
  /**
   * Every violation, errors and warnings, in schema order.
   */
  violations: Violation[];
}
/**
 * Answers to the checks a previous decision asked for.
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "ValidationFacts".
 */
export interface ValidationFacts3 {
  /**
   * Existence answers by check id (`organization_exists`).
   */
  exists?: {
    [k: string]: boolean;
  };
  /**
   * Uniqueness answers by check id (`email_unique`).
   */
  unique?: {
    [k: string]: UniqueFact;
  };
}
/**
 * The outcome of approving or rejecting a verification (R002-08).
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "VerificationDecision".
 */
export interface VerificationDecision {
  /**
   * Approved or rejected.
   */
  approved: boolean;
  audit: AuditEntry5;
  /**
   * Allow or deny.
   */
  decision: "allow" | "deny";
  /**
   * Why it is denied: the actor's own status, `by`, or self-approval.
   */
  deny?: Denial | null;
  /**
   * The features the new flags enable.
   */
  features: string[];
  /**
   * The new flags to store in the account's `verifications` attribute (declared kinds
   * only).
   */
  flags: {
    [k: string]: boolean;
  };
  /**
   * The verification kind.
   */
  kind: string;
  /**
   * What the caller must do.
   */
  obligations: Obligation[];
  /**
   * The hash of the policy that decided.
   */
  policy: string;
}
/**
 * The audit entry (action `users.verify`).
 */
export interface AuditEntry5 {
  /**
   * The action (`users.status`, `users.update`, `users.delete`, `users.passwordReset`,
   * `users.verify`).
   */
  action: string;
  /**
   * The actor's account id.
   */
  actor: string;
  /**
   * An instant: RFC 3339 (`2026-01-31T09:00:00Z`, an offset is accepted and normalised to UTC).
   */
  at: string;
  /**
   * The names of the changed fields.
   */
  fields?: string[];
  /**
   * The status before.
   */
  from?: string | null;
  /**
   * The reason given.
   */
  reason?: string | null;
  /**
   * Roles assigned by the actor (R003-08).
   */
  rolesAdded?: string[];
  /**
   * Roles removed by the actor.
   */
  rolesRemoved?: string[];
  /**
   * The target's account id.
   */
  target: string;
  /**
   * The status after.
   */
  to?: string | null;
}
/**
 * The input of [`Op::Verification`].
 *
 * This interface was referenced by `WardenContract`'s JSON-Schema
 * via the `definition` "VerificationInput".
 */
export interface VerificationInput {
  account: Account23;
  actor: Account24;
  /**
   * Approve (true) or reject (false).
   */
  approve: boolean;
  /**
   * The directory rows for `team` scopes.
   */
  directory?: Account[];
  /**
   * The verification kind the policy declares.
   */
  kind: string;
  /**
   * An instant: RFC 3339 (`2026-01-31T09:00:00Z`, an offset is accepted and normalised to UTC).
   */
  now: string;
}
/**
 * A user account, as given by the caller.
 */
export interface Account23 {
  /**
   * The user record's other fields (for dynamic groups, required-field checks and
   * anonymisation), as in validation.
   */
  attributes?: {
    [k: string]: unknown;
  };
  /**
   * Manual group memberships (dynamic groups are computed from `attributes`).
   */
  groups?: string[];
  /**
   * The account's id.
   */
  id: string;
  /**
   * The account's location (agency, site, city).
   */
  location?: string | null;
  /**
   * The manager's account id.
   */
  manager?: string | null;
  /**
   * The organisation (tenant) the account belongs to.
   */
  organization?: string | null;
  /**
   * Roles assigned directly.
   */
  roles?: string[];
  /**
   * The root user: the only one who creates administrators (R004-02).
   */
  root?: boolean;
  /**
   * The account's stored status id (`active`, `suspended`, ...). Default `active`.
   */
  status?: string;
  /**
   * When a temporary status ends (a suspension's or a lock's end); past it, the
   * effective status is the one the policy returns to.
   */
  statusUntil?: Timestamp | null;
  /**
   * Super administrator: every organisation (R000-07).
   */
  superAdmin?: boolean;
}
/**
 * A user account, as given by the caller.
 */
export interface Account24 {
  /**
   * The user record's other fields (for dynamic groups, required-field checks and
   * anonymisation), as in validation.
   */
  attributes?: {
    [k: string]: unknown;
  };
  /**
   * Manual group memberships (dynamic groups are computed from `attributes`).
   */
  groups?: string[];
  /**
   * The account's id.
   */
  id: string;
  /**
   * The account's location (agency, site, city).
   */
  location?: string | null;
  /**
   * The manager's account id.
   */
  manager?: string | null;
  /**
   * The organisation (tenant) the account belongs to.
   */
  organization?: string | null;
  /**
   * Roles assigned directly.
   */
  roles?: string[];
  /**
   * The root user: the only one who creates administrators (R004-02).
   */
  root?: boolean;
  /**
   * The account's stored status id (`active`, `suspended`, ...). Default `active`.
   */
  status?: string;
  /**
   * When a temporary status ends (a suspension's or a lock's end); past it, the
   * effective status is the one the policy returns to.
   */
  statusUntil?: Timestamp | null;
  /**
   * Super administrator: every organisation (R000-07).
   */
  superAdmin?: boolean;
}
