//! The request extractors of the API: JSON bodies ([`Body`]), query strings ([`Params`])
//! and path parameters ([`UrlParams`]). Each refuses a malformed request with the server's
//! typed 400 ([`ApiError::Malformed`]): where (`body`, `query`, `path`), the field or
//! parameter at fault when one is, a stable code and the reason; never axum's plain-text
//! rejections.

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, FromRequestParts, MatchedPath, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, Malformed, RequestPart};

/// The longest value quoted back in a message.
const MAX_QUOTED: usize = 64;

fn quoted(s: &str) -> String {
    let mut out: String = s.chars().take(MAX_QUOTED).collect();
    if s.chars().count() > MAX_QUOTED {
        out.push('…');
    }
    out
}

/// The name inside the first pair of backticks of a serde message (`unknown field `x``).
fn backticked(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message.get(start..)?.find('`')?;
    message.get(start..start + len)
}

/// `parent.name`, or `name` at the top.
fn joined(parent: Option<&str>, name: &str) -> String {
    match parent {
        Some(p) => format!("{p}.{name}"),
        None => name.to_owned(),
    }
}

/// A deserialization error as the field at fault, a code and the reason. A missing field
/// is reported at its parent (an unknown one at itself): the name is then taken from the
/// message.
fn classify(path: &serde_path_to_error::Path, message: &str) -> (Option<String>, &'static str) {
    let at = path.to_string();
    let at = (at != ".").then_some(at.as_str());
    let name = backticked(message).unwrap_or_default();
    if message.starts_with("unknown field") {
        (
            Some(at.map_or_else(|| name.to_owned(), str::to_owned)),
            "unknown_field",
        )
    } else if message.starts_with("missing field") {
        (Some(joined(at, name)), "missing_field")
    } else {
        (at.map(str::to_owned), "invalid_value")
    }
}

/// JSON bodies, with the server's typed 400 on a body that is not JSON, not of the
/// expected shape (naming the field and the reason), or not sent as `application/json`.
pub struct Body<T>(pub T);

/// Whether the request says its body is JSON (`application/json`, `application/*+json`).
fn is_json(headers: &HeaderMap) -> bool {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = ct.split(';').next().unwrap_or_default().trim();
    let Some((kind, sub)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (sub.eq_ignore_ascii_case("json")
            || (sub.len() > 5
                && sub
                    .get(sub.len() - 5..)
                    .is_some_and(|s| s.eq_ignore_ascii_case("+json"))))
}

/// serde's `invalid type: integer `12345678`, expected a string` without the value the
/// sender gave (`invalid type: integer, expected a string`): the field may be a password,
/// and an answer never quotes one (nor echoes a long value back).
fn without_value(reason: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = reason.strip_prefix(prefix) {
            let (unexpected, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
            let kind = unexpected
                .split(['`', '"'])
                .next()
                .unwrap_or(unexpected)
                .trim_end();
            return if expected.is_empty() {
                format!("{prefix}{kind}")
            } else {
                format!("{prefix}{kind}, expected {expected}")
            };
        }
    }
    reason.to_owned()
}

/// Parses a JSON body into `T`, the error naming the field at fault.
///
/// # Errors
/// [`ApiError::Malformed`] in the body: `invalid_json`, `unknown_field`, `missing_field`,
/// `invalid_value`.
pub fn json_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(v) => v,
        Err(e) => {
            let inner = e.inner();
            if matches!(inner.classify(), serde_json::error::Category::Data) {
                let message = inner.to_string();
                // serde_json appends ` at line L column C`: the field says where.
                let reason = match message.rfind(" at line ") {
                    Some(i) => message.get(..i).unwrap_or(&message).to_owned(),
                    None => message.clone(),
                };
                let reason = without_value(&reason);
                let (field, code) = classify(e.path(), &reason);
                return Err(Malformed::new(RequestPart::Body, code, reason)
                    .field(field)
                    .into());
            }
            return Err(Malformed::new(
                RequestPart::Body,
                "invalid_json",
                format!("the body is not valid JSON: {inner}"),
            )
            .into());
        }
    };
    de.end().map_err(|e| {
        ApiError::from(Malformed::new(
            RequestPart::Body,
            "invalid_json",
            format!("the body is not valid JSON: {e}"),
        ))
    })?;
    Ok(value)
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(req.headers()) {
            return Err(Malformed::new(
                RequestPart::Body,
                "unsupported_media_type",
                "the body must be JSON, sent with `Content-Type: application/json`",
            )
            .into());
        }
        let bytes = match Bytes::from_request(req, state).await {
            Ok(b) => b,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(ApiError::TooLarge);
            }
            Err(_) => {
                return Err(Malformed::new(
                    RequestPart::Body,
                    "unreadable_body",
                    "the body could not be read",
                )
                .into());
            }
        };
        json_body(&bytes).map(Body)
    }
}

