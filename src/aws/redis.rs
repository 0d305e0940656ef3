//! Redis on ElastiCache (a replication group, cluster mode off) with
//! encryption at rest (customer key) and in transit (TLS required), private
//! subnets, a security group open only to the given client groups, snapshots,
//! and in production Multi-AZ with automatic failover.
//!
//! Clients authenticate with IAM (role-based access control): the group's
//! user group holds a disabled `default` user and one application user whose
//! password is a short-lived IAM token, so no AUTH token or password exists
//! anywhere. A role needs `elasticache:Connect` on the group and the user
//! ([`crate::aws::WorkloadRole::cache`]).

use super::iam::NameTag;
use super::kind;
use super::postgres::DatabaseNetwork;
use super::security_group::{SecurityGroup, SecurityGroupHandle};
use crate::core::block::Attributes;
use crate::core::environment::Environment;
use crate::core::reference::{Arn, Attr, Ref};
use crate::core::stack::{Construct, Stack};
use crate::core::value::Value;

/// Node types ElastiCache offers for Redis (current generations).
pub const CACHE_NODE_TYPES: &[&str] = &[
    "cache.t3.micro",
    "cache.t3.small",
    "cache.t3.medium",
    "cache.t4g.micro",
    "cache.t4g.small",
    "cache.t4g.medium",
    "cache.m5.large",
    "cache.m5.xlarge",
    "cache.m5.2xlarge",
    "cache.m5.4xlarge",
    "cache.m5.12xlarge",
    "cache.m5.24xlarge",
    "cache.m6g.large",
    "cache.m6g.xlarge",
    "cache.m6g.2xlarge",
    "cache.m6g.4xlarge",
    "cache.m6g.8xlarge",
    "cache.m6g.12xlarge",
    "cache.m6g.16xlarge",
    "cache.m7g.large",
    "cache.m7g.xlarge",
    "cache.m7g.2xlarge",
    "cache.m7g.4xlarge",
    "cache.m7g.8xlarge",
    "cache.m7g.12xlarge",
    "cache.m7g.16xlarge",
    "cache.r5.large",
    "cache.r5.xlarge",
    "cache.r5.2xlarge",
    "cache.r5.4xlarge",
    "cache.r5.12xlarge",
    "cache.r5.24xlarge",
    "cache.r6g.large",
    "cache.r6g.xlarge",
    "cache.r6g.2xlarge",
    "cache.r6g.4xlarge",
    "cache.r6g.8xlarge",
    "cache.r6g.12xlarge",
    "cache.r6g.16xlarge",
    "cache.r7g.large",
    "cache.r7g.xlarge",
    "cache.r7g.2xlarge",
    "cache.r7g.4xlarge",
    "cache.r7g.8xlarge",
    "cache.r7g.12xlarge",
    "cache.r7g.16xlarge",
];

/// The Redis port.
pub const REDIS_PORT: u16 = 6379;

/// The required inputs of a [`Redis`] replication group, named as in
/// `aws_elasticache_replication_group`.
#[derive(Clone, Debug)]
pub struct RedisProps<'a> {
    /// The Terraform name of the replication group
    /// (`aws_elasticache_replication_group.<logical_name>`) and of the blocks
    /// it adds (subnet and security groups, users).
    pub logical_name: &'a str,
    /// The group's id in ElastiCache (`replication_group_id`): 1-40 lowercase
    /// letters, digits and hyphens, starting with a letter, no `--`, no
    /// trailing `-`; unique per account and region. Also names the subnet
    /// group, security group and users it adds.
    pub replication_group_id: &'a str,
    /// The Redis version (`engine_version`), `7.0` or `7.1` (`major.minor`:
    /// ElastiCache's automatic minor upgrades apply patches under it): IAM
    /// authentication needs 7.0 or later.
    pub engine_version: &'a str,
    /// The node type (`node_type`), such as `cache.t4g.small`; one of
    /// [`CACHE_NODE_TYPES`].
    pub node_type: &'a str,
    /// Where the group lives (the database subnets of a VPC) and which
    /// security groups may connect.
    pub network: DatabaseNetwork,
    /// The key encrypting data at rest and snapshots: its ARN, as `kms_key_id`
    /// takes it (from [`KmsKeyHandle::arn`](crate::aws::KmsKeyHandle::arn)).
    pub kms_key_arn: Attr<Arn<kind::KmsKey>>,
}

