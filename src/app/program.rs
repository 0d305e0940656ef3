//! [`App`]: a user's infrastructure program, its stacks and environments.

use std::fmt;

use super::definition::StackDefinition;
use crate::core::diagnostics::InvalidValue;
use crate::core::environment::{closest, Cloud, Environment, EnvironmentError};

/// A user's infrastructure program: its name and version (shown by `--help`
/// and `--version`), the environments it deploys to and its stacks.
///
/// With the `cli` feature (on by default), `App::run` is the whole `main`:
///
/// ```no_run
/// use infrasynth::app::{App, StackDefinition};
/// use infrasynth::platform::Platform;
/// use infrasynth::{Environment, Tier};
///
/// fn main() -> std::process::ExitCode {
///     App::new("retail-infra")
///         .version("0.3.0")
///         .about("The retail recommender platform")
///         .environments([
///             Environment::new("dev", Tier::Development),
///             Environment::new("prod-eu", Tier::Production),
///         ])
///         .stack(StackDefinition::new("core", |env| Platform::new("retail", env)))
///         .run()
/// }
/// ```
#[derive(Clone, Debug)]
pub struct App {
    name: String,
    version: Option<String>,
    about: Option<String>,
    environments: Option<Vec<Environment>>,
    stacks: Vec<StackDefinition>,
    context_file: std::path::PathBuf,
}

