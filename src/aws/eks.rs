//! EKS with secure defaults: secrets envelope-encrypted with a customer key,
//! every control-plane log type sent to an encrypted log group, private
//! endpoint on (public off in production, CIDR-restricted otherwise), access
//! entries (API authentication mode), an OIDC provider for IRSA, managed node
//! groups whose launch templates require IMDSv2 and encrypt their volumes, and
//! the core add-ons (the EBS CSI driver with its own IRSA role).

use std::collections::BTreeMap;

use ipnet::Ipv4Net;

use super::cluster_autoscaler;
use super::facts::AwsFacts;
use super::iam::{service_trust, IamRole, IamRoleHandle, NameTag};
use super::irsa::{OidcHandle, WorkloadRole, WorkloadRoleProps};
use super::kind;
use super::kms::KmsKeyHandle;
use crate::core::block::Attributes;
use crate::core::capacity::Capacity;
use crate::core::naming::fit;
use crate::core::reference::{Attr, Id, Ref};
use crate::core::stack::{Construct, Stack};
use crate::core::taint::Taint;
use crate::core::value::Value;

/// Control-plane log types (all of them).
pub const CONTROL_PLANE_LOGS: &[&str] = &[
    "api",
    "audit",
    "authenticator",
    "controllerManager",
    "scheduler",
];

/// The required inputs of a [`NodeGroup`], named as in
/// `aws_eks_node_group` (`node_group_name`, `instance_types`,
/// `scaling_config`).
#[derive(Clone, Copy, Debug)]
pub struct NodeGroupProps<'a> {
    /// The group's name within its cluster (`node_group_name`), such as
    /// `general`; also names its launch template `<cluster>-<name>`. Unique
    /// per cluster.
    pub node_group_name: &'a str,
    /// EC2 instance types, such as `["m6i.large"]`: one for on-demand, several
    /// of one size for spot (more pools to draw from). At least one.
    pub instance_types: &'a [&'a str],
    /// Fewest nodes the group scales in to (`scaling_config.min_size`); at
    /// most `desired_size`.
    pub min_size: u32,
    /// Nodes at creation (`scaling_config.desired_size`); the cluster
    /// autoscaler owns it afterwards.
    pub desired_size: u32,
    /// Most nodes the group scales out to (`scaling_config.max_size`); at
    /// least `desired_size` and 1.
    pub max_size: u32,
}

/// A managed node group.
///
/// ```
/// use infrasynth::aws::{NodeGroup, NodeGroupProps};
/// let group = NodeGroup::new(NodeGroupProps {
///     node_group_name: "general",
///     instance_types: &["m6i.large"],
///     min_size: 2,
///     desired_size: 2,
///     max_size: 6,
/// })
/// .disk_gb(100);
/// ```
#[derive(Clone, Debug)]
pub struct NodeGroup {
    name: String,
    instance_types: Vec<String>,
    capacity: Capacity,
    gpu: bool,
    min: u32,
    max: u32,
    desired: u32,
    disk_gb: u32,
    taints: Vec<Taint>,
    labels: BTreeMap<String, String>,
}

impl NodeGroup {
    /// On-demand nodes of `instance_types`, `min_size..=max_size`, starting
    /// at `desired_size`, with 50 GiB root volumes.
    pub fn new(props: NodeGroupProps<'_>) -> Self {
        NodeGroup {
            name: props.node_group_name.to_string(),
            instance_types: props.instance_types.iter().map(|s| s.to_string()).collect(),
            capacity: Capacity::OnDemand,
            gpu: false,
            min: props.min_size,
            max: props.max_size,
            desired: props.desired_size,
            disk_gb: 50,
            taints: Vec::new(),
            labels: BTreeMap::new(),
        }
    }

    /// Spot capacity.
    pub fn spot(mut self) -> Self {
        self.capacity = Capacity::Spot;
        self
    }

    /// On-demand or spot.
    pub fn capacity(mut self, capacity: Capacity) -> Self {
        self.capacity = capacity;
        self
    }

    /// GPU nodes (the AL2023 NVIDIA AMI).
    pub fn gpu(mut self) -> Self {
        self.gpu = true;
        self
    }

    /// Root volume size in GiB (default 50).
    pub fn disk_gb(mut self, gb: u32) -> Self {
        self.disk_gb = gb;
        self
    }

    /// Adds a taint.
    pub fn taint(mut self, taint: Taint) -> Self {
        self.taints.push(taint);
        self
    }

    /// Adds a node label.
    pub fn label(mut self, key: &str, value: &str) -> Self {
        self.labels.insert(key.to_string(), value.to_string());
        self
    }
}

