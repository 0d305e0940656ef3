//! A pretty JSON writer specialised for Terraform documents.
//!
//! It writes exactly the bytes `serde_json`'s `PrettyFormatter` with a
//! two-space indent writes (the golden test in `synth.rs` holds it to that),
//! but straight from [`Value`]s into one buffer, without the generic
//! serializer's per-value dispatch. Synth time at 10,000 resources is mostly
//! this loop, so it is kept simple and branch-light.

use super::value::{escape_template, Value};

/// Bytes that JSON strings must escape, with the letter after the backslash
/// (`u` for `\u00XX`); 0 for bytes written as they are.
const ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = b'u';
        byte += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// A newline followed by the indent of up to 32 levels, so starting a line
/// is one copy.
const NEWLINE_INDENT: &[u8; 65] =
    b"\n                                                                ";

/// Whether any of the eight bytes in `word` is a control character, a quote or
/// a backslash, with the classic "has a byte less than / equal to n" word
/// tricks (exact for the word as a whole, which is all that is asked).
fn needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    let quote = has_zero(word ^ (ONES * u64::from(b'"')));
    let backslash = has_zero(word ^ (ONES * u64::from(b'\\')));
    (control | quote | backslash) != 0
}

/// An indented JSON document being written.
pub(crate) struct PrettyJson {
    out: Vec<u8>,
    // Whether each open object or array has an entry yet, innermost last.
    open: Vec<bool>,
}

