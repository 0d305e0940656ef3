//! The platform's own encrypted StorageClass, `platform-encrypted`: every
//! PersistentVolumeClaim in the values (Prometheus, Alertmanager, Grafana)
//! uses it, so no volume the platform causes to exist depends on a class
//! the cluster may not have (EKS creates no `gp2` class when
//! `bootstrap_self_managed_addons = false`) or on that class's encryption.
//!
//! | cloud | provisioner | parameters |
//! |---|---|---|
//! | AWS | `ebs.csi.aws.com` | `type: gp3`, `encrypted: "true"`, `kmsKeyId`: the platform's storage key (output `kms_key_arn_storage`; the driver's IRSA role may use it, see `aws::EksCluster::volumes_key`) |
//! | GCP | `pd.csi.storage.gke.io` | `type: pd-balanced` (`pd-ssd` in production); where the environment's profile asks for CMEK (production), `disk-encryption-kms-key`: the platform's disks key (output `kms_key_disks`, granted to the Compute Engine service agent); elsewhere Google-managed keys (Persistent Disks are always encrypted at rest) |
//! | Azure | `disk.csi.azure.com` | `skuName: StandardSSD_LRS` (`Premium_LRS` in production), `diskEncryptionSetID`: the platform's disk encryption set (customer-managed key, output `disk_encryption_set_id`) |
//!
//! Parameters: aws-ebs-csi-driver `docs/parameters.md` (`type`, `encrypted`,
//! `kmsKeyId`); GKE docs "Using the Compute Engine persistent disk CSI
//! Driver" (`type`, `disk-encryption-kms-key`); azuredisk-csi-driver
//! `docs/driver-parameters.md` (`skuName`, `diskEncryptionSetID`).

use std::collections::BTreeMap;

use serde_json::{json, Value as Json};

use super::objects::ObjectsValues;
use super::placeholder::FromOutput;
use crate::core::environment::{Cloud, Environment};
use crate::platform::gcp::Profile as GcpProfile;
use crate::platform::outputs;

/// The StorageClass every platform volume uses.
pub const STORAGE_CLASS: &str = "platform-encrypted";

/// The provisioner (CSI driver) of [`STORAGE_CLASS`] on `cloud`.
pub fn provisioner(cloud: Cloud) -> &'static str {
    match cloud {
        Cloud::Aws => "ebs.csi.aws.com",
        Cloud::Gcp => "pd.csi.storage.gke.io",
        Cloud::Azure => "disk.csi.azure.com",
    }
}

/// The parameters of [`STORAGE_CLASS`] on `cloud` in `env` (see the module
/// table); a [`FromOutput`] where the value is a Terraform output.
pub fn parameters(cloud: Cloud, env: Environment) -> BTreeMap<String, Json> {
    let known = |pairs: &[(&str, &str)]| -> BTreeMap<String, Json> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Json::from(*v)))
            .collect()
    };
    match cloud {
        Cloud::Aws => {
            let mut parameters = known(&[("type", "gp3"), ("encrypted", "true")]);
            parameters.insert(
                "kmsKeyId".to_string(),
                serde_json::to_value(FromOutput::string(outputs::AWS_STORAGE_KEY_ARN))
                    .unwrap_or_default(),
            );
            parameters
        }
        Cloud::Gcp => {
            let mut parameters =
                known(&[("type", env.pick("pd-balanced", "pd-balanced", "pd-ssd"))]);
            // The key exists (and is an output) exactly where the profile asks
            // for CMEK: `platform::gcp`'s `disks` key.
            if GcpProfile::for_environment(env).cmek {
                parameters.insert(
                    "disk-encryption-kms-key".to_string(),
                    serde_json::to_value(FromOutput::string(outputs::GCP_DISKS_KEY))
                        .unwrap_or_default(),
                );
            }
            parameters
        }
        Cloud::Azure => {
            let mut parameters = known(&[(
                "skuName",
                env.pick("StandardSSD_LRS", "StandardSSD_LRS", "Premium_LRS"),
            )]);
            parameters.insert(
                "diskEncryptionSetID".to_string(),
                serde_json::to_value(FromOutput::string(outputs::DISK_ENCRYPTION_SET_ID))
                    .unwrap_or_default(),
            );
            parameters
        }
    }
}

/// The `platform-storage` release's objects: [`STORAGE_CLASS`], bound when
/// a pod is scheduled (so zonal disks land in the pod's zone), expandable.
pub fn values(cloud: Cloud, env: Environment) -> ObjectsValues {
    ObjectsValues {
        objects: vec![json!({
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {
                "name": STORAGE_CLASS,
                "labels": {"app.kubernetes.io/part-of": "platform-storage"},
            },
            "provisioner": provisioner(cloud),
            "parameters": parameters(cloud, env),
            "reclaimPolicy": "Delete",
            "volumeBindingMode": "WaitForFirstConsumer",
            "allowVolumeExpansion": true,
        })],
    }
}
