//! `plan`, `apply` and `destroy`: synth, then Terraform in the stack's output
//! directory, its output streamed and its exit code passed through.

use std::ffi::OsString;
use std::io::{self, BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::{Command, ExitCode};

use crate::core::environment::Environment;

/// Which Terraform command runs after the synth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// `terraform plan`.
    Plan,
    /// `terraform apply`.
    Apply,
    /// `terraform destroy`.
    Destroy,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Plan => "plan",
            Action::Apply => "apply",
            Action::Destroy => "destroy",
        }
    }

    /// Whether the action changes real infrastructure.
    fn changes(self) -> bool {
        self != Action::Plan
    }
}

/// The Terraform binary: `$TERRAFORM`, else `terraform` on `PATH`.
fn terraform_binary() -> OsString {
    std::env::var_os("TERRAFORM").unwrap_or_else(|| OsString::from("terraform"))
}

/// Asks before a production-tier apply or a destroy: on a terminal the user
/// types the environment's name; elsewhere only `--yes` lets it through.
/// Returns whether to go on.
pub(crate) fn confirm(action: Action, env: Environment, label: &str, yes: bool) -> bool {
    let guarded = action == Action::Destroy || (action == Action::Apply && env.is_production());
    if !guarded || yes {
        return true;
    }
    if !io::stdin().is_terminal() {
        eprintln!(
            "error: `{}` of {label} ({} tier) needs --yes when not run on a terminal; nothing was run",
            action.as_str(),
            env.tier()
        );
        return false;
    }
    eprint!(
        "{} {label} ({} tier). Type the environment's name (`{}`) to go on: ",
        match action {
            Action::Destroy => "Destroy every resource of",
            _ => "Apply changes to",
        },
        env.tier(),
        env.name()
    );
    let _ = io::stderr().flush();
    let mut answer = String::new();
    if io::stdin().lock().read_line(&mut answer).is_err() || answer.trim() != env.name() {
        eprintln!("not confirmed; nothing was run");
        return false;
    }
    true
}

/// Runs `terraform init` and then the action in `dir`, streaming their output,
/// and returns Terraform's exit code (init's, when init fails).
pub(crate) fn run(action: Action, dir: &Path, yes: bool, extra: &[String]) -> ExitCode {
    let binary = terraform_binary();
    let steps: [(&str, Vec<String>); 2] = [
        ("init", vec!["init".into(), "-input=false".into()]),
        (action.as_str(), {
            let mut args = vec![action.as_str().to_string(), "-input=false".to_string()];
            if yes && action.changes() {
                args.push("-auto-approve".into());
            }
            args.extend(extra.iter().cloned());
            args
        }),
    ];
    for (i, (name, args)) in steps.iter().enumerate() {
        eprintln!(
            "==> [{}/{}] terraform {} ({})",
            i + 1,
            steps.len(),
            args.join(" "),
            dir.display()
        );
        let status = Command::new(&binary).args(args).current_dir(dir).status();
        match status {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                eprintln!(
                    "error: `{}` was not found; install Terraform >= 1.5 (https://developer.hashicorp.com/terraform/install) or set TERRAFORM to its path",
                    binary.to_string_lossy()
                );
                return ExitCode::FAILURE;
            }
            Err(e) => {
                eprintln!("error: running terraform {name}: {e}");
                return ExitCode::FAILURE;
            }
            Ok(status) if !status.success() => {
                // Terraform's own code: 1 error, 2 (plan -detailed-exitcode) changes.
                let code = status.code().unwrap_or(1);
                eprintln!("==> terraform {name} exited with {code}");
                return ExitCode::from(u8::try_from(code).unwrap_or(1));
            }
            Ok(_) => {}
        }
    }
    ExitCode::SUCCESS
}
