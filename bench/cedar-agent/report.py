#!/usr/bin/env python3
"""Writes BENCHMARKS.md section 11 (bench/cedar-agent.md, spliced into BENCHMARKS.md before
"Targets and where Warden stands") from the JSON results of bench/cedar-agent/run.py, one
file per size. Called by scripts/bench-cedar-agent.sh."""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from splice import splice  # noqa: E402  (bench/splice.py: the one splice into BENCHMARKS.md)

ap = argparse.ArgumentParser()
ap.add_argument("results", nargs="+")
ap.add_argument("--agent", required=True)
ap.add_argument("--agent-cedar", required=True)
ap.add_argument("--agent-rocket", required=True)
ap.add_argument("--axum", required=True)
ap.add_argument("--sqlx", required=True)
ap.add_argument("--warden", required=True)
ap.add_argument("--seconds", required=True)
ap.add_argument("--connections", required=True)
ap.add_argument("--threads", required=True)
ap.add_argument("--load", required=True, help="load averages (1, 5, 15 min) before")
ap.add_argument("--load-after", required=True)
ap.add_argument("--elapsed", type=int, required=True)
ap.add_argument("--sizes", required=True)
ap.add_argument("--no-write", default="0")
args = ap.parse_args()

results = [json.load(open(p)) for p in args.results]
cpu_model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
day = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
sizes = " ".join(args.sizes.split())


def n(x):
    return f"{x:,}"


def fmt_ms(v):
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}"


def fmt_s(v):
    return f"{v * 1000:.0f} ms" if v < 1 else f"{v:.1f} s"


def ratio(x):
    return f"{x:.0f}×" if x >= 10 else f"{x:.2f}×"


def side(r, s):
    return [w for w in r["rounds"] if w["side"] == s]


rows = []
findings = []
for r in results:
    w, a = side(r, "warden"), side(r, "cedar-agent")
    thr = sum(x["rps"] for x in w) / sum(x["rps"] for x in a)
    mean = lambda xs, k: sum(x[k] for x in xs) / len(xs)
    p50 = mean(a, "p50") / mean(w, "p50")
    p99 = mean(a, "p99") / mean(w, "p99")
    cpu = mean(a, "cpu_ms") / mean(w, "cpu_ms")
    findings.append((r["users"], thr, p50, p99))
    for label, xs, own in (("Warden (AuthZEN evaluation)", w, True), (f"cedar-agent {args.agent.split('-')[0]} (`/v1/is_authorized`)", a, False)):
        rows.append(
            f"| {n(r['users'])} | {label} | {' / '.join(n(round(x['rps'])) for x in xs)} "
            f"| {' / '.join(fmt_ms(x['p50']) for x in xs)} | {' / '.join(fmt_ms(x['p99']) for x in xs)} "
            f"| {' / '.join(fmt_ms(x['cpu_ms']) for x in xs)} "
            f"| {'1×' if own else ratio(thr)} | {'1×' if own else ratio(p50)} | {'1×' if own else ratio(p99)} | {'1×' if own else ratio(cpu)} |"
        )

load_rows = []
for r in results:
    load_rows.append(
        f"| {n(r['users'])} | {fmt_s(r['warden_insert_s'] + r['warden_closure_s'])} ({fmt_s(r['warden_insert_s'])} + {fmt_s(r['warden_closure_s'])}) "
        f"| {fmt_s(r['agent_load_s'])} ({r['agent_data_mb']:.1f} MB) | {ratio(r['agent_load_s'] / (r['warden_insert_s'] + r['warden_closure_s']))} "
        f"| {r['rss_mb']['warden']:.0f} + {r['warden_db_mb']:.0f} MB | {r['rss_mb']['cedar-agent']:.0f} MB "
        f"| {ratio(r['rss_mb']['cedar-agent'] / (r['rss_mb']['warden'] + r['warden_db_mb']))} |"
    )

