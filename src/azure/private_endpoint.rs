//! A private endpoint: a PaaS resource reachable on a private address in a
//! subnet, registered in a private DNS zone.

use super::kind;
use super::private_dns::PrivateDnsZoneHandle;
use super::resource_group::ResourceGroupHandle;
use crate::core::reference::{Attr, Id, Input, Ref};
use crate::core::stack::{Construct, Stack};
use crate::map;

/// The required inputs of a [`PrivateEndpoint`], named as in
/// `azurerm_private_endpoint`.
///
/// `name` is anything text converts from (`N: Into<Input<String>>`), so an
/// endpoint can be named after the resource it reaches even when that name is
/// computed (as [`StorageAccount`](crate::azure::StorageAccount) does); `K` is
/// the kind of that resource.
pub struct PrivateEndpointProps<'a, K, N> {
    /// The Terraform name of the endpoint (`azurerm_private_endpoint.<logical_name>`).
    pub logical_name: &'a str,
    /// The endpoint's name in Azure (`name`; its connection is named
    /// `<name>-connection`): 1-64 letters, digits, `_`, `.` and `-`, unique in
    /// the resource group, such as `<resource>-pe`.
    pub name: N,
    /// The resource group the endpoint is created in (its `location` too).
    pub resource_group: &'a ResourceGroupHandle,
    /// The subnet the endpoint's private address comes from (`subnet_id`):
    /// the network's private endpoint subnet
    /// ([`NetworkHandle::private_endpoints`](crate::azure::NetworkHandle::private_endpoints)).
    pub subnet_id: Attr<Id<kind::Subnet>>,
    /// The resource reached through the endpoint
    /// (`private_service_connection.private_connection_resource_id`): its id.
    pub private_connection_resource_id: Attr<Id<K>>,
    /// Which of its services the endpoint reaches
    /// (`private_service_connection.subresource_names`, one of them), such
    /// as `blob`, `vault` or `redisCache`.
    pub subresource_name: &'a str,
    /// The private DNS zone the endpoint's address is registered in
    /// (`private_dns_zone_group`), the one for the sub-resource (such as
    /// `privatelink.blob.core.windows.net`), linked to the network.
    pub dns_zone: &'a PrivateDnsZoneHandle,
}

/// A private endpoint for one sub-resource (`redisCache`, `vault`, `blob`...).
pub struct PrivateEndpoint {
    logical_name: String,
    name: Input<String>,
    resource_group: ResourceGroupHandle,
    subnet_id: Attr<Id<kind::Subnet>>,
    target_id: crate::core::value::Value,
    subresource: String,
    dns_zone: PrivateDnsZoneHandle,
}

