//! One `resource` or `data` block: its attributes, dependencies and tagging.

use std::collections::BTreeMap;

use super::reference::Address;
use super::value::Value;

/// How the stack's default tags reach a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tagging {
    /// The block takes no tags.
    None,
    /// A `tags` map with keys and values as given (AWS, Azure).
    Tags,
    /// A `labels` map: keys and values lowercased, characters outside
    /// `[a-z0-9_-]` replaced by `_`, at most 63 characters (GCP).
    Labels,
    /// Tags go into a named attribute other than `tags`/`labels`
    /// (for example `resource_labels` on a GKE cluster), with label rules.
    LabelsAt(&'static str),
}

/// A resource or data source as it will be written.
#[derive(Clone, Debug)]
pub struct Block {
    pub(crate) address: Address,
    pub(crate) attributes: BTreeMap<String, Value>,
    pub(crate) depends_on: Vec<Address>,
    pub(crate) tagging: Tagging,
}

impl Block {
    /// The block's address.
    pub fn address(&self) -> &Address {
        &self.address
    }

    /// Its attributes, with default tags not yet merged.
    pub fn attributes(&self) -> &BTreeMap<String, Value> {
        &self.attributes
    }

    /// One attribute, following dots into nested maps (`"encryption.enabled"`);
    /// a list of one block is looked through (`"versioning.enabled"` reads
    /// `versioning[0].enabled`).
    pub fn get(&self, path: &str) -> Option<&Value> {
        let mut parts = path.split('.');
        let first = self.attributes.get(parts.next()?)?;
        parts.try_fold(first, |value, key| match value {
            Value::Map(map) => map.get(key),
            Value::List(items) if items.len() == 1 => items[0].as_map()?.get(key),
            _ => None,
        })
    }

    /// Explicit dependencies.
    pub fn depends_on(&self) -> &[Address] {
        &self.depends_on
    }

    /// How the block is tagged.
    pub fn tagging(&self) -> Tagging {
        self.tagging
    }

    /// Every address this block depends on, implicit and explicit.
    pub fn dependencies(&self) -> Vec<&Address> {
        let mut deps: Vec<&Address> = self.depends_on.iter().collect();
        for value in self.attributes.values() {
            value.visit_exprs(&mut |expr| deps.extend(expr.deps()));
        }
        deps
    }
}

/// The attributes of a new block, built fluently by a builder.
///
/// ```
/// use infrasynth::Attributes;
/// let attrs = Attributes::new()
///     .set("cidr_block", "10.0.0.0/16")
///     .set("enable_dns_support", true)
///     .tagged();
/// assert!(attrs.get("cidr_block").is_some());
/// ```
#[derive(Clone, Debug, Default)]
pub struct Attributes {
    pub(crate) values: BTreeMap<String, Value>,
    pub(crate) depends_on: Vec<Address>,
    pub(crate) tagging: Option<Tagging>,
}

impl Attributes {
    /// No attributes.
    pub fn new() -> Self {
        Attributes::default()
    }

    /// Sets an attribute; `Value::Null` removes it.
    pub fn set(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.insert(name, value);
        self
    }

    /// Sets an attribute when `value` is `Some`.
    pub fn set_opt<V: Into<Value>>(self, name: &str, value: Option<V>) -> Self {
        match value {
            Some(value) => self.set(name, value),
            None => self,
        }
    }

    /// Sets an attribute in place.
    pub fn insert(&mut self, name: &str, value: impl Into<Value>) {
        match value.into() {
            Value::Null => {
                self.values.remove(name);
            }
            value => {
                self.values.insert(name.to_string(), value);
            }
        }
    }

    /// Adds a nested block (written as a one-item list, Terraform JSON's form for
    /// nested blocks, so repeated blocks use [`Attributes::blocks`]).
    pub fn block(self, name: &str, block: Value) -> Self {
        self.set(name, Value::List(vec![block]))
    }

    /// Adds repeated nested blocks; none at all leaves the attribute unset.
    pub fn blocks(self, name: &str, blocks: Vec<Value>) -> Self {
        if blocks.is_empty() {
            self
        } else {
            self.set(name, Value::List(blocks))
        }
    }

    /// Adds an explicit dependency.
    pub fn depends_on(mut self, address: &Address) -> Self {
        if !self.depends_on.contains(address) {
            self.depends_on.push(address.clone());
        }
        self
    }

    /// Marks the block as taking the stack's default tags in `tags`.
    pub fn tagged(mut self) -> Self {
        self.tagging = Some(Tagging::Tags);
        self
    }

    /// Marks the block as taking the stack's default tags as GCP `labels`.
    pub fn labelled(mut self) -> Self {
        self.tagging = Some(Tagging::Labels);
        self
    }

    /// Sets how default tags reach the block.
    pub fn tagging(mut self, tagging: Tagging) -> Self {
        self.tagging = Some(tagging);
        self
    }

    /// An attribute set so far.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.get(name)
    }
}
