//! GCP regions and their zones, so a typo in a region or zone is a synth-time
//! error instead of an API error halfway through `terraform apply`.

use crate::core::diagnostics::InvalidValue;
use crate::core::stack::Stack;

/// Regions and the letters of their zones (`us-central1` -> `us-central1-a`...).
/// Zones are listed in the order the realization fills them.
const REGIONS: &[(&str, &[char])] = &[
    ("africa-south1", &['a', 'b', 'c']),
    ("asia-east1", &['a', 'b', 'c']),
    ("asia-east2", &['a', 'b', 'c']),
    ("asia-northeast1", &['a', 'b', 'c']),
    ("asia-northeast2", &['a', 'b', 'c']),
    ("asia-northeast3", &['a', 'b', 'c']),
    ("asia-south1", &['a', 'b', 'c']),
    ("asia-south2", &['a', 'b', 'c']),
    ("asia-southeast1", &['a', 'b', 'c']),
    ("asia-southeast2", &['a', 'b', 'c']),
    ("australia-southeast1", &['a', 'b', 'c']),
    ("australia-southeast2", &['a', 'b', 'c']),
    ("europe-central2", &['a', 'b', 'c']),
    ("europe-north1", &['a', 'b', 'c']),
    ("europe-southwest1", &['a', 'b', 'c']),
    ("europe-west1", &['b', 'c', 'd']),
    ("europe-west2", &['a', 'b', 'c']),
    ("europe-west3", &['a', 'b', 'c']),
    ("europe-west4", &['a', 'b', 'c']),
    ("europe-west6", &['a', 'b', 'c']),
    ("europe-west8", &['a', 'b', 'c']),
    ("europe-west9", &['a', 'b', 'c']),
    ("europe-west10", &['a', 'b', 'c']),
    ("europe-west12", &['a', 'b', 'c']),
    ("me-central1", &['a', 'b', 'c']),
    ("me-central2", &['a', 'b', 'c']),
    ("me-west1", &['a', 'b', 'c']),
    ("northamerica-northeast1", &['a', 'b', 'c']),
    ("northamerica-northeast2", &['a', 'b', 'c']),
    ("northamerica-south1", &['a', 'b', 'c']),
    ("southamerica-east1", &['a', 'b', 'c']),
    ("southamerica-west1", &['a', 'b', 'c']),
    ("us-central1", &['a', 'b', 'c', 'f']),
    ("us-east1", &['b', 'c', 'd']),
    ("us-east4", &['a', 'b', 'c']),
    ("us-east5", &['a', 'b', 'c']),
    ("us-south1", &['a', 'b', 'c']),
    ("us-west1", &['a', 'b', 'c']),
    ("us-west2", &['a', 'b', 'c']),
    ("us-west3", &['a', 'b', 'c']),
    ("us-west4", &['a', 'b', 'c']),
];

/// A known GCP region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    name: &'static str,
    zones: &'static [char],
}

