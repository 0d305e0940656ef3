//! Azure Cache for Redis: TLS only, Entra ID authentication instead of access
//! keys, no public network access (reached through a private endpoint).
//!
//! Retiring: Microsoft retires Azure Cache for Redis (Basic, Standard,
//! Premium) on 2028-09-30 and stops the creation of new caches before then;
//! its successor is Azure Managed Redis ([`super::ManagedRedis`]), which the
//! platform uses. Every use of [`RedisCache`] is a synth warning.

use super::kind;
use super::private_endpoint::{EndpointPlacement, EndpointTarget, PrivateServiceProps};
use super::resource_group::ResourceGroupHandle;
use crate::core::reference::Ref;
use crate::core::stack::{Construct, Stack};
use crate::map;

/// The cache's pricing tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedisTier {
    /// Primary and replica, no zones, no extra replicas.
    Standard,
    /// Zones, replicas per primary, VNet features.
    Premium,
}

impl RedisTier {
    fn sku_name(self) -> &'static str {
        match self {
            RedisTier::Standard => "Standard",
            RedisTier::Premium => "Premium",
        }
    }

    fn family(self) -> &'static str {
        match self {
            RedisTier::Standard => "C",
            RedisTier::Premium => "P",
        }
    }

    fn capacities(self) -> std::ops::RangeInclusive<u8> {
        match self {
            RedisTier::Standard => 0..=6,
            RedisTier::Premium => 1..=5,
        }
    }
}

/// The required inputs of a [`RedisCache`], named as in
/// `azurerm_redis_cache`: `logical_name` (`azurerm_redis_cache.<logical_name>`,
/// its endpoint is `<logical_name>_redis`); `name`, the cache name in Azure
/// (its host is `<name>.redis.cache.windows.net`): 3-63 lowercase letters,
/// digits and `-`, not starting or ending with `-`, globally unique;
/// `resource_group`; `endpoint_subnet_id`; and `dns_zone`, the private DNS
/// zone `privatelink.redis.cache.windows.net`.
pub type RedisCacheProps<'a> = PrivateServiceProps<'a>;

/// A Redis cache with a private endpoint.
///
/// ```
/// use infrasynth::azure::{Network, PrivateDnsZone, RedisCache, RedisCacheProps, ResourceGroup};
/// use infrasynth::Stack;
/// let mut stack = Stack::new("demo");
/// let rg = stack.add(ResourceGroup::new("main", "demo-rg", "westeurope"));
/// let network = stack.add(Network::standard("main", "demo", &rg, "10.0.0.0/16"));
/// let zone = stack.add(PrivateDnsZone::new(
///     "redis",
///     "privatelink.redis.cache.windows.net",
///     &rg,
///     network.vnet_id(),
/// ));
/// let Some(endpoints) = network.private_endpoints.clone() else { return };
/// let cache = stack.add(RedisCache::new(RedisCacheProps {
///     logical_name: "cache",
///     name: "demo-cache-7f3a",
///     resource_group: &rg,
///     endpoint_subnet_id: endpoints.id(),
///     dns_zone: &zone,
/// }));
/// assert!(!stack.diagnostics().has_errors(), "{}", stack.diagnostics());
/// ```
pub struct RedisCache {
    logical_name: String,
    name: String,
    resource_group: ResourceGroupHandle,
    endpoint: EndpointPlacement,
    tier: RedisTier,
    capacity: u8,
    replicas_per_primary: u8,
    zones: Vec<String>,
}

/// The cache and its private endpoint.
#[derive(Clone, Debug)]
pub struct RedisHandle {
    /// The cache.
    pub cache: Ref<kind::RedisCache>,
    /// Its private endpoint.
    pub endpoint: Ref<kind::PrivateEndpoint>,
}

impl RedisCache {
    /// A cache reached only through its private endpoint (`<name>-pe`),
    /// TLS 1.2, Entra ID authentication (no access keys). Defaults to
    /// Standard C1.
    pub fn new(props: RedisCacheProps<'_>) -> Self {
        RedisCache {
            logical_name: props.logical_name.to_string(),
            name: props.name.to_string(),
            resource_group: props.resource_group.clone(),
            endpoint: EndpointPlacement::new(props.endpoint_subnet_id, props.dns_zone),
            tier: RedisTier::Standard,
            capacity: 1,
            replicas_per_primary: 0,
            zones: Vec::new(),
        }
    }

    /// Tier and capacity (Standard 0-6, Premium 1-5).
    pub fn sku(mut self, tier: RedisTier, capacity: u8) -> Self {
        self.tier = tier;
        self.capacity = capacity;
        self
    }

    /// Replicas per primary (Premium only; Standard always has one replica).
    pub fn replicas_per_primary(mut self, replicas: u8) -> Self {
        self.replicas_per_primary = replicas;
        self
    }

    /// Zones to spread the nodes over (Premium only).
    pub fn zones(mut self, zones: Vec<String>) -> Self {
        self.zones = zones;
        self
    }

    /// The private endpoint's name (default `<name>-pe`).
    pub fn endpoint_name(mut self, name: &str) -> Self {
        self.endpoint.name(name);
        self
    }

