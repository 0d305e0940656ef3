//! Values of `autoscaler/cluster-autoscaler` on AWS: the Kubernetes Cluster
//! Autoscaler, which grows and shrinks each EKS managed node group between
//! the `min_nodes` and `max_nodes` of its pool. GKE and AKS scale their pools
//! themselves (`autoscaling` on the node pool), so the chart is produced for
//! AWS only.
//!
//! Facts from the chart's `values.yaml` and README (kubernetes/autoscaler,
//! `charts/cluster-autoscaler`): `autoDiscovery.clusterName` finds the Auto
//! Scaling groups tagged `k8s.io/cluster-autoscaler/enabled` and
//! `k8s.io/cluster-autoscaler/<clusterName>` (EKS tags every managed node
//! group's group so); `rbac.serviceAccount.annotations` carries the IRSA role;
//! the autoscaler's minor version should match the cluster's (its FAQ: "What
//! are the Cluster Autoscaler's version compatibility rules").

use std::collections::BTreeMap;

use serde::Serialize;

use super::placeholder::{Deferred, FromOutput};
use super::profile::{self, Resources, Weight};
use crate::aws::cluster_autoscaler::{NAMESPACE as AUTOSCALER_NAMESPACE, SERVICE_ACCOUNT};
use crate::platform::{outputs, Platform};

/// Where the chart comes from.
pub const SOURCE: &str = "autoscaler/cluster-autoscaler";
/// The namespace it runs in (its IRSA role trusts this namespace only).
pub const NAMESPACE: &str = AUTOSCALER_NAMESPACE;
/// The AWS output holding the autoscaler's IAM role ARN (declared by the AWS
/// realization).
pub const ROLE_OUTPUT: &str = "cluster_autoscaler_role_arn";
/// The image repository (the chart's default, pinned here with the tag).
pub const IMAGE: &str = "registry.k8s.io/autoscaling/cluster-autoscaler";

/// The values document.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterAutoscalerValues {
    /// `aws`.
    pub cloud_provider: String,
    /// The cluster's region.
    pub aws_region: String,
    /// Which Auto Scaling groups it manages.
    pub auto_discovery: AutoDiscovery,
    /// The service account and its IRSA role.
    pub rbac: Rbac,
    /// The image, its tag following the cluster's minor version.
    pub image: Image,
    /// Command-line flags (`--<key>=<value>`).
    pub extra_args: BTreeMap<String, String>,
    /// Replicas (one leader at a time; a second takes over when it fails).
    pub replica_count: u32,
    /// Scheduled before ordinary pods, evicted after them.
    pub priority_class_name: String,
    /// Requests and limits.
    pub resources: Resources,
}

/// `autoDiscovery`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoDiscovery {
    /// The EKS cluster's name (output `cluster_name`).
    pub cluster_name: Deferred<String>,
}

/// `rbac`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rbac {
    /// `rbac.serviceAccount`.
    pub service_account: ServiceAccount,
}

/// `rbac.serviceAccount`.
#[derive(Clone, Debug, Serialize)]
pub struct ServiceAccount {
    /// Create it.
    pub create: bool,
    /// `cluster-autoscaler`: the name the IRSA role trusts.
    pub name: String,
    /// `eks.amazonaws.com/role-arn`.
    pub annotations: BTreeMap<String, FromOutput>,
}

/// `image`.
#[derive(Clone, Debug, Serialize)]
pub struct Image {
    /// The repository.
    pub repository: String,
    /// The newest release for the cluster's Kubernetes minor ([`image_tag`]).
    pub tag: String,
}

/// The chart's values for `platform` on AWS.
pub fn values(platform: &Platform) -> ClusterAutoscalerValues {
    let env = platform.environment;
    let flags = [
        // Pools spread over zones are one pool to the scheduler.
        ("balance-similar-node-groups", "true"),
        // The pool that wastes least CPU and memory after the pods fit.
        ("expander", "least-waste"),
        // Nodes with kube-system pods (coredns, CSI) may still be drained.
        ("skip-nodes-with-system-pods", "false"),
        // Prometheus, Alertmanager and Grafana keep their volumes on drain.
        ("skip-nodes-with-local-storage", "false"),
    ];
    ClusterAutoscalerValues {
        cloud_provider: "aws".to_string(),
        aws_region: platform.regions.aws.clone(),
        auto_discovery: AutoDiscovery {
            cluster_name: Deferred::Output(FromOutput::string(outputs::CLUSTER_NAME)),
        },
        rbac: Rbac {
            service_account: ServiceAccount {
                create: true,
                name: SERVICE_ACCOUNT.to_string(),
                annotations: BTreeMap::from([(
                    "eks.amazonaws.com/role-arn".to_string(),
                    FromOutput::string(ROLE_OUTPUT),
                )]),
            },
        },
        image: Image {
            repository: IMAGE.to_string(),
            tag: image_tag(&platform.cluster.kubernetes_version),
        },
        extra_args: flags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        replica_count: env.pick(1, 2, 2),
        priority_class_name: "system-cluster-critical".to_string(),
        resources: profile::resources(Weight::Light, env),
    }
}

/// The newest Cluster Autoscaler release of each Kubernetes minor, as
/// (minor, image tag): the `cluster-autoscaler-<version>` tags of
/// kubernetes/autoscaler on 2026-08-22. Each autoscaler minor is built for the
/// same Kubernetes minor (its FAQ: "use the Cluster Autoscaler minor version
/// matching the Kubernetes minor version of the cluster").
pub const RELEASES: [(&str, &str); 6] = [
    ("1.31", "v1.31.5"),
    ("1.32", "v1.32.7"),
    ("1.33", "v1.33.6"),
    ("1.34", "v1.34.5"),
    ("1.35", "v1.35.2"),
    ("1.36", "v1.36.1"),
];

/// The autoscaler image tag for Kubernetes `major.minor`: the newest patch
/// of [`RELEASES`], else `v<major>.<minor>.0` (every minor's first release)
/// for a version newer than the table.
pub fn image_tag(kubernetes_version: &str) -> String {
    let minor: Vec<&str> = kubernetes_version.split('.').take(2).collect();
    let minor = minor.join(".");
    RELEASES
        .iter()
        .find(|(m, _)| *m == minor)
        .map(|(_, tag)| tag.to_string())
        .unwrap_or_else(|| format!("v{minor}.0"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::environment::Environment;

    #[test]
    fn the_autoscaler_follows_the_cluster_and_assumes_its_own_role() {
        let platform = Platform::new("shop", Environment::PRODUCTION);
        let values = values(&platform);
        assert_eq!(values.image.tag, "v1.35.2");
        assert_eq!(platform.cluster.kubernetes_version, "1.35");
        assert_eq!(values.rbac.service_account.name, "cluster-autoscaler");
        assert_eq!(
            values.rbac.service_account.annotations["eks.amazonaws.com/role-arn"].output(),
            "cluster_autoscaler_role_arn"
        );
        assert_eq!(values.aws_region, platform.regions.aws);
        assert_eq!(values.replica_count, 2);
        assert_eq!(image_tag("1.34"), "v1.34.5");
        assert_eq!(image_tag("1.37"), "v1.37.0");
    }
}
