//! What differs per cloud in the Helm values: workload identity, storage
//! classes, load balancer annotations and the object store.
//!
//! | | AWS (EKS) | GCP (GKE) | Azure (AKS) |
//! |---|---|---|---|
//! | service account annotation | `eks.amazonaws.com/role-arn` | `iam.gke.io/gcp-service-account` | `azure.workload.identity/client-id` |
//! | pod label | - | - | `azure.workload.identity/use: "true"` |
//! | storage class | `gp2` | `standard-rwo` / `premium-rwo` | `managed-csi` / `managed-csi-premium` |
//! | load balancer | NLB | backend-service L4 | health probe on `/healthz` |
//! | object store | `s3` | `gcs` | `azureblob` |
//! | taints the cloud puts on spot nodes | - | - | `kubernetes.azure.com/scalesetpriority=spot:NoSchedule` |
//! | Redis auth | IAM token as user `redis_user` | AUTH string from Secret Manager | Entra token |
//! | PostgreSQL auth | RDS IAM token | Auth Proxy `--auto-iam-authn` | Entra token |
//! | Redis TLS CA | system trust store | `caCertificate` (output `redis_ca_certificate`) | system trust store |
//! | database | direct, TLS | Cloud SQL Auth Proxy sidecar on `127.0.0.1:5432` | direct, TLS |

use std::collections::BTreeMap;

use super::placeholder::{Deferred, FromOutput};
use super::profile::Resources;
use crate::core::environment::{Cloud, Environment, Tier};
use crate::platform::{outputs, Platform};

/// The AWS-only output naming the ElastiCache RBAC user apps AUTH as
/// (declared by `aws::realize`).
pub const AWS_REDIS_USER: &str = "redis_user";

/// The Cloud SQL Auth Proxy image, pinned.
pub const CLOUD_SQL_PROXY_IMAGE: (&str, &str) =
    ("gcr.io/cloud-sql-connectors/cloud-sql-proxy", "2.14.1");

/// Where the Cloud SQL Auth Proxy listens inside the pod (PostgreSQL's port,
/// on loopback only).
pub const CLOUD_SQL_PROXY_ADDRESS: (&str, u16) = ("127.0.0.1", 5432);

/// The proxy's health-check port: not 9090 (its default), a common metrics
/// port of the app container sharing the pod's network namespace.
pub const CLOUD_SQL_PROXY_HEALTH_PORT: u16 = 9801;

/// The taints (key, value, effect) the cloud itself puts on every spot node,
/// on top of the pool's own: pods placed on a spot pool must tolerate them
/// too. AKS taints spot pools `kubernetes.azure.com/scalesetpriority=spot:
/// NoSchedule` (AKS docs, "Add an Azure Spot node pool"; the azurerm spot
/// node pool test declares it); EKS and GKE taint spot nodes only when asked.
pub fn spot_node_taints(cloud: Cloud) -> &'static [(&'static str, &'static str, &'static str)] {
    match cloud {
        Cloud::Aws | Cloud::Gcp => &[],
        Cloud::Azure => &[(
            "kubernetes.azure.com/scalesetpriority",
            "spot",
            "NoSchedule",
        )],
    }
}

/// The service account annotations that let `workload` assume its cloud
/// identity; the identity itself is a Terraform output.
pub fn identity_annotations(cloud: Cloud, workload: &str) -> BTreeMap<String, FromOutput> {
    BTreeMap::from([(
        identity_annotation_key(cloud).to_string(),
        FromOutput::string(outputs::workload_identity(workload)),
    )])
}

/// Labels the pods of a workload with a cloud identity need: Azure's webhook
/// only injects the token into pods labelled `azure.workload.identity/use`.
pub fn identity_pod_labels(cloud: Cloud) -> BTreeMap<String, String> {
    match cloud {
        Cloud::Azure => BTreeMap::from([(
            "azure.workload.identity/use".to_string(),
            "true".to_string(),
        )]),
        Cloud::Aws | Cloud::Gcp => BTreeMap::new(),
    }
}

/// Labels a service account needs for its identity (Azure reads the same
/// label on service accounts in older webhook versions).
pub fn identity_service_account_labels(cloud: Cloud) -> BTreeMap<String, String> {
    identity_pod_labels(cloud)
}