/// Query strings, with the server's typed 400 naming the parameter and the reason.
pub struct Params<T>(pub T);

/// A page size asked for (`limit`), `default` when none: refused naming the parameter
/// when outside 1 to `max`, never clamped (a caller asking for 0 or 100,000 rows must
/// hear that it gets another number).
///
/// # Errors
/// [`ApiError::Malformed`] in the query, `invalid_parameter` at `limit`.
pub fn page_limit(given: Option<i64>, default: i64, max: i64) -> Result<i64, ApiError> {
    match given {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(n) => Err(Malformed::new(
            RequestPart::Query,
            "invalid_parameter",
            format!("`limit` must be from 1 to {max} (got {n})"),
        )
        .field(Some("limit".into()))
        .into()),
    }
}

/// Parses a query string into `T`, the error naming the parameter at fault.
///
/// # Errors
/// [`ApiError::Malformed`] in the query: `unknown_parameter`, `missing_parameter`,
/// `invalid_parameter`.
pub fn query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(query));
    serde_path_to_error::deserialize::<_, T>(de).map_err(|e| {
        let reason = e.inner().to_string();
        let (field, code) = classify(e.path(), &reason);
        let code = match code {
            "unknown_field" => "unknown_parameter",
            "missing_field" => "missing_parameter",
            _ => "invalid_parameter",
        };
        let reason = match &field {
            Some(f) if code == "invalid_parameter" => format!("`{}`: {reason}", quoted(f)),
            _ => reason
                .replacen("unknown field", "unknown parameter", 1)
                .replacen("missing field", "missing parameter", 1),
        };
        Malformed::new(RequestPart::Query, code, reason)
            .field(field)
            .into()
    })
}

/// The pairs of a query string (`serde_urlencoded`'s own parser).
fn form_urlencoded_parse(q: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(q.as_bytes())
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        query(parts.uri.query().unwrap_or_default()).map(Params)
    }
}

/// Path parameters, with the server's typed 400 naming the parameter and the reason (a
/// value that is not valid UTF-8 once percent-decoded, a value of the wrong type).
pub struct UrlParams<T>(pub T);

/// The names of the parameters of a route pattern (`/users/{id}` names `id`), in order.
fn route_params(pattern: &str) -> Vec<&str> {
    pattern
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|s| s.trim_start_matches('*'))
        .collect()
}

