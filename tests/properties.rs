//! Property tests: any platform description, however wrong, either synthesizes
//! output that passes the provider schema check on every cloud, or returns
//! errors. Never a panic.

mod common;

use std::collections::BTreeMap;

use proptest::prelude::*;

use infrasynth::helm::HelmSettings;
use infrasynth::platform::{
    self, Access, ApiAccess, BucketSpec, Capacity, NodePoolSpec, Platform, Size, WorkloadSpec,
};
use infrasynth::{Cloud, Environment};

fn size() -> impl Strategy<Value = Size> {
    prop_oneof![
        Just(Size::Small),
        Just(Size::Medium),
        Just(Size::Large),
        Just(Size::XLarge),
        Just(Size::XXLarge),
    ]
}

fn environment() -> impl Strategy<Value = Environment> {
    prop_oneof![
        Just(Environment::DEV),
        Just(Environment::STAGING),
        Just(Environment::PRODUCTION),
    ]
}

/// Names: mostly plausible, sometimes hostile.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z][a-z0-9-]{0,14}",
        1 => ".{0,70}",
        1 => "[a-z0-9.-]{0,70}",
    ]
}

fn cidr() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (0u8..=255, 0u8..=255, 8u8..=28).prop_map(|(a, b, len)| format!("10.{a}.{b}.0/{len}")),
        1 => "[0-9./]{0,20}",
    ]
}

fn pool() -> impl Strategy<Value = NodePoolSpec> {
    (
        name(),
        size(),
        any::<bool>(),
        0u32..4,
        0u32..6,
        0u32..12,
        proptest::option::of(1u32..3),
    )
        .prop_map(|(name, size, spot, min, desired, max, gpus)| NodePoolSpec {
            name,
            capacity: if spot {
                Capacity::Spot
            } else {
                Capacity::OnDemand
            },
            size,
            gpus,
            min_nodes: min,
            max_nodes: max,
            desired_nodes: desired,
            taints: Vec::new(),
            labels: BTreeMap::new(),
        })
}

fn platform_strategy() -> impl Strategy<Value = Platform> {
    (
        (name(), environment(), cidr(), 0u8..8, any::<bool>()),
        (
            size(),
            1u32..200,
            1u32..500,
            any::<bool>(),
            0u32..40,
            proptest::collection::vec(name(), 0..3),
        ),
        (size(), 0u8..6, any::<bool>()),
        (
            proptest::collection::vec(pool(), 0..4),
            proptest::collection::vec(cidr(), 0..2),
        ),
        proptest::collection::vec(
            (name(), any::<bool>(), proptest::option::of(0u32..400)),
            0..4,
        ),
    )
        .prop_map(|(net, db, cache, cluster, buckets)| {
            let (project, env, cidr, zones, single_nat) = net;
            let mut p = Platform::new(&project, env);
            p.network.cidr = cidr;
            p.network.zones = zones;
            p.network.single_nat_gateway = single_nat;
            let (size, storage, max_storage, ha, retention, databases) = db;
            p.database.size = size;
            p.database.storage_gb = storage;
            p.database.max_storage_gb = max_storage;
            p.database.high_availability = ha;
            p.database.backup_retention_days = retention;
            p.database.databases = databases.into_iter().map(|d| d.replace('-', "_")).collect();
            p.cache.size = cache.0;
            p.cache.replicas = cache.1;
            p.cache.high_availability = cache.2;
            if !cluster.0.is_empty() {
                p.cluster.pools = cluster.0;
            }
            if !cluster.1.is_empty() {
                p.cluster.api_access = ApiAccess::Restricted(cluster.1);
            }
            for (name, versioning, days) in buckets {
                p.buckets.push(BucketSpec {
                    name: name.clone(),
                    versioning,
                    archive_after_days: days,
                    expire_after_days: None,
                    noncurrent_expire_days: days,
                });
                p.workloads.push(WorkloadSpec {
                    name: format!("app-{}", p.workloads.len()),
                    namespace: "apps".into(),
                    service_account: format!("app-{}", p.workloads.len()),
                    databases: Vec::new(),
                    uses_cache: false,
                    buckets: vec![(name, Access::ReadWrite)],
                });
            }
            p
        })
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_platform_synthesizes_schema_clean_output_or_errors(p in platform_strategy()) {
        for cloud in Cloud::ALL {
            let (stack, _) = platform::realize(&p, cloud);
            let helm = HelmSettings::new()
                .with_image_registry("registry.acme.io/platform")
                .with_release("1.0.0")
                .with_domain("acme.io")
                .with_acme_contact("platform@acme.io");
            match infrasynth::app::finish(&p, cloud, &stack, &helm) {
                Ok(out) => {
                    let violations = common::schema_violations(cloud, out.main_tf_json());
                    prop_assert!(violations.is_empty(), "{cloud}: {violations:?}");
                }
                Err(diagnostics) => prop_assert!(diagnostics.has_errors()),
            }
        }
    }
}

