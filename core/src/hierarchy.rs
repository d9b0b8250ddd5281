//! The manager hierarchy index (R001-03, R001-04).
//!
//! [`Hierarchy`] answers the scoping engine's question "is `target` within `k` levels below
//! `manager`?" for organisations of millions of users:
//!
//! * user ids are interned in one string arena (one `String` plus `u32` offsets) and looked up
//!   through an open-addressing hash table of `u64` slots (32-bit hash tag + node index),
//! * the tree is stored as flat `u32` columns: `parent`, `depth`, a circular doubly linked list
//!   of direct reports kept sorted by [`NodeId`] (`first_child`, `next`, `prev`), and an Euler
//!   tour (`tin`, `tout`) computed by an iterative walk (no recursion, so a 1,000,000-deep chain
//!   is fine),
//! * unlimited subtree membership is O(1) from the Euler tour; depth-bounded membership
//!   additionally compares depths,
//! * [`Hierarchy::set_manager`] and [`Hierarchy::insert`] keep `parent`, `depth` and the report
//!   lists exact, and mark the Euler tour stale: until [`Hierarchy::reindex`] is called,
//!   membership falls back to an O(depth difference) walk up the parent column, so answers are
//!   always correct.
//!
//! The index does not recurse and does not panic on any input: a [`NodeId`] from another index
//! is simply unknown (`None`, `false` or an empty answer).

use std::collections::HashSet;
use std::fmt;

use serde::Serialize;
use thiserror::Error;

/// "No node" in the `u32` columns (no manager, no first report, empty list link).
const NONE: u32 = u32::MAX;
/// The most users one index holds (`NONE` is reserved).
const MAX_NODES: usize = (u32::MAX - 1) as usize;
/// How many lookups [`Hierarchy::build`] prepares at once.
const BATCH: usize = 16;
/// How many problems [`HierarchyError::Problems`] spells out in its message.
const PROBLEMS_SHOWN: usize = 5;

/// A dense handle for a user in the index.
///
/// Handles are numbered from 0 in the order users were first added, so ordering handles orders
/// users by arrival. A handle is only meaningful for the [`Hierarchy`] that produced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(u32);

impl NodeId {
    /// The handle's position, from 0 to `len() - 1` of its hierarchy.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// One thing wrong with the manager relation found while building a [`Hierarchy`] (R001-04).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum HierarchyProblem {
    /// The user names a manager that is not in the input; the user is treated as a root.
    MissingManager {
        /// The user whose manager is missing.
        user: String,
        /// The manager id that does not exist.
        manager: String,
    },
    /// The users form a cycle of managers; each of them is treated as a root.
    Cycle {
        /// The users on the cycle, starting with the smallest id, in manager order (each one's
        /// manager is the next one; the last one's manager is the first one).
        users: Vec<String>,
    },
    /// The user id appears more than once; the first row wins, later rows are ignored.
    DuplicateId {
        /// The repeated id.
        user: String,
    },
    /// The user names themselves as their manager; the user is treated as a root.
    SelfManaged {
        /// The user.
        user: String,
    },
    /// The index is full (more than 4,294,967,294 users or 4 GiB of ids); the row is left out.
    CapacityExceeded {
        /// The user that was left out.
        user: String,
    },
}

impl fmt::Display for HierarchyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HierarchyProblem::MissingManager { user, manager } => {
                write!(f, "the manager `{manager}` of `{user}` does not exist")
            }
            HierarchyProblem::Cycle { users } => {
                f.write_str("the manager relation has a cycle: ")?;
                for user in users {
                    write!(f, "`{user}` -> ")?;
                }
                match users.first() {
                    Some(first) => write!(f, "`{first}`"),
                    None => Ok(()),
                }
            }
            HierarchyProblem::DuplicateId { user } => {
                write!(f, "the user id `{user}` appears more than once")
            }
            HierarchyProblem::SelfManaged { user } => {
                write!(f, "the user `{user}` is their own manager")
            }
            HierarchyProblem::CapacityExceeded { user } => {
                write!(f, "the hierarchy is full: the user `{user}` was left out")
            }
        }
    }
}

/// Why a [`Hierarchy`] could not be built or changed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HierarchyError {
    /// The input has problems ([`Hierarchy::build_strict`]); every problem found is listed.
    #[error("{}", ProblemList(.0))]
    Problems(Vec<HierarchyProblem>),
    /// The move would put a user below themselves (R001-04).
    #[error("`{manager}` cannot become the manager of `{user}`: it would create a cycle")]
    WouldCreateCycle {
        /// The user being moved.
        user: String,
        /// The requested manager, who is the user or one of the user's reports.
        manager: String,
    },
    /// The requested manager does not exist (R001-04).
    #[error("the manager `{manager}` of `{user}` does not exist")]
    UnknownManager {
        /// The user being added or moved.
        user: String,
        /// The manager id that does not exist.
        manager: String,
    },
    /// The user id is already in the index ([`Hierarchy::insert`]).
    #[error("the user `{user}` already exists")]
    DuplicateId {
        /// The id that is already taken.
        user: String,
    },
    /// The handle does not belong to this index.
    #[error("node `{node}` is not in this hierarchy")]
    UnknownNode {
        /// The handle's raw index.
        node: u32,
    },
    /// The index is full (more than 4,294,967,294 users or 4 GiB of ids).
    #[error("the hierarchy is full: the user `{user}` cannot be added")]
    CapacityExceeded {
        /// The user that could not be added.
        user: String,
    },
}

/// Formats a list of problems for [`HierarchyError::Problems`].
struct ProblemList<'a>(&'a [HierarchyProblem]);

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            [] => f.write_str("the manager relation has no problems"),
            [only] => only.fmt(f),
            all => {
                write!(f, "the manager relation has {} problems: ", all.len())?;
                for (i, problem) in all.iter().take(PROBLEMS_SHOWN).enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    problem.fmt(f)?;
                }
                if all.len() > PROBLEMS_SHOWN {
                    write!(f, "; and {} more", all.len() - PROBLEMS_SHOWN)?;
                }
                Ok(())
            }
        }
    }
}

/// Reads `v[i]`, or [`NONE`] when `i` is out of range (including `i == NONE`).
#[inline(always)]
fn at(v: &[u32], i: u32) -> u32 {
    v.get(i as usize).copied().unwrap_or(NONE)
}

/// Writes `v[i] = x`; does nothing when `i` is out of range.
#[inline(always)]
fn put(v: &mut [u32], i: u32, x: u32) {
    if let Some(slot) = v.get_mut(i as usize) {
        *slot = x;
    }
}

