#!/usr/bin/env python3
"""Writes BENCHMARKS.md §9 from the JSON figures of bench/decision-servers/run.py (one file
per size): bench/decision-servers.md, spliced into BENCHMARKS.md in place of the previous
§9 (or after §8). Called by scripts/bench-decision-servers.sh; nothing here is measured."""

import argparse
import datetime
import json
import os
import platform
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from splice import splice  # noqa: E402  (bench/splice.py: the one splice into BENCHMARKS.md)

ap = argparse.ArgumentParser()
for k in ["opa", "openfga", "warden", "seconds", "connections", "threads", "sample", "load", "load-after", "elapsed", "sizes"]:
    ap.add_argument("--" + k, required=True)
ap.add_argument("results", nargs="+")
a = ap.parse_args()
runs = [json.load(open(p)) for p in a.results]

NAMES = {"warden": "Warden (AuthZEN evaluation)", "opa": "OPA (data API)", "openfga": "OpenFGA (Check)"}
LISTS = {"n1": "manager, N-1", "subtree": "director, subtree", "organisation": "HR, organisation"}


def cpu():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def t(ms):
    return f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.1f} ms" if ms >= 1 else f"{ms * 1000:.0f} µs"


def s(sec):
    return f"{sec:.1f} s" if sec >= 1 else f"{sec * 1000:.0f} ms"


def x(r):
    return f"{r:.2f}×" if r < 10 else f"{r:.0f}×"


behind, ahead = [], []

dec = ["| users | server | requests/s (per round) | p50 ms | p99 ms | time per decision, anchor / Warden | p99, anchor / Warden |", "|---:|---|---|---:|---:|---:|---:|"]
for r in runs:
    by = {}
    for row in r["rounds"]:
        by.setdefault(row["side"], []).append(row)
    w_rps = sum(x_["rps"] for x_ in by["warden"])
    w_p99 = statistics.median(x_["p99"] for x_ in by["warden"])
    for side in ["warden", "opa", "openfga"]:
        rows = by[side]
        rps = sum(x_["rps"] for x_ in rows)
        p50 = statistics.median(x_["p50"] for x_ in rows)
        p99 = statistics.median(x_["p99"] for x_ in rows)
        if side == "warden":
            ratio, ratio99 = "1×", "1×"
        else:
            q, q99 = w_rps / rps, p99 / w_p99
            ratio, ratio99 = x(q), x(q99)
            (ahead if q >= 1 else behind).append(f"decisions at {r['users']:,} users vs {NAMES[side].split(' ')[0]}: {x(q)}")
        per = " / ".join(f"{x_['rps']:,.0f}" for x_ in rows)
        slow = sum(x_.get("timeouts", 0) for x_ in rows)
        if slow:
            per += f" ({slow} over 10 s)"
        non2xx = sum(x_.get("non2xx", 0) for x_ in rows)
        if non2xx:
            per += f" ({non2xx} non-2xx of {sum(x_.get('requests', 0) for x_ in rows):,})"
        dec.append(f"| {r['users']:,} | {NAMES[side]} | {per} | {p50:.2f} | {p99:.2f} | {ratio} | {ratio99} |")

lst = [
    "| users | actor | may read | Warden SQL filter | Warden AuthZEN search (pages) | OPA compile + SQL | OpenFGA ListObjects (returned) | OpenFGA Streamed (returned) | OPA / Warden SQL | OpenFGA / Warden search | OpenFGA streamed / Warden search |",
    "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
]
for r in runs:
    for row in r["lists"]:
        n = row["expected"]
        opa_ms = row["opa_compile_ms"] + row["opa_sql_ms"]
        q_opa = opa_ms / row["warden_sql_ms"]
        q_fga = row["fga_list_ms"] / row["warden_search_ms"]
        q_str = row["fga_stream_ms"] / row["warden_search_ms"]

        def fga(ms_, got):
            return f"{t(ms_)} ({got:,}{'' if got == n else ', incomplete'})"

        def fq(q, got):
            return x(q) + ("" if got == n else f" (incomplete: {got / n:.1%})")

        (ahead if q_opa >= 1 else behind).append(f"list ({LISTS[row['name']]}, {n:,}) at {r['users']:,} users vs OPA compile + SQL: {x(q_opa)}")
        for label, q, got in (("ListObjects", q_fga, row["fga_list_n"]), ("StreamedListObjects", q_str, row["fga_stream_n"])):
            if got == n:
                (ahead if q >= 1 else behind).append(f"list ({LISTS[row['name']]}, {n:,}) at {r['users']:,} users vs OpenFGA {label}: {x(q)}")
        lst.append(
            f"| {r['users']:,} | {LISTS[row['name']]} | {n:,} | {t(row['warden_sql_ms'])} | {t(row['warden_search_ms'])} ({row['warden_search_pages']}) "
            f"| {t(row['opa_compile_ms'])} + {t(row['opa_sql_ms'])} | {fga(row['fga_list_ms'], row['fga_list_n'])} | {fga(row['fga_stream_ms'], row['fga_stream_n'])} "
            f"| {x(q_opa)} | {fq(q_fga, row['fga_list_n'])} | {fq(q_str, row['fga_stream_n'])} |"
        )

