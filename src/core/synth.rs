//! Turning a [`Stack`] into files: checks, tag merging and the deterministic
//! Terraform JSON writer.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::block::{Block, Tagging};
use super::diagnostics::{Diagnostics, Severity};
use super::graph::{self, GraphProblem};
use super::json::PrettyJson;
use super::policy::Policy;
use super::refactor;
use super::reference::BlockKind;
use super::stack::Stack;
use super::value::Value;

/// The files of one synthesized stack, keyed by path relative to the output
/// directory, plus the warnings found.
#[derive(Clone, Debug, Default)]
pub struct Synthesized {
    files: BTreeMap<String, Vec<u8>>,
    warnings: Diagnostics,
    counts: BlockCounts,
}

/// How many blocks of each section a synthesized document holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BlockCounts {
    /// `resource` blocks.
    pub resources: usize,
    /// `data` blocks.
    pub data_sources: usize,
    /// `output` blocks.
    pub outputs: usize,
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

    /// The document's resource, data source and output counts, taken from the
    /// stack when it was rendered (no re-parse of the JSON).
    pub fn counts(&self) -> BlockCounts {
        self.counts
    }
}

/// The Terraform document's file name.
pub const MAIN_FILE: &str = "main.tf.json";

/// How long the phases of one synth took; see [`Stack::synth_timed`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SynthTimings {
    /// Reference, cycle and policy checks.
    pub validate: Duration,
    /// Rendering the Terraform JSON document.
    pub serialize: Duration,
    /// The whole call.
    pub total: Duration,
}

impl Stack {
    /// Checks the stack and renders it.
    ///
    /// # Errors
    ///
    /// Every error found: those recorded by builders, dangling and
    /// cross-stack references, dependency cycles, and the findings of `policies`.
    pub fn synth_with(&self, policies: &[&dyn Policy]) -> Result<Synthesized, Diagnostics> {
        self.synth_timed(policies).0
    }

    /// [`Stack::synth_with`], also reporting how long checking and rendering
    /// took (for benchmarks and `--timings`-style output; timing costs two
    /// clock reads per phase).
    pub fn synth_timed(
        &self,
        policies: &[&dyn Policy],
    ) -> (Result<Synthesized, Diagnostics>, SynthTimings) {
        let started = Instant::now();
        let mut timings = SynthTimings::default();
        let checking = Instant::now();
        let diagnostics = self.check(policies);
        timings.validate = checking.elapsed();
        if diagnostics.has_errors() {
            timings.total = started.elapsed();
            return (Err(diagnostics), timings);
        }
        let rendering = Instant::now();
        let json = self.render_json();
        timings.serialize = rendering.elapsed();
        let mut files = self.files.clone();
        files.insert(MAIN_FILE.to_string(), json);
        timings.total = started.elapsed();
        (
            Ok(Synthesized {
                files,
                warnings: diagnostics,
                counts: self.block_counts(),
            }),
            timings,
        )
    }

    /// Every error and warning of the stack: the builders', the graph's and
    /// the policies'.
    fn check(&self, policies: &[&dyn Policy]) -> Diagnostics {
        let mut diagnostics = self.diagnostics().clone();
        if self.input_failed() {
            // The document derives from a bad input; judging it would
            // report the same mistakes again.
            return diagnostics;
        }
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
                    diagnostics.push(self.diagnostic(
                        Severity::Error,
                        &from.to_string(),
                        "reference",
                        message,
                        hint,
                    ));
                }
                GraphProblem::Cycle(cycle) => {
                    let path: Vec<String> = cycle.iter().map(ToString::to_string).collect();
                    diagnostics.push(self.diagnostic(
                        Severity::Error,
                        &cycle[0].to_string(),
                        "depends_on",
                        format!("dependency cycle: {}", path.join(" -> ")),
                        "remove one of the references or explicit depends_on in the cycle",
                    ));
                }
            }
        }
        self.check_refactors(&mut diagnostics);
        for policy in policies {
            policy.check(self, &mut diagnostics);
        }
        diagnostics
    }

    fn block_counts(&self) -> BlockCounts {
        let data_sources = self
            .blocks()
            .iter()
            .filter(|b| b.address().kind() == BlockKind::Data)
            .count();
        BlockCounts {
            resources: self.blocks().len() - data_sources,
            data_sources,
            outputs: self.outputs.len(),
        }
    }

    /// Checks the stack (without extra policies) and renders it.
    ///
    /// # Errors
    ///
    /// As [`Stack::synth_with`]: every error the builders recorded, dangling
    /// and cross-stack references, dependency cycles.
    pub fn synth(&self) -> Result<Synthesized, Diagnostics> {
        self.synth_with(&[])
    }

    /// The Terraform JSON document: sorted keys, two-space indent, trailing newline.
    pub fn render_json(&self) -> Vec<u8> {
        // About 450 bytes per block in practice; one allocation for most stacks.
        let mut json = PrettyJson::with_capacity(1024 + self.blocks().len() * 512);
        write_document(&mut json, self);
        let mut out = json.finish();
        out.push(b'\n');
        out
    }
}

