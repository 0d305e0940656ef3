//! The cloud-neutral [`Platform`] realized with the GCP builders.
//!
//! | platform | GCP |
//! |---|---|
//! | network | custom VPC, one regional subnetwork (nodes) with pods/services secondary ranges, Cloud NAT, deny-by-default firewall |
//! | database | Cloud SQL for PostgreSQL on private services access, IAM database users per workload |
//! | cache | Memorystore for Redis (`STANDARD_HA` when HA) |
//! | cluster | private GKE Standard cluster, regional outside dev, separately managed pools |
//! | buckets | GCS buckets named `<project>-<env>-<name>-<6 hex of the GCP project id>` |
//! | workloads | one service account each, workload identity binding, bucket roles; only where declared: Cloud SQL roles and IAM database user, reader of the Redis AUTH secret |
//! | database bootstrap | a service account (Cloud SQL client) for the app chart's bootstrap Job, the built-in admin user, its password in Secret Manager readable by that account only |
//! | production | CMEK (Cloud KMS) for buckets, Cloud SQL, Memorystore and GKE secrets |
//! | (project) | the Google APIs used, enabled with `google_project_service`; Data Access audit logs for Cloud Storage, Cloud SQL and Secret Manager |
//!
//! The steps of [`crate::platform::realize::Realization`], run by
//! [`crate::platform::realize_gcp`], which returns a [`GcpPlatform`] of typed
//! handles to everything made.

mod handles;
pub mod sizes;

pub use handles::{
    DatabaseBootstrap, GcpKeys, GcpPlatform, GcpWorkload, GkeHandles, MemorystoreHandles,
};

use std::collections::BTreeMap;

use ipnet::Ipv4Net;

use crate::gcp::audit_logs::{DataAccessAuditLogs, LogType};
use crate::gcp::bucket::{Bucket, BucketAccess};
use crate::gcp::gke::{GkeCluster, GkeClusterProps, Location};
use crate::gcp::kind;
use crate::gcp::kms::{CryptoKey, KeyRing};
use crate::gcp::network::{Network, NetworkHandles, NetworkPlan, PODS_RANGE, SERVICES_RANGE};
use crate::gcp::node_pool::{NodePool, NodePoolProps};
use crate::gcp::postgres::{Postgres, PostgresHandles, PostgresProps};
use crate::gcp::private_services::{PrivateServiceAccess, PrivateServiceAccessHandles};
use crate::gcp::project::{service_agents, Project};
use crate::gcp::redis::{Redis, RedisProps};
use crate::gcp::region::Region;
use crate::gcp::secret::Secret;
use crate::gcp::service_account::{ServiceAccount, ServiceAccountHandles, WorkloadIdentityBinding};
use crate::gcp::service_agent::{AgentOrigin, ServiceAgent};
use crate::gcp::services::ProjectServices;

use crate::core::block::Attributes;
use crate::core::environment::Environment;
use crate::core::naming::fit;
use crate::core::reference::{Address, Attr, Id, Ref};
use crate::core::stack::Stack;
use crate::platform::outputs::{
    by_name, per_workload, Output, Outputs, DATABASE_CONNECTION_NAME, GCP_DISKS_KEY,
    REDIS_AUTH_SECRET, REDIS_CA_CERTIFICATE,
};
use crate::platform::realize::{Parts, Realization};
use crate::platform::{data_access, logical, Access, ApiAccess, Capacity, Platform};
use crate::Value;

/// The provider version constraint.
pub const GOOGLE_PROVIDER_VERSION: &str = "~> 6.50";

/// The version constraint of hashicorp/random, whose `random_password`
/// makes the database admin's password.
pub const RANDOM_PROVIDER_VERSION: &str = "~> 3.6";

/// The project roles the service account of a workload that declares a
/// database gets: connecting to Cloud SQL and logging in with IAM database
/// authentication (table privileges are PostgreSQL GRANTs, applied by the
/// app chart's bootstrap Job).
pub const WORKLOAD_ROLES: [&str; 2] = ["roles/cloudsql.client", "roles/cloudsql.instanceUser"];

/// The project roles of the nodes' service account: GKE's minimal node role and
/// pulling images from Artifact Registry.
pub const NODE_ROLES: [&str; 2] = [
    "roles/container.defaultNodeServiceAccount",
    "roles/artifactregistry.reader",
];

/// The services whose Data Access audit logs the realization turns on, and
/// which kinds (Admin Activity logs are always on and need nothing):
///
/// - Cloud Storage, all three: who listed buckets or read their IAM policies,
///   and who read, wrote or deleted which object, with the caller's identity.
///   This is the bucket access trail (instead of legacy usage logs).
/// - Cloud SQL, reads and writes: where Cloud SQL delivers the pgAudit entries
///   the instance's flags ask for (`pgaudit.log = ddl,role`).
/// - Secret Manager, reads: every access to a secret's payload (the Redis AUTH
///   string).
///
/// Not here, on purpose: the Kubernetes API's reads (`container.googleapis.com`
/// DATA_READ logs every get/list/watch of every controller and kubelet; its
/// writes are Admin Activity) and Cloud KMS (`cloudkms.googleapis.com` would log
/// each encrypt/decrypt the service agents make for every CMEK-protected
/// object and page; key and IAM changes are Admin Activity).
pub const DATA_ACCESS_AUDIT_LOGS: [(&str, &[LogType]); 3] = [
    (
        "cloudsql.googleapis.com",
        &[LogType::DataRead, LogType::DataWrite],
    ),
    ("secretmanager.googleapis.com", &[LogType::DataRead]),
    (
        "storage.googleapis.com",
        &[LogType::AdminRead, LogType::DataRead, LogType::DataWrite],
    ),
];

