//! What the Helm values need beyond the infrastructure spec: where images come
//! from, which release runs, the DNS zone, the ACME contact, how each chart is
//! produced, and per-workload deployment facts.
//!
//! There are no placeholder defaults: a setting that is not set is absent, and
//! a chart that needs it fails the synth with an error naming the setting and
//! the builder call that sets it (see [`HelmSettings::check`]).

use std::collections::BTreeMap;

use super::chart::Chart;
use super::error::{HelmError, HelmErrors, Setting};
use super::placeholder::Deferred;
use super::profile::Weight;
use crate::platform::Platform;

/// The charts the library writes values for, each one Helm release of the
/// `helmfile.yaml` synth writes (see [`super::helmfile`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChartId {
    /// `platform-storage`: the encrypted StorageClass every platform volume
    /// uses (the [`super::objects`] chart; see [`super::storage`]).
    Storage,
    /// `autoscaler/cluster-autoscaler`, on AWS only: scales each EKS node
    /// group between its pool's `min_nodes` and `max_nodes` (GKE and AKS
    /// scale their pools themselves).
    ClusterAutoscaler,
    /// `envoy-gateway`: Envoy Gateway's chart, with the Gateway API CRDs.
    EnvoyGateway,
    /// `prometheus-community/kube-prometheus-stack`: Prometheus, Alertmanager,
    /// Grafana and the platform's alerts.
    KubePrometheusStack,
    /// `jetstack/cert-manager`.
    CertManager,
    /// `cert-manager-issuers`: the Let's Encrypt ClusterIssuers (the
    /// [`super::objects`] chart), after cert-manager's CRDs exist.
    Issuers,
    /// `platform-gateway`: the GatewayClass, EnvoyProxy and the Gateway with
    /// a listener per public host (the [`super::objects`] chart).
    Gateway,
    /// The platform's own workloads: the generic app chart named after the
    /// project (see [`super::workloads`]), or your chart's values when
    /// replaced.
    App,
}

impl ChartId {
    /// Every chart, in install order.
    pub const ALL: [ChartId; 8] = [
        ChartId::Storage,
        ChartId::ClusterAutoscaler,
        ChartId::EnvoyGateway,
        ChartId::KubePrometheusStack,
        ChartId::CertManager,
        ChartId::Issuers,
        ChartId::Gateway,
        ChartId::App,
    ];

    /// The chart's name in messages: `app`, `kube-prometheus-stack`, ...
    /// (the built-in release's name, but for the app chart).
    pub fn as_str(self) -> &'static str {
        match self {
            ChartId::Storage => "platform-storage",
            ChartId::ClusterAutoscaler => "cluster-autoscaler",
            ChartId::KubePrometheusStack => "kube-prometheus-stack",
            ChartId::EnvoyGateway => "envoy-gateway",
            ChartId::CertManager => "cert-manager",
            ChartId::Issuers => "cert-manager-issuers",
            ChartId::Gateway => "platform-gateway",
            ChartId::App => "app",
        }
    }
}

/// How one of the library's charts is produced.
#[derive(Clone, Debug, Default)]
pub enum ChartSetting {
    /// The library's typed values (the default).
    #[default]
    Builtin,
    /// No values file: you install the chart some other way, or not at all.
    Off,
    /// Your values instead of the library's, under your chart's name and
    /// source (see [`Chart`]).
    Replace(Chart),
}

/// Where a workload's pods are scheduled.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Placement {
    /// Wherever the scheduler puts them (the untainted pools).
    #[default]
    Any,
    /// On the platform's spot pool without GPUs: its labels as node selector,
    /// its taints tolerated. Without such a pool, like [`Placement::Any`].
    Spot,
    /// On the node pool of this name: its labels and taints likewise.
    Pool(String),
}

