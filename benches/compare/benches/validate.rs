//! Record validation, Rust: Warden's core against `garde` and `validator` on one rule set.
//!
//! The rule set (the policy `compare-policy.json` beside this crate's manifest, and the two
//! derive structs below): `firstName`, `lastName` required text of 1 to 100 characters with
//! no control or invisible formatting characters; `email` required, HTML-standard grammar;
//! `phone` optional, E.164 (`+`, 8 to 15 digits); `employeeId` required, `EMP-` and five
//! digits; `organization` required text of 1 to 64 characters. No password field. Unknown
//! fields are ignored by all three.
//!
//! Two input forms: "parsed" (Warden takes a `serde_json::Map`, the anchors their typed
//! struct, both built before timing) and "from JSON text" (each side reads the same line of
//! JSON its fastest way: garde and validator deserialise into their struct, then validate;
//! Warden's `validate_verdict_json` / `validate_user_json` read the text straight into the
//! policy's fields). Before any timing, every record's verdict must be the same on all three
//! sides, and Warden's from the text the same as from the map.
//!
//! Run with `cargo bench -p warden-compare --bench validate` (`WARDEN_BENCH_SMOKE=1` for the
//! CI size). Writes `validate-rust.md` into `target/bench-compare/`.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a bench binary: a broken assumption should stop the run loudly"
)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::sync::LazyLock;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use warden_compare::{fmt_ns, median, ratio, smoke, time_ns, write_fragment};
use warden_core::policy::Mode;
use warden_core::validate::{
    ValidationContext, ValidationFacts, validate_user, validate_user_json, validate_verdict,
    validate_verdict_json,
};
use warden_core::{Date, Lang, Policy};

static PHONE: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"^\+[1-9][0-9]{7,14}$").unwrap());
static EMPLOYEE_ID: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"^EMP-[0-9]{5}$").unwrap());

/// Warden's `text` rule: no control characters, no invisible formatting characters.
fn clean(s: &str) -> bool {
    !s.chars().any(|c| {
        c.is_control()
            || matches!(c, '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
    })
}

mod with_garde {
    use super::*;

    fn clean_text(v: &Option<String>, _: &()) -> garde::Result {
        match v {
            Some(s) if !clean(s) => Err(garde::Error::new("prohibited characters")),
            _ => Ok(()),
        }
    }

    #[derive(Debug, Deserialize, garde::Validate)]
    #[serde(rename_all = "camelCase")]
    pub struct User {
        #[garde(required, length(chars, min = 1, max = 100), custom(clean_text))]
        pub first_name: Option<String>,
        #[garde(required, length(chars, min = 1, max = 100), custom(clean_text))]
        pub last_name: Option<String>,
        #[garde(required, email)]
        pub email: Option<String>,
        #[garde(pattern(PHONE))]
        pub phone: Option<String>,
        #[garde(required, pattern(EMPLOYEE_ID))]
        pub employee_id: Option<String>,
        #[garde(required, length(chars, min = 1, max = 64), custom(clean_text))]
        pub organization: Option<String>,
    }
}

mod with_validator {
    use super::*;
    use validator::ValidationError;

    fn clean_text(s: &str) -> Result<(), ValidationError> {
        if clean(s) {
            Ok(())
        } else {
            Err(ValidationError::new("prohibited_characters"))
        }
    }

    #[derive(Debug, Deserialize, validator::Validate)]
    #[serde(rename_all = "camelCase")]
    pub struct User {
        #[validate(required, length(min = 1, max = 100), custom(function = "clean_text"))]
        pub first_name: Option<String>,
        #[validate(required, length(min = 1, max = 100), custom(function = "clean_text"))]
        pub last_name: Option<String>,
        #[validate(required, email)]
        pub email: Option<String>,
        #[validate(regex(path = *PHONE))]
        pub phone: Option<String>,
        #[validate(required, regex(path = *EMPLOYEE_ID))]
        pub employee_id: Option<String>,
        #[validate(required, length(min = 1, max = 64), custom(function = "clean_text"))]
        pub organization: Option<String>,
    }
}

/// The equal rule set as a Warden policy (shared with the Node benches).
fn policy() -> Policy {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/compare-policy.json"))
        .unwrap();
    Policy::from_json(&text).unwrap()
}

/// `n` deterministic records, `bad_per_100` of every 100 broken in one of eight ways.
fn records(n: usize, bad_per_100: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let mut r = json!({
                "firstName": format!("Ada{}", i % 97),
                "lastName": format!("Lovelace-{i}"),
                "email": format!("ada.lovelace{i}@acme{}.example", i % 13),
                "phone": format!("+3361234{:04}", i % 10_000),
                "employeeId": format!("EMP-{:05}", i % 100_000),
                "organization": format!("org-{}", i % 50),
            });
            if i % 3 == 0 {
                r.as_object_mut().unwrap().remove("phone");
            }
            if i % 100 < bad_per_100 {
                let o = r.as_object_mut().unwrap();
                match (i / 100 + i) % 8 {
                    0 => o.insert("email".into(), format!("user{i}.example.com").into()),
                    1 => o.insert("email".into(), format!("user{i}@@acme.example").into()),
                    2 => o.insert("phone".into(), "+33612".into()),
                    3 => o.insert("phone".into(), format!("0612{i:06}").into()),
                    4 => o.insert("employeeId".into(), format!("E-{i}").into()),
                    5 => o.remove("lastName"),
                    6 => o.insert("firstName".into(), "A".repeat(101).into()),
                    _ => o.insert("lastName".into(), format!("Love\u{7}lace{i}").into()),
                };
            }
            r.to_string()
        })
        .collect()
}

struct Row {
    label: String,
    warden: f64,
    verdict: f64,
    garde: f64,
    validator: f64,
}

