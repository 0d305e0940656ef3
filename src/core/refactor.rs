//! Refactors without destroy: typed `moved`, `import` and `removed` blocks,
//! their checks at synth, and rename detection against the previous document.
//!
//! ```
//! use infrasynth::core::refactor::Moved;
//! use infrasynth::{Attributes, ResourceKind, Stack};
//! enum Bucket {}
//! impl ResourceKind for Bucket { const TYPE: &'static str = "aws_s3_bucket"; }
//!
//! let mut stack = Stack::new("demo");
//! let archive = stack.resource::<Bucket>("archive", Attributes::new().set("bucket", "acme-archive"));
//! let logs = stack.resource::<Bucket>("logs", Attributes::new().set("bucket", "acme-logs"));
//! // Was `aws_s3_bucket.old_archive`: keep the real bucket, give it the new address.
//! stack.moved(Moved::from::<Bucket>("old_archive"), &archive);
//! // Adopt a bucket made by hand.
//! stack.import(&logs, "acme-logs");
//! // Forget `aws_s3_bucket.scratch` without deleting the bucket.
//! stack.removed::<Bucket>("scratch", false);
//! let doc = stack.synth().expect("valid").main_tf_json().to_string();
//! assert!(doc.contains(r#""from": "aws_s3_bucket.old_archive""#));
//! assert!(doc.contains(r#""required_version": ">= 1.7""#));
//! ```

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::marker::PhantomData;

use serde_json::Value as Json;

use super::diagnostics::{Diagnostics, Severity};
use super::json::PrettyJson;
use super::reference::{Address, BlockKind, Ref, ResourceKind};
use super::stack::{is_valid_identifier, Stack};
use super::value::Value;

/// A Terraform release, major and minor (`1.7`), as `required_version`
/// lower bounds name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TerraformRelease {
    /// Major version.
    pub major: u32,
    /// Minor version.
    pub minor: u32,
}

impl TerraformRelease {
    /// `major.minor`.
    pub const fn new(major: u32, minor: u32) -> Self {
        TerraformRelease { major, minor }
    }

    /// `moved` blocks' own release is 1.1, but infrasynth writes 1.5 as the
    /// floor for every refactor block (`import` blocks need it).
    pub const MOVED: TerraformRelease = TerraformRelease::new(1, 5);
    /// `import` blocks with a literal id.
    pub const IMPORT: TerraformRelease = TerraformRelease::new(1, 5);
    /// `import` blocks whose id is an expression.
    pub const IMPORT_EXPRESSION: TerraformRelease = TerraformRelease::new(1, 6);
    /// `removed` blocks.
    pub const REMOVED: TerraformRelease = TerraformRelease::new(1, 7);

    /// Parses `1.7` or `1.7.2` (the patch is ignored).
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.trim().split('.');
        let major = parts.next()?.trim().parse().ok()?;
        let minor = parts.next().map_or(Some(0), |m| m.trim().parse().ok())?;
        Some(TerraformRelease { major, minor })
    }
}

impl fmt::Display for TerraformRelease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// `constraint` raised so that it admits no release older than `minimum`: a
/// single `>= x.y` lower bound is replaced when lower, any other constraint
/// gets `, >= minimum` appended.
pub fn raise_constraint(constraint: Option<&str>, minimum: TerraformRelease) -> String {
    let Some(constraint) = constraint.map(str::trim).filter(|c| !c.is_empty()) else {
        return format!(">= {minimum}");
    };
    let lower = constraint
        .strip_prefix(">=")
        .filter(|rest| !rest.contains(','))
        .and_then(TerraformRelease::parse);
    match lower {
        Some(current) if current >= minimum => constraint.to_string(),
        Some(_) => format!(">= {minimum}"),
        None => format!("{constraint}, >= {minimum}"),
    }
}

/// Where a `moved` block starts: the old logical name of a resource of kind
/// `K`. `Moved::from::<aws::kind::S3Bucket>("old")` passed with a
/// `Ref<aws::kind::Vpc>` target does not compile.
pub struct MovedFrom<K> {
    name: String,
    kind: PhantomData<fn() -> K>,
}

/// Builds the source of a [`Stack::moved`] block.
pub struct Moved;

impl Moved {
    /// The resource of kind `K` that was named `name` (the part after the
    /// type: `old` in `aws_s3_bucket.old`). `K` is inferred from the target
    /// when left out.
    pub fn from<K: ResourceKind>(name: &str) -> MovedFrom<K> {
        MovedFrom {
            name: name.to_string(),
            kind: PhantomData,
        }
    }
}