/// The Google service agents the customer-managed keys are granted to, by key
/// purpose: `(purpose, API, how the agent comes to exist)`. Cloud Storage's
/// agent comes from `data.google_storage_project_service_account`, which
/// creates it; Compute Engine's (`disks`: PersistentVolumes and node boot
/// disks) exists once its API is enabled; the others come from google-beta's
/// `google_project_service_identity` (see [`crate::gcp::service_agent`]).
pub const CMEK_AGENTS: [(&str, &str, AgentOrigin); 5] = [
    (
        "storage",
        "storage.googleapis.com",
        AgentOrigin::StorageLookup,
    ),
    (
        "sql",
        "sqladmin.googleapis.com",
        AgentOrigin::Identity(service_agents::CLOUD_SQL),
    ),
    (
        "redis",
        "redis.googleapis.com",
        AgentOrigin::Identity(service_agents::REDIS),
    ),
    (
        "gke",
        "container.googleapis.com",
        AgentOrigin::Identity(service_agents::GKE),
    ),
    (
        "disks",
        "compute.googleapis.com",
        AgentOrigin::EnabledApi(service_agents::COMPUTE),
    ),
];

/// What each environment asks of GCP beyond the platform spec's own fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Profile {
    /// Customer-managed keys for buckets, Cloud SQL, Memorystore, GKE secrets,
    /// node boot disks and PersistentVolumes.
    pub cmek: bool,
    /// A regional GKE control plane with nodes in every zone (zonal otherwise).
    pub regional_cluster: bool,
    /// The GKE release channel.
    pub release_channel: &'static str,
    /// Refuse `terraform destroy` of the cluster and the keys.
    pub protected: bool,
}

impl Profile {
    /// Dev: zonal and open to change; staging: production-shaped on the regular
    /// channel; production: CMEK, stable channel, protected.
    pub fn for_environment(env: Environment) -> Profile {
        Profile {
            cmek: env.is_production(),
            regional_cluster: !env.is_development(),
            release_channel: env.pick("REGULAR", "REGULAR", "STABLE"),
            protected: env.is_production(),
        }
    }
}

// The context and what the steps pass on.

/// What every step reads, and what the foundation made.
pub(crate) struct Gcp<'p> {
    platform: &'p Platform,
    profile: Profile,
    prefix: String,
    region: Region,
    zones: Vec<String>,
    services: BTreeMap<String, Ref<kind::ProjectService>>,
    audit_logs: BTreeMap<String, Ref<kind::ProjectIamAuditConfig>>,
}

/// The network and the private services access range Cloud SQL and
/// Memorystore take their addresses from.
pub(crate) struct GcpNetwork {
    network: NetworkHandles,
    psa: PrivateServiceAccessHandles,
}

// The steps, in the order of `realize::run`.

