//! The Terraform document in HCL native syntax (`main.tf`), converted from
//! the JSON document synth renders, with the `hcl-rs` crate (feature `hcl`).
//!
//! Terraform's JSON syntax differs from HCL in three ways this conversion
//! undoes (Terraform 1.11 docs, "JSON Configuration Syntax"):
//!
//! - **strings are templates**: `"${aws_vpc.main.id}"` becomes the expression
//!   `aws_vpc.main.id`; a string mixing text and interpolations stays a
//!   quoted template, its text escaped for HCL and its `$${` / `%%{` escapes
//!   kept (they mean the same in both syntaxes); strings Terraform reads
//!   literally (variable defaults and descriptions, the `terraform` block,
//!   output descriptions) become plain strings, `${` escaped;
//! - **blocks and attributes look alike**: an object under a nested block's
//!   name becomes a block, one per item of a list; which names are blocks comes
//!   from the bundled provider schema of the block's own provider
//!   ([`crate::schema::bundled`]). A provider without one is written with
//!   every object as an attribute, except `lifecycle` (and, in a provider
//!   configuration, `features`, azurerm's one required block, and what it
//!   holds);
//! - **meta-arguments take bare references**: `depends_on`, `provider`,
//!   `lifecycle.ignore_changes` / `replace_triggered_by`, and `from` / `to`
//!   of `moved`, `import` and `removed`, and a variable's `type`.
//!
//! Equivalence is checked by `tests/hcl.rs`: the HCL parsed back (hcl-rs)
//! equals the JSON document, key for key, with each bare expression compared
//! as its interpolation; and `terraform validate` passes on AWS.

use std::fmt;

use hcl::expr::{Expression, Object, ObjectKey, TemplateExpr};
use hcl::{Block, Body, Identifier};
use serde_json::Value as Json;

use crate::schema::{block_provider, bundled, BlockSchema, SchemaSource};

/// The HCL document's file name.
pub const HCL_FILE: &str = "main.tf";

/// A JSON document that cannot be written as HCL: not JSON, or a name or
/// expression HCL cannot hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HclError(pub String);

impl fmt::Display for HclError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot write the document as HCL: {}", self.0)
    }
}

impl std::error::Error for HclError {}

/// `main.tf.json`'s text as HCL native syntax.
///
/// ```
/// let json = r#"{"resource": {"aws_subnet": {"a": {
///     "vpc_id": "${aws_vpc.main.id}", "cidr_block": "10.0.0.0/24",
///     "tags": {"Name": "subnet ${var.env}"}, "depends_on": ["aws_vpc.main"]
/// }}}}"#;
/// let hcl = infrasynth::app::to_hcl(json).unwrap();
/// assert!(hcl.contains("vpc_id = aws_vpc.main.id"));
/// assert!(hcl.contains("\"Name\" = \"subnet ${var.env}\""));
/// let flat = hcl.split_whitespace().collect::<Vec<_>>().join(" ");
/// assert!(flat.contains("depends_on = [ aws_vpc.main ]"));
/// ```
///
/// # Errors
///
/// [`HclError`] when the text is not JSON, a top-level section has an
/// unexpected shape, or a name is not a valid HCL identifier.
pub fn to_hcl(main_tf_json: &str) -> Result<String, HclError> {
    let document: Json =
        serde_json::from_str(main_tf_json).map_err(|e| HclError(format!("not JSON: {e}")))?;
    let body = document_body(&document)?;
    hcl::format::to_string(&body).map_err(|e| HclError(e.to_string()))
}

