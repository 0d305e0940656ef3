//! `lookup gcp` live (feature `gcp`): the preflight of the GCS state bucket
//! against gcp-storage-emulator (PyPI, installed by scripts/install-tools.sh)
//! on 127.0.0.1, started and stopped by each test, reached through
//! `STORAGE_EMULATOR_HOST` as every Google client does; then the facts in a
//! context file failing or passing the synth of a stack whose `GcsBackend`
//! names the bucket.
//!
//! What the emulator models: it stores and returns the bucket's
//! `versioning` and `iamConfiguration` (uniform bucket-level access, public
//! access prevention) as set through the JSON API (`PATCH
//! /storage/v1/b/{bucket}`), and answers 404 for a missing bucket. It does
//! not enforce them (nor IAM: no 403), so what is tested is that the
//! preflight reads each field of a real `buckets.get` answer, not Cloud
//! Storage's behaviour.
//!
//! Tests that need the emulator say SKIPPED when it is missing, and fail
//! when `CI` is set.

mod common;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use infrasynth::app::{StackDefinition, SynthOptions};
use infrasynth::core::context::Context;
use infrasynth::core::live::{LiveErrorKind, RetryPolicy};
use infrasynth::gcp::facts::{GcpFacts, GcpLookup, StateBucketFacts};
use infrasynth::gcp::live::{lookup, STORAGE_EMULATOR_HOST};
use infrasynth::helm::HelmSettings;
use infrasynth::platform::Platform;
use infrasynth::state::GcsBackend;
use infrasynth::{Cloud, Environment};
use serde_json::json;

use common::gcs::{self, GcsEmulator};

/// `STORAGE_EMULATOR_HOST` is the process's: one test at a time sets it.
static ENV: Mutex<()> = Mutex::new(());

fn env_lock() -> MutexGuard<'static, ()> {
    ENV.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The emulator, or `None` (reported through `common::skip`).
fn emulator(test: &str) -> Option<GcsEmulator> {
    let Some(python) = gcs::python() else {
        common::skip(&format!(
            "{test}: gcp-storage-emulator is not installed (run scripts/install-tools.sh)"
        ));
        return None;
    };
    let log = std::env::temp_dir().join(format!("infrasynth-{test}-{}.log", std::process::id()));
    Some(GcsEmulator::start(&python, &log))
}

/// A bucket fit to hold state, as `infrasynth bootstrap gcp` makes it.
fn good_settings() -> serde_json::Value {
    json!({
        "versioning": {"enabled": true},
        "iamConfiguration": {
            "uniformBucketLevelAccess": {"enabled": true},
            "publicAccessPrevention": "enforced"
        }
    })
}

/// A bucket made with `gcloud storage buckets create` and no flags: no
/// versioning, fine-grained ACLs, public access prevention inherited.
fn bad_settings() -> serde_json::Value {
    json!({
        "versioning": {"enabled": false},
        "iamConfiguration": {
            "uniformBucketLevelAccess": {"enabled": false},
            "publicAccessPrevention": "inherited"
        }
    })
}

fn quick() -> RetryPolicy {
    RetryPolicy {
        attempt_timeout: Duration::from_secs(5),
        max_attempts: 2,
        initial_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(100),
    }
}

fn query(bucket: &str) -> GcpLookup {
    GcpLookup {
        state_bucket: Some(bucket.to_string()),
    }
}

/// A small stack keeping its state in the GCS bucket `bucket`.
fn stack(bucket: &str) -> StackDefinition {
    let bucket = bucket.to_string();
    StackDefinition::new("shop", |env| Platform::new("shop", env))
        .helm(|_| HelmSettings::new().with_acme_contact("platform@acme.dev"))
        .state(move |_, _| GcsBackend::new(bucket.clone()).into())
}

