//! `lookup <cloud> <env>`: live cloud facts into the context file, and how
//! every other command reads that file (once per run, saying so when there
//! is none).

use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::Arc;

use crate::app::{App, StackDefinition};
use crate::core::context::Context;
use crate::core::environment::{Cloud, Environment};
use crate::core::live::{LiveError, RetryPolicy};
use crate::platform::facts::CloudFacts;

/// The context a command synthesizes with.
pub(super) enum Loaded {
    /// The file's facts, or `None` without a file (said on stderr).
    Context(Option<Arc<Context>>),
    /// The file exists and does not read: the command stops (exit 2).
    Unreadable,
}

impl App {
    /// Reads the context file for a command that synthesizes. Without one,
    /// says once that the built-in tables are used.
    pub(super) fn load_context(&self) -> Loaded {
        match Context::load(self.context_path()) {
            Ok(Some(context)) => Loaded::Context(Some(Arc::new(context))),
            Ok(None) => {
                eprintln!(
                    "note: no context file {}: AWS zones and EKS add-on versions come from infrasynth's built-in tables, and node pools' instance types and VM sizes are not checked against the account; `{} lookup <cloud> <env>` records them (docs/lookups-and-drift.md)",
                    self.context_path().display(),
                    self.name()
                );
                Loaded::Context(None)
            }
            Err(error) => {
                eprintln!("error: {error}");
                Loaded::Unreadable
            }
        }
    }

    /// Says that the context file has no facts for one target, so its
    /// synth uses the built-in tables.
    pub(super) fn note_missing_facts(
        &self,
        context: Option<&Context>,
        definition: &StackDefinition,
        cloud: Cloud,
        env: Environment,
    ) {
        let key = Context::key(definition.name(), cloud, env);
        if let Some(context) = context {
            if !context.contains(&key) {
                eprintln!(
                    "note: {} has no facts for {key}: built-in tables used; `{} lookup {cloud} {env} --stack {}` records them",
                    self.context_path().display(),
                    self.name(),
                    definition.name()
                );
            }
        }
    }

    /// `lookup`: for each stack (or the one named), the facts its blocks ask
    /// for, fetched live and written to the context file in one atomic
    /// write once every fetch succeeded; a failure writes nothing.
    pub(super) fn lookup(
        &self,
        cloud: Cloud,
        env: &str,
        stack: Option<&str>,
        refresh: bool,
    ) -> io::Result<ExitCode> {
        let definitions: Vec<&StackDefinition> = match stack {
            Some(_) => match self.find_stack(stack) {
                Ok(definition) => vec![definition],
                Err(error) => {
                    eprintln!("error: {error}");
                    return Ok(ExitCode::from(2));
                }
            },
            None => self.stacks().iter().collect(),
        };
        let env = match self.find_environment(env) {
            Ok(env) => env,
            Err(error) => {
                eprintln!("error: {error}");
                return Ok(ExitCode::from(2));
            }
        };
        let path = self.context_path();
        let mut context = match Context::load(path) {
            Ok(found) => found.unwrap_or_default(),
            Err(error) => {
                eprintln!("error: {error}");
                return Ok(ExitCode::from(2));
            }
        };
        let before = context.clone();
        let mut stdout = io::stdout().lock();
        for definition in definitions {
            let key = Context::key(definition.name(), cloud, env);
            if context.contains(&key) && !refresh {
                writeln!(
                    stdout,
                    "{key}: facts recorded already in {} (--refresh fetches them again)",
                    path.display()
                )?;
                continue;
            }
            // What the stack asks for, from the stack as synth builds it
            // without facts (its node pools, versions, add-ons, backend).
            let (_, realized) = definition.realize(cloud, env);
            let facts = match fetch(cloud, &realized, &RetryPolicy::default()) {
                Ok(facts) => facts,
                Err(Failure::Live(error)) => {
                    eprintln!("error: lookup of {key}: {error}");
                    eprintln!("{} is unchanged", path.display());
                    return Ok(ExitCode::FAILURE);
                }
                Err(Failure::Usage(message)) => {
                    eprintln!("error: lookup of {key}: {message}");
                    return Ok(ExitCode::from(2));
                }
            };
            if let Err(message) = facts.record(&mut context, &key) {
                eprintln!("error: lookup of {key}: {message}");
                return Ok(ExitCode::FAILURE);
            }
            writeln!(stdout, "{key}: {}", summary(&facts))?;
            for (problem, fix) in problems(&facts, env) {
                writeln!(stdout, "  problem: {problem}\n    fix: {fix}")?;
            }
        }
        if context == before && path.exists() {
            writeln!(stdout, "{} unchanged", path.display())?;
            return Ok(ExitCode::SUCCESS);
        }
        if let Err(error) = context.save(path) {
            eprintln!(
                "error: writing {}: {error} (the previous file is intact)",
                path.display()
            );
            return Ok(ExitCode::FAILURE);
        }
        writeln!(
            stdout,
            "wrote {} (commit it: every synth reads it)",
            path.display()
        )?;
        Ok(ExitCode::SUCCESS)
    }
}

