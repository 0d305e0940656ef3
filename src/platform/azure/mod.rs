//! The cloud-neutral [`Platform`] realized with the Azure builders: one
//! resource group holding the network, PostgreSQL, Redis, storage, Key Vault,
//! AKS and workload identities, with the outputs every cloud declares.
//!
//! The steps of [`crate::platform::realize::Realization`], run by
//! [`crate::platform::realize_azure`], which returns an [`AzurePlatform`] of
//! typed handles to everything made.

mod handles;
pub mod sizes;

pub use handles::{
    AksHandles, AzureBootstrap, AzureKeys, AzurePlatform, AzureWorkload, PrivateDnsZones,
};

use std::collections::BTreeMap;

use crate::azure::aks::{
    self, AksCluster, AksClusterProps, ApiServerAccess, NodePool, Priority, SystemPool,
};
use crate::azure::client_config::ClientConfig;
use crate::azure::encryption::{CustomerManagedKey, DiskEncryptionSet};
use crate::azure::identity::{
    ManagedIdentity, PrincipalType, RoleAssignment, RolePropagation, WorkloadIdentity,
    WorkloadIdentityProps,
};
use crate::azure::key_vault::{KeyVault, KeyVaultProps};
use crate::azure::kind;
use crate::azure::location;
use crate::azure::lock::DeleteLock;
use crate::azure::log_analytics::LogAnalyticsWorkspace;
use crate::azure::managed_redis::{self, ManagedRedis, ManagedRedisHandle, ManagedRedisProps};
use crate::azure::monitoring::ContainerInsightsHandle;
use crate::azure::naming;
use crate::azure::network::{Network, NetworkHandle};
use crate::azure::postgres::{
    EntraAdmin, PostgresHa, PostgresHandle, PostgresServer, PostgresServerProps,
};
use crate::azure::private_dns::PrivateDnsZone;
use crate::azure::resource_group::{ResourceGroup, ResourceGroupHandle};
use crate::azure::storage::{ContainerSpec, Replication, StorageAccount, StorageHandle};
use crate::core::block::Attributes;
use crate::core::environment::Environment;
use crate::core::naming::fit;
use crate::core::reference::{Attr, Id, Ref};
use crate::core::stack::{Stack, Variable};
use crate::core::value::{Expr, Value};
use crate::map;
use crate::platform::outputs::{by_name, per_workload, Output, Outputs};
use crate::platform::realize::{Parts, Realization};
use crate::platform::{data_access, logical, Access, ApiAccess, Capacity, Platform, Size};
use ipnet::Ipv4Net;

/// The azurerm provider version constraint.
pub const PROVIDER_VERSION: &str = "~> 4.55";

/// The built-in role the operators' group holds on the cluster: every
/// Kubernetes permission (data action `Microsoft.ContainerService/
/// managedClusters/*`) and `listClusterUserCredential`, which `az aks
/// get-credentials` needs (Azure built-in roles, Containers).
pub const AKS_ADMIN_ROLE: &str = "Azure Kubernetes Service RBAC Cluster Admin";

/// AKS overlay pod range: outside any RFC 1918 network (the platform's
/// `network.cidr` is one, `platform::validate`).
const POD_CIDR: &str = "100.64.0.0/16";
/// AKS service range, unless the network overlaps it (see [`aks_ranges`]).
const SERVICE_CIDR: &str = "172.16.0.0/16";

/// The Redis version Azure Managed Redis runs (it takes no version:
/// `azurerm_managed_redis` 4.55 has no version argument; Microsoft's
/// "What is Azure Managed Redis?" names Redis 7.4).
pub const MANAGED_REDIS_VERSION: (u32, u32) = (7, 4);

/// `cache.version` must be one Managed Redis can stand for: the same major
/// and no newer minor than [`MANAGED_REDIS_VERSION`] (a client asking for
/// 7.1 gets 7.4, as Memorystore gives 7.2 for 7.1). A version that is not
/// `major.minor` is the platform check's to report.
fn check_cache_version(version: &str, stack: &mut Stack) {
    let Some((major, minor)) = version
        .split_once('.')
        .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)))
    else {
        return;
    };
    let (runs_major, runs_minor) = MANAGED_REDIS_VERSION;
    if major != runs_major || minor > runs_minor {
        stack.error_with_fix(
            "cache",
            "version",
            &format!(
                "Azure Managed Redis runs Redis {runs_major}.{runs_minor}, which cannot stand for `{version}`"
            ),
            &format!("use a {runs_major}.x version up to {runs_major}.{runs_minor}, such as 7.1"),
            "7.1",
        );
    }
}

/// The AKS pod range, service range and DNS service address (the tenth
/// address of the service range): 100.64.0.0/16 and 172.16.0.0/16, or,
/// for a network overlapping one of them, the first free /16
/// ([`crate::core::cidr::free_range`]), so every RFC 1918 `network.cidr`
/// that AWS and GCP accept is accepted here too (a platform at
/// `172.16.0.0/16` gets services at `192.168.0.0/16`).
pub fn aks_ranges(network_cidr: &str) -> (String, String, String) {
    let network: Vec<Ipv4Net> = network_cidr.parse::<Ipv4Net>().into_iter().collect();
    let pick = |preferred: &str, taken: &[Ipv4Net]| -> Ipv4Net {
        let preferred: Ipv4Net = preferred.parse().expect("a valid constant CIDR");
        if taken
            .iter()
            .any(|t| crate::core::cidr::overlaps(t, &preferred))
        {
            crate::core::cidr::free_range(16, taken).unwrap_or(preferred)
        } else {
            preferred
        }
    };
    let pods = pick(POD_CIDR, &network);
    let mut taken = network.clone();
    taken.push(pods);
    let services = pick(SERVICE_CIDR, &taken);
    let dns = std::net::Ipv4Addr::from(u32::from(services.network()) + 10);
    (pods.to_string(), services.to_string(), dns.to_string())
}

