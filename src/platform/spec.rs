//! The cloud-neutral description of a platform: what it needs, not which cloud
//! service provides it. Each cloud realizes a [`Platform`] with its own
//! builders ([`super::realize_aws`], [`super::realize_gcp`],
//! [`super::realize_azure`]), following the skeleton of [`super::realize::Realization`].

use std::collections::BTreeMap;

pub use crate::core::access::Access;
pub use crate::core::capacity::Capacity;
use crate::core::environment::Environment;
pub use crate::core::taint::{Taint, TaintEffect};

/// A whole platform in one environment.
#[derive(Clone, Debug)]
pub struct Platform {
    /// Short project name, used as the prefix of every resource name
    /// (lowercase letters, digits and `-`).
    pub project: String,
    /// Which environment this description is for.
    pub environment: Environment,
    /// Where each cloud places it.
    pub regions: Regions,
    /// The private network.
    pub network: NetworkSpec,
    /// The PostgreSQL server and its databases.
    pub database: DatabaseSpec,
    /// The Redis cache.
    pub cache: CacheSpec,
    /// The Kubernetes cluster.
    pub cluster: ClusterSpec,
    /// Object storage buckets.
    pub buckets: Vec<BucketSpec>,
    /// Applications running on the cluster and what they may reach.
    pub workloads: Vec<WorkloadSpec>,
    /// Extra tags (labels on GCP) for every resource, beside
    /// `Project`, `Environment` and `ManagedBy`.
    pub tags: BTreeMap<String, String>,
}

impl Platform {
    /// The prefix of resource names: `<project>-<env>`.
    pub fn name_prefix(&self) -> String {
        format!("{}-{}", self.project, self.environment)
    }

    /// The stack name used in diagnostics: `<project>-<env>`.
    pub fn stack_name(&self) -> String {
        self.name_prefix()
    }

    /// The bucket spec named `name`.
    pub fn bucket(&self, name: &str) -> Option<&BucketSpec> {
        self.buckets.iter().find(|b| b.name == name)
    }

    /// The tags every resource carries: `Project`, `Environment`, `ManagedBy`
    /// and the platform's own.
    pub fn default_tags(&self) -> BTreeMap<String, String> {
        let mut tags = BTreeMap::new();
        tags.insert("Project".to_string(), self.project.clone());
        tags.insert(
            "Environment".to_string(),
            self.environment.as_str().to_string(),
        );
        tags.insert("ManagedBy".to_string(), "infrasynth".to_string());
        tags.extend(self.tags.clone());
        tags
    }
}

/// The region per cloud.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Regions {
    /// AWS region, such as `us-east-1`.
    pub aws: String,
    /// GCP region, such as `us-central1`.
    pub gcp: String,
    /// Azure location, such as `westeurope`.
    pub azure: String,
}

impl Default for Regions {
    fn default() -> Self {
        Regions {
            aws: "us-east-1".to_string(),
            gcp: "us-central1".to_string(),
            azure: "westeurope".to_string(),
        }
    }
}

/// The private network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkSpec {
    /// The address range of the whole network, such as `10.20.0.0/16`.
    pub cidr: String,
    /// How many availability zones to spread over (1 to the region's count).
    pub zones: u8,
    /// One NAT gateway for the whole network (cheap) instead of one per zone.
    pub single_nat_gateway: bool,
}

/// An abstract machine size, mapped by each cloud to an instance type.
///
/// | size | vCPU | memory |
/// |---|---|---|
/// | `Small` | 2 | 4-8 GiB (burstable where the cloud has it) |
/// | `Medium` | 2 | 8-16 GiB |
/// | `Large` | 4 | 16-32 GiB |
/// | `XLarge` | 8 | 32-64 GiB |
/// | `XXLarge` | 16 | 64-128 GiB |
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Size {
    /// 2 vCPU, burstable.
    Small,
    /// 2 vCPU.
    Medium,
    /// 4 vCPU.
    Large,
    /// 8 vCPU.
    XLarge,
    /// 16 vCPU.
    XXLarge,
}

impl Size {
    /// Every size, smallest first, so each cloud's size table can be checked
    /// for all of them.
    pub const ALL: [Size; 5] = [
        Size::Small,
        Size::Medium,
        Size::Large,
        Size::XLarge,
        Size::XXLarge,
    ];
}

