//! A private, VPC-native GKE Standard cluster: private nodes, private endpoint
//! or authorized networks only, workload identity, shielded nodes, Dataplane V2
//! (network policy built in), a release channel, and no default node pool (pools
//! are managed separately with [`NodePool`](super::NodePool)).

use ipnet::Ipv4Net;

use super::kind::{self, Email};
use super::names::is_resource_name;
use super::project::Project;
use super::region::{self, Region};
use crate::core::block::{Attributes, Tagging};
use crate::core::diagnostics::InvalidValue;
use crate::core::reference::{Address, Attr, Id, Ref, ResourceKind};
use crate::core::stack::{Construct, Stack};
use crate::map;
use crate::Value;

/// GKE release channels.
pub const RELEASE_CHANNELS: [&str; 4] = ["RAPID", "REGULAR", "STABLE", "EXTENDED"];

/// Where a cluster's control plane and nodes live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// Control plane replicated across the region's zones; nodes in `zones`.
    Regional {
        /// The region.
        region: String,
        /// Zones the node pools span.
        zones: Vec<String>,
    },
    /// One zone (cheap; no control plane HA).
    Zonal(String),
}

impl Location {
    /// The `location` argument.
    pub fn name(&self) -> &str {
        match self {
            Location::Regional { region, .. } => region,
            Location::Zonal(zone) => zone,
        }
    }

    /// How many zones node pools span.
    pub fn zone_count(&self) -> usize {
        match self {
            Location::Regional { zones, .. } => zones.len().max(1),
            Location::Zonal(_) => 1,
        }
    }
}

/// Checks a GKE control plane range: an RFC 1918 /28.
///
/// ```
/// use infrasynth::gcp::gke::check_master_cidr;
/// assert!(check_master_cidr("172.16.0.32/28").is_ok());
/// assert!(check_master_cidr("172.16.0.0/24").is_err());
/// ```
///
/// # Errors
///
/// [`InvalidValue`] for a range that is not an RFC 1918 /28 without host bits.
pub fn check_master_cidr(cidr: &str) -> Result<Ipv4Net, InvalidValue> {
    let net: Ipv4Net = cidr
        .parse()
        .map_err(|_| InvalidValue::new(format!("`{cidr}` is not an IPv4 CIDR")))?;
    if net.prefix_len() != 28 {
        return Err(InvalidValue::new(format!(
            "`{cidr}` is a /{}; the GKE control plane range must be a /28",
            net.prefix_len()
        )));
    }
    if net.addr() != net.network() {
        return Err(InvalidValue::new(format!(
            "`{cidr}` has host bits set; use `{}`",
            net.trunc()
        )));
    }
    if !net.addr().is_private() {
        return Err(InvalidValue::new(format!(
            "`{cidr}` is not a private (RFC 1918) range"
        )));
    }
    Ok(net)
}

/// The required inputs of a [`GkeCluster`], named as in
/// `google_container_cluster`.
#[derive(Clone, Debug)]
pub struct GkeClusterProps<'a> {
    /// The Terraform name of the cluster (`google_container_cluster.<logical_name>`).
    pub logical_name: &'a str,
    /// The cluster name in GKE (`name`): 1-40 lowercase letters, digits and
    /// `-`, starting with a letter, not ending with `-`.
    pub name: &'a str,
    /// Where the control plane and nodes run (`location`, and
    /// `node_locations` for a regional cluster's zones).
    pub location: Location,
    /// The VPC network (`network`), from [`Network`](crate::gcp::Network)'s
    /// handle.
    pub network: Attr<Id<kind::Network>>,
    /// The subnetwork of the nodes (`subnetwork`), in `network` and the
    /// cluster's region; it carries the two secondary ranges below.
    pub subnetwork: Attr<Id<kind::Subnetwork>>,
    /// The name of the subnetwork's secondary range pods get their addresses
    /// from (`ip_allocation_policy.cluster_secondary_range_name`), such as
    /// `pods`.
    pub cluster_secondary_range_name: &'a str,
    /// The name of the subnetwork's secondary range services get their
    /// addresses from (`ip_allocation_policy.services_secondary_range_name`),
    /// such as `services`.
    pub services_secondary_range_name: &'a str,
    /// The control plane's range
    /// (`private_cluster_config.master_ipv4_cidr_block`): a private (RFC 1918)
    /// `/28` outside every subnetwork range, such as `172.16.0.32/28`; see
    /// [`check_master_cidr`].
    pub master_ipv4_cidr_block: &'a str,
    /// The service account the short-lived default node pool runs as
    /// (`node_config.service_account`): the nodes' least-privilege account,
    /// from [`ServiceAccount`](crate::gcp::ServiceAccount)'s handle.
    pub node_service_account: Attr<Email>,
}

