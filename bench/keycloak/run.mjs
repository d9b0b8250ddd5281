// Warden vs Keycloak, same machine, same run, same work (issue 20). Started by
// scripts/bench-keycloak.sh, which fetches Keycloak, builds Warden, creates and drops the
// PostgreSQL databases and kills every pid left in $BENCH_PIDFILE on exit. This file starts
// and stops both servers (by pid), configures Keycloak's realm, user profile and
// fine-grained admin permissions and Warden's tenant policy through their admin APIs,
// checks that verdicts agree, measures, and writes bench/keycloak.md (spliced into
// BENCHMARKS.md as section 10). One load generator (Node's fetch) for both servers.
import { spawn, execFileSync } from "node:child_process";
import { appendFileSync, readFileSync, writeFileSync, existsSync, readdirSync } from "node:fs";
import { createServer } from "node:net";
import { performance } from "node:perf_hooks";
import os from "node:os";

const env = process.env;
const KC_HOME = env.KC_HOME;
const KC_VERSION = env.KC_VERSION;
const WARDEN_BIN = env.WARDEN_BIN;
const WORK = env.BENCH_WORK;
const PIDFILE = env.BENCH_PIDFILE;
const USERS = Number(env.BENCH_KC_USERS ?? 20000);
const USERS_LARGE = Number(env.BENCH_KC_USERS_LARGE ?? 100000);
const GROUPS = (env.BENCH_KC_GROUPS ?? "8x24x25").split("x").map(Number); // 8 + 192 + 4800 = 5000
const CREATE_SEQ = Number(env.BENCH_KC_CREATE_SEQ ?? 200);
const CREATE_CONC = Number(env.BENCH_KC_CREATE_CONC ?? 800);
const CONC = 16;
const PG = env.BENCH_KC_PG_KC ? { kc: env.BENCH_KC_PG_KC, warden: env.BENCH_KC_PG_WARDEN } : null;
const KC_ADMIN = "admin";
const KC_ADMIN_PW = "bench-admin-pw";
const REALM = "bench";
const TENANT = "hr-platform";
const DELEGATE_PW = "Delegate-pw-2026!";
const log = (...a) => console.log(new Date().toISOString().slice(11, 19), ...a);

// ---------------------------------------------------------------- processes
async function freePort() {
  return new Promise((res) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });
}

function rssKiB(pid) {
  // The process and its descendants (kc.sh execs java; counted either way).
  let total = 0;
  const seen = new Set();
  const walk = (p) => {
    if (seen.has(p)) return;
    seen.add(p);
    try {
      const st = readFileSync(`/proc/${p}/status`, "utf8");
      const m = st.match(/VmRSS:\s+(\d+)/);
      if (m) total += Number(m[1]);
      for (const t of readdirSync(`/proc/${p}/task`)) {
        const ch = readFileSync(`/proc/${p}/task/${t}/children`, "utf8").trim();
        if (ch) ch.split(/\s+/).map(Number).forEach(walk);
      }
    } catch {}
  };
  walk(pid);
  return total;
}

function startProc(name, cmd, args, opts) {
  const child = spawn(cmd, args, { ...opts, stdio: ["ignore", "pipe", "pipe"] });
  appendFileSync(PIDFILE, `${child.pid}\n`);
  const out = `${WORK}/${name}.log`;
  child.stdout.on("data", (d) => appendFileSync(out, d));
  child.stderr.on("data", (d) => appendFileSync(out, d));
  child.exited = new Promise((res) =>
    child.on("exit", (code, sig) => {
      // Gone: out of the pid file, so that the script's cleanup never signals a pid the
      // system has since given to another process.
      const left = readFileSync(PIDFILE, "utf8").split("\n").filter((p) => p && p !== String(child.pid));
      writeFileSync(PIDFILE, left.map((p) => `${p}\n`).join(""));
      res({ code, sig });
    }),
  );
  return child;
}

async function stopProc(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const t = setTimeout(() => child.kill("SIGKILL"), 60000);
  await child.exited;
  clearTimeout(t);
}

