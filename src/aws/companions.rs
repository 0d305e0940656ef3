//! Attributes of one AWS resource that another resource of the same state
//! sets: hashicorp/aws 5.100.0 reads a resource when it creates it, before
//! the resources that attach things to it exist, so the first refresh after
//! an apply finds what Terraform itself attached. `drift` does not count such
//! a change as made outside Terraform when the state's own resources account
//! for all of it. Offline: no SDK.
//!
//! The pairs (provider docs at 5.100.0, each resource's page):
//! - `aws_route_table.route` and `aws_route` (`route_table_id`, the
//!   destination);
//! - `aws_iam_role.managed_policy_arns` and `aws_iam_role_policy_attachment`
//!   (`role`, `policy_arn`); `aws_iam_role.inline_policy` and
//!   `aws_iam_role_policy` (`role`, `name`);
//! - `aws_kms_key.policy` and `aws_kms_key_policy` (`key_id`, the same
//!   policy as JSON);
//! - the association attributes of `aws_eip` (`association_id`,
//!   `network_interface`, `private_ip`, `private_dns`, `instance`) and the
//!   `aws_nat_gateway` that uses its allocation (`allocation_id`);
//! - the deprecated arguments of `aws_s3_bucket` (`versioning`, `policy`,
//!   `lifecycle_rule`, `logging`, `server_side_encryption_configuration`,
//!   ...) and the `aws_s3_bucket_*` resource that sets each (`bucket`).
//!
//! One attribute changes by itself and is never drift:
//! `aws_db_instance.latest_restorable_time`.
//!
//! Security group rules are matched in [`crate::aws::rule_keys`].

use serde_json::Value as Json;

/// One resource of the state: its type and its attributes.
pub type StateEntry<'a> = (&'a str, &'a Json);

fn text<'a>(values: &'a Json, key: &str) -> &'a str {
    values[key].as_str().unwrap_or_default()
}

fn of_type<'a>(
    state: &'a [StateEntry<'a>],
    resource_type: &'a str,
) -> impl Iterator<Item = &'a Json> + 'a {
    state
        .iter()
        .filter(move |(t, _)| *t == resource_type)
        .map(|(_, v)| *v)
}

/// The separate resource that configures each deprecated, computed
/// argument of `aws_s3_bucket` (hashicorp/aws 5.100.0 s3_bucket.html.markdown:
/// each of them "Use the resource `aws_s3_bucket_...` instead"). The bucket
/// reads them back on refresh, so the first refresh after the companion's
/// apply shows them as changed; a change made outside Terraform shows on
/// the companion resource itself, so it is reported there, once.
const S3_BUCKET_COMPANIONS: &[(&str, &str)] = &[
    (
        "acceleration_status",
        "aws_s3_bucket_accelerate_configuration",
    ),
    ("acl", "aws_s3_bucket_acl"),
    ("cors_rule", "aws_s3_bucket_cors_configuration"),
    ("grant", "aws_s3_bucket_acl"),
    ("lifecycle_rule", "aws_s3_bucket_lifecycle_configuration"),
    ("logging", "aws_s3_bucket_logging"),
    (
        "object_lock_configuration",
        "aws_s3_bucket_object_lock_configuration",
    ),
    ("policy", "aws_s3_bucket_policy"),
    (
        "replication_configuration",
        "aws_s3_bucket_replication_configuration",
    ),
    (
        "request_payer",
        "aws_s3_bucket_request_payment_configuration",
    ),
    (
        "server_side_encryption_configuration",
        "aws_s3_bucket_server_side_encryption_configuration",
    ),
    ("versioning", "aws_s3_bucket_versioning"),
    ("website", "aws_s3_bucket_website_configuration"),
];

