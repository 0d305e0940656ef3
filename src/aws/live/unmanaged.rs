//! What `drift aws` finds that Terraform cannot see: objects inside the
//! stack's VPCs and EKS clusters that no resource of the state declares.
//!
//! Listed (each call named in a failure's [`LiveError`]):
//! - security groups of each managed VPC (`ec2:DescribeSecurityGroups`,
//!   filter `vpc-id`) and the rules of each managed group
//!   (`ec2:DescribeSecurityGroupRules`, filter `group-id`);
//! - subnets of each managed VPC (`ec2:DescribeSubnets`, filter `vpc-id`);
//! - node groups and add-ons of each managed cluster (`eks:ListNodegroups`,
//!   `eks:ListAddons`).
//!
//! Decisions:
//! - A rule is managed when its id is a rule resource's
//!   `security_group_rule_id`, or when it is one of the rules a rule
//!   resource or an inline `ingress`/`egress` block stands for
//!   ([`crate::aws::rule_keys`]). Inline blocks are read from the state as
//!   Terraform recorded it before the refresh: the refreshed `ingress` of a
//!   group holds every rule, out-of-band ones too.
//! - The rules of an unmanaged group are part of that finding (its
//!   description counts them), not findings of their own.
//! - Groups AWS creates itself are not findings when Terraform does not
//!   manage them: a VPC's `default` group, and the cluster security group
//!   EKS makes for a managed cluster (`vpc_config.cluster_security_group_id`).
//!   Their rules are findings only beyond the ones AWS gives them: all
//!   traffic in from the group itself, all traffic out to `0.0.0.0/0` (and
//!   `::/0`) (Amazon VPC User Guide, "Default security groups for your
//!   VPCs"; Amazon EKS User Guide, "View Amazon EKS security group
//!   requirements for clusters").
//! - A failing `eks:ListAddons` whose kind is `NotFound` or `Other` (an
//!   endpoint without the API, such as moto 5) is reported as not checked,
//!   not as an error; every other failure stops the command.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::Filter;
use serde_json::Value as Json;

use super::client::AwsSession;
use crate::aws::rule_keys::{inline_rule_keys, resource_rule_keys};
use crate::core::drift::{RuleKey, UnmanagedKind, UnmanagedObject};
use crate::core::live::{LiveError, LiveErrorKind, RetryPolicy};

const DESCRIBE_SECURITY_GROUPS: &str = "ec2:DescribeSecurityGroups";
const DESCRIBE_SECURITY_GROUP_RULES: &str = "ec2:DescribeSecurityGroupRules";
const DESCRIBE_SUBNETS: &str = "ec2:DescribeSubnets";
const LIST_NODEGROUPS: &str = "eks:ListNodegroups";
const LIST_ADDONS: &str = "eks:ListAddons";

/// What the Terraform state manages, as far as the check needs: ids and
/// names with the address that manages each.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Managed {
    /// VPC id -> address.
    vpcs: BTreeMap<String, String>,
    /// Security group id -> address (`aws_security_group`,
    /// `aws_default_security_group`).
    groups: BTreeMap<String, String>,
    /// The EKS cluster security groups of managed clusters -> the cluster's
    /// address.
    cluster_groups: BTreeMap<String, String>,
    /// `security_group_rule_id`s of rule resources.
    rule_ids: BTreeSet<String>,
    /// The rules rule resources and inline blocks stand for.
    rules: BTreeSet<RuleKey>,
    /// Subnet id -> address.
    subnets: BTreeMap<String, String>,
    /// Cluster name -> address.
    clusters: BTreeMap<String, String>,
    /// (cluster, node group name).
    node_groups: BTreeSet<(String, String)>,
    /// (cluster, add-on name).
    addons: BTreeSet<(String, String)>,
}

fn text<'a>(values: &'a Json, key: &str) -> &'a str {
    values[key].as_str().unwrap_or_default()
}

