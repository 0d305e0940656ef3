//! The Kubernetes Cluster Autoscaler on EKS: the permissions of its IRSA
//! role, so managed node groups scale between their `min_size` and
//! `max_size` as pods wait for room.
//!
//! The policy is the one the autoscaler's AWS guide gives as the minimum
//! (kubernetes/autoscaler, `cluster-autoscaler/cloudprovider/aws/README.md`,
//! "IAM Policy" and "Auto-Discovery Setup"), narrowed to this cluster:
//!
//! - describe calls (`autoscaling:Describe*`, `ec2:DescribeImages`,
//!   `ec2:DescribeInstanceTypes`, `ec2:DescribeLaunchTemplateVersions`,
//!   `ec2:GetInstanceTypesFromInstanceRequirements`) on `*`: these actions
//!   take no resource-level permissions (Service Authorization Reference,
//!   Amazon EC2 Auto Scaling and Amazon EC2 action tables);
//! - `autoscaling:SetDesiredCapacity` and
//!   `autoscaling:TerminateInstanceInAutoScalingGroup` only on the groups EKS
//!   made for managed node groups (`autoScalingGroupName/eks-*`) that carry
//!   the tag `k8s.io/cluster-autoscaler/<cluster>` = `owned`, which EKS puts
//!   on every managed node group's Auto Scaling group ("Managed node groups",
//!   EKS User Guide: "Amazon EKS tags managed node group resources so that
//!   they are configured to use the Kubernetes Cluster Autoscaler");
//! - `eks:DescribeNodegroup` on this cluster's node groups only, which the
//!   autoscaler reads for the labels and taints of a group scaled to zero.

use super::iam::{PolicyDocument, Statement};
use super::kind;
use super::provider::arn_parts;
use crate::core::reference::Ref;
use crate::core::stack::Stack;
use crate::core::value::{Expr, TemplatePart, Value};

/// The namespace the autoscaler runs in.
pub const NAMESPACE: &str = "kube-system";
/// Its service account, as the `cluster-autoscaler` chart names it when
/// `rbac.serviceAccount.name` is set to this value.
pub const SERVICE_ACCOUNT: &str = "cluster-autoscaler";

/// The tag key EKS sets on a managed node group's Auto Scaling group, naming
/// the cluster: `k8s.io/cluster-autoscaler/<cluster name>`. Auto-discovery
/// finds groups by it (`--node-group-auto-discovery=asg:tag=...`).
pub fn discovery_tag(cluster_name: &str) -> String {
    format!("k8s.io/cluster-autoscaler/{cluster_name}")
}

/// The autoscaler's permissions for the cluster `cluster` named
/// `cluster_name`, as a policy document; the ARN parts (partition, region,
/// account) come from `data "aws_arn" "<logical>_autoscaler"` on the
/// cluster's ARN, so `plan` needs no API call.
pub fn policy(
    stack: &mut Stack,
    logical: &str,
    cluster: &Ref<kind::EksCluster>,
    cluster_name: &str,
) -> PolicyDocument {
    let parts = arn_parts(stack, &format!("{logical}_autoscaler"), cluster);
    let arn = |service: &str, rest: &str| -> Value {
        Value::Expr(Expr::concat([
            TemplatePart::from("arn:"),
            TemplatePart::from(parts.attr::<String>("partition").to_text()),
            TemplatePart::Literal(format!(":{service}:")),
            TemplatePart::from(parts.attr::<String>("region").to_text()),
            TemplatePart::from(":"),
            TemplatePart::from(parts.attr::<String>("account").to_text()),
            TemplatePart::Literal(format!(":{rest}")),
        ]))
    };
    PolicyDocument::new()
        .statement(
            Statement::allow(&[
                "autoscaling:DescribeAutoScalingGroups",
                "autoscaling:DescribeAutoScalingInstances",
                "autoscaling:DescribeLaunchConfigurations",
                "autoscaling:DescribeScalingActivities",
                "autoscaling:DescribeTags",
                "ec2:DescribeImages",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeLaunchTemplateVersions",
                "ec2:GetInstanceTypesFromInstanceRequirements",
            ])
            .sid("Describe")
            .on("*"),
        )
        .statement(
            Statement::allow(&[
                "autoscaling:SetDesiredCapacity",
                "autoscaling:TerminateInstanceInAutoScalingGroup",
            ])
            .sid("ScaleOwnNodeGroups")
            .on(arn(
                "autoscaling",
                "autoScalingGroup:*:autoScalingGroupName/eks-*",
            ))
            .condition(
                "StringEquals",
                format!("aws:ResourceTag/{}", discovery_tag(cluster_name)),
                vec![Value::from("owned")],
            ),
        )
        .statement(
            Statement::allow(&["eks:DescribeNodegroup"])
                .sid("ReadOwnNodeGroups")
                .on(arn("eks", &format!("nodegroup/{cluster_name}/*/*"))),
        )
}