    fn validate(&self, stack: &mut Stack) {
        let ln = &self.logical_name;
        if !super::naming::is_server_name(&self.name) {
            stack.error(
                ln,
                "name",
                &format!("`{}` is not a valid Redis cache name", self.name),
                "use 3-63 lowercase letters, digits and `-`, not starting or ending with `-`",
            );
        }
        if !self.tier.capacities().contains(&self.capacity) {
            stack.error(
                ln,
                "capacity",
                &format!(
                    "capacity {} is not offered in the {} tier",
                    self.capacity,
                    self.tier.sku_name()
                ),
                &format!(
                    "use {}{}-{}{}",
                    self.tier.family(),
                    self.tier.capacities().start(),
                    self.tier.family(),
                    self.tier.capacities().end()
                ),
            );
        }
        if self.tier == RedisTier::Standard
            && (self.replicas_per_primary > 0 || !self.zones.is_empty())
        {
            stack.error(
                ln,
                "sku",
                "replicas per primary and zones need the Premium tier",
                "use RedisTier::Premium, or leave replicas and zones unset on Standard",
            );
        }
        if self.replicas_per_primary > 3 {
            stack.error(
                ln,
                "replicas_per_primary",
                &format!(
                    "{} replicas per primary is more than 3",
                    self.replicas_per_primary
                ),
                "use 0 to 3 replicas",
            );
        }
    }
}

impl Construct for RedisCache {
    type Output = RedisHandle;

    fn describe(&self) -> String {
        format!("azure::RedisCache \"{}\"", self.logical_name)
    }

    fn build(self, stack: &mut Stack) -> RedisHandle {
        self.validate(stack);
        stack.warning(
            &self.logical_name,
            "sku_name",
            "Azure Cache for Redis retires on 2028-09-30, and Azure stops creating new caches before then (new subscriptions may already be refused)",
            "use azure::ManagedRedis (azurerm_managed_redis), Azure's successor service",
        );
        let rg = &self.resource_group;
        let mut attributes = rg
            .attributes_for(self.name.as_str())
            .set("sku_name", self.tier.sku_name())
            .set("family", self.tier.family())
            .set("capacity", self.capacity)
            // azurerm 4.x only accepts the major version 6 (Redis 6.0+).
            .set("redis_version", "6")
            .set("non_ssl_port_enabled", false)
            .set("minimum_tls_version", "1.2")
            .set("public_network_access_enabled", false)
            // Clients authenticate with Entra ID tokens; no shared keys exist.
            .set("access_keys_authentication_enabled", false)
            .block(
                "redis_configuration",
                map! {
                    "active_directory_authentication_enabled" => true,
                    "maxmemory_policy" => "volatile-lru",
                },
            )
            .tagged();
        if self.replicas_per_primary > 0 {
            attributes = attributes.set("replicas_per_primary", self.replicas_per_primary);
        }
        if !self.zones.is_empty() {
            attributes = attributes.set("zones", self.zones.clone());
        }
        let cache = stack.resource::<kind::RedisCache>(&self.logical_name, attributes);
        let endpoint = self.endpoint.add(
            stack,
            EndpointTarget {
                logical_name: &format!("{}_redis", self.logical_name),
                default_name: format!("{}-pe", self.name).into(),
                resource_group: rg,
                id: cache.id(),
                subresource_name: "redisCache",
            },
        );
        RedisHandle { cache, endpoint }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::private_endpoint::test_endpoint_network;
    use crate::azure::ResourceGroup;

    fn cache(stack: &mut Stack) -> RedisCache {
        let rg = stack.add(ResourceGroup::new("main", "p", "westeurope"));
        let (subnet, zone) =
            test_endpoint_network(stack, &rg, "redis", "privatelink.redis.cache.windows.net");
        RedisCache::new(RedisCacheProps {
            logical_name: "cache",
            name: "p-cache-abc123",
            resource_group: &rg,
            endpoint_subnet_id: subnet,
            dns_zone: &zone,
        })
    }

    #[test]
    fn defaults_are_tls_only_and_private() {
        let mut stack = Stack::new("t");
        let builder = cache(&mut stack);
        stack.add(builder);
        assert!(!stack.diagnostics().has_errors(), "{}", stack.diagnostics());
        let json = String::from_utf8(stack.render_json()).unwrap();
        assert!(json.contains("\"non_ssl_port_enabled\": false"));
        assert!(json.contains("\"minimum_tls_version\": \"1.2\""));
        assert!(json.contains("\"public_network_access_enabled\": false"));
        assert!(json.contains("\"redisCache\""));
    }

    #[test]
    fn every_use_warns_that_the_service_retires() {
        let mut stack = Stack::new("t");
        let builder = cache(&mut stack);
        stack.add(builder);
        let text = stack.diagnostics().to_string();
        assert!(text.contains("2028-09-30"), "{text}");
        assert!(text.contains("ManagedRedis"), "{text}");
    }

    #[test]
    fn standard_with_zones_is_an_error() {
        let mut stack = Stack::new("t");
        let builder = cache(&mut stack).zones(vec!["1".into(), "2".into()]);
        stack.add(builder);
        let text = stack.diagnostics().to_string();
        assert!(
            text.contains("field `sku`") && text.contains("Premium"),
            "{text}"
        );
    }

    #[test]
    fn premium_capacity_out_of_range_is_an_error() {
        let mut stack = Stack::new("t");
        let builder = cache(&mut stack).sku(RedisTier::Premium, 0);
        stack.add(builder);
        let text = stack.diagnostics().to_string();
        assert!(
            text.contains("field `capacity`") && text.contains("P1-P5"),
            "{text}"
        );
    }
}