/// A Redis replication group.
///
/// ```
/// use infrasynth::aws::{DatabaseNetwork, KmsKey, Redis, RedisProps, Vpc};
/// use infrasynth::Stack;
/// let mut stack = Stack::new("demo");
/// let vpc = stack.add(Vpc::new("main", "demo", "10.0.0.0/16", "us-east-1"));
/// let key = stack.add(KmsKey::new("cache", "demo-cache"));
/// let cache = stack.add(
///     Redis::new(RedisProps {
///         logical_name: "cache",
///         replication_group_id: "demo-cache",
///         engine_version: "7.1",
///         node_type: "cache.t4g.small",
///         network: DatabaseNetwork {
///             vpc_id: vpc.id(),
///             subnet_ids: vpc.database_subnet_ids(),
///             clients: vec![],
///         },
///         kms_key_arn: key.arn(),
///     })
///     .replicas(1),
/// );
/// ```
pub struct Redis {
    logical: String,
    id: String,
    engine_version: String,
    node_type: String,
    network: DatabaseNetwork,
    kms_key_arn: Attr<Arn<kind::KmsKey>>,
    replicas: u8,
    high_availability: Option<bool>,
    snapshot_retention_days: Option<u32>,
    access_string: String,
}

/// The application user's default permissions: every key and command
/// (ElastiCache itself withholds administrative commands such as `CONFIG`).
pub const DEFAULT_ACCESS_STRING: &str = "on ~* +@all";

/// What [`Redis`] created.
#[derive(Clone, Debug)]
pub struct RedisHandle {
    /// The replication group.
    pub group: Ref<kind::CacheReplicationGroup>,
    /// The group guarding it.
    pub security_group: SecurityGroupHandle,
    /// Its subnet group.
    pub subnet_group: Ref<kind::CacheSubnetGroup>,
    /// The application user (IAM authentication; user name = user id).
    pub user: Ref<kind::CacheUser>,
    /// The user group attached to the replication group.
    pub user_group: Ref<kind::CacheUserGroup>,
    /// The `default` user every user group needs, switched off.
    pub default_user: Ref<kind::CacheUser>,
}

impl RedisHandle {
    /// The primary endpoint's host name.
    pub fn primary_endpoint(&self) -> Attr<String> {
        self.group.attr("primary_endpoint_address")
    }

    /// The port.
    pub fn port(&self) -> Attr<u16> {
        self.group.attr("port")
    }

    /// The application user's name, sent with the IAM token in `AUTH`.
    pub fn user_name(&self) -> Attr<String> {
        self.user.attr("user_name")
    }
}

impl Redis {
    /// A replication group of one primary and no replicas, encrypted at rest
    /// and in transit, whose application user authenticates with IAM.
    pub fn new(props: RedisProps<'_>) -> Self {
        Redis {
            logical: props.logical_name.to_string(),
            id: props.replication_group_id.to_string(),
            engine_version: props.engine_version.to_string(),
            node_type: props.node_type.to_string(),
            network: props.network,
            kms_key_arn: props.kms_key_arn,
            replicas: 0,
            high_availability: None,
            snapshot_retention_days: None,
            access_string: DEFAULT_ACCESS_STRING.to_string(),
        }
    }

    /// The application user's Redis ACL (default [`DEFAULT_ACCESS_STRING`]),
    /// for example `on ~app:* +@all -@dangerous`.
    pub fn access_string(mut self, acl: &str) -> Self {
        self.access_string = acl.to_string();
        self
    }

