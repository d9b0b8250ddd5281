// The admin console: every decision comes from the Warden wasm module; this file only
// renders them. Data access goes through store.js.
// Two builds of the same core: the user forms (per-field verdicts, the password checklist
// and score, the messages, the uniqueness checks) run on the forms build (pkg/forms/,
// `warden-wasm/forms`); the list, statistics, access, lifecycle and import on the full web
// build (pkg/). Both compile the one policy document the full build gives.
import init, { Warden, Blocklist, presets, renderMessage as kernelMessage } from "../pkg/warden_wasm.js";
import initForms, { Warden as FormsWarden, Blocklist as FormsBlocklist, renderMessage, installUnicodeTables } from "../pkg/forms/warden_wasm_forms.js";
import * as store from "./store.js";
import { STRINGS } from "./i18n.js";

const $ = (s, el = document) => el.querySelector(s);
const h = (tag, attrs = {}, ...kids) => {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const kid of kids.flat()) if (kid !== null && kid !== undefined && kid !== false) el.append(kid);
  return el;
};
const today = () => new Date().toISOString().slice(0, 10);
const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");

const state = { preset: localStorage.getItem("warden.preset") || "production-planner-pro", lang: localStorage.getItem("warden.lang") || "en",
  warden: null, forms: null /* Promise of the forms build's Warden */, doc: null, users: [], orgs: [], sort: { key: "name", dir: 1 }, blocklist: null, formsBlocklist: null, view: "list" };
const onServer = () => store.mode() === "server";
// On a server, the actions the kernel allows the signed-in user on a listed user.
const may = (u, action) => !onServer() || (u.actions ?? []).includes(action);
const t = (k) => STRINGS[state.lang][k] ?? STRINGS.en[k] ?? k;
const label = (spec, name) => spec?.label?.[state.lang] ?? spec?.label?.en ?? name;
const statusLabel = (s) => label(state.doc?.lifecycle?.statuses?.[s], s);

// ------------------------------------------------------------------ values for people
// Codes and ids as people read them (labels of the policy, names of the users the console
// knows, dates in the reader's locale); the raw value stays in `data-*` and `title`.
const locale = () => (navigator.languages ?? []).find((l) => l.toLowerCase().split("-")[0] === state.lang) ?? state.lang;
const fmtDateTime = (d) => new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short" }).format(d);
// A calendar date (`YYYY-MM-DD`): the same day wherever the reader is.
const fmtDate = (iso) => {
  const d = /^\d{4}-\d{2}-\d{2}$/.test(iso) ? new Date(`${iso}T00:00:00Z`) : null;
  return d && !Number.isNaN(d.getTime()) ? new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeZone: "UTC" }).format(d) : iso;
};
const knownUser = (id) => state.users.find((u) => u.id === id) ?? (store.session()?.user?.id === id ? store.session().user : null);
const userName = (u) => `${u.firstName ?? ""} ${u.lastName ?? ""}`.trim() || u.username || u.email || u.id;
const loginOf = (u) => u.email ?? u.username ?? "";
// A user id as the user's name when the console knows the user (else the id).
function userRef(id, attrs = {}) {
  if (id === "system") return h("span", { class: "who", "data-id": id, title: id, ...attrs }, t("actorSystem"));
  const u = knownUser(id);
  return h("span", { class: "who", "data-id": id, title: u ? [loginOf(u), id].filter(Boolean).join(" · ") : id, ...attrs }, u ? userName(u) : id);
}
const roleLabel = (r) => (r === "superAdmin" ? label(state.doc.fields?.superAdmin, t("superAdmin")) : label(state.doc.access?.roles?.[r], r));
const groupLabel = (g) => label(state.doc.access?.groups?.[g], g);
// The roles a user holds, as ids: super admin first, the granted roles, then the one its
// role field gives (e.g. `accountType`), when that value is one of the policy's roles.
function rolesOf(u) {
  const rf = state.doc.access?.roleField, roles = state.doc.access?.roles ?? {};
  const ids = (u.superAdmin ? ["superAdmin"] : []).concat(u.roles ?? []);
  if (rf && typeof u[rf] === "string" && Object.hasOwn(roles, u[rf])) ids.push(u[rf]);
  return [...new Set(ids)];
}
// An enum field's value for people: the policy's labels of statuses and of roles.
const enumLabel = (name, v) => (name === "status" ? statusLabel(v) : name === state.doc.access?.roleField && state.doc.access?.roles?.[v] ? roleLabel(v) : v);
const actionLabel = (a) => t("auditActions")[a] ?? a;
// A field's label: the policy's, else the console's for the directory's own attributes.
const OWN = new Set(["roles", "groups", "status", "statusUntil", "organization"]);
const fieldLabel = (n) => label(state.doc.fields?.[n], OWN.has(n) ? t(n) : n);
// A field's value for people, in an element that keeps the raw value.
function valueOf(name, v) {
  const spec = state.doc.fields?.[name];
  const raw = v === null || v === undefined ? "" : Array.isArray(v) ? v.join(", ") : typeof v === "object" ? JSON.stringify(v) : String(v);
  const el = (text) => h("span", { class: "val", "data-value": raw, title: raw && text !== raw ? raw : undefined }, text);
  const empty = v === null || v === undefined || v === "" || (Array.isArray(v) && v.length === 0);
  if (name === managerField()) return empty ? el(t("noManager")) : userRef(String(v), { class: "val who", "data-value": raw });
  if (empty) return el("—");
  if (name === "status") return el(statusLabel(v));
  if (name === "roles" || name === state.doc.access?.roleField) return el([].concat(v).map(roleLabel).join(", "));
  if (name === "groups") return el([].concat(v).map(groupLabel).join(", "));
  if (typeof v === "boolean") return el(t(v ? "yes" : "no"));
  if (spec?.type === "reference" && typeof v === "string" && knownUser(v)) return userRef(v, { class: "val who", "data-value": raw });
  if (spec?.type === "date") return el(fmtDate(String(v)));
  if (name === "statusUntil" && !Number.isNaN(new Date(v).getTime())) return el(fmtDateTime(new Date(v)));
  return el(raw);
}
// An import report's violation in the console's language. The server answers in that
// language (store.js sends Accept-Language), but a commit's report is stored, and answered,
// in English (anyone may read it back later), and a preview drawn again after the console's
// language changed is in the language it was asked in: the kernel renders the message again
// from its code and params. A tenant's own message (one no language of the kernel gives)
// stays as it is. Other server answers (a refused save, a denial) are shown as they come.
function messageOf(v) {
  if (!v.code || v.paramsOmitted) return v.message ?? v.code ?? "";
  try {
    const params = v.params ?? {};
    if (v.message && !Object.keys(STRINGS).some((l) => kernelMessage(v.code, params, l) === v.message)) return v.message;
    return kernelMessage(v.code, params, state.lang);
  } catch { return v.message ?? v.code; }
}

// The forms build is off the list's critical path: fetched once the list is shown (or when
// a form opens first), and a form waits for it (openUser), the list does not.
let formsInit = null;
// With its Unicode tables (an asset of the forms build): names, e-mail domains and the
// password list hold non-ASCII text, which the forms build refuses until they are installed.
// A failed fetch is not kept: the next form asks again.
const fetchText = (url) =>
  fetch(url).then((r) => {
    if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
    return r.text();
  });
const formsModule = () =>
  (formsInit ??= Promise.all([initForms(), fetchText(new URL("../pkg/forms/unicode-tables.txt", import.meta.url))])
    .then(([, tables]) => installUnicodeTables(tables))
    .catch((err) => {
      formsInit = null;
      throw err;
    }));
// The forms build's Warden for the current policy (a Promise, made once per policy).
function formsWarden() {
  // The same policy document, compiled by the forms build (its text taken now: the
  // document the list was drawn with).
  if (!state.forms) {
    const text = JSON.stringify(state.doc);
    const forms = (state.forms = formsModule()
      .then(async () => {
        const f = new FormsWarden(text);
        return f.needsBlocklist ? f.withBlocklist(await formsBlocklist()) : f;
      })
      .catch((err) => {
        if (state.forms === forms) state.forms = null;
        throw err;
      }));
  }
  return state.forms;
}