/// Deployment facts about one of the platform's workloads that the
/// infrastructure spec does not hold. A workload without settings gets
/// [`WorkloadSettings::default`].
///
/// ```
/// use infrasynth::helm::WorkloadSettings;
/// let api = WorkloadSettings {
///     port: 8000,
///     public_host: Some("api".into()),
///     database: Some("app".into()),
///     ..WorkloadSettings::default()
/// };
/// assert!(api.service);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadSettings {
    /// The image's name below the registry; default: the workload's name.
    pub image: Option<String>,
    /// The container port (and the Service's); default 8080.
    pub port: u16,
    /// Whether the workload gets a Service; off for batch work. Default on.
    pub service: bool,
    /// Public at `<prefix>.<domain>` in production and
    /// `<prefix>.<env>.<domain>` elsewhere, with a TLS certificate: an
    /// HTTPRoute on the platform Gateway's listener for the host; default:
    /// not public.
    pub public_host: Option<String>,
    /// The HTTP path of the workload's Prometheus metrics on its Service
    /// port, scraped by a ServiceMonitor (and watched by `ServiceDown`); the
    /// platform's alerts and dashboard read the metrics listed in
    /// [`super::monitoring::WORKLOAD_METRICS`] from it. `None` for a
    /// workload without metrics; ignored without a Service. Default
    /// `/metrics`.
    pub metrics_path: Option<String>,
    /// The platform database it uses (`DATABASE_NAME` and, on GCP, the Cloud
    /// SQL Auth Proxy sidecar); default: none.
    pub database: Option<String>,
    /// Requests and limits, scaled per environment tier; default
    /// [`Weight::Standard`].
    pub weight: Weight,
    /// Which nodes run it; default [`Placement::Any`].
    pub placement: Placement,
    /// More environment variables: known values, or Terraform outputs the
    /// `values` phase fills in (`Deferred::Output(FromOutput::string(..))`,
    /// such as the URL of a queue a customize hook added and declared as an
    /// output). An output the stack does not declare is a synth error, a
    /// sensitive one too. They may not replace the variables infrasynth sets
    /// (`BUCKET_*`, `DATABASE_NAME`). Default: none.
    pub env: BTreeMap<String, Deferred<String>>,
}

impl Default for WorkloadSettings {
    fn default() -> Self {
        WorkloadSettings {
            image: None,
            port: 8080,
            service: true,
            public_host: None,
            metrics_path: Some("/metrics".to_string()),
            database: None,
            weight: Weight::Standard,
            placement: Placement::Any,
            env: BTreeMap::new(),
        }
    }
}

/// Everything the Helm values need that is not infrastructure, per
/// environment: the stack builds one with the `with_*` methods.
///
/// ```
/// use infrasynth::helm::{ChartId, ChartSetting, HelmSettings, WorkloadSettings};
/// let settings = HelmSettings::new()
///     .with_image_registry("ghcr.io/retail")
///     .with_release("2.3.1")
///     .with_domain("retail.shop")
///     .with_acme_contact("platform@retail.shop")
///     .with_workload("recommender-api", WorkloadSettings {
///         public_host: Some("recs".into()),
///         ..WorkloadSettings::default()
///     })
///     .with_chart(ChartId::Storage, ChartSetting::Off);
/// assert_eq!(settings.image_registry(), Some("ghcr.io/retail"));
/// ```
///
/// | setting | needed by | development tier without it |
/// |---|---|---|
/// | `image_registry` | the app chart | error (no registry is a harmless guess) |
/// | `release` | the app chart | not needed: dev runs `latest` |
/// | `domain` | public workloads | routes off (reach them with `kubectl port-forward`) |
/// | `acme_contact` | cert-manager | ACME account without contact (no expiry e-mails) |
///
/// In the staging and production tiers a missing setting that a chart needs
/// is an error. Grafana is public at `grafana.<domain>` only when a domain is
/// set, in every tier.
#[derive(Clone, Debug, Default)]
pub struct HelmSettings {
    image_registry: Option<String>,
    release: Option<String>,
    domain: Option<String>,
    acme_contact: Option<String>,
    display_name: Option<String>,
    stack_name: Option<String>,
    app_chart_source: Option<String>,
    public_hosts: Vec<String>,
    workloads: BTreeMap<String, WorkloadSettings>,
    charts: BTreeMap<ChartId, ChartSetting>,
    extra: Vec<Chart>,
}

