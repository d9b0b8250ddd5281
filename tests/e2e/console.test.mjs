// The admin console in a real Chromium (Debian's /usr/bin/chromium via playwright-core).
// Build first: scripts/build-wasm.sh. Screenshots go to tests/output/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { start } from "./server.mjs";

const out = join(fileURLToPath(new URL(".", import.meta.url)), "..", "output");
mkdirSync(out, { recursive: true });
let server, context, page, profile;
const errors = [];

before(async () => {
  server = await start(0);
  profile = mkdtempSync(join(tmpdir(), "warden-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true, viewport: { width: 1280, height: 860 },
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForSelector("body[data-ready=true]", { timeout: 20000 });
});

after(async () => {
  await context?.close();
  server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

test("the console loads the seed users and the core's statistics (R000-10)", async () => {
  assert.ok((await page.locator("#users tbody tr").count()) >= 8);
  assert.equal(await page.locator('[data-stat="total"] b').textContent(), "8");
  assert.equal(await page.locator('[data-stat="superAdmins"] b').textContent(), "1");
  await page.screenshot({ path: join(out, "console-list.png") });
});

test("R000-03 an invalid email shows its error under the field", async () => {
  await page.click("#btn-new");
  await page.fill("#f-email", "not-an-email");
  await page.locator("#f-email").blur();
  const msg = page.locator('#m-email .msg.error');
  await msg.waitFor();
  assert.match(await msg.textContent(), /email|valid/i);
});

test("R000-04 a weak password shows which rules fail", async () => {
  await page.fill("#f-password", "abc");
  await page.locator("#pw-checklist li").first().waitFor();
  const unmet = await page.locator("#pw-checklist li:not(.met)").allTextContents();
  assert.ok(unmet.length >= 3, `unmet rules: ${unmet}`);
  assert.ok(unmet.some((s) => /8/.test(s)), `a length rule among ${unmet}`);
  assert.ok(await page.locator("#f-password").evaluate((el) => el.closest(".field").classList.contains("has-error")));
  await page.screenshot({ path: join(out, "form-errors.png") });
});

test("R000-01 a valid user is created and listed", async () => {
  await page.fill("#f-firstName", "Katherine");
  await page.fill("#f-lastName", "Johnson");
  await page.fill("#f-email", "Katherine.Johnson@NASA.example");
  await page.fill("#f-password", "Orbit&Launch1962!");
  await page.fill("#f-organization", "acme");
  await page.waitForFunction(() => !document.querySelector("#user-save").disabled);
  await page.click("#user-save");
  await page.locator("#users tbody tr", { hasText: "katherine.johnson@nasa.example" }).waitFor();
  assert.equal(await page.locator('[data-stat="total"] b').textContent(), "9");
});

test("R000-11 a duplicate email of an inactive account offers reactivation", async () => {
  await page.click("#btn-new");
  await page.fill("#f-email", "donald.knuth@example.com");
  const dup = page.locator('#m-email .msg[data-code="duplicate"]');
  await dup.waitFor();
  assert.equal(await dup.locator("button").count(), 1);
  await page.click("#dlg-user [data-close]");
});

test("the user form's verdicts come from the forms build as you type, and match the full build's", async () => {
  // Both builds were fetched: the full one for the list, the forms one (once the list is
  // shown) for the forms.
  await page.waitForFunction(() => performance.getEntriesByType("resource").some((e) => e.name.endsWith("/pkg/forms/warden_wasm_forms_bg.wasm")));
  const wasm = await page.evaluate(() => performance.getEntriesByType("resource").map((e) => new URL(e.name).pathname).filter((p) => p.endsWith(".wasm")));
  assert.ok(wasm.includes("/pkg/forms/warden_wasm_forms_bg.wasm"), `wasm fetched: ${wasm}`);
  assert.ok(wasm.includes("/pkg/warden_wasm_bg.wasm"), `wasm fetched: ${wasm}`);
  // Watch each build's `validate` (the page's own module instances: same URLs).
  await page.evaluate(async () => {
    const [full, forms] = await Promise.all([import("/pkg/warden_wasm.js"), import("/pkg/forms/warden_wasm_forms.js")]);
    const calls = (window.wardenCalls = { full: 0, forms: [] });
    const [fullValidate, formsValidate] = [full.Warden.prototype.validate, forms.Warden.prototype.validate];
    full.Warden.prototype.validate = function (...a) { calls.full++; return fullValidate.apply(this, a); };
    forms.Warden.prototype.validate = function (input, lang) { const d = formsValidate.call(this, input, lang); calls.forms.push({ input, lang, d }); return d; };
    window.wardenUnwatch = () => { full.Warden.prototype.validate = fullValidate; forms.Warden.prototype.validate = formsValidate; };
  });
  await page.click("#btn-new");
  // Keystrokes, no blur: the verdict appears under the field while typing.
  await page.locator("#f-email").pressSequentially("ada.lovelace@", { delay: 15 });
  const msg = page.locator("#m-email .msg.error");
  await msg.waitFor({ timeout: 5000 });
  await page.locator("#f-password").pressSequentially("abc", { delay: 15 });
  await page.locator("#pw-checklist li").first().waitFor();
  // Non-ASCII text: the forms build answers it with its Unicode tables (an asset the console
  // installs), the same verdicts as the full build's.
  await page.locator("#f-firstName").pressSequentially("José", { delay: 15 });
  await page.waitForFunction(() => window.wardenCalls.forms.some((c) => c.input?.user?.firstName === "José"));
  const r = await page.evaluate(async () => {
    const calls = window.wardenCalls;
    window.wardenUnwatch();
    const full = await import("/pkg/warden_wasm.js");
    let w = full.Warden.fromPreset(document.querySelector("#preset").value);
    if (w.needsBlocklist) w = w.withBlocklist(new full.Blocklist(await (await fetch("/pkg/common-passwords.txt")).text()));
    const canon = (v) => (Array.isArray(v) ? v.map(canon) : v && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k])])) : v);
    const differ = calls.forms.filter((c) => JSON.stringify(canon(w.validate(c.input, c.lang))) !== JSON.stringify(canon(c.d))).length;
    const last = calls.forms.at(-1).d;
    return {
      full: calls.full, forms: calls.forms.length, differ,
      emailMessages: last.violations.filter((v) => v.path[0] === "email" && v.severity === "error").map((v) => v.message),
      checklist: last.password?.checklist?.map((c) => c.code) ?? [],
    };
  });
  // Every form verdict came from the forms build (two calls a keystroke: without, then
  // with the directory's facts), none from the full build.
  assert.equal(r.full, 0);
  assert.ok(r.forms >= 2 * "ada.lovelace@abc".length, `${r.forms} forms-build calls`);
  // The full build, given the same inputs, decides the same, and the page shows it.
  assert.equal(r.differ, 0, `${r.differ} of ${r.forms} verdicts differ from the full build's`);
  assert.deepEqual(await page.locator("#m-email .msg.error").allTextContents(), r.emailMessages);
  assert.deepEqual(await page.locator("#pw-checklist li").evaluateAll((els) => els.map((e) => e.dataset.code)), r.checklist);
  await page.click("#dlg-user [data-close]");
});