impl Managed {
    /// Adds one managed resource of the state: `values` its refreshed
    /// attributes (`null` when deleted outside Terraform), `recorded` the
    /// ones Terraform recorded before the refresh when they differ. Types
    /// the check does not use are ignored.
    pub fn add(
        &mut self,
        address: &str,
        resource_type: &str,
        values: &Json,
        recorded: Option<&Json>,
    ) {
        let known = if values.is_null() {
            recorded.unwrap_or(values)
        } else {
            values
        };
        let id = text(known, "id").to_string();
        let address = address.to_string();
        match resource_type {
            "aws_vpc" if !values.is_null() => {
                self.vpcs.insert(id, address);
            }
            "aws_security_group" | "aws_default_security_group" => {
                // Inline rules as Terraform recorded them, not as refreshed.
                let inline = recorded.unwrap_or(values);
                for (direction, egress) in [("ingress", false), ("egress", true)] {
                    for block in inline[direction].as_array().into_iter().flatten() {
                        self.rules.extend(inline_rule_keys(&id, egress, block));
                    }
                }
                self.groups.insert(id, address);
            }
            "aws_vpc_security_group_ingress_rule"
            | "aws_vpc_security_group_egress_rule"
            | "aws_security_group_rule" => {
                for state in [Some(values), recorded].into_iter().flatten() {
                    let rule_id = text(state, "security_group_rule_id");
                    if !rule_id.is_empty() {
                        self.rule_ids.insert(rule_id.to_string());
                    }
                    self.rules.extend(resource_rule_keys(resource_type, state));
                }
            }
            "aws_subnet" => {
                self.subnets.insert(id, address);
            }
            "aws_eks_cluster" => {
                let name = text(known, "name").to_string();
                let group = known["vpc_config"][0]["cluster_security_group_id"]
                    .as_str()
                    .unwrap_or_default();
                if !group.is_empty() {
                    self.cluster_groups
                        .insert(group.to_string(), address.clone());
                }
                if !values.is_null() && !name.is_empty() {
                    self.clusters.insert(name, address);
                }
            }
            "aws_eks_node_group" => {
                self.node_groups.insert((
                    text(known, "cluster_name").to_string(),
                    text(known, "node_group_name").to_string(),
                ));
            }
            "aws_eks_addon" => {
                self.addons.insert((
                    text(known, "cluster_name").to_string(),
                    text(known, "addon_name").to_string(),
                ));
            }
            _ => {}
        }
    }

    /// `id (address)` of a managed group, a VPC's or a cluster's, else `id`.
    fn named(&self, id: &str) -> String {
        match self
            .groups
            .get(id)
            .or_else(|| self.vpcs.get(id))
            .or_else(|| self.clusters.get(id))
        {
            Some(address) => format!("{id} ({address})"),
            None => match self.cluster_groups.get(id) {
                Some(cluster) => format!("{id} (the EKS cluster security group of {cluster})"),
                None => id.to_string(),
            },
        }
    }
}

/// What the check found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Found {
    /// The unmanaged objects, by kind and id.
    pub objects: Vec<UnmanagedObject>,
    /// What could not be checked, and why (`eks:ListAddons (us-east-1):
    /// ...`).
    pub not_checked: Vec<String>,
}

/// A rule EC2 lists, as the check needs it.
struct LiveRule {
    id: String,
    key: RuleKey,
}

/// Whether `rule` is one AWS gives a group it creates (see the module
/// documentation).
fn aws_default_rule(rule: &RuleKey) -> bool {
    rule.protocol == "-1"
        && if rule.egress {
            rule.peer == "cidr:0.0.0.0/0" || rule.peer == "cidr6:::/0"
        } else {
            rule.peer == format!("sg:{}", rule.group_id)
        }
}

