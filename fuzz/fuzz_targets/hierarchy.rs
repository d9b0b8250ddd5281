//! The hierarchy index: rows to build from, then a sequence of changes, checked after every
//! step against a naive model (a parent list walked step by step).
//!
//! The input is text, one command per line: `id [manager]` rows until a line `--`, then
//! `i id [manager]` (insert), `m id [manager]` (move, no manager = to root) and `r`
//! (reindex). At most 32 users and 32 commands, so each check of every pair stays cheap.
//!
//! Invariants: no panic; the problems found at build are those the model finds, in the
//! documented order; every answer (`node`, `manager`, `depth`, `roots`, `direct_reports`,
//! `is_below` at any depth, `levels_below`, `subtree`) equals the model's, whether the Euler
//! tour is current or stale; refused changes leave the index unchanged and are refused with
//! the model's reason.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden_core::hierarchy::{Hierarchy, HierarchyError, HierarchyProblem};

const MAX_USERS: usize = 32;
const MAX_COMMANDS: usize = 32;

/// The model: users in arrival order, each with its manager's position.
#[derive(Default)]
struct Model {
    ids: Vec<String>,
    parent: Vec<Option<usize>>,
}

impl Model {
    fn pos(&self, id: &str) -> Option<usize> {
        self.ids.iter().position(|x| x == id)
    }

    /// Levels from `m` down to `t` (`None` when `t` is not strictly below `m`).
    fn levels(&self, m: usize, t: usize) -> Option<u32> {
        let mut cur = self.parent[t];
        let mut d = 1;
        while let Some(p) = cur {
            if p == m {
                return Some(d);
            }
            cur = self.parent[p];
            d += 1;
        }
        None
    }

    fn depth(&self, t: usize) -> u32 {
        let mut d = 0;
        let mut cur = self.parent[t];
        while let Some(p) = cur {
            d += 1;
            cur = self.parent[p];
        }
        d
    }

    fn children(&self, m: usize) -> Vec<usize> {
        (0..self.ids.len())
            .filter(|&c| self.parent[c] == Some(m))
            .collect()
    }

    /// Every user below `m` within `limit` levels, depth first, reports in arrival order.
    fn subtree(children: &[Vec<usize>], m: usize, limit: u32, depth: u32, out: &mut Vec<usize>) {
        if depth >= limit {
            return;
        }
        for &c in &children[m] {
            out.push(c);
            Model::subtree(children, c, limit, depth + 1, out);
        }
    }

    /// Builds the model from rows as `Hierarchy::build` documents it, with the problems in
    /// its order (cycles compared as sets: their order is checked by the unit tests).
    fn build(
        rows: &[(String, Option<String>)],
    ) -> (Model, Vec<HierarchyProblem>, Vec<Vec<String>>) {
        let mut m = Model::default();
        let mut problems = Vec::new();
        let mut managers = Vec::new();
        let mut reported = Vec::new();
        for (id, manager) in rows {
            match m.pos(id) {
                None => {
                    m.ids.push(id.clone());
                    managers.push(manager.clone());
                }
                Some(p) => {
                    if !reported.contains(&p) {
                        reported.push(p);
                        problems.push(HierarchyProblem::DuplicateId { user: id.clone() });
                    }
                }
            }
        }
        m.parent = vec![None; m.ids.len()];
        for (i, manager) in managers.iter().enumerate() {
            let Some(manager) = manager else { continue };
            if *manager == m.ids[i] {
                problems.push(HierarchyProblem::SelfManaged {
                    user: m.ids[i].clone(),
                });
            } else if let Some(p) = m.pos(manager) {
                m.parent[i] = Some(p);
            } else {
                problems.push(HierarchyProblem::MissingManager {
                    user: m.ids[i].clone(),
                    manager: manager.clone(),
                });
            }
        }
        // A user is on a cycle when walking up from it comes back to it.
        let n = m.ids.len();
        let on_cycle: Vec<bool> = (0..n)
            .map(|i| {
                let mut cur = m.parent[i];
                for _ in 0..n {
                    match cur {
                        Some(p) if p == i => return true,
                        Some(p) => cur = m.parent[p],
                        None => return false,
                    }
                }
                false
            })
            .collect();
        let mut cycles = Vec::new();
        let mut seen = vec![false; n];
        for i in 0..n {
            if !on_cycle[i] || seen[i] {
                continue;
            }
            let mut users = Vec::new();
            let mut cur = i;
            while !seen[cur] {
                seen[cur] = true;
                users.push(m.ids[cur].clone());
                cur = m.parent[cur].expect("a user on a cycle has a manager");
            }
            users.sort();
            cycles.push(users);
        }
        for (i, c) in on_cycle.iter().enumerate() {
            if *c {
                m.parent[i] = None;
            }
        }
        cycles.sort();
        (m, problems, cycles)
    }
}

