//! Authorization: Warden against `cedar-policy` (and `casbin` where it can express the
//! scenario) on one scenario, over directories of 1,000, 100,000 and (with
//! `WARDEN_BENCH_FULL=1`) 1,000,000 users.
//!
//! The scenario (the org forest of `core/benches/authorize.rs`, copied below):
//! - organisation scope: an `hr` user reads any user of its own organisation;
//! - manager N-1: an `employee` reads its direct reports (and itself);
//! - subtree: a `director` updates anyone below it, at any depth;
//! - super admin: updates anyone, in any organisation.
//!
//! Both engines get the same facts per request: Warden's `AuthorizeRequest` carries the
//! actor (organisation, roles, super admin) and the target (organisation, manager); Cedar's
//! request carries the same values in its context. The only resident data on both sides is
//! the manager hierarchy: Warden's `Directory`, Cedar's `Entities` (users whose parent is
//! their manager, transitive closure computed at load, no schema). casbin (RBAC with
//! domains) holds what its model needs: one role link per user, one policy line per
//! organisation; it cannot express manager N-1 or subtree visibility (see BENCHMARKS.md).
//!
//! Memory: a counting global allocator measures the heap bytes each engine keeps after
//! loading, divided by the number of users. Every decision set is first decided by every
//! engine and the verdicts asserted equal; timings are medians of interleaved rounds.
//!
//! Run with `cargo bench -p warden-compare --bench authorize` (`WARDEN_BENCH_SMOKE=1`:
//! 1,000 users only; `WARDEN_BENCH_SIZES=1000000`: only the sizes listed, comma-separated,
//! e.g. to profile one size without waiting for the others; `WARDEN_BENCH_SCENARIOS=n1`:
//! only the scenarios listed, comma-separated among `org`, `n1`, `subtree` and `superadmin`;
//! a fragment of selected sizes or scenarios is not the full table of BENCHMARKS.md).
//! Writes `authorize-rust.md` into `target/bench-compare/`.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a bench binary: a broken assumption should stop the run loudly"
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashSet;
use std::fmt::Write as _;
use std::hint::black_box;
use std::str::FromStr;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Instant;

use casbin::{CoreApi, DefaultModel, Enforcer, MemoryAdapter, MgmtApi};
use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid,
    PolicySet, Request, RestrictedExpression,
};
use serde_json::json;
use warden_compare::{fmt_ns, full, median, ratio, smoke, write_fragment};
use warden_core::access::{AuthorizeRequest, Directory, Target, authorize};
use warden_core::model::Account;
use warden_core::{Lang, Policy, Timestamp};

/// The system allocator, counting the bytes currently allocated.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

#[allow(
    unsafe_code,
    reason = "a global allocator is an unsafe trait; this one only forwards to System and counts"
)]
// SAFETY: every method forwards to `System` with the caller's arguments unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded as is.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded as is.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded as is.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: forwarded as is.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

/// A deterministic org forest: `orgs` organisations, 3–12 reports per manager (the
/// generator of `core/benches/authorize.rs`).
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