async function waitReady(url, child, timeoutMs = 600000) {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`${url}: the server exited (${child.exitCode})`);
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(5000) });
      await r.arrayBuffer();
      if (r.status === 200) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} not ready in ${timeoutMs} ms`);
}

async function startKeycloak() {
  const port = await freePort();
  const mport = await freePort();
  // The error handler's debug lines: why an admin request failed (a 4xx is logged at debug only).
  const args = ["start-dev", "--http-host", "127.0.0.1", "--http-port", String(port), "--http-management-port", String(mport), "--log-level=INFO,org.keycloak.services.error:debug"];
  if (PG) args.push("--db", "postgres", "--db-url", `jdbc:postgresql://127.0.0.1:5432/${PG.kc}`, "--db-username", "warden", "--db-password", "warden");
  const t0 = performance.now();
  const child = startProc("keycloak", `${KC_HOME}/bin/kc.sh`, args, {
    cwd: KC_HOME,
    env: { ...env, KC_BOOTSTRAP_ADMIN_USERNAME: KC_ADMIN, KC_BOOTSTRAP_ADMIN_PASSWORD: KC_ADMIN_PW },
  });
  const base = `http://127.0.0.1:${port}`;
  await waitReady(`${base}/realms/master`, child);
  const ms = performance.now() - t0;
  log(`keycloak ready on ${port} in ${(ms / 1000).toFixed(1)} s (pid ${child.pid})`);
  return { child, base, startMs: ms };
}

async function startWarden() {
  const port = await freePort();
  const args = ["serve", "--demo", "--listen", `127.0.0.1:${port}`];
  if (PG) args.push("--database", `postgres://warden:warden@127.0.0.1/${PG.warden}`);
  else args.push("--data", `${WORK}/warden-data`);
  const t0 = performance.now();
  const child = startProc("warden", WARDEN_BIN, args, { env: { ...env, RUST_LOG: "warn" } });
  const base = `http://127.0.0.1:${port}`;
  await waitReady(`${base}/readyz`, child);
  const ms = performance.now() - t0;
  log(`warden ready on ${port} in ${(ms / 1000).toFixed(3)} s (pid ${child.pid})`);
  return { child, base, startMs: ms };
}

// ---------------------------------------------------------------- http
async function call(method, url, { headers = {}, body, form, raw } = {}) {
  const h = { ...headers };
  let data;
  if (form) {
    data = new URLSearchParams(form).toString();
    h["content-type"] = "application/x-www-form-urlencoded";
  } else if (raw !== undefined) {
    data = raw;
  } else if (body !== undefined) {
    data = JSON.stringify(body);
    h["content-type"] = "application/json";
  }
  const t0 = performance.now();
  const r = await fetch(url, { method, headers: h, body: data, signal: AbortSignal.timeout(900000) });
  const text = await r.text();
  const ms = performance.now() - t0;
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {}
  return { status: r.status, json, text, ms, headers: r.headers };
}

async function must(p, what) {
  const r = await p;
  if (r.status >= 300) throw new Error(`${what}: ${r.status} ${r.text.slice(0, 500)}`);
  return r;
}

// ---------------------------------------------------------------- Keycloak side
class KC {
  constructor(base) {
    this.base = base;
  }
  async token(realm = "master", user = KC_ADMIN, pw = KC_ADMIN_PW) {
    const r = await must(
      call("POST", `${this.base}/realms/${realm}/protocol/openid-connect/token`, {
        form: { client_id: "admin-cli", grant_type: "password", username: user, password: pw },
      }),
      `token ${realm}/${user}`,
    );
    return r.json.access_token;
  }
  async admin() {
    this.tok = await this.token();
    return this;
  }
  h(tok = this.tok) {
    return { authorization: `Bearer ${tok}` };
  }
  api(method, path, body, tok) {
    return call(method, `${this.base}/admin/realms${path}`, { headers: this.h(tok), body });
  }
  async setup() {
    await this.admin();
    // An hour of admin token: the bench's calls outlive the default minute.
    await must(this.api("PUT", "/master", { accessTokenLifespan: 7200 }), "master token lifespan");
    await this.admin();
    await must(
      this.api("POST", "", {
        realm: REALM, enabled: true, adminPermissionsEnabled: true, accessTokenLifespan: 7200,
        duplicateEmailsAllowed: false, registrationEmailAsUsername: false,
      }),
      "create realm",
    );
    const prof = (await must(this.api("GET", `/${REALM}/users/profile`), "profile")).json;
    const R = ["admin", "user"];
    const perm = { view: R, edit: R };
    prof.attributes = [
      { name: "username", displayName: "${username}", multivalued: false, permissions: perm,
        validations: { length: { min: 3, max: 32 }, pattern: { pattern: "^[A-Za-z0-9._-]+$", "error-message": "invalidUsername" } } },
      { name: "email", displayName: "${email}", multivalued: false, permissions: perm, required: { roles: R },
        validations: { email: {}, length: { max: 254 } } },
      { name: "firstName", displayName: "${firstName}", multivalued: false, permissions: perm, required: { roles: R },
        validations: { length: { min: 1, max: 64 } } },
      { name: "lastName", displayName: "${lastName}", multivalued: false, permissions: perm, required: { roles: R },
        validations: { length: { min: 1, max: 64 } } },
      { name: "employeeId", displayName: "Employee id", multivalued: false, permissions: perm, required: { roles: R },
        validations: { pattern: { pattern: "^EMP-[0-9]{5}$", "error-message": "invalidEmployeeId" } } },
    ];
    await must(this.api("PUT", `/${REALM}/users/profile`, prof), "put user profile");
    this.profile = prof;
  }
  body(rec) {
    const d = { enabled: true };
    for (const k of ["username", "email", "firstName", "lastName"]) if (k in rec) d[k] = rec[k];
    if ("employeeId" in rec) d.attributes = { employeeId: [rec.employeeId] };
    return d;
  }
  create(rec) {
    return call("POST", `${this.base}/admin/realms/${REALM}/users`, { headers: this.h(), body: this.body(rec) });
  }
}

