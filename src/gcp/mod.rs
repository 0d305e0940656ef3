//! GCP builders and the realization of the platform on Google Cloud.
//!
//! Every builder is secure by default (private IPs only, TLS, deny-by-default
//! firewall, least-privilege service accounts, deletion protection) and records
//! bad input as diagnostics naming the resource and field. The platform layer
//! (`platform::gcp`) maps the cloud-neutral platform onto them; see `docs/gcp.md`.

pub mod audit_logs;
pub mod bucket;
pub mod facts;
pub mod firewall;
pub mod gke;
pub mod kind;
pub mod kms;
#[cfg(feature = "gcp")]
pub mod live;
pub mod names;
pub mod network;
pub mod node_pool;
pub mod postgres;
pub mod private_services;
pub mod project;

pub mod redis;
pub mod region;
pub mod secret;
pub mod service_account;
pub mod service_agent;
pub mod services;
pub mod versions;

pub use audit_logs::{DataAccessAuditLogs, LogType};
pub use bucket::{Bucket, BucketAccess};
pub use firewall::Firewalls;
pub use gke::{GkeCluster, GkeClusterProps, Location};
pub use kms::{CryptoKey, KeyRing};
pub use network::{Network, NetworkPlan};
pub use node_pool::{NodePool, NodePoolProps};
pub use postgres::{Postgres, PostgresProps};
pub use private_services::PrivateServiceAccess;
pub use project::Project;
pub use redis::{Redis, RedisProps};
pub use region::Region;
pub use secret::Secret;
pub use service_account::{ServiceAccount, WorkloadIdentityBinding};
pub use service_agent::{AgentOrigin, ServiceAgent, ServiceAgentHandle};