impl HelmSettings {
    /// No settings: every chart built in, nothing configured.
    pub fn new() -> Self {
        HelmSettings::default()
    }

    /// Where the platform's own images are pushed: `ghcr.io/acme`,
    /// `123456789012.dkr.ecr.us-east-1.amazonaws.com/acme`. A workload's image
    /// is `<registry>/<image name>`.
    pub fn with_image_registry(mut self, registry: impl Into<String>) -> Self {
        self.image_registry = Some(registry.into());
        self
    }

    /// The image tag the staging and production tiers run (never `latest`);
    /// the development tier runs `latest`, always pulled.
    pub fn with_release(mut self, release: impl Into<String>) -> Self {
        self.release = Some(release.into());
        self
    }

    /// The DNS zone public hosts live under: `api.<domain>` in production,
    /// `api.<env>.<domain>` elsewhere.
    pub fn with_domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// The e-mail of the Let's Encrypt account (expiry and policy notices).
    /// Let's Encrypt refuses reserved domains such as `example.com`, so they
    /// are rejected at synth time.
    pub fn with_acme_contact(mut self, email: impl Into<String>) -> Self {
        self.acme_contact = Some(email.into());
        self
    }

    /// The name of the stack these values belong to, so the values
    /// templates' header gives the exact `values ... --stack <name>` command.
    /// `StackDefinition` sets it; set it yourself only when calling
    /// [`crate::helm::values`] directly.
    pub fn with_stack_name(mut self, name: impl Into<String>) -> Self {
        self.stack_name = Some(name.into());
        self
    }

    /// The stack name, if set.
    pub fn stack_name(&self) -> Option<&str> {
        self.stack_name.as_deref()
    }

