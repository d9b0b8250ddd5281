// The wasm package's own surface in Node: classes, thrown errors, import, facts, presets.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "wasm", "pkg", "node");
const w = createRequire(import.meta.url)(join(pkgDir, "warden_wasm.js"));
const list = new w.Blocklist(readFileSync(join(pkgDir, "common-passwords.txt"), "utf8"));
const today = "2026-11-22";
const ada = { firstName: "Ada", lastName: "Lovelace", email: "ada@acme.example", password: "Tr0ub4dor&3x!", organization: "acme" };

/** What `fn` returns, or what it throws (name, code, path): two outcomes compare equal when
 * both decide alike or both throw the same error. */
const outcome = (fn) => {
  try {
    return fn();
  } catch (e) {
    return { thrown: e.name, code: e.code, path: e.path };
  }
};

test("presets are exposed with their documents", () => {
  const names = w.presets().map((p) => p.name);
  assert.deepEqual(names, ["production-planner-pro", "hr-platform", "rental-platform", "crm", "prs-procurement"]);
  assert.equal(w.presetDocument("000").name, "production-planner-pro");
  const fromDoc = new w.Warden(w.presetDocument("crm"));
  assert.equal(fromDoc.hash, w.Warden.fromPreset("crm").hash);
});

test("R000-04 a policy that needs the blocklist refuses to pass passwords until it has it", () => {
  const bare = w.Warden.fromPreset("production-planner-pro");
  assert.equal(bare.needsBlocklist, true);
  const d = bare.checkPassword({ password: "Password123!" });
  assert.equal(d.valid, false);
  assert.ok(d.violations.some((v) => v.code === "password_check_unavailable"));
  const full = bare.withBlocklist(list);
  assert.equal(full.needsBlocklist, false);
  const weak = full.checkPassword({ password: "password123" }, "fr");
  assert.ok(weak.checklist.length > 0);
  assert.ok(weak.violations.some((v) => v.code === "password_common"));
  assert.ok(typeof weak.score === "number");
});

test("errors are thrown as WardenError with code, path, message", () => {
  const x = w.Warden.fromPreset("000");
  assert.throws(() => x.validate({ user: ada }), (e) => e.name === "WardenError" && e.code === "invalid_input" && e.path === "input.today" && /today/.test(e.message));
  assert.throws(() => w.Warden.fromPreset("nope"), (e) => e.code === "policy_error" && typeof e.help === "string");
  assert.throws(() => new w.Warden("{"), (e) => e.code === "policy_error");
  assert.throws(() => x.evaluate("frobnicate", {}), (e) => e.code === "invalid_input" && e.path === "op");
});

test("R000-11 uniqueness facts answered from local records suggest reactivation", () => {
  const x = w.Warden.fromPreset("000").withBlocklist(list);
  const first = x.validate({ user: ada, today });
  assert.equal(first.complete, false);
  const records = [{ id: "u1", email: "ada@acme.example", status: "inactive" }];
  const facts = x.answerFacts(first.checks, records, { known: { organization: ["acme"] } });
  const d = x.validate({ user: ada, today, facts }, "en");
  assert.equal(d.valid, false);
  assert.equal(d.violations[0].code, "duplicate");
  assert.equal(d.violations[0].params.suggestion, "reactivate");
  const self = x.validate({ user: ada, today, facts: x.answerFacts(first.checks, records, { selfId: "u1", known: { organization: ["acme"] } }), mode: "update" });
  assert.equal(self.valid, true);
  assert.equal(self.complete, true);
});

test("R002-09 import returns status bytes and only the rows with violations", () => {
  const x = w.Warden.fromPreset("000").withBlocklist(list);
  const csv = "firstName,lastName,email,password,organization\n" +
    "Ada,Lovelace,ada@acme.example,Tr0ub4dor&3x!,acme\n" +
    "Bob,,not-an-email,x,acme\n" +
    "Eve,Smith,ada@acme.example,Tr0ub4dor&3x!,acme\n";
  const r = x.validateImport(new TextEncoder().encode(csv), { today });
  assert.ok(r.status instanceof Uint8Array);
  assert.deepEqual([...r.status], [0, 2, 2]);
  assert.equal(r.summary.total, 3);
  assert.equal(r.summary.invalid, 2);
  assert.equal(r.summary.duplicatesInFile, 1);
  assert.deepEqual(r.rows.map((row) => row.index), [1, 2]);
  assert.throws(() => x.validateImport(new Uint8Array([0xff, 0xfe]), { today }), (e) => e.code === "import_unreadable");
});

