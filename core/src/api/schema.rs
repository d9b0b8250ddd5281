//! The contract as a JSON Schema (2020-12), generated from the contract's Rust types.
//!
//! [`contract_schema`] is one document: every request, input, output and error type under
//! `$defs`, and `x-operations` naming, for each operation, its input type and its response
//! type (`<Output>Response`: the output with the contract version). The repository commits
//! it as `contract/schema.json`; a test fails when the types drift from it, and the
//! TypeScript declarations of the wasm package are generated from it.
//!
//! Build with the `schema` feature.

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Map, Value, json};

use super::ops::{
    AccountsInput, AuthorizeInput, BulkInput, ChangesInput, DeleteInput, DirectoryDecision,
    DirectoryInput, EffectiveStatusInput, FieldAccessDecision, FieldAccessInput, FindingsDecision,
    ImportInput, LockoutInput, LoginInput, PasswordChangeInput, PasswordResetInput,
    PasswordResetOutput, PermissionsDecision, PermissionsInput, ScopeInput, ScopeOutput,
    TransitionInput, VerificationInput,
};
use super::{CONTRACT_VERSION, Op, PasswordDecision, PasswordInput, Request, ValidateInput};

/// The name under `$defs` of `T`'s schema, adding it (and what it refers to) to `generator`.
fn def<T: JsonSchema>(generator: &mut SchemaGenerator) -> String {
    let _ = generator.subschema_for::<T>();
    T::schema_name().into_owned()
}

/// The input and output type names of `op`, registering both.
fn op_types(op: Op, g: &mut SchemaGenerator) -> (String, String) {
    use crate::access::AuthzDecision;
    use crate::bulk::BulkDecision;
    use crate::import::ImportReport;
    use crate::lifecycle::{
        ChangeDecision, DeleteDecision, EffectiveStatus, LockoutState, LoginDecision, Statistics,
        TransitionDecision, VerificationDecision,
    };
    use crate::validate::ValidationDecision;
    match op {
        Op::Validate => (def::<ValidateInput>(g), def::<ValidationDecision>(g)),
        Op::Password => (def::<PasswordInput>(g), def::<PasswordDecision>(g)),
        Op::Import => (def::<ImportInput>(g), def::<ImportReport>(g)),
        Op::Authorize => (def::<AuthorizeInput>(g), def::<AuthzDecision>(g)),
        Op::Scope => (def::<ScopeInput>(g), def::<ScopeOutput>(g)),
        Op::Permissions => (def::<PermissionsInput>(g), def::<PermissionsDecision>(g)),
        Op::Directory => (def::<DirectoryInput>(g), def::<DirectoryDecision>(g)),
        Op::Transition => (def::<TransitionInput>(g), def::<TransitionDecision>(g)),
        Op::Login => (def::<LoginInput>(g), def::<LoginDecision>(g)),
        Op::Lockout => (def::<LockoutInput>(g), def::<LockoutState>(g)),
        Op::Delete => (def::<DeleteInput>(g), def::<DeleteDecision>(g)),
        Op::Changes => (def::<ChangesInput>(g), def::<ChangeDecision>(g)),
        Op::PasswordChange => (def::<PasswordChangeInput>(g), def::<ChangeDecision>(g)),
        Op::PasswordReset => (def::<PasswordResetInput>(g), def::<PasswordResetOutput>(g)),
        Op::Verification => (def::<VerificationInput>(g), def::<VerificationDecision>(g)),
        Op::Statistics => (def::<AccountsInput>(g), def::<Statistics>(g)),
        Op::Findings => (def::<AccountsInput>(g), def::<FindingsDecision>(g)),
        Op::EffectiveStatus => (def::<EffectiveStatusInput>(g), def::<EffectiveStatus>(g)),
        Op::Bulk => (def::<BulkInput>(g), def::<BulkDecision>(g)),
        Op::FieldAccess => (def::<FieldAccessInput>(g), def::<FieldAccessDecision>(g)),
    }
}

fn contract_property() -> Value {
    json!({
        "description": "The contract version of the response.",
        "const": CONTRACT_VERSION,
    })
}