// The common-password list, fetched once, then read by each build that needs it.
let listText = null;
const blocklistTextOnce = () =>
  (listText ??= fetchText(new URL("../pkg/common-passwords.txt", import.meta.url)).catch((err) => {
    listText = null;
    throw err;
  }));
async function blocklist() {
  state.blocklist ??= new Blocklist(await blocklistTextOnce());
  return state.blocklist;
}
async function formsBlocklist() {
  state.formsBlocklist ??= new FormsBlocklist(await blocklistTextOnce());
  return state.formsBlocklist;
}

async function loadPolicy(name) {
  state.preset = name;
  localStorage.setItem("warden.preset", name);
  let w = Warden.fromPreset(name);
  if (w.needsBlocklist) w = w.withBlocklist(await blocklist());
  state.warden = w;
  state.doc = w.document();
  state.forms = null;
}

async function loadPreset(name) {
  await loadPolicy(name);
  await reload();
}

async function reload() {
  state.users = await store.listUsers(state.preset);
  state.orgs = await store.organizations(state.preset);
  renderAll();
}

// ------------------------------------------------------------------ list, filters, stats
function renderStatic() {
  document.documentElement.lang = state.lang;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of document.querySelectorAll("[data-i18n-aria]")) el.setAttribute("aria-label", t(el.dataset.i18nAria));
  document.title = t("title");
  renderFileName();
}

function fillSelect(sel, first, values, fmt = (v) => v) {
  const cur = sel.value;
  sel.replaceChildren(h("option", { value: "" }, first), ...values.map((v) => h("option", { value: v }, fmt(v))));
  sel.value = values.includes(cur) ? cur : "";
}

function renderAll() {
  renderStatic();
  // On a server, what the signed-in user may create: the kernel's scope of the policy's
  // create action (nobody: no New user, no Import, which the server would refuse).
  const createAction = state.doc.access?.createAction;
  // Signed out on a server: nothing may be created (the server would refuse it).
  let mayCreate = !onServer() || Boolean(store.session());
  if (onServer() && createAction && store.session()) {
    try {
      mayCreate = state.warden.scope({ actor: store.currentActor(), action: createAction, now: now() }).filter?.kind !== "none";
    } catch { mayCreate = true; }
  }
  $("#btn-new").hidden = !mayCreate;
  $("#btn-import").hidden = !mayCreate;
  const statuses = Object.keys(state.doc.lifecycle?.statuses ?? { active: {}, inactive: {} });
  fillSelect($("#f-status"), t("allStatuses"), statuses, statusLabel);
  fillSelect($("#f-org"), t("allOrgs"), state.orgs);
  const roles = Object.keys(state.doc.access?.roles ?? {});
  fillSelect($("#f-role"), t("allRoles"), ["superAdmin", ...roles], (r) => (r === "superAdmin" ? t("superAdmins") : roleLabel(r)));
  renderStats();
  renderViewChoice();
  renderTable();
  $("#loading").hidden = true;
}

function renderStats() {
  const s = state.warden.statistics({ accounts: state.users.map(store.accountOf), now: now() });
  const card = (k, v) => h("div", { class: "card", "data-stat": k }, h("b", {}, String(v)), h("span", {}, t(k)));
  $("#stats").replaceChildren(card("total", s.total), card("active", s.active), card("superAdmins", s.superAdmins), card("organizations", s.organizations));
}

// The list's columns: each one's text (what people read, and what it sorts by) and, for
// some, a cell that keeps the raw codes in `data-*` and `title`.
const COLS = [
  ["name", (u) => `${u.lastName ?? ""} ${u.firstName ?? ""}`.trim()],
  ["login", (u) => u.email ?? u.username ?? ""],
  ["organization", (u) => u.organization ?? ""],
  ["roles", (u) => rolesOf(u).map(roleLabel).join(", "), (u) => {
    const ids = rolesOf(u);
    if (!ids.length) return "—";
    return h("span", { class: "roles", "data-roles": ids.join(" "), title: ids.join(", ") },
      ids.flatMap((r, i) => [i ? ", " : null, h("span", { class: "role", "data-role": r }, roleLabel(r))]));
  }],
  ["status", (u) => statusLabel(u.status ?? "active"), (u) => {
    const st = u.status ?? "active";
    return h("span", { class: `badge ${st}`, "data-status": st, title: st }, statusLabel(st));
  }],
];
// What the search box matches in a user: its text values, its roles and status by id and
// by label (in the console's language).
const searchable = (u) => Object.values(u).filter((v) => typeof v === "string")
  .concat(rolesOf(u), rolesOf(u).map(roleLabel), statusLabel(u.status ?? "active"));

// ------------------------------------------------------------------ manager tree and N-1 view
// The field holding a user's manager, when the policy has a manager relation (R001-03).
const managerField = () => state.doc.access?.managerField ?? (state.doc.fields?.manager ? "manager" : null);
const me = () => (onServer() ? store.session()?.user?.id : null);

function renderViewChoice() {
  const sel = $("#view");
  sel.hidden = !managerField();
  // "My N-1" needs a signed-in user.
  sel.querySelector("option[value=n1]").hidden = !me();
  if (sel.hidden || (state.view === "n1" && !me())) state.view = "list";
  sel.value = state.view;
}

// The users the list shows: on a server already the kernel's scope; the N-1 view keeps the
// signed-in user's direct reports among them.
function shownUsers() {
  const mf = managerField();
  if (state.view === "n1" && mf) return state.users.filter((u) => u[mf] === me());
  return state.users;
}

function renderTree() {
  const mf = managerField();
  const ids = new Set(state.users.map((u) => u.id));
  const children = new Map();
  for (const u of state.users) {
    // A user whose manager is not among the users the viewer may see starts a tree.
    const m = ids.has(u[mf]) ? u[mf] : null;
    if (!children.has(m)) children.set(m, []);
    children.get(m).push(u);
  }
  const name = (u) => `${u.firstName ?? u.username ?? u.id} ${u.lastName ?? ""}`.trim();
  const seen = new Set();
  const branch = (parent) => h("ul", {}, (children.get(parent) ?? []).sort((a, b) => name(a).localeCompare(name(b), state.lang)).map((u) => {
    if (seen.has(u.id)) return null;
    seen.add(u.id);
    return h("li", { "data-id": u.id, "data-manager": u[mf] ?? "" },
      h("span", { class: "node" }, h("b", {}, name(u)), h("span", { class: "muted" }, u.jobTitle ?? u.email ?? u.username ?? ""),
        h("span", { class: `badge ${u.status ?? "active"}` }, statusLabel(u.status ?? "active"))),
      children.has(u.id) ? branch(u.id) : null);
  }));
  $("#tree").replaceChildren(branch(null));
}

function renderTable() {
  const tree = state.view === "tree" && !!managerField();
  $("#tree").hidden = !tree;
  $("#users").hidden = tree;
  if (tree) { renderTree(); $("#empty").hidden = state.users.length > 0; return; }
  const q = $("#search").value.trim().toLowerCase();
  const fs = $("#f-status").value, fo = $("#f-org").value, fr = $("#f-role").value;
  const rows = shownUsers().filter((u) =>
    (!q || searchable(u).some((v) => v.toLowerCase().includes(q))) &&
    (!fs || (u.status ?? "active") === fs) && (!fo || u.organization === fo) &&
    (!fr || rolesOf(u).includes(fr)));
  const [key, get] = COLS.find(([k]) => k === state.sort.key) ?? COLS[0];
  rows.sort((a, b) => get(a).localeCompare(get(b), state.lang) * state.sort.dir);
  $("#users thead").replaceChildren(h("tr", {}, COLS.map(([k]) => h("th", {
    "data-sort": k, class: k === key ? (state.sort.dir > 0 ? "asc" : "desc") : undefined,
    onclick: () => { state.sort = { key: k, dir: state.sort.key === k ? -state.sort.dir : 1 }; renderTable(); },
  }, t(k))), h("th", {}, "")));
  $("#users tbody").replaceChildren(...rows.map((u) => h("tr", { "data-id": u.id },
    COLS.map(([k, text, cell]) => h("td", { "data-col": k }, cell ? cell(u) : text(u) || "—")),
    h("td", {}, may(u, "users.update") ? h("button", { class: "link", onclick: () => openUser(u) }, t("edit")) : null,
      may(u, "users.status") ? h("button", { class: "link", onclick: () => openStatus(u) }, t("changeStatus")) : null,
      onServer() ? h("button", { class: "link", "data-action": "details", onclick: () => openDetails(u) }, t("details")) : null,
      onServer() ? h("button", { class: "link", "data-action": "history", onclick: () => openHistory(u) }, t("history")) : null,
      onServer() && state.doc.lifecycle?.deletion && may(u, "users.delete") ? h("button", { class: "link", "data-action": "delete", onclick: () => removeUser(u) }, t("delete")) : null))));
  $("#empty").hidden = rows.length > 0;
}