/// The PostgreSQL server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatabaseSpec {
    /// Logical name, such as `platform`.
    pub name: String,
    /// Major version, such as `16`: one each cloud's database service
    /// supports on the synth's support date (`aws::versions`,
    /// `gcp::versions`, `azure::versions`).
    pub version: String,
    /// Machine size.
    pub size: Size,
    /// Initial storage in GiB.
    pub storage_gb: u32,
    /// Storage autoscaling ceiling in GiB.
    pub max_storage_gb: u32,
    /// A standby in another zone with automatic failover.
    pub high_availability: bool,
    /// Days of automated backups (1-35).
    pub backup_retention_days: u32,
    /// Refuse `terraform destroy` of the server.
    pub deletion_protection: bool,
    /// The databases to create on it, one per application (`mlflow`, `app`).
    pub databases: Vec<String>,
}

/// The Redis cache.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheSpec {
    /// Logical name, such as `cache`.
    pub name: String,
    /// Redis version, such as `7.1`.
    pub version: String,
    /// Node size.
    pub size: Size,
    /// Read replicas besides the primary.
    pub replicas: u8,
    /// Replicas in other zones with automatic failover.
    pub high_availability: bool,
}

/// How the Kubernetes API server is reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiAccess {
    /// Only from inside the network.
    Private,
    /// Privately, and publicly from these CIDRs only (never `0.0.0.0/0`).
    Restricted(Vec<String>),
}

/// The Kubernetes cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterSpec {
    /// Logical name, such as `main`.
    pub name: String,
    /// Kubernetes minor version, such as `1.35`: one the cloud's managed
    /// Kubernetes supports on the synth's support date (an end-of-life version
    /// is an error, one within 90 days of its end a warning; see
    /// `core::support`).
    pub kubernetes_version: String,
    /// Who may reach the API server.
    pub api_access: ApiAccess,
    /// Node pools.
    pub pools: Vec<NodePoolSpec>,
}

/// A node pool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodePoolSpec {
    /// Pool name (lowercase letters and digits, at most 12 characters, so it is
    /// valid on every cloud).
    pub name: String,
    /// On-demand or spot.
    pub capacity: Capacity,
    /// Node size (ignored for GPU pools, whose machine follows the GPU).
    pub size: Size,
    /// GPUs per node, if any.
    pub gpus: Option<u32>,
    /// Minimum nodes.
    pub min_nodes: u32,
    /// Maximum nodes.
    pub max_nodes: u32,
    /// Nodes at creation.
    pub desired_nodes: u32,
    /// Taints keeping general workloads off the pool.
    pub taints: Vec<Taint>,
    /// Node labels.
    pub labels: BTreeMap<String, String>,
}

/// Object storage lifecycle and protection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BucketSpec {
    /// Logical name, such as `mlflow-artifacts` (lowercase, digits, `-`); the
    /// cloud name is `<project>-<env>-<name>` (plus a suffix where names are global).
    pub name: String,
    /// Keep old versions of objects.
    pub versioning: bool,
    /// Move objects to cheaper storage after this many days.
    pub archive_after_days: Option<u32>,
    /// Delete objects after this many days.
    pub expire_after_days: Option<u32>,
    /// Delete non-current versions after this many days.
    pub noncurrent_expire_days: Option<u32>,
}

impl BucketSpec {
    /// A bucket named `name` with the defaults: versioning on, non-current
    /// versions deleted after 30 days, nothing archived or expired.
    ///
    /// ```
    /// use infrasynth::platform::BucketSpec;
    /// let b = BucketSpec::new("raw-events");
    /// assert!(b.versioning);
    /// assert_eq!(b.noncurrent_expire_days, Some(30));
    /// ```
    pub fn new(name: &str) -> Self {
        BucketSpec {
            name: name.to_string(),
            versioning: true,
            archive_after_days: None,
            expire_after_days: None,
            noncurrent_expire_days: Some(30),
        }
    }

