//! What broadens access on AWS (hashicorp/aws 5.100.0; each default quoted
//! is from that release's resource documentation, `website/docs/r/*.markdown`).

use std::collections::BTreeSet;

use serde_json::Value as Json;

use super::ingress::{protocol, report_new_ingress, Ingress, ALL_PORTS};
use super::{boxed, flag, iam, ResourcesOnly};
use crate::core::diff::{
    lookup, strings, Broad, Broadening, BroadeningRule, FlagRule, RemovedRule, ResourceDelta,
};

/// Attributes turned to their open value. `absent_is_broad` follows the
/// provider default named in each line's documentation.
const FLAGS: &[FlagRule] = &[
    // s3_bucket_public_access_block: each flag "Defaults to `false`".
    flag(
        "aws_s3_bucket_public_access_block",
        "block_public_acls",
        Broad::NotTrue,
        true,
        "public access turned on: public ACLs no longer blocked",
    ),
    flag(
        "aws_s3_bucket_public_access_block",
        "block_public_policy",
        Broad::NotTrue,
        true,
        "public access turned on: public bucket policies no longer blocked",
    ),
    flag(
        "aws_s3_bucket_public_access_block",
        "ignore_public_acls",
        Broad::NotTrue,
        true,
        "public access turned on: public ACLs no longer ignored",
    ),
    flag(
        "aws_s3_bucket_public_access_block",
        "restrict_public_buckets",
        Broad::NotTrue,
        true,
        "public access turned on: public bucket policies no longer restricted",
    ),
    flag(
        "aws_s3_bucket_acl",
        "acl",
        Broad::AnyOf(&["public-read", "public-read-write", "authenticated-read"]),
        false,
        "public access turned on: a public canned ACL",
    ),
    // db_instance: publicly_accessible "Default is `false`"; storage_encrypted
    // "Default is `false`"; deletion_protection "The default is `false`".
    flag(
        "aws_db_instance",
        "publicly_accessible",
        Broad::True,
        false,
        "public access turned on: the database gets a public address",
    ),
    flag(
        "aws_db_instance",
        "storage_encrypted",
        Broad::NotTrue,
        true,
        "encryption at rest turned off",
    ),
    flag(
        "aws_db_instance",
        "deletion_protection",
        Broad::NotTrue,
        true,
        "deletion protection turned off",
    ),
    flag(
        "aws_rds_cluster",
        "storage_encrypted",
        Broad::NotTrue,
        true,
        "encryption at rest turned off",
    ),
    flag(
        "aws_rds_cluster",
        "deletion_protection",
        Broad::NotTrue,
        true,
        "deletion protection turned off",
    ),
    // eks_cluster vpc_config: endpoint_public_access "Default is `true`".
    flag(
        "aws_eks_cluster",
        "vpc_config.endpoint_public_access",
        Broad::True,
        true,
        "public endpoint turned on: the Kubernetes API is reachable from the internet",
    ),
    // elasticache_replication_group: both encryptions "Default is `false`".
    flag(
        "aws_elasticache_replication_group",
        "at_rest_encryption_enabled",
        Broad::NotTrue,
        true,
        "encryption at rest turned off",
    ),
    flag(
        "aws_elasticache_replication_group",
        "transit_encryption_enabled",
        Broad::NotTrue,
        true,
        "TLS (encryption in transit) turned off",
    ),
    // kms_key: enable_key_rotation "Defaults to `false`".
    flag(
        "aws_kms_key",
        "enable_key_rotation",
        Broad::NotTrue,
        true,
        "key rotation turned off",
    ),
    // instance / launch_template metadata_options: http_tokens "Defaults to `optional`" (IMDSv1).
    flag(
        "aws_instance",
        "metadata_options.http_tokens",
        Broad::IsNot("required"),
        true,
        "IMDSv2 no longer required (instance credentials readable through IMDSv1)",
    ),
    flag(
        "aws_launch_template",
        "metadata_options.http_tokens",
        Broad::IsNot("required"),
        true,
        "IMDSv2 no longer required (instance credentials readable through IMDSv1)",
    ),
    // cloudtrail: enable_logging "Default: `true`".
    flag(
        "aws_cloudtrail",
        "enable_logging",
        Broad::False,
        false,
        "audit logging turned off",
    ),
];

/// Resources whose removal turns a protection off.
const REMOVED: &[RemovedRule] = &[
    RemovedRule { resource_type: "aws_s3_bucket_public_access_block", what: "public access block removed: the bucket's ACLs and policy may make it public" },
    RemovedRule { resource_type: "aws_s3_bucket_server_side_encryption_configuration", what: "bucket encryption configuration removed (S3 falls back to SSE-S3, not the customer key)" },
    RemovedRule { resource_type: "aws_s3_bucket_logging", what: "bucket access logging removed" },
    RemovedRule { resource_type: "aws_cloudtrail", what: "audit trail removed" },
    RemovedRule { resource_type: "aws_flow_log", what: "VPC flow log removed" },
];

