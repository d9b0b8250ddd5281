//! The manager hierarchy index (R001-03, R001-04).
//!
//! [`Hierarchy`] answers the scoping engine's question "is `target` within `k` levels below
//! `manager`?" for organisations of millions of users:
//!
//! * user ids are interned in one string arena (one `String`, in node order) and looked up
//!   through an open-addressing hash table of `u32` slots: node index + 1 in the low bits, a
//!   tag of the id's hash in the bits the index does not need (11 bits at a million users),
//!   so that probing rarely compares an id for nothing,
//! * what a membership check reads of a user sits in one 16-byte record (four per cache
//!   line): where its id starts in the arena, its manager and its Euler tour interval
//!   (`tin`, `tout`, computed by an iterative walk: no recursion, so a 1,000,000-deep chain is
//!   fine); the direct reports are a circular doubly linked list kept sorted by [`NodeId`]
//!   (`first_child`, `next`, `prev` columns). Depths are not stored: about 41 bytes per user
//!   with 8-byte ids,
//! * a lookup is three dependent reads (slot, record, id bytes) and [`Hierarchy::node_pair`]
//!   overlaps two of them: both home slots are read, then both candidates' ids, before either
//!   id is compared (a displaced or colliding id then probes on); "direct report" is one
//!   comparison of the target's record, subtree membership is O(1) from the Euler tour, and a
//!   depth bound adds at most that many steps up the manager column,
//! * [`Hierarchy::set_manager`] and [`Hierarchy::insert`] keep the managers and the report
//!   lists exact, and mark the Euler tour stale: until [`Hierarchy::reindex`] is called,
//!   membership falls back to a walk up the manager column, so answers are always correct.
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
                // A cycle of a whole directory would be a message of megabytes: its
                // first users, and how many more (the problem's `users` lists them all).
                for user in users.iter().take(CYCLE_USERS_SHOWN) {
                    write!(f, "`{user}` -> ")?;
                }
                if users.len() > CYCLE_USERS_SHOWN {
                    write!(f, "… ({} more users) -> ", users.len() - CYCLE_USERS_SHOWN)?;
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

/// The users of a cycle a message names before it says how many more there are.
const CYCLE_USERS_SHOWN: usize = 8;

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

/// Whether two byte strings are equal: inline word compares up to 16 bytes (ids, names),
/// rather than a call to `memcmp` for every short compare.
#[inline(always)]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if a.len() <= 16 {
        if let (Some(a0), Some(a1), Some(b0), Some(b1)) = (
            a.first_chunk::<8>(),
            a.last_chunk::<8>(),
            b.first_chunk::<8>(),
            b.last_chunk::<8>(),
        ) {
            return a0 == b0 && a1 == b1;
        }
        if let (Some(a0), Some(a1), Some(b0), Some(b1)) = (
            a.first_chunk::<4>(),
            a.last_chunk::<4>(),
            b.first_chunk::<4>(),
            b.last_chunk::<4>(),
        ) {
            return a0 == b0 && a1 == b1;
        }
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    a == b
}