impl<K> fmt::Debug for MovedFrom<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MovedFrom")
            .field("name", &self.name)
            .finish()
    }
}

/// One `moved` block.
#[derive(Clone, Debug)]
struct MovedBlock {
    from: Address,
    to: Address,
}

/// One `import` block.
#[derive(Clone, Debug)]
struct ImportBlock {
    to: Address,
    id: Value,
}

/// One `removed` block.
#[derive(Clone, Debug)]
struct RemovedBlock {
    from: Address,
    destroy: bool,
}

/// The refactor blocks of a stack and the least Terraform release it needs.
#[derive(Clone, Debug, Default)]
pub(crate) struct Refactors {
    moved: Vec<MovedBlock>,
    imports: Vec<ImportBlock>,
    removed: Vec<RemovedBlock>,
    minimum: Option<TerraformRelease>,
}

impl Stack {
    /// Raises the document's `required_version` so it admits no Terraform
    /// older than `major.minor`, whatever constraint the builders set (a lower
    /// `>= x.y` is replaced, any other constraint gets `>= major.minor`
    /// appended). Applied when rendering, so the order of calls does not
    /// matter; the highest minimum asked for wins.
    pub fn require_terraform_at_least(&mut self, major: u32, minor: u32) {
        let release = TerraformRelease::new(major, minor);
        let minimum = &mut self.refactors.minimum;
        if minimum.is_none_or(|m| m < release) {
            *minimum = Some(release);
        }
    }

    /// The `required_version` the document carries: [`Stack::require_terraform`]'s
    /// constraint raised to every [`Stack::require_terraform_at_least`] and to
    /// what the backend's settings need (S3's `use_lockfile`: 1.10).
    pub fn required_terraform_version(&self) -> Option<String> {
        let constraint = self.terraform.required_version.as_deref();
        let backend = self
            .backend()
            .and_then(|b| b.required_terraform())
            .map(|(release, _)| release);
        match self.refactors.minimum.max(backend) {
            Some(minimum) => Some(raise_constraint(constraint, minimum)),
            None => constraint.map(str::to_string),
        }
    }

    /// Records that the resource `to` was called `from` before (a `moved`
    /// block, Terraform 1.5 here): Terraform moves its state to the new
    /// address instead of destroying and recreating it.
    ///
    /// Checked at synth: `to` must be a resource of this stack, `from` must no
    /// longer exist, and no two `moved` blocks may start at the same address.
    pub fn moved<K: ResourceKind>(&mut self, from: MovedFrom<K>, to: &Ref<K>) {
        let from = Address::resource(self.id(), K::TYPE, &from.name);
        self.require_terraform_at_least(1, 5);
        self.refactors.moved.push(MovedBlock {
            from,
            to: to.address().clone(),
        });
    }

    /// Adopts an existing object as the resource `to` (an `import` block,
    /// Terraform 1.5; an id computed from other resources needs 1.6): `id` is
    /// what the provider's import takes (a bucket's name, an instance id).
    ///
    /// Checked at synth: `to` must be a resource of this stack, imported once;
    /// the id must be non-empty text or an expression.
    pub fn import<K>(&mut self, to: &Ref<K>, id: impl Into<Value>) {
        let id = id.into();
        let release = if matches!(id, Value::Expr(_)) {
            TerraformRelease::IMPORT_EXPRESSION
        } else {
            TerraformRelease::IMPORT
        };
        self.require_terraform_at_least(release.major, release.minor);
        self.refactors.imports.push(ImportBlock {
            to: to.address().clone(),
            id,
        });
    }

    /// Takes the resource of kind `K` named `name` out of Terraform's state
    /// (a `removed` block, Terraform 1.7). With `destroy: false` the real
    /// object is kept (`lifecycle { destroy = false }`); with `true` Terraform
    /// destroys it.
    ///
    /// Checked at synth: the stack must no longer have that resource.
    pub fn removed<K: ResourceKind>(&mut self, name: &str, destroy: bool) {
        let from = Address::resource(self.id(), K::TYPE, name);
        self.require_terraform_at_least(1, 7);
        self.refactors.removed.push(RemovedBlock { from, destroy });
    }

