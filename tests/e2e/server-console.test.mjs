// The admin console on the real Warden server (warden-server on a fresh SQLite folder with
// the demo tenants), in Chromium: sign in as a demo user, see exactly the users the
// kernel's scope gives, only the actions it allows, deactivate with the server's
// obligations, and read the audit history. Build first: scripts/build-wasm.sh and
// `cargo build -p warden-server`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = join(fileURLToPath(new URL(".", import.meta.url)), "..", "..");
const bin = join(process.env.CARGO_TARGET_DIR ?? join(root, "target"), "debug", "warden-server");
const PASSWORD = "Demo-Warden-2026!";
let server, base, context, page, profile, data;
const errors = [];

before(async () => {
  assert.ok(existsSync(bin), `${bin} is missing: cargo build -p warden-server`);
  data = mkdtempSync(join(tmpdir(), "warden-server-e2e-"));
  server = spawn(bin, ["serve", "--data", data, "--demo", "--www", join(root, "www"), "--listen", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "inherit"] });
  base = await new Promise((resolve, reject) => {
    let buf = "";
    server.stdout.on("data", (d) => { buf += d; const m = buf.match(/listening on (http:\/\/[^\s]+)/); if (m) resolve(m[1]); });
    server.on("exit", (code) => reject(new Error(`warden-server exited with ${code}`)));
    // unref: once the server is up, this timer must not keep the test process alive.
    setTimeout(() => reject(new Error("warden-server did not start in 60 s")), 60000).unref();
  });
  profile = mkdtempSync(join(tmpdir(), "warden-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true, viewport: { width: 1280, height: 860 },
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("dialog", (d) => d.accept());
  await page.goto(base);
  await page.waitForSelector("body[data-ready=true]", { timeout: 20000 });
});

after(async () => {
  await context?.close();
  server?.kill("SIGTERM");
  if (profile) rmSync(profile, { recursive: true, force: true });
  if (data) rmSync(data, { recursive: true, force: true });
});

async function signIn(tenant, login) {
  if (await page.locator("#who").isVisible()) {
    await page.click("#btn-signout");
  }
  await page.locator("#dlg-signin[open]").waitFor();
  await page.evaluate((t) => { document.querySelector("#si-tenant").value = t; }, tenant);
  await page.fill("#si-login", login);
  await page.fill("#si-password", PASSWORD);
  // Empty the table so that the wait below sees this user's list, not the previous one.
  await page.evaluate(() => document.querySelector("#users tbody").replaceChildren());
  await page.click("#si-submit");
  await page.locator("#who:not([hidden])").waitFor();
  await page.waitForFunction(() => document.querySelectorAll("#users tbody tr").length > 0);
}

const logins = async () => (await page.locator("#users tbody tr td:nth-child(2)").allTextContents()).sort();

test("a manager signed in sees exactly their N-1 (the kernel's scope, on the server)", async () => {
  await signIn("hr-platform", "marc.dubois@company.com");
  assert.deepEqual(await logins(), ["marc.dubois@company.com", "paul.petit@company.com", "sophie.martin@company.com"]);
  // A manager may read, not edit: no edit or status action is offered.
  assert.equal(await page.locator("#users tbody button:has-text('Edit')").count(), 0);
});

test("an HR administrator deactivates a user: roles removed, audit entry shown", async () => {
  await signIn("hr-platform", "hugo.renard@company.com");
  assert.equal((await logins()).length, 5);
  const row = page.locator("#users tbody tr", { hasText: "paul.petit@company.com" });
  await row.locator("button", { hasText: "Change status" }).click();
  await page.selectOption("#st-to", "inactive");
  await page.fill("#st-reason", "left the company");
  await page.click("#st-apply");
  await page.waitForFunction(() => [...document.querySelectorAll("#users tbody tr")].some((tr) => tr.textContent.includes("paul.petit") && tr.querySelector(".badge.inactive")));
  const cells = await row.locator("td").allTextContents();
  assert.ok(!cells[3].includes("employee"), `roles removed: ${cells}`);
  await row.locator("button[data-action=history]").click();
  await page.locator("#hist-list li[data-action='users.status']").waitFor();
  await page.click("#dlg-history [data-close]");
  assert.equal(errors.length, 0, errors.join("\n"));
});

test("a user created in the console is stored by the server (the kernel's verdict, then the directory)", async () => {
  // The form's verdicts come from the forms build, which the server serves from www/pkg/forms.
  await page.waitForFunction(() => performance.getEntriesByType("resource").some((e) => new URL(e.name).pathname === "/pkg/forms/warden_wasm_forms_bg.wasm"));
  await page.click("#btn-new");
  await page.fill("#f-email", "lea.moreau@");
  await page.locator("#m-email .msg.error").waitFor();
  await page.fill("#f-firstName", "Lea");
  await page.fill("#f-lastName", "Moreau");
  await page.fill("#f-email", "lea.moreau@company.com");
  await page.fill("#f-jobTitle", "Product Designer");
  const managers = await page.evaluate(() => [...document.querySelectorAll("#dl-manager option")].map((o) => o.value));
  await page.fill("#f-manager", managers[0]);
  await page.fill("#f-organization", "company");
  await page.locator("#user-save:not([disabled])").waitFor();
  await page.click("#user-save");
  await page.waitForFunction(() => [...document.querySelectorAll("#users tbody tr")].some((tr) => tr.textContent.includes("lea.moreau@company.com")));
  // Stored on the server: a fresh read of the list (not the page's memory) has her.
  const listed = await page.evaluate(async () => (await (await fetch("/api/v1/users?q=lea.moreau")).json()).users.map((u) => u.email));
  assert.deepEqual(listed, ["lea.moreau@company.com"]);
  assert.equal(errors.length, 0, errors.join("\n"));
});

const serverUsers = () => page.evaluate(async () => (await (await fetch("/api/v1/users?limit=200")).json()).users);

test("a manager sees their N-1 in the manager tree and in the N-1 view (the kernel's scope)", async () => {
  await signIn("hr-platform", "marc.dubois@company.com");
  const users = await serverUsers();
  const marc = users.find((u) => u.email === "marc.dubois@company.com");
  const reports = users.filter((u) => u.manager === marc.id).map((u) => u.email).sort();
  assert.ok(reports.includes("sophie.martin@company.com") && reports.includes("paul.petit@company.com"), reports.join());
  // The tree: Marc at the root (his own manager is outside his scope), his N-1 below him.
  await page.selectOption("#view", "tree");
  await page.locator("#tree:not([hidden])").waitFor();
  const under = await page.locator(`#tree li[data-id='${marc.id}'] > ul > li`).evaluateAll((lis) => lis.map((li) => li.dataset.id));
  assert.deepEqual(under.sort(), users.filter((u) => u.manager === marc.id).map((u) => u.id).sort());
  assert.equal(await page.locator("#tree > ul > li").count(), 1, "one root: Marc");
  // The N-1 view: exactly his direct reports, not himself.
  await page.selectOption("#view", "n1");
  await page.locator("#users:not([hidden])").waitFor();
  assert.deepEqual(await logins(), reports);
  await page.selectOption("#view", "list");
  assert.equal(errors.length, 0, errors.join("\n"));
});

test("a field the viewer may not see is not shown (attribute permissions, from the server)", async () => {
  // Marc, Sophie's manager: her profile without her date of birth and address.
  const sophieRow = page.locator("#users tbody tr", { hasText: "sophie.martin@company.com" });
  await sophieRow.locator("button[data-action=details]").click();
  await page.locator("#dlg-details[open]").waitFor();
  assert.equal(await page.locator("#det-list dd[data-field=firstName]").textContent(), "Sophie");
  assert.equal(await page.locator("#det-list [data-field=birthdate]").count(), 0);
  assert.equal(await page.locator("#det-list [data-field=address]").count(), 0);
  assert.match(await page.locator("#det-hidden").textContent(), /2/);
  // Nor anywhere else in the page or in what the server sent.
  assert.ok(!(await page.content()).includes("1991-05-14"));
  assert.ok(!JSON.stringify(await serverUsers()).includes("1991-05-14"));
  await page.click("#dlg-details [data-close]");
  // HR sees them.
  await signIn("hr-platform", "hugo.renard@company.com");
  await page.locator("#users tbody tr", { hasText: "sophie.martin@company.com" }).locator("button[data-action=details]").click();
  await page.locator("#dlg-details[open]").waitFor();
  assert.equal(await page.locator("#det-list dd[data-field=birthdate] [data-value]").getAttribute("data-value"), "1991-05-14");
  assert.equal(await page.locator("#det-hidden").textContent(), "");
  await page.click("#dlg-details [data-close]");
  assert.equal(errors.length, 0, errors.join("\n"));
});

test("a CSV import is previewed by the server (per-row verdicts) and committed", async () => {
  // Signed in as HR (previous test). Three rows: a new employee, a broken email, and
  // Sophie's email again (already in the directory).
  const users = await serverUsers();
  const marc = users.find((u) => u.email === "marc.dubois@company.com");
  const csv = [
    "firstName,lastName,email,jobTitle,manager,status,organization",
    `Ines,Garnier,ines.garnier@company.com,QA Engineer,${marc.id},active,company`,
    `Bad,Row,not-an-email,QA Engineer,${marc.id},active,company`,
    `Sophie,Martin,sophie.martin@company.com,QA Engineer,${marc.id},active,company`,
  ].join("\n");
  await page.click("#btn-import");
  await page.setInputFiles("#imp-file", { name: "people.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await page.locator("#imp-table[data-source=server]").waitFor();
  const statuses = await page.locator("#imp-table tbody tr").evaluateAll((trs) => trs.map((tr) => tr.dataset.status));
  assert.deepEqual(statuses, ["0", "2", "0"], "the server's verdict per row");
  assert.match(await page.locator("#imp-table tbody tr:nth-child(2)").textContent(), /email/i);
  assert.equal(await page.locator("[data-imp=taken] b").textContent(), "1", "Sophie's email is taken");
  await page.click("#imp-commit");
  await page.locator("[data-imp=imported]").waitFor();
  const outcomes = await page.locator("#imp-table tbody tr").evaluateAll((trs) => trs.map((tr) => tr.querySelector("[data-outcome]")?.dataset.outcome ?? ""));
  assert.deepEqual(outcomes, ["created", "", "refused"]);
  await page.click("#dlg-import [data-close]");
  await page.waitForFunction(() => [...document.querySelectorAll("#users tbody tr")].some((tr) => tr.textContent.includes("ines.garnier@company.com")));
  const stored = (await serverUsers()).filter((u) => u.email === "ines.garnier@company.com");
  assert.equal(stored.length, 1);
  assert.equal(errors.length, 0, errors.join("\n"));
});

test("a temporary password is changed first, with the policy's checklist, then the console opens", async () => {
  await signIn("prs-procurement", "padmin");
  const admin = await page.evaluate(async () => (await (await fetch("/api/v1/session")).json()).user.id);
  const created = await page.evaluate(async (supervisor) => {
    const res = await fetch("/api/v1/users", {
      method: "POST", headers: { "content-type": "application/json", "x-warden-csrf": "1" },
      body: JSON.stringify({ username: "kwong", firstName: "Kim", lastName: "Wong", userType: "requester", department: "Finance", supervisor, organization: "prs" }),
    });
    return res.json();
  }, admin);
  assert.ok(created.temporaryPassword, JSON.stringify(created));
  await page.click("#btn-signout");
  await page.locator("#dlg-signin[open]").waitFor();
  await page.evaluate(() => { document.querySelector("#si-tenant").value = "prs-procurement"; });
  await page.fill("#si-login", "kwong");
  await page.fill("#si-password", created.temporaryPassword);
  await page.evaluate(() => document.querySelector("#users tbody").replaceChildren());
  await page.click("#si-submit");
  // Nothing but the new password until it is chosen; the checklist is the policy's.
  await page.locator("#dlg-newpw[open]").waitFor();
  assert.equal(await page.locator("#users tbody tr").count(), 0);
  await page.fill("#np-password", "short");
  await page.locator("#np-checklist li[data-code=password_too_short]:not(.met)").waitFor();
  const chosen = "Violet-Kettle-42!x";
  await page.fill("#np-password", chosen);
  await page.locator("#np-checklist li[data-code=password_too_short].met").waitFor();
  await page.click("#np-save");
  // The policy may end every session with the change: then sign in with the new password.
  await page.waitForFunction(() => !document.querySelector("#dlg-newpw").open);
  // Either the sign-in dialog opens or the list fills: wait for one before looking (the
  // console asks the server first, so neither is there at once).
  await page.waitForFunction(() => document.querySelector("#dlg-signin").open || document.querySelectorAll("#users tbody tr").length > 0);
  if (await page.locator("#dlg-signin[open]").isVisible()) {
    await page.fill("#si-login", "kwong");
    await page.fill("#si-password", chosen);
    await page.click("#si-submit");
  }
  await page.waitForFunction(() => document.querySelectorAll("#users tbody tr").length > 0);
  const session = await page.evaluate(async () => (await fetch("/api/v1/session")).json());
  assert.equal(session.mustChangePassword, false);
  assert.equal(errors.length, 0, errors.join("\n"));
});

test("a rental administrator may suspend a customer in the console, as the server allows it", async () => {
  // The console's actor is the signed-in user's whole record: the account type that gives
  // an administrator its role (the session's `roles` are empty under a role field).
  await signIn("rental-platform", "alice@rental.example");
  const row = page.locator("#users tbody tr", { hasText: "lucas@rental.example" });
  await row.locator("button", { hasText: "Change status" }).click();
  await page.selectOption("#st-to", "suspended");
  await page.fill("#st-reason", "chargeback under review");
  await page.fill("#st-days", "14");
  await page.locator("#st-apply:not([disabled])").waitFor();
  await page.click("#st-apply");
  await page.waitForFunction(() => [...document.querySelectorAll("#users tbody tr")].some((tr) => tr.textContent.includes("lucas@rental.example") && tr.querySelector(".badge.suspended")));
  assert.equal(errors.length, 0, errors.join("\n"));
});

test("an edit made on a user another administrator changed since is refused, not overwritten", async () => {
  await signIn("hr-platform", "hugo.renard@company.com");
  const row = page.locator("#users tbody tr", { hasText: "paul.petit@company.com" });
  await row.locator("button", { hasText: "Edit" }).first().click();
  await page.locator("#dlg-user[open]").waitFor();
  // Meanwhile, another administrator changes Paul's job title.
  await page.evaluate(async () => {
    const list = await (await fetch("/api/v1/users?limit=200")).json();
    const paul = list.users.find((u) => u.email === "paul.petit@company.com");
    await fetch(`/api/v1/users/${paul.id}`, {
      method: "PATCH", headers: { "content-type": "application/json", "x-warden-csrf": "1" },
      body: JSON.stringify({ jobTitle: "QA Lead" }),
    });
  });
  await page.fill("#f-lastName", "Petit-Durand");
  await page.locator("#user-save:not([disabled])").waitFor();
  await page.click("#user-save");
  await page.locator("#form-notes [data-server=refused]").waitFor();
  const stored = (await serverUsers()).find((u) => u.email === "paul.petit@company.com");
  assert.equal(stored.jobTitle, "QA Lead");
  assert.equal(stored.lastName, "Petit");
  await page.click("#dlg-user [data-close]");
});

test("signing out after the server ended the session opens the sign-in dialog", async () => {
  await signIn("hr-platform", "marc.dubois@company.com");
  // Every session of the user ends (as a password change or a deactivation ends them).
  await page.evaluate(() => fetch("/api/v1/session?everywhere=true", { method: "DELETE", headers: { "x-warden-csrf": "1" } }));
  await page.click("#btn-signout");
  await page.locator("#dlg-signin[open]").waitFor();
  // Signed out, the console shows nothing of the directory: no row, no statistics, no
  // login left in the form, nothing to create.
  assert.equal(await page.locator("#users tbody tr").count(), 0);
  assert.equal(await page.locator("[data-stat=total] b").textContent(), "0");
  assert.equal(await page.inputValue("#si-login"), "");
  // The dialog says which tenant it signs in to, and lets it be changed.
  assert.equal(await page.locator("#si-tenant").isVisible(), true);
  assert.notEqual(await page.inputValue("#si-tenant"), "");
  assert.equal(await page.locator("#btn-new").isHidden(), true);
  assert.equal(await page.locator("#btn-import").isHidden(), true);
  assert.equal(errors.length, 0, errors.join("\n"));
});

test("a user who may not create sees no New user nor Import, and changes their own password with the current one", async () => {
  await signIn("production-planner-pro", "bob@planner.example");
  assert.equal(await page.locator("#btn-new").isVisible(), false);
  assert.equal(await page.locator("#btn-import").isVisible(), false);
  const row = page.locator("#users tbody tr", { hasText: "bob@planner.example" });
  await row.locator("button", { hasText: "Edit" }).first().click();
  await page.locator("#dlg-user[open]").waitFor();
  await page.fill("#f-password", "Amber-Lantern-77?q");
  await page.fill("#f-currentPassword", PASSWORD);
  await page.locator("#user-save:not([disabled])").waitFor();
  await page.click("#user-save");
  // One's own password ends every session of one's own: the console signs in again.
  await page.locator("#dlg-signin[open]").waitFor();
  await page.evaluate(() => { document.querySelector("#si-tenant").value = "production-planner-pro"; });
  await page.fill("#si-login", "bob@planner.example");
  await page.fill("#si-password", "Amber-Lantern-77?q");
  await page.click("#si-submit");
  await page.locator("#who:not([hidden])").waitFor();
  assert.equal(errors.length, 0, errors.join("\n"));
});

test("roles and manual groups are given in the user form, and the server's kernel decides them", async () => {
  await signIn("crm", "ana.lopez@crm.example");
  await page.click("#btn-new");
  await page.locator("#dlg-user[open]").waitFor();
  // The policy's active roles are offered, the retired one is not.
  const offered = await page.locator("#access-choices [data-access=roles] input").evaluateAll((xs) => xs.map((x) => x.value));
  assert.deepEqual(offered.sort(), ["marketingUser", "salesManager", "salesRep", "systemAdmin"]);
  await page.fill("#f-username", "jnoel");
  await page.fill("#f-firstName", "June");
  await page.fill("#f-lastName", "Noel");
  await page.fill("#f-email", "june.noel@crm.example");
  await page.fill("#f-employeeId", "EMP-00042");
  await page.fill("#f-organization", "acme");
  await page.fill("#f-password", "Copper-Harbour-93!k");
  await page.locator("#user-save:not([disabled])").waitFor();
  // Without a role the CRM refuses the account (at least one active role): the server's
  // refusal stays in the form, nothing is stored.
  await page.click("#user-save");
  await page.locator("#form-notes [data-server=refused]").waitFor();
  assert.equal((await serverUsers()).filter((u) => u.email === "june.noel@crm.example").length, 0);
  await page.check("#access-choices [data-access=roles] input[value=salesRep]");
  await page.click("#user-save");
  await page.waitForFunction(() => [...document.querySelectorAll("#users tbody tr")].some((tr) => tr.textContent.includes("june.noel@crm.example")));
  const june = (await serverUsers()).find((u) => u.email === "june.noel@crm.example");
  assert.deepEqual(june.roles, ["salesRep"]);
  // An edit sends a role change as a change (one added, none lost).
  const row = page.locator("#users tbody tr", { hasText: "june.noel@crm.example" });
  await row.locator("button", { hasText: "Edit" }).first().click();
  await page.locator("#dlg-user[open]").waitFor();
  assert.equal(await page.isChecked("#access-choices [data-access=roles] input[value=salesRep]"), true);
  await page.check("#access-choices [data-access=roles] input[value=marketingUser]");
  await page.locator("#user-save:not([disabled])").waitFor();
  await page.click("#user-save");
  await page.locator("#dlg-user[open]").waitFor({ state: "detached" });
  const after = (await serverUsers()).find((u) => u.email === "june.noel@crm.example");
  assert.deepEqual(after.roles.sort(), ["marketingUser", "salesRep"]);

  // HR: a manual group is offered, a dynamic one is not. Paul, deactivated above, is given
  // no group that gives roles (R001-06): the server's refusal stays in the form.
  await signIn("hr-platform", "hugo.renard@company.com");
  const edit = async (email) => {
    await page.locator("#users tbody tr", { hasText: email }).locator("button", { hasText: "Edit" }).first().click();
    await page.locator("#dlg-user[open]").waitFor();
  };
  await edit("paul.petit@company.com");
  const groups = await page.locator("#access-choices [data-access=groups] input").evaluateAll((xs) => xs.map((x) => x.value));
  assert.deepEqual(groups.sort(), ["hr-admins", "people-managers"]);
  await page.check("#access-choices [data-access=groups] input[value=people-managers]");
  await page.locator("#user-save:not([disabled])").waitFor();
  await page.click("#user-save");
  await page.locator("#form-notes [data-server=refused]").waitFor();
  assert.match(await page.locator("#form-notes").textContent(), /inactive/);
  assert.deepEqual((await serverUsers()).find((u) => u.email === "paul.petit@company.com").groups, []);
  await page.evaluate(() => document.querySelector("#dlg-user").close());
  // Sophie, active, joins it: stored.
  await edit("sophie.martin@company.com");
  await page.check("#access-choices [data-access=groups] input[value=people-managers]");
  await page.locator("#user-save:not([disabled])").waitFor();
  await page.click("#user-save");
  await page.locator("#dlg-user[open]").waitFor({ state: "detached" });
  const sophie = (await serverUsers()).find((u) => u.email === "sophie.martin@company.com");
  assert.deepEqual(sophie.groups, ["people-managers"]);
  assert.equal(errors.length, 0, errors.join("\n"));
});

// ------------------------------------------------------------------ rows already in the directory, history and details for people

// Sets the console's language. A dialog a failed test left open is closed first (the page
// behind a modal is inert).
async function language(lang) {
  await page.evaluate(() => document.querySelectorAll("dialog[open]:not(#dlg-signin)").forEach((d) => d.close()));
  await page.selectOption("#lang", lang);
  await page.waitForFunction((l) => document.documentElement.lang === l, lang);
}

test("the import preview marks rows whose keys the directory holds apart from invalid rows, and does not count them as importable", async () => {
  await signIn("hr-platform", "hugo.renard@company.com");
  await language("en");
  const users = await serverUsers();
  const marc = users.find((u) => u.email === "marc.dubois@company.com");
  const sophie = users.find((u) => u.email === "sophie.martin@company.com");
  const csv = [
    "firstName,lastName,email,jobTitle,manager,status,organization",
    `Nora,Blanc,nora.blanc@company.com,QA Engineer,${marc.id},active,company`,
    `Bad,Row,not-an-email,QA Engineer,${marc.id},active,company`,
    // Sophie's email, in other letters: the same key once normalised.
    `Sophie,Martin,Sophie.MARTIN@company.com,QA Engineer,${marc.id},active,company`,
  ].join("\n");
  await page.click("#btn-import");
  await page.setInputFiles("#imp-file", { name: "taken.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await page.locator("#imp-table[data-source=server]").waitFor();
  const rows = () => page.locator("#imp-table tbody tr").evaluateAll((trs) => trs.map((tr) => ({
    taken: tr.dataset.taken ?? "", verdict: tr.querySelector("[data-verdict]")?.dataset.verdict, text: tr.textContent,
    held: [...tr.querySelectorAll(".msg.taken")].map((m) => ({ field: m.dataset.field, by: m.querySelector("[data-id]")?.dataset.id })),
  })));
  let r = await rows();
  assert.deepEqual(r.map((x) => x.taken), ["", "", "true"], "only Sophie's row is taken");
  assert.deepEqual(r.map((x) => x.verdict), ["rowValid", "rowInvalid", "taken"]);
  assert.match(r[2].text, /Already in the directory/);
  assert.deepEqual(r[2].held, [{ field: "email", by: sophie.id }], "the email, held by Sophie");
  assert.match(r[2].text, /Sophie Martin/);
  // The summary: one row to import (the kernel found two valid), one taken, one invalid.
  assert.equal(await page.locator("[data-imp=valid] b").textContent(), "1");
  assert.equal(await page.locator("[data-imp=valid]").getAttribute("data-kernel-valid"), "2");
  assert.equal(await page.locator("[data-imp=taken] b").textContent(), "1");
  assert.equal(await page.locator("[data-imp=invalid] b").textContent(), "1");
  // Only the rows with problems: the invalid and the taken one.
  await page.check("#imp-preview .pager input[type=checkbox]");
  r = await rows();
  assert.deepEqual(r.map((x) => x.taken), ["", "true"]);
  await page.click("#imp-commit");
  await page.locator("[data-imp=imported]").waitFor();
  const outcomes = await page.locator("#imp-table tbody tr").evaluateAll((trs) => trs.map((tr) => tr.querySelector("[data-outcome]")?.dataset.outcome ?? ""));
  assert.deepEqual(outcomes, ["", "refused"]);
  await page.click("#dlg-import [data-close]");
  assert.equal((await serverUsers()).filter((u) => u.email === "nora.blanc@company.com").length, 1);
  assert.equal(errors.length, 0, errors.join("\n"));
});

test("the import preview speaks the console's language", async () => {
  await language("fr");
  const csv = "firstName,lastName,email,jobTitle,manager,status,organization\nBad,Row,not-an-email,QA Engineer,,active,company\n";
  await page.click("#btn-import");
  await page.setInputFiles("#imp-file", { name: "fr.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await page.locator("#imp-table[data-source=server]").waitFor();
  const row = page.locator("#imp-table tbody tr").first();
  assert.equal(await row.locator("[data-verdict]").textContent(), "Invalide");
  const msgs = await row.locator(".msg[data-code=invalid_email]").allTextContents();
  assert.equal(msgs.length, 1);
  assert.match(msgs[0], /^E-mail : .*adresse/, msgs[0]);
  await page.click("#dlg-import [data-close]");
  await language("en");
  assert.equal(errors.length, 0, errors.join("\n"));
});

test("the audit history names people and uses the policy's labels, in both languages, raw codes kept", async () => {
  await language("en");
  const users = await serverUsers();
  const hugo = users.find((u) => u.email === "hugo.renard@company.com");
  const paul = users.find((u) => u.email === "paul.petit@company.com");
  const row = page.locator("#users tbody tr", { hasText: "paul.petit@company.com" });
  await row.locator("button[data-action=history]").click();
  await page.locator("#dlg-history[open]").waitFor();
  const status = page.locator("#hist-list > li[data-action='users.status']").first();
  assert.equal(await status.locator(".act").textContent(), "Status changed");
  assert.equal(await status.locator(".act").getAttribute("data-code"), "users.status");
  assert.equal(await status.locator(".by [data-id]").getAttribute("data-id"), hugo.id);
  assert.equal(await status.locator(".by [data-id]").textContent(), "Hugo Renard");
  assert.match(await status.locator("li[data-field=status]").textContent(), /^Status: Active → Inactive$/);
  assert.match(await status.locator("li[data-field=reason]").textContent(), /left the company/);
  // The date in the reader's locale (the raw instant in `datetime`).
  const time = status.locator("time");
  const iso = await time.getAttribute("datetime");
  const expected = await page.evaluate((s) => new Intl.DateTimeFormat(navigator.languages.find((l) => l.startsWith("en")) ?? "en", { dateStyle: "medium", timeStyle: "short" }).format(new Date(s)), iso);
  assert.equal(await time.textContent(), expected);
  // The edit by another administrator's hand (the job title), with the field's label.
  const jobTitle = page.locator("#hist-list li[data-field=jobTitle]").first();
  assert.match(await jobTitle.textContent(), /^Job title: .* → QA Lead$/);
  assert.equal(await jobTitle.locator(".fld").getAttribute("title"), "jobTitle");
  // No raw user id in what is read (only in attributes).
  const text = await page.locator("#dlg-history").innerText();
  assert.ok(!/\bu_[0-9a-f]{16}\b/.test(text), text);
  assert.ok(!/users\.(status|update|create)/.test(text), text);
  await page.click("#dlg-history [data-close]");
  // In French.
  await language("fr");
  await row.locator("button[data-action=history]").click();
  await page.locator("#dlg-history[open]").waitFor();
  const fr = page.locator("#hist-list > li[data-action='users.status']").first();
  assert.equal(await fr.locator(".act").textContent(), "Statut changé");
  assert.match(await fr.locator("li[data-field=status]").textContent(), /^Statut : Actif → Inactif$/);
  assert.match(await fr.locator(".by").textContent(), /^par Hugo Renard/);
  assert.equal(await page.locator("#hist-who").textContent(), `${paul.firstName} ${paul.lastName}`);
  await page.click("#dlg-history [data-close]");
  await language("en");
  assert.equal(errors.length, 0, errors.join("\n"));
});

test("the details show the manager's name, the status, role and group labels and dates for people, raw values kept", async () => {
  await language("en");
  const users = await serverUsers();
  const marc = users.find((u) => u.email === "marc.dubois@company.com");
  const details = async (email) => {
    await page.locator("#users tbody tr", { hasText: email }).locator("button[data-action=details]").click();
    await page.locator("#dlg-details[open]").waitFor();
  };
  await details("sophie.martin@company.com");
  const dd = (f) => page.locator(`#det-list dd[data-field=${f}]`);
  assert.equal(await dd("manager").textContent(), "Marc Dubois");
  assert.equal(await dd("manager").locator("[data-value]").getAttribute("data-value"), marc.id);
  assert.equal(await dd("status").textContent(), "Active");
  assert.equal(await dd("roles").textContent(), "Employee");
  assert.equal(await dd("roles").locator("[data-value]").getAttribute("data-value"), "employee");
  const birth = await dd("birthdate").textContent();
  assert.equal(birth, await page.evaluate(() => new Intl.DateTimeFormat(navigator.languages.find((l) => l.startsWith("en")) ?? "en", { dateStyle: "medium", timeZone: "UTC" }).format(new Date("1991-05-14T00:00:00Z"))));
  assert.equal(await dd("groups").textContent(), "All people managers");
  assert.equal(await page.locator("#det-who").textContent(), "Sophie Martin");
  assert.ok(!/\bu_[0-9a-f]{16}\b/.test((await page.locator("#det-list").innerText()).replace(/^Id\n.*$/m, "")));
  await page.click("#dlg-details [data-close]");
  await details("paul.petit@company.com");
  assert.equal(await dd("status").textContent(), "Inactive");
  assert.equal(await dd("roles").textContent(), "—");
  await page.click("#dlg-details [data-close]");
  await language("fr");
  await details("paul.petit@company.com");
  assert.equal(await dd("status").textContent(), "Inactif");
  assert.equal(await dd("manager").textContent(), "Marc Dubois");
  assert.equal(await page.locator("#det-list dt[data-field=manager]").textContent(), "Responsable");
  await page.click("#dlg-details [data-close]");
  await details("sophie.martin@company.com");
  assert.equal(await dd("birthdate").textContent(), "14 mai 1991");
  assert.equal(await dd("groups").textContent(), "Tous les managers");
  await page.click("#dlg-details [data-close]");
  await language("en");
  assert.equal(errors.length, 0, errors.join("\n"));
});

test("the server's refusals come in the console's language (Accept-Language)", async () => {
  await signIn("crm", "ana.lopez@crm.example");
  await page.selectOption("#lang", "fr");
  try {
    await page.click("#btn-new");
    await page.locator("#dlg-user[open]").waitFor();
    const record = { username: "pblanc", firstName: "Pia", lastName: "Blanc", email: "pia.blanc@crm.example", employeeId: "EMP-00077", organization: "acme", password: "Copper-Harbour-93!k" };
    for (const [k, v] of Object.entries(record)) await page.fill(`#f-${k}`, v);
    await page.locator("#user-save:not([disabled])").waitFor();
    await page.click("#user-save");
    const shown = await page.locator("#form-notes [data-server=refused]").textContent();
    // The same request asked in each language: the form shows the French answer.
    const ask = (lang) => page.evaluate(async ([body, lang]) => (await (await fetch("/api/v1/users", {
      method: "POST", headers: { "content-type": "application/json", "x-warden-csrf": "1", "accept-language": lang }, body: JSON.stringify(body),
    })).json()).deny.message, [record, lang]);
    const [fr, en] = [await ask("fr"), await ask("en")];
    assert.notEqual(fr, en);
    assert.equal(shown, fr);
    await page.click("#dlg-user [data-close]");
  } finally {
    await page.selectOption("#lang", "en");
  }
  assert.equal(errors.length, 0, errors.join("\n"));
});

// ------------------------------------------------------------------ roles, status, header and forms for people

// The list's roles cells: the text people read and the raw ids kept, by login.
const roleCells = () => page.locator("#users tbody tr").evaluateAll((trs) => Object.fromEntries(trs.map((tr) => {
  const td = tr.querySelector("td[data-col=roles]") ?? tr.children[3];
  return [tr.children[1].textContent, { text: td.textContent, ids: [...td.querySelectorAll("[data-role]")].map((x) => x.dataset.role) }];
})));

test("the list's Roles column shows the policy's role labels (raw ids kept), and sorts, searches and filters by them", async () => {
  await signIn("hr-platform", "hugo.renard@company.com");
  await language("fr");
  let cells = await roleCells();
  assert.deepEqual(cells["hugo.renard@company.com"], { text: "Administrateur RH", ids: ["hrAdmin"] });
  assert.deepEqual(cells["marc.dubois@company.com"], { text: "Manager", ids: ["manager"] });
  assert.deepEqual(cells["sophie.martin@company.com"], { text: "Salarié", ids: ["employee"] });
  assert.deepEqual(cells["sarah.martinez@company.com"], { text: "Directeur", ids: ["director"] });
  // Paul was deactivated above: his roles were removed.
  assert.deepEqual(cells["paul.petit@company.com"], { text: "—", ids: [] });
  assert.equal(await page.locator("#users tbody tr", { hasText: "hugo.renard@company.com" }).locator("[data-roles]").getAttribute("title"), "hrAdmin");
  // Sorted by what people read, both ways.
  const rolesColumn = async () => (await page.locator("#users tbody td[data-col=roles]").allTextContents());
  await page.click("#users th[data-sort=roles]");
  let shown = await rolesColumn();
  assert.deepEqual(shown, [...shown].sort((a, b) => a.localeCompare(b, "fr")));
  assert.equal(shown[0], "—");
  await page.click("#users th[data-sort=roles]");
  shown = await rolesColumn();
  assert.deepEqual(shown, [...shown].sort((a, b) => b.localeCompare(a, "fr")));
  await page.click("#users th[data-sort=name]");
  // The search finds a role by its label and by its id.
  for (const q of ["administrateur rh", "hrAdmin"]) {
    await page.fill("#search", q);
    assert.deepEqual(await logins(), ["hugo.renard@company.com"], q);
  }
  await page.fill("#search", "");
  await language("en");
  cells = await roleCells();
  assert.equal(cells["marc.dubois@company.com"].text, "People manager");
  // A role given by the policy's role field (the rental's account type) is shown and filtered.
  await signIn("rental-platform", "alice@rental.example");
  cells = await roleCells();
  assert.deepEqual(cells["alice@rental.example"], { text: "Administrator", ids: ["administrator"] });
  assert.deepEqual(cells["samir@rental.example"], { text: "Supplier", ids: ["supplier"] });
  await page.selectOption("#f-role", "administrator");
  assert.deepEqual(await logins(), ["alice@rental.example"]);
  await page.selectOption("#f-role", "");
  assert.equal(errors.length, 0, errors.join("\n"));
});

test("the status dialog dates the end in the reader's locale and names the roles it removes, raw values kept", async () => {
  // Signed in as Alice (rental). A temporary suspension: its end, as people read it.
  const ends = async (lang) => {
    await language(lang);
    await page.locator("#users tbody tr", { hasText: "samir@rental.example" }).locator("button").nth(1).click();
    await page.locator("#dlg-status[open]").waitFor();
    await page.selectOption("#st-to", "suspended");
    await page.fill("#st-reason", "documents to check");
    await page.fill("#st-days", "14");
    const li = page.locator("#st-verdict li[data-kind=scheduleExpiry]");
    await li.waitFor();
    const at = await li.getAttribute("data-at");
    const expected = await page.evaluate(([s, l]) => new Intl.DateTimeFormat(navigator.languages.find((x) => x.startsWith(l)) ?? l, { dateStyle: "medium", timeStyle: "short" }).format(new Date(s)), [at, lang]);
    const text = await li.textContent();
    assert.ok(text.endsWith(` ${expected}`), `${text} / ${expected}`);
    assert.ok(!text.includes(at.slice(0, 10)), text);
    const who = await page.locator("#status-who").textContent();
    await page.click("#dlg-status [data-close]");
    return { text, who };
  };
  assert.match((await ends("en")).text, /^the status ends automatically on /);
  const fr = await ends("fr");
  assert.match(fr.text, /^le statut prend fin automatiquement le /);
  assert.equal(fr.who, "Samir Haddad — Actif");
  // A deactivation removes roles: named by their labels.
  await signIn("hr-platform", "hugo.renard@company.com");
  for (const [lang, name] of [["fr", "Salarié"], ["en", "Employee"]]) {
    await language(lang);
    await page.locator("#users tbody tr", { hasText: "sophie.martin@company.com" }).locator("button").nth(1).click();
    await page.locator("#dlg-status[open]").waitFor();
    await page.selectOption("#st-to", "inactive");
    const li = page.locator("#st-verdict li[data-kind=removeRoles]");
    await li.waitFor();
    assert.match(await li.textContent(), new RegExp(`\\(${name}\\)$`));
    assert.equal(await li.getAttribute("data-roles"), "employee");
    await page.click("#dlg-status [data-close]");
  }
  assert.equal(errors.length, 0, errors.join("\n"));
});

test("the header lays out on clean lines in both languages, wide and narrow", async () => {
  // Signed in as Hugo (HR): his name, his login in its title.
  assert.equal(await page.locator("#who-name").textContent(), "Hugo Renard");
  assert.match(await page.locator("#who-name").getAttribute("title"), /hugo\.renard@company\.com/);
  try {
    for (const width of [1280, 800]) {
      await page.setViewportSize({ width, height: 860 });
      for (const lang of ["en", "fr"]) {
        await language(lang);
        const r = await page.evaluate(() => {
          const box = (el) => el.getBoundingClientRect();
          const mid = (el) => { const b = box(el); return b.top + b.height / 2; };
          // A text that wraps has more than one line box.
          const wrapped = [...document.querySelectorAll("header *")].flatMap((el) => [...el.childNodes])
            .filter((n) => n.nodeType === 3 && n.textContent.trim() && n.parentElement.offsetParent !== null && n.parentElement.closest("select") === null)
            .filter((n) => { const g = document.createRange(); g.selectNodeContents(n); return new Set([...g.getClientRects()].map((x) => Math.round(x.top))).size > 1; })
            .map((n) => n.textContent.trim());
          const header = document.querySelector("header");
          const misaligned = [...header.querySelectorAll("label")].filter((l) => Math.abs(mid(l.querySelector("span")) - mid(l.querySelector("select"))) > 4).map((l) => l.textContent.trim());
          const who = document.querySelector("#who");
          const pieces = [".brand", "#preset", "#lang", "#who"].map((s) => box(document.querySelector(s)));
          const overlap = pieces.some((a, i) => pieces.some((b, j) => i < j && a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom));
          const actions = [document.querySelector("#btn-import"), document.querySelector("#btn-new")].map(mid);
          return { wrapped, misaligned, overlap, overflow: header.scrollWidth > header.clientWidth, whoSplit: Math.abs(mid(document.querySelector("#who-name")) - mid(document.querySelector("#btn-signout"))) > 4,
            height: box(header).height, actionsApart: Math.abs(actions[0] - actions[1]) > 4 };
        });
        const at = `${lang} at ${width} px`;
        assert.deepEqual(r.wrapped, [], `wrapped texts, ${at}`);
        assert.deepEqual(r.misaligned, [], `labels beside their choices, ${at}`);
        assert.equal(r.overlap, false, `no overlap, ${at}`);
        assert.equal(r.overflow, false, `no overflow, ${at}`);
        assert.equal(r.whoSplit, false, `the name beside Sign out, ${at}`);
        assert.ok(r.height <= 90, `at most two rows (${r.height} px), ${at}`);
        assert.equal(r.actionsApart, false, `Import and New user together, ${at}`);
      }
    }
  } finally {
    await page.setViewportSize({ width: 1280, height: 860 });
    await language("en");
  }
  assert.equal(errors.length, 0, errors.join("\n"));
});

test("the user form names the role field's values and the referenced manager; a refused sign-in speaks the console's language", async () => {
  // HR (Hugo): Sophie's manager is shown by name under the id, and offered by name.
  const users = await serverUsers();
  const marc = users.find((u) => u.email === "marc.dubois@company.com");
  await language("fr");
  await page.locator("#users tbody tr", { hasText: "sophie.martin@company.com" }).locator("button", { hasText: "Modifier" }).click();
  await page.locator("#dlg-user[open]").waitFor();
  assert.equal(await page.inputValue("#f-manager"), marc.id);
  assert.equal(await page.locator("#r-manager").textContent(), "Marc Dubois");
  assert.equal(await page.locator("#r-manager [data-id]").getAttribute("data-id"), marc.id);
  assert.match(await page.locator(`#dl-manager option[value='${marc.id}']`).getAttribute("label"), /^Marc Dubois · marc\.dubois@company\.com$/);
  await page.click("#dlg-user [data-close]");
  // Rental (Alice): the account type, which gives a customer's or a supplier's role, by the
  // roles' labels (a staff account's roles are its own).
  await signIn("rental-platform", "alice@rental.example");
  await page.locator("#users tbody tr", { hasText: "samir@rental.example" }).locator("button", { hasText: "Modifier" }).click();
  await page.locator("#dlg-user[open]").waitFor();
  const options = await page.locator("#f-accountType option").evaluateAll((os) => os.map((o) => [o.value, o.textContent]));
  assert.deepEqual(options, [["", "—"], ["customer", "Client"], ["staff", "staff"], ["supplier", "Fournisseur"]]);
  assert.equal(await page.inputValue("#f-accountType"), "supplier");
  await page.click("#dlg-user [data-close]");
  // A wrong password, in French.
  await page.click("#btn-signout");
  await page.locator("#dlg-signin[open]").waitFor();
  await page.evaluate(() => { document.querySelector("#si-tenant").value = "rental-platform"; });
  await page.fill("#si-login", "alice@rental.example");
  await page.fill("#si-password", "not-her-password");
  await page.click("#si-submit");
  await page.waitForFunction(() => document.querySelector("#si-error").textContent !== "");
  assert.equal(await page.locator("#si-error").textContent(), "Identifiant ou mot de passe incorrect.");
  await page.fill("#si-password", PASSWORD);
  await page.click("#si-submit");
  await page.locator("#who:not([hidden])").waitFor();
  await page.waitForFunction(() => document.querySelectorAll("#users tbody tr").length > 0);
  await language("en");
  assert.equal(errors.length, 0, errors.join("\n"));
});

// ------------------------------------------------------------------ field access of roles and groups, the import preview's per-row verdicts

// An admin key of a tenant (the CLI, on the test server's database): for what only an
// admin key does (replace the policy, create an organisation).
function adminKey(tenant) {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, ["key", "create", "--data", data, "--tenant", tenant, "--role", "admin", "--name", "e2e"], { stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    p.stdout.on("data", (d) => { out += d; });
    p.on("exit", (code) => { const m = out.match(/wdn_[0-9a-f]+/); if (code === 0 && m) resolve(m[0]); else reject(new Error(`key create: ${code} ${out}`)); });
  });
}
async function asAdmin(key, method, path, body) {
  const res = await fetch(new URL(`/api/v1${path}`, base), {
    method, headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

test("roles and groups the policy locks or hides from the viewer are shown disabled or not at all, and never sent", async () => {
  const key = await adminKey("hr-platform");
  const original = (await asAdmin(key, "GET", "/policy")).document;
  const locked = structuredClone(original);
  // Only a super administrator changes roles or sees groups: Hugo (HR administrator, who
  // may assign roles) may not.
  locked.access.fieldAccess = { ...locked.access.fieldAccess, roles: { edit: ["superAdmin"] }, groups: { view: ["superAdmin"] } };
  await asAdmin(key, "PUT", "/policy", locked);
  const sent = [];
  const onRequest = (r) => { if (["PATCH", "POST"].includes(r.method()) && /\/api\/v1\/users(\/|$)/.test(new URL(r.url()).pathname)) sent.push(JSON.parse(r.postData() ?? "{}")); };
  try {
    await signIn("hr-platform", "hugo.renard@company.com");
    await language("en");
    await page.locator("#users tbody tr", { hasText: "sophie.martin@company.com" }).locator("button", { hasText: "Edit" }).first().click();
    await page.locator("#dlg-user[open]").waitFor();
    // What the server answers for Sophie: roles read-only, groups hidden.
    const fields = await page.evaluate(async (id) => (await (await fetch(`/api/v1/users/${id}`)).json()).fields,
      (await serverUsers()).find((u) => u.email === "sophie.martin@company.com").id);
    assert.ok(fields.readOnly.includes("roles") && fields.hidden.includes("groups"), JSON.stringify(fields));
    assert.equal(await page.locator("#access-choices [data-access=roles]").count(), 1);
    assert.equal(await page.locator("#access-choices [data-access=roles] input[value=employee]").isChecked(), true, "Sophie's role, shown");
    assert.equal(await page.locator("#access-choices [data-access=roles]").evaluate((f) => f.disabled), true, "the roles are shown, not offered");
    assert.equal(await page.locator("#access-choices [data-access=groups]").count(), 0, "no groups box: they are hidden from Hugo");
    // An edit sends what it changes, and neither kind.
    page.on("request", onRequest);
    await page.fill("#f-jobTitle", "Staff Software Engineer");
    await page.locator("#user-save:not([disabled])").waitFor();
    await page.click("#user-save");
    await page.locator("#dlg-user[open]").waitFor({ state: "detached" });
    assert.equal(sent.length, 1);
    assert.equal(sent[0].jobTitle, "Staff Software Engineer");
    assert.ok(!("roles" in sent[0]) && !("groups" in sent[0]), JSON.stringify(sent[0]));
    // A creation: the server judges its fields on the account as it would be created, and
    // says nothing before; the roles are offered, and its refusal speaks in the form.
    await page.click("#btn-new");
    await page.locator("#dlg-user[open]").waitFor();
    assert.equal(await page.locator("#access-choices [data-access=roles]").evaluate((f) => f.disabled), false);
    const marc = (await serverUsers()).find((u) => u.email === "marc.dubois@company.com");
    for (const [k, v] of Object.entries({ firstName: "Rita", lastName: "Vogel", email: "rita.vogel@company.com", jobTitle: "QA Engineer", manager: marc.id, organization: "company" })) await page.fill(`#f-${k}`, v);
    await page.check("#access-choices [data-access=roles] input[value=employee]");
    await page.locator("#user-save:not([disabled])").waitFor();
    await page.click("#user-save");
    await page.locator("#form-notes [data-server=refused]").waitFor();
    assert.match(await page.locator("#form-notes [data-server=refused]").textContent(), /roles/i);
    assert.deepEqual(sent[1].roles, ["employee"]);
    assert.equal((await serverUsers()).filter((u) => u.email === "rita.vogel@company.com").length, 0);
    await page.click("#dlg-user [data-close]");
  } finally {
    page.off("request", onRequest);
    await page.evaluate(() => document.querySelector("#dlg-user").close());
    await asAdmin(key, "PUT", "/policy", original);
  }
  // The policy restored, the boxes are back (Sophie's role unchanged by the edit).
  await page.locator("#users tbody tr", { hasText: "sophie.martin@company.com" }).locator("button", { hasText: "Edit" }).first().click();
  await page.locator("#dlg-user[open]").waitFor();
  assert.equal(await page.locator("#access-choices [data-access=groups]").count(), 1);
  assert.equal(await page.locator("#access-choices [data-access=roles]").evaluate((f) => f.disabled), false);
  await page.click("#dlg-user [data-close]");
  const sophie = (await serverUsers()).find((u) => u.email === "sophie.martin@company.com");
  assert.deepEqual([sophie.jobTitle, sophie.roles], ["Staff Software Engineer", ["employee"]]);
  assert.equal(errors.length, 0, errors.join("\n"));
});

test("the import preview marks exactly the rows the server refuses (a key in its own scope, unknown references, the actor's authorization), with the server's messages", async () => {
  // CRM: an employee id is unique within its company. Ana holds EMP-00001 in Acme; in
  // Globex it is free, but Ana, no super administrator, creates no account there. Initech
  // does not exist.
  await asAdmin(await adminKey("crm"), "POST", "/organizations", { id: "globex", name: "Globex" });
  await signIn("crm", "ana.lopez@crm.example");
  const ana = (await serverUsers()).find((u) => u.email === "ana.lopez@crm.example");
  await language("fr");
  // Each row gives its account a role: the CRM requires one, which the preview decides.
  const csv = [
    "firstName,lastName,email,username,organization,employeeId,password,roles",
    "Gail,Stone,gail.stone@crm.example,gstone,globex,EMP-00001,Kx8-Pelican-Ruby!,salesRep",
    "Abel,Stone,abel.stone@crm.example,astone,acme,EMP-00001,Kx8-Pelican-Ruby!,salesRep",
    "Ines,Stone,ines.stone@crm.example,istone,initech,EMP-00100,Kx8-Pelican-Ruby!,salesRep",
    "Bad,Row,not-an-email,brow,acme,EMP-00102,Kx8-Pelican-Ruby!,salesRep",
  ].join("\n");
  try {
    // The server's own preview, in French, to compare with what the console shows.
    const server = await page.evaluate(async (body) => (await (await fetch("/api/v1/imports?format=csv", {
      method: "POST", headers: { "x-warden-csrf": "1", "accept-language": "fr" }, body,
    })).json()).results, csv);
    assert.deepEqual(server.map((r) => r.verdict), ["refused", "refused", "refused", "invalid"], JSON.stringify(server));
    assert.equal(server[0].deny.code, "organization_scope", JSON.stringify(server[0]));
    await page.click("#btn-import");
    await page.setInputFiles("#imp-file", { name: "crm.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    await page.locator("#imp-table[data-source=server]").waitFor();
    const rows = await page.locator("#imp-table tbody tr").evaluateAll((trs) => trs.map((tr) => ({
      line: tr.querySelector("td")?.textContent,
      taken: tr.dataset.taken ?? "", refused: tr.dataset.refused ?? "", verdict: tr.querySelector("[data-verdict]")?.dataset.verdict,
      msgs: [...tr.querySelectorAll(".msg")].map((m) => ({ code: m.dataset.code, field: m.dataset.field, text: m.textContent, by: m.querySelector("[data-id]")?.dataset.id })),
    })));
    // Each row's line, as the server's preview gives it (rows the directory refuses too).
    assert.deepEqual(server.map((r) => r.line), [2, 3, 4, 5], JSON.stringify(server));
    assert.deepEqual(rows.map((r) => r.line), ["2", "3", "4", "5"]);
    assert.deepEqual(rows.map((r) => r.taken), ["", "true", "", ""], "only Acme's EMP-00001 is taken");
    assert.deepEqual(rows.map((r) => r.refused), ["true", "true", "true", ""]);
    assert.deepEqual(rows.map((r) => r.verdict), ["refused", "taken", "refused", "rowInvalid"]);
    // Gail's refusal is the commit's authorization, in the server's words.
    assert.equal(rows[0].msgs.length, 1, JSON.stringify(rows[0]));
    assert.ok(rows[0].msgs[0].text.includes(server[0].deny.message), `${rows[0].msgs[0].text} / ${server[0].deny.message}`);
    // The duplicate, held by Ana, and the unknown organisation: the server's messages.
    const dup = server[1].violations[0], unknown = server[2].violations[0];
    assert.equal(rows[1].msgs.length, 1);
    assert.equal(rows[1].msgs[0].code, "duplicate");
    assert.equal(rows[1].msgs[0].field, "employeeId");
    assert.equal(rows[1].msgs[0].by, ana.id);
    assert.ok(rows[1].msgs[0].text.includes(dup.message), `${rows[1].msgs[0].text} / ${dup.message}`);
    assert.equal(rows[2].msgs.length, 1);
    assert.equal(rows[2].msgs[0].code, "unknown_reference");
    assert.equal(rows[2].msgs[0].field, "organization");
    assert.ok(rows[2].msgs[0].text.endsWith(unknown.message), `${rows[2].msgs[0].text} / ${unknown.message}`);
    assert.match(unknown.message, /initech.*n'existe pas/);
    assert.equal(await page.locator("#imp-table tbody tr:nth-child(3) [data-verdict]").textContent(), "Refusée par l'import");
    // The summary: no row to import of the three valid in the file, one taken, two
    // refused for another reason.
    assert.equal(await page.locator("[data-imp=valid] b").textContent(), "0");
    assert.equal(await page.locator("[data-imp=valid]").getAttribute("data-kernel-valid"), "3");
    assert.equal(await page.locator("[data-imp=taken] b").textContent(), "1");
    assert.equal(await page.locator("[data-imp=refusedOther] b").textContent(), "2");
    // The note says what the preview leaves to the commit (the plugins are asked by the
    // preview), not that references go unchecked.
    assert.equal(await page.locator("#imp-preview [data-note=references]").count(), 0);
    assert.match(await page.locator("#imp-preview [data-note=commit]").textContent(), /les plugins du tenant\. Décidé seulement à l'import : ce que d'autres changent/);
    // Only the rows with problems: the refused and the invalid ones, all four here.
    await page.check("#imp-preview .pager input[type=checkbox]");
    assert.equal(await page.locator("#imp-table tbody tr").count(), 4);
    await page.click("#dlg-import [data-close]");
  } finally {
    await language("en");
  }
  assert.equal(errors.length, 0, errors.join("\n"));
});

test("the status dialog shows the server's own verdict: the last approver is kept, with the facts only the server holds", async () => {
  await signIn("prs-procurement", "padmin");
  const open = async (login) => {
    const row = page.locator("#users tbody tr", { hasText: login });
    await row.locator("button", { hasText: "Change status" }).click();
    await page.locator("#dlg-status[open]").waitFor();
    await page.selectOption("#st-to", "inactive");
    await page.fill("#st-reason", "left the company");
  };
  // msmith is the tenant's only approver: the server refuses, and says why.
  await open("msmith");
  await page.locator("#st-verdict.deny b").waitFor();
  const denied = await page.locator("#st-verdict").textContent();
  assert.ok(!/facts/.test(denied), `no missing-facts hint: ${denied}`);
  const expected = await page.evaluate(async () => {
    const users = (await (await fetch("/api/v1/users?limit=200")).json()).users;
    const m = users.find((u) => u.username === "msmith");
    const r = await fetch(`/api/v1/users/${m.id}/status?dryRun=true`, { method: "POST", headers: { "content-type": "application/json", "x-warden-csrf": "1" }, body: JSON.stringify({ to: "inactive", reason: "left the company" }) });
    return (await r.json()).deny.message;
  });
  assert.equal(await page.locator("#st-verdict b").textContent(), expected);
  assert.equal(await page.isDisabled("#st-apply"), true);
  await page.click("#dlg-status [data-close]");
  // jdoe is not; but the approvals waiting on jdoe are the caller's fact (the directory
  // keeps no approvals): the server asks for it, the dialog asks the administrator, and
  // then allows, with what will follow; nothing written until applied.
  await open("jdoe");
  await page.locator("#st-fact-pendingApprovals").waitFor();
  assert.equal(await page.isDisabled("#st-apply"), true);
  await page.fill("#st-fact-pendingApprovals", "2");
  await page.locator("#st-verdict.allow li").first().waitFor();
  assert.equal(await page.locator("#st-verdict li[data-kind=reassignApprovals]").textContent(), "pending approvals must be reassigned (2)");
  assert.equal(await page.isDisabled("#st-apply"), false);
  const stored = await page.evaluate(async () => (await (await fetch("/api/v1/users?limit=200")).json()).users.find((u) => u.username === "jdoe").status);
  assert.equal(stored, "active");
  await page.click("#dlg-status [data-close]");
  assert.equal(errors.length, 0, errors.join("\n"));
});

test("a deletion the server refuses for a fact only the caller knows asks for it, then goes on", async () => {
  // The rental deletion is blocked by active bookings, which the directory does not hold:
  // the server refuses for the missing fact, the console asks the administrator.
  await signIn("rental-platform", "alice@rental.example");
  const login = "nina@rental.example";
  const created = await page.evaluate(async (email) => {
    const r = await fetch("/api/v1/users", { method: "POST", headers: { "content-type": "application/json", "x-warden-csrf": "1" },
      body: JSON.stringify({ firstName: "Nina", lastName: "Roux", email, phone: "+33 6 12 34 56 81", accountType: "customer", birthdate: "1992-03-04", organization: "rental", location: "paris", password: "Quartz-Lantern-Meadow-47!" }) });
    return [r.status, await r.text()];
  }, login);
  assert.equal(created[0], 201, created[1]);
  await signIn("rental-platform", "alice@rental.example");
  const row = () => page.locator("#users tbody tr", { hasText: login });
  await row().waitFor();
  const asked = [];
  let answer = "1";
  page.removeAllListeners("dialog");
  page.on("dialog", (d) => { asked.push([d.type(), d.message()]); d.accept(d.type() === "prompt" ? answer : undefined); });
  try {
    // One booking: asked, then refused by the blocker, and the user stays.
    await row().locator("button", { hasText: "Delete" }).click();
    for (let i = 0; i < 50 && asked.length < 3; i++) await page.waitForTimeout(100);
    assert.deepEqual(asked.map(([type]) => type), ["confirm", "prompt", "alert"], JSON.stringify(asked));
    assert.equal(asked[1][1], "Active bookings of this user");
    assert.ok(!/facts/.test(asked[2][1]), `the blocker's own refusal: ${asked[2][1]}`);
    assert.equal(await row().count(), 1);
    // None: deleted.
    asked.length = 0; answer = "0";
    await row().locator("button", { hasText: "Delete" }).click();
    await page.waitForFunction((l) => ![...document.querySelectorAll("#users tbody tr")].some((tr) => tr.textContent.includes(l)), login);
    assert.deepEqual(asked.map(([type]) => type), ["confirm", "prompt"], JSON.stringify(asked));
  } finally {
    page.removeAllListeners("dialog");
    page.on("dialog", (d) => d.accept());
  }
  assert.equal(errors.length, 0, errors.join("\n"));
});

test("on a phone-sized screen the page does not scroll sideways: the list scrolls in its own box, and forms are one column", async () => {
  await signIn("hr-platform", "hugo.renard@company.com");
  await page.setViewportSize({ width: 375, height: 740 });
  try {
    const widths = await page.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      view: document.documentElement.clientWidth,
      wrap: document.querySelector(".table-wrap").clientWidth,
      table: document.querySelector("#users").scrollWidth,
    }));
    assert.ok(widths.page <= widths.view, JSON.stringify(widths));
    assert.ok(widths.wrap <= widths.view, JSON.stringify(widths));
    // The list itself may be wider: it scrolls within its box.
    const columns = await page.evaluate(() => getComputedStyle(document.querySelector(".grid")).gridTemplateColumns.split(" ").length);
    assert.equal(columns, 1);
  } finally {
    await page.setViewportSize({ width: 1280, height: 860 });
  }
  assert.equal(errors.length, 0, errors.join("\n"));
});