// ------------------------------------------------------------------ create / edit form
let form = null; // { user, mode, touched: Set, decision }

function inputFor(name, spec) {
  const id = `f-${name}`;
  const common = { id, name, "data-field": name };
  switch (spec.type) {
    case "enum": return h("select", common, h("option", { value: "" }, "—"), (spec.values ?? []).map((v) => h("option", { value: v, title: v }, enumLabel(name, v))));
    case "boolean": return h("input", { ...common, type: "checkbox" });
    case "password": return h("input", { ...common, type: "password", autocomplete: "new-password" });
    case "email": return h("input", { ...common, type: "email", autocomplete: "off" });
    case "phone": return h("input", { ...common, type: "tel" });
    case "date": return h("input", { ...common, type: "date" });
    case "url": return h("input", { ...common, type: "url" });
    case "reference": return h("input", { ...common, list: `dl-${name}` });
    default: return h("input", { ...common, type: "text" });
  }
}

async function openUser(user) {
  const mode = user ? "update" : "create";
  // On a server, what the kernel lets the signed-in user see and change of this user: a
  // hidden field has no input, a read-only one is shown disabled.
  let access = null, permissions = null;
  if (user && onServer()) {
    try {
      const read = await store.readUser(user.id);
      user = read.user;
      access = read.fields;
      permissions = read.permissions ?? [];
    } catch (err) { window.alert(err.message); return; }
  }
  const hidden = new Set(access?.hidden ?? []), readOnly = new Set(access?.readOnly ?? []);
  let warden;
  try {
    warden = await formsWarden();
  } catch (err) { window.alert(err.message); return; }
  form = { user, mode, warden, touched: new Set(), decision: null };
  $("#user-title").textContent = t(user ? "editUser" : "createUser");
  const fields = Object.entries(state.doc.fields ?? {}).filter(([n, s]) => n !== "id" && n !== "status" && !s.derivedFrom && !hidden.has(n));
  const orgs = state.orgs, ids = state.users.map((u) => u.id);
  $("#fields").replaceChildren(...fields.map(([name, spec]) => {
    const input = inputFor(name, spec);
    if (user && user[name] !== undefined && user[name] !== null && spec.type !== "password") {
      if (spec.type === "boolean") input.checked = !!user[name]; else input.value = user[name];
    }
    if (readOnly.has(name)) { input.disabled = true; input.dataset.readOnly = "true"; }
    input.addEventListener("input", () => { form.touched.add(name); validateForm(); });
    input.addEventListener("blur", () => { form.touched.add(name); validateForm(); });
    const extra = [];
    if (spec.type === "reference") {
      // A user reference: the users by name in the list, and the chosen one's name under it.
      extra.push(h("datalist", { id: `dl-${name}` }, (name === "organization" ? orgs : ids).map((v) => {
        const u = name === "organization" ? null : knownUser(v);
        return h("option", { value: v, label: u ? [userName(u), loginOf(u)].filter(Boolean).join(" · ") : undefined });
      })));
      if (name !== "organization") {
        const who = h("div", { class: "msg muted ref-name", id: `r-${name}` });
        const show = () => {
          const u = input.value ? knownUser(input.value) : null;
          who.replaceChildren(u ? userRef(u.id) : "");
        };
        input.addEventListener("input", show);
        show();
        extra.push(who);
      }
    }
    if (spec.type === "password") {
      if (user) extra.push(h("div", { class: "msg muted" }, t("keepPassword")));
      extra.push(h("div", { class: "meter", id: "pw-meter" }, h("i")), h("ul", { class: "checklist", id: "pw-checklist" }));
    }
    const req = spec.required && !spec.derivedFrom && !(spec.type === "password" && user);
    return h("label", { class: `field${req ? " req" : ""}`, "data-field": name }, h("span", {}, label(spec, name)), input, ...extra, h("div", { id: `m-${name}` }));
  }));
  // One's own password or email, changed by the edit: the current password too, as the
  // server asks it (the email is where a password reset is sent).
  const self = !!user && onServer() && user.id === store.session()?.user?.id;
  if (self && fields.some(([n, s]) => s.type === "password" || n === "email")) {
    $("#fields").append(h("label", { class: "field", "data-field": "currentPassword" }, h("span", {}, t("currentPassword")),
      h("input", { id: "f-currentPassword", type: "password", autocomplete: "current-password" })));
  }
  $("#access-choices").replaceChildren(...accessChoices(user, permissions, access));
  $("#form-notes").replaceChildren();
  validateForm();
  $("#dlg-user").showModal();
}

// Roles and manual group memberships: not fields of the record (validation does not see
// them) but grants, which the server's kernel decides on save (who may grant which role,
// forbidden combinations, the minimum of active roles). Offered: the policy's active roles
// and manual groups, and any the user holds already (so that they can be taken away).
// On an edit, the server's `fields` for this viewer also govern them (`access.fieldAccess`
// names them `roles` and `groups`): a hidden one has no box, a read-only one is shown
// disabled; neither is ever sent. A creation's field access is judged by the server on the
// account as it would be created (its organisation, its manager), and no endpoint tells it
// before: a new user's boxes are offered, and the server's refusal speaks.
function accessChoices(user, permissions, access) {
  const acc = state.doc.access ?? {};
  const hidden = new Set(access?.hidden ?? []), readOnly = new Set(access?.readOnly ?? []);
  // Without the policy's assign action on this user the roles are shown, not offered.
  const assign = acc.assignAction;
  const fixed = !!(permissions && assign && !permissions.includes(assign));
  const box = (kind, entries, held, disabled) => {
    if (hidden.has(kind)) return null;
    const shown = entries.filter(([id, spec]) => spec.active !== false || held.includes(id));
    if (shown.length === 0) return null;
    const locked = disabled || readOnly.has(kind);
    return h("fieldset", { class: "choices", "data-access": kind, disabled: locked, "data-read-only": readOnly.has(kind) ? "true" : undefined },
      h("legend", {}, t(kind)),
      shown.map(([id, spec]) => h("label", { class: "choice" },
        h("input", { type: "checkbox", value: id, checked: held.includes(id), "aria-label": label(spec, id) }),
        h("span", {}, label(spec, id)))));
  };
  const manual = Object.entries(acc.groups ?? {}).filter(([, g]) => !g.rule);
  return [
    box("roles", Object.entries(acc.roles ?? {}), user?.roles ?? [], fixed),
    box("groups", manual, user?.groups ?? [], false),
  ].filter(Boolean);
}

// The roles and groups the form's boxes hold: `{ roles, groups }`, each only when its box
// is shown and enabled (a kind the viewer may not see or change is never sent) and, for an
// edit, when it changes the user's. Groups the form does not offer (dynamic ones) are kept
// as they are.
function readAccessChoices() {
  const out = {};
  for (const kind of ["roles", "groups"]) {
    const set = document.querySelector(`#access-choices [data-access=${kind}]`);
    if (!set || set.disabled) continue;
    const offered = [...set.querySelectorAll("input[type=checkbox]")];
    const chosen = offered.filter((b) => b.checked).map((b) => b.value);
    const offeredIds = new Set(offered.map((b) => b.value));
    const before = form.user?.[kind] ?? [];
    const next = before.filter((x) => !offeredIds.has(x)).concat(chosen);
    const same = next.length === before.length && next.every((x) => before.includes(x));
    if (!form.user ? next.length > 0 : !same) out[kind] = next;
  }
  return out;
}

