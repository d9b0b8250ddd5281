//! Example plugin: a user's email must be in one of the tenant's corporate domains.
//!
//! Configuration: `{"allowedDomains": ["acme.example", "acme.test"], "allowSubdomains": false}`.
//! A record whose `email` domain (case-insensitive) is not listed gets the violation
//! `email_domain_not_allowed` at `["email"]` with params `domain` and `allowed`. Records
//! without an email are left to the core (`required`).

use warden_plugin_sdk::{Fields, Level, Plugin, ValidateInput, Violation, log};

/// The plugin.
pub struct EmailDomain;

impl Plugin for EmailDomain {
    const NAME: &'static str = "email-domain";
    const VERSION: &'static str = "1.0.0";

    fn validate_user(input: ValidateInput) -> Result<Vec<Violation>, String> {
        // The inputs' fields read in place (`Fields`), not built into JSON documents.
        let config = Fields::parse(&input.config)?;
        let allowed: Vec<String> = config
            .strings_at("allowedDomains")
            .iter()
            .map(|d| d.trim().to_ascii_lowercase())
            .collect();
        if allowed.is_empty() {
            return Err("configuration: `allowedDomains` must list at least one domain".into());
        }
        let subdomains = config.bool_at("allowSubdomains").unwrap_or(false);
        let user = Fields::parse(&input.user)?;
        let Some(email) = user.str_at("email") else {
            return Ok(Vec::new());
        };
        let Some((_, domain)) = email.trim().rsplit_once('@') else {
            return Ok(Vec::new()); // not an email at all: the core reports it
        };
        let domain = domain.to_ascii_lowercase();
        let ok = allowed.iter().any(|a| {
            domain == *a
                || (subdomains
                    && domain
                        .strip_suffix(a.as_str())
                        .is_some_and(|p| p.ends_with('.')))
        });
        if ok {
            return Ok(Vec::new());
        }
        log(Level::Info, &format!("refused domain {domain}"));
        Ok(vec![
            Violation::error(
                "email_domain_not_allowed",
                &["email"],
                &format!("Email addresses must be in {}", allowed.join(", ")),
            )
            .with_params(serde_json::json!({ "domain": domain, "allowed": allowed })),
        ])
    }
}

warden_plugin_sdk::export!(EmailDomain);
