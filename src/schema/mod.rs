//! Checking a synthesized document against a Terraform provider schema.
//!
//! The schema is the one `terraform providers schema -json` prints (AWS), or the
//! flatter shape rebuilt from a cdktf provider package (google, azurerm); both load
//! into [`ProviderSchema`]. [`ProviderSchema::check`] then reports, per block,
//! unknown attributes and blocks, missing required ones, computed-only attributes
//! that were set, and nested blocks given more or fewer times than allowed.

mod bundled;

pub use bundled::{bundled, provider_of};

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde_json::Value as Json;

/// What an attribute accepts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttributeSchema {
    /// Must be set.
    pub required: bool,
    /// May be set.
    pub optional: bool,
    /// Terraform computes it.
    pub computed: bool,
}

impl AttributeSchema {
    /// Computed by the provider and never set by configuration.
    pub fn is_computed_only(&self) -> bool {
        self.computed && !self.optional && !self.required
    }
}

/// A nested block type.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NestedBlockSchema {
    /// `list`, `set`, `single`, `map`...
    pub nesting: String,
    /// Fewest occurrences (0 when optional).
    pub min_items: u64,
    /// Most occurrences (0 when unlimited).
    pub max_items: u64,
    /// The block's own schema.
    pub block: BlockSchema,
}

/// The schema of a resource, data source or nested block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockSchema {
    /// Attributes by name.
    pub attributes: BTreeMap<String, AttributeSchema>,
    /// Nested block types by name.
    pub blocks: BTreeMap<String, NestedBlockSchema>,
}

/// One provider's schema.
#[derive(Clone, Debug, Default)]
pub struct ProviderSchema {
    /// Resource schemas by type.
    pub resources: BTreeMap<String, BlockSchema>,
    /// Data source schemas by type.
    pub data_sources: BTreeMap<String, BlockSchema>,
    /// The provider block's schema, where known.
    pub provider: Option<BlockSchema>,
    /// Whether computed-only flags are reliable inside nested blocks (true for
    /// schemas printed by Terraform, false for rebuilt ones).
    pub exact_nested_computed: bool,
}

/// What is wrong at one place of a document.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ViolationKind {
    /// The provider has no resource or data source of this type.
    UnknownType,
    /// No such attribute or block.
    Unknown,
    /// A required attribute or block is missing.
    MissingRequired,
    /// A computed-only attribute was set.
    ComputedOnly,
    /// A nested block appears more often than `max_items`.
    TooManyBlocks,
    /// A nested block appears less often than `min_items`.
    TooFewBlocks,
    /// A nested block is not an object or a list of objects.
    NotABlock,
}

/// One finding of [`ProviderSchema::check`].
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Violation {
    /// `aws_vpc.main` or `data.aws_iam_policy_document.x` or `provider.aws`.
    pub address: String,
    /// Dotted path inside the block (`vpc_config.subnet_ids`).
    pub path: String,
    /// What is wrong.
    pub kind: ViolationKind,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ViolationKind::UnknownType => "is not a type of this provider",
            ViolationKind::Unknown => "is not in the provider schema",
            ViolationKind::MissingRequired => "is required but missing",
            ViolationKind::ComputedOnly => "is computed by the provider and must not be set",
            ViolationKind::TooManyBlocks => "is given more times than the schema allows",
            ViolationKind::TooFewBlocks => "is given fewer times than the schema requires",
            ViolationKind::NotABlock => "must be a block (object or list of objects)",
        };
        if self.path.is_empty() {
            write!(f, "{} {what}", self.address)
        } else {
            write!(f, "{}: `{}` {what}", self.address, self.path)
        }
    }
}

/// Meta-arguments Terraform accepts on every resource.
const META_ARGUMENTS: &[&str] = &[
    "count",
    "for_each",
    "depends_on",
    "lifecycle",
    "provider",
    "provisioner",
    "connection",
];

/// A schema file that cannot be used: unreadable, not JSON, or not a provider
/// schema in either supported shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaError(pub String);

impl std::fmt::Display for SchemaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SchemaError {}

