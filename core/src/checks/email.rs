//! Email addresses: syntax check and normalisation.
//!
//! The grammar is the WHATWG HTML standard's "valid email address"
//! (<https://html.spec.whatwg.org/multipage/input.html#valid-e-mail-address>), made
//! stricter where real mail systems are:
//!
//! - the local part is `1*( atext / "." )`, ASCII only (SMTPUTF8 / EAI local parts are
//!   **not** supported), and may neither start nor end with `.` nor contain `..`; quoted
//!   local parts (`"john doe"@example.com`) are refused;
//! - the local part is at most 64 octets and the whole address at most 254 octets
//!   (RFC 5321, section 4.5.3.1);
//! - the domain is a host name of at least two labels, each 1 to 63 letters, digits and
//!   hyphens, not starting or ending with a hyphen, and its top-level label is not all
//!   digits (so IP literals and bare host names are refused).
//!
//! Internationalised domain names are accepted when [`EmailOptions::allow_idn`] is set: a
//! label with non-ASCII characters is lower-cased, NFC-normalised and converted to its
//! A-label (`xn--` followed by its Punycode, RFC 3492). This is a deliberately small subset
//! of IDNA 2008 / UTS 46: a non-ASCII label may contain letters and digits of any script
//! (as [`char::is_alphanumeric`] says), combining marks (not in first position) and
//! hyphens; the ideographic full stops `。` `．` `｡` separate labels like `.`. Labels that
//! are already A-labels (`xn--...`) are accepted as any other ASCII label, without
//! decoding them.

use std::borrow::Cow;

use crate::unicode::{is_combining_mark, nfc};

use crate::violation::{Code, Issue};

/// The longest local part RFC 5321 allows, in octets.
pub const MAX_LOCAL_LEN: usize = 64;
/// The longest address RFC 5321 allows (a 256-octet path minus its angle brackets), in octets.
pub const MAX_ADDRESS_LEN: usize = 254;
/// The longest domain label (RFC 1035), in octets.
pub const MAX_LABEL_LEN: usize = 63;

/// Options for email checks (from the policy).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EmailOptions {
    /// Accept internationalised (non-ASCII) domain names, converted to A-labels.
    pub allow_idn: bool,
}

/// A valid, normalised email address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// The address as stored: the local part as entered, `@`, and the normalised domain
    /// (ASCII, lower case, A-labels).
    pub address: String,
    /// The identity key for uniqueness checks: `address` fully lower-cased (Warden compares
    /// email addresses case-insensitively).
    pub key: String,
    /// The local part (before `@`), as entered.
    pub local: String,
    /// The normalised domain (after `@`).
    pub domain: String,
}

/// Checks and normalises an email address.
///
/// `input` is trimmed of surrounding whitespace first. Failures are
/// [`Code::InvalidEmail`] (param `reason`), [`Code::EmailLocalTooLong`] and
/// [`Code::EmailTooLong`] (params `max`, `actual`), and [`Code::InvalidDomain`] (params
/// `reason` and, when one label is at fault, `label`). See the [module docs](self) for the
/// grammar.
pub fn parse_email(input: &str, opts: EmailOptions) -> Result<Email, Issue> {
    let address = normalize_email(input, opts)?.into_owned();
    // The local part has no `@`, so the address splits at its only `@`.
    let (local, domain) = address.split_once('@').unwrap_or((&address, ""));
    Ok(Email {
        key: address.to_lowercase(),
        local: local.to_owned(),
        domain: domain.to_owned(),
        address,
    })
}

/// Checks an email address like [`parse_email`] and returns only the address as stored,
/// borrowed from `input` when it is already in that form (the common case: nothing is
/// allocated).
///
/// # Errors
/// The same as [`parse_email`].
pub fn normalize_email(input: &str, opts: EmailOptions) -> Result<Cow<'_, str>, Issue> {
    match normal_ascii_address(input) {
        Some(address) => Ok(Cow::Borrowed(address)),
        None => normalize_email_checked(input, opts),
    }
}

/// [`normalize_email`] rule by rule: every address, every error.
fn normalize_email_checked(input: &str, opts: EmailOptions) -> Result<Cow<'_, str>, Issue> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(invalid_email("empty"));
    }
    let (local, domain) = match trimmed.split_once('@') {
        None => return Err(invalid_email("missing @")),
        Some((_, rest)) if rest.contains('@') => return Err(invalid_email("more than one @")),
        Some(parts) => parts,
    };
    check_local(local)?;
    let normalized = normalise_domain(domain, opts)?;
    let address = match normalized {
        // The domain was already normal: the trimmed input is the address.
        Cow::Borrowed(_) => Cow::Borrowed(trimmed),
        Cow::Owned(domain) => Cow::Owned(format!("{local}@{domain}")),
    };
    if address.len() > MAX_ADDRESS_LEN {
        return Err(Issue::new(Code::EmailTooLong)
            .with("max", MAX_ADDRESS_LEN)
            .with("actual", address.len()));
    }
    Ok(address)
}

