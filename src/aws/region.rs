//! AWS regions this library knows, with the letters of their availability zones.
//!
//! Zones are listed here instead of read with `data "aws_availability_zones"` so
//! synth stays offline and a plan needs no API call; the letters are those open
//! to every account (some accounts see other letters in us-west-1 and
//! ap-northeast-1). The zones `lookup aws` recorded for the account
//! ([`crate::aws::facts::AwsFacts`] on the stack) take precedence.

use std::borrow::Cow;

use super::facts::AwsFacts;
use crate::core::stack::Stack;

/// A known region: one of the table's, or one the stack's live facts
/// ([`AwsFacts`], from `lookup aws`) are of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    name: Cow<'static, str>,
    // The table's letters; empty for a region known only from live facts,
    // whose zones come from the facts.
    zones: &'static [char],
}

/// Every region with its zone letters: the letters AWS's own
/// instance-type-offering data (as moto 5.2.5 ships it,
/// `moto/ec2/resources/instance_type_offerings/availability-zone/`) lists for
/// each region, and for mx-central-1 and ap-southeast-7 (newer than that
/// data) the three zones AWS announced at launch
/// (<https://aws.amazon.com/about-aws/global-infrastructure/regions_az/>).
/// Opt-in regions are included: an account that has not enabled one fails
/// at plan, with AWS's own message.
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
    Region::known("af-south-1", &['a', 'b', 'c']),
    Region::known("ap-east-1", &['a', 'b', 'c']),
    Region::known("ap-northeast-3", &['a', 'b', 'c']),
    Region::known("ap-south-2", &['a', 'b', 'c']),
    Region::known("ap-southeast-3", &['a', 'b', 'c']),
    Region::known("ap-southeast-4", &['a', 'b', 'c']),
    Region::known("ap-southeast-5", &['a', 'b', 'c']),
    Region::known("ap-southeast-7", &['a', 'b', 'c']),
    Region::known("ca-west-1", &['a', 'b', 'c']),
    Region::known("eu-central-2", &['a', 'b', 'c']),
    Region::known("eu-south-2", &['a', 'b', 'c']),
    Region::known("il-central-1", &['a', 'b', 'c']),
    Region::known("me-central-1", &['a', 'b', 'c']),
    Region::known("me-south-1", &['a', 'b', 'c']),
    Region::known("mx-central-1", &['a', 'b', 'c']),
];

impl Region {
    const fn known(name: &'static str, zones: &'static [char]) -> Self {
        Region {
            name: Cow::Borrowed(name),
            zones,
        }
    }

    /// The region named `name`, if known.
    ///
    /// ```
    /// use infrasynth::aws::Region;
    /// assert_eq!(Region::find("eu-west-1").unwrap().zone_count(), 3);
    /// assert!(Region::find("mars-north-1").is_none());
    /// ```
    pub fn find(name: &str) -> Option<Region> {
        REGIONS.iter().find(|r| r.name == name).cloned()
    }

    /// The region `name`, or an error on `stack` naming `resource`'s `field`.
    /// A region missing from the table is known when the stack's live facts
    /// (`lookup aws`, [`AwsFacts`]) are of it: a region newer than this
    /// table works once looked up.
    pub fn resolve(stack: &mut Stack, resource: &str, field: &str, name: &str) -> Option<Region> {
        let found = Region::find(name).or_else(|| {
            let looked_up = stack
                .facts::<AwsFacts>()
                .is_some_and(|f| f.region == name && !f.zones.is_empty());
            looked_up.then(|| Region {
                name: Cow::Owned(name.to_string()),
                zones: &[],
            })
        });
        if found.is_none() {
            let known: Vec<&str> = REGIONS.iter().map(|r| r.name()).collect();
            // The closest known name, or the first: a value that passes.
            let fix = crate::core::environment::closest(name, known.iter().copied())
                .unwrap_or_else(|| known[0].to_string());
            stack.error_with_fix(
                resource,
                field,
                &format!("`{name}` is not a known AWS region"),
                &format!(
                    "use one of: {}; or, for a region newer than this list, record its zones with `lookup aws <env>` (docs/lookups-and-drift.md)",
                    known.join(", ")
                ),
                &fix,
            );
        }
        found
    }

    /// The region's name, such as `us-east-1`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many zones the region has in the table (0 for a region known
    /// only from live facts).
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
            .and_then(|f| f.zone_names(&self.name));
        if let Some(names) = facts {
            // A hand-edited or damaged entry must not place subnets in
            // another region.
            if let Some(stray) = names.iter().find(|n| !n.starts_with(self.name.as_ref())) {
                let message = format!(
                    "the context file's zones for {} include `{stray}`, which is not in {}",
                    self.name, self.name
                );
                let hint = format!(
                    "run `{}` to record the region's zones again, or remove the stray zone from the context file",
                    crate::core::context::refresh_command(crate::core::environment::Cloud::Aws, stack)
                );
                stack.error(resource, field, &message, &hint);
                return None;
            }
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

    fn facts_of(region: &str, zones: &[&str]) -> AwsFacts {
        AwsFacts {
            region: region.to_string(),
            zones: zones
                .iter()
                .map(|z| crate::aws::facts::AvailabilityZone {
                    name: z.to_string(),
                    zone_id: format!("id-{z}"),
                })
                .collect(),
            ..AwsFacts::default()
        }
    }

    #[test]
    fn a_region_newer_than_the_table_is_known_from_its_looked_up_zones() {
        let mut stack = Stack::new("t");
        assert!(Region::resolve(&mut stack, "provider", "region", "xx-west-9").is_none());
        let mut stack = Stack::new("t");
        stack.insert_facts(facts_of("xx-west-9", &["xx-west-9a", "xx-west-9b"]));
        let region = Region::resolve(&mut stack, "provider", "region", "xx-west-9")
            .expect("known from the facts");
        assert_eq!(
            region.zones(&mut stack, "vpc", "zones", 2).unwrap(),
            vec!["xx-west-9a", "xx-west-9b"]
        );
        assert!(stack.diagnostics().is_empty(), "{}", stack.diagnostics());
    }

    #[test]
    fn a_zone_of_another_region_in_the_facts_is_an_error() {
        let mut stack = Stack::new("t");
        stack.insert_facts(facts_of("us-west-2", &["us-west-2a", "us-east-1d"]));
        let region = Region::find("us-west-2").unwrap();
        assert!(region.zones(&mut stack, "vpc", "zones", 2).is_none());
        let text = stack.diagnostics().to_string();
        assert!(
            text.contains("the context file's zones for us-west-2 include `us-east-1d`"),
            "{text}"
        );
    }

    #[test]
    fn every_commercial_region_of_aws_is_known() {
        // Regions AWS runs for everyone (opt-in ones included), per moto
        // 5.2.5's offering data and AWS's regions page.
        for name in [
            "af-south-1",
            "ap-east-1",
            "ap-northeast-3",
            "ap-south-2",
            "ap-southeast-3",
            "ap-southeast-4",
            "ap-southeast-5",
            "ap-southeast-7",
            "ca-west-1",
            "eu-central-2",
            "eu-south-2",
            "il-central-1",
            "me-central-1",
            "me-south-1",
            "mx-central-1",
        ] {
            assert_eq!(
                Region::find(name).map(|r| r.zone_count()),
                Some(3),
                "{name}"
            );
        }
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
