//! Checking a password against a [`ResolvedPasswordPolicy`].

use serde::{Deserialize, Serialize, Serializer};

use super::blocklist::Blocklist;
use super::normalize::{lower_and_leet, nfkc};
use super::policy::ResolvedPasswordPolicy;
use super::strength::{estimate_entropy_bits, score_for_bits};
use crate::messages::Lang;
use crate::violation::{Code, Issue, Params, Path, Severity, Violation};

/// Attribute parts shorter than this are not looked for in the password.
const MIN_PART_CHARS: usize = 3;
/// An attribute shorter than this (in letters) is not compared by edit distance.
const MIN_NEAR_MATCH_CHARS: usize = 4;
/// The longest unit a password may repeat before it counts as repetitive.
const MAX_REPEATED_UNIT: usize = 16;

/// The most UTF-8 bytes of a password the checks analyse. A longer one is longer than the
/// largest `maxLength` a policy may set ([`super::MAX_LENGTH_LIMIT`], 4,096 code points)
/// whatever its normalisation: at least 65,536 code points before NFKC, and canonical
/// composition joins at most four into one. It is judged by its length alone, so the
/// checks' copies of it (normalised, lower-cased, leet readings, characters) stay bounded:
/// a 20 MB password made about 260 MB of them, beyond the portable module's 256 MiB.
pub const MAX_PASSWORD_BYTES: usize = 256 << 10;

/// What the check knows about the user, for the similarity rule and the MFA minimum.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PasswordContext<'a> {
    /// The user's attributes as (name, value), e.g. `("firstName", "Sophie")`,
    /// `("email", "sophie.martin@example.com")`. The name is what `PasswordSimilar`
    /// reports in its `attribute` param.
    pub attributes: Vec<(&'a str, &'a str)>,
    /// Whether the password is used with multi-factor authentication (lowers the minimum
    /// length to the policy's `minLengthWithMfa`).
    pub mfa: bool,
}

impl<'a> PasswordContext<'a> {
    /// An empty context: no attributes, no MFA.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an attribute.
    #[must_use]
    pub fn with_attribute(mut self, name: &'a str, value: &'a str) -> Self {
        self.attributes.push((name, value));
        self
    }

    /// Sets whether MFA is in use.
    #[must_use]
    pub fn with_mfa(mut self, mfa: bool) -> Self {
        self.mfa = mfa;
        self
    }
}

/// One rule of the policy and whether the password meets it, for a form's live checklist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ChecklistItem {
    /// The rule, as the code of the issue it raises when unmet.
    pub code: Code,
    /// Whether the password meets it.
    pub met: bool,
    /// Params to render the rule's message with (`min` for `password_too_short`, `max` for
    /// `password_too_long`, `attribute` for an unmet `password_similar`; `unavailable`: the
    /// rule could not be checked, `skipped`: the password was too long to analyse, both on
    /// an unmet item).
    #[serde(default, skip_serializing_if = "Params::is_empty")]
    pub params: Params,
    /// The rule as a form shows it (`at least 8 characters`), in the requested language;
    /// filled in by the decision functions, empty in a bare [`PasswordReport`].
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
}

impl ChecklistItem {
    /// Fills `label` in `lang`.
    pub fn localize(&mut self, lang: crate::messages::Lang) {
        self.label = crate::messages::checklist_label(self.code, &self.params, lang);
    }
}

/// The outcome of [`check_password`].
///
/// Serialises (camelCase) with `issues` as `[{"code": ..., "params": {...}}]`; render them
/// into messages with [`violations`](Self::violations).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordReport {
    /// Every unmet rule, one issue each, in checklist order (empty: acceptable).
    #[serde(serialize_with = "serialize_issues")]
    pub issues: Vec<Issue>,
    /// Strength for a meter, 0 (weak) ..= 4 (strong); see [`super::strength`].
    pub score: u8,
    /// The entropy estimate the score comes from, in bits (rounded to 0.1).
    pub entropy_bits: f64,
    /// Every rule the policy enforces, met or not.
    pub checklist: Vec<ChecklistItem>,
}

impl PasswordReport {
    /// Whether the policy accepts the password.
    pub fn is_acceptable(&self) -> bool {
        self.issues.is_empty()
    }

    /// The issues rendered as error violations at `path` in `lang`.
    pub fn violations(&self, path: &Path, lang: Lang) -> Vec<Violation> {
        self.issues
            .iter()
            .map(|i| i.clone().at(path.clone(), Severity::Error, lang))
            .collect()
    }
}

