//! The platform's tags checked against the cloud that carries them: every
//! tag reaches every resource (AWS and Azure tags, GCP labels) unchanged, or
//! lowercased on GCP, or the synth fails with an error naming the tag.
//!
//! | rule | AWS tags | Azure tags | GCP labels |
//! |---|---|---|---|
//! | per resource | 50 | 50 | 64 |
//! | key length | 1-128 | 1-128 (512; 128 on storage accounts, which the platform has) | 1-63 |
//! | value length | 0-256 | 0-256 | 0-63 |
//! | key characters | letters, digits, spaces, `_ . : / = + - @`; not `aws:` | not `< > % & \ ? /` | lowercase letters, digits, `_`, `-`; starts with a lowercase letter |
//! | value characters | as keys | any | lowercase letters, digits, `_`, `-` |
//! | key case | sensitive | insensitive (`Team` and `team` are one tag) | lowercase only |
//!
//! Sources: AWS "Tagging AWS resources", *Tag naming limits and requirements*
//! (docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html); Azure
//! "Use tags to organize your Azure resources", *Limitations*
//! (learn.microsoft.com/azure/azure-resource-manager/management/tag-resources);
//! Google Cloud Resource Manager "Labels overview", *Requirements for labels*
//! (cloud.google.com/resource-manager/docs/labels-overview#requirements).
//!
//! GCP's one conversion is lowercasing ([`crate::gcp::names::label_key`]):
//! `CostCenter=ml-platform` becomes `costcenter=ml-platform`. It is lossless
//! unless two tags differ only in case (`Team` and `team`), which is an error
//! naming both, as on Azure, where tag names are case-insensitive. Nothing
//! else is rewritten: a character a label cannot hold is an error naming the
//! tag, never a silent `_`.

use std::collections::BTreeMap;

use crate::core::environment::Cloud;
use crate::core::stack::Stack;
use crate::gcp::names::{label_key, label_value};

use super::Platform;

/// Tags per resource on AWS and Azure (labels on GCP: 64).
const AWS_AZURE_MAX_TAGS: usize = 50;
/// GCP labels per resource.
const GCP_MAX_LABELS: usize = 64;

/// Records on `stack` every tag of `platform` (with `Project`, `Environment`
/// and `ManagedBy`) that `cloud` would reject or change beyond the
/// documented lowercasing of GCP label keys and values: one error per tag,
/// naming it as `tags.<key>`.
pub fn check(platform: &Platform, cloud: Cloud, stack: &mut Stack) {
    let tags = platform.default_tags();
    let max = match cloud {
        Cloud::Gcp => GCP_MAX_LABELS,
        Cloud::Aws | Cloud::Azure => AWS_AZURE_MAX_TAGS,
    };
    if tags.len() > max {
        stack.error(
            "platform",
            "tags",
            &format!(
                "{} tags (with Project, Environment and ManagedBy) but {cloud} allows {max} per resource",
                tags.len()
            ),
            &format!("keep at most {} tags of your own", max - 3),
        );
    }
    for (key, value) in &tags {
        if let Some((problem, fix)) = problem(cloud, key, value) {
            let field = format!("tags.{key}");
            match fix {
                Some(fix) => stack.error_with_fix(
                    "platform",
                    &field,
                    &problem,
                    HINT[cloud_index(cloud)],
                    &fix,
                ),
                None => stack.error("platform", &field, &problem, HINT[cloud_index(cloud)]),
            }
        }
    }
    // Keys one tag on Azure (case-insensitive) or one label on GCP.
    if matches!(cloud, Cloud::Gcp | Cloud::Azure) {
        let mut by_folded: BTreeMap<String, Vec<(&String, &String)>> = BTreeMap::new();
        for (key, value) in &tags {
            by_folded
                .entry(key.to_lowercase())
                .or_default()
                .push((key, value));
        }
        for (folded, same) in by_folded.into_iter().filter(|(_, same)| same.len() > 1) {
            let listed: Vec<String> = same.iter().map(|(k, v)| format!("`{k}={v}`")).collect();
            let what = match cloud {
                Cloud::Gcp => format!("become one GCP label `{folded}` (label keys are lowercase)"),
                _ => "are one Azure tag (tag names are case-insensitive)".to_string(),
            };
            stack.error(
                "platform",
                &format!("tags.{}", same[0].0),
                &format!(
                    "tags {} {what}: one value would be lost",
                    listed.join(" and ")
                ),
                "keep one of them, or rename one so the keys differ in more than case",
            );
        }
    }
}