// ---------------------------------------------------------------- Warden side
class Warden {
  constructor(base) {
    this.base = base;
  }
  cli(args) {
    const db = PG ? ["--database", `postgres://warden:warden@127.0.0.1/${PG.warden}`] : ["--data", `${WORK}/warden-data`];
    return execFileSync(WARDEN_BIN, [...args, ...db], { env: { ...env, RUST_LOG: "error" } }).toString();
  }
  key(role) {
    const out = this.cli(["key", "create", "--tenant", TENANT, "--role", role, "--name", `bench-${role}`]);
    return out.match(/(wdn_\S+)/)[1];
  }
  sql(q) {
    if (PG) {
      return execFileSync("psql", ["-qtAX", "-h", "127.0.0.1", "-U", "warden", "-d", PG.warden, "-c", q], {
        env: { ...env, PGPASSWORD: "warden" },
      }).toString().trim();
    }
    return execFileSync("sqlite3", [`${WORK}/warden-data/warden.db`, q]).toString().trim();
  }
  async setup() {
    this.adminKey = this.key("admin");
    this.serviceKey = this.key("service");
    this.hr = this.sql(`SELECT id FROM users WHERE tenant_id = '${TENANT}' AND document LIKE '%hugo.renard@company.com%'`);
    if (!/^u_/.test(this.hr)) throw new Error(`no hr user: ${this.hr}`);
    const policy = JSON.parse(readFileSync("bench/keycloak/policy.json", "utf8"));
    await must(call("PUT", `${this.base}/api/v1/policy`, { headers: { authorization: `Bearer ${this.adminKey}` }, body: policy }), "put policy");
    this.h = { authorization: `Bearer ${this.adminKey}`, "x-warden-act-as": this.hr };
  }
  body(rec) {
    const d = {};
    for (const k of ["username", "email", "firstName", "lastName", "employeeId", "manager"]) if (k in rec) d[k] = rec[k];
    if (rec.roles) d.roles = rec.roles;
    // Every Warden user belongs to an organisation (the realm's counterpart): the HR
    // administrator's, which its `all` scope reaches without super-administrator rights.
    d.organization = "company";
    return d;
  }
  create(rec) {
    return call("POST", `${this.base}/api/v1/users`, { headers: this.h, body: this.body(rec) });
  }
}

// ---------------------------------------------------------------- stats
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const median = (xs) => pct(xs, 50);

async function runLoad(records, conc, fn) {
  const lat = [];
  let i = 0;
  const bad = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (i < records.length) {
        const r = records[i++];
        const res = await fn(r);
        lat.push(res.ms);
        if (res.status !== 201) bad.push(`${res.status} ${res.text.slice(0, 200)}`);
      }
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  if (bad.length) throw new Error(`creation: ${bad.length} non-201, first: ${bad[0]}`);
  return { n: records.length, conc, p50: median(lat), p99: pct(lat, 99), rps: records.length / wall, wall };
}

// ---------------------------------------------------------------- data
const pad = (n, w) => String(n).padStart(w, "0");
function validRecord(tag, i) {
  return { username: `${tag}.${i}`, email: `${tag}.${i}@example.com`, firstName: "Ada", lastName: `Load${i}`, employeeId: `EMP-${pad(i % 100000, 5)}` };
}