/// A GKE Standard cluster.
///
/// ```
/// use infrasynth::gcp::{kind, GkeCluster, GkeClusterProps, Location};
/// use infrasynth::{Attributes, Stack};
/// let mut stack = Stack::new("demo");
/// let network = stack.resource::<kind::Network>("main", Attributes::new());
/// let subnetwork = stack.resource::<kind::Subnetwork>("main", Attributes::new());
/// let nodes = stack.resource::<kind::ServiceAccount>("nodes", Attributes::new());
/// let cluster = stack.add(GkeCluster::new(GkeClusterProps {
///     logical_name: "main",
///     name: "demo",
///     location: Location::Zonal("us-central1-a".to_string()),
///     network: network.id(),
///     subnetwork: subnetwork.id(),
///     cluster_secondary_range_name: "pods",
///     services_secondary_range_name: "services",
///     master_ipv4_cidr_block: "172.16.0.32/28",
///     node_service_account: nodes.email(),
/// }));
/// assert!(stack.diagnostics().is_empty());
/// ```
pub struct GkeCluster {
    logical: String,
    name: String,
    location: Location,
    network: Attr<Id<kind::Network>>,
    subnetwork: Attr<Id<kind::Subnetwork>>,
    pods_range: String,
    services_range: String,
    master_cidr: String,
    private_endpoint: bool,
    authorized_networks: Vec<(String, String)>,
    release_channel: String,
    kubernetes_version: Option<String>,
    binary_authorization: bool,
    security_group: Option<String>,
    deletion_protection: bool,
    node_service_account: Attr<Email>,
    secrets_key: Option<Attr<Id<kind::CryptoKey>>>,
    boot_disk_key: Option<Attr<Id<kind::CryptoKey>>>,
    depends_on: Vec<Address>,
}

impl GkeCluster {
    /// A VPC-native cluster with private nodes and only a private endpoint,
    /// workload identity, shielded nodes, Dataplane V2, the `REGULAR` release
    /// channel, Binary Authorization enforced and deletion protection; its
    /// default node pool is removed once created (add [`NodePool`](super::NodePool)s).
    pub fn new(props: GkeClusterProps<'_>) -> Self {
        GkeCluster {
            logical: props.logical_name.to_string(),
            name: props.name.to_string(),
            location: props.location,
            network: props.network,
            subnetwork: props.subnetwork,
            pods_range: props.cluster_secondary_range_name.to_string(),
            services_range: props.services_secondary_range_name.to_string(),
            master_cidr: props.master_ipv4_cidr_block.to_string(),
            private_endpoint: true,
            authorized_networks: Vec::new(),
            release_channel: "REGULAR".to_string(),
            kubernetes_version: None,
            binary_authorization: true,
            security_group: None,
            deletion_protection: true,
            node_service_account: props.node_service_account,
            secrets_key: None,
            boot_disk_key: None,
            depends_on: Vec::new(),
        }
    }

    /// Whether the API server has only a private endpoint (default on). With it
    /// off, the public endpoint accepts only [`GkeCluster::authorized_network`]s.
    pub fn private_endpoint(mut self, on: bool) -> Self {
        self.private_endpoint = on;
        self
    }

    /// A CIDR allowed to reach the API server.
    pub fn authorized_network(mut self, display_name: &str, cidr: &str) -> Self {
        self.authorized_networks
            .push((display_name.to_string(), cidr.to_string()));
        self
    }

    /// `RAPID`, `REGULAR` (default), `STABLE` or `EXTENDED`.
    pub fn release_channel(mut self, channel: &str) -> Self {
        self.release_channel = channel.to_string();
        self
    }

