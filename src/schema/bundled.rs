//! The provider schemas built into the library: every resource and data
//! source type of hashicorp/aws 5.100.0, google 6.50.0 and azurerm 4.55.0,
//! plus the google-beta-only types the project transcribed.
//!
//! Source: `../shared/providers/<name>-<version>.schema.json.gz` (aws as
//! printed by `terraform providers schema -json` against the real provider;
//! google and azurerm rebuilt from the cdktf provider packages, see
//! `../shared/README.md`) merged with `providers/<name>/from-source.json`,
//! written by `providers/bundle.py` into `providers/<name>/schema.txt` (the
//! bodies) and `providers/<name>/index.rs` (where each type's body is).
//!
//! # Format
//!
//! `index.rs` is a [`RawIndex`] literal, compiled in: the provider, version,
//! source and flags, and per resource type, data source type, the provider
//! configuration and each shared body, a byte range of `schema.txt` (types
//! sorted by name, so a lookup is a binary search; nothing is parsed to find
//! a type). `schema.txt` starts with the same facts as `key value` lines and
//! a `---` line, for a reader. A body is one line per attribute, `name flags` (`r` required, `o`
//! optional, `c` computed: `oc` is optional and computed), and per nested
//! block `name nesting min max`, followed by its own body one space deeper,
//! or `name nesting min max &K` when its body is shared body `K`.
//!
//! # Speed
//!
//! The bodies are embedded (`include_str!`, 1.4 MB in all) and the index
//! compiled in; a type's body is decoded the first time a document uses it
//! and cached (`OnceLock` per type), so a synth pays for the 20-odd types it
//! uses, not the 4,000 there are.

use std::borrow::Cow;
use std::sync::OnceLock;

use super::index::{Index, Indexed};
use super::{AttributeSchema, BlockSchema, NestedBlockSchema, SchemaSource};
use crate::core::environment::Cloud;

/// The generated index of one provider's `schema.txt` (see the module's
/// format); public only so the generated literals can name it.
#[doc(hidden)]
pub struct RawIndex {
    provider: &'static str,
    version: &'static str,
    source: &'static str,
    exact_nested_computed: bool,
    every_resource: bool,
    every_data_source: bool,
    resources: &'static [(&'static str, usize, usize)],
    data_sources: &'static [(&'static str, usize, usize)],
    provider_config: Option<(usize, usize)>,
    shared: &'static [(usize, usize)],
}

static AWS: (RawIndex, &str) = (
    include!("../../providers/aws/index.rs"),
    include_str!("../../providers/aws/schema.txt"),
);
static GOOGLE: (RawIndex, &str) = (
    include!("../../providers/google/index.rs"),
    include_str!("../../providers/google/schema.txt"),
);
static GOOGLE_BETA: (RawIndex, &str) = (
    include!("../../providers/google-beta/index.rs"),
    include_str!("../../providers/google-beta/schema.txt"),
);
static AZURERM: (RawIndex, &str) = (
    include!("../../providers/azurerm/index.rs"),
    include_str!("../../providers/azurerm/schema.txt"),
);

/// The local names of the providers with a bundled schema.
pub const BUNDLED_PROVIDERS: &[&str] = &["aws", "azurerm", "google", "google-beta"];

/// One type decoded, and indexed for checking once a check needs it.
struct Decoded {
    schema: BlockSchema,
    index: OnceLock<Index>,
}

/// A provider schema built into the library, decoded lazily per type.
pub struct BundledSchema {
    raw: &'static RawIndex,
    text: &'static str,
    resources: Box<[OnceLock<Box<Decoded>>]>,
    data_sources: Box<[OnceLock<Box<Decoded>>]>,
    provider_config: OnceLock<Box<Decoded>>,
    shared: Box<[OnceLock<Box<Decoded>>]>,
}

impl std::fmt::Debug for BundledSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BundledSchema")
            .field("provider", &self.raw.provider)
            .field("version", &self.raw.version)
            .field("resources", &self.raw.resources.len())
            .field("data_sources", &self.raw.data_sources.len())
            .finish_non_exhaustive()
    }
}

/// The bundled schema of the provider whose local name is `provider`
/// (`aws`, `google`, `google-beta`, `azurerm`), or `None` for a provider the
/// library has no schema of (`time`, `random`, `kubernetes`...).
///
/// ```
/// let aws = infrasynth::schema::bundled("aws").expect("bundled");
/// assert_eq!(aws.version(), "5.100.0");
/// assert!(aws.resource_schema("aws_sqs_queue").is_some());
/// assert!(infrasynth::schema::bundled("random").is_none());
/// ```
pub fn bundled(provider: &str) -> Option<&'static BundledSchema> {
    static CELLS: [OnceLock<BundledSchema>; 4] = [const { OnceLock::new() }; 4];
    let (i, (raw, text)) = match provider {
        "aws" => (0, &AWS),
        "azurerm" => (1, &AZURERM),
        "google" => (2, &GOOGLE),
        "google-beta" => (3, &GOOGLE_BETA),
        _ => return None,
    };
    Some(CELLS[i].get_or_init(|| BundledSchema::new(raw, text)))
}

