//! The cloud-neutral [`Platform`] on AWS: a VPC, EKS with IRSA, RDS
//! PostgreSQL, ElastiCache Redis and S3, each from the AWS builders with their
//! secure defaults, and every output named by [`crate::platform::outputs`].
//!
//! The steps of [`crate::platform::realize::Realization`], run by
//! [`crate::platform::realize_aws`], which returns an [`AwsPlatform`] of
//! typed handles to everything made.

mod handles;
pub mod sizes;

pub use handles::{AwsPlatform, KmsKeys};

use std::collections::BTreeMap;

use crate::aws::access_logs::{AccessLogBucket, AccessLogBucketHandle};
use crate::aws::bucket::{Bucket, BucketHandle};
use crate::aws::eks::{EksCluster, EksClusterHandle, EksClusterProps, NodeGroup, NodeGroupProps};
use crate::aws::iam::IamRoleHandle;
use crate::aws::irsa::{WorkloadRole, WorkloadRoleProps};
use crate::aws::kms::{KmsKey, KmsKeyHandle};
use crate::aws::postgres::{DatabaseNetwork, Postgres, PostgresHandle, PostgresProps};
use crate::aws::provider::{partition, AwsProvider};
use crate::aws::redis::{Redis, RedisHandle, RedisProps};
use crate::aws::vpc::{Vpc, VpcHandle};
use crate::core::reference::{Arn, Attr};
use crate::core::stack::Stack;
use crate::core::value::{Expr, TemplatePart};
use crate::platform::realize::{Parts, Realization};
use crate::platform::{outputs, ApiAccess, BucketSpec, Capacity, Platform};

/// What every AWS step reads, and the logs key of the foundation.
pub(crate) struct Aws<'p> {
    platform: &'p Platform,
    region: &'p str,
    prefix: String,
    log_retention: u32,
    logs_key: KmsKeyHandle,
}

/// The buckets of the spec, in its order (the access-log bucket's policy
/// lists its sources in that order), and the access-log bucket.
pub(crate) struct Buckets {
    by_spec: Vec<(String, BucketHandle)>,
    access_logs: Option<AccessLogBucketHandle>,
}

impl<'p> Realization<'p> for Aws<'p> {
    type Network = VpcHandle;
    type Keys = KmsKeys;
    type Cluster = EksClusterHandle;
    /// IRSA roles carry their grants inline, so they are made in
    /// `workload_access`, once the buckets and the cache exist.
    type Identities = ();
    type Database = PostgresHandle;
    type Cache = RedisHandle;
    type Buckets = Buckets;
    type Workloads = BTreeMap<String, IamRoleHandle>;
    type Handles = AwsPlatform;

    fn foundation(platform: &'p Platform, stack: &mut Stack) -> Self {
        foundation(platform, stack)
    }

    fn network(&self, stack: &mut Stack) -> VpcHandle {
        network(self, stack)
    }

    fn keys(&self, _vpc: &VpcHandle, stack: &mut Stack) -> KmsKeys {
        keys(self, stack)
    }

    fn cluster(&self, vpc: &VpcHandle, keys: &KmsKeys, stack: &mut Stack) -> EksClusterHandle {
        cluster(self, vpc, keys, stack)
    }

    fn workload_identities(&self, _cluster: &EksClusterHandle, _stack: &mut Stack) {}

    fn database(
        &self,
        vpc: &VpcHandle,
        keys: &KmsKeys,
        cluster: &EksClusterHandle,
        _identities: &(),
        stack: &mut Stack,
    ) -> PostgresHandle {
        database(self, vpc, keys, cluster, stack)
    }

    fn cache(
        &self,
        vpc: &VpcHandle,
        keys: &KmsKeys,
        cluster: &EksClusterHandle,
        _identities: &(),
        stack: &mut Stack,
    ) -> RedisHandle {
        cache(self, vpc, keys, cluster, stack)
    }

    fn buckets(&self, _vpc: &VpcHandle, keys: &KmsKeys, stack: &mut Stack) -> Buckets {
        buckets(self, keys, stack)
    }

    fn workload_access(
        &self,
        keys: &KmsKeys,
        cluster: &EksClusterHandle,
        _identities: &(),
        cache: &RedisHandle,
        buckets: &Buckets,
        stack: &mut Stack,
    ) -> BTreeMap<String, IamRoleHandle> {
        workload_roles(self, keys, cluster, cache, buckets, stack)
    }

    fn outputs(&self, parts: &Parts<'p, Self>, stack: &mut Stack) {
        declare_outputs(self, parts, stack);
    }

    fn handles(self, parts: Parts<'p, Self>) -> AwsPlatform {
        AwsPlatform {
            vpc: parts.network,
            keys: parts.keys,
            cluster: parts.cluster,
            database: parts.database,
            cache: parts.cache,
            buckets: parts.buckets.by_spec.into_iter().collect(),
            access_logs: parts.buckets.access_logs,
            workloads: parts.workloads,
        }
    }
}

