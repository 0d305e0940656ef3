//! The network: a VPC over N availability zones with public, private and
//! database subnets, NAT, routing, a locked-down default security group and
//! flow logs to an encrypted CloudWatch log group.

use ipnet::Ipv4Net;

use super::iam::{IamRole, IamRoleHandle, NameTag, PolicyDocument, Statement};
use super::kind;
use super::kms::{KmsKey, KmsKeyHandle};
use super::region::Region;
use crate::core::block::Attributes;
use crate::core::cidr::{carve, overlapping_pairs};
use crate::core::reference::{Attr, Id, Ref};
use crate::core::stack::{Construct, Stack};
use crate::core::value::Value;

/// The smallest subnet AWS allows.
const SMALLEST_SUBNET: u8 = 28;

/// A VPC with three tiers of subnets per zone.
///
/// Addresses are planned for you: the private subnets (where pods get their IPs
/// from the VPC CNI) take the big blocks, public and database subnets share the
/// remaining block. For `10.0.0.0/16` over 3 zones: private `/18`s, public and
/// database `/21`s.
///
/// ```
/// use infrasynth::{aws::Vpc, Stack};
/// let mut stack = Stack::new("demo");
/// let vpc = stack.add(Vpc::new("main", "demo", "10.0.0.0/16", "eu-west-1").zones(2));
/// assert_eq!(vpc.private_subnets.len(), 2);
/// assert_eq!(vpc.cidrs.private[0], "10.0.0.0/18");
/// ```
pub struct Vpc {
    logical: String,
    name: String,
    cidr: String,
    region: String,
    zones: usize,
    single_nat_gateway: bool,
    flow_log_retention_days: u32,
    flow_logs_key: Option<KmsKeyHandle>,
    explicit: Option<SubnetCidrs>,
}

/// The CIDR of every subnet, by tier, in zone order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SubnetCidrs {
    /// Public subnets (load balancers, NAT gateways).
    pub public: Vec<String>,
    /// Private subnets (nodes and pods).
    pub private: Vec<String>,
    /// Database subnets (no route to the internet).
    pub database: Vec<String>,
}

/// What [`Vpc`] created.
#[derive(Clone, Debug)]
pub struct VpcHandle {
    /// The VPC.
    pub vpc: Ref<kind::Vpc>,
    /// Zone names, such as `us-east-1a`.
    pub zones: Vec<String>,
    /// The planned subnet CIDRs.
    pub cidrs: SubnetCidrs,
    /// Public subnets, one per zone.
    pub public_subnets: Vec<Ref<kind::Subnet>>,
    /// Private subnets, one per zone.
    pub private_subnets: Vec<Ref<kind::Subnet>>,
    /// Database subnets, one per zone.
    pub database_subnets: Vec<Ref<kind::Subnet>>,
    /// The NAT gateways (one per zone, or one).
    pub nat_gateways: Vec<Ref<kind::NatGateway>>,
    /// The flow log.
    pub flow_log: Ref<kind::FlowLog>,
    /// The flow logs' log group.
    pub flow_log_group: Ref<kind::LogGroup>,
    /// The role VPC Flow Logs writes to the log group as.
    pub flow_log_role: IamRoleHandle,
    /// The VPC's default security group, left without rules.
    pub default_security_group: Ref<kind::DefaultSecurityGroup>,
    /// The internet gateway of the public subnets.
    pub internet_gateway: Ref<kind::InternetGateway>,
    /// The public subnets' route table (default route to the internet
    /// gateway).
    pub public_route_table: Ref<kind::RouteTable>,
    /// One route table per private subnet (default route to its zone's NAT
    /// gateway), in zone order.
    pub private_route_tables: Vec<Ref<kind::RouteTable>>,
    /// The database subnets' route table (no route out of the VPC).
    pub database_route_table: Ref<kind::RouteTable>,
}

impl VpcHandle {
    /// The VPC id.
    pub fn id(&self) -> Attr<Id<kind::Vpc>> {
        self.vpc.id()
    }

    /// Private subnet ids.
    pub fn private_subnet_ids(&self) -> Vec<Attr<Id<kind::Subnet>>> {
        self.private_subnets.iter().map(Ref::id).collect()
    }

    /// Database subnet ids.
    pub fn database_subnet_ids(&self) -> Vec<Attr<Id<kind::Subnet>>> {
        self.database_subnets.iter().map(Ref::id).collect()
    }

