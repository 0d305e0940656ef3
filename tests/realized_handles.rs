//! Customize code reaching what the platform realized through typed handles
//! (no address strings): grants to a workload's identity on every cloud,
//! overrides of realized blocks with `Stack::set_raw`, `Stack::find` for
//! blocks no handle carries, and a platform without buckets.

mod common;

use common::stacks::mlops;
use infrasynth::aws::iam::{PolicyDocument, Statement};
use infrasynth::azure::RoleAssignment;
use infrasynth::helm::HelmSettings;
use infrasynth::platform::{self, Access, Platform, WorkloadSpec};
use infrasynth::{aws, azure, gcp};
use infrasynth::{Attributes, Cloud, Environment, Stack, Synthesized};
use serde_json::{json, Value as Json};

/// The reference platform with one more workload, `ingest`, that reads the
/// `models` bucket.
fn with_ingest(env: Environment) -> Platform {
    let mut p = mlops::platform(env);
    p.workloads.push(WorkloadSpec {
        name: "ingest".into(),
        namespace: "mlops".into(),
        service_account: "ingest".into(),
        databases: Vec::new(),
        uses_cache: false,
        buckets: vec![("models".into(), Access::Read)],
    });
    p
}

/// Checks and renders like the CLI does (policies, and the generic Helm
/// values of whichever platform it is).
fn finish(platform: &Platform, cloud: Cloud, stack: &Stack) -> Synthesized {
    let helm = HelmSettings::new()
        .with_image_registry("ghcr.io/shop")
        .with_release("1.0.0")
        .with_acme_contact("platform@shop.dev");
    infrasynth::app::finish(platform, cloud, stack, &helm)
        .unwrap_or_else(|diagnostics| panic!("{cloud}: {diagnostics}"))
}

fn document(out: &Synthesized) -> Json {
    serde_json::from_str(out.main_tf_json()).expect("valid JSON")
}

/// AWS customize code: an SQS queue of its own, and `sqs:SendMessage` on it
/// for the `ingest` workload's role, reached through the handles only.
fn grant_ingest_send(aws: &platform::aws::AwsPlatform, stack: &mut Stack) {
    let queue = stack.raw_resource(
        "aws_sqs_queue",
        "ingest_events",
        Attributes::new()
            .set("name", "mlops-ingest-events")
            .set("kms_master_key_id", aws.keys.storage.arn()),
    );
    let send = PolicyDocument::new()
        .statement(
            Statement::allow(&["sqs:SendMessage"])
                .sid("SendIngestEvents")
                .on(queue.attr::<String>("arn")),
        )
        .to_data_source(stack, "ingest_events_send");
    let ingest = &aws.workloads["ingest"];
    stack.resource::<aws::kind::IamRolePolicy>(
        "workload_ingest_events",
        Attributes::new()
            .set("name", "events")
            .set("role", ingest.role.id())
            .set("policy", send),
    );
}

#[test]
fn aws_customize_grants_a_workload_role_send_on_its_own_queue() {
    let platform = with_ingest(Environment::PRODUCTION);
    let (mut stack, aws) = platform::realize_aws(&platform);
    grant_ingest_send(&aws, &mut stack);
    let doc = document(&finish(&platform, Cloud::Aws, &stack));

    let policy = &doc["resource"]["aws_iam_role_policy"]["workload_ingest_events"];
    assert_eq!(policy["role"], "${aws_iam_role.workload_ingest.id}");
    assert_eq!(
        policy["policy"],
        "${data.aws_iam_policy_document.ingest_events_send.json}"
    );
    let statement = &doc["data"]["aws_iam_policy_document"]["ingest_events_send"]["statement"][0];
    assert_eq!(statement["actions"], json!(["sqs:SendMessage"]));
    assert_eq!(
        statement["resources"],
        json!(["${aws_sqs_queue.ingest_events.arn}"])
    );
    assert!(doc["resource"]["aws_iam_role"]["workload_ingest"].is_object());
    // The realized inline policies are reachable too.
    assert_eq!(
        aws.workloads["ingest"].policies[0].address().to_string(),
        "aws_iam_role_policy.workload_ingest_buckets"
    );
}

