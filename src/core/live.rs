//! What every live call to a cloud (`lookup`, `drift`) shares, whatever its
//! SDK: the kinds of failure a user must tell apart, each with its fix, and
//! the policy that bounds a call in time and retries it with backoff.
//!
//! The SDK clients themselves sit behind the `aws`, `gcp` and `azure`
//! features in each cloud's `live` module; this file compiles without them.

use std::fmt;
use std::time::Duration;

/// Why a live call failed, as far as the fix differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LiveErrorKind {
    /// No credentials were found in the environment, files or instance
    /// metadata the SDK reads.
    NoCredentials,
    /// The endpoint could not be reached (DNS, connection refused, TLS).
    Network,
    /// The cloud throttled the call, and retries ran out.
    Throttled,
    /// The credentials are not allowed to make the call.
    AccessDenied,
    /// No answer within the call's time bound.
    Timeout,
    /// What the call names does not exist (a bucket, a cluster).
    NotFound,
    /// Anything else the cloud answered.
    Other,
}

impl LiveErrorKind {
    /// Whether a retry may succeed: throttling, a timeout and a network
    /// failure are transient; the others are the same on every try.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            LiveErrorKind::Throttled | LiveErrorKind::Timeout | LiveErrorKind::Network
        )
    }

    fn describe(self) -> &'static str {
        match self {
            LiveErrorKind::NoCredentials => "no credentials",
            LiveErrorKind::Network => "the endpoint cannot be reached",
            LiveErrorKind::Throttled => "throttled",
            LiveErrorKind::AccessDenied => "access denied",
            LiveErrorKind::Timeout => "timed out",
            LiveErrorKind::NotFound => "not found",
            LiveErrorKind::Other => "failed",
        }
    }
}

/// A live call that failed: which call, why, what the cloud said, and the fix.
///
/// Displayed as
/// `ec2:DescribeAvailabilityZones (us-east-1): access denied: <detail>\n  fix: <fix>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveError {
    /// The API call in the cloud's own words, such as
    /// `ec2:DescribeInstanceTypeOfferings` or `GET Microsoft.Compute/skus`,
    /// with its scope (region, bucket) in parentheses.
    pub call: String,
    /// Why it failed.
    pub kind: LiveErrorKind,
    /// What the SDK or the cloud said.
    pub detail: String,
    /// What to do, specific to the cloud and the call.
    pub fix: String,
}

impl fmt::Display for LiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.call, self.kind.describe())?;
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        write!(f, "\n  fix: {}", self.fix)
    }
}

impl std::error::Error for LiveError {}

/// `error` and its causes on one line, joined by `: ` (HTTP clients'
/// own messages often omit the cause, such as `Connection refused`).
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// How long one call may take and how often it is retried.
///
/// The default: 20 s per attempt, 4 attempts, backoff from 500 ms doubling
/// to at most 8 s (about the AWS SDK's `standard` retry mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The bound on one attempt.
    pub attempt_timeout: Duration,
    /// Attempts in all, the first included (at least 1).
    pub max_attempts: u32,
    /// The wait before the second attempt; doubled before each next one.
    pub initial_backoff: Duration,
    /// The longest wait between attempts.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempt_timeout: Duration::from_secs(20),
            max_attempts: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt` (1-based; attempt 1 has none).
    pub fn backoff(&self, attempt: u32) -> Duration {
        if attempt <= 1 {
            return Duration::ZERO;
        }
        let factor = 1u32.checked_shl(attempt - 2).unwrap_or(u32::MAX);
        self.initial_backoff
            .checked_mul(factor)
            .map_or(self.max_backoff, |wait| wait.min(self.max_backoff))
    }

    /// Runs `call` until it succeeds, fails for good, or the attempts run
    /// out, sleeping [`RetryPolicy::backoff`] between attempts. `call` gets
    /// the attempt number and bounds itself by `attempt_timeout` (an SDK
    /// call reports [`LiveErrorKind::Timeout`]).
    ///
    /// # Errors
    ///
    /// The first error that is not transient, or the last one, its detail
    /// saying how many attempts were made.
    pub fn run<T>(
        &self,
        mut call: impl FnMut(u32) -> Result<T, LiveError>,
    ) -> Result<T, LiveError> {
        let attempts = self.max_attempts.max(1);
        let mut attempt = 1;
        loop {
            match call(attempt) {
                Ok(value) => return Ok(value),
                Err(error) if error.kind.is_transient() && attempt < attempts => {
                    attempt += 1;
                    std::thread::sleep(self.backoff(attempt));
                }
                Err(mut error) => {
                    if error.kind.is_transient() {
                        error.detail = format!("{} (after {attempt} attempts)", error.detail);
                    }
                    return Err(error);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(kind: LiveErrorKind) -> LiveError {
        LiveError {
            call: "ec2:DescribeAvailabilityZones (us-east-1)".to_string(),
            kind,
            detail: "Rate exceeded".to_string(),
            fix: "wait and run lookup again".to_string(),
        }
    }

    fn quick() -> RetryPolicy {
        RetryPolicy {
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
            ..RetryPolicy::default()
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_bound() {
        let policy = RetryPolicy::default();
        let waits: Vec<u128> = (1..=7).map(|a| policy.backoff(a).as_millis()).collect();
        assert_eq!(waits, vec![0, 500, 1000, 2000, 4000, 8000, 8000]);
        assert_eq!(policy.backoff(60), Duration::from_secs(8));
    }

    #[test]
    fn throttling_is_retried_until_the_attempts_run_out() {
        let mut calls = 0;
        let result: Result<(), _> = quick().run(|_| {
            calls += 1;
            Err(error(LiveErrorKind::Throttled))
        });
        assert_eq!(calls, 4);
        let text = result.unwrap_err().to_string();
        assert_eq!(
            text,
            "ec2:DescribeAvailabilityZones (us-east-1): throttled: Rate exceeded (after 4 attempts)\n  fix: wait and run lookup again"
        );
    }

    #[test]
    fn a_transient_failure_then_success_succeeds() {
        let mut calls = 0;
        let result = quick().run(|attempt| {
            calls += 1;
            if attempt < 3 {
                Err(error(LiveErrorKind::Network))
            } else {
                Ok(attempt)
            }
        });
        assert_eq!(result, Ok(3));
        assert_eq!(calls, 3);
    }

    #[test]
    fn access_denied_is_not_retried() {
        let mut calls = 0;
        let result: Result<(), _> = quick().run(|_| {
            calls += 1;
            Err(error(LiveErrorKind::AccessDenied))
        });
        assert_eq!(calls, 1);
        assert_eq!(result.unwrap_err().kind, LiveErrorKind::AccessDenied);
    }
}
