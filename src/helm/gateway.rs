//! The public edge: Envoy Gateway (Gateway API) behind the cloud's L4 load
//! balancer, replacing the retired ingress-nginx.
//!
//! Two releases:
//!
//! - `envoy-gateway`: the chart `gateway-helm` (see
//!   [`super::releases::ENVOY_GATEWAY`]); it installs the Gateway API and
//!   Envoy Gateway CRDs from its `crds/` directory and runs the controller
//!   ([`values`]);
//! - `platform-gateway`: the [`super::objects`] chart with the objects that
//!   need those CRDs ([`objects`]): the `envoy` GatewayClass, the `platform`
//!   EnvoyProxy (the data plane's `LoadBalancer` Service and replicas), the
//!   `platform` Gateway (an HTTP listener for ACME HTTP-01 and the redirect,
//!   one HTTPS listener per public host, certificates from cert-manager
//!   through the `cert-manager.io/cluster-issuer` annotation), the
//!   HTTP-to-HTTPS redirect and a PodMonitor of the proxies.
//!
//! Client addresses: the Envoy Service has `externalTrafficPolicy: Local`,
//! so the cloud's pass-through L4 load balancer delivers the client's own
//! source address to Envoy, and Envoy Gateway by default trusts no
//! `X-Forwarded-For` hop (`ClientTrafficPolicy.clientIPDetection` unset: the
//! downstream address is the client), so no client can spoof its address or
//! skip the HTTPS redirect with a forwarded header.
//!
//! Routes: each app chart renders an HTTPRoute per public workload, attached
//! to that host's HTTPS listener only (`sectionName`), so no public route is
//! ever served over plain HTTP.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::json;

use super::objects::ObjectsValues;
use super::profile::{self, Resources, Weight};
use super::settings::HelmSettings;
use super::workloads;
use crate::core::environment::{Cloud, Environment};
use crate::platform::Platform;

/// The namespace of the controller, the Gateway and the Envoy proxies.
pub const NAMESPACE: &str = "envoy-gateway-system";
/// The GatewayClass.
pub const GATEWAY_CLASS: &str = "envoy";
/// Envoy Gateway's controller name (`config.envoyGateway.gateway.
/// controllerName` in the chart's defaults).
pub const CONTROLLER_NAME: &str = "gateway.envoyproxy.io/gatewayclass-controller";
/// The Gateway every public route attaches to, and its EnvoyProxy.
pub const GATEWAY: &str = "platform";
/// The plain-HTTP listener: ACME HTTP-01 challenges and the redirect.
pub const HTTP_LISTENER: &str = "http";

/// The HTTPS listener of the public host with prefix `prefix`
/// (`https-api`); routes attach to it by `sectionName`.
pub fn https_listener(prefix: &str) -> String {
    format!("https-{prefix}")
}

/// The Secret (in [`NAMESPACE`]) cert-manager fills with the certificate of
/// the public host with prefix `prefix`.
pub fn tls_secret(prefix: &str) -> String {
    format!("{prefix}-tls")
}

/// A public host of the platform: its prefix and full name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PublicHost {
    /// `api`.
    pub prefix: String,
    /// `api.dev.acme.io`.
    pub host: String,
}

/// Every public host the Gateway serves in `env`: the workloads'
/// [`WorkloadSettings::public_host`](super::WorkloadSettings::public_host),
/// the hosts declared with [`HelmSettings::with_public_host`] and Grafana's,
/// sorted by prefix; none without a domain (development tier).
pub fn public_hosts(platform: &Platform, settings: &HelmSettings) -> Vec<PublicHost> {
    let Some(domain) = settings.domain() else {
        return Vec::new();
    };
    let env = platform.environment;
    let mut prefixes: Vec<String> = platform
        .workloads
        .iter()
        .filter_map(|w| settings.workload(&w.name).public_host)
        .chain(settings.public_hosts().map(str::to_string))
        .chain([super::kube_prometheus_stack::GRAFANA_HOST.to_string()])
        .collect();
    prefixes.sort();
    prefixes.dedup();
    prefixes
        .into_iter()
        .map(|prefix| PublicHost {
            host: workloads::host_name(&prefix, env, domain),
            prefix,
        })
        .collect()
}

