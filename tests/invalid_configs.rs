//! Named invalid configurations, each asserting that synth fails with a message
//! naming the stack, the resource, the field and the fix. Errors are collected,
//! so every case also checks that unrelated valid parts raise nothing.

mod common;

use infrasynth::platform::{self, Access, ApiAccess, Platform};
use infrasynth::{Attributes, Cloud, Diagnostics, Environment, Stack};

struct Case {
    name: &'static str,
    cloud: Cloud,
    env: Environment,
    mutate: fn(&mut Platform),
    /// Substrings the diagnostics must contain (resource, field, fix).
    expect: &'static [&'static str],
    /// Sets the mutated field to a value (the diagnostic's `fix`), for the
    /// check that every suggested value passes; `None` where no one value
    /// fixes the mistake (see [`NO_VALUE_FIX`]).
    apply: Option<Apply>,
}

/// Sets one platform field to a suggested value.
type Apply = fn(&mut Platform, &str);

fn run(case: &Case) -> Diagnostics {
    let mut p = common::stacks::mlops::platform(case.env);
    (case.mutate)(&mut p);
    common::synth_errors(&p, case.cloud, case.name)
}

/// A named mutation of the reference platform, what its error must say, and
/// how to apply the suggested value.
type NeutralCase = (
    &'static str,
    fn(&mut Platform),
    &'static [&'static str],
    Option<Apply>,
);

fn parse<T: std::str::FromStr>(value: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    value.parse().expect("a fix of the field's type")
}