/// The common case of [`normalize_email`], in one pass over the bytes: an ASCII address
/// that is valid and already in its stored form (a lower-case domain), returned trimmed.
/// `None` for anything else (an error, upper case, IDN, unusual white space), which the full
/// path then checks and words: this path only ever accepts what the full path accepts, and
/// returns what it returns.
fn normal_ascii_address(input: &str) -> Option<&str> {
    let address = input.trim_ascii();
    let bytes = address.as_bytes();
    if bytes.len() > MAX_ADDRESS_LEN {
        return None;
    }
    let class = |b: u8| EMAIL_BYTE.get(usize::from(b)).copied().unwrap_or(0);
    // The local part, up to the first `@`: no leading, trailing or doubled dot, every other
    // byte `atext`.
    let mut at = 0;
    let mut after_dot = true;
    loop {
        let &b = bytes.get(at)?;
        if b == b'@' {
            break;
        }
        if b == b'.' {
            if after_dot {
                return None;
            }
            after_dot = true;
        } else if class(b) & ATEXT != 0 {
            after_dot = false;
        } else {
            return None;
        }
        at += 1;
    }
    if at == 0 || at > MAX_LOCAL_LEN || after_dot {
        return None;
    }
    // Two or more labels of lower-case letters, digits and inner hyphens, the last not all
    // digits; a second `@` fails here.
    let mut labels = 0;
    let mut len = 0;
    let mut prev = 0u8;
    let mut all_digits = true;
    for &b in bytes.get(at + 1..)? {
        if b == b'.' {
            if len == 0 || prev == b'-' {
                return None;
            }
            labels += 1;
            len = 0;
            all_digits = true;
        } else if class(b) & LABEL != 0 {
            if len == 0 && b == b'-' {
                return None;
            }
            len += 1;
            if len > MAX_LABEL_LEN {
                return None;
            }
            all_digits &= b.is_ascii_digit();
        } else {
            return None;
        }
        prev = b;
    }
    if len == 0 || prev == b'-' || labels < 1 || all_digits {
        return None;
    }
    Some(address)
}

/// [`EMAIL_BYTE`]: the byte is `atext` (RFC 5322: letters, digits, ``!#$%&'*+/=?^_`{|}~-``).
const ATEXT: u8 = 1;
/// [`EMAIL_BYTE`]: the byte may be in a stored domain label (lower-case letter, digit, `-`).
const LABEL: u8 = 2;

/// Per byte, [`ATEXT`] and [`LABEL`]: one lookup per byte in [`normal_ascii_address`].
#[allow(
    clippy::indexing_slicing,
    reason = "const construction of a 256-entry table indexed by bytes"
)]
static EMAIL_BYTE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() {
            t[b] |= ATEXT;
        }
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' {
            t[b] |= LABEL;
        }
        b += 1;
    }
    let specials = b"!#$%&'*+/=?^_`{|}~-";
    let mut i = 0;
    while i < specials.len() {
        t[specials[i] as usize] |= ATEXT;
        i += 1;
    }
    t
};

fn invalid_email(reason: &str) -> Issue {
    Issue::new(Code::InvalidEmail).with("reason", reason)
}

fn invalid_domain(reason: &str, label: Option<&str>) -> Issue {
    let issue = Issue::new(Code::InvalidDomain).with("reason", reason);
    match label {
        Some(label) => issue.with("label", label),
        None => issue,
    }
}

/// `atext` of RFC 5322, as the HTML standard uses it (ASCII only: no other byte is).
fn is_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~-".contains(&b)
}

fn check_local(local: &str) -> Result<(), Issue> {
    if local.is_empty() {
        return Err(invalid_email("empty local part"));
    }
    // Byte by byte: a non-ASCII character's bytes are neither `.` nor `atext`.
    if !local.bytes().all(|b| b == b'.' || is_atext(b)) {
        return Err(invalid_email("invalid character in local part"));
    }
    if local.starts_with('.') || local.ends_with('.') {
        return Err(invalid_email("leading or trailing dot"));
    }
    // (A byte scan: `str::contains` sets up a substring searcher, costly on short text.)
    if local.as_bytes().windows(2).any(|w| w == b"..") {
        return Err(invalid_email("consecutive dots"));
    }
    if local.len() > MAX_LOCAL_LEN {
        return Err(Issue::new(Code::EmailLocalTooLong)
            .with("max", MAX_LOCAL_LEN)
            .with("actual", local.len()));
    }
    Ok(())
}

