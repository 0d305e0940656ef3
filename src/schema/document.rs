//! Checking every block of a document against the schema of its own
//! provider: which provider a block belongs to, which providers have a
//! bundled schema, and what was left unchecked.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::bundled::{bundled, BundledSchema};
use super::index::{Index, Indexed};
use super::tree::Tree;
use super::tree::{check_fields, check_top, Path, Place};
use super::{SchemaSource, Violation, ViolationKind};
use crate::core::environment::closest;

/// A `resource` or a `data` block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockType {
    /// A `resource` block.
    Resource,
    /// A `data` block.
    Data,
}

/// Why a block was not checked.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SkipReason {
    /// The library bundles no schema of this provider (`time`, `random`...).
    NoBundledSchema,
    /// The bundled schema lists only some of the provider's types, not this
    /// one (google and azurerm data sources beyond those transcribed;
    /// google-beta types beyond the beta-only ones).
    TypeNotListed,
    /// `required_providers` maps the local name to another source than
    /// `hashicorp/<name>`.
    OtherSource(String),
}

/// A block the check left alone, and why.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Skipped {
    /// The provider's local name (`time`, `google-beta`).
    pub provider: String,
    /// The block's address.
    pub address: String,
    /// Why it was not checked.
    pub reason: SkipReason,
}

/// What a whole-document (or whole-stack) schema check found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SchemaReport {
    /// Every mistake, sorted by address then path.
    pub violations: Vec<Violation>,
    /// How many resource, data and provider blocks were checked.
    pub checked: usize,
    /// The blocks left unchecked.
    pub skipped: Vec<Skipped>,
}

impl SchemaReport {
    /// Skipped blocks counted per provider (`{"time": 1}`), for a one-line
    /// note.
    pub fn skipped_by_provider(&self) -> BTreeMap<&str, usize> {
        let mut counts = BTreeMap::new();
        for skipped in &self.skipped {
            *counts.entry(skipped.provider.as_str()).or_default() += 1;
        }
        counts
    }
}

/// The local name of the provider a block belongs to: the `provider`
/// meta-argument's name (`"google-beta"`, or `"aws.west"` for an aliased
/// configuration), else the type's prefix up to the first `_` (Terraform's
/// implied provider: `aws_s3_bucket` is `aws`'s).
pub fn block_provider<'a>(block_type: &'a str, provider_argument: Option<&'a str>) -> &'a str {
    match provider_argument {
        Some(reference) => reference.split('.').next().unwrap_or(reference),
        None => block_type.split('_').next().unwrap_or(block_type),
    }
}

/// What [`check_one`] made of a block.
pub(crate) enum Checked<'s> {
    /// Its type is known; its body was checked against this.
    Known(Cow<'s, Index>),
    /// Its type is not the provider's (reported).
    UnknownType,
    /// The schema lists only some types, not this one (not checked).
    NotListed,
}

/// Checks one block's body against `schema`: an unknown type (with the
/// nearest type as suggestion) or every finding in its body.
pub(crate) fn check_one<'s, S: SchemaSource + Indexed + ?Sized, T: Tree>(
    schema: &'s S,
    kind: BlockType,
    block_type: &str,
    name: &str,
    body: &T::Object,
    violations: &mut Vec<Violation>,
) -> Checked<'s> {
    let (found, complete, prefix) = match kind {
        BlockType::Resource => (
            schema.resource_index(block_type),
            schema.lists_every_resource(),
            "",
        ),
        BlockType::Data => (
            schema.data_index(block_type),
            schema.lists_every_data_source(),
            "data.",
        ),
    };
    let place = Place {
        prefix,
        block_type,
        name,
        exact_nested_computed: schema.exact_nested_computed(),
    };
    match found {
        Some(index) => {
            check_known::<T>(
                &index,
                kind,
                block_type,
                name,
                body,
                place.exact_nested_computed,
                violations,
            );
            Checked::Known(index)
        }
        None if complete => {
            let suggestion = match kind {
                BlockType::Resource => closest(block_type, schema.resource_types()),
                BlockType::Data => closest(block_type, schema.data_source_types()),
            };
            violations.push(Violation {
                address: place.address(),
                path: String::new(),
                kind: ViolationKind::UnknownType,
                suggestion,
            });
            Checked::UnknownType
        }
        None => Checked::NotListed,
    }
}

/// Checks the body of a block whose type's schema is `index`.
pub(crate) fn check_known<T: Tree>(
    index: &Index,
    kind: BlockType,
    block_type: &str,
    name: &str,
    body: &T::Object,
    exact_nested_computed: bool,
    violations: &mut Vec<Violation>,
) {
    let place = Place {
        prefix: match kind {
            BlockType::Resource => "",
            BlockType::Data => "data.",
        },
        block_type,
        name,
        exact_nested_computed,
    };
    check_top::<T>(index, body, &place, violations);
}

/// Checks one provider configuration body (`alias` and `version` are
/// meta-arguments of provider blocks); false when the schema has none.
pub(crate) fn check_provider_config<S: SchemaSource + Indexed + ?Sized, T: Tree>(
    schema: &S,
    provider: &str,
    config: &T::Object,
    violations: &mut Vec<Violation>,
) -> bool {
    let Some(index) = schema.provider_index() else {
        return false;
    };
    let place = Place {
        prefix: "provider.",
        block_type: provider,
        name: "",
        exact_nested_computed: schema.exact_nested_computed(),
    };
    let mut found = Vec::new();
    check_fields::<T>(&index, config, &place, &Path::ROOT, false, &mut found);
    found.retain(|v| v.path != "alias" && v.path != "version");
    violations.extend(found);
    true
}