mem = [
    "| users | Warden load (insert + closure) | OPA load (data PUT) | OpenFGA load (tuples) | OPA / Warden | OpenFGA / Warden | Warden RSS + database | OPA RSS | OpenFGA RSS + database | OPA / Warden | OpenFGA / Warden |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
]
for r in runs:
    w_db = r["db_mb"]["warden"] - r["opa_users_mb"]
    w_mem = r["rss_mb"]["warden"] + w_db
    o_mem = r["rss_mb"]["opa"]
    f_mem = r["rss_mb"]["openfga"] + r["db_mb"]["openfga"]
    ql_o, ql_f = r["opa_load_s"] / r["warden_load_s"], r["fga_load_s"] / r["warden_load_s"]
    qm_o, qm_f = o_mem / w_mem, f_mem / w_mem
    for what, q in (("load vs OPA", ql_o), ("load vs OpenFGA", ql_f), ("memory vs OPA", qm_o), ("memory vs OpenFGA", qm_f)):
        (ahead if q >= 1 else behind).append(f"{what} at {r['users']:,} users: {x(q)}")
    mem.append(
        f"| {r['users']:,} | {s(r['warden_load_s'])} ({s(r['warden_insert_s'])} + {s(r['warden_closure_s'])}) | {s(r['opa_load_s'])} "
        f"| {s(r['fga_load_s'])} ({r['fga_tuples']:,}) | {x(ql_o)} | {x(ql_f)} "
        f"| {r['rss_mb']['warden']:.0f} + {w_db:.0f} MB | {o_mem:.0f} MB | {r['rss_mb']['openfga']:.0f} + {r['db_mb']['openfga']:.0f} MB | {x(qm_o)} | {x(qm_f)} |"
    )

sample = runs[0]["sample"]
sample_txt = "; ".join(f"{k}: {v[0]} requests, {v[1]} allowed" for k, v in sample.items())
wheres = {row["name"]: row["opa_where"] for row in runs[-1]["lists"]}
sizes = ", ".join(f"{r['users']:,}" for r in runs)
full = "1000000" in a.sizes.split()
day = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")

