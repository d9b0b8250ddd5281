// The forms build (wasm/pkg/forms, `warden-wasm/forms`) against the full build (the Node
// package): the same outcome, decision or error, on every validation and password vector of
// tests/vectors, through each entry point a form uses (its Unicode tables asset installed;
// before that, non-ASCII input is refused). Build first: scripts/build-wasm.sh.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const formsDir = join(root, "wasm", "pkg", "forms");
const nodeDir = join(root, "wasm", "pkg", "node");
const require = createRequire(import.meta.url);
const full = require(join(nodeDir, "warden_wasm.js"));
const FORM_OPS = ["validate", "password"];
const MIN_CASES = 140;

let forms;
before(async () => {
  forms = await import(join(formsDir, "warden_wasm_forms.js"));
  await forms.default({ module_or_path: readFileSync(join(formsDir, "warden_wasm_forms_bg.wasm")) });
  forms.installPresets(readFileSync(join(formsDir, "presets.json"), "utf8"));
});

/** The outcome as JSON: the decision, or the thrown WardenError's envelope fields. */
function outcome(fn) {
  try {
    return fn();
  } catch (e) {
    if (e?.name !== "WardenError") throw e;
    return { contract: e.contract, error: { code: e.code, message: e.message, path: e.path, help: e.help } };
  }
}

/** Every case of tests/vectors whose request is a form operation, or no operation at all. */
function formCases() {
  const ops = Object.keys(JSON.parse(readFileSync(join(root, "contract", "schema.json"), "utf8"))["x-operations"]);
  const dir = join(root, "tests", "vectors");
  const cases = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
    for (const c of JSON.parse(readFileSync(join(dir, file), "utf8")).cases) {
      const op = c.request?.op;
      if (FORM_OPS.includes(op) || !ops.includes(op)) cases.push({ file, ...c });
    }
  }
  return cases;
}

test("before its Unicode tables are installed, the forms build refuses non-ASCII input with a typed error", () => {
  assert.equal(forms.unicodeTablesInstalled(), false);
  const [f, m] = [full.Warden.fromPreset("crm"), forms.Warden.fromPreset("crm")];
  const needs = (e) => e.name === "WardenError" && e.code === "unicode_tables_needed" && e.path === "input" && /unicode-tables\.txt/.test(e.help);
  const inputs = [
    { user: { firstName: "José", lastName: "Núñez", email: "jose@example.com", organization: "acme" }, today: "2026-11-22" },
    { user: { firstName: "Ada", lastName: "Lovelace", email: "ada@bücher.example", organization: "acme" }, today: "2026-11-22" },
  ];
  for (const input of inputs) {
    assert.throws(() => m.validate(input), needs);
    assert.throws(() => forms.evaluateRequest({ preset: "crm", op: "validate", input }), needs);
  }
  // A `\u` escape in JSON text is refused too (it may be non-ASCII).
  assert.throws(() => m.validate({ user: { firstName: "\ud800" }, today: "2026-11-22" }), needs);
  // ASCII input needs no tables: the full build's decision.
  const ascii = { user: { firstName: "Ada", lastName: "Lovelace", email: "ada@example.com", organization: "acme" }, today: "2026-11-22" };
  assert.deepStrictEqual(m.validate(ascii), f.validate(ascii));
  // The package's password list has non-ASCII lines, NFKC-normalised when parsed.
  const text = readFileSync(join(formsDir, "common-passwords.txt"), "utf8");
  assert.throws(() => new forms.Blocklist(text), (e) => e.code === "unicode_tables_needed" && e.path === "list");
  assert.equal(new forms.Blocklist("password\nletmein\n").size, 2);
  assert.throws(() => forms.installUnicodeTables("not the tables"), (e) => e.code === "invalid_input" && e.path === "unicodeTables");
  assert.equal(forms.unicodeTablesInstalled(), false);
  // Installed (from a Warden, as the Standard Schema adapter does): the full build's verdicts.
  m.constructor.installUnicodeTables(readFileSync(join(formsDir, "unicode-tables.txt"), "utf8"));
  assert.equal(forms.unicodeTablesInstalled(), true);
  for (const input of inputs) assert.deepStrictEqual(m.validate(input), f.validate(input));
  assert.equal(new forms.Blocklist(text).size, new full.Blocklist(text).size);
});

