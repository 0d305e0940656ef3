//! A private endpoint: a PaaS resource reachable on a private address in a
//! subnet, registered in a private DNS zone.

use super::kind;
use super::private_dns::PrivateDnsZoneHandle;
use super::resource_group::ResourceGroupHandle;
use crate::core::reference::{Attr, Id, Ref};
use crate::core::stack::{Construct, Stack};
use crate::map;

/// A private endpoint for one sub-resource (`redisCache`, `vault`, `blob`...).
pub struct PrivateEndpoint {
    logical_name: String,
    name: String,
    resource_group: ResourceGroupHandle,
    subnet_id: Attr<Id<kind::Subnet>>,
    target_id: crate::core::value::Value,
    subresource: String,
    dns_zone: PrivateDnsZoneHandle,
}

impl PrivateEndpoint {
    /// An endpoint named `name` in `subnet_id` for `target_id`'s `subresource`,
    /// registered in `dns_zone`.
    pub fn new<K>(
        logical_name: &str,
        name: &str,
        resource_group: &ResourceGroupHandle,
        subnet_id: Attr<Id<kind::Subnet>>,
        target_id: Attr<Id<K>>,
        subresource: &str,
        dns_zone: &PrivateDnsZoneHandle,
    ) -> Self {
        PrivateEndpoint {
            logical_name: logical_name.to_string(),
            name: name.to_string(),
            resource_group: resource_group.clone(),
            subnet_id,
            target_id: target_id.into(),
            subresource: subresource.to_string(),
            dns_zone: dns_zone.clone(),
        }
    }
}

impl Construct for PrivateEndpoint {
    type Output = Ref<kind::PrivateEndpoint>;

    fn describe(&self) -> String {
        format!("azure::PrivateEndpoint \"{}\"", self.logical_name)
    }

    fn build(self, stack: &mut Stack) -> Ref<kind::PrivateEndpoint> {
        let rg = &self.resource_group;
        stack.resource::<kind::PrivateEndpoint>(
            &self.logical_name,
            rg.attributes_for(self.name.as_str())
                .set("subnet_id", &self.subnet_id)
                .block(
                    "private_service_connection",
                    map! {
                        "name" => format!("{}-connection", self.name),
                        "private_connection_resource_id" => self.target_id,
                        "subresource_names" => vec![self.subresource.as_str()],
                        "is_manual_connection" => false,
                    },
                )
                .block(
                    "private_dns_zone_group",
                    map! {
                        "name" => "default",
                        "private_dns_zone_ids" => vec![self.dns_zone.zone.id()],
                    },
                )
                .depends_on(self.dns_zone.link.address())
                .tagged(),
        )
    }
}
