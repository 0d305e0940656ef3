//! The cloud-neutral [`Platform`] realized with the GCP builders.
//!
//! | platform | GCP |
//! |---|---|
//! | network | custom VPC, one regional subnetwork (nodes) with pods/services secondary ranges, Cloud NAT, deny-by-default firewall |
//! | database | Cloud SQL for PostgreSQL on private services access, IAM database users per workload |
//! | cache | Memorystore for Redis (`STANDARD_HA` when HA) |
//! | cluster | private GKE Standard cluster, regional outside dev, separately managed pools |
//! | buckets | GCS buckets named `<project>-<env>-<name>-<6 hex of the GCP project id>` |
//! | workloads | one service account each, workload identity binding, bucket roles, IAM database user, reader of the Redis AUTH secret |
//! | production | CMEK (Cloud KMS) for buckets, Cloud SQL, Memorystore and GKE secrets |

use std::collections::BTreeMap;

use ipnet::Ipv4Net;

use super::bucket::{Bucket, BucketAccess};
use super::gke::{GkeCluster, Location};
use super::kms::{CryptoKey, CryptoKeyHandles, KeyRing};
use super::network::{Network, NetworkPlan, PODS_RANGE, SERVICES_RANGE};
use super::node_pool::NodePool;
use super::postgres::Postgres;
use super::private_services::PrivateServiceAccess;
use super::project::{service_agents, Project};
use super::redis::Redis;
use super::region::Region;
use super::secret::Secret;
use super::service_account::{ServiceAccount, WorkloadIdentityBinding};
use super::size;
use crate::core::environment::Environment;
use crate::core::stack::Stack;
use crate::core::synth::to_label;
use crate::platform::outputs;
use crate::platform::{new_stack, Access, ApiAccess, Capacity, Platform};
use crate::Value;

/// A GCP-only output: the Secret Manager secret with the Redis AUTH string.
pub const REDIS_AUTH_SECRET: &str = "redis_auth_secret";

/// A GCP-only output: the Cloud SQL connection name (`project:region:instance`),
/// which the Cloud SQL Auth Proxy needs.
pub const DATABASE_CONNECTION_NAME: &str = "database_connection_name";

/// The provider version constraint.
pub const GOOGLE_PROVIDER_VERSION: &str = "~> 6.50";

/// The project roles every workload's service account gets: connecting to Cloud
/// SQL and logging in with IAM database authentication (table privileges are
/// still PostgreSQL GRANTs).
pub const WORKLOAD_ROLES: [&str; 2] = ["roles/cloudsql.client", "roles/cloudsql.instanceUser"];

/// The project roles of the nodes' service account: GKE's minimal node role and
/// pulling images from Artifact Registry.
pub const NODE_ROLES: [&str; 2] = [
    "roles/container.defaultNodeServiceAccount",
    "roles/artifactregistry.reader",
];

/// A short environment tag for service account ids, which have 30 characters.
fn env_short(env: Environment) -> &'static str {
    env.pick("dev", "stg", "prd")
}

fn snake(name: &str) -> String {
    name.replace('-', "_")
}