    /// Whether the stack has `moved`, `import` or `removed` blocks.
    pub fn has_refactors(&self) -> bool {
        let r = &self.refactors;
        !(r.moved.is_empty() && r.imports.is_empty() && r.removed.is_empty())
    }

    /// The problems of the refactor blocks, as errors naming the block and a fix.
    pub(crate) fn check_refactors(&self, diagnostics: &mut Diagnostics) {
        let mut error = |resource: String, field: &str, message: String, hint: &str| {
            diagnostics.push(self.diagnostic(Severity::Error, &resource, field, message, hint));
        };
        let sources = check_blocks(&self.refactors.moved, &mut error, |moved| {
            let mut problems = Vec::new();
            if !is_valid_identifier(moved.from.name()) {
                problems.push((
                    "from",
                    format!("`{}` is not a valid Terraform name", moved.from.name()),
                    "give the resource's old logical name, the part after the type",
                ));
            }
            if let Some(problem) = self.target_problem(&moved.to) {
                problems.push((
                    "to",
                    format!("the target {problem}"),
                    "point `to` at the resource's handle in this stack (the builder's Ref, or stack.find::<K>(\"new_name\"))",
                ));
            } else if moved.to.resource_type() != moved.from.resource_type() {
                problems.push((
                    "to",
                    format!(
                        "moves a `{}` to a `{}`: a moved block keeps the resource type",
                        moved.from.resource_type(),
                        moved.to.resource_type()
                    ),
                    "move between addresses of the same type",
                ));
            }
            if self.index.contains_key(&moved.from) {
                problems.push((
                    "from",
                    format!("the source `{}` still exists in this stack", moved.from),
                    "rename the resource (its builder's name) to the `to` address, or drop the moved block",
                ));
            }
            if moved.from == moved.to {
                problems.push((
                    "from",
                    "moves a resource to its own address".to_string(),
                    "drop the moved block",
                ));
            }
            problems
        });
        check_blocks(&self.refactors.imports, &mut error, |import| {
            let mut problems = Vec::new();
            if let Some(problem) = self.target_problem(&import.to) {
                problems.push((
                    "to",
                    format!("the target {problem}"),
                    "add the resource that will hold the imported object to this stack, then import into its Ref",
                ));
            }
            let id_problem = match &import.id {
                Value::String(text) if text.trim().is_empty() => Some("is empty"),
                Value::String(_) | Value::Expr(_) => None,
                _ => Some("is not text"),
            };
            if let Some(problem) = id_problem {
                problems.push((
                    "id",
                    format!("the import id {problem}"),
                    "give the id the provider's import takes (for an S3 bucket, its name)",
                ));
            }
            problems
        });
        check_blocks(&self.refactors.removed, &mut error, |block| {
            let mut problems = Vec::new();
            if !is_valid_identifier(block.from.name()) {
                problems.push((
                    "from",
                    format!("`{}` is not a valid Terraform name", block.from.name()),
                    "give the resource's logical name, the part after the type",
                ));
            }
            if self.index.contains_key(&block.from) {
                problems.push((
                    "from",
                    format!("`{}` is still in this stack", block.from),
                    "remove the resource (its builder call) from the stack, or drop the removed block",
                ));
            }
            if sources.contains(&block.from) {
                problems.push((
                    "from",
                    format!("`{}` is also the source of a moved block", block.from),
                    "either move the resource or remove it, not both",
                ));
            }
            problems
        });
    }

    /// Why `target` cannot receive a moved or imported object, if it cannot.
    fn target_problem(&self, target: &Address) -> Option<String> {
        if target.stack() != self.id() {
            Some(format!("`{target}` belongs to another stack"))
        } else if target.kind() == BlockKind::Data {
            Some(format!("`{target}` is a data source"))
        } else if !self.index.contains_key(target) {
            Some(format!("`{target}` is not in this stack"))
        } else {
            None
        }
    }
}

/// One problem of a refactor block: the field at fault, what is wrong and
/// the fix.
type Problem = (&'static str, String, &'static str);

/// What [`check_blocks`] needs of one kind of refactor block: the address a
/// block of that kind may name only once, and how to say it was named twice.
trait RefactorBlock {
    /// The field holding that address (`from` or `to`).
    const FIELD: &'static str;
    /// The fix when two blocks name the same address.
    const TWICE_HINT: &'static str;
    /// The block as a diagnostic names it: `moved { from = ..., to = ... }`.
    fn label(&self) -> String;
    /// The address a block of this kind may name once.
    fn address(&self) -> &Address;
    /// What is wrong with a second block naming [`RefactorBlock::address`].
    fn twice(&self) -> String;
}

