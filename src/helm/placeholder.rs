//! Values that exist only after `terraform apply`, and how a values file that
//! contains them becomes a template.
//!
//! The typed models hold a [`FromOutput`] wherever a value comes from a
//! Terraform output (the database host, a bucket's cloud name, a workload's
//! IAM role). [`to_yaml`] serializes a model:
//!
//! - without any `FromOutput`, to the final values YAML (`<chart>.values.yaml`);
//! - with some, to a handlebars template (`<chart>.values.yaml.hbs`) in which
//!   each such value is one expression naming the output, the type it must
//!   have and the values key it fills:
//!
//! ```yaml
//! database:
//!   host: {{output "database_address" type="string" key="config.database.host"}}
//! ```
//!
//! The key is computed from the value's position in the document, so a model
//! never spells it by hand. `values` renders the template with
//! [`super::render`]. Any `{{` already present in a value (Prometheus alert
//! annotations use Go templates) is escaped as `\{{` in templates so handlebars
//! leaves it alone.

use serde::{Serialize, Serializer};
use serde_json::Value as Json;

/// Prefix of the in-memory marker a [`FromOutput`] serializes to; it never
/// reaches a file.
const MARKER: &str = "\u{1}infrasynth-output\u{1}";
/// The token a marker becomes in YAML before it is replaced by its handlebars
/// expression; a plain scalar the YAML writer never quotes.
const TOKEN: &str = "__infrasynth_output_";

/// The type a Terraform output must have to fill a values key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OutputType {
    /// A JSON string.
    String,
    /// A JSON integer (ports).
    Integer,
}

impl OutputType {
    /// The spelling in templates and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            OutputType::String => "string",
            OutputType::Integer => "integer",
        }
    }

    /// Parses the spelling used in templates.
    pub fn parse(text: &str) -> Option<OutputType> {
        match text {
            "string" => Some(OutputType::String),
            "integer" => Some(OutputType::Integer),
            _ => None,
        }
    }
}

/// A values entry filled from the Terraform output `output` after apply.
///
/// ```
/// use infrasynth::helm::FromOutput;
/// use infrasynth::platform::outputs;
/// let host = FromOutput::string(outputs::DATABASE_ADDRESS);
/// assert_eq!(host.output(), "database_address");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FromOutput {
    output: String,
    kind: OutputType,
}

impl FromOutput {
    /// A string output (host names, ARNs, bucket names).
    pub fn string(output: impl Into<String>) -> Self {
        FromOutput {
            output: output.into(),
            kind: OutputType::String,
        }
    }

    /// An integer output (ports).
    pub fn integer(output: impl Into<String>) -> Self {
        FromOutput {
            output: output.into(),
            kind: OutputType::Integer,
        }
    }

    /// The Terraform output's name.
    pub fn output(&self) -> &str {
        &self.output
    }

    /// The type the output must have.
    pub fn kind(&self) -> OutputType {
        self.kind
    }
}

impl Serialize for FromOutput {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format!(
            "{MARKER}{}\u{1}{}",
            self.kind.as_str(),
            self.output
        ))
    }
}

/// A value that is either known at synth time or read from an output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Deferred<T> {
    /// Known now.
    Known(T),
    /// Known after apply.
    Output(FromOutput),
}

/// Where a template needs a Terraform output.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Placeholder {
    /// The Terraform output.
    pub output: String,
    /// Its required type.
    pub kind: OutputType,
    /// The values key it fills, such as `config.database.port` or
    /// `components.api-server.serviceAccount.annotations['eks.amazonaws.com/role-arn']`.
    pub key: String,
}

impl Placeholder {
    /// The handlebars expression standing for the value.
    pub fn expression(&self) -> String {
        format!(
            "{{{{output \"{}\" type=\"{}\" key=\"{}\"}}}}",
            self.output,
            self.kind.as_str(),
            self.key
        )
    }
}

/// A serialized values document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValuesYaml {
    /// The YAML text, or the handlebars template when `placeholders` is not empty.
    pub text: String,
    /// Every value waiting for a Terraform output, in document order.
    pub placeholders: Vec<Placeholder>,
}

impl ValuesYaml {
    /// Whether the text is a template.
    pub fn is_template(&self) -> bool {
        !self.placeholders.is_empty()
    }
}

/// Why a values model could not be written as YAML.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    /// What went wrong, with the values key where it is known.
    pub message: String,
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for YamlError {}

fn yaml_error(message: impl Into<String>) -> YamlError {
    YamlError {
        message: message.into(),
    }
}

