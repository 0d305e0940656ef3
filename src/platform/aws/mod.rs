//! The cloud-neutral [`Platform`] realized with the AWS builders: a VPC, EKS
//! with IRSA, RDS PostgreSQL, ElastiCache Redis and S3, each with the
//! builders' secure defaults, and the outputs every cloud declares.
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
use crate::aws::kind::ArnParts;
use crate::aws::kms::{KmsKey, KmsKeyHandle};
use crate::aws::postgres::{DatabaseNetwork, Postgres, PostgresHandle, PostgresProps};
use crate::aws::provider::{arn_parts, partition, AwsProvider};
use crate::aws::redis::{Redis, RedisHandle, RedisProps};
use crate::aws::vpc::{Vpc, VpcHandle};
use crate::core::naming::fit;
use crate::core::reference::{Arn, Attr, Ref};
use crate::core::stack::Stack;
use crate::core::value::{Expr, TemplatePart, Value};
use crate::platform::outputs::{by_name, per_workload, Output, Outputs};
use crate::platform::realize::{Parts, Realization};
use crate::platform::{data_access, logical, ApiAccess, BucketSpec, Capacity, Platform};

// The context and what the steps pass on.

/// What every step reads, and what the foundation made.
pub(crate) struct Aws<'p> {
    platform: &'p Platform,
    region: &'p str,
    prefix: String,
    log_retention: u32,
    logs_key: KmsKeyHandle,
}

/// What `workload_access` made: a role per workload, and the database
/// bootstrap's role when some workload uses a database.
pub(crate) struct AwsWorkloads {
    roles: BTreeMap<String, IamRoleHandle>,
    bootstrap: Option<IamRoleHandle>,
}

/// The buckets of the spec, in its order (the access-log bucket's policy
/// lists its sources in that order), and the access-log bucket.
pub(crate) struct AwsBuckets {
    by_spec: Vec<(String, BucketHandle)>,
    access_logs: Option<AccessLogBucketHandle>,
}

// The steps, in the order of `realize::run`.

