//! The directory: the manager hierarchy the `team` scope is computed on.

use crate::hierarchy::{Hierarchy, HierarchyProblem};
use crate::model::Account;

/// The caller's directory, indexed for scoping: built once from (id, manager) rows and
/// reused for every decision; a manager change is applied incrementally with
/// [`Directory::hierarchy_mut`].
#[derive(Debug, Clone, Default)]
pub struct Directory {
    hierarchy: Hierarchy,
}

impl Directory {
    /// An empty directory: the `team` scope then reaches only direct reports whose
    /// `manager` field names the actor.
    pub fn new() -> Self {
        Directory::default()
    }

    /// Builds the index from accounts. Problems (a missing manager, a cycle: R001-04) are
    /// returned; the index is still built with the offending edges cut.
    pub fn from_accounts<'a>(
        accounts: impl IntoIterator<Item = &'a Account>,
    ) -> (Directory, Vec<HierarchyProblem>) {
        let (hierarchy, problems) = Hierarchy::build(
            accounts
                .into_iter()
                .map(|a| (a.id.as_str(), a.manager.as_deref())),
        );
        (Directory { hierarchy }, problems)
    }

    /// Builds the index from (id, manager) rows.
    pub fn from_rows<'a>(
        rows: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
    ) -> (Directory, Vec<HierarchyProblem>) {
        let (hierarchy, problems) = Hierarchy::build(rows);
        (Directory { hierarchy }, problems)
    }

    /// Wraps an existing hierarchy.
    pub fn from_hierarchy(hierarchy: Hierarchy) -> Self {
        Directory { hierarchy }
    }

    /// The manager hierarchy.
    pub fn hierarchy(&self) -> &Hierarchy {
        &self.hierarchy
    }

    /// The manager hierarchy, for incremental changes.
    pub fn hierarchy_mut(&mut self) -> &mut Hierarchy {
        &mut self.hierarchy
    }

    /// How many levels `target` is below `manager`, if it is. Falls back to the target's
    /// own `manager` field (one level) when the directory does not know both.
    pub fn levels_below(
        &self,
        manager: &str,
        target: &str,
        target_manager: Option<&str>,
    ) -> Option<u32> {
        match (self.hierarchy.node(manager), self.hierarchy.node(target)) {
            (Some(m), Some(t)) => self.hierarchy.levels_below(m, t),
            _ => (target_manager == Some(manager) && manager != target).then_some(1),
        }
    }

    /// Whether `target` is below `manager` within `depth` levels (`None`: any depth).
    pub fn is_below(
        &self,
        manager: &str,
        target: &str,
        target_manager: Option<&str>,
        depth: Option<u32>,
    ) -> bool {
        match (self.hierarchy.node(manager), self.hierarchy.node(target)) {
            (Some(m), Some(t)) => self.hierarchy.is_below(m, t, depth),
            _ => target_manager == Some(manager) && manager != target,
        }
    }
}
