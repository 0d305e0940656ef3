//! The VPC: a custom-mode network, one regional subnetwork for the cluster's nodes
//! with secondary ranges for pods and services, flow logs, Cloud NAT for private
//! nodes' egress, and firewall rules that deny by default.

use ipnet::Ipv4Net;

use super::firewall::Firewalls;
use super::kind;
use super::region::Region;
use crate::core::block::Attributes;
use crate::core::cidr::{carve, overlapping_pairs};
use crate::core::reference::{Ref, ResourceKind};
use crate::core::stack::{Construct, Stack};
use crate::map;

/// The secondary range of the subnetwork that GKE pods take addresses from.
pub const PODS_RANGE: &str = "pods";
/// The secondary range of the subnetwork that GKE services take addresses from.
pub const SERVICES_RANGE: &str = "services";

/// Every address range the platform uses inside one network, none overlapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NetworkPlan {
    /// The subnetwork's primary range (nodes, internal load balancers).
    pub nodes: Ipv4Net,
    /// Secondary range for pods (the largest: a /24 per node).
    pub pods: Ipv4Net,
    /// Secondary range for Kubernetes services.
    pub services: Ipv4Net,
    /// Reserved for private services access (Cloud SQL, Memorystore).
    pub private_services: Ipv4Net,
    /// The GKE control plane's /28.
    pub master: Ipv4Net,
}

impl NetworkPlan {
    /// Carves the plan out of `base`: pods take the upper half, nodes, services and
    /// private services access one sixteenth each, and the control plane a /28 of
    /// the fourth sixteenth. `None` when `base` is smaller than a /20.
    ///
    /// ```
    /// use infrasynth::gcp::NetworkPlan;
    /// let plan = NetworkPlan::from_base("10.30.0.0/16".parse().unwrap()).unwrap();
    /// assert_eq!(plan.nodes.to_string(), "10.30.0.0/20");
    /// assert_eq!(plan.services.to_string(), "10.30.16.0/20");
    /// assert_eq!(plan.private_services.to_string(), "10.30.32.0/20");
    /// assert_eq!(plan.master.to_string(), "10.30.48.0/28");
    /// assert_eq!(plan.pods.to_string(), "10.30.128.0/17");
    /// ```
    pub fn from_base(base: Ipv4Net) -> Option<NetworkPlan> {
        let p = base.prefix_len();
        if p > 20 {
            return None;
        }
        let pods = carve(base, p + 1, 1, 1)?;
        let sixteenths = carve(base, p + 4, 0, 4)?;
        let master = carve(sixteenths[3], 28, 0, 1)?;
        Some(NetworkPlan {
            nodes: sixteenths[0],
            pods: pods[0],
            services: sixteenths[1],
            private_services: sixteenths[2],
            master: master[0],
        })
    }

    /// The ranges with the field names a diagnostic reports.
    pub fn named(&self) -> [(&'static str, Ipv4Net); 5] {
        [
            ("ip_cidr_range (nodes)", self.nodes),
            ("secondary_ip_range.pods", self.pods),
            ("secondary_ip_range.services", self.services),
            ("private_services_range", self.private_services),
            ("master_ipv4_cidr_block", self.master),
        ]
    }

    /// How many nodes the pods range can hold at GKE's default of 110 pods per
    /// node (a /24 each).
    pub fn node_capacity(&self) -> u64 {
        1u64 << 24u32
            .saturating_sub(u32::from(self.pods.prefix_len()))
            .min(32)
    }
}

/// What [`Network`] created.
#[derive(Clone, Debug)]
pub struct NetworkHandles {
    /// The VPC network.
    pub network: Ref<kind::Network>,
    /// The nodes' subnetwork.
    pub subnetwork: Ref<kind::Subnetwork>,
    /// The Cloud Router.
    pub router: Ref<kind::Router>,
    /// Cloud NAT.
    pub nat: Ref<kind::RouterNat>,
    /// The address plan.
    pub plan: NetworkPlan,
}

/// A custom-mode VPC with one regional subnetwork, Cloud NAT and deny-by-default
/// firewall rules.
///
/// ```
/// use infrasynth::gcp::{Network, NetworkPlan};
/// use infrasynth::Stack;
/// let mut stack = Stack::new("demo");
/// let plan = NetworkPlan::from_base("10.0.0.0/16".parse().unwrap()).unwrap();
/// let net = stack.add(Network::new("main", "demo", "us-central1", plan));
/// assert_eq!(net.subnetwork.address().to_string(), "google_compute_subnetwork.main");
/// assert!(stack.diagnostics().is_empty());
/// ```
#[derive(Clone, Debug)]
pub struct Network {
    logical: String,
    name: String,
    region: String,
    plan: NetworkPlan,
    flow_sampling: f64,
}

impl Network {
    /// A network named `name` in GCP (`logical` in Terraform) with `plan`'s ranges.
    pub fn new(logical: &str, name: &str, region: &str, plan: NetworkPlan) -> Self {
        Network {
            logical: logical.to_string(),
            name: name.to_string(),
            region: region.to_string(),
            plan,
            flow_sampling: 0.5,
        }
    }