impl<'p> Realization<'p> for Gcp<'p> {
    type Network = GcpNetwork;
    type Keys = GcpKeys;
    type Cluster = GkeHandles;
    type Identities = BTreeMap<String, ServiceAccountHandles>;
    type Database = PostgresHandles;
    type Cache = MemorystoreHandles;
    type Buckets = BTreeMap<String, Ref<kind::Bucket>>;
    /// Each workload's access, and the database bootstrap.
    type Workloads = (BTreeMap<String, GcpWorkload>, Option<DatabaseBootstrap>);
    type Handles = GcpPlatform;

    /// The tags, each a GCP label unchanged but for lowercasing
    /// ([`crate::platform::tags`]).
    fn check_input(platform: &Platform, stack: &mut Stack) {
        crate::platform::tags::check(platform, crate::core::environment::Cloud::Gcp, stack);
    }

    /// Project settings, the APIs the realization calls and their Data
    /// Access audit logs.
    fn foundation(platform: &'p Platform, stack: &mut Stack) -> Self {
        let profile = Profile::for_environment(platform.environment);
        let (region, zones) = region_and_zones(platform, stack);
        configure_project(&profile, region.name(), stack);
        let services = stack.add(ProjectServices::new(&required_apis(&profile)));
        let audit_logs = stack.add(
            DATA_ACCESS_AUDIT_LOGS
                .iter()
                .fold(DataAccessAuditLogs::new(), |logs, (service, log_types)| {
                    logs.service(service, log_types)
                }),
        );
        Gcp {
            platform,
            profile,
            prefix: platform.name_prefix(),
            region,
            zones,
            services,
            audit_logs,
        }
    }

    /// The VPC and the private services access range.
    fn network(&self, stack: &mut Stack) -> GcpNetwork {
        // The cloud-neutral validation already reported a bad CIDR; carry on
        // with a placeholder plan so the other builders still report their
        // own problems.
        let plan = self
            .platform
            .network
            .cidr
            .parse::<Ipv4Net>()
            .ok()
            .and_then(|net| NetworkPlan::from_base(net.trunc()))
            .or_else(|| NetworkPlan::from_base("10.0.0.0/16".parse().ok()?))
            .expect("a /16 holds every range of the network plan");
        let network = stack.add(Network::new("main", &self.prefix, self.region(), plan));
        self.check_pod_capacity(&plan, stack);
        let psa = stack.add(PrivateServiceAccess::new(
            "main",
            &format!("{}-psa", self.prefix),
            network.network.id(),
            plan.private_services,
        ));
        GcpNetwork { network, psa }
    }

    /// One key per service, each granted to that service's Google agent
    /// once the agent exists and its API is on (see [`CMEK_AGENTS`]).
    fn keys(&self, _network: &GcpNetwork, stack: &mut Stack) -> GcpKeys {
        if !self.profile.cmek {
            return GcpKeys::default();
        }
        let ring = stack.add(KeyRing::new("main", &self.prefix, self.region()));
        let mut keys = BTreeMap::new();
        let mut agents = BTreeMap::new();
        for (purpose, api_name, origin) in CMEK_AGENTS {
            let api = self.services.get(api_name);
            let mut agent = match (origin, api) {
                (AgentOrigin::StorageLookup, _) => ServiceAgent::storage(purpose),
                (AgentOrigin::Identity(domain), _) => {
                    ServiceAgent::for_service(purpose, api_name, domain)
                }
                (AgentOrigin::EnabledApi(domain), Some(api)) => {
                    ServiceAgent::enabled_with(purpose, api, domain)
                }
                // Every agent's API is required under CMEK (a unit test
                // checks it); without the API the agent would not exist.
                (AgentOrigin::EnabledApi(_), None) => continue,
            };
            if let Some(api) = api {
                agent = agent.after(api);
            }
            let agent = stack.add(agent);
            let key = stack.add(
                CryptoKey::new(purpose, &format!("{}-{purpose}", self.prefix), ring.id())
                    .prevent_destroy(self.profile.protected)
                    .grant_to("agent", agent.member.clone()),
            );
            // The grant names the agent: it waits for the agent to exist, and
            // for the API (which the agent waits for too, but a grant that
            // states both survives an edit of either).
            for grant in &key.grants {
                agent.needed_by(stack, grant);
                if let Some(api) = api {
                    stack.depends_on(grant, api);
                }
            }
            keys.insert(purpose.to_string(), key);
            agents.insert(purpose.to_string(), agent);
        }
        GcpKeys {
            ring: Some(ring),
            keys,
            agents,
        }
    }

    /// The nodes' service account, GKE and its node pools.
    fn cluster(&self, network: &GcpNetwork, keys: &GcpKeys, stack: &mut Stack) -> GkeHandles {
        let network = &network.network;
        let nodes = stack.add(NODE_ROLES.iter().fold(
            ServiceAccount::new("gke_nodes", &self.account_id("gke-nodes"), "GKE nodes"),
            |sa, role| sa.project_role(role),
        ));
        let plan = &network.plan;
        let spec = &self.platform.cluster;
        let location = if self.profile.regional_cluster {
            Location::Regional {
                region: self.region().to_string(),
                zones: self.zones.clone(),
            }
        } else {
            Location::Zonal(self.primary_zone().to_string())
        };
        let location_name = location.name().to_string();
        let pool_zones = location.zone_count() as u32;
        let mut cluster = GkeCluster::new(GkeClusterProps {
            logical_name: "main",
            // GKE cluster names have at most 40 characters (`gcp::gke`).
            name: &fit(&format!("{}-{}", self.prefix, spec.name), 40),
            location,
            network: network.network.id(),
            subnetwork: network.subnetwork.id(),
            cluster_secondary_range_name: PODS_RANGE,
            services_secondary_range_name: SERVICES_RANGE,
            master_ipv4_cidr_block: &plan.master.to_string(),
            node_service_account: nodes.account.email(),
        })
        .kubernetes_version(&spec.kubernetes_version)
        .release_channel(self.profile.release_channel)
        .deletion_protection(self.profile.protected)
        // Clients inside the VPC (CI runners, bastions) reach the API either way.
        .authorized_network("nodes", &plan.nodes.to_string());
        match &spec.api_access {
            ApiAccess::Private => cluster = cluster.private_endpoint(true),
            ApiAccess::Restricted(cidrs) => {
                cluster = cluster.private_endpoint(false);
                for (i, cidr) in cidrs.iter().enumerate() {
                    cluster = cluster.authorized_network(&format!("allowed-{}", i + 1), cidr);
                }
            }
        }
        cluster = keys.encrypt(
            "gke",
            cluster,
            GkeCluster::secrets_encryption_key,
            GkeCluster::depends_on,
        );
        // Boot disks (the default pool's too, for its minutes) and
        // PersistentVolumes use the disks key where the profile asks for
        // CMEK; Compute Engine's agent must hold the key before a disk exists.
        cluster = keys.encrypt(
            "disks",
            cluster,
            GkeCluster::boot_disk_kms_key,
            GkeCluster::depends_on,
        );
        // Nodes that register before their roles exist cannot log or pull images.
        for role in &nodes.roles {
            cluster = cluster.depends_on(role.address());
        }
        let cluster = stack.add(cluster);
        let mut node_pools = BTreeMap::new();
        for pool in &spec.pools {
            let machine = if pool.gpus.is_some() {
                sizes::GPU_MACHINE_TYPE
            } else {
                sizes::machine_type(pool.size)
            };
            let mut builder = NodePool::new(NodePoolProps {
                logical_name: &logical(&pool.name),
                name: &pool.name,
                cluster: cluster.id(),
                location: &location_name,
                zone_count: pool_zones,
                machine_type: machine,
                service_account: nodes.account.email(),
            })
            .autoscaling(pool.min_nodes, pool.max_nodes, pool.desired_nodes)
            .spot(pool.capacity == Capacity::Spot);
            if let Some(gpus) = pool.gpus {
                builder = builder.gpu(sizes::GPU_ACCELERATOR, gpus);
            }
            builder = keys.encrypt(
                "disks",
                builder,
                NodePool::boot_disk_kms_key,
                NodePool::depends_on,
            );
            for taint in &pool.taints {
                builder = builder.taint(taint.clone());
            }
            for (key, value) in &pool.labels {
                builder = builder.label(key, value);
            }
            node_pools.insert(pool.name.clone(), stack.add(builder));
        }
        GkeHandles {
            cluster,
            node_pools,
            nodes,
        }
    }

    /// One service account per workload, with the Cloud SQL roles every
    /// workload gets.
    fn workload_identities(
        &self,
        _cluster: &GkeHandles,
        stack: &mut Stack,
    ) -> BTreeMap<String, ServiceAccountHandles> {
        self.platform
            .workloads
            .iter()
            .map(|workload| {
                // Cloud SQL roles only for a workload that uses a database.
                let roles: &[&str] = if workload.uses_database() {
                    &WORKLOAD_ROLES
                } else {
                    &[]
                };
                let sa = stack.add(roles.iter().fold(
                    ServiceAccount::new(
                        &logical(&workload.name),
                        &self.account_id(&workload.name),
                        &format!(
                            "Workload {}/{}",
                            workload.namespace, workload.service_account
                        ),
                    ),
                    |sa, role| sa.project_role(role),
                ));
                (workload.name.clone(), sa)
            })
            .collect()
    }

    /// Cloud SQL on private services access, with an IAM database user per
    /// workload.
    fn database(
        &self,
        network: &GcpNetwork,
        keys: &GcpKeys,
        _cluster: &GkeHandles,
        identities: &BTreeMap<String, ServiceAccountHandles>,
        stack: &mut Stack,
    ) -> PostgresHandles {
        let (db, psa) = (&self.platform.database, &network.psa);
        let mut postgres = Postgres::new(PostgresProps {
            logical_name: "main",
            // Cloud SQL instance names have at most 98 characters.
            name: &fit(&format!("{}-{}", self.prefix, db.name), 98),
            region: self.region(),
            private_network: network.network.network.id(),
            allocated_ip_range: psa.range.name(),
        })
        .version(&db.version)
        .tier(sizes::sql_tier(db.size))
        .high_availability(db.high_availability)
        .zones(self.primary_zone(), self.secondary_zone())
        .storage(db.storage_gb, db.max_storage_gb)
        .backup_retention_days(db.backup_retention_days)
        .deletion_protection(db.deletion_protection)
        .depends_on(psa.connection.address());
        for database in &db.databases {
            postgres = postgres.database(database);
        }
        // An IAM database user only for a workload that uses a database.
        for workload in data_access::database_users(self.platform) {
            if let Some(sa) = identities.get(&workload.name) {
                postgres = postgres.iam_user(&logical(&workload.name), sa.sql_user_name());
            }
        }
        let postgres = keys.encrypt(
            "sql",
            postgres,
            Postgres::encryption_key,
            Postgres::depends_on,
        );
        stack.add(postgres)
    }

    /// Memorystore, and the Secret Manager secret holding its AUTH string.
    fn cache(
        &self,
        network: &GcpNetwork,
        keys: &GcpKeys,
        _cluster: &GkeHandles,
        identities: &BTreeMap<String, ServiceAccountHandles>,
        stack: &mut Stack,
    ) -> MemorystoreHandles {
        let (cache, psa) = (&self.platform.cache, &network.psa);
        let redis = Redis::new(RedisProps {
            logical_name: "main",
            // Memorystore instance names have at most 40 characters.
            name: &fit(&format!("{}-{}", self.prefix, cache.name), 40),
            region: self.region(),
            authorized_network: network.network.network.id(),
            reserved_ip_range: psa.range.name(),
        })
        .version(&cache.version)
        .memory_gb(sizes::redis_memory_gb(cache.size))
        .high_availability(cache.high_availability)
        .replicas(cache.replicas)
        .zones(self.primary_zone(), self.secondary_zone())
        .depends_on(psa.connection.address());
        let redis = keys.encrypt("redis", redis, Redis::encryption_key, Redis::depends_on);
        let redis = stack.add(redis);
        // Apps read the AUTH string from Secret Manager through workload
        // identity: only the workloads that use the cache. Memorystore for
        // Redis (`google_redis_instance`) has no IAM authentication in
        // google 6.50.0 (no such argument; IAM auth is Memorystore for Redis
        // Cluster's `authorization_mode`), so AUTH is the only way.
        let auth = stack.add(
            data_access::cache_users(self.platform)
                .filter_map(|w| identities.get(&w.name).map(|sa| (&w.name, sa)))
                .fold(
                    Secret::new(
                        "redis_auth",
                        &format!("{}-{}-auth", self.prefix, cache.name),
                        self.region(),
                        redis.auth_string(),
                    ),
                    |secret, (name, sa)| secret.reader(&logical(name), sa.account.member()),
                ),
        );
        MemorystoreHandles {
            instance: redis,
            auth,
        }
    }

    /// One GCS bucket per spec, its name made unique by a suffix (bucket
    /// names are global).
    fn buckets(
        &self,
        _network: &GcpNetwork,
        keys: &GcpKeys,
        stack: &mut Stack,
    ) -> BTreeMap<String, Ref<kind::Bucket>> {
        let location = self.region.storage_location();
        self.platform
            .buckets
            .iter()
            .map(|spec| {
                let bucket = Bucket::new(
                    &logical(&spec.name),
                    // At most 63 characters with the `-<6 hex>` suffix.
                    fit(&format!("{}-{}", self.prefix, spec.name), 56),
                    &location,
                )
                .unique_suffix()
                .versioning(spec.versioning)
                .archive_after_days(spec.archive_before_expiry())
                .expire_after_days(spec.expire_after_days)
                .noncurrent_expire_days(spec.noncurrent_expire_days)
                // A development-tier environment is thrown away whole.
                .force_destroy(self.platform.environment.is_development());
                let bucket = keys.encrypt(
                    "storage",
                    bucket,
                    Bucket::encryption_key,
                    Bucket::depends_on,
                );
                (spec.name.clone(), stack.add(bucket))
            })
            .collect()
    }

    /// Workload identity bindings and bucket roles, per workload.
    fn workload_access(
        &self,
        _keys: &GcpKeys,
        cluster: &GkeHandles,
        identities: &BTreeMap<String, ServiceAccountHandles>,
        (database, _cache): (&PostgresHandles, &MemorystoreHandles),
        buckets: &BTreeMap<String, Ref<kind::Bucket>>,
        stack: &mut Stack,
    ) -> (BTreeMap<String, GcpWorkload>, Option<DatabaseBootstrap>) {
        let mut access = BTreeMap::new();
        for workload in &self.platform.workloads {
            let Some(sa) = identities.get(&workload.name) else {
                continue;
            };
            let binding = stack.add(
                WorkloadIdentityBinding::new(
                    &logical(&workload.name),
                    sa.account.name(),
                    &workload.namespace,
                    &workload.service_account,
                )
                // The identity pool exists once the cluster does.
                .depends_on(cluster.cluster.address()),
            );
            let mut bucket_roles = BTreeMap::new();
            for (bucket, access) in &workload.buckets {
                let Some(target) = buckets.get(bucket) else {
                    continue;
                };
                let name = format!("{}_{}", logical(bucket), logical(&workload.name));
                let member = sa.account.member();
                let role = stack.add(match access {
                    Access::Read => BucketAccess::read(&name, target.name(), member),
                    Access::ReadWrite => BucketAccess::read_write(&name, target.name(), member),
                });
                bucket_roles.insert(bucket.clone(), role);
            }
            access.insert(
                workload.name.clone(),
                GcpWorkload {
                    service_account: sa.clone(),
                    binding,
                    bucket_roles,
                },
            );
        }
        let bootstrap =
            data_access::needs_bootstrap(self.platform, crate::core::environment::Cloud::Gcp)
                .then(|| self.database_bootstrap(cluster, database, stack));
        (access, bootstrap)
    }

    /// Besides the shared outputs: the Cloud SQL connection name and the
    /// AUTH secret.
    fn outputs(&self, parts: &Parts<'p, Self>, stack: &mut Stack) -> Outputs {
        let (postgres, cluster) = (&parts.database, &parts.cluster.cluster);
        let (redis, redis_auth) = (&parts.cache.instance, &parts.cache.auth);
        stack.output(
            DATABASE_CONNECTION_NAME,
            postgres.instance.connection_name(),
            "Cloud SQL connection name for the Auth Proxy sidecar (--auto-iam-authn --private-ip)",
        );
        // Cloud SQL names an IAM user after its service account, in a
        // project known at apply: the bootstrap's GRANTs and the apps read it.
        for workload in data_access::database_users(self.platform) {
            if let Some(access) = parts.workloads.0.get(&workload.name) {
                stack.output(
                    &data_access::database_user_output(&workload.name),
                    access.service_account.sql_user_name(),
                    &format!("Cloud SQL IAM user of workload `{}`", workload.name),
                );
            }
        }
        if let Some(bootstrap) = &parts.workloads.1 {
            stack.output(
                data_access::BOOTSTRAP_IDENTITY,
                bootstrap.service_account.account.email(),
                "Service account e-mail of the database bootstrap Job",
            );
            stack.output(
                data_access::BOOTSTRAP_ADMIN_SECRET,
                bootstrap.admin_password.secret.id(),
                "Secret Manager secret with the database admin login, readable by the bootstrap Job only",
            );
        }
        stack.output(
            REDIS_AUTH_SECRET,
            redis_auth.secret.id(),
            "Secret Manager secret holding the Memorystore AUTH string (the value is never an output)",
        );
        // Not sensitive: the provider does not mark `server_ca_certs`
        // sensitive, and a CA certificate is public by design.
        stack.output(
            REDIS_CA_CERTIFICATE,
            redis.server_ca_pem(),
            "PEM of the Memorystore server CA certificates (all of them: two during a CA rotation); Redis clients verify TLS against it",
        );
        // The StorageClass names this key where the profile asks for CMEK
        // (`helm::storage`).
        if let Some(key) = parts.keys.keys.get("disks") {
            stack.output(
                GCP_DISKS_KEY,
                key.key.id(),
                "Cloud KMS key of the node boot disks and PersistentVolumes (the StorageClass's disk-encryption-kms-key)",
            );
        }
        Outputs {
            database_address: Output::new(
                postgres.instance.private_ip_address(),
                "Cloud SQL private IP address",
            ),
            database_port: Output::new(5432, "PostgreSQL port"),
            database_names: by_name(&postgres.databases, |name, database| {
                Output::new(database.name(), format!("Name of the `{name}` database"))
            }),
            redis_host: Output::new(redis.host(), "Memorystore primary endpoint IP"),
            redis_port: Output::new(redis.port(), "Memorystore port (TLS)"),
            cluster_name: Output::new(cluster.name(), "GKE cluster name"),
            cluster_endpoint: Output::new(
                cluster.endpoint(),
                "GKE API server IP (private in production)",
            ),
            region: Output::new(self.region(), "GCP region"),
            object_store_endpoint: Output::new(
                "https://storage.googleapis.com",
                "Cloud Storage endpoint",
            ),
            buckets: by_name(&parts.buckets, |name, bucket| {
                Output::new(bucket.name(), format!("Name of the `{name}` bucket"))
            }),
            workload_identities: per_workload(
                self.platform,
                &parts.workloads.0,
                |workload, access| {
                    Output::new(
                    access.service_account.account.email(),
                    format!(
                        "Service account e-mail the `{}/{}` Kubernetes service account acts as (annotate it with iam.gke.io/gcp-service-account)",
                        workload.namespace, workload.service_account
                    ),
                )
                },
            ),
        }
    }

    /// Each resource that first calls an API waits for it to be enabled; the
    /// rest reach it through references to these.
    fn dependencies(&self, parts: &Parts<'p, Self>, stack: &mut Stack) {
        let (network, psa, keys) = (&parts.network.network, &parts.network.psa, &parts.keys);
        let (postgres, redis, redis_auth) =
            (&parts.database, &parts.cache.instance, &parts.cache.auth);
        let (cluster, nodes) = (&parts.cluster.cluster, &parts.cluster.nodes);
        let api = Apis(&self.services);
        api.needed_by(stack, &network.network, "compute");
        api.needed_by(stack, &psa.connection, "servicenetworking");
        api.needed_by(stack, &postgres.instance, "sqladmin");
        api.needed_by(stack, redis, "redis");
        api.needed_by(stack, &redis_auth.secret, "secretmanager");
        api.needed_by(stack, cluster, "container");
        api.needed_by(stack, cluster, "binaryauthorization");
        if let Some(ring) = &keys.ring {
            api.needed_by(stack, ring, "cloudkms");
        }
        let bootstrap = parts.workloads.1.as_ref();
        if let Some(bootstrap) = bootstrap {
            api.needed_by(stack, &bootstrap.admin_password.secret, "secretmanager");
        }
        let bootstrap_sa = bootstrap.map(|b| &b.service_account);
        for sa in parts.identities.values().chain([nodes]).chain(bootstrap_sa) {
            api.needed_by(stack, &sa.account, "iam");
            for role in &sa.roles {
                api.needed_by(stack, role, "cloudresourcemanager");
            }
        }
        for bucket in parts.buckets.values() {
            api.needed_by(stack, bucket, "storage");
        }
        for config in self.audit_logs.values() {
            api.needed_by(stack, config, "cloudresourcemanager");
        }
    }

    fn handles(self, parts: Parts<'p, Self>) -> GcpPlatform {
        GcpPlatform {
            services: self.services,
            audit_logs: self.audit_logs,
            network: parts.network.network,
            private_services: parts.network.psa,
            keys: parts.keys,
            cluster: parts.cluster,
            database: parts.database,
            cache: parts.cache,
            buckets: parts.buckets,
            workloads: parts.workloads.0,
            database_bootstrap: parts.workloads.1,
        }
    }
}

