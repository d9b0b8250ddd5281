//! The test harness: a fresh database per test, on SQLite (a temporary file) or on
//! PostgreSQL (a fresh database on the server `WARDEN_TEST_POSTGRES` names), the real
//! router, and helpers to call it.
#![allow(
    dead_code,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use sqlx::Connection;
use tower::ServiceExt;
use warden_server::seed::{self, DemoUser};
use warden_server::{App, Backend, Db, DbUrl, Settings, api};

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Sqlite,
    Postgres,
}

/// A test's database and server.
pub struct Env {
    pub app: Arc<App>,
    pub router: Router,
    pub url: String,
    pub which: Which,
    pg_name: Option<String>,
    sqlite_path: Option<std::path::PathBuf>,
}

fn random_name() -> String {
    let b: [u8; 8] = warden_server::tokens::random_bytes().unwrap_or([0; 8]);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The PostgreSQL server for the tests; `None` only when the skip is explicit
/// (`WARDEN_TEST_SKIP_POSTGRES=1`), so that a missing server never passes silently.
pub fn postgres_base() -> Option<String> {
    match std::env::var("WARDEN_TEST_POSTGRES") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(
                std::env::var("WARDEN_TEST_SKIP_POSTGRES").is_ok_and(|v| v == "1"),
                "set WARDEN_TEST_POSTGRES=postgres://warden:warden@127.0.0.1:5432/warden (scripts/setup.sh starts it) or WARDEN_TEST_SKIP_POSTGRES=1"
            );
            None
        }
    }
}

fn with_db(base: &str, db: &str) -> String {
    let no_query = base.split('?').next().unwrap_or(base);
    match no_query.rsplit_once('/') {
        Some((head, _)) => format!("{head}/{db}"),
        None => format!("{no_query}/{db}"),
    }
}

impl Env {
    /// A fresh, migrated, empty database; `None` when PostgreSQL is explicitly skipped.
    pub async fn new(which: Which) -> Option<Env> {
        Self::with_settings(which, Settings::default()).await
    }

    /// As [`new`](Self::new), the app run with `settings`.
    pub async fn with_settings(which: Which, settings: Settings) -> Option<Env> {
        let mut sqlite_path = None;
        let (url, pg_name) = match which {
            Which::Sqlite => {
                let path = std::env::temp_dir().join(format!("warden-test-{}.db", random_name()));
                let url = format!("sqlite://{}?mode=rwc", path.display());
                sqlite_path = Some(path);
                (url, None)
            }
            Which::Postgres => {
                let base = postgres_base()?;
                let name = format!("warden_t_{}", random_name());
                let mut admin = sqlx::PgConnection::connect(&base)
                    .await
                    .expect("connect to WARDEN_TEST_POSTGRES");
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .await
                    .expect("create a test database");
                (with_db(&base, &name), Some(name))
            }
        };
        let parsed = DbUrl::parse(&url).expect("test URL");
        assert_eq!(
            parsed.backend(),
            if which == Which::Sqlite {
                Backend::Sqlite
            } else {
                Backend::Postgres
            }
        );
        let db = Db::connect(&parsed, 8).await.expect("connect and migrate");
        let app = App::new(db, settings);
        let router = api::router(Arc::clone(&app), None);
        Some(Env {
            app,
            router,
            url,
            which,
            pg_name,
            sqlite_path,
        })
    }

    /// Drops the PostgreSQL database or removes the SQLite files.
    pub async fn cleanup(self) {
        let Env {
            app,
            pg_name,
            sqlite_path,
            ..
        } = self;
        app.db.pool().close().await;
        drop(app);
        if let Some(path) = sqlite_path {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
        if let (Some(name), Some(base)) = (pg_name, postgres_base())
            && let Ok(mut admin) = sqlx::PgConnection::connect(&base).await
        {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin)
                .await;
        }
    }

    /// Seeds the demo tenant of `preset`.
    pub async fn demo(&self, preset: &str) -> Vec<DemoUser> {
        seed::demo_tenant(&self.app, preset)
            .await
            .expect("seed")
            .expect("a new tenant")
    }

    /// Puts the component `file` (of the built components, [`component`]) in `tenant`'s
    /// plugin set as the plugin `name` with `config`, by the admin key `admin`; asserts
    /// that the upload succeeded.
    pub async fn put_plugin(&self, admin: &Auth, name: &str, file: &str, config: Value) {
        use base64::Engine as _;
        let (s, v, _) = self
            .call(
                Method::PUT,
                &format!("/api/v1/plugins/{name}"),
                admin,
                Some(serde_json::json!({
                    "component": base64::engine::general_purpose::STANDARD.encode(component(file)),
                    "config": config,
                })),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }

    /// A new API key.
    pub async fn key(&self, tenant: &str, role: &str) -> String {
        seed::create_key(&self.app, tenant, role, "test")
            .await
            .map(|(_, t)| t.expose().to_owned())
            .expect("a key")
    }

    /// Calls the router with a JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        auth: &Auth,
        body: Option<Value>,
    ) -> (StatusCode, Value, HeaderMap) {
        self.call_raw(method, path, auth, body.map(|b| b.to_string()))
            .await
    }

    /// Calls the router with a raw body.
    pub async fn call_raw(
        &self,
        method: Method,
        path: &str,
        auth: &Auth,
        body: Option<String>,
    ) -> (StatusCode, Value, HeaderMap) {
        self.call_with_headers(method, path, auth, body, &[]).await
    }

