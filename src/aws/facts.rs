//! Live AWS facts of one account and region, as `lookup aws` records them in
//! the context file ([`crate::core::context`]) and synth reads them: the
//! zones of the region, where each node group's instance types are offered,
//! and the add-on versions EKS recommends for the cluster's Kubernetes
//! version. With them on the stack ([`crate::Stack::insert_facts`]) the
//! builders use them instead of their tables: [`crate::aws::Region::zones`]
//! takes the account's zone names, [`crate::aws::EksCluster`] pins each add-on
//! to the recorded version, and [`check_instance_type_offerings`] fails a
//! node group whose instance type a zone of its subnets does not offer.
//!
//! Sources: EC2 `DescribeAvailabilityZones` (zone names and ids; the letters
//! map to different physical zones, and in us-west-1 and ap-northeast-1 to
//! different letters, per account), EC2 `DescribeInstanceTypeOfferings` with
//! `LocationType=availability-zone`, EKS `DescribeAddonVersions` (the version
//! marked `defaultVersion` for the cluster's Kubernetes version).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::core::context::refresh_command;
use crate::core::environment::Cloud;
use crate::core::stack::Stack;
use crate::core::value::Value;

/// One availability zone of the region, as the account sees it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AvailabilityZone {
    /// The account's name for it, such as `us-east-1a`.
    pub name: String,
    /// The zone id, the same physical zone in every account, such as
    /// `use1-az4`.
    pub zone_id: String,
}

/// The AWS facts of one `<stack>/aws/<env>`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwsFacts {
    /// The region they were read in.
    pub region: String,
    /// The zones of type `availability-zone` in state `available` (no Local
    /// or Wavelength zones), sorted by name.
    pub zones: Vec<AvailabilityZone>,
    /// For each instance type the stack's node groups use, the names of the
    /// zones that offer it; a type offered nowhere maps to an empty set.
    pub instance_type_offerings: BTreeMap<String, BTreeSet<String>>,
    /// Per Kubernetes version (`1.31`), per add-on name (`vpc-cni`), the
    /// version EKS marks as the default for it (`v1.19.0-eksbuild.1`).
    pub addon_versions: BTreeMap<String, BTreeMap<String, String>>,
}

impl AwsFacts {
    /// The facts on `stack` when they are of its region: the region its
    /// `aws` provider names, or any before the stack has a provider (a
    /// stack of builders alone). Facts of another region (the stack moved
    /// and was not looked up again) are not used.
    pub fn of_stack(stack: &Stack) -> Option<&AwsFacts> {
        let facts = stack.facts::<AwsFacts>()?;
        match provider_region(stack) {
            Some(region) if region != facts.region => None,
            _ => Some(facts),
        }
    }

    /// The first `count` zone names, in name order, when these facts are of
    /// `region`.
    pub fn zone_names(&self, region: &str) -> Option<Vec<&str>> {
        (self.region == region).then(|| self.zones.iter().map(|z| z.name.as_str()).collect())
    }

    /// The recorded version of `addon` for Kubernetes `kubernetes_version`.
    pub fn addon_version(&self, kubernetes_version: &str, addon: &str) -> Option<&str> {
        self.addon_versions
            .get(kubernetes_version)?
            .get(addon)
            .map(String::as_str)
    }
}

/// What `lookup aws` asks of one stack, read from its blocks (so node groups
/// and add-ons a customize hook added are included).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AwsLookup {
    /// The `aws` provider's `region`; `None` when the stack has none.
    pub region: Option<String>,
    /// Every instance type of every `aws_eks_node_group`.
    pub instance_types: BTreeSet<String>,
    /// The `version` of every `aws_eks_cluster`.
    pub kubernetes_versions: BTreeSet<String>,
    /// The `addon_name` of every `aws_eks_addon`.
    pub addons: BTreeSet<String>,
}

