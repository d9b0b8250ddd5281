#!/usr/bin/env python3
"""One size of the decision-server comparison (driven by scripts/bench-decision-servers.sh).

The three servers are running on loopback; warden-server was started with `--demo` on a
fresh PostgreSQL database, so its `hr-platform` tenant exists, and `--key` is an admin key
of it. This:

0. generates the directory (two organisations of N/2 users, each a 10-ary management tree;
   everyone `employee`, the root and odd users of depth 1-2 `director`, one user in 1,000
   `hr`, one super admin per organisation), replaces the tenant's policy with
   `--policy` through the API (`PUT /api/v1/policy`), and loads the users into Warden's
   `users` table with `COPY` and its closure table with one recursive INSERT (the fastest
   path; both timed);
   loads the same directory into OPA (data API), OpenFGA (tuples) and the table `opa_users`
   that OPA's SQL filters run against;
1. asserts that the three servers reach the verdicts the scenario defines on a sample of
   requests (four scenarios, half allowed and half denied but for super admin), printing
   every differing case and failing if any differs;
2. times decisions over HTTP with wrk (interleaved rounds, same requests, same settings);
3. times lists ("which users may this actor read") for three actors, asserting that the
   complete answers are equal and recording how much of it each anchor returned;
4. records load times and the memory each keeps (process RSS, database size).

Writes its figures as JSON to `--out`. Standard library only (psql for SQL).
"""

import argparse
import concurrent.futures
import csv
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scenario  # noqa: E402  (the directory and the sample, shared with bench/cedar-agent)

ap = argparse.ArgumentParser()
ap.add_argument("--users", type=int, required=True)
ap.add_argument("--key", required=True, help="an admin key of Warden's hr-platform tenant")
ap.add_argument("--policy", required=True, help="Warden's policy (bench/decision-servers/policy.json)")
ap.add_argument("--warden-port", type=int, required=True)
ap.add_argument("--opa-port", type=int, required=True)
ap.add_argument("--fga-port", type=int, required=True)
ap.add_argument("--pids", required=True, help="warden,opa,openfga process ids")
ap.add_argument("--db", required=True, help="Warden's (and opa_users') database")
ap.add_argument("--fga-db", required=True)
ap.add_argument("--model", required=True, help="OpenFGA model as JSON")
ap.add_argument("--seconds", type=int, default=10)
ap.add_argument("--connections", type=int, default=16)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--sample", type=int, default=200, help="requests per scenario")
ap.add_argument("--out", required=True)
args = ap.parse_args()

KEY = args.key
TENANT = "hr-platform"
PIDS = dict(zip(["warden", "opa", "openfga"], map(int, args.pids.split(","))))
PG = ["psql", "-h", "127.0.0.1", "-U", "warden", "-X", "-q", "-v", "ON_ERROR_STOP=1"]
ENV = dict(os.environ, PGPASSWORD="warden")
result = {}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


class Client:
    """A keep-alive JSON client for one server."""

    def __init__(self, port, headers=None):
        self.port = port
        self.headers = {"Content-Type": "application/json", **(headers or {})}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def post(self, path, body, headers=None, raw=False):
        data = json.dumps(body).encode()
        for attempt in range(2):
            try:
                self.conn.request("POST", path, data, {**self.headers, **(headers or {})})
                r = self.conn.getresponse()
                text = r.read()
                break
            except (http.client.HTTPException, ConnectionError):
                if attempt:
                    raise
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        if r.status >= 300:
            raise RuntimeError(f"POST {path} on :{self.port}: {r.status} {text[:500]!r}")
        return text if raw else json.loads(text)

    def put(self, path, data):
        self.conn.request("PUT", path, data, self.headers)
        r = self.conn.getresponse()
        text = r.read()
        if r.status >= 300:
            raise RuntimeError(f"PUT {path}: {r.status} {text[:500]!r}")


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def psql(db, sql, timing=False):
    cmd = PG + ["-d", db, "-At"]
    if timing:
        cmd += ["-c", "\\timing on"]
    out = subprocess.run(cmd + ["-c", sql], env=ENV, check=True, capture_output=True, text=True).stdout
    ms = None
    lines = []
    for line in out.splitlines():
        m = re.match(r"^Time: ([\d.]+) ms", line)
        if m:
            ms = float(m.group(1))
        elif line and line != "Timing is on.":
            lines.append(line)
    return lines, ms


def db_mb(db):
    return int(psql(db, f"SELECT pg_database_size('{db}')")[0][0]) / 1e6