impl RefactorBlock for MovedBlock {
    const FIELD: &'static str = "from";
    const TWICE_HINT: &'static str = "keep one moved block per old address";
    fn label(&self) -> String {
        format!("moved {{ from = {}, to = {} }}", self.from, self.to)
    }
    fn address(&self) -> &Address {
        &self.from
    }
    fn twice(&self) -> String {
        format!("a second moved block starts at `{}`", self.from)
    }
}

impl RefactorBlock for ImportBlock {
    const FIELD: &'static str = "to";
    const TWICE_HINT: &'static str = "keep one import block per resource";
    fn label(&self) -> String {
        format!("import {{ to = {} }}", self.to)
    }
    fn address(&self) -> &Address {
        &self.to
    }
    fn twice(&self) -> String {
        format!("`{}` is imported twice", self.to)
    }
}

impl RefactorBlock for RemovedBlock {
    const FIELD: &'static str = "from";
    const TWICE_HINT: &'static str = "keep one removed block per address";
    fn label(&self) -> String {
        format!("removed {{ from = {} }}", self.from)
    }
    fn address(&self) -> &Address {
        &self.from
    }
    fn twice(&self) -> String {
        format!("`{}` is removed twice", self.from)
    }
}

/// Reports, block by block, the `problems` of each and then whether an
/// earlier block already named its address; returns the addresses named.
fn check_blocks<'b, B: RefactorBlock>(
    blocks: &'b [B],
    error: &mut impl FnMut(String, &str, String, &str),
    problems: impl Fn(&B) -> Vec<Problem>,
) -> HashSet<&'b Address> {
    let mut seen = HashSet::new();
    for block in blocks {
        let label = block.label();
        for (field, message, hint) in problems(block) {
            error(label.clone(), field, message, hint);
        }
        if !seen.insert(block.address()) {
            error(label, B::FIELD, block.twice(), B::TWICE_HINT);
        }
    }
    seen
}

/// Writes the section `name` (an array of objects, one a block, in the
/// order `order` gives), if there are blocks; `fields` writes one block's.
fn write_section<B>(
    json: &mut PrettyJson,
    name: &str,
    blocks: &[B],
    order: impl Fn(&B, &B) -> std::cmp::Ordering,
    fields: impl Fn(&mut PrettyJson, &B),
) {
    if blocks.is_empty() {
        return;
    }
    let mut blocks: Vec<&B> = blocks.iter().collect();
    blocks.sort_by(|a, b| order(a, b));
    json.key(name);
    json.begin_array();
    for block in blocks {
        json.item();
        json.begin_object();
        fields(json, block);
        json.end_object();
    }
    json.end_array();
}

/// The `import` section (`[{"id": ..., "to": "type.name"}]`), if any.
pub(crate) fn write_imports(json: &mut PrettyJson, stack: &Stack) {
    let blocks = &stack.refactors.imports;
    write_section(
        json,
        "import",
        blocks,
        |a, b| a.to.cmp(&b.to),
        |json, block| {
            json.key("id");
            json.value(&block.id);
            json.key("to");
            json.string(block.to.path());
        },
    );
}

/// The `moved` section (`[{"from": "type.old", "to": "type.new"}]`), if any.
pub(crate) fn write_moved(json: &mut PrettyJson, stack: &Stack) {
    let order = |a: &MovedBlock, b: &MovedBlock| (&a.from, &a.to).cmp(&(&b.from, &b.to));
    write_section(
        json,
        "moved",
        &stack.refactors.moved,
        order,
        |json, block| {
            json.key("from");
            json.string(block.from.path());
            json.key("to");
            json.string(block.to.path());
        },
    );
}

/// The `removed` section (`[{"from": "type.name", "lifecycle": {"destroy":
/// false}}]`), if any.
pub(crate) fn write_removed(json: &mut PrettyJson, stack: &Stack) {
    let blocks = &stack.refactors.removed;
    write_section(
        json,
        "removed",
        blocks,
        |a, b| a.from.cmp(&b.from),
        |json, block| {
            json.key("from");
            json.string(block.from.path());
            json.key("lifecycle");
            json.begin_object();
            json.key("destroy");
            json.bool(block.destroy);
            json.end_object();
        },
    );
}