/// Realizes `platform` on GCP.
pub fn realize(platform: &Platform) -> Stack {
    let mut stack = new_stack(platform);
    let env = platform.environment;
    let prefix = platform.name_prefix();
    let production = env.is_production();
    let cmek = production;

    Project::declare(&mut stack);
    if cmek {
        Project::declare_number(&mut stack);
    }
    stack.require_terraform(">= 1.5.0");
    stack.require_provider("google", "hashicorp/google", GOOGLE_PROVIDER_VERSION);

    // A bad region is reported once, here; the builders then get a valid
    // stand-in so they report only their own problems (the stack has an error
    // and will not synthesize either way).
    let region = Region::parse(&platform.regions.gcp).unwrap_or_else(|message| {
        stack.error(
            "platform",
            "regions.gcp",
            &message,
            "pick the GCP region the platform runs in",
        );
        Region::stand_in()
    });
    let region_name = region.name().to_string();
    let zone_count = usize::from(platform.network.zones.max(1));
    if zone_count > region.zone_count() {
        stack.error(
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
        );
    }
    let zones = region.zones(zone_count);

    let mut provider = BTreeMap::new();
    provider.insert("project".to_string(), Value::from(Project::id()));
    provider.insert("region".to_string(), Value::from(region_name.as_str()));
    let labels: BTreeMap<String, Value> = stack
        .default_tags()
        .iter()
        .map(|(k, v)| (to_label(k), Value::from(to_label(v))))
        .collect();
    provider.insert("default_labels".to_string(), Value::from(labels));
    stack.provider("google", provider);

    // The cloud-neutral validation already reported a bad CIDR; carry on with a
    // placeholder plan so the other builders still report their own problems.
    let plan = platform
        .network
        .cidr
        .parse::<Ipv4Net>()
        .ok()
        .and_then(|net| NetworkPlan::from_base(net.trunc()))
        .or_else(|| NetworkPlan::from_base("10.0.0.0/16".parse().ok()?));
    let Some(plan) = plan else {
        return stack;
    };
    let network = stack.add(Network::new("main", &prefix, &region_name, plan));
    let capacity = plan.node_capacity();
    let wanted: u64 = platform
        .cluster
        .pools
        .iter()
        .map(|p| u64::from(p.max_nodes))
        .sum();
    if wanted > capacity {
        stack.error(
            &platform.cluster.name,
            "pools.max_nodes",
            &format!(
                "the pools scale to {wanted} nodes but the pods range {} holds {capacity} (a /24 per node)",
                plan.pods
            ),
            "use a larger network CIDR (the pods range is its upper half) or lower max_nodes",
        );
    }
    let psa = stack.add(PrivateServiceAccess::new(
        "main",
        &format!("{prefix}-psa"),
        network.network.id(),
        plan.private_services,
    ));

    // Customer-managed keys, one per service, each granted to its service agent.
    let keys: Option<BTreeMap<&str, CryptoKeyHandles>> = cmek.then(|| {
        let ring = stack.add(KeyRing::new("main", &prefix, &region_name));
        [
            ("storage", service_agents::STORAGE),
            ("sql", service_agents::CLOUD_SQL),
            ("redis", service_agents::REDIS),
            ("gke", service_agents::GKE),
        ]
        .into_iter()
        .map(|(purpose, agent)| {
            let key = stack.add(
                CryptoKey::new(purpose, &format!("{prefix}-{purpose}"), ring.id())
                    .prevent_destroy(production)
                    .grant_to("agent", Project::service_agent(agent)),
            );
            (purpose, key)
        })
        .collect()
    });

    // Service accounts: the nodes' and one per workload.
    let nodes = stack.add(NODE_ROLES.iter().fold(
        ServiceAccount::new(
            "gke_nodes",
            &format!("{}-{}-gke-nodes", platform.project, env_short(env)),
            "GKE nodes",
        ),
        |sa, role| sa.project_role(role),
    ));
    let mut workloads = BTreeMap::new();
    for workload in &platform.workloads {
        let sa = stack.add(WORKLOAD_ROLES.iter().fold(
            ServiceAccount::new(
                &snake(&workload.name),
                &format!("{}-{}-{}", platform.project, env_short(env), workload.name),
                &format!(
                    "Workload {}/{}",
                    workload.namespace, workload.service_account
                ),
            ),
            |sa, role| sa.project_role(role),
        ));
        workloads.insert(workload.name.clone(), sa);
    }

    // PostgreSQL.
    let db = &platform.database;
    let mut postgres = Postgres::new(
        "main",
        &format!("{prefix}-{}", db.name),
        &region_name,
        network.network.id(),
        psa.range.name(),
    )
    .version(&db.version)
    .tier(size::sql_tier(db.size))
    .high_availability(db.high_availability)
    .zones(&zones[0], zones.get(1).map(String::as_str))
    .storage(db.storage_gb, db.max_storage_gb)
    .backup_retention_days(db.backup_retention_days)
    .deletion_protection(db.deletion_protection)
    .depends_on(psa.connection.address());
    for database in &db.databases {
        postgres = postgres.database(database);
    }
    for (name, sa) in &workloads {
        postgres = postgres.iam_user(&snake(name), sa.sql_user_name());
    }
    if let Some(key) = keys.as_ref().and_then(|k| k.get("sql")) {
        postgres = postgres.encryption_key(key.key.id());
        for grant in &key.grants {
            postgres = postgres.depends_on(grant.address());
        }
    }
    let postgres = stack.add(postgres);

    // Redis.
    let cache = &platform.cache;
    let mut redis = Redis::new(
        "main",
        &format!("{prefix}-{}", cache.name),
        &region_name,
        network.network.id(),
        psa.range.name(),
    )
    .version(&cache.version)
    .memory_gb(size::redis_memory_gb(cache.size))
    .high_availability(cache.high_availability)
    .replicas(cache.replicas)
    .zones(&zones[0], zones.get(1).map(String::as_str))
    .depends_on(psa.connection.address());
    if let Some(key) = keys.as_ref().and_then(|k| k.get("redis")) {
        redis = redis.encryption_key(key.key.id());
        for grant in &key.grants {
            redis = redis.depends_on(grant.address());
        }
    }
    let redis = stack.add(redis);
    // Apps read the AUTH string from Secret Manager through workload identity;
    // the platform spec has no per-workload cache access, so every workload may.
    let redis_auth = stack.add(workloads.iter().fold(
        Secret::new(
            "redis_auth",
            &format!("{prefix}-{}-auth", cache.name),
            &region_name,
            redis.auth_string(),
        ),
        |secret, (name, sa)| secret.reader(&snake(name), sa.account.member()),
    ));

    // Buckets.
    let location = region.storage_location();
    let mut buckets = BTreeMap::new();
    for spec in &platform.buckets {
        let mut bucket = Bucket::new(
            &snake(&spec.name),
            &format!("{prefix}-{}", spec.name),
            &location,
        )
        .unique_suffix()
        .versioning(spec.versioning)
        // Objects deleted before the transition would be due need no
        // transition (and would pay the colder class's early-deletion fee).
        .archive_after_days(spec.archive_after_days.filter(|archive| {
            spec.expire_after_days
                .is_none_or(|expire| expire > *archive)
        }))
        .expire_after_days(spec.expire_after_days)
        .noncurrent_expire_days(spec.noncurrent_expire_days);
        if let Some(key) = keys.as_ref().and_then(|k| k.get("storage")) {
            bucket = bucket.encryption_key(key.key.id());
            for grant in &key.grants {
                bucket = bucket.depends_on(grant.address());
            }
        }
        buckets.insert(spec.name.clone(), stack.add(bucket));
    }

    // GKE.
    let location = if env == Environment::Dev {
        Location::Zonal(zones[0].clone())
    } else {
        Location::Regional {
            region: region_name.clone(),
            zones: zones.clone(),
        }
    };
    let location_name = location.name().to_string();
    let pool_zones = location.zone_count() as u32;
    let mut cluster = GkeCluster::new(
        "main",
        &format!("{prefix}-{}", platform.cluster.name),
        location,
        network.network.id(),
        network.subnetwork.id(),
        PODS_RANGE,
        SERVICES_RANGE,
        &plan.master.to_string(),
        nodes.account.email(),
    )
    .kubernetes_version(&platform.cluster.kubernetes_version)
    .release_channel(if production { "STABLE" } else { "REGULAR" })
    // Enforced where images should come from the release pipeline; dev runs
    // whatever developers build.
    .binary_authorization(env != Environment::Dev)
    .deletion_protection(production)
    .authorized_network("nodes", &plan.nodes.to_string());
    match &platform.cluster.api_access {
        ApiAccess::Private => cluster = cluster.private_endpoint(true),
        ApiAccess::Restricted(cidrs) => {
            cluster = cluster.private_endpoint(false);
            for (i, cidr) in cidrs.iter().enumerate() {
                cluster = cluster.authorized_network(&format!("allowed-{}", i + 1), cidr);
            }
        }
    }
    if let Some(key) = keys.as_ref().and_then(|k| k.get("gke")) {
        cluster = cluster.secrets_encryption_key(key.key.id());
        for grant in &key.grants {
            cluster = cluster.depends_on(grant.address());
        }
    }
    for role in &nodes.roles {
        cluster = cluster.depends_on(role.address());
    }
    let cluster = stack.add(cluster);
    for spec in &platform.cluster.pools {
        let machine = if spec.gpus.is_some() {
            size::GPU_MACHINE_TYPE
        } else {
            size::machine_type(spec.size)
        };
        let mut pool = NodePool::new(
            &snake(&spec.name),
            &spec.name,
            cluster.id(),
            &location_name,
            pool_zones,
            machine,
            nodes.account.email(),
        )
        .autoscaling(spec.min_nodes, spec.max_nodes, spec.desired_nodes)
        .spot(spec.capacity == Capacity::Spot);
        if let Some(gpus) = spec.gpus {
            pool = pool.gpu(size::GPU_ACCELERATOR, gpus);
        }
        for taint in &spec.taints {
            pool = pool.taint(taint.clone());
        }
        for (key, value) in &spec.labels {
            pool = pool.label(key, value);
        }
        stack.add(pool);
    }

    // Workload identity and bucket access.
    for workload in &platform.workloads {
        let Some(sa) = workloads.get(&workload.name) else {
            continue;
        };
        stack.add(
            WorkloadIdentityBinding::new(
                &snake(&workload.name),
                sa.account.name(),
                &workload.namespace,
                &workload.service_account,
            )
            .depends_on(cluster.address()),
        );
        for (bucket, access) in &workload.buckets {
            let Some(target) = buckets.get(bucket) else {
                continue;
            };
            let logical = format!("{}_{}", snake(bucket), snake(&workload.name));
            let member = sa.account.member();
            stack.add(match access {
                Access::Read => BucketAccess::read(&logical, target.name(), member),
                Access::ReadWrite => BucketAccess::read_write(&logical, target.name(), member),
            });
        }
        stack.output(
            &outputs::workload_identity(&workload.name),
            sa.account.email(),
            &format!("Service account e-mail the `{}/{}` Kubernetes service account acts as (annotate it with iam.gke.io/gcp-service-account)", workload.namespace, workload.service_account),
        );
    }

    // Outputs, named alike on every cloud.
    stack.output(
        outputs::DATABASE_ADDRESS,
        postgres.instance.private_ip_address(),
        "Cloud SQL private IP address",
    );
    stack.output(outputs::DATABASE_PORT, 5432, "PostgreSQL port");
    stack.output(
        DATABASE_CONNECTION_NAME,
        postgres.instance.connection_name(),
        "Cloud SQL connection name for the Auth Proxy sidecar (--auto-iam-authn --private-ip)",
    );
    for (name, database) in &postgres.databases {
        stack.output(
            &outputs::database_name(name),
            database.name(),
            &format!("Name of the `{name}` database"),
        );
    }
    stack.output(
        outputs::REDIS_HOST,
        redis.host(),
        "Memorystore primary endpoint IP",
    );
    stack.output(outputs::REDIS_PORT, redis.port(), "Memorystore port (TLS)");
    stack.output(
        REDIS_AUTH_SECRET,
        redis_auth.secret.id(),
        "Secret Manager secret holding the Memorystore AUTH string (the value is never an output)",
    );
    stack.output(outputs::CLUSTER_NAME, cluster.name(), "GKE cluster name");
    stack.output(
        outputs::CLUSTER_ENDPOINT,
        cluster.endpoint(),
        "GKE API server IP (private in production)",
    );
    stack.output(outputs::REGION, region_name.as_str(), "GCP region");
    stack.output(
        outputs::OBJECT_STORE_ENDPOINT,
        "https://storage.googleapis.com",
        "Cloud Storage endpoint",
    );
    for (name, bucket) in &buckets {
        stack.output(
            &outputs::bucket(name),
            bucket.name(),
            &format!("Name of the `{name}` bucket"),
        );
    }
    stack
}
