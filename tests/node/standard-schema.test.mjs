// The Standard Schema v1 adapter (warden-wasm/standard-schema) over the Node build: its own
// contract (issues with message, path, code, params; sync when the kernel answers alone, a
// Promise when a check is asked, stale questions aborted), per-field validation agreeing with
// the whole record, and a real consumer: @tanstack/form-core's FormApi and FieldApi.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { FormApi, FieldApi } from "@tanstack/form-core";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const pkg = join(root, "wasm", "pkg");
const w = createRequire(import.meta.url)(join(pkg, "node", "warden_wasm.js"));
const { wardenSchema, factsFromDecision } = await import(join(pkg, "standard-schema.mjs"));
const list = new w.Blocklist(readFileSync(join(pkg, "node", "common-passwords.txt"), "utf8"));
const today = "2026-11-22";
const crm = w.Warden.fromPreset("crm").withBlocklist(list);
const good = { username: "jdoe", firstName: "Jane", lastName: "Doe", email: "Jane@Example.COM", password: "Violet-Kettle-42!x", organization: "acme", employeeId: "E-1" };

/** A page's lookup: taken emails and known organisations, answered after `ms`, abortable. */
function lookup({ taken = ["taken@example.com"], orgs = ["acme"], ms = 5, log = [] } = {}) {
  return (checks, { signal }) => {
    log.push(checks.map((c) => `${c.check}=${c.key}`).join(","));
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        const facts = { unique: {}, exists: {} };
        for (const c of checks) {
          if (c.kind === "unique") facts.unique[c.check] = { key: c.key, taken: taken.includes(c.key), ...(taken.includes(c.key) ? { existingId: "u-9", existingStatus: "active" } : {}) };
          else facts.exists[c.check] = orgs.includes(c.key);
        }
        resolve(facts);
      }, ms);
      signal.addEventListener("abort", () => {
        clearTimeout(t);
        reject(new DOMException("aborted", "AbortError"));
      });
    });
  };
}