/// A mistake in how the program declares or selects stacks and environments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppError {
    /// The program declares no stack.
    NoStacks,
    /// `--stack` names a stack the program does not declare.
    UnknownStack {
        /// What was asked for.
        name: String,
        /// The declared stacks.
        defined: Vec<String>,
        /// The closest declared name, if one is close.
        suggestion: Option<String>,
    },
    /// A stack's name breaks the naming rule.
    InvalidStackName(InvalidValue),
    /// Two stacks share a name (they would share an output directory).
    DuplicateStack(String),
    /// Two environments share a name.
    DuplicateEnvironment(String),
    /// An environment is unknown or badly named.
    Environment(EnvironmentError),
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::NoStacks => write!(
                f,
                "no stacks are declared; add one with App::stack(StackDefinition::new(..))"
            ),
            AppError::UnknownStack {
                name,
                defined,
                suggestion,
            } => {
                write!(
                    f,
                    "unknown stack `{name}`; declared stacks: {}",
                    defined.join(", ")
                )?;
                if let Some(suggestion) = suggestion {
                    write!(f, " (did you mean `{suggestion}`?)")?;
                }
                Ok(())
            }
            AppError::InvalidStackName(error) => error.fmt(f),
            AppError::DuplicateStack(name) => write!(
                f,
                "two stacks are named `{name}`; each stack needs its own name (it names its output directory)"
            ),
            AppError::DuplicateEnvironment(name) => {
                write!(f, "two environments are named `{name}`; give each its own name")
            }
            AppError::Environment(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for AppError {}

impl From<EnvironmentError> for AppError {
    fn from(error: EnvironmentError) -> Self {
        AppError::Environment(error)
    }
}

impl App {
    /// A program named `name` (the binary's name in `--help`), with the
    /// default environments (`dev`, `staging`, `production`) until
    /// [`App::environments`] declares its own.
    pub fn new(name: impl Into<String>) -> Self {
        App {
            name: name.into(),
            version: None,
            about: None,
            environments: None,
            stacks: Vec::new(),
            context_file: std::path::PathBuf::from(crate::core::context::CONTEXT_FILE),
        }
    }

    /// The version `--version` prints (e.g. `env!("CARGO_PKG_VERSION")`).
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// The one-line description `--help` prints.
    pub fn about(mut self, about: impl Into<String>) -> Self {
        self.about = Some(about.into());
        self
    }

    /// Declares the environments, in promotion order; replaces the defaults.
    pub fn environments(mut self, environments: impl IntoIterator<Item = Environment>) -> Self {
        self.environments = Some(environments.into_iter().collect());
        self
    }

    /// Where `lookup` writes the live cloud facts and every synth reads them
    /// (default `infrasynth.context.json`, relative to the working
    /// directory: the crate's root under `cargo run`). Commit it beside the
    /// stacks; see `docs/lookups-and-drift.md`.
    pub fn context_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.context_file = path.into();
        self
    }

    /// The context file's path (see [`App::context_file`]).
    pub fn context_path(&self) -> &std::path::Path {
        &self.context_file
    }

    /// Adds a stack.
    pub fn stack(mut self, stack: StackDefinition) -> Self {
        self.stacks.push(stack);
        self
    }

    /// The program's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The version, if one was set.
    pub fn version_text(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// The description, if one was set.
    pub fn about_text(&self) -> Option<&str> {
        self.about.as_deref()
    }

    /// The declared environments (the defaults when none were declared).
    pub fn declared_environments(&self) -> &[Environment] {
        self.environments
            .as_deref()
            .unwrap_or(&Environment::DEFAULTS)
    }

    /// The declared stacks.
    pub fn stacks(&self) -> &[StackDefinition] {
        &self.stacks
    }

    /// Checks the declarations: at least one stack, valid and unique stack
    /// and environment names.
    ///
    /// # Errors
    ///
    /// Every [`AppError`] found, in declaration order, so one run shows every
    /// mistake.
    pub fn check(&self) -> Result<(), Vec<AppError>> {
        let mut errors = Vec::new();
        if self.stacks.is_empty() {
            errors.push(AppError::NoStacks);
        }
        for (i, stack) in self.stacks.iter().enumerate() {
            if let Err(error) = stack.check_name() {
                errors.push(AppError::InvalidStackName(error));
            }
            if self.stacks[..i].iter().any(|s| s.name() == stack.name()) {
                errors.push(AppError::DuplicateStack(stack.name().to_string()));
            }
        }
        let environments = self.declared_environments();
        for (i, env) in environments.iter().enumerate() {
            if let Err(error) = env.check() {
                errors.push(error.into());
            }
            if environments[..i].iter().any(|e| e.name() == env.name()) {
                errors.push(AppError::DuplicateEnvironment(env.name().to_string()));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The stack named `name`, or the first declared one when `name` is
    /// `None`.
    ///
    /// # Errors
    ///
    /// [`AppError::NoStacks`], or [`AppError::UnknownStack`] listing the
    /// declared stacks and the closest name.
    pub fn find_stack(&self, name: Option<&str>) -> Result<&StackDefinition, AppError> {
        match name {
            None => self.stacks.first().ok_or(AppError::NoStacks),
            Some(name) => self
                .stacks
                .iter()
                .find(|s| s.name() == name)
                .ok_or_else(|| AppError::UnknownStack {
                    name: name.to_string(),
                    defined: self.stacks.iter().map(|s| s.name().to_string()).collect(),
                    suggestion: closest(name, self.stacks.iter().map(|s| s.name())),
                }),
        }
    }

    /// The declared environment named `name`.
    ///
    /// # Errors
    ///
    /// [`AppError::Environment`] listing the declared environments and the
    /// closest name.
    pub fn find_environment(&self, name: &str) -> Result<Environment, AppError> {
        Ok(Environment::find(self.declared_environments(), name)?)
    }

    /// Whose bootstrap creates the storage that `stack` keeps its state in,
    /// in `env` on `cloud`, when it is not that one's own: several stacks,
    /// clouds or environments may share one bucket (their keys differ), and
    /// one Terraform state must own it, or one bootstrap's `destroy` would
    /// delete what another manages. The owner is the first declared stack,
    /// then environment, then cloud naming the same storage; returned as
    /// `(stack, cloud, env)`. `None` when it is this one, or state is local.
    pub fn bootstrap_owner(
        &self,
        stack: &StackDefinition,
        cloud: Cloud,
        env: Environment,
    ) -> Option<(String, Cloud, Environment)> {
        let storage = stack.state_backend(env, cloud).storage()?;
        for candidate in &self.stacks {
            for &other_env in self.declared_environments() {
                for other_cloud in Cloud::ALL {
                    if candidate
                        .state_backend(other_env, other_cloud)
                        .storage()
                        .as_ref()
                        != Some(&storage)
                    {
                        continue;
                    }
                    let same = candidate.name() == stack.name()
                        && other_cloud == cloud
                        && other_env.name() == env.name();
                    return (!same).then(|| (candidate.name().to_string(), other_cloud, other_env));
                }
            }
        }
        None
    }
}
