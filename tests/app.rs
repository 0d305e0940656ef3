//! The app layer as a user's program meets it: declared environments, stacks
//! in their own directories, closures, the command line's edges.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};

use infrasynth::app::{output_dir, synth_to_dir, App, AppError, StackDefinition, SynthFailure};
use infrasynth::core::calendar::Date;
use infrasynth::helm::HelmSettings;
use infrasynth::platform::Platform;
use infrasynth::{Cloud, Environment, Tier};

/// The day these tests judge Kubernetes and database versions on, so their
/// verdicts do not change as support windows close (see `app::support_date`).
const SUPPORT_DATE: Date = Date::ymd(2026, 11, 29);
/// The same day for the command line, as `SOURCE_DATE_EPOCH`.
const SUPPORT_EPOCH: &str = "1795910400";

fn environments() -> [Environment; 4] {
    [
        Environment::new("dev", Tier::Development),
        Environment::new("qa", Tier::Development),
        Environment::new("prod-eu", Tier::Production).with_region(Cloud::Aws, "eu-west-1"),
        Environment::new("prod-us", Tier::Production).with_region(Cloud::Aws, "us-east-2"),
    ]
}

/// No workloads, so no app chart: production needs the ACME contact only.
fn helm(_env: Environment) -> HelmSettings {
    HelmSettings::new().with_acme_contact("ml-platform@retail.shop")
}

fn app() -> App {
    // Configuration captured by the closures, not read from statics.
    let cidr = String::from("10.60.0.0/16");
    let cidr_b = String::from("10.61.0.0/16");
    App::new("retail-infra")
        .version("0.3.0")
        .environments(environments())
        .stack(
            StackDefinition::new("a", move |env| {
                let mut p = Platform::new("reta", env);
                p.network.cidr = cidr.clone();
                p
            })
            .support_date(SUPPORT_DATE)
            .helm(helm),
        )
        .stack(
            StackDefinition::new("b", move |env| {
                let mut p = Platform::new("retb", env);
                p.network.cidr = cidr_b.clone();
                p
            })
            .support_date(SUPPORT_DATE)
            .helm(helm),
        )
}

#[test]
fn two_stacks_write_two_directories_and_one_never_overwrites_the_other() {
    let app = app();
    let root = tempfile::tempdir().unwrap();
    let qa = app.find_environment("qa").unwrap();
    let a = app.find_stack(Some("a")).unwrap();
    let b = app.find_stack(Some("b")).unwrap();
    let ra = synth_to_dir(a, Cloud::Aws, qa, root.path()).expect("stack a");
    let rb = synth_to_dir(b, Cloud::Aws, qa, root.path()).expect("stack b");
    assert_eq!(ra.dir, root.path().join("a/aws/qa"));
    assert_eq!(rb.dir, root.path().join("b/aws/qa"));
    let doc_a = std::fs::read_to_string(ra.dir.join("main.tf.json")).unwrap();
    assert!(doc_a.contains("reta-qa"), "stack a's own resources");
    assert!(!doc_a.contains("retb-qa"));

    // Stack b written into stack a's directory: refused, nothing written.
    let before = std::fs::read(ra.dir.join("main.tf.json")).unwrap();
    let synthesized = b.synthesize(Cloud::Aws, qa).unwrap();
    let error = infrasynth::app::write_owned(&ra.dir, "b/aws/qa", &synthesized).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::AlreadyExists);
    let message = error.to_string();
    assert!(
        message.contains("`a/aws/qa`") && message.contains("`b/aws/qa`"),
        "{message}"
    );
    assert_eq!(std::fs::read(ra.dir.join("main.tf.json")).unwrap(), before);

    // The same through synth_to_dir: a stack renamed to `a`'s directory name.
    let renamed =
        StackDefinition::new("a", |env| Platform::new("retb", env)).support_date(SUPPORT_DATE);
    let dir = output_dir(root.path(), "a", Cloud::Aws, qa);
    // Same stack name, same directory: allowed (it is the same stack).
    synth_to_dir(&renamed, Cloud::Aws, qa, root.path()).expect("same owner");
    assert!(dir.join("main.tf.json").exists());
}

