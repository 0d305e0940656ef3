//! The provider schemas shipped in the binary (`providers/<name>/schema.json`:
//! the types infrasynth emits, extracted from hashicorp/aws 5.100.0 and the
//! rebuilt google 6.50.0 and azurerm 4.55.0 schemas), parsed on first use.

use std::sync::OnceLock;

use super::ProviderSchema;
use crate::core::environment::Cloud;

const AWS: &str = include_str!("../../providers/aws/schema.json");
const GOOGLE: &str = include_str!("../../providers/google/schema.json");
const AZURERM: &str = include_str!("../../providers/azurerm/schema.json");

/// The provider's local name and the prefix of its types for `cloud`:
/// (`aws`, `aws_`), (`google`, `google_`), (`azurerm`, `azurerm_`).
pub fn provider_of(cloud: Cloud) -> (&'static str, &'static str) {
    match cloud {
        Cloud::Aws => ("aws", "aws_"),
        Cloud::Gcp => ("google", "google_"),
        Cloud::Azure => ("azurerm", "azurerm_"),
    }
}

/// The bundled schema of `cloud`'s provider. It covers the resource and
/// data source types infrasynth's builders emit (`providers/<name>/resources.txt`);
/// another type is unknown to it, not necessarily to the provider.
pub fn bundled(cloud: Cloud) -> &'static ProviderSchema {
    static SCHEMAS: [OnceLock<ProviderSchema>; 3] =
        [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let (slot, text) = match cloud {
        Cloud::Aws => (&SCHEMAS[0], AWS),
        Cloud::Gcp => (&SCHEMAS[1], GOOGLE),
        Cloud::Azure => (&SCHEMAS[2], AZURERM),
    };
    slot.get_or_init(|| {
        // The files are checked in and parsed by the tests: a failure here is
        // a broken build, not bad input.
        let json = serde_json::from_str(text).expect("bundled provider schema is JSON");
        ProviderSchema::from_json(&json).expect("bundled provider schema has resource_schemas")
    })
}
