//! The database: one connection pool over SQLite or PostgreSQL, chosen by the URL's scheme,
//! with the backend's embedded migrations run at start.
//!
//! Why sqlx's `Any` driver rather than code generic over `sqlx::Database`: the directory's
//! queries are portable SQL (`$n` placeholders, which SQLite also accepts; `ON CONFLICT`;
//! `RETURNING`; TEXT, BIGINT), so one code path serves both backends and the backend is a
//! runtime choice (`--database`), with no generic bounds spread over every store function.
//! What differs per backend stays here: the migrations folder, the connection pragmas and
//! the statement that opens a write transaction.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
compile_error!("warden-server needs at least one database backend: feature `sqlite` or `postgres`");

/// The database backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite: one file.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// Why a database URL or connection was refused.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL's scheme is not `sqlite:` or `postgres://` / `postgresql://`.
    #[error(
        "unsupported database URL scheme in `{0}`: use sqlite://PATH or postgres://USER@HOST/DB"
    )]
    UnknownScheme(String),
    /// The backend was left out of this build.
    #[error("this build has no {0} backend")]
    NotBuilt(&'static str),
    /// Production mode on a database that does not outlive the process.
    #[error("refusing to run in production mode on an in-memory database")]
    InMemoryInProduction,
    /// The data folder could not be created.
    #[error("cannot create the data folder {0}: {1}")]
    DataDir(PathBuf, std::io::Error),
    /// Connecting or migrating failed.
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    /// Migrating failed.
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// A database URL, checked.
#[derive(Debug, Clone)]
pub struct DbUrl {
    url: String,
    backend: Backend,
    in_memory: bool,
}

impl DbUrl {
    /// Parses a URL: `sqlite://PATH`, `sqlite::memory:`, `postgres://...`,
    /// `postgresql://...`. Any other scheme is refused, so that a typo never creates an
    /// empty database somewhere.
    ///
    /// # Errors
    /// [`DbError::UnknownScheme`], [`DbError::NotBuilt`].
    pub fn parse(url: &str) -> Result<DbUrl, DbError> {
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(DbError::UnknownScheme(redact(url)));
        };
        #[cfg(not(feature = "sqlite"))]
        if backend == Backend::Sqlite {
            return Err(DbError::NotBuilt("SQLite"));
        }
        #[cfg(not(feature = "postgres"))]
        if backend == Backend::Postgres {
            return Err(DbError::NotBuilt("PostgreSQL"));
        }
        let in_memory =
            backend == Backend::Sqlite && (url.contains(":memory:") || url.contains("mode=memory"));
        // A SQLite file is created on first start, as `sqlite_file`'s is, unless the URL
        // says otherwise (`mode=ro`, `mode=rw`).
        let url = if backend == Backend::Sqlite && !in_memory && !url.contains("mode=") {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}mode=rwc")
        } else {
            url.to_owned()
        };
        Ok(DbUrl {
            url,
            backend,
            in_memory,
        })
    }

    /// The SQLite file `warden.db` in `dir`, created on first start.
    pub fn sqlite_file(dir: &Path) -> DbUrl {
        DbUrl {
            url: format!("sqlite://{}?mode=rwc", dir.join("warden.db").display()),
            backend: Backend::Sqlite,
            in_memory: false,
        }
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether the database lives only as long as the process.
    pub fn in_memory(&self) -> bool {
        self.in_memory
    }

    /// The URL with any password replaced by `***`, for logs.
    pub fn redacted(&self) -> String {
        redact(&self.url)
    }
}

/// Replaces the password of `scheme://user:password@host` by `***`.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = url.get(s + 3..at).unwrap_or("");
            match creds.split_once(':') {
                Some((user, _)) => format!(
                    "{}{}:***{}",
                    url.get(..s + 3).unwrap_or(""),
                    user,
                    url.get(at..).unwrap_or("")
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// The connection pool and its backend.
#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    max_connections: u32,
    /// The PostgreSQL URL (for the change listener's own connection); never printed.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    url: Option<String>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend)
            .field("max_connections", &self.max_connections)
            .finish_non_exhaustive()
    }
}

/// How long a request waits for a database connection by default before it fails with
/// 503: short, so that a database that went away is reported at once, not after the
/// client gave up.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

