//! Firewall rules that deny by default: every ingress and every egress not
//! allowed below is denied (and logged), instead of relying on GCP's implied
//! rules (which allow all egress).
//!
//! Allowed: traffic among nodes and pods; the GKE control plane to the nodes'
//! kubelet and admission webhook ports; Google's load balancer health checks;
//! egress to the platform's own ranges (including Cloud SQL and Memorystore
//! behind private services access); and HTTPS egress, which Private Google Access
//! and image pulls through Cloud NAT need.

use super::kind;
use super::network::NetworkPlan;
use crate::core::block::Attributes;
use crate::core::reference::{Attr, Id};
use crate::core::stack::{Construct, Stack};
use crate::map;
use crate::Value;

/// Google's load balancer and health check source ranges.
pub const HEALTH_CHECK_RANGES: [&str; 2] = ["35.191.0.0/16", "130.211.0.0/22"];

/// Ports the GKE control plane calls on nodes: HTTPS, kubelet and the usual
/// admission webhook ports.
pub const CONTROL_PLANE_PORTS: [&str; 4] = ["443", "8443", "9443", "10250"];

/// The deny-by-default rule set of a network.
pub struct Firewalls {
    logical: String,
    name: String,
    network: Attr<Id<kind::Network>>,
    plan: NetworkPlan,
}

impl Firewalls {
    /// The rules for `network`, whose ranges `plan` describes.
    pub fn new(
        logical: &str,
        name: &str,
        network: Attr<Id<kind::Network>>,
        plan: NetworkPlan,
    ) -> Self {
        Firewalls {
            logical: logical.to_string(),
            name: name.to_string(),
            network,
            plan,
        }
    }

    fn rule(
        &self,
        stack: &mut Stack,
        suffix: &str,
        attributes: Attributes,
    ) -> crate::Ref<kind::Firewall> {
        stack.resource::<kind::Firewall>(
            &format!("{}_{}", self.logical, suffix.replace('-', "_")),
            attributes
                .set("name", format!("{}-{suffix}", self.name))
                .set("network", &self.network),
        )
    }
}

fn allow(protocol: &str, ports: &[&str]) -> Value {
    if ports.is_empty() {
        map! { "protocol" => protocol }
    } else {
        map! { "protocol" => protocol, "ports" => ports.to_vec() }
    }
}

fn logged() -> Value {
    map! { "metadata" => "INCLUDE_ALL_METADATA" }
}

impl Construct for Firewalls {
    type Output = ();

    fn describe(&self) -> String {
        format!("gcp::Firewalls \"{}\"", self.logical)
    }

    fn build(self, stack: &mut Stack) {
        let p = self.plan;
        let internal = vec![p.nodes.to_string(), p.pods.to_string()];
        let everything_ours = vec![
            p.nodes.to_string(),
            p.pods.to_string(),
            p.services.to_string(),
            p.private_services.to_string(),
            p.master.to_string(),
        ];
        self.rule(
            stack,
            "deny-all-ingress",
            Attributes::new()
                .set(
                    "description",
                    "Deny every ingress not allowed by a higher-priority rule",
                )
                .set("direction", "INGRESS")
                .set("priority", 65534)
                .set("source_ranges", vec!["0.0.0.0/0"])
                .block("deny", allow("all", &[]))
                .block("log_config", logged()),
        );
        self.rule(
            stack,
            "allow-internal-ingress",
            Attributes::new()
                .set("description", "Nodes and pods reach each other")
                .set("direction", "INGRESS")
                .set("priority", 1000)
                .set("source_ranges", internal)
                .blocks(
                    "allow",
                    vec![allow("tcp", &[]), allow("udp", &[]), allow("icmp", &[])],
                ),
        );
        self.rule(
            stack,
            "allow-control-plane-ingress",
            Attributes::new()
                .set(
                    "description",
                    "The GKE control plane reaches kubelets and admission webhooks",
                )
                .set("direction", "INGRESS")
                .set("priority", 1000)
                .set("source_ranges", vec![p.master.to_string()])
                .block("allow", allow("tcp", &CONTROL_PLANE_PORTS)),
        );
        self.rule(
            stack,
            "allow-health-checks",
            Attributes::new()
                .set("description", "Google Cloud load balancer health checks")
                .set("direction", "INGRESS")
                .set("priority", 1000)
                .set("source_ranges", HEALTH_CHECK_RANGES.to_vec())
                .block("allow", allow("tcp", &[])),
        );
        self.rule(
            stack,
            "deny-all-egress",
            Attributes::new()
                .set(
                    "description",
                    "Deny every egress not allowed by a higher-priority rule",
                )
                .set("direction", "EGRESS")
                .set("priority", 65534)
                .set("destination_ranges", vec!["0.0.0.0/0"])
                .block("deny", allow("all", &[]))
                .block("log_config", logged()),
        );
        self.rule(
            stack,
            "allow-internal-egress",
            Attributes::new()
                .set(
                    "description",
                    "Egress to the platform's own ranges, Cloud SQL and Memorystore",
                )
                .set("direction", "EGRESS")
                .set("priority", 1000)
                .set("destination_ranges", everything_ours)
                .blocks(
                    "allow",
                    vec![allow("tcp", &[]), allow("udp", &[]), allow("icmp", &[])],
                ),
        );
        self.rule(
            stack,
            "allow-https-egress",
            Attributes::new()
                .set(
                    "description",
                    "HTTPS to Google APIs (Private Google Access) and registries (Cloud NAT)",
                )
                .set("direction", "EGRESS")
                .set("priority", 1000)
                .set("destination_ranges", vec!["0.0.0.0/0"])
                .block("allow", allow("tcp", &["443"])),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::reference::ResourceKind;

    #[test]
    fn denies_by_default_in_both_directions() {
        let mut stack = Stack::new("t");
        let network = stack.resource::<kind::Network>("main", Attributes::new());
        let plan = NetworkPlan::from_base("10.0.0.0/16".parse().unwrap()).unwrap();
        stack.add(Firewalls::new("main", "demo", network.id(), plan));
        let denies: Vec<_> = stack
            .blocks()
            .iter()
            .filter(|b| b.address().resource_type() == kind::Firewall::TYPE)
            .filter(|b| b.get("deny").is_some())
            .map(|b| {
                b.get("direction")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        assert_eq!(denies, vec!["INGRESS", "EGRESS"]);
        assert!(stack.diagnostics().is_empty());
    }
}