impl AwsLookup {
    /// What `stack` needs looked up. Values given as expressions (not
    /// literals) are left out.
    pub fn of(stack: &Stack) -> Self {
        let mut lookup = AwsLookup {
            region: provider_region(stack).map(str::to_string),
            ..AwsLookup::default()
        };
        for block in stack.blocks() {
            if block.address().kind() != crate::core::reference::BlockKind::Resource {
                continue;
            }
            let attributes = block.attributes();
            let text = |key: &str| {
                attributes
                    .get(key)
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            match block.address().resource_type() {
                "aws_eks_node_group" => lookup.instance_types.extend(
                    attributes
                        .get("instance_types")
                        .and_then(Value::as_list)
                        .unwrap_or_default()
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string),
                ),
                "aws_eks_cluster" => lookup.kubernetes_versions.extend(text("version")),
                "aws_eks_addon" => lookup.addons.extend(text("addon_name")),
                _ => {}
            }
        }
        lookup
    }
}

/// The `region` of the stack's default (not aliased) `aws` provider, when
/// it is a literal.
fn provider_region(stack: &Stack) -> Option<&str> {
    stack
        .providers()
        .iter()
        .find(|p| p.name == "aws" && !p.attributes.contains_key("alias"))
        .and_then(|p| p.attributes.get("region"))
        .and_then(Value::as_str)
}

