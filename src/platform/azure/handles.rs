//! Typed handles of what the Azure realization made, for customize code:
//! give a workload's identity another role, or override any attribute with
//! `Stack::set_raw` without writing an address.

use std::collections::BTreeMap;

use crate::azure::encryption::CustomerManagedKey;
use crate::azure::key_vault::KeyVaultHandle;
use crate::azure::kind;
use crate::azure::managed_redis::ManagedRedisHandle;
use crate::azure::monitoring::ContainerInsightsHandle;
use crate::azure::network::NetworkHandle;
use crate::azure::postgres::PostgresHandle;
use crate::azure::private_dns::PrivateDnsZoneHandle;
use crate::azure::resource_group::ResourceGroupHandle;
use crate::azure::storage::StorageHandle;
use crate::core::reference::Ref;

/// Everything [`crate::platform::realize_azure`] made, by what it is for.
///
/// Blocks the builders make but whose handles do not carry them (network
/// security groups and their rules, each workload's federated identity
/// credential, the storage diagnostic settings) are found by kind and
/// logical name with [`crate::Stack::find`].
///
/// ```
/// use infrasynth::azure::RoleAssignment;
/// use infrasynth::platform::{self, Platform, WorkloadSpec};
/// use infrasynth::Environment;
///
/// let mut spec = Platform::new("shop", Environment::DEV);
/// spec.workloads.push(WorkloadSpec {
///     name: "ingest".into(),
///     namespace: "shop".into(),
///     service_account: "ingest".into(),
///     databases: Vec::new(),
///     uses_cache: false,
///     buckets: Vec::new(),
/// });
/// let (mut stack, azure) = platform::realize_azure(&spec);
/// stack.add(RoleAssignment::new(
///     "ingest_vault_reader",
///     infrasynth::azure::kind::scope_of(&azure.keys.vault.vault.id()),
///     "Key Vault Reader",
///     azure.workloads["ingest"].identity.principal_id(),
/// ));
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct AzurePlatform {
    /// `data.azurerm_client_config.current`: the tenant and subscription
    /// Terraform runs as.
    pub client: Ref<kind::ClientConfig>,
    /// The resource group (`main`) holding everything.
    pub resource_group: ResourceGroupHandle,
    /// The Log Analytics workspace (`main`) for container insights, Defender
    /// and storage access logs.
    pub log_analytics: Ref<kind::LogAnalyticsWorkspace>,
    /// The virtual network (`main`), its subnets (`aks-nodes`,
    /// `private-endpoints`, `postgres`; `None` only when the network CIDR is
    /// unusable, which is an error) and NAT gateway.
    pub network: NetworkHandle,
    /// The private DNS zones the private endpoints resolve through.
    pub dns_zones: PrivateDnsZones,
    /// The customer-managed key wiring and the Key Vault.
    pub keys: AzureKeys,
    /// AKS, its node pools and its control-plane identity.
    pub cluster: AksHandles,
    /// The PostgreSQL flexible server (logical name: the database spec's
    /// name), its administrator and databases.
    pub database: PostgresHandle,
    /// The lock refusing deletion of the server, when the spec asks for
    /// deletion protection.
    pub database_lock: Option<Ref<kind::ManagementLock>>,
    /// Azure Managed Redis and its private endpoint.
    pub cache: ManagedRedisHandle,
    /// The storage account (`objects`) with one container per bucket spec,
    /// by spec name.
    pub storage: StorageHandle,
    /// The lock refusing deletion of the storage account (production).
    pub storage_lock: Option<Ref<kind::ManagementLock>>,
    /// Every workload's managed identity and role assignments, by workload
    /// name.
    pub workloads: BTreeMap<String, AzureWorkload>,
    /// The database bootstrap's identity and administrator entry; `None`
    /// when no workload uses a database.
    pub database_bootstrap: Option<AzureBootstrap>,
}

