//! Live calls to AWS, behind the `aws` feature: the facts `lookup aws`
//! records ([`lookup()`]) and the SDK plumbing every live AWS call shares
//! ([`client`]: one SDK configuration with the call bounds of a
//! [`RetryPolicy`](crate::core::live::RetryPolicy), a current-thread runtime,
//! and the mapping of an SDK error to a [`LiveError`](crate::core::live::LiveError)
//! with an AWS fix).
//!
//! Credentials, region-independent settings and endpoints come from where
//! the AWS CLI reads them (aws-config's default chain): `AWS_PROFILE`,
//! `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`, SSO,
//! `~/.aws/config` and `~/.aws/credentials` (`AWS_CONFIG_FILE`,
//! `AWS_SHARED_CREDENTIALS_FILE`), instance metadata; endpoints from
//! `AWS_ENDPOINT_URL` or, per service, `AWS_ENDPOINT_URL_EC2` and
//! `AWS_ENDPOINT_URL_EKS`. The region is always the stack's.

pub mod client;
pub mod lookup;
pub mod unmanaged;

pub use client::{sdk_error, AwsSession};
pub use lookup::lookup;
