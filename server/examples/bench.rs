//! Bounded benchmarks of the directory (not timed tests), on loopback only:
//!
//! - creates per second through the full write path (kernel authorization and validation,
//!   store answers, one transaction with the audit entry), without password hashing (the
//!   HR preset has no password);
//! - a page of 50 users of an N-1 scope and of a whole-subtree scope (p50, p99), the
//!   kernel's filter rendered to SQL, over a directory of `--users` accounts.
//!
//! `cargo run --release -p warden-server --example bench -- [--database URL] [--users N]
//! [--creates N]`; default a fresh SQLite file, 100,000 users, 1,000 creates.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use warden_server::auth::{Caller, Credential};
use warden_server::users::{self, ListQuery};
use warden_server::{App, Db, DbUrl, Settings, seed, store};

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

#[tokio::main]
async fn main() {
    let n_users: usize = arg("--users")
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000)
        .min(1_000_000);
    let n_creates: usize = arg("--creates")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000)
        .min(100_000);
    let url = arg("--database").unwrap_or_else(|| {
        let dir = std::env::temp_dir().join(format!("warden-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        format!("sqlite://{}?mode=rwc", dir.join("bench.db").display())
    });
    let db = Db::connect(&DbUrl::parse(&url).unwrap(), 8).await.unwrap();
    println!(
        "backend {:?}, {n_users} users, {n_creates} creates",
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
        users::create(&app, &hr, rec, None).await.unwrap();
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "creates: {n_creates} in {secs:.2} s = {:.0}/s",
        n_creates as f64 / secs
    );

    // A 10-ary tree under the director, inserted directly (setup, not measured).
    let t = Instant::now();
    let director = id("ceo");
    let mut ids: Vec<String> = vec![director.clone()];
    let mut i = 0;
    while ids.len() < n_users {
        let mut tx = app.db.begin_write().await.unwrap();
        for _ in 0..1000 {
            if ids.len() >= n_users {
                break;
            }
            let manager = ids[i / 10].clone();
            let uid = format!("b_{i:08}");
            sqlx::query("INSERT INTO users (id, tenant_id, document, organization_id, manager_id, status, roles, created_at, updated_at) VALUES ($1, 'hr-platform', $2, 'company', $3, 'active', '[\"employee\"]', 0, 0)")
                .bind(&uid)
                .bind(format!("{{\"firstName\":\"B\",\"lastName\":\"{i}\",\"email\":\"b{i}@company.com\",\"organization\":\"company\"}}"))
                .bind(&manager)
                .execute(&mut *tx)
                .await
                .unwrap();
            ids.push(uid);
            i += 1;
        }
        tx.commit().await.unwrap();
    }
    println!(
        "setup: {} users inserted in {:.1} s",
        ids.len(),
        t.elapsed().as_secs_f64()
    );

    // N-1: a manager in the middle of the tree (role manager: team depth 1 for reviews;
    // the employee role reads own + N-1).
    let mid = ids[ids.len() / 20].clone();
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
}
