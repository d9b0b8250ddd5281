// The exports of a policy for forms (warden_core::forms through the wasm package): ajv with the
// exported JSON Schema agrees with Warden on every validation vector for what the schema
// claims (never stricter than Warden; exactly Warden where a property says `x-warden-exact`),
// and the HTML attributes per preset, with `pattern` checked against the kernel in a RegExp
// with the `v` flag as browsers compile it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const pkgDir = join(root, "wasm", "pkg", "node");
const require = createRequire(import.meta.url);
const w = require(join(pkgDir, "warden_wasm.js"));
const list = new w.Blocklist(readFileSync(join(pkgDir, "common-passwords.txt"), "utf8"));
const Ajv2020 = require("ajv/dist/2020").default;
const PRESETS = ["production-planner-pro", "hr-platform", "rental-platform", "crm", "prs-procurement"];

/** The fields ajv refuses in `record`, from its errors. */
function ajvFields(validate, record) {
  const bad = new Set();
  if (validate(record)) return bad;
  for (const e of validate.errors) {
    if (e.keyword === "required") bad.add(e.params.missingProperty);
    else if (e.keyword === "additionalProperties") bad.add(e.params.additionalProperty);
    else if (e.instancePath) bad.add(decodeURIComponent(e.instancePath.split("/")[1]).replace(/~1/g, "/").replace(/~0/g, "~"));
  }
  return bad;
}

/** The validation vectors in create mode: [policy source, record, facts]. */
function vectors() {
  const out = [];
  for (const file of readdirSync(join(root, "tests", "vectors")).filter((f) => f.startsWith("validation-") || f === "errors.json")) {
    for (const c of JSON.parse(readFileSync(join(root, "tests", "vectors", file), "utf8")).cases ?? []) {
      const r = c.request;
      if (r?.op !== "validate" || !r.input?.user || (r.input.mode && r.input.mode !== "create") || c.expect?.error) continue;
      out.push({ name: `${file}: ${c.name}`, preset: r.preset, policy: r.policy, input: r.input });
    }
  }
  return out;
}

/** Records around the edges the schema claims to say: blanks, padding, lengths, characters. */
function edges(warden) {
  const doc = warden.document();
  const out = [];
  for (const [name, spec] of Object.entries(doc.fields)) {
    const max = spec.maxLength ?? 100;
    for (const v of ["", "   ", " x ", "a".repeat(max), ` ${"a".repeat(max)} `, "a".repeat(max + 1), "Ada\u0007", "\tAda\n", "Ada\u200b", "<b>", "\u00a0Zoë\u3000", "x\u0085", 7, null, true, "ACTIVE", " active ", "jdoe", " jdoe ", "j doe", "E-1001", "-x", "ab", "abc", "😀😀😀"]) {
      out.push({ [name]: v });
    }
  }
  return out;
}

test("ajv with the exported schema agrees with Warden for what the schema claims", () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  let cases = 0;
  let exactChecks = 0;
  const compiled = new Map();
  const run = (warden, record, facts, name) => {
    if (!compiled.has(warden.hash)) {
      const schema = warden.jsonSchema();
      compiled.set(warden.hash, { schema, validate: ajv.compile(schema) });
    }
    const { schema, validate } = compiled.get(warden.hash);
    const d = warden.validate({ user: record, today: "2026-11-22", facts });
    const wardenBad = new Set(d.violations.filter((v) => v.severity === "error").map((v) => v.path[0]));
    const ajvBad = ajvFields(validate, record);
    for (const f of ajvBad) {
      assert.ok(wardenBad.has(f), `${name}: the schema refuses \`${f}\` (${JSON.stringify(record[f])}) but Warden accepts it: ${JSON.stringify(validate.errors)}`);
    }
    for (const f of wardenBad) {
      if (schema.properties[f]?.["x-warden-exact"] === true) {
        exactChecks++;
        assert.ok(ajvBad.has(f), `${name}: Warden refuses \`${f}\` (${JSON.stringify(record[f])}: ${d.violations.filter((v) => v.path[0] === f).map((v) => v.code)}) and the schema, exact there, accepts it`);
      } else if (!(f in schema.properties)) {
        assert.equal(schema.additionalProperties, false, `${name}: unknown field ${f}`);
        assert.ok(ajvBad.has(f), `${name}: the unknown field \`${f}\``);
      }
    }
    cases++;
  };
  const cache = new Map();
  const load = (v) => {
    const key = v.preset ?? JSON.stringify(v.policy);
    if (!cache.has(key)) cache.set(key, (v.preset ? w.Warden.fromPreset(v.preset) : new w.Warden(v.policy)).withBlocklist(list));
    return cache.get(key);
  };
  for (const v of vectors()) run(load(v), v.input.user, v.input.facts, v.name);
  for (const preset of PRESETS) {
    const warden = load({ preset });
    for (const r of edges(warden)) run(warden, r, undefined, `${preset} ${JSON.stringify(r)}`);
  }
  assert.ok(cases > 1000, `${cases} records`);
  assert.ok(exactChecks > 200, `${exactChecks} refusals checked on exact properties`);
});