test("an import report decoded on first read is the eagerly decoded one", () => {
  const x = w.Warden.fromPreset("000").withBlocklist(list);
  const csv = "firstName,lastName,email,password,organization,extra\n" +
    "Ada,Lovelace,ada@acme.example,Tr0ub4dor&3x!,acme,1\n" +
    "Bob,,not-an-email,x,acme,2\n" +
    "\"Zoë\",\"O'Brien, \"\"Jr\"\"\",zoe@acme.example,Tr0ub4dor&3x!,acme,3\n";
  const bytes = new TextEncoder().encode(csv);
  for (const records of [false, true]) {
    const opts = { today, records };
    // The reference: the report as JSON text, decoded at once, `status` as the Uint8Array.
    const fresh = () => x.validateImport(bytes, opts);
    const eager = JSON.parse(JSON.stringify({ ...fresh(), status: undefined }));
    eager.status = fresh().status;
    const keys = [
      "columns", ...(records ? ["lines"] : []), "lookups", "policy", ...(records ? ["records"] : []),
      "rows", "status", "summary",
    ];
    // Before any read: the keys, in the order of the text.
    const r = fresh();
    assert.deepEqual(Object.keys(r), keys);
    assert.deepEqual(Object.keys(eager).sort(), [...keys].sort());
    assert.ok(r.status instanceof Uint8Array);
    assert.deepStrictEqual(r, { ...eager, status: r.status });
    assert.deepStrictEqual([...r.status], [...eager.status]);
    assert.deepStrictEqual(r.lines, records ? [2, 3, 4] : undefined);
    // After the read: plain data properties, in the same order.
    for (const k of keys) assert.equal(typeof Object.getOwnPropertyDescriptor(r, k).get, "undefined", k);
    assert.deepEqual(Object.keys(r), keys);
    assert.equal(JSON.stringify(fresh()), JSON.stringify(r));
    // Written before any read: the write wins, the other keys are decoded.
    const s = fresh();
    s.rows = [];
    assert.deepEqual(s.rows, []);
    assert.deepStrictEqual(s.summary, eager.summary);
    // The status bytes are the caller's own copy.
    const t = fresh();
    t.status[0] = 9;
    assert.deepStrictEqual([...fresh().status], [...eager.status]);
  }
});

test("R000-10 statistics and a transition come from the core", () => {
  const x = w.Warden.fromPreset("002");
  const now = "2026-11-22T10:00:00Z";
  const s = x.statistics({ accounts: [{ id: "a", superAdmin: true }, { id: "b", status: "inactive", organization: "o" }], now });
  assert.deepEqual([s.total, s.active, s.superAdmins, s.organizations], [2, 1, 1, 1]);
  const t = x.transition({ actor: { id: "admin", superAdmin: true }, target: { id: "b" }, to: "suspended", now }, "fr");
  assert.equal(t.decision, "deny");
  assert.equal(t.deny.code, "reason_required");
  assert.equal(typeof w.renderMessage("password_too_short", { min: 8 }, "fr"), "string");
});

test("an input larger than the first text buffer is stringified once, and decided as a small one", () => {
  const warden = w.Warden.fromPreset("production-planner-pro").withBlocklist(list);
  let calls = 0;
  const big = { ...ada, notes: "x".repeat(4096) };
  const counted = { toJSON() { calls += 1; return big; } };
  const once = warden.validate({ user: counted, today });
  assert.equal(calls, 1, "toJSON ran once: the retry writes the text it measured");
  assert.deepEqual(once, warden.validate({ user: big, today }));
  // A later small input is not answered with the text kept for a retry.
  const small = warden.validate({ user: ada, today });
  assert.deepEqual(small, warden.validate({ user: { ...ada }, today }));
});