/// The whole document, section by section in the JSON document's order.
fn document_body(document: &Json) -> Result<Body, HclError> {
    let mut body = Body::builder();
    let Some(sections) = document.as_object() else {
        return Err(HclError("the document is not an object".into()));
    };
    for (section, content) in sections {
        match section.as_str() {
            "resource" | "data" => {
                for (block_type, blocks) in entries(content, section)? {
                    for (name, block) in entries(blocks, block_type)? {
                        let provider = block_provider(
                            block_type,
                            block.get("provider").and_then(Json::as_str),
                        );
                        let schema = bundled(provider).and_then(|s| {
                            if section == "resource" {
                                s.resource(block_type)
                            } else {
                                s.data_source(block_type)
                            }
                        });
                        let mut labeled = Block::builder(ident(section)?)
                            .add_label(block_type.as_str())
                            .add_label(name.as_str());
                        labeled = labeled.add_structures(resource_body(block, schema)?);
                        body = body.add_block(labeled.build());
                    }
                }
            }
            "provider" => {
                for (name, configs) in entries(content, section)? {
                    let configs: Vec<&Json> = match configs {
                        Json::Array(items) => items.iter().collect(),
                        other => vec![other],
                    };
                    let schema = bundled(name).and_then(|s| s.provider_config());
                    for config in configs {
                        let block = Block::builder("provider")
                            .add_label(name.as_str())
                            .add_structures(provider_body(config, schema)?)
                            .build();
                        body = body.add_block(block);
                    }
                }
            }
            "variable" => {
                for (name, variable) in entries(content, section)? {
                    let mut block = Block::builder("variable").add_label(name.as_str());
                    for (key, value) in entries(variable, name)? {
                        let expression = match key.as_str() {
                            "type" => bare(value)?,
                            _ => literal(value),
                        };
                        block = block.add_attribute((ident(key)?, expression));
                    }
                    body = body.add_block(block.build());
                }
            }
            "output" => {
                for (name, output) in entries(content, section)? {
                    let mut block = Block::builder("output").add_label(name.as_str());
                    for (key, value) in entries(output, name)? {
                        let expression = match key.as_str() {
                            "value" => template(value)?,
                            "depends_on" => bare(value)?,
                            _ => literal(value),
                        };
                        block = block.add_attribute((ident(key)?, expression));
                    }
                    body = body.add_block(block.build());
                }
            }
            "locals" => {
                let mut block = Block::builder("locals");
                for (name, value) in entries(content, section)? {
                    block = block.add_attribute((ident(name)?, template(value)?));
                }
                body = body.add_block(block.build());
            }
            "terraform" => body = body.add_block(terraform_block(content)?),
            "moved" | "import" | "removed" => {
                let items: Vec<&Json> = match content {
                    Json::Array(items) => items.iter().collect(),
                    other => vec![other],
                };
                for item in items {
                    body = body.add_block(refactor_block(section, item)?);
                }
            }
            other => return Err(HclError(format!("unexpected top-level section `{other}`"))),
        }
    }
    Ok(body.build())
}

/// The entries of an object, or an error naming where it should have been.
fn entries<'a>(
    value: &'a Json,
    at: &str,
) -> Result<impl Iterator<Item = (&'a String, &'a Json)>, HclError> {
    value
        .as_object()
        .map(|o| o.iter())
        .ok_or_else(|| HclError(format!("`{at}` is not an object")))
}

fn ident(name: &str) -> Result<Identifier, HclError> {
    Identifier::new(name).map_err(|_| HclError(format!("`{name}` is not an HCL identifier")))
}

/// A resource or data block's body: meta-arguments, then attributes and
/// blocks by the schema.
fn resource_body(
    block: &Json,
    schema: Option<&BlockSchema>,
) -> Result<Vec<hcl::Structure>, HclError> {
    let mut structures = Vec::new();
    for (key, value) in entries(block, "block")? {
        if schema.is_some_and(|s| s.attributes.contains_key(key)) {
            structures.push(attribute(key, template(value)?)?);
            continue;
        }
        match key.as_str() {
            "depends_on" | "provider" => structures.push(attribute(key, bare(value)?)?),
            "count" | "for_each" => structures.push(attribute(key, template(value)?)?),
            "lifecycle" => {
                for item in items(value) {
                    structures.push(lifecycle_block(item)?.into());
                }
            }
            _ => structures.extend(field(key, value, schema)?),
        }
    }
    Ok(structures)
}

/// One field of a body with a schema (or none): a nested block per item, or
/// an attribute.
fn field(
    key: &str,
    value: &Json,
    schema: Option<&BlockSchema>,
) -> Result<Vec<hcl::Structure>, HclError> {
    match schema.and_then(|s| s.blocks.get(key)) {
        Some(nested) => items(value)
            .map(|item| {
                Ok(Block::builder(ident(key)?)
                    .add_structures(body_of(item, Some(&nested.block))?)
                    .build()
                    .into())
            })
            .collect(),
        None => Ok(vec![attribute(key, template(value)?)?]),
    }
}