/// Whether `c` separates labels: `.`, and with IDN the ideographic full stops.
fn is_label_separator(c: char, allow_idn: bool) -> bool {
    c == '.' || (allow_idn && matches!(c, '\u{3002}' | '\u{FF0E}' | '\u{FF61}'))
}

/// Checks a domain and returns its normalised form (ASCII, lower case, A-labels), borrowed
/// when the domain already is.
fn normalise_domain(domain: &str, opts: EmailOptions) -> Result<Cow<'_, str>, Issue> {
    if domain.is_empty() {
        return Err(invalid_domain("empty domain", None));
    }
    if domain.is_ascii() {
        return normalise_ascii_domain(domain);
    }
    let mut labels: Vec<String> = Vec::new();
    for label in domain.split(|c| is_label_separator(c, opts.allow_idn)) {
        labels.push(normalise_label(label, opts)?);
    }
    if labels.len() < 2 {
        return Err(invalid_domain("missing top-level domain", None));
    }
    if let Some(tld) = labels.last()
        && tld.chars().all(|c| c.is_ascii_digit())
    {
        return Err(invalid_domain("numeric top-level domain", Some(tld)));
    }
    Ok(Cow::Owned(labels.join(".")))
}

/// [`normalise_domain`] for an ASCII domain, without allocating: the same checks in the same
/// order, labels split at `.` only (the other separators are not ASCII).
fn normalise_ascii_domain(domain: &str) -> Result<Cow<'_, str>, Issue> {
    let mut count = 0;
    let mut last = "";
    for label in domain.split('.') {
        check_ascii_label(label)?;
        count += 1;
        last = label;
    }
    if count < 2 {
        return Err(invalid_domain("missing top-level domain", None));
    }
    if last.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid_domain("numeric top-level domain", Some(last)));
    }
    if domain.bytes().any(|b| b.is_ascii_uppercase()) {
        Ok(Cow::Owned(domain.to_ascii_lowercase()))
    } else {
        Ok(Cow::Borrowed(domain))
    }
}

/// Whether `host` (a URL's, without its port) is a host name each of whose labels an
/// e-mail domain's would pass ([`normalise_label`], internationalised labels allowed; one
/// trailing dot, the root, allowed), an IPv4 address (four numbers of at most 255: a name
/// whose last label is a number is one), or an IPv6 literal in brackets. One label is
/// enough (`intranet`): a URL's host need not be a public domain.
pub(crate) fn is_url_host(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.contains(':')
            && inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
    }
    let host = host.strip_suffix('.').unwrap_or(host);
    let labels: Vec<&str> = host.split('.').collect();
    if labels
        .last()
        .is_some_and(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()))
    {
        return labels.len() == 4
            && labels
                .iter()
                .all(|l| (1..=3).contains(&l.len()) && l.parse::<u8>().is_ok());
    }
    let idn = EmailOptions { allow_idn: true };
    !host.is_empty() && labels.iter().all(|l| normalise_label(l, idn).is_ok())
}

/// The checks of [`normalise_label`] for an ASCII label.
fn check_ascii_label(label: &str) -> Result<(), Issue> {
    if label.is_empty() {
        return Err(invalid_domain("empty label", None));
    }
    if !label
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(invalid_domain("invalid character", Some(label)));
    }
    check_hyphens(label, label)?;
    if label.len() > MAX_LABEL_LEN {
        return Err(invalid_domain("label too long", Some(label)));
    }
    Ok(())
}

/// Checks one label and returns its normalised (ASCII, lower-case) form.
fn normalise_label(label: &str, opts: EmailOptions) -> Result<String, Issue> {
    if label.is_empty() {
        return Err(invalid_domain("empty label", None));
    }
    if label.is_ascii() {
        check_ascii_label(label)?;
        return Ok(label.to_ascii_lowercase());
    }
    if !opts.allow_idn {
        return Err(invalid_domain(
            "internationalised domains are not allowed",
            Some(label),
        ));
    }
    // Any label longer than this in code points gives an A-label longer than 63.
    if label.chars().count() > MAX_LABEL_LEN {
        return Err(invalid_domain("label too long", Some(label)));
    }
    let u_label = nfc(&label.to_lowercase());
    if !u_label.chars().all(|c| {
        c.is_ascii_alphanumeric()
            || c == '-'
            || (!c.is_ascii() && (c.is_alphanumeric() || is_combining_mark(c)))
    }) {
        return Err(invalid_domain("invalid character", Some(label)));
    }
    if u_label.chars().next().is_some_and(is_combining_mark) {
        return Err(invalid_domain(
            "label starts with a combining mark",
            Some(label),
        ));
    }
    check_hyphens(&u_label, label)?;
    let ascii = match punycode_encode(&u_label) {
        Some(encoded) => format!("xn--{encoded}"),
        None => return Err(invalid_domain("label too long", Some(label))),
    };
    check_hyphens(&ascii, label)?;
    if ascii.len() > MAX_LABEL_LEN {
        return Err(invalid_domain("label too long", Some(label)));
    }
    Ok(ascii)
}