// `validate` builds a clean record's decision as a JS object in wasm/js/decision.js rather
// than `JSON.parse` of its text: it must be the object the JSON path gives, field for field,
// key for key and in key order, for every `validate` vector (and the same errors).
test("validate gives the object of the decision's JSON text, over every validate vector", () => {
  const dir = join(dirname(fileURLToPath(import.meta.url)), "..", "vectors");
  const requests = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
    for (const c of JSON.parse(readFileSync(join(dir, file), "utf8")).cases) {
      // Requests whose keys a `Warden` call has (not a request-level error).
      const r = c.request;
      if (r?.op === "validate" && ("preset" in r) !== ("policy" in r) && Object.keys(r).every((k) => ["preset", "policy", "op", "lang", "input"].includes(k))) requests.push(r);
    }
  }
  assert.ok(requests.length >= 100, `${requests.length} validate vectors`);
  // Text values of every width (UTF-16 lengths differ from UTF-8's), on top of the vectors.
  for (const name of ["Zoë", "José-María", "李小龙", "Ada 🚀 Lovelace", "e\u0301", "\u00a0Ada\u00a0"]) {
    requests.push({ preset: "crm", op: "validate", input: { user: { ...ada, firstName: name, lastName: name }, today } });
  }
  let built = 0;
  for (const r of requests) {
    const reference = outcome(() => list.evaluateRequest(r));
    let warden;
    try {
      warden = (r.policy !== undefined ? new w.Warden(r.policy) : w.Warden.fromPreset(r.preset)).withBlocklist(list);
    } catch {
      continue; // a policy error: no Warden to ask
    }
    const viaValidate = outcome(() => warden.validate(r.input, r.lang));
    const viaEvaluate = outcome(() => warden.evaluate("validate", r.input, r.lang));
    const what = JSON.stringify(r).slice(0, 300);
    if ("thrown" in reference) {
      assert.equal(viaValidate.code, reference.code, what);
      assert.equal(viaValidate.path, reference.path, what);
      continue;
    }
    built += 1;
    for (const d of [viaValidate, viaEvaluate]) {
      assert.deepStrictEqual(d, reference, what);
      // Key order too, at every level.
      assert.equal(JSON.stringify(d), JSON.stringify(reference), what);
      assert.equal(Object.getPrototypeOf(d.normalized), Object.prototype, what);
    }
  }
  assert.ok(built >= 100, `${built} decisions compared`);
});

