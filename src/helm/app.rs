//! Values of the platform's own chart (`stacks/mlops/chart`): API server,
//! model server, web UI, background workers and MLflow.

use std::collections::BTreeMap;

use serde::Serialize;

use super::placeholder::{Deferred, FromOutput};
use super::profile::{self, Autoscaling, DisruptionBudget, Resources, Weight};
use super::security::{ContainerSecurityContext, PodSecurityContext};
use super::{wiring, HelmOptions};
use crate::core::environment::{Cloud, Environment, Tier};
use crate::platform::{outputs, Capacity, Platform};

/// The Kubernetes Secret (in the release namespace) holding the database
/// user name and password; created by the deployment pipeline from the cloud's
/// secret store, never written into values.
pub const DATABASE_SECRET: &str = "mlops-database";
/// The Kubernetes Secret holding the Redis auth token (GCP, Azure; AWS uses
/// IAM authentication).
pub const REDIS_SECRET: &str = "mlops-redis";

/// The whole values document of the app chart.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppValues {
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
    pub cloud_sql_proxy: Option<wiring::CloudSqlProxy>,
    /// The components by name.
    pub components: BTreeMap<String, Component>,
}

/// Deployment-wide facts.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Global {
    /// The project.
    pub project: String,
    /// dev, staging or production.
    pub environment: String,
    /// aws, gcp or azure.
    pub cloud: String,
    /// The region or location.
    pub region: String,
}

/// How components are exposed.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressSettings {
    /// The IngressClass (ingress-nginx).
    pub class_name: String,
    /// The cert-manager ClusterIssuer that signs the certificates.
    pub cluster_issuer: String,
    /// The namespace the ingress controller runs in (allowed by the
    /// NetworkPolicies).
    pub controller_namespace: String,
}

/// Connection settings every component receives as environment variables.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SharedConfig {
    /// PostgreSQL.
    pub database: DatabaseConfig,
    /// Redis.
    pub redis: RedisConfig,
    /// Object storage.
    pub object_store: ObjectStoreConfig,
    /// The monitoring namespace (allowed to scrape metrics).
    pub monitoring_namespace: String,
}

/// PostgreSQL connection.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseConfig {
    /// Server host (`127.0.0.1`, the proxy, on GCP).
    pub host: Deferred<String>,
    /// Server port.
    pub port: Deferred<u16>,
    /// `require` (TLS), or `disable` to the Cloud SQL Auth Proxy on loopback.
    pub ssl_mode: String,
    /// The Secret with `username` and `password`.
    pub existing_secret: String,
}

/// Redis connection.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RedisConfig {
    /// Primary endpoint.
    pub host: Deferred<String>,
    /// Port.
    pub port: Deferred<u16>,
    /// In-transit encryption is always on.
    pub tls: bool,
    /// IAM (`auth: iam` and `user`) or a token (`existingSecret`).
    #[serde(flatten)]
    pub auth: wiring::RedisAuth,
}

/// Object store connection.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectStoreConfig {
    /// `s3`, `gcs` or `azureblob`.
    pub provider: String,
    /// The endpoint URL.
    pub endpoint: Deferred<String>,
    /// The region.
    pub region: String,
}

/// A component's image.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Image {
    /// Full repository path.
    pub repository: String,
    /// Tag; never `latest` outside dev.
    pub tag: String,
    /// `Always` for moving tags, `IfNotPresent` for pinned ones.
    pub pull_policy: String,
}

/// A component's Service.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceSettings {
    /// Whether the component is reachable in the cluster.
    pub enabled: bool,
    /// The Service and container port.
    pub port: u16,
}

/// A component's Ingress.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentIngress {
    /// Whether the component is public.
    pub enabled: bool,
    /// The host name.
    pub host: String,
    /// The TLS Secret cert-manager fills.
    pub tls_secret_name: String,
}

/// A component's ServiceAccount.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAccountSettings {
    /// Its name (the platform's `WorkloadSpec::service_account`).
    pub name: String,
    /// Workload identity annotations.
    pub annotations: BTreeMap<String, FromOutput>,
    /// Labels.
    pub labels: BTreeMap<String, String>,
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

/// A toleration.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Toleration {
    /// Taint key.
    pub key: String,
    /// `Equal`.
    pub operator: String,
    /// Taint value.
    pub value: String,
    /// Taint effect.
    pub effect: String,
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
    pub ingress: ComponentIngress,
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