test("R002-09 a CSV with good and bad rows is previewed with its counts", async () => {
  await page.click("#btn-import");
  const csv = "firstName,lastName,email,password,organization\n" +
    "Mary,Jackson,mary.jackson@example.com,Wind&Tunnel1958!,acme\n" +
    "Dorothy,Vaughan,dorothy.vaughan@example.com,Fortran&IBM1961!,globex\n" +
    "Bad,,not-an-email,weak,acme\n" +
    "Dup,Row,mary.jackson@example.com,Wind&Tunnel1958!,acme\n";
  await page.setInputFiles("#imp-file", { name: "users.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await page.locator('[data-imp="rows"] b').waitFor();
  assert.equal(await page.locator('[data-imp="rows"] b').textContent(), "4");
  assert.equal(await page.locator('[data-imp="valid"] b').textContent(), "2");
  assert.equal(await page.locator('[data-imp="invalid"] b').textContent(), "2");
  assert.equal(await page.locator("#imp-table tbody tr").count(), 4);
  await page.screenshot({ path: join(out, "import-preview.png") });
  await page.click("#imp-commit");
  await page.locator('[data-imp="imported"] b').waitFor();
  assert.equal(await page.locator('[data-imp="imported"] b').textContent(), "2");
  await page.click("#dlg-import [data-close]");
  assert.equal(await page.locator('[data-stat="total"] b').textContent(), "11");
});

test("switching to French shows the core's French messages", async () => {
  await page.selectOption("#lang", "fr");
  await page.click("#btn-new");
  await page.fill("#f-email", "pas-une-adresse");
  await page.locator("#f-email").blur();
  const msg = page.locator('#m-email .msg.error');
  await msg.waitFor();
  assert.match(await msg.textContent(), /adresse|valide/);
  assert.equal(await page.locator("#btn-new").textContent(), "Nouvel utilisateur");
  await page.screenshot({ path: join(out, "form-french.png") });
  await page.click("#dlg-user [data-close]");
  assert.deepEqual(errors, []);
});

test("a local import marks rows whose keys the users stored in this browser hold, and imports only the others", async () => {
  await page.selectOption("#lang", "en");
  const total = Number(await page.locator('[data-stat="total"] b').textContent());
  await page.click("#btn-import");
  const csv = "firstName,lastName,email,password,organization\n" +
    "Ada,Again,ADA.Lovelace@example.com,Wind&Tunnel1958!,acme\n" +
    "Annie,Easley,annie.easley@example.com,Rocket&Centaur1963!,acme\n" +
    "Bad,,not-an-email,weak,acme\n" +
    "Don,Again,donald.knuth@example.com,Wind&Tunnel1958!,acme\n";
  await page.setInputFiles("#imp-file", { name: "again.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await page.locator("#imp-table[data-source=local]").waitFor();
  const rows = await page.locator("#imp-table tbody tr").evaluateAll((trs) => trs.map((tr) => [tr.dataset.taken ?? "", tr.querySelector("[data-verdict]")?.dataset.verdict]));
  assert.deepEqual(rows, [["true", "taken"], ["", "rowValid"], ["", "rowInvalid"], ["true", "taken"]]);
  // The kernel's message for an inactive holder (Donald Knuth): reactivate rather than import.
  assert.match(await page.locator("#imp-table tbody tr:nth-child(4) .msg.taken").textContent(), /reactivate/);
  assert.equal(await page.locator('[data-imp="valid"] b').textContent(), "1");
  assert.equal(await page.locator('[data-imp="taken"] b').textContent(), "2");
  assert.equal(await page.locator('[data-imp="invalid"] b').textContent(), "1");
  // What the local preview checks, and what it does not.
  assert.equal(await page.locator("#imp-preview [data-note=local]").count(), 1);
  await page.click("#imp-commit");
  await page.locator('[data-imp="imported"] b').waitFor();
  assert.equal(await page.locator('[data-imp="imported"] b').textContent(), "1");
  const outcomes = await page.locator("#imp-table tbody tr").evaluateAll((trs) => trs.map((tr) => tr.querySelector("[data-outcome]")?.dataset.outcome ?? ""));
  assert.deepEqual(outcomes, ["refused", "created", "", "refused"]);
  await page.click("#dlg-import [data-close]");
  assert.equal(await page.locator('[data-stat="total"] b').textContent(), String(total + 1));
  assert.deepEqual(errors, []);
});

test("the import's file button and the page's accessible names speak the console's language", async () => {
  await page.selectOption("#lang", "fr");
  try {
    assert.equal(await page.title(), "Warden — administration des utilisateurs");
    assert.equal(await page.getAttribute("#search", "aria-label"), "Rechercher");
    assert.equal(await page.getAttribute("#f-role", "aria-label"), "Rôle");
    assert.equal(await page.getAttribute("#stats", "aria-label"), "Statistiques");
    await page.click("#btn-import");
    await page.locator("#dlg-import[open]").waitFor();
    // The browser's own button (in the browser's language) is not shown: the console's is.
    assert.equal(await page.locator("#imp-file").isVisible(), false);
    assert.equal(await page.locator("#imp-choose").textContent(), "Choisir un fichier…");
    assert.equal(await page.locator("#imp-file-name").textContent(), "Aucun fichier choisi");
    // A real button (reached and pressed from the keyboard as any button is) that opens
    // the file chooser. (A synthetic key press opening the chooser proved flaky in
    // headless Chromium; the click is what the key press does on a button.)
    assert.equal(await page.locator("#imp-choose").evaluate((b) => b.tagName), "BUTTON");
    const [chooser] = await Promise.all([page.waitForEvent("filechooser", { timeout: 10000 }), page.click("#imp-choose")]);
    const csv = "firstName,lastName,email,password,organization\nKaty,Hill,katy.hill@example.com,Wind&Tunnel1958!,acme\n";
    await chooser.setFiles({ name: "gens.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    await page.locator("#imp-table").waitFor();
    assert.equal(await page.locator("#imp-file-name").textContent(), "gens.csv");
    assert.equal(await page.locator('[data-imp="rows"] b').textContent(), "1");
    // The name stays in another language; the label follows it.
    await page.selectOption("#lang", "en");
    assert.equal(await page.locator("#imp-choose").textContent(), "Choose a file…");
    assert.equal(await page.locator("#imp-file-name").textContent(), "gens.csv");
    await page.click("#dlg-import [data-close]");
    // Opened again: no file chosen.
    await page.click("#btn-import");
    assert.equal(await page.locator("#imp-file-name").textContent(), "No file chosen");
    await page.click("#dlg-import [data-close]");
  } finally {
    await page.selectOption("#lang", "en");
  }
  assert.deepEqual(errors, []);
});
