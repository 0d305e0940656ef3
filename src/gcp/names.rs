//! The naming rule most GCP resources share (RFC 1035 labels), and the
//! stack's default tags as GCP labels.

use std::collections::BTreeMap;

use crate::core::stack::Stack;
use crate::core::synth::to_label;
use crate::Value;

/// Whether `name` is a GCP resource name of at most `max` characters: lowercase
/// letters, digits and `-`, starting with a letter, not ending with `-`.
pub fn is_resource_name(name: &str, max: usize) -> bool {
    crate::core::naming::is_lowercase_label(name, max)
}

/// A tag key as a GCP label key: the key lowercased (the one conversion),
/// when that is a label key.
///
/// Label keys have 1-63 characters: lowercase letters, digits, `_` and `-`,
/// starting with a lowercase letter (international lowercase letters are
/// allowed too). Source: Resource Manager "Labels overview", *Requirements
/// for labels* (cloud.google.com/resource-manager/docs/labels-overview#requirements).
///
/// # Errors
///
/// Why the lowercased key is not a label key.
///
/// ```
/// use infrasynth::gcp::names::label_key;
/// assert_eq!(label_key("CostCenter").unwrap(), "costcenter");
/// assert!(label_key("9lives").is_err());
/// assert!(label_key("cost.center").is_err());
/// ```
pub fn label_key(key: &str) -> Result<String, String> {
    let label = key.to_lowercase();
    if !label.starts_with(|c: char| c.is_lowercase()) {
        return Err("label keys start with a lowercase letter".to_string());
    }
    label_text(&label)?;
    Ok(label)
}

/// A tag value as a GCP label value: the value lowercased, when that is a
/// label value (0-63 lowercase letters, digits, `_` and `-`; the same
/// source as [`label_key`]).
///
/// # Errors
///
/// Why the lowercased value is not a label value.
///
/// ```
/// use infrasynth::gcp::names::label_value;
/// assert_eq!(label_value("ml-platform").unwrap(), "ml-platform");
/// assert_eq!(label_value("").unwrap(), "");
/// assert!(label_value("a b").is_err());
/// ```
pub fn label_value(value: &str) -> Result<String, String> {
    let label = value.to_lowercase();
    label_text(&label)?;
    Ok(label)
}

fn label_text(label: &str) -> Result<(), String> {
    if label.chars().count() > 63 {
        return Err(format!(
            "{} characters, labels hold 63",
            label.chars().count()
        ));
    }
    match label
        .chars()
        .find(|c| !(c.is_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-'))
    {
        Some(c) => Err(format!(
            "`{c}` is not a lowercase letter, digit, `_` or `-`"
        )),
        None => Ok(()),
    }
}

/// The stack's default tags as GCP labels: the provider's
/// `default_labels`, and the nested label fields those do not reach (Cloud
/// SQL `settings.user_labels`, node pools' `node_config.resource_labels`).
/// Each is [`label_key`]/[`label_value`] (the platform checks that every
/// tag converts, `platform::tags`); a tag set on a stack directly that does
/// not convert is cut down to the characters labels allow.
pub fn default_labels(stack: &Stack) -> BTreeMap<String, Value> {
    stack
        .default_tags()
        .iter()
        .map(|(k, v)| {
            (
                label_key(k).unwrap_or_else(|_| to_label(k)),
                Value::from(label_value(v).unwrap_or_else(|_| to_label(v))),
            )
        })
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
