//! The context file: cloud facts looked up once (`lookup`), committed beside
//! the user's stacks, and read by every synth, so synth stays offline and
//! byte-identical (like AWS CDK's `cdk.context.json`).
//!
//! The file is JSON:
//!
//! ```json
//! {
//!   "infrasynth_context": 1,
//!   "facts": {
//!     "mlops/aws/dev": { "region": "us-east-1", "zones": [ ... ], ... }
//!   }
//! }
//! ```
//!
//! One entry per `<stack>/<cloud>/<env>` ([`Context::key`]): facts differ per
//! account (zone letters in us-west-1 and ap-northeast-1, the instance types
//! a subscription may use), and each environment is an account of its own.
//! The entries' shapes belong to each cloud (`aws::facts::AwsFacts`,
//! `gcp::facts::GcpFacts`, `azure::facts::AzureFacts`); this file only keeps
//! them. Keys and fields are written sorted, without timestamps, so a
//! `lookup --refresh` that finds nothing new leaves the file byte-identical.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::core::environment::{Cloud, Environment};

/// The context file's default name, resolved against the working directory
/// (the user's crate, where `cargo run` runs).
pub const CONTEXT_FILE: &str = "infrasynth.context.json";

/// The format version written in `infrasynth_context`.
const FORMAT: u64 = 1;

/// The facts of a context file, one JSON entry per `<stack>/<cloud>/<env>`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Context {
    facts: BTreeMap<String, serde_json::Value>,
}

/// A context file that cannot be read or written.
#[derive(Debug)]
pub struct ContextError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong, with the fix.
    pub message: String,
}

impl fmt::Display for ContextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "context file {}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for ContextError {}

/// The command that records `cloud`'s facts for `stack`'s environment
/// again, for a diagnostic's fix: `lookup aws dev --refresh` (`<env>` when
/// the stack has no environment).
pub fn refresh_command(cloud: Cloud, stack: &crate::core::stack::Stack) -> String {
    let env = stack.environment().map_or("<env>", |e| e.name());
    format!("lookup {} {env} --refresh", cloud.as_str())
}

impl Context {
    /// An empty context.
    pub fn new() -> Self {
        Context::default()
    }

    /// The key of the facts of `stack` on `cloud` in `env`:
    /// `<stack>/<cloud>/<env>`.
    pub fn key(stack: &str, cloud: Cloud, env: Environment) -> String {
        format!("{stack}/{}/{}", cloud.as_str(), env.name())
    }

