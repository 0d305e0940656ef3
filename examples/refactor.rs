//! Refactors without destroy on AWS: a renamed bucket kept with `moved`
//! blocks, a bucket made by hand adopted with an `import` block, and a bucket
//! the stack no longer manages taken out of state with a `removed` block that
//! keeps it.
//!
//! ```sh
//! cargo run --example refactor -- --out out-refactor --before   # the stack as it was
//! cargo run --example refactor -- --out out-refactor --no-moved # renamed, no moved: warns
//! cargo run --example refactor -- --out out-refactor            # renamed with moved blocks
//! terraform -chdir=out-refactor init -backend=false && terraform -chdir=out-refactor validate
//! ```
//!
//! Before each write, the new document is compared with the `main.tf.json`
//! already in the directory: a resource that disappeared while one of the
//! same type with the same attributes appeared is printed as a warning with
//! the `moved` line that keeps it.

use std::path::PathBuf;
use std::process::ExitCode;

use infrasynth::app::{rename_warnings, write};
use infrasynth::aws::{AwsProvider, Bucket, KmsKey};
use infrasynth::Stack;

/// Which version of the stack to write.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Version {
    /// The bucket is still called `uploads`, `scratch` is still managed.
    Before,
    /// `uploads` renamed to `media` without moved blocks (Terraform would
    /// destroy the bucket).
    RenamedOnly,
    /// The refactor done right: moved, import and removed.
    After,
}

fn stack(version: Version) -> Stack {
    let mut stack = Stack::new("refactor");
    stack.add(AwsProvider::new("eu-west-1"));
    let key = stack.add(KmsKey::new("storage", "acme-storage"));

    let name = if version == Version::Before {
        "uploads"
    } else {
        "media"
    };
    // The real bucket keeps its name; only the logical name changes.
    let media = stack.add(Bucket::new(name, "acme-uploads-7f3a", key.arn()));

    if version == Version::Before {
        stack.add(Bucket::new("scratch", "acme-scratch-7f3a", key.arn()));
        return stack;
    }
    if version == Version::After {
        // 1. moved: every block the bucket builder made, from `uploads` to `media`.
        media.moved_from(&mut stack, "uploads");

        // 2. import: a bucket created by hand, adopted into the stack.
        let reports = stack.add(Bucket::new("reports", "acme-reports-7f3a", key.arn()));
        stack.import(&reports.bucket, "acme-reports-7f3a");
        stack.import(&reports.public_access_block, "acme-reports-7f3a");

        // 3. removed: `scratch` leaves the stack but the bucket stays in AWS.
        Bucket::removed(&mut stack, "scratch", false);
    }
    stack
}

fn main() -> ExitCode {
    let mut out = PathBuf::from("out-refactor");
    let mut version = Version::After;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--out" => match args.next() {
                Some(dir) => out = PathBuf::from(dir),
                None => {
                    eprintln!("error: --out needs a directory");
                    return ExitCode::from(2);
                }
            },
            "--before" => version = Version::Before,
            "--no-moved" => version = Version::RenamedOnly,
            other => {
                eprintln!(
                    "error: unknown argument `{other}` (use --out DIR, --before, --no-moved)"
                );
                return ExitCode::from(2);
            }
        }
    }
    let synthesized = match stack(version).synth() {
        Ok(synthesized) => synthesized,
        Err(diagnostics) => {
            eprintln!("{diagnostics}");
            return ExitCode::FAILURE;
        }
    };
    for warning in synthesized
        .warnings()
        .iter()
        .chain(rename_warnings(&out, "refactor", &synthesized).iter())
    {
        eprintln!("{warning}");
    }
    if let Err(error) = write(&out, &synthesized) {
        eprintln!("error: writing {}: {error}", out.display());
        return ExitCode::FAILURE;
    }
    println!("wrote {}", out.join("main.tf.json").display());
    ExitCode::SUCCESS
}
