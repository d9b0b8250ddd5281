// The forms build (wasm/pkg/forms) against the full browser build (wasm/pkg/web) in a real
// Chromium: the same outcome on every validation and password vector of tests/vectors.
// Build first: scripts/build-wasm.sh.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = join(fileURLToPath(new URL(".", import.meta.url)), "..", "..");
const PKG = join(root, "wasm", "pkg");
const TYPES = { ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8", ".wasm": "application/wasm", ".json": "application/json", ".txt": "text/plain; charset=utf-8" };
const FORM_OPS = ["validate", "password"];
let server, context, page, profile;

before(async () => {
  // The package folder over HTTP (`.wasm` as application/wasm), and an empty page.
  server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (path === "/") return res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>forms</title>");
    const file = normalize(join(PKG, path));
    if (!file.startsWith(PKG + sep)) return res.writeHead(403).end();
    let body;
    try {
      body = await readFile(file);
    } catch {
      return res.writeHead(404).end();
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(body);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  profile = mkdtempSync(join(tmpdir(), "warden-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = context.pages()[0] ?? (await context.newPage());
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
});

after(async () => {
  await context?.close();
  server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

test("in Chromium, the forms build gives the full build's outcome on every validation and password vector", async () => {
  const ops = Object.keys(JSON.parse(readFileSync(join(root, "contract", "schema.json"), "utf8"))["x-operations"]);
  const dir = join(root, "tests", "vectors");
  const requests = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
    for (const c of JSON.parse(readFileSync(join(dir, file), "utf8")).cases) {
      if (FORM_OPS.includes(c.request?.op) || !ops.includes(c.request?.op)) requests.push({ name: `[${file}] ${c.name}`, request: c.request });
    }
  }
  assert.ok(requests.length >= 140, `only ${requests.length} form cases`);
  const result = await page.evaluate(async (requests) => {
    const full = await import("/web/warden_wasm.js");
    const forms = await import("/forms/warden_wasm_forms.js");
    await full.default();
    await forms.default();
    forms.installPresets(await (await fetch("/forms/presets.json")).text());
    forms.installUnicodeTables(await (await fetch("/forms/unicode-tables.txt")).text());
    const text = await (await fetch("/forms/common-passwords.txt")).text();
    const [fullList, formsList] = [new full.Blocklist(text), new forms.Blocklist(text)];
    // Canonical JSON (sorted keys) of the decision, or of the thrown error's fields.
    const canon = (v) => (Array.isArray(v) ? v.map(canon) : v && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k])])) : v);
    const outcome = (fn) => {
      try { return JSON.stringify(canon(fn())); } catch (e) {
        if (e?.name !== "WardenError") throw e;
        return JSON.stringify(canon({ contract: e.contract, error: { code: e.code, message: e.message, path: e.path, help: e.help } }));
      }
    };
    const bad = [];
    for (const { name, request } of requests) {
      const [want, got] = [outcome(() => fullList.evaluateRequest(request)), outcome(() => formsList.evaluateRequest(request))];
      if (want !== got) bad.push(`${name}\n  full:  ${want.slice(0, 300)}\n  forms: ${got.slice(0, 300)}`);
    }
    return { bad, n: requests.length, ua: navigator.userAgent };
  }, requests);
  assert.match(result.ua, /Chrome/);
  assert.equal(result.n, requests.length);
  assert.equal(result.bad.length, 0, result.bad.join("\n"));
});

test("in Chromium, the Standard Schema adapter loads the forms build's Unicode tables by itself for non-ASCII input", async () => {
  // A fresh page: a module instance without the tables.
  const fresh = await context.newPage();
  try {
    await fresh.goto(page.url());
    const result = await fresh.evaluate(async () => {
      const full = await import("/web/warden_wasm.js");
      const forms = await import("/forms/warden_wasm_forms.js");
      const { wardenSchema } = await import("/standard-schema.mjs");
      await full.default();
      await forms.default();
      forms.installPresets(await (await fetch("/forms/presets.json")).text());
      const before = forms.unicodeTablesInstalled();
      const opts = { today: "2026-11-22" };
      const [f, m] = [wardenSchema(full.Warden.fromPreset("crm"), opts), wardenSchema(forms.Warden.fromPreset("crm"), opts)];
      const ascii = { firstName: "Ada", lastName: "Lovelace", email: "ada@example", organization: "acme" };
      const asciiResult = m["~standard"].validate(ascii);
      const records = [
        { firstName: "José", lastName: "Núñez", email: "jose@bücher.example", organization: "acme" },
        { firstName: "Ｊｏｓé", lastName: "x", email: "not an email", organization: "acme" },
      ];
      const pending = m["~standard"].validate(records[0]);
      const out = { before, asciiSync: !(asciiResult instanceof Promise), asciiSame: JSON.stringify(asciiResult) === JSON.stringify(f["~standard"].validate(ascii)), pendingIsPromise: pending instanceof Promise, same: [] };
      const first = await pending;
      out.same.push(JSON.stringify(first) === JSON.stringify(f["~standard"].validate(records[0])));
      for (const r of records) out.same.push(JSON.stringify(await m["~standard"].validate(r)) === JSON.stringify(f["~standard"].validate(r)));
      out.after = forms.unicodeTablesInstalled();
      return out;
    });
    assert.deepEqual(result, { before: false, asciiSync: true, asciiSame: true, pendingIsPromise: true, same: [true, true, true], after: true });
  } finally {
    await fresh.close();
  }
});
