//! No password, key or token ever appears in what infrasynth writes: every
//! synthesized document and values file of every cloud and environment, and
//! every committed snapshot, is scanned for secret shapes.

mod common;

use regex::Regex;

use infrasynth::{Cloud, Environment};

/// (name, pattern) of what must never appear.
fn patterns() -> Vec<(&'static str, Regex)> {
    [
        // A password-like attribute holding a literal (references and
        // `manage_master_user_password` style booleans are fine).
        (
            "literal password",
            r#"(?i)"[a-z_]*(password|passwd)[a-z_]*"\s*:\s*"(?:[^"$]|\$\$)[^"]*""#,
        ),
        ("AWS access key id", r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
        (
            "AWS secret key attribute",
            r#""(secret_key|access_key|secret_access_key)"\s*:"#,
        ),
        ("private key", r"-----BEGIN ([A-Z]+ )?PRIVATE KEY-----"),
        ("GCP service account key", r#""private_key(_id)?"\s*:\s*""#),
        ("Azure storage key", r"AccountKey=[A-Za-z0-9+/=]{20,}"),
        ("auth token literal", r#""auth_token"\s*:\s*"[^$]"#),
        ("bearer token", r"(?i)bearer [a-z0-9._-]{20,}"),
    ]
    .into_iter()
    .map(|(name, pattern)| (name, Regex::new(pattern).expect("valid pattern")))
    .collect()
}

fn scan(label: &str, text: &str, hits: &mut Vec<String>) {
    for (name, pattern) in patterns() {
        for found in pattern.find_iter(text) {
            hits.push(format!("{label}: {name}: {}", found.as_str()));
        }
    }
}

#[test]
fn the_scanner_catches_each_secret_shape() {
    let samples = [
        r#""master_password": "hunter2""#,
        "AKIAABCDEFGHIJKLMNOP",
        r#""secret_key": "x""#,
        "-----BEGIN RSA PRIVATE KEY-----",
        r#""private_key": "abc""#,
        "DefaultEndpointsProtocol=https;AccountKey=abcdefghijklmnopqrstuvwxyz0123==",
        r#""auth_token": "s3cr3t""#,
        "Authorization: Bearer abcdefghijklmnopqrstuvwxyz",
    ];
    for sample in samples {
        let mut hits = Vec::new();
        scan("sample", sample, &mut hits);
        assert!(!hits.is_empty(), "not caught: {sample}");
    }
    let mut hits = Vec::new();
    scan(
        "sample",
        r#""manage_master_user_password": true, "password": "${random_password.x.result}""#,
        &mut hits,
    );
    assert!(hits.is_empty(), "false positives: {hits:?}");
}

#[test]
fn no_output_of_any_cloud_or_environment_holds_a_secret() {
    let mut hits = Vec::new();
    let mut scanned = 0;
    for cloud in Cloud::ALL {
        for env in Environment::DEFAULTS {
            let out = common::synth(cloud, env);
            for (path, bytes) in out.files() {
                scan(
                    &format!("{cloud}/{env}/{path}"),
                    &String::from_utf8_lossy(bytes),
                    &mut hits,
                );
                scanned += 1;
            }
        }
    }
    let snapshots = common::root().join("snapshots");
    for entry in std::fs::read_dir(&snapshots).expect("snapshots/ exists") {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        scan(&path.display().to_string(), &text, &mut hits);
        scanned += 1;
    }
    println!("secret scan: {scanned} files, {} hit(s)", hits.len());
    assert!(hits.is_empty(), "secrets in output:\n{}", hits.join("\n"));
}
