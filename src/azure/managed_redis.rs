//! Azure Managed Redis (`azurerm_managed_redis`): the Redis service that
//! replaces Azure Cache for Redis ([`super::RedisCache`], retiring). TLS only,
//! Entra ID authentication instead of access keys, no public network access
//! (reached through a private endpoint).

use super::kind;
use super::private_endpoint::{EndpointPlacement, EndpointTarget, PrivateServiceProps};
use super::resource_group::ResourceGroupHandle;
use crate::core::reference::Ref;
use crate::core::stack::{Construct, Stack};
use crate::map;

/// The private DNS zone of Managed Redis private endpoints (not Azure Cache
/// for Redis' `privatelink.redis.cache.windows.net`).
pub const PRIVATE_DNS_ZONE: &str = "privatelink.redis.azure.net";

/// The private endpoint sub-resource of a Managed Redis instance (the
/// provider's `examples/private-endpoint/managed-redis`).
pub const ENDPOINT_SUBRESOURCE: &str = "redisEnterprise";

/// The SKU families azurerm 4.55 accepts, each with its sizes
/// (`sku_name` = `<family>_<letter><size>`; `website/docs/r/managed_redis`
/// at v4.55.0; the retired `Enterprise_*` SKUs are refused).
const SKUS: &[(&str, &[u32])] = &[
    (
        "Balanced_B",
        &[0, 1, 3, 5, 10, 20, 50, 100, 150, 250, 350, 500, 700, 1000],
    ),
    (
        "ComputeOptimized_X",
        &[3, 5, 10, 20, 50, 100, 150, 250, 350, 500, 700],
    ),
    (
        "MemoryOptimized_M",
        &[10, 20, 50, 100, 150, 250, 350, 500, 700, 1000, 1500, 2000],
    ),
    ("FlashOptimized_A", &[250, 500, 700, 1000, 1500, 2000, 4500]),
];

/// Whether `sku` is a Managed Redis SKU azurerm 4.55 accepts.
pub fn is_sku(sku: &str) -> bool {
    SKUS.iter().any(|(family, sizes)| {
        // The round trip refuses `B03` and `B+3`, which parse as 3.
        sku.strip_prefix(family)
            .and_then(|size| size.parse::<u32>().ok())
            .is_some_and(|size| sizes.contains(&size) && sku == format!("{family}{size}"))
    })
}

/// How the database spreads keys over shards, fixed at creation (changing it
/// recreates the database and loses its data).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClusteringPolicy {
    /// One endpoint that proxies every command (`EnterpriseCluster`): clients
    /// need no cluster support, as with Azure Cache for Redis, ElastiCache or
    /// Memorystore without cluster mode. The default.
    Enterprise,
    /// The Redis Cluster protocol (`OSSCluster`, the provider's default):
    /// more throughput, but every client must be cluster-aware.
    Oss,
}

impl ClusteringPolicy {
    fn as_str(self) -> &'static str {
        match self {
            ClusteringPolicy::Enterprise => "EnterpriseCluster",
            ClusteringPolicy::Oss => "OSSCluster",
        }
    }
}

/// The required inputs of a [`ManagedRedis`], named as in
/// `azurerm_managed_redis`: `logical_name`
/// (`azurerm_managed_redis.<logical_name>`, its endpoint is
/// `<logical_name>_redis`); `name`, the instance name in Azure (its host is
/// `<name>.<region>.redis.azure.net`): 3-63 letters, digits and single `-`,
/// starting and ending with a letter or digit, globally unique;
/// `resource_group`; `endpoint_subnet_id`; and `dns_zone`, the private DNS
/// zone [`PRIVATE_DNS_ZONE`].
pub type ManagedRedisProps<'a> = PrivateServiceProps<'a>;