    /// Fraction of flows sampled into VPC flow logs (default 0.5; 0 < x <= 1).
    pub fn flow_sampling(mut self, fraction: f64) -> Self {
        self.flow_sampling = fraction;
        self
    }

    fn validate(&self, stack: &mut Stack) {
        let resource = format!("{}.{}", kind::Subnetwork::TYPE, self.logical);
        if let Err(message) = Region::parse(&self.region) {
            stack.error(
                &resource,
                "region",
                &message.message,
                "use a region such as us-central1 (see `gcloud compute regions list`)",
            );
        }
        let named = self.plan.named();
        let nets: Vec<Ipv4Net> = named.iter().map(|(_, net)| *net).collect();
        for (a, b) in overlapping_pairs(&nets) {
            stack.error(
                &resource,
                named[b].0,
                &format!(
                    "{} `{}` overlaps {} `{}`",
                    named[b].0, named[b].1, named[a].0, named[a].1
                ),
                "give the primary range, the pods and services secondary ranges, the private services range and the GKE master /28 disjoint ranges (NetworkPlan::from_base computes such a plan)",
            );
        }
        if !(self.flow_sampling > 0.0 && self.flow_sampling <= 1.0) {
            stack.error(
                &resource,
                "log_config.flow_sampling",
                &format!("flow sampling {} is outside (0, 1]", self.flow_sampling),
                "sample a fraction above 0 and at most 1 (0.5 is the default)",
            );
        }
    }
}

impl Construct for Network {
    type Output = NetworkHandles;

    fn describe(&self) -> String {
        format!("gcp::Network \"{}\"", self.logical)
    }

