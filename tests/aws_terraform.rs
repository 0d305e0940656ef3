//! The AWS output against the real provider: `terraform init` from the offline
//! mirror, `terraform validate` for every environment, and `terraform plan`
//! for production with dummy credentials.
//!
//! Staging and production keep their state in S3. Staging is validated as
//! written with `terraform init -backend=false`; production goes through the
//! credential-free switch (`synth --local-backend`: `backend_override.tf.json`
//! swaps the S3 backend for local state), so `init` and `plan` run with no
//! AWS credentials in the environment at all.
//!
//! Needs `terraform` on PATH and hashicorp/aws in /opt/tf-plugins. Without
//! them the tests print `SKIPPED: terraform not found` and pass, unless the
//! `CI` environment variable is set, where they fail.

mod common;

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use infrasynth::app::{self as pipeline, SynthOptions};
use infrasynth::core::backend::LOCAL_BACKEND_OVERRIDE;
use infrasynth::{Cloud, Environment};
use serde_json::Value as Json;

use common::terraform::{
    assert_valid, init, plugin_cache, resource_count, PLAN_OFFLINE, PROVIDER_OVERRIDE,
};

/// Only one terraform at a time: the machine is small and the plugin cache is
/// shared between the working directories.
static TERRAFORM: Mutex<()> = Mutex::new(());

fn available() -> bool {
    common::terraform_available()
}

fn scratch() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("aws-terraform")
}

/// Runs `run` with the shared plugin cache in its environment, and times it.
fn timed<T>(run: impl FnOnce(&[(&str, &str)]) -> T) -> (T, Duration) {
    let cache = plugin_cache("aws-terraform");
    let started = Instant::now();
    let result = run(&[("TF_PLUGIN_CACHE_DIR", &cache)]);
    (result, started.elapsed())
}

/// How a test initializes the working directory.
#[derive(Clone, Copy, PartialEq)]
enum Init {
    /// `terraform init -backend=false`: enough for `validate`, whatever the
    /// backend.
    WithoutBackend,
    /// `synth --local-backend`, then a full `terraform init`: the backend is
    /// local state, so `plan` works too.
    LocalBackendSwitch,
}

/// Synthesizes `env` into its own directory and runs `terraform init`.
fn prepare(env: Environment, init: Init) -> (PathBuf, usize) {
    let options = SynthOptions::new().with_local_backend(init == Init::LocalBackendSwitch);
    let out = common::stacks::mlops::definition()
        .synthesize_with(Cloud::Aws, env, &options)
        .unwrap_or_else(|d| panic!("synth aws {env} failed:\n{d}"));
    let dir = scratch().join(env.as_str());
    let _ = std::fs::remove_file(dir.join("provider_override.tf.json"));
    let _ = std::fs::remove_file(dir.join(LOCAL_BACKEND_OVERRIDE));
    // A fresh init each time: the backend may differ from the last run's.
    let _ = std::fs::remove_dir_all(dir.join(".terraform"));
    let _ = std::fs::remove_file(dir.join("terraform.tfstate"));
    pipeline::write(&dir, &out).expect("write the synthesized files");
    let doc: Json = serde_json::from_str(out.main_tf_json()).expect("valid JSON");
    let resources = resource_count(&doc);
    let extra: &[&str] = match init {
        Init::WithoutBackend => &["-backend=false"],
        Init::LocalBackendSwitch => &[],
    };
    let (text, took) = timed(|cache| common::terraform::init(&dir, extra, cache));
    if init == Init::LocalBackendSwitch {
        assert!(
            text.contains("Successfully configured the backend \"local\""),
            "{text}"
        );
    }
    println!("aws {env}: terraform init {:.2}s", took.as_secs_f64());
    (dir, resources)
}

fn validate(env: Environment, init: Init) -> PathBuf {
    let (dir, resources) = prepare(env, init);
    let ((), took) = timed(|cache| assert_valid(&dir, cache, &format!("aws {env}")));
    println!(
        "aws {env}: terraform validate: valid, {resources} resources, {:.2}s",
        took.as_secs_f64()
    );
    dir
}

#[test]
fn terraform_validates_dev() {
    let _guard = TERRAFORM.lock().unwrap_or_else(|p| p.into_inner());
    if available() {
        validate(Environment::DEV, Init::WithoutBackend);
    }
}

