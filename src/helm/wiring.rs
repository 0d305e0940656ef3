//! What differs per cloud in the Helm values: workload identity, the
//! object store, Redis and the database (the storage class is
//! [`super::storage`]'s, the load balancer [`super::gateway`]'s).
//!
//! | | AWS (EKS) | GCP (GKE) | Azure (AKS) |
//! |---|---|---|---|
//! | service account annotation | `eks.amazonaws.com/role-arn` | `iam.gke.io/gcp-service-account` | `azure.workload.identity/client-id` |
//! | pod label | - | - | `azure.workload.identity/use: "true"` |
//! | object store | `s3` | `gcs` | `azureblob` |
//! | taints the cloud puts on spot nodes | - | - | `kubernetes.azure.com/scalesetpriority=spot:NoSchedule` |
//! | Redis auth | IAM token as user `redis_user` | AUTH string (Secret) | access key (Secret) |
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
    let key = match cloud {
        Cloud::Aws => "eks.amazonaws.com/role-arn",
        Cloud::Gcp => "iam.gke.io/gcp-service-account",
        Cloud::Azure => "azure.workload.identity/client-id",
    };
    BTreeMap::from([(
        key.to_string(),
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

/// How apps authenticate to Redis on `cloud`.
///
/// ElastiCache on AWS uses RBAC with IAM authentication: the `default` user is
/// disabled and apps AUTH as the application user (output `redis_user`) with
/// a SigV4 token signed by their IRSA role, so there is no static token. GCP
/// (AUTH string from Secret Manager) and Azure read a token from the
/// `existing_secret` Kubernetes Secret.
pub fn redis_auth(cloud: Cloud, existing_secret: &str) -> RedisAuth {
    match cloud {
        Cloud::Aws => RedisAuth::Iam {
            user: FromOutput::string(AWS_REDIS_USER),
        },
        Cloud::Gcp | Cloud::Azure => RedisAuth::Token {
            existing_secret: existing_secret.to_string(),
        },
    }
}

/// Redis client authentication (flattened into `config.redis`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "auth", rename_all = "lowercase")]
pub enum RedisAuth {
    /// `auth: iam`: AUTH as `user` with an IAM token the client signs.
    Iam {
        /// The Redis user (a Terraform output).
        user: FromOutput,
    },
    /// `existingSecret`: AUTH with the Secret's `auth-token`.
    #[serde(untagged, rename_all = "camelCase")]
    Token {
        /// The Secret with `auth-token`.
        existing_secret: String,
    },
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
