//! The cloud-neutral platform layer: describe the platform once
//! ([`Platform`]), realize it on any cloud ([`realize()`]) and get back the
//! stack with typed handles of everything realized ([`Realized`]).

pub mod aws;
pub mod azure;
pub mod data_access;
pub mod defaults;
pub mod facts;
pub mod gcp;
pub mod outputs;
pub mod realize;
pub mod spec;
pub mod tags;
pub mod validate;

pub use spec::*;

use crate::core::calendar::Date;
use crate::core::environment::Cloud;
use crate::core::stack::Stack;

use self::aws::AwsPlatform;
use self::azure::AzurePlatform;
use self::gcp::GcpPlatform;

/// Realizes `platform` on `cloud` with that cloud's builders, following the
/// skeleton of [`realize::Realization`].
///
/// Returns the stack and the cloud's typed handles. The stack may be extended
/// (with the cloud's own builders, or `Stack::set_raw` on a handle's refs)
/// before `app::finish`.
///
/// # Errors
///
/// None returned: problems are recorded on the stack and reported when it is
/// synthesized; the handles exist even then.
pub fn realize(platform: &Platform, cloud: Cloud) -> (Stack, Realized) {
    realize_with(platform, cloud, None, None)
}

/// [`realize()`], judging the versions of the cluster and the database on
/// `support_date` against each cloud's support calendar
/// ([`crate::core::support`]): an end-of-life version is an error, one within
/// 90 days of an end a warning. [`realize()`] alone only checks that versions
/// are ones the cloud offers, so it never depends on the clock; the app
/// realizes with the day of `app::support_date`.
///
/// # Errors
///
/// None returned, as for [`realize()`].
pub fn realize_as_of(platform: &Platform, cloud: Cloud, support_date: Date) -> (Stack, Realized) {
    realize_with(platform, cloud, Some(support_date), None)
}

/// [`realize_as_of`] (or [`realize()`] without a day) with the cloud's live
/// facts from the context file on the stack before any builder runs
/// ([`facts::CloudFacts::install`]): AWS zones and add-on versions come from
/// them instead of the built-in tables. Facts of another cloud are ignored.
/// The checks of node pools against the facts ([`facts::check`]) run later,
/// after customize hooks, in the app pipeline.
///
/// # Errors
///
/// None returned, as for [`realize()`].
pub fn realize_with(
    platform: &Platform,
    cloud: Cloud,
    support_date: Option<Date>,
    facts: Option<&facts::CloudFacts>,
) -> (Stack, Realized) {
    let facts = facts.filter(|f| f.cloud() == cloud);
    match cloud {
        Cloud::Aws => {
            let (stack, handles) = realize::run_with::<aws::Aws<'_>>(platform, support_date, facts);
            (stack, Realized::Aws(handles))
        }
        Cloud::Gcp => {
            let (stack, handles) = realize::run_with::<gcp::Gcp<'_>>(platform, support_date, facts);
            (stack, Realized::Gcp(handles))
        }
        Cloud::Azure => {
            let (stack, handles) =
                realize::run_with::<azure::Azure<'_>>(platform, support_date, facts);
            (stack, Realized::Azure(handles))
        }
    }
}

/// Realizes `platform` on AWS: the stack and the typed handles of
/// everything made (see [`realize()`]).
///
/// # Errors
///
/// None returned: problems are diagnostics on the stack, as for
/// [`realize()`].
pub fn realize_aws(platform: &Platform) -> (Stack, AwsPlatform) {
    realize::run::<aws::Aws<'_>>(platform)
}

/// Realizes `platform` on GCP: the stack and the typed handles of
/// everything made (see [`realize()`]).
///
/// # Errors
///
/// None returned: problems are diagnostics on the stack, as for
/// [`realize()`].
pub fn realize_gcp(platform: &Platform) -> (Stack, GcpPlatform) {
    realize::run::<gcp::Gcp<'_>>(platform)
}

/// Realizes `platform` on Azure: the stack and the typed handles of
/// everything made (see [`realize()`]).
///
/// # Errors
///
/// None returned: problems are diagnostics on the stack, as for
/// [`realize()`].
pub fn realize_azure(platform: &Platform) -> (Stack, AzurePlatform) {
    realize::run::<azure::Azure<'_>>(platform)
}

/// The typed handles of one cloud's realization, as [`realize()`] returns
/// them.
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)] // made once per synth, never moved in a loop
pub enum Realized {
    /// From [`realize_aws`].
    Aws(AwsPlatform),
    /// From [`realize_gcp`].
    Gcp(GcpPlatform),
    /// From [`realize_azure`].
    Azure(AzurePlatform),
}

impl Realized {
    /// The cloud realized on.
    pub fn cloud(&self) -> Cloud {
        match self {
            Realized::Aws(_) => Cloud::Aws,
            Realized::Gcp(_) => Cloud::Gcp,
            Realized::Azure(_) => Cloud::Azure,
        }
    }

    /// The AWS handles; `None` on another cloud.
    pub fn aws(&self) -> Option<&AwsPlatform> {
        match self {
            Realized::Aws(handles) => Some(handles),
            _ => None,
        }
    }

    /// The GCP handles; `None` on another cloud.
    pub fn gcp(&self) -> Option<&GcpPlatform> {
        match self {
            Realized::Gcp(handles) => Some(handles),
            _ => None,
        }
    }

    /// The Azure handles; `None` on another cloud.
    pub fn azure(&self) -> Option<&AzurePlatform> {
        match self {
            Realized::Azure(handles) => Some(handles),
            _ => None,
        }
    }
}

/// The Terraform logical name (and output name part) of a platform name:
/// `mlflow-artifacts` becomes `mlflow_artifacts`, because Terraform and the
/// Helm wiring read outputs by these names, so every cloud must spell them
/// alike.
pub(crate) fn logical(name: &str) -> String {
    name.replace('-', "_")
}

/// The empty stack every cloud's realization starts from: named
/// `<project>-<env>`, with the environment and the platform's default tags set,
/// and every cloud-neutral problem of `platform` already recorded.
pub fn new_stack(platform: &Platform) -> Stack {
    let mut stack = Stack::new(&platform.stack_name()).with_environment(platform.environment);
    for (key, value) in platform.default_tags() {
        stack.default_tag(&key, &value);
    }
    validate::validate(platform, &mut stack);
    stack
}