#[test]
fn terraform_validates_staging() {
    let _guard = TERRAFORM.lock().unwrap_or_else(|p| p.into_inner());
    if available() {
        // The S3 backend as written; -backend=false never contacts it.
        validate(Environment::STAGING, Init::WithoutBackend);
    }
}

#[test]
fn terraform_validates_and_plans_production() {
    let _guard = TERRAFORM.lock().unwrap_or_else(|p| p.into_inner());
    if !available() {
        return;
    }
    // `plan` needs an initialized backend: the switch makes it local.
    let dir = validate(Environment::PRODUCTION, Init::LocalBackendSwitch);
    let doc: Json = serde_json::from_str(
        &std::fs::read_to_string(dir.join("main.tf.json")).expect("read main.tf.json"),
    )
    .expect("valid JSON");
    // The document keeps its S3 backend; only the override makes it local.
    assert_eq!(doc["terraform"]["backend"]["s3"]["use_lockfile"], true);
    assert_eq!(doc["terraform"]["required_version"], ">= 1.10");
    let resources = resource_count(&doc);
    let override_file = dir.join("provider_override.tf.json");
    std::fs::write(&override_file, PROVIDER_OVERRIDE).expect("write the provider override");
    let ((ok, text), took) = timed(|cache| common::terraform(&dir, PLAN_OFFLINE, cache));
    let _ = std::fs::remove_file(&override_file);
    assert!(ok, "terraform plan failed for production:\n{text}");
    let expected = format!("Plan: {resources} to add, 0 to change, 0 to destroy.");
    assert!(
        text.contains(&expected),
        "expected `{expected}` in:\n{text}"
    );
    assert!(!text.contains("Warning:"), "plan printed warnings:\n{text}");
    println!(
        "aws production: terraform plan: {expected} {:.2}s",
        took.as_secs_f64()
    );
}

/// The escape hatch writes what Terraform reads. Terraform evaluates the keys
/// of a JSON object expression as templates, so a tag key `a${b}` must be
/// written `a$${b}` (Terraform 1.11 docs, "JSON Configuration Syntax":
/// "the property names ... are interpreted as string templates"); and
/// `lifecycle.replace_triggered_by` and `depends_on` take bare references,
/// refused as `${...}` templates ("JSON Configuration Syntax", lifecycle and
/// depends_on). `terraform validate` with hashicorp/aws 5.100.0 is the check.
#[test]
fn escape_hatch_keys_and_reference_meta_arguments_validate() {
    use infrasynth::{Stack, Value};
    use std::collections::BTreeMap;
    if !available() {
        return;
    }
    let _guard = TERRAFORM.lock().unwrap_or_else(|p| p.into_inner());
    let mut stack = Stack::new("hatch");
    stack.require_provider("aws", "hashicorp/aws", "5.100.0");
    stack.provider(
        "aws",
        BTreeMap::from([("region".to_string(), Value::from("eu-west-1"))]),
    );
    let trigger = stack.raw_resource(
        "aws_sns_topic",
        "trigger",
        infrasynth::Attributes::new().set("name", "trigger"),
    );
    let topic = stack.raw_resource(
        "aws_sns_topic",
        "topic",
        infrasynth::Attributes::new().set("name", "topic"),
    );
    stack.set_raw(
        &topic,
        "tags",
        BTreeMap::from([("a${b}".to_string(), Value::from("%{x}"))]),
    );
    stack.set_raw(&topic, "lifecycle.replace_triggered_by", vec![trigger.id()]);
    stack.set_raw(&topic, "depends_on", vec![trigger.attr::<String>("arn")]);
    let out = stack.synth().unwrap_or_else(|d| panic!("{d}"));
    let doc: Json = serde_json::from_str(out.main_tf_json()).unwrap();
    let written = &doc["resource"]["aws_sns_topic"]["topic"];
    assert_eq!(written["tags"], serde_json::json!({"a$${b}": "%%{x}"}));
    assert_eq!(
        written["lifecycle"]["replace_triggered_by"],
        serde_json::json!(["aws_sns_topic.trigger.id"])
    );
    assert_eq!(
        written["depends_on"],
        serde_json::json!(["aws_sns_topic.trigger"])
    );

    let dir = scratch().join("escape-hatch");
    let _ = std::fs::remove_dir_all(&dir);
    pipeline::write(&dir, &out).unwrap();
    timed(|cache| {
        init(&dir, &[], cache);
        assert_valid(&dir, cache, "the escaped document");
    });
}
