//! AWS regions this library knows, with the letters of their availability zones.
//!
//! Zones are listed here instead of read with `data "aws_availability_zones"` so
//! synth stays offline and a plan needs no API call; the letters are those open
//! to every account (some accounts see other letters in us-west-1 and
//! ap-northeast-1). The zones `lookup aws` recorded for the account
//! ([`crate::aws::facts::AwsFacts`] on the stack) take precedence.

use super::facts::AwsFacts;
use crate::core::stack::Stack;

/// A known region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    name: &'static str,
    zones: &'static [char],
}

/// Every region with its zone letters.
pub const REGIONS: &[Region] = &[
    Region::known("us-east-1", &['a', 'b', 'c', 'd', 'e', 'f']),
    Region::known("us-east-2", &['a', 'b', 'c']),
    Region::known("us-west-1", &['a', 'c']),
    Region::known("us-west-2", &['a', 'b', 'c', 'd']),
    Region::known("ca-central-1", &['a', 'b', 'd']),
    Region::known("sa-east-1", &['a', 'b', 'c']),
    Region::known("eu-west-1", &['a', 'b', 'c']),
    Region::known("eu-west-2", &['a', 'b', 'c']),
    Region::known("eu-west-3", &['a', 'b', 'c']),
    Region::known("eu-central-1", &['a', 'b', 'c']),
    Region::known("eu-north-1", &['a', 'b', 'c']),
    Region::known("eu-south-1", &['a', 'b', 'c']),
    Region::known("ap-south-1", &['a', 'b', 'c']),
    Region::known("ap-southeast-1", &['a', 'b', 'c']),
    Region::known("ap-southeast-2", &['a', 'b', 'c']),
    Region::known("ap-northeast-1", &['a', 'c', 'd']),
    Region::known("ap-northeast-2", &['a', 'b', 'c', 'd']),
];

impl Region {
    const fn known(name: &'static str, zones: &'static [char]) -> Self {
        Region { name, zones }
    }

    /// The region named `name`, if known.
    ///
    /// ```
    /// use infrasynth::aws::Region;
    /// assert_eq!(Region::find("eu-west-1").unwrap().zone_count(), 3);
    /// assert!(Region::find("mars-north-1").is_none());
    /// ```
    pub fn find(name: &str) -> Option<Region> {
        REGIONS.iter().copied().find(|r| r.name == name)
    }

    /// The region `name`, or an error on `stack` naming `resource`'s `field`.
    pub fn resolve(stack: &mut Stack, resource: &str, field: &str, name: &str) -> Option<Region> {
        let found = Region::find(name);
        if found.is_none() {
            let known: Vec<&str> = REGIONS.iter().map(|r| r.name).collect();
            // The closest known name, or the first: a value that passes.
            let fix = crate::core::environment::closest(name, known.iter().copied())
                .unwrap_or_else(|| known[0].to_string());
            stack.error_with_fix(
                resource,
                field,
                &format!("`{name}` is not a known AWS region"),
                &format!("use one of: {}", known.join(", ")),
                &fix,
            );
        }
        found
    }

    /// The region's name, such as `us-east-1`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// How many zones the region has.
    pub fn zone_count(&self) -> usize {
        self.zones.len()
    }

    /// The first `count` zone names (`us-east-1a`, ...), or an error on `stack`
    /// naming `resource`'s `field` when the region has fewer.
    pub fn zones(
        &self,
        stack: &mut Stack,
        resource: &str,
        field: &str,
        count: usize,
    ) -> Option<Vec<String>> {
        // The account's own zones, when `lookup aws` recorded them for this
        // region: its letters may differ from the table's.
        let facts = stack
            .facts::<AwsFacts>()
            .and_then(|f| f.zone_names(self.name));
        if let Some(names) = facts {
            if (1..=names.len()).contains(&count) {
                return Some(names[..count].iter().map(|n| n.to_string()).collect());
            }
            let available = names.len();
            let listed = names.join(", ");
            stack.error_with_fix(
                resource,
                field,
                &format!(
                    "{count} availability zones requested, but {} has {available} available to this account ({listed}, per the context file)",
                    self.name
                ),
                &format!("use 1 to {available} zones in {}, or pick a region with more", self.name),
                &available.to_string(),
            );
            return None;
        }
        if count == 0 || count > self.zones.len() {
            stack.error_with_fix(
                resource,
                field,
                &format!(
                    "{count} availability zones requested, but {} has {}",
                    self.name,
                    self.zones.len()
                ),
                &format!(
                    "use 1 to {} zones in {}, or pick a region with more",
                    self.zones.len(),
                    self.name
                ),
                &self.zones.len().to_string(),
            );
            return None;
        }
        Some(
            self.zones[..count]
                .iter()
                .map(|letter| format!("{}{letter}", self.name))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_are_named_after_the_region() {
        let mut stack = Stack::new("t");
        let region = Region::find("us-east-2").unwrap();
        assert_eq!(
            region.zones(&mut stack, "vpc", "azs", 2).unwrap(),
            vec!["us-east-2a", "us-east-2b"]
        );
        assert!(stack.diagnostics().is_empty());
    }

    #[test]
    fn too_many_zones_is_an_error_naming_the_field() {
        let mut stack = Stack::new("t");
        let region = Region::find("us-west-1").unwrap();
        assert!(region.zones(&mut stack, "main", "azs", 3).is_none());
        let text = stack.diagnostics().to_string();
        assert!(text.contains("field `azs`"), "{text}");
        assert!(
            text.contains("3 availability zones requested, but us-west-1 has 2"),
            "{text}"
        );
        assert!(text.contains("use 1 to 2 zones"), "{text}");
    }

    #[test]
    fn unknown_region_lists_the_known_ones() {
        let mut stack = Stack::new("t");
        assert!(Region::resolve(&mut stack, "provider", "region", "us-north-9").is_none());
        let text = stack.diagnostics().to_string();
        assert!(text.contains("field `region`"), "{text}");
        assert!(
            text.contains("`us-north-9` is not a known AWS region"),
            "{text}"
        );
        assert!(text.contains("eu-west-1"), "{text}");
    }
}
