//! The output guarantees: the same input gives byte-identical files (in
//! separate processes, so `HashMap` seeds differ), and a failed synth never
//! touches the last good output, whether it fails validation, fails to write,
//! or is interrupted.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

use infrasynth::app::StackDefinition;
use infrasynth::app::{synth_to_dir, SynthFailure};
use infrasynth::{Cloud, Environment};

fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in fs::read_dir(&current).expect("readable output dir") {
            let entry = entry.expect("dir entry");
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                files.insert(relative, fs::read(&path).unwrap());
            }
        }
    }
    files
}

fn run_binary(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_infrasynth"))
        .env(infrasynth::app::SOURCE_DATE_EPOCH, common::SUPPORT_EPOCH)
        .args(args)
        .output()
        .expect("run infrasynth")
}

#[test]
fn same_input_gives_byte_identical_files_in_separate_processes() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    let mut compared = 0;
    for cloud in Cloud::ALL {
        for env in Environment::DEFAULTS {
            let (c, e) = (cloud.as_str(), env.as_str());
            for root in [&first, &second] {
                let out = run_binary(&["synth", c, e, "--out", root.path().to_str().unwrap()]);
                assert!(
                    out.status.success(),
                    "synth {c} {e} failed:\n{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            let a = read_tree(&first.path().join("mlops").join(c).join(e));
            let b = read_tree(&second.path().join("mlops").join(c).join(e));
            assert!(!a.is_empty());
            assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
            for (name, bytes) in &a {
                assert!(bytes == &b[name], "{c}/{e}/{name} differs between two runs");
                compared += 1;
            }
        }
    }
    println!("determinism: {compared} files byte-identical across two processes");
}

fn broken_platform(env: Environment) -> infrasynth::platform::Platform {
    let mut platform = common::stacks::mlops::platform(env);
    // Too small for the subnets, and a bucket granted that does not exist.
    platform.network.cidr = "10.0.0.0/28".to_string();
    platform.workloads[0]
        .buckets
        .push(("nope".to_string(), infrasynth::platform::Access::Read));
    platform
}

#[test]
fn a_failed_synth_leaves_the_previous_output_byte_identical() {
    let root = tempfile::tempdir().unwrap();
    let good = common::definition();
    synth_to_dir(&good, Cloud::Aws, Environment::DEV, root.path()).expect("good synth");
    let dir = root.path().join("mlops").join("aws").join("dev");
    let before = read_tree(&dir);

    let broken = StackDefinition::new("mlops", broken_platform)
        .support_date(common::SUPPORT_DATE)
        .helm(common::stacks::mlops::helm_settings);
    let failure = synth_to_dir(&broken, Cloud::Aws, Environment::DEV, root.path()).unwrap_err();
    let SynthFailure::Invalid { diagnostics, .. } = &failure else {
        panic!("expected a validation failure, got {failure}")
    };
    assert!(diagnostics.mentions("10.0.0.0/28"), "{diagnostics}");
    assert!(
        diagnostics.mentions("nope"),
        "errors are collected: {diagnostics}"
    );
    assert!(failure.to_string().contains("nothing was written"));
    assert_eq!(read_tree(&dir), before);
}

#[test]
fn an_io_error_while_staging_leaves_the_previous_output_byte_identical() {
    let root = tempfile::tempdir().unwrap();
    let good = common::definition();
    synth_to_dir(&good, Cloud::Aws, Environment::DEV, root.path()).expect("good synth");
    let dir = root.path().join("mlops").join("aws").join("dev");
    let before = read_tree(&dir);

    // A directory where the staging temporary of main.tf.json must go makes the
    // write fail after other files were already staged (this works as root too,
    // where permission bits would not stop the write).
    let blocker = dir.join(".main.tf.json.infrasynth-tmp");
    fs::create_dir(&blocker).unwrap();
    let failure = synth_to_dir(&good, Cloud::Aws, Environment::DEV, root.path()).unwrap_err();
    assert!(matches!(failure, SynthFailure::Io { .. }), "{failure}");
    assert!(failure
        .to_string()
        .contains("previous output was left as it was"));
    fs::remove_dir(&blocker).unwrap();
    assert_eq!(
        read_tree(&dir),
        before,
        "no file changed and no temporary was left"
    );
}

#[test]
fn an_interrupted_synth_leaves_old_or_new_output_never_a_mix() {
    let root = tempfile::tempdir().unwrap();
    let root_arg = root.path().to_str().unwrap();
    let dir = root.path().join("mlops").join("aws").join("production");
    let out = run_binary(&["synth", "aws", "production", "--out", root_arg]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let new = fs::read(dir.join("main.tf.json")).unwrap();
    let old = b"{\"previous\": true}\n".to_vec();
    // Spread the interrupts over the whole run, measured here, so some land
    // before, some during and some after the write, on any machine speed.
    let started = std::time::Instant::now();
    let out = run_binary(&["synth", "aws", "production", "--out", root_arg]);
    assert!(out.status.success());
    let run = started.elapsed();
    let mut outcomes = BTreeMap::new();
    for attempt in 0..24u32 {
        fs::write(dir.join("main.tf.json"), &old).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_infrasynth"))
            .env(infrasynth::app::SOURCE_DATE_EPOCH, common::SUPPORT_EPOCH)
            .args(["synth", "aws", "production", "--out", root_arg])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(run * attempt / 20);
        let _ = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status();
        let status = child.wait().unwrap();
        let now = fs::read(dir.join("main.tf.json")).unwrap();
        let outcome = if now == old {
            "old"
        } else if now == new {
            "new"
        } else {
            panic!("attempt {attempt}: main.tf.json is neither the old nor the new file (exit {status})")
        };
        *outcomes.entry(outcome).or_insert(0) += 1;
    }
    println!(
        "SIGINT at 0-{:.0} ms (a full run takes {:.1} ms): outcomes {outcomes:?} (each file is old or new, never partial)",
        (run * 23 / 20).as_secs_f64() * 1000.0,
        run.as_secs_f64() * 1000.0
    );
}
