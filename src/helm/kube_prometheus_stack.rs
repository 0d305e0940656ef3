//! Values of `prometheus-community/kube-prometheus-stack`: Prometheus
//! retention and storage, Alertmanager routes, Grafana with the platform
//! dashboard, and the platform's alerting rules.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::json;

use super::profile::{self, Resources};
use super::settings::HelmSettings;
use super::{gateway, storage, workloads};
use crate::core::environment::Cloud;
use crate::platform::Platform;

/// Where the chart comes from.
pub const SOURCE: &str = "prometheus-community/kube-prometheus-stack";

/// The namespace the monitoring stack is installed in.
pub const NAMESPACE: &str = "monitoring";
/// The Secret holding the Alertmanager receivers' URLs and keys (files
/// `slack-url` and `pagerduty-routing-key`), mounted into Alertmanager. The
/// release creates it empty ([`receivers_secret`]); the keys are filled out of
/// band and survive upgrades (see docs/helm.md, "Alert receivers").
pub const RECEIVERS_SECRET: &str = "alertmanager-receivers";
/// Grafana's public host prefix: `grafana.<domain>`.
pub const GRAFANA_HOST: &str = "grafana";

/// The values document.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KubePrometheusStackValues {
    /// The chart's built-in rules for Kubernetes itself.
    pub default_rules: DefaultRules,
    /// Prometheus.
    pub prometheus: Prometheus,
    /// Alertmanager.
    pub alertmanager: Alertmanager,
    /// Grafana (the subchart).
    pub grafana: Grafana,
    /// The platform's PrometheusRules, by object name.
    pub additional_prometheus_rules_map: BTreeMap<String, RuleFile>,
    /// Objects the release creates besides the chart's own: the receivers'
    /// Secret ([`receivers_secret`]).
    pub extra_manifests: Vec<serde_json::Value>,
}

/// The receivers' Secret as the release creates it: no data, and
/// `helm.sh/resource-policy: keep`. Alertmanager mounts every Secret of
/// `alertmanagerSpec.secrets` and its pod does not start while one is
/// missing (Prometheus Operator's Alertmanager spec: "Secrets is a list of
/// Secrets in the same namespace as the Alertmanager object, which shall be
/// mounted into the Alertmanager Pods"), so the release must create it; the
/// keys `slack-url` and `pagerduty-routing-key` are added out of band (they
/// are credentials, which never go into values files). Helm's three-way
/// merge keeps data that neither the old nor the new manifest names, so an
/// upgrade leaves the added keys alone; `keep` leaves the Secret when the
/// release is uninstalled. Alertmanager reads `api_url_file` and
/// `routing_key_file` when it sends, so it starts before the keys exist.
pub fn receivers_secret() -> serde_json::Value {
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": RECEIVERS_SECRET,
            "namespace": NAMESPACE,
            "annotations": {"helm.sh/resource-policy": "keep"},
        },
        "type": "Opaque",
    })
}

/// `defaultRules`.
#[derive(Clone, Debug, Serialize)]
pub struct DefaultRules {
    /// Create the chart's own rules.
    pub create: bool,
}

/// `prometheus`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Prometheus {
    /// The Prometheus custom resource's spec.
    pub prometheus_spec: PrometheusSpec,
}

/// `prometheus.prometheusSpec`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrometheusSpec {
    /// How long samples are kept.
    pub retention: String,
    /// The size cap of the TSDB (below the volume size).
    pub retention_size: String,
    /// Replicas.
    pub replicas: u32,
    /// Requests and limits.
    pub resources: Resources,
    /// The TSDB's volume.
    pub storage_spec: StorageSpec,
    /// Select every ServiceMonitor, not only the chart's.
    pub service_monitor_selector_nil_uses_helm_values: bool,
    /// Select every PodMonitor.
    pub pod_monitor_selector_nil_uses_helm_values: bool,
    /// Select every PrometheusRule.
    pub rule_selector_nil_uses_helm_values: bool,
}