/// Cloud-neutral cases run on every cloud.
fn neutral_cases() -> Vec<NeutralCase> {
    vec![
        (
            "network cidr not a cidr",
            |p| p.network.cidr = "10.0.0/16".into(),
            &["field `cidr`", "is not an IPv4 CIDR", "a.b.c.d/len"],
            Some(|p, v| p.network.cidr = v.into()),
        ),
        (
            "network cidr too small",
            |p| p.network.cidr = "10.0.0.0/24".into(),
            &["field `cidr`", "too small", "/20 or larger", "10.0.0.0/16"],
            Some(|p, v| p.network.cidr = v.into()),
        ),
        (
            "network cidr larger than a /16",
            |p| p.network.cidr = "10.0.0.0/8".into(),
            &["field `cidr`", "larger than a /16", "10.0.0.0/16"],
            Some(|p, v| p.network.cidr = v.into()),
        ),
        (
            "network cidr host bits",
            |p| p.network.cidr = "10.0.1.0/16".into(),
            &["field `cidr`", "host bits", "10.0.0.0/16"],
            Some(|p, v| p.network.cidr = v.into()),
        ),
        // The case: GCP blamed the control plane /28 and Azure the
        // pod range, both derived; RFC 1918 blocks are 10/8, 172.16/12 and
        // 192.168/16 (RFC 1918 section 3).
        (
            "network cidr not private",
            |p| p.network.cidr = "100.64.0.0/16".into(),
            &[
                "field `cidr`",
                "not a private (RFC 1918) range",
                "10.20.0.0/16",
            ],
            Some(|p, v| p.network.cidr = v.into()),
        ),
        (
            "zero zones",
            |p| p.network.zones = 0,
            &["field `zones`", "at least 1 zone"],
            Some(|p, v| p.network.zones = parse(v)),
        ),
        (
            "high availability in one zone",
            |p| p.network.zones = 1,
            &["field `zones`", "second zone", "2 or more zones"],
            Some(|p, v| p.network.zones = parse(v)),
        ),
        (
            "project name invalid",
            |p| p.project = "ML_Platform".into(),
            &["field `project`", "lowercase letters", "`ml-platform`"],
            Some(|p, v| p.project = v.into()),
        ),
        (
            "cluster name invalid",
            |p| p.cluster.name = "Main_Cluster".into(),
            &["resource `cluster`", "field `name`", "`main-cluster`"],
            Some(|p, v| p.cluster.name = v.into()),
        ),
        (
            "cache name invalid",
            |p| p.cache.name = "Cache_1".into(),
            &["resource `cache`", "field `name`", "`cache-1`"],
            Some(|p, v| p.cache.name = v.into()),
        ),
        (
            "database server name invalid",
            |p| p.database.name = "Main_DB".into(),
            &["resource `database`", "field `name`", "`main-db`"],
            Some(|p, v| p.database.name = v.into()),
        ),
        (
            "cache version not a version",
            |p| p.cache.version = "bogus".into(),
            &["resource `cache`", "field `version`", "major.minor"],
            Some(|p, v| p.cache.version = v.into()),
        ),
        (
            "backup retention over 35 days",
            |p| p.database.backup_retention_days = 40,
            &[
                "resource `platform`",
                "field `backup_retention_days`",
                "1 to 35 days",
            ],
            Some(|p, v| p.database.backup_retention_days = parse(v)),
        ),
        (
            "max storage below storage",
            |p| p.database.max_storage_gb = 1,
            &["field `max_storage_gb`", "at least storage_gb"],
            Some(|p, v| p.database.max_storage_gb = parse(v)),
        ),
        (
            "database storage below 20 GiB",
            |p| p.database.storage_gb = 5,
            &[
                "field `storage_gb`",
                "smallest RDS gp3 volume",
                "at least 20 GiB",
            ],
            Some(|p, v| p.database.storage_gb = parse(v)),
        ),
        (
            "database listed twice",
            |p| p.database.databases.push("mlflow".into()),
            &["field `databases`", "listed twice"],
            None,
        ),
        (
            "database name invalid",
            |p| p.database.databases.push("Bad-Name".into()),
            &[
                "field `databases`",
                "`Bad-Name`",
                "lowercase letters, digits and `_`",
                "`bad_name`",
            ],
            Some(|p, v| *p.database.databases.last_mut().unwrap() = v.into()),
        ),
        (
            "kubernetes api open to the internet",
            |p| p.cluster.api_access = ApiAccess::Restricted(vec!["0.0.0.0/0".into()]),
            &["field `api_access`", "whole internet", "ApiAccess::Private"],
            None,
        ),
        (
            "node pool name too long",
            |p| p.cluster.pools[0].name = "generalpurpose".into(),
            &[
                "field `pools.generalpurpose.name`",
                "1-12 lowercase letters",
                "`generalpurpo`",
            ],
            Some(|p, v| p.cluster.pools[0].name = v.into()),
        ),
        (
            "node pool counts unordered",
            |p| p.cluster.pools[0].min_nodes = 9,
            &[
                "field `pools.general.desired_nodes`",
                "min <= desired <= max",
            ],
            Some(|p, v| p.cluster.pools[0].desired_nodes = parse(v)),
        ),
        (
            "node pool with 0 GPUs",
            |p| p.cluster.pools[1].gpus = Some(0),
            &["field `pools.spot.gpus`", "None for a pool without GPUs"],
            Some(|p, v| p.cluster.pools[1].gpus = Some(parse(v))),
        ),
        (
            "node pool defined twice",
            |p| {
                let dup = p.cluster.pools[0].clone();
                p.cluster.pools.push(dup)
            },
            &["field `pools`", "defined twice"],
            None,
        ),
        (
            "bucket defined twice",
            |p| {
                let dup = p.buckets[0].clone();
                p.buckets.push(dup)
            },
            &["resource `mlflow-artifacts`", "defined twice"],
            None,
        ),
        (
            "bucket lifecycle of 0 days",
            |p| p.buckets[0].noncurrent_expire_days = Some(0),
            &[
                "resource `mlflow-artifacts`",
                "field `noncurrent_expire_days`",
                "at least 1 day",
            ],
            Some(|p, v| p.buckets[0].noncurrent_expire_days = Some(parse(v))),
        ),
        (
            "workload granted an unknown bucket",
            |p| p.workloads[0].buckets.push(("nope".into(), Access::Read)),
            &[
                "resource `api-server`",
                "field `buckets`",
                "use one of: mlflow-artifacts",
            ],
            Some(|p, v| p.workloads[0].buckets.last_mut().unwrap().0 = v.into()),
        ),
        (
            "workload name invalid",
            |p| {
                p.workloads[4].name = "Backup_Job".into();
                p.workloads[4].service_account = "backup".into();
            },
            &["field `workloads.Backup_Job.name`", "`backup-job`"],
            Some(|p, v| p.workloads[4].name = v.into()),
        ),
        (
            "service account name invalid",
            |p| p.workloads[0].service_account = "Api_Server".into(),
            &[
                "field `service_account`",
                "lowercase letters, digits and `-`",
            ],
            Some(|p, v| p.workloads[0].service_account = v.into()),
        ),
    ]
}

