//! `lookup azure`, live (feature `azure`): the VM sizes of the stack's AKS
//! node pools and their zones in the location, from the ARM REST API
//! `GET /subscriptions/{id}/providers/Microsoft.Compute/skus`
//! (api-version 2021-07-01, `$filter=location eq '<location>'`, every
//! `nextLink` page followed).
//!
//! The request goes through azure_core 1.x's HTTP client with a bearer token
//! from azure_identity 1.x, not through azure_mgmt_compute: its 0.21 line is
//! unmaintained and carries security advisories. The retries are
//! [`RetryPolicy`]'s (the pipeline's own retry policy would retry 429s
//! without the policy's bound on waiting), so the client is called
//! directly and the `Authorization` header set here.
//!
//! Credentials, first found wins:
//! 1. `INFRASYNTH_AZURE_ACCESS_TOKEN`: a bearer token as is, for tests and
//!    offline replay against a local server (never needed against Azure);
//! 2. `AZURE_CLIENT_ID` + `AZURE_TENANT_ID` + `AZURE_CLIENT_SECRET`: a service
//!    principal (`ClientSecretCredential`);
//! 3. `DeveloperToolsCredential`: the Azure CLI (`az login`), then the Azure
//!    Developer CLI (`azd auth login`).
//!
//! `INFRASYNTH_AZURE_ARM_ENDPOINT` replaces `https://management.azure.com`
//! (a sovereign cloud, or a local server in tests; plain `http` is accepted,
//! since the header is set here and not by the pipeline's bearer policy).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::TokenCredential;
use azure_core::http::headers::HeaderName;
use azure_core::http::{new_http_client, HttpClient, Method, Request, Url};
use azure_identity::{ClientSecretCredential, DeveloperToolsCredential};
use serde::Deserialize;

use super::facts::{AzureFacts, AzureLookup, VmSizeOffer};
use crate::core::live::{LiveError, LiveErrorKind, RetryPolicy};

/// Replaces the ARM endpoint `https://management.azure.com` (no trailing
/// slash needed).
pub const ARM_ENDPOINT_VAR: &str = "INFRASYNTH_AZURE_ARM_ENDPOINT";

/// A bearer token used as is instead of a credential: for tests and
/// offline replay against a local server.
pub const ACCESS_TOKEN_VAR: &str = "INFRASYNTH_AZURE_ACCESS_TOKEN";

/// The Azure Resource Manager endpoint of the public cloud.
const ARM_ENDPOINT: &str = "https://management.azure.com";

/// The token scope of Azure Resource Manager.
const ARM_SCOPE: &str = "https://management.azure.com/.default";

/// The API version of `Microsoft.Compute/skus` read here.
const API_VERSION: &str = "2021-07-01";

/// More pages than any location has (a few hundred SKUs per page): a
/// `nextLink` loop stops here.
const MAX_PAGES: usize = 100;

const NO_CREDENTIALS_FIX: &str = "run `az login` (and `az account set --subscription <id>`), or set AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET for a service principal";