/// The hint of each cloud's tag errors, by [`cloud_index`].
const HINT: [&str; 3] = [
    "AWS tag keys have 1-128 letters, digits, spaces and `_ . : / = + - @`, not starting with `aws:`; values up to 256",
    "GCP label keys have 1-63 lowercase letters, digits, `_` and `-`, starting with a letter; values up to 63 of the same (tags are lowercased, nothing else is changed)",
    "Azure tag names have 1-128 characters without `< > % & \\ ? /`; values up to 256",
];

fn cloud_index(cloud: Cloud) -> usize {
    match cloud {
        Cloud::Aws => 0,
        Cloud::Gcp => 1,
        Cloud::Azure => 2,
    }
}

/// Why `cloud` refuses the tag `key=value`, and a key that passes when the
/// key is the problem.
fn problem(cloud: Cloud, key: &str, value: &str) -> Option<(String, Option<String>)> {
    let chars = |s: &str| s.chars().count();
    match cloud {
        Cloud::Aws => {
            let allowed = |c: char| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c);
            if !(1..=128).contains(&chars(key)) || !key.chars().all(allowed) {
                Some((format!("tag key `{key}` is not a valid AWS tag key"), None))
            } else if key.to_lowercase().starts_with("aws:") {
                let fix = key[4..].trim_start_matches(':').to_string();
                let fix = if fix.is_empty() {
                    "owner".to_string()
                } else {
                    fix
                };
                Some((
                    format!("tag key `{key}` uses the prefix `aws:`, reserved for AWS"),
                    Some(fix),
                ))
            } else if chars(value) > 256 || !value.chars().all(allowed) {
                Some((
                    format!("the value of tag `{key}` is not a valid AWS tag value"),
                    None,
                ))
            } else {
                None
            }
        }
        Cloud::Azure => {
            if !(1..=128).contains(&chars(key)) || key.chars().any(|c| "<>%&\\?/".contains(c)) {
                Some((
                    format!("tag name `{key}` is not a valid Azure tag name"),
                    None,
                ))
            } else if chars(value) > 256 {
                Some((
                    format!("the value of tag `{key}` has more than 256 characters"),
                    None,
                ))
            } else {
                None
            }
        }
        Cloud::Gcp => {
            if let Err(why) = label_key(key) {
                let fix = crate::platform::validate::dns_label_like(key, 63).replace('-', "_");
                return Some((
                    format!("tag `{key}` cannot be a GCP label key: {why}"),
                    Some(fix),
                ));
            }
            if let Err(why) = label_value(value) {
                return Some((
                    format!("the value of tag `{key}` cannot be a GCP label value: {why}"),
                    None,
                ));
            }
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The limits of the module table, at their edges.
    #[test]
    fn each_cloud_refuses_what_its_documentation_refuses() {
        let long = |n: usize| "k".repeat(n);
        assert!(problem(Cloud::Aws, &long(128), &"v".repeat(256)).is_none());
        assert!(problem(Cloud::Aws, &long(129), "v").is_some());
        assert!(problem(Cloud::Aws, "k", &"v".repeat(257)).is_some());
        assert!(problem(Cloud::Aws, "team/name", "a b").is_none());
        assert!(problem(Cloud::Aws, "AWS:owner", "x").is_some());
        assert!(problem(Cloud::Azure, &long(128), &"v".repeat(256)).is_none());
        assert!(problem(Cloud::Azure, "cost?center", "x").is_some());
        assert!(problem(Cloud::Azure, "k", &"v".repeat(257)).is_some());
        assert!(problem(Cloud::Gcp, "CostCenter", "ML-Platform").is_none());
        assert!(problem(Cloud::Gcp, &long(64), "v").is_some());
        assert!(problem(Cloud::Gcp, "k", &"v".repeat(64)).is_some());
        assert!(problem(Cloud::Gcp, "cost.center", "x").is_some());
        let (_, fix) = problem(Cloud::Gcp, "9lives", "x").unwrap();
        assert_eq!(fix.as_deref(), Some("x9lives"));
    }
}