/// Every case of the table: the neutral ones on every cloud, then each
/// cloud's own.
fn table() -> Vec<Case> {
    let mut cases: Vec<Case> = Vec::new();
    for cloud in Cloud::ALL {
        for (name, mutate, expect, apply) in neutral_cases() {
            cases.push(Case {
                name,
                cloud,
                env: Environment::PRODUCTION,
                mutate,
                expect,
                apply,
            });
        }
    }
    cases.extend(cloud_cases());
    cases
}

#[test]
fn every_invalid_configuration_names_the_field_and_the_fix() {
    let cases = table();
    let mut checked = 0;
    for case in &cases {
        let diagnostics = run(case);
        let text = diagnostics.to_string();
        assert!(
            text.contains("error: stack `"),
            "case `{}` ({}): no stack named:\n{text}",
            case.name,
            case.cloud
        );
        for expected in case.expect {
            assert!(
                text.contains(expected),
                "case `{}` ({}): expected `{expected}` in:\n{text}",
                case.name,
                case.cloud
            );
        }
        checked += 1;
    }
    let distinct: std::collections::BTreeSet<&str> = cases.iter().map(|c| c.name).collect();
    println!(
        "invalid configurations: {} distinct, {checked} checked across clouds",
        distinct.len()
    );
    assert!(
        distinct.len() >= 30,
        "at least 30 named invalid configurations"
    );
}

/// Cases whose fix is not one value of one field: remove a duplicate,
/// choose what the API is open to, or which of two tags to keep.
const NO_VALUE_FIX: &[&str] = &[
    "database listed twice",
    "kubernetes api open to the internet",
    "node pool defined twice",
    "bucket defined twice",
    "GCP tags differing only in case",
    "Azure tags differing only in case",
];

/// Every hint is a value that passes: each case's error carries the value
/// its hint suggests (`Diagnostic::fix`); set the field to it and synthesize
/// again, and the synth succeeds.
#[test]
fn every_suggested_value_passes() {
    let mut applied = 0;
    for case in table() {
        let diagnostics = run(&case);
        let Some(apply) = case.apply else {
            assert!(
                NO_VALUE_FIX.contains(&case.name),
                "case `{}` ({}) has no way to apply a fix",
                case.name,
                case.cloud
            );
            continue;
        };
        let fixes: Vec<&str> = diagnostics
            .errors()
            .filter_map(|d| d.fix.as_deref())
            .collect();
        assert!(
            fixes.len() == 1,
            "case `{}` ({}): expected one suggested value, got {fixes:?} in:\n{diagnostics}",
            case.name,
            case.cloud
        );
        let mut p = common::stacks::mlops::platform(case.env);
        (case.mutate)(&mut p);
        apply(&mut p, fixes[0]);
        let (stack, _) = platform::realize_as_of(&p, case.cloud, common::SUPPORT_DATE);
        let helm = common::stacks::mlops::helm_settings(p.environment);
        if let Err(after) = infrasynth::app::finish(&p, case.cloud, &stack, &helm) {
            panic!(
                "case `{}` ({}): the suggested `{}` does not pass:\n{after}",
                case.name, case.cloud, fixes[0]
            );
        }
        applied += 1;
    }
    println!("{applied} suggested values applied, each synthesizes");
    assert!(applied >= 90, "{applied}");
}