impl ProviderSchema {
    /// Loads a schema file (`.json`), in either supported shape.
    ///
    /// # Errors
    ///
    /// [`SchemaError`] when the file cannot be read, is not JSON, or is not a
    /// provider schema.
    pub fn load(path: &Path) -> Result<Self, SchemaError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| SchemaError(format!("cannot read schema {}: {e}", path.display())))?;
        let json: Json = serde_json::from_str(&text)
            .map_err(|e| SchemaError(format!("schema {} is not JSON: {e}", path.display())))?;
        Self::from_json(&json)
    }

    /// Reads a schema from parsed JSON: either a whole
    /// `terraform providers schema -json` document (the first provider is taken),
    /// one provider's entry, or the rebuilt flat shape.
    ///
    /// # Errors
    ///
    /// [`SchemaError`] when `json` has no provider or no `resource_schemas`.
    pub fn from_json(json: &Json) -> Result<Self, SchemaError> {
        let provider = match json.get("provider_schemas").and_then(Json::as_object) {
            Some(providers) => providers
                .values()
                .next()
                .ok_or_else(|| SchemaError("schema document lists no provider".into()))?,
            None => json,
        };
        let resources = provider
            .get("resource_schemas")
            .and_then(Json::as_object)
            .ok_or_else(|| SchemaError("schema has no resource_schemas".into()))?;
        // Terraform's own output nests each block type's body under `block`.
        let exact = resources
            .values()
            .flat_map(|r| r.pointer("/block/block_types").and_then(Json::as_object))
            .flat_map(|b| b.values())
            .any(|b| b.get("block").is_some());
        let parse_all = |section: Option<&Json>| -> BTreeMap<String, BlockSchema> {
            section
                .and_then(Json::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), parse_block(v.get("block").unwrap_or(v))))
                        .collect()
                })
                .unwrap_or_default()
        };
        Ok(ProviderSchema {
            resources: parse_all(provider.get("resource_schemas")),
            data_sources: parse_all(provider.get("data_source_schemas")),
            provider: provider
                .get("provider_config")
                .or_else(|| provider.get("provider"))
                .and_then(|p| p.get("block"))
                .map(parse_block),
            exact_nested_computed: exact,
        })
    }

    /// Checks every resource, data source and provider configuration in a
    /// Terraform JSON document whose type starts with `type_prefix`
    /// (`aws_`, `google_`, `azurerm_`); `provider_name` selects the provider block.
    pub fn check(&self, document: &Json, type_prefix: &str, provider_name: &str) -> Vec<Violation> {
        let mut violations = Vec::new();
        for (section, schemas, address_prefix) in [
            ("resource", &self.resources, ""),
            ("data", &self.data_sources, "data."),
        ] {
            let Some(types) = document.get(section).and_then(Json::as_object) else {
                continue;
            };
            for (resource_type, blocks) in types {
                if !resource_type.starts_with(type_prefix) {
                    continue;
                }
                let Some(blocks) = blocks.as_object() else {
                    continue;
                };
                for (name, body) in blocks {
                    let address = format!("{address_prefix}{resource_type}.{name}");
                    match schemas.get(resource_type) {
                        Some(schema) => {
                            self.check_block(schema, body, &address, "", true, &mut violations)
                        }
                        None => violations.push(Violation {
                            address,
                            path: String::new(),
                            kind: ViolationKind::UnknownType,
                        }),
                    }
                }
            }
        }
        if let (Some(schema), Some(config)) = (
            &self.provider,
            document.pointer(&format!("/provider/{provider_name}")),
        ) {
            let configs: Vec<&Json> = match config {
                Json::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            for config in configs {
                let mut found = Vec::new();
                let address = format!("provider.{provider_name}");
                self.check_block(schema, config, &address, "", false, &mut found);
                // `alias` is a meta-argument of provider blocks.
                found.retain(|v| v.path != "alias");
                violations.extend(found);
            }
        }
        violations.sort();
        violations
    }

    fn check_block(
        &self,
        schema: &BlockSchema,
        body: &Json,
        address: &str,
        path: &str,
        top_level: bool,
        violations: &mut Vec<Violation>,
    ) {
        let Some(body) = body.as_object() else {
            violations.push(Violation {
                address: address.to_string(),
                path: path.to_string(),
                kind: ViolationKind::NotABlock,
            });
            return;
        };
        let join = |name: &str| {
            if path.is_empty() {
                name.to_string()
            } else {
                format!("{path}.{name}")
            }
        };
        for (key, value) in body {
            if top_level && META_ARGUMENTS.contains(&key.as_str()) {
                continue;
            }
            if let Some(attribute) = schema.attributes.get(key) {
                let computed_checked = top_level || self.exact_nested_computed;
                if computed_checked && attribute.is_computed_only() && !value.is_null() {
                    violations.push(Violation {
                        address: address.to_string(),
                        path: join(key),
                        kind: ViolationKind::ComputedOnly,
                    });
                }
            } else if let Some(nested) = schema.blocks.get(key) {
                let items: Vec<&Json> = match value {
                    Json::Array(items) => items.iter().collect(),
                    Json::Null => Vec::new(),
                    other => vec![other],
                };
                let count = items.len() as u64;
                if nested.max_items > 0 && count > nested.max_items {
                    violations.push(Violation {
                        address: address.to_string(),
                        path: join(key),
                        kind: ViolationKind::TooManyBlocks,
                    });
                }
                if count < nested.min_items {
                    violations.push(Violation {
                        address: address.to_string(),
                        path: join(key),
                        kind: ViolationKind::TooFewBlocks,
                    });
                }
                for (i, item) in items.iter().enumerate() {
                    let item_path = if count > 1 {
                        format!("{}[{i}]", join(key))
                    } else {
                        join(key)
                    };
                    self.check_block(&nested.block, item, address, &item_path, false, violations);
                }
            } else {
                violations.push(Violation {
                    address: address.to_string(),
                    path: join(key),
                    kind: ViolationKind::Unknown,
                });
            }
        }
        for (name, attribute) in &schema.attributes {
            if attribute.required && body.get(name).is_none_or(Json::is_null) {
                violations.push(Violation {
                    address: address.to_string(),
                    path: join(name),
                    kind: ViolationKind::MissingRequired,
                });
            }
        }
        for (name, nested) in &schema.blocks {
            if nested.min_items > 0 && body.get(name).is_none_or(Json::is_null) {
                violations.push(Violation {
                    address: address.to_string(),
                    path: join(name),
                    kind: ViolationKind::TooFewBlocks,
                });
            }
        }
    }
}