test("the forms build gives the full build's outcome on every validation and password vector", () => {
  forms.installUnicodeTables(readFileSync(join(formsDir, "unicode-tables.txt"), "utf8"));
  const cases = formCases();
  assert.ok(cases.length >= MIN_CASES, `only ${cases.length} form cases, at least ${MIN_CASES} expected`);
  const fullList = new full.Blocklist(readFileSync(join(nodeDir, "common-passwords.txt"), "utf8"));
  const formsList = new forms.Blocklist(readFileSync(join(formsDir, "common-passwords.txt"), "utf8"));
  const wardens = new Map();
  const failures = [];
  for (const c of cases) {
    const r = c.request;
    const pairs = [
      ["evaluateRequest with the list", () => fullList.evaluateRequest(r), () => formsList.evaluateRequest(r)],
      ["evaluateRequest without a list", () => full.evaluateRequest(r), () => forms.evaluateRequest(r)],
    ];
    const simple = typeof r.preset === "string" && r.policy === undefined && Object.keys(r).every((k) => ["preset", "op", "lang", "input"].includes(k));
    if (simple && FORM_OPS.includes(r.op) && full.presets().some((p) => p.name === r.preset || p.id === r.preset)) {
      if (!wardens.has(r.preset)) {
        wardens.set(r.preset, [full.Warden.fromPreset(r.preset).withBlocklist(fullList), forms.Warden.fromPreset(r.preset).withBlocklist(formsList)]);
      }
      const [f, m] = wardens.get(r.preset);
      pairs.push(["Warden#evaluate", () => f.evaluate(r.op, r.input, r.lang), () => m.evaluate(r.op, r.input, r.lang)]);
      const method = r.op === "validate" ? "validate" : "checkPassword";
      pairs.push([`Warden#${method}`, () => f[method](r.input, r.lang), () => m[method](r.input, r.lang)]);
    }
    if (r.policy !== undefined && r.preset === undefined) {
      pairs.push(["new Warden(policy)", () => new full.Warden(r.policy).hash, () => new forms.Warden(r.policy).hash]);
      pairs.push(["new Warden(text)", () => new full.Warden(JSON.stringify(r.policy)).hash, () => new forms.Warden(JSON.stringify(r.policy)).hash]);
    }
    for (const [how, a, b] of pairs) {
      const [want, got] = [outcome(a), outcome(b)];
      try {
        assert.deepStrictEqual(got, want);
      } catch {
        failures.push(`[${c.file}] ${c.name} (${how})\n  full:  ${JSON.stringify(want).slice(0, 300)}\n  forms: ${JSON.stringify(got).slice(0, 300)}`);
      }
    }
  }
  assert.equal(failures.length, 0, `${failures.length} disagreements:\n${failures.join("\n")}`);
});

test("a policy given as an object decides as the same policy given as text (field order kept)", () => {
  for (const build of [full, forms]) {
    for (const p of build.presets()) {
      const doc = build.presetDocument(p.name);
      const input = { user: {}, today: "2026-11-22" };
      const fromPreset = build.Warden.fromPreset(p.name).validate(input);
      const fromObject = new build.Warden(doc).validate(input);
      const fromText = new build.Warden(JSON.stringify(doc)).validate(input);
      assert.ok(fromPreset.violations.length >= 2, `${p.name}: an empty record breaks several rules`);
      assert.deepStrictEqual(fromObject, fromPreset, `${p.name}: object`);
      assert.deepStrictEqual(fromText, fromPreset, `${p.name}: text`);
    }
  }
});

