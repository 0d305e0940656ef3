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
    let renamed = std::mem::replace(&mut platform.buckets[0].name, "google-models".to_string());
    for workload in &mut platform.workloads {
        for (bucket, _) in &mut workload.buckets {
            if *bucket == renamed {
                *bucket = "google-models".to_string();
            }
        }
    }
    platform.cluster.api_access = ApiAccess::Restricted(vec!["203.0.113.0/24".to_string()]);
    let (stack, _) = realize(&platform, Cloud::Gcp);
    let diagnostics = stack.diagnostics().to_string();
    println!("{diagnostics}");
    for expected in [
        "resource `platform`, field `regions.gcp`",
        "`us-central` is not a GCP region",
        "resource `network`, field `zones`: 5 zones requested but us-central1 has 4",
    ] {
        assert!(
            diagnostics.contains(expected),
            "missing `{expected}` in:\n{diagnostics}"
        );
    }
    // What the builders check (the Redis version, a bucket name) is judged
    // once the input they build from is valid, in the next run.
    let mut fixed = platform.clone();
    fixed.regions.gcp = "us-central1".to_string();
    fixed.network.zones = 3;
    let (next, _) = realize(&fixed, Cloud::Gcp);
    let next = next.diagnostics().to_string();
    for expected in [
        "field `redis_version`",
        "google_storage_bucket.google_models`, field `name`",
        "contains `google`",
    ] {
        assert!(next.contains(expected), "missing `{expected}` in:\n{next}");
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
    // The fix is the user's `network.cidr`: 58 nodes need 64 /24s of pods,
    // the upper half of a /17.
    assert!(
        diagnostics.contains("field `network.cidr`"),
        "{diagnostics}"
    );
    assert!(
        diagnostics.contains("larger network CIDR such as 10.30.0.0/17"),
        "{diagnostics}"
    );
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

fn document(env: Environment) -> serde_json::Value {
    serde_json::from_str(common::synth(Cloud::Gcp, env).main_tf_json()).unwrap()
}

fn depends_on(block: &serde_json::Value) -> Vec<&str> {
    block["depends_on"]
        .as_array()
        .map(|deps| deps.iter().filter_map(|d| d.as_str()).collect())
        .unwrap_or_default()
}

/// Issue 15, GCP production: every CMEK grant names an agent that exists and
/// waits for its API.
///
/// - Cloud Storage's agent is created lazily; the provider's
///   `google_storage_project_service_account` data source calls the storage
///   API that creates it, and its docs say to grant its `member` rather than
///   the interpolated e-mail (terraform-provider-google v6.50.0,
///   `website/docs/d/storage_project_service_account.html.markdown`).
/// - The Cloud SQL agent is not created by enabling the API (provider docs of
///   `google_sql_database_instance.encryption_key_name`: "a special kind of
///   service account must be created ... manually"); Memorystore's and GKE's
///   come with their APIs but not necessarily before the grant. Service
///   Usage's `generateServiceIdentity` creates them on demand; its resource,
///   `google_project_service_identity`, is google-beta only at 6.50.0
///   (terraform-provider-google v6.50.0 has an empty stub of
///   `resource_project_service_identity.go` and the docs page says "use the
///   google-beta provider"; terraform-provider-google-beta v6.50.0 has the
///   schema: `service` required, `email`/`member` computed).
/// - Each grant depends on the agent's block and on the API's
///   `google_project_service`, so nothing races API enablement.
#[test]
fn cmek_grants_wait_for_their_service_agent_and_api() {
    let doc = document(Environment::PRODUCTION);
    let grants = &doc["resource"]["google_kms_crypto_key_iam_member"];
    let identities = &doc["resource"]["google_project_service_identity"];
    for (purpose, api, domain) in [
        (
            "sql",
            "sqladmin",
            "gcp-sa-cloud-sql.iam.gserviceaccount.com",
        ),
        ("redis", "redis", "cloud-redis.iam.gserviceaccount.com"),
        (
            "gke",
            "container",
            "container-engine-robot.iam.gserviceaccount.com",
        ),
    ] {
        let identity = &identities[purpose];
        assert_eq!(identity["provider"], "google-beta", "{purpose}: {identity}");
        assert_eq!(identity["service"], format!("{api}.googleapis.com"));
        assert_eq!(
            depends_on(identity),
            [format!("google_project_service.{api}")]
        );
        let grant = &grants[format!("{purpose}_agent")];
        assert_eq!(
            grant["member"],
            format!("serviceAccount:service-${{var.project_number}}@{domain}")
        );
        let deps = depends_on(grant);
        for needed in [
            format!("google_project_service.{api}"),
            format!("google_project_service_identity.{purpose}"),
        ] {
            assert!(deps.contains(&needed.as_str()), "{purpose}: {deps:?}");
        }
    }
    let gcs = &doc["data"]["google_storage_project_service_account"]["storage"];
    assert_eq!(depends_on(gcs), ["google_project_service.storage"]);
    let grant = &grants["storage_agent"];
    assert_eq!(
        grant["member"],
        "${data.google_storage_project_service_account.storage.member}"
    );
    assert!(depends_on(grant).contains(&"google_project_service.storage"));
    // google-beta is pinned like google and configured with the project.
    assert_eq!(
        doc["terraform"]["required_providers"]["google-beta"]["version"],
        doc["terraform"]["required_providers"]["google"]["version"]
    );
    assert_eq!(
        doc["provider"]["google-beta"]["project"],
        "${var.project_id}"
    );
    // The schema check reads google-beta's one resource from google's file:
    // it must never be emitted for the google provider.
    for (name, block) in identities.as_object().unwrap() {
        assert_eq!(block["provider"], "google-beta", "{name}");
    }
    // Without CMEK there is no agent to make and no google-beta to install.
    let dev = document(Environment::DEV);
    assert!(dev["resource"]["google_project_service_identity"].is_null());
    assert!(dev["terraform"]["required_providers"]["google-beta"].is_null());
}

/// Issue 15: `vulnerability_mode = "VULNERABILITY_BASIC"` selects a tier
/// Google removed on 2025-07-31. The container v1 API documents
/// `SecurityPostureConfig.VulnerabilityMode.VULNERABILITY_BASIC` as
/// "Deprecated: Basic vulnerability scanning is no longer supported" and
/// `VULNERABILITY_ENTERPRISE` (advanced vulnerability insights) is
/// deprecated by the same posture-management deprecation
/// (cloud.google.com/kubernetes-engine/docs/deprecations/posture-management-deprecation),
/// so the honest setting is `VULNERABILITY_DISABLED`; the provider accepts it
/// (terraform-provider-google v6.50.0, `resource_container_cluster.go`,
/// `validation.StringInSlice` of `security_posture_config.vulnerability_mode`).
/// Configuration auditing (`mode = BASIC`) is not deprecated and stays.
#[test]
fn gke_asks_for_no_removed_vulnerability_scanning_tier() {
    for env in Environment::DEFAULTS {
        let doc = document(env);
        let posture =
            &doc["resource"]["google_container_cluster"]["main"]["security_posture_config"][0];
        assert_eq!(
            posture["vulnerability_mode"], "VULNERABILITY_DISABLED",
            "{env}"
        );
        assert_eq!(posture["mode"], "BASIC", "{env}");
    }
}

/// Issue 15: clients could not verify Memorystore's TLS. With
/// `transit_encryption_mode = SERVER_AUTHENTICATION` the server presents a
/// certificate signed by the instance's own CA, published in
/// `google_redis_instance.server_ca_certs[*].cert` (PEM), a computed list
/// the provider does not mark sensitive (terraform-provider-google v6.50.0,
/// `google/services/redis/resource_redis_instance.go`, `server_ca_certs`);
/// during a rotation it lists two CAs, so all are joined. The output is not
/// sensitive, so the GCP Helm values carry it as `config.redis.caCertificate`
/// (a placeholder filled from `terraform output`), which the charts mount as
/// `/etc/redis-tls/ca.pem`; AWS and Azure present publicly trusted
/// certificates and get no such key.
#[test]
fn memorystore_server_ca_is_an_output_the_values_use() {
    for env in Environment::DEFAULTS {
        let out = common::synth(Cloud::Gcp, env);
        let doc: serde_json::Value = serde_json::from_str(out.main_tf_json()).unwrap();
        let output = &doc["output"]["redis_ca_certificate"];
        assert_eq!(
            output["value"], "${join(\"\\n\", google_redis_instance.main.server_ca_certs[*].cert)}",
            "{env}"
        );
        assert!(
            output["sensitive"].is_null() || output["sensitive"] == false,
            "{output}"
        );
        let values =
            String::from_utf8(out.file("helm/mlops.values.yaml.hbs").unwrap().to_vec()).unwrap();
        assert!(
            values.contains(r#"caCertificate: {{output "redis_ca_certificate" type="string" key="config.redis.caCertificate"}}"#),
            "{env}: {values}"
        );
    }
    for cloud in [Cloud::Aws, Cloud::Azure] {
        let out = common::synth(cloud, Environment::PRODUCTION);
        let values =
            String::from_utf8(out.file("helm/mlops.values.yaml.hbs").unwrap().to_vec()).unwrap();
        assert!(!values.contains("caCertificate"), "{cloud}");
    }
}