/// A volume claim template wrapper.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageSpec {
    /// The claim template.
    pub volume_claim_template: VolumeClaimTemplate,
}

/// `volumeClaimTemplate`.
#[derive(Clone, Debug, Serialize)]
pub struct VolumeClaimTemplate {
    /// The claim's spec.
    pub spec: VolumeClaimSpec,
}

/// A PersistentVolumeClaim spec.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeClaimSpec {
    /// The cloud's storage class.
    pub storage_class_name: String,
    /// `ReadWriteOnce`.
    pub access_modes: Vec<String>,
    /// The size.
    pub resources: StorageRequest,
}

/// `resources.requests.storage`.
#[derive(Clone, Debug, Serialize)]
pub struct StorageRequest {
    /// `storage: 50Gi`.
    pub requests: BTreeMap<String, String>,
}

impl VolumeClaimSpec {
    fn new(storage_class: &str, size: &str) -> Self {
        VolumeClaimSpec {
            storage_class_name: storage_class.to_string(),
            access_modes: vec!["ReadWriteOnce".to_string()],
            resources: StorageRequest {
                requests: BTreeMap::from([("storage".to_string(), size.to_string())]),
            },
        }
    }
}

/// `alertmanager`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alertmanager {
    /// Alertmanager's own configuration (routes and receivers).
    pub config: AlertmanagerConfig,
    /// The Alertmanager custom resource's spec.
    pub alertmanager_spec: AlertmanagerSpec,
}

/// `alertmanager.alertmanagerSpec`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertmanagerSpec {
    /// Replicas (clustered in production).
    pub replicas: u32,
    /// Secrets mounted at `/etc/alertmanager/secrets/<name>/`.
    pub secrets: Vec<String>,
    /// Its volume.
    pub storage: StorageSpec,
}

/// Alertmanager's configuration file.
#[derive(Clone, Debug, Serialize)]
pub struct AlertmanagerConfig {
    /// Global settings.
    pub global: BTreeMap<String, String>,
    /// The routing tree.
    pub route: Route,
    /// Receivers.
    pub receivers: Vec<Receiver>,
}

/// A route.
#[derive(Clone, Debug, Serialize)]
pub struct Route {
    /// Where matching alerts go.
    pub receiver: String,
    /// Matchers such as `severity="critical"` (empty on the root).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub matchers: Vec<String>,
    /// Grouping labels (root only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub group_by: Vec<String>,
    /// Wait before the first notification of a group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_wait: Option<String>,
    /// Wait before notifying about new alerts in a group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_interval: Option<String>,
    /// Wait before repeating a notification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat_interval: Option<String>,
    /// Child routes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<Route>,
}

impl Route {
    fn to(receiver: &str, matcher: &str) -> Self {
        Route {
            receiver: receiver.to_string(),
            matchers: vec![matcher.to_string()],
            group_by: Vec::new(),
            group_wait: None,
            group_interval: None,
            repeat_interval: None,
            routes: Vec::new(),
        }
    }
}

/// A receiver; its secrets are read from files of [`RECEIVERS_SECRET`].
#[derive(Clone, Debug, Serialize)]
pub struct Receiver {
    /// Name.
    pub name: String,
    /// Slack notifications.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub slack_configs: Vec<SlackConfig>,
    /// PagerDuty notifications.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pagerduty_configs: Vec<PagerDutyConfig>,
}

/// `slack_configs` entry.
#[derive(Clone, Debug, Serialize)]
pub struct SlackConfig {
    /// The webhook URL, read from the mounted Secret.
    pub api_url_file: String,
    /// The channel.
    pub channel: String,
    /// Notify when resolved.
    pub send_resolved: bool,
}

/// `pagerduty_configs` entry.
#[derive(Clone, Debug, Serialize)]
pub struct PagerDutyConfig {
    /// The routing key, read from the mounted Secret.
    pub routing_key_file: String,
    /// Notify when resolved.
    pub send_resolved: bool,
}