// Helpers of the steps.

impl Gcp<'_> {
    fn region(&self) -> &'static str {
        self.region.name()
    }

    fn primary_zone(&self) -> &str {
        &self.zones[0]
    }

    fn secondary_zone(&self) -> Option<&str> {
        self.zones.get(1).map(String::as_str)
    }

    /// The database bootstrap: its service account (Cloud SQL client),
    /// workload identity binding, and the built-in admin user whose random
    /// password only it may read from Secret Manager.
    fn database_bootstrap(
        &self,
        cluster: &GkeHandles,
        database: &PostgresHandles,
        stack: &mut Stack,
    ) -> DatabaseBootstrap {
        let platform = self.platform;
        let sa = stack.add(
            ServiceAccount::new(
                "database_bootstrap",
                &self.account_id("db-bootstrap"),
                "Database bootstrap Job (GRANTs to the workloads' IAM users)",
            )
            .project_role("roles/cloudsql.client"),
        );
        let binding = stack.add(
            WorkloadIdentityBinding::new(
                "database_bootstrap",
                sa.account.name(),
                &data_access::bootstrap_namespace(platform),
                &data_access::bootstrap_service_account(platform),
            )
            .depends_on(cluster.cluster.address()),
        );
        stack.require_provider("random", "hashicorp/random", RANDOM_PROVIDER_VERSION);
        // Kept in state like the AUTH string; Secret Manager is where the
        // Job reads it, never an output or a values file.
        let password = stack.raw_resource(
            "random_password",
            "database_admin",
            Attributes::new()
                .set("length", 32)
                // psql and URLs take it without quoting.
                .set("special", false),
        );
        let user = stack.resource::<kind::SqlUser>(
            "database_admin",
            Attributes::new()
                .set("name", data_access::GCP_ADMIN_USER)
                .set("instance", database.instance.name())
                .set("type", "BUILT_IN")
                .set("password", password.attr::<String>("result"))
                // The user owns the grants it gave; deleting it would fail
                // while they exist, and the instance's deletion removes it.
                .set("deletion_policy", "ABANDON"),
        );
        let admin_password = stack.add(
            Secret::new(
                "database_admin",
                &format!("{}-{}-admin", self.prefix, platform.database.name),
                self.region(),
                password.attr::<String>("result"),
            )
            .reader("database_bootstrap", sa.account.member()),
        );
        DatabaseBootstrap {
            service_account: sa,
            binding,
            admin_user: user,
            admin_password,
        }
    }

    /// A service account id: `<project>-<env>-<name>`, with the short
    /// environment tag because ids have 6-30 characters (IAM
    /// `projects.serviceAccounts.create`: `accountId` matches
    /// `[a-z]([-a-z0-9]*[a-z0-9])`, 6-30 characters); a longer one is
    /// fitted with a stable hash suffix ([`fit`]). The shortest is 7
    /// characters (`p-dev-x`: the project, the environment's short name and
    /// the workload each have at least one).
    fn account_id(&self, name: &str) -> String {
        let env = self.platform.environment.short_name();
        fit(&format!("{}-{env}-{name}", self.platform.project), 30)
    }

    /// The pods range holds a /24 per node (GKE's default of 110 pods per
    /// node).
    fn check_pod_capacity(&self, plan: &NetworkPlan, stack: &mut Stack) {
        let spec = &self.platform.cluster;
        let capacity = plan.node_capacity();
        let wanted: u64 = spec.pools.iter().map(|p| u64::from(p.max_nodes)).sum();
        if wanted > capacity {
            let message = format!(
                "the pools scale to {wanted} nodes but the pods range {} holds {capacity} (a /24 per node)",
                plan.pods
            );
            // The pods range is the upper half of the network: a /p network
            // holds 2^(23-p) nodes; the platform allows /16 at the widest.
            let bits = u64::BITS - (wanted - 1).leading_zeros();
            let wider = 23u32
                .checked_sub(bits)
                .filter(|p| *p >= 16)
                .and_then(|p| Ipv4Net::new(plan.nodes.network(), p as u8).ok())
                .map(|net| net.trunc());
            match wider {
                Some(net) => stack.error_with_fix(
                    &spec.name,
                    "network.cidr",
                    &message,
                    &format!("use a larger network CIDR such as {net} (the pods range is its upper half), or lower max_nodes"),
                    &net.to_string(),
                ),
                None => stack.error(
                    &spec.name,
                    "pools.max_nodes",
                    &message,
                    "lower max_nodes: even a /16 network holds 128 nodes' pods",
                ),
            }
        }
    }
}

