//! `lookup gcp`, live (feature `gcp`): the preflight of the GCS bucket the
//! stack's state backend names, read with the Cloud Storage JSON API
//! `buckets.get` (`GET {endpoint}/storage/v1/b/{bucket}`).
//!
//! Credentials are Google's Application Default Credentials, through the
//! `google-cloud-auth` crate: `GOOGLE_APPLICATION_CREDENTIALS`, then the file
//! `gcloud auth application-default login` writes, then the metadata server
//! of a GCE VM, GKE pod or Cloud Run service.
//!
//! Why not `google-cloud-storage` (which the issue names): its 1.x reads
//! bucket metadata only through `StorageControl::get_bucket`, a gRPC call
//! (`google.storage.v2.Storage/GetBucket`) that no local emulator answers
//! (gcp-storage-emulator and fake-gcs-server speak the JSON API), so the
//! preflight could not be tested. The JSON API is the one `gcloud` and
//! Terraform's `google` provider use; the request is one GET with a bearer
//! token, sent with reqwest (the HTTP client google-cloud-auth already uses).
//!
//! `STORAGE_EMULATOR_HOST` (`127.0.0.1:9023` or `http://127.0.0.1:9023`), the
//! variable every Google client honours, sends the call to an emulator
//! instead, without credentials.

use std::time::Duration;

use google_cloud_auth::credentials::{Builder, CacheableResource, Credentials};
use serde::Deserialize;

use super::facts::{GcpFacts, GcpLookup, StateBucketFacts};
use crate::core::live::{LiveError, LiveErrorKind, RetryPolicy};

/// The environment variable naming a Cloud Storage emulator (`host:port`
/// or a URL); when set, no credentials are read.
pub const STORAGE_EMULATOR_HOST: &str = "STORAGE_EMULATOR_HOST";

/// The Cloud Storage JSON API's endpoint.
const ENDPOINT: &str = "https://storage.googleapis.com";

/// The only scope the preflight needs.
const READ_ONLY_SCOPE: &str = "https://www.googleapis.com/auth/devstorage.read_only";

const NO_CREDENTIALS_FIX: &str = "run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a service account key file";

/// Reads what `query` asks of the project: the state bucket's versioning,
/// uniform bucket-level access and public access prevention. No state
/// bucket (another backend): `state_bucket: None`, no call made. A missing
/// bucket is `exists: false`, not an error.
///
/// Each attempt is bounded by `policy.attempt_timeout` (getting a token
/// included); throttling (429, 503), timeouts and network failures are
/// retried by `policy`.
///
/// # Errors
///
/// A [`LiveError`] whose call is `storage.buckets.get (gs://<bucket>)`:
/// [`LiveErrorKind::NoCredentials`] (no Application Default Credentials, or
/// they were refused with 401), [`LiveErrorKind::AccessDenied`] (403: the
/// fix grants `storage.buckets.get`), [`LiveErrorKind::Network`],
/// [`LiveErrorKind::Timeout`], [`LiveErrorKind::Throttled`], or
/// [`LiveErrorKind::Other`] for any other answer.
pub fn lookup(query: &GcpLookup, policy: &RetryPolicy) -> Result<GcpFacts, LiveError> {
    let Some(bucket) = &query.state_bucket else {
        return Ok(GcpFacts::default());
    };
    let call = format!("storage.buckets.get (gs://{bucket})");
    let fail = |kind, detail: String, fix: &str| LiveError {
        call: call.clone(),
        kind,
        detail,
        fix: fix.to_string(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| fail(LiveErrorKind::Other, e.to_string(), "report this"))?;
    let emulator = std::env::var(STORAGE_EMULATOR_HOST)
        .ok()
        .filter(|host| !host.trim().is_empty());
    let (endpoint, credentials) = match emulator {
        Some(host) => (emulator_endpoint(&host), None),
        None => {
            let credentials = Builder::default()
                .with_scopes([READ_ONLY_SCOPE])
                .build()
                .map_err(|e| {
                    fail(
                        LiveErrorKind::NoCredentials,
                        e.to_string(),
                        NO_CREDENTIALS_FIX,
                    )
                })?;
            (ENDPOINT.to_string(), Some(credentials))
        }
    };
    let mut url = reqwest::Url::parse(&endpoint).map_err(|e| {
        fail(
            LiveErrorKind::Other,
            format!("{STORAGE_EMULATOR_HOST} `{endpoint}` is not a URL: {e}"),
            "set it to host:port, such as 127.0.0.1:9023",
        )
    })?;
    url.path_segments_mut()
        .map_err(|()| {
            fail(
                LiveErrorKind::Other,
                format!("`{endpoint}` cannot have a path"),
                "set STORAGE_EMULATOR_HOST to host:port",
            )
        })?
        .pop_if_empty()
        .extend(["storage", "v1", "b", bucket]);
    url.set_query(Some("fields=name,versioning,iamConfiguration"));
    let client = reqwest::Client::builder()
        .connect_timeout(policy.attempt_timeout)
        .timeout(policy.attempt_timeout)
        .build()
        .map_err(|e| fail(LiveErrorKind::Other, e.to_string(), "report this"))?;
    let request = Request {
        call: &call,
        bucket,
        url: &url,
        client: &client,
        credentials: credentials.as_ref(),
        timeout: policy.attempt_timeout,
    };
    let facts = policy.run(|_| runtime.block_on(request.send()))?;
    Ok(GcpFacts {
        state_bucket: Some(facts),
    })
}

/// `STORAGE_EMULATOR_HOST` as a base URL: `host:port` gets `http://`.
fn emulator_endpoint(host: &str) -> String {
    let host = host.trim().trim_end_matches('/');
    if host.starts_with("http://") || host.starts_with("https://") {
        host.to_string()
    } else {
        format!("http://{host}")
    }
}

/// One `buckets.get`, everything it needs.
struct Request<'a> {
    call: &'a str,
    bucket: &'a str,
    url: &'a reqwest::Url,
    client: &'a reqwest::Client,
    credentials: Option<&'a Credentials>,
    timeout: Duration,
}