/// The components and what makes each one different.
struct Blueprint {
    name: &'static str,
    repository: Option<&'static str>,
    weight: Weight,
    port: u16,
    probe_path: &'static str,
    public_host: Option<&'static str>,
    allow_from: &'static [&'static str],
    database: Option<&'static str>,
    args: &'static [&'static str],
    batch: bool,
}

const MLFLOW_IMAGE: (&str, &str) = ("ghcr.io/mlflow/mlflow", "v2.17.2");

const BLUEPRINTS: [Blueprint; 5] = [
    Blueprint {
        name: "api-server",
        repository: None,
        weight: Weight::Standard,
        port: 8000,
        probe_path: "/healthz",
        public_host: Some("api"),
        allow_from: &["web-ui"],
        database: Some("app"),
        args: &[],
        batch: false,
    },
    Blueprint {
        name: "model-server",
        repository: None,
        weight: Weight::Heavy,
        port: 8080,
        probe_path: "/healthz",
        public_host: None,
        allow_from: &["api-server", "worker"],
        database: None,
        args: &[],
        batch: false,
    },
    Blueprint {
        name: "web-ui",
        repository: None,
        weight: Weight::Light,
        port: 8080,
        probe_path: "/healthz",
        public_host: Some("app"),
        allow_from: &[],
        database: None,
        args: &[],
        batch: false,
    },
    Blueprint {
        name: "worker",
        repository: None,
        weight: Weight::Heavy,
        port: 9090,
        probe_path: "/healthz",
        public_host: None,
        allow_from: &[],
        database: Some("app"),
        args: &[],
        batch: true,
    },
    Blueprint {
        name: "mlflow",
        repository: Some(MLFLOW_IMAGE.0),
        weight: Weight::Standard,
        port: 5000,
        probe_path: "/health",
        public_host: Some("mlflow"),
        allow_from: &["api-server", "worker"],
        database: Some("mlflow"),
        args: &["mlflow", "server", "--host=0.0.0.0", "--port=5000"],
        batch: false,
    },
];

/// The app chart's values for `platform` on `cloud`.
pub fn values(platform: &Platform, cloud: Cloud, options: &HelmOptions) -> AppValues {
    let env = platform.environment;
    let region = wiring::region(platform, cloud).to_string();
    let database_users = BLUEPRINTS
        .iter()
        .filter(|b| b.database.is_some())
        .map(|b| b.name.to_string())
        .collect();
    let (database_host, database_port, ssl_mode) = wiring::database_endpoint(cloud);
    let components = BLUEPRINTS
        .iter()
        .map(|blueprint| {
            (
                blueprint.name.to_string(),
                component(platform, cloud, options, blueprint),
            )
        })
        .collect();
    AppValues {
        global: Global {
            project: platform.project.clone(),
            environment: env.as_str().to_string(),
            cloud: cloud.as_str().to_string(),
            region: region.clone(),
        },
        pod_security_context: PodSecurityContext::restricted(),
        container_security_context: ContainerSecurityContext::restricted(),
        ingress: IngressSettings {
            class_name: "nginx".to_string(),
            cluster_issuer: super::cert_manager::issuer_for(env).to_string(),
            controller_namespace: super::ingress_nginx::NAMESPACE.to_string(),
        },
        config: SharedConfig {
            database: DatabaseConfig {
                host: database_host,
                port: database_port,
                ssl_mode: ssl_mode.to_string(),
                existing_secret: DATABASE_SECRET.to_string(),
            },
            redis: RedisConfig {
                host: Deferred::Output(FromOutput::string(outputs::REDIS_HOST)),
                port: Deferred::Output(FromOutput::integer(outputs::REDIS_PORT)),
                tls: true,
                auth: wiring::redis_auth(cloud, REDIS_SECRET),
            },
            object_store: ObjectStoreConfig {
                provider: wiring::object_store_provider(cloud).to_string(),
                endpoint: Deferred::Output(FromOutput::string(outputs::OBJECT_STORE_ENDPOINT)),
                region,
            },
            monitoring_namespace: super::kube_prometheus_stack::NAMESPACE.to_string(),
        },
        cloud_sql_proxy: wiring::cloud_sql_proxy(cloud, env, database_users),
        components,
    }
}