/// The whole document, section by section in key order, written straight
/// from the stack without building an intermediate JSON tree.
fn write_document(json: &mut PrettyJson, stack: &Stack) {
    json.begin_object();
    let data = grouped(stack.blocks(), BlockKind::Data);
    if !data.is_empty() {
        json.key("data");
        write_blocks(json, stack, &data);
    }
    refactor::write_imports(json, stack);
    if !stack.locals.is_empty() {
        json.key("locals");
        write_map(json, &stack.locals);
    }
    refactor::write_moved(json, stack);
    if !stack.outputs.is_empty() {
        json.key("output");
        write_outputs(json, &stack.outputs);
    }
    if !stack.providers.is_empty() {
        json.key("provider");
        write_providers(json, stack);
    }
    refactor::write_removed(json, stack);
    let resources = grouped(stack.blocks(), BlockKind::Resource);
    if !resources.is_empty() {
        json.key("resource");
        write_blocks(json, stack, &resources);
    }
    json.key("terraform");
    write_terraform(json, stack);
    if !stack.variables.is_empty() {
        json.key("variable");
        write_variables(json, &stack.variables);
    }
    json.end_object();
}

fn write_map(json: &mut PrettyJson, map: &BTreeMap<String, Value>) {
    json.begin_object();
    for (key, value) in map {
        json.key(key);
        json.value(value);
    }
    json.end_object();
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
fn write_blocks(json: &mut PrettyJson, stack: &Stack, blocks: &[&Block]) {
    json.begin_object();
    let mut rest = blocks;
    while let Some(first) = rest.first() {
        let resource_type = first.address().resource_type();
        let run = rest
            .iter()
            .position(|b| b.address().resource_type() != resource_type)
            .unwrap_or(rest.len());
        json.key(resource_type);
        json.begin_object();
        for block in &rest[..run] {
            json.key(block.address().name());
            write_block_body(json, block, &stack.default_tags);
        }
        json.end_object();
        rest = &rest[run..];
    }
    json.end_object();
}

/// An attribute the writer adds to (or puts in place of) a block's own.
enum Extra<'a> {
    /// Default tags and the block's own `tags` map, merged while writing.
    Tags {
        defaults: &'a BTreeMap<String, String>,
        own: Option<&'a BTreeMap<String, Value>>,
    },
    /// A value computed for this block (labels, or a non-map tags value).
    Value(Value),
    /// `depends_on` paths, sorted.
    DependsOn(Vec<&'a str>),
}

impl Extra<'_> {
    fn write(&self, json: &mut PrettyJson) {
        match self {
            Extra::Tags { defaults, own } => write_merged_tags(json, defaults, *own),
            Extra::Value(value) => json.value(value),
            Extra::DependsOn(paths) => {
                json.begin_array();
                for path in paths {
                    json.item();
                    json.literal(path);
                }
                json.end_array();
            }
        }
    }
}

/// The stack's default tags under a block's own `tags` map (the block's win),
/// merged in key order as it is written, without building a merged map.
fn write_merged_tags(
    json: &mut PrettyJson,
    defaults: &BTreeMap<String, String>,
    own: Option<&BTreeMap<String, Value>>,
) {
    json.begin_object();
    let mut defaults = defaults.iter().peekable();
    let mut own = own.into_iter().flatten().peekable();
    loop {
        match (defaults.peek(), own.peek()) {
            (Some((dk, dv)), Some((ok, ov))) => {
                if dk < ok {
                    json.literal_key(dk);
                    json.literal(dv);
                    defaults.next();
                } else {
                    if dk == ok {
                        defaults.next();
                    }
                    json.literal_key(ok);
                    json.value(ov);
                    own.next();
                }
            }
            (Some((dk, dv)), None) => {
                json.literal_key(dk);
                json.literal(dv);
                defaults.next();
            }
            (None, Some((ok, ov))) => {
                json.literal_key(ok);
                json.value(ov);
                own.next();
            }
            (None, None) => break,
        }
    }
    json.end_object();
}

