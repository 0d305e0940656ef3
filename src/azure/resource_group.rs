//! The resource group holding one stack's resources in one location.

use super::kind;
use super::location;
use crate::core::block::Attributes;
use crate::core::reference::{Attr, Name, Ref};
use crate::core::stack::{Construct, Stack};
use crate::core::value::Value;

/// A tagged resource group in a checked location.
///
/// ```
/// use infrasynth::azure::ResourceGroup;
/// use infrasynth::Stack;
/// let mut stack = Stack::new("demo");
/// let rg = stack.add(ResourceGroup::new("main", "mlops-dev-westeurope", "westeurope"));
/// assert_eq!(rg.location, "westeurope");
/// ```
pub struct ResourceGroup {
    logical_name: String,
    name: String,
    location: String,
    zones: u8,
}

/// What other builders need from a resource group.
#[derive(Clone, Debug)]
pub struct ResourceGroupHandle {
    /// The resource group.
    pub resource: Ref<kind::ResourceGroup>,
    /// Its name, for `resource_group_name` of everything inside it.
    pub name: Attr<Name<kind::ResourceGroup>>,
    /// Its location, for `location` of everything inside it.
    pub location: String,
}

impl ResourceGroupHandle {
    /// The attributes every resource in the group starts from: its `name`, the
    /// group's `location` and `resource_group_name`, so nothing lands in
    /// another location than its group by accident.
    pub fn attributes_for(&self, name: impl Into<Value>) -> Attributes {
        Attributes::new()
            .set("name", name)
            .set("location", self.location.as_str())
            .set("resource_group_name", &self.name)
    }
}

impl ResourceGroup {
    /// A resource group `name` in `location`.
    pub fn new(logical_name: &str, name: &str, location: &str) -> Self {
        ResourceGroup {
            logical_name: logical_name.to_string(),
            name: name.to_string(),
            location: location.to_string(),
            zones: 1,
        }
    }

    /// How many zones the stack spreads over (checked against the location).
    pub fn zones(mut self, zones: u8) -> Self {
        self.zones = zones;
        self
    }
}

impl Construct for ResourceGroup {
    type Output = ResourceGroupHandle;

    fn describe(&self) -> String {
        format!("azure::ResourceGroup \"{}\"", self.logical_name)
    }

    fn build(self, stack: &mut Stack) -> ResourceGroupHandle {
        location::check(stack, &self.logical_name, &self.location, self.zones);
        let valid_name = !self.name.is_empty()
            && self.name.len() <= 90
            && !self.name.ends_with('.')
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.()".contains(c));
        if !valid_name {
            stack.error(
                &self.logical_name,
                "name",
                &format!("`{}` is not a valid resource group name", self.name),
                "use 1-90 letters, digits, `-`, `_`, `.`, `(`, `)`, not ending with `.`",
            );
        }
        let resource = stack.resource::<kind::ResourceGroup>(
            &self.logical_name,
            Attributes::new()
                .set("name", self.name.as_str())
                .set("location", self.location.as_str())
                .tagged(),
        );
        ResourceGroupHandle {
            name: resource.name(),
            resource,
            location: self.location,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_location() {
        let mut stack = Stack::new("t");
        stack.default_tag("Project", "p");
        stack.add(ResourceGroup::new("main", "p-dev-westeurope", "westeurope"));
        let json = String::from_utf8(stack.render_json()).unwrap();
        assert!(json.contains("\"Project\": \"p\""), "{json}");
        assert!(json.contains("\"location\": \"westeurope\""), "{json}");
        assert!(!stack.diagnostics().has_errors());
    }

    #[test]
    fn invalid_location_is_reported() {
        let mut stack = Stack::new("t");
        stack.add(ResourceGroup::new("main", "p", "europe-west1"));
        let text = stack.diagnostics().to_string();
        assert!(
            text.contains("`europe-west1` is not an Azure location"),
            "{text}"
        );
        assert!(text.contains("field `location`"), "{text}");
    }
}