test("the presets asset holds the full build's presets, with the same hashes", () => {
  assert.deepStrictEqual(forms.presets(), full.presets());
  for (const p of full.presets()) {
    assert.equal(forms.Warden.fromPreset(p.id).hash, full.Warden.fromPreset(p.name).hash, p.name);
    assert.deepStrictEqual(forms.presetDocument(p.name), full.presetDocument(p.name));
    assert.deepStrictEqual(forms.Warden.fromPreset(p.name).document(), full.Warden.fromPreset(p.name).document());
  }
  // Installing the same list again is a no-op; another list is refused.
  forms.installPresets(readFileSync(join(formsDir, "presets.json"), "utf8"));
  assert.throws(() => forms.installPresets("[]"), (e) => e.code === "policy_error");
  assert.throws(() => forms.installPresets("not json"), (e) => e.code === "policy_error");
});

test("the forms build refuses the full build's operations with `unsupported`", () => {
  const w = forms.Warden.fromPreset("hr-platform");
  for (const op of ["authorize", "scope", "transition", "login", "import", "bulk", "statistics"]) {
    assert.throws(() => w.evaluate(op, {}), (e) => e.name === "WardenError" && e.code === "unsupported" && e.message.includes(op), op);
    assert.throws(() => forms.evaluateRequest({ preset: "crm", op, input: {} }), (e) => e.code === "unsupported", op);
  }
  assert.throws(() => w.evaluate("frobnicate", {}), (e) => e.code === "invalid_input" && e.path === "op");
});

test("the uniqueness-check protocol and messages agree with the full build", () => {
  const input = { user: { firstName: "Ada", lastName: "Lovelace", email: "Ada@Example.com", organization: "acme" }, today: "2026-11-22" };
  const [f, m] = [full.Warden.fromPreset("crm"), forms.Warden.fromPreset("crm")];
  const d = m.validate(input);
  assert.deepStrictEqual(d, f.validate(input));
  assert.ok(d.checks.length > 0, "the decision names checks to answer");
  const records = [{ id: "u1", email: "ada@example.com", status: "inactive", organization: "acme" }];
  const facts = m.answerFacts(d.checks, records, { selfId: "u2" });
  assert.deepStrictEqual(facts, f.answerFacts(d.checks, records, { selfId: "u2" }));
  const answered = m.validate({ ...input, facts });
  assert.deepStrictEqual(answered, f.validate({ ...input, facts }));
  assert.ok(answered.violations.some((v) => v.code === "duplicate"), JSON.stringify(answered.violations));
  for (const lang of ["en", "fr"]) {
    for (const [code, params] of [["password_too_short", { min: 12 }], ["duplicate", { suggestion: "reactivate" }], ["invalid_email", {}]]) {
      assert.equal(forms.renderMessage(code, params, lang), full.renderMessage(code, params, lang), `${code} ${lang}`);
    }
  }
  assert.throws(() => forms.renderMessage("no_such_code", {}), (e) => e.code === "invalid_input" && e.path === "code");
});

test("patterns outside the dialect are refused by both builds, with the same error", () => {
  const policy = (pattern) => ({ warden: 1, name: "dialect", fields: { code: { type: "identifier", pattern } } });
  for (const pattern of ["\\d{4}", "(?i)abc", "\\w+", "\\bx", "\\p{L}+"]) {
    const want = outcome(() => new full.Warden(policy(pattern)));
    assert.equal(want.error?.code, "policy_error", pattern);
    assert.equal(want.error?.path, "fields.code.pattern", pattern);
    assert.deepStrictEqual(outcome(() => new forms.Warden(policy(pattern))), want, pattern);
  }
  for (const pattern of ["[0-9]{4}", "(?-u:\\d){4}", "(?i-u:abc)", "[A-Za-zÀ-ÿ]+"]) {
    assert.equal(new forms.Warden(policy(pattern)).hash, new full.Warden(policy(pattern)).hash, pattern);
  }
});
