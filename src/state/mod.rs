//! Where each stack keeps its Terraform state, per environment and cloud:
//! typed backends ([`S3Backend`], [`GcsBackend`], [`AzurermBackend`], local),
//! checked against each cloud's naming rules, and the bootstrap stacks that
//! create their storage.
//!
//! A stack declares its backend once per environment and cloud
//! (`StackDefinition::state`); the place of the state inside the storage is
//! never written by hand: it is derived from `<stack>/<cloud>/<env>`, as the
//! output directory is, so two stacks or two environments never share state.
//!
//! ```
//! use infrasynth::platform::Regions;
//! use infrasynth::state::{S3Backend, StateBackend, StateTarget};
//! use infrasynth::{Cloud, Environment};
//!
//! let state: StateBackend = S3Backend::new("acme-tfstate-prod").kms_key_id("alias/acme-tfstate").into();
//! let regions = Regions::default();
//! let target = StateTarget::new("shop", Cloud::Aws, Environment::PRODUCTION, &regions);
//! let backend = state.backend(&target).expect("valid names");
//! assert_eq!(backend.setting("key").and_then(|v| v.as_str()), Some("shop/aws/production/terraform.tfstate"));
//! ```
//!
//! Layer 2 (beside `platform`): it knows every cloud through its builders,
//! whose name rules it reuses and which the bootstrap stacks are made of.

mod azurerm;
mod gcs;
mod s3;

pub use azurerm::AzurermBackend;
pub use gcs::GcsBackend;
pub use s3::S3Backend;

use std::fmt;

use crate::core::backend::Backend;
use crate::core::diagnostics::Severity;
use crate::core::environment::{Cloud, Environment};
use crate::core::stack::Stack;
use crate::platform::Regions;

/// The file name of the state object inside S3 and azurerm keys (GCS names
/// its objects `<prefix>/<workspace>.tfstate` itself).
pub const STATE_FILE: &str = "terraform.tfstate";

/// Where one stack keeps its state in one environment on one cloud.
#[derive(Clone, Debug, PartialEq)]
pub enum StateBackend {
    /// `terraform.tfstate` in the output directory: for throw-away
    /// environments (a laptop, a pull request's preview). Lost with the
    /// directory; never shared between machines.
    Local,
    /// An S3 bucket (state locking with S3's own lock file).
    S3(S3Backend),
    /// A Cloud Storage bucket (locks natively).
    Gcs(GcsBackend),
    /// An Azure storage account container (locks with blob leases).
    Azurerm(AzurermBackend),
}

impl Default for StateBackend {
    /// [`StateBackend::Local`]: a stack that declares nothing keeps its
    /// state where Terraform runs, as before backends were typed.
    fn default() -> Self {
        StateBackend::Local
    }
}

impl From<S3Backend> for StateBackend {
    fn from(backend: S3Backend) -> Self {
        StateBackend::S3(backend)
    }
}

impl From<GcsBackend> for StateBackend {
    fn from(backend: GcsBackend) -> Self {
        StateBackend::Gcs(backend)
    }
}

impl From<AzurermBackend> for StateBackend {
    fn from(backend: AzurermBackend) -> Self {
        StateBackend::Azurerm(backend)
    }
}

/// What a state belongs to: the stack, cloud and environment its key is
/// derived from, and the environment's regions (the default region of an S3
/// bucket, the location of a bootstrap's storage).
#[derive(Clone, Copy, Debug)]
pub struct StateTarget<'a> {
    /// The stack's name (`StackDefinition::name`).
    pub stack: &'a str,
    /// The cloud the stack is synthesized for.
    pub cloud: Cloud,
    /// The environment.
    pub environment: Environment,
    /// The platform's regions in that environment.
    pub regions: &'a Regions,
    /// Whether this is the state of the stack's bootstrap (the storage
    /// itself), kept at `<stack>/bootstrap/<cloud>/<env>`.
    pub bootstrap: bool,
}

impl<'a> StateTarget<'a> {
    /// The state of `stack` on `cloud` in `environment`.
    pub fn new(
        stack: &'a str,
        cloud: Cloud,
        environment: Environment,
        regions: &'a Regions,
    ) -> Self {
        StateTarget {
            stack,
            cloud,
            environment,
            regions,
            bootstrap: false,
        }
    }

    /// The state of the same stack's bootstrap.
    pub fn for_bootstrap(mut self) -> Self {
        self.bootstrap = true;
        self
    }