/// `grafana`. No `admin.existingSecret`: the Grafana chart creates the
/// admin Secret (`<release>-grafana`, keys `admin-user` and `admin-password`)
/// with a random 40-character password it keeps across upgrades (grafana
/// chart 12.11.1, `templates/secret.yaml` and `grafana.secretsData` in
/// `_helpers.tpl`: `lookup` of the existing Secret, else `randAlphaNum 40`).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Grafana {
    /// `Recreate`: the ReadWriteOnce volume cannot be attached to a second
    /// pod on another node, so a rolling update would stall.
    pub deployment_strategy: DeploymentStrategy,
    /// Dashboards' volume.
    pub persistence: GrafanaPersistence,
    /// Its public HTTPRoute on the platform Gateway.
    pub route: BTreeMap<String, GrafanaRoute>,
    /// Where file-provisioned dashboards live.
    pub dashboard_providers: BTreeMap<String, serde_json::Value>,
    /// Dashboards by provider, then name.
    pub dashboards: BTreeMap<String, BTreeMap<String, Dashboard>>,
}

/// `grafana.persistence`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GrafanaPersistence {
    /// On.
    pub enabled: bool,
    /// The cloud's storage class.
    pub storage_class_name: String,
    /// Size.
    pub size: String,
}

/// A Deployment strategy.
#[derive(Clone, Debug, Serialize)]
pub struct DeploymentStrategy {
    /// `Recreate` or `RollingUpdate`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// `grafana.route.<name>`: an HTTPRoute the Grafana chart renders.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GrafanaRoute {
    /// On when the settings name a domain; without one Grafana is not public
    /// (reach it with `kubectl port-forward`).
    pub enabled: bool,
    /// The host.
    pub hostnames: Vec<String>,
    /// The platform Gateway's HTTPS listener for the host.
    pub parent_refs: Vec<ParentRef>,
}

/// A Gateway API `parentRef`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParentRef {
    /// The Gateway.
    pub name: String,
    /// Its namespace.
    pub namespace: String,
    /// The listener.
    pub section_name: String,
}

/// A provisioned dashboard.
#[derive(Clone, Debug, Serialize)]
pub struct Dashboard {
    /// The dashboard JSON model.
    pub json: String,
}

/// A PrometheusRule's content.
#[derive(Clone, Debug, Serialize)]
pub struct RuleFile {
    /// Rule groups.
    pub groups: Vec<RuleGroup>,
}

/// A rule group.
#[derive(Clone, Debug, Serialize)]
pub struct RuleGroup {
    /// Name.
    pub name: String,
    /// Alerting rules.
    pub rules: Vec<AlertRule>,
}

/// An alerting rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AlertRule {
    /// Alert name.
    pub alert: String,
    /// PromQL condition.
    pub expr: String,
    /// How long the condition must hold.
    #[serde(rename = "for")]
    pub for_duration: String,
    /// `severity` and friends.
    pub labels: BTreeMap<String, String>,
    /// `summary` and `description`.
    pub annotations: BTreeMap<String, String>,
}

fn rule(name: &str, expr: String, for_duration: &str, severity: &str, summary: &str) -> AlertRule {
    AlertRule {
        alert: name.to_string(),
        expr,
        for_duration: for_duration.to_string(),
        labels: BTreeMap::from([("severity".to_string(), severity.to_string())]),
        annotations: BTreeMap::from([
            ("summary".to_string(), summary.to_string()),
            (
                "description".to_string(),
                "{{ $labels.namespace }}/{{ $labels.job }}{{ $labels.service }}{{ $labels.pod }}{{ $labels.persistentvolumeclaim }}: value {{ $value }}".to_string(),
            ),
        ]),
    }
}