/// A resource whose address disappeared while one of the same type with the
/// same attributes appeared: most likely a rename that needs a `moved` block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rename {
    /// The Terraform type, such as `aws_s3_bucket`.
    pub resource_type: String,
    /// The old logical name.
    pub from: String,
    /// The new logical name.
    pub to: String,
    /// Whether the attributes are equal once the other renames are applied to
    /// the references (otherwise most of them are: a likely rename).
    pub exact: bool,
}

impl Rename {
    /// The Rust line that keeps the resource (`r` being the new resource's
    /// `Ref`, which fixes the kind).
    pub fn moved_line(&self) -> String {
        format!(
            "stack.moved(Moved::from(\"{}\"), &r) where r is the Ref of {}.{} (e.g. stack.find::<K>(\"{}\") with K::TYPE = \"{}\")",
            self.from, self.resource_type, self.to, self.to, self.resource_type
        )
    }

    /// The `moved` entry to add to main.tf.json by hand.
    pub fn moved_json(&self) -> String {
        format!(
            "{{\"from\": \"{t}.{}\", \"to\": \"{t}.{}\"}}",
            self.from,
            self.to,
            t = self.resource_type
        )
    }
}

impl fmt::Display for Rename {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{t}.{} disappeared while {t}.{} appeared with {} attributes",
            self.from,
            self.to,
            if self.exact {
                "the same"
            } else {
                "nearly the same"
            },
            t = self.resource_type
        )
    }
}

/// How much of two bodies must agree (top-level attributes equal out of all
/// set on either side) for a likely rename.
const SIMILAR: f64 = 0.8;

/// Past this many old x new pairs of one type, only exact matches are looked
/// for (similarity is quadratic).
const SIMILARITY_PAIRS: usize = 4096;

/// The resources of `previous` (the document a synth wrote before) whose
/// address is gone from `current` while a resource of the same type with
/// equal attributes (references to other renamed resources followed) or
/// nearly equal ones appeared, and that neither a `moved` nor a `removed`
/// block of `current` accounts for. Only a type with addresses both gone and
/// new is compared, so a large document with a few changes costs little more
/// than indexing both.
///
/// Either argument that is not a Terraform JSON document (no `resource`
/// object) finds nothing.
pub fn detect_renames(previous: &Json, current: &Json) -> Vec<Rename> {
    let (Some(old), Some(new)) = (resources(previous), resources(current)) else {
        return Vec::new();
    };
    let handled: HashSet<(String, String)> = ["moved", "removed"]
        .iter()
        .filter_map(|section| current.get(*section)?.as_array())
        .flatten()
        .filter_map(|block| block.get("from")?.as_str())
        .filter_map(|from| {
            let (t, n) = from.split_once('.')?;
            Some((t.to_string(), n.to_string()))
        })
        .collect();
    // Per type: names gone and names new.
    let mut candidates: Vec<(&str, Vec<&str>, Vec<&str>)> = Vec::new();
    for (resource_type, old_names) in &old {
        let Some(new_names) = new.get(resource_type) else {
            continue;
        };
        let gone: Vec<&str> = old_names
            .keys()
            .filter(|n| !new_names.contains_key(**n))
            .filter(|n| !handled.contains(&(resource_type.to_string(), n.to_string())))
            .copied()
            .collect();
        let added: Vec<&str> = new_names
            .keys()
            .filter(|n| !old_names.contains_key(**n))
            .copied()
            .collect();
        if !gone.is_empty() && !added.is_empty() {
            candidates.push((resource_type, gone, added));
        }
    }
    let mut renamed: HashMap<(String, String), String> = HashMap::new();
    let mut found: Vec<Rename> = Vec::new();
    // Exact matches, following the renames found so far through references,
    // until a round finds nothing new.
    loop {
        let mut progress = false;
        for (resource_type, gone, added) in &mut candidates {
            let mut by_body: HashMap<String, Vec<&str>> = HashMap::new();
            for name in added.iter() {
                let body = canonical(new[*resource_type][name], &HashMap::new());
                by_body.entry(body).or_default().push(name);
            }
            let mut old_by_body: HashMap<String, Vec<&str>> = HashMap::new();
            for name in gone.iter() {
                let body = canonical(old[*resource_type][name], &renamed);
                old_by_body.entry(body).or_default().push(name);
            }
            for (body, olds) in &old_by_body {
                let Some(news) = by_body.get(body) else {
                    continue;
                };
                if olds.len() != 1 || news.len() != 1 {
                    continue; // ambiguous: say nothing rather than guess
                }
                let (from, to) = (olds[0], news[0]);
                renamed.insert(
                    (resource_type.to_string(), from.to_string()),
                    to.to_string(),
                );
                found.push(Rename {
                    resource_type: resource_type.to_string(),
                    from: from.to_string(),
                    to: to.to_string(),
                    exact: true,
                });
                gone.retain(|n| *n != from);
                added.retain(|n| *n != to);
                progress = true;
            }
        }
        if !progress {
            break;
        }
    }
    // Likely renames: one best partner each way, most attributes equal.
    for (resource_type, gone, added) in &candidates {
        if gone.is_empty() || added.is_empty() || gone.len() * added.len() > SIMILARITY_PAIRS {
            continue;
        }
        let score = |from: &str, to: &str| {
            similarity(old[*resource_type][from], new[*resource_type][to], &renamed)
        };
        for from in gone {
            let Some(to) = best(added.iter().map(|to| (score(from, to), *to))) else {
                continue;
            };
            let back = best(gone.iter().map(|f| (score(f, to), *f)));
            if back == Some(*from) {
                found.push(Rename {
                    resource_type: resource_type.to_string(),
                    from: from.to_string(),
                    to: to.to_string(),
                    exact: false,
                });
            }
        }
    }
    found.sort_by(|a, b| (&a.resource_type, &a.from).cmp(&(&b.resource_type, &b.from)));
    found
}

