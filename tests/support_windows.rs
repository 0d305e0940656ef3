//! Kubernetes and PostgreSQL versions judged against each cloud's support
//! calendar (`aws::versions`, `gcp::versions`, `azure::versions`) on the
//! synth's support date, which comes from one place (`app::support_date`:
//! the definition's fixed day, else `SOURCE_DATE_EPOCH`, else the clock).
//!
//! Dates are the published ones: the EKS Kubernetes release calendar, the GKE
//! release schedule and the AKS Kubernetes release calendar (each table's
//! `source` names the page).

mod common;

use infrasynth::app::StackDefinition;
use infrasynth::aws::versions::{EKS, RDS_POSTGRES};
use infrasynth::azure::versions::{AKS, AZURE_POSTGRES};
use infrasynth::core::calendar::Date;
use infrasynth::core::support::{Standing, SupportTable, WARN_DAYS};
use infrasynth::gcp::versions::{CLOUD_SQL_POSTGRES, GKE};
use infrasynth::platform::Platform;
use infrasynth::{Cloud, Environment};

const CLOUDS: [Cloud; 3] = [Cloud::Aws, Cloud::Gcp, Cloud::Azure];

fn kubernetes(cloud: Cloud) -> &'static SupportTable {
    match cloud {
        Cloud::Aws => &EKS,
        Cloud::Gcp => &GKE,
        Cloud::Azure => &AKS,
    }
}

fn postgres(cloud: Cloud) -> &'static SupportTable {
    match cloud {
        Cloud::Aws => &RDS_POSTGRES,
        Cloud::Gcp => &CLOUD_SQL_POSTGRES,
        Cloud::Azure => &AZURE_POSTGRES,
    }
}

/// More than 90 days of standard support left on `day`.
fn comfortably_supported(table: &SupportTable, version: &str, day: Date) -> bool {
    matches!(table.standing(version, day), Standing::Standard { days_left, .. } if days_left > WARN_DAYS)
}

/// The reference stack (`stacks/mlops.rs`) and `Platform::new` run
/// Kubernetes 1.35 and PostgreSQL 16: on 2026-11-29 every cloud supports both
/// with more than 90 days of standard support left (EKS 1.35 until
/// 2027-03-27, GKE until 2027-04-11, AKS until 2027-03-31).
#[test]
fn the_reference_versions_have_more_than_90_days_left_on_every_cloud() {
    let day = common::SUPPORT_DATE;
    let reference = common::stacks::mlops::platform(Environment::PRODUCTION);
    let defaults = Platform::new("shop", Environment::PRODUCTION);
    for platform in [&reference, &defaults] {
        for cloud in CLOUDS {
            let k8s = &platform.cluster.kubernetes_version;
            assert!(
                comfortably_supported(kubernetes(cloud), k8s, day),
                "{cloud}: Kubernetes {k8s} on {day}: {:?}",
                kubernetes(cloud).standing(k8s, day)
            );
            let pg = &platform.database.version;
            assert!(
                comfortably_supported(postgres(cloud), pg, day),
                "{cloud}: PostgreSQL {pg} on {day}: {:?}",
                postgres(cloud).standing(pg, day)
            );
        }
    }
    assert_eq!(reference.cluster.kubernetes_version, "1.35");
    assert_eq!(defaults.cluster.kubernetes_version, "1.35");
}

/// 1.35 is the newest minor that qualifies and that GKE's Stable channel
/// (production) offers: 1.36 reached GKE's Regular channel only on
/// 2026-06-09, and Stable follows Regular by months. No newer minor than
/// 1.36 is offered anywhere yet.
#[test]
fn versions_supported_everywhere_on_the_support_date() {
    let day = common::SUPPORT_DATE;
    let everywhere: Vec<&str> = EKS
        .supported_on(day)
        .into_iter()
        .filter(|v| {
            CLOUDS
                .iter()
                .all(|c| comfortably_supported(kubernetes(*c), v, day))
        })
        .collect();
    assert_eq!(everywhere, ["1.35", "1.36"]);
}

/// Every environment of the reference stack synthesizes without a version
/// diagnostic on the support date, on every cloud.
#[test]
fn the_reference_stack_has_no_version_diagnostics_on_the_support_date() {
    for cloud in CLOUDS {
        for env in Environment::DEFAULTS {
            let out = common::synth(cloud, env);
            let warnings: Vec<String> = out.warnings().iter().map(ToString::to_string).collect();
            assert!(
                !warnings.iter().any(|w| w.contains("support")),
                "{cloud} {env}: {warnings:?}"
            );
        }
    }
}