    /// How people call the platform: the Grafana folder and the dashboard's
    /// title. Default: the project name.
    pub fn with_display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }

    /// Where the generic app chart comes from (shown in the values file's
    /// header). Default: `charts/<project>`, a copy of this repository's
    /// `charts/workloads` (the chart the workload model is for).
    pub fn with_app_chart_source(mut self, source: impl Into<String>) -> Self {
        self.app_chart_source = Some(source.into());
        self
    }

    /// A public host `<prefix>.<domain>` (`<prefix>.<env>.<domain>` outside
    /// production) for something that is not a platform workload, such as a
    /// web UI your chart runs: the Gateway gets an HTTPS listener and a
    /// certificate for it, and [`HelmContext::public_host`] answers for it.
    /// Workloads' hosts ([`WorkloadSettings::public_host`]) and Grafana's
    /// need no declaration.
    ///
    /// [`HelmContext::public_host`]: super::HelmContext::public_host
    pub fn with_public_host(mut self, prefix: impl Into<String>) -> Self {
        self.public_hosts.push(prefix.into());
        self
    }

    /// The prefixes declared with [`HelmSettings::with_public_host`].
    pub fn public_hosts(&self) -> impl Iterator<Item = &str> {
        self.public_hosts.iter().map(String::as_str)
    }

    /// Whether `prefix` is a public host of `platform`: a workload's, one
    /// declared with [`HelmSettings::with_public_host`], or Grafana's.
    pub fn is_public_host(&self, platform: &Platform, prefix: &str) -> bool {
        prefix == super::kube_prometheus_stack::GRAFANA_HOST
            || self.public_hosts.iter().any(|p| p == prefix)
            || platform
                .workloads
                .iter()
                .any(|w| self.workload(&w.name).public_host.as_deref() == Some(prefix))
    }

    /// Deployment facts of the platform workload `name`.
    pub fn with_workload(mut self, name: impl Into<String>, settings: WorkloadSettings) -> Self {
        self.workloads.insert(name.into(), settings);
        self
    }

    /// Turns one of the library's charts off, back to built-in, or replaces
    /// its values with yours.
    pub fn with_chart(mut self, chart: ChartId, setting: ChartSetting) -> Self {
        self.charts.insert(chart, setting);
        self
    }

    /// Adds the values of a chart of your own, computed by `values` from the
    /// [`HelmContext`](super::HelmContext) (platform, cloud, settings and the
    /// derived workload model). `values` returns any `serde::Serialize` type;
    /// [`FromOutput`](super::FromOutput) and [`Deferred`](super::Deferred)
    /// inside it become placeholders that `infrasynth values` fills from
    /// `terraform output -json`. For a hook that can fail, implement
    /// [`ChartValues`](super::ChartValues) and use
    /// [`HelmSettings::with_extra_chart`].
    pub fn with_custom_chart<T, F>(
        self,
        name: impl Into<String>,
        source: impl Into<String>,
        values: F,
    ) -> Self
    where
        T: serde::Serialize + 'static,
        F: Fn(&super::HelmContext<'_>) -> T + Send + Sync + 'static,
    {
        self.with_extra_chart(Chart::from_fn(name, source, values))
    }

    /// Adds a chart of your own (see [`Chart`]).
    pub fn with_extra_chart(mut self, chart: Chart) -> Self {
        self.extra.push(chart);
        self
    }

    /// The image registry, if set.
    pub fn image_registry(&self) -> Option<&str> {
        self.image_registry.as_deref()
    }

    /// The release, if set.
    pub fn release(&self) -> Option<&str> {
        self.release.as_deref()
    }

    /// The DNS zone, if set.
    pub fn domain(&self) -> Option<&str> {
        self.domain.as_deref()
    }

    /// The ACME contact, if set.
    pub fn acme_contact(&self) -> Option<&str> {
        self.acme_contact.as_deref()
    }

    /// The display name, if set.
    pub fn display_name(&self) -> Option<&str> {
        self.display_name.as_deref()
    }

    /// The generic app chart's source, if set.
    pub fn app_chart_source(&self) -> Option<&str> {
        self.app_chart_source.as_deref()
    }

    /// The settings of workload `name` (the defaults when it has none).
    pub fn workload(&self, name: &str) -> WorkloadSettings {
        self.workloads.get(name).cloned().unwrap_or_default()
    }

    /// The names of the workloads that have settings.
    pub fn workload_names(&self) -> impl Iterator<Item = &str> {
        self.workloads.keys().map(String::as_str)
    }

    /// How `chart` is produced.
    pub fn chart(&self, chart: ChartId) -> &ChartSetting {
        const BUILTIN: &ChartSetting = &ChartSetting::Builtin;
        self.charts.get(&chart).unwrap_or(BUILTIN)
    }

    /// Your own charts, in the order added.
    pub fn extra_charts(&self) -> &[Chart] {
        &self.extra
    }

    /// Whether the app chart is written for `platform`: replaced, or built in
    /// with at least one workload to deploy.
    pub fn app_chart_on(&self, platform: &Platform) -> bool {
        match self.chart(ChartId::App) {
            ChartSetting::Off => false,
            ChartSetting::Builtin => !platform.workloads.is_empty(),
            ChartSetting::Replace(_) => true,
        }
    }

    /// Checks the settings against what the charts that are on need in
    /// `platform`'s environment, and every value that is set.
    ///
    /// # Errors
    ///
    /// Every problem found: a setting a chart needs that is missing outside
    /// the development tier ([`HelmError::MissingSetting`]: the ACME contact
    /// for cert-manager, the release for the app chart; the image registry is
    /// needed by the app chart in every tier), a setting that is invalid (an ACME contact at
    /// a reserved domain such as `example.com`, a registry with a scheme), or
    /// `latest` as the release outside the development tier.
    pub fn check(&self, platform: &Platform) -> Result<(), HelmErrors> {
        let env = platform.environment;
        let strict = !env.is_development();
        let mut errors = Vec::new();
        let mut invalid = |setting: Setting, value: &str, reason: Option<String>| {
            if let Some(reason) = reason {
                errors.push(HelmError::InvalidSetting {
                    setting,
                    value: value.to_string(),
                    reason,
                });
            }
        };
        if let Some(value) = &self.image_registry {
            invalid(Setting::ImageRegistry, value, registry_problem(value));
        }
        if let Some(value) = &self.release {
            invalid(Setting::Release, value, release_problem(value));
        }
        if let Some(value) = &self.domain {
            invalid(Setting::Domain, value, domain_problem(value));
        }
        if let Some(value) = &self.acme_contact {
            invalid(Setting::AcmeContact, value, acme_contact_problem(value));
        }
        if let Some(value) = &self.display_name {
            let blank = value.trim().is_empty() || value.contains('\n');
            invalid(
                Setting::DisplayName,
                value,
                blank.then(|| "it must be one non-empty line".to_string()),
            );
        }
        if let Some(value) = &self.app_chart_source {
            invalid(
                Setting::AppChartSource,
                value,
                value
                    .trim()
                    .is_empty()
                    .then(|| "it must not be empty".to_string()),
            );
        }
        for prefix in &self.public_hosts {
            invalid(Setting::PublicHost, prefix, prefix_problem(prefix));
        }
        let missing = |setting, needed_by: &str, alternative| {
            HelmError::missing(setting, needed_by, env, alternative)
        };
        if matches!(self.chart(ChartId::Issuers), ChartSetting::Builtin)
            && self.acme_contact.is_none()
            && strict
        {
            errors.push(missing(
                Setting::AcmeContact,
                "chart cert-manager-issuers (the Let's Encrypt account)",
                Some("turn the issuers off with `with_chart(ChartId::Issuers, ChartSetting::Off)` if certificates are issued elsewhere"),
            ));
        }

        if self.app_chart_on(platform) {
            let off =
                Some("turn the app chart off with `with_chart(ChartId::App, ChartSetting::Off)`");
            if self.image_registry.is_none() {
                errors.push(missing(
                    Setting::ImageRegistry,
                    "the app chart (the workloads' images)",
                    off,
                ));
            }
            match self.release.as_deref() {
                None if strict => errors.push(missing(
                    Setting::Release,
                    "the app chart (the image tag)",
                    off,
                )),
                Some(release) if strict && release == "latest" => {
                    errors.push(HelmError::unpinned(release, env))
                }
                _ => {}
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(HelmErrors(errors))
        }
    }
}

/// Why Let's Encrypt would refuse `email` as an account contact, if it would.
///
/// Let's Encrypt rejects contacts at the reserved example domains and TLDs
/// (RFC 2606, RFC 6761) and anything that is not a plain `local@host.tld`
/// address; a refused contact fails every certificate order, so it is caught
/// at synth time instead.
pub fn acme_contact_problem(email: &str) -> Option<String> {
    let Some((local, domain)) = email.split_once('@') else {
        return Some("it is not an e-mail address (no `@`)".to_string());
    };
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some("it contains whitespace".to_string());
    }
    if domain.contains('@') {
        return Some("it contains more than one `@`".to_string());
    }
    if local.is_empty()
        || local.starts_with('.')
        || local.ends_with('.')
        || local.contains("..")
        || local.contains(['<', '>', '(', ')', '[', ']', ',', ';', ':', '\\', '"'])
    {
        return Some(format!(
            "`{local}` is not a valid mailbox name (before the `@`)"
        ));
    }
    let domain = domain.to_ascii_lowercase();
    if let Some(problem) = domain_problem(&domain) {
        return Some(format!("its domain {problem}"));
    }
    let reserved_domain = ["example.com", "example.org", "example.net"]
        .iter()
        .find(|reserved| domain == **reserved || domain.ends_with(&format!(".{reserved}")));
    if let Some(reserved) = reserved_domain {
        return Some(format!(
            "`{reserved}` is reserved for documentation and Let's Encrypt refuses contacts there"
        ));
    }
    let tld = domain.rsplit('.').next().unwrap_or_default();
    if [
        "example",
        "invalid",
        "test",
        "localhost",
        "local",
        "internal",
    ]
    .contains(&tld)
    {
        return Some(format!(
            "`.{tld}` is not a public domain and Let's Encrypt refuses contacts there"
        ));
    }
    None
}

