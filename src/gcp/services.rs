//! The Google APIs the platform calls, enabled on the project, so a fresh
//! project applies in one run instead of failing on "API not enabled".

use std::collections::BTreeMap;

use super::kind;
use super::project::Project;
use crate::core::block::Attributes;
use crate::core::reference::Ref;
use crate::core::stack::{Construct, Stack};

/// Enables APIs (`compute.googleapis.com`...) and returns them by name.
/// Disabling an API on destroy would break anything else in the project using
/// it, so they stay enabled.
///
/// ```
/// use infrasynth::gcp::services::ProjectServices;
/// use infrasynth::Stack;
/// let mut stack = Stack::new("demo");
/// let apis = stack.add(ProjectServices::new(&["compute.googleapis.com"]));
/// assert!(apis.contains_key("compute.googleapis.com"));
/// ```
pub struct ProjectServices {
    services: Vec<String>,
}

impl ProjectServices {
    /// The APIs named in `services`.
    pub fn new(services: &[&str]) -> Self {
        ProjectServices {
            services: services.iter().map(|s| s.to_string()).collect(),
        }
    }
}

impl Construct for ProjectServices {
    type Output = BTreeMap<String, Ref<kind::ProjectService>>;

    fn describe(&self) -> String {
        "gcp::ProjectServices".to_string()
    }

    fn build(self, stack: &mut Stack) -> Self::Output {
        let mut apis = BTreeMap::new();
        for service in self.services {
            if !service.ends_with(".googleapis.com") {
                stack.error(
                    &format!("google_project_service.{service}"),
                    "service",
                    &format!("`{service}` is not a Google API name"),
                    "use the API's service name, such as compute.googleapis.com",
                );
                continue;
            }
            let api = stack.resource::<kind::ProjectService>(
                &logical_name(&service),
                Attributes::new()
                    .set("project", Project::id())
                    .set("service", service.as_str())
                    .set("disable_on_destroy", false)
                    .set("disable_dependent_services", false),
            );
            apis.insert(service, api);
        }
        apis
    }
}

/// The logical name of the blocks about one Google API: `sqladmin` for
/// `sqladmin.googleapis.com`, `cloudkms` for `cloudkms.googleapis.com`.
pub(crate) fn logical_name(service: &str) -> String {
    service
        .trim_end_matches(".googleapis.com")
        .replace('.', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apis_stay_enabled_on_destroy() {
        let mut stack = Stack::new("t");
        let apis = stack.add(ProjectServices::new(&["sqladmin.googleapis.com"]));
        let api = &apis["sqladmin.googleapis.com"];
        assert_eq!(api.address().to_string(), "google_project_service.sqladmin");
        let block = stack.block(api.address()).unwrap();
        assert_eq!(block.get("disable_on_destroy"), Some(&false.into()));
    }

    #[test]
    fn names_that_are_not_apis_are_errors() {
        let mut stack = Stack::new("t");
        stack.add(ProjectServices::new(&["compute"]));
        let text = stack.diagnostics().to_string();
        assert!(
            text.contains("field `service`") && text.contains("compute.googleapis.com"),
            "{text}"
        );
    }
}
