//! Calendar dates and instants, parsed from ISO 8601 text.
//!
//! Warden has no clock: `today` and `now` are always passed in by the caller, as these
//! types.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A proleptic Gregorian calendar date, years 1 to 9999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

/// Text that is not an ISO date or instant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a valid {expected}")]
pub struct DateParseError {
    input: String,
    expected: &'static str,
}

impl DateParseError {
    fn new(input: &str, expected: &'static str) -> Self {
        DateParseError {
            input: input.chars().take(40).collect(),
            expected,
        }
    }
}

fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl Date {
    /// A date from its parts, if it exists.
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        if !(1..=9999).contains(&year) || !(1..=12).contains(&month) {
            return None;
        }
        if day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// Parses `YYYY-MM-DD` exactly.
    ///
    /// # Errors
    /// When the text is not a real date in that form.
    pub fn parse(s: &str) -> Result<Date, DateParseError> {
        let err = || DateParseError::new(s, "date (expected `YYYY-MM-DD`)");
        let b = s.as_bytes();
        if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
            return Err(err());
        }
        let y = s.get(0..4).and_then(digits).ok_or_else(err)?;
        let m = s.get(5..7).and_then(digits).ok_or_else(err)?;
        let d = s.get(8..10).and_then(digits).ok_or_else(err)?;
        Date::new(y as u16, m as u8, d as u8).ok_or_else(err)
    }

    /// The year.
    pub fn year(self) -> u16 {
        self.year
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month.
    pub fn day(self) -> u8 {
        self.day
    }

    /// Whole years from `self` (a birth date) to `on`; negative years are reported as 0.
    /// Someone born on 29 February comes of age on 1 March in non-leap years.
    pub fn age_on(self, on: Date) -> u32 {
        if on <= self {
            return 0;
        }
        let mut years = u32::from(on.year - self.year);
        if (on.month, on.day) < (self.month, self.day) {
            years = years.saturating_sub(1);
        }
        years
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` days after 1970-01-01, if it is within years 1 to 9999.
    pub fn from_days_since_epoch(days: i64) -> Option<Date> {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        Date::new(u16::try_from(y).ok()?, m as u8, d as u8)
    }

    /// The date `days` days later (or earlier, when negative).
    pub fn add_days(self, days: i64) -> Option<Date> {
        Date::from_days_since_epoch(self.days_since_epoch().checked_add(days)?)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for Date {
    type Err = DateParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Date::parse(s)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Date::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// An instant, in whole seconds since 1970-01-01T00:00:00Z.
///
/// Written in JSON as RFC 3339 text (`2026-11-22T10:30:00Z`, or with an offset such as
/// `+01:00`; fractions of a second are accepted and dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The instant `secs` seconds after the epoch.
    pub fn from_unix(secs: i64) -> Self {
        Timestamp(secs)
    }

    /// Seconds since the epoch.
    pub fn unix(self) -> i64 {
        self.0
    }

    /// The instant `secs` seconds later (saturating).
    #[must_use]
    pub fn plus_seconds(self, secs: i64) -> Self {
        Timestamp(self.0.saturating_add(secs))
    }

    /// Whether the instant has an RFC 3339 form (years 1 to 9999): every timestamp a
    /// decision carries does, so that it reads back as input.
    pub fn is_rfc3339(self) -> bool {
        Date::from_days_since_epoch(self.0.div_euclid(86_400)).is_some()
    }

    /// Seconds from `earlier` to `self` (negative if `earlier` is later).
    pub fn seconds_since(self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    /// The UTC calendar date of this instant.
    pub fn date(self) -> Option<Date> {
        Date::from_days_since_epoch(self.0.div_euclid(86_400))
    }

    /// Parses RFC 3339 (`YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`).
    ///
    /// # Errors
    /// When the text is not such an instant.
    pub fn parse(s: &str) -> Result<Timestamp, DateParseError> {
        let err = || {
            DateParseError::new(
                s,
                "instant (expected RFC 3339 such as `2026-01-31T09:00:00Z`)",
            )
        };
        let date = s
            .get(0..10)
            .ok_or_else(err)
            .and_then(|d| Date::parse(d).map_err(|_| err()))?;
        let sep = s.as_bytes().get(10).copied();
        if !matches!(sep, Some(b'T') | Some(b't') | Some(b' ')) {
            return Err(err());
        }
        let time = s.get(11..19).ok_or_else(err)?;
        let tb = time.as_bytes();
        if tb.get(2) != Some(&b':') || tb.get(5) != Some(&b':') {
            return Err(err());
        }
        let h = time.get(0..2).and_then(digits).ok_or_else(err)?;
        let mi = time.get(3..5).and_then(digits).ok_or_else(err)?;
        let se = time.get(6..8).and_then(digits).ok_or_else(err)?;
        if h > 23 || mi > 59 || se > 60 {
            return Err(err());
        }
        let mut rest = s.get(19..).ok_or_else(err)?;
        if let Some(frac) = rest.strip_prefix('.') {
            let n = frac.bytes().take_while(u8::is_ascii_digit).count();
            if n == 0 || n > 9 {
                return Err(err());
            }
            rest = frac.get(n..).ok_or_else(err)?;
        }
        let offset: i64 = match rest {
            "Z" | "z" => 0,
            _ => {
                let sign = match rest.as_bytes().first() {
                    Some(b'+') => 1,
                    Some(b'-') => -1,
                    _ => return Err(err()),
                };
                if rest.len() != 6 || rest.as_bytes().get(3) != Some(&b':') {
                    return Err(err());
                }
                let oh = rest.get(1..3).and_then(digits).ok_or_else(err)?;
                let om = rest.get(4..6).and_then(digits).ok_or_else(err)?;
                if oh > 23 || om > 59 {
                    return Err(err());
                }
                sign * (i64::from(oh) * 3600 + i64::from(om) * 60)
            }
        };
        let secs = date.days_since_epoch() * 86_400
            + i64::from(h) * 3600
            + i64::from(mi) * 60
            + i64::from(se.min(59))
            - offset;
        Ok(Timestamp(secs))
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        match Date::from_days_since_epoch(days) {
            Some(d) => write!(
                f,
                "{d}T{:02}:{:02}:{:02}Z",
                secs / 3600,
                (secs % 3600) / 60,
                secs % 60
            ),
            None => write!(f, "@{}", self.0),
        }
    }
}

impl FromStr for Timestamp {
    type Err = DateParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(s)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Timestamp::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl PartialOrd<Date> for Timestamp {
    fn partial_cmp(&self, other: &Date) -> Option<Ordering> {
        Some(self.0.cmp(&(other.days_since_epoch() * 86_400)))
    }
}

impl PartialEq<Date> for Timestamp {
    fn eq(&self, other: &Date) -> bool {
        self.0 == other.days_since_epoch() * 86_400
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_real_dates_only() {
        assert_eq!(Date::parse("2024-02-29").unwrap().to_string(), "2024-02-29");
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "24-01-01",
            "2024-1-01",
            "",
            "2024-01-01x",
            "２０２４-01-01",
            "0000-01-01",
        ] {
            assert!(Date::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn age_counts_whole_years_and_leap_birthdays() {
        let born = Date::parse("2008-02-29").unwrap();
        assert_eq!(born.age_on(Date::parse("2026-02-28").unwrap()), 17);
        assert_eq!(born.age_on(Date::parse("2026-03-01").unwrap()), 18);
        let b = Date::parse("1990-05-15").unwrap();
        assert_eq!(b.age_on(Date::parse("2026-05-14").unwrap()), 35);
        assert_eq!(b.age_on(Date::parse("2026-05-15").unwrap()), 36);
        assert_eq!(b.age_on(Date::parse("1980-01-01").unwrap()), 0);
    }

    #[test]
    fn epoch_days_round_trip() {
        for s in [
            "1970-01-01",
            "2000-02-29",
            "1899-12-31",
            "2026-11-22",
            "0001-01-01",
            "9999-12-31",
        ] {
            let d = Date::parse(s).unwrap();
            assert_eq!(Date::from_days_since_epoch(d.days_since_epoch()), Some(d));
        }
        assert_eq!(Date::parse("1970-01-02").unwrap().days_since_epoch(), 1);
    }

    #[test]
    fn timestamps_parse_offsets_and_fractions() {
        let a = Timestamp::parse("2026-11-22T10:30:00Z").unwrap();
        let b = Timestamp::parse("2026-11-22T11:30:00.123+01:00").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "2026-11-22T10:30:00Z");
        assert_eq!(a.date().unwrap().to_string(), "2026-11-22");
        for bad in [
            "2026-11-22",
            "2026-11-22T25:00:00Z",
            "2026-11-22T10:30:00",
            "2026-11-22T10:30:00+1:00",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad}");
        }
    }
}