function readForm() {
  const rec = {};
  for (const [name, spec] of Object.entries(state.doc.fields ?? {})) {
    const el = document.getElementById(`f-${name}`);
    if (!el) continue;
    if (spec.type === "boolean") { if (el.checked || (form.user && form.user[name] !== undefined)) rec[name] = el.checked; continue; }
    const v = el.value;
    if (v !== "") rec[name] = v;
    else if (spec.nullable) rec[name] = null;
    else if (spec.type === "password" && form.mode === "update") rec[name] = "";
  }
  // The status is not a form field (it changes through transitions): the record carries
  // the stored one, or the lifecycle's initial status for a new user.
  if (state.doc.fields?.status && rec.status === undefined) rec.status = form.user?.status ?? state.doc.lifecycle?.initial ?? "active";
  if (form.user) rec.id = form.user.id;
  return rec;
}

// The form's verdicts, from the forms build (form.warden).
function validateForm(showAll = false) {
  const w = form.warden, lang = state.lang, rec = readForm();
  const input = { user: rec, mode: form.mode, today: today() };
  const first = w.validate(input, lang);
  const facts = w.answerFacts(first.checks, state.users, { selfId: form.user?.id, known: { organization: state.orgs } });
  const d = w.validate({ ...input, facts }, lang);
  form.decision = d;
  const fieldNames = new Set(Object.keys(state.doc.fields ?? {}));
  const notes = [];
  for (const name of fieldNames) {
    const box = document.getElementById(`m-${name}`);
    if (!box) continue;
    const show = showAll || form.touched.has(name);
    // Password rules already in the checklist are not repeated under the field.
    const listed = new Set((d.password?.checklist ?? []).map((c) => c.code));
    const vs = d.violations.filter((v) => v.path[0] === name && (show || v.code === "duplicate") && !(name === "password" && listed.has(v.code)));
    box.replaceChildren(...vs.map((v) => h("div", { class: `msg ${v.severity}`, "data-code": v.code }, v.message,
      v.code === "duplicate" && v.params?.suggestion ? suggestion(v) : null)));
    box.closest(".field")?.classList.toggle("has-error", show && d.violations.some((v) => v.path[0] === name && v.severity === "error"));
  }
  for (const v of d.violations) if (!fieldNames.has(String(v.path[0])) && (showAll || v.severity === "warning")) notes.push(h("div", { class: `msg ${v.severity}` }, v.message));
  $("#form-notes").replaceChildren(...notes);
  const meter = $("#pw-meter"), list = $("#pw-checklist");
  if (meter && list) renderPassword(d.password, meter, list);
  $("#user-save").disabled = !(d.valid && d.complete);
  return d;
}

// A decision's password report as a strength meter and the policy's checklist.
function renderPassword(pw, meter, list) {
  const score = pw ? pw.score : 0;
  const colors = ["#c62828", "#e65100", "#f9a825", "#7cb342", "#2e7d32"];
  meter.firstChild.style.width = pw ? `${(score + 1) * 20}%` : "0";
  meter.firstChild.style.background = colors[score];
  meter.title = pw ? t("strength")[score] : "";
  list.replaceChildren(...(pw?.checklist ?? []).map((c) => h("li", { class: c.met ? "met" : "", "data-code": c.code }, c.label || renderMessage(c.code, c.params ?? {}, state.lang))));
}

function suggestion(v) {
  const existing = state.users.find((u) => u.id === v.params.existingId) ?? state.users.find((u) => u.email === form.decision?.normalized?.email);
  if (v.params.suggestion === "reactivate") return h("button", { type: "button", class: "link", onclick: () => { $("#dlg-user").close(); if (existing) openStatus(existing, "active"); } }, t("reactivate"));
  if (v.params.suggestion === "resetPassword") return h("button", { type: "button", class: "link", onclick: (e) => { e.target.replaceWith(h("span", { class: "muted" }, t("resetSent"))); } }, t("resetPassword"));
  return null;
}

$("#user-form").addEventListener("submit", async (e) => {
  const d = validateForm(true);
  if (!(d.valid && d.complete)) { e.preventDefault(); return; }
  if (onServer()) {
    // The server decides: the raw form goes to it; its refusal stays in the form.
    e.preventDefault();
    const rec = readForm();
    for (const [k, v] of Object.entries(rec)) if (v === "" && state.doc.fields?.[k]?.type === "password") delete rec[k];
    const grants = readAccessChoices();
    // Fields the kernel makes read-only for this user are not sent (they are unchanged).
    for (const el of document.querySelectorAll("#fields [data-read-only=true]")) delete rec[el.dataset.field];
    if (form.user) {
      // An edit sends what it changes, made on the version it read: another
      // administrator's change to other fields stands, and one to the same user since
      // is refused rather than overwritten.
      for (const k of Object.keys(rec)) {
        if (k !== "id" && JSON.stringify(rec[k]) === JSON.stringify(form.user[k])) delete rec[k];
      }
      Object.assign(rec, grants);
      rec.version = form.user.version;
      const current = document.getElementById("f-currentPassword")?.value;
      if (current && Object.keys(rec).some((k) => k === "email" || state.doc.fields?.[k]?.type === "password")) rec.currentPassword = current;
    }
    else Object.assign(rec, grants);
    // One's own password set by the edit ends every session of one's own, this one too.
    const me = store.session()?.user?.id;
    const ownPassword = !!form.user && form.user.id === me
      && Object.keys(rec).some((k) => state.doc.fields?.[k]?.type === "password");
    try {
      await store.saveUsers(state.preset, [rec]);
      $("#dlg-user").close();
      if (ownPassword) await resume();
      else await reload();
    } catch (err) {
      $("#form-notes").replaceChildren(h("div", { class: "msg error", "data-server": "refused" }, err.message));
    }
    return;
  }
  const rec = { ...d.normalized, ...readAccessChoices() };
  delete rec.password;
  if (form.user) { rec.id = form.user.id; }
  else { rec.status = rec.status ?? state.doc.lifecycle?.initial ?? "active"; rec.roles ??= []; }
  await store.saveUsers(state.preset, [rec]);
  await reload();
});

// ------------------------------------------------------------------ status dialog
let statusTarget = null, statusDecision = null;
function openStatus(u, to) {
  statusTarget = u;
  const statuses = Object.keys(state.doc.lifecycle?.statuses ?? {}).filter((s) => s !== (u.status ?? "active"));
  $("#st-to").replaceChildren(...statuses.map((s) => h("option", { value: s }, statusLabel(s))));
  if (to && statuses.includes(to)) $("#st-to").value = to;
  $("#st-reason").value = ""; $("#st-days").value = "";
  $("#st-facts").replaceChildren();
  $("#status-who").textContent = `${userName(u)} — ${statusLabel(u.status ?? "active")}`;
  $("#status-who").title = [loginOf(u), u.id].filter(Boolean).join(" · ");
  askTransition();
  $("#dlg-status").showModal();
}

// The verdict shown in the status dialog: a decision (`allow` with its obligations, or a
// deny) or an error's message.
function showTransition(d, error) {
  const box = $("#st-verdict");
  statusDecision = d;
  if (!d) {
    box.className = "verdict deny"; box.textContent = error;
  } else if (d.decision === "allow") {
    box.className = "verdict allow";
    box.replaceChildren(h("b", {}, t("allowed")), h("ul", {}, d.obligations.map(obligationItem)));
  } else {
    box.className = "verdict deny";
    box.replaceChildren(h("b", {}, d.deny.message), d.deny.hint ? h("div", {}, d.deny.hint) : "");
  }
  $("#st-apply").disabled = d?.decision !== "allow";
}

