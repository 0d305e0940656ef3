//! What can go wrong while producing Helm values at synth time.
//!
//! Every problem of one run is collected into [`HelmErrors`] before anything
//! is returned, so a user fixes all of them in one round trip.

use std::fmt;

use crate::core::environment::{Environment, Tier};

/// A setting of [`HelmSettings`](super::HelmSettings) that a chart or a
/// workload may need.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Setting {
    /// Where the platform's own images are pushed (`ghcr.io/acme`).
    ImageRegistry,
    /// The image tag staging and production run (`1.4.0`).
    Release,
    /// The DNS zone public hosts live under (`acme.io`).
    Domain,
    /// The Let's Encrypt account's e-mail contact.
    AcmeContact,
    /// How people call the platform (Grafana folder and dashboard title).
    DisplayName,
    /// Where the generic app chart comes from.
    AppChartSource,
}

impl Setting {
    /// The setting's name in messages: `image_registry`, `acme_contact`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Setting::ImageRegistry => "image_registry",
            Setting::Release => "release",
            Setting::Domain => "domain",
            Setting::AcmeContact => "acme_contact",
            Setting::DisplayName => "display_name",
            Setting::AppChartSource => "app_chart_source",
        }
    }

    /// The builder call that sets it, with an example argument, so an error
    /// can show the fix verbatim.
    pub fn setter(self) -> &'static str {
        match self {
            Setting::ImageRegistry => "HelmSettings::with_image_registry(\"ghcr.io/<org>\")",
            Setting::Release => "HelmSettings::with_release(\"1.2.3\")",
            Setting::Domain => "HelmSettings::with_domain(\"<your-zone>\")",
            Setting::AcmeContact => "HelmSettings::with_acme_contact(\"<team>@<your-domain>\")",
            Setting::DisplayName => "HelmSettings::with_display_name(\"<name>\")",
            Setting::AppChartSource => {
                "HelmSettings::with_app_chart_source(\"<path or repo/chart>\")"
            }
        }
    }
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem with the Helm settings, the platform's workloads as the charts
/// see them, or a chart's values.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HelmError {
    /// Something that is on needs a setting the environment's settings lack.
    MissingSetting {
        /// The setting.
        setting: Setting,
        /// What needs it: `chart cert-manager`, `workload api (public)`.
        needed_by: String,
        /// The environment synthesized.
        environment: String,
        /// Its tier.
        tier: Tier,
        /// The other way out, when there is one (turning the chart off).
        alternative: Option<&'static str>,
    },
    /// A setting is present but unusable.
    InvalidSetting {
        /// The setting.
        setting: Setting,
        /// Its value.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Staging or production would run a moving image tag.
    UnpinnedRelease {
        /// The release set (`latest`).
        release: String,
        /// The environment synthesized.
        environment: String,
        /// Its tier.
        tier: Tier,
    },
    /// Workload settings name a workload the platform does not declare.
    UnknownWorkload {
        /// The name in the settings.
        workload: String,
        /// The platform's workloads.
        declared: Vec<String>,
    },
    /// A workload's settings name a database the platform does not create.
    UnknownDatabase {
        /// The workload.
        workload: String,
        /// The database named.
        database: String,
        /// The databases the platform spec grants the workload
        /// (`WorkloadSpec::databases`).
        declared: Vec<String>,
    },
    /// A workload's own environment variable would replace one infrasynth
    /// sets from the platform (`BUCKET_*`, `DATABASE_NAME`).
    ReservedEnv {
        /// The workload.
        workload: String,
        /// The variable.
        name: String,
    },
    /// A workload is placed on a node pool the platform does not declare.
    UnknownPool {
        /// The workload.
        workload: String,
        /// The pool named.
        pool: String,
        /// The platform's pools.
        declared: Vec<String>,
    },
    /// A chart name that cannot be a values file stem or a Helm chart name.
    InvalidChartName {
        /// The name.
        chart: String,
    },
    /// Two charts would write the same values file.
    DuplicateChart {
        /// The name both use.
        chart: String,
    },
    /// A chart's values do not serialize to YAML.
    Serialize {
        /// The chart.
        chart: String,
        /// What the serializer said.
        message: String,
    },
    /// A chart values hook refused to produce values (see [`HelmError::hook`]).
    Hook {
        /// The chart; filled in by the library when the hook leaves it empty.
        chart: String,
        /// What the hook said.
        message: String,
    },
}

impl HelmError {
    /// [`HelmError::MissingSetting`] for `setting`, needed by `needed_by` in
    /// `env`, with `alternative` as the other way out.
    pub fn missing(
        setting: Setting,
        needed_by: impl Into<String>,
        env: Environment,
        alternative: Option<&'static str>,
    ) -> Self {
        HelmError::MissingSetting {
            setting,
            needed_by: needed_by.into(),
            environment: env.as_str().to_string(),
            tier: env.tier(),
            alternative,
        }
    }

    /// [`HelmError::UnpinnedRelease`] for `release` in `env`.
    pub fn unpinned(release: impl Into<String>, env: Environment) -> Self {
        HelmError::UnpinnedRelease {
            release: release.into(),
            environment: env.as_str().to_string(),
            tier: env.tier(),
        }
    }

