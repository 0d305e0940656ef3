//! The workload model: the values of the generic app chart, derived from the
//! platform's own workloads ([`WorkloadSpec`]) and the [`HelmSettings`].
//!
//! Per workload: its namespace, its service account with the cloud's
//! workload-identity annotations and labels (see [`super::wiring`]), the
//! buckets it was granted as environment variables filled from Terraform
//! outputs, the database it uses, its image (`<registry>/<name>:<tag>`),
//! sizing per environment tier ([`super::profile`]), its Service and public
//! host, and its placement on the node pools. Shared by every workload: the
//! PostgreSQL, Redis and object store connections, each reached with the
//! workload's own cloud identity (no password, no Kubernetes Secret), and the
//! restricted pod security settings.
//!
//! A stack without a chart of its own deploys this document
//! (`helm/<project>.values.yaml`) with the generic chart `charts/workloads`
//! of this repository, copied as `charts/<project>`; its
//! `values.schema.json` declares exactly the keys written here, so a change
//! to this model changes the chart too (`tests/helm.rs` checks both ways). A
//! stack with its own chart builds its values on top of it in a
//! [`ChartValues`] hook ([`HelmContext::app`]).
//!
//! | key | from |
//! |---|---|
//! | `workloads.<name>.serviceAccount` | `WorkloadSpec::service_account`, identity output `workload_identity_<name>` |
//! | `workloads.<name>.env.BUCKET_<BUCKET>` | output `bucket_<bucket>`, plus `BUCKET_<BUCKET>_ACCESS` (`read`, `read-write`) |
//! | `workloads.<name>.env.DATABASE_NAME` | output `database_name_<db>` of [`WorkloadSettings::database`], by default the first of `WorkloadSpec::databases` |
//! | `workloads.<name>.env.DATABASE_USER`, `DATABASE_<DB>_ACCESS`, `REDIS_ENABLED`, `REDIS_USER` | [`data_env`]: `WorkloadSpec::databases`, `WorkloadSpec::uses_cache` |
//! | `databaseBootstrap` | [`super::database_bootstrap`]: the grants of `WorkloadSpec::databases` |
//! | `workloads.<name>.image` | [`HelmSettings::with_image_registry`], [`HelmSettings::with_release`] |
//! | `workloads.<name>.ingress` | [`WorkloadSettings::public_host`], [`HelmSettings::with_domain`] |
//! | `config.database`, `config.redis` | outputs; how workloads log in with their identity ([`wiring::database_auth`], [`wiring::redis_auth`]); no Kubernetes Secret |
//!
//! [`ChartValues`]: super::ChartValues
//! [`HelmContext::app`]: super::HelmContext::app
//! [`WorkloadSettings::database`]: super::WorkloadSettings::database
//! [`WorkloadSettings::public_host`]: super::WorkloadSettings::public_host

use std::collections::BTreeMap;

use serde::Serialize;

use super::error::{HelmError, HelmErrors, Setting};
use super::placeholder::{Deferred, FromOutput};
use super::profile::{self, Autoscaling, DisruptionBudget, Resources};
use super::security::{ContainerSecurityContext, PodSecurityContext};
use super::settings::{HelmSettings, Placement};
use super::wiring;
use crate::core::environment::{Cloud, Environment, Tier};
use crate::platform::{
    data_access, outputs, Access, Capacity, NodePoolSpec, Platform, WorkloadSpec,
};

/// The values document of the generic app chart.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppValues {
    /// Where and what is deployed.
    pub global: Global,
    /// Pod-level security, for every workload.
    pub pod_security_context: PodSecurityContext,
    /// Container-level security, for every workload.
    pub container_security_context: ContainerSecurityContext,
    /// Ingress class, issuer and TLS.
    pub ingress: IngressSettings,
    /// Connection settings shared by the workloads.
    pub config: SharedConfig,
    /// The Cloud SQL Auth Proxy sidecar (GCP only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud_sql_proxy: Option<wiring::CloudSqlProxy>,
    /// The database bootstrap Job (a Helm hook); absent when no workload
    /// uses a database.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_bootstrap: Option<super::database_bootstrap::DatabaseBootstrap>,
    /// The platform's workloads by name.
    pub workloads: BTreeMap<String, Workload>,
}