fn check_hyphens(label: &str, original: &str) -> Result<(), Issue> {
    if label.starts_with('-') || label.ends_with('-') {
        return Err(invalid_domain(
            "label starts or ends with a hyphen",
            Some(original),
        ));
    }
    Ok(())
}

// Bootstring parameters for Punycode (RFC 3492, section 5).
const BASE: u32 = 36;
const TMIN: u32 = 1;
const TMAX: u32 = 26;
const SKEW: u32 = 38;
const DAMP: u32 = 700;
const INITIAL_BIAS: u32 = 72;
const INITIAL_N: u32 = 128;

/// Encodes `input` with Punycode (RFC 3492, section 6.3), without the `xn--` prefix.
///
/// Basic (ASCII) code points are copied as they are, case included. Returns `None` on
/// arithmetic overflow, which only absurdly long inputs can cause.
pub fn punycode_encode(input: &str) -> Option<String> {
    let code_points: Vec<u32> = input.chars().map(u32::from).collect();
    let mut output: String = input.chars().filter(char::is_ascii).collect();
    let basic = u32::try_from(output.len()).ok()?;
    let total = u32::try_from(code_points.len()).ok()?;
    if basic > 0 {
        output.push('-');
    }
    let mut n = INITIAL_N;
    let mut delta: u32 = 0;
    let mut bias = INITIAL_BIAS;
    let mut handled = basic;
    while handled < total {
        // The smallest code point not yet handled (>= n); one exists since handled < total.
        let m = code_points.iter().copied().filter(|&c| c >= n).min()?;
        let steps = (m - n).checked_mul(handled.checked_add(1)?)?;
        delta = delta.checked_add(steps)?;
        n = m;
        for &c in &code_points {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = threshold(k, bias);
                    if q < t {
                        break;
                    }
                    output.push(digit(t + (q - t) % (BASE - t))?);
                    q = (q - t) / (BASE - t);
                    k = k.checked_add(BASE)?;
                }
                output.push(digit(q)?);
                bias = adapt(delta, handled.checked_add(1)?, handled == basic);
                delta = 0;
                handled += 1;
            }
        }
        delta = delta.checked_add(1)?;
        n = n.checked_add(1)?;
    }
    Some(output)
}

/// The threshold `t` for position `k` (RFC 3492, section 6.3).
fn threshold(k: u32, bias: u32) -> u32 {
    if k <= bias {
        TMIN
    } else if k >= bias.saturating_add(TMAX) {
        TMAX
    } else {
        k - bias
    }
}

/// The bias adaptation function (RFC 3492, section 6.1). `num_points` is never 0.
fn adapt(delta: u32, num_points: u32, first_time: bool) -> u32 {
    let mut delta = if first_time { delta / DAMP } else { delta / 2 };
    delta += delta / num_points.max(1);
    let mut k = 0;
    while delta > ((BASE - TMIN) * TMAX) / 2 {
        delta /= BASE - TMIN;
        k += BASE;
    }
    k + (((BASE - TMIN + 1) * delta) / (delta + SKEW))
}