    /// [`archive_after_days`](Self::archive_after_days), unless objects
    /// expire by then: such a transition would never run (dev environments
    /// expire early on purpose), and where it did, objects deleted soon after
    /// would pay the colder class's early-deletion fee.
    ///
    /// ```
    /// use infrasynth::platform::BucketSpec;
    /// let mut b = BucketSpec::new("backups");
    /// b.archive_after_days = Some(30);
    /// assert_eq!(b.archive_before_expiry(), Some(30));
    /// b.expire_after_days = Some(14);
    /// assert_eq!(b.archive_before_expiry(), None);
    /// ```
    pub fn archive_before_expiry(&self) -> Option<u32> {
        self.archive_after_days.filter(|archive| {
            self.expire_after_days
                .is_none_or(|expire| expire > *archive)
        })
    }
}

/// An application on the cluster and the cloud resources it may reach through
/// workload identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadSpec {
    /// Application name, such as `api-server`.
    pub name: String,
    /// Kubernetes namespace.
    pub namespace: String,
    /// Kubernetes service account name.
    pub service_account: String,
    /// Buckets (by logical name) and the access granted.
    pub buckets: Vec<(String, Access)>,
    /// Databases of [`DatabaseSpec::databases`] the workload uses and the
    /// access granted: `Read` is `CONNECT` and `SELECT`, `ReadWrite` every
    /// privilege on the database and its `public` schema. Default: none, and
    /// then the workload gets no database login at all (no IAM database
    /// user, no `rds-db:connect`, no Entra role). The grants themselves are
    /// SQL, applied by the bootstrap Job of the app chart
    /// (`helm::database_bootstrap`).
    pub databases: Vec<(String, Access)>,
    /// Whether the workload uses the cache. Default `false`: no
    /// `elasticache:Connect` (AWS), no reader of the AUTH secret (GCP), no
    /// access policy assignment (Azure).
    pub uses_cache: bool,
}

impl WorkloadSpec {
    /// A workload named `name` in `namespace`, running as the service account
    /// of the same name, with access to nothing yet.
    ///
    /// ```
    /// use infrasynth::platform::{Access, WorkloadSpec};
    /// let w = WorkloadSpec::new("ingest", "recsys").bucket("raw-events", Access::ReadWrite);
    /// assert_eq!(w.service_account, "ingest");
    /// assert_eq!(w.buckets, vec![("raw-events".to_string(), Access::ReadWrite)]);
    /// assert!(w.databases.is_empty() && !w.uses_cache);
    /// ```
    pub fn new(name: &str, namespace: &str) -> Self {
        WorkloadSpec {
            name: name.to_string(),
            namespace: namespace.to_string(),
            service_account: name.to_string(),
            buckets: Vec::new(),
            databases: Vec::new(),
            uses_cache: false,
        }
    }

    /// Grants `access` to the database named `database` (one of
    /// [`DatabaseSpec::databases`]).
    ///
    /// ```
    /// use infrasynth::platform::{Access, WorkloadSpec};
    /// let w = WorkloadSpec::new("api", "shop").database("app", Access::Read).cache();
    /// assert_eq!(w.databases, vec![("app".to_string(), Access::Read)]);
    /// assert!(w.uses_cache);
    /// ```
    pub fn database(mut self, database: &str, access: Access) -> Self {
        self.databases.push((database.to_string(), access));
        self
    }

    /// Lets the workload use the cache.
    pub fn cache(mut self) -> Self {
        self.uses_cache = true;
        self
    }

    /// Whether the workload uses any database.
    pub fn uses_database(&self) -> bool {
        !self.databases.is_empty()
    }

    /// The PostgreSQL role the workload logs in as on AWS and Azure (and
    /// the psql variable naming its login on every cloud): the workload's
    /// name with `-` as `_`, so it needs no quoting (`api-server` is
    /// `api_server`). GCP's IAM database users are named by Cloud SQL
    /// after the service account instead.
    pub fn database_user(&self) -> String {
        self.name.replace('-', "_")
    }

    /// Grants `access` to the bucket spec named `bucket`.
    pub fn bucket(mut self, bucket: &str, access: Access) -> Self {
        self.buckets.push((bucket.to_string(), access));
        self
    }

    /// Runs as `service_account` instead of a service account named after the
    /// workload.
    pub fn service_account(mut self, service_account: &str) -> Self {
        self.service_account = service_account.to_string();
        self
    }
}
