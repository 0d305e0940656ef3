//! AWS rules. Attribute names are the hashicorp/aws 5.100 provider's.

use super::rule::{in_production, on, Expect, Rule};

const OPEN: &[&str] = &["0.0.0.0/0", "::/0"];

const TRUE: Expect = Expect::Bool {
    value: true,
    missing_ok: false,
};
const NOT_TRUE: Expect = Expect::Bool {
    value: false,
    missing_ok: true,
};

/// The AWS rule table.
pub fn rules() -> Vec<Rule> {
    vec![
        on(
            "encryption-at-rest",
            "aws_db_instance",
            "storage_encrypted",
            TRUE,
            "storage encryption of the database",
        ),
        on(
            "no-public-access",
            "aws_db_instance",
            "publicly_accessible",
            NOT_TRUE,
            "public accessibility of the database",
        ),
        on(
            "no-literal-secrets",
            "aws_db_instance",
            "password",
            Expect::Absent,
            "a literal master password in the output",
        ),
        on(
            "logs-on",
            "aws_db_instance",
            "enabled_cloudwatch_logs_exports",
            Expect::NonEmpty,
            "log export of the database",
        ),
        in_production(on(
            "no-force-destroy",
            "aws_s3_bucket",
            "force_destroy",
            NOT_TRUE,
            "force_destroy on a production bucket (destroy would delete its objects)",
        )),
        in_production(on(
            "deletion-protection",
            "aws_db_instance",
            "deletion_protection",
            TRUE,
            "deletion protection of the production database",
        )),
        in_production(on(
            "high-availability",
            "aws_db_instance",
            "multi_az",
            TRUE,
            "Multi-AZ of the production database",
        )),
        on(
            "encryption-at-rest",
            "aws_elasticache_replication_group",
            "at_rest_encryption_enabled",
            TRUE,
            "at-rest encryption of the cache",
        ),
        on(
            "tls-in-transit",
            "aws_elasticache_replication_group",
            "transit_encryption_enabled",
            TRUE,
            "in-transit encryption of the cache",
        ),
        on(
            "no-literal-secrets",
            "aws_elasticache_replication_group",
            "auth_token",
            Expect::Absent,
            "a literal auth token in the output",
        ),
        in_production(on(
            "high-availability",
            "aws_elasticache_replication_group",
            "automatic_failover_enabled",
            TRUE,
            "automatic failover of the production cache",
        )),
        on(
            "no-public-access",
            "aws_s3_bucket_public_access_block",
            "block_public_acls",
            TRUE,
            "blocking public ACLs",
        ),
        on(
            "no-public-access",
            "aws_s3_bucket_public_access_block",
            "block_public_policy",
            TRUE,
            "blocking public bucket policies",
        ),
        on(
            "no-public-access",
            "aws_s3_bucket_public_access_block",
            "ignore_public_acls",
            TRUE,
            "ignoring public ACLs",
        ),
        on(
            "no-public-access",
            "aws_s3_bucket_public_access_block",
            "restrict_public_buckets",
            TRUE,
            "restricting public buckets",
        ),
        on(
            "no-public-access",
            "aws_s3_bucket",
            "acl",
            Expect::NoneOf(&["public-read", "public-read-write", "authenticated-read"]),
            "the bucket ACL",
        ),
        on(
            "encryption-at-rest",
            "aws_s3_bucket_server_side_encryption_configuration",
            "rule.apply_server_side_encryption_by_default.sse_algorithm",
            Expect::OneOf(&["aws:kms", "aws:kms:dsse"]),
            "KMS encryption of the bucket",
        ),
        on(
            "key-rotation",
            "aws_kms_key",
            "enable_key_rotation",
            TRUE,
            "rotation of the KMS key",
        ),
        on(
            "encryption-at-rest",
            "aws_eks_cluster",
            "encryption_config.resources",
            Expect::NonEmpty,
            "envelope encryption of Kubernetes secrets",
        ),
        on(
            "logs-on",
            "aws_eks_cluster",
            "enabled_cluster_log_types",
            Expect::NonEmpty,
            "control-plane logging",
        ),
        on(
            "no-open-api",
            "aws_eks_cluster",
            "vpc_config.public_access_cidrs",
            Expect::NoneOf(OPEN),
            "the Kubernetes API open to the internet",
        ),
        in_production(on(
            "private-api",
            "aws_eks_cluster",
            "vpc_config.endpoint_public_access",
            Expect::Bool {
                value: false,
                missing_ok: false,
            },
            "the production Kubernetes API's public endpoint",
        )),
        on(
            "imdsv2",
            "aws_launch_template",
            "metadata_options.http_tokens",
            Expect::OneOf(&["required"]),
            "IMDSv2 on nodes",
        ),
        on(
            "no-open-ingress",
            "aws_vpc_security_group_ingress_rule",
            "cidr_ipv4",
            Expect::NoneOf(OPEN),
            "ingress from the whole internet",
        ),
        on(
            "no-open-ingress",
            "aws_vpc_security_group_ingress_rule",
            "cidr_ipv6",
            Expect::NoneOf(OPEN),
            "ingress from the whole internet",
        ),
        on(
            "no-open-ingress",
            "aws_security_group_rule",
            "cidr_blocks",
            Expect::NoneOf(OPEN),
            "a rule open to the whole internet",
        ),
        on(
            "no-open-ingress",
            "aws_security_group",
            "ingress.cidr_blocks",
            Expect::NoneOf(OPEN),
            "ingress from the whole internet",
        ),
        on(
            "logs-on",
            "aws_cloudwatch_log_group",
            "retention_in_days",
            Expect::Present,
            "log retention",
        ),
        on(
            "encryption-at-rest",
            "aws_cloudwatch_log_group",
            "kms_key_id",
            Expect::Present,
            "KMS encryption of the log group",
        ),
    ]
}