    /// Calls the router with a raw body and headers of the test's own (`Accept-Language`),
    /// each as given (raw bytes: a test may send one that is not valid text).
    pub async fn call_with_headers(
        &self,
        method: Method,
        path: &str,
        auth: &Auth,
        body: Option<String>,
        headers: &[(&str, &[u8])],
    ) -> (StatusCode, Value, HeaderMap) {
        let mut req = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        match auth {
            Auth::None => {}
            Auth::Key { token, act_as } => {
                req = req.header("authorization", format!("Bearer {token}"));
                if let Some(a) = act_as {
                    req = req.header("x-warden-act-as", a.as_str());
                }
            }
            Auth::Cookie { cookie, csrf } => {
                req = req.header("cookie", cookie.as_str());
                if *csrf {
                    req = req.header("x-warden-csrf", "1");
                }
            }
        }
        // A body is JSON unless the test says what it is.
        let typed = headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
        let req = match body {
            Some(b) if typed => req.body(Body::from(b)),
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b)),
            None => req.body(Body::empty()),
        };
        let Ok(req) = req else {
            return (StatusCode::IM_A_TEAPOT, Value::Null, HeaderMap::new());
        };
        self.send(req).await
    }

    /// Sends a request built whole (headers of its own) to the router: its status, JSON
    /// body (`null` when none) and headers.
    pub async fn send(&self, req: Request<Body>) -> (StatusCode, Value, HeaderMap) {
        let Ok(resp) = self.router.clone().oneshot(req).await;
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp
            .into_body()
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        let v = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, v, headers)
    }

    /// Signs in and returns the session cookie.
    pub async fn sign_in(&self, tenant: &str, login: &str, password: &str) -> Option<String> {
        let (s, _, h) = self
            .call(
                Method::POST,
                "/api/v1/session",
                &Auth::None,
                Some(serde_json::json!({"tenant": tenant, "login": login, "password": password})),
            )
            .await;
        if s != StatusCode::OK {
            return None;
        }
        h.get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|c| c.split(';').next())
            .map(str::to_owned)
    }

    /// `tenant`'s current policy document (`GET /api/v1/policy`, 200 asserted), with the new
    /// admin key that read it, to replace it with.
    pub async fn policy_document(&self, tenant: &str) -> (Auth, Value) {
        let admin = Auth::Key {
            token: self.key(tenant, "admin").await,
            act_as: None,
        };
        let (s, v, _) = self.call(Method::GET, "/api/v1/policy", &admin, None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let doc = v.get("document").cloned().expect("the policy's document");
        (admin, doc)
    }

    /// Replaces `tenant`'s policy with its current document as `edit` changes it, through
    /// `GET` and `PUT /api/v1/policy` with a new admin key (each must answer 200).
    pub async fn edit_policy(&self, tenant: &str, edit: impl FnOnce(&mut Value)) {
        let (admin, mut doc) = self.policy_document(tenant).await;
        edit(&mut doc);
        let (s, v, _) = self
            .call(Method::PUT, "/api/v1/policy", &admin, Some(doc))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }

    pub async fn scalar(&self, sql: &str, arg: &str) -> i64 {
        sqlx::query_scalar(sql)
            .bind(arg)
            .fetch_one(self.app.db.pool())
            .await
            .expect("scalar query")
    }

    /// The stored status of user `id`, read from the database (not through the API).
    pub async fn stored_status(&self, id: &str) -> String {
        sqlx::query_scalar("SELECT status FROM users WHERE id = $1")
            .bind(id)
            .fetch_one(self.app.db.pool())
            .await
            .expect("a stored user")
    }
}

/// How a test request authenticates.
#[derive(Debug, Clone)]
pub enum Auth {
    None,
    Key {
        token: String,
        act_as: Option<String>,
    },
    Cookie {
        cookie: String,
        csrf: bool,
    },
}

impl Auth {
    pub fn key(token: &str, act_as: &str) -> Auth {
        Auth::Key {
            token: token.to_owned(),
            act_as: Some(act_as.to_owned()),
        }
    }

    pub fn cookie(cookie: &str) -> Auth {
        Auth::Cookie {
            cookie: cookie.to_owned(),
            csrf: true,
        }
    }
}

/// The demo user named `name`.
pub fn demo_user<'a>(users: &'a [DemoUser], name: &str) -> &'a DemoUser {
    users
        .iter()
        .find(|u| u.name == name)
        .unwrap_or_else(|| panic!("no demo user {name}"))
}

/// Runs one async test body on both backends.
#[macro_export]
macro_rules! on_both {
    ($name:ident) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let env = Env::new(Which::Sqlite).await.expect("sqlite env");
                super::$name(&env).await;
                env.cleanup().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                if let Some(env) = Env::new(Which::Postgres).await {
                    super::$name(&env).await;
                    env.cleanup().await;
                }
            }
        }
    };
}

/// The built component `name` (`target/components`, or `WARDEN_COMPONENTS`, or the
/// components of `CARGO_TARGET_DIR`): `scripts/build-components.sh` builds them.
pub fn component(name: &str) -> Vec<u8> {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = match (
        std::env::var_os("WARDEN_COMPONENTS"),
        std::env::var_os("CARGO_TARGET_DIR"),
    ) {
        (Some(d), _) => std::path::PathBuf::from(d),
        (None, Some(t)) => root.join(t).join("components"),
        (None, None) => root.join("target/components"),
    };
    let path = dir.join(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run scripts/build-components.sh first)",
            path.display()
        )
    })
}
