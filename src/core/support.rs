//! Support windows as data: until when a cloud supports each version of a
//! product (a Kubernetes minor on EKS, a PostgreSQL major on Cloud SQL), with
//! the page the dates come from, and the check a builder runs on the version
//! it is given.
//!
//! Each cloud keeps its tables in one module (`aws::versions`,
//! `gcp::versions`, `azure::versions`), so refreshing them (by hand today, by
//! a `lookup` command later) touches one file per cloud.
//!
//! The check is judged on the stack's support date
//! ([`Stack::support_date`]), which the app sets once per synth (see
//! `app::support_date`): a version past its end is an error naming the field
//! and the versions supported that day; one within [`WARN_DAYS`] of an end, or
//! in paid extended support, is a warning. A stack without a support date
//! (builders used on their own, unit tests) only checks that the version is
//! one the cloud has offered, so its diagnostics never change with the clock.

use super::calendar::Date;
use super::stack::Stack;

/// How many days before an end of support a version is warned about.
pub const WARN_DAYS: i64 = 90;

/// One version of a product on one cloud.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Release {
    /// The version as the builder takes it: `1.35`, `16`, `9.6`.
    pub version: &'static str,
    /// The first day the cloud offers it for new clusters or instances.
    pub available: Date,
    /// The last day of standard support is the day before this one.
    pub end_of_standard: Date,
    /// Where the cloud keeps supporting the version after standard support,
    /// for an extra charge and without the stack opting in (EKS extended
    /// support, RDS and Cloud SQL extended support): the day that ends.
    /// `None` where there is no such period, or only one the stack's
    /// resources do not use (GKE's Extended channel, AKS long-term support).
    pub end_of_extended: Option<Date>,
}

impl Release {
    /// The day the version can no longer be used at all.
    pub fn end(&self) -> Date {
        self.end_of_extended.unwrap_or(self.end_of_standard)
    }
}

/// The support calendar of one product on one cloud.
#[derive(Clone, Copy, Debug)]
pub struct SupportTable {
    /// What the versions are of, for messages: `EKS`, `Cloud SQL for PostgreSQL`.
    pub product: &'static str,
    /// What a version is called in messages: `Kubernetes version`,
    /// `PostgreSQL major version`.
    pub kind: &'static str,
    /// The page the dates come from.
    pub source: &'static str,
    /// The day the table was last compared with its source.
    pub checked: Date,
    /// Every version, oldest first.
    pub releases: &'static [Release],
}

/// Where a version stands on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// The cloud does not offer this version at all (or no longer lists it).
    Unknown,
    /// Not offered yet; offered from the day given.
    NotYetAvailable(Date),
    /// In standard support, which ends on the day given (the version may
    /// still have extended support after it).
    Standard {
        /// End of standard support.
        ends: Date,
        /// Days left until then.
        days_left: i64,
    },
    /// In extended support, billed extra; the version is gone on the day given.
    Extended {
        /// End of extended support.
        ends: Date,
        /// Days left until then.
        days_left: i64,
    },
    /// Past its last day of support: new clusters or instances are refused
    /// and existing ones are upgraded by the cloud.
    EndOfLife(Date),
}

impl SupportTable {
    /// The release named `version`.
    pub fn release(&self, version: &str) -> Option<&Release> {
        self.releases.iter().find(|r| r.version == version)
    }

    /// Where `version` stands on `day`.
    pub fn standing(&self, version: &str, day: Date) -> Standing {
        let Some(release) = self.release(version) else {
            return Standing::Unknown;
        };
        if day < release.available {
            Standing::NotYetAvailable(release.available)
        } else if day < release.end_of_standard {
            Standing::Standard {
                ends: release.end_of_standard,
                days_left: day.days_until(release.end_of_standard),
            }
        } else if day < release.end() {
            Standing::Extended {
                ends: release.end(),
                days_left: day.days_until(release.end()),
            }
        } else {
            Standing::EndOfLife(release.end())
        }
    }