// The fidelity set: each record with the verdict the rule gives (`expect`) and why.
function fidelityRecords() {
  const out = [];
  const add = (kind, expect, rec, note) => out.push({ kind, expect, rec, note });
  for (let i = 0; i < 9; i++) {
    const b = (s) => ({ username: `f${i}.${s}`, email: `f${i}.${s}@example.com`, firstName: "Marie", lastName: "Curie", employeeId: `EMP-${pad(10000 + i, 5)}` });
    // valid
    add("valid: plain", true, b("plain"));
    add("valid: email with +tag and subdomain", true, { ...b("plus"), email: `f${i}.plus+tag@mail.example.org` });
    add("valid: username mixed case, _ and -", true, { ...b("x"), username: `Jean_Luc-${i}` });
    add("valid: accented names, apostrophe", true, { ...b("acc"), firstName: "Élodie", lastName: "O'Brien-Ñúñez" });
    add("valid: first name of exactly 64 characters", true, { ...b("len64"), firstName: "A".repeat(63) + String(i) });
    add("valid: username of exactly 3 characters", true, { ...b("u3"), username: `u${i}z` });
    add("valid: username of exactly 32 characters", true, { ...b("u32"), username: `u${i}`.padEnd(32, "x") });
    add("valid: email local part of exactly 64 characters", true, { ...b("l64"), email: `${`f${i}`.padEnd(64, "l")}@example.com` });
    add("valid: email in mixed case", true, { ...b("mc"), email: `Mixed.Case${i}@Example.COM` });
    add("valid: last name of 64 characters outside the BMP", true, { ...b("astral"), lastName: "𝒜".repeat(64) });
    // email
    add("email: no @", false, { ...b("e1"), email: `f${i}.e1.example.com` });
    add("email: two @", false, { ...b("e2"), email: `f${i}@e2@example.com` });
    add("email: space in local part", false, { ...b("e3"), email: `f${i} e3@example.com` });
    add("email: empty domain", false, { ...b("e4"), email: `f${i}.e4@` });
    add("email: empty local part", false, { ...b("e5"), email: `@f${i}.example.com` });
    add("email: domain label starting with -", false, { ...b("e6"), email: `f${i}.e6@-example.com` });
    add("email: _ in domain", false, { ...b("e7"), email: `f${i}.e7@exa_mple.com` });
    add("email: local part of 65 characters", false, { ...b("e8"), email: `${`f${i}`.padEnd(65, "l")}@example.com` });
    add("email: consecutive dots in domain", false, { ...b("e9"), email: `f${i}.e9@example..com` });
    // length
    add("length: username of 2 characters", false, { ...b("l1"), username: `z${i}` });
    add("length: username of 33 characters", false, { ...b("l2"), username: `v${i}`.padEnd(33, "y") });
    add("length: first name of 65 characters", false, { ...b("l3"), firstName: "B".repeat(65) });
    add("length: last name of 65 characters outside the BMP", false, { ...b("l4"), lastName: "𝒜".repeat(65) });
    // required
    add("required: first name missing", false, (() => { const r = b("r1"); delete r.firstName; return r; })());
    add("required: email missing", false, (() => { const r = b("r2"); delete r.email; return r; })());
    add("required: employeeId missing", false, (() => { const r = b("r3"); delete r.employeeId; return r; })());
    add("required: last name empty", false, { ...b("r4"), lastName: "" });
    add("required: first name blank (spaces)", false, { ...b("r5"), firstName: "   " });
    // pattern
    add("pattern: employeeId with 4 digits", false, { ...b("p1"), employeeId: "EMP-1234" });
    add("pattern: employeeId in lower case", false, { ...b("p2"), employeeId: `emp-${pad(20000 + i, 5)}` });
    add("pattern: employeeId with 6 digits", false, { ...b("p3"), employeeId: `EMP-${pad(300000 + i, 6)}` });
    add("pattern: username with a space", false, { ...b("p4"), username: `john doe${i}` });
    add("pattern: username with @", false, { ...b("p5"), username: `john@doe${i}` });
    add("pattern: username with a non-ASCII letter", false, { ...b("p6"), username: `jöhn${i}` });
    // duplicates in case variants (of records above, accepted earlier in the same order)
    add("duplicate: username, other case", false, { ...b("d1"), username: `F${i}.PLAIN` });
    add("duplicate: email, other case", false, { ...b("d2"), email: `F${i}.Plain@EXAMPLE.com` });
    add("duplicate: email, same text", false, { ...b("d3"), email: `f${i}.plus+tag@mail.example.org` });
    add("duplicate: username (mixed case stored lower), other case", false, { ...b("d4"), username: `jean_luc-${i}` });
    add("duplicate: email stored from mixed case, lower case", false, { ...b("d5"), email: `mixed.case${i}@example.com` });
  }
  return out;
}

// ---------------------------------------------------------------- phases
const results = { machine: {}, phases: {} };

