//! Where state goes: the typed backends in the synthesized document, the
//! keys derived per stack, cloud and environment, name checks that fail the
//! synth naming the field (and the fix they suggest passing), the local
//! backend switch for credential-free checks, and the bootstrap stacks
//! against each provider's schema and the cloud's policies.

mod common;

use std::collections::BTreeMap;

use infrasynth::app::{
    bootstrap_dir, bootstrap_to_dir, output_dir, synth_to_dir, synth_to_dir_with, App,
    StackDefinition, SynthOptions,
};
use infrasynth::core::backend::LOCAL_BACKEND_OVERRIDE;
use infrasynth::helm::HelmSettings;
use infrasynth::platform::Platform;
use infrasynth::state::{AzurermBackend, GcsBackend, S3Backend, StateBackend};
use infrasynth::{Cloud, Environment, Tier};
use serde_json::{json, Value as Json};

fn doc(text: &str) -> Json {
    serde_json::from_str(text).expect("valid JSON")
}

fn reference(cloud: Cloud, env: Environment) -> Json {
    doc(common::synth(cloud, env).main_tf_json())
}

/// A small stack (no workloads) keeping its state where `state` says.
fn stack(
    name: &str,
    state: impl Fn(Environment, Cloud) -> StateBackend + Send + Sync + 'static,
) -> StackDefinition {
    let project = name.to_string();
    StackDefinition::new(name, move |env| Platform::new(&project, env))
        .helm(|_| HelmSettings::new().with_acme_contact("platform@acme.dev"))
        .state(state)
}

/// One bucket, storage account and container for everything: only the
/// derived keys keep states apart.
fn shared(_env: Environment, cloud: Cloud) -> StateBackend {
    match cloud {
        Cloud::Aws => S3Backend::new("acme-tfstate")
            .kms_key_id("alias/acme-tfstate")
            .into(),
        Cloud::Gcp => GcsBackend::new("acme-tfstate").into(),
        Cloud::Azure => AzurermBackend::new("acme-tfstate", "acmetfstate", "tfstate")
            .allow_ips(["203.0.113.0/24"])
            .into(),
    }
}

#[test]
fn the_reference_stack_keeps_state_remotely_outside_dev_on_every_cloud() {
    for env in Environment::DEFAULTS {
        let aws = reference(Cloud::Aws, env);
        let gcp = reference(Cloud::Gcp, env);
        let azure = reference(Cloud::Azure, env);
        if env.is_development() {
            for (cloud, d) in [("aws", &aws), ("gcp", &gcp), ("azure", &azure)] {
                assert!(
                    d["terraform"].get("backend").is_none(),
                    "{cloud} dev: {}",
                    d["terraform"]
                );
            }
            assert_eq!(aws["terraform"]["required_version"], ">= 1.5");
            continue;
        }
        assert_eq!(
            aws["terraform"]["backend"],
            json!({"s3": {
                "bucket": format!("mlops-tfstate-{env}"),
                "key": format!("mlops/aws/{env}/terraform.tfstate"),
                "region": "us-east-1",
                "encrypt": true,
                "kms_key_id": format!("alias/mlops-tfstate-{env}"),
                "use_lockfile": true,
            }}),
            "aws {env}"
        );
        // use_lockfile is S3's lock since Terraform 1.10.
        assert_eq!(aws["terraform"]["required_version"], ">= 1.10");
        assert_eq!(
            gcp["terraform"]["backend"],
            json!({"gcs": {"bucket": format!("mlops-tfstate-{env}"), "prefix": format!("mlops/gcp/{env}")}})
        );
        assert_eq!(gcp["terraform"]["required_version"], ">= 1.5.0");
        assert_eq!(
            azure["terraform"]["backend"],
            json!({"azurerm": {
                "resource_group_name": format!("mlops-tfstate-{env}"),
                "storage_account_name": format!("mlopstfstate{}", env.short_name()),
                "container_name": "tfstate",
                "key": format!("mlops/azure/{env}/terraform.tfstate"),
                "use_azuread_auth": true,
            }})
        );
        assert_eq!(azure["terraform"]["required_version"], ">= 1.6");
    }
}

