//! The server's integration suite, one test binary: every module runs against the real
//! router on SQLite and on PostgreSQL (`WARDEN_TEST_POSTGRES`). One binary instead of one per
//! file: each links wasmtime, sqlx and axum, so a binary per file cost CI minutes of linking
//! and gigabytes of disk. Run one part with a filter, e.g.
//! `cargo test -p warden-server --test suite store::`.
#![allow(missing_docs)]

#[macro_use]
mod common;

mod api;
mod authzen;
mod authzen_hostile;
mod decide;
mod facts;
mod faults;
mod field_access;
mod hardening;
mod imports;
mod instances;
mod isolation;
mod lang;
mod openapi;
mod ops;
mod parity;
mod plugins;
mod store;
