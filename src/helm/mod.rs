//! Helm values for the charts the platform runs, per cloud and environment,
//! wired to the applied infrastructure.
//!
//! Typed models, one per chart ([`app`], [`kube_prometheus_stack`],
//! [`ingress_nginx`], [`cert_manager`]), are filled from the same
//! [`Platform`] as the infrastructure; [`wiring`] holds what differs per cloud
//! and [`profile`] what differs per environment.
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
//! use infrasynth::{helm, Cloud, Environment};
//! # fn platform() -> infrasynth::platform::Platform { unimplemented!() }
//! # if false {
//! for file in helm::values_for(&platform(), Cloud::Aws).unwrap() {
//!     println!("{} ({} placeholders)", file.path(), file.yaml.placeholders.len());
//! }
//! # }
//! ```

pub mod app;
pub mod cert_manager;
pub mod ingress_nginx;
pub mod kube_prometheus_stack;
pub mod placeholder;
pub mod profile;
pub mod render;
pub mod security;
pub mod wiring;

use std::collections::BTreeMap;

pub use placeholder::{Deferred, FromOutput, OutputType, Placeholder, ValuesYaml};
pub use render::{render_all, RenderError, RenderErrors, TerraformOutputs};

use crate::core::environment::Cloud;
use crate::core::stack::Output;
use crate::platform::Platform;

/// The directory below the stack's output directory holding values files.
pub const HELM_DIR: &str = "helm";
/// The app chart's name (`stacks/mlops/chart/Chart.yaml`).
pub const APP_CHART: &str = "mlops";

/// Settings that are not part of the infrastructure spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HelmOptions {
    /// The DNS zone public hosts live under (`api.dev.<domain>`).
    pub domain: String,
    /// Where the platform's own images are pushed.
    pub image_registry: String,
    /// The released version staging and production run (never `latest`).
    pub release: String,
    /// Let's Encrypt account contact.
    pub acme_email: String,
}

impl HelmOptions {
    /// Defaults for `platform`: `<project>.example.com`, `ghcr.io/<project>`.
    pub fn for_platform(platform: &Platform) -> Self {
        HelmOptions {
            domain: format!("{}.example.com", platform.project),
            image_registry: format!("ghcr.io/{}", platform.project),
            release: "1.4.0".to_string(),
            acme_email: format!("platform-team@{}.example.com", platform.project),
        }
    }
}

/// Every chart's typed values.
#[derive(Clone, Debug)]
pub struct HelmValues {
    /// The platform's own chart.
    pub app: app::AppValues,
    /// Monitoring.
    pub kube_prometheus_stack: kube_prometheus_stack::KubePrometheusStackValues,
    /// Ingress.
    pub ingress_nginx: ingress_nginx::IngressNginxValues,
    /// Certificates.
    pub cert_manager: cert_manager::CertManagerValues,
}

/// One chart's values file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValuesFile {
    /// The chart's name (the file's stem).
    pub chart: &'static str,
    /// Where the chart comes from.
    pub source: &'static str,
    /// The YAML or template.
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

/// The namespace the platform's workloads run in.
pub fn app_namespace(platform: &Platform) -> String {
    platform
        .workloads
        .first()
        .map(|w| w.namespace.clone())
        .unwrap_or_else(|| platform.project.clone())
}

/// The typed values of every chart for `platform` on `cloud`.
pub fn model(
    platform: &Platform,
    cloud: Cloud,
    options: &HelmOptions,
) -> Result<HelmValues, String> {
    let env = platform.environment;
    if !env.is_development() && (options.release.is_empty() || options.release == "latest") {
        return Err(format!(
            "release `{}` is not a pinned version; {env} must run a pinned image tag (`latest` is for dev only)",
            options.release
        ));
    }
    Ok(HelmValues {
        app: app::values(platform, cloud, options),
        kube_prometheus_stack: kube_prometheus_stack::values(platform, cloud, options),
        ingress_nginx: ingress_nginx::values(platform, cloud),
        cert_manager: cert_manager::values(platform, options)?,
    })
}

/// The values files for `platform` on `cloud` with default [`HelmOptions`];
/// independent of the cloud's realization.
pub fn values_for(platform: &Platform, cloud: Cloud) -> Result<Vec<ValuesFile>, String> {
    values_with(platform, cloud, &HelmOptions::for_platform(platform))
}

/// The values files for `platform` on `cloud` with `options`.
pub fn values_with(
    platform: &Platform,
    cloud: Cloud,
    options: &HelmOptions,
) -> Result<Vec<ValuesFile>, String> {
    let model = model(platform, cloud, options)?;
    let header = |chart: &str, source: &str, template: bool| {
        let mut text = format!(
            "# Helm values for {source}, {}/{cloud}/{}. Generated by infrasynth; do not edit.\n",
            platform.project, platform.environment
        );
        if template {
            // A handlebars comment: in the template, gone from the rendered file.
            text.push_str(&format!(
                "{{{{!-- Template: `infrasynth values {cloud} {} --outputs <terraform output -json>` renders {chart}.values.yaml. --~}}}}\n",
                platform.environment
            ));
        }
        text
    };
    let mut files = vec![
        (
            APP_CHART,
            "stacks/mlops/chart",
            placeholder::to_yaml(&model.app)?,
        ),
        (
            "kube-prometheus-stack",
            "prometheus-community/kube-prometheus-stack",
            placeholder::to_yaml(&model.kube_prometheus_stack)?,
        ),
        (
            "ingress-nginx",
            "ingress-nginx/ingress-nginx",
            placeholder::to_yaml(&model.ingress_nginx)?,
        ),
        (
            "cert-manager",
            "jetstack/cert-manager",
            placeholder::to_yaml(&model.cert_manager)?,
        ),
    ]
    .into_iter()
    .map(|(chart, source, mut yaml)| {
        yaml.text = header(chart, source, yaml.is_template()) + &yaml.text;
        ValuesFile {
            chart,
            source,
            yaml,
        }
    })
    .collect::<Vec<_>>();
    files.sort_by_key(|f| f.chart);
    Ok(files)
}

/// Problems with the outputs the templates need, against what the stack
/// declares: an undeclared output (the cloud's realization forgot it) or a
/// sensitive one (secrets never go into values). Each item is
/// `(file, key, message, hint)`.
pub fn check_outputs(
    files: &[ValuesFile],
    declared: &BTreeMap<String, Output>,
) -> Vec<(String, String, String, String)> {
    let mut problems = Vec::new();
    for file in files {
        for placeholder in &file.yaml.placeholders {
            match declared.get(&placeholder.output) {
                None => problems.push((
                    file.path(),
                    placeholder.key.clone(),
                    format!(
                        "needs Terraform output `{}`, which the stack does not declare",
                        placeholder.output
                    ),
                    "declare it in the cloud's realization (see platform::outputs)".to_string(),
                )),
                Some(output) if output.sensitive => problems.push((
                    file.path(),
                    placeholder.key.clone(),
                    format!(
                        "would receive sensitive Terraform output `{}`",
                        placeholder.output
                    ),
                    "reference a Kubernetes Secret by name instead; secrets never go into values files"
                        .to_string(),
                )),
                Some(_) => {}
            }
        }
    }
    problems
}