/// The values of the `gateway-helm` chart.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvoyGatewayValues {
    /// The controller's Deployment.
    pub deployment: ControllerDeployment,
    /// The controller's disruption budget (the chart renders it at 1 or more).
    pub pod_disruption_budget: MinAvailable,
}

/// `deployment`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ControllerDeployment {
    /// Controller replicas (leader-elected).
    pub replicas: u32,
    /// The controller container.
    pub envoy_gateway: ControllerContainer,
}

/// `deployment.envoyGateway`.
#[derive(Clone, Debug, Serialize)]
pub struct ControllerContainer {
    /// Requests and limits.
    pub resources: Resources,
}

/// `{minAvailable: n}`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MinAvailable {
    /// Pods kept during voluntary disruptions.
    pub min_available: u32,
}

/// The controller's values in `env`: two replicas with a budget of one in
/// production, one elsewhere.
pub fn values(env: Environment) -> EnvoyGatewayValues {
    EnvoyGatewayValues {
        deployment: ControllerDeployment {
            replicas: env.pick(1, 1, 2),
            envoy_gateway: ControllerContainer {
                // The chart's default limit is 1Gi; the light profile's
                // 512Mi would be below it.
                resources: profile::resources(Weight::Standard, env),
            },
        },
        pod_disruption_budget: MinAvailable {
            min_available: env.pick(0, 0, 1),
        },
    }
}

