//! Bounded benchmarks of the directory (not timed tests), on loopback only:
//!
//! - creates per second through the full write path (kernel authorization and validation,
//!   store answers, one transaction with the audit entry), without password hashing (the
//!   HR preset has no password);
//! - a page of 50 users of an N-1 scope and of a whole-subtree scope (p50, p99), the
//!   kernel's filter rendered to SQL (the subtree on the closure table), over a directory of
//!   `--users` accounts in a tree of `--fanout` reports per manager;
//! - an import of `--import` rows end to end: the preview (the kernel's import report and
//!   the store's lookups), then the commit through the bulk operation (kernel decision per
//!   row, the store's answers, batches of 1,000 in savepoints, an audit entry per row).
//!
//! `cargo run --release -p warden-server --example bench -- [--database URL |
//! --postgres-base URL] [--users N] [--fanout N] [--creates N] [--import N]`; default a
//! fresh SQLite file, 100,000 users, fan-out 100, 1,000 creates, no import.
//! `--postgres-base` creates a fresh database `warden_bench_<pid>` on that server (with the
//! URL's role), runs there and drops it at the end. Generation is batched (multi-row
//! inserts of users and of their closure rows) and not measured.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use sqlx::Connection;
use warden_core::Lang;
use warden_server::api::AcceptLanguage;
use warden_server::auth::{Caller, Credential};
use warden_server::bulk::{BulkBody, Item};
use warden_server::imports::ImportQuery;
use warden_server::users::{self, ListQuery};
use warden_server::{App, Db, DbUrl, Settings, bulk, imports, seed, store};

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn pct(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v.get(i).copied().unwrap_or_default()
}

async fn caller(app: &Arc<App>, tenant: &str, id: &str) -> Caller {
    let t = app.tenant(tenant).await.unwrap();
    let mut conn = app.db.pool().acquire().await.unwrap();
    let actor = store::user(&mut conn, tenant, id).await.unwrap();
    Caller {
        tenant: t,
        credential: Credential::ServiceKey("bench".into()),
        actor,
    }
}

async fn pages(app: &App, c: &Caller, n: usize) -> (Duration, Duration, usize) {
    let mut times = Vec::with_capacity(n);
    let mut q = ListQuery {
        limit: Some(50),
        ..ListQuery::default()
    };
    let mut rows = 0;
    for _ in 0..n {
        let t = Instant::now();
        let v = users::list(app, c, &q).await.unwrap();
        times.push(t.elapsed());
        rows = v["users"].as_array().map_or(0, Vec::len);
        q.cursor = v["next"].as_str().map(str::to_owned);
    }
    (pct(times.clone(), 0.5), pct(times, 0.99), rows)
}

fn with_db(base: &str, db: &str) -> String {
    let no_query = base.split('?').next().unwrap_or(base);
    match no_query.rsplit_once('/') {
        Some((head, _)) => format!("{head}/{db}"),
        None => format!("{no_query}/{db}"),
    }
}

/// Inserts `rows` (each a list of values) into `table (columns)` with one multi-row
/// statement.
async fn insert_rows(
    conn: &mut sqlx::AnyConnection,
    table: &str,
    columns: &str,
    rows: &[Vec<Value>],
) {
    if rows.is_empty() {
        return;
    }
    let width = rows[0].len();
    let mut sql = format!("INSERT INTO {table} ({columns}) VALUES ");
    let mut n = 0;
    for (r, _) in rows.iter().enumerate() {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..width {
            if c > 0 {
                sql.push(',');
            }
            n += 1;
            sql.push_str(&format!("${n}"));
        }
        sql.push(')');
    }
    let mut q = sqlx::query(&sql);
    for row in rows {
        for v in row {
            q = match v {
                Value::String(s) => q.bind(s.clone()),
                Value::Number(x) => q.bind(x.as_i64().unwrap()),
                _ => q.bind(Option::<String>::None),
            };
        }
    }
    q.execute(&mut *conn).await.unwrap();
}

