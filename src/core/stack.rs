//! The [`Stack`]: every block, variable, output and setting of one Terraform root
//! module, plus the diagnostics found while building it.

use std::any::Any;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use super::backend::Backend;
use super::block::{Attributes, Block, Tagging};
use super::calendar::Date;
use super::diagnostics::{Diagnostic, Diagnostics, Severity};
use super::environment::Environment;
use super::refactor::Refactors;
use super::reference::{Address, Ref, ResourceKind, StackId};
use super::value::Value;

/// Something that adds blocks to a stack: a builder such as `aws::Vpc`.
///
/// `build` records problems with [`Stack::error`] instead of failing, so one synth
/// reports every problem; it still returns handles, which is harmless because a
/// stack with errors never synthesizes.
pub trait Construct {
    /// What the caller gets back: handles to the blocks it made.
    type Output;

    /// A short label for messages, such as `aws::Vpc "main"`.
    fn describe(&self) -> String;

    /// Adds the blocks.
    fn build(self, stack: &mut Stack) -> Self::Output;
}

/// A `variable` block.
#[derive(Clone, Debug, Default)]
pub struct Variable {
    /// Terraform type expression, such as `string` or `list(string)`.
    pub type_expr: String,
    /// Shown by `terraform plan` prompts and docs.
    pub description: String,
    /// Default value; none makes the variable required.
    pub default: Option<Value>,
    /// Redacted in Terraform's output.
    pub sensitive: bool,
}

/// An `output` block.
#[derive(Clone, Debug)]
pub struct Output {
    /// The value.
    pub value: Value,
    /// What the output is for.
    pub description: String,
    /// Redacted in Terraform's output and never written into Helm values.
    pub sensitive: bool,
}

/// One `provider` configuration.
#[derive(Clone, Debug)]
pub struct ProviderConfig {
    /// Local provider name, such as `aws`.
    pub name: String,
    /// Attributes and nested blocks.
    pub attributes: BTreeMap<String, Value>,
}

/// A `required_providers` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequiredProvider {
    /// Registry source, such as `hashicorp/aws`.
    pub source: String,
    /// Version constraint, such as `~> 5.100`.
    pub version: String,
}

/// The `terraform` block.
#[derive(Clone, Debug, Default)]
pub struct TerraformSettings {
    /// `required_version` constraint, as the builders asked for it (see
    /// [`Stack::required_terraform_version`] for what is written).
    pub required_version: Option<String>,
    /// Local name to source and version.
    pub required_providers: BTreeMap<String, RequiredProvider>,
    /// The checked backend block, if any (no block: local state).
    pub backend: Option<Backend>,
}

/// One Terraform root module being built.
///
/// ```
/// use infrasynth::{Attributes, Stack, ResourceKind};
/// enum Topic {}
/// impl ResourceKind for Topic { const TYPE: &'static str = "aws_sns_topic"; }
///
/// let mut stack = Stack::new("demo");
/// let topic = stack.resource::<Topic>("alerts", Attributes::new().set("name", "alerts"));
/// assert_eq!(topic.id().expr().template(), "${aws_sns_topic.alerts.id}");
/// let out = stack.synth().expect("valid stack");
/// assert!(out.file("main.tf.json").is_some());
/// ```
pub struct Stack {
    id: StackId,
    name: String,
    environment: Option<Environment>,
    // The day support windows are judged on (`core::support`); none checks
    // only that versions are known, so builders alone stay clock-free.
    support_date: Option<Date>,
    pub(crate) blocks: Vec<Block>,
    pub(crate) index: AddressIndex,
    // The builder that added each block (`None`: `Stack::resource` directly),
    // shared with `builders` so adding a block copies no text.
    origins: Vec<Option<Arc<str>>>,
    builders: Vec<Arc<str>>,
    pub(crate) variables: BTreeMap<String, Variable>,
    pub(crate) locals: BTreeMap<String, Value>,
    pub(crate) outputs: BTreeMap<String, Output>,
    pub(crate) providers: Vec<ProviderConfig>,
    pub(crate) terraform: TerraformSettings,
    pub(crate) default_tags: BTreeMap<String, String>,
    diagnostics: Diagnostics,
    // Set when the check of the user's input found errors: every later error
    // derives from one of them (a builder given the bad value), so it is
    // dropped, as are graph and policy findings (one mistake, one error).
    input_failed: bool,
    pub(crate) files: BTreeMap<String, Vec<u8>>,
    pub(crate) acknowledged: Vec<(Address, String, String)>,
    // `moved`, `import` and `removed` blocks (`core::refactor`).
    pub(crate) refactors: Refactors,
    // Live cloud facts (`core::context`), one value per type, read by the
    // builders of the cloud that defines the type instead of their tables.
    facts: BTreeMap<FactsKey, Arc<dyn Any + Send + Sync>>,
}

