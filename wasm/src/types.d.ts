/** A language of messages. */
export type Lang = "en" | "fr";
/** An operation of the JSON entry point. */
export type Op =
  | "validate" | "password" | "import" | "authorize" | "scope" | "permissions"
  | "directory" | "transition" | "login" | "lockout" | "delete" | "changes"
  | "passwordChange" | "passwordReset" | "verification" | "statistics" | "findings"
  | "effectiveStatus" | "bulk";
/** What a record is validated for. */
export type Mode = "create" | "update" | "import";
/** Error (refuses the record) or warning (advice). */
export type Severity = "error" | "warning";
/** A path as typed parts: keys are strings, array indexes numbers. */
export type PathPart = string | number;

/** One broken rule. */
export interface Violation {
  code: string;
  path: PathPart[];
  severity: Severity;
  message: string;
  params?: Record<string, unknown>;
}

/** A question validation cannot answer itself (uniqueness, existence). */
export interface Check {
  check: string;
  kind: "unique" | "exists";
  field: string;
  key: string;
  within?: { field: string; value: string };
  answered: boolean;
}

/** The answer to a uniqueness check. */
export interface UniqueFact {
  key?: string;
  taken: boolean;
  existingId?: string;
  existingStatus?: string;
}

/** Answers to checks, by check id. */
export interface ValidationFacts {
  unique?: Record<string, UniqueFact>;
  exists?: Record<string, boolean>;
}

/** One password rule, met or not (render its text with `renderMessage`). */
export interface ChecklistItem {
  code: string;
  met: boolean;
  params?: Record<string, unknown>;
  /** The rule as a form shows it ("at least 8 characters"), in the requested language. */
  label?: string;
}

/** The input of `Warden#validate`. */
export interface ValidateInput {
  user: Record<string, unknown>;
  mode?: Mode;
  /** Today's date, `YYYY-MM-DD` (Warden has no clock). */
  today: string;
  facts?: ValidationFacts;
  mfa?: boolean;
}

/** The decision of `Warden#validate`. */
export interface ValidationDecision {
  valid: boolean;
  complete: boolean;
  policy: string;
  violations: Violation[];
  checks: Check[];
  normalized: Record<string, unknown>;
  password?: { score: number; checklist: ChecklistItem[] };
}

/** The input of `Warden#checkPassword`. */
export interface PasswordInput {
  password: string;
  user?: Record<string, unknown>;
  mfa?: boolean;
}

/** The decision of `Warden#checkPassword`. */
export interface PasswordDecision {
  valid: boolean;
  policy: string;
  violations: Violation[];
  /** Strength for a meter, 0 to 4. */
  score: number;
  checklist: ChecklistItem[];
}

/** A user account as the scoping and lifecycle rules see it. */
export interface Account {
  id: string;
  organization?: string;
  status?: string;
  statusUntil?: string;
  roles?: string[];
  groups?: string[];
  superAdmin?: boolean;
  root?: boolean;
  manager?: string;
  location?: string;
  attributes?: Record<string, unknown>;
}

/** Why something is denied. */
export interface Denial {
  kind: "notPermitted" | "forbidden" | "invalidState" | "missingFact" | "invalidRequest";
  code: string;
  message: string;
  rule?: string;
  hint?: string;
  params?: Record<string, unknown>;
}

/** What the caller must do after an allowed change. */
export type Obligation =
  | { kind: "revokeSessions" | "forcePasswordChange" | "invalidatePasswords" | "cancelFutureBookings" | "audit" }
  | { kind: "notifyUser"; template: string }
  | { kind: "removeRoles"; roles: string[] }
  | { kind: "removeGroups"; groups: string[] }
  | { kind: "reassignApprovals"; count: number }
  | { kind: "notifyEmailChange"; old: string; new: string }
  | { kind: "verifyNewEmail"; email: string }
  | { kind: "issueResetToken"; expiresAt: string }
  | { kind: "scheduleExpiry"; at: string; returnsTo: string };

/** The audit entry of a lifecycle decision. */
export interface AuditEntry {
  actor: string;
  target: string;
  action: string;
  from?: string;
  to?: string;
  reason?: string;
  [key: string]: unknown;
}

/** The input of `Warden#authorize`. */
export interface AuthorizeInput {
  actor: Account;
  action: string;
  target: Account | Record<string, unknown>;
  change?: Record<string, unknown>;
  directory?: Account[];
  /** An RFC 3339 timestamp. */
  now: string;
}

/** The decision of `Warden#authorize`. */
export interface AuthorizeDecision {
  decision: "allow" | "deny";
  policy: string;
  [key: string]: unknown;
}

/** The input of `Warden#scope`. */
export interface ScopeInput {
  actor: Account;
  action: string;
  now: string;
  sql?: Record<string, unknown>;
}

