//! Turning a [`Stack`] into files: checks, tag merging and the deterministic
//! Terraform JSON writer.

use std::collections::BTreeMap;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use super::block::{Block, Tagging};
use super::diagnostics::Diagnostics;
use super::graph::{self, GraphProblem};
use super::policy::Policy;
use super::reference::BlockKind;
use super::stack::Stack;
use super::value::Value;

/// The files of one synthesized stack, keyed by path relative to the output
/// directory, plus the warnings found.
#[derive(Clone, Debug, Default)]
pub struct Synthesized {
    files: BTreeMap<String, Vec<u8>>,
    warnings: Diagnostics,
}

impl Synthesized {
    /// The file at `relative_path`.
    pub fn file(&self, relative_path: &str) -> Option<&[u8]> {
        self.files.get(relative_path).map(Vec::as_slice)
    }

    /// The Terraform document's text.
    pub fn main_tf_json(&self) -> &str {
        self.file(MAIN_FILE)
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
            .unwrap_or_default()
    }

    /// Every file.
    pub fn files(&self) -> &BTreeMap<String, Vec<u8>> {
        &self.files
    }

    /// Adds or replaces a file.
    pub fn insert_file(&mut self, relative_path: &str, contents: Vec<u8>) {
        self.files.insert(relative_path.to_string(), contents);
    }

    /// Warnings that did not stop the synth.
    pub fn warnings(&self) -> &Diagnostics {
        &self.warnings
    }
}

/// The Terraform document's file name.
pub const MAIN_FILE: &str = "main.tf.json";

impl Stack {
    /// Checks the stack and renders it.
    ///
    /// Fails with every error found: those recorded by builders, dangling and
    /// cross-stack references, dependency cycles, and the findings of `policies`.
    pub fn synth_with(&self, policies: &[&dyn Policy]) -> Result<Synthesized, Diagnostics> {
        let mut diagnostics = self.diagnostics().clone();
        for problem in graph::check(self) {
            match problem {
                GraphProblem::Dangling {
                    from,
                    to,
                    other_stack,
                } => {
                    let (message, hint) = if other_stack {
                        (
                            format!("references `{to}`, which belongs to another stack"),
                            "pass values between stacks through outputs and variables, or build both in one stack",
                        )
                    } else {
                        (
                            format!("references `{to}`, which is not in this stack"),
                            "add the referenced resource to this stack before referencing it",
                        )
                    };
                    diagnostics.push(self.finding(&from.to_string(), "reference", message, hint));
                }
                GraphProblem::Cycle(cycle) => {
                    let path: Vec<String> = cycle.iter().map(ToString::to_string).collect();
                    diagnostics.push(self.finding(
                        &cycle[0].to_string(),
                        "depends_on",
                        format!("dependency cycle: {}", path.join(" -> ")),
                        "remove one of the references or explicit depends_on in the cycle",
                    ));
                }
            }
        }
        for policy in policies {
            policy.check(self, &mut diagnostics);
        }
        if diagnostics.has_errors() {
            return Err(diagnostics);
        }
        let mut files = self.files.clone();
        files.insert(MAIN_FILE.to_string(), self.render_json());
        Ok(Synthesized {
            files,
            warnings: diagnostics,
        })
    }

    /// Checks the stack (without extra policies) and renders it.
    pub fn synth(&self) -> Result<Synthesized, Diagnostics> {
        self.synth_with(&[])
    }

    fn finding(
        &self,
        resource: &str,
        field: &str,
        message: String,
        hint: &str,
    ) -> super::diagnostics::Diagnostic {
        super::diagnostics::Diagnostic {
            severity: super::diagnostics::Severity::Error,
            stack: self.name().to_string(),
            resource: resource.to_string(),
            field: field.to_string(),
            message,
            hint: hint.to_string(),
        }
    }

    /// The Terraform JSON document: sorted keys, two-space indent, trailing newline.
    pub fn render_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.blocks().len() * 700);
        let document = Document { stack: self };
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"  ");
        let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
        // Serializing in-memory values of our own types cannot fail.
        document
            .serialize(&mut serializer)
            .expect("serializing a document to memory");
        out.push(b'\n');
        out
    }
}

