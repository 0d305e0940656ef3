//! Attribute values of a Terraform document.
//!
//! A [`Value`] is plain data (strings, numbers, lists, maps) or an [`Expr`]: a
//! Terraform template built by the library from typed references. Plain strings are
//! escaped on output (`${` becomes `$${`), so text a user writes is never evaluated
//! by Terraform as an interpolation; only expressions the library built are.

use std::collections::BTreeMap;

use super::reference::Address;

/// A Terraform template the library built, with the resources it reads from.
///
/// `template` is already in Terraform's template syntax (for example
/// `${aws_vpc.main.id}` or `arn:aws:s3:::${aws_s3_bucket.data.bucket}/*`);
/// `deps` lists every address it interpolates, which is what the dependency
/// graph and the dangling-reference check read.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Expr {
    // A boxed `str` rather than a `String`: expressions are the largest
    // `Value` variant, so eight bytes here are eight bytes in every map entry.
    template: Box<str>,
    deps: Deps,
}

/// The addresses an expression reads. Nearly every expression reads exactly
/// one block (`${aws_vpc.main.id}`), so that case is stored inline rather than
/// in a one-item `Vec`.
#[derive(Clone, Default)]
enum Deps {
    #[default]
    None,
    One(Address),
    Many(Vec<Address>),
}

impl Deps {
    fn as_slice(&self) -> &[Address] {
        match self {
            Deps::None => &[],
            Deps::One(address) => std::slice::from_ref(address),
            Deps::Many(addresses) => addresses,
        }
    }

    fn extend<I: IntoIterator<Item = Address>>(&mut self, more: I) {
        for address in more {
            *self = match std::mem::take(self) {
                Deps::None => Deps::One(address),
                Deps::One(first) => Deps::Many(vec![first, address]),
                Deps::Many(mut all) => {
                    all.push(address);
                    Deps::Many(all)
                }
            };
        }
    }
}

impl Deps {
    fn append(&mut self, other: Deps) {
        match other {
            Deps::None => {}
            Deps::One(address) => self.extend([address]),
            Deps::Many(addresses) => self.extend(addresses),
        }
    }
}

impl From<Vec<Address>> for Deps {
    fn from(mut addresses: Vec<Address>) -> Self {
        match addresses.len() {
            0 => Deps::None,
            1 => Deps::One(addresses.pop().expect("one item")),
            _ => Deps::Many(addresses),
        }
    }
}

// Compared, hashed and printed as the list it stands for, as when it was a `Vec`.
impl PartialEq for Deps {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Deps {}

impl PartialOrd for Deps {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Deps {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

impl std::hash::Hash for Deps {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl std::fmt::Debug for Deps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

impl Expr {
    /// An expression reading `attribute` of the block at `address`.
    pub fn attribute(address: &Address, attribute: &str) -> Self {
        let path = address.path();
        let mut template = String::with_capacity(path.len() + attribute.len() + 4);
        template.push_str("${");
        template.push_str(path);
        template.push('.');
        template.push_str(attribute);
        template.push('}');
        Expr {
            template: template.into_boxed_str(),
            deps: Deps::One(address.clone()),
        }
    }

    /// A raw Terraform expression (the text between `${` and `}`), for what no
    /// typed accessor models, such as a function call. Its dependencies are not
    /// tracked: prefer typed references.
    pub fn raw(expression: &str) -> Self {
        Expr {
            template: format!("${{{expression}}}").into_boxed_str(),
            deps: Deps::None,
        }
    }

    /// The template with literal text appended (escaped).
    pub fn suffix(mut self, literal: &str) -> Self {
        let mut template = std::mem::take(&mut self.template).into_string();
        template.push_str(&escape_template(literal));
        self.template = template.into_boxed_str();
        self
    }

    /// The template with literal text prepended (escaped).
    pub fn prefix(mut self, literal: &str) -> Self {
        self.template = format!("{}{}", escape_template(literal), self.template).into_boxed_str();
        self
    }

    /// The interpolated text inside `${...}` when the expression is exactly one
    /// interpolation, used to wrap it in a function call.
    fn inner(&self) -> Option<&str> {
        let inner = self.template.strip_prefix("${")?.strip_suffix('}')?;
        (!inner.contains("${")).then_some(inner)
    }

