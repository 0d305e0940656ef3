//! `diff <cloud> <env>`: the stack synthesized in memory against its output
//! directory; exit 0 no change, 1 changes, 2 error.

use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use crate::app::{diff_against_dir_with, App, SynthFailure};
use crate::core::environment::Cloud;

/// How `diff` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// Lines for a terminal (colored there unless NO_COLOR is set).
    Text,
    /// A pull request comment.
    Markdown,
    /// One JSON object (`broadens_access`, `summary`, `security`, `changes`).
    Json,
}

/// Whether to color: on a terminal, unless `NO_COLOR` is set to anything
/// but the empty string (https://no-color.org).
pub(crate) fn use_color(terminal: bool) -> bool {
    terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

impl App {
    pub(super) fn diff(
        &self,
        cloud: Cloud,
        env: &str,
        out: &Path,
        stack: Option<&str>,
        format: Format,
        context: Option<std::sync::Arc<crate::core::context::Context>>,
    ) -> io::Result<ExitCode> {
        let Some((definition, env)) = self.resolve(stack, env) else {
            return Ok(ExitCode::from(2));
        };
        let options = crate::app::SynthOptions::new().with_context(context);
        let found = match diff_against_dir_with(definition, cloud, env, out, &options) {
            Ok(found) => found,
            Err(SynthFailure::Invalid { label, diagnostics }) => {
                eprintln!("{diagnostics}\ndiff of {label}: the stack does not synthesize; nothing to compare");
                return Ok(ExitCode::from(2));
            }
            Err(SynthFailure::Io { dir, error }) => {
                eprintln!("error: reading {}: {error}", dir.display());
                return Ok(ExitCode::from(2));
            }
            Err(other) => {
                eprintln!("{other}");
                return Ok(ExitCode::from(2));
            }
        };
        let title = found.title();
        let text = match format {
            Format::Text => found
                .diff
                .to_text(&title, use_color(io::stdout().is_terminal())),
            Format::Markdown => found
                .diff
                .to_markdown(&format!("`{}` {title}", self.name())),
            Format::Json => {
                let mut json = found.diff.to_json(&title);
                json["label"] = serde_json::json!(found.label);
                json["dir"] = serde_json::json!(found.dir.display().to_string());
                format!("{json:#}\n")
            }
        };
        let mut stdout = io::stdout().lock();
        stdout.write_all(text.as_bytes())?;
        stdout.flush()?;
        Ok(if found.diff.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }
}
