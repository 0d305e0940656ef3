//! The provider schemas built into the library: every resource and data
//! source type of hashicorp/aws 5.100.0, google 6.50.0 and azurerm 4.55.0,
//! plus the google-beta-only types the project transcribed.
//!
//! Source: `../shared/providers/<name>-<version>.schema.json.gz` (aws as
//! printed by `terraform providers schema -json` against the real provider;
//! google and azurerm rebuilt from the cdktf provider packages, see
//! `../shared/README.md`) merged with `providers/<name>/from-source.json`,
//! written by `providers/bundle.py` into `providers/<name>/schema.txt`.
//!
//! # Format (`schema.txt`)
//!
//! A header of `key value` lines (`provider`, `version`, `source`,
//! `nested-computed exact|unreliable`, `resources complete|partial`,
//! `data-sources complete|partial`, `index N`), then `N` index lines
//! `KIND NAME OFFSET LENGTH` (`R` resource, `D` data source, `P` the provider
//! configuration, `S` a shared body by number; names sorted within a kind),
//! a `---` line, and the bodies the offsets point into (bytes after `---\n`).
//! A body is one line per attribute, `name flags` (`r` required, `o`
//! optional, `c` computed: `oc` is optional and computed), and per nested
//! block `name nesting min max`, followed by its own body one space deeper,
//! or `name nesting min max &K` when its body is shared body `K`.
//!
//! # Speed
//!
//! The files are embedded (`include_str!`, 1.6 MB in all); nothing is parsed
//! until a provider is first asked for, then only its index (microseconds);
//! a type's body is decoded the first time a document uses it and cached
//! (`OnceLock` per type), so a synth pays for the 20-odd types it uses, not
//! the 4,000 there are.

use std::borrow::Cow;
use std::sync::OnceLock;

use super::index::{Index, Indexed};
use super::{AttributeSchema, BlockSchema, NestedBlockSchema, SchemaSource};
use crate::core::environment::Cloud;

const AWS: &str = include_str!("../../providers/aws/schema.txt");
const GOOGLE: &str = include_str!("../../providers/google/schema.txt");
const GOOGLE_BETA: &str = include_str!("../../providers/google-beta/schema.txt");
const AZURERM: &str = include_str!("../../providers/azurerm/schema.txt");

/// The local names of the providers with a bundled schema.
pub const BUNDLED_PROVIDERS: &[&str] = &["aws", "azurerm", "google", "google-beta"];

/// One type's place in the bodies, decoded on first use.
struct Entry {
    name: &'static str,
    start: usize,
    len: usize,
    decoded: OnceLock<BlockSchema>,
    index: OnceLock<Index>,
}

/// A provider schema built into the library, decoded lazily per type.
pub struct BundledSchema {
    provider: &'static str,
    version: &'static str,
    source: &'static str,
    exact_nested_computed: bool,
    every_resource: bool,
    every_data_source: bool,
    body: &'static str,
    resources: Vec<Entry>,
    data_sources: Vec<Entry>,
    provider_config: Option<Entry>,
    shared: Vec<Entry>,
}

impl std::fmt::Debug for BundledSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BundledSchema")
            .field("provider", &self.provider)
            .field("version", &self.version)
            .field("resources", &self.resources.len())
            .field("data_sources", &self.data_sources.len())
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
    let (i, text) = match provider {
        "aws" => (0, AWS),
        "azurerm" => (1, AZURERM),
        "google" => (2, GOOGLE),
        "google-beta" => (3, GOOGLE_BETA),
        _ => return None,
    };
    Some(CELLS[i].get_or_init(|| BundledSchema::parse(text)))
}

/// The bundled schema of a cloud's main provider (`aws`, `google`,
/// `azurerm`).
pub fn for_cloud(cloud: Cloud) -> &'static BundledSchema {
    let name = match cloud {
        Cloud::Aws => "aws",
        Cloud::Gcp => "google",
        Cloud::Azure => "azurerm",
    };
    bundled(name).expect("every cloud's provider is bundled")
}

