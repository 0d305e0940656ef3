//! A block schema prepared for checking many bodies fast: hashed lookups
//! and the required names listed once, built the first time a type is
//! checked (a synth of 10,000 blocks looks up about 80,000 names).

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use super::{AttributeSchema, BlockSchema};
use crate::core::stack::FastHasher;

type FastMap<V> = HashMap<String, V, BuildHasherDefault<FastHasher>>;

/// One level of a block schema, indexed.
#[derive(Clone, Debug, Default)]
pub(crate) struct Index {
    pub attributes: FastMap<AttributeSchema>,
    pub blocks: FastMap<NestedIndex>,
    /// Required attributes, sorted.
    pub required: Vec<String>,
    /// Nested blocks with `min_items > 0`, sorted.
    pub required_blocks: Vec<String>,
    /// Attribute then block names, sorted (for suggestions: deterministic).
    pub names: Vec<String>,
    /// Whether there is a `tags` attribute (where default tags go).
    pub has_tags: bool,
    /// Whether there is a `labels` attribute (GCP's default tags).
    pub has_labels: bool,
}

/// A nested block type, indexed.
#[derive(Clone, Debug, Default)]
pub(crate) struct NestedIndex {
    pub min_items: u64,
    pub max_items: u64,
    pub block: Index,
}

impl Index {
    /// Indexes `schema` and its nested blocks.
    pub fn new(schema: &BlockSchema) -> Self {
        Index {
            attributes: schema
                .attributes
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            blocks: schema
                .blocks
                .iter()
                .map(|(k, b)| {
                    (
                        k.clone(),
                        NestedIndex {
                            min_items: b.min_items,
                            max_items: b.max_items,
                            block: Index::new(&b.block),
                        },
                    )
                })
                .collect(),
            required: schema
                .attributes
                .iter()
                .filter(|(_, a)| a.required)
                .map(|(k, _)| k.clone())
                .collect(),
            required_blocks: schema
                .blocks
                .iter()
                .filter(|(_, b)| b.min_items > 0)
                .map(|(k, _)| k.clone())
                .collect(),
            names: schema
                .attributes
                .keys()
                .chain(schema.blocks.keys())
                .cloned()
                .collect(),
            has_tags: schema.attributes.contains_key("tags"),
            has_labels: schema.attributes.contains_key("labels"),
        }
    }
}

/// A schema whose types can be looked up indexed: cached for the bundled
/// schemas, built on the fly for one loaded from a file.
pub(crate) trait Indexed {
    /// A resource type's index.
    fn resource_index(&self, resource_type: &str) -> Option<Cow<'_, Index>>;
    /// A data source type's index.
    fn data_index(&self, data_type: &str) -> Option<Cow<'_, Index>>;
    /// The provider configuration's index.
    fn provider_index(&self) -> Option<Cow<'_, Index>>;
}