    /// Wraps a single-interpolation expression in a Terraform function call, such
    /// as `element(..., 0)`: `self.call("element", ", 0")`.
    pub fn call(&self, function: &str, trailing_args: &str) -> Self {
        self.call_with(function, "", trailing_args)
    }

    /// [`Expr::call`] with arguments before the expression as well, for
    /// functions that take it later, such as `join`, whose separator comes
    /// first: `leading_args` is the text between `(` and the expression.
    pub fn call_with(&self, function: &str, leading_args: &str, trailing_args: &str) -> Self {
        let inner = self.inner().unwrap_or(&self.template);
        Expr {
            template: format!("${{{function}({leading_args}{inner}{trailing_args})}}")
                .into_boxed_str(),
            deps: self.deps.clone(),
        }
    }

    /// Indexes a list-valued single-interpolation expression: `${x.ids[0]}`.
    pub fn index(&self, index: usize) -> Self {
        let inner = self.inner().unwrap_or(&self.template);
        Expr {
            template: format!("${{{inner}[{index}]}}").into_boxed_str(),
            deps: self.deps.clone(),
        }
    }

    /// Concatenates expressions and literal parts into one template.
    pub fn concat(parts: impl IntoIterator<Item = TemplatePart>) -> Self {
        let mut template = String::new();
        let mut deps = Deps::None;
        for part in parts {
            match part {
                TemplatePart::Literal(text) => template.push_str(&escape_template(&text)),
                TemplatePart::Expr(expr) => {
                    template.push_str(&expr.template);
                    deps.append(expr.deps);
                }
            }
        }
        Expr {
            template: template.into_boxed_str(),
            deps,
        }
    }

    /// The rendered template text.
    pub fn template(&self) -> &str {
        &self.template
    }

    /// The addresses this expression reads.
    pub fn deps(&self) -> &[Address] {
        self.deps.as_slice()
    }

    /// The reference inside an expression that is exactly one interpolation
    /// of a plain traversal (`${aws_sns_topic.trigger.id}` gives
    /// `aws_sns_topic.trigger.id`): what Terraform's meta-arguments
    /// (`depends_on`, `lifecycle.replace_triggered_by`, `ignore_changes`,
    /// `provider`) take in JSON syntax, where a `${...}` template is refused
    /// (Terraform 1.11 docs, "JSON Configuration Syntax", meta-arguments).
    pub fn bare_reference(&self) -> Option<&str> {
        let inner = self.template.strip_prefix("${")?.strip_suffix('}')?;
        let plain = !inner.is_empty()
            && inner.chars().all(|c| {
                c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '[' | ']' | '*')
            });
        plain.then_some(inner)
    }
}

/// One piece of a template built with [`Expr::concat`].
#[derive(Clone, Debug)]
pub enum TemplatePart {
    /// Text taken literally.
    Literal(String),
    /// An interpolated expression.
    Expr(Expr),
}

impl From<&str> for TemplatePart {
    fn from(text: &str) -> Self {
        TemplatePart::Literal(text.to_string())
    }
}

impl From<Expr> for TemplatePart {
    fn from(expr: Expr) -> Self {
        TemplatePart::Expr(expr)
    }
}

/// Escapes Terraform template sequences so literal text stays literal.
pub fn escape_template(text: &str) -> String {
    if !text.contains("${") && !text.contains("%{") {
        return text.to_string();
    }
    text.replace("${", "$${").replace("%{", "%%{")
}

/// A value of an attribute, variable default, local or output.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Value {
    /// JSON `null`: Terraform's "not set".
    #[default]
    Null,
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(serde_json::Number),
    /// Literal text; escaped on output.
    String(String),
    /// A list (or Terraform block list).
    List(Vec<Value>),
    /// A map or nested block, keys sorted.
    Map(BTreeMap<String, Value>),
    /// A template built from references.
    Expr(Expr),
}

impl Value {
    /// An empty map, the start of a nested block.
    pub fn map() -> Self {
        Value::Map(BTreeMap::new())
    }

    /// Sets `key` on a map value and returns it, for building nested blocks.
    /// On a non-map value this replaces it with a map holding `key`.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.insert(key, value);
        self
    }