impl PrivateEndpoint {
    /// An endpoint connected without manual approval, created after its DNS
    /// zone's network link so the address resolves as soon as it exists.
    pub fn new<K, N: Into<Input<String>>>(props: PrivateEndpointProps<'_, K, N>) -> Self {
        PrivateEndpoint {
            logical_name: props.logical_name.to_string(),
            name: props.name.into(),
            resource_group: props.resource_group.clone(),
            subnet_id: props.subnet_id,
            target_id: props.private_connection_resource_id.into(),
            subresource: props.subresource_name.to_string(),
            dns_zone: props.dns_zone.clone(),
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
            rg.attributes_for(&self.name)
                .set("subnet_id", &self.subnet_id)
                .block(
                    "private_service_connection",
                    map! {
                        "name" => self.name.suffixed("-connection"),
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

/// The required inputs of a service reached only through a private endpoint
/// that has no other required input, named as in its azurerm resource:
/// [`RedisCacheProps`](crate::azure::RedisCacheProps) and
/// [`ManagedRedisProps`](crate::azure::ManagedRedisProps) (see each for its
/// name rule and DNS zone).
#[derive(Clone, Debug)]
pub struct PrivateServiceProps<'a> {
    /// The Terraform name of the service (`<azurerm type>.<logical_name>`)
    /// and the prefix of its endpoint's.
    pub logical_name: &'a str,
    /// The service's name in Azure (`name`), globally unique (its rule is
    /// the service's).
    pub name: &'a str,
    /// The resource group the service and its endpoint are created in (their
    /// `location` too).
    pub resource_group: &'a ResourceGroupHandle,
    /// The subnet of the service's private endpoint: the network's private
    /// endpoint subnet
    /// ([`NetworkHandle::private_endpoints`](crate::azure::NetworkHandle::private_endpoints)).
    pub endpoint_subnet_id: Attr<Id<kind::Subnet>>,
    /// The private DNS zone of the service's endpoints, linked to the
    /// network, the endpoint registers in.
    pub dns_zone: &'a PrivateDnsZoneHandle,
}

/// Where the private endpoint of a service goes (subnet, DNS zone and an
/// optional name), as the builders of services reached only through one
/// keep it until they build the endpoint with [`EndpointPlacement::add`].
#[derive(Clone, Debug)]
pub(crate) struct EndpointPlacement {
    subnet_id: Attr<Id<kind::Subnet>>,
    dns_zone: PrivateDnsZoneHandle,
    name: Option<String>,
}

/// The service an [`EndpointPlacement`] reaches.
pub(crate) struct EndpointTarget<'a, K> {
    /// The endpoint's Terraform name.
    pub logical_name: &'a str,
    /// The endpoint's name unless [`EndpointPlacement::name`] was given.
    pub default_name: Input<String>,
    /// The group the endpoint is created in.
    pub resource_group: &'a ResourceGroupHandle,
    /// The service's id.
    pub id: Attr<Id<K>>,
    /// The sub-resource reached (`vault`, `blob`...).
    pub subresource_name: &'a str,
}

impl EndpointPlacement {
    /// An endpoint in `subnet_id` registered in `dns_zone`, with its default
    /// name.
    pub(crate) fn new(subnet_id: Attr<Id<kind::Subnet>>, dns_zone: &PrivateDnsZoneHandle) -> Self {
        EndpointPlacement {
            subnet_id,
            dns_zone: dns_zone.clone(),
            name: None,
        }
    }

    /// Names the endpoint `name` instead of its default.
    pub(crate) fn name(&mut self, name: &str) {
        self.name = Some(name.to_string());
    }

    /// Adds the endpoint reaching `target` to `stack`.
    pub(crate) fn add<K>(
        &self,
        stack: &mut Stack,
        target: EndpointTarget<'_, K>,
    ) -> Ref<kind::PrivateEndpoint> {
        stack.add(PrivateEndpoint::new(PrivateEndpointProps {
            logical_name: target.logical_name,
            name: self
                .name
                .as_deref()
                .map_or(target.default_name, Input::from),
            resource_group: target.resource_group,
            subnet_id: self.subnet_id.clone(),
            private_connection_resource_id: target.id,
            subresource_name: target.subresource_name,
            dns_zone: &self.dns_zone,
        }))
    }
}

/// For the tests of the services reached through a private endpoint: a
/// standard network in `rg`, the private DNS zone `zone` (Terraform name
/// `logical`) linked to it, and its private endpoint subnet.
#[cfg(test)]
pub(crate) fn test_endpoint_network(
    stack: &mut Stack,
    rg: &ResourceGroupHandle,
    logical: &str,
    zone: &str,
) -> (Attr<Id<kind::Subnet>>, PrivateDnsZoneHandle) {
    use crate::azure::{Network, PrivateDnsZone};
    let net = stack.add(Network::standard("main", "p", rg, "10.0.0.0/16"));
    let zone = stack.add(PrivateDnsZone::new(logical, zone, rg, net.vnet_id()));
    let subnet = net
        .private_endpoints
        .clone()
        .map(|s| s.id())
        .expect("subnet");
    (subnet, zone)
}