/// A fast, well mixed 64-bit hash of an id's bytes (FxHash-style word loop plus a
/// murmur3 finaliser so that both the high bits, used for the slot, and the low bits, used as
/// the tag, are good).
#[inline]
fn hash_id(bytes: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h = (bytes.len() as u64).wrapping_mul(K);
    let mut rest = bytes;
    while let Some((word, tail)) = rest.split_first_chunk::<8>() {
        h = (h.rotate_left(5) ^ u64::from_le_bytes(*word)).wrapping_mul(K);
        rest = tail;
    }
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        for (slot, byte) in word.iter_mut().zip(rest) {
            *slot = *byte;
        }
        h = (h.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// The table slot where probing for hash `h` starts, in `0..cap` (multiply-shift range
/// reduction, so the capacity need not be a power of two).
#[inline(always)]
fn home_slot(h: u64, cap: usize) -> usize {
    ((u128::from(h) * cap as u128) >> 64) as usize
}

/// A table slot: tag in the high half, node index + 1 in the low half (0 = empty).
#[inline(always)]
fn slot_value(h: u64, node: u32) -> u64 {
    (h << 32) | (u64::from(node) + 1)
}

/// The table capacity for `n` users: load factor at most 3/4.
fn table_capacity(n: usize) -> usize {
    (n.saturating_add(n / 3)).max(16)
}

/// What [`Hierarchy::intern`] did.
enum Interned {
    /// The id was added as the next node.
    New,
    /// The id was already there, as this node.
    Existing(u32),
    /// The index is full; nothing was added.
    Full,
}

/// The index of a manager hierarchy: id lookup, parent, depth, direct reports and subtree
/// membership for up to 4,294,967,294 users.
///
/// See the [module documentation](self) for the layout and the costs.
#[derive(Debug, Clone, Default)]
pub struct Hierarchy {
    /// Every id, back to back.
    arena: String,
    /// `offsets[i]..offsets[i + 1]` is node `i`'s id in `arena` (`len() + 1` entries).
    offsets: Vec<u32>,
    /// Open-addressing hash table, see [`slot_value`].
    table: Vec<u64>,
    /// The manager of each node, or [`NONE`].
    parent: Vec<u32>,
    /// Levels below the node's root (roots are at 0). Always exact.
    depth: Vec<u32>,
    /// The smallest direct report of each node, or [`NONE`].
    first_child: Vec<u32>,
    /// The next sibling in the circular report list of the node's manager ([`NONE`] for roots).
    next: Vec<u32>,
    /// The previous sibling in the circular report list ([`NONE`] for roots).
    prev: Vec<u32>,
    /// Euler tour entry time of each node (valid when `!stale`).
    tin: Vec<u32>,
    /// The largest entry time in the node's subtree (valid when `!stale`).
    tout: Vec<u32>,
    /// True when `tin`/`tout` no longer describe the tree.
    stale: bool,
}

impl Hierarchy {
    /// An empty index.
    pub fn new() -> Self {
        Hierarchy {
            offsets: vec![0],
            ..Hierarchy::default()
        }
    }

    /// Builds from (user id, manager id) pairs.
    ///
    /// Returns the index plus every problem found (not just the first): the index is still
    /// built with problem edges cut (a user whose manager is missing, who manages themselves or
    /// who is on a cycle is treated as a root; a repeated id keeps its first row), so callers
    /// can choose to refuse or to proceed. Problems come in this order: duplicate ids and
    /// capacity problems in row order, then missing and self managers in user order, then
    /// cycles in the order of their first user.
    ///
    /// Runs in O(n) time; nothing recurses.
    pub fn build<'a, I>(rows: I) -> (Hierarchy, Vec<HierarchyProblem>)
    where
        I: IntoIterator<Item = (&'a str, Option<&'a str>)>,
    {
        let rows: Vec<(&'a str, Option<&'a str>)> = rows.into_iter().collect();
        let mut problems = Vec::new();
        let id_bytes: usize = rows.iter().map(|(user, _)| user.len()).sum();
        let n_hint = rows.len().min(MAX_NODES);
        let mut h = Hierarchy {
            arena: String::with_capacity(id_bytes.min(u32::MAX as usize)),
            offsets: Vec::with_capacity(n_hint + 1),
            table: vec![0; table_capacity(n_hint)],
            ..Hierarchy::default()
        };
        h.offsets.push(0);

        // Pass 1: intern the users (in batches, see pass 2); remember each new node's manager.
        let mut managers: Vec<Option<&'a str>> = Vec::with_capacity(n_hint);
        let mut duplicates: HashSet<u32> = HashSet::new();
        let mut hashes = [0u64; BATCH];
        for batch in rows.chunks(BATCH) {
            h.touch_slots(batch.iter().map(|(user, _)| Some(*user)), &mut hashes);
            for (&(user, manager), hash) in batch.iter().zip(hashes) {
                match h.intern(user, hash) {
                    Interned::New => managers.push(manager),
                    Interned::Existing(existing) => {
                        if duplicates.insert(existing) {
                            problems.push(HierarchyProblem::DuplicateId {
                                user: user.to_owned(),
                            });
                        }
                    }
                    Interned::Full => problems.push(HierarchyProblem::CapacityExceeded {
                        user: user.to_owned(),
                    }),
                }
            }
        }
        let n = managers.len();

        // Pass 2: resolve managers, in batches: hash a batch and touch its table slots first so
        // that the cache misses of a batch overlap instead of queueing one after the other.
        h.parent = Vec::with_capacity(n);
        for (b, batch) in managers.chunks(BATCH).enumerate() {
            h.touch_slots(batch.iter().copied(), &mut hashes);
            for (k, (manager, hash)) in batch.iter().zip(hashes).enumerate() {
                let parent = match manager {
                    None => NONE,
                    Some(manager) => {
                        let i = (b * BATCH + k) as u32;
                        let user = h.id_at(i);
                        if *manager == user {
                            problems.push(HierarchyProblem::SelfManaged {
                                user: user.to_owned(),
                            });
                            NONE
                        } else if let Some(p) = h.find(manager, hash) {
                            p
                        } else {
                            problems.push(HierarchyProblem::MissingManager {
                                user: user.to_owned(),
                                manager: (*manager).to_owned(),
                            });
                            NONE
                        }
                    }
                };
                h.parent.push(parent);
            }
        }

        // Pass 3: find and cut cycles (the parent column is a functional graph).
        h.cut_cycles(&mut problems);

        // Pass 4: report lists, sorted by node id because nodes are appended in order.
        h.first_child = vec![NONE; n];
        h.next = vec![NONE; n];
        h.prev = vec![NONE; n];
        for i in 0..n as u32 {
            let p = at(&h.parent, i);
            if p != NONE {
                h.append_child(p, i);
            }
        }

        // Pass 5: depths and the Euler tour.
        h.depth = vec![0; n];
        h.tin = vec![0; n];
        h.tout = vec![0; n];
        h.euler_tour();
        (h, problems)
    }

    /// Strict variant of [`Hierarchy::build`]: refuses input with any problem, listing all of
    /// them in [`HierarchyError::Problems`].
    pub fn build_strict<'a, I>(rows: I) -> Result<Hierarchy, HierarchyError>
    where
        I: IntoIterator<Item = (&'a str, Option<&'a str>)>,
    {
        let (hierarchy, problems) = Hierarchy::build(rows);
        if problems.is_empty() {
            Ok(hierarchy)
        } else {
            Err(HierarchyError::Problems(problems))
        }
    }

    /// The number of users.
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    /// True when there are no users.
    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }

    /// The handle of the user with this id.
    pub fn node(&self, id: &str) -> Option<NodeId> {
        self.find(id, hash_id(id.as_bytes())).map(NodeId)
    }

    /// The id of a user (`None` for a handle from another index).
    pub fn id(&self, node: NodeId) -> Option<&str> {
        if node.index() < self.len() {
            Some(self.id_at(node.0))
        } else {
            None
        }
    }

    /// The manager of a user, `None` for a root (or a foreign handle).
    pub fn manager(&self, node: NodeId) -> Option<NodeId> {
        match at(&self.parent, node.0) {
            NONE => None,
            p => Some(NodeId(p)),
        }
    }

    /// How many levels the user is below their root (0 for roots and foreign handles).
    pub fn depth(&self, node: NodeId) -> u32 {
        self.depth.get(node.index()).copied().unwrap_or(0)
    }

    /// Every user, in handle order.
    pub fn nodes(&self) -> impl Iterator<Item = NodeId> + '_ {
        (0..self.len() as u32).map(NodeId)
    }

    /// The users with no manager, in handle order (O(n)).
    pub fn roots(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.parent
            .iter()
            .enumerate()
            .filter(|(_, p)| **p == NONE)
            .map(|(i, _)| NodeId(i as u32))
    }

    /// The direct reports of a user (R001-03 N-1 view), in handle order.
    pub fn direct_reports(&self, node: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        let first = at(&self.first_child, node.0);
        let mut cur = first;
        std::iter::from_fn(move || {
            if cur == NONE {
                return None;
            }
            let out = cur;
            cur = at(&self.next, cur);
            if cur == first {
                cur = NONE;
            }
            Some(NodeId(out))
        })
    }

    /// True when `target` is strictly below `manager`, at most `max_depth` levels down
    /// (`None` = unlimited). A user is not in their own subtree.
    ///
    /// O(1) while the Euler tour is current, O(depth difference) after
    /// [`Hierarchy::set_manager`] or [`Hierarchy::insert`] until [`Hierarchy::reindex`].
    #[inline]
    pub fn is_below(&self, manager: NodeId, target: NodeId, max_depth: Option<u32>) -> bool {
        match self.levels_below(manager, target) {
            Some(levels) => max_depth.is_none_or(|k| levels <= k),
            None => false,
        }
    }

    /// Distance in levels from `manager` down to `target`, if `target` is strictly below.
    #[inline]
    pub fn levels_below(&self, manager: NodeId, target: NodeId) -> Option<u32> {
        let (Some(&dm), Some(&dt)) = (
            self.depth.get(manager.index()),
            self.depth.get(target.index()),
        ) else {
            return None;
        };
        if dt <= dm {
            return None;
        }
        let levels = dt - dm;
        if levels == 1 {
            return (at(&self.parent, target.0) == manager.0).then_some(1);
        }
        if !self.stale {
            let (Some(&im), Some(&om), Some(&it)) = (
                self.tin.get(manager.index()),
                self.tout.get(manager.index()),
                self.tin.get(target.index()),
            ) else {
                return None;
            };
            return (im < it && it <= om).then_some(levels);
        }
        let mut cur = target.0;
        for _ in 0..levels {
            cur = at(&self.parent, cur);
        }
        (cur == manager.0).then_some(levels)
    }

    /// Every user below `manager` within `max_depth` levels (`None` = unlimited), in
    /// depth-first pre-order with reports in handle order. The order depends only on the
    /// current tree, not on how it was reached.
    pub fn subtree(&self, manager: NodeId, max_depth: Option<u32>) -> Vec<NodeId> {
        let mut out = Vec::new();
        if manager.index() >= self.len() || max_depth == Some(0) {
            return out;
        }
        let limit = max_depth.unwrap_or(u32::MAX);
        self.walk(manager.0, limit, |node| out.push(NodeId(node)));
        out
    }

    /// Moves one user (with their whole subtree) under a new manager, or to root with `None`.
    ///
    /// Refuses a move that would create a cycle (the new manager is the user or below them) and
    /// foreign handles, leaving the index unchanged. Costs O(size of the moved subtree + depth
    /// difference + reports of the new manager placed after the user); the Euler tour becomes
    /// stale until [`Hierarchy::reindex`], which keeps answers correct but slower.
    pub fn set_manager(
        &mut self,
        node: NodeId,
        new_manager: Option<NodeId>,
    ) -> Result<(), HierarchyError> {
        if node.index() >= self.len() {
            return Err(HierarchyError::UnknownNode { node: node.0 });
        }
        let new_parent = match new_manager {
            None => NONE,
            Some(m) if m.index() >= self.len() => {
                return Err(HierarchyError::UnknownNode { node: m.0 });
            }
            Some(m) => {
                if m == node || self.is_below(node, m, None) {
                    return Err(HierarchyError::WouldCreateCycle {
                        user: self.id_at(node.0).to_owned(),
                        manager: self.id_at(m.0).to_owned(),
                    });
                }
                m.0
            }
        };
        let old_parent = at(&self.parent, node.0);
        if old_parent == new_parent {
            return Ok(());
        }
        if old_parent != NONE {
            self.unlink_child(old_parent, node.0);
        }
        put(&mut self.parent, node.0, new_parent);
        let new_depth = if new_parent == NONE {
            0
        } else {
            self.link_child_sorted(new_parent, node.0);
            at(&self.depth, new_parent).wrapping_add(1)
        };
        let old_depth = at(&self.depth, node.0);
        if new_depth != old_depth {
            let delta = new_depth.wrapping_sub(old_depth);
            put(&mut self.depth, node.0, new_depth);
            let mut below = Vec::new();
            self.walk(node.0, u32::MAX, |x| below.push(x));
            for x in below {
                if let Some(d) = self.depth.get_mut(x as usize) {
                    *d = d.wrapping_add(delta);
                }
            }
        }
        self.stale = true;
        Ok(())
    }

    /// Moves a user by id, see [`Hierarchy::set_manager`]; unknown ids give
    /// [`HierarchyError::UnknownNode`] for the user and [`HierarchyError::UnknownManager`]
    /// for the manager.
    pub fn set_manager_by_id(
        &mut self,
        user: &str,
        new_manager: Option<&str>,
    ) -> Result<(), HierarchyError> {
        let Some(node) = self.node(user) else {
            return Err(HierarchyError::UnknownNode { node: NONE });
        };
        let manager = match new_manager {
            None => None,
            Some(m) => match self.node(m) {
                Some(m) => Some(m),
                None => {
                    return Err(HierarchyError::UnknownManager {
                        user: user.to_owned(),
                        manager: m.to_owned(),
                    });
                }
            },
        };
        self.set_manager(node, manager)
    }

    /// Adds a new user under `manager` (or as a root with `None`) without rebuilding.
    ///
    /// Refuses an id already present and a manager that does not exist, leaving the index
    /// unchanged. Amortised O(1) (the table grows by doubling); the Euler tour becomes stale
    /// until [`Hierarchy::reindex`].
    pub fn insert(&mut self, id: &str, manager: Option<&str>) -> Result<NodeId, HierarchyError> {
        let hash = hash_id(id.as_bytes());
        if self.find(id, hash).is_some() {
            return Err(HierarchyError::DuplicateId {
                user: id.to_owned(),
            });
        }
        let parent = match manager {
            None => NONE,
            Some(m) => match self.node(m) {
                Some(p) => p.0,
                None => {
                    return Err(HierarchyError::UnknownManager {
                        user: id.to_owned(),
                        manager: m.to_owned(),
                    });
                }
            },
        };
        if (self.len() + 1) * 4 > self.table.len() * 3 {
            self.grow_table();
        }
        let Interned::New = self.intern(id, hash) else {
            return Err(HierarchyError::CapacityExceeded {
                user: id.to_owned(),
            });
        };
        let node = self.parent.len() as u32;
        self.parent.push(parent);
        self.first_child.push(NONE);
        self.next.push(NONE);
        self.prev.push(NONE);
        self.tin.push(0);
        self.tout.push(0);
        let depth = if parent == NONE {
            0
        } else {
            self.link_child_sorted(parent, node);
            at(&self.depth, parent).wrapping_add(1)
        };
        self.depth.push(depth);
        self.stale = true;
        Ok(NodeId(node))
    }

    /// True when the Euler tour is current (membership is O(1)); false after changes until
    /// [`Hierarchy::reindex`].
    pub fn is_indexed(&self) -> bool {
        !self.stale
    }

    /// Recomputes the Euler tour after changes, in O(n); does nothing when it is current.
    pub fn reindex(&mut self) {
        if self.stale {
            self.euler_tour();
        }
    }

    /// Approximate heap bytes used (capacities of every column, the arena and the table).
    pub fn heap_bytes(&self) -> usize {
        let columns = [
            &self.offsets,
            &self.parent,
            &self.depth,
            &self.first_child,
            &self.next,
            &self.prev,
            &self.tin,
            &self.tout,
        ];
        self.arena.capacity()
            + self.table.capacity() * size_of::<u64>()
            + columns
                .iter()
                .map(|c| c.capacity() * size_of::<u32>())
                .sum::<usize>()
    }

    // ----- internals -----

    /// Node `i`'s id (empty for an out-of-range `i`).
    #[inline]
    fn id_at(&self, i: u32) -> &str {
        let start = at(&self.offsets, i) as usize;
        let end = at(&self.offsets, i.wrapping_add(1)) as usize;
        self.arena.get(start..end).unwrap_or_default()
    }

    /// Looks `id` (with hash `hash`) up in the table.
    #[inline]
    fn find(&self, id: &str, hash: u64) -> Option<u32> {
        let cap = self.table.len();
        if cap == 0 {
            return None;
        }
        let tag = hash << 32;
        let mut slot = home_slot(hash, cap);
        loop {
            let value = *self.table.get(slot)?;
            if value == 0 {
                return None;
            }
            if value & 0xffff_ffff_0000_0000 == tag {
                let node = (value as u32).wrapping_sub(1);
                if self.id_at(node) == id {
                    return Some(node);
                }
            }
            slot += 1;
            if slot == cap {
                slot = 0;
            }
        }
    }

    /// Finds `id` or adds it (arena and table) in one probe sequence. The caller keeps the
    /// table at most 3/4 full.
    #[inline]
    fn intern(&mut self, id: &str, hash: u64) -> Interned {
        let cap = self.table.len();
        let tag = hash << 32;
        let mut slot = home_slot(hash, cap);
        loop {
            let Some(&value) = self.table.get(slot) else {
                return Interned::Full;
            };
            if value == 0 {
                break;
            }
            if value & 0xffff_ffff_0000_0000 == tag {
                let node = (value as u32).wrapping_sub(1);
                if self.id_at(node) == id {
                    return Interned::Existing(node);
                }
            }
            slot += 1;
            if slot == cap {
                slot = 0;
            }
        }
        let Some(node) = self.offsets.len().checked_sub(1) else {
            return Interned::Full;
        };
        let end = self
            .arena
            .len()
            .checked_add(id.len())
            .and_then(|end| u32::try_from(end).ok());
        let (Some(end), true) = (end, node < MAX_NODES) else {
            return Interned::Full;
        };
        self.arena.push_str(id);
        self.offsets.push(end);
        if let Some(value) = self.table.get_mut(slot) {
            *value = slot_value(hash, node as u32);
        }
        Interned::New
    }

    /// Hashes a batch of ids into `hashes` and reads their home slots (and the candidate
    /// node's offset), so that the lookups that follow find them in cache.
    #[inline]
    fn touch_slots<'s>(
        &self,
        batch: impl Iterator<Item = Option<&'s str>>,
        hashes: &mut [u64; BATCH],
    ) {
        let cap = self.table.len();
        let mut touched = 0u64;
        for (id, hash) in batch.zip(hashes.iter_mut()) {
            if let Some(id) = id {
                *hash = hash_id(id.as_bytes());
                touched ^= self
                    .table
                    .get(home_slot(*hash, cap))
                    .copied()
                    .unwrap_or_default();
            }
        }
        // Second stage: the home slots are in cache now; touch the candidates' ids.
        for hash in hashes.iter() {
            let value = self
                .table
                .get(home_slot(*hash, cap))
                .copied()
                .unwrap_or_default();
            if value != 0 {
                let start = at(&self.offsets, (value as u32).wrapping_sub(1));
                touched ^= u64::from(
                    self.arena
                        .as_bytes()
                        .get(start as usize)
                        .copied()
                        .unwrap_or_default(),
                );
            }
        }
        std::hint::black_box(touched);
    }

    /// Places node `node` with hash `hash` in the table (the id must be absent and the table
    /// not full).
    #[inline]
    fn place(&mut self, hash: u64, node: u32) {
        let cap = self.table.len();
        if cap == 0 {
            return;
        }
        let mut slot = home_slot(hash, cap);
        for _ in 0..cap {
            match self.table.get_mut(slot) {
                Some(value) if *value == 0 => {
                    *value = slot_value(hash, node);
                    return;
                }
                _ => {}
            }
            slot += 1;
            if slot == cap {
                slot = 0;
            }
        }
    }

    /// Doubles the hash table.
    fn grow_table(&mut self) {
        let cap = table_capacity(self.table.len().saturating_mul(2));
        self.table = vec![0; cap];
        for i in 0..(self.offsets.len().saturating_sub(1)) as u32 {
            let hash = hash_id(self.id_at(i).as_bytes());
            self.place(hash, i);
        }
    }

    /// Cuts every cycle of the parent column, reporting each one.
    fn cut_cycles(&mut self, problems: &mut Vec<HierarchyProblem>) {
        const NEW: u8 = 0;
        const ON_PATH: u8 = 1;
        const DONE: u8 = 2;
        let n = self.parent.len();
        let mut state = vec![NEW; n];
        let mut path: Vec<u32> = Vec::new();
        for start in 0..n as u32 {
            let mut cur = start;
            while let Some(s) = state.get_mut(cur as usize) {
                if *s != NEW {
                    break;
                }
                *s = ON_PATH;
                path.push(cur);
                cur = at(&self.parent, cur);
            }
            if state.get(cur as usize) == Some(&ON_PATH)
                && let Some(pos) = path.iter().rposition(|&x| x == cur)
            {
                let cycle = path.get(pos..).unwrap_or_default();
                let smallest = cycle
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, x)| self.id_at(**x))
                    .map_or(0, |(i, _)| i);
                let users = cycle
                    .iter()
                    .cycle()
                    .skip(smallest)
                    .take(cycle.len())
                    .map(|x| self.id_at(*x).to_owned())
                    .collect();
                problems.push(HierarchyProblem::Cycle { users });
                for &x in cycle {
                    put(&mut self.parent, x, NONE);
                }
            }
            for &x in &path {
                if let Some(s) = state.get_mut(x as usize) {
                    *s = DONE;
                }
            }
            path.clear();
        }
    }

    /// Appends `child` at the end of `parent`'s report list.
    #[inline]
    fn append_child(&mut self, parent: u32, child: u32) {
        let first = at(&self.first_child, parent);
        if first == NONE {
            put(&mut self.first_child, parent, child);
            put(&mut self.next, child, child);
            put(&mut self.prev, child, child);
        } else {
            let last = at(&self.prev, first);
            self.insert_after(last, child);
        }
    }

    /// Links `x` into the circular list right after `a`.
    #[inline]
    fn insert_after(&mut self, a: u32, x: u32) {
        let b = at(&self.next, a);
        put(&mut self.next, a, x);
        put(&mut self.prev, x, a);
        put(&mut self.next, x, b);
        put(&mut self.prev, b, x);
    }

    /// Links `child` into `parent`'s report list at its place in handle order, searching from
    /// the end (O(1) for a newly inserted user).
    fn link_child_sorted(&mut self, parent: u32, child: u32) {
        let first = at(&self.first_child, parent);
        if first == NONE {
            self.append_child(parent, child);
            return;
        }
        let mut cur = at(&self.prev, first);
        loop {
            if cur < child {
                self.insert_after(cur, child);
                return;
            }
            if cur == first || cur == NONE {
                // Every report is larger: `child` becomes the head.
                let last = at(&self.prev, first);
                self.insert_after(last, child);
                put(&mut self.first_child, parent, child);
                return;
            }
            cur = at(&self.prev, cur);
        }
    }

    /// Unlinks `child` from `parent`'s report list.
    fn unlink_child(&mut self, parent: u32, child: u32) {
        let a = at(&self.prev, child);
        let b = at(&self.next, child);
        if b == child {
            put(&mut self.first_child, parent, NONE);
        } else {
            put(&mut self.next, a, b);
            put(&mut self.prev, b, a);
            if at(&self.first_child, parent) == child {
                put(&mut self.first_child, parent, b);
            }
        }
        put(&mut self.next, child, NONE);
        put(&mut self.prev, child, NONE);
    }

    /// Calls `f` on every node strictly below `root` and at most `limit` levels down, in
    /// pre-order with reports in list order. Iterative: follows the report lists and the
    /// parent column, no stack.
    fn walk(&self, root: u32, limit: u32, mut f: impl FnMut(u32)) {
        if limit == 0 {
            return;
        }
        let mut cur = at(&self.first_child, root);
        if cur == NONE {
            return;
        }
        let mut level: u32 = 1;
        loop {
            f(cur);
            if level < limit {
                let child = at(&self.first_child, cur);
                if child != NONE {
                    cur = child;
                    level += 1;
                    continue;
                }
            }
            // Climb until a node with a next sibling, stopping at `root`.
            loop {
                let p = at(&self.parent, cur);
                let sibling = at(&self.next, cur);
                if sibling != NONE && sibling != at(&self.first_child, p) {
                    cur = sibling;
                    break;
                }
                if p == root || p == NONE {
                    return;
                }
                cur = p;
                level -= 1;
            }
        }
    }

    /// Recomputes depths and the Euler tour from the parent column and report lists.
    fn euler_tour(&mut self) {
        let n = self.parent.len() as u32;
        let mut timer: u32 = 0;
        for root in 0..n {
            if at(&self.parent, root) != NONE {
                continue;
            }
            put(&mut self.depth, root, 0);
            let mut cur = root;
            'enter: loop {
                put(&mut self.tin, cur, timer);
                timer = timer.wrapping_add(1);
                let child = at(&self.first_child, cur);
                if child != NONE {
                    let d = at(&self.depth, cur).wrapping_add(1);
                    put(&mut self.depth, child, d);
                    cur = child;
                    continue 'enter;
                }
                loop {
                    put(&mut self.tout, cur, timer.wrapping_sub(1));
                    if cur == root {
                        break 'enter;
                    }
                    let p = at(&self.parent, cur);
                    let sibling = at(&self.next, cur);
                    if sibling != at(&self.first_child, p) {
                        let d = at(&self.depth, p).wrapping_add(1);
                        put(&mut self.depth, sibling, d);
                        cur = sibling;
                        continue 'enter;
                    }
                    cur = p;
                }
            }
        }
        self.stale = false;
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )]

    use super::*;
    use proptest::prelude::*;

    fn build(rows: &[(&str, Option<&str>)]) -> (Hierarchy, Vec<HierarchyProblem>) {
        Hierarchy::build(rows.iter().copied())
    }

    fn n(h: &Hierarchy, id: &str) -> NodeId {
        h.node(id).unwrap()
    }

    fn ids(h: &Hierarchy, nodes: impl IntoIterator<Item = NodeId>) -> Vec<String> {
        nodes
            .into_iter()
            .map(|x| h.id(x).unwrap().to_owned())
            .collect()
    }

    fn reports(h: &Hierarchy, id: &str) -> Vec<String> {
        ids(h, h.direct_reports(n(h, id)))
    }

    /// ceo -> (cto -> (dev1, dev2 -> intern), cfo -> acct)
    fn org() -> Hierarchy {
        Hierarchy::build_strict([
            ("dev2", Some("cto")),
            ("ceo", None),
            ("cto", Some("ceo")),
            ("intern", Some("dev2")),
            ("dev1", Some("cto")),
            ("cfo", Some("ceo")),
            ("acct", Some("cfo")),
        ])
        .unwrap()
    }

    #[test]
    fn r001_03_direct_reports_are_the_n1_view() {
        let h = org();
        assert_eq!(reports(&h, "ceo"), ["cto", "cfo"]);
        assert_eq!(reports(&h, "cto"), ["dev2", "dev1"]);
        assert!(reports(&h, "intern").is_empty());
        let (ceo, cto, dev2, intern) = (n(&h, "ceo"), n(&h, "cto"), n(&h, "dev2"), n(&h, "intern"));
        assert!(h.is_below(ceo, cto, Some(1)));
        assert!(
            !h.is_below(ceo, dev2, Some(1)),
            "N-2 is not in the N-1 view"
        );
        assert!(h.is_below(ceo, dev2, Some(2)));
        assert!(!h.is_below(ceo, intern, Some(2)));
        assert!(h.is_below(ceo, intern, Some(3)));
        assert!(h.is_below(ceo, intern, None));
        assert_eq!(h.levels_below(ceo, intern), Some(3));
        assert_eq!(h.levels_below(cto, dev2), Some(1));
        assert!(
            !h.is_below(ceo, ceo, None),
            "a user is not in their own subtree"
        );
        assert!(
            !h.is_below(cto, ceo, None),
            "a manager is not below their report"
        );
        assert!(
            !h.is_below(n(&h, "cfo"), dev2, None),
            "siblings' subtrees are apart"
        );
        assert_eq!(h.manager(dev2), Some(cto));
        assert_eq!(h.manager(ceo), None);
        assert_eq!(h.depth(ceo), 0);
        assert_eq!(h.depth(intern), 3);
        assert_eq!(h.len(), 7);
        assert!(!h.is_empty());
        assert_eq!(ids(&h, h.roots()), ["ceo"]);
    }

    #[test]
    fn r001_03_user_without_manager_is_in_no_n1_view() {
        let (h, problems) = build(&[("boss", None), ("loner", None), ("a", Some("boss"))]);
        assert!(problems.is_empty());
        let loner = n(&h, "loner");
        assert_eq!(h.manager(loner), None);
        for m in h.nodes() {
            assert!(!h.is_below(m, loner, Some(1)));
            assert!(!h.is_below(m, loner, None));
            assert!(!h.direct_reports(m).any(|r| r == loner));
        }
    }

    #[test]
    fn r001_03_changing_manager_moves_user_between_views() {
        let mut h = org();
        let (cto, cfo, dev2, intern) = (n(&h, "cto"), n(&h, "cfo"), n(&h, "dev2"), n(&h, "intern"));
        h.set_manager(dev2, Some(cfo)).unwrap();
        assert!(!h.is_indexed());
        assert_eq!(reports(&h, "cto"), ["dev1"]);
        assert_eq!(reports(&h, "cfo"), ["dev2", "acct"]);
        assert!(!h.is_below(cto, dev2, None));
        assert!(h.is_below(cfo, dev2, Some(1)));
        assert!(
            h.is_below(cfo, intern, Some(2)),
            "the subtree moves with the user"
        );
        assert!(!h.is_below(cto, intern, None));
        assert_eq!(h.depth(intern), 3);
        h.reindex();
        assert!(h.is_indexed());
        assert!(h.is_below(cfo, intern, None));
        assert!(!h.is_below(cto, intern, None));
        assert_eq!(ids(&h, h.subtree(cfo, None)), ["dev2", "intern", "acct"]);

        // To root: out of every view, and the subtree follows.
        h.set_manager(dev2, None).unwrap();
        assert_eq!(h.manager(dev2), None);
        assert_eq!(h.depth(dev2), 0);
        assert_eq!(h.depth(intern), 1);
        assert!(h.nodes().all(|m| !h.is_below(m, dev2, None)));
        assert!(h.is_below(dev2, intern, Some(1)));
        // No-op move.
        h.set_manager(intern, Some(dev2)).unwrap();
        assert_eq!(h.manager(intern), Some(dev2));
    }

    #[test]
    fn r001_04_missing_manager_is_reported() {
        let (h, problems) = build(&[("a", Some("ghost")), ("b", Some("a")), ("c", None)]);
        assert_eq!(
            problems,
            [HierarchyProblem::MissingManager {
                user: "a".into(),
                manager: "ghost".into()
            }]
        );
        assert_eq!(
            problems[0].to_string(),
            "the manager `ghost` of `a` does not exist"
        );
        let a = n(&h, "a");
        assert_eq!(h.manager(a), None, "the edge is cut: `a` is a root");
        assert!(h.is_below(a, n(&h, "b"), Some(1)));
        let err = Hierarchy::build_strict([("a", Some("ghost"))]).unwrap_err();
        assert_eq!(err.to_string(), "the manager `ghost` of `a` does not exist");
    }

    #[test]
    fn r001_04_cycle_is_reported() {
        // c -> d -> b -> c is a cycle; `e` hangs off it; `x` -> `y` -> `x` is another one.
        let (h, problems) = build(&[
            ("root", None),
            ("d", Some("b")),
            ("c", Some("d")),
            ("b", Some("c")),
            ("e", Some("d")),
            ("y", Some("x")),
            ("x", Some("y")),
        ]);
        assert_eq!(
            problems,
            [
                HierarchyProblem::Cycle {
                    users: vec!["b".into(), "c".into(), "d".into()]
                },
                HierarchyProblem::Cycle {
                    users: vec!["x".into(), "y".into()]
                },
            ]
        );
        assert_eq!(
            problems[0].to_string(),
            "the manager relation has a cycle: `b` -> `c` -> `d` -> `b`"
        );
        for user in ["b", "c", "d", "x", "y"] {
            assert_eq!(h.manager(n(&h, user)), None, "{user} is cut to a root");
        }
        assert_eq!(h.manager(n(&h, "e")), Some(n(&h, "d")));
        assert!(h.is_below(n(&h, "d"), n(&h, "e"), Some(1)));
        let err = Hierarchy::build_strict([("a", Some("b")), ("b", Some("a"))]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the manager relation has a cycle: `a` -> `b` -> `a`"
        );
    }

    #[test]
    fn r001_04_self_manager_and_duplicates_are_reported() {
        let (h, problems) = build(&[
            ("a", Some("a")),
            ("b", None),
            ("b", Some("a")),
            ("b", Some("a")),
            ("c", Some("b")),
        ]);
        assert_eq!(
            problems,
            [
                HierarchyProblem::DuplicateId { user: "b".into() },
                HierarchyProblem::SelfManaged { user: "a".into() },
            ]
        );
        assert_eq!(h.len(), 3);
        assert_eq!(h.manager(n(&h, "a")), None);
        assert_eq!(h.manager(n(&h, "b")), None, "the first row wins");
        assert_eq!(
            problems[0].to_string(),
            "the user id `b` appears more than once"
        );
        assert_eq!(problems[1].to_string(), "the user `a` is their own manager");
    }

    #[test]
    fn r001_04_strict_build_lists_every_problem() {
        let err = Hierarchy::build_strict([
            ("a", Some("a")),
            ("b", Some("nobody")),
            ("c", Some("d")),
            ("d", Some("c")),
        ])
        .unwrap_err();
        let HierarchyError::Problems(problems) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(problems.len(), 3);
        assert_eq!(
            err.to_string(),
            "the manager relation has 3 problems: the user `a` is their own manager; \
             the manager `nobody` of `b` does not exist; \
             the manager relation has a cycle: `c` -> `d` -> `c`"
        );
        let many: Vec<String> = (0..8).map(|i| format!("u{i}")).collect();
        let err =
            Hierarchy::build_strict(many.iter().map(|u| (u.as_str(), Some("x")))).unwrap_err();
        assert!(err.to_string().ends_with("; and 3 more"), "{err}");
    }

    #[test]
    fn problems_serialize_with_a_kind_tag() {
        let json = serde_json::to_value([
            HierarchyProblem::MissingManager {
                user: "a".into(),
                manager: "b".into(),
            },
            HierarchyProblem::Cycle {
                users: vec!["a".into(), "b".into()],
            },
            HierarchyProblem::DuplicateId { user: "a".into() },
            HierarchyProblem::SelfManaged { user: "a".into() },
        ])
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!([
                {"kind": "missingManager", "user": "a", "manager": "b"},
                {"kind": "cycle", "users": ["a", "b"]},
                {"kind": "duplicateId", "user": "a"},
                {"kind": "selfManaged", "user": "a"},
            ])
        );
    }

    #[test]
    fn r001_04_set_manager_refuses_cycles_and_unknown_nodes() {
        let mut h = org();
        let (ceo, cto, intern) = (n(&h, "ceo"), n(&h, "cto"), n(&h, "intern"));
        let err = h.set_manager(cto, Some(intern)).unwrap_err();
        assert_eq!(
            err,
            HierarchyError::WouldCreateCycle {
                user: "cto".into(),
                manager: "intern".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "`intern` cannot become the manager of `cto`: it would create a cycle"
        );
        assert!(h.set_manager(cto, Some(cto)).is_err());
        assert!(h.set_manager(ceo, Some(intern)).is_err());
        assert_eq!(h.manager(cto), Some(ceo), "a refused move changes nothing");
        assert!(h.is_indexed());
        assert_eq!(
            h.set_manager(NodeId(99), None),
            Err(HierarchyError::UnknownNode { node: 99 })
        );
        assert_eq!(
            h.set_manager(cto, Some(NodeId(99))),
            Err(HierarchyError::UnknownNode { node: 99 })
        );
        assert_eq!(
            h.set_manager_by_id("cto", Some("ghost")),
            Err(HierarchyError::UnknownManager {
                user: "cto".into(),
                manager: "ghost".into()
            })
        );
        h.set_manager_by_id("intern", Some("ceo")).unwrap();
        assert_eq!(h.manager(intern), Some(ceo));
        // Once a stale index refuses too (the parent walk sees the cycle).
        assert!(h.set_manager(ceo, Some(intern)).is_err());
    }

    #[test]
    fn insert_adds_users_incrementally() {
        let mut h = Hierarchy::new();
        assert!(h.is_empty());
        let boss = h.insert("boss", None).unwrap();
        let a = h.insert("a", Some("boss")).unwrap();
        let b = h.insert("b", Some("a")).unwrap();
        assert_eq!(
            h.insert("a", None),
            Err(HierarchyError::DuplicateId { user: "a".into() })
        );
        assert_eq!(
            h.insert("c", Some("ghost")),
            Err(HierarchyError::UnknownManager {
                user: "c".into(),
                manager: "ghost".into()
            })
        );
        assert_eq!(
            h.insert("d", Some("d")).unwrap_err().to_string(),
            "the manager `d` of `d` does not exist"
        );
        assert_eq!(h.len(), 3);
        assert!(h.is_below(boss, b, None));
        assert_eq!(h.levels_below(boss, b), Some(2));
        h.reindex();
        assert!(h.is_below(boss, b, None));
        assert!(!h.is_below(b, a, None));
        // Enough inserts to grow the table several times.
        let mut org = org();
        for i in 0..1000 {
            let manager = if i == 0 {
                "ceo".to_owned()
            } else {
                format!("new{}", i / 4)
            };
            org.insert(&format!("new{i}"), Some(&manager)).unwrap();
        }
        let ceo = n(&org, "ceo");
        for i in 0..1000 {
            assert!(org.is_below(ceo, n(&org, &format!("new{i}")), None));
        }
        org.reindex();
        assert_eq!(org.subtree(ceo, None).len(), 1006);
        assert_eq!(org.node("nobody"), None);
    }

    #[test]
    fn subtree_lists_in_preorder_within_depth() {
        let h = org();
        let ceo = n(&h, "ceo");
        assert_eq!(
            ids(&h, h.subtree(ceo, None)),
            ["cto", "dev2", "intern", "dev1", "cfo", "acct"]
        );
        assert_eq!(
            ids(&h, h.subtree(ceo, Some(2))),
            ["cto", "dev2", "dev1", "cfo", "acct"]
        );
        assert_eq!(ids(&h, h.subtree(ceo, Some(1))), ["cto", "cfo"]);
        assert!(h.subtree(ceo, Some(0)).is_empty());
        assert!(h.subtree(n(&h, "intern"), None).is_empty());
        assert!(h.subtree(NodeId(1000), None).is_empty());
    }

    #[test]
    fn foreign_handles_are_unknown() {
        let h = org();
        let foreign = NodeId(1000);
        assert_eq!(h.id(foreign), None);
        assert_eq!(h.manager(foreign), None);
        assert_eq!(h.depth(foreign), 0);
        assert_eq!(h.direct_reports(foreign).count(), 0);
        assert!(!h.is_below(foreign, n(&h, "cto"), None));
        assert!(!h.is_below(n(&h, "ceo"), foreign, None));
        let (empty, problems) = Hierarchy::build(std::iter::empty());
        assert!(empty.is_empty() && problems.is_empty());
        assert_eq!(empty.node("a"), None);
        assert_eq!(Hierarchy::new().node(""), None);
    }

    #[test]
    fn ids_of_every_length_round_trip() {
        let users: Vec<String> = (0..40).map(|i| "x".repeat(i) + "é").collect();
        let (h, problems) = Hierarchy::build(users.iter().map(|u| (u.as_str(), None)));
        assert!(problems.is_empty());
        for (i, user) in users.iter().enumerate() {
            assert_eq!(h.node(user), Some(NodeId(i as u32)));
            assert_eq!(h.id(NodeId(i as u32)), Some(user.as_str()));
        }
    }

    const MILLION: usize = 1_000_000;

    #[test]
    fn a_million_deep_chain_builds_without_recursion() {
        let users: Vec<String> = (0..MILLION).map(|i| format!("u{i}")).collect();
        let rows = (0..MILLION).map(|i| {
            (
                users[i].as_str(),
                i.checked_sub(1).map(|p| users[p].as_str()),
            )
        });
        let (mut h, problems) = Hierarchy::build(rows);
        assert!(problems.is_empty());
        let (top, bottom) = (NodeId(0), NodeId(MILLION as u32 - 1));
        assert_eq!(h.depth(bottom), MILLION as u32 - 1);
        assert!(h.is_below(top, bottom, None));
        assert!(!h.is_below(top, bottom, Some(1000)));
        assert_eq!(h.subtree(NodeId(MILLION as u32 - 4), None).len(), 3);
        // A cycle through the whole chain is found without recursion too.
        let (_, problems) = Hierarchy::build(
            (0..MILLION).map(|i| (users[i].as_str(), Some(users[(i + 1) % MILLION].as_str()))),
        );
        assert!(
            matches!(&problems[..], [HierarchyProblem::Cycle { users }] if users.len() == MILLION)
        );
        // Moving the middle of the chain re-depths half a million users.
        let mid = NodeId(MILLION as u32 / 2);
        h.set_manager(mid, None).unwrap();
        assert_eq!(h.depth(bottom), MILLION as u32 / 2 - 1);
        assert!(!h.is_below(top, bottom, None));
        assert!(h.is_below(mid, bottom, None));
        h.reindex();
        assert!(!h.is_below(top, bottom, None));
        assert!(h.is_below(mid, bottom, None));
    }

    #[test]
    fn a_million_wide_tree_builds() {
        let users: Vec<String> = (0..MILLION).map(|i| format!("u{i}")).collect();
        let rows = (0..MILLION).map(|i| (users[i].as_str(), (i > 0).then(|| users[0].as_str())));
        let (mut h, problems) = Hierarchy::build(rows);
        assert!(problems.is_empty());
        let root = NodeId(0);
        assert_eq!(h.direct_reports(root).count(), MILLION - 1);
        assert!(h.is_below(root, NodeId(123_456), Some(1)));
        assert!(!h.is_below(NodeId(1), NodeId(123_456), None));
        // Moving a low handle back under the root walks the report list from its end.
        h.set_manager(NodeId(1), Some(NodeId(2))).unwrap();
        h.set_manager(NodeId(1), Some(root)).unwrap();
        assert_eq!(
            h.direct_reports(root).take(3).collect::<Vec<_>>(),
            [NodeId(1), NodeId(2), NodeId(3)]
        );
        let bytes = h.heap_bytes() as f64 / MILLION as f64;
        assert!(bytes < 100.0, "{bytes} bytes per user");
    }

    /// A naive oracle: the parent of each node, by handle.
    fn oracle_levels(parent: &[Option<usize>], m: usize, t: usize) -> Option<u32> {
        let mut cur = t;
        let mut levels = 0;
        while let Some(p) = parent[cur] {
            levels += 1;
            if p == m {
                return Some(levels);
            }
            cur = p;
        }
        None
    }

    fn rebuild(h: &Hierarchy) -> Hierarchy {
        let rows: Vec<(&str, Option<&str>)> = h
            .nodes()
            .map(|x| (h.id(x).unwrap(), h.manager(x).map(|m| h.id(m).unwrap())))
            .collect();
        Hierarchy::build_strict(rows).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn incremental_changes_match_a_parent_walk_oracle(
            n in 1usize..40,
            seeds in prop::collection::vec(any::<u32>(), 40),
            moves in prop::collection::vec((any::<u32>(), any::<u32>(), any::<u8>()), 0..30),
        ) {
            // A random forest: node i's manager is a random earlier node (or none), then the
            // rows are listed in a shuffled order so handles do not follow the tree.
            let mut parent: Vec<Option<usize>> = (0..n)
                .map(|i| {
                    let s = seeds[i] as usize;
                    (i > 0 && !s.is_multiple_of(5)).then(|| s % i)
                })
                .collect();
            let order: Vec<usize> = {
                let mut o: Vec<usize> = (0..n).collect();
                for i in (1..n).rev() {
                    o.swap(i, seeds[i] as usize % (i + 1));
                }
                o
            };
            let names: Vec<String> = (0..n).map(|i| format!("user{i}")).collect();
            let rows: Vec<(&str, Option<&str>)> = order
                .iter()
                .map(|&i| (names[i].as_str(), parent[i].map(|p| names[p].as_str())))
                .collect();
            let mut h = Hierarchy::build_strict(rows).unwrap();
            // Translate the oracle to handles.
            let handle: Vec<usize> = (0..n).map(|i| h.node(&names[i]).unwrap().index()).collect();
            let mut by_handle = vec![None; n];
            for i in 0..n {
                by_handle[handle[i]] = parent[i].map(|p| handle[p]);
            }
            parent = by_handle;

            let check = |h: &Hierarchy, parent: &[Option<usize>]| -> Result<(), TestCaseError> {
                for m in 0..n {
                    let mid = NodeId(m as u32);
                    prop_assert_eq!(h.manager(mid).map(NodeId::index), parent[m]);
                    let mut depth = 0;
                    let mut cur = m;
                    while let Some(p) = parent[cur] { depth += 1; cur = p; }
                    prop_assert_eq!(h.depth(mid), depth);
                    let reports: Vec<usize> = h.direct_reports(mid).map(NodeId::index).collect();
                    let expected: Vec<usize> = (0..n).filter(|&t| parent[t] == Some(m)).collect();
                    prop_assert_eq!(reports, expected);
                    for t in 0..n {
                        let tid = NodeId(t as u32);
                        let levels = oracle_levels(parent, m, t);
                        prop_assert_eq!(h.levels_below(mid, tid), levels);
                        prop_assert_eq!(h.is_below(mid, tid, None), levels.is_some());
                        for k in 0..4 {
                            prop_assert_eq!(
                                h.is_below(mid, tid, Some(k)),
                                levels.is_some_and(|l| l <= k)
                            );
                        }
                    }
                    let mut listed: Vec<usize> = h.subtree(mid, Some(2)).into_iter().map(NodeId::index).collect();
                    listed.sort_unstable();
                    let expected: Vec<usize> = (0..n).filter(|&t| oracle_levels(parent, m, t).is_some_and(|l| l <= 2)).collect();
                    prop_assert_eq!(listed, expected);
                }
                // The incremental index lists exactly what a rebuild lists, in the same order.
                let fresh = rebuild(h);
                for m in h.nodes() {
                    prop_assert_eq!(h.subtree(m, None), fresh.subtree(m, None));
                }
                Ok(())
            };

            check(&h, &parent)?;
            for (a, b, op) in moves {
                let user = a as usize % n;
                let target = (!op.is_multiple_of(4)).then_some(b as usize % n);
                let would_cycle = target.is_some_and(|t| t == user || oracle_levels(&parent, user, t).is_some());
                let result = h.set_manager(NodeId(user as u32), target.map(|t| NodeId(t as u32)));
                if would_cycle {
                    prop_assert!(matches!(result, Err(HierarchyError::WouldCreateCycle { .. })), "{result:?}");
                } else {
                    prop_assert_eq!(result, Ok(()));
                    parent[user] = target;
                }
                if op.is_multiple_of(3) {
                    h.reindex();
                }
                check(&h, &parent)?;
            }
            h.reindex();
            check(&h, &parent)?;
        }
    }
}
