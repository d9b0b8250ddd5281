//! Authorization and list scoping against generated directories of 10k, 100k and 1M users.
//!
//! Run with `cargo bench -p warden-core --bench authorize` (set `WARDEN_BENCH_SIZES` to a
//! comma-separated list to change the sizes, e.g. `10000` for a smoke run). Reports, per
//! size: index build time, heap bytes per user of the index, and per-decision latency for
//! organisation scope, manager N-1, whole-subtree visibility and a super admin (all allowed),
//! then N-1 and subtree denied (another user of the organisation, not below the actor: the
//! denies the comparison bench mixes in); the anchor of the same run is one
//! `HashMap<String, u32>` lookup of the target id (the floor of any engine that must find the
//! target in its data), reported as a ratio.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

use serde_json::json;
use warden_core::access::{AuthorizeRequest, Directory, Target, authorize, scope};
use warden_core::model::Account;
use warden_core::{Lang, Policy, Timestamp};

/// A deterministic org forest: `orgs` organisations, 3–12 reports per manager.
fn generate(n: usize, orgs: usize) -> (Vec<String>, Vec<Option<u32>>, Vec<u32>) {
    let mut ids = Vec::with_capacity(n);
    let mut managers = Vec::with_capacity(n);
    let mut org_of = Vec::with_capacity(n);
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    // Breadth-first per organisation.
    let per_org = n / orgs;
    for o in 0..orgs {
        let base = ids.len();
        ids.push(format!("u{base:07}"));
        managers.push(None);
        org_of.push(o as u32);
        let mut next_manager = base;
        let mut left = 0u64;
        while ids.len() < base + per_org {
            if left == 0 {
                left = 3 + rnd() % 10;
                next_manager += if ids.len() == base + 1 { 0 } else { 1 };
            }
            let i = ids.len();
            ids.push(format!("u{i:07}"));
            managers.push(Some(next_manager.min(i - 1) as u32));
            org_of.push(o as u32);
            left -= 1;
        }
    }
    (ids, managers, org_of)
}

fn policy() -> Policy {
    // Org-wide read for HR, N-1 for everyone (R001-03), whole subtree for directors.
    Policy::from_value(json!({
        "warden": 1, "name": "bench",
        "access": {
            "modules": {"users": ["read", "update"]},
            "roles": {
                "employee": {"permissions": [{"allow": "users.read", "scope": "own"}, {"allow": "users.read", "scope": "team", "depth": 1}]},
                "director": {"inherits": ["employee"], "permissions": [{"allow": "users.update", "scope": "team"}]},
                "hr": {"permissions": [{"allow": "users.read", "scope": "organization"}]}
            }
        }
    }))
    .unwrap()
}

