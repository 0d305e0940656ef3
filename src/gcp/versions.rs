//! The support windows of the versions Google runs for the stack: GKE
//! Kubernetes versions and Cloud SQL for PostgreSQL major versions, as data
//! (see [`crate::core::support`]). Refresh the tables here, and only here,
//! when Google publishes new dates.

use crate::core::calendar::Date;
use crate::core::support::{Release, SupportTable};

/// GKE: "GKE release schedule" (Regular channel availability, End of standard
/// support), read on 2026-08-22 from the copy endoflife.date keeps of that
/// table; Google calls its future dates best-effort estimates.
///
/// A version is offered on a release channel only until its end of standard
/// support. The Extended channel keeps a version longer (up to 24 months in
/// all), but the stack's clusters use the Regular and Stable channels, so no
/// extended end is recorded. The Stable channel gets a minor version some
/// months after the Regular one: the availability here is the Regular one.
pub const GKE: SupportTable = SupportTable {
    product: "GKE",
    kind: "Kubernetes version",
    source: "https://cloud.google.com/kubernetes-engine/docs/release-schedule",
    checked: Date::ymd(2026, 8, 22),
    releases: &[
        standard("1.29", Date::ymd(2024, 1, 26), Date::ymd(2025, 4, 12)),
        standard("1.30", Date::ymd(2024, 7, 31), Date::ymd(2025, 9, 30)),
        standard("1.31", Date::ymd(2024, 10, 25), Date::ymd(2026, 1, 16)),
        standard("1.32", Date::ymd(2025, 2, 11), Date::ymd(2026, 4, 11)),
        standard("1.33", Date::ymd(2025, 6, 3), Date::ymd(2026, 8, 3)),
        standard("1.34", Date::ymd(2025, 9, 30), Date::ymd(2026, 10, 1)),
        standard("1.35", Date::ymd(2026, 2, 11), Date::ymd(2027, 4, 11)),
        standard("1.36", Date::ymd(2026, 6, 9), Date::ymd(2027, 8, 9)),
    ],
};

/// Cloud SQL for PostgreSQL: "Database versions and version policies"
/// (Regular support start date, Extended support start date, Deprecation
/// date), read from a copy of that page last updated 2025-08-19. Cloud SQL
/// enrolls instances of a version past regular support in extended support
/// automatically and bills it; the deprecation date ends it.
pub const CLOUD_SQL_POSTGRES: SupportTable = SupportTable {
    product: "Cloud SQL",
    kind: "PostgreSQL major version",
    source: "https://cloud.google.com/sql/docs/postgres/db-versions",
    checked: Date::ymd(2025, 8, 19),
    releases: &[
        extended(
            "9.6",
            Date::ymd(2018, 4, 1),
            Date::ymd(2025, 2, 1),
            Date::ymd(2028, 2, 1),
        ),
        extended(
            "10",
            Date::ymd(2020, 3, 27),
            Date::ymd(2025, 2, 1),
            Date::ymd(2028, 2, 1),
        ),
        extended(
            "11",
            Date::ymd(2019, 9, 27),
            Date::ymd(2025, 2, 1),
            Date::ymd(2028, 2, 1),
        ),
        extended(
            "12",
            Date::ymd(2020, 5, 21),
            Date::ymd(2025, 2, 1),
            Date::ymd(2028, 2, 1),
        ),
        extended(
            "13",
            Date::ymd(2020, 11, 5),
            Date::ymd(2026, 2, 1),
            Date::ymd(2029, 2, 1),
        ),
        extended(
            "14",
            Date::ymd(2021, 11, 11),
            Date::ymd(2027, 2, 1),
            Date::ymd(2030, 2, 1),
        ),
        extended(
            "15",
            Date::ymd(2023, 5, 24),
            Date::ymd(2028, 2, 1),
            Date::ymd(2031, 2, 1),
        ),
        extended(
            "16",
            Date::ymd(2024, 6, 7),
            Date::ymd(2029, 2, 1),
            Date::ymd(2032, 2, 1),
        ),
        extended(
            "17",
            Date::ymd(2024, 10, 22),
            Date::ymd(2030, 2, 1),
            Date::ymd(2033, 2, 1),
        ),
    ],
};

const fn standard(version: &'static str, available: Date, end: Date) -> Release {
    Release {
        version,
        available,
        end_of_standard: end,
        end_of_extended: None,
    }
}

const fn extended(version: &'static str, available: Date, standard: Date, end: Date) -> Release {
    Release {
        version,
        available,
        end_of_standard: standard,
        end_of_extended: Some(end),
    }
}
