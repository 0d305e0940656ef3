//! Network ingress as (protocol, ports, source) entries, and when a new
//! entry is covered by an old one (then it opens nothing new).

use std::collections::BTreeSet;

use ipnet::IpNet;

use crate::core::diff::{Broadening, ResourceDelta};

/// One allowed inbound flow.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ingress {
    /// `tcp`, `udp`, `icmp`, or `all` (AWS `-1`, GCP `all`, Azure `*`).
    pub protocol: String,
    /// First and last port, inclusive (`0..=65535` for all).
    pub ports: (u32, u32),
    /// A CIDR, a security group or tag, or an open keyword (`*`, `Internet`).
    pub source: String,
}

/// Every port.
pub(crate) const ALL_PORTS: (u32, u32) = (0, 65_535);

/// Whether a source is the whole internet: `0.0.0.0/0`, `::/0` (AWS, GCP,
/// Azure CIDRs), or Azure's `*`, `Internet` and `Any` (Azure network
/// security rule docs, azurerm 4.55.0: `source_address_prefix` accepts a
/// CIDR, `*` or a service tag such as `Internet`).
pub fn is_open_source(source: &str) -> bool {
    matches!(
        source,
        "0.0.0.0/0" | "::/0" | "*" | "Internet" | "internet" | "Any" | "any" | "0.0.0.0"
    )
}

/// Normalizes a protocol name (`-1`, `all`, `*`, `Any` are every protocol).
pub(crate) fn protocol(name: &str) -> String {
    match name.to_ascii_lowercase().as_str() {
        "-1" | "all" | "*" | "any" => "all".to_string(),
        "6" => "tcp".to_string(),
        "17" => "udp".to_string(),
        other => other.to_string(),
    }
}

/// Parses `443`, `1000-2000` or `*` (empty is every port).
pub(crate) fn port_range(text: &str) -> (u32, u32) {
    let text = text.trim();
    if text.is_empty() || text == "*" {
        return ALL_PORTS;
    }
    match text.split_once('-') {
        Some((a, b)) => (
            a.trim().parse().unwrap_or(0),
            b.trim().parse().unwrap_or(65_535),
        ),
        None => text.parse().map(|p| (p, p)).unwrap_or(ALL_PORTS),
    }
}

fn source_covers(old: &str, new: &str) -> bool {
    if old == new || is_open_source(old) {
        return true;
    }
    match (old.parse::<IpNet>(), new.parse::<IpNet>()) {
        (Ok(a), Ok(b)) => a.contains(&b),
        _ => false,
    }
}

impl Ingress {
    /// Whether `self` allows everything `new` does.
    pub fn covers(&self, new: &Ingress) -> bool {
        (self.protocol == "all" || self.protocol == new.protocol)
            && self.ports.0 <= new.ports.0
            && self.ports.1 >= new.ports.1
            && source_covers(&self.source, &new.source)
    }

    /// `tcp 443 from 10.0.0.0/16`, marked when the source is the internet.
    pub fn describe(&self) -> String {
        let ports = match self.ports {
            ALL_PORTS => "all ports".to_string(),
            (a, b) if a == b => a.to_string(),
            (a, b) => format!("{a}-{b}"),
        };
        let open = if is_open_source(&self.source) {
            " (the whole internet)"
        } else {
            ""
        };
        format!("{} {ports} from {}{open}", self.protocol, self.source)
    }
}

/// Reports each entry `extract` finds in the new body that no entry of the
/// old body covers, at `path`.
pub(crate) fn report_new_ingress(
    delta: &ResourceDelta<'_>,
    path: &str,
    extract: impl Fn(&serde_json::Value) -> BTreeSet<Ingress>,
    findings: &mut Vec<Broadening>,
) {
    let Some(new) = delta.new else { return };
    let old = delta.old.map(&extract).unwrap_or_default();
    for entry in extract(new) {
        if !old.iter().any(|o| o.covers(&entry)) {
            findings.push(Broadening {
                address: delta.address.to_string(),
                path: path.to_string(),
                message: format!("ingress {} allowed", entry.describe()),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(protocol: &str, ports: (u32, u32), source: &str) -> Ingress {
        Ingress {
            protocol: protocol.into(),
            ports,
            source: source.into(),
        }
    }

    #[test]
    fn a_wider_cidr_or_port_range_is_not_covered_and_a_narrower_one_is() {
        let old = entry("tcp", (443, 443), "10.0.0.0/16");
        assert!(old.covers(&entry("tcp", (443, 443), "10.0.1.0/24")));
        assert!(!old.covers(&entry("tcp", (443, 443), "0.0.0.0/0")));
        assert!(!old.covers(&entry("tcp", (22, 443), "10.0.0.0/16")));
        assert!(!old.covers(&entry("udp", (443, 443), "10.0.0.0/16")));
        assert!(entry("all", ALL_PORTS, "0.0.0.0/0").covers(&old));
    }

    #[test]
    fn port_ranges_and_protocols_normalize_across_clouds() {
        assert_eq!(port_range("1000-2000"), (1000, 2000));
        assert_eq!(port_range("*"), ALL_PORTS);
        assert_eq!(port_range("22"), (22, 22));
        assert_eq!(protocol("-1"), "all");
        assert_eq!(protocol("Tcp"), "tcp");
    }
}