/// A nested block's body.
fn body_of(value: &Json, schema: Option<&BlockSchema>) -> Result<Vec<hcl::Structure>, HclError> {
    let mut structures = Vec::new();
    for (key, value) in entries(value, "nested block")? {
        structures.extend(field(key, value, schema)?);
    }
    Ok(structures)
}

/// A provider configuration: by its schema (aws), or, without one, every
/// object an attribute except `features` (azurerm's required block), whose
/// objects are blocks in turn.
fn provider_body(
    config: &Json,
    schema: Option<&BlockSchema>,
) -> Result<Vec<hcl::Structure>, HclError> {
    if schema.is_some() {
        return body_of(config, schema);
    }
    let mut structures = Vec::new();
    for (key, value) in entries(config, "provider")? {
        if key == "features" {
            for item in items(value) {
                structures.push(schemaless_block(key, item)?.into());
            }
        } else {
            structures.push(attribute(key, template(value)?)?);
        }
    }
    Ok(structures)
}

/// A block without a schema whose objects are all blocks (`features`).
fn schemaless_block(key: &str, value: &Json) -> Result<Block, HclError> {
    let mut block = Block::builder(ident(key)?);
    for (key, value) in entries(value, key)? {
        if value.is_object() {
            block = block.add_block(schemaless_block(key, value)?);
        } else {
            block = block.add_attribute((ident(key)?, template(value)?));
        }
    }
    Ok(block.build())
}

/// `lifecycle`: references in `ignore_changes` and `replace_triggered_by`,
/// condition blocks, flags.
fn lifecycle_block(value: &Json) -> Result<Block, HclError> {
    let mut block = Block::builder("lifecycle");
    for (key, value) in entries(value, "lifecycle")? {
        match key.as_str() {
            "ignore_changes" | "replace_triggered_by" => {
                block = block.add_attribute((ident(key)?, bare(value)?));
            }
            "precondition" | "postcondition" => {
                for item in items(value) {
                    let mut condition = Block::builder(ident(key)?);
                    for (k, v) in entries(item, key)? {
                        condition = condition.add_attribute((ident(k)?, template(v)?));
                    }
                    block = block.add_block(condition.build());
                }
            }
            _ => block = block.add_attribute((ident(key)?, template(value)?)),
        }
    }
    Ok(block.build())
}

/// The `terraform` block: a labeled `backend`, `required_providers` as
/// object attributes, everything literal.
fn terraform_block(value: &Json) -> Result<Block, HclError> {
    let mut block = Block::builder("terraform");
    for (key, value) in entries(value, "terraform")? {
        match key.as_str() {
            "backend" => {
                for (backend_type, settings) in entries(value, key)? {
                    let mut backend = Block::builder("backend").add_label(backend_type.as_str());
                    for (k, v) in entries(settings, backend_type)? {
                        backend = backend.add_attribute((ident(k)?, literal(v)));
                    }
                    block = block.add_block(backend.build());
                }
            }
            "required_providers" => {
                let mut providers = Block::builder("required_providers");
                for (name, requirement) in entries(value, key)? {
                    providers = providers.add_attribute((ident(name)?, literal(requirement)));
                }
                block = block.add_block(providers.build());
            }
            _ => block = block.add_attribute((ident(key)?, literal(value))),
        }
    }
    Ok(block.build())
}

/// `moved`, `import` and `removed`: addresses as bare references.
fn refactor_block(kind: &str, value: &Json) -> Result<Block, HclError> {
    let mut block = Block::builder(ident(kind)?);
    for (key, value) in entries(value, kind)? {
        match key.as_str() {
            "from" | "to" => block = block.add_attribute((ident(key)?, bare(value)?)),
            "lifecycle" => {
                let mut lifecycle = Block::builder("lifecycle");
                for (k, v) in entries(value, key)? {
                    lifecycle = lifecycle.add_attribute((ident(k)?, literal(v)));
                }
                block = block.add_block(lifecycle.build());
            }
            _ => block = block.add_attribute((ident(key)?, template(value)?)),
        }
    }
    Ok(block.build())
}

fn attribute(key: &str, expression: Expression) -> Result<hcl::Structure, HclError> {
    Ok(hcl::Attribute::new(ident(key)?, expression).into())
}

