//! The reference platform realized on GCP: snapshots per environment, the
//! provider schema check, determinism, and the realization's own errors.

mod common;

use infrasynth::platform::{realize, ApiAccess};
use infrasynth::{Cloud, Environment};

const ORACLE_NOTE: &str =
    "note: the hashicorp/google provider binary is not available offline, so \
`terraform validate` cannot run for GCP; the schema check against providers/google/schema.json \
(google 6.50.0, rebuilt from @cdktf/provider-google) is the oracle";

fn check_env(env: Environment) {
    let out = common::synth(Cloud::Gcp, env);
    let text = out.main_tf_json();
    println!("{ORACLE_NOTE}");
    common::assert_schema_clean(Cloud::Gcp, text, &format!("gcp {env}"));
    common::assert_snapshot(&format!("gcp-{env}"), text);
}

#[test]
fn dev_matches_snapshot_and_schema() {
    check_env(Environment::DEV);
}

#[test]
fn staging_matches_snapshot_and_schema() {
    check_env(Environment::STAGING);
}

#[test]
fn production_matches_snapshot_and_schema() {
    check_env(Environment::PRODUCTION);
}

#[test]
fn output_is_byte_identical_across_runs() {
    for env in Environment::DEFAULTS {
        let a = common::synth(Cloud::Gcp, env);
        let b = common::synth(Cloud::Gcp, env);
        assert_eq!(a.files(), b.files(), "gcp {env} differs between runs");
    }
}

#[test]
fn every_platform_output_is_declared() {
    for env in Environment::DEFAULTS {
        let platform = common::stacks::mlops::platform(env);
        let out = common::synth(Cloud::Gcp, env);
        let doc: serde_json::Value = serde_json::from_str(out.main_tf_json()).unwrap();
        let declared = doc["output"].as_object().expect("outputs");
        for name in &common::expected_outputs(&platform) {
            assert!(
                declared.contains_key(name),
                "gcp {env}: output `{name}` missing"
            );
        }
        // No password or secret leaves through an output.
        let text = serde_json::to_string(&doc["output"]).unwrap();
        assert!(
            !text.contains("password") && !text.contains("auth_string"),
            "{text}"
        );
    }
}

#[test]
fn production_is_regional_ha_and_protected_and_dev_is_small() {
    let prod: serde_json::Value =
        serde_json::from_str(common::synth(Cloud::Gcp, Environment::PRODUCTION).main_tf_json())
            .unwrap();
    let dev: serde_json::Value =
        serde_json::from_str(common::synth(Cloud::Gcp, Environment::DEV).main_tf_json()).unwrap();
    let sql =
        |doc: &serde_json::Value| doc["resource"]["google_sql_database_instance"]["main"].clone();
    assert_eq!(sql(&prod)["settings"][0]["availability_type"], "REGIONAL");
    assert_eq!(sql(&prod)["deletion_protection"], true);
    assert_eq!(sql(&dev)["settings"][0]["availability_type"], "ZONAL");
    assert_eq!(sql(&dev)["settings"][0]["tier"], "db-g1-small");
    let gke = |doc: &serde_json::Value| doc["resource"]["google_container_cluster"]["main"].clone();
    assert_eq!(gke(&prod)["location"], "us-central1");
    assert_eq!(
        gke(&prod)["private_cluster_config"][0]["enable_private_endpoint"],
        true
    );
    assert_eq!(gke(&dev)["location"], "us-central1-a");
    assert_eq!(
        gke(&dev)["private_cluster_config"][0]["enable_private_endpoint"],
        false
    );
    assert_eq!(
        prod["resource"]["google_redis_instance"]["main"]["tier"],
        "STANDARD_HA"
    );
    assert!(
        prod["resource"]["google_kms_crypto_key"].is_object(),
        "production uses CMEK"
    );
    assert!(
        dev["resource"]["google_kms_crypto_key"].is_null(),
        "dev does not"
    );
    let pools = prod["resource"]["google_container_node_pool"]
        .as_object()
        .unwrap();
    assert_eq!(
        pools["gpu"]["node_config"][0]["guest_accelerator"][0]["type"],
        "nvidia-tesla-t4"
    );
    assert_eq!(
        pools["general"]["node_config"][0]["machine_type"],
        "n2-standard-8"
    );
}

#[test]
fn bad_platform_input_is_reported_all_at_once() {
    let mut platform = common::stacks::mlops::platform(Environment::STAGING);
    platform.regions.gcp = "us-central".to_string();
    platform.network.zones = 5;
    platform.cache.version = "9.9".to_string();
    platform.buckets[0].name = "google-models".to_string();
    platform.cluster.api_access = ApiAccess::Restricted(vec!["203.0.113.0/24".to_string()]);
    let (stack, _) = realize(&platform, Cloud::Gcp);
    let diagnostics = stack.diagnostics().to_string();
    println!("{diagnostics}");
    for expected in [
        "resource `platform`, field `regions.gcp`",
        "`us-central` is not a GCP region",
        "resource `network`, field `zones`: 5 zones requested but us-central1 has 4",
        "field `redis_version`",
        "google_storage_bucket.google_models`, field `name`",
        "contains `google`",
    ] {
        assert!(
            diagnostics.contains(expected),
            "missing `{expected}` in:\n{diagnostics}"
        );
    }
    assert!(diagnostics.contains("stack `mlops-staging`"));
    // The bad region is reported once, not again by every regional builder.
    assert_eq!(
        diagnostics.matches("is not a GCP region").count(),
        1,
        "{diagnostics}"
    );
}

#[test]
fn too_small_a_network_for_the_pools_is_an_error() {
    let mut platform = common::stacks::mlops::platform(Environment::PRODUCTION);
    platform.network.cidr = "10.30.0.0/20".to_string();
    let (stack, _) = realize(&platform, Cloud::Gcp);
    let diagnostics = stack.diagnostics().to_string();
    assert!(
        diagnostics.contains("field `pools.max_nodes`"),
        "{diagnostics}"
    );
    assert!(diagnostics.contains("larger network CIDR"), "{diagnostics}");
}

#[test]
fn production_is_written_to_out_mlops_gcp_production() {
    let out = common::synth(Cloud::Gcp, Environment::PRODUCTION);
    let root = tempfile::tempdir().unwrap();
    let dir =
        infrasynth::app::output_dir(root.path(), "mlops", Cloud::Gcp, Environment::PRODUCTION);
    infrasynth::app::write(&dir, &out).unwrap();
    let written = std::fs::read(root.path().join("mlops/gcp/production/main.tf.json")).unwrap();
    assert_eq!(written, out.main_tf_json().as_bytes());
}