fn parse_block(json: &Json) -> BlockSchema {
    let attributes = json
        .get("attributes")
        .and_then(Json::as_object)
        .map(|attrs| {
            attrs
                .iter()
                .map(|(name, a)| {
                    let flag = |k: &str| a.get(k).and_then(Json::as_bool).unwrap_or(false);
                    (
                        name.clone(),
                        AttributeSchema {
                            required: flag("required"),
                            optional: flag("optional"),
                            computed: flag("computed"),
                        },
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let blocks = json
        .get("block_types")
        .and_then(Json::as_object)
        .map(|blocks| {
            blocks
                .iter()
                .map(|(name, b)| {
                    let number = |k: &str| b.get(k).and_then(Json::as_u64).unwrap_or(0);
                    let nesting = b
                        .get("nesting_mode")
                        .or_else(|| b.get("nesting"))
                        .and_then(Json::as_str)
                        .unwrap_or("list")
                        .to_string();
                    let mut max_items = number("max_items");
                    if nesting == "single" {
                        max_items = 1;
                    }
                    (
                        name.clone(),
                        NestedBlockSchema {
                            nesting,
                            min_items: number("min_items"),
                            max_items,
                            block: parse_block(b.get("block").unwrap_or(b)),
                        },
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    BlockSchema { attributes, blocks }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> ProviderSchema {
        ProviderSchema::from_json(&json!({
            "resource_schemas": {
                "aws_thing": {"block": {
                    "attributes": {
                        "name": {"required": true, "type": "string"},
                        "arn": {"computed": true, "type": "string"},
                        "tags": {"optional": true, "type": ["map", "string"]}
                    },
                    "block_types": {
                        "config": {"nesting_mode": "list", "max_items": 1, "block": {
                            "attributes": {"enabled": {"optional": true}}
                        }}
                    }
                }}
            }
        }))
        .unwrap()
    }

    #[test]
    fn reports_each_kind_of_violation() {
        let doc = json!({"resource": {
            "aws_thing": {"a": {"arn": "x", "bogus": 1, "config": [{"enabled": true}, {"enabled": false}]}},
            "aws_nope": {"b": {}}
        }});
        let kinds: Vec<ViolationKind> = schema()
            .check(&doc, "aws_", "aws")
            .into_iter()
            .map(|v| v.kind)
            .collect();
        assert_eq!(
            kinds,
            vec![
                ViolationKind::UnknownType,
                ViolationKind::ComputedOnly,
                ViolationKind::Unknown,
                ViolationKind::TooManyBlocks,
                ViolationKind::MissingRequired,
            ]
        );
    }

    #[test]
    fn a_valid_block_passes() {
        let doc = json!({"resource": {"aws_thing": {"a": {
            "name": "n", "config": [{"enabled": true}], "depends_on": ["aws_thing.b"]
        }}}});
        assert!(schema().check(&doc, "aws_", "aws").is_empty());
    }
}
