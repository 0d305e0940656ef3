//! The layers run one way down (docs/architecture.md): no module of `src/`
//! names a module of a layer above its own, and the three cloud builders do
//! not name each other. Read from the source text, so a new import that breaks
//! the picture fails here before it spreads.

use std::fs;
use std::path::Path;

/// Each top-level module of `src/` and its layer; a module may name modules
/// of its own layer or below.
const LAYERS: [(&str, u8); 12] = [
    ("core", 0),
    ("schema", 0),
    ("aws", 1),
    ("gcp", 1),
    ("azure", 1),
    ("policy", 1),
    ("platform", 2),
    ("state", 2),
    ("helm", 3),
    ("app", 4),
    ("testing", 5),
    ("cli", 5),
];

const CLOUDS: [&str; 3] = ["aws", "gcp", "azure"];

fn layer(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

fn rust_files(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).expect("readable src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// The top-level modules `text` names as `crate::<module>`, outside comments.
fn named_modules(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            names.push(name);
            rest = after;
        }
    }
    names
}

#[test]
fn no_module_imports_one_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut violations = Vec::new();
    let mut checked = 0;
    for file in &files {
        let relative = file.strip_prefix(&src).expect("below src");
        let Some(top) = relative.components().next() else {
            continue;
        };
        let top = top
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        let Some(own) = layer(&top) else {
            // lib.rs and main.rs assemble the layers.
            continue;
        };
        checked += 1;
        let text = fs::read_to_string(file).expect("readable file");
        for name in named_modules(&text) {
            let Some(other) = layer(&name) else { continue };
            if other > own {
                violations.push(format!(
                    "{}: `{top}` (layer {own}) names `crate::{name}` (layer {other})",
                    relative.display()
                ));
            }
            if CLOUDS.contains(&top.as_str()) && CLOUDS.contains(&name.as_str()) && name != top {
                violations.push(format!(
                    "{}: cloud builder `{top}` names another cloud, `crate::{name}`",
                    relative.display()
                ));
            }
        }
    }
    println!("layering: {checked} files checked");
    assert!(checked > 50, "too few files found under {}", src.display());
    assert!(
        violations.is_empty(),
        "{} layering violation(s):\n  {}",
        violations.len(),
        violations.join("\n  ")
    );
}