/// The whole document, written section by section without building an
/// intermediate JSON tree.
struct Document<'a> {
    stack: &'a Stack,
}

impl Serialize for Document<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let stack = self.stack;
        let mut map = serializer.serialize_map(None)?;
        let data = grouped(stack.blocks(), BlockKind::Data);
        if !data.is_empty() {
            map.serialize_entry(
                "data",
                &BlockSection {
                    stack,
                    blocks: &data,
                },
            )?;
        }
        if !stack.locals.is_empty() {
            map.serialize_entry("locals", &stack.locals)?;
        }
        if !stack.outputs.is_empty() {
            map.serialize_entry("output", &OutputSection(&stack.outputs))?;
        }
        if !stack.providers.is_empty() {
            map.serialize_entry("provider", &ProviderSection(stack))?;
        }
        let resources = grouped(stack.blocks(), BlockKind::Resource);
        if !resources.is_empty() {
            map.serialize_entry(
                "resource",
                &BlockSection {
                    stack,
                    blocks: &resources,
                },
            )?;
        }
        map.serialize_entry("terraform", &TerraformSection(stack))?;
        if !stack.variables.is_empty() {
            map.serialize_entry("variable", &VariableSection(&stack.variables))?;
        }
        map.end()
    }
}

/// Blocks of one kind (resource or data), sorted by type then name: the
/// document's order, reached by one sort instead of a tree of maps.
fn grouped(blocks: &[Block], kind: BlockKind) -> Vec<&Block> {
    let mut selected: Vec<&Block> = blocks
        .iter()
        .filter(|b| b.address().kind() == kind)
        .collect();
    // Addresses are unique within a stack, so no two blocks compare equal.
    selected.sort_unstable_by(|a, b| {
        let (a, b) = (a.address(), b.address());
        (a.resource_type(), a.name()).cmp(&(b.resource_type(), b.name()))
    });
    selected
}

/// `resource` or `data`: type, then name, then the block's body.
struct BlockSection<'a> {
    stack: &'a Stack,
    blocks: &'a [&'a Block],
}

impl Serialize for BlockSection<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        let mut rest = self.blocks;
        while let Some(first) = rest.first() {
            let resource_type = first.address().resource_type();
            let run = rest
                .iter()
                .position(|b| b.address().resource_type() != resource_type)
                .unwrap_or(rest.len());
            map.serialize_entry(
                resource_type,
                &BlocksOfType {
                    stack: self.stack,
                    blocks: &rest[..run],
                },
            )?;
            rest = &rest[run..];
        }
        map.end()
    }
}

/// The blocks of one type, by name.
struct BlocksOfType<'a> {
    stack: &'a Stack,
    blocks: &'a [&'a Block],
}

impl Serialize for BlocksOfType<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.blocks.len()))?;
        for block in self.blocks {
            map.serialize_entry(
                block.address().name(),
                &BlockBody {
                    block,
                    default_tags: &self.stack.default_tags,
                },
            )?;
        }
        map.end()
    }
}

/// One block's body: its attributes with default tags merged in and
/// `depends_on` rendered, keys in sorted order.
struct BlockBody<'a> {
    block: &'a Block,
    default_tags: &'a BTreeMap<String, String>,
}

/// An attribute the writer adds to (or puts in place of) a block's own.
enum Extra<'a> {
    /// Default tags and the block's own `tags` map, merged while writing.
    Tags(MergedTags<'a>),
    /// A value computed for this block (labels, or a non-map tags value).
    Value(Value),
    /// `depends_on` paths, sorted.
    DependsOn(Vec<&'a str>),
}

impl Serialize for Extra<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Extra::Tags(tags) => tags.serialize(serializer),
            Extra::Value(value) => value.serialize(serializer),
            Extra::DependsOn(paths) => serializer.collect_seq(paths.iter().map(|p| Literal(p))),
        }
    }
}

/// Text written as [`Value::String`] writes it (template sequences escaped).
struct Literal<'a>(&'a str);

