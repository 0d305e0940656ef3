//! The Terraform output names every cloud's realization declares, so Helm
//! values are wired the same way on every cloud, and [`Outputs`], their
//! values as a realization gives them to the skeleton to declare.

use std::collections::BTreeMap;

use super::{logical, Platform, WorkloadSpec};
use crate::core::stack::Stack;
use crate::core::value::Value;

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

/// An output's value and description, as [`Stack::output`] takes them.
pub struct Output {
    value: Value,
    description: String,
}

impl Output {
    /// `value`, described by `description`.
    pub fn new(value: impl Into<Value>, description: impl Into<String>) -> Output {
        Output {
            value: value.into(),
            description: description.into(),
        }
    }
}

/// The values of the outputs every cloud declares, each a field, so a
/// realization cannot leave one out: [`Realization::outputs`] returns them
/// and [`run`] declares them under the names above.
///
/// [`Realization::outputs`]: super::realize::Realization::outputs
/// [`run`]: super::realize::run
pub struct Outputs {
    /// [`DATABASE_ADDRESS`].
    pub database_address: Output,
    /// [`DATABASE_PORT`].
    pub database_port: Output,
    /// [`database_name`] of each database on the server, by its spec name.
    pub database_names: Vec<(String, Output)>,
    /// [`REDIS_HOST`].
    pub redis_host: Output,
    /// [`REDIS_PORT`].
    pub redis_port: Output,
    /// [`CLUSTER_NAME`].
    pub cluster_name: Output,
    /// [`CLUSTER_ENDPOINT`].
    pub cluster_endpoint: Output,
    /// [`REGION`].
    pub region: Output,
    /// [`OBJECT_STORE_ENDPOINT`].
    pub object_store_endpoint: Output,
    /// [`bucket`] of each bucket, by its spec name.
    pub buckets: Vec<(String, Output)>,
    /// [`workload_identity`] of each workload, by its spec name (see
    /// [`per_workload`]).
    pub workload_identities: Vec<(String, Output)>,
}

impl Outputs {
    /// Declares every output on `stack`, each family in the order given
    /// (a later output of the same name replaces an earlier one).
    pub(crate) fn declare(self, stack: &mut Stack) {
        let mut declare = |name: &str, output: Output| {
            stack.output(name, output.value, &output.description);
        };
        declare(DATABASE_ADDRESS, self.database_address);
        declare(DATABASE_PORT, self.database_port);
        for (database, output) in self.database_names {
            declare(&database_name(&database), output);
        }
        declare(REDIS_HOST, self.redis_host);
        declare(REDIS_PORT, self.redis_port);
        declare(CLUSTER_NAME, self.cluster_name);
        declare(CLUSTER_ENDPOINT, self.cluster_endpoint);
        declare(REGION, self.region);
        declare(OBJECT_STORE_ENDPOINT, self.object_store_endpoint);
        for (name, output) in self.buckets {
            declare(&bucket(&name), output);
        }
        for (workload, output) in self.workload_identities {
            declare(&workload_identity(&workload), output);
        }
    }
}

/// One output per workload of `platform` that `made` holds (by workload
/// name), in the spec's order: the [`Outputs::workload_identities`] of a
/// realization.
pub fn per_workload<T>(
    platform: &Platform,
    made: &BTreeMap<String, T>,
    output: impl Fn(&WorkloadSpec, &T) -> Output,
) -> Vec<(String, Output)> {
    platform
        .workloads
        .iter()
        .filter_map(|workload| {
            let made = made.get(&workload.name)?;
            Some((workload.name.clone(), output(workload, made)))
        })
        .collect()
}

/// One output per entry of `made` (a map by spec name, such as buckets or
/// databases), in its order: [`Outputs::buckets`] or
/// [`Outputs::database_names`] of a realization.
pub fn by_name<'a, T: 'a>(
    made: impl IntoIterator<Item = (&'a String, &'a T)>,
    output: impl Fn(&str, &T) -> Output,
) -> Vec<(String, Output)> {
    made.into_iter()
        .map(|(name, made)| (name.clone(), output(name, made)))
        .collect()
}

/// A GCP-only output: the Secret Manager secret with the Redis AUTH string.
pub const REDIS_AUTH_SECRET: &str = "redis_auth_secret";

/// A GCP-only output: the PEM of Memorystore's server CA certificates, which
/// clients need to verify TLS (the instance's own CA; ElastiCache and Azure
/// Cache for Redis present publicly trusted certificates instead). A public
/// certificate, so not sensitive: the Helm values may carry it.
pub const REDIS_CA_CERTIFICATE: &str = "redis_ca_certificate";

/// A GCP-only output: the Cloud SQL connection name (`project:region:instance`),
/// which the Cloud SQL Auth Proxy needs.
pub const DATABASE_CONNECTION_NAME: &str = "database_connection_name";

/// AWS only: the KMS key of the buckets and the PersistentVolumes
/// (`kms_key_arn_<purpose>` for purpose `storage`), which the Helm values'
/// StorageClass names as `kmsKeyId`.
pub const AWS_STORAGE_KEY_ARN: &str = "kms_key_arn_storage";

/// Azure only: the disk encryption set (customer-managed key) of the node
/// disks, which the Helm values' StorageClass uses for every
/// PersistentVolume (`diskEncryptionSetID`).
pub const DISK_ENCRYPTION_SET_ID: &str = "disk_encryption_set_id";

/// GCP only, where the profile asks for CMEK: the Cloud KMS key
/// (`projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>`) of the node boot
/// disks and the PersistentVolumes, which the Helm values' StorageClass names
/// as `disk-encryption-kms-key`.
pub const GCP_DISKS_KEY: &str = "kms_key_disks";
