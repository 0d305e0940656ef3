//! The reference ML platform: API server, model server, web UI, workers, MLflow
//! and monitoring on Kubernetes, with PostgreSQL, Redis and object storage.
//!
//! Described once, without naming a cloud; `infrasynth synth <cloud> <env>`
//! realizes it on AWS, GCP or Azure. Its own chart (`stacks/mlops/chart`)
//! gets its values from the hook in [`values`].

pub mod values;

use std::collections::BTreeMap;

use infrasynth::app::StackDefinition;
use infrasynth::helm::{ChartId, ChartSetting, HelmSettings};
use infrasynth::platform::{
    Access, ApiAccess, BucketSpec, CacheSpec, Capacity, ClusterSpec, DatabaseSpec, NetworkSpec,
    NodePoolSpec, Platform, Regions, Size, Taint, TaintEffect, WorkloadSpec,
};
use infrasynth::state::{AzurermBackend, GcsBackend, S3Backend, StateBackend};
use infrasynth::{Cloud, Environment};

/// The stack's definition for the CLI.
pub fn definition() -> StackDefinition {
    StackDefinition::new("mlops", platform)
        .description("ML platform: API, model server, web UI, workers, MLflow, monitoring")
        .helm(helm_settings)
        .state(state)
}

/// Where the state goes in `env` on `cloud`: local in development (a
/// throw-away environment), otherwise in storage of its own per environment
/// that `infrasynth bootstrap <cloud> <env>` creates. The keys inside are
/// derived (`mlops/<cloud>/<env>/...`); the names are the demo's own.
pub fn state(env: Environment, cloud: Cloud) -> StateBackend {
    if env.is_development() {
        return StateBackend::Local;
    }
    match cloud {
        Cloud::Aws => S3Backend::new(format!("mlops-tfstate-{env}"))
            .encrypt(true)
            .kms_key_id(format!("alias/mlops-tfstate-{env}"))
            .use_lockfile(true)
            .into(),
        Cloud::Gcp => GcsBackend::new(format!("mlops-tfstate-{env}")).into(),
        Cloud::Azure => AzurermBackend::new(
            format!("mlops-tfstate-{env}"),
            format!("mlopstfstate{}", env.short_name()),
            "tfstate",
        )
        // The public ranges Terraform runs from (CI runners, operators); a
        // documentation range stands in for the demo.
        .allow_ips(["203.0.113.0/24"])
        .into(),
    }
}

/// The Helm settings in `env`: the same registry, release, zone and ACME
/// contact everywhere (the tier picks `latest` or the release, and the host
/// names), and the `mlops` chart in place of the generic app chart.
pub fn helm_settings(_env: Environment) -> HelmSettings {
    let settings = HelmSettings::new()
        .with_image_registry("ghcr.io/mlops")
        .with_release("1.4.0")
        // The reference stack's demo zone; a real deployment names its own.
        .with_domain("mlops.example.com")
        .with_acme_contact("platform-team@mlops.dev")
        .with_display_name("MLOps")
        .with_chart(ChartId::App, ChartSetting::Replace(values::chart()));
    values::workload_settings()
        .into_iter()
        .fold(settings, |settings, (name, workload)| {
            settings.with_workload(name, workload)
        })
}

