//! Separately managed GKE node pools: autoscaled, auto-repaired and
//! auto-upgraded, shielded, metadata-concealed (workload identity), running as a
//! least-privilege service account; spot and GPU variants.

use std::collections::BTreeMap;

use super::kind::{self, Email};
use super::names::is_resource_name;
use crate::core::block::Attributes;
use crate::core::reference::{Address, Attr, Id, Ref, ResourceKind};
use crate::core::stack::{Construct, Stack};
use crate::core::taint::Taint;
use crate::map;
use crate::Value;

/// GPUs per node GKE accepts for a T4 on N1 machines.
pub const GPU_COUNTS: [u32; 3] = [1, 2, 4];

/// The required inputs of a [`NodePool`], named as in
/// `google_container_node_pool`.
#[derive(Clone, Debug)]
pub struct NodePoolProps<'a> {
    /// The Terraform name of the pool (`google_container_node_pool.<logical_name>`).
    pub logical_name: &'a str,
    /// The pool name in GKE (`name`): 1-40 lowercase letters, digits and `-`,
    /// starting with a letter, not ending with `-`; unique per cluster.
    pub name: &'a str,
    /// The cluster (`cluster`), from [`GkeCluster`](crate::gcp::GkeCluster)'s
    /// handle.
    pub cluster: Attr<Id<kind::Cluster>>,
    /// The cluster's location (`location`): its region, or its zone for a
    /// zonal cluster ([`Location::name`](crate::gcp::Location::name)).
    pub location: &'a str,
    /// How many zones the pool's nodes span: the cluster's
    /// [`Location::zone_count`](crate::gcp::Location::zone_count) (1 for a
    /// zonal cluster). GKE counts `initial_node_count` per zone, so the
    /// desired total is divided by it.
    pub zone_count: u32,
    /// The nodes' machine type (`node_config.machine_type`), such as
    /// `e2-standard-4`; an `n1-` type for T4 GPUs.
    pub machine_type: &'a str,
    /// The service account the nodes run as (`node_config.service_account`):
    /// a least-privilege account, from
    /// [`ServiceAccount`](crate::gcp::ServiceAccount)'s handle.
    pub service_account: Attr<Email>,
}

/// A node pool.
///
/// ```
/// use infrasynth::gcp::{kind, NodePool, NodePoolProps};
/// use infrasynth::{Attributes, Stack};
/// let mut stack = Stack::new("demo");
/// let cluster = stack.resource::<kind::Cluster>("main", Attributes::new());
/// let sa = stack.resource::<kind::ServiceAccount>("nodes", Attributes::new());
/// stack.add(
///     NodePool::new(NodePoolProps {
///         logical_name: "general",
///         name: "general",
///         cluster: cluster.id(),
///         location: "us-central1",
///         zone_count: 3,
///         machine_type: "e2-standard-4",
///         service_account: sa.email(),
///     })
///     .autoscaling(3, 9, 3),
/// );
/// assert!(stack.diagnostics().is_empty());
/// ```
pub struct NodePool {
    logical: String,
    name: String,
    cluster: Attr<Id<kind::Cluster>>,
    location: String,
    zones: u32,
    machine_type: String,
    service_account: Attr<Email>,
    spot: bool,
    gpu: Option<(String, u32)>,
    min_nodes: u32,
    max_nodes: u32,
    desired_nodes: u32,
    taints: Vec<Taint>,
    labels: BTreeMap<String, String>,
    disk_size_gb: u32,
    boot_disk_key: Option<Attr<Id<kind::CryptoKey>>>,
    depends_on: Vec<Address>,
}

impl NodePool {
    /// An autoscaled (1-3 nodes), auto-repaired and auto-upgraded pool of
    /// on-demand, shielded nodes with 100 GiB boot disks and the GKE metadata
    /// server.
    pub fn new(props: NodePoolProps<'_>) -> Self {
        NodePool {
            logical: props.logical_name.to_string(),
            name: props.name.to_string(),
            cluster: props.cluster,
            location: props.location.to_string(),
            zones: props.zone_count.max(1),
            machine_type: props.machine_type.to_string(),
            service_account: props.service_account,
            spot: false,
            gpu: None,
            min_nodes: 1,
            max_nodes: 3,
            desired_nodes: 1,
            taints: Vec::new(),
            labels: BTreeMap::new(),
            disk_size_gb: 100,
            boot_disk_key: None,
            depends_on: Vec::new(),
        }
    }

    /// Node counts across all zones: the autoscaler keeps between `min` and `max`,
    /// starting near `desired` (rounded up to a whole number per zone).
    pub fn autoscaling(mut self, min: u32, max: u32, desired: u32) -> Self {
        self.min_nodes = min;
        self.max_nodes = max;
        self.desired_nodes = desired;
        self
    }

