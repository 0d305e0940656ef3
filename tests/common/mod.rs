//! Helpers shared by the integration tests: synthesize the reference stack,
//! snapshot it, and check it against the provider schema in `providers/`.
#![allow(dead_code)]

#[path = "../../stacks/mod.rs"]
pub mod stacks;

use std::path::PathBuf;

use infrasynth::app::StackDefinition;
use infrasynth::core::calendar::Date;
use infrasynth::platform::{self, outputs, Platform};
use infrasynth::schema::ProviderSchema;
use infrasynth::{Cloud, Diagnostics, Environment, Synthesized};

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

/// The provider name, resource type prefix and schema file of a cloud.
pub fn provider_of(cloud: Cloud) -> (&'static str, &'static str) {
    match cloud {
        Cloud::Aws => ("aws", "aws_"),
        Cloud::Gcp => ("google", "google_"),
        Cloud::Azure => ("azurerm", "azurerm_"),
    }
}

/// Loads `providers/<name>/schema.json`.
pub fn schema(cloud: Cloud) -> ProviderSchema {
    let (name, _) = provider_of(cloud);
    let path = root().join("providers").join(name).join("schema.json");
    ProviderSchema::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// Every schema violation of a document, as text.
pub fn schema_violations(cloud: Cloud, main_tf_json: &str) -> Vec<String> {
    let (name, prefix) = provider_of(cloud);
    let doc: serde_json::Value = serde_json::from_str(main_tf_json).expect("valid JSON");
    schema(cloud)
        .check(&doc, prefix, name)
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// Asserts that a document has no schema violations, listing them all if not.
pub fn assert_schema_clean(cloud: Cloud, main_tf_json: &str, label: &str) {
    let (name, prefix) = provider_of(cloud);
    let doc: serde_json::Value = serde_json::from_str(main_tf_json).expect("valid JSON");
    let violations = schema(cloud).check(&doc, prefix, name);
    let resources = doc["resource"]
        .as_object()
        .map(|t| {
            t.values()
                .filter_map(|v| v.as_object())
                .map(|v| v.len())
                .sum::<usize>()
        })
        .unwrap_or(0);
    println!(
        "schema check {label}: {resources} resources against providers/{name}/schema.json, {} violation(s)",
        violations.len()
    );
    if !violations.is_empty() {
        let list: Vec<String> = violations.iter().map(ToString::to_string).collect();
        panic!(
            "{label}: {} schema violation(s):\n  {}\n(a type missing from the schema? add it to providers/{name}/resources.txt and run python3 providers/extract.py {name})",
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
