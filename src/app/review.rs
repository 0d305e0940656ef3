//! `diff`: the stack synthesized in memory against what its output
//! directory holds, Terraform document and Helm values alike.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use super::definition::{StackDefinition, SynthOptions};
use super::output::{output_dir, owner};
use super::report::SynthFailure;
use crate::core::diff::{
    diff_documents, diff_values, AttributeChange, BroadeningRule, Change, ChangeKind, Diff,
};
use crate::core::environment::{Cloud, Environment};
use crate::core::synth::MAIN_FILE;
use crate::helm::HELM_DIR;

/// What `diff` found for one stack, cloud and environment.
#[derive(Debug)]
pub struct StackDiff {
    /// `<stack>/<cloud>/<env>`.
    pub label: String,
    /// The output directory compared against.
    pub dir: PathBuf,
    /// Whether the directory held a Terraform document (otherwise
    /// everything is added).
    pub had_output: bool,
    /// The changes, Helm values files last (addressed `helm/<file>`).
    pub diff: Diff,
}

impl StackDiff {
    /// The heading every format uses: `diff <label> against <dir>`.
    pub fn title(&self) -> String {
        let against = if self.had_output {
            format!("against {}", self.dir.display())
        } else {
            format!(
                "({} holds no output yet: everything is new)",
                self.dir.display()
            )
        };
        format!("diff {} {against}", self.label)
    }
}

fn io_error(dir: &Path, error: std::io::Error) -> SynthFailure {
    SynthFailure::Io {
        dir: dir.to_path_buf(),
        error,
    }
}

/// Synthesizes `definition` for `cloud`/`env` in memory (nothing is
/// written) and compares it with [`output_dir`] below `root`: the
/// Terraform document semantically (see [`crate::core::diff`]), with the
/// cloud's broadening rules for the security section, and each Helm values
/// file as YAML.
///
/// # Errors
///
/// [`SynthFailure::Invalid`] when the stack does not synthesize;
/// [`SynthFailure::Io`] when a file on disk cannot be read or is not what
/// synth writes (its message names the file).
pub fn diff_against_dir(
    definition: &StackDefinition,
    cloud: Cloud,
    env: Environment,
    root: &Path,
) -> Result<StackDiff, SynthFailure> {
    diff_against_dir_with(definition, cloud, env, root, &SynthOptions::default())
}

/// [`diff_against_dir`], synthesizing with `options` (such as the context
/// file's facts, so the comparison is with what `synth` would write).
///
/// # Errors
///
/// As [`diff_against_dir`].
pub fn diff_against_dir_with(
    definition: &StackDefinition,
    cloud: Cloud,
    env: Environment,
    root: &Path,
    options: &SynthOptions,
) -> Result<StackDiff, SynthFailure> {
    let label = owner(definition.name(), cloud, env);
    let synthesized = definition
        .synthesize_with(cloud, env, options)
        .map_err(|diagnostics| SynthFailure::Invalid {
            label: label.clone(),
            diagnostics,
        })?;
    let dir = output_dir(root, definition.name(), cloud, env);
    let main = dir.join(MAIN_FILE);
    let old = match std::fs::read_to_string(&main) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_error(&main, e)),
    };
    let rules = crate::policy::broadening::for_cloud(cloud);
    let rules: Vec<&dyn BroadeningRule> = rules.iter().map(|r| r.as_ref()).collect();
    let mut diff =
        diff_documents(old.as_deref(), synthesized.main_tf_json(), &rules).map_err(|e| {
            io_error(
                &main,
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{e}; run `synth` to rewrite it"),
                ),
            )
        })?;
    // Helm values: the files synth would write and those on disk.
    let helm = dir.join(HELM_DIR);
    let mut paths: BTreeSet<String> = synthesized
        .files()
        .keys()
        .filter(|p| p.starts_with(&format!("{HELM_DIR}/")))
        .cloned()
        .collect();
    if let Ok(entries) = std::fs::read_dir(&helm) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if name.ends_with(".yaml") || name.ends_with(".yaml.hbs") {
                paths.insert(format!("{HELM_DIR}/{name}"));
            }
        }
    }
    for path in paths {
        let old = match std::fs::read(dir.join(&path)) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io_error(&dir.join(&path), e)),
        };
        if let Some(change) = file_change(&path, old.as_deref(), synthesized.file(&path)) {
            diff.changes.push(change);
        }
    }
    Ok(StackDiff {
        label,
        dir,
        had_output: old.is_some(),
        diff,
    })
}

/// A values file as YAML, so changes are reported by key path
/// (`components.model-server.env.BUCKET_MODELS_ACCESS`); a template's
/// placeholders (`{{output "NAME" ...}}`) read as the string `<output NAME>`
/// and its handlebars comment line is dropped. Numbered text lines (from 1)
/// when it still does not parse.
fn parse_values(bytes: &[u8]) -> Json {
    let text = String::from_utf8_lossy(bytes);
    let yaml = placeholders_as_strings(&text);
    serde_saphyr::from_str::<Json>(&yaml).unwrap_or_else(|_| {
        Json::Object(
            text.lines()
                .enumerate()
                .map(|(i, l)| (format!("line {}", i + 1), Json::String(l.to_string())))
                .collect(),
        )
    })
}

/// `text` with every `{{output "NAME" ...}}` replaced by `"<output NAME>"`,
/// handlebars escapes (`\{{`) undone and comment lines (`{{!--`) dropped.
fn placeholders_as_strings(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines().filter(|l| !l.starts_with("{{!--")) {
        let mut rest = line;
        while let Some(at) = rest.find("{{output \"") {
            out.push_str(&rest[..at].replace("\\{{", "{{"));
            let after = &rest[at + "{{output \"".len()..];
            let name = after.split('"').next().unwrap_or_default();
            out.push_str(&format!("\"<output {name}>\""));
            rest = after.find("}}").map(|end| &after[end + 2..]).unwrap_or("");
        }
        out.push_str(&rest.replace("\\{{", "{{"));
        out.push('\n');
    }
    out
}

fn file_change(path: &str, old: Option<&[u8]>, new: Option<&[u8]>) -> Option<Change> {
    let (kind, attributes) = match (old, new) {
        (None, None) => return None,
        (Some(a), Some(b)) if a == b => return None,
        (None, Some(_)) => (ChangeKind::Added, Vec::new()),
        (Some(_), None) => (ChangeKind::Removed, Vec::new()),
        (Some(a), Some(b)) => {
            let attributes: Vec<AttributeChange> = diff_values(&parse_values(a), &parse_values(b));
            if attributes.is_empty() {
                return None;
            }
            (ChangeKind::Changed, attributes)
        }
    };
    Some(Change {
        address: path.to_string(),
        kind,
        attributes,
        note: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_values_template_is_compared_by_key_path() {
        let old = b"{{!-- Template: ... --~}}\ncomponents:\n  api:\n    env:\n      ACCESS: read\n    role: {{output \"workload_identity_api\" type=\"string\" key=\"k\"}}\n";
        let new = b"{{!-- Template: ... --~}}\ncomponents:\n  api:\n    env:\n      ACCESS: read-write\n    role: {{output \"workload_identity_api\" type=\"string\" key=\"k\"}}\n";
        let change = file_change("helm/app.values.yaml.hbs", Some(old), Some(new)).unwrap();
        assert_eq!(change.attributes.len(), 1, "{:?}", change.attributes);
        assert_eq!(change.attributes[0].path, "components.api.env.ACCESS");
        assert_eq!(
            parse_values(old)["components"]["api"]["role"],
            "<output workload_identity_api>"
        );
    }
}
