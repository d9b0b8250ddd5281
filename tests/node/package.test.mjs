// The one npm package `warden-wasm` (wasm/pkg, built by scripts/build-wasm.sh): installed as a
// user installs it, each consumer resolves the build made for it through `exports` conditions.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const pkg = join(root, "wasm", "pkg");
let app;

before(() => {
  // A consumer project with the package in its node_modules (what `npm install` makes of a
  // local folder: a link).
  app = mkdtempSync(join(tmpdir(), "warden-consumer-"));
  mkdirSync(join(app, "node_modules"));
  symlinkSync(pkg, join(app, "node_modules", "warden-wasm"), "dir");
});
after(() => rmSync(app, { recursive: true, force: true }));

/** Runs `source` as a module of the consumer project and returns what it prints, parsed. */
function run(file, source, args = []) {
  writeFileSync(join(app, file), source);
  const out = execFileSync(process.execPath, [...args, join(app, file)], { cwd: app, encoding: "utf8" });
  return JSON.parse(out);
}

test("Node `import` resolves the Node build, ready on load (no init)", () => {
  const r = run(
    "node-esm.mjs",
    `import { Warden } from "warden-wasm";
     const w = Warden.fromPreset("crm");
     const d = w.validate({ user: { firstName: "", email: "nope" }, today: "2026-12-02" });
     console.log(JSON.stringify({ url: import.meta.resolve("warden-wasm"), valid: d.valid, codes: d.violations.map((v) => v.code) }));`,
  );
  assert.match(realpathSync(fileURLToPath(r.url)), /wasm\/pkg\/node\/warden_wasm\.js$/);
  assert.equal(r.valid, false);
  assert.ok(r.codes.length > 0);
});

test("Node `require` resolves the same Node build", () => {
  const r = run(
    "node-cjs.cjs",
    `const w = require("warden-wasm");
     console.log(JSON.stringify({ path: require.resolve("warden-wasm"), presets: w.presets().map((p) => p.name) }));`,
  );
  assert.match(realpathSync(r.path), /wasm\/pkg\/node\/warden_wasm\.js$/);
  assert.equal(r.presets.length, 5);
});

test("the `browser` condition resolves the web build (an ES module with an init function)", () => {
  const r = run(
    "browser.mjs",
    `const url = import.meta.resolve("warden-wasm");
     const m = await import("warden-wasm");
     console.log(JSON.stringify({ url, init: typeof m.default, warden: typeof m.Warden }));`,
    ["--conditions=browser"],
  );
  assert.match(realpathSync(fileURLToPath(r.url)), /wasm\/pkg\/web\/warden_wasm\.js$/);
  assert.equal(r.init, "function");
  assert.equal(r.warden, "function");
});

test("each flavour and the password list are reachable by name; internals are not", () => {
  const r = run(
    "names.mjs",
    `const res = (s) => { try { return import.meta.resolve(s); } catch (e) { return e.code; } };
     console.log(JSON.stringify({
       web: res("warden-wasm/web"), node: res("warden-wasm/node"),
       list: res("warden-wasm/common-passwords.txt"),
       internal: res("warden-wasm/node/warden_wasm_bg.wasm"),
     }));`,
  );
  assert.match(r.web, /\/web\/warden_wasm\.js$/);
  assert.match(r.node, /\/node\/warden_wasm\.js$/);
  assert.match(r.list, /common-passwords\.txt$/);
  assert.equal(r.internal, "ERR_PACKAGE_PATH_NOT_EXPORTED");
});

test("`npm pack` ships both builds, their declarations and the password list", () => {
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: pkg, encoding: "utf8" });
  const files = new Set(JSON.parse(out)[0].files.map((f) => f.path));
  for (const flavour of ["web", "node"]) {
    for (const f of ["warden_wasm.js", "warden_wasm_bg.wasm", "warden_wasm.d.ts", "common-passwords.txt", "package.json"]) {
      assert.ok(files.has(`${flavour}/${f}`), `${flavour}/${f} in the tarball`);
    }
  }
  assert.ok(files.has("package.json"));
  assert.ok(files.has("standard-schema.mjs") && files.has("standard-schema.d.mts"), "the Standard Schema adapter in the tarball");
});

test("`warden-wasm/standard-schema` resolves to the adapter, which works over the Node build", () => {
  const r = run(
    "standard.mjs",
    `import { Warden } from "warden-wasm";
     import { wardenSchema } from "warden-wasm/standard-schema";
     const s = wardenSchema(Warden.fromPreset("crm"), { today: "2026-12-02", lang: "de" });
     const out = s["~standard"].validate({ email: "nope" });
     console.log(JSON.stringify({ url: import.meta.resolve("warden-wasm/standard-schema"), vendor: s["~standard"].vendor, issue: out.issues.find((i) => i.code === "invalid_email") }));`,
  );
  assert.match(r.url, /\/standard-schema\.mjs$/);
  assert.equal(r.vendor, "warden");
  assert.deepEqual(r.issue.path, ["email"]);
  assert.match(r.issue.message, /keine gültige E-Mail-Adresse/);
});

test("the forms build and its presets are reachable by name, and `npm pack` ships them", () => {
  const r = run(
    "forms.mjs",
    `const res = (s) => { try { return import.meta.resolve(s); } catch (e) { return e.code; } };
     const m = await import("warden-wasm/forms");
     console.log(JSON.stringify({
       forms: res("warden-wasm/forms"), presets: res("warden-wasm/forms/presets.json"),
       tables: res("warden-wasm/forms/unicode-tables.txt"),
       internal: res("warden-wasm/forms/warden_wasm_forms_bg.wasm"),
       init: typeof m.default, install: typeof m.installPresets, warden: typeof m.Warden,
     }));`,
  );
  assert.match(r.forms, /\/forms\/warden_wasm_forms\.js$/);
  assert.match(r.presets, /\/forms\/presets\.json$/);
  assert.match(r.tables, /\/forms\/unicode-tables\.txt$/);
  assert.equal(r.internal, "ERR_PACKAGE_PATH_NOT_EXPORTED");
  assert.deepEqual([r.init, r.install, r.warden], ["function", "function", "function"]);
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: pkg, encoding: "utf8" });
  const files = new Set(JSON.parse(out)[0].files.map((f) => f.path));
  for (const f of ["warden_wasm_forms.js", "warden_wasm_forms_bg.wasm", "warden_wasm_forms.d.ts", "presets.json", "unicode-tables.txt", "common-passwords.txt", "package.json"]) {
    assert.ok(files.has(`forms/${f}`), `forms/${f} in the tarball`);
  }
});