impl<'p> Realization<'p> for Aws<'p> {
    type Network = VpcHandle;
    type Keys = KmsKeys;
    type Cluster = EksClusterHandle;
    /// IRSA roles carry their grants inline, so they are made in
    /// `workload_access`, once the buckets and the cache exist.
    type Identities = ();
    type Database = PostgresHandle;
    type Cache = RedisHandle;
    type Buckets = AwsBuckets;
    /// Each workload's role, and the database bootstrap's.
    type Workloads = AwsWorkloads;
    type Handles = AwsPlatform;

    /// The provider, and the logs key the VPC's flow logs, EKS and the
    /// access-log bucket share.
    /// The region, and the zone count against it (the VPC builder's own
    /// checks, run once here).
    fn check_input(platform: &Platform, stack: &mut Stack) {
        crate::platform::tags::check(platform, crate::core::environment::Cloud::Aws, stack);
        let region =
            crate::aws::Region::resolve(stack, "provider", "region", &platform.regions.aws);
        // Zero zones is the platform check's mistake, reported already.
        if let (Some(region), 1..) = (region, platform.network.zones) {
            region.zones(
                stack,
                "network",
                "zones",
                usize::from(platform.network.zones),
            );
        }
    }

    fn foundation(platform: &'p Platform, stack: &mut Stack) -> Self {
        let region = platform.regions.aws.as_str();
        let prefix = platform.name_prefix();
        stack.add(AwsProvider::new(region));
        let mut logs_key = KmsKey::for_logs("logs", format!("{prefix}-logs"), region);
        // S3 delivers server access logs only for buckets; without any, the
        // grant would let it use the key for nothing.
        if !platform.buckets.is_empty() {
            logs_key = logs_key.allow_s3_access_log_delivery();
        }
        Aws {
            platform,
            region,
            prefix,
            log_retention: platform.environment.pick(30, 90, 365),
            logs_key: stack.add(logs_key),
        }
    }

    /// The VPC: subnets per tier, NAT gateways, flow logs under the logs key.
    fn network(&self, stack: &mut Stack) -> VpcHandle {
        let spec = &self.platform.network;
        stack.add(
            Vpc::new("main", &self.prefix, &spec.cidr, self.region)
                .zones(usize::from(spec.zones))
                .single_nat_gateway(spec.single_nat_gateway)
                .flow_logs_key(&self.logs_key)
                .flow_log_retention_days(self.log_retention),
        )
    }

    /// One KMS key per purpose, beside the foundation's logs key.
    fn keys(&self, _network: &VpcHandle, stack: &mut Stack) -> KmsKeys {
        let key = |stack: &mut Stack, purpose: &str, description: &str| {
            let name = format!("{}-{purpose}", self.prefix);
            stack.add(KmsKey::new(purpose, name).description(description))
        };
        KmsKeys {
            logs: self.logs_key.clone(),
            database: key(
                stack,
                "database",
                "RDS storage, Performance Insights and the master user secret",
            ),
            cache: key(stack, "cache", "ElastiCache at-rest encryption"),
            storage: key(stack, "storage", "S3 bucket encryption"),
            eks: key(stack, "eks", "EKS secrets envelope encryption"),
        }
    }

    /// EKS and a node group per pool.
    fn cluster(&self, network: &VpcHandle, keys: &KmsKeys, stack: &mut Stack) -> EksClusterHandle {
        let spec = &self.platform.cluster;
        let mut cluster = EksCluster::new(EksClusterProps {
            logical_name: &logical(&spec.name),
            // EKS cluster names have at most 100 characters.
            name: &fit(&format!("{}-{}", self.prefix, spec.name), 100),
            kubernetes_version: &spec.kubernetes_version,
            subnet_ids: network.private_subnet_ids(),
            secrets_key: &keys.eks,
            logs_key: &keys.logs,
        })
        .log_retention_days(self.log_retention);
        if let ApiAccess::Restricted(cidrs) = &spec.api_access {
            cluster = cluster.public_access_cidrs(cidrs);
        }
        for pool in &spec.pools {
            let instance_types = match pool.gpus {
                Some(gpus) => vec![sizes::gpu_instance_type(gpus).unwrap_or_else(|| {
                    stack.error_with_fix(
                        &spec.name,
                        &format!("pools.{}.gpus", pool.name),
                        &format!("{gpus} GPUs per node is more than an AWS GPU instance has"),
                        "use 1-8 GPUs per node",
                        "8",
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

    /// Nothing (see `Identities` above).
    fn workload_identities(&self, _cluster: &EksClusterHandle, _stack: &mut Stack) {}

    /// RDS PostgreSQL, reachable only from the cluster.
    fn database(
        &self,
        network: &VpcHandle,
        keys: &KmsKeys,
        cluster: &EksClusterHandle,
        _identities: &(),
        stack: &mut Stack,
    ) -> PostgresHandle {
        let db = &self.platform.database;
        let mut postgres = Postgres::new(PostgresProps {
            logical_name: &logical(&db.name),
            // RDS identifiers have at most 63 characters.
            identifier: &fit(&format!("{}-{}", self.prefix, db.name), 63),
            engine_version: &db.version,
            instance_class: sizes::database_instance_class(db.size),
            network: reachable_from_cluster(network, cluster),
            kms_key_arn: keys.database.arn(),
        })
        .storage_gb(db.storage_gb, db.max_storage_gb)
        .multi_az(db.high_availability)
        .deletion_protection(db.deletion_protection)
        .backup_retention_days(db.backup_retention_days);
        // RDS creates one database; the others are created in it by a
        // migration job or the postgresql provider (see docs/aws.md).
        if let Some(first) = db.databases.first() {
            postgres = postgres.db_name(first);
        }
        stack.add(postgres)
    }

    /// ElastiCache Redis, reachable only from the cluster.
    fn cache(
        &self,
        network: &VpcHandle,
        keys: &KmsKeys,
        cluster: &EksClusterHandle,
        _identities: &(),
        stack: &mut Stack,
    ) -> RedisHandle {
        let cache = &self.platform.cache;
        stack.add(
            Redis::new(RedisProps {
                logical_name: &logical(&cache.name),
                // Replication group ids have at most 40 characters.
                replication_group_id: &fit(&format!("{}-{}", self.prefix, cache.name), 40),
                engine_version: &cache.version,
                node_type: sizes::cache_node_type(cache.size),
                network: reachable_from_cluster(network, cluster),
                kms_key_arn: keys.cache.arn(),
            })
            // High availability is a standby in another zone on every
            // cloud: Memorystore's STANDARD_HA and Managed Redis have one
            // besides any read replicas; ElastiCache's standby is a
            // replica, so HA means at least one.
            .replicas(if cache.high_availability {
                cache.replicas.max(1)
            } else {
                cache.replicas
            })
            .high_availability(cache.high_availability),
        )
    }

    /// One S3 bucket per spec, and the access-log bucket receiving their
    /// server access logs.
    fn buckets(&self, _network: &VpcHandle, keys: &KmsKeys, stack: &mut Stack) -> AwsBuckets {
        let prefix = &self.prefix;
        let by_spec: Vec<(String, BucketHandle)> = self
            .platform
            .buckets
            .iter()
            .map(|spec| {
                // A development-tier environment is thrown away whole:
                // `terraform destroy` may empty its buckets.
                let handle = stack.add(
                    bucket_from_spec(
                        &logical(&spec.name),
                        // S3 bucket names have at most 63 characters.
                        &fit(&format!("{prefix}-{}", spec.name), 63),
                        spec,
                        keys.storage.arn(),
                    )
                    .force_destroy(self.platform.environment.is_development()),
                );
                (spec.name.clone(), handle)
            })
            .collect();
        // Without buckets there is nothing to log, and an empty log bucket
        // would only cost money and warn about it.
        if by_spec.is_empty() {
            return AwsBuckets {
                by_spec,
                access_logs: None,
            };
        }

        // Server access logs of every bucket, kept as long as the other logs.
        let access_logs_name = "access-logs";
        if by_spec.iter().any(|(name, _)| name == access_logs_name) {
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
        .expire_after_days(self.log_retention)
        .force_destroy(self.platform.environment.is_development());
        for (_, handle) in &by_spec {
            access_logs = access_logs.source(handle);
        }
        AwsBuckets {
            by_spec,
            access_logs: Some(stack.add(access_logs)),
        }
    }

    /// One IRSA role per workload with its bucket grants, `rds-db:connect`
    /// as its own database user when it uses a database, and
    /// `elasticache:Connect` when it uses the cache; and the bootstrap's role,
    /// which may read the master user secret.
    fn workload_access(
        &self,
        keys: &KmsKeys,
        cluster: &EksClusterHandle,
        _identities: &(),
        (database, cache): (&PostgresHandle, &RedisHandle),
        buckets: &AwsBuckets,
        stack: &mut Stack,
    ) -> AwsWorkloads {
        let mut roles = BTreeMap::new();
        let instance_arn = arn_parts(stack, "database", &database.instance);
        for workload in &self.platform.workloads {
            let mut role = WorkloadRole::new(WorkloadRoleProps {
                logical_name: &format!("workload_{}", logical(&workload.name)),
                // IAM role names have at most 64 characters.
                role_name: fit(&format!("{}-{}", self.prefix, workload.name), 64),
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
            // One database user per workload: which databases it may use is
            // the bootstrap's GRANTs, so the IAM side is the login only.
            if workload.uses_database() {
                role = role.database_login(database_user_arn(
                    &instance_arn,
                    database,
                    &workload.database_user(),
                ));
            }
            if workload.uses_cache {
                role = role.cache(cache.group.arn(), cache.user.arn());
            }
            roles.insert(workload.name.clone(), stack.add(role));
        }
        let bootstrap =
            data_access::needs_bootstrap(self.platform, crate::core::environment::Cloud::Aws).then(
                || {
                    let namespace = data_access::bootstrap_namespace(self.platform);
                    let service_account = data_access::bootstrap_service_account(self.platform);
                    stack.add(
                        WorkloadRole::new(WorkloadRoleProps {
                            logical_name: "database_bootstrap",
                            role_name: data_access::bootstrap_identity_name(self.platform),
                            oidc: &cluster.oidc,
                            namespace: &namespace,
                            service_account: &service_account,
                        })
                        .secret(database.master_user_secret_arn(), keys.database.arn()),
                    )
                },
            );
        AwsWorkloads { roles, bootstrap }
    }

    /// Besides the shared outputs: the master user secret, the Redis user,
    /// the cluster's CA and OIDC provider, the Cluster Autoscaler's role, the
    /// access-log bucket, the VPC and the KMS keys.
    fn outputs(&self, parts: &Parts<'p, Self>, stack: &mut Stack) -> Outputs {
        let (cluster, postgres, cache) = (&parts.cluster, &parts.database, &parts.cache);
        stack.output(
            "database_master_user_secret_arn",
            postgres.master_user_secret_arn(),
            "Secrets Manager secret holding the master credentials (generated by RDS)",
        );
        if let Some(bootstrap) = &parts.workloads.bootstrap {
            stack.output(
                data_access::BOOTSTRAP_IDENTITY,
                bootstrap.arn(),
                "IAM role ARN of the database bootstrap Job (reads the master user secret)",
            );
            stack.output(
                data_access::BOOTSTRAP_ADMIN_SECRET,
                postgres.master_user_secret_arn(),
                "Secrets Manager secret with the master user login (made by RDS), readable by the bootstrap Job only",
            );
        }
        stack.output(
            "redis_user",
            cache.user_name(),
            "Redis user: AUTH with this name and an IAM token (elasticache:Connect)",
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
            "cluster_autoscaler_role_arn",
            cluster.cluster_autoscaler_role.arn(),
            "IAM role ARN of kube-system/cluster-autoscaler (scales every node group between its min and max)",
        );
        stack.output(
            "cluster_oidc_provider_arn",
            cluster.oidc.provider.arn(),
            "IAM OIDC provider for IRSA",
        );
        if let Some(access_logs) = &parts.buckets.access_logs {
            stack.output(
                "access_log_bucket",
                access_logs.bucket.name(),
                "S3 server access logs of every bucket, under <bucket>/",
            );
        }
        stack.output("vpc_id", parts.network.id(), "VPC id");
        for (purpose, key) in parts.keys.by_purpose() {
            stack.output(
                &format!("kms_key_arn_{purpose}"),
                key.arn(),
                &format!("KMS key for {purpose}"),
            );
        }
        let dns_suffix = partition(stack).attr::<String>("dns_suffix");
        Outputs {
            database_address: Output::new(postgres.address(), "PostgreSQL host name"),
            database_port: Output::new(postgres.port(), "PostgreSQL port"),
            database_names: self
                .platform
                .database
                .databases
                .iter()
                .map(|name| {
                    let output = Output::new(name.as_str(), "Database name on the server");
                    (name.clone(), output)
                })
                .collect(),
            redis_host: Output::new(cache.primary_endpoint(), "Redis primary endpoint (TLS)"),
            redis_port: Output::new(cache.port(), "Redis port (TLS)"),
            cluster_name: Output::new(cluster.cluster.name(), "EKS cluster name"),
            cluster_endpoint: Output::new(cluster.endpoint(), "EKS API endpoint"),
            region: Output::new(self.region, "AWS region"),
            object_store_endpoint: Output::new(
                Expr::concat([
                    TemplatePart::Literal(format!("https://s3.{}.", self.region)),
                    TemplatePart::from(dns_suffix.to_text()),
                ]),
                "S3 regional endpoint",
            ),
            buckets: by_name(
                parts
                    .buckets
                    .by_spec
                    .iter()
                    .map(|(name, bucket)| (name, bucket)),
                |_, bucket| Output::new(bucket.name(), "S3 bucket name"),
            ),
            workload_identities: per_workload(
                self.platform,
                &parts.workloads.roles,
                |workload, role| {
                    Output::new(
                    role.arn(),
                    format!(
                        "IAM role ARN for {}/{} (annotate the service account with eks.amazonaws.com/role-arn)",
                        workload.namespace, workload.service_account
                    ),
                )
                },
            ),
        }
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
            workloads: parts.workloads.roles,
            database_bootstrap: parts.workloads.bootstrap,
        }
    }
}

// Helpers of the steps.

/// `arn:<partition>:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<user>`,
/// the resource of `rds-db:connect` (RDS User Guide, "Creating and using an
/// IAM policy for IAM database access"); the instance's `resource_id` is its
/// DbiResourceId, the other parts come from its own ARN.
fn database_user_arn(instance_arn: &Ref<ArnParts>, database: &PostgresHandle, user: &str) -> Value {
    let part = |name: &str| TemplatePart::from(instance_arn.attr::<String>(name).to_text());
    Value::Expr(Expr::concat([
        TemplatePart::from("arn:"),
        part("partition"),
        TemplatePart::from(":rds-db:"),
        part("region"),
        TemplatePart::from(":"),
        part("account"),
        TemplatePart::from(":dbuser:"),
        TemplatePart::from(database.instance.attr::<String>("resource_id").to_text()),
        TemplatePart::Literal(format!("/{user}")),
    ]))
}

/// RDS and ElastiCache take the database subnets and admit only the cluster
/// security group, which managed nodes and their pods use.
fn reachable_from_cluster(network: &VpcHandle, cluster: &EksClusterHandle) -> DatabaseNetwork {
    DatabaseNetwork {
        vpc_id: network.id(),
        subnet_ids: network.database_subnet_ids(),
        clients: vec![cluster.cluster_security_group_id()],
    }
}

/// An S3 bucket shaped by a platform [`BucketSpec`].
fn bucket_from_spec(
    logical_name: &str,
    bucket: &str,
    spec: &BucketSpec,
    kms_key_arn: Attr<Arn<crate::aws::kind::KmsKey>>,
) -> Bucket {
    let mut b = Bucket::new(logical_name, bucket, kms_key_arn).versioning(spec.versioning);
    if let Some(days) = spec.archive_before_expiry() {
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