// The facts only the caller knows, which the server asks for by name when a rule needs
// one (`missing_fact`): the approvals waiting on the user, its active bookings. Each gets
// a number field once asked for, and is sent with every later question and the change.
const CALLER_FACTS = ["pendingApprovals", "activeBookings"];
// The caller's facts a denial names as missing.
const missingCallerFacts = (deny) =>
  (deny?.code === "missing_fact" ? deny.params?.facts ?? [] : []).filter((f) => CALLER_FACTS.includes(f));
// A fact's value as typed: a whole number from 0, else null.
const factValue = (text) => {
  const n = Number(String(text).trim());
  return String(text).trim() !== "" && Number.isInteger(n) && n >= 0 ? n : null;
};
function askFacts(d) {
  for (const fact of missingCallerFacts(d?.deny)) {
    if (document.getElementById(`st-fact-${fact}`)) continue;
    const input = h("input", { id: `st-fact-${fact}`, type: "number", min: "0", step: "1", "data-fact": fact });
    input.addEventListener("input", askTransition);
    $("#st-facts").append(h("label", {}, h("span", {}, STRINGS[state.lang].facts?.[fact] ?? fact), input));
  }
}
function factValues() {
  const out = {};
  for (const input of $("#st-facts").querySelectorAll("input[data-fact]")) {
    const n = factValue(input.value);
    if (n !== null) out[input.dataset.fact] = n;
  }
  return out;
}

// On a server, the verdict is the server's own (a dry run: the facts only its directory
// holds, such as who else holds a critical permission, and the tenant's plugins), asked
// once the input rests; the answer to an older input is dropped.
let transitionAsked = 0, transitionTimer = null;
function askTransition() {
  const to = $("#st-to").value;
  const temporary = !!state.doc.lifecycle?.statuses?.[to]?.temporary;
  $("#st-days").closest("label").hidden = !temporary;
  const reason = $("#st-reason").value.trim();
  const days = Number($("#st-days").value);
  if (onServer()) {
    const body = { to, ...factValues() };
    if (reason) body.reason = reason;
    if (temporary && days > 0) body.durationDays = days;
    const asked = ++transitionAsked;
    statusDecision = null;
    $("#st-apply").disabled = true;
    $("#st-verdict").className = "verdict"; $("#st-verdict").textContent = t("checking");
    clearTimeout(transitionTimer);
    transitionTimer = setTimeout(async () => {
      let d = null, error = null;
      try {
        const r = await store.transition(statusTarget.id, body, true);
        d = { decision: "allow", to: r.to, until: r.until, obligations: r.obligations ?? [] };
      } catch (err) {
        if (err.body?.deny) d = { decision: "deny", deny: err.body.deny };
        else error = err.message;
      }
      if (asked === transitionAsked) { askFacts(d); showTransition(d, error); }
    }, 150);
    return;
  }
  const input = { actor: store.currentActor(), target: store.accountOf(statusTarget), to, now: now(), directory: state.users.map(store.accountOf) };
  if (reason) input.reason = reason;
  if (temporary && days > 0) input.durationDays = days;
  input.facts = factValues();
  try {
    const d = state.warden.transition(input, state.lang);
    askFacts(d);
    showTransition(d);
  } catch (e) {
    showTransition(null, e.message);
  }
}
for (const id of ["#st-to", "#st-reason", "#st-days"]) $(id).addEventListener("input", askTransition);
$("#status-form").addEventListener("submit", async (e) => {
  const d = statusDecision;
  if (!d || d.decision !== "allow") { e.preventDefault(); return; }
  if (onServer()) {
    e.preventDefault();
    const body = { to: d.to, ...factValues() };
    const reason = $("#st-reason").value.trim(), days = Number($("#st-days").value);
    if (reason) body.reason = reason;
    if (days > 0 && state.doc.lifecycle?.statuses?.[d.to]?.temporary) body.durationDays = days;
    try {
      await store.transition(statusTarget.id, body);
      $("#dlg-status").close();
      await reload();
    } catch (err) {
      $("#st-verdict").className = "verdict deny"; $("#st-verdict").textContent = err.message;
    }
    return;
  }
  const patch = { id: statusTarget.id, status: d.to, statusUntil: d.until ?? null };
  for (const o of d.obligations) { if (o.kind === "removeRoles") patch.roles = []; if (o.kind === "removeGroups") patch.groups = []; }
  await store.saveUsers(state.preset, [patch]);
  await reload();
});

// ------------------------------------------------------------------ bulk import
// { report, byIndex, refused: Map(row index -> the entry of a row valid in the file that
//   the commit will refuse), page, onlyProblems, bytes, format, results }
let imp = null;
const PAGE = 100;
const pause = () => new Promise((r) => setTimeout(r, 0));

async function runImport(file) {
  const bar = $("#imp-progress");
  bar.hidden = false; bar.value = 5;
  $("#imp-summary").replaceChildren(h("span", { class: "muted" }, t("reading")));
  $("#imp-preview").replaceChildren();
  $("#imp-commit").disabled = true;
  imp = null;
  const bytes = new Uint8Array(await file.arrayBuffer());
  bar.value = 30;
  $("#imp-summary").replaceChildren(h("span", { class: "muted" }, t("validating")));
  await pause();
  const jsonl = /\.jsonl?$/i.test(file.name);
  let report, refused;
  try {
    // On a server, the preview is the server's: its kernel validates every row as the
    // commit's create of it will (the store's answers: keys taken in their scope, managers
    // and organisations that exist), in the console's language. Otherwise the wasm kernel,
    // here, against the users stored in this browser.
    if (onServer()) {
      report = await store.importFile(bytes, jsonl ? "jsonl" : "csv", false);
      refused = serverRefusals(report);
    } else {
      report = state.warden.validateImport(bytes, { format: jsonl ? "jsonLines" : "csv", records: true, passwords: true, today: today() }, state.lang);
      bar.value = 60;
      await pause();
      refused = await localRefusals(report, (f) => { bar.value = 60 + Math.round(f * 35); });
    }
  } catch (e) {
    $("#imp-summary").replaceChildren(h("div", { class: "msg error" }, e.message)); bar.hidden = true; return;
  }
  const byIndex = new Map(report.rows.map((r) => [r.index, r]));
  imp = { report, byIndex, refused, page: 0, onlyProblems: false, bytes, format: jsonl ? "jsonl" : "csv" };
  bar.value = 100;
  renderImport();
  $("#imp-commit").disabled = importable() === 0;
}

// The server's verdict per row (`results`, in file order): the rows it will refuse, each
// with the commit's own entry (violations, deny or error), exactly those.
function serverRefusals(report) {
  return new Map((report.results ?? []).filter((r) => r.verdict === "refused").map((r) => [r.index, r]));
}

// Locally, the rows whose unique keys (email, username…) the users stored in this browser
// already hold: the kernel's checks of each row valid in the file, answered against them,
// and its duplicate violations (with the holder and the kernel's suggestion, e.g.
// reactivate), as an entry of the server's shape.
async function localRefusals(report, progress) {
  const out = new Map();
  const records = report.records ?? [];
  const w = state.warden, n = report.status.length;
  for (let i = 0; i < n; i++) {
    if (report.status[i] !== 2 && records[i]) {
      const input = { user: records[i], mode: "import", today: today() };
      const checks = w.validate(input, state.lang).checks.filter((c) => c.kind === "unique");
      if (checks.length) {
        const known = w.answerFacts(checks, state.users, {}).unique ?? {};
        const unique = Object.fromEntries(Object.entries(known).filter(([, f]) => f?.taken));
        if (Object.keys(unique).length) {
          const d = w.validate({ ...input, facts: { unique } }, state.lang);
          const held = d.violations.filter((v) => v.code === "duplicate" && !v.params?.inFile && unique[v.params?.check]);
          out.set(i, { index: i, violations: held.length ? held
            : Object.keys(unique).map((check) => ({ code: "duplicate", severity: "error", path: [], params: { check, ...unique[check] }, message: t("taken") })) });
        }
      }
    }
    if (i % 250 === 249) { progress(i / n); await pause(); }
  }
  return out;
}

