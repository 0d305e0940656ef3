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

    // A directory where an output file goes (the case): the write
    // fails while the new tree is built, before anything in place changed.
    fs::remove_file(dir.join("main.tf.json")).unwrap();
    fs::create_dir(dir.join("main.tf.json")).unwrap();
    let blocked = read_tree(&dir);
    let failure = synth_to_dir(&good, Cloud::Aws, Environment::DEV, root.path()).unwrap_err();
    assert!(matches!(failure, SynthFailure::Io { .. }), "{failure}");
    let message = failure.to_string();
    assert!(
        message.contains("is a directory where the output file main.tf.json goes")
            && message.contains("previous output was left as it was"),
        "{message}"
    );
    assert_eq!(read_tree(&dir), blocked, "no file changed");
    assert_eq!(leftovers(root.path(), "dev"), Vec::<String>::new());
    fs::remove_dir(dir.join("main.tf.json")).unwrap();
    synth_to_dir(&good, Cloud::Aws, Environment::DEV, root.path()).expect("synth once unblocked");
    assert_eq!(read_tree(&dir), before);
}

/// Entries beside the output directory `<parent>/<name>` other than the
/// directory itself and its lock file: staged or set-aside trees.
fn leftovers(root: &Path, env: &str) -> Vec<String> {
    let parent = root.join("mlops").join("aws");
    let lock = format!(".{env}.infrasynth-lock");
    let mut names: Vec<String> = fs::read_dir(&parent)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != env && *name != lock)
        .collect();
    names.sort();
    names
}

/// The reference stack with another network range: every file of its output
/// differs from the reference stack's, so a mix of the two shows.
fn other_platform(env: Environment) -> infrasynth::platform::Platform {
    let mut platform = common::stacks::mlops::platform(env);
    platform.network.cidr = "10.99.0.0/16".to_string();
    platform
}

fn other_definition() -> StackDefinition {
    StackDefinition::new("mlops", other_platform)
        .support_date(common::SUPPORT_DATE)
        .helm(common::stacks::mlops::helm_settings)
}

/// What `terraform init` and `apply` leave in a stack's directory, and a
/// user's own file: none of it is infrasynth's, all of it must survive.
fn add_foreign_entries(dir: &Path) {
    fs::create_dir_all(dir.join(".terraform/providers/registry.terraform.io/hashicorp/aws"))
        .unwrap();
    fs::write(
        dir.join(".terraform/providers/registry.terraform.io/hashicorp/aws/terraform-provider-aws"),
        "binary",
    )
    .unwrap();
    fs::write(dir.join(".terraform.lock.hcl"), "# lock").unwrap();
    fs::write(dir.join("terraform.tfstate"), "{\"serial\": 7}").unwrap();
    fs::write(dir.join("helm/mlops.values.yaml"), "rendered: true\n").unwrap();
    fs::write(dir.join("NOTES.md"), "mine").unwrap();
}