/// Reads what `query` asks: for each VM size of the stack's AKS pools,
/// whether the subscription may use it in the location and in which zones.
/// A size absent from the location's SKUs is `unavailable: "not offered in
/// <location>"`; a `Location` restriction makes it unavailable with the
/// restriction's reason code; each `Zone` restriction removes its zones.
///
/// The subscription is the query's, else `ARM_SUBSCRIPTION_ID`, else
/// `AZURE_SUBSCRIPTION_ID`. Each page is one call bounded by
/// `policy.attempt_timeout` and retried by `policy`; a 429 waits its
/// `Retry-After` (at most `policy.max_backoff`).
///
/// # Errors
///
/// A [`LiveError`] whose call is
/// `GET Microsoft.Compute/skus (<location>, subscription <id>)`: no location
/// or subscription ([`LiveErrorKind::Other`], saying where to set it),
/// [`LiveErrorKind::NoCredentials`], [`LiveErrorKind::AccessDenied`] (401,
/// 403: the fix names `Microsoft.Compute/skus/read`),
/// [`LiveErrorKind::Throttled`], [`LiveErrorKind::Network`],
/// [`LiveErrorKind::Timeout`], or [`LiveErrorKind::Other`].
pub fn lookup(query: &AzureLookup, policy: &RetryPolicy) -> Result<AzureFacts, LiveError> {
    let Some(location) = query.location.as_deref().map(normalize_location) else {
        return Err(LiveError {
            call: "GET Microsoft.Compute/skus".to_string(),
            kind: LiveErrorKind::Other,
            detail: "the stack has no literal location (no azurerm_kubernetes_cluster or azurerm_resource_group with a `location` string)".to_string(),
            fix: "give the stack's Platform an Azure region (its `location` must be a literal such as westeurope)".to_string(),
        });
    };
    let subscription = query
        .subscription_id
        .clone()
        .or_else(|| env_var("ARM_SUBSCRIPTION_ID"))
        .or_else(|| env_var("AZURE_SUBSCRIPTION_ID"));
    let Some(subscription) = subscription else {
        return Err(LiveError {
            call: format!("GET Microsoft.Compute/skus ({location})"),
            kind: LiveErrorKind::Other,
            detail: "no subscription id".to_string(),
            fix: "set ARM_SUBSCRIPTION_ID (as for Terraform's azurerm provider), or the provider's subscription_id in the stack".to_string(),
        });
    };
    let call = format!("GET Microsoft.Compute/skus ({location}, subscription {subscription})");
    let fail = |kind, detail: String, fix: &str| LiveError {
        call: call.clone(),
        kind,
        detail,
        fix: fix.to_string(),
    };
    if query.vm_sizes.is_empty() {
        return Ok(AzureFacts {
            location,
            vm_sizes: BTreeMap::new(),
        });
    }
    let endpoint = env_var(ARM_ENDPOINT_VAR).unwrap_or_else(|| ARM_ENDPOINT.to_string());
    let endpoint = Url::parse(endpoint.trim_end_matches('/')).map_err(|e| {
        fail(
            LiveErrorKind::Other,
            format!("{ARM_ENDPOINT_VAR} `{endpoint}` is not a URL: {e}"),
            "set it to a URL such as https://management.azure.com, or unset it",
        )
    })?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| fail(LiveErrorKind::Other, e.to_string(), "report this"))?;
    let client = Client {
        call: &call,
        http: new_http_client(None),
        token: Token::from_env()
            .map_err(|e| fail(LiveErrorKind::NoCredentials, e, NO_CREDENTIALS_FIX))?,
        timeout: policy.attempt_timeout,
    };
    let mut url = endpoint.clone();
    url.set_path(&format!(
        "/subscriptions/{subscription}/providers/Microsoft.Compute/skus"
    ));
    url.query_pairs_mut()
        .append_pair("api-version", API_VERSION)
        .append_pair("$filter", &format!("location eq '{location}'"));
    let mut skus = Vec::new();
    for _ in 0..MAX_PAGES {
        let page = policy.run(|attempt| runtime.block_on(client.page(&url, attempt, policy)))?;
        skus.extend(page.value);
        match page.next_link.filter(|link| !link.is_empty()) {
            // The next page's path and query, on the configured endpoint:
            // the token is never sent to a host the answer names.
            Some(link) => {
                url = rebase(&endpoint, &link)
                    .map_err(|e| fail(LiveErrorKind::Other, e, "report this with the answer"))?
            }
            None => break,
        }
    }
    Ok(AzureFacts {
        vm_sizes: offers(&skus, &location, &query.vm_sizes),
        location,
    })
}

