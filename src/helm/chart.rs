//! Values of charts the library does not know: a typed hook per chart that
//! gets the [`HelmContext`] and returns any serializable model.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::Serialize;

use super::error::{HelmError, HelmErrors};
use super::placeholder::{self, ValuesYaml};
use super::settings::HelmSettings;
use super::workloads::{self, AppValues, Image, Workload, WorkloadRoute};
use crate::core::environment::{Cloud, Environment};
use crate::platform::Platform;

/// What a chart values hook sees: the platform, the cloud, the settings and
/// the workload model the library derived from the platform's workloads.
///
/// Build one yourself to test a hook:
///
/// ```
/// use infrasynth::helm::{HelmContext, HelmSettings};
/// use infrasynth::platform::Platform;
/// use infrasynth::{Cloud, Environment};
/// let platform = Platform::new("shop", Environment::DEV);
/// let settings = HelmSettings::new().with_image_registry("ghcr.io/shop");
/// let ctx = HelmContext::new(&platform, Cloud::Gcp, &settings).unwrap();
/// assert_eq!(ctx.image("api").unwrap().repository, "ghcr.io/shop/api");
/// ```
#[derive(Debug)]
pub struct HelmContext<'a> {
    platform: &'a Platform,
    cloud: Cloud,
    settings: &'a HelmSettings,
    app: AppValues,
}

impl<'a> HelmContext<'a> {
    /// Derives the workload model of `platform` on `cloud` with `settings`.
    ///
    /// # Errors
    ///
    /// Workload settings that do not fit the platform (an unknown workload,
    /// database or node pool), or a public workload without a domain outside
    /// the development tier.
    pub fn new(
        platform: &'a Platform,
        cloud: Cloud,
        settings: &'a HelmSettings,
    ) -> Result<Self, HelmErrors> {
        let app = workloads::derive(platform, cloud, settings)?;
        Ok(HelmContext {
            platform,
            cloud,
            settings,
            app,
        })
    }

    /// The platform.
    pub fn platform(&self) -> &'a Platform {
        self.platform
    }

    /// The cloud the values are for.
    pub fn cloud(&self) -> Cloud {
        self.cloud
    }

    /// The platform's environment.
    pub fn environment(&self) -> Environment {
        self.platform.environment
    }

    /// The settings.
    pub fn settings(&self) -> &'a HelmSettings {
        self.settings
    }

    /// The workload model: what the generic app chart's values hold (every
    /// platform workload with its identity, wiring, image and placement, plus
    /// the shared connection settings).
    pub fn app(&self) -> &AppValues {
        &self.app
    }

    /// The platform workload `name` in the model.
    pub fn workload(&self, name: &str) -> Option<&Workload> {
        self.app.workloads.get(name)
    }

    /// The HTTPRoute settings of the public host `prefix` (see
    /// [`HelmContext::public_host`]).
    ///
    /// # Errors
    ///
    /// As [`HelmContext::public_host`].
    pub fn route(&self, prefix: &str) -> Result<WorkloadRoute, HelmError> {
        Ok(WorkloadRoute::for_host(prefix, self.public_host(prefix)?))
    }

    /// The image `<registry>/<name>` at this environment's tag (`latest` in
    /// the development tier, the release elsewhere).
    ///
    /// # Errors
    ///
    /// [`HelmError::MissingSetting`] without an image registry, or without a
    /// release outside the development tier; [`HelmError::UnpinnedRelease`]
    /// for `latest` outside it.
    pub fn image(&self, name: &str) -> Result<Image, HelmError> {
        workloads::image(self.platform.environment, self.settings, name)
    }

    /// The public host `<prefix>.<domain>` (production tier) or
    /// `<prefix>.<env>.<domain>`; `None` in the development tier without a
    /// domain (the route stays off). The prefix must be one the Gateway has
    /// a listener for: a workload's public host, Grafana's, or one declared
    /// with [`HelmSettings::with_public_host`].
    ///
    /// # Errors
    ///
    /// [`HelmError::UndeclaredPublicHost`] for any other prefix;
    /// [`HelmError::MissingSetting`] for the domain outside the development
    /// tier.
    pub fn public_host(&self, prefix: &str) -> Result<Option<String>, HelmError> {
        if !self.settings.is_public_host(self.platform, prefix) {
            return Err(HelmError::UndeclaredPublicHost {
                prefix: prefix.to_string(),
            });
        }
        workloads::public_host(
            self.platform.environment,
            self.settings,
            prefix,
            &format!("public host `{prefix}`"),
        )
    }
}