#[derive(Serialize)]
struct IssueOut<'a> {
    code: Code,
    #[serde(skip_serializing_if = "Params::is_empty")]
    params: &'a Params,
}

fn serialize_issues<S: Serializer>(issues: &[Issue], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(issues.iter().map(|i| IssueOut {
        code: i.code,
        params: &i.params,
    }))
}

/// Checks `password` against `policy` with the built-in [`Blocklist`].
///
/// Steps, each unmet rule giving its own issue (all are reported, not the first):
///
/// 1. control characters (`char::is_control`, e.g. tab, newline, NUL) →
///    `password_invalid_characters`;
/// 2. NFKC normalisation (fullwidth `ＰＡＳＳ` is `PASS`); the password is never truncated;
/// 3. length in code points of the normalised password: `password_too_short` (params `min`,
///    `actual`; the minimum is `minLengthWithMfa` when `context.mfa`) and
///    `password_too_long` (`max`, `actual`);
/// 4. composition, when required: upper case (`char::is_uppercase`), lower case
///    (`char::is_lowercase`), digit (`char::is_numeric`), special (any character that is
///    neither alphanumeric nor a control character; **a space counts as special**, as in
///    OWASP's list of special characters; letters without case, e.g. CJK, count as neither
///    upper nor lower);
/// 5. blocklist → `password_common` (see [`Blocklist::contains`]);
/// 6. similarity → `password_similar`, one issue per offending attribute (param
///    `attribute`): each attribute value is NFKC-normalised and lower-cased, an email is
///    reduced to its local part, and the value is split on non-alphanumeric characters
///    (so `sophie.martin+hr` gives `sophie`, `martin`, `hr`); the password is similar when
///    it (lower-cased, or in a leet reading) contains a part of 3 or more characters, or
///    when its letters are within Levenshtein distance min(2, n/3) of the value's n ≥ 4
///    letters (`Sofie` for `Sophie`);
/// 7. repetition → `password_repetitive`: the whole password (ignoring case) is a unit of
///    1 to 16 characters repeated (`aaaaaaaa`, `abcabcab`, `passpass`), or a run of
///    ascending or descending consecutive code points (`abcdefgh`, `87654321`; digits
///    wrap around: `7890123`).
///
/// A password of more than [`MAX_PASSWORD_BYTES`] is judged too long without the other
/// analyses (its `actual` length counted before normalisation); every other rule is listed
/// unmet with the param `skipped`, control characters excepted, which are checked as above.
#[cfg(feature = "builtin-blocklist")]
pub fn check_password(
    policy: &ResolvedPasswordPolicy,
    password: &str,
    context: &PasswordContext<'_>,
) -> PasswordReport {
    check_password_with(policy, password, context, Blocklist::builtin())
}

/// [`check_password`] with a caller's blocklist instead of the built-in one.
pub fn check_password_with(
    policy: &ResolvedPasswordPolicy,
    password: &str,
    context: &PasswordContext<'_>,
    blocklist: &Blocklist,
) -> PasswordReport {
    check_password_opt(policy, password, context, Some(blocklist))
}

