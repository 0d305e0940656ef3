//! gcp builders and the realization of the platform on gcp.

use crate::core::stack::Stack;
use crate::platform::Platform;

/// Realizes `platform` on gcp.
pub fn realize(platform: &Platform) -> Stack {
    crate::platform::unsupported(platform, crate::Cloud::Gcp)
}
