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
                    groups: &data,
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
                    groups: &resources,
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

type Groups<'a> = BTreeMap<&'a str, BTreeMap<&'a str, &'a Block>>;

fn grouped(blocks: &[Block], kind: BlockKind) -> Groups<'_> {
    let mut groups: Groups<'_> = BTreeMap::new();
    for block in blocks.iter().filter(|b| b.address().kind() == kind) {
        groups
            .entry(block.address().resource_type())
            .or_default()
            .insert(block.address().name(), block);
    }
    groups
}

struct BlockSection<'a> {
    stack: &'a Stack,
    groups: &'a Groups<'a>,
}

impl Serialize for BlockSection<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.groups.len()))?;
        for (resource_type, blocks) in self.groups {
            let bodies: BTreeMap<&str, BlockBody<'_>> = blocks
                .iter()
                .map(|(name, block)| {
                    (
                        *name,
                        BlockBody {
                            block,
                            default_tags: &self.stack.default_tags,
                        },
                    )
                })
                .collect();
            map.serialize_entry(resource_type, &bodies)?;
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

impl Serialize for BlockBody<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let block = self.block;
        let mut extras: Vec<(&str, Value)> = Vec::new();
        let tag_attribute = match block.tagging() {
            Tagging::None => None,
            Tagging::Tags => Some("tags"),
            Tagging::Labels => Some("labels"),
            Tagging::LabelsAt(attribute) => Some(attribute),
        };
        if let Some(attribute) = tag_attribute {
            let labels = block.tagging() != Tagging::Tags;
            if let Some(merged) =
                merge_tags(self.default_tags, block.attributes().get(attribute), labels)
            {
                extras.push((attribute, merged));
            }
        }
        if !block.depends_on().is_empty() {
            let mut deps: Vec<String> = block
                .depends_on()
                .iter()
                .map(|a| a.expression_path())
                .collect();
            deps.sort();
            extras.push(("depends_on", Value::from(deps)));
        }
        extras.sort_by(|a, b| a.0.cmp(b.0));
        let mut map = serializer.serialize_map(None)?;
        let mut extras = extras.into_iter().peekable();
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
                // Terraform's JSON syntax takes the type constraint as a plain
                // string holding the type expression (`"list(string)"`).
                body.insert("type", Value::from(variable.type_expr.as_str()));
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
