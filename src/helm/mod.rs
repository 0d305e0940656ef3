//! Helm values for the charts the platform runs, per cloud and environment,
//! wired to the applied infrastructure.
//!
//! Typed models fill each chart's values from the same [`Platform`] as the
//! infrastructure: [`workloads`] (the generic app chart: one entry per
//! platform workload), [`kube_prometheus_stack`], [`ingress_nginx`] and
//! [`cert_manager`]; [`wiring`] holds what differs per cloud and [`profile`]
//! what differs per environment tier. [`HelmSettings`] holds what is not
//! infrastructure (image registry, release, domain, ACME contact) and how
//! each chart is produced: built in, off, or replaced by your own typed
//! values; [`Chart`] and [`ChartValues`] add charts of your own.
//!
//! Two phases, because endpoints exist only after `terraform apply`:
//!
//! 1. `synth` writes `helm/<chart>.values.yaml` for charts whose values are all
//!    known, and `helm/<chart>.values.yaml.hbs` for charts that need Terraform
//!    outputs (see [`placeholder`]).
//! 2. `values --outputs FILE` renders every template with
//!    `terraform output -json` into `helm/<chart>.values.yaml` ([`render`]).
//!
//! ```
//! use infrasynth::helm::{self, HelmSettings};
//! use infrasynth::platform::Platform;
//! use infrasynth::{Cloud, Environment};
//! let platform = Platform::new("shop", Environment::DEV);
//! let settings = HelmSettings::new().with_image_registry("ghcr.io/shop");
//! for file in helm::values(&platform, Cloud::Aws, &settings).unwrap() {
//!     println!("{} ({} placeholders)", file.path(), file.yaml.placeholders.len());
//! }
//! ```

pub mod cert_manager;
mod chart;
pub mod database_bootstrap;
mod error;
pub mod ingress_nginx;
pub mod kube_prometheus_stack;
pub mod placeholder;
pub mod profile;
pub mod quote;
pub mod render;
pub mod security;
mod settings;
pub mod wiring;
pub mod workloads;

use std::collections::BTreeMap;

pub use chart::{Chart, ChartValues, HelmContext};
pub use error::{HelmError, HelmErrors, Setting};
pub use placeholder::{Deferred, FromOutput, OutputType, Placeholder, ValuesYaml};
pub use profile::Weight;
pub use render::{render_all, OutputsError, RenderError, RenderErrors, TerraformOutputs};
pub use settings::{
    acme_contact_problem, ChartId, ChartSetting, HelmSettings, Placement, WorkloadSettings,
};

use crate::core::environment::Cloud;
use crate::core::stack::Output;
use crate::platform::Platform;

/// The directory below the stack's output directory holding values files.
pub const HELM_DIR: &str = "helm";

/// One chart's values file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValuesFile {
    /// The chart's name (the file's stem).
    pub chart: String,
    /// Where the chart comes from.
    pub source: String,
    /// The YAML or template, with its header.
    pub yaml: ValuesYaml,
}

impl ValuesFile {
    /// The path below the stack's output directory:
    /// `helm/<chart>.values.yaml` or `helm/<chart>.values.yaml.hbs`.
    pub fn path(&self) -> String {
        let suffix = if self.yaml.is_template() {
            render::TEMPLATE_SUFFIX
        } else {
            render::VALUES_SUFFIX
        };
        format!("{HELM_DIR}/{}{suffix}", self.chart)
    }
}

/// The namespace the platform's workloads run in (the first workload's, or
/// the project's name without workloads).
pub fn app_namespace(platform: &Platform) -> String {
    platform
        .workloads
        .first()
        .map(|w| w.namespace.clone())
        .unwrap_or_else(|| platform.project.clone())
}

/// The values files of every chart that is on, for `platform` on `cloud` with
/// `settings`, sorted by chart name; independent of the cloud's realization.
///
/// The app chart is the generic one named after the project (one entry per
/// platform workload; none without workloads) unless `settings` replace or
/// turn it off.
///
/// # Errors
///
/// Every problem at once: settings a chart that is on needs but the
/// environment lacks (see [`HelmSettings::check`]), workload settings that do
/// not fit the platform, a hook's error, and chart names that are invalid or
/// used twice.
pub fn values(
    platform: &Platform,
    cloud: Cloud,
    settings: &HelmSettings,
) -> Result<Vec<ValuesFile>, HelmErrors> {
    let mut errors = settings.check(platform).err().unwrap_or_default().0;
    let ctx = match HelmContext::new(platform, cloud, settings) {
        Ok(ctx) => Some(ctx),
        Err(HelmErrors(mut problems)) => {
            errors.append(&mut problems);
            None
        }
    };
    let Some(ctx) = ctx.filter(|_| errors.is_empty()) else {
        return Err(HelmErrors(errors));
    };
    let mut files: Vec<ValuesFile> = Vec::new();
    let mut produced = |name: &str, source: &str, yaml: Result<ValuesYaml, HelmError>| {
        let checked = chart::check_name(name).and(yaml.map_err(|e| e.in_chart(name)));
        match checked {
            Err(error) => errors.push(error),
            Ok(_) if files.iter().any(|f| f.chart == name) => {
                errors.push(HelmError::DuplicateChart {
                    chart: name.to_string(),
                })
            }
            Ok(mut yaml) => {
                let stack = settings.stack_name();
                yaml.text =
                    header(platform, cloud, stack, name, source, yaml.is_template()) + &yaml.text;
                files.push(ValuesFile {
                    chart: name.to_string(),
                    source: source.to_string(),
                    yaml,
                });
            }
        }
    };
    for id in ChartId::ALL {
        match settings.chart(id) {
            ChartSetting::Off => {}
            ChartSetting::Replace(chart) => {
                produced(chart.name(), chart.source(), chart.values(&ctx));
            }
            ChartSetting::Builtin => {
                if let Some((name, source, yaml)) = builtin(id, &ctx) {
                    produced(&name, &source, yaml);
                }
            }
        }
    }
    for chart in settings.extra_charts() {
        produced(chart.name(), chart.source(), chart.values(&ctx));
    }
    if !errors.is_empty() {
        return Err(HelmErrors(errors));
    }
    files.sort_by(|a, b| a.chart.cmp(&b.chart));
    Ok(files)
}