/** Resolves once `done()` holds, or after `ms`. */
async function until(done, ms = 3000) {
  const end = Date.now() + ms;
  while (!done() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
}

test("~standard is version 1, vendor warden; issues carry message, path, code and params", () => {
  const s = wardenSchema(crm, { today });
  assert.equal(s["~standard"].version, 1);
  assert.equal(s["~standard"].vendor, "warden");
  const r = s["~standard"].validate({ ...good, firstName: "", password: "abc" });
  assert.ok(!(r instanceof Promise), "synchronous without a checks resolver");
  const req = r.issues.find((i) => i.code === "required");
  assert.deepEqual(req.path, ["firstName"]);
  assert.equal(req.message, "this field is required");
  const short = r.issues.find((i) => i.code === "password_too_short");
  assert.deepEqual(short.path, ["password"]);
  assert.equal(typeof short.params.min, "number");
  // The same verdict as the kernel's own decision, error for error.
  const d = crm.validate({ user: { ...good, firstName: "", password: "abc" }, today });
  assert.deepEqual(r.issues.map((i) => [i.code, i.path, i.message]), d.violations.filter((v) => v.severity === "error").map((v) => [v.code, v.path, v.message]));
  // Success: the record as it would be stored (normalised), the password as given.
  const ok = s["~standard"].validate(good);
  assert.equal(ok.issues, undefined);
  assert.equal(ok.value.email, "Jane@example.com");
  assert.equal(ok.value.password, good.password);
  // Not an object: one issue at the root, never a throw.
  assert.deepEqual(s["~standard"].validate(null).issues.map((i) => i.path), [[]]);
});

test("messages follow the schema's language, including the new German and Spanish ones", () => {
  for (const [lang, re] of [["fr", /obligatoire/], ["de", /erforderlich/], ["es", /obligatorio/]]) {
    const s = wardenSchema(crm, { today, lang });
    const r = s.validate({ ...good, lastName: "" });
    assert.match(r.issues[0].message, re, lang);
  }
  let lang = "en";
  const live = wardenSchema(crm, { today, lang: () => lang });
  assert.match(live.validate({}).issues[0].message, /required/);
  lang = "es";
  assert.match(live.validate({}).issues[0].message, /obligatorio/);
});

test("a tenant's own messages and language reach the issues", () => {
  const doc = w.presetDocument("crm");
  doc.messages = { it: { required: "campo obbligatorio" }, en: { invalid_email: "that is no email ({reason})" } };
  const tenant = new w.Warden(doc).withBlocklist(list);
  const it = wardenSchema(tenant, { today, lang: "it" }).validate({ ...good, firstName: "" });
  assert.equal(it.issues[0].message, "campo obbligatorio");
  const en = wardenSchema(tenant, { today }).validate({ ...good, email: "nope" });
  assert.equal(en.issues.find((i) => i.code === "invalid_email").message, "that is no email (missing @)");
  assert.throws(() => wardenSchema(tenant, { today, lang: "nl" }).validate(good), (e) => e.code === "invalid_input" && e.path === "lang");
});

test("per-field validation equals the whole record's issues at that field, for every field", () => {
  const s = wardenSchema(crm, { today });
  const record = { username: "bad name", firstName: "J<", lastName: "", email: "x@@y", password: "password", organization: "", employeeId: "-x", phone: "12" };
  const whole = s.validate(record).issues;
  for (const name of Object.keys(crm.document().fields)) {
    const one = s.validateField(name, record);
    const mine = (one.issues ?? []).map((i) => [i.code, i.message]);
    assert.deepEqual(mine, whole.filter((i) => i.path[0] === name).map((i) => [i.code, i.message]), name);
  }
  // A field's own schema: the value alone, the rest of the record from the getter, paths
  // relative to the field.
  const email = s.field("email", () => record)["~standard"].validate("nope");
  assert.deepEqual(email.issues.map((i) => [i.code, i.path]), [["invalid_email", []]]);
  assert.deepEqual(s.field("email", () => record)["~standard"].validate("A@B.COM"), { value: "A@b.com" });
});

test("uniqueness asks the page's callback: a Promise, answers remembered, stale questions aborted", async () => {
  const log = [];
  const s = wardenSchema(crm, { today, checks: lookup({ log }) });
  const pending = s.validate({ ...good, email: "taken@example.com" });
  assert.ok(pending instanceof Promise, "a check to ask: asynchronous");
  const r = await pending;
  const dup = r.issues.find((i) => i.code === "duplicate");
  assert.deepEqual(dup.path, ["email"]);
  assert.equal(dup.params.existingId, "u-9");
  assert.match(dup.message, /already used/);
  // Asked once for each key; the same keys again are answered from memory, synchronously.
  const again = s.validate({ ...good, email: "taken@example.com" });
  assert.ok(!(again instanceof Promise));
  assert.equal(again.issues[0].code, "duplicate");
  assert.equal(log.length, 1);
  // An invalid value is not looked up.
  const bad = s.validateField("email", { ...good, email: "nope" });
  assert.ok(!(bad instanceof Promise));
  // A newer validation of the same field aborts the older question: the older one settles
  // with the kernel's own verdict (no stale `duplicate`), the newer with its answer.
  const slow = wardenSchema(crm, { today, checks: lookup({ ms: 50 }) });
  const a = slow.validateField("email", { ...good, email: "taken@example.com" });
  const b = slow.validateField("email", { ...good, email: "free@example.com" });
  const [ra, rb] = await Promise.all([a, b]);
  assert.equal(ra.issues, undefined, "the superseded check reports nothing stale");
  assert.equal(rb.issues, undefined);
  const c = slow.validateField("email", { ...good, email: "free2@example.com" });
  const d = slow.validateField("email", { ...good, email: "taken@example.com" });
  assert.equal((await c).issues, undefined);
  assert.equal((await d).issues[0].code, "duplicate");
  // Existence checks too: an unknown organisation.
  const org = await s.validateField("organization", { ...good, organization: "nowhere" });
  assert.equal(org.issues[0].code, "unknown_reference");
});

test("a failing lookup rejects (never a silent pass); an outer AbortSignal cancels", async () => {
  const failing = wardenSchema(crm, { today, checks: async () => { throw new Error("offline"); } });
  await assert.rejects(failing.validate({ ...good, email: "x@example.com" }), /offline/);
  const outer = new AbortController();
  const s = wardenSchema(crm, { today, checks: lookup({ ms: 1000 }), signal: outer.signal });
  const p = s.validate({ ...good, email: "taken@example.com" });
  outer.abort();
  assert.equal((await p).issues, undefined);
});

test("the server endpoint as the resolver: its decision read back into answers", async () => {
  // A stand-in for POST /api/v1/decide/validate (directory mode): the kernel with the store's facts.
  const store = { unique: { email_unique: { taken: true, existingId: "u-1", existingStatus: "inactive" } }, exists: { organization_exists: true } };
  const requests = [];
  const fakeFetch = async (url, init) => {
    requests.push({ url, init });
    const body = JSON.parse(init.body);
    const decision = crm.validate({ user: body.user, mode: body.mode, today, facts: store });
    return { ok: true, status: 200, json: async () => decision };
  };
  const s = wardenSchema(crm, { today, endpoint: { url: "/api/v1/decide/validate", headers: { "x-warden-csrf": "t" }, fetch: fakeFetch } });
  const r = await s.validate(good);
  assert.equal(requests[0].url, "/api/v1/decide/validate");
  assert.equal(requests[0].init.headers["x-warden-csrf"], "t");
  const dup = r.issues.find((i) => i.code === "duplicate");
  assert.equal(dup.params.suggestion, "reactivate");
  assert.match(dup.message, /reactivate it instead/);
  assert.deepEqual(factsFromDecision({ violations: [], checks: [{ check: "organization_exists", answered: true }] }, [{ check: "organization_exists", kind: "exists", key: "acme" }]), { unique: {}, exists: { organization_exists: true } });
});

test("@tanstack/form-core: form-level and field-level validators take the schema", async () => {
  const s = wardenSchema(crm, { today, lang: "fr", checks: lookup() });
  const form = new FormApi({
    defaultValues: { ...good, email: "" },
    validators: { onChange: s.sync, onSubmitAsync: s },
  });
  form.mount();
  const email = new FieldApi({
    form,
    name: "email",
    validators: {
      onChange: s.field("email", () => form.state.values, { ask: false }),
      onChangeAsync: s.field("email", () => form.state.values),
      onChangeAsyncDebounceMs: 0,
    },
  });
  email.mount();
  const first = new FieldApi({ form, name: "firstName" });
  first.mount();
  email.handleChange("nope");
  const syncErrors = email.state.meta.errors.flat();
  assert.ok(syncErrors.some((e) => e.code === "invalid_email" && /adresse e-mail/.test(e.message)), JSON.stringify(syncErrors));
  // The form-level schema maps issues to the fields by path.
  first.handleChange("");
  assert.ok(first.state.meta.errors.flat().some((e) => e.code === "required"), JSON.stringify(first.state.meta.errors));
  first.handleChange("Jane");
  // The asynchronous check: a taken address.
  email.handleChange("taken@example.com");
  const duplicate = () => email.state.meta.errors.flat().some((e) => e.code === "duplicate" && /déjà utilisé/.test(e.message));
  await until(duplicate);
  assert.ok(duplicate(), JSON.stringify(email.state.meta.errors));
  email.handleChange("jane@example.com");
  await until(() => !email.state.meta.isValidating && email.state.meta.errors.length === 0);
  assert.deepEqual(email.state.meta.errors.flat(), []);
  await form.handleSubmit();
  assert.equal(form.state.isSubmitSuccessful, true, JSON.stringify(form.state.errors));
});

test("the forms build: non-ASCII input makes the adapter load the Unicode tables once, then the full build's verdicts", async () => {
  const forms = await import(join(pkg, "forms", "warden_wasm_forms.js"));
  await forms.default({ module_or_path: readFileSync(join(pkg, "forms", "warden_wasm_forms_bg.wasm")) });
  forms.installPresets(readFileSync(join(pkg, "forms", "presets.json"), "utf8"));
  const record = { ...good, firstName: "José", lastName: "Núñez", email: "jose@bücher.example", password: "Ｖiolet-Kettle-42!x" };
  const want = wardenSchema(w.Warden.fromPreset("crm"), { today })["~standard"].validate(record);
  // Node's fetch cannot read the default file: URL: the typed error, with the cause.
  const noLoader = wardenSchema(forms.Warden.fromPreset("crm"), { today });
  await assert.rejects(noLoader["~standard"].validate(record), (e) => e.code === "unicode_tables_needed" && e.cause !== undefined);
  // The synchronous schema never loads: the typed error.
  assert.throws(() => noLoader.sync["~standard"].validate(record), (e) => e.code === "unicode_tables_needed");
  let loads = 0;
  const schema = wardenSchema(forms.Warden.fromPreset("crm"), {
    today,
    unicodeTables: async () => {
      loads += 1;
      return readFileSync(join(pkg, "forms", "unicode-tables.txt"), "utf8");
    },
  });
  const first = schema["~standard"].validate(record);
  assert.ok(first instanceof Promise);
  assert.deepStrictEqual(await first, want);
  // Installed: synchronous from now on, for every schema of the module.
  assert.deepStrictEqual(schema["~standard"].validate(record), want);
  assert.deepStrictEqual(noLoader["~standard"].validate(record), want);
  assert.equal(loads, 1);
});