/// The basic code point for digit `d` (0..=25 -> `a`..=`z`, 26..=35 -> `0`..=`9`).
fn digit(d: u32) -> Option<char> {
    let index = usize::try_from(d).ok()?;
    b"abcdefghijklmnopqrstuvwxyz0123456789"
        .get(index)
        .map(|&b| char::from(b))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use serde_json::json;

    const ASCII: EmailOptions = EmailOptions { allow_idn: false };

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(2048))]
        /// The one-pass fast path accepts only what the full rules accept, and returns what
        /// they return.
        #[test]
        fn the_fast_path_agrees_with_the_rules(s in "[ \t\u{b}]?[a-cA0-9.+_é-]{0,6}@[a-cA0-9.@-]{0,10}[ \t\u{b}]?") {
            if let Some(fast) = normal_ascii_address(&s) {
                for opts in [ASCII, EmailOptions { allow_idn: true }] {
                    assert_eq!(normalize_email_checked(&s, opts).unwrap(), Cow::Borrowed(fast));
                }
            }
        }
    }

    #[test]
    fn the_fast_path_takes_the_common_addresses() {
        for a in [
            "ada.lovelace12@acme3.example",
            " a_b+c@x-y.co.uk\t",
            "1@2.x3",
        ] {
            assert_eq!(normal_ascii_address(a), Some(a.trim()), "{a}");
        }
        for a in [
            "Ada@Acme.example",
            "a..b@x.co",
            "a@-x.co",
            "a@x.123",
            "a@b@c.d",
            "a@x",
        ] {
            assert_eq!(normal_ascii_address(a), None, "{a}");
        }
    }
    const IDN: EmailOptions = EmailOptions { allow_idn: true };

    fn ok(input: &str) -> Email {
        parse_email(input, ASCII).unwrap()
    }

    fn err(input: &str, opts: EmailOptions) -> Issue {
        parse_email(input, opts).unwrap_err()
    }

    fn reason(input: &str) -> String {
        let issue = err(input, ASCII);
        issue.params["reason"].as_str().unwrap().to_owned()
    }

    fn assert_email_reason(input: &str, expected: &str) {
        let issue = err(input, ASCII);
        assert_eq!(issue.code, Code::InvalidEmail, "{input}");
        assert_eq!(issue.params["reason"], json!(expected), "{input}");
    }

    fn assert_domain_reason(input: &str, opts: EmailOptions, expected: &str, label: Option<&str>) {
        let issue = err(input, opts);
        assert_eq!(issue.code, Code::InvalidDomain, "{input}");
        assert_eq!(issue.params["reason"], json!(expected), "{input}");
        assert_eq!(
            issue.params.get("label"),
            label.map(|l| json!(l)).as_ref(),
            "{input}"
        );
    }

    #[test]
    fn valid_common_addresses() {
        for input in [
            "user@example.com",
            "first.last@example.org",
            "a@b.co",
            "x_y-z@mail.example.net",
            "o'brien@example.ie",
            "user+tag@example.com",
            "!#$%&'*+/=?^_`{|}~-@example.com",
            "1234@example.com",
            "user@123.example",
            "user@a-b.example",
            "user@xn--bcher-kva.example",
        ] {
            let email = ok(input);
            assert_eq!(email.address, input);
            assert_eq!(email.key, input.to_lowercase());
        }
    }

    #[test]
    fn parts_are_split() {
        let email = ok("jane.doe+news@mail.example.com");
        assert_eq!(email.local, "jane.doe+news");
        assert_eq!(email.domain, "mail.example.com");
        assert_eq!(email.address, "jane.doe+news@mail.example.com");
    }

    #[test]
    fn plus_addressing_is_kept() {
        let email = ok("user+newsletter@example.com");
        assert_eq!(email.local, "user+newsletter");
        assert_eq!(email.key, "user+newsletter@example.com");
    }

    #[test]
    fn subdomains() {
        let email = ok("ops@a.b.c.d.example.co.uk");
        assert_eq!(email.domain, "a.b.c.d.example.co.uk");
    }

    #[test]
    fn domain_is_lower_cased_local_kept_key_lower_cased() {
        let email = ok("John.Doe@Example.COM");
        assert_eq!(email.address, "John.Doe@example.com");
        assert_eq!(email.local, "John.Doe");
        assert_eq!(email.domain, "example.com");
        assert_eq!(email.key, "john.doe@example.com");
        assert_eq!(ok("JOHN.DOE@example.com").key, email.key);
    }

    #[test]
    fn whitespace_is_trimmed() {
        let email = ok("  \t user@example.com \n");
        assert_eq!(email.address, "user@example.com");
        assert_eq!(
            ok("\u{a0}user@example.com\u{2003}").address,
            "user@example.com"
        );
    }

    #[test]
    fn empty_and_blank() {
        assert_email_reason("", "empty");
        assert_email_reason("   ", "empty");
    }

    #[test]
    fn missing_and_repeated_at() {
        assert_email_reason("user.example.com", "missing @");
        assert_email_reason("a@b@example.com", "more than one @");
        assert_email_reason("user@@example.com", "more than one @");
    }

    #[test]
    fn empty_local_part() {
        assert_email_reason("@example.com", "empty local part");
    }

    #[test]
    fn invalid_characters_in_local_part() {
        for input in [
            "us er@example.com",
            "user,name@example.com",
            "user(comment)@example.com",
            "user\\x@example.com",
            "user<x>@example.com",
            "user;x@example.com",
            "user:x@example.com",
            "user[x]@example.com",
            "usér@example.com",
            "用户@example.com",
            "user\u{0}@example.com",
        ] {
            assert_email_reason(input, "invalid character in local part");
        }
    }

    #[test]
    fn smtputf8_local_part_refused_even_with_idn() {
        let issue = err("usér@example.com", IDN);
        assert_eq!(issue.code, Code::InvalidEmail);
        assert_eq!(
            issue.params["reason"],
            json!("invalid character in local part")
        );
    }

    #[test]
    fn quoted_local_parts_refused() {
        assert_email_reason("\"john\"@example.com", "invalid character in local part");
        assert_email_reason(
            "\"john doe\"@example.com",
            "invalid character in local part",
        );
        assert_email_reason("\"john@doe\"@example.com", "more than one @");
    }

    #[test]
    fn dots_in_local_part() {
        assert_email_reason(".user@example.com", "leading or trailing dot");
        assert_email_reason("user.@example.com", "leading or trailing dot");
        assert_email_reason(".@example.com", "leading or trailing dot");
        assert_email_reason("us..er@example.com", "consecutive dots");
        assert_eq!(ok("u.s.e.r@example.com").local, "u.s.e.r");
    }

    #[test]
    fn local_part_length_boundary() {
        let local64 = "a".repeat(64);
        assert_eq!(ok(&format!("{local64}@example.com")).local, local64);
        let issue = err(&format!("{}@example.com", "a".repeat(65)), ASCII);
        assert_eq!(issue.code, Code::EmailLocalTooLong);
        assert_eq!(issue.params["max"], json!(64));
        assert_eq!(issue.params["actual"], json!(65));
    }

    /// A domain of `len` octets made of 63-octet labels (and a shorter one), ending `.com`.
    fn domain_of_len(len: usize) -> String {
        let mut labels = Vec::new();
        let mut remaining = len - "com".len();
        while remaining > 0 {
            // A label plus its trailing dot.
            let take = remaining.min(64);
            labels.push("d".repeat(take - 1));
            remaining -= take;
        }
        labels.push("com".to_owned());
        let domain = labels.join(".");
        assert_eq!(domain.len(), len);
        domain
    }

    #[test]
    fn address_length_boundary() {
        let local = "a".repeat(64);
        // 64 + 1 + 189 = 254.
        let at_limit = format!("{local}@{}", domain_of_len(189));
        assert_eq!(at_limit.len(), 254);
        assert_eq!(ok(&at_limit).address, at_limit);

        let over = format!("{local}@{}", domain_of_len(190));
        assert_eq!(over.len(), 255);
        let issue = err(&over, ASCII);
        assert_eq!(issue.code, Code::EmailTooLong);
        assert_eq!(issue.params["max"], json!(254));
        assert_eq!(issue.params["actual"], json!(255));
    }

    #[test]
    fn label_length_boundary() {
        let label63 = "l".repeat(63);
        assert_eq!(
            ok(&format!("u@{label63}.com")).domain,
            format!("{label63}.com")
        );
        let label64 = "l".repeat(64);
        assert_domain_reason(
            &format!("u@{label64}.com"),
            ASCII,
            "label too long",
            Some(&label64),
        );
    }

    #[test]
    fn empty_domain_and_labels() {
        assert_domain_reason("user@", ASCII, "empty domain", None);
        assert_domain_reason("user@.example.com", ASCII, "empty label", None);
        assert_domain_reason("user@example..com", ASCII, "empty label", None);
        assert_domain_reason("user@example.com.", ASCII, "empty label", None);
    }

    #[test]
    fn hyphens_in_labels() {
        assert_domain_reason(
            "user@-example.com",
            ASCII,
            "label starts or ends with a hyphen",
            Some("-example"),
        );
        assert_domain_reason(
            "user@example-.com",
            ASCII,
            "label starts or ends with a hyphen",
            Some("example-"),
        );
        assert_domain_reason(
            "user@example.-com",
            ASCII,
            "label starts or ends with a hyphen",
            Some("-com"),
        );
        assert_eq!(ok("user@ex--ample.com").domain, "ex--ample.com");
    }

    #[test]
    fn invalid_characters_in_domain() {
        assert_domain_reason(
            "user@exa_mple.com",
            ASCII,
            "invalid character",
            Some("exa_mple"),
        );
        assert_domain_reason(
            "user@exa mple.com",
            ASCII,
            "invalid character",
            Some("exa mple"),
        );
        assert_domain_reason(
            "user@[192.168.0.1]",
            ASCII,
            "invalid character",
            Some("[192"),
        );
        assert_domain_reason(
            "user@example.com!",
            ASCII,
            "invalid character",
            Some("com!"),
        );
    }

    #[test]
    fn top_level_domain() {
        assert_domain_reason("user@localhost", ASCII, "missing top-level domain", None);
        assert_domain_reason(
            "user@192.168.0.1",
            ASCII,
            "numeric top-level domain",
            Some("1"),
        );
        assert_domain_reason(
            "user@example.123",
            ASCII,
            "numeric top-level domain",
            Some("123"),
        );
        assert_eq!(ok("user@example.a1").domain, "example.a1");
    }

    #[test]
    fn idn_refused_when_not_allowed() {
        assert_domain_reason(
            "user@bücher.example",
            ASCII,
            "internationalised domains are not allowed",
            Some("bücher"),
        );
        assert_eq!(EmailOptions::default(), ASCII);
    }

    #[test]
    fn idn_converted_to_a_labels() {
        let email = parse_email("user@bücher.example", IDN).unwrap();
        assert_eq!(email.address, "user@xn--bcher-kva.example");
        assert_eq!(email.domain, "xn--bcher-kva.example");
        assert_eq!(email.key, "user@xn--bcher-kva.example");

        let email = parse_email("Hans@München.DE", IDN).unwrap();
        assert_eq!(email.address, "Hans@xn--mnchen-3ya.de");
        assert_eq!(email.key, "hans@xn--mnchen-3ya.de");
    }

    #[test]
    fn idn_is_nfc_normalised_and_lower_cased() {
        // "u" followed by a combining diaeresis composes to "ü".
        let decomposed = parse_email("user@bu\u{308}cher.example", IDN).unwrap();
        assert_eq!(decomposed.domain, "xn--bcher-kva.example");
        let upper = parse_email("user@BÜCHER.example", IDN).unwrap();
        assert_eq!(upper.domain, "xn--bcher-kva.example");
        // The same key whichever way the domain was typed.
        let a_label = parse_email("user@xn--bcher-kva.example", IDN).unwrap();
        assert_eq!(a_label.key, decomposed.key);
    }

    #[test]
    fn idn_other_scripts() {
        let email = parse_email("info@例え.テスト", IDN).unwrap();
        assert_eq!(email.domain, "xn--r8jz45g.xn--zckzah");
        let email = parse_email("info@пример.рф", IDN).unwrap();
        assert_eq!(email.domain, "xn--e1afmkfd.xn--p1ai");
        // Ideographic full stop as a separator.
        let email = parse_email("info@例え\u{3002}テスト", IDN).unwrap();
        assert_eq!(email.domain, "xn--r8jz45g.xn--zckzah");
    }

    #[test]
    fn idn_invalid_labels() {
        assert_domain_reason(
            "user@bü_cher.example",
            IDN,
            "invalid character",
            Some("bü_cher"),
        );
        assert_domain_reason("user@bü♥.example", IDN, "invalid character", Some("bü♥"));
        assert_domain_reason(
            "user@-bücher.example",
            IDN,
            "label starts or ends with a hyphen",
            Some("-bücher"),
        );
        assert_domain_reason(
            "user@\u{308}bcher.example",
            IDN,
            "label starts with a combining mark",
            Some("\u{308}bcher"),
        );
        // 62 ASCII letters plus one "ü": far more than 63 octets once encoded.
        let long = format!("{}ü", "a".repeat(62));
        assert_domain_reason(
            &format!("u@{long}.example"),
            IDN,
            "label too long",
            Some(&long),
        );
        let very_long = "ü".repeat(100);
        assert_domain_reason(
            &format!("u@{very_long}.example"),
            IDN,
            "label too long",
            Some(&very_long),
        );
        assert_domain_reason("user@bücher", IDN, "missing top-level domain", None);
    }

    #[test]
    fn idn_a_label_length_boundary() {
        // "ü" + 55 x "a" encodes as "xn--" + 55 x "a" + "-" + 3 digits = 63 octets.
        let label = format!("ü{}", "a".repeat(55));
        let encoded = format!("xn--{}", punycode_encode(&label).unwrap());
        assert_eq!(encoded.len(), 63);
        let email = parse_email(&format!("u@{label}.example"), IDN).unwrap();
        assert_eq!(email.domain, format!("{encoded}.example"));

        let label = format!("ü{}", "a".repeat(56));
        assert_eq!(punycode_encode(&label).unwrap().len() + 4, 64);
        assert_domain_reason(
            &format!("u@{label}.example"),
            IDN,
            "label too long",
            Some(&label),
        );
    }

    #[test]
    fn reasons_are_plain_strings() {
        assert_eq!(reason("nope"), "missing @");
    }

    #[test]
    fn punycode_basic_examples() {
        assert_eq!(punycode_encode("bücher").unwrap(), "bcher-kva");
        assert_eq!(punycode_encode("münchen").unwrap(), "mnchen-3ya");
        assert_eq!(punycode_encode("abc").unwrap(), "abc-");
        assert_eq!(punycode_encode("").unwrap(), "");
        assert_eq!(punycode_encode("ü").unwrap(), "tda");
    }

    /// Sample strings from RFC 3492, section 7.1.
    #[test]
    fn punycode_rfc3492_samples() {
        let cp = |points: &[u32]| -> String {
            points.iter().map(|&p| char::from_u32(p).unwrap()).collect()
        };
        // (A) Arabic (Egyptian).
        assert_eq!(
            punycode_encode(&cp(&[
                0x0644, 0x064A, 0x0647, 0x0645, 0x0627, 0x0628, 0x062A, 0x0643, 0x0644, 0x0645,
                0x0648, 0x0634, 0x0639, 0x0631, 0x0628, 0x064A, 0x061F,
            ]))
            .unwrap(),
            "egbpdaj6bu4bxfgehfvwxn"
        );
        // (B) Chinese (simplified).
        assert_eq!(
            punycode_encode(&cp(&[
                0x4ED6, 0x4EEC, 0x4E3A, 0x4EC0, 0x4E48, 0x4E0D, 0x8BF4, 0x4E2D, 0x6587,
            ]))
            .unwrap(),
            "ihqwcrb4cv8a8dqg056pqjye"
        );
        // (C) Chinese (traditional).
        assert_eq!(
            punycode_encode(&cp(&[
                0x4ED6, 0x5011, 0x7232, 0x4EC0, 0x9EBD, 0x4E0D, 0x8AAA, 0x4E2D, 0x6587,
            ]))
            .unwrap(),
            "ihqwctvzc91f659drss3x8bo0yb"
        );
        // (D) Czech.
        assert_eq!(
            punycode_encode("Pročprostěnemluvíčesky").unwrap(),
            "Proprostnemluvesky-uyb24dma41a"
        );
        // (E) Hebrew.
        assert_eq!(
            punycode_encode(&cp(&[
                0x05DC, 0x05DE, 0x05D4, 0x05D4, 0x05DD, 0x05E4, 0x05E9, 0x05D5, 0x05D8, 0x05DC,
                0x05D0, 0x05DE, 0x05D3, 0x05D1, 0x05E8, 0x05D9, 0x05DD, 0x05E2, 0x05D1, 0x05E8,
                0x05D9, 0x05EA,
            ]))
            .unwrap(),
            "4dbcagdahymbxekheh6e0a7fei0b"
        );
        // (G) Japanese (kanji and hiragana).
        assert_eq!(
            punycode_encode("なぜみんな日本語を話してくれないのか").unwrap(),
            "n8jok5ay5dzabd5bym9f0cm5685rrjetr6pdxa"
        );
        // (I) Russian (Cyrillic), lower case.
        assert_eq!(
            punycode_encode("почемужеонинеговорятпорусски").unwrap(),
            "b1abfaaepdrnnbgefbadotcwatmq2g4l"
        );
        // (J) Spanish.
        assert_eq!(
            punycode_encode("PorquénopuedensimplementehablarenEspañol").unwrap(),
            "PorqunopuedensimplementehablarenEspaol-fmd56a"
        );
        // (K) Vietnamese.
        assert_eq!(
            punycode_encode("TạisaohọkhôngthểchỉnóitiếngViệt").unwrap(),
            "TisaohkhngthchnitingVit-kjcr8268qyxafd2f1b9g"
        );
        // (L) 3<nen>B<gumi><kinpachi><sensei>.
        assert_eq!(
            punycode_encode("3年B組金八先生").unwrap(),
            "3B-ww4c5e180e575a65lsy2b"
        );
        // (M) <amuro><namie>-with-SUPER-MONKEYS.
        assert_eq!(
            punycode_encode("安室奈美恵-with-SUPER-MONKEYS").unwrap(),
            "-with-SUPER-MONKEYS-pc58ag80a8qai00g7n9n"
        );
        // (Q) <sono><supiido><de>.
        assert_eq!(
            punycode_encode("そのスピードで").unwrap(),
            "d9juau41awczczp"
        );
        // (S) -> $1.00 <- (all basic code points).
        assert_eq!(punycode_encode("-> $1.00 <-").unwrap(), "-> $1.00 <--");
    }

    #[test]
    fn punycode_high_code_points() {
        // Astral code points (emoji, U+10FFFF) must not overflow.
        assert_eq!(punycode_encode("😀").unwrap(), "e28h");
        assert!(punycode_encode("a\u{10FFFF}").is_some());
        assert!(punycode_encode(&"\u{10FFFF}\u{80}".repeat(200)).is_some());
    }
}
