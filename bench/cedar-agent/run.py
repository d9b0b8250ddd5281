#!/usr/bin/env python3
"""One size of the Warden vs cedar-agent comparison (driven by scripts/bench-cedar-agent.sh).

Two steps, the servers being started and stopped by pid by the script around them:

`load-warden --users N --data DIR`: with warden-server stopped, replaces the demo users of
the `hr-platform` tenant in DIR/warden.db (SQLite) with the generated directory and builds
its closure table, as the server's migration does (timed; the fastest path, as §9's COPY).

`bench --users N ...`: both servers running on loopback, Warden on that folder, cedar-agent
empty:
  1. replaces the tenant's policy (`PUT /api/v1/policy`, bench/decision-servers/policy.json)
     and loads cedar-agent: its policies (`PUT /v1/policies`, bench/cedar-agent/
     policies.cedar) and the same directory as Cedar entities (`PUT /v1/data`, timed);
  2. asserts that both reach the verdicts the scenario defines on a sample of requests
     (four scenarios, half allowed and half denied but for super admin), printing every
     differing case and failing if any differs;
  3. times decisions over HTTP with wrk: an unrecorded warm-up round each, then two
     interleaved rounds (Warden, cedar-agent, Warden, cedar-agent), the same requests in the
     same order, the same settings;
  4. records the resident memory of both processes.
Writes its figures as JSON to `--out`.

The directory and the sample are those of §9: bench/decision-servers/scenario.py (same generator,
same seed): two organisations of N/2 users, each a 10-ary management tree;
everyone `employee`, the root and odd users of depth 1-2 `director`, one user in 1,000 `hr`,
one super admin per organisation. Standard library only.
"""

import argparse
import http.client
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "decision-servers"))
import scenario  # noqa: E402  (the directory and the sample of §9: bench/decision-servers/scenario.py)

ap = argparse.ArgumentParser()
ap.add_argument("step", choices=["load-warden", "bench"])
ap.add_argument("--users", type=int, required=True)
ap.add_argument("--data", help="Warden's data folder (load-warden)")
ap.add_argument("--key", help="a service key of Warden's hr-platform tenant (decisions)")
ap.add_argument("--admin-key", help="an admin key of it (the policy)")
ap.add_argument("--agent-key", help="cedar-agent's --authentication value")
ap.add_argument("--policy", help="Warden's policy (bench/decision-servers/policy.json)")
ap.add_argument("--cedar", help="cedar-agent's policies (bench/cedar-agent/policies.cedar)")
ap.add_argument("--warden-port", type=int)
ap.add_argument("--agent-port", type=int)
ap.add_argument("--pids", help="warden,cedar-agent process ids")
ap.add_argument("--seconds", type=int, default=10)
ap.add_argument("--warmup", type=int, default=3)
ap.add_argument("--connections", type=int, default=16)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--sample", type=int, default=200, help="requests per scenario")
ap.add_argument("--out")
args = ap.parse_args()

TENANT = "hr-platform"


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the directory
users, ids, children = scenario.directory(args.users)  # id -> {org, manager, roles, sa, path}

if args.step == "load-warden":
    # The demo users of the tenant go (with what refers to them: foreign keys on, their
    # cascades); the generated directory comes in (every column the server reads; no
    # password, no uniqueness keys: nothing here logs in or creates), then the closure
    # table as the server's migration builds it for existing users.
    db = sqlite3.connect(os.path.join(args.data, "warden.db"), isolation_level=None)
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("DELETE FROM users WHERE tenant_id = ?", (TENANT,))
    t = time.perf_counter()
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO users (id, tenant_id, document, organization_id, manager_id, status, roles, super_admin, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'active', ?, ?, 0, 0)",
        (
            (uid, TENANT, json.dumps({"firstName": "Bench", "lastName": uid.upper(), "organization": u["org"]}), u["org"], u["manager"], json.dumps(u["roles"]), int(u["sa"]))
            for uid, u in users.items()
        ),
    )
    db.execute("COMMIT")
    insert_s = time.perf_counter() - t
    t = time.perf_counter()
    db.execute("BEGIN")
    db.execute(
        f"""INSERT INTO user_closure (tenant_id, ancestor_id, descendant_id, depth)
WITH RECURSIVE c(tenant_id, ancestor_id, descendant_id, depth) AS (
  SELECT tenant_id, id, id, 0 FROM users WHERE tenant_id = '{TENANT}'
  UNION ALL
  SELECT c.tenant_id, c.ancestor_id, u.id, c.depth + 1
  FROM c JOIN users u ON u.manager_id = c.descendant_id AND u.tenant_id = c.tenant_id
  WHERE c.depth < 256)
SELECT tenant_id, ancestor_id, descendant_id, depth FROM c"""
    )
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    closure_s = time.perf_counter() - t
    n = db.execute("SELECT count(*) FROM users WHERE tenant_id = ?", (TENANT,)).fetchone()[0]
    db.close()
    if n != len(ids):
        raise SystemExit(f"Warden's directory holds {n} users, expected {len(ids)}")
    log(f"Warden: {n} users in {insert_s:.1f} s, closure table in {closure_s:.1f} s")
    db_mb = sum(os.path.getsize(os.path.join(args.data, f)) for f in os.listdir(args.data) if f.startswith("warden.db")) / 1e6
    json.dump({"warden_insert_s": insert_s, "warden_closure_s": closure_s, "warden_db_mb": db_mb}, sys.stdout)
    sys.exit(0)