/// A tree of `n` users under `root` with `fanout` reports per manager, in breadth-first
/// order: user `k` (1-based) reports to user `(k - 1) / fanout` (0 is the root). Users and
/// closure rows in multi-row inserts, 500 users per transaction.
async fn generate(app: &App, root: &str, n: usize, fanout: usize) -> Vec<String> {
    let id_of = |k: usize| {
        if k == 0 {
            root.to_owned()
        } else {
            format!("b_{k:08}")
        }
    };
    let parent = |k: usize| (k - 1) / fanout;
    let mut k = 1;
    while k <= n {
        let end = (k + 500).min(n + 1);
        let mut users = Vec::with_capacity(end - k);
        let mut closure = Vec::new();
        for j in k..end {
            let uid = id_of(j);
            users.push(vec![
                json!(uid),
                json!(format!("{{\"firstName\":\"B\",\"lastName\":\"{j}\",\"email\":\"b{j}@company.com\",\"organization\":\"company\"}}")),
                json!(id_of(parent(j))),
            ]);
            closure.push(vec![json!(uid), json!(uid), json!(0)]);
            let (mut a, mut d) = (j, 0);
            while a != 0 {
                a = parent(a);
                d += 1;
                closure.push(vec![json!(id_of(a)), json!(uid), json!(d)]);
            }
        }
        let mut tx = app.db.begin_write().await.unwrap();
        // Users: the constant columns are written per row.
        let rows: Vec<Vec<Value>> = users
            .into_iter()
            .map(|mut r| {
                r.extend([
                    json!("hr-platform"),
                    json!("company"),
                    json!("active"),
                    json!("[\"employee\"]"),
                    json!(0),
                    json!(0),
                ]);
                r
            })
            .collect();
        insert_rows(
            &mut tx,
            "users",
            "id, document, manager_id, tenant_id, organization_id, status, roles, created_at, updated_at",
            &rows,
        )
        .await;
        let rows: Vec<Vec<Value>> = closure
            .into_iter()
            .map(|mut r| {
                r.push(json!("hr-platform"));
                r
            })
            .collect();
        for chunk in rows.chunks(1000) {
            insert_rows(
                &mut tx,
                "user_closure",
                "ancestor_id, descendant_id, depth, tenant_id",
                chunk,
            )
            .await;
        }
        tx.commit().await.unwrap();
        k = end;
    }
    (0..=n).map(id_of).collect()
}

/// An import of `n` rows end to end: the preview, then the commit through the bulk
/// operation. Returns (preview seconds, commit seconds, committed rows).
async fn import(app: &App, hr: &Caller, manager: &str, n: usize) -> (f64, f64, usize) {
    let mut csv = String::from("firstName,lastName,email,jobTitle,manager,status,organization\n");
    let mut records = Vec::with_capacity(n);
    for i in 0..n {
        csv.push_str(&format!(
            "Imp,Row{i},imp{i}@company.com,Software Engineer,{manager},active,company\n"
        ));
        records.push(
            serde_json::from_value::<Map<String, Value>>(json!({"firstName": "Imp", "lastName": format!("Row{i}"), "email": format!("imp{i}@company.com"), "jobTitle": "Software Engineer", "manager": manager, "status": "active", "organization": "company"}))
                .unwrap(),
        );
    }
    let t = Instant::now();
    let preview = imports::import(
        app,
        hr,
        csv.as_bytes(),
        None,
        &ImportQuery {
            format: None,
            commit: false,
        },
        &AcceptLanguage::default(),
        None,
    )
    .await
    .unwrap();
    let preview_s = t.elapsed().as_secs_f64();
    assert_eq!(preview["summary"]["invalid"], 0, "{}", preview["summary"]);
    let t = Instant::now();
    let out = bulk::run(
        app,
        hr,
        BulkBody {
            items: records
                .into_iter()
                .map(|user| Item::Import { user })
                .collect(),
            confirmed: false,
            confirm_count: None,
            max_delete: None,
            batch_size: Some(1000),
        },
        Lang::En,
        None,
    )
    .await
    .unwrap();
    let commit_s = t.elapsed().as_secs_f64();
    let committed = out["summary"]["committed"].as_u64().unwrap_or(0) as usize;
    (preview_s, commit_s, committed)
}