# ---------------------------------------------------------------- the directory
users, ids, children = scenario.directory(args.users)  # id -> {org, manager, roles, sa, path}
result["users"] = len(ids)

# ---------------------------------------------------------------- load Warden
wadmin = Client(args.warden_port, {"Authorization": "Bearer " + KEY})
wadmin.conn.request("PUT", "/api/v1/policy", open(args.policy, "rb").read(), wadmin.headers)
r = wadmin.conn.getresponse()
text = r.read()
if r.status >= 300:
    raise SystemExit(f"PUT /api/v1/policy: {r.status} {text[:500]!r}")
# The demo users of the tenant go; the generated directory comes in with COPY (every
# column the server reads; no password, no uniqueness keys: nothing here logs in or
# creates), then the closure table as the server's migration builds it for existing users.
with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as tmp:
    w = csv.writer(tmp)
    for uid, u in users.items():
        doc = json.dumps({"firstName": "Bench", "lastName": uid.upper(), "organization": u["org"]})
        w.writerow([uid, TENANT, doc, u["org"], u["manager"] or "", "active", json.dumps(u["roles"]), int(u["sa"]), 0, 0])
    users_csv = tmp.name
psql(args.db, f"DELETE FROM users WHERE tenant_id = '{TENANT}'")
t = time.perf_counter()
psql(args.db, f"\\copy users (id, tenant_id, document, organization_id, manager_id, status, roles, super_admin, created_at, updated_at) FROM '{users_csv}' WITH (FORMAT csv, NULL '')")
psql(args.db, "ANALYZE users")  # without fresh statistics the closure's join is a nested loop over a scan
result["warden_insert_s"] = time.perf_counter() - t
t = time.perf_counter()
psql(args.db, f"""INSERT INTO user_closure (tenant_id, ancestor_id, descendant_id, depth)
WITH RECURSIVE c(tenant_id, ancestor_id, descendant_id, depth) AS (
  SELECT tenant_id, id, id, 0 FROM users WHERE tenant_id = '{TENANT}'
  UNION ALL
  SELECT c.tenant_id, c.ancestor_id, u.id, c.depth + 1
  FROM c JOIN users u ON u.manager_id = c.descendant_id AND u.tenant_id = c.tenant_id
  WHERE c.depth < 256)
SELECT tenant_id, ancestor_id, descendant_id, depth FROM c""")
psql(args.db, "ANALYZE user_closure")
result["warden_closure_s"] = time.perf_counter() - t
result["warden_load_s"] = result["warden_insert_s"] + result["warden_closure_s"]
os.unlink(users_csv)
log(f"Warden: {len(ids)} users in {result['warden_insert_s']:.1f} s, closure table in {result['warden_closure_s']:.1f} s")

# The list actors: a plain employee with ten reports, the director whose subtree is nearest
# 10,000 users, the first HR user (organisation o0); their users.read scope rendered to SQL
# by the kernel through the native decision API (closure-table strategy, as GET /api/v1/users).
subtree = {uid: 1 for uid in ids}
for uid in reversed(ids):
    if users[uid]["manager"]:
        subtree[users[uid]["manager"]] += subtree[uid]
plain = [u for u in ids if users[u]["roles"] == ["employee"] and not users[u]["sa"]]
n1_actor = next(u for u in plain if len(children.get(u, [])) == 10)
dir_actor = min((u for u in ids if "director" in users[u]["roles"] and users[u]["manager"]), key=lambda u: abs(subtree[u] - 10_000))
hr_actor = next(u for u in ids if "hr" in users[u]["roles"])
LIST_ACTORS = []
for name, actor in (("n1", n1_actor), ("subtree", dir_actor), ("organisation", hr_actor)):
    sc = wadmin.post("/api/v1/decide/scope", {"action": "users.read", "sql": {"placeholder": "dollar", "subtree": {"kind": "closureTable", "table": "user_closure", "ancestor": "ancestor_id", "descendant": "descendant_id", "depth": "depth"}}}, headers={"X-Warden-Act-As": actor})
    f = sc["sql"]
    nxt = len(f["params"]) + 1
    LIST_ACTORS.append({"name": name, "actor": actor, "sql": f"SELECT id FROM users WHERE ({f['sql']}) AND tenant_id = ${nxt} AND deleted_at IS NULL", "params": f["params"] + [TENANT]})

# ---------------------------------------------------------------- load OPA
opa = Client(args.opa_port)
t = time.perf_counter()
body = json.dumps({"users": users}).encode()
opa.put("/v1/data/directory", body)
result["opa_load_s"] = time.perf_counter() - t
del body
log(f"OPA: data loaded in {result['opa_load_s']:.1f} s")