/// [`check_password`] with a blocklist that may be missing (a browser build that has not
/// loaded it). A policy that requires a blocklist then fails its `password_common` rule
/// with `password_check_unavailable`: a rule that cannot be checked never passes.
pub fn check_password_opt(
    policy: &ResolvedPasswordPolicy,
    password: &str,
    context: &PasswordContext<'_>,
    blocklist: Option<&Blocklist>,
) -> PasswordReport {
    let mut checklist: Vec<ChecklistItem> = Vec::new();
    let mut issues: Vec<Issue> = Vec::new();
    // A blank password (empty, or only white space: spaces of any kind) is no password, as
    // a record's blank password field is none (R000-05): `required`, whatever else it
    // fails (sixteen different Unicode spaces met every other rule).
    if crate::checks::text::trim(password).is_empty() {
        issues.push(Issue {
            code: Code::Required,
            params: Params::new(),
            custom_message: None,
        });
    }
    let mut item = |code: Code, met: bool, params: Params, issue_params: Vec<Params>| {
        checklist.push(ChecklistItem {
            code,
            met,
            params,
            label: String::new(),
        });
        for p in issue_params {
            issues.push(Issue {
                code,
                params: p,
                custom_message: None,
            });
        }
    };
    let unmet = |met: bool| if met { Vec::new() } else { vec![Params::new()] };

    let has_control = password.chars().any(char::is_control);
    if password.len() > MAX_PASSWORD_BYTES {
        return oversize_report(policy, password, context.mfa, has_control);
    }
    let normalized = nfkc(password);
    let chars: Vec<char> = normalized.chars().collect();
    let length = chars.len();

    // Length.
    let min = policy.effective_min_length(context.mfa);
    let max = policy.max_length;
    let min_params = params(&[("min", min)]);
    let short = if length < min {
        vec![params(&[("min", min), ("actual", length)])]
    } else {
        Vec::new()
    };
    item(Code::PasswordTooShort, length >= min, min_params, short);
    let max_params = params(&[("max", max)]);
    let long = if length > max {
        vec![params(&[("max", max), ("actual", length)])]
    } else {
        Vec::new()
    };
    item(Code::PasswordTooLong, length <= max, max_params, long);

    // Composition.
    let mut composition_ok = true;
    for (required, code, test) in [
        (
            policy.require_upper,
            Code::PasswordMissingUpper,
            char::is_uppercase as fn(char) -> bool,
        ),
        (
            policy.require_lower,
            Code::PasswordMissingLower,
            char::is_lowercase,
        ),
        (
            policy.require_digit,
            Code::PasswordMissingDigit,
            char::is_numeric,
        ),
        (
            policy.require_special,
            Code::PasswordMissingSpecial,
            is_special,
        ),
    ] {
        if required {
            let met = chars.iter().any(|c| test(*c));
            composition_ok &= met;
            item(code, met, Params::new(), unmet(met));
        }
    }

    // Blocklist.
    let common = match (policy.blocklist, blocklist) {
        (false, _) => false,
        (true, Some(list)) => {
            let common = list.contains(&normalized);
            item(Code::PasswordCommon, !common, Params::new(), unmet(!common));
            common
        }
        (true, None) => {
            // A rule that cannot be checked never passes.
            let mut p = Params::new();
            p.insert("unavailable".into(), true.into());
            item(Code::PasswordCommon, false, p, Vec::new());
            false
        }
    };
    let unavailable = policy.blocklist && blocklist.is_none();

    // Similarity.
    let mut similar_to: Vec<&str> = Vec::new();
    if policy.similarity {
        let lower = normalized.to_lowercase();
        let readings = lower_and_leet(&lower);
        let letters: Vec<char> = lower.chars().filter(|c| c.is_alphabetic()).collect();
        for &(name, value) in &context.attributes {
            if is_similar(&readings, &letters, value) && !similar_to.contains(&name) {
                similar_to.push(name);
            }
        }
        let first = similar_to
            .first()
            .map(|a| params_str("attribute", a))
            .unwrap_or_default();
        let per_attribute = similar_to
            .iter()
            .map(|a| params_str("attribute", a))
            .collect();
        item(
            Code::PasswordSimilar,
            similar_to.is_empty(),
            first,
            per_attribute,
        );
    }

    // Repetition.
    let repetitive = is_repetitive(&chars);
    item(
        Code::PasswordRepetitive,
        !repetitive,
        Params::new(),
        unmet(!repetitive),
    );

    // Control characters.
    item(
        Code::PasswordInvalidCharacters,
        !has_control,
        Params::new(),
        unmet(!has_control),
    );

    // Strength.
    let entropy_bits = estimate_entropy_bits(&normalized);
    let mut score = score_for_bits(entropy_bits);
    if common || !similar_to.is_empty() || repetitive || has_control {
        score = 0;
    } else if length < min || length > max || !composition_ok {
        score = score.min(1);
    }

    if unavailable {
        issues.push(Issue::new(Code::PasswordCheckUnavailable));
    }
    PasswordReport {
        issues,
        score,
        entropy_bits,
        checklist,
    }
}