/// Why a fetch did not happen.
enum Failure {
    /// The call failed.
    Live(LiveError),
    /// This build or this stack cannot be looked up (exit 2).
    Usage(String),
}

impl From<LiveError> for Failure {
    fn from(error: LiveError) -> Self {
        Failure::Live(error)
    }
}

/// Fetches the facts `stack` asks for on `cloud`.
#[allow(unused_variables)] // each cloud's arm uses them only with its feature
fn fetch(cloud: Cloud, stack: &crate::Stack, policy: &RetryPolicy) -> Result<CloudFacts, Failure> {
    match cloud {
        #[cfg(feature = "aws")]
        Cloud::Aws => {
            let query = crate::aws::facts::AwsLookup::of(stack);
            Ok(CloudFacts::Aws(crate::aws::live::lookup(&query, policy)?))
        }
        #[cfg(feature = "gcp")]
        Cloud::Gcp => {
            let query = crate::gcp::facts::GcpLookup::of(stack);
            Ok(CloudFacts::Gcp(crate::gcp::live::lookup(&query, policy)?))
        }
        #[cfg(feature = "azure")]
        Cloud::Azure => {
            let query = crate::azure::facts::AzureLookup::of(stack);
            Ok(CloudFacts::Azure(crate::azure::live::lookup(&query, policy)?))
        }
        #[allow(unreachable_patterns)] // with every cloud's feature on
        other => Err(Failure::Usage(format!(
            "this build has no {other} lookups: enable infrasynth's `{other}` feature (in the crate's Cargo.toml: infrasynth = {{ ..., features = [\"{other}\"] }}; in infrasynth's own repository: cargo run --features {other} -- lookup {other} <env>)"
        ))),
    }
}

/// One line of what was recorded.
fn summary(facts: &CloudFacts) -> String {
    match facts {
        CloudFacts::Aws(aws) => {
            let zones: Vec<String> = aws
                .zones
                .iter()
                .map(|z| format!("{} ({})", z.name, z.zone_id))
                .collect();
            let versions: Vec<String> = aws
                .addon_versions
                .iter()
                .map(|(k8s, addons)| format!("{} add-on versions for Kubernetes {k8s}", addons.len()))
                .collect();
            format!(
                "{}: {} zones [{}], offerings of {} instance types, {}",
                aws.region,
                aws.zones.len(),
                zones.join(", "),
                aws.instance_type_offerings.len(),
                if versions.is_empty() {
                    "no add-on versions".to_string()
                } else {
                    versions.join(", ")
                }
            )
        }
        CloudFacts::Azure(azure) => format!(
            "{}: {} VM sizes [{}]",
            azure.location,
            azure.vm_sizes.len(),
            azure
                .vm_sizes
                .iter()
                .map(|(size, offer)| match &offer.unavailable {
                    Some(reason) => format!("{size}: unavailable ({reason})"),
                    None => format!(
                        "{size}: zones {}",
                        offer.zones.iter().cloned().collect::<Vec<_>>().join(",")
                    ),
                })
                .collect::<Vec<_>>()
                .join("; ")
        ),
        CloudFacts::Gcp(gcp) => match &gcp.state_bucket {
            Some(bucket) if bucket.problems().is_empty() => format!(
                "state bucket gs://{} exists, versioned, uniform bucket-level access, public access prevention enforced",
                bucket.name
            ),
            Some(bucket) => format!(
                "state bucket gs://{}: {} problem(s); synth fails until they are fixed and looked up again",
                bucket.name,
                bucket.problems().len()
            ),
            None => "no GCS state backend: nothing to check".to_string(),
        },
    }
}

/// The problems the facts show (the GCP state bucket's), with fixes for
/// `env`.
fn problems(facts: &CloudFacts, env: Environment) -> Vec<(String, String)> {
    match facts {
        CloudFacts::Gcp(gcp) => gcp
            .state_bucket
            .as_ref()
            .map(|b| b.problems_for(env.name()))
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}