/// Deployment-wide facts.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Global {
    /// The project.
    pub project: String,
    /// The environment's name.
    pub environment: String,
    /// aws, gcp or azure.
    pub cloud: String,
    /// The region or location.
    pub region: String,
}

/// How workloads are exposed.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressSettings {
    /// The IngressClass (ingress-nginx).
    pub class_name: String,
    /// The cert-manager ClusterIssuer that signs the certificates.
    pub cluster_issuer: String,
    /// The namespace the ingress controller runs in (for NetworkPolicies).
    pub controller_namespace: String,
}

/// Connection settings every workload receives.
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
    /// How a workload logs in with its own identity, as its
    /// `DATABASE_USER` ([`wiring::database_auth`]): `iam`, `cloud-sql-iam`
    /// or `entra`; never a password.
    pub auth: String,
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
    /// The PEM of the CA to verify the server with, where the system trust
    /// store lacks it (GCP: Memorystore's own CA, from the Terraform output
    /// `redis_ca_certificate`); absent elsewhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_certificate: Option<FromOutput>,
    /// `auth: iam` and `user` (AWS), `auth: secret-manager` and `secret`
    /// (GCP), `auth: entra` (Azure); see [`wiring::redis_auth`].
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

/// A container image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Image {
    /// Full repository path.
    pub repository: String,
    /// Tag; never `latest` outside the development tier.
    pub tag: String,
    /// `Always` for moving tags, `IfNotPresent` for pinned ones.
    pub pull_policy: String,
}

/// A workload's Service.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceSettings {
    /// Whether the workload is reachable in the cluster.
    pub enabled: bool,
    /// The Service and container port.
    pub port: u16,
}

/// A workload's Ingress.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadIngress {
    /// Whether the workload is public.
    pub enabled: bool,
    /// The host name (empty when not public).
    pub host: String,
    /// The TLS Secret cert-manager fills (empty when not public).
    pub tls_secret_name: String,
}

impl WorkloadIngress {
    /// Public at `host` (when there is one) with the certificate in
    /// `<name>-tls`.
    pub fn for_host(name: &str, host: Option<String>) -> Self {
        match host {
            Some(host) => WorkloadIngress {
                enabled: true,
                host,
                tls_secret_name: format!("{name}-tls"),
            },
            None => WorkloadIngress {
                enabled: false,
                host: String::new(),
                tls_secret_name: String::new(),
            },
        }
    }
}

/// A workload's ServiceAccount.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAccountSettings {
    /// Its name (`WorkloadSpec::service_account`: the one the cloud identity
    /// trusts).
    pub name: String,
    /// Workload identity annotations.
    pub annotations: BTreeMap<String, FromOutput>,
    /// Labels.
    pub labels: BTreeMap<String, String>,
}

/// A toleration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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

/// One platform workload.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Workload {
    /// Its namespace.
    pub namespace: String,
    /// Its image; absent when the settings name none (no registry, or no
    /// pinned release outside the development tier), which the app chart
    /// never is written with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<Image>,
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
    /// Extra pod labels (workload identity on Azure).
    pub pod_labels: BTreeMap<String, String>,
    /// Node selection.
    pub node_selector: BTreeMap<String, String>,
    /// Tolerated taints.
    pub tolerations: Vec<Toleration>,
    /// Environment variables: bucket names and access, the database name.
    pub env: BTreeMap<String, Deferred<String>>,
}

