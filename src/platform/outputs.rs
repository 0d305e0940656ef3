//! The Terraform output names every cloud's realization declares, so Helm
//! values are wired the same way on every cloud.

use super::logical;

/// Where the PostgreSQL server listens (host name or private IP).
pub const DATABASE_ADDRESS: &str = "database_address";
/// PostgreSQL port.
pub const DATABASE_PORT: &str = "database_port";
/// Redis host the apps connect to (the primary endpoint).
pub const REDIS_HOST: &str = "redis_host";
/// Redis port (TLS).
pub const REDIS_PORT: &str = "redis_port";
/// The Kubernetes cluster's name.
pub const CLUSTER_NAME: &str = "cluster_name";
/// The Kubernetes API endpoint.
pub const CLUSTER_ENDPOINT: &str = "cluster_endpoint";
/// The region or location.
pub const REGION: &str = "region";
/// The object store endpoint the apps use (S3 regional endpoint, GCS or the
/// storage account's blob endpoint).
pub const OBJECT_STORE_ENDPOINT: &str = "object_store_endpoint";

/// The output holding the cloud name of the bucket with logical name `bucket`:
/// `bucket_mlflow_artifacts`.
pub fn bucket(bucket: &str) -> String {
    format!("bucket_{}", logical(bucket))
}

/// The output holding the identity a workload assumes: the IAM role ARN (AWS),
/// the service account e-mail (GCP) or the managed identity's client id (Azure):
/// `workload_identity_api_server`.
pub fn workload_identity(workload: &str) -> String {
    format!("workload_identity_{}", logical(workload))
}

/// The output holding the database (name on the server) for `database`:
/// `database_name_mlflow`.
pub fn database_name(database: &str) -> String {
    format!("database_name_{}", logical(database))
}

/// A GCP-only output: the Secret Manager secret with the Redis AUTH string.
pub const REDIS_AUTH_SECRET: &str = "redis_auth_secret";

/// A GCP-only output: the Cloud SQL connection name (`project:region:instance`),
/// which the Cloud SQL Auth Proxy needs.
pub const DATABASE_CONNECTION_NAME: &str = "database_connection_name";