/// Annotations of the Envoy `LoadBalancer` Service on `cloud`.
///
/// - AWS: a Network Load Balancer with instance targets from the cloud
///   provider's own service controller (`aws-load-balancer-type: nlb`, Kubernetes
///   docs "Service: Other CCM annotations"); with `externalTrafficPolicy:
///   Local` it keeps the client's address. The AWS Load Balancer Controller's
///   annotations (`external`, IP targets) are not used: they need that
///   controller and its own IRSA role.
/// - GCP: the backend-service-based external passthrough Network Load
///   Balancer (`cloud.google.com/l4-rbs: enabled`, GKE docs "Backend
///   service-based external LoadBalancer Service"), passthrough: clients'
///   addresses arrive unchanged.
/// - Azure: none; the Standard Load Balancer probes the Service's
///   `healthCheckNodePort` (`/healthz`) itself when `externalTrafficPolicy`
///   is `Local` (cloud-provider-azure docs, "Custom Load Balancer health
///   probe": the probe annotations are ignored for such Services).
pub fn load_balancer_annotations(cloud: Cloud) -> BTreeMap<String, String> {
    let pairs: &[(&str, &str)] = match cloud {
        Cloud::Aws => &[("service.beta.kubernetes.io/aws-load-balancer-type", "nlb")],
        Cloud::Gcp => &[("cloud.google.com/l4-rbs", "enabled")],
        Cloud::Azure => &[],
    };
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The objects of the `platform-gateway` release: GatewayClass, EnvoyProxy,
/// Gateway (listeners for `hosts`, certificates from `issuer`), the
/// HTTP-to-HTTPS redirect and the proxies' PodMonitor. `route_namespaces`
/// are the namespaces whose HTTPRoutes may attach to the HTTPS listeners.
pub fn objects(
    cloud: Cloud,
    env: Environment,
    hosts: &[PublicHost],
    issuer: &str,
    route_namespaces: &[String],
) -> ObjectsValues {
    let labels = json!({"app.kubernetes.io/part-of": "platform-edge"});
    let gateway_class = json!({
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "GatewayClass",
        "metadata": {"name": GATEWAY_CLASS, "labels": labels},
        "spec": {
            "controllerName": CONTROLLER_NAME,
            "parametersRef": {
                "group": "gateway.envoyproxy.io",
                "kind": "EnvoyProxy",
                "name": GATEWAY,
                "namespace": NAMESPACE,
            },
        },
    });
    // No budget for a single proxy (development): it would block every
    // node drain.
    let budget = profile::disruption_budget(env).min_available;
    let mut kubernetes = json!({
        "envoyDeployment": {
            "replicas": profile::replicas(env),
            "container": {"resources": profile::resources(Weight::Standard, env)},
        },
        "envoyService": {
            "type": "LoadBalancer",
            "externalTrafficPolicy": "Local",
            "annotations": load_balancer_annotations(cloud),
        },
    });
    if budget > 0 {
        kubernetes["envoyPDB"] = json!({"minAvailable": budget});
    }
    let envoy_proxy = json!({
        "apiVersion": "gateway.envoyproxy.io/v1alpha1",
        "kind": "EnvoyProxy",
        "metadata": {"name": GATEWAY, "namespace": NAMESPACE, "labels": labels},
        "spec": {
            "provider": {
                "type": "Kubernetes",
                "kubernetes": kubernetes,
            },
        },
    });
    let mut listeners = vec![json!({
        "name": HTTP_LISTENER,
        "protocol": "HTTP",
        "port": 80,
        // The redirect and cert-manager's HTTP-01 solver routes live beside
        // the Gateway; no application route is served over plain HTTP.
        "allowedRoutes": {"namespaces": {"from": "Same"}},
    })];
    let mut namespaces = route_namespaces.to_vec();
    namespaces.push(super::kube_prometheus_stack::NAMESPACE.to_string());
    namespaces.sort();
    namespaces.dedup();
    for host in hosts {
        listeners.push(json!({
            "name": https_listener(&host.prefix),
            "protocol": "HTTPS",
            "port": 443,
            "hostname": host.host,
            "tls": {
                "mode": "Terminate",
                "certificateRefs": [{"kind": "Secret", "name": tls_secret(&host.prefix)}],
            },
            "allowedRoutes": {
                "kinds": [{"kind": "HTTPRoute"}],
                "namespaces": {
                    "from": "Selector",
                    "selector": {"matchExpressions": [{
                        "key": "kubernetes.io/metadata.name",
                        "operator": "In",
                        "values": namespaces,
                    }]},
                },
            },
        }));
    }
    let gateway = json!({
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {
            "name": GATEWAY,
            "namespace": NAMESPACE,
            "labels": labels,
            // cert-manager's gateway-shim issues a Certificate per HTTPS
            // listener with a hostname and a certificateRef.
            "annotations": {"cert-manager.io/cluster-issuer": issuer},
        },
        "spec": {"gatewayClassName": GATEWAY_CLASS, "listeners": listeners},
    });
    let redirect = json!({
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "https-redirect", "namespace": NAMESPACE, "labels": labels},
        "spec": {
            "parentRefs": [{"name": GATEWAY, "sectionName": HTTP_LISTENER}],
            // An ACME challenge route (an exact path) wins over this prefix.
            "rules": [{
                "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                "filters": [{
                    "type": "RequestRedirect",
                    "requestRedirect": {"scheme": "https", "statusCode": 301},
                }],
            }],
        },
    });
    let pod_monitor = json!({
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PodMonitor",
        "metadata": {"name": "envoy-proxy", "namespace": NAMESPACE, "labels": labels},
        "spec": {
            "jobLabel": "app.kubernetes.io/component",
            "selector": {"matchLabels": {
                "app.kubernetes.io/managed-by": "envoy-gateway",
                "app.kubernetes.io/component": "proxy",
            }},
            "podMetricsEndpoints": [{"port": "metrics", "path": "/stats/prometheus"}],
        },
    });
    ObjectsValues {
        objects: vec![gateway_class, envoy_proxy, gateway, redirect, pod_monitor],
    }
}
