//! The Terraform steps the tests against the real provider share: `init`
//! from the offline mirror, a plugin cache, `validate -json` that must pass
//! clean, the dummy-credentials provider override for `plan`, and the count
//! a plan must add.

use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use super::{terraform, PLUGIN_DIR};

/// Dummy credentials so `plan` can configure the aws provider without an
/// account; every check that would call AWS is skipped. Written beside a
/// stack as `provider_override.tf.json`; test-only, never synthesized.
pub const PROVIDER_OVERRIDE: &str = r#"{
  "provider": {
    "aws": {
      "access_key": "mock",
      "secret_key": "mock",
      "skip_credentials_validation": true,
      "skip_metadata_api_check": true,
      "skip_region_validation": true,
      "skip_requesting_account_id": true
    }
  }
}
"#;

/// `terraform plan` of a fresh directory with no account: no lock, no
/// refresh (nothing exists to read), no colors.
pub const PLAN_OFFLINE: &[&str] = &[
    "plan",
    "-input=false",
    "-lock=false",
    "-refresh=false",
    "-no-color",
];

/// `terraform init` in `dir` with the providers from [`PLUGIN_DIR`], then
/// `extra` arguments (such as `-backend=false`), with `env` added to the
/// environment. Panics with Terraform's output when it fails; returns it.
pub fn init(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> String {
    let plugin_dir = format!("-plugin-dir={PLUGIN_DIR}");
    let mut args = vec!["init", "-input=false", "-no-color", plugin_dir.as_str()];
    args.extend_from_slice(extra);
    let (ok, text) = terraform(dir, &args, env);
    assert!(
        ok,
        "terraform init {extra:?} failed in {}:\n{text}",
        dir.display()
    );
    text
}

/// The plugin cache of one test file, `<target tmp>/<name>/plugin-cache`
/// (created), for `TF_PLUGIN_CACHE_DIR`: the working directories of a file
/// share their provider copies.
pub fn plugin_cache(name: &str) -> String {
    let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(name)
        .join("plugin-cache");
    std::fs::create_dir_all(&cache).expect("plugin cache dir");
    cache.to_string_lossy().into_owned()
}

/// `terraform validate -json` in `dir` (with `env`): asserts that `what` is
/// valid, with no error and no warning.
pub fn assert_valid(dir: &Path, env: &[(&str, &str)], what: &str) {
    let (_, text) = terraform(dir, &["validate", "-json", "-no-color"], env);
    let report: Json = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("terraform validate -json printed no JSON ({e}):\n{text}"));
    assert_eq!(report["valid"], true, "{what} is not valid:\n{text}");
    assert_eq!(report["error_count"], 0, "{text}");
    assert_eq!(report["warning_count"], 0, "{what} has warnings:\n{text}");
}

/// The number of resources a Terraform JSON document declares: what its
/// first plan adds.
pub fn resource_count(doc: &Json) -> usize {
    doc["resource"].as_object().map_or(0, |t| {
        t.values()
            .filter_map(Json::as_object)
            .map(|m| m.len())
            .sum()
    })
}