/// Checks `provider.<name>` of a JSON document (one object, or a list of
/// aliased configurations).
pub(crate) fn check_provider_blocks<S: SchemaSource + Indexed + ?Sized>(
    schema: &S,
    document: &Json,
    provider: &str,
    violations: &mut Vec<Violation>,
) -> usize {
    let Some(config) = document.get("provider").and_then(|p| p.get(provider)) else {
        return 0;
    };
    let configs: Vec<&Json> = match config {
        Json::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    configs
        .into_iter()
        .filter_map(Json::as_object)
        .filter(|c| check_provider_config::<S, Json>(schema, provider, c, violations))
        .count()
}

/// The bundled schema a block of provider `provider` is checked against,
/// given the sources `required_providers` declares, or why there is none.
pub(crate) fn schema_for(
    provider: &str,
    declared_source: Option<&str>,
) -> Result<&'static BundledSchema, SkipReason> {
    if let Some(source) = declared_source {
        let source = source.trim_start_matches("registry.terraform.io/");
        if !source.eq_ignore_ascii_case(&format!("hashicorp/{provider}")) {
            return Err(SkipReason::OtherSource(source.to_string()));
        }
    }
    bundled(provider).ok_or(SkipReason::NoBundledSchema)
}

/// Checks every `resource`, `data` and `provider` block of a Terraform JSON
/// document against the bundled schema of the block's own provider (see
/// [`block_provider`]); blocks of providers without one are listed in
/// [`SchemaReport::skipped`], not failed.
///
/// ```
/// let doc = serde_json::json!({"resource": {"aws_sqs_queue": {"jobs": {
///     "name": "jobs", "kms_master_key": "alias/aws/sqs"
/// }}}});
/// let report = infrasynth::schema::check_document(&doc);
/// assert_eq!(report.violations.len(), 1);
/// assert_eq!(report.violations[0].suggestion.as_deref(), Some("kms_master_key_id"));
/// ```
pub fn check_document(document: &Json) -> SchemaReport {
    let mut report = SchemaReport::default();
    let source_of = |provider: &str| {
        document
            .pointer(&format!("/terraform/required_providers/{provider}/source"))
            .and_then(Json::as_str)
    };
    for (kind, section, prefix) in [
        (BlockType::Resource, "resource", ""),
        (BlockType::Data, "data", "data."),
    ] {
        let Some(types) = document.get(section).and_then(Json::as_object) else {
            continue;
        };
        for (block_type, blocks) in types {
            for (name, body) in blocks.as_object().into_iter().flatten() {
                let Some(body) = body.as_object() else {
                    continue;
                };
                let provider =
                    block_provider(block_type, body.get("provider").and_then(Json::as_str));
                let checked = match schema_for(provider, source_of(provider)) {
                    Ok(schema) => {
                        match check_one::<_, Json>(
                            schema,
                            kind,
                            block_type,
                            name,
                            body,
                            &mut report.violations,
                        ) {
                            Checked::NotListed => Err(SkipReason::TypeNotListed),
                            Checked::Known(_) | Checked::UnknownType => Ok(()),
                        }
                    }
                    Err(reason) => Err(reason),
                };
                match checked {
                    Ok(()) => report.checked += 1,
                    Err(reason) => report.skipped.push(Skipped {
                        provider: provider.to_string(),
                        address: format!("{prefix}{block_type}.{name}"),
                        reason,
                    }),
                }
            }
        }
    }
    for provider in document
        .get("provider")
        .and_then(Json::as_object)
        .into_iter()
        .flat_map(|p| p.keys())
    {
        if let Ok(schema) = schema_for(provider, source_of(provider)) {
            report.checked +=
                check_provider_blocks(schema, document, provider, &mut report.violations);
        }
    }
    report.violations.sort();
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_provider_argument_wins_over_the_type_prefix() {
        assert_eq!(
            block_provider("google_project_service_identity", Some("google-beta")),
            "google-beta"
        );
        assert_eq!(block_provider("aws_s3_bucket", Some("aws.west")), "aws");
        assert_eq!(block_provider("aws_s3_bucket", None), "aws");
        assert_eq!(block_provider("time_sleep", None), "time");
    }

    #[test]
    fn blocks_of_providers_without_a_bundled_schema_are_skipped_not_failed() {
        let doc = json!({"resource": {
            "time_sleep": {"wait": {"create_duration": "30s"}},
            "random_id": {"suffix": {"byte_length": 4}}
        }});
        let report = check_document(&doc);
        assert!(report.violations.is_empty(), "{:?}", report.violations);
        assert_eq!(report.checked, 0);
        assert_eq!(
            report.skipped_by_provider().into_iter().collect::<Vec<_>>(),
            vec![("random", 1), ("time", 1)]
        );
    }

    /// A local name mapped to a fork is not checked against hashicorp's schema.
    #[test]
    fn another_source_for_a_local_name_is_skipped() {
        let doc = json!({
            "terraform": {"required_providers": {"aws": {"source": "example/aws"}}},
            "resource": {"aws_thing": {"a": {}}}
        });
        let report = check_document(&doc);
        assert!(report.violations.is_empty());
        assert_eq!(
            report.skipped[0].reason,
            SkipReason::OtherSource("example/aws".into())
        );
    }

    /// The rebuilt google schema has no data sources: one it does not list is
    /// skipped, not reported unknown.
    #[test]
    fn an_unlisted_data_source_of_a_partial_schema_is_skipped() {
        let doc = json!({"data": {"google_client_config": {"current": {}}}});
        let report = check_document(&doc);
        assert!(report.violations.is_empty());
        assert_eq!(report.skipped[0].reason, SkipReason::TypeNotListed);
    }
}
