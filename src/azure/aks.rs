//! AKS: the cluster (system node pool, Azure CNI overlay with Cilium network
//! policy, workload identity, Entra ID + Azure RBAC, local accounts off,
//! automatic upgrades) and its user node pools (general, spot, GPU).

use std::collections::BTreeMap;

use super::kind;
use super::monitoring::ContainerInsights;
use super::resource_group::ResourceGroupHandle;
use crate::core::block::Attributes;
use crate::core::reference::{Address, Attr, Id, Ref};
use crate::core::stack::{Construct, Stack};
use crate::core::value::Value;
use crate::map;

/// The OS disk size (GiB) of an ephemeral OS disk on `vm_size`'s local temp
/// disk, for the sizes whose temp disk is known to hold one; `None` means the
/// node gets a managed OS disk.
///
/// Ephemeral OS disks keep node-local writes off Azure Storage, cost nothing
/// and reimage fast; they need a local disk at least as large as the OS disk.
pub fn ephemeral_os_disk_gb(vm_size: &str) -> Option<u32> {
    // The sizes this module picks, with their temp disk in the comment; each
    // OS disk is the largest power of two that fits, capped at 512 GiB.
    match vm_size {
        "Standard_D2ds_v5" => Some(64),       // 75 GiB temp disk
        "Standard_D4ds_v5" => Some(128),      // 150 GiB
        "Standard_D8ds_v5" => Some(256),      // 300 GiB
        "Standard_D16ds_v5" => Some(512),     // 600 GiB
        "Standard_NC4as_T4_v3" => Some(128),  // 180 GiB
        "Standard_NC64as_T4_v3" => Some(512), // 2880 GiB
        _ => None,
    }
}

/// Pods per node when not set: the Kubernetes default. Azure CNI overlay
/// allows up to 250, but AKS reserves kubelet memory per allowed pod.
pub const DEFAULT_MAX_PODS: u32 = 110;

/// The pods-per-node range Azure CNI overlay accepts.
const MAX_PODS_RANGE: std::ops::RangeInclusive<u32> = 10..=250;

/// OS disk attributes of a pool running `vm_size`: ephemeral where it fits.
fn os_disk(vm_size: &str) -> Vec<(&'static str, Value)> {
    match ephemeral_os_disk_gb(vm_size) {
        Some(gb) => vec![
            ("os_disk_type", Value::from("Ephemeral")),
            ("os_disk_size_gb", Value::from(gb)),
        ],
        None => vec![("os_disk_type", Value::from("Managed"))],
    }
}

fn check_max_pods(stack: &mut Stack, logical_name: &str, max_pods: u32) {
    if !MAX_PODS_RANGE.contains(&max_pods) {
        stack.error(
            logical_name,
            "max_pods",
            &format!("{max_pods} pods per node is outside 10-250"),
            "Azure CNI overlay allows 10 to 250 pods per node (110 is the default)",
        );
    }
}

/// The VM size of a GPU node with `gpus` NVIDIA T4 GPUs (1 or 4).
pub fn gpu_vm_size_for(gpus: u32) -> Option<&'static str> {
    match gpus {
        1 => Some("Standard_NC4as_T4_v3"),
        2..=4 => Some("Standard_NC64as_T4_v3"),
        _ => None,
    }
}

