//! Policy scan with checkov on every synthesized staging and production output
//! (dev too, for the record), every cloud. Production must have 0 failed checks;
//! the only exceptions are the reviewed entries of `security/checkov-skips.txt`.
//!
//! checkov comes from `scripts/install-tools.sh` (or `CHECKOV`/PATH). When it is
//! missing the test prints a loud SKIPPED line, and fails under `CI`.

mod common;

use std::path::PathBuf;
use std::process::Command;

use infrasynth::{Cloud, Environment};

struct Skip {
    id: String,
    cloud: String,
    envs: String,
}

fn skips() -> Vec<Skip> {
    let text = std::fs::read_to_string(common::root().join("security/checkov-skips.txt"))
        .expect("security/checkov-skips.txt");
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let mut parts = line.split_whitespace();
            let (id, cloud, envs) = (parts.next(), parts.next(), parts.next());
            let reason: Vec<&str> = parts.collect();
            assert!(
                id.is_some() && cloud.is_some() && envs.is_some() && !reason.is_empty(),
                "skip list line needs CHECK_ID CLOUD ENVS reason: {line}"
            );
            Skip {
                id: id.unwrap_or_default().to_string(),
                cloud: cloud.unwrap_or_default().to_string(),
                envs: envs.unwrap_or_default().to_string(),
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
}

fn scan(checkov: &PathBuf, cloud: Cloud, env: Environment, skip_ids: &[String]) -> Counts {
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
    let mut command = Command::new(checkov);
    command
        .args(["-d"])
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
        .env("CHECKOV_RUN_SCA_PACKAGE_SCAN_V2", "false");
    if !skip_ids.is_empty() {
        command.args(["--skip-check", &skip_ids.join(",")]);
    }
    let output = command.output().expect("run checkov");
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
        counts.failed += summary["failed"].as_u64().unwrap_or(0);
        counts.skipped += summary["skipped"].as_u64().unwrap_or(0);
        let parse_errors = summary["parsing_errors"].as_u64().unwrap_or(0);
        assert_eq!(parse_errors, 0, "checkov could not parse {cloud}/{env}");
        for failed in report["results"]["failed_checks"]
            .as_array()
            .into_iter()
            .flatten()
        {
            counts.failures.push(format!(
                "{} {} ({})",
                failed["check_id"].as_str().unwrap_or("?"),
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
    let mut production_failures = Vec::new();
    for cloud in Cloud::ALL {
        for env in Environment::ALL {
            let ids: Vec<String> = skips
                .iter()
                .filter(|s| s.cloud == "all" || s.cloud == cloud.as_str())
                .filter(|s| s.envs == "all" || s.envs.split(',').any(|e| e == env.as_str()))
                .map(|s| s.id.clone())
                .collect();
            let counts = scan(&checkov, cloud, env, &ids);
            println!(
                "checkov {cloud}/{env}: passed {} failed {} skipped {}",
                counts.passed, counts.failed, counts.skipped
            );
            for failure in &counts.failures {
                println!("    FAILED {failure}");
            }
            assert!(
                counts.passed > 0,
                "checkov checked nothing for {cloud}/{env}"
            );
            if env == Environment::Production {
                production_failures.extend(
                    counts
                        .failures
                        .iter()
                        .map(|f| format!("{cloud}/{env}: {f}")),
                );
            }
        }
    }
    assert!(
        production_failures.is_empty(),
        "checkov failures in production (fix the builder, or add a reviewed line to security/checkov-skips.txt):\n{}",
        production_failures.join("\n")
    );
}
