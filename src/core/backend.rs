//! The `terraform { backend "<type>" { ... } }` block: where the state is
//! kept, with what settings, and the Terraform version those settings need.
//!
//! `terraform init` reads the backend block before anything else, so it
//! cannot refer to variables, locals or resources: every setting must be a
//! literal. [`Backend::new`] checks that and the backend type, so a mistake
//! fails the synth instead of a later `terraform init`. The typed backends a
//! stack declares per environment (S3, GCS, azurerm, local) are in
//! `crate::state`; they produce this block.

use std::collections::BTreeMap;
use std::fmt;

use super::refactor::TerraformRelease;
use super::value::Value;

/// The backend types built into Terraform 1.x (`backend "<type>"`).
pub const BACKEND_TYPES: &[&str] = &[
    "azurerm",
    "consul",
    "cos",
    "gcs",
    "http",
    "kubernetes",
    "local",
    "oss",
    "pg",
    "remote",
    "s3",
];

/// The Terraform override file that `synth --local-backend` writes beside
/// `main.tf.json`: it replaces whatever backend the document declares with
/// local state, so `terraform init`, `validate` and `plan` run without cloud
/// credentials while `main.tf.json` stays byte-identical to what is applied.
///
/// Terraform merges `*_override.tf.json` files last, and a `backend` block in
/// an override replaces the original backend block as a whole.
pub const LOCAL_BACKEND_OVERRIDE: &str = "backend_override.tf.json";

/// The contents of [`LOCAL_BACKEND_OVERRIDE`].
pub fn local_backend_override() -> Vec<u8> {
    b"{\n  \"terraform\": {\n    \"backend\": {\n      \"local\": {}\n    }\n  }\n}\n".to_vec()
}

/// Why a backend block cannot be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BackendError {
    /// The type is not one Terraform has built in.
    UnknownType {
        /// What was given.
        backend_type: String,
    },
    /// The settings are not a map of setting names to values.
    NotAMap,
    /// A setting refers to something Terraform only knows later (a resource,
    /// variable or local); backend settings must be literals.
    NotLiteral {
        /// The setting.
        setting: String,
        /// The expression found.
        expression: String,
    },
}

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BackendError::UnknownType { backend_type } => write!(
                f,
                "`{backend_type}` is not a Terraform backend type; use one of: {}",
                BACKEND_TYPES.join(", ")
            ),
            BackendError::NotAMap => write!(
                f,
                "backend settings must be a map of setting names to literal values"
            ),
            BackendError::NotLiteral {
                setting,
                expression,
            } => write!(
                f,
                "backend setting `{setting}` is `{expression}`, but `terraform init` reads the backend before any variable, local or resource exists; write the value itself"
            ),
        }
    }
}

impl std::error::Error for BackendError {}

/// A checked backend block: a built-in backend type and literal settings,
/// plus the oldest Terraform that understands them.
///
/// ```
/// use infrasynth::core::backend::Backend;
/// use infrasynth::core::refactor::TerraformRelease;
/// use infrasynth::{map, Stack};
/// let backend = Backend::new("s3", map! { "bucket" => "acme-tfstate", "key" => "shop/aws/prod/terraform.tfstate", "region" => "eu-west-1", "use_lockfile" => true })
///     .expect("a literal s3 backend")
///     .requiring(TerraformRelease::new(1, 10), "use_lockfile");
/// let mut stack = Stack::new("demo");
/// stack.require_terraform(">= 1.5");
/// stack.set_backend(backend);
/// let doc: serde_json::Value = serde_json::from_slice(&stack.render_json()).unwrap();
/// assert_eq!(doc["terraform"]["backend"]["s3"]["use_lockfile"], true);
/// assert_eq!(doc["terraform"]["required_version"], ">= 1.10");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Backend {
    backend_type: String,
    settings: BTreeMap<String, Value>,
    requires: Option<(TerraformRelease, String)>,
}

