// The console's data access, and the only module that knows where users live. Until the
// server lands, users are kept in localStorage, seeded per preset; a server-backed module
// with the same exports replaces this file.
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
    accountType: i === 0 ? "administrator" : i === 1 ? "supplier" : "customer", birthdate: `19${70 + i}-0${1 + (i % 9)}-15`,
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

/** The signed-in administrator of the demo (the actor of every decision). */
export function currentActor() {
  return { id: "console-admin", superAdmin: true, root: true, roles: ["admin", "administrator", "hrAdmin", "systemAdmin"] };
}

/** Every user of the preset's tenant. */
export function listUsers(preset) {
  const raw = localStorage.getItem(KEY(preset));
  if (raw) { try { return JSON.parse(raw); } catch { /* reseeded below */ } }
  const seeded = (SEEDS[preset] ?? (() => []))();
  localStorage.setItem(KEY(preset), JSON.stringify(seeded));
  return seeded;
}

/** Known organisations (for existence checks and the filter). */
export function organizations(preset) {
  return [...new Set(listUsers(preset).map((u) => u.organization).filter(Boolean).concat(["acme", "globex", "initech"]))].sort();
}

function write(preset, users) { localStorage.setItem(KEY(preset), JSON.stringify(users)); }

/** Inserts or updates users (by id); returns them with their ids. */
export function saveUsers(preset, records) {
  const users = listUsers(preset);
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
