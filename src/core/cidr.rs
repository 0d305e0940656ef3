//! IPv4 address planning shared by every cloud: carving subnets out of a range
//! and finding overlaps.

use ipnet::Ipv4Net;

/// Splits `base` into consecutive blocks of `prefix_len`, skipping the first
/// `offset` blocks, and returns `count` of them; `None` when they do not fit.
///
/// ```
/// use infrasynth::cidr::carve;
/// let base: ipnet::Ipv4Net = "10.0.0.0/16".parse().unwrap();
/// let subnets = carve(base, 20, 1, 2).unwrap();
/// assert_eq!(subnets[0].to_string(), "10.0.16.0/20");
/// assert_eq!(subnets[1].to_string(), "10.0.32.0/20");
/// ```
pub fn carve(base: Ipv4Net, prefix_len: u8, offset: usize, count: usize) -> Option<Vec<Ipv4Net>> {
    if prefix_len < base.prefix_len() || prefix_len > 32 {
        return None;
    }
    let blocks = 1usize.checked_shl(u32::from(prefix_len - base.prefix_len()))?;
    if offset.checked_add(count)? > blocks {
        return None;
    }
    base.subnets(prefix_len)
        .ok()
        .map(|s| s.skip(offset).take(count).collect())
}

/// Whether two networks share any address.
pub fn overlaps(a: &Ipv4Net, b: &Ipv4Net) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// Every overlapping pair among `nets` (by index), found by sorting: O(n log n).
pub fn overlapping_pairs(nets: &[Ipv4Net]) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = (0..nets.len()).collect();
    order.sort_by_key(|&i| (u32::from(nets[i].network()), nets[i].prefix_len()));
    let mut pairs = Vec::new();
    // The range with the furthest end seen so far overlaps anything starting before it ends.
    let mut open: Option<usize> = None;
    for &i in &order {
        if let Some(j) = open {
            if u32::from(nets[i].network()) <= u32::from(nets[j].broadcast()) {
                pairs.push((j.min(i), j.max(i)));
                if u32::from(nets[i].broadcast()) > u32::from(nets[j].broadcast()) {
                    open = Some(i);
                }
                continue;
            }
        }
        open = Some(i);
    }
    pairs
}

/// The first candidate range (each moved to `prefix_len`) that overlaps
/// none of `taken`: a free range to suggest or to use, deterministically.
/// The candidates are private and shared address space outside the ranges
/// platforms usually pick first: `100.64.0.0` (RFC 6598), `172.16.0.0`,
/// `192.168.0.0`, `10.0.0.0`.
///
/// ```
/// use infrasynth::core::cidr::free_range;
/// let taken = ["100.64.0.0/16".parse().unwrap()];
/// assert_eq!(free_range(16, &taken).unwrap().to_string(), "172.16.0.0/16");
/// ```
pub fn free_range(prefix_len: u8, taken: &[Ipv4Net]) -> Option<Ipv4Net> {
    ["100.64.0.0", "172.16.0.0", "192.168.0.0", "10.0.0.0"]
        .iter()
        .filter_map(|addr| addr.parse().ok())
        .filter_map(|addr| Ipv4Net::new(addr, prefix_len.max(8)).ok())
        .map(|net| net.trunc())
        .find(|net| !taken.iter().any(|t| overlaps(t, net)))
}

/// The smallest prefix length whose block holds at least `addresses` addresses.
pub fn prefix_for(addresses: u32) -> u8 {
    let bits = 32 - addresses.max(1).saturating_sub(1).leading_zeros();
    (32 - bits.min(32)) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_overlaps() {
        let nets: Vec<Ipv4Net> = [
            "10.0.0.0/16",
            "10.1.0.0/16",
            "10.0.128.0/17",
            "192.168.0.0/24",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        assert_eq!(overlapping_pairs(&nets), vec![(0, 2)]);
    }

    #[test]
    fn carve_refuses_what_does_not_fit() {
        let base: Ipv4Net = "10.0.0.0/24".parse().unwrap();
        assert!(carve(base, 26, 0, 4).is_some());
        assert!(carve(base, 26, 1, 4).is_none());
        assert!(carve(base, 16, 0, 1).is_none());
    }

    #[test]
    fn prefix_sizes() {
        assert_eq!(prefix_for(256), 24);
        assert_eq!(prefix_for(257), 23);
        assert_eq!(prefix_for(1), 32);
    }
}