/// `api.dev.acme.io` outside the production tier, `api.acme.io` in it.
pub fn host_name(prefix: &str, env: Environment, domain: &str) -> String {
    match env.tier() {
        Tier::Production => format!("{prefix}.{domain}"),
        Tier::Development | Tier::Staging => format!("{prefix}.{env}.{domain}"),
    }
}

/// The public host for `prefix`, `None` in the development tier without a
/// domain; `needed_by` names what asks in the error.
///
/// # Errors
///
/// [`HelmError::MissingSetting`] for the domain outside the development tier.
pub fn public_host(
    env: Environment,
    settings: &HelmSettings,
    prefix: &str,
    needed_by: &str,
) -> Result<Option<String>, HelmError> {
    match settings.domain() {
        Some(domain) => Ok(Some(host_name(prefix, env, domain))),
        None if env.is_development() => Ok(None),
        None => Err(HelmError::missing(Setting::Domain, needed_by, env, None)),
    }
}

/// The image `<registry>/<name>` at `env`'s tag: `latest` (pulled always) in
/// the development tier, the pinned release elsewhere.
///
/// # Errors
///
/// [`HelmError::MissingSetting`] without a registry, or without a release
/// outside the development tier; [`HelmError::UnpinnedRelease`] for `latest`
/// outside it.
pub fn image(env: Environment, settings: &HelmSettings, name: &str) -> Result<Image, HelmError> {
    let missing = |setting| HelmError::missing(setting, format!("image `{name}`"), env, None);
    let registry = settings
        .image_registry()
        .ok_or_else(|| missing(Setting::ImageRegistry))?;
    let release = match (env.tier(), settings.release()) {
        (Tier::Development, release) => release.unwrap_or("latest"),
        (_, None) => return Err(missing(Setting::Release)),
        (_, Some("latest")) => return Err(HelmError::unpinned("latest", env)),
        (_, Some(release)) => release,
    };
    let (tag, pull_policy) = profile::image_tag(env, release);
    Ok(Image {
        repository: format!("{registry}/{name}"),
        tag,
        pull_policy: pull_policy.to_string(),
    })
}

/// The node selector and tolerations of `placement` on `platform`'s pools:
/// the pool's labels and a toleration of each of its taints (see
/// [`placement_on`] for the taints a cloud adds).
///
/// # Errors
///
/// [`HelmError::UnknownPool`] for [`Placement::Pool`] naming no pool.
pub fn placement(
    platform: &Platform,
    workload: &str,
    placement: &Placement,
) -> Result<(BTreeMap<String, String>, Vec<Toleration>), HelmError> {
    let pool = placement_pool(platform, workload, placement)?;
    Ok(pool.map_or_else(Default::default, |pool| {
        (pool.labels.clone(), tolerations_of(pool))
    }))
}

/// [`placement`] on `cloud`: on a spot pool, the pods also tolerate the
/// taints the cloud puts on spot nodes itself
/// ([`wiring::spot_node_taints`]), without which they never schedule there.
///
/// # Errors
///
/// [`HelmError::UnknownPool`] for [`Placement::Pool`] naming no pool.
pub fn placement_on(
    platform: &Platform,
    cloud: Cloud,
    workload: &str,
    placement: &Placement,
) -> Result<(BTreeMap<String, String>, Vec<Toleration>), HelmError> {
    let Some(pool) = placement_pool(platform, workload, placement)? else {
        return Ok((BTreeMap::new(), Vec::new()));
    };
    let mut tolerations = tolerations_of(pool);
    if pool.capacity == Capacity::Spot {
        for (key, value, effect) in wiring::spot_node_taints(cloud) {
            let toleration = Toleration {
                key: key.to_string(),
                operator: "Equal".to_string(),
                value: value.to_string(),
                effect: effect.to_string(),
            };
            if !tolerations.contains(&toleration) {
                tolerations.push(toleration);
            }
        }
    }
    Ok((pool.labels.clone(), tolerations))
}