#[test]
fn two_stacks_and_two_environments_never_share_a_key() {
    let envs = [
        Environment::new("dev", Tier::Development),
        Environment::new("qa", Tier::Development),
        Environment::new("prod-eu", Tier::Production).with_region(Cloud::Aws, "eu-west-1"),
    ];
    let stacks = [stack("shop", shared), stack("search", shared)];
    // storage -> key -> the directory whose state it is.
    let mut seen: BTreeMap<(String, String), String> = BTreeMap::new();
    for definition in &stacks {
        for env in envs {
            for cloud in Cloud::ALL {
                let out = definition
                    .synthesize(cloud, env)
                    .unwrap_or_else(|d| panic!("{}/{cloud}/{env}:\n{d}", definition.name()));
                let backend = doc(out.main_tf_json())["terraform"]["backend"].clone();
                let (kind, settings) = backend
                    .as_object()
                    .and_then(|m| m.iter().next())
                    .expect("a backend");
                let storage = settings["bucket"]
                    .as_str()
                    .or(settings["storage_account_name"].as_str())
                    .expect("a storage name");
                let key = settings["key"]
                    .as_str()
                    .or(settings["prefix"].as_str())
                    .expect("a key")
                    .to_string();
                let dir = format!("{}/{cloud}/{env}", definition.name());
                // The key is the output directory's path below `out/`.
                assert!(key.starts_with(&dir), "{key} is not under {dir}");
                if let Some(other) =
                    seen.insert((format!("{kind}:{storage}"), key.clone()), dir.clone())
                {
                    panic!("{dir} and {other} share the state key {key}");
                }
                // The region of the environment is the S3 bucket's default.
                if kind == "s3" {
                    let region = env.region(Cloud::Aws).unwrap_or("us-east-1");
                    assert_eq!(settings["region"], region, "{dir}");
                }
            }
        }
    }
    assert_eq!(seen.len(), 2 * 3 * 3);
}

#[test]
fn a_bad_name_fails_the_synth_naming_the_field_and_the_suggested_fix_passes() {
    let cases: [(&str, StateBackend); 4] = [
        (
            "S3Backend`, field `bucket",
            S3Backend::new("Acme_TFState").into(),
        ),
        (
            "GcsBackend`, field `bucket",
            GcsBackend::new("goog-state").into(),
        ),
        (
            "AzurermBackend`, field `storage_account",
            AzurermBackend::new("acme-tfstate", "acme-tf-state", "tfstate").into(),
        ),
        (
            "AzurermBackend`, field `container",
            AzurermBackend::new("acme-tfstate", "acmetfstate", "TF_State").into(),
        ),
    ];
    for (needle, backend) in cases {
        let cloud = backend.storage_cloud().expect("remote");
        let broken = backend.clone();
        let definition = stack("shop", move |_, _| broken.clone());
        let diagnostics = definition
            .synthesize(cloud, Environment::PRODUCTION)
            .expect_err("a bad name must fail the synth");
        let text = diagnostics.to_string();
        assert!(
            text.contains(&format!("stack `shop-production`, resource `{needle}`")),
            "{text}"
        );
        let problem = backend
            .check()
            .into_iter()
            .find(|p| p.is_error())
            .expect("an error");
        let fix = problem.suggestion.clone().expect("a suggested name");
        assert!(text.contains(&format!("such as `{fix}`")), "{text}");
        let fixed: StateBackend = match backend {
            StateBackend::S3(_) => S3Backend::new(fix).into(),
            StateBackend::Gcs(_) => GcsBackend::new(fix).into(),
            StateBackend::Azurerm(_) if problem.field == "storage_account" => {
                AzurermBackend::new("acme-tfstate", fix, "tfstate").into()
            }
            StateBackend::Azurerm(_) => {
                AzurermBackend::new("acme-tfstate", "acmetfstate", fix).into()
            }
            StateBackend::Local => unreachable!("remote backends only"),
        };
        let definition = stack("shop", move |_, _| fixed.clone());
        if let Err(d) = definition.synthesize(cloud, Environment::PRODUCTION) {
            panic!("the suggested fix does not synthesize:\n{d}");
        }
    }
}