/// A facts type's key: its `TypeId`, ordered for a `BTreeMap`.
type FactsKey = std::any::TypeId;

impl Stack {
    /// An empty stack. `name` appears in every diagnostic.
    pub fn new(name: &str) -> Self {
        Stack {
            id: StackId::next(),
            name: name.to_string(),
            environment: None,
            support_date: None,
            blocks: Vec::new(),
            index: AddressIndex::default(),
            origins: Vec::new(),
            builders: Vec::new(),
            variables: BTreeMap::new(),
            locals: BTreeMap::new(),
            outputs: BTreeMap::new(),
            providers: Vec::new(),
            terraform: TerraformSettings::default(),
            default_tags: BTreeMap::new(),
            diagnostics: Diagnostics::new(),
            input_failed: false,
            files: BTreeMap::new(),
            acknowledged: Vec::new(),
            refactors: Refactors::default(),
            facts: BTreeMap::new(),
        }
    }

    /// Sets the environment, which production-only rules read.
    pub fn with_environment(mut self, environment: Environment) -> Self {
        self.environment = Some(environment);
        self
    }

    /// Sets the day the versions of this stack's clusters and databases are
    /// judged on (see [`crate::core::support`]); the app sets it from
    /// `app::support_date` before the platform is realized.
    pub fn with_support_date(mut self, date: Date) -> Self {
        self.support_date = Some(date);
        self
    }

    /// Sets or clears the support date (see [`Stack::with_support_date`]).
    pub fn set_support_date(&mut self, date: Option<Date>) {
        self.support_date = date;
    }

    /// The day support windows are judged on, if set.
    pub fn support_date(&self) -> Option<Date> {
        self.support_date
    }

    /// Gives the stack's builders live cloud facts (such as
    /// `aws::facts::AwsFacts` from the context file `lookup` writes), which
    /// they use instead of their built-in tables; one value per type, a
    /// second replaces the first. Set it before adding the builders that
    /// read it.
    pub fn insert_facts<T: Any + Send + Sync>(&mut self, facts: T) {
        self.facts
            .insert(std::any::TypeId::of::<T>(), Arc::new(facts));
    }

    /// The live facts of type `T`, if [`Stack::insert_facts`] gave some.
    pub fn facts<T: Any>(&self) -> Option<&T> {
        self.facts
            .get(&std::any::TypeId::of::<T>())
            .and_then(|facts| facts.downcast_ref::<T>())
    }

    /// The stack's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The stack's id (addresses carry it).
    pub fn id(&self) -> StackId {
        self.id
    }

    /// The environment, if set.
    pub fn environment(&self) -> Option<Environment> {
        self.environment
    }

    /// Whether the stack is for production.
    pub fn is_production(&self) -> bool {
        self.environment.is_some_and(|e| e.is_production())
    }

    /// Adds a construct (a builder) and returns its handles.
    pub fn add<C: Construct>(&mut self, construct: C) -> C::Output {
        self.builders.push(construct.describe().into());
        let output = construct.build(self);
        self.builders.pop();
        output
    }

    /// Adds a resource of kind `K` named `name`.
    ///
    /// A name already used for that type is an error naming both builders.
    pub fn resource<K: ResourceKind>(&mut self, name: &str, attributes: Attributes) -> Ref<K> {
        let address = Address::resource(self.id, K::TYPE, name);
        self.insert_block(address.clone(), attributes);
        Ref::new(address)
    }

    /// Adds a data source of kind `K` named `name`.
    pub fn data<K: ResourceKind>(&mut self, name: &str, attributes: Attributes) -> Ref<K> {
        let address = Address::data(self.id, K::TYPE, name);
        self.insert_block(address.clone(), attributes);
        Ref::new(address)
    }