    /// The versions offered on `day` (standard or extended support), oldest
    /// first.
    pub fn supported_on(&self, day: Date) -> Vec<&'static str> {
        self.releases
            .iter()
            .filter(|r| r.available <= day && day < r.end())
            .map(|r| r.version)
            .collect()
    }

    /// Checks `version` (given to `resource`'s `field`) on the stack's
    /// support date, recording an error or warning on `stack` (see the
    /// module documentation).
    pub fn check(&self, stack: &mut Stack, resource: &str, field: &str, version: &str) {
        let Some(day) = stack.support_date() else {
            if self.release(version).is_none() {
                let all: Vec<&str> = self.releases.iter().map(|r| r.version).collect();
                let newest = all.last().copied().unwrap_or_default();
                stack.error_with_fix(
                    resource,
                    field,
                    &format!("`{version}` is not a {} {} offers", self.kind, self.product),
                    &format!("use one of {} ({})", all.join(", "), self.source),
                    newest,
                );
            }
            return;
        };
        let supported = || {
            let versions = self.supported_on(day);
            if versions.is_empty() {
                format!(
                    "no version is known to be supported on {day}; see {}",
                    self.source
                )
            } else {
                format!(
                    "use one supported on {day}: {} (the newest lasts longest; {}, checked {})",
                    versions.join(", "),
                    self.source,
                    self.checked
                )
            }
        };
        // The newest supported version lasts longest: the value the hint
        // leads with, applied as is by tools.
        let newest = self.supported_on(day).last().copied();
        let mut error = |message: String| match newest {
            Some(newest) => stack.error_with_fix(resource, field, &message, &supported(), newest),
            None => stack.error(resource, field, &message, &supported()),
        };
        match self.standing(version, day) {
            Standing::Unknown => {
                error(format!("`{version}` is not a {} {} offers", self.kind, self.product))
            }
            Standing::NotYetAvailable(from) => error(format!(
                "{} {} `{version}` is not offered before {from} (today is {day})",
                self.product, self.kind
            )),
            Standing::EndOfLife(ended) => error(format!(
                "{} {} `{version}` reached its end of support on {ended} (today is {day}); {} refuses new clusters or instances on it and upgrades existing ones",
                self.product, self.kind, self.product
            )),
            Standing::Extended { ends, days_left } => {
                let standard_end = self
                    .release(version)
                    .map(|r| r.end_of_standard.to_string())
                    .unwrap_or_default();
                stack.warning(
                    resource,
                    field,
                    &format!(
                        "{} {} `{version}` left standard support on {standard_end} and is in extended support (billed extra) until {ends}, {days_left} days from {day}",
                        self.product, self.kind
                    ),
                    &supported(),
                );
            }
            Standing::Standard { ends, days_left } => {
                let extended = self.release(version).and_then(|r| r.end_of_extended);
                if days_left <= WARN_DAYS {
                    let after = match extended {
                        Some(end) => format!("then extended support, billed extra, until {end}"),
                        None => "then it is no longer offered".to_string(),
                    };
                    stack.warning(
                        resource,
                        field,
                        &format!(
                            "{} {} `{version}` leaves standard support on {ends}, {days_left} days from {day}; {after}",
                            self.product, self.kind
                        ),
                        &supported(),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: SupportTable = SupportTable {
        product: "Cloud",
        kind: "Kubernetes version",
        source: "https://example.com/calendar",
        checked: Date::ymd(2026, 8, 22),
        releases: &[
            Release {
                version: "1.1",
                available: Date::ymd(2025, 1, 1),
                end_of_standard: Date::ymd(2026, 1, 1),
                end_of_extended: Some(Date::ymd(2027, 1, 1)),
            },
            Release {
                version: "1.2",
                available: Date::ymd(2025, 6, 1),
                end_of_standard: Date::ymd(2027, 6, 1),
                end_of_extended: None,
            },
        ],
    };

    fn check_on(day: Option<Date>, version: &str) -> String {
        let mut stack = Stack::new("t");
        stack.set_support_date(day);
        TABLE.check(&mut stack, "cluster.main", "version", version);
        stack.diagnostics().to_string()
    }

    #[test]
    fn standings_follow_the_calendar() {
        let on = |y, m, d| TABLE.standing("1.1", Date::ymd(y, m, d));
        assert_eq!(
            on(2024, 12, 31),
            Standing::NotYetAvailable(Date::ymd(2025, 1, 1))
        );
        assert!(matches!(
            on(2025, 12, 31),
            Standing::Standard { days_left: 1, .. }
        ));
        assert!(matches!(
            on(2026, 1, 1),
            Standing::Extended { days_left: 365, .. }
        ));
        assert_eq!(on(2027, 1, 1), Standing::EndOfLife(Date::ymd(2027, 1, 1)));
        assert_eq!(
            TABLE.standing("1.9", Date::ymd(2026, 1, 1)),
            Standing::Unknown
        );
        assert_eq!(TABLE.supported_on(Date::ymd(2027, 1, 1)), ["1.2"]);
    }

    #[test]
    fn end_of_life_is_an_error_naming_the_field_and_what_is_supported() {
        let text = check_on(Some(Date::ymd(2027, 2, 1)), "1.1");
        assert!(text.starts_with("error:"), "{text}");
        assert!(text.contains("field `version`"), "{text}");
        assert!(
            text.contains("reached its end of support on 2027-01-01"),
            "{text}"
        );
        assert!(
            text.contains("use one supported on 2027-02-01: 1.2"),
            "{text}"
        );
    }

    #[test]
    fn ninety_days_before_an_end_or_in_extended_support_is_a_warning() {
        let near = check_on(Some(Date::ymd(2027, 3, 3)), "1.2");
        assert!(
            near.starts_with("warning:") && near.contains("90 days"),
            "{near}"
        );
        assert!(check_on(Some(Date::ymd(2027, 3, 2)), "1.2").ends_with("0 warning(s)"));
        let extended = check_on(Some(Date::ymd(2026, 2, 1)), "1.1");
        assert!(
            extended.contains("extended support (billed extra)"),
            "{extended}"
        );
    }

    #[test]
    fn without_a_support_date_only_unknown_versions_are_errors() {
        assert!(check_on(None, "1.1").starts_with("0 error(s)"));
        let text = check_on(None, "2.0");
        assert!(
            text.contains("`2.0` is not a Kubernetes version Cloud offers"),
            "{text}"
        );
        assert!(text.contains("use one of 1.1, 1.2"), "{text}");
        assert!(
            check_on(Some(Date::ymd(2024, 1, 1)), "1.2").contains("not offered before 2025-06-01")
        );
    }
}