impl Serialize for Literal<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0.contains("${") || self.0.contains("%{") {
            serializer.serialize_str(&super::value::escape_template(self.0))
        } else {
            serializer.serialize_str(self.0)
        }
    }
}

/// The stack's default tags under a block's own `tags` map (the block's win),
/// merged in key order as it is written, without building a merged map.
struct MergedTags<'a> {
    defaults: &'a BTreeMap<String, String>,
    own: Option<&'a BTreeMap<String, Value>>,
}

impl Serialize for MergedTags<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        let mut defaults = self.defaults.iter().peekable();
        let mut own = self.own.into_iter().flatten().peekable();
        loop {
            match (defaults.peek(), own.peek()) {
                (Some((dk, dv)), Some((ok, ov))) => {
                    if dk < ok {
                        map.serialize_entry(dk.as_str(), &Literal(dv))?;
                        defaults.next();
                    } else {
                        if dk == ok {
                            defaults.next();
                        }
                        map.serialize_entry(ok.as_str(), ov)?;
                        own.next();
                    }
                }
                (Some((dk, dv)), None) => {
                    map.serialize_entry(dk.as_str(), &Literal(dv))?;
                    defaults.next();
                }
                (None, Some((ok, ov))) => {
                    map.serialize_entry(ok.as_str(), ov)?;
                    own.next();
                }
                (None, None) => break,
            }
        }
        map.end()
    }
}

impl Serialize for BlockBody<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let block = self.block;
        // At most two extras: the tag attribute and `depends_on`.
        let mut extras: [Option<(&str, Extra<'_>)>; 2] = [None, None];
        let tag_attribute = match block.tagging() {
            Tagging::None => None,
            Tagging::Tags => Some("tags"),
            Tagging::Labels => Some("labels"),
            Tagging::LabelsAt(attribute) => Some(attribute),
        };
        if let Some(attribute) = tag_attribute {
            let own = block.attributes().get(attribute);
            extras[0] = match (block.tagging(), own) {
                // The common case, written straight from the two maps.
                (Tagging::Tags, None) if !self.default_tags.is_empty() => Some((
                    attribute,
                    Extra::Tags(MergedTags {
                        defaults: self.default_tags,
                        own: None,
                    }),
                )),
                (Tagging::Tags, Some(Value::Map(own)))
                    if !(self.default_tags.is_empty() && own.is_empty()) =>
                {
                    Some((
                        attribute,
                        Extra::Tags(MergedTags {
                            defaults: self.default_tags,
                            own: Some(own),
                        }),
                    ))
                }
                (Tagging::Tags, None | Some(Value::Map(_))) => None,
                (tagging, own) => merge_tags(self.default_tags, own, tagging != Tagging::Tags)
                    .map(|merged| (attribute, Extra::Value(merged))),
            };
        }
        if !block.depends_on().is_empty() {
            let mut deps: Vec<&str> = block.depends_on().iter().map(|a| a.path()).collect();
            deps.sort_unstable();
            extras[1] = Some(("depends_on", Extra::DependsOn(deps)));
        }
        if let [Some((first, _)), Some((second, _))] = &extras {
            if second < first {
                extras.swap(0, 1);
            }
        }
        let mut map = serializer.serialize_map(None)?;
        let mut extras = extras.into_iter().flatten().peekable();
        for (key, value) in block.attributes() {
            while let Some((extra_key, _)) = extras.peek() {
                if *extra_key < key.as_str() {
                    let (k, v) = extras.next().expect("peeked");
                    map.serialize_entry(k, &v)?;
                } else {
                    break;
                }
            }
            if let Some((extra_key, _)) = extras.peek() {
                if *extra_key == key.as_str() {
                    let (k, v) = extras.next().expect("peeked");
                    map.serialize_entry(k, &v)?;
                    continue;
                }
            }
            map.serialize_entry(key, value)?;
        }
        for (k, v) in extras {
            map.serialize_entry(k, &v)?;
        }
        map.end()
    }
}