#[test]
fn required_version_follows_use_lockfile() {
    let version = |lockfile: bool| {
        let definition = stack("shop", move |_, _| {
            S3Backend::new("acme-tfstate").use_lockfile(lockfile).into()
        });
        let out = definition
            .synthesize(Cloud::Aws, Environment::STAGING)
            .expect("valid");
        let d = doc(out.main_tf_json());
        (
            d["terraform"]["required_version"].clone(),
            d["terraform"]["backend"]["s3"].get("use_lockfile").cloned(),
            out.warnings().to_string(),
        )
    };
    let (on, lockfile, _) = version(true);
    assert_eq!((on, lockfile), (json!(">= 1.10"), Some(json!(true))));
    let (off, lockfile, warnings) = version(false);
    assert_eq!((off, lockfile), (json!(">= 1.5"), None));
    assert!(
        warnings.contains("resource `S3Backend`, field `use_lockfile`: the state is not locked"),
        "{warnings}"
    );
}

#[test]
fn the_local_backend_switch_adds_an_override_and_leaves_the_document_alone() {
    let root = tempfile::tempdir().unwrap();
    let definition = common::stacks::mlops::definition();
    let prod = Environment::PRODUCTION;
    let dir = output_dir(root.path(), "mlops", Cloud::Aws, prod);
    let plain = synth_to_dir(&definition, Cloud::Aws, prod, root.path()).expect("synth");
    assert!(
        plain.state.starts_with("s3://mlops-tfstate-production/"),
        "{}",
        plain.state
    );
    let document = std::fs::read(dir.join("main.tf.json")).unwrap();
    let report = synth_to_dir_with(
        &definition,
        Cloud::Aws,
        prod,
        root.path(),
        &SynthOptions::new().with_local_backend(true),
    )
    .expect("synth --local-backend");
    assert!(report.state.contains("never apply"), "{}", report.state);
    assert_eq!(std::fs::read(dir.join("main.tf.json")).unwrap(), document);
    let override_file: Json =
        serde_json::from_slice(&std::fs::read(dir.join(LOCAL_BACKEND_OVERRIDE)).unwrap()).unwrap();
    assert_eq!(
        override_file,
        json!({"terraform": {"backend": {"local": {}}}})
    );
    // The next synth without the switch removes it (the manifest knows it).
    synth_to_dir(&definition, Cloud::Aws, prod, root.path()).expect("synth");
    assert!(!dir.join(LOCAL_BACKEND_OVERRIDE).exists());
    // Local state needs no override.
    let dev = synth_to_dir_with(
        &definition,
        Cloud::Aws,
        Environment::DEV,
        root.path(),
        &SynthOptions::new().with_local_backend(true),
    )
    .expect("dev");
    assert!(!dev.dir.join(LOCAL_BACKEND_OVERRIDE).exists());
    assert!(dev.state.starts_with("local"), "{}", dev.state);
}

/// The bootstrap of the reference stack's production state on `cloud`.
fn bootstrap(cloud: Cloud, remote_state: bool) -> Json {
    let out = common::stacks::mlops::definition()
        .bootstrap(cloud, Environment::PRODUCTION, remote_state)
        .unwrap_or_else(|d| panic!("bootstrap {cloud}:\n{d}"));
    common::assert_schema_clean(
        cloud,
        out.main_tf_json(),
        &format!("bootstrap {cloud} production"),
    );
    assert!(out.warnings().is_empty(), "{cloud}: {}", out.warnings());
    doc(out.main_tf_json())
}

#[test]
fn the_aws_bootstrap_is_versioned_encrypted_private_tls_only_and_protected() {
    let d = bootstrap(Cloud::Aws, false);
    let r = &d["resource"];
    assert_eq!(
        r["aws_s3_bucket"]["state"]["bucket"],
        "mlops-tfstate-production"
    );
    assert_eq!(
        r["aws_s3_bucket"]["state"]["lifecycle"]["prevent_destroy"],
        true
    );
    assert_eq!(r["aws_s3_bucket"]["state"]["force_destroy"], false);
    assert_eq!(
        r["aws_s3_bucket_versioning"]["state"]["versioning_configuration"][0]["status"],
        "Enabled"
    );
    let sse = &r["aws_s3_bucket_server_side_encryption_configuration"]["state"]["rule"][0];
    assert_eq!(
        sse["apply_server_side_encryption_by_default"][0]["sse_algorithm"],
        "aws:kms"
    );
    assert_eq!(
        sse["apply_server_side_encryption_by_default"][0]["kms_master_key_id"],
        "${aws_kms_key.state.arn}"
    );
    for flag in [
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
    ] {
        assert_eq!(
            r["aws_s3_bucket_public_access_block"]["state"][flag], true,
            "{flag}"
        );
    }
    let policy = r["aws_s3_bucket_policy"]["state"]["policy"]
        .as_str()
        .unwrap();
    assert!(policy.contains("aws:SecureTransport"), "{policy}");
    // The key the backend names by alias is the one created here.
    assert_eq!(
        r["aws_kms_alias"]["state"]["name"],
        "alias/mlops-tfstate-production"
    );
    assert_eq!(r["aws_kms_key"]["state"]["enable_key_rotation"], true);
    assert_eq!(
        r["aws_kms_key"]["state"]["lifecycle"]["prevent_destroy"],
        true
    );
    // No DynamoDB table: S3's own lock file locks the state.
    assert!(r.get("aws_dynamodb_table").is_none());
    assert!(
        d["terraform"].get("backend").is_none(),
        "its own state is local"
    );
    assert_eq!(d["provider"]["aws"]["region"], "us-east-1");
}