#[test]
fn a_stack_refuses_a_directory_owned_by_another_stack() {
    let root = tempfile::tempdir().unwrap();
    let env = Environment::DEV;
    let a = StackDefinition::new("a", |env| Platform::new("reta", env)).support_date(SUPPORT_DATE);
    let report = synth_to_dir(&a, Cloud::Gcp, env, root.path()).unwrap();
    // Move a's output where b's would go, as a hand-copied directory would be.
    let b_dir = output_dir(root.path(), "b", Cloud::Gcp, env);
    std::fs::create_dir_all(b_dir.parent().unwrap()).unwrap();
    std::fs::rename(&report.dir, &b_dir).unwrap();
    let b = StackDefinition::new("b", |env| Platform::new("retb", env)).support_date(SUPPORT_DATE);
    let failure = synth_to_dir(&b, Cloud::Gcp, env, root.path()).unwrap_err();
    assert!(
        matches!(failure, SynthFailure::Occupied { .. }),
        "{failure}"
    );
    let text = failure.to_string();
    assert!(
        text.contains("a/gcp/dev") && text.contains("nothing was written"),
        "{text}"
    );
    // The advice keeps a's state: move it where a writes, never "remove".
    let a_dir = root.path().join("a/gcp/dev");
    assert!(text.contains(&format!("({})", a_dir.display())), "{text}");
    assert!(!text.contains("remove"), "{text}");
}

#[test]
fn state_without_a_manifest_is_never_adopted() {
    let root = tempfile::tempdir().unwrap();
    let env = Environment::DEV;
    let dir = output_dir(root.path(), "b", Cloud::Aws, env);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("terraform.tfstate"), "{}").unwrap();
    let b = StackDefinition::new("b", |env| Platform::new("retb", env))
        .support_date(SUPPORT_DATE)
        .helm(helm);
    let failure = synth_to_dir(&b, Cloud::Aws, env, root.path()).unwrap_err();
    assert!(
        matches!(failure, SynthFailure::Occupied { .. }),
        "{failure}"
    );
    let text = failure.to_string();
    assert!(
        text.contains("#owner b/aws/dev"),
        "the fix is in the message: {text}"
    );
    assert!(!dir.join("main.tf.json").exists());
    // Applying the fix the message gives lets the synth through.
    std::fs::write(dir.join(".infrasynth-manifest"), "#owner b/aws/dev\n").unwrap();
    synth_to_dir(&b, Cloud::Aws, env, root.path()).expect("owner restored");
}

#[test]
fn environments_are_the_programs_own_with_tiers_regions_and_suggestions() {
    let app = app();
    assert!(app.check().is_ok());
    let names: Vec<&str> = app
        .declared_environments()
        .iter()
        .map(|e| e.name())
        .collect();
    assert_eq!(names, ["dev", "qa", "prod-eu", "prod-us"]);
    let eu = app.find_environment("prod-eu").unwrap();
    assert!(eu.is_production());
    let a = app.find_stack(Some("a")).unwrap();
    assert_eq!(a.platform(eu).regions.aws, "eu-west-1");
    let doc = a.synthesize(Cloud::Aws, eu).unwrap();
    assert!(doc.main_tf_json().contains("\"eu-west-1\""));
    // Production tier drives the secure defaults, whatever the name.
    assert!(a.platform(eu).database.deletion_protection);
    assert!(
        !a.platform(app.find_environment("qa").unwrap())
            .database
            .deletion_protection
    );

    for (asked, suggestion) in [
        ("prod", Some("prod-eu")),
        ("prd", None),
        ("qaa", Some("qa")),
    ] {
        let error = app.find_environment(asked).unwrap_err().to_string();
        assert!(
            error.contains("declared environments: dev, qa, prod-eu, prod-us"),
            "{error}"
        );
        match suggestion {
            Some(s) => assert!(
                error.contains(&format!("did you mean `{s}`")),
                "{asked}: {error}"
            ),
            None => assert!(!error.contains("did you mean"), "{asked}: {error}"),
        }
    }
    let error = app.find_stack(Some("c")).unwrap_err();
    assert!(matches!(error, AppError::UnknownStack { .. }), "{error}");
}