fn component(
    platform: &Platform,
    cloud: Cloud,
    options: &HelmOptions,
    blueprint: &Blueprint,
) -> Component {
    let env = platform.environment;
    let workload = platform.workloads.iter().find(|w| w.name == blueprint.name);
    let image = match blueprint.repository {
        // Third-party images are always pinned.
        Some(repository) => Image {
            repository: repository.to_string(),
            tag: MLFLOW_IMAGE.1.to_string(),
            pull_policy: "IfNotPresent".to_string(),
        },
        None => {
            let (tag, pull_policy) = profile::image_tag(env, &options.release);
            Image {
                repository: format!("{}/{}", options.image_registry, blueprint.name),
                tag,
                pull_policy: pull_policy.to_string(),
            }
        }
    };
    let mut env_vars: BTreeMap<String, Deferred<String>> = BTreeMap::new();
    if let Some(database) = blueprint.database {
        if platform.database.databases.iter().any(|d| d == database) {
            env_vars.insert(
                "DATABASE_NAME".to_string(),
                Deferred::Output(FromOutput::string(outputs::database_name(database))),
            );
        }
    }
    if let Some(workload) = workload {
        for (bucket, access) in &workload.buckets {
            let variable = format!("BUCKET_{}", bucket.replace('-', "_").to_uppercase());
            env_vars.insert(
                variable.clone(),
                Deferred::Output(FromOutput::string(outputs::bucket(bucket))),
            );
            let access = match access {
                crate::platform::Access::Read => "read",
                crate::platform::Access::ReadWrite => "read-write",
            };
            env_vars.insert(
                format!("{variable}_ACCESS"),
                Deferred::Known(access.to_string()),
            );
        }
    }
    if blueprint.name != "mlflow" {
        env_vars.insert(
            "MLFLOW_TRACKING_URI".to_string(),
            Deferred::Known("http://mlflow:5000".to_string()),
        );
    }
    let (annotations, labels, pod_labels) = match workload {
        Some(_) => (
            wiring::identity_annotations(cloud, blueprint.name),
            wiring::identity_service_account_labels(cloud),
            wiring::identity_pod_labels(cloud),
        ),
        // No cloud access, no identity.
        None => (BTreeMap::new(), BTreeMap::new(), BTreeMap::new()),
    };
    let (node_selector, tolerations) = if blueprint.batch {
        spot_placement(platform)
    } else {
        (BTreeMap::new(), Vec::new())
    };
    let host = blueprint
        .public_host
        .map(|prefix| host_name(prefix, env, &options.domain))
        .unwrap_or_default();
    Component {
        enabled: true,
        image,
        args: blueprint.args.iter().map(|a| a.to_string()).collect(),
        probe_path: blueprint.probe_path.to_string(),
        replicas: profile::replicas(env),
        resources: profile::resources(blueprint.weight, env),
        autoscaling: profile::autoscaling(env),
        pod_disruption_budget: profile::disruption_budget(env),
        service: ServiceSettings {
            enabled: !blueprint.batch,
            port: blueprint.port,
        },
        ingress: ComponentIngress {
            enabled: blueprint.public_host.is_some(),
            tls_secret_name: if host.is_empty() {
                String::new()
            } else {
                format!("{}-tls", blueprint.name)
            },
            host,
        },
        service_account: ServiceAccountSettings {
            name: workload
                .map(|w| w.service_account.clone())
                .unwrap_or_else(|| blueprint.name.to_string()),
            annotations,
            labels,
        },
        pod_labels,
        node_selector,
        tolerations,
        network_policy: NetworkPolicySettings {
            enabled: true,
            allow_from: blueprint.allow_from.iter().map(|s| s.to_string()).collect(),
            allow_from_ingress: blueprint.public_host.is_some(),
        },
        env: env_vars,
    }
}

/// `api.dev.example.com` outside production, `api.example.com` in it.
pub fn host_name(prefix: &str, env: Environment, domain: &str) -> String {
    match env.tier() {
        Tier::Production => format!("{prefix}.{domain}"),
        _ => format!("{prefix}.{env}.{domain}"),
    }
}

/// Batch work goes to the spot pool when the platform has one: its labels as
/// the node selector, its taints tolerated.
fn spot_placement(platform: &Platform) -> (BTreeMap<String, String>, Vec<Toleration>) {
    let Some(pool) = platform
        .cluster
        .pools
        .iter()
        .find(|p| p.capacity == Capacity::Spot && p.gpus.is_none())
    else {
        return (BTreeMap::new(), Vec::new());
    };
    let tolerations = pool
        .taints
        .iter()
        .map(|taint| Toleration {
            key: taint.key.clone(),
            operator: "Equal".to_string(),
            value: taint.value.clone(),
            effect: taint.effect.as_str().to_string(),
        })
        .collect();
    (pool.labels.clone(), tolerations)
}
