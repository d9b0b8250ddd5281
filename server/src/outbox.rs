//! The obligations outbox. Obligations that leave the directory (notify the user, verify a
//! new email, send a reset link, cancel bookings in another system) are written to the
//! `outbox` table by [`enqueue`], inside the transaction of the change that carries them:
//! committed together or not at all. A [`Worker`] in the server then delivers them to a
//! [`Sink`], at least once: a message is marked delivered only after the sink accepted it,
//! a failure is retried with exponential backoff (up to [`MAX_ATTEMPTS`], then the message
//! is `dead` and kept for an operator), and every message carries an idempotency key (its
//! id, stable across retries) so that a receiver drops repeats.
//!
//! Sinks are pluggable: [`LogSink`] (the default) writes each message as a structured
//! `tracing` event (target `warden::outbox`); [`WebhookSink`] POSTs it as JSON to a
//! configured `http://` URL with an `Idempotency-Key` header and counts any 2xx as
//! delivered. Another sink implements [`Sink`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use sqlx::{AnyConnection, Row};

use crate::app::now;
use crate::db::Db;

/// Deliveries tried before a message is `dead`.
pub const MAX_ATTEMPTS: i64 = 8;
/// Messages claimed per round.
pub const BATCH: i64 = 50;
/// The longest wait between two attempts, in seconds.
pub const MAX_BACKOFF_SECONDS: i64 = 3600;

/// The obligation kinds that leave the directory (by their contract `kind`).
pub const OUTBOUND: [&str; 5] = [
    "notifyUser",
    "notifyEmailChange",
    "verifyNewEmail",
    "issueResetToken",
    "cancelFutureBookings",
];

/// Whether an obligation kind is delivered through the outbox.
pub fn is_outbound(kind: &str) -> bool {
    OUTBOUND.contains(&kind)
}

/// Writes a message in the caller's transaction. The idempotency key is the message's id.
///
/// # Errors
/// Database errors (the caller's change then fails with it).
pub async fn enqueue(
    conn: &mut AnyConnection,
    tenant: &str,
    user_id: &str,
    kind: &str,
    payload: &Value,
    at: i64,
) -> Result<String, sqlx::Error> {
    let id = crate::tokens::new_id("o_")
        .map_err(|e| sqlx::Error::Protocol(format!("randomness: {e}")))?;
    sqlx::query(
        "INSERT INTO outbox (id, tenant_id, user_id, kind, payload, idempotency_key, state, attempts, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $1, 'pending', 0, $6, $6)",
    )
    .bind(&id)
    .bind(tenant)
    .bind(user_id)
    .bind(kind)
    .bind(payload.to_string())
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// Erases the messages about `user_id` that were delivered (an anonymising or hard
/// deletion erases the user's personal data, and a delivered message keeps the addresses
/// and names it carried): each payload becomes `{"kind", "erased": true}`. Messages not
/// delivered yet are left to deliver (the deletion's own notice among them).
///
/// # Errors
/// Database errors.
pub async fn erase_delivered(
    conn: &mut AnyConnection,
    tenant: &str,
    user_id: &str,
) -> Result<(), sqlx::Error> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, kind FROM outbox WHERE tenant_id = $1 AND user_id = $2 AND state = 'delivered'",
    )
    .bind(tenant)
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await?;
    for (id, kind) in rows {
        sqlx::query("UPDATE outbox SET payload = $1 WHERE id = $2")
            .bind(serde_json::json!({"kind": kind, "erased": true}).to_string())
            .bind(&id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// A message as a sink receives it. Its `Debug` leaves out the obligation's secret (a
/// reset token, see [`crate::reset::scrub`]); a sink that delivers it serialises it whole.
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// The message id.
    pub id: String,
    /// The key a receiver uses to drop repeats (stable across retries).
    pub idempotency_key: String,
    /// The tenant.
    pub tenant: String,
    /// The user the obligation concerns.
    pub user: String,
    /// The obligation's kind (`notifyUser`...).
    pub kind: String,
    /// The obligation as the kernel phrased it.
    pub obligation: Value,
    /// This delivery's attempt number (1 for the first).
    pub attempt: i64,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Message")
            .field("id", &self.id)
            .field("idempotency_key", &self.idempotency_key)
            .field("tenant", &self.tenant)
            .field("user", &self.user)
            .field("kind", &self.kind)
            .field("obligation", &crate::reset::scrub(&self.obligation))
            .field("attempt", &self.attempt)
            .finish()
    }
}