async function fidelity(kc, wd) {
  const recs = fidelityRecords();
  const rows = [];
  const verdict = (r) => (r.status === 201 ? true : [400, 409, 422].includes(r.status) ? false : `error ${r.status}`);
  for (const f of recs) {
    const k = await kc.create(f.rec);
    const w = await wd.create(f.rec);
    rows.push({ ...f, kc: verdict(k), kcWhy: k.status === 201 ? "" : k.text.slice(0, 160), wd: verdict(w), wdWhy: w.status === 201 ? "" : w.text.slice(0, 200) });
  }
  for (const r of rows) if (typeof r.kc === "string" || typeof r.wd === "string") throw new Error(`fidelity: unexpected answer ${JSON.stringify(r)}`);
  const agree = rows.filter((r) => r.kc === r.wd).length;
  const byKind = {};
  for (const r of rows) {
    const k = (byKind[r.kind] ??= { kind: r.kind, expect: r.expect, n: 0, agree: 0, kcRight: 0, wdRight: 0, kcWhy: "", wdWhy: "" });
    k.n++;
    if (r.kc === r.wd) k.agree++;
    if (r.kc === r.expect) k.kcRight++;
    if (r.wd === r.expect) k.wdRight++;
    if (r.kc !== r.wd) {
      k.kcWhy ||= r.kcWhy;
      k.wdWhy ||= r.wdWhy;
      k.example ||= r.rec;
    }
  }
  log(`fidelity: ${rows.length} records, ${agree} agree`);
  return { n: rows.length, agree, kcRight: rows.filter((r) => r.kc === r.expect).length, wdRight: rows.filter((r) => r.wd === r.expect).length, kinds: Object.values(byKind) };
}

async function creation(kc, wd, tag) {
  const out = {};
  // Warm-up (not measured): 20 creations each.
  await runLoad(Array.from({ length: 20 }, (_, i) => validRecord(`${tag}w`, i)), 4, (r) => kc.create(r));
  await runLoad(Array.from({ length: 20 }, (_, i) => validRecord(`${tag}w`, i)), 4, (r) => wd.create(r));
  const seq = (t) => Array.from({ length: CREATE_SEQ }, (_, i) => validRecord(`${tag}${t}s`, i));
  const con = (t) => Array.from({ length: CREATE_CONC }, (_, i) => validRecord(`${tag}${t}c`, i));
  out.kcSeq = await runLoad(seq("k"), 1, (r) => kc.create(r));
  log("kc seq", JSON.stringify(out.kcSeq));
  out.wdSeq = await runLoad(seq("w"), 1, (r) => wd.create(r));
  log("warden seq", JSON.stringify(out.wdSeq));
  out.kcConc = await runLoad(con("k"), CONC, (r) => kc.create(r));
  log("kc c16", JSON.stringify(out.kcConc));
  out.wdConc = await runLoad(con("w"), CONC, (r) => wd.create(r));
  log("warden c16", JSON.stringify(out.wdConc));
  return out;
}

// The #32041 shape: GROUPS[0] top groups, each with GROUPS[1] children, each with GROUPS[2]
// leaves; users spread round-robin over the leaves; the delegated admin manages top group 1.
function groupTree() {
  const [a, b, c] = GROUPS;
  const leaves = [];
  const tree = [];
  for (let i = 1; i <= a; i++) {
    const g = { name: `g${i}`, path: `/g${i}`, subGroups: [] };
    for (let j = 1; j <= b; j++) {
      const m = { name: `g${i}-${j}`, path: `/g${i}/g${i}-${j}`, subGroups: [] };
      for (let k = 1; k <= c; k++) {
        m.subGroups.push({ name: `g${i}-${j}-${k}`, path: `/g${i}/g${i}-${j}/g${i}-${j}-${k}` });
        leaves.push({ path: `/g${i}/g${i}-${j}/g${i}-${j}-${k}`, top: i, mid: `g${i}-${j}`, name: `g${i}-${j}-${k}` });
      }
      g.subGroups.push(m);
    }
    tree.push(g);
  }
  return { tree, leaves, count: a + a * b + a * b * c };
}
const memberOf = (n, leaves) => leaves[n % leaves.length];
const member = (n) => ({ username: `mem${n}`, email: `mem${n}@corp.example`, firstName: "Member", lastName: `N${n}`, employeeId: `EMP-${pad(n % 100000, 5)}` });

async function loadKeycloak(kc, shape, from, to) {
  // The groups in one partial import; the users through POST /users and their membership
  // through PUT /users/{id}/groups/{group}, 16 at a time. (A partial import of 2,000 users
  // with group paths did not finish in 3.5 minutes here: one transaction per request; 500 users
  // a request into the 5,000 groups took 40-52 s, about 11 users/s, measured 2026-12-03.)
  const t0 = performance.now();
  if (from === 0) {
    await must(kc.api("POST", `/${REALM}/partialImport`, { ifResourceExists: "FAIL", groups: shape.tree }), "import groups");
    kc.leafIds = {};
    const children = async (id) => (await must(kc.api("GET", `/${REALM}/groups/${id}/children?first=0&max=1000&briefRepresentation=true`), "children")).json;
    const tops = (await must(kc.api("GET", `/${REALM}/groups?first=0&max=1000&briefRepresentation=true`), "top groups")).json;
    for (const t of tops) for (const m of await children(t.id)) for (const l of await children(m.id)) kc.leafIds[l.name] = l.id;
  }
  let i = from;
  await Promise.all(
    Array.from({ length: CONC }, async () => {
      while (i < to) {
        const n = i++;
        const r = await must(kc.create(member(n)), `create mem${n}`);
        const id = r.headers.get("location").split("/").pop();
        await must(kc.api("PUT", `/${REALM}/users/${id}/groups/${kc.leafIds[memberOf(n, shape.leaves).name]}`), `join mem${n}`);
      }
    }),
  );
  return (performance.now() - t0) / 1000;
}