/// The provider, and the logs key the VPC's flow logs, EKS and the access-log
/// bucket share.
fn foundation<'p>(platform: &'p Platform, stack: &mut Stack) -> Aws<'p> {
    let env = platform.environment;
    let region = platform.regions.aws.as_str();
    let prefix = platform.name_prefix();
    stack.add(AwsProvider::new(region));

    let mut logs_key = KmsKey::for_logs("logs", format!("{prefix}-logs"), region);
    // S3 delivers server access logs only for buckets; without any, the grant
    // would let it use the key for nothing.
    if !platform.buckets.is_empty() {
        logs_key = logs_key.allow_s3_access_log_delivery();
    }
    let logs_key = stack.add(logs_key);
    let log_retention = env.pick(30, 90, 365);
    Aws {
        platform,
        region,
        prefix,
        log_retention,
        logs_key,
    }
}

fn network(aws: &Aws<'_>, stack: &mut Stack) -> VpcHandle {
    let Aws {
        platform,
        region,
        prefix,
        logs_key,
        ..
    } = aws;
    let log_retention = aws.log_retention;
    stack.add(
        Vpc::new("main", prefix, &platform.network.cidr, region)
            .zones(usize::from(platform.network.zones))
            .single_nat_gateway(platform.network.single_nat_gateway)
            .flow_logs_key(logs_key)
            .flow_log_retention_days(log_retention),
    )
}

fn keys(aws: &Aws<'_>, stack: &mut Stack) -> KmsKeys {
    let prefix = &aws.prefix;
    let key = |stack: &mut Stack, purpose: &str, description: &str| {
        stack.add(KmsKey::new(purpose, format!("{prefix}-{purpose}")).description(description))
    };
    let database_key = key(
        stack,
        "database",
        "RDS storage, Performance Insights and the master user secret",
    );
    let cache_key = key(stack, "cache", "ElastiCache at-rest encryption");
    let storage_key = key(stack, "storage", "S3 bucket encryption");
    let eks_key = key(stack, "eks", "EKS secrets envelope encryption");
    KmsKeys {
        logs: aws.logs_key.clone(),
        database: database_key,
        cache: cache_key,
        storage: storage_key,
        eks: eks_key,
    }
}

