//! Values of `jetstack/cert-manager` (see [`super::releases::CERT_MANAGER`]),
//! and the Let's Encrypt ClusterIssuers (staging and production) of the
//! `cert-manager-issuers` release.
//!
//! The issuers are a release of their own, installed after cert-manager:
//! the chart installs its CRDs as templates (`crds.enabled`), and Helm
//! builds every object of a release before creating any, so a ClusterIssuer
//! in the same release fails a fresh install with "no matches for kind
//! ClusterIssuer" (cert-manager#7096).

use serde::Serialize;

use super::gateway;
use super::objects::ObjectsValues;
use super::settings::HelmSettings;
use crate::core::environment::{Environment, Tier};

/// Where the chart comes from.
pub const SOURCE: &str = "jetstack/cert-manager";
/// The namespace cert-manager (and the issuers' release) is installed in.
pub const NAMESPACE: &str = "cert-manager";

/// The issuer signing certificates with Let's Encrypt's staging CA.
pub const STAGING_ISSUER: &str = "letsencrypt-staging";
/// The issuer signing certificates with Let's Encrypt's production CA.
pub const PRODUCTION_ISSUER: &str = "letsencrypt-production";

/// The ClusterIssuer that signs an environment's public certificates (the
/// Gateway's annotation): production certificates in production only (Let's
/// Encrypt's production rate limits are strict).
pub fn issuer_for(env: Environment) -> &'static str {
    match env.tier() {
        Tier::Production => PRODUCTION_ISSUER,
        Tier::Development | Tier::Staging => STAGING_ISSUER,
    }
}

/// The values document.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertManagerValues {
    /// Install the CRDs with the chart (as templates: see the module docs).
    pub crds: Toggle,
    /// Controller replicas.
    pub replica_count: u32,
    /// The controller's disruption budget.
    pub pod_disruption_budget: DisruptionBudget,
    /// The controller's configuration file: Gateway API support on.
    pub config: ControllerConfig,
    /// Metrics for kube-prometheus-stack.
    pub prometheus: PrometheusToggle,
    /// The admission webhook.
    pub webhook: Component,
    /// The CA injector.
    pub cainjector: Component,
}

/// `webhook` and `cainjector`: replicas and disruption budget.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Component {
    /// Replicas.
    pub replica_count: u32,
    /// Its disruption budget.
    pub pod_disruption_budget: DisruptionBudget,
}

/// `podDisruptionBudget`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DisruptionBudget {
    /// Render it.
    pub enabled: bool,
    /// Pods kept during voluntary disruptions (absent when off).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_available: Option<u32>,
}

/// `config`: the controller's `ControllerConfiguration`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ControllerConfig {
    /// `controller.config.cert-manager.io/v1alpha1`.
    pub api_version: String,
    /// `ControllerConfiguration`.
    pub kind: String,
    /// `gatewayAPI.enabled: true`: the gateway-shim issues certificates for
    /// annotated Gateways and the HTTP-01 solver creates HTTPRoutes
    /// (`pkg/apis/config/controller/v1alpha1/types.go` at v1.21.1: the
    /// older top-level `enableGatewayAPI` is deprecated in its favour).
    #[serde(rename = "gatewayAPI")]
    pub gateway_api: Toggle,
}

/// `{enabled: bool}`.
#[derive(Clone, Debug, Serialize)]
pub struct Toggle {
    /// On or off.
    pub enabled: bool,
}

/// `prometheus`.
#[derive(Clone, Debug, Serialize)]
pub struct PrometheusToggle {
    /// Expose metrics.
    pub enabled: bool,
    /// Create a ServiceMonitor.
    pub servicemonitor: Toggle,
}

/// A cert-manager ClusterIssuer using ACME HTTP-01 through the Gateway.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterIssuer {
    /// `cert-manager.io/v1`.
    pub api_version: String,
    /// `ClusterIssuer`.
    pub kind: String,
    /// Name.
    pub metadata: Metadata,
    /// ACME settings.
    pub spec: IssuerSpec,
}