async function delegateKeycloak(kc, memberName) {
  // The delegated admin: a realm user with `query-users` (realm-management) and a group
  // permission (view-members, manage-members) on top group g1 through a user policy.
  const d = { ...kc.body({ username: "delegate", email: "delegate@corp.example", firstName: "Dele", lastName: "Gate", employeeId: "EMP-99999" }), credentials: [{ type: "password", value: DELEGATE_PW, temporary: false }] };
  await must(kc.api("POST", `/${REALM}/users`, d), "create delegate");
  const uid = (await must(kc.api("GET", `/${REALM}/users?username=delegate&exact=true`), "find delegate")).json[0].id;
  const rm = (await must(kc.api("GET", `/${REALM}/clients?clientId=realm-management`), "realm-management")).json[0].id;
  const role = (await must(kc.api("GET", `/${REALM}/clients/${rm}/roles/query-users`), "query-users")).json;
  await must(kc.api("POST", `/${REALM}/users/${uid}/role-mappings/clients/${rm}`, [role]), "grant query-users");
  const ap = (await must(kc.api("GET", `/${REALM}/clients?clientId=admin-permissions`), "admin-permissions")).json[0].id;
  const g1 = (await must(kc.api("GET", `/${REALM}/groups?search=g1&exact=true`), "find g1")).json.find((g) => g.name === "g1").id;
  const pol = (await must(kc.api("POST", `/${REALM}/clients/${ap}/authz/resource-server/policy/user`, { name: "delegate-is-admin", users: [uid] }), "user policy")).json.id;
  const perm = (name, resources) =>
    must(
      kc.api("POST", `/${REALM}/clients/${ap}/authz/resource-server/permission/scope`, {
        name, resourceType: "Groups", resources, scopes: ["view-members", "manage-members"], policies: [pol], decisionStrategy: "UNANIMOUS",
      }),
      `group permission ${name}`,
    );
  // First the permission on g1 alone, as the documentation describes it (view-members
  // "applies to any child group"): what the list shows, and whether one member reads.
  await perm("g1-members", [g1]);
  let tok = await kc.token(REALM, "delegate", DELEGATE_PW);
  const probe = {};
  probe.listed = (await must(call("GET", `${kc.base}/admin/realms/${REALM}/users?first=0&max=50`, { headers: kc.h(tok) }), "probe list")).json.length;
  const someone = (await must(kc.api("GET", `/${REALM}/users?username=${memberName}&exact=true`), "find a member")).json[0].id;
  probe.readOne = (await call("GET", `${kc.base}/admin/realms/${REALM}/users/${someone}`, { headers: kc.h(tok) })).status;
  log("keycloak, view-members on g1 only:", JSON.stringify(probe));
  // The list only shows direct members of the groups a permission names: name every group
  // of the subtree (g1, its children, their children) in one permission.
  const sub = [g1];
  const children = async (id) => (await must(kc.api("GET", `/${REALM}/groups/${id}/children?first=0&max=1000&briefRepresentation=true`), "children")).json;
  for (const m of await children(g1)) {
    sub.push(m.id);
    for (const l of await children(m.id)) sub.push(l.id);
  }
  await perm("g1-subtree-members", sub);
  probe.permissions = 1;
  probe.subtreeGroups = sub.length;
  kc.probe = probe;
  return kc.token(REALM, "delegate", DELEGATE_PW);
}