# The table OPA's SQL filters run against (same database as Warden's users): the columns
# its rules read, the materialised path included, indexed for the filters it renders.
t = time.perf_counter()
with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as tmp:
    w = csv.writer(tmp)
    for uid, u in users.items():
        w.writerow([uid, u["org"], u["manager"] or "", u["path"]])
    tmp_path = tmp.name
psql(args.db, "DROP TABLE IF EXISTS opa_users; CREATE TABLE opa_users (id TEXT PRIMARY KEY, organization_id TEXT NOT NULL, manager_id TEXT, path TEXT NOT NULL)")
psql(args.db, f"\\copy opa_users FROM '{tmp_path}' WITH (FORMAT csv, NULL '')")
psql(args.db, "CREATE INDEX opa_users_org ON opa_users (organization_id); CREATE INDEX opa_users_manager ON opa_users (manager_id); CREATE INDEX opa_users_path ON opa_users (path text_pattern_ops); ANALYZE opa_users")
os.unlink(tmp_path)
result["opa_table_s"] = time.perf_counter() - t
log(f"OPA: opa_users table in {result['opa_table_s']:.1f} s")

# ---------------------------------------------------------------- load OpenFGA
fga = Client(args.fga_port)
store = fga.post("/stores", {"name": "bench"})["id"]
model = fga.post(f"/stores/{store}/authorization-models", json.load(open(args.model)))["authorization_model_id"]
tuples = []
for uid, u in users.items():
    tuples.append({"user": f"organization:{u['org']}", "relation": "org", "object": f"user:{uid}"})
    tuples.append({"user": f"user:{uid}", "relation": "me", "object": f"user:{uid}"})
    if u["manager"]:
        tuples.append({"user": f"user:{u['manager']}", "relation": "parent", "object": f"user:{uid}"})
    for r in u["roles"]:
        tuples.append({"user": f"user:{uid}", "relation": r, "object": f"organization:{u['org']}"})
    if u["sa"]:
        for o in sorted({x["org"] for x in users.values()}):
            tuples.append({"user": f"user:{uid}", "relation": "super_admin", "object": f"organization:{o}"})
result["fga_tuples"] = len(tuples)
BATCH = 100  # OpenFGA's default maximum of tuples per write
batches = [tuples[i : i + BATCH] for i in range(0, len(tuples), BATCH)]


def write_batches(part):
    c = Client(args.fga_port)
    for b in part:
        c.post(f"/stores/{store}/write", {"authorization_model_id": model, "writes": {"tuple_keys": b}})


t = time.perf_counter()
WRITERS = 4
with concurrent.futures.ThreadPoolExecutor(WRITERS) as ex:
    list(ex.map(write_batches, [batches[i::WRITERS] for i in range(WRITERS)]))
result["fga_load_s"] = time.perf_counter() - t
del tuples, batches
log(f"OpenFGA: {result['fga_tuples']} tuples written in {result['fga_load_s']:.1f} s")

# ---------------------------------------------------------------- the sample
cases = scenario.sample(users, ids, children, args.sample)  # (scenario, subject, action, resource, expected)


def bodies(side):
    out = []
    for _, s, act, r, _ in cases:
        if side == "warden":
            out.append({"subject": {"type": "user", "id": s}, "action": {"name": act}, "resource": {"type": "user", "id": r}})
        elif side == "opa":
            out.append({"input": {"subject": s, "action": act, "resource": r}})
        else:
            rel = "can_read" if act == "users.read" else "can_update"
            out.append({"authorization_model_id": model, "tuple_key": {"user": f"user:{s}", "relation": rel, "object": f"user:{r}"}})
    return out


PATHS = {"warden": "/access/v1/evaluation", "opa": "/v1/data/warden/allow", "openfga": f"/stores/{store}/check"}
AUTH = {"warden": {"Authorization": "Bearer " + KEY}, "opa": {}, "openfga": {}}
PORTS = {"warden": args.warden_port, "opa": args.opa_port, "openfga": args.fga_port}
VERDICT = {"warden": lambda r: r["decision"], "opa": lambda r: r.get("result", False), "openfga": lambda r: r["allowed"]}

# ---------------------------------------------------------------- 1. verdicts
verdicts = {}
for side in PATHS:
    c = Client(PORTS[side], AUTH[side])
    verdicts[side] = [bool(VERDICT[side](c.post(PATHS[side], b))) for b in bodies(side)]
