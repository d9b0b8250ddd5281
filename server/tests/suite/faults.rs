//! Faults (issue 12), loopback only, bounded in count and time, stopping by themselves:
//! - kill -9 of a real server process during a large import commit, then a restart:
//!   every item is committed with its audit entry or not at all, and the import's stored
//!   report says which (SQLite and PostgreSQL);
//! - SIGTERM while an import whose caller went away is running: the process waits for it
//!   to end before it exits (SQLite and PostgreSQL);
//! - PostgreSQL stopped while serving: requests fail fast with a typed 503 and succeed
//!   again once it is back, without restarting Warden. This runs a private throwaway
//!   cluster (`initdb` + `pg_ctl` on another port, as the `postgres` OS user), never the
//!   shared server; it is skipped, saying so, only when the PostgreSQL binaries are absent.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{Env, Which, demo_user};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use sqlx::Row;
use tower::ServiceExt;
use warden_server::{App, Db, DbUrl, Settings, api, audit, seed};

const HR: &str = "hr-platform";

/// A server process, killed (SIGKILL) when dropped.
struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(url: &str) -> Server {
    start_server_with(url, &[])
}

fn start_server_with(url: &str, extra: &[&str]) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_warden-server"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--request-timeout",
            "120",
            "--database",
            url,
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Owned by the guard from here on: a failed start kills and reaps it.
    let mut server = Server {
        child,
        addr: String::new(),
    };
    let mut out = server.child.stdout.take().unwrap();
    let start = Instant::now();
    let mut seen = String::new();
    loop {
        let mut b = [0_u8; 256];
        let n = out.read(&mut b).unwrap();
        assert!(n > 0, "server exited early: {seen}");
        seen.push_str(&String::from_utf8_lossy(&b[..n]));
        if let Some(rest) = seen.split("listening on http://").nth(1)
            && rest.contains('/')
        {
            server.addr = rest.split('/').next().unwrap().to_owned();
            return server;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{seen}");
    }
}

fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Value) {
    use std::io::Write;
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    let status = resp.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let json = resp
        .split("\r\n\r\n")
        .nth(1)
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    (status, json)
}

/// An import of `rows` new users of hr-platform under `manager`, as CSV.
fn import_csv(manager: &str, rows: usize) -> String {
    let mut csv = String::from("firstName,lastName,email,jobTitle,manager,status,organization\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "Imp,Row{i},imp.row{i}@company.com,Software Engineer,{manager},active,company\n"
        ));
    }
    csv
}

