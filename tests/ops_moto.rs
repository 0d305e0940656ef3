//! Operating a stack over time (issue 11), against the real Terraform 1.11
//! and hashicorp/aws 5.100.0 on a local moto server, with stacks built from
//! the public API as a user's crate builds them:
//!
//! - a bucket's logical name renamed with `moved` blocks: the plan destroys
//!   nothing;
//! - a bucket made out of band (boto3) adopted with an `import` block: the
//!   plan imports it and the apply keeps it;
//! - a bucket given up with `removed` (`destroy = false`): it leaves the state
//!   and still exists;
//! - `aws::Postgres` applied on 15, then moved to 16 by one edit: the plan
//!   creates the postgres16 parameter group before it deletes the postgres15
//!   one the instance uses, and the instance update allows the major upgrade.
//!
//! moto accepts whatever order Terraform uses, so what is checked is the
//! order in Terraform's own saved plan (`terraform show -json`).
//!
//! The two tests run side by side, each with its own moto server and
//! directory. Each step prints what Terraform showed (`ops on moto: ...`).
//! Tearing down a development environment whose buckets hold objects is
//! checked by `scripts/e2e-aws.sh` on the whole reference stack.
//!
//! Needs `terraform` on PATH with hashicorp/aws in /opt/tf-plugins and a
//! Python with moto[server] and boto3 (`scripts/install-tools.sh`); without
//! them the tests print `SKIPPED` and pass, unless `CI` is set, where they
//! fail.

mod common;

use std::path::PathBuf;
use std::time::Instant;

use infrasynth::app::write;
use infrasynth::aws::{
    AwsProvider, Bucket, BucketHandle, DatabaseNetwork, KmsKey, KmsKeyHandle, Postgres,
    PostgresProps, Vpc,
};
use infrasynth::{Environment, Stack};
use serde_json::{json, Value as Json};

use common::moto::{provider_override, python, Moto};
use common::{skip, terraform, terraform_status, PLUGIN_DIR, SUPPORT_DATE};

/// Dummy credentials for the provider and anything it reads from the
/// environment; the override points every service at moto.
const ENV: [(&str, &str); 2] = [
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
];

/// A stack directory applied against one moto server.
struct Workspace {
    dir: PathBuf,
    moto: Moto,
}

/// What a saved plan does, counted from `terraform show -json`'s
/// `resource_changes`.
#[derive(Debug, Default, PartialEq, Eq)]
struct PlanCounts {
    /// `plan -detailed-exitcode`: 0 nothing to do, 2 changes.
    exit: i32,
    add: usize,
    change: usize,
    destroy: usize,
    import: usize,
    moved: usize,
    forget: usize,
}

impl std::fmt::Display for PlanCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "plan exit {}: {} to add, {} to change, {} to destroy, {} to import, {} moved, {} to forget",
            self.exit, self.add, self.change, self.destroy, self.import, self.moved, self.forget
        )
    }
}