/// The required inputs of an [`EksCluster`], named as in `aws_eks_cluster`.
///
/// A struct literal names every field, so leaving one out does not compile:
///
/// ```compile_fail
/// # use infrasynth::aws::{EksClusterProps, KmsKeyHandle};
/// # fn f(secrets: &KmsKeyHandle) {
/// let props = EksClusterProps {
///     logical_name: "main",
///     name: "demo",
///     kubernetes_version: "1.35",
///     subnet_ids: vec![],
///     secrets_key: secrets,
///     // logs_key missing
/// };
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct EksClusterProps<'a> {
    /// The Terraform name of the cluster block (`aws_eks_cluster.<logical_name>`)
    /// and the prefix of the blocks it adds (`<logical_name>_node`, ...).
    pub logical_name: &'a str,
    /// The cluster name in EKS (`name`): 1-100 letters, digits, `-` and `_`,
    /// starting with a letter or digit. Also prefixes the IAM roles, log group
    /// and launch templates the cluster adds (`<name>-cluster`, ...).
    pub name: &'a str,
    /// The Kubernetes version, `major.minor` such as `1.35` (`version`),
    /// checked against EKS's release calendar ([`crate::aws::versions::EKS`]).
    pub kubernetes_version: &'a str,
    /// The subnets of the control plane's network interfaces and the nodes
    /// (`vpc_config.subnet_ids`): the private ones, from
    /// [`VpcHandle::private_subnet_ids`](crate::aws::VpcHandle::private_subnet_ids),
    /// one per zone.
    pub subnet_ids: Vec<Attr<Id<kind::Subnet>>>,
    /// The key envelope-encrypting Kubernetes secrets
    /// (`encryption_config.provider.key_arn`).
    pub secrets_key: &'a KmsKeyHandle,
    /// The key of the control-plane log group; it must let CloudWatch Logs use
    /// it, as a key from [`KmsKey::for_logs`](crate::aws::KmsKey::for_logs) does.
    pub logs_key: &'a KmsKeyHandle,
}

/// An EKS cluster.
///
/// ```
/// use infrasynth::aws::{EksCluster, EksClusterProps, KmsKey, NodeGroup, NodeGroupProps, Vpc};
/// use infrasynth::Stack;
/// let mut stack = Stack::new("demo");
/// let vpc = stack.add(Vpc::new("main", "demo", "10.0.0.0/16", "us-east-1"));
/// let secrets = stack.add(KmsKey::new("eks", "demo-eks"));
/// let logs = stack.add(KmsKey::for_logs("logs", "demo-logs", "us-east-1"));
/// let cluster = stack.add(
///     EksCluster::new(EksClusterProps {
///         logical_name: "main",
///         name: "demo",
///         kubernetes_version: "1.35",
///         subnet_ids: vpc.private_subnet_ids(),
///         secrets_key: &secrets,
///         logs_key: &logs,
///     })
///     .node_group(NodeGroup::new(NodeGroupProps {
///         node_group_name: "general",
///         instance_types: &["m6i.large"],
///         min_size: 2,
///         desired_size: 2,
///         max_size: 4,
///     })),
/// );
/// ```
pub struct EksCluster {
    logical: String,
    name: String,
    version: String,
    subnet_ids: Vec<Attr<Id<kind::Subnet>>>,
    secrets_key: KmsKeyHandle,
    logs_key: KmsKeyHandle,
    log_retention_days: u32,
    public_access_cidrs: Vec<String>,
    node_groups: Vec<NodeGroup>,
    volumes_key: Option<KmsKeyHandle>,
}

/// What [`EksCluster`] created.
#[derive(Clone, Debug)]
pub struct EksClusterHandle {
    /// The cluster.
    pub cluster: Ref<kind::EksCluster>,
    /// The OIDC provider for IRSA.
    pub oidc: OidcHandle,
    /// The nodes' role.
    pub node_role: Ref<kind::IamRole>,
    /// The node groups, in the order given.
    pub node_groups: Vec<Ref<kind::EksNodeGroup>>,
    /// The add-ons by name.
    pub addons: BTreeMap<String, Ref<kind::EksAddon>>,
    /// The control plane's role (`<logical>_cluster`) and its policy
    /// attachment.
    pub cluster_role: IamRoleHandle,
    /// The control plane's log group (`/aws/eks/<name>/cluster`).
    pub log_group: Ref<kind::LogGroup>,
    /// One launch template per node group, in the order given (IMDSv2, the
    /// encrypted root volume).
    pub launch_templates: Vec<Ref<kind::LaunchTemplate>>,
    /// The EBS CSI driver's IRSA role (`<logical>_ebs_csi`).
    pub ebs_csi_role: IamRoleHandle,
    /// The Cluster Autoscaler's IRSA role (`<logical>_cluster_autoscaler`,
    /// for `kube-system/cluster-autoscaler`): it scales each managed node
    /// group between its `min_size` and `max_size` (see
    /// [`crate::aws::cluster_autoscaler`] for its permissions).
    pub cluster_autoscaler_role: IamRoleHandle,
}

