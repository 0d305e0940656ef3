//! Writing any string as a YAML double-quoted scalar that every YAML parser
//! Helm may use reads back as exactly that string.
//!
//! A JSON string is not enough. YAML 1.1 (go-yaml v2 behind Helm's
//! `sigs.k8s.io/yaml`, PyYAML) treats U+0085 (NEL), U+2028 and U+2029 as line
//! breaks, folded to a space inside a quoted scalar, and refuses the
//! non-printable U+007F, U+0080-U+009F, U+FFFE and U+FFFF in a stream (YAML
//! 1.1 spec, sections 5.1 "Character Set" and 5.4 "Line Break Characters").
//! They are written as escapes instead (section 5.6 "Escape Sequences": `\x`
//! for an 8-bit code point, `\u` for a 16-bit one), which every YAML version
//! reads back as the character itself.

/// `text` as a YAML double-quoted scalar, quotes included: `"`, `\`, every
/// control, line-break-like or non-printable character escaped, everything
/// else written as is. Words YAML 1.1 reads as other types (`yes`, `on`,
/// `0777`, `~`, `null`, `1e3`, `.inf`) stay strings because they are quoted.
pub fn double_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => {
                out.push_str(&format!("\\x{:02X}", u32::from(c)));
            }
            // Line and paragraph separators, the byte-order mark (stripped
            // by some readers), and the two non-characters.
            '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}' => {
                out.push_str(&format!("\\u{:04X}", u32::from(c)));
            }
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::double_quoted;

    #[test]
    fn escapes_what_yaml_1_1_would_fold_or_refuse() {
        assert_eq!(double_quoted("a\u{85}b"), "\"a\\x85b\"");
        assert_eq!(double_quoted("\u{2028}\u{2029}"), "\"\\u2028\\u2029\"");
        assert_eq!(double_quoted("\u{7f}\u{ffff}"), "\"\\x7F\\uFFFF\"");
        assert_eq!(double_quoted(" yes "), "\" yes \"");
        assert_eq!(
            double_quoted("say \"hi\" \\ é"),
            "\"say \\\"hi\\\" \\\\ é\""
        );
    }
}
