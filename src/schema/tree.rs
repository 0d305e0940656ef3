//! One checker for block bodies, over the two shapes a body comes in: the
//! stack's own [`Value`]s (checked at synth, before anything is rendered) and
//! parsed Terraform JSON (a document on disk, checked by `validate`).

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::index::Index;
use super::{Violation, ViolationKind};
use crate::core::environment::closest;
use crate::core::value::Value;

/// What a body value is, as far as the schema check cares.
pub(crate) enum Shape<'a, T> {
    /// An object: a block body.
    Object,
    /// A list of values (a block list when under a block name).
    List(&'a [T]),
    /// Not set.
    Null,
    /// An expression: its shape is only known to Terraform.
    Expression,
    /// A literal string, number or boolean.
    Scalar,
}

/// A tree of attribute values: [`Value`] or JSON.
pub(crate) trait Tree: Sized + 'static {
    /// The object type of this tree.
    type Object: Object<Self>;
    /// What this value is.
    fn shape(&self) -> Shape<'_, Self>;
    /// The object, if this is one.
    fn as_object(&self) -> Option<&Self::Object>;
}

/// The fields of an object of a [`Tree`].
pub(crate) trait Object<T: 'static> {
    /// The fields, in key order.
    fn entries(&self) -> impl Iterator<Item = (&str, &T)>;
    /// One field.
    fn field(&self, name: &str) -> Option<&T>;
}

impl Tree for Value {
    type Object = BTreeMap<String, Value>;

    fn shape(&self) -> Shape<'_, Self> {
        match self {
            Value::Map(_) => Shape::Object,
            Value::List(items) => Shape::List(items),
            Value::Null => Shape::Null,
            Value::Expr(_) => Shape::Expression,
            Value::Bool(_) | Value::Number(_) | Value::String(_) => Shape::Scalar,
        }
    }

    fn as_object(&self) -> Option<&Self::Object> {
        self.as_map()
    }
}

impl Object<Value> for BTreeMap<String, Value> {
    fn entries(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.iter().map(|(k, v)| (k.as_str(), v))
    }

    fn field(&self, name: &str) -> Option<&Value> {
        self.get(name)
    }
}

impl Tree for Json {
    type Object = serde_json::Map<String, Json>;

    fn shape(&self) -> Shape<'_, Self> {
        match self {
            Json::Object(_) => Shape::Object,
            Json::Array(items) => Shape::List(items),
            Json::Null => Shape::Null,
            // In Terraform's JSON syntax every string is a template.
            Json::String(text) if text.contains("${") => Shape::Expression,
            Json::Bool(_) | Json::Number(_) | Json::String(_) => Shape::Scalar,
        }
    }

    fn as_object(&self) -> Option<&serde_json::Map<String, Json>> {
        Json::as_object(self)
    }
}

impl Object<Json> for serde_json::Map<String, Json> {
    fn entries(&self) -> impl Iterator<Item = (&str, &Json)> {
        self.iter().map(|(k, v)| (k.as_str(), v))
    }

    fn field(&self, name: &str) -> Option<&Json> {
        self.get(name)
    }
}

/// Meta-arguments Terraform accepts on every resource and data block.
pub(crate) const META_ARGUMENTS: &[&str] = &[
    "count",
    "for_each",
    "depends_on",
    "lifecycle",
    "provider",
    "provisioner",
    "connection",
];

/// The arguments of a `lifecycle` block (Terraform 1.11 language docs,
/// "The lifecycle Meta-Argument").
const LIFECYCLE: &[&str] = &[
    "create_before_destroy",
    "prevent_destroy",
    "ignore_changes",
    "replace_triggered_by",
    "precondition",
    "postcondition",
];

/// Where a checked body sits, for the violations it reports: the address
/// is only written out when there is something to report.
pub(crate) struct Place<'a> {
    /// `""` for a resource, `"data."` for a data source, `"provider."`.
    pub prefix: &'static str,
    /// The block's type (`aws_sqs_queue`), or the provider's name.
    pub block_type: &'a str,
    /// The block's name (`jobs`); empty for a provider configuration.
    pub name: &'a str,
    /// Whether computed-only flags are trusted below the top level.
    pub exact_nested_computed: bool,
}

impl Place<'_> {
    /// `aws_sqs_queue.jobs`, `data.aws_caller_identity.current`, `provider.aws`.
    pub fn address(&self) -> String {
        if self.name.is_empty() {
            format!("{}{}", self.prefix, self.block_type)
        } else {
            format!("{}{}.{}", self.prefix, self.block_type, self.name)
        }
    }
}

/// A position inside a body (`vpc_config`, `rule[1].filter`), built as the
/// check descends and written out only for a violation.
#[derive(Clone, Copy)]
pub(crate) struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    key: &'a str,
    index: Option<usize>,
}

impl Path<'_> {
    /// The top level of a body.
    pub const ROOT: Path<'static> = Path {
        parent: None,
        key: "",
        index: None,
    };

    fn render(&self) -> String {
        let mut text = match self.parent {
            Some(parent) => parent.render(),
            None => String::new(),
        };
        if !self.key.is_empty() {
            if !text.is_empty() {
                text.push('.');
            }
            text.push_str(self.key);
        }
        if let Some(index) = self.index {
            text.push_str(&format!("[{index}]"));
        }
        text
    }

    fn join(&self, name: &str) -> String {
        let base = self.render();
        if base.is_empty() {
            name.to_string()
        } else {
            format!("{base}.{name}")
        }
    }
}

