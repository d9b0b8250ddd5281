//! The server's OpenAPI 3.1 document, served at `GET /openapi.json`.
//!
//! The document is built with `utoipa`'s OpenAPI model (paths, operations, parameters,
//! responses, security schemes) and its schemas are never written twice:
//!
//! - every type of the kernel's contract (`ValidateInput`, `AuthzDecision`, `Violation`,
//!   `ErrorEnvelope`, ...) comes from [`warden_core::api::schema::contract_schema`], the
//!   same generator as `contract/schema.json`, with its `#/$defs/` references rewritten to
//!   `#/components/schemas/`;
//! - the server's own request types (`StatusBody`, `ListQuery`, `ResourceBody`, ...) derive
//!   `schemars::JsonSchema` and are generated into the same components; query parameters
//!   point at the properties of their query type's schema;
//! - the shapes the server assembles as JSON (the user view, pages, the AuthZEN messages,
//!   the server's error body) are described here, in `server_shapes`.
//!
//! Every route of [`crate::api::router`] must appear in the document: the test
//! `every_route_is_documented` reads the routes registered in `server/src` and fails on one
//! that is missing, and `every_documented_operation_is_routed` sends each documented
//! operation to the router and fails on a 404 or 405 from the router itself. A copy is
//! committed as `contract/openapi.json` (`openapi_copy_is_current` fails when it drifts;
//! `WARDEN_BLESS=1` rewrites it).

use std::sync::OnceLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApiBuilder, OpenApiVersion, Paths, Ref,
    Required,
};
use warden_core::api::Op;

/// Where the components' schemas live in the document.
pub const SCHEMAS: &str = "#/components/schemas/";
/// The security scheme of API keys (`Authorization: Bearer wdn_...`).
pub const API_KEY: &str = "apiKey";
/// The security scheme of console sessions (the `warden_session` cookie).
pub const SESSION: &str = "session";

/// What `Accept-Language` does, on the operations that take it.
fn accept_language() -> String {
    format!(
        "The caller's languages (RFC 9110 §12.5.4: ranges with optional `q` weights, `*`, `q=0` for not acceptable; case-insensitive). The kernel's violations, denials and lifecycle messages in the body are rendered in the most preferred language the tenant's policy speaks: `en`, `fr`, `de`, `es` (a regional variant such as `fr-CA` reads as its language) and those its `messages` section adds; English when none matches or without the header. Never refused: unusable entries are ignored, and only the first {} list elements are read. The response names the language in `Content-Language`, with `Vary: Accept-Language`. The server's own texts (a `reason`, a `bad_request` message) are English; codes are the interface. Stored text stays English: an import's commit report (read back later by anyone) and the audit log. A decision's `lang` parameter, when given, wins.",
        crate::extract::MAX_LANGUAGE_RANGES
    )
}

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Auth {
    /// Anyone.
    None,
    /// An API key or a console session.
    KeyOrSession,
    /// An API key only.
    Key,
}

/// The response body of a status: a schema name, or none.
type Body = Option<&'static str>;

/// One documented operation, turned into `utoipa`'s model by [`Spec::add`].
struct Operation {
    method: HttpMethod,
    path: String,
    id: String,
    summary: String,
    tag: &'static str,
    auth: Auth,
    act_as: bool,
    /// Takes `If-Match`.
    if_match: bool,
    /// Renders the kernel's messages in the caller's language (`Accept-Language`).
    localised: bool,
    /// (schema of the query type, its properties that are parameters).
    query: Option<(&'static str, &'static [&'static str])>,
    /// Path parameters: (name, description).
    path_params: Vec<(&'static str, &'static str)>,
    /// (content type, schema name, required).
    body: Vec<(&'static str, String, bool)>,
    /// (status, description, schema).
    responses: Vec<(u16, &'static str, Option<String>)>,
    /// A 200 in this content type (a string), instead of JSON.
    text: Option<&'static str>,
}

impl Operation {
    fn new(method: HttpMethod, path: &str, id: &str, summary: &str, tag: &'static str) -> Self {
        Operation {
            method,
            path: path.to_owned(),
            id: id.to_owned(),
            summary: summary.to_owned(),
            tag,
            auth: Auth::KeyOrSession,
            act_as: false,
            if_match: false,
            localised: false,
            query: None,
            path_params: Vec::new(),
            body: Vec::new(),
            responses: Vec::new(),
            text: None,
        }
    }

    fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// The operation acts for a user (`X-Warden-Act-As` for keys).
    fn acts(mut self) -> Self {
        self.act_as = true;
        self
    }

    /// The operation takes `If-Match` (the version it was read at).
    fn if_match(mut self) -> Self {
        self.if_match = true;
        self
    }

    /// The operation's kernel messages are in the caller's language (`Accept-Language`,
    /// [`crate::extract::AcceptLanguage`]).
    fn localised(mut self) -> Self {
        self.localised = true;
        self
    }

    fn query(mut self, schema: &'static str, names: &'static [&'static str]) -> Self {
        self.query = Some((schema, names));
        self
    }

    fn param(mut self, name: &'static str, description: &'static str) -> Self {
        self.path_params.push((name, description));
        self
    }

    /// A body that is a file, in each of these media types (required).
    fn file(mut self, schema: &str, mimes: &[&'static str]) -> Self {
        for mime in mimes {
            self.body.push((mime, schema.to_owned(), true));
        }
        self
    }

    fn json(mut self, schema: &str) -> Self {
        self.body
            .push(("application/json", schema.to_owned(), true));
        self
    }

    fn ok(mut self, status: u16, description: &'static str, schema: Body) -> Self {
        self.responses
            .push((status, description, schema.map(str::to_owned)));
        self
    }

    fn ok_text(mut self, description: &'static str, mime: &'static str) -> Self {
        self.responses.push((200, description, None));
        self.text = Some(mime);
        self
    }

    fn ok_named(mut self, status: u16, description: &'static str, schema: String) -> Self {
        self.responses.push((status, description, Some(schema)));
        self
    }

    /// The server's error statuses, each with the server's error body.
    fn errors(mut self, statuses: &[u16]) -> Self {
        for &s in statuses {
            self.responses
                .push((s, error_description(s), Some(error_schema(s))));
        }
        self
    }

    /// The errors of every authenticated route.
    fn common(self) -> Self {
        let auth = self.auth;
        let s = if auth == Auth::None {
            self
        } else {
            self.errors(&[401])
        };
        s.errors(&[503])
    }
}

fn error_description(status: u16) -> &'static str {
    match status {
        400 => "A malformed request: the field and the reason",
        401 => "No credentials, or credentials that are not valid",
        403 => "The credentials do not allow this: a key role, or the kernel's denial",
        404 => "No such resource in the caller's tenant, or outside the caller's scope",
        409 => {
            "A conflict with stored data (`stale_user`, `stale_policy`: what the request was decided on changed before its write; `taken`: a unique value was taken by a write committed meanwhile; `contention`: the database rolled the write back to break a deadlock, send it again; nothing was written)"
        }
        412 => "`If-Match` names another version than the stored one: read the user again",
        413 => "The request body is larger than the server accepts",
        415 => {
            "The body is not sent in a media type the route takes (a JSON body as `application/json`; an import's file as `ImportFile` says): `bad_request`, code `unsupported_media_type`"
        }
        422 => "The record is refused: every violation",
        503 => {
            "The database is unavailable (`unavailable`), the tenant's stored policy does not compile on this server (`policy_unusable`: an admin key reads the reason with `GET /api/v1/policy` and replaces the policy), the tenant's plugins cannot be loaded (`plugins_unavailable`, with the host's `code`), or the instance runs as many bulk operations and imports as it takes at once (`busy`)"
        }
        _ => "An error",
    }
}

/// Every error status answers the server's one error body.
fn error_schema(_status: u16) -> String {
    "ServerError".into()
}

fn schema_ref(name: &str) -> Ref {
    Ref::new(format!("{SCHEMAS}{name}"))
}

/// The document under construction.
struct Spec {
    paths: Paths,
}

impl Spec {
    fn add(&mut self, op: Operation) {
        let mut b = OperationBuilder::new()
            .operation_id(Some(op.id))
            .summary(Some(op.summary))
            .tag(op.tag);
        for (name, description) in &op.path_params {
            b = b.parameter(
                ParameterBuilder::new()
                    .name(*name)
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .description(Some(*description))
                    .schema(Some(schema_ref("PathSegment"))),
            );
        }
        if let Some((schema, names)) = op.query {
            for name in names {
                b = b.parameter(
                    ParameterBuilder::new()
                        .name(*name)
                        .parameter_in(ParameterIn::Query)
                        .required(Required::False)
                        .schema(Some(Ref::new(format!(
                            "{SCHEMAS}{schema}/properties/{name}"
                        )))),
                );
            }
        }
        if op.if_match {
            b = b.parameter(
                ParameterBuilder::new()
                    .name("If-Match")
                    .parameter_in(ParameterIn::Header)
                    .required(Required::False)
                    .description(Some(
                        "The user's `version` as it was read (`\"7\"`): the change is made only if the user is still at that version, else 412 `stale_user` (nothing is written). Without it, the last write wins.",
                    ))
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String).build())),
            );
        }
        if op.localised {
            b = b.parameter(
                ParameterBuilder::new()
                    .name("Accept-Language")
                    .parameter_in(ParameterIn::Header)
                    .required(Required::False)
                    .description(Some(accept_language()))
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String).build())),
            );
        }
        if op.act_as {
            b = b.parameter(
                ParameterBuilder::new()
                    .name("X-Warden-Act-As")
                    .parameter_in(ParameterIn::Header)
                    .required(Required::False)
                    .description(Some(
                        "With an API key: the id of the user the key acts for (loaded from the directory). Ignored for sessions.",
                    ))
                    .schema(Some(schema_ref("PathSegment"))),
            );
        }
        if !op.body.is_empty() {
            let mut rb = RequestBodyBuilder::new();
            let mut required = false;
            for (mime, schema, req) in &op.body {
                rb = rb.content(
                    *mime,
                    ContentBuilder::new()
                        .schema(Some(schema_ref(schema)))
                        .build(),
                );
                required |= *req;
            }
            b = b.request_body(Some(
                rb.required(Some(if required {
                    Required::True
                } else {
                    Required::False
                }))
                .build(),
            ));
        }
        let mut responses = op.responses;
        // A route that reads a query, a body or path parameters answers a malformed one with
        // the typed 400 of `crate::extract`, documented or not in its row.
        let reads_input = op.query.is_some() || !op.body.is_empty() || !op.path_params.is_empty();
        if reads_input && !responses.iter().any(|(status, ..)| *status == 400) {
            responses.push((400, error_description(400), Some(error_schema(400))));
        }
        // A JSON body sent in another media type is a 415 (`crate::extract::Body`); the
        // AuthZEN endpoints answer their own 400, as the specification's errors are.
        let json_body =
            op.tag != TAG_AUTHZEN && op.body.iter().any(|(mime, ..)| *mime == "application/json");
        if json_body && !responses.iter().any(|(status, ..)| *status == 415) {
            responses.push((415, error_description(415), Some(error_schema(415))));
        }
        responses.sort_by_key(|(status, ..)| *status);
        for (status, description, schema) in responses {
            let mut r = ResponseBuilder::new().description(description);
            if let (200, Some(mime)) = (status, op.text) {
                r = r.content(
                    mime,
                    ContentBuilder::new()
                        .schema(Some(schema_ref("Text")))
                        .build(),
                );
            }
            if let Some(s) = schema {
                if s == "TooLarge" {
                    // tower-http's body limit answers before any handler, with a plain body.
                } else {
                    r = r.content(
                        "application/json",
                        ContentBuilder::new().schema(Some(schema_ref(&s))).build(),
                    );
                }
            }
            b = b.response(status.to_string(), r.build());
        }
        b = match op.auth {
            Auth::None => b.securities(Some(Vec::<SecurityRequirement>::new())),
            Auth::Key => b.security(SecurityRequirement::new(API_KEY, Vec::<String>::new())),
            Auth::KeyOrSession => b
                .security(SecurityRequirement::new(API_KEY, Vec::<String>::new()))
                .security(SecurityRequirement::new(SESSION, Vec::<String>::new())),
        };
        self.paths
            .add_path_operation(op.path, vec![op.method], b.build());
    }
}