    /// Adds a resource of any type the library does not model (escape hatch).
    pub fn raw_resource(
        &mut self,
        resource_type: &str,
        name: &str,
        attributes: Attributes,
    ) -> Ref<RawKind> {
        let address = Address::resource(self.id, resource_type, name);
        self.insert_block(address.clone(), attributes);
        Ref::new(address)
    }

    fn insert_block(&mut self, address: Address, attributes: Attributes) {
        let origin = self.builders.last().cloned();
        if !is_valid_identifier(address.name()) {
            self.error(
                &address.to_string(),
                "name",
                &format!("`{}` is not a valid Terraform name", address.name()),
                "use letters, digits, `_` and `-`, starting with a letter or `_`",
            );
        }
        // One hash and probe both checks uniqueness and inserts.
        let slot = self.blocks.len();
        let taken = match self.index.entry(address.clone()) {
            Entry::Occupied(entry) => *entry.get(),
            Entry::Vacant(entry) => {
                entry.insert(slot);
                slot
            }
        };
        if taken != slot {
            let describe = |origin: &Option<Arc<str>>| {
                origin.as_deref().unwrap_or("Stack::resource").to_string()
            };
            let first = describe(&self.origins[taken]);
            let origin = describe(&origin);
            self.error(
                &address.to_string(),
                "name",
                &format!("`{address}` is defined twice: by {first} and by {origin}"),
                "give one of the two builders a different name",
            );
            return;
        }
        self.origins.push(origin);
        self.blocks.push(Block {
            address,
            attributes: attributes.values,
            depends_on: attributes.depends_on,
            tagging: attributes.tagging.unwrap_or(Tagging::None),
        });
    }

    /// The builder that made the block whose address reads `address`
    /// (`aws_s3_bucket.logs`, `data.aws_caller_identity.current`), as
    /// duplicate-name errors name it (`aws::Bucket "logs"`); `None` for a
    /// block added directly (`Stack::resource`, `raw_resource`) or unknown.
    pub fn block_origin(&self, address: &str) -> Option<&str> {
        let i = self
            .blocks
            .iter()
            .position(|b| b.address.path() == address)?;
        self.origins.get(i)?.as_deref()
    }

    /// The block at `address`, if the stack has it.
    pub fn block(&self, address: &Address) -> Option<&Block> {
        self.index.get(address).map(|&i| &self.blocks[i])
    }

    /// The managed resource of kind `K` named `name` (its Terraform logical
    /// name, the part after the type: `main` in `aws_vpc.main`), as a typed
    /// reference to pass to [`Stack::set_raw`], [`Stack::depends_on`] or a
    /// builder.
    ///
    /// For blocks a builder made but its handle does not return (a route
    /// table association, a firewall rule). The lookup is by `K::TYPE` and
    /// `name`, so asking for the wrong kind finds nothing rather than a
    /// mistyped reference.
    ///
    /// # Errors
    ///
    /// `None` when this stack has no resource of type `K::TYPE` named `name`
    /// (including when it has a data source of that address, see
    /// [`Stack::find_data`]).
    ///
    /// ```
    /// use infrasynth::{Attributes, ResourceKind, Stack};
    /// enum Topic {}
    /// impl ResourceKind for Topic { const TYPE: &'static str = "aws_sns_topic"; }
    /// enum Queue {}
    /// impl ResourceKind for Queue { const TYPE: &'static str = "aws_sqs_queue"; }
    ///
    /// let mut stack = Stack::new("demo");
    /// stack.resource::<Topic>("alerts", Attributes::new());
    /// let topic = stack.find::<Topic>("alerts").expect("added above");
    /// stack.set_raw(&topic, "display_name", "Alerts");
    /// assert!(stack.find::<Queue>("alerts").is_none());
    /// ```
    pub fn find<K: ResourceKind>(&self, name: &str) -> Option<Ref<K>> {
        let address = Address::resource(self.id, K::TYPE, name);
        self.index.contains_key(&address).then(|| Ref::new(address))
    }

    /// The data source of kind `K` named `name` (`current` in
    /// `data.aws_partition.current`), like [`Stack::find`] for resources.
    ///
    /// # Errors
    ///
    /// `None` when this stack has no data source of type `K::TYPE` named
    /// `name`.
    pub fn find_data<K: ResourceKind>(&self, name: &str) -> Option<Ref<K>> {
        let address = Address::data(self.id, K::TYPE, name);
        self.index.contains_key(&address).then(|| Ref::new(address))
    }