// `validate` reads an input of the common shape field by field (wasm/js/record.js) instead
// of as JSON text; everything else goes through the JSON path. Both must give the same
// decision, or the same error, whichever way an input takes: here inputs built to take
// each way out of the field-by-field read, against `evaluate("validate")` (the JSON path).
test("validate decides as the JSON path on inputs read field by field and on those it declines", () => {
  const doc = (unknownFields) => ({
    warden: 1, name: "read", unknownFields,
    fields: {
      firstName: { type: "text", required: true, maxLength: 20 },
      email: { type: "email", required: true },
      active: { type: "boolean" },
      nickname: { type: "text" },
    },
  });
  const base = { firstName: "Ada", email: "Ada@Acme.Example", active: true };
  const getterThrows = { ...base };
  Object.defineProperty(getterThrows, "nickname", { enumerable: true, get() { throw new Error("no"); } });
  const getter = { ...base };
  Object.defineProperty(getter, "nickname", { enumerable: true, get: () => "Countess" });
  const hidden = { ...base };
  Object.defineProperty(hidden, "nickname", { enumerable: false, value: 42 });
  const bare = Object.assign(Object.create(null), base);
  class User { constructor() { Object.assign(this, base); } }
  // `toJSON` on the prototype: not an enumerable key, but `JSON.stringify` calls it.
  class Renamed { constructor() { Object.assign(this, base); } toJSON() { return { ...base, firstName: "Other" }; } }
  const users = [
    base,
    { ...base, firstName: "Zoë", nickname: "李小龙 🚀" },
    { ...base, firstName: "e\u0301\u00a0" },
    { ...base, firstName: " Ada " },
    { ...base, firstName: "A".repeat(21) },
    { ...base, nickname: "x".repeat(3000) }, // more than the first read buffer
    { ...base, nickname: "é".repeat(3000) },
    { ...base, nickname: null, active: false },
    { ...base, nickname: undefined },
    { ...base, active: "yes" },
    { ...base, firstName: "" },
    { email: "" },
    {},
    { ...base, firstName: "Ada\ud800" }, // a lone surrogate
    { ...base, firstName: "\udc00" },
    { ...base, active: 1 },
    { ...base, firstName: 7 },
    Object.create(base), // inherited fields: not the object's own
    { ...base, nickname: { first: "A" } },
    { ...base, nickname: ["A"] },
    { ...base, nickname: new Date(0) },
    { ...base, nickname: 10n },
    { ...base, nickname: () => "f" },
    { ...base, emial: "typo" }, // a key outside the schema
    { ...base, toJSON: () => ({ firstName: "Other", email: "o@acme.example" }) },
    getter, getterThrows, hidden, bare, new User(), new Renamed(),
    "a string", null, [base],
  ];
  const inputs = [];
  for (const user of users) {
    inputs.push({ user, today });
    inputs.push(Object.assign(Object.create(null), { user, today }));
  }
  inputs.push({ user: base, today, mode: "update" }, { user: base, today, mfa: true });
  inputs.push({ user: base, today: "2026-02-30" }, { user: base, today: 20261122 }, { user: base });
  inputs.push({ today, user: base }, { user: base, today, facts: {} }, { user: base, today: "2026-11-22\u00e9" });
  inputs.push(Object.create({ user: base, today }), [base, today], "input");
  class Input { constructor() { this.user = base; this.today = today; } toJSON() { return { user: { ...base, email: "x" }, today }; } }
  inputs.push(new Input());
  // Objects `JSON.stringify` writes by their own kind, whatever their prototype: arrays,
  // boxed primitives; and a `toJSON` it calls though `for…in` does not see it.
  const hiddenToJson = { ...base };
  Object.defineProperty(hiddenToJson, "toJSON", { value: () => ({}) });
  const arrayInput = Object.assign(Object.setPrototypeOf([], Object.prototype), { user: base, today });
  for (const user of [
    hiddenToJson,
    Object.setPrototypeOf([], null),
    Object.setPrototypeOf(new Boolean(false), null),
    Object.setPrototypeOf(new Number(1), Object.prototype),
    Object.setPrototypeOf(new String(""), null),
    new Proxy([], { getPrototypeOf: () => Object.prototype }),
  ]) {
    inputs.push({ user, today });
  }
  const hiddenInputToJson = { user: base, today };
  Object.defineProperty(hiddenInputToJson, "toJSON", { value: () => ({ user: {}, today }) });
  inputs.push(arrayInput, hiddenInputToJson);
  let decided = 0;
  for (const unknown of ["ignore", "warn", "reject"]) {
    const warden = new w.Warden(doc(unknown));
    for (const input of inputs) {
      for (const lang of [undefined, "fr", "xx"]) {
        // Twice: the second call reads into the buffer the first one grew.
        for (let round = 0; round < 2; round++) {
          const viaValidate = outcome(() => warden.validate(input, lang));
          const reference = outcome(() => warden.evaluate("validate", input, lang));
          const what = `${unknown} ${lang} ${outcome(() => JSON.stringify(input))?.toString().slice(0, 120)}`;
          assert.deepStrictEqual(viaValidate, reference, what);
          assert.equal(JSON.stringify(viaValidate), JSON.stringify(reference), what);
          if (!("thrown" in reference)) decided += 1;
        }
      }
    }
  }
  assert.ok(decided >= 300, `${decided} decisions compared`);

  // Enumerable keys inherited from `Object.prototype` (a polluted prototype): `for…in` sees
  // them, `JSON.stringify` does not.
  const warden = new w.Warden(doc("reject"));
  const bareOf = (o) => Object.assign(Object.create(null), o);
  const polluted = [
    { user: base, today }, { user: { ...base } },
    bareOf({ user: { ...base }, today }), // only the record inherits the key
    { user: bareOf(base) }, // only the input inherits it
  ];
  for (const [key, value] of [["nickname", "polluted"], ["today", today], ["user", base]]) {
    const pairs = [];
    Object.prototype[key] = value; // eslint-disable-line no-extend-native
    try {
      for (const input of polluted) pairs.push([outcome(() => warden.validate(input)), outcome(() => warden.evaluate("validate", input))]);
    } finally {
      delete Object.prototype[key];
    }
    for (const [viaValidate, reference] of pairs) assert.deepStrictEqual(viaValidate, reference, `Object.prototype.${key}`);
  }
});

test("validate called again from a getter of its own input decides both as the JSON path", () => {
  const warden = w.Warden.fromPreset("crm").withBlocklist(list);
  const ada = { firstName: "Ada", lastName: "Lovelace", email: "ada@acme.example", organization: "acme", employeeId: "E1234", password: "Tr0ub4dor&3x!" };
  // A first record read field by field (an invalid one): what the read buffer then holds.
  const first = { user: { ...ada, firstName: "First", email: "nope" }, today };
  assert.deepStrictEqual(warden.validate(first), warden.evaluate("validate", first));
  assert.equal(warden.validate(first).valid, false);
  // The getter validates another record, large enough to grow wasm memory (which detaches
  // every view of it made before), while the outer record is being read.
  const inner = { user: { ...ada, firstName: "Inner", notes: "y".repeat(1 << 24) }, today };
  let innerOutcome;
  const user = { ...ada };
  Object.defineProperty(user, "lastName", {
    enumerable: true,
    get() {
      innerOutcome ??= outcome(() => warden.validate(inner));
      return "Byron";
    },
  });
  const outer = warden.validate({ user, today });
  assert.deepStrictEqual(outer, warden.evaluate("validate", { user: { ...ada, lastName: "Byron" }, today }));
  assert.equal(outer.valid, true);
  assert.deepStrictEqual(innerOutcome, outcome(() => warden.evaluate("validate", inner)));
});