/// The region and zones; a bad region is reported once, here, and the
/// builders get a valid stand-in so they report only their own problems (the
/// stack has an error and will not synthesize either way).
fn region_and_zones(platform: &Platform, stack: &mut Stack) -> (Region, Vec<String>) {
    let region = Region::parse(&platform.regions.gcp).unwrap_or_else(|message| {
        let fix = Region::closest(&platform.regions.gcp).unwrap_or(Region::stand_in().name());
        stack.error_with_fix(
            "platform",
            "regions.gcp",
            &message.message,
            &format!("pick the GCP region the platform runs in, such as {fix}"),
            fix,
        );
        Region::stand_in()
    });
    let zone_count = usize::from(platform.network.zones.max(1));
    if zone_count > region.zone_count() {
        stack.error_with_fix(
            "network",
            "zones",
            &format!(
                "{zone_count} zones requested but {} has {}",
                region.name(),
                region.zone_count()
            ),
            &format!(
                "use at most {} zones in {}",
                region.zone_count(),
                region.name()
            ),
            &region.zone_count().to_string(),
        );
    }
    let mut zones = region.zones(zone_count);
    if zones.is_empty() {
        // Every step needs a primary zone; a region without any is a gap in
        // the region table, reported like a bad region.
        stack.error(
            "platform",
            "regions.gcp",
            &format!("no zones are known for {}", region.name()),
            "pick another GCP region",
        );
        zones = Region::stand_in().zones(zone_count);
    }
    (region, zones)
}