/// A toleration of each of `pool`'s own taints.
fn tolerations_of(pool: &NodePoolSpec) -> Vec<Toleration> {
    pool.taints
        .iter()
        .map(|taint| Toleration {
            key: taint.key.clone(),
            operator: "Equal".to_string(),
            value: taint.value.clone(),
            effect: taint.effect.as_str().to_string(),
        })
        .collect()
}

/// The pool `placement` puts a workload on, if any.
fn placement_pool<'p>(
    platform: &'p Platform,
    workload: &str,
    placement: &Placement,
) -> Result<Option<&'p NodePoolSpec>, HelmError> {
    let pools = &platform.cluster.pools;
    let pool =
        match placement {
            Placement::Any => None,
            Placement::Spot => pools
                .iter()
                .find(|p| p.capacity == Capacity::Spot && p.gpus.is_none()),
            Placement::Pool(name) => {
                Some(pools.iter().find(|p| &p.name == name).ok_or_else(|| {
                    HelmError::UnknownPool {
                        workload: workload.to_string(),
                        pool: name.clone(),
                        declared: pools.iter().map(|p| p.name.clone()).collect(),
                    }
                })?)
            }
        };
    Ok(pool)
}

/// `BUCKET_<NAME>` (the cloud name, from output `bucket_<name>`) and
/// `BUCKET_<NAME>_ACCESS` (`read` or `read-write`) per bucket `workload` was
/// granted.
pub fn bucket_env(workload: &WorkloadSpec) -> BTreeMap<String, Deferred<String>> {
    let mut env = BTreeMap::new();
    for (bucket, access) in &workload.buckets {
        let variable = format!("BUCKET_{}", bucket.replace('-', "_").to_uppercase());
        env.insert(
            variable.clone(),
            Deferred::Output(FromOutput::string(outputs::bucket(bucket))),
        );
        let access = match access {
            Access::Read => "read",
            Access::ReadWrite => "read-write",
        };
        env.insert(
            format!("{variable}_ACCESS"),
            Deferred::Known(access.to_string()),
        );
    }
    env
}

/// What a workload needs to reach the data it declares, with its own
/// identity: `DATABASE_USER` (its [`WorkloadSpec::database_user`]; on GCP
/// the IAM user from output `database_user_<name>`) and
/// `DATABASE_<DB>_ACCESS` (`read`, `read-write`) per database it uses;
/// `REDIS_ENABLED` when it uses the cache, and on Azure `REDIS_USER` (its
/// identity's object id, output `workload_principal_<name>`). Nothing for
/// data it does not declare.
pub fn data_env(cloud: Cloud, workload: &WorkloadSpec) -> BTreeMap<String, Deferred<String>> {
    let mut env = BTreeMap::new();
    if workload.uses_database() {
        let user = match cloud {
            Cloud::Gcp => Deferred::Output(FromOutput::string(data_access::database_user_output(
                &workload.name,
            ))),
            Cloud::Aws | Cloud::Azure => Deferred::Known(workload.database_user()),
        };
        env.insert("DATABASE_USER".to_string(), user);
        for (database, access) in &workload.databases {
            let access = match access {
                Access::Read => "read",
                Access::ReadWrite => "read-write",
            };
            env.insert(
                format!(
                    "DATABASE_{}_ACCESS",
                    database.replace('-', "_").to_uppercase()
                ),
                Deferred::Known(access.to_string()),
            );
        }
    }
    if workload.uses_cache {
        env.insert(
            "REDIS_ENABLED".to_string(),
            Deferred::Known("true".to_string()),
        );
        if cloud == Cloud::Azure {
            env.insert(
                "REDIS_USER".to_string(),
                Deferred::Output(FromOutput::string(data_access::principal_output(
                    &workload.name,
                ))),
            );
        }
    }
    env
}