/// The platform's alerts: a service down or never scraped, error rate above
/// 1 % for 5 minutes, p95 latency above 500 ms for 3 minutes, CPU above
/// 90 %, memory above 95 % of limits, database connections above 80 % of the
/// pool, volumes filling.
///
/// `jobs` are the scrape jobs the app chart's ServiceMonitors create in
/// `namespace` (one per workload with a metrics path): `up == 0` fires for a
/// target that answers no more, and `absent(up{job=...})` for one that was
/// never scraped (a missing ServiceMonitor, a Service without endpoints),
/// which `up == 0` alone cannot see.
pub fn alert_rules(namespace: &str, jobs: &[String]) -> Vec<AlertRule> {
    let ns = format!("namespace=\"{namespace}\"");
    let mut service_down = format!("up{{{ns}}} == 0");
    for job in jobs {
        service_down.push_str(&format!(" or absent(up{{{ns},job=\"{job}\"}})"));
    }
    vec![
        rule(
            "ServiceDown",
            service_down,
            "2m",
            "critical",
            "A platform service is down or not scraped (its metrics endpoint does not answer, or no target exists)",
        ),
        rule(
            "HighErrorRate",
            format!(
                "sum by (service) (rate(http_requests_total{{{ns},status=~\"5..\"}}[5m])) / sum by (service) (rate(http_requests_total{{{ns}}}[5m])) > 0.01"
            ),
            "5m",
            "critical",
            "More than 1% of requests fail with 5xx",
        ),
        rule(
            "HighLatencyP95",
            format!(
                "histogram_quantile(0.95, sum by (service, le) (rate(http_request_duration_seconds_bucket{{{ns}}}[5m]))) > 0.5"
            ),
            "3m",
            "warning",
            "p95 latency is above 500 ms",
        ),
        rule(
            "HighCpuUsage",
            format!(
                "sum by (pod) (rate(container_cpu_usage_seconds_total{{{ns},container!=\"\"}}[5m])) / sum by (pod) (kube_pod_container_resource_limits{{{ns},resource=\"cpu\"}}) > 0.9"
            ),
            "5m",
            "warning",
            "A pod uses more than 90% of its CPU limit",
        ),
        rule(
            "HighMemoryUsage",
            format!(
                "sum by (pod) (container_memory_working_set_bytes{{{ns},container!=\"\"}}) / sum by (pod) (kube_pod_container_resource_limits{{{ns},resource=\"memory\"}}) > 0.95"
            ),
            "5m",
            "critical",
            "A pod uses more than 95% of its memory limit",
        ),
        rule(
            "DatabaseConnectionPoolSaturated",
            format!(
                "sum by (service) (db_client_connections_usage{{{ns}}}) / sum by (service) (db_client_connections_max{{{ns}}}) > 0.8"
            ),
            "5m",
            "warning",
            "More than 80% of the database connection pool is in use",
        ),
        rule(
            "PersistentVolumeFillingUp",
            format!(
                "(kubelet_volume_stats_available_bytes{{namespace=~\"{namespace}|{NAMESPACE}\"}} / kubelet_volume_stats_capacity_bytes{{namespace=~\"{namespace}|{NAMESPACE}\"}}) < 0.15 and predict_linear(kubelet_volume_stats_available_bytes{{namespace=~\"{namespace}|{NAMESPACE}\"}}[6h], 24 * 3600) < 0"
            ),
            "30m",
            "warning",
            "A volume is predicted to fill within 24 hours",
        ),
    ]
}