/// Ports of an AWS rule: protocol `-1` means every port whatever the
/// numbers say (security_group docs: "If you select a protocol of -1 ...
/// you must specify a from_port and to_port equal to 0").
fn aws_ports(proto: &str, rule: &Json) -> (u32, u32) {
    if proto == "all" {
        return ALL_PORTS;
    }
    let port = |key: &str| lookup(rule, key).and_then(Json::as_i64);
    match (port("from_port"), port("to_port")) {
        (Some(a), Some(b)) if a >= 0 && b >= 0 => (a as u32, b as u32),
        _ => ALL_PORTS,
    }
}

fn entries(rule: &Json, protocol_key: &str, sources: &[&str]) -> BTreeSet<Ingress> {
    let proto = protocol(
        lookup(rule, protocol_key)
            .and_then(Json::as_str)
            .unwrap_or("-1"),
    );
    let ports = aws_ports(&proto, rule);
    let mut found = BTreeSet::new();
    for key in sources {
        for source in strings(lookup(rule, key)) {
            found.insert(Ingress {
                protocol: proto.clone(),
                ports,
                source,
            });
        }
    }
    if lookup(rule, "self") == Some(&Json::Bool(true)) {
        found.insert(Ingress {
            protocol: proto,
            ports,
            source: "self".into(),
        });
    }
    found
}

const GROUP_SOURCES: [&str; 4] = [
    "cidr_blocks",
    "ipv6_cidr_blocks",
    "security_groups",
    "prefix_list_ids",
];

/// Security group ingress: inline `ingress` blocks, `aws_security_group_rule`
/// of `type = "ingress"`, and `aws_vpc_security_group_ingress_rule`.
struct SecurityGroupIngress;

impl BroadeningRule for SecurityGroupIngress {
    fn check(&self, delta: &ResourceDelta<'_>, findings: &mut Vec<Broadening>) {
        match delta.resource_type {
            "aws_security_group" => report_new_ingress(
                delta,
                "ingress",
                |body| match body.get("ingress") {
                    Some(Json::Array(rules)) => rules
                        .iter()
                        .flat_map(|r| entries(r, "protocol", &GROUP_SOURCES))
                        .collect(),
                    _ => BTreeSet::new(),
                },
                findings,
            ),
            "aws_security_group_rule" => report_new_ingress(
                delta,
                "cidr_blocks",
                |body| {
                    if body.get("type").and_then(Json::as_str) != Some("ingress") {
                        return BTreeSet::new();
                    }
                    entries(
                        body,
                        "protocol",
                        &[
                            "cidr_blocks",
                            "ipv6_cidr_blocks",
                            "source_security_group_id",
                            "prefix_list_ids",
                        ],
                    )
                },
                findings,
            ),
            "aws_vpc_security_group_ingress_rule" => report_new_ingress(
                delta,
                "cidr_ipv4",
                |body| {
                    entries(
                        body,
                        "ip_protocol",
                        &[
                            "cidr_ipv4",
                            "cidr_ipv6",
                            "referenced_security_group_id",
                            "prefix_list_id",
                        ],
                    )
                },
                findings,
            ),
            _ => {}
        }
    }
}

/// IAM policy documents in any attribute (`policy`, `assume_role_policy`,
/// `inline_policy[].policy`), and managed policies attached.
struct IamGrants;

impl BroadeningRule for IamGrants {
    fn check(&self, delta: &ResourceDelta<'_>, findings: &mut Vec<Broadening>) {
        iam::check(delta, findings);
        let Some(new) = delta.new else { return };
        let attached = |body: Option<&Json>, key: &str| strings(body.and_then(|b| lookup(b, key)));
        let key = if delta.resource_type.ends_with("_policy_attachment") {
            "policy_arn"
        } else if delta.resource_type == "aws_iam_role" {
            "managed_policy_arns"
        } else {
            return;
        };
        let old = attached(delta.old, key);
        for arn in attached(Some(new), key).difference(&old) {
            findings.push(Broadening {
                address: delta.address.to_string(),
                path: key.to_string(),
                message: format!("IAM attaches managed policy `{arn}`"),
            });
        }
    }
}

/// The AWS rules.
pub(super) fn rules() -> Vec<Box<dyn BroadeningRule>> {
    let mut rules = boxed(FLAGS.iter().copied());
    rules.extend(boxed(REMOVED.iter().copied()));
    rules.push(Box::new(ResourcesOnly(SecurityGroupIngress)));
    rules.push(Box::new(IamGrants));
    rules
}
