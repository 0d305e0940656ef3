//! `lookup aws`: the [`AwsFacts`] of one stack's region and account, read
//! with three read-only calls (the IAM actions a lookup needs):
//!
//! - `ec2:DescribeAvailabilityZones`, filtered to `zone-type` =
//!   `availability-zone` and `state` = `available` (no Local or Wavelength
//!   zones, none impaired): names and zone ids, sorted by name;
//! - `ec2:DescribeInstanceTypeOfferings` with `LocationType` =
//!   `availability-zone`, filtered to the instance types of the stack's node
//!   groups (all pages): for each type, the zones that offer it (a type
//!   offered nowhere is recorded with no zones);
//! - `eks:DescribeAddonVersions` per Kubernetes version of the stack's
//!   clusters and per add-on (all pages): the add-on version whose
//!   `compatibilities` entry for that Kubernetes version has
//!   `defaultVersion` = true. An add-on EKS marks no default for is left out,
//!   so its builder keeps reading the default at apply time
//!   (`aws_eks_addon_version` with `most_recent = false`).
//!
//! Each call is bounded and retried by the SDK per the [`RetryPolicy`]
//! (see [`crate::aws::live::client`]). Nothing here writes: the caller
//! records the facts once every call succeeded.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::{Filter, LocationType};

use crate::aws::facts::{AvailabilityZone, AwsFacts, AwsLookup};
use crate::aws::live::client::AwsSession;
use crate::core::live::{LiveError, LiveErrorKind, RetryPolicy};

/// The IAM action of the zones call.
const DESCRIBE_ZONES: &str = "ec2:DescribeAvailabilityZones";
/// The IAM action of the offerings call.
const DESCRIBE_OFFERINGS: &str = "ec2:DescribeInstanceTypeOfferings";
/// The IAM action of the add-on versions call.
const DESCRIBE_ADDON_VERSIONS: &str = "eks:DescribeAddonVersions";

/// Looks up what `query` asks for in its region: the zones, where each of
/// its instance types is offered, and the default version of each of its
/// add-ons per Kubernetes version.
///
/// Credentials and endpoints come from the environment as for the AWS CLI
/// (`AWS_PROFILE`, `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`,
/// `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_EC2`, `AWS_ENDPOINT_URL_EKS`); the
/// region is the stack's provider's, never the environment's, so the facts
/// are of the region the stack deploys to.
///
/// # Errors
///
/// The first call that fails, as a [`LiveError`] naming it
/// (`ec2:DescribeAvailabilityZones (us-east-1)`) with the AWS fix for its
/// kind; a throttled, timed-out or unreachable call only after the policy's
/// attempts. A query without a region (the stack's `aws` provider has no
/// literal `region`) fails before any call, as [`LiveErrorKind::Other`]
/// with call `lookup aws`: the facts would not be known to be of the region
/// the stack deploys to.
pub fn lookup(query: &AwsLookup, policy: &RetryPolicy) -> Result<AwsFacts, LiveError> {
    let Some(region) = query.region.as_deref() else {
        return Err(LiveError {
            call: "lookup aws".to_string(),
            kind: LiveErrorKind::Other,
            detail: "the stack's `aws` provider has no literal `region`, so there is no region to look up".to_string(),
            fix: "give the stack an aws provider with a region (`AwsProvider::new(\"us-east-1\")`, or the platform's region for the environment)".to_string(),
        });
    };
    let session = AwsSession::new(region, policy)?;
    let zones = zones(&session)?;
    let instance_type_offerings = offerings(&session, &query.instance_types)?;
    let mut addon_versions = BTreeMap::new();
    for kubernetes_version in &query.kubernetes_versions {
        let mut versions = BTreeMap::new();
        for addon in &query.addons {
            if let Some(version) = default_addon_version(&session, kubernetes_version, addon)? {
                versions.insert(addon.clone(), version);
            }
        }
        addon_versions.insert(kubernetes_version.clone(), versions);
    }
    Ok(AwsFacts {
        region: region.to_string(),
        zones,
        instance_type_offerings,
        addon_versions,
    })
}

/// The region's available zones of type `availability-zone`, by name.
fn zones(session: &AwsSession) -> Result<Vec<AvailabilityZone>, LiveError> {
    let filter = |name: &str, value: &str| Filter::builder().name(name).values(value).build();
    let output = session
        .block_on(
            session
                .ec2()
                .describe_availability_zones()
                .filters(filter("zone-type", "availability-zone"))
                .filters(filter("state", "available"))
                .send(),
        )
        .map_err(|error| session.error(DESCRIBE_ZONES, error))?;
    let mut zones: Vec<AvailabilityZone> = output
        .availability_zones()
        .iter()
        .filter_map(|zone| {
            Some(AvailabilityZone {
                name: zone.zone_name()?.to_string(),
                zone_id: zone.zone_id()?.to_string(),
            })
        })
        .collect();
    zones.sort();
    zones.dedup();
    Ok(zones)
}

/// For each of `types`, the zones that offer it (every page).
fn offerings(
    session: &AwsSession,
    types: &BTreeSet<String>,
) -> Result<BTreeMap<String, BTreeSet<String>>, LiveError> {
    let mut offered: BTreeMap<String, BTreeSet<String>> =
        types.iter().map(|t| (t.clone(), BTreeSet::new())).collect();
    if types.is_empty() {
        return Ok(offered);
    }
    let filter = Filter::builder()
        .name("instance-type")
        .set_values(Some(types.iter().cloned().collect()))
        .build();
    let mut pages = session
        .ec2()
        .describe_instance_type_offerings()
        .location_type(LocationType::AvailabilityZone)
        .filters(filter)
        .into_paginator()
        .send();
    while let Some(page) = session.block_on(pages.next()) {
        let page = page.map_err(|error| session.error(DESCRIBE_OFFERINGS, error))?;
        for offering in page.instance_type_offerings() {
            let (Some(instance_type), Some(zone)) = (offering.instance_type(), offering.location())
            else {
                continue;
            };
            // Only the asked-for types: the filter says so, an emulator may not.
            if let Some(zones) = offered.get_mut(instance_type.as_str()) {
                zones.insert(zone.to_string());
            }
        }
    }
    Ok(offered)
}

/// The version of `addon` EKS marks as the default for Kubernetes
/// `kubernetes_version` (every page), if any.
fn default_addon_version(
    session: &AwsSession,
    kubernetes_version: &str,
    addon: &str,
) -> Result<Option<String>, LiveError> {
    let mut pages = session
        .eks()
        .describe_addon_versions()
        .kubernetes_version(kubernetes_version)
        .addon_name(addon)
        .into_paginator()
        .send();
    let mut default = None;
    while let Some(page) = session.block_on(pages.next()) {
        let page = page.map_err(|error| session.error(DESCRIBE_ADDON_VERSIONS, error))?;
        for info in page.addons() {
            if info.addon_name() != Some(addon) {
                continue;
            }
            for version in info.addon_versions() {
                let is_default = version.compatibilities().iter().any(|c| {
                    c.cluster_version() == Some(kubernetes_version) && c.default_version()
                });
                if is_default && default.is_none() {
                    default = version.addon_version().map(str::to_string);
                }
            }
        }
    }
    Ok(default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stack_without_a_region_is_refused_before_any_call() {
        let error = lookup(&AwsLookup::default(), &RetryPolicy::default()).unwrap_err();
        assert_eq!(error.kind, LiveErrorKind::Other);
        assert_eq!(error.call, "lookup aws");
        assert!(error.fix.contains("AwsProvider::new"), "{error}");
    }
}
