//! Property: no path grants cross-organisation access to anyone but a super administrator
//! (or the root user), whatever the roles, inheritance, groups, scopes and hierarchy
//! (R000-07).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use proptest::prelude::*;
use serde_json::{Value, json};
use warden_core::access::{AuthorizeRequest, Directory, Target, authorize, scope};
use warden_core::model::Account;
use warden_core::{Lang, Policy, Timestamp};

const SCOPES: &[&str] = &["own", "team", "location", "organization", "all"];
const ACTIONS: &[&str] = &[
    "users.read",
    "users.update",
    "users.delete",
    "roles.assign",
    "docs.read",
    "docs.write",
];

#[derive(Debug, Clone)]
struct World {
    policy: Value,
    accounts: Vec<Account>,
    actor: usize,
    target: usize,
    action: usize,
    resource: bool,
}

fn world() -> impl Strategy<Value = World> {
    let role = (
        prop::collection::vec(
            (
                0..ACTIONS.len() + 2,
                0..SCOPES.len(),
                prop::option::of(1u32..4),
            ),
            0..5,
        ),
        prop::collection::vec(any::<prop::sample::Index>(), 0..3),
    );
    (
        prop::collection::vec(role, 1..6),
        prop::collection::vec((any::<bool>(), prop::collection::vec(any::<prop::sample::Index>(), 1..3), 0..3usize), 0..4),
        prop::collection::vec((0..3usize, prop::option::of(any::<prop::sample::Index>()), 0..2usize, prop::collection::vec(any::<prop::sample::Index>(), 0..3), prop::collection::vec(any::<prop::sample::Index>(), 0..3), 0..3usize), 2..12),
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        0..ACTIONS.len(),
        any::<bool>(),
    )
        .prop_map(|(roles, groups, people, a, t, action, resource)| {
            let n_roles = roles.len();
            let mut roles_json = serde_json::Map::new();
            for (i, (perms, inherits)) in roles.iter().enumerate() {
                let permissions: Vec<Value> = perms
                    .iter()
                    .map(|(act, sc, depth)| {
                        let allow = match *act {
                            x if x < ACTIONS.len() => ACTIONS[x].to_string(),
                            x if x == ACTIONS.len() => "users.*".to_string(),
                            _ => "*".to_string(),
                        };
                        let scope = SCOPES[*sc];
                        if scope == "team" {
                            match depth {
                                Some(d) => json!({"allow": allow, "scope": scope, "depth": d}),
                                None => json!({"allow": allow, "scope": scope}),
                            }
                        } else {
                            json!({"allow": allow, "scope": scope})
                        }
                    })
                    .collect();
                // Inherit only from earlier roles: no cycles.
                let inh: Vec<String> = if i == 0 { vec![] } else { inherits.iter().map(|x| format!("r{}", x.index(i))).collect() };
                roles_json.insert(format!("r{i}"), json!({"permissions": permissions, "inherits": inh}));
            }
            let mut groups_json = serde_json::Map::new();
            for (gi, (dynamic, rs, loc)) in groups.iter().enumerate() {
                let rs: Vec<String> = rs.iter().map(|x| format!("r{}", x.index(n_roles))).collect();
                let g = if *dynamic {
                    json!({"roles": rs, "rule": {"field": "location", "in": [format!("l{loc}")]}})
                } else {
                    json!({"roles": rs})
                };
                groups_json.insert(format!("g{gi}"), g);
            }
            let policy = json!({
                "warden": 1, "name": "random",
                "fields": {"location": {"type": "text"}},
                "access": {
                    "modules": {"users": ["read", "update", "delete"], "roles": ["assign"], "docs": ["read", "write"]},
                    "roles": roles_json, "groups": groups_json
                }
            });
            let n = people.len();
            let n_groups = groups.len();
            let accounts: Vec<Account> = people
                .iter()
                .enumerate()
                .map(|(i, (org, mgr, loc, rs, gs, _))| {
                    let mut a = Account::new(format!("p{i}"));
                    a.organization = Some(format!("o{org}"));
                    a.manager = mgr.map(|m| format!("p{}", m.index(n))).filter(|m| *m != format!("p{i}"));
                    a.location = Some(format!("l{loc}"));
                    a.roles = rs.iter().map(|x| format!("r{}", x.index(n_roles))).collect();
                    a.groups = if n_groups == 0 { vec![] } else { gs.iter().map(|x| format!("g{}", x.index(n_groups))).collect() };
                    a.roles.sort();
                    a.roles.dedup();
                    a.groups.sort();
                    a.groups.dedup();
                    a
                })
                .collect();
            World { policy, accounts, actor: a.index(n), target: t.index(n), action, resource }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn r000_07_no_cross_organization_access_without_super_admin(w in world()) {
        let policy = Policy::from_value(w.policy.clone()).unwrap();
        let (dir, _problems) = Directory::from_accounts(&w.accounts);
        let now = Timestamp::from_unix(1_800_000_000);
        let actor = &w.accounts[w.actor];
        let target_account = &w.accounts[w.target];
        prop_assume!(actor.organization != target_account.organization);
        let target = if w.resource {
            // A resource of another organisation, even one the actor "owns".
            Target { id: "res".into(), kind: "doc".into(), organization: target_account.organization.clone(), owner: Some(actor.id.clone()), location: actor.location.clone(), ..Target::default() }
        } else {
            let mut t = Target::from(target_account);
            t.location = actor.location.clone();
            t
        };
        let action = ACTIONS[w.action];
        let req = AuthorizeRequest { actor: actor.clone(), action: action.into(), target: target.clone(), change: None };
        let d = authorize(&policy, &dir, &req, now, Lang::En).unwrap();
        prop_assert!(!d.allowed(), "cross-organisation allow: {d:?}");
        let f = scope(&policy, actor, action, now).unwrap().filter;
        prop_assert!(!f.matches(&target, &dir), "filter {f:?} reaches another organisation");

        // And a super admin does reach it.
        let mut sa = actor.clone();
        sa.super_admin = true;
        let req = AuthorizeRequest { actor: sa, action: action.into(), target, change: None };
        prop_assert!(authorize(&policy, &dir, &req, now, Lang::En).unwrap().allowed());
    }
}
