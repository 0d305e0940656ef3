//! Named invalid configurations, each asserting that synth fails with a message
//! naming the stack, the resource, the field and the fix. Errors are collected,
//! so every case also checks that unrelated valid parts raise nothing.

mod common;

use infrasynth::platform::{Access, ApiAccess, Platform};
use infrasynth::{Attributes, Cloud, Diagnostics, Environment, Stack};

struct Case {
    name: &'static str,
    cloud: Cloud,
    env: Environment,
    mutate: fn(&mut Platform),
    /// Substrings the diagnostics must contain (resource, field, fix).
    expect: &'static [&'static str],
}

fn run(case: &Case) -> Diagnostics {
    let mut p = common::stacks::mlops::platform(case.env);
    (case.mutate)(&mut p);
    common::synth_errors(&p, case.cloud, case.name)
}

/// A named mutation of the reference platform and what its error must say.
type NeutralCase = (&'static str, fn(&mut Platform), &'static [&'static str]);

/// Cloud-neutral cases run on every cloud.
fn neutral_cases() -> Vec<NeutralCase> {
    vec![
        (
            "network cidr not a cidr",
            |p| p.network.cidr = "10.0.0/16".into(),
            &["field `cidr`", "is not an IPv4 CIDR", "a.b.c.d/len"],
        ),
        (
            "network cidr too small",
            |p| p.network.cidr = "10.0.0.0/24".into(),
            &["field `cidr`", "too small", "/20 or larger"],
        ),
        (
            "network cidr host bits",
            |p| p.network.cidr = "10.0.1.0/16".into(),
            &["field `cidr`", "host bits", "10.0.0.0/16"],
        ),
        (
            "zero zones",
            |p| p.network.zones = 0,
            &["field `zones`", "at least 1 zone"],
        ),
        (
            "project name invalid",
            |p| p.project = "ML_Platform".into(),
            &["field `project`", "lowercase letters"],
        ),
        (
            "backup retention over 35 days",
            |p| p.database.backup_retention_days = 40,
            &[
                "resource `platform`",
                "field `backup_retention_days`",
                "1 to 35 days",
            ],
        ),
        (
            "max storage below storage",
            |p| p.database.max_storage_gb = 1,
            &["field `max_storage_gb`", "at least storage_gb"],
        ),
        (
            "database listed twice",
            |p| p.database.databases.push("mlflow".into()),
            &["field `databases`", "listed twice"],
        ),
        (
            "database name invalid",
            |p| p.database.databases.push("Bad-Name".into()),
            &[
                "field `databases`",
                "`Bad-Name`",
                "lowercase letters, digits and `_`",
            ],
        ),
        (
            "kubernetes api open to the internet",
            |p| p.cluster.api_access = ApiAccess::Restricted(vec!["0.0.0.0/0".into()]),
            &["field `api_access`", "whole internet", "ApiAccess::Private"],
        ),
        (
            "node pool name too long",
            |p| p.cluster.pools[0].name = "generalpurpose".into(),
            &[
                "field `pools.generalpurpose.name`",
                "1-12 lowercase letters",
            ],
        ),
        (
            "node pool counts unordered",
            |p| p.cluster.pools[0].min_nodes = 9,
            &[
                "field `pools.general.desired_nodes`",
                "min <= desired <= max",
            ],
        ),
        (
            "node pool defined twice",
            |p| {
                let dup = p.cluster.pools[0].clone();
                p.cluster.pools.push(dup)
            },
            &["field `pools`", "defined twice"],
        ),
        (
            "bucket defined twice",
            |p| {
                let dup = p.buckets[0].clone();
                p.buckets.push(dup)
            },
            &["resource `mlflow-artifacts`", "defined twice"],
        ),
        (
            "workload granted an unknown bucket",
            |p| p.workloads[0].buckets.push(("nope".into(), Access::Read)),
            &[
                "resource `api-server`",
                "field `buckets`",
                "use one of: mlflow-artifacts",
            ],
        ),
        (
            "service account name invalid",
            |p| p.workloads[0].service_account = "Api_Server".into(),
            &[
                "field `service_account`",
                "lowercase letters, digits and `-`",
            ],
        ),
    ]
}

#[test]
fn every_invalid_configuration_names_the_field_and_the_fix() {
    let mut cases: Vec<Case> = Vec::new();
    for cloud in Cloud::ALL {
        for (name, mutate, expect) in neutral_cases() {
            cases.push(Case {
                name,
                cloud,
                env: Environment::PRODUCTION,
                mutate,
                expect,
            });
        }
    }
    cases.extend(cloud_cases());
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

/// Cases specific to one cloud.
fn cloud_cases() -> Vec<Case> {
    let case = |name, cloud, mutate, expect| Case {
        name,
        cloud,
        env: Environment::PRODUCTION,
        mutate,
        expect,
    };
    use Cloud::{Aws, Azure, Gcp};
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
        ),
        case(
            "unknown GCP region",
            Gcp,
            |p| p.regions.gcp = "us-central9".into(),
            &["field `regions.gcp`", "is not a GCP region", "us-central1"],
        ),
        case(
            "unknown Azure location",
            Azure,
            |p| p.regions.azure = "westeurope2".into(),
            &["field `location`", "is not an Azure location", "westeurope"],
        ),
        case(
            "more AWS zones than the region has",
            Aws,
            |p| p.network.zones = 7,
            &["field `zones`", "us-east-1 has 6", "use 1 to 6 zones"],
        ),
        case(
            "more GCP zones than the region has",
            Gcp,
            |p| p.network.zones = 7,
            &["field `zones`", "us-central1 has 4", "at most 4 zones"],
        ),
        case(
            "more Azure zones than a region has",
            Azure,
            |p| p.network.zones = 7,
            &["field `zones`", "at most 3", "use 1 to 3 zones"],
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
        ),
        case(
            "Memorystore Redis version unknown",
            Gcp,
            |p| p.cache.version = "2.0".into(),
            &["field `redis_version`", "not offered by Memorystore", "7.2"],
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
        ),
        case(
            "GKE Kubernetes version unknown",
            Gcp,
            |p| p.cluster.kubernetes_version = "1.10".into(),
            &[
                "field `min_master_version`",
                "not a Kubernetes version GKE offers",
            ],
        ),
        case(
            "too many GPUs per AWS node",
            Aws,
            |p| p.cluster.pools[2].gpus = Some(9),
            &["field `pools.gpu.gpus`", "use 1-8 GPUs per node"],
        ),
        case(
            "too many GPUs per GKE node",
            Gcp,
            |p| p.cluster.pools[2].gpus = Some(9),
            &[
                "field `node_config.guest_accelerator.count`",
                "attach 1, 2 or 4 GPUs",
            ],
        ),
        case(
            "too many GPUs per AKS node",
            Azure,
            |p| p.cluster.pools[2].gpus = Some(9),
            &["field `pools.gpu.gpus`", "Standard_NC4as_T4_v3"],
        ),
        case(
            "GKE pods range too small for the pools",
            Gcp,
            |p| p.network.cidr = "10.0.0.0/20".into(),
            &[
                "field `pools.max_nodes`",
                "pods range",
                "larger network CIDR",
            ],
        ),
        case(
            "production Redis without replicas",
            Aws,
            |p| p.cache.replicas = 0,
            &[
                "field `replicas`",
                "needs at least one replica",
                "set replicas to 1 or more",
            ],
        ),
        case(
            "RDS storage below the gp3 minimum",
            Aws,
            |p| p.database.storage_gb = 5,
            &["field `allocated_storage`", "use 20-65536 GiB"],
        ),
        case(
            "Cloud SQL disk below the minimum",
            Gcp,
            |p| p.database.storage_gb = 5,
            &["field `settings.disk_size`", "at least 10 GiB"],
        ),
        case(
            "GCP service account id too long",
            Gcp,
            |p| p.project = "abcdefghijklmnopqrst".into(),
            &[
                "field `account_id`",
                "not a valid service account id",
                "6-30 lowercase letters",
            ],
        ),
        case(
            "AKS service range overlaps the network",
            Azure,
            |p| p.network.cidr = "172.16.0.0/16".into(),
            &[
                "field `reserved.service_cidr`",
                "overlaps the network's address space",
            ],
        ),
        case(
            "GKE control plane range not private",
            Gcp,
            |p| p.network.cidr = "100.64.0.0/16".into(),
            &[
                "field `private_cluster_config.master_ipv4_cidr_block`",
                "RFC 1918",
            ],
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
    let mut cases: Vec<Case> = Vec::new();
    for cloud in Cloud::ALL {
        for (name, mutate, expect) in neutral_cases() {
            cases.push(Case {
                name,
                cloud,
                env: Environment::PRODUCTION,
                mutate,
                expect,
            });
        }
    }
    cases.extend(cloud_cases());
    // The issue's own cases: before, 61, 7 and 2-3 errors.
    let case = |name, cloud, mutate: fn(&mut Platform)| Case {
        name,
        cloud,
        env: Environment::PRODUCTION,
        mutate,
        expect: &[],
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

/// Cases whose derived errors are not yet skipped: the GCP service-account
/// id is derived from the project and workload names, and each resource
/// built from it reports it (derived names are to be fitted with a stable
/// hash suffix instead; see issue 13).
const NOT_YET_ONE_ERROR: &[&str] = &["GCP service account id too long"];

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
        .filter(|(name, _, n, _)| *n != 1 && !NOT_YET_ONE_ERROR.contains(name))
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