/// A chart's values computed from the [`HelmContext`]: implement it for a
/// type of yours when the hook can fail or carries configuration; for a plain
/// closure use [`Chart::from_fn`] or [`HelmSettings::with_custom_chart`].
///
/// ```
/// use infrasynth::helm::{ChartValues, HelmContext, HelmError, FromOutput};
/// use infrasynth::platform::outputs;
///
/// #[derive(serde::Serialize)]
/// struct FeatureStore { redis_host: FromOutput, online_store: String }
///
/// struct FeatureStoreValues;
/// impl ChartValues for FeatureStoreValues {
///     type Values = FeatureStore;
///     fn values(&self, ctx: &HelmContext<'_>) -> Result<FeatureStore, HelmError> {
///         let trainer = ctx.workload("trainer")
///             .ok_or_else(|| HelmError::hook("the feature store needs the `trainer` workload"))?;
///         Ok(FeatureStore {
///             redis_host: FromOutput::string(outputs::REDIS_HOST),
///             online_store: trainer.service_account.name.clone(),
///         })
///     }
/// }
/// ```
pub trait ChartValues: Send + Sync + 'static {
    /// The chart's values document.
    type Values: Serialize;

    /// The values for the context's platform, cloud and environment.
    ///
    /// # Errors
    ///
    /// Whatever the hook refuses; [`HelmError::hook`] makes one.
    fn values(&self, ctx: &HelmContext<'_>) -> Result<Self::Values, HelmError>;
}

/// The object-safe side of [`ChartValues`], so charts of different value
/// types live in one list.
trait ErasedValues: Send + Sync {
    fn yaml(&self, ctx: &HelmContext<'_>) -> Result<ValuesYaml, HelmError>;
}

impl<T: ChartValues> ErasedValues for T {
    fn yaml(&self, ctx: &HelmContext<'_>) -> Result<ValuesYaml, HelmError> {
        let values = self.values(ctx)?;
        placeholder::to_yaml(&values).map_err(|e| HelmError::Serialize {
            chart: String::new(),
            message: e.to_string(),
        })
    }
}

struct FnValues<F, T>(F, PhantomData<fn() -> T>);

impl<F, T> ChartValues for FnValues<F, T>
where
    T: Serialize + 'static,
    F: Fn(&HelmContext<'_>) -> T + Send + Sync + 'static,
{
    type Values = T;

    fn values(&self, ctx: &HelmContext<'_>) -> Result<T, HelmError> {
        Ok((self.0)(ctx))
    }
}

/// A chart whose values a hook computes: its name (the values file is
/// `helm/<name>.values.yaml`), its source (shown in the file's header) and the
/// hook.
#[derive(Clone)]
pub struct Chart {
    name: String,
    source: String,
    values: Arc<dyn ErasedValues>,
}

impl Chart {
    /// A chart named `name` from `source` with the values of `values`.
    pub fn new(
        name: impl Into<String>,
        source: impl Into<String>,
        values: impl ChartValues,
    ) -> Self {
        Chart {
            name: name.into(),
            source: source.into(),
            values: Arc::new(values),
        }
    }

    /// A chart whose values a closure computes.
    ///
    /// ```
    /// use infrasynth::helm::{Chart, HelmContext};
    /// let chart = Chart::from_fn("feature-store", "oci://ghcr.io/acme/charts/feature-store", |ctx: &HelmContext<'_>| {
    ///     serde_json::json!({ "workloads": ctx.app().workloads.keys().collect::<Vec<_>>() })
    /// });
    /// assert_eq!(chart.name(), "feature-store");
    /// ```
    pub fn from_fn<T, F>(name: impl Into<String>, source: impl Into<String>, values: F) -> Self
    where
        T: Serialize + 'static,
        F: Fn(&HelmContext<'_>) -> T + Send + Sync + 'static,
    {
        Chart::new(name, source, FnValues(values, PhantomData))
    }

    /// The chart's name: the values file's stem.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where the chart comes from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Runs the hook and serializes its values (a template when they hold
    /// placeholders), without the file header.
    ///
    /// # Errors
    ///
    /// The hook's own error, or [`HelmError::Serialize`], naming this chart.
    pub fn values(&self, ctx: &HelmContext<'_>) -> Result<ValuesYaml, HelmError> {
        self.values.yaml(ctx).map_err(|e| e.in_chart(&self.name))
    }
}

impl fmt::Debug for Chart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chart")
            .field("name", &self.name)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// Whether `name` can be a Helm chart name and values file stem.
pub(crate) fn check_name(name: &str) -> Result<(), HelmError> {
    let valid = !name.is_empty()
        && name.len() <= 53
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if valid {
        Ok(())
    } else {
        Err(HelmError::InvalidChartName {
            chart: name.to_string(),
        })
    }
}