/// Whether `attribute` of the bucket with attributes `values` is set by a
/// companion resource of `state` (see [`S3_BUCKET_COMPANIONS`]).
fn s3_bucket_companion(attribute: &str, values: &Json, state: &[StateEntry<'_>]) -> bool {
    let Some((_, companion)) = S3_BUCKET_COMPANIONS.iter().find(|(a, _)| *a == attribute) else {
        return false;
    };
    let bucket = text(values, "bucket");
    let bucket = if bucket.is_empty() {
        text(values, "id")
    } else {
        bucket
    };
    of_type(state, companion).any(|c| text(c, "bucket") == bucket)
}

/// Whether one element of a list-of-blocks attribute (`route`,
/// `inline_policy`) of a resource with attributes `values` is the work of
/// a companion resource in `state`.
pub fn element_explained(
    resource_type: &str,
    attribute: &str,
    values: &Json,
    element: &Json,
    state: &[StateEntry<'_>],
) -> bool {
    match (resource_type, attribute) {
        ("aws_route_table", "route") => {
            let table = text(values, "id");
            let destinations = [
                ("cidr_block", "destination_cidr_block"),
                ("ipv6_cidr_block", "destination_ipv6_cidr_block"),
                ("destination_prefix_list_id", "destination_prefix_list_id"),
            ];
            of_type(state, "aws_route").any(|route| {
                text(route, "route_table_id") == table
                    && destinations.iter().any(|(inline, own)| {
                        let d = text(element, inline);
                        !d.is_empty() && d == text(route, own)
                    })
            })
        }
        ("aws_iam_role", "inline_policy") => {
            let role = text(values, "name");
            of_type(state, "aws_iam_role_policy").any(|policy| {
                text(policy, "role") == role && text(policy, "name") == text(element, "name")
            })
        }
        ("aws_s3_bucket", attribute) => s3_bucket_companion(attribute, values, state),
        _ => false,
    }
}

/// Whether the new value `after` of `attribute` (not a list of blocks) of a
/// resource with attributes `values` is the work of a companion resource in
/// `state`.
pub fn value_explained(
    resource_type: &str,
    attribute: &str,
    values: &Json,
    after: &Json,
    state: &[StateEntry<'_>],
) -> bool {
    match (resource_type, attribute) {
        ("aws_iam_role", "managed_policy_arns") => {
            let role = text(values, "name");
            let attached: Vec<&str> = of_type(state, "aws_iam_role_policy_attachment")
                .filter(|a| text(a, "role") == role)
                .map(|a| text(a, "policy_arn"))
                .collect();
            after.as_array().is_some_and(|arns| {
                arns.iter()
                    .all(|arn| arn.as_str().is_some_and(|arn| attached.contains(&arn)))
            })
        }
        ("aws_kms_key", "policy") => {
            let key = text(values, "id");
            let parsed = |text: &str| serde_json::from_str::<Json>(text).ok();
            let after = after.as_str().and_then(parsed);
            of_type(state, "aws_kms_key_policy").any(|policy| {
                text(policy, "key_id") == key
                    && after.is_some()
                    && parsed(text(policy, "policy")) == after
            })
        }
        (
            "aws_eip",
            "association_id" | "network_interface" | "private_ip" | "private_dns" | "instance",
        ) => {
            let allocation = text(values, "allocation_id");
            let allocation = if allocation.is_empty() {
                text(values, "id")
            } else {
                allocation
            };
            of_type(state, "aws_nat_gateway").any(|nat| text(nat, "allocation_id") == allocation)
        }
        ("aws_s3_bucket", attribute) => s3_bucket_companion(attribute, values, state),
        // Not a companion's: AWS moves it forward by itself every few minutes
        // (the latest time a point-in-time restore can reach; RDS API
        // DBInstance.LatestRestorableTime), so a refresh always finds it new.
        ("aws_db_instance", "latest_restorable_time") => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// aws_route_table.html.markdown: inline `route` blocks and `aws_route`
    /// resources both show in the table's `route` after a refresh.
    #[test]
    fn a_route_of_an_aws_route_resource_is_explained() {
        let route = json!({"route_table_id": "rtb-1", "destination_cidr_block": "0.0.0.0/0"});
        let state = [("aws_route", &route)];
        let table = json!({"id": "rtb-1"});
        let element = json!({"cidr_block": "0.0.0.0/0", "nat_gateway_id": "nat-1"});
        assert!(element_explained(
            "aws_route_table",
            "route",
            &table,
            &element,
            &state
        ));
        let other = json!({"cidr_block": "10.1.0.0/16"});
        assert!(!element_explained(
            "aws_route_table",
            "route",
            &table,
            &other,
            &state
        ));
    }

    /// s3_bucket.html.markdown (5.100.0): `versioning`, `policy`,
    /// `lifecycle_rule`, ... are deprecated and read back from the separate
    /// resources; the first refresh after apply shows what they set.
    #[test]
    fn bucket_settings_of_its_companion_resources_are_explained() {
        let versioning =
            json!({"bucket": "b-1", "versioning_configuration": [{"status": "Enabled"}]});
        let policy = json!({"bucket": "b-1", "policy": "{}"});
        let state = [
            ("aws_s3_bucket_versioning", &versioning),
            ("aws_s3_bucket_policy", &policy),
        ];
        let bucket = json!({"bucket": "b-1", "id": "b-1"});
        assert!(element_explained(
            "aws_s3_bucket",
            "versioning",
            &bucket,
            &json!({"enabled": true, "mfa_delete": false}),
            &state
        ));
        assert!(value_explained(
            "aws_s3_bucket",
            "policy",
            &bucket,
            &json!("{\"Statement\":[]}"),
            &state
        ));
        // No aws_s3_bucket_logging in the state: a logging change is drift.
        assert!(!element_explained(
            "aws_s3_bucket",
            "logging",
            &bucket,
            &json!({"target_bucket": "elsewhere"}),
            &state
        ));
        // Another bucket's companion explains nothing here.
        let other = json!({"bucket": "b-2", "id": "b-2"});
        assert!(!value_explained(
            "aws_s3_bucket",
            "policy",
            &other,
            &json!("{}"),
            &state
        ));
    }

    #[test]
    fn a_databases_latest_restorable_time_is_never_drift() {
        assert!(value_explained(
            "aws_db_instance",
            "latest_restorable_time",
            &json!({}),
            &json!("2026-11-30T04:15:38Z"),
            &[]
        ));
    }

    #[test]
    fn a_kms_policy_set_by_aws_kms_key_policy_is_explained() {
        let policy =
            json!({"key_id": "k-1", "policy": "{\"Version\":\"2012-10-17\",\"Statement\":[]}"});
        let state = [("aws_kms_key_policy", &policy)];
        let key = json!({"id": "k-1"});
        let same = json!("{\"Statement\":[],\"Version\":\"2012-10-17\"}");
        assert!(value_explained(
            "aws_kms_key",
            "policy",
            &key,
            &same,
            &state
        ));
        let other = json!("{\"Statement\":[{}],\"Version\":\"2012-10-17\"}");
        assert!(!value_explained(
            "aws_kms_key",
            "policy",
            &key,
            &other,
            &state
        ));
    }

    #[test]
    fn role_policies_attached_by_the_state_are_explained() {
        let attachment = json!({"role": "r", "policy_arn": "arn:a"});
        let state = [("aws_iam_role_policy_attachment", &attachment)];
        let role = json!({"name": "r"});
        assert!(value_explained(
            "aws_iam_role",
            "managed_policy_arns",
            &role,
            &json!(["arn:a"]),
            &state
        ));
        assert!(!value_explained(
            "aws_iam_role",
            "managed_policy_arns",
            &role,
            &json!(["arn:a", "arn:b"]),
            &state
        ));
    }
}