/// Why `name` is not a valid AKS node pool name, if it is not.
pub fn pool_name_problem(name: &str) -> Option<String> {
    if name.is_empty() || name.len() > 12 {
        return Some(format!(
            "node pool name `{name}` has {} characters, AKS allows 1-12",
            name.len()
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase())
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    {
        return Some(format!(
            "node pool name `{name}` is not lowercase letters and digits starting with a letter"
        ));
    }
    None
}

/// The API server's DNS prefix: the cluster name with `_` as `-`, cut to the
/// 54 characters AKS allows, starting and ending with a letter or digit.
fn dns_prefix(name: &str) -> String {
    let prefix: String = name.replace('_', "-").chars().take(54).collect();
    prefix.trim_matches('-').to_string()
}

/// What a valid AKS pool name looks like.
pub const POOL_NAME_RULE: &str = "use 1-12 lowercase letters and digits, starting with a letter";

/// The system pool's `temporary_name_for_rotation`, so no user pool may take it.
pub const SYSTEM_ROTATION_NAME: &str = "systemtmp";

/// The label AKS puts on every spot pool (and its nodes), with the value it
/// sets. AKS returns it in the pool's `node_labels`, so a pool that does not
/// declare it never gets a clean plan; and a label update that leaves it out
/// removes it from the nodes (Azure/AKS#3152). The provider's own spot
/// acceptance test declares it with the matching taint
/// (`kubernetes_cluster_node_pool_resource_test.go`, `spotConfig`, v4.55.0).
pub const SPOT_LABEL: (&str, &str) = ("kubernetes.azure.com/scalesetpriority", "spot");

/// The taint AKS puts on every spot pool (same sources as [`SPOT_LABEL`]).
pub const SPOT_TAINT: &str = "kubernetes.azure.com/scalesetpriority=spot:NoSchedule";

/// The default `temporary_name_for_rotation` of a pool: its name cut to nine
/// characters and `tmp`, a valid pool name (`^[a-z][a-z0-9]{0,11}$`, the
/// provider's `KubernetesAgentPoolName`) for every valid pool name.
pub fn rotation_name(pool: &str) -> String {
    let head: String = pool.chars().take(9).collect();
    format!("{head}tmp")
}

/// A `temporary_name_for_rotation` for each of `pools` (by pool name), each a
/// valid pool name distinct from every pool name, from each other and from
/// the system pool's ([`SYSTEM_ROTATION_NAME`]): AKS creates the temporary
/// pool next to the others while it cycles one.
pub fn rotation_names<'a>(pools: impl IntoIterator<Item = &'a str>) -> BTreeMap<String, String> {
    let pools: Vec<&str> = pools.into_iter().collect();
    let mut taken: std::collections::BTreeSet<String> =
        pools.iter().map(|p| p.to_string()).collect();
    taken.insert("system".to_string());
    taken.insert(SYSTEM_ROTATION_NAME.to_string());
    let mut names = BTreeMap::new();
    for pool in pools {
        let head: String = pool.chars().take(8).collect();
        let candidates = std::iter::once(rotation_name(pool))
            .chain((0..10).map(|digit| format!("{head}tmp{digit}")))
            .chain((0..1000).map(|n| format!("rot{n}")));
        if let Some(name) = candidates.into_iter().find(|c| !taken.contains(c)) {
            taken.insert(name.clone());
            names.insert(pool.to_string(), name);
        }
    }
    names
}

/// The weekly window for automatic upgrades: Sunday 03:00-07:00 UTC. The
/// cluster's patch upgrades (`maintenance_window_auto_upgrade`) and node
/// image upgrades (`maintenance_window_node_os`) share it; without a
/// `maintenance_window_node_os` block the `NodeImage` channel upgrades nodes
/// whenever AKS ships an image.
fn sunday_window() -> Value {
    map! {
        "frequency" => "Weekly",
        "interval" => 1,
        "day_of_week" => "Sunday",
        "start_time" => "03:00",
        "duration" => 4,
        "utc_offset" => "+00:00",
    }
}

/// How the API server is reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiServerAccess {
    /// Private cluster: the API server has only a private address in the network.
    Private,
    /// Public endpoint, reachable only from these CIDRs.
    AuthorizedRanges(Vec<String>),
}

/// The system node pool (cluster add-ons only; apps go to user pools).
#[derive(Clone, Debug)]
pub struct SystemPool {
    /// VM size.
    pub vm_size: String,
    /// Autoscaler minimum.
    pub min_nodes: u32,
    /// Autoscaler maximum.
    pub max_nodes: u32,
}

/// The required inputs of an [`AksCluster`], named as in
/// `azurerm_kubernetes_cluster`.
#[derive(Clone, Debug)]
pub struct AksClusterProps<'a> {
    /// The Terraform name of the cluster
    /// (`azurerm_kubernetes_cluster.<logical_name>`).
    pub logical_name: &'a str,
    /// The cluster name in Azure (`name`; the API server's `dns_prefix` is
    /// derived from it): 1-63 letters, digits, `-` and `_`, starting and
    /// ending with a letter or digit.
    pub name: &'a str,
    /// The resource group the cluster is created in (its `location` too).
    pub resource_group: &'a ResourceGroupHandle,
    /// The subnet of the system pool's nodes
    /// (`default_node_pool.vnet_subnet_id`): the network's node subnet
    /// ([`NetworkHandle::nodes`](crate::azure::NetworkHandle::nodes)).
    pub vnet_subnet_id: Attr<Id<kind::Subnet>>,
    /// The user-assigned identity the control plane runs as
    /// (`identity.identity_ids`), from
    /// [`ManagedIdentity`](crate::azure::ManagedIdentity); it needs Network
    /// Contributor on the network to join nodes and manage load balancer IPs.
    pub identity_id: Attr<Id<kind::UserAssignedIdentity>>,
    /// The Entra ID tenant whose users and groups Kubernetes RBAC authorizes
    /// (`azure_active_directory_role_based_access_control.tenant_id`), from
    /// [`ClientConfig`](crate::azure::ClientConfig)'s handle.
    pub tenant_id: Attr<kind::TenantId>,
}

/// An AKS cluster.
pub struct AksCluster {
    logical_name: String,
    name: String,
    resource_group: ResourceGroupHandle,
    subnet_id: Attr<Id<kind::Subnet>>,
    identity_id: Attr<Id<kind::UserAssignedIdentity>>,
    tenant_id: Attr<kind::TenantId>,
    kubernetes_version: String,
    access: ApiServerAccess,
    sku_tier: &'static str,
    zones: Vec<String>,
    system_pool: SystemPool,
    pod_cidr: String,
    service_cidr: String,
    dns_service_ip: String,
    workspace_id: Option<Attr<Id<kind::LogAnalyticsWorkspace>>>,
    defender: bool,
    depends_on: Vec<Address>,
    egress_ips: Vec<Attr<String>>,
    max_pods: u32,
    host_encryption: bool,
    disk_encryption_set_id: Option<Attr<Id<kind::DiskEncryptionSet>>>,
}