/// Lists the objects in `managed`'s VPCs and clusters that it does not hold,
/// in `region`, with the SDK bounded by `policy`.
///
/// # Errors
///
/// The first call that fails (except `eks:ListAddons`, see the module
/// documentation): its [`LiveError`] names the call and the region.
pub fn find(managed: &Managed, region: &str, policy: &RetryPolicy) -> Result<Found, LiveError> {
    let session = AwsSession::new(region, policy)?;
    let ec2 = session.ec2();
    let eks = session.eks();
    let mut found = Found::default();
    for (vpc, vpc_address) in &managed.vpcs {
        let vpc_named = format!("{vpc} ({vpc_address})");
        let filter = Filter::builder().name("vpc-id").values(vpc).build();
        let mut groups = Vec::new();
        let mut pages = ec2
            .describe_security_groups()
            .filters(filter.clone())
            .into_paginator()
            .send();
        while let Some(page) = session.block_on(pages.next()) {
            let page = page.map_err(|e| session.error(DESCRIBE_SECURITY_GROUPS, e))?;
            groups.extend(page.security_groups().iter().cloned());
        }
        for group in &groups {
            let id = group.group_id().unwrap_or_default().to_string();
            let rules = rules_of(&session, &ec2, &id)?;
            let name = group.group_name().unwrap_or_default();
            let aws_made = (name == "default" || managed.cluster_groups.contains_key(&id))
                && !managed.groups.contains_key(&id);
            if !managed.groups.contains_key(&id) && !aws_made {
                found.objects.push(UnmanagedObject {
                    kind: UnmanagedKind::SecurityGroup,
                    id: id.clone(),
                    parent: vpc_named.clone(),
                    description: format!(
                        "\"{name}\" ({}) in {vpc_named}, with {} rule(s)",
                        group.description().unwrap_or_default(),
                        rules.len()
                    ),
                    rule: None,
                });
                continue;
            }
            let parent = if aws_made && name == "default" {
                format!("{id} (the default group of {vpc_named}, not managed by Terraform)")
            } else {
                managed.named(&id)
            };
            for rule in rules {
                let is_managed =
                    managed.rule_ids.contains(&rule.id) || managed.rules.contains(&rule.key);
                if is_managed || (aws_made && aws_default_rule(&rule.key)) {
                    continue;
                }
                found.objects.push(UnmanagedObject {
                    kind: UnmanagedKind::SecurityGroupRule,
                    id: rule.id,
                    parent: parent.clone(),
                    description: format!("{} on {parent}", rule.key.describe()),
                    rule: Some(rule.key),
                });
            }
        }
        let mut pages = ec2
            .describe_subnets()
            .filters(filter)
            .into_paginator()
            .send();
        while let Some(page) = session.block_on(pages.next()) {
            let page = page.map_err(|e| session.error(DESCRIBE_SUBNETS, e))?;
            for subnet in page.subnets() {
                let id = subnet.subnet_id().unwrap_or_default();
                if managed.subnets.contains_key(id) {
                    continue;
                }
                found.objects.push(UnmanagedObject {
                    kind: UnmanagedKind::Subnet,
                    id: id.to_string(),
                    parent: vpc_named.clone(),
                    description: format!(
                        "{} in {} of {vpc_named}",
                        subnet.cidr_block().unwrap_or("(no IPv4 CIDR)"),
                        subnet.availability_zone().unwrap_or_default()
                    ),
                    rule: None,
                });
            }
        }
    }
    for (cluster, address) in &managed.clusters {
        let parent = format!("{cluster} ({address})");
        let mut pages = eks
            .list_nodegroups()
            .cluster_name(cluster)
            .into_paginator()
            .send();
        while let Some(page) = session.block_on(pages.next()) {
            let page = page.map_err(|e| session.error(LIST_NODEGROUPS, e))?;
            for name in page.nodegroups() {
                if managed
                    .node_groups
                    .contains(&(cluster.clone(), name.clone()))
                {
                    continue;
                }
                found.objects.push(UnmanagedObject {
                    kind: UnmanagedKind::NodeGroup,
                    id: name.clone(),
                    parent: parent.clone(),
                    description: format!("of cluster {parent}"),
                    rule: None,
                });
            }
        }
        let mut pages = eks
            .list_addons()
            .cluster_name(cluster)
            .into_paginator()
            .send();
        while let Some(page) = session.block_on(pages.next()) {
            let page = match page {
                Ok(page) => page,
                Err(e) => {
                    let error = session.error(LIST_ADDONS, e);
                    if matches!(error.kind, LiveErrorKind::NotFound | LiveErrorKind::Other) {
                        found.not_checked.push(format!(
                            "add-ons of cluster {parent}: {}: {}",
                            error.call, error.detail
                        ));
                        break;
                    }
                    return Err(error);
                }
            };
            for name in page.addons() {
                if managed.addons.contains(&(cluster.clone(), name.clone())) {
                    continue;
                }
                found.objects.push(UnmanagedObject {
                    kind: UnmanagedKind::Addon,
                    id: name.clone(),
                    parent: parent.clone(),
                    description: format!("of cluster {parent}"),
                    rule: None,
                });
            }
        }
    }
    found.objects.sort();
    Ok(found)
}