fn cluster(aws: &Aws<'_>, vpc: &VpcHandle, keys: &KmsKeys, stack: &mut Stack) -> EksClusterHandle {
    let (platform, prefix, log_retention) = (aws.platform, &aws.prefix, aws.log_retention);
    let spec = &platform.cluster;
    let mut cluster = EksCluster::new(EksClusterProps {
        logical_name: &logical(&spec.name),
        name: &format!("{prefix}-{}", spec.name),
        kubernetes_version: &spec.kubernetes_version,
        subnet_ids: vpc.private_subnet_ids(),
        secrets_key: &keys.eks,
        logs_key: &keys.logs,
    })
    .log_retention_days(log_retention);
    if let ApiAccess::Restricted(cidrs) = &spec.api_access {
        cluster = cluster.public_access_cidrs(cidrs);
    }
    for pool in &spec.pools {
        let instance_types = match pool.gpus {
            Some(gpus) => vec![sizes::gpu_instance_type(gpus).unwrap_or_else(|| {
                stack.error(
                    &spec.name,
                    &format!("pools.{}.gpus", pool.name),
                    &format!("{gpus} GPUs per node is more than an AWS GPU instance has"),
                    "use 1-8 GPUs per node",
                );
                "g5.xlarge"
            })],
            None if pool.capacity == Capacity::Spot => sizes::spot_instance_types(pool.size),
            None => vec![sizes::node_instance_type(pool.size)],
        };
        let mut group = NodeGroup::new(NodeGroupProps {
            node_group_name: &pool.name,
            instance_types: &instance_types,
            min_size: pool.min_nodes,
            desired_size: pool.desired_nodes,
            max_size: pool.max_nodes,
        })
        .capacity(pool.capacity)
        .disk_gb(if pool.gpus.is_some() { 200 } else { 50 });
        if pool.gpus.is_some() {
            group = group.gpu();
        }
        for taint in &pool.taints {
            group = group.taint(taint.clone());
        }
        for (key, value) in &pool.labels {
            group = group.label(key, value);
        }
        cluster = cluster.node_group(group);
    }
    stack.add(cluster)
}

fn database(
    aws: &Aws<'_>,
    vpc: &VpcHandle,
    keys: &KmsKeys,
    cluster: &EksClusterHandle,
    stack: &mut Stack,
) -> PostgresHandle {
    let (platform, prefix) = (aws.platform, &aws.prefix);
    let clients = vec![cluster.cluster_security_group_id()];

    let db = &platform.database;
    let mut postgres = Postgres::new(PostgresProps {
        logical_name: &logical(&db.name),
        identifier: &format!("{prefix}-{}", db.name),
        engine_version: &db.version,
        instance_class: sizes::database_instance_class(db.size),
        network: DatabaseNetwork {
            vpc_id: vpc.id(),
            subnet_ids: vpc.database_subnet_ids(),
            clients: clients.clone(),
        },
        kms_key_arn: keys.database.arn(),
    })
    .storage_gb(db.storage_gb, db.max_storage_gb)
    .multi_az(db.high_availability)
    .deletion_protection(db.deletion_protection)
    .backup_retention_days(db.backup_retention_days);
    // RDS creates one database; the others are created in it by a migration
    // job or the postgresql provider (see docs/aws.md).
    if let Some(first) = db.databases.first() {
        postgres = postgres.db_name(first);
    }
    stack.add(postgres)
}

fn cache(
    aws: &Aws<'_>,
    vpc: &VpcHandle,
    keys: &KmsKeys,
    cluster: &EksClusterHandle,
    stack: &mut Stack,
) -> RedisHandle {
    let (platform, prefix) = (aws.platform, &aws.prefix);
    let clients = vec![cluster.cluster_security_group_id()];

    let cache_spec = &platform.cache;
    stack.add(
        Redis::new(RedisProps {
            logical_name: &logical(&cache_spec.name),
            replication_group_id: &format!("{prefix}-{}", cache_spec.name),
            engine_version: &cache_spec.version,
            node_type: sizes::cache_node_type(cache_spec.size),
            network: DatabaseNetwork {
                vpc_id: vpc.id(),
                subnet_ids: vpc.database_subnet_ids(),
                clients,
            },
            kms_key_arn: keys.cache.arn(),
        })
        .replicas(cache_spec.replicas)
        .high_availability(cache_spec.high_availability),
    )
}