/// `West Europe` and `westeurope` are one location; ARM answers in the
/// second form.
fn normalize_location(location: &str) -> String {
    location
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// `link`'s path and query on `endpoint`.
fn rebase(endpoint: &Url, link: &str) -> Result<Url, String> {
    let next = Url::parse(link).map_err(|e| format!("nextLink `{link}` is not a URL: {e}"))?;
    let mut url = endpoint.clone();
    url.set_path(next.path());
    url.set_query(next.query());
    Ok(url)
}

/// What each VM size of `sizes` may do in `location`, per `skus`.
fn offers(skus: &[Sku], location: &str, sizes: &BTreeSet<String>) -> BTreeMap<String, VmSizeOffer> {
    let in_location = |l: &str| normalize_location(l) == location;
    sizes
        .iter()
        .map(|size| {
            let sku = skus.iter().find(|s| {
                s.resource_type == "virtualMachines"
                    && s.name.eq_ignore_ascii_case(size)
                    && (s.location_info.iter().any(|i| in_location(&i.location))
                        || s.locations.iter().any(|l| in_location(l)))
            });
            let Some(sku) = sku else {
                return (
                    size.clone(),
                    VmSizeOffer {
                        unavailable: Some(format!("not offered in {location}")),
                        zones: BTreeSet::new(),
                    },
                );
            };
            let mut zones: BTreeSet<String> = sku
                .location_info
                .iter()
                .filter(|i| in_location(&i.location))
                .flat_map(|i| i.zones.iter().cloned())
                .collect();
            let mut unavailable = None;
            for restriction in &sku.restrictions {
                let here = restriction.values.iter().any(|v| in_location(v))
                    || restriction
                        .restriction_info
                        .locations
                        .iter()
                        .any(|l| in_location(l));
                match restriction.kind.as_str() {
                    "Location" if here => {
                        unavailable = Some(
                            restriction
                                .reason_code
                                .clone()
                                .unwrap_or_else(|| "restricted".to_string()),
                        );
                    }
                    "Zone" if here => {
                        for zone in &restriction.restriction_info.zones {
                            zones.remove(zone);
                        }
                    }
                    _ => {}
                }
            }
            if unavailable.is_some() {
                zones.clear();
            }
            (size.clone(), VmSizeOffer { unavailable, zones })
        })
        .collect()
}

/// One page of `Microsoft.Compute/skus`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    #[serde(default)]
    value: Vec<Sku>,
    #[serde(default)]
    next_link: Option<String>,
}

/// The fields of a `ResourceSku` read here.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Sku {
    #[serde(default)]
    resource_type: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    locations: Vec<String>,
    #[serde(default)]
    location_info: Vec<LocationInfo>,
    #[serde(default)]
    restrictions: Vec<Restriction>,
}

#[derive(Deserialize)]
struct LocationInfo {
    #[serde(default)]
    location: String,
    #[serde(default)]
    zones: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Restriction {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    values: Vec<String>,
    #[serde(default)]
    restriction_info: RestrictionInfo,
    #[serde(default)]
    reason_code: Option<String>,
}

#[derive(Deserialize, Default)]
struct RestrictionInfo {
    #[serde(default)]
    locations: Vec<String>,
    #[serde(default)]
    zones: Vec<String>,
}

/// Where the bearer token comes from.
enum Token {
    Static(String),
    Credential(Arc<dyn TokenCredential>),
}

impl Token {
    /// The first source found, in the order of the module's documentation.
    fn from_env() -> Result<Token, String> {
        if let Some(token) = env_var(ACCESS_TOKEN_VAR) {
            return Ok(Token::Static(token));
        }
        let client = env_var("AZURE_CLIENT_ID");
        let tenant = env_var("AZURE_TENANT_ID");
        let secret = env_var("AZURE_CLIENT_SECRET");
        if let (Some(client), Some(tenant), Some(secret)) = (client, tenant, secret) {
            let credential = ClientSecretCredential::new(&tenant, client, secret.into(), None)
                .map_err(|e| format!("AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET: {e}"))?;
            return Ok(Token::Credential(credential));
        }
        let credential = DeveloperToolsCredential::new(None).map_err(|e| e.to_string())?;
        Ok(Token::Credential(credential))
    }
}

/// The HTTP client, token and bounds of one lookup.
struct Client<'a> {
    call: &'a str,
    http: Arc<dyn HttpClient>,
    token: Token,
    timeout: Duration,
}

