//! The request extractors of the API: JSON bodies ([`Body`]), query strings ([`Params`])
//! and path parameters ([`UrlParams`]). Each refuses a malformed request with the server's
//! typed 400 ([`ApiError::Malformed`]): where (`body`, `query`, `path`), the field or
//! parameter at fault when one is, a stable code and the reason; never axum's plain-text
//! rejections. And the caller's language ([`AcceptLanguage`]), a preference that never
//! refuses a request.

use std::sync::{Arc, OnceLock};

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, FromRequestParts, MatchedPath, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use serde::de::DeserializeOwned;
use warden_core::{Lang, Policy};

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

/// The longest request id, in characters, that the server logs and audits (it echoes the
/// caller's whole header, see [`crate::ops::bound_request_id`]).
pub const MAX_LOGGED_REQUEST_ID: usize = 256;

/// The request's id (`X-Request-ID`, the caller's or the server's) as it is logged and
/// audited: read as UTF-8 (an invalid byte as U+FFFD), with control and direction-changing
/// characters shown as U+FFFD, at most [`MAX_LOGGED_REQUEST_ID`]
/// characters: a caller's id cannot rewrite how a log line or an audit entry reads.
pub fn request_id(headers: &HeaderMap) -> Option<String> {
    headers.get("x-request-id").map(|v| {
        String::from_utf8_lossy(v.as_bytes())
            .chars()
            .take(MAX_LOGGED_REQUEST_ID)
            .map(visible)
            .collect()
    })
}

/// `c`, or U+FFFD for a control or direction-changing character.
fn visible(c: char) -> char {
    let hidden = c.is_control()
        || matches!(c, '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}');
    if hidden { '\u{fffd}' } else { c }
}

/// A name taken from a URL (a plugin's, a group's) as a message quotes it: unchecked, so its
/// first 64 characters are quoted, with control and direction-changing characters (which
/// would rewrite how the message reads) shown as U+FFFD.
pub(crate) fn shown(name: &str) -> String {
    name.chars().take(64).map(visible).collect()
}

/// JSON bodies, with the server's typed 400 on a body that is not JSON, not of the
/// expected shape (naming the field and the reason), or not sent as `application/json`.
pub struct Body<T>(pub T);

/// Whether the request says its body is JSON (`application/json`, `application/*+json`).
pub(crate) fn is_json(headers: &HeaderMap) -> bool {
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
/// [`ApiError::Malformed`] in the body: `invalid_json`, `duplicate_key`, `unknown_field`,
/// `missing_field`, `invalid_value`.
pub fn json_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    unique_keys(bytes)?;
    object_body(bytes)?;
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
                crate::error::UNSUPPORTED_MEDIA_TYPE,
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

/// Refuses a JSON body that is valid JSON but not an object: every body of the API is
/// one, and serde would otherwise read a struct from an array of its fields' values in
/// order (`["tenant", "login", "password"]` as a sign-in), a shape no document describes.
/// Text that is not JSON is left to the body's own parse, which says where it fails.
///
/// # Errors
/// [`ApiError::Malformed`] in the body: `invalid_value`, naming what the body is.
fn object_body(bytes: &[u8]) -> Result<(), ApiError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_none_or(|b| *b == b'{')
        || serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_err()
    {
        return Ok(());
    }
    let kind = match first {
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    };
    Err(Malformed::new(
        RequestPart::Body,
        "invalid_value",
        format!("the body must be a JSON object, not {kind}"),
    )
    .into())
}

/// Refuses a JSON text with an object that names a key twice: which value would count is
/// up to each reader (the last, the first, an error), so a body that two readers could
/// read differently is read by none. Other faults are left to the body's own parse.
///
/// # Errors
/// [`ApiError::Malformed`] in the body: `duplicate_key`, at the key's path.
pub fn unique_keys(bytes: &[u8]) -> Result<(), ApiError> {
    if holds_nul(bytes) {
        let field = serde_json::from_slice::<serde_json::Value>(bytes)
            .ok()
            .and_then(|v| nul_path(&v, String::new()));
        return Err(
            Malformed::new(RequestPart::Body, "invalid_value", NUL_REFUSED)
                .field(field)
                .into(),
        );
    }
    match warden_core::json::duplicate_key(bytes) {
        // The field is the key's own path (`password`, `address.city`), as an unknown or
        // missing field's is.
        Some(d) => Err(Malformed::new(
            RequestPart::Body,
            "duplicate_key",
            format!("duplicate key `{}`", d.key),
        )
        .field(Some(if d.path.is_empty() {
            d.key
        } else {
            format!("{}.{}", d.path, d.key)
        }))
        .into()),
        None => Ok(()),
    }
}