/// An Azure Managed Redis instance with its default database and a private
/// endpoint.
///
/// ```
/// use infrasynth::azure::managed_redis::PRIVATE_DNS_ZONE;
/// use infrasynth::azure::{ManagedRedis, ManagedRedisProps, Network, PrivateDnsZone, ResourceGroup};
/// use infrasynth::Stack;
/// let mut stack = Stack::new("demo");
/// let rg = stack.add(ResourceGroup::new("main", "demo-rg", "westeurope"));
/// let network = stack.add(Network::standard("main", "demo", &rg, "10.0.0.0/16"));
/// let zone = stack.add(PrivateDnsZone::new("redis", PRIVATE_DNS_ZONE, &rg, network.vnet_id()));
/// let Some(endpoints) = network.private_endpoints.clone() else { return };
/// let cache = stack.add(
///     ManagedRedis::new(ManagedRedisProps {
///         logical_name: "cache",
///         name: "demo-cache-7f3a",
///         resource_group: &rg,
///         endpoint_subnet_id: endpoints.id(),
///         dns_zone: &zone,
///     })
///     .sku("Balanced_B3"),
/// );
/// assert!(!stack.diagnostics().has_errors(), "{}", stack.diagnostics());
/// ```
pub struct ManagedRedis {
    logical_name: String,
    name: String,
    resource_group: ResourceGroupHandle,
    endpoint: EndpointPlacement,
    sku: String,
    high_availability: bool,
    clustering: ClusteringPolicy,
}

/// The instance and its private endpoint.
#[derive(Clone, Debug)]
pub struct ManagedRedisHandle {
    /// The instance (`hostname`, and `port` of its default database).
    pub cache: Ref<kind::ManagedRedis>,
    /// Its private endpoint.
    pub endpoint: Ref<kind::PrivateEndpoint>,
}

impl ManagedRedis {
    /// An instance reached only through its private endpoint (`<name>-pe`),
    /// TLS only, Entra ID authentication (no access keys), high availability
    /// (a replica per shard, spread over zones where the region has them),
    /// `EnterpriseCluster` clustering, `VolatileLRU` eviction. Defaults to
    /// `Balanced_B1`.
    pub fn new(props: ManagedRedisProps<'_>) -> Self {
        ManagedRedis {
            logical_name: props.logical_name.to_string(),
            name: props.name.to_string(),
            resource_group: props.resource_group.clone(),
            endpoint: EndpointPlacement::new(props.endpoint_subnet_id, props.dns_zone),
            sku: "Balanced_B1".to_string(),
            high_availability: true,
            clustering: ClusteringPolicy::Enterprise,
        }
    }

    /// The SKU, such as `Balanced_B3` (see [`is_sku`]); set at creation only.
    pub fn sku(mut self, sku: &str) -> Self {
        self.sku = sku.to_string();
        self
    }

    /// High availability (default on): without it a node failure loses the
    /// data and the SLA does not apply; for development only. Set at
    /// creation only.
    pub fn high_availability(mut self, enabled: bool) -> Self {
        self.high_availability = enabled;
        self
    }

    /// The clustering policy (default [`ClusteringPolicy::Enterprise`]).
    pub fn clustering(mut self, policy: ClusteringPolicy) -> Self {
        self.clustering = policy;
        self
    }

    /// The private endpoint's name (default `<name>-pe`).
    pub fn endpoint_name(mut self, name: &str) -> Self {
        self.endpoint.name(name);
        self
    }

    fn validate(&self, stack: &mut Stack) {
        let ln = &self.logical_name;
        // The provider's ManagedRedisClusterName rule.
        let name = &self.name;
        let valid_name = (3..=63).contains(&name.len())
            && !name.contains("--")
            && name.starts_with(|c: char| c.is_ascii_alphanumeric())
            && name.ends_with(|c: char| c.is_ascii_alphanumeric())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !valid_name {
            stack.error(
                ln,
                "name",
                &format!("`{name}` is not a valid Managed Redis name"),
                "use 3-63 letters, digits and single `-`, starting and ending with a letter or digit",
            );
        }
        if !is_sku(&self.sku) {
            stack.error(
                ln,
                "sku_name",
                &format!("`{}` is not a Managed Redis SKU", self.sku),
                "use Balanced_B<n>, ComputeOptimized_X<n>, MemoryOptimized_M<n> or FlashOptimized_A<n>, such as Balanced_B3 (Enterprise_* SKUs are retired)",
            );
        }
    }
}

