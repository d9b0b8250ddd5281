//! Validation throughput: one realistic record per preset (full decision and verdict), a
//! 10,000-record batch, and the same batch as a CSV import.
//!
//! Run with `cargo bench -p warden-core --bench validate`. Prints ns per record; the anchor
//! of the same run is the time to clone the record (the floor of any validator that takes
//! ownership of its input), reported as a ratio.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Map, Value, json};
use warden_core::import::{ImportOptions, validate_import};
use warden_core::validate::{ValidationContext, ValidationFacts, validate_user, validate_verdict};
use warden_core::{Date, Lang, Policy};

fn records() -> Vec<(&'static str, Map<String, Value>, bool)> {
    let r = |v: Value| v.as_object().cloned().unwrap();
    vec![
        (
            "000",
            r(
                json!({"firstName": "Sophie", "lastName": "Martin", "email": "sophie.martin@example.com", "phone": "+33 6 12 34 56 78", "password": "Violet-Kettle-42!x", "organization": "plant-a", "status": "active"}),
            ),
            true,
        ),
        (
            "001",
            r(
                json!({"firstName": "Sophie", "lastName": "Martin", "email": "sophie.martin@company.com", "jobTitle": "Senior Developer", "manager": "sarah", "status": "active", "city": "Paris", "country": "France"}),
            ),
            false,
        ),
        (
            "002",
            r(
                json!({"firstName": "Lucas", "lastName": "Bernard", "email": "lucas.bernard@example.org", "phone": "+44 20 7946 0958", "accountType": "customer", "birthdate": "1990-05-15", "sendActivationEmail": true, "location": "london"}),
            ),
            false,
        ),
        (
            "003",
            r(
                json!({"firstName": "Ana", "lastName": "Lopez", "email": "ana.lopez@crm.example", "password": "Quartz-Meadow-77$", "organization": "c1", "employeeId": "EMP-00123", "department": "Sales", "isSalesRep": true}),
            ),
            true,
        ),
        (
            "004",
            r(
                json!({"username": "jdoe", "firstName": "John", "lastName": "Doe", "userType": "requester", "department": "Finance", "supervisor": "msmith"}),
            ),
            false,
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let facts = ValidationFacts::default();
    let ctx = ValidationContext {
        mode: warden_core::policy::Mode::Create,
        today: Date::parse("2026-11-22").unwrap(),
        lang: Lang::En,
        facts: &facts,
        mfa: false,
    };
    let mut g = c.benchmark_group("validate");
    for (preset, record, has_password) in records() {
        let policy = Policy::preset(preset).unwrap();
        let d = validate_user(&policy, &record, &ctx);
        assert!(d.valid, "{preset}: {:?}", d.violations);
        g.bench_function(
            format!("{preset}{}", if has_password { "+password" } else { "" }),
            |b| b.iter(|| validate_user(black_box(&policy), black_box(&record), &ctx)),
        );
        g.bench_function(
            format!(
                "{preset}{}-verdict",
                if has_password { "+password" } else { "" }
            ),
            |b| b.iter(|| validate_verdict(black_box(&policy), black_box(&record), &ctx)),
        );
        if has_password {
            let mut no_pw = record.clone();
            no_pw.remove("password");
            let upd = ValidationContext {
                mode: warden_core::policy::Mode::Update,
                ..ctx
            };
            g.bench_function(format!("{preset}-no-password"), |b| {
                b.iter(|| validate_user(black_box(&policy), black_box(&no_pw), &upd))
            });
        }
        g.bench_function(format!("{preset}-anchor-clone"), |b| {
            b.iter(|| black_box(&record).clone())
        });
    }
    g.finish();

    // A 10,000-record batch per preset, 5% invalid (a broken email), timed directly.
    println!("\nbatch of 10,000 records (5% invalid), ns per record:");
    for (preset, record, _) in records() {
        let policy = Policy::preset(preset).unwrap();
        let batch: Vec<Map<String, Value>> = (0..10_000)
            .map(|i| {
                let mut r = record.clone();
                if i % 20 == 0 {
                    r.insert("email".into(), Value::String(format!("broken{i}@@example")));
                }
                r
            })
            .collect();
        let mut best = f64::MAX;
        let mut invalid = 0;
        for _ in 0..5 {
            let t = Instant::now();
            invalid = batch
                .iter()
                .map(|r| validate_user(&policy, r, &ctx))
                .filter(|d| !d.valid)
                .count();
            best = best.min(t.elapsed().as_nanos() as f64 / batch.len() as f64);
        }
        let t = Instant::now();
        let cloned: Vec<_> = batch.iter().map(|r| black_box(r.clone())).collect();
        let anchor = t.elapsed().as_nanos() as f64 / batch.len() as f64;
        drop(cloned);
        println!(
            "  {preset}: {best:.0} ns/record ({invalid} invalid), anchor clone {anchor:.0} ns/record, ratio {:.1}x",
            best / anchor
        );
    }

    // The same batches as CSV files through the bulk import (parse + verdict per row).
    println!("\nCSV import of 10,000 rows (5% invalid), ns per row:");
    for (preset, record, _) in records() {
        let policy = Policy::preset(preset).unwrap();
        let import_ctx = ValidationContext {
            mode: warden_core::policy::Mode::Import,
            ..ctx
        };
        let fields: Vec<(&String, &Value)> =
            record.iter().filter(|(k, _)| *k != "password").collect();
        let quote = |v: &str| format!("\"{}\"", v.replace('"', "\"\""));
        let mut csv = fields
            .iter()
            .map(|(k, _)| k.as_str())
            .collect::<Vec<_>>()
            .join(",");
        csv.push('\n');
        for i in 0..10_000 {
            let cells: Vec<String> = fields
                .iter()
                .map(|(k, v)| match (k.as_str(), v) {
                    ("email", _) if i % 20 == 0 => format!("broken{i}@@example"),
                    ("email", Value::String(v)) => quote(&format!("u{i}.{v}")),
                    ("username", Value::String(v)) => quote(&format!("{v}{i}")),
                    (_, Value::String(v)) => quote(v),
                    (_, v) => v.to_string(),
                })
                .collect();
            csv.push_str(&cells.join(","));
            csv.push('\n');
        }
        let mut best = f64::MAX;
        let mut invalid = 0;
        for _ in 0..5 {
            let t = Instant::now();
            let report = validate_import(
                &policy,
                black_box(csv.as_bytes()),
                ImportOptions::default(),
                &import_ctx,
            )
            .unwrap();
            best = best.min(t.elapsed().as_nanos() as f64 / 10_000.0);
            invalid = report.summary.invalid;
        }
        println!("  {preset}: {best:.0} ns/row ({invalid} invalid)");
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(2)).warm_up_time(std::time::Duration::from_millis(500));
    targets = bench
}
criterion_main!(benches);
