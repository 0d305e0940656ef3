//! The reference platform realized on AWS: snapshots, provider-schema checks,
//! the output contract, environment shaping and bad input.

mod common;

use common::stacks::mlops;
use infrasynth::app::{Customize, StackDefinition};
use infrasynth::aws::{Bucket, KmsKey};
use infrasynth::platform::Platform;
use infrasynth::{Cloud, Environment};
use serde_json::Value as Json;

fn document(env: Environment) -> (String, Json) {
    let out = common::synth(Cloud::Aws, env);
    let text = out.main_tf_json().to_string();
    let json = serde_json::from_str(&text).expect("valid JSON");
    (text, json)
}

fn count(doc: &Json, resource_type: &str) -> usize {
    doc["resource"][resource_type]
        .as_object()
        .map_or(0, |m| m.len())
}

#[test]
fn snapshot_dev() {
    let (text, _) = document(Environment::DEV);
    common::assert_schema_clean(Cloud::Aws, &text, "aws dev");
    common::assert_snapshot("aws-dev", &text);
}

#[test]
fn snapshot_staging() {
    let (text, _) = document(Environment::STAGING);
    common::assert_schema_clean(Cloud::Aws, &text, "aws staging");
    common::assert_snapshot("aws-staging", &text);
}

#[test]
fn snapshot_production() {
    let (text, _) = document(Environment::PRODUCTION);
    common::assert_schema_clean(Cloud::Aws, &text, "aws production");
    common::assert_snapshot("aws-production", &text);
}

#[test]
fn synth_is_byte_identical() {
    for env in Environment::DEFAULTS {
        assert_eq!(document(env).0, document(env).0, "{env}");
    }
}

#[test]
fn every_platform_output_is_declared() {
    for env in Environment::DEFAULTS {
        let platform = mlops::platform(env);
        let (_, doc) = document(env);
        for name in common::expected_outputs(&platform) {
            assert!(
                doc["output"][&name].is_object(),
                "{env}: output `{name}` missing"
            );
        }
        assert_eq!(
            doc["output"]["workload_identity_worker"]["value"],
            "${aws_iam_role.workload_worker.arn}"
        );
    }
}

#[test]
fn no_secret_material_in_the_document() {
    for env in Environment::DEFAULTS {
        let (text, doc) = document(env);
        for needle in [
            "\"password\"",
            "\"auth_token\"",
            "\"secret_key\"",
            "\"access_key\"",
        ] {
            assert!(!text.contains(needle), "{env}: {needle} found");
        }
        let db = &doc["resource"]["aws_db_instance"]["platform"];
        assert_eq!(db["manage_master_user_password"], true);
        assert_eq!(db["publicly_accessible"], false);
        assert_eq!(db["storage_encrypted"], true);
        let rules = doc["resource"]["aws_vpc_security_group_ingress_rule"]
            .as_object()
            .expect("ingress rules");
        for (name, rule) in rules {
            assert!(rule["cidr_ipv4"].is_null(), "{env}: {name} opens a CIDR");
            assert!(rule["referenced_security_group_id"].is_string(), "{name}");
        }
    }
}

#[test]
fn production_is_highly_available_and_protected() {
    let (_, doc) = document(Environment::PRODUCTION);
    assert_eq!(count(&doc, "aws_subnet"), 9, "3 zones x 3 tiers");
    assert_eq!(count(&doc, "aws_nat_gateway"), 3);
    let db = &doc["resource"]["aws_db_instance"]["platform"];
    assert_eq!(db["multi_az"], true);
    assert_eq!(db["deletion_protection"], true);
    assert_eq!(db["instance_class"], "db.r6g.xlarge");
    assert!(db["backup_retention_period"].as_i64().unwrap() >= 7);
    assert_eq!(db["performance_insights_enabled"], true);
    assert!(db["final_snapshot_identifier"].is_string());
    let cache = &doc["resource"]["aws_elasticache_replication_group"]["cache"];
    assert_eq!(cache["multi_az_enabled"], true);
    assert_eq!(cache["automatic_failover_enabled"], true);
    assert_eq!(cache["num_cache_clusters"], 3);
    let cluster = &doc["resource"]["aws_eks_cluster"]["main"];
    assert_eq!(cluster["vpc_config"][0]["endpoint_public_access"], false);
    let general = &doc["resource"]["aws_eks_node_group"]["main_general"];
    assert!(
        general["scaling_config"][0]["desired_size"]
            .as_i64()
            .unwrap()
            >= 5
    );
    assert_eq!(general["instance_types"][0], "m6i.2xlarge");
    let gpu = &doc["resource"]["aws_eks_node_group"]["main_gpu"];
    assert_eq!(gpu["instance_types"][0], "g5.xlarge");
    assert_eq!(gpu["ami_type"], "AL2023_x86_64_NVIDIA");
}