#[test]
fn bad_declarations_are_errors_naming_the_rule() {
    let bad_env = App::new("x")
        .environments([Environment::new("Prod_EU", Tier::Production)])
        .stack(StackDefinition::new("a", |env| Platform::new("x", env)));
    let error = bad_env.check().unwrap_err()[0].to_string();
    assert!(
        error.contains("`Prod_EU`") && error.contains("lowercase"),
        "{error}"
    );
    let duplicate = App::new("x")
        .stack(StackDefinition::new("a", |env| Platform::new("x", env)))
        .stack(StackDefinition::new("a", |env| Platform::new("y", env)));
    assert_eq!(
        duplicate.check(),
        Err(vec![AppError::DuplicateStack("a".into())])
    );
    assert_eq!(App::new("x").check(), Err(vec![AppError::NoStacks]));
    // Every mistake in one run.
    let many = App::new("x")
        .environments([
            Environment::new("prod-eu", Tier::Production),
            Environment::new("prod-eu", Tier::Production),
            Environment::new("a-very-long-environment", Tier::Development),
        ])
        .stack(StackDefinition::new("Shop", |env| Platform::new("x", env)))
        .stack(StackDefinition::new("Shop", |env| Platform::new("y", env)));
    let errors = many.check().unwrap_err();
    assert_eq!(errors.len(), 5, "{errors:?}");
}

fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_infrasynth"));
    command.env(infrasynth::app::SOURCE_DATE_EPOCH, SUPPORT_EPOCH);
    command
}

#[test]
fn list_into_a_closed_pipe_ends_quietly_with_exit_0() {
    let mut child = binary()
        .arg("list")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the read end at once, as `| head -0` would.
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(status.success(), "exit {status:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn an_unknown_environment_is_a_usage_error_with_a_suggestion() {
    let out = binary().args(["synth", "aws", "prod"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("did you mean `production`"), "{stderr}");
}

#[test]
fn graph_prints_dot_clustered_by_component_on_every_cloud() {
    for cloud in ["aws", "gcp", "azure"] {
        let out = binary()
            .args(["graph", cloud, "production"])
            .output()
            .unwrap();
        let dot = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{cloud}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            dot.starts_with("digraph \"mlops-production\" {"),
            "{cloud}: {dot}"
        );
        for cluster in ["network", "data", "cluster", "storage", "identity"] {
            assert!(
                dot.contains(&format!("subgraph \"cluster_{cluster}\"")),
                "{cloud}: no {cluster} cluster"
            );
        }
        assert!(dot.matches(" -> ").count() > 50, "{cloud}: too few edges");
    }
    let eks = binary().args(["graph", "aws", "dev"]).output().unwrap();
    let dot = String::from_utf8_lossy(&eks.stdout);
    // The node group reads the cluster: an edge from the group to the cluster.
    assert!(
        dot.contains("\"aws_eks_node_group.main_general\" -> \"aws_eks_cluster.main\""),
        "{dot}"
    );
}

#[test]
fn graph_svg_renders_through_graphviz() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("aws-dev.svg");
    let out = binary()
        .args(["graph", "aws", "dev", "--svg"])
        .arg(&svg)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("Graphviz `dot` is not installed") {
        // Without Graphviz the command must say how to get it; CI has it.
        assert!(stderr.contains("apt-get install graphviz"), "{stderr}");
        let message = "Graphviz `dot` is missing: run scripts/install-tools.sh";
        assert!(std::env::var("CI").is_err(), "{message}");
        eprintln!("SKIPPED (loudly): {message}");
        return;
    }
    assert!(out.status.success(), "{stderr}");
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(
        text.contains("<svg") && text.contains("cluster_network"),
        "{}",
        &text[..200.min(text.len())]
    );
}

