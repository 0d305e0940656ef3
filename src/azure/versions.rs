//! The support windows of the versions Azure runs for the stack: AKS
//! Kubernetes versions and Azure Database for PostgreSQL flexible server
//! major versions, as data (see [`crate::core::support`]). Refresh the tables
//! here, and only here, when Microsoft publishes new dates.

use crate::core::calendar::Date;
use crate::core::support::{Release, SupportTable};

/// AKS: "AKS Kubernetes release calendar" (AKS GA, End of life), read on
/// 2026-08-22 from the copy endoflife.date keeps of that table. Long-term
/// support (a further year for some versions) needs the Premium tier and the
/// `AKSLongTermSupport` plan, which the stack's clusters do not use, so only
/// the community-support end of life is recorded.
pub const AKS: SupportTable = SupportTable {
    product: "AKS",
    kind: "Kubernetes version",
    source: "https://learn.microsoft.com/azure/aks/supported-kubernetes-versions#aks-kubernetes-release-calendar",
    checked: Date::ymd(2026, 8, 22),
    releases: &[
        standard("1.29", Date::ymd(2024, 3, 18), Date::ymd(2025, 3, 31)),
        standard("1.30", Date::ymd(2024, 8, 5), Date::ymd(2025, 8, 22)),
        standard("1.31", Date::ymd(2024, 10, 25), Date::ymd(2025, 11, 1)),
        standard("1.32", Date::ymd(2025, 4, 6), Date::ymd(2026, 3, 31)),
        standard("1.33", Date::ymd(2025, 6, 17), Date::ymd(2026, 7, 31)),
        standard("1.34", Date::ymd(2026, 1, 4), Date::ymd(2026, 11, 30)),
        standard("1.35", Date::ymd(2026, 3, 5), Date::ymd(2027, 3, 31)),
        standard("1.36", Date::ymd(2026, 6, 30), Date::ymd(2027, 6, 30)),
    ],
};

/// Azure Database for PostgreSQL: "PostgreSQL version policy" (Azure Standard
/// Support Start Date, Azure Standard Support End Date), read on 2026-08-22
/// from the copy endoflife.date keeps of that table.
pub const AZURE_POSTGRES: SupportTable = SupportTable {
    product: "Azure Database for PostgreSQL",
    kind: "PostgreSQL major version",
    source:
        "https://learn.microsoft.com/azure/postgresql/configure-maintain/concepts-version-policy",
    checked: Date::ymd(2026, 8, 22),
    releases: &[
        standard("11", Date::ymd(2019, 7, 24), Date::ymd(2026, 7, 31)),
        standard("12", Date::ymd(2020, 9, 22), Date::ymd(2026, 7, 31)),
        standard("13", Date::ymd(2021, 5, 25), Date::ymd(2026, 7, 31)),
        standard("14", Date::ymd(2022, 6, 29), Date::ymd(2026, 11, 12)),
        standard("15", Date::ymd(2023, 5, 15), Date::ymd(2027, 11, 11)),
        standard("16", Date::ymd(2023, 10, 15), Date::ymd(2028, 11, 9)),
        standard("17", Date::ymd(2024, 9, 30), Date::ymd(2029, 11, 8)),
        standard("18", Date::ymd(2025, 9, 25), Date::ymd(2030, 11, 14)),
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