    /// Sets `key` on a map value (turning a non-map into a map).
    pub fn insert(&mut self, key: &str, value: impl Into<Value>) {
        if !matches!(self, Value::Map(_)) {
            *self = Value::map();
        }
        if let Value::Map(map) = self {
            map.insert(key.to_string(), value.into());
        }
    }

    /// The map entries, if this is a map.
    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(map) => Some(map),
            _ => None,
        }
    }

    /// Mutable map entries, if this is a map.
    pub fn as_map_mut(&mut self) -> Option<&mut BTreeMap<String, Value>> {
        match self {
            Value::Map(map) => Some(map),
            _ => None,
        }
    }

    /// The list items, if this is a list.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    /// The literal text, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number as i64, if this is an integer.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    /// Follows a dotted path of map keys (`"encryption.enabled"`).
    pub fn get_path(&self, path: &str) -> Option<&Value> {
        path.split('.')
            .try_fold(self, |value, key| value.as_map()?.get(key))
    }

    /// Calls `visit` for every expression inside this value.
    pub fn visit_exprs<'a>(&'a self, visit: &mut impl FnMut(&'a Expr)) {
        match self {
            Value::Expr(expr) => visit(expr),
            Value::List(items) => items.iter().for_each(|v| v.visit_exprs(visit)),
            Value::Map(map) => map.values().for_each(|v| v.visit_exprs(visit)),
            _ => {}
        }
    }

    /// Renders the value as a JSON string (for embedded JSON documents such as
    /// IAM policies); expressions inside stay interpolations of the outer template.
    pub fn to_json_template(&self) -> Value {
        let mut deps = Vec::new();
        let mut out = String::new();
        self.write_json_template(&mut out, &mut deps);
        // The text is already escaped template syntax, so it stays an Expr even
        // without interpolations (a String would be escaped a second time).
        Value::Expr(Expr {
            template: out.into_boxed_str(),
            deps: deps.into(),
        })
    }

    fn write_json_template(&self, out: &mut String, deps: &mut Vec<Address>) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => out.push_str(&n.to_string()),
            Value::String(s) => {
                let quoted = serde_json::to_string(s).unwrap_or_default();
                // Only when interpolations exist does the text become a template;
                // escape now so literal `${` inside stays literal in that case.
                out.push_str(&escape_template(&quoted));
            }
            Value::Expr(expr) => {
                out.push('"');
                push_json_escaped_template(out, &expr.template);
                out.push('"');
                deps.extend(expr.deps.as_slice().iter().cloned());
            }
            Value::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_json_template(out, deps);
                }
                out.push(']');
            }
            Value::Map(map) => {
                out.push('{');
                for (i, (key, item)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    // Keys are templates too once the text is read.
                    out.push_str(&escape_template(
                        &serde_json::to_string(key).unwrap_or_default(),
                    ));
                    out.push(':');
                    item.write_json_template(out, deps);
                }
                out.push('}');
            }
        }
    }
}

impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Number(n) => n.serialize(serializer),
            Value::String(s) => {
                if s.contains("${") || s.contains("%{") {
                    serializer.serialize_str(&escape_template(s))
                } else {
                    serializer.serialize_str(s)
                }
            }
            Value::Expr(expr) => serializer.serialize_str(&expr.template),
            Value::List(items) => items.serialize(serializer),
            Value::Map(map) => {
                // Terraform reads the keys of an object as templates too.
                use serde::ser::SerializeMap;
                let mut out = serializer.serialize_map(Some(map.len()))?;
                for (key, item) in map {
                    if key.contains("${") || key.contains("%{") {
                        out.serialize_entry(&escape_template(key), item)?;
                    } else {
                        out.serialize_entry(key, item)?;
                    }
                }
                out.end()
            }
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<&String> for Value {
    fn from(s: &String) -> Self {
        Value::String(s.clone())
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

macro_rules! number_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(n: $t) -> Self {
                Value::Number(serde_json::Number::from(n))
            }
        }
    )*};
}
number_from!(i32, i64, u8, u16, u32, u64, usize);

