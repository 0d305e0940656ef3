//! Calendar days (UTC), for the support windows of [`super::support`]: on
//! which day a Kubernetes or database version stops being supported, and how
//! many days a stack has left before then.
//!
//! A [`Date`] is a plain civil date: no time, no zone. The clouds publish their
//! support calendars as days in UTC, and a synth is judged on one day (see
//! `app::support_date`), so nothing finer is needed.

use std::fmt;

use super::diagnostics::InvalidValue;

/// A day of the proleptic Gregorian calendar.
///
/// ```
/// use infrasynth::core::calendar::Date;
/// let eos = Date::ymd(2027, 3, 27);
/// assert_eq!(eos.to_string(), "2027-03-27");
/// assert_eq!(Date::parse("2026-11-29").unwrap().days_until(eos), 118);
/// assert_eq!(Date::from_unix_seconds(1_795_910_400), Date::ymd(2026, 11, 29));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

impl Date {
    /// The day `year-month-day`.
    ///
    /// # Panics
    ///
    /// When the day does not exist (month 13, February 30). Meant for dates
    /// written in the source (support tables); parse user input with
    /// [`Date::parse`].
    pub const fn ymd(year: i32, month: u8, day: u8) -> Date {
        assert!(month >= 1 && month <= 12, "month out of range");
        assert!(
            day >= 1 && day <= days_in_month(year, month),
            "day out of range"
        );
        Date { year, month, day }
    }

    /// Parses `YYYY-MM-DD`.
    ///
    /// # Errors
    ///
    /// [`InvalidValue`] when `text` is not that form or names no real day.
    pub fn parse(text: &str) -> Result<Date, InvalidValue> {
        let invalid =
            || InvalidValue::new(format!("`{text}` is not a date; write it as YYYY-MM-DD"));
        let mut parts = text.trim().splitn(3, '-');
        let (Some(year), Some(month), Some(day)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        if year.len() != 4 || month.len() != 2 || day.len() != 2 {
            return Err(invalid());
        }
        let year: i32 = year.parse().map_err(|_| invalid())?;
        let month: u8 = month.parse().map_err(|_| invalid())?;
        let day: u8 = day.parse().map_err(|_| invalid())?;
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(invalid());
        }
        Ok(Date { year, month, day })
    }

    /// The UTC day holding `seconds` since 1970-01-01T00:00:00Z.
    pub fn from_unix_seconds(seconds: i64) -> Date {
        Date::from_days(seconds.div_euclid(86_400))
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(self) -> i64 {
        // Howard Hinnant's `days_from_civil`: years start in March, so the
        // leap day is the last day of a year and needs no special case.
        let year = i64::from(self.year) - i64::from(self.month <= 2);
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let month = i64::from(self.month);
        let day_of_year =
            (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    fn from_days(days: i64) -> Date {
        // Hinnant's `civil_from_days`, the inverse of `days_since_epoch`.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z - era * 146_097;
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let mp = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        Date {
            // Any i64 day count a clock produces is far inside i32 years.
            year: year as i32,
            month: month as u8,
            day: day as u8,
        }
    }

    /// Days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Date) -> i64 {
        later.days_since_epoch() - self.days_since_epoch()
    }

    /// The day `days` after `self` (before, when negative).
    pub fn add_days(self, days: i64) -> Date {
        Date::from_days(self.days_since_epoch() + days)
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month, 1-12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, 1-31.
    pub fn day(self) -> u8 {
        self.day
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

const fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

const fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_across_leap_years_and_the_epoch() {
        for days in [
            -800_000, -1, 0, 1, 59, 60, 10_956, 20_421, 20_786, 2_932_896,
        ] {
            let date = Date::from_days(days);
            assert_eq!(date.days_since_epoch(), days, "{date}");
        }
        assert_eq!(Date::from_days(0), Date::ymd(1970, 1, 1));
        assert_eq!(Date::ymd(2028, 2, 29).add_days(1), Date::ymd(2028, 3, 1));
        assert_eq!(Date::ymd(2026, 12, 31).add_days(1), Date::ymd(2027, 1, 1));
    }

    #[test]
    fn parses_only_real_days() {
        assert_eq!(Date::parse("2027-03-27"), Ok(Date::ymd(2027, 3, 27)));
        for bad in [
            "2027-3-27",
            "2027-02-29",
            "2026-13-01",
            "27-03-2027",
            "soon",
            "2027-03",
        ] {
            assert!(Date::parse(bad).is_err(), "{bad}");
        }
        assert!(Date::parse("2028-02-29").is_ok());
    }

    #[test]
    fn unix_seconds_map_to_the_utc_day() {
        assert_eq!(Date::from_unix_seconds(0), Date::ymd(1970, 1, 1));
        assert_eq!(Date::from_unix_seconds(-1), Date::ymd(1969, 12, 31));
        // 2026-11-29T23:59:59Z is still the 29th.
        assert_eq!(
            Date::from_unix_seconds(1_795_996_799),
            Date::ymd(2026, 11, 29)
        );
    }
}
