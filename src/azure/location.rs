//! Azure locations: which names are valid and which have availability zones.

use crate::core::stack::Stack;

/// Public Azure locations (`az account list-locations` names) and whether each
/// has availability zones. Sorted by name.
const LOCATIONS: &[(&str, bool)] = &[
    ("australiacentral", false),
    ("australiaeast", true),
    ("australiasoutheast", false),
    ("austriaeast", true),
    ("belgiumcentral", true),
    ("brazilsouth", true),
    ("brazilsoutheast", false),
    ("canadacentral", true),
    ("canadaeast", false),
    ("centralindia", true),
    ("centralus", true),
    ("chilecentral", true),
    ("denmarkeast", true),
    ("eastasia", true),
    ("eastus", true),
    ("eastus2", true),
    ("francecentral", true),
    ("francesouth", false),
    ("germanynorth", false),
    ("germanywestcentral", true),
    ("indonesiacentral", true),
    ("israelcentral", true),
    ("italynorth", true),
    ("japaneast", true),
    ("japanwest", true),
    ("koreacentral", true),
    ("koreasouth", false),
    ("malaysiawest", true),
    ("mexicocentral", true),
    ("newzealandnorth", true),
    ("northcentralus", false),
    ("northeurope", true),
    ("norwayeast", true),
    ("norwaywest", false),
    ("polandcentral", true),
    ("qatarcentral", true),
    ("southafricanorth", true),
    ("southafricawest", false),
    ("southcentralus", true),
    ("southeastasia", true),
    ("southindia", false),
    ("spaincentral", true),
    ("swedencentral", true),
    ("switzerlandnorth", true),
    ("switzerlandwest", false),
    ("uaecentral", false),
    ("uaenorth", true),
    ("uksouth", true),
    ("ukwest", false),
    ("westcentralus", false),
    ("westeurope", true),
    ("westindia", false),
    ("westus", false),
    ("westus2", true),
    ("westus3", true),
];

/// Whether `location` is a known Azure location name.
pub fn is_known(location: &str) -> bool {
    LOCATIONS
        .binary_search_by(|(name, _)| name.cmp(&location))
        .is_ok()
}

/// Whether `location` has availability zones (`1`, `2`, `3`).
pub fn has_zones(location: &str) -> bool {
    LOCATIONS
        .binary_search_by(|(name, _)| name.cmp(&location))
        .map(|i| LOCATIONS[i].1)
        .unwrap_or(false)
}

/// The zone names to spread over: `zones` of `1..=3` where the location has
/// zones, none otherwise (regional resources).
pub fn zones(location: &str, zones: u8) -> Vec<String> {
    if zones <= 1 || !has_zones(location) {
        return Vec::new();
    }
    (1..=zones.min(3)).map(|z| z.to_string()).collect()
}

/// Records an error when `location` is not an Azure location, or when more
/// zones are asked for than it has; returns whether the location is valid.
pub fn check(stack: &mut Stack, resource: &str, location: &str, wanted_zones: u8) -> bool {
    if !is_known(location) {
        let close: Vec<&str> = LOCATIONS
            .iter()
            .map(|(name, _)| *name)
            .filter(|name| {
                let normalized = location.to_ascii_lowercase().replace([' ', '-', '_'], "");
                *name == normalized
                    || name.starts_with(&normalized.chars().take(4).collect::<String>())
            })
            .collect();
        let hint = if close.is_empty() {
            "use an Azure location name such as `westeurope`, `northeurope`, `eastus2` (lowercase, no spaces)".to_string()
        } else {
            format!(
                "use an Azure location name (lowercase, no spaces), for example: {}",
                close.join(", ")
            )
        };
        // The closest name by edit distance (`westeurope2` is `westeurope`,
        // not the first `west*` of the table), with zones when zones are
        // asked for.
        let normalized = location.to_ascii_lowercase().replace([' ', '-', '_'], "");
        let candidates = LOCATIONS
            .iter()
            .filter(|(_, zoned)| *zoned || wanted_zones <= 1)
            .map(|(name, _)| *name);
        let closest = crate::core::environment::closest(&normalized, candidates);
        let fix = closest
            .as_deref()
            .or(close.first().copied())
            .unwrap_or("westeurope");
        stack.error_with_fix(
            resource,
            "location",
            &format!("`{location}` is not an Azure location"),
            &hint,
            fix,
        );
        return false;
    }
    if wanted_zones > 3 {
        stack.error_with_fix(
            resource,
            "zones",
            &format!("{wanted_zones} zones requested, Azure regions have at most 3"),
            "use 1 to 3 zones",
            "3",
        );
    } else if wanted_zones > 1 && !has_zones(location) {
        stack.warning(
            resource,
            "zones",
            &format!("`{location}` has no availability zones; resources are regional"),
            "pick a location with zones (such as westeurope) for zone redundancy",
        );
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_for_binary_search() {
        assert!(LOCATIONS.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn zones_follow_the_location() {
        assert_eq!(zones("westeurope", 3), vec!["1", "2", "3"]);
        assert!(zones("westus", 3).is_empty());
        assert!(zones("westeurope", 1).is_empty());
    }

    #[test]
    fn unknown_location_is_an_error_naming_the_field() {
        let mut stack = Stack::new("t");
        assert!(!check(&mut stack, "resource_group", "West Europe", 1));
        let text = stack.diagnostics().to_string();
        assert!(text.contains("field `location`"), "{text}");
        assert!(text.contains("westeurope"), "{text}");
        assert!(check(&mut Stack::new("t"), "rg", "westeurope", 3));
    }

    #[test]
    fn more_than_three_zones_is_an_error() {
        let mut stack = Stack::new("t");
        check(&mut stack, "rg", "westeurope", 4);
        assert!(stack.diagnostics().has_errors());
    }
}