/// The result of one delivery.
pub type Delivery<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// Where messages go. `deliver` returns `Ok` only once the message is accepted; an error
/// (a short reason, never a secret) schedules a retry.
pub trait Sink: Send + Sync + std::fmt::Debug {
    /// Delivers one message.
    fn deliver<'a>(&'a self, m: &'a Message) -> Delivery<'a>;
}

/// The default sink: each message becomes a structured `tracing` event.
#[derive(Debug, Default, Clone, Copy)]
pub struct LogSink;

impl Sink for LogSink {
    fn deliver<'a>(&'a self, m: &'a Message) -> Delivery<'a> {
        Box::pin(async move {
            tracing::info!(
                target: "warden::outbox",
                id = %m.id,
                idempotency_key = %m.idempotency_key,
                tenant = %m.tenant,
                user = %m.user,
                kind = %m.kind,
                attempt = m.attempt,
                obligation = %crate::reset::scrub(&m.obligation),
                "obligation"
            );
            Ok(())
        })
    }
}

/// Posts each message as JSON to a webhook (plain `http://`, for a receiver on the same
/// host or network), with `Idempotency-Key`; a 2xx answer is a delivery. Each request has
/// a 10-second timeout.
#[derive(Debug, Clone)]
pub struct WebhookSink {
    uri: hyper::Uri,
}

/// Why a webhook URL was refused.
#[derive(Debug, thiserror::Error)]
#[error("webhook URL: {0}")]
pub struct WebhookError(String);

impl WebhookSink {
    /// A sink posting to `url` (`http://host:port/path`).
    ///
    /// # Errors
    /// A URL that does not parse, is not `http://`, or names no host.
    pub fn new(url: &str) -> Result<WebhookSink, WebhookError> {
        let uri: hyper::Uri = url
            .parse()
            .map_err(|e: hyper::http::uri::InvalidUri| WebhookError(e.to_string()))?;
        if uri.scheme_str() != Some("http") {
            return Err(WebhookError("only http:// URLs are supported".into()));
        }
        if uri.host().is_none() {
            return Err(WebhookError("the URL names no host".into()));
        }
        Ok(WebhookSink { uri })
    }

    async fn post(&self, m: &Message) -> Result<(), String> {
        use http_body_util::{BodyExt, Full};
        let host = self.uri.host().unwrap_or("127.0.0.1");
        let port = self.uri.port_u16().unwrap_or(80);
        let stream = tokio::net::TcpStream::connect((host, port))
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .map_err(|e| format!("handshake: {e}"))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let body = serde_json::to_vec(m).map_err(|e| e.to_string())?;
        let authority = self
            .uri
            .authority()
            .map_or_else(|| host.to_owned(), ToString::to_string);
        let req = hyper::Request::post(
            self.uri
                .path_and_query()
                .map_or("/", hyper::http::uri::PathAndQuery::as_str),
        )
        .header(hyper::header::HOST, authority)
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header("idempotency-key", &m.idempotency_key)
        .body(Full::new(bytes::Bytes::from(body)))
        .map_err(|e| e.to_string())?;
        let resp = sender
            .send_request(req)
            .await
            .map_err(|e| format!("request: {e}"))?;
        let status = resp.status();
        let _ = resp.into_body().collect().await;
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("status {status}"))
        }
    }
}

impl Sink for WebhookSink {
    fn deliver<'a>(&'a self, m: &'a Message) -> Delivery<'a> {
        Box::pin(async move {
            match tokio::time::timeout(Duration::from_secs(10), self.post(m)).await {
                Ok(r) => r,
                Err(_) => Err("timeout".into()),
            }
        })
    }
}

/// The wait before attempt `attempts + 1`: 2, 4, 8... seconds, at most
/// [`MAX_BACKOFF_SECONDS`].
pub fn backoff_seconds(attempts: i64) -> i64 {
    let exp = u32::try_from(attempts.clamp(1, 20)).unwrap_or(20);
    2_i64.saturating_pow(exp).min(MAX_BACKOFF_SECONDS)
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    /// Messages the sink accepted.
    pub delivered: usize,
    /// Messages to retry later.
    pub retried: usize,
    /// Messages that ran out of attempts.
    pub dead: usize,
}

