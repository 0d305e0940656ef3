//! The live facts of one cloud, as one value: what `lookup` records in the
//! context file ([`crate::core::context`]) for a `<stack>/<cloud>/<env>`, and
//! what a realization puts on its stack before any builder runs.

use crate::aws::facts::AwsFacts;
use crate::azure::facts::AzureFacts;
use crate::core::context::Context;
use crate::core::environment::Cloud;
use crate::core::stack::Stack;
use crate::gcp::facts::GcpFacts;

/// One cloud's live facts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CloudFacts {
    /// Zones, instance type offerings, EKS add-on versions.
    Aws(AwsFacts),
    /// The state bucket's preflight.
    Gcp(GcpFacts),
    /// VM sizes and their zones.
    Azure(AzureFacts),
}

impl CloudFacts {
    /// The cloud they are of.
    pub fn cloud(&self) -> Cloud {
        match self {
            CloudFacts::Aws(_) => Cloud::Aws,
            CloudFacts::Gcp(_) => Cloud::Gcp,
            CloudFacts::Azure(_) => Cloud::Azure,
        }
    }

    /// The facts of `cloud` under `key` in `context`; `Ok(None)` when there
    /// are none.
    ///
    /// # Errors
    ///
    /// A message naming the key when the entry is not of the cloud's shape.
    pub fn from_context(
        context: &Context,
        key: &str,
        cloud: Cloud,
    ) -> Result<Option<Self>, String> {
        Ok(match cloud {
            Cloud::Aws => context.get::<AwsFacts>(key)?.map(CloudFacts::Aws),
            Cloud::Gcp => context.get::<GcpFacts>(key)?.map(CloudFacts::Gcp),
            Cloud::Azure => context.get::<AzureFacts>(key)?.map(CloudFacts::Azure),
        })
    }

    /// Records the facts under `key` in `context`.
    ///
    /// # Errors
    ///
    /// The serializer's message (the facts' maps all have string keys, so
    /// none is expected).
    pub fn record(&self, context: &mut Context, key: &str) -> Result<(), String> {
        match self {
            CloudFacts::Aws(facts) => context.set(key, facts),
            CloudFacts::Gcp(facts) => context.set(key, facts),
            CloudFacts::Azure(facts) => context.set(key, facts),
        }
    }

    /// Puts the facts on `stack` ([`Stack::insert_facts`]), for the
    /// builders and checks of their cloud.
    pub fn install(&self, stack: &mut Stack) {
        match self {
            CloudFacts::Aws(facts) => stack.insert_facts(facts.clone()),
            CloudFacts::Gcp(facts) => stack.insert_facts(facts.clone()),
            CloudFacts::Azure(facts) => stack.insert_facts(facts.clone()),
        }
    }
}

/// Every check of a stack against the live facts on it: AWS instance type
/// offerings per zone, Azure VM sizes per zone, the GCP state bucket. Each
/// does nothing without its cloud's facts, so this runs on every stack,
/// after the customize hooks (their node pools are checked too).
pub fn check(stack: &mut Stack) {
    crate::aws::facts::check_instance_type_offerings(stack);
    crate::azure::facts::check_vm_sizes(stack);
    crate::gcp::facts::check_state_bucket(stack);
}