/// The local name of `cloud`'s main provider and the prefix of its types:
/// (`aws`, `aws_`), (`google`, `google_`), (`azurerm`, `azurerm_`).
pub fn provider_of(cloud: Cloud) -> (&'static str, &'static str) {
    match cloud {
        Cloud::Aws => ("aws", "aws_"),
        Cloud::Gcp => ("google", "google_"),
        Cloud::Azure => ("azurerm", "azurerm_"),
    }
}

/// The bundled schema of a cloud's main provider (`aws`, `google`,
/// `azurerm`).
pub fn for_cloud(cloud: Cloud) -> &'static BundledSchema {
    bundled(provider_of(cloud).0).expect("every cloud's provider is bundled")
}

fn cells(n: usize) -> Box<[OnceLock<Box<Decoded>>]> {
    (0..n).map(|_| OnceLock::new()).collect()
}

impl BundledSchema {
    fn new(raw: &'static RawIndex, text: &'static str) -> Self {
        BundledSchema {
            raw,
            text,
            resources: cells(raw.resources.len()),
            data_sources: cells(raw.data_sources.len()),
            provider_config: OnceLock::new(),
            shared: cells(raw.shared.len()),
        }
    }

    /// The provider's local name (`aws`).
    pub fn provider(&self) -> &'static str {
        self.raw.provider
    }

    /// The provider version the schema is of (`5.100.0`).
    pub fn version(&self) -> &'static str {
        self.raw.version
    }

    /// Where the schema came from (`terraform providers schema -json ...`).
    pub fn source(&self) -> &'static str {
        self.raw.source
    }

    /// A resource type's schema.
    pub fn resource_schema(&self, resource_type: &str) -> Option<&BlockSchema> {
        self.find(self.raw.resources, &self.resources, resource_type)
            .map(|d| &d.schema)
    }

    /// A data source type's schema.
    pub fn data_source_schema(&self, data_type: &str) -> Option<&BlockSchema> {
        self.find(self.raw.data_sources, &self.data_sources, data_type)
            .map(|d| &d.schema)
    }

    fn find<'a>(
        &'a self,
        entries: &[(&str, usize, usize)],
        cells: &'a [OnceLock<Box<Decoded>>],
        name: &str,
    ) -> Option<&'a Decoded> {
        let i = entries.binary_search_by(|e| e.0.cmp(name)).ok()?;
        let (_, start, len) = entries[i];
        Some(self.decoded(&cells[i], start, len))
    }

    fn decoded<'a>(
        &'a self,
        cell: &'a OnceLock<Box<Decoded>>,
        start: usize,
        len: usize,
    ) -> &'a Decoded {
        cell.get_or_init(|| {
            let text = self.text.get(start..start + len).unwrap_or_default();
            Box::new(Decoded {
                schema: self.decode(text),
                index: OnceLock::new(),
            })
        })
    }

    fn shared_body(&self, k: usize) -> Option<&BlockSchema> {
        let &(start, len) = self.raw.shared.get(k)?;
        Some(&self.decoded(&self.shared[k], start, len).schema)
    }

    fn indexed(decoded: &Decoded) -> Cow<'_, Index> {
        Cow::Borrowed(decoded.index.get_or_init(|| Index::new(&decoded.schema)))
    }

    /// Decodes one body (see the module's format).
    fn decode(&self, text: &str) -> BlockSchema {
        let lines: Vec<(usize, &str)> = text
            .lines()
            .map(|line| {
                let trimmed = line.trim_start_matches(' ');
                (line.len() - trimmed.len(), trimmed)
            })
            .collect();
        let mut position = 0;
        self.decode_level(&lines, &mut position, 0)
    }

    fn decode_level(
        &self,
        lines: &[(usize, &str)],
        position: &mut usize,
        depth: usize,
    ) -> BlockSchema {
        let mut block = BlockSchema::default();
        while let Some(&(indent, line)) = lines.get(*position) {
            if indent < depth {
                break;
            }
            *position += 1;
            let parts: Vec<&str> = line.split(' ').collect();
            match parts.as_slice() {
                [name, flags] => {
                    block.attributes.insert(
                        (*name).to_string(),
                        AttributeSchema {
                            required: flags.contains('r'),
                            optional: flags.contains('o'),
                            computed: flags.contains('c'),
                        },
                    );
                }
                [name, nesting, min, max, rest @ ..] => {
                    let body = match rest.first().and_then(|r| r.strip_prefix('&')) {
                        Some(shared) => shared
                            .parse::<usize>()
                            .ok()
                            .and_then(|k| self.shared_body(k))
                            .cloned()
                            .unwrap_or_default(),
                        None => self.decode_level(lines, position, depth + 1),
                    };
                    block.blocks.insert(
                        (*name).to_string(),
                        NestedBlockSchema {
                            nesting: (*nesting).to_string(),
                            min_items: min.parse().unwrap_or(0),
                            max_items: max.parse().unwrap_or(0),
                            block: body,
                        },
                    );
                }
                _ => {}
            }
        }
        block
    }
}

