//! Who reaches the platform's data, as the realizations and the Helm layer
//! both need it: the workloads that use a database or the cache (nothing by
//! default, see [`WorkloadSpec::databases`] and [`WorkloadSpec::uses_cache`]),
//! and the database bootstrap, the one identity with administrator rights on
//! PostgreSQL, which applies the grants only SQL can give.
//!
//! | | the bootstrap's identity | its admin login |
//! |---|---|---|
//! | AWS | IRSA role `<project>-<env>-db-bootstrap` | the RDS master user, password read from its Secrets Manager secret |
//! | GCP | service account `<project>-<env>-db-bootstrap` | built-in user [`GCP_ADMIN_USER`], password read from Secret Manager |
//! | Azure | managed identity `<project>-<env>-db-bootstrap` | itself: a second Entra administrator of the server |

use super::{Platform, WorkloadSpec};
use crate::core::environment::Cloud;

/// The output holding the identity the bootstrap Job runs as (IAM role ARN,
/// service account e-mail, managed identity client id), declared when some
/// workload uses a database.
pub const BOOTSTRAP_IDENTITY: &str = "database_bootstrap_identity";

/// The output holding where the bootstrap Job reads its admin password: the
/// RDS master user secret's ARN (AWS) or the Secret Manager secret's id
/// (GCP). Azure logs in with an Entra token and has none.
pub const BOOTSTRAP_ADMIN_SECRET: &str = "database_admin_secret";

/// The built-in Cloud SQL user the GCP bootstrap logs in as: Cloud SQL makes
/// every user created through its API a member of `cloudsqlsuperuser`
/// (Cloud SQL docs, "About PostgreSQL users and roles"), which IAM users
/// never are, and google 6.50.0's `google_sql_user` has no argument giving an
/// IAM user database roles.
pub const GCP_ADMIN_USER: &str = "infrasynth_admin";

/// The output holding a workload's database login where the cloud names it
/// after apply (GCP: `<account>@<project>.iam`): `database_user_api_server`.
pub fn database_user_output(workload: &str) -> String {
    format!("database_user_{}", super::logical(workload))
}

/// The output holding a workload identity's Entra object id (Azure), which
/// `pgaadauth_create_principal_with_oid` and the Redis access policy
/// assignment name: `workload_principal_api_server`.
pub fn principal_output(workload: &str) -> String {
    format!("workload_principal_{}", super::logical(workload))
}

/// The workloads that use some database, in the spec's order.
pub fn database_users(platform: &Platform) -> impl Iterator<Item = &WorkloadSpec> {
    platform.workloads.iter().filter(|w| w.uses_database())
}

/// The workloads that use the cache, in the spec's order.
pub fn cache_users(platform: &Platform) -> impl Iterator<Item = &WorkloadSpec> {
    platform.workloads.iter().filter(|w| w.uses_cache)
}

/// Whether the platform needs the database bootstrap on `cloud`: some
/// workload uses a database, or, on AWS, the server has databases beyond
/// the first (RDS creates only `db_name`, the first; the bootstrap Job
/// creates the others, so every database in `database.databases` exists
/// after deploy and every `database_name_*` output names one). GCP and
/// Azure create every database with Terraform.
pub fn needs_bootstrap(platform: &Platform, cloud: Cloud) -> bool {
    database_users(platform).next().is_some()
        || (cloud == Cloud::Aws && platform.database.databases.len() > 1)
}

/// The Kubernetes namespace of the bootstrap Job: that of the first workload
/// (where the app chart is installed), or the project's name.
pub fn bootstrap_namespace(platform: &Platform) -> String {
    platform
        .workloads
        .first()
        .map(|w| w.namespace.clone())
        .unwrap_or_else(|| platform.project.clone())
}

/// The Kubernetes service account of the bootstrap Job, which the chart
/// creates and the bootstrap identity trusts: `<project>-db-bootstrap`.
pub fn bootstrap_service_account(platform: &Platform) -> String {
    format!("{}-db-bootstrap", platform.project)
}

/// The cloud name of the bootstrap identity: `<project>-<env>-db-bootstrap`.
pub fn bootstrap_identity_name(platform: &Platform) -> String {
    format!("{}-db-bootstrap", platform.name_prefix())
}
