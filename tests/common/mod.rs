//! Helpers shared by the integration tests: synthesize the reference stack,
//! snapshot it, and check it against the provider schema in `providers/`.
#![allow(dead_code)]

#[path = "../../stacks/mod.rs"]
pub mod stacks;

use std::path::PathBuf;

use infrasynth::schema::ProviderSchema;
use infrasynth::{Cloud, Environment, Synthesized};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Synthesizes the reference stack, failing the test with every diagnostic.
pub fn synth(cloud: Cloud, env: Environment) -> Synthesized {
    let definition = stacks::mlops::definition();
    match definition.synthesize(cloud, env) {
        Ok(out) => out,
        Err(diagnostics) => panic!("synth {cloud} {env} failed:\n{diagnostics}"),
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

/// Asserts that a document has no schema violations, listing them all if not.
pub fn assert_schema_clean(cloud: Cloud, main_tf_json: &str, label: &str) {
    let (name, prefix) = provider_of(cloud);
    let doc: serde_json::Value = serde_json::from_str(main_tf_json).expect("valid JSON");
    let violations = schema(cloud).check(&doc, prefix, name);
    let resources = doc["resource"]
        .as_object()
        .map(|t| t.values().filter_map(|v| v.as_object()).map(|v| v.len()).sum::<usize>())
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
