//! The provider schema check at synth: escape hatches (`raw_resource`,
//! `set_raw`) are checked against the bundled schemas of hashicorp/aws
//! 5.100.0, google 6.50.0 and azurerm 4.55.0, on every cloud, with one error
//! per mistake naming the stack, the resource, the attribute and the nearest
//! valid name.

mod common;

use infrasynth::app::Customize;
use infrasynth::core::diagnostics::Diagnostic;
use infrasynth::schema::{self, SchemaSource, SkipReason};
use infrasynth::{map, Attributes, Cloud, Diagnostics, Environment};

/// Synthesizes the reference stack on `cloud` in dev with `hook` added to its
/// customize hooks.
fn synth_with(
    cloud: Cloud,
    hook: impl Fn(&mut Customize<'_>) + Send + Sync + 'static,
) -> Result<infrasynth::Synthesized, Diagnostics> {
    common::definition()
        .customize(hook)
        .synthesize(cloud, Environment::DEV)
}

/// The errors of a synth that must fail, as diagnostics.
fn errors(
    cloud: Cloud,
    case: &str,
    hook: impl Fn(&mut Customize<'_>) + Send + Sync + 'static,
) -> Vec<Diagnostic> {
    match synth_with(cloud, hook) {
        Ok(_) => panic!("`{case}` synthesized on {cloud} but must fail"),
        Err(diagnostics) => diagnostics.errors().cloned().collect(),
    }
}

/// Exactly one error, about `resource`, with `field` and `hint`.
fn assert_one_error(errors: &[Diagnostic], resource: &str, field: &str, hint: &str) {
    let about: Vec<&Diagnostic> = errors.iter().filter(|d| d.resource == resource).collect();
    assert_eq!(
        about.len(),
        1,
        "one error for {resource}, got:\n{}",
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
    let error = about[0];
    assert_eq!(error.stack, "mlops-dev");
    assert_eq!(error.field, field, "{error}");
    assert_eq!(error.hint, hint, "{error}");
    assert_eq!(errors.len(), 1, "no other error: {errors:?}");
}

/// hashicorp/aws 5.100.0 has `aws_sqs_queue` (terraform providers schema
/// -json), and no `aws_sqs_queu`.
#[test]
fn a_misspelled_aws_raw_resource_type_names_the_nearest_type() {
    let errors = errors(Cloud::Aws, "aws_sqs_queu", |ctx| {
        ctx.stack.raw_resource(
            "aws_sqs_queu",
            "jobs",
            Attributes::new().set("name", "jobs"),
        );
    });
    assert_one_error(
        &errors,
        "aws_sqs_queu.jobs",
        "type",
        "did you mean `aws_sqs_queue`?",
    );
    assert!(
        errors[0].message.contains("hashicorp/aws 5.100.0"),
        "{}",
        errors[0]
    );
}

/// hashicorp/aws 5.100.0 `aws_sqs_queue` takes `kms_master_key_id` (optional),
/// not `kms_master_key`.
#[test]
fn a_misspelled_aws_attribute_names_kms_master_key_id() {
    let errors = errors(Cloud::Aws, "kms_master_key", |ctx| {
        ctx.stack.raw_resource(
            "aws_sqs_queue",
            "jobs",
            Attributes::new()
                .set("name", "jobs")
                .set("kms_master_key", "alias/aws/sqs"),
        );
    });
    assert_one_error(
        &errors,
        "aws_sqs_queue.jobs",
        "kms_master_key",
        "did you mean `kms_master_key_id`?",
    );
}

/// The same queue spelled right synthesizes: every argument is in the
/// hashicorp/aws 5.100.0 schema of `aws_sqs_queue`, none is required.
#[test]
fn a_valid_aws_sqs_queue_through_raw_resource_passes() {
    let out = synth_with(Cloud::Aws, |ctx| {
        ctx.stack.raw_resource(
            "aws_sqs_queue",
            "jobs",
            Attributes::new()
                .set("name", "jobs")
                .set("kms_master_key_id", "alias/aws/sqs")
                .set("message_retention_seconds", 345_600)
                .set("tags", map! { "Team" => "ml" }),
        );
    })
    .unwrap_or_else(|d| panic!("{d}"));
    assert!(out
        .main_tf_json()
        .contains("\"kms_master_key_id\": \"alias/aws/sqs\""));
}

/// google 6.50.0 `google_pubsub_topic` takes `message_retention_duration`
/// (rebuilt schema in ../shared/providers, from @cdktf/provider-google 16.12.1).
#[test]
fn a_misspelled_google_attribute_names_the_nearest_one() {
    let errors = errors(Cloud::Gcp, "message_retention", |ctx| {
        ctx.stack.raw_resource(
            "google_pubsub_topic",
            "events",
            Attributes::new()
                .set("name", "events")
                .set("message_retention", "600s"),
        );
    });
    assert_one_error(
        &errors,
        "google_pubsub_topic.events",
        "message_retention",
        "did you mean `message_retention_duration`?",
    );
}

/// google 6.50.0 has `google_storage_bucket_object`.
#[test]
fn a_misspelled_google_type_names_the_nearest_type() {
    let errors = errors(Cloud::Gcp, "google_storage_bucket_objet", |ctx| {
        ctx.stack.raw_resource(
            "google_storage_bucket_objet",
            "readme",
            Attributes::new().set("name", "README").set("bucket", "b"),
        );
    });
    assert_one_error(
        &errors,
        "google_storage_bucket_objet.readme",
        "type",
        "did you mean `google_storage_bucket_object`?",
    );
}

/// azurerm 4.55.0 `azurerm_user_assigned_identity` requires `name`,
/// `location` and `resource_group_name` (rebuilt schema, from
/// @cdktf/provider-azurerm 14.23.1): `resource_group` is one mistake, reported
/// once as unknown with the right name, not also as a missing argument.
#[test]
fn a_misspelled_required_azurerm_argument_is_one_error() {
    let errors = errors(Cloud::Azure, "resource_group", |ctx| {
        ctx.stack.raw_resource(
            "azurerm_user_assigned_identity",
            "jobs",
            Attributes::new()
                .set("name", "jobs")
                .set("location", "westeurope")
                .set("resource_group", "rg"),
        );
    });
    assert_one_error(
        &errors,
        "azurerm_user_assigned_identity.jobs",
        "resource_group",
        "did you mean `resource_group_name`?",
    );
}

/// azurerm 4.55.0 has `azurerm_resource_group`.
#[test]
fn a_misspelled_azurerm_type_names_the_nearest_type() {
    let errors = errors(Cloud::Azure, "azurerm_resource_grup", |ctx| {
        ctx.stack.raw_resource(
            "azurerm_resource_grup",
            "extra",
            Attributes::new()
                .set("name", "extra")
                .set("location", "westeurope"),
        );
    });
    assert_one_error(
        &errors,
        "azurerm_resource_grup.extra",
        "type",
        "did you mean `azurerm_resource_group`?",
    );
}

/// `set_raw` on a realized block is checked too: hashicorp/aws 5.100.0
/// `aws_db_parameter_group` has `description`; the error names the builder
/// that made the block.
#[test]
fn a_misspelled_set_raw_path_on_a_realized_block_fails() {
    let errors = errors(Cloud::Aws, "descripton", |ctx| {
        let Some(aws) = ctx.realized.aws() else {
            return;
        };
        let group = aws.database.parameter_group.clone();
        ctx.stack.set_raw(&group, "descripton", "tuned");
    });
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].field, "descripton");
    assert_eq!(errors[0].hint, "did you mean `description`?");
}

/// Terraform's `lifecycle` takes `prevent_destroy` (Terraform 1.11 language
/// docs, "The lifecycle Meta-Argument").
#[test]
fn a_misspelled_lifecycle_argument_fails() {
    let errors = errors(Cloud::Aws, "prevent_destory", |ctx| {
        let Some(aws) = ctx.realized.aws() else {
            return;
        };
        let group = aws.database.parameter_group.clone();
        ctx.stack.set_raw(&group, "lifecycle.prevent_destory", true);
    });
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].field, "lifecycle.prevent_destory");
    assert_eq!(errors[0].hint, "did you mean `prevent_destroy`?");
}

