//! Property tests: any platform description, however wrong, either synthesizes
//! output that passes the provider schema check on every cloud, or returns
//! errors. Never a panic.

mod common;

use std::collections::BTreeMap;

use proptest::prelude::*;

use infrasynth::helm::HelmSettings;
use infrasynth::platform::{
    self, Access, ApiAccess, BucketSpec, Capacity, NodePoolSpec, Platform, Size, WorkloadSpec,
};
use infrasynth::{Cloud, Environment};

fn size() -> impl Strategy<Value = Size> {
    prop_oneof![
        Just(Size::Small),
        Just(Size::Medium),
        Just(Size::Large),
        Just(Size::XLarge),
        Just(Size::XXLarge),
    ]
}

fn environment() -> impl Strategy<Value = Environment> {
    prop_oneof![
        Just(Environment::DEV),
        Just(Environment::STAGING),
        Just(Environment::PRODUCTION),
    ]
}

/// Names: mostly plausible, sometimes hostile.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z][a-z0-9-]{0,14}",
        1 => ".{0,70}",
        1 => "[a-z0-9.-]{0,70}",
    ]
}

fn cidr() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (0u8..=255, 0u8..=255, 8u8..=28).prop_map(|(a, b, len)| format!("10.{a}.{b}.0/{len}")),
        1 => "[0-9./]{0,20}",
    ]
}

fn pool() -> impl Strategy<Value = NodePoolSpec> {
    (
        name(),
        size(),
        any::<bool>(),
        0u32..4,
        0u32..6,
        0u32..12,
        proptest::option::of(1u32..3),
    )
        .prop_map(|(name, size, spot, min, desired, max, gpus)| NodePoolSpec {
            name,
            capacity: if spot {
                Capacity::Spot
            } else {
                Capacity::OnDemand
            },
            size,
            gpus,
            min_nodes: min,
            max_nodes: max,
            desired_nodes: desired,
            taints: Vec::new(),
            labels: BTreeMap::new(),
        })
}

fn platform_strategy() -> impl Strategy<Value = Platform> {
    (
        (name(), environment(), cidr(), 0u8..8, any::<bool>()),
        (
            size(),
            1u32..200,
            1u32..500,
            any::<bool>(),
            0u32..40,
            proptest::collection::vec(name(), 0..3),
        ),
        (size(), 0u8..6, any::<bool>()),
        (
            proptest::collection::vec(pool(), 0..4),
            proptest::collection::vec(cidr(), 0..2),
        ),
        proptest::collection::vec(
            (name(), any::<bool>(), proptest::option::of(0u32..400)),
            0..4,
        ),
    )
        .prop_map(|(net, db, cache, cluster, buckets)| {
            let (project, env, cidr, zones, single_nat) = net;
            let mut p = Platform::new(&project, env);
            p.network.cidr = cidr;
            p.network.zones = zones;
            p.network.single_nat_gateway = single_nat;
            let (size, storage, max_storage, ha, retention, databases) = db;
            p.database.size = size;
            p.database.storage_gb = storage;
            p.database.max_storage_gb = max_storage;
            p.database.high_availability = ha;
            p.database.backup_retention_days = retention;
            p.database.databases = databases.into_iter().map(|d| d.replace('-', "_")).collect();
            p.cache.size = cache.0;
            p.cache.replicas = cache.1;
            p.cache.high_availability = cache.2;
            if !cluster.0.is_empty() {
                p.cluster.pools = cluster.0;
            }
            if !cluster.1.is_empty() {
                p.cluster.api_access = ApiAccess::Restricted(cluster.1);
            }
            for (name, versioning, days) in buckets {
                p.buckets.push(BucketSpec {
                    name: name.clone(),
                    versioning,
                    archive_after_days: days,
                    expire_after_days: None,
                    noncurrent_expire_days: days,
                });
                p.workloads.push(WorkloadSpec {
                    name: format!("app-{}", p.workloads.len()),
                    namespace: "apps".into(),
                    service_account: format!("app-{}", p.workloads.len()),
                    buckets: vec![(name, Access::ReadWrite)],
                });
            }
            p
        })
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_platform_synthesizes_schema_clean_output_or_errors(p in platform_strategy()) {
        for cloud in Cloud::ALL {
            let (stack, _) = platform::realize(&p, cloud);
            let helm = HelmSettings::new()
                .with_image_registry("registry.acme.io/platform")
                .with_release("1.0.0")
                .with_domain("acme.io")
                .with_acme_contact("platform@acme.io");
            match infrasynth::app::finish(&p, cloud, &stack, &helm) {
                Ok(out) => {
                    let violations = common::schema_violations(out.main_tf_json());
                    prop_assert!(violations.is_empty(), "{cloud}: {violations:?}");
                }
                Err(diagnostics) => prop_assert!(diagnostics.has_errors()),
            }
        }
    }
}
