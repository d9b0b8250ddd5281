// Shared helpers of the comparison scripts (scripts/bench-all.sh runs them).
import { mkdirSync, writeFileSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const smoke = process.env.WARDEN_BENCH_SMOKE === "1";
export const full = process.env.WARDEN_BENCH_FULL === "1";
export const today = "2026-11-22";

/** The wasm package for Node (scripts/build-wasm.sh builds it). */
export function wardenWasm() {
  return createRequire(import.meta.url)(join(root, "wasm", "pkg", "node", "warden_wasm.js"));
}

/** The rule set every side expresses (benches/compare/compare-policy.json). */
export const comparePolicy = readFileSync(join(root, "benches", "compare", "compare-policy.json"), "utf8");

/** Nanoseconds of one call of fn, with its result. */
export function once(fn) {
  const s = process.hrtime.bigint();
  const out = fn();
  return { ns: Number(process.hrtime.bigint() - s), out };
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/**
 * Times several functions together: `warmup` untimed rounds, then `rounds` rounds, each
 * calling every function once in turn (interleaved, so machine noise hits all sides alike).
 * Returns the median nanoseconds per call of each.
 */
export function interleaved(fns, { rounds = 7, warmup = 2 } = {}) {
  const times = fns.map(() => []);
  for (let r = 0; r < warmup + rounds; r++) {
    fns.forEach((fn, i) => {
      const t = once(fn).ns;
      if (r >= warmup) times[i].push(t);
    });
  }
  return times.map(median);
}

export function fmtNs(ns) {
  if (ns < 1e3) return `${ns.toFixed(0)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(1)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(1)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

/** other / warden, as `12×` or `1.35×` (above 1: Warden is faster or smaller). */
export function ratio(other, warden) {
  const r = other / warden;
  return r >= 10 ? `${r.toFixed(0)}×` : `${r.toFixed(2)}×`;
}

export function outDir() {
  return process.env.WARDEN_COMPARE_OUT || join(root, "target", "bench-compare");
}

export function writeFragment(name, md) {
  const dir = outDir();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.md`), md);
  console.log(md);
}

export function assertEqual(what, a, b) {
  if (a !== b) {
    console.error(`verdicts differ (${what}): ${a} vs ${b}`);
    process.exit(1);
  }
}

// ---- the data: the generator of benches/compare/benches/validate.rs, ported

/** `n` deterministic records, `badPer100` of every 100 broken in one of eight ways. */
export function records(n, badPer100) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const r = {
      firstName: `Ada${i % 97}`,
      lastName: `Lovelace-${i}`,
      email: `ada.lovelace${i}@acme${i % 13}.example`,
      phone: `+3361234${String(i % 10000).padStart(4, "0")}`,
      employeeId: `EMP-${String(i % 100000).padStart(5, "0")}`,
      organization: `org-${i % 50}`,
    };
    if (i % 3 === 0) delete r.phone;
    if (i % 100 < badPer100) {
      switch ((Math.floor(i / 100) + i) % 8) {
        case 0: r.email = `user${i}.example.com`; break;
        case 1: r.email = `user${i}@@acme.example`; break;
        case 2: r.phone = "+33612"; break;
        case 3: r.phone = `0612${String(i).padStart(6, "0")}`; break;
        case 4: r.employeeId = `E-${i}`; break;
        case 5: delete r.lastName; break;
        case 6: r.firstName = "A".repeat(101); break;
        default: r.lastName = `Love\u0007lace${i}`;
      }
    }
    out.push(r);
  }
  return out;
}

const COLUMNS = ["firstName", "lastName", "email", "phone", "employeeId", "organization"];

/** The records as CSV (header row, no quoting needed: no value has a comma or quote). */
export function toCsv(recs) {
  let csv = COLUMNS.join(",") + "\n";
  for (const r of recs) csv += COLUMNS.map((c) => r[c] ?? "").join(",") + "\n";
  return csv;
}

export function toJsonLines(recs) {
  return recs.map((r) => JSON.stringify(r)).join("\n") + "\n";
}

// ---- the equal rule set in Zod 4 and in JSON Schema (ajv)

const CLEAN = /^[^\p{Cc}\u00AD\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]*$/u;
// The HTML standard's "valid email address" (the same as Zod's z.regexes.html5Email).
const HTML_EMAIL =
  "^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$";
const PHONE = /^\+[1-9][0-9]{7,14}$/;
const EMPLOYEE_ID = /^EMP-[0-9]{5}$/;

/** A blank CSV cell (papaparse gives "") is an absent optional value, as in Warden. */
export function zodSchema(z) {
  const name = z.string().min(1).max(100).regex(CLEAN);
  return z.object({
    firstName: name,
    lastName: name,
    email: z.email({ pattern: z.regexes.html5Email }),
    phone: z.union([z.literal(""), z.string().regex(PHONE)]).optional(),
    employeeId: z.string().regex(EMPLOYEE_ID),
    organization: z.string().min(1).max(64).regex(CLEAN),
  });
}

export const jsonSchema = {
  type: "object",
  required: ["firstName", "lastName", "email", "employeeId", "organization"],
  properties: {
    firstName: { type: "string", minLength: 1, maxLength: 100, pattern: CLEAN.source },
    lastName: { type: "string", minLength: 1, maxLength: 100, pattern: CLEAN.source },
    email: { type: "string", pattern: HTML_EMAIL },
    phone: { type: "string", pattern: `^(|${PHONE.source.slice(1, -1)})$` },
    employeeId: { type: "string", pattern: EMPLOYEE_ID.source },
    organization: { type: "string", minLength: 1, maxLength: 64, pattern: CLEAN.source },
  },
};

export function fmtBytes(b) {
  if (b < 1024) return `${b} B`;
  if (b < 1024 * 1024) return `${(b / 1024).toFixed(1)} KB`;
  return `${(b / 1024 / 1024).toFixed(2)} MB`;
}