impl Indexed for BundledSchema {
    fn resource_index(&self, resource_type: &str) -> Option<Cow<'_, Index>> {
        self.find(self.raw.resources, &self.resources, resource_type)
            .map(Self::indexed)
    }

    fn data_index(&self, data_type: &str) -> Option<Cow<'_, Index>> {
        self.find(self.raw.data_sources, &self.data_sources, data_type)
            .map(Self::indexed)
    }

    fn provider_index(&self) -> Option<Cow<'_, Index>> {
        let (start, len) = self.raw.provider_config?;
        Some(Self::indexed(self.decoded(
            &self.provider_config,
            start,
            len,
        )))
    }
}

impl SchemaSource for BundledSchema {
    fn resource(&self, resource_type: &str) -> Option<&BlockSchema> {
        self.resource_schema(resource_type)
    }

    fn data_source(&self, data_type: &str) -> Option<&BlockSchema> {
        self.data_source_schema(data_type)
    }

    fn provider_config(&self) -> Option<&BlockSchema> {
        let (start, len) = self.raw.provider_config?;
        Some(&self.decoded(&self.provider_config, start, len).schema)
    }

    fn exact_nested_computed(&self) -> bool {
        self.raw.exact_nested_computed
    }

    fn resource_types(&self) -> Box<dyn Iterator<Item = &str> + '_> {
        Box::new(self.raw.resources.iter().map(|e| e.0))
    }

    fn data_source_types(&self) -> Box<dyn Iterator<Item = &str> + '_> {
        Box::new(self.raw.data_sources.iter().map(|e| e.0))
    }

    fn lists_every_resource(&self) -> bool {
        self.raw.every_resource
    }

    fn lists_every_data_source(&self) -> bool {
        self.raw.every_data_source
    }

    fn describe(&self) -> String {
        format!("hashicorp/{} {}", self.raw.provider, self.raw.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The counts of ../shared/README.md: hashicorp/aws 5.100.0 has 1,526
    /// resources and 608 data sources (`terraform providers schema -json`);
    /// the rebuilt google 6.50.0 has 1,096 resources and azurerm 4.55.0
    /// 1,127, plus the one data source each that the project transcribed.
    #[test]
    fn every_type_of_the_pinned_providers_is_bundled() {
        let count = |p: &str| {
            let s = bundled(p).expect("bundled");
            (s.raw.resources.len(), s.raw.data_sources.len())
        };
        assert_eq!(count("aws"), (1526, 608));
        assert_eq!(count("google"), (1096, 1));
        assert_eq!(count("azurerm"), (1127, 1));
        assert_eq!(count("google-beta"), (1, 0));
        assert_eq!(for_cloud(Cloud::Gcp).version(), "6.50.0");
        assert_eq!(for_cloud(Cloud::Azure).version(), "4.55.0");
    }

    #[test]
    fn every_bundled_type_decodes() {
        for provider in BUNDLED_PROVIDERS {
            let schema = bundled(provider).expect("bundled");
            for entries in [schema.raw.resources, schema.raw.data_sources] {
                assert!(
                    entries.windows(2).all(|w| w[0].0 < w[1].0),
                    "{provider}: names sorted and unique (a lookup is a binary search)"
                );
            }
            for (name, _, _) in schema.raw.resources.iter().chain(schema.raw.data_sources) {
                let block = schema
                    .resource_schema(name)
                    .or_else(|| schema.data_source_schema(name))
                    .expect("listed");
                assert!(
                    !block.attributes.is_empty() || !block.blocks.is_empty(),
                    "{provider} {name} decodes to nothing"
                );
            }
            for k in 0..schema.raw.shared.len() {
                assert!(schema.shared_body(k).is_some());
            }
            // Each range starts right after a line break of schema.txt.
            for (_, start, _) in schema.raw.resources {
                assert_eq!(schema.text.as_bytes()[start - 1], b'\n');
            }
        }
    }

    /// hashicorp/aws 5.100.0 `aws_sqs_queue`: `name` optional + computed,
    /// `kms_master_key_id` optional, `arn` computed only, no required
    /// argument (terraform providers schema -json).
    #[test]
    fn a_decoded_type_carries_its_flags() {
        let queue = for_cloud(Cloud::Aws)
            .resource_schema("aws_sqs_queue")
            .expect("aws_sqs_queue");
        let name = &queue.attributes["name"];
        assert!(name.optional && name.computed && !name.required);
        assert!(queue.attributes["arn"].is_computed_only());
        assert!(queue.attributes.contains_key("kms_master_key_id"));
        assert!(queue.attributes.values().all(|a| !a.required));
    }

    /// A shared nested body decodes the same as a written-out one: aws
    /// `aws_instance.ebs_block_device` (nesting `set`) keeps its attributes.
    #[test]
    fn nested_blocks_decode_with_nesting_and_limits() {
        let instance = for_cloud(Cloud::Aws)
            .resource_schema("aws_instance")
            .expect("aws_instance");
        let ebs = &instance.blocks["ebs_block_device"];
        assert_eq!(ebs.nesting, "set");
        assert!(ebs.block.attributes["device_name"].required);
        let metadata = &instance.blocks["metadata_options"];
        assert_eq!(metadata.max_items, 1);
    }
}