/** The decision of `Warden#scope`: a filter over targets. */
export interface ScopeDecision {
  policy: string;
  action: string;
  filter: unknown;
  reasons: string[];
  sql?: unknown;
}

/** The input of `Warden#transition`. */
export interface TransitionInput {
  actor: Account;
  target: Account;
  to: string;
  reason?: string;
  until?: string;
  durationDays?: number;
  durationMinutes?: number;
  facts?: Record<string, unknown>;
  directory?: Account[];
  now: string;
}

/** The decision of `Warden#transition`. */
export interface TransitionDecision {
  decision: "allow" | "deny";
  policy: string;
  transition?: string;
  from: string;
  to: string;
  deny?: Denial;
  obligations: Obligation[];
  until?: string;
  audit: AuditEntry;
}

/** The input of `Warden#canLogin`. */
export interface LoginInput {
  account: Account;
  organization?: { id?: string; active: boolean; [key: string]: unknown };
  facts?: Record<string, unknown>;
  now: string;
}

/** The decision of `Warden#canLogin`. */
export interface LoginDecision {
  decision: "allow" | "deny";
  policy: string;
  status: string;
  deny?: Denial;
  mustChangePassword: boolean;
  lockout?: Record<string, unknown>;
}

/** The input of `Warden#statistics`. */
export interface StatisticsInput {
  accounts: Account[];
  now: string;
}

/** Account statistics (R000-10). */
export interface Statistics {
  total: number;
  active: number;
  superAdmins: number;
  organizations: number;
  byStatus: Record<string, number>;
}

/** How `Warden#answerFacts` reads local data. */
export interface AnswerOptions {
  /** The id of the record being edited: it does not collide with itself. */
  selfId?: string;
  /** The key holding a record's id (default `id`). */
  idField?: string;
  /** Known ids per referencing field, e.g. `{ organization: ["acme"] }`. */
  known?: Record<string, string[]>;
}

/** The options of `Warden#validateImport`. */
export interface ImportOptions {
  format?: "csv" | "jsonLines";
  /** Also return every row as the record it was read as (`records`), for a preview. */
  records?: boolean;
  today: string;
  facts?: ValidationFacts;
}

/** One import row with violations. */
export interface ImportRow {
  /** Data row index from 0 (the header is not counted). */
  index: number;
  /** The line the row starts on, from 1. */
  line: number;
  violations: Violation[];
}

/** The result of `Warden#validateImport`. */
export interface ImportResult {
  policy: string;
  summary: { total: number; valid: number; invalid: number; warnings: number; duplicatesInFile: number };
  /** One byte per data row: 0 valid, 1 valid with warnings, 2 invalid. */
  status: Uint8Array;
  /** Only the rows with violations, in file order. */
  rows: ImportRow[];
  /** The field each column maps to (`null` for an unknown column). */
  columns: (string | null)[];
  /** With `records: true`: every data row as the record it was read as ({} if unreadable). */
  records?: Record<string, unknown>[];
  /** For each uniqueness check, the distinct keys of the valid rows. */
  lookups: Record<string, string[]>;
}

/** A preset's identity. */
export interface PresetInfo { id: string; name: string; title: string }

/** The declaration of one user field. */
export interface FieldSpec {
  type: "text" | "name" | "email" | "phone" | "date" | "enum" | "identifier" | "reference" | "boolean" | "url" | "password";
  label?: Record<string, string>;
  required?: boolean;
  nullable?: boolean;
  values?: string[];
  keepIfBlankOnUpdate?: boolean;
  maxLength?: number;
  [key: string]: unknown;
}

/** A policy document (format version 1). */
export interface PolicyDocument {
  warden: 1;
  name: string;
  description?: string;
  fields?: Record<string, FieldSpec>;
  password?: Record<string, unknown>;
  access?: Record<string, unknown>;
  lifecycle?: {
    initial?: string;
    statuses?: Record<string, { label?: Record<string, string>; login?: boolean; temporary?: { returnsTo: string; maxDays?: number }; terminal?: boolean; [key: string]: unknown }>;
    transitions?: { id: string; from: string[]; to: string; reason?: string; [key: string]: unknown }[];
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** A whole request of the JSON entry point. */
export interface Request {
  preset?: string;
  policy?: PolicyDocument;
  op: Op;
  lang?: Lang;
  input: unknown;
}

/** What every export throws when a request cannot be evaluated. */
export interface WardenError extends Error {
  name: "WardenError";
  /** The stable code: `invalid_input`, `policy_error`, `unsupported`, `import_unreadable`, ... */
  code: string;
  /** The key path of the problem (empty when none). */
  path: string;
  help?: string;
}