#[test]
fn dev_is_small_and_disposable() {
    let (_, doc) = document(Environment::DEV);
    assert_eq!(count(&doc, "aws_subnet"), 6, "2 zones x 3 tiers");
    assert_eq!(count(&doc, "aws_nat_gateway"), 1);
    let db = &doc["resource"]["aws_db_instance"]["platform"];
    assert_eq!(db["skip_final_snapshot"], true);
    assert_eq!(db["multi_az"], false);
    assert_eq!(db["instance_class"], "db.t4g.medium");
    let cluster = &doc["resource"]["aws_eks_cluster"]["main"];
    assert_eq!(cluster["vpc_config"][0]["endpoint_public_access"], true);
    assert_eq!(
        cluster["vpc_config"][0]["public_access_cidrs"][0],
        "203.0.113.0/24"
    );
    assert_eq!(count(&doc, "aws_eks_node_group"), 2, "no GPU pool in dev");
}

#[test]
fn every_environment_logs_notifies_and_authenticates() {
    for env in Environment::DEFAULTS {
        let (_, doc) = document(env);
        let platform = mlops::platform(env);
        let resources = &doc["resource"];
        // Every platform bucket sends access logs to the log bucket and
        // object events to EventBridge; the log bucket too (it does not log
        // itself).
        for spec in &platform.buckets {
            let logical = spec.name.replace('-', "_");
            let logging = &resources["aws_s3_bucket_logging"][&logical];
            assert_eq!(
                logging["target_bucket"], "${aws_s3_bucket.access_logs.id}",
                "{env}: {logical}"
            );
            assert_eq!(
                resources["aws_s3_bucket_notification"][&logical]["eventbridge"], true,
                "{env}: {logical}"
            );
        }
        assert!(resources["aws_s3_bucket_logging"]["access_logs"].is_null());
        assert_eq!(
            resources["aws_s3_bucket_notification"]["access_logs"]["eventbridge"],
            true
        );
        assert_eq!(
            resources["aws_s3_bucket_server_side_encryption_configuration"]["access_logs"]["rule"]
                [0]["apply_server_side_encryption_by_default"][0]["kms_master_key_id"],
            "${aws_kms_key.logs.arn}"
        );
        // Redis: IAM-authenticated user group, no AUTH token.
        let cache = &resources["aws_elasticache_replication_group"]["cache"];
        assert_eq!(
            cache["user_group_ids"],
            serde_json::json!(["${aws_elasticache_user_group.cache.id}"])
        );
        assert_eq!(
            resources["aws_elasticache_user"]["cache"]["authentication_mode"][0]["type"],
            "iam"
        );
        // Key policies are JSON text, never policy-document data sources;
        // every role policy is one.
        for name in doc["data"]["aws_iam_policy_document"]
            .as_object()
            .unwrap()
            .keys()
        {
            assert!(!name.ends_with("_key_policy"), "{env}: {name}");
        }
        for (name, policy) in resources["aws_kms_key_policy"].as_object().unwrap() {
            assert!(
                policy["policy"]
                    .as_str()
                    .unwrap()
                    .starts_with("{\"Statement\""),
                "{env}: {name}"
            );
        }
        for (name, policy) in resources["aws_iam_role_policy"].as_object().unwrap() {
            assert!(
                policy["policy"]
                    .as_str()
                    .unwrap()
                    .starts_with("${data.aws_iam_policy_document."),
                "{env}: {name}"
            );
        }
        let outputs = doc["output"].as_object().unwrap();
        assert!(outputs.contains_key("redis_user") && outputs.contains_key("access_log_bucket"));
    }
}

