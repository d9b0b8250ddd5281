//! Prepares Warden's side of the decision-server comparison (`scripts/bench-decision-servers.sh`,
//! BENCHMARKS.md §9): in the PostgreSQL database `--database URL`, a tenant `bench` with the
//! policy `--policy FILE` (`bench/decision-servers/policy.json`, the scenario of §4) and
//! `--users N` users (default 100,000), then a service key.
//!
//! The directory: two organisations (`o0`, `o1`) of N/2 users, each a 10-ary management tree
//! (organisation-local index `k` reports to `(k - 1) / 10`). Everyone holds `employee`; the
//! root and the odd-indexed users at depth 1 and 2 hold `director`; `k % 1000 == 6` holds
//! `hr`; `k == 8` is a super admin. Users are inserted with multi-row INSERTs (the fastest
//! supported path, as `load_directory` does: the API's import creates users one transaction
//! and one audit entry each), then the closure table (`user_closure`, which the server's
//! list reads) is filled with one recursive INSERT. Both steps are timed and reported.
//!
//! Writes `--export FILE`: one CSV line per user (`id,org,manager,roles,super_admin,path`,
//! roles `|`-separated, path the `/`-joined chain of ids from the root), from which the
//! script builds OPA's data and OpenFGA's tuples, so every server holds the same directory.
//!
//! Prints one JSON line: the key, the timings and, for three list actors (a manager with
//! ten reports, the director whose subtree is nearest 10,000 users, an HR user of `o0`),
//! the kernel's `users.read` scope rendered to SQL (closure-table strategy, as
//! `GET /api/v1/users` renders it) with its parameters.
//!
//! `cargo run --release -p warden-server --example decision_servers -- --database URL --policy FILE --export FILE [--users N]`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::fmt::Write as _;
use std::time::Instant;

use serde_json::{Value, json};
use warden_core::Policy;
use warden_core::access::{self, Placeholder, SqlOptions};
use warden_server::{App, Db, DbUrl, Settings, app::now, closure, seed, store};

const TENANT: &str = "bench";
/// Rows per INSERT statement (6 parameters each).
const ROWS_PER_STATEMENT: usize = 1000;
/// Statements per transaction.
const STATEMENTS_PER_TX: usize = 20;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

struct Dir {
    ids: Vec<String>,
    org: Vec<usize>,
    manager: Vec<Option<usize>>,
    roles: Vec<Vec<&'static str>>,
    super_admin: Vec<bool>,
    path: Vec<String>,
}

fn generate(n: usize) -> Dir {
    let per_org = n / 2;
    let mut d = Dir {
        ids: Vec::with_capacity(n),
        org: Vec::with_capacity(n),
        manager: Vec::with_capacity(n),
        roles: Vec::with_capacity(n),
        super_admin: Vec::with_capacity(n),
        path: Vec::with_capacity(n),
    };
    let mut depth: Vec<u32> = Vec::with_capacity(n);
    for i in 0..per_org * 2 {
        let o = i / per_org;
        let k = i % per_org;
        let id = format!("u{i:07}");
        let m = (k > 0).then(|| o * per_org + (k - 1) / 10);
        let dep = m.map_or(0, |m| depth[m] + 1);
        let mut roles = vec!["employee"];
        if k == 0 || (dep <= 2 && k % 2 == 1) {
            roles.push("director");
        }
        if k % 1000 == 6 {
            roles.push("hr");
        }
        let path = match m {
            Some(m) => format!("{}/{id}", d.path[m]),
            None => format!("/{id}"),
        };
        d.ids.push(id);
        d.org.push(o);
        d.manager.push(m);
        d.roles.push(roles);
        d.super_admin.push(k == 8);
        d.path.push(path);
        depth.push(dep);
    }
    d
}