/// The storage class of persistent volumes (Prometheus, Grafana,
/// Alertmanager): the cluster's built-in CSI class, SSD-backed in production.
pub fn storage_class(cloud: Cloud, env: Environment) -> &'static str {
    match cloud {
        // EKS creates `gp2` in every cluster; gp3 needs a class of its own.
        Cloud::Aws => "gp2",
        Cloud::Gcp => env.pick("standard-rwo", "standard-rwo", "premium-rwo"),
        Cloud::Azure => env.pick("managed-csi", "managed-csi", "managed-csi-premium"),
    }
}

/// Annotations on the ingress controller's `LoadBalancer` service.
pub fn load_balancer_annotations(cloud: Cloud) -> BTreeMap<String, String> {
    let pairs: &[(&str, &str)] = match cloud {
        Cloud::Aws => &[
            ("service.beta.kubernetes.io/aws-load-balancer-type", "nlb"),
            (
                "service.beta.kubernetes.io/aws-load-balancer-scheme",
                "internet-facing",
            ),
            (
                "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled",
                "true",
            ),
        ],
        Cloud::Gcp => &[("cloud.google.com/l4-rbs", "enabled")],
        Cloud::Azure => &[(
            "service.beta.kubernetes.io/azure-load-balancer-health-probe-request-path",
            "/healthz",
        )],
    };
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The object store client the apps configure: `s3`, `gcs` or `azureblob`.
pub fn object_store_provider(cloud: Cloud) -> &'static str {
    match cloud {
        Cloud::Aws => "s3",
        Cloud::Gcp => "gcs",
        Cloud::Azure => "azureblob",
    }
}

/// The platform's region on `cloud` (known at synth time).
pub fn region(platform: &Platform, cloud: Cloud) -> &str {
    match cloud {
        Cloud::Aws => &platform.regions.aws,
        Cloud::Gcp => &platform.regions.gcp,
        Cloud::Azure => &platform.regions.azure,
    }
}

/// How apps authenticate to Redis on `cloud`, with their own workload
/// identity and no Kubernetes Secret:
///
/// - AWS: ElastiCache RBAC with IAM authentication: the `default` user is
///   disabled and apps AUTH as the application user (output `redis_user`)
///   with a SigV4 token signed by their IRSA role (`elasticache:Connect`,
///   granted only to workloads that use the cache).
/// - GCP: Memorystore for Redis has only an AUTH string (no IAM
///   authentication in `google_redis_instance` at google 6.50.0): apps read
///   it from the Secret Manager secret of output `redis_auth_secret`, which
///   only the cache's users may access.
/// - Azure: Managed Redis with access keys off: apps AUTH with an Entra
///   token of their identity, user name its object id (output
///   `workload_principal_<name>`, in the workload's `REDIS_USER`); only
///   workloads that use the cache have an access policy assignment.
pub fn redis_auth(cloud: Cloud) -> RedisAuth {
    match cloud {
        Cloud::Aws => RedisAuth::Iam {
            user: FromOutput::string(AWS_REDIS_USER),
        },
        Cloud::Gcp => RedisAuth::SecretManager {
            secret: FromOutput::string(outputs::REDIS_AUTH_SECRET),
        },
        Cloud::Azure => RedisAuth::Entra,
    }
}

/// Redis client authentication (flattened into `config.redis`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "auth", rename_all = "kebab-case")]
pub enum RedisAuth {
    /// `auth: iam`: AUTH as `user` with an IAM token the client signs.
    Iam {
        /// The Redis user (a Terraform output).
        user: FromOutput,
    },
    /// `auth: secret-manager`: AUTH with the string in the Secret Manager
    /// secret `secret`, read with the workload's identity.
    SecretManager {
        /// The secret's resource id (a Terraform output).
        secret: FromOutput,
    },
    /// `auth: entra`: AUTH as the identity's object id with an Entra token.
    Entra,
}

/// How apps log in to PostgreSQL on `cloud`, with their own workload
/// identity (`config.database.auth`): `iam` (AWS: an RDS IAM token for the
/// workload's `DATABASE_USER`, `rds-db:connect`), `cloud-sql-iam` (GCP: the
/// Auth Proxy logs in as the pod's service account, `--auto-iam-authn`),
/// `entra` (Azure: an Entra token for `https://ossrdbms-aad.database.windows.net`).
pub fn database_auth(cloud: Cloud) -> &'static str {
    match cloud {
        Cloud::Aws => "iam",
        Cloud::Gcp => "cloud-sql-iam",
        Cloud::Azure => "entra",
    }
}

/// The service account annotation naming the cloud identity.
pub fn identity_annotation_key(cloud: Cloud) -> &'static str {
    match cloud {
        Cloud::Aws => "eks.amazonaws.com/role-arn",
        Cloud::Gcp => "iam.gke.io/gcp-service-account",
        Cloud::Azure => "azure.workload.identity/client-id",
    }
}

