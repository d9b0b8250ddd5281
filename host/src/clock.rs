//! Today's date from the system clock (the kernel never reads the clock: callers pass
//! `today` in every request).

use std::time::{SystemTime, UNIX_EPOCH};

use warden_core::Date;

/// Seconds in a day.
const SECONDS_PER_DAY: u64 = 86_400;

/// Today's date in UTC according to the system clock, or `None` when the clock is set
/// before 1970 or beyond year 9999.
pub fn today_utc() -> Option<Date> {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
    Date::from_days_since_epoch(i64::try_from(secs / SECONDS_PER_DAY).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_after_2025() {
        let today = today_utc().map(|d| d.to_string()).unwrap_or_default();
        assert!(today.as_str() > "2025-01-01", "{today}");
    }
}