impl PrettyJson {
    /// A writer whose buffer starts with `capacity` bytes.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        PrettyJson {
            out: Vec::with_capacity(capacity),
            open: Vec::with_capacity(16),
        }
    }

    /// The bytes written.
    pub(crate) fn finish(self) -> Vec<u8> {
        self.out
    }

    fn newline(&mut self) {
        let width = 1 + 2 * self.open.len();
        if let Some(line_start) = NEWLINE_INDENT.get(..width) {
            self.out.extend_from_slice(line_start);
        } else {
            self.out.push(b'\n');
            self.out.resize(self.out.len() + width - 1, b' ');
        }
    }

    /// Starts the next entry of the innermost object or array.
    fn next_entry(&mut self) {
        if let Some(has_entries) = self.open.last_mut() {
            if *has_entries {
                self.out.push(b',');
            }
            *has_entries = true;
        }
        self.newline();
    }

    fn close(&mut self, bracket: u8) {
        let had_entries = self.open.pop().unwrap_or(false);
        if had_entries {
            self.newline();
        }
        self.out.push(bracket);
    }

    /// `{`.
    pub(crate) fn begin_object(&mut self) {
        self.out.push(b'{');
        self.open.push(false);
    }

    /// The next key of the innermost object; its value follows.
    pub(crate) fn key(&mut self, key: &str) {
        self.next_entry();
        self.string(key);
        self.out.extend_from_slice(b": ");
    }

    /// The next key of an object Terraform reads as a value (a map), whose
    /// keys it evaluates as templates: template sequences escaped, like
    /// [`Self::literal`].
    pub(crate) fn literal_key(&mut self, key: &str) {
        self.next_entry();
        self.literal(key);
        self.out.extend_from_slice(b": ");
    }

    /// A value of a meta-argument that takes references: an expression that
    /// is one plain reference is written bare (`aws_sns_topic.trigger.id`),
    /// anything else as [`Self::value`] writes it.
    pub(crate) fn references(&mut self, value: &Value) {
        match value {
            Value::Expr(expr) => match expr.bare_reference() {
                Some(bare) => self.string(bare),
                None => self.value(value),
            },
            Value::List(items) => {
                self.begin_array();
                for item in items {
                    self.item();
                    self.references(item);
                }
                self.end_array();
            }
            _ => self.value(value),
        }
    }

    /// `}`.
    pub(crate) fn end_object(&mut self) {
        self.close(b'}');
    }

    /// `[`.
    pub(crate) fn begin_array(&mut self) {
        self.out.push(b'[');
        self.open.push(false);
    }

    /// Starts the next item of the innermost array; its value follows.
    pub(crate) fn item(&mut self) {
        self.next_entry();
    }

    /// `]`.
    pub(crate) fn end_array(&mut self) {
        self.close(b']');
    }

    /// A JSON string with `text` as its contents.
    pub(crate) fn string(&mut self, text: &str) {
        let bytes = text.as_bytes();
        self.out.reserve(bytes.len() + 2);
        self.out.push(b'"');
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            // Most text needs no escape: skip it eight bytes at a time.
            if let Some(chunk) = bytes.get(i..i + 8) {
                let word = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
                if !needs_escape(word) {
                    i += 8;
                    continue;
                }
            }
            let byte = bytes[i];
            let escape = ESCAPE[byte as usize];
            if escape != 0 {
                self.out.extend_from_slice(&bytes[start..i]);
                start = i + 1;
                if escape == b'u' {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    self.out.extend_from_slice(&[
                        b'\\',
                        b'u',
                        b'0',
                        b'0',
                        HEX[(byte >> 4) as usize],
                        HEX[(byte & 0xf) as usize],
                    ]);
                } else {
                    self.out.extend_from_slice(&[b'\\', escape]);
                }
            }
            i += 1;
        }
        self.out.extend_from_slice(&bytes[start..]);
        self.out.push(b'"');
    }

    /// Literal text as [`Value::String`] writes it: template sequences escaped
    /// so Terraform never evaluates them.
    pub(crate) fn literal(&mut self, text: &str) {
        if text.contains("${") || text.contains("%{") {
            self.string(&escape_template(text));
        } else {
            self.string(text);
        }
    }

    /// `true` or `false`.
    pub(crate) fn bool(&mut self, value: bool) {
        self.out
            .extend_from_slice(if value { b"true" } else { b"false" });
    }

    /// Any value, as its `Serialize` implementation writes it.
    pub(crate) fn value(&mut self, value: &Value) {
        match value {
            Value::Null => self.out.extend_from_slice(b"null"),
            Value::Bool(b) => self.bool(*b),
            Value::Number(n) => {
                // Numbers are rare; serde_json formats them so the digits match.
                let _ = serde_json::to_writer(&mut self.out, n);
            }
            Value::String(text) => self.literal(text),
            Value::Expr(expr) => self.string(expr.template()),
            Value::List(items) => {
                self.begin_array();
                for item in items {
                    self.item();
                    self.value(item);
                }
                self.end_array();
            }
            Value::Map(map) => {
                self.begin_object();
                for (key, item) in map {
                    self.literal_key(key);
                    self.value(item);
                }
                self.end_object();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::map;

    fn serde_pretty(value: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"  ");
        let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
        serde::Serialize::serialize(value, &mut serializer).expect("in memory");
        out
    }

    #[test]
    fn writes_what_serde_json_writes() {
        let control: String = (0u8..0x20).map(char::from).collect();
        let value = map! {
            "empty_list" => Value::List(Vec::new()),
            "empty_map" => Value::map(),
            "escapes" => format!("quote \" backslash \\ {control} del \u{7f} é ${{x}} %{{y}}"),
            "numbers" => Value::from(vec![Value::from(-3), Value::from(2.5), Value::from(u64::MAX)]),
            "nested" => Value::List(vec![map! { "a" => Value::Null, "b" => true, "c" => false }]),
            "key \"quoted\"\n" => 1,
        };
        let mut json = PrettyJson::with_capacity(0);
        json.value(&value);
        assert_eq!(
            String::from_utf8(json.finish()).expect("utf-8"),
            String::from_utf8(serde_pretty(&value)).expect("utf-8")
        );
    }

    #[test]
    fn deep_nesting_indents_like_serde_json() {
        let mut value = map! { "leaf" => 1 };
        for depth in 0..40 {
            value = if depth % 2 == 0 {
                Value::List(vec![value, Value::from(depth)])
            } else {
                map! { "inner" => value }
            };
        }
        let mut json = PrettyJson::with_capacity(0);
        json.value(&value);
        assert_eq!(json.finish(), serde_pretty(&value));
    }

    #[test]
    fn escapes_every_byte_at_every_position_like_serde_json() {
        let specials = [
            '"', '\\', '\n', '\u{1}', '\u{1f}', '\u{7f}', ' ', 'é', '€', 'a',
        ];
        for len in 0..20 {
            for special in specials {
                for at in 0..len.max(1) {
                    let text: String = (0..len)
                        .map(|i| if i == at { special } else { 'x' })
                        .collect();
                    let mut json = PrettyJson::with_capacity(0);
                    json.string(&text);
                    let expected = serde_json::to_vec(&text).expect("in memory");
                    assert_eq!(json.finish(), expected, "{text:?}");
                }
            }
        }
    }
}
