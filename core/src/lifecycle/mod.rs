//! The account lifecycle (being written).

use serde::{Deserialize, Serialize};

use crate::policy::{PolicyDocument, PolicyError};

/// The lifecycle section of a policy document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LifecycleSpec {}

/// The compiled lifecycle.
#[derive(Debug, Clone)]
pub struct CompiledLifecycle {}

/// Checks and compiles the lifecycle section.
///
/// # Errors
/// A [`PolicyError`] naming the key path.
pub fn compile(_spec: &LifecycleSpec, _doc: &PolicyDocument) -> Result<CompiledLifecycle, PolicyError> {
    Ok(CompiledLifecycle {})
}