/// Checks a resource or data block's top-level body: meta-arguments are
/// allowed (and `lifecycle`'s own arguments checked), the rest against `schema`.
pub(crate) fn check_top<T: Tree>(
    schema: &Index,
    body: &T::Object,
    place: &Place<'_>,
    violations: &mut Vec<Violation>,
) {
    check_fields::<T>(schema, body, place, &Path::ROOT, true, violations);
}

/// `lifecycle`'s own arguments (an object, or a list of one).
fn check_lifecycle<T: Tree>(lifecycle: &T, place: &Place<'_>, violations: &mut Vec<Violation>) {
    let lifecycles: &[T] = match lifecycle.shape() {
        Shape::List(items) => items,
        Shape::Object => std::slice::from_ref(lifecycle),
        _ => &[],
    };
    for lifecycle in lifecycles.iter().filter_map(T::as_object) {
        for (key, _) in lifecycle.entries() {
            if !LIFECYCLE.contains(&key) {
                violations.push(Violation {
                    address: place.address(),
                    path: format!("lifecycle.{key}"),
                    kind: ViolationKind::Unknown,
                    suggestion: closest(key, LIFECYCLE.iter().copied()),
                });
            }
        }
    }
}

/// Checks one nested body against `schema`: it must be an object (a
/// reference or `null` is left to Terraform).
fn check_block<T: Tree>(
    schema: &Index,
    body: &T,
    place: &Place<'_>,
    path: &Path<'_>,
    violations: &mut Vec<Violation>,
) {
    match body.shape() {
        Shape::Object => {
            if let Some(object) = body.as_object() {
                check_fields::<T>(schema, object, place, path, false, violations);
            }
        }
        Shape::Expression | Shape::Null => {}
        Shape::List(_) | Shape::Scalar => violations.push(Violation {
            address: place.address(),
            path: path.render(),
            kind: ViolationKind::NotABlock,
            suggestion: None,
        }),
    }
}

/// Checks the fields of one block body against `schema`, reporting each
/// mistake once: a misspelled required argument is one `Unknown` with the
/// right name as its suggestion, not also a missing one.
pub(crate) fn check_fields<T: Tree>(
    schema: &Index,
    body: &T::Object,
    place: &Place<'_>,
    path: &Path<'_>,
    top_level: bool,
    violations: &mut Vec<Violation>,
) {
    let violation = |name: &str, kind: ViolationKind| Violation {
        address: place.address(),
        path: path.join(name),
        kind,
        suggestion: None,
    };
    // Names a misspelling was taken for: not reported again as missing.
    let mut meant: Vec<String> = Vec::new();
    // Required names seen set: when all are, nothing is looked up again.
    let mut required_set = 0;
    let mut required_blocks_set = 0;
    for (key, value) in body.entries() {
        if let Some(attribute) = schema.attributes.get(key) {
            // A required argument counts as set when present: its value is
            // not read (an explicit null is Terraform's to report), as
            // reading every value would touch memory the check otherwise
            // never does (a tenth of the check's time at 10,000 blocks).
            if attribute.required {
                required_set += 1;
            }
            if attribute.is_computed_only()
                && (top_level || place.exact_nested_computed)
                && !matches!(value.shape(), Shape::Null)
            {
                violations.push(violation(key, ViolationKind::ComputedOnly));
            }
        } else if let Some(nested) = schema.blocks.get(key) {
            let none: [T; 0] = [];
            let items: &[T] = match value.shape() {
                Shape::List(items) => items,
                Shape::Null => &none,
                _ => std::slice::from_ref(value),
            };
            let count = items.len() as u64;
            if nested.min_items > 0 && count > 0 {
                required_blocks_set += 1;
            }
            if nested.max_items > 0 && count > nested.max_items {
                violations.push(violation(key, ViolationKind::TooManyBlocks));
            }
            if count < nested.min_items {
                violations.push(violation(key, ViolationKind::TooFewBlocks));
            }
            for (i, item) in items.iter().enumerate() {
                let item_path = Path {
                    parent: Some(path),
                    key,
                    index: (count > 1).then_some(i),
                };
                check_block(&nested.block, item, place, &item_path, violations);
            }
        } else if top_level && key == "lifecycle" {
            check_lifecycle(value, place, violations);
        } else if key == "//" || key == "dynamic" || (top_level && META_ARGUMENTS.contains(&key)) {
            // `//` is the JSON syntax's comment key; `dynamic` generates
            // blocks; meta-arguments are Terraform's (reserved: no provider
            // schema uses their names, so looking them up second is safe).
        } else {
            let suggestion = closest(key, schema.names.iter().map(String::as_str));
            if let Some(name) = &suggestion {
                meant.push(name.clone());
            }
            violations.push(Violation {
                suggestion,
                ..violation(key, ViolationKind::Unknown)
            });
        }
    }
    let unset = |name: &str| body.field(name).is_none() && !meant.iter().any(|m| m == name);
    if required_set < schema.required.len() {
        for name in &schema.required {
            if unset(name) {
                violations.push(violation(name, ViolationKind::MissingRequired));
            }
        }
    }
    if required_blocks_set < schema.required_blocks.len() {
        for name in &schema.required_blocks {
            if unset(name) {
                violations.push(violation(name, ViolationKind::TooFewBlocks));
            }
        }
    }
}
