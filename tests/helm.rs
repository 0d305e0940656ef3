//! Helm values: snapshots of the reference stack for every cloud x
//! environment, the two-phase rendering from `terraform output -json`, the
//! rules the values must keep, a lint of the reference chart with the rendered
//! values, and a user's own platform: its settings, its workloads, charts
//! turned off, replaced or added through a typed hook.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::stacks::mlops::values::{MlopsChart, MlopsValues};
use infrasynth::app::StackDefinition;
use infrasynth::helm::{
    self, render, ChartId, ChartSetting, ChartValues, FromOutput, HelmContext, HelmError,
    HelmSettings, RenderError, Setting, TerraformOutputs, ValuesFile, WorkloadSettings,
};
use infrasynth::platform::{self, Access, BucketSpec, Platform, WorkloadSpec};
use infrasynth::{Cloud, Environment};

fn platform(env: Environment) -> Platform {
    common::stacks::mlops::platform(env)
}

fn settings(env: Environment) -> HelmSettings {
    common::stacks::mlops::helm_settings(env)
}

fn files(cloud: Cloud, env: Environment) -> Vec<ValuesFile> {
    helm::values(&platform(env), cloud, &settings(env))
        .unwrap_or_else(|e| panic!("{cloud} {env}: {e}"))
}

/// The reference chart's typed values, from its hook.
fn mlops_model(cloud: Cloud, env: Environment) -> MlopsValues {
    let p = platform(env);
    let settings = settings(env);
    let ctx = HelmContext::new(&p, cloud, &settings).unwrap_or_else(|e| panic!("{e}"));
    MlopsChart.values(&ctx).unwrap_or_else(|e| panic!("{e}"))
}

fn templates(files: &[ValuesFile]) -> BTreeMap<String, String> {
    files
        .iter()
        .map(|f| {
            let name = f.path().trim_start_matches("helm/").to_string();
            (name, f.yaml.text.clone())
        })
        .collect()
}

fn fixture() -> String {
    std::fs::read_to_string(common::root().join("tests/fixtures/outputs-aws-dev.json"))
        .expect("fixture")
}

fn fixture_with(edit: impl FnOnce(&mut serde_json::Value)) -> TerraformOutputs {
    let mut json: serde_json::Value = serde_json::from_str(&fixture()).unwrap();
    edit(&mut json);
    TerraformOutputs::parse(&json.to_string(), "fixture").unwrap()
}

/// Outputs for every placeholder, shaped like `terraform output -json`, with
/// values that look like the cloud's.
fn synthetic_outputs(cloud: Cloud, files: &[ValuesFile]) -> TerraformOutputs {
    let mut map = serde_json::Map::new();
    for file in files {
        for placeholder in &file.yaml.placeholders {
            let value = match placeholder.kind {
                helm::OutputType::Integer => serde_json::json!(6379),
                helm::OutputType::String if placeholder.output == "database_connection_name" => {
                    serde_json::json!(format!("mlops-{cloud}:us-central1:mlops-dev-platform"))
                }
                // Two PEMs, as during a Memorystore CA rotation: the
                // values carry a multi-line string.
                helm::OutputType::String if placeholder.output == "redis_ca_certificate" => {
                    serde_json::json!(
                        "-----BEGIN CERTIFICATE-----\nMIIBold\n-----END CERTIFICATE-----\n\n-----BEGIN CERTIFICATE-----\nMIIBnew\n-----END CERTIFICATE-----\n"
                    )
                }
                helm::OutputType::String if placeholder.output.contains("endpoint") => {
                    serde_json::json!(format!("https://{}.example.{cloud}", placeholder.output))
                }
                helm::OutputType::String => {
                    serde_json::json!(format!("{}-{cloud}", placeholder.output.replace('_', "-")))
                }
            };
            map.insert(
                placeholder.output.clone(),
                serde_json::json!({"sensitive": false, "type": "string", "value": value}),
            );
        }
    }
    TerraformOutputs::parse(&serde_json::Value::Object(map).to_string(), "synthetic").unwrap()
}

#[test]
fn snapshots_every_values_file_for_every_cloud_and_environment() {
    for cloud in Cloud::ALL {
        for env in Environment::DEFAULTS {
            for file in files(cloud, env) {
                let name = format!("helm-{cloud}-{env}-{}", file.chart);
                common::assert_snapshot(&name, &format!("# {}\n{}", file.path(), file.yaml.text));
            }
        }
    }
}

#[test]
fn values_are_deterministic() {
    for cloud in Cloud::ALL {
        assert_eq!(
            files(cloud, Environment::PRODUCTION),
            files(cloud, Environment::PRODUCTION)
        );
    }
}