/// One block's body: its attributes with default tags merged in and
/// `depends_on` rendered, keys in sorted order.
fn write_block_body(json: &mut PrettyJson, block: &Block, default_tags: &BTreeMap<String, String>) {
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
            (Tagging::Tags, None) if !default_tags.is_empty() => Some((
                attribute,
                Extra::Tags {
                    defaults: default_tags,
                    own: None,
                },
            )),
            (Tagging::Tags, Some(Value::Map(own)))
                if !(default_tags.is_empty() && own.is_empty()) =>
            {
                Some((
                    attribute,
                    Extra::Tags {
                        defaults: default_tags,
                        own: Some(own),
                    },
                ))
            }
            (Tagging::Tags, None | Some(Value::Map(_))) => None,
            (tagging, own) => merge_tags(default_tags, own, tagging != Tagging::Tags)
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
    json.begin_object();
    let mut extras = extras.into_iter().flatten().peekable();
    for (key, value) in block.attributes() {
        while let Some((extra_key, _)) = extras.peek() {
            if *extra_key < key.as_str() {
                let (k, v) = extras.next().expect("peeked");
                json.key(k);
                v.write(json);
            } else {
                break;
            }
        }
        if let Some((extra_key, _)) = extras.peek() {
            if *extra_key == key.as_str() {
                let (k, v) = extras.next().expect("peeked");
                json.key(k);
                v.write(json);
                continue;
            }
        }
        json.key(key);
        write_attribute(json, key, value);
    }
    for (k, v) in extras {
        json.key(k);
        v.write(json);
    }
    json.end_object();
}

/// One attribute of a block body; the meta-arguments that take references
/// (`provider`, `lifecycle.replace_triggered_by`, `lifecycle.ignore_changes`)
/// get them bare, since Terraform refuses `${...}` there.
fn write_attribute(json: &mut PrettyJson, key: &str, value: &Value) {
    match (key, value) {
        ("provider", _) => json.references(value),
        ("lifecycle", Value::Map(lifecycle)) => write_lifecycle(json, lifecycle),
        ("lifecycle", Value::List(items)) => {
            json.begin_array();
            for item in items {
                json.item();
                match item {
                    Value::Map(lifecycle) => write_lifecycle(json, lifecycle),
                    other => json.value(other),
                }
            }
            json.end_array();
        }
        _ => json.value(value),
    }
}

fn write_lifecycle(json: &mut PrettyJson, lifecycle: &BTreeMap<String, Value>) {
    json.begin_object();
    for (key, value) in lifecycle {
        json.key(key);
        if key == "replace_triggered_by" || key == "ignore_changes" {
            json.references(value);
        } else {
            json.value(value);
        }
    }
    json.end_object();
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

fn write_outputs(json: &mut PrettyJson, outputs: &BTreeMap<String, super::stack::Output>) {
    json.begin_object();
    for (name, output) in outputs {
        json.key(name);
        json.begin_object();
        if !output.description.is_empty() {
            json.key("description");
            json.literal(&output.description);
        }
        if output.sensitive {
            json.key("sensitive");
            json.bool(true);
        }
        json.key("value");
        json.value(&output.value);
        json.end_object();
    }
    json.end_object();
}

fn write_variables(json: &mut PrettyJson, variables: &BTreeMap<String, super::stack::Variable>) {
    json.begin_object();
    for (name, variable) in variables {
        json.key(name);
        json.begin_object();
        if let Some(default) = &variable.default {
            json.key("default");
            json.value(default);
        }
        if !variable.description.is_empty() {
            json.key("description");
            json.literal(&variable.description);
        }
        if variable.sensitive {
            json.key("sensitive");
            json.bool(true);
        }
        if !variable.type_expr.is_empty() {
            // Terraform's JSON syntax takes the type constraint as a plain
            // string holding the type expression (`"list(string)"`).
            json.key("type");
            json.string(&variable.type_expr);
        }
        json.end_object();
    }
    json.end_object();
}

fn write_providers(json: &mut PrettyJson, stack: &Stack) {
    let mut by_name: BTreeMap<&str, Vec<&BTreeMap<String, Value>>> = BTreeMap::new();
    for provider in &stack.providers {
        by_name
            .entry(provider.name.as_str())
            .or_default()
            .push(&provider.attributes);
    }
    json.begin_object();
    for (name, mut configs) in by_name {
        json.key(name);
        if configs.len() == 1 {
            write_map(json, configs[0]);
        } else {
            // Aliased configurations: a list, ordered by alias for stability.
            configs.sort_by_key(|c| c.get("alias").and_then(Value::as_str));
            json.begin_array();
            for config in configs {
                json.item();
                write_map(json, config);
            }
            json.end_array();
        }
    }
    json.end_object();
}

fn write_terraform(json: &mut PrettyJson, stack: &Stack) {
    let settings = &stack.terraform;
    json.begin_object();
    if let Some(backend) = &settings.backend {
        json.key("backend");
        json.begin_object();
        json.key(backend.backend_type());
        write_map(json, backend.settings());
        json.end_object();
    }
    if !settings.required_providers.is_empty() {
        json.key("required_providers");
        json.begin_object();
        for (name, provider) in &settings.required_providers {
            json.key(name);
            json.begin_object();
            json.key("source");
            json.string(&provider.source);
            json.key("version");
            json.string(&provider.version);
            json.end_object();
        }
        json.end_object();
    }
    if let Some(version) = stack.required_terraform_version() {
        json.key("required_version");
        json.string(&version);
    }
    json.end_object();
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
        stack.set_backend(
            crate::core::backend::Backend::new("s3", map! { "bucket" => "state", "key" => "k" })
                .expect("a literal backend"),
        );
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
