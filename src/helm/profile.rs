//! Per-environment sizing of the workloads, read from the same
//! [`Environment`] as the infrastructure's profile.

use serde::Serialize;

use crate::core::environment::{Environment, Tier};

/// CPU and memory of one container.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResourceQuantities {
    /// CPU, such as `250m`.
    pub cpu: String,
    /// Memory, such as `512Mi`.
    pub memory: String,
}

/// Requests and limits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Resources {
    /// What the scheduler reserves.
    pub requests: ResourceQuantities,
    /// The ceiling.
    pub limits: ResourceQuantities,
}

impl Resources {
    /// Requests and limits from `(cpu, memory)` pairs.
    pub fn new(requests: (&str, &str), limits: (&str, &str)) -> Self {
        Resources {
            requests: ResourceQuantities {
                cpu: requests.0.to_string(),
                memory: requests.1.to_string(),
            },
            limits: ResourceQuantities {
                cpu: limits.0.to_string(),
                memory: limits.1.to_string(),
            },
        }
    }
}

/// How heavy a workload is; scaled per environment tier by [`resources`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Weight {
    /// A UI or a small API.
    Light,
    /// An API server (the default).
    #[default]
    Standard,
    /// Model serving, batch work, anything memory-hungry.
    Heavy,
}

/// Requests and limits for a component of `weight` in `env`.
pub fn resources(weight: Weight, env: Environment) -> Resources {
    match (weight, env.tier()) {
        (Weight::Light, Tier::Development) => Resources::new(("50m", "64Mi"), ("250m", "128Mi")),
        (Weight::Light, Tier::Staging) => Resources::new(("100m", "128Mi"), ("500m", "256Mi")),
        (Weight::Light, Tier::Production) => Resources::new(("200m", "256Mi"), ("1", "512Mi")),
        (Weight::Standard, Tier::Development) => {
            Resources::new(("100m", "256Mi"), ("500m", "512Mi"))
        }
        (Weight::Standard, Tier::Staging) => Resources::new(("250m", "512Mi"), ("1", "1Gi")),
        (Weight::Standard, Tier::Production) => Resources::new(("500m", "1Gi"), ("2", "2Gi")),
        (Weight::Heavy, Tier::Development) => Resources::new(("250m", "1Gi"), ("1", "2Gi")),
        (Weight::Heavy, Tier::Staging) => Resources::new(("1", "2Gi"), ("2", "4Gi")),
        (Weight::Heavy, Tier::Production) => Resources::new(("2", "4Gi"), ("4", "8Gi")),
    }
}

/// A HorizontalPodAutoscaler.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Autoscaling {
    /// Whether the chart renders the HPA (off in dev: one replica is enough).
    pub enabled: bool,
    /// Lower bound.
    pub min_replicas: u32,
    /// Upper bound.
    pub max_replicas: u32,
    /// Average CPU utilization target, percent of requests.
    #[serde(rename = "targetCPUUtilizationPercentage")]
    pub target_cpu_utilization_percentage: u32,
    /// Average memory utilization target, percent of requests.
    pub target_memory_utilization_percentage: u32,
}

/// The HPA of `env`: off in dev, 2-10 in staging, 3-50 in production, scaling
/// at 70 % CPU and 80 % memory.
pub fn autoscaling(env: Environment) -> Autoscaling {
    Autoscaling {
        enabled: !env.is_development(),
        min_replicas: env.pick(1, 2, 3),
        max_replicas: env.pick(1, 10, 50),
        target_cpu_utilization_percentage: 70,
        target_memory_utilization_percentage: 80,
    }
}

/// A PodDisruptionBudget.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DisruptionBudget {
    /// Whether the chart renders the PDB.
    pub enabled: bool,
    /// Pods that must stay up during voluntary disruptions (node drains).
    pub min_available: u32,
}

/// The PDB of `env`: none in dev (one replica could never be drained), one
/// pod kept in staging, two in production.
pub fn disruption_budget(env: Environment) -> DisruptionBudget {
    DisruptionBudget {
        enabled: !env.is_development(),
        min_available: env.pick(0, 1, 2),
    }
}

/// Fixed replica count when the HPA is off (and the initial count when on).
pub fn replicas(env: Environment) -> u32 {
    env.pick(1, 2, 3)
}

/// The image tag of the platform's own workloads: `latest` in the development
/// tier only (always pulled); other tiers run the pinned release.
pub fn image_tag(env: Environment, release: &str) -> (String, &'static str) {
    match env.tier() {
        Tier::Development => ("latest".to_string(), "Always"),
        _ => (release.to_string(), "IfNotPresent"),
    }
}

/// Prometheus retention, its volume size and replica count.
pub fn prometheus_retention(env: Environment) -> (&'static str, &'static str, &'static str, u32) {
    match env.tier() {
        Tier::Development => ("3d", "8GB", "10Gi", 1),
        Tier::Staging => ("15d", "45GB", "50Gi", 1),
        Tier::Production => ("30d", "180GB", "200Gi", 2),
    }
}