/// Rewrites the contract's `#/$defs/` references to the document's components.
fn rebase(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if k == "$ref"
                    && let Value::String(s) = x
                    && let Some(rest) = s.strip_prefix("#/$defs/")
                {
                    *s = format!("{SCHEMAS}{rest}");
                } else {
                    rebase(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(rebase),
        _ => {}
    }
}

/// The schemas of the server's own request types, generated from their Rust types.
fn server_types() -> Map<String, Value> {
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    let mut g = settings.into_generator();
    fn add<T: JsonSchema>(g: &mut schemars::SchemaGenerator, out: &mut Map<String, Value>) {
        let s = g.root_schema_for::<T>();
        let mut v = s.to_value();
        if let Value::Object(m) = &mut v {
            m.remove("$schema");
            m.remove("$defs");
            m.remove("title");
            // The definitions the generator has collected so far, which schemars writes
            // into every root at `definitions_path`: they are added once, below.
            m.remove("components");
        }
        out.insert(T::schema_name().into_owned(), v);
    }
    let mut out = Map::new();
    add::<crate::api::SignIn>(&mut g, &mut out);
    add::<crate::api::NewKey>(&mut g, &mut out);
    add::<crate::users::ListQuery>(&mut g, &mut out);
    add::<crate::users::StatusBody>(&mut g, &mut out);
    add::<crate::users::DeleteQuery>(&mut g, &mut out);
    add::<crate::users::StatusQuery>(&mut g, &mut out);
    add::<crate::users::ResetBody>(&mut g, &mut out);
    add::<crate::users::PasswordChangeBody>(&mut g, &mut out);
    add::<crate::reset::RedeemBody>(&mut g, &mut out);
    add::<crate::users::HistoryQuery>(&mut g, &mut out);
    add::<crate::imports::ImportQuery>(&mut g, &mut out);
    add::<crate::policy::ReplaceQuery>(&mut g, &mut out);
    add::<crate::decide::DecideQuery>(&mut g, &mut out);
    add::<crate::resources::ResourceBody>(&mut g, &mut out);
    add::<crate::error::FieldError>(&mut g, &mut out);
    add::<crate::plugins::Upload>(&mut g, &mut out);
    add::<crate::api::SignOut>(&mut g, &mut out);
    add::<crate::api::KeysQuery>(&mut g, &mut out);
    add::<crate::organizations::OrganizationsQuery>(&mut g, &mut out);
    add::<crate::organizations::NewOrganization>(&mut g, &mut out);
    add::<crate::organizations::OrganizationChange>(&mut g, &mut out);
    add::<crate::groups::MembersQuery>(&mut g, &mut out);
    add::<crate::bulk::BulkBody>(&mut g, &mut out);
    for (name, schema) in g.take_definitions(true) {
        out.entry(name).or_insert(schema);
    }
    out
}

/// The shapes the server assembles itself (the user view, pages, AuthZEN messages, the
/// server's error body).
fn server_shapes() -> Map<String, Value> {
    let s = |name: &str| json!({"$ref": format!("{SCHEMAS}{name}")});
    let string = json!({"type": "string"});
    let nullable_string = json!({"type": ["string", "null"]});
    let object = json!({"type": "object"});
    let authzen_entity = json!({
        "type": "object",
        "required": ["type", "id"],
        "properties": {
            "type": {"type": "string", "description": "`user`, or the type of a stored resource (`organization`, `owner`, `location`)."},
            "id": {"type": "string", "description": "The id (a user may also be named by login)."},
            "properties": {"type": "object", "description": "Accepted and ignored: properties sent by a caller never grant."}
        }
    });
    let action = json!({
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string"}, "properties": {"type": "object"}}
    });
    let pairs: Vec<(&str, Value)> = vec![
        ("Text", json!({"type": "string"})),
        (
            "PluginList",
            json!({
                "description": "The tenant's plugins in the order they run, with their status on this instance, the settings and the tenant's plugin generation.",
                "type": "object",
                "required": ["plugins", "settings", "generation"],
                "properties": {
                    "plugins": {"type": "array", "items": s("Plugin")},
                    "settings": s("PluginSettings"),
                    "generation": {"type": "integer", "description": "The tenant's plugin generation (bumped by every change)."},
                    "loadError": {"type": "object", "description": "Present when the stored plugins cannot be loaded on this instance (the tenant's decisions then answer 503): the host's `code` and `message`, and `plugin`, the stored name of the plugin at fault when one is; the plugins are still listed, to be replaced or removed."}
                }
            }),
        ),
        (
            "Plugin",
            json!({
                "description": "A stored plugin.",
                "type": "object",
                "required": ["name", "version", "hash", "interface", "size", "position", "config", "updatedAt", "disabled", "consecutiveFaults"],
                "properties": {
                    "name": string.clone(),
                    "version": {"type": "string", "description": "The version the component declares."},
                    "hash": {"type": "string", "description": "SHA-256 of the component, hex."},
                    "interface": {"type": "string", "description": "The plugin interface version the component exports."},
                    "size": {"type": "integer", "description": "The component's size in bytes."},
                    "position": {"type": "integer", "description": "Its place in the order plugins run (0 first)."},
                    "config": {"description": "The tenant's configuration of the plugin (any JSON)."},
                    "updatedAt": {"type": "integer", "description": "Unix seconds of the last upload."},
                    "disabled": {"type": "boolean", "description": "The circuit breaker has disabled it on this instance (always `false` when reading one plugin)."},
                    "consecutiveFaults": {"type": "integer", "description": "Its faults in a row on this instance."}
                }
            }),
        ),
        (
            "PluginChange",
            json!({
                "description": "An upload or replacement (`plugin`, `replaced`, `interface`, `size`) or a removal (`removed`), with the tenant's plugin generation after it.",
                "type": "object",
                "required": ["generation"],
                "properties": {
                    "plugin": s("PluginRef"),
                    "replaced": {"anyOf": [s("PluginRef"), {"type": "null"}], "description": "The plugin of the same name it replaced, if any."},
                    "removed": s("PluginRef"),
                    "interface": string.clone(),
                    "size": {"type": "integer"},
                    "generation": {"type": "integer"}
                }
            }),
        ),
        (
            "PluginRef",
            json!({
                "type": "object",
                "required": ["name", "version", "hash"],
                "properties": {"name": string.clone(), "version": string.clone(), "hash": string.clone()}
            }),
        ),
        (
            "PluginSettings",
            json!({"type": "object", "description": "The tenant's plugin limits and failure policy, within the host's hard caps."}),
        ),
        (
            "PluginSettingsView",
            json!({"type": "object", "required": ["settings", "caps"], "properties": {"settings": {"type": "object"}, "caps": {"type": "object"}}}),
        ),
        (
            "PluginSettingsChanged",
            json!({"type": "object", "required": ["settings", "generation"], "properties": {"settings": {"type": "object"}, "generation": {"type": "integer", "description": "The tenant's plugin generation after the change."}}}),
        ),
        (
            "KeyPage",
            json!({
                "type": "object",
                "required": ["keys", "next"],
                "properties": {
                    "keys": {"type": "array", "items": {
                        "type": "object",
                        "required": ["id", "role", "name", "createdAt", "revokedAt", "expiresAt"],
                        "properties": {
                            "id": string.clone(), "role": string.clone(), "name": string.clone(),
                            "createdAt": s("Timestamp"),
                            "revokedAt": {"anyOf": [s("Timestamp"), {"type": "null"}]},
                            "expiresAt": {"anyOf": [s("Timestamp"), {"type": "null"}], "description": "From when the key no longer authenticates; null: it does not expire."}
                        }
                    }},
                    "next": {"type": ["string", "null"], "description": "The `after` of the next page; null on the last."}
                }
            }),
        ),
        (
            "KeyRevoked",
            json!({
                "description": "The revoked key; revoking a revoked key is a no-op reported with `changed: false`.",
                "type": "object",
                "required": ["id", "revoked", "revokedAt", "changed"],
                "properties": {"id": string.clone(), "revoked": {"type": "boolean"}, "revokedAt": s("Timestamp"), "changed": {"type": "boolean"}}
            }),
        ),
        (
            "SessionsRevoked",
            json!({
                "type": "object",
                "required": ["user", "sessionEpoch", "sessionsEnded"],
                "properties": {"user": string.clone(), "sessionEpoch": {"type": "integer"}, "sessionsEnded": {"type": "integer"}}
            }),
        ),
        (
            "Organization",
            json!({
                "type": "object",
                "required": ["id", "name", "active"],
                "properties": {"id": string.clone(), "name": string.clone(), "active": {"type": "boolean"}}
            }),
        ),
        (
            "OrganizationPage",
            json!({
                "type": "object",
                "required": ["organizations", "next"],
                "properties": {
                    "organizations": {"type": "array", "items": s("Organization")},
                    "next": {"type": ["string", "null"], "description": "The `after` of the next page; null on the last."}
                }
            }),
        ),
        (
            "OrganizationWritten",
            json!({
                "type": "object",
                "required": ["organization", "obligations"],
                "properties": {"organization": s("Organization"), "obligations": {"type": "array", "items": object.clone()}}
            }),
        ),
        (
            "Deleted",
            json!({"type": "object", "required": ["deleted"], "properties": {"deleted": string.clone()}}),
        ),
        (
            "GroupList",
            json!({
                "description": "The groups the tenant's policy declares.",
                "type": "object",
                "required": ["groups"],
                "properties": {"groups": {"type": "array", "items": {
                    "type": "object",
                    "required": ["id", "kind", "roles", "label"],
                    "properties": {
                        "id": string.clone(),
                        "kind": {"enum": ["manual", "dynamic"]},
                        "roles": {"type": "array", "items": string.clone(), "description": "The roles membership grants."},
                        "label": {"description": "The group's label (text, or text by language)."},
                        "rule": {"description": "A dynamic group's rule (null for a manual group)."}
                    }
                }}}
            }),
        ),
        (
            "GroupMembersPage",
            json!({
                "description": "A page of a group's members among the users the viewer may read, as the viewer may see them.",
                "type": "object",
                "required": ["group", "kind", "members", "next"],
                "properties": {
                    "group": string.clone(),
                    "kind": {"enum": ["manual", "dynamic"]},
                    "members": {"type": "array", "items": {
                        "type": "object",
                        "required": ["user"],
                        "properties": {
                            "user": s("User"),
                            "addedBy": {"type": "string", "description": "A manual group's: who added the member."},
                            "addedAt": s("Timestamp")
                        }
                    }},
                    "next": {"type": ["string", "null"], "description": "The cursor of the next page; null on the last."}
                }
            }),
        ),
        (
            "Membership",
            json!({
                "type": "object",
                "required": ["group", "user", "member", "changed"],
                "properties": {
                    "group": string.clone(), "user": string.clone(),
                    "member": {"type": "boolean", "description": "The user is a manual member after the call."},
                    "changed": {"type": "boolean", "description": "The call changed the membership."}
                }
            }),
        ),
        (
            "BulkReport",
            json!({
                "type": "object",
                "required": ["summary", "results", "batches", "policy"],
                "properties": {
                    "summary": {
                        "type": "object",
                        "required": ["total", "committed", "refused", "failed"],
                        "properties": {"total": {"type": "integer"}, "committed": {"type": "integer"}, "refused": {"type": "integer"}, "failed": {"type": "integer"}}
                    },
                    "results": {"type": "array", "items": {
                        "type": "object",
                        "required": ["index", "op", "outcome"],
                        "properties": {
                            "index": {"type": "integer"},
                            "op": {"type": "string", "enum": ["status", "roles", "delete", "import"]},
                            "target": string.clone(),
                            "outcome": {"type": "string", "enum": ["committed", "refused", "failed"]},
                            "reason": {"type": "string", "description": "Why a refused or failed item was not stored (`not_found`, `duplicate`, `denied`, `plugin_denied`, `plugin_invalid`, `plugins_not_asked`, `conflict`, ...)."},
                            "sameTargetAs": {"type": "integer", "description": "For a `conflict`: the earlier item of this request that changed the same user first (every item is decided on the users as they were before the request, so a later item on a user an earlier one changed is not executed, whether its decision allowed it or denied it)."},
                            "message": {"type": "string", "description": "For a `conflict` with `sameTargetAs`: what happened, in English."},
                            "errors": {"type": "array", "items": object.clone(), "description": "For a `conflict` the write met (`has_reports`: a deletion of a user others name as their manager; `stale_user`, ...): the single route's 409 errors, each with `field`, `code` and `message`."},
                            "deny": {"description": "The kernel's denial (a `Denial`), or a tenant plugin's (`plugin_denied`)."},
                            "violations": {"type": "array", "description": "The kernel's violations, or the core's and the plugins' (`plugin_invalid`); for an import `failed` as `duplicate` (a key another write took meanwhile), its `duplicate` violations."},
                            "error": {"type": "object", "required": ["code", "message"], "properties": {"code": string.clone(), "message": string.clone()}, "description": "Why the kernel could not decide the item at all (`unknown_role`, `unknown_status`, `conflicting_change`, `unsupported`, ...): the other items are decided."},
                            "plugins": {"type": "array", "items": object.clone(), "description": "The tenant plugins' reports on the item."}
                        }
                    }},
                    "batches": {"type": "array", "items": object.clone()},
                    "refused": {"description": "The kernel's refusal of the whole request, when it refused it."},
                    "policy": s("PolicyHash")
                }
            }),
        ),
        (
            "ImportReportStored",
            json!({
                "description": "A committed import's stored report: each item committed with its audit entry, or not at all, and which.",
                "type": "object",
                "required": ["import", "status", "total", "createdAt", "finishedAt", "committed", "notCommitted"],
                "properties": {
                    "import": {"type": "string", "description": "The import's id."},
                    "status": {"enum": ["running", "done", "failed", "interrupted"], "description": "`interrupted`: the server stopped during the commit (marked at the next start)."},
                    "total": {"type": "integer", "description": "The rows the file held."},
                    "createdAt": {"type": "integer", "description": "Unix seconds."},
                    "finishedAt": {"type": ["integer", "null"], "description": "Unix seconds; null while running or when interrupted before the mark."},
                    "committed": {"type": "array", "items": {
                        "type": "object",
                        "required": ["index", "id", "auditSeq"],
                        "properties": {
                            "index": {"type": "integer", "description": "The row's index in the file."},
                            "id": {"type": "string", "description": "The user created."},
                            "auditSeq": {"type": "integer", "description": "Its audit entry's sequence number."}
                        }
                    }},
                    "notCommitted": {"type": "array", "items": {"type": "integer"}, "description": "The planned rows that were not committed."},
                    "summary": {"description": "The kernel's import summary (null until the import finished)."},
                    "results": {"description": "Every row's result (null until the import finished)."}
                }
            }),
        ),
        (
            "PathSegment",
            json!({"type": "string", "minLength": 1, "description": "One path segment (an id, a resource type)."}),
        ),
        (
            "ImportFile",
            json!({"type": "string", "description": "The file itself (not a form): CSV with a header row, or JSON Lines, UTF-8, at most 10,000 rows. Sent as `text/csv` (also `application/csv`, and `application/vnd.ms-excel`, what browsers on Windows give a `.csv` file) or `application/x-ndjson` (also `application/jsonl`, `application/x-jsonlines`, `application/jsonlines`), the type names the format; any other type (`text/plain`, `application/octet-stream`, `application/json`) or none takes the `format` parameter's (CSV by default). A type naming the other format than `format`, or a form (`multipart/*`, `application/x-www-form-urlencoded`), is a 415."}),
        ),
        (
            "ServerError",
            json!({
                "description": "The server's error body: `error` is the kind; the kernel's denial or violations, the server's field errors or a message as the kind says.",
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {"type": "string", "enum": ["unauthenticated", "csrf", "denied", "forbidden", "not_found", "invalid", "conflict", "too_large", "bad_request", "unavailable", "busy", "plugins_unavailable", "policy_unusable", "internal", "invalid_request", "timeout", "plugin_refused", "precondition_failed", "method_not_allowed"]},
                    "message": string.clone(),
                    "reason": string.clone(),
                    "code": {"type": "string", "description": "`bad_request` of a malformed request: a stable code (`invalid_path_parameter`; `unknown_parameter`, `missing_parameter`, `invalid_parameter`; `unsupported_media_type`, `unreadable_body`, `unexpected_body`, `invalid_json`, `unknown_field`, `missing_field`, `invalid_value`, `duplicate_key`; `invalid_header`; an import that cannot be read: `too_large`, `not_utf8`, `no_header`, `duplicate_column`, `malformed_header`, `too_many_rows`; a scope over the server's limit: `too_many_users`; or the kernel's code for a question it cannot decide: `unknown_status`, `unknown_role`, `unknown_group`, ...); `not_found` of a group the policy does not declare: `unknown_group`; `precondition_failed`: `stale_user`."},
                    "in": {"type": "string", "enum": ["path", "query", "body", "header"], "description": "`bad_request` of a malformed request: the part of the request at fault."},
                    "field": {"type": "string", "description": "The field or parameter at fault: a path or query parameter (`id`, `limit`), a body field (`address.city`), AuthZEN's `subject.type`."},
                    "deny": s("Denial"),
                    "violations": {"type": "array", "items": s("Violation")},
                    "errors": {"type": "array", "items": s("FieldError")}
                }
            }),
        ),
        (
            "DecideError",
            json!({
                "description": "A refused decision request: the contract's error envelope, or the server's error body (authentication, the database).",
                "anyOf": [s("ErrorEnvelope"), s("ServerError")]
            }),
        ),
        (
            "User",
            json!({
                "description": "A user as stored: the record's fields (as the tenant's policy declares them) with the directory's own, without the fields the policy's `fieldAccess` hides from the viewer (the status, roles and groups included).",
                "type": "object",
                "required": ["id"],
                "properties": {
                    "id": string.clone(),
                    "status": string.clone(),
                    "statusUntil": s("Timestamp"),
                    "roles": {"type": "array", "items": string.clone()},
                    "groups": {"type": "array", "items": string.clone()},
                    "superAdmin": {"type": "boolean"},
                    "root": {"type": "boolean", "description": "The tenant's root user (a system account above administrators)."},
                    "deleted": {"type": "boolean"},
                    "version": {"type": "integer", "description": "Counts the user's changes: give it as `If-Match` to an edit, so that it is made only on the user as read."}
                }
            }),
        ),
        (
            "UserRecord",
            json!({
                "description": "A user record: the fields the tenant's policy declares (validated by the kernel).",
                "type": "object"
            }),
        ),
        (
            "UserWritten",
            json!({
                "description": "The user after a change, with what the change produced (warnings, obligations, a temporary password shown once).",
                "type": "object",
                "required": ["user"],
                "properties": {
                    "user": s("User"),
                    "warnings": {"type": "array", "items": s("Violation")},
                    "obligations": {"type": "array"},
                    "temporaryPassword": string.clone(),
                    "mustChangePassword": {"type": "boolean"},
                    "plugins": {"type": "array", "description": "The reports of the tenant's plugins that took part."},
                    "dryRun": {"type": "boolean", "description": "A status change's dry run: nothing was written; `user` is as it stands."},
                    "to": {"type": "string", "description": "A dry run's status the change would set."},
                    "until": {"type": "string", "description": "A dry run's end of the temporary status the change would set (RFC 3339)."}
                }
            }),
        ),
        (
            "UserPage",
            json!({
                "type": "object",
                "required": ["users", "next"],
                "properties": {
                    "users": {"type": "array", "items": s("User")},
                    "next": {"type": ["string", "null"], "description": "The cursor of the next page; null on the last."}
                }
            }),
        ),
        (
            "UserRead",
            json!({
                "type": "object",
                "required": ["user", "permissions", "roleAssignments", "policy", "policyVersion"],
                "properties": {
                    "user": s("User"),
                    "permissions": {"type": "array", "items": string.clone(), "description": "The actions the kernel allows the actor on this user."},
                    "roleAssignments": {"type": "array", "items": {
                        "type": "object",
                        "required": ["role", "assignedBy", "assignedAt"],
                        "properties": {"role": string.clone(), "assignedBy": nullable_string.clone(), "assignedAt": string.clone()}
                    }},
                    "policy": s("PolicyHash"),
                    "policyVersion": {"type": "integer"}
                }
            }),
        ),
        (
            "UserDeleted",
            json!({
                "type": "object",
                "required": ["deleted", "mode", "obligations"],
                "properties": {"deleted": string.clone(), "mode": s("DeleteMode"), "obligations": {"type": "array"}, "plugins": {"type": "array", "items": object.clone(), "description": "The tenant plugins' reports, when it has plugins."}}
            }),
        ),
        (
            "PasswordResetDone",
            json!({
                "description": "A reset carried out: the method, whether the password must change at next login, the obligations executed; a generated temporary password is shown once.",
                "type": "object",
                "required": ["method", "mustChangePassword", "obligations"],
                "properties": {
                    "method": {"anyOf": [s("ResetMethod"), {"type": "null"}]},
                    "mustChangePassword": {"type": "boolean"},
                    "obligations": {"type": "array", "description": "The obligations the server carried out with the change."},
                    "temporaryPassword": {"type": "string", "description": "Only for the temporaryPassword method: shown once, never stored in clear."},
                    "plugins": {"type": "array", "items": object.clone(), "description": "The tenant plugins' reports, when it has plugins (a reset is asked of them as `users.passwordReset`)."}
                }
            }),
        ),
        (
            "PasswordResetRedeemed",
            json!({
                "description": "A reset token redeemed: the user, and the obligations carried out (the old password invalidated, every session ended).",
                "type": "object",
                "required": ["user", "obligations"],
                "properties": {
                    "user": {"type": "string"},
                    "obligations": {"type": "array"}
                }
            }),
        ),
        (
            "AuditPage",
            json!({
                "type": "object",
                "required": ["entries", "next"],
                "properties": {
                    "entries": {"type": "array", "items": object.clone()},
                    "next": {"type": ["integer", "null"]}
                }
            }),
        ),
        (
            "StatisticsView",
            json!({
                "type": "object",
                "required": ["statistics", "policy"],
                "properties": {"statistics": s("Statistics"), "policy": s("PolicyHash")}
            }),
        ),
        (
            "PasswordChanged",
            json!({
                "type": "object",
                "required": ["user", "mustChangePassword", "obligations"],
                "properties": {
                    "user": string.clone(),
                    "mustChangePassword": {"type": "boolean", "const": false},
                    "obligations": {"type": "array", "items": object.clone(), "description": "The kernel's obligations, as carried out."}
                }
            }),
        ),
        (
            "Session",
            json!({
                "type": "object",
                "required": ["tenant", "user", "policy"],
                "properties": {
                    "tenant": string.clone(),
                    "user": s("User"),
                    "mustChangePassword": {"type": "boolean", "description": "The user signed in with a temporary password: until it is changed, the session may only read itself and its user, sign out, and change the password (`POST /api/v1/users/{id}/password`); every other call answers 403 `password_change_required`."},
                    "policy": s("PolicyHash"),
                    "policyVersion": {"type": "integer"}
                }
            }),
        ),
        (
            "KeyCreated",
            json!({
                "type": "object",
                "required": ["id", "role", "token", "expiresAt"],
                "properties": {"id": string.clone(), "role": string.clone(), "token": {"type": "string", "description": "The key, shown once."}, "expiresAt": {"anyOf": [s("Timestamp"), {"type": "null"}], "description": "From when the key no longer authenticates; null: it does not expire."}}
            }),
        ),
        (
            "PolicyDocument",
            json!({
                "description": "A policy document (`\"warden\": 1`); refused with the key path when it does not compile.",
                "type": "object"
            }),
        ),
        (
            "PolicyView",
            json!({
                "type": "object",
                "required": ["version", "hash", "document"],
                "properties": {
                    "version": {"type": "integer"},
                    "hash": s("PolicyHash"),
                    "document": s("PolicyDocument"),
                    "compileError": {
                        "description": "Present when the stored document does not compile on this server (a document an earlier version stored, refused by a later check): the tenant's other requests are answered 503 `policy_unusable` until the policy is replaced.",
                        "type": "object",
                        "required": ["path", "reason"],
                        "properties": {"path": {"type": "string", "description": "The key path of the problem."}, "reason": {"type": "string"}}
                    }
                }
            }),
        ),
        (
            "PolicyReplaced",
            json!({
                "description": "The new version (or, for a dry run, `dryRun: true`) and the report of stored users that no longer pass.",
                "type": "object",
                "required": ["hash", "report"],
                "properties": {"version": {"type": "integer"}, "dryRun": {"type": "boolean"}, "hash": s("PolicyHash"), "report": object.clone()}
            }),
        ),
        (
            "ImportResult",
            json!({
                "type": "object",
                "description": "A preview (`commit` false) or a commit's report. Both give every row's entry in `results`, in file order, with its `index` and the `line` it starts on in the file: a row the kernel refused in the file with its `violations` and `invalid: true`; a row the create refused with its `violations` (validated with the store's answers: a `duplicate` names its holder, `existingId`, only to an actor who may read it), `deny` or `error`. A commit's created row has its user's `id`, and the commit its `import` id. A preview's entries carry their `verdict` (`invalid`, `refused`, or `valid` with its warnings as `violations`), each row answered against the directory as its commit will be (a uniqueness key in the check's scope, references to organisations and live users; a row cannot name a user another row creates), with the actor's authorization of each account and the tenant's plugins asked as its create asks them (a `valid` row's entry has their reports as `plugins`, if any); only what others change in the directory before the commit is not foreseen. A preview also has the kernel's report of the file (`status`, `rows`, `columns`, `records` as they would be stored: no password, no key the policy does not declare), `summary.refused`, and `taken`: per uniqueness check, the keys the directory holds in the refused rows' scopes.",
                "required": ["summary", "results", "policy"],
                "properties": {
                    "summary": object.clone(),
                    "results": {"type": "array", "items": object.clone()},
                    "policy": s("PolicyHash"),
                    "import": {"type": "string", "description": "A commit's import id."},
                    "taken": {"type": "object", "description": "A preview's keys held in the directory, per uniqueness check.", "additionalProperties": {"type": "array", "items": {"type": "string"}}}
                }
            }),
        ),
        (
            "Resource",
            json!({
                "type": "object",
                "required": ["type", "id"],
                "properties": {
                    "type": string.clone(), "id": string.clone(),
                    "organization": nullable_string.clone(), "owner": nullable_string.clone(),
                    "location": nullable_string.clone(), "attributes": object.clone()
                }
            }),
        ),
        (
            "ResourceDeleted",
            json!({"type": "object", "required": ["deleted"], "properties": {"deleted": {"type": "object", "required": ["type", "id"], "properties": {"type": string.clone(), "id": string.clone()}}}}),
        ),
        (
            "Health",
            json!({"type": "object", "required": ["status"], "properties": {"status": string.clone(), "migrations": {"type": "integer"}}}),
        ),
        (
            "OpenApiDocument",
            json!({"type": "object", "required": ["openapi", "paths"], "description": "This document."}),
        ),
        (
            "AuthzenConfiguration",
            json!({
                "type": "object",
                "required": ["policy_decision_point", "access_evaluation_endpoint"],
                "properties": {
                    "policy_decision_point": string.clone(),
                    "access_evaluation_endpoint": string.clone(),
                    "access_evaluations_endpoint": string.clone(),
                    "search_subject_endpoint": string.clone(),
                    "search_resource_endpoint": string.clone(),
                    "search_action_endpoint": string.clone()
                }
            }),
        ),
        ("AuthzenEntity", authzen_entity.clone()),
        ("AuthzenAction", action.clone()),
        (
            "AuthzenEvaluationRequest",
            json!({
                "type": "object",
                "required": ["subject", "action", "resource"],
                "properties": {"subject": s("AuthzenEntity"), "action": s("AuthzenAction"), "resource": s("AuthzenEntity"), "context": object.clone()}
            }),
        ),
        (
            "AuthzenEvaluationResponse",
            json!({
                "type": "object",
                "required": ["decision"],
                "properties": {"decision": {"type": "boolean"}, "context": {"type": "object", "description": "The policy hash and version; on a deny the kernel's kind, code and hint; the lifecycle's obligations."}}
            }),
        ),
        (
            "AuthzenEvaluationsRequest",
            json!({
                "type": "object",
                "properties": {
                    "subject": s("AuthzenEntity"), "action": s("AuthzenAction"), "resource": s("AuthzenEntity"), "context": object.clone(),
                    "evaluations": {"type": "array", "items": {"type": "object", "properties": {
                        "subject": s("AuthzenEntity"), "action": s("AuthzenAction"), "resource": s("AuthzenEntity"), "context": object.clone()
                    }}},
                    "options": {"type": "object", "properties": {"evaluations_semantic": {"type": "string", "enum": ["execute_all", "deny_on_first_deny", "permit_on_first_permit"]}}}
                }
            }),
        ),
        (
            "AuthzenEvaluationsResponse",
            json!({
                "type": "object",
                "required": ["evaluations"],
                "properties": {"evaluations": {"type": "array", "items": s("AuthzenEvaluationResponse")}}
            }),
        ),
        (
            "AuthzenEvaluationsAnswer",
            json!({"anyOf": [s("AuthzenEvaluationsResponse"), s("AuthzenEvaluationResponse")]}),
        ),
        (
            "AuthzenSearchRequest",
            json!({
                "description": "A search: the subject, action and resource, one of which is searched (its `id` omitted; if present, whatever it holds, ignored).",
                "type": "object",
                "properties": {
                    "subject": {"type": "object"}, "action": {"type": "object"}, "resource": {"type": "object"},
                    "context": object.clone(),
                    "page": {"type": "object", "properties": {"token": string.clone(), "limit": {"type": "integer"}}}
                }
            }),
        ),
        (
            "AuthzenSearchResponse",
            json!({
                "type": "object",
                "required": ["results", "page"],
                "properties": {
                    "results": {"type": "array", "items": object},
                    "page": {"type": "object", "properties": {"next_token": string, "count": {"type": "integer"}}},
                    "context": {"type": "object"}
                }
            }),
        ),
    ];
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// The response of a decision in the native API: the operation's contract response, with
/// `mode`, `policyVersion` and the policy hash.
fn decision_response(contract_response: &str) -> Value {
    json!({
        "allOf": [
            {"$ref": format!("{SCHEMAS}{contract_response}")},
            {
                "type": "object",
                "required": ["mode", "policyVersion"],
                "properties": {
                    "mode": {"type": "string", "enum": ["directory", "stateless"]},
                    "policyVersion": {"type": "integer"},
                    "policy": {"$ref": format!("{SCHEMAS}PolicyHash")}
                }
            }
        ]
    })
}

/// The tag of the AuthZEN endpoints (which answer the specification's errors).
const TAG_AUTHZEN: &str = "authzen";

/// The routes, described. Add a route here when you add it to the router: the tests fail
/// until you do.
fn operations(contract: &Value) -> Vec<Operation> {
    use HttpMethod::{Delete, Get, Patch, Post, Put};
    const TAG_OPS: &str = "operations";
    const TAG_USERS: &str = "users";
    const TAG_ADMIN: &str = "administration";
    const TAG_DECIDE: &str = "decide";
    let mut v = vec![
        Operation::new(
            Get,
            "/healthz",
            "healthz",
            "Liveness (never touches the database)",
            TAG_OPS,
        )
        .auth(Auth::None)
        .ok(200, "Alive", Some("Health")),
        Operation::new(
            Get,
            "/readyz",
            "readyz",
            "Readiness: the database answers and the migrations are applied",
            TAG_OPS,
        )
        .auth(Auth::None)
        .ok(200, "Ready", Some("Health"))
        .common(),
        Operation::new(
            Get,
            "/openapi.json",
            "openapi",
            "This OpenAPI document",
            TAG_OPS,
        )
        .auth(Auth::None)
        .ok(200, "The document", Some("OpenApiDocument")),
        // The console's session.
        Operation::new(
            Post,
            "/api/v1/session",
            "signIn",
            "Sign in through the kernel's login gate; sets the session cookie",
            TAG_USERS,
        )
        .auth(Auth::None)
        .json("SignIn")
        .localised()
        .ok(200, "Signed in (the cookie is set)", Some("Session"))
        .errors(&[400, 401, 403, 413])
        .common(),
        Operation::new(
            Get,
            "/api/v1/session",
            "whoAmI",
            "The caller's user and tenant",
            TAG_USERS,
        )
        .acts()
        .ok(200, "The caller", Some("Session"))
        .errors(&[400])
        .common(),
        Operation::new(
            Delete,
            "/api/v1/session",
            "signOut",
            "Sign out (clears the cookie)",
            TAG_USERS,
        )
        .query("SignOut", &["everywhere"])
        .localised()
        .ok(204, "Signed out", None)
        .errors(&[403])
        .common(),
        // Users.
        Operation::new(
            Get,
            "/api/v1/users",
            "listUsers",
            "The users the actor may read (the kernel's scope as SQL), paged by an opaque cursor",
            TAG_USERS,
        )
        .acts()
        .query("ListQuery", &["cursor", "limit", "q", "actions"])
        .ok(200, "A page", Some("UserPage"))
        .errors(&[400, 403])
        .common(),
        Operation::new(
            Post,
            "/api/v1/users",
            "createUser",
            "Create a user (validated and authorized by the kernel)",
            TAG_USERS,
        )
        .acts()
        .json("UserRecord")
        .localised()
        .ok(201, "Created: `Location` names the new user, `ETag` is its version", Some("UserWritten"))
        .errors(&[400, 403, 409, 413, 422])
        .common(),
        Operation::new(
            Get,
            "/api/v1/users/{id}",
            "readUser",
            "A user, with the actions the kernel allows on it",
            TAG_USERS,
        )
        .acts()
        .param("id", "The user's id")
        .ok(200, "The user; `ETag` is its version, the tag `If-Match` names", Some("UserRead"))
        .errors(&[400, 403, 404])
        .common(),
        Operation::new(
            Patch,
            "/api/v1/users/{id}",
            "updateUser",
            "Partial update: the fields given replace the stored ones",
            TAG_USERS,
        )
        .acts()
        .if_match()
        .param("id", "The user's id")
        .json("UserRecord")
        .localised()
        .ok(200, "Updated; `ETag` is the new version", Some("UserWritten"))
        .errors(&[400, 403, 404, 409, 412, 413, 422])
        .common(),
        Operation::new(
            Delete,
            "/api/v1/users/{id}",
            "deleteUser",
            "Delete (soft, hard or anonymising, as the policy says)",
            TAG_USERS,
        )
        .acts()
        .param("id", "The user's id")
        .query("DeleteQuery", &["mode", "confirm", "activeBookings"])
        .localised()
        .ok(200, "Deleted", Some("UserDeleted"))
        .errors(&[400, 403, 404, 409])
        .common(),
        Operation::new(
            Post,
            "/api/v1/users/{id}/status",
            "transitionUser",
            "A lifecycle transition, with its obligations (`dryRun`: decided as it would be, nothing written)",
            TAG_USERS,
        )
        .acts()
        .param("id", "The user's id")
        .query("StatusQuery", &["dryRun"])
        .json("StatusBody")
        .localised()
        .ok(200, "Transitioned", Some("UserWritten"))
        .errors(&[400, 403, 404, 409, 413, 422])
        .common(),
        Operation::new(
            Post,
            "/api/v1/users/{id}/password-reset",
            "resetPassword",
            "A password reset (a temporary password is shown once)",
            TAG_USERS,
        )
        .acts()
        .param("id", "The user's id")
        .json("ResetBody")
        .localised()
        .ok(200, "Reset", Some("PasswordResetDone"))
        .errors(&[400, 403, 404, 413, 422])
        .common(),
        Operation::new(
            Post,
            "/api/v1/users/{id}/password",
            "changePassword",
            "A user changes their own password (the kernel's passwordChange: the current password when the policy asks for it; the only call a session with a temporary password may make besides reading itself)",
            TAG_USERS,
        )
        .acts()
        .param("id", "The user's id: the caller's own")
        .json("PasswordChangeBody")
        .localised()
        .ok(200, "Changed (every session of the user ends, the caller's too)", Some("PasswordChanged"))
        .errors(&[400, 403, 409, 413, 422])
        .common(),
        Operation::new(
            Post,
            "/api/v1/password-reset",
            "redeemPasswordReset",
            "Redeem a reset token (the `token` method) with a new password: no credentials, the token is the credential; any token that is not live gets the same 403",
            TAG_USERS,
        )
        .auth(Auth::None)
        .json("RedeemBody")
        .localised()
        .ok(200, "The password was replaced and every session ended", Some("PasswordResetRedeemed"))
        .errors(&[400, 403, 409, 413, 422])
        .common(),
        Operation::new(
            Get,
            "/api/v1/users/{id}/audit",
            "userAudit",
            "The user's audit history",
            TAG_USERS,
        )
        .acts()
        .param("id", "The user's id")
        .query("HistoryQuery", &["after", "limit"])
        .ok(200, "A page of entries", Some("AuditPage"))
        .errors(&[400, 403, 404])
        .common(),
        Operation::new(
            Get,
            "/api/v1/statistics",
            "statistics",
            "The kernel's statistics over the users the actor may read",
            TAG_USERS,
        )
        .acts()
        .ok(200, "Statistics", Some("StatisticsView"))
        .errors(&[400, 403])
        .common(),
        Operation::new(
            Post,
            "/api/v1/imports",
            "importUsers",
            "Preview (default) or commit an import of CSV or JSON Lines",
            TAG_USERS,
        )
        .acts()
        .query("ImportQuery", &["format", "commit"])
        .file(
            "ImportFile",
            &["text/csv", "application/x-ndjson", "text/plain", "application/octet-stream"],
        )
        .localised()
        .ok(200, "The import's report", Some("ImportResult"))
        .errors(&[400, 403, 413, 415, 422])
        .common(),
        Operation::new(
            Get,
            "/api/v1/imports/{id}",
            "readImport",
            "A committed import's stored report",
            TAG_USERS,
        )
        .acts()
        .param("id", "The import's id")
        .ok(200, "The report", Some("ImportReportStored"))
        .errors(&[400, 403, 404])
        .common(),
        Operation::new(
            Get,
            "/metrics",
            "metrics",
            "Prometheus metrics (OpenMetrics text): decisions by operation and outcome, latencies, plugin faults, the pool. Open, unless the server was started with a metrics token (`WARDEN_METRICS_TOKEN`): then only to `Authorization: Bearer <that token>`",
            TAG_OPS,
        )
        .auth(Auth::None)
        .ok_text(
            "The metrics",
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )
        .errors(&[401])
        .common(),
        Operation::new(
            Get,
            "/api/v1/plugins",
            "listPlugins",
            "The tenant's plugins, in order, with their status (admin keys)",
            TAG_ADMIN,
        )
        .auth(Auth::Key)
        .ok(200, "The plugins", Some("PluginList"))
        .errors(&[403])
        .common(),
        Operation::new(
            Get,
            "/api/v1/plugins/{name}",
            "readPlugin",
            "One stored plugin (admin keys)",
            TAG_ADMIN,
        )
        .auth(Auth::Key)
        .param("name", "The plugin's name")
        .ok(200, "The plugin", Some("Plugin"))
        .errors(&[403, 404])
        .common(),
        Operation::new(
            Put,
            "/api/v1/plugins/{name}",
            "uploadPlugin",
            "Upload or atomically replace a plugin, checked as `warden plugin check` does (admin keys)",
            TAG_ADMIN,
        )
        .auth(Auth::Key)
        .param("name", "The plugin's name")
        .json("Upload")
        .ok(200, "Stored", Some("PluginChange"))
        .errors(&[400, 403, 404, 409, 413, 422])
        .common(),
        Operation::new(
            Delete,
            "/api/v1/plugins/{name}",
            "removePlugin",
            "Remove a plugin (admin keys)",
            TAG_ADMIN,
        )
        .auth(Auth::Key)
        .param("name", "The plugin's name")
        .ok(200, "Removed", Some("PluginChange"))
        .errors(&[400, 403, 404, 409])
        .common(),
        Operation::new(
            Get,
            "/api/v1/plugin-settings",
            "readPluginSettings",
            "The tenant's plugin settings and the host's caps (admin keys)",
            TAG_ADMIN,
        )
        .auth(Auth::Key)
        .ok(200, "The settings", Some("PluginSettingsView"))
        .errors(&[403])
        .common(),
        Operation::new(
            Put,
            "/api/v1/plugin-settings",
            "replacePluginSettings",
            "Replace the tenant's plugin settings, within the host's caps (admin keys)",
            TAG_ADMIN,
        )
        .auth(Auth::Key)
        .json("PluginSettings")
        .ok(200, "Replaced", Some("PluginSettingsChanged"))
        .errors(&[400, 403, 409, 413, 422])
        .common(),
        Operation::new(Get, "/api/v1/keys", "listKeys", "The tenant's API keys, never their tokens (admin keys)", TAG_ADMIN)
            .auth(Auth::Key)
            .query("KeysQuery", &["after"])
            .ok(200, "A page of keys", Some("KeyPage"))
            .errors(&[400, 403])
            .common(),
        Operation::new(Delete, "/api/v1/keys/{id}", "revokeKey", "Revoke an API key (admin keys)", TAG_ADMIN)
            .auth(Auth::Key)
            .param("id", "An id")
            .ok(200, "Revoked", Some("KeyRevoked"))
            .errors(&[400, 403, 404, 409])
            .common(),
        Operation::new(Delete, "/api/v1/users/{id}/sessions", "revokeSessions", "Revoke a user's sessions", TAG_USERS)
            .auth(Auth::KeyOrSession)
            .acts()
            .param("id", "An id")
            .localised()
            .ok(200, "The user's sessions ended", Some("SessionsRevoked"))
            .errors(&[400, 403, 404, 409])
            .common(),
        Operation::new(Get, "/api/v1/organizations", "listOrganizations", "The tenant's organisations", TAG_ADMIN)
            .auth(Auth::KeyOrSession)
            .acts()
            .query("OrganizationsQuery", &["after", "limit"])
            .ok(200, "A page of organisations", Some("OrganizationPage"))
            .errors(&[400, 403])
            .common(),
        Operation::new(Post, "/api/v1/organizations", "createOrganization", "Create an organisation", TAG_ADMIN)
            .auth(Auth::KeyOrSession)
            .acts()
            .json("NewOrganization")
            .localised()
            .ok(201, "Created: `Location` names it", Some("Organization"))
            .errors(&[400, 403, 409, 413, 422])
            .common(),
        Operation::new(Patch, "/api/v1/organizations/{id}", "updateOrganization", "Update an organisation", TAG_ADMIN)
            .auth(Auth::KeyOrSession)
            .acts()
            .param("id", "An id")
            .json("OrganizationChange")
            .localised()
            .ok(200, "Updated, with the sessions the change ended", Some("OrganizationWritten"))
            .errors(&[400, 403, 404, 409, 413, 422])
            .common(),
        Operation::new(Delete, "/api/v1/organizations/{id}", "deleteOrganization", "Delete an organisation", TAG_ADMIN)
            .auth(Auth::KeyOrSession)
            .acts()
            .param("id", "An id")
            .localised()
            .ok(200, "Deleted", Some("Deleted"))
            .errors(&[400, 403, 404, 409])
            .common(),
        Operation::new(Get, "/api/v1/groups", "listGroups", "The tenant's groups", TAG_USERS)
            .auth(Auth::KeyOrSession)
            .acts()
            .ok(200, "The groups", Some("GroupList"))
            .errors(&[400, 403])
            .common(),
        Operation::new(Get, "/api/v1/groups/{id}/members", "groupMembers", "A group's members", TAG_USERS)
            .auth(Auth::KeyOrSession)
            .acts()
            .param("id", "An id")
            .query("MembersQuery", &["cursor", "limit"])
            .ok(200, "A page of members", Some("GroupMembersPage"))
            .errors(&[400, 403, 404])
            .common(),
        Operation::new(Put, "/api/v1/groups/{id}/members/{user}", "addGroupMember", "Add a user to a manual group", TAG_USERS)
            .auth(Auth::KeyOrSession)
            .acts()
            .param("id", "An id")
            .param("user", "An id")
            .localised()
            .ok(200, "A member already (`changed: false`)", Some("Membership"))
            .ok(201, "Added (`changed: true`)", Some("Membership"))
            .errors(&[400, 403, 404, 409, 422])
            .common(),
        Operation::new(Delete, "/api/v1/groups/{id}/members/{user}", "removeGroupMember", "Remove a user from a manual group", TAG_USERS)
            .auth(Auth::KeyOrSession)
            .acts()
            .param("id", "An id")
            .param("user", "An id")
            .localised()
            .ok(200, "The membership", Some("Membership"))
            .errors(&[400, 403, 404, 409, 422])
            .common(),
        Operation::new(Post, "/api/v1/bulk", "bulkUsers", "A bulk operation over users, each item decided by the kernel", TAG_USERS)
            .auth(Auth::KeyOrSession)
            .acts()
            .json("BulkBody")
            .localised()
            .ok(200, "One result per item, in order", Some("BulkReport"))
            .errors(&[400, 403, 409, 413, 422])
            .common(),
        // Administration.
        Operation::new(
            Post,
            "/api/v1/keys",
            "createKey",
            "A new API key of the caller's tenant (admin keys); shown once",
            TAG_ADMIN,
        )
        .auth(Auth::Key)
        .json("NewKey")
        .ok(201, "Created", Some("KeyCreated"))
        .errors(&[400, 403, 413])
        .common(),
        Operation::new(
            Get,
            "/api/v1/policy",
            "readPolicy",
            "The tenant's current policy (admin keys)",
            TAG_ADMIN,
        )
        .auth(Auth::Key)
        .ok(200, "The policy", Some("PolicyView"))
        .errors(&[403])
        .common(),
        Operation::new(
            Put,
            "/api/v1/policy",
            "replacePolicy",
            "Replace the tenant's policy (admin keys), reporting the users that no longer pass",
            TAG_ADMIN,
        )
        .auth(Auth::Key)
        .query("ReplaceQuery", &["dryRun"])
        .json("PolicyDocument")
        .localised()
        .ok(
            200,
            "Replaced, or the dry run's report",
            Some("PolicyReplaced"),
        )
        .errors(&[400, 403, 409, 413, 422])        .common(),
        Operation::new(
            Get,
            "/api/v1/resources/{kind}/{id}",
            "readResource",
            "A stored resource (organisation, owner, location)",
            TAG_ADMIN,
        )
        .param("kind", "The resource type")
        .param("id", "The resource's id")
        .ok(200, "The resource", Some("Resource"))
        .errors(&[400, 403, 404])
        .common(),
        Operation::new(
            Put,
            "/api/v1/resources/{kind}/{id}",
            "putResource",
            "Create or replace a stored resource (admin keys; audited)",
            TAG_ADMIN,
        )
        .param("kind", "The resource type")
        .param("id", "The resource's id")
        .json("ResourceBody")
        .ok(200, "Replaced", Some("Resource"))
        .ok(201, "Created", Some("Resource"))
        .errors(&[400, 403, 413])
        .common(),
        Operation::new(
            Delete,
            "/api/v1/resources/{kind}/{id}",
            "deleteResource",
            "Remove a stored resource (admin keys; audited)",
            TAG_ADMIN,
        )
        .param("kind", "The resource type")
        .param("id", "The resource's id")
        .ok(200, "Removed", Some("ResourceDeleted"))
        .errors(&[400, 403, 404])
        .common(),
        // AuthZEN.
        Operation::new(
            Get,
            "/.well-known/authzen-configuration",
            "authzenConfiguration",
            "AuthZEN metadata: the endpoints supported",
            TAG_AUTHZEN,
        )
        .auth(Auth::None)
        .ok(200, "The metadata", Some("AuthzenConfiguration"))
        .common(),
        Operation::new(
            Post,
            "/access/v1/evaluation",
            "authzenEvaluation",
            "AuthZEN: one access evaluation (a deny is 200 with `decision: false`)",
            TAG_AUTHZEN,
        )
        .auth(Auth::Key)
        .json("AuthzenEvaluationRequest")
        .localised()
        .ok(200, "The decision", Some("AuthzenEvaluationResponse"))
        .errors(&[400, 403, 413])
        .common(),
        Operation::new(
            Post,
            "/access/v1/evaluations",
            "authzenEvaluations",
            "AuthZEN: a batch, with its semantics, results in request order",
            TAG_AUTHZEN,
        )
        .auth(Auth::Key)
        .json("AuthzenEvaluationsRequest")
        .localised()
        .ok(
            200,
            "The decisions; without `evaluations`, one decision as `/access/v1/evaluation` answers it",
            Some("AuthzenEvaluationsAnswer"),
        )
        .errors(&[400, 403, 413])
        .common(),
    ];
    for (path, id, summary) in [
        (
            "subject",
            "authzenSearchSubject",
            "AuthZEN: the users who may do this to that",
        ),
        (
            "resource",
            "authzenSearchResource",
            "AuthZEN: the resources this subject may act on (the kernel's scope run against the directory, paged)",
        ),
        (
            "action",
            "authzenSearchAction",
            "AuthZEN: the actions this subject may take on this resource (in the policy's order, paged)",
        ),
    ] {
        v.push(
            Operation::new(
                Post,
                &format!("/access/v1/search/{path}"),
                id,
                summary,
                TAG_AUTHZEN,
            )
            .auth(Auth::Key)
            .json("AuthzenSearchRequest")
            .ok(200, "A page of results", Some("AuthzenSearchResponse"))
            .errors(&[400, 403, 413])
            .common(),
        );
    }
    // The native decision API: one path per operation of the contract, typed by the
    // contract's input and response.
    let ops = contract.get("x-operations").and_then(Value::as_object);
    for &op in Op::ALL {
        let name = op.name();
        let (input, response) = ops
            .and_then(|m| m.get(name))
            .map(|o| {
                let short = |k: &str| {
                    o.get(k)
                        .and_then(Value::as_str)
                        .and_then(|s| s.strip_prefix("#/$defs/"))
                        .unwrap_or_default()
                        .to_owned()
                };
                (short("input"), short("response"))
            })
            .unwrap_or_default();
        let directory = crate::decide::DIRECTORY_OPS.contains(&op);
        let summary = if directory {
            format!(
                "The kernel's `{name}` against the tenant's policy; facts from the directory (default) or, with `mode=stateless` and an admin key, from the body"
            )
        } else {
            format!(
                "The kernel's `{name}` against the tenant's policy (`mode=stateless`, admin keys only)"
            )
        };
        v.push(
            Operation::new(
                Post,
                &format!("/api/v1/decide/{name}"),
                &format!("decide_{name}"),
                &summary,
                TAG_DECIDE,
            )
            .acts()
            .query("DecideQuery", &["mode", "lang"])
            .json(&input)
            .localised()
            .ok_named(200, "The decision", format!("Decision_{name}"))
            .ok_named(
                400,
                "An unusable request: the contract's error envelope",
                "DecideError".into(),
            )
            .ok_named(403, "The key may not use this mode", "DecideError".into())
            .ok_named(404, "A target the actor may not read", "DecideError".into())
            .errors(&[413])
            .common(),
        );
        let _ = response;
    }
    v
}

/// The whole document, as JSON.
pub fn document() -> Value {
    let mut contract = warden_core::api::schema::contract_schema();
    let mut spec = Spec {
        paths: Paths::new(),
    };
    let ops = operations(&contract);
    let mut decision_schemas = Map::new();
    if let Some(m) = contract.get("x-operations").and_then(Value::as_object) {
        for (name, o) in m {
            if let Some(r) = o
                .get("response")
                .and_then(Value::as_str)
                .and_then(|s| s.strip_prefix("#/$defs/"))
            {
                decision_schemas.insert(format!("Decision_{name}"), decision_response(r));
            }
        }
    }
    for op in ops {
        spec.add(op);
    }
    let components = ComponentsBuilder::new()
        .security_scheme(
            API_KEY,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("wdn_...")
                    .description(Some(
                        "An API key of a tenant (`warden-server key create`, `POST /api/v1/keys`), role `service` or `admin`; it acts for the user named in `X-Warden-Act-As`.",
                    ))
                    .build(),
            ),
        )
        .security_scheme(
            SESSION,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::SESSION_COOKIE,
                "A console session (`POST /api/v1/session`); unsafe requests also need the `X-Warden-Csrf` header.",
            ))),
        )
        .build();
    let doc = OpenApiBuilder::new()
        .openapi(OpenApiVersion::Version31)
        .info(
            InfoBuilder::new()
                .title("Warden server")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "The Warden directory server: the management API under `/api/v1`, the native decision API (`/api/v1/decide/{operation}`) and the OpenID AuthZEN Authorization API 1.0. Schemas are generated from the kernel's contract (`contract/schema.json`) and the server's types.",
                ))
                .build(),
        )
        .paths(spec.paths)
        .components(Some(components))
        .tags(Some(
            [
                ("operations", "Health and this document"),
                ("users", "The directory's users and the console's session"),
                ("administration", "Keys, the policy, stored resources"),
                ("decide", "The native decision API: every operation of the contract"),
                ("authzen", "OpenID AuthZEN Authorization API 1.0"),
            ]
            .map(|(n, d)| TagBuilder::new().name(n).description(Some(d)).build()),
        ))
        .build();
    let mut out = serde_json::to_value(&doc).unwrap_or_else(|_| json!({}));
    let mut schemas = Map::new();
    if let Some(Value::Object(defs)) = contract.get_mut("$defs").map(Value::take) {
        for (k, mut v) in defs {
            rebase(&mut v);
            schemas.insert(k, v);
        }
    }
    for (k, v) in server_types() {
        schemas.entry(k).or_insert(v);
    }
    for (k, v) in server_shapes().into_iter().chain(decision_schemas) {
        schemas.insert(k, v);
    }
    if let Some(c) = out.get_mut("components").and_then(Value::as_object_mut) {
        c.insert("schemas".into(), Value::Object(schemas));
    }
    out
}

