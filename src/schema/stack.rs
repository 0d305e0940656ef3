//! The schema check of a stack at synth: every block, the escape hatches'
//! included (`raw_resource`, `set_raw`), against the bundled schema of its
//! own provider, read straight from the stack's values (nothing is rendered
//! or parsed), reported through the stack's diagnostics.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasherDefault;

use super::bundled::BundledSchema;
use super::document::{
    block_provider, check_known, check_one, check_provider_config, schema_for, BlockType, Checked,
    SchemaReport, SkipReason, Skipped,
};
use super::index::Index;
use super::{SchemaSource, Violation, ViolationKind};
use crate::core::block::Tagging;
use crate::core::diagnostics::{Diagnostics, Severity};
use crate::core::policy::Policy;
use crate::core::reference::BlockKind;
use crate::core::stack::{FastHasher, RequiredProvider, Stack};
use crate::core::value::Value;

/// Checks every resource, data and provider block of `stack` against the
/// bundled schema of its provider (see [`super::block_provider`]); blocks of
/// providers without one are listed in [`SchemaReport::skipped`].
///
/// The attribute the stack's default tags are merged into (`tags`,
/// `labels`...) is checked too when there are default tags, as the writer
/// adds it.
pub fn check_stack(stack: &Stack) -> SchemaReport {
    let mut report = SchemaReport::default();
    let required = &stack.terraform_settings().required_providers;
    // Blocks come in builder order, a few types many times over: one lookup
    // per distinct provider.
    let mut schemas: Vec<(&str, Result<&'static BundledSchema, SkipReason>)> = Vec::new();
    // And one index lookup per distinct type: (provider, type, data?).
    let mut types: TypeCache<'_> = HashMap::default();
    let tagged = !stack.default_tags().is_empty();
    for block in stack.blocks() {
        let address = block.address();
        let block_type = address.resource_type();
        let argument = block.attributes().get("provider").and_then(Value::as_str);
        let provider = block_provider(block_type, argument);
        let kind = match address.kind() {
            BlockKind::Data => BlockType::Data,
            BlockKind::Resource => BlockType::Resource,
        };
        // The fast path: a type seen before in this stack.
        if let Some(&(index, exact)) = types.get(&(provider, block_type, kind == BlockType::Data)) {
            let before = report.violations.len();
            check_known::<Value>(
                index,
                kind,
                block_type,
                address.name(),
                block.attributes(),
                exact,
                &mut report.violations,
            );
            if report.violations.len() == before && tagged {
                check_tag_attribute(index, block, &mut report.violations);
            }
            report.checked += 1;
            continue;
        }
        let outcome = cached(&mut schemas, provider, required).and_then(|schema| {
            let before = report.violations.len();
            match check_one::<_, Value>(
                schema,
                kind,
                block_type,
                address.name(),
                block.attributes(),
                &mut report.violations,
            ) {
                Checked::NotListed => Err(SkipReason::TypeNotListed),
                Checked::UnknownType => Ok(()),
                Checked::Known(index) => {
                    if report.violations.len() == before && tagged {
                        check_tag_attribute(&index, block, &mut report.violations);
                    }
                    if let Cow::Borrowed(index) = index {
                        types.insert(
                            (provider, block_type, kind == BlockType::Data),
                            (index, schema.exact_nested_computed()),
                        );
                    }
                    Ok(())
                }
            }
        });
        match outcome {
            Ok(()) => report.checked += 1,
            Err(reason) => report.skipped.push(Skipped {
                provider: provider.to_string(),
                address: address.to_string(),
                reason,
            }),
        }
    }
    for config in stack.providers() {
        if let Ok(schema) = cached(&mut schemas, &config.name, required) {
            if check_provider_config::<_, Value>(
                schema,
                &config.name,
                &config.attributes,
                &mut report.violations,
            ) {
                report.checked += 1;
            }
        }
    }
    report.violations.sort();
    report
}

/// The indexes of the types a check met, by provider, type and whether a
/// data source.
type TypeCache<'a> =
    HashMap<(&'a str, &'a str, bool), (&'static Index, bool), BuildHasherDefault<FastHasher>>;

/// The schema of `provider`, looked up once per check (a stack uses a
/// handful of providers: a list beats hashing).
fn cached<'a>(
    schemas: &mut Vec<(&'a str, Result<&'static BundledSchema, SkipReason>)>,
    provider: &'a str,
    required: &BTreeMap<String, RequiredProvider>,
) -> Result<&'static BundledSchema, SkipReason> {
    if let Some((_, found)) = schemas.iter().find(|(name, _)| *name == provider) {
        return found.clone();
    }
    let found = schema_for(provider, required.get(provider).map(|r| r.source.as_str()));
    schemas.push((provider, found.clone()));
    found
}

