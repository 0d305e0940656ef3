//! Phase two: from the templates `synth` wrote and `terraform output -json`
//! to the final values files.
//!
//! Every problem of every template is collected before anything is written: a
//! missing output, an output of the wrong type, and an output Terraform marks
//! sensitive (secrets never go into values files; the charts read them from
//! Kubernetes Secrets whose names are known at synth time).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use handlebars::{
    Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderErrorReason,
};
use serde_json::Value as Json;

use super::placeholder::OutputType;

/// The suffix of the templates `synth` writes.
pub const TEMPLATE_SUFFIX: &str = ".values.yaml.hbs";
/// The suffix of final values files.
pub const VALUES_SUFFIX: &str = ".values.yaml";

/// One output of `terraform output -json`.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
pub struct TerraformOutput {
    /// Redacted by Terraform; never written into values.
    #[serde(default)]
    pub sensitive: bool,
    /// The value.
    pub value: Json,
}

/// The parsed `terraform output -json` document.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TerraformOutputs {
    outputs: BTreeMap<String, TerraformOutput>,
}

/// The outputs file is not what `terraform output -json` writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputsError {
    /// The file (or `standard input`).
    pub source: String,
    /// What the JSON parser said.
    pub message: String,
}

impl fmt::Display for OutputsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is not the output of `terraform output -json` \
             (an object of {{\"sensitive\", \"type\", \"value\"}} per output): {}",
            self.source, self.message
        )
    }
}

impl std::error::Error for OutputsError {}

impl TerraformOutputs {
    /// Parses `terraform output -json`. `source` names the file in errors.
    ///
    /// # Errors
    ///
    /// [`OutputsError`] when `json` is not an object of outputs.
    pub fn parse(json: &str, source: &str) -> Result<Self, OutputsError> {
        let outputs: BTreeMap<String, TerraformOutput> =
            serde_json::from_str(json).map_err(|e| OutputsError {
                source: source.to_string(),
                message: e.to_string(),
            })?;
        Ok(TerraformOutputs { outputs })
    }

    /// The output named `name`.
    pub fn get(&self, name: &str) -> Option<&TerraformOutput> {
        self.outputs.get(name)
    }

    /// Every output name.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.outputs.keys().map(String::as_str)
    }
}

/// Why a values file could not be rendered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RenderError {
    /// The template needs an output the outputs file does not have.
    Missing {
        /// The template's file name.
        file: String,
        /// The output.
        output: String,
        /// The values key that needs it.
        key: String,
    },
    /// The output has another JSON type than the key needs.
    WrongType {
        /// The template's file name.
        file: String,
        /// The output.
        output: String,
        /// The values key that needs it.
        key: String,
        /// What the key needs.
        expected: OutputType,
        /// What the output holds (its JSON text, shortened).
        found: String,
    },
    /// The output is sensitive; it must come from a Kubernetes Secret.
    Sensitive {
        /// The template's file name.
        file: String,
        /// The output.
        output: String,
        /// The values key that asked for it.
        key: String,
    },
    /// The template itself is broken (edited by hand?).
    Template {
        /// The template's file name.
        file: String,
        /// What handlebars or the YAML check said.
        message: String,
    },
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenderError::Missing { file, output, key } => write!(
                f,
                "{file}: values key `{key}` needs Terraform output `{output}`, which the outputs file does not contain; \
                 run `terraform apply` with the synthesized main.tf.json (every cloud declares `{output}`) and pass a fresh `terraform output -json`"
            ),
            RenderError::WrongType { file, output, key, expected, found } => write!(
                f,
                "{file}: values key `{key}` needs Terraform output `{output}` to be a{} {}, but it is {found}",
                if *expected == OutputType::Integer { "n" } else { "" },
                expected.as_str()
            ),
            RenderError::Sensitive { file, output, key } => write!(
                f,
                "{file}: values key `{key}` refers to Terraform output `{output}`, which is sensitive; \
                 secrets are never written into values files: put it in a Kubernetes Secret and reference the Secret's name"
            ),
            RenderError::Template { file, message } => write!(
                f,
                "{file}: the template cannot be rendered ({message}); run `synth` again to rewrite it"
            ),
        }
    }
}

impl std::error::Error for RenderError {}

/// Every error of one rendering run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderErrors(pub Vec<RenderError>);

