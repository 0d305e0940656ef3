//! Environment-sized defaults, so a stack states only what differs.

use std::collections::BTreeMap;

use super::spec::*;
use crate::core::environment::Environment;

impl Platform {
    /// A platform named `project` with defaults sized for `env`: a /16 network
    /// over 2 zones in dev and 3 otherwise, PostgreSQL 16 and Redis 7.1 (highly
    /// available outside dev, deletion-protected in production), and a
    /// Kubernetes 1.35 cluster with one general node pool whose API is private
    /// in production. No buckets or workloads: add your own.
    ///
    /// 1.35 is the newest minor every cloud supports with more than 90 days
    /// left on 2026-11-29 and that GKE's Stable channel offers (EKS standard
    /// support until 2027-03-27, GKE until 2027-04-11, AKS until 2027-03-31);
    /// 1.36 lasts longer but reached GKE's Regular channel only in June 2026.
    ///
    /// ```
    /// use infrasynth::platform::Platform;
    /// use infrasynth::Environment;
    /// let p = Platform::new("shop", Environment::PRODUCTION);
    /// assert!(p.database.deletion_protection && p.database.high_availability);
    /// assert_eq!(p.network.zones, 3);
    /// ```
    pub fn new(project: &str, env: Environment) -> Platform {
        let production = env.is_production();
        Platform {
            project: project.to_string(),
            environment: env,
            regions: Regions::default(),
            network: NetworkSpec {
                cidr: "10.0.0.0/16".to_string(),
                zones: env.pick(2, 3, 3),
                single_nat_gateway: env.is_development(),
            },
            database: DatabaseSpec {
                name: "main".to_string(),
                version: "16".to_string(),
                size: env.pick(Size::Small, Size::Medium, Size::Large),
                storage_gb: env.pick(20, 50, 100),
                max_storage_gb: env.pick(50, 200, 1000),
                high_availability: !env.is_development(),
                backup_retention_days: env.pick(1, 7, 14),
                deletion_protection: production,
                databases: vec!["app".to_string()],
            },
            cache: CacheSpec {
                name: "cache".to_string(),
                version: "7.1".to_string(),
                size: env.pick(Size::Small, Size::Medium, Size::Large),
                replicas: env.pick(0, 1, 2),
                high_availability: !env.is_development(),
            },
            cluster: ClusterSpec {
                name: "main".to_string(),
                kubernetes_version: "1.35".to_string(),
                api_access: ApiAccess::Private,
                pools: vec![NodePoolSpec {
                    name: "general".to_string(),
                    capacity: Capacity::OnDemand,
                    size: env.pick(Size::Large, Size::Large, Size::XLarge),
                    gpus: None,
                    min_nodes: env.pick(1, 2, 3),
                    max_nodes: env.pick(3, 6, 12),
                    desired_nodes: env.pick(1, 2, 3),
                    taints: Vec::new(),
                    labels: BTreeMap::new(),
                }],
            },
            buckets: Vec::new(),
            workloads: Vec::new(),
            tags: BTreeMap::new(),
        }
    }
}