# ---------------------------------------------------------------- bench
PIDS = dict(zip(["warden", "cedar-agent"], map(int, args.pids.split(","))))
result = {"users": len(ids)}


class Client:
    """A keep-alive JSON client for one server."""

    def __init__(self, port, headers=None):
        self.port = port
        self.headers = {"Content-Type": "application/json", **(headers or {})}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def call(self, method, path, data):
        for attempt in range(2):
            try:
                self.conn.request(method, path, data, self.headers)
                r = self.conn.getresponse()
                text = r.read()
                break
            except (http.client.HTTPException, ConnectionError):
                if attempt:
                    raise
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        if r.status >= 300:
            raise RuntimeError(f"{method} {path} on :{self.port}: {r.status} {text[:500]!r}")
        return json.loads(text) if text else None


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


# ---- 1. policies and data
wadmin = Client(args.warden_port, {"Authorization": "Bearer " + args.admin_key})
wadmin.call("PUT", "/api/v1/policy", open(args.policy, "rb").read())

agent = Client(args.agent_port, {"Authorization": args.agent_key})
source = "\n".join(line for line in open(args.cedar) if not line.lstrip().startswith("//"))
policies = [p.strip() for p in re.split(r"(?m)^(?=permit\b)", source) if p.strip()]
agent.call("PUT", "/v1/policies", json.dumps([{"id": f"p{i}", "content": p} for i, p in enumerate(policies)]).encode())
stored = agent.call("GET", "/v1/policies", None)
if len(stored) != len(policies):
    raise SystemExit(f"cedar-agent holds {len(stored)} policies, expected {len(policies)}")


def uid_json(uid):
    return {"type": "User", "id": uid}


entities = []
for uid, u in users.items():
    attrs = {"org": u["org"], "roles": u["roles"], "superAdmin": u["sa"]}
    if u["manager"]:
        attrs["manager"] = {"__entity": uid_json(u["manager"])}
    entities.append({"uid": uid_json(uid), "attrs": attrs, "parents": [uid_json(u["manager"])] if u["manager"] else []})
body = json.dumps(entities).encode()
result["agent_data_mb"] = len(body) / 1e6
t = time.perf_counter()
agent.call("PUT", "/v1/data", body)
result["agent_load_s"] = time.perf_counter() - t
del body, entities
log(f"cedar-agent: {len(policies)} policies, {len(ids)} entities loaded in {result['agent_load_s']:.1f} s ({result['agent_data_mb']:.1f} MB of JSON)")

# ---- the sample (bench/decision-servers/scenario.py, as §9 draws it)
cases = scenario.sample(users, ids, children, args.sample)  # (scenario, subject, action, resource, expected)


def bodies(side):
    out = []
    for _, s, act, r, _ in cases:
        if side == "warden":
            out.append({"subject": {"type": "user", "id": s}, "action": {"name": act}, "resource": {"type": "user", "id": r}})
        else:
            out.append({"principal": f'User::"{s}"', "action": f'Action::"{act}"', "resource": f'User::"{r}"'})
    return out