    /// `<stack>/<cloud>/<env>` (`<stack>/bootstrap/<cloud>/<env>` for a
    /// bootstrap): the same path the output directory has below `out/`, so
    /// the state of every directory has its own place.
    pub fn path(&self) -> String {
        if self.bootstrap {
            format!(
                "{}/bootstrap/{}/{}",
                self.stack, self.cloud, self.environment
            )
        } else {
            format!("{}/{}/{}", self.stack, self.cloud, self.environment)
        }
    }

    /// [`StateTarget::path`] under an optional prefix.
    fn prefixed_path(&self, prefix: Option<&str>) -> String {
        match prefix {
            Some(prefix) => format!("{prefix}/{}", self.path()),
            None => self.path(),
        }
    }

    /// The key of the state object of S3 and azurerm:
    /// `[<prefix>/]<path>/terraform.tfstate`.
    fn state_key(&self, prefix: Option<&str>) -> String {
        format!("{}/{STATE_FILE}", self.prefixed_path(prefix))
    }
}

/// One problem with a declared backend, naming the setting at fault (the
/// builder method: `S3Backend::bucket` is `bucket`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateError {
    /// An error stops the synth; a warning is printed.
    pub severity: Severity,
    /// The backend's type as written in code: `S3Backend`.
    pub backend: &'static str,
    /// The setting: `bucket`, `storage_account`, `kms_key_id`...
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
    /// A corrected value that passes the check, when one can be derived
    /// from the value given (also in `hint`).
    pub suggestion: Option<String>,
}

impl StateError {
    fn error(backend: &'static str, field: &'static str, message: String, hint: &str) -> Self {
        StateError {
            severity: Severity::Error,
            backend,
            field,
            message,
            hint: hint.to_string(),
            suggestion: None,
        }
    }

    fn warning(backend: &'static str, field: &'static str, message: String, hint: &str) -> Self {
        StateError {
            severity: Severity::Warning,
            ..StateError::error(backend, field, message, hint)
        }
    }

    /// Adds `suggestion` (when it passes `valid`) to the hint.
    fn suggest(mut self, suggestion: Option<String>, valid: impl Fn(&str) -> bool) -> Self {
        if let Some(suggestion) = suggestion.filter(|s| valid(s)) {
            self.hint = format!("{}, such as `{suggestion}`", self.hint);
            self.suggestion = Some(suggestion);
        }
        self
    }

    /// Whether this stops the synth.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{level}: {}, field `{}`: {}\n  help: {}",
            self.backend, self.field, self.message, self.hint
        )
    }
}

impl std::error::Error for StateError {}

impl StateBackend {
    /// Local state (see [`StateBackend::Local`]).
    pub fn local() -> Self {
        StateBackend::Local
    }

    /// Whether the state stays in the output directory.
    pub fn is_local(&self) -> bool {
        matches!(self, StateBackend::Local)
    }