    /// The lowest Kubernetes version, such as `1.35`: a minor GKE offers on
    /// the stack's support date ([`crate::gcp::versions::GKE`]).
    pub fn kubernetes_version(mut self, version: &str) -> Self {
        self.kubernetes_version = Some(version.to_string());
        self
    }

    /// Enforce the project's Binary Authorization policy (default on). What it
    /// admits is the policy's business (a cluster-specific rule can relax one
    /// cluster, or audit without blocking); turning enforcement off here
    /// leaves that cluster outside the policy entirely.
    pub fn binary_authorization(mut self, on: bool) -> Self {
        self.binary_authorization = on;
        self
    }

    /// Google Groups for RBAC: RoleBindings may name the Google Groups nested in
    /// `security_group`, which GKE requires to be
    /// `gke-security-groups@<your Workspace or Cloud Identity domain>`.
    pub fn google_groups_rbac(mut self, security_group: &str) -> Self {
        self.security_group = Some(security_group.to_string());
        self
    }

    /// Refuse `terraform destroy` (default on).
    pub fn deletion_protection(mut self, on: bool) -> Self {
        self.deletion_protection = on;
        self
    }

    /// Encrypt Kubernetes secrets in etcd with a customer-managed key.
    pub fn secrets_encryption_key(mut self, key: Attr<Id<kind::CryptoKey>>) -> Self {
        self.secrets_key = Some(key);
        self
    }

    /// Encrypt the default node pool's boot disks (which exist for minutes,
    /// before its removal) with a customer-managed key
    /// (`node_config.boot_disk_kms_key`, google 6.50.0); Compute Engine's
    /// service agent must be able to use it (add its grant with
    /// [`GkeCluster::depends_on`]).
    pub fn boot_disk_kms_key(mut self, key: Attr<Id<kind::CryptoKey>>) -> Self {
        self.boot_disk_key = Some(key);
        self
    }

    /// Waits for `address` (a key grant, the nodes' role grants).
    pub fn depends_on(mut self, address: &Address) -> Self {
        self.depends_on.push(address.clone());
        self
    }

    fn validate(&self, stack: &mut Stack, resource: &str) {
        if !is_resource_name(&self.name, 40) {
            stack.error(
                resource,
                "name",
                &format!("`{}` is not a valid GKE cluster name", self.name),
                "use 1-40 lowercase letters, digits and `-`, starting with a letter and not ending with `-`",
            );
        }
        if let Err(message) = check_master_cidr(&self.master_cidr) {
            stack.error(
                resource,
                "private_cluster_config.master_ipv4_cidr_block",
                &message.message,
                "give the control plane a private /28 outside every subnetwork range, such as 172.16.0.32/28",
            );
        }
        match &self.location {
            Location::Regional { region, zones } => match Region::parse(region) {
                Ok(r) => {
                    for zone in zones {
                        if let Err(message) = r.check_zone(zone) {
                            stack.error(
                                resource,
                                "node_locations",
                                &message.message,
                                "list zones of the cluster's region",
                            );
                        }
                    }
                }
                Err(message) => stack.error(
                    resource,
                    "location",
                    &message.message,
                    "use a region such as us-central1",
                ),
            },
            Location::Zonal(zone) => {
                if let Err(message) = region::check_zone(zone) {
                    stack.error(
                        resource,
                        "location",
                        &message.message,
                        "use a zone such as us-central1-a",
                    );
                }
            }
        }
        if !RELEASE_CHANNELS.contains(&self.release_channel.as_str()) {
            stack.error(
                resource,
                "release_channel.channel",
                &format!("`{}` is not a GKE release channel", self.release_channel),
                &format!("use one of: {}", RELEASE_CHANNELS.join(", ")),
            );
        }
        if let Some(group) = &self.security_group {
            let domain = group.strip_prefix("gke-security-groups@").unwrap_or("");
            if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
                stack.error(
                    resource,
                    "authenticator_groups_config.security_group",
                    &format!("`{group}` is not a GKE security group"),
                    "use gke-security-groups@<your domain>, the group GKE looks up nested groups in",
                );
            }
        }
        if let Some(version) = &self.kubernetes_version {
            // `1.35` or a full GKE version (`1.35.1-gke.1396000`): the minor
            // decides support, judged on the stack's support date against
            // GKE's release schedule (`gcp::versions`).
            let minor: String = version.split('.').take(2).collect::<Vec<_>>().join(".");
            super::versions::GKE.check(stack, resource, "min_master_version", &minor);
        }
        for (_, cidr) in &self.authorized_networks {
            match cidr.parse::<Ipv4Net>() {
                Ok(net) if net.prefix_len() == 0 => stack.error(
                    resource,
                    "master_authorized_networks_config.cidr_blocks",
                    "an authorized network of /0 opens the API server to the internet",
                    "list the office or VPN CIDRs that need the API",
                ),
                Ok(_) => {}
                Err(_) => stack.error(
                    resource,
                    "master_authorized_networks_config.cidr_blocks",
                    &format!("`{cidr}` is not an IPv4 CIDR"),
                    "write it as a.b.c.d/len",
                ),
            }
        }
    }
}

