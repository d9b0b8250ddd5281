//! `scope`: which targets may an actor reach with an action — as a filter, never a list.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::authorize::{AccessError, Target, parse_action, same_organization, status_grants};
use super::directory::Directory;
use super::spec::ScopeLevel;
use crate::checks::date::Timestamp;
use crate::model::Account;
use crate::policy::Policy;

/// The set of targets an actor may reach with an action.
///
/// Every variant but [`Filter::All`] is confined to one organisation: only a super
/// administrator gets `All` (R000-07).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
pub enum Filter {
    /// Everything, in every organisation.
    All,
    /// Nothing.
    None,
    /// Everything in one organisation.
    Organization {
        /// The organisation.
        organization: String,
    },
    /// The actor's own account, and resources it owns in its organisation.
    Own {
        /// The actor's id.
        id: String,
        /// The actor's organisation; without one, only the actor's own account matches.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        organization: Option<String>,
    },
    /// Everything at some locations of one organisation.
    Locations {
        /// The organisation.
        organization: String,
        /// The locations.
        locations: Vec<String>,
    },
    /// Accounts below a manager (and resources they own), in one organisation.
    Subtree {
        /// The organisation.
        organization: String,
        /// The manager's id.
        manager: String,
        /// How many levels down (1 = direct reports); absent for the whole subtree.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        depth: Option<u32>,
    },
    /// Any of these.
    AnyOf {
        /// The alternatives (never nested, never empty).
        filters: Vec<Filter>,
    },
}

/// The answer to a scope question: the filter and the rules that produced it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ScopeDecision {
    /// The hash of the policy.
    pub policy: Arc<str>,
    /// The action.
    pub action: String,
    /// The filter.
    pub filter: Filter,
    /// The rules that contributed (`superAdmin`, `role:manager#0`), or why it is `none`.
    pub reasons: Vec<Arc<str>>,
}

/// Computes the filter of targets `actor` may reach with `action`.
///
/// # Errors
/// As [`authorize`](super::authorize): an undeclared action, role or group.
pub fn scope(
    policy: &Policy,
    actor: &Account,
    action: &str,
    now: Timestamp,
) -> Result<ScopeDecision, AccessError> {
    let access = policy.access().ok_or_else(AccessError::no_access)?;
    let (module, act) = parse_action(access, action)?;
    let done = |filter: Filter, reasons: Vec<Arc<str>>| ScopeDecision {
        policy: policy.hash_arc(),
        action: action.to_owned(),
        filter,
        reasons,
    };
    let roles = super::authorize::effective_roles(access, actor)?;
    if !status_grants(policy, actor, now).0 {
        return Ok(done(Filter::None, vec!["status".into()]));
    }
    if actor.root || actor.super_admin {
        return Ok(done(
            Filter::All,
            vec![(if actor.root { "root" } else { "superAdmin" }).into()],
        ));
    }
    let perms: Vec<_> = roles
        .iter()
        .filter_map(|&i| access.roles.get(i))
        .flat_map(|r| r.permissions.iter())
        .filter(|p| p.pattern.matches(module, act))
        .collect();
    if let Some(f) = perms.iter().find(|p| p.forbid) {
        return Ok(done(Filter::None, vec![Arc::clone(&f.rule)]));
    }
    let Some(org) = actor.organization.clone() else {
        // Without an organisation an actor reaches only itself.
        let reasons: Vec<Arc<str>> = perms.iter().map(|p| Arc::clone(&p.rule)).collect();
        return Ok(if reasons.is_empty() {
            done(Filter::None, vec![])
        } else {
            done(
                Filter::Own {
                    id: actor.id.clone(),
                    organization: None,
                },
                reasons,
            )
        });
    };
    let mut reasons = Vec::new();
    let mut own = false;
    let mut location = false;
    let mut team: Option<Option<u32>> = None; // Some(None) = whole subtree
    for p in &perms {
        reasons.push(Arc::clone(&p.rule));
        match p.scope {
            ScopeLevel::All | ScopeLevel::Organization => {
                return Ok(done(
                    Filter::Organization { organization: org },
                    vec![Arc::clone(&p.rule)],
                ));
            }
            ScopeLevel::Own => own = true,
            ScopeLevel::Location => location = true,
            ScopeLevel::Team => {
                team = Some(match (team, p.depth) {
                    (Some(None), _) | (_, None) => None,
                    (Some(Some(a)), Some(b)) => Some(a.max(b)),
                    (None, Some(b)) => Some(b),
                })
            }
        }
    }
    let mut filters = Vec::new();
    if own {
        filters.push(Filter::Own {
            id: actor.id.clone(),
            organization: Some(org.clone()),
        });
    }
    if let Some(depth) = team {
        filters.push(Filter::Subtree {
            organization: org.clone(),
            manager: actor.id.clone(),
            depth,
        });
    }
    if location && let Some(l) = &actor.location {
        filters.push(Filter::Locations {
            organization: org.clone(),
            locations: vec![l.clone()],
        });
    }
    let filter = match filters.len() {
        0 => Filter::None,
        1 => filters.pop().unwrap_or(Filter::None),
        _ => Filter::AnyOf { filters },
    };
    Ok(done(filter, reasons))
}