    /// Reads the context file at `path`; `Ok(None)` when there is none.
    ///
    /// # Errors
    ///
    /// A [`ContextError`] when the file exists but cannot be read, is not
    /// JSON of this shape, or was written by a newer infrasynth; the message
    /// says how to fix it (the file is never rewritten by a reader).
    pub fn load(path: &Path) -> Result<Option<Context>, ContextError> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(ContextError {
                    path: path.to_path_buf(),
                    message: format!("cannot be read: {e}"),
                })
            }
        };
        let bad = |message: String| ContextError {
            path: path.to_path_buf(),
            message,
        };
        let mut document: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&text).map_err(|e| {
                bad(format!(
                    "is not valid JSON ({e}); restore it from version control, or delete it and run `lookup --refresh` again"
                ))
            })?;
        match document.get("infrasynth_context").and_then(|v| v.as_u64()) {
            Some(FORMAT) => {}
            Some(newer) => {
                return Err(bad(format!(
                    "has format {newer}, this infrasynth reads format {FORMAT}; upgrade infrasynth"
                )))
            }
            None => {
                return Err(bad(
                    "has no `\"infrasynth_context\": 1`: it is not an infrasynth context file; move it away or name another with --context".to_string(),
                ))
            }
        }
        let facts = match document.remove("facts") {
            None => BTreeMap::new(),
            Some(serde_json::Value::Object(map)) => map.into_iter().collect(),
            Some(_) => {
                return Err(bad(
                    "`facts` is not an object; restore the file from version control".to_string(),
                ))
            }
        };
        Ok(Some(Context { facts }))
    }

    /// The entry under `key`, as `T`; `Ok(None)` when there is none.
    ///
    /// # Errors
    ///
    /// A message naming the key when the entry does not have `T`'s shape.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, String> {
        self.facts
            .get(key)
            .map(|value| {
                T::deserialize(value).map_err(|e| {
                    format!("the facts of `{key}` do not read ({e}); run `lookup` for it with --refresh")
                })
            })
            .transpose()
    }

    /// Whether there is an entry under `key`.
    pub fn contains(&self, key: &str) -> bool {
        self.facts.contains_key(key)
    }

    /// The keys of every entry, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.facts.keys().map(String::as_str)
    }

    /// Sets the entry under `key` to `facts`, replacing any before.
    ///
    /// # Errors
    ///
    /// The serializer's message when `facts` is not representable as JSON
    /// (a map with non-string keys).
    pub fn set<T: Serialize>(&mut self, key: &str, facts: &T) -> Result<(), String> {
        let value = serde_json::to_value(facts).map_err(|e| e.to_string())?;
        self.facts.insert(key.to_string(), value);
        Ok(())
    }

    /// The file's text: pretty JSON with sorted keys and a final newline.
    pub fn to_text(&self) -> String {
        let mut document = serde_json::Map::new();
        document.insert("infrasynth_context".to_string(), FORMAT.into());
        document.insert(
            "facts".to_string(),
            serde_json::Value::Object(self.facts.clone().into_iter().collect()),
        );
        // serde_json's Map is a BTreeMap here (no `preserve_order`), so every
        // object is written with its keys sorted.
        let mut text =
            serde_json::to_string_pretty(&serde_json::Value::Object(document)).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Writes the context to `path` atomically: a temporary file beside it,
    /// flushed to disk, then renamed over it, so a failure leaves the old file
    /// whole (never truncated).
    ///
    /// # Errors
    ///
    /// The I/O error of the step that failed; the previous file is intact and
    /// the temporary removed.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        let dir = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| CONTEXT_FILE.to_string());
        let temporary = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let result = (|| {
            let mut file = fs::File::create(&temporary)?;
            file.write_all(self.to_text().as_bytes())?;
            file.sync_all()?;
            fs::rename(&temporary, path)?;
            // The rename itself reaches the disk with the directory.
            if let Ok(dir) = fs::File::open(&dir) {
                let _ = dir.sync_all();
            }
            Ok(())
        })();
        if result.is_err() {
            let _ = fs::remove_file(&temporary);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_none_and_a_saved_one_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONTEXT_FILE);
        assert!(Context::load(&path).unwrap().is_none());
        let mut context = Context::new();
        context
            .set("ml/aws/dev", &serde_json::json!({"b": 1, "a": [2]}))
            .unwrap();
        context.save(&path).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("{\n  \"facts\""), "{text}");
        assert!(text.find("\"a\"").unwrap() < text.find("\"b\"").unwrap());
        let back = Context::load(&path).unwrap().unwrap();
        assert_eq!(back, context);
        assert_eq!(
            back.get::<serde_json::Value>("ml/aws/dev").unwrap(),
            Some(serde_json::json!({"a": [2], "b": 1}))
        );
        assert_eq!(back.get::<serde_json::Value>("ml/aws/qa").unwrap(), None);
        // Nothing left beside it.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_damaged_file_is_an_error_with_the_fix_and_stays_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONTEXT_FILE);
        fs::write(&path, "{\"facts\": ").unwrap();
        let error = Context::load(&path).unwrap_err().to_string();
        assert!(error.contains("is not valid JSON"), "{error}");
        assert!(error.contains("restore it from version control"), "{error}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "{\"facts\": ");
        fs::write(&path, "{\"facts\": {}}").unwrap();
        let error = Context::load(&path).unwrap_err().to_string();
        assert!(error.contains("not an infrasynth context file"), "{error}");
        fs::write(&path, "{\"infrasynth_context\": 9, \"facts\": {}}").unwrap();
        let error = Context::load(&path).unwrap_err().to_string();
        assert!(error.contains("upgrade infrasynth"), "{error}");
    }

    #[test]
    fn a_save_into_a_missing_directory_fails_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join(CONTEXT_FILE);
        assert!(Context::new().save(&path).is_err());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn an_entry_of_the_wrong_shape_names_its_key() {
        let mut context = Context::new();
        context.set("ml/aws/dev", &"text").unwrap();
        let error = context.get::<Vec<u32>>("ml/aws/dev").unwrap_err();
        assert!(error.contains("`ml/aws/dev`"), "{error}");
        assert!(error.contains("--refresh"), "{error}");
    }
}
