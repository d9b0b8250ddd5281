// The console's data access, and the only module that knows where users live. Served by
// warden-server (scripts/serve.sh), users live in the server's directory: the console signs
// in as a user of a tenant and every read and write goes through the API, which decides with
// the kernel. Served as static files only (the browser tests), users are kept in
// localStorage, seeded per preset.
let MODE = "local"; // "server" | "local"
let SESSION = null; // { tenant, user, policy } when signed in to a server

/** An error answered by the server: its status and typed body. */
export class ServerError extends Error {
  constructor(status, body) {
    const first = body?.violations?.find((v) => v.severity === "error");
    const conflict = body?.errors?.[0];
    super(first ? `${first.path?.join(".") ?? ""}: ${first.message}`
      : body?.deny?.message ?? body?.message ?? (conflict ? `${conflict.field}: ${conflict.message}` : null)
        ?? body?.reason ?? body?.error ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

// The console's language, asked of the server for the kernel's messages (Accept-Language:
// the server renders violations and denials in it, English when the policy lacks it).
let LANG = null;
/** Sets the language the server's messages are asked in (the console's UI language). */
export function setLanguage(lang) { LANG = lang; }

async function api(method, path, body, raw, extra) {
  const headers = { "x-warden-csrf": "1", ...(LANG ? { "accept-language": LANG } : {}), ...(extra ?? {}) };
  if (body !== undefined && !raw) headers["content-type"] = "application/json";
  const res = await fetch(`/api/v1${path}`, { method, headers, credentials: "same-origin", body: raw ? body : body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { error: text }; }
  if (!res.ok) throw new ServerError(res.status, data);
  return data;
}

/** Finds out where users live: a Warden server (and who is signed in), or localStorage. */
export async function init() {
  try {
    const res = await fetch("/api/v1/session", { credentials: "same-origin" });
    if (res.status === 200) { MODE = "server"; SESSION = await res.json(); }
    else if (res.status === 401) { MODE = "server"; SESSION = null; }
    else MODE = "local";
  } catch { MODE = "local"; }
  return { mode: MODE, session: SESSION };
}

/** "server" or "local". */
export function mode() { return MODE; }

/** The signed-in session (server mode). */
export function session() { return SESSION; }

/** Signs in to a tenant of the server as one of its users. */
export async function signIn(tenant, login, password) {
  SESSION = await api("POST", "/session", { tenant, login, password });
  return SESSION;
}

/** Changes the signed-in user's own password (the way out of a temporary one). */
export async function changePassword(id, password, currentPassword) {
  const body = { password };
  if (currentPassword) body.currentPassword = currentPassword;
  return api("POST", `/users/${encodeURIComponent(id)}/password`, body);
}

/** Signs out. */
export async function signOut() {
  try { await api("DELETE", "/session"); }
  catch (e) {
    // A session the server already ended (a password changed, an account deactivated):
    // signed out all the same.
    if (!(e instanceof ServerError && e.status === 401)) throw e;
  } finally { SESSION = null; }
}

/** Every user the signed-in user may see, with the actions the kernel allows on each. */
async function serverUsers() {
  const out = [];
  let cursor = null;
  do {
    const page = await api("GET", `/users?limit=200&actions=true${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    out.push(...page.users);
    cursor = page.next;
  } while (cursor);
  return out;
}

/** One user as the server shows it to the signed-in user (server mode): the record without
 * the fields the kernel hides from them, the kernel's `fields` (visible, editable, hidden,
 * readOnly) and the actions it allows. */
export async function readUser(id) {
  return api("GET", `/users/${encodeURIComponent(id)}`);
}

/** A user's audit history (server mode). */
export async function history(id) {
  const out = [];
  let after = null;
  do {
    const page = await api("GET", `/users/${encodeURIComponent(id)}/audit${after ? `?after=${after}` : ""}`);
    out.push(...page.entries);
    after = page.next;
  } while (after);
  return out;
}

/** Changes a user's status through the server (server mode); with `dryRun`, the server's
 * decision on it (the facts and plugins it holds), nothing written. */
export async function transition(id, body, dryRun = false) {
  return api("POST", `/users/${encodeURIComponent(id)}/status${dryRun ? "?dryRun=true" : ""}`, body);
}

/** Deletes a user (server mode), confirmed (R000-09). */
export async function remove(id, facts = {}) {
  const query = new URLSearchParams({ confirm: "true", ...facts });
  return api("DELETE", `/users/${encodeURIComponent(id)}?${query}`);
}

/** Imports a file (server mode): a preview, or with `commit` the accepted rows. */
export async function importFile(bytes, format, commit) {
  return api("POST", `/imports?format=${format}${commit ? "&commit=true" : ""}`, bytes, true);
}

const KEY = (preset) => `warden.users.${preset}`;

const people = [
  ["Ada", "Lovelace"], ["Alan", "Turing"], ["Grace", "Hopper"], ["Linus", "Torvalds"],
  ["Margaret", "Hamilton"], ["Donald", "Knuth"], ["Barbara", "Liskov"], ["Ken", "Thompson"],
];
const mail = (f, l) => `${f}.${l}@example.com`.toLowerCase();

/** Demo users per preset: stored records, as the core normalised them. */
const SEEDS = {
  "production-planner-pro": () => people.map(([f, l], i) => ({
    id: `u${i + 1}`, firstName: f, lastName: l, email: mail(f, l), organization: ["acme", "globex", "initech"][i % 3],
    status: i === 5 ? "inactive" : "active", superAdmin: i === 0, roles: i === 0 ? [] : ["regular"],
  })),
  "hr-platform": () => people.map(([f, l], i) => ({
    id: `u${i + 1}`, firstName: f, lastName: l, email: mail(f, l), jobTitle: i === 0 ? "CEO" : i < 3 ? "VP Engineering" : "Software Engineer",
    department: i === 0 ? "Executive" : "Engineering", manager: i === 0 ? null : i < 3 ? "u1" : "u2", organization: "acme",
    status: i === 6 ? "inactive" : "active", roles: i === 0 ? ["hrAdmin"] : i < 3 ? ["manager"] : i === 6 ? [] : ["employee"],
  })),
  "rental-platform": () => people.map(([f, l], i) => ({
    id: `u${i + 1}`, firstName: f, lastName: l, email: mail(f, l), phone: `+336123456${10 + i}`,
    accountType: i === 0 ? "staff" : i === 1 ? "supplier" : "customer", birthdate: `19${70 + i}-0${1 + (i % 9)}-15`,
    location: ["paris", "lyon"][i % 2], status: ["active", "active", "suspended", "active", "pendingVerification", "inactive", "active", "locked"][i],
    superAdmin: i === 0, roles: i === 0 ? ["administrator"] : i === 1 ? ["supplier"] : ["customer"],
  })),
  crm: () => people.map(([f, l], i) => ({
    id: `u${i + 1}`, username: `${f[0]}${l}`.toLowerCase(), firstName: f, lastName: l, email: mail(f, l),
    organization: ["acme", "globex"][i % 2], employeeId: `E${100 + i}`, department: "Sales", isSystemAdmin: i === 0,
    status: i === 7 ? "inactive" : "active", roles: i === 0 ? ["systemAdmin"] : i < 3 ? ["salesManager"] : ["salesRep"],
  })),
  "prs-procurement": () => people.map(([f, l], i) => ({
    id: `u${i + 1}`, username: `${f}.${l}`.toLowerCase(), firstName: f, lastName: l, email: mail(f, l),
    userType: ["admin", "purchasing", "approver", "requester", "viewer"][i % 5], department: "Procurement",
    supervisor: i === 0 ? "root" : "u1", status: i === 4 ? "inactive" : "active", roles: [["admin", "purchasing", "approver", "requester", "viewer"][i % 5]],
  })),
};

/** The actor of the console's previews: the signed-in user, or the demo's administrator. */
export function currentActor() {
  if (MODE === "server" && SESSION) {
    // The signed-in user's whole record as the server shows it to them: its attributes
    // too (a role given by a field such as `accountType`), and whether it is root.
    const a = accountOf(SESSION.user);
    a.groups = SESSION.user.groups ?? [];
    return a;
  }
  return { id: "console-admin", superAdmin: true, root: true, roles: ["admin", "administrator", "hrAdmin", "systemAdmin"] };
}

/** A user as the kernel's account: the directory's fields, the rest as attributes. */
export function accountOf(u) {
  const attributes = {};
  for (const [k, v] of Object.entries(u)) {
    if (["id", "organization", "status", "statusUntil", "roles", "groups", "superAdmin", "root", "manager", "location", "version", "actions", "deleted"].includes(k)) continue;
    if (v !== null && v !== undefined) attributes[k] = v;
  }
  const a = { id: u.id, status: u.status ?? "active", roles: u.roles ?? [], superAdmin: !!u.superAdmin, attributes };
  if (u.root) a.root = true;
  if (u.organization) a.organization = u.organization;
  if (u.statusUntil) a.statusUntil = u.statusUntil;
  if (u.manager) a.manager = u.manager;
  if (u.location) a.location = u.location;
  return a;
}

/** Every user of the preset's tenant (on a server: those the signed-in user may see). */
export async function listUsers(preset) {
  if (MODE === "server") return serverUsers();
  return localUsers(preset);
}

function localUsers(preset) {
  const raw = localStorage.getItem(KEY(preset));
  if (raw) { try { return JSON.parse(raw); } catch { /* reseeded below */ } }
  const seeded = (SEEDS[preset] ?? (() => []))();
  localStorage.setItem(KEY(preset), JSON.stringify(seeded));
  return seeded;
}

/** Known organisations (for existence checks and the filter). */
export async function organizations(preset) {
  if (MODE === "server") return [...new Set((await serverUsers()).map((u) => u.organization).filter(Boolean))].sort();
  return [...new Set(localUsers(preset).map((u) => u.organization).filter(Boolean).concat(["acme", "globex", "initech"]))].sort();
}

function write(preset, users) { localStorage.setItem(KEY(preset), JSON.stringify(users)); }

/** Inserts or updates users (by id); returns them with their ids. On a server, a record
 * is created (POST) or its changed fields sent (PATCH); the server's refusal is thrown as a
 * ServerError with the kernel's violations or denial. */
export async function saveUsers(preset, records) {
  if (MODE === "server") {
    const out = [];
    for (const r of records) {
      const { id, version, status, statusUntil, deleted, actions, ...fields } = r;
      // An edit names the version it was made on: another administrator's change since is
      // a refusal (412), never silently overwritten.
      const res = id
        ? await api("PATCH", `/users/${encodeURIComponent(id)}`, fields, false, version == null ? {} : { "if-match": `"${version}"` })
        : await api("POST", "/users", fields);
      out.push(res.user);
    }
    return out;
  }
  const users = localUsers(preset);
  const byId = new Map(users.map((u, i) => [u.id, i]));
  let next = users.reduce((m, u) => Math.max(m, Number(String(u.id).replace(/\D/g, "")) || 0), 0);
  const out = [];
  for (const r of records) {
    const rec = { ...r };
    if (!rec.id) rec.id = `u${++next}`;
    if (byId.has(rec.id)) users[byId.get(rec.id)] = { ...users[byId.get(rec.id)], ...rec };
    else { byId.set(rec.id, users.length); users.push(rec); }
    out.push(rec);
  }
  write(preset, users);
  return out;
}

/** Forgets local changes. */
export function reset(preset) { localStorage.removeItem(KEY(preset)); }