fn errors_of(platform: &Platform) -> String {
    common::synth_errors(platform, Cloud::Aws, "aws").to_string()
}

#[test]
fn unknown_region_is_reported() {
    let mut platform = mlops::platform(Environment::STAGING);
    platform.regions.aws = "moon-central-1".to_string();
    let text = errors_of(&platform);
    assert!(text.contains("stack `mlops-staging`"), "{text}");
    assert!(
        text.contains(
            "resource `provider`, field `region`: `moon-central-1` is not a known AWS region"
        ),
        "{text}"
    );
    assert!(text.contains("help: use one of: us-east-1"), "{text}");
}

#[test]
fn more_zones_than_the_region_has_is_reported() {
    let mut platform = mlops::platform(Environment::PRODUCTION);
    platform.regions.aws = "us-west-1".to_string();
    let text = errors_of(&platform);
    // Checked once, on the platform's field, before the VPC is built from it.
    assert!(text.contains("resource `network`, field `zones`: 3 availability zones requested, but us-west-1 has 2"), "{text}");
    assert_eq!(text.matches("error:").count(), 1, "{text}");
}

#[test]
fn too_small_network_is_reported() {
    let mut platform = mlops::platform(Environment::DEV);
    platform.network.cidr = "10.0.0.0/26".to_string();
    let text = errors_of(&platform);
    // The platform's field, once; not again by the VPC built from it.
    assert!(text.contains("resource `network`, field `cidr`"), "{text}");
    assert!(text.contains("too small"), "{text}");
    assert_eq!(text.matches("error:").count(), 1, "{text}");
}

#[test]
fn invalid_identifiers_are_all_reported_at_once() {
    let mut platform = mlops::platform(Environment::STAGING);
    platform.project = "averyveryverylongname".to_string();
    platform.buckets[0].name = format!("artifacts-{}", "x".repeat(40));
    platform.cache.name = "redis-cache-for-everything".to_string();
    platform.database.name = "db--main".to_string();
    // The invalid project name is an input mistake: the names derived from
    // it are not checked (they would repeat it) ...
    let text = errors_of(&platform);
    assert!(text.contains("field `project`"), "{text}");
    assert!(!text.contains("field `bucket`"), "{text}");
    // ... and with the project fixed (the long bucket and cache names fit
    // once the prefix is short), the database name's own mistake is reported.
    platform.project = "ml".to_string();
    let renamed = platform.buckets[0].name.clone();
    for workload in &mut platform.workloads {
        for (bucket, _) in &mut workload.buckets {
            if bucket == "mlflow-artifacts" {
                bucket.clone_from(&renamed);
            }
        }
    }
    let text = errors_of(&platform);
    assert!(
        text.contains("field `identifier`") && text.contains("not a valid RDS identifier"),
        "{text}"
    );
}

#[test]
fn highly_available_cache_without_read_replicas_gets_its_standby() {
    // `cache.high_availability` is a standby in another zone on every
    // cloud; ElastiCache's standby is a replica (Multi-AZ with automatic
    // failover needs num_cache_clusters >= 2, aws 5.100.0
    // `aws_elasticache_replication_group`), so `replicas = 0` gets one.
    let mut platform = mlops::platform(Environment::PRODUCTION);
    platform.cache.replicas = 0;
    let (stack, _) =
        infrasynth::platform::realize_as_of(&platform, Cloud::Aws, common::SUPPORT_DATE);
    let synthesized = stack.synth().unwrap_or_else(|d| panic!("{d}"));
    let doc: Json = serde_json::from_str(synthesized.main_tf_json()).unwrap();
    let group = &doc["resource"]["aws_elasticache_replication_group"]["cache"];
    assert_eq!(group["num_cache_clusters"], 2, "{group}");
    assert_eq!(group["automatic_failover_enabled"], true, "{group}");
}

