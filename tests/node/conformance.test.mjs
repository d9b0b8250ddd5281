// Runs every conformance vector of tests/vectors/ through the Node wasm package and matches
// the outcome with the subset rule of tests/README.md (as core/tests/conformance.rs does).
// Build the package first: scripts/build-wasm.sh.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const pkgDir = join(root, "wasm", "pkg", "node");
const require = createRequire(import.meta.url);
const warden = require(join(pkgDir, "warden_wasm.js"));
const blocklist = new warden.Blocklist(readFileSync(join(pkgDir, "common-passwords.txt"), "utf8"));

const MIN_CASES = 140;

// Every outcome must also match the contract's JSON Schema: the response type its operation
// names in `x-operations`, or the error envelope.
const Ajv2020 = require("ajv/dist/2020").default;
const contract = JSON.parse(readFileSync(join(root, "contract", "schema.json"), "utf8"));
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema(contract, "contract");
const responseSchema = (op) => ajv.getSchema(`contract${contract["x-operations"][op]?.response ?? "#/$defs/ErrorEnvelope"}`);
const errorSchema = ajv.getSchema("contract#/$defs/ErrorEnvelope");

/** The subset rule: every mismatch, with its path (`$.violations[0].code`). */
export function match(expected, actual, path = "$", out = []) {
  const kind = (v) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);
  const show = (v) => { const s = JSON.stringify(v); return s && s.length > 400 ? s.slice(0, 400) + "..." : s; };
  if (kind(expected) === "object") {
    if (kind(actual) !== "object") { out.push({ path, expected: show(expected), actual: show(actual) }); return out; }
    for (const [k, sub] of Object.entries(expected)) {
      if (!Object.prototype.hasOwnProperty.call(actual, k)) out.push({ path: `${path}.${k}`, expected: show(sub), actual: "(missing key)" });
      else match(sub, actual[k], `${path}.${k}`, out);
    }
  } else if (kind(expected) === "array") {
    if (kind(actual) !== "array" || actual.length !== expected.length) {
      out.push({ path, expected: `an array of ${expected.length} elements: ${show(expected)}`, actual: show(actual) });
      return out;
    }
    expected.forEach((p, i) => match(p, actual[i], `${path}[${i}]`, out));
  } else if (kind(expected) !== kind(actual) || expected !== actual) {
    out.push({ path, expected: show(expected), actual: show(actual) });
  }
  return out;
}

/** The outcome as JSON: the decision, or the thrown WardenError as `ApiError::to_json()`. */
function outcome(fn) {
  try {
    return fn();
  } catch (e) {
    if (e?.name !== "WardenError") throw e;
    const error = { code: e.code, message: e.message };
    if (e.path !== "" || e.code === "invalid_input" || e.code === "policy_error") error.path = e.path;
    if (e.help !== undefined) error.help = e.help;
    return { contract: e.contract, error };
  }
}

function loadCases() {
  const dir = join(root, "tests", "vectors");
  const cases = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
    const doc = JSON.parse(readFileSync(join(dir, file), "utf8"));
    assert.ok(typeof doc.description === "string" && doc.description, `${file}: description`);
    doc.cases.forEach((c, i) => cases.push({ file, i, ...c }));
  }
  return cases;
}

test("matcher follows tests/README.md", () => {
  assert.deepEqual(match({ a: 1 }, { a: 1, b: 2 }), []);
  assert.equal(match([1], [1, 2]).length, 1);
  assert.equal(match({ m: null }, {}).length, 1);
  assert.equal(match({ max: 64 }, { max: "64" }).length, 1);
  assert.equal(match([], {}).length, 1);
  assert.equal(match({}, []).length, 1);
  assert.deepEqual(match(1, 1.0), []);
  assert.deepEqual(match({ a: 1, b: [true], c: "x" }, { a: 2, b: [false] }).map((m) => m.path), ["$.a", "$.b[0]", "$.c"]);
});

test("every conformance vector gives the expected decision in the Node package", () => {
  const cases = loadCases();
  assert.ok(cases.length >= MIN_CASES, `only ${cases.length} cases, at least ${MIN_CASES} expected`);
  const names = new Set();
  const wardens = new Map();
  let report = "";
  let failures = 0;
  for (const c of cases) {
    const problems = [];
    if (names.has(c.name)) problems.push("the case name is not unique");
    names.add(c.name);
    const actual = outcome(() => blocklist.evaluateRequest(c.request));
    const mismatches = match(c.expect, actual);
    const validate = "error" in actual ? errorSchema : responseSchema(c.request?.op);
    if (!validate(actual)) problems.push(`the outcome breaks the contract's schema: ${ajv.errorsText(validate.errors).slice(0, 600)}`);
    // The same request through a reused `Warden` (the path applications take) must agree.
    const r = c.request;
    const simple = r && typeof r.preset === "string" && r.policy === undefined && Object.keys(r).every((k) => ["preset", "op", "lang", "input"].includes(k));
    if (simple && !("error" in actual && actual.error.code === "policy_error")) {
      if (!wardens.has(r.preset)) wardens.set(r.preset, warden.Warden.fromPreset(r.preset).withBlocklist(blocklist));
      const viaClass = outcome(() => wardens.get(r.preset).evaluate(r.op, r.input, r.lang));
      // Errors agree on code and path (the wording of a bad `op` or `lang` names the
      // argument of the method rather than the request key).
      const strip = (o) => ("error" in o ? { error: { code: o.error.code, path: o.error.path } } : o);
      try { assert.deepEqual(strip(viaClass), strip(actual)); } catch { problems.push(`Warden#evaluate disagrees: ${JSON.stringify(viaClass).slice(0, 300)}`); }
    }
    if (!problems.length && !mismatches.length) continue;
    failures += 1;
    report += `\n[${c.file} #${c.i}] ${c.name}`;
    for (const p of problems) report += `\n  case: ${p}`;
    for (const m of mismatches) report += `\n  at ${m.path}\n    expected: ${m.expected}\n    actual:   ${m.actual}`;
  }
  assert.equal(failures, 0, `${failures} of ${cases.length} conformance cases failed:${report}`);
});
