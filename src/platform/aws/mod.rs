//! The cloud-neutral [`Platform`] on AWS: a VPC, EKS with IRSA, RDS
//! PostgreSQL, ElastiCache Redis and S3, each from the builders of this module
//! with their secure defaults, and every output named by
//! [`crate::platform::outputs`].

pub mod sizes;

use crate::aws::access_logs::AccessLogBucket;
use crate::aws::bucket::{Bucket, BucketHandle};
use crate::aws::eks::{EksCluster, EksClusterProps, NodeGroup, NodeGroupProps};
use crate::aws::irsa::{WorkloadRole, WorkloadRoleProps};
use crate::aws::kms::{KmsKey, KmsKeyHandle};
use crate::aws::postgres::{DatabaseNetwork, Postgres, PostgresProps};
use crate::aws::provider::{partition, AwsProvider};
use crate::aws::redis::{Redis, RedisProps};

use crate::aws::vpc::Vpc;
use crate::core::reference::{Arn, Attr};
use crate::core::stack::Stack;
use crate::core::value::{Expr, TemplatePart};
use crate::platform::{outputs, ApiAccess, BucketSpec, Capacity, Platform};

/// Realizes `platform` on AWS.
///
/// The stack starts from [`crate::platform::new_stack`] (environment, default
/// tags, cloud-neutral checks); problems are recorded on it, never panicked on.
pub fn realize(platform: &Platform) -> Stack {
    let mut stack = crate::platform::new_stack(platform);
    let env = platform.environment;
    let region = platform.regions.aws.as_str();
    let prefix = platform.name_prefix();
    stack.add(AwsProvider::new(region));

    let key = |stack: &mut Stack, purpose: &str, description: &str| {
        stack.add(KmsKey::new(purpose, format!("{prefix}-{purpose}")).description(description))
    };
    let logs_key = stack.add(
        KmsKey::for_logs("logs", format!("{prefix}-logs"), region).allow_s3_access_log_delivery(),
    );
    let database_key = key(
        &mut stack,
        "database",
        "RDS storage, Performance Insights and the master user secret",
    );
    let cache_key = key(&mut stack, "cache", "ElastiCache at-rest encryption");
    let storage_key = key(&mut stack, "storage", "S3 bucket encryption");
    let eks_key = key(&mut stack, "eks", "EKS secrets envelope encryption");

    let log_retention = env.pick(30, 90, 365);
    let vpc = stack.add(
        Vpc::new("main", &prefix, &platform.network.cidr, region)
            .zones(usize::from(platform.network.zones))
            .single_nat_gateway(platform.network.single_nat_gateway)
            .flow_logs_key(&logs_key)
            .flow_log_retention_days(log_retention),
    );

    let spec = &platform.cluster;
    let mut cluster = EksCluster::new(EksClusterProps {
        logical_name: &logical(&spec.name),
        name: &format!("{prefix}-{}", spec.name),
        kubernetes_version: &spec.kubernetes_version,
        subnet_ids: vpc.private_subnet_ids(),
        secrets_key: &eks_key,
        logs_key: &logs_key,
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
    let cluster = stack.add(cluster);
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
        kms_key_arn: database_key.arn(),
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
    let postgres = stack.add(postgres);

    let cache_spec = &platform.cache;
    let cache = stack.add(
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
            kms_key_arn: cache_key.arn(),
        })
        .replicas(cache_spec.replicas)
        .high_availability(cache_spec.high_availability),
    );

    let buckets: Vec<(String, BucketHandle)> = platform
        .buckets
        .iter()
        .map(|spec| {
            let handle = stack.add(bucket_from_spec(
                &logical(&spec.name),
                &format!("{prefix}-{}", spec.name),
                spec,
                storage_key.arn(),
            ));
            (spec.name.clone(), handle)
        })
        .collect();

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
        &logs_key,
    )
    .expire_after_days(log_retention);
    for (_, handle) in &buckets {
        access_logs = access_logs.source(handle);
    }
    let access_logs = stack.add(access_logs);

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
            if let Some((_, handle)) = buckets.iter().find(|(name, _)| name == bucket) {
                role = role.bucket(handle.arn(), storage_key.arn(), *access);
            }
        }
        // Before IAM authentication any pod reaching the cache's security
        // group could use it; now only the platform's workloads can. The spec
        // does not say which of them use the cache, so each may connect.
        role = role.cache(cache.group.arn(), cache.user.arn());
        let role = stack.add(role);
        stack.output(
            &outputs::workload_identity(&workload.name),
            role.arn(),
            &format!(
                "IAM role ARN for {}/{} (annotate the service account with eks.amazonaws.com/role-arn)",
                workload.namespace, workload.service_account
            ),
        );
    }

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
    let dns_suffix = partition(&mut stack).attr::<String>("dns_suffix");
    stack.output(
        outputs::OBJECT_STORE_ENDPOINT,
        Expr::concat([
            TemplatePart::Literal(format!("https://s3.{region}.")),
            TemplatePart::from(dns_suffix.to_text()),
        ]),
        "S3 regional endpoint",
    );
    for (name, handle) in &buckets {
        stack.output(&outputs::bucket(name), handle.name(), "S3 bucket name");
    }
    stack.output(
        "access_log_bucket",
        access_logs.bucket.name(),
        "S3 server access logs of every bucket, under <bucket>/",
    );
    stack.output("vpc_id", vpc.id(), "VPC id");
    for (purpose, key) in [
        ("logs", &logs_key),
        ("database", &database_key),
        ("cache", &cache_key),
        ("storage", &storage_key),
        ("eks", &eks_key),
    ] {
        let key: &KmsKeyHandle = key;
        stack.output(
            &format!("kms_key_arn_{purpose}"),
            key.arn(),
            &format!("KMS key for {purpose}"),
        );
    }
    stack
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
