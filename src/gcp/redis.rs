//! Memorystore for Redis: private services access only, AUTH on, TLS in
//! transit, STANDARD_HA (replicas in other zones with failover) by default.

use super::kind;
use crate::core::block::Attributes;
use crate::core::reference::{Address, Attr, Id, Name, Ref, ResourceKind};
use crate::core::stack::{Construct, Stack};
use crate::map;

/// The Redis versions Memorystore offers, as `(major.minor, API name)`.
pub const VERSIONS: [(&str, &str); 5] = [
    ("5.0", "REDIS_5_0"),
    ("6.0", "REDIS_6_X"),
    ("6.2", "REDIS_6_X"),
    ("7.0", "REDIS_7_0"),
    ("7.2", "REDIS_7_2"),
];

/// The Memorystore version for a requested Redis version: the exact one, or the
/// next newer minor of the same major (`7.1` -> `REDIS_7_2`, since Memorystore
/// skipped 7.1).
///
/// ```
/// use infrasynth::gcp::redis::memorystore_version;
/// assert_eq!(memorystore_version("7.1"), Some("REDIS_7_2"));
/// assert_eq!(memorystore_version("7"), Some("REDIS_7_0"));
/// assert_eq!(memorystore_version("8.0"), None);
/// ```
pub fn memorystore_version(requested: &str) -> Option<&'static str> {
    let parse = |v: &str| -> Option<(u32, u32)> {
        let mut parts = v.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().map_or(Some(0), |m| m.parse().ok())?;
        Some((major, minor))
    };
    let (major, minor) = parse(requested)?;
    VERSIONS
        .iter()
        .filter_map(|(v, api)| parse(v).map(|p| (p, *api)))
        .find(|((ma, mi), _)| *ma == major && *mi >= minor)
        .map(|(_, api)| api)
}

/// The required inputs of a Memorystore [`Redis`] instance, named as in
/// `google_redis_instance`.
#[derive(Clone, Debug)]
pub struct RedisProps<'a> {
    /// The Terraform name of the instance (`google_redis_instance.<logical_name>`).
    pub logical_name: &'a str,
    /// The instance id in Memorystore (`name`, also its `display_name`): 1-40
    /// lowercase letters, digits and `-`, starting with a letter, not ending
    /// with `-`.
    pub name: &'a str,
    /// The region (`region`), such as `us-central1`; the network's region.
    pub region: &'a str,
    /// The VPC network clients connect from (`authorized_network`), from
    /// [`Network`](crate::gcp::Network)'s handle.
    pub authorized_network: Attr<Id<kind::Network>>,
    /// The private services access range the instance's addresses come from
    /// (`reserved_ip_range`, with `connect_mode = PRIVATE_SERVICE_ACCESS`):
    /// the name of the range [`PrivateServiceAccess`](crate::gcp::PrivateServiceAccess)
    /// reserves in `authorized_network`.
    pub reserved_ip_range: Attr<Name<kind::GlobalAddress>>,
}

/// A Memorystore for Redis instance.
///
/// ```
/// use infrasynth::gcp::{kind, Redis, RedisProps};
/// use infrasynth::{Attributes, Stack};
/// let mut stack = Stack::new("demo");
/// let network = stack.resource::<kind::Network>("main", Attributes::new());
/// let range = stack.resource::<kind::GlobalAddress>("psa", Attributes::new());
/// let redis = stack.add(Redis::new(RedisProps {
///     logical_name: "cache",
///     name: "demo-cache",
///     region: "us-central1",
///     authorized_network: network.id(),
///     reserved_ip_range: range.name(),
/// }));
/// assert_eq!(redis.host().expr().template(), "${google_redis_instance.cache.host}");
/// ```
pub struct Redis {
    logical: String,
    name: String,
    region: String,
    network: Attr<Id<kind::Network>>,
    reserved_range: Attr<Name<kind::GlobalAddress>>,
    version: String,
    memory_gb: u32,
    high_availability: bool,
    replicas: u8,
    zones: Option<(String, Option<String>)>,
    encryption_key: Option<Attr<Id<kind::CryptoKey>>>,
    depends_on: Vec<Address>,
}

