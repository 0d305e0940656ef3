//! A test kit for users' stacks: synthesize a stack in a test and assert what
//! the document holds, the way AWS CDK's `Template` assertions do.
//!
//! ```
//! use infrasynth::app::StackDefinition;
//! use infrasynth::helm::HelmSettings;
//! use infrasynth::platform::Platform;
//! use infrasynth::testing::{Match, Template};
//! use infrasynth::{Cloud, Environment};
//! use serde_json::json;
//!
//! let stack = StackDefinition::new("shop", |env| Platform::new("shop", env))
//!     .helm(|_| HelmSettings::new().with_acme_contact("platform@shop.dev"));
//! let template = Template::synth(&stack, Cloud::Aws, Environment::PRODUCTION);
//! template.resource_count_is("aws_eks_cluster", 1);
//! template.has_resource("aws_db_instance", json!({"deletion_protection": true, "multi_az": true}));
//! template.has_resource(
//!     "aws_db_instance",
//!     Match::ObjectLike(vec![("identifier".into(), Match::string_like("shop-production-*"))]),
//! );
//! template.has_output("cluster_name", Match::anything());
//! ```
//!
//! Every assertion panics with what it looked for and what the document
//! holds, so a failing test explains itself. [`Template::synth`] itself panics
//! with every diagnostic when the stack does not synthesize (built-in policies
//! included), so a test that reaches its assertions has no policy error.

mod matcher;

pub use matcher::Match;

use serde_json::Value as Json;

use crate::app::StackDefinition;
use crate::core::context::{Context, CONTEXT_FILE};
use crate::core::diagnostics::{Diagnostics, Severity};
use crate::core::environment::{Cloud, Environment};
use crate::core::synth::Synthesized;

/// A synthesized stack, parsed for assertions.
#[derive(Debug)]
pub struct Template {
    label: String,
    document: Json,
    synthesized: Synthesized,
}

impl Template {
    /// Synthesizes `stack` for `cloud` and `env`, with the live facts of
    /// `infrasynth.context.json` in the working directory when there is one
    /// (as `synth` reads it; see [`Template::try_synth_in`]).
    ///
    /// # Panics
    ///
    /// When the stack does not synthesize, listing every diagnostic (a test
    /// helper: the failure is the test's failure).
    pub fn synth(stack: &StackDefinition, cloud: Cloud, env: Environment) -> Template {
        match Template::try_synth(stack, cloud, env) {
            Ok(template) => template,
            Err(diagnostics) => panic!(
                "{}/{cloud}/{env} does not synthesize:\n{diagnostics}",
                stack.name()
            ),
        }
    }

    /// Synthesizes `stack` for `cloud` and `env`, for tests of failures.
    ///
    /// # Errors
    ///
    /// Every diagnostic, when the stack does not synthesize.
    pub fn try_synth(
        stack: &StackDefinition,
        cloud: Cloud,
        env: Environment,
    ) -> Result<Template, Diagnostics> {
        let path = std::path::Path::new(CONTEXT_FILE);
        let context = Context::load(path).map_err(|error| {
            let mut diagnostics = Diagnostics::new();
            diagnostics.push(crate::core::diagnostics::Diagnostic {
                severity: Severity::Error,
                stack: stack.name().to_string(),
                resource: "context".to_string(),
                field: CONTEXT_FILE.to_string(),
                message: error.message,
                hint: "fix the context file, or test with Template::try_synth_in and a Context of the test's own".to_string(),
                fix: None,
            });
            diagnostics
        })?;
        Template::try_synth_in(stack, cloud, env, context.as_ref())
    }

    /// Synthesizes `stack` for `cloud` and `env` with the live facts of
    /// `context` (`None`: the built-in tables), as `synth` does with its
    /// context file. [`Template::synth`] and [`Template::try_synth`] read
    /// `infrasynth.context.json` in the working directory (the crate's root
    /// under `cargo test`, where `cargo run` finds it too), so a test sees
    /// what `synth` writes; use this for a context file elsewhere
    /// (`App::context_file`) or facts of the test's own.
    ///
    /// # Errors
    ///
    /// Every diagnostic, when the stack does not synthesize.
    pub fn try_synth_in(
        stack: &StackDefinition,
        cloud: Cloud,
        env: Environment,
        context: Option<&Context>,
    ) -> Result<Template, Diagnostics> {
        let options =
            crate::app::SynthOptions::new().with_context(context.cloned().map(std::sync::Arc::new));
        let synthesized = stack.synthesize_with(cloud, env, &options)?;
        Ok(Template::from_synthesized(
            &format!("{}/{cloud}/{env}", stack.name()),
            synthesized,
        ))
    }

    /// Wraps an already synthesized document; `label` names it in messages.
    pub fn from_synthesized(label: &str, synthesized: Synthesized) -> Template {
        // The writer only ever produces valid JSON; an unparsable document
        // would be an infrasynth bug, reported as an empty document.
        let document = serde_json::from_str(synthesized.main_tf_json()).unwrap_or(Json::Null);
        Template {
            label: label.to_string(),
            document,
            synthesized,
        }
    }

    /// The whole `main.tf.json` document.
    pub fn document(&self) -> &Json {
        &self.document
    }

    /// The synthesized files (the document, Helm values).
    pub fn synthesized(&self) -> &Synthesized {
        &self.synthesized
    }