#[test]
fn public_api_in_production_is_reported() {
    let mut platform = mlops::platform(Environment::PRODUCTION);
    platform.cluster.api_access =
        infrasynth::platform::ApiAccess::Restricted(vec!["198.51.100.0/24".to_string()]);
    let text = errors_of(&platform);
    assert!(
        text.contains(
            "field `public_access_cidrs`: a production cluster with a public API endpoint"
        ),
        "{text}"
    );
}

fn add_audit_bucket(ctx: &mut Customize<'_>) {
    if ctx.cloud != Cloud::Aws {
        return;
    }
    let (platform, stack) = (ctx.platform, &mut *ctx.stack);
    let key = stack.add(KmsKey::new(
        "audit",
        format!("{}-audit", platform.name_prefix()),
    ));
    let bucket = stack.add(
        Bucket::new(
            "audit",
            format!("{}-audit-logs", platform.name_prefix()),
            key.arn(),
        )
        .expire_after_days(400),
    );
    stack.output("bucket_audit", bucket.name(), "Audit log bucket");
}

#[test]
fn builders_mix_with_the_platform_layer() {
    let definition = StackDefinition::new("mlops", mlops::platform)
        .support_date(common::SUPPORT_DATE)
        .description("with an audit bucket")
        .helm(mlops::helm_settings)
        .customize(add_audit_bucket);
    let out = definition
        .synthesize(Cloud::Aws, Environment::STAGING)
        .unwrap_or_else(|d| panic!("{d}"));
    let text = out.main_tf_json();
    common::assert_schema_clean(Cloud::Aws, text, "aws staging + audit");
    let doc: Json = serde_json::from_str(text).unwrap();
    assert_eq!(
        doc["resource"]["aws_s3_bucket"]["audit"]["bucket"],
        "mlops-staging-audit-logs"
    );
    assert!(doc["output"]["bucket_audit"].is_object());
}

#[test]
fn more_gpus_than_an_instance_has_is_reported() {
    let mut platform = mlops::platform(Environment::STAGING);
    let gpu = platform
        .cluster
        .pools
        .iter_mut()
        .find(|p| p.gpus.is_some())
        .expect("a GPU pool");
    gpu.gpus = Some(16);
    let text = errors_of(&platform);
    assert!(
        text.contains("resource `main`, field `pools.gpu.gpus`: 16 GPUs per node"),
        "{text}"
    );
    assert!(text.contains("use 1-8 GPUs per node"), "{text}");
}

/// A development-tier environment is thrown away whole: `terraform destroy`
/// may delete its buckets with their objects (the access-log bucket receives
/// logs until its sources are gone, so it is never empty). Staging and
/// production keep `force_destroy = false`, and the `no-force-destroy`
/// policy refuses it in production.
#[test]
fn only_development_buckets_may_be_destroyed_with_their_objects() {
    for env in Environment::DEFAULTS {
        let (_, doc) = document(env);
        let buckets = doc["resource"]["aws_s3_bucket"].as_object().unwrap();
        assert!(buckets.contains_key("access_logs"));
        for (name, bucket) in buckets {
            assert_eq!(
                bucket["force_destroy"],
                Json::Bool(env.is_development()),
                "{env}: aws_s3_bucket.{name}"
            );
        }
    }
    let forced = StackDefinition::new("mlops", mlops::platform)
        .helm(mlops::helm_settings)
        .customize(|ctx| {
            if let Some(aws) = ctx.realized.aws() {
                ctx.stack
                    .set_raw(&aws.buckets["models"].bucket, "force_destroy", true);
            }
        });
    let errors = forced
        .synthesize(Cloud::Aws, Environment::PRODUCTION)
        .unwrap_err()
        .to_string();
    assert!(errors.contains("no-force-destroy"), "{errors}");
    assert!(forced.synthesize(Cloud::Aws, Environment::STAGING).is_ok());
}
