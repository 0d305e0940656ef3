//! Typed handles of what the GCP realization made, for customize code: grant
//! a workload's service account another role, or override any attribute with
//! `Stack::set_raw` without writing an address.

use std::collections::BTreeMap;

use crate::core::reference::Ref;
use crate::gcp::kind;
use crate::gcp::kms::CryptoKeyHandles;
use crate::gcp::network::NetworkHandles;
use crate::gcp::postgres::PostgresHandles;
use crate::gcp::private_services::PrivateServiceAccessHandles;
use crate::gcp::secret::SecretHandles;
use crate::gcp::service_account::ServiceAccountHandles;
use crate::gcp::service_agent::ServiceAgentHandle;

/// Everything [`crate::platform::realize_gcp`] made, by what it is for.
///
/// Blocks the builders make but whose handles do not carry them (the
/// firewall rules `main_<rule>`, the NAT's router is in
/// [`NetworkHandles`]) are found by kind and logical name with
/// [`crate::Stack::find`].
///
/// ```
/// use infrasynth::gcp::kind::ProjectIamMember;
/// use infrasynth::gcp::Project;
/// use infrasynth::platform::{self, Platform, WorkloadSpec};
/// use infrasynth::{Attributes, Environment};
///
/// let mut spec = Platform::new("shop", Environment::DEV);
/// spec.workloads.push(WorkloadSpec {
///     name: "ingest".into(),
///     namespace: "shop".into(),
///     service_account: "ingest".into(),
///     databases: Vec::new(),
///     uses_cache: false,
///     buckets: Vec::new(),
/// });
/// let (mut stack, gcp) = platform::realize_gcp(&spec);
/// let ingest = &gcp.workloads["ingest"].service_account.account;
/// stack.resource::<ProjectIamMember>(
///     "ingest_pubsub",
///     Attributes::new()
///         .set("project", Project::id())
///         .set("role", "roles/pubsub.publisher")
///         .set("member", ingest.member()),
/// );
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct GcpPlatform {
    /// The enabled APIs (`google_project_service`), by service name
    /// (`sqladmin.googleapis.com`).
    pub services: BTreeMap<String, Ref<kind::ProjectService>>,
    /// The Data Access audit log configurations, by service name.
    pub audit_logs: BTreeMap<String, Ref<kind::ProjectIamAuditConfig>>,
    /// The VPC (`main`), its subnetwork with the pods and services ranges,
    /// Cloud Router and NAT, and the address plan.
    pub network: NetworkHandles,
    /// The private services access range and connection Cloud SQL and
    /// Memorystore use.
    pub private_services: PrivateServiceAccessHandles,
    /// The Cloud KMS ring and keys (empty outside CMEK profiles).
    pub keys: GcpKeys,
    /// The GKE cluster, its node pools and the nodes' service account.
    pub cluster: GkeHandles,
    /// The Cloud SQL instance (`main`), its databases and IAM users.
    pub database: PostgresHandles,
    /// The Memorystore instance and the secret holding its AUTH string.
    pub cache: MemorystoreHandles,
    /// Every bucket by its spec name (`mlflow-artifacts`, not the GCS name).
    pub buckets: BTreeMap<String, Ref<kind::Bucket>>,
    /// Every workload's service account, workload identity binding and
    /// bucket roles, by workload name.
    pub workloads: BTreeMap<String, GcpWorkload>,
    /// The database bootstrap's identity and admin login; `None` when no
    /// workload uses a database.
    pub database_bootstrap: Option<DatabaseBootstrap>,
}

/// What the database bootstrap Job runs as and logs in with.
#[derive(Clone, Debug)]
pub struct DatabaseBootstrap {
    /// Its service account (`database_bootstrap`, Cloud SQL client).
    pub service_account: ServiceAccountHandles,
    /// The binding letting its Kubernetes service account act as it.
    pub binding: Ref<kind::ServiceAccountIamMember>,
    /// The built-in admin user (`google_sql_user.database_admin`).
    pub admin_user: Ref<kind::SqlUser>,
    /// The Secret Manager secret with the admin's password, readable by the
    /// bootstrap's service account only.
    pub admin_password: SecretHandles,
}

/// The customer-managed keys, present only where the environment's profile
/// asks for CMEK (production by default).
#[derive(Clone, Debug, Default)]
pub struct GcpKeys {
    /// The key ring (`main`).
    pub ring: Option<Ref<kind::KeyRing>>,
    /// The keys by purpose: `storage`, `sql`, `redis`, `gke`, each with the
    /// grant to that service's agent.
    pub keys: BTreeMap<String, CryptoKeyHandles>,
    /// The service agents the keys are granted to, by the same purposes:
    /// what makes each exist before its grant (see `gcp::service_agent`).
    pub agents: BTreeMap<String, ServiceAgentHandle>,
}

/// The GKE cluster and what runs its nodes.
#[derive(Clone, Debug)]
pub struct GkeHandles {
    /// The cluster (`main`).
    pub cluster: Ref<kind::Cluster>,
    /// The node pools by pool spec name (logical name: the pool name with
    /// `_` for `-`).
    pub node_pools: BTreeMap<String, Ref<kind::NodePool>>,
    /// The nodes' service account (`gke_nodes`) and its project roles.
    pub nodes: ServiceAccountHandles,
}

/// Memorystore for Redis and its AUTH string.
#[derive(Clone, Debug)]
pub struct MemorystoreHandles {
    /// The instance (`main`).
    pub instance: Ref<kind::RedisInstance>,
    /// The Secret Manager secret with the AUTH string, its version, and a
    /// reader grant per workload that uses the cache.
    pub auth: SecretHandles,
}

/// One workload's identity and what it may reach.
#[derive(Clone, Debug)]
pub struct GcpWorkload {
    /// Its service account (logical name: the workload name with `_` for
    /// `-`) and project roles (Cloud SQL client and instance user).
    pub service_account: ServiceAccountHandles,
    /// The binding letting the Kubernetes service account act as it.
    pub binding: Ref<kind::ServiceAccountIamMember>,
    /// Its role on each bucket it may use, by bucket spec name.
    pub bucket_roles: BTreeMap<String, Ref<kind::BucketIamMember>>,
}