#[test]
fn aws_rds_parameter_group_is_overridden_through_its_handle() {
    let platform = mlops::platform(Environment::STAGING);
    let (plain, _) = platform::realize_aws(&platform);
    let (mut stack, aws) = platform::realize_aws(&platform);
    let group = &aws.database.parameter_group;
    stack.set_raw(group, "description", "tuned by the platform team");
    stack.set_raw(group, "parameter.5", json_parameter("work_mem", "65536"));

    let before = document(&finish(&platform, Cloud::Aws, &plain));
    let after = document(&finish(&platform, Cloud::Aws, &stack));
    let name = group.address().name();
    let block = &after["resource"]["aws_db_parameter_group"][name];
    assert_eq!(block["description"], "tuned by the platform team");
    assert_eq!(block["parameter"][5]["name"], "work_mem");
    assert_eq!(block["parameter"][0]["name"], "rds.force_ssl", "kept");

    // Nothing but that block changed.
    let mut rest = after.clone();
    rest["resource"]["aws_db_parameter_group"][name] =
        before["resource"]["aws_db_parameter_group"][name].clone();
    assert_eq!(rest, before);
}

fn json_parameter(name: &str, value: &str) -> infrasynth::Value {
    infrasynth::Value::map()
        .with("name", name)
        .with("value", value)
        .with("apply_method", "pending-reboot")
}

#[test]
fn gcp_customize_grants_a_workload_service_account_a_role_on_its_topic() {
    let platform = with_ingest(Environment::PRODUCTION);
    let (mut stack, gcp) = platform::realize_gcp(&platform);
    let topic = stack.raw_resource(
        "google_pubsub_topic",
        "ingest_events",
        Attributes::new().set("name", "mlops-ingest-events"),
    );
    let ingest = &gcp.workloads["ingest"];
    stack.raw_resource(
        "google_pubsub_topic_iam_member",
        "ingest_events_publisher",
        Attributes::new()
            .set("topic", topic.attr::<String>("name"))
            .set("role", "roles/pubsub.publisher")
            .set("member", ingest.service_account.account.member()),
    );
    // The realized bucket role of the workload is a handle as well.
    stack.set_raw(
        &ingest.bucket_roles["models"],
        "condition.title",
        "models only",
    );
    let doc = document(&finish(&platform, Cloud::Gcp, &stack));

    let member = &doc["resource"]["google_pubsub_topic_iam_member"]["ingest_events_publisher"];
    assert_eq!(member["member"], "${google_service_account.ingest.member}");
    assert_eq!(member["topic"], "${google_pubsub_topic.ingest_events.name}");
    let bucket_role = ingest.bucket_roles["models"].address();
    assert_eq!(
        doc["resource"]["google_storage_bucket_iam_member"][bucket_role.name()]["condition"]
            ["title"],
        "models only"
    );
}

#[test]
fn azure_customize_gives_a_workload_identity_a_role_on_the_storage_account() {
    let platform = with_ingest(Environment::PRODUCTION);
    let (mut stack, azure) = platform::realize_azure(&platform);
    let ingest = &azure.workloads["ingest"];
    stack.add(RoleAssignment::new(
        "ingest_queue_sender",
        azure::kind::scope_of(&azure.storage.account.id()),
        "Storage Queue Data Message Sender",
        ingest.identity.principal_id(),
    ));
    let doc = document(&finish(&platform, Cloud::Azure, &stack));

    let assignment = &doc["resource"]["azurerm_role_assignment"]["ingest_queue_sender"];
    assert_eq!(
        assignment["principal_id"],
        "${azurerm_user_assigned_identity.workload_ingest.principal_id}"
    );
    assert_eq!(assignment["scope"], "${azurerm_storage_account.objects.id}");
    assert_eq!(
        assignment["role_definition_name"],
        "Storage Queue Data Message Sender"
    );
    assert!(ingest.container_roles.contains_key("models"));
}

#[test]
fn find_reaches_realized_blocks_no_handle_carries_and_refuses_the_wrong_kind() {
    let platform = mlops::platform(Environment::DEV);

    let (mut stack, _) = platform::realize_aws(&platform);
    let eip = stack
        .find::<aws::kind::Eip>("main_nat_a")
        .expect("the NAT gateway's EIP");
    stack.set_raw(&eip, "tags.CostCenter", "networking");
    assert!(stack.find::<aws::kind::NatGateway>("main_nat_a").is_none());
    assert!(stack.find_data::<aws::kind::Partition>("current").is_some());
    assert!(stack.find::<aws::kind::Partition>("current").is_none());
    let doc = document(&finish(&platform, Cloud::Aws, &stack));
    assert_eq!(
        doc["resource"]["aws_eip"]["main_nat_a"]["tags"]["CostCenter"],
        "networking"
    );

    let (stack, _) = platform::realize_gcp(&platform);
    assert!(stack
        .find::<gcp::kind::Firewall>("main_deny_all_ingress")
        .is_some());
    assert!(stack
        .find::<gcp::kind::Network>("main_deny_all_ingress")
        .is_none());

    let (stack, azure) = platform::realize_azure(&platform);
    let credential = stack
        .find::<azure::kind::FederatedIdentityCredential>("workload_worker")
        .expect("the worker's federated credential");
    assert_eq!(
        credential.address().name(),
        azure.workloads["worker"].identity.address().name()
    );
}

