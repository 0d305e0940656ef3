//! What differs per cloud in the Helm values: workload identity, storage
//! classes, load balancer annotations and the object store.
//!
//! | | AWS (EKS) | GCP (GKE) | Azure (AKS) |
//! |---|---|---|---|
//! | service account annotation | `eks.amazonaws.com/role-arn` | `iam.gke.io/gcp-service-account` | `azure.workload.identity/client-id` |
//! | pod label | - | - | `azure.workload.identity/use: "true"` |
//! | storage class | `gp2` | `standard-rwo` / `premium-rwo` | `managed-csi` / `managed-csi-premium` |
//! | load balancer | NLB | backend-service L4 | health probe on `/healthz` |
//! | object store | `s3` | `gcs` | `azureblob` |

use std::collections::BTreeMap;

use super::placeholder::FromOutput;
use crate::core::environment::{Cloud, Environment};
use crate::platform::{outputs, Platform};

/// The service account annotations that let `workload` assume its cloud
/// identity; the identity itself is a Terraform output.
pub fn identity_annotations(cloud: Cloud, workload: &str) -> BTreeMap<String, FromOutput> {
    let key = match cloud {
        Cloud::Aws => "eks.amazonaws.com/role-arn",
        Cloud::Gcp => "iam.gke.io/gcp-service-account",
        Cloud::Azure => "azure.workload.identity/client-id",
    };
    BTreeMap::from([(
        key.to_string(),
        FromOutput::string(outputs::workload_identity(workload)),
    )])
}

/// Labels the pods of a workload with a cloud identity need: Azure's webhook
/// only injects the token into pods labelled `azure.workload.identity/use`.
pub fn identity_pod_labels(cloud: Cloud) -> BTreeMap<String, String> {
    match cloud {
        Cloud::Azure => BTreeMap::from([(
            "azure.workload.identity/use".to_string(),
            "true".to_string(),
        )]),
        Cloud::Aws | Cloud::Gcp => BTreeMap::new(),
    }
}

/// Labels a service account needs for its identity (Azure reads the same
/// label on service accounts in older webhook versions).
pub fn identity_service_account_labels(cloud: Cloud) -> BTreeMap<String, String> {
    identity_pod_labels(cloud)
}

/// The storage class of persistent volumes (Prometheus, Grafana,
/// Alertmanager): the cluster's built-in CSI class, SSD-backed in production.
pub fn storage_class(cloud: Cloud, env: Environment) -> &'static str {
    match cloud {
        // EKS creates `gp2` in every cluster; gp3 needs a class of its own.
        Cloud::Aws => "gp2",
        Cloud::Gcp => env.pick("standard-rwo", "standard-rwo", "premium-rwo"),
        Cloud::Azure => env.pick("managed-csi", "managed-csi", "managed-csi-premium"),
    }
}

/// Annotations on the ingress controller's `LoadBalancer` service.
pub fn load_balancer_annotations(cloud: Cloud) -> BTreeMap<String, String> {
    let pairs: &[(&str, &str)] = match cloud {
        Cloud::Aws => &[
            ("service.beta.kubernetes.io/aws-load-balancer-type", "nlb"),
            (
                "service.beta.kubernetes.io/aws-load-balancer-scheme",
                "internet-facing",
            ),
            (
                "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled",
                "true",
            ),
        ],
        Cloud::Gcp => &[("cloud.google.com/l4-rbs", "enabled")],
        Cloud::Azure => &[(
            "service.beta.kubernetes.io/azure-load-balancer-health-probe-request-path",
            "/healthz",
        )],
    };
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The object store client the apps configure: `s3`, `gcs` or `azureblob`.
pub fn object_store_provider(cloud: Cloud) -> &'static str {
    match cloud {
        Cloud::Aws => "s3",
        Cloud::Gcp => "gcs",
        Cloud::Azure => "azureblob",
    }
}

/// The platform's region on `cloud` (known at synth time).
pub fn region(platform: &Platform, cloud: Cloud) -> &str {
    match cloud {
        Cloud::Aws => &platform.regions.aws,
        Cloud::Gcp => &platform.regions.gcp,
        Cloud::Azure => &platform.regions.azure,
    }
}
