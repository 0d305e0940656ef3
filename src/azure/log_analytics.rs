//! A Log Analytics workspace: where AKS container insights and Defender write.

use super::kind;
use super::resource_group::ResourceGroupHandle;
use crate::core::reference::Ref;
use crate::core::stack::{Construct, Stack};

/// A pay-per-GB workspace with a retention period and local (key) auth off.
pub struct LogAnalyticsWorkspace {
    logical_name: String,
    name: String,
    resource_group: ResourceGroupHandle,
    retention_days: u32,
}

impl LogAnalyticsWorkspace {
    /// A workspace `name`, keeping data 30 days by default.
    pub fn new(logical_name: &str, name: &str, resource_group: &ResourceGroupHandle) -> Self {
        LogAnalyticsWorkspace {
            logical_name: logical_name.to_string(),
            name: name.to_string(),
            resource_group: resource_group.clone(),
            retention_days: 30,
        }
    }

    /// Days of retention (30-730; the first 31 are included in the price).
    pub fn retention_days(mut self, days: u32) -> Self {
        self.retention_days = days;
        self
    }
}

impl Construct for LogAnalyticsWorkspace {
    type Output = Ref<kind::LogAnalyticsWorkspace>;

    fn describe(&self) -> String {
        format!("azure::LogAnalyticsWorkspace \"{}\"", self.logical_name)
    }

    fn build(self, stack: &mut Stack) -> Ref<kind::LogAnalyticsWorkspace> {
        if !(30..=730).contains(&self.retention_days) {
            stack.error(
                &self.logical_name,
                "retention_days",
                &format!("{} days is outside 30-730", self.retention_days),
                "keep logs 30 to 730 days",
            );
        }
        let rg = &self.resource_group;
        stack.resource::<kind::LogAnalyticsWorkspace>(
            &self.logical_name,
            rg.attributes_for(self.name.as_str())
                .set("sku", "PerGB2018")
                .set("retention_in_days", self.retention_days)
                .set("local_authentication_enabled", false)
                .tagged(),
        )
    }
}