    /// The resources of `resource_type` by name, in name order.
    pub fn resources(&self, resource_type: &str) -> Vec<(&str, &Json)> {
        self.blocks("resource", resource_type)
    }

    /// The data sources of `data_type` by name, in name order.
    pub fn data_sources(&self, data_type: &str) -> Vec<(&str, &Json)> {
        self.blocks("data", data_type)
    }

    fn blocks(&self, kind: &str, block_type: &str) -> Vec<(&str, &Json)> {
        self.document[kind][block_type]
            .as_object()
            .map(|blocks| blocks.iter().map(|(k, v)| (k.as_str(), v)).collect())
            .unwrap_or_default()
    }

    /// The names of the resources of `resource_type` that match `expected`.
    pub fn find_resources(&self, resource_type: &str, expected: impl Into<Match>) -> Vec<String> {
        let expected = expected.into();
        self.resources(resource_type)
            .into_iter()
            .filter(|(_, body)| expected.matches(body))
            .map(|(name, _)| name.to_string())
            .collect()
    }

    /// Asserts there are exactly `count` resources of `resource_type`.
    ///
    /// # Panics
    ///
    /// When the count differs, naming the resources found.
    pub fn resource_count_is(&self, resource_type: &str, count: usize) {
        let found = self.resources(resource_type);
        assert!(
            found.len() == count,
            "{}: expected {count} `{resource_type}`, found {}: [{}]",
            self.label,
            found.len(),
            found.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
        );
    }

    /// Asserts at least one resource of `resource_type` matches `expected`
    /// (a JSON value matches like an object; see [`Match`]), and returns the
    /// name of the first that does.
    ///
    /// # Panics
    ///
    /// When none matches, with each candidate's first mismatch.
    pub fn has_resource(&self, resource_type: &str, expected: impl Into<Match>) -> String {
        self.has_block("resource", resource_type, expected.into())
    }

    /// Asserts at least one data source of `data_type` matches `expected`, and
    /// returns the name of the first that does.
    ///
    /// # Panics
    ///
    /// When none matches, with each candidate's first mismatch.
    pub fn has_data_source(&self, data_type: &str, expected: impl Into<Match>) -> String {
        self.has_block("data", data_type, expected.into())
    }

    fn has_block(&self, kind: &str, block_type: &str, expected: Match) -> String {
        let candidates = self.blocks(kind, block_type);
        if let Some((name, _)) = candidates.iter().find(|(_, body)| expected.matches(body)) {
            return name.to_string();
        }
        let prefix = if kind == "data" { "data." } else { "" };
        let why: Vec<String> = candidates
            .iter()
            .filter_map(|(name, body)| {
                expected
                    .mismatch(body, "")
                    .map(|m| format!("  {prefix}{block_type}.{name}: {m}"))
            })
            .collect();
        panic!(
            "{}: no `{prefix}{block_type}` matches {expected}\n{}",
            self.label,
            if why.is_empty() {
                "  (there is none)".to_string()
            } else {
                why.join("\n")
            }
        )
    }

    /// Asserts the resource `resource_type.name` exists and matches `expected`.
    ///
    /// # Panics
    ///
    /// When it is missing or does not match, with the first mismatch.
    pub fn has_resource_named(&self, resource_type: &str, name: &str, expected: impl Into<Match>) {
        let expected = expected.into();
        let body = &self.document["resource"][resource_type][name];
        assert!(
            !body.is_null(),
            "{}: there is no `{resource_type}.{name}`; found: [{}]",
            self.label,
            self.resources(resource_type)
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        );
        if let Some(mismatch) = expected.mismatch(body, "") {
            panic!("{}: `{resource_type}.{name}`: {mismatch}", self.label);
        }
    }

    /// Asserts the output `name` exists and its `value` matches `expected`.
    ///
    /// # Panics
    ///
    /// When it is missing or does not match.
    pub fn has_output(&self, name: &str, expected: impl Into<Match>) {
        let expected = expected.into();
        let output = &self.document["output"][name];
        assert!(
            !output.is_null(),
            "{}: there is no output `{name}`; outputs: [{}]",
            self.label,
            self.output_names().join(", ")
        );
        if let Some(mismatch) = expected.mismatch(&output["value"], "value") {
            panic!("{}: output `{name}`: {mismatch}", self.label);
        }
    }

    /// The names of every output.
    pub fn output_names(&self) -> Vec<String> {
        self.document["output"]
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Asserts the synth gave no warning.
    ///
    /// # Panics
    ///
    /// Listing the warnings.
    pub fn has_no_warnings(&self) {
        let warnings: Vec<String> = self
            .synthesized
            .warnings()
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .map(ToString::to_string)
            .collect();
        assert!(
            warnings.is_empty(),
            "{}: {} warning(s):\n{}",
            self.label,
            warnings.len(),
            warnings.join("\n")
        );
    }

    /// A synthesized file beside the document as text, such as
    /// `helm/shop.values.yaml.hbs`.
    pub fn file(&self, relative_path: &str) -> Option<&str> {
        self.synthesized
            .file(relative_path)
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
    }

    /// The paths of every synthesized file.
    pub fn file_names(&self) -> Vec<String> {
        self.synthesized.files().keys().cloned().collect()
    }
}
