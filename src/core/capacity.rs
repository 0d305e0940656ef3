//! On-demand or spot compute capacity, a choice every cloud offers for nodes.

/// On-demand or spot capacity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Capacity {
    /// Regular, never reclaimed.
    OnDemand,
    /// Cheaper, reclaimable at short notice.
    Spot,
}