/// The rules of one security group.
fn rules_of(
    session: &AwsSession,
    ec2: &aws_sdk_ec2::Client,
    group: &str,
) -> Result<Vec<LiveRule>, LiveError> {
    let mut rules = Vec::new();
    let mut pages = ec2
        .describe_security_group_rules()
        .filters(Filter::builder().name("group-id").values(group).build())
        .into_paginator()
        .send();
    while let Some(page) = session.block_on(pages.next()) {
        let page = page.map_err(|e| session.error(DESCRIBE_SECURITY_GROUP_RULES, e))?;
        for rule in page.security_group_rules() {
            let peer = if let Some(cidr) = rule.cidr_ipv4() {
                format!("cidr:{cidr}")
            } else if let Some(cidr) = rule.cidr_ipv6() {
                format!("cidr6:{cidr}")
            } else if let Some(list) = rule.prefix_list_id() {
                format!("pl:{list}")
            } else if let Some(other) = rule.referenced_group_info().and_then(|r| r.group_id()) {
                format!("sg:{other}")
            } else {
                "unknown:".to_string()
            };
            rules.push(LiveRule {
                id: rule
                    .security_group_rule_id()
                    .unwrap_or_default()
                    .to_string(),
                key: RuleKey::new(
                    rule.group_id().unwrap_or(group),
                    rule.is_egress().unwrap_or(false),
                    rule.ip_protocol().unwrap_or("-1"),
                    i64::from(rule.from_port().unwrap_or(-1)),
                    i64::from(rule.to_port().unwrap_or(-1)),
                    peer,
                ),
            });
        }
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn inline_rules_come_from_the_recorded_state_not_the_refreshed_one() {
        let mut managed = Managed::default();
        let block = json!({"protocol": "tcp", "from_port": 22, "to_port": 22,
            "cidr_blocks": ["0.0.0.0/0"], "self": false});
        let refreshed = json!({"id": "sg-1", "ingress": [block]});
        let recorded = json!({"id": "sg-1", "ingress": []});
        managed.add(
            "aws_security_group.app",
            "aws_security_group",
            &refreshed,
            Some(&recorded),
        );
        let key = RuleKey::new("sg-1", false, "tcp", 22, 22, "cidr:0.0.0.0/0".into());
        assert!(!managed.rules.contains(&key));
        managed.add(
            "aws_security_group.app",
            "aws_security_group",
            &refreshed,
            None,
        );
        assert!(managed.rules.contains(&key));
    }

    /// Amazon VPC User Guide, "Default security groups for your VPCs": all
    /// inbound traffic from the group itself, all outbound traffic.
    #[test]
    fn the_rules_aws_gives_its_own_groups() {
        let inbound_self = RuleKey::new("sg-1", false, "-1", -1, -1, "sg:sg-1".into());
        let outbound_all = RuleKey::new("sg-1", true, "-1", -1, -1, "cidr:0.0.0.0/0".into());
        let ssh = RuleKey::new("sg-1", false, "tcp", 22, 22, "cidr:0.0.0.0/0".into());
        assert!(aws_default_rule(&inbound_self));
        assert!(aws_default_rule(&outbound_all));
        assert!(!aws_default_rule(&ssh));
    }
}
