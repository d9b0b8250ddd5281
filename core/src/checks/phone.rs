//! Phone numbers: lenient input, normalised to E.164 (`+33612345678`).
//!
//! An E.164 number is `+`, a country code of 1 to 3 digits whose first digit is 1-9, and
//! the national number, at most 15 digits in all. Warden also demands at least
//! [`MIN_DIGITS`] (8) digits in all: the shortest real numbers, country code included, are
//! about 8 digits long (small countries with short national plans), so anything shorter is
//! a typo. Country codes are not checked against the ITU list.
//!
//! Input is lenient:
//!
//! - surrounding whitespace is trimmed; spaces, no-break spaces, dashes and dots between
//!   digits are ignored;
//! - at most one pair of parentheses, containing only digits (`(415) 555-2671`); in an
//!   international number, a `(0)` group right after the country code is the national
//!   trunk prefix and is dropped (`+44 (0)20 7946 0958`); elsewhere its digit is kept;
//! - the international prefix `00` is accepted instead of `+` (`0033 6 12 34 56 78`);
//! - without `+` or `00`, the number is national: with
//!   [`PhoneOptions::default_country_code`], one leading trunk `0` is dropped and the
//!   country code prepended (`06 12 34 56 78` in France gives `+33612345678`); without it,
//!   the number is refused. Only a `0` trunk prefix is recognised (North American `1-...`
//!   national forms are read as part of the number).
//!
//! A `+` anywhere but first, letters (so extensions such as `x123` or `ext. 123`, which are
//! not supported), and any other character are refused.

use std::borrow::Cow;

use crate::violation::{Code, Issue};

/// The most digits an E.164 number has (ITU-T E.164, section 6).
pub const MAX_DIGITS: usize = 15;
/// The fewest digits (country code included) Warden accepts in a phone number.
pub const MIN_DIGITS: usize = 8;

/// Options for phone checks (from the policy).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PhoneOptions {
    /// The country code of numbers entered without `+` or `00`, digits only (`"33"`); a
    /// leading `+` is tolerated. `None`: such numbers are refused.
    pub default_country_code: Option<String>,
}

/// Checks a phone number and returns it in E.164 form (`+33612345678`).
///
/// Failures are [`Code::InvalidPhone`] with param `reason`: `"empty"`,
/// `"missing country code"`, `"too many digits"` (with `max` and `actual`),
/// `"too few digits"` (with `min` and `actual`), `"letters are not allowed"`,
/// `"invalid character"` (also for a misplaced `+`), `"invalid country code"` (a country
/// code starting with 0, or an invalid `default_country_code`) or
/// `"unbalanced parentheses"` (also for nested or repeated parentheses). See the
/// [module docs](self) for the accepted forms.
pub fn parse_phone(input: &str, opts: &PhoneOptions) -> Result<String, Issue> {
    normalize_phone(input, opts).map(Cow::into_owned)
}

/// Checks a phone number like [`parse_phone`], returning the E.164 form borrowed from
/// `input` when it was entered that way (`+` and digits only: nothing is allocated).
///
/// # Errors
/// The same as [`parse_phone`].
pub fn normalize_phone<'a>(input: &'a str, opts: &PhoneOptions) -> Result<Cow<'a, str>, Issue> {
    let trimmed = input.trim();
    if let Some(digits) = trimmed.strip_prefix('+')
        && (MIN_DIGITS..=MAX_DIGITS).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
    {
        return Ok(Cow::Borrowed(trimmed));
    }
    if trimmed.is_empty() {
        return Err(invalid("empty"));
    }
    let scanned = scan(trimmed)?;
    let international = if scanned.plus {
        Some(scanned.international_digits(0))
    } else if scanned.digits.starts_with("00") {
        Some(scanned.international_digits(2))
    } else {
        None
    };
    let digits = match international {
        Some(digits) => digits,
        None => {
            let Some(code) = opts.default_country_code.as_deref() else {
                return Err(invalid("missing country code"));
            };
            let code = code.strip_prefix('+').unwrap_or(code);
            if !is_country_code(code) {
                return Err(invalid("invalid country code"));
            }
            let national = scanned.digits.strip_prefix('0').unwrap_or(&scanned.digits);
            if national.is_empty() {
                return Err(too_few(code.len()));
            }
            format!("{code}{national}")
        }
    };
    if digits.is_empty() {
        return Err(too_few(0));
    }
    if digits.starts_with('0') {
        return Err(invalid("invalid country code"));
    }
    if digits.len() > MAX_DIGITS {
        return Err(invalid("too many digits")
            .with("max", MAX_DIGITS)
            .with("actual", digits.len()));
    }
    if digits.len() < MIN_DIGITS {
        return Err(too_few(digits.len()));
    }
    Ok(Cow::Owned(format!("+{digits}")))
}