/// Serializes a values model to YAML, or to a template when it holds
/// [`FromOutput`] values (see the module docs).
///
/// # Errors
///
/// The model does not serialize (a map with non-string keys), or a value
/// contains the text reserved for placeholders.
pub fn to_yaml<T: Serialize>(model: &T) -> Result<ValuesYaml, YamlError> {
    let mut tree = serde_json::to_value(model).map_err(|e| yaml_error(e.to_string()))?;
    let mut placeholders = Vec::new();
    collect(&mut tree, &mut String::new(), &mut placeholders)?;
    let mut text = yaml_text(&tree)?;
    if placeholders.is_empty() {
        return Ok(ValuesYaml { text, placeholders });
    }
    text = text.replace("{{", "\\{{");
    // Replaced from the highest index down so `_1__` never matches inside `_10__`.
    for (index, placeholder) in placeholders.iter().enumerate().rev() {
        let token = format!("{TOKEN}{index}__");
        let expression = placeholder.expression();
        for quoted in [format!("'{token}'"), format!("\"{token}\""), token.clone()] {
            text = text.replace(&quoted, &expression);
        }
    }
    Ok(ValuesYaml { text, placeholders })
}

/// The YAML writer every values file uses: two-space indent, YAML 1.1-safe
/// quoting (`"yes"`, `"on"`, `"0777"` stay strings), trailing newline.
///
/// # Errors
///
/// The value does not serialize to YAML.
pub fn yaml_text<T: Serialize>(value: &T) -> Result<String, YamlError> {
    let mut options = serde_saphyr::SerializerOptions::default();
    // Long one-line strings (PromQL) stay on one line; multi-line ones
    // (manifests, dashboards) are literal blocks.
    options.folded_wrap_chars = usize::MAX / 2;
    let mut text = serde_saphyr::to_string_with_options(value, options)
        .map_err(|e| yaml_error(e.to_string()))?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

fn collect(
    node: &mut Json,
    path: &mut String,
    found: &mut Vec<Placeholder>,
) -> Result<(), YamlError> {
    match node {
        Json::String(text) => {
            if let Some(rest) = text.strip_prefix(MARKER) {
                let (kind, output) = rest
                    .split_once('\u{1}')
                    .ok_or_else(|| yaml_error(format!("malformed output marker at `{path}`")))?;
                let kind = OutputType::parse(kind).ok_or_else(|| {
                    yaml_error(format!("unknown output type `{kind}` at `{path}`"))
                })?;
                let placeholder = Placeholder {
                    output: output.to_string(),
                    kind,
                    key: path.clone(),
                };
                *text = format!("{TOKEN}{}__", found.len());
                found.push(placeholder);
            } else if text.contains(TOKEN) {
                return Err(yaml_error(format!(
                    "`{path}` contains the reserved text `{TOKEN}`; choose another value"
                )));
            }
        }
        Json::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{index}]"));
                collect(item, path, found)?;
                path.truncate(len);
            }
        }
        Json::Object(map) => {
            for (key, value) in map.iter_mut() {
                let len = path.len();
                if key.contains(['.', '[', ']', '\'', '"']) || key.is_empty() {
                    path.push_str(&format!("['{key}']"));
                } else {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(key);
                }
                collect(value, path, found)?;
                path.truncate(len);
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(Serialize)]
    struct Model {
        host: Deferred<String>,
        port: FromOutput,
        annotations: BTreeMap<String, FromOutput>,
        note: String,
        mode: String,
    }

    #[test]
    fn templates_name_output_type_and_key() {
        let model = Model {
            host: Deferred::Output(FromOutput::string("database_address")),
            port: FromOutput::integer("database_port"),
            annotations: BTreeMap::from([(
                "eks.amazonaws.com/role-arn".to_string(),
                FromOutput::string("workload_identity_api_server"),
            )]),
            note: "{{ $labels.service }} is down".to_string(),
            mode: "on".to_string(),
        };
        let yaml = to_yaml(&model).unwrap();
        assert!(yaml
            .text
            .contains("port: {{output \"database_port\" type=\"integer\" key=\"port\"}}"));
        assert!(yaml
            .text
            .contains("key=\"annotations['eks.amazonaws.com/role-arn']\""));
        assert!(yaml.text.contains("\\{{ $labels.service }}"));
        assert!(yaml.text.contains("mode: \"on\"") || yaml.text.contains("mode: 'on'"));
        assert_eq!(yaml.placeholders.len(), 3);
        assert!(!yaml.text.contains(TOKEN));
    }

    #[test]
    fn known_values_are_plain_yaml() {
        let yaml = to_yaml(&BTreeMap::from([("a", Deferred::Known(1))])).unwrap();
        assert_eq!(yaml.text, "a: 1\n");
        assert!(!yaml.is_template());
    }
}