/// The whole contract as one JSON Schema document (draft 2020-12).
pub fn contract_schema() -> Value {
    let mut g = SchemaSettings::draft2020_12().into_generator();
    let request = def::<Request>(&mut g);
    let mut operations = Map::new();
    let mut responses: Vec<(String, String)> = Vec::new();
    for &op in Op::ALL {
        let (input, output) = op_types(op, &mut g);
        let response = format!("{output}Response");
        operations.insert(
            op.name().to_owned(),
            json!({
                "input": format!("#/$defs/{input}"),
                "response": format!("#/$defs/{response}"),
            }),
        );
        if !responses.iter().any(|(r, _)| *r == response) {
            responses.push((response, output));
        }
    }
    let mut defs: Map<String, Value> = g.take_definitions(true).into_iter().collect();
    for (response, output) in responses {
        defs.insert(
            response,
            json!({
                "description": format!("The response of an operation whose output is `{output}`: the output with the contract version."),
                "allOf": [
                    { "$ref": format!("#/$defs/{output}") },
                    {
                        "type": "object",
                        "properties": { "contract": contract_property() },
                        "required": ["contract"],
                    },
                ],
            }),
        );
    }
    defs.insert(
        "ErrorEnvelope".into(),
        json!({
            "description": "An unusable request: the contract's one error shape.",
            "type": "object",
            "properties": {
                "contract": contract_property(),
                "error": {
                    "type": "object",
                    "properties": {
                        "code": { "type": "string", "description": "The stable machine code (`invalid_input`, `policy_error`, `unsupported`, `unsupported_contract`, `unknown_action`, ...)." },
                        "message": { "type": "string", "description": "What is wrong, in English." },
                        "path": { "type": "string", "description": "The key path of the offending value, when the error is about one." },
                        "help": { "type": "string", "description": "What would fix it, when Warden can tell." }
                    },
                    "required": ["code", "message"],
                    "additionalProperties": false
                }
            },
            "required": ["contract", "error"],
            "additionalProperties": false
        }),
    );
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("urn:warden:contract:{CONTRACT_VERSION}"),
        "title": "Warden contract",
        "description": "Every request, input, output and error of Warden's decision contract. `x-operations` names each operation's input and response types.",
        "$ref": format!("#/$defs/{request}"),
        "x-contract": CONTRACT_VERSION,
        "x-operations": operations,
        "$defs": defs,
    })
}

/// Schemas of the types that serialise by hand (as strings or maps).
mod manual {
    use std::borrow::Cow;

    use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

    macro_rules! string_schema {
        ($ty:ty, $name:literal, $schema:tt) => {
            impl JsonSchema for $ty {
                fn schema_name() -> Cow<'static, str> {
                    Cow::Borrowed($name)
                }
                fn json_schema(_: &mut SchemaGenerator) -> Schema {
                    json_schema!($schema)
                }
            }
        };
    }

    string_schema!(crate::checks::date::Date, "Date", {
        "description": "A calendar date, `YYYY-MM-DD`.",
        "type": "string",
        "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
    });
    string_schema!(crate::checks::date::Timestamp, "Timestamp", {
        "description": "An instant: RFC 3339 (`2026-01-31T09:00:00Z`, an offset is accepted and normalised to UTC).",
        "type": "string"
    });
    string_schema!(crate::password::Password, "Password", {
        "description": "A password in clear; never echoed in a decision.",
        "type": "string",
        "writeOnly": true
    });
    string_schema!(crate::decision::PolicyHash, "PolicyHash", {
        "description": "The hash of the policy that decided: `sha256:` and 64 hexadecimal digits.",
        "type": "string",
        "pattern": "^sha256:[0-9a-f]{64}$"
    });
    string_schema!(crate::decision::Name, "RuleName", {
        "description": "The rule that decided (`superAdmin`, `role:manager#0`, `guard:activeBookings`).",
        "type": "string"
    });
    string_schema!(crate::decision::Text, "Text", {
        "description": "A rendered message, in the requested language.",
        "type": "string"
    });
    string_schema!(crate::decision::DenyParams, "DenyParams", {
        "description": "The values a deny's message is rendered from.",
        "type": "object"
    });
}