#[tokio::main]
async fn main() {
    let url = DbUrl::parse(&arg("--database").expect("--database URL")).unwrap();
    let policy_text = std::fs::read_to_string(arg("--policy").expect("--policy FILE")).unwrap();
    let export = arg("--export").expect("--export FILE");
    let n: usize = arg("--users")
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000)
        .clamp(100, 2_000_000);
    let policy = Policy::from_value(serde_json::from_str(&policy_text).unwrap()).unwrap();
    let db = Db::connect(&url, 4).await.unwrap();
    let app = App::new(db, Settings::default());
    assert!(
        app.create_tenant(TENANT, "decision servers", &policy)
            .await
            .unwrap(),
        "the database already holds a tenant `{TENANT}`: use a fresh database"
    );
    let d = generate(n);
    let n = d.ids.len();

    let t = Instant::now();
    let mut i = 0usize;
    while i < n {
        let mut tx = app.db.begin_write().await.unwrap();
        for _ in 0..STATEMENTS_PER_TX {
            let rows = ROWS_PER_STATEMENT.min(n - i);
            if rows == 0 {
                break;
            }
            let mut sql = String::from(
                "INSERT INTO users (id, tenant_id, document, organization_id, manager_id, status, roles, super_admin, created_at, updated_at) VALUES ",
            );
            for r in 0..rows {
                let p = r * 6;
                if r > 0 {
                    sql.push(',');
                }
                write!(
                    sql,
                    "(${}, 'bench', ${}, ${}, ${}, 'active', ${}, ${}, 0, 0)",
                    p + 1,
                    p + 2,
                    p + 3,
                    p + 4,
                    p + 5,
                    p + 6
                )
                .unwrap();
            }
            let mut q = sqlx::query(&sql);
            for k in i..i + rows {
                let org = format!("o{}", d.org[k]);
                q = q
                    .bind(d.ids[k].clone())
                    .bind(
                        json!({"firstName": "Bench", "lastName": format!("U{k}"), "organization": org})
                            .to_string(),
                    )
                    .bind(org)
                    .bind(d.manager[k].map(|m| d.ids[m].clone()))
                    .bind(serde_json::to_string(&d.roles[k]).unwrap())
                    .bind(i64::from(d.super_admin[k]));
            }
            q.execute(&mut *tx).await.unwrap();
            i += rows;
        }
        tx.commit().await.unwrap();
    }
    let insert_s = t.elapsed().as_secs_f64();

    // The closure table, as the migration builds it for existing users (every user at
    // depth 0, then the manager edges); a tree has one path per pair, so no GROUP BY.
    let t = Instant::now();
    let mut conn = app.db.pool().acquire().await.unwrap();
    sqlx::query(
        "INSERT INTO user_closure (tenant_id, ancestor_id, descendant_id, depth) \
         WITH RECURSIVE c(tenant_id, ancestor_id, descendant_id, depth) AS ( \
           SELECT tenant_id, id, id, 0 FROM users WHERE tenant_id = 'bench' \
           UNION ALL \
           SELECT c.tenant_id, c.ancestor_id, u.id, c.depth + 1 \
           FROM c JOIN users u ON u.manager_id = c.descendant_id AND u.tenant_id = c.tenant_id \
           WHERE c.depth < 256) \
         SELECT tenant_id, ancestor_id, descendant_id, depth FROM c",
    )
    .execute(&mut *conn)
    .await
    .unwrap();
    sqlx::query("ANALYZE users")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("ANALYZE user_closure")
        .execute(&mut *conn)
        .await
        .unwrap();
    let closure_s = t.elapsed().as_secs_f64();

    let (_, token) = seed::create_key(&app, TENANT, "service", "bench")
        .await
        .unwrap();

    // Export for the other servers.
    let mut csv = String::with_capacity(n * 80);
    for k in 0..n {
        writeln!(
            csv,
            "{},o{},{},{},{},{}",
            d.ids[k],
            d.org[k],
            d.manager[k].map_or("", |m| d.ids[m].as_str()),
            d.roles[k].join("|"),
            u8::from(d.super_admin[k]),
            d.path[k]
        )
        .unwrap();
    }
    std::fs::write(&export, csv).unwrap();

    // The list actors.
    let mut reports = vec![0usize; n];
    let mut subtree = vec![1usize; n];
    for k in (0..n).rev() {
        if let Some(m) = d.manager[k] {
            reports[m] += 1;
            subtree[m] += subtree[k];
        }
    }
    let plain = |k: usize| d.roles[k] == ["employee"] && !d.super_admin[k];
    let n1 = (0..n).find(|&k| plain(k) && reports[k] == 10).expect("a manager of ten");
    let director = (0..n)
        .filter(|&k| d.roles[k].contains(&"director") && d.manager[k].is_some())
        .min_by_key(|&k| subtree[k].abs_diff(10_000))
        .unwrap();
    let hr = (0..n).find(|&k| d.roles[k].contains(&"hr")).unwrap();
    let opts = SqlOptions {
        placeholder: Placeholder::Dollar,
        subtree: closure::strategy(),
        ..SqlOptions::default()
    };
    let mut lists = Vec::new();
    for (name, k) in [("n1", n1), ("subtree", director), ("organisation", hr)] {
        let actor = store::user(&mut conn, TENANT, &d.ids[k])
            .await
            .unwrap()
            .unwrap();
        let scope = access::scope(&policy, &actor.account(), "users.read", now()).unwrap();
        let f = scope.filter.to_sql(&opts).unwrap();
        let next = f.params.len() + 1;
        let sql = format!(
            "SELECT id FROM users WHERE ({}) AND tenant_id = ${next} AND deleted_at IS NULL",
            f.sql
        );
        let mut params: Vec<Value> = f.params.clone();
        params.push(Value::from(TENANT));
        lists.push(json!({"name": name, "actor": d.ids[k], "sql": sql, "params": params}));
    }
    println!(
        "{}",
        json!({"key": token.expose(), "tenant": TENANT, "users": n, "insert_s": insert_s,
               "closure_s": closure_s, "lists": lists})
    );
}