impl Filter {
    /// Whether `target` is in the set, for a target of the actor the filter was made for.
    pub fn matches(&self, target: &Target, dir: &Directory) -> bool {
        match self {
            Filter::All => true,
            Filter::None => false,
            Filter::Organization { organization } => {
                target.organization.as_deref() == Some(organization)
            }
            Filter::Own { id, organization } => {
                (target.is_user() && target.id == *id)
                    || (organization.is_some()
                        && target.organization == *organization
                        && target.subject() == Some(id.as_str()))
            }
            Filter::Locations {
                organization,
                locations,
            } => {
                target.organization.as_deref() == Some(organization)
                    && target
                        .location
                        .as_ref()
                        .is_some_and(|l| locations.contains(l))
            }
            Filter::Subtree {
                organization,
                manager,
                depth,
            } => {
                target.organization.as_deref() == Some(organization)
                    && target.subject().is_some_and(|s| {
                        let m = if target.is_user() {
                            target.manager.as_deref()
                        } else {
                            None
                        };
                        dir.is_below(manager, s, m, *depth)
                    })
            }
            Filter::AnyOf { filters } => filters.iter().any(|f| f.matches(target, dir)),
        }
    }

    /// Renders the filter as a parameterised SQL boolean expression.
    ///
    /// # Errors
    /// [`SqlError`] when a configured column or table name is not a plain identifier.
    pub fn to_sql(&self, opts: &SqlOptions) -> Result<SqlFilter, SqlError> {
        opts.check()?;
        let mut out = SqlFilter {
            sql: String::new(),
            params: Vec::new(),
        };
        self.render(opts, &mut out);
        Ok(out)
    }

    fn render(&self, o: &SqlOptions, out: &mut SqlFilter) {
        match self {
            Filter::All => out.sql.push_str("TRUE"),
            Filter::None => out.sql.push_str("FALSE"),
            Filter::Organization { organization } => {
                let p = out.bind(o, Value::String(organization.clone()));
                out.sql
                    .push_str(&format!("{} = {p}", o.organization_column));
            }
            Filter::Own { id, organization } => match (organization, &o.owner_column) {
                (Some(org), _) => {
                    let p = out.bind(o, Value::String(id.clone()));
                    let q = out.bind(o, Value::String(org.clone()));
                    out.sql.push_str(&format!(
                        "({} = {p} AND {} = {q})",
                        o.subject_column(),
                        o.organization_column
                    ));
                }
                (None, None) => {
                    let p = out.bind(o, Value::String(id.clone()));
                    out.sql.push_str(&format!("{} = {p}", o.id_column));
                }
                (None, Some(_)) => out.sql.push_str("FALSE"),
            },
            Filter::Locations {
                organization,
                locations,
            } => {
                let p = out.bind(o, Value::String(organization.clone()));
                let ls: Vec<String> = locations
                    .iter()
                    .map(|l| out.bind(o, Value::String(l.clone())))
                    .collect();
                out.sql.push_str(&format!(
                    "({} = {p} AND {} IN ({}))",
                    o.organization_column,
                    o.location_column,
                    ls.join(", ")
                ));
            }
            Filter::Subtree {
                organization,
                manager,
                depth,
            } => {
                let org = out.bind(o, Value::String(organization.clone()));
                let m = out.bind(o, Value::String(manager.clone()));
                let subject = o.subject_column();
                let inner = match (&o.subtree, depth) {
                    (SubtreeStrategy::RecursiveCte { .. }, Some(1)) if o.owner_column.is_none() => {
                        format!("{} = {m}", o.manager_column)
                    }
                    (SubtreeStrategy::RecursiveCte { users_table }, depth) => {
                        let limit = match depth {
                            Some(d) => {
                                let d = out.bind(o, Value::from(*d));
                                format!(" WHERE s.depth < {d}")
                            }
                            None => String::new(),
                        };
                        format!(
                            "{subject} IN (WITH RECURSIVE s(id, depth) AS (SELECT {id}, 1 FROM {t} WHERE {mc} = {m} UNION ALL SELECT u.{id}, s.depth + 1 FROM {t} u JOIN s ON u.{mc} = s.id{limit}) SELECT id FROM s)",
                            id = o.id_column,
                            t = users_table,
                            mc = o.manager_column,
                        )
                    }
                    (
                        SubtreeStrategy::ClosureTable {
                            table,
                            ancestor,
                            descendant,
                            depth: depth_col,
                        },
                        depth,
                    ) => {
                        let limit = match depth {
                            Some(d) => {
                                let d = out.bind(o, Value::from(*d));
                                format!(" AND {depth_col} <= {d}")
                            }
                            None => String::new(),
                        };
                        format!(
                            "{subject} IN (SELECT {descendant} FROM {table} WHERE {ancestor} = {m} AND {depth_col} >= 1{limit})"
                        )
                    }
                };
                out.sql
                    .push_str(&format!("({} = {org} AND {inner})", o.organization_column));
            }
            Filter::AnyOf { filters } => {
                out.sql.push('(');
                for (i, f) in filters.iter().enumerate() {
                    if i > 0 {
                        out.sql.push_str(" OR ");
                    }
                    f.render(o, out);
                }
                out.sql.push(')');
            }
        }
    }
}