#[test]
fn the_preflight_reads_a_good_and_a_bad_bucket_from_the_emulator() {
    let _env = env_lock();
    let Some(emulator) = emulator("gcs-good-bad") else {
        return;
    };
    emulator.create_bucket("acme-tfstate-good", &good_settings());
    emulator.create_bucket("acme-tfstate-bad", &bad_settings());
    std::env::set_var(STORAGE_EMULATOR_HOST, &emulator.host);
    let good = lookup(&query("acme-tfstate-good"), &quick());
    let bad = lookup(&query("acme-tfstate-bad"), &quick());
    std::env::remove_var(STORAGE_EMULATOR_HOST);
    assert_eq!(
        good.expect("good bucket").state_bucket,
        Some(StateBucketFacts {
            name: "acme-tfstate-good".to_string(),
            exists: true,
            versioning: true,
            uniform_bucket_level_access: true,
            public_access_prevention: "enforced".to_string(),
        })
    );
    let bad = bad.expect("bad bucket").state_bucket.expect("a bucket");
    assert_eq!(
        bad,
        StateBucketFacts {
            name: "acme-tfstate-bad".to_string(),
            exists: true,
            versioning: false,
            uniform_bucket_level_access: false,
            public_access_prevention: "inherited".to_string(),
        }
    );
    assert_eq!(bad.problems().len(), 3, "{:?}", bad.problems());
}

#[test]
fn a_missing_bucket_is_exists_false_not_an_error() {
    let _env = env_lock();
    let Some(emulator) = emulator("gcs-missing") else {
        return;
    };
    std::env::set_var(STORAGE_EMULATOR_HOST, format!("http://{}", emulator.host));
    let facts = lookup(&query("acme-tfstate-nowhere"), &quick());
    std::env::remove_var(STORAGE_EMULATOR_HOST);
    let bucket = facts
        .expect("a 404 is a fact")
        .state_bucket
        .expect("a bucket");
    assert!(!bucket.exists, "{bucket:?}");
    assert!(bucket.problems()[0].0.contains("does not exist"));
}

#[test]
fn synth_fails_on_the_bad_state_bucket_with_the_fix_and_passes_on_the_good_one() {
    let _env = env_lock();
    let Some(emulator) = emulator("gcs-synth") else {
        return;
    };
    emulator.create_bucket("shop-state-good", &good_settings());
    emulator.create_bucket("shop-state-bad", &bad_settings());
    std::env::set_var(STORAGE_EMULATOR_HOST, &emulator.host);
    let env = Environment::STAGING;
    let synth = |bucket: &str| {
        let definition = stack(bucket);
        // What `lookup gcp staging` asks of the stack, from the stack itself.
        let (_, realized) = definition.realize(Cloud::Gcp, env);
        let asked = GcpLookup::of(&realized);
        assert_eq!(asked, query(bucket));
        let facts: GcpFacts = lookup(&asked, &quick()).expect("lookup");
        let mut context = Context::new();
        context
            .set(&Context::key("shop", Cloud::Gcp, env), &facts)
            .expect("record");
        let options = SynthOptions::new().with_context(Some(Arc::new(context)));
        definition.synthesize_with(Cloud::Gcp, env, &options)
    };
    let bad = synth("shop-state-bad");
    let good = synth("shop-state-good");
    std::env::remove_var(STORAGE_EMULATOR_HOST);
    let diagnostics = bad.expect_err("the bad bucket fails synth");
    let text = diagnostics.to_string();
    assert_eq!(diagnostics.errors().count(), 3, "{text}");
    for fix in [
        "gcloud storage buckets update gs://shop-state-bad --versioning",
        "gcloud storage buckets update gs://shop-state-bad --uniform-bucket-level-access",
        "gcloud storage buckets update gs://shop-state-bad --public-access-prevention",
    ] {
        assert!(text.contains(fix), "missing `{fix}` in:\n{text}");
    }
    assert!(text.contains("bucket"), "{text}");
    if let Err(diagnostics) = good {
        panic!("the good bucket must synthesize:\n{diagnostics}");
    }
}