/// The provider fact: Terraform keeps its working data (`.terraform/`, the
/// dependency lock file `.terraform.lock.hcl`) and local state
/// (`terraform.tfstate`) in the working directory (Terraform 1.11 docs,
/// "Initializing Working Directories"), so a commit that swaps the directory
/// must carry them over. A fault at every step of the commit, disk-full for
/// every write, leaves the whole previous tree or the whole new one, those
/// entries included, no temporaries, and a message saying which.
#[test]
fn a_fault_at_every_step_of_the_commit_leaves_the_whole_old_or_the_whole_new_output() {
    use infrasynth::core::output::{fault, Left};
    use std::cell::RefCell;
    use std::rc::Rc;

    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("mlops").join("aws").join("dev");
    let old_definition = other_definition();
    let new_definition = common::definition();
    let reset = || {
        let _ = fs::remove_dir_all(root.path().join("mlops"));
        synth_to_dir(&old_definition, Cloud::Aws, Environment::DEV, root.path()).unwrap();
        add_foreign_entries(&dir);
    };
    reset();
    let old = read_tree(&dir);
    synth_to_dir(&new_definition, Cloud::Aws, Environment::DEV, root.path()).unwrap();
    let new = read_tree(&dir);
    assert!(new.contains_key("terraform.tfstate") && new.contains_key(".terraform.lock.hcl"));
    assert_ne!(old["main.tf.json"], new["main.tf.json"]);

    reset();
    let steps = Rc::new(RefCell::new(Vec::new()));
    let recorder = Rc::clone(&steps);
    fault::set(move |step| {
        recorder.borrow_mut().push(step.action);
        Ok(())
    });
    synth_to_dir(&new_definition, Cloud::Aws, Environment::DEV, root.path()).unwrap();
    fault::clear();
    let steps = steps.borrow().clone();
    for action in [
        "create",
        "link",
        "write",
        "sync-file",
        "sync-dir",
        "rename-aside",
        "rename-in",
        "sync-parent",
        "remove-aside",
    ] {
        assert!(steps.contains(&action), "no {action} step in {steps:?}");
    }

    let mut outcomes = BTreeMap::new();
    for (index, action) in steps.iter().enumerate() {
        reset();
        let mut seen = 0;
        fault::set(move |_| {
            seen += 1;
            if seen == index + 1 {
                // ENOSPC: what a full disk answers a write.
                Err(std::io::Error::from_raw_os_error(28))
            } else {
                Ok(())
            }
        });
        let result = synth_to_dir(&new_definition, Cloud::Aws, Environment::DEV, root.path());
        fault::clear();
        let now = read_tree(&dir);
        let outcome = match &result {
            Ok(_) => "new (ok)",
            Err(SynthFailure::Io { error, .. }) => {
                let message = result.as_ref().unwrap_err().to_string();
                match infrasynth::core::output::left_by(error) {
                    Left::Previous => {
                        assert!(
                            message.contains("previous output was left as it was"),
                            "{message}"
                        );
                        "previous"
                    }
                    Left::New => {
                        assert!(message.contains("new output is in place"), "{message}");
                        "new"
                    }
                    Left::Aside(path) => {
                        panic!("step {index} ({action}): left aside in {}", path.display())
                    }
                }
            }
            Err(other) => panic!("step {index} ({action}): {other}"),
        };
        let expected = if outcome == "previous" { &old } else { &new };
        assert!(
            now == *expected,
            "step {index} ({action}): the directory is not the whole {outcome} output"
        );
        if *action == "remove-aside" {
            // The new output is complete; a previous tree the file system
            // refused to remove is hidden, and the next write removes it.
            synth_to_dir(&new_definition, Cloud::Aws, Environment::DEV, root.path()).unwrap();
        }
        assert_eq!(
            leftovers(root.path(), "dev"),
            Vec::<String>::new(),
            "step {index} ({action}) left temporaries"
        );
        *outcomes
            .entry(format!("{action} -> {outcome}"))
            .or_insert(0) += 1;
    }
    println!("{} steps, each failed once: {outcomes:#?}", steps.len());
}

/// The swap and its rollback both fail (as if killed between two renames):
/// the message names where the previous output is, and the next synth puts it
/// back before writing, so Terraform's state is never lost.
#[test]
fn a_failed_rollback_is_repaired_by_the_next_synth() {
    use infrasynth::core::output::{fault, left_by, Left};
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("mlops").join("aws").join("dev");
    synth_to_dir(
        &other_definition(),
        Cloud::Aws,
        Environment::DEV,
        root.path(),
    )
    .unwrap();
    add_foreign_entries(&dir);
    fault::set(|step| {
        if step.action == "rename-in" || step.action == "rollback" {
            Err(std::io::Error::other("injected"))
        } else {
            Ok(())
        }
    });
    let failure = synth_to_dir(
        &common::definition(),
        Cloud::Aws,
        Environment::DEV,
        root.path(),
    )
    .unwrap_err();
    fault::clear();
    let SynthFailure::Io { error, .. } = &failure else {
        panic!("{failure}")
    };
    let Left::Aside(aside) = left_by(error) else {
        panic!("{failure}")
    };
    assert!(
        failure.to_string().contains(&aside.display().to_string()),
        "{failure}"
    );
    assert!(!dir.exists() && aside.join("terraform.tfstate").exists());
    synth_to_dir(
        &common::definition(),
        Cloud::Aws,
        Environment::DEV,
        root.path(),
    )
    .unwrap();
    assert_eq!(
        fs::read_to_string(dir.join("terraform.tfstate")).unwrap(),
        "{\"serial\": 7}"
    );
    assert_eq!(leftovers(root.path(), "dev"), Vec::<String>::new());
}