impl AksCluster {
    /// A cluster whose Kubernetes RBAC is Entra ID's.
    ///
    /// Defaults: Kubernetes 1.31, private API server, Free tier, system pool of
    /// 1-3 `Standard_D4ds_v5` with ephemeral OS disks, encryption at host and
    /// 110 pods per node, pods from 100.64.0.0/16, services 172.16.0.0/16.
    pub fn new(props: AksClusterProps<'_>) -> Self {
        AksCluster {
            logical_name: props.logical_name.to_string(),
            name: props.name.to_string(),
            resource_group: props.resource_group.clone(),
            subnet_id: props.vnet_subnet_id,
            identity_id: props.identity_id,
            tenant_id: props.tenant_id,
            kubernetes_version: "1.35".to_string(),
            access: ApiServerAccess::Private,
            sku_tier: "Free",
            zones: Vec::new(),
            system_pool: SystemPool {
                vm_size: "Standard_D4ds_v5".to_string(),
                min_nodes: 1,
                max_nodes: 3,
            },
            pod_cidr: "100.64.0.0/16".to_string(),
            service_cidr: "172.16.0.0/16".to_string(),
            dns_service_ip: "172.16.0.10".to_string(),
            workspace_id: None,
            defender: false,
            depends_on: Vec::new(),
            egress_ips: Vec::new(),
            max_pods: DEFAULT_MAX_PODS,
            host_encryption: true,
            disk_encryption_set_id: None,
        }
    }

    /// Kubernetes minor version (default `1.35`), one AKS supports on the
    /// stack's support date ([`crate::azure::versions::AKS`]).
    pub fn kubernetes_version(mut self, version: &str) -> Self {
        self.kubernetes_version = version.to_string();
        self
    }

    /// How the API server is reached.
    pub fn api_server_access(mut self, access: ApiServerAccess) -> Self {
        self.access = access;
        self
    }

    /// The Standard tier (financially backed API server SLA) instead of Free.
    pub fn standard_tier(mut self, enabled: bool) -> Self {
        self.sku_tier = if enabled { "Standard" } else { "Free" };
        self
    }

    /// Zones of the system pool.
    pub fn zones(mut self, zones: Vec<String>) -> Self {
        self.zones = zones;
        self
    }

    /// The system pool.
    pub fn system_pool(mut self, pool: SystemPool) -> Self {
        self.system_pool = pool;
        self
    }

    /// The overlay pod range, the service range and the DNS service address
    /// (inside the service range); none may overlap the virtual network.
    pub fn cidrs(mut self, pod_cidr: &str, service_cidr: &str, dns_service_ip: &str) -> Self {
        self.pod_cidr = pod_cidr.to_string();
        self.service_cidr = service_cidr.to_string();
        self.dns_service_ip = dns_service_ip.to_string();
        self
    }

    /// Sends container insights (and Defender findings, if enabled) to a
    /// workspace in the cluster's region: the monitoring agent with
    /// managed-identity authentication, and the data collection rule and
    /// association it needs to collect anything ([`ContainerInsights`],
    /// `<cluster logical name>_insights`).
    pub fn monitoring(mut self, workspace_id: Attr<Id<kind::LogAnalyticsWorkspace>>) -> Self {
        self.workspace_id = Some(workspace_id);
        self
    }

    /// Microsoft Defender for Containers (needs [`AksCluster::monitoring`]).
    pub fn defender(mut self, enabled: bool) -> Self {
        self.defender = enabled;
        self
    }

    /// Adds the cluster's own egress address (the NAT gateway's public IP) to
    /// the authorized ranges, so nodes reach the public API server; ignored
    /// for private clusters.
    pub fn authorize_egress(mut self, ip_address: Attr<String>) -> Self {
        self.egress_ips.push(ip_address);
        self
    }

    /// Waits for `address` (the NAT gateway association, the identity's role).
    pub fn depends_on(mut self, address: &Address) -> Self {
        self.depends_on.push(address.clone());
        self
    }

    /// Pods per system node (10-250, default 110).
    pub fn max_pods(mut self, max_pods: u32) -> Self {
        self.max_pods = max_pods;
        self
    }

    /// Encryption at host of the system nodes (default on): temp disks, disk
    /// caches and ephemeral OS disks encrypted, and data encrypted on its way
    /// to storage. Needs the subscription feature
    /// `Microsoft.Compute/EncryptionAtHost` registered once.
    pub fn host_encryption(mut self, enabled: bool) -> Self {
        self.host_encryption = enabled;
        self
    }

    /// Encrypts the nodes' managed disks with the customer-managed key of a
    /// disk encryption set (see [`super::DiskEncryptionSet`]); set at creation only.
    pub fn disk_encryption_set(mut self, id: Attr<Id<kind::DiskEncryptionSet>>) -> Self {
        self.disk_encryption_set_id = Some(id);
        self
    }

