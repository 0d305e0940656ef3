//! Typed handles of what the AWS realization made, for customize code: grant
//! a workload's role more, attach to the cluster's node role, or override
//! any attribute with `Stack::set_raw` without writing an address.

use std::collections::BTreeMap;

use crate::aws::access_logs::AccessLogBucketHandle;
use crate::aws::bucket::BucketHandle;
use crate::aws::eks::EksClusterHandle;
use crate::aws::iam::IamRoleHandle;
use crate::aws::kms::KmsKeyHandle;
use crate::aws::postgres::PostgresHandle;
use crate::aws::redis::RedisHandle;
use crate::aws::vpc::VpcHandle;

/// Everything [`crate::platform::realize_aws`] made, by what it is for.
///
/// Blocks the builders make but whose handles do not carry them (route
/// table associations, NAT EIPs, policy-document data sources) are found by
/// kind and logical name with [`crate::Stack::find`] /
/// [`crate::Stack::find_data`].
///
/// ```
/// use infrasynth::aws::iam::{PolicyDocument, Statement};
/// use infrasynth::platform::{self, Platform, WorkloadSpec};
/// use infrasynth::{Attributes, Environment};
///
/// let mut spec = Platform::new("shop", Environment::DEV);
/// spec.workloads.push(WorkloadSpec {
///     name: "ingest".into(),
///     namespace: "shop".into(),
///     service_account: "ingest".into(),
///     databases: Vec::new(),
///     uses_cache: false,
///     buckets: Vec::new(),
/// });
/// let (mut stack, aws) = platform::realize_aws(&spec);
/// let queue = stack.raw_resource("aws_sqs_queue", "events", Attributes::new());
/// let send = PolicyDocument::new()
///     .statement(Statement::allow(&["sqs:SendMessage"]).on(queue.attr::<String>("arn")))
///     .to_json();
/// stack.raw_resource(
///     "aws_iam_role_policy",
///     "ingest_events",
///     Attributes::new()
///         .set("role", aws.workloads["ingest"].role.id())
///         .set("policy", send),
/// );
/// // Any realized block can be overridden through its handle.
/// stack.set_raw(&aws.database.parameter_group, "description", "tuned");
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct AwsPlatform {
    /// The VPC: subnets per tier (`main_<tier>_<zone letter>`), NAT
    /// gateways, route tables, flow logs.
    pub vpc: VpcHandle,
    /// The KMS keys, one per purpose.
    pub keys: KmsKeys,
    /// The EKS cluster (logical name: the cluster spec's name), its OIDC
    /// provider, node role, node groups and add-ons.
    pub cluster: EksClusterHandle,
    /// The RDS instance with its parameter group, subnet group and security
    /// group.
    pub database: PostgresHandle,
    /// The ElastiCache replication group, its users and security group.
    pub cache: RedisHandle,
    /// Every bucket by its spec name (`mlflow-artifacts`, not the S3 name).
    pub buckets: BTreeMap<String, BucketHandle>,
    /// The bucket receiving the server access logs of every bucket
    /// (`access_logs`); `None` when the platform has no buckets.
    pub access_logs: Option<AccessLogBucketHandle>,
    /// Every workload's IRSA role (`aws_iam_role.workload_<name>`) with its
    /// inline policies (`buckets`, `database`, `cache`), by workload name.
    pub workloads: BTreeMap<String, IamRoleHandle>,
    /// The database bootstrap Job's role (`aws_iam_role.database_bootstrap`,
    /// inline policy `secrets`: the master user secret); `None` when no
    /// workload uses a database.
    pub database_bootstrap: Option<IamRoleHandle>,
}

/// The realization's KMS keys (`aws_kms_key.<purpose>`, alias
/// `alias/<project>-<env>-<purpose>`).
#[derive(Clone, Debug)]
pub struct KmsKeys {
    /// CloudWatch Logs (flow logs, EKS control plane) and S3 access logs.
    pub logs: KmsKeyHandle,
    /// RDS storage, Performance Insights and the master user secret.
    pub database: KmsKeyHandle,
    /// ElastiCache at rest.
    pub cache: KmsKeyHandle,
    /// The platform's buckets (and any a customize hook adds).
    pub storage: KmsKeyHandle,
    /// EKS secrets envelope encryption.
    pub eks: KmsKeyHandle,
}

impl KmsKeys {
    /// Every key with its purpose, in the order of the `kms_key_arn_<purpose>`
    /// outputs.
    pub fn by_purpose(&self) -> [(&'static str, &KmsKeyHandle); 5] {
        [
            ("logs", &self.logs),
            ("database", &self.database),
            ("cache", &self.cache),
            ("storage", &self.storage),
            ("eks", &self.eks),
        ]
    }
}
