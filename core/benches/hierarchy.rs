//! Benchmarks of the manager hierarchy index: build at 10k/100k/1M users of a realistic org
//! tree (every manager has 3 to 12 reports), `is_below` at depth 1 and unlimited, id lookup,
//! and heap bytes per user (printed).

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use warden_core::hierarchy::{Hierarchy, NodeId};

/// A small deterministic PRNG (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Manager index of each user (breadth first: every manager gets 3 to 12 reports).
fn org_parents(n: usize, rng: &mut Rng) -> Vec<Option<usize>> {
    let mut parent = vec![None; n];
    let mut manager = 0;
    let mut next = 1;
    while next < n {
        let reports = 3 + rng.below(10);
        for _ in 0..reports {
            if next == n {
                break;
            }
            parent[next] = Some(manager);
            next += 1;
        }
        manager += 1;
    }
    parent
}

/// Ids plus rows listed in a shuffled order (so handles do not follow the tree).
struct Org {
    ids: Vec<String>,
    parent: Vec<Option<usize>>,
    order: Vec<usize>,
}

impl Org {
    fn new(n: usize, id: IdFn) -> Org {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ n as u64);
        let parent = org_parents(n, &mut rng);
        let ids = (0..n).map(id).collect();
        let mut order: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            order.swap(i, rng.below(i + 1));
        }
        Org { ids, parent, order }
    }

    fn rows(&self) -> impl Iterator<Item = (&str, Option<&str>)> + '_ {
        self.order.iter().map(|&i| {
            (
                self.ids[i].as_str(),
                self.parent[i].map(|p| self.ids[p].as_str()),
            )
        })
    }
}

/// Makes the id of user `i`.
type IdFn = fn(usize) -> String;

fn short_id(i: usize) -> String {
    format!("u{i:07}")
}

fn uuid_like_id(i: usize) -> String {
    let h = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        h >> 32,
        (h >> 16) & 0xffff,
        h & 0xfff,
        i & 0xfff,
        i
    )
}

fn report_memory() {
    let kinds: [(&str, IdFn); 2] = [("8-byte ids", short_id), ("36-byte uuid ids", uuid_like_id)];
    for (label, id) in kinds {
        for n in [10_000, 100_000, 1_000_000] {
            let org = Org::new(n, id);
            let start = Instant::now();
            let (h, problems) = Hierarchy::build(org.rows());
            let took = start.elapsed();
            assert!(problems.is_empty());
            let max_depth = h.nodes().map(|x| h.depth(x)).max().unwrap_or(0);
            println!(
                "hierarchy {label}: {n} users, one build {:.1} ms, {} heap bytes = {:.1} bytes/user \
                 (ids alone {:.1}), max depth {max_depth}",
                took.as_secs_f64() * 1e3,
                h.heap_bytes(),
                h.heap_bytes() as f64 / n as f64,
                org.ids.iter().map(String::len).sum::<usize>() as f64 / n as f64,
            );
        }
    }
}

fn bench_build(c: &mut Criterion) {
    report_memory();
    let mut group = c.benchmark_group("hierarchy_build");
    group.sample_size(10);
    for n in [10_000, 100_000, 1_000_000] {
        let org = Org::new(n, short_id);
        group.bench_with_input(BenchmarkId::from_parameter(n), &org, |b, org| {
            b.iter(|| Hierarchy::build(black_box(org.rows())))
        });
    }
    let org = Org::new(1_000_000, uuid_like_id);
    group.bench_function("1000000_uuid_ids", |b| {
        b.iter(|| Hierarchy::build(black_box(org.rows())))
    });
    group.finish();
}

/// Query pairs that stay in cache.
const HOT: usize = 4096;
/// Query pairs spread over the whole org (a power of two).
const PAIRS: usize = 1 << 20;

fn bench_queries(c: &mut Criterion) {
    let n = 1_000_000;
    let org = Org::new(n, short_id);
    let (mut h, _) = Hierarchy::build(org.rows());
    let mut rng = Rng(42);
    let targets: Vec<NodeId> = (0..PAIRS)
        .map(|_| h.node(&org.ids[rng.below(n)]).unwrap())
        .collect();
    // Half the pairs hold (an ancestor, the parent), half are random (almost always false).
    let unlimited: Vec<(NodeId, NodeId)> = targets
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            let m = if i % 2 == 0 {
                let mut m = t;
                let steps = rng.below(h.depth(t) as usize + 1).max(1);
                for _ in 0..steps {
                    m = h.manager(m).unwrap_or(m);
                }
                m
            } else {
                h.node(&org.ids[rng.below(n)]).unwrap()
            };
            (m, t)
        })
        .collect();
    let direct: Vec<(NodeId, NodeId)> = targets
        .iter()
        .enumerate()
        .map(|(i, &t)| match h.manager(t) {
            Some(m) if i % 2 == 0 => (m, t),
            _ => (h.node(&org.ids[rng.below(n)]).unwrap(), t),
        })
        .collect();

    let mut group = c.benchmark_group("hierarchy_1m");
    // "hot": 4,096 pairs that stay in cache; "cold": 2^20 pairs spread over the whole org.
    for (heat, mask) in [("hot", HOT - 1), ("cold", PAIRS - 1)] {
        for (name, pairs, k) in [
            ("is_below_depth_1", &direct, Some(1)),
            ("is_below_unlimited", &unlimited, None),
        ] {
            group.bench_function(format!("{name}_{heat}"), |b| {
                let mut i = 0;
                b.iter(|| {
                    let (m, t) = pairs[i & mask];
                    i += 1;
                    black_box(h.is_below(black_box(m), black_box(t), k))
                })
            });
        }
        let lookups: Vec<&str> = targets[..=mask].iter().map(|&t| h.id(t).unwrap()).collect();
        group.bench_function(format!("node_lookup_{heat}"), |b| {
            let mut i = 0;
            b.iter(|| {
                i += 1;
                black_box(h.node(black_box(lookups[i & mask])))
            })
        });
    }
    // After a move the Euler tour is stale: membership walks up the parents.
    let mut stale = h.clone();
    stale.set_manager(targets[0], None).unwrap();
    group.bench_function("is_below_unlimited_stale_cold", |b| {
        let mut i = 0;
        b.iter(|| {
            let (m, t) = unlimited[i & (PAIRS - 1)];
            i += 1;
            black_box(stale.is_below(black_box(m), black_box(t), None))
        })
    });
    group.sample_size(10);
    // Move a user back and forth between two managers, then rebuild the Euler tour.
    let mover = targets[1];
    let managers = [h.manager(mover), h.nodes().next()];
    group.bench_function("set_manager_then_reindex", |b| {
        let mut i = 0;
        b.iter(|| {
            i += 1;
            h.set_manager(mover, managers[i & 1]).unwrap();
            h.reindex();
        })
    });
    group.bench_function("set_manager_only", |b| {
        let mut i = 0;
        b.iter(|| {
            i += 1;
            h.set_manager(mover, managers[i & 1]).unwrap();
        })
    });
    group.finish();
}

criterion_group!(benches, bench_build, bench_queries);
criterion_main!(benches);
