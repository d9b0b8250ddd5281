//! Permission scoping (being written).

use serde::{Deserialize, Serialize};

use crate::policy::{PolicyDocument, PolicyError};

/// The access section of a policy document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccessSpec {}

/// The compiled access model.
#[derive(Debug, Clone)]
pub struct CompiledAccess {}

/// Checks and compiles the access section.
///
/// # Errors
/// A [`PolicyError`] naming the key path.
pub fn compile(_spec: &AccessSpec, _doc: &PolicyDocument) -> Result<CompiledAccess, PolicyError> {
    Ok(CompiledAccess {})
}