/// The platform in `env`.
pub fn platform(env: Environment) -> Platform {
    let production = env.is_production();
    Platform {
        project: "mlops".to_string(),
        environment: env,
        regions: Regions::default(),
        network: NetworkSpec {
            cidr: env
                .pick("10.10.0.0/16", "10.20.0.0/16", "10.30.0.0/16")
                .to_string(),
            zones: env.pick(2, 3, 3),
            single_nat_gateway: env.is_development(),
        },
        database: DatabaseSpec {
            name: "platform".to_string(),
            version: "16".to_string(),
            size: env.pick(Size::Small, Size::Medium, Size::Large),
            storage_gb: env.pick(20, 50, 100),
            max_storage_gb: env.pick(50, 200, 1000),
            high_availability: !env.is_development(),
            backup_retention_days: env.pick(1, 7, 14),
            deletion_protection: production,
            databases: vec!["mlflow".into(), "airflow".into(), "app".into()],
        },
        cache: CacheSpec {
            name: "cache".to_string(),
            version: "7.1".to_string(),
            size: env.pick(Size::Small, Size::Medium, Size::Large),
            replicas: env.pick(0, 1, 2),
            high_availability: !env.is_development(),
        },
        cluster: ClusterSpec {
            name: "main".to_string(),
            kubernetes_version: "1.35".to_string(),
            api_access: if production {
                ApiAccess::Private
            } else {
                // The office VPN egress range; never 0.0.0.0/0.
                ApiAccess::Restricted(vec!["203.0.113.0/24".to_string()])
            },
            pools: node_pools(env),
        },
        buckets: vec![
            bucket("mlflow-artifacts", None, Some(env.pick(7, 30, 90))),
            bucket("dvc-data", Some(90), Some(env.pick(7, 30, 90))),
            bucket("models", None, Some(env.pick(7, 30, 180))),
            BucketSpec {
                expire_after_days: Some(env.pick(14, 90, 365)),
                ..bucket("backups", Some(30), Some(30))
            },
        ],
        // Each workload declares the data it uses, and gets exactly that:
        // `airflow` is nobody's yet (its scheduler is not deployed here), and
        // `backup` writes object storage only.
        workloads: vec![
            workload(
                "api-server",
                &[("models", Access::Read), ("mlflow-artifacts", Access::Read)],
            )
            .database("app", Access::ReadWrite)
            .cache(),
            workload("model-server", &[("models", Access::Read)])
                .database("app", Access::Read)
                .cache(),
            workload(
                "worker",
                &[
                    ("dvc-data", Access::ReadWrite),
                    ("models", Access::ReadWrite),
                    ("mlflow-artifacts", Access::ReadWrite),
                ],
            )
            .database("app", Access::ReadWrite)
            .cache(),
            workload("mlflow", &[("mlflow-artifacts", Access::ReadWrite)])
                .database("mlflow", Access::ReadWrite),
            workload("backup", &[("backups", Access::ReadWrite)]),
        ],
        tags: BTreeMap::from([
            ("CostCenter".to_string(), "ml-platform".to_string()),
            ("Owner".to_string(), "platform-team".to_string()),
        ]),
    }
}

fn node_pools(env: Environment) -> Vec<NodePoolSpec> {
    let mut pools = vec![
        NodePoolSpec {
            name: "general".to_string(),
            capacity: Capacity::OnDemand,
            size: env.pick(Size::Large, Size::Large, Size::XLarge),
            gpus: None,
            min_nodes: env.pick(1, 3, 5),
            max_nodes: env.pick(3, 6, 20),
            desired_nodes: env.pick(2, 3, 5),
            taints: Vec::new(),
            labels: BTreeMap::from([("workload".to_string(), "general".to_string())]),
        },
        NodePoolSpec {
            name: "spot".to_string(),
            capacity: Capacity::Spot,
            size: Size::XLarge,
            gpus: None,
            min_nodes: 0,
            max_nodes: env.pick(3, 10, 30),
            desired_nodes: env.pick(0, 1, 2),
            taints: vec![Taint {
                key: "capacity".to_string(),
                value: "spot".to_string(),
                effect: TaintEffect::NoSchedule,
            }],
            labels: BTreeMap::from([("workload".to_string(), "batch".to_string())]),
        },
    ];
    if !env.is_development() {
        pools.push(NodePoolSpec {
            name: "gpu".to_string(),
            capacity: Capacity::OnDemand,
            size: Size::XLarge,
            gpus: Some(1),
            min_nodes: 0,
            max_nodes: env.pick(0, 2, 8),
            desired_nodes: 0,
            taints: vec![Taint {
                key: "nvidia.com/gpu".to_string(),
                value: "present".to_string(),
                effect: TaintEffect::NoSchedule,
            }],
            labels: BTreeMap::from([("workload".to_string(), "gpu".to_string())]),
        });
    }
    pools
}

fn bucket(name: &str, archive_after_days: Option<u32>, noncurrent: Option<u32>) -> BucketSpec {
    BucketSpec {
        name: name.to_string(),
        versioning: true,
        archive_after_days,
        expire_after_days: None,
        noncurrent_expire_days: noncurrent,
    }
}

fn workload(name: &str, buckets: &[(&str, Access)]) -> WorkloadSpec {
    WorkloadSpec {
        name: name.to_string(),
        namespace: "mlops".to_string(),
        service_account: name.to_string(),
        databases: Vec::new(),
        uses_cache: false,
        buckets: buckets
            .iter()
            .map(|(bucket, access)| (bucket.to_string(), *access))
            .collect(),
    }
}