    /// Public subnet ids.
    pub fn public_subnet_ids(&self) -> Vec<Attr<Id<kind::Subnet>>> {
        self.public_subnets.iter().map(Ref::id).collect()
    }
}

impl Vpc {
    /// A VPC named `name` (resource names start with it) over `cidr` in `region`.
    pub fn new(logical: &str, name: &str, cidr: &str, region: &str) -> Self {
        Vpc {
            logical: logical.to_string(),
            name: name.to_string(),
            cidr: cidr.to_string(),
            region: region.to_string(),
            zones: 3,
            single_nat_gateway: false,
            flow_log_retention_days: 365,
            flow_logs_key: None,
            explicit: None,
        }
    }

    /// How many availability zones (default 3).
    pub fn zones(mut self, count: usize) -> Self {
        self.zones = count;
        self
    }

    /// One NAT gateway for all zones (cheaper, not zone-redundant).
    pub fn single_nat_gateway(mut self, single: bool) -> Self {
        self.single_nat_gateway = single;
        self
    }

    /// Days to keep flow logs (default 365).
    pub fn flow_log_retention_days(mut self, days: u32) -> Self {
        self.flow_log_retention_days = days;
        self
    }

    /// Encrypts flow logs with this key (which must let CloudWatch Logs use it,
    /// see [`KmsKey::for_logs`]); by default the VPC makes its own.
    pub fn flow_logs_key(mut self, key: &KmsKeyHandle) -> Self {
        self.flow_logs_key = Some(key.clone());
        self
    }

    /// Uses these subnet CIDRs instead of planning them (one per zone per tier).
    pub fn subnet_cidrs(mut self, cidrs: SubnetCidrs) -> Self {
        self.explicit = Some(cidrs);
        self
    }

    fn address(&self) -> String {
        format!("aws_vpc.{}", self.logical)
    }

    /// Plans or checks the subnet CIDRs; `None` after recording an error.
    fn plan(&self, stack: &mut Stack, vpc: Ipv4Net, zones: usize) -> Option<SubnetCidrs> {
        match &self.explicit {
            None => {
                let plan = plan_subnets(vpc, zones);
                if plan.is_none() {
                    stack.error(
                        &self.address(),
                        "cidr",
                        &format!(
                            "`{vpc}` is too small for 3 tiers of subnets in {zones} zones (each at least /{SMALLEST_SUBNET})"
                        ),
                        "use a larger VPC range (a /16 is typical) or fewer zones",
                    );
                }
                plan
            }
            Some(explicit) => self.check_explicit(stack, vpc, zones, explicit),
        }
    }

    fn check_explicit(
        &self,
        stack: &mut Stack,
        vpc: Ipv4Net,
        zones: usize,
        explicit: &SubnetCidrs,
    ) -> Option<SubnetCidrs> {
        let address = self.address();
        let mut ok = true;
        let mut all: Vec<(String, Ipv4Net)> = Vec::new();
        for (tier, list) in [
            ("public", &explicit.public),
            ("private", &explicit.private),
            ("database", &explicit.database),
        ] {
            let field = format!("subnet_cidrs.{tier}");
            if list.len() != zones {
                stack.error(
                    &address,
                    &field,
                    &format!("{} {tier} subnet CIDRs for {zones} zones", list.len()),
                    &format!("give exactly one {tier} CIDR per zone ({zones})"),
                );
                ok = false;
            }
            for text in list {
                match text.parse::<Ipv4Net>() {
                    Ok(net) if !vpc.contains(&net) => {
                        stack.error(
                            &address,
                            &field,
                            &format!("`{net}` is outside the VPC range `{vpc}`"),
                            &format!("use a range inside `{vpc}`"),
                        );
                        ok = false;
                    }
                    Ok(net) if net.prefix_len() > SMALLEST_SUBNET => {
                        stack.error(
                            &address,
                            &field,
                            &format!("`{net}` is smaller than AWS allows"),
                            "use a /28 or larger subnet",
                        );
                        ok = false;
                    }
                    Ok(net) => all.push((format!("{tier} `{net}`"), net)),
                    Err(_) => {
                        stack.error(
                            &address,
                            &field,
                            &format!("`{text}` is not an IPv4 CIDR"),
                            "write it as a.b.c.d/len, for example 10.0.1.0/24",
                        );
                        ok = false;
                    }
                }
            }
        }
        let nets: Vec<Ipv4Net> = all.iter().map(|(_, n)| *n).collect();
        for (a, b) in overlapping_pairs(&nets) {
            stack.error(
                &address,
                "subnet_cidrs",
                &format!("{} overlaps {}", all[a].0, all[b].0),
                "give every subnet its own range (or leave subnet_cidrs unset to have them planned)",
            );
            ok = false;
        }
        ok.then(|| explicit.clone())
    }
}