impl EksClusterHandle {
    /// The security group EKS creates for the control plane and managed nodes
    /// (so pods on managed nodes connect from it).
    pub fn cluster_security_group_id(&self) -> Attr<Id<kind::SecurityGroup>> {
        self.cluster.attr("vpc_config[0].cluster_security_group_id")
    }

    /// The API endpoint.
    pub fn endpoint(&self) -> Attr<String> {
        self.cluster.attr("endpoint")
    }
}

impl EksCluster {
    /// A cluster with a private API endpoint, every control-plane log type
    /// kept 90 days, access entries, an OIDC provider for IRSA and the core
    /// add-ons; no node groups until [`EksCluster::node_group`].
    pub fn new(props: EksClusterProps<'_>) -> Self {
        EksCluster {
            logical: props.logical_name.to_string(),
            name: props.name.to_string(),
            version: props.kubernetes_version.to_string(),
            subnet_ids: props.subnet_ids,
            secrets_key: props.secrets_key.clone(),
            logs_key: props.logs_key.clone(),
            log_retention_days: 90,
            public_access_cidrs: Vec::new(),
            node_groups: Vec::new(),
            volumes_key: None,
        }
    }

    /// Lets the EBS CSI driver encrypt the PersistentVolumes it creates with
    /// `key` (a StorageClass's `kmsKeyId`): its IRSA role may use the key and
    /// create grants on it for EBS (see [`WorkloadRole::volume_key`]). Without
    /// it the driver can use only the account's default EBS key.
    pub fn volumes_key(mut self, key: &KmsKeyHandle) -> Self {
        self.volumes_key = Some(key.clone());
        self
    }

    /// Also serves the API publicly, to these CIDRs only (never `/0`; not in
    /// production).
    pub fn public_access_cidrs(mut self, cidrs: &[String]) -> Self {
        self.public_access_cidrs = cidrs.to_vec();
        self
    }

    /// Days to keep control-plane logs (default 90).
    pub fn log_retention_days(mut self, days: u32) -> Self {
        self.log_retention_days = days;
        self
    }

    /// Adds a managed node group.
    pub fn node_group(mut self, group: NodeGroup) -> Self {
        self.node_groups.push(group);
        self
    }

    fn validate(&self, stack: &mut Stack, address: &str) {
        let valid_name = !self.name.is_empty()
            && self.name.len() <= 100
            && self.name.starts_with(|c: char| c.is_ascii_alphanumeric())
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid_name {
            stack.error(
                address,
                "name",
                &format!("`{}` is not a valid EKS cluster name", self.name),
                "use 1-100 letters, digits, `-` and `_`, starting with a letter or digit",
            );
        }
        // The accepted versions and their end dates are data, refreshed in
        // one place (`aws::versions`), judged on the stack's support date.
        super::versions::EKS.check(stack, address, "version", &self.version);
        for cidr in &self.public_access_cidrs {
            match cidr.parse::<Ipv4Net>() {
                Ok(net) if net.prefix_len() == 0 => stack.error(
                    address,
                    "public_access_cidrs",
                    "the Kubernetes API would be open to the whole internet (`/0`)",
                    "list the office or VPN CIDRs that need the API, or keep the endpoint private",
                ),
                Ok(_) => {}
                Err(_) => stack.error(
                    address,
                    "public_access_cidrs",
                    &format!("`{cidr}` is not an IPv4 CIDR"),
                    "write it as a.b.c.d/len",
                ),
            }
        }
        if stack.is_production() && !self.public_access_cidrs.is_empty() {
            stack.error(
                address,
                "public_access_cidrs",
                "a production cluster with a public API endpoint",
                "keep the production endpoint private (reach it through the VPN or a bastion)",
            );
        }
        let mut names = Vec::new();
        for group in &self.node_groups {
            let field = format!("node_groups.{}", group.name);
            if names.contains(&group.name) {
                stack.error(
                    address,
                    &field,
                    &format!("node group `{}` is defined twice", group.name),
                    "give each node group its own name",
                );
            }
            names.push(group.name.clone());
            if !(group.min <= group.desired && group.desired <= group.max) || group.max == 0 {
                stack.error(
                    address,
                    &format!("{field}.scaling_config"),
                    &format!(
                        "min {} / desired {} / max {} are not ordered",
                        group.min, group.desired, group.max
                    ),
                    "keep min <= desired <= max and max >= 1",
                );
            }
            if group.instance_types.is_empty() {
                stack.error(
                    address,
                    &format!("{field}.instance_types"),
                    "no instance types",
                    "list at least one instance type",
                );
            }
            if !(20..=16384).contains(&group.disk_gb) {
                stack.error(
                    address,
                    &format!("{field}.disk_gb"),
                    &format!("{} GiB root volume", group.disk_gb),
                    "use 20-16384 GiB",
                );
            }
        }
    }
}