bad = []
for i, case in enumerate(cases):
    got = {side: verdicts[side][i] for side in PATHS}
    if len(set(got.values())) != 1 or got["warden"] != case[4]:
        bad.append((case, got))
if bad:
    log(f"{len(bad)} of {len(cases)} verdicts differ (scenario, subject, action, resource, expected) -> verdicts:")
    for case, got in bad[:50]:
        log(" ", case, "->", got)
    sys.exit(1)
result["sample"] = {}
for case, v in zip(cases, verdicts["warden"]):
    s = result["sample"].setdefault(case[0], [0, 0])
    s[0] += 1
    s[1] += int(v)
log(f"verdicts: {len(cases)} requests, equal on the three servers and as the scenario defines")

# ---------------------------------------------------------------- 2. decisions under load
work = tempfile.mkdtemp()
LUA = os.path.join(work, "bodies.lua")
with open(LUA, "w") as f:
    f.write(
        """local bodies = {}
for line in io.lines(os.getenv("BENCH_BODIES")) do bodies[#bodies + 1] = line end
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local auth = os.getenv("BENCH_AUTH")
if auth ~= nil and auth ~= "" then wrk.headers["Authorization"] = auth end
function init(args) i = math.random(#bodies) end
function request()
  i = i % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[i])
end
"""
    )
for side in PATHS:
    with open(os.path.join(work, f"{side}.jsonl"), "w") as f:
        for b in bodies(side):
            f.write(json.dumps(b) + "\n")


def ms(out, label):
    m = re.search(r"^\s*" + label + r"%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    v, u = float(m.group(1)), m.group(2)
    return v / 1000 if u == "us" else v * 1000 if u == "s" else v


def wrk(side):
    env = dict(os.environ, BENCH_BODIES=os.path.join(work, f"{side}.jsonl"), BENCH_AUTH=AUTH[side].get("Authorization", ""))
    out = subprocess.run(
        ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.seconds}s", "--timeout", "10s", "--latency", "-s", LUA, f"http://127.0.0.1:{PORTS[side]}{PATHS[side]}"],
        env=env, check=True, capture_output=True, text=True,
    ).stdout
    # Non-2xx answers are counted and reported (a server shedding load, e.g. Warden's 503
    # after --db-acquire-timeout); more than 1% of them, or socket errors, fail the run.
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if (bad and int(bad.group(1)) > total / 100) or (errors and any(int(e) for e in errors.groups()[:3])):
        log(out)
        raise SystemExit(f"{side}: non-2xx responses or socket errors under load")
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p50": ms(out, "50"), "p99": ms(out, "99"),
            "timeouts": int(errors.group(4)) if errors else 0, "non2xx": int(bad.group(1)) if bad else 0, "requests": total}


result["load_before"] = os.getloadavg()[0]
# A short unrecorded round each first: connection pools fill, caches warm.
warm = args.seconds
args.seconds = 3
for side in PATHS:
    wrk(side)
args.seconds = warm
result["rounds"] = []
for r in range(2):
    for side in PATHS:
        x = wrk(side)
        x.update(round=r + 1, side=side)
        result["rounds"].append(x)
        log(f"round {r + 1} {side}: {x['rps']:.0f} req/s, p50 {x['p50']:.2f} ms, p99 {x['p99']:.2f} ms")
result["load_after"] = os.getloadavg()[0]

# ---------------------------------------------------------------- 3. lists
def literal(v):
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float)):
        return str(v)
    return "'" + str(v).replace("'", "''") + "'"


def inline(sql, params):
    for i in range(len(params), 0, -1):
        sql = sql.replace(f"${i}", literal(params[i - 1]))
    return sql


result["lists"] = []
wc = Client(args.warden_port, AUTH["warden"])
REPEAT = 3  # each list is taken three times, interleaved across the methods; medians reported