/// Why `prefix` cannot be the first label of a public host, if it cannot.
fn prefix_problem(prefix: &str) -> Option<String> {
    let valid = !prefix.is_empty()
        && prefix.len() <= 63
        && !prefix.starts_with('-')
        && !prefix.ends_with('-')
        && prefix
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    (!valid)
        .then(|| "a host prefix is one DNS label: lowercase letters, digits and `-`".to_string())
}

/// Why `domain` is not a usable DNS zone, if it is not.
fn domain_problem(domain: &str) -> Option<String> {
    if domain.contains("://") {
        return Some("must be a DNS name, without a scheme".to_string());
    }
    if !domain.contains('.') {
        return Some(format!("`{domain}` needs at least two labels (`acme.io`)"));
    }
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    if domain.len() > 253 || !domain.split('.').all(label_ok) {
        return Some(format!(
            "`{domain}` is not a DNS name (lowercase labels of letters, digits and `-`, separated by dots)"
        ));
    }
    None
}

fn registry_problem(registry: &str) -> Option<String> {
    if registry.contains("://") {
        return Some("a registry is written without a scheme (`ghcr.io/acme`)".to_string());
    }
    if registry.is_empty() || registry.ends_with('/') || registry.starts_with('/') {
        return Some(
            "it must be a host with an optional path, without a leading or trailing `/`"
                .to_string(),
        );
    }
    if !registry
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-/:".contains(c))
    {
        return Some("image references are lowercase letters, digits and `._-/:` only".to_string());
    }
    None
}