impl Db {
    /// Connects and runs the backend's migrations (each at most once, recorded in
    /// `_sqlx_migrations`).
    ///
    /// # Errors
    /// Connection or migration failures.
    pub async fn connect(url: &DbUrl, max_connections: u32) -> Result<Db, DbError> {
        Db::connect_with(url, max_connections, ACQUIRE_TIMEOUT).await
    }

    /// [`connect`](Self::connect) with the time a request waits for a connection.
    ///
    /// # Errors
    /// Connection or migration failures.
    pub async fn connect_with(
        url: &DbUrl,
        max_connections: u32,
        acquire_timeout: Duration,
    ) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let options = AnyConnectOptions::from_str(&url.url)?;
        let backend = url.backend;
        let mut pool = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(acquire_timeout);
        if backend == Backend::Sqlite {
            // One in-memory database is one connection: a second would be another database.
            if url.in_memory {
                pool = pool
                    .max_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None);
            }
            pool = pool.after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute(
                        "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
                    )
                    .await?;
                    Ok(())
                })
            });
        } else {
            pool = pool.after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("SET statement_timeout = '30s'").await?;
                    Ok(())
                })
            });
        }
        let pool = pool.connect_with(options).await?;
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&pool).await?;
        Ok(Db {
            pool,
            backend,
            max_connections: max_connections.max(1),
            url: (backend == Backend::Postgres).then(|| url.url.clone()),
        })
    }

    /// The pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool's connection limit.
    pub fn max_connections(&self) -> u32 {
        self.max_connections
    }

    /// The URL's text, for the PostgreSQL change listener (never logged).
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }

    /// Opens a write transaction. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`), so that concurrent writers wait on `busy_timeout` instead of failing on
    /// a read-to-write upgrade.
    ///
    /// # Errors
    /// Pool or database errors.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// How many migrations are recorded as applied successfully.
    ///
    /// # Errors
    /// Database errors.
    pub async fn applied_migrations(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
            .fetch_one(&self.pool)
            .await
    }

    /// How many migrations this build embeds for its backend.
    pub fn expected_migrations(&self) -> i64 {
        let m = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        i64::try_from(m.iter().count()).unwrap_or(i64::MAX)
    }

    /// Creates the data folder of a SQLite file database.
    ///
    /// # Errors
    /// [`DbError::DataDir`].
    pub fn ensure_dir(dir: &Path) -> Result<(), DbError> {
        std::fs::create_dir_all(dir).map_err(|e| DbError::DataDir(dir.to_owned(), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes() {
        assert!(matches!(
            DbUrl::parse("mysql://x").map(|u| u.backend),
            Err(DbError::UnknownScheme(_))
        ));
        assert!(matches!(
            DbUrl::parse("sqlit://x.db").map(|u| u.backend),
            Err(DbError::UnknownScheme(_))
        ));
        assert!(matches!(
            DbUrl::parse("warden.db").map(|u| u.backend),
            Err(DbError::UnknownScheme(_))
        ));
        assert_eq!(
            DbUrl::parse("sqlite://a.db")
                .map(|u| (u.backend, u.in_memory))
                .ok(),
            Some((Backend::Sqlite, false))
        );
        // A file is created on first start unless the URL names another mode.
        assert_eq!(
            DbUrl::parse("sqlite:///var/w.db").map(|u| u.url).ok(),
            Some("sqlite:///var/w.db?mode=rwc".to_owned())
        );
        assert_eq!(
            DbUrl::parse("sqlite://w.db?mode=ro").map(|u| u.url).ok(),
            Some("sqlite://w.db?mode=ro".to_owned())
        );
        assert_eq!(
            DbUrl::parse("sqlite::memory:").map(|u| u.in_memory).ok(),
            Some(true)
        );
        assert_eq!(
            DbUrl::parse("postgresql://u:secret@h/db")
                .map(|u| u.backend)
                .ok(),
            Some(Backend::Postgres)
        );
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert!(
            !DbError::UnknownScheme(redact("pg://u:secret@h"))
                .to_string()
                .contains("secret")
        );
    }

    #[test]
    fn migrations_come_in_pairs() {
        let names = |dir: &str| -> Vec<String> {
            let mut v: Vec<String> = std::fs::read_dir(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("migrations")
                    .join(dir),
            )
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
            v.sort();
            v
        };
        let sqlite = names("sqlite");
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, names("postgres"));
    }
}
