//! Values of the reference platform's own chart (`stacks/mlops/chart`): API
//! server, model server, web UI, background workers and MLflow.
//!
//! Built on the workload model infrasynth derives from the platform's
//! workloads (identity, bucket wiring, database, image, sizing, placement),
//! through the public [`ChartValues`] hook; what is specific to this chart
//! (the web UI, which has no cloud identity, MLflow's image and arguments,
//! probes and NetworkPolicies) is added here.

use std::collections::BTreeMap;

use infrasynth::helm::database_bootstrap::DatabaseBootstrap;
use infrasynth::helm::profile::{self, Autoscaling, DisruptionBudget, Resources, Weight};
use infrasynth::helm::security::{ContainerSecurityContext, PodSecurityContext};
use infrasynth::helm::wiring::CloudSqlProxy;
use infrasynth::helm::workloads::{
    Global, Image, IngressSettings, ServiceAccountSettings, ServiceSettings, SharedConfig,
    Toleration, WorkloadIngress,
};
use infrasynth::helm::{
    Chart, ChartValues, Deferred, HelmContext, HelmError, Placement, WorkloadSettings,
};
use serde::Serialize;

/// The chart's name: the values file is `helm/mlops.values.yaml`.
pub const CHART: &str = "mlops";
/// Where the chart lives in this repository.
pub const CHART_SOURCE: &str = "stacks/mlops/chart";

/// MLflow's upstream image, pinned.
const MLFLOW_IMAGE: (&str, &str) = ("ghcr.io/mlflow/mlflow", "v2.17.2");
/// Where the other components reach MLflow.
const MLFLOW_TRACKING_URI: &str = "http://mlflow:5000";

/// The whole values document of the chart.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MlopsValues {
    /// Where and what is deployed.
    pub global: Global,
    /// Pod-level security, for every component.
    pub pod_security_context: PodSecurityContext,
    /// Container-level security, for every component.
    pub container_security_context: ContainerSecurityContext,
    /// Ingress class, issuer and TLS.
    pub ingress: IngressSettings,
    /// Connection settings shared by the components (the ConfigMap).
    pub config: SharedConfig,
    /// The Cloud SQL Auth Proxy sidecar (GCP only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud_sql_proxy: Option<CloudSqlProxy>,
    /// The database bootstrap Job (a Helm hook applying the workloads'
    /// grants); absent when no workload uses a database.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_bootstrap: Option<DatabaseBootstrap>,
    /// The components by name.
    pub components: BTreeMap<String, Component>,
}

/// Who may connect to a component.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPolicySettings {
    /// Render the NetworkPolicy (default deny for everything not listed).
    pub enabled: bool,
    /// Other components allowed in.
    pub allow_from: Vec<String>,
    /// Whether the ingress controller is allowed in.
    pub allow_from_ingress: bool,
}

/// One component of the app.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Component {
    /// Whether the chart renders it.
    pub enabled: bool,
    /// Container image.
    pub image: Image,
    /// Container arguments.
    pub args: Vec<String>,
    /// Liveness and readiness HTTP path.
    pub probe_path: String,
    /// Replicas when the HPA is off.
    pub replicas: u32,
    /// Requests and limits.
    pub resources: Resources,
    /// HPA.
    pub autoscaling: Autoscaling,
    /// PDB.
    pub pod_disruption_budget: DisruptionBudget,
    /// Service.
    pub service: ServiceSettings,
    /// Ingress.
    pub ingress: WorkloadIngress,
    /// ServiceAccount.
    pub service_account: ServiceAccountSettings,
    /// Extra pod labels.
    pub pod_labels: BTreeMap<String, String>,
    /// Node selection.
    pub node_selector: BTreeMap<String, String>,
    /// Tolerated taints.
    pub tolerations: Vec<Toleration>,
    /// NetworkPolicy.
    pub network_policy: NetworkPolicySettings,
    /// Component-specific environment variables (the ConfigMap).
    pub env: BTreeMap<String, Deferred<String>>,
}

/// What the workload model does not know about a component.
struct Blueprint {
    name: &'static str,
    probe_path: &'static str,
    allow_from: &'static [&'static str],
    args: &'static [&'static str],
}

/// The chart's components, in the order the chart documents them.
const BLUEPRINTS: [Blueprint; 5] = [
    Blueprint {
        name: "api-server",
        probe_path: "/healthz",
        allow_from: &["web-ui"],
        args: &[],
    },
    Blueprint {
        name: "model-server",
        probe_path: "/healthz",
        allow_from: &["api-server", "worker"],
        args: &[],
    },
    Blueprint {
        name: "web-ui",
        probe_path: "/healthz",
        allow_from: &[],
        args: &[],
    },
    Blueprint {
        name: "worker",
        probe_path: "/healthz",
        allow_from: &[],
        args: &[],
    },
    Blueprint {
        name: "mlflow",
        probe_path: "/health",
        allow_from: &["api-server", "worker"],
        args: &["mlflow", "server", "--host=0.0.0.0", "--port=5000"],
    },
];