/// The platform dashboard's JSON model: traffic, errors, latency, saturation
/// of the workloads in `namespace`; uid `<project>-platform`, titled
/// `<display name> platform`.
pub fn platform_dashboard(namespace: &str, project: &str, display_name: &str) -> String {
    let ns = format!("namespace=\"{namespace}\"");
    let panels = [
        ("Requests per second", format!("sum by (service) (rate(http_requests_total{{{ns}}}[5m]))"), "reqps"),
        ("Error ratio (5xx)", format!("sum by (service) (rate(http_requests_total{{{ns},status=~\"5..\"}}[5m])) / sum by (service) (rate(http_requests_total{{{ns}}}[5m]))"), "percentunit"),
        ("p95 latency", format!("histogram_quantile(0.95, sum by (service, le) (rate(http_request_duration_seconds_bucket{{{ns}}}[5m])))"), "s"),
        ("CPU (cores)", format!("sum by (pod) (rate(container_cpu_usage_seconds_total{{{ns},container!=\"\"}}[5m]))"), "none"),
        ("Memory (working set)", format!("sum by (pod) (container_memory_working_set_bytes{{{ns},container!=\"\"}})"), "bytes"),
        ("DB pool usage", format!("sum by (service) (db_client_connections_usage{{{ns}}}) / sum by (service) (db_client_connections_max{{{ns}}})"), "percentunit"),
    ];
    let panels: Vec<serde_json::Value> = panels
        .iter()
        .enumerate()
        .map(|(i, (title, expr, unit))| {
            json!({
                "id": i + 1,
                "type": "timeseries",
                "title": title,
                "datasource": {"type": "prometheus", "uid": "prometheus"},
                "gridPos": {"h": 8, "w": 12, "x": (i % 2) * 12, "y": (i / 2) * 8},
                "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
                "targets": [{"refId": "A", "expr": expr, "legendFormat": "__auto"}]
            })
        })
        .collect();
    let dashboard = json!({
        "uid": dashboard_uid(project),
        "title": format!("{display_name} platform"),
        "tags": [project, "infrasynth"],
        "timezone": "utc",
        "schemaVersion": 39,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "panels": panels
    });
    // Pretty, so the values file shows it as a readable literal block.
    serde_json::to_string_pretty(&dashboard).unwrap_or_default()
}

fn dashboard_uid(project: &str) -> String {
    format!("{project}-platform")
}

/// The scrape jobs of the platform's workloads: those with a Service and a
/// metrics path ([`WorkloadSettings::metrics_path`]), each job named after
/// its workload (the app charts' ServiceMonitors take the job from the
/// workload's name label).
///
/// [`WorkloadSettings::metrics_path`]: super::WorkloadSettings::metrics_path
pub fn scrape_jobs(platform: &Platform, settings: &HelmSettings) -> Vec<String> {
    platform
        .workloads
        .iter()
        .filter(|w| {
            let own = settings.workload(&w.name);
            own.service && own.metrics_path.is_some()
        })
        .map(|w| w.name.clone())
        .collect()
}