fn counts(exit: i32, plan: &Json) -> PlanCounts {
    let mut counts = PlanCounts {
        exit,
        ..PlanCounts::default()
    };
    for change in plan["resource_changes"].as_array().into_iter().flatten() {
        let actions: Vec<&str> = change["change"]["actions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Json::as_str)
            .collect();
        for action in &actions {
            match *action {
                "create" => counts.add += 1,
                "update" => counts.change += 1,
                "delete" => counts.destroy += 1,
                "forget" => counts.forget += 1,
                _ => {}
            }
        }
        if change["change"]["importing"].is_object() {
            counts.import += 1;
        }
        if change["previous_address"].is_string() {
            counts.moved += 1;
        }
    }
    counts
}

impl Workspace {
    /// A fresh directory and moto server, or `None` (reported through
    /// [`skip`]) when a tool is missing.
    fn start(name: &str) -> Option<Workspace> {
        if !common::terraform_available() {
            return None;
        }
        let Some(python) = python() else {
            skip("no Python with moto[server] and boto3 (scripts/install-tools.sh)");
            return None;
        };
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join("ops-moto")
            .join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        let moto = Moto::start(&python, &dir.with_extension("moto.log"));
        Some(Workspace { dir, moto })
    }

    /// Synthesizes `stack` into the directory (replacing the previous
    /// document), with the test-only override pointing the provider at moto.
    fn write(&self, stack: Stack) {
        let out = stack.synth().unwrap_or_else(|d| panic!("{d}"));
        write(&self.dir, &out).expect("write the stack");
        std::fs::write(
            self.dir.join("zz_moto_override.tf.json"),
            provider_override(&self.moto.endpoint, Json::Null),
        )
        .expect("write the override");
    }

    fn terraform(&self, args: &[&str]) -> String {
        let (ok, text) = terraform(&self.dir, args, &ENV);
        assert!(ok, "terraform {args:?} failed:\n{text}");
        text
    }

    fn init(&self) {
        let plugin_dir = format!("-plugin-dir={PLUGIN_DIR}");
        self.terraform(&["init", "-input=false", "-no-color", &plugin_dir]);
    }

    /// `plan -detailed-exitcode -out`, then the saved plan as JSON.
    fn plan(&self) -> (PlanCounts, Json) {
        let args = [
            "plan",
            "-input=false",
            "-no-color",
            "-detailed-exitcode",
            "-out=tfplan",
        ];
        let (code, text) = terraform_status(&self.dir, &args, &ENV);
        let exit = match code {
            Some(code @ (0 | 2)) => code,
            _ => panic!("terraform plan failed ({code:?}):\n{text}"),
        };
        let shown = self.terraform(&["show", "-json", "tfplan"]);
        let plan: Json = serde_json::from_str(&shown).expect("plan JSON");
        (counts(exit, &plan), plan)
    }

    /// Applies the saved plan and returns Terraform's closing line.
    fn apply(&self) -> String {
        let text = self.terraform(&["apply", "-input=false", "-no-color", "tfplan"]);
        text.lines()
            .find(|l| l.starts_with("Apply complete!"))
            .unwrap_or_default()
            .to_string()
    }

    /// Applies `stack` from nothing (one `apply -auto-approve`: every
    /// Terraform run starts the provider, which is most of a step's time
    /// here), returning the closing line.
    fn apply_fresh(&self, stack: Stack) -> String {
        self.write(stack);
        self.init();
        let text = self.terraform(&["apply", "-input=false", "-no-color", "-auto-approve"]);
        text.lines()
            .find(|l| l.starts_with("Apply complete!"))
            .unwrap_or_default()
            .to_string()
    }

    fn state_list(&self) -> Vec<String> {
        self.terraform(&["state", "list"])
            .lines()
            .map(str::to_string)
            .collect()
    }
}

fn say(line: &str) {
    println!("ops on moto: {line}");
}

/// The address changes of every resource in a plan, as `address: actions`.
fn changes(plan: &Json) -> Vec<String> {
    plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| format!("{}: {}", c["address"], c["change"]["actions"]))
        .collect()
}

// ---------------------------------------------------------------------------
// Refactors: moved, import, removed
// ---------------------------------------------------------------------------

/// The refactor steps, each building on the one before.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Refactor {
    /// `uploads` and `scratch`, as first applied.
    Before,
    /// `uploads` renamed to `media`, with the builder's `moved` blocks.
    Renamed,
    /// A bucket made by hand adopted as `reports` with an `import` block.
    Imported,
    /// `scratch` given up with `removed` blocks that keep the bucket.
    Removed,
}

const MEDIA: &str = "ops-media-7f3a";
const SCRATCH: &str = "ops-scratch-7f3a";
const REPORTS: &str = "ops-reports-7f3a";

/// A bucket as the refactor stack makes it. moto keeps no EventBridge
/// setting on bucket notifications (it reads back `eventbridge = false`, a
/// change on every plan), so these buckets send no events, keeping each
/// plan's counts to what the step itself does.
fn bucket(stack: &mut Stack, logical: &str, name: &str, key: &KmsKeyHandle) -> BucketHandle {
    stack.add(Bucket::new(logical, name, key.arn()).eventbridge_notifications(false))
}

fn refactor_stack(step: Refactor) -> Stack {
    let mut stack = Stack::new("ops")
        .with_environment(Environment::DEV)
        .with_support_date(SUPPORT_DATE);
    stack.add(AwsProvider::new("us-east-1"));
    let key = stack.add(KmsKey::new("storage", "ops-storage"));
    // The real bucket keeps its name; only the logical name changes.
    let logical = if step == Refactor::Before {
        "uploads"
    } else {
        "media"
    };
    let media = bucket(&mut stack, logical, MEDIA, &key);
    if step >= Refactor::Renamed {
        media.moved_from(&mut stack, "uploads");
    }
    if step >= Refactor::Imported {
        let reports = bucket(&mut stack, "reports", REPORTS, &key);
        stack.import(&reports.bucket, REPORTS);
    }
    if step >= Refactor::Removed {
        Bucket::removed(&mut stack, "scratch", false);
    } else {
        bucket(&mut stack, "scratch", SCRATCH, &key);
    }
    stack
}