impl Construct for GkeCluster {
    type Output = Ref<kind::Cluster>;

    fn describe(&self) -> String {
        format!("gcp::GkeCluster \"{}\"", self.logical)
    }

    fn build(self, stack: &mut Stack) -> Ref<kind::Cluster> {
        let resource = format!("{}.{}", kind::Cluster::TYPE, self.logical);
        self.validate(stack, &resource);
        let cidr_blocks: Vec<Value> = self
            .authorized_networks
            .iter()
            .map(|(name, cidr)| map! { "display_name" => name.as_str(), "cidr_block" => cidr.as_str() })
            .collect();
        let mut authorized = map! { "gcp_public_cidrs_access_enabled" => false };
        if !cidr_blocks.is_empty() {
            authorized.insert("cidr_blocks", cidr_blocks);
        }
        let default_pool = super::node_pool::hardened_node_config(
            &self.node_service_account,
            self.boot_disk_key.as_ref(),
        );
        let mut attributes = Attributes::new()
            .set("name", self.name.as_str())
            .set("location", self.location.name())
            .set("network", &self.network)
            .set("subnetwork", &self.subnetwork)
            .set("networking_mode", "VPC_NATIVE")
            .set("deletion_protection", self.deletion_protection)
            .set("remove_default_node_pool", true)
            .set("initial_node_count", 1)
            .set("enable_shielded_nodes", true)
            .set("enable_legacy_abac", false)
            .set("enable_intranode_visibility", true)
            // Dataplane V2: eBPF networking with Kubernetes NetworkPolicy enforced.
            .set("datapath_provider", "ADVANCED_DATAPATH")
            .set_opt("min_master_version", self.kubernetes_version.as_deref())
            // Dataplane V2 enforces NetworkPolicy itself; the Calico add-on stays off.
            .block("network_policy", map! { "enabled" => false })
            .block(
                "ip_allocation_policy",
                map! {
                    "cluster_secondary_range_name" => self.pods_range.as_str(),
                    "services_secondary_range_name" => self.services_range.as_str(),
                    "stack_type" => "IPV4",
                },
            )
            .block(
                "private_cluster_config",
                map! {
                    "enable_private_nodes" => true,
                    "enable_private_endpoint" => self.private_endpoint,
                    "master_ipv4_cidr_block" => self.master_cidr.as_str(),
                    "master_global_access_config" => vec![map! { "enabled" => true }],
                },
            )
            .block("master_authorized_networks_config", authorized)
            .block(
                "master_auth",
                map! { "client_certificate_config" => vec![map! { "issue_client_certificate" => false }] },
            )
            .block("workload_identity_config", map! { "workload_pool" => Project::workload_pool() })
            .block("release_channel", map! { "channel" => self.release_channel.as_str() })
            .block(
                "addons_config",
                map! {
                    "http_load_balancing" => vec![map! { "disabled" => false }],
                    "horizontal_pod_autoscaling" => vec![map! { "disabled" => false }],
                    "gce_persistent_disk_csi_driver_config" => vec![map! { "enabled" => true }],
                    "gcs_fuse_csi_driver_config" => vec![map! { "enabled" => true }],
                    "dns_cache_config" => vec![map! { "enabled" => true }],
                },
            )
            .block(
                "logging_config",
                map! { "enable_components" => vec!["SYSTEM_COMPONENTS", "WORKLOADS"] },
            )
            .block(
                "monitoring_config",
                map! {
                    "enable_components" => vec!["SYSTEM_COMPONENTS"],
                    "managed_prometheus" => vec![map! { "enabled" => true }],
                },
            )
            // Configuration auditing (`mode = BASIC`) stays. Workload
            // vulnerability scanning does not: Google removed the basic tier
            // (`VULNERABILITY_BASIC`) on 2025-07-31 and deprecated the
            // enterprise tier as well (GKE posture-management deprecation;
            // container v1 API `SecurityPostureConfig.VulnerabilityMode`), so
            // the only setting that means what it says is DISABLED. Image
            // vulnerabilities are the registry's to scan (Artifact Analysis).
            .block(
                "security_posture_config",
                map! { "mode" => "BASIC", "vulnerability_mode" => "VULNERABILITY_DISABLED" },
            )
            .block(
                "maintenance_policy",
                map! { "daily_maintenance_window" => vec![map! { "start_time" => "03:00" }] },
            )
            // The default pool exists for minutes before removal; it still runs
            // as the least-privilege account, hardened.
            .block("node_config", default_pool)
            // The default pool is gone after creation; a change to its
            // node_config would otherwise recreate the whole cluster.
            .set("lifecycle", map! { "ignore_changes" => vec!["node_config"] })
            .tagging(Tagging::LabelsAt("resource_labels"));
        if let Location::Regional { zones, .. } = &self.location {
            if !zones.is_empty() {
                attributes = attributes.set("node_locations", zones.clone());
            }
        }
        if self.binary_authorization {
            attributes = attributes.block(
                "binary_authorization",
                map! { "evaluation_mode" => "PROJECT_SINGLETON_POLICY_ENFORCE" },
            );
        }
        if let Some(group) = &self.security_group {
            attributes = attributes.block(
                "authenticator_groups_config",
                map! { "security_group" => group.as_str() },
            );
        }
        if let Some(key) = &self.secrets_key {
            attributes = attributes.block(
                "database_encryption",
                map! { "state" => "ENCRYPTED", "key_name" => key },
            );
        }
        for address in &self.depends_on {
            attributes = attributes.depends_on(address);
        }
        stack.resource::<kind::Cluster>(&self.logical, attributes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::calendar::Date;
    use crate::gcp::ServiceAccount;

    fn cluster(stack: &mut Stack, master: &str) -> GkeCluster {
        let network = stack.resource::<kind::Network>("main", Attributes::new());
        let subnetwork = stack.resource::<kind::Subnetwork>("main", Attributes::new());
        let nodes = stack.add(ServiceAccount::new("nodes", "demo-nodes", "nodes"));
        GkeCluster::new(GkeClusterProps {
            logical_name: "main",
            name: "demo",
            location: Location::Zonal("us-central1-a".to_string()),
            network: network.id(),
            subnetwork: subnetwork.id(),
            cluster_secondary_range_name: "pods",
            services_secondary_range_name: "services",
            master_ipv4_cidr_block: master,
            node_service_account: nodes.account.email(),
        })
    }

    #[test]
    fn defaults_are_private_and_hardened() {
        let mut stack = Stack::new("t");
        let c = cluster(&mut stack, "172.16.0.0/28");
        let c = stack.add(c);
        let block = stack.block(c.address()).unwrap();
        assert_eq!(
            block.get("private_cluster_config.enable_private_nodes"),
            Some(&true.into())
        );
        assert_eq!(
            block.get("private_cluster_config.enable_private_endpoint"),
            Some(&true.into())
        );
        assert_eq!(block.get("remove_default_node_pool"), Some(&true.into()));
        assert_eq!(block.get("enable_shielded_nodes"), Some(&true.into()));
        assert_eq!(
            block.get("datapath_provider"),
            Some(&"ADVANCED_DATAPATH".into())
        );
        let Some(Value::Expr(pool)) = block.get("workload_identity_config.workload_pool") else {
            panic!("workload pool")
        };
        assert_eq!(pool.template(), "${var.project_id}.svc.id.goog");
        assert_eq!(
            block.get("binary_authorization.evaluation_mode"),
            Some(&"PROJECT_SINGLETON_POLICY_ENFORCE".into())
        );
        assert_eq!(block.get("authenticator_groups_config"), None);
        assert!(stack.diagnostics().is_empty(), "{}", stack.diagnostics());
    }

    #[test]
    fn google_groups_rbac_needs_the_gke_security_group() {
        let mut stack = Stack::new("t");
        let c = cluster(&mut stack, "172.16.0.0/28")
            .google_groups_rbac("gke-security-groups@example.com");
        let c = stack.add(c);
        let block = stack.block(c.address()).unwrap();
        assert_eq!(
            block.get("authenticator_groups_config.security_group"),
            Some(&"gke-security-groups@example.com".into())
        );
        assert!(stack.diagnostics().is_empty(), "{}", stack.diagnostics());
        for group in ["admins@example.com", "gke-security-groups@localhost"] {
            let mut stack = Stack::new("t");
            let c = cluster(&mut stack, "172.16.0.0/28").google_groups_rbac(group);
            stack.add(c);
            let text = stack.diagnostics().to_string();
            assert!(
                text.contains("field `authenticator_groups_config.security_group`"),
                "{group}: {text}"
            );
        }
    }

    #[test]
    fn the_master_range_must_be_a_private_28() {
        for (cidr, says) in [
            ("172.16.0.0/24", "must be a /28"),
            ("172.16.0.8/28", "host bits"),
            ("8.8.8.0/28", "RFC 1918"),
            ("nonsense", "not an IPv4 CIDR"),
        ] {
            let mut stack = Stack::new("t");
            let c = cluster(&mut stack, cidr);
            stack.add(c);
            let text = stack.diagnostics().to_string();
            assert!(
                text.contains("private_cluster_config.master_ipv4_cidr_block"),
                "{cidr}: {text}"
            );
            assert!(text.contains(says), "{cidr}: {text}");
        }
    }

    #[test]
    fn cluster_names_follow_gke_rules() {
        let mut stack = Stack::new("t");
        let c = cluster(&mut stack, "172.16.0.0/28");
        stack.add(GkeCluster {
            name: "a-very-long-project-name-production-main-cluster".to_string(),
            ..c
        });
        let text = stack.diagnostics().to_string();
        assert!(
            text.contains("field `name`") && text.contains("1-40"),
            "{text}"
        );
    }

    /// GKE release schedule (cloud.google.com/kubernetes-engine/docs/
    /// release-schedule): 1.31 left standard support on 2026-01-16 and is no
    /// longer offered on the Regular or Stable channel; 1.35 is supported
    /// until 2027-04-11.
    #[test]
    fn min_master_version_is_judged_on_the_support_date() {
        let on_2026_11_29 = |version: &str| {
            let mut stack = Stack::new("t").with_support_date(Date::ymd(2026, 11, 29));
            let c = cluster(&mut stack, "172.16.0.0/28").kubernetes_version(version);
            stack.add(c);
            stack.diagnostics().to_string()
        };
        let old = on_2026_11_29("1.31");
        assert!(
            old.contains("field `min_master_version`")
                && old.contains(
                    "GKE Kubernetes version `1.31` reached its end of support on 2026-01-16"
                )
                && old.contains("1.35, 1.36"),
            "{old}"
        );
        assert!(on_2026_11_29("1.35").ends_with("0 error(s), 0 warning(s)"));
        assert!(on_2026_11_29("1.35.1-gke.1396000").ends_with("0 error(s), 0 warning(s)"));
    }

    #[test]
    fn bad_location_channel_version_and_open_api_are_errors() {
        let mut stack = Stack::new("t");
        let c = cluster(&mut stack, "172.16.0.0/28")
            .release_channel("NIGHTLY")
            .kubernetes_version("2.0")
            .private_endpoint(false)
            .authorized_network("all", "0.0.0.0/0");
        let c = GkeCluster {
            location: Location::Regional {
                region: "us-central1".to_string(),
                zones: vec!["us-east1-b".to_string()],
            },
            ..c
        };
        stack.add(c);
        let text = stack.diagnostics().to_string();
        for field in [
            "release_channel.channel",
            "min_master_version",
            "master_authorized_networks_config.cidr_blocks",
            "node_locations",
        ] {
            assert!(
                text.contains(&format!("field `{field}`")),
                "{field}: {text}"
            );
        }
    }
}