// The context and what the steps pass on.

/// What every step reads, and what the foundation made.
pub(crate) struct Azure<'p> {
    platform: &'p Platform,
    env: Environment,
    production: bool,
    location: &'p str,
    prefix: String,
    suffix: String,
    zones: Vec<String>,
    client: Ref<kind::ClientConfig>,
    tenant_id: Attr<kind::TenantId>,
    rg: ResourceGroupHandle,
    workspace: Ref<kind::LogAnalyticsWorkspace>,
}

/// The network, its private DNS zones, and the ids of the three subnets the
/// services go into.
pub(crate) struct AzureNetwork {
    network: NetworkHandle,
    dns_zones: PrivateDnsZones,
    nodes: Attr<Id<kind::Subnet>>,
    endpoints: Attr<Id<kind::Subnet>>,
    pg_subnet: Attr<Id<kind::Subnet>>,
}

/// A handle with the delete lock guarding it, if any.
type Locked<H> = (H, Option<Ref<kind::ManagementLock>>);

// The steps, in the order of `realize::run`.

impl<'p> Realization<'p> for Azure<'p> {
    type Network = AzureNetwork;
    type Keys = AzureKeys;
    type Cluster = AksHandles;
    type Identities = BTreeMap<String, Ref<kind::UserAssignedIdentity>>;
    type Database = Locked<PostgresHandle>;
    type Cache = ManagedRedisHandle;
    type Buckets = Locked<StorageHandle>;
    /// Each workload's access, and the database bootstrap.
    type Workloads = (BTreeMap<String, AzureWorkload>, Option<AzureBootstrap>);
    type Handles = AzurePlatform;

    /// The provider, one resource group holding everything, and the Log
    /// Analytics workspace for container insights, Defender findings and
    /// storage access logs.
    /// The location and the zone count against it (the resource group's own
    /// check, run once here).
    fn check_input(platform: &Platform, stack: &mut Stack) {
        crate::azure::location::check(
            stack,
            "platform",
            &platform.regions.azure,
            platform.network.zones,
        );
        crate::platform::tags::check(platform, crate::core::environment::Cloud::Azure, stack);
        check_cache_version(&platform.cache.version, stack);
    }

    fn foundation(platform: &'p Platform, stack: &mut Stack) -> Self {
        let env = platform.environment;
        let production = env.is_production();
        let location = platform.regions.azure.as_str();
        let prefix = naming::prefix(&platform.project, env.as_str(), location);
        let suffix = naming::stable_suffix(&platform.project, env.as_str(), location);
        let zones = location::zones(location, platform.network.zones);

        configure_provider(stack);
        let client = stack.add(ClientConfig);
        let tenant_id = client.tenant_id();
        let rg = stack.add(
            ResourceGroup::new("main", &format!("{prefix}-rg"), location)
                .zones(platform.network.zones),
        );
        let workspace = stack.add(
            LogAnalyticsWorkspace::new("main", &format!("{prefix}-logs"), &rg)
                .retention_days(if production { 90 } else { 30 }),
        );
        Azure {
            platform,
            env,
            production,
            location,
            prefix,
            suffix,
            zones,
            client,
            tenant_id,
            rg,
            workspace,
        }
    }

    /// The VNet with its subnets and NAT, and the private DNS zones of the
    /// services' private endpoints.
    fn network(&self, stack: &mut Stack) -> AzureNetwork {
        let rg = &self.rg;
        let (pods, services, _) = aks_ranges(&self.platform.network.cidr);
        let network = stack.add(
            Network::standard("main", &self.prefix, rg, &self.platform.network.cidr)
                .reserve("pod_cidr", &pods)
                .reserve("service_cidr", &services)
                // Whether a public ingress runs is the Helm layer's to decide
                // (ingress-nginx, a public LoadBalancer, is on unless a stack
                // turns it off), which this layer cannot see; cert-manager's
                // HTTP-01 challenges and every public host need 80/443 to
                // reach it. With the controller off no public frontend exists
                // and the rule opens nothing.
                .web_ingress(true),
        );
        let nodes = subnet_id(&network.nodes, "aks-nodes", stack);
        let endpoints = subnet_id(&network.private_endpoints, "private-endpoints", stack);
        let pg_subnet = subnet_id(&network.postgres, "postgres", stack);

        let mut zone = |name: &str, domain: &str| {
            stack.add(PrivateDnsZone::new(name, domain, rg, network.vnet_id()))
        };
        let dns_zones = PrivateDnsZones {
            postgres: zone("postgres", "privatelink.postgres.database.azure.com"),
            redis: zone("redis", managed_redis::PRIVATE_DNS_ZONE),
            vault: zone("vault", "privatelink.vaultcore.azure.net"),
            blob: zone("blob", "privatelink.blob.core.windows.net"),
        };
        AzureNetwork {
            network,
            dns_zones,
            nodes,
            endpoints,
            pg_subnet,
        }
    }

    /// The customer-managed key for the storage account and the AKS node
    /// disks, and the Key Vault for application secrets.
    fn keys(&self, network: &AzureNetwork, stack: &mut Stack) -> AzureKeys {
        let (prefix, rg) = (&self.prefix, &self.rg);
        // Given as variables, because creating a key is a data-plane call a
        // private vault refuses from outside its network (see docs/azure.md).
        untyped_variable(
            stack,
            "cmk_key_vault_id",
            "Resource id of the Key Vault holding the customer-managed key (purge protection on; RBAC authorization)",
        );
        untyped_variable(
            stack,
            "cmk_key_id",
            "Versionless id of the customer-managed RSA key, https://<vault>.vault.azure.net/keys/<name>, without a trailing slash (the storage account follows its rotations)",
        );
        // The disk encryption set is pinned to a version: following the newest
        // one makes azurerm read the key through the vault's data plane with
        // the runner's credentials, which a private vault refuses
        // (DiskEncryptionSet::key_version).
        untyped_variable(
            stack,
            "cmk_key_version",
            "Version of that key the AKS node disks use (the last segment of its versioned id); set the new version and apply after a rotation",
        );
        let cmk_identity = stack.add(ManagedIdentity::new("cmk", &format!("{prefix}-cmk"), rg));
        let cmk_role = stack.add(RoleAssignment::new(
            "cmk_key_vault",
            Attr::from_expr(Expr::raw("var.cmk_key_vault_id")),
            "Key Vault Crypto Service Encryption User",
            cmk_identity.principal_id(),
        ));
        // The storage account and the disk encryption set check the key as
        // this identity the moment they are created.
        let cmk_role_ready = stack.add(RolePropagation::new("cmk_role_propagation", &[&cmk_role]));
        let cmk = CustomerManagedKey {
            key_id: Value::Expr(Expr::raw("var.cmk_key_id")),
            identity_id: cmk_identity.id(),
        };

        // Key Vault for application secrets (read through the CSI driver).
        let vault = stack.add(
            KeyVault::new(KeyVaultProps {
                logical_name: "main",
                name: &naming::key_vault_name(
                    &self.platform.project,
                    self.env.as_str(),
                    &self.suffix,
                ),
                resource_group: rg,
                tenant_id: self.tenant_id.clone(),
                endpoint_subnet_id: network.endpoints.clone(),
                dns_zone: &network.dns_zones.vault,
            })
            .soft_delete_days(self.env.pick(7, 30, 90))
            .endpoint_name(&format!("{prefix}-kv-pe")),
        );
        AzureKeys {
            cmk,
            cmk_identity,
            cmk_role,
            cmk_role_ready,
            vault,
        }
    }

    /// The control-plane identity and its roles, the node disks' encryption
    /// set, AKS and its node pools.
    fn cluster(&self, network: &AzureNetwork, keys: &AzureKeys, stack: &mut Stack) -> AksHandles {
        let (env, prefix, rg, zones) = (self.env, &self.prefix, &self.rg, &self.zones);
        let spec = &self.platform.cluster;
        let control_plane = stack.add(ManagedIdentity::new(
            "aks_control_plane",
            &format!("{prefix}-aks-control-plane"),
            rg,
        ));
        // AKS joins nodes to the subnet and manages load balancer IPs in it.
        let network_role = stack.add(RoleAssignment::new(
            "aks_control_plane_network",
            kind::scope_of(&network.network.vnet_id()),
            "Network Contributor",
            control_plane.principal_id(),
        ));
        let disk_encryption = stack.add(
            DiskEncryptionSet::new(
                "aks_nodes",
                &format!("{prefix}-aks-des"),
                rg,
                keys.cmk.clone(),
            )
            .key_version(Value::Expr(Expr::raw("var.cmk_key_version")))
            .depends_on(keys.cmk_role_ready.address()),
        );
        // AKS attaches the set to the node disks as the control-plane identity.
        let des_role = stack.add(RoleAssignment::new(
            "aks_control_plane_disk_encryption",
            kind::scope_of(&disk_encryption.id()),
            "Reader",
            control_plane.principal_id(),
        ));
        // AKS checks both roles of its identity while it creates the cluster
        // (joining the subnet, attaching the set to node disks).
        let roles_ready = stack.add(RolePropagation::new(
            "aks_roles_propagation",
            &[&network_role, &des_role],
        ));
        let access = match &spec.api_access {
            ApiAccess::Private => ApiServerAccess::Private,
            ApiAccess::Restricted(cidrs) => ApiServerAccess::AuthorizedRanges(cidrs.clone()),
        };
        let (pods, services, dns) = aks_ranges(&self.platform.network.cidr);
        let mut cluster = AksCluster::new(AksClusterProps {
            logical_name: &spec.name,
            name: &format!("{prefix}-aks"),
            resource_group: rg,
            vnet_subnet_id: network.nodes.clone(),
            identity_id: control_plane.id(),
            tenant_id: self.tenant_id.clone(),
        })
        .kubernetes_version(&spec.kubernetes_version)
        .api_server_access(access)
        .standard_tier(self.production)
        .zones(zones.clone())
        .system_pool(SystemPool {
            vm_size: sizes::vm_size_for(Size::Large).to_string(),
            min_nodes: env.pick(1, 2, 3),
            max_nodes: env.pick(3, 3, 5),
        })
        .cidrs(&pods, &services, &dns)
        .monitoring(self.workspace.id())
        .defender(self.production)
        .disk_encryption_set(disk_encryption.id())
        .depends_on(roles_ready.address());
        if let Some(ip) = &network.network.nat_public_ip {
            cluster = cluster.authorize_egress(ip.ip_address());
        }
        for address in &network.network.outbound_ready {
            cluster = cluster.depends_on(address);
        }
        let cluster = stack.add(cluster);

        let mut node_pools = BTreeMap::new();
        // Distinct temporary pools, so any two pools can be cycled (a change
        // of VM size, OS disk or zones) without meeting each other's.
        let valid = spec
            .pools
            .iter()
            .filter(|pool| aks::pool_name_problem(&pool.name).is_none());
        let rotation_names = aks::rotation_names(valid.map(|pool| pool.name.as_str()));
        for pool in &spec.pools {
            if aks::pool_name_problem(&pool.name).is_some() {
                // Already reported by the platform validation under `pools.<name>.name`.
                continue;
            }
            let vm_size = match pool.gpus {
                None => sizes::vm_size_for(pool.size),
                Some(gpus) => aks::gpu_vm_size_for(gpus).unwrap_or_else(|| {
                    stack.error_with_fix(
                        &spec.name,
                        &format!("pools.{}.gpus", pool.name),
                        &format!("{gpus} GPUs per node has no Azure T4 VM size"),
                        "use 1 GPU (Standard_NC4as_T4_v3) or 2-4 (Standard_NC64as_T4_v3, 4 GPUs)",
                        "4",
                    );
                    aks::gpu_vm_size_for(1).unwrap_or_default()
                }),
            };
            let mut builder = NodePool::new(
                &format!("pool_{}", logical(&pool.name)),
                &pool.name,
                cluster.id(),
                network.nodes.clone(),
            )
            .vm_size(vm_size)
            .priority(match pool.capacity {
                Capacity::OnDemand => Priority::Regular,
                Capacity::Spot => Priority::Spot,
            })
            .nodes(pool.min_nodes, pool.desired_nodes, pool.max_nodes)
            .zones(zones.clone())
            // Upgraded after the control plane, by one edit of the spec's
            // kubernetes_version.
            .orchestrator_version(cluster.attr::<String>("kubernetes_version"));
            if let Some(rotation) = rotation_names.get(&pool.name) {
                builder = builder.temporary_name_for_rotation(rotation);
            }
            for taint in &pool.taints {
                builder = builder.taint(&taint.key, &taint.value, taint.effect.as_str());
            }
            for (key, value) in &pool.labels {
                builder = builder.label(key, value);
            }
            node_pools.insert(pool.name.clone(), stack.add(builder));
        }
        // Local accounts are off and Kubernetes authorizes through Azure RBAC,
        // so without this role nobody (operators, the CI that installs the
        // charts) can use the cluster. The group is an input, like the
        // PostgreSQL administrators: Terraform's own identity is the wrong
        // holder (azurerm_client_config describes whoever runs it).
        untyped_variable(
            stack,
            "aks_admin_group_object_id",
            "Object id of the Entra ID group whose members (operators, the CI principal that installs the charts) administer the cluster through Azure RBAC",
        );
        let admin_role = stack.add(
            RoleAssignment::new(
                "aks_admin_group",
                kind::scope_of(&cluster.id()),
                AKS_ADMIN_ROLE,
                Attr::from_expr(Expr::raw("var.aks_admin_group_object_id")),
            )
            .principal_type(PrincipalType::Group),
        );
        // Made by AksCluster with the monitoring agent.
        let insights_name = format!("{}_insights", spec.name);
        let insights = stack
            .find::<kind::DataCollectionRule>(&insights_name)
            .zip(stack.find::<kind::DataCollectionRuleAssociation>(&insights_name))
            .map(|(rule, association)| ContainerInsightsHandle { rule, association });
        AksHandles {
            insights,
            admin_role,
            cluster,
            node_pools,
            control_plane,
            network_role,
            disk_encryption_set: disk_encryption,
            disk_encryption_role: des_role,
            roles_ready,
        }
    }

    /// One managed identity per workload, federated with its Kubernetes
    /// service account.
    fn workload_identities(
        &self,
        cluster: &AksHandles,
        stack: &mut Stack,
    ) -> BTreeMap<String, Ref<kind::UserAssignedIdentity>> {
        let mut identities = BTreeMap::new();
        for workload in &self.platform.workloads {
            let identity = stack.add(WorkloadIdentity::new(WorkloadIdentityProps {
                logical_name: &format!("workload_{}", logical(&workload.name)),
                name: &format!("{}-{}", self.prefix, workload.name),
                resource_group: &self.rg,
                oidc_issuer_url: cluster.cluster.oidc_issuer_url(),
                namespace: &workload.namespace,
                service_account: &workload.service_account,
            }));
            identities.insert(workload.name.clone(), identity);
        }
        identities
    }

    /// The PostgreSQL flexible server with an Entra ID group as its
    /// administrator, and its delete lock.
    fn database(
        &self,
        network: &AzureNetwork,
        _keys: &AzureKeys,
        _cluster: &AksHandles,
        _identities: &BTreeMap<String, Ref<kind::UserAssignedIdentity>>,
        stack: &mut Stack,
    ) -> Locked<PostgresHandle> {
        let (prefix, suffix, zones) = (&self.prefix, &self.suffix, &self.zones);
        let db = &self.platform.database;
        let ha = match (db.high_availability, zones.len() >= 2) {
            (false, _) => PostgresHa::Disabled,
            (true, true) => PostgresHa::ZoneRedundant,
            (true, false) => PostgresHa::SameZone,
        };
        let admin = EntraAdmin {
            tenant_id: self.tenant_id.clone(),
            object_id: Value::Expr(Expr::raw("var.postgres_admin_group_object_id")),
            principal_name: Value::Expr(Expr::raw("var.postgres_admin_group_name")),
        };
        untyped_variable(
            stack,
            "postgres_admin_group_object_id",
            "Object id of the Entra ID group administering PostgreSQL (there is no password admin)",
        );
        untyped_variable(
            stack,
            "postgres_admin_group_name",
            "Display name of that Entra ID group",
        );
        let mut server = PostgresServer::new(PostgresServerProps {
            logical_name: &db.name,
            // Server names are DNS labels of at most 63 characters, the
            // last 7 the `-<suffix>` that makes them globally unique.
            name: &format!("{}-{suffix}", fit(&format!("{prefix}-{}", db.name), 56)),
            resource_group: &self.rg,
            delegated_subnet_id: network.pg_subnet.clone(),
            dns_zone: &network.dns_zones.postgres,
            administrator: admin,
        })
        .version(&db.version)
        .sku(sizes::sku_for(db.size))
        .storage_gb(db.storage_gb)
        .high_availability(ha)
        // Azure keeps 7 to 35 days; shorter platform settings get the minimum.
        .backup_retention_days(db.backup_retention_days.clamp(7, 35))
        .geo_redundant_backup(!self.env.is_development())
        .prevent_destroy(db.deletion_protection);
        if ha == PostgresHa::ZoneRedundant {
            server = server.zones(Some("1"), Some("2"));
        } else if !zones.is_empty() {
            server = server.zones(Some("1"), None);
        }
        for database in &db.databases {
            server = server.database(database);
        }
        let postgres = stack.add(server);
        let lock = db.deletion_protection.then(|| {
            stack.add(DeleteLock::new(
                &format!("{}_delete_lock", db.name),
                kind::scope_of(&postgres.server.id()),
            ))
        });
        (postgres, lock)
    }

    /// Azure Managed Redis behind a private endpoint: Azure Cache for Redis
    /// retires on 2028-09-30 and stops taking new caches before then, so a
    /// platform that creates environments for years cannot build on it
    /// (docs/azure.md, "Redis").
    fn cache(
        &self,
        network: &AzureNetwork,
        _keys: &AzureKeys,
        _cluster: &AksHandles,
        _identities: &BTreeMap<String, Ref<kind::UserAssignedIdentity>>,
        stack: &mut Stack,
    ) -> ManagedRedisHandle {
        let (prefix, suffix) = (&self.prefix, &self.suffix);
        let cache = &self.platform.cache;
        stack.add(
            ManagedRedis::new(ManagedRedisProps {
                logical_name: &cache.name,
                // As the PostgreSQL server's: at most 63 with the suffix.
                name: &format!("{}-{suffix}", fit(&format!("{prefix}-{}", cache.name), 56)),
                resource_group: &self.rg,
                endpoint_subnet_id: network.endpoints.clone(),
                dns_zone: &network.dns_zones.redis,
            })
            .sku(sizes::managed_redis_sku_for(cache.size))
            // A replica per shard, over the region's zones; `replicas` beyond
            // one is not expressible (Managed Redis keeps exactly one).
            .high_availability(cache.high_availability)
            .endpoint_name(&format!("{prefix}-redis-pe")),
        )
    }

    /// The storage account, one container per bucket spec, and its delete
    /// lock in production.
    fn buckets(
        &self,
        network: &AzureNetwork,
        keys: &AzureKeys,
        stack: &mut Stack,
    ) -> Locked<StorageHandle> {
        let (env, prefix) = (self.env, &self.prefix);
        let mut storage = StorageAccount::new(
            "objects",
            naming::storage_account_name(&self.platform.project, env.as_str(), &self.suffix),
            &self.rg,
        )
        .replication(env.pick(Replication::Lrs, Replication::Zrs, Replication::Gzrs))
        .soft_delete_days(env.pick(7, 14, 30))
        .private_endpoint(
            network.endpoints.clone(),
            &network.dns_zones.blob,
            Some(&format!("{prefix}-blob-pe")),
        )
        .customer_managed_key(keys.cmk.clone())
        .diagnostics(self.workspace.id())
        .depends_on(keys.cmk_role_ready.address());
        for bucket in &self.platform.buckets {
            storage = storage.container(ContainerSpec {
                name: bucket.name.clone().into(),
                key: None,
                cold_after_days: bucket.archive_after_days,
                delete_after_days: bucket.expire_after_days,
                noncurrent_delete_days: bucket.noncurrent_expire_days,
            });
        }
        let storage = stack.add(storage);
        let lock = self.production.then(|| {
            stack.add(DeleteLock::new(
                "objects_delete_lock",
                kind::scope_of(&storage.account.id()),
            ))
        });
        (storage, lock)
    }

    /// What each workload's identity may reach: its containers and the
    /// vault's secrets.
    fn workload_access(
        &self,
        keys: &AzureKeys,
        cluster: &AksHandles,
        identities: &BTreeMap<String, Ref<kind::UserAssignedIdentity>>,
        ((postgres, _), cache): (&Locked<PostgresHandle>, &ManagedRedisHandle),
        (storage, _): &Locked<StorageHandle>,
        stack: &mut Stack,
    ) -> (BTreeMap<String, AzureWorkload>, Option<AzureBootstrap>) {
        let mut workloads = BTreeMap::new();
        for workload in &self.platform.workloads {
            let Some(identity) = identities.get(&workload.name) else {
                continue;
            };
            let key = logical(&workload.name);
            let mut container_roles = BTreeMap::new();
            for (bucket, access) in &workload.buckets {
                let Some(container) = storage.containers.get(bucket) else {
                    continue; // reported by the platform validation
                };
                let role = match access {
                    Access::Read => "Storage Blob Data Reader",
                    Access::ReadWrite => "Storage Blob Data Contributor",
                };
                let assignment = stack.add(RoleAssignment::new(
                    &format!("workload_{key}_{}", logical(bucket)),
                    container.resource_manager_id(),
                    role,
                    identity.principal_id(),
                ));
                container_roles.insert(bucket.clone(), assignment);
            }
            let secrets_role = stack.add(RoleAssignment::new(
                &format!("workload_{key}_secrets"),
                kind::scope_of(&keys.vault.vault.id()),
                "Key Vault Secrets User",
                identity.principal_id(),
            ));
            workloads.insert(
                workload.name.clone(),
                AzureWorkload {
                    identity: identity.clone(),
                    container_roles,
                    secrets_role,
                    cache_access: workload
                        .uses_cache
                        .then(|| cache_access(stack, cache, &workload.name, identity)),
                },
            );
        }
        let bootstrap =
            data_access::needs_bootstrap(self.platform, crate::core::environment::Cloud::Azure)
                .then(|| self.database_bootstrap(cluster, postgres, stack));
        (workloads, bootstrap)
    }

    /// Besides the shared outputs: the resource group, the Key Vault URI and
    /// the tenant.
    fn outputs(&self, parts: &Parts<'p, Self>, stack: &mut Stack) -> Outputs {
        let (postgres, redis, cluster) = (&parts.database.0, &parts.cache, &parts.cluster.cluster);
        let storage = &parts.buckets.0;
        stack.output(
            "resource_group_name",
            self.rg.name.clone(),
            "Resource group holding the platform",
        );
        stack.output(
            "key_vault_uri",
            parts.keys.vault.vault.vault_uri(),
            "Key Vault for application secrets",
        );
        // The Entra object ids `pgaadauth_create_principal_with_oid` takes
        // (the bootstrap Job's psql variables) and Managed Redis users.
        for workload in &self.platform.workloads {
            let uses_data = workload.uses_database() || workload.uses_cache;
            if let (true, Some(identity)) = (uses_data, parts.identities.get(&workload.name)) {
                stack.output(
                    &data_access::principal_output(&workload.name),
                    identity.principal_id(),
                    &format!(
                        "Entra object id of workload `{}`'s identity (its PostgreSQL role and Redis user)",
                        workload.name
                    ),
                );
            }
        }
        if let Some(bootstrap) = &parts.workloads.1 {
            stack.output(
                data_access::BOOTSTRAP_IDENTITY,
                bootstrap.identity.client_id(),
                "Managed identity client id of the database bootstrap Job (a PostgreSQL Entra administrator)",
            );
        }
        stack.output(
            "tenant_id",
            self.tenant_id.clone(),
            "Entra ID tenant of the workload identities",
        );
        let endpoint = if self.platform.cluster.api_access == ApiAccess::Private {
            cluster.private_fqdn()
        } else {
            cluster.fqdn()
        };
        Outputs {
            database_address: Output::new(
                postgres.server.fqdn(),
                "PostgreSQL host name (private, resolved through the private DNS zone)",
            ),
            database_port: Output::new(5432, "PostgreSQL port"),
            database_names: by_name(
                postgres.databases.iter().map(|(name, db)| (name, db)),
                |name, database| {
                    let description = format!("Database `{name}` on the PostgreSQL server");
                    Output::new(database.name(), description)
                },
            ),
            redis_host: Output::new(
                redis.cache.hostname(),
                "Managed Redis host name (private endpoint)",
            ),
            redis_port: Output::new(redis.cache.port(), "Managed Redis TLS port (10000)"),
            cluster_name: Output::new(cluster.name(), "AKS cluster name"),
            cluster_endpoint: Output::new(
                endpoint.prefixed("https://"),
                "Kubernetes API server URL",
            ),
            region: Output::new(self.location, "Azure location"),
            object_store_endpoint: Output::new(
                storage.account.primary_blob_endpoint(),
                "Blob service endpoint of the storage account",
            ),
            buckets: by_name(&storage.containers, |name, container| {
                Output::new(
                    container.name(),
                    format!("Blob container for bucket `{name}`"),
                )
            }),
            workload_identities: per_workload(
                self.platform,
                &parts.identities,
                |workload, identity| {
                    Output::new(
                    identity.client_id(),
                    format!(
                        "Managed identity client id for workload `{}` (azure.workload.identity/client-id)",
                        workload.name
                    ),
                )
                },
            ),
        }
    }

    fn handles(self, parts: Parts<'p, Self>) -> AzurePlatform {
        AzurePlatform {
            client: self.client,
            resource_group: self.rg,
            log_analytics: self.workspace,
            network: parts.network.network,
            dns_zones: parts.network.dns_zones,
            keys: parts.keys,
            cluster: parts.cluster,
            database: parts.database.0,
            database_lock: parts.database.1,
            cache: parts.cache,
            storage: parts.buckets.0,
            storage_lock: parts.buckets.1,
            workloads: parts.workloads.0,
            database_bootstrap: parts.workloads.1,
        }
    }
}