    /// Every block, in the order added.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// Adds an explicit `depends_on` from `from` to `to`.
    pub fn depends_on<A, B>(&mut self, from: &Ref<A>, to: &Ref<B>) {
        if let Some(&i) = self.index.get(from.address()) {
            let deps = &mut self.blocks[i].depends_on;
            if !deps.contains(to.address()) {
                deps.push(to.address().clone());
            }
        } else {
            self.unknown_block(from.address(), "depends_on");
        }
    }

    /// Escape hatch: sets any attribute or nested block the builder does not
    /// model, at a dotted path (`"lifecycle.prevent_destroy"`; a number indexes a
    /// list, a one-item block list is looked through).
    ///
    /// Overriding an attribute a built-in policy guards (encryption, public access,
    /// deletion protection) is reported by the policy check at synth time unless
    /// acknowledged with [`Stack::acknowledge`].
    ///
    /// Meta-arguments that take references get them bare from typed values:
    /// `set_raw(&topic, "lifecycle.replace_triggered_by", vec![trigger.id()])`
    /// writes `["aws_sns_topic.trigger.id"]`, and `depends_on` with typed
    /// values adds the blocks they read to the block's `depends_on` (as
    /// [`Stack::depends_on`] does).
    pub fn set_raw<K>(&mut self, target: &Ref<K>, path: &str, value: impl Into<Value>) {
        let Some(&i) = self.index.get(target.address()) else {
            self.unknown_block(target.address(), path);
            return;
        };
        let value = value.into();
        if path == "depends_on" {
            let mut typed = Vec::new();
            value.visit_exprs(&mut |expr| typed.extend(expr.deps().iter().cloned()));
            if !typed.is_empty() {
                let deps = &mut self.blocks[i].depends_on;
                for address in typed {
                    if !deps.contains(&address) {
                        deps.push(address);
                    }
                }
                return;
            }
        }
        let attributes = &mut self.blocks[i].attributes;
        let mut parts = path.split('.');
        let Some(first) = parts.next() else { return };
        let mut slot = attributes.entry(first.to_string()).or_insert(Value::Null);
        for part in parts {
            slot = descend(slot, part);
        }
        *slot = value;
    }

    /// Records that the user knowingly made `target` break the policy `rule`
    /// (for example `"public-access"`), with the reason, so the policy check
    /// reports a warning instead of an error.
    pub fn acknowledge<K>(&mut self, target: &Ref<K>, rule: &str, reason: &str) {
        self.acknowledged.push((
            target.address().clone(),
            rule.to_string(),
            reason.to_string(),
        ));
    }

    /// Whether `rule` was acknowledged for `address`.
    pub fn is_acknowledged(&self, address: &Address, rule: &str) -> bool {
        self.acknowledged
            .iter()
            .any(|(a, r, _)| a == address && r == rule)
    }

    fn unknown_block(&mut self, address: &Address, field: &str) {
        let message = if address.stack() != self.id {
            format!("`{address}` belongs to another stack")
        } else {
            format!("`{address}` is not in this stack")
        };
        self.error(
            &address.to_string(),
            field,
            &message,
            "modify only blocks this stack created",
        );
    }

    /// Declares an input variable.
    pub fn variable(&mut self, name: &str, variable: Variable) {
        self.variables.insert(name.to_string(), variable);
    }

    /// Declares a local value.
    pub fn local(&mut self, name: &str, value: impl Into<Value>) {
        self.locals.insert(name.to_string(), value.into());
    }

    /// Declares an output.
    pub fn output(&mut self, name: &str, value: impl Into<Value>, description: &str) {
        self.outputs.insert(
            name.to_string(),
            Output {
                value: value.into(),
                description: description.to_string(),
                sensitive: false,
            },
        );
    }

    /// Declares a sensitive output (never written into Helm values).
    pub fn sensitive_output(&mut self, name: &str, value: impl Into<Value>, description: &str) {
        self.outputs.insert(
            name.to_string(),
            Output {
                value: value.into(),
                description: description.to_string(),
                sensitive: true,
            },
        );
    }

    /// The outputs declared so far.
    pub fn outputs(&self) -> &BTreeMap<String, Output> {
        &self.outputs
    }

    /// Adds a provider configuration.
    pub fn provider(&mut self, name: &str, attributes: BTreeMap<String, Value>) {
        self.providers.push(ProviderConfig {
            name: name.to_string(),
            attributes,
        });
    }

