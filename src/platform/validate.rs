//! Cloud-neutral checks of a [`Platform`], run before any cloud realizes it.

use std::collections::BTreeSet;

use ipnet::Ipv4Net;

use super::spec::{ApiAccess, Platform};
use crate::core::stack::Stack;

/// Records on `stack` every problem in `platform` that is wrong on any cloud.
pub fn validate(platform: &Platform, stack: &mut Stack) {
    let spec = "platform";
    if !is_dns_label(&platform.project) || platform.project.len() > 20 {
        let fix = dns_label_like(&platform.project, 20);
        stack.error_with_fix(
            spec,
            "project",
            &format!("`{}` is not a valid project name", platform.project),
            &format!("use 1-20 lowercase letters, digits and `-`, starting with a letter, such as `{fix}`"),
            &fix,
        );
    }
    check_name(stack, "cluster", "name", &platform.cluster.name);
    check_name(stack, "database", "name", &platform.database.name);
    check_name(stack, "cache", "name", &platform.cache.name);
    check_cache_version(platform, stack);
    match platform.network.cidr.parse::<Ipv4Net>() {
        Ok(net) if net.prefix_len() > 20 => {
            let fix = widened(net);
            stack.error_with_fix(
                "network",
                "cidr",
                &format!("`{net}` is too small for the platform's subnets"),
                &format!("use a /20 or larger range (for example {fix})"),
                &fix.to_string(),
            )
        }
        // AWS's limit (a VPC is /16 to /28), the strictest: the same range
        // is valid on every cloud.
        Ok(net) if net.prefix_len() < 16 => {
            let fix = Ipv4Net::new(net.addr(), 16).map_or(net, |n| n.trunc());
            stack.error_with_fix(
                "network",
                "cidr",
                &format!("`{net}` is larger than a /16, the largest AWS VPC"),
                &format!("use a /16 to /20 range, such as {fix}"),
                &fix.to_string(),
            )
        }
        Ok(net) if net.network() != net.addr() => stack.error_with_fix(
            "network",
            "cidr",
            &format!("`{net}` has host bits set"),
            &format!("use the network address `{}`", net.trunc()),
            &net.trunc().to_string(),
        ),
        Ok(net) if !is_rfc1918(net) => stack.error_with_fix(
            "network",
            "cidr",
            &format!(
                "`{net}` is not a private (RFC 1918) range: GKE's control plane range and AKS's pod range (100.64.0.0/16) are carved beside it, and must not be public or shared address space"
            ),
            &format!("use a range inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, such as {}", DEFAULT_CIDR),
            DEFAULT_CIDR,
        ),
        Ok(_) => {}
        Err(_) => stack.error_with_fix(
            "network",
            "cidr",
            &format!("`{}` is not an IPv4 CIDR", platform.network.cidr),
            &format!("write it as a.b.c.d/len, for example {DEFAULT_CIDR}"),
            DEFAULT_CIDR,
        ),
    }
    if platform.network.zones == 0 {
        let fix = platform.environment.pick(1, 3, 3);
        stack.error_with_fix(
            "network",
            "zones",
            "zones is 0",
            "use at least 1 zone (3 for production)",
            &fix.to_string(),
        );
    }
    let needs_zones = platform.database.high_availability || platform.cache.high_availability;
    if needs_zones && platform.network.zones == 1 {
        stack.error_with_fix(
            "network",
            "zones",
            "high availability (database or cache) needs a standby in a second zone, but zones is 1",
            "use 2 or more zones, or turn high_availability off",
            "2",
        );
    }
    let db = &platform.database;
    if !(1..=35).contains(&db.backup_retention_days) {
        stack.error_with_fix(
            &db.name,
            "backup_retention_days",
            &format!("{} days is outside 1-35", db.backup_retention_days),
            "keep backups for 1 to 35 days (7 or more in production)",
            &db.backup_retention_days.clamp(7, 35).to_string(),
        );
    }
    if db.max_storage_gb < db.storage_gb {
        stack.error_with_fix(
            &db.name,
            "max_storage_gb",
            &format!(
                "max_storage_gb {} is below storage_gb {}",
                db.max_storage_gb, db.storage_gb
            ),
            "set max_storage_gb to at least storage_gb",
            &db.storage_gb.to_string(),
        );
    }
    // The smallest disk every cloud offers as asked: RDS gp3 starts at 20
    // GiB (Cloud SQL at 10; Azure flexible server at 32, which the
    // platform rounds up to).
    if db.storage_gb < 20 {
        stack.error_with_fix(
            &db.name,
            "storage_gb",
            &format!(
                "{} GiB is below 20 GiB, the smallest RDS gp3 volume",
                db.storage_gb
            ),
            "use at least 20 GiB",
            "20",
        );
    }
    let mut seen = BTreeSet::new();
    for database in &db.databases {
        if !is_identifier(database) {
            let fix = identifier_like(database);
            stack.error_with_fix(
                &db.name,
                "databases",
                &format!("`{database}` is not a valid database name"),
                &format!("use lowercase letters, digits and `_`, starting with a letter, at most 63 characters, such as `{fix}`"),
                &fix,
            );
        }
        if !seen.insert(database) {
            stack.error(
                &db.name,
                "databases",
                &format!("database `{database}` is listed twice"),
                "list each database once",
            );
        }
    }
    if let ApiAccess::Restricted(cidrs) = &platform.cluster.api_access {
        for cidr in cidrs {
            if cidr.parse::<Ipv4Net>().is_err() {
                stack.error(
                    &platform.cluster.name,
                    "api_access",
                    &format!("`{cidr}` is not an IPv4 CIDR"),
                    "write it as a.b.c.d/len",
                );
            } else if cidr.ends_with("/0") {
                stack.error(
                    &platform.cluster.name,
                    "api_access",
                    "the Kubernetes API would be open to the whole internet (`/0`)",
                    "list the office or VPN CIDRs that need the API, or use ApiAccess::Private",
                );
            }
        }
    }
    let mut pools = BTreeSet::new();
    for pool in &platform.cluster.pools {
        if !pools.insert(&pool.name) {
            stack.error(
                &platform.cluster.name,
                "pools",
                &format!("node pool `{}` is defined twice", pool.name),
                "give each pool a unique name",
            );
        }
        if pool.name.is_empty()
            || pool.name.len() > 12
            || !pool.name.starts_with(|c: char| c.is_ascii_lowercase())
            || !pool
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        {
            let fix: String = pool
                .name
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .map(|c| c.to_ascii_lowercase())
                .skip_while(|c| !c.is_ascii_lowercase())
                .take(12)
                .collect();
            let fix = if fix.is_empty() {
                "pool".to_string()
            } else {
                fix
            };
            stack.error_with_fix(
                &platform.cluster.name,
                &format!("pools.{}.name", pool.name),
                &format!("node pool name `{}` is not portable", pool.name),
                &format!("use 1-12 lowercase letters and digits starting with a letter (AKS's rule, the strictest), such as `{fix}`"),
                &fix,
            );
        }
        if pool.gpus == Some(0) {
            stack.error_with_fix(
                &platform.cluster.name,
                &format!("pools.{}.gpus", pool.name),
                "0 GPUs per node",
                "use None for a pool without GPUs, or 1 or more",
                "1",
            );
        }
        if !(pool.min_nodes <= pool.desired_nodes && pool.desired_nodes <= pool.max_nodes)
            || pool.max_nodes == 0
        {
            let field = format!("pools.{}.desired_nodes", pool.name);
            let message = format!(
                "node counts min {} / desired {} / max {} are not ordered",
                pool.min_nodes, pool.desired_nodes, pool.max_nodes
            );
            let hint = "keep min <= desired <= max and max >= 1";
            // Only the desired count out of range has one value that fixes it.
            if pool.min_nodes <= pool.max_nodes && pool.max_nodes >= 1 {
                let fix = pool.desired_nodes.clamp(pool.min_nodes, pool.max_nodes);
                stack.error_with_fix(
                    &platform.cluster.name,
                    &field,
                    &message,
                    hint,
                    &fix.to_string(),
                );
            } else {
                stack.error(&platform.cluster.name, &field, &message, hint);
            }
        }
    }
    let mut buckets = BTreeSet::new();
    for bucket in &platform.buckets {
        if !buckets.insert(&bucket.name) {
            stack.error(
                &bucket.name,
                "name",
                &format!("bucket `{}` is defined twice", bucket.name),
                "give each bucket a unique name",
            );
        }
        if !is_dns_label(&bucket.name) {
            let fix = dns_label_like(&bucket.name, 63);
            stack.error_with_fix(
                &bucket.name,
                "name",
                &format!("bucket name `{}` is not valid", bucket.name),
                &format!("use 1-63 lowercase letters, digits and `-`, starting with a letter, such as `{fix}`"),
                &fix,
            );
        }
        for (field, days) in [
            ("archive_after_days", bucket.archive_after_days),
            ("expire_after_days", bucket.expire_after_days),
            ("noncurrent_expire_days", bucket.noncurrent_expire_days),
        ] {
            // Every cloud's lifecycle rule acts on objects at least a day
            // old (S3 `Days` >= 1 for transitions and expiration, GCS `age`
            // 0 would act on every object at once, Azure's
            // `days_after_modification_greater_than` 0 likewise).
            if days == Some(0) {
                stack.error_with_fix(
                    &bucket.name,
                    field,
                    &format!("{field} is 0: the rule would act on every object at once"),
                    "use at least 1 day, or None for no rule",
                    "1",
                );
            }
        }
    }
    let mut workloads = BTreeSet::new();
    for workload in &platform.workloads {
        let field = format!("workloads.{}.name", workload.name);
        if !workloads.insert(&workload.name) {
            stack.error(
                "platform",
                &field,
                &format!("workload `{}` is defined twice", workload.name),
                "give each workload a unique name",
            );
        }
        if !is_dns_label(&workload.name) {
            let fix = dns_label_like(&workload.name, 63);
            stack.error_with_fix(
                "platform",
                &field,
                &format!("workload name `{}` is not valid", workload.name),
                &format!("use 1-63 lowercase letters, digits and `-`, starting with a letter, such as `{fix}`"),
                &fix,
            );
        }
    }
    for workload in &platform.workloads {
        // One grant per bucket: two would be two IAM bindings of one name
        // on GCP and a silent union elsewhere.
        let mut granted = BTreeSet::new();
        for (bucket, _) in &workload.buckets {
            if !granted.insert(bucket) {
                stack.error(
                    &workload.name,
                    "buckets",
                    &format!(
                        "workload `{}` is granted bucket `{bucket}` twice",
                        workload.name
                    ),
                    "grant each bucket once, with the widest access it needs",
                );
            }
        }
        for (bucket, _) in &workload.buckets {
            if platform.bucket(bucket).is_none() {
                // A bucket the workload is not granted yet: granting one
                // twice is a mistake of its own.
                let fix = platform
                    .buckets
                    .iter()
                    .find(|b| !workload.buckets.iter().any(|(g, _)| *g == b.name))
                    .map(|b| b.name.clone())
                    .unwrap_or_default();
                stack.error_with_fix(
                    &workload.name,
                    "buckets",
                    &format!("workload `{}` is granted bucket `{bucket}`, which the platform does not define", workload.name),
                    &format!(
                        "use one of: {}",
                        platform.buckets.iter().map(|b| b.name.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                    &fix,
                );
            }
        }
        for (database, _) in &workload.databases {
            if !platform.database.databases.contains(database) {
                let fix = platform
                    .database
                    .databases
                    .first()
                    .cloned()
                    .unwrap_or_default();
                stack.error_with_fix(
                    &workload.name,
                    "databases",
                    &format!(
                        "workload `{}` uses database `{database}`, which `database.databases` does not define",
                        workload.name
                    ),
                    &format!(
                        "use one of: {}, or add `{database}` to `database.databases`",
                        platform.database.databases.join(", ")
                    ),
                    &fix,
                );
            }
        }
        if !is_dns_label(&workload.service_account) || !is_dns_label(&workload.namespace) {
            stack.error_with_fix(
                &workload.name,
                "service_account",
                &format!(
                    "`{}/{}` is not a valid Kubernetes namespace/service account",
                    workload.namespace, workload.service_account
                ),
                "use lowercase letters, digits and `-`",
                &dns_label_like(&workload.service_account, 63),
            );
        }
    }
}

/// Lowercase letters, digits and `-`, starting with a letter, not ending in `-`.
pub fn is_dns_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn is_identifier(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The network range the fixes of `network.cidr` suggest: private
/// (RFC 1918), a /16 like the reference stack's.
const DEFAULT_CIDR: &str = "10.20.0.0/16";

/// A user's name (`cluster.name`, `database.name`, `cache.name`) that every
/// cloud's derived names can hold: a DNS label. Longer derived names are
/// fitted with [`crate::core::naming::fit`].
fn check_name(stack: &mut Stack, resource: &str, field: &str, name: &str) {
    if !is_dns_label(name) {
        let fix = dns_label_like(name, 63);
        stack.error_with_fix(
            resource,
            field,
            &format!("`{name}` is not a valid {resource} name"),
            &format!(
                "use 1-63 lowercase letters, digits and `-`, starting with a letter, such as `{fix}`"
            ),
            &fix,
        );
    }
}

/// `cache.version` is a Redis `major.minor` version: each cloud then checks
/// that it offers it (ElastiCache 7.x, Memorystore 5.0-7.2, Azure Managed
/// Redis 7.4, which runs one version and takes none).
fn check_cache_version(platform: &Platform, stack: &mut Stack) {
    let version = &platform.cache.version;
    let valid = version
        .split_once('.')
        .is_some_and(|(major, minor)| major.parse::<u32>().is_ok() && minor.parse::<u32>().is_ok());
    if !valid {
        stack.error_with_fix(
            "cache",
            "version",
            &format!("`{version}` is not a Redis version"),
            "write the Redis version as major.minor, such as 7.1",
            "7.1",
        );
    }
}

/// `net` widened to a /16 (or kept at its own length when already wider).
fn widened(net: Ipv4Net) -> Ipv4Net {
    Ipv4Net::new(net.addr(), net.prefix_len().min(16))
        .map(|n| n.trunc())
        .unwrap_or(net)
}

/// Whether `net` lies inside one of RFC 1918's private blocks.
pub fn is_rfc1918(net: Ipv4Net) -> bool {
    ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
        .iter()
        .filter_map(|block| block.parse::<Ipv4Net>().ok())
        .any(|block| block.contains(&net))
}

/// `name` made a DNS label of at most `max` characters: lowercased, other
/// characters as `-`, starting with a letter (`x` prepended otherwise), no
/// `-` at either end. The value the hints of name errors suggest.
///
/// ```
/// use infrasynth::platform::validate::dns_label_like;
/// assert_eq!(dns_label_like("ML_Platform", 20), "ml-platform");
/// assert_eq!(dns_label_like("9lives", 20), "x9lives");
/// ```
pub fn dns_label_like(name: &str, max: usize) -> String {
    let mut label: String = name
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '-'
            }
        })
        .collect();
    label = label.trim_matches('-').to_string();
    while label.contains("--") {
        label = label.replace("--", "-");
    }
    if !label.starts_with(|c: char| c.is_ascii_lowercase()) {
        label.insert(0, 'x');
    }
    label.truncate(max);
    label.trim_end_matches('-').to_string()
}

/// `name` made a PostgreSQL identifier: lowercased, other characters as
/// `_`, starting with a letter, at most 63 characters.
fn identifier_like(name: &str) -> String {
    let mut id: String = name
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !id.starts_with(|c: char| c.is_ascii_lowercase()) {
        id.insert(0, 'x');
    }
    id.truncate(63);
    id
}
