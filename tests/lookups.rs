//! Synth with the context file `lookup` writes, offline and without any
//! cloud SDK (default features): the account's zones and the pinned EKS
//! add-on versions reach the document, a second synth is byte-identical,
//! node pools are checked against the recorded offerings, and without a
//! context file the command line says once that the built-in tables are
//! used. The live lookups themselves are tested per cloud in
//! tests/lookup_aws.rs, tests/lookup_gcp.rs and tests/lookup_azure.rs.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use infrasynth::app::SynthOptions;
use infrasynth::aws::facts::{AvailabilityZone, AwsFacts, AwsLookup};
use infrasynth::core::context::{Context, CONTEXT_FILE};
use infrasynth::{Cloud, Environment};
use serde_json::Value as Json;

/// Zones as an account may see us-east-1: no `a`, ids of its own.
const ZONES: [(&str, &str); 3] = [
    ("us-east-1b", "use1-az2"),
    ("us-east-1c", "use1-az4"),
    ("us-east-1d", "use1-az6"),
];

/// Facts for the reference dev stack: every instance type its node groups
/// use offered in every zone, except `missing` (type, zone).
fn facts(missing: Option<(&str, &str)>) -> AwsFacts {
    let (_, stack) = common::definition().realize(Cloud::Aws, Environment::DEV);
    let lookup = AwsLookup::of(&stack);
    let offerings = lookup
        .instance_types
        .iter()
        .map(|t| {
            let zones: BTreeSet<String> = ZONES
                .iter()
                .filter(|(zone, _)| missing != Some((t.as_str(), zone)))
                .map(|(zone, _)| zone.to_string())
                .collect();
            (t.clone(), zones)
        })
        .collect();
    let versions: BTreeMap<String, String> = lookup
        .addons
        .iter()
        .map(|addon| (addon.clone(), format!("v9.9.9-{addon}-eksbuild.1")))
        .collect();
    AwsFacts {
        region: lookup.region.expect("the dev stack names its region"),
        zones: ZONES
            .iter()
            .map(|(name, id)| AvailabilityZone {
                name: name.to_string(),
                zone_id: id.to_string(),
            })
            .collect(),
        instance_type_offerings: offerings,
        addon_versions: lookup
            .kubernetes_versions
            .iter()
            .map(|v| (v.clone(), versions.clone()))
            .collect(),
    }
}

fn context_with(facts: &AwsFacts) -> Context {
    let mut context = Context::new();
    let key = Context::key(common::definition().name(), Cloud::Aws, Environment::DEV);
    context.set(&key, facts).unwrap();
    context
}

fn synth_with(context: &Context) -> Result<infrasynth::Synthesized, infrasynth::Diagnostics> {
    common::definition().synthesize_with(
        Cloud::Aws,
        Environment::DEV,
        &SynthOptions::new().with_context(Some(Arc::new(context.clone()))),
    )
}

fn document(synthesized: &infrasynth::Synthesized) -> Json {
    serde_json::from_str(synthesized.main_tf_json()).unwrap()
}

#[test]
fn synth_takes_the_accounts_zones_and_pins_add_ons_and_is_byte_identical() {
    let facts = facts(None);
    let context = context_with(&facts);
    let first = synth_with(&context).unwrap_or_else(|d| panic!("{d}"));
    let second = synth_with(&context).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(first.main_tf_json(), second.main_tf_json());
    assert_eq!(first.files(), second.files(), "every file byte-identical");

    let doc = document(&first);
    let subnets = doc["resource"]["aws_subnet"].as_object().unwrap();
    let zones: BTreeSet<&str> = subnets
        .values()
        .map(|s| s["availability_zone"].as_str().unwrap())
        .collect();
    let expected: BTreeSet<&str> = ZONES.iter().map(|(z, _)| *z).collect();
    // The dev network spans the first N zones of the account's list.
    assert!(zones.is_subset(&expected), "{zones:?}");
    assert!(zones.contains("us-east-1b"), "{zones:?}");
    assert!(!zones.contains("us-east-1a"), "{zones:?}");

    // Every add-on carries the recorded version; none is read at plan time.
    let addons = doc["resource"]["aws_eks_addon"].as_object().unwrap();
    for addon in addons.values() {
        let name = addon["addon_name"].as_str().unwrap();
        assert_eq!(
            addon["addon_version"].as_str(),
            Some(format!("v9.9.9-{name}-eksbuild.1").as_str())
        );
    }
    assert!(
        doc.get("data")
            .and_then(|d| d.get("aws_eks_addon_version"))
            .is_none(),
        "no add-on version is read at plan time with facts"
    );

    // Without facts, the built-in table's zones and the data sources.
    let plain = common::synth(Cloud::Aws, Environment::DEV);
    let plain = document(&plain);
    assert!(plain["data"]["aws_eks_addon_version"].is_object());
    let plain_zones: BTreeSet<&str> = plain["resource"]["aws_subnet"]
        .as_object()
        .unwrap()
        .values()
        .map(|s| s["availability_zone"].as_str().unwrap())
        .collect();
    assert!(plain_zones.contains("us-east-1a"), "{plain_zones:?}");
}

