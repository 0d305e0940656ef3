//! Which changes broaden access, per cloud: the rules behind the security
//! section of `diff` (see [`crate::core::diff`]).
//!
//! Every cloud has table rules (an attribute turned to its open value, a
//! protecting resource removed) and structural ones: network ingress
//! allowed from a source no earlier rule covered (a CIDR is covered by an
//! old one that contains it, ports by an old range that contains them), and
//! grants of permissions (IAM statements on AWS, role bindings on GCP and
//! Azure).

mod aws;
mod azure;
mod gcp;
mod iam;
mod ingress;

use crate::core::diff::{Broad, Broadening, BroadeningRule, FlagRule, ResourceDelta};
use crate::core::environment::Cloud;

pub use ingress::{is_open_source, Ingress};

/// The broadening rules of `cloud`. Data sources reach only the rules
/// that read documents they render (AWS's `aws_iam_policy_document`); a
/// data source of a resource's type (`data.aws_eks_cluster`) is not that
/// resource.
pub fn for_cloud(cloud: Cloud) -> Vec<Box<dyn BroadeningRule>> {
    match cloud {
        Cloud::Aws => aws::rules(),
        Cloud::Gcp => gcp::rules(),
        Cloud::Azure => azure::rules(),
    }
}

/// A rule that looks at resources only, never data sources.
struct ResourcesOnly<R>(R);

impl<R: BroadeningRule> BroadeningRule for ResourcesOnly<R> {
    fn check(&self, delta: &ResourceDelta<'_>, findings: &mut Vec<Broadening>) {
        if !delta.data_source {
            self.0.check(delta, findings);
        }
    }
}

/// The table rules as boxed rules.
fn boxed<R: BroadeningRule + 'static>(
    rules: impl IntoIterator<Item = R>,
) -> Vec<Box<dyn BroadeningRule>> {
    rules
        .into_iter()
        .map(|r| Box::new(r) as Box<dyn BroadeningRule>)
        .collect()
}

/// A [`FlagRule`] in one line of a cloud's table: `path` of `resource_type`
/// turned to its `broad` value (or left unset, when `absent_is_broad`) is
/// reported as `what`.
const fn flag(
    resource_type: &'static str,
    path: &'static str,
    broad: Broad,
    absent_is_broad: bool,
    what: &'static str,
) -> FlagRule {
    FlagRule {
        resource_type,
        path,
        broad,
        absent_is_broad,
        what,
    }
}