fn invalid(reason: &str) -> Issue {
    Issue::new(Code::InvalidPhone).with("reason", reason)
}

fn too_few(actual: usize) -> Issue {
    invalid("too few digits")
        .with("min", MIN_DIGITS)
        .with("actual", actual)
}

/// A valid country code: 1 to 3 ASCII digits, the first one not 0.
fn is_country_code(code: &str) -> bool {
    (1..=3).contains(&code.len())
        && code.chars().all(|c| c.is_ascii_digit())
        && !code.starts_with('0')
}

/// The digits of a number, with what the scan learned about its form.
#[derive(Debug)]
struct Scanned {
    /// Every digit, in order.
    digits: String,
    /// Whether the number started with `+`.
    plus: bool,
    /// The digit range `start..end` of the parenthesised group, if any.
    group: Option<(usize, usize)>,
    /// Where the first two runs of digits end (as a count of digits before the separator
    /// or parenthesis that ends each): the country code as written is the run holding the
    /// first digit after the international prefix (`+44 (0)20 ...`, `00 33 (0)6 ...`),
    /// one of the first two.
    run_ends: [Option<usize>; 2],
}

impl Scanned {
    /// The digits of an international number after its `prefix` leading digits (the `00`,
    /// if any), without a `(0)` trunk group. A `(0)` is the trunk prefix only right after
    /// the country code as written (the first run of digits, 1 to 3 of them after the
    /// prefix): anywhere else it is a digit of the number, kept (`+33 6 12 (0)3 45 67 8` is
    /// `+336120345678`, never `+33612345678`, another line; `+7 12 (0)3...` keeps it too).
    fn international_digits(&self, prefix: usize) -> String {
        let mut digits = self.digits.clone();
        let country_code_end = self.run_ends.iter().flatten().find(|&&e| e > prefix);
        if let Some((start, end)) = self.group
            && country_code_end == Some(&start)
            && (prefix + 1..=prefix + 3).contains(&start)
            && self.digits.get(start..end) == Some("0")
        {
            digits.replace_range(start..end, "");
        }
        digits.get(prefix..).unwrap_or_default().to_owned()
    }
}

/// Checks that `input` has at most one pair of parentheses, not nested.
fn check_parentheses(input: &str) -> Result<(), Issue> {
    let mut open = false;
    let mut pairs = 0;
    for c in input.chars() {
        match c {
            '(' if !open && pairs == 0 => open = true,
            ')' if open => {
                open = false;
                pairs += 1;
            }
            '(' | ')' => return Err(invalid("unbalanced parentheses")),
            _ => {}
        }
    }
    if open {
        return Err(invalid("unbalanced parentheses"));
    }
    Ok(())
}