/// Plans subnets: private subnets take `zones` of the VPC's blocks split by the
/// next power of two above `zones`; the last block is split between public
/// and database subnets.
pub fn plan_subnets(vpc: Ipv4Net, zones: usize) -> Option<SubnetCidrs> {
    let bits = |n: usize| (usize::BITS - n.saturating_sub(1).leading_zeros()) as u8;
    let big = vpc.prefix_len().checked_add(bits(zones + 1))?;
    let private = carve(vpc, big, 0, zones)?;
    let last_block = carve(vpc, big, (1usize << (big - vpc.prefix_len())) - 1, 1)?;
    let small = big.checked_add(bits(2 * zones))?;
    if big > SMALLEST_SUBNET || small > SMALLEST_SUBNET {
        return None;
    }
    let public = carve(last_block[0], small, 0, zones)?;
    let database = carve(last_block[0], small, zones, zones)?;
    let text = |nets: Vec<Ipv4Net>| nets.iter().map(ToString::to_string).collect();
    Some(SubnetCidrs {
        public: text(public),
        private: text(private),
        database: text(database),
    })
}

impl Construct for Vpc {
    type Output = VpcHandle;

    fn describe(&self) -> String {
        format!("aws::Vpc \"{}\"", self.logical)
    }

    fn build(self, stack: &mut Stack) -> VpcHandle {
        let address = self.address();
        let net = match self.cidr.parse::<Ipv4Net>() {
            Ok(net) if net.addr() != net.network() => {
                stack.error(
                    &address,
                    "cidr",
                    &format!("`{net}` has host bits set"),
                    &format!("use the network address `{}`", net.trunc()),
                );
                None
            }
            Ok(net) if !(16..=28).contains(&net.prefix_len()) => {
                stack.error(
                    &address,
                    "cidr",
                    &format!("`{net}` is outside the /16 to /28 range AWS allows for a VPC"),
                    "use a /16 to /28 range (a /16 is typical)",
                );
                None
            }
            Ok(net) => Some(net),
            Err(_) => {
                stack.error(
                    &address,
                    "cidr",
                    &format!("`{}` is not an IPv4 CIDR", self.cidr),
                    "write it as a.b.c.d/len, for example 10.0.0.0/16",
                );
                None
            }
        };
        let zones = Region::resolve(stack, &address, "region", &self.region)
            .and_then(|region| region.zones(stack, &address, "zones", self.zones))
            .unwrap_or_else(|| vec![format!("{}a", self.region); self.zones.max(1)]);
        let cidrs = net
            .and_then(|net| self.plan(stack, net, zones.len()))
            .unwrap_or_else(|| SubnetCidrs {
                public: vec!["0.0.0.0/32".to_string(); zones.len()],
                private: vec!["0.0.0.0/32".to_string(); zones.len()],
                database: vec!["0.0.0.0/32".to_string(); zones.len()],
            });
        let l = &self.logical;
        let name = &self.name;
        let vpc = stack.resource::<kind::Vpc>(
            l,
            Attributes::new()
                .set("cidr_block", self.cidr.as_str())
                .set("enable_dns_support", true)
                .set("enable_dns_hostnames", true)
                .tagged_name(name),
        );
        // No rules at all: nothing may use the default group by accident.
        let default_security_group = stack.resource::<kind::DefaultSecurityGroup>(
            l,
            Attributes::new()
                .set("vpc_id", vpc.id())
                .tagged_name(format!("{name}-default-deny")),
        );
        let igw = stack.resource::<kind::InternetGateway>(
            l,
            Attributes::new().set("vpc_id", vpc.id()).tagged_name(name),
        );
        let letter = |zone: &String| zone.chars().last().unwrap_or('a').to_string();
        // One subnet of the tier per zone, in the tier's CIDR for that zone.
        let tier_subnets =
            |stack: &mut Stack, tier: &str, cidrs: &[String], role_tag: Option<&str>| {
                (0..zones.len())
                    .map(|i| {
                        let zone = &zones[i];
                        let mut tags =
                            Value::map().with("Name", format!("{name}-{tier}-{}", letter(zone)));
                        if let Some(tag) = role_tag {
                            tags.insert(tag, "1");
                        }
                        stack.resource::<kind::Subnet>(
                            &format!("{l}_{tier}_{}", letter(zone)),
                            Attributes::new()
                                .set("vpc_id", vpc.id())
                                .set("cidr_block", cidrs[i].as_str())
                                .set("availability_zone", zone.as_str())
                                .set("map_public_ip_on_launch", false)
                                .set("tags", tags),
                        )
                    })
                    .collect::<Vec<_>>()
            };
        let public_subnets = tier_subnets(
            stack,
            "public",
            &cidrs.public,
            Some("kubernetes.io/role/elb"),
        );
        let private_subnets = tier_subnets(
            stack,
            "private",
            &cidrs.private,
            Some("kubernetes.io/role/internal-elb"),
        );
        let database_subnets = tier_subnets(stack, "database", &cidrs.database, None);

        let public_rt = stack.resource::<kind::RouteTable>(
            &format!("{l}_public"),
            Attributes::new()
                .set("vpc_id", vpc.id())
                .tagged_name(format!("{name}-public")),
        );
        stack.resource::<kind::Route>(
            &format!("{l}_public_internet"),
            Attributes::new()
                .set("route_table_id", public_rt.id())
                .set("destination_cidr_block", "0.0.0.0/0")
                .set("gateway_id", igw.id()),
        );
        for (zone, subnet) in zones.iter().zip(&public_subnets) {
            stack.resource::<kind::RouteTableAssociation>(
                &format!("{l}_public_{}", letter(zone)),
                Attributes::new()
                    .set("subnet_id", subnet.id())
                    .set("route_table_id", public_rt.id()),
            );
        }
        let nat_count = if self.single_nat_gateway {
            1
        } else {
            zones.len()
        };
        let nat_gateways: Vec<Ref<kind::NatGateway>> = (0..nat_count)
            .map(|i| {
                let z = letter(&zones[i]);
                let eip = stack.resource::<kind::Eip>(
                    &format!("{l}_nat_{z}"),
                    Attributes::new()
                        .set("domain", "vpc")
                        .tagged_name(format!("{name}-nat-{z}"))
                        .depends_on(igw.address()),
                );
                stack.resource::<kind::NatGateway>(
                    &format!("{l}_{z}"),
                    Attributes::new()
                        .set("allocation_id", eip.id())
                        .set("subnet_id", public_subnets[i].id())
                        .tagged_name(format!("{name}-{z}"))
                        .depends_on(igw.address()),
                )
            })
            .collect();
        let mut private_route_tables = Vec::new();
        for (i, (zone, subnet)) in zones.iter().zip(&private_subnets).enumerate() {
            let z = letter(zone);
            let rt = stack.resource::<kind::RouteTable>(
                &format!("{l}_private_{z}"),
                Attributes::new()
                    .set("vpc_id", vpc.id())
                    .tagged_name(format!("{name}-private-{z}")),
            );
            stack.resource::<kind::Route>(
                &format!("{l}_private_{z}_nat"),
                Attributes::new()
                    .set("route_table_id", rt.id())
                    .set("destination_cidr_block", "0.0.0.0/0")
                    .set("nat_gateway_id", nat_gateways[i.min(nat_count - 1)].id()),
            );
            stack.resource::<kind::RouteTableAssociation>(
                &format!("{l}_private_{z}"),
                Attributes::new()
                    .set("subnet_id", subnet.id())
                    .set("route_table_id", rt.id()),
            );
            private_route_tables.push(rt);
        }
        // Database subnets have no route out of the VPC at all.
        let database_rt = stack.resource::<kind::RouteTable>(
            &format!("{l}_database"),
            Attributes::new()
                .set("vpc_id", vpc.id())
                .tagged_name(format!("{name}-database")),
        );
        for (zone, subnet) in zones.iter().zip(&database_subnets) {
            stack.resource::<kind::RouteTableAssociation>(
                &format!("{l}_database_{}", letter(zone)),
                Attributes::new()
                    .set("subnet_id", subnet.id())
                    .set("route_table_id", database_rt.id()),
            );
        }

        if ![
            1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
            2922, 3288, 3653,
        ]
        .contains(&self.flow_log_retention_days)
        {
            stack.error(
                &address,
                "flow_log_retention_days",
                &format!("{} is not a CloudWatch Logs retention period", self.flow_log_retention_days),
                "use one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653",
            );
        }
        let key = match self.flow_logs_key.clone() {
            Some(key) => key,
            None => stack.add(KmsKey::for_logs(
                &format!("{l}_flow_logs"),
                format!("{name}-flow-logs"),
                &self.region,
            )),
        };
        let log_group = stack.resource::<kind::LogGroup>(
            &format!("{l}_flow_logs"),
            Attributes::new()
                .set("name", format!("/aws/vpc-flow-logs/{name}"))
                .set("retention_in_days", self.flow_log_retention_days)
                .set("kms_key_id", key.arn())
                .tagged_name(format!("{name}-flow-logs"))
                .depends_on(key.policy.address()),
        );
        // A policy-document data source, which scanners analyse as an IAM
        // policy (JSON text they only see as a string).
        let write_flow_logs = PolicyDocument::new()
            .statement(
                Statement::allow(&[
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:DescribeLogGroups",
                    "logs:DescribeLogStreams",
                ])
                .on(log_group.arn())
                .on(log_group.arn().suffixed(":*")),
            )
            .to_data_source(stack, &format!("{l}_write_flow_logs"));
        let role = stack.add(
            IamRole::new(
                &format!("{l}_flow_logs"),
                format!("{name}-flow-logs"),
                // Only flow logs of this region may use the role (confused deputy).
                PolicyDocument::new()
                    .statement(
                        Statement::allow(&["sts:AssumeRole"])
                            .principal("Service", "vpc-flow-logs.amazonaws.com")
                            .condition(
                                "ArnLike",
                                "aws:SourceArn",
                                vec![Value::from(format!(
                                    "arn:*:ec2:{}:*:vpc-flow-log/*",
                                    self.region
                                ))],
                            ),
                    )
                    .to_json(),
            )
            .description("Lets VPC Flow Logs write to its log group")
            .inline_policy("write-flow-logs", write_flow_logs),
        );
        let flow_log = stack.resource::<kind::FlowLog>(
            l,
            Attributes::new()
                .set("vpc_id", vpc.id())
                .set("traffic_type", "ALL")
                .set("log_destination_type", "cloud-watch-logs")
                .set("log_destination", log_group.arn())
                .set("iam_role_arn", role.role.arn())
                .set("max_aggregation_interval", 60)
                .tagged_name(name),
        );
        VpcHandle {
            vpc,
            zones,
            cidrs,
            public_subnets,
            private_subnets,
            database_subnets,
            nat_gateways,
            flow_log,
            flow_log_group: log_group,
            flow_log_role: role,
            default_security_group,
            internet_gateway: igw,
            public_route_table: public_rt,
            private_route_tables,
            database_route_table: database_rt,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(stack: &Stack) -> String {
        stack.diagnostics().to_string()
    }

    #[test]
    fn plans_non_overlapping_subnets() {
        let plan = plan_subnets("10.0.0.0/16".parse().unwrap(), 3).unwrap();
        assert_eq!(
            plan.private,
            vec!["10.0.0.0/18", "10.0.64.0/18", "10.0.128.0/18"]
        );
        assert_eq!(
            plan.public,
            vec!["10.0.192.0/21", "10.0.200.0/21", "10.0.208.0/21"]
        );
        assert_eq!(
            plan.database,
            vec!["10.0.216.0/21", "10.0.224.0/21", "10.0.232.0/21"]
        );
        let all: Vec<Ipv4Net> = [plan.public, plan.private, plan.database]
            .concat()
            .iter()
            .map(|c| c.parse().unwrap())
            .collect();
        assert!(overlapping_pairs(&all).is_empty());
        for zones in 1..=6 {
            assert!(
                plan_subnets("10.0.0.0/20".parse().unwrap(), zones).is_some(),
                "{zones}"
            );
        }
    }

    #[test]
    fn defaults_are_three_zones_nat_per_zone_and_locked_default_group() {
        let mut stack = Stack::new("t");
        let vpc = stack.add(Vpc::new("main", "t", "10.0.0.0/16", "us-east-1"));
        assert_eq!(vpc.zones, vec!["us-east-1a", "us-east-1b", "us-east-1c"]);
        assert_eq!(vpc.nat_gateways.len(), 3);
        let text = String::from_utf8(stack.synth().unwrap().main_tf_json().into()).unwrap();
        assert!(text.contains("\"aws_default_security_group\""));
        assert!(!text.contains("\"ingress\""));
        assert!(text.contains("\"map_public_ip_on_launch\": false"));
        assert!(text.contains("\"kms_key_id\": \"${aws_kms_key.main_flow_logs.arn}\""));
    }

    #[test]
    fn single_nat_gateway() {
        let mut stack = Stack::new("t");
        let vpc =
            stack.add(Vpc::new("main", "t", "10.0.0.0/16", "us-east-1").single_nat_gateway(true));
        assert_eq!(vpc.nat_gateways.len(), 1);
        assert!(stack.synth().is_ok());
    }

    #[test]
    fn too_small_vpc_is_an_error() {
        let mut stack = Stack::new("t");
        stack.add(Vpc::new("main", "t", "10.0.0.0/26", "us-east-1"));
        let text = errors(&stack);
        assert!(
            text.contains("resource `aws_vpc.main`, field `cidr`"),
            "{text}"
        );
        assert!(
            text.contains("too small") && text.contains("use a larger VPC range"),
            "{text}"
        );
    }

    #[test]
    fn bad_cidrs_are_errors() {
        for (cidr, expected) in [
            ("10.0.0.1/16", "use the network address `10.0.0.0/16`"),
            ("10.0.0.0/8", "outside the /16 to /28 range"),
            ("ten/16", "is not an IPv4 CIDR"),
        ] {
            let mut stack = Stack::new("t");
            stack.add(Vpc::new("main", "t", cidr, "us-east-1"));
            let text = errors(&stack);
            assert!(
                text.contains("field `cidr`") && text.contains(expected),
                "{text}"
            );
        }
    }

    #[test]
    fn more_zones_than_the_region_has_is_an_error() {
        let mut stack = Stack::new("t");
        stack.add(Vpc::new("main", "t", "10.0.0.0/16", "eu-west-1").zones(4));
        let text = errors(&stack);
        assert!(
            text.contains("field `zones`: 4 availability zones requested, but eu-west-1 has 3"),
            "{text}"
        );
    }

    #[test]
    fn unknown_region_is_an_error() {
        let mut stack = Stack::new("t");
        stack.add(Vpc::new("main", "t", "10.0.0.0/16", "eu-middle-7"));
        let text = errors(&stack);
        assert!(
            text.contains("field `region`: `eu-middle-7` is not a known AWS region"),
            "{text}"
        );
    }

    #[test]
    fn overlapping_explicit_subnets_are_errors() {
        let mut stack = Stack::new("t");
        let list = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        stack.add(
            Vpc::new("main", "t", "10.0.0.0/16", "us-east-1")
                .zones(2)
                .subnet_cidrs(SubnetCidrs {
                    public: list(&["10.0.0.0/24", "10.0.1.0/24"]),
                    private: list(&["10.0.0.0/20", "10.0.16.0/20"]),
                    database: list(&["10.1.0.0/24", "10.0.40.0/24"]),
                }),
        );
        let text = errors(&stack);
        assert!(
            text.contains(
                "field `subnet_cidrs`: private `10.0.0.0/20` overlaps public `10.0.0.0/24`"
            ) || text.contains("overlaps"),
            "{text}"
        );
        assert!(
            text.contains("field `subnet_cidrs.database`: `10.1.0.0/24` is outside the VPC range"),
            "{text}"
        );
        assert!(text.contains("give every subnet its own range"), "{text}");
    }

    #[test]
    fn bad_retention_is_an_error() {
        let mut stack = Stack::new("t");
        stack.add(Vpc::new("main", "t", "10.0.0.0/16", "us-east-1").flow_log_retention_days(10));
        assert!(errors(&stack).contains("field `flow_log_retention_days`"));
    }

    #[test]
    fn explicit_subnets_of_the_wrong_count_size_or_syntax_are_errors() {
        let mut stack = Stack::new("t");
        let list = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        stack.add(
            Vpc::new("main", "t", "10.0.0.0/16", "us-east-1")
                .zones(2)
                .subnet_cidrs(SubnetCidrs {
                    public: list(&["10.0.0.0/24"]),
                    private: list(&["10.0.16.0/20", "10.0.32.0/30"]),
                    database: list(&["10.0.64.0/24", "not-a-cidr"]),
                }),
        );
        let text = errors(&stack);
        assert!(
            text.contains("field `subnet_cidrs.public`: 1 public subnet CIDRs for 2 zones"),
            "{text}"
        );
        assert!(
            text.contains(
                "field `subnet_cidrs.private`: `10.0.32.0/30` is smaller than AWS allows"
            ),
            "{text}"
        );
        assert!(
            text.contains("field `subnet_cidrs.database`: `not-a-cidr` is not an IPv4 CIDR"),
            "{text}"
        );
    }
}