/// Default tags under the block's own (the block's win). A computed tags value
/// is left as it is.
fn merge_tags(
    defaults: &BTreeMap<String, String>,
    own: Option<&Value>,
    labels: bool,
) -> Option<Value> {
    let mut merged: BTreeMap<String, Value> = BTreeMap::new();
    for (key, value) in defaults {
        if labels {
            merged.insert(to_label(key), Value::from(to_label(value)));
        } else {
            merged.insert(key.clone(), Value::from(value.as_str()));
        }
    }
    match own {
        Some(Value::Map(own)) => {
            for (key, value) in own {
                let key = if labels { to_label(key) } else { key.clone() };
                merged.insert(key, value.clone());
            }
        }
        Some(other) => return Some(other.clone()),
        None => {}
    }
    (!merged.is_empty()).then_some(Value::Map(merged))
}

/// A GCP label: lowercase `[a-z0-9_-]`, at most 63 characters.
pub fn to_label(text: &str) -> String {
    text.chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(63)
        .collect()
}

struct OutputSection<'a>(&'a BTreeMap<String, super::stack::Output>);

impl Serialize for OutputSection<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, output) in self.0 {
            let mut body = BTreeMap::new();
            if !output.description.is_empty() {
                body.insert("description", Value::from(output.description.as_str()));
            }
            if output.sensitive {
                body.insert("sensitive", Value::Bool(true));
            }
            body.insert("value", output.value.clone());
            map.serialize_entry(name, &body)?;
        }
        map.end()
    }
}

struct VariableSection<'a>(&'a BTreeMap<String, super::stack::Variable>);

impl Serialize for VariableSection<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, variable) in self.0 {
            let mut body = BTreeMap::new();
            if let Some(default) = &variable.default {
                body.insert("default", default.clone());
            }
            if !variable.description.is_empty() {
                body.insert("description", Value::from(variable.description.as_str()));
            }
            if variable.sensitive {
                body.insert("sensitive", Value::Bool(true));
            }
            if !variable.type_expr.is_empty() {
                // Type constraints are expressions, written as `${...}` in JSON.
                body.insert(
                    "type",
                    Value::Expr(super::value::Expr::raw(&variable.type_expr)),
                );
            }
            map.serialize_entry(name, &body)?;
        }
        map.end()
    }
}

struct ProviderSection<'a>(&'a Stack);

impl Serialize for ProviderSection<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut by_name: BTreeMap<&str, Vec<&BTreeMap<String, Value>>> = BTreeMap::new();
        for provider in &self.0.providers {
            by_name
                .entry(provider.name.as_str())
                .or_default()
                .push(&provider.attributes);
        }
        let mut map = serializer.serialize_map(Some(by_name.len()))?;
        for (name, mut configs) in by_name {
            if configs.len() == 1 {
                map.serialize_entry(name, configs[0])?;
            } else {
                // Aliased configurations: a list, ordered by alias for stability.
                configs.sort_by_key(|c| c.get("alias").and_then(Value::as_str).map(str::to_string));
                map.serialize_entry(name, &configs)?;
            }
        }
        map.end()
    }
}

struct TerraformSection<'a>(&'a Stack);