impl fmt::Display for RenderErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "error: {error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for RenderErrors {}

/// Renders one template (`file` names it in errors) with `outputs`.
///
/// The result is checked: it parses as YAML and holds no unresolved placeholder.
///
/// # Errors
///
/// Every missing, wrongly typed or sensitive output the template asks for, or
/// a broken template.
pub fn render(
    file: &str,
    template: &str,
    outputs: &TerraformOutputs,
) -> Result<String, RenderErrors> {
    let errors: Arc<Mutex<Vec<RenderError>>> = Arc::new(Mutex::new(Vec::new()));
    let mut registry = Handlebars::new();
    registry.set_strict_mode(true);
    registry.register_escape_fn(handlebars::no_escape);
    let outputs_for_helper = outputs.clone();
    let errors_for_helper = Arc::clone(&errors);
    // Values are put in after the checks of the template's own text, so no
    // value, whatever it holds, can pass for a broken template.
    let values: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let values_for_helper = Arc::clone(&values);
    let file_for_helper = file.to_string();
    registry.register_helper(
        "output",
        Box::new(
            move |h: &Helper,
                  _: &Handlebars,
                  _: &Context,
                  _: &mut RenderContext,
                  out: &mut dyn Output|
                  -> HelperResult {
                let name = h.param(0).and_then(|p| p.value().as_str()).ok_or_else(|| {
                    RenderErrorReason::Other("`output` needs the output's name".into())
                })?;
                let key = h
                    .hash_get("key")
                    .and_then(|v| v.value().as_str())
                    .unwrap_or("?")
                    .to_string();
                let kind = h
                    .hash_get("type")
                    .and_then(|v| v.value().as_str())
                    .and_then(OutputType::parse)
                    .ok_or_else(|| {
                        RenderErrorReason::Other(format!(
                            "`output \"{name}\"` needs type=\"string\" or type=\"integer\""
                        ))
                    })?;
                match scalar(&file_for_helper, name, &key, kind, &outputs_for_helper) {
                    Ok(text) => {
                        if let Ok(mut list) = values_for_helper.lock() {
                            list.push(text);
                        }
                        out.write(VALUE_SLOT)?;
                    }
                    Err(error) => {
                        if let Ok(mut list) = errors_for_helper.lock() {
                            list.push(error);
                        }
                        // Keeps the document parseable so every error is found in one run.
                        out.write("null")?;
                    }
                }
                Ok(())
            },
        ),
    );
    let template_error = |message: String| {
        RenderErrors(vec![RenderError::Template {
            file: file.to_string(),
            message,
        }])
    };
    let rendered = registry
        .render_template(template, &())
        .map_err(|e| template_error(e.to_string()))?;
    let collected = errors.lock().map(|l| l.clone()).unwrap_or_default();
    if !collected.is_empty() {
        return Err(RenderErrors(collected));
    }
    let values = values.lock().map(|l| l.clone()).unwrap_or_default();
    let slots = rendered.matches(VALUE_SLOT).count();
    if template.contains(VALUE_SLOT) || slots != values.len() {
        return Err(template_error(
            "it holds the control character U+0002".to_string(),
        ));
    }
    let skeleton = rendered.replace(VALUE_SLOT, "null");
    if let Some(line) = unresolved(&skeleton) {
        return Err(template_error(format!(
            "unresolved placeholder left: `{line}`"
        )));
    }
    serde_saphyr::from_str::<Json>(&skeleton)
        .map_err(|e| template_error(format!("the result is not valid YAML: {e}")))?;
    let mut pieces = rendered.split(VALUE_SLOT);
    let mut filled = pieces.next().unwrap_or_default().to_string();
    for (piece, value) in pieces.zip(&values) {
        filled.push_str(value);
        filled.push_str(piece);
    }
    Ok(filled)
}

/// Where a value goes in the first rendering: a control character no
/// template holds (checked), replaced by the quoted value after the checks.
const VALUE_SLOT: &str = "\u{2}";

/// The first line still holding an `output` placeholder (or its marker), if any.
pub fn unresolved(text: &str) -> Option<&str> {
    text.lines().find(|line| {
        line.contains("{{output") || line.contains("__infrasynth_output_") || line.contains('\u{1}')
    })
}