/// Why a text holding U+0000 is refused wherever a request gives one (a body's string, a
/// query or path parameter): no value of the API may hold it, and PostgreSQL stores no NUL
/// in text, so such a value could only fail there while SQLite answered it.
const NUL_REFUSED: &str = "a text holds the NUL character (U+0000), which no value may hold";

/// Whether a JSON text holds `\u0000` in a string (a raw NUL byte is not JSON at all, left
/// to the parse).
fn holds_nul(bytes: &[u8]) -> bool {
    let mut in_string = false;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if in_string {
            match b {
                b'\\' => {
                    if bytes.get(i + 1) == Some(&b'u') && bytes.get(i + 2..i + 6) == Some(b"0000") {
                        return true;
                    }
                    i += 2;
                    continue;
                }
                b'"' => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
        }
        i += 1;
    }
    false
}

/// Where in `v` the first text holding U+0000 is (`name`, `items[0].id`), a key included.
fn nul_path(v: &serde_json::Value, at: String) -> Option<String> {
    use serde_json::Value;
    match v {
        Value::String(s) if s.contains('\0') => Some(at),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .find_map(|(i, x)| nul_path(x, format!("{at}[{i}]"))),
        Value::Object(o) => o.iter().find_map(|(k, x)| {
            let key: String = k.chars().filter(|c| *c != '\0').collect();
            let here = if at.is_empty() {
                key
            } else {
                format!("{at}.{key}")
            };
            if k.contains('\0') {
                Some(here)
            } else {
                nul_path(x, here)
            }
        }),
        _ => None,
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
    utf8_pairs(query)?;
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

/// Refuses a query string with a name or a value that is not UTF-8 once percent-decoded
/// (`?q=%FF`): the query parser would read it with U+FFFD in place of the bytes, and
/// answer a question nobody asked (a search for `\u{FFFD}`), as path parameters already
/// refuse such a value.
///
/// # Errors
/// [`ApiError::Malformed`] in the query: `invalid_parameter`, naming the parameter.
fn utf8_pairs(query: &str) -> Result<(), ApiError> {
    let utf8 = |part: &str| {
        percent_encoding::percent_decode_str(part)
            .decode_utf8()
            .is_ok()
    };
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let nul = |part: &str| percent_encoding::percent_decode_str(part).any(|b| b == 0);
        if utf8(name) && utf8(value) && (nul(name) || nul(value)) {
            let shown: String = percent_encoding::percent_decode_str(name)
                .decode_utf8_lossy()
                .chars()
                .filter(|c| *c != '\0')
                .take(64)
                .collect();
            return Err(
                Malformed::new(RequestPart::Query, "invalid_parameter", NUL_REFUSED)
                    .field(Some(shown))
                    .into(),
            );
        }
        if utf8(name) && utf8(value) {
            continue;
        }
        let shown: String = percent_encoding::percent_decode_str(name)
            .decode_utf8_lossy()
            .chars()
            .take(64)
            .collect();
        return Err(Malformed::new(
            RequestPart::Query,
            "invalid_parameter",
            format!("`{}`: not UTF-8 once percent-decoded", quoted(&shown)),
        )
        .field(Some(shown))
        .into());
    }
    Ok(())
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
        if percent_encoding::percent_decode_str(parts.uri.path()).any(|b| b == 0) {
            return Err(
                Malformed::new(RequestPart::Path, "invalid_path_parameter", NUL_REFUSED).into(),
            );
        }
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

/// The language of the kernel's text that is not the caller's to choose: text the server
/// stores (an import's report, read back later by anyone; the audit log keeps codes and
/// params only) and text it renders for no one (a read check whose denial is answered as
/// "not found"). English, so that stored text is the same for every reader.
pub const NEUTRAL_LANG: Lang = Lang::En;

/// The most list elements of `Accept-Language` read, over all its field lines and empty
/// elements included; the others are ignored (a caller lists a handful).
pub const MAX_LANGUAGE_RANGES: usize = 32;

/// The longest language range read, in bytes (RFC 4647's are at most 8 characters per
/// subtag); a longer one is ignored.
const MAX_RANGE_LEN: usize = 64;

/// One language range of `Accept-Language`, with its weight.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LanguageRange {
    /// The range in lower case (`fr-ca`), or `*`.
    range: String,
    /// The weight, in thousandths (`q=0.5` is 500); 0 is "not acceptable".
    q: u16,
}

/// A weight (`qvalue` of RFC 9110 §12.4.2: `0`, `0.5`, `0.125`, `1`, `1.000`) in
/// thousandths.
fn qvalue(v: &str) -> Option<u16> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = frac
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0_u16, |n, d| n * 10 + u16::from(d - b'0'));
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// Whether `s` is a language range (RFC 4647 §2.1: `*`, or 1 to 8 letters, then subtags of
/// 1 to 8 letters or digits after `-`).
fn is_range(s: &str) -> bool {
    if s == "*" {
        return true;
    }
    if s.len() > MAX_RANGE_LEN {
        return false;
    }
    let mut subtags = s.split('-');
    let first = subtags.next().unwrap_or_default();
    (1..=8).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_alphabetic())
        && subtags
            .all(|t| (1..=8).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// One element of the list (`fr-CA;q=0.8`): `None` when it is not a language range with an
/// optional weight and nothing else.
fn parse_range(element: &str) -> Option<LanguageRange> {
    let ows = |c: char| c == ' ' || c == '\t';
    let mut parts = element.split(';');
    let range = parts.next()?.trim_matches(ows);
    let q = match parts.next() {
        None => 1000,
        Some(weight) => {
            let (name, value) = weight.trim_matches(ows).split_once('=')?;
            if !name.eq_ignore_ascii_case("q") {
                return None;
            }
            qvalue(value)?
        }
    };
    if parts.next().is_some() || !is_range(range) {
        return None;
    }
    Some(LanguageRange {
        range: range.to_ascii_lowercase(),
        q,
    })
}

/// Whether `short` is a prefix of tag `long` ending at a subtag (`fr` of `fr-ca`).
fn prefix_of(short: &str, long: &str) -> bool {
    long.strip_prefix(short)
        .is_some_and(|rest| rest.starts_with('-'))
}

/// How well a range matches a language's tag (both in lower case): 3 the same; 2 the tag
/// is a prefix of the range (`fr-ca` asks for `fr`: RFC 4647's lookup, which drops
/// subtags); 1 the range is a prefix of the tag (`pt` covers `pt-br`: RFC 4647's basic
/// filtering); `None` when it does not match.
fn fit(range: &str, tag: &str) -> Option<u8> {
    if range == tag {
        Some(3)
    } else if prefix_of(tag, range) {
        Some(2)
    } else if prefix_of(range, tag) {
        Some(1)
    } else {
        None
    }
}

/// Where a handler records the language its response's messages are rendered in, for
/// [`content_language`] to say it.
#[derive(Debug, Clone, Default)]
struct Answered(Arc<OnceLock<Lang>>);

/// The caller's language preferences (`Accept-Language`, RFC 9110 §12.5.4), to be matched
/// against the languages a tenant's policy speaks ([`AcceptLanguage::negotiate`]).
///
/// Never refuses a request: the header is a preference. Elements that are not a language
/// range with an optional weight (`q=0` to `q=1`, at most three decimals) are ignored, the
/// others kept; a field line that is not visible ASCII is ignored whole; only the first
/// [`MAX_LANGUAGE_RANGES`] elements are read. Ranges are compared case-insensitively.
#[derive(Debug, Clone, Default)]
pub struct AcceptLanguage {
    /// The ranges read, in header order.
    ranges: Vec<LanguageRange>,
    /// Where the chosen language is recorded (none outside the router).
    answered: Option<Answered>,
}

impl AcceptLanguage {
    /// The preferences of a request's headers (every `Accept-Language` field line, in
    /// order, read as one list).
    pub fn from_headers(headers: &HeaderMap) -> AcceptLanguage {
        let ranges = headers
            .get_all(header::ACCEPT_LANGUAGE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .take(MAX_LANGUAGE_RANGES)
            .filter_map(parse_range)
            .collect();
        AcceptLanguage {
            ranges,
            answered: None,
        }
    }

    /// The language `policy`'s messages are rendered in for this caller: the built-in
    /// languages and those the policy's `messages` section adds, the caller's most
    /// preferred first (highest weight; equal weights in header order). A range matches
    /// its language, a regional variant of it (`fr-CA` asks for `fr`), or, for a language
    /// the policy adds, the languages it prefixes (`pt` covers `pt-br`); `*` matches every
    /// language no other range names. `q=0` excludes the language a range is and those it
    /// prefixes (`fr;q=0` excludes `fr`, `fr-CA;q=0` does not; `*;q=0` excludes every
    /// language no other range names). English when nothing acceptable matches.
    ///
    /// The response is then labelled with it ([`content_language`]).
    pub fn negotiate(&self, policy: &Policy) -> Lang {
        if self.ranges.is_empty() {
            // No preference (or none readable): the default, without looking at the policy.
            return self.answer_in(Lang::En);
        }
        let mut candidates = Lang::ALL.to_vec();
        candidates.extend(policy.added_languages());
        self.answer_in(self.choose(&candidates))
    }

    /// Records `lang` as the language of the response's messages when it was chosen
    /// otherwise (a decision's `lang` parameter; [`NEUTRAL_LANG`] for a stored report),
    /// and returns it.
    pub fn answer_in(&self, lang: Lang) -> Lang {
        if let Some(a) = &self.answered {
            let _ = a.0.set(lang);
        }
        lang
    }

    /// The best of `candidates` (the default, English, first) for these preferences, in
    /// time proportional to ranges × candidates: whether a candidate is named by a range
    /// and whether it is excluded are worked out once per candidate.
    fn choose(&self, candidates: &[Lang]) -> Lang {
        // Per candidate: named by a range other than `*`; excluded by a `q=0` range.
        let judged: Vec<(Lang, bool)> = candidates
            .iter()
            .filter_map(|c| {
                let tag = c.as_str();
                let named = self
                    .ranges
                    .iter()
                    .any(|r| r.range != "*" && fit(&r.range, tag).is_some());
                let excluded = self.ranges.iter().any(|r| {
                    r.q == 0
                        && if r.range == "*" {
                            !named
                        } else {
                            matches!(fit(&r.range, tag), Some(3 | 1))
                        }
                });
                (!excluded).then_some((*c, named))
            })
            .collect();
        let mut wanted: Vec<&LanguageRange> = self.ranges.iter().filter(|r| r.q > 0).collect();
        // Stable: equal weights keep the header's order.
        wanted.sort_by_key(|r| std::cmp::Reverse(r.q));
        for r in wanted {
            let mut best: Option<(u8, Lang)> = None;
            for (c, named) in &judged {
                let score = if r.range == "*" {
                    (!named).then_some(0)
                } else {
                    fit(&r.range, c.as_str())
                };
                if let Some(score) = score
                    && best.is_none_or(|(b, _)| score > b)
                {
                    best = Some((score, *c));
                }
            }
            if let Some((_, lang)) = best {
                return lang;
            }
        }
        Lang::En
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AcceptLanguage {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Self, std::convert::Infallible> {
        let mut a = AcceptLanguage::from_headers(&parts.headers);
        a.answered = parts.extensions.get::<Answered>().cloned();
        Ok(a)
    }
}

/// Labels a response whose kernel messages were rendered for the caller
/// ([`AcceptLanguage::negotiate`], [`AcceptLanguage::answer_in`]) with their language
/// (`Content-Language`) and `Vary: Accept-Language`; other responses are left alone. The
/// server's own texts (an error's `reason`, a `bad_request`'s message) are English
/// whatever the language; codes are the interface.
pub async fn content_language(mut req: Request, next: Next) -> Response {
    let answered = Answered::default();
    req.extensions_mut().insert(answered.clone());
    let mut resp = next.run(req).await;
    if let Some(v) = answered
        .0
        .get()
        .and_then(|lang| HeaderValue::from_str(lang.as_str()).ok())
    {
        let h = resp.headers_mut();
        h.insert(header::CONTENT_LANGUAGE, v);
        h.append(header::VARY, HeaderValue::from_static("Accept-Language"));
    }
    resp
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn prefs(lines: &[&[u8]]) -> AcceptLanguage {
        let mut h = HeaderMap::new();
        for l in lines {
            h.append(header::ACCEPT_LANGUAGE, HeaderValue::from_bytes(l).unwrap());
        }
        AcceptLanguage::from_headers(&h)
    }

    fn ranges(line: &str) -> Vec<(String, u16)> {
        prefs(&[line.as_bytes()])
            .ranges
            .into_iter()
            .map(|r| (r.range, r.q))
            .collect()
    }

    /// The language chosen among the built-in ones and `added` (tags a policy adds).
    fn chosen(line: &[u8], added: &[&str]) -> String {
        let mut candidates = Lang::ALL.to_vec();
        candidates.extend(added.iter().map(|t| t.parse::<Lang>().unwrap()));
        prefs(&[line]).choose(&candidates).as_str().to_owned()
    }

    #[test]
    fn ranges_and_weights_are_read_as_rfc_9110_writes_them() {
        assert_eq!(
            ranges("fr-FR, fr;q=0.9 ,en;Q=0.5,*;q=0.001,\tDE-ch ; q=1.000"),
            [
                ("fr-fr".into(), 1000),
                ("fr".into(), 900),
                ("en".into(), 500),
                ("*".into(), 1),
                ("de-ch".into(), 1000)
            ]
        );
        assert_eq!(qvalue("0"), Some(0));
        assert_eq!(qvalue("0.125"), Some(125));
        assert_eq!(qvalue("1."), Some(1000));
        for bad in ["", "2", "1.5", "0.1234", "-0", "0.x", ".5", " 0.5", "1.001"] {
            assert_eq!(qvalue(bad), None, "{bad}");
        }
        // Each unusable element is dropped, the others kept.
        assert_eq!(
            ranges(
                "fr;q=2, !!, de;level=1, es;q=0.5;q=0.4, en-, a-b-c, x-, toolongtag, *-fr, , it;q=0.3"
            ),
            [("a-b-c".into(), 1000), ("it".into(), 300)]
        );
    }

    #[test]
    fn the_work_is_bounded() {
        let long = format!("{}fr", "xx, ".repeat(MAX_LANGUAGE_RANGES));
        assert_eq!(ranges(&long).len(), MAX_LANGUAGE_RANGES);
        assert_eq!(chosen(long.as_bytes(), &[]), "en");
        let one = format!("{}a", "b".repeat(10_000));
        assert!(ranges(&one).is_empty());
        // Empty elements count: a header of commas reads nothing past the bound.
        assert_eq!(
            chosen(format!("{}fr", ",".repeat(100)).as_bytes(), &[]),
            "en"
        );
        // Field lines are one list, in order; a line that is not text is ignored whole.
        let p = prefs(&[b"de;q=0.5", b"fr\xe9, es", b"fr;q=0.7"]);
        assert_eq!(
            p.ranges
                .iter()
                .map(|r| r.range.as_str())
                .collect::<Vec<_>>(),
            ["de", "fr"]
        );
        assert_eq!(p.choose(Lang::ALL).as_str(), "fr");
    }

    #[test]
    fn the_most_preferred_language_spoken_wins() {
        for (header, expected) in [
            (&b""[..], "en"),
            (b"fr", "fr"),
            (b"FR", "fr"),
            (b"fr-FR,fr;q=0.9,en;q=0.5", "fr"),
            (b"fr-CA", "fr"),
            (b"en-GB, fr", "en"),
            (b"en;q=0.1, fr;q=0", "en"),
            (b"de", "de"),
            (b"ja", "en"),
            (b"ja, es;q=0.1", "es"),
            // Higher weights first, whatever the order; equal weights in header order.
            (b"es;q=0.4, de;q=0.8, fr;q=0.6", "de"),
            (b"es;q=0.5, de;q=0.5", "es"),
            (b"de;q=0.5, es;q=0.5", "de"),
            // q=0: not acceptable, whatever another range says.
            (b"fr;q=0, fr-CA", "en"),
            (b"fr-CA;q=0, fr", "fr"),
            (b"en;q=0, *", "fr"),
            (b"fr;q=0", "en"),
            (b"en;q=0, de;q=0", "en"),
            // The wildcard: any language no other range names.
            (b"*", "en"),
            (b"fr;q=0.5, *", "en"),
            (b"en;q=0.5, *", "fr"),
            (b"ja, *;q=0.1", "en"),
            (b"*;q=0, es", "es"),
            (b"*;q=0, ja", "en"),
            // Garbage is ignored; so is a weight out of range.
            (b"fr;q=1.5", "en"),
            (b"!!, fr;q=x, de;q=0.3", "de"),
        ] {
            assert_eq!(
                chosen(header, &[]),
                expected,
                "{}",
                String::from_utf8_lossy(header)
            );
        }
    }

    #[test]
    fn a_language_the_policy_adds_is_matched_too() {
        assert_eq!(chosen(b"pt-BR, fr;q=0.5", &["pt-br"]), "pt-br");
        assert_eq!(chosen(b"pt, fr;q=0.5", &["pt-br"]), "pt-br");
        assert_eq!(chosen(b"pt-PT, fr;q=0.5", &["pt-br"]), "fr");
        assert_eq!(chosen(b"it-IT", &["it"]), "it");
        assert_eq!(chosen(b"it-IT", &[]), "en");
        // The closest of several: the tag itself before a longer one.
        assert_eq!(chosen(b"pt", &["pt-br", "pt"]), "pt");
    }

    #[test]
    fn the_chosen_language_is_recorded_for_the_response() {
        let mut p = prefs(&[b"es"]);
        let answered = Answered::default();
        p.answered = Some(answered.clone());
        let policy = Policy::preset("crm").unwrap();
        assert_eq!(p.negotiate(&policy), Lang::Es);
        assert_eq!(answered.0.get(), Some(&Lang::Es));
        // Without a record (outside the router), nothing is needed.
        assert_eq!(prefs(&[b"fr"]).negotiate(&policy), Lang::Fr);
    }

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
        // A struct is never read from an array of its fields' values, nor from another
        // kind of JSON value.
        for (body, kind) in [
            (&br#" [1]"#[..], "an array"),
            (br#""x""#, "a string"),
            (b"true", "a boolean"),
            (b"null", "null"),
            (b"-1", "a number"),
        ] {
            let m = malformed(json_body::<Q>(body).unwrap_err());
            assert_eq!(m.code, "invalid_value", "{kind}");
            assert!(m.message.ends_with(kind), "{}", m.message);
        }
        // Text that is not JSON is still the parse's error.
        let m = malformed(json_body::<Q>(b"nonsense").unwrap_err());
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
        // A name or a value that is not UTF-8 once decoded is refused naming the
        // parameter, never read with U+FFFD in its place.
        for q in ["limit=%FF", "limit=3&nope%FF=1", "limit=%C3"] {
            let m = malformed(query::<Q>(q).unwrap_err());
            assert_eq!(m.code, "invalid_parameter", "{q}");
            assert!(m.message.contains("not UTF-8"), "{q}: {}", m.message);
        }
        let m = malformed(query::<Q>("limit=%FF").unwrap_err());
        assert_eq!(m.field.as_deref(), Some("limit"));
        // Percent-encoded UTF-8 and a `%` that starts no escape are text as before.
        assert_eq!(utf8_pairs("q=caf%C3%A9&r=100%&s=a+b").ok(), Some(()));
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
