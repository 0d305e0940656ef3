//! The third-party charts the platform installs, pinned in one place: chart,
//! repository, version, release date and where the chart's sources at that
//! version were read.
//!
//! A synth gives the same platform next month: the `helmfile.yaml` written
//! beside the values ([`super::helmfile`]) installs exactly these versions,
//! and the key paths of each chart's defaults at that version are kept in
//! `src/helm/upstream/` (checked by `tests/helm_releases.rs`). To upgrade a
//! chart, see docs/helm.md ("Upgrading a chart").

/// A Helm repository (classic `index.yaml` over HTTPS, or an OCI registry).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Repository {
    /// The name charts are referenced by: `<name>/<chart>`.
    pub name: &'static str,
    /// The repository's URL; for OCI, the registry and path without the
    /// `oci://` scheme (helmfile's form).
    pub url: &'static str,
    /// An OCI registry rather than an `index.yaml` repository.
    pub oci: bool,
}

/// How a chart installs its CustomResourceDefinitions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrdInstall {
    /// It installs none.
    None,
    /// In the chart's (or a subchart's) `crds/` directory: Helm creates them
    /// before rendering any template, so the release may carry custom
    /// resources of these API groups (Helm docs, "Custom Resource
    /// Definitions": "CRDs in the crds/ directory are installed before the
    /// rest of the chart").
    CrdsDirectory(&'static [&'static str]),
    /// As ordinary templates: created together with every other object, so
    /// the same release must not carry a custom resource of these groups
    /// (Helm builds every object before creating any; cert-manager#7096).
    Templates(&'static [&'static str]),
}

impl CrdInstall {
    /// The API groups whose CRDs the chart installs, either way.
    pub fn groups(self) -> &'static [&'static str] {
        match self {
            CrdInstall::None => &[],
            CrdInstall::CrdsDirectory(groups) | CrdInstall::Templates(groups) => groups,
        }
    }
}

/// A pinned third-party chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChartRelease {
    /// The chart's name in its repository.
    pub chart: &'static str,
    /// Where it is published.
    pub repository: Repository,
    /// The pinned chart version.
    pub version: &'static str,
    /// The chart's release date (the tag's commit date), `YYYY-MM-DD`.
    pub released: &'static str,
    /// Where the chart's sources at this version are (the tag or commit the
    /// key paths in `src/helm/upstream/` were read from).
    pub source: &'static str,
    /// How it installs its CRDs.
    pub crds: CrdInstall,
}

impl ChartRelease {
    /// `<repository name>/<chart>`, the reference helmfile and `helm` take.
    pub fn reference(&self) -> String {
        format!("{}/{}", self.repository.name, self.chart)
    }
}

/// `prometheus-community/kube-prometheus-stack`: Prometheus Operator (its
/// CRDs in the `crds` subchart's `crds/` directory), Prometheus,
/// Alertmanager, Grafana, kube-state-metrics, node-exporter.
pub const KUBE_PROMETHEUS_STACK: ChartRelease = ChartRelease {
    chart: "kube-prometheus-stack",
    repository: Repository {
        name: "prometheus-community",
        url: "https://prometheus-community.github.io/helm-charts",
        oci: false,
    },
    version: "88.5.3",
    released: "2026-08-21",
    source: "https://github.com/prometheus-community/helm-charts/tree/ea930baeebeba39f56d6b44e351f23b2a072a600/charts/kube-prometheus-stack",
    crds: CrdInstall::CrdsDirectory(&["monitoring.coreos.com"]),
};

/// The Grafana chart kube-prometheus-stack 88.5.3 depends on (its
/// `Chart.yaml`); not installed on its own, listed for its values' key paths
/// (`grafana.*`).
pub const GRAFANA: ChartRelease = ChartRelease {
    chart: "grafana",
    repository: Repository {
        name: "grafana-community",
        url: "https://grafana-community.github.io/helm-charts",
        oci: false,
    },
    version: "12.11.1",
    released: "2026-08-19",
    source: "https://github.com/grafana-community/helm-charts/tree/grafana-12.11.1/charts/grafana",
    crds: CrdInstall::None,
};

/// `jetstack/cert-manager`: its CRDs are templates (`crds.enabled`), so the
/// ClusterIssuers are a release of their own.
pub const CERT_MANAGER: ChartRelease = ChartRelease {
    chart: "cert-manager",
    repository: Repository {
        name: "jetstack",
        url: "https://charts.jetstack.io",
        oci: false,
    },
    version: "v1.21.1",
    released: "2026-07-29",
    source: "https://github.com/cert-manager/cert-manager/tree/v1.21.1/deploy/charts/cert-manager",
    crds: CrdInstall::Templates(&["cert-manager.io", "acme.cert-manager.io"]),
};

/// Envoy Gateway's chart `gateway-helm` (OCI, `docker.io/envoyproxy`): the
/// controller plus the Gateway API and Envoy Gateway CRDs in its `crds`
/// subchart's `crds/` directory.
pub const ENVOY_GATEWAY: ChartRelease = ChartRelease {
    chart: "gateway-helm",
    repository: Repository {
        name: "envoyproxy",
        url: "docker.io/envoyproxy",
        oci: true,
    },
    version: "v1.9.0",
    released: "2026-08-15",
    source: "https://github.com/envoyproxy/gateway/tree/v1.9.0/charts/gateway-helm",
    crds: CrdInstall::CrdsDirectory(&["gateway.networking.k8s.io", "gateway.envoyproxy.io"]),
};

/// `autoscaler/cluster-autoscaler` (AWS only): the Kubernetes Cluster
/// Autoscaler, no CRDs. Chart 9.59.0 ships app version 1.35.0; the image tag
/// is set per cluster version ([`super::cluster_autoscaler`]).
pub const CLUSTER_AUTOSCALER: ChartRelease = ChartRelease {
    chart: "cluster-autoscaler",
    repository: Repository {
        name: "autoscaler",
        url: "https://kubernetes.github.io/autoscaler",
        oci: false,
    },
    version: "9.59.0",
    released: "2026-07-13",
    source: "https://github.com/kubernetes/autoscaler/tree/b70816209e/cluster-autoscaler/charts/cluster-autoscaler",
    crds: CrdInstall::None,
};

/// Every pinned chart, installed or depended on.
pub const ALL: [ChartRelease; 5] = [
    KUBE_PROMETHEUS_STACK,
    GRAFANA,
    CERT_MANAGER,
    ENVOY_GATEWAY,
    CLUSTER_AUTOSCALER,
];

/// A chart or image the platform must not use any more, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retired {
    /// A substring identifying it in a values file or chart reference
    /// (`ingress-nginx`, `registry.k8s.io/ingress-nginx/controller`).
    pub pattern: &'static str,
    /// When its retirement was announced, `YYYY-MM-DD`.
    pub announced: &'static str,
    /// Why, and the source.
    pub reason: &'static str,
}

/// Retired charts and images: no values file, chart reference or helmfile
/// may name them (`tests/helm_releases.rs`).
pub const RETIRED: [Retired; 2] = [
    Retired {
        pattern: "ingress-nginx",
        announced: "2025-11-11",
        reason: "retired by Kubernetes SIG Network and the Security Response Committee (kubernetes.io blog, 2025-11-11): no releases, bug fixes or security patches after March 2026",
    },
    Retired {
        pattern: "k8s.gcr.io",
        announced: "2023-03-10",
        reason: "the legacy Kubernetes image registry was frozen on 2023-04-03 (kubernetes.io blog, 2023-03-10); images come from registry.k8s.io",
    },
];