md = f"""## 9. Decision servers: Warden vs OPA and OpenFGA

Written by `scripts/bench-decision-servers.sh` (not by `scripts/bench-all.sh`, which keeps it;
CI does not run it). Three servers on 127.0.0.1, same machine, same run, same directory:
`warden-server` (release build of {a.warden}, on PostgreSQL 15, tenant `hr-platform` with the policy below), OPA {a.opa} (`opa run --server`,
policy `bench/decision-servers/warden.rego` and `filters.rego`, the directory as OPA data) and
OpenFGA {a.openfga} (`openfga run`, PostgreSQL datastore on the same PostgreSQL, model
`bench/decision-servers/model.fga`), both `go install`ed at those versions. Machine: {os.cpu_count()} cores,
{cpu()}, shared with other jobs (load average {a.load} before, {a.load_after} after): absolute figures
are noise, **the ratios, measured in the same run, are the result**. A ratio is *anchor /
Warden* in time (or bytes): above 1 Warden is faster (or smaller), below 1 it is behind.

- Run: {day}, sizes {sizes}{'' if full else ' (1,000,000 not run: `WARDEN_BENCH_FULL=1`)'}, {int(a.elapsed) // 60} min in all.
  Command: `BENCH_SIZES="{a.sizes}" BENCH_SECONDS={a.seconds} BENCH_CONNECTIONS={a.connections} scripts/bench-decision-servers.sh`.
- The scenario of §4 (`bench/decision-servers/policy.json`): `employee` reads itself and its
  direct reports (N-1), `director` reads and updates anyone below it, `hr` reads its whole
  organisation, a super admin does anything anywhere. The directory: two organisations of
  N/2 users, each a 10-ary management tree; everyone is an employee, the root and odd users
  of depth 1–2 are directors, one user in 1,000 is HR, one per organisation is super admin
  (generated by `bench/decision-servers/run.py` and loaded into all three).
- Verdicts first: {int(a.sample) * 4} requests per size ({sample_txt}) were put to the three
  servers one by one; every verdict is equal on the three and equal to what the scenario
  defines, or the script fails and prints the cases. The same requests are then replayed by
  wrk.

### Decisions over HTTP

`wrk -t{a.threads} -c{a.connections} -d{a.seconds}s --timeout 10s --latency`, one load generator, each server in
turn, after an unrecorded 3 s round each (pools fill, caches warm), two interleaved rounds,
cycling through the sample's requests: Warden's `POST
/access/v1/evaluation` (with a service key; it loads both users and their manager chains
from PostgreSQL per request), OPA's `POST /v1/data/warden/allow` (data in memory), OpenFGA's
`POST /stores/{{id}}/check` (tuples in PostgreSQL, its default caches). The throughput ratio is the
time per decision: Warden's requests/s over the anchor's (sum of both rounds); p50 and p99 are
medians of the rounds.

{chr(10).join(dec)}

### Lists: which users may this actor read

Time to the full answer, three actors per size, each list taken three times (the methods
interleaved) and the median shown. Warden: the kernel's scope filter rendered to
SQL (closure-table strategy, as `GET /api/v1/users` renders it) and executed on PostgreSQL
(`psql`'s `\\timing`: execution and transfer), and the AuthZEN `POST /access/v1/search/resource`
walked page by page (1,000 a page, the most it gives) until no `next_token`. OPA: `POST
/v1/compile/filters/include` with `Accept: application/vnd.opa.sql.postgresql+json`, then
`SELECT id FROM opa_users <WHERE>` on the same PostgreSQL (the table holds the columns the
rules read plus a materialised `path`, indexed: OPA's SQL translation has no recursion, so the
subtree is `path LIKE '<actor's path>/%'`). OpenFGA: `ListObjects` and `StreamedListObjects`
with its default limits (1,000 results, 3 s deadline). Warden's two answers and OPA's must be
equal (the script fails otherwise); OpenFGA's are checked to hold no user outside it and
their share of the answer is shown. OPA/Warden compares the two "filter then SQL" paths;
OpenFGA/Warden compares the server list APIs (ListObjects vs AuthZEN search).

{chr(10).join(lst)}

OPA's WHERE clauses at {runs[-1]['users']:,} users: N-1 `{wheres.get('n1', '')}`; subtree `{wheres.get('subtree', '')}`;
organisation `{wheres.get('organisation', '')}`.

### Loading the directory and the memory each keeps

Warden: `COPY` into its `users` table (tenant `hr-platform` of `serve --demo`, its demo users
removed, the policy replaced through `PUT /api/v1/policy`) plus the closure table its list
filter reads, built with one recursive INSERT as its migration does: the fastest path, as
§8's loader (the API's import validates and commits each user with its audit entry in its
own transaction, at most 10,000 rows a request, and is not what is timed here). OPA: one
`PUT /v1/data/directory` of the whole directory as JSON (users keyed by id, with organisation,
manager, roles and path); building and indexing `opa_users` for its SQL filters is not counted
({', '.join(s(r['opa_table_s']) for r in runs)}). OpenFGA: its Write API, 100 tuples a call (its default maximum),
4 writers in parallel. Memory: resident set of the server process after the runs, plus the size of the
PostgreSQL database that holds its data (Warden's without `opa_users`); OPA keeps everything in its process.

{chr(10).join(mem)}

### Where Warden stands

- **Ahead**: {'; '.join(ahead) if ahead else 'nowhere'}.
- **Behind**: {'; '.join(behind) if behind else 'nowhere'}.

Why, where it is behind (mechanisms; the figures are above):

1. **Decisions against OPA.** Each Warden evaluation authenticates the key and loads the
   subject, the resource and both manager chains from PostgreSQL (about five queries, through
   the server's pool of 8 connections) before the kernel's sub-microsecond decision; OPA
   answers from its in-memory copy of the directory. The directory is never cached by design
   (README, "Several instances over one database": a change is seen by every instance at
   once). Closing the gap means fewer round trips (the key and both users with their chains
   in one query) or an in-process directory snapshot invalidated the way compiled policies
   already are (`NOTIFY warden_changes`). Against OpenFGA, which also reads PostgreSQL and
   resolves the recursive `ancestor` relation with several reads per check, Warden is ahead.
2. **Lists.** Warden's filter and OPA's run on the same PostgreSQL; OPA's subtree is a
   `LIKE` on an indexed materialised path, Warden's an `IN (SELECT … FROM user_closure …)`,
   so which is faster depends on the plan; Warden's filter also reads the wide `users` table
   (JSON documents) and checks tenant and deletion, OPA's the narrow `opa_users`. OPA's path
   column is extra state that every manager change must rewrite for the whole subtree.
   The AuthZEN search gives 1,000 results a page and re-runs the filter per page (keyset on
   `id`), so a 50,000-user answer is 50 requests; OpenFGA's `ListObjects` stops at its
   1,000-result default (incomplete answers above), its streamed variant returns everything.
3. **Loading.** OPA parses one JSON document into memory; Warden writes rows with indexes
   and builds the closure table (one row per ancestor–descendant pair, about N × depth rows),
   most of its load time; OpenFGA writes 4 tuples per user through its API, 100 a call.
4. **Memory.** Warden's process has a baseline of about 150–170 MB whatever the directory
   (not investigated here: runtime, connection pool, policy and plugin machinery) and keeps
   the directory in PostgreSQL (documents, indexes, closure table); OPA keeps the directory
   in its heap, so its memory grows with the directory while Warden's process does not.
"""

open("bench/decision-servers.md", "w").write(md)
splice("bench/decision-servers.md", "## 9. Decision servers")
print("written to bench/decision-servers.md and BENCHMARKS.md")