/// Terraform 1.5 `moved` and `import`, 1.7 `removed` (developer.hashicorp.com
/// language/modules/develop/refactoring, language/import, language/resources/
/// syntax#removing-resources): a renamed bucket is moved, not replaced; a
/// bucket made by hand is imported into state by its name (the
/// `aws_s3_bucket` import ID, s3_bucket.html.markdown "Import"); a removed
/// bucket is forgotten by Terraform and kept in S3.
#[test]
fn on_moto_a_rename_destroys_nothing_an_import_adopts_and_a_removed_bucket_stays() {
    let Some(ws) = Workspace::start("refactor") else {
        return;
    };
    let started = Instant::now();
    let applied = ws.apply_fresh(refactor_stack(Refactor::Before));
    say(&format!(
        "refactor stack applied (uploads, scratch): {applied}"
    ));
    let before = ws.state_list();
    assert!(
        before.contains(&"aws_s3_bucket.uploads".to_string()),
        "{before:?}"
    );

    // (a) Rename with moved blocks: nothing destroyed, nothing created.
    ws.write(refactor_stack(Refactor::Renamed));
    let (counts, plan) = ws.plan();
    say(&format!(
        "(a) uploads renamed to media with moved blocks: {counts}"
    ));
    assert_eq!(
        (counts.add, counts.destroy),
        (0, 0),
        "{:#?}",
        changes(&plan)
    );
    assert!(
        counts.moved >= 7,
        "every block of the bucket moves: {counts}"
    );
    let applied = ws.apply();
    let state = ws.state_list();
    assert!(
        state.contains(&"aws_s3_bucket.media".to_string()),
        "{state:?}"
    );
    assert!(!state.iter().any(|a| a.ends_with(".uploads")), "{state:?}");
    say(&format!(
        "(a) applied: {applied}; state has aws_s3_bucket.media, no uploads"
    ));

    // (b) A bucket made out of band, adopted with an import block.
    ws.moto
        .boto3(&format!("s3.create_bucket(Bucket='{REPORTS}')"));
    say(&format!("(b) {REPORTS} created out of band with boto3"));
    ws.write(refactor_stack(Refactor::Imported));
    let (counts, plan) = ws.plan();
    say(&format!(
        "(b) import block for aws_s3_bucket.reports: {counts}"
    ));
    assert_eq!(counts.import, 1, "{:#?}", changes(&plan));
    assert_eq!(counts.destroy, 0, "{:#?}", changes(&plan));
    let imported = plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["address"] == "aws_s3_bucket.reports")
        .expect("aws_s3_bucket.reports in the plan");
    assert_eq!(imported["change"]["importing"]["id"], REPORTS);
    assert!(
        !imported["change"]["actions"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == "create")),
        "the imported bucket is not created again: {imported}"
    );
    let applied = ws.apply();
    let (counts, _) = ws.plan();
    say(&format!("(b) applied: {applied}; next plan: {counts}"));
    assert_eq!(
        (counts.add, counts.destroy, counts.import),
        (0, 0, 0),
        "{counts}"
    );

    // (c) removed: scratch leaves the state and stays in S3.
    ws.write(refactor_stack(Refactor::Removed));
    let (counts, plan) = ws.plan();
    say(&format!(
        "(c) removed blocks for scratch (destroy = false): {counts}"
    ));
    assert_eq!(counts.destroy, 0, "{:#?}", changes(&plan));
    assert!(counts.forget >= 1, "{counts}");
    let applied = ws.apply();
    let state = ws.state_list();
    assert!(!state.iter().any(|a| a.ends_with(".scratch")), "{state:?}");
    let kept = ws.moto.boto3(&format!(
        "s3.head_bucket(Bucket='{SCRATCH}')\nprint(sorted(b['Name'] for b in s3.list_buckets()['Buckets']))"
    ));
    assert!(kept.contains(SCRATCH), "{kept}");
    say(&format!(
        "(c) applied: {applied}; state list: {} addresses, none of scratch; S3 still lists {SCRATCH}: {kept}",
        state.len()
    ));
    say(&format!(
        "refactor steps took {:.0}s",
        started.elapsed().as_secs_f64()
    ));
}

