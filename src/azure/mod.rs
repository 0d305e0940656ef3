//! Azure builders (azurerm provider `~> 4.55`). They know nothing of the
//! cloud-neutral platform layer; `platform::azure` realizes the platform with them.
//!
//! Every builder is secure by default: nothing reachable from the internet
//! (private endpoints, delegated subnets, a private AKS API server in
//! production), Entra ID authentication instead of passwords and keys, TLS 1.2,
//! and deletion protection in production. See `docs/azure.md`.

pub mod aks;
pub mod client_config;
pub mod encryption;
pub mod facts;
pub mod identity;
pub mod key_vault;
pub mod kind;
#[cfg(feature = "azure")]
pub mod live;
pub mod location;
pub mod lock;
pub mod log_analytics;
pub mod managed_redis;
pub mod monitoring;
pub mod naming;
pub mod network;
pub mod postgres;
pub mod private_dns;
pub mod private_endpoint;

pub mod redis;
pub mod resource_group;
pub mod storage;
pub mod versions;

pub use aks::{AksCluster, AksClusterProps, ApiServerAccess, NodePool, Priority, SystemPool};
pub use client_config::ClientConfig;
pub use encryption::{CustomerManagedKey, DiskEncryptionSet};
pub use identity::{
    ManagedIdentity, PrincipalType, RoleAssignment, RolePropagation, WorkloadIdentity,
    WorkloadIdentityProps,
};
pub use key_vault::{KeyVault, KeyVaultHandle, KeyVaultProps};
pub use lock::DeleteLock;
pub use log_analytics::LogAnalyticsWorkspace;
pub use managed_redis::{ClusteringPolicy, ManagedRedis, ManagedRedisHandle, ManagedRedisProps};
pub use monitoring::{ContainerInsights, ContainerInsightsHandle};
pub use network::{Network, NetworkHandle, SubnetPurpose, SubnetSpec};
pub use postgres::{EntraAdmin, PostgresHa, PostgresHandle, PostgresServer, PostgresServerProps};
pub use private_dns::{PrivateDnsZone, PrivateDnsZoneHandle};
pub use private_endpoint::{PrivateEndpoint, PrivateEndpointProps, PrivateServiceProps};

pub use redis::{RedisCache, RedisCacheProps, RedisHandle, RedisTier};
pub use resource_group::{ResourceGroup, ResourceGroupHandle};
pub use storage::{ContainerSpec, Replication, StorageAccount, StorageHandle};