    /// Spot VMs (reclaimable, much cheaper).
    pub fn spot(mut self, on: bool) -> Self {
        self.spot = on;
        self
    }

    /// `count` accelerators of `accelerator` (such as `nvidia-tesla-t4`) per node,
    /// with the default driver installed by GKE.
    pub fn gpu(mut self, accelerator: &str, count: u32) -> Self {
        self.gpu = Some((accelerator.to_string(), count));
        self
    }

    /// A taint.
    pub fn taint(mut self, taint: Taint) -> Self {
        self.taints.push(taint);
        self
    }

    /// A Kubernetes node label.
    pub fn label(mut self, key: &str, value: &str) -> Self {
        self.labels.insert(key.to_string(), value.to_string());
        self
    }

    /// Boot disk size in GiB (default 100).
    pub fn disk_size_gb(mut self, gb: u32) -> Self {
        self.disk_size_gb = gb;
        self
    }

    /// Encrypt the nodes' boot disks with a customer-managed key
    /// (`node_config.boot_disk_kms_key`, google 6.50.0; Google-managed
    /// encryption without one). Compute Engine's service agent must be able
    /// to use the key: make the pool wait for that grant
    /// ([`NodePool::depends_on`]).
    pub fn boot_disk_kms_key(mut self, key: Attr<Id<kind::CryptoKey>>) -> Self {
        self.boot_disk_key = Some(key);
        self
    }

    /// Waits for `address`.
    pub fn depends_on(mut self, address: &Address) -> Self {
        self.depends_on.push(address.clone());
        self
    }

    fn validate(&self, stack: &mut Stack, resource: &str) {
        if !is_resource_name(&self.name, 40) {
            stack.error(
                resource,
                "name",
                &format!("`{}` is not a valid node pool name", self.name),
                "use 1-40 lowercase letters, digits and `-`, starting with a letter",
            );
        }
        if !(self.min_nodes <= self.desired_nodes && self.desired_nodes <= self.max_nodes)
            || self.max_nodes == 0
        {
            stack.error(
                resource,
                "autoscaling",
                &format!(
                    "node counts min {} / desired {} / max {} are not ordered",
                    self.min_nodes, self.desired_nodes, self.max_nodes
                ),
                "keep min <= desired <= max and max >= 1",
            );
        }
        if let Some((accelerator, count)) = &self.gpu {
            if !GPU_COUNTS.contains(count) {
                // The most GPUs offered that are not more than asked for.
                let fix = GPU_COUNTS
                    .iter()
                    .filter(|c| *c <= count)
                    .max()
                    .unwrap_or(&1);
                stack.error_with_fix(
                    resource,
                    "node_config.guest_accelerator.count",
                    &format!("{count} GPUs per node is not offered"),
                    "attach 1, 2 or 4 GPUs per node",
                    &fix.to_string(),
                );
            }
            if accelerator.contains("tesla-t4") && !self.machine_type.starts_with("n1-") {
                stack.error(
                    resource,
                    "node_config.machine_type",
                    &format!(
                        "{accelerator} attaches only to N1 machines, not `{}`",
                        self.machine_type
                    ),
                    "use an n1-standard machine type such as n1-standard-8",
                );
            }
        }
    }
}

impl Construct for NodePool {
    type Output = Ref<kind::NodePool>;

    fn describe(&self) -> String {
        format!("gcp::NodePool \"{}\"", self.logical)
    }