/// Reads the digits of a trimmed, non-empty number, checking its characters.
fn scan(input: &str) -> Result<Scanned, Issue> {
    check_parentheses(input)?;
    let mut digits = String::with_capacity(input.len());
    let mut plus = false;
    let mut open: Option<usize> = None;
    let mut group: Option<(usize, usize)> = None;
    let mut run_ends: [Option<usize>; 2] = [None; 2];
    let note_end = |ends: &mut [Option<usize>; 2], at: usize| {
        if at > 0
            && !ends.contains(&Some(at))
            && let Some(slot) = ends.iter_mut().find(|e| e.is_none())
        {
            *slot = Some(at);
        }
    };
    for (i, c) in input.chars().enumerate() {
        if !c.is_ascii_digit() {
            note_end(&mut run_ends, digits.len());
        }
        match c {
            '0'..='9' => digits.push(c),
            '+' if i == 0 => plus = true,
            ' ' | '\u{a0}' | '-' | '.' if open.is_none() => {}
            '(' if open.is_none() && group.is_none() => open = Some(digits.len()),
            '(' => return Err(invalid("unbalanced parentheses")),
            ')' => match open.take() {
                Some(start) if start < digits.len() => group = Some((start, digits.len())),
                _ => return Err(invalid("unbalanced parentheses")),
            },
            c if c.is_alphabetic() => return Err(invalid("letters are not allowed")),
            _ => return Err(invalid("invalid character")),
        }
    }
    if open.is_some() {
        return Err(invalid("unbalanced parentheses"));
    }
    note_end(&mut run_ends, digits.len());
    Ok(Scanned {
        run_ends,
        digits,
        plus,
        group,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use serde_json::json;

    fn none() -> PhoneOptions {
        PhoneOptions::default()
    }

    fn country(code: &str) -> PhoneOptions {
        PhoneOptions {
            default_country_code: Some(code.to_owned()),
        }
    }

    fn assert_reason(input: &str, opts: &PhoneOptions, expected: &str) -> Issue {
        let issue = parse_phone(input, opts).unwrap_err();
        assert_eq!(issue.code, Code::InvalidPhone, "{input}");
        assert_eq!(issue.params["reason"], json!(expected), "{input}");
        issue
    }

    #[test]
    fn french_numbers_in_many_forms() {
        for input in [
            "+33612345678",
            "+33 6 12 34 56 78",
            "+33 (0)6 12 34 56 78",
            "+33(0)612345678",
            "+33-6-12-34-56-78",
            "+33.6.12.34.56.78",
            "0033 6 12 34 56 78",
            "0033612345678",
            "00 33 (0)6 12 34 56 78",
            "  +33 6 12 34 56 78  ",
            "+33\u{a0}6\u{a0}12\u{a0}34\u{a0}56\u{a0}78",
        ] {
            assert_eq!(
                parse_phone(input, &none()).unwrap(),
                "+33612345678",
                "{input}"
            );
        }
        for input in [
            "06 12 34 56 78",
            "06.12.34.56.78",
            "06-12-34-56-78",
            "0612345678",
        ] {
            assert_eq!(
                parse_phone(input, &country("33")).unwrap(),
                "+33612345678",
                "{input}"
            );
        }
    }

    #[test]
    fn us_numbers_in_many_forms() {
        for input in [
            "+1 415 555 2671",
            "+1 (415) 555-2671",
            "+1-415-555-2671",
            "+1.415.555.2671",
            "+14155552671",
            "001 415 555 2671",
        ] {
            assert_eq!(
                parse_phone(input, &none()).unwrap(),
                "+14155552671",
                "{input}"
            );
        }
        for input in [
            "(415) 555-2671",
            "415-555-2671",
            "415.555.2671",
            "4155552671",
        ] {
            assert_eq!(
                parse_phone(input, &country("1")).unwrap(),
                "+14155552671",
                "{input}"
            );
        }
    }

    #[test]
    fn uk_numbers_in_many_forms() {
        for input in [
            "+44 20 7946 0958",
            "+44 (0)20 7946 0958",
            "+44 (0) 20 7946 0958",
            "0044 20 7946 0958",
            "+442079460958",
        ] {
            assert_eq!(
                parse_phone(input, &none()).unwrap(),
                "+442079460958",
                "{input}"
            );
        }
        for input in ["020 7946 0958", "(020) 7946 0958", "02079460958"] {
            assert_eq!(
                parse_phone(input, &country("44")).unwrap(),
                "+442079460958",
                "{input}"
            );
        }
    }

    /// A `(0)` is dropped as the trunk prefix only right after a country code of one to
    /// three digits; elsewhere its digit is the number's, and kept.
    #[test]
    fn a_zero_in_parentheses_is_a_trunk_prefix_only_after_the_country_code() {
        for (input, e164) in [
            ("+1 (0)202 555 0143", "+12025550143"),
            ("+44 (0)20 7946 0958", "+442079460958"),
            ("+353 (0)1 234 5678", "+35312345678"),
            ("0033 (0)6 12 34 56 78", "+33612345678"),
            ("+33 6 12 (0)3 45 67 8", "+336120345678"),
            ("+1 202 (0)555 0143", "+120205550143"),
            ("+3536 (0)12 345 67", "+353601234567"),
            ("+7 12 (0)3 456 78 90", "+7120345678 90"),
        ] {
            let e164 = e164.replace(' ', "");
            assert_eq!(parse_phone(input, &none()).unwrap(), e164, "{input}");
        }
    }

    #[test]
    fn digit_count_boundaries() {
        // 15 digits: the E.164 maximum.
        assert_eq!(
            parse_phone("+123456789012345", &none()).unwrap(),
            "+123456789012345"
        );
        let issue = assert_reason("+1234567890123456", &none(), "too many digits");
        assert_eq!(issue.params["max"], json!(15));
        assert_eq!(issue.params["actual"], json!(16));
        let issue = assert_reason("0033 6 12 34 56 78 90 12 3", &none(), "too many digits");
        assert_eq!(issue.params["actual"], json!(16));
        // 8 digits: the minimum.
        assert_eq!(parse_phone("+3541234567", &none()).unwrap(), "+3541234567");
        assert_eq!(parse_phone("+12345678", &none()).unwrap(), "+12345678");
        let issue = assert_reason("+1234567", &none(), "too few digits");
        assert_eq!(issue.params["min"], json!(8));
        assert_eq!(issue.params["actual"], json!(7));
        assert_reason("+", &none(), "too few digits");
        assert_reason("00", &none(), "too few digits");
        assert_reason("0", &country("33"), "too few digits");
        assert_reason("06 12", &country("33"), "too few digits");
    }

    #[test]
    fn default_country_is_not_used_for_international_numbers() {
        assert_eq!(
            parse_phone("+44 20 7946 0958", &country("33")).unwrap(),
            "+442079460958"
        );
        assert_eq!(
            parse_phone("0044 20 7946 0958", &country("33")).unwrap(),
            "+442079460958"
        );
    }

    #[test]
    fn only_one_trunk_zero_is_dropped() {
        // Without a trunk prefix the digits are kept.
        assert_eq!(
            parse_phone("612345678", &country("33")).unwrap(),
            "+33612345678"
        );
        // "00" is the international prefix, not two trunk zeros.
        assert_eq!(
            parse_phone("0033612345678", &country("33")).unwrap(),
            "+33612345678"
        );
    }

    #[test]
    fn default_country_code_forms() {
        assert_eq!(
            parse_phone("0612345678", &country("+33")).unwrap(),
            "+33612345678"
        );
        for bad in ["", "0", "033", "1234", "3a", "+"] {
            assert_reason("0612345678", &country(bad), "invalid country code");
        }
    }

    #[test]
    fn missing_country_code() {
        assert_reason("06 12 34 56 78", &none(), "missing country code");
        assert_reason("(415) 555-2671", &none(), "missing country code");
    }

    #[test]
    fn country_code_starting_with_zero() {
        assert_reason("+0612345678", &none(), "invalid country code");
        assert_reason("+0033612345678", &none(), "invalid country code");
        assert_reason("000 33 6 12 34 56 78", &none(), "invalid country code");
    }

    #[test]
    fn empty() {
        assert_reason("", &none(), "empty");
        assert_reason("   ", &country("33"), "empty");
    }

    #[test]
    fn letters_and_extensions() {
        assert_reason("+33 6 12 34 56 7a", &none(), "letters are not allowed");
        assert_reason("+1 800 FLOWERS", &none(), "letters are not allowed");
        assert_reason("+1 415 555 2671 x123", &none(), "letters are not allowed");
        assert_reason(
            "+1 415 555 2671 ext. 123",
            &none(),
            "letters are not allowed",
        );
        assert_reason("phone: +33612345678", &none(), "letters are not allowed");
    }

    #[test]
    fn invalid_characters() {
        assert_reason("+33 6 12 34 56 78#", &none(), "invalid character");
        assert_reason("+33/612345678", &none(), "invalid character");
        assert_reason("+33_612345678", &none(), "invalid character");
        assert_reason("*33612345678", &none(), "invalid character");
        assert_reason("+33 6\t12 34 56 78", &none(), "invalid character");
        assert_reason("+33 ６12345678", &none(), "invalid character");
    }

    #[test]
    fn misplaced_plus() {
        assert_reason("33+612345678", &none(), "invalid character");
        assert_reason("++33612345678", &none(), "invalid character");
        assert_reason("0033 +612345678", &none(), "invalid character");
        assert_reason("(+33) 612345678", &none(), "invalid character");
    }

    #[test]
    fn parentheses() {
        assert_reason("+1 (415 555 2671", &none(), "unbalanced parentheses");
        assert_reason("+1 415) 555 2671", &none(), "unbalanced parentheses");
        assert_reason("+1 ((415)) 555 2671", &none(), "unbalanced parentheses");
        assert_reason("+1 (415) (555) 2671", &none(), "unbalanced parentheses");
        assert_reason("+1 () 415 555 2671", &none(), "unbalanced parentheses");
        assert_reason("+1 )415( 555 2671", &none(), "unbalanced parentheses");
        // Parentheses hold digits only.
        assert_reason("+1 (415 ) 555 2671", &none(), "invalid character");
        assert_reason("+1 (41-5) 555 2671", &none(), "invalid character");
        assert_reason("+1 (4a) 555 2671", &none(), "letters are not allowed");
        // A group other than "(0)" is kept.
        assert_eq!(
            parse_phone("+1(415)5552671", &none()).unwrap(),
            "+14155552671"
        );
    }
}
