// Warden as a Standard Schema v1 (https://standardschema.dev): the policy's validation of a
// user record, for any form library that takes a Standard Schema (TanStack Form, React Hook
// Form through @hookform/resolvers, ...). Flavour-agnostic: it takes a `Warden` from any build
// of the wasm package (web, node, or a smaller one) and uses only `warden.validate`.
//
//   import { wardenSchema } from "warden-wasm/standard-schema";
//   const schema = wardenSchema(warden, { lang: "fr", checks: askServer });
//   schema["~standard"].validate(record);          // the whole record
//   schema.field("email", () => form.getValues());   // one field, for keystrokes
//
// Every rule runs in the kernel (one implementation): this file only shapes its decisions.
// Issues carry Warden's `code`, `params` and `severity` beside Standard Schema's `message`
// and `path`. Validation is synchronous when the kernel answers alone; when a uniqueness or
// existence check must be asked (the `checks` callback, or the server's `endpoint`), it
// returns a Promise, and a newer validation of the same record or field aborts the older
// one's question (its `AbortSignal`). The forms build leaves its Unicode normalisation
// tables out of the module: the first non-ASCII input makes validation asynchronous once,
// while the adapter loads the tables asset (`options.unicodeTables`, by default the
// package's `forms/unicode-tables.txt`) and installs it; the kernel still normalises.

const VENDOR = "warden";
const CACHE_MAX = 512;
/** The error code of a build that needs its Unicode tables asset for non-ASCII input. */
const TABLES_NEEDED = "unicode_tables_needed";

/** Today's date in the local time zone, `YYYY-MM-DD`. */
function localToday() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

const read = (v) => (typeof v === "function" ? v() : v);

/** The cache key of one answer: the check, its key and its scope. */
const answerKey = (c) => `${c.check}\u0000${c.key}\u0000${c.within ? `${c.within.field}=${c.within.value}` : ""}`;

function isAbort(e, signal) {
  return signal?.aborted || (e && typeof e === "object" && e.name === "AbortError");
}

/**
 * Answers from a server decision (`POST /api/v1/decide/validate`, directory mode): the
 * checks it answered, read back from its checks and from its `duplicate` and
 * `unknown_reference` violations.
 */
export function factsFromDecision(decision, checks) {
  const facts = { unique: {}, exists: {} };
  const violations = Array.isArray(decision?.violations) ? decision.violations : [];
  const answered = new Set((decision?.checks ?? []).filter((c) => c.answered).map((c) => c.check));
  for (const c of checks) {
    const v = violations.find((x) => x.params?.check === c.check && (x.code === "duplicate" || x.code === "unknown_reference"));
    if (c.kind === "unique") {
      if (v) facts.unique[c.check] = { key: c.key, taken: true, existingId: v.params.existingId, existingStatus: v.params.existingStatus };
      else if (answered.has(c.check)) facts.unique[c.check] = { key: c.key, taken: false };
    } else if (c.kind === "exists") {
      if (v) facts.exists[c.check] = false;
      else if (answered.has(c.check)) facts.exists[c.check] = true;
    }
  }
  for (const k of Object.keys(facts.unique)) if (facts.unique[k].existingId === undefined) delete facts.unique[k].existingId;
  for (const k of Object.keys(facts.unique)) if (facts.unique[k].existingStatus === undefined) delete facts.unique[k].existingStatus;
  return facts;
}

/** A `checks` callback that asks a Warden server's decision API (directory mode). */
function endpointResolver(endpoint, mode) {
  const cfg = typeof endpoint === "string" ? { url: endpoint } : endpoint;
  const doFetch = cfg.fetch ?? globalThis.fetch;
  return async (checks, { signal, record }) => {
    const res = await doFetch(cfg.url, {
      method: "POST",
      headers: { "content-type": "application/json", ...(cfg.headers ?? {}) },
      credentials: cfg.credentials ?? "same-origin",
      body: JSON.stringify({ user: record, mode }),
      signal,
    });
    if (!res.ok) throw new Error(`the uniqueness check failed: HTTP ${res.status}`);
    return factsFromDecision(await res.json(), checks);
  };
}

