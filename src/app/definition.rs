//! [`StackDefinition`]: one named stack of a program, described once per
//! environment and realized on any cloud, plus the user's own additions.

use std::fmt;
use std::sync::Arc;

use crate::core::backend::{local_backend_override, LOCAL_BACKEND_OVERRIDE};
use crate::core::calendar::Date;
use crate::core::context::Context;
use crate::core::diagnostics::{Diagnostics, InvalidValue, Severity};
use crate::core::environment::{Cloud, Environment};
use crate::core::stack::Stack;
use crate::core::synth::Synthesized;
use crate::helm::HelmSettings;
use crate::platform::facts::CloudFacts;
use crate::platform::{Platform, Realized, Regions};
use crate::state::{StateBackend, StateTarget};

type PlatformFn = dyn Fn(Environment) -> Platform + Send + Sync;
type CustomizeFn = dyn Fn(&mut Customize<'_>) + Send + Sync;
type HelmFn = dyn Fn(Environment, Cloud) -> HelmSettings + Send + Sync;
type StateFn = dyn Fn(Environment, Cloud) -> StateBackend + Send + Sync;

/// How a synth writes its files, beyond the stack itself.
///
/// ```
/// use infrasynth::app::SynthOptions;
/// let options = SynthOptions::new().with_local_backend(true);
/// assert!(options.local_backend);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct SynthOptions {
    /// Also write `backend_override.tf.json`, which replaces a remote backend
    /// with local state, so `terraform init`, `validate` and `plan` run
    /// without cloud credentials (CI checks). `main.tf.json` is unchanged:
    /// what is checked is what is applied. Never apply from such a
    /// directory: its state would be local and empty.
    pub local_backend: bool,
    /// Which syntax the Terraform document is written in.
    pub format: DocumentFormat,
    /// The context file's facts (`lookup`), of which each synth takes the
    /// entry of its `<stack>/<cloud>/<env>`; `None`, or no entry, uses the
    /// built-in tables.
    pub context: Option<Arc<Context>>,
}

/// The syntax of the Terraform document a synth writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DocumentFormat {
    /// `main.tf.json`, Terraform's JSON syntax (the default).
    #[default]
    Json,
    /// `main.tf`, HCL native syntax, converted from the JSON document (see
    /// `app::to_hcl`; needs the `hcl` feature, on with `cli`). Instead of
    /// `main.tf.json`, never beside it: Terraform would read both and declare
    /// everything twice; the output manifest removes the other one.
    Hcl,
}

impl SynthOptions {
    /// The defaults: the document as declared, nothing else.
    pub fn new() -> Self {
        SynthOptions::default()
    }

    /// Sets [`SynthOptions::local_backend`].
    pub fn with_local_backend(mut self, on: bool) -> Self {
        self.local_backend = on;
        self
    }

    /// Sets [`SynthOptions::format`].
    pub fn with_format(mut self, format: DocumentFormat) -> Self {
        self.format = format;
        self
    }

    /// Sets [`SynthOptions::context`].
    pub fn with_context(mut self, context: Option<Arc<Context>>) -> Self {
        self.context = context;
        self
    }
}

/// What a customize hook receives: the realized stack to add to or override,
/// and what it was realized from.
///
/// Hooks run after the platform is realized and before policies, the graph
/// check and rendering, so what they add or change is checked like the rest.
pub struct Customize<'a> {
    /// The cloud being synthesized.
    pub cloud: Cloud,
    /// The environment being synthesized.
    pub environment: Environment,
    /// The platform as the stack's platform function described it.
    pub platform: &'a Platform,
    /// The realized stack: add resources with the cloud's builders
    /// (`stack.add(...)`), override any attribute with `stack.set_raw`.
    pub stack: &'a mut Stack,
    /// Typed handles to everything the platform created on this cloud: the
    /// network, cluster, database, cache, each bucket by spec name, each
    /// workload's identity by workload name, the keys. Use
    /// `realized.aws()` / `gcp()` / `azure()` for the cloud's own handles.
    pub realized: &'a Realized,
}

/// One named stack a program can synthesize: a [`Platform`] per environment,
/// realized on any cloud, plus optional hooks that add to or override the
/// realized stack.
///
/// The platform function and hooks are closures, so configuration can be
/// captured from anywhere (a parsed file, a struct, the environment).
///
/// ```
/// use infrasynth::app::StackDefinition;
/// use infrasynth::platform::Platform;
///
/// let project = String::from("shop");
/// let stack = StackDefinition::new("shop", move |env| Platform::new(&project, env))
///     .description("the web shop")
///     .customize(|ctx| {
///         if ctx.environment.is_production() {
///             ctx.stack.default_tag("Compliance", "pci");
///         }
///     });
/// assert_eq!(stack.name(), "shop");
/// ```
#[derive(Clone)]
pub struct StackDefinition {
    name: String,
    description: String,
    platform: Arc<PlatformFn>,
    customize: Vec<Arc<CustomizeFn>>,
    helm: Option<Arc<HelmFn>>,
    state: Option<Arc<StateFn>>,
    support_date: Option<Date>,
}