    /// The provider configurations.
    pub fn providers(&self) -> &[ProviderConfig] {
        &self.providers
    }

    /// Pins a provider in `required_providers`.
    pub fn require_provider(&mut self, name: &str, source: &str, version: &str) {
        self.terraform.required_providers.insert(
            name.to_string(),
            RequiredProvider {
                source: source.to_string(),
                version: version.to_string(),
            },
        );
    }

    /// Sets `required_version`.
    pub fn require_terraform(&mut self, constraint: &str) {
        self.terraform.required_version = Some(constraint.to_string());
    }

    /// Sets the backend block: where Terraform keeps this stack's state.
    ///
    /// Stacks of an `App` get theirs from `StackDefinition::state` (typed
    /// S3, GCS, azurerm or local backends with the key derived from the
    /// stack, cloud and environment); this is for stacks built by hand. The
    /// document's `required_version` is raised to what the backend needs.
    pub fn set_backend(&mut self, backend: Backend) {
        self.terraform.backend = Some(backend);
    }

    /// The backend block, if one was set (none: local state).
    pub fn backend(&self) -> Option<&Backend> {
        self.terraform.backend.as_ref()
    }

    /// The `terraform` block settings.
    pub fn terraform_settings(&self) -> &TerraformSettings {
        &self.terraform
    }

    /// Adds a tag merged into every taggable block (a block's own tag wins).
    pub fn default_tag(&mut self, key: &str, value: &str) {
        self.default_tags.insert(key.to_string(), value.to_string());
    }

    /// The stack-wide default tags.
    pub fn default_tags(&self) -> &BTreeMap<String, String> {
        &self.default_tags
    }

    /// Attaches a file written beside `main.tf.json` (such as Helm values at
    /// `helm/app.values.yaml`).
    pub fn attach_file(&mut self, relative_path: &str, contents: Vec<u8>) {
        self.files.insert(relative_path.to_string(), contents);
    }

    /// Records an error against `resource`'s `field` (dropped after a failed
    /// [`Stack::end_input_check`]: it derives from the input's mistakes).
    pub fn error(&mut self, resource: &str, field: &str, message: &str, hint: &str) {
        self.diagnose(Severity::Error, resource, field, message, hint);
    }

    /// [`Stack::error`] with a value of the user's field that passes
    /// ([`Diagnostic::fix`]): what `hint` suggests, machine-applicable.
    pub fn error_with_fix(
        &mut self,
        resource: &str,
        field: &str,
        message: &str,
        hint: &str,
        fix: &str,
    ) {
        if self.input_failed {
            return;
        }
        let mut diagnostic = self.diagnostic(Severity::Error, resource, field, message, hint);
        diagnostic.fix = Some(fix.to_string());
        self.diagnostics.push(diagnostic);
    }

    /// Records a warning against `resource`'s `field`.
    pub fn warning(&mut self, resource: &str, field: &str, message: &str, hint: &str) {
        self.diagnose(Severity::Warning, resource, field, message, hint);
    }

    /// Ends the check of the user's input (such as a platform description)
    /// that was recorded so far: when it found errors, the errors builders
    /// record afterwards, and graph and policy findings at synth, are
    /// dropped, since they derive from those mistakes (`network.cidr =
    /// "bogus"` is one error, not one per subnet built from it). Warnings are
    /// kept. Returns whether the input had errors.
    pub fn end_input_check(&mut self) -> bool {
        self.input_failed = self.diagnostics.has_errors();
        self.input_failed
    }

    /// Whether [`Stack::end_input_check`] found errors in the input.
    pub fn input_failed(&self) -> bool {
        self.input_failed
    }

    fn diagnose(
        &mut self,
        severity: Severity,
        resource: &str,
        field: &str,
        message: &str,
        hint: &str,
    ) {
        if self.input_failed && severity == Severity::Error {
            return;
        }
        let diagnostic = self.diagnostic(severity, resource, field, message, hint);
        self.diagnostics.push(diagnostic);
    }

    /// A diagnostic naming this stack, for checks that collect findings
    /// outside the stack (graph checks, policies, the Helm wiring check).
    pub fn diagnostic(
        &self,
        severity: Severity,
        resource: &str,
        field: &str,
        message: impl Into<String>,
        hint: &str,
    ) -> Diagnostic {
        Diagnostic {
            severity,
            stack: self.name.clone(),
            resource: resource.to_string(),
            field: field.to_string(),
            message: message.into(),
            hint: hint.to_string(),
            fix: None,
        }
    }