/// The CA certificate apps verify Redis's TLS certificate against, where no
/// system trust store holds it: Memorystore signs its server certificate with
/// the instance's own CA (output `redis_ca_certificate`, public). ElastiCache
/// (Amazon's public CAs) and Azure Cache for Redis (DigiCert) need nothing
/// beyond the system trust store.
pub fn redis_ca_certificate(cloud: Cloud) -> Option<FromOutput> {
    match cloud {
        Cloud::Gcp => Some(FromOutput::string(outputs::REDIS_CA_CERTIFICATE)),
        Cloud::Aws | Cloud::Azure => None,
    }
}

/// Where apps reach PostgreSQL on `cloud`: `(host, port, sslMode)`.
///
/// Cloud SQL requires client certificates and IAM authentication, which the
/// Auth Proxy sidecar provides: apps connect to it on loopback without TLS
/// (the proxy does not offer TLS locally; it encrypts to the instance).
pub fn database_endpoint(cloud: Cloud) -> (Deferred<String>, Deferred<u16>, &'static str) {
    match cloud {
        Cloud::Gcp => (
            Deferred::Known(CLOUD_SQL_PROXY_ADDRESS.0.to_string()),
            Deferred::Known(CLOUD_SQL_PROXY_ADDRESS.1),
            "disable",
        ),
        Cloud::Aws | Cloud::Azure => (
            Deferred::Output(FromOutput::string(outputs::DATABASE_ADDRESS)),
            Deferred::Output(FromOutput::integer(outputs::DATABASE_PORT)),
            "require",
        ),
    }
}

/// The Cloud SQL Auth Proxy sidecar, on GCP only; `components` are the
/// workloads that use the database (the proxy logs in as the pod's workload
/// identity).
pub fn cloud_sql_proxy(
    cloud: Cloud,
    env: Environment,
    components: Vec<String>,
) -> Option<CloudSqlProxy> {
    if cloud != Cloud::Gcp {
        return None;
    }
    Some(CloudSqlProxy {
        enabled: true,
        image: ProxyImage {
            repository: CLOUD_SQL_PROXY_IMAGE.0.to_string(),
            tag: CLOUD_SQL_PROXY_IMAGE.1.to_string(),
            pull_policy: "IfNotPresent".to_string(),
        },
        connection_name: FromOutput::string(outputs::DATABASE_CONNECTION_NAME),
        args: [
            "--private-ip",
            "--auto-iam-authn",
            "--structured-logs",
            "--health-check",
            "--http-address=0.0.0.0",
        ]
        .iter()
        .map(|a| a.to_string())
        .chain([
            format!("--http-port={CLOUD_SQL_PROXY_HEALTH_PORT}"),
            format!("--address={}", CLOUD_SQL_PROXY_ADDRESS.0),
            format!("--port={}", CLOUD_SQL_PROXY_ADDRESS.1),
        ])
        .collect(),
        port: CLOUD_SQL_PROXY_ADDRESS.1,
        health_port: CLOUD_SQL_PROXY_HEALTH_PORT,
        resources: match env.tier() {
            Tier::Development => Resources::new(("50m", "64Mi"), ("500m", "256Mi")),
            Tier::Staging => Resources::new(("100m", "128Mi"), ("1", "512Mi")),
            Tier::Production => Resources::new(("250m", "256Mi"), ("1", "1Gi")),
        },
        components,
    })
}

/// The Cloud SQL Auth Proxy sidecar (`cloudSqlProxy` in the values).
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudSqlProxy {
    /// Render the sidecar.
    pub enabled: bool,
    /// The proxy image (pinned).
    pub image: ProxyImage,
    /// `project:region:instance` (output `database_connection_name`), the
    /// proxy's last argument.
    pub connection_name: FromOutput,
    /// Flags before the connection name.
    pub args: Vec<String>,
    /// The loopback port apps connect to.
    pub port: u16,
    /// The `/startup`, `/liveness` and `/readiness` HTTP port.
    pub health_port: u16,
    /// Requests and limits.
    pub resources: Resources,
    /// The components whose pods get the sidecar.
    pub components: Vec<String>,
}

/// The proxy's image.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProxyImage {
    /// Repository.
    pub repository: String,
    /// A release tag, never `latest`.
    pub tag: String,
    /// `IfNotPresent`.
    pub pull_policy: String,
}
