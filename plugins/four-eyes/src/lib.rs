//! Example plugin: deleting or demoting an administrator needs a second approver.
//!
//! Configuration (all optional):
//! `{"adminRoles": ["administrator"], "deleteActions": ["users.delete"],
//!   "demoteActions": ["roles.assign"], "statuses": ["deleted"]}`.
//!
//! - authorize: a delete action on a target holding an admin role, or a demote action
//!   whose `change.remove` takes an admin role away, needs the fact `secondApprover`: the
//!   id of another person than the actor. Otherwise deny `four_eyes_required`
//!   (`four_eyes_same_person` when the approver is the actor).
//! - transition: moving an administrator to one of `statuses` needs the same fact.

use warden_plugin_sdk::{AuthorizeInput, Fields, Plugin, TransitionInput, Verdict};

/// The plugin.
pub struct FourEyes;

struct Config {
    admin_roles: Vec<String>,
    delete_actions: Vec<String>,
    demote_actions: Vec<String>,
    statuses: Vec<String>,
}

fn list(config: &Fields<'_>, key: &str, default: &[&str]) -> Vec<String> {
    match config.raw(key) {
        Some(_) => config
            .strings_at(key)
            .into_iter()
            .map(std::borrow::Cow::into_owned)
            .collect(),
        None => default.iter().map(|s| (*s).to_owned()).collect(),
    }
}

impl Config {
    fn parse(s: &str) -> Result<Config, String> {
        // The inputs' fields read in place (`Fields`), not built into JSON documents.
        let c = Fields::parse(s)?;
        Ok(Config {
            admin_roles: list(&c, "adminRoles", &["administrator"]),
            delete_actions: list(&c, "deleteActions", &["users.delete"]),
            demote_actions: list(&c, "demoteActions", &["roles.assign"]),
            statuses: list(&c, "statuses", &["deleted"]),
        })
    }

    fn is_admin(&self, account: &Fields<'_>) -> bool {
        account
            .strings_at("roles")
            .iter()
            .any(|r| self.admin_roles.iter().any(|a| a == r))
    }
}

/// The verdict once a sensitive operation is identified.
fn second_approver(actor: &Fields<'_>, facts: &Fields<'_>, what: &str) -> Verdict {
    let approver = facts.str_at("secondApprover");
    match approver.as_deref().map(str::trim) {
        Some(a) if !a.is_empty() && Some(a) == actor.str_at("id").as_deref() => Verdict::deny(
            "four_eyes_same_person",
            format!("the second approver of {what} must be someone other than the actor"),
        ),
        Some(a) if !a.is_empty() => Verdict::Allow,
        _ => Verdict::deny(
            "four_eyes_required",
            format!("{what} requires a second approver (fact `secondApprover`)"),
        ),
    }
}

impl Plugin for FourEyes {
    const NAME: &'static str = "four-eyes";
    const VERSION: &'static str = "1.0.0";

    fn authorize(input: AuthorizeInput) -> Result<Verdict, String> {
        let config = Config::parse(&input.config)?;
        let target = Fields::parse(&input.target)?;
        if !config.is_admin(&target) {
            return Ok(Verdict::Allow);
        }
        let actor = Fields::parse(&input.actor)?;
        let facts = Fields::parse(&input.facts)?;
        if config.delete_actions.contains(&input.action) {
            return Ok(second_approver(&actor, &facts, "deleting an administrator"));
        }
        if config.demote_actions.contains(&input.action) {
            let change = Fields::parse(&input.change)?;
            let demotes = change
                .strings_at("remove")
                .iter()
                .any(|r| config.admin_roles.iter().any(|a| a == r));
            if demotes {
                return Ok(second_approver(&actor, &facts, "demoting an administrator"));
            }
        }
        Ok(Verdict::Allow)
    }

    fn transition(input: TransitionInput) -> Result<Verdict, String> {
        let config = Config::parse(&input.config)?;
        let target = Fields::parse(&input.target)?;
        if !config.is_admin(&target) || !config.statuses.contains(&input.to) {
            return Ok(Verdict::Allow);
        }
        let actor = Fields::parse(&input.actor)?;
        let facts = Fields::parse(&input.facts)?;
        Ok(second_approver(
            &actor,
            &facts,
            &format!("moving an administrator to `{}`", input.to),
        ))
    }
}

warden_plugin_sdk::export!(FourEyes);