async function loadWarden(wd, shape, from, to, heads) {
  const t0 = performance.now();
  if (from === 0) {
    // The group tree as a management tree: one head record per group (the head of g1 is the
    // delegated admin, role groupAdmin), levels created in order, 16 at a time.
    const mk = (name, manager, roles) => ({ username: `head.${name}`, email: `head.${name}@groups.example`, firstName: "Group", lastName: name, employeeId: "EMP-00000", manager, ...(roles ? { roles } : {}) });
    const level = async (items) => {
      let i = 0;
      await Promise.all(Array.from({ length: CONC }, async () => {
        while (i < items.length) {
          const [name, rec] = items[i++];
          const r = await must(wd.create(rec), `head ${name}`);
          heads[name] = r.json.id ?? r.json.user?.id;
          if (!heads[name]) throw new Error(`no id in ${r.text.slice(0, 300)}`);
        }
      }));
    };
    await level(shape.tree.map((g) => [g.name, mk(g.name, null, g.name === "g1" ? ["groupAdmin"] : null)]));
    await level(shape.tree.flatMap((g) => g.subGroups.map((m) => [m.name, mk(m.name, heads[g.name])])));
    await level(shape.leaves.map((l) => [l.name, mk(l.name, heads[l.mid])]));
  }
  const CH = 2000; // rows per import request: well inside the default 30 s request timeout
  for (let s = from; s < to; s += CH) {
    const lines = [];
    for (let n = s; n < Math.min(to, s + CH); n++) lines.push(JSON.stringify(wd.body({ ...member(n), manager: heads[memberOf(n, shape.leaves).name] })));
    const r = await must(
      call("POST", `${wd.base}/api/v1/imports?commit=true&format=jsonl`, { headers: { ...wd.h, "content-type": "application/x-ndjson" }, raw: lines.join("\n") + "\n" }),
      `import ${s}`,
    );
    const done = (r.json.results ?? []).filter((x) => x.id).length;
    if (done !== lines.length) throw new Error(`warden import ${s}: ${done} of ${lines.length} rows committed: ${r.text.slice(0, 400)}`);
  }
  return (performance.now() - t0) / 1000;
}

async function listAll(fetchPage, budgetMs = Infinity) {
  // Returns time to first page of 50, time to the complete list (pages of 200), usernames,
  // and `timedOut` when the complete list was not reached within budgetMs (the pages read
  // until then are kept: the report says how far it got).
  const t0 = performance.now();
  await fetchPage(50, null);
  const first = performance.now() - t0;
  const t1 = performance.now();
  const names = [];
  let cur = null;
  let page = 0;
  let timedOut = false;
  for (;;) {
    const { names: ns, next } = await fetchPage(200, cur, page++);
    names.push(...ns);
    if (!next) break;
    if (performance.now() - t1 > budgetMs) {
      timedOut = true;
      break;
    }
    cur = next;
  }
  return { first, all: performance.now() - t1, names, timedOut };
}

async function delegated(kc, kcTok, wd, wdActor, expected, reps) {
  const kcPage = async (max, _cur, page = 0) => {
    const r = await must(call("GET", `${kc.base}/admin/realms/${REALM}/users?first=${page * max}&max=${max}`, { headers: kc.h(kcTok) }), "kc list");
    return { names: r.json.map((u) => u.username), next: r.json.length === max ? "more" : null };
  };
  const wdPage = async (limit, cur) => {
    const r = await must(
      call("GET", `${wd.base}/api/v1/users?limit=${limit}${cur ? `&cursor=${encodeURIComponent(cur)}` : ""}`, { headers: { authorization: `Bearer ${wd.serviceKey}`, "x-warden-act-as": wdActor } }),
      "warden list",
    );
    const users = r.json.users ?? r.json.items ?? r.json.data;
    return { names: users.map((u) => u.username ?? u.document?.username ?? u.record?.username), next: r.json.next ?? r.json.cursor ?? null };
  };
  // Bounded: a Keycloak list that does not complete within BENCH_KC_LIST_BUDGET seconds
  // (default 300) is stopped, reported as such with the pages read, and not repeated.
  const budget = Number(env.BENCH_KC_LIST_BUDGET ?? 300) * 1000;
  const out = { kc: [], wd: [] };
  for (let i = 0; i < reps; i++) {
    if (!out.kc.some((r) => r.timedOut || r.error)) {
      const t0 = performance.now();
      try {
        out.kc.push(await listAll(kcPage, budget));
      } catch (e) {
        // Keycloak's failure is a result: reported with its answer, how long it took to come,
        // and what Keycloak's log said meanwhile (the run goes on).
        const failedAfter = performance.now() - t0;
        let serverLog = [];
        try {
          serverLog = readFileSync(`${WORK}/keycloak.log`, "utf8").split("\n")
            .filter((l) => !/^\s+at /.test(l) && /ARJUNA|transaction|timeout|ERROR|Caused by|Error response/i.test(l)).slice(-6).map((l) => l.slice(0, 300));
        } catch {}
        log("keycloak list failed after", (failedAfter / 1000).toFixed(1), "s:", String(e.message ?? e).slice(0, 300), serverLog.join(" | "));
        out.kc.push({ error: String(e.message ?? e).slice(0, 300), failedAfter, serverLog, names: [], first: NaN, all: NaN });
      }
    }
    out.wd.push(await listAll(wdPage));
  }
  const check = (side, runs) => {
    const got = new Set(runs[0].names.filter((n) => /^mem\d+$/.test(n)));
    const missing = [...expected].filter((n) => !got.has(n)).length;
    const extra = [...got].filter((n) => !expected.has(n)).length;
    return { listed: runs[0].names.length, members: got.size, missing, extra, timedOut: runs[0].timedOut, error: runs[0].error, rounds: runs.length };
  };
  const res = {
    expected: expected.size,
    kc: { ...check("kc", out.kc), first: median(out.kc.map((r) => r.first)), all: median(out.kc.map((r) => r.all)), failedAfter: out.kc[0].failedAfter, serverLog: out.kc[0].serverLog },
    wd: { ...check("wd", out.wd), first: median(out.wd.map((r) => r.first)), all: median(out.wd.map((r) => r.all)) },
  };
  log("delegated", JSON.stringify(res));
  if ((!res.kc.timedOut && !res.kc.error && res.kc.missing) || res.kc.extra || res.wd.missing || res.wd.extra) throw new Error(`the delegated lists differ from the expected set: ${JSON.stringify(res)}`);
  return res;
}