// ---------------------------------------------------------------------------
// PostgreSQL major upgrade
// ---------------------------------------------------------------------------

fn database_stack(version: &str) -> Stack {
    let mut stack = Stack::new("ops")
        .with_environment(Environment::DEV)
        .with_support_date(SUPPORT_DATE);
    stack.add(AwsProvider::new("us-east-1"));
    let vpc = stack.add(
        Vpc::new("main", "ops", "10.0.0.0/16", "us-east-1")
            .zones(2)
            .single_nat_gateway(true),
    );
    let key = stack.add(KmsKey::new("db", "ops-db"));
    stack.add(Postgres::new(PostgresProps {
        logical_name: "main",
        identifier: "ops-db",
        engine_version: version,
        instance_class: "db.t4g.micro",
        network: DatabaseNetwork {
            vpc_id: vpc.id(),
            subnet_ids: vpc.database_subnet_ids(),
            clients: vec![],
        },
        kms_key_arn: key.arn(),
    }));
    stack
}

fn change_of<'a>(plan: &'a Json, address: &str) -> &'a Json {
    plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["address"] == address)
        .unwrap_or_else(|| panic!("{address} not in the plan: {:#?}", changes(plan)))
}

/// hashicorp/aws 5.100.0: a new `family` replaces `aws_db_parameter_group`
/// (ForceNew, db_parameter_group.html.markdown), and Terraform replaces
/// destroy-first unless `create_before_destroy`; RDS refuses to delete a
/// group an instance uses, and refuses a major `engine_version` change
/// without `allow_major_version_upgrade` (db_instance.html.markdown). The
/// builder names the group by family with create_before_destroy, so the
/// plan's actions on it are `["create", "delete"]`, never `["delete",
/// "create"]`.
#[test]
fn on_moto_postgres_15_to_16_creates_the_new_parameter_group_before_deleting_the_old() {
    let Some(ws) = Workspace::start("postgres") else {
        return;
    };
    let started = Instant::now();
    let applied = ws.apply_fresh(database_stack("15"));
    let group = ws.moto.boto3(
        "i = rds.describe_db_instances(DBInstanceIdentifier='ops-db')['DBInstances'][0]\nprint(i['EngineVersion'], i['DBParameterGroups'][0]['DBParameterGroupName'])",
    );
    say(&format!(
        "PostgreSQL 15 applied: {applied} ({:.0}s); RDS: {group}",
        started.elapsed().as_secs_f64()
    ));
    assert_eq!(group, "15 ops-db-postgres15");

    ws.write(database_stack("16"));
    let (counts, plan) = ws.plan();
    say(&format!("(d) engine_version 15 -> 16: {counts}"));
    let group = change_of(&plan, "aws_db_parameter_group.main");
    assert_eq!(
        group["change"]["actions"],
        json!(["create", "delete"]),
        "the new group comes first"
    );
    assert_eq!(group["change"]["after"]["family"], "postgres16");
    assert_eq!(group["change"]["after"]["name"], "ops-db-postgres16");
    for change in plan["resource_changes"].as_array().into_iter().flatten() {
        assert_ne!(
            change["change"]["actions"],
            json!(["delete", "create"]),
            "destroy-before-create of {}",
            change["address"]
        );
    }
    let instance = change_of(&plan, "aws_db_instance.main");
    assert_eq!(instance["change"]["actions"], json!(["update"]));
    assert_eq!(instance["change"]["after"]["engine_version"], "16");
    assert_eq!(
        instance["change"]["after"]["allow_major_version_upgrade"],
        true
    );
    assert_eq!(counts.destroy, 1, "only the old parameter group: {counts}");
    say(&format!(
        "(d) aws_db_parameter_group.main actions {}, family postgres15 -> postgres16; aws_db_instance.main actions {}, allow_major_version_upgrade = true",
        group["change"]["actions"], instance["change"]["actions"]
    ));
    // Applying the upgrade is left out: moto neither refuses to delete a
    // group in use nor a major upgrade without the flag, so the apply would
    // show nothing the plan does not, and the provider's RDS waiters (30 s
    // delays per wait) would add minutes.
    say(&format!(
        "postgres steps took {:.0}s",
        started.elapsed().as_secs_f64()
    ));
}