    /// The backend's type in Terraform: `local`, `s3`, `gcs`, `azurerm`.
    pub fn backend_type(&self) -> &'static str {
        match self {
            StateBackend::Local => "local",
            StateBackend::S3(_) => "s3",
            StateBackend::Gcs(_) => "gcs",
            StateBackend::Azurerm(_) => "azurerm",
        }
    }

    /// The cloud whose storage this backend writes into (the bootstrap is
    /// made of that cloud's builders and checked by its policies); `None` for
    /// local state.
    pub fn storage_cloud(&self) -> Option<Cloud> {
        match self {
            StateBackend::Local => None,
            StateBackend::S3(_) => Some(Cloud::Aws),
            StateBackend::Gcs(_) => Some(Cloud::Gcp),
            StateBackend::Azurerm(_) => Some(Cloud::Azure),
        }
    }

    /// Every problem of the settings, errors and warnings, each naming its
    /// field (empty when all is well).
    pub fn check(&self) -> Vec<StateError> {
        match self {
            StateBackend::Local => Vec::new(),
            StateBackend::S3(b) => b.check(),
            StateBackend::Gcs(b) => b.check(),
            StateBackend::Azurerm(b) => b.check(),
        }
    }

    /// The backend block for `target`'s state, with the key derived from
    /// [`StateTarget::path`] and the Terraform version its settings need.
    ///
    /// # Errors
    ///
    /// Every problem found by [`StateBackend::check`] when one of them is an
    /// error (warnings alone do not stop it).
    pub fn backend(&self, target: &StateTarget<'_>) -> Result<Backend, Vec<StateError>> {
        let problems = self.check();
        if problems.iter().any(StateError::is_error) {
            return Err(problems);
        }
        Ok(match self {
            StateBackend::Local => Backend::local(),
            StateBackend::S3(b) => b.block(target),
            StateBackend::Gcs(b) => b.block(target),
            StateBackend::Azurerm(b) => b.block(target),
        })
    }

    /// Sets `target`'s backend on `stack`, recording every problem as a
    /// diagnostic on the stack (resource: the backend type, field: the
    /// setting), so one synth reports them with everything else.
    pub fn apply(&self, stack: &mut Stack, target: &StateTarget<'_>) {
        record(stack, &self.check());
        if let Ok(backend) = self.backend(target) {
            // Local state needs no block: it is what Terraform does without
            // one, and leaving it out keeps such documents as they were.
            if !backend.is_local() {
                stack.set_backend(backend);
            }
        }
    }

    /// Where the state goes, in one line: `s3://bucket/key`,
    /// `gs://bucket/prefix/`, `azurerm: account/container/key`, or
    /// `local (terraform.tfstate in the output directory)`.
    pub fn describe(&self, target: &StateTarget<'_>) -> String {
        match self {
            StateBackend::Local => format!("local ({STATE_FILE} in the output directory)"),
            StateBackend::S3(b) => format!("s3://{}/{}", b.bucket_name(), b.key(target)),
            StateBackend::Gcs(b) => format!("gs://{}/{}/", b.bucket_name(), b.prefix(target)),
            StateBackend::Azurerm(b) => format!(
                "azurerm: storage account {}, container {}, blob {}",
                b.storage_account_name(),
                b.container_name(),
                b.key(target)
            ),
        }
    }

    /// The storage this backend writes into, as one comparable string
    /// (`s3://bucket`, `gs://bucket`, `azurerm://account/container`); `None`
    /// for local state. Two backends naming the same storage share one
    /// bootstrap.
    pub fn storage(&self) -> Option<String> {
        match self {
            StateBackend::Local => None,
            StateBackend::S3(b) => Some(format!("s3://{}", b.bucket_name())),
            StateBackend::Gcs(b) => Some(format!("gs://{}", b.bucket_name())),
            StateBackend::Azurerm(b) => Some(format!(
                "azurerm://{}/{}",
                b.storage_account_name(),
                b.container_name()
            )),
        }
    }

    /// The bootstrap stack: the storage this backend needs, created with the
    /// cloud's builders (versioned, encrypted, private, TLS only, protected
    /// from `destroy`), with its own state local unless `remote_state`, in
    /// which case it is kept in the storage it creates (after a first apply
    /// with local state and `terraform init -migrate-state`).
    ///
    /// # Errors
    ///
    /// `None` for local state, which needs no storage.
    pub fn bootstrap(&self, target: &StateTarget<'_>, remote_state: bool) -> Option<Stack> {
        if self.is_local() {
            return None;
        }
        let target = target.for_bootstrap();
        let name = format!("{}-bootstrap-{}", target.stack, target.environment);
        let mut stack = Stack::new(&name).with_environment(target.environment);
        let problems = self.check();
        record(&mut stack, &problems);
        if problems.iter().any(StateError::is_error) {
            // The builders would report the same bad names again under
            // their own resources; one report, naming the user's field, is
            // enough (the stack never synthesizes).
            return Some(stack);
        }
        for (key, value) in [
            ("Project", target.stack),
            ("Environment", target.environment.as_str()),
            ("ManagedBy", "infrasynth"),
            ("Purpose", "terraform-state"),
        ] {
            stack.default_tag(key, value);
        }
        match self {
            StateBackend::Local => {}
            StateBackend::S3(b) => b.bootstrap(&target, &mut stack),
            StateBackend::Gcs(b) => b.bootstrap(&target, &mut stack),
            StateBackend::Azurerm(b) => b.bootstrap(&target, &mut stack),
        }
        if remote_state {
            if let Ok(backend) = self.backend(&target) {
                stack.set_backend(backend);
            }
        }
        Some(stack)
    }
}

/// Records `problems` on `stack` as diagnostics.
fn record(stack: &mut Stack, problems: &[StateError]) {
    for problem in problems {
        let message = problem.message.as_str();
        match problem.severity {
            Severity::Error => stack.error(problem.backend, problem.field, message, &problem.hint),
            Severity::Warning => {
                stack.warning(problem.backend, problem.field, message, &problem.hint)
            }
        }
    }
}

