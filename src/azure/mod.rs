//! azure builders and the realization of the platform on azure.

use crate::core::stack::Stack;
use crate::platform::Platform;

/// Realizes `platform` on azure.
pub fn realize(platform: &Platform) -> Stack {
    crate::platform::unsupported(platform, crate::Cloud::Azure)
}
