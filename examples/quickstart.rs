//! The smallest useful infrasynth program: describe a platform once, write it
//! for every cloud and environment.
//!
//! ```sh
//! cargo run --example quickstart -- out-quickstart
//! terraform -chdir=out-quickstart/shop/aws/dev init && terraform -chdir=out-quickstart/shop/aws/dev plan
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use infrasynth::app::{synth_to_dir, StackDefinition};
use infrasynth::helm::{HelmSettings, WorkloadSettings};
use infrasynth::platform::{Access, BucketSpec, Platform, WorkloadSpec};
use infrasynth::{Cloud, Environment};

/// The whole platform, sized per environment by `Platform::new`.
fn shop(env: Environment) -> Platform {
    let mut platform = Platform::new("shop", env);
    platform.network.cidr = "10.40.0.0/16".into();
    platform.database.databases = vec!["orders".into(), "catalog".into()];
    platform.buckets.push(BucketSpec {
        name: "uploads".into(),
        versioning: true,
        archive_after_days: Some(90),
        expire_after_days: None,
        noncurrent_expire_days: Some(30),
    });
    platform.workloads.push(WorkloadSpec {
        name: "api".into(),
        namespace: "shop".into(),
        service_account: "api".into(),
        databases: Vec::new(),
        uses_cache: false,
        buckets: vec![("uploads".into(), Access::ReadWrite)],
    });
    platform
}

/// Where the images come from, which release runs, the public zone and the
/// Let's Encrypt contact; the `api` workload is public at `api.<domain>`.
fn helm(_env: Environment) -> HelmSettings {
    HelmSettings::new()
        .with_image_registry("ghcr.io/shop")
        .with_release("1.0.0")
        .with_domain("shop.dev")
        .with_acme_contact("platform@shop.dev")
        .with_workload(
            "api",
            WorkloadSettings {
                public_host: Some("api".into()),
                database: Some("orders".into()),
                ..WorkloadSettings::default()
            },
        )
}

fn main() -> ExitCode {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "out-quickstart".into()),
    );
    let definition = StackDefinition::new("shop", shop)
        .description("a web shop")
        .helm(helm);
    let mut failed = false;
    for cloud in Cloud::ALL {
        for env in Environment::DEFAULTS {
            match synth_to_dir(&definition, cloud, env, &out) {
                Ok(report) => println!("{report}"),
                Err(failure) => {
                    eprintln!("{failure}");
                    failed = true;
                }
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
