//! Who calls: an API key of a tenant (`Authorization: Bearer wdn_...`), or a console
//! session (the `warden_session` cookie). The actor of a user operation is always a user
//! loaded from the directory: the session's user, or the user a key names in
//! `X-Warden-Act-As`. Nothing in a request body is trusted as the actor.

use std::sync::Arc;

use axum::extract::{FromRequestParts, MatchedPath, RawPathParams};
use axum::http::Method;
use axum::http::request::Parts;
use sqlx::Row;

use crate::app::{App, Tenant, now};
use crate::error::{ApiError, Malformed, RequestPart};
use crate::store::{self, UserRow};
use crate::tokens::hash_token;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "warden_session";
/// The header a key uses to name the user it acts for.
pub const ACT_AS: &str = "x-warden-act-as";
/// The only routes a `decide` key may call (stateless mode, checked by the handler).
pub const DECIDE_ROUTE: &str = "/api/v1/decide/";
/// The roles an API key may have.
pub const KEY_ROLES: [&str; 3] = ["admin", "service", "decide"];
/// The anti-CSRF header unsafe cookie-authenticated requests must carry (a cross-site form
/// cannot set it, and CORS is closed).
pub const CSRF_HEADER: &str = "x-warden-csrf";

/// How the caller authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// An API key with role `admin` (policy, keys; may act for a user).
    AdminKey(String),
    /// An API key with role `service` (acts for the user it names).
    ServiceKey(String),
    /// An API key with role `decide`: stateless decisions only
    /// (`POST /api/v1/decide/{operation}?mode=stateless`), for a backend that keeps its
    /// own users. It reads nothing of the directory and acts for no user; every other
    /// route refuses it with a 403.
    DecideKey(String),
    /// A console session.
    Session,
}

impl Credential {
    /// How a caller with this credential is written in the audit log.
    pub fn via(&self) -> String {
        match self {
            Credential::AdminKey(id) | Credential::ServiceKey(id) | Credential::DecideKey(id) => {
                format!("key:{id}")
            }
            Credential::Session => "session".into(),
        }
    }
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The caller's tenant: every query is confined to it.
    pub tenant: Arc<Tenant>,
    /// How it authenticated.
    pub credential: Credential,
    /// The acting user, loaded from the directory.
    pub actor: Option<UserRow>,
}

/// A refusal of the `X-Warden-Act-As` header (400 `bad_request`, `in: header`, code
/// `invalid_header`): `reason` says what is wrong with it.
fn act_as_error(reason: &str) -> ApiError {
    Malformed::new(
        RequestPart::Header,
        "invalid_header",
        format!("`X-Warden-Act-As`: {reason}"),
    )
    .field(Some("X-Warden-Act-As".into()))
    .into()
}

impl Caller {
    /// The acting user, required for user operations.
    ///
    /// # Errors
    /// [`ApiError::Malformed`] (the header) for a key that names no user.
    pub fn actor(&self) -> Result<&UserRow, ApiError> {
        self.actor
            .as_ref()
            .ok_or_else(|| act_as_error("this operation acts for a user: name one in the header"))
    }

    /// Who the audit log names as the actor: the acting user, or `system` for a key that
    /// acts for none.
    pub fn audit_actor(&self) -> String {
        self.actor
            .as_ref()
            .map_or_else(|| "system".to_owned(), |a| a.id.clone())
    }

    /// How the caller is written in the audit log.
    pub fn via(&self) -> String {
        self.credential.via()
    }

    /// Whether the caller holds an admin key.
    pub fn is_admin(&self) -> bool {
        matches!(self.credential, Credential::AdminKey(_))
    }
}

/// The token of an `Authorization: Bearer <token>` header value: the scheme is matched
/// without regard to case (RFC 9110 §11.1), then one or more spaces, then the token
/// (surrounding whitespace trimmed). Anything else is no bearer token.
pub(crate) fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, rest) = value.trim_start().split_once(' ')?;
    let token = rest.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Why a session whose user must change their password is refused any other route.
pub const PASSWORD_CHANGE_REQUIRED: &str = "password_change_required";

