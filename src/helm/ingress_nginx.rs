//! Values of `ingress-nginx/ingress-nginx`: the public entry point, behind the
//! cloud's load balancer.

use std::collections::BTreeMap;

use serde::Serialize;

use super::profile::{self, Autoscaling, Resources, Weight};
use super::wiring;
use crate::core::environment::Cloud;
use crate::platform::Platform;

/// The namespace the controller is installed in.
pub const NAMESPACE: &str = "ingress-nginx";
/// Where the chart comes from.
pub const SOURCE: &str = "ingress-nginx/ingress-nginx";

/// The values document.
#[derive(Clone, Debug, Serialize)]
pub struct IngressNginxValues {
    /// The controller.
    pub controller: Controller,
}

/// `controller`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Controller {
    /// Replicas when the HPA is off.
    pub replica_count: u32,
    /// Pods kept during drains (the chart renders the PDB above one replica).
    pub min_available: u32,
    /// The IngressClass.
    pub ingress_class_resource: IngressClassResource,
    /// The `LoadBalancer` service.
    pub service: ControllerService,
    /// nginx settings (the ConfigMap; values are strings).
    pub config: BTreeMap<String, String>,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// Requests and limits.
    pub resources: Resources,
    /// HPA.
    pub autoscaling: Autoscaling,
}

/// `controller.ingressClassResource`.
#[derive(Clone, Debug, Serialize)]
pub struct IngressClassResource {
    /// `nginx`.
    pub name: String,
    /// The cluster's default class.
    pub default: bool,
}

/// `controller.service`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ControllerService {
    /// `LoadBalancer`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `Local` keeps client source addresses.
    pub external_traffic_policy: String,
    /// The cloud's load balancer annotations.
    pub annotations: BTreeMap<String, String>,
}

/// `controller.metrics`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Metrics {
    /// Expose metrics.
    pub enabled: bool,
    /// Scraped by kube-prometheus-stack.
    pub service_monitor: ServiceMonitor,
}

/// A ServiceMonitor toggle.
#[derive(Clone, Debug, Serialize)]
pub struct ServiceMonitor {
    /// Create it.
    pub enabled: bool,
}

/// The chart's values for `platform` on `cloud`.
pub fn values(platform: &Platform, cloud: Cloud) -> IngressNginxValues {
    let env = platform.environment;
    let config = [
        ("use-forwarded-headers", "true"),
        ("ssl-redirect", "true"),
        ("hsts", "true"),
        ("server-tokens", "false"),
        ("enable-ocsp", "true"),
    ];
    IngressNginxValues {
        controller: Controller {
            replica_count: profile::replicas(env),
            min_available: profile::disruption_budget(env).min_available.max(1),
            ingress_class_resource: IngressClassResource {
                name: "nginx".to_string(),
                default: true,
            },
            service: ControllerService {
                kind: "LoadBalancer".to_string(),
                external_traffic_policy: "Local".to_string(),
                annotations: wiring::load_balancer_annotations(cloud),
            },
            config: config
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            metrics: Metrics {
                enabled: true,
                service_monitor: ServiceMonitor { enabled: true },
            },
            resources: profile::resources(Weight::Standard, env),
            autoscaling: profile::autoscaling(env),
        },
    }
}