/// Problems of a key prefix (the part before `<stack>/<cloud>/<env>`): S3,
/// GCS and blob keys are `/`-separated paths, and an empty segment or a
/// character outside the portable set makes a key that tools and consoles
/// show differently from what Terraform wrote.
fn key_prefix_problem(prefix: &str) -> Option<&'static str> {
    if prefix.is_empty() {
        return Some("is empty; leave it unset for keys that start with the stack's name");
    }
    if prefix.starts_with('/') || prefix.ends_with('/') || prefix.contains("//") {
        return Some("has an empty path segment (a leading, trailing or double `/`)");
    }
    if !prefix
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
    {
        return Some("may only hold letters, digits, `-`, `_`, `.` and `/`");
    }
    if prefix
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return Some("has a `.` or `..` segment");
    }
    None
}

/// The key prefix's error, if it has one.
fn check_key_prefix(backend: &'static str, prefix: Option<&str>) -> Option<StateError> {
    let prefix = prefix?;
    let problem = key_prefix_problem(prefix)?;
    let suggestion: String = prefix
        .split('/')
        .filter(|s| !s.is_empty() && *s != "." && *s != "..")
        .map(|segment| {
            segment
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                        c
                    } else {
                        '-'
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("/");
    Some(
        StateError::error(
            backend,
            "key_prefix",
            format!("key prefix `{prefix}` {problem}"),
            "use `/`-separated segments of letters, digits, `-`, `_` and `.`",
        )
        .suggest(Some(suggestion), |s| key_prefix_problem(s).is_none()),
    )
}

/// `text` lowercased, with every character outside `keep` replaced by `-`,
/// runs of `-` collapsed, and `-` trimmed from both ends: the usual repair of
/// a name written with capitals, `_` or spaces.
fn dashed(text: &str, keep: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().map(|c| c.to_ascii_lowercase()) {
        let c = if keep(c) { c } else { '-' };
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    out.trim_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_output_directories() {
        let regions = Regions::default();
        let target = StateTarget::new("shop", Cloud::Gcp, Environment::STAGING, &regions);
        assert_eq!(target.path(), "shop/gcp/staging");
        assert_eq!(target.for_bootstrap().path(), "shop/bootstrap/gcp/staging");
        assert_eq!(
            target.prefixed_path(Some("team-a")),
            "team-a/shop/gcp/staging"
        );
    }

    #[test]
    fn key_prefixes_are_checked_and_repaired() {
        for bad in ["", "/team", "team/", "a//b", "team a", "a/../b"] {
            let error = check_key_prefix("S3Backend", Some(bad)).expect(bad);
            assert_eq!(error.field, "key_prefix");
            if let Some(fixed) = &error.suggestion {
                assert!(key_prefix_problem(fixed).is_none(), "{bad} -> {fixed}");
            }
        }
        assert!(check_key_prefix("S3Backend", Some("team-a/infra")).is_none());
        assert!(check_key_prefix("S3Backend", None).is_none());
    }

    #[test]
    fn a_bad_name_is_reported_once_by_the_bootstrap() {
        let regions = Regions::default();
        let target = StateTarget::new("shop", Cloud::Aws, Environment::PRODUCTION, &regions);
        let stack = StateBackend::S3(S3Backend::new("Bad_Bucket"))
            .bootstrap(&target, false)
            .expect("a remote backend");
        let errors: Vec<String> = stack
            .diagnostics()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].contains("resource `S3Backend`, field `bucket`"),
            "{errors:?}"
        );
        assert!(stack.blocks().is_empty());
    }

    #[test]
    fn local_state_writes_no_block_and_has_no_bootstrap() {
        let regions = Regions::default();
        let target = StateTarget::new("shop", Cloud::Aws, Environment::DEV, &regions);
        let mut stack = Stack::new("t");
        StateBackend::Local.apply(&mut stack, &target);
        assert!(stack.backend().is_none());
        assert!(StateBackend::Local.bootstrap(&target, false).is_none());
        assert_eq!(StateBackend::default(), StateBackend::Local);
        assert_eq!(StateBackend::Local.storage(), None);
    }

    #[test]
    fn dashed_repairs_names() {
        assert_eq!(
            dashed("My_State  Bucket-", |c| c.is_ascii_lowercase()),
            "my-state-bucket"
        );
    }
}