/// Fails every EKS node group of `stack` whose instance type is not offered
/// in a zone of its subnets, according to the [`AwsFacts`] on the stack (no
/// facts, no check: the built-in tables say nothing of offerings). One error
/// per group and type, naming the group (its `node_group_name`), the type
/// and the zones, with the types offered in every one of them as the fix.
///
/// Subnets are followed through the group's `subnet_ids` references to the
/// `aws_subnet` blocks of the stack and their `availability_zone`; a subnet
/// given as a literal id or a zone given as an expression is not judged.
/// A type absent from the facts' `instance_type_offerings` was not looked
/// up (added after the last `lookup`): a warning says to run it again.
pub fn check_instance_type_offerings(stack: &mut Stack) {
    let Some(facts) = stack.facts::<AwsFacts>() else {
        return;
    };
    let mut findings = Vec::new();
    for block in stack.blocks() {
        let address = block.address();
        if address.resource_type() != "aws_eks_node_group"
            || address.kind() != crate::core::reference::BlockKind::Resource
        {
            continue;
        }
        let attributes = block.attributes();
        let pool = attributes
            .get("node_group_name")
            .and_then(Value::as_str)
            .unwrap_or(address.name())
            .to_string();
        let types: Vec<&str> = attributes
            .get("instance_types")
            .and_then(Value::as_list)
            .map(|list| list.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let zones = subnet_zones(stack, attributes.get("subnet_ids"));
        if let Some(zone) = zones.iter().find(|z| !z.starts_with(&facts.region)) {
            findings.push(Finding::OtherRegion {
                address: address.to_string(),
                zone: zone.clone(),
            });
            continue;
        }
        for instance_type in types {
            match facts.instance_type_offerings.get(instance_type) {
                None => findings.push(Finding::NotLookedUp {
                    address: address.to_string(),
                    pool: pool.clone(),
                    instance_type: instance_type.to_string(),
                }),
                Some(offered) => {
                    let missing: Vec<String> = zones
                        .iter()
                        .filter(|zone| !offered.contains(*zone))
                        .cloned()
                        .collect();
                    if !missing.is_empty() {
                        let everywhere: Vec<&str> = facts
                            .instance_type_offerings
                            .iter()
                            .filter(|(_, offered)| zones.iter().all(|z| offered.contains(z)))
                            .map(|(t, _)| t.as_str())
                            .collect();
                        findings.push(Finding::NotOffered {
                            address: address.to_string(),
                            pool: pool.clone(),
                            instance_type: instance_type.to_string(),
                            missing,
                            everywhere: everywhere.iter().map(|t| t.to_string()).collect(),
                        });
                    }
                }
            }
        }
    }
    let region = facts.region.clone();
    let refresh = refresh_command(Cloud::Aws, stack);
    for finding in findings {
        match finding {
            Finding::NotOffered {
                address,
                pool,
                instance_type,
                missing,
                everywhere,
            } => {
                let zones = missing.join(", ");
                let hint = if everywhere.is_empty() {
                    format!(
                        "no looked-up instance type is offered in every zone of this node group; use fewer zones, or a type AWS offers in {zones} (aws ec2 describe-instance-type-offerings --location-type availability-zone --region {region})"
                    )
                } else {
                    format!(
                        "use an instance type offered in every zone of the node group, such as {}, or place the node group in zones that offer `{instance_type}`",
                        everywhere.join(", ")
                    )
                };
                let message = format!(
                    "node group `{pool}`: instance type `{instance_type}` is not offered in {zones} (per the context file's lookup of {region})"
                );
                match everywhere.first() {
                    Some(fix) => stack.error_with_fix(&address, "instance_types", &message, &hint, fix),
                    None => stack.error(&address, "instance_types", &message, &hint),
                }
            }
            Finding::OtherRegion { address, zone } => stack.warning(
                &address,
                "subnet_ids",
                &format!(
                    "the context file's AWS facts are of {region}, but this node group is in {zone}: its instance types are not checked"
                ),
                &format!("run `{refresh}` after changing the region"),
            ),
            Finding::NotLookedUp {
                address,
                pool,
                instance_type,
            } => stack.warning(
                &address,
                "instance_types",
                &format!(
                    "node group `{pool}`: instance type `{instance_type}` was not looked up, so its zones are not checked"
                ),
                &format!("run `{refresh}` to record its offerings"),
            ),
        }
    }
}

enum Finding {
    OtherRegion {
        address: String,
        zone: String,
    },
    NotOffered {
        address: String,
        pool: String,
        instance_type: String,
        missing: Vec<String>,
        everywhere: Vec<String>,
    },
    NotLookedUp {
        address: String,
        pool: String,
        instance_type: String,
    },
}

/// The zones of the `aws_subnet` blocks a `subnet_ids` list refers to, in
/// order, each once.
fn subnet_zones(stack: &Stack, subnet_ids: Option<&Value>) -> Vec<String> {
    let mut zones: Vec<String> = Vec::new();
    let Some(list) = subnet_ids.and_then(Value::as_list) else {
        return zones;
    };
    for item in list {
        let Value::Expr(expr) = item else { continue };
        for address in expr.deps() {
            if address.resource_type() != "aws_subnet" {
                continue;
            }
            let zone = stack
                .block(address)
                .and_then(|b| b.attributes().get("availability_zone"))
                .and_then(Value::as_str);
            if let Some(zone) = zone {
                if !zones.iter().any(|z| z == zone) {
                    zones.push(zone.to_string());
                }
            }
        }
    }
    zones
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::{EksCluster, EksClusterProps, KmsKey, NodeGroup, NodeGroupProps, Vpc};

    fn facts() -> AwsFacts {
        let zone = |name: &str, id: &str| AvailabilityZone {
            name: name.to_string(),
            zone_id: id.to_string(),
        };
        let zones = |names: &[&str]| names.iter().map(|z| z.to_string()).collect();
        AwsFacts {
            region: "us-west-1".to_string(),
            zones: vec![
                zone("us-west-1b", "usw1-az1"),
                zone("us-west-1c", "usw1-az3"),
            ],
            instance_type_offerings: BTreeMap::from([
                (
                    "m6i.large".to_string(),
                    zones(&["us-west-1b", "us-west-1c"]),
                ),
                ("g5.xlarge".to_string(), zones(&["us-west-1c"])),
            ]),
            addon_versions: BTreeMap::from([(
                "1.33".to_string(),
                BTreeMap::from([("vpc-cni".to_string(), "v1.19.5-eksbuild.1".to_string())]),
            )]),
        }
    }

    fn stack_with(types: &[&str]) -> Stack {
        let mut stack = Stack::new("t");
        stack.insert_facts(facts());
        let vpc = stack.add(Vpc::new("main", "t", "10.0.0.0/16", "us-west-1").zones(2));
        let key = stack.add(KmsKey::new("eks", "t-eks"));
        let types: Vec<&str> = types.to_vec();
        stack.add(
            EksCluster::new(EksClusterProps {
                logical_name: "main",
                name: "t",
                kubernetes_version: "1.33",
                subnet_ids: vpc.private_subnet_ids(),
                secrets_key: &key,
                logs_key: &key,
            })
            .node_group(NodeGroup::new(NodeGroupProps {
                node_group_name: "gpu",
                instance_types: &types,
                min_size: 0,
                desired_size: 1,
                max_size: 2,
            })),
        );
        stack
    }

    #[test]
    fn the_lookup_asks_for_what_the_stack_uses() {
        let lookup = AwsLookup::of(&stack_with(&["g5.xlarge", "m6i.large"]));
        assert_eq!(
            lookup.instance_types,
            BTreeSet::from(["g5.xlarge".to_string(), "m6i.large".to_string()])
        );
        assert_eq!(
            lookup.kubernetes_versions,
            BTreeSet::from(["1.33".to_string()])
        );
        assert!(lookup.addons.contains("vpc-cni") && lookup.addons.contains("coredns"));
        // No provider block in this test stack.
        assert_eq!(lookup.region, None);
    }

    #[test]
    fn the_vpc_takes_the_accounts_zone_names() {
        let stack = stack_with(&["m6i.large"]);
        let zones: Vec<&str> = stack
            .blocks()
            .iter()
            .filter(|b| b.address().resource_type() == "aws_subnet")
            .filter_map(|b| {
                b.attributes()
                    .get("availability_zone")
                    .and_then(Value::as_str)
            })
            .collect();
        assert!(
            zones.contains(&"us-west-1b") && zones.contains(&"us-west-1c"),
            "{zones:?}"
        );
        assert!(!zones.contains(&"us-west-1a"), "{zones:?}");
    }

    #[test]
    fn facts_of_another_region_pin_no_add_on() {
        let mut stack = Stack::new("t");
        stack.insert_facts(facts());
        stack.add(crate::aws::AwsProvider::new("us-east-2"));
        assert!(AwsFacts::of_stack(&stack).is_none());
        let mut stack = Stack::new("t");
        stack.insert_facts(facts());
        stack.add(crate::aws::AwsProvider::new("us-west-1"));
        assert_eq!(
            AwsFacts::of_stack(&stack).map(|f| f.region.as_str()),
            Some("us-west-1")
        );
    }

    #[test]
    fn a_type_offered_in_every_zone_passes() {
        let mut stack = stack_with(&["m6i.large"]);
        check_instance_type_offerings(&mut stack);
        assert!(stack.diagnostics().is_empty(), "{}", stack.diagnostics());
    }

    #[test]
    fn a_type_missing_in_a_zone_names_pool_type_and_zone() {
        let mut stack = stack_with(&["g5.xlarge"]);
        check_instance_type_offerings(&mut stack);
        let text = stack.diagnostics().to_string();
        assert_eq!(stack.diagnostics().errors().count(), 1, "{text}");
        assert!(
            text.contains(
                "node group `gpu`: instance type `g5.xlarge` is not offered in us-west-1b"
            ),
            "{text}"
        );
        assert!(text.contains("field `instance_types`"), "{text}");
        assert!(text.contains("such as m6i.large"), "{text}");
    }

    #[test]
    fn a_type_not_looked_up_is_a_warning_to_look_it_up() {
        let mut stack = stack_with(&["c7i.large"]);
        check_instance_type_offerings(&mut stack);
        let text = stack.diagnostics().to_string();
        assert!(!stack.diagnostics().has_errors(), "{text}");
        assert!(text.contains("`c7i.large` was not looked up"), "{text}");
        // The test stack has no environment to name.
        assert!(text.contains("lookup aws <env> --refresh"), "{text}");
    }

    #[test]
    fn add_ons_are_pinned_to_the_recorded_version() {
        let stack = stack_with(&["m6i.large"]);
        let cni = stack
            .blocks()
            .iter()
            .find(|b| {
                b.address().resource_type() == "aws_eks_addon"
                    && b.attributes().get("addon_name").and_then(Value::as_str) == Some("vpc-cni")
            })
            .expect("vpc-cni add-on");
        assert_eq!(
            cni.attributes()
                .get("addon_version")
                .and_then(Value::as_str),
            Some("v1.19.5-eksbuild.1")
        );
        // kube-proxy has no recorded version: it still reads the default.
        assert!(stack
            .blocks()
            .iter()
            .any(|b| b.address().resource_type() == "aws_eks_addon_version"
                && b.attributes().get("addon_name").and_then(Value::as_str) == Some("kube-proxy")));
        assert!(!stack
            .blocks()
            .iter()
            .any(|b| b.address().resource_type() == "aws_eks_addon_version"
                && b.attributes().get("addon_name").and_then(Value::as_str) == Some("vpc-cni")));
    }
}
