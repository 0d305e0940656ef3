//! The one place a synth learns what day it is: the day the versions of its
//! clusters and databases are judged on against each cloud's support calendar
//! (`core::support`, the tables in `aws::versions`, `gcp::versions`,
//! `azure::versions`).
//!
//! In order: the day a [`StackDefinition`](super::StackDefinition) fixes
//! with `support_date` (tests), else `SOURCE_DATE_EPOCH` (seconds since the
//! Unix epoch, the reproducible-builds convention: CI pins a synth to the
//! commit's date with `SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)`), else
//! the system clock, in UTC. The written files never depend on the day; only
//! the diagnostics do (a version that reached its end of support fails the
//! synth, one within 90 days of its end warns).

use std::time::{SystemTime, UNIX_EPOCH};

use crate::core::calendar::Date;
use crate::core::diagnostics::InvalidValue;

/// The environment variable that fixes the support date.
pub const SOURCE_DATE_EPOCH: &str = "SOURCE_DATE_EPOCH";

/// Today for support windows: `SOURCE_DATE_EPOCH` when set, else the system
/// clock (UTC).
///
/// # Errors
///
/// [`InvalidValue`] when `SOURCE_DATE_EPOCH` is set but is not a whole number
/// of seconds.
pub fn support_date() -> Result<Date, InvalidValue> {
    let fixed = std::env::var(SOURCE_DATE_EPOCH).ok();
    support_date_from(fixed.as_deref(), SystemTime::now())
}

/// [`support_date`] from an explicit variable value and clock reading.
fn support_date_from(fixed: Option<&str>, now: SystemTime) -> Result<Date, InvalidValue> {
    match fixed.map(str::trim).filter(|value| !value.is_empty()) {
        Some(value) => value.parse::<i64>().map(Date::from_unix_seconds).map_err(|_| {
            InvalidValue::new(format!(
                "{SOURCE_DATE_EPOCH} is `{value}`, not a number of seconds since 1970-01-01 (such as `date +%s` prints)"
            ))
        }),
        None => {
            let seconds = match now.duration_since(UNIX_EPOCH) {
                Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
                // A clock before 1970 is broken, not a reason to fail a synth.
                Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX),
            };
            Ok(Date::from_unix_seconds(seconds))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn source_date_epoch_wins_over_the_clock() {
        let clock = UNIX_EPOCH + Duration::from_secs(1_795_910_400);
        assert_eq!(support_date_from(None, clock), Ok(Date::ymd(2026, 11, 29)));
        assert_eq!(
            support_date_from(Some(""), clock),
            Ok(Date::ymd(2026, 11, 29))
        );
        assert_eq!(
            support_date_from(Some("1798761600"), clock),
            Ok(Date::ymd(2027, 1, 1))
        );
        let bad = support_date_from(Some("2027-01-01"), clock).unwrap_err();
        assert!(
            bad.message.contains("SOURCE_DATE_EPOCH is `2027-01-01`"),
            "{bad}"
        );
    }
}