test("a field named __proto__ is an own key of normalized, as JSON.parse makes it", () => {
  const doc = { warden: 1, name: "proto", unknownFields: "ignore", fields: { ["__proto__"]: { type: "text" }, a: { type: "text" } } };
  let warden;
  try {
    warden = new w.Warden(doc);
  } catch (e) {
    assert.equal(e.code, "policy_error"); // the policy language may refuse the name
    return;
  }
  const input = JSON.parse('{"user":{"__proto__":"x","a":"y"},"today":"2026-11-22"}');
  const d = warden.validate(input);
  assert.deepStrictEqual(d, w.evaluateRequest({ policy: doc, op: "validate", input }));
  assert.ok(Object.prototype.hasOwnProperty.call(d.normalized, "__proto__"));
  assert.equal(Object.getPrototypeOf(d.normalized), Object.prototype);
});

test("a number JSON has no text for (NaN, Infinity) is refused at its path, never read as null", () => {
  const refused = (fn, path) =>
    assert.throws(fn, (e) => e.name === "WardenError" && e.code === "invalid_input" && e.path === path && /finite/.test(e.message), path);
  refused(() => new w.Warden({ warden: 1, name: "x", fields: { a: { type: "text", maxLength: Infinity } } }), "policy.fields.a.maxLength");
  const crm = w.Warden.fromPreset("crm");
  refused(() => crm.validate({ user: { ...ada, firstName: NaN }, today }), "input.user.firstName");
  refused(() => crm.validate({ user: { ...ada, tags: [1, -Infinity] }, today }), "input.user.tags[1]");
  refused(() => crm.validate({ user: { ...ada, firstName: new Number(NaN) }, today }), "input.user.firstName");
  refused(() => w.evaluateRequest({ preset: "crm", op: "lockout", input: { failures: [], lockouts: NaN, now: 0 } }), "request.input.lockouts");
  // Finite numbers and null are read as before.
  assert.equal(crm.validate({ user: { ...ada, firstName: null }, today }).valid, false);
});

test("an import's records leave the password cells out unless asked for them", () => {
  const x = w.Warden.fromPreset("000").withBlocklist(list);
  const csv = "firstName,lastName,email,password,organization,Passwort\n" +
    "Ada,Lovelace,ada@acme.example,Tr0ub4dor&3x!,acme,Tr0ub4dor&3x!\n";
  const bytes = new TextEncoder().encode(csv);
  const shown = x.validateImport(bytes, { today, records: true });
  assert.equal(shown.records[0].firstName, "Ada");
  assert.ok(!JSON.stringify(shown).includes("Tr0ub4dor"), JSON.stringify(shown.records));
  // The same as the contract's `import` shows them.
  const contract = x.evaluate("import", { data: csv, records: true, today });
  assert.deepEqual(shown.records, contract.records);
  const kept = x.validateImport(bytes, { today, records: true, passwords: true });
  assert.equal(kept.records[0].password, "Tr0ub4dor&3x!");
});

test("an argument of the wrong type is a WardenError naming it, and the instance stays usable", () => {
  const x = w.Warden.fromPreset("000");
  const input = { user: ada, today };
  const refused = (fn, path) =>
    assert.throws(fn, (e) => e.name === "WardenError" && e.code === "invalid_input" && e.path === path, path);
  refused(() => x.validate(input, 5), "lang");
  refused(() => x.validate(input, ["en", "fr"]), "lang");
  refused(() => x.evaluate(5, input), "op");
  refused(() => x.evaluate("validate", input, {}), "lang");
  refused(() => w.Warden.fromPreset(5), "name");
  refused(() => w.presetDocument({}), "name");
  refused(() => w.renderMessage(5, {}), "code");
  refused(() => new w.Blocklist(5), "text");
  // A text is not the file's bytes: refused, not read as an empty file.
  refused(() => x.validateImport("firstName,lastName\nAda,Lovelace\n", { today }), "bytes");
  refused(() => x.validateImport(undefined, { today }), "bytes");
  const bytes = new TextEncoder().encode("firstName,lastName\nAda,Lovelace\n");
  assert.equal(x.validateImport(bytes.buffer, { today }).summary.total, 1);
  assert.equal(x.validateImport(Buffer.from(bytes), { today }).summary.total, 1);
  // Absent languages are the default, as before.
  assert.equal(x.validate(input, undefined).valid, x.validate(input).valid);
  assert.equal(x.validate(input, null).valid, x.validate(input).valid);
  assert.equal(w.version(), w.version());
});