/// Cases specific to one cloud.
fn cloud_cases() -> Vec<Case> {
    let case = |name, cloud, mutate, expect, apply| Case {
        name,
        cloud,
        env: Environment::PRODUCTION,
        mutate,
        expect,
        apply,
    };
    use Cloud::{Aws, Azure, Gcp};
    let region_aws: Option<Apply> = Some(|p, v| p.regions.aws = v.into());
    let zones: Option<Apply> = Some(|p, v| p.network.zones = parse(v));
    let pg: Option<Apply> = Some(|p, v| p.database.version = v.into());
    let redis: Option<Apply> = Some(|p, v| p.cache.version = v.into());
    let k8s: Option<Apply> = Some(|p, v| p.cluster.kubernetes_version = v.into());
    let gpus: Option<Apply> = Some(|p, v| p.cluster.pools[2].gpus = Some(parse(v)));
    vec![
        case(
            "unknown AWS region",
            Aws,
            |p| p.regions.aws = "us-east-9".into(),
            &[
                "field `region`",
                "`us-east-9` is not a known AWS region",
                "use one of: us-east-1",
            ],
            region_aws,
        ),
        case(
            "unknown GCP region",
            Gcp,
            |p| p.regions.gcp = "us-central9".into(),
            &["field `regions.gcp`", "is not a GCP region", "us-central1"],
            Some(|p, v| p.regions.gcp = v.into()),
        ),
        case(
            "unknown Azure location",
            Azure,
            |p| p.regions.azure = "westeurope2".into(),
            &["field `location`", "is not an Azure location", "westeurope"],
            Some(|p, v| p.regions.azure = v.into()),
        ),
        case(
            "more AWS zones than the region has",
            Aws,
            |p| p.network.zones = 7,
            &["field `zones`", "us-east-1 has 6", "use 1 to 6 zones"],
            zones,
        ),
        case(
            "more GCP zones than the region has",
            Gcp,
            |p| p.network.zones = 7,
            &["field `zones`", "us-central1 has 4", "at most 4 zones"],
            zones,
        ),
        case(
            "more Azure zones than a region has",
            Azure,
            |p| p.network.zones = 7,
            &["field `zones`", "at most 3", "use 1 to 3 zones"],
            zones,
        ),
        case(
            "RDS PostgreSQL version unknown",
            Aws,
            |p| p.database.version = "9".into(),
            &[
                "resource `aws_db_instance.platform`",
                "field `engine_version`",
                "`9` is not a PostgreSQL major version RDS for PostgreSQL offers",
                "use one supported on 2026-11-29: 11, 12, 13, 14, 15, 16, 17, 18",
            ],
            pg,
        ),
        case(
            "Cloud SQL PostgreSQL version unknown",
            Gcp,
            |p| p.database.version = "9".into(),
            &[
                "field `database_version`",
                "`9` is not a PostgreSQL major version Cloud SQL offers",
                "use one supported on 2026-11-29",
            ],
            pg,
        ),
        case(
            "flexible server PostgreSQL version unknown",
            Azure,
            |p| p.database.version = "9".into(),
            &[
                "field `version`",
                "`9` is not a PostgreSQL major version Azure Database for PostgreSQL offers",
                "15, 16, 17, 18",
            ],
            pg,
        ),
        // Azure's version policy: PostgreSQL 13 left standard support on
        // 2026-07-31 and flexible server has no automatic extended support.
        case(
            "flexible server PostgreSQL version past its end of support",
            Azure,
            |p| p.database.version = "13".into(),
            &[
                "field `version`",
                "`13` reached its end of support on 2026-07-31",
                "use one supported on 2026-11-29: 15, 16, 17, 18",
            ],
            pg,
        ),
        case(
            "ElastiCache Redis version unknown",
            Aws,
            |p| p.cache.version = "2.0".into(),
            &[
                "resource `aws_elasticache_replication_group.cache`",
                "field `engine_version`",
                "use 7.0 or 7.1",
            ],
            redis,
        ),
        case(
            "Memorystore Redis version unknown",
            Gcp,
            |p| p.cache.version = "2.0".into(),
            &["field `redis_version`", "not offered by Memorystore", "7.2"],
            redis,
        ),
        // Azure Managed Redis takes no version (no argument in azurerm
        // 4.55) and runs Redis 7.4: before, any string was accepted.
        case(
            "Managed Redis version it cannot stand for",
            Azure,
            |p| p.cache.version = "2.0".into(),
            &["resource `cache`", "field `version`", "runs Redis 7.4"],
            redis,
        ),
        case(
            "EKS Kubernetes version unknown",
            Aws,
            |p| p.cluster.kubernetes_version = "1.10".into(),
            &[
                "resource `aws_eks_cluster.main`",
                "field `version`",
                "`1.10` is not a Kubernetes version EKS offers",
                "1.32, 1.33, 1.34, 1.35, 1.36",
            ],
            k8s,
        ),
        // The three end-of-life cases on 2026-11-29: EKS 1.31 left
        // extended support on 2026-11-26 (EKS release calendar), GKE 1.31
        // standard support on 2026-01-16 (GKE release schedule; no longer
        // on the Regular or Stable channel), AKS 1.31 on 2025-11-01 (AKS
        // release calendar).
        case(
            "EKS Kubernetes version past its end of support",
            Aws,
            |p| p.cluster.kubernetes_version = "1.31".into(),
            &[
                "field `version`",
                "`1.31` reached its end of support on 2026-11-26",
                "use one supported on 2026-11-29",
            ],
            k8s,
        ),
        case(
            "GKE Kubernetes version past its end of support",
            Gcp,
            |p| p.cluster.kubernetes_version = "1.31".into(),
            &[
                "field `min_master_version`",
                "`1.31` reached its end of support on 2026-01-16",
                "use one supported on 2026-11-29: 1.35, 1.36",
            ],
            k8s,
        ),
        case(
            "AKS Kubernetes version past its end of support",
            Azure,
            |p| p.cluster.kubernetes_version = "1.31".into(),
            &[
                "field `kubernetes_version`",
                "`1.31` reached its end of support on 2025-11-01",
                "use one supported on 2026-11-29: 1.34, 1.35, 1.36",
            ],
            k8s,
        ),
        case(
            "GKE Kubernetes version unknown",
            Gcp,
            |p| p.cluster.kubernetes_version = "1.10".into(),
            &[
                "field `min_master_version`",
                "not a Kubernetes version GKE offers",
            ],
            k8s,
        ),
        case(
            "too many GPUs per AWS node",
            Aws,
            |p| p.cluster.pools[2].gpus = Some(9),
            &["field `pools.gpu.gpus`", "use 1-8 GPUs per node"],
            gpus,
        ),
        case(
            "too many GPUs per GKE node",
            Gcp,
            |p| p.cluster.pools[2].gpus = Some(9),
            &[
                "field `node_config.guest_accelerator.count`",
                "attach 1, 2 or 4 GPUs",
            ],
            gpus,
        ),
        case(
            "too many GPUs per AKS node",
            Azure,
            |p| p.cluster.pools[2].gpus = Some(9),
            &["field `pools.gpu.gpus`", "Standard_NC4as_T4_v3"],
            gpus,
        ),
        // GKE reserves a /24 of the pods range (the network's upper half)
        // per node up front: 58 nodes need 64 /24s, a /17 network.
        case(
            "GKE pods range too small for the pools",
            Gcp,
            |p| p.network.cidr = "10.0.0.0/20".into(),
            &[
                "field `network.cidr`",
                "pods range",
                "larger network CIDR such as 10.0.0.0/17",
            ],
            Some(|p, v| p.network.cidr = v.into()),
        ),
        case(
            "GCP tag that is no label key",
            Gcp,
            |p| {
                p.tags.insert("9lives".into(), "x".into());
            },
            &[
                "field `tags.9lives`",
                "cannot be a GCP label key",
                "start with a lowercase letter",
            ],
            Some(|p, v| {
                let value = p.tags.remove("9lives").unwrap_or_default();
                p.tags.insert(v.into(), value);
            }),
        ),
        case(
            "GCP tags differing only in case",
            Gcp,
            |p| {
                p.tags.insert("Team".into(), "Payments".into());
                p.tags.insert("team".into(), "platform".into());
            },
            &[
                "field `tags.Team`",
                "`Team=Payments` and `team=platform`",
                "one GCP label `team`",
            ],
            None,
        ),
        case(
            "Azure tags differing only in case",
            Azure,
            |p| {
                p.tags.insert("Team".into(), "Payments".into());
                p.tags.insert("team".into(), "platform".into());
            },
            &[
                "field `tags.Team`",
                "`Team=Payments` and `team=platform`",
                "case-insensitive",
            ],
            None,
        ),
        case(
            "AWS tag with the reserved prefix",
            Aws,
            |p| {
                p.tags.insert("aws:owner".into(), "x".into());
            },
            &["field `tags.aws:owner`", "reserved for AWS"],
            Some(|p, v| {
                let value = p.tags.remove("aws:owner").unwrap_or_default();
                p.tags.insert(v.into(), value);
            }),
        ),
    ]
}

