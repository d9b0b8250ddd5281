// The JSON text of an input (a password among it) does not stay in wasm memory after the
// call: the Node package wipes it (wasm/src/convert.rs, `js_text`; `from_js` wipes its text
// the same way, which this test cannot watch: the generic entry point's text is not handed
// to `wasm/js/text.js`). The test
// watches wasm memory through the buffer `wasm/js/text.js` is handed (a view of it), so it
// wraps that snippet before the package loads, in a process of its own (node --test runs
// each file in one).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "wasm", "pkg", "node");
const snippets = join(pkgDir, "snippets");
const [crate] = readdirSync(snippets);
const text = require(join(snippets, crate, "js", "text.js"));
let memory = null;
const stringifyInto = text.stringifyInto;
text.stringifyInto = (value, buf, retry) => {
  memory = buf.buffer;
  return stringifyInto(value, buf, retry);
};
const w = require(join(pkgDir, "warden_wasm.js"));

const secret = "Qv8-wipe-Marker-5521!";
/** Whether wasm memory holds the input's JSON text around the password: its key, its
 * quotes and its value, as `JSON.stringify` writes them (the kernel's own working copies
 * hold the value alone). */
function textLeft() {
  if (memory === null || memory.byteLength === 0) {
    // Memory grew since (the old buffer is detached): one more call hands the current one.
    w.Warden.fromPreset("crm").validate({ user: {}, today: "2026-11-22", mode: "create" });
  }
  const bytes = new Uint8Array(memory);
  const needle = Buffer.from(`"password":"${secret}"`);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(needle) !== -1;
}

test("a validation's input text is wiped from wasm memory", () => {
  const warden = w.Warden.fromPreset("crm");
  // `mode` makes the field-by-field reader decline: the JSON text path answers.
  const user = { firstName: "Ada", lastName: "Lovelace", email: "ada@acme.example", password: secret };
  const d = warden.validate({ user, today: "2026-11-22", mode: "create" });
  assert.equal(typeof d.valid, "boolean");
  assert.ok(memory !== null, "the JSON text path ran");
  assert.equal(textLeft(), false);
});