/// The items of a block value: each of a list, or the one object.
fn items(value: &Json) -> impl Iterator<Item = &Json> {
    match value {
        Json::Array(items) => items.iter().collect::<Vec<_>>().into_iter(),
        Json::Null => Vec::new().into_iter(),
        other => vec![other].into_iter(),
    }
}

/// A value whose strings are templates (resource arguments, outputs,
/// locals).
fn template(value: &Json) -> Result<Expression, HclError> {
    Ok(match value {
        Json::String(text) => string_template(text)?,
        Json::Array(items) => {
            Expression::Array(items.iter().map(template).collect::<Result<_, _>>()?)
        }
        Json::Object(map) => {
            let mut object = Object::new();
            for (key, value) in map {
                object.insert(object_key(key), template(value)?);
            }
            Expression::Object(object)
        }
        other => literal(other),
    })
}

/// A value Terraform reads literally: strings stay text (`${` escaped).
fn literal(value: &Json) -> Expression {
    match value {
        Json::Null => Expression::Null,
        Json::Bool(b) => Expression::Bool(*b),
        Json::Number(n) => Expression::Number(number(n)),
        Json::String(text) => Expression::String(text.clone()),
        Json::Array(items) => Expression::Array(items.iter().map(literal).collect()),
        Json::Object(map) => {
            let mut object = Object::new();
            for (key, value) in map {
                object.insert(object_key(key), literal(value));
            }
            Expression::Object(object)
        }
    }
}

/// A value of bare references or expressions: each string is parsed as an
/// expression (`"aws_vpc.main"` becomes `aws_vpc.main`; a `${...}` wrapper
/// is taken off first).
fn bare(value: &Json) -> Result<Expression, HclError> {
    match value {
        Json::String(text) => {
            let inner = single_interpolation(text).unwrap_or(text);
            parse_expression(inner)
                .ok_or_else(|| HclError(format!("`{text}` is not an HCL expression")))
        }
        Json::Array(items) => Ok(Expression::Array(
            items.iter().map(bare).collect::<Result<_, _>>()?,
        )),
        other => Ok(literal(other)),
    }
}

/// Object keys are always quoted: they read the same as bare ones and never
/// collide with a variable of that name.
fn object_key(key: &str) -> ObjectKey {
    ObjectKey::Expression(Expression::String(key.to_string()))
}

fn number(n: &serde_json::Number) -> hcl::Number {
    if let Some(i) = n.as_i64() {
        hcl::Number::from(i)
    } else if let Some(u) = n.as_u64() {
        hcl::Number::from(u)
    } else {
        n.as_f64()
            .and_then(hcl::Number::from_f64)
            .unwrap_or_else(|| hcl::Number::from(0))
    }
}

/// One JSON template string as an HCL expression: a lone interpolation
/// becomes its expression, anything else a quoted template.
fn string_template(text: &str) -> Result<Expression, HclError> {
    if let Some(inner) = single_interpolation(text) {
        if let Some(expression) = parse_expression(inner) {
            return Ok(expression);
        }
    }
    Ok(Expression::TemplateExpr(Box::new(
        TemplateExpr::QuotedString(quoted_template(text)),
    )))
}

/// Parses HCL expression text with hcl-rs (`x = <text>`).
fn parse_expression(text: &str) -> Option<Expression> {
    let body = hcl::parse(&format!("x = {}\n", text.trim())).ok()?;
    body.into_attributes().next().map(|a| a.expr)
}

/// The inner text of a string that is exactly one `${ ... }` interpolation
/// (no strip markers, nothing around it).
fn single_interpolation(text: &str) -> Option<&str> {
    let segments = segments(text);
    match segments.as_slice() {
        [Segment::Interpolation(whole)] if whole.starts_with("${") => {
            let inner = &whole[2..whole.len() - 1];
            (!inner.starts_with('~') && !inner.ends_with('~')).then_some(inner)
        }
        _ => None,
    }
}