/// The built-in values of `id`: its name, source and YAML; `None` for the
/// generic app chart of a platform without workloads.
fn builtin(
    id: ChartId,
    ctx: &HelmContext<'_>,
) -> Option<(String, String, Result<ValuesYaml, HelmError>)> {
    let platform = ctx.platform();
    let serialize = |yaml: Result<ValuesYaml, placeholder::YamlError>| {
        yaml.map_err(|e| HelmError::Serialize {
            chart: String::new(),
            message: e.to_string(),
        })
    };
    let (name, source, yaml) = match id {
        ChartId::App => {
            if platform.workloads.is_empty() {
                return None;
            }
            let source = ctx
                .settings()
                .app_chart_source()
                .map(str::to_string)
                .unwrap_or_else(|| format!("charts/{}", platform.project));
            (
                platform.project.clone(),
                source,
                serialize(placeholder::to_yaml(ctx.app())),
            )
        }
        ChartId::KubePrometheusStack => (
            "kube-prometheus-stack".to_string(),
            kube_prometheus_stack::SOURCE.to_string(),
            serialize(placeholder::to_yaml(&kube_prometheus_stack::values(
                platform,
                ctx.cloud(),
                ctx.settings(),
            ))),
        ),
        ChartId::IngressNginx => (
            "ingress-nginx".to_string(),
            ingress_nginx::SOURCE.to_string(),
            serialize(placeholder::to_yaml(&ingress_nginx::values(
                platform,
                ctx.cloud(),
            ))),
        ),
        ChartId::CertManager => (
            "cert-manager".to_string(),
            cert_manager::SOURCE.to_string(),
            cert_manager::values(platform, ctx.settings())
                .and_then(|v| serialize(placeholder::to_yaml(&v))),
        ),
    };
    Some((name, source, yaml))
}

fn header(
    platform: &Platform,
    cloud: Cloud,
    stack: Option<&str>,
    chart: &str,
    source: &str,
    template: bool,
) -> String {
    let env = platform.environment;
    let mut text = format!(
        "# Helm values for {source}, {}/{cloud}/{env}. Generated by infrasynth; do not edit.\n",
        platform.project
    );
    if template {
        // A handlebars comment: in the template, gone from the rendered file.
        let stack = stack.map(|s| format!(" --stack {s}")).unwrap_or_default();
        text.push_str(&format!(
            "{{{{!-- Template: the `values {cloud} {env}{stack} --outputs <terraform output -json>` command of this program renders {chart}.values.yaml. --~}}}}\n"
        ));
    }
    text
}

/// A template needing an output the stack does not declare, or a sensitive
/// one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputProblem {
    /// The values file: `helm/<chart>.values.yaml.hbs`.
    pub file: String,
    /// The values key that needs the output.
    pub key: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

/// Problems with the outputs the templates need, against what the stack
/// declares: an undeclared output (the cloud's realization forgot it, or a
/// hook names one that does not exist) or a sensitive one (secrets never go
/// into values).
pub fn check_outputs(
    files: &[ValuesFile],
    declared: &BTreeMap<String, Output>,
) -> Vec<OutputProblem> {
    let mut problems = Vec::new();
    for file in files {
        for placeholder in &file.yaml.placeholders {
            let problem = |message: String, hint: &str| OutputProblem {
                file: file.path(),
                key: placeholder.key.clone(),
                message,
                hint: hint.to_string(),
            };
            match declared.get(&placeholder.output) {
                None => problems.push(problem(
                    format!(
                        "needs Terraform output `{}`, which the stack does not declare",
                        placeholder.output
                    ),
                    "declare it with `ctx.stack.output(..)` in a customize hook on this cloud, or set the value only on the clouds that declare it (`StackDefinition::helm_per_cloud`)",
                )),
                Some(output) if output.sensitive => problems.push(problem(
                    format!(
                        "would receive sensitive Terraform output `{}`",
                        placeholder.output
                    ),
                    "reference a Kubernetes Secret by name instead; secrets never go into values files",
                )),
                Some(_) => {}
            }
        }
    }
    problems
}