/// The same stack fails once a window closes: on 2027-04-11 GKE's standard
/// support for 1.35 is over (GKE release schedule), on 2027-03-31 AKS's
/// (AKS release calendar); EKS moves 1.35 into billed extended support on
/// 2027-03-27, a warning until 2028-03-27 (EKS release calendar).
#[test]
fn a_closed_window_fails_the_synth_and_an_extended_one_warns() {
    let on = |day: Date| common::definition().support_date(day);
    let gke = on(Date::ymd(2027, 4, 11))
        .synthesize(Cloud::Gcp, Environment::PRODUCTION)
        .unwrap_err()
        .to_string();
    assert!(
        gke.contains("field `min_master_version`")
            && gke
                .contains("GKE Kubernetes version `1.35` reached its end of support on 2027-04-11")
            && gke.contains("use one supported on 2027-04-11: 1.36"),
        "{gke}"
    );
    let aks = on(Date::ymd(2027, 3, 31))
        .synthesize(Cloud::Azure, Environment::DEV)
        .unwrap_err()
        .to_string();
    assert!(
        aks.contains("field `kubernetes_version`") && aks.contains("end of support on 2027-03-31"),
        "{aks}"
    );
    let eks = on(Date::ymd(2027, 3, 27))
        .synthesize(Cloud::Aws, Environment::DEV)
        .expect("extended support still synthesizes");
    let warnings: Vec<String> = eks.warnings().iter().map(ToString::to_string).collect();
    assert!(
        warnings.iter().any(|w| w.contains("field `version`")
            && w.contains("extended support (billed extra) until 2028-03-27")),
        "{warnings:?}"
    );
}

/// Within 90 days of an end, a warning with the day and the days left:
/// AKS 1.35 ends 2027-03-31, so on 2027-01-01 it has 89 days.
#[test]
fn ninety_days_before_the_end_is_a_warning() {
    let out = common::definition()
        .support_date(Date::ymd(2027, 1, 1))
        .synthesize(Cloud::Azure, Environment::DEV)
        .expect("a warning does not fail the synth");
    let warnings: Vec<String> = out.warnings().iter().map(ToString::to_string).collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("field `kubernetes_version`")
                && w.contains("leaves standard support on 2027-03-31, 89 days from 2027-01-01")),
        "{warnings:?}"
    );
}

/// Without a fixed day the app reads `SOURCE_DATE_EPOCH`; the command line
/// fails on a day the reference version is past its end and names the
/// variable when it is not a number.
#[test]
fn the_command_line_reads_source_date_epoch() {
    let root = tempfile::tempdir().unwrap();
    let out_dir = root.path().to_str().unwrap();
    let run = |epoch: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_infrasynth"))
            .env(infrasynth::app::SOURCE_DATE_EPOCH, epoch)
            .args(["synth", "gcp", "dev", "--out", out_dir])
            .output()
            .expect("run infrasynth")
    };
    assert!(run(common::SUPPORT_EPOCH).status.success());
    // 2027-05-01T00:00:00Z: GKE 1.35 left standard support on 2027-04-11.
    let late = run("1809129600");
    let text = String::from_utf8_lossy(&late.stderr);
    assert!(!late.status.success(), "{text}");
    assert!(text.contains("end of support on 2027-04-11"), "{text}");
    let bad = run("next tuesday");
    let text = String::from_utf8_lossy(&bad.stderr);
    assert!(
        !bad.status.success() && text.contains("SOURCE_DATE_EPOCH"),
        "{text}"
    );
}

/// A definition that fixes no day is judged on the clock or the variable;
/// one that fixes a day ignores both.
#[test]
fn a_fixed_day_on_the_definition_wins() {
    let old = StackDefinition::new("old", |env| {
        let mut p = Platform::new("old", env);
        p.cluster.kubernetes_version = "1.31".into();
        p
    });
    let before_its_end = old.clone().support_date(Date::ymd(2025, 10, 1));
    assert!(before_its_end
        .synthesize(Cloud::Azure, Environment::DEV)
        .is_ok());
    let after = old.support_date(Date::ymd(2025, 11, 1));
    let text = after
        .synthesize(Cloud::Azure, Environment::DEV)
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("AKS Kubernetes version `1.31` reached its end of support on 2025-11-01"),
        "{text}"
    );
}