    fn validate(&self, stack: &mut Stack) {
        let ln = &self.logical_name;
        check_max_pods(stack, ln, self.max_pods);
        // The AKS release calendar as data (`azure::versions`), judged on the
        // stack's support date.
        super::versions::AKS.check(stack, ln, "kubernetes_version", &self.kubernetes_version);
        let valid_name = super::naming::is_resource_name(&self.name, 1..=63)
            && self.name.ends_with(|c: char| c.is_ascii_alphanumeric());
        if !valid_name {
            stack.error(
                ln,
                "name",
                &format!("`{}` is not a valid AKS cluster name", self.name),
                "use 1-63 letters, digits, `-` and `_`, starting and ending with a letter or digit",
            );
        }
        if let ApiServerAccess::AuthorizedRanges(ranges) = &self.access {
            if ranges.is_empty() {
                stack.error(
                    ln,
                    "api_server_access",
                    "a public API server without authorized ranges is open to the internet",
                    "list the CIDRs that need the API, or use ApiServerAccess::Private",
                );
            }
            for range in ranges {
                if range.parse::<ipnet::Ipv4Net>().is_err() || range.ends_with("/0") {
                    stack.error(
                        ln,
                        "api_server_access",
                        &format!("`{range}` is not an IPv4 CIDR narrower than /0"),
                        "write office or VPN ranges as a.b.c.d/len",
                    );
                }
            }
        }
        let pool = &self.system_pool;
        if pool.min_nodes == 0 || pool.min_nodes > pool.max_nodes {
            stack.error(
                ln,
                "system_pool",
                &format!(
                    "system pool min {} / max {} nodes is not valid",
                    pool.min_nodes, pool.max_nodes
                ),
                "keep 1 <= min <= max (3 or more in production)",
            );
        }
        if self.defender && self.workspace_id.is_none() {
            stack.error(
                ln,
                "defender",
                "Defender for Containers needs a Log Analytics workspace",
                "call .monitoring(workspace.id()) as well",
            );
        }
        let service = self.service_cidr.parse::<ipnet::Ipv4Net>();
        let dns = self.dns_service_ip.parse::<std::net::Ipv4Addr>();
        match (service, dns) {
            (Ok(service), Ok(dns)) if service.contains(&dns) => {}
            _ => stack.error(
                ln,
                "dns_service_ip",
                &format!(
                    "`{}` is not an address inside the service range `{}`",
                    self.dns_service_ip, self.service_cidr
                ),
                "use an address of the service range other than its first, such as x.y.0.10",
            ),
        }
    }
}

impl Construct for AksCluster {
    type Output = Ref<kind::KubernetesCluster>;

    fn describe(&self) -> String {
        format!("azure::AksCluster \"{}\"", self.logical_name)
    }

    fn build(self, stack: &mut Stack) -> Ref<kind::KubernetesCluster> {
        self.validate(stack);
        let rg = &self.resource_group;
        let pool = &self.system_pool;
        let mut default_pool = map! {
            "name" => "system",
            "temporary_name_for_rotation" => SYSTEM_ROTATION_NAME,
            "vm_size" => pool.vm_size.as_str(),
            "vnet_subnet_id" => &self.subnet_id,
            "only_critical_addons_enabled" => true,
            "auto_scaling_enabled" => true,
            "min_count" => pool.min_nodes,
            "max_count" => pool.max_nodes,
            "node_count" => pool.min_nodes,
            "os_sku" => "AzureLinux",
            "max_pods" => self.max_pods,
            "host_encryption_enabled" => self.host_encryption,
            "node_public_ip_enabled" => false,
            "upgrade_settings" => vec![map! { "max_surge" => "33%" }],
            // The system pool follows the control plane: on a new
            // `kubernetes_version` azurerm upgrades the control plane first
            // and then the default pool (kubernetes_cluster_resource.go,
            // update), as AKS requires. Without it the pool keeps the
            // version it was created with.
            "orchestrator_version" => self.kubernetes_version.as_str(),
        };
        for (name, value) in os_disk(&pool.vm_size) {
            default_pool.insert(name, value);
        }
        if !self.zones.is_empty() {
            default_pool.insert("zones", self.zones.clone());
        }
        let mut attributes = rg
            .attributes_for(self.name.as_str())
            .set("dns_prefix", dns_prefix(&self.name))
            .set("kubernetes_version", self.kubernetes_version.as_str())
            .set("sku_tier", self.sku_tier)
            .set("automatic_upgrade_channel", "patch")
            .set("node_os_upgrade_channel", "NodeImage")
            .set("local_account_disabled", true)
            .set("role_based_access_control_enabled", true)
            .set("oidc_issuer_enabled", true)
            .set("workload_identity_enabled", true)
            .set("azure_policy_enabled", true)
            .set("image_cleaner_enabled", true)
            .set("image_cleaner_interval_hours", 48)
            .set("run_command_enabled", false)
            .set_opt(
                "disk_encryption_set_id",
                self.disk_encryption_set_id.clone(),
            )
            .block("default_node_pool", default_pool)
            .block(
                "identity",
                map! { "type" => "UserAssigned", "identity_ids" => vec![&self.identity_id] },
            )
            .block(
                "azure_active_directory_role_based_access_control",
                map! { "azure_rbac_enabled" => true, "tenant_id" => &self.tenant_id },
            )
            .block(
                "network_profile",
                map! {
                    "network_plugin" => "azure",
                    "network_plugin_mode" => "overlay",
                    "network_data_plane" => "cilium",
                    "network_policy" => "cilium",
                    "load_balancer_sku" => "standard",
                    "outbound_type" => "userAssignedNATGateway",
                    "pod_cidr" => self.pod_cidr.as_str(),
                    "service_cidr" => self.service_cidr.as_str(),
                    "dns_service_ip" => self.dns_service_ip.as_str(),
                },
            )
            .block(
                "key_vault_secrets_provider",
                map! { "secret_rotation_enabled" => true, "secret_rotation_interval" => "2m" },
            )
            .block("maintenance_window_auto_upgrade", sunday_window())
            .block("maintenance_window_node_os", sunday_window())
            .tagged();
        attributes = match &self.access {
            ApiServerAccess::Private => attributes
                .set("private_cluster_enabled", true)
                .set("private_dns_zone_id", "System")
                .set("private_cluster_public_fqdn_enabled", false),
            ApiServerAccess::AuthorizedRanges(ranges) => {
                let mut authorized: Vec<Value> = ranges.iter().map(Value::from).collect();
                authorized.extend(
                    self.egress_ips
                        .iter()
                        .map(|ip| Value::from(ip.suffixed("/32"))),
                );
                attributes.set("private_cluster_enabled", false).block(
                    "api_server_access_profile",
                    map! { "authorized_ip_ranges" => Value::List(authorized) },
                )
            }
        };
        if let Some(workspace) = &self.workspace_id {
            attributes = attributes.block(
                "oms_agent",
                map! {
                    "log_analytics_workspace_id" => workspace,
                    "msi_auth_for_monitoring_enabled" => true,
                },
            );
            if self.defender {
                attributes = attributes.block(
                    "microsoft_defender",
                    map! { "log_analytics_workspace_id" => workspace },
                );
            }
        }
        for address in &self.depends_on {
            attributes = attributes.depends_on(address);
        }
        // The autoscaler owns the node count after creation.
        attributes = attributes.set(
            "lifecycle",
            map! { "ignore_changes" => vec!["default_node_pool[0].node_count"] },
        );
        let cluster = stack.resource::<kind::KubernetesCluster>(&self.logical_name, attributes);
        if let Some(workspace) = &self.workspace_id {
            // The agent authenticates with its managed identity and then
            // collects only what an associated rule asks for.
            stack.add(ContainerInsights::new(
                &format!("{}_insights", self.logical_name),
                &super::monitoring::rule_name(&rg.location, &self.name),
                rg,
                workspace.clone(),
                cluster.id(),
            ));
        }
        cluster
    }
}

