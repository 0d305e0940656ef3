//! The retail recommender platform: its environments and its two stacks.
//!
//! - [`recommender`]: the production platform (ingest, training, the
//!   recommender API and batch scoring) with its buckets and databases.
//! - [`experiments`]: a smaller, separate platform where data scientists try
//!   models, with its own network, state and output directory.

pub mod experiments;
pub mod recommender;

use infrasynth::helm::HelmSettings;
use infrasynth::{Cloud, Environment, Tier};

/// What the Helm values of both stacks need beyond the infrastructure: the
/// team's registry, the release this crate deploys, the public zone and the
/// Let's Encrypt contact. The same in every environment; the tier picks
/// `latest` or the release and the host names.
pub fn helm_settings(_env: Environment) -> HelmSettings {
    HelmSettings::new()
        .with_image_registry("ghcr.io/retail")
        .with_release(env!("CARGO_PKG_VERSION"))
        .with_domain("retail.shop")
        .with_acme_contact("ml-platform@retail.shop")
}

/// Where the platform runs: two development environments, and production in
/// Europe and in the US, each in its own region.
pub fn environments() -> [Environment; 4] {
    [
        Environment::new("dev", Tier::Development),
        Environment::new("qa", Tier::Development),
        Environment::new("prod-eu", Tier::Production)
            .with_short_name("peu")
            .with_region(Cloud::Aws, "eu-west-1")
            .with_region(Cloud::Gcp, "europe-west1")
            .with_region(Cloud::Azure, "westeurope"),
        Environment::new("prod-us", Tier::Production)
            .with_short_name("pus")
            .with_region(Cloud::Aws, "us-east-1")
            .with_region(Cloud::Gcp, "us-central1")
            .with_region(Cloud::Azure, "eastus2"),
    ]
}
