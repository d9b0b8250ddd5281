//! Example plugin: contractor accounts carry an end date at most 90 days away, and are
//! inactive after it.
//!
//! Configuration (all optional): `{"typeField": "accountType", "contractorTypes":
//! ["contractor"], "endDateField": "endDate", "maxDays": 90, "activeStatuses": ["active"]}`.
//!
//! The plugin has no clock: "today" is the decision's `today` (validation) or the date of
//! its `now` (authorization, transitions). Fields are read from the account itself or from
//! its `attributes`.
//!
//! - validate: a contractor record needs an end date (`contractor_end_date_required`), a
//!   valid one (`contractor_end_date_invalid`), at most `maxDays` days after today
//!   (`contractor_end_date_too_far`) and not before today (`contractor_expired`).
//! - transition: a contractor cannot move to an active status once its end date has
//!   passed, or without one (deny `contractor_expired` / `contractor_end_date_required`).
//! - authorize: a contractor whose end date has passed is inactive: every action it
//!   attempts is denied (`contractor_expired`).

use serde_json::json;
use warden_plugin_sdk::{
    AuthorizeInput, Json, Plugin, TransitionInput, ValidateInput, Verdict, Violation,
    days_since_epoch,
};

/// The plugin.
pub struct Contractor;

struct Config {
    type_field: String,
    types: Vec<String>,
    end_field: String,
    max_days: i64,
    active: Vec<String>,
}

impl Config {
    fn parse(s: &str) -> Result<Config, String> {
        let c = Json::parse(s)?;
        let strings = |key: &str, default: &str| -> Vec<String> {
            match c.get(key) {
                Some(_) => c.strings_at(key).iter().map(|s| (*s).to_owned()).collect(),
                None => vec![default.to_owned()],
            }
        };
        let max_days = match c.get("maxDays") {
            None => 90,
            Some(v) => v
                .as_i64()
                .filter(|d| (0..=3650).contains(d))
                .ok_or("configuration: `maxDays` must be a whole number of days, 0 to 3650")?,
        };
        Ok(Config {
            type_field: c.str_at("typeField").unwrap_or("accountType").to_owned(),
            types: strings("contractorTypes", "contractor"),
            end_field: c.str_at("endDateField").unwrap_or("endDate").to_owned(),
            max_days,
            active: strings("activeStatuses", "active"),
        })
    }

    /// A field of an account or of its `attributes`.
    fn field<'a>(account: &'a Json, key: &str) -> Option<&'a str> {
        account.str_at(key).or_else(|| {
            account
                .get("attributes")
                .and_then(|a| a.get(key))
                .and_then(serde_json::Value::as_str)
        })
    }

    fn is_contractor(&self, account: &Json) -> bool {
        Self::field(account, &self.type_field).is_some_and(|t| self.types.iter().any(|c| c == t))
    }
}

/// The end date of a contractor, in days since the epoch.
enum End {
    Missing,
    Invalid(String),
    Day(i64, String),
}

fn end_date(config: &Config, account: &Json) -> End {
    match Config::field(account, &config.end_field).map(str::trim) {
        None | Some("") => End::Missing,
        Some(s) => match days_since_epoch(s) {
            Some(d) if s.len() == 10 => End::Day(d, s.to_owned()),
            _ => End::Invalid(s.to_owned()),
        },
    }
}

fn today(date: &str) -> Result<i64, String> {
    days_since_epoch(date).ok_or_else(|| format!("unreadable date `{date}` in the input"))
}

/// A deny for a contractor past its end date or without one, if so.
fn expired(config: &Config, account: &Json, now: &str, whose: &str) -> Result<Verdict, String> {
    let today = today(now)?;
    Ok(match end_date(config, account) {
        End::Day(d, s) if d < today => Verdict::deny(
            "contractor_expired",
            format!("{whose} contract ended on {s}: the account is inactive"),
        ),
        End::Day(..) => Verdict::Allow,
        End::Missing | End::Invalid(_) => Verdict::deny(
            "contractor_end_date_required",
            format!("{whose} account has no valid end date"),
        ),
    })
}

impl Plugin for Contractor {
    const NAME: &'static str = "contractor";
    const VERSION: &'static str = "1.0.0";

    fn validate_user(input: ValidateInput) -> Result<Vec<Violation>, String> {
        let config = Config::parse(&input.config)?;
        let user = Json::parse(&input.user)?;
        if !config.is_contractor(&user) {
            return Ok(Vec::new());
        }
        let today = today(&input.today)?;
        let field = config.end_field.as_str();
        let v = match end_date(&config, &user) {
            End::Missing => Violation::error(
                "contractor_end_date_required",
                &[field],
                "Contractor accounts must have an end date",
            ),
            End::Invalid(s) => Violation::error(
                "contractor_end_date_invalid",
                &[field],
                "The end date must be a date (YYYY-MM-DD)",
            )
            .with_params(json!({ "value": s })),
            End::Day(d, s) if d > today + config.max_days => Violation::error(
                "contractor_end_date_too_far",
                &[field],
                &format!(
                    "A contractor's end date is at most {} days away",
                    config.max_days
                ),
            )
            .with_params(json!({ "maxDays": config.max_days, "endDate": s })),
            End::Day(d, s) if d < today => Violation::error(
                "contractor_expired",
                &[field],
                &format!("The contract ended on {s}: the account must be inactive"),
            )
            .with_params(json!({ "endDate": s })),
            End::Day(..) => return Ok(Vec::new()),
        };
        Ok(vec![v])
    }

    fn authorize(input: AuthorizeInput) -> Result<Verdict, String> {
        let config = Config::parse(&input.config)?;
        let actor = Json::parse(&input.actor)?;
        if !config.is_contractor(&actor) {
            return Ok(Verdict::Allow);
        }
        expired(&config, &actor, &input.now, "the actor's")
    }

    fn transition(input: TransitionInput) -> Result<Verdict, String> {
        let config = Config::parse(&input.config)?;
        let target = Json::parse(&input.target)?;
        if !config.is_contractor(&target) || !config.active.contains(&input.to) {
            return Ok(Verdict::Allow);
        }
        expired(&config, &target, &input.now, "the target's")
    }
}

warden_plugin_sdk::export!(Contractor);
