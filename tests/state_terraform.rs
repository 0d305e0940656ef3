//! State against the real Terraform: the AWS bootstrap through `terraform
//! validate` and an offline `plan`; the GCS and azurerm backend blocks as
//! Terraform 1.11's own backends read them; and, on a local moto server, the
//! whole path a new user takes: apply the bootstrap, move its own state into
//! the bucket it made (`init -migrate-state`), see the S3 lock file hold off
//! a second run, and keep a stack's state in the bucket.
//!
//! Needs `terraform` on PATH with hashicorp/aws in /opt/tf-plugins, and for
//! the moto test a Python with moto[server] and boto3
//! (`scripts/install-tools.sh`). Without them the tests print `SKIPPED` and
//! pass, unless `CI` is set, where they fail.

mod common;

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use infrasynth::app::write;
use infrasynth::{Cloud, Environment};
use serde_json::{json, Value as Json};

use common::moto::{provider_override, python, Moto};
use common::terraform::{assert_valid, init, resource_count, PROVIDER_OVERRIDE};
use common::{skip, terraform};

/// One terraform at a time: the machine is small.
static TERRAFORM: Mutex<()> = Mutex::new(());

fn terraform_missing() -> bool {
    !common::terraform_available()
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("state-terraform")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

#[test]
fn the_aws_bootstrap_validates_and_plans_without_credentials() {
    let _guard = TERRAFORM.lock().unwrap_or_else(|p| p.into_inner());
    if terraform_missing() {
        return;
    }
    let out = common::stacks::mlops::definition()
        .bootstrap(Cloud::Aws, Environment::PRODUCTION, false)
        .unwrap_or_else(|d| panic!("{d}"));
    let doc: Json = serde_json::from_str(out.main_tf_json()).expect("JSON");
    let dir = scratch("bootstrap-aws");
    write(&dir, &out).expect("write");
    init(&dir, &[], &[]);
    assert_valid(&dir, &[], "the aws bootstrap");
    std::fs::write(dir.join("provider_override.tf.json"), PROVIDER_OVERRIDE).expect("write");
    let (ok, text) = terraform(
        &dir,
        &["plan", "-input=false", "-refresh=false", "-no-color"],
        &[],
    );
    assert!(ok, "plan failed:\n{text}");
    let expected = format!(
        "Plan: {} to add, 0 to change, 0 to destroy.",
        resource_count(&doc)
    );
    assert!(
        text.contains(&expected),
        "expected `{expected}` in:\n{text}"
    );
    assert!(!text.contains("Warning:"), "{text}");
    println!("bootstrap aws production: terraform validate: valid; {expected}");
}

/// Only the Google and Azure backends are in the terraform binary (their
/// providers are not offline), so their blocks are checked by `terraform
/// init` itself: it validates the block against the backend's schema before
/// looking for credentials, so an error about credentials (and not about an
/// argument) means the block as synthesized is accepted.
#[test]
fn the_gcs_and_azurerm_blocks_are_accepted_by_terraforms_own_backends() {
    let _guard = TERRAFORM.lock().unwrap_or_else(|p| p.into_inner());
    if terraform_missing() {
        return;
    }
    for (cloud, credentials) in [(Cloud::Gcp, "credentials"), (Cloud::Azure, "authorizer")] {
        let out = common::synth(cloud, Environment::PRODUCTION);
        let doc: Json = serde_json::from_str(out.main_tf_json()).expect("JSON");
        let backend = doc["terraform"]["backend"].clone();
        assert!(backend.is_object(), "{cloud}: no backend");
        let dir = scratch(&format!("backend-{cloud}"));
        let only_backend = json!({"terraform": {"backend": backend}});
        std::fs::write(dir.join("main.tf.json"), only_backend.to_string()).expect("write");
        let (_, text) = terraform(&dir, &["init", "-input=false", "-no-color"], &[]);
        for config_error in [
            "Unsupported argument",
            "Missing required argument",
            "Invalid value",
            "Incorrect attribute value type",
        ] {
            assert!(!text.contains(config_error), "{cloud}: {text}");
        }
        assert!(
            text.contains(credentials),
            "{cloud}: expected terraform to get as far as credentials:\n{text}"
        );
        let first = text
            .lines()
            .find(|l| l.contains("Error"))
            .unwrap_or_default()
            .trim();
        println!("{cloud} backend block accepted; init stops at: {first}");
    }
}

/// Test-only additions to the S3 backend block, merged by `terraform init
/// -backend-config=<file>` with what `main.tf.json` declares.
fn backend_config(endpoint: &str) -> String {
    format!(
        "endpoints = {{\n  s3  = \"{endpoint}\"\n  sts = \"{endpoint}\"\n  iam = \"{endpoint}\"\n}}\nuse_path_style = true\nskip_credentials_validation = true\nskip_requesting_account_id = true\nskip_metadata_api_check = true\naccess_key = \"testing\"\nsecret_key = \"testing\"\n"
    )
}

#[test]
fn on_moto_the_bootstrap_holds_its_own_state_and_a_stacks_locked_and_encrypted() {
    let _guard = TERRAFORM.lock().unwrap_or_else(|p| p.into_inner());
    if terraform_missing() {
        return;
    }
    let Some(python) = python() else {
        skip("no Python with moto[server] and boto3 (scripts/install-tools.sh)");
        return;
    };
    let root = scratch("moto");
    let moto = Moto::start(&python, &root.join("moto.log"));
    let endpoint = moto.endpoint.clone();
    let config = root.join("moto.s3.tfbackend");
    std::fs::write(&config, backend_config(&endpoint)).expect("write");
    let backend_config = format!("-backend-config={}", config.display());
    let env = [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ];
    let definition = common::stacks::mlops::definition();
    let prod = Environment::PRODUCTION;
    let bucket = "mlops-tfstate-production";

    // 1. The bootstrap, applied with local state.
    let boot = root.join("bootstrap");
    let out = definition
        .bootstrap(Cloud::Aws, prod, false)
        .unwrap_or_else(|d| panic!("{d}"));
    write(&boot, &out).expect("write");
    // moto evaluates `Bool aws:SecureTransport = false` without the request's
    // transport, so the TLS-only deny matches every object request, even over
    // TLS (moto/s3/responses.py: bucket.get_permission gets no condition
    // values). The policy is left out of this apply, loudly; the document's
    // tests check it.
    println!(
        "moto gap: aws_s3_bucket_policy.state (TLS only) left out: moto denies every object request under it"
    );
    std::fs::write(
        boot.join("zz_moto_override.tf.json"),
        provider_override(
            &endpoint,
            json!({"aws_s3_bucket_policy": {"state": {"count": 0}}}),
        ),
    )
    .expect("write");
    init(&boot, &[], &env);
    let started = Instant::now();
    let (ok, text) = terraform(
        &boot,
        &["apply", "-auto-approve", "-input=false", "-no-color"],
        &env,
    );
    assert!(ok, "bootstrap apply failed:\n{text}");
    let applied = text
        .lines()
        .find(|l| l.starts_with("Apply complete!"))
        .unwrap_or_default()
        .to_string();
    println!(
        "bootstrap apply on moto: {applied} ({:.0}s)",
        started.elapsed().as_secs_f64()
    );
    let versioning = moto.boto3(
        &format!("print(s3.get_bucket_versioning(Bucket='{bucket}')['Status'], s3.get_bucket_encryption(Bucket='{bucket}')['ServerSideEncryptionConfiguration']['Rules'][0]['ApplyServerSideEncryptionByDefault']['SSEAlgorithm'], s3.get_public_access_block(Bucket='{bucket}')['PublicAccessBlockConfiguration']['RestrictPublicBuckets'])"),
    );
    assert_eq!(versioning, "Enabled aws:kms True");

    // 2. Its own state moves into the bucket it made.
    let out = definition
        .bootstrap(Cloud::Aws, prod, true)
        .unwrap_or_else(|d| panic!("{d}"));
    write(&boot, &out).expect("write");
    let text = init(
        &boot,
        &["-migrate-state", "-force-copy", &backend_config],
        &env,
    );
    assert!(
        text.contains("Successfully configured the backend \"s3\""),
        "{text}"
    );
    let key = "mlops/bootstrap/aws/production/terraform.tfstate";
    let object = moto.boto3(
        &format!("h = s3.head_object(Bucket='{bucket}', Key='{key}'); print(h['ServerSideEncryption'], h['SSEKMSKeyId'])"),
    );
    assert_eq!(object, "aws:kms alias/mlops-tfstate-production");
    println!("bootstrap state migrated to s3://{bucket}/{key}: {object}");
    let (ok, text) = terraform(&boot, &["plan", "-input=false", "-no-color"], &env);
    assert!(
        ok,
        "the bootstrap does not plan from its remote state:\n{text}"
    );
    // moto keeps no EventBridge setting on bucket notifications, so it reads
    // back `eventbridge = false`; any other change would be a real drift.
    let changed: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("# "))
        .filter(|l| l.contains(" will be "))
        .filter_map(|l| l.split(' ').next())
        .collect();
    assert!(
        text.contains("No changes.")
            || (text.contains("Plan: 0 to add, 1 to change, 0 to destroy.")
                && changed == ["aws_s3_bucket_notification.state"]
                && text.contains("eventbridge = false -> true")),
        "the bootstrap drifts after migrating its state:\n{text}"
    );
    println!(
        "bootstrap plan from its remote state: nothing to add or destroy{}",
        if changed.is_empty() {
            String::new()
        } else {
            " (moto gap: aws_s3_bucket_notification.state reads back eventbridge = false)"
                .to_string()
        }
    );

    // 3. The lock file: while another run holds the lock, this one waits and fails.
    let lock = format!("{key}.tflock");
    let refused = moto.boto3(
        &format!(
            "s3.put_object(Bucket='{bucket}', Key='{lock}', Body=json.dumps({{'ID': 'held-by-test', 'Operation': 'OperationTypeApply', 'Who': 'ci@elsewhere', 'Version': '1.11.4', 'Created': '2026-01-01T00:00:00Z', 'Path': '{key}'}}).encode())\ntry:\n    s3.put_object(Bucket='{bucket}', Key='{lock}', Body=b'x', IfNoneMatch='*')\n    print('conditional write accepted')\nexcept Exception as e:\n    print(type(e).__name__, e.response['Error']['Code'])"
        ),
    );
    println!("moto conditional write of an existing lock file: {refused}");
    let (ok, text) = terraform(
        &boot,
        &["plan", "-input=false", "-no-color", "-lock-timeout=2s"],
        &env,
    );
    assert!(!ok, "plan ran although the state was locked:\n{text}");
    assert!(
        text.contains("Error acquiring the state lock") && text.contains("held-by-test"),
        "{text}"
    );
    println!(
        "plan while another run holds the lock: Error acquiring the state lock (ID held-by-test)"
    );
    moto.boto3(&format!(
        "s3.delete_object(Bucket='{bucket}', Key='{lock}')"
    ));

    // 4. A stack's state in the bucket: the reference dev stack with the
    //    production bucket as its backend (dev keeps local state otherwise).
    let stack = common::stacks::mlops::definition()
        .state(|_, _| common::stacks::mlops::state(Environment::PRODUCTION, Cloud::Aws));
    let out = stack
        .synthesize(Cloud::Aws, Environment::DEV)
        .unwrap_or_else(|d| panic!("{d}"));
    let dev = root.join("dev");
    write(&dev, &out).expect("write");
    std::fs::write(
        dev.join("zz_moto_override.tf.json"),
        provider_override(&endpoint, Json::Null),
    )
    .expect("write");
    init(&dev, &[&backend_config], &env);
    let (ok, text) = terraform(
        &dev,
        &[
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            "-target=aws_vpc.main",
        ],
        &env,
    );
    assert!(ok, "dev apply -target=aws_vpc.main failed:\n{text}");
    let (ok, listed) = terraform(&dev, &["state", "list"], &env);
    assert!(ok && listed.contains("aws_vpc.main"), "{listed}");
    let key = "mlops/aws/dev/terraform.tfstate";
    let object = moto.boto3(
        &format!("h = s3.head_object(Bucket='{bucket}', Key='{key}'); print(h['ServerSideEncryption'], h['SSEKMSKeyId'])\nprint(sorted(o['Key'] for o in s3.list_objects_v2(Bucket='{bucket}')['Contents']))"),
    );
    assert!(
        object.starts_with("aws:kms alias/mlops-tfstate-production"),
        "{object}"
    );
    assert!(
        object.contains("mlops/bootstrap/aws/production/terraform.tfstate"),
        "{object}"
    );
    assert!(
        !object.contains(".tflock"),
        "a lock file was left behind: {object}"
    );
    println!("dev stack state in the bucket: s3://{bucket}/{key}; objects: {object}");
}