/// On-demand or spot nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Priority {
    /// Regular nodes.
    Regular,
    /// Spot nodes: evicted (deleted) when Azure needs the capacity back.
    Spot,
}

/// An AKS user node pool.
pub struct NodePool {
    logical_name: String,
    name: String,
    cluster_id: Attr<Id<kind::KubernetesCluster>>,
    subnet_id: Attr<Id<kind::Subnet>>,
    vm_size: String,
    priority: Priority,
    min_nodes: u32,
    max_nodes: u32,
    desired_nodes: u32,
    zones: Vec<String>,
    taints: Vec<String>,
    labels: BTreeMap<String, String>,
    orchestrator_version: Option<Value>,
    max_pods: u32,
    host_encryption: bool,
    rotation_name: Option<String>,
}

impl NodePool {
    /// A pool `name` (1-12 lowercase letters and digits) of `cluster_id`, in
    /// `subnet_id`. Defaults: `Standard_D4ds_v5`, regular priority, 1-3 nodes,
    /// 110 pods per node, encryption at host, ephemeral OS disks where the VM
    /// size has room for one ([`ephemeral_os_disk_gb`]).
    pub fn new(
        logical_name: &str,
        name: &str,
        cluster_id: Attr<Id<kind::KubernetesCluster>>,
        subnet_id: Attr<Id<kind::Subnet>>,
    ) -> Self {
        NodePool {
            logical_name: logical_name.to_string(),
            name: name.to_string(),
            cluster_id,
            subnet_id,
            vm_size: "Standard_D4ds_v5".to_string(),
            priority: Priority::Regular,
            min_nodes: 1,
            max_nodes: 3,
            desired_nodes: 1,
            zones: Vec::new(),
            taints: Vec::new(),
            labels: BTreeMap::new(),
            orchestrator_version: None,
            max_pods: DEFAULT_MAX_PODS,
            host_encryption: true,
            rotation_name: None,
        }
    }

    /// The name of the temporary pool AKS cycles this one through when a
    /// change needs new nodes (VM size, OS disk, zones, max pods, host
    /// encryption...: azurerm refuses those changes without it). Default:
    /// [`rotation_name`] of the pool's name; give another when two pools'
    /// defaults would meet (see [`rotation_names`]).
    pub fn temporary_name_for_rotation(mut self, name: &str) -> Self {
        self.rotation_name = Some(name.to_string());
        self
    }

    /// VM size (see [`gpu_vm_size_for`] and `platform::azure::sizes`).
    pub fn vm_size(mut self, vm_size: &str) -> Self {
        self.vm_size = vm_size.to_string();
        self
    }

    /// Regular or spot.
    pub fn priority(mut self, priority: Priority) -> Self {
        self.priority = priority;
        self
    }

    /// Autoscaler bounds and the count at creation.
    pub fn nodes(mut self, min: u32, desired: u32, max: u32) -> Self {
        self.min_nodes = min;
        self.desired_nodes = desired;
        self.max_nodes = max;
        self
    }