/// The routes a console session may call while its user must change their password (a
/// temporary password from an administrator's reset or from the account's creation): the
/// session itself (who is signed in, signing out), reading the user's own record, and
/// changing its password ([`users::change_password`](crate::users::change_password)).
/// API keys act for users on a backend's authority and are not held to it.
async fn open_before_password_change(parts: &mut Parts, app: &Arc<App>, user: &str) -> bool {
    let route = parts
        .extensions
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let own = match (route.as_deref(), &parts.method) {
        (Some("/api/v1/session"), _) => return true,
        (Some("/api/v1/users/{id}"), &Method::GET | &Method::HEAD) => true,
        (Some("/api/v1/users/{id}/password"), &Method::POST) => true,
        _ => false,
    };
    own && RawPathParams::from_request_parts(parts, app)
        .await
        .is_ok_and(|params| params.iter().any(|(k, v)| k == "id" && v == user))
}

fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

async fn live_user(app: &App, tenant: &str, id: &str) -> Result<UserRow, ApiError> {
    let mut conn = app.db.pool().acquire().await?;
    match store::user(&mut conn, tenant, id).await? {
        Some(u) if u.deleted_at.is_none() => Ok(u),
        _ => Err(ApiError::Unauthenticated),
    }
}

/// An API key, as its bearer token names it.
struct Key {
    /// The key's tenant.
    tenant_id: String,
    /// The key, by role.
    credential: Credential,
}

/// The API key of the request's `Authorization: Bearer` header, `None` without one.
///
/// # Errors
/// [`ApiError::Unauthenticated`] for a token that names no live key.
async fn bearer_key(parts: &Parts, app: &App) -> Result<Option<Key>, ApiError> {
    let bearer = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token);
    let Some(token) = bearer else {
        return Ok(None);
    };
    // A revoked key, or one past its expiry, names no live key.
    let row = sqlx::query(
        "SELECT id, tenant_id, role FROM api_keys WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
    )
    .bind(hash_token(token))
    .bind(crate::app::now().unix())
    .fetch_optional(app.db.pool())
    .await?
    .ok_or(ApiError::Unauthenticated)?;
    let id: String = row.try_get("id")?;
    let role: String = row.try_get("role")?;
    let credential = match role.as_str() {
        "admin" => Credential::AdminKey(id),
        "service" => Credential::ServiceKey(id),
        "decide" => Credential::DecideKey(id),
        _ => return Err(ApiError::Unauthenticated),
    };
    Ok(Some(Key {
        tenant_id: row.try_get("tenant_id")?,
        credential,
    }))
}

/// The `X-Warden-Act-As` header: one, of visible text, never read as absent, nor the first
/// of several.
fn act_as_header(parts: &Parts) -> Result<Option<&str>, ApiError> {
    let mut given = parts.headers.get_all(ACT_AS).iter();
    match (given.next(), given.next()) {
        (None, _) => Ok(None),
        (Some(_), Some(_)) => Err(act_as_error("given more than once")),
        (Some(v), None) => v
            .to_str()
            .map(Some)
            .map_err(|_| act_as_error("not visible ASCII text")),
    }
}

/// The live user of `tenant` that `X-Warden-Act-As` names, if it names one.
///
/// With the tenant's `policy`, a user it holds back by their organisation
/// ([`store::out_of_reach`]) is refused; without it (an admin key's call on the policy
/// document itself, which holds when the stored policy does not compile), the header only
/// names who the audit log says acted.
async fn act_as_user(
    app: &App,
    tenant: &str,
    act_as: Option<&str>,
    policy: Option<&warden_core::Policy>,
) -> Result<Option<UserRow>, ApiError> {
    let Some(uid) = act_as else {
        return Ok(None);
    };
    let user = live_user(app, tenant, uid)
        .await
        .map_err(|_| act_as_error("names no user of this tenant"))?;
    // A user whose organisation is inactive (under a policy whose sign-in needs an active
    // one) signs in to nothing and has had their sessions ended: a key does not act for
    // them either.
    let Some(policy) = policy else {
        return Ok(Some(user));
    };
    let mut conn = app.db.pool().acquire().await?;
    if store::out_of_reach(&mut conn, policy, &user).await? {
        return Err(ApiError::Forbidden {
            deny: None,
            reason: "the user `X-Warden-Act-As` names belongs to an inactive organisation: nobody acts for them until it is active again",
        });
    }
    Ok(Some(user))
}