// Helpers of the steps.

/// The azurerm pin and provider configuration, and the subscription as a
/// variable.
fn configure_provider(stack: &mut Stack) {
    stack.require_terraform(">= 1.6");
    stack.require_provider("azurerm", "hashicorp/azurerm", PROVIDER_VERSION);
    untyped_variable(
        stack,
        "subscription_id",
        "Azure subscription to deploy into (azurerm 4.x requires it)",
    );
    let mut provider = BTreeMap::new();
    // Nothing this stack emits needs the storage data plane (containers are
    // created through Azure Resource Manager, logs go through diagnostic
    // settings), and the account's data plane is closed to the runner (public
    // network access off, only a blob private endpoint). With the provider's
    // default `data_plane_available = true`, azurerm 4.55 polls the blob,
    // queue and static-website endpoints after creating the account and
    // reads queue and static-website properties on every refresh; the 403
    // fails the create and taints the account (internal/services/storage/
    // storage_account_resource.go; provider issues #25978, #32474). `false`
    // skips both and forbids the `queue_properties` and `static_website`
    // blocks, which no builder sets.
    provider.insert(
        "features".to_string(),
        map! { "storage" => vec![map! { "data_plane_available" => false }] },
    );
    provider.insert(
        "subscription_id".to_string(),
        Value::Expr(Expr::raw("var.subscription_id")),
    );
    // Diagnostic settings and the Container Insights data collection rule are
    // Microsoft.Insights resources, which azurerm's default registration set
    // ("legacy", internal/resourceproviders/required.go) leaves out; a fresh
    // subscription would refuse them on the first apply.
    provider.insert(
        "resource_providers_to_register".to_string(),
        Value::from(vec!["Microsoft.Insights"]),
    );
    // Storage accounts have shared keys off, so any data-plane call a
    // customize hook adds (a blob, a queue) authenticates with Entra ID.
    provider.insert("storage_use_azuread".to_string(), Value::Bool(true));
    stack.provider("azurerm", provider);
}

