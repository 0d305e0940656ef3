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

/// AWS (hashicorp/aws 5.100.0): EKS does not move add-ons when the control
/// plane is upgraded, and each add-on version supports a range of Kubernetes
/// versions (EKS user guide, "Update an Amazon EKS add-on"). Every
/// `aws_eks_addon` takes its `addon_version` from
/// `data.aws_eks_addon_version` for the cluster's own `version`
/// (d/eks_addon_version.html.markdown: `kubernetes_version`, `most_recent`
/// false = the default version), so `cluster.kubernetes_version` is the one
/// edit; `depends_on` on the cluster makes Terraform read the default version
/// after the cluster's upgrade, then update each add-on.
#[test]
fn aws_eks_addons_take_the_default_version_of_the_clusters_kubernetes_version() {
    let doc = document(&upgraded(Environment::PRODUCTION), Cloud::Aws);
    let cluster_name = doc["resource"]["aws_eks_cluster"]
        .as_object()
        .and_then(|all| all.keys().next())
        .expect("one aws_eks_cluster")
        .clone();
    let addons = doc["resource"]["aws_eks_addon"]
        .as_object()
        .expect("aws_eks_addon");
    assert_eq!(addons.len(), 4, "{:?}", addons.keys());
    for (name, addon) in addons {
        let version = addon["addon_version"].as_str().unwrap_or_default();
        let source = version
            .strip_prefix("${data.aws_eks_addon_version.")
            .and_then(|v| v.strip_suffix(".version}"))
            .unwrap_or_else(|| panic!("{name}: addon_version {version}"));
        let data = &doc["data"]["aws_eks_addon_version"][source];
        assert_eq!(data["addon_name"], addon["addon_name"], "{name}");
        assert_eq!(
            data["kubernetes_version"],
            format!("${{aws_eks_cluster.{cluster_name}.version}}"),
            "{name}"
        );
        assert_eq!(data["most_recent"], false, "{name}");
        let after: Vec<&str> = data["depends_on"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Json::as_str)
            .collect();
        assert!(
            after.contains(&format!("aws_eks_cluster.{cluster_name}").as_str()),
            "{name}: {after:?}"
        );
    }
}

/// Azure (hashicorp/azurerm 4.55.0): a higher `version` on
/// `azurerm_postgresql_flexible_server` is an in-place major upgrade; only a
/// lower one forces a new server (postgresql_flexible_server_resource.go at
/// v4.55.0, CustomizeDiff: `ForceNew("version")` when old > new, Update sends
/// the new version in the PATCH; docs: "Downgrading `version` isn't supported
/// and will force a new PostgreSQL Flexible Server to be created"; since
/// provider PR #28559 `create_mode = "Update"` is no longer needed, as
/// TestAccPostgresqlFlexibleServer_updateVersion upgrades 15 -> 16 without
/// it). `create_mode` stays unset: Create sends it to the service, and
/// `Update` is not a mode to create a server in.
#[test]
fn azure_postgres_major_upgrade_is_in_place_without_create_mode() {
    let before = document(&mlops::platform(Environment::PRODUCTION), Cloud::Azure);
    let after = document(&upgraded(Environment::PRODUCTION), Cloud::Azure);
    let (server, server_after) = (
        only(&before, "azurerm_postgresql_flexible_server"),
        only(&after, "azurerm_postgresql_flexible_server"),
    );
    assert_eq!(server["version"], "16");
    assert_eq!(server_after["version"], "17");
    for s in [server, server_after] {
        assert!(s["create_mode"].is_null(), "{s}");
        let ignored = s["lifecycle"]["ignore_changes"]
            .as_array()
            .expect("the server ignores zone moves after a failover");
        assert!(
            !ignored.iter().any(|i| i == "version"),
            "version must not be ignored: {ignored:?}"
        );
        // A mistaken downgrade would replace the server: in production the
        // plan fails instead.
        assert_eq!(s["lifecycle"]["prevent_destroy"], true, "{s}");
    }
    // Everything but the version stays as it was: the edit is one value.
    let mut unchanged = server_after.clone();
    unchanged["version"] = server["version"].clone();
    assert_eq!(&unchanged, server);
}

/// GCP (hashicorp/google 6.50.0): a higher `redis_version` on
/// `google_redis_instance` upgrades in place (resource_redis_instance.go at
/// v6.50.0: Update calls `instances/{name}:upgrade`; CustomizeDiff forces a
/// new instance only when the version decreases, isRedisVersionDecreasing).
/// The platform's `cache.version` maps to Memorystore's newest patch line of
/// that minor.
#[test]
fn gcp_memorystore_moves_redis_forward_in_place_by_one_edit() {
    let mut before = mlops::platform(Environment::STAGING);
    before.cache.version = "7.0".into();
    let mut after = mlops::platform(Environment::STAGING);
    after.cache.version = "7.2".into();
    let (doc, doc_after) = (document(&before, Cloud::Gcp), document(&after, Cloud::Gcp));
    let (redis, redis_after) = (
        only(&doc, "google_redis_instance"),
        only(&doc_after, "google_redis_instance"),
    );
    assert_eq!(redis["redis_version"], "REDIS_7_0");
    assert_eq!(redis_after["redis_version"], "REDIS_7_2");
    assert_eq!(redis["name"], redis_after["name"], "the same instance");
}

/// Azure (hashicorp/azurerm 4.55.0): Azure Managed Redis takes no Redis
/// version (`azurerm_managed_redis` has none to set; the module `version`
/// is read-only, managed_redis.html.markdown "Attributes Reference"): Azure
/// upgrades Redis itself, so `cache.version` changes nothing on Azure.
#[test]
fn azure_managed_redis_is_upgraded_by_azure_and_takes_no_version() {
    let before = document(&mlops::platform(Environment::STAGING), Cloud::Azure);
    let mut platform = mlops::platform(Environment::STAGING);
    platform.cache.version = "7.2".into();
    let after = document(&platform, Cloud::Azure);
    let redis = only(&before, "azurerm_managed_redis");
    assert!(redis["version"].is_null(), "{redis}");
    assert!(redis["default_database"][0]["version"].is_null(), "{redis}");
    assert_eq!(redis, only(&after, "azurerm_managed_redis"));
}
