// Declarations of the Standard Schema v1 adapter (`warden-wasm/standard-schema`). The
// Standard Schema types are inlined (the spec's own advice), so the package needs no
// dependency on @standard-schema/spec; they are structurally the spec's 1.x types.

/** The Standard Schema v1 interface (standardschema.dev). */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly "~standard": StandardSchemaV1.Props<Input, Output>;
}

export declare namespace StandardSchemaV1 {
  interface Props<Input = unknown, Output = Input> {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => Result<Output> | Promise<Result<Output>>;
    readonly types?: Types<Input, Output> | undefined;
  }
  type Result<Output> = SuccessResult<Output> | FailureResult;
  interface SuccessResult<Output> {
    readonly value: Output;
    readonly issues?: undefined;
  }
  interface FailureResult {
    readonly issues: ReadonlyArray<Issue>;
  }
  interface Issue {
    readonly message: string;
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined;
  }
  interface PathSegment {
    readonly key: PropertyKey;
  }
  interface Types<Input = unknown, Output = Input> {
    readonly input: Input;
    readonly output: Output;
  }
}

/** A user record as a form holds it. */
export type UserRecord = Record<string, unknown>;

/** A Standard Schema issue with Warden's own data. */
export interface WardenIssue extends StandardSchemaV1.Issue {
  /** The message, in the schema's language (the tenant's template if its policy has one). */
  readonly message: string;
  /** Where: `["email"]` for the record's schema, relative to the field (`[]`) for a field's. */
  readonly path: ReadonlyArray<string | number>;
  /** Warden's stable violation code (`too_short`, `duplicate`, ...). */
  readonly code: string;
  /** The values the message is rendered from (`{ min: 8, actual: 5 }`). */
  readonly params: Readonly<Record<string, unknown>>;
  /** `error`; `warning` only with `warnings: "issues"`. */
  readonly severity: "error" | "warning";
}

/** The outcome of a validation: the record as it would be stored, or the issues. */
export type WardenResult<Output = UserRecord> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<WardenIssue> };

/** A uniqueness or existence question the kernel cannot answer itself (contract `Check`). */
export interface WardenCheck {
  check: string;
  kind: "unique" | "exists";
  field: string;
  key: string;
  within?: { field: string; value: string } | null;
  answered: boolean;
}

/** Answers to checks (contract `ValidationFacts`). */
export interface WardenFacts {
  unique?: Record<string, { key?: string; taken: boolean; existingId?: string; existingStatus?: string }>;
  exists?: Record<string, boolean>;
}

/** Answers the checks a validation needs (a page's own lookup). Abort when `signal` fires. */
export type ChecksResolver = (
  checks: WardenCheck[],
  context: { signal: AbortSignal; record: UserRecord; field?: string },
) => WardenFacts | Promise<WardenFacts>;

/** The server's decision API as the resolver: `POST {url}` with `{user, mode}`. */
export interface EndpointOptions {
  /** e.g. `/api/v1/decide/validate`. */
  url: string;
  /** Extra headers (a session's `X-Warden-Csrf`, an API key's `Authorization`). */
  headers?: Record<string, string>;
  credentials?: "omit" | "same-origin" | "include";
  /** The `fetch` to use (default `globalThis.fetch`). */
  fetch?: typeof globalThis.fetch;
}

type Live<T> = T | (() => T);

/** Options of `wardenSchema`. Values given as functions are read at each validation. */
export interface WardenSchemaOptions {
  /** Language of messages (`en`, `fr`, `de`, `es`, or one the policy adds). Default `en`. */
  lang?: Live<string>;
  /** Today's date `YYYY-MM-DD` (ages, past dates). Default: the local date at each call. */
  today?: Live<string>;
  /** What the record is validated for. Default `create`. */
  mode?: "create" | "update" | "reactivate" | "import";
  /** The account uses multi-factor authentication. */
  mfa?: Live<boolean>;
  /** Answers the page already holds. */
  facts?: Live<WardenFacts>;
  /** Answers the checks the kernel cannot (makes validation asynchronous when asked). */
  checks?: ChecksResolver;
  /** Or: ask the Warden server's decision API (directory mode). */
  endpoint?: string | EndpointOptions;
  /** Aborts every question when it fires (a form being torn down). */
  signal?: Live<AbortSignal | undefined>;
  /**
   * Builds without compiled-in Unicode tables (the forms build): where to get the tables
   * asset when non-ASCII input first needs it, a URL or a function giving its text. Default:
   * the package's `forms/unicode-tables.txt`, next to this module. Validation is
   * asynchronous once, while it loads (the `sync` schema throws `unicode_tables_needed`).
   */
  unicodeTables?: string | URL | (() => string | Promise<string>);
  /** `"issues"`: warnings (naming convention, generic data) are issues too. Default: not. */
  warnings?: "issues";
}

/** The Warden surface the adapter uses: any build of the package exposing `validate`. */
export interface ValidatingWarden {
  validate(input: unknown, lang?: string): unknown;
}

/** The kernel's validation decision, as `decide` returns it (contract `ValidationDecision`). */
export interface WardenDecision {
  valid: boolean;
  complete: boolean;
  policy: string;
  violations: { code: string; path: (string | number)[]; severity: "error" | "warning"; message: string; params?: Record<string, unknown> }[];
  checks: WardenCheck[];
  normalized: UserRecord;
  password?: { score: number; checklist: unknown[] };
}

/** The Standard Schema properties of the record's schema. */
export interface WardenProps<Output extends UserRecord = UserRecord> extends StandardSchemaV1.Props<UserRecord, Output> {
  readonly vendor: "warden";
  readonly validate: (value: unknown) => WardenResult<Output> | Promise<WardenResult<Output>>;
}

/** The Standard Schema properties of a schema that never asks (never a Promise). */
export interface WardenSyncProps<Output extends UserRecord = UserRecord> extends StandardSchemaV1.Props<UserRecord, Output> {
  readonly vendor: "warden";
  readonly validate: (value: unknown) => WardenResult<Output>;
}

/** A Warden policy as a Standard Schema, with per-field schemas for keystrokes. */
export interface WardenSchema<Output extends UserRecord = UserRecord> extends StandardSchemaV1<UserRecord, Output> {
  readonly "~standard": WardenProps<Output>;
  /** The whole record, the kernel alone: never a Promise (for synchronous validators). */
  readonly sync: { readonly "~standard": WardenSyncProps<Output> };
  /** Validates the whole record. */
  validate(record: UserRecord): WardenResult<Output> | Promise<WardenResult<Output>>;
  /** Validates one field, with the whole record for its cross-field rules. */
  validateField(name: string, record: UserRecord, options?: { ask?: boolean }): WardenResult<Output> | Promise<WardenResult<Output>>;
  /** A Standard Schema for one field's value; `getRecord` gives the rest of the record. */
  field<V = unknown>(name: string, getRecord?: Live<UserRecord>, options?: { ask?: boolean }): StandardSchemaV1<V, V>;
  /** The kernel's decision with the answers known now (warnings, checks, password checklist). */
  decide(record: UserRecord, field?: string): WardenDecision;
  /** Forgets remembered answers. */
  clearAnswers(): void;
  /** Aborts every pending question. */
  abort(): void;
}

/** A Warden policy as a Standard Schema v1. */
export declare function wardenSchema<Output extends UserRecord = UserRecord>(warden: ValidatingWarden, options?: WardenSchemaOptions): WardenSchema<Output>;
export default wardenSchema;

/** Answers read back from a server's validation decision. */
export declare function factsFromDecision(decision: unknown, checks: WardenCheck[]): WardenFacts;