// A duplicate the directory holds (not a repeat within the file).
const heldKey = (v) => v.code === "duplicate" && !v.params?.inFile;
// Whether a refused row is refused (also) for a key the directory holds.
const isTaken = (entry) => !!entry && (entry.violations ?? []).some((v) => v.severity !== "warning" && heldKey(v));

// Rows the commit may create: valid in the file and not refused by the directory.
const importable = () => imp.report.summary.valid - imp.refused.size;

// The row as the core read it (CSV cells mapped to fields, booleans parsed).
function rowRecord(i) {
  return imp.report.records?.[i] ?? {};
}

// The line a row starts on in the file, as the kernel read it (a quoted CSV cell may hold
// line breaks; blank lines are no rows): every row's in the wasm kernel's report with
// `records`, and in each entry of a server's preview (`results`, one a row in file order).
const lineOf = (i) => imp.report.lines?.[i] ?? imp.report.results?.[i]?.line ?? imp.byIndex.get(i)?.line ?? "?";

const fieldPrefix = (v) => (v.path?.length ? `${fieldLabel(String(v.path[0]))}${t("colon")}` : "");
// A violation of the import report for people: its field's label, the message in the
// console's language, the line of the row it repeats.
function violationText(v) {
  const dup = v.code === "duplicate" && v.params?.inFile && Number.isInteger(v.params?.row) ? ` (${t("duplicateOfLine")(lineOf(v.params.row))})` : "";
  return `${fieldPrefix(v)}${messageOf(v)}${dup}`;
}

// What refuses a row besides its violations (a deny, a conflict, an error of its body),
// as texts.
const otherReasons = (r) => [...(r.errors ?? []).map((e) => `${e.field ? fieldLabel(e.field) + t("colon") : ""}${e.message}`),
  ...(r.deny?.message ? [r.deny.message] : r.error ? [`${r.field ? fieldLabel(r.field) + t("colon") : ""}${r.error}`] : r.reason ? [r.reason] : [])];

// A row's problems: the server's entry when it has one (its violations with the store's
// answers, or what else refuses it), else the kernel's report of the file; locally, that
// report and the keys held in this browser.
function rowProblems(i) {
  const info = imp.byIndex.get(i), refusal = imp.refused.get(i);
  const entry = onServer() ? imp.report.results?.[i] : null;
  const violations = entry?.index === i && entry.verdict !== "invalid" && entry.violations ? entry.violations
    : (info?.violations ?? []).concat(onServer() ? [] : refusal?.violations ?? []);
  const msgs = violations.map((v) => {
    if (heldKey(v) && v.severity !== "warning") {
      const holder = v.params?.existingId;
      return h("div", { class: "msg taken", "data-code": "duplicate", "data-check": v.params?.check, "data-field": v.path?.[0] },
        violationText(v), holder ? [` — ${t("takenBy")} `, userRef(holder)] : null);
    }
    return h("div", { class: `msg ${v.severity ?? "error"}`, "data-code": v.code, "data-field": v.path?.[0] }, violationText(v));
  });
  if (refusal && refusal === entry) for (const text of otherReasons(refusal)) msgs.push(h("div", { class: "msg error", "data-code": refusal.deny?.code ?? refusal.code }, text));
  return msgs;
}

function renderImport() {
  const { report } = imp, s = report.summary;
  const card = (k, v, attrs = {}) => h("div", { class: "card", "data-imp": k, ...attrs }, h("b", {}, String(v)), h("span", {}, t(k)));
  const heldKeys = Object.values(report.taken ?? {}).flat();
  const taken = [...imp.refused.values()].filter(isTaken).length;
  $("#imp-summary").replaceChildren(card("rows", s.total),
    card("valid", importable(), { title: imp.refused.size ? t("importableTitle")(s.valid, imp.refused.size) : undefined, "data-kernel-valid": s.valid }),
    card("invalid", s.invalid), card("warnings", s.warnings), card("duplicates", s.duplicatesInFile),
    card("taken", taken, { title: onServer() ? heldKeys.join(", ") || undefined : t("localTaken") }),
    onServer() ? card("refusedOther", imp.refused.size - taken, { title: t("refusedOtherTitle") }) : null);
  // What the preview does not decide. On a server: what others change before the commit.
  // Locally: references to other records (a manager, an organisation), which the commit
  // checks.
  const refs = Object.entries(state.doc.fields ?? {}).filter(([, sp]) => sp.type === "reference").map(([n, sp]) => label(sp, n));
  const notes = onServer() ? [h("p", { class: "muted note", "data-note": "commit" }, t("decidedAtCommit"))]
    : [refs.length ? h("p", { class: "muted note", "data-note": "references" }, t("notChecked")(refs.join(", "))) : null,
      h("p", { class: "muted note", "data-note": "local" }, t("localTaken"))];
  const indexes = [];
  for (let i = 0; i < report.status.length; i++) if (!imp.onlyProblems || report.status[i] !== 0 || imp.refused.has(i)) indexes.push(i);
  const pages = Math.max(1, Math.ceil(indexes.length / PAGE));
  imp.page = Math.min(imp.page, pages - 1);
  const shown = indexes.slice(imp.page * PAGE, imp.page * PAGE + PAGE);
  const verdict = ["rowValid", "rowWarnings", "rowInvalid"];
  const committed = new Map((imp.results ?? []).map((r) => [r.index, r]));
  const outcome = (i) => {
    const r = committed.get(i);
    // A row invalid in the file was never committed: its verdict column already says why.
    if (!r || r.invalid) return null;
    if (r.id) return h("span", { class: "badge active", "data-outcome": "created", "data-id": r.id }, t("created"));
    // Its errors (its warnings are in the verdict column already).
    const errs = (r.violations ?? []).filter((v) => v.severity !== "warning");
    const why = [...(errs.length ? errs : r.violations ?? []).map(violationText), ...otherReasons(r)].join("; ");
    return h("span", { class: "badge inactive", "data-outcome": "refused", title: why || undefined }, why ? `${t("refused")}${t("colon")}${why}` : t("refused"));
  };
  const table = h("table", { id: "imp-table", "data-source": onServer() ? "server" : "local" }, h("thead", {}, h("tr", {}, h("th", {}, t("line")), h("th", {}, t("verdict")), h("th", {}, t("name")), h("th", {}, t("login")), h("th", {}, t("errors")))),
    h("tbody", {}, shown.map((i) => {
      const st = report.status[i], rec = rowRecord(i), refusal = imp.refused.get(i);
      const taken = isTaken(refusal);
      // A row the directory refuses: for a key it holds ("taken"), or for another reason.
      const v = st === 2 ? verdict[st] : refusal ? (taken ? "taken" : "refused") : verdict[st];
      const badge = { rowValid: "active", rowWarnings: "suspended", rowInvalid: "inactive", taken: "taken", refused: "inactive" }[v];
      return h("tr", { class: st === 2 ? "row-invalid" : refusal ? (taken ? "row-taken" : "row-refused") : st === 1 ? "row-warning" : "",
        "data-status": st, "data-taken": taken ? "true" : undefined, "data-refused": refusal ? "true" : undefined },
        h("td", {}, String(lineOf(i))),
        h("td", {}, h("span", { class: `badge ${badge}`, "data-verdict": v }, t({ taken: "rowTaken", refused: "rowRefused" }[v] ?? v))),
        h("td", {}, `${rec.firstName ?? ""} ${rec.lastName ?? ""}`.trim()), h("td", {}, String(rec.email ?? rec.username ?? "")),
        h("td", {}, rowProblems(i), outcome(i)));
    })));
  const pager = h("div", { class: "pager" },
    h("label", {}, h("input", { type: "checkbox", checked: imp.onlyProblems, onchange: (e) => { imp.onlyProblems = e.target.checked; imp.page = 0; renderImport(); } }), ` ${t("onlyProblems")}`),
    h("span", { class: "spacer" }),
    h("button", { type: "button", class: "secondary", disabled: imp.page === 0, onclick: () => { imp.page--; renderImport(); } }, t("prev")),
    h("span", {}, `${t("page")} ${imp.page + 1} / ${pages}`),
    h("button", { type: "button", class: "secondary", disabled: imp.page >= pages - 1, onclick: () => { imp.page++; renderImport(); } }, t("next")));
  $("#imp-preview").replaceChildren(...notes.filter(Boolean), table, pager);
  if (imp.imported) $("#imp-summary").append(importedCard());
}