/// `metadata`.
#[derive(Clone, Debug, Serialize)]
pub struct Metadata {
    /// The issuer's name.
    pub name: String,
}

/// `spec`.
#[derive(Clone, Debug, Serialize)]
pub struct IssuerSpec {
    /// ACME.
    pub acme: Acme,
}

/// `spec.acme`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Acme {
    /// The ACME directory.
    pub server: String,
    /// The account's contact; none in the development tier without an
    /// [`HelmSettings::with_acme_contact`] (Let's Encrypt accepts accounts
    /// without one; only expiry notices are lost).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Where the account key is kept.
    pub private_key_secret_ref: Metadata,
    /// HTTP-01 through the platform Gateway's HTTP listener.
    pub solvers: Vec<serde_json::Value>,
}

/// A ClusterIssuer for Let's Encrypt `staging` or production, solving
/// HTTP-01 challenges with an HTTPRoute on the platform Gateway's `http`
/// listener (cert-manager docs, "HTTP01: gatewayHTTPRoute").
pub fn cluster_issuer(name: &str, server: &str, email: Option<&str>) -> ClusterIssuer {
    ClusterIssuer {
        api_version: "cert-manager.io/v1".to_string(),
        kind: "ClusterIssuer".to_string(),
        metadata: Metadata {
            name: name.to_string(),
        },
        spec: IssuerSpec {
            acme: Acme {
                server: server.to_string(),
                email: email.map(str::to_string),
                private_key_secret_ref: Metadata {
                    name: format!("{name}-account-key"),
                },
                solvers: vec![serde_json::json!({"http01": {"gatewayHTTPRoute": {
                    "parentRefs": [{
                        "kind": "Gateway",
                        "name": gateway::GATEWAY,
                        "namespace": gateway::NAMESPACE,
                        "sectionName": gateway::HTTP_LISTENER,
                    }],
                }}})],
            },
        },
    }
}

/// The `cert-manager-issuers` release's objects: both ClusterIssuers, with
/// the contact [`HelmSettings::acme_contact`] (checked by
/// [`HelmSettings::check`]).
pub fn issuers(settings: &HelmSettings) -> ObjectsValues {
    let contact = settings.acme_contact();
    let issuers = [
        cluster_issuer(
            STAGING_ISSUER,
            "https://acme-staging-v02.api.letsencrypt.org/directory",
            contact,
        ),
        cluster_issuer(
            PRODUCTION_ISSUER,
            "https://acme-v02.api.letsencrypt.org/directory",
            contact,
        ),
    ];
    ObjectsValues {
        objects: issuers
            .iter()
            .filter_map(|issuer| serde_json::to_value(issuer).ok())
            .collect(),
    }
}

/// The chart's values in `env`: CRDs kept on uninstall (the chart's
/// default), the controller at 2 replicas outside development, and in
/// production the webhook and CA injector at 2 too, each with a disruption
/// budget of one (a single webhook pod drained blocks every certificate
/// and issuer change cluster-wide).
pub fn values(env: Environment) -> CertManagerValues {
    let production = env.is_production();
    let budget = |on: bool| DisruptionBudget {
        enabled: on,
        min_available: on.then_some(1),
    };
    let component = || Component {
        replica_count: if production { 2 } else { 1 },
        pod_disruption_budget: budget(production),
    };
    let controller_replicas = env.pick(1, 2, 2);
    CertManagerValues {
        crds: Toggle { enabled: true },
        replica_count: controller_replicas,
        pod_disruption_budget: budget(controller_replicas > 1),
        config: ControllerConfig {
            api_version: "controller.config.cert-manager.io/v1alpha1".to_string(),
            kind: "ControllerConfiguration".to_string(),
            gateway_api: Toggle { enabled: true },
        },
        prometheus: PrometheusToggle {
            enabled: true,
            servicemonitor: Toggle { enabled: true },
        },
        webhook: component(),
        cainjector: component(),
    }
}