fn buckets(aws: &Aws<'_>, keys: &KmsKeys, stack: &mut Stack) -> Buckets {
    let (platform, prefix, log_retention) = (aws.platform, &aws.prefix, aws.log_retention);
    let buckets: Vec<(String, BucketHandle)> = platform
        .buckets
        .iter()
        .map(|spec| {
            let handle = stack.add(bucket_from_spec(
                &logical(&spec.name),
                &format!("{prefix}-{}", spec.name),
                spec,
                keys.storage.arn(),
            ));
            (spec.name.clone(), handle)
        })
        .collect();
    // Without buckets there is nothing to log, and an empty log bucket would
    // only cost money and warn about it.
    if buckets.is_empty() {
        return Buckets {
            by_spec: buckets,
            access_logs: None,
        };
    }

    // Server access logs of every bucket, kept as long as the other logs.
    let access_logs_name = "access-logs";
    if buckets.iter().any(|(name, _)| name == access_logs_name) {
        stack.error(
            &format!("aws_s3_bucket.{}", logical(access_logs_name)),
            "buckets",
            &format!("bucket name `{access_logs_name}` is taken by the access log bucket"),
            "rename the bucket",
        );
    }
    let mut access_logs = AccessLogBucket::new(
        &logical(access_logs_name),
        format!("{prefix}-{access_logs_name}"),
        &keys.logs,
    )
    .expire_after_days(log_retention);
    for (_, handle) in &buckets {
        access_logs = access_logs.source(handle);
    }
    let access_logs = stack.add(access_logs);
    Buckets {
        by_spec: buckets,
        access_logs: Some(access_logs),
    }
}

/// One IRSA role per workload, with its bucket and cache grants.
fn workload_roles(
    aws: &Aws<'_>,
    keys: &KmsKeys,
    cluster: &EksClusterHandle,
    cache: &RedisHandle,
    buckets: &Buckets,
    stack: &mut Stack,
) -> BTreeMap<String, IamRoleHandle> {
    let (platform, prefix) = (aws.platform, &aws.prefix);
    let mut roles = BTreeMap::new();
    for workload in &platform.workloads {
        let mut role = WorkloadRole::new(WorkloadRoleProps {
            logical_name: &format!("workload_{}", logical(&workload.name)),
            role_name: format!("{prefix}-{}", workload.name),
            oidc: &cluster.oidc,
            namespace: &workload.namespace,
            service_account: &workload.service_account,
        });
        for (bucket, access) in &workload.buckets {
            // Unknown buckets were reported by the cloud-neutral checks.
            if let Some((_, handle)) = buckets.by_spec.iter().find(|(name, _)| name == bucket) {
                role = role.bucket(handle.arn(), keys.storage.arn(), *access);
            }
        }
        // Before IAM authentication any pod reaching the cache's security
        // group could use it; now only the platform's workloads can. The spec
        // does not say which of them use the cache, so each may connect.
        role = role.cache(cache.group.arn(), cache.user.arn());
        let role = stack.add(role);
        roles.insert(workload.name.clone(), role);
    }
    roles
}