// The commit's outcome, under the summary.
function importedCard() {
  const { created, refused } = imp.imported;
  return h("div", { class: "card", "data-imp": "imported" }, h("b", {}, String(created)), h("span", {}, t("imported")(created) + (refused ? ` (${t("refusedCount")(refused)})` : "")));
}

async function commitImport() {
  const bar = $("#imp-progress"), w = state.warden, lang = state.lang;
  $("#imp-commit").disabled = true;
  if (onServer()) {
    // The server commits each accepted row with its audit entry, or says why not.
    let res;
    try { res = await store.importFile(imp.bytes, imp.format, true); } catch (err) {
      $("#imp-summary").append(h("div", { class: "msg error" }, err.message)); return;
    }
    imp.results = res.results ?? [];
    imp.imported = { created: res.summary.created, refused: res.summary.refused };
    await reload();
    renderImport();
    return;
  }
  const todo = [];
  for (let i = 0; i < imp.report.status.length; i++) if (imp.report.status[i] !== 2) todo.push(i);
  const known = { organization: state.orgs };
  const pool = [...state.users], accepted = [], rows = [], results = [];
  let refused = 0;
  for (let k = 0; k < todo.length; k += 250) {
    for (const i of todo.slice(k, k + 250)) {
      // Each row again through the core, now with facts from the stored users.
      const input = { user: rowRecord(i), mode: "import", today: today() };
      const first = w.validate(input, lang);
      const d = w.validate({ ...input, facts: w.answerFacts(first.checks, pool, { known }) }, lang);
      if (d.valid && d.complete) {
        const rec = { ...d.normalized, status: d.normalized.status ?? state.doc.lifecycle?.initial ?? "active", roles: [] };
        delete rec.password;
        accepted.push(rec); rows.push(i); pool.push(rec);
      } else {
        refused++;
        results.push({ index: i, violations: d.violations.filter((v) => v.severity === "error") });
      }
    }
    bar.value = Math.round(((k + 250) / todo.length) * 100);
    $("#imp-summary").replaceChildren(h("span", { class: "muted" }, `${t("committing")} ${Math.min(k + 250, todo.length)} / ${todo.length}`));
    await pause();
  }
  const saved = await store.saveUsers(state.preset, accepted);
  saved.forEach((u, k) => results.push({ index: rows[k], id: u.id }));
  imp.results = results;
  imp.imported = { created: accepted.length, refused };
  await reload();
  renderImport();
}

// The chosen file's name, or that none is chosen, in the console's language.
function renderFileName() {
  const f = $("#imp-file").files?.[0];
  $("#imp-file-name").textContent = f ? f.name : t("noFileChosen");
}

// ------------------------------------------------------------------ wiring
for (const b of document.querySelectorAll("[data-close]")) b.addEventListener("click", () => b.closest("dialog").close());
$("#btn-new").addEventListener("click", () => openUser(null));
$("#btn-import").addEventListener("click", () => { imp = null; $("#imp-file").value = ""; renderFileName(); $("#imp-summary").replaceChildren(); $("#imp-preview").replaceChildren(); $("#imp-progress").hidden = true; $("#imp-commit").disabled = true; $("#dlg-import").showModal(); });
// The console's file button (in its language) opens the browser's hidden file input.
$("#imp-choose").addEventListener("click", () => $("#imp-file").click());
$("#imp-file").addEventListener("change", (e) => { renderFileName(); const f = e.target.files?.[0]; if (f) runImport(f); });
$("#imp-commit").addEventListener("click", commitImport);
for (const id of ["#search", "#f-status", "#f-org", "#f-role"]) $(id).addEventListener("input", renderTable);
$("#view").addEventListener("input", (e) => { state.view = e.target.value; renderTable(); });
$("#preset").addEventListener("change", (e) => (onServer() ? signInTo(e.target.value) : loadPreset(e.target.value)));
$("#lang").addEventListener("change", (e) => {
  state.lang = e.target.value; localStorage.setItem("warden.lang", state.lang);
  store.setLanguage(state.lang);
  // Before a policy is loaded (not signed in yet) only the page's own text changes.
  if (state.doc) renderAll(); else renderStatic();
  if ($("#dlg-user").open) validateForm();
  if ($("#dlg-status").open) askTransition();
  if ($("#dlg-import").open && imp) renderImport();
  if ($("#dlg-details").open && detailsOf) renderDetails();
  if ($("#dlg-history").open && historyOf) renderHistory();
});

// ------------------------------------------------------------------ server: sign-in, history, delete
function renderWho() {
  const s = store.session();
  $("#who").hidden = !s;
  // The name; the login and id in its title (a long e-mail would crowd the header).
  if (s) {
    $("#who-name").textContent = userName(s.user);
    $("#who-name").title = [loginOf(s.user), s.user.id].filter(Boolean).join(" · ");
  }
}

function signInTo(tenant) {
  $("#si-tenant").value = tenant;
  $("#si-error").textContent = "";
  $("#dlg-signin").showModal();
}

$("#signin-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    const current = $("#si-password").value;
    const s = await store.signIn($("#si-tenant").value, $("#si-login").value, current);
    $("#si-password").value = "";
    $("#dlg-signin").close();
    $("#preset").value = s.tenant;
    renderWho();
    if (s.mustChangePassword) await openNewPassword(s, current);
    else await loadPreset(s.tenant);
  } catch (err) {
    // A refused sign-in is answered with a code and an English text: the console says it in
    // its own language.
    $("#si-error").textContent = err.status === 401 && err.body?.error === "unauthenticated" ? t("signInRefused") : err.message;
  }
});
// What a signed-out console shows of the directory: nothing. The next person at a shared
// computer sees no list, no statistics, no open record and no login typed in the form.
function forgetDirectory() {
  state.users = [];
  state.orgs = [];
  for (const d of document.querySelectorAll("dialog[open]")) d.close();
  $("#si-login").value = "";
  $("#si-password").value = "";
  if (state.doc && state.warden) renderAll();
}

$("#btn-signout").addEventListener("click", async () => {
  try { await store.signOut(); } catch (e) { console.warn(e); }
  forgetDirectory();
  renderWho(); signInTo(state.preset);
});

// A temporary password: nothing else until the user has chosen their own (the server
// refuses every other call). The checklist is the forms build's verdict on the new password
// against the user's own record; the server decides on saving.
async function openNewPassword(s, current) {
  await loadPolicy(s.tenant);
  $("#np-current").value = current ?? "";
  $("#np-password").value = "";
  $("#np-error").textContent = "";
  $("#np-checklist").replaceChildren();
  $("#dlg-newpw").showModal();
}

async function checkNewPassword() {
  const s = store.session();
  let w;
  try { w = await formsWarden(); } catch (err) { $("#np-error").textContent = err.message; return; }
  // The policy's password rules, with the user's own data the password must not resemble
  // (the server holds the new password to both: a schema need not have a password field).
  const user = {};
  for (const [name, spec] of Object.entries(state.doc.fields ?? {})) {
    const v = s.user[name];
    if (spec.type !== "password" && typeof v === "string") user[name] = v;
  }
  let d;
  try { d = w.checkPassword({ password: $("#np-password").value, user }, state.lang); } catch (err) { $("#np-error").textContent = err.message; return; }
  $("#np-error").textContent = "";
  renderPassword(d, $("#np-meter"), $("#np-checklist"));
}