fn release_problem(release: &str) -> Option<String> {
    let valid = !release.is_empty()
        && release.len() <= 128
        && !release.starts_with(['.', '-'])
        && release
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    (!valid).then(|| {
        "an image tag is 1-128 letters, digits and `._-`, not starting with `.` or `-`".to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acme_contacts_letsencrypt_refuses_are_rejected() {
        for bad in [
            "platform-team@mlops.example.com",
            "ops@example.org",
            "ops@EXAMPLE.NET",
            "ops@team.test",
            "ops@localhost",
            "no-at-sign",
            "@acme.io",
            "a@b@acme.io",
            "with space@acme.io",
            "ops@acme",
            "ops@-acme.io",
            ".ops@acme.io",
        ] {
            assert!(acme_contact_problem(bad).is_some(), "{bad}");
        }
        for good in [
            "platform-team@mlops.dev",
            "ops+certs@retail.shop",
            "a.b@x.co.uk",
        ] {
            assert_eq!(acme_contact_problem(good), None, "{good}");
        }
    }

    #[test]
    fn registries_and_releases_are_checked() {
        assert!(registry_problem("https://ghcr.io/acme").is_some());
        assert!(registry_problem("ghcr.io/acme/").is_some());
        assert!(registry_problem("ghcr.io/Acme").is_some());
        assert_eq!(registry_problem("localhost:5000/acme"), None);
        assert!(release_problem("").is_some());
        assert!(release_problem("1.0 beta").is_some());
        assert_eq!(release_problem("1.4.0"), None);
    }
}
