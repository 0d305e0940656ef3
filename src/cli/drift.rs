//! `drift <cloud> <env>`: what changed outside Terraform, in the resources
//! it manages (`terraform plan -refresh-only` in the output directory, every
//! build) and, on AWS with the `aws` feature, the objects it does not manage
//! inside the stack's VPCs and clusters. Exit 0 no drift, 1 drift, 2 error.

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use crate::app::drift::{parse_plan, refresh_only, DriftError, DriftReport, UnmanagedCheck};
use crate::app::{output_dir, App};
use crate::core::environment::Cloud;

/// `drift --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum Format {
    /// Readable text.
    Text,
    /// A stable JSON document (see `DriftReport::json`).
    Json,
}

impl App {
    /// The drift of one stack on `cloud` in `env` (the stack named, else the
    /// first), from its output directory below `out`: the managed resources
    /// changed outside Terraform and, on AWS with the `aws` feature, the
    /// unmanaged objects in its VPCs and clusters. Terraform is `$TERRAFORM`,
    /// else `terraform` on `PATH`, as for `plan` and `apply`.
    ///
    /// # Errors
    ///
    /// An unknown stack or environment, an output directory not synthesized
    /// or not initialized, a Terraform command that failed, or a live call
    /// that failed (its [`crate::core::live::LiveError`]: the call and the
    /// fix).
    pub fn drift_report(
        &self,
        cloud: Cloud,
        env: &str,
        stack: Option<&str>,
        out: &Path,
    ) -> Result<DriftReport, DriftError> {
        let definition = self
            .find_stack(stack)
            .map_err(|e| DriftError::Usage(e.to_string()))?;
        let env = self
            .find_environment(env)
            .map_err(|e| DriftError::Usage(e.to_string()))?;
        let dir = output_dir(out, definition.name(), cloud, env);
        let terraform =
            std::env::var_os("TERRAFORM").unwrap_or_else(|| OsString::from("terraform"));
        let plan = refresh_only(&dir, &terraform)?;
        let managed = parse_plan(&plan).map_err(DriftError::Unreadable)?;
        let target = format!("{}/{cloud}/{env}", definition.name());
        let unmanaged = unmanaged(cloud, &dir, &managed, || {
            let (_, realized) = definition.realize(cloud, env);
            crate::aws::facts::AwsLookup::of(&realized).region
        })?;
        Ok(DriftReport::merge(&target, managed, unmanaged))
    }

    /// `drift`: the report on standard output; errors on standard error.
    pub(super) fn drift(
        &self,
        cloud: Cloud,
        env: &str,
        stack: Option<&str>,
        out: &Path,
        format: Format,
    ) -> io::Result<ExitCode> {
        let report = match self.drift_report(cloud, env, stack, out) {
            Ok(report) => report,
            Err(error) => {
                eprintln!("error: drift: {error}");
                return Ok(ExitCode::from(2));
            }
        };
        if let UnmanagedCheck::Skipped(why) = &report.unmanaged {
            eprintln!("warning: unmanaged objects were NOT checked: {why}");
        }
        let mut stdout = io::stdout().lock();
        match format {
            Format::Text => write!(stdout, "{}", report.text())?,
            Format::Json => writeln!(stdout, "{:#}", report.json())?,
        }
        stdout.flush()?;
        Ok(if report.has_drift() {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        })
    }
}

/// The check of unmanaged objects on `cloud`: AWS with the `aws` feature
/// lists them; anything else says why not. `region` gives the stack's
/// region when the document in `dir` does not name it.
#[allow(unused_variables)] // used only with the `aws` feature
fn unmanaged(
    cloud: Cloud,
    dir: &Path,
    managed: &crate::app::drift::ManagedDrift,
    region: impl FnOnce() -> Option<String>,
) -> Result<UnmanagedCheck, DriftError> {
    match cloud {
        #[cfg(feature = "aws")]
        Cloud::Aws => {
            let Some(region) = crate::app::drift::provider_region(dir, "aws").or_else(region)
            else {
                return Err(DriftError::Usage(format!(
                    "{}: the aws provider names no region; synthesize the stack again",
                    dir.display()
                )));
            };
            let mut state = crate::aws::live::unmanaged::Managed::default();
            for resource in &managed.state {
                state.add(
                    &resource.address,
                    &resource.resource_type,
                    &resource.values,
                    resource.recorded.as_ref(),
                );
            }
            let found = crate::aws::live::unmanaged::find(
                &state,
                &region,
                &crate::core::live::RetryPolicy::default(),
            )?;
            Ok(UnmanagedCheck::Checked {
                objects: found.objects,
                not_checked: found.not_checked,
            })
        }
        #[cfg(not(feature = "aws"))]
        Cloud::Aws => Ok(UnmanagedCheck::Skipped(
            "this build has no `aws` feature, so the security groups, rules, subnets, node groups and add-ons Terraform does not manage were not listed; enable it (in the crate's Cargo.toml: infrasynth = { ..., features = [\"aws\"] }; in infrasynth's own repository: cargo run --features aws -- drift aws <env>)".to_string(),
        )),
        Cloud::Gcp | Cloud::Azure => Ok(UnmanagedCheck::Skipped(format!(
            "unmanaged objects are checked on AWS only: the {cloud} feature's client ({}) has no API for the cloud's networks or clusters, so only the managed resources were compared",
            if cloud == Cloud::Gcp {
                "google-cloud-storage: buckets only"
            } else {
                "azure_core + azure_identity against ARM: only the compute SKUs are called"
            }
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::drift::ManagedDrift;
    use crate::app::StackDefinition;
    use crate::platform::Platform;
    use crate::Environment;

    fn skipped(cloud: Cloud) -> String {
        match unmanaged(cloud, Path::new("."), &ManagedDrift::default(), || None) {
            Ok(UnmanagedCheck::Skipped(why)) => why,
            other => panic!("{cloud}: expected a skipped check, got {other:?}"),
        }
    }

    #[test]
    fn gcp_and_azure_compare_managed_resources_only_and_say_so() {
        assert!(skipped(Cloud::Gcp).contains("checked on AWS only"));
        assert!(skipped(Cloud::Azure).contains("checked on AWS only"));
    }

    #[cfg(not(feature = "aws"))]
    #[test]
    fn without_the_aws_feature_drift_aws_says_how_to_enable_the_check() {
        let why = skipped(Cloud::Aws);
        assert!(why.contains("no `aws` feature"), "{why}");
        assert!(
            why.contains("cargo run --features aws -- drift aws"),
            "{why}"
        );
    }

    /// Exit 2 and nothing run when the output directory was never
    /// synthesized.
    #[test]
    fn drift_of_a_directory_never_synthesized_exits_2() {
        let app = App::new("t")
            .environments([Environment::DEV])
            .stack(StackDefinition::new("s", |env| Platform::new("s", env)));
        let out = std::env::temp_dir().join(format!("infrasynth-drift-cli-{}", std::process::id()));
        let code = app.run_with(["t", "drift", "aws", "dev", "--out", &out.to_string_lossy()]);
        assert_eq!(code, ExitCode::from(2));
        let error = app
            .drift_report(Cloud::Aws, "dev", None, &out)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("s/aws/dev has no synthesized document"),
            "{error}"
        );
    }
}
