//! `helm/helmfile.yaml`: every release of one cloud and environment, in
//! order, at pinned versions, with its values file, so `helmfile apply`
//! installs the same platform every time.
//!
//! Order (`needs`), each edge for a reason:
//!
//! | release | needs | why |
//! |---|---|---|
//! | `platform-storage` | - | the StorageClass must exist before any volume claim |
//! | `cluster-autoscaler` (AWS) | - | it needs nothing but its IRSA role; nothing waits for it (pods pending for room wait by themselves; the first nodes are the groups' `desired_size`) |
//! | `envoy-gateway` | - | installs the Gateway API CRDs |
//! | `kube-prometheus-stack` | `platform-storage`, `envoy-gateway` | its volumes use the class; Grafana's HTTPRoute needs the Gateway API CRDs; it installs the monitoring CRDs every other chart's monitors need |
//! | `cert-manager` | `kube-prometheus-stack`, `envoy-gateway` | it renders a ServiceMonitor; with Gateway API support on, its controller does not become ready without the Gateway API CRDs (nginx/nginx-gateway-fabric discussion #4290: install the CRDs first) |
//! | `cert-manager-issuers` | `cert-manager` | ClusterIssuers need cert-manager's CRDs and its webhook ready (`wait`) |
//! | `platform-gateway` | `envoy-gateway`, `cert-manager-issuers`, `kube-prometheus-stack` | Gateway API objects; its certificates come from the issuers; a PodMonitor |
//! | the app | `platform-gateway`, `kube-prometheus-stack` | HTTPRoutes on the Gateway; ServiceMonitors |
//! | your own charts | the app, `platform-gateway`, `kube-prometheus-stack` | they may use any of them |
//!
//! A need on a chart that is off is dropped (it is installed elsewhere, or
//! not at all). `helmDefaults.wait` makes each release wait for its
//! workloads to be ready, so a `needs` edge means "ready", not "applied".
//!
//! Chart references: the pinned charts by `<repository>/<chart>` with their
//! version; the [`super::objects`] chart by its path beside the helmfile;
//! any other source that is not `oci://` and names no repository of the
//! helmfile is a path in your repository, written relative to the helmfile
//! assuming `--out` is a directory at the repository's root (the default
//! `out`): `../../../../../<source>`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::objects;
use super::releases::{self, ChartRelease};
use super::settings::{ChartId, ChartSetting, HelmSettings};
use super::{
    cert_manager, cluster_autoscaler, gateway, kube_prometheus_stack, ValuesFile, HELM_DIR,
};
use crate::platform::Platform;

/// The file name below `helm/`.
pub const FILE: &str = "helmfile.yaml";

/// How deep `helm/` of a stack lies below the repository root when `--out`
/// is a directory at the root: `out/<stack>/<cloud>/<env>/helm`.
const ROOT_FROM_HELM_DIR: &str = "../../../../..";

/// A helmfile document (the subset infrasynth writes; helmfile's own field
/// names, `deny_unknown_fields` so a misspelt one fails the parse test).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Helmfile {
    /// Settings of every release.
    pub helm_defaults: HelmDefaults,
    /// The chart repositories.
    pub repositories: Vec<HelmfileRepository>,
    /// The releases, in install order.
    pub releases: Vec<HelmfileRelease>,
}

/// `helmDefaults`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HelmDefaults {
    /// Wait until the release's resources are ready.
    pub wait: bool,
    /// Wait for its Jobs to complete too.
    pub wait_for_jobs: bool,
    /// Seconds to wait.
    pub timeout: u32,
}

/// A `repositories` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HelmfileRepository {
    /// The name charts are referenced by.
    pub name: String,
    /// The URL (registry and path for OCI).
    pub url: String,
    /// An OCI registry.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub oci: bool,
}

/// A `releases` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HelmfileRelease {
    /// The release's name (its values file's stem).
    pub name: String,
    /// Its namespace (created when missing, helmfile's default).
    pub namespace: String,
    /// `<repository>/<chart>`, `oci://...` or a path.
    pub chart: String,
    /// The pinned version (none for local charts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Values files, relative to the helmfile.
    pub values: Vec<String>,
    /// `<namespace>/<release>` installed (and ready) first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<String>,
}

