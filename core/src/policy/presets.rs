//! The preset policies: one per seed system, shipped with the crate as JSON.
//!
//! Each preset's `description` records the choices made where its source document was
//! vague. Presets are ordinary policy documents: copy one to start a tenant's policy.
//!
//! With the crate feature `builtin-presets` (default) the documents are compiled in
//! ([`PRESETS`]); without it (the wasm forms build, where they would be 47 KB of the
//! download) a build knows the presets [`install`]ed at run time from the package's
//! `presets.json` asset, the same texts.

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
#[cfg(feature = "builtin-presets")]
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

/// The presets installed at run time (builds without `builtin-presets`).
#[cfg(not(feature = "builtin-presets"))]
static INSTALLED: std::sync::OnceLock<&'static [PresetInfo]> = std::sync::OnceLock::new();

/// Every preset this build knows, in seed order: [`PRESETS`] with the feature
/// `builtin-presets`, else those [`install`]ed (none before).
pub fn all() -> &'static [PresetInfo] {
    #[cfg(feature = "builtin-presets")]
    return PRESETS;
    #[cfg(not(feature = "builtin-presets"))]
    return INSTALLED.get().copied().unwrap_or_default();
}

/// One preset of the `presets.json` asset (`[{id, name, title, policy}]`).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AssetEntry {
    id: String,
    name: String,
    title: String,
    policy: Box<serde_json::value::RawValue>,
}

/// Installs the presets of the package's `presets.json` asset (a JSON array of `{id,
/// name, title, policy}`, `policy` the preset's document), once per process. Installing
/// the same list again is a no-op; the documents are only checked when loaded. With the
/// feature `builtin-presets` the only list accepted is the built-in one (a no-op too).
///
/// # Errors
/// A [`PolicyError`] when the text is not such an array, or when other presets were
/// installed already (or are built in).
pub fn install(asset: &str) -> Result<(), PolicyError> {
    let entries: Vec<AssetEntry> = serde_json::from_str(asset).map_err(|e| {
        PolicyError::new(
            PolicyErrorKind::Shape,
            "",
            format!("the presets asset is not a list of presets: {e}"),
        )
    })?;
    #[cfg(feature = "builtin-presets")]
    return if same(PRESETS, &entries) {
        Ok(())
    } else {
        Err(PolicyError::invalid(
            "",
            "this build has its presets built in",
        ))
    };
    #[cfg(not(feature = "builtin-presets"))]
    {
        if let Some(installed) = INSTALLED.get() {
            return if same(installed, &entries) {
                Ok(())
            } else {
                Err(PolicyError::invalid(
                    "",
                    "other presets are installed already",
                ))
            };
        }
        let leak = |s: &str| -> &'static str { Box::leak(s.to_owned().into_boxed_str()) };
        let list: Vec<PresetInfo> = entries
            .iter()
            .map(|e| PresetInfo {
                id: leak(&e.id),
                name: leak(&e.name),
                title: leak(&e.title),
                json: leak(e.policy.get()),
            })
            .collect();
        // Installed once per process: the leak is bounded by the asset's size.
        match INSTALLED.set(Box::leak(list.into_boxed_slice())) {
            Ok(()) => Ok(()),
            Err(_) => Err(PolicyError::invalid(
                "",
                "other presets are installed already",
            )),
        }
    }
}

/// Whether the asset's entries are the presets `known` (the same documents, white space
/// and key order aside).
fn same(known: &[PresetInfo], entries: &[AssetEntry]) -> bool {
    let doc = |text: &str| serde_json::from_str::<serde_json::Value>(text).ok();
    known.len() == entries.len()
        && known.iter().zip(entries).all(|(p, e)| {
            p.id == e.id
                && p.name == e.name
                && p.title == e.title
                && doc(p.json).is_some_and(|d| Some(d) == doc(e.policy.get()))
        })
}

/// Finds a preset by name or seed number (`002`, or `2`).
pub fn find(name: &str) -> Option<&'static PresetInfo> {
    let number = name.parse::<u32>().ok();
    all().iter().find(|p| {
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
            let names: Vec<String> = all().iter().map(|p| format!("`{}`", p.name)).collect();
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The `presets.json` asset of the built-in presets, as the wasm build script writes it.
    fn asset() -> String {
        let list: Vec<serde_json::Value> = all()
            .iter()
            .map(|p| {
                serde_json::json!({"id": p.id, "name": p.name, "title": p.title,
                    "policy": serde_json::from_str::<serde_json::Value>(p.json).unwrap()})
            })
            .collect();
        serde_json::to_string(&list).unwrap()
    }

    #[test]
    fn installing_the_known_presets_is_a_no_op_and_others_are_refused() {
        assert_eq!(install(&asset()), Ok(()));
        assert_eq!(all().len(), 5);
        let err = install("[]").unwrap_err();
        assert_eq!(err.kind(), PolicyErrorKind::Invalid);
        let err = install("{\"not\": \"a list\"}").unwrap_err();
        assert_eq!(err.kind(), PolicyErrorKind::Shape);
        let renamed = asset().replace("\"crm\"", "\"crm2\"");
        assert!(install(&renamed).is_err());
    }
}
