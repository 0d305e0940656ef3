//! The support windows of the versions AWS runs for the stack: EKS Kubernetes
//! versions and RDS for PostgreSQL major versions, as data (see
//! [`crate::core::support`]). Refresh the tables here, and only here, when AWS
//! publishes new dates.
//!
//! Both services have extended support that is automatic and billed extra:
//! EKS keeps a version 12 months past standard support unless the cluster's
//! upgrade policy says `STANDARD` (this builder leaves the default,
//! `EXTENDED`); RDS enrolls instances of a major version past standard
//! support in RDS Extended Support. Both periods count as supported here, with
//! a warning about the cost.

use crate::core::calendar::Date;
use crate::core::support::{Release, SupportTable};

const fn release(
    version: &'static str,
    available: Date,
    standard: Date,
    extended: Date,
) -> Release {
    Release {
        version,
        available,
        end_of_standard: standard,
        end_of_extended: Some(extended),
    }
}

/// EKS: "Amazon EKS Kubernetes release calendar" (columns Amazon EKS release,
/// End of standard support, End of extended support), read on 2026-08-22
/// from the copy endoflife.date keeps of that table. EKS bills extended
/// support from the first moment of the end-of-standard date (UTC) and
/// refuses new clusters from the end-of-extended date.
pub const EKS: SupportTable = SupportTable {
    product: "EKS",
    kind: "Kubernetes version",
    source: "https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html#kubernetes-release-calendar",
    checked: Date::ymd(2026, 8, 22),
    releases: &[
        release("1.28", Date::ymd(2023, 9, 26), Date::ymd(2024, 11, 26), Date::ymd(2025, 11, 26)),
        release("1.29", Date::ymd(2024, 1, 23), Date::ymd(2025, 3, 23), Date::ymd(2026, 3, 23)),
        release("1.30", Date::ymd(2024, 5, 23), Date::ymd(2025, 7, 23), Date::ymd(2026, 7, 23)),
        release("1.31", Date::ymd(2024, 9, 26), Date::ymd(2025, 11, 26), Date::ymd(2026, 11, 26)),
        release("1.32", Date::ymd(2025, 1, 23), Date::ymd(2026, 3, 23), Date::ymd(2027, 3, 23)),
        release("1.33", Date::ymd(2025, 5, 29), Date::ymd(2026, 7, 29), Date::ymd(2027, 7, 29)),
        release("1.34", Date::ymd(2025, 10, 2), Date::ymd(2026, 12, 2), Date::ymd(2027, 12, 2)),
        release("1.35", Date::ymd(2026, 1, 27), Date::ymd(2027, 3, 27), Date::ymd(2028, 3, 27)),
        release("1.36", Date::ymd(2026, 6, 2), Date::ymd(2027, 8, 2), Date::ymd(2028, 8, 2)),
    ],
};

/// RDS for PostgreSQL: "Amazon RDS for PostgreSQL release calendar" (RDS
/// release, RDS end of standard support date, RDS end of Extended Support
/// date), read on 2026-08-22 from the copy endoflife.date keeps of that
/// table. The published end dates are treated as the first day out of each
/// period (at most one day early).
pub const RDS_POSTGRES: SupportTable = SupportTable {
    product: "RDS for PostgreSQL",
    kind: "PostgreSQL major version",
    source: "https://docs.aws.amazon.com/AmazonRDS/latest/PostgreSQLReleaseNotes/postgresql-release-calendar.html",
    checked: Date::ymd(2026, 8, 22),
    releases: &[
        release("11", Date::ymd(2019, 3, 13), Date::ymd(2024, 2, 29), Date::ymd(2027, 3, 31)),
        release("12", Date::ymd(2020, 3, 31), Date::ymd(2025, 2, 28), Date::ymd(2028, 2, 29)),
        release("13", Date::ymd(2021, 2, 24), Date::ymd(2026, 2, 28), Date::ymd(2029, 2, 28)),
        release("14", Date::ymd(2022, 2, 3), Date::ymd(2027, 2, 28), Date::ymd(2030, 2, 28)),
        release("15", Date::ymd(2023, 2, 27), Date::ymd(2028, 2, 29), Date::ymd(2031, 2, 28)),
        release("16", Date::ymd(2023, 11, 17), Date::ymd(2029, 2, 28), Date::ymd(2032, 2, 29)),
        release("17", Date::ymd(2024, 11, 14), Date::ymd(2030, 2, 28), Date::ymd(2033, 2, 28)),
        release("18", Date::ymd(2025, 11, 14), Date::ymd(2031, 2, 28), Date::ymd(2034, 2, 28)),
    ],
};