fn warden_policy() -> Policy {
    Policy::from_value(json!({
        "warden": 1, "name": "compare-authorize",
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

/// The same scenario in Cedar: the request context carries what Warden's request carries.
const CEDAR_POLICIES: &str = r#"
permit(principal, action, resource) when { context.superAdmin };
permit(principal, action == Action::"users.read", resource)
  when { context.actorOrg == context.targetOrg && context.actorRoles.contains("hr") };
permit(principal, action == Action::"users.read", resource)
  when { context.actorOrg == context.targetOrg
         && (context.actorRoles.contains("employee") || context.actorRoles.contains("director"))
         && (resource == principal || (context has targetManager && context.targetManager == principal)) };
permit(principal, action == Action::"users.update", resource)
  when { context.actorOrg == context.targetOrg && context.actorRoles.contains("director")
         && resource in principal };
"#;

/// RBAC with domains: a role held in an organisation; super admin as a role in domain `*`.
const CASBIN_MODEL: &str = r#"
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, dom, obj, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, "superadmin", "*") || (g(r.sub, p.sub, r.dom) && r.dom == p.dom && r.obj == p.obj && r.act == p.act)
"#;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Scenario {
    Org,
    N1,
    Subtree,
    SuperAdmin,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::Org => "organisation scope (hr reads)",
            Scenario::N1 => "manager N-1 (employee reads)",
            Scenario::Subtree => "subtree (director updates, 3 levels)",
            Scenario::SuperAdmin => "super admin (updates anyone)",
        }
    }
    fn roles(self) -> &'static [&'static str] {
        match self {
            Scenario::Org => &["hr"],
            Scenario::N1 => &["employee"],
            Scenario::Subtree => &["director"],
            Scenario::SuperAdmin => &[],
        }
    }
    /// The scenario's name in `WARDEN_BENCH_SCENARIOS`.
    fn key(self) -> &'static str {
        match self {
            Scenario::Org => "org",
            Scenario::N1 => "n1",
            Scenario::Subtree => "subtree",
            Scenario::SuperAdmin => "superadmin",
        }
    }
    fn action(self) -> &'static str {
        match self {
            Scenario::Org | Scenario::N1 => "users.read",
            Scenario::Subtree | Scenario::SuperAdmin => "users.update",
        }
    }
}

struct World {
    ids: Vec<String>,
    managers: Vec<Option<u32>>,
    org_of: Vec<u32>,
    n: usize,
}

impl World {
    fn org(&self, i: usize) -> String {
        format!("o{}", self.org_of[i])
    }

    /// 2,048 (actor, target) pairs: half that the scenario allows, half that it denies
    /// (another user of the same organisation; for organisation scope, a user of another
    /// organisation; super admins are allowed everything).
    fn pairs(&self, s: Scenario) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut k: usize = 12345;
        let mut next = |n: usize| {
            k = (k
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407))
                % n;
            k
        };
        while out.len() < 2048 {
            let t = next(self.n);
            let Some(m) = self.managers[t] else { continue };
            let mut a = m as usize;
            if s == Scenario::Subtree {
                for _ in 1..3 {
                    if let Some(x) = self.managers[a] {
                        a = x as usize;
                    }
                }
            }
            let deny = out.len() % 2 == 1 && s != Scenario::SuperAdmin;
            let target = if !deny {
                t
            } else if s == Scenario::Org {
                // a user of the next organisation
                let per = self.n / (self.org_of[self.n - 1] as usize + 1);
                (t + per) % self.n
            } else {
                // a user of the same organisation, not below the actor
                let mut u = next(self.n);
                let mut tries = 0;
                while (self.org_of[u] != self.org_of[a] || self.below(a, u)) && tries < 10_000 {
                    u = next(self.n);
                    tries += 1;
                }
                u
            };
            out.push((a, target));
        }
        out
    }

    fn below(&self, a: usize, mut u: usize) -> bool {
        if a == u {
            return true;
        }
        while let Some(m) = self.managers[u] {
            if m as usize == a {
                return true;
            }
            u = m as usize;
        }
        false
    }
}

fn user_uid(ty: &EntityTypeName, id: &str) -> EntityUid {
    EntityUid::from_type_name_and_id(ty.clone(), EntityId::new(id))
}

struct Timed {
    scenario: Scenario,
    warden: f64,
    cedar: f64,
    casbin: Option<f64>,
    allowed: usize,
}

struct SizeResult {
    n: usize,
    warden_build: f64,
    cedar_build: f64,
    casbin_build: Option<f64>,
    warden_bytes: f64,
    cedar_bytes: f64,
    casbin_bytes: Option<f64>,
    timed: Vec<Timed>,
}

/// Every scenario, in table order.
const SCENARIOS: [Scenario; 4] = [
    Scenario::Org,
    Scenario::N1,
    Scenario::Subtree,
    Scenario::SuperAdmin,
];