/// The document serialised once.
fn serialised() -> &'static [u8] {
    static DOC: OnceLock<Vec<u8>> = OnceLock::new();
    DOC.get_or_init(|| serde_json::to_vec(&document()).unwrap_or_default())
}

/// `GET /openapi.json`.
pub async fn serve() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], serialised()).into_response()
}

/// Per route template, the operations the document describes: each with its method, the
/// query parameters it takes and whether it takes a body.
type Shapes = std::collections::HashMap<String, Vec<Documented>>;

/// What the document says an operation takes.
struct Documented {
    /// Its method, upper case.
    method: String,
    /// The names of its query parameters.
    query: Vec<String>,
    /// Whether it has a `requestBody`.
    body: bool,
}

fn shapes() -> &'static Shapes {
    static SHAPES: OnceLock<Shapes> = OnceLock::new();
    SHAPES.get_or_init(|| {
        let doc = document();
        let mut out = Shapes::new();
        let paths = doc.get("paths").and_then(Value::as_object);
        for (path, item) in paths.into_iter().flatten() {
            let methods = item.as_object().into_iter().flatten().map(|(m, op)| {
                let query = op
                    .get("parameters")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter(|p| p.get("in").and_then(Value::as_str) == Some("query"))
                    .filter_map(|p| p.get("name").and_then(Value::as_str).map(str::to_owned))
                    .collect();
                Documented {
                    method: m.to_uppercase(),
                    query,
                    body: op.get("requestBody").is_some(),
                }
            });
            out.insert(path.clone(), methods.collect());
        }
        out
    })
}