/// An admin key's call on its tenant's policy document itself (`GET` and `PUT
/// /api/v1/policy`): unlike [`Caller`], it holds when the stored policy does not compile
/// on this server ([`ApiError::PolicyUnusable`]), so that the tenant's administrator can
/// read the document and replace it.
#[derive(Debug, Clone)]
pub struct PolicyAdmin {
    /// The key's tenant.
    pub tenant_id: String,
    /// The key.
    pub credential: Credential,
    /// The user the key acts for (`X-Warden-Act-As`), loaded from the directory.
    pub actor: Option<UserRow>,
}

/// The refusal of a policy route to any caller but an admin key.
const POLICY_ADMIN_ONLY: &str = "only an admin key reads or replaces the policy";

impl FromRequestParts<Arc<App>> for PolicyAdmin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> Result<PolicyAdmin, ApiError> {
        let Some(key) = bearer_key(parts, app).await? else {
            // A session: authenticated as any other route would, then refused.
            Caller::from_request_parts(parts, app).await?;
            return Err(ApiError::Forbidden {
                deny: None,
                reason: POLICY_ADMIN_ONLY,
            });
        };
        if !matches!(key.credential, Credential::AdminKey(_)) {
            return Err(ApiError::Forbidden {
                deny: None,
                reason: POLICY_ADMIN_ONLY,
            });
        }
        let actor = act_as_user(app, &key.tenant_id, act_as_header(parts)?, None).await?;
        Ok(PolicyAdmin {
            tenant_id: key.tenant_id,
            credential: key.credential,
            actor,
        })
    }
}

impl FromRequestParts<Arc<App>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Caller, ApiError> {
        if let Some(key) = bearer_key(parts, app).await? {
            let tenant = app.tenant(&key.tenant_id).await?;
            let credential = key.credential;
            let act_as = act_as_header(parts)?;
            if matches!(credential, Credential::DecideKey(_)) {
                // The route matched, prefix included (a nested router's own URI is only
                // its suffix).
                let route = parts
                    .extensions
                    .get::<MatchedPath>()
                    .map(MatchedPath::as_str);
                if !route.is_some_and(|r| r.starts_with(DECIDE_ROUTE)) {
                    return Err(ApiError::Forbidden {
                        deny: None,
                        reason: "a decide key takes stateless decisions only (POST /api/v1/decide/{operation}?mode=stateless)",
                    });
                }
                if act_as.is_some() {
                    return Err(act_as_error(
                        "a decide key acts for no user: remove the header",
                    ));
                }
            }
            let actor = act_as_user(app, &tenant.id, act_as, Some(&tenant.policy)).await?;
            crate::plugins::warm(app, &tenant.id).await;
            return Ok(Caller {
                tenant,
                credential,
                actor,
            });
        }
        let token = cookie(parts, SESSION_COOKIE).ok_or(ApiError::Unauthenticated)?;
        if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS)
            && parts.headers.get(CSRF_HEADER).is_none()
        {
            return Err(ApiError::Csrf);
        }
        let row = sqlx::query(
            "SELECT tenant_id, user_id, epoch, expires_at FROM sessions WHERE token_hash = $1",
        )
        .bind(hash_token(&token))
        .fetch_optional(app.db.pool())
        .await?
        .ok_or(ApiError::Unauthenticated)?;
        let tenant_id: String = row.try_get("tenant_id")?;
        let user_id: String = row.try_get("user_id")?;
        let epoch: i64 = row.try_get("epoch")?;
        let expires: i64 = row.try_get("expires_at")?;
        if expires <= now().unix() {
            return Err(ApiError::Unauthenticated);
        }
        let tenant = app.tenant(&tenant_id).await?;
        let user = live_user(app, &tenant.id, &user_id).await?;
        if user.session_epoch != epoch {
            return Err(ApiError::Unauthenticated);
        }
        if user.must_change_password && !open_before_password_change(parts, app, &user.id).await {
            return Err(ApiError::Forbidden {
                deny: None,
                reason: PASSWORD_CHANGE_REQUIRED,
            });
        }
        crate::plugins::warm(app, &tenant.id).await;
        Ok(Caller {
            tenant,
            credential: Credential::Session,
            actor: Some(user),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn the_bearer_scheme_is_read_without_regard_to_case() {
        for v in ["Bearer abc", "bearer abc", "BEARER  abc ", "bEaReR abc"] {
            assert_eq!(bearer_token(v), Some("abc"), "{v}");
        }
        for v in [
            "Basic abc",
            "Bearer",
            "Bearer ",
            "Bearerabc",
            "",
            "Token abc",
        ] {
            assert_eq!(bearer_token(v), None, "{v}");
        }
    }
}