#[test]
fn the_gcp_bootstrap_is_versioned_private_and_protected() {
    let d = bootstrap(Cloud::Gcp, false);
    let bucket = &d["resource"]["google_storage_bucket"]["state"];
    assert_eq!(bucket["name"], "mlops-tfstate-production");
    assert_eq!(bucket["public_access_prevention"], "enforced");
    assert_eq!(bucket["uniform_bucket_level_access"], true);
    assert_eq!(bucket["versioning"][0]["enabled"], true);
    assert_eq!(bucket["lifecycle"]["prevent_destroy"], true);
    assert!(d["variable"]["project_id"].is_object());
}

#[test]
fn a_gcs_key_is_created_and_granted_to_the_storage_agent() {
    let definition = stack("shop", |_, _| {
        GcsBackend::new("acme-tfstate")
            .project("acme-prod")
            .kms_key("tfstate", "state")
            .into()
    });
    let out = definition
        .bootstrap(Cloud::Gcp, Environment::PRODUCTION, false)
        .unwrap_or_else(|d| panic!("{d}"));
    common::assert_schema_clean(Cloud::Gcp, out.main_tf_json(), "gcs with a key");
    let d = doc(out.main_tf_json());
    let r = &d["resource"];
    assert_eq!(r["google_kms_key_ring"]["state"]["name"], "tfstate");
    assert_eq!(r["google_kms_crypto_key"]["state"]["name"], "state");
    assert_eq!(
        r["google_storage_bucket"]["state"]["encryption"][0]["default_kms_key_name"],
        "${google_kms_crypto_key.state.id}"
    );
    assert!(
        r["google_kms_crypto_key_iam_member"]["state_storage"]["member"]
            .as_str()
            .unwrap()
            .contains("gs-project-accounts")
    );
    assert_eq!(d["variable"]["project_id"]["default"], "acme-prod");
    let main = doc(definition
        .synthesize(Cloud::Gcp, Environment::PRODUCTION)
        .unwrap()
        .main_tf_json());
    assert_eq!(
        main["terraform"]["backend"]["gcs"]["kms_encryption_key"],
        "projects/acme-prod/locations/us-central1/keyRings/tfstate/cryptoKeys/state"
    );
}

#[test]
fn the_azure_bootstrap_is_entra_only_firewalled_private_and_locked() {
    let d = bootstrap(Cloud::Azure, false);
    let r = &d["resource"];
    let account = &r["azurerm_storage_account"]["state"];
    assert_eq!(account["name"], "mlopstfstateprd");
    assert_eq!(account["shared_access_key_enabled"], false);
    assert_eq!(account["https_traffic_only_enabled"], true);
    assert_eq!(account["min_tls_version"], "TLS1_2");
    assert_eq!(account["allow_nested_items_to_be_public"], false);
    assert_eq!(account["network_rules"][0]["default_action"], "Deny");
    assert_eq!(
        account["network_rules"][0]["ip_rules"],
        json!(["203.0.113.0/24"])
    );
    assert_eq!(account["blob_properties"][0]["versioning_enabled"], true);
    assert_eq!(account["lifecycle"]["prevent_destroy"], true);
    assert_eq!(
        r["azurerm_storage_container"]["state_tfstate"]["container_access_type"],
        "private"
    );
    assert_eq!(
        r["azurerm_management_lock"]["state_delete_lock"]["lock_level"],
        "CanNotDelete"
    );
    let role = &r["azurerm_role_assignment"]["state_blob_data"];
    assert_eq!(
        role["role_definition_name"],
        "Storage Blob Data Contributor"
    );
    assert_eq!(
        role["principal_id"],
        "${data.azurerm_client_config.current.object_id}"
    );
}

