//! Private DNS zones (`privatelink.*`) linked to the virtual network, so PaaS
//! host names resolve to private addresses inside it.

use super::kind;
use super::resource_group::ResourceGroupHandle;
use crate::core::block::Attributes;
use crate::core::reference::{Attr, Id, Ref};
use crate::core::stack::{Construct, Stack};

/// A private DNS zone and its link to one virtual network.
///
/// ```
/// use infrasynth::azure::{Network, PrivateDnsZone, ResourceGroup};
/// use infrasynth::Stack;
/// let mut stack = Stack::new("demo");
/// let rg = stack.add(ResourceGroup::new("main", "demo", "westeurope"));
/// let net = stack.add(Network::standard("main", "demo", &rg, "10.0.0.0/16"));
/// let zone = stack.add(PrivateDnsZone::new("redis", "privatelink.redis.cache.windows.net", &rg, net.vnet_id()));
/// assert_eq!(zone.zone.address().to_string(), "azurerm_private_dns_zone.redis");
/// ```
pub struct PrivateDnsZone {
    logical_name: String,
    zone_name: String,
    resource_group: ResourceGroupHandle,
    vnet_id: Attr<Id<kind::VirtualNetwork>>,
}

/// The zone and its network link.
#[derive(Clone, Debug)]
pub struct PrivateDnsZoneHandle {
    /// The zone.
    pub zone: Ref<kind::PrivateDnsZone>,
    /// The link to the virtual network (servers in the zone wait for it).
    pub link: Ref<kind::PrivateDnsZoneVirtualNetworkLink>,
}

impl PrivateDnsZone {
    /// The zone `zone_name` (such as `privatelink.postgres.database.azure.com`)
    /// linked to the network `vnet_id`.
    pub fn new(
        logical_name: &str,
        zone_name: &str,
        resource_group: &ResourceGroupHandle,
        vnet_id: Attr<Id<kind::VirtualNetwork>>,
    ) -> Self {
        PrivateDnsZone {
            logical_name: logical_name.to_string(),
            zone_name: zone_name.to_string(),
            resource_group: resource_group.clone(),
            vnet_id,
        }
    }
}

impl Construct for PrivateDnsZone {
    type Output = PrivateDnsZoneHandle;

    fn describe(&self) -> String {
        format!("azure::PrivateDnsZone \"{}\"", self.logical_name)
    }

    fn build(self, stack: &mut Stack) -> PrivateDnsZoneHandle {
        let rg = &self.resource_group;
        let zone = stack.resource::<kind::PrivateDnsZone>(
            &self.logical_name,
            Attributes::new()
                .set("name", self.zone_name.as_str())
                .set("resource_group_name", &rg.name)
                .tagged(),
        );
        let link = stack.resource::<kind::PrivateDnsZoneVirtualNetworkLink>(
            &self.logical_name,
            Attributes::new()
                .set(
                    "name",
                    format!("{}-vnet-link", self.logical_name.replace('_', "-")),
                )
                .set("resource_group_name", &rg.name)
                .set("private_dns_zone_name", zone.name())
                .set("virtual_network_id", &self.vnet_id)
                .set("registration_enabled", false)
                .tagged(),
        );
        PrivateDnsZoneHandle { zone, link }
    }
}