/// The outputs named in `platform::outputs`, plus the AWS-only extras.
fn declare_outputs<'p>(aws: &Aws<'p>, parts: &Parts<'p, Aws<'p>>, stack: &mut Stack) {
    let (platform, region) = (aws.platform, aws.region);
    let (vpc, cluster, postgres, cache) = (
        &parts.network,
        &parts.cluster,
        &parts.database,
        &parts.cache,
    );
    for workload in &platform.workloads {
        let Some(role) = parts.workloads.get(&workload.name) else {
            continue;
        };
        stack.output(
            &outputs::workload_identity(&workload.name),
            role.arn(),
            &format!(
                "IAM role ARN for {}/{} (annotate the service account with eks.amazonaws.com/role-arn)",
                workload.namespace, workload.service_account
            ),
        );
    }

    let db = &platform.database;
    stack.output(
        outputs::DATABASE_ADDRESS,
        postgres.address(),
        "PostgreSQL host name",
    );
    stack.output(outputs::DATABASE_PORT, postgres.port(), "PostgreSQL port");
    stack.output(
        "database_master_user_secret_arn",
        postgres.master_user_secret_arn(),
        "Secrets Manager secret holding the master credentials (generated by RDS)",
    );
    for name in &db.databases {
        stack.output(
            &outputs::database_name(name),
            name.as_str(),
            "Database name on the server",
        );
    }
    stack.output(
        outputs::REDIS_HOST,
        cache.primary_endpoint(),
        "Redis primary endpoint (TLS)",
    );
    stack.output(outputs::REDIS_PORT, cache.port(), "Redis port (TLS)");
    stack.output(
        "redis_user",
        cache.user_name(),
        "Redis user: AUTH with this name and an IAM token (elasticache:Connect)",
    );
    stack.output(
        outputs::CLUSTER_NAME,
        cluster.cluster.name(),
        "EKS cluster name",
    );
    stack.output(
        outputs::CLUSTER_ENDPOINT,
        cluster.endpoint(),
        "EKS API endpoint",
    );
    stack.output(
        "cluster_certificate_authority_data",
        cluster
            .cluster
            .attr::<String>("certificate_authority[0].data"),
        "EKS cluster CA certificate (base64)",
    );
    stack.output(
        "cluster_oidc_issuer_url",
        &cluster.oidc.issuer,
        "OIDC issuer of the cluster",
    );
    stack.output(
        "cluster_oidc_provider_arn",
        cluster.oidc.provider.arn(),
        "IAM OIDC provider for IRSA",
    );
    stack.output(outputs::REGION, region, "AWS region");
    let dns_suffix = partition(stack).attr::<String>("dns_suffix");
    stack.output(
        outputs::OBJECT_STORE_ENDPOINT,
        Expr::concat([
            TemplatePart::Literal(format!("https://s3.{region}.")),
            TemplatePart::from(dns_suffix.to_text()),
        ]),
        "S3 regional endpoint",
    );
    for (name, handle) in &parts.buckets.by_spec {
        stack.output(&outputs::bucket(name), handle.name(), "S3 bucket name");
    }
    if let Some(access_logs) = &parts.buckets.access_logs {
        stack.output(
            "access_log_bucket",
            access_logs.bucket.name(),
            "S3 server access logs of every bucket, under <bucket>/",
        );
    }
    stack.output("vpc_id", vpc.id(), "VPC id");
    for (purpose, key) in parts.keys.by_purpose() {
        stack.output(
            &format!("kms_key_arn_{purpose}"),
            key.arn(),
            &format!("KMS key for {purpose}"),
        );
    }
}

/// An S3 bucket shaped by a platform [`BucketSpec`].
fn bucket_from_spec(
    logical: &str,
    bucket: &str,
    spec: &BucketSpec,
    kms_key_arn: Attr<Arn<crate::aws::kind::KmsKey>>,
) -> Bucket {
    let mut b = Bucket::new(logical, bucket, kms_key_arn).versioning(spec.versioning);
    // An archive transition at or after expiry would never run (dev
    // environments expire early on purpose), so it is left out.
    let archive = spec.archive_after_days.filter(|archive| {
        spec.expire_after_days
            .is_none_or(|expire| expire > *archive)
    });
    if let Some(days) = archive {
        b = b.archive_after_days(days);
    }
    if let Some(days) = spec.expire_after_days {
        b = b.expire_after_days(days);
    }
    if let Some(days) = spec.noncurrent_expire_days {
        b = b.noncurrent_expire_days(days);
    }
    b
}

/// A Terraform name for a platform name (`mlflow-artifacts` -> `mlflow_artifacts`).
fn logical(name: &str) -> String {
    name.replace('-', "_")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::KmsKey;

    #[test]
    fn platform_spec_drops_an_archive_rule_that_would_never_run() {
        let spec = BucketSpec {
            name: "backups".into(),
            versioning: true,
            archive_after_days: Some(30),
            expire_after_days: Some(14),
            noncurrent_expire_days: None,
        };
        let mut stack = Stack::new("t");
        let key = stack.add(KmsKey::new("storage", "t-storage"));
        stack.add(bucket_from_spec("b", "t-backups", &spec, key.arn()));
        assert!(stack.diagnostics().is_empty(), "{}", stack.diagnostics());
        let text = stack.synth().unwrap().main_tf_json().to_string();
        assert!(!text.contains("GLACIER_IR"));
        assert!(text.contains("\"days\": 14"));
    }
}