impl Backend {
    /// A `backend_type` block with `settings` (a map, such as `map! {..}`).
    ///
    /// # Errors
    ///
    /// [`BackendError::UnknownType`] for a type Terraform does not have,
    /// [`BackendError::NotAMap`] when `settings` is not a map,
    /// [`BackendError::NotLiteral`] for a setting holding a reference.
    pub fn new(backend_type: &str, settings: Value) -> Result<Self, BackendError> {
        if !BACKEND_TYPES.contains(&backend_type) {
            return Err(BackendError::UnknownType {
                backend_type: backend_type.to_string(),
            });
        }
        let settings = match settings {
            Value::Map(map) => map,
            Value::Null => BTreeMap::new(),
            _ => return Err(BackendError::NotAMap),
        };
        for (name, value) in &settings {
            let mut first = None;
            value.visit_exprs(&mut |expr| {
                first.get_or_insert_with(|| expr.template().to_string());
            });
            if let Some(expression) = first {
                return Err(BackendError::NotLiteral {
                    setting: name.clone(),
                    expression,
                });
            }
        }
        Ok(Backend {
            backend_type: backend_type.to_string(),
            settings,
            requires: None,
        })
    }

    /// Local state in `terraform.tfstate` of the working directory: what
    /// Terraform does without any backend block.
    pub fn local() -> Self {
        Backend {
            backend_type: "local".to_string(),
            settings: BTreeMap::new(),
            requires: None,
        }
    }

    /// Records that the settings need at least Terraform `version` (`why`
    /// names the setting); the document's `required_version` is raised to it.
    /// Of several requirements the highest is kept.
    pub fn requiring(mut self, version: TerraformRelease, why: &str) -> Self {
        if self.requires.as_ref().is_none_or(|(v, _)| version > *v) {
            self.requires = Some((version, why.to_string()));
        }
        self
    }

    /// The backend type, such as `s3`.
    pub fn backend_type(&self) -> &str {
        &self.backend_type
    }

    /// Whether the state stays in the working directory.
    pub fn is_local(&self) -> bool {
        self.backend_type == "local"
    }

    /// The settings, by name.
    pub fn settings(&self) -> &BTreeMap<String, Value> {
        &self.settings
    }

    /// One setting.
    pub fn setting(&self, name: &str) -> Option<&Value> {
        self.settings.get(name)
    }

    /// The oldest Terraform the settings need, and which setting needs it.
    pub fn required_terraform(&self) -> Option<(TerraformRelease, &str)> {
        self.requires.as_ref().map(|(v, why)| (*v, why.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::reference::{Address, Ref, StackId};
    use crate::map;

    #[test]
    fn unknown_types_and_references_are_refused() {
        assert_eq!(
            Backend::new("s4", map! {}),
            Err(BackendError::UnknownType {
                backend_type: "s4".into()
            })
        );
        assert_eq!(
            Backend::new("local", Value::from("x")),
            Err(BackendError::NotAMap)
        );
        let bucket: Ref<crate::core::stack::RawKind> =
            Ref::new(Address::resource(StackId::next(), "aws_s3_bucket", "state"));
        let error = Backend::new("s3", map! { "bucket" => bucket.attr::<String>("bucket") })
            .expect_err("a reference");
        assert!(
            error
                .to_string()
                .contains("backend setting `bucket` is `${aws_s3_bucket.state.bucket}`"),
            "{error}"
        );
    }

    #[test]
    fn the_highest_requirement_is_kept() {
        let backend = Backend::local()
            .requiring(TerraformRelease::new(1, 10), "use_lockfile")
            .requiring(TerraformRelease::new(1, 6), "endpoints");
        assert_eq!(
            backend.required_terraform(),
            Some((TerraformRelease::new(1, 10), "use_lockfile"))
        );
    }

    #[test]
    fn the_override_replaces_the_backend_with_local_state() {
        let doc: serde_json::Value =
            serde_json::from_slice(&local_backend_override()).expect("valid JSON");
        assert_eq!(
            doc,
            serde_json::json!({"terraform": {"backend": {"local": {}}}})
        );
    }
}