impl Request<'_> {
    fn error(&self, kind: LiveErrorKind, detail: impl Into<String>, fix: String) -> LiveError {
        LiveError {
            call: self.call.to_string(),
            kind,
            detail: detail.into(),
            fix,
        }
    }

    async fn send(&self) -> Result<StateBucketFacts, LiveError> {
        let mut request = self.client.get(self.url.clone());
        if let Some(credentials) = self.credentials {
            request = request.headers(self.auth_headers(credentials).await?);
        }
        let response = request.send().await.map_err(|e| self.transport(&e))?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(|e| self.transport(&e))?;
        let bucket = self.bucket;
        match status {
            200 => {
                let found: BucketJson = serde_json::from_str(&body).map_err(|e| {
                    self.error(
                        LiveErrorKind::Other,
                        format!("the answer does not read as a bucket: {e}"),
                        "report this with the answer".to_string(),
                    )
                })?;
                Ok(found.facts(bucket))
            }
            404 => Ok(StateBucketFacts {
                name: bucket.to_string(),
                exists: false,
                ..StateBucketFacts::default()
            }),
            401 => Err(self.error(
                LiveErrorKind::NoCredentials,
                message(&body, status),
                format!("the credentials were refused (expired?): {NO_CREDENTIALS_FIX}"),
            )),
            403 => Err(self.error(
                LiveErrorKind::AccessDenied,
                message(&body, status),
                format!("grant the caller `storage.buckets.get` on gs://{bucket} (roles/storage.legacyBucketReader on the bucket, or roles/storage.admin)"),
            )),
            429 | 503 => Err(self.error(
                LiveErrorKind::Throttled,
                message(&body, status),
                "wait a minute and run `lookup gcp <env> --refresh` again".to_string(),
            )),
            _ => Err(self.error(
                LiveErrorKind::Other,
                message(&body, status),
                "check the bucket name in the stack's GcsBackend and the Cloud Storage status page".to_string(),
            )),
        }
    }

    /// The `Authorization` (and quota project) headers of the credentials,
    /// bounded by the attempt's timeout (the metadata server may not exist).
    async fn auth_headers(
        &self,
        credentials: &Credentials,
    ) -> Result<reqwest::header::HeaderMap, LiveError> {
        let headers =
            tokio::time::timeout(self.timeout, credentials.headers(http::Extensions::new()))
                .await
                .map_err(|_| {
                    self.error(
                        LiveErrorKind::NoCredentials,
                        format!(
                    "no access token within {} s (no credentials file and no metadata server?)",
                    self.timeout.as_secs()
                ),
                        NO_CREDENTIALS_FIX.to_string(),
                    )
                })?
                .map_err(|e| {
                    self.error(
                        LiveErrorKind::NoCredentials,
                        e.to_string(),
                        NO_CREDENTIALS_FIX.to_string(),
                    )
                })?;
        match headers {
            CacheableResource::New { data, .. } => Ok(data),
            // Only returned to a caller that passed an entity tag; none is.
            CacheableResource::NotModified => Err(self.error(
                LiveErrorKind::Other,
                "the credentials returned no headers",
                "report this".to_string(),
            )),
        }
    }

    fn transport(&self, error: &reqwest::Error) -> LiveError {
        let detail = crate::core::live::error_chain(error);
        if error.is_timeout() {
            self.error(
                LiveErrorKind::Timeout,
                format!("no answer within {} s: {detail}", self.timeout.as_secs()),
                "check the network to storage.googleapis.com (proxy, firewall) and run lookup again".to_string(),
            )
        } else {
            self.error(
                LiveErrorKind::Network,
                format!("{} unreachable: {detail}", self.url.origin().ascii_serialization()),
                format!(
                    "check the network to storage.googleapis.com (proxy, firewall, DNS); with an emulator, check that {STORAGE_EMULATOR_HOST} names a running one"
                ),
            )
        }
    }
}