/// Renders every template among `templates` (file name to text) into its
/// final values file name and text; files that are not templates are ignored.
///
/// # Errors
///
/// Every error of every template; nothing is rendered unless all render.
pub fn render_all(
    templates: &BTreeMap<String, String>,
    outputs: &TerraformOutputs,
) -> Result<BTreeMap<String, String>, RenderErrors> {
    let mut rendered = BTreeMap::new();
    let mut errors = Vec::new();
    for (file, template) in templates {
        let Some(chart) = file.strip_suffix(TEMPLATE_SUFFIX) else {
            continue;
        };
        match render(file, template, outputs) {
            Ok(text) => {
                rendered.insert(format!("{chart}{VALUES_SUFFIX}"), text);
            }
            Err(RenderErrors(mut list)) => errors.append(&mut list),
        }
    }
    if errors.is_empty() {
        Ok(rendered)
    } else {
        Err(RenderErrors(errors))
    }
}

fn scalar(
    file: &str,
    name: &str,
    key: &str,
    kind: OutputType,
    outputs: &TerraformOutputs,
) -> Result<String, RenderError> {
    let Some(output) = outputs.get(name) else {
        return Err(RenderError::Missing {
            file: file.to_string(),
            output: name.to_string(),
            key: key.to_string(),
        });
    };
    if output.sensitive {
        return Err(RenderError::Sensitive {
            file: file.to_string(),
            output: name.to_string(),
            key: key.to_string(),
        });
    }
    let wrong = || RenderError::WrongType {
        file: file.to_string(),
        output: name.to_string(),
        key: key.to_string(),
        expected: kind,
        found: describe(&output.value),
    };
    match (kind, &output.value) {
        // Escaped for YAML 1.1 readers, not as JSON: see `quote`.
        (OutputType::String, Json::String(text)) if !text.is_empty() => {
            Ok(super::quote::double_quoted(text))
        }
        (OutputType::Integer, Json::Number(number)) if number.is_i64() || number.is_u64() => {
            Ok(number.to_string())
        }
        // Terraform writes every number as a float-looking JSON number when it
        // went through arithmetic; accept an integral one.
        (OutputType::Integer, Json::Number(number))
            if number
                .as_f64()
                .is_some_and(|f| f.fract() == 0.0 && f.abs() < 9.0e15) =>
        {
            Ok(format!("{}", number.as_f64().unwrap_or_default() as i64))
        }
        _ => Err(wrong()),
    }
}

fn describe(value: &Json) -> String {
    let kind = match value {
        Json::Null => "null",
        Json::Bool(_) => "a bool",
        Json::Number(_) => "a number",
        Json::String(s) if s.is_empty() => "an empty string",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    };
    let mut text = value.to_string();
    if text.len() > 60 {
        text.truncate(57);
        text.push_str("...");
    }
    format!("{kind} ({text})")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outputs(json: &str) -> TerraformOutputs {
        TerraformOutputs::parse(json, "test").unwrap()
    }

    const TEMPLATE: &str = "host: {{output \"db\" type=\"string\" key=\"config.host\"}}\nport: {{output \"port\" type=\"integer\" key=\"config.port\"}}\nnote: \"\\{{ $labels.x }}\"\n";

    #[test]
    fn renders_strings_quoted_and_integers_bare() {
        let text = render(
            "a.values.yaml.hbs",
            TEMPLATE,
            &outputs(r#"{"db":{"sensitive":false,"type":"string","value":"on"},"port":{"sensitive":false,"type":"number","value":5432}}"#),
        )
        .unwrap();
        assert_eq!(
            text,
            "host: \"on\"\nport: 5432\nnote: \"{{ $labels.x }}\"\n"
        );
    }

    #[test]
    fn collects_every_error() {
        let errors = render(
            "a.values.yaml.hbs",
            TEMPLATE,
            &outputs(r#"{"port":{"sensitive":false,"type":"string","value":"5432"}}"#),
        )
        .unwrap_err();
        assert_eq!(errors.0.len(), 2);
        let text = errors.to_string();
        assert!(
            text.contains("`config.host` needs Terraform output `db`"),
            "{text}"
        );
        assert!(text.contains("`config.port` needs Terraform output `port` to be an integer, but it is a string (\"5432\")"), "{text}");
    }
}