fn main() {
    let sizes: Vec<usize> = std::env::var("WARDEN_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000, 1_000_000]);
    let p = policy();
    let now = Timestamp::from_unix(1_800_000_000);
    println!(
        "| users | index build | index bytes/user | org scope | N-1 | subtree | super admin | N-1 denied | subtree denied | scope() | anchor (id lookup) | N-1 / anchor |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for n in sizes {
        let orgs = (n / 10_000).max(1);
        let (ids, managers, org_of) = generate(n, orgs);
        let t = Instant::now();
        let (dir, problems) = Directory::from_rows(
            ids.iter()
                .zip(&managers)
                .map(|(id, m)| (id.as_str(), m.map(|m| ids[m as usize].as_str()))),
        );
        let build = t.elapsed();
        assert!(problems.is_empty());
        let bytes = dir.hierarchy().heap_bytes() as f64 / n as f64;

        // Queries: (actor, target) pairs drawn deterministically; targets are direct reports
        // (allowed for N-1), grandchildren (allowed for subtree), and same-org users.
        let mut pairs = Vec::new();
        let mut k: usize = 12345;
        while pairs.len() < 4096 {
            k = (k
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407))
                % n;
            if let Some(m) = managers[k] {
                pairs.push((m as usize, k));
            }
        }
        let account = |i: usize, roles: &[&str]| {
            let mut a = Account::new(ids[i].clone());
            a.organization = Some(format!("o{}", org_of[i]));
            a.roles = roles.iter().map(|r| r.to_string()).collect();
            a
        };
        let target = |i: usize| Target {
            id: ids[i].clone(),
            organization: Some(format!("o{}", org_of[i])),
            manager: managers[i].map(|m| ids[m as usize].clone()),
            ..Target::default()
        };
        // Whether `u` is `a` or below it.
        let below = |a: usize, mut u: usize| {
            while u != a {
                match managers[u] {
                    Some(m) => u = m as usize,
                    None => return false,
                }
            }
            true
        };
        let reqs_of =
            |roles: &[&str], up: usize, action: &str, deny: bool| -> Vec<AuthorizeRequest> {
                pairs
                    .iter()
                    .filter_map(|&(m, t)| {
                        // `up` levels above the target.
                        let mut a = m;
                        for _ in 1..up {
                            if let Some(x) = managers[a] {
                                a = x as usize;
                            }
                        }
                        // For a deny: another user of the organisation, not below the actor
                        // (none when the actor heads the organisation: the pair is left out).
                        let mut t = t;
                        let mut tries = 0;
                        while deny && (below(a, t) || org_of[t] != org_of[a]) {
                            t = (t.wrapping_mul(2_654_435_761).wrapping_add(12_345)) % n;
                            tries += 1;
                            if tries == 10_000 {
                                return None;
                            }
                        }
                        Some(AuthorizeRequest {
                            actor: account(a, roles),
                            action: action.into(),
                            target: target(t),
                            change: None,
                        })
                    })
                    .collect()
            };
        let reqs = |roles: &[&str], up: usize, action: &str| reqs_of(roles, up, action, false);
        let time = |reqs: &[AuthorizeRequest], expect_allow: bool| -> f64 {
            for r in reqs.iter().take(64) {
                let d = authorize(&p, &dir, r, now, Lang::En).unwrap();
                assert_eq!(
                    d.allowed(),
                    expect_allow,
                    "{:?} -> {:?}: {:?}",
                    r.actor.id,
                    r.target.id,
                    d.deny
                );
            }
            let mut best = f64::MAX;
            for _ in 0..5 {
                let t = Instant::now();
                for r in reqs {
                    black_box(authorize(&p, &dir, black_box(r), now, Lang::En).unwrap());
                }
                best = best.min(t.elapsed().as_nanos() as f64 / reqs.len() as f64);
            }
            best
        };
        let org = time(&reqs(&["hr"], 1, "users.read"), true);
        let n1 = time(&reqs(&["employee"], 1, "users.read"), true);
        let sub = time(&reqs(&["director"], 3, "users.update"), true);
        let mut sa_reqs = reqs(&[], 1, "users.update");
        for r in &mut sa_reqs {
            r.actor.super_admin = true;
        }
        let sa = time(&sa_reqs, true);
        let n1_deny = time(&reqs_of(&["employee"], 1, "users.read", true), false);
        let sub_deny = time(&reqs_of(&["director"], 3, "users.update", true), false);
        let actors: Vec<Account> = pairs
            .iter()
            .map(|&(m, _)| account(m, &["employee"]))
            .collect();
        let t = Instant::now();
        for a in &actors {
            black_box(scope(&p, a, "users.read", now).unwrap());
        }
        let sc = t.elapsed().as_nanos() as f64 / actors.len() as f64;
        // Anchor: one hash lookup of the target id.
        let map: HashMap<&str, u32> = ids
            .iter()
            .enumerate()
            .map(|(i, s)| (s.as_str(), i as u32))
            .collect();
        let keys: Vec<&str> = pairs.iter().map(|&(_, t)| ids[t].as_str()).collect();
        let mut best = f64::MAX;
        for _ in 0..5 {
            let t = Instant::now();
            for k in &keys {
                black_box(map.get(black_box(k)));
            }
            best = best.min(t.elapsed().as_nanos() as f64 / keys.len() as f64);
        }
        println!(
            "| {n} | {:.1} ms | {bytes:.1} | {org:.0} ns | {n1:.0} ns | {sub:.0} ns | {sa:.0} ns | {n1_deny:.0} ns | {sub_deny:.0} ns | {sc:.0} ns | {best:.0} ns | {:.1}x |",
            build.as_secs_f64() * 1e3,
            n1 / best
        );
    }
}
