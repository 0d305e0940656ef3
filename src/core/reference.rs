//! Typed references between resources.
//!
//! Adding a resource to a [`Stack`](super::stack::Stack) returns a [`Ref<K>`], where `K` is
//! the resource's kind (`aws::kind::Vpc`). Its attributes are [`Attr<T>`] values
//! that render as `${aws_vpc.main.id}`; builders take `Attr<Id<aws::kind::Vpc>>`
//! where they need a VPC id, so passing a subnet id there is a compile error.

use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use super::value::{Expr, TemplatePart, Value};

/// Identifies the stack a block belongs to, so a reference into another stack
/// is caught at synth time instead of failing in `terraform plan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StackId(u32);

impl StackId {
    /// A stack id for unit tests that build addresses by hand.
    pub const TEST: StackId = StackId(0);

    pub(crate) fn next() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(1);
        StackId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// Whether a block is a managed resource or a data source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BlockKind {
    /// `resource "type" "name"`.
    Resource,
    /// `data "type" "name"`.
    Data,
}

/// The address of a block: `aws_vpc.main` or `data.aws_caller_identity.current`.
///
/// Cheap to clone, hash and compare: every reference to a block (each
/// `vpc.id()`) carries its address, so its text lives once behind a shared
/// pointer, as the path expressions and `depends_on` use, with its hash
/// computed once.
#[derive(Clone)]
pub struct Address(Arc<AddressParts>);

struct AddressParts {
    stack: StackId,
    kind: BlockKind,
    /// `path[type_start..type_end]` is the type, `path[type_end + 1..]` the name.
    type_start: usize,
    type_end: usize,
    /// `aws_vpc.main` or `data.aws_caller_identity.current`.
    path: Box<str>,
    /// A hash of `stack` and `path`, which together identify the address.
    hash: u64,
}

impl Address {
    fn new(stack: StackId, kind: BlockKind, resource_type: &str, name: &str) -> Self {
        let prefix = match kind {
            BlockKind::Resource => "",
            BlockKind::Data => "data.",
        };
        let mut path = String::with_capacity(prefix.len() + resource_type.len() + 1 + name.len());
        path.push_str(prefix);
        path.push_str(resource_type);
        path.push('.');
        path.push_str(name);
        let mut hasher = crate::core::stack::FastHasher::default();
        std::hash::Hasher::write_u32(&mut hasher, stack.0);
        std::hash::Hasher::write(&mut hasher, path.as_bytes());
        Address(Arc::new(AddressParts {
            stack,
            kind,
            type_start: prefix.len(),
            type_end: prefix.len() + resource_type.len(),
            path: path.into_boxed_str(),
            hash: std::hash::Hasher::finish(&hasher),
        }))
    }

    /// A managed resource's address.
    pub fn resource(stack: StackId, resource_type: &str, name: &str) -> Self {
        Address::new(stack, BlockKind::Resource, resource_type, name)
    }

    /// A data source's address.
    pub fn data(stack: StackId, resource_type: &str, name: &str) -> Self {
        Address::new(stack, BlockKind::Data, resource_type, name)
    }

    /// The stack this address lives in.
    pub fn stack(&self) -> StackId {
        self.0.stack
    }

    /// Resource or data source.
    pub fn kind(&self) -> BlockKind {
        self.0.kind
    }

    /// The Terraform type, such as `aws_vpc`.
    pub fn resource_type(&self) -> &str {
        &self.0.path[self.0.type_start..self.0.type_end]
    }

    /// The logical name, such as `main`.
    pub fn name(&self) -> &str {
        &self.0.path[self.0.type_end + 1..]
    }

    /// The path used in expressions and `depends_on`.
    pub fn expression_path(&self) -> String {
        self.path().to_string()
    }

    /// [`Address::expression_path`] without allocating.
    pub(crate) fn path(&self) -> &str {
        &self.0.path
    }
}

impl PartialEq for Address {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (&*self.0, &*other.0);
        Arc::ptr_eq(&self.0, &other.0)
            || (a.hash == b.hash
                && a.stack == b.stack
                && a.kind == b.kind
                && a.type_end - a.type_start == b.type_end - b.type_start
                && a.path == b.path)
    }
}

impl Eq for Address {}

impl PartialOrd for Address {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Address {
    /// By stack, kind, type, then name.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.stack(), self.kind(), self.resource_type(), self.name()).cmp(&(
            other.stack(),
            other.kind(),
            other.resource_type(),
            other.name(),
        ))
    }
}

impl std::hash::Hash for Address {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Equal addresses have equal stacks and paths, so equal hashes.
        state.write_u64(self.0.hash);
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.path())
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The shape the derived impl printed before the parts were shared.
        f.debug_struct("Address")
            .field("stack", &self.0.stack)
            .field("kind", &self.0.kind)
            .field("resource_type", &self.resource_type())
            .field("name", &self.name())
            .finish()
    }
}