/// The writer adds the merged default tags under the block's tag attribute:
/// a type without that attribute would fail at `terraform validate`.
fn check_tag_attribute(
    index: &Index,
    block: &crate::core::block::Block,
    violations: &mut Vec<Violation>,
) {
    let (attribute, present) = match block.tagging() {
        Tagging::None => return,
        Tagging::Tags => ("tags", index.has_tags),
        Tagging::Labels => ("labels", index.has_labels),
        Tagging::LabelsAt(attribute) => (attribute, index.attributes.contains_key(attribute)),
    };
    if !present {
        violations.push(Violation {
            address: block.address().to_string(),
            path: attribute.to_string(),
            kind: ViolationKind::Unknown,
            suggestion: None,
        });
    }
}

/// The schema check as a synth-time check: every violation of
/// [`check_stack`] becomes an error naming the stack, the block's address
/// (and the builder that made it), the attribute and the nearest valid name.
/// `policy::for_cloud` includes it for every cloud, so `App` synths,
/// bootstraps and anything synthesizing with the built-in policies run it.
#[derive(Clone, Copy, Debug, Default)]
pub struct SchemaCheck;

impl Policy for SchemaCheck {
    fn name(&self) -> &'static str {
        "provider-schema"
    }

    fn check(&self, stack: &Stack, findings: &mut Diagnostics) {
        let report = check_stack(stack);
        for violation in &report.violations {
            let (field, message, hint) = describe(stack, violation);
            findings.push(stack.diagnostic(
                Severity::Error,
                &violation.address,
                &field,
                message,
                &hint,
            ));
        }
    }
}

/// The field, message and hint of one violation.
fn describe(stack: &Stack, violation: &Violation) -> (String, String, String) {
    let (block_type, schema) = violation_schema(stack, violation);
    let provider = schema.map_or_else(|| "the provider".to_string(), |s| s.describe());
    let made_by = stack
        .block_origin(&violation.address)
        .map(|origin| format!(" (made by {origin})"))
        .unwrap_or_default();
    let did_you_mean = |fallback: String| match &violation.suggestion {
        Some(name) => format!("did you mean `{name}`?"),
        None => fallback,
    };
    let field = violation.path.clone();
    match violation.kind {
        ViolationKind::UnknownType => (
            "type".to_string(),
            format!("`{block_type}` is not a type of {provider}{made_by}"),
            did_you_mean(format!(
                "check the type's name in the {provider} documentation"
            )),
        ),
        ViolationKind::Unknown => (
            field,
            format!(
                "`{}` is not an argument or block of {block_type} in {provider}{made_by}",
                violation.path
            ),
            did_you_mean(format!(
                "remove it, or check the name in the {block_type} documentation of {provider}"
            )),
        ),
        ViolationKind::MissingRequired => (
            field,
            format!(
                "`{}` is required by {block_type} ({provider}) but not set{made_by}",
                violation.path
            ),
            format!("set `{}`", violation.path),
        ),
        ViolationKind::ComputedOnly => (
            field,
            format!(
                "`{}` is computed by {provider} for {block_type} and cannot be set{made_by}",
                violation.path
            ),
            "remove it; read it from the resource instead".to_string(),
        ),
        ViolationKind::TooManyBlocks => (
            field,
            format!(
                "`{}` is given more times than {block_type} ({provider}) allows{made_by}",
                violation.path
            ),
            "merge the blocks into one, or remove the extra ones".to_string(),
        ),
        ViolationKind::TooFewBlocks => (
            field,
            format!(
                "`{}` is given fewer times than {block_type} ({provider}) requires{made_by}",
                violation.path
            ),
            format!("add a `{}` block", violation.path),
        ),
        ViolationKind::NotABlock => (
            field,
            format!(
                "`{}` is a nested block of {block_type} ({provider}) and must be a map or a list of maps{made_by}",
                violation.path
            ),
            "set it with Attributes::block or Attributes::blocks".to_string(),
        ),
    }
}

/// The type a violation's address names and the schema it was checked
/// against.
fn violation_schema<'a>(
    stack: &Stack,
    violation: &'a Violation,
) -> (&'a str, Option<&'static BundledSchema>) {
    let address = violation.address.as_str();
    let (address, data) = match address.strip_prefix("data.") {
        Some(rest) => (rest, true),
        None => (address, false),
    };
    let block_type = address.split('.').next().unwrap_or(address);
    if let Some(provider) = violation.address.strip_prefix("provider.") {
        return (provider, schema_for(provider, None).ok());
    }
    let argument = stack
        .blocks()
        .iter()
        .find(|b| {
            b.address().resource_type() == block_type
                && (b.address().kind() == BlockKind::Data) == data
                && b.address().to_string() == violation.address
        })
        .and_then(|b| b.attributes().get("provider"))
        .and_then(Value::as_str);
    let provider = block_provider(block_type, argument);
    (block_type, schema_for(provider, None).ok())
}