/// The workload model of `platform` on `cloud`.
///
/// # Errors
///
/// Every workload setting that does not fit the platform (unknown workload,
/// database or node pool) and every public workload without a domain outside
/// the development tier.
pub fn derive(
    platform: &Platform,
    cloud: Cloud,
    settings: &HelmSettings,
) -> Result<AppValues, HelmErrors> {
    let env = platform.environment;
    let mut errors = Vec::new();
    let declared: Vec<String> = platform.workloads.iter().map(|w| w.name.clone()).collect();
    for name in settings.workload_names() {
        if !declared.iter().any(|d| d == name) {
            errors.push(HelmError::UnknownWorkload {
                workload: name.to_string(),
                declared: declared.clone(),
            });
        }
    }
    let mut database_users = Vec::new();
    let mut workloads = BTreeMap::new();
    for spec in &platform.workloads {
        match workload(platform, cloud, settings, spec) {
            Ok(workload) => {
                if workload.env.contains_key("DATABASE_NAME") {
                    database_users.push(spec.name.clone());
                }
                workloads.insert(spec.name.clone(), workload);
            }
            Err(mut problems) => errors.append(&mut problems),
        }
    }
    if !errors.is_empty() {
        return Err(HelmErrors(errors));
    }
    let region = wiring::region(platform, cloud).to_string();
    let (database_host, database_port, ssl_mode) = wiring::database_endpoint(cloud);
    Ok(AppValues {
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
                auth: wiring::database_auth(cloud).to_string(),
            },
            redis: RedisConfig {
                host: Deferred::Output(FromOutput::string(outputs::REDIS_HOST)),
                port: Deferred::Output(FromOutput::integer(outputs::REDIS_PORT)),
                tls: true,
                ca_certificate: wiring::redis_ca_certificate(cloud),
                auth: wiring::redis_auth(cloud),
            },
            object_store: ObjectStoreConfig {
                provider: wiring::object_store_provider(cloud).to_string(),
                endpoint: Deferred::Output(FromOutput::string(outputs::OBJECT_STORE_ENDPOINT)),
                region,
            },
            monitoring_namespace: super::kube_prometheus_stack::NAMESPACE.to_string(),
        },
        cloud_sql_proxy: wiring::cloud_sql_proxy(cloud, env, database_users),
        database_bootstrap: super::database_bootstrap::values(platform, cloud),
        workloads,
    })
}