/// A kind of Terraform resource or data source, named by its Terraform type.
///
/// Each cloud module declares its kinds as uninhabited enums:
///
/// ```
/// use infrasynth::ResourceKind;
/// pub enum Vpc {}
/// impl ResourceKind for Vpc { const TYPE: &'static str = "aws_vpc"; }
/// ```
pub trait ResourceKind {
    /// The Terraform type name.
    const TYPE: &'static str;
}

/// Kinds whose resources have an `arn` attribute.
pub trait HasArn: ResourceKind {}

/// Kinds whose resources have a `name` attribute.
pub trait HasName: ResourceKind {}

/// The marker type of an `id` attribute of a `K` resource.
pub struct Id<K>(PhantomData<fn() -> K>);
/// The marker type of an `arn` attribute of a `K` resource.
pub struct Arn<K>(PhantomData<fn() -> K>);
/// The marker type of a `name` attribute of a `K` resource.
pub struct Name<K>(PhantomData<fn() -> K>);
/// A list-typed attribute of `T` items.
pub struct List<T>(PhantomData<fn() -> T>);

/// A handle to one block in a stack.
pub struct Ref<K> {
    address: Address,
    _kind: PhantomData<fn() -> K>,
}

impl<K> Clone for Ref<K> {
    fn clone(&self) -> Self {
        Ref {
            address: self.address.clone(),
            _kind: PhantomData,
        }
    }
}

impl<K> fmt::Debug for Ref<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ref({})", self.address)
    }
}

impl<K> Ref<K> {
    pub(crate) fn new(address: Address) -> Self {
        Ref {
            address,
            _kind: PhantomData,
        }
    }

    /// The block's address.
    pub fn address(&self) -> &Address {
        &self.address
    }

    /// Any attribute, typed by the caller; typed accessors are preferred.
    pub fn attr<T>(&self, attribute: &str) -> Attr<T> {
        Attr::from_expr(Expr::attribute(&self.address, attribute))
    }

    /// The `id` attribute.
    pub fn id(&self) -> Attr<Id<K>> {
        self.attr("id")
    }
}

impl<K: HasArn> Ref<K> {
    /// The `arn` attribute.
    pub fn arn(&self) -> Attr<Arn<K>> {
        self.attr("arn")
    }
}

impl<K: HasName> Ref<K> {
    /// The `name` attribute.
    pub fn name(&self) -> Attr<Name<K>> {
        self.attr("name")
    }
}

/// A typed attribute value: an expression whose Terraform value has type `T`.
pub struct Attr<T> {
    expr: Expr,
    _type: PhantomData<fn() -> T>,
}

impl<T> Clone for Attr<T> {
    fn clone(&self) -> Self {
        Attr::from_expr(self.expr.clone())
    }
}

impl<T> fmt::Debug for Attr<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Attr({})", self.expr.template())
    }
}

impl<T> Attr<T> {
    /// Wraps an expression the caller vouches is of type `T`.
    pub fn from_expr(expr: Expr) -> Self {
        Attr {
            expr,
            _type: PhantomData,
        }
    }

    /// The expression.
    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    /// Reinterprets the attribute as another type (for attributes whose type a
    /// provider documents differently from the marker, e.g. an ARN used as text).
    pub fn cast<U>(self) -> Attr<U> {
        Attr::from_expr(self.expr)
    }

    /// The attribute as text inside a template: `attr.to_text().suffix("/*")`.
    pub fn to_text(&self) -> Expr {
        self.expr.clone()
    }

    /// `literal` + this attribute, as text.
    pub fn prefixed(&self, literal: &str) -> Attr<String> {
        Attr::from_expr(Expr::concat([
            TemplatePart::from(literal),
            TemplatePart::from(self.expr.clone()),
        ]))
    }

    /// This attribute + `literal`, as text.
    pub fn suffixed(&self, literal: &str) -> Attr<String> {
        Attr::from_expr(self.expr.clone().suffix(literal))
    }
}

impl<T> Attr<List<T>> {
    /// The item at `index` of a list attribute.
    pub fn get(&self, index: usize) -> Attr<T> {
        Attr::from_expr(self.expr.index(index))
    }
}

impl<T> From<Attr<T>> for Value {
    fn from(attr: Attr<T>) -> Self {
        Value::Expr(attr.expr)
    }
}

impl<T> From<&Attr<T>> for Value {
    fn from(attr: &Attr<T>) -> Self {
        Value::Expr(attr.expr.clone())
    }
}

/// A value that is either a literal or a typed attribute: builders take
/// `impl Into<Input<T>>` where a user may pass either (`"10.0.0.0/16"` or a
/// computed CIDR).
#[derive(Clone, Debug)]
pub enum Input<T> {
    /// Known at synth time.
    Literal(Value),
    /// Computed by Terraform.
    Attr(Attr<T>),
}

impl<T> From<Attr<T>> for Input<T> {
    fn from(attr: Attr<T>) -> Self {
        Input::Attr(attr)
    }
}

impl<T> From<&Attr<T>> for Input<T> {
    fn from(attr: &Attr<T>) -> Self {
        Input::Attr(attr.clone())
    }
}

