//! How the cloud-neutral [`Size`] maps to GCP machine shapes.
//!
//! | size | GKE node | Cloud SQL tier | Memorystore GiB |
//! |---|---|---|---|
//! | `Small` | `e2-medium` (2 vCPU shared, 4 GiB) | `db-g1-small` (shared core) | 2 |
//! | `Medium` | `e2-standard-2` (2 vCPU, 8 GiB) | `db-custom-2-8192` | 8 |
//! | `Large` | `e2-standard-4` (4 vCPU, 16 GiB) | `db-custom-4-16384` | 16 |
//! | `XLarge` | `n2-standard-8` (8 vCPU, 32 GiB) | `db-custom-8-32768` | 32 |
//! | `XXLarge` | `n2-standard-16` (16 vCPU, 64 GiB) | `db-custom-16-65536` | 64 |
//!
//! GPU pools ignore the size: `n1-standard-8` with `nvidia-tesla-t4` accelerators
//! (T4s attach to N1 machines only).

use crate::platform::Size;

/// The GKE node machine type for `size`.
pub fn machine_type(size: Size) -> &'static str {
    match size {
        Size::Small => "e2-medium",
        Size::Medium => "e2-standard-2",
        Size::Large => "e2-standard-4",
        Size::XLarge => "n2-standard-8",
        Size::XXLarge => "n2-standard-16",
    }
}

/// The Cloud SQL for PostgreSQL tier for `size`.
pub fn sql_tier(size: Size) -> &'static str {
    match size {
        Size::Small => "db-g1-small",
        Size::Medium => "db-custom-2-8192",
        Size::Large => "db-custom-4-16384",
        Size::XLarge => "db-custom-8-32768",
        Size::XXLarge => "db-custom-16-65536",
    }
}

/// The Memorystore for Redis capacity in GiB for `size`.
pub fn redis_memory_gb(size: Size) -> u32 {
    match size {
        Size::Small => 2,
        Size::Medium => 8,
        Size::Large => 16,
        Size::XLarge => 32,
        Size::XXLarge => 64,
    }
}

/// The machine type of GPU nodes.
pub const GPU_MACHINE_TYPE: &str = "n1-standard-8";
/// The accelerator of GPU nodes.
pub const GPU_ACCELERATOR: &str = "nvidia-tesla-t4";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sql_tier_is_valid_for_postgres() {
        for size in Size::ALL {
            assert!(crate::gcp::postgres::check_tier(sql_tier(size)).is_ok());
        }
    }
}
