//! What the cloud-neutral [`Size`] means on Azure.
//!
//! | size | AKS node VM | PostgreSQL flexible server SKU | Managed Redis SKU (memory) |
//! |---|---|---|---|
//! | `Small` | Standard_B2ms | B_Standard_B2s | Balanced_B1 (1 GB) |
//! | `Medium` | Standard_D2ds_v5 | GP_Standard_D2ds_v5 | Balanced_B3 (3 GB) |
//! | `Large` | Standard_D4ds_v5 | GP_Standard_D4ds_v5 | Balanced_B5 (6 GB) |
//! | `XLarge` | Standard_D8ds_v5 | GP_Standard_D8ds_v5 | Balanced_B10 (12 GB) |
//! | `XXLarge` | Standard_D16ds_v5 | GP_Standard_D16ds_v5 | Balanced_B20 (24 GB) |
//!
//! [`capacity_for`] keeps the Azure Cache for Redis mapping for stacks that
//! still use the retiring [`crate::azure::RedisCache`].

use crate::azure::redis::RedisTier;
use crate::platform::Size;

/// The VM size of a node of an abstract size.
pub fn vm_size_for(size: Size) -> &'static str {
    match size {
        Size::Small => "Standard_B2ms",
        Size::Medium => "Standard_D2ds_v5",
        Size::Large => "Standard_D4ds_v5",
        Size::XLarge => "Standard_D8ds_v5",
        Size::XXLarge => "Standard_D16ds_v5",
    }
}

/// The SKU for an abstract size: burstable for `Small` (dev), general purpose
/// `D*ds_v5` otherwise.
pub fn sku_for(size: Size) -> &'static str {
    match size {
        Size::Small => "B_Standard_B2s",
        Size::Medium => "GP_Standard_D2ds_v5",
        Size::Large => "GP_Standard_D4ds_v5",
        Size::XLarge => "GP_Standard_D8ds_v5",
        Size::XXLarge => "GP_Standard_D16ds_v5",
    }
}

/// The Managed Redis SKU for an abstract size: the Balanced family (2 vCPUs
/// per 4 GB or so, the general-purpose choice), about the memory of the
/// Azure Cache for Redis sizes it replaces.
pub fn managed_redis_sku_for(size: Size) -> &'static str {
    match size {
        Size::Small => "Balanced_B1",
        Size::Medium => "Balanced_B3",
        Size::Large => "Balanced_B5",
        Size::XLarge => "Balanced_B10",
        Size::XXLarge => "Balanced_B20",
    }
}

/// The Azure Cache for Redis capacity for an abstract size: Standard C1-C5,
/// Premium P1-P4 (for the retiring [`crate::azure::RedisCache`]).
pub fn capacity_for(tier: RedisTier, size: Size) -> u8 {
    match (tier, size) {
        (RedisTier::Standard, Size::Small) => 1,
        (RedisTier::Standard, Size::Medium) => 2,
        (RedisTier::Standard, Size::Large) => 3,
        (RedisTier::Standard, Size::XLarge) => 4,
        (RedisTier::Standard, Size::XXLarge) => 5,
        (RedisTier::Premium, Size::Small | Size::Medium) => 1,
        (RedisTier::Premium, Size::Large) => 2,
        (RedisTier::Premium, Size::XLarge) => 3,
        (RedisTier::Premium, Size::XXLarge) => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::aks::ephemeral_os_disk_gb;

    #[test]
    fn every_node_size_but_burstable_gets_an_ephemeral_os_disk() {
        assert_eq!(vm_size_for(Size::Large), "Standard_D4ds_v5");
        for size in [Size::Medium, Size::Large, Size::XLarge, Size::XXLarge] {
            assert!(
                ephemeral_os_disk_gb(vm_size_for(size)).is_some(),
                "{size:?}"
            );
        }
        assert_eq!(ephemeral_os_disk_gb(vm_size_for(Size::Small)), None);
    }

    #[test]
    fn every_size_has_a_managed_redis_sku_the_provider_accepts() {
        for size in [
            Size::Small,
            Size::Medium,
            Size::Large,
            Size::XLarge,
            Size::XXLarge,
        ] {
            let sku = managed_redis_sku_for(size);
            assert!(crate::azure::managed_redis::is_sku(sku), "{size:?}: {sku}");
        }
    }
}