#[test]
fn an_unreachable_emulator_is_a_network_error_naming_the_call_in_bounded_time() {
    let _env = env_lock();
    // A port that was free a moment ago: nothing listens on it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    std::env::set_var(STORAGE_EMULATOR_HOST, format!("127.0.0.1:{port}"));
    let started = Instant::now();
    let result = lookup(&query("acme-tfstate"), &quick());
    let took = started.elapsed();
    std::env::remove_var(STORAGE_EMULATOR_HOST);
    let error = result.expect_err("nothing listens");
    assert_eq!(error.kind, LiveErrorKind::Network, "{error}");
    assert_eq!(error.call, "storage.buckets.get (gs://acme-tfstate)");
    let text = error.to_string();
    assert!(text.contains("(after 2 attempts)"), "{text}");
    assert!(text.contains("STORAGE_EMULATOR_HOST"), "{text}");
    // Two refused connections and one 50 ms backoff: far below the bound.
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn a_stack_without_a_gcs_backend_is_not_looked_up() {
    // No call is made: this passes with no emulator and no credentials.
    let facts = lookup(&GcpLookup::default(), &quick()).expect("nothing to look up");
    assert_eq!(facts, GcpFacts::default());
}

#[test]
fn unreadable_credentials_are_no_credentials_with_the_gcloud_fix() {
    let _env = env_lock();
    std::env::remove_var(STORAGE_EMULATOR_HOST);
    let missing = std::env::temp_dir().join("infrasynth-no-such-adc.json");
    let previous = std::env::var_os("GOOGLE_APPLICATION_CREDENTIALS");
    std::env::set_var("GOOGLE_APPLICATION_CREDENTIALS", &missing);
    let result = lookup(&query("acme-tfstate"), &quick());
    match previous {
        Some(value) => std::env::set_var("GOOGLE_APPLICATION_CREDENTIALS", value),
        None => std::env::remove_var("GOOGLE_APPLICATION_CREDENTIALS"),
    }
    let error = result.expect_err("no credentials file");
    assert_eq!(error.kind, LiveErrorKind::NoCredentials, "{error}");
    assert!(
        error.fix.contains("gcloud auth application-default login"),
        "{error}"
    );
}

/// The reference program, run in `dir` (where it keeps the context file)
/// with `STORAGE_EMULATOR_HOST` set to `host` for that process only.
fn infrasynth(dir: &std::path::Path, host: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_infrasynth"))
        .args(args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", common::SUPPORT_EPOCH)
        .env(STORAGE_EMULATOR_HOST, host)
        .output()
        .expect("run infrasynth")
}

/// The bucket the reference stack keeps its GCP staging state in.
fn reference_bucket() -> String {
    let (_, stack) = common::definition().realize(Cloud::Gcp, Environment::STAGING);
    GcpLookup::of(&stack)
        .state_bucket
        .expect("the reference stack keeps staging state in GCS")
}

#[test]
fn lookup_gcp_writes_the_context_file_and_synth_passes_with_it() {
    let Some(emulator) = emulator("gcs-cli") else {
        return;
    };
    let bucket = reference_bucket();
    emulator.create_bucket(&bucket, &good_settings());
    let dir = tempfile::tempdir().unwrap();
    let run = infrasynth(dir.path(), &emulator.host, &["lookup", "gcp", "staging"]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        stdout.contains(&format!("state bucket gs://{bucket} exists, versioned")),
        "{stdout}"
    );
    let context = Context::load(&dir.path().join("infrasynth.context.json"))
        .expect("reads")
        .expect("written");
    let facts: GcpFacts = context
        .get(&Context::key("mlops", Cloud::Gcp, Environment::STAGING))
        .expect("GCP facts")
        .expect("an entry");
    assert!(facts.state_bucket.expect("bucket").problems().is_empty());
    let out = dir.path().join("out");
    let run = infrasynth(
        dir.path(),
        &emulator.host,
        &["synth", "gcp", "staging", "--out", out.to_str().unwrap()],
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

#[test]
fn a_failed_lookup_leaves_the_context_file_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("infrasynth.context.json");
    // A file from an earlier lookup, with facts of another target.
    let mut earlier = Context::new();
    earlier
        .set(
            &Context::key("mlops", Cloud::Gcp, Environment::DEV),
            &GcpFacts::default(),
        )
        .unwrap();
    earlier.save(&path).unwrap();
    let before = std::fs::read(&path).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let started = Instant::now();
    let run = infrasynth(
        dir.path(),
        &format!("127.0.0.1:{port}"),
        &["lookup", "gcp", "staging", "--refresh"],
    );
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "storage.buckets.get (gs://{}): the endpoint cannot be reached",
            reference_bucket()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("(after 4 attempts)"), "{stderr}");
    assert!(
        stderr.contains("infrasynth.context.json is unchanged"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);
    // The default policy: 4 refused connections, waits of 0.5, 1 and 2 s.
    assert!(took < Duration::from_secs(20), "took {took:?}");
}