#[tokio::main]
async fn main() {
    let n_users: usize = arg("--users")
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000)
        .min(1_000_000);
    let fanout: usize = arg("--fanout")
        .and_then(|s| s.parse().ok())
        .unwrap_or(100)
        .clamp(2, 10_000);
    let n_creates: usize = arg("--creates")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000)
        .min(100_000);
    let n_import: usize = arg("--import")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
        .min(100_000);
    let mut fresh_pg: Option<(String, String)> = None;
    let url = match (arg("--database"), arg("--postgres-base")) {
        (Some(u), _) => u,
        (None, Some(base)) => {
            let name = format!("warden_bench_{}", std::process::id());
            let mut admin = sqlx::PgConnection::connect(&base).await.unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .await
                .unwrap();
            fresh_pg = Some((base.clone(), name.clone()));
            with_db(&base, &name)
        }
        (None, None) => {
            let dir = std::env::temp_dir().join(format!("warden-bench-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            format!("sqlite://{}?mode=rwc", dir.join("bench.db").display())
        }
    };
    let db = Db::connect(&DbUrl::parse(&url).unwrap(), 8).await.unwrap();
    println!(
        "backend {:?}, {n_users} users (fan-out {fanout}), {n_creates} creates, import {n_import}",
        db.backend()
    );
    let app = App::new(db, Settings::default());
    let demo = seed::demo_tenant(&app, "hr-platform")
        .await
        .unwrap()
        .expect("a fresh database");
    let id = |name: &str| demo.iter().find(|u| u.name == name).unwrap().id.clone();
    let hr = caller(&app, "hr-platform", &id("hr")).await;

    // Creates through the full write path.
    let t = Instant::now();
    for i in 0..n_creates {
        let rec: Map<String, Value> = serde_json::from_value(json!({"firstName": "Bench", "lastName": "User", "email": format!("bench{i}@company.com"), "jobTitle": "Software Engineer", "manager": id("manager"), "status": "active", "organization": "company"})).unwrap();
        users::create(&app, &hr, rec, Lang::En, None).await.unwrap();
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "creates: {n_creates} in {secs:.2} s = {:.0}/s",
        n_creates as f64 / secs
    );

    // The tree under the director (setup, not measured).
    let t = Instant::now();
    let director = id("ceo");
    let ids = generate(&app, &director, n_users, fanout).await;
    println!(
        "setup: {} users (and their closure rows) inserted in {:.1} s",
        ids.len() - 1,
        t.elapsed().as_secs_f64()
    );

    // N-1: a manager at the first level of the tree (`fanout` direct reports); the
    // employee role reads own + N-1 (team depth 1).
    let mid = ids[1.min(ids.len() - 1)].clone();
    let n1 = caller(&app, "hr-platform", &mid).await;
    let (p50, p99, rows) = pages(&app, &n1, 200).await;
    println!(
        "N-1 page of 50 (rows {rows}): p50 {:.2} ms, p99 {:.2} ms",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
    // Whole subtree: the director (team scope, any depth) over every inserted user.
    let dir = caller(&app, "hr-platform", &director).await;
    let (p50, p99, rows) = pages(&app, &dir, 200).await;
    println!(
        "subtree page of 50 (rows {rows}): p50 {:.2} ms, p99 {:.2} ms",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );

    if n_import > 0 {
        let (preview, commit, committed) = import(&app, &hr, &id("manager"), n_import).await;
        println!(
            "import of {n_import} rows: preview {preview:.1} s, commit {commit:.1} s ({committed} committed, {:.0} rows/s), end to end {:.1} s",
            committed as f64 / commit,
            preview + commit
        );
    }

    app.db.pool().close().await;
    if let Some((base, name)) = fresh_pg {
        let mut admin = sqlx::PgConnection::connect(&base).await.unwrap();
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut admin)
            .await
            .unwrap();
        println!("dropped {name}");
    }
}
