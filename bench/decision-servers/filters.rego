# "Which users may this actor read?" for OPA's compile API (POST /v1/compile/filters/include,
# Accept: application/vnd.opa.sql.postgresql+json): the same rules as warden.rego with the
# row unknown. The unknown `input.opa_users` is the table of that name (columns id,
# organization_id, manager_id, path) in the benchmark's PostgreSQL database; OPA renders
# the residual conditions as a WHERE clause. The SQL targets support only comparisons,
# `in`, startswith/endswith/contains: the subtree is `path LIKE '<actor path>/%'`, which
# needs the materialised `path` column (no recursion in Rego nor in the translation).
#
# Request: {"input": {"subject": id}, "unknowns": ["input.opa_users"]} (the unknowns are
# named in the request; OPA also reads them from a package annotation).
package filters

actor := data.directory.users[input.subject]

include if actor.sa

include if {
	"employee" in actor.roles
	input.opa_users.id == input.subject
	input.opa_users.organization_id == actor.org
}

include if {
	"employee" in actor.roles
	input.opa_users.organization_id == actor.org
	input.opa_users.manager_id == input.subject
}

include if {
	"hr" in actor.roles
	input.opa_users.organization_id == actor.org
}

include if {
	"director" in actor.roles
	input.opa_users.organization_id == actor.org
	startswith(input.opa_users.path, concat("", [actor.path, "/"]))
}
