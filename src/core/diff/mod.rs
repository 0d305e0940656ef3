//! The semantic diff of two Terraform JSON documents: what `terraform plan`
//! would be asked to change, read from the configuration alone (no state).
//!
//! [`diff_documents`] compares the document on disk with a new one, block by
//! block (`resource`, `data`, `output`, and each other top-level section as
//! one block), and reports resources added, removed, changed (with each
//! attribute's path and its old and new value) and moved. A JSON-encoded
//! string (an IAM `policy`, an `assume_role_policy`) is compared as the JSON
//! it holds, and the arrays inside it as sets: the order of statements and of
//! `Action` lists means nothing to IAM. `null` and an absent attribute are
//! the same (Terraform JSON's `null` is "unset").
//!
//! Moves come from the new document's `moved` blocks and, for renames no
//! `moved` block covers, from [`crate::core::refactor::detect_renames`].
//! Every changed resource is then shown to the [`BroadeningRule`]s, which
//! the cloud layers supply; what they find is the diff's security section.
//!
//! ```
//! use infrasynth::core::diff::{diff_documents, ChangeKind};
//! let old = r#"{"resource": {"aws_sqs_queue": {"q": {"name": "a"}}}}"#;
//! let new = r#"{"resource": {"aws_sqs_queue": {"q": {"name": "b"}}}}"#;
//! let diff = diff_documents(Some(old), new, &[]).unwrap();
//! assert_eq!(diff.changes[0].kind, ChangeKind::Changed);
//! assert_eq!(diff.changes[0].attributes[0].path, "name");
//! ```

mod render;
mod security;
mod value;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::value::RawValue;
use serde_json::Value as Json;

pub use security::{decode_json, lookup, strings, Broad, Broadening, BroadeningRule, FlagRule};
pub use security::{RemovedRule, ResourceDelta};
pub use value::{diff_values, AttributeChange};

/// What happened to one block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// Only in the new document.
    Added,
    /// Only in the old document.
    Removed,
    /// In both, with different attributes.
    Changed,
    /// Renamed: `from` in the old document is this address in the new one.
    Moved {
        /// The old address.
        from: String,
        /// Whether a `moved` block of the new document says so (otherwise
        /// Terraform destroys `from` and creates the new address).
        declared: bool,
    },
}

impl ChangeKind {
    /// The one-word name used in every output format.
    pub fn as_str(&self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Changed => "changed",
            ChangeKind::Moved { .. } => "moved",
        }
    }
}

/// One block (or file) that differs.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// `aws_s3_bucket.logs`, `data.aws_caller_identity.current`,
    /// `output.vpc_id`, `provider`, `terraform`, or a file's path.
    pub address: String,
    /// Added, removed, changed or moved.
    pub kind: ChangeKind,
    /// For changed and moved blocks, each attribute that differs.
    pub attributes: Vec<AttributeChange>,
    /// Something the reader must know (a rename without a `moved` block, a
    /// resource forgotten by a `removed` block), if any.
    pub note: Option<String>,
}

/// The whole difference between two documents.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Diff {
    /// Every block that differs, resources first (by address), then the
    /// other sections; callers may append files.
    pub changes: Vec<Change>,
    /// Every change that broadens access, in the order found.
    pub security: Vec<Broadening>,
}

impl Diff {
    /// Whether nothing differs.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// How many changes are of `kind`'s variant (any `Moved` counts as moved).
    pub fn count(&self, kind: &str) -> usize {
        self.changes
            .iter()
            .filter(|c| c.kind.as_str() == kind)
            .count()
    }

    /// Whether any change broadens access.
    pub fn broadens_access(&self) -> bool {
        !self.security.is_empty()
    }
}

/// A document that could not be compared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiffError {
    /// Which document: `old` or `new`.
    pub which: &'static str,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for DiffError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the {} document is not Terraform JSON: {}",
            self.which, self.message
        )
    }
}

impl std::error::Error for DiffError {}

/// Sections that are instructions to Terraform about state, not blocks.
const REFACTOR_SECTIONS: [&str; 3] = ["moved", "import", "removed"];

/// Sections whose blocks are keyed by type, then name.
const TYPED_SECTIONS: [(&str, &str); 2] = [("resource", ""), ("data", "data.")];

/// A document indexed without parsing its blocks: section -> address ->
/// the block's raw text.
type Index<'a> = BTreeMap<String, &'a RawValue>;

/// The top level of a Terraform JSON document, each section still raw.
type TopLevel<'a> = BTreeMap<&'a str, &'a RawValue>;