/// Waits (at most 120 s) until a running import has committed some items, well before
/// its end.
async fn some_items_committed(env: &Env) {
    let start = Instant::now();
    loop {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM import_items")
            .fetch_one(env.app.db.pool())
            .await
            .unwrap();
        if n >= 25 {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the import did not start"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn kill_during_import(env: &Env) {
    const ROWS: usize = 3000;
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr").clone();
    let manager = demo_user(&users, "manager").id.clone();
    let key = env.key(HR, "service").await;
    let before_users = env
        .scalar("SELECT COUNT(*) FROM users WHERE tenant_id = $1", HR)
        .await;
    let csv = import_csv(&manager, ROWS);

    let server = start_server(&env.url);
    let addr = server.addr.clone();
    let (key2, hr_id) = (key.clone(), hr.id.clone());
    // The import runs in its own thread; its answer never comes (the process is killed).
    let import = std::thread::spawn(move || {
        http(
            &addr,
            "POST",
            "/api/v1/imports?commit=true",
            &[
                ("authorization", &format!("Bearer {key2}")),
                ("x-warden-act-as", &hr_id),
                ("content-type", "text/csv"),
            ],
            &csv,
        )
    });
    // Kill once some items are committed, well before the end.
    some_items_committed(env).await;
    drop(server); // SIGKILL
    let (status, _) = import.join().unwrap();
    assert_ne!(status, 200, "the import was cut short");

    // Restart: the interrupted import is marked, its stored report says what was committed.
    let server = start_server(&env.url);
    let import_id: String = sqlx::query_scalar("SELECT id FROM imports WHERE tenant_id = $1")
        .bind(HR)
        .fetch_one(env.app.db.pool())
        .await
        .unwrap();
    let (status, report) = http(
        &server.addr,
        "GET",
        &format!("/api/v1/imports/{import_id}"),
        &[
            ("authorization", &format!("Bearer {key}")),
            ("x-warden-act-as", &hr.id),
        ],
        "",
    );
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["status"], "interrupted");
    assert_eq!(report["total"], ROWS);
    let committed = report["committed"].as_array().unwrap();
    let not_committed = report["notCommitted"].as_array().unwrap();
    assert!(
        !committed.is_empty() && !not_committed.is_empty(),
        "{report}"
    );
    assert_eq!(
        committed.len() + not_committed.len(),
        ROWS,
        "every item accounted for"
    );

    // Every committed item: its user and its audit entry exist. Nothing else was created.
    let mut conn = env.app.db.pool().acquire().await.unwrap();
    for item in committed {
        let id = item["id"].as_str().unwrap();
        let seq = item["auditSeq"].as_i64().unwrap();
        let row =
            sqlx::query("SELECT target_id, body FROM audit_log WHERE tenant_id = $1 AND seq = $2")
                .bind(HR)
                .bind(seq)
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        assert_eq!(row.try_get::<String, _>("target_id").unwrap(), id);
        assert!(
            row.try_get::<String, _>("body")
                .unwrap()
                .contains("\"users.create\"")
        );
        let document: String =
            sqlx::query_scalar("SELECT document FROM users WHERE tenant_id = $1 AND id = $2")
                .bind(HR)
                .bind(id)
                .fetch_one(&mut *conn)
                .await
                .unwrap_or_else(|e| panic!("committed item {item} has no user: {e}"));
        let index = item["index"].as_u64().unwrap();
        assert!(
            document.contains(&format!("imp.row{index}@company.com")),
            "{document}"
        );
    }
    let after_users = env
        .scalar("SELECT COUNT(*) FROM users WHERE tenant_id = $1", HR)
        .await;
    assert_eq!(
        after_users - before_users,
        i64::try_from(committed.len()).unwrap(),
        "no user without its committed item"
    );
    let creates: i64 = env
        .scalar("SELECT COUNT(*) FROM audit_log WHERE tenant_id = $1 AND body LIKE '%\"users.create\"%' AND body LIKE '%imp.row%'", HR)
        .await;
    assert_eq!(
        creates,
        i64::try_from(committed.len()).unwrap(),
        "no audit entry without its user"
    );
    let (problems, _) = audit::verify(&mut conn).await.unwrap();
    assert!(problems.is_empty(), "the audit chain is intact");
    drop(server);
}
on_both!(kill_during_import);

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// A private PostgreSQL cluster in a temporary folder, on its own port; stopped and
/// removed when dropped.
struct Cluster {
    dir: PathBuf,
    port: u16,
}

fn as_postgres(args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new("runuser");
    cmd.args(["-u", "postgres", "--"]).args(args);
    cmd.output().unwrap()
}

impl Cluster {
    fn start(&self) {
        let dir = self.dir.to_str().unwrap();
        let opts = format!("-p {} -k {dir} -c listen_addresses=127.0.0.1", self.port);
        let out = as_postgres(&[
            &format!("{PG_BIN}/pg_ctl"),
            "-D",
            &format!("{dir}/data"),
            "-o",
            &opts,
            "-l",
            &format!("{dir}/log"),
            "-w",
            "-t",
            "30",
            "start",
        ]);
        assert!(
            out.status.success(),
            "pg_ctl start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn stop(&self) {
        let dir = self.dir.to_str().unwrap();
        let _ = as_postgres(&[
            &format!("{PG_BIN}/pg_ctl"),
            "-D",
            &format!("{dir}/data"),
            "-m",
            "fast",
            "-w",
            "-t",
            "30",
            "stop",
        ]);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn get(
    router: &axum::Router,
    path: &str,
    token: &str,
    act_as: &str,
) -> (StatusCode, Value, Duration) {
    let start = Instant::now();
    let req = Request::get(path)
        .header("authorization", format!("Bearer {token}"))
        .header("x-warden-act-as", act_as)
        .body(Body::empty())
        .unwrap();
    let resp = router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        start.elapsed(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_while_serving() {
    if !Path::new(PG_BIN).join("initdb").exists() {
        eprintln!("SKIPPED postgres_stopped_while_serving: no PostgreSQL binaries in {PG_BIN}");
        return;
    }
    let dir = std::env::temp_dir().join(format!("warden-pgfault-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let cluster = Cluster {
        dir: dir.clone(),
        port: free_port(),
    };
    assert!(
        Command::new("chown")
            .args(["-R", "postgres:postgres", dir.to_str().unwrap()])
            .status()
            .unwrap()
            .success()
    );
    let out = as_postgres(&[
        &format!("{PG_BIN}/initdb"),
        "-D",
        &format!("{}/data", dir.display()),
        "-A",
        "trust",
        "-U",
        "postgres",
        "--no-sync",
    ]);
    assert!(
        out.status.success(),
        "initdb: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    cluster.start();

    let url = format!("postgres://postgres@127.0.0.1:{}/postgres", cluster.port);
    let db = Db::connect_with(&DbUrl::parse(&url).unwrap(), 4, Duration::from_secs(1))
        .await
        .unwrap();
    let app = App::new(db, Settings::default());
    let router = api::router(Arc::clone(&app), None);
    let users = seed::demo_tenant(&app, HR).await.unwrap().unwrap();
    let hr = demo_user(&users, "hr").id.clone();
    let (_, token) = seed::create_key(&app, HR, "service", "fault")
        .await
        .unwrap();
    let token = token.expose().to_owned();
    let (s, v, _) = get(&router, "/api/v1/users", &token, &hr).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    cluster.stop();
    for _ in 0..3 {
        let (s, v, took) = get(&router, "/api/v1/users", &token, &hr).await;
        assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{v}");
        assert_eq!(v["error"], "unavailable", "typed body: {v}");
        assert!(took < Duration::from_secs(3), "fails fast: {took:?}");
    }
    let (s, _, took) = get(&router, "/readyz", &token, &hr).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert!(took < Duration::from_secs(3), "{took:?}");
    let (s, _, _) = get(&router, "/healthz", &token, &hr).await;
    assert_eq!(s, StatusCode::OK, "the process itself is alive");

    cluster.start();
    let start = Instant::now();
    loop {
        let (s, _, _) = get(&router, "/api/v1/users", &token, &hr).await;
        if s == StatusCode::OK {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "did not recover: {s}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (s, _, _) = get(&router, "/readyz", &token, &hr).await;
    assert_eq!(s, StatusCode::OK);
    app.db.pool().close().await;
    drop(cluster);
}

/// The import's caller goes away (the import runs on, to its end), then the server is told
/// to stop: it answers no more requests but waits for the import, which ends `done` with
/// every row committed, before the process exits 0.
async fn sigterm_waits_for_a_detached_import(env: &Env) {
    use std::io::Write;
    const ROWS: usize = 1500;
    let users = env.demo(HR).await;
    let hr = demo_user(&users, "hr").clone();
    let manager = demo_user(&users, "manager").id.clone();
    let key = env.key(HR, "service").await;
    let csv = import_csv(&manager, ROWS);
    let mut server = start_server_with(&env.url, &["--shutdown-grace", "300"]);
    let mut s = std::net::TcpStream::connect(&server.addr).unwrap();
    write!(
        s,
        "POST /api/v1/imports?commit=true HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\
         authorization: Bearer {key}\r\nx-warden-act-as: {}\r\ncontent-type: text/csv\r\n\
         content-length: {}\r\n\r\n{csv}",
        hr.id,
        csv.len()
    )
    .unwrap();
    some_items_committed(env).await;
    drop(s); // The caller goes away.
    let term = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let deadline = Instant::now() + Duration::from_secs(300);
    let status = loop {
        if let Some(st) = server.child.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < deadline, "did not stop after SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status:?}");
    let import_status: String =
        sqlx::query_scalar("SELECT status FROM imports WHERE tenant_id = $1")
            .bind(HR)
            .fetch_one(env.app.db.pool())
            .await
            .unwrap();
    assert_eq!(import_status, "done", "the import ran to its end");
    let created = env
        .scalar(
            "SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND document LIKE '%imp.row%'",
            HR,
        )
        .await;
    assert_eq!(created, i64::try_from(ROWS).unwrap(), "every row committed");
}
on_both!(sigterm_waits_for_a_detached_import);
