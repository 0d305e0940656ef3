//! A [`Diff`] as text for a terminal (colored or plain), as Markdown for a
//! pull request comment, and as JSON for machines.

use std::fmt::Write as _;

use serde_json::{json, Value as Json};

use super::{Change, ChangeKind, Diff};

/// How an attribute value is shown: compact JSON, long values cut (a policy
/// document is compared by its parts, so a cut whole is never the point).
const VALUE_CHARS: usize = 120;

fn show(value: Option<&Json>) -> String {
    let Some(value) = value else {
        return "(unset)".to_string();
    };
    let text = value.to_string();
    if text.chars().count() <= VALUE_CHARS {
        return text;
    }
    let cut: String = text.chars().take(VALUE_CHARS).collect();
    format!("{cut}…")
}

/// ANSI styles, or nothing.
struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

fn sigil(kind: &ChangeKind) -> (&'static str, &'static str) {
    match kind {
        ChangeKind::Added => ("+", "32"),
        ChangeKind::Removed => ("-", "31"),
        ChangeKind::Changed => ("~", "33"),
        ChangeKind::Moved { .. } => (">", "36"),
    }
}

fn headline(change: &Change) -> String {
    match &change.kind {
        ChangeKind::Moved { from, declared } => format!(
            "{} (moved from {from}{})",
            change.address,
            if *declared { "" } else { "; no `moved` block" }
        ),
        _ => change.address.clone(),
    }
}

impl Diff {
    /// One line of counts: `1 added, 2 removed, 3 changed, 0 moved; 1
    /// broadens access`, or `no changes`.
    pub fn summary(&self) -> String {
        if self.is_empty() {
            return "no changes".to_string();
        }
        let mut line = format!(
            "{} added, {} removed, {} changed, {} moved",
            self.count("added"),
            self.count("removed"),
            self.count("changed"),
            self.count("moved")
        );
        match self.security.len() {
            0 => line.push_str("; nothing broadens access"),
            1 => line.push_str("; 1 change broadens access"),
            n => {
                let _ = write!(line, "; {n} changes broaden access");
            }
        }
        line
    }

    /// The changes as lines for a terminal, under `title`: `+` added, `-`
    /// removed, `~` changed (each attribute `path: old -> new` below it),
    /// `>` moved, then the security section (`!`) and the summary. With
    /// `color`, ANSI colors (green, red, yellow, cyan; security in bold
    /// red).
    pub fn to_text(&self, title: &str, color: bool) -> String {
        let paint = Paint { on: color };
        let mut out = String::new();
        let _ = writeln!(out, "{}", paint.wrap("1", title));
        self.write_changes(&mut out, &paint);
        if !self.security.is_empty() {
            let _ = writeln!(
                out,
                "\n{}",
                paint.wrap(
                    "1;31",
                    &format!("security: {} change(s) broaden access", self.security.len())
                )
            );
            for finding in &self.security {
                let at = if finding.path.is_empty() {
                    String::new()
                } else {
                    format!(" {}", finding.path)
                };
                let _ = writeln!(
                    out,
                    "{}",
                    paint.wrap(
                        "31",
                        &format!("! {}{at}: {}", finding.address, finding.message)
                    )
                );
            }
        }
        let _ = writeln!(out, "\n{}", self.summary());
        out
    }

    fn write_changes(&self, out: &mut String, paint: &Paint) {
        for change in &self.changes {
            let (mark, code) = sigil(&change.kind);
            let _ = writeln!(
                out,
                "{}",
                paint.wrap(code, &format!("{mark} {}", headline(change)))
            );
            for attribute in &change.attributes {
                let _ = writeln!(
                    out,
                    "    {}: {} -> {}",
                    attribute.path,
                    paint.wrap("31", &show(attribute.old.as_ref())),
                    paint.wrap("32", &show(attribute.new.as_ref()))
                );
            }
            if let Some(note) = &change.note {
                let _ = writeln!(out, "    {}", paint.wrap("33", &format!("note: {note}")));
            }
        }
    }

    /// The changes as a Markdown pull request comment under the heading
    /// `title`: the summary, a security table when anything broadens access
    /// (first, so a reviewer cannot miss it), then the changes in a `diff`
    /// code block (GitHub colors `+` and `-` lines).
    pub fn to_markdown(&self, title: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "### {title}\n");
        if self.is_empty() {
            let _ = writeln!(out, "No changes.");
            return out;
        }
        let _ = writeln!(out, "**{}**\n", self.summary());
        if !self.security.is_empty() {
            let _ = writeln!(out, "#### ⚠️ Security: changes that broaden access\n");
            let _ = writeln!(out, "| resource | attribute | what |\n|---|---|---|");
            for finding in &self.security {
                let _ = writeln!(
                    out,
                    "| `{}` | {} | {} |",
                    finding.address,
                    if finding.path.is_empty() {
                        String::new()
                    } else {
                        format!("`{}`", finding.path)
                    },
                    finding.message.replace('|', "\\|")
                );
            }
            let _ = writeln!(out);
        }
        let _ = writeln!(out, "#### Changes\n\n```diff");
        self.write_changes(&mut out, &Paint { on: false });
        let _ = writeln!(out, "```");
        out
    }

    /// The changes as JSON: `title`, `summary` (counts), `broadens_access`,
    /// `security` (`address`, `path`, `message`) and `changes` (`address`,
    /// `kind`, `from` and `declared` for moves, `note`, and `attributes`
    /// with `path`, `old`, `new`; an unset side is left out).
    pub fn to_json(&self, title: &str) -> Json {
        let changes: Vec<Json> = self
            .changes
            .iter()
            .map(|change| {
                let mut entry = json!({
                    "address": change.address,
                    "kind": change.kind.as_str(),
                });
                if let ChangeKind::Moved { from, declared } = &change.kind {
                    entry["from"] = json!(from);
                    entry["declared"] = json!(declared);
                }
                if let Some(note) = &change.note {
                    entry["note"] = json!(note);
                }
                let attributes: Vec<Json> = change
                    .attributes
                    .iter()
                    .map(|a| {
                        let mut item = json!({ "path": a.path });
                        if let Some(old) = &a.old {
                            item["old"] = old.clone();
                        }
                        if let Some(new) = &a.new {
                            item["new"] = new.clone();
                        }
                        item
                    })
                    .collect();
                entry["attributes"] = Json::Array(attributes);
                entry
            })
            .collect();
        let security: Vec<Json> = self
            .security
            .iter()
            .map(|f| json!({ "address": f.address, "path": f.path, "message": f.message }))
            .collect();
        json!({
            "title": title,
            "summary": {
                "added": self.count("added"),
                "removed": self.count("removed"),
                "changed": self.count("changed"),
                "moved": self.count("moved"),
                "broadening": self.security.len(),
            },
            "has_changes": !self.is_empty(),
            "broadens_access": self.broadens_access(),
            "security": security,
            "changes": changes,
        })
    }
}