/// A stand-in for terraform that logs its arguments and fails on request.
fn fake_terraform(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let log = dir.join("terraform.log");
    let script = dir.join("terraform");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\nif [ \"$1\" = \"$FAKE_FAIL_ON\" ]; then exit \"$FAKE_CODE\"; fi\n",
            log.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (script, log)
}

fn terraform_run(
    args: &[&str],
    terraform: &std::path::Path,
    out: &std::path::Path,
) -> std::process::Output {
    // `--out` first: everything after `--` goes to terraform.
    let (command, rest) = args.split_at(3);
    binary()
        .args(command)
        .arg("--out")
        .arg(out)
        .args(rest)
        .env("TERRAFORM", terraform)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn plan_apply_destroy_run_terraform_in_the_stacks_directory_and_pass_its_code_through() {
    let dir = tempfile::tempdir().unwrap();
    let (terraform, log) = fake_terraform(dir.path());
    let out = dir.path().join("out");
    let read_log = || std::fs::read_to_string(&log).unwrap_or_default();

    let plan = terraform_run(
        &["plan", "aws", "dev", "--", "-detailed-exitcode"],
        &terraform,
        &out,
    );
    assert!(
        plan.status.success(),
        "{}",
        String::from_utf8_lossy(&plan.stderr)
    );
    assert_eq!(
        read_log(),
        "init -input=false\nplan -input=false -detailed-exitcode\n"
    );
    assert!(
        out.join("mlops/aws/dev/main.tf.json").exists(),
        "synth ran first"
    );

    // Terraform's exit code comes back as is (plan -detailed-exitcode: 2 = changes).
    let changes = binary()
        .args(["plan", "aws", "dev", "--out"])
        .arg(&out)
        .env("TERRAFORM", &terraform)
        .env("FAKE_FAIL_ON", "plan")
        .env("FAKE_CODE", "2")
        .output()
        .unwrap();
    assert_eq!(changes.status.code(), Some(2));

    // Production apply off a terminal without --yes: refused, nothing run.
    std::fs::remove_file(&log).unwrap();
    let refused = terraform_run(&["apply", "aws", "production"], &terraform, &out);
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("needs --yes") && stderr.contains("production tier"),
        "{stderr}"
    );
    assert_eq!(read_log(), "", "terraform must not run");
    assert!(
        !out.join("mlops/aws/production").exists(),
        "nothing synthesized either"
    );

    let applied = terraform_run(&["apply", "aws", "production", "--yes"], &terraform, &out);
    assert!(
        applied.status.success(),
        "{}",
        String::from_utf8_lossy(&applied.stderr)
    );
    assert_eq!(
        read_log(),
        "init -input=false\napply -input=false -auto-approve\n"
    );

    // A development-tier apply needs no guard (terraform asks on its own);
    // destroy always does.
    std::fs::remove_file(&log).unwrap();
    let apply_dev = terraform_run(&["apply", "aws", "dev"], &terraform, &out);
    assert!(apply_dev.status.success());
    assert_eq!(read_log(), "init -input=false\napply -input=false\n");
    let destroy = terraform_run(&["destroy", "aws", "dev"], &terraform, &out);
    assert_eq!(destroy.status.code(), Some(2));

    // init failing stops there with its code.
    let init_fails = binary()
        .args(["plan", "aws", "dev", "--out"])
        .arg(&out)
        .env("TERRAFORM", &terraform)
        .env("FAKE_FAIL_ON", "init")
        .env("FAKE_CODE", "1")
        .output()
        .unwrap();
    assert_eq!(init_fails.status.code(), Some(1));

    // No terraform at all: an error that says how to get it.
    let missing = terraform_run(&["plan", "aws", "dev"], &dir.path().join("nope"), &out);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("install Terraform"));

    // --local-backend is for plan only.
    let local_apply = terraform_run(
        &["apply", "aws", "dev", "--local-backend"],
        &terraform,
        &out,
    );
    assert_eq!(local_apply.status.code(), Some(2));
}

/// The helmfile names the app chart by a path relative to itself that holds
/// only with `--out` at the repository's root; elsewhere synth says so, once
/// per release whose chart cannot be reached (a new user's `--out /tmp/hcl`
/// wrote a helmfile `helmfile apply` could not use, without a word).
#[test]
fn an_output_away_from_the_repository_root_warns_about_unreachable_charts() {
    let root = tempfile::tempdir().unwrap();
    let definition = common::definition();
    let report = synth_to_dir(&definition, Cloud::Aws, Environment::DEV, root.path()).unwrap();
    let unreachable: Vec<String> = report
        .warnings
        .warnings()
        .filter(|w| w.resource == "helm/helmfile.yaml")
        .map(|w| w.field.clone())
        .collect();
    assert_eq!(unreachable, ["releases.mlops.chart"], "{}", report.warnings);
    // At the repository's root the same path is the chart: no warning, also
    // on the first synth, when the output directory does not exist yet.
    let at_root = common::root().join("out");
    let _ = std::fs::remove_dir_all(at_root.join("mlops/aws/dev"));
    let report = synth_to_dir(&definition, Cloud::Aws, Environment::DEV, &at_root).unwrap();
    assert!(
        !report
            .warnings
            .warnings()
            .any(|w| w.resource == "helm/helmfile.yaml"),
        "{}",
        report.warnings
    );
}