impl Serialize for TerraformSection<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let settings = &self.0.terraform;
        let mut map = serializer.serialize_map(None)?;
        if let Some((backend_type, config)) = &settings.backend {
            let mut backend = BTreeMap::new();
            backend.insert(backend_type.as_str(), config);
            map.serialize_entry("backend", &backend)?;
        }
        if !settings.required_providers.is_empty() {
            let providers: BTreeMap<&str, BTreeMap<&str, &str>> = settings
                .required_providers
                .iter()
                .map(|(name, p)| {
                    let mut entry = BTreeMap::new();
                    entry.insert("source", p.source.as_str());
                    entry.insert("version", p.version.as_str());
                    (name.as_str(), entry)
                })
                .collect();
            map.serialize_entry("required_providers", &providers)?;
        }
        if let Some(version) = &settings.required_version {
            map.serialize_entry("required_version", version)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::block::Attributes;
    use crate::core::reference::ResourceKind;
    use crate::core::stack::Variable;
    use crate::map;

    enum Bucket {}
    impl ResourceKind for Bucket {
        const TYPE: &'static str = "aws_s3_bucket";
    }
    enum Network {}
    impl ResourceKind for Network {
        const TYPE: &'static str = "google_compute_network";
    }
    enum Caller {}
    impl ResourceKind for Caller {
        const TYPE: &'static str = "aws_caller_identity";
    }

    /// A stack using every part of the document the writer produces.
    fn every_feature() -> Stack {
        let mut stack = Stack::new("golden");
        stack.require_terraform(">= 1.6");
        stack.require_provider("aws", "hashicorp/aws", "5.100.0");
        stack.backend("s3", map! { "bucket" => "state", "key" => "k" });
        let mut east = BTreeMap::new();
        east.insert("region".to_string(), Value::from("us-east-1"));
        let mut west = east.clone();
        west.insert("alias".to_string(), Value::from("west"));
        west.insert("region".to_string(), Value::from("us-west-2"));
        stack.provider("aws", west);
        stack.provider("aws", east);
        stack.default_tag("Team", "Platform Ops");
        stack.default_tag("Owner", "b");
        let caller = stack.data::<Caller>("current", Attributes::new());
        let logs = stack.resource::<Bucket>(
            "logs",
            Attributes::new()
                .set("bucket", "logs-${literal}")
                .set(
                    "tags",
                    map! { "Owner" => "a", "Zone" => caller.attr::<String>("account_id") },
                )
                .tagged(),
        );
        let data = stack.resource::<Bucket>(
            "data",
            Attributes::new()
                .set("bucket", logs.id().prefixed("data-"))
                .block("versioning", map! { "enabled" => true })
                .tagged()
                .depends_on(logs.address())
                .depends_on(caller.address()),
        );
        stack.resource::<Bucket>(
            "computed_tags",
            Attributes::new()
                .set("tags", Value::from(data.attr::<String>("tags_all")))
                .tagged(),
        );
        stack.resource::<Network>(
            "vpc",
            Attributes::new()
                .set("labels", map! { "Cost Center" => "R&D" })
                .labelled(),
        );
        stack.resource::<Network>(
            "gke",
            Attributes::new().tagging(crate::core::block::Tagging::LabelsAt("resource_labels")),
        );
        stack.raw_resource(
            "null_resource",
            "untagged",
            Attributes::new().set("triggers", map! {}),
        );
        stack.local("name", "golden");
        stack.output("bucket", logs.id(), "the logs bucket");
        stack.sensitive_output("secret", data.arn_like(), "");
        stack.variable(
            "size",
            Variable {
                type_expr: "number".into(),
                description: "how big".into(),
                default: Some(Value::from(3)),
                sensitive: false,
            },
        );
        stack.variable(
            "token",
            Variable {
                sensitive: true,
                ..Variable::default()
            },
        );
        stack
    }

    trait ArnLike {
        fn arn_like(&self) -> Value;
    }
    impl ArnLike for crate::core::reference::Ref<Bucket> {
        fn arn_like(&self) -> Value {
            self.attr::<String>("arn").into()
        }
    }

    /// The writer's bytes are a product guarantee: this document was written by
    /// the writer before its performance work and must never change by accident.
    #[test]
    fn output_bytes_are_unchanged() {
        let rendered = every_feature().render_json();
        let text = String::from_utf8(rendered).expect("utf-8");
        if std::env::var_os("INFRASYNTH_WRITE_GOLDEN").is_some() {
            std::fs::write(
                concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/src/core/testdata/render_golden.tf.json"
                ),
                &text,
            )
            .expect("write golden");
        }
        assert_eq!(text, include_str!("testdata/render_golden.tf.json"));
    }

    #[test]
    fn synth_matches_render_and_is_repeatable() {
        let stack = every_feature();
        let synthesized = stack.synth().expect("valid stack");
        assert_eq!(synthesized.main_tf_json().as_bytes(), stack.render_json());
        assert_eq!(stack.render_json(), every_feature().render_json());
    }
}