impl Construct for ManagedRedis {
    type Output = ManagedRedisHandle;

    fn describe(&self) -> String {
        format!("azure::ManagedRedis \"{}\"", self.logical_name)
    }

    fn build(self, stack: &mut Stack) -> ManagedRedisHandle {
        self.validate(stack);
        let rg = &self.resource_group;
        let attributes = rg
            .attributes_for(self.name.as_str())
            .set("sku_name", self.sku.as_str())
            .set("high_availability_enabled", self.high_availability)
            // The provider's default is `Enabled`.
            .set("public_network_access", "Disabled")
            .block(
                "default_database",
                map! {
                    // Clients authenticate with Entra ID tokens; no keys exist.
                    "access_keys_authentication_enabled" => false,
                    "client_protocol" => "Encrypted",
                    "clustering_policy" => self.clustering.as_str(),
                    "eviction_policy" => "VolatileLRU",
                },
            )
            .tagged();
        let cache = stack.resource::<kind::ManagedRedis>(&self.logical_name, attributes);
        let endpoint = self.endpoint.add(
            stack,
            EndpointTarget {
                logical_name: &format!("{}_redis", self.logical_name),
                default_name: format!("{}-pe", self.name).into(),
                resource_group: rg,
                id: cache.id(),
                subresource_name: ENDPOINT_SUBRESOURCE,
            },
        );
        ManagedRedisHandle { cache, endpoint }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::private_endpoint::test_endpoint_network;
    use crate::azure::ResourceGroup;

    fn cache(stack: &mut Stack, name: &str) -> ManagedRedis {
        let rg = stack.add(ResourceGroup::new("main", "p", "westeurope"));
        let (subnet, zone) = test_endpoint_network(stack, &rg, "redis", PRIVATE_DNS_ZONE);
        ManagedRedis::new(ManagedRedisProps {
            logical_name: "cache",
            name,
            resource_group: &rg,
            endpoint_subnet_id: subnet,
            dns_zone: &zone,
        })
    }

    #[test]
    fn defaults_are_private_tls_only_keyless_and_highly_available() {
        let mut stack = Stack::new("t");
        let builder = cache(&mut stack, "p-cache-abc123");
        stack.add(builder);
        assert!(!stack.diagnostics().has_errors(), "{}", stack.diagnostics());
        let json: serde_json::Value = serde_json::from_slice(&stack.render_json()).expect("json");
        let redis = &json["resource"]["azurerm_managed_redis"]["cache"];
        assert_eq!(redis["public_network_access"], "Disabled");
        assert_eq!(redis["high_availability_enabled"], true);
        let db = &redis["default_database"][0];
        assert_eq!(db["access_keys_authentication_enabled"], false);
        assert_eq!(db["client_protocol"], "Encrypted");
        assert_eq!(db["clustering_policy"], "EnterpriseCluster");
        let endpoint = &json["resource"]["azurerm_private_endpoint"]["cache_redis"];
        assert_eq!(
            endpoint["private_service_connection"][0]["subresource_names"][0],
            "redisEnterprise"
        );
    }

    #[test]
    fn skus_and_names_follow_the_provider() {
        for sku in [
            "Balanced_B0",
            "Balanced_B3",
            "MemoryOptimized_M10",
            "FlashOptimized_A250",
        ] {
            assert!(is_sku(sku), "{sku}");
        }
        for sku in [
            "Enterprise_E10",
            "Balanced_B2",
            "Balanced_B03",
            "Balanced_B+3",
            "C1",
            "P1",
        ] {
            assert!(!is_sku(sku), "{sku}");
        }
        let mut stack = Stack::new("t");
        let builder = cache(&mut stack, "bad--name").sku("Premium_P1");
        stack.add(builder);
        let text = stack.diagnostics().to_string();
        assert!(text.contains("field `name`"), "{text}");
        assert!(text.contains("field `sku_name`"), "{text}");
    }
}