/// The `error.message` of a JSON API error answer, or the status.
fn message(body: &str, status: u16) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
        .map_or_else(
            || format!("HTTP {status}"),
            |m| format!("HTTP {status}: {m}"),
        )
}

/// The fields of a `storage#bucket` the preflight reads.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BucketJson {
    #[serde(default)]
    versioning: Option<Enabled>,
    #[serde(default)]
    iam_configuration: Option<IamConfiguration>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IamConfiguration {
    #[serde(default)]
    uniform_bucket_level_access: Option<Enabled>,
    #[serde(default)]
    public_access_prevention: Option<String>,
}

#[derive(Deserialize)]
struct Enabled {
    #[serde(default)]
    enabled: bool,
}

impl BucketJson {
    fn facts(self, bucket: &str) -> StateBucketFacts {
        let iam = self.iam_configuration;
        StateBucketFacts {
            name: bucket.to_string(),
            exists: true,
            versioning: self.versioning.is_some_and(|v| v.enabled),
            uniform_bucket_level_access: iam
                .as_ref()
                .and_then(|i| i.uniform_bucket_level_access.as_ref())
                .is_some_and(|u| u.enabled),
            // Absent on buckets created before the setting existed.
            public_access_prevention: iam
                .and_then(|i| i.public_access_prevention)
                .unwrap_or_else(|| "unspecified".to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_emulator_host_without_a_scheme_is_http() {
        assert_eq!(emulator_endpoint("127.0.0.1:9023"), "http://127.0.0.1:9023");
        assert_eq!(emulator_endpoint("https://gcs.local/"), "https://gcs.local");
    }

    #[test]
    fn a_bucket_reads_its_three_settings() {
        // Shape of `buckets.get` (Cloud Storage JSON API reference, Buckets resource).
        let json = r#"{"name":"b","versioning":{"enabled":true},
            "iamConfiguration":{"uniformBucketLevelAccess":{"enabled":true},
            "publicAccessPrevention":"enforced"}}"#;
        let facts = serde_json::from_str::<BucketJson>(json).unwrap().facts("b");
        assert!(facts.exists && facts.versioning && facts.uniform_bucket_level_access);
        assert_eq!(facts.public_access_prevention, "enforced");
        let bare = serde_json::from_str::<BucketJson>(r#"{"name":"b"}"#)
            .unwrap()
            .facts("b");
        assert!(!bare.versioning && !bare.uniform_bucket_level_access);
        assert_eq!(bare.public_access_prevention, "unspecified");
    }

    #[test]
    fn an_error_answer_gives_its_message() {
        let body =
            r#"{"error":{"code":403,"message":"x does not have storage.buckets.get access"}}"#;
        assert_eq!(
            message(body, 403),
            "HTTP 403: x does not have storage.buckets.get access"
        );
        assert_eq!(message("<html>", 502), "HTTP 502");
    }
}
