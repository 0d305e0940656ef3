//! The recommender platform: events are ingested into `raw-events`, the
//! trainer turns them into `features` and models in `model-registry`, the
//! API serves recommendations and the batch scorer precomputes them.

use infrasynth::app::{Customize, StackDefinition};
use infrasynth::aws::iam::{PolicyDocument, Statement};
use infrasynth::helm::{Deferred, FromOutput, HelmSettings, Weight, WorkloadSettings};
use infrasynth::platform::{Access, BucketSpec, Platform, WorkloadSpec};
use infrasynth::{aws, Attributes, Cloud, Environment};

/// The output holding the URL of ingest's events queue (AWS).
pub const EVENTS_QUEUE_OUTPUT: &str = "ingest_events_queue_url";

/// The Kubernetes namespace of every workload.
pub const NAMESPACE: &str = "recsys";

/// The stack.
pub fn stack() -> StackDefinition {
    StackDefinition::new("recommender", platform)
        .description("ingest, trainer, recommender API and batch scorer")
        .customize(ingest_events_queue)
        .helm_per_cloud(helm)
}

/// The Helm settings: the API is public at `recs.<domain>` (the
/// `features` database it reads is the platform spec's); the batch scorer is heavy and serves nothing; on AWS
/// `ingest` gets the URL of its events queue (an output the customize hook
/// declares there).
fn helm(env: Environment, cloud: Cloud) -> HelmSettings {
    let mut ingest = WorkloadSettings::default();
    if cloud == Cloud::Aws {
        ingest.env.insert(
            "EVENTS_QUEUE_URL".into(),
            Deferred::Output(FromOutput::string(EVENTS_QUEUE_OUTPUT)),
        );
    }
    crate::helm_settings(env)
        .with_workload("ingest", ingest)
        .with_workload(
            "recommender-api",
            WorkloadSettings {
                public_host: Some("recs".into()),
                ..WorkloadSettings::default()
            },
        )
        .with_workload(
            "batch-scorer",
            WorkloadSettings {
                service: false,
                weight: Weight::Heavy,
                ..WorkloadSettings::default()
            },
        )
}

/// On AWS, the SQS queue `ingest` publishes click events to, encrypted with
/// the platform's storage key, and `sqs:SendMessage` on it for the `ingest`
/// workload's role only: reached through the realized handles, no address
/// strings. (GCP and Azure get Pub/Sub and Service Bus in the same way.)
fn ingest_events_queue(ctx: &mut Customize<'_>) {
    let Some(aws) = ctx.realized.aws() else {
        return;
    };
    let stack = &mut *ctx.stack;
    let queue = stack.raw_resource(
        "aws_sqs_queue",
        "ingest_events",
        Attributes::new()
            .set(
                "name",
                format!("{}-ingest-events", ctx.platform.name_prefix()),
            )
            .set("kms_master_key_id", aws.keys.storage.arn())
            .set("message_retention_seconds", 4 * 24 * 3600),
    );
    let send = PolicyDocument::new()
        .statement(
            Statement::allow(&["sqs:SendMessage"])
                .sid("SendIngestEvents")
                .on(queue.attr::<String>("arn")),
        )
        .statement(
            Statement::allow(&["kms:GenerateDataKey", "kms:Decrypt"])
                .sid("EncryptIngestEvents")
                .on(aws.keys.storage.arn()),
        )
        .to_data_source(stack, "ingest_events_send");
    let ingest = &aws.workloads["ingest"];
    stack.resource::<aws::kind::IamRolePolicy>(
        "workload_ingest_events",
        Attributes::new()
            .set("name", "ingest-events")
            .set("role", ingest.role.id())
            .set("policy", send),
    );
    stack.output(
        EVENTS_QUEUE_OUTPUT,
        queue.attr::<String>("url"),
        "SQS queue the ingest workload publishes click events to",
    );
}

/// The platform in `env`.
pub fn platform(env: Environment) -> Platform {
    let mut p = Platform::new("retail", env);
    p.network.cidr = "10.50.0.0/16".into();
    p.database.name = "orders".into();
    p.database.databases = vec!["orders".into(), "features".into()];
    p.buckets = vec![
        bucket(
            "raw-events",
            Some(30),
            env.pick(Some(14), Some(90), Some(365)),
        ),
        bucket("features", None, None),
        bucket("model-registry", None, None),
    ];
    p.workloads = vec![
        // The data each uses, and nothing more: `ingest` writes orders,
        // `trainer` writes features, the API reads features and caches,
        // the scorer reads features.
        workload("ingest", &[("raw-events", Access::ReadWrite)])
            .database("orders", Access::ReadWrite),
        workload(
            "trainer",
            &[
                ("raw-events", Access::Read),
                ("features", Access::ReadWrite),
                ("model-registry", Access::ReadWrite),
            ],
        )
        .database("features", Access::ReadWrite)
        .database("orders", Access::Read),
        workload("recommender-api", &[("model-registry", Access::Read)])
            .database("features", Access::Read)
            .cache(),
        workload(
            "batch-scorer",
            &[("features", Access::Read), ("model-registry", Access::Read)],
        )
        .database("features", Access::Read),
    ];
    p.tags.insert("Team".into(), "recsys".into());
    p
}

fn bucket(name: &str, archive: Option<u32>, expire: Option<u32>) -> BucketSpec {
    BucketSpec {
        name: name.into(),
        versioning: true,
        archive_after_days: archive,
        expire_after_days: expire,
        noncurrent_expire_days: Some(30),
    }
}

fn workload(name: &str, buckets: &[(&str, Access)]) -> WorkloadSpec {
    WorkloadSpec {
        name: name.into(),
        namespace: NAMESPACE.into(),
        service_account: name.into(),
        databases: Vec::new(),
        uses_cache: false,
        buckets: buckets.iter().map(|(b, a)| (b.to_string(), *a)).collect(),
    }
}
