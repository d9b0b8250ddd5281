"""The generated directory and the sample of requests shared by the decision-server
benchmarks (bench/decision-servers/run.py, bench/cedar-agent/run.py): one generator, one
seed, so both sections of BENCHMARKS.md decide the same requests over the same users.

`directory(n)`: two organisations of n/2 users, each a 10-ary management tree; everyone
`employee`, the root and odd users of depth 1-2 `director`, one user in 1,000 `hr`, one super
admin per organisation. Returns (users, ids, children): users maps an id to
{org, manager, roles, sa, path} in index order; children maps a manager to its reports.

`sample(users, ids, children, s)`: s requests per scenario (organisation scope, manager N-1,
subtree three levels, super admin), half allowed and half denied but for super admin, as
(scenario, subject, action, resource, expected). Standard library only.
"""

import random


def directory(n):
    per_org = n // 2
    users = {}
    depth = {}
    for i in range(per_org * 2):
        o, k = divmod(i, per_org)
        uid = f"u{i:07d}"
        m = f"u{o * per_org + (k - 1) // 10:07d}" if k > 0 else None
        d = depth[m] + 1 if m else 0
        roles = ["employee"]
        if k == 0 or (d <= 2 and k % 2 == 1):
            roles.append("director")
        if k % 1000 == 6:
            roles.append("hr")
        users[uid] = {"org": f"o{o}", "manager": m, "roles": roles, "sa": k == 8, "path": (users[m]["path"] if m else "") + "/" + uid}
        depth[uid] = d
    ids = list(users)
    children = {}
    for uid, u in users.items():
        if u["manager"]:
            children.setdefault(u["manager"], []).append(uid)
    return users, ids, children


def sample(users, ids, children, s):
    rng = random.Random(19)
    by_org = {}
    for uid, u in users.items():
        by_org.setdefault(u["org"], []).append(uid)

    def below(a, t):
        return users[t]["path"].startswith(users[a]["path"] + "/")

    hr = [u for u in ids if "hr" in users[u]["roles"]]
    plain_managers = [u for u in ids if users[u]["roles"] == ["employee"] and not users[u]["sa"] and children.get(u)]
    sas = [u for u in ids if users[u]["sa"]]
    cases = []
    for i in range(s):  # organisation scope: hr reads a user of its organisation / of the other
        a = rng.choice(hr)
        other = [o for o in by_org if o != users[a]["org"]]
        org = users[a]["org"] if i % 2 == 0 else rng.choice(other)
        cases.append(("organisation scope (hr reads)", a, "users.read", rng.choice(by_org[org]), i % 2 == 0))
    for i in range(s):  # manager N-1: a plain employee reads a direct report / someone else
        a = rng.choice(plain_managers)
        if i % 2 == 0:
            t = rng.choice(children[a])
        else:
            while True:
                t = rng.choice(by_org[users[a]["org"]])
                if t != a and users[t]["manager"] != a:
                    break
        cases.append(("manager N-1 (employee reads)", a, "users.read", t, i % 2 == 0))
    n_sub, tries = 0, 0
    while n_sub < s:  # director updates two levels below (§4's "3 levels") / someone else
        tries += 1
        if tries > 1000 * s:
            raise SystemExit("no director two levels above enough users: directory too small")
        i = n_sub
        t = rng.choice(ids)
        a = t
        for _ in range(2):
            a = users[a]["manager"] if a else None
        # a director with someone outside its subtree in its organisation (not a root)
        if not a or "director" not in users[a]["roles"] or not users[a]["manager"]:
            continue
        if i % 2 == 1:
            while True:
                t = rng.choice(by_org[users[a]["org"]])
                if t != a and not below(a, t):
                    break
        cases.append(("subtree (director updates, 3 levels)", a, "users.update", t, i % 2 == 0))
        n_sub += 1
    for i in range(s):  # super admin updates anyone, in any organisation
        cases.append(("super admin (updates anyone)", rng.choice(sas), "users.update", rng.choice(ids), True))
    return cases