/// hashicorp/aws 5.100.0: `aws_sqs_queue.arn` is computed only; and
/// `aws_s3_bucket_versioning.versioning_configuration` is a block with
/// `min_items = 1`, `max_items = 1`.
#[test]
fn computed_only_attributes_and_too_many_blocks_fail() {
    let errors = errors(Cloud::Aws, "arn and two blocks", |ctx| {
        ctx.stack.raw_resource(
            "aws_sqs_queue",
            "jobs",
            Attributes::new()
                .set("name", "jobs")
                .set("arn", "arn:aws:sqs:::jobs"),
        );
        let enabled = infrasynth::Value::map().with("status", "Enabled");
        ctx.stack.raw_resource(
            "aws_s3_bucket_versioning",
            "twice",
            Attributes::new()
                .set("bucket", "b")
                .blocks("versioning_configuration", vec![enabled.clone(), enabled]),
        );
    });
    let fields: Vec<(&str, &str)> = errors
        .iter()
        .map(|e| (e.resource.as_str(), e.field.as_str()))
        .collect();
    assert_eq!(
        fields,
        vec![
            ("aws_s3_bucket_versioning.twice", "versioning_configuration"),
            ("aws_sqs_queue.jobs", "arn"),
        ]
    );
    assert!(errors[0].message.contains("more times"), "{}", errors[0]);
    assert!(errors[1].message.contains("computed"), "{}", errors[1]);
}