fn main() {
    let smoke = smoke();
    let n = if smoke { 2_000 } else { 20_000 };
    let rounds = if smoke { 3 } else { 15 };
    let policy = policy();
    let facts = ValidationFacts::default();
    let ctx = ValidationContext {
        mode: Mode::Create,
        today: Date::parse("2026-11-22").unwrap(),
        lang: Lang::En,
        facts: &facts,
        mfa: false,
    };
    let mut rows = Vec::new();
    for (mix, bad) in [("all valid", 0), ("5% invalid", 5), ("50% invalid", 50)] {
        let lines = records(n, bad);
        let maps: Vec<Map<String, Value>> = lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let gs: Vec<with_garde::User> = lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let vs: Vec<with_validator::User> = lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();

        // Same verdicts, record by record, before any timing.
        let mut invalid = 0;
        for (i, m) in maps.iter().enumerate() {
            let w = validate_user(&policy, m, &ctx);
            let wv = validate_verdict(&policy, m, &ctx);
            assert_eq!(
                wv.violations, w.violations,
                "record {i}: verdict and decision differ"
            );
            let text = lines[i].as_bytes();
            assert_eq!(validate_verdict_json(&policy, text, &ctx).unwrap(), wv);
            assert_eq!(validate_user_json(&policy, text, &ctx).unwrap(), w);
            let g = garde::Validate::validate(&gs[i]).is_ok();
            let v = validator::Validate::validate(&vs[i]).is_ok();
            assert!(
                w.valid == g && g == v,
                "record {i} ({}): warden {} {:?}, garde {g}, validator {v}",
                lines[i],
                w.valid,
                w.violations.iter().map(|v| v.code).collect::<Vec<_>>()
            );
            invalid += usize::from(!w.valid);
        }
        assert_eq!(invalid, n * bad / 100, "{mix}: invalid count");

        // Interleaved rounds: each round times all three sides back to back.
        let (mut w, mut g, mut v) = (Vec::new(), Vec::new(), Vec::new());
        let (mut wj, mut gj, mut vj) = (Vec::new(), Vec::new(), Vec::new());
        let (mut wv, mut wvj) = (Vec::new(), Vec::new());
        for round in 0..=rounds {
            let tw = time_ns(|| {
                for m in &maps {
                    black_box(validate_user(&policy, black_box(m), &ctx).valid);
                }
            });
            let twv = time_ns(|| {
                for m in &maps {
                    black_box(validate_verdict(&policy, black_box(m), &ctx).valid);
                }
            });
            let tg = time_ns(|| {
                for u in &gs {
                    black_box(garde::Validate::validate(black_box(u)).is_ok());
                }
            });
            let tv = time_ns(|| {
                for u in &vs {
                    black_box(validator::Validate::validate(black_box(u)).is_ok());
                }
            });
            let twj = time_ns(|| {
                for l in &lines {
                    let d = validate_user_json(&policy, black_box(l.as_bytes()), &ctx);
                    black_box(d.unwrap().valid);
                }
            });
            let twvj = time_ns(|| {
                for l in &lines {
                    let d = validate_verdict_json(&policy, black_box(l.as_bytes()), &ctx);
                    black_box(d.unwrap().valid);
                }
            });
            let tgj = time_ns(|| {
                for l in &lines {
                    let u: with_garde::User = serde_json::from_str(black_box(l)).unwrap();
                    black_box(garde::Validate::validate(&u).is_ok());
                }
            });
            let tvj = time_ns(|| {
                for l in &lines {
                    let u: with_validator::User = serde_json::from_str(black_box(l)).unwrap();
                    black_box(validator::Validate::validate(&u).is_ok());
                }
            });
            if round > 0 {
                // round 0 is the warm-up
                let per = |t: f64| t / n as f64;
                w.push(per(tw));
                g.push(per(tg));
                v.push(per(tv));
                wj.push(per(twj));
                wv.push(per(twv));
                wvj.push(per(twvj));
                gj.push(per(tgj));
                vj.push(per(tvj));
            }
        }
        rows.push(Row {
            label: format!("{mix}, parsed input"),
            warden: median(&mut w),
            verdict: median(&mut wv),
            garde: median(&mut g),
            validator: median(&mut v),
        });
        rows.push(Row {
            label: format!("{mix}, from JSON text"),
            warden: median(&mut wj),
            verdict: median(&mut wvj),
            garde: median(&mut gj),
            validator: median(&mut vj),
        });
    }

    let mut md = String::new();
    writeln!(
        md,
        "Per record, median of {rounds} interleaved rounds over {n} generated records; \
         verdicts asserted equal record by record first. Warden `validate_verdict` returns \
         the verdict with every violation (code, path, params, message) and the checks, as \
         garde's and validator's reports carry their errors; `validate_user` also builds the \
         normalised record to store. From JSON text, Warden reads the text straight into the \
         policy's fields (`validate_verdict_json`, `validate_user_json`); garde and validator \
         deserialise into their struct, then validate. Ratio = anchor time / Warden `validate_verdict` time \
         (above 1: Warden is faster).\n"
    )
    .unwrap();
    md.push_str("| records | Warden `validate_verdict` | Warden `validate_user` | garde | validator | garde / Warden | validator / Warden |\n");
    md.push_str("|---|---:|---:|---:|---:|---:|---:|\n");
    for r in &rows {
        writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.label,
            fmt_ns(r.verdict),
            fmt_ns(r.warden),
            fmt_ns(r.garde),
            fmt_ns(r.validator),
            ratio(r.garde, r.verdict),
            ratio(r.validator, r.verdict)
        )
        .unwrap();
    }
    write_fragment("validate-rust", &md).unwrap();
}