$("#np-password").addEventListener("input", checkNewPassword);
$("#dlg-newpw").addEventListener("cancel", (e) => e.preventDefault());
$("#np-signout").addEventListener("click", async () => {
  $("#np-current").value = "";
  $("#np-password").value = "";
  $("#dlg-newpw").close();
  await store.signOut();
  forgetDirectory();
  renderWho();
  signInTo(state.preset);
});
$("#newpw-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const s = store.session();
  try {
    await store.changePassword(s.user.id, $("#np-password").value, $("#np-current").value);
  } catch (err) {
    $("#np-error").textContent = err.message;
    return;
  }
  $("#np-password").value = "";
  $("#np-current").value = "";
  $("#dlg-newpw").close();
  await resume();
});

// After one's own password changed, which ends every session of the user (this one too):
// the session as the server now sees it, or sign in again.
async function resume() {
  const boot = await store.init();
  renderWho();
  if (boot.session && !boot.session.mustChangePassword) await loadPreset(boot.session.tenant);
  else { signInTo(state.preset); $("#si-error").textContent = t("signInAgain"); }
}

// One user as the server shows it to the signed-in user: the fields the kernel hides from
// them are not in the answer, so they are not shown (only how many there are).
let detailsOf = null; // the answer of the details dialog, drawn again in another language
async function openDetails(u) {
  let read;
  try { read = await store.readUser(u.id); } catch (err) { window.alert(err.message); return; }
  detailsOf = read;
  renderDetails();
  $("#dlg-details").showModal();
}

function renderDetails() {
  const read = detailsOf, user = read.user, specs = state.doc.fields ?? {};
  const names = Object.keys(specs).filter((n) => specs[n].type !== "password" && user[n] !== undefined && user[n] !== null)
    .concat(["roles", "groups", "status", "statusUntil"].filter((n) => !specs[n] && user[n] !== undefined && user[n] !== null));
  $("#det-who").textContent = userName(user);
  $("#det-who").title = [loginOf(user), user.id].filter(Boolean).join(" · ");
  $("#det-list").replaceChildren(...names.flatMap((n) => [h("dt", { "data-field": n, title: n }, fieldLabel(n)), h("dd", { "data-field": n }, valueOf(n, user[n]))]));
  const hidden = read.fields?.hidden ?? [];
  $("#det-hidden").textContent = hidden.length ? t("hiddenFields")(hidden.length) : "";
}

// A user's audit history: who did what and when, and what it changed, for people (labels,
// names, dates in the reader's locale); the raw codes and ids stay in `data-*` and `title`.
let historyOf = null; // { user, entries }
async function openHistory(u) {
  let entries;
  try { entries = await store.history(u.id); } catch (err) { window.alert(err.message); return; }
  historyOf = { user: u, entries };
  renderHistory();
  $("#dlg-history").showModal();
}

// The fields an entry changed, in the policy's order, then the directory's own.
function changedFields(before, after) {
  const order = Object.keys(state.doc.fields ?? {});
  const keys = [...new Set([...order, ...Object.keys(before), ...Object.keys(after)])]
    .filter((k) => (k in before || k in after) && !["id", "version"].includes(k) && state.doc.fields?.[k]?.type !== "password");
  return keys.filter((k) => JSON.stringify(before[k] ?? null) !== JSON.stringify(after[k] ?? null));
}

function historyEntry(e) {
  const when = new Date(e.at * 1000), kernel = e.decision?.kernel ?? {};
  const via = typeof e.via === "string" && e.via.startsWith("key:") ? e.via.slice(4) : null;
  const head = h("div", { class: "hist-head" },
    h("time", { datetime: when.toISOString(), title: when.toISOString() }, fmtDateTime(when)),
    h("b", { class: "act", "data-code": e.action, title: e.action }, actionLabel(e.action)),
    h("span", { class: "by" }, `${t("by")} `, userRef(e.actor), via ? [` ${t("viaKey")} `, h("code", {}, via)] : null));
  const changes = [];
  if (e.before && e.after) {
    for (const k of changedFields(e.before, e.after)) {
      changes.push(h("li", { "data-field": k }, h("span", { class: "fld", title: k }, fieldLabel(k)), t("colon"), valueOf(k, e.before[k]), " → ", valueOf(k, e.after[k])));
    }
  } else if (e.after?.status) {
    changes.push(h("li", { "data-field": "status" }, h("span", { class: "fld", title: "status" }, t("initialStatus")), t("colon"), valueOf("status", e.after.status)));
  }
  // A transition's reason, as its author gave it.
  if (e.action === "users.status" && kernel.to && typeof kernel.reason === "string" && kernel.reason) {
    changes.push(h("li", { "data-field": "reason" }, h("span", { class: "fld" }, t("historyReason")), t("colon"), h("q", {}, kernel.reason)));
  }
  const ob = STRINGS[state.lang].obligations;
  const follow = (e.obligations ?? []).filter((o) => o.kind !== "audit");
  return h("li", { "data-action": e.action, "data-seq": e.seq, "data-actor": e.actor }, head,
    changes.length ? h("ul", { class: "changes" }, changes) : null,
    follow.length ? h("div", { class: "muted then" }, `${t("then")} `, follow.map((o) => obligationText(o, ob)).join(", ")) : null);
}

// An obligation as a list item: its text for people, its raw kind, date, roles and groups
// kept in `data-*` and `title`.
function obligationItem(o) {
  const raw = [o.at, ...(o.roles ?? []), ...(o.groups ?? [])].filter(Boolean);
  return h("li", { "data-kind": o.kind, "data-at": o.at, "data-roles": o.roles?.join(" "), "data-groups": o.groups?.join(" "), title: raw.length ? raw.join(", ") : undefined },
    obligationText(o));
}

// An obligation for people: what follows, with its date, roles or groups.
function obligationText(o, ob = STRINGS[state.lang].obligations) {
  let text = ob[o.kind] ?? o.kind;
  if (o.kind === "scheduleExpiry" && o.at && !Number.isNaN(new Date(o.at).getTime())) text += ` ${fmtDateTime(new Date(o.at))}`;
  if (o.kind === "reassignApprovals" && Number.isInteger(o.count)) text += ` (${o.count})`;
  if (o.roles?.length) text += ` (${o.roles.map(roleLabel).join(", ")})`;
  if (o.groups?.length) text += ` (${o.groups.map(groupLabel).join(", ")})`;
  return text;
}

function renderHistory() {
  const { user, entries } = historyOf;
  $("#hist-who").textContent = userName(knownUser(user.id) ?? user);
  $("#hist-list").replaceChildren(...(entries.length ? entries.map(historyEntry) : [h("li", { class: "muted" }, t("noHistory"))]));
}

async function removeUser(u) {
  // R000-09: an explicit confirmation.
  if (!window.confirm(t("confirmDelete")(userName(u)))) return;
  // A fact only the caller knows (the user's active bookings) is asked for when the
  // server's refusal names it as missing, then the deletion asked again with it.
  const facts = {};
  for (;;) {
    try { await store.remove(u.id, facts); await reload(); return; } catch (err) {
      const missing = missingCallerFacts(err.body?.deny).filter((f) => !(f in facts));
      if (!missing.length) { window.alert(err.message); return; }
      for (const fact of missing) {
        const answer = window.prompt(STRINGS[state.lang].facts?.[fact] ?? fact, "");
        if (answer === null) return;
        const n = factValue(answer);
        if (n === null) { window.alert(err.message); return; }
        facts[fact] = n;
      }
    }
  }
}

await init();
$("#preset").replaceChildren(...presets().map((p) => h("option", { value: p.name }, `${p.id} · ${p.title.split(":")[0]}`)));
$("#lang").value = state.lang;
store.setLanguage(state.lang);
const boot = await store.init();
if (boot.mode === "server" && boot.session) state.preset = boot.session.tenant;
$("#preset").value = state.preset;
renderWho();
if (boot.mode === "server" && !boot.session) signInTo(state.preset);
else if (boot.session?.mustChangePassword) await openNewPassword(boot.session, null);
else await loadPreset(state.preset);
document.body.dataset.ready = "true";
// The list is shown: now the forms build (and its Warden, once a policy is loaded), so that
// the first form opens at once.
// (A failure here is reported when a form opens, which asks again.)
(state.doc ? formsWarden() : formsModule()).catch(() => {});