#[test]
fn all_errors_of_one_synth_are_reported_together() {
    let mut p = common::stacks::mlops::platform(Environment::PRODUCTION);
    p.network.cidr = "bogus".into();
    p.database.backup_retention_days = 0;
    p.cluster.pools[0].name = "Bad Name".into();
    for cloud in Cloud::ALL {
        let diagnostics = common::synth_errors(&p, cloud, "all errors together");
        for field in [
            "field `cidr`",
            "field `backup_retention_days`",
            "pools.Bad Name.name",
        ] {
            assert!(
                diagnostics.mentions(field),
                "{cloud}: {field} missing from:\n{diagnostics}"
            );
        }
    }
}

enum Thing {}
impl infrasynth::ResourceKind for Thing {
    const TYPE: &'static str = "aws_thing";
}

#[test]
fn duplicate_logical_names_name_both_builders() {
    let mut stack = Stack::new("demo");
    stack.resource::<Thing>("main", Attributes::new());
    stack.resource::<Thing>("main", Attributes::new());
    let diagnostics = stack.synth().unwrap_err();
    assert!(
        diagnostics.mentions("`aws_thing.main` is defined twice"),
        "{diagnostics}"
    );
    assert!(diagnostics.mentions("give one of the two builders a different name"));
}

#[test]
fn a_reference_into_another_stack_is_an_error() {
    let mut network = Stack::new("network");
    let vpc = network.resource::<Thing>("vpc", Attributes::new());
    let mut app = Stack::new("app");
    app.resource::<Thing>("server", Attributes::new().set("vpc_id", vpc.id()));
    let diagnostics = app.synth().unwrap_err();
    assert!(
        diagnostics.mentions("stack `app`, resource `aws_thing.server`, field `reference`"),
        "{diagnostics}"
    );
    assert!(diagnostics.mentions("belongs to another stack"));
    assert!(diagnostics.mentions("through outputs and variables"));
}