impl Construct for EksCluster {
    type Output = EksClusterHandle;

    fn describe(&self) -> String {
        format!("aws::EksCluster \"{}\"", self.logical)
    }

    fn build(self, stack: &mut Stack) -> EksClusterHandle {
        let address = format!("aws_eks_cluster.{}", self.logical);
        self.validate(stack, &address);
        let l = &self.logical;
        let name = &self.name;
        let cluster_role = stack.add(
            IamRole::new(
                &format!("{l}_cluster"),
                // IAM role names have at most 64 characters.
                fit(&format!("{name}-cluster"), 64),
                service_trust("eks.amazonaws.com").to_json(),
            )
            .description("EKS control plane")
            .managed_policy("AmazonEKSClusterPolicy"),
        );
        // EKS would create this group itself, unencrypted and kept forever.
        let log_group = stack.resource::<kind::LogGroup>(
            &format!("{l}_cluster"),
            Attributes::new()
                .set("name", format!("/aws/eks/{name}/cluster"))
                .set("retention_in_days", self.log_retention_days)
                .set("kms_key_id", self.logs_key.arn())
                .tagged_name(format!("{name}-cluster"))
                .depends_on(self.logs_key.policy.address()),
        );
        let public = !self.public_access_cidrs.is_empty();
        let mut vpc_config = Value::map()
            .with(
                "subnet_ids",
                self.subnet_ids.iter().map(Value::from).collect::<Vec<_>>(),
            )
            .with("endpoint_private_access", true)
            .with("endpoint_public_access", public);
        if public {
            vpc_config.insert("public_access_cidrs", self.public_access_cidrs.clone());
        }
        let mut cluster_attributes = Attributes::new()
            .set("name", name.as_str())
            .set("version", self.version.as_str())
            .set("role_arn", cluster_role.role.arn())
            .set("enabled_cluster_log_types", CONTROL_PLANE_LOGS.to_vec())
            .set("bootstrap_self_managed_addons", false)
            .block("vpc_config", vpc_config)
            .block(
                "encryption_config",
                Value::map().with("resources", vec!["secrets"]).with(
                    "provider",
                    Value::List(vec![Value::map().with("key_arn", self.secrets_key.arn())]),
                ),
            )
            .block(
                "access_config",
                Value::map()
                    .with("authentication_mode", "API")
                    .with("bootstrap_cluster_creator_admin_permissions", true),
            )
            .tagged_name(name)
            .depends_on(log_group.address());
        for attachment in &cluster_role.attachments {
            cluster_attributes = cluster_attributes.depends_on(attachment.address());
        }
        let cluster = stack.resource::<kind::EksCluster>(l, cluster_attributes);

        let issuer: Attr<String> = cluster.attr("identity[0].oidc[0].issuer");
        let provider = stack.resource::<kind::OidcProvider>(
            l,
            Attributes::new()
                .set("url", &issuer)
                .set("client_id_list", vec!["sts.amazonaws.com"])
                .tagged_name(format!("{name}-irsa")),
        );
        let oidc = OidcHandle { provider, issuer };

        let node_role = stack.add(
            IamRole::new(
                &format!("{l}_node"),
                // IAM role names have at most 64 characters.
                fit(&format!("{name}-node"), 64),
                service_trust("ec2.amazonaws.com").to_json(),
            )
            .description("EKS managed nodes")
            .managed_policy("AmazonEKSWorkerNodePolicy")
            .managed_policy("AmazonEKS_CNI_Policy")
            .managed_policy("AmazonEC2ContainerRegistryReadOnly"),
        );

        let mut addons = BTreeMap::new();
        let version = self.version.clone();
        let addon = |stack: &mut Stack,
                     addon: &str,
                     role: Option<&Ref<kind::IamRole>>,
                     after: &[Ref<kind::EksNodeGroup>]| {
            // The add-on version follows the cluster's: EKS does not update
            // add-ons when the control plane is upgraded, and each add-on
            // version supports a range of Kubernetes versions. The default
            // version for the cluster's Kubernetes version
            // (data.aws_eks_addon_version with most_recent = false,
            // hashicorp/aws 5.100.0 eks_addon_version.html.markdown) is read
            // after the cluster: depends_on defers the read to apply while
            // the cluster has changes, so an upgrade updates the cluster
            // first and then each add-on, and a plan of a new stack needs no
            // AWS call.
            //
            // With live facts (`lookup aws`, `aws::facts`), the version EKS
            // recommended for this Kubernetes version when it was looked up
            // is pinned instead: the plan shows it, and it changes only with
            // the context file.
            let recorded = AwsFacts::of_stack(stack)
                .and_then(|facts| facts.addon_version(&version, addon))
                .map(str::to_string);
            let addon_version = match recorded {
                Some(version) => Value::from(version),
                None => {
                    let default_version = stack.data::<kind::EksAddonVersion>(
                        &format!("{l}_{}", addon.replace('-', "_")),
                        Attributes::new()
                            .set("addon_name", addon)
                            .set("kubernetes_version", cluster.attr::<String>("version"))
                            .set("most_recent", false)
                            .depends_on(cluster.address()),
                    );
                    Value::from(default_version.attr::<String>("version"))
                }
            };
            let mut attributes = Attributes::new()
                .set("cluster_name", cluster.name())
                .set("addon_name", addon)
                .set("addon_version", addon_version)
                .set("resolve_conflicts_on_create", "OVERWRITE")
                .set("resolve_conflicts_on_update", "PRESERVE")
                .set_opt("service_account_role_arn", role.map(|r| r.arn()));
            for group in after {
                attributes = attributes.depends_on(group.address());
            }
            stack
                .resource::<kind::EksAddon>(&format!("{l}_{}", addon.replace('-', "_")), attributes)
        };
        // Networking add-ons come first: nodes only turn Ready once the CNI runs.
        for name in ["vpc-cni", "kube-proxy"] {
            let r = addon(stack, name, None, &[]);
            addons.insert(name.to_string(), r);
        }

        let mut node_groups = Vec::new();
        let mut launch_templates = Vec::new();
        for group in &self.node_groups {
            let g = format!("{l}_{}", group.name.replace('-', "_"));
            let template_name = format!("{name}-{}", group.name);
            let template = stack.resource::<kind::LaunchTemplate>(
                &g,
                Attributes::new()
                    .set("name", template_name.as_str())
                    .set(
                        "description",
                        format!("EKS node group {} of {name}", group.name),
                    )
                    .set("update_default_version", true)
                    .block(
                        "metadata_options",
                        Value::map()
                            .with("http_endpoint", "enabled")
                            .with("http_tokens", "required")
                            .with("http_put_response_hop_limit", 1)
                            .with("instance_metadata_tags", "disabled"),
                    )
                    .block(
                        "block_device_mappings",
                        Value::map().with("device_name", "/dev/xvda").with(
                            "ebs",
                            Value::List(vec![Value::map()
                                .with("volume_size", group.disk_gb)
                                .with("volume_type", "gp3")
                                .with("encrypted", true)
                                .with("delete_on_termination", true)]),
                        ),
                    )
                    .block("monitoring", Value::map().with("enabled", true))
                    .blocks(
                        "tag_specifications",
                        ["instance", "volume"]
                            .iter()
                            .map(|kind| {
                                Value::map()
                                    .with("resource_type", *kind)
                                    .with("tags", Value::map().with("Name", template_name.as_str()))
                            })
                            .collect(),
                    )
                    .tagged_name(&template_name),
            );
            let taints: Vec<Value> = group.taints.iter().map(Taint::to_block).collect();
            let mut attributes = Attributes::new()
                .set("cluster_name", cluster.name())
                .set("node_group_name", group.name.as_str())
                // The nodes' Kubernetes version follows the cluster's: a new
                // `kubernetes_version` updates the control plane first (this
                // reference orders the group after the cluster) and then
                // rolls the nodes, as EKS requires (nodes may not be newer
                // than the control plane). Without it a group keeps the
                // version it was created with.
                .set("version", cluster.attr::<String>("version"))
                .set("node_role_arn", node_role.role.arn())
                .set(
                    "subnet_ids",
                    self.subnet_ids.iter().map(Value::from).collect::<Vec<_>>(),
                )
                .set(
                    "ami_type",
                    if group.gpu {
                        "AL2023_x86_64_NVIDIA"
                    } else {
                        "AL2023_x86_64_STANDARD"
                    },
                )
                .set(
                    "capacity_type",
                    match group.capacity {
                        Capacity::OnDemand => "ON_DEMAND",
                        Capacity::Spot => "SPOT",
                    },
                )
                .set("instance_types", group.instance_types.clone())
                .block(
                    "scaling_config",
                    Value::map()
                        .with("min_size", group.min)
                        .with("desired_size", group.desired)
                        .with("max_size", group.max),
                )
                .block(
                    "update_config",
                    Value::map().with("max_unavailable_percentage", 33),
                )
                .block(
                    "launch_template",
                    Value::map()
                        .with("id", template.id())
                        .with("version", template.attr::<String>("latest_version")),
                )
                .blocks("taint", taints)
                .set_opt(
                    "labels",
                    (!group.labels.is_empty()).then(|| Value::from(group.labels.clone())),
                )
                // The cluster autoscaler owns the size once the group exists.
                .set(
                    "lifecycle",
                    Value::List(vec![
                        Value::map().with("ignore_changes", vec!["scaling_config[0].desired_size"])
                    ]),
                )
                .tagged_name(&template_name);
            for attachment in &node_role.attachments {
                attributes = attributes.depends_on(attachment.address());
            }
            for addon in addons.values() {
                attributes = attributes.depends_on(addon.address());
            }
            node_groups.push(stack.resource::<kind::EksNodeGroup>(&g, attributes));
            launch_templates.push(template);
        }

        let mut ebs_csi_role = WorkloadRole::new(WorkloadRoleProps {
            logical_name: &format!("{l}_ebs_csi"),
            role_name: fit(&format!("{name}-ebs-csi"), 64),
            oidc: &oidc,
            namespace: "kube-system",
            service_account: "ebs-csi-controller-sa",
        })
        .managed_policy("service-role/AmazonEBSCSIDriverPolicy");
        if let Some(key) = &self.volumes_key {
            ebs_csi_role = ebs_csi_role.volume_key(key.arn());
        }
        let ebs_csi = stack.add(ebs_csi_role);
        let autoscaler_policy = cluster_autoscaler::policy(stack, l, &cluster, name);
        let cluster_autoscaler = stack.add(
            WorkloadRole::new(WorkloadRoleProps {
                logical_name: &format!("{l}_cluster_autoscaler"),
                role_name: fit(&format!("{name}-cluster-autoscaler"), 64),
                oidc: &oidc,
                namespace: cluster_autoscaler::NAMESPACE,
                service_account: cluster_autoscaler::SERVICE_ACCOUNT,
            })
            .policy("autoscaling", autoscaler_policy),
        );
        let coredns = addon(stack, "coredns", None, &node_groups);
        addons.insert("coredns".to_string(), coredns);
        let ebs = addon(
            stack,
            "aws-ebs-csi-driver",
            Some(&ebs_csi.role),
            &node_groups,
        );
        addons.insert("aws-ebs-csi-driver".to_string(), ebs);

        EksClusterHandle {
            cluster,
            oidc,
            node_role: node_role.role,
            node_groups,
            addons,
            cluster_role,
            log_group,
            launch_templates,
            ebs_csi_role: ebs_csi,
            cluster_autoscaler_role: cluster_autoscaler,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::{KmsKey, Vpc};
    use crate::core::calendar::Date;
    use crate::core::environment::Environment;
    use crate::core::taint::TaintEffect;

    fn group(name: &str, instance_types: &[&str], min: u32, desired: u32, max: u32) -> NodeGroup {
        NodeGroup::new(NodeGroupProps {
            node_group_name: name,
            instance_types,
            min_size: min,
            desired_size: desired,
            max_size: max,
        })
    }

    fn build(
        env: Environment,
        configure: impl FnOnce(EksCluster) -> EksCluster,
    ) -> (Stack, EksClusterHandle) {
        let mut stack = Stack::new("t").with_environment(env);
        let vpc = stack.add(Vpc::new("main", "t", "10.0.0.0/16", "us-east-1"));
        let secrets = stack.add(KmsKey::new("eks", "t-eks"));
        let logs = stack.add(KmsKey::for_logs("logs", "t-logs", "us-east-1"));
        let cluster = stack.add(configure(
            EksCluster::new(EksClusterProps {
                logical_name: "main",
                name: "t",
                kubernetes_version: "1.35",
                subnet_ids: vpc.private_subnet_ids(),
                secrets_key: &secrets,
                logs_key: &logs,
            })
            .node_group(group("general", &["m6i.large"], 1, 2, 3)),
        ));
        (stack, cluster)
    }

    #[test]
    fn defaults_are_private_encrypted_and_imdsv2() {
        let (stack, cluster) = build(Environment::PRODUCTION, |c| {
            c.node_group(group("gpu", &["g5.xlarge"], 0, 0, 2).gpu().taint(Taint {
                key: "nvidia.com/gpu".into(),
                value: "present".into(),
                effect: TaintEffect::NoSchedule,
            }))
        });
        assert!(stack.diagnostics().is_empty(), "{}", stack.diagnostics());
        let block = stack.block(cluster.cluster.address()).unwrap();
        assert_eq!(
            block.get("vpc_config.endpoint_public_access"),
            Some(&Value::Bool(false))
        );
        assert_eq!(
            block
                .get("access_config.authentication_mode")
                .and_then(Value::as_str),
            Some("API")
        );
        assert_eq!(
            block
                .get("enabled_cluster_log_types")
                .and_then(Value::as_list)
                .map(<[Value]>::len),
            Some(5)
        );
        let text = stack.synth().unwrap().main_tf_json().to_string();
        assert!(text.contains("\"http_tokens\": \"required\""));
        assert!(text.contains("\"http_put_response_hop_limit\": 1"));
        assert!(text.contains("\"AL2023_x86_64_NVIDIA\""));
        assert!(text.contains("\"effect\": \"NO_SCHEDULE\""));
        assert!(text.contains("system:serviceaccount:kube-system:ebs-csi-controller-sa"));
        assert_eq!(cluster.addons.len(), 4);
    }

    #[test]
    fn public_endpoint_is_refused_in_production_and_for_the_internet() {
        let (stack, _) = build(Environment::PRODUCTION, |c| {
            c.public_access_cidrs(&["0.0.0.0/0".to_string()])
        });
        let text = stack.diagnostics().to_string();
        assert!(text.contains("field `public_access_cidrs`: the Kubernetes API would be open to the whole internet"), "{text}");
        assert!(
            text.contains("a production cluster with a public API endpoint"),
            "{text}"
        );
    }

    #[test]
    fn restricted_public_endpoint_outside_production() {
        let (stack, cluster) = build(Environment::STAGING, |c| {
            c.public_access_cidrs(&["203.0.113.0/24".to_string()])
        });
        assert!(stack.diagnostics().is_empty(), "{}", stack.diagnostics());
        let block = stack.block(cluster.cluster.address()).unwrap();
        assert_eq!(
            block.get("vpc_config.endpoint_public_access"),
            Some(&Value::Bool(true))
        );
    }

    #[test]
    fn bad_version_and_node_counts() {
        let (stack, _) = build(Environment::DEV, |mut c| {
            c.version = "1.19".into();
            c.node_group(group("bad", &["m6i.large"], 3, 1, 2))
        });
        let text = stack.diagnostics().to_string();
        assert!(
            text.contains("field `version`")
                && text.contains("`1.19` is not a Kubernetes version EKS offers"),
            "{text}"
        );
        assert!(
            text.contains("field `node_groups.bad.scaling_config`"),
            "{text}"
        );
    }

    /// EKS release calendar (docs.aws.amazon.com/eks/latest/userguide/
    /// kubernetes-versions.html): 1.31's extended support ended 2026-11-26;
    /// 1.34's standard support ends 2026-12-02, then it is billed as extended.
    #[test]
    fn versions_are_judged_on_the_support_date() {
        let on_2026_11_29 = |version: &str| {
            let mut stack = Stack::new("t").with_support_date(Date::ymd(2026, 11, 29));
            let vpc = stack.add(Vpc::new("main", "t", "10.0.0.0/16", "us-east-1"));
            let secrets = stack.add(KmsKey::new("eks", "t-eks"));
            let logs = stack.add(KmsKey::for_logs("logs", "t-logs", "us-east-1"));
            stack.add(EksCluster::new(EksClusterProps {
                logical_name: "main",
                name: "t",
                kubernetes_version: version,
                subnet_ids: vpc.private_subnet_ids(),
                secrets_key: &secrets,
                logs_key: &logs,
            }));
            stack.diagnostics().to_string()
        };
        let old = on_2026_11_29("1.31");
        assert!(
            old.contains("error: ")
                && old.contains("field `version`")
                && old.contains("end of support on 2026-11-26")
                && old.contains("use one supported on 2026-11-29: 1.32, 1.33, 1.34, 1.35, 1.36"),
            "{old}"
        );
        let ending = on_2026_11_29("1.34");
        assert!(
            ending.starts_with("warning: ") && ending.contains("2026-12-02, 3 days"),
            "{ending}"
        );
        assert!(on_2026_11_29("1.35").ends_with("0 error(s), 0 warning(s)"));
    }

    #[test]
    fn name_cidr_and_node_group_problems() {
        let (stack, _) = build(Environment::STAGING, |mut c| {
            c.name = "-bad name".into();
            c.public_access_cidrs(&["300.1.2.3/8".to_string()])
                .node_group(group("general", &["m6i.large"], 1, 1, 1))
                .node_group(group("empty", &[], 1, 1, 1).disk_gb(5))
        });
        let text = stack.diagnostics().to_string();
        assert!(
            text.contains("field `name`: `-bad name` is not a valid EKS cluster name"),
            "{text}"
        );
        assert!(
            text.contains("field `public_access_cidrs`: `300.1.2.3/8` is not an IPv4 CIDR"),
            "{text}"
        );
        assert!(
            text.contains("field `node_groups.general`: node group `general` is defined twice"),
            "{text}"
        );
        assert!(
            text.contains("field `node_groups.empty.instance_types`"),
            "{text}"
        );
        assert!(text.contains("field `node_groups.empty.disk_gb`"), "{text}");
    }

    /// hashicorp/terraform-provider-aws v5.100.0,
    /// website/docs/r/eks_node_group.html.markdown: `version` "Defaults to
    /// EKS Cluster Kubernetes version. Terraform will only perform drift
    /// detection if a configuration value is provided"; EKS upgrades the
    /// control plane before the nodes (nodes may not be newer). Referencing
    /// the cluster's version makes one edit of `kubernetes_version` update
    /// the cluster, then every group.
    #[test]
    fn node_groups_follow_the_control_plane_version() {
        let (stack, cluster) = build(Environment::DEV, |c| c);
        assert!(stack.diagnostics().is_empty(), "{}", stack.diagnostics());
        let text = stack.synth().unwrap().main_tf_json().to_string();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            doc["resource"]["aws_eks_cluster"]["main"]["version"],
            "1.35"
        );
        assert_eq!(cluster.node_groups.len(), 1);
        assert_eq!(
            doc["resource"]["aws_eks_node_group"]["main_general"]["version"],
            "${aws_eks_cluster.main.version}"
        );
    }

    /// The autoscaler may change the size only of this cluster's managed
    /// node groups: EKS tags their Auto Scaling groups
    /// `k8s.io/cluster-autoscaler/<cluster>=owned` and names them `eks-*`
    /// (EKS User Guide, "Managed node groups"); the actions and the
    /// describe-only set are those of kubernetes/autoscaler
    /// `cluster-autoscaler/cloudprovider/aws/README.md` ("IAM Policy").
    #[test]
    fn the_cluster_autoscaler_scales_only_this_clusters_node_groups() {
        let (stack, cluster) = build(Environment::PRODUCTION, |c| c);
        assert!(stack.diagnostics().is_empty(), "{}", stack.diagnostics());
        let text = stack.synth().unwrap().main_tf_json().to_string();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            cluster.cluster_autoscaler_role.role.address().to_string(),
            "aws_iam_role.main_cluster_autoscaler"
        );
        let trust = &doc["data"]["aws_iam_policy_document"]["main_cluster_autoscaler_trust"];
        assert!(
            trust
                .to_string()
                .contains("system:serviceaccount:kube-system:cluster-autoscaler"),
            "{trust}"
        );
        let statements = doc["data"]["aws_iam_policy_document"]
            ["main_cluster_autoscaler_autoscaling"]["statement"]
            .as_array()
            .unwrap();
        let find = |sid: &str| statements.iter().find(|s| s["sid"] == sid).unwrap();
        let scale = find("ScaleOwnNodeGroups");
        assert_eq!(
            scale["actions"],
            serde_json::json!([
                "autoscaling:SetDesiredCapacity",
                "autoscaling:TerminateInstanceInAutoScalingGroup"
            ])
        );
        assert_eq!(
            scale["resources"],
            serde_json::json!([
                "arn:${data.aws_arn.main_autoscaler.partition}:autoscaling:${data.aws_arn.main_autoscaler.region}:${data.aws_arn.main_autoscaler.account}:autoScalingGroup:*:autoScalingGroupName/eks-*"
            ])
        );
        assert_eq!(
            scale["condition"][0]["variable"],
            "aws:ResourceTag/k8s.io/cluster-autoscaler/t"
        );
        assert_eq!(
            scale["condition"][0]["values"],
            serde_json::json!(["owned"])
        );
        let read = find("ReadOwnNodeGroups");
        assert!(
            read["resources"][0]
                .as_str()
                .unwrap()
                .ends_with(":nodegroup/t/*/*"),
            "{read}"
        );
        // Only calls without resource-level permissions run on `*`.
        let describe = find("Describe");
        assert_eq!(describe["resources"], serde_json::json!(["*"]));
        assert!(describe["actions"].as_array().unwrap().iter().all(|a| a
            .as_str()
            .unwrap()
            .contains(":Describe")
            || a == "ec2:GetInstanceTypesFromInstanceRequirements"));
        // The groups keep the size the autoscaler set.
        assert_eq!(
            doc["resource"]["aws_eks_node_group"]["main_general"]["lifecycle"][0]["ignore_changes"],
            serde_json::json!(["scaling_config[0].desired_size"])
        );
    }
}