    /// The diagnostics recorded while building.
    pub fn diagnostics(&self) -> &Diagnostics {
        &self.diagnostics
    }
}

/// Block addresses to their position in [`Stack::blocks`].
pub(crate) type AddressIndex = HashMap<Address, usize, BuildHasherDefault<FastHasher>>;

/// A fast non-cryptographic hasher (the multiply-rotate scheme of rustc's
/// `FxHasher`) for the address index, which every block insertion and every
/// reference check consults (an address hashes as one precomputed `u64`).
/// Addresses come from the program being synthesized, not from an adversary,
/// so flooding resistance buys nothing.
#[derive(Default)]
pub(crate) struct FastHasher(u64);

impl FastHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The kind of a block added with [`Stack::raw_resource`].
pub enum RawKind {}

fn descend<'a>(slot: &'a mut Value, part: &str) -> &'a mut Value {
    let index = part.parse::<usize>().ok();
    let through_list = match slot {
        Value::List(items) => index.is_some() || items.len() == 1,
        _ => false,
    };
    if through_list {
        let Value::List(items) = slot else {
            unreachable!("checked above")
        };
        return match index {
            Some(index) => {
                if index >= items.len() {
                    items.resize(index + 1, Value::Null);
                }
                &mut items[index]
            }
            None => descend(&mut items[0], part),
        };
    }
    if !matches!(slot, Value::Map(_)) {
        *slot = Value::map();
    }
    match slot {
        Value::Map(map) => map.entry(part.to_string()).or_insert(Value::Null),
        _ => unreachable!("slot was just made a map"),
    }
}

/// Whether `name` is a valid Terraform identifier.
pub fn is_valid_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    enum Topic {}
    impl ResourceKind for Topic {
        const TYPE: &'static str = "aws_sns_topic";
    }

    struct Alerts;
    impl Construct for Alerts {
        type Output = Ref<Topic>;
        fn describe(&self) -> String {
            "aws::Alerts \"ops\"".to_string()
        }
        fn build(self, stack: &mut Stack) -> Ref<Topic> {
            stack.resource::<Topic>("ops", Attributes::new())
        }
    }

    #[test]
    fn a_duplicate_name_names_both_origins() {
        let mut stack = Stack::new("dup");
        stack.resource::<Topic>("ops", Attributes::new());
        stack.add(Alerts);
        assert!(stack
            .diagnostics()
            .mentions("defined twice: by Stack::resource and by aws::Alerts \"ops\""));
        assert_eq!(stack.blocks().len(), 1);
    }

    enum Queue {}
    impl ResourceKind for Queue {
        const TYPE: &'static str = "aws_sqs_queue";
    }

    #[test]
    fn find_returns_a_typed_ref_only_for_the_right_kind_and_block_kind() {
        let mut stack = Stack::new("find");
        stack.add(Alerts);
        stack.data::<Queue>("lookup", Attributes::new());

        let topic = stack.find::<Topic>("ops").expect("added by Alerts");
        assert_eq!(topic.address().to_string(), "aws_sns_topic.ops");
        stack.set_raw(&topic, "display_name", "Ops");
        assert!(stack
            .block(topic.address())
            .is_some_and(|b| b.attributes.contains_key("display_name")));

        assert!(stack.find::<Queue>("ops").is_none(), "wrong kind");
        assert!(stack.find::<Topic>("missing").is_none(), "wrong name");
        assert!(stack.find::<Queue>("lookup").is_none(), "a data source");
        assert!(stack.find_data::<Queue>("lookup").is_some());
        assert!(stack.find_data::<Topic>("ops").is_none(), "a resource");
        assert!(stack.diagnostics().is_empty(), "{}", stack.diagnostics());
    }

    #[test]
    fn addresses_built_separately_find_the_same_block() {
        let mut stack = Stack::new("lookup");
        stack.resource::<Topic>("ops", Attributes::new());
        let address = Address::resource(stack.id(), "aws_sns_topic", "ops");
        assert!(stack.block(&address).is_some());
        assert_eq!(address.expression_path(), "aws_sns_topic.ops");
    }
}
