//! Security groups with typed rules: "from that security group on this port".
//! Rules are separate `aws_vpc_security_group_ingress_rule` /
//! `egress_rule` resources, so each has its own id and description and
//! changing one never recreates the others.

use ipnet::Ipv4Net;

use super::iam::NameTag;
use super::kind;
use crate::core::block::Attributes;
use crate::core::reference::{Attr, Id, Ref};
use crate::core::stack::{Construct, Stack};

/// Where an ingress rule's traffic comes from.
#[derive(Clone, Debug)]
pub enum Source {
    /// Members of another security group.
    Group(Attr<Id<kind::SecurityGroup>>),
    /// An IPv4 range.
    Cidr(String),
}

#[derive(Clone, Debug)]
struct Rule {
    source: Source,
    port: u16,
    description: String,
}

/// A security group. It starts with no rules at all (Terraform removes AWS's
/// default allow-all egress), so a data store behind it can only answer.
///
/// ```
/// use infrasynth::aws::{SecurityGroup, Vpc};
/// use infrasynth::Stack;
/// let mut stack = Stack::new("demo");
/// let vpc = stack.add(Vpc::new("main", "demo", "10.0.0.0/16", "us-east-1"));
/// let app = stack.add(SecurityGroup::new("app", "demo-app", vpc.id()));
/// let db = stack.add(
///     SecurityGroup::new("db", "demo-db", vpc.id())
///         .data_store()
///         .allow_from(app.id(), 5432, "PostgreSQL from the app"),
/// );
/// ```
pub struct SecurityGroup {
    logical: String,
    name: String,
    vpc_id: Attr<Id<kind::Vpc>>,
    description: String,
    data_store: bool,
    ingress: Vec<Rule>,
    egress_all: bool,
}

/// What [`SecurityGroup`] created.
#[derive(Clone, Debug)]
pub struct SecurityGroupHandle {
    /// The group.
    pub group: Ref<kind::SecurityGroup>,
    /// Its ingress rules.
    pub ingress: Vec<Ref<kind::IngressRule>>,
}

impl SecurityGroupHandle {
    /// The group's id.
    pub fn id(&self) -> Attr<Id<kind::SecurityGroup>> {
        self.group.id()
    }
}

impl SecurityGroup {
    /// A group named `name` in the VPC.
    pub fn new(logical: &str, name: &str, vpc_id: Attr<Id<kind::Vpc>>) -> Self {
        SecurityGroup {
            logical: logical.to_string(),
            name: name.to_string(),
            vpc_id,
            description: format!("Managed by infrasynth: {name}"),
            data_store: false,
            ingress: Vec::new(),
            egress_all: false,
        }
    }

    /// What the group is for.
    pub fn description(mut self, text: &str) -> Self {
        self.description = text.to_string();
        self
    }

    /// Marks the group as guarding a data store: ingress from the internet
    /// (`0.0.0.0/0` or any `/0`) is an error.
    pub fn data_store(mut self) -> Self {
        self.data_store = true;
        self
    }

    /// Allows TCP on `port` from members of `group`.
    pub fn allow_from(
        mut self,
        group: Attr<Id<kind::SecurityGroup>>,
        port: u16,
        description: &str,
    ) -> Self {
        self.ingress.push(Rule {
            source: Source::Group(group),
            port,
            description: description.to_string(),
        });
        self
    }

    /// Allows TCP on `port` from an IPv4 range.
    pub fn allow_cidr(mut self, cidr: &str, port: u16, description: &str) -> Self {
        self.ingress.push(Rule {
            source: Source::Cidr(cidr.to_string()),
            port,
            description: description.to_string(),
        });
        self
    }

    /// Allows all outbound traffic (for groups of compute, not data stores).
    pub fn allow_all_egress(mut self) -> Self {
        self.egress_all = true;
        self
    }
}

impl Construct for SecurityGroup {
    type Output = SecurityGroupHandle;

    fn describe(&self) -> String {
        format!("aws::SecurityGroup \"{}\"", self.logical)
    }