/**
 * A Standard Schema v1 over a Warden policy. See `standard-schema.d.mts` for the options.
 */
export function wardenSchema(warden, options = {}) {
  if (!warden || typeof warden.validate !== "function") {
    throw new TypeError("wardenSchema: the first argument must be a Warden (from the warden-wasm package)");
  }
  const mode = options.mode ?? "create";
  const resolver = options.checks ?? (options.endpoint ? endpointResolver(options.endpoint, mode) : undefined);
  /** Answers already known, by check, key and scope (a keystroke that leaves the email as it was asks nothing). */
  const cache = new Map();
  /** The pending question of each slot (`*` the whole record, else a field), to abort when a newer validation starts. */
  const pending = new Map();

  /** The pending or finished load of the Unicode tables asset (builds without them). */
  let tables;
  const loadTables = (error) => {
    tables ??= (async () => {
      const install = warden.constructor?.installUnicodeTables;
      if (typeof install !== "function") throw error;
      const source = options.unicodeTables ?? new URL("./forms/unicode-tables.txt", import.meta.url);
      let text;
      try {
        text = typeof source === "function" ? await source() : await (await fetch(source)).text();
      } catch (cause) {
        throw Object.assign(error, { cause });
      }
      install(text);
    })().catch((e) => {
      tables = undefined;
      throw e;
    });
    return tables;
  };

  const remember = (checks, facts) => {
    for (const c of checks) {
      const answer = c.kind === "unique" ? facts?.unique?.[c.check] : facts?.exists?.[c.check];
      if (answer === undefined) continue;
      cache.delete(answerKey(c));
      cache.set(answerKey(c), { kind: c.kind, answer });
      if (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value);
    }
  };

  /** The caller's facts plus the remembered answers that fit the record's current checks. */
  const factsFor = (checks) => {
    const base = read(options.facts) ?? {};
    const facts = { unique: { ...(base.unique ?? {}) }, exists: { ...(base.exists ?? {}) } };
    for (const c of checks ?? []) {
      const hit = cache.get(answerKey(c));
      if (!hit) continue;
      if (hit.kind === "unique") facts.unique[c.check] = { key: c.key, ...hit.answer };
      else facts.exists[c.check] = hit.answer;
    }
    return facts;
  };

  /** The kernel's decision, with the facts known now (synchronous). */
  const decide = (record, field, facts) => {
    const input = { user: record ?? {}, mode, today: read(options.today) ?? localToday(), facts, mfa: read(options.mfa) ?? false };
    if (field !== undefined) input.field = field;
    return warden.validate(input, read(options.lang) ?? "en");
  };

  const toResult = (decision, record) => {
    const errors = decision.violations.filter((v) => v.severity === "error" || options.warnings === "issues");
    if (errors.length === 0) {
      // The record as the kernel would store it (normalised, derived fields added), with the
      // fields it never echoes (the password) as given.
      return { value: { ...(record ?? {}), ...decision.normalized } };
    }
    return {
      issues: errors.map((v) => ({ message: v.message, path: v.path, code: v.code, params: v.params ?? {}, severity: v.severity })),
    };
  };

  /**
   * Validates `record` (or its `field`): the result, or a Promise of it when a check must be
   * asked. `slot` names what a newer call supersedes.
   */
  const run = (record, field, slot, mayAsk = true, loaded = false) => {
    if (record === null || typeof record !== "object" || Array.isArray(record)) {
      return { issues: [{ message: "expected an object (a user record)", path: [], code: "wrong_type", params: { expected: "object" }, severity: "error" }] };
    }
    let first;
    try {
      first = decide(record, field, factsFor([]));
    } catch (e) {
      // A build without compiled-in Unicode tables (the forms build) and non-ASCII input:
      // load its tables asset once, then validate (a Promise; the verdict is the kernel's).
      if (e?.code !== TABLES_NEEDED || !mayAsk || loaded) throw e;
      return loadTables(e).then(() => run(record, field, slot, mayAsk, true));
    }
    // Remembered answers for the record's keys: decide again with them (still synchronous).
    if (first.checks.some((c) => !c.answered && cache.has(answerKey(c)))) first = decide(record, field, factsFor(first.checks));
    const failed = new Set(first.violations.filter((v) => v.severity === "error").map((v) => v.path[0]));
    // Only valid values are worth a question: an invalid email is not looked up.
    const ask = first.checks.filter((c) => !c.answered && !failed.has(c.field));
    if (!mayAsk) return toResult(first, record);
    const previous = pending.get(slot);
    if (previous) {
      previous.abort();
      pending.delete(slot);
    }
    if (ask.length === 0 || !resolver) return toResult(first, record);
    const controller = new AbortController();
    pending.set(slot, controller);
    const outer = read(options.signal);
    if (outer) {
      if (outer.aborted) controller.abort();
      else outer.addEventListener("abort", () => controller.abort(), { once: true });
    }
    const signal = controller.signal;
    return (async () => {
      try {
        const facts = await resolver(ask, { signal, record, field });
        if (signal.aborted) return toResult(first, record);
        remember(ask, facts);
        return toResult(decide(record, field, factsFor(first.checks)), record);
      } catch (e) {
        // A superseded question: the kernel's own verdict, never a stale answer.
        if (isAbort(e, signal)) return toResult(first, record);
        throw e;
      } finally {
        if (pending.get(slot) === controller) pending.delete(slot);
      }
    })();
  };

  const standard = (validate) => ({ version: 1, vendor: VENDOR, validate });

  /** Issue paths relative to the field (a field's schema validates the field's value). */
  const relative = (result) => {
    const shift = (r) => (r.issues ? { issues: r.issues.map((i) => ({ ...i, path: i.path.slice(1) })) } : { value: r.value });
    return result instanceof Promise ? result.then(shift) : shift(result);
  };
  /** The field's output value: its stored form, or the value as given when it is not stored. */
  const fieldValue = (name, value) => (result) => {
    const pick = (r) => (r.issues ? r : { value: Object.hasOwn(r.value, name) ? r.value[name] : value });
    return result instanceof Promise ? result.then(pick) : pick(result);
  };

  const schema = {
    "~standard": standard((value) => run(value, undefined, "*")),
    /** The whole record, the kernel alone (never a Promise): for synchronous validators. */
    sync: { "~standard": standard((value) => run(value, undefined, "*", false)) },
    /** Validates the whole record. */
    validate: (record) => run(record, undefined, "*"),
    /** Validates one field of `record` (the whole record, for its cross-field rules). */
    validateField: (name, record, opts = {}) => run(record, name, name, opts.ask ?? true),
    /**
     * A Standard Schema for one field: `validate(value)` checks `value` as field `name`,
     * reading the rest of the record from `getRecord()`. Issue paths are relative to the
     * field (`[]`). `{ ask: false }`: the kernel alone, never a Promise.
     */
    field: (name, getRecord, opts = {}) => ({
      "~standard": standard((value) =>
        fieldValue(name, value)(relative(run({ ...(read(getRecord) ?? {}), [name]: value }, name, name, opts.ask ?? true))),
      ),
    }),
    /** The kernel's decision for `record` (or its `field`) with the answers known now. */
    decide: (record, field) => {
      const d = decide(record, field, factsFor([]));
      return d.checks.some((c) => !c.answered && cache.has(answerKey(c))) ? decide(record, field, factsFor(d.checks)) : d;
    },
    /** Forgets the remembered answers (after a save, for example). */
    clearAnswers: () => cache.clear(),
    /** Aborts every pending question. */
    abort: () => {
      for (const c of pending.values()) c.abort();
      pending.clear();
    },
  };
  return schema;
}

export default wardenSchema;
