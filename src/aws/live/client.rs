//! The SDK side every live AWS call shares: an [`AwsSession`] (one SDK
//! configuration for a region, bounded and retried per a [`RetryPolicy`],
//! and the runtime its calls run on) and [`sdk_error`], the one mapping of
//! an SDK error to a [`LiveError`] with the fix for AWS.
//!
//! Retries and time bounds are the SDK's own: `standard` retry mode with
//! `max_attempts` attempts, exponential backoff with jitter from
//! `initial_backoff` up to `max_backoff`, retrying throttling errors
//! (`Throttling`, `RequestLimitExceeded`, ...), 5xx answers, timeouts and
//! connection failures; each attempt bounded by `attempt_timeout`
//! (`operation_attempt_timeout`), its connection by the same bound at most.
//! So a call is not wrapped in [`RetryPolicy::run`] as well, which would
//! multiply the attempts.

use std::error::Error as StdError;
use std::future::Future;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};

use crate::core::live::{LiveError, LiveErrorKind, RetryPolicy};

/// The fix when no credentials are found.
pub const NO_CREDENTIALS_FIX: &str =
    "set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run `aws sso login`";

/// Error codes AWS answers when the credentials may not make the call
/// (EC2: `UnauthorizedOperation`, `AuthFailure`; JSON APIs such as EKS:
/// `AccessDeniedException`).
const ACCESS_DENIED: [&str; 4] = [
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthFailure",
];

/// Error codes of throttling (the codes the SDK's retry classifier treats
/// as throttling, as they reach the caller once retries ran out).
const THROTTLED: [&str; 7] = [
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "RequestThrottledException",
];

/// Error codes of credentials that exist but are not valid (expired,
/// unknown key): the fix is the same as for none at all.
const BAD_CREDENTIALS: [&str; 5] = [
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "RequestExpired",
];

/// One SDK configuration for a region and the current-thread runtime its
/// calls run on. Make one per command and region; its clients share the
/// credentials cache.
pub struct AwsSession {
    runtime: tokio::runtime::Runtime,
    config: SdkConfig,
    region: String,
    policy: RetryPolicy,
}

impl AwsSession {
    /// The SDK configuration of `region`, with `policy`'s bounds: standard
    /// retry mode with `max_attempts` attempts and `initial_backoff` ..
    /// `max_backoff` backoff, `attempt_timeout` per attempt (and as the
    /// connect timeout). Credentials and endpoints come from aws-config's
    /// default chain (see [`crate::aws::live`]); nothing is called yet.
    ///
    /// # Errors
    ///
    /// [`LiveErrorKind::Other`] when the runtime cannot be made (out of
    /// threads or file descriptors).
    pub fn new(region: &str, policy: &RetryPolicy) -> Result<AwsSession, LiveError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| LiveError {
                call: format!("AWS SDK setup ({region})"),
                kind: LiveErrorKind::Other,
                detail: format!("cannot start the async runtime: {error}"),
                fix: "free threads or file descriptors and run the command again".to_string(),
            })?;
        let retry = RetryConfig::standard()
            .with_max_attempts(policy.max_attempts.max(1))
            .with_initial_backoff(policy.initial_backoff)
            .with_max_backoff(policy.max_backoff);
        let timeouts = TimeoutConfig::builder()
            .operation_attempt_timeout(policy.attempt_timeout)
            .connect_timeout(policy.attempt_timeout)
            .build();
        let config = runtime.block_on(
            aws_config::defaults(BehaviorVersion::latest())
                .region(Region::new(region.to_string()))
                .retry_config(retry)
                .timeout_config(timeouts)
                .load(),
        );
        Ok(AwsSession {
            runtime,
            config,
            region: region.to_string(),
            policy: *policy,
        })
    }

    /// The region the calls go to.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The policy the calls are bounded by.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// An EC2 client (endpoint: `AWS_ENDPOINT_URL_EC2`, else
    /// `AWS_ENDPOINT_URL`, else the region's).
    pub fn ec2(&self) -> aws_sdk_ec2::Client {
        aws_sdk_ec2::Client::new(&self.config)
    }

    /// An EKS client (endpoint: `AWS_ENDPOINT_URL_EKS`, else
    /// `AWS_ENDPOINT_URL`, else the region's).
    pub fn eks(&self) -> aws_sdk_eks::Client {
        aws_sdk_eks::Client::new(&self.config)
    }

    /// Runs `future` (SDK calls) to completion on this session's runtime.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// [`sdk_error`] for a call of this session: `action` (the IAM action,
    /// `ec2:DescribeAvailabilityZones`) in this session's region.
    pub fn error<E>(&self, action: &str, error: SdkError<E>) -> LiveError
    where
        E: ProvideErrorMetadata + StdError + 'static,
    {
        sdk_error(action, &self.region, &self.policy, error)
    }
}

