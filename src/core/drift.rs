//! What `drift` reports about objects in the cloud that Terraform does not
//! manage, whatever cloud found them: the object, and for a firewall rule
//! the normalized form that lets the report match it against the attribute
//! changes Terraform's refresh shows on its group (so one rule added out of
//! band is reported once).
//!
//! The SDK code that finds these objects lives behind each cloud's feature
//! (`aws::live::unmanaged`); this file compiles without it.

use std::fmt;

/// What kind of object a cloud holds beside the managed ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UnmanagedKind {
    /// A security group (AWS).
    SecurityGroup,
    /// A rule of a security group (AWS, `sgr-...`).
    SecurityGroupRule,
    /// A subnet (AWS).
    Subnet,
    /// A managed node group of a cluster (EKS).
    NodeGroup,
    /// An add-on of a cluster (EKS).
    Addon,
}

impl UnmanagedKind {
    /// The kind in the report's words: `security group rule`, ...; also the
    /// `kind` value of the JSON report (with `_` for spaces).
    pub fn as_str(self) -> &'static str {
        match self {
            UnmanagedKind::SecurityGroup => "security group",
            UnmanagedKind::SecurityGroupRule => "security group rule",
            UnmanagedKind::Subnet => "subnet",
            UnmanagedKind::NodeGroup => "node group",
            UnmanagedKind::Addon => "add-on",
        }
    }
}

impl fmt::Display for UnmanagedKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One object in the cloud that no resource of the Terraform state declares.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct UnmanagedObject {
    /// What it is.
    pub kind: UnmanagedKind,
    /// Its id in the cloud: `sgr-0abc`, `sg-0123`, `subnet-...`, or the
    /// node group's or add-on's name.
    pub id: String,
    /// What holds it: the security group of a rule, the VPC of a group or
    /// subnet, the cluster of a node group or add-on; with the Terraform
    /// address when Terraform manages the parent, as
    /// `sg-0123 (aws_security_group.cluster)`.
    pub parent: String,
    /// One readable line, such as
    /// `ingress tcp 22 from 0.0.0.0/0 on sg-0123 (aws_security_group.cluster)`.
    pub description: String,
    /// For a security group rule: its normalized form, to match it against
    /// the inline `ingress`/`egress` of its group in the state.
    pub rule: Option<RuleKey>,
}

/// A security group rule reduced to what identifies it: the group, the
/// direction, the protocol, the ports and one source or destination.
///
/// Protocols are lowercase names as EC2 returns them (`tcp`, `udp`,
/// `icmp`) or `-1` for all; numbers `6`, `17` and `1` are turned into those
/// names. With protocol `-1` the ports are `0`/`0`, whatever was given
/// (EC2 reports `-1`, the provider's inline blocks `0`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RuleKey {
    /// The security group's id.
    pub group_id: String,
    /// Egress (`true`) or ingress.
    pub egress: bool,
    /// Normalized protocol.
    pub protocol: String,
    /// First port (or ICMP type).
    pub from_port: i64,
    /// Last port (or ICMP code).
    pub to_port: i64,
    /// The peer: `cidr:10.0.0.0/8`, `cidr6:::/0`, `pl:pl-123`, `sg:sg-0123`.
    pub peer: String,
}

impl RuleKey {
    /// A key, normalizing the protocol and the ports of protocol `-1`.
    pub fn new(
        group_id: &str,
        egress: bool,
        protocol: &str,
        from_port: i64,
        to_port: i64,
        peer: String,
    ) -> RuleKey {
        let protocol = match protocol.to_ascii_lowercase().as_str() {
            "6" => "tcp".to_string(),
            "17" => "udp".to_string(),
            "1" => "icmp".to_string(),
            "all" | "-1" => "-1".to_string(),
            other => other.to_string(),
        };
        let (from_port, to_port) = if protocol == "-1" {
            (0, 0)
        } else {
            (from_port, to_port)
        };
        RuleKey {
            group_id: group_id.to_string(),
            egress,
            protocol,
            from_port,
            to_port,
            peer,
        }
    }

    /// `ingress tcp 22 from 0.0.0.0/0`, `egress all to sg-0123`,
    /// `ingress tcp 8000-8080 from pl-123`.
    pub fn describe(&self) -> String {
        let direction = if self.egress { "egress" } else { "ingress" };
        let preposition = if self.egress { "to" } else { "from" };
        let ports = if self.protocol == "-1" {
            "all traffic".to_string()
        } else if self.from_port == self.to_port {
            format!("{} {}", self.protocol, self.from_port)
        } else {
            format!("{} {}-{}", self.protocol, self.from_port, self.to_port)
        };
        let peer = self
            .peer
            .split_once(':')
            .map_or(self.peer.as_str(), |(_, p)| p);
        format!("{direction} {ports} {preposition} {peer}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_numbers_and_all_traffic_ports_are_normalized() {
        let a = RuleKey::new("sg-1", false, "6", 22, 22, "cidr:0.0.0.0/0".into());
        assert_eq!(a.protocol, "tcp");
        assert_eq!(a.describe(), "ingress tcp 22 from 0.0.0.0/0");
        // EC2 reports -1/-1 for all traffic, the provider's blocks 0/0.
        let ec2 = RuleKey::new("sg-1", true, "-1", -1, -1, "cidr:0.0.0.0/0".into());
        let provider = RuleKey::new("sg-1", true, "-1", 0, 0, "cidr:0.0.0.0/0".into());
        assert_eq!(ec2, provider);
        assert_eq!(ec2.describe(), "egress all traffic to 0.0.0.0/0");
    }
}