fn index<'a>(top: &TopLevel<'a>, which: &'static str) -> Result<Index<'a>, DiffError> {
    let error = |message: String| DiffError { which, message };
    let mut blocks = Index::new();
    for (&section, raw) in top {
        if REFACTOR_SECTIONS.contains(&section) {
            continue;
        }
        if let Some((_, prefix)) = TYPED_SECTIONS.iter().find(|(s, _)| *s == section) {
            let types: BTreeMap<&str, BTreeMap<&str, &RawValue>> = serde_json::from_str(raw.get())
                .map_err(|e| error(format!("`{section}` is not an object of types: {e}")))?;
            for (resource_type, names) in types {
                for (name, body) in names {
                    blocks.insert(format!("{prefix}{resource_type}.{name}"), body);
                }
            }
        } else if section == "output" {
            let outputs: BTreeMap<&str, &RawValue> = serde_json::from_str(raw.get())
                .map_err(|e| error(format!("`output` is not an object: {e}")))?;
            for (name, body) in outputs {
                blocks.insert(format!("output.{name}"), body);
            }
        } else {
            blocks.insert(section.to_string(), raw);
        }
    }
    Ok(blocks)
}

fn parse(raw: &RawValue, which: &'static str) -> Result<Json, DiffError> {
    serde_json::from_str(raw.get()).map_err(|e| DiffError {
        which,
        message: e.to_string(),
    })
}

/// The resource type of an address (`aws_s3_bucket` of `aws_s3_bucket.x`,
/// also for `data.` addresses); the section's name for other blocks.
pub fn resource_type(address: &str) -> &str {
    let address = address.strip_prefix("data.").unwrap_or(address);
    address.split('.').next().unwrap_or(address)
}

/// The `moved` blocks of a document: new address -> old address.
fn declared_moves(top: &TopLevel<'_>) -> BTreeMap<String, String> {
    let Some(raw) = top.get("moved") else {
        return BTreeMap::new();
    };
    let Ok(Json::Array(moves)) = serde_json::from_str::<Json>(raw.get()) else {
        return BTreeMap::new();
    };
    moves
        .iter()
        .filter_map(|m| {
            Some((
                m.get("to")?.as_str()?.to_string(),
                m.get("from")?.as_str()?.to_string(),
            ))
        })
        .collect()
}

/// The addresses a `removed` block of a document forgets without
/// destroying (`lifecycle.destroy = false`).
fn forgotten(top: &TopLevel<'_>) -> BTreeSet<String> {
    let Some(raw) = top.get("removed") else {
        return BTreeSet::new();
    };
    let Ok(Json::Array(blocks)) = serde_json::from_str::<Json>(raw.get()) else {
        return BTreeSet::new();
    };
    blocks
        .iter()
        .filter(|b| b.pointer("/lifecycle/destroy") == Some(&Json::Bool(false)))
        .filter_map(|b| Some(b.get("from")?.as_str()?.to_string()))
        .collect()
}

