//! A separate, smaller platform for experiments: its own network and state,
//! so an experiment can never touch the recommender's resources.

use infrasynth::app::StackDefinition;
use infrasynth::platform::{Access, BucketSpec, Platform, WorkloadSpec};
use infrasynth::Environment;

/// The stack.
pub fn stack() -> StackDefinition {
    StackDefinition::new("experiments", platform)
        .description("notebooks and trial models")
        .helm(crate::helm_settings)
}

/// The platform in `env`.
pub fn platform(env: Environment) -> Platform {
    let mut p = Platform::new("retail-lab", env);
    p.network.cidr = "10.51.0.0/16".into();
    p.database.name = "lab".into();
    p.database.databases = vec!["notebooks".into()];
    p.buckets = vec![BucketSpec {
        name: "scratch".into(),
        versioning: false,
        archive_after_days: None,
        expire_after_days: Some(30),
        noncurrent_expire_days: None,
    }];
    p.workloads = vec![WorkloadSpec {
        name: "notebooks".into(),
        namespace: "lab".into(),
        service_account: "notebooks".into(),
        databases: Vec::new(),
        uses_cache: false,
        buckets: vec![("scratch".into(), Access::ReadWrite)],
    }];
    p
}