impl Region {
    /// The region called `name`.
    ///
    /// # Errors
    ///
    /// [`InvalidValue`] naming the regions of the same family (`us-`, `europe-`...).
    ///
    /// ```
    /// use infrasynth::gcp::Region;
    /// let region = Region::parse("us-central1").unwrap();
    /// assert_eq!(region.zones(2), vec!["us-central1-a", "us-central1-b"]);
    /// assert!(Region::parse("us-central-1").is_err());
    /// ```
    pub fn parse(name: &str) -> Result<Region, InvalidValue> {
        REGIONS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(name, zones)| Region { name, zones })
            .ok_or_else(|| {
                let close: Vec<&str> = REGIONS
                    .iter()
                    .map(|(n, _)| *n)
                    .filter(|n| {
                        let family = name.split('-').next().unwrap_or(name);
                        n.starts_with(family)
                    })
                    .collect();
                let listed = if close.is_empty() {
                    "us-central1, us-east1, europe-west1, asia-southeast1, ...".to_string()
                } else {
                    close.join(", ")
                };
                InvalidValue::new(format!(
                    "`{name}` is not a GCP region; valid regions include: {listed}"
                ))
            })
    }

    /// The known region closest to `name` (edit distance), such as
    /// `us-central1` for `us-central9`: the value a hint suggests.
    pub fn closest(name: &str) -> Option<&'static str> {
        let found = crate::core::environment::closest(name, REGIONS.iter().map(|(n, _)| *n))?;
        REGIONS.iter().map(|(n, _)| *n).find(|n| *n == found)
    }

    /// `us-central1`, for builders to carry on with after a bad region was
    /// reported (so one mistake is not reported by every builder again).
    pub fn stand_in() -> Region {
        Region {
            name: "us-central1",
            zones: &['a', 'b', 'c', 'f'],
        }
    }

    /// The region's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// How many zones the region has.
    pub fn zone_count(&self) -> usize {
        self.zones.len()
    }

    /// The first `count` zones (fewer if the region has fewer).
    pub fn zones(&self, count: usize) -> Vec<String> {
        self.zones
            .iter()
            .take(count)
            .map(|z| format!("{}-{z}", self.name))
            .collect()
    }

    /// Every zone of the region.
    pub fn all_zones(&self) -> Vec<String> {
        self.zones(self.zones.len())
    }

    /// Checks that `zone` is a zone of this region.
    ///
    /// # Errors
    ///
    /// [`InvalidValue`] listing the region's zones.
    pub fn check_zone(&self, zone: &str) -> Result<(), InvalidValue> {
        if self.all_zones().iter().any(|z| z == zone) {
            Ok(())
        } else {
            Err(InvalidValue::new(format!(
                "`{zone}` is not a zone of {}; use one of: {}",
                self.name,
                self.all_zones().join(", ")
            )))
        }
    }

    /// The multi-region-free location string Cloud Storage uses (`US-CENTRAL1`).
    pub fn storage_location(&self) -> String {
        self.name.to_ascii_uppercase()
    }
}

/// Records an error on `field` of `resource` unless `zone` is a zone of
/// `region`, the region of the instance placed in it (Cloud SQL, Memorystore).
pub fn check_instance_zone(
    stack: &mut Stack,
    resource: &str,
    field: &str,
    zone: &str,
    region: &str,
) {
    match check_zone(zone) {
        Ok(zone_region) if zone_region.name() != region => stack.error(
            resource,
            field,
            &format!("zone `{zone}` is not in the instance's region {region}"),
            &format!("use a zone of {region}"),
        ),
        Ok(_) => {}
        Err(message) => stack.error(
            resource,
            field,
            &message.message,
            "use a zone of the instance's region",
        ),
    }
}

/// Checks a zone name on its own (region part and letter), for builders given a
/// zone without a region.
///
/// # Errors
///
/// [`InvalidValue`] when the region part or the zone letter is not GCP's.
pub fn check_zone(zone: &str) -> Result<Region, InvalidValue> {
    let Some((region, _)) = zone.rsplit_once('-') else {
        return Err(InvalidValue::new(format!(
            "`{zone}` is not a GCP zone; zones look like `us-central1-a`"
        )));
    };
    let region = Region::parse(region).map_err(|_| {
        InvalidValue::new(format!("`{zone}` is not a GCP zone: `{region}` is not a GCP region; zones look like `us-central1-a`"))
    })?;
    region.check_zone(zone)?;
    Ok(region)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_regions_list_the_family() {
        let err = Region::parse("europe-west99").unwrap_err();
        assert!(err.message.contains("europe-west1"), "{err}");
        let err = Region::parse("mars-north1").unwrap_err();
        assert!(err.message.contains("us-central1"), "{err}");
    }

    #[test]
    fn zones_follow_the_table() {
        let region = Region::parse("europe-west1").unwrap();
        assert_eq!(region.zones(1), vec!["europe-west1-b"]);
        assert_eq!(region.zone_count(), 3);
        assert!(region.check_zone("europe-west1-a").is_err());
        assert!(check_zone("us-central1-f").is_ok());
        assert!(check_zone("us-central1-z")
            .unwrap_err()
            .message
            .contains("us-central1-a"));
        assert!(check_zone("nowhere").is_err());
    }
}