/// Variables, provider pin and configuration (default labels from the tags).
fn configure_project(profile: &Profile, region: &str, stack: &mut Stack) {
    Project::declare(stack);
    if profile.cmek {
        Project::declare_number(stack);
    }
    stack.require_terraform(">= 1.5.0");
    stack.require_provider("google", "hashicorp/google", GOOGLE_PROVIDER_VERSION);
    let labels = crate::gcp::names::default_labels(stack);
    let mut provider = BTreeMap::new();
    provider.insert("project".to_string(), Value::from(Project::id()));
    provider.insert("region".to_string(), Value::from(region));
    provider.insert("default_labels".to_string(), Value::from(labels));
    stack.provider("google", provider);
}

/// The APIs the realization calls under `profile`.
pub fn required_apis(profile: &Profile) -> Vec<&'static str> {
    let mut apis = vec![
        "binaryauthorization.googleapis.com",
        "cloudresourcemanager.googleapis.com",
        "compute.googleapis.com",
        "container.googleapis.com",
        "iam.googleapis.com",
        "redis.googleapis.com",
        "secretmanager.googleapis.com",
        "servicenetworking.googleapis.com",
        "sqladmin.googleapis.com",
        "storage.googleapis.com",
    ];
    if profile.cmek {
        apis.push("cloudkms.googleapis.com");
    }
    apis.sort_unstable();
    apis
}

