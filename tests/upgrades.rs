//! Upgrades over time (issue 11, item 5): every version the platform takes
//! moves forward by editing one value of the spec and re-applying. Each test
//! reads the synthesized document of the reference platform and names the
//! provider fact it relies on and where it is stated.

mod common;

use common::stacks::mlops;
use infrasynth::helm::HelmSettings;
use infrasynth::platform::Platform;
use infrasynth::{Cloud, Environment};
use serde_json::Value as Json;

fn document(platform: &Platform, cloud: Cloud) -> Json {
    let (stack, _) = infrasynth::platform::realize(platform, cloud);
    let helm = HelmSettings::new()
        .with_image_registry("ghcr.io/shop")
        .with_release("1.0.0")
        .with_acme_contact("platform@shop.dev");
    let out = infrasynth::app::finish(platform, cloud, &stack, &helm)
        .unwrap_or_else(|diagnostics| panic!("{cloud}: {diagnostics}"));
    serde_json::from_str(out.main_tf_json()).expect("valid JSON")
}

/// The only resource of `kind` in `doc` (the reference platform has one
/// cluster and one database per cloud).
fn only<'a>(doc: &'a Json, kind: &str) -> &'a Json {
    let all = doc["resource"][kind]
        .as_object()
        .unwrap_or_else(|| panic!("no {kind}"));
    assert_eq!(all.len(), 1, "{kind}: {:?}", all.keys());
    all.values().next().unwrap_or_else(|| panic!("no {kind}"))
}

fn each<'a>(doc: &'a Json, kind: &str) -> Vec<&'a Json> {
    doc["resource"][kind]
        .as_object()
        .map(|all| all.values().collect())
        .unwrap_or_default()
}

/// One edit of `database.version` and `cluster.kubernetes_version`, as an
/// operator upgrading would make it.
fn upgraded(env: Environment) -> Platform {
    let mut p = mlops::platform(env);
    p.database.version = "17".into();
    p.cluster.kubernetes_version = "1.36".into();
    p
}

/// AWS (hashicorp/aws 5.100.0): `engine_version` is the major only, which
/// the provider keeps while RDS runs a later minor (rds/engine_version.go,
/// compareActualEngineVersion); the parameter group is named by family and
/// created before the old one is destroyed; the instance allows the major
/// upgrade (db_instance.html.markdown); node groups reference the cluster's
/// version (eks_node_group.html.markdown: without `version` there is no
/// drift detection, the group stays on its creation version).
#[test]
fn aws_moves_postgres_and_kubernetes_forward_by_one_edit() {
    for env in [Environment::DEV, Environment::PRODUCTION] {
        let before = document(&mlops::platform(env), Cloud::Aws);
        let after = document(&upgraded(env), Cloud::Aws);
        let (db, db_after) = (
            only(&before, "aws_db_instance"),
            only(&after, "aws_db_instance"),
        );
        assert_eq!(db["engine_version"], "16");
        assert_eq!(db_after["engine_version"], "17");
        assert_eq!(db["auto_minor_version_upgrade"], true);
        assert_eq!(db_after["allow_major_version_upgrade"], true);
        let (group, group_after) = (
            only(&before, "aws_db_parameter_group"),
            only(&after, "aws_db_parameter_group"),
        );
        assert_ne!(group["name"], group_after["name"], "{env}");
        assert_eq!(group_after["family"], "postgres17");
        assert_eq!(group_after["lifecycle"][0]["create_before_destroy"], true);

        let cluster = only(&after, "aws_eks_cluster");
        assert_eq!(cluster["version"], "1.36");
        let groups = each(&after, "aws_eks_node_group");
        assert!(!groups.is_empty());
        for group in groups {
            let version = group["version"].as_str().unwrap_or_default();
            assert!(
                version.starts_with("${aws_eks_cluster.") && version.ends_with(".version}"),
                "{version}"
            );
        }
        // The cache is on AWS-managed `default.redis7` (nothing to replace)
        // and `major.minor`, under which ElastiCache applies patches.
        let cache = only(&after, "aws_elasticache_replication_group");
        assert_eq!(cache["engine_version"], "7.1");
        assert_eq!(cache["parameter_group_name"], "default.redis7");
    }
}

/// GCP (hashicorp/google): Cloud SQL's `database_version` names only the
/// major (`POSTGRES_16`; Cloud SQL applies minors in maintenance), and a new
/// one is an in-place major upgrade. GKE node pools carry no `version` and
/// `management.auto_upgrade = true`: GKE upgrades nodes after the control
/// plane to follow it (container_node_pool docs: setting `version` with
/// auto_upgrade "will fight" it), so `min_master_version` is the one value.
#[test]
fn gcp_takes_majors_only_and_node_pools_auto_upgrade_after_the_control_plane() {
    let before = document(&mlops::platform(Environment::STAGING), Cloud::Gcp);
    let after = document(&upgraded(Environment::STAGING), Cloud::Gcp);
    assert_eq!(
        only(&before, "google_sql_database_instance")["database_version"],
        "POSTGRES_16"
    );
    assert_eq!(
        only(&after, "google_sql_database_instance")["database_version"],
        "POSTGRES_17"
    );
    assert_eq!(
        only(&after, "google_container_cluster")["min_master_version"],
        "1.36"
    );
    let pools = each(&after, "google_container_node_pool");
    assert!(!pools.is_empty());
    for pool in pools {
        assert!(pool["version"].is_null(), "{pool}");
        assert_eq!(pool["management"][0]["auto_upgrade"], true, "{pool}");
    }
}

/// Azure (hashicorp/azurerm): the flexible server's `version` is a major.
/// AKS pools follow the control plane: the default pool's
/// `orchestrator_version` is the cluster's version (on a change azurerm
/// upgrades the control plane, then the default pool:
/// kubernetes_cluster_resource.go, update), and user pools reference the
/// cluster's `kubernetes_version`, so Terraform updates them after it.
#[test]
fn azure_pools_follow_the_control_plane_version() {
    let after = document(&upgraded(Environment::STAGING), Cloud::Azure);
    assert_eq!(
        only(&after, "azurerm_postgresql_flexible_server")["version"],
        "17"
    );
    let cluster = only(&after, "azurerm_kubernetes_cluster");
    assert_eq!(cluster["kubernetes_version"], "1.36");
    assert_eq!(
        cluster["default_node_pool"][0]["orchestrator_version"],
        "1.36"
    );
    let pools = each(&after, "azurerm_kubernetes_cluster_node_pool");
    assert!(!pools.is_empty());
    for pool in pools {
        let version = pool["orchestrator_version"].as_str().unwrap_or_default();
        assert!(
            version.starts_with("${azurerm_kubernetes_cluster.")
                && version.ends_with(".kubernetes_version}"),
            "{version}"
        );
    }
}