/// A path rejection as the server's error: the parameter named (by the route's pattern
/// when the rejection gives only its position).
fn path_error(e: PathRejection, pattern: Option<&str>) -> ApiError {
    use axum::extract::path::ErrorKind;
    let PathRejection::FailedToDeserializePathParams(e) = e else {
        // No parameters at all for an extractor that needs them: a route written wrong.
        return ApiError::Internal(format!("path: {e}"));
    };
    let name_at = |index: usize| {
        pattern
            .map(route_params)
            .and_then(|p| p.get(index).map(|s| (*s).to_owned()))
    };
    let (field, message) = match e.into_kind() {
        ErrorKind::InvalidUtf8InPathParam { key } => (
            Some(key),
            "the value is not valid UTF-8 once percent-decoded".to_owned(),
        ),
        ErrorKind::ParseErrorAtKey {
            key,
            value,
            expected_type,
        } => (
            Some(key),
            format!("`{}` is not a valid {expected_type}", quoted(&value)),
        ),
        ErrorKind::ParseErrorAtIndex {
            index,
            value,
            expected_type,
        } => (
            name_at(index),
            format!("`{}` is not a valid {expected_type}", quoted(&value)),
        ),
        ErrorKind::ParseError {
            value,
            expected_type,
        } => (
            name_at(0),
            format!("`{}` is not a valid {expected_type}", quoted(&value)),
        ),
        ErrorKind::DeserializeError {
            key,
            value,
            message,
        } => (Some(key), format!("`{}`: {message}", quoted(&value))),
        other => return ApiError::Internal(format!("path: {other}")),
    };
    Malformed::new(RequestPart::Path, "invalid_path_parameter", message)
        .field(field)
        .into()
}

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for UrlParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(v)) => Ok(UrlParams(v)),
            Err(e) => {
                let pattern = parts
                    .extensions
                    .get::<MatchedPath>()
                    .map(MatchedPath::as_str);
                Err(path_error(e, pattern))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Q {
        limit: Option<u32>,
        inner: Option<Inner>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        name: String,
    }

    fn malformed(e: ApiError) -> Malformed {
        match e {
            ApiError::Malformed(m) => *m,
            other => panic!("not malformed: {other:?}"),
        }
    }

    #[test]
    fn body_errors_name_the_field() {
        let m = malformed(json_body::<Q>(br#"{"limit": 1, "extra": true}"#).unwrap_err());
        assert_eq!(
            (m.code, m.field.as_deref()),
            ("unknown_field", Some("extra"))
        );
        let m = malformed(json_body::<Q>(br#"{"inner": {"nom": "x"}}"#).unwrap_err());
        assert_eq!(
            (m.code, m.field.as_deref()),
            ("unknown_field", Some("inner.nom"))
        );
        let m = malformed(json_body::<Q>(br#"{"inner": {}}"#).unwrap_err());
        assert_eq!(
            (m.code, m.field.as_deref()),
            ("missing_field", Some("inner.name"))
        );
        let m = malformed(json_body::<Q>(br#"{"limit": "ten"}"#).unwrap_err());
        assert_eq!(
            (m.code, m.field.as_deref()),
            ("invalid_value", Some("limit"))
        );
        assert!(!m.message.contains(" at line "), "{}", m.message);
        let m = malformed(json_body::<Q>(br#"{"limit": 1"#).unwrap_err());
        assert_eq!((m.code, m.field), ("invalid_json", None));
        let m = malformed(json_body::<Q>(br#"{} trailing"#).unwrap_err());
        assert_eq!(m.code, "invalid_json");
    }

    /// Found in review: `{"password": 12345678}` answered with the number in the message.
    #[test]
    fn body_errors_never_quote_the_value_sent() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct SignIn {
            password: String,
        }
        for body in [
            &br#"{"password": 12345678}"#[..],
            br#"{"password": true}"#,
            br#"{"password": ["Secret-Value-1"]}"#,
        ] {
            let m = malformed(json_body::<SignIn>(body).unwrap_err());
            assert_eq!(m.field.as_deref(), Some("password"));
            assert!(m.message.starts_with("invalid type: "), "{}", m.message);
            assert!(m.message.contains(", expected a string"), "{}", m.message);
            for secret in ["12345678", "true", "Secret-Value-1"] {
                assert!(!m.message.contains(secret), "{}", m.message);
            }
        }
        let m = malformed(json_body::<Q>(br#"{"limit": "ten"}"#).unwrap_err());
        assert!(!m.message.contains("ten"), "{}", m.message);
    }

    #[test]
    fn query_errors_name_the_parameter() {
        let m = malformed(query::<Q>("limit=abc").unwrap_err());
        assert_eq!(
            (m.code, m.field.as_deref()),
            ("invalid_parameter", Some("limit"))
        );
        let m = malformed(query::<Q>("nope=1").unwrap_err());
        assert_eq!(
            (m.code, m.field.as_deref()),
            ("unknown_parameter", Some("nope"))
        );
        assert!(query::<Q>("limit=3").is_ok());
    }

    #[test]
    fn route_parameters_are_named_in_order() {
        assert_eq!(
            route_params("/api/v1/groups/{id}/members/{user}"),
            ["id", "user"]
        );
    }

    #[test]
    fn json_content_types() {
        let mut h = HeaderMap::new();
        assert!(!is_json(&h));
        for (ct, ok) in [
            ("application/json", true),
            ("application/json; charset=utf-8", true),
            ("application/merge-patch+json", true),
            ("text/plain", false),
            ("application/jsonx", false),
        ] {
            h.insert(header::CONTENT_TYPE, ct.parse().unwrap());
            assert_eq!(is_json(&h), ok, "{ct}");
        }
    }
}