    fn build(self, stack: &mut Stack) -> SecurityGroupHandle {
        let address = format!("aws_security_group.{}", self.logical);
        let group = stack.resource::<kind::SecurityGroup>(
            &self.logical,
            Attributes::new()
                .set("name", self.name.as_str())
                .set("description", self.description.as_str())
                .set("vpc_id", self.vpc_id)
                .tagged_name(&self.name),
        );
        let mut ingress = Vec::new();
        for (i, rule) in self.ingress.iter().enumerate() {
            let mut attributes = Attributes::new()
                .set("security_group_id", group.id())
                .set("ip_protocol", "tcp")
                .set("from_port", rule.port)
                .set("to_port", rule.port)
                .set("description", rule.description.as_str());
            match &rule.source {
                Source::Group(source) => {
                    attributes = attributes.set("referenced_security_group_id", source);
                }
                Source::Cidr(cidr) => {
                    match cidr.parse::<Ipv4Net>() {
                        Ok(net) if net.prefix_len() == 0 && self.data_store => stack.error(
                            &address,
                            "ingress",
                            &format!(
                                "port {} of a data store would be open to the internet (`{cidr}`)",
                                rule.port
                            ),
                            "allow the security groups of the clients instead (allow_from)",
                        ),
                        Ok(_) => {}
                        Err(_) => stack.error(
                            &address,
                            "ingress",
                            &format!("`{cidr}` is not an IPv4 CIDR"),
                            "write it as a.b.c.d/len",
                        ),
                    }
                    attributes = attributes.set("cidr_ipv4", cidr.as_str());
                }
            }
            ingress.push(stack.resource::<kind::IngressRule>(
                &format!("{}_{}_{}", self.logical, rule.port, i),
                attributes,
            ));
        }
        if self.egress_all {
            stack.resource::<kind::EgressRule>(
                &format!("{}_all", self.logical),
                Attributes::new()
                    .set("security_group_id", group.id())
                    .set("ip_protocol", "-1")
                    .set("cidr_ipv4", "0.0.0.0/0")
                    .set("description", "All outbound traffic"),
            );
        }
        SecurityGroupHandle { group, ingress }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::Vpc;

    #[test]
    fn data_store_refuses_the_internet() {
        let mut stack = Stack::new("t");
        let vpc = stack.add(Vpc::new("main", "t", "10.0.0.0/16", "us-east-1"));
        stack.add(
            SecurityGroup::new("db", "t-db", vpc.id())
                .data_store()
                .allow_cidr("0.0.0.0/0", 5432, "everyone"),
        );
        let text = stack.diagnostics().to_string();
        assert!(
            text.contains("resource `aws_security_group.db`, field `ingress`"),
            "{text}"
        );
        assert!(text.contains("allow_from"), "{text}");
    }

    #[test]
    fn group_rules_reference_the_source_group() {
        let mut stack = Stack::new("t");
        let vpc = stack.add(Vpc::new("main", "t", "10.0.0.0/16", "us-east-1"));
        let app = stack.add(SecurityGroup::new("app", "t-app", vpc.id()).allow_all_egress());
        let db = stack.add(
            SecurityGroup::new("db", "t-db", vpc.id())
                .data_store()
                .allow_from(app.id(), 5432, "app"),
        );
        let rule = stack.block(db.ingress[0].address()).unwrap();
        assert_eq!(
            rule.get("referenced_security_group_id"),
            Some(&app.id().into())
        );
        assert!(stack.synth().is_ok());
    }

    #[test]
    fn invalid_cidr_is_an_error() {
        let mut stack = Stack::new("t");
        let vpc = stack.add(Vpc::new("main", "t", "10.0.0.0/16", "us-east-1"));
        stack.add(SecurityGroup::new("web", "t-web", vpc.id()).allow_cidr("10.0.0.0/33", 443, "x"));
        let text = stack.diagnostics().to_string();
        assert!(
            text.contains("field `ingress`: `10.0.0.0/33` is not an IPv4 CIDR"),
            "{text}"
        );
    }
}