    fn build(self, stack: &mut Stack) -> Ref<kind::NodePool> {
        let resource = format!("{}.{}", kind::NodePool::TYPE, self.logical);
        self.validate(stack, &resource);
        let resource_labels = super::names::default_labels(stack);
        let taints: Vec<Value> = self.taints.iter().map(Taint::to_block).collect();
        let mut node_config =
            hardened_node_config(&self.service_account, self.boot_disk_key.as_ref());
        node_config.insert("machine_type", self.machine_type.as_str());
        node_config.insert("image_type", "COS_CONTAINERD");
        node_config.insert("disk_type", "pd-balanced");
        node_config.insert("disk_size_gb", self.disk_size_gb);
        node_config.insert("spot", self.spot);
        node_config.insert("labels", Value::from(self.labels.clone()));
        node_config.insert("resource_labels", Value::from(resource_labels));
        node_config.insert("metadata", map! { "disable-legacy-endpoints" => "true" });
        if !taints.is_empty() {
            node_config.insert("taint", taints);
        }
        if let Some((accelerator, count)) = &self.gpu {
            node_config.insert(
                "guest_accelerator",
                vec![map! {
                    "type" => accelerator.as_str(),
                    "count" => *count,
                    "gpu_driver_installation_config" => vec![map! { "gpu_driver_version" => "DEFAULT" }],
                }],
            );
        }
        let mut attributes = Attributes::new()
            .set("name", self.name.as_str())
            .set("cluster", &self.cluster)
            .set("location", self.location.as_str())
            .set(
                "initial_node_count",
                self.desired_nodes.div_ceil(self.zones),
            )
            .block(
                "autoscaling",
                map! {
                    "total_min_node_count" => self.min_nodes,
                    "total_max_node_count" => self.max_nodes,
                    // Spot capacity goes wherever it is available.
                    "location_policy" => if self.spot { "ANY" } else { "BALANCED" },
                },
            )
            .block(
                "management",
                map! { "auto_repair" => true, "auto_upgrade" => true },
            )
            .block(
                "upgrade_settings",
                map! { "strategy" => "SURGE", "max_surge" => 1, "max_unavailable" => 0 },
            )
            .block("node_config", node_config)
            // The autoscaler owns the node count; a changed initial count would
            // otherwise recreate the pool.
            .set(
                "lifecycle",
                map! { "ignore_changes" => vec!["initial_node_count"] },
            );
        for address in &self.depends_on {
            attributes = attributes.depends_on(address);
        }
        stack.resource::<kind::NodePool>(&self.logical, attributes)
    }
}

/// The `node_config` every GKE node gets, a pool's or the cluster's default
/// pool's: running as `service_account` with the `cloud-platform` scope (its
/// IAM roles, not scopes, limit it), shielded (secure boot, integrity
/// monitoring), the GKE metadata server (workload identity, the VM's
/// metadata concealed), and boot disks encrypted with `boot_disk_key` when
/// one is given.
pub(super) fn hardened_node_config(
    service_account: &Attr<Email>,
    boot_disk_key: Option<&Attr<Id<kind::CryptoKey>>>,
) -> Value {
    let mut config = map! {
        "service_account" => service_account,
        "oauth_scopes" => vec!["https://www.googleapis.com/auth/cloud-platform"],
        "shielded_instance_config" => vec![map! {
            "enable_secure_boot" => true,
            "enable_integrity_monitoring" => true,
        }],
        "workload_metadata_config" => vec![map! { "mode" => "GKE_METADATA" }],
    };
    if let Some(key) = boot_disk_key {
        config.insert("boot_disk_kms_key", key);
    }
    config
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::taint::TaintEffect;

    fn pool(stack: &mut Stack, machine: &str) -> NodePool {
        let cluster = stack.resource::<kind::Cluster>("main", Attributes::new());
        let sa = stack.resource::<kind::ServiceAccount>("nodes", Attributes::new());
        NodePool::new(NodePoolProps {
            logical_name: "gpu",
            name: "gpu",
            cluster: cluster.id(),
            location: "us-central1",
            zone_count: 3,
            machine_type: machine,
            service_account: sa.email(),
        })
    }

    #[test]
    fn gpu_pools_get_accelerators_and_taints() {
        let mut stack = Stack::new("t");
        let p = pool(&mut stack, "n1-standard-8")
            .gpu("nvidia-tesla-t4", 1)
            .autoscaling(0, 4, 0)
            .taint(Taint {
                key: "nvidia.com/gpu".into(),
                value: "present".into(),
                effect: TaintEffect::NoSchedule,
            });
        let p = stack.add(p);
        let block = stack.block(p.address()).unwrap();
        assert_eq!(
            block.get("node_config.guest_accelerator.type"),
            Some(&"nvidia-tesla-t4".into())
        );
        assert_eq!(
            block.get("node_config.taint.effect"),
            Some(&"NO_SCHEDULE".into())
        );
        assert_eq!(block.get("management.auto_upgrade"), Some(&true.into()));
        assert!(stack.diagnostics().is_empty());
    }

    #[test]
    fn desired_nodes_round_up_per_zone() {
        let mut stack = Stack::new("t");
        let p = pool(&mut stack, "e2-standard-4").autoscaling(3, 9, 5);
        let p = stack.add(p);
        assert_eq!(
            stack.block(p.address()).unwrap().get("initial_node_count"),
            Some(&2u32.into())
        );
    }

    #[test]
    fn bad_gpu_shapes_and_counts_are_errors() {
        let mut stack = Stack::new("t");
        let p = pool(&mut stack, "e2-standard-4")
            .gpu("nvidia-tesla-t4", 3)
            .autoscaling(2, 1, 1);
        stack.add(p);
        let text = stack.diagnostics().to_string();
        for field in [
            "node_config.guest_accelerator.count",
            "node_config.machine_type",
            "autoscaling",
        ] {
            assert!(
                text.contains(&format!("field `{field}`")),
                "{field}: {text}"
            );
        }
    }
}