#[test]
fn a_node_pool_type_not_offered_in_a_zone_fails_synth_naming_pool_type_and_zone() {
    let (_, stack) = common::definition().realize(Cloud::Aws, Environment::DEV);
    let instance_type = AwsLookup::of(&stack)
        .instance_types
        .into_iter()
        .next()
        .expect("the dev stack has node groups");
    let diagnostics = synth_with(&context_with(&facts(Some((&instance_type, "us-east-1c")))))
        .expect_err("a type missing in a zone of its subnets must fail synth");
    let text = diagnostics.to_string();
    assert!(
        text.contains(&format!(
            "instance type `{instance_type}` is not offered in us-east-1c"
        )),
        "{text}"
    );
    assert!(text.contains("node group `"), "{text}");
    assert!(text.contains("field `instance_types`"), "{text}");
}

#[test]
fn a_zone_count_above_the_accounts_zones_names_them() {
    let mut facts = facts(None);
    facts.zones.truncate(1);
    let text = synth_with(&context_with(&facts))
        .expect_err("more zones than the account has")
        .to_string();
    assert!(
        text.contains("available to this account (us-east-1b, per the context file)"),
        "{text}"
    );
}

/// The reference program, run in `dir` (where it looks for the context file).
fn infrasynth(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_infrasynth"))
        .args(args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", common::SUPPORT_EPOCH)
        .output()
        .expect("run infrasynth")
}

const NOTE: &str = "note: no context file infrasynth.context.json";

#[test]
fn without_a_context_file_synth_says_so_once_and_with_one_uses_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    let run = infrasynth(dir.path(), &["synth", "aws", "dev", "--out", out]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert_eq!(stderr.matches(NOTE).count(), 1, "{stderr}");
    assert!(stderr.contains("lookup <cloud> <env>"), "{stderr}");

    // Once per run, however many stacks a run synthesizes.
    let run = infrasynth(dir.path(), &["synth", "--all", "--out", out]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(stderr.matches(NOTE).count(), 1, "{stderr}");

    // With the file: no note, and the document has the account's zones.
    context_with(&facts(None))
        .save(&dir.path().join(CONTEXT_FILE))
        .unwrap();
    let run = infrasynth(dir.path(), &["synth", "aws", "dev", "--out", out]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(!stderr.contains("note: "), "{stderr}");
    let main = std::fs::read_to_string(
        dir.path()
            .join("out")
            .join(common::definition().name())
            .join("aws/dev/main.tf.json"),
    )
    .unwrap();
    assert!(main.contains("us-east-1b") && !main.contains("\"us-east-1a\""));

    // Facts of another environment only: that target says its own note.
    let run = infrasynth(dir.path(), &["synth", "aws", "staging", "--out", out]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("has no facts for mlops/aws/staging: built-in tables used"),
        "{stderr}"
    );
}

#[test]
fn a_damaged_context_file_stops_synth_and_stays_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(CONTEXT_FILE);
    std::fs::write(&path, "{ \"infrasynth_context\": 1, \"facts\": ").unwrap();
    let out = dir.path().join("out");
    let run = infrasynth(
        dir.path(),
        &["synth", "aws", "dev", "--out", out.to_str().unwrap()],
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is not valid JSON"), "{stderr}");
    assert!(!out.exists(), "nothing is written");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "{ \"infrasynth_context\": 1, \"facts\": "
    );
}

#[cfg(not(feature = "aws"))]
#[test]
fn lookup_without_the_feature_says_how_to_enable_it_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let run = infrasynth(dir.path(), &["lookup", "aws", "dev"]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("this build has no aws lookups: enable infrasynth's `aws` feature"),
        "{stderr}"
    );
    assert!(!dir.path().join(CONTEXT_FILE).exists());
}