#[test]
fn realized_holds_the_handles_of_the_cloud_realized_on() {
    let platform = mlops::platform(Environment::DEV);
    for cloud in Cloud::ALL {
        let (_, realized) = platform::realize(&platform, cloud);
        assert_eq!(realized.cloud(), cloud);
        assert_eq!(realized.aws().is_some(), cloud == Cloud::Aws);
        assert_eq!(realized.gcp().is_some(), cloud == Cloud::Gcp);
        assert_eq!(realized.azure().is_some(), cloud == Cloud::Azure);
    }
    let (stack, aws) = platform::realize_aws(&platform);
    // Buckets and workloads by spec name, each a block of the stack.
    for spec in &platform.buckets {
        let bucket = &aws.buckets[&spec.name];
        assert!(stack.block(bucket.bucket.address()).is_some());
        assert!(stack.block(bucket.lifecycle.address()).is_some());
    }
    for workload in &platform.workloads {
        assert!(stack
            .block(aws.workloads[&workload.name].role.address())
            .is_some());
    }
    let access_logs = aws.access_logs.as_ref().expect("the platform has buckets");
    assert_eq!(access_logs.logging.len(), platform.buckets.len());
}

#[test]
fn a_platform_without_buckets_gets_no_access_log_bucket_and_no_warning() {
    for env in Environment::DEFAULTS {
        let platform = Platform::new("shop", env);
        assert!(platform.buckets.is_empty());

        let (stack, aws) = platform::realize_aws(&platform);
        assert!(aws.access_logs.is_none() && aws.buckets.is_empty());
        let out = finish(&platform, Cloud::Aws, &stack);
        let doc = document(&out);
        assert!(doc["resource"]["aws_s3_bucket"].is_null(), "{env}");
        assert!(doc["resource"]["aws_s3_bucket_logging"].is_null(), "{env}");
        assert!(doc["output"]["access_log_bucket"].is_null(), "{env}");
        // The logs key lets S3 deliver access logs only when there are some.
        assert!(
            !out.main_tf_json()
                .to_string()
                .contains("logging.s3.amazonaws.com"),
            "{env}"
        );

        for cloud in Cloud::ALL {
            let (stack, _) = platform::realize(&platform, cloud);
            assert!(
                stack.diagnostics().is_empty(),
                "{cloud} {env}: {}",
                stack.diagnostics()
            );
            let out = finish(&platform, cloud, &stack);
            // The one warning by design: Azure's node subnet lets the public
            // ingress load balancer receive 80/443 from the internet, an
            // exception to `no-open-ingress` the network builder acknowledges
            // (docs/azure.md, "Network security groups and the public
            // ingress"); acknowledged findings are reported every synth.
            let unexpected: Vec<String> = out
                .warnings()
                .warnings()
                .map(ToString::to_string)
                .filter(|w| {
                    !(cloud == Cloud::Azure
                        && w.contains("main_aks_nodes_allow_internet_web_inbound")
                        && w.contains("no-open-ingress")
                        && w.contains("(acknowledged)"))
                })
                .collect();
            assert!(unexpected.is_empty(), "{cloud} {env}: {unexpected:?}");
        }
    }
}

/// The same grant from a customize hook of a stack definition, as a user's
/// program writes it: the hook receives the handles with the stack.
#[test]
fn customize_hooks_receive_the_realized_handles() {
    let definition = infrasynth::app::StackDefinition::new("mlops", with_ingest)
        .support_date(common::SUPPORT_DATE)
        .helm(mlops::helm_settings)
        .customize(|ctx| {
            if let Some(aws) = ctx.realized.aws() {
                grant_ingest_send(aws, ctx.stack);
            }
        });
    let doc = document(
        &definition
            .synthesize(Cloud::Aws, Environment::STAGING)
            .unwrap(),
    );
    assert_eq!(
        doc["resource"]["aws_iam_role_policy"]["workload_ingest_events"]["role"],
        "${aws_iam_role.workload_ingest.id}"
    );
    // On another cloud the hook finds no AWS handles and adds nothing.
    let gcp = document(
        &definition
            .synthesize(Cloud::Gcp, Environment::STAGING)
            .unwrap(),
    );
    assert!(gcp["resource"].get("aws_iam_role_policy").is_none());
}