/// The private DNS zones, each linked to the virtual network.
#[derive(Clone, Debug)]
pub struct PrivateDnsZones {
    /// `privatelink.postgres.database.azure.com`.
    pub postgres: PrivateDnsZoneHandle,
    /// `privatelink.redis.azure.net` (Managed Redis).
    pub redis: PrivateDnsZoneHandle,
    /// `privatelink.vaultcore.azure.net`.
    pub vault: PrivateDnsZoneHandle,
    /// `privatelink.blob.core.windows.net`.
    pub blob: PrivateDnsZoneHandle,
}

/// Encryption keys and secrets. The customer-managed key itself is not made
/// here: it is the `cmk_key_id` variable (see `docs/azure.md`).
#[derive(Clone, Debug)]
pub struct AzureKeys {
    /// The key (`var.cmk_key_id`) and the identity wrapping with it, as the
    /// storage account and the disk encryption set take them.
    pub cmk: CustomerManagedKey,
    /// The identity (`cmk`) that uses the key.
    pub cmk_identity: Ref<kind::UserAssignedIdentity>,
    /// Its crypto role on the vault holding the key (`var.cmk_key_vault_id`).
    pub cmk_role: Ref<kind::RoleAssignment>,
    /// The wait for that role to take effect (`time_sleep.cmk_role_propagation`),
    /// which the storage account and the disk encryption set depend on.
    pub cmk_role_ready: Ref<kind::TimeSleep>,
    /// The Key Vault (`main`) for application secrets, and its private
    /// endpoint.
    pub vault: KeyVaultHandle,
}

/// AKS and what it runs as.
#[derive(Clone, Debug)]
pub struct AksHandles {
    /// The cluster (logical name: the cluster spec's name).
    pub cluster: Ref<kind::KubernetesCluster>,
    /// The user node pools by pool spec name (`pool_<name>`).
    pub node_pools: BTreeMap<String, Ref<kind::KubernetesClusterNodePool>>,
    /// The control plane's identity (`aks_control_plane`).
    pub control_plane: Ref<kind::UserAssignedIdentity>,
    /// Its Network Contributor role on the virtual network.
    pub network_role: Ref<kind::RoleAssignment>,
    /// The disk encryption set of the node disks (`aks_nodes`).
    pub disk_encryption_set: Ref<kind::DiskEncryptionSet>,
    /// The control plane's Reader role on that set.
    pub disk_encryption_role: Ref<kind::RoleAssignment>,
    /// `Azure Kubernetes Service RBAC Cluster Admin` on the cluster for the
    /// group `var.aks_admin_group_object_id` (`aks_admin_group`).
    pub admin_role: Ref<kind::RoleAssignment>,
    /// Container Insights' data collection rule (`<cluster>_insights`) and
    /// its association with the cluster.
    pub insights: Option<ContainerInsightsHandle>,
    /// The wait for the control plane's roles to take effect
    /// (`time_sleep.aks_roles_propagation`), which the cluster depends on.
    pub roles_ready: Ref<kind::TimeSleep>,
}

/// One workload's identity and what it may reach.
#[derive(Clone, Debug)]
pub struct AzureWorkload {
    /// Its user-assigned identity (`workload_<name>`), federated with the
    /// Kubernetes service account.
    pub identity: Ref<kind::UserAssignedIdentity>,
    /// Its blob data role on each container it may use, by bucket spec name.
    pub container_roles: BTreeMap<String, Ref<kind::RoleAssignment>>,
    /// Its Key Vault Secrets User role on the vault.
    pub secrets_role: Ref<kind::RoleAssignment>,
    /// Its access policy assignment on the cache's default database
    /// (`azapi_resource.redis_access_<name>`), when it uses the cache.
    pub cache_access: Option<Ref<crate::core::stack::RawKind>>,
}

/// What the database bootstrap Job runs as.
#[derive(Clone, Debug)]
pub struct AzureBootstrap {
    /// Its managed identity (`database_bootstrap`), federated with its
    /// Kubernetes service account.
    pub identity: Ref<kind::UserAssignedIdentity>,
    /// It as an Entra administrator of the PostgreSQL server.
    pub administrator: Ref<kind::PostgresqlFlexibleServerAdministrator>,
}
