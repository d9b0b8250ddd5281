# The scenario of BENCHMARKS.md §4 (bench/decision-servers/policy.json) in Rego, for OPA's
# data API (decisions: POST /v1/data/warden/allow) and compile API (lists: see filters.rego).
#
# Data (PUT /v1/data/directory, built by scripts/bench-decision-servers.sh from the same
# export Warden was loaded with): directory.users[id] = {org, manager, roles, sa, path},
# `path` being the chain of ids from the organisation's root ("/u0000000/u0000001/..."),
# so "target is below actor" is a prefix test instead of a walk (Rego has no recursion).
#
# Input: {"subject": id, "action": "users.read" | "users.update", "resource": id}.
package warden

default allow := false

actor := data.directory.users[input.subject]

target := data.directory.users[input.resource]

# Super admin: every action on anyone, in every organisation.
allow if {
	actor.sa
	target
}

# employee: own record.
allow if {
	input.action == "users.read"
	"employee" in actor.roles
	input.resource == input.subject
	target.org == actor.org
}

# employee: direct reports (team, depth 1), same organisation.
allow if {
	input.action == "users.read"
	"employee" in actor.roles
	target.org == actor.org
	target.manager == input.subject
}

# hr: anyone of the organisation.
allow if {
	input.action == "users.read"
	"hr" in actor.roles
	target.org == actor.org
}

# director: anyone below, at any depth (team without depth), same organisation.
allow if {
	input.action in {"users.read", "users.update"}
	"director" in actor.roles
	target.org == actor.org
	startswith(target.path, concat("", [actor.path, "/"]))
}