/// Compares the document on disk (`old`; `None` when there is none, so
/// everything is added) with the new one, and runs `rules` over every block
/// that differs.
///
/// Blocks whose text is identical are not parsed, so a large document with
/// a few changes costs about one pass over each text.
///
/// # Errors
///
/// [`DiffError`] when either text is not a JSON object of Terraform
/// sections.
pub fn diff_documents(
    old: Option<&str>,
    new: &str,
    rules: &[&dyn BroadeningRule],
) -> Result<Diff, DiffError> {
    let old_top: TopLevel<'_> = match old {
        Some(text) => serde_json::from_str(text).map_err(|e| DiffError {
            which: "old",
            message: e.to_string(),
        })?,
        None => TopLevel::new(),
    };
    let new_top: TopLevel<'_> = serde_json::from_str(new).map_err(|e| DiffError {
        which: "new",
        message: e.to_string(),
    })?;
    let old_blocks = index(&old_top, "old")?;
    let new_blocks = index(&new_top, "new")?;
    let moves = declared_moves(&new_top);
    let forgotten = forgotten(&new_top);

    let mut diff = Diff::default();
    let mut moved_from: BTreeSet<String> = BTreeSet::new();
    // Declared moves: the old address's body against the new one's.
    for (to, from) in &moves {
        if let (Some(old_body), Some(new_body), false) = (
            old_blocks.get(from),
            new_blocks.get(to),
            old_blocks.contains_key(to),
        ) {
            let (old_body, new_body) = (parse(old_body, "old")?, parse(new_body, "new")?);
            moved_from.insert(from.clone());
            let kind = ChangeKind::Moved {
                from: from.clone(),
                declared: true,
            };
            diff.changes.push(change(
                to,
                kind,
                &old_body,
                &new_body,
                None,
                rules,
                &mut diff.security,
            ));
        }
    }
    // Renames no `moved` block covers, found by comparing bodies.
    let renames = if has_gone_and_new(&old_blocks, &new_blocks, &moved_from, &moves) {
        let old_json: Json = serde_json::from_str(old.unwrap_or("{}")).map_err(|e| DiffError {
            which: "old",
            message: e.to_string(),
        })?;
        let new_json: Json = serde_json::from_str(new).map_err(|e| DiffError {
            which: "new",
            message: e.to_string(),
        })?;
        crate::core::refactor::detect_renames(&old_json, &new_json)
    } else {
        Vec::new()
    };
    for rename in renames {
        let from = format!("{}.{}", rename.resource_type, rename.from);
        let to = format!("{}.{}", rename.resource_type, rename.to);
        let (Some(old_body), Some(new_body)) = (old_blocks.get(&from), new_blocks.get(&to)) else {
            continue;
        };
        let (old_body, new_body) = (parse(old_body, "old")?, parse(new_body, "new")?);
        moved_from.insert(from.clone());
        let note = format!(
            "no `moved` block: terraform will destroy {from} and create {to}; add {} to keep it",
            rename.moved_json()
        );
        let kind = ChangeKind::Moved {
            from,
            declared: false,
        };
        diff.changes.push(change(
            &to,
            kind,
            &old_body,
            &new_body,
            Some(note),
            rules,
            &mut diff.security,
        ));
    }
    let moved_to: BTreeSet<String> = diff
        .changes
        .iter()
        .filter(|c| matches!(c.kind, ChangeKind::Moved { .. }))
        .map(|c| c.address.clone())
        .collect();

    for (address, new_raw) in &new_blocks {
        if moved_to.contains(address) {
            continue;
        }
        match old_blocks.get(address) {
            None => {
                let body = parse(new_raw, "new")?;
                report(rules, address, None, Some(&body), &mut diff.security);
                diff.changes.push(Change {
                    address: address.clone(),
                    kind: ChangeKind::Added,
                    attributes: Vec::new(),
                    note: None,
                });
            }
            // Our writer is deterministic: equal text is the common case.
            Some(old_raw) if old_raw.get() == new_raw.get() => {}
            Some(old_raw) => {
                let (old_body, new_body) = (parse(old_raw, "old")?, parse(new_raw, "new")?);
                let attributes = diff_values(&old_body, &new_body);
                if !attributes.is_empty() {
                    report(
                        rules,
                        address,
                        Some(&old_body),
                        Some(&new_body),
                        &mut diff.security,
                    );
                    diff.changes.push(Change {
                        address: address.clone(),
                        kind: ChangeKind::Changed,
                        attributes,
                        note: None,
                    });
                }
            }
        }
    }
    for (address, old_raw) in &old_blocks {
        if new_blocks.contains_key(address) || moved_from.contains(address) {
            continue;
        }
        let body = parse(old_raw, "old")?;
        report(rules, address, Some(&body), None, &mut diff.security);
        let note = forgotten.contains(address).then(|| {
            "a `removed` block with destroy = false: terraform forgets it and leaves it running"
                .to_string()
        });
        diff.changes.push(Change {
            address: address.clone(),
            kind: ChangeKind::Removed,
            attributes: Vec::new(),
            note,
        });
    }
    diff.changes.sort_by(|a, b| {
        (is_section(&a.address), &a.address).cmp(&(is_section(&b.address), &b.address))
    });
    Ok(diff)
}

/// Whether an address is a whole top-level section (`provider`,
/// `terraform`), listed after the resources.
fn is_section(address: &str) -> bool {
    !address.contains('.')
}

/// Whether some type has both an address gone and one new that no declared
/// move explains: only then is rename detection worth parsing everything.
fn has_gone_and_new(
    old: &Index<'_>,
    new: &Index<'_>,
    moved_from: &BTreeSet<String>,
    moves: &BTreeMap<String, String>,
) -> bool {
    let gone: BTreeSet<&str> = old
        .keys()
        .filter(|a| a.contains('.') && !new.contains_key(*a) && !moved_from.contains(*a))
        .map(|a| resource_type(a))
        .collect();
    new.keys()
        .filter(|a| a.contains('.') && !old.contains_key(*a) && !moves.contains_key(*a))
        .any(|a| gone.contains(resource_type(a)))
}

fn change(
    address: &str,
    kind: ChangeKind,
    old: &Json,
    new: &Json,
    note: Option<String>,
    rules: &[&dyn BroadeningRule],
    security: &mut Vec<Broadening>,
) -> Change {
    let attributes = diff_values(old, new);
    if !attributes.is_empty() {
        report(rules, address, Some(old), Some(new), security);
    }
    Change {
        address: address.to_string(),
        kind,
        attributes,
        note,
    }
}

fn report(
    rules: &[&dyn BroadeningRule],
    address: &str,
    old: Option<&Json>,
    new: Option<&Json>,
    security: &mut Vec<Broadening>,
) {
    // Resources carry access, and data sources that render it (an IAM
    // policy document); outputs and settings do not.
    if !address.contains('.') || address.starts_with("output.") {
        return;
    }
    let delta = ResourceDelta {
        address,
        resource_type: resource_type(address),
        data_source: address.starts_with("data."),
        old,
        new,
    };
    for rule in rules {
        rule.check(&delta, security);
    }
}

#[cfg(test)]
mod tests;