SIDES = ["warden", "cedar-agent"]
PATHS = {"warden": "/access/v1/evaluation", "cedar-agent": "/v1/is_authorized"}
AUTH = {"warden": "Bearer " + args.key, "cedar-agent": args.agent_key}
PORTS = {"warden": args.warden_port, "cedar-agent": args.agent_port}
VERDICT = {"warden": lambda r: r["decision"] is True, "cedar-agent": lambda r: r["decision"] == "Allow"}

# ---- 2. verdicts
verdicts = {}
for side in SIDES:
    c = Client(PORTS[side], {"Authorization": AUTH[side]})
    verdicts[side] = []
    for b in bodies(side):
        r = c.call("POST", PATHS[side], json.dumps(b).encode())
        if side == "cedar-agent" and r["diagnostics"]["errors"]:
            raise SystemExit(f"cedar-agent reports evaluation errors for {b}: {r['diagnostics']['errors']}")
        verdicts[side].append(VERDICT[side](r))
bad = []
for i, case in enumerate(cases):
    got = {side: verdicts[side][i] for side in SIDES}
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
result["sample_total"] = len(cases)
result["sample_allowed"] = sum(verdicts["warden"])
log(f"verdicts: {len(cases)} requests ({result['sample_allowed']} allowed), equal on both servers and as the scenario defines")

# ---- 3. decisions under load
work = tempfile.mkdtemp()
LUA = os.path.join(work, "bodies.lua")
with open(LUA, "w") as f:
    f.write(
        """local bodies = {}
for line in io.lines(os.getenv("BENCH_BODIES")) do bodies[#bodies + 1] = line end
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = os.getenv("BENCH_AUTH")
function init(args) i = math.random(#bodies) end
function request()
  i = i % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[i])
end
"""
    )
for side in SIDES:
    with open(os.path.join(work, f"{side}.jsonl"), "w") as f:
        for b in bodies(side):
            f.write(json.dumps(b) + "\n")


def ms(out, label):
    m = re.search(r"^\s*" + label + r"%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    v, u = float(m.group(1)), m.group(2)
    return v / 1000 if u == "us" else v * 1000 if u == "s" else v


def wrk(side, seconds):
    env = dict(os.environ, BENCH_BODIES=os.path.join(work, f"{side}.jsonl"), BENCH_AUTH=AUTH[side])
    out = subprocess.run(
        ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s", "--timeout", "30s", "--latency", "-s", LUA, f"http://127.0.0.1:{PORTS[side]}{PATHS[side]}"],
        env=env, check=True, capture_output=True, text=True, timeout=seconds + 60,
    ).stdout
    # Any non-2xx answer or socket error (a timeout included) fails the run: every request
    # counted must be a decision.
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    if bad or errors:
        log(out)
        raise SystemExit(f"{side}: non-2xx responses or socket errors under load")
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "p50": ms(out, "50"),
        "p99": ms(out, "99"),
    }


def cpu_s(side):
    """User + system CPU time of the server's process, in seconds."""
    fields = open(f"/proc/{PIDS[side]}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def quiesce(side):
    """Waits (at most 120 s) until the server's CPU time stops growing: wrk leaves requests in
    flight when a round ends, and a server still working through them would take CPU from
    the next round's server."""
    before, end = cpu_s(side), time.time() + 120
    while time.time() < end:
        time.sleep(0.5)
        now = cpu_s(side)
        if now == before:
            return
        before = now


for side in SIDES:
    wrk(side, args.warmup)
    quiesce(side)
result["rounds"] = []
for r in range(2):
    for side in SIDES:
        c0 = cpu_s(side)
        w = wrk(side, args.seconds)
        quiesce(side)
        # The server's CPU per decision: its CPU time over the round (and the requests left
        # in flight, finished before quiesce returns) over the requests wrk counted.
        w["cpu_ms"] = (cpu_s(side) - c0) * 1000 / max(w["requests"], 1)
        w.update(round=r + 1, side=side, load=os.getloadavg()[0])
        result["rounds"].append(w)
        log(f"round {r + 1} {side}: {w['rps']:.0f} req/s, p50 {w['p50']:.2f} ms, p99 {w['p99']:.2f} ms ({w['requests']} requests, {w['cpu_ms']:.2f} ms CPU each)")

# ---- 4. memory
result["rss_mb"] = {side: rss_mb(PIDS[side]) for side in SIDES}
json.dump(result, open(args.out, "w"), indent=1)