/// A required variable without a type constraint: the core writer renders
/// `type` as `"${string}"`, which Terraform rejects ("Invalid type
/// specification"); untyped variables accept the same strings.
fn untyped_variable(stack: &mut Stack, name: &str, description: &str) {
    let variable = Variable {
        type_expr: String::new(),
        description: description.to_string(),
        default: None,
        sensitive: false,
    };
    stack.variable(name, variable);
}

/// The id of one of the standard subnets. Only an unusable network CIDR
/// leaves one out, and the cloud-neutral checks reported that; the later
/// steps then carry on with a null id (so they report their own problems)
/// in a stack that never synthesizes.
fn subnet_id(
    subnet: &Option<Ref<kind::Subnet>>,
    name: &str,
    stack: &mut Stack,
) -> Attr<Id<kind::Subnet>> {
    match subnet {
        Some(subnet) => subnet.id(),
        None => {
            if !stack.diagnostics().has_errors() {
                stack.error(
                    "network",
                    "cidr",
                    &format!("the network has no `{name}` subnet"),
                    "use a /20 or larger network CIDR",
                );
            }
            Attr::from_expr(Expr::raw("null"))
        }
    }
}

impl Azure<'_> {
    /// The database bootstrap: a workload identity for its Kubernetes
    /// service account, made an Entra administrator of the server beside the
    /// operators' group, so the Job logs in with its own token and no password
    /// exists (the server allows several Entra administrators; azurerm
    /// 4.55.0's `azurerm_postgresql_flexible_server_active_directory_administrator`,
    /// one per principal).
    fn database_bootstrap(
        &self,
        cluster: &AksHandles,
        postgres: &PostgresHandle,
        stack: &mut Stack,
    ) -> AzureBootstrap {
        let platform = self.platform;
        let name = data_access::bootstrap_identity_name(platform);
        let identity = stack.add(WorkloadIdentity::new(WorkloadIdentityProps {
            logical_name: "database_bootstrap",
            name: &name,
            resource_group: &self.rg,
            oidc_issuer_url: cluster.cluster.oidc_issuer_url(),
            namespace: &data_access::bootstrap_namespace(platform),
            service_account: &data_access::bootstrap_service_account(platform),
        }));
        let administrator = stack.resource::<kind::PostgresqlFlexibleServerAdministrator>(
            "database_bootstrap",
            Attributes::new()
                .set("server_name", postgres.server.name())
                .set("resource_group_name", &self.rg.name)
                .set("tenant_id", self.tenant_id.clone())
                .set("object_id", identity.principal_id())
                .set("principal_name", name.as_str())
                .set("principal_type", "ServicePrincipal")
                // One administrator change at a time: the server refuses a
                // second while the first is in progress.
                .depends_on(postgres.administrator.address()),
        );
        AzureBootstrap {
            identity,
            administrator,
        }
    }
}