impl Redis {
    /// A Redis 7.2 instance of 4 GiB, `STANDARD_HA` with one read replica,
    /// AUTH and in-transit encryption on, reachable only from
    /// `authorized_network`.
    pub fn new(props: RedisProps<'_>) -> Self {
        Redis {
            logical: props.logical_name.to_string(),
            name: props.name.to_string(),
            region: props.region.to_string(),
            network: props.authorized_network,
            reserved_range: props.reserved_ip_range,
            version: "7.2".to_string(),
            memory_gb: 4,
            high_availability: true,
            replicas: 1,
            zones: None,
            encryption_key: None,
            depends_on: Vec::new(),
        }
    }

    /// Redis version, such as `7.2` (see [`memorystore_version`]).
    pub fn version(mut self, version: &str) -> Self {
        self.version = version.to_string();
        self
    }

    /// Capacity in GiB (1-300).
    pub fn memory_gb(mut self, gb: u32) -> Self {
        self.memory_gb = gb;
        self
    }

    /// `STANDARD_HA` (default) or `BASIC` (no replica, no failover).
    pub fn high_availability(mut self, on: bool) -> Self {
        self.high_availability = on;
        self
    }

    /// Read replicas (0-5, `STANDARD_HA` only; default 1).
    pub fn replicas(mut self, replicas: u8) -> Self {
        self.replicas = replicas;
        self
    }

    /// The primary's zone and, for HA, the replica's.
    pub fn zones(mut self, primary: &str, alternative: Option<&str>) -> Self {
        self.zones = Some((primary.to_string(), alternative.map(str::to_string)));
        self
    }

    /// Encrypts data at rest with a customer-managed key.
    pub fn encryption_key(mut self, key: Attr<Id<kind::CryptoKey>>) -> Self {
        self.encryption_key = Some(key);
        self
    }

    /// Waits for `address` (the service networking connection, a key grant).
    pub fn depends_on(mut self, address: &Address) -> Self {
        self.depends_on.push(address.clone());
        self
    }
}

impl Construct for Redis {
    type Output = Ref<kind::RedisInstance>;

    fn describe(&self) -> String {
        format!("gcp::Redis \"{}\"", self.logical)
    }

