//! What the cloud-neutral [`Size`] means on AWS.
//!
//! | size | RDS (postgres) | ElastiCache (redis) | EKS nodes |
//! |---|---|---|---|
//! | `Small` | db.t4g.medium | cache.t4g.small | t3.large |
//! | `Medium` | db.r6g.large | cache.r6g.large | m6i.large |
//! | `Large` | db.r6g.xlarge | cache.r6g.xlarge | m6i.xlarge |
//! | `XLarge` | db.r6g.2xlarge | cache.r6g.2xlarge | m6i.2xlarge |
//! | `XXLarge` | db.r6g.4xlarge | cache.r6g.4xlarge | m6i.4xlarge |
//!
//! Spot pools add same-sized m5/m6a siblings for capacity diversity. GPU
//! pools ignore the size and follow the GPU count: 1 GPU g5.xlarge, up to
//! 4 g5.12xlarge, up to 8 g5.48xlarge.

use crate::platform::Size;

/// The RDS instance class for a PostgreSQL server of `size`.
pub fn database_instance_class(size: Size) -> &'static str {
    match size {
        Size::Small => "db.t4g.medium",
        Size::Medium => "db.r6g.large",
        Size::Large => "db.r6g.xlarge",
        Size::XLarge => "db.r6g.2xlarge",
        Size::XXLarge => "db.r6g.4xlarge",
    }
}

/// The ElastiCache node type for a Redis node of `size`.
pub fn cache_node_type(size: Size) -> &'static str {
    match size {
        Size::Small => "cache.t4g.small",
        Size::Medium => "cache.r6g.large",
        Size::Large => "cache.r6g.xlarge",
        Size::XLarge => "cache.r6g.2xlarge",
        Size::XXLarge => "cache.r6g.4xlarge",
    }
}

/// The EC2 instance type of a general-purpose node of `size`.
pub fn node_instance_type(size: Size) -> &'static str {
    match size {
        Size::Small => "t3.large",
        Size::Medium => "m6i.large",
        Size::Large => "m6i.xlarge",
        Size::XLarge => "m6i.2xlarge",
        Size::XXLarge => "m6i.4xlarge",
    }
}

/// Instance types for a spot pool of `size`: the general-purpose type plus
/// same-sized siblings, so a reclaim of one type does not empty the pool.
pub fn spot_instance_types(size: Size) -> Vec<&'static str> {
    let primary = node_instance_type(size);
    let siblings: &[&'static str] = match size {
        Size::Small => &["t3a.large"],
        Size::Medium => &["m5.large", "m6a.large"],
        Size::Large => &["m5.xlarge", "m6a.xlarge"],
        Size::XLarge => &["m5.2xlarge", "m6a.2xlarge"],
        Size::XXLarge => &["m5.4xlarge", "m6a.4xlarge"],
    };
    std::iter::once(primary)
        .chain(siblings.iter().copied())
        .collect()
}

/// The EC2 instance type with at least `gpus` NVIDIA GPUs, if any.
pub fn gpu_instance_type(gpus: u32) -> Option<&'static str> {
    match gpus {
        1 => Some("g5.xlarge"),
        2..=4 => Some("g5.12xlarge"),
        5..=8 => Some("g5.48xlarge"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::postgres::POSTGRES_INSTANCE_CLASSES;
    use crate::aws::redis::CACHE_NODE_TYPES;

    #[test]
    fn every_size_maps_to_a_known_class() {
        for size in Size::ALL {
            assert!(POSTGRES_INSTANCE_CLASSES.contains(&database_instance_class(size)));
            assert!(CACHE_NODE_TYPES.contains(&cache_node_type(size)));
        }
        assert_eq!(gpu_instance_type(1), Some("g5.xlarge"));
        assert_eq!(gpu_instance_type(9), None);
    }
}
