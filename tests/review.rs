//! `diff`, `validate`, `synth --all`, `list --json` and `completions` as a
//! user runs them: the reference binary on a scratch output root, and the
//! library's `app::diff_against_dir` for a one-line change of a stack.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use infrasynth::app::{diff_against_dir, synth_to_dir, StackDefinition};
use infrasynth::platform::Platform;
use infrasynth::{Attributes, Cloud, Environment};
use serde_json::Value as Json;

fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_infrasynth"));
    command.env(infrasynth::app::SOURCE_DATE_EPOCH, common::SUPPORT_EPOCH);
    command.env_remove("NO_COLOR");
    command
}

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = binary().args(args).output().expect("binary runs");
    (
        status.code(),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

fn synth(out: &Path, cloud: &str, env: &str) {
    let (code, stdout, stderr) = run(&["synth", cloud, env, "--out", &out.display().to_string()]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
}

fn edit_main(out: &Path, dir: &str, edit: impl FnOnce(&mut Json)) {
    let path = out.join(dir).join("main.tf.json");
    let mut doc: Json = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    edit(&mut doc);
    std::fs::write(&path, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
}

#[test]
fn diff_of_an_unchanged_stack_exits_0_and_says_no_changes() {
    let out = tempfile::tempdir().unwrap();
    synth(out.path(), "aws", "production");
    let (code, stdout, stderr) = run(&[
        "diff",
        "aws",
        "production",
        "--out",
        &out.path().display().to_string(),
    ]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("no changes"), "{stdout}");
    // Not a terminal: plain text.
    assert!(!stdout.contains('\x1b'), "{stdout}");
}

/// What is on disk is the previous synth; editing it stands for the stack
/// as it was: a resource it had (now removed), an attribute value it had
/// (now changed) and an IAM action its policy lacked (now added).
#[test]
fn diff_reports_a_removed_resource_a_changed_attribute_and_an_added_iam_action() {
    let out = tempfile::tempdir().unwrap();
    let root = out.path().display().to_string();
    synth(out.path(), "aws", "production");
    edit_main(out.path(), "mlops/aws/production", |doc| {
        doc["resource"]["aws_sqs_queue"] = serde_json::json!({"legacy": {"name": "legacy"}});
        let db = doc["resource"]["aws_db_instance"]
            .as_object_mut()
            .unwrap()
            .values_mut()
            .next()
            .unwrap();
        db["backup_retention_period"] = serde_json::json!(3);
        let statement =
            &mut doc["data"]["aws_iam_policy_document"]["workload_worker_buckets"]["statement"][0];
        let actions = statement["actions"].as_array_mut().unwrap();
        assert!(
            actions.len() > 1,
            "the worker's bucket policy has several actions"
        );
        actions.pop();
    });
    let (code, stdout, stderr) = run(&["diff", "aws", "production", "--out", &root]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("- aws_sqs_queue.legacy"), "{stdout}");
    assert!(
        stdout.contains("backup_retention_period: 3 -> "),
        "{stdout}"
    );
    let security = stdout
        .split("security:")
        .nth(1)
        .unwrap_or_else(|| panic!("no security section:\n{stdout}"));
    assert!(
        security.contains(
            "data.aws_iam_policy_document.workload_worker_buckets statement: IAM allows `"
        ),
        "{security}"
    );

    let (code, json, _) = run(&[
        "diff",
        "aws",
        "production",
        "--out",
        &root,
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(1));
    let json: Json = serde_json::from_str(&json).unwrap();
    assert_eq!(json["broadens_access"], true);
    assert_eq!(json["summary"]["removed"], 1);
    assert!(
        json["summary"]["changed"].as_u64().unwrap() >= 2,
        "{json:#}"
    );

    let (code, markdown, _) = run(&[
        "diff",
        "aws",
        "production",
        "--out",
        &root,
        "--format",
        "markdown",
    ]);
    assert_eq!(code, Some(1));
    assert!(
        markdown.starts_with("### `infrasynth` diff mlops/aws/production"),
        "{markdown}"
    );
    assert!(
        markdown.contains("#### ⚠️ Security: changes that broaden access"),
        "{markdown}"
    );
    assert!(markdown.contains("```diff\n"), "{markdown}");
}

#[test]
fn diff_errors_exit_2_naming_the_file_or_the_environment() {
    let out = tempfile::tempdir().unwrap();
    let root = out.path().display().to_string();
    synth(out.path(), "gcp", "dev");
    std::fs::write(out.path().join("mlops/gcp/dev/main.tf.json"), "{ truncated").unwrap();
    let (code, _, stderr) = run(&["diff", "gcp", "dev", "--out", &root]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("main.tf.json") && stderr.contains("run `synth` to rewrite it"),
        "{stderr}"
    );
    let (code, _, stderr) = run(&["diff", "gcp", "prod", "--out", &root]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("did you mean `production`"), "{stderr}");
}

#[test]
fn diff_with_nothing_on_disk_lists_everything_as_added() {
    let out = tempfile::tempdir().unwrap();
    let (code, stdout, _) = run(&[
        "diff",
        "azure",
        "dev",
        "--out",
        &out.path().display().to_string(),
    ]);
    assert_eq!(code, Some(1));
    assert!(stdout.contains("holds no output yet"), "{stdout}");
    assert!(stdout.contains("+ azurerm_kubernetes_cluster."), "{stdout}");
}

/// One line of a stack changed: the CIDR a customize hook allows HTTPS from.
/// `aws_vpc_security_group_ingress_rule.cidr_ipv4` is the rule's source
/// (hashicorp/aws 5.100.0 docs); `0.0.0.0/0` is every IPv4 address.
fn ingress_stack(cidr: &'static str) -> StackDefinition {
    StackDefinition::new("shop", |env| Platform::new("shop", env))
        .support_date(common::SUPPORT_DATE)
        .customize(move |ctx| {
            let Some(aws) = ctx.realized.aws() else {
                return;
            };
            let vpc = aws.vpc.id();
            let group = ctx.stack.raw_resource(
                "aws_security_group",
                "edge",
                Attributes::new()
                    .set("name", "edge")
                    .set("description", "edge")
                    .set("vpc_id", vpc),
            );
            ctx.stack.raw_resource(
                "aws_vpc_security_group_ingress_rule",
                "edge_https",
                Attributes::new()
                    .set("security_group_id", group.id())
                    .set("ip_protocol", "tcp")
                    .set("from_port", 443)
                    .set("to_port", 443)
                    .set("cidr_ipv4", cidr),
            );
        })
}

#[test]
fn an_ingress_rule_opened_to_the_internet_appears_under_the_security_heading() {
    let out = tempfile::tempdir().unwrap();
    synth_to_dir(
        &ingress_stack("10.20.0.0/16"),
        Cloud::Aws,
        Environment::DEV,
        out.path(),
    )
    .unwrap();
    let found = diff_against_dir(
        &ingress_stack("0.0.0.0/0"),
        Cloud::Aws,
        Environment::DEV,
        out.path(),
    )
    .unwrap();
    let text = found.diff.to_text(&found.title(), false);
    let security = text
        .split("security:")
        .nth(1)
        .unwrap_or_else(|| panic!("no security heading:\n{text}"));
    assert!(
        security.contains("! aws_vpc_security_group_ingress_rule.edge_https cidr_ipv4: ingress tcp 443 from 0.0.0.0/0 (the whole internet) allowed"),
        "{text}"
    );
    assert!(
        text.contains("cidr_ipv4: \"10.20.0.0/16\" -> \"0.0.0.0/0\""),
        "{text}"
    );
    // Narrowing it back opens nothing.
    synth_to_dir(
        &ingress_stack("0.0.0.0/0"),
        Cloud::Aws,
        Environment::DEV,
        out.path(),
    )
    .unwrap();
    let back = diff_against_dir(
        &ingress_stack("10.20.0.0/16"),
        Cloud::Aws,
        Environment::DEV,
        out.path(),
    )
    .unwrap();
    assert_eq!(back.diff.count("changed"), 1);
    assert!(back.diff.security.is_empty(), "{:?}", back.diff.security);
}

#[test]
fn validate_reports_each_check_and_a_missing_terraform_as_skipped_not_passed() {
    let (code, stdout, stderr) = run(&["validate", "aws", "production", "--skip-terraform"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    for line in [
        "  stack      passed",
        "  policies   passed",
        "  schema     passed",
        "  terraform  skipped: --skip-terraform",
    ] {
        assert!(stdout.contains(line), "{line}\n{stdout}");
    }
    assert!(stdout.contains("a skipped check was not run"), "{stdout}");
    // No Terraform binary at all.
    let out = binary()
        .args(["validate", "gcp", "dev"])
        .env("TERRAFORM", "/nonexistent/terraform")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("terraform  skipped: terraform not installed"),
        "{stdout}"
    );
    let (code, _, stderr) = run(&["validate", "aws", "production", "--stack", "nope"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("unknown stack `nope`"), "{stderr}");
}

/// Only hashicorp/aws is in this machine's provider mirror
/// (`/opt/tf-plugins`): AWS passes `terraform validate`, GCP is skipped for
/// want of hashicorp/google, which is never reported as a pass.
#[test]
fn validate_runs_terraform_where_the_provider_is_installed() {
    if !common::terraform_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("mirror.tfrc");
    std::fs::write(
        &config,
        format!(
            "provider_installation {{\n  filesystem_mirror {{ path = \"{}\" }}\n}}\n",
            common::PLUGIN_DIR
        ),
    )
    .unwrap();
    let validate = |cloud: &str| {
        let out = binary()
            .args(["validate", cloud, "dev"])
            .env("TF_CLI_CONFIG_FILE", &config)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, stdout) = validate("aws");
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("  terraform  passed"), "{stdout}");
    let (code, stdout) = validate("gcp");
    assert_eq!(code, Some(0), "{stdout}");
    // Terraform lists the providers it could not install in the order its
    // concurrent installs fail: hashicorp/google, with hashicorp/random
    // (the database admin's password) before or after it.
    let skipped = stdout
        .lines()
        .find(|l| {
            l.starts_with("  terraform  skipped: no provider (terraform init could not install ")
        })
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(skipped.contains("hashicorp/google"), "{stdout}");
}

#[test]
fn synth_all_writes_every_stack_cloud_and_environment_with_one_table() {
    let out = tempfile::tempdir().unwrap();
    let root = out.path().display().to_string();
    let (code, stdout, stderr) = run(&["synth", "--all", "--out", &root]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    for cloud in ["aws", "gcp", "azure"] {
        for env in ["dev", "staging", "production"] {
            assert!(out
                .path()
                .join(format!("mlops/{cloud}/{env}/main.tf.json"))
                .is_file());
            assert!(
                stdout.contains(&format!("mlops/{cloud}/{env} ")),
                "{stdout}"
            );
        }
    }
    assert!(stdout.contains("9 synths (0 failed)"), "{stdout}");
    let (code, json, _) = run(&["synth", "--all", "--json", "--out", &root]);
    assert_eq!(code, Some(0));
    let json: Json = serde_json::from_str(&json).unwrap();
    assert_eq!(json["synths"].as_array().unwrap().len(), 9);
    assert_eq!(json["failed"], 0);
    let (code, _, stderr) = run(&["synth", "--all", "--stack", "mlops"]);
    assert_eq!(code, Some(2), "{stderr}");
    let (code, _, stderr) = run(&["synth", "aws"]);
    assert_eq!(code, Some(2), "{stderr}");
}

#[test]
fn synth_and_list_speak_json() {
    let out = tempfile::tempdir().unwrap();
    let (code, json, _) = run(&[
        "synth",
        "gcp",
        "dev",
        "--json",
        "--out",
        &out.path().display().to_string(),
    ]);
    assert_eq!(code, Some(0));
    let report: Json = serde_json::from_str(&json).unwrap();
    assert_eq!(report["label"], "mlops/gcp/dev");
    assert!(report["resources"].as_u64().unwrap() > 0);
    let (code, json, _) = run(&["list", "--json"]);
    assert_eq!(code, Some(0));
    let list: Json = serde_json::from_str(&json).unwrap();
    assert_eq!(list["stacks"][0]["name"], "mlops");
    assert_eq!(list["clouds"], serde_json::json!(["aws", "gcp", "azure"]));
    assert_eq!(list["environments"][2]["tier"], "production");
}

#[test]
fn completions_cover_every_shell_and_every_subcommand() {
    for shell in ["bash", "zsh", "fish"] {
        let (code, script, _) = run(&["completions", shell]);
        assert_eq!(code, Some(0));
        for subcommand in ["synth", "diff", "validate", "graph", "completions"] {
            assert!(script.contains(subcommand), "{shell} lacks {subcommand}");
        }
    }
    let (code, _, _) = run(&["completions", "powershell"]);
    assert_eq!(code, Some(2));
}