/// The report on a password of more than [`MAX_PASSWORD_BYTES`]: too long (its `actual`
/// length counted before normalisation, which cannot bring it under the maximum), control
/// characters judged as for any password, and every other rule the policy has listed unmet
/// with the param `skipped` and no issue of its own: a rule that was not checked never
/// passes. Score 0.
fn oversize_report(
    policy: &ResolvedPasswordPolicy,
    password: &str,
    mfa: bool,
    has_control: bool,
) -> PasswordReport {
    let (min, max) = (policy.effective_min_length(mfa), policy.max_length);
    let length = password.chars().count();
    let mut skipped = Params::new();
    skipped.insert("skipped".into(), true.into());
    let item = |code, met, params| ChecklistItem {
        code,
        met,
        params,
        label: String::new(),
    };
    let mut checklist = vec![
        item(Code::PasswordTooShort, true, params(&[("min", min)])),
        item(Code::PasswordTooLong, false, params(&[("max", max)])),
    ];
    let mut issues = vec![Issue {
        code: Code::PasswordTooLong,
        params: params(&[("max", max), ("actual", length)]),
        custom_message: None,
    }];
    for (listed, code) in [
        (policy.require_upper, Code::PasswordMissingUpper),
        (policy.require_lower, Code::PasswordMissingLower),
        (policy.require_digit, Code::PasswordMissingDigit),
        (policy.require_special, Code::PasswordMissingSpecial),
        (policy.blocklist, Code::PasswordCommon),
        (policy.similarity, Code::PasswordSimilar),
        (true, Code::PasswordRepetitive),
    ] {
        if listed {
            checklist.push(item(code, false, skipped.clone()));
        }
    }
    checklist.push(item(
        Code::PasswordInvalidCharacters,
        !has_control,
        Params::new(),
    ));
    if has_control {
        issues.push(Issue::new(Code::PasswordInvalidCharacters));
    }
    PasswordReport {
        issues,
        score: 0,
        entropy_bits: 0.0,
        checklist,
    }
}

fn is_special(c: char) -> bool {
    !c.is_alphanumeric() && !c.is_control()
}

fn params(pairs: &[(&str, usize)]) -> Params {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v)))
        .collect()
}

fn params_str(key: &str, value: &str) -> Params {
    let mut p = Params::new();
    p.insert(key.to_owned(), serde_json::Value::from(value));
    p
}

/// Whether the password (its lower-cased readings and its letters) resembles `value`.
fn is_similar(readings: &[String], letters: &[char], value: &str) -> bool {
    let value = nfkc(value).to_lowercase();
    let value = match value.rsplit_once('@') {
        Some((local, _domain)) => local,
        None => value.as_str(),
    };
    let contains_part = value
        .split(|c: char| !c.is_alphanumeric())
        .filter(|part| part.chars().count() >= MIN_PART_CHARS)
        .any(|part| readings.iter().any(|r| r.contains(part)));
    if contains_part {
        return true;
    }
    let value_letters: Vec<char> = value.chars().filter(|c| c.is_alphabetic()).collect();
    let n = value_letters.len();
    if n < MIN_NEAR_MATCH_CHARS || letters.is_empty() {
        return false;
    }
    let allowed = (n / 3).min(2);
    letters.len().abs_diff(n) <= allowed && levenshtein(letters, &value_letters) <= allowed
}

/// Levenshtein distance between two short strings of chars.
fn levenshtein(a: &[char], b: &[char]) -> usize {
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current: Vec<usize> = Vec::with_capacity(b.len() + 1);
    for (i, ca) in a.iter().enumerate() {
        current.clear();
        current.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous
                .get(j)
                .copied()
                .unwrap_or(usize::MAX)
                .saturating_add(usize::from(ca != cb));
            let delete = previous
                .get(j + 1)
                .copied()
                .unwrap_or(usize::MAX)
                .saturating_add(1);
            let insert = current
                .get(j)
                .copied()
                .unwrap_or(usize::MAX)
                .saturating_add(1);
            current.push(substitute.min(delete).min(insert));
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous.last().copied().unwrap_or(0)
}

/// Whether the whole password is a repeated unit or a run of consecutive code points.
fn is_repetitive(chars: &[char]) -> bool {
    if chars.len() < 2 {
        return false;
    }
    let lower: Vec<char> = chars
        .iter()
        .map(|c| c.to_lowercase().next().unwrap_or(*c))
        .collect();
    let n = lower.len();
    let periodic = (1..=MAX_REPEATED_UNIT.min(n / 2)).any(|unit| {
        lower
            .iter()
            .zip(lower.iter().skip(unit))
            .all(|(a, b)| a == b)
    });
    if periodic {
        return true;
    }
    if n < 3 {
        return false;
    }
    let steps: Vec<i64> = lower
        .windows(2)
        .map(|w| match w {
            // Digits wrap around, as on a keyboard: `7890123` is a sequence.
            ['9', '0'] => 1,
            ['0', '9'] => -1,
            [a, b] => i64::from(u32::from(*b)) - i64::from(u32::from(*a)),
            _ => 0,
        })
        .collect();
    steps.iter().all(|s| *s == 1) || steps.iter().all(|s| *s == -1)
}