/// Delivers due messages.
#[derive(Debug, Clone)]
pub struct Worker {
    db: Db,
    sink: Arc<dyn Sink>,
}

impl Worker {
    /// A worker delivering to `sink`.
    pub fn new(db: Db, sink: Arc<dyn Sink>) -> Worker {
        Worker { db, sink }
    }

    /// One round: up to [`BATCH`] due messages, oldest first. A message is claimed by
    /// pushing its next attempt into the future (a lease of a minute) before delivery, so
    /// that two workers do not deliver it at once; at least once means a crash between
    /// delivery and marking lets the lease expire and delivers it again, with the same
    /// idempotency key.
    ///
    /// # Errors
    /// Database errors.
    pub async fn round(&self) -> Result<Round, sqlx::Error> {
        let t = now().unix();
        let rows = sqlx::query(
            "SELECT id, tenant_id, user_id, kind, payload, idempotency_key, attempts FROM outbox WHERE state = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2",
        )
        .bind(t)
        .bind(BATCH)
        .fetch_all(self.db.pool())
        .await?;
        let mut out = Round::default();
        for r in rows {
            let id: String = r.try_get("id")?;
            let attempts: i64 = r.try_get("attempts")?;
            let claimed = sqlx::query(
                "UPDATE outbox SET next_attempt_at = $1, attempts = attempts + 1 WHERE id = $2 AND state = 'pending' AND attempts = $3",
            )
            .bind(t + 60)
            .bind(&id)
            .bind(attempts)
            .execute(self.db.pool())
            .await?
            .rows_affected();
            if claimed == 0 {
                continue;
            }
            let payload: String = r.try_get("payload")?;
            let m = Message {
                id: id.clone(),
                idempotency_key: r.try_get("idempotency_key")?,
                tenant: r.try_get("tenant_id")?,
                user: r.try_get("user_id")?,
                kind: r.try_get("kind")?,
                obligation: serde_json::from_str(&payload).unwrap_or(Value::Null),
                attempt: attempts + 1,
            };
            match self.sink.deliver(&m).await {
                Ok(()) => {
                    sqlx::query(
                        "UPDATE outbox SET state = 'delivered', delivered_at = $1, last_error = NULL, payload = $3 WHERE id = $2",
                    )
                    .bind(now().unix())
                    .bind(&id)
                    .bind(crate::reset::scrub(&m.obligation).to_string())
                    .execute(self.db.pool())
                    .await?;
                    out.delivered += 1;
                }
                Err(reason) => {
                    let reason: String = reason.chars().take(200).collect();
                    let dead = attempts + 1 >= MAX_ATTEMPTS;
                    sqlx::query(
                        "UPDATE outbox SET state = $1, next_attempt_at = $2, last_error = $3, payload = $5 WHERE id = $4",
                    )
                    .bind(if dead { "dead" } else { "pending" })
                    .bind(now().unix() + backoff_seconds(attempts + 1))
                    .bind(&reason)
                    .bind(&id)
                    .bind(if dead {
                        crate::reset::scrub(&m.obligation).to_string()
                    } else {
                        payload.clone()
                    })
                    .execute(self.db.pool())
                    .await?;
                    tracing::warn!(target: "warden::outbox", id = %id, attempt = attempts + 1, %reason, dead, "delivery failed");
                    if dead {
                        out.dead += 1;
                    } else {
                        out.retried += 1;
                    }
                }
            }
        }
        Ok(out)
    }

    /// Runs rounds every `every` until `stop` resolves.
    pub async fn run(self, every: Duration, stop: impl Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            if let Err(e) = self.round().await {
                tracing::warn!(target: "warden::outbox", error = %e, "outbox round failed");
            }
            tokio::select! {
                () = &mut stop => break,
                () = tokio::time::sleep(every) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_bounded() {
        assert_eq!(backoff_seconds(1), 2);
        assert_eq!(backoff_seconds(3), 8);
        assert_eq!(backoff_seconds(40), MAX_BACKOFF_SECONDS);
    }

    #[test]
    fn webhook_urls_are_checked() {
        assert!(WebhookSink::new("http://127.0.0.1:9/hook").is_ok());
        assert!(WebhookSink::new("https://example.com/hook").is_err());
        assert!(WebhookSink::new("not a url").is_err());
    }
}