type ByType<'a> = BTreeMap<&'a str, BTreeMap<&'a str, &'a Json>>;

fn resources(document: &Json) -> Option<ByType<'_>> {
    let sections = document.get("resource")?.as_object()?;
    Some(
        sections
            .iter()
            .filter_map(|(t, blocks)| {
                let blocks = blocks.as_object()?;
                Some((
                    t.as_str(),
                    blocks.iter().map(|(n, b)| (n.as_str(), b)).collect(),
                ))
            })
            .collect(),
    )
}

/// The name with the highest score, if it is unique and high enough.
fn best<'a>(scores: impl Iterator<Item = (f64, &'a str)>) -> Option<&'a str> {
    let mut best: Option<(f64, &str)> = None;
    let mut tied = false;
    for (s, name) in scores {
        match best {
            Some((b, _)) if s < b => {}
            Some((b, _)) if s == b => tied = true,
            _ => {
                best = Some((s, name));
                tied = false;
            }
        }
    }
    best.filter(|(s, _)| !tied && *s >= SIMILAR).map(|(_, n)| n)
}

/// A body's text with references to renamed resources rewritten to their new
/// names (object keys are sorted by `serde_json`'s map).
fn canonical(body: &Json, renamed: &HashMap<(String, String), String>) -> String {
    if renamed.is_empty() {
        return body.to_string();
    }
    rewrite(body, renamed).to_string()
}

