//! # warden-server
//!
//! The Warden server, part 1: the directory (SQLite by default, PostgreSQL at scale) and
//! its management API over the policy kernel. The kernel decides (authorization,
//! validation, lifecycle); this crate answers the kernel's questions from the store and
//! commits each change with its obligations and its audit entry in one transaction.
//!
//! - [`db`]: the connection pool, the backend chosen by the URL, per-backend migrations.
//! - [`store`]: the directory's rows and queries; [`closure`]: the manager hierarchy's
//!   closure table.
//! - [`users`]: the management operations; [`imports`]: CSV / JSON Lines imports;
//!   [`bulk`]: the kernel's bulk operation, executed in its planned batches;
//!   [`fields`]: attribute permissions (the kernel's answer applied to views and edits).
//! - [`audit`]: the hash-chained audit log and its verification; [`outbox`]: obligations
//!   that leave the directory, delivered after commit by a worker to a pluggable sink.
//! - [`auth`]: API keys and console sessions; [`revoke`]: revoking them; [`login`]: failed
//!   attempts, lockout status and rehashing on login.
//! - [`api`]: the HTTP routes; [`error`]: the one error-to-status map; [`extract`]: the
//!   request extractors and their typed rejections.
//! - [`organizations`]: organisations and their active flag; [`groups`]: manual and
//!   dynamic group membership.
//! - [`policy`]: policy versions and replacement reports.
//! - [`seed`]: demo tenants, one per preset.
//! - [`ops`]: metrics, JSON logs, limits' typed errors, CORS, shutdown.
//! - [`plugins`]: tenant plugins over the API and in decisions.
//! - [`sync`]: several instances over one database (cache refresh).
//! - [`authzen`]: the AuthZEN Authorization API 1.0 over the directory; [`resources`]:
//!   stored resources other than users.
//! - [`decide`]: the native decision API, every operation of the contract, in directory
//!   or stateless mode.
//! - [`openapi`]: the OpenAPI 3.1 document, served at `/openapi.json`.

pub mod api;
pub mod app;
pub mod audit;
pub mod auth;
pub mod authzen;
pub mod bulk;
pub mod closure;
pub mod db;
pub mod decide;
pub mod error;
pub mod extract;
pub mod fields;
pub mod groups;
pub mod imports;
pub mod login;
pub mod openapi;
pub mod ops;
pub mod organizations;
pub mod outbox;
pub mod plugins;
pub mod policy;
pub mod reset;
pub mod resources;
pub mod revoke;
pub mod seed;
pub mod store;
pub mod sync;
pub mod tokens;
pub mod users;

pub use app::{App, Settings};
pub use db::{Backend, Db, DbUrl};