impl Client<'_> {
    fn error(
        &self,
        kind: LiveErrorKind,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> LiveError {
        LiveError {
            call: self.call.to_string(),
            kind,
            detail: detail.into(),
            fix: fix.into(),
        }
    }

    async fn bearer(&self) -> Result<String, LiveError> {
        match &self.token {
            Token::Static(token) => Ok(token.clone()),
            Token::Credential(credential) => {
                let token =
                    tokio::time::timeout(self.timeout, credential.get_token(&[ARM_SCOPE], None))
                        .await
                        .map_err(|_| {
                            self.error(
                                LiveErrorKind::NoCredentials,
                                format!("no access token within {} s", self.timeout.as_secs()),
                                NO_CREDENTIALS_FIX,
                            )
                        })?
                        .map_err(|e| {
                            self.error(
                                LiveErrorKind::NoCredentials,
                                e.to_string(),
                                NO_CREDENTIALS_FIX,
                            )
                        })?;
                Ok(token.token.secret().to_string())
            }
        }
    }

    /// One page, one attempt.
    async fn page(&self, url: &Url, attempt: u32, policy: &RetryPolicy) -> Result<Page, LiveError> {
        let token = self.bearer().await?;
        let mut request = Request::new(url.clone(), Method::Get);
        request.insert_header("authorization", format!("Bearer {token}"));
        request.insert_header("accept", "application/json");
        let answer = tokio::time::timeout(self.timeout, async {
            let response = self.http.execute_request(&request).await?;
            let status = u16::from(response.status());
            let retry_after = response
                .headers()
                .get_optional_str(&HeaderName::from_static("retry-after"))
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let body = response.into_body().collect_string().await?;
            Ok::<_, azure_core::Error>((status, retry_after, body))
        })
        .await;
        let (status, retry_after, body) = match answer {
            Err(_) => {
                return Err(self.error(
                    LiveErrorKind::Timeout,
                    format!("no answer within {} s", self.timeout.as_secs()),
                    "check the network to management.azure.com (proxy, firewall) and run lookup again",
                ))
            }
            Ok(Err(e)) => {
                return Err(self.error(
                    LiveErrorKind::Network,
                    format!("{} unreachable: {}", url.origin().ascii_serialization(), crate::core::live::error_chain(&e)),
                    format!("check the network to management.azure.com (proxy, firewall, DNS); with {ARM_ENDPOINT_VAR} set, check that it names a running server"),
                ))
            }
            Ok(Ok(answer)) => answer,
        };
        match status {
            200 => serde_json::from_str(&body).map_err(|e| {
                self.error(
                    LiveErrorKind::Other,
                    format!("the answer does not read as a page of SKUs: {e}"),
                    "report this with the answer",
                )
            }),
            401 | 403 => Err(self.error(
                LiveErrorKind::AccessDenied,
                message(&body, status),
                "grant the caller `Microsoft.Compute/skus/read` on the subscription (the Reader role has it), or `az login` as a user who has it",
            )),
            429 => {
                // Wait what the service asked beyond the policy's backoff
                // before the next attempt, never past the policy's bound.
                if let Some(wait) = retry_after {
                    if attempt < policy.max_attempts {
                        let extra = wait
                            .min(policy.max_backoff)
                            .saturating_sub(policy.backoff(attempt + 1));
                        tokio::time::sleep(extra).await;
                    }
                }
                Err(self.error(
                    LiveErrorKind::Throttled,
                    message(&body, status),
                    "ARM throttles reads per subscription: wait a minute and run `lookup azure <env> --refresh` again",
                ))
            }
            _ => Err(self.error(
                LiveErrorKind::Other,
                message(&body, status),
                "check the subscription id and location, and the Azure status page",
            )),
        }
    }
}

/// An ARM error answer's `error.code: error.message`, or the status.
fn message(body: &str, status: u16) -> String {
    let json: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let error = json.as_ref().map(|v| &v["error"]);
    match (
        error.and_then(|e| e["code"].as_str()),
        error.and_then(|e| e["message"].as_str()),
    ) {
        (Some(code), Some(text)) => format!("HTTP {status}: {code}: {text}"),
        (None, Some(text)) | (Some(text), None) => format!("HTTP {status}: {text}"),
        (None, None) => format!("HTTP {status}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_compare_without_case_or_spaces() {
        assert_eq!(normalize_location("West Europe"), "westeurope");
    }

    #[test]
    fn a_next_link_keeps_the_configured_endpoint() {
        let endpoint = Url::parse("http://127.0.0.1:8080").unwrap();
        let url = rebase(
            &endpoint,
            "https://management.azure.com/subscriptions/s/providers/Microsoft.Compute/skus?api-version=2021-07-01&$skiptoken=2",
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:8080/subscriptions/s/providers/Microsoft.Compute/skus?api-version=2021-07-01&$skiptoken=2"
        );
    }

    #[test]
    fn an_arm_error_gives_code_and_message() {
        let body = r#"{"error":{"code":"AuthorizationFailed","message":"no read"}}"#;
        assert_eq!(message(body, 403), "HTTP 403: AuthorizationFailed: no read");
    }
}