    /// Read replicas beside the primary (0-5).
    pub fn replicas(mut self, count: u8) -> Self {
        self.replicas = count;
        self
    }

    /// Multi-AZ with automatic failover (default: on in production; needs a replica).
    pub fn high_availability(mut self, on: bool) -> Self {
        self.high_availability = Some(on);
        self
    }

    /// Days of daily snapshots (default 7, 1 in dev).
    pub fn snapshot_retention_days(mut self, days: u32) -> Self {
        self.snapshot_retention_days = Some(days);
        self
    }
}

/// Whether `id` follows the ElastiCache replication group id rules: 1-40
/// lowercase letters, digits and hyphens, starting with a letter, no `--`, not
/// ending with `-`.
pub fn is_valid_replication_group_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 40
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && !id.ends_with('-')
        && !id.contains("--")
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

impl Construct for Redis {
    type Output = RedisHandle;

    fn describe(&self) -> String {
        format!("aws::Redis \"{}\"", self.logical)
    }

    fn build(self, stack: &mut Stack) -> RedisHandle {
        let env = stack.environment().unwrap_or(Environment::PRODUCTION);
        let production = env.is_production();
        let dev = env.is_development();
        let address = format!("aws_elasticache_replication_group.{}", self.logical);
        let l = &self.logical;
        if !is_valid_replication_group_id(&self.id) {
            stack.error(
                &address,
                "replication_group_id",
                &format!("`{}` is not a valid replication group id", self.id),
                "use 1-40 lowercase letters, digits and hyphens, starting with a letter, without `--` or a trailing `-`",
            );
        }
        if !CACHE_NODE_TYPES.contains(&self.node_type.as_str()) {
            stack.error(
                &address,
                "node_type",
                &format!(
                    "`{}` is not an ElastiCache node type for redis",
                    self.node_type
                ),
                &format!("use one of: {}", CACHE_NODE_TYPES.join(", ")),
            );
        }
        // `major.minor` exactly: the provider requires it from Redis 6 on
        // (validRedisVersionString), and ElastiCache's automatic minor
        // upgrades install patch releases under that same `major.minor`, so
        // the configured value never falls behind the running one. A patch
        // (`7.1.2`) would, and the provider replaces a replication group
        // whose configured version is lower than its state
        // (customizeDiffEngineVersionForceNewOnDowngrade).
        let parts: Vec<&str> = self.engine_version.split('.').collect();
        let major = match parts.as_slice() {
            [major, minor] if minor.parse::<u32>().is_ok() => major.parse::<u32>().ok(),
            _ => None,
        }
        .filter(|m| (6..=7).contains(m));
        if major.is_none() {
            stack.error_with_fix(
                &address,
                "engine_version",
                &format!("`{}` is not a supported Redis version", self.engine_version),
                "use 7.0 or 7.1 (major.minor only: ElastiCache applies patch releases itself)",
                "7.1",
            );
        }
        if major.is_some_and(|m| m < 7) {
            stack.error(
                &address,
                "engine_version",
                &format!(
                    "Redis {} cannot authenticate users with IAM",
                    self.engine_version
                ),
                "use Redis 7.0 or 7.1 (IAM authentication needs 7.0 or later)",
            );
        }
        if !self.access_string.starts_with("on ") {
            stack.error(
                &format!("aws_elasticache_user.{l}"),
                "access_string",
                &format!("`{}` does not enable the user", self.access_string),
                "start the ACL with `on `, such as `on ~* +@all`",
            );
        }
        if self.replicas > 5 {
            stack.error(
                &address,
                "replicas",
                &format!("{} replicas is more than ElastiCache allows", self.replicas),
                "use 0-5 replicas",
            );
        }
        let ha = self.high_availability.unwrap_or(production);
        if ha && self.replicas == 0 {
            stack.error(
                &address,
                "replicas",
                "Multi-AZ with automatic failover needs at least one replica",
                "set replicas to 1 or more, or turn high_availability off (not in production)",
            );
        }
        if production && !ha {
            stack.error(
                &address,
                "multi_az_enabled",
                "a production cache without Multi-AZ failover",
                "keep high_availability on in production (with at least one replica)",
            );
        }
        let snapshots = self
            .snapshot_retention_days
            .unwrap_or(if dev { 1 } else { 7 });
        if snapshots > 35 {
            stack.error(
                &address,
                "snapshot_retention_limit",
                &format!("{snapshots} days of snapshots is more than 35"),
                "keep 0-35 days of snapshots",
            );
        }
        let mut sg = SecurityGroup::new(
            &format!("{l}_cache"),
            &format!("{}-cache", self.id),
            self.network.vpc_id.clone(),
        )
        .description("Redis: only from the listed client groups")
        .data_store();
        for client in &self.network.clients {
            sg = sg.allow_from(client.clone(), REDIS_PORT, "Redis from clients");
        }
        let security_group = stack.add(sg);
        let subnet_ids: Vec<Value> = self.network.subnet_ids.iter().map(Value::from).collect();
        let subnet_group = stack.resource::<kind::CacheSubnetGroup>(
            l,
            Attributes::new()
                .set("name", self.id.as_str())
                .set("description", format!("Cache subnets of {}", self.id))
                .set("subnet_ids", Value::List(subnet_ids))
                .tagged_name(&self.id),
        );
        // ElastiCache needs a user named `default` in every user group; this
        // one is switched off, so a connection must authenticate as the
        // application user.
        let default_user = stack.resource::<kind::CacheUser>(
            &format!("{l}_default"),
            Attributes::new()
                .set("user_id", format!("{}-default", self.id))
                .set("user_name", "default")
                .set("engine", "redis")
                .set("access_string", "off -@all")
                .block(
                    "authentication_mode",
                    Value::map().with("type", "no-password-required"),
                )
                .tagged_name(format!("{}-default", self.id)),
        );
        // IAM authentication requires the user name to equal the user id.
        let app_user_id = format!("{}-app", self.id);
        let user = stack.resource::<kind::CacheUser>(
            l,
            Attributes::new()
                .set("user_id", app_user_id.as_str())
                .set("user_name", app_user_id.as_str())
                .set("engine", "redis")
                .set("access_string", self.access_string.as_str())
                .block("authentication_mode", Value::map().with("type", "iam"))
                .tagged_name(&app_user_id),
        );
        let user_group = stack.resource::<kind::CacheUserGroup>(
            l,
            Attributes::new()
                .set("user_group_id", self.id.as_str())
                .set("engine", "redis")
                .set(
                    "user_ids",
                    vec![
                        default_user.attr::<String>("user_id"),
                        user.attr::<String>("user_id"),
                    ],
                )
                .tagged_name(&self.id),
        );
        let mut attributes = Attributes::new()
            .set("replication_group_id", self.id.as_str())
            .set("description", format!("Redis for {}", self.id))
            .set("engine", "redis")
            .set("engine_version", self.engine_version.as_str())
            .set("node_type", self.node_type.as_str())
            .set("num_cache_clusters", u32::from(self.replicas) + 1)
            .set("port", REDIS_PORT)
            .set(
                "parameter_group_name",
                format!("default.redis{}", major.unwrap_or(7)),
            )
            .set("subnet_group_name", subnet_group.name())
            .set("security_group_ids", vec![security_group.id()])
            .set("at_rest_encryption_enabled", true)
            .set("kms_key_id", &self.kms_key_arn)
            .set("transit_encryption_enabled", true)
            .set("transit_encryption_mode", "required")
            .set("user_group_ids", vec![user_group.id()])
            .set("automatic_failover_enabled", ha)
            .set("multi_az_enabled", ha)
            .set("auto_minor_version_upgrade", true)
            .set("snapshot_retention_limit", snapshots)
            .set("snapshot_window", "02:00-03:00")
            .set("maintenance_window", "sun:05:00-sun:06:00")
            .tagged_name(&self.id);
        if !dev {
            attributes = attributes.set("final_snapshot_identifier", format!("{}-final", self.id));
        }
        let group = stack.resource::<kind::CacheReplicationGroup>(l, attributes);
        RedisHandle {
            group,
            security_group,
            subnet_group,
            user,
            user_group,
            default_user,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::{KmsKey, Vpc};

    fn build(env: Environment, configure: impl FnOnce(Redis) -> Redis) -> (Stack, RedisHandle) {
        let mut stack = Stack::new("t").with_environment(env);
        let vpc = stack.add(Vpc::new("main", "t", "10.0.0.0/16", "us-east-1"));
        let key = stack.add(KmsKey::new("cache", "t-cache"));
        let network = DatabaseNetwork {
            vpc_id: vpc.id(),
            subnet_ids: vpc.database_subnet_ids(),
            clients: vec![],
        };
        let cache = stack.add(configure(Redis::new(RedisProps {
            logical_name: "cache",
            replication_group_id: "t-cache",
            engine_version: "7.1",
            node_type: "cache.t4g.small",
            network,
            kms_key_arn: key.arn(),
        })));
        (stack, cache)
    }

    #[test]
    fn production_defaults_encrypt_and_fail_over() {
        let (stack, cache) = build(Environment::PRODUCTION, |r| r.replicas(2));
        assert!(stack.diagnostics().is_empty(), "{}", stack.diagnostics());
        let block = stack.block(cache.group.address()).unwrap();
        for field in [
            "at_rest_encryption_enabled",
            "transit_encryption_enabled",
            "multi_az_enabled",
            "automatic_failover_enabled",
        ] {
            assert_eq!(block.get(field), Some(&Value::Bool(true)), "{field}");
        }
        assert!(block.get("auth_token").is_none());
        assert_eq!(
            block.get("num_cache_clusters").and_then(Value::as_i64),
            Some(3)
        );
    }

    #[test]
    fn clients_authenticate_with_iam_and_the_default_user_is_off() {
        let (stack, cache) = build(Environment::PRODUCTION, |r| r.replicas(1));
        assert!(stack.diagnostics().is_empty(), "{}", stack.diagnostics());
        let text = stack.synth().unwrap().main_tf_json().to_string();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let users = &doc["resource"]["aws_elasticache_user"];
        assert_eq!(users["cache"]["user_id"], "t-cache-app");
        assert_eq!(users["cache"]["user_name"], "t-cache-app");
        assert_eq!(users["cache"]["authentication_mode"][0]["type"], "iam");
        assert_eq!(users["cache"]["access_string"], DEFAULT_ACCESS_STRING);
        assert_eq!(users["cache_default"]["user_name"], "default");
        assert_eq!(users["cache_default"]["access_string"], "off -@all");
        assert!(users["cache_default"]["passwords"].is_null());
        assert_eq!(
            doc["resource"]["aws_elasticache_replication_group"]["cache"]["user_group_ids"],
            serde_json::json!(["${aws_elasticache_user_group.cache.id}"])
        );
        assert_eq!(
            cache.user_name().expr().template(),
            "${aws_elasticache_user.cache.user_name}"
        );
        assert!(!text.contains("auth_token"), "{text}");
    }

    #[test]
    fn redis_6_and_a_disabled_acl_are_errors() {
        let (stack, _) = build(Environment::STAGING, |mut r| {
            r.engine_version = "6.2".to_string();
            r.access_string("off ~* +@all")
        });
        let text = stack.diagnostics().to_string();
        assert!(
            text.contains("field `engine_version`: Redis 6.2 cannot authenticate users with IAM"),
            "{text}"
        );
        assert!(
            text.contains("resource `aws_elasticache_user.cache`, field `access_string`"),
            "{text}"
        );
    }

    #[test]
    fn production_without_replicas_is_an_error() {
        let (stack, _) = build(Environment::PRODUCTION, |r| r);
        let text = stack.diagnostics().to_string();
        assert!(
            text.contains(
                "field `replicas`: Multi-AZ with automatic failover needs at least one replica"
            ),
            "{text}"
        );
    }

    #[test]
    fn invalid_id_and_node_type() {
        let (stack, _) = build(Environment::DEV, |mut r| {
            r.id = "Cache_1".to_string();
            r.node_type = "cache.t2.nano".to_string();
            r
        });
        let text = stack.diagnostics().to_string();
        assert!(
            text.contains(
                "field `replication_group_id`: `Cache_1` is not a valid replication group id"
            ),
            "{text}"
        );
        assert!(
            text.contains("field `node_type`") && text.contains("use one of: cache.t3.micro"),
            "{text}"
        );
    }

    #[test]
    fn id_rules() {
        assert!(is_valid_replication_group_id("mlops-production-cache"));
        assert!(!is_valid_replication_group_id(&"a".repeat(41)));
        assert!(!is_valid_replication_group_id("a--b"));
        assert!(!is_valid_replication_group_id("1abc"));
    }

    #[test]
    fn version_replicas_and_snapshot_limits() {
        let (stack, _) = build(Environment::STAGING, |mut r| {
            r.engine_version = "5.0".to_string();
            r.replicas(6).snapshot_retention_days(40)
        });
        let text = stack.diagnostics().to_string();
        assert!(
            text.contains("field `engine_version`: `5.0` is not a supported Redis version"),
            "{text}"
        );
        assert!(
            text.contains("field `replicas`: 6 replicas") && text.contains("use 0-5"),
            "{text}"
        );
        assert!(text.contains("field `snapshot_retention_limit`"), "{text}");
    }

    #[test]
    fn production_without_failover_is_an_error() {
        let (stack, _) = build(Environment::PRODUCTION, |r| {
            r.replicas(1).high_availability(false)
        });
        let text = stack.diagnostics().to_string();
        assert!(
            text.contains("field `multi_az_enabled`") && text.contains("keep high_availability on"),
            "{text}"
        );
    }

    #[test]
    fn dev_is_single_node_without_final_snapshot() {
        let (stack, cache) = build(Environment::DEV, |r| r);
        assert!(stack.diagnostics().is_empty(), "{}", stack.diagnostics());
        let block = stack.block(cache.group.address()).unwrap();
        assert_eq!(block.get("multi_az_enabled"), Some(&Value::Bool(false)));
        assert!(block.get("final_snapshot_identifier").is_none());
        assert_eq!(
            block.get("transit_encryption_enabled"),
            Some(&Value::Bool(true))
        );
    }

    /// hashicorp/terraform-provider-aws v5.100.0,
    /// website/docs/r/elasticache_replication_group.html.markdown: from
    /// version 6 "the major and minor version" are set, and
    /// internal/service/elasticache/engine_version.go replaces the group when
    /// the configured version is lower than the one in state; so only
    /// `major.minor` is written, and the group uses the AWS-managed
    /// `default.redis7` parameter group, which no upgrade replaces.
    #[test]
    fn the_version_is_major_dot_minor_and_the_parameter_group_aws_managed() {
        let (stack, cache) = build(Environment::DEV, |r| r);
        let block = stack.block(cache.group.address()).unwrap();
        assert_eq!(
            block.get("engine_version").and_then(Value::as_str),
            Some("7.1")
        );
        assert_eq!(
            block.get("parameter_group_name").and_then(Value::as_str),
            Some("default.redis7")
        );
        assert_eq!(
            block.get("auto_minor_version_upgrade"),
            Some(&Value::Bool(true))
        );
        for pinned in ["7.1.2", "7", "7.x"] {
            let (stack, _) = build(Environment::DEV, |mut r| {
                r.engine_version = pinned.to_string();
                r
            });
            let text = stack.diagnostics().to_string();
            assert!(
                text.contains(&format!(
                    "field `engine_version`: `{pinned}` is not a supported Redis version"
                )),
                "{pinned}: {text}"
            );
        }
    }
}