/// Two synths of one target at once (a pipeline retry, two terminals), each
/// with different output, 100 times: both succeed one after the other (the
/// lock), and the directory holds exactly one of the two outputs, never a mix.
#[test]
fn concurrent_synths_of_one_target_serialize_and_never_mix() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("mlops").join("aws").join("dev");
    let first = common::definition();
    let second = other_definition();
    synth_to_dir(&first, Cloud::Aws, Environment::DEV, root.path()).unwrap();
    add_foreign_entries(&dir);
    let a = read_tree(&dir);
    synth_to_dir(&second, Cloud::Aws, Environment::DEV, root.path()).unwrap();
    let b = read_tree(&dir);
    assert_ne!(a, b);
    let mut outcomes = BTreeMap::new();
    for pair in 0..100 {
        let results = std::thread::scope(|scope| {
            let one = scope.spawn(|| {
                synth_to_dir(&first, Cloud::Aws, Environment::DEV, root.path()).map(|_| ())
            });
            let two = scope.spawn(|| {
                synth_to_dir(&second, Cloud::Aws, Environment::DEV, root.path()).map(|_| ())
            });
            [one.join().unwrap(), two.join().unwrap()]
        });
        for result in results {
            if let Err(error) = result {
                panic!("pair {pair}: {error}");
            }
        }
        let now = read_tree(&dir);
        let outcome = if now == a {
            "first last"
        } else if now == b {
            "second last"
        } else {
            panic!("pair {pair}: the directory holds a mix of the two outputs")
        };
        *outcomes.entry(outcome).or_insert(0) += 1;
        assert_eq!(leftovers(root.path(), "dev"), Vec::<String>::new());
    }
    println!("100 concurrent pairs: {outcomes:?}");
}

/// The same between processes (`synth aws dev --out R` twice at once): both
/// exit 0 and nothing is left beside the directory.
#[test]
fn concurrent_synth_processes_of_one_target_both_succeed() {
    let root = tempfile::tempdir().unwrap();
    let root_arg = root.path().to_str().unwrap();
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_infrasynth"))
            .env(infrasynth::app::SOURCE_DATE_EPOCH, common::SUPPORT_EPOCH)
            .args(["synth", "aws", "dev", "--out", root_arg])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    for pair in 0..20 {
        let (one, two) = (spawn(), spawn());
        for child in [one, two] {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "pair {pair}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert_eq!(leftovers(root.path(), "dev"), Vec::<String>::new());
    }
}

/// `values` on a full disk: nothing half-written, no 0-byte temporary, the
/// previous values file intact, and the message says so.
#[test]
fn values_on_a_full_disk_leave_the_previous_values_and_no_temporary() {
    use infrasynth::core::output::fault;
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("mlops").join("aws").join("dev");
    synth_to_dir(
        &common::definition(),
        Cloud::Aws,
        Environment::DEV,
        root.path(),
    )
    .unwrap();
    add_foreign_entries(&dir);
    let before = read_tree(&dir);
    let fixture = common::root().join("tests/fixtures/outputs-aws-dev.json");
    fault::set(|step| {
        if step.action == "write" {
            Err(std::io::Error::from_raw_os_error(28))
        } else {
            Ok(())
        }
    });
    let error =
        infrasynth::app::render_values(&dir.join("helm"), &fixture, "mlops/aws/dev", "synth")
            .unwrap_err()
            .to_string();
    fault::clear();
    assert!(
        error.contains("previous output was left as it was"),
        "{error}"
    );
    assert_eq!(read_tree(&dir), before);
    assert_eq!(leftovers(root.path(), "dev"), Vec::<String>::new());
    let written =
        infrasynth::app::render_values(&dir.join("helm"), &fixture, "mlops/aws/dev", "synth")
            .unwrap();
    assert_eq!(written.len(), 1);
    let after = read_tree(&dir);
    assert_ne!(
        after["helm/mlops.values.yaml"],
        before["helm/mlops.values.yaml"]
    );
    assert_eq!(after["terraform.tfstate"], before["terraform.tfstate"]);
    assert_eq!(
        after[".infrasynth-manifest"],
        before[".infrasynth-manifest"]
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