#[test]
fn with_remote_state_the_bootstrap_keeps_its_own_state_in_what_it_creates() {
    let d = bootstrap(Cloud::Aws, true);
    assert_eq!(
        d["terraform"]["backend"]["s3"]["key"],
        "mlops/bootstrap/aws/production/terraform.tfstate"
    );
    assert_eq!(d["terraform"]["required_version"], ">= 1.10");
    let d = bootstrap(Cloud::Azure, true);
    assert_eq!(
        d["terraform"]["backend"]["azurerm"]["key"],
        "mlops/bootstrap/azure/production/terraform.tfstate"
    );
}

#[test]
fn bootstrap_writes_its_own_directory_and_refuses_local_state() {
    let root = tempfile::tempdir().unwrap();
    let definition = common::stacks::mlops::definition();
    let report = bootstrap_to_dir(
        &definition,
        Cloud::Aws,
        Environment::STAGING,
        root.path(),
        false,
    )
    .expect("bootstrap");
    assert_eq!(
        report.dir,
        bootstrap_dir(root.path(), "mlops", Cloud::Aws, Environment::STAGING)
    );
    assert!(report.dir.ends_with("mlops/bootstrap/aws/staging"));
    assert!(report.state.starts_with("local"));
    let failure = bootstrap_to_dir(
        &definition,
        Cloud::Aws,
        Environment::DEV,
        root.path(),
        false,
    )
    .expect_err("dev keeps its state locally");
    let text = failure.to_string();
    assert!(
        text.contains("resource `StackDefinition`, field `state`")
            && text.contains("no storage to bootstrap"),
        "{text}"
    );
    assert!(!root.path().join("mlops/bootstrap/aws/dev").exists());
}

#[test]
fn one_bootstrap_owns_storage_that_stacks_share() {
    let app = App::new("acme")
        .stack(stack("shop", shared))
        .stack(stack("search", shared))
        .stack(stack("own", |env, _| {
            S3Backend::new(format!("acme-own-{env}")).into()
        }));
    let search = app.find_stack(Some("search")).unwrap();
    let shop = app.find_stack(Some("shop")).unwrap();
    let own = app.find_stack(Some("own")).unwrap();
    let prod = Environment::PRODUCTION;
    // The first stack, environment and cloud naming the storage owns it.
    assert_eq!(
        app.bootstrap_owner(shop, Cloud::Aws, Environment::DEV),
        None
    );
    assert_eq!(
        app.bootstrap_owner(shop, Cloud::Aws, prod),
        Some(("shop".to_string(), Cloud::Aws, Environment::DEV))
    );
    assert_eq!(
        app.bootstrap_owner(search, Cloud::Gcp, prod),
        Some(("shop".to_string(), Cloud::Gcp, Environment::DEV))
    );
    assert_eq!(app.bootstrap_owner(own, Cloud::Aws, prod), None);
    // The reference stack owns one storage per environment and cloud.
    let reference = App::new("infrasynth").stack(common::stacks::mlops::definition());
    let mlops = reference.find_stack(None).unwrap();
    for cloud in Cloud::ALL {
        assert_eq!(reference.bootstrap_owner(mlops, cloud, prod), None);
    }
}

#[test]
fn the_command_line_bootstraps_and_says_what_comes_next() {
    let root = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_infrasynth"))
        .args(["bootstrap", "gcp", "staging", "--out"])
        .arg(root.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("synthesized mlops/bootstrap/gcp/staging"),
        "{stdout}"
    );
    assert!(stdout.contains("bootstrap/gcp/staging init"), "{stdout}");
    assert!(
        stdout.contains("infrasynth synth gcp staging --stack mlops"),
        "{stdout}"
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_infrasynth"))
        .args(["bootstrap", "aws", "dev", "--out"])
        .arg(root.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no storage to bootstrap"));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_infrasynth"))
        .args(["synth", "azure", "production", "--local-backend", "--out"])
        .arg(root.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains(
            "state: local, for credential-free checks (backend_override.tf.json replaces azurerm"
        ),
        "{stdout}"
    );
}
