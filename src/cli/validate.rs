//! `validate <cloud> <env>`: the in-process checks (`app::check_stack`),
//! then `terraform init -backend=false` and `terraform validate` in a
//! scratch copy where Terraform and the provider are installed; one line per
//! check; exit 0 valid, 1 a check failed, 2 error.

use std::io::{self, Write};
use std::process::{Command, ExitCode};

use crate::app::{check_stack_in, App, Check, Outcome};
use crate::core::environment::Cloud;
use crate::core::synth::MAIN_FILE;

/// Lines of Terraform's output kept in a failed check's details.
const TERRAFORM_LINES: usize = 40;

/// What `terraform init` prints when it cannot get a provider (no network,
/// no mirror): the provider is missing, not the configuration wrong.
const NO_PROVIDER: [&str; 4] = [
    "Failed to query available provider packages",
    "Failed to install provider",
    "could not connect to registry",
    "Failed to resolve provider packages",
];

fn check(outcome: Outcome, details: Vec<String>) -> Check {
    Check {
        name: "terraform".into(),
        outcome,
        details,
        warnings: 0,
    }
}

/// The providers named in `init`'s errors (`hashicorp/azurerm`), not in
/// its progress lines.
fn missing_providers(lines: &[String]) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for line in lines.iter().filter(|l| !l.contains("Finding")) {
        for (at, _) in line.match_indices("hashicorp/") {
            let name: String = line[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '/' || *c == '-')
                .collect();
            if !found.contains(&name) {
                found.push(name);
            }
        }
    }
    found
}

/// Runs Terraform on `main_tf_json` in a scratch directory (removed after).
fn terraform_check(label: &str, provider: &str, main_tf_json: &[u8]) -> Check {
    let binary = std::env::var_os("TERRAFORM").unwrap_or_else(|| "terraform".into());
    let scratch = std::env::temp_dir().join(format!(
        "infrasynth-validate-{}-{}",
        std::process::id(),
        label.replace('/', "-")
    ));
    let prepared = std::fs::create_dir_all(&scratch)
        .and_then(|()| std::fs::write(scratch.join(MAIN_FILE), main_tf_json));
    if let Err(e) = prepared {
        return check(
            Outcome::Failed,
            vec![format!("scratch copy in {}: {e}", scratch.display())],
        );
    }
    let run = |args: &[&str]| {
        Command::new(&binary)
            .args(args)
            .current_dir(&scratch)
            .env("CHECKPOINT_DISABLE", "1")
            .output()
    };
    let tail = |output: &std::process::Output| -> Vec<String> {
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let lines: Vec<String> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect();
        lines[lines.len().saturating_sub(TERRAFORM_LINES)..].to_vec()
    };
    let result = match run(&["init", "-backend=false", "-input=false", "-no-color"]) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => check(
            Outcome::Skipped(format!(
                "terraform not installed (`{}` not found; set TERRAFORM to its path)",
                binary.to_string_lossy()
            )),
            Vec::new(),
        ),
        Err(e) => check(
            Outcome::Failed,
            vec![format!("running terraform init: {e}")],
        ),
        Ok(init) if !init.status.success() => {
            let details = tail(&init);
            if details
                .iter()
                .any(|l| NO_PROVIDER.iter().any(|m| l.contains(m)))
            {
                let missing = missing_providers(&details);
                let missing = if missing.is_empty() {
                    format!("hashicorp/{provider}")
                } else {
                    missing.join(", ")
                };
                check(
                    Outcome::Skipped(format!(
                        "no provider (terraform init could not install {missing}; see the provider mirror in docs/operations.md)"
                    )),
                    Vec::new(),
                )
            } else {
                check(Outcome::Failed, details)
            }
        }
        Ok(_) => match run(&["validate", "-no-color"]) {
            Err(e) => check(
                Outcome::Failed,
                vec![format!("running terraform validate: {e}")],
            ),
            Ok(validate) if validate.status.success() => check(Outcome::Passed, Vec::new()),
            Ok(validate) => check(Outcome::Failed, tail(&validate)),
        },
    };
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

impl App {
    pub(super) fn validate(
        &self,
        cloud: Cloud,
        env: &str,
        stack: Option<&str>,
        skip_terraform: bool,
        context: Option<std::sync::Arc<crate::core::context::Context>>,
    ) -> io::Result<ExitCode> {
        let Some((definition, env)) = self.resolve(stack, env) else {
            return Ok(ExitCode::from(2));
        };
        let mut found = check_stack_in(definition, cloud, env, context.as_deref());
        let (provider, _) = crate::schema::provider_of(cloud);
        let terraform = match (&found.synthesized, skip_terraform) {
            (_, true) => check(Outcome::Skipped("--skip-terraform".into()), Vec::new()),
            (None, false) => check(
                Outcome::Skipped("the stack did not synthesize".into()),
                Vec::new(),
            ),
            (Some(synthesized), false) => terraform_check(
                &found.label,
                provider,
                synthesized.main_tf_json().as_bytes(),
            ),
        };
        found.checks.push(terraform);
        let mut stdout = io::stdout().lock();
        writeln!(stdout, "validate {}:", found.label)?;
        for check in &found.checks {
            writeln!(stdout, "  {check}")?;
            for detail in &check.details {
                writeln!(stdout, "      {detail}")?;
            }
        }
        let failed = found.failed();
        let skipped = found
            .checks
            .iter()
            .any(|c| matches!(c.outcome, Outcome::Skipped(_)));
        let verdict = match (failed, skipped) {
            (true, _) => "invalid: fix the failed checks above",
            (false, true) => {
                "valid as far as checked: a skipped check was not run, so it did not pass"
            }
            (false, false) => "valid",
        };
        writeln!(stdout, "{verdict}")?;
        stdout.flush()?;
        Ok(if failed {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        })
    }
}
