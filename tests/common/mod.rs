//! Helpers shared by the integration tests: synthesize the reference stack,
//! snapshot it, and check it against the provider schemas bundled in the library.
#![allow(dead_code)]

#[path = "../../stacks/mod.rs"]
pub mod stacks;

pub mod gcs;
pub mod moto;
pub mod terraform;

use std::path::PathBuf;

use infrasynth::app::StackDefinition;
use infrasynth::core::calendar::Date;
use infrasynth::platform::{self, outputs, Platform};
use infrasynth::schema::{self, BundledSchema};
use infrasynth::{Cloud, Diagnostics, Environment, Synthesized};

/// The first Python that runs `import` (a Python statement, such as
/// `import moto.server, boto3`): `E2E_PYTHON`, the venv
/// `scripts/install-tools.sh` makes (under `INFRASYNTH_TOOLS_DIR`, else
/// `$XDG_CACHE_HOME/infrasynth` or `~/.cache/infrasynth`), or `python3`.
pub fn python_with(import: &str) -> Option<PathBuf> {
    let cache = std::env::var("INFRASYNTH_TOOLS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            std::env::var("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|_| {
                    PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache")
                })
                .join("infrasynth")
        });
    let candidates = [
        std::env::var("E2E_PYTHON").map(PathBuf::from).ok(),
        Some(cache.join("venv/bin/python")),
        Some(PathBuf::from("python3")),
    ];
    candidates.into_iter().flatten().find(|python| {
        std::process::Command::new(python)
            .args(["-c", import])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The day the tests judge Kubernetes and database versions on: the day the
/// reference stack's versions were last chosen, so no test changes its verdict
/// as support windows close (`app::support_date`; the CLI reads
/// `SOURCE_DATE_EPOCH`, [`SUPPORT_EPOCH`]).
pub const SUPPORT_DATE: Date = Date::ymd(2026, 11, 29);

/// [`SUPPORT_DATE`] as seconds since the Unix epoch.
pub const SUPPORT_EPOCH: &str = "1795910400";

/// The reference stack, judged on [`SUPPORT_DATE`].
pub fn definition() -> StackDefinition {
    stacks::mlops::definition().support_date(SUPPORT_DATE)
}

/// Synthesizes the reference stack, failing the test with every diagnostic.
pub fn synth(cloud: Cloud, env: Environment) -> Synthesized {
    let definition = definition();
    match definition.synthesize(cloud, env) {
        Ok(out) => out,
        Err(diagnostics) => panic!("synth {cloud} {env} failed:\n{diagnostics}"),
    }
}

/// Realizes and finishes `platform` on `cloud` with the reference stack's
/// Helm settings, a synth that must fail, and returns its diagnostics; `case`
/// names it in the panic if it does not fail.
pub fn synth_errors(platform: &Platform, cloud: Cloud, case: &str) -> Diagnostics {
    let (stack, _) = platform::realize_as_of(platform, cloud, SUPPORT_DATE);
    let helm = stacks::mlops::helm_settings(platform.environment);
    match infrasynth::app::finish(platform, cloud, &stack, &helm) {
        Ok(_) => panic!("case `{case}` synthesized on {cloud} but must fail"),
        Err(diagnostics) => diagnostics,
    }
}

/// The provider name and resource type prefix of a cloud.
pub fn provider_of(cloud: Cloud) -> (&'static str, &'static str) {
    match cloud {
        Cloud::Aws => ("aws", "aws_"),
        Cloud::Gcp => ("google", "google_"),
        Cloud::Azure => ("azurerm", "azurerm_"),
    }
}

/// The bundled schema of a cloud's provider (`providers/<name>/schema.txt`,
/// built into the library).
pub fn schema(cloud: Cloud) -> &'static BundledSchema {
    schema::for_cloud(cloud)
}

/// Every schema violation of a document, as text: every block against the
/// bundled schema of its own provider.
pub fn schema_violations(main_tf_json: &str) -> Vec<String> {
    let doc: serde_json::Value = serde_json::from_str(main_tf_json).expect("valid JSON");
    schema::check_document(&doc)
        .violations
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// Asserts that a document has no schema violations, listing them all if not.
pub fn assert_schema_clean(cloud: Cloud, main_tf_json: &str, label: &str) {
    let doc: serde_json::Value = serde_json::from_str(main_tf_json).expect("valid JSON");
    let report = schema::check_document(&doc);
    let schema = schema(cloud);
    println!(
        "schema check {label}: {} blocks checked against the bundled schemas (hashicorp/{} {}), {} skipped {:?}, {} violation(s)",
        report.checked,
        schema.provider(),
        schema.version(),
        report.skipped.len(),
        report.skipped_by_provider(),
        report.violations.len()
    );
    if !report.violations.is_empty() {
        let list: Vec<String> = report.violations.iter().map(ToString::to_string).collect();
        panic!(
            "{label}: {} schema violation(s):\n  {}",
            list.len(),
            list.join("\n  ")
        );
    }
}

/// Snapshots a text file under `snapshots/` as `<name>.snap`.
pub fn assert_snapshot(name: &str, text: &str) {
    insta::with_settings!({
        snapshot_path => root().join("snapshots"),
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

/// The output names that follow from `platform`'s own lists: one per bucket,
/// workload identity and database.
pub fn named_outputs(platform: &Platform) -> Vec<String> {
    let buckets = platform.buckets.iter().map(|b| outputs::bucket(&b.name));
    let workloads = platform
        .workloads
        .iter()
        .map(|w| outputs::workload_identity(&w.name));
    let databases = platform
        .database
        .databases
        .iter()
        .map(|d| outputs::database_name(d));
    buckets.chain(workloads).chain(databases).collect()
}

/// Every output a cloud's realization of `platform` must declare: the fixed
/// names of `platform::outputs` followed by [`named_outputs`].
pub fn expected_outputs(platform: &Platform) -> Vec<String> {
    let fixed = [
        outputs::DATABASE_ADDRESS,
        outputs::DATABASE_PORT,
        outputs::REDIS_HOST,
        outputs::REDIS_PORT,
        outputs::CLUSTER_NAME,
        outputs::CLUSTER_ENDPOINT,
        outputs::REGION,
        outputs::OBJECT_STORE_ENDPOINT,
    ];
    fixed
        .iter()
        .map(|s| s.to_string())
        .chain(named_outputs(platform))
        .collect()
}

/// The filesystem mirror of hashicorp/aws 5.100.0 on this machine.
pub const PLUGIN_DIR: &str = "/opt/tf-plugins";

/// Reports a missing tool loudly and returns `true` (skip); under `CI` a
/// missing tool is a failure, never a silent pass.
pub fn skip(what: &str) -> bool {
    let message = format!("SKIPPED: {what}");
    if std::env::var_os("CI").is_some() {
        panic!("{message}; CI is set, so this is a failure");
    }
    println!("{message}");
    eprintln!("{message}");
    true
}

/// Whether `terraform` is on PATH with hashicorp/aws in [`PLUGIN_DIR`];
/// reports it through [`skip`] when not.
pub fn terraform_available() -> bool {
    let terraform = std::process::Command::new("terraform")
        .arg("version")
        .output();
    let mirror = std::path::Path::new(PLUGIN_DIR).join("registry.terraform.io/hashicorp/aws");
    if terraform.is_ok_and(|o| o.status.success()) && mirror.is_dir() {
        return true;
    }
    !skip(&format!(
        "terraform not found (needs `terraform` on PATH and hashicorp/aws in {PLUGIN_DIR})"
    ))
}

/// Runs `terraform args` in `dir`, for at most 10 minutes, with an empty CLI
/// config of its own, no checkpoint calls, no cloud credentials from the
/// environment (what passes here passes in a CI job that has none) and then
/// `extra_env`. Returns success and stdout + stderr.
pub fn terraform(
    dir: &std::path::Path,
    args: &[&str],
    extra_env: &[(&str, &str)],
) -> (bool, String) {
    let (code, text) = terraform_status(dir, args, extra_env);
    (code == Some(0), text)
}

/// [`terraform`], returning Terraform's exit code (`None` when killed), for
/// commands whose code carries meaning (`plan -detailed-exitcode`: 0 no
/// changes, 1 error, 2 changes).
pub fn terraform_status(
    dir: &std::path::Path,
    args: &[&str],
    extra_env: &[(&str, &str)],
) -> (Option<i32>, String) {
    let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("terraform-cli");
    std::fs::create_dir_all(&scratch).expect("terraform scratch dir");
    let config = scratch.join("empty.tfrc");
    if !config.exists() {
        std::fs::write(&config, "").expect("empty CLI config");
    }
    let mut command = std::process::Command::new("timeout");
    command.arg("600").arg("terraform");
    for (name, _) in std::env::vars_os() {
        let text = name.to_string_lossy();
        if ["AWS_", "ARM_", "GOOGLE_"]
            .iter()
            .any(|p| text.starts_with(p))
        {
            command.env_remove(&name);
        }
    }
    let output = command
        .args(args)
        .current_dir(dir)
        .env("TF_CLI_CONFIG_FILE", &config)
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .envs(extra_env.iter().copied())
        .output()
        .expect("run terraform");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code(), text)
}
