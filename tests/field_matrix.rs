//! Same field, same check on every cloud: each platform field, set to a
//! value, gives the same outcome (synthesizes, or fails naming the field) on
//! AWS, GCP and Azure, or the difference is one the clouds themselves make,
//! listed with its reason in docs/platform.md ("Where the clouds differ") and
//! asserted here.

mod common;

use infrasynth::platform::{self, Access, Platform, WorkloadSpec};
use infrasynth::{Cloud, Environment};

/// What a synth of one cloud gives: `Ok`, or `Err` with the text the error
/// must contain (the user's field).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Ok,
    Err(&'static str),
}
use Outcome::{Err as E, Ok as O};

/// The expected outcome: one for every cloud, or one per cloud (AWS, GCP,
/// Azure) with the reason's key in docs/platform.md.
enum Expect {
    Same(Outcome),
    Differs([Outcome; 3], &'static str),
}
use Expect::{Differs, Same};

struct Row {
    field: &'static str,
    value: &'static str,
    mutate: fn(&mut Platform),
    expect: Expect,
}

fn row(field: &'static str, value: &'static str, mutate: fn(&mut Platform), expect: Expect) -> Row {
    Row {
        field,
        value,
        mutate,
        expect,
    }
}

fn rows() -> Vec<Row> {
    vec![
        // Each cloud's release calendar on 2026-11-29 (aws::versions,
        // gcp::versions, azure::versions): 1.99 is on none.
        row(
            "cluster.kubernetes_version",
            "1.99",
            |p| p.cluster.kubernetes_version = "1.99".into(),
            Same(E("1.99")),
        ),
        row(
            "cluster.kubernetes_version",
            "1.33",
            |p| p.cluster.kubernetes_version = "1.33".into(),
            Differs([O, E("1.33"), E("1.33")], "support-calendar"),
        ),
        row(
            "cache.version",
            "bogus",
            |p| p.cache.version = "bogus".into(),
            Same(E("field `version`")),
        ),
        row(
            "cache.version",
            "8.0",
            |p| p.cache.version = "8.0".into(),
            Same(E("8.0")),
        ),
        row(
            "cache.version",
            "6.2",
            |p| p.cache.version = "6.2".into(),
            Differs(
                [
                    E("cannot authenticate users with IAM"),
                    O,
                    E("runs Redis 7.4"),
                ],
                "redis-versions",
            ),
        ),
        row(
            "cache.version",
            "7.4",
            |p| p.cache.version = "7.4".into(),
            Differs([O, E("not offered by Memorystore"), O], "redis-versions"),
        ),
        row(
            "database.version",
            "bogus",
            |p| p.database.version = "bogus".into(),
            Same(E("bogus")),
        ),
        row(
            "database.version",
            "14",
            |p| p.database.version = "14".into(),
            Differs([O, O, E("end of support")], "support-calendar"),
        ),
        row(
            "network.cidr",
            "10.0.0/16",
            |p| p.network.cidr = "10.0.0/16".into(),
            Same(E("field `cidr`")),
        ),
        row(
            "network.cidr",
            "10.0.0.0/24",
            |p| p.network.cidr = "10.0.0.0/24".into(),
            Same(E("field `cidr`")),
        ),
        row(
            "network.cidr",
            "10.0.0.0/8",
            |p| p.network.cidr = "10.0.0.0/8".into(),
            Same(E("field `cidr`")),
        ),
        row(
            "network.cidr",
            "100.64.0.0/16",
            |p| p.network.cidr = "100.64.0.0/16".into(),
            Same(E("field `cidr`")),
        ),
        // AKS's default service range: Azure moves its service range.
        row(
            "network.cidr",
            "172.16.0.0/16",
            |p| p.network.cidr = "172.16.0.0/16".into(),
            Same(O),
        ),
        row(
            "network.cidr",
            "192.168.0.0/16",
            |p| p.network.cidr = "192.168.0.0/16".into(),
            Same(O),
        ),
        row(
            "network.cidr",
            "10.0.0.0/20",
            |p| p.network.cidr = "10.0.0.0/20".into(),
            Differs([O, E("pods range"), O], "gke-pods-range"),
        ),
        row(
            "network.zones",
            "0",
            |p| p.network.zones = 0,
            Same(E("field `zones`")),
        ),
        row(
            "network.zones",
            "1 (HA on)",
            |p| p.network.zones = 1,
            Same(E("field `zones`")),
        ),
        row("network.zones", "2", |p| p.network.zones = 2, Same(O)),
        row(
            "network.zones",
            "4",
            |p| p.network.zones = 4,
            Differs([O, O, E("field `zones`")], "zone-count"),
        ),
        row(
            "network.zones",
            "7",
            |p| p.network.zones = 7,
            Same(E("field `zones`")),
        ),
        row(
            "pools.min_nodes",
            "> max",
            |p| {
                p.cluster.pools[0].min_nodes = 30;
            },
            Same(E("pools.general.desired_nodes")),
        ),
        row(
            "pools.desired_nodes",
            "> max",
            |p| p.cluster.pools[0].desired_nodes = 99,
            Same(E("pools.general.desired_nodes")),
        ),
        row(
            "pools.desired_nodes",
            "< min",
            |p| p.cluster.pools[0].desired_nodes = 0,
            Same(E("pools.general.desired_nodes")),
        ),
        row(
            "pools.max_nodes",
            "0",
            |p| {
                p.cluster.pools[1].max_nodes = 0;
                p.cluster.pools[1].desired_nodes = 0;
            },
            Same(E("pools.spot.desired_nodes")),
        ),
        row(
            "pools.gpus",
            "0",
            |p| p.cluster.pools[2].gpus = Some(0),
            Same(E("pools.gpu.gpus")),
        ),
        row(
            "pools.gpus",
            "2",
            |p| p.cluster.pools[2].gpus = Some(2),
            Same(O),
        ),
        row(
            "pools.gpus",
            "3",
            |p| p.cluster.pools[2].gpus = Some(3),
            Differs([O, E("guest_accelerator.count"), O], "gpu-shapes"),
        ),
        row(
            "pools.gpus",
            "9",
            |p| p.cluster.pools[2].gpus = Some(9),
            Same(E("gpu")),
        ),
        row(
            "pools.name",
            "generalpurpose",
            |p| p.cluster.pools[0].name = "generalpurpose".into(),
            Same(E("pools.generalpurpose.name")),
        ),
        row(
            "buckets.name",
            "Bad_Bucket",
            |p| {
                p.buckets
                    .push(infrasynth::platform::BucketSpec::new("Bad_Bucket"))
            },
            Same(E("bucket name `Bad_Bucket`")),
        ),
        // 63 characters: derived names are fitted.
        row(
            "buckets.name",
            "63 characters",
            |p| {
                p.buckets
                    .push(infrasynth::platform::BucketSpec::new(&"b".repeat(63)))
            },
            Same(O),
        ),
        row(
            "buckets.noncurrent_expire_days",
            "0",
            |p| p.buckets[0].noncurrent_expire_days = Some(0),
            Same(E("noncurrent_expire_days")),
        ),
        row(
            "buckets.expire_after_days",
            "0",
            |p| p.buckets[0].expire_after_days = Some(0),
            Same(E("expire_after_days")),
        ),
        row(
            "buckets.archive/expire",
            "1/1",
            |p| {
                p.buckets[0].archive_after_days = Some(1);
                p.buckets[0].expire_after_days = Some(1);
            },
            Same(O),
        ),
        row(
            "workloads.name",
            "Backup_Job",
            |p| {
                p.workloads[4].name = "Backup_Job".into();
            },
            Same(E("workloads.Backup_Job.name")),
        ),
        row(
            "workloads.name",
            "63 characters",
            |p| {
                p.workloads.push(
                    WorkloadSpec::new(&"w".repeat(63), "retail")
                        .database("app", Access::Read)
                        .cache(),
                );
            },
            Same(O),
        ),
        row(
            "workloads.buckets",
            "granted twice",
            |p| {
                p.workloads[4]
                    .buckets
                    .push(("backups".into(), infrasynth::platform::Access::Read));
            },
            Same(E("granted bucket `backups` twice")),
        ),
        row(
            "database.databases",
            "order items",
            |p| p.database.databases.push("order items".into()),
            Same(E("`order items`")),
        ),
        row(
            "database.databases",
            "Orders",
            |p| p.database.databases.push("Orders".into()),
            Same(E("`Orders`")),
        ),
        row(
            "database.storage_gb",
            "5",
            |p| p.database.storage_gb = 5,
            Same(E("storage_gb")),
        ),
        row(
            "database.name",
            "63 characters",
            |p| p.database.name = "d".repeat(63),
            Same(O),
        ),
        row(
            "cache.name",
            "63 characters",
            |p| p.cache.name = "r".repeat(63),
            Same(O),
        ),
        row(
            "cluster.name",
            "63 characters",
            |p| p.cluster.name = "c".repeat(63),
            Same(O),
        ),
        row(
            "cluster.name",
            "Main_Cluster",
            |p| p.cluster.name = "Main_Cluster".into(),
            Same(E("Main_Cluster")),
        ),
        // HA is a standby on every cloud; ElastiCache's is a replica.
        row(
            "cache.replicas",
            "0 (HA on)",
            |p| p.cache.replicas = 0,
            Same(O),
        ),
        row(
            "project",
            "ML_Platform",
            |p| p.project = "ML_Platform".into(),
            Same(E("field `project`")),
        ),
        row(
            "project",
            "20 characters",
            |p| p.project = "abcdefghijklmnopqrst".into(),
            Same(O),
        ),
        // Every derived name at its longest: each cloud's limits are met
        // by fitting (GCP service-account ids 30, Memorystore and GKE 40,
        // ElastiCache 40, IAM roles 64, RDS 63, Azure servers 63).
        row(
            "project + every name",
            "20 + 63 characters",
            |p| {
                p.project = "abcdefghijklmnopqrst".into();
                p.cluster.name = "c".repeat(63);
                p.cache.name = "r".repeat(63);
                p.database.name = "d".repeat(63);
                p.buckets
                    .push(infrasynth::platform::BucketSpec::new(&"b".repeat(63)));
                p.workloads.push(
                    WorkloadSpec::new(&"w".repeat(63), "retail")
                        .database("app", Access::Read)
                        .cache(),
                );
            },
            Same(O),
        ),
        row("tags", "CostCenter=ml-platform", |_| {}, Same(O)),
        row(
            "tags",
            "Team=Payments, team=platform",
            |p| {
                p.tags.insert("Team".into(), "Payments".into());
                p.tags.insert("team".into(), "platform".into());
            },
            Differs([O, E("tags.Team"), E("tags.Team")], "tag-case"),
        ),
        row(
            "tags",
            "9lives=x",
            |p| {
                p.tags.insert("9lives".into(), "x".into());
            },
            Differs([O, E("tags.9lives"), O], "gcp-labels"),
        ),
        row(
            "tags",
            "team/name=x",
            |p| {
                p.tags.insert("team/name".into(), "x".into());
            },
            Differs(
                [O, E("tags.team/name"), E("tags.team/name")],
                "tag-characters",
            ),
        ),
        row(
            "tags",
            "aws:owner=x",
            |p| {
                p.tags.insert("aws:owner".into(), "x".into());
            },
            Differs(
                [E("reserved for AWS"), E("tags.aws:owner"), O],
                "tag-characters",
            ),
        ),
        row(
            "tags",
            "Note=<100 characters>",
            |p| {
                p.tags.insert("note".into(), "n".repeat(100));
            },
            Differs([O, E("tags.note"), O], "gcp-labels"),
        ),
        row(
            "regions",
            "nowhere",
            |p| {
                p.regions.aws = "nowhere".into();
                p.regions.gcp = "nowhere".into();
                p.regions.azure = "nowhere".into();
            },
            Same(E("nowhere")),
        ),
    ]
}

fn outcome_of(platform: &Platform, cloud: Cloud) -> Result<(), String> {
    let (stack, _) = platform::realize_as_of(platform, cloud, common::SUPPORT_DATE);
    let helm = common::stacks::mlops::helm_settings(platform.environment);
    infrasynth::app::finish(platform, cloud, &stack, &helm)
        .map(|_| ())
        .map_err(|d| {
            d.errors()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        })
}

fn matches(expected: Outcome, got: &Result<(), String>) -> bool {
    match (expected, got) {
        (Outcome::Ok, Ok(())) => true,
        (Outcome::Err(text), Err(errors)) => !errors.is_empty() && errors.contains(text),
        _ => false,
    }
}

/// Every field x cloud, in production: the same outcome on all three
/// clouds, or the documented difference.
#[test]
fn every_field_is_checked_the_same_on_every_cloud() {
    let docs = std::fs::read_to_string(common::root().join("docs/platform.md")).unwrap();
    let mut failures = Vec::new();
    let mut table = vec!["| field | value | AWS | GCP | Azure | reason |".to_string()];
    table.push("|---|---|---|---|---|---|".to_string());
    for row in rows() {
        let mut p = common::stacks::mlops::platform(Environment::PRODUCTION);
        (row.mutate)(&mut p);
        let expected = match row.expect {
            Same(outcome) => [outcome; 3],
            Differs(outcomes, reason) => {
                assert!(
                    docs.contains(&format!("`{reason}`")),
                    "reason `{reason}` of {} = {} is not in docs/platform.md",
                    row.field,
                    row.value
                );
                outcomes
            }
        };
        let mut cells = Vec::new();
        for (cloud, want) in Cloud::ALL.into_iter().zip(expected) {
            let got = outcome_of(&p, cloud);
            cells.push(if got.is_ok() { "ok" } else { "error" });
            if !matches(want, &got) {
                failures.push(format!(
                    "{} = {} on {cloud}: expected {want:?}, got {got:?}",
                    row.field, row.value
                ));
            }
        }
        let reason = match row.expect {
            Same(_) => "",
            Differs(_, reason) => reason,
        };
        table.push(format!(
            "| {} | {} | {} | {} | {} | {reason} |",
            row.field, row.value, cells[0], cells[1], cells[2]
        ));
    }
    println!("{}", table.join("\n"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The issue's case: a 18-character project and a workload whose derived
/// GCP service-account id (`retail-recommender-prd-recommender-api`, 38
/// characters) is longer than IAM's 30 synthesizes on every cloud in every
/// environment; the id is fitted to 30 with a stable hash suffix.
#[test]
fn long_derived_names_fit_every_cloud_in_every_environment() {
    for env in Environment::DEFAULTS {
        let mut p = common::stacks::mlops::platform(env);
        p.project = "retail-recommender".into();
        p.workloads.push(
            WorkloadSpec::new("recommender-api", "retail")
                .database("app", Access::Read)
                .cache(),
        );
        for cloud in Cloud::ALL {
            if let Err(errors) = outcome_of(&p, cloud) {
                panic!("{cloud} {env}: {errors}");
            }
        }
        let (stack, _) = platform::realize_as_of(&p, Cloud::Gcp, common::SUPPORT_DATE);
        let json = stack
            .synth()
            .expect("synthesizes")
            .main_tf_json()
            .to_string();
        let id = infrasynth::core::naming::fit(
            &format!("retail-recommender-{}-recommender-api", env.short_name()),
            30,
        );
        assert!((6..=30).contains(&id.len()), "{id}");
        assert!(
            json.contains(&format!("\"account_id\": \"{id}\"")),
            "{id} not in the document"
        );
    }
}