/// The scenarios `WARDEN_BENCH_SCENARIOS` selects (all of them when it is not set).
fn chosen_scenarios() -> Vec<Scenario> {
    let Ok(list) = std::env::var("WARDEN_BENCH_SCENARIOS") else {
        return SCENARIOS.to_vec();
    };
    list.split(',')
        .map(|key| {
            let key = key.trim();
            *SCENARIOS
                .iter()
                .find(|s| s.key() == key)
                .unwrap_or_else(|| {
                    let known: Vec<&str> = SCENARIOS.iter().map(|s| s.key()).collect();
                    panic!(
                        "WARDEN_BENCH_SCENARIOS: `{key}` is none of {}",
                        known.join(", ")
                    )
                })
        })
        .collect()
}

fn run_size(n: usize, rounds: usize, with_casbin: bool, scenarios: &[Scenario]) -> SizeResult {
    let orgs = (n / 10_000).max(2);
    let (ids, managers, org_of) = generate(n, orgs);
    let w = World {
        ids,
        managers,
        org_of,
        n,
    };
    let policy = warden_policy();
    let now = Timestamp::from_unix(1_800_000_000);

    // ---- load: Warden's directory
    let before = live();
    let t = Instant::now();
    let (dir, problems) = Directory::from_rows(
        w.ids
            .iter()
            .zip(&w.managers)
            .map(|(id, m)| (id.as_str(), m.map(|m| w.ids[m as usize].as_str()))),
    );
    let warden_build = t.elapsed().as_nanos() as f64;
    let warden_bytes = (live() - before) as f64 / n as f64;
    assert!(problems.is_empty());

    // ---- load: Cedar's entities (from the same rows, parents = manager)
    let user_ty = EntityTypeName::from_str("User").unwrap();
    let before = live();
    let t = Instant::now();
    let entities = Entities::from_entities(
        w.ids.iter().zip(&w.managers).map(|(id, m)| {
            let parents: HashSet<EntityUid> = m
                .map(|m| user_uid(&user_ty, &w.ids[m as usize]))
                .into_iter()
                .collect();
            Entity::new_no_attrs(user_uid(&user_ty, id), parents)
        }),
        None,
    )
    .unwrap();
    let cedar_build = t.elapsed().as_nanos() as f64;
    let cedar_bytes = (live() - before) as f64 / n as f64;
    let cedar_policies = PolicySet::from_str(CEDAR_POLICIES).unwrap();
    let authorizer = Authorizer::new();

    // ---- load: casbin (role link per user, policy line per organisation)
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let casbin = with_casbin.then(|| {
        let before = live();
        let t = Instant::now();
        let e = rt.block_on(async {
            let m = DefaultModel::from_str(CASBIN_MODEL).await.unwrap();
            let mut e = Enforcer::new(m, MemoryAdapter::default()).await.unwrap();
            let lines: Vec<Vec<String>> = (0..orgs)
                .map(|o| vec!["hr".into(), format!("o{o}"), "users".into(), "read".into()])
                .collect();
            e.add_policies(lines).await.unwrap();
            // every user holds `hr` in its organisation (the roles of the org scenario),
            // and one in a hundred is a super admin
            let links: Vec<Vec<String>> = (0..n)
                .map(|i| {
                    if i % 100 == 99 {
                        vec![w.ids[i].clone(), "superadmin".into(), "*".into()]
                    } else {
                        vec![w.ids[i].clone(), "hr".into(), w.org(i)]
                    }
                })
                .collect();
            e.add_grouping_policies(links).await.unwrap();
            e
        });
        let build = t.elapsed().as_nanos() as f64;
        let bytes = (live() - before) as f64 / n as f64;
        (e, build, bytes)
    });

    let mut timed = Vec::new();
    for &s in scenarios {
        // casbin knows roles from its store (user `i` is a super admin when `i % 100 == 99`):
        // pick actors it holds in the scenario's role (same organisation either way).
        let pairs: Vec<(usize, usize)> = w
            .pairs(s)
            .into_iter()
            .map(|(a, t)| match s {
                Scenario::SuperAdmin => ((a - a % 100 + 99).min(n - 1), t),
                Scenario::Org if a % 100 == 99 => (a - 1, t),
                _ => (a, t),
            })
            .collect();
        let wreqs: Vec<AuthorizeRequest> = pairs
            .iter()
            .map(|&(a, t)| {
                let mut actor = Account::new(w.ids[a].clone());
                actor.organization = Some(w.org(a));
                actor.roles = s.roles().iter().map(|r| r.to_string()).collect();
                actor.super_admin = s == Scenario::SuperAdmin;
                AuthorizeRequest {
                    actor,
                    action: s.action().into(),
                    target: Target {
                        id: w.ids[t].clone(),
                        organization: Some(w.org(t)),
                        manager: w.managers[t].map(|m| w.ids[m as usize].clone()),
                        ..Target::default()
                    },
                    change: None,
                }
            })
            .collect();
        let action_ty = EntityTypeName::from_str("Action").unwrap();
        let creqs: Vec<Request> = pairs
            .iter()
            .map(|&(a, t)| {
                let mut ctx = vec![
                    (
                        "actorOrg".to_owned(),
                        RestrictedExpression::new_string(w.org(a)),
                    ),
                    (
                        "actorRoles".to_owned(),
                        RestrictedExpression::new_set(
                            s.roles()
                                .iter()
                                .map(|r| RestrictedExpression::new_string(r.to_string())),
                        ),
                    ),
                    (
                        "superAdmin".to_owned(),
                        RestrictedExpression::new_bool(s == Scenario::SuperAdmin),
                    ),
                    (
                        "targetOrg".to_owned(),
                        RestrictedExpression::new_string(w.org(t)),
                    ),
                ];
                if let Some(m) = w.managers[t] {
                    ctx.push((
                        "targetManager".to_owned(),
                        RestrictedExpression::new_entity_uid(user_uid(
                            &user_ty,
                            &w.ids[m as usize],
                        )),
                    ));
                }
                Request::new(
                    user_uid(&user_ty, &w.ids[a]),
                    user_uid(&action_ty, s.action()),
                    user_uid(&user_ty, &w.ids[t]),
                    Context::from_pairs(ctx).unwrap(),
                    None,
                )
                .unwrap()
            })
            .collect();
        let kreqs: Vec<(String, String, &str, &str)> = pairs
            .iter()
            .map(|&(a, t)| {
                let (_, act) = s.action().split_once('.').unwrap();
                (w.ids[a].clone(), w.org(t), "users", act)
            })
            .collect();
        let casbin_applies = casbin.is_some() && matches!(s, Scenario::Org | Scenario::SuperAdmin);

        // Same verdicts first.
        let mut allowed = 0;
        for (i, r) in wreqs.iter().enumerate() {
            let wa = authorize(&policy, &dir, r, now, Lang::En)
                .unwrap()
                .allowed();
            let ca = authorizer
                .is_authorized(&creqs[i], &cedar_policies, &entities)
                .decision()
                == Decision::Allow;
            assert_eq!(
                wa, ca,
                "{n} users, {s:?}: {} -> {}: warden {wa}, cedar {ca}",
                r.actor.id, r.target.id
            );
            if casbin_applies && let Some((e, _, _)) = &casbin {
                let k = &kreqs[i];
                let ka = e.enforce((&k.0, &k.1, k.2, k.3)).unwrap();
                assert_eq!(wa, ka, "{n} users, {s:?}: casbin {ka} for {k:?}");
            }
            allowed += usize::from(wa);
        }
        if s != Scenario::SuperAdmin {
            assert!(
                allowed > 0 && allowed < wreqs.len(),
                "{s:?}: not a mix ({allowed})"
            );
        }

        let (mut tw, mut tc, mut tk) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..=rounds {
            let t = Instant::now();
            for r in &wreqs {
                black_box(authorize(&policy, &dir, black_box(r), now, Lang::En).unwrap());
            }
            let a = t.elapsed().as_nanos() as f64 / wreqs.len() as f64;
            let t = Instant::now();
            for r in &creqs {
                black_box(authorizer.is_authorized(black_box(r), &cedar_policies, &entities));
            }
            let b = t.elapsed().as_nanos() as f64 / creqs.len() as f64;
            let c = if casbin_applies && let Some((e, _, _)) = &casbin {
                let t = Instant::now();
                for k in &kreqs {
                    black_box(e.enforce((&k.0, &k.1, k.2, k.3)).unwrap());
                }
                Some(t.elapsed().as_nanos() as f64 / kreqs.len() as f64)
            } else {
                None
            };
            if round > 0 {
                tw.push(a);
                tc.push(b);
                if let Some(c) = c {
                    tk.push(c);
                }
            }
        }
        timed.push(Timed {
            scenario: s,
            warden: median(&mut tw),
            cedar: median(&mut tc),
            casbin: (!tk.is_empty()).then(|| median(&mut tk)),
            allowed: allowed * 100 / wreqs.len(),
        });
    }
    let (casbin_build, casbin_bytes) = match &casbin {
        Some((_, b, m)) => (Some(*b), Some(*m)),
        None => (None, None),
    };
    drop(casbin);
    drop(entities);
    drop(dir);
    SizeResult {
        n,
        warden_build,
        cedar_build,
        casbin_build,
        warden_bytes,
        cedar_bytes,
        casbin_bytes,
        timed,
    }
}

