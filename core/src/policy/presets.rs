//! The preset policies: one per seed system, shipped with the crate as JSON.
//!
//! Each preset's `description` records the choices made where its source document was
//! vague. Presets are ordinary policy documents: copy one to start a tenant's policy.

use super::{Policy, PolicyError, PolicyErrorKind};

/// A preset's identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PresetInfo {
    /// The seed number (`000`).
    pub id: &'static str,
    /// The preset's name (`production-planner-pro`).
    pub name: &'static str,
    /// The system it comes from.
    pub title: &'static str,
    /// The preset's JSON text.
    #[serde(skip)]
    pub json: &'static str,
}

/// Every preset, in seed order.
pub const PRESETS: &[PresetInfo] = &[
    PresetInfo {
        id: "000",
        name: "production-planner-pro",
        title: "ProductionPlannerPro: multi-organisation manufacturing planner",
        json: include_str!("../../presets/000-production-planner-pro.json"),
    },
    PresetInfo {
        id: "001",
        name: "hr-platform",
        title: "HR platform Users module: manager hierarchy and N-1 scope",
        json: include_str!("../../presets/001-hr-platform.json"),
    },
    PresetInfo {
        id: "002",
        name: "rental-platform",
        title: "Rental platform: many statuses, roles and bulk operations",
        json: include_str!("../../presets/002-rental-platform.json"),
    },
    PresetInfo {
        id: "003",
        name: "crm",
        title: "CRM: multi-tenant roles with JSON permissions",
        json: include_str!("../../presets/003-crm.json"),
    },
    PresetInfo {
        id: "004",
        name: "prs-procurement",
        title: "PRS procurement system: strict creation rules",
        json: include_str!("../../presets/004-prs-procurement.json"),
    },
];

/// Finds a preset by name or seed number (`002`, or `2`).
pub fn find(name: &str) -> Option<&'static PresetInfo> {
    let number = name.parse::<u32>().ok();
    PRESETS.iter().find(|p| {
        p.name == name || p.id == name || (number.is_some() && p.id.parse::<u32>().ok() == number)
    })
}

/// Loads a preset by name or seed number.
///
/// # Errors
/// When no preset has that name (the error lists them), or (a bug) when a shipped preset
/// does not compile.
pub fn load(name: &str) -> Result<Policy, PolicyError> {
    match find(name) {
        Some(p) => Policy::from_json(p.json),
        None => {
            let names: Vec<String> = PRESETS.iter().map(|p| format!("`{}`", p.name)).collect();
            Err(PolicyError::new(
                PolicyErrorKind::Invalid,
                "",
                format!(
                    "unknown preset `{}`",
                    name.chars().take(64).collect::<String>()
                ),
            )
            .with_help(format!("presets are {}", names.join(", "))))
        }
    }
}
