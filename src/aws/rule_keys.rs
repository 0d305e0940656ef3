//! Security group rules as the state of hashicorp/aws 5.100.0 holds them,
//! reduced to [`RuleKey`]s: the inline `ingress`/`egress` blocks of
//! `aws_security_group` and `aws_default_security_group`, and the rule
//! resources. `drift` matches them against each other (a group's refreshed
//! `ingress` against its own rule resources) and against the rules EC2
//! lists. Offline: no SDK.

use serde_json::Value as Json;

use crate::core::drift::RuleKey;

fn text<'a>(value: &'a Json, key: &str) -> &'a str {
    value[key].as_str().unwrap_or_default()
}

fn port(value: &Json, key: &str) -> i64 {
    value[key].as_i64().unwrap_or(0)
}

fn strings<'a>(value: &'a Json, key: &str) -> impl Iterator<Item = &'a str> {
    value[key]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
}

/// The rules one inline `ingress`/`egress` block of an
/// `aws_security_group` stands for (one per peer), on group `group_id`.
/// hashicorp/aws 5.100.0 security_group.html.markdown: `cidr_blocks`,
/// `ipv6_cidr_blocks`, `prefix_list_ids`, `security_groups`, `self`.
pub fn inline_rule_keys(group_id: &str, egress: bool, block: &Json) -> Vec<RuleKey> {
    let protocol = text(block, "protocol");
    let (from, to) = (port(block, "from_port"), port(block, "to_port"));
    let mut peers: Vec<String> = Vec::new();
    peers.extend(strings(block, "cidr_blocks").map(|c| format!("cidr:{c}")));
    peers.extend(strings(block, "ipv6_cidr_blocks").map(|c| format!("cidr6:{c}")));
    peers.extend(strings(block, "prefix_list_ids").map(|c| format!("pl:{c}")));
    peers.extend(strings(block, "security_groups").map(|c| format!("sg:{c}")));
    if block["self"] == true {
        peers.push(format!("sg:{group_id}"));
    }
    peers
        .into_iter()
        .map(|peer| RuleKey::new(group_id, egress, protocol, from, to, peer))
        .collect()
}

/// The rules a rule resource of the state stands for:
/// `aws_vpc_security_group_ingress_rule`/`_egress_rule` (one peer each:
/// `cidr_ipv4`, `cidr_ipv6`, `prefix_list_id`, `referenced_security_group_id`)
/// and the older `aws_security_group_rule` (`type`, several peers); none
/// for other types (hashicorp/aws 5.100.0 vpc_security_group_ingress_rule,
/// security_group_rule .html.markdown).
pub fn resource_rule_keys(resource_type: &str, values: &Json) -> Vec<RuleKey> {
    let group = text(values, "security_group_id");
    match resource_type {
        "aws_vpc_security_group_ingress_rule" | "aws_vpc_security_group_egress_rule" => {
            let egress = resource_type.ends_with("egress_rule");
            let peer = [
                ("cidr_ipv4", "cidr"),
                ("cidr_ipv6", "cidr6"),
                ("prefix_list_id", "pl"),
                ("referenced_security_group_id", "sg"),
            ]
            .iter()
            .find_map(|(key, kind)| {
                values[*key]
                    .as_str()
                    .filter(|v| !v.is_empty())
                    .map(|v| format!("{kind}:{v}"))
            });
            peer.map(|peer| {
                RuleKey::new(
                    group,
                    egress,
                    text(values, "ip_protocol"),
                    port(values, "from_port"),
                    port(values, "to_port"),
                    peer,
                )
            })
            .into_iter()
            .collect()
        }
        "aws_security_group_rule" => {
            let egress = text(values, "type") == "egress";
            let mut peers: Vec<String> = Vec::new();
            peers.extend(strings(values, "cidr_blocks").map(|c| format!("cidr:{c}")));
            peers.extend(strings(values, "ipv6_cidr_blocks").map(|c| format!("cidr6:{c}")));
            peers.extend(strings(values, "prefix_list_ids").map(|c| format!("pl:{c}")));
            if let Some(source) = values["source_security_group_id"]
                .as_str()
                .filter(|s| !s.is_empty())
            {
                peers.push(format!("sg:{source}"));
            }
            if values["self"] == true {
                peers.push(format!("sg:{group}"));
            }
            peers
                .into_iter()
                .map(|peer| {
                    RuleKey::new(
                        group,
                        egress,
                        text(values, "protocol"),
                        port(values, "from_port"),
                        port(values, "to_port"),
                        peer,
                    )
                })
                .collect()
        }
        _ => Vec::new(),
    }
}
