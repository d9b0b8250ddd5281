//! Prepares the directory of the server's load figures (`scripts/bench-server.sh`): a
//! SQLite database in `--data DIR` (the folder `warden-server serve --data DIR` opens) with
//! the `hr-platform` demo tenant, `--users N` more users (default 1,000,000) in a 10-ary
//! management tree under the CEO, inserted in multi-row batches (setup, not measured; 55 s for 1,000,000 here), and
//! a service key. Prints one JSON line: the key, a subject in the middle of the tree and
//! one of its direct reports, for `POST /access/v1/evaluation`.
//!
//! `cargo run --profile bench-host -p warden-server --example load_directory -- --data DIR [--users N]`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::path::PathBuf;
use std::time::Instant;

use serde_json::json;
use warden_server::{App, Db, DbUrl, Settings, seed};

/// Rows per INSERT statement (9 parameters each, well under SQLite's limit).
const ROWS_PER_STATEMENT: usize = 500;
/// Statements per transaction.
const STATEMENTS_PER_TX: usize = 40;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

#[tokio::main]
async fn main() {
    let data = PathBuf::from(arg("--data").expect("--data DIR"));
    let n_users: usize = arg("--users")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000)
        .min(2_000_000);
    Db::ensure_dir(&data).unwrap();
    let db = Db::connect(&DbUrl::sqlite_file(&data), 4).await.unwrap();
    let app = App::new(db, Settings::default());
    let demo = seed::demo_tenant(&app, "hr-platform")
        .await
        .unwrap()
        .expect("a fresh data folder");
    let ceo = demo.iter().find(|u| u.name == "ceo").unwrap().id.clone();
    let t = Instant::now();
    // ids[0] is the CEO; ids[j] (j >= 1) reports to ids[(j - 1) / 10].
    let mut ids: Vec<String> = Vec::with_capacity(n_users + 1);
    ids.push(ceo);
    let mut i = 0usize;
    while i < n_users {
        let mut tx = app.db.begin_write().await.unwrap();
        for _ in 0..STATEMENTS_PER_TX {
            let rows = ROWS_PER_STATEMENT.min(n_users - i);
            if rows == 0 {
                break;
            }
            let mut sql = String::from(
                "INSERT INTO users (id, tenant_id, document, organization_id, manager_id, status, roles, created_at, updated_at) VALUES ",
            );
            for r in 0..rows {
                let p = r * 4;
                if r > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "(${}, 'hr-platform', ${}, 'company', ${}, ${}, '[\"employee\"]', 0, 0)",
                    p + 1,
                    p + 2,
                    p + 3,
                    p + 4
                ));
            }
            let mut q = sqlx::query(&sql);
            for k in i..i + rows {
                let uid = format!("u{k:07}");
                q = q
                    .bind(uid.clone())
                    .bind(format!(
                        "{{\"firstName\":\"Load\",\"lastName\":\"U{k}\",\"email\":\"u{k}@company.com\",\"jobTitle\":\"Software Engineer\",\"organization\":\"company\"}}"
                    ))
                    .bind(ids[k / 10].clone())
                    .bind("active");
                ids.push(uid);
            }
            q.execute(&mut *tx).await.unwrap();
            i += rows;
        }
        tx.commit().await.unwrap();
    }
    eprintln!(
        "setup: {} users inserted in {:.1} s",
        ids.len() - 1,
        t.elapsed().as_secs_f64()
    );
    let (_, token) = seed::create_key(&app, "hr-platform", "service", "load")
        .await
        .unwrap();
    let m = (ids.len() / 20).max(1);
    let subject = ids[m].clone();
    let report = ids
        .get(10 * m + 1)
        .cloned()
        .unwrap_or_else(|| ids[0].clone());
    println!(
        "{}",
        json!({"key": token.expose(), "subject": subject, "resource": report, "users": ids.len() - 1})
    );
}