/// The web UI: not a platform workload (it reaches no cloud resource, so it
/// has no identity), public at `app.<domain>`.
const WEB_UI: (&str, u16, &str) = ("web-ui", 8080, "app");

/// Deployment facts of the platform workloads the chart runs as components
/// (`backup` keeps the defaults: it has no component yet).
pub fn workload_settings() -> Vec<(&'static str, WorkloadSettings)> {
    // Which database each uses is the platform spec's (`DATABASE_NAME` is
    // the first it declares).
    let settings = |port, public: Option<&str>, weight| WorkloadSettings {
        port,
        public_host: public.map(str::to_string),
        weight,
        ..WorkloadSettings::default()
    };
    vec![
        ("api-server", settings(8000, Some("api"), Weight::Standard)),
        ("model-server", settings(8080, None, Weight::Heavy)),
        (
            "worker",
            WorkloadSettings {
                service: false,
                placement: Placement::Spot,
                ..settings(9090, None, Weight::Heavy)
            },
        ),
        ("mlflow", settings(5000, Some("mlflow"), Weight::Standard)),
    ]
}

/// The chart's values hook.
pub struct MlopsChart;

impl ChartValues for MlopsChart {
    type Values = MlopsValues;

    fn values(&self, ctx: &HelmContext<'_>) -> Result<MlopsValues, HelmError> {
        let app = ctx.app();
        let components = BLUEPRINTS
            .iter()
            .map(|blueprint| Ok((blueprint.name.to_string(), component(ctx, blueprint)?)))
            .collect::<Result<_, HelmError>>()?;
        Ok(MlopsValues {
            global: app.global.clone(),
            pod_security_context: app.pod_security_context.clone(),
            container_security_context: app.container_security_context.clone(),
            ingress: app.ingress.clone(),
            config: app.config.clone(),
            cloud_sql_proxy: app.cloud_sql_proxy.clone(),
            database_bootstrap: app.database_bootstrap.clone(),
            components,
        })
    }
}

/// The chart with its hook, for `HelmSettings::with_chart(ChartId::App, ...)`.
pub fn chart() -> Chart {
    Chart::new(CHART, CHART_SOURCE, MlopsChart)
}

fn component(ctx: &HelmContext<'_>, blueprint: &Blueprint) -> Result<Component, HelmError> {
    let env = ctx.environment();
    let workload = match ctx.workload(blueprint.name) {
        Some(workload) => workload.clone(),
        None if blueprint.name == WEB_UI.0 => {
            let host = ctx.public_host(WEB_UI.2)?;
            infrasynth::helm::workloads::Workload {
                namespace: infrasynth::helm::app_namespace(ctx.platform()),
                image: Some(ctx.image(WEB_UI.0)?),
                replicas: profile::replicas(env),
                resources: profile::resources(Weight::Light, env),
                autoscaling: profile::autoscaling(env),
                pod_disruption_budget: profile::disruption_budget(env),
                service: ServiceSettings {
                    enabled: true,
                    port: WEB_UI.1,
                },
                ingress: WorkloadIngress::for_host(WEB_UI.0, host),
                service_account: ServiceAccountSettings {
                    name: WEB_UI.0.to_string(),
                    annotations: BTreeMap::new(),
                    labels: BTreeMap::new(),
                },
                pod_labels: BTreeMap::new(),
                node_selector: BTreeMap::new(),
                tolerations: Vec::new(),
                env: BTreeMap::new(),
            }
        }
        None => {
            return Err(HelmError::hook(format!(
                "component `{}` needs the platform workload of that name",
                blueprint.name
            )))
        }
    };
    let mut env_vars = workload.env;
    let image = if blueprint.name == "mlflow" {
        // Third-party images are always pinned.
        Image {
            repository: MLFLOW_IMAGE.0.to_string(),
            tag: MLFLOW_IMAGE.1.to_string(),
            pull_policy: "IfNotPresent".to_string(),
        }
    } else {
        env_vars.insert(
            "MLFLOW_TRACKING_URI".to_string(),
            Deferred::Known(MLFLOW_TRACKING_URI.to_string()),
        );
        match workload.image {
            Some(image) => image,
            None => ctx.image(blueprint.name)?,
        }
    };
    Ok(Component {
        enabled: true,
        image,
        args: blueprint.args.iter().map(|a| a.to_string()).collect(),
        probe_path: blueprint.probe_path.to_string(),
        replicas: workload.replicas,
        resources: workload.resources,
        autoscaling: workload.autoscaling,
        pod_disruption_budget: workload.pod_disruption_budget,
        service: workload.service,
        network_policy: NetworkPolicySettings {
            enabled: true,
            allow_from: blueprint.allow_from.iter().map(|s| s.to_string()).collect(),
            allow_from_ingress: workload.ingress.enabled,
        },
        ingress: workload.ingress,
        service_account: workload.service_account,
        pod_labels: workload.pod_labels,
        node_selector: workload.node_selector,
        tolerations: workload.tolerations,
        env: env_vars,
    })
}