#[test]
fn a_dependency_cycle_is_an_error_naming_the_cycle() {
    let mut stack = Stack::new("demo");
    let a = stack.resource::<Thing>("a", Attributes::new());
    let b = stack.resource::<Thing>("b", Attributes::new().set("peer", a.id()));
    stack.depends_on(&a, &b);
    let diagnostics = stack.synth().unwrap_err();
    assert!(
        diagnostics.mentions("dependency cycle: aws_thing.a -> aws_thing.b -> aws_thing.a"),
        "{diagnostics}"
    );
}

#[test]
fn an_invalid_logical_name_is_an_error() {
    let mut stack = Stack::new("demo");
    stack.resource::<Thing>("9lives", Attributes::new());
    let diagnostics = stack.synth().unwrap_err();
    assert!(
        diagnostics.mentions("`9lives` is not a valid Terraform name"),
        "{diagnostics}"
    );
}

/// Every case of the table, on every cloud it runs on, with the issue's own.
fn all_cases() -> Vec<Case> {
    let mut cases = table();
    // The issue's own cases: before, 61, 7 and 2-3 errors.
    let case = |name, cloud, mutate: fn(&mut Platform)| Case {
        name,
        cloud,
        env: Environment::PRODUCTION,
        mutate,
        expect: &[],
        apply: None,
    };
    cases.push(case("Azure location with a space", Cloud::Azure, |p| {
        p.regions.azure = "West Europe".into()
    }));
    for cloud in Cloud::ALL {
        cases.push(case("database name with a space", cloud, |p| {
            p.database.databases.push("order items".into())
        }));
    }
    cases
}

/// One mistake, one error: each injected mistake is reported once, and no
/// derived name, resource or rule repeats it.
#[test]
fn every_injected_mistake_is_exactly_one_error() {
    let mut counts = Vec::new();
    for case in all_cases() {
        let diagnostics = run(&case);
        let errors: Vec<String> = diagnostics.errors().map(|d| d.to_string()).collect();
        counts.push((case.name, case.cloud, errors.len(), errors));
    }
    let report: Vec<String> = counts
        .iter()
        .filter(|(_, _, n, _)| *n != 1)
        .map(|(name, cloud, n, errors)| {
            format!(
                "{name} ({cloud}): {n} errors\n    {}",
                errors.join("\n    ")
            )
        })
        .collect();
    println!(
        "{} cases; not exactly one error:\n{}",
        counts.len(),
        report.join("\n")
    );
    assert!(report.is_empty(), "{}", report.join("\n"));
}