    fn build(self, stack: &mut Stack) -> NetworkHandles {
        self.validate(stack);
        let plan = self.plan;
        let network = stack.resource::<kind::Network>(
            &self.logical,
            Attributes::new()
                .set("name", self.name.as_str())
                .set("auto_create_subnetworks", false)
                .set("routing_mode", "REGIONAL")
                // The default internet route is what Cloud NAT and Private Google
                // Access send traffic through; the firewall decides what may use it.
                .set("delete_default_routes_on_create", false)
                .set("description", "Managed by infrasynth"),
        );
        let subnetwork = stack.resource::<kind::Subnetwork>(
            &self.logical,
            Attributes::new()
                .set("name", format!("{}-nodes", self.name))
                .set("network", network.id())
                .set("region", self.region.as_str())
                .set("ip_cidr_range", plan.nodes.to_string())
                .set("stack_type", "IPV4_ONLY")
                .set("private_ip_google_access", true)
                .blocks(
                    "secondary_ip_range",
                    vec![
                        map! { "range_name" => PODS_RANGE, "ip_cidr_range" => plan.pods.to_string() },
                        map! { "range_name" => SERVICES_RANGE, "ip_cidr_range" => plan.services.to_string() },
                    ],
                )
                .block(
                    "log_config",
                    map! {
                        "aggregation_interval" => "INTERVAL_5_SEC",
                        "flow_sampling" => self.flow_sampling,
                        "metadata" => "INCLUDE_ALL_METADATA",
                    },
                ),
        );
        let router = stack.resource::<kind::Router>(
            &self.logical,
            Attributes::new()
                .set("name", format!("{}-router", self.name))
                .set("network", network.id())
                .set("region", self.region.as_str()),
        );
        let nat = stack.resource::<kind::RouterNat>(
            &self.logical,
            Attributes::new()
                .set("name", format!("{}-nat", self.name))
                .set("router", router.name())
                .set("region", self.region.as_str())
                .set("nat_ip_allocate_option", "AUTO_ONLY")
                .set("source_subnetwork_ip_ranges_to_nat", "LIST_OF_SUBNETWORKS")
                .block(
                    "subnetwork",
                    map! {
                        "name" => subnetwork.id(),
                        "source_ip_ranges_to_nat" => vec!["ALL_IP_RANGES"],
                    },
                )
                .block(
                    "log_config",
                    map! { "enable" => true, "filter" => "ERRORS_ONLY" },
                ),
        );
        stack.add(Firewalls::new(
            &self.logical,
            &self.name,
            network.id(),
            plan,
        ));
        NetworkHandles {
            network,
            subnetwork,
            router,
            nat,
            plan,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> NetworkPlan {
        NetworkPlan::from_base("10.10.0.0/16".parse().unwrap()).unwrap()
    }

    #[test]
    fn the_plan_has_no_overlaps_for_any_base_size() {
        for base in [
            "10.0.0.0/8",
            "10.10.0.0/16",
            "172.16.0.0/18",
            "192.168.16.0/20",
        ] {
            let plan = NetworkPlan::from_base(base.parse().unwrap()).unwrap();
            let nets: Vec<Ipv4Net> = plan.named().iter().map(|(_, n)| *n).collect();
            assert!(overlapping_pairs(&nets).is_empty(), "{base}: {plan:?}");
            assert_eq!(plan.master.prefix_len(), 28);
        }
        assert!(NetworkPlan::from_base("10.0.0.0/21".parse().unwrap()).is_none());
        assert_eq!(plan().node_capacity(), 128);
    }

    #[test]
    fn defaults_are_private_and_logged() {
        let mut stack = Stack::new("t");
        let net = stack.add(Network::new("main", "demo", "us-central1", plan()));
        let subnet = stack.block(net.subnetwork.address()).unwrap();
        assert_eq!(subnet.get("private_ip_google_access"), Some(&true.into()));
        assert_eq!(
            subnet.get("log_config.metadata").and_then(|v| v.as_str()),
            Some("INCLUDE_ALL_METADATA")
        );
        let network = stack.block(net.network.address()).unwrap();
        assert_eq!(network.get("auto_create_subnetworks"), Some(&false.into()));
        assert!(stack.diagnostics().is_empty());
    }

    #[test]
    fn overlapping_ranges_are_errors_naming_the_field() {
        let mut stack = Stack::new("t");
        let mut overlapping = plan();
        overlapping.services = "10.10.0.0/22".parse().unwrap();
        stack.add(Network::new("main", "demo", "us-central1", overlapping));
        let text = stack.diagnostics().to_string();
        assert!(text.contains("secondary_ip_range.services"), "{text}");
        assert!(text.contains("overlaps ip_cidr_range (nodes)"), "{text}");
        assert!(text.contains("disjoint"), "{text}");
    }

    #[test]
    fn an_unknown_region_is_an_error() {
        let mut stack = Stack::new("t");
        stack.add(Network::new("main", "demo", "us-central", plan()));
        let text = stack.diagnostics().to_string();
        assert!(text.contains("field `region`"), "{text}");
        assert!(text.contains("us-central1"), "{text}");
    }

    #[test]
    fn flow_sampling_is_bounded() {
        let mut stack = Stack::new("t");
        stack.add(Network::new("main", "demo", "us-central1", plan()).flow_sampling(0.0));
        assert!(stack
            .diagnostics()
            .to_string()
            .contains("log_config.flow_sampling"));
    }
}