fn workload(
    platform: &Platform,
    cloud: Cloud,
    settings: &HelmSettings,
    spec: &WorkloadSpec,
) -> Result<Workload, Vec<HelmError>> {
    let env = platform.environment;
    let own = settings.workload(&spec.name);
    let mut errors = Vec::new();
    let mut env_vars = bucket_env(spec);
    env_vars.extend(data_env(cloud, spec));
    for (name, value) in &own.env {
        if env_vars.contains_key(name) || name == "DATABASE_NAME" {
            errors.push(HelmError::ReservedEnv {
                workload: spec.name.clone(),
                name: name.clone(),
            });
        } else {
            env_vars.insert(name.clone(), value.clone());
        }
    }
    // `DATABASE_NAME`: the setting's choice among the databases the spec
    // grants the workload, by default the first of them.
    let granted: Vec<String> = spec.databases.iter().map(|(d, _)| d.clone()).collect();
    let database = match &own.database {
        Some(database) if granted.contains(database) => Some(database.clone()),
        Some(database) => {
            errors.push(HelmError::UnknownDatabase {
                workload: spec.name.clone(),
                database: database.clone(),
                declared: granted.clone(),
            });
            None
        }
        None => granted.first().cloned(),
    };
    if let Some(database) = database {
        env_vars.insert(
            "DATABASE_NAME".to_string(),
            Deferred::Output(FromOutput::string(outputs::database_name(&database))),
        );
    }
    let host = match &own.public_host {
        None => None,
        Some(prefix) => public_host(
            env,
            settings,
            prefix,
            &format!("workload `{}` (public at `{prefix}`)", spec.name),
        )
        .unwrap_or_else(|e| {
            errors.push(e);
            None
        }),
    };
    let (node_selector, tolerations) = placement_on(platform, cloud, &spec.name, &own.placement)
        .unwrap_or_else(|e| {
            errors.push(e);
            (BTreeMap::new(), Vec::new())
        });
    if !errors.is_empty() {
        return Err(errors);
    }
    let image_name = own.image.as_deref().unwrap_or(&spec.name);
    Ok(Workload {
        namespace: spec.namespace.clone(),
        // An image the settings cannot name is reported by
        // `HelmSettings::check` when the app chart is on; hooks that need it
        // ask `HelmContext::image`, which says why.
        image: image(env, settings, image_name).ok(),
        replicas: profile::replicas(env),
        resources: profile::resources(own.weight, env),
        autoscaling: profile::autoscaling(env),
        pod_disruption_budget: profile::disruption_budget(env),
        service: ServiceSettings {
            enabled: own.service,
            port: own.port,
        },
        ingress: WorkloadIngress::for_host(&spec.name, host),
        service_account: ServiceAccountSettings {
            name: spec.service_account.clone(),
            annotations: wiring::identity_annotations(cloud, &spec.name),
            labels: wiring::identity_service_account_labels(cloud),
        },
        pod_labels: wiring::identity_pod_labels(cloud),
        node_selector,
        tolerations,
        env: env_vars,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::helm::settings::WorkloadSettings;

    fn platform(env: Environment) -> Platform {
        let mut p = Platform::new("shop", env);
        p.workloads.push(WorkloadSpec {
            name: "api".into(),
            namespace: "shop".into(),
            service_account: "api-sa".into(),
            databases: Vec::new(),
            uses_cache: false,
            buckets: Vec::new(),
        });
        p
    }

    #[test]
    fn every_workload_gets_its_service_account_and_identity() {
        let p = platform(Environment::STAGING);
        let settings = HelmSettings::new()
            .with_image_registry("ghcr.io/shop")
            .with_release("2.0.0");
        let app = derive(&p, Cloud::Aws, &settings).unwrap();
        let api = &app.workloads["api"];
        assert_eq!(api.service_account.name, "api-sa");
        assert_eq!(
            api.service_account.annotations["eks.amazonaws.com/role-arn"].output(),
            "workload_identity_api"
        );
        assert_eq!(
            api.image
                .as_ref()
                .map(|i| (i.repository.as_str(), i.tag.as_str())),
            Some(("ghcr.io/shop/api", "2.0.0"))
        );
        assert_eq!(app.config.database.auth, "iam");
    }

    #[test]
    fn public_workloads_need_a_domain_outside_dev_only() {
        let public = WorkloadSettings {
            public_host: Some("www".into()),
            ..WorkloadSettings::default()
        };
        let settings = HelmSettings::new().with_workload("api", public);
        let dev = derive(&platform(Environment::DEV), Cloud::Gcp, &settings).unwrap();
        assert!(!dev.workloads["api"].ingress.enabled);
        let errors = derive(&platform(Environment::PRODUCTION), Cloud::Gcp, &settings).unwrap_err();
        assert!(errors.mentions(Setting::Domain), "{errors}");
        let settings = settings.with_domain("shop.io");
        let production = derive(&platform(Environment::PRODUCTION), Cloud::Gcp, &settings).unwrap();
        assert_eq!(production.workloads["api"].ingress.host, "www.shop.io");
    }

    /// AKS taints every spot node `kubernetes.azure.com/scalesetpriority=spot:
    /// NoSchedule` on top of the pool's own taints, so pods that tolerate only
    /// the pool's taints never schedule there.
    #[test]
    fn spot_placed_pods_tolerate_the_taint_aks_puts_on_spot_nodes() {
        use crate::core::taint::{Taint, TaintEffect};
        use crate::platform::NodePoolSpec;
        let mut p = platform(Environment::DEV);
        p.cluster.pools = vec![NodePoolSpec {
            name: "spot".into(),
            capacity: Capacity::Spot,
            size: crate::platform::Size::Large,
            gpus: None,
            min_nodes: 0,
            max_nodes: 3,
            desired_nodes: 0,
            taints: vec![Taint {
                key: "capacity".into(),
                value: "spot".into(),
                effect: TaintEffect::NoSchedule,
            }],
            labels: BTreeMap::from([("workload".to_string(), "batch".to_string())]),
        }];
        let settings = HelmSettings::new()
            .with_image_registry("ghcr.io/shop")
            .with_workload(
                "api",
                WorkloadSettings {
                    placement: Placement::Spot,
                    ..WorkloadSettings::default()
                },
            );
        let keys = |cloud| -> Vec<String> {
            let app = derive(&p, cloud, &settings).unwrap();
            let api = &app.workloads["api"];
            assert_eq!(api.node_selector["workload"], "batch");
            api.tolerations
                .iter()
                .map(|t| format!("{}={}:{}", t.key, t.value, t.effect))
                .collect()
        };
        assert_eq!(
            keys(Cloud::Azure),
            [
                "capacity=spot:NoSchedule",
                "kubernetes.azure.com/scalesetpriority=spot:NoSchedule"
            ]
        );
        assert_eq!(keys(Cloud::Aws), ["capacity=spot:NoSchedule"]);
        assert_eq!(keys(Cloud::Gcp), ["capacity=spot:NoSchedule"]);
    }

    #[test]
    fn settings_must_fit_the_platform() {
        let settings = HelmSettings::new()
            .with_workload("ghost", WorkloadSettings::default())
            .with_workload(
                "api",
                WorkloadSettings {
                    database: Some("nope".into()),
                    placement: Placement::Pool("gpu".into()),
                    ..WorkloadSettings::default()
                },
            );
        let errors = derive(&platform(Environment::DEV), Cloud::Azure, &settings).unwrap_err();
        let text = errors.to_string();
        assert_eq!(errors.0.len(), 3, "{text}");
        assert!(text.contains("workload `ghost`"), "{text}");
        assert!(
            text.contains("`WorkloadSettings::database` `nope`"),
            "{text}"
        );
        assert!(text.contains("node pool `gpu`"), "{text}");
    }

    /// `DATABASE_USER` and `DATABASE_NAME` only for a workload that declares a
    /// database; the cache only where declared; GCP's user is Cloud SQL's
    /// IAM user name (an output), Azure's Redis user the identity's object id.
    #[test]
    fn data_env_follows_the_declarations() {
        let mut p = platform(Environment::DEV);
        p.database.databases = vec!["app".into(), "audit".into()];
        p.workloads[0] = WorkloadSpec::new("api", "shop")
            .database("app", Access::Read)
            .cache();
        p.workloads.push(WorkloadSpec::new("idle", "shop"));
        let settings = HelmSettings::new().with_image_registry("ghcr.io/shop");
        for cloud in Cloud::ALL {
            let app = derive(&p, cloud, &settings).unwrap();
            let api = &app.workloads["api"].env;
            assert_eq!(
                api["DATABASE_NAME"],
                Deferred::Output(FromOutput::string("database_name_app"))
            );
            assert_eq!(api["DATABASE_APP_ACCESS"], Deferred::Known("read".into()));
            assert!(!api.contains_key("DATABASE_AUDIT_ACCESS"));
            assert_eq!(api["REDIS_ENABLED"], Deferred::Known("true".into()));
            let user = &api["DATABASE_USER"];
            match cloud {
                Cloud::Gcp => assert_eq!(
                    user,
                    &Deferred::Output(FromOutput::string("database_user_api"))
                ),
                _ => assert_eq!(user, &Deferred::Known("api".into())),
            }
            assert_eq!(api.contains_key("REDIS_USER"), cloud == Cloud::Azure);
            let idle = &app.workloads["idle"].env;
            assert!(idle.is_empty(), "{cloud}: {idle:?}");
        }
    }
}