// ---------------------------------------------------------------- main
async function main() {
  results.machine = { cores: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, keycloak: KC_VERSION, java: env.JAVA_VERSION, warden: env.WARDEN_COMMIT, loadBefore: os.loadavg()[0].toFixed(2), day: new Date().toISOString().slice(0, 10) };
  const phase = PG ? "postgres" : "embedded";
  const P = (results.phases[phase] = {});
  let k = await startKeycloak();
  let w = await startWarden();
  let kc = new KC(k.base);
  await kc.setup();
  let wd = new Warden(w.base);
  await wd.setup();
  P.firstStart = { kc: k.startMs, wd: w.startMs };
  if (!PG) {
    P.fidelity = await fidelity(kc, wd);
  }
  P.creation = await creation(kc, wd, PG ? "pg" : "em");
  if (!PG) {
    // Start-up to ready on the existing database (Keycloak already augmented for it).
    await stopProc(k.child);
    await stopProc(w.child);
    k = await startKeycloak();
    w = await startWarden();
    P.restart = { kc: k.startMs, wd: w.startMs, kcRssIdle: rssKiB(k.child.pid), wdRssIdle: rssKiB(w.child.pid) };
    kc = new KC(k.base);
    await kc.admin();
    const wkeys = { adminKey: wd.adminKey, serviceKey: wd.serviceKey, h: wd.h };
    wd = Object.assign(new Warden(w.base), wkeys);
    // The directory sizes.
    const shape = groupTree();
    const heads = {};
    P.sizes = [];
    let loaded = 0;
    let kcTok = null;
    for (const size of [USERS, USERS_LARGE].filter((s) => s > 0)) {
      // Bounded: skip a size whose Keycloak load, extrapolated from the last one, would pass
      // BENCH_KC_LOAD_BUDGET seconds (default 1,500), and say so in the report.
      const last = P.sizes.at(-1);
      if (last) {
        const est = (last.kcLoad * (size - loaded)) / last.users;
        if (est > Number(env.BENCH_KC_LOAD_BUDGET ?? 1500)) {
          P.skipped = { users: size, estimate: est };
          log(`skipping ${size} users: Keycloak's load would take about ${est.toFixed(0)} s`);
          break;
        }
      }
      log(`loading ${size} users (${shape.count} groups)`);
      const kcLoad = await loadKeycloak(kc, shape, loaded, size);
      log(`keycloak loaded in ${kcLoad.toFixed(1)} s`);
      const wdLoad = await loadWarden(wd, shape, loaded, size, heads);
      log(`warden loaded in ${wdLoad.toFixed(1)} s`);
      if (!kcTok) {
        kcTok = await delegateKeycloak(kc, [...Array(size).keys()].map((n) => `mem${n}`).find((_, n) => memberOf(n, shape.leaves).top === 1));
        P.kcProbe = kc.probe;
      }
      loaded = size;
      const expected = new Set();
      for (let n = 0; n < size; n++) if (memberOf(n, shape.leaves).top === 1) expected.add(`mem${n}`);
      const d = await delegated(kc, kcTok, wd, heads.g1, expected, 3);
      P.sizes.push({ users: size, groups: shape.count, kcLoad, wdLoad, ...d, kcRss: rssKiB(k.child.pid), wdRss: rssKiB(w.child.pid) });
      writeFileSync(`${WORK}/results.json`, JSON.stringify(results, null, 1));
    }
  }
  P.loadAfter = os.loadavg()[0].toFixed(2);
  await stopProc(k.child);
  await stopProc(w.child);
  writeFileSync(`${WORK}/results-${phase}.json`, JSON.stringify(results, null, 1));
  log("done", phase);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
