//! Private services access: a reserved internal range peered into Google's
//! service producer network, so Cloud SQL and Memorystore get private IPs only.

use ipnet::Ipv4Net;

use super::kind;
use crate::core::block::Attributes;
use crate::core::reference::{Attr, Id, Ref, ResourceKind};
use crate::core::stack::{Construct, Stack};

/// What [`PrivateServiceAccess`] created.
#[derive(Clone, Debug)]
pub struct PrivateServiceAccessHandles {
    /// The reserved range (`purpose = VPC_PEERING`).
    pub range: Ref<kind::GlobalAddress>,
    /// The peering; Cloud SQL and Memorystore must depend on it.
    pub connection: Ref<kind::ServiceNetworkingConnection>,
}

/// A reserved range plus the service networking connection over it.
///
/// ```
/// use infrasynth::gcp::{kind, PrivateServiceAccess};
/// use infrasynth::{Attributes, Stack};
/// let mut stack = Stack::new("demo");
/// let network = stack.resource::<kind::Network>("main", Attributes::new());
/// let psa = stack.add(PrivateServiceAccess::new(
///     "main", "demo-psa", network.id(), "10.0.32.0/20".parse().unwrap(),
/// ));
/// assert!(stack.diagnostics().is_empty());
/// ```
pub struct PrivateServiceAccess {
    logical: String,
    name: String,
    network: Attr<Id<kind::Network>>,
    range: Ipv4Net,
}

impl PrivateServiceAccess {
    /// Reserves `range` in `network` for Google-managed services.
    pub fn new(
        logical: &str,
        name: &str,
        network: Attr<Id<kind::Network>>,
        range: Ipv4Net,
    ) -> Self {
        PrivateServiceAccess {
            logical: logical.to_string(),
            name: name.to_string(),
            network,
            range,
        }
    }
}

impl Construct for PrivateServiceAccess {
    type Output = PrivateServiceAccessHandles;

    fn describe(&self) -> String {
        format!("gcp::PrivateServiceAccess \"{}\"", self.logical)
    }

    fn build(self, stack: &mut Stack) -> PrivateServiceAccessHandles {
        if self.range.prefix_len() > 24 {
            stack.error(
                &format!("{}.{}", kind::GlobalAddress::TYPE, self.logical),
                "prefix_length",
                &format!(
                    "private services range `{}` is smaller than a /24",
                    self.range
                ),
                "reserve a /24 or larger (Cloud SQL needs a /24 per region; /20 leaves room)",
            );
        }
        let range = stack.resource::<kind::GlobalAddress>(
            &self.logical,
            Attributes::new()
                .set("name", self.name.as_str())
                .set("purpose", "VPC_PEERING")
                .set("address_type", "INTERNAL")
                .set("address", self.range.network().to_string())
                .set("prefix_length", u32::from(self.range.prefix_len()))
                .set("network", &self.network),
        );
        let connection = stack.resource::<kind::ServiceNetworkingConnection>(
            &self.logical,
            Attributes::new()
                .set("network", &self.network)
                .set("service", "servicenetworking.googleapis.com")
                .set("reserved_peering_ranges", vec![range.name()])
                // Deleting the peering fails while Google still holds producer
                // resources (Cloud SQL keeps them for days after deletion).
                .set("deletion_policy", "ABANDON"),
        );
        PrivateServiceAccessHandles { range, connection }
    }
}