/// The [`LiveError`] of an SDK call that failed: `call` is
/// `<action> (<scope>)`, such as `ec2:DescribeInstanceTypeOfferings
/// (us-east-1)`, where `action` is the IAM action of the call (the fix of
/// [`LiveErrorKind::AccessDenied`] names it) and `scope` its region or
/// resource.
///
/// Kinds: a credentials provider error anywhere in the error's chain, or an
/// invalid/expired key code, is [`LiveErrorKind::NoCredentials`]; codes
/// `AccessDenied`, `AccessDeniedException`, `UnauthorizedOperation`,
/// `AuthFailure` (or a bare HTTP 403) [`LiveErrorKind::AccessDenied`];
/// `Throttling`, `ThrottlingException`, `RequestLimitExceeded`,
/// `TooManyRequestsException` and the like [`LiveErrorKind::Throttled`];
/// codes ending in `NotFound` / `NotFoundException` (or HTTP 404)
/// [`LiveErrorKind::NotFound`]; the SDK's timeout or a connector timeout
/// [`LiveErrorKind::Timeout`]; a connection failure
/// [`LiveErrorKind::Network`]; anything else [`LiveErrorKind::Other`].
pub fn sdk_error<E>(
    action: &str,
    scope: &str,
    policy: &RetryPolicy,
    error: SdkError<E>,
) -> LiveError
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    let call = format!("{action} ({scope})");
    let attempts = policy.max_attempts.max(1);
    let retried = format!("(after up to {attempts} attempts with backoff)");
    let (kind, detail) = classify(&error);
    let detail = if kind.is_transient() {
        format!("{detail} {retried}")
    } else {
        detail
    };
    let fix = match kind {
        LiveErrorKind::NoCredentials => NO_CREDENTIALS_FIX.to_string(),
        LiveErrorKind::AccessDenied => format!(
            "allow the IAM action `{action}` to the identity of these credentials (`aws sts get-caller-identity` names it), or use a profile that has it (AWS_PROFILE)"
        ),
        LiveErrorKind::Throttled => format!(
            "AWS throttled the account's API calls in {scope}: wait a minute and run the command again, or run it when fewer tools call the API"
        ),
        LiveErrorKind::Network => "check the network, the proxy (HTTPS_PROXY) and the endpoint (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_EC2, AWS_ENDPOINT_URL_EKS when set): the AWS API must be reachable from here".to_string(),
        LiveErrorKind::Timeout => format!(
            "no answer within {} s per attempt: check the network and proxy (HTTPS_PROXY), then run the command again",
            policy.attempt_timeout.as_secs_f64()
        ),
        LiveErrorKind::NotFound => format!(
            "check that what `{action}` names exists in {scope} for this account (AWS_PROFILE)"
        ),
        LiveErrorKind::Other => format!(
            "see what AWS said above; `aws {} {}` with the same profile and region shows the same answer",
            action.split(':').next().unwrap_or("ec2"),
            cli_name(action)
        ),
    };
    LiveError {
        call,
        kind,
        detail,
        fix,
    }
}

/// The kind and detail of an SDK error.
fn classify<E>(error: &SdkError<E>) -> (LiveErrorKind, String)
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    if let Some(credentials) = credentials_error(error) {
        return (LiveErrorKind::NoCredentials, chain(credentials));
    }
    match error {
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or_default();
            let message = service.err().message().unwrap_or_default();
            let status = service.raw().status().as_u16();
            let detail = match (code.is_empty(), message.is_empty()) {
                (false, false) => format!("{code}: {message}"),
                (false, true) => code.to_string(),
                (true, false) => message.to_string(),
                (true, true) => format!("HTTP {status}"),
            };
            let kind = if ACCESS_DENIED.contains(&code) {
                LiveErrorKind::AccessDenied
            } else if THROTTLED.contains(&code) {
                LiveErrorKind::Throttled
            } else if BAD_CREDENTIALS.contains(&code) {
                LiveErrorKind::NoCredentials
            } else if code.ends_with("NotFound") || code.ends_with("NotFoundException") {
                LiveErrorKind::NotFound
            } else if code.is_empty() && status == 403 {
                LiveErrorKind::AccessDenied
            } else if code.is_empty() && status == 404 {
                LiveErrorKind::NotFound
            } else if code.is_empty() && status == 429 {
                LiveErrorKind::Throttled
            } else {
                LiveErrorKind::Other
            };
            (kind, detail)
        }
        SdkError::TimeoutError(_) => (LiveErrorKind::Timeout, chain(error)),
        SdkError::DispatchFailure(dispatch) => {
            let kind = if dispatch.is_timeout() {
                LiveErrorKind::Timeout
            } else if dispatch.is_io() {
                LiveErrorKind::Network
            } else {
                LiveErrorKind::Other
            };
            (kind, chain(error))
        }
        _ => (LiveErrorKind::Other, chain(error)),
    }
}

/// The credentials provider's error in `error`'s chain of sources, if any:
/// the SDK reports a failed credentials lookup as a dispatch failure whose
/// source is the provider chain's [`CredentialsError`].
fn credentials_error<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a CredentialsError> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(error) = current {
        if let Some(credentials) = error.downcast_ref::<CredentialsError>() {
            return Some(credentials);
        }
        current = error.source();
    }
    None
}

/// `error` and its sources, each once, joined by `: ` (the SDK's errors
/// repeat their source's text, and their `Debug` form is for developers).
fn chain(error: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(error) = current {
        let text = error.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = error.source();
    }
    parts.join(": ")
}

/// The AWS CLI's name of an action: `ec2:DescribeAvailabilityZones` ->
/// `describe-availability-zones`.
fn cli_name(action: &str) -> String {
    let operation = action.rsplit(':').next().unwrap_or(action);
    let mut name = String::new();
    for (i, c) in operation.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                name.push('-');
            }
            name.push(c.to_ascii_lowercase());
        } else {
            name.push(c);
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_name_of_an_action() {
        assert_eq!(
            cli_name("ec2:DescribeInstanceTypeOfferings"),
            "describe-instance-type-offerings"
        );
        assert_eq!(
            cli_name("eks:DescribeAddonVersions"),
            "describe-addon-versions"
        );
    }
}
