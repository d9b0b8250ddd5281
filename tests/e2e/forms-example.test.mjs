// The worked example (examples/forms): React Hook Form with @hookform/resolvers'
// standard-schema resolver over Warden's Standard Schema adapter, in a real Chromium.
// Build first: scripts/build-wasm.sh. Prints the per-call validation times it measures in
// the page (per field and per record) and writes them to tests/output/forms-timing.json.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { build } from "../../examples/forms/build.mjs";

const out = join(fileURLToPath(new URL(".", import.meta.url)), "..", "output");
mkdirSync(out, { recursive: true });
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".wasm": "application/wasm", ".txt": "text/plain; charset=utf-8" };
let dir, server, browser, page;
const errors = [];

before(async () => {
  dir = await build(mkdtempSync(join(tmpdir(), "warden-forms-")));
  server = createServer((req, res) => {
    const file = normalize(join(dir, decodeURIComponent(new URL(req.url, "http://x").pathname).replace(/\/$/, "/index.html")));
    if (!file.startsWith(dir + sep)) return res.writeHead(403).end();
    try {
      const body = readFileSync(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = await browser.newPage();
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForSelector("body[data-ready=true]", { timeout: 20000 });
});

after(async () => {
  await browser?.close();
  server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const error = (field) => page.locator(`#e-${field}`);

test("the inputs carry the policy's HTML attributes", async () => {
  const email = page.locator("#f-email");
  assert.equal(await email.getAttribute("type"), "email");
  assert.equal(await email.getAttribute("autocomplete"), "email");
  assert.notEqual(await email.getAttribute("required"), null);
  assert.equal(await page.locator("#f-firstName").getAttribute("autocomplete"), "given-name");
  assert.equal(await page.locator("#f-lastName").getAttribute("autocomplete"), "family-name");
  assert.equal(await page.locator("#f-phone").getAttribute("type"), "tel");
  const pw = page.locator("#f-password");
  assert.equal(await pw.getAttribute("autocomplete"), "new-password");
  assert.match(await pw.getAttribute("passwordrules"), /minlength: \d+; maxlength: 128; required: upper; required: lower; required: digit; required: special;/);
});

test("keystrokes show the kernel's messages under the field (react-hook-form's resolver)", async () => {
  await page.fill("#f-email", "not-an-email");
  await error("email").waitFor();
  assert.match(await error("email").textContent(), /is not a valid email address \(missing @\)/);
  await page.fill("#f-firstName", "A<b>");
  await error("firstName").waitFor();
  assert.match(await error("firstName").textContent(), /not allowed: <, >/);
  assert.equal(errors.length, 0, errors.join("\n"));
});

test("a taken address is reported after the asynchronous check; a free one clears it", async () => {
  await page.fill("#f-email", "taken@acme.example");
  await page.waitForFunction(() => /already used/.test(document.querySelector("#e-email")?.textContent ?? ""), null, { timeout: 5000 });
  await page.fill("#f-email", "ada@acme.example");
  await page.waitForFunction(() => !document.querySelector("#e-email"), null, { timeout: 5000 });
});

test("switching the language re-renders the messages in French, German, Spanish", async () => {
  await page.fill("#f-lastName", "");
  for (const [lang, re] of [["fr", /obligatoire/], ["de", /erforderlich/], ["es", /obligatorio/], ["en", /required/]]) {
    await page.selectOption("#lang", lang);
    await page.waitForFunction((src) => new RegExp(src).test(document.querySelector("#e-lastName")?.textContent ?? ""), re.source, { timeout: 5000 });
  }
});

test("a valid record submits the values as Warden would store them", async () => {
  await page.fill("#f-firstName", "Ada");
  await page.fill("#f-lastName", "Lovelace");
  await page.fill("#f-email", "ada@ACME.example");
  await page.fill("#f-phone", "+33 6 12 34 56 78");
  await page.fill("#f-password", "Violet-Kettle-42!x");
  await page.fill("#f-organization", "acme");
  await page.click("#submit");
  await page.locator("#saved").waitFor({ timeout: 5000 });
  const saved = JSON.parse(await page.locator("#saved").textContent());
  assert.equal(saved.email, "ada@acme.example");
  assert.equal(saved.phone, "+33612345678");
  await page.screenshot({ path: join(out, "forms-example.png") });
  assert.equal(errors.length, 0, errors.join("\n"));
});

test("per-field and per-record validation time per call in Chromium (reported, not asserted)", async () => {
  const timing = await page.evaluate(() => window.wardenBench(2000));
  const browserVersion = browser.version();
  writeFileSync(join(out, "forms-timing.json"), JSON.stringify({ browser: browserVersion, ...timing }, null, 2) + "\n");
  console.log(`# Chromium ${browserVersion}, median µs per call: ${Object.entries(timing).map(([k, v]) => `${k} ${v.medianMicros}`).join(", ")}`);
  assert.ok(timing.record.calls === 2000);
});