/// hashicorp/random has no bundled schema: its blocks are skipped, not
/// failed.
#[test]
fn a_block_of_a_provider_without_a_bundled_schema_is_skipped() {
    let out = synth_with(Cloud::Aws, |ctx| {
        ctx.stack.raw_resource(
            "random_id",
            "suffix",
            Attributes::new().set("byte_lenght", 4),
        );
    });
    assert!(out.is_ok(), "{:?}", out.err());
}

/// Every cloud x environment of the reference stack passes the check; what
/// is skipped is only blocks of providers without a bundled schema
/// (hashicorp/time's `time_sleep`, hashicorp/random's database password,
/// Azure/azapi's Redis access policy assignment).
#[test]
fn the_reference_stack_passes_on_every_cloud_and_environment() {
    for cloud in Cloud::ALL {
        for env in Environment::DEFAULTS {
            let (_, stack) = common::definition().realize(cloud, env);
            let report = schema::check_stack(&stack);
            let violations: Vec<String> =
                report.violations.iter().map(ToString::to_string).collect();
            assert!(
                violations.is_empty(),
                "{cloud} {env}:\n  {}",
                violations.join("\n  ")
            );
            assert!(
                report.skipped.iter().all(|s| {
                    !["aws", "google", "azurerm"].contains(&s.provider.as_str())
                        && matches!(
                            s.reason,
                            SkipReason::NoBundledSchema | SkipReason::OtherSource(_)
                        )
                }),
                "{cloud} {env}: {:?}",
                report.skipped
            );
            // Only aws's schema has the provider configuration (the rebuilt
            // google and azurerm ones do not).
            let configs = stack
                .providers()
                .iter()
                .filter(|p| schema::bundled(&p.name).is_some_and(|s| s.provider_config().is_some()))
                .count();
            assert_eq!(
                report.checked + report.skipped.len(),
                stack.blocks().len() + configs,
                "{cloud} {env}: every block and provider configuration checked or skipped"
            );
            println!(
                "schema check {cloud}/{env}: {} blocks checked, {} skipped",
                report.checked,
                report.skipped.len()
            );
        }
    }
}

/// The rendered document checks the same as the stack it came from.
#[test]
fn the_rendered_document_checks_like_the_stack() {
    for cloud in Cloud::ALL {
        let out = common::synth(cloud, Environment::PRODUCTION);
        let doc: serde_json::Value = serde_json::from_str(out.main_tf_json()).expect("JSON");
        let report = schema::check_document(&doc);
        assert!(
            report.violations.is_empty(),
            "{cloud}: {:?}",
            report.violations
        );
        assert!(report.checked > 50, "{cloud}: {}", report.checked);
    }
}
