//! AWS builders with secure defaults. They know nothing of the cloud-neutral
//! platform layer; `platform::aws` realizes the platform with them.
//!
//! Each builder is a plain struct: required inputs are constructor arguments
//! (for builders with more than four, one `...Props` struct whose fields are
//! named, so they read in any order and none can be left out), optional ones
//! setters whose defaults are the secure choice. Add one with
//! [`Stack::add`](crate::Stack::add); it returns a handle of typed references.

pub mod access_logs;
pub mod bucket;
pub mod cluster_autoscaler;
pub mod companions;
pub mod eks;
pub mod facts;
pub mod iam;
pub mod irsa;
pub mod kind;
pub mod kms;
#[cfg(feature = "aws")]
pub mod live;
pub mod postgres;
pub mod provider;

pub mod redis;
pub mod region;
pub mod rule_keys;
pub mod security_group;

pub mod versions;
pub mod vpc;

pub use access_logs::{AccessLogBucket, AccessLogBucketHandle};
pub use bucket::{Bucket, BucketHandle};
pub use eks::{EksCluster, EksClusterHandle, EksClusterProps, NodeGroup, NodeGroupProps};
pub use facts::{AvailabilityZone, AwsFacts};
pub use iam::{service_trust, Effect, IamRole, IamRoleHandle, PolicyDocument, Statement};
pub use irsa::{OidcHandle, WorkloadRole, WorkloadRoleProps};
pub use kms::{KmsKey, KmsKeyHandle};
pub use postgres::{DatabaseNetwork, Postgres, PostgresHandle, PostgresProps};
pub use provider::{AwsProvider, AWS_PROVIDER_VERSION, TERRAFORM_VERSION};
pub use redis::{Redis, RedisHandle, RedisProps};
pub use region::Region;
pub use security_group::{SecurityGroup, SecurityGroupHandle};
pub use vpc::{SubnetCidrs, Vpc, VpcHandle};