fn rewrite(value: &Json, renamed: &HashMap<(String, String), String>) -> Json {
    match value {
        Json::String(text) => Json::String(rewrite_references(text, renamed)),
        Json::Array(items) => Json::Array(items.iter().map(|v| rewrite(v, renamed)).collect()),
        Json::Object(map) => Json::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), rewrite(v, renamed)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `type.name` traversals in `text` (inside templates or bare, as in
/// `depends_on`) with renamed names replaced; `data.type.name` is left alone.
fn rewrite_references(text: &str, renamed: &HashMap<(String, String), String>) -> String {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut after_dot = false;
    let mut skip = 0u8;
    while !rest.is_empty() {
        let len = rest.find(|c: char| !is_ident(c)).unwrap_or(rest.len());
        if len == 0 {
            let c = rest.chars().next().unwrap_or_default();
            after_dot = c == '.';
            out.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let word = &rest[..len];
        rest = &rest[len..];
        if after_dot || skip > 0 {
            skip = skip.saturating_sub(1);
            out.push_str(word);
            continue;
        }
        if word == "data" {
            skip = 2;
            out.push_str(word);
            continue;
        }
        out.push_str(word);
        if let Some(tail) = rest.strip_prefix('.') {
            let name_len = tail.find(|c: char| !is_ident(c)).unwrap_or(tail.len());
            let name = &tail[..name_len];
            if let Some(new) = renamed.get(&(word.to_string(), name.to_string())) {
                out.push('.');
                out.push_str(new);
                rest = &tail[name_len..];
                after_dot = false;
            }
        }
    }
    out
}

/// The share of top-level attributes set on either side that are equal.
fn similarity(old: &Json, new: &Json, renamed: &HashMap<(String, String), String>) -> f64 {
    let (Some(old), Some(new)) = (old.as_object(), new.as_object()) else {
        return 0.0;
    };
    let keys: HashSet<&String> = old.keys().chain(new.keys()).collect();
    if keys.is_empty() {
        return 1.0;
    }
    let equal = keys
        .iter()
        .filter(|k| match (old.get(**k), new.get(**k)) {
            (Some(a), Some(b)) => canonical(a, renamed) == canonical(b, &HashMap::new()),
            _ => false,
        })
        .count();
    equal as f64 / keys.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::block::Attributes;

    enum Bucket {}
    impl ResourceKind for Bucket {
        const TYPE: &'static str = "aws_s3_bucket";
    }
    enum Versioning {}
    impl ResourceKind for Versioning {
        const TYPE: &'static str = "aws_s3_bucket_versioning";
    }

    fn doc(stack: &Stack) -> Json {
        serde_json::from_slice(&stack.render_json()).expect("json")
    }

    #[test]
    fn blocks_render_in_terraform_json_shape_and_raise_required_version() {
        let mut stack = Stack::new("r");
        stack.require_terraform(">= 1.5");
        let new = stack.resource::<Bucket>("new", Attributes::new().set("bucket", "b"));
        stack.moved(Moved::from::<Bucket>("old"), &new);
        stack.import(&new, "b-${x}");
        stack.removed::<Bucket>("gone", false);
        let synthesized = stack.synth().expect("valid");
        let doc: Json = serde_json::from_str(synthesized.main_tf_json()).expect("json");
        assert_eq!(
            doc["moved"],
            serde_json::json!([{"from": "aws_s3_bucket.old", "to": "aws_s3_bucket.new"}])
        );
        assert_eq!(
            doc["import"],
            serde_json::json!([{"id": "b-$${x}", "to": "aws_s3_bucket.new"}])
        );
        assert_eq!(
            doc["removed"],
            serde_json::json!([{"from": "aws_s3_bucket.gone", "lifecycle": {"destroy": false}}])
        );
        assert_eq!(doc["terraform"]["required_version"], ">= 1.7");
    }

    #[test]
    fn required_version_is_raised_only_when_lower() {
        let v = TerraformRelease::new(1, 7);
        assert_eq!(raise_constraint(Some(">= 1.5"), v), ">= 1.7");
        assert_eq!(raise_constraint(Some(">= 1.10"), v), ">= 1.10");
        assert_eq!(raise_constraint(Some("~> 1.6"), v), "~> 1.6, >= 1.7");
        assert_eq!(raise_constraint(None, v), ">= 1.7");
        let mut stack = Stack::new("v");
        stack.require_terraform(">= 1.6");
        assert_eq!(
            stack.required_terraform_version().as_deref(),
            Some(">= 1.6")
        );
        let b = stack.resource::<Bucket>("b", Attributes::new());
        stack.import(&b, "b");
        assert_eq!(
            stack.required_terraform_version().as_deref(),
            Some(">= 1.6")
        );
    }

    #[test]
    fn checks_name_the_block_and_a_fix() {
        let mut other = Stack::new("other");
        let foreign = other.resource::<Bucket>("x", Attributes::new());
        let mut stack = Stack::new("r");
        let kept = stack.resource::<Bucket>("kept", Attributes::new());
        let new = stack.resource::<Bucket>("new", Attributes::new());
        stack.moved(Moved::from::<Bucket>("kept"), &new);
        stack.moved(Moved::from::<Bucket>("a"), &new);
        stack.moved(Moved::from::<Bucket>("a"), &new);
        stack.moved(Moved::from::<Bucket>("b"), &foreign);
        stack.import(&foreign, "x");
        stack.import(&kept, "");
        stack.removed::<Bucket>("kept", false);
        let errors = stack.synth().expect_err("invalid");
        for text in [
            "moved { from = aws_s3_bucket.kept, to = aws_s3_bucket.new }",
            "the source `aws_s3_bucket.kept` still exists in this stack",
            "a second moved block starts at `aws_s3_bucket.a`",
            "the target `aws_s3_bucket.x` belongs to another stack",
            "import { to = aws_s3_bucket.x }",
            "the import id is empty",
            "`aws_s3_bucket.kept` is still in this stack",
        ] {
            assert!(errors.mentions(text), "{text} missing from:\n{errors}");
        }
    }

    #[test]
    fn an_address_named_by_two_blocks_of_a_kind_is_an_error_on_the_second() {
        let mut stack = Stack::new("r");
        let new = stack.resource::<Bucket>("new", Attributes::new());
        stack.import(&new, "x");
        stack.import(&new, "x");
        stack.removed::<Bucket>("gone", false);
        stack.removed::<Bucket>("gone", true);
        let errors = stack.synth().expect_err("invalid");
        for text in [
            "`aws_s3_bucket.new` is imported twice",
            "keep one import block per resource",
            "`aws_s3_bucket.gone` is removed twice",
            "keep one removed block per address",
        ] {
            assert!(errors.mentions(text), "{text} missing from:\n{errors}");
        }
    }

    #[test]
    fn a_rename_with_dependents_is_detected_through_references() {
        let build = |bucket_name: &str| {
            let mut stack = Stack::new("r");
            let b = stack.resource::<Bucket>(bucket_name, Attributes::new().set("bucket", "acme"));
            stack.resource::<Versioning>(
                bucket_name,
                Attributes::new()
                    .set("bucket", b.id())
                    .depends_on(b.address()),
            );
            stack.resource::<Bucket>("other", Attributes::new().set("bucket", "other"));
            stack
        };
        let before = doc(&build("logs"));
        let after = doc(&build("audit"));
        let renames = detect_renames(&before, &after);
        assert_eq!(renames.len(), 2, "{renames:?}");
        assert!(renames
            .iter()
            .all(|r| r.exact && r.from == "logs" && r.to == "audit"));
        assert!(renames[0].moved_line().contains("Moved::from(\"logs\")"));
        assert_eq!(
            renames[0].moved_json(),
            r#"{"from": "aws_s3_bucket.logs", "to": "aws_s3_bucket.audit"}"#
        );
        // Once the moved blocks are there, nothing is reported.
        let mut fixed = build("audit");
        let bucket = fixed.find::<Bucket>("audit").expect("built");
        let versioning = fixed.find::<Versioning>("audit").expect("built");
        fixed.moved(Moved::from("logs"), &bucket);
        fixed.moved(Moved::from("logs"), &versioning);
        assert!(detect_renames(&before, &doc(&fixed)).is_empty());
    }

    #[test]
    fn a_changed_bucket_is_not_a_rename_and_garbage_finds_nothing() {
        let mut a = Stack::new("a");
        a.resource::<Bucket>(
            "x",
            Attributes::new().set("bucket", "one").set("acl", "private"),
        );
        let mut b = Stack::new("b");
        b.resource::<Bucket>(
            "y",
            Attributes::new()
                .set("bucket", "two")
                .set("force_destroy", true),
        );
        assert!(detect_renames(&doc(&a), &doc(&b)).is_empty());
        assert!(detect_renames(&Json::Null, &doc(&b)).is_empty());
        let near_old =
            serde_json::json!({"resource": {"t": {"x": {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}}}});
        let near_new =
            serde_json::json!({"resource": {"t": {"y": {"a": 1, "b": 2, "c": 3, "d": 4, "e": 6}}}});
        let renames = detect_renames(&near_old, &near_new);
        assert_eq!(renames.len(), 1);
        assert!(!renames[0].exact);
    }

    #[test]
    fn ten_thousand_resources_compare_quickly() {
        let mut old = serde_json::Map::new();
        let mut new = serde_json::Map::new();
        for i in 0..10_000 {
            let body = serde_json::json!({"bucket": format!("b{i}"), "tags": {"n": i}});
            old.insert(format!("r{i}"), body.clone());
            let name = if i % 1000 == 0 {
                format!("renamed{i}")
            } else {
                format!("r{i}")
            };
            new.insert(name, body);
        }
        let old = serde_json::json!({"resource": {"aws_s3_bucket": old}});
        let new = serde_json::json!({"resource": {"aws_s3_bucket": new}});
        let started = std::time::Instant::now();
        let renames = detect_renames(&old, &new);
        assert_eq!(renames.len(), 10);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
}