    /// Zones to spread the nodes over.
    pub fn zones(mut self, zones: Vec<String>) -> Self {
        self.zones = zones;
        self
    }

    /// Adds a taint `key=value:Effect`.
    pub fn taint(mut self, key: &str, value: &str, effect: &str) -> Self {
        self.taints.push(format!("{key}={value}:{effect}"));
        self
    }

    /// Adds a node label. Labels under `kubernetes.azure.com/` are AKS's: the
    /// only one accepted is the one AKS sets itself, [`SPOT_LABEL`] on a spot
    /// pool (which gets it anyway).
    pub fn label(mut self, key: &str, value: &str) -> Self {
        self.labels.insert(key.to_string(), value.to_string());
        self
    }

    /// The pool's Kubernetes version. Without it AKS picks one when the pool
    /// is created and never moves it; pass the cluster's
    /// (`cluster.attr::<String>("kubernetes_version")`, as the platform does)
    /// so that a new `kubernetes_version` upgrades the control plane and then
    /// this pool (the pool is updated after the cluster it references).
    pub fn orchestrator_version(mut self, version: impl Into<Value>) -> Self {
        self.orchestrator_version = Some(version.into());
        self
    }

    /// Pods per node (10-250, default 110).
    pub fn max_pods(mut self, max_pods: u32) -> Self {
        self.max_pods = max_pods;
        self
    }

    /// Encryption at host (default on; see [`AksCluster::host_encryption`]).
    pub fn host_encryption(mut self, enabled: bool) -> Self {
        self.host_encryption = enabled;
        self
    }

    fn validate(&self, stack: &mut Stack) {
        let ln = &self.logical_name;
        check_max_pods(stack, ln, self.max_pods);
        if let Some(problem) = pool_name_problem(&self.name) {
            stack.error(ln, "name", &problem, POOL_NAME_RULE);
        } else if self.name == "system" || self.name == SYSTEM_ROTATION_NAME {
            stack.error(
                ln,
                "name",
                &format!(
                    "node pool name `{}` is taken by the cluster's system pool",
                    self.name
                ),
                "pick another name, such as `general`",
            );
        }
        if let Some(rotation) = &self.rotation_name {
            if let Some(problem) = pool_name_problem(rotation) {
                stack.error(ln, "temporary_name_for_rotation", &problem, POOL_NAME_RULE);
            } else if *rotation == self.name {
                stack.error(
                    ln,
                    "temporary_name_for_rotation",
                    &format!("the temporary pool would have the pool's own name `{rotation}`"),
                    "pick a name no pool of the cluster has, such as the pool's name and `tmp`",
                );
            }
        }
        if self.min_nodes > self.desired_nodes
            || self.desired_nodes > self.max_nodes
            || self.max_nodes == 0
            || self.max_nodes > 1000
        {
            stack.error(
                ln,
                "nodes",
                &format!(
                    "node counts min {} / desired {} / max {} are not valid",
                    self.min_nodes, self.desired_nodes, self.max_nodes
                ),
                "keep min <= desired <= max and 1 <= max <= 1000",
            );
        }
        for (label, value) in &self.labels {
            if !label.starts_with("kubernetes.azure.com/") {
                continue;
            }
            // AKS's own label on a spot pool, with AKS's value, is what AKS
            // reports back: declaring it keeps the plan clean.
            let aks_own =
                self.priority == Priority::Spot && (label.as_str(), value.as_str()) == SPOT_LABEL;
            if !aks_own {
                stack.error(
                    ln,
                    "labels",
                    &format!("label `{label}={value}` is reserved by AKS"),
                    &format!(
                        "use a label outside the kubernetes.azure.com/ prefix (AKS sets {}={} on spot pools itself)",
                        SPOT_LABEL.0, SPOT_LABEL.1
                    ),
                );
            }
        }
    }
}

impl Construct for NodePool {
    type Output = Ref<kind::KubernetesClusterNodePool>;

    fn describe(&self) -> String {
        format!("azure::NodePool \"{}\"", self.logical_name)
    }