fn opt(x: Option<f64>, f: impl Fn(f64) -> String) -> String {
    x.map_or_else(|| "—".into(), f)
}

fn main() {
    let chosen: Option<Vec<usize>> = std::env::var("WARDEN_BENCH_SIZES").ok().map(|s| {
        s.split(',')
            .map(|x| {
                x.trim()
                    .parse()
                    .expect("WARDEN_BENCH_SIZES: comma-separated user counts")
            })
            .collect()
    });
    let sizes: Vec<usize> = if let Some(chosen) = chosen {
        chosen
    } else if smoke() {
        vec![1_000]
    } else if full() {
        vec![1_000, 100_000, 1_000_000]
    } else {
        vec![1_000, 100_000]
    };
    let rounds = if smoke() { 3 } else { 11 };
    let scenarios = chosen_scenarios();
    let results: Vec<SizeResult> = sizes
        .iter()
        .map(|&n| {
            eprintln!("authorize: {n} users");
            // casbin's per-user role links are too slow to load at 1,000,000 users
            run_size(n, rounds, n <= 100_000, &scenarios)
        })
        .collect();

    let mut md = String::new();
    md.push_str(
        "Per-decision latency: median of interleaved rounds over 2,048 prebuilt requests per \
         scenario (half allowed, half denied; super admin: all allowed), verdicts asserted \
         equal request by request first. Ratio = anchor / Warden (above 1: Warden is faster \
         or smaller).\n\n",
    );
    md.push_str("| users | scenario | allowed | Warden | Cedar | casbin | Cedar / Warden | casbin / Warden |\n");
    md.push_str("|---:|---|---:|---:|---:|---:|---:|---:|\n");
    for r in &results {
        for t in &r.timed {
            writeln!(
                md,
                "| {} | {} | {}% | {} | {} | {} | {} | {} |",
                r.n,
                t.scenario.name(),
                t.allowed,
                fmt_ns(t.warden),
                fmt_ns(t.cedar),
                opt(t.casbin, fmt_ns),
                ratio(t.cedar, t.warden),
                opt(t.casbin, |c| ratio(c, t.warden)),
            )
            .unwrap();
        }
    }
    md.push_str("\nLoading the directory (from in-memory rows: id and manager; casbin: one role link per user) and the heap it keeps, counted by a global allocator in the bench binary:\n\n");
    md.push_str("| users | Warden load | Cedar load | casbin load | Cedar / Warden | Warden bytes/user | Cedar bytes/user | casbin bytes/user | Cedar / Warden memory |\n");
    md.push_str("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for r in &results {
        writeln!(
            md,
            "| {} | {} | {} | {} | {} | {:.0} | {:.0} | {} | {} |",
            r.n,
            fmt_ns(r.warden_build),
            fmt_ns(r.cedar_build),
            opt(r.casbin_build, fmt_ns),
            ratio(r.cedar_build, r.warden_build),
            r.warden_bytes,
            r.cedar_bytes,
            opt(r.casbin_bytes, |b| format!("{b:.0}")),
            ratio(r.cedar_bytes, r.warden_bytes),
        )
        .unwrap();
    }
    write_fragment("authorize-rust", &md).unwrap();
}