test("the schema is a 2020-12 schema whose x-warden keys say what it cannot", () => {
  const crm = w.Warden.fromPreset("crm");
  const s = crm.jsonSchema("fr");
  assert.equal(s.$schema, "https://json-schema.org/draft/2020-12/schema");
  assert.equal(s.additionalProperties, false);
  assert.deepEqual(s.required, ["firstName", "lastName", "email", "password", "organization", "employeeId"]);
  assert.equal(s.properties.firstName["x-warden-exact"], true);
  assert.deepEqual(s.properties.email["x-warden-unexpressed"], ["email", "unique"]);
  assert.deepEqual(s.properties.employeeId["x-warden-unexpressed"], ["unique"]);
  assert.equal(s.properties.status["x-warden-exact"], true);
  assert.deepEqual(s.properties.status["x-warden-enum"], ["active", "inactive"]);
  assert.match(s.properties.password["x-warden-password"].passwordrules, /required: special;/);
  assert.deepEqual(w.Warden.fromPreset("hr-platform").jsonSchema()["x-warden-record-rules"], ["emailConvention", "genericData"]);
});

/** The attributes of `field` under `preset`. */
const attrs = (preset, field, lang) => w.Warden.fromPreset(preset).htmlAttributes(lang)[field];

test("HTML attributes per preset", () => {
  // 000: names, email, phone, password with its rules, a reference, an enum.
  assert.deepEqual(attrs("production-planner-pro", "firstName").attributes, { type: "text", name: "firstName", required: true, autocomplete: "given-name", maxlength: 100 });
  assert.deepEqual(attrs("production-planner-pro", "lastName").attributes.autocomplete, "family-name");
  assert.deepEqual(attrs("production-planner-pro", "email").attributes, { type: "email", name: "email", required: true, autocomplete: "email" });
  assert.deepEqual(attrs("production-planner-pro", "phone").attributes, { type: "tel", name: "phone", autocomplete: "tel", maxlength: 32 });
  const pw = attrs("production-planner-pro", "password").attributes;
  assert.equal(pw.type, "password");
  assert.equal(pw.autocomplete, "new-password");
  assert.equal(pw.required, true);
  assert.equal(pw.maxlength, 128);
  assert.equal(pw.passwordrules, `minlength: ${pw.minlength}; maxlength: 128; required: upper; required: lower; required: digit; required: special; allowed: upper, lower, digit, special;`);
  assert.deepEqual(attrs("production-planner-pro", "status"), { element: "select", label: attrs("production-planner-pro", "status").label, attributes: { name: "status" }, options: ["active", "inactive"] });
  assert.equal(attrs("production-planner-pro", "superAdmin").attributes.type, "checkbox");
  // 001: a nullable required reference is not `required`; dates, urls, address tokens.
  assert.equal(attrs("hr-platform", "manager").attributes.required, undefined);
  assert.equal(attrs("hr-platform", "birthdate").attributes.type, "date");
  assert.equal(attrs("hr-platform", "birthdate").attributes.autocomplete, "bday");
  assert.equal(attrs("hr-platform", "avatar").attributes.type, "url");
  assert.equal(attrs("hr-platform", "jobTitle").attributes.autocomplete, "organization-title");
  assert.equal(attrs("hr-platform", "city").attributes.autocomplete, "address-level2");
  // 002: a conditionally required field is not `required`; NIST password rules (no classes).
  assert.equal(attrs("rental-platform", "birthdate").attributes.required, undefined);
  assert.equal(attrs("rental-platform", "phone").attributes.required, true);
  assert.doesNotMatch(attrs("rental-platform", "password").attributes.passwordrules, /required:/);
  // 003 and 004: identifiers with patterns, usernames.
  assert.equal(attrs("crm", "username").attributes.autocomplete, "username");
  assert.ok(attrs("crm", "username").attributes.pattern);
  assert.ok(attrs("crm", "employeeId").attributes.pattern);
  assert.ok(attrs("prs-procurement", "username").attributes.pattern);
  assert.equal(attrs("prs-procurement", "username").attributes.maxlength, 32);
  // Labels in the asked language.
  assert.notEqual(attrs("crm", "firstName", "fr").label, attrs("crm", "firstName", "en").label);
});

test("a pattern is given only where a browser's RegExp (v flag) means what the kernel means", () => {
  const cases = [
    ["crm", "username", ["jdoe", " jdoe ", "j.doe+x@corp", "j doe", "", "  ", "Ünïcode", "a".repeat(150), "jdoe\n", "jd\u00a0oe"]],
    ["crm", "employeeId", ["E-1001", "-x", "e", " E-1 ", "E 1", "x".repeat(50), ".a"]],
    ["prs-procurement", "username", ["jdoe", "jd", "1abc", "abc", "ab-c_d.e", " abc\t", "abc!"]],
  ];
  for (const [preset, field, values] of cases) {
    const warden = w.Warden.fromPreset(preset);
    const p = warden.htmlAttributes()[field].attributes.pattern;
    const re = new RegExp(`^(?:${p})$`, "v"); // how browsers compile the attribute
    for (const value of values) {
      const d = warden.validate({ user: { [field]: value }, today: "2026-11-22", field });
      const kernel = !d.violations.some((v) => v.code === "invalid_format");
      assert.equal(re.test(value), kernel, `${preset}.${field} ${JSON.stringify(value)}`);
    }
  }
  // A case-folded field, or a pattern outside the translated subset (an ASCII class the
  // pattern dialect accepts, written with a flag group): no pattern, and why.
  const doc = w.presetDocument("crm");
  doc.fields.username.pattern = "(?-u:\\d)+";
  doc.fields.employeeId.case = "upper";
  const a = new w.Warden(doc).htmlAttributes();
  assert.equal(a.username.attributes.pattern, undefined);
  assert.match(a.username.omitted.pattern, /differs/);
  assert.equal(a.employeeId.attributes.pattern, undefined);
  assert.match(a.employeeId.omitted.pattern, /case-folded/);
});
