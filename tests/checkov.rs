//! Policy scan with checkov on every synthesized output, every cloud and
//! environment. Production must have 0 failed checks. The only exceptions are
//! the reviewed entries of `security/checkov-skips.txt`: checkov runs with every
//! check on, and a failure of a listed check (for that cloud and environment)
//! counts as skipped; a listed check that fails nowhere is stale and fails the
//! test, so the list only ever holds what it must.
//!
//! checkov comes from `scripts/install-tools.sh` (or `CHECKOV`/PATH). When it is
//! missing the test prints a loud SKIPPED line, and fails under `CI`.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use infrasynth::{Cloud, Environment};

struct Skip {
    id: String,
    cloud: String,
    envs: String,
}

impl Skip {
    fn applies(&self, cloud: Cloud, env: Environment) -> bool {
        (self.cloud == "all" || self.cloud == cloud.as_str())
            && (self.envs == "all" || self.envs.split(',').any(|e| e == env.as_str()))
    }
}

fn skips() -> Vec<Skip> {
    let text = std::fs::read_to_string(common::root().join("security/checkov-skips.txt"))
        .expect("security/checkov-skips.txt");
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let parts: Vec<&str> = line.split_whitespace().collect();
            assert!(
                parts.len() >= 4,
                "skip list line needs CHECK_ID CLOUD ENVS reason: {line}"
            );
            Skip {
                id: parts[0].to_string(),
                cloud: parts[1].to_string(),
                envs: parts[2].to_string(),
            }
        })
        .collect()
}

fn checkov() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("CHECKOV") {
        return Some(PathBuf::from(path));
    }
    let cache = std::env::var("INFRASYNTH_TOOLS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            let home = std::env::var("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|_| {
                    PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache")
                });
            home.join("infrasynth")
        });
    let venv = cache.join("venv/bin/checkov");
    if venv.exists() {
        return Some(venv);
    }
    Command::new("checkov")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| PathBuf::from("checkov"))
}

#[derive(Debug, Default)]
struct Counts {
    passed: u64,
    failed: u64,
    skipped: u64,
    failures: Vec<String>,
    used_skips: BTreeSet<String>,
}

fn scan(checkov: &Path, cloud: Cloud, env: Environment, skips: &[Skip]) -> Counts {
    let dir = tempfile::tempdir().unwrap();
    let out = common::synth(cloud, env);
    // checkov 3.3's terraform_json parser fails on the whole file when the
    // `terraform` block holds a plain string (`required_version`), which is
    // valid Terraform JSON; that attribute has no bearing on any check.
    let mut doc: serde_json::Value = serde_json::from_str(out.main_tf_json()).unwrap();
    if let Some(settings) = doc.get_mut("terraform").and_then(|t| t.as_object_mut()) {
        settings.remove("required_version");
    }
    std::fs::write(dir.path().join("main.tf.json"), doc.to_string()).unwrap();
    let output = Command::new(checkov)
        .arg("-d")
        .arg(dir.path())
        .args([
            "--framework",
            "terraform_json",
            "--skip-download",
            "-o",
            "json",
            "--quiet",
        ])
        .env("BC_SKIP_MAPPING", "TRUE")
        .output()
        .expect("run checkov");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "checkov output is not JSON ({e}):\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    // One report per framework, or a bare report.
    let reports: Vec<&serde_json::Value> = match &report {
        serde_json::Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let mut counts = Counts::default();
    for report in reports {
        let summary = &report["summary"];
        counts.passed += summary["passed"].as_u64().unwrap_or(0);
        let parse_errors = summary["parsing_errors"].as_u64().unwrap_or(0);
        assert_eq!(parse_errors, 0, "checkov could not parse {cloud}/{env}");
        let failed = report["results"]["failed_checks"].as_array();
        for failed in failed.into_iter().flatten() {
            let id = failed["check_id"].as_str().unwrap_or("?");
            if skips.iter().any(|s| s.id == id && s.applies(cloud, env)) {
                counts.skipped += 1;
                counts.used_skips.insert(id.to_string());
                continue;
            }
            counts.failed += 1;
            counts.failures.push(format!(
                "{id} {} ({})",
                failed["resource"].as_str().unwrap_or("?"),
                failed["check_name"].as_str().unwrap_or("?"),
            ));
        }
    }
    counts
}

#[test]
fn checkov_finds_no_failed_check_in_production() {
    let Some(checkov) = checkov() else {
        let message = "SKIPPED: checkov not found; run scripts/install-tools.sh";
        println!("{message}");
        assert!(
            std::env::var_os("CI").is_none(),
            "{message} (required in CI)"
        );
        return;
    };
    let skips = skips();
    let targets: Vec<(Cloud, Environment)> = Cloud::ALL
        .iter()
        .flat_map(|&c| Environment::DEFAULTS.iter().map(move |&e| (c, e)))
        .collect();
    // Two scans at a time: checkov is single-threaded and the machine has two cores.
    let results: Vec<(Cloud, Environment, Counts)> = std::thread::scope(|scope| {
        let handles: Vec<_> = targets
            .chunks(targets.len().div_ceil(2))
            .map(|chunk| {
                let (checkov, skips) = (&checkov, &skips);
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|&(c, e)| (c, e, scan(checkov, c, e, skips)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("scan thread"))
            .collect()
    });
    let mut production_failures = Vec::new();
    let mut used: BTreeSet<(&str, String)> = BTreeSet::new();
    for (cloud, env, counts) in &results {
        println!(
            "checkov {cloud}/{env}: passed {} failed {} skipped {} (reviewed)",
            counts.passed, counts.failed, counts.skipped
        );
        for failure in &counts.failures {
            println!("    FAILED {failure}");
        }
        assert!(
            counts.passed > 0,
            "checkov checked nothing for {cloud}/{env}"
        );
        used.extend(
            counts
                .used_skips
                .iter()
                .map(|id| (cloud.as_str(), id.clone())),
        );
        if env.is_production() {
            production_failures.extend(
                counts
                    .failures
                    .iter()
                    .map(|f| format!("{cloud}/{env}: {f}")),
            );
        }
    }
    let stale: Vec<String> = skips
        .iter()
        .filter(|s| {
            !used
                .iter()
                .any(|(c, id)| *id == s.id && (s.cloud == "all" || s.cloud == *c))
        })
        .map(|s| format!("{} {} {}", s.id, s.cloud, s.envs))
        .collect();
    assert!(
        production_failures.is_empty(),
        "checkov failures in production (fix the builder, or add a reviewed line to security/checkov-skips.txt):\n{}",
        production_failures.join("\n")
    );
    assert!(
        stale.is_empty(),
        "security/checkov-skips.txt lists checks that fail nowhere; remove them: {stale:?}"
    );
}