/// Whether two strings are equal, see [`same_bytes`].
#[inline(always)]
pub(crate) fn same(a: &str, b: &str) -> bool {
    same_bytes(a.as_bytes(), b.as_bytes())
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
/// reduction on the high bits, so the capacity need not be a power of two).
#[inline(always)]
fn home_slot(h: u64, cap: usize) -> usize {
    ((u128::from(h) * cap as u128) >> 64) as usize
}

/// The table capacity for `n` users: load factor at most 3/4.
fn table_capacity(n: usize) -> usize {
    (n.saturating_add(n / 3)).max(16)
}

/// The slot bits that hold the hash tag in a table of `cap` slots: the low bits hold
/// node + 1, which is at most the number of users, itself below `cap`; the bits above are
/// free for a tag (11 bits at a million users). Empty when `cap` needs every bit.
fn tag_mask(cap: usize) -> u32 {
    let bits = usize::BITS - cap.leading_zeros();
    u32::MAX.checked_shl(bits).unwrap_or(0)
}

/// A table slot: the hash's tag bits, then node + 1 in the low bits (0 = empty).
#[inline(always)]
fn slot_value(h: u64, node: u32, mask: u32) -> u32 {
    (h as u32 & mask) | node.wrapping_add(1)
}

/// [`Hierarchy`]'s `id_len` when ids do not all have the same length.
const MIXED: u32 = u32::MAX;

/// What [`Hierarchy::intern`] did.
enum Interned {
    /// The id was added as the next node.
    New,
    /// The id was already there, as this node.
    Existing(u32),
    /// The index is full; nothing was added.
    Full,
}

/// What a membership check reads of one user, together in 16 bytes (one cache line holds
/// four): where the id starts, the manager and the Euler tour interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, align(16))]
struct Node {
    /// The id is `arena[start..]` up to the next node's `start` (or the arena's end).
    start: u32,
    /// The manager, or [`NONE`].
    parent: u32,
    /// Euler tour entry time (valid when the index is not stale).
    tin: u32,
    /// The largest entry time in the node's subtree (valid when the index is not stale).
    tout: u32,
}

impl Node {
    /// Whether `other` is strictly inside this node's Euler tour interval (below it, when
    /// the tour is current).
    #[inline(always)]
    fn encloses(&self, other: &Node) -> bool {
        self.tin < other.tin && other.tin <= self.tout
    }

    fn new(start: u32) -> Self {
        Node {
            start,
            parent: NONE,
            tin: 0,
            tout: 0,
        }
    }
}

/// The index of a manager hierarchy: id lookup, parent, depth, direct reports and subtree
/// membership for up to 4,294,967,294 users.
///
/// See the [module documentation](self) for the layout and the costs.
#[derive(Debug, Clone)]
pub struct Hierarchy {
    /// Every id, back to back, in node order.
    arena: String,
    /// One record per node: id start, manager, Euler tour interval.
    nodes: Vec<Node>,
    /// Open-addressing hash table of `u32` slots, see [`slot_value`].
    table: Vec<u32>,
    /// The tag bits of the table's slots, see [`tag_mask`].
    mask: u32,
    /// The smallest direct report of each node, or [`NONE`].
    first_child: Vec<u32>,
    /// The next sibling in the circular report list of the node's manager ([`NONE`] for roots).
    next: Vec<u32>,
    /// The previous sibling in the circular report list ([`NONE`] for roots).
    prev: Vec<u32>,
    /// The length every id has, or [`MIXED`] (ids of several lengths, or none yet): with
    /// fixed-width ids (UUIDs, zero-padded numbers) node `i`'s id is at `i * id_len` in the
    /// arena, so a lookup reads the id without waiting for the node's record first.
    id_len: u32,
    /// True when the Euler tour no longer describes the tree.
    stale: bool,
}

impl Default for Hierarchy {
    fn default() -> Self {
        Hierarchy {
            arena: String::new(),
            nodes: Vec::new(),
            table: Vec::new(),
            mask: 0,
            first_child: Vec::new(),
            next: Vec::new(),
            prev: Vec::new(),
            id_len: MIXED,
            stale: false,
        }
    }
}

impl Hierarchy {
    /// An empty index.
    pub fn new() -> Self {
        Hierarchy::default()
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
        let cap = table_capacity(n_hint);
        let mut h = Hierarchy {
            arena: String::with_capacity(id_bytes.min(u32::MAX as usize)),
            nodes: Vec::with_capacity(n_hint),
            table: vec![0; cap],
            mask: tag_mask(cap),
            ..Hierarchy::default()
        };

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
        drop(rows);
        let n = managers.len();

        // Pass 2: resolve managers, in batches: hash a batch and touch its table slots first so
        // that the cache misses of a batch overlap instead of queueing one after the other.
        for (b, batch) in managers.chunks(BATCH).enumerate() {
            h.touch_slots(batch.iter().copied(), &mut hashes);
            for (k, (manager, hash)) in batch.iter().zip(hashes).enumerate() {
                let Some(manager) = manager else { continue };
                let i = (b * BATCH + k) as u32;
                let user = h.id_at(i);
                let parent = if *manager == user {
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
                };
                h.set_parent(i, parent);
            }
        }
        drop(managers);

        // Pass 3: find and cut cycles (the parent column is a functional graph).
        h.cut_cycles(&mut problems);

        // Pass 4: report lists, sorted by node id because nodes are appended in order.
        h.first_child = vec![NONE; n];
        h.next = vec![NONE; n];
        h.prev = vec![NONE; n];
        for i in 0..n as u32 {
            let p = h.parent_of(i);
            if p != NONE {
                h.append_child(p, i);
            }
        }

        // Pass 5: the Euler tour.
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
        self.nodes.len()
    }

    /// True when there are no users.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The handle of the user with this id.
    #[inline]
    pub fn node(&self, id: &str) -> Option<NodeId> {
        self.find(id, hash_id(id.as_bytes())).map(NodeId)
    }

    /// The handles of two users, looked up together: both ids are hashed and both home slots
    /// read before either lookup goes on, so that the two lookups' memory accesses overlap.
    #[inline]
    pub fn node_pair(&self, a: &str, b: &str) -> (Option<NodeId>, Option<NodeId>) {
        let cap = self.table.len();
        if cap == 0 {
            return (None, None);
        }
        let (ha, hb) = (hash_id(a.as_bytes()), hash_id(b.as_bytes()));
        let (sa, sb) = (home_slot(ha, cap), home_slot(hb, cap));
        let (va, vb) = (
            self.table.get(sa).copied().unwrap_or(0),
            self.table.get(sb).copied().unwrap_or(0),
        );
        // Both home candidates' ids are fetched before either is compared, so that the two
        // reads overlap; a miss at the home slot (a collision, an absent id) probes on.
        let (ca, cb) = (self.home_candidate(va, ha), self.home_candidate(vb, hb));
        let (ida, idb) = (
            ca.map(|n| self.id_bytes_at(n)),
            cb.map(|n| self.id_bytes_at(n)),
        );
        let found_a = match (ca, ida) {
            (Some(n), Some(id)) if same_bytes(id, a.as_bytes()) => Some(n),
            _ => self.probe_on(a, ha, sa, va),
        };
        let found_b = match (cb, idb) {
            (Some(n), Some(id)) if same_bytes(id, b.as_bytes()) => Some(n),
            _ => self.probe_on(b, hb, sb, vb),
        };
        (found_a.map(NodeId), found_b.map(NodeId))
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
        match self.parent_of(node.0) {
            NONE => None,
            p => Some(NodeId(p)),
        }
    }

    /// How many levels the user is below their root (0 for roots and foreign handles).
    ///
    /// O(depth): counted up the manager column (depths are not stored, which keeps the index
    /// small and moves cheap).
    pub fn depth(&self, node: NodeId) -> u32 {
        let mut depth = 0;
        let mut cur = self.parent_of(node.0);
        // The tree has no cycle; the bound only guards the loop.
        while cur != NONE && (depth as usize) < self.len() {
            depth += 1;
            cur = self.parent_of(cur);
        }
        depth
    }

    /// Every user, in handle order.
    pub fn nodes(&self) -> impl Iterator<Item = NodeId> + '_ {
        (0..self.len() as u32).map(NodeId)
    }

    /// The users with no manager, in handle order (O(n)).
    pub fn roots(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.nodes
            .iter()
            .enumerate()
            .filter(|(_, x)| x.parent == NONE)
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
    /// Direct reports (`max_depth` 1) are O(1) from the manager column; deeper questions are
    /// O(1) from the Euler tour while it is current (plus up to `max_depth` steps up the
    /// manager column for a bounded depth), and a walk up the manager column from `target`
    /// after [`Hierarchy::set_manager`] or [`Hierarchy::insert`] until [`Hierarchy::reindex`].
    #[inline]
    pub fn is_below(&self, manager: NodeId, target: NodeId, max_depth: Option<u32>) -> bool {
        let (Some(m), Some(t)) = (
            self.nodes.get(manager.index()),
            self.nodes.get(target.index()),
        ) else {
            return false;
        };
        if t.parent == manager.0 {
            return max_depth != Some(0);
        }
        match max_depth {
            Some(0 | 1) => false,
            None if !self.stale => m.encloses(t),
            Some(_) if !self.stale && !m.encloses(t) => false,
            _ => self
                .climb(manager.0, t.parent, max_depth.map(|k| k - 1))
                .is_some(),
        }
    }

    /// Distance in levels from `manager` down to `target`, if `target` is strictly below.
    ///
    /// Costs as [`Hierarchy::is_below`], plus the distance in steps up the manager column when
    /// `target` is below.
    #[inline]
    pub fn levels_below(&self, manager: NodeId, target: NodeId) -> Option<u32> {
        let (Some(m), Some(t)) = (
            self.nodes.get(manager.index()),
            self.nodes.get(target.index()),
        ) else {
            return None;
        };
        if t.parent == manager.0 {
            return Some(1);
        }
        if !self.stale && !m.encloses(t) {
            return None;
        }
        self.climb(manager.0, t.parent, None).map(|l| l + 1)
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
    /// foreign handles, leaving the index unchanged. Costs O(depth of the new manager + reports
    /// of the old manager placed before the user + reports of the new manager placed after
    /// the user); the Euler tour becomes stale until [`Hierarchy::reindex`], which keeps
    /// answers correct but slower.
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
        let old_parent = self.parent_of(node.0);
        if old_parent == new_parent {
            return Ok(());
        }
        if old_parent != NONE {
            self.unlink_child(old_parent, node.0);
        }
        self.set_parent(node.0, new_parent);
        if new_parent != NONE {
            self.link_child_sorted(new_parent, node.0);
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
        let node = (self.nodes.len() - 1) as u32;
        self.first_child.push(NONE);
        self.next.push(NONE);
        self.prev.push(NONE);
        if parent != NONE {
            self.set_parent(node, parent);
            self.link_child_sorted(parent, node);
        }
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
        let columns = [&self.first_child, &self.next, &self.prev, &self.table];
        self.arena.capacity()
            + self.nodes.capacity() * size_of::<Node>()
            + columns
                .iter()
                .map(|c| c.capacity() * size_of::<u32>())
                .sum::<usize>()
    }

    // ----- internals -----

    /// Node `i`'s manager ([`NONE`] for a root or an out-of-range `i`).
    #[inline(always)]
    fn parent_of(&self, i: u32) -> u32 {
        self.nodes.get(i as usize).map_or(NONE, |x| x.parent)
    }

    /// Sets node `i`'s manager; does nothing for an out-of-range `i`.
    #[inline(always)]
    fn set_parent(&mut self, i: u32, parent: u32) {
        if let Some(x) = self.nodes.get_mut(i as usize) {
            x.parent = parent;
        }
    }

    /// How many steps up the manager column from `from` reach `to` (0 when `from == to`), if
    /// they do within `limit` steps (`None`: any number).
    fn climb(&self, to: u32, from: u32, limit: Option<u32>) -> Option<u32> {
        let limit = limit.unwrap_or(u32::MAX);
        let mut cur = from;
        let mut steps = 0u32;
        // The tree has no cycle; the bound on the length only guards the loop.
        while cur != NONE && (steps as usize) <= self.len() {
            if cur == to {
                return Some(steps);
            }
            if steps == limit {
                return None;
            }
            cur = self.parent_of(cur);
            steps += 1;
        }
        None
    }

    /// Node `i`'s id as bytes (empty for an out-of-range `i`).
    #[inline(always)]
    fn id_bytes_at(&self, i: u32) -> &[u8] {
        let i = i as usize;
        if self.id_len != MIXED {
            // Fixed-width ids: the id's place follows from `i` alone.
            let len = self.id_len as usize;
            return match i.checked_mul(len) {
                Some(start) if i < self.nodes.len() => self
                    .arena
                    .as_bytes()
                    .get(start..start + len)
                    .unwrap_or_default(),
                _ => &[],
            };
        }
        let Some(node) = self.nodes.get(i) else {
            return &[];
        };
        let end = self
            .nodes
            .get(i + 1)
            .map_or(self.arena.len(), |next| next.start as usize);
        self.arena
            .as_bytes()
            .get(node.start as usize..end)
            .unwrap_or_default()
    }

    /// Node `i`'s id (empty for an out-of-range `i`).
    #[inline]
    fn id_at(&self, i: u32) -> &str {
        let i = i as usize;
        let Some(node) = self.nodes.get(i) else {
            return "";
        };
        let end = self
            .nodes
            .get(i + 1)
            .map_or(self.arena.len(), |next| next.start as usize);
        self.arena.get(node.start as usize..end).unwrap_or_default()
    }

    /// Looks `id` (with hash `hash`) up in the table.
    #[inline]
    fn find(&self, id: &str, hash: u64) -> Option<u32> {
        let cap = self.table.len();
        if cap == 0 {
            return None;
        }
        let slot = home_slot(hash, cap);
        let value = self.table.get(slot).copied().unwrap_or(0);
        self.find_from(id, hash, slot, value)
    }

    /// The node a home slot holding `value` names when its tag is `hash`'s (the id is still
    /// to be compared), `None` for an empty slot or another tag.
    #[inline(always)]
    fn home_candidate(&self, value: u32, hash: u64) -> Option<u32> {
        (value != 0 && value & self.mask == hash as u32 & self.mask)
            .then(|| (value & !self.mask).wrapping_sub(1))
    }

    /// [`Hierarchy::find_from`] out of line, for [`Hierarchy::node_pair`] when the home slot
    /// holds another id or none (about one lookup in five at the table's 3/4 load): the
    /// common case stays a few inline instructions.
    #[inline(never)]
    fn probe_on(&self, id: &str, hash: u64, slot: usize, value: u32) -> Option<u32> {
        self.find_from(id, hash, slot, value)
    }

    /// Goes on with a lookup whose home slot `slot` (non-empty table) holds `value`.
    #[inline]
    fn find_from(&self, id: &str, hash: u64, mut slot: usize, mut value: u32) -> Option<u32> {
        let cap = self.table.len();
        let tag = hash as u32 & self.mask;
        loop {
            if value == 0 {
                return None;
            }
            if value & self.mask == tag {
                let node = (value & !self.mask).wrapping_sub(1);
                if same_bytes(self.id_bytes_at(node), id.as_bytes()) {
                    return Some(node);
                }
            }
            slot += 1;
            if slot >= cap {
                slot = 0;
            }
            value = *self.table.get(slot)?;
        }
    }

    /// Finds `id` or adds it (arena, node record and table) in one probe sequence. The caller
    /// keeps the table at most 3/4 full.
    #[inline]
    fn intern(&mut self, id: &str, hash: u64) -> Interned {
        let cap = self.table.len();
        let tag = hash as u32 & self.mask;
        let mut slot = home_slot(hash, cap);
        loop {
            let Some(&value) = self.table.get(slot) else {
                return Interned::Full;
            };
            if value == 0 {
                break;
            }
            if value & self.mask == tag {
                let node = (value & !self.mask).wrapping_sub(1);
                if same_bytes(self.id_bytes_at(node), id.as_bytes()) {
                    return Interned::Existing(node);
                }
            }
            slot += 1;
            if slot == cap {
                slot = 0;
            }
        }
        let node = self.nodes.len();
        let start = self.arena.len();
        let end = start
            .checked_add(id.len())
            .and_then(|end| u32::try_from(end).ok());
        let (Some(_), Ok(start), true) = (end, u32::try_from(start), node < MAX_NODES) else {
            return Interned::Full;
        };
        if node == 0 {
            self.id_len = id.len() as u32;
        } else if self.id_len != id.len() as u32 {
            self.id_len = MIXED;
        }
        self.arena.push_str(id);
        self.nodes.push(Node::new(start));
        if let Some(value) = self.table.get_mut(slot) {
            *value = slot_value(hash, node as u32, self.mask);
        }
        Interned::New
    }

    /// Hashes a batch of ids into `hashes` and reads their home slots (and the candidate
    /// node's id), so that the lookups that follow find them in cache.
    #[inline]
    fn touch_slots<'s>(
        &self,
        batch: impl Iterator<Item = Option<&'s str>>,
        hashes: &mut [u64; BATCH],
    ) {
        let cap = self.table.len();
        let mut touched = 0u32;
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
                let node = (value & !self.mask).wrapping_sub(1);
                let start = self.nodes.get(node as usize).map_or(0, |x| x.start);
                touched ^= u32::from(
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
                    *value = slot_value(hash, node, self.mask);
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
        self.mask = tag_mask(cap);
        for i in 0..self.nodes.len() as u32 {
            let hash = hash_id(self.id_bytes_at(i));
            self.place(hash, i);
        }
    }

    /// Cuts every cycle of the manager column, reporting each one.
    fn cut_cycles(&mut self, problems: &mut Vec<HierarchyProblem>) {
        const NEW: u8 = 0;
        const ON_PATH: u8 = 1;
        const DONE: u8 = 2;
        let n = self.nodes.len();
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
                cur = self.parent_of(cur);
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
                    self.set_parent(x, NONE);
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
    /// manager column, no stack.
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
                let p = self.parent_of(cur);
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

    /// Recomputes the Euler tour from the manager column and report lists.
    fn euler_tour(&mut self) {
        let n = self.nodes.len() as u32;
        let mut timer: u32 = 0;
        for root in 0..n {
            if self.parent_of(root) != NONE {
                continue;
            }
            let mut cur = root;
            'enter: loop {
                if let Some(x) = self.nodes.get_mut(cur as usize) {
                    x.tin = timer;
                }
                timer = timer.wrapping_add(1);
                let child = at(&self.first_child, cur);
                if child != NONE {
                    cur = child;
                    continue 'enter;
                }
                loop {
                    if let Some(x) = self.nodes.get_mut(cur as usize) {
                        x.tout = timer.wrapping_sub(1);
                    }
                    if cur == root {
                        break 'enter;
                    }
                    let p = self.parent_of(cur);
                    let sibling = at(&self.next, cur);
                    if sibling != at(&self.first_child, p) {
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
    fn a_long_cycle_is_named_by_its_first_users_and_counted() {
        let ids: Vec<String> = (0..1000).map(|i| format!("u{i:04}")).collect();
        let rows: Vec<(&str, Option<&str>)> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_str(), Some(ids[(i + 1) % ids.len()].as_str())))
            .collect();
        let err = Hierarchy::build_strict(rows).unwrap_err();
        let text = err.to_string();
        assert!(text.len() < 200, "{text}");
        assert!(text.contains("`u0000` -> `u0001`"), "{text}");
        assert!(text.contains("(992 more users)"), "{text}");
        let HierarchyError::Problems(p) = err else {
            panic!("{text}")
        };
        assert!(matches!(&p[..], [HierarchyProblem::Cycle { users }] if users.len() == 1000));
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
    fn node_pair_agrees_with_node_when_ids_sit_away_from_their_home_slot() {
        // At the table's 3/4 load many ids are displaced from their home slot, and a home
        // slot can hold another id: `node_pair` must then probe on as `node` does.
        let users: Vec<String> = (0..3000).map(|i| format!("u{i:07}")).collect();
        let (h, problems) = Hierarchy::build(users.iter().map(|u| (u.as_str(), None)));
        assert!(problems.is_empty());
        let displaced = users
            .iter()
            .enumerate()
            .filter(|(i, u)| {
                let home = home_slot(hash_id(u.as_bytes()), h.table.len());
                h.table[home] & !h.mask != *i as u32 + 1
            })
            .count();
        assert!(
            displaced > 100,
            "the test needs displaced ids ({displaced})"
        );
        let absent = ["u0003000", "u9999999", "x", ""];
        let probes: Vec<&str> = users.iter().map(String::as_str).chain(absent).collect();
        for (k, a) in probes.iter().enumerate() {
            let b = probes[(k * 7 + 3) % probes.len()];
            assert_eq!(h.node_pair(a, b), (h.node(a), h.node(b)), "{a} {b}");
        }
        for (i, u) in users.iter().enumerate() {
            assert_eq!(h.node_pair(u, u).0, Some(NodeId(i as u32)));
        }
        for a in absent {
            assert_eq!(h.node_pair(a, a), (None, None));
        }
    }

    #[test]
    fn fixed_width_ids_then_mixed_ids_are_found() {
        let users: Vec<String> = (0..500).map(|i| format!("u{i:07}")).collect();
        let (mut h, problems) = Hierarchy::build(
            users
                .iter()
                .enumerate()
                .map(|(i, u)| (u.as_str(), (i > 0).then(|| users[(i - 1) / 3].as_str()))),
        );
        assert!(problems.is_empty());
        assert_eq!(h.id_len, 8, "every id has 8 bytes");
        for (i, u) in users.iter().enumerate() {
            assert_eq!(h.node(u), Some(NodeId(i as u32)));
            assert_eq!(h.id(NodeId(i as u32)), Some(u.as_str()));
        }
        assert_eq!(h.node("u0000500"), None);
        assert_eq!(h.node("u000000"), None);
        // A longer and a shorter id: the index switches to the recorded offsets.
        let long = h.insert("a-much-longer-user-id", Some("u0000001")).unwrap();
        let short = h.insert("z", Some("a-much-longer-user-id")).unwrap();
        assert_eq!(h.id_len, MIXED);
        assert_eq!(h.node("a-much-longer-user-id"), Some(long));
        assert_eq!(h.node("z"), Some(short));
        for (i, u) in users.iter().enumerate() {
            assert_eq!(h.node(u), Some(NodeId(i as u32)));
        }
        assert!(h.is_below(n(&h, "u0000001"), short, Some(2)));
        assert!(!h.is_below(n(&h, "u0000001"), short, Some(1)));
        assert_eq!(h.levels_below(n(&h, "u0000000"), short), Some(3));
        assert_eq!(
            h.node_pair("u0000001", "z"),
            (Some(n(&h, "u0000001")), Some(short))
        );
        assert_eq!(h.node_pair("nobody", "u0000002"), (None, Some(NodeId(2))));
        assert_eq!(Hierarchy::new().node_pair("a", "b"), (None, None));
    }

    #[test]
    fn slot_tags_leave_room_for_every_node() {
        for cap in [16usize, 17, 1_333_333, 1 << 31, (1 << 32) - 1] {
            let mask = tag_mask(cap);
            // node + 1 <= cap must fit below the tag.
            assert_eq!(mask & (cap as u32), 0, "{cap}");
        }
        assert_eq!(tag_mask(1_333_334).count_ones(), 11);
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