impl From<&str> for Input<String> {
    fn from(text: &str) -> Self {
        Input::Literal(Value::from(text))
    }
}

impl From<String> for Input<String> {
    fn from(text: String) -> Self {
        Input::Literal(Value::from(text))
    }
}

impl From<&String> for Input<String> {
    fn from(text: &String) -> Self {
        Input::Literal(Value::from(text))
    }
}

/// A resource's `name` is text: another resource may be named after it.
impl<K> From<Attr<Name<K>>> for Input<String> {
    fn from(name: Attr<Name<K>>) -> Self {
        Input::Attr(name.cast())
    }
}

impl<K> From<&Attr<Name<K>>> for Input<String> {
    fn from(name: &Attr<Name<K>>) -> Self {
        Input::Attr(name.clone().cast())
    }
}

impl<T> From<&Input<T>> for Value {
    fn from(input: &Input<T>) -> Self {
        match input {
            Input::Literal(value) => value.clone(),
            Input::Attr(attr) => attr.into(),
        }
    }
}

impl Input<String> {
    /// The text when it is known at synth time, so it can be checked against
    /// the cloud's naming rules; `None` for a value Terraform computes.
    pub fn literal(&self) -> Option<&str> {
        match self {
            Input::Literal(value) => value.as_str(),
            Input::Attr(_) => None,
        }
    }

    /// `literal` + this text: still a literal when this one is, otherwise a
    /// template interpolating the same expression.
    pub fn prefixed(&self, literal: &str) -> Input<String> {
        self.join(TemplatePart::from(literal), self.into())
    }

    /// This text + `literal`, as [`Input::prefixed`].
    pub fn suffixed(&self, literal: &str) -> Input<String> {
        self.join(self.into(), TemplatePart::from(literal))
    }

    fn join(&self, first: TemplatePart, second: TemplatePart) -> Input<String> {
        match (&first, &second) {
            (TemplatePart::Literal(a), TemplatePart::Literal(b)) => format!("{a}{b}").into(),
            _ => Input::Attr(Attr::from_expr(Expr::concat([first, second]))),
        }
    }
}

/// Text as one piece of a template ([`Expr::concat`]).
impl From<&Input<String>> for TemplatePart {
    fn from(input: &Input<String>) -> Self {
        match input {
            Input::Literal(Value::String(text)) => TemplatePart::Literal(text.clone()),
            Input::Literal(Value::Expr(expr)) => TemplatePart::Expr(expr.clone()),
            // Only a hand-built `Input::Literal` holds a number or a boolean;
            // Terraform would turn it into its JSON text.
            Input::Literal(other) => {
                TemplatePart::Literal(serde_json::to_string(other).unwrap_or_default())
            }
            Input::Attr(attr) => TemplatePart::Expr(attr.expr().clone()),
        }
    }
}

impl<T> From<Input<T>> for Value {
    fn from(input: Input<T>) -> Self {
        match input {
            Input::Literal(value) => value,
            Input::Attr(attr) => attr.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    enum Bucket {}
    impl ResourceKind for Bucket {
        const TYPE: &'static str = "aws_s3_bucket";
    }
    impl HasArn for Bucket {}

    #[test]
    fn attributes_render_as_interpolations() {
        let r: Ref<Bucket> = Ref::new(Address::resource(StackId::TEST, Bucket::TYPE, "data"));
        assert_eq!(r.id().expr().template(), "${aws_s3_bucket.data.id}");
        assert_eq!(
            r.arn().suffixed("/*").expr().template(),
            "${aws_s3_bucket.data.arn}/*"
        );
        let data = Address::data(StackId::TEST, "aws_caller_identity", "current");
        assert_eq!(data.to_string(), "data.aws_caller_identity.current");
    }

    #[test]
    fn text_inputs_stay_literal_until_a_reference_joins_them() {
        let literal = Input::from("demo-logs");
        assert_eq!(literal.literal(), Some("demo-logs"));
        assert_eq!(
            Value::from(literal.prefixed("alias/")),
            Value::from("alias/demo-logs")
        );
        let r: Ref<Bucket> = Ref::new(Address::resource(StackId::TEST, Bucket::TYPE, "b"));
        let computed = Input::from(r.attr::<String>("bucket"));
        assert_eq!(computed.literal(), None);
        let Value::Expr(expr) = Value::from(computed.suffixed("-logs").prefixed("alias/")) else {
            panic!("a computed name stays an expression")
        };
        assert_eq!(expr.template(), "alias/${aws_s3_bucket.b.bucket}-logs");
        assert_eq!(expr.deps(), [r.address().clone()]);
    }

    #[test]
    fn list_items_index_inside_the_interpolation() {
        let r: Ref<Bucket> = Ref::new(Address::resource(StackId::TEST, Bucket::TYPE, "b"));
        let list: Attr<List<String>> = r.attr("ids");
        assert_eq!(list.get(2).expr().template(), "${aws_s3_bucket.b.ids[2]}");
    }
}
