//! `warden-server`: serve the directory, verify the audit log, create API keys.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use warden_server::{App, Db, DbUrl, Settings, api, audit, seed};

#[derive(Parser)]
#[command(name = "warden-server", about = "The Warden directory server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct DbArgs {
    /// The data folder of the default SQLite database (`warden.db`), created on first start.
    #[arg(long, env = "WARDEN_DATA", default_value = "data")]
    data: PathBuf,
    /// A database URL instead: `postgres://USER@HOST/DB` or `sqlite://PATH`.
    #[arg(long, env = "WARDEN_DATABASE")]
    database: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (and the console when --www is given).
    ///
    /// `GET /metrics` is open unless the environment holds WARDEN_METRICS_TOKEN (at least
    /// 16 characters; never a flag, which every user of the machine could read): then it
    /// answers only `Authorization: Bearer <that token>`.
    Serve {
        #[command(flatten)]
        db: DbArgs,
        /// Listen address (loopback by default).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// The console's static files.
        #[arg(long)]
        www: Option<PathBuf>,
        /// Seed a demo tenant per preset (skipped for tenants that exist).
        #[arg(long)]
        demo: bool,
        /// Production mode: refuses an in-memory database and demo data, marks cookies
        /// Secure.
        #[arg(long)]
        production: bool,
        /// An origin allowed to call the API from a browser (repeat for several). CORS is
        /// closed without it.
        #[arg(long = "cors-origin", value_name = "ORIGIN")]
        cors_origins: Vec<String>,
        /// Seconds a request may take before it is answered 408 (bulk operations and
        /// imports run to their end).
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
        request_timeout: u64,
        /// Seconds a request waits for a database connection before it is answered 503.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=60))]
        db_acquire_timeout: u64,
        /// Seconds a stopping server (SIGTERM, Ctrl-C) waits, once its requests are answered,
        /// for the bulk operations and imports still running after their callers went away;
        /// an import cut there is marked `interrupted` at the next start. Keep it below the
        /// orchestrator's own grace period (Kubernetes: 30 s); a second signal stops at once.
        #[arg(long, default_value_t = 25, value_parser = clap::value_parser!(u64).range(0..=3600))]
        shutdown_grace: u64,
        /// Deliver outbox messages (obligations that leave the directory) as JSON POSTs to
        /// this http:// URL; default: log them as structured events (target
        /// `warden::outbox`).
        #[arg(long, env = "WARDEN_OUTBOX_WEBHOOK")]
        outbox_webhook: Option<String>,
        /// Compile tenants' plugins with optimisation: decisions with plugins are faster
        /// (about 5 µs each), loads slower (up to about twice) and less bounded against
        /// compile bombs. Off by default; for plugins whose authors are trusted. The
        /// variable takes true/false, yes/no, on/off or 1/0.
        #[arg(long, env = "WARDEN_OPTIMIZE_PLUGIN_CODE",
              value_parser = clap::builder::BoolishValueParser::new())]
        optimize_plugin_code: bool,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// API keys.
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute every tenant's hash chain; exit 1 if an entry was edited or deleted.
    Verify {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Create an API key; the token is printed once.
    Create {
        #[command(flatten)]
        db: DbArgs,
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// `admin`, `service` or `decide` (stateless decisions only).
        #[arg(long)]
        role: String,
        /// A name to recognise it by.
        #[arg(long, default_value = "cli")]
        name: String,
        /// Days until the key no longer authenticates (1 to 3650) [default: it does not
        /// expire].
        #[arg(long, value_name = "DAYS")]
        expires_in_days: Option<u32>,
    },
}

async fn open(args: &DbArgs, production: bool) -> Result<Db, String> {
    open_with(args, production, warden_server::db::ACQUIRE_TIMEOUT).await
}

async fn open_with(
    args: &DbArgs,
    production: bool,
    acquire: std::time::Duration,
) -> Result<Db, String> {
    let url = match &args.database {
        Some(u) => DbUrl::parse(u).map_err(|e| e.to_string())?,
        None => {
            Db::ensure_dir(&args.data).map_err(|e| e.to_string())?;
            DbUrl::sqlite_file(&args.data)
        }
    };
    if production && url.in_memory() {
        return Err(warden_server::db::DbError::InMemoryInProduction.to_string());
    }
    tracing::info!(database = %url.redacted(), "opening the database");
    Db::connect_with(&url, 8, acquire)
        .await
        .map_err(|e| e.to_string())
}

async fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Serve {
            db,
            listen,
            www,
            demo,
            production,
            cors_origins,
            request_timeout,
            db_acquire_timeout,
            shutdown_grace,
            outbox_webhook,
            optimize_plugin_code,
        } => {
            let sink: std::sync::Arc<dyn warden_server::outbox::Sink> = match &outbox_webhook {
                Some(url) => std::sync::Arc::new(
                    warden_server::outbox::WebhookSink::new(url).map_err(|e| e.to_string())?,
                ),
                None => std::sync::Arc::new(warden_server::outbox::LogSink),
            };
            if production && demo {
                return Err("--demo is refused in --production mode".into());
            }
            warden_server::ops::cors(&cors_origins)?;
            let db = open_with(
                &db,
                production,
                std::time::Duration::from_secs(db_acquire_timeout),
            )
            .await?;
            let mut settings = Settings {
                secure_cookies: production,
                request_timeout: std::time::Duration::from_secs(request_timeout),
                cors_origins,
                optimize_plugin_code,
                ..Settings::default()
            };
            if let Some(token) = std::env::var_os("WARDEN_METRICS_TOKEN") {
                let token = token
                    .into_string()
                    .map_err(|_| "WARDEN_METRICS_TOKEN is not UTF-8 text".to_owned())?;
                if token.trim().chars().count() < 16 {
                    return Err("WARDEN_METRICS_TOKEN must be at least 16 characters".into());
                }
                settings = settings.with_metrics_token(token.trim());
            }
            let app = App::new(db, settings);
            let interrupted = warden_server::imports::recover(&app)
                .await
                .map_err(|e| format!("recovering imports: {e}"))?;
            if interrupted > 0 {
                tracing::warn!(
                    imports = interrupted,
                    "imports interrupted by the last stop marked as such"
                );
            }
            // Each tenant whose stored policy this version refuses is logged with the
            // kernel's reason as the server starts, not at its first request; in the
            // background, so that many tenants do not hold the start.
            let checking = std::sync::Arc::clone(&app);
            tokio::spawn(async move { checking.check_stored_policies().await });
            warden_server::sync::spawn(&app);
            if demo {
                for preset in seed::DEMO_PRESETS {
                    if let Some(users) = seed::demo_tenant(&app, preset)
                        .await
                        .map_err(|e| format!("seeding {preset}: {e}"))?
                    {
                        let logins: Vec<&str> = users.iter().map(|u| u.login.as_str()).collect();
                        println!(
                            "demo tenant {preset}: users {} (password {})",
                            logins.join(", "),
                            seed::DEMO_PASSWORD
                        );
                    }
                }
            }
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .map_err(|e| format!("listen on {listen}: {e}"))?;
            let bound = listener.local_addr().map_err(|e| e.to_string())?;
            println!("warden-server listening on http://{bound}/");
            // Rows without their search text (written before it existed): given it in the
            // background; a search reads them as candidates meanwhile.
            let pool = app.db.pool().clone();
            tokio::spawn(async move {
                match warden_server::store::fill_search_column(&pool).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(users = n, "search text written for stored users"),
                    Err(e) => tracing::warn!(error = %e, "writing stored users' search text"),
                }
            });
            let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
            let worker = warden_server::outbox::Worker::new(app.db.clone(), sink);
            let outbox = tokio::spawn(worker.run(std::time::Duration::from_secs(2), async {
                let _ = stop_rx.await;
            }));
            let state = std::sync::Arc::clone(&app);
            axum::serve(listener, api::router(app, www))
                .with_graceful_shutdown(warden_server::ops::shutdown_signal(
                    "finishing in-flight requests, then running jobs (a second signal stops at once)",
                ))
                .await
                .map_err(|e| e.to_string())?;
            let running = tokio::select! {
                n = state.finish_jobs(std::time::Duration::from_secs(shutdown_grace)) => n,
                () = warden_server::ops::shutdown_signal("stopping now, without waiting for jobs") => {
                    warden_server::app::MAX_RUNNING_JOBS
                        .saturating_sub(state.jobs.available_permits())
                }
            };
            if running > 0 {
                tracing::warn!(
                    jobs = running,
                    "stopping with bulk operations or imports still running"
                );
            }
            let _ = stop_tx.send(());
            let _ = outbox.await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            command: AuditCommand::Verify { db },
        } => {
            let db = open(&db, false).await?;
            let mut conn = db.pool().acquire().await.map_err(|e| e.to_string())?;
            let (problems, checked) = audit::verify(&mut conn).await.map_err(|e| e.to_string())?;
            if problems.is_empty() {
                println!("audit log intact: {checked} entries verified");
                Ok(ExitCode::SUCCESS)
            } else {
                for p in &problems {
                    println!("tenant {} entry {}: {}", p.tenant, p.seq, p.problem);
                }
                Ok(ExitCode::from(1))
            }
        }
        Command::Key {
            command:
                KeyCommand::Create {
                    db,
                    tenant,
                    role,
                    name,
                    expires_in_days,
                },
        } => {
            let db = open(&db, false).await?;
            let app = App::new(db, Settings::default());
            let key = seed::create_expiring_key(&app, &tenant, &role, &name, expires_in_days)
                .await
                .map_err(|e| match e {
                    warden_server::error::ApiError::NotFound => format!("no tenant `{tenant}`"),
                    other => other.to_string(),
                })?;
            println!(
                "key {} ({role}) for {tenant}: {}",
                key.id,
                key.token.expose()
            );
            if let Some(t) = key.expires_at {
                println!("it expires at {}", warden_core::Timestamp::from_unix(t));
            }
            println!("store it now: it is not shown again");
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn main() -> ExitCode {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    // Structured logs: one JSON object per line on stderr (`WARDEN_LOG=text` for humans);
    // the level from RUST_LOG (default info).
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    if std::env::var("WARDEN_LOG").is_ok_and(|v| v == "text") {
        registry
            .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
            .init();
    } else {
        registry
            .with(warden_server::ops::json_layer(std::io::stderr))
            .init();
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match rt.block_on(run(Cli::parse())) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