    fn build(self, stack: &mut Stack) -> Ref<kind::KubernetesClusterNodePool> {
        self.validate(stack);
        let mut taints = self.taints.clone();
        let mut labels = self.labels.clone();
        let rotation = self
            .rotation_name
            .clone()
            .unwrap_or_else(|| rotation_name(&self.name));
        let mut attributes = Attributes::new()
            .set("name", self.name.as_str())
            .set("kubernetes_cluster_id", &self.cluster_id)
            .set("vnet_subnet_id", &self.subnet_id)
            .set("vm_size", self.vm_size.as_str())
            .set("mode", "User")
            .set("os_type", "Linux")
            .set("os_sku", "AzureLinux")
            .set("auto_scaling_enabled", true)
            .set("min_count", self.min_nodes)
            .set("max_count", self.max_nodes)
            .set("node_count", self.desired_nodes)
            .set("max_pods", self.max_pods)
            .set("host_encryption_enabled", self.host_encryption)
            .set("node_public_ip_enabled", false)
            .set("temporary_name_for_rotation", rotation)
            .set_opt("orchestrator_version", self.orchestrator_version.clone())
            .tagged();
        for (name, value) in os_disk(&self.vm_size) {
            attributes = attributes.set(name, value);
        }
        if self.priority == Priority::Spot {
            // AKS adds this label and taint to every spot pool and reports
            // them back; declaring them keeps plans clean.
            if !taints.iter().any(|t| t == SPOT_TAINT) {
                taints.push(SPOT_TAINT.to_string());
            }
            labels.insert(SPOT_LABEL.0.to_string(), SPOT_LABEL.1.to_string());
            attributes = attributes
                .set("priority", "Spot")
                .set("eviction_policy", "Delete")
                .set("spot_max_price", -1);
        } else {
            attributes = attributes
                .set("priority", "Regular")
                .block("upgrade_settings", map! { "max_surge" => "33%" });
        }
        if !taints.is_empty() {
            attributes = attributes.set("node_taints", taints);
        }
        if !labels.is_empty() {
            attributes = attributes.set("node_labels", Value::from(labels));
        }
        if !self.zones.is_empty() {
            attributes = attributes.set("zones", self.zones.clone());
        }
        attributes = attributes.set("lifecycle", map! { "ignore_changes" => vec!["node_count"] });
        stack.resource::<kind::KubernetesClusterNodePool>(&self.logical_name, attributes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::reference::{Address, StackId};
    use crate::core::value::Expr;

    fn ids() -> (Attr<Id<kind::KubernetesCluster>>, Attr<Id<kind::Subnet>>) {
        let cluster = Address::resource(StackId::TEST, "azurerm_kubernetes_cluster", "main");
        let subnet = Address::resource(StackId::TEST, "azurerm_subnet", "nodes");
        (
            Attr::from_expr(Expr::attribute(&cluster, "id")),
            Attr::from_expr(Expr::attribute(&subnet, "id")),
        )
    }

    #[test]
    fn long_or_uppercase_pool_names_are_errors_naming_the_rule() {
        for bad in ["generalpurpose1", "General", "gpu-pool", "1gpu"] {
            let mut stack = Stack::new("t");
            let (cluster, subnet) = ids();
            stack.add(NodePool::new("p", bad, cluster, subnet));
            let text = stack.diagnostics().to_string();
            assert!(text.contains("field `name`"), "{bad}: {text}");
            assert!(
                text.contains("1-12 lowercase letters and digits"),
                "{bad}: {text}"
            );
        }
    }

    #[test]
    fn spot_pool_gets_eviction_policy_and_the_spot_taint() {
        let mut stack = Stack::new("t");
        let (cluster, subnet) = ids();
        stack.add(
            NodePool::new("spot", "spot", cluster, subnet)
                .priority(Priority::Spot)
                .nodes(0, 0, 3),
        );
        assert!(!stack.diagnostics().has_errors(), "{}", stack.diagnostics());
        let json = String::from_utf8(stack.render_json()).unwrap();
        assert!(json.contains("\"eviction_policy\": \"Delete\""));
        assert!(json.contains("kubernetes.azure.com/scalesetpriority=spot:NoSchedule"));
    }

    #[test]
    fn spot_pool_declares_the_label_aks_adds_and_the_validator_accepts_it() {
        let mut stack = Stack::new("t");
        let (cluster, subnet) = ids();
        stack.add(
            NodePool::new("spot", "spot", cluster.clone(), subnet.clone())
                .priority(Priority::Spot)
                .label(SPOT_LABEL.0, SPOT_LABEL.1)
                .label("workload", "batch"),
        );
        assert!(!stack.diagnostics().has_errors(), "{}", stack.diagnostics());
        let json: serde_json::Value = serde_json::from_slice(&stack.render_json()).expect("json");
        let pool = &json["resource"]["azurerm_kubernetes_cluster_node_pool"]["spot"];
        assert_eq!(pool["node_labels"][SPOT_LABEL.0], "spot");
        assert_eq!(pool["node_labels"]["workload"], "batch");
        assert_eq!(pool["node_taints"], serde_json::json!([SPOT_TAINT]));

        // Only AKS's own label on a spot pool: not on a regular pool, not
        // with another value, not another kubernetes.azure.com/ label.
        for (priority, key, value) in [
            (Priority::Regular, SPOT_LABEL.0, "spot"),
            (Priority::Spot, SPOT_LABEL.0, "regular"),
            (Priority::Spot, "kubernetes.azure.com/mode", "user"),
        ] {
            let mut stack = Stack::new("t");
            stack.add(
                NodePool::new("p", "pool", cluster.clone(), subnet.clone())
                    .priority(priority)
                    .label(key, value),
            );
            let text = stack.diagnostics().to_string();
            assert!(text.contains("field `labels`"), "{key}={value}: {text}");
            assert!(text.contains("reserved by AKS"), "{key}={value}: {text}");
        }
    }

    #[test]
    fn every_pool_has_a_valid_rotation_name() {
        for pool in ["general", "spot", "gpu", "abcdefghijkl", "a"] {
            let name = rotation_name(pool);
            assert_eq!(pool_name_problem(&name), None, "{pool}: {name}");
            assert_ne!(name, pool);
        }
        assert_eq!(rotation_name("general"), "generaltmp");
        assert_eq!(rotation_name("abcdefghijkl"), "abcdefghitmp");
        // Two pools whose defaults meet, and a pool named like another's
        // default, still get distinct valid names.
        let names = rotation_names(["abcdefghi1", "abcdefghi2", "spottmp", "spot", "systemtmp"]);
        let mut seen = std::collections::BTreeSet::new();
        for (pool, name) in &names {
            assert_eq!(pool_name_problem(name), None, "{pool}: {name}");
            assert!(
                ![
                    "abcdefghi1",
                    "abcdefghi2",
                    "spottmp",
                    "spot",
                    "system",
                    SYSTEM_ROTATION_NAME
                ]
                .contains(&name.as_str()),
                "{pool}: {name}"
            );
            assert!(seen.insert(name.clone()), "{name} given twice: {names:?}");
        }
        assert_eq!(names.len(), 5);

        let mut stack = Stack::new("t");
        let (cluster, subnet) = ids();
        stack.add(
            NodePool::new("p", "general", cluster, subnet).temporary_name_for_rotation("general"),
        );
        let text = stack.diagnostics().to_string();
        assert!(
            text.contains("field `temporary_name_for_rotation`"),
            "{text}"
        );
    }

    #[test]
    fn dns_prefix_fits_aks_rules() {
        assert_eq!(dns_prefix("a_b"), "a-b");
        let long = "x".repeat(60) + "-aks";
        assert_eq!(dns_prefix(&long).len(), 54);
    }

    #[test]
    fn gpu_sizes() {
        assert_eq!(gpu_vm_size_for(1), Some("Standard_NC4as_T4_v3"));
        assert_eq!(gpu_vm_size_for(9), None);
    }

    #[test]
    fn every_node_size_but_burstable_gets_an_ephemeral_os_disk() {
        for vm_size in [
            "Standard_D2ds_v5",
            "Standard_D4ds_v5",
            "Standard_D8ds_v5",
            "Standard_D16ds_v5",
        ] {
            assert!(ephemeral_os_disk_gb(vm_size).is_some(), "{vm_size}");
        }
        for gpus in [1, 4] {
            let vm_size = gpu_vm_size_for(gpus).unwrap_or_default();
            assert!(ephemeral_os_disk_gb(vm_size).is_some(), "{vm_size}");
        }
        // No local disk to hold an OS disk: managed.
        assert_eq!(ephemeral_os_disk_gb("Standard_B2ms"), None);
        assert_eq!(ephemeral_os_disk_gb("Standard_D4s_v5"), None);
    }

    #[test]
    fn pools_default_to_ephemeral_disks_host_encryption_and_110_pods() {
        let mut stack = Stack::new("t");
        let (cluster, subnet) = ids();
        stack.add(NodePool::new(
            "general",
            "general",
            cluster.clone(),
            subnet.clone(),
        ));
        stack.add(NodePool::new("small", "small", cluster, subnet).vm_size("Standard_B2ms"));
        assert!(!stack.diagnostics().has_errors(), "{}", stack.diagnostics());
        let json: serde_json::Value = serde_json::from_slice(&stack.render_json()).expect("json");
        let pools = &json["resource"]["azurerm_kubernetes_cluster_node_pool"];
        let general = &pools["general"];
        assert_eq!(general["os_disk_type"], "Ephemeral");
        assert_eq!(general["os_disk_size_gb"], 128);
        assert_eq!(general["host_encryption_enabled"], true);
        assert_eq!(general["max_pods"], 110);
        assert_eq!(pools["small"]["os_disk_type"], "Managed");
        assert!(pools["small"].get("os_disk_size_gb").is_none());
    }

    #[test]
    fn max_pods_outside_the_overlay_range_is_an_error() {
        let mut stack = Stack::new("t");
        let (cluster, subnet) = ids();
        stack.add(NodePool::new("p", "general", cluster, subnet).max_pods(300));
        let text = stack.diagnostics().to_string();
        assert!(text.contains("field `max_pods`"), "{text}");
        assert!(text.contains("10-250"), "{text}");
    }

    #[test]
    fn open_api_server_is_refused() {
        let mut stack = Stack::new("t");
        let (_, subnet) = ids();
        let uai = Address::resource(StackId::TEST, "azurerm_user_assigned_identity", "cp");
        let tenant = Address::data(StackId::TEST, "azurerm_client_config", "current");
        stack.add(
            AksCluster::new(AksClusterProps {
                logical_name: "main",
                name: "p-aks",
                resource_group: &crate::azure::ResourceGroupHandle {
                    resource: crate::core::reference::Ref::new(Address::resource(
                        StackId::TEST,
                        "azurerm_resource_group",
                        "main",
                    )),
                    name: Attr::from_expr(Expr::raw("azurerm_resource_group.main.name")),
                    location: "westeurope".into(),
                },
                vnet_subnet_id: subnet,
                identity_id: Attr::from_expr(Expr::attribute(&uai, "id")),
                tenant_id: Attr::from_expr(Expr::attribute(&tenant, "tenant_id")),
            })
            .api_server_access(ApiServerAccess::AuthorizedRanges(vec!["0.0.0.0/0".into()])),
        );
        let text = stack.diagnostics().to_string();
        assert!(text.contains("field `api_server_access`"), "{text}");
    }
}