impl fmt::Debug for StackDefinition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StackDefinition")
            .field("name", &self.name)
            .field("description", &self.description)
            .field("customize_hooks", &self.customize.len())
            .field("helm", &self.helm.is_some())
            .field("state", &self.state.is_some())
            .field("support_date", &self.support_date)
            .finish_non_exhaustive()
    }
}

impl StackDefinition {
    /// A stack named `name` (lowercase letters, digits and `-`; it names the
    /// output directory `out/<name>/<cloud>/<env>/` and `--stack <name>`)
    /// whose platform in each environment `platform` describes.
    pub fn new(
        name: impl Into<String>,
        platform: impl Fn(Environment) -> Platform + Send + Sync + 'static,
    ) -> Self {
        StackDefinition {
            name: name.into(),
            description: String::new(),
            platform: Arc::new(platform),
            customize: Vec::new(),
            helm: None,
            state: None,
            support_date: None,
        }
    }

    /// Judges the versions of this stack's clusters and databases on `day`
    /// instead of today (see [`super::support_date`]): what a test sets so
    /// its result does not change as support windows close.
    pub fn support_date(mut self, day: Date) -> Self {
        self.support_date = Some(day);
        self
    }

    /// One line shown by `list`.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// Adds a hook that runs after the platform is realized, on every cloud
    /// and environment; hooks run in the order they were added. Match on
    /// `ctx.cloud` to use one cloud's builders.
    pub fn customize(mut self, hook: impl Fn(&mut Customize<'_>) + Send + Sync + 'static) -> Self {
        self.customize.push(Arc::new(hook));
        self
    }

    /// Sets the Helm settings per environment: image registry, release,
    /// domain, ACME contact, and how each chart is produced (see
    /// `docs/helm.md`). Without them the stack gets [`HelmSettings::new`],
    /// which has nothing set.
    pub fn helm(
        mut self,
        settings: impl Fn(Environment) -> HelmSettings + Send + Sync + 'static,
    ) -> Self {
        self.helm = Some(Arc::new(move |env, _cloud| settings(env)));
        self
    }

    /// Like [`StackDefinition::helm`], for settings that differ per cloud as
    /// well: a variable filled from an output that a customize hook declares
    /// on one cloud only, an image registry per cloud.
    pub fn helm_per_cloud(
        mut self,
        settings: impl Fn(Environment, Cloud) -> HelmSettings + Send + Sync + 'static,
    ) -> Self {
        self.helm = Some(Arc::new(settings));
        self
    }

    /// The Helm settings in `env` on `cloud`.
    pub fn helm_settings(&self, env: Environment, cloud: Cloud) -> HelmSettings {
        self.helm
            .as_ref()
            .map(|helm| helm(env, cloud))
            .unwrap_or_default()
            .with_stack_name(self.name())
    }

    /// Sets where the stack keeps its Terraform state in each environment
    /// and on each cloud: [`StateBackend::Local`] for throw-away
    /// environments, an S3, GCS or azurerm backend for the rest. The place of
    /// the state in that storage is derived from `<stack>/<cloud>/<env>`
    /// (see [`StateTarget::path`]), so it is never written by hand and no two
    /// stacks or environments share it. Without this the state is local
    /// everywhere.
    ///
    /// ```
    /// use infrasynth::app::StackDefinition;
    /// use infrasynth::platform::Platform;
    /// use infrasynth::state::{GcsBackend, S3Backend, StateBackend};
    /// use infrasynth::Cloud;
    ///
    /// let stack = StackDefinition::new("shop", |env| Platform::new("shop", env)).state(|env, cloud| {
    ///     if env.is_development() {
    ///         return StateBackend::Local;
    ///     }
    ///     match cloud {
    ///         Cloud::Gcp => GcsBackend::new(format!("acme-tfstate-{env}")).into(),
    ///         _ => S3Backend::new(format!("acme-tfstate-{env}")).kms_key_id("alias/acme-tfstate").into(),
    ///     }
    /// });
    /// # let _ = stack;
    /// ```
    pub fn state(
        mut self,
        backend: impl Fn(Environment, Cloud) -> StateBackend + Send + Sync + 'static,
    ) -> Self {
        self.state = Some(Arc::new(backend));
        self
    }

    /// The state backend in `env` on `cloud` (local when none is declared).
    pub fn state_backend(&self, env: Environment, cloud: Cloud) -> StateBackend {
        self.state
            .as_ref()
            .map(|state| state(env, cloud))
            .unwrap_or_default()
    }

    /// What this stack's state in `env` on `cloud` belongs to, for
    /// [`StateBackend::backend`] and [`StateBackend::describe`].
    pub fn state_target<'a>(
        &'a self,
        cloud: Cloud,
        env: Environment,
        regions: &'a Regions,
    ) -> StateTarget<'a> {
        StateTarget::new(self.name(), cloud, env, regions)
    }

    /// The stack's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The one-line description (empty when none was given).
    pub fn about(&self) -> &str {
        &self.description
    }

    /// The platform this stack describes for `env`, with the regions `env`
    /// declares (see [`Environment::with_region`]) taking precedence over the
    /// platform's own.
    pub fn platform(&self, env: Environment) -> Platform {
        let mut platform = (self.platform)(env);
        platform.environment = env;
        if let Some(region) = env.region(Cloud::Aws) {
            platform.regions.aws = region.to_string();
        }
        if let Some(region) = env.region(Cloud::Gcp) {
            platform.regions.gcp = region.to_string();
        }
        if let Some(region) = env.region(Cloud::Azure) {
            platform.regions.azure = region.to_string();
        }
        platform
    }

    /// Checks the name: 1-32 lowercase letters, digits and `-`, starting with
    /// a letter (it becomes a directory name and a command-line word).
    ///
    /// # Errors
    ///
    /// [`InvalidValue`] naming the rule, when the name breaks it.
    pub fn check_name(&self) -> Result<(), InvalidValue> {
        let name = &self.name;
        let valid = !name.is_empty()
            && name.len() <= 32
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if valid {
            Ok(())
        } else {
            Err(InvalidValue::new(format!(
                "invalid stack name `{name}`: use 1-32 lowercase letters, digits and `-`, starting with a letter"
            )))
        }
    }

    /// Realizes, customizes, checks and renders the stack for `cloud` and
    /// `env`, without writing anything.
    ///
    /// # Errors
    ///
    /// Every error found (with the warnings), each naming the stack, the
    /// resource or platform field and a fix.
    pub fn synthesize(&self, cloud: Cloud, env: Environment) -> Result<Synthesized, Diagnostics> {
        self.synthesize_with(cloud, env, &SynthOptions::default())
    }

    /// [`StackDefinition::synthesize`] with `options` (such as the local
    /// backend override for credential-free checks).
    ///
    /// # Errors
    ///
    /// As [`StackDefinition::synthesize`], including every problem of the
    /// declared state backend (naming its field).
    pub fn synthesize_with(
        &self,
        cloud: Cloud,
        env: Environment,
        options: &SynthOptions,
    ) -> Result<Synthesized, Diagnostics> {
        let (platform, stack) = self.realize_in(cloud, env, options.context.as_deref());
        let mut synthesized =
            super::finish(&platform, cloud, &stack, &self.helm_settings(env, cloud))?;
        if options.local_backend && stack.backend().is_some_and(|b| !b.is_local()) {
            synthesized.insert_file(LOCAL_BACKEND_OVERRIDE, local_backend_override());
        }
        if options.format == DocumentFormat::Hcl {
            self.as_hcl(&stack, &mut synthesized)?;
        }
        Ok(synthesized)
    }

    /// Replaces `main.tf.json` with `main.tf`.
    #[cfg(feature = "hcl")]
    fn as_hcl(&self, stack: &Stack, synthesized: &mut Synthesized) -> Result<(), Diagnostics> {
        match super::hcl::to_hcl(synthesized.main_tf_json()) {
            Ok(text) => {
                synthesized.remove_file(crate::core::synth::MAIN_FILE);
                synthesized.insert_file(super::hcl::HCL_FILE, text.into_bytes());
                Ok(())
            }
            Err(error) => {
                let mut diagnostics = Diagnostics::new();
                diagnostics.push(stack.diagnostic(
                    Severity::Error,
                    "main.tf",
                    "format",
                    error.to_string(),
                    "synthesize without --format hcl (main.tf.json) and report the document",
                ));
                Err(diagnostics)
            }
        }
    }

    /// Without the `hcl` feature there is no HCL writer.
    #[cfg(not(feature = "hcl"))]
    fn as_hcl(&self, stack: &Stack, _: &mut Synthesized) -> Result<(), Diagnostics> {
        let mut diagnostics = Diagnostics::new();
        diagnostics.push(stack.diagnostic(
            Severity::Error,
            "main.tf",
            "format",
            "this build has no HCL writer",
            "enable infrasynth's `hcl` feature (on with the default `cli`)",
        ));
        Err(diagnostics)
    }

    /// Realizes the platform for `cloud` and `env`, sets the declared state
    /// backend and runs the customize hooks, without checking or rendering:
    /// the stack as `synth` would check it, for tools that read its blocks
    /// (such as `graph`). Problems are recorded on the stack's diagnostics.
    pub fn realize(&self, cloud: Cloud, env: Environment) -> (Platform, Stack) {
        self.realize_in(cloud, env, None)
    }

    /// [`StackDefinition::realize`] with the facts `context` holds for this
    /// stack on `cloud` in `env` (`lookup`): on the stack before the
    /// builders run, and every node pool checked against them after the
    /// customize hooks ([`crate::platform::facts::check`]). An entry that
    /// does not read is the stack's error, naming the context file's key.
    pub fn realize_in(
        &self,
        cloud: Cloud,
        env: Environment,
        context: Option<&Context>,
    ) -> (Platform, Stack) {
        let platform = self.platform(env);
        // The one place a synth learns the day it judges versions on; a bad
        // SOURCE_DATE_EPOCH is the stack's error, so it never synthesizes.
        let day = self.support_date.map_or_else(super::support_date, Ok);
        let key = Context::key(self.name(), cloud, env);
        let facts = context.map(|c| CloudFacts::from_context(c, &key, cloud));
        let (mut stack, realized) = crate::platform::realize_with(
            &platform,
            cloud,
            day.as_ref().ok().copied(),
            facts
                .as_ref()
                .and_then(|f| f.as_ref().ok())
                .and_then(Option::as_ref),
        );
        if let Some(Err(problem)) = facts {
            stack.error(
                "context",
                &key,
                &problem,
                "run `lookup` for this stack, cloud and environment with --refresh",
            );
        }
        if let Err(problem) = day {
            stack.error(
                "app",
                super::SOURCE_DATE_EPOCH,
                &problem.message,
                "unset it, or set it to the seconds since 1970-01-01 of the day to judge versions on",
            );
        }
        // Before the hooks, so a hook sees (and may deliberately replace) it.
        self.state_backend(env, cloud).apply(
            &mut stack,
            &self.state_target(cloud, env, &platform.regions),
        );
        for hook in &self.customize {
            hook(&mut Customize {
                cloud,
                environment: env,
                platform: &platform,
                stack: &mut stack,
                realized: &realized,
            });
        }
        crate::platform::facts::check(&mut stack);
        (platform, stack)
    }

    /// The bootstrap of this stack's state storage in `env` on `cloud`:
    /// the bucket or storage account its backend names, created with the
    /// cloud's builders and checked by that cloud's policies. Its own state
    /// is local, or with `remote_state` in the storage it creates (for after
    /// its first apply: `terraform init -migrate-state` moves it there).
    ///
    /// # Errors
    ///
    /// An error naming `state` when the stack keeps its state locally there
    /// (nothing to bootstrap); every problem of the backend's settings and
    /// every policy finding otherwise.
    pub fn bootstrap(
        &self,
        cloud: Cloud,
        env: Environment,
        remote_state: bool,
    ) -> Result<Synthesized, Diagnostics> {
        let platform = self.platform(env);
        let backend = self.state_backend(env, cloud);
        let target = self.state_target(cloud, env, &platform.regions);
        let (Some(stack), Some(storage_cloud)) = (
            backend.bootstrap(&target, remote_state),
            backend.storage_cloud(),
        ) else {
            let mut diagnostics = Diagnostics::new();
            diagnostics.push(crate::core::diagnostics::Diagnostic {
                severity: Severity::Error,
                stack: self.name().to_string(),
                resource: "StackDefinition".to_string(),
                field: "state".to_string(),
                message: format!(
                    "`{}` keeps its state locally in {env} on {cloud}: there is no storage to bootstrap",
                    self.name()
                ),
                hint: "declare a remote backend for this environment with StackDefinition::state (see docs/operations.md)".to_string(),
                fix: None,
            });
            return Err(diagnostics);
        };
        let policies = crate::policy::for_cloud(storage_cloud);
        let policies: Vec<&dyn crate::core::policy::Policy> =
            policies.iter().map(|p| p.as_ref()).collect();
        stack.synth_with(&policies)
    }
}