/// The values files of every built-in release plus `app` (the app chart's
/// file), in the order `helm::values` returns them in `env`: the app chart
/// and, on AWS and Azure, the StorageClass (the storage key's ARN, the disk
/// encryption set's id) wait for outputs; on GCP the StorageClass does where
/// CMEK is on (the disks key, output `kms_key_disks`).
fn builtin_paths(cloud: Cloud, env: Environment, app: &str) -> Vec<String> {
    let gcp_cmek = platform::gcp::Profile::for_environment(env).cmek;
    let storage = if cloud == Cloud::Gcp && !gcp_cmek {
        "helm/platform-storage.values.yaml"
    } else {
        "helm/platform-storage.values.yaml.hbs"
    };
    let mut paths: Vec<String> = [
        "helm/cert-manager.values.yaml",
        "helm/cert-manager-issuers.values.yaml",
        "helm/envoy-gateway.values.yaml",
        "helm/kube-prometheus-stack.values.yaml",
        app,
        "helm/platform-gateway.values.yaml",
        storage,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // GKE and AKS scale their pools themselves; EKS needs the Cluster
    // Autoscaler, whose values wait for its role's ARN.
    if cloud == Cloud::Aws {
        paths.push("helm/cluster-autoscaler.values.yaml.hbs".to_string());
    }
    paths.sort_by_key(|p| {
        p.trim_start_matches("helm/")
            .split(".values")
            .next()
            .unwrap_or_default()
            .to_string()
    });
    paths
}

/// What synth writes below `helm/` besides the values files.
const INSTALL_FILES: [&str; 4] = [
    "helm/charts/platform-objects/Chart.yaml",
    "helm/charts/platform-objects/templates/objects.yaml",
    "helm/charts/platform-objects/values.yaml",
    "helm/helmfile.yaml",
];

/// Every file of a synthesized stack, sorted as `Synthesized::files` keys.
fn synthesized_paths(cloud: Cloud, env: Environment, app: &str) -> Vec<String> {
    let mut paths = builtin_paths(cloud, env, app);
    paths.extend(INSTALL_FILES.iter().map(|s| s.to_string()));
    paths.push("main.tf.json".to_string());
    paths.sort();
    paths
}

#[test]
fn only_the_app_chart_and_the_storage_class_wait_for_terraform_outputs() {
    for cloud in Cloud::ALL {
        for env in Environment::DEFAULTS {
            let paths: Vec<String> = files(cloud, env).iter().map(ValuesFile::path).collect();
            assert_eq!(
                paths,
                builtin_paths(cloud, env, "helm/mlops.values.yaml.hbs")
            );
        }
    }
}

/// The outputs Helm values may read on `cloud`: the database, Redis and
/// object store connection outputs, the bucket, identity and database names,
/// and the cloud's own extras (AWS: the Redis user; GCP: the Cloud SQL
/// connection name for the Auth Proxy, Memorystore's server CA and, where
/// CMEK is on, the disks key).
fn helm_outputs(p: &Platform, cloud: Cloud) -> Vec<String> {
    use infrasynth::platform::data_access;
    let extra: &[&str] = match cloud {
        Cloud::Aws => &[
            "redis_user",
            "kms_key_arn_storage",
            "cluster_autoscaler_role_arn",
            platform::outputs::CLUSTER_NAME,
            data_access::BOOTSTRAP_IDENTITY,
            data_access::BOOTSTRAP_ADMIN_SECRET,
        ],
        Cloud::Gcp => &[
            "database_connection_name",
            "redis_ca_certificate",
            "redis_auth_secret",
            platform::outputs::GCP_DISKS_KEY,
            data_access::BOOTSTRAP_IDENTITY,
            data_access::BOOTSTRAP_ADMIN_SECRET,
        ],
        Cloud::Azure => &[data_access::BOOTSTRAP_IDENTITY, "disk_encryption_set_id"],
    };
    // Per workload that uses data: GCP's IAM database users, Azure's object ids.
    let per_workload: Vec<String> = p
        .workloads
        .iter()
        .filter_map(|w| match cloud {
            Cloud::Gcp if w.uses_database() => Some(data_access::database_user_output(&w.name)),
            Cloud::Azure if w.uses_database() || w.uses_cache => {
                Some(data_access::principal_output(&w.name))
            }
            _ => None,
        })
        .collect();
    [
        platform::outputs::DATABASE_ADDRESS,
        platform::outputs::DATABASE_PORT,
        platform::outputs::REDIS_HOST,
        platform::outputs::REDIS_PORT,
        platform::outputs::OBJECT_STORE_ENDPOINT,
    ]
    .iter()
    .chain(extra)
    .map(|s| s.to_string())
    .chain(per_workload)
    .chain(common::named_outputs(p))
    .collect()
}

#[test]
fn placeholders_use_only_the_output_names_every_cloud_declares() {
    let p = platform(Environment::DEV);
    for cloud in Cloud::ALL {
        let allowed = helm_outputs(&p, cloud);
        for file in files(cloud, Environment::DEV) {
            for placeholder in &file.yaml.placeholders {
                assert!(
                    allowed.contains(&placeholder.output),
                    "{cloud}: {placeholder:?}"
                );
            }
        }
    }
}

#[test]
fn renders_aws_dev_from_terraform_outputs() {
    let outputs = TerraformOutputs::parse(&fixture(), "outputs-aws-dev.json").unwrap();
    let rendered = helm::render_all(&templates(&files(Cloud::Aws, Environment::DEV)), &outputs)
        .unwrap_or_else(|e| panic!("{e}"));
    let text = &rendered["mlops.values.yaml"];
    assert!(text.contains("host: \"mlops-dev-platform.c9akciq32xyz.us-east-1.rds.amazonaws.com\""));
    assert!(text.contains("port: 5432\n"));
    assert!(text.contains(
        "eks.amazonaws.com/role-arn: \"arn:aws:iam::123456789012:role/mlops-dev-api-server\""
    ));
    assert!(text.contains("BUCKET_MODELS: \"mlops-dev-models-7f3a9c\""));
    assert!(text.contains("auth: iam\n"));
    assert!(text.contains("user: \"mlops-dev-cache-app\"\n"));
    common::assert_snapshot("helm-aws-dev-mlops-rendered", text);
}

#[test]
fn no_unresolved_placeholder_remains_for_any_cloud_or_environment() {
    for cloud in Cloud::ALL {
        for env in Environment::DEFAULTS {
            let files = files(cloud, env);
            let rendered = helm::render_all(&templates(&files), &synthetic_outputs(cloud, &files))
                .unwrap_or_else(|e| panic!("{cloud} {env}: {e}"));
            // The app chart, on AWS and Azure the StorageClass (on GCP where
            // CMEK is on: the disks key), on AWS the Cluster Autoscaler.
            let gcp_cmek = platform::gcp::Profile::for_environment(env).cmek;
            let expected = match cloud {
                Cloud::Aws => 3,
                Cloud::Gcp => 1 + usize::from(gcp_cmek),
                Cloud::Azure => 2,
            };
            assert_eq!(rendered.len(), expected);
            for (name, text) in &rendered {
                assert_eq!(render::unresolved(text), None, "{cloud} {env} {name}");
                assert!(!text.contains("{{output"), "{cloud} {env} {name}");
            }
            // The static files never held one.
            for file in files.iter().filter(|f| !f.yaml.is_template()) {
                assert_eq!(render::unresolved(&file.yaml.text), None, "{}", file.path());
            }
        }
    }
}

#[test]
fn a_missing_output_names_the_output_and_the_values_key() {
    let outputs = fixture_with(|json| {
        json.as_object_mut().unwrap().remove("database_port");
    });
    let errors =
        helm::render_all(&templates(&files(Cloud::Aws, Environment::DEV)), &outputs).unwrap_err();
    assert_eq!(
        errors.0,
        vec![RenderError::Missing {
            file: "mlops.values.yaml.hbs".to_string(),
            output: "database_port".to_string(),
            key: "config.database.port".to_string(),
        }]
    );
    let message = errors.to_string();
    assert!(
        message
            .contains("values key `config.database.port` needs Terraform output `database_port`"),
        "{message}"
    );
}

#[test]
fn a_wrongly_typed_output_names_the_output_the_key_and_both_types() {
    let outputs = fixture_with(|json| {
        json["redis_port"]["value"] = serde_json::json!("6379");
        json["bucket_models"]["value"] = serde_json::json!(["a", "b"]);
    });
    let errors =
        helm::render_all(&templates(&files(Cloud::Aws, Environment::DEV)), &outputs).unwrap_err();
    let message = errors.to_string();
    assert!(
        message.contains("values key `config.redis.port` needs Terraform output `redis_port` to be an integer, but it is a string (\"6379\")"),
        "{message}"
    );
    assert!(
        message.contains("values key `components.api-server.env.BUCKET_MODELS` needs Terraform output `bucket_models` to be a string, but it is a list"),
        "{message}"
    );
}

#[test]
fn sensitive_outputs_are_never_written() {
    // The fixture's sensitive outputs are not referenced: rendering succeeds and
    // their values appear nowhere.
    let outputs = TerraformOutputs::parse(&fixture(), "fixture").unwrap();
    let rendered =
        helm::render_all(&templates(&files(Cloud::Aws, Environment::DEV)), &outputs).unwrap();
    for text in rendered.values() {
        assert!(!text.contains("MUST-NOT-LEAK"));
        // Every workload logs in with its own identity: no Secret named.
        assert!(!text.contains("existingSecret"));
    }
    // An output that is referenced but marked sensitive is refused.
    let outputs = fixture_with(|json| {
        json["database_address"]["sensitive"] = serde_json::json!(true);
    });
    let errors =
        helm::render_all(&templates(&files(Cloud::Aws, Environment::DEV)), &outputs).unwrap_err();
    assert!(
        matches!(&errors.0[0], RenderError::Sensitive { output, key, .. }
        if output == "database_address" && key == "config.database.host")
    );
    assert!(errors.to_string().contains("Kubernetes Secret"));
}

#[test]
fn production_autoscales_from_3_to_50_at_70_cpu_and_80_memory() {
    for cloud in Cloud::ALL {
        let model = mlops_model(cloud, Environment::PRODUCTION);
        for (name, component) in &model.components {
            let hpa = &component.autoscaling;
            assert!(hpa.enabled, "{name}");
            assert_eq!(
                (
                    hpa.min_replicas,
                    hpa.max_replicas,
                    hpa.target_cpu_utilization_percentage,
                    hpa.target_memory_utilization_percentage
                ),
                (3, 50, 70, 80),
                "{cloud} {name}"
            );
            assert!(component.pod_disruption_budget.enabled, "{name}");
            assert!(component.pod_disruption_budget.min_available >= 2, "{name}");
        }
    }
}

#[test]
fn latest_is_never_the_tag_outside_dev() {
    for cloud in Cloud::ALL {
        for env in [Environment::STAGING, Environment::PRODUCTION] {
            let model = mlops_model(cloud, env);
            for (name, component) in &model.components {
                assert_ne!(component.image.tag, "latest", "{cloud} {env} {name}");
                assert!(!component.image.tag.is_empty());
                assert_eq!(component.image.pull_policy, "IfNotPresent");
            }
            let latest = settings(env).with_release("latest");
            let error = helm::values(&platform(env), cloud, &latest)
                .unwrap_err()
                .to_string();
            assert!(error.contains("`latest` is for dev only"), "{error}");
        }
    }
    let model = mlops_model(Cloud::Aws, Environment::DEV);
    assert_eq!(model.components["api-server"].image.tag, "latest");
}

#[test]
fn every_pod_runs_restricted() {
    for cloud in Cloud::ALL {
        for env in Environment::DEFAULTS {
            let app = mlops_model(cloud, env);
            let pod = &app.pod_security_context;
            assert!(pod.run_as_non_root && pod.run_as_user > 0);
            assert_eq!(pod.seccomp_profile.kind, "RuntimeDefault");
            let container = &app.container_security_context;
            assert!(container.run_as_non_root);
            assert!(container.read_only_root_filesystem);
            assert!(!container.allow_privilege_escalation);
            assert!(!container.privileged);
            assert_eq!(container.capabilities.drop, ["ALL"]);
            assert_eq!(container.seccomp_profile.kind, "RuntimeDefault");
        }
    }
}

#[test]
fn workload_identity_is_wired_per_cloud() {
    let expect = [
        (Cloud::Aws, "eks.amazonaws.com/role-arn", false),
        (Cloud::Gcp, "iam.gke.io/gcp-service-account", false),
        (Cloud::Azure, "azure.workload.identity/client-id", true),
    ];
    for (cloud, annotation, label) in expect {
        let app = mlops_model(cloud, Environment::STAGING);
        for name in ["api-server", "model-server", "worker", "mlflow"] {
            let component = &app.components[name];
            let identity = &component.service_account.annotations[annotation];
            assert_eq!(
                identity.output(),
                platform::outputs::workload_identity(name)
            );
            assert_eq!(
                component
                    .pod_labels
                    .get("azure.workload.identity/use")
                    .map(String::as_str),
                label.then_some("true"),
                "{cloud} {name}"
            );
        }
        // The web UI reaches no cloud resource and gets no identity.
        assert!(app.components["web-ui"]
            .service_account
            .annotations
            .is_empty());
    }
}

#[test]
fn redis_auth_is_wired_per_cloud() {
    for env in Environment::DEFAULTS {
        for cloud in Cloud::ALL {
            let text = files(cloud, env)
                .into_iter()
                .find(|f| f.chart == "mlops")
                .unwrap()
                .yaml
                .text;
            let iam = "    auth: iam\n";
            let user =
                "    user: {{output \"redis_user\" type=\"string\" key=\"config.redis.user\"}}\n";
            // No Kubernetes Secret anywhere: each workload uses its identity.
            assert!(!text.contains("existingSecret"), "{cloud} {env}");
            match cloud {
                // ElastiCache RBAC: AUTH as the app user with an IAM token.
                Cloud::Aws => {
                    assert!(text.contains(iam) && text.contains(user), "{cloud} {env}");
                }
                // Memorystore: the AUTH string, read from Secret Manager with
                // the workload's service account (no IAM auth in
                // google_redis_instance at google 6.50.0).
                Cloud::Gcp => {
                    assert!(text.contains("    auth: secret-manager\n"), "{cloud} {env}");
                    assert!(text.contains(
                        "    secret: {{output \"redis_auth_secret\" type=\"string\" key=\"config.redis.secret\"}}\n"
                    ));
                    assert!(!text.contains("redis_user") && !text.contains(iam));
                }
                // Managed Redis, access keys off: an Entra token.
                Cloud::Azure => {
                    assert!(text.contains("    auth: entra\n"), "{cloud} {env}");
                    assert!(!text.contains("redis_user") && !text.contains(iam));
                }
            }
        }
    }
}

#[test]
fn cloud_sql_goes_through_the_auth_proxy_on_gcp_only() {
    for env in Environment::DEFAULTS {
        for cloud in Cloud::ALL {
            let app = mlops_model(cloud, env);
            let database = &app.config.database;
            let Some(proxy) = &app.cloud_sql_proxy else {
                assert_ne!(cloud, Cloud::Gcp, "{env}");
                assert_eq!(database.ssl_mode, "require");
                assert!(
                    matches!(&database.host, helm::Deferred::Output(o) if o.output() == "database_address")
                );
                continue;
            };
            assert_eq!(cloud, Cloud::Gcp, "{env}");
            assert!(proxy.enabled);
            assert_eq!(proxy.connection_name.output(), "database_connection_name");
            assert_eq!(
                proxy.image.repository,
                "gcr.io/cloud-sql-connectors/cloud-sql-proxy"
            );
            assert!(proxy.image.tag.split('.').all(|n| n.parse::<u32>().is_ok()));
            for flag in ["--private-ip", "--auto-iam-authn", "--port=5432"] {
                assert!(proxy.args.iter().any(|a| a == flag), "{flag}");
            }
            assert_eq!(proxy.port, 5432);
            // The health port must not collide with any component's port.
            assert!(app
                .components
                .values()
                .all(|c| c.service.port != proxy.health_port));
            // Only the components whose workloads declare a database.
            assert_eq!(
                proxy.components,
                ["api-server", "model-server", "worker", "mlflow"]
            );
            for name in &proxy.components {
                assert!(!app.components[name].service_account.annotations.is_empty());
            }
            assert_eq!(
                database.host,
                helm::Deferred::Known("127.0.0.1".to_string())
            );
            assert_eq!(database.port, helm::Deferred::Known(5432));
            // The proxy encrypts to the instance; it offers no TLS on loopback.
            assert_eq!(database.ssl_mode, "disable");
        }
    }
}

/// The CSI drivers of EKS (aws-ebs-csi-driver), GKE (Persistent Disk CSI)
/// and AKS (Azure Disk CSI), and each cloud's pass-through L4 load balancer
/// (AWS: an NLB from the cloud provider's service controller; GCP: the
/// backend-service-based passthrough NLB; Azure: the Standard Load
/// Balancer, no annotation needed).
#[test]
fn storage_classes_and_load_balancers_follow_the_cloud() {
    let provisioners: Vec<&str> = Cloud::ALL
        .iter()
        .map(|&c| helm::storage::provisioner(c))
        .collect();
    assert_eq!(
        provisioners,
        [
            "ebs.csi.aws.com",
            "pd.csi.storage.gke.io",
            "disk.csi.azure.com"
        ]
    );
    let aws = helm::gateway::load_balancer_annotations(Cloud::Aws);
    assert_eq!(
        aws["service.beta.kubernetes.io/aws-load-balancer-type"],
        "nlb"
    );
    let gcp = helm::gateway::load_balancer_annotations(Cloud::Gcp);
    assert_eq!(gcp["cloud.google.com/l4-rbs"], "enabled");
    assert!(helm::gateway::load_balancer_annotations(Cloud::Azure).is_empty());
}

#[test]
fn alert_rules_cover_the_platform_thresholds() {
    let rules = helm::kube_prometheus_stack::alert_rules("mlops", &["api-server".to_string()]);
    let find = |name: &str| {
        rules
            .iter()
            .find(|r| r.alert == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    assert!(
        find("HighErrorRate").expr.ends_with("> 0.01")
            && find("HighErrorRate").for_duration == "5m"
    );
    assert!(
        find("HighLatencyP95").expr.ends_with("> 0.5")
            && find("HighLatencyP95").for_duration == "3m"
    );
    assert!(find("HighCpuUsage").expr.ends_with("> 0.9"));
    assert!(find("HighMemoryUsage").expr.ends_with("> 0.95"));
    assert!(find("DatabaseConnectionPoolSaturated")
        .expr
        .ends_with("> 0.8"));
    // A target that was never scraped has no `up` series at all.
    assert!(find("ServiceDown").expr.contains(
        "up{namespace=\"mlops\"} == 0 or absent(up{namespace=\"mlops\",job=\"api-server\"})"
    ));
    find("PersistentVolumeFillingUp");
}

/// A stand-in realization declaring every output, to exercise `finish` while
/// the clouds' realizations are being written.
fn stack_declaring_outputs(
    p: &Platform,
    cloud: Cloud,
    skip: &str,
    sensitive: &str,
) -> infrasynth::Stack {
    let mut stack = platform::new_stack(p);
    let names = helm_outputs(p, cloud);
    for name in names.iter().filter(|n| n.as_str() != skip) {
        if name == sensitive {
            stack.sensitive_output(name, "x", "test");
        } else {
            stack.output(name, "x", "test");
        }
    }
    stack
}

#[test]
fn finish_attaches_the_values_files_beside_main_tf_json() {
    let p = platform(Environment::DEV);
    let out = infrasynth::app::finish(
        &p,
        Cloud::Aws,
        &stack_declaring_outputs(&p, Cloud::Aws, "", ""),
        &settings(Environment::DEV),
    )
    .unwrap_or_else(|d| panic!("{d}"));
    let names: Vec<String> = out.files().keys().cloned().collect();
    assert_eq!(
        names,
        synthesized_paths(Cloud::Aws, Environment::DEV, "helm/mlops.values.yaml.hbs")
    );
}

#[test]
fn finish_refuses_undeclared_or_sensitive_outputs() {
    let p = platform(Environment::DEV);
    let errors = infrasynth::app::finish(
        &p,
        Cloud::Gcp,
        &stack_declaring_outputs(&p, Cloud::Gcp, "redis_host", "database_connection_name"),
        &settings(Environment::DEV),
    )
    .unwrap_err()
    .to_string();
    assert!(
        errors.contains("needs Terraform output `redis_host`, which the stack does not declare"),
        "{errors}"
    );
    assert!(
        errors.contains("would receive sensitive Terraform output `database_connection_name`"),
        "{errors}"
    );
}

#[test]
fn the_values_command_renders_beside_the_synthesized_files() {
    use infrasynth::app::render_values;
    const SYNTH: &str = "infrasynth synth aws dev";
    let p = platform(Environment::DEV);
    let out = infrasynth::app::finish(
        &p,
        Cloud::Aws,
        &stack_declaring_outputs(&p, Cloud::Aws, "", ""),
        &settings(Environment::DEV),
    )
    .unwrap();
    let root = tempfile::tempdir().unwrap();
    let dir = infrasynth::app::output_dir(root.path(), "mlops", Cloud::Aws, Environment::DEV);
    infrasynth::app::write(&dir, &out).unwrap();
    let fixture = common::root().join("tests/fixtures/outputs-aws-dev.json");
    render_values(&dir.join("helm"), &fixture, "mlops/aws/dev", SYNTH).unwrap();
    let rendered = std::fs::read_to_string(dir.join("helm/mlops.values.yaml")).unwrap();
    assert_eq!(render::unresolved(&rendered), None);
    // Missing outputs: an error, and nothing is overwritten.
    let broken = root.path().join("outputs.json");
    std::fs::write(
        &broken,
        r#"{"region":{"sensitive":false,"type":"string","value":"x"}}"#,
    )
    .unwrap();
    let error = render_values(&dir.join("helm"), &broken, "mlops/aws/dev", SYNTH)
        .unwrap_err()
        .to_string();
    assert!(error.contains("nothing was written"), "{error}");
    assert_eq!(
        std::fs::read_to_string(dir.join("helm/mlops.values.yaml")).unwrap(),
        rendered
    );
    // Before synth: a clear hint.
    let gcp = infrasynth::app::output_dir(root.path(), "mlops", Cloud::Gcp, Environment::DEV);
    let error = render_values(
        &gcp.join("helm"),
        &fixture,
        "mlops/gcp/dev",
        "infrasynth synth gcp dev",
    )
    .unwrap_err()
    .to_string();
    assert!(error.contains("run `infrasynth synth gcp dev"), "{error}");
}

/// `helm lint` of stacks/mlops/chart plus a JSON-schema check, with the values
/// rendered for every cloud and environment (see scripts/helm-lint.py).
#[test]
fn the_app_chart_lints_with_the_rendered_values() {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for cloud in Cloud::ALL {
        for env in Environment::DEFAULTS {
            let files = files(cloud, env);
            let outputs = if (cloud, env) == (Cloud::Aws, Environment::DEV) {
                TerraformOutputs::parse(&fixture(), "fixture").unwrap()
            } else {
                synthetic_outputs(cloud, &files)
            };
            let rendered = helm::render_all(&templates(&files), &outputs).unwrap();
            let path = dir.path().join(format!("{cloud}-{env}.values.yaml"));
            std::fs::write(&path, &rendered["mlops.values.yaml"]).unwrap();
            paths.push(path);
        }
    }
    // A broken file must fail: `latest` in production and a privileged container.
    let production =
        std::fs::read_to_string(dir.path().join("aws-production.values.yaml")).unwrap();
    let broken = production
        .replace("tag: \"1.4.0\"", "tag: latest")
        .replace("privileged: false", "privileged: true");
    let broken_path = dir.path().join("broken.values.yaml");
    std::fs::write(&broken_path, broken).unwrap();
    let script = common::root().join("scripts/helm-lint.sh");
    let output = std::process::Command::new(&script)
        .arg(&broken_path)
        .output()
        .expect("run scripts/helm-lint.sh");
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !stdout.contains("SKIPPED") {
        assert!(
            !output.status.success(),
            "a broken values file passed:\n{stdout}"
        );
        assert!(
            stdout.contains("components.api-server.image.tag"),
            "{stdout}"
        );
        assert!(
            stdout.contains("containerSecurityContext.privileged"),
            "{stdout}"
        );
    }

    let output = std::process::Command::new(&script)
        .args(paths.iter().map(|p| p.as_os_str()))
        .output()
        .expect("run scripts/helm-lint.sh");
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "helm lint failed:\n{stdout}");
    if !stdout.contains("SKIPPED") {
        assert_eq!(stdout.matches("-> ok").count(), paths.len(), "{stdout}");
    }
    assert!(Path::new(&script).exists());
}

// A user's own platform: a retail recommender with its own workloads, no
// chart of its own, and nothing of the reference stack.

const RETAIL_WORKLOADS: [&str; 4] = ["batch-scorer", "ingest", "recommender-api", "trainer"];

fn retail_platform(env: Environment) -> Platform {
    let mut p = Platform::new("retail", env);
    p.network.cidr = "10.60.0.0/16".into();
    p.database.databases = vec!["features".into()];
    for bucket in ["events", "models"] {
        p.buckets.push(BucketSpec {
            name: bucket.into(),
            versioning: true,
            archive_after_days: None,
            expire_after_days: None,
            noncurrent_expire_days: Some(30),
        });
    }
    let workload = |name: &str, buckets: &[(&str, Access)]| WorkloadSpec {
        name: name.into(),
        namespace: "recsys".into(),
        service_account: name.into(),
        databases: Vec::new(),
        uses_cache: false,
        buckets: buckets.iter().map(|(b, a)| (b.to_string(), *a)).collect(),
    };
    p.workloads = vec![
        workload("ingest", &[("events", Access::ReadWrite)]),
        workload(
            "trainer",
            &[("events", Access::Read), ("models", Access::ReadWrite)],
        ),
        WorkloadSpec {
            databases: vec![("features".into(), Access::Read)],
            uses_cache: true,
            ..workload("recommender-api", &[("models", Access::Read)])
        },
        workload(
            "batch-scorer",
            &[("events", Access::Read), ("models", Access::Read)],
        ),
    ];
    p
}

fn retail_settings(_env: Environment) -> HelmSettings {
    HelmSettings::new()
        .with_image_registry("ghcr.io/retail")
        .with_release("2.3.1")
        .with_domain("retail.shop")
        .with_acme_contact("ml-platform@retail.shop")
        .with_workload(
            "recommender-api",
            WorkloadSettings {
                public_host: Some("recs".into()),
                database: Some("features".into()),
                ..WorkloadSettings::default()
            },
        )
        .with_workload(
            "batch-scorer",
            WorkloadSettings {
                service: false,
                weight: helm::Weight::Heavy,
                ..WorkloadSettings::default()
            },
        )
}

fn retail() -> StackDefinition {
    StackDefinition::new("retail", retail_platform)
        .support_date(common::SUPPORT_DATE)
        .description("retail recommender")
        .helm(retail_settings)
}

fn paths(files: &[ValuesFile]) -> Vec<String> {
    files.iter().map(ValuesFile::path).collect()
}

/// The rendered values of `chart` as JSON, with synthetic outputs.
fn rendered(cloud: Cloud, files: &[ValuesFile], chart: &str) -> serde_json::Value {
    let rendered = helm::render_all(&templates(files), &synthetic_outputs(cloud, files))
        .unwrap_or_else(|e| panic!("{e}"));
    let text = &rendered[&format!("{chart}.values.yaml")];
    serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

#[test]
fn a_user_platform_gets_values_for_exactly_its_own_workloads() {
    let identity = |cloud| match cloud {
        Cloud::Aws => "eks.amazonaws.com/role-arn",
        Cloud::Gcp => "iam.gke.io/gcp-service-account",
        Cloud::Azure => "azure.workload.identity/client-id",
    };
    for cloud in Cloud::ALL {
        for env in Environment::DEFAULTS {
            let out = retail()
                .synthesize(cloud, env)
                .unwrap_or_else(|d| panic!("{cloud} {env}:\n{d}"));
            let names: Vec<String> = out.files().keys().cloned().collect();
            assert_eq!(
                names,
                synthesized_paths(cloud, env, "helm/retail.values.yaml.hbs"),
                "{cloud} {env}"
            );
            for (path, bytes) in out.files().iter().filter(|(p, _)| p.starts_with("helm/")) {
                let text = String::from_utf8_lossy(bytes);
                for foreign in [
                    "example.com",
                    "mlops",
                    "MLOps",
                    "api-server",
                    "model-server",
                    "web-ui",
                    "mlflow",
                    "worker",
                ] {
                    assert!(!text.contains(foreign), "{cloud} {env} {path}: `{foreign}`");
                }
            }

            let files = helm::values(&retail_platform(env), cloud, &retail_settings(env)).unwrap();
            let doc = rendered(cloud, &files, "retail");
            let workloads = doc["workloads"].as_object().unwrap();
            assert_eq!(
                workloads.keys().collect::<Vec<_>>(),
                RETAIL_WORKLOADS,
                "{cloud} {env}"
            );
            for name in RETAIL_WORKLOADS {
                let workload = &workloads[name];
                assert_eq!(workload["namespace"], "recsys");
                let account = &workload["serviceAccount"];
                assert_eq!(account["name"], name, "{cloud} {env}");
                assert_eq!(
                    account["annotations"][identity(cloud)],
                    format!("workload-identity-{name}-{cloud}"),
                    "{cloud} {env} {name}"
                );
                assert_eq!(
                    workload["image"]["repository"],
                    format!("ghcr.io/retail/{name}")
                );
                assert_eq!(
                    workload["image"]["tag"],
                    if env.is_development() {
                        "latest"
                    } else {
                        "2.3.1"
                    }
                );
                if cloud == Cloud::Azure {
                    assert_eq!(workload["podLabels"]["azure.workload.identity/use"], "true");
                }
                // The cloud identity trusts exactly this service account.
                if cloud == Cloud::Aws {
                    assert!(out
                        .main_tf_json()
                        .contains(&format!("system:serviceaccount:recsys:{name}")));
                }
            }
            let api = &workloads["recommender-api"];
            assert_eq!(
                api["route"]["host"],
                if env.is_production() {
                    "recs.retail.shop".to_string()
                } else {
                    format!("recs.{env}.retail.shop")
                }
            );
            assert_eq!(
                api["env"]["DATABASE_NAME"],
                "database-name-features-".to_string() + cloud.as_str()
            );
            assert_eq!(api["env"]["BUCKET_MODELS_ACCESS"], "read");
            assert_eq!(
                workloads["ingest"]["env"]["BUCKET_EVENTS_ACCESS"],
                "read-write"
            );
            assert_eq!(workloads["batch-scorer"]["service"]["enabled"], false);
            // Each workload logs in with its own identity; no Secret.
            assert!(doc["config"]["database"]["existingSecret"].is_null());
            assert_eq!(
                doc["config"]["database"]["auth"],
                helm::wiring::database_auth(cloud)
            );
            // Only the workload that declares the database gets a login.
            assert!(api["env"]["DATABASE_USER"].is_string());
            assert!(workloads["ingest"]["env"]["DATABASE_USER"].is_null());
            if cloud == Cloud::Gcp {
                assert_eq!(
                    doc["cloudSqlProxy"]["components"],
                    serde_json::json!(["recommender-api"])
                );
            }
        }
    }
}

fn no_contact_no_registry(_env: Environment) -> HelmSettings {
    HelmSettings::new()
        .with_release("2.3.1")
        .with_domain("retail.shop")
}

#[test]
fn production_without_acme_contact_or_registry_is_an_error_naming_the_setting() {
    let p = retail_platform(Environment::PRODUCTION);
    let errors = helm::values(&p, Cloud::Aws, &no_contact_no_registry(p.environment)).unwrap_err();
    assert!(errors.mentions(Setting::AcmeContact), "{errors}");
    assert!(errors.mentions(Setting::ImageRegistry), "{errors}");
    assert_eq!(errors.0.len(), 2, "{errors}");
    let text = errors.to_string();
    for expected in [
        "Helm setting `acme_contact`",
        "HelmSettings::with_acme_contact(",
        "ChartSetting::Off",
        "Helm setting `image_registry`",
        "HelmSettings::with_image_registry(",
        "`production` (production)",
    ] {
        assert!(
            text.contains(expected),
            "`{expected}` missing from:\n{text}"
        );
    }

    // Through the pipeline: the synth fails, naming the settings.
    let definition = StackDefinition::new("retail", retail_platform)
        .support_date(common::SUPPORT_DATE)
        .description("retail recommender")
        .helm(no_contact_no_registry);
    let diagnostics = definition
        .synthesize(Cloud::Gcp, Environment::PRODUCTION)
        .unwrap_err();
    assert!(
        diagnostics.mentions("settings.acme_contact"),
        "{diagnostics}"
    );
    assert!(
        diagnostics.mentions("settings.image_registry"),
        "{diagnostics}"
    );
    // The default settings (none at all) fail the same way.
    let bare = StackDefinition::new("retail", retail_platform)
        .support_date(common::SUPPORT_DATE)
        .description("retail recommender");
    let diagnostics = bare
        .synthesize(Cloud::Azure, Environment::PRODUCTION)
        .unwrap_err();
    for setting in ["acme_contact", "image_registry", "release"] {
        assert!(
            diagnostics.mentions(&format!("settings.{setting}")),
            "{setting}: {diagnostics}"
        );
    }
    // Staging needs the same.
    let p = retail_platform(Environment::STAGING);
    let errors = helm::values(&p, Cloud::Aws, &no_contact_no_registry(p.environment)).unwrap_err();
    assert!(errors.mentions(Setting::AcmeContact), "{errors}");
}

#[test]
fn dev_falls_back_where_harmless() {
    // No release, domain or contact: `latest`, routes off, an ACME account
    // without contact. The registry has no harmless fallback.
    let p = retail_platform(Environment::DEV);
    let errors = helm::values(&p, Cloud::Aws, &HelmSettings::new()).unwrap_err();
    assert!(errors.mentions(Setting::ImageRegistry), "{errors}");
    assert_eq!(errors.0.len(), 1, "{errors}");
    let settings = retail_settings(p.environment);
    let settings = HelmSettings::new()
        .with_image_registry("ghcr.io/retail")
        .with_workload("recommender-api", settings.workload("recommender-api"));
    let files = helm::values(&p, Cloud::Aws, &settings).unwrap_or_else(|e| panic!("{e}"));
    let cert_manager = &files
        .iter()
        .find(|f| f.chart == "cert-manager-issuers")
        .unwrap()
        .yaml
        .text;
    assert!(!cert_manager.contains("email"), "{cert_manager}");
    let app = rendered(Cloud::Aws, &files, "retail");
    assert_eq!(
        app["workloads"]["recommender-api"]["route"]["enabled"],
        false
    );
    assert_eq!(app["workloads"]["ingest"]["image"]["tag"], "latest");
    let monitoring = helm::kube_prometheus_stack::values(&p, Cloud::Aws, &settings);
    assert!(!monitoring.grafana.route["main"].enabled);
    assert!(monitoring.grafana.route["main"].hostnames.is_empty());
}

#[test]
fn an_acme_contact_lets_encrypt_refuses_is_an_error_in_every_tier() {
    for env in Environment::DEFAULTS {
        for contact in [
            "platform-team@retail.example.com",
            "ops@example.org",
            "not-an-address",
        ] {
            let settings = retail_settings(env).with_acme_contact(contact);
            let errors = helm::values(&retail_platform(env), Cloud::Gcp, &settings).unwrap_err();
            assert!(
                matches!(&errors.0[..], [HelmError::InvalidSetting { setting: Setting::AcmeContact, value, .. }] if value == contact),
                "{env}: {errors}"
            );
            assert!(errors.to_string().contains("acme_contact"), "{errors}");
        }
    }
}

#[test]
fn turning_a_chart_off_removes_its_file() {
    let env = Environment::PRODUCTION;
    let p = retail_platform(env);
    let all = paths(&helm::values(&p, Cloud::Aws, &retail_settings(env)).unwrap());
    for (chart, file) in [
        (ChartId::App, "helm/retail.values.yaml.hbs"),
        (
            ChartId::KubePrometheusStack,
            "helm/kube-prometheus-stack.values.yaml",
        ),
        (ChartId::EnvoyGateway, "helm/envoy-gateway.values.yaml"),
        (ChartId::Gateway, "helm/platform-gateway.values.yaml"),
        (ChartId::CertManager, "helm/cert-manager.values.yaml"),
        (ChartId::Issuers, "helm/cert-manager-issuers.values.yaml"),
        (ChartId::Storage, "helm/platform-storage.values.yaml.hbs"),
        (
            ChartId::ClusterAutoscaler,
            "helm/cluster-autoscaler.values.yaml.hbs",
        ),
    ] {
        let settings = retail_settings(env).with_chart(chart, ChartSetting::Off);
        let files = paths(&helm::values(&p, Cloud::Aws, &settings).unwrap());
        let expected: Vec<String> = all.iter().filter(|f| *f != file).cloned().collect();
        assert_eq!(files, expected, "{chart:?}");
    }
    // A chart that is off needs none of its settings, even in production.
    let minimal = HelmSettings::new()
        .with_domain("retail.shop")
        .with_chart(ChartId::App, ChartSetting::Off)
        .with_chart(ChartId::CertManager, ChartSetting::Off)
        .with_chart(ChartId::Issuers, ChartSetting::Off);
    let files = helm::values(&p, Cloud::Gcp, &minimal).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        paths(&files),
        [
            "helm/envoy-gateway.values.yaml",
            "helm/kube-prometheus-stack.values.yaml",
            "helm/platform-gateway.values.yaml",
            // Production on GCP uses CMEK: the StorageClass waits for the
            // disks key (output `kms_key_disks`).
            "helm/platform-storage.values.yaml.hbs",
        ]
    );
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct FeatureStore {
    online_store: OnlineStore,
    offline_bucket: FromOutput,
    trainer_service_account: String,
    readers: Vec<String>,
}

#[derive(serde::Serialize)]
struct OnlineStore {
    host: FromOutput,
    port: FromOutput,
}

fn with_feature_store(env: Environment) -> HelmSettings {
    retail_settings(env).with_custom_chart(
        "feature-store",
        "oci://ghcr.io/retail/charts/feature-store",
        |ctx| FeatureStore {
            online_store: OnlineStore {
                host: FromOutput::string(platform::outputs::REDIS_HOST),
                port: FromOutput::integer(platform::outputs::REDIS_PORT),
            },
            offline_bucket: FromOutput::string(platform::outputs::bucket("events")),
            trainer_service_account: ctx
                .workload("trainer")
                .map(|w| w.service_account.name.clone())
                .unwrap_or_default(),
            readers: ctx
                .platform()
                .workloads
                .iter()
                .filter(|w| w.buckets.iter().any(|(b, _)| b == "events"))
                .map(|w| w.name.clone())
                .collect(),
        },
    )
}

#[test]
fn a_custom_chart_hook_gets_the_workload_model_and_its_placeholders_are_rendered() {
    let definition = StackDefinition::new("retail", retail_platform)
        .support_date(common::SUPPORT_DATE)
        .description("retail recommender")
        .helm(with_feature_store);
    for cloud in Cloud::ALL {
        let out = definition
            .synthesize(cloud, Environment::STAGING)
            .unwrap_or_else(|d| panic!("{cloud}:\n{d}"));
        let template = String::from_utf8_lossy(&out.files()["helm/feature-store.values.yaml.hbs"]);
        assert!(
            template
                .contains("# Helm values for oci://ghcr.io/retail/charts/feature-store, retail/"),
            "{template}"
        );
        assert!(
            template.contains(
                "host: {{output \"redis_host\" type=\"string\" key=\"onlineStore.host\"}}"
            ),
            "{template}"
        );

        // Phase two, exactly as the CLI runs it.
        let root = tempfile::tempdir().unwrap();
        let dir = infrasynth::app::output_dir(root.path(), "retail", cloud, Environment::STAGING);
        infrasynth::app::write(&dir, &out).unwrap();
        let files = helm::values(
            &retail_platform(Environment::STAGING),
            cloud,
            &with_feature_store(Environment::STAGING),
        )
        .unwrap();
        let outputs = root.path().join("outputs.json");
        let json = synthetic_outputs(cloud, &files);
        let mut map = serde_json::Map::new();
        for name in json.names() {
            let output = json.get(name).unwrap();
            map.insert(
                name.to_string(),
                serde_json::json!({"sensitive": false, "type": "string", "value": output.value}),
            );
        }
        std::fs::write(&outputs, serde_json::Value::Object(map).to_string()).unwrap();
        infrasynth::app::render_values(
            &dir.join("helm"),
            &outputs,
            &format!("retail/{cloud}/staging"),
            "infrasynth synth",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let text = std::fs::read_to_string(dir.join("helm/feature-store.values.yaml")).unwrap();
        assert_eq!(render::unresolved(&text), None);
        let doc: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
        assert_eq!(doc["onlineStore"]["host"], format!("redis-host-{cloud}"));
        assert_eq!(doc["onlineStore"]["port"], 6379);
        assert_eq!(doc["offlineBucket"], format!("bucket-events-{cloud}"));
        assert_eq!(doc["trainerServiceAccount"], "trainer");
        assert_eq!(
            doc["readers"],
            serde_json::json!(["ingest", "trainer", "batch-scorer"])
        );
        // The app chart was rendered in the same run.
        assert!(dir.join("helm/retail.values.yaml").exists());
    }
}

fn with_undeclared_output(env: Environment) -> HelmSettings {
    retail_settings(env).with_custom_chart("feature-store", "charts/feature-store", |_| {
        BTreeMap::from([("endpoint", FromOutput::string("feature_store_endpoint"))])
    })
}

#[test]
fn a_hook_asking_for_an_output_the_stack_does_not_declare_fails_the_synth() {
    let definition = StackDefinition::new("retail", retail_platform)
        .support_date(common::SUPPORT_DATE)
        .description("retail recommender")
        .helm(with_undeclared_output);
    let diagnostics = definition
        .synthesize(Cloud::Aws, Environment::DEV)
        .unwrap_err()
        .to_string();
    assert!(
        diagnostics.contains("helm/feature-store.values.yaml.hbs")
            && diagnostics.contains(
                "needs Terraform output `feature_store_endpoint`, which the stack does not declare"
            ),
        "{diagnostics}"
    );
}

#[test]
fn replacing_a_builtin_chart_writes_the_hook_values() {
    let env = Environment::PRODUCTION;
    let settings = retail_settings(env).with_chart(
        ChartId::EnvoyGateway,
        ChartSetting::Replace(helm::Chart::from_fn(
            "envoy-gateway",
            "envoyproxy/gateway-helm",
            |ctx| {
                // Start from the built-in values and change one thing.
                let mut values = helm::gateway::values(ctx.environment());
                values.deployment.replicas = 7;
                values
            },
        )),
    );
    let p = retail_platform(env);
    let files = helm::values(&p, Cloud::Aws, &settings).unwrap();
    let gateway = files.iter().find(|f| f.chart == "envoy-gateway").unwrap();
    assert!(
        gateway.yaml.text.contains("replicas: 7"),
        "{}",
        gateway.yaml.text
    );
    // Seven releases and, on AWS, the Cluster Autoscaler.
    assert_eq!(files.len(), 8);
    // The replaced chart is the pinned one: the helmfile keeps the pin.
    let helmfile = helm::helmfile::build(&p, &settings, &files);
    let release = helmfile
        .releases
        .iter()
        .find(|r| r.name == "envoy-gateway")
        .unwrap();
    assert_eq!(release.chart, "envoyproxy/gateway-helm");
    assert_eq!(
        release.version.as_deref(),
        Some(helm::releases::ENVOY_GATEWAY.version)
    );
}

struct NeedsTheGpuTrainer;

impl ChartValues for NeedsTheGpuTrainer {
    type Values = BTreeMap<String, String>;

    fn values(&self, ctx: &HelmContext<'_>) -> Result<Self::Values, HelmError> {
        ctx.workload("gpu-trainer")
            .map(|w| BTreeMap::from([("account".to_string(), w.service_account.name.clone())]))
            .ok_or_else(|| HelmError::hook("the platform has no `gpu-trainer` workload"))
    }
}

#[test]
fn hook_errors_and_clashing_chart_names_are_all_reported() {
    let settings = retail_settings(Environment::DEV)
        .with_extra_chart(helm::Chart::new("gpu", "charts/gpu", NeedsTheGpuTrainer))
        .with_custom_chart("cert-manager", "charts/mine", |_| "x")
        .with_custom_chart("Not_A_Chart", "charts/bad", |_| "x");
    let errors =
        helm::values(&retail_platform(Environment::DEV), Cloud::Aws, &settings).unwrap_err();
    let text = errors.to_string();
    assert_eq!(errors.0.len(), 3, "{text}");
    assert!(
        text.contains(
            "the values hook of chart `gpu` failed: the platform has no `gpu-trainer` workload"
        ),
        "{text}"
    );
    assert!(
        text.contains("two charts write `helm/cert-manager.values.yaml`"),
        "{text}"
    );
    assert!(text.contains("chart name `Not_A_Chart`"), "{text}");
}

#[test]
fn snapshots_the_generic_app_chart_of_a_user_platform() {
    for (cloud, env) in [
        (Cloud::Aws, Environment::PRODUCTION),
        (Cloud::Gcp, Environment::DEV),
    ] {
        let files = helm::values(&retail_platform(env), cloud, &retail_settings(env)).unwrap();
        let app = files.iter().find(|f| f.chart == "retail").unwrap();
        common::assert_snapshot(
            &format!("helm-{cloud}-{env}-retail"),
            &format!("# {}\n{}", app.path(), app.yaml.text),
        );
    }
}

// The generic workloads chart (charts/workloads): the chart the derived app
// values are for.

fn workloads_chart() -> std::path::PathBuf {
    common::root().join("charts/workloads")
}

fn workloads_schema() -> serde_json::Value {
    let text = std::fs::read_to_string(workloads_chart().join("values.schema.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The rendered values of the retail platform's app chart.
fn retail_values(cloud: Cloud, env: Environment) -> serde_json::Value {
    let files = helm::values(&retail_platform(env), cloud, &retail_settings(env))
        .unwrap_or_else(|e| panic!("{cloud} {env}: {e}"));
    rendered(cloud, &files, "retail")
}

/// `schema` itself, or the definition its `$ref` names.
fn resolve<'a>(
    root: &'a serde_json::Value,
    schema: &'a serde_json::Value,
) -> &'a serde_json::Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.trim_start_matches("#/definitions/");
            &root["definitions"][name]
        }
        None => schema,
    }
}

/// Every key path the schema declares (`workloads.*.image.tag`; a map's keys
/// are `*`, an array's items `[]`).
fn schema_keys(
    root: &serde_json::Value,
    schema: &serde_json::Value,
    path: &str,
    out: &mut std::collections::BTreeSet<String>,
) {
    let schema = resolve(root, schema);
    if let Some(properties) = schema["properties"].as_object() {
        for (key, sub) in properties {
            let path = format!("{path}.{key}");
            out.insert(path.clone());
            schema_keys(root, sub, &path, out);
        }
    } else if schema["additionalProperties"].is_object() {
        schema_keys(
            root,
            &schema["additionalProperties"],
            &format!("{path}.*"),
            out,
        );
    }
    if schema["items"].is_object() {
        schema_keys(root, &schema["items"], &format!("{path}[]"), out);
    }
}

/// Walks `value` along the schema: the key paths it holds into `seen`, keys
/// the schema does not declare and required keys it lacks into `problems`.
fn emitted_keys(
    root: &serde_json::Value,
    schema: &serde_json::Value,
    value: &serde_json::Value,
    path: &str,
    seen: &mut std::collections::BTreeSet<String>,
    problems: &mut Vec<String>,
) {
    let schema = resolve(root, schema);
    match value {
        serde_json::Value::Object(map) => {
            if let Some(properties) = schema["properties"].as_object() {
                for (key, value) in map {
                    let path = format!("{path}.{key}");
                    match properties.get(key) {
                        Some(sub) => {
                            seen.insert(path.clone());
                            emitted_keys(root, sub, value, &path, seen, problems);
                        }
                        None => problems.push(format!("{path}: not in the schema")),
                    }
                }
                for required in schema["required"].as_array().into_iter().flatten() {
                    let required = required.as_str().unwrap();
                    if !map.contains_key(required) {
                        problems.push(format!("{path}.{required}: required, not written"));
                    }
                }
            } else if schema["additionalProperties"].is_object() {
                for value in map.values() {
                    let path = format!("{path}.*");
                    emitted_keys(
                        root,
                        &schema["additionalProperties"],
                        value,
                        &path,
                        seen,
                        problems,
                    );
                }
            }
        }
        serde_json::Value::Array(items) if schema["items"].is_object() => {
            for item in items {
                let path = format!("{path}[]");
                emitted_keys(root, &schema["items"], item, &path, seen, problems);
            }
        }
        _ => {}
    }
}

#[test]
fn the_workloads_chart_schema_declares_exactly_the_keys_the_model_writes() {
    let schema = workloads_schema();
    let mut declared = std::collections::BTreeSet::new();
    schema_keys(&schema, &schema, "", &mut declared);
    let mut seen = std::collections::BTreeSet::new();
    for cloud in Cloud::ALL {
        for env in Environment::DEFAULTS {
            let values = retail_values(cloud, env);
            let mut problems = Vec::new();
            emitted_keys(&schema, &schema, &values, "", &mut seen, &mut problems);
            assert!(problems.is_empty(), "{cloud} {env}: {problems:#?}");
        }
    }
    // Over every cloud and tier, the model writes every key the schema
    // declares (placement's tolerations come from a settings test below).
    let unseen: Vec<&String> = declared
        .difference(&seen)
        .filter(|k| !k.starts_with(".workloads.*.tolerations[]."))
        .collect();
    assert!(unseen.is_empty(), "declared but never written: {unseen:?}");
    // Tolerations: exactly the fields of `helm::workloads::Toleration`.
    let toleration = serde_json::to_value(helm::workloads::Toleration {
        key: "k".into(),
        operator: "Equal".into(),
        value: "v".into(),
        effect: "NoSchedule".into(),
    })
    .unwrap();
    let items = &schema["properties"]["workloads"]["additionalProperties"]["properties"]
        ["tolerations"]["items"];
    let mut problems = Vec::new();
    emitted_keys(&schema, items, &toleration, "", &mut seen, &mut problems);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        items["properties"].as_object().unwrap().len(),
        toleration.as_object().unwrap().len()
    );
}

/// The documents of `kind` in rendered manifests, by name.
fn of_kind<'a>(
    manifests: &'a [serde_json::Value],
    kind: &str,
) -> BTreeMap<&'a str, &'a serde_json::Value> {
    manifests
        .iter()
        .filter(|m| m["kind"] == kind)
        .map(|m| (m["metadata"]["name"].as_str().unwrap(), m))
        .collect()
}

/// What the chart renders for the retail platform on `cloud` in `env`.
fn assert_retail_manifests(cloud: Cloud, env: Environment, manifests: &[serde_json::Value]) {
    let label = format!("{cloud} {env}");
    let identity = match cloud {
        Cloud::Aws => "eks.amazonaws.com/role-arn",
        Cloud::Gcp => "iam.gke.io/gcp-service-account",
        Cloud::Azure => "azure.workload.identity/client-id",
    };
    let accounts = of_kind(manifests, "ServiceAccount");
    let deployments = of_kind(manifests, "Deployment");
    // The workloads' accounts, and the database bootstrap's.
    let mut expected_accounts = RETAIL_WORKLOADS.to_vec();
    expected_accounts.insert(3, "retail-db-bootstrap");
    assert_eq!(
        accounts.keys().copied().collect::<Vec<_>>(),
        expected_accounts,
        "{label}"
    );
    assert_eq!(
        deployments.keys().copied().collect::<Vec<_>>(),
        RETAIL_WORKLOADS,
        "{label}"
    );
    for name in RETAIL_WORKLOADS {
        // Each ServiceAccount carries its workload's identity, in its namespace.
        let account = accounts[name];
        assert_eq!(account["metadata"]["namespace"], "recsys", "{label} {name}");
        assert_eq!(
            account["metadata"]["annotations"][identity],
            format!("workload-identity-{name}-{cloud}"),
            "{label} {name}"
        );
        let deployment = deployments[name];
        assert_eq!(deployment["metadata"]["namespace"], "recsys");
        let pod = &deployment["spec"]["template"]["spec"];
        assert_eq!(pod["serviceAccountName"], name, "{label}");
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
        let app = &pod["containers"][0];
        assert_eq!(app["name"], name);
        let tag = if env.is_development() {
            "latest"
        } else {
            "2.3.1"
        };
        assert_eq!(app["image"], format!("ghcr.io/retail/{name}:{tag}"));
        assert_eq!(app["securityContext"]["readOnlyRootFilesystem"], true);
        assert_eq!(app["securityContext"]["capabilities"]["drop"][0], "ALL");
        assert_eq!(app["volumeMounts"][0]["mountPath"], "/tmp");
        assert!(pod["volumes"][0]["emptyDir"].is_object(), "{label} {name}");
        // The HPA owns the replica count outside dev.
        assert_eq!(
            deployment["spec"].get("replicas").is_some(),
            env.is_development(),
            "{label} {name}"
        );
        let env_names: Vec<&str> = app["env"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| e["name"].as_str().unwrap())
            .collect();
        // No credential at all: each workload logs in with its identity.
        assert!(env_names.is_empty(), "{label} {name}: {env_names:?}");
        // Only recommender-api declares a database (and the cache).
        let database = name == "recommender-api";
        // A TCP probe on the Service's port; nothing to probe without one.
        let served = name != "batch-scorer";
        assert_eq!(app["readinessProbe"]["tcpSocket"]["port"] == "http", served);
        // The Cloud SQL Auth Proxy: a native sidecar of the database's users, on GCP.
        let proxy = pod["initContainers"].as_array().and_then(|c| c.first());
        if cloud == Cloud::Gcp && database {
            let proxy = proxy.unwrap_or_else(|| panic!("{label} {name}: no proxy"));
            assert_eq!(proxy["name"], "cloud-sql-proxy");
            assert_eq!(proxy["restartPolicy"], "Always");
            let args = proxy["args"].as_array().unwrap();
            assert_eq!(
                args.last().unwrap(),
                "mlops-gcp:us-central1:mlops-dev-platform"
            );
            assert_eq!(proxy["securityContext"]["runAsNonRoot"], true);
        } else {
            assert!(proxy.is_none(), "{label} {name}");
        }
        if cloud == Cloud::Azure {
            assert_eq!(
                deployment["spec"]["template"]["metadata"]["labels"]["azure.workload.identity/use"],
                "true"
            );
        }
        let configmap = of_kind(manifests, "ConfigMap")[name];
        assert_eq!(configmap["data"]["DATABASE_NAME"].is_string(), database);
        assert_eq!(configmap["data"]["DATABASE_USER"].is_string(), database);
        assert_eq!(configmap["data"]["REDIS_HOST"].is_string(), database);
        assert_eq!(
            configmap["data"]["OBJECT_STORE_ENDPOINT"],
            format!("https://object_store_endpoint.example.{cloud}")
        );
    }
    let services = of_kind(manifests, "Service");
    assert_eq!(
        services.keys().copied().collect::<Vec<_>>(),
        ["ingest", "recommender-api", "trainer"],
        "{label}"
    );
    // The public workload: an HTTPRoute on the Gateway's HTTPS listener for
    // its host only, to its Service's port.
    let routes = of_kind(manifests, "HTTPRoute");
    assert_eq!(routes.len(), 1, "{label}");
    let route = routes["recommender-api"];
    let host = if env.is_production() {
        "recs.retail.shop".to_string()
    } else {
        format!("recs.{env}.retail.shop")
    };
    assert_eq!(route["spec"]["hostnames"][0], host);
    let parent = &route["spec"]["parentRefs"][0];
    assert_eq!(parent["name"], "platform");
    assert_eq!(parent["namespace"], "envoy-gateway-system");
    assert_eq!(parent["sectionName"], "https-recs");
    assert_eq!(
        route["spec"]["rules"][0]["backendRefs"][0]["name"],
        "recommender-api"
    );
    // Every workload with a Service is scraped, its job named after it.
    let monitors = of_kind(manifests, "ServiceMonitor");
    assert_eq!(
        monitors.keys().copied().collect::<Vec<_>>(),
        ["ingest", "recommender-api", "trainer"],
        "{label}"
    );
    for monitor in monitors.values() {
        assert_eq!(monitor["spec"]["jobLabel"], "app.kubernetes.io/name");
        assert_eq!(monitor["spec"]["endpoints"][0]["path"], "/metrics");
        assert_eq!(monitor["spec"]["endpoints"][0]["port"], "http");
    }
    let scaled = !env.is_development();
    assert_eq!(
        of_kind(manifests, "HorizontalPodAutoscaler").len(),
        if scaled { 4 } else { 0 }
    );
    let budgets = of_kind(manifests, "PodDisruptionBudget");
    assert_eq!(budgets.len(), if scaled { 4 } else { 0 }, "{label}");
    // Default deny: the Gateway's proxies reach the public workload only,
    // the monitoring namespace every workload.
    let policies = of_kind(manifests, "NetworkPolicy");
    assert_eq!(policies.len(), 4, "{label}");
    for (name, policy) in policies {
        assert_eq!(
            policy["spec"]["policyTypes"],
            serde_json::json!(["Ingress"])
        );
        let sources = serde_json::to_string(&policy["spec"]["ingress"]).unwrap();
        assert_eq!(
            sources.contains("\"envoy-gateway-system\""),
            name == "recommender-api",
            "{name}"
        );
        assert!(sources.contains("\"monitoring\""), "{name}");
    }
    // The database bootstrap: a pre-install/pre-upgrade hook running as its
    // own identity, granting `features` to recommender-api only.
    let jobs = of_kind(manifests, "Job");
    let job = jobs["retail-db-bootstrap"];
    assert_eq!(
        job["metadata"]["annotations"]["helm.sh/hook"],
        "pre-install,pre-upgrade"
    );
    assert_eq!(
        accounts["retail-db-bootstrap"]["metadata"]["annotations"][identity],
        format!("database-bootstrap-identity-{cloud}"),
        "{label}"
    );
    let pod = &job["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], "retail-db-bootstrap");
    let init: Vec<&str> = pod["initContainers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    let expected_init: &[&str] = if cloud == Cloud::Gcp {
        &["credentials", "cloud-sql-proxy"]
    } else {
        &["credentials"]
    };
    assert_eq!(init, expected_init, "{label}");
    let sql = of_kind(manifests, "ConfigMap")["retail-db-bootstrap-sql"]["data"]["bootstrap.sql"]
        .as_str()
        .unwrap();
    assert!(
        sql.contains("GRANT CONNECT ON DATABASE \"features\" TO"),
        "{label}"
    );
    assert_eq!(
        sql.matches("ON DATABASE \"features\" TO").count(),
        1,
        "{label}"
    );
}

/// `helm lint` plus a JSON-schema check of charts/workloads with the values
/// derived for the retail platform on every cloud and tier, and `helm
/// template` of each to check the manifests (see scripts/helm-lint.py).
#[test]
fn the_workloads_chart_lints_and_renders_with_the_derived_values() {
    let dir = tempfile::tempdir().unwrap();
    let chart = workloads_chart();
    // The chart's own defaults: no workloads.
    let mut paths = vec![chart.join("values.yaml")];
    for cloud in Cloud::ALL {
        for env in Environment::DEFAULTS {
            let files = helm::values(&retail_platform(env), cloud, &retail_settings(env)).unwrap();
            let rendered = helm::render_all(&templates(&files), &synthetic_outputs(cloud, &files))
                .unwrap_or_else(|e| panic!("{cloud} {env}: {e}"));
            let path = dir.path().join(format!("{cloud}-{env}.values.yaml"));
            std::fs::write(&path, &rendered["retail.values.yaml"]).unwrap();
            paths.push(path);
        }
    }
    let script = common::root().join("scripts/helm-lint.sh");
    let lint = |args: &[&std::ffi::OsStr]| {
        let output = std::process::Command::new(&script)
            .arg("--chart")
            .arg(&chart)
            .args(args)
            .output()
            .expect("run scripts/helm-lint.sh");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.success(), text)
    };

    // Broken files must fail: `latest` in production, a key the model never
    // writes, a workload without its identity, a public workload without a
    // Service, and a proxy for a workload the release does not have.
    let production =
        std::fs::read_to_string(dir.path().join("gcp-production.values.yaml")).unwrap();
    let broken = production
        .replace("tag: \"2.3.1\"", "tag: latest")
        .replace(
            "    replicas: 3\n",
            "    replicas: 3\n    probePath: /healthz\n",
        )
        .replace(
            "      iam.gke.io/gcp-service-account: \"workload-identity-trainer-gcp\"\n",
            "      other: x\n",
        );
    assert_ne!(broken, production);
    let broken_path = dir.path().join("broken.values.yaml");
    std::fs::write(&broken_path, broken).unwrap();
    let (ok, text) = lint(&[broken_path.as_os_str()]);
    if !text.contains("SKIPPED") {
        assert!(!ok, "a broken values file passed:\n{text}");
        for expected in [
            "workloads.ingest.image.tag",
            "workloads.ingest: Additional properties are not allowed ('probePath'",
            "workloads.trainer.serviceAccount.annotations: 'iam.gke.io/gcp-service-account' is a required property",
        ] {
            assert!(text.contains(expected), "`{expected}` missing:\n{text}");
        }
    }
    let private = production.replacen(
        "service:\n      enabled: true",
        "service:\n      enabled: false",
        2,
    );
    let unknown = production.replace("  - recommender-api\n", "  - recommender-api\n  - ghost\n");
    let (private_path, unknown_path) = (
        dir.path().join("private.yaml"),
        dir.path().join("ghost.yaml"),
    );
    std::fs::write(&private_path, private).unwrap();
    std::fs::write(&unknown_path, unknown).unwrap();
    let render = dir.path().join("manifests");
    let (ok, text) = lint(&[
        std::ffi::OsStr::new("--render"),
        render.as_os_str(),
        private_path.as_os_str(),
        unknown_path.as_os_str(),
    ]);
    if !text.contains("SKIPPED") {
        assert!(!ok, "{text}");
        assert!(
            text.contains("workloads.recommender-api.service.enabled"),
            "{text}"
        );
        assert!(
            text.contains(
                "cloudSqlProxy.components names `ghost`, which is not one of the workloads"
            ),
            "{text}"
        );
    }

    let mut args = vec![std::ffi::OsStr::new("--render"), render.as_os_str()];
    args.extend(paths.iter().map(|p| p.as_os_str()));
    let (ok, text) = lint(&args);
    println!("{text}");
    assert!(ok, "helm lint of charts/workloads failed:\n{text}");
    if text.contains("SKIPPED") {
        return;
    }
    assert_eq!(text.matches("-> ok").count(), paths.len(), "{text}");
    assert!(
        text.contains("values.yaml: schema ok, lint ok, rendered 0 documents -> ok"),
        "{text}"
    );
    for cloud in Cloud::ALL {
        for env in Environment::DEFAULTS {
            let file = render.join(format!("{cloud}-{env}.values.yaml.manifests.json"));
            let manifests: Vec<serde_json::Value> =
                serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
            assert_retail_manifests(cloud, env, &manifests);
        }
    }
}

/// A user's copy: examples/own-crate/charts/retail is charts/workloads with
/// the project's name.
#[test]
fn the_own_crate_chart_is_the_workloads_chart_named_after_the_project() {
    fn files(dir: &Path) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let mut pending = vec![dir.to_path_buf()];
        while let Some(current) = pending.pop() {
            for entry in std::fs::read_dir(&current).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                } else {
                    let name = path.strip_prefix(dir).unwrap().display().to_string();
                    out.insert(name, std::fs::read_to_string(&path).unwrap());
                }
            }
        }
        out
    }
    let generic = files(&workloads_chart());
    let mut copy = files(&common::root().join("examples/own-crate/charts/retail"));
    let chart_yaml = copy
        .get_mut("Chart.yaml")
        .expect("examples/own-crate/charts/retail/Chart.yaml");
    assert!(chart_yaml.contains("\nname: retail\n"), "{chart_yaml}");
    *chart_yaml = chart_yaml.replace("\nname: retail\n", "\nname: workloads\n");
    assert_eq!(
        copy.keys().collect::<Vec<_>>(),
        generic.keys().collect::<Vec<_>>()
    );
    for (name, text) in &generic {
        assert!(
            copy[name] == *text,
            "examples/own-crate/charts/retail/{name} differs from charts/workloads/{name}: copy it again"
        );
    }
}
