//! Values of `jetstack/cert-manager`, with the Let's Encrypt ClusterIssuers
//! (staging and production) as extra objects.

use serde::Serialize;

use super::error::HelmError;
use super::placeholder::yaml_text;
use super::settings::HelmSettings;
use crate::core::environment::{Environment, Tier};
use crate::platform::Platform;

/// Where the chart comes from.
pub const SOURCE: &str = "jetstack/cert-manager";

/// The issuer signing certificates with Let's Encrypt's staging CA.
pub const STAGING_ISSUER: &str = "letsencrypt-staging";
/// The issuer signing certificates with Let's Encrypt's production CA.
pub const PRODUCTION_ISSUER: &str = "letsencrypt-production";

/// The ClusterIssuer an environment's ingresses use: production certificates
/// in production only (Let's Encrypt's production rate limits are strict).
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
    /// Install the CRDs with the chart.
    pub crds: Toggle,
    /// Controller replicas.
    pub replica_count: u32,
    /// Metrics for kube-prometheus-stack.
    pub prometheus: PrometheusToggle,
    /// Manifests rendered with the chart: the ClusterIssuers.
    pub extra_objects: Vec<String>,
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

/// A cert-manager ClusterIssuer using ACME HTTP-01 through ingress-nginx.
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
    /// HTTP-01 through the `nginx` IngressClass.
    pub solvers: Vec<serde_json::Value>,
}

/// A ClusterIssuer for Let's Encrypt `staging` or production.
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
                solvers: vec![
                    serde_json::json!({"http01": {"ingress": {"ingressClassName": "nginx"}}}),
                ],
            },
        },
    }
}

/// The chart's values; the issuers' contact is
/// [`HelmSettings::acme_contact`] (checked by [`HelmSettings::check`]).
///
/// # Errors
///
/// [`HelmError::Serialize`] when an issuer does not serialize.
pub fn values(
    platform: &Platform,
    settings: &HelmSettings,
) -> Result<CertManagerValues, HelmError> {
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
    let extra_objects = issuers
        .iter()
        .map(yaml_text)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| HelmError::Serialize {
            chart: "cert-manager".to_string(),
            message: e.to_string(),
        })?;
    Ok(CertManagerValues {
        crds: Toggle { enabled: true },
        replica_count: platform.environment.pick(1, 2, 2),
        prometheus: PrometheusToggle {
            enabled: true,
            servicemonitor: Toggle { enabled: true },
        },
        extra_objects,
    })
}