impl HelmfileRelease {
    /// `<namespace>/<name>`, as `needs` names it.
    pub fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// What is wrong with a helmfile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HelmfileProblem(pub String);

impl Helmfile {
    /// Parses a helmfile written by [`build`].
    ///
    /// # Errors
    ///
    /// The parser's message when `text` is not such a document.
    pub fn parse(text: &str) -> Result<Helmfile, String> {
        serde_saphyr::from_str(text).map_err(|e| e.to_string())
    }

    /// The releases in an order that satisfies every `needs`.
    ///
    /// # Errors
    ///
    /// A need naming no release, a release named twice, a chart from an
    /// undeclared repository, or a cycle.
    pub fn install_order(&self) -> Result<Vec<String>, Vec<HelmfileProblem>> {
        let mut problems = Vec::new();
        let ids: Vec<String> = self.releases.iter().map(HelmfileRelease::id).collect();
        let unique: BTreeSet<&String> = ids.iter().collect();
        if unique.len() != ids.len() {
            problems.push(HelmfileProblem("a release is named twice".to_string()));
        }
        let repositories: BTreeSet<&str> =
            self.repositories.iter().map(|r| r.name.as_str()).collect();
        for release in &self.releases {
            for need in &release.needs {
                if !unique.contains(need) {
                    problems.push(HelmfileProblem(format!(
                        "release `{}` needs `{need}`, which is not a release",
                        release.id()
                    )));
                }
            }
            if release.version.is_some() {
                let repository = release.chart.split('/').next().unwrap_or_default();
                if !repositories.contains(repository) {
                    problems.push(HelmfileProblem(format!(
                        "release `{}` takes chart `{}` from repository `{repository}`, which is not declared",
                        release.id(),
                        release.chart
                    )));
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut done: Vec<String> = Vec::new();
        while done.len() < self.releases.len() {
            let ready = self.releases.iter().find(|r| {
                !done.contains(&r.id()) && r.needs.iter().all(|need| done.contains(need))
            });
            match ready {
                Some(release) => done.push(release.id()),
                None => {
                    return Err(vec![HelmfileProblem(format!(
                        "the needs of {} form a cycle",
                        ids.iter()
                            .filter(|id| !done.contains(id))
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))])
                }
            }
        }
        Ok(done)
    }
}

/// The namespace each built-in release is installed in; the app's is its
/// workloads'.
fn namespace(id: ChartId, platform: &Platform) -> String {
    match id {
        ChartId::Storage => "kube-system".to_string(),
        ChartId::ClusterAutoscaler => cluster_autoscaler::NAMESPACE.to_string(),
        ChartId::KubePrometheusStack => kube_prometheus_stack::NAMESPACE.to_string(),
        ChartId::EnvoyGateway | ChartId::Gateway => gateway::NAMESPACE.to_string(),
        ChartId::CertManager | ChartId::Issuers => cert_manager::NAMESPACE.to_string(),
        ChartId::App => super::app_namespace(platform),
    }
}

/// The releases each built-in one needs (see the module table).
fn needs(id: ChartId) -> &'static [ChartId] {
    match id {
        ChartId::Storage | ChartId::ClusterAutoscaler | ChartId::EnvoyGateway => &[],
        ChartId::KubePrometheusStack => &[ChartId::Storage, ChartId::EnvoyGateway],
        ChartId::CertManager => &[ChartId::KubePrometheusStack, ChartId::EnvoyGateway],
        ChartId::Issuers => &[ChartId::CertManager],
        ChartId::Gateway => &[
            ChartId::EnvoyGateway,
            ChartId::Issuers,
            ChartId::KubePrometheusStack,
        ],
        ChartId::App => &[ChartId::Gateway, ChartId::KubePrometheusStack],
    }
}

/// The pinned chart a built-in release installs; `None` for the local
/// charts.
pub fn pinned(id: ChartId) -> Option<ChartRelease> {
    match id {
        ChartId::KubePrometheusStack => Some(releases::KUBE_PROMETHEUS_STACK),
        ChartId::EnvoyGateway => Some(releases::ENVOY_GATEWAY),
        ChartId::CertManager => Some(releases::CERT_MANAGER),
        ChartId::ClusterAutoscaler => Some(releases::CLUSTER_AUTOSCALER),
        ChartId::Storage | ChartId::Issuers | ChartId::Gateway | ChartId::App => None,
    }
}

/// Whether a built-in release uses the [`objects`] chart.
pub fn uses_objects_chart(id: ChartId) -> bool {
    matches!(id, ChartId::Storage | ChartId::Issuers | ChartId::Gateway)
}

/// The chart reference of a source that is not one of the pinned charts.
fn chart_reference(source: &str, repositories: &[HelmfileRepository]) -> String {
    let repository = source.split('/').next().unwrap_or_default();
    if source.starts_with("oci://")
        || source.starts_with('/')
        || repositories.iter().any(|r| r.name == repository)
    {
        source.to_string()
    } else {
        format!("{ROOT_FROM_HELM_DIR}/{}", source.trim_start_matches("./"))
    }
}

/// The helmfile for the values `files` of `platform` with `settings` (as
/// [`super::values`] returned them): one release per file, the built-in
/// ones in install order with their needs, then your own charts.
pub fn build(platform: &Platform, settings: &HelmSettings, files: &[ValuesFile]) -> Helmfile {
    let values_file = |name: &str| {
        files
            .iter()
            .find(|f| f.chart == name)
            .map(|f| format!("{}{}", f.chart, super::render::VALUES_SUFFIX))
    };
    let mut repositories: Vec<HelmfileRepository> = Vec::new();
    // The release name each built-in chart has in this run, when it is on.
    let mut names: BTreeMap<ChartId, String> = BTreeMap::new();
    for id in ChartId::ALL {
        let name = match settings.chart(id) {
            ChartSetting::Off => continue,
            ChartSetting::Replace(chart) => chart.name().to_string(),
            ChartSetting::Builtin if id == ChartId::App => platform.project.clone(),
            ChartSetting::Builtin => id.as_str().to_string(),
        };
        if values_file(&name).is_some() {
            names.insert(id, name);
        }
    }
    let mut releases = Vec::new();
    for id in ChartId::ALL {
        let Some(name) = names.get(&id) else {
            continue;
        };
        let needs = needs(id)
            .iter()
            .filter_map(|need| {
                names
                    .get(need)
                    .map(|n| format!("{}/{n}", namespace(*need, platform)))
            })
            .collect();
        let source = files
            .iter()
            .find(|f| &f.chart == name)
            .map(|f| f.source.as_str())
            .unwrap_or_default();
        // A replaced pinned chart whose source is the pinned chart keeps
        // the pin: only its values are yours.
        let pinned = pinned(id).filter(|p| {
            matches!(settings.chart(id), ChartSetting::Builtin) || source == p.reference()
        });
        let (chart, version) = match (settings.chart(id), pinned) {
            (_, Some(pinned)) => {
                let repository = HelmfileRepository {
                    name: pinned.repository.name.to_string(),
                    url: pinned.repository.url.to_string(),
                    oci: pinned.repository.oci,
                };
                if !repositories.contains(&repository) {
                    repositories.push(repository);
                }
                (pinned.reference(), Some(pinned.version.to_string()))
            }
            (ChartSetting::Builtin, None) if uses_objects_chart(id) => {
                (format!("./{}", objects::CHART_DIR), None)
            }
            _ => (chart_reference(source, &repositories), None),
        };
        releases.push(HelmfileRelease {
            name: name.clone(),
            namespace: namespace(id, platform),
            chart,
            version,
            values: values_file(name).into_iter().collect(),
            needs,
        });
    }
    for chart in settings.extra_charts() {
        let needs = [ChartId::App, ChartId::Gateway, ChartId::KubePrometheusStack]
            .iter()
            .filter_map(|need| {
                names
                    .get(need)
                    .map(|n| format!("{}/{n}", namespace(*need, platform)))
            })
            .collect();
        releases.push(HelmfileRelease {
            name: chart.name().to_string(),
            namespace: super::app_namespace(platform),
            chart: chart_reference(chart.source(), &repositories),
            version: None,
            values: values_file(chart.name()).into_iter().collect(),
            needs,
        });
    }
    Helmfile {
        helm_defaults: HelmDefaults {
            wait: true,
            wait_for_jobs: true,
            timeout: 600,
        },
        repositories,
        releases,
    }
}

/// The helmfile as text, with a header saying how to use it.
///
/// # Errors
///
/// The YAML writer's message (not expected for this document).
pub fn text(helmfile: &Helmfile, label: &str) -> Result<String, String> {
    let body = super::placeholder::yaml_text(helmfile).map_err(|e| e.to_string())?;
    Ok(format!(
        "# Helm releases of {label}, in install order. Generated by infrasynth; do not edit.\n\
         # Render the values templates first (`values ... --outputs`), then: helmfile -f {HELM_DIR}/{FILE} apply\n\
         # Local charts are paths relative to this file, assuming `--out` is a directory at the repository's root.\n{body}"
    ))
}