impl From<f64> for Value {
    fn from(n: f64) -> Self {
        serde_json::Number::from_f64(n)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

impl From<Expr> for Value {
    fn from(expr: Expr) -> Self {
        Value::Expr(expr)
    }
}

impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(items: Vec<T>) -> Self {
        Value::List(items.into_iter().map(Into::into).collect())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(item: Option<T>) -> Self {
        item.map(Into::into).unwrap_or(Value::Null)
    }
}

impl<V: Into<Value>> From<BTreeMap<String, V>> for Value {
    fn from(map: BTreeMap<String, V>) -> Self {
        Value::Map(map.into_iter().map(|(k, v)| (k, v.into())).collect())
    }
}

impl From<serde_json::Value> for Value {
    /// Literal JSON (strings are escaped, never interpolated).
    fn from(json: serde_json::Value) -> Self {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => Value::Number(n),
            serde_json::Value::String(s) => Value::String(s),
            serde_json::Value::Array(items) => {
                Value::List(items.into_iter().map(Value::from).collect())
            }
            serde_json::Value::Object(map) => {
                Value::Map(map.into_iter().map(|(k, v)| (k, Value::from(v))).collect())
            }
        }
    }
}

/// Writes a template into JSON text: literal parts are JSON-escaped, while the
/// HCL inside each `${...}` is copied as is, because Terraform evaluates it
/// before the JSON text is ever read (quotes there are HCL string quotes).
fn push_json_escaped_template(out: &mut String, template: &str) {
    let mut chars = template.chars().peekable();
    let mut depth = 0usize;
    let mut in_hcl_string = false;
    while let Some(c) = chars.next() {
        if depth == 0 {
            if c == '$' && chars.peek() == Some(&'$') {
                // An escaped `$${` stays literal text.
                out.push_str("$$");
                chars.next();
            } else if c == '$' && chars.peek() == Some(&'{') {
                out.push_str("${");
                chars.next();
                depth = 1;
            } else {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    other => out.push(other),
                }
            }
            continue;
        }
        out.push(c);
        match c {
            '"' => in_hcl_string = !in_hcl_string,
            '{' if !in_hcl_string => depth += 1,
            '}' if !in_hcl_string => depth -= 1,
            _ => {}
        }
    }
}

/// Builds a [`Value::Map`] from `key => value` pairs.
///
/// ```
/// use infrasynth::{map, Value};
/// let block = map! { "enabled" => true, "days" => 7 };
/// assert_eq!(block.get_path("days").and_then(Value::as_i64), Some(7));
/// ```
#[macro_export]
macro_rules! map {
    () => { $crate::Value::map() };
    ($($key:expr => $value:expr),+ $(,)?) => {{
        let mut m = ::std::collections::BTreeMap::<String, $crate::Value>::new();
        $( m.insert(($key).to_string(), $crate::Value::from($value)); )+
        $crate::Value::Map(m)
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_strings_are_escaped() {
        let v = Value::from("price: ${var} %{if}");
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#""price: $${var} %%{if}""#
        );
    }

    #[test]
    fn json_template_leaves_hcl_inside_interpolations_unescaped() {
        let addr = Address::resource(super::super::reference::StackId::TEST, "aws_kms_key", "k");
        let call = Expr::attribute(&addr, "arn").call("replace", ", \"a\", \"b\"");
        let doc = map! { "Principal" => call, "Quote" => "say \"hi\"" };
        let Value::Expr(e) = doc.to_json_template() else {
            panic!("expected an expression")
        };
        assert_eq!(
            e.template(),
            r#"{"Principal":"${replace(aws_kms_key.k.arn, "a", "b")}","Quote":"say \"hi\""}"#
        );
    }

    #[test]
    fn json_template_keeps_interpolations() {
        let addr = Address::resource(super::super::reference::StackId::TEST, "aws_s3_bucket", "b");
        let arn = Expr::attribute(&addr, "arn").suffix("/*");
        let doc = map! { "Resource" => arn, "Literal" => "${aws:username}" };
        let Value::Expr(e) = doc.to_json_template() else {
            panic!("expected an expression")
        };
        assert_eq!(
            e.template(),
            r#"{"Literal":"$${aws:username}","Resource":"${aws_s3_bucket.b.arn}/*"}"#
        );
        assert_eq!(e.deps().len(), 1);
    }
}