    /// An error for a [`ChartValues`](super::ChartValues) hook to return; the
    /// library adds the chart's name.
    pub fn hook(message: impl Into<String>) -> Self {
        HelmError::Hook {
            chart: String::new(),
            message: message.into(),
        }
    }

    /// What the error is about, as the field of a synth diagnostic:
    /// `settings.acme_contact`, `workloads.api`, `charts.mlops`.
    pub fn field(&self) -> String {
        match self {
            HelmError::MissingSetting { setting, .. }
            | HelmError::InvalidSetting { setting, .. } => {
                format!("settings.{setting}")
            }
            HelmError::UnpinnedRelease { .. } => format!("settings.{}", Setting::Release),
            HelmError::UnknownWorkload { workload, .. }
            | HelmError::UnknownDatabase { workload, .. }
            | HelmError::UnknownPool { workload, .. } => format!("workloads.{workload}"),
            HelmError::ReservedEnv { workload, name } => format!("workloads.{workload}.env.{name}"),
            HelmError::InvalidChartName { chart }
            | HelmError::DuplicateChart { chart }
            | HelmError::Serialize { chart, .. }
            | HelmError::Hook { chart, .. } => format!("charts.{chart}"),
        }
    }

    /// Fills in the chart of a [`HelmError::Hook`] or [`HelmError::Serialize`]
    /// that does not name one.
    pub(crate) fn in_chart(mut self, name: &str) -> Self {
        if let HelmError::Hook { chart, .. } | HelmError::Serialize { chart, .. } = &mut self {
            if chart.is_empty() {
                *chart = name.to_string();
            }
        }
        self
    }
}

impl fmt::Display for HelmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HelmError::MissingSetting {
                setting,
                needed_by,
                environment,
                tier,
                alternative,
            } => {
                write!(
                    f,
                    "{needed_by} needs Helm setting `{setting}`, which the settings of environment `{environment}` ({tier}) do not set; \
                     set it with `{}` in the stack's Helm settings (`StackDefinition::helm(|env| HelmSettings::new()...)`)",
                    setting.setter()
                )?;
                if let Some(alternative) = alternative {
                    write!(f, ", or {alternative}")?;
                }
                Ok(())
            }
            HelmError::InvalidSetting {
                setting,
                value,
                reason,
            } => write!(
                f,
                "Helm setting `{setting}` is `{value}`: {reason}; fix it with `{}`",
                setting.setter()
            ),
            HelmError::UnpinnedRelease {
                release,
                environment,
                tier,
            } => write!(
                f,
                "release `{release}` is not a pinned version; {environment} ({tier}) must run a pinned image tag (`latest` is for dev only); \
                 set `{}`",
                Setting::Release.setter()
            ),
            HelmError::UnknownWorkload { workload, declared } => write!(
                f,
                "Helm settings for workload `{workload}`, which the platform does not declare (declared: {}); \
                 add its WorkloadSpec or remove the settings",
                list(declared)
            ),
            HelmError::UnknownDatabase {
                workload,
                database,
                declared,
            } => write!(
                f,
                "workload `{workload}` has `WorkloadSettings::database` `{database}`, which its platform spec does not grant (granted: {}); \
                 declare it on the workload (`WorkloadSpec::database(\"{database}\", Access::Read)`) or name one of those",
                list(declared)
            ),
            HelmError::ReservedEnv { workload, name } => write!(
                f,
                "workload `{workload}` sets env `{name}`, which infrasynth sets from the platform; \
                 give your variable another name in `WorkloadSettings::env`"
            ),
            HelmError::UnknownPool {
                workload,
                pool,
                declared,
            } => write!(
                f,
                "workload `{workload}` is placed on node pool `{pool}`, which the platform does not declare (pools: {}); \
                 fix `WorkloadSettings::placement`",
                list(declared)
            ),
            HelmError::InvalidChartName { chart } => write!(
                f,
                "chart name `{chart}` is not a Helm chart name; use 1-53 lowercase letters, digits and `-`, starting with a letter"
            ),
            HelmError::DuplicateChart { chart } => write!(
                f,
                "two charts write `helm/{chart}.values.yaml`; give the custom chart another name or turn the other chart off"
            ),
            HelmError::Serialize { chart, message } => {
                write!(f, "the values of chart `{chart}` cannot be written as YAML: {message}")
            }
            HelmError::Hook { chart, message } => {
                write!(f, "the values hook of chart `{chart}` failed: {message}")
            }
        }
    }
}

impl std::error::Error for HelmError {}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

/// Every problem of one run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HelmErrors(pub Vec<HelmError>);

impl HelmErrors {
    /// Whether one of the errors is about `setting` (missing or invalid).
    pub fn mentions(&self, setting: Setting) -> bool {
        self.0.iter().any(|e| {
            matches!(e, HelmError::MissingSetting { setting: s, .. } | HelmError::InvalidSetting { setting: s, .. } if *s == setting)
        })
    }
}

impl From<HelmError> for HelmErrors {
    fn from(error: HelmError) -> Self {
        HelmErrors(vec![error])
    }
}

impl fmt::Display for HelmErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "error: {error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for HelmErrors {}
