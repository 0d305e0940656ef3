//! [`StackDefinition`]: one named stack of a program, described once per
//! environment and realized on any cloud, plus the user's own additions.

use std::fmt;
use std::sync::Arc;

use crate::core::diagnostics::{Diagnostics, InvalidValue};
use crate::core::environment::{Cloud, Environment};
use crate::core::stack::Stack;
use crate::core::synth::Synthesized;
use crate::helm::HelmSettings;
use crate::platform::{Platform, Realized};

type PlatformFn = dyn Fn(Environment) -> Platform + Send + Sync;
type CustomizeFn = dyn Fn(&mut Customize<'_>) + Send + Sync;
type HelmFn = dyn Fn(Environment, Cloud) -> HelmSettings + Send + Sync;

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
}

impl fmt::Debug for StackDefinition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StackDefinition")
            .field("name", &self.name)
            .field("description", &self.description)
            .field("customize_hooks", &self.customize.len())
            .field("helm", &self.helm.is_some())
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
        }
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
        let (platform, stack) = self.realize(cloud, env);
        super::finish(&platform, cloud, &stack, &self.helm_settings(env, cloud))
    }

    /// Realizes the platform for `cloud` and `env` and runs the customize
    /// hooks, without checking or rendering: the stack as `synth` would
    /// check it, for tools that read its blocks (such as `graph`). Problems
    /// are recorded on the stack's diagnostics.
    pub fn realize(&self, cloud: Cloud, env: Environment) -> (Platform, Stack) {
        let platform = self.platform(env);
        let (mut stack, realized) = crate::platform::realize(&platform, cloud);
        for hook in &self.customize {
            hook(&mut Customize {
                cloud,
                environment: env,
                platform: &platform,
                stack: &mut stack,
                realized: &realized,
            });
        }
        (platform, stack)
    }
}