/// A parameterised SQL expression: splice `sql` into a `WHERE` clause and bind `params`
/// in order. No value from the policy or the request is ever written into `sql`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SqlFilter {
    /// The boolean expression.
    pub sql: String,
    /// The values of the placeholders, in order.
    pub params: Vec<Value>,
}

impl SqlFilter {
    fn bind(&mut self, o: &SqlOptions, v: Value) -> String {
        self.params.push(v);
        match o.placeholder {
            Placeholder::Dollar => format!("${}", self.params.len()),
            Placeholder::Question => "?".to_owned(),
        }
    }
}

/// Placeholder style.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum Placeholder {
    /// `$1`, `$2` (PostgreSQL).
    #[default]
    Dollar,
    /// `?` (SQLite, MySQL).
    Question,
}

/// How the manager subtree is expressed in SQL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
pub enum SubtreeStrategy {
    /// A recursive common table expression over the users table's manager column
    /// (PostgreSQL, SQLite, MySQL 8).
    #[serde(rename_all = "camelCase")]
    RecursiveCte {
        /// The users table.
        users_table: String,
    },
    /// A closure table (ancestor, descendant, depth) maintained by the application.
    #[serde(rename_all = "camelCase")]
    ClosureTable {
        /// The closure table.
        table: String,
        /// Its ancestor column.
        ancestor: String,
        /// Its descendant column.
        descendant: String,
        /// Its depth column (1 = direct report).
        depth: String,
    },
}

/// Column names and dialect for [`Filter::to_sql`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct SqlOptions {
    /// The id column of the filtered table. Default `id`.
    pub id_column: String,
    /// The organisation column. Default `organization_id`.
    pub organization_column: String,
    /// The location column. Default `location`.
    pub location_column: String,
    /// The manager column of the users table. Default `manager_id`.
    pub manager_column: String,
    /// For a table of resources, the owner column (`own` and `team` then test it instead
    /// of the id). Default none.
    pub owner_column: Option<String>,
    /// Placeholder style. Default `$n`.
    pub placeholder: Placeholder,
    /// Subtree strategy. Default a recursive CTE over `users`.
    pub subtree: SubtreeStrategy,
}

impl Default for SqlOptions {
    fn default() -> Self {
        SqlOptions {
            id_column: "id".into(),
            organization_column: "organization_id".into(),
            location_column: "location".into(),
            manager_column: "manager_id".into(),
            owner_column: None,
            placeholder: Placeholder::Dollar,
            subtree: SubtreeStrategy::RecursiveCte {
                users_table: "users".into(),
            },
        }
    }
}

/// A column or table name that is not a plain SQL identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{name}` is not a plain SQL identifier (letters, digits and `_`, optionally `schema.name`)"
)]
pub struct SqlError {
    name: String,
}

impl SqlError {
    /// The offending name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

fn identifier(name: &str) -> Result<(), SqlError> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name.split('.').count() <= 2
        && name.split('.').all(|part| {
            let mut cs = part.chars();
            cs.next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
    if ok {
        Ok(())
    } else {
        Err(SqlError {
            name: name.chars().take(128).collect(),
        })
    }
}

impl SqlOptions {
    fn subject_column(&self) -> &str {
        self.owner_column.as_deref().unwrap_or(&self.id_column)
    }

    fn check(&self) -> Result<(), SqlError> {
        identifier(&self.id_column)?;
        identifier(&self.organization_column)?;
        identifier(&self.location_column)?;
        identifier(&self.manager_column)?;
        if let Some(o) = &self.owner_column {
            identifier(o)?;
        }
        match &self.subtree {
            SubtreeStrategy::RecursiveCte { users_table } => identifier(users_table),
            SubtreeStrategy::ClosureTable {
                table,
                ancestor,
                descendant,
                depth,
            } => {
                identifier(table)?;
                identifier(ancestor)?;
                identifier(descendant)?;
                identifier(depth)
            }
        }
    }
}

#[allow(dead_code)]
fn _assert_same_org(actor: &Account, t: &Target) -> bool {
    same_organization(actor, t)
}