/// The enabled APIs, by service name.
struct Apis<'a>(&'a BTreeMap<String, Ref<kind::ProjectService>>);

impl Apis<'_> {
    /// Makes `resource` wait for `<api>.googleapis.com`, if it is enabled here.
    fn needed_by<K>(&self, stack: &mut Stack, resource: &Ref<K>, api: &str) {
        if let Some(service) = self.0.get(&format!("{api}.googleapis.com")) {
            stack.depends_on(resource, service);
        }
    }
}

impl GcpKeys {
    /// `builder` encrypted with the key for `purpose` (through `encrypt`)
    /// and waiting (through `wait`) for every grant a resource using that
    /// key needs; `builder` unchanged when the profile has no such key.
    fn encrypt<B>(
        &self,
        purpose: &str,
        builder: B,
        encrypt: impl FnOnce(B, Attr<Id<kind::CryptoKey>>) -> B,
        wait: impl Fn(B, &Address) -> B,
    ) -> B {
        match self.for_purpose(purpose) {
            Some((key, grants)) => grants.iter().fold(encrypt(builder, key), wait),
            None => builder,
        }
    }

    /// The key for `purpose` and the grants a resource using it must wait for.
    fn for_purpose(&self, purpose: &str) -> Option<(Attr<Id<kind::CryptoKey>>, Vec<Address>)> {
        self.keys.get(purpose).map(|key| {
            let grants = key.grants.iter().map(|g| g.address().clone()).collect();
            (key.key.id(), grants)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_follow_the_environment() {
        let dev = Profile::for_environment(Environment::DEV);
        let prod = Profile::for_environment(Environment::PRODUCTION);
        assert!(!dev.cmek && !dev.regional_cluster);
        assert!(prod.cmek && prod.regional_cluster && prod.protected);
        assert_eq!(prod.release_channel, "STABLE");
        assert!(Profile::for_environment(Environment::STAGING).regional_cluster);
    }

    /// A CMEK agent whose API is off does not exist (Compute Engine's is
    /// created by enabling compute.googleapis.com), so each key's API is
    /// among the APIs the CMEK profile enables.
    #[test]
    fn every_cmek_agent_has_its_api_enabled() {
        let apis = required_apis(&Profile::for_environment(Environment::PRODUCTION));
        for (purpose, api, _) in CMEK_AGENTS {
            assert!(apis.contains(&api), "{purpose}: {api} is not enabled");
        }
    }
}
