//! aws builders and the realization of the platform on aws.

use crate::core::stack::Stack;
use crate::platform::Platform;

/// Realizes `platform` on aws.
pub fn realize(platform: &Platform) -> Stack {
    crate::platform::unsupported(platform, crate::Cloud::Aws)
}