verdict_counts = "; ".join(
    f"at {n(r['users'])} users {r['sample_total']} requests, {r['sample_allowed']} allowed ("
    + ", ".join(f"{k}: {v[0]}, {v[1]} allowed" for k, v in r["sample"].items())
    + ")"
    for r in results
)
during = "; ".join(f"{n(r['users'])} users: " + ", ".join(f"{x['load']:.2f}" for x in r["rounds"]) for r in results)
cpu_growth = "; ".join(
    f"{label}: " + ", ".join(f"{fmt_ms(sum(x['cpu_ms'] for x in side(r, key)) / 2)} ms at {n(r['users'])}" for r in results)
    for label, key in (("cedar-agent", "cedar-agent"), ("Warden", "warden"))
)
where = "; ".join(
    f"{n(u)} users: throughput {ratio(t)} ({'ahead' if t >= 1 else 'behind'}), p50 {ratio(p5)}, p99 {ratio(p9)}" for u, t, p5, p9 in findings
)

md = f"""## 11. Cedar over HTTP: Warden vs cedar-agent

Written by `scripts/bench-cedar-agent.sh` (not by `scripts/bench-all.sh`, which keeps it;
CI does not run it): issue 12's side by side with `cedar-agent`. Two servers on 127.0.0.1,
same machine, same run, same generated directory, same scenario: `warden-server` (profile
`bench-host` of {args.warden}: axum {args.axum}, sqlx {args.sqlx} on SQLite, tenant
`hr-platform` with the policy of §9) and cedar-agent {args.agent} from crates.io
(Permit.io's HTTP server around `cedar-policy`: cedar-policy {args.agent_cedar}, Rocket
{args.agent_rocket}), built from its source with its own lockfile (`cargo install --locked`),
in-memory policy and data stores. cedar-agent built and ran, so the fallback of the issue
(`cedar-policy` behind Warden's axum stack) was not needed. Machine: {os.cpu_count()} cores
({cpu_model}), {rustc}, shared with other sessions building and testing at the same time (load
average {args.load} before, {args.load_after} after; during the rounds: {during}): absolute
figures are noise, **the ratios, measured in the same run, are the result**. A ratio is
*cedar-agent / Warden* in time (throughput: *Warden / cedar-agent*), above 1 Warden is ahead.

- Run: {day}, sizes {', '.join(n(int(s)) for s in sizes.split())} users, {args.elapsed // 60} min {args.elapsed % 60} s in all (cedar-agent already built).
  Command: `BENCH_SIZES="{sizes}" BENCH_SECONDS={args.seconds} BENCH_CONNECTIONS={args.connections} scripts/bench-cedar-agent.sh`.
- The scenario and directory of §9 (`bench/decision-servers/policy.json`, same generator and
  seed): `employee` reads itself and its direct reports (N-1), `director` reads and updates
  anyone below it, `hr` reads its whole organisation, a super admin does anything anywhere;
  two organisations of N/2 users, each a 10-ary management tree. On cedar-agent the same rules
  are four Cedar policies (`bench/cedar-agent/policies.cedar`, `PUT /v1/policies`) over one
  `User` entity per user (attributes `org`, `roles`, `superAdmin`, `manager`; the manager as
  parent, so "below" is Cedar's `in`), loaded with `PUT /v1/data`.
- The requests carry only who, what and whom on both sides; everything else comes from the
  server's own copy of the directory. Warden: AuthZEN 1.0 `POST /access/v1/evaluation`
  (`{{"subject": {{"type": "user", "id"}}, "action": {{"name"}}, "resource": {{"type": "user", "id"}}}}`)
  with a service key, checked per request; it loads both users and their manager chains
  from SQLite per request (no cache, by design) and runs the kernel. cedar-agent does not
  speak AuthZEN: its own `POST /v1/is_authorized` (`{{"principal": "User::\\"…\\"", "action",
  "resource"}}`), with its static key (`--authentication`), the entities in its memory.
- Verdicts first: {verdict_counts}. Put to both servers one by one;
  every verdict is equal on both and equal to what the scenario defines (cedar-agent reporting
  no evaluation error), or the script fails and prints the cases. The same requests, in the
  same order, are then replayed by wrk.

### Decisions over HTTP

`wrk -t{args.threads} -c{args.connections} -d{args.seconds}s --timeout 30s --latency`, one load
generator, each server in turn after an unrecorded 3 s round each, then two interleaved
rounds (Warden, cedar-agent, Warden, cedar-agent), cycling through the sample's requests;
every response was a 2xx, with no socket error or timeout (the script fails otherwise).
After each round the script waits until the server's CPU time stops growing (requests wrk
left in flight), so that one server's leftovers do not run during the other's round.
Throughput ratio: Warden's requests/s over cedar-agent's, both rounds summed; p50 and p99
per round, their ratios on the means of both rounds. Server CPU per decision: the user and
system CPU time of the server's process over the round (`/proc/PID/stat`, its leftovers
included) divided by the requests wrk counted: less sensitive than wall-clock figures to what
the other sessions of the machine take.

| users | server | requests/s (per round) | p50 ms (per round) | p99 ms (per round) | server CPU ms per decision (per round) | throughput, Warden / cedar-agent | p50, cedar-agent / Warden | p99, cedar-agent / Warden | CPU per decision, cedar-agent / Warden |
|---:|---|---|---|---|---|---:|---:|---:|---:|
{chr(10).join(rows)}

### Loading the directory and the memory each keeps

Warden: the rows written into its SQLite `users` table with the server stopped, then its
closure table with one recursive INSERT, as its migration builds it (the fastest path, as in
§9; the import API validates and audits each user and is not what is timed here). cedar-agent:
one `PUT /v1/data` of the whole directory as Cedar's entity JSON (it parses it twice, into its
core and its API forms, computing the ancestors, and answers with the entities it stored).
Memory: resident set of the server process after the rounds, plus Warden's database file.

| users | Warden load (insert + closure) | cedar-agent load (`PUT /v1/data`, JSON size) | cedar-agent / Warden | Warden RSS + database | cedar-agent RSS | cedar-agent / Warden |
|---:|---:|---:|---:|---:|---:|---:|
{chr(10).join(load_rows)}

### Where Warden stands, and why

- {where}.
- **Why cedar-agent slows down with the directory.** Its authorization route asks the data
  store for the entities, and the in-memory store answers with a *clone* of the whole
  `cedar_policy::Entities` (`MemoryDataStore::entities` in `src/services/data/memory.rs`,
  "Temporary solution" in `src/routes/authorization.rs`); the policy set is cloned per
  request too. Every decision therefore copies every user, their attributes and their
  ancestor sets before Cedar evaluates four policies: the cost grows with the directory, not
  with the question (server CPU per decision, mean of the rounds: {cpu_growth}). Warden reads
  the two users it needs (and their manager chains) from SQLite through indexes, so the
  directory's size reaches its decisions only through index depth. A probe outside the script
  (2026-12-03, same machine, cedar-agent alone, 20 sampled requests, all answered as the
  scenario defines): at 100,000 users (22.3 MB of entity JSON) the load took 112 s, each
  decision 1,042 ms of CPU, and the process held 1.5 GB; hence the default sizes.
- **What this does not say about Cedar itself.** §4 measures `cedar-policy` {{4.x}} in
  process (microseconds per decision; Warden's kernel was 31–159× faster there); here the anchor is the server
  a team would deploy, with its own HTTP stack (Rocket, two workers by default on this
  machine) and its store. Warden's per-request work is heavier than the decision (key check,
  two directory reads, middleware; see §8 and §9), which is why OPA, whose data is in memory
  and not copied, is ahead of it in §9.
"""
md = md.replace("{4.x}", "4.x")

if args.no_write == "1":
    print(md)
else:
    open("bench/cedar-agent.md", "w").write(md)
    splice("bench/cedar-agent.md", "## 11. Cedar over HTTP")
    print("written to bench/cedar-agent.md and BENCHMARKS.md (section 11)")
for u, t, p5, p9 in findings:
    print(f"{u} users: throughput Warden / cedar-agent {t:.2f}, p50 cedar-agent / Warden {p5:.2f}, p99 {p9:.2f}")