/// The chart's values for `platform` on `cloud`: every volume on the
/// platform's encrypted StorageClass ([`storage::STORAGE_CLASS`]), Grafana
/// public at `grafana.<domain>` (see [`workloads::host_name`]) through the
/// platform Gateway when the settings name a domain, its folder and
/// dashboard named after [`HelmSettings::display_name`] (default: the
/// project). `cloud` is kept for values that differ per cloud.
pub fn values(
    platform: &Platform,
    cloud: Cloud,
    settings: &HelmSettings,
) -> KubePrometheusStackValues {
    let _ = cloud;
    let env = platform.environment;
    let namespace = super::app_namespace(platform);
    let display_name = settings.display_name().unwrap_or(&platform.project);
    let storage_class = storage::STORAGE_CLASS;
    let (retention, retention_size, volume, replicas) = profile::prometheus_retention(env);
    // Grafana is not a workload of the platform: without a domain it simply
    // stays private, in every tier.
    let grafana_host = settings
        .domain()
        .map(|domain| workloads::host_name(GRAFANA_HOST, env, domain));
    let secret_file = |key: &str| format!("/etc/alertmanager/secrets/{RECEIVERS_SECRET}/{key}");
    let channel = format!("#{}-alerts-{}", platform.project, env);
    let slack = SlackConfig {
        api_url_file: secret_file("slack-url"),
        channel,
        send_resolved: true,
    };
    let mut critical = Receiver {
        name: "critical".to_string(),
        slack_configs: vec![slack.clone()],
        pagerduty_configs: Vec::new(),
    };
    if env.is_production() {
        critical.pagerduty_configs.push(PagerDutyConfig {
            routing_key_file: secret_file("pagerduty-routing-key"),
            send_resolved: true,
        });
    }
    KubePrometheusStackValues {
        default_rules: DefaultRules { create: true },
        prometheus: Prometheus {
            prometheus_spec: PrometheusSpec {
                retention: retention.to_string(),
                retention_size: retention_size.to_string(),
                replicas,
                resources: profile::resources(profile::Weight::Heavy, env),
                storage_spec: StorageSpec {
                    volume_claim_template: VolumeClaimTemplate {
                        spec: VolumeClaimSpec::new(storage_class, volume),
                    },
                },
                service_monitor_selector_nil_uses_helm_values: false,
                pod_monitor_selector_nil_uses_helm_values: false,
                rule_selector_nil_uses_helm_values: false,
            },
        },
        alertmanager: Alertmanager {
            config: AlertmanagerConfig {
                global: BTreeMap::from([("resolve_timeout".to_string(), "5m".to_string())]),
                route: Route {
                    receiver: "default".to_string(),
                    matchers: Vec::new(),
                    group_by: vec!["alertname".into(), "namespace".into(), "service".into()],
                    group_wait: Some("30s".to_string()),
                    group_interval: Some("5m".to_string()),
                    repeat_interval: Some(env.pick("12h", "12h", "4h").to_string()),
                    routes: vec![
                        Route::to("null", "alertname=\"Watchdog\""),
                        Route::to("critical", "severity=\"critical\""),
                    ],
                },
                receivers: vec![
                    Receiver {
                        name: "null".to_string(),
                        slack_configs: Vec::new(),
                        pagerduty_configs: Vec::new(),
                    },
                    Receiver {
                        name: "default".to_string(),
                        slack_configs: vec![slack],
                        pagerduty_configs: Vec::new(),
                    },
                    critical,
                ],
            },
            alertmanager_spec: AlertmanagerSpec {
                replicas: env.pick(1, 1, 3),
                secrets: vec![RECEIVERS_SECRET.to_string()],
                storage: StorageSpec {
                    volume_claim_template: VolumeClaimTemplate {
                        spec: VolumeClaimSpec::new(storage_class, "5Gi"),
                    },
                },
            },
        },
        grafana: Grafana {
            deployment_strategy: DeploymentStrategy {
                kind: "Recreate".to_string(),
            },
            persistence: GrafanaPersistence {
                enabled: true,
                storage_class_name: storage_class.to_string(),
                size: "10Gi".to_string(),
            },
            route: BTreeMap::from([(
                "main".to_string(),
                GrafanaRoute {
                    enabled: grafana_host.is_some(),
                    hostnames: grafana_host.iter().cloned().collect(),
                    parent_refs: grafana_host
                        .iter()
                        .map(|_| ParentRef {
                            name: gateway::GATEWAY.to_string(),
                            namespace: gateway::NAMESPACE.to_string(),
                            section_name: gateway::https_listener(GRAFANA_HOST),
                        })
                        .collect(),
                },
            )]),
            dashboard_providers: BTreeMap::from([(
                "dashboardproviders.yaml".to_string(),
                json!({
                    "apiVersion": 1,
                    "providers": [{
                        "name": "platform",
                        "orgId": 1,
                        "folder": display_name,
                        "type": "file",
                        "disableDeletion": true,
                        "editable": false,
                        "options": {"path": "/var/lib/grafana/dashboards/platform"}
                    }]
                }),
            )]),
            dashboards: BTreeMap::from([(
                "platform".to_string(),
                BTreeMap::from([(
                    dashboard_uid(&platform.project),
                    Dashboard {
                        json: platform_dashboard(&namespace, &platform.project, display_name),
                    },
                )]),
            )]),
        },
        additional_prometheus_rules_map: BTreeMap::from([(
            format!("{}-platform", platform.project),
            RuleFile {
                groups: vec![RuleGroup {
                    name: format!("{}.platform", platform.project),
                    rules: alert_rules(&namespace, &scrape_jobs(platform, settings)),
                }],
            },
        )]),
        extra_manifests: vec![receivers_secret()],
    }
}
