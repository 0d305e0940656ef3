//! Refactors without destroy: `moved`, `import` and `removed` through the
//! app's synth (rename warnings against the previous output) and
//! `examples/refactor.rs` against real terraform.
//!
//! The terraform test needs `terraform` on PATH and hashicorp/aws in
//! /opt/tf-plugins. Without them it prints `SKIPPED: terraform not found` and
//! passes, unless the `CI` environment variable is set, where it fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use infrasynth::app::{output_dir, synth_to_dir, StackDefinition};
use infrasynth::core::calendar::Date;
use infrasynth::platform::Platform;
use infrasynth::{Attributes, Cloud, Environment, Moved, ResourceKind};

const SUPPORT_DATE: Date = Date::ymd(2026, 11, 29);
use common::PLUGIN_DIR;

enum Marker {}
impl ResourceKind for Marker {
    const TYPE: &'static str = "terraform_data";
}

/// Stack `refactor` with one extra resource named `name`, moved from `from`.
fn definition(name: &'static str, from: Option<&'static str>) -> StackDefinition {
    StackDefinition::new("refactor", |env| Platform::new("refac", env))
        .support_date(SUPPORT_DATE)
        .customize(move |ctx| {
            let marker = ctx
                .stack
                .resource::<Marker>(name, Attributes::new().set("input", "kept across renames"));
            if let Some(from) = from {
                ctx.stack.moved(Moved::from(from), &marker);
            }
        })
}

#[test]
fn synth_warns_about_a_rename_with_the_line_that_keeps_it() {
    let root = tempfile::tempdir().expect("tempdir");
    let env = Environment::DEV;
    let first = synth_to_dir(&definition("marker", None), Cloud::Aws, env, root.path())
        .expect("first synth");
    assert!(
        !first.warnings.mentions("disappeared"),
        "{}",
        first.warnings
    );

    let renamed = synth_to_dir(&definition("beacon", None), Cloud::Aws, env, root.path())
        .expect("a rename is a warning, not an error");
    assert!(
        renamed.warnings.mentions(
            "terraform_data.marker disappeared while terraform_data.beacon appeared with the same attributes"
        ),
        "{}",
        renamed.warnings
    );
    assert!(
        renamed
            .warnings
            .mentions(r#"stack.moved(Moved::from("marker"), &r)"#),
        "{}",
        renamed.warnings
    );
    assert!(
        renamed
            .warnings
            .mentions(r#"{"from": "terraform_data.marker", "to": "terraform_data.beacon"}"#),
        "{}",
        renamed.warnings
    );

    // Back to `marker`, then renamed with the moved block: no warning, and
    // the block is in the document.
    synth_to_dir(&definition("marker", None), Cloud::Aws, env, root.path()).expect("reset");
    let moved = synth_to_dir(
        &definition("beacon", Some("marker")),
        Cloud::Aws,
        env,
        root.path(),
    )
    .expect("moved");
    assert!(
        !moved.warnings.mentions("disappeared"),
        "{}",
        moved.warnings
    );
    let doc = std::fs::read_to_string(moved.dir.join("main.tf.json")).expect("written");
    let doc: serde_json::Value = serde_json::from_str(&doc).expect("json");
    assert_eq!(
        doc["moved"],
        serde_json::json!([{"from": "terraform_data.marker", "to": "terraform_data.beacon"}])
    );
}

#[test]
fn an_unreadable_previous_document_never_fails_a_synth() {
    let root = tempfile::tempdir().expect("tempdir");
    let env = Environment::DEV;
    let dir = output_dir(root.path(), "refactor", Cloud::Aws, env);
    synth_to_dir(&definition("marker", None), Cloud::Aws, env, root.path()).expect("first");
    std::fs::write(dir.join("main.tf.json"), b"{ not json").expect("corrupt");
    let report = synth_to_dir(&definition("beacon", None), Cloud::Aws, env, root.path())
        .expect("a corrupt previous document is ignored");
    assert!(!report.warnings.mentions("disappeared"));
}

#[test]
fn a_moved_block_whose_source_still_exists_fails_the_synth() {
    let root = tempfile::tempdir().expect("tempdir");
    let def = StackDefinition::new("refactor", |env| Platform::new("refac", env))
        .support_date(SUPPORT_DATE)
        .customize(|ctx| {
            let a = ctx.stack.resource::<Marker>("a", Attributes::new());
            ctx.stack.resource::<Marker>("b", Attributes::new());
            ctx.stack.moved(Moved::from("b"), &a);
        });
    let failure = synth_to_dir(&def, Cloud::Aws, Environment::DEV, root.path())
        .expect_err("source still in the stack");
    let text = failure.to_string();
    assert!(
        text.contains("moved { from = terraform_data.b, to = terraform_data.a }")
            && text.contains("the source `terraform_data.b` still exists in this stack"),
        "{text}"
    );
}

fn example(out: &Path, flags: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--example", "refactor", "--", "--out"])
        .arg(out)
        .args(flags)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

fn terraform(dir: &Path, args: &[&str]) -> (bool, String) {
    common::terraform(dir, args, &[])
}

#[test]
fn the_refactor_example_warns_then_validates_with_terraform() {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("refactor-example");
    let _ = std::fs::remove_dir_all(&out);
    let (ok, text) = example(&out, &["--before"]);
    assert!(ok, "{text}");
    let (ok, text) = example(&out, &["--no-moved"]);
    assert!(ok, "{text}");
    assert!(
        text.contains(r#"Moved::from("uploads")"#)
            && text
                .contains("aws_s3_bucket.uploads disappeared while aws_s3_bucket.media appeared"),
        "the rename is not reported:\n{text}"
    );
    let (ok, text) = example(&out, &[]);
    assert!(ok, "{text}");
    assert!(!text.contains("disappeared"), "{text}");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("main.tf.json")).expect("written"))
            .expect("json");
    assert_eq!(doc["terraform"]["required_version"], ">= 1.7");
    for section in ["moved", "import", "removed"] {
        assert!(
            doc[section].as_array().is_some_and(|a| !a.is_empty()),
            "{section}"
        );
    }

    if !common::terraform_available() {
        return;
    }
    let (ok, text) = terraform(
        &out,
        &[
            "init",
            "-backend=false",
            "-input=false",
            "-no-color",
            &format!("-plugin-dir={PLUGIN_DIR}"),
        ],
    );
    assert!(ok, "terraform init failed:\n{text}");
    let (ok, text) = terraform(&out, &["validate", "-no-color"]);
    println!("terraform validate: {}", text.trim());
    assert!(
        ok && text.contains("Success!"),
        "terraform validate failed:\n{text}"
    );
}