/// A template's parts: literal text and `${...}` / `%{...}` sequences.
#[derive(Debug, PartialEq)]
enum Segment<'a> {
    Literal(&'a str),
    Interpolation(&'a str),
}

/// Splits a template into literal text and template sequences, which keep
/// their delimiters. `$${` and `%%{` are escapes (literal text). Inside a
/// sequence, braces are counted and quoted strings (with their own escapes
/// and nested sequences) skipped, as HCL's scanner does.
fn segments(text: &str) -> Vec<Segment<'_>> {
    let bytes = text.as_bytes();
    let mut segments = Vec::new();
    let mut literal_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let opens = (bytes[i] == b'$' || bytes[i] == b'%') && bytes.get(i + 1) == Some(&b'{');
        let escaped = (bytes[i] == b'$' || bytes[i] == b'%')
            && bytes.get(i + 1) == Some(&bytes[i])
            && bytes.get(i + 2) == Some(&b'{');
        if escaped {
            i += 3;
            continue;
        }
        if !opens {
            i += 1;
            continue;
        }
        let Some(end) = sequence_end(bytes, i + 2) else {
            // Unterminated: Terraform would reject it; keep it as text.
            break;
        };
        if literal_start < i {
            segments.push(Segment::Literal(&text[literal_start..i]));
        }
        segments.push(Segment::Interpolation(&text[i..end]));
        literal_start = end;
        i = end;
    }
    if literal_start < text.len() {
        segments.push(Segment::Literal(&text[literal_start..]));
    }
    segments
}

/// The index just past the `}` closing a sequence whose body starts at
/// `start`.
fn sequence_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut depth = 1usize;
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            b'"' => i = string_end(bytes, i + 1)?,
            _ => {}
        }
        i += 1;
    }
    None
}

/// The index of the `"` closing a quoted string inside a sequence.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'"' => return Some(i),
            b'$' | b'%' if bytes.get(i + 1) == Some(&b'{') => {
                i = sequence_end(bytes, i + 2)? - 1;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// A JSON template string written as the inside of an HCL quoted template:
/// literal text escaped (quotes, backslashes, control characters), template
/// sequences kept as they are (their expressions are HCL already).
fn quoted_template(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for segment in segments(text) {
        match segment {
            Segment::Interpolation(sequence) => out.push_str(sequence),
            Segment::Literal(literal) => {
                for c in literal.chars() {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        '\t' => out.push_str("\\t"),
                        c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
                        c => out.push(c),
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_split_into_text_and_sequences() {
        assert_eq!(
            segments(r#"a-${var.x}-$${lit}-${f("}")}"#),
            vec![
                Segment::Literal("a-"),
                Segment::Interpolation("${var.x}"),
                Segment::Literal("-$${lit}-"),
                Segment::Interpolation("${f(\"}\")}"),
            ]
        );
        assert_eq!(
            single_interpolation("${aws_vpc.main.id}"),
            Some("aws_vpc.main.id")
        );
        assert_eq!(single_interpolation("x${a}"), None);
        assert_eq!(single_interpolation("$${a}"), None);
    }

    #[test]
    fn literal_text_is_escaped_and_sequences_kept() {
        assert_eq!(
            quoted_template("say \"hi\"\n${upper(\"x\")} $${keep}"),
            "say \\\"hi\\\"\\n${upper(\"x\")} $${keep}"
        );
    }

    #[test]
    fn blocks_follow_the_schema_and_meta_arguments_are_bare() {
        let json = r#"{"resource": {"aws_s3_bucket_versioning": {"v": {
            "bucket": "${aws_s3_bucket.b.id}",
            "versioning_configuration": [{"status": "Enabled"}],
            "provider": "aws.west",
            "lifecycle": {"ignore_changes": ["tags"], "prevent_destroy": true}
        }}}}"#;
        let hcl = to_hcl(json).expect("converts");
        let flat: String = hcl.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains("ignore_changes = [ tags ]"), "{hcl}");
        assert!(hcl.contains("versioning_configuration {"), "{hcl}");
        assert!(hcl.contains("bucket = aws_s3_bucket.b.id"), "{hcl}");
        assert!(hcl.contains("provider = aws.west"), "{hcl}");
        assert!(hcl.contains("prevent_destroy = true"), "{hcl}");
    }

    #[test]
    fn literal_sections_keep_text_literal() {
        let json = r#"{"variable": {"v": {"type": "list(string)", "default": ["${x}"]}},
            "terraform": {"required_version": ">= 1.6", "backend": {"s3": {"key": "a"}}}}"#;
        let hcl = to_hcl(json).expect("converts");
        assert!(hcl.contains("type = list(string)"), "{hcl}");
        assert!(hcl.contains("\"$${x}\""), "{hcl}");
        assert!(hcl.contains("backend \"s3\" {"), "{hcl}");
    }
}