/// The `azapi` provider's version constraint: azurerm 4.55.0 has no
/// resource for Managed Redis access policy assignments
/// (`azurerm_managed_redis_access_policy_assignment` arrived in 4.60), so
/// they are ARM resources written with `azapi_resource`.
pub const AZAPI_PROVIDER_VERSION: &str = "~> 2.5";

/// The ARM type of a Managed Redis access policy assignment, at an API
/// version that has it generally available.
pub const REDIS_ACCESS_POLICY_ASSIGNMENT: &str =
    "Microsoft.Cache/redisEnterprise/databases/accessPolicyAssignments@2025-07-01";

/// The data access policy of `workload`'s identity on the cache's `default`
/// database: the built-in `default` policy (read and write every key, no
/// administrative commands), the only one Managed Redis offers. With access
/// keys off, a principal without an assignment cannot AUTH at all.
fn cache_access(
    stack: &mut Stack,
    cache: &ManagedRedisHandle,
    workload: &str,
    identity: &Ref<kind::UserAssignedIdentity>,
) -> Ref<crate::core::stack::RawKind> {
    stack.require_provider("azapi", "Azure/azapi", AZAPI_PROVIDER_VERSION);
    stack.raw_resource(
        "azapi_resource",
        &format!("redis_access_{}", logical(workload)),
        Attributes::new()
            .set("type", REDIS_ACCESS_POLICY_ASSIGNMENT)
            // Letters and digits only.
            .set("name", workload.replace('-', ""))
            .set("parent_id", cache.cache.id().suffixed("/databases/default"))
            .set(
                "body",
                Value::map().with(
                    "properties",
                    Value::map().with("accessPolicyName", "default").with(
                        "user",
                        Value::map().with("objectId", identity.principal_id()),
                    ),
                ),
            ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::environment::Environment;
    use crate::platform::{
        BucketSpec, CacheSpec, ClusterSpec, DatabaseSpec, NetworkSpec, NodePoolSpec, Regions,
        WorkloadSpec,
    };

    fn realize(platform: &Platform) -> Stack {
        crate::platform::realize_azure(platform).0
    }

    fn platform(env: Environment) -> Platform {
        Platform {
            project: "demo".into(),
            environment: env,
            regions: Regions::default(),
            network: NetworkSpec {
                cidr: "10.0.0.0/16".into(),
                zones: 3,
                single_nat_gateway: true,
            },
            database: DatabaseSpec {
                name: "db".into(),
                version: "16".into(),
                size: Size::Medium,
                storage_gb: 32,
                max_storage_gb: 64,
                high_availability: env.is_production(),
                backup_retention_days: 7,
                deletion_protection: env.is_production(),
                databases: vec!["app".into()],
            },
            cache: CacheSpec {
                name: "cache".into(),
                version: "7.1".into(),
                size: Size::Small,
                replicas: 1,
                high_availability: true,
            },
            cluster: ClusterSpec {
                name: "main".into(),
                kubernetes_version: "1.35".into(),
                api_access: ApiAccess::Restricted(vec!["198.51.100.0/24".into()]),
                pools: vec![NodePoolSpec {
                    name: "general".into(),
                    capacity: Capacity::OnDemand,
                    size: Size::Large,
                    gpus: None,
                    min_nodes: 1,
                    max_nodes: 3,
                    desired_nodes: 1,
                    taints: Vec::new(),
                    labels: BTreeMap::new(),
                }],
            },
            buckets: vec![BucketSpec {
                name: "data".into(),
                versioning: true,
                archive_after_days: None,
                expire_after_days: None,
                noncurrent_expire_days: Some(7),
            }],
            workloads: vec![WorkloadSpec {
                name: "api".into(),
                namespace: "apps".into(),
                service_account: "api".into(),
                databases: Vec::new(),
                uses_cache: false,
                buckets: vec![("data".into(), Access::Read)],
            }],
            tags: BTreeMap::new(),
        }
    }

    #[test]
    fn a_minimal_platform_synthesizes_in_every_env() {
        for env in Environment::DEFAULTS {
            let stack = realize(&platform(env));
            assert!(stack.synth().is_ok(), "{env}: {}", stack.diagnostics());
        }
    }

    #[test]
    fn nodes_egress_ip_is_authorized_on_a_public_api_server() {
        let stack = realize(&platform(Environment::DEV));
        let json = String::from_utf8(stack.render_json()).unwrap();
        assert!(json.contains("\"198.51.100.0/24\""), "{json}");
        assert!(
            json.contains("${azurerm_public_ip.main_nat.ip_address}/32"),
            "{json}"
        );
    }

    #[test]
    fn too_many_gpus_is_an_error_naming_the_pool() {
        let mut spec = platform(Environment::DEV);
        spec.cluster.pools[0].gpus = Some(8);
        let text = realize(&spec).diagnostics().to_string();
        assert!(text.contains("field `pools.general.gpus`"), "{text}");
        assert!(text.contains("Standard_NC4as_T4_v3"), "{text}");
    }

    /// A network on AKS's default service range (any RFC 1918 range AWS
    /// and GCP accept) moves the service range to the first free /16, its
    /// DNS address the tenth of it; the pod range stays.
    #[test]
    fn a_network_overlapping_the_service_range_moves_it() {
        assert_eq!(
            aks_ranges("10.20.0.0/16"),
            (
                "100.64.0.0/16".into(),
                "172.16.0.0/16".into(),
                "172.16.0.10".into()
            )
        );
        assert_eq!(
            aks_ranges("172.16.0.0/16"),
            (
                "100.64.0.0/16".into(),
                "192.168.0.0/16".into(),
                "192.168.0.10".into()
            )
        );
        let mut spec = platform(Environment::DEV);
        spec.network.cidr = "172.16.0.0/16".into();
        let stack = realize(&spec);
        assert!(!stack.diagnostics().has_errors(), "{}", stack.diagnostics());
    }

    #[test]
    fn small_database_with_high_availability_is_an_invalid_sku_for_the_tier() {
        let mut spec = platform(Environment::PRODUCTION);
        spec.database.size = Size::Small;
        let text = realize(&spec).diagnostics().to_string();
        assert!(text.contains("resource `db`, field `sku`"), "{text}");
        assert!(text.contains("B_Standard_B2s"), "{text}");
    }

    #[test]
    fn invalid_location_is_one_of_all_collected_errors() {
        let mut spec = platform(Environment::PRODUCTION);
        spec.regions.azure = "eu-west".into();
        spec.cluster.pools[0].name = "Gen_Pool".into();
        let stack = realize(&spec);
        let errors: Vec<String> = stack
            .diagnostics()
            .iter()
            .filter(|d| d.severity == crate::core::diagnostics::Severity::Error)
            .map(|d| d.field.clone())
            .collect();
        assert!(errors.contains(&"location".to_string()), "{errors:?}");
        assert!(
            errors.contains(&"pools.Gen_Pool.name".to_string()),
            "{errors:?}"
        );
        assert_eq!(errors.len(), 2, "each problem is reported once: {errors:?}");
    }
}