def med(xs):
    return sorted(xs)[len(xs) // 2]


def list_once(lst):
    actor = lst["actor"]
    row = {"name": lst["name"], "actor": actor}
    # Warden: the kernel's scope filter (rendered by POST /api/v1/decide/scope, closure
    # table, as GET /api/v1/users renders it) executed on PostgreSQL; psql's \timing (server execution and transfer).
    got, row["warden_sql_ms"] = psql(args.db, inline(lst["sql"], lst["params"]), timing=True)
    expected = set(got)
    row["expected"] = len(expected)
    # Warden: AuthZEN resource search, every page (1,000 a page, the largest allowed).
    t = time.perf_counter()
    found, token, pages = [], None, 0
    while True:
        body = {"subject": {"type": "user", "id": actor}, "action": {"name": "users.read"}, "resource": {"type": "user"}, "page": {"limit": 1000}}
        if token:
            body["page"]["token"] = token
        r = wc.post("/access/v1/search/resource", body)
        pages += 1
        found += [x["id"] for x in r["results"]]
        token = (r.get("page") or {}).get("next_token")
        if not token:
            break
    row["warden_search_ms"] = (time.perf_counter() - t) * 1000
    row["warden_search_pages"] = pages
    if set(found) != expected or len(found) != len(expected):
        raise SystemExit(f"Warden's AuthZEN search and its SQL filter differ for {actor}: {len(found)} vs {len(expected)}")
    # OPA: compile API to a PostgreSQL WHERE clause, then that SQL on the same database.
    t = time.perf_counter()
    comp = opa.post("/v1/compile/filters/include", {"input": {"subject": actor}, "unknowns": ["input.opa_users"]}, headers={"Accept": "application/vnd.opa.sql.postgresql+json"})
    row["opa_compile_ms"] = (time.perf_counter() - t) * 1000
    where = comp["result"]["query"]
    row["opa_where"] = where
    got, row["opa_sql_ms"] = psql(args.db, f"SELECT id FROM opa_users {where}", timing=True)
    if set(got) != expected or len(got) != len(expected):
        raise SystemExit(f"OPA's filter and Warden's differ for {actor}: {len(got)} vs {len(expected)} ({where})")
    # OpenFGA: ListObjects (one response) and StreamedListObjects (NDJSON), default limits.
    q = {"authorization_model_id": model, "type": "user", "relation": "can_read", "user": f"user:{actor}"}
    t = time.perf_counter()
    objs = fga.post(f"/stores/{store}/list-objects", q)["objects"]
    row["fga_list_ms"] = (time.perf_counter() - t) * 1000
    got = {o.split(":", 1)[1] for o in objs}
    if not got <= expected:
        raise SystemExit(f"OpenFGA's ListObjects returned users Warden does not allow for {actor}: {sorted(got - expected)[:10]}")
    row["fga_list_n"] = len(got)
    t = time.perf_counter()
    raw = fga.post(f"/stores/{store}/streamed-list-objects", q, raw=True)
    row["fga_stream_ms"] = (time.perf_counter() - t) * 1000
    got, errors = set(), []
    for line in raw.decode().splitlines():
        if line.strip():
            x = json.loads(line)
            if "result" in x:
                got.add(x["result"]["object"].split(":", 1)[1])
            else:
                errors.append(x)
    if not got <= expected:
        raise SystemExit(f"OpenFGA's StreamedListObjects returned users Warden does not allow for {actor}")
    row["fga_stream_n"] = len(got)
    row["fga_stream_errors"] = [json.dumps(e)[:200] for e in errors[:2]]
    return row


for lst in LIST_ACTORS:
    runs_ = [list_once(lst) for _ in range(REPEAT)]
    row = dict(runs_[0])
    for k in ("warden_sql_ms", "warden_search_ms", "opa_compile_ms", "opa_sql_ms", "fga_list_ms", "fga_stream_ms"):
        row[k] = med([r_[k] for r_ in runs_])
    for k in ("fga_list_n", "fga_stream_n"):
        row[k] = min(r_[k] for r_ in runs_)
    pages = row["warden_search_pages"]
    objs = [None] * row["fga_list_n"]
    expected = range(row["expected"])
    result["lists"].append(row)
    log(f"list {lst['name']} ({len(expected)} users): Warden SQL {row['warden_sql_ms']:.1f} ms, search {row['warden_search_ms']:.0f} ms ({pages} pages), "
        f"OPA compile {row['opa_compile_ms']:.1f} + SQL {row['opa_sql_ms']:.1f} ms, OpenFGA list {row['fga_list_ms']:.0f} ms ({len(objs)}), "
        f"streamed {row['fga_stream_ms']:.0f} ms ({row['fga_stream_n']})")

# ---------------------------------------------------------------- 4. memory
result["rss_mb"] = {side: rss_mb(pid) for side, pid in PIDS.items()}
result["db_mb"] = {"warden": db_mb(args.db), "openfga": db_mb(args.fga_db)}
result["opa_users_mb"] = int(psql(args.db, "SELECT pg_total_relation_size('opa_users')")[0][0]) / 1e6
json.dump(result, open(args.out, "w"), indent=1)
log(f"RSS MB {result['rss_mb']}, databases MB {result['db_mb']}")
