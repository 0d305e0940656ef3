//! The naming rule most GCP resources share (RFC 1035 labels), and the
//! stack's default tags as GCP labels.

use std::collections::BTreeMap;

use crate::core::stack::Stack;
use crate::core::synth::to_label;
use crate::Value;

/// Whether `name` is a GCP resource name of at most `max` characters: lowercase
/// letters, digits and `-`, starting with a letter, not ending with `-`.
pub fn is_resource_name(name: &str, max: usize) -> bool {
    !name.is_empty()
        && name.len() <= max
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The stack's default tags as GCP labels (keys and values cut down to the
/// characters labels allow): the provider's `default_labels`, and the nested
/// label fields those do not reach (Cloud SQL `settings.user_labels`, node
/// pools' `node_config.resource_labels`).
pub fn default_labels(stack: &Stack) -> BTreeMap<String, Value> {
    stack
        .default_tags()
        .iter()
        .map(|(k, v)| (to_label(k), Value::from(to_label(v))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1035_labels() {
        assert!(is_resource_name("mlops-production-main", 40));
        assert!(!is_resource_name("Main", 40));
        assert!(!is_resource_name("main-", 40));
        assert!(!is_resource_name("1main", 40));
        assert!(!is_resource_name(&"a".repeat(41), 40));
    }
}