fn check(h: &Hierarchy, m: &Model) {
    let n = m.ids.len();
    assert_eq!(h.len(), n, "number of users");
    let nodes: Vec<_> = m
        .ids
        .iter()
        .map(|id| h.node(id).unwrap_or_else(|| panic!("`{id}` is not found")))
        .collect();
    let children: Vec<Vec<usize>> = (0..n).map(|i| m.children(i)).collect();
    for (i, node) in nodes.iter().enumerate() {
        assert_eq!(node.index(), i, "handles are numbered in arrival order");
        assert_eq!(h.id(*node), Some(m.ids[i].as_str()));
        assert_eq!(
            h.manager(*node).map(|p| p.index()),
            m.parent[i],
            "manager of `{}`",
            m.ids[i]
        );
        assert_eq!(h.depth(*node), m.depth(i), "depth of `{}`", m.ids[i]);
        let reports: Vec<usize> = h.direct_reports(*node).map(|r| r.index()).collect();
        assert_eq!(reports, children[i], "direct reports of `{}`", m.ids[i]);
        for k in [None, Some(0), Some(1), Some(2), Some(3)] {
            let mut expected = Vec::new();
            if k != Some(0) {
                Model::subtree(&children, i, k.unwrap_or(u32::MAX), 0, &mut expected);
            }
            let got: Vec<usize> = h.subtree(*node, k).iter().map(|x| x.index()).collect();
            assert_eq!(got, expected, "subtree of `{}` at depth {k:?}", m.ids[i]);
        }
    }
    let roots: Vec<usize> = h.roots().map(|r| r.index()).collect();
    let expected: Vec<usize> = (0..n).filter(|&i| m.parent[i].is_none()).collect();
    assert_eq!(roots, expected, "roots");
    for (a, &na) in nodes.iter().enumerate() {
        for (b, &nb) in nodes.iter().enumerate() {
            let d = m.levels(a, b);
            assert_eq!(
                h.levels_below(na, nb),
                d,
                "levels from `{}` to `{}`",
                m.ids[a],
                m.ids[b]
            );
            for k in [None, Some(0), Some(1), Some(2), Some(3)] {
                let expected = d.is_some_and(|d| k.is_none_or(|k| d <= k));
                assert_eq!(
                    h.is_below(na, nb, k),
                    expected,
                    "is `{}` below `{}` within {k:?} (indexed: {})",
                    m.ids[b],
                    m.ids[a],
                    h.is_indexed()
                );
            }
            let (pa, pb) = h.node_pair(&m.ids[a], &m.ids[b]);
            assert_eq!((pa, pb), (Some(na), Some(nb)), "node_pair");
        }
    }
    assert_eq!(h.node("\u{0}not a user"), None);
}

fn parse(line: &str) -> (Option<&str>, Option<&str>) {
    let mut words = line.split_whitespace();
    (words.next(), words.next())
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.lines();
    let mut rows = Vec::new();
    for line in lines.by_ref() {
        if line.trim() == "--" {
            break;
        }
        if let (Some(id), manager) = parse(line) {
            rows.push((id.to_owned(), manager.map(str::to_owned)));
        }
        if rows.len() >= MAX_USERS {
            break;
        }
    }
    let (mut h, problems) = Hierarchy::build(rows.iter().map(|(u, m)| (u.as_str(), m.as_deref())));
    let (mut model, expected, cycles) = Model::build(&rows);
    let (mut got_cycles, others): (Vec<_>, Vec<_>) = problems
        .into_iter()
        .partition(|p| matches!(p, HierarchyProblem::Cycle { .. }));
    assert_eq!(others, expected, "build: problems other than cycles");
    let mut got_cycles: Vec<Vec<String>> = got_cycles
        .drain(..)
        .map(|p| match p {
            HierarchyProblem::Cycle { mut users } => {
                users.sort();
                users
            }
            _ => unreachable!(),
        })
        .collect();
    got_cycles.sort();
    assert_eq!(got_cycles, cycles, "build: cycles");
    assert!(h.is_indexed());
    check(&h, &model);

    for line in lines.take(MAX_COMMANDS) {
        let mut words = line.split_whitespace();
        let cmd = words.next();
        let (id, manager) = (words.next(), words.next());
        match (cmd, id) {
            (Some("r"), _) => {
                h.reindex();
                assert!(h.is_indexed(), "reindexed but stale");
            }
            (Some("i"), Some(id)) if model.ids.len() < MAX_USERS => {
                let got = h.insert(id, manager);
                let expected = if model.pos(id).is_some() {
                    Err(HierarchyError::DuplicateId {
                        user: id.to_owned(),
                    })
                } else {
                    match manager.map(|mgr| model.pos(mgr).ok_or(mgr)) {
                        Some(Err(mgr)) => Err(HierarchyError::UnknownManager {
                            user: id.to_owned(),
                            manager: mgr.to_owned(),
                        }),
                        Some(Ok(p)) => Ok(Some(p)),
                        None => Ok(None),
                    }
                };
                match expected {
                    Ok(parent) => {
                        let node = got.unwrap_or_else(|e| panic!("insert `{id}` refused: {e}"));
                        assert_eq!(node.index(), model.ids.len());
                        model.ids.push(id.to_owned());
                        model.parent.push(parent);
                    }
                    Err(e) => assert_eq!(got.err(), Some(e), "insert `{id}`"),
                }
            }
            (Some("m"), Some(id)) => {
                let got = h.set_manager_by_id(id, manager);
                match model.pos(id) {
                    None => assert!(
                        matches!(got, Err(HierarchyError::UnknownNode { .. })),
                        "move of unknown `{id}`: {got:?}"
                    ),
                    Some(u) => match manager.map(|mgr| model.pos(mgr).ok_or(mgr)) {
                        Some(Err(mgr)) => assert_eq!(
                            got,
                            Err(HierarchyError::UnknownManager {
                                user: id.to_owned(),
                                manager: mgr.to_owned()
                            })
                        ),
                        Some(Ok(p)) if p == u || model.levels(u, p).is_some() => assert_eq!(
                            got,
                            Err(HierarchyError::WouldCreateCycle {
                                user: id.to_owned(),
                                manager: model.ids[p].clone()
                            }),
                            "move `{id}` under its own report"
                        ),
                        target => {
                            assert_eq!(got, Ok(()), "move `{id}`");
                            model.parent[u] = target.map(|t| t.expect("checked above"));
                        }
                    },
                }
            }
            _ => continue,
        }
        check(&h, &model);
    }
});
