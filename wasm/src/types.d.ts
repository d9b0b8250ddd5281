// The wasm package's own declarations. The contract's types (every input, decision and
// response: `ValidationDecisionResponse`, `AuthzDecision`, `Violation`, ...) are generated from
// contract/schema.json into contract.d.ts; these are the package-specific shapes around them.

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
  /**
   * The records keep the file's password cells (and any key the policy does not declare,
   * which may be a misspelt password column), for a caller that commits the accounts itself.
   * Off by default: the records are then shown as a decision shows them, with no password.
   */
  passwords?: boolean;
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
  /** With `records: true`: every data row as the record it was read as ({} if unreadable), its passwords left out unless `passwords: true`. */
  records?: Record<string, unknown>[];
  /** With `records: true`: the line each data row starts on in the file (from 1), as `records`. */
  lines?: number[];
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

/** What every export throws when a request cannot be evaluated. */
export interface WardenError extends Error {
  name: "WardenError";
  /** The stable code: `invalid_input`, `policy_error`, `unsupported`, `import_unreadable`, ... */
  code: string;
  /** The contract version (the error envelope's `contract`). */
  contract: 1;
  /** The key path of the problem (empty when none). */
  path: string;
  help?: string;
}

/** The HTML form attributes of one field (`Warden#htmlAttributes`). */
export interface FieldAttributes {
  /** `input` or `select`. */
  element: "input" | "select";
  /** The field's label in the requested language, if the policy has one. */
  label?: string;
  /** Attributes to set: `type`, `name`, `required`, `minlength`, `maxlength`, `autocomplete`, `pattern`, `passwordrules`, `inputmode`. */
  attributes: Record<string, string | number | boolean>;
  /** The options of a `select`. */
  options?: string[];
  /** Attributes left out, with the reason (a pattern a browser would read differently). */
  omitted?: Record<string, string>;
}