/// The methods the document gives route template `path` (`GET, POST`), for a 405's
/// `Allow`; `None` for a path it does not describe.
pub fn methods_of(path: &str) -> Option<String> {
    let methods = shapes().get(path)?;
    let mut names: Vec<&str> = methods.iter().map(|o| o.method.as_str()).collect();
    names.sort_unstable();
    Some(names.join(", "))
}

fn operation(method: &str, path: &str) -> Option<&'static Documented> {
    shapes().get(path)?.iter().find(|o| o.method == method)
}

/// The query parameters `method` on route template `path` takes, as documented; `None`
/// when the document does not describe that operation.
pub fn query_of(method: &str, path: &str) -> Option<&'static [String]> {
    operation(method, path).map(|o| o.query.as_slice())
}

/// Whether `method` on route template `path` takes a body, as documented; `None` when the
/// document does not describe that operation.
pub fn takes_body(method: &str, path: &str) -> Option<bool> {
    operation(method, path).map(|o| o.body)
}

/// Every `(method, path)` the document describes, paths as written (`/api/v1/users/{id}`).
pub fn documented() -> Vec<(String, String)> {
    let doc = document();
    let mut out = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            if let Some(item) = item.as_object() {
                for method in [
                    "get", "put", "post", "delete", "options", "head", "patch", "trace",
                ] {
                    if item.contains_key(method) {
                        out.push((method.to_uppercase(), path.clone()));
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, reason = "tests index JSON documents")]
mod tests {
    use super::*;

    #[test]
    fn refs_all_resolve() {
        let doc = document();
        let schemas = doc["components"]["schemas"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let mut missing = Vec::new();
        fn walk(v: &Value, schemas: &Map<String, Value>, missing: &mut Vec<String>) {
            match v {
                Value::Object(m) => {
                    for (k, x) in m {
                        if k == "$ref"
                            && let Some(s) = x.as_str()
                        {
                            let name = s
                                .strip_prefix(SCHEMAS)
                                .map(|r| r.split('/').next().unwrap_or(r));
                            match name {
                                Some(n) if schemas.contains_key(n) => {}
                                _ => missing.push(s.to_owned()),
                            }
                        } else {
                            walk(x, schemas, missing);
                        }
                    }
                }
                Value::Array(a) => a.iter().for_each(|x| walk(x, schemas, missing)),
                _ => {}
            }
        }
        walk(&doc, &schemas, &mut missing);
        assert!(missing.is_empty(), "unresolved references: {missing:?}");
        assert_eq!(doc["openapi"], "3.1.0");
    }

    #[test]
    fn server_types_are_their_own_and_flat() {
        let doc = document();
        let schemas = doc["components"]["schemas"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        // No schema carries the generator's definitions again (they are listed once).
        for (name, s) in &schemas {
            assert!(s.get("components").is_none(), "{name} embeds definitions");
        }
        // The bulk route's items are the server's (users named by id), not the kernel's
        // bulk items (whole accounts), whose schema has the same Rust name.
        let items =
            doc["components"]["schemas"]["BulkBody"]["properties"]["items"]["items"]["$ref"]
                .as_str()
                .unwrap_or_default();
        let name = items.strip_prefix(SCHEMAS).unwrap_or_default();
        assert_eq!(name, "BulkRequestItem");
        let variants = schemas[name]["oneOf"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(variants.len(), 4, "{variants:?}");
        for v in &variants {
            let op = v["properties"]["op"]["const"].as_str().unwrap_or_default();
            let key = if op == "import" { "user" } else { "id" };
            assert!(v["properties"][key].is_object(), "{op}: {v}");
            assert!(v["properties"]["target"].is_null(), "{op}: {v}");
        }
        // Typed bodies and pages where the routes used to say `object`.
        let op = |path: &str, method: &str| doc["paths"][path][method].clone();
        let body =
            |o: &Value| o["requestBody"]["content"]["application/json"]["schema"]["$ref"].clone();
        let ok = |o: &Value, status: &str| {
            o["responses"][status]["content"]["application/json"]["schema"]["$ref"].clone()
        };
        let r = |n: &str| Value::String(format!("{SCHEMAS}{n}"));
        assert_eq!(body(&op("/api/v1/bulk", "post")), r("BulkBody"));
        assert_eq!(ok(&op("/api/v1/bulk", "post"), "200"), r("BulkReport"));
        assert_eq!(
            body(&op("/api/v1/organizations", "post")),
            r("NewOrganization")
        );
        assert_eq!(
            ok(&op("/api/v1/organizations", "post"), "201"),
            r("Organization")
        );
        assert_eq!(ok(&op("/api/v1/keys", "get"), "200"), r("KeyPage"));
    }

    #[test]
    fn query_parameters_point_at_real_properties() {
        let doc = document();
        let schemas = &doc["components"]["schemas"];
        for (_, item) in doc["paths"].as_object().into_iter().flatten() {
            for (_, op) in item.as_object().into_iter().flatten() {
                for p in op["parameters"].as_array().into_iter().flatten() {
                    if p["in"] == "query" {
                        let r = p["schema"]["$ref"].as_str().unwrap_or_default();
                        let rest = r.strip_prefix(SCHEMAS).unwrap_or_default();
                        let parts: Vec<&str> = rest.split('/').collect();
                        assert_eq!(parts.len(), 3, "{r}");
                        assert!(
                            schemas[parts[0]]["properties"][parts[2]].is_object(),
                            "{r} is not a property of its query type"
                        );
                    }
                }
            }
        }
    }
}