    fn build(self, stack: &mut Stack) -> Ref<kind::RedisInstance> {
        let resource = format!("{}.{}", kind::RedisInstance::TYPE, self.logical);
        if !super::names::is_resource_name(&self.name, 40) {
            stack.error(
                &resource,
                "name",
                &format!("`{}` is not a valid Memorystore instance name", self.name),
                "use 1-40 lowercase letters, digits and `-`, starting with a letter",
            );
        }
        let version = memorystore_version(&self.version);
        if version.is_none() {
            stack.error_with_fix(
                &resource,
                "redis_version",
                &format!("Redis `{}` is not offered by Memorystore", self.version),
                "use 5.0, 6.x, 7.0 or 7.2",
                "7.2",
            );
        }
        if !(1..=300).contains(&self.memory_gb) {
            stack.error(
                &resource,
                "memory_size_gb",
                &format!("{} GiB is outside Memorystore's 1-300 GiB", self.memory_gb),
                "pick a capacity from 1 to 300 GiB",
            );
        }
        if self.high_availability && self.replicas > 5 {
            stack.error(
                &resource,
                "replica_count",
                &format!("{} replicas is more than Memorystore's 5", self.replicas),
                "use 1 to 5 replicas",
            );
        }
        if let Err(message) = super::region::Region::parse(&self.region) {
            stack.error(
                &resource,
                "region",
                &message.message,
                "use the region of the network",
            );
        }
        if let Some((primary, alternative)) = &self.zones {
            for (field, zone) in [
                ("location_id", Some(primary)),
                ("alternative_location_id", alternative.as_ref()),
            ] {
                if let Some(zone) = zone {
                    super::region::check_instance_zone(stack, &resource, field, zone, &self.region);
                }
            }
        }
        let mut attributes = Attributes::new()
            .set("name", self.name.as_str())
            .set("display_name", self.name.as_str())
            .set("region", self.region.as_str())
            .set("tier", if self.high_availability { "STANDARD_HA" } else { "BASIC" })
            .set("memory_size_gb", self.memory_gb)
            .set_opt("redis_version", version)
            .set("authorized_network", &self.network)
            .set("connect_mode", "PRIVATE_SERVICE_ACCESS")
            .set("reserved_ip_range", &self.reserved_range)
            .set("auth_enabled", true)
            .set("transit_encryption_mode", "SERVER_AUTHENTICATION")
            .set_opt("customer_managed_key", self.encryption_key.as_ref())
            .block(
                "maintenance_policy",
                map! {
                    "weekly_maintenance_window" => vec![map! {
                        "day" => "SUNDAY",
                        "start_time" => vec![map! { "hours" => 3, "minutes" => 0, "seconds" => 0, "nanos" => 0 }],
                    }],
                },
            )
            .labelled();
        if let Some((primary, alternative)) = &self.zones {
            attributes = attributes.set("location_id", primary.as_str());
            if self.high_availability {
                attributes = attributes.set_opt("alternative_location_id", alternative.as_deref());
            }
        }
        if self.high_availability {
            attributes = attributes.block(
                "persistence_config",
                map! { "persistence_mode" => "RDB", "rdb_snapshot_period" => "TWELVE_HOURS" },
            );
            if self.replicas > 0 {
                attributes = attributes
                    .set("replica_count", u32::from(self.replicas))
                    .set("read_replicas_mode", "READ_REPLICAS_ENABLED");
            }
        }
        for address in &self.depends_on {
            attributes = attributes.depends_on(address);
        }
        stack.resource::<kind::RedisInstance>(&self.logical, attributes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(stack: &mut Stack) -> Redis {
        let network = stack.resource::<kind::Network>("main", Attributes::new());
        let range = stack.resource::<kind::GlobalAddress>("psa", Attributes::new());
        Redis::new(RedisProps {
            logical_name: "cache",
            name: "demo-cache",
            region: "us-central1",
            authorized_network: network.id(),
            reserved_ip_range: range.name(),
        })
    }

    #[test]
    fn defaults_are_ha_with_auth_and_tls() {
        let mut stack = Stack::new("t");
        let redis = base(&mut stack);
        let redis = stack.add(redis);
        let block = stack.block(redis.address()).unwrap();
        assert_eq!(block.get("tier"), Some(&"STANDARD_HA".into()));
        assert_eq!(block.get("auth_enabled"), Some(&true.into()));
        assert_eq!(
            block.get("transit_encryption_mode"),
            Some(&"SERVER_AUTHENTICATION".into())
        );
        assert_eq!(
            block.get("connect_mode"),
            Some(&"PRIVATE_SERVICE_ACCESS".into())
        );
        assert!(stack.diagnostics().is_empty());
    }

    #[test]
    fn basic_tier_has_no_replicas() {
        let mut stack = Stack::new("t");
        let redis = base(&mut stack).high_availability(false).replicas(2);
        let redis = stack.add(redis);
        let block = stack.block(redis.address()).unwrap();
        assert_eq!(block.get("tier"), Some(&"BASIC".into()));
        assert!(block.get("replica_count").is_none());
    }

    #[test]
    fn bad_inputs_are_errors_naming_fields() {
        let mut stack = Stack::new("t");
        let redis = base(&mut stack)
            .version("8.0")
            .memory_gb(0)
            .replicas(6)
            .zones("europe-west1-b", None);
        stack.add(redis);
        let text = stack.diagnostics().to_string();
        for field in [
            "redis_version",
            "memory_size_gb",
            "replica_count",
            "location_id",
        ] {
            assert!(
                text.contains(&format!("field `{field}`")),
                "{field}: {text}"
            );
        }
        assert!(text.contains("7.2"), "{text}");
    }
}