/// Strings a Terraform output can hold, weighted to what YAML 1.1 reads
/// differently from JSON: line-break-like characters (U+0085 NEL, U+2028,
/// U+2029), the non-printable U+007F, U+0080-U+009F, U+FFFE, U+FFFF, edges of
/// whitespace, and words YAML 1.1 resolves to other types.
fn output_string() -> impl Strategy<Value = String> {
    let tricky = prop_oneof![
        Just('\u{85}'),
        Just('\u{2028}'),
        Just('\u{2029}'),
        Just('\u{7f}'),
        Just('\u{feff}'),
        Just('\u{fffe}'),
        Just('\u{ffff}'),
        Just(' '),
        Just('\t'),
        Just('\n'),
        Just('\r'),
        Just('"'),
        Just('\\'),
        Just('\''),
        Just('#'),
        Just(':'),
        Just('{'),
        proptest::char::range('\u{0}', '\u{1f}'),
        proptest::char::range('\u{80}', '\u{9f}'),
        any::<char>(),
    ];
    prop_oneof![
        1 => proptest::sample::select(YAML_1_1_WORDS).prop_map(str::to_string),
        4 => proptest::collection::vec(tricky, 1..12).prop_map(|c| c.into_iter().collect()),
        1 => ".{1,40}",
    ]
}

/// Plain scalars YAML 1.1 resolves to booleans, null, octal and floats (YAML
/// 1.1 type repository: bool, null, int, float), plus the issue's cases.
const YAML_1_1_WORDS: &[&str] = &[
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "Yes",
    "ON",
    "true",
    "~",
    "null",
    "Null",
    "0777",
    "0x1F",
    "1e3",
    "1_000",
    ".inf",
    "-.inf",
    ".NaN",
    "12:30:00",
    "2024-01-01",
    " lead",
    "trail ",
    "<<",
    "=",
    "a\u{85}b",
    "\u{2028}",
    "\u{2029}",
    "\u{7f}",
    "\u{80}",
    "\u{9f}",
    "\u{ffff}",
    "{{output \"x\"}}",
    "__infrasynth_output_x",
    "\u{1}",
    "\u{2}",
];

/// One values file holding `text` as a string output, rendered as `values`
/// does.
fn render_string(text: &str) -> Result<String, String> {
    let outputs = serde_json::json!({
        "v": { "sensitive": false, "type": "string", "value": text }
    });
    let outputs = infrasynth::helm::TerraformOutputs::parse(&outputs.to_string(), "test")
        .map_err(|e| e.to_string())?;
    infrasynth::helm::render::render(
        "t.values.yaml.hbs",
        "image:\n  tag: {{output \"v\" type=\"string\" key=\"image.tag\"}}\n",
        &outputs,
    )
    .map_err(|e| e.to_string())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases() * 8, failure_persistence: None, ..ProptestConfig::default() })]

    /// Every non-empty string renders (no error blames the template for a
    /// value) and parses back unchanged.
    #[test]
    fn every_output_string_renders_and_round_trips(text in output_string()) {
        let rendered = render_string(&text).map_err(TestCaseError::fail)?;
        let parsed: serde_json::Value = serde_saphyr::from_str(&rendered)
            .map_err(|e| TestCaseError::fail(format!("{rendered:?}: {e}")))?;
        prop_assert_eq!(&parsed["image"]["tag"], &serde_json::Value::String(text));
    }
}

/// The YAML 1.1 reader: PyYAML (YAML 1.1, like go-yaml v2 behind Helm's
/// sigs.k8s.io/yaml) from the venv scripts/install-tools.sh makes, or the
/// system's python3. `None` when neither can import it.
fn python_with_pyyaml() -> Option<std::path::PathBuf> {
    let venv = std::env::var_os("HOME")
        .map(|home| std::path::PathBuf::from(home).join(".cache/infrasynth/helm-venv/bin/python"));
    venv.into_iter()
        .chain([std::path::PathBuf::from("python3")])
        .find(|python| {
            std::process::Command::new(python)
                .args(["-c", "import yaml"])
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

/// The issue's case, for every kind of string: U+0085 written raw into a
/// double-quoted scalar is read by YAML 1.1 parsers as a space (a silent
/// change); U+007F, U+0080-U+009F and U+FFFF were refused. Every rendered
/// values file, from the word list and 2,000 generated strings, read by
/// PyYAML (YAML 1.1 spec 5.1, 5.4, 5.6) gives back the exact string.
#[test]
fn every_output_string_round_trips_through_a_yaml_1_1_parser() {
    use proptest::strategy::ValueTree;
    let Some(python) = python_with_pyyaml() else {
        common::skip("PyYAML not found (run scripts/install-tools.sh)");
        return;
    };
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut strings: Vec<String> = YAML_1_1_WORDS.iter().map(|s| s.to_string()).collect();
    for _ in 0..2000 {
        strings.push(output_string().new_tree(&mut runner).unwrap().current());
    }
    let documents: Vec<String> = strings
        .iter()
        .map(|text| render_string(text).unwrap_or_else(|e| panic!("{text:?}: {e}")))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("cases.json");
    std::fs::write(
        &input,
        serde_json::json!({ "strings": strings, "documents": documents }).to_string(),
    )
    .unwrap();
    let script = r#"
import json, sys, yaml
cases = json.load(open(sys.argv[1], encoding="utf-8"))
bad = []
for text, document in zip(cases["strings"], cases["documents"]):
    try:
        got = yaml.safe_load(document)["image"]["tag"]
    except Exception as error:
        got = "<error %s>" % error
    if got != text:
        bad.append("%r read back as %r from %r" % (text, got, document))
print("checked %d" % len(cases["strings"]))
print("\n".join(bad[:20]))
sys.exit(1 if bad else 0)
"#;
    let out = std::process::Command::new(&python)
        .args(["-c", script])
        .arg(&input)
        .output()
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!("PyYAML ({}): {stdout}", python.display());
}
