//! The azurerm resource kinds the Azure builders emit, and typed accessors for
//! the attributes other builders and outputs read.

use crate::core::reference::{Attr, HasName, Id, Ref, ResourceKind};

macro_rules! kinds {
    ($($(#[$doc:meta])* $kind:ident = $type_name:literal $(, $named:ident)?;)*) => {$(
        $(#[$doc])*
        pub enum $kind {}
        impl ResourceKind for $kind {
            const TYPE: &'static str = $type_name;
        }
        $(impl $named for $kind {})?
    )*};
}

kinds! {
    /// `data.azurerm_client_config`: the tenant and principal Terraform runs as.
    ClientConfig = "azurerm_client_config";
    /// A resource group.
    ResourceGroup = "azurerm_resource_group", HasName;
    /// A virtual network.
    VirtualNetwork = "azurerm_virtual_network", HasName;
    /// A subnet of a virtual network.
    Subnet = "azurerm_subnet", HasName;
    /// A NAT gateway (outbound internet for private subnets).
    NatGateway = "azurerm_nat_gateway", HasName;
    /// A public IP address.
    PublicIp = "azurerm_public_ip", HasName;
    /// Attaches a public IP to a NAT gateway.
    NatGatewayPublicIpAssociation = "azurerm_nat_gateway_public_ip_association";
    /// Attaches a NAT gateway to a subnet.
    SubnetNatGatewayAssociation = "azurerm_subnet_nat_gateway_association";
    /// A network security group.
    NetworkSecurityGroup = "azurerm_network_security_group", HasName;
    /// One rule of a network security group.
    NetworkSecurityRule = "azurerm_network_security_rule", HasName;
    /// Attaches a network security group to a subnet.
    SubnetNetworkSecurityGroupAssociation = "azurerm_subnet_network_security_group_association";
    /// A private DNS zone (`privatelink.*`).
    PrivateDnsZone = "azurerm_private_dns_zone", HasName;
    /// Links a private DNS zone to a virtual network.
    PrivateDnsZoneVirtualNetworkLink = "azurerm_private_dns_zone_virtual_network_link", HasName;
    /// A private endpoint of a PaaS resource inside a subnet.
    PrivateEndpoint = "azurerm_private_endpoint", HasName;
    /// A PostgreSQL flexible server.
    PostgresqlFlexibleServer = "azurerm_postgresql_flexible_server", HasName;
    /// A database on a PostgreSQL flexible server.
    PostgresqlFlexibleServerDatabase = "azurerm_postgresql_flexible_server_database", HasName;
    /// The Entra ID administrator of a PostgreSQL flexible server.
    PostgresqlFlexibleServerAdministrator =
        "azurerm_postgresql_flexible_server_active_directory_administrator";
    /// An Azure Cache for Redis (retiring; see [`ManagedRedis`]).
    RedisCache = "azurerm_redis_cache", HasName;
    /// An Azure Managed Redis instance.
    ManagedRedis = "azurerm_managed_redis", HasName;
    /// A storage account.
    StorageAccount = "azurerm_storage_account", HasName;
    /// A blob container.
    StorageContainer = "azurerm_storage_container", HasName;
    /// Lifecycle rules of a storage account's blobs.
    StorageManagementPolicy = "azurerm_storage_management_policy";
    /// A Log Analytics workspace (AKS monitoring and Defender).
    LogAnalyticsWorkspace = "azurerm_log_analytics_workspace", HasName;
    /// An AKS cluster.
    KubernetesCluster = "azurerm_kubernetes_cluster", HasName;
    /// An AKS user node pool.
    KubernetesClusterNodePool = "azurerm_kubernetes_cluster_node_pool", HasName;
    /// A user-assigned managed identity.
    UserAssignedIdentity = "azurerm_user_assigned_identity", HasName;
    /// Trusts a Kubernetes service account token for a managed identity.
    FederatedIdentityCredential = "azurerm_federated_identity_credential", HasName;
    /// Grants a role on a scope to a principal.
    RoleAssignment = "azurerm_role_assignment";
    /// A Key Vault.
    KeyVault = "azurerm_key_vault", HasName;
    /// A lock preventing deletion of a scope.
    ManagementLock = "azurerm_management_lock", HasName;
    /// Encrypts managed disks with a customer-managed key.
    DiskEncryptionSet = "azurerm_disk_encryption_set", HasName;
    /// Sends a resource's logs to a Log Analytics workspace.
    DiagnosticSetting = "azurerm_monitor_diagnostic_setting", HasName;
    /// A data collection rule: what an Azure Monitor agent collects and
    /// where it sends it (Container Insights).
    DataCollectionRule = "azurerm_monitor_data_collection_rule", HasName;
    /// Associates a data collection rule with a resource (the AKS cluster).
    DataCollectionRuleAssociation = "azurerm_monitor_data_collection_rule_association", HasName;
    /// `hashicorp/time`'s sleep, the one type of another provider the Azure
    /// builders emit: a pause between role assignments and their users while
    /// Azure RBAC propagates ([`crate::azure::RolePropagation`]).
    TimeSleep = "time_sleep";
}

/// The object id of an Entra ID principal (user, group, managed identity).
pub enum PrincipalId {}
/// The application (client) id of a managed identity.
pub enum ClientId {}
/// An Entra ID tenant id.
pub enum TenantId {}
/// An Azure Resource Manager id of any resource, used as a role assignment scope.
pub enum ScopeId {}

impl Ref<ClientConfig> {
    /// The tenant Terraform authenticates against.
    pub fn tenant_id(&self) -> Attr<TenantId> {
        self.attr("tenant_id")
    }
}

impl Ref<UserAssignedIdentity> {
    /// The identity's service principal object id (what role assignments grant to).
    pub fn principal_id(&self) -> Attr<PrincipalId> {
        self.attr("principal_id")
    }

    /// The identity's client id (what workloads put in their service account annotation).
    pub fn client_id(&self) -> Attr<ClientId> {
        self.attr("client_id")
    }
}

impl Ref<PublicIp> {
    /// The allocated address.
    pub fn ip_address(&self) -> Attr<String> {
        self.attr("ip_address")
    }
}

impl Ref<PostgresqlFlexibleServer> {
    /// The server's private host name.
    pub fn fqdn(&self) -> Attr<String> {
        self.attr("fqdn")
    }
}

impl Ref<RedisCache> {
    /// The cache's host name (resolved privately through the private endpoint).
    pub fn hostname(&self) -> Attr<String> {
        self.attr("hostname")
    }

    /// The TLS port.
    pub fn ssl_port(&self) -> Attr<u16> {
        self.attr("ssl_port")
    }
}

impl Ref<ManagedRedis> {
    /// The instance's host name (resolved privately through the private
    /// endpoint).
    pub fn hostname(&self) -> Attr<String> {
        self.attr("hostname")
    }

    /// The TLS port of its default database (10000).
    pub fn port(&self) -> Attr<u16> {
        self.attr("default_database[0].port")
    }
}

impl Ref<StorageAccount> {
    /// The blob service endpoint, `https://<account>.blob.core.windows.net/`.
    pub fn primary_blob_endpoint(&self) -> Attr<String> {
        self.attr("primary_blob_endpoint")
    }
}

impl Ref<StorageContainer> {
    /// The container's Azure Resource Manager id (a role assignment scope).
    pub fn resource_manager_id(&self) -> Attr<ScopeId> {
        self.attr("resource_manager_id")
    }
}

impl Ref<KubernetesCluster> {
    /// The OIDC issuer URL that federated identity credentials trust.
    pub fn oidc_issuer_url(&self) -> Attr<String> {
        self.attr("oidc_issuer_url")
    }

    /// The public API server host name.
    pub fn fqdn(&self) -> Attr<String> {
        self.attr("fqdn")
    }

    /// The private API server host name (private clusters).
    pub fn private_fqdn(&self) -> Attr<String> {
        self.attr("private_fqdn")
    }
}

impl Ref<KeyVault> {
    /// The vault's URI, `https://<name>.vault.azure.net/`.
    pub fn vault_uri(&self) -> Attr<String> {
        self.attr("vault_uri")
    }
}

/// Any resource id usable as a role assignment scope.
pub fn scope_of<K>(id: &Attr<Id<K>>) -> Attr<ScopeId> {
    id.clone().cast()
}