impl BundledSchema {
    /// Reads the header and index of a `schema.txt`. The files are generated
    /// and tested (`every_bundled_type_decodes`), so a malformed line is a bug
    /// of the generator; it is skipped rather than trusted.
    fn parse(text: &'static str) -> Self {
        let (head, body) = text.split_once("\n---\n").unwrap_or((text, ""));
        let mut schema = BundledSchema {
            provider: "",
            version: "",
            source: "",
            exact_nested_computed: false,
            every_resource: false,
            every_data_source: false,
            body,
            resources: Vec::new(),
            data_sources: Vec::new(),
            provider_config: None,
            shared: Vec::new(),
        };
        for line in head.lines() {
            let (key, rest) = line.split_once(' ').unwrap_or((line, ""));
            match key {
                "provider" => schema.provider = rest,
                "version" => schema.version = rest,
                "source" => schema.source = rest,
                "nested-computed" => schema.exact_nested_computed = rest == "exact",
                "resources" => schema.every_resource = rest == "complete",
                "data-sources" => schema.every_data_source = rest == "complete",
                "R" | "D" | "P" | "S" => {
                    let mut parts = rest.split(' ');
                    let (Some(name), Some(Ok(start)), Some(Ok(len))) = (
                        parts.next(),
                        parts.next().map(str::parse),
                        parts.next().map(str::parse),
                    ) else {
                        continue;
                    };
                    let entry = Entry {
                        name,
                        start,
                        len,
                        decoded: OnceLock::new(),
                        index: OnceLock::new(),
                    };
                    match key {
                        "R" => schema.resources.push(entry),
                        "D" => schema.data_sources.push(entry),
                        "P" => schema.provider_config = Some(entry),
                        _ => schema.shared.push(entry),
                    }
                }
                _ => {}
            }
        }
        schema
    }

    /// The provider's local name (`aws`).
    pub fn provider(&self) -> &'static str {
        self.provider
    }

    /// The provider version the schema is of (`5.100.0`).
    pub fn version(&self) -> &'static str {
        self.version
    }

    /// Where the schema came from (`terraform providers schema -json ...`).
    pub fn source(&self) -> &'static str {
        self.source
    }

    /// A resource type's schema.
    pub fn resource_schema(&self, resource_type: &str) -> Option<&BlockSchema> {
        self.lookup(&self.resources, resource_type)
    }

    /// A data source type's schema.
    pub fn data_source_schema(&self, data_type: &str) -> Option<&BlockSchema> {
        self.lookup(&self.data_sources, data_type)
    }

    fn lookup<'a>(&'a self, entries: &'a [Entry], name: &str) -> Option<&'a BlockSchema> {
        let i = entries.binary_search_by(|e| e.name.cmp(name)).ok()?;
        Some(self.decoded(&entries[i]))
    }

    fn indexed<'a>(&'a self, entries: &'a [Entry], name: &str) -> Option<Cow<'a, Index>> {
        let i = entries.binary_search_by(|e| e.name.cmp(name)).ok()?;
        let entry = &entries[i];
        Some(Cow::Borrowed(
            entry.index.get_or_init(|| Index::new(self.decoded(entry))),
        ))
    }

    fn decoded<'a>(&'a self, entry: &'a Entry) -> &'a BlockSchema {
        entry.decoded.get_or_init(|| {
            let text = self.body.get(entry.start..entry.start + entry.len);
            self.decode(text.unwrap_or_default())
        })
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
                            .and_then(|k| self.shared.get(k))
                            .map(|entry| self.decoded(entry).clone())
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
        self.indexed(&self.resources, resource_type)
    }

    fn data_index(&self, data_type: &str) -> Option<Cow<'_, Index>> {
        self.indexed(&self.data_sources, data_type)
    }

    fn provider_index(&self) -> Option<Cow<'_, Index>> {
        let entry = self.provider_config.as_ref()?;
        Some(Cow::Borrowed(
            entry.index.get_or_init(|| Index::new(self.decoded(entry))),
        ))
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
        self.provider_config.as_ref().map(|e| self.decoded(e))
    }

    fn exact_nested_computed(&self) -> bool {
        self.exact_nested_computed
    }

    fn resource_types(&self) -> Box<dyn Iterator<Item = &str> + '_> {
        Box::new(self.resources.iter().map(|e| e.name))
    }

    fn data_source_types(&self) -> Box<dyn Iterator<Item = &str> + '_> {
        Box::new(self.data_sources.iter().map(|e| e.name))
    }

    fn lists_every_resource(&self) -> bool {
        self.every_resource
    }

    fn lists_every_data_source(&self) -> bool {
        self.every_data_source
    }

    fn describe(&self) -> String {
        format!("hashicorp/{} {}", self.provider, self.version)
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
            (s.resources.len(), s.data_sources.len())
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
            for entry in schema
                .resources
                .iter()
                .chain(&schema.data_sources)
                .chain(&schema.shared)
            {
                let block = schema.decoded(entry);
                assert!(
                    !block.attributes.is_empty() || !block.blocks.is_empty(),
                    "{provider} {} decodes to nothing",
                    entry.name
                );
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
