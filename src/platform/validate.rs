//! Cloud-neutral checks of a [`Platform`], run before any cloud realizes it.

use std::collections::BTreeSet;

use ipnet::Ipv4Net;

use super::spec::{ApiAccess, Platform};
use crate::core::stack::Stack;

/// Records on `stack` every problem in `platform` that is wrong on any cloud.
pub fn validate(platform: &Platform, stack: &mut Stack) {
    let spec = "platform";
    if !is_dns_label(&platform.project) || platform.project.len() > 20 {
        stack.error(
            spec,
            "project",
            &format!("`{}` is not a valid project name", platform.project),
            "use 1-20 lowercase letters, digits and `-`, starting with a letter",
        );
    }
    match platform.network.cidr.parse::<Ipv4Net>() {
        Ok(net) if net.prefix_len() > 20 => stack.error(
            "network",
            "cidr",
            &format!("`{net}` is too small for the platform's subnets"),
            "use a /20 or larger range (for example 10.20.0.0/16)",
        ),
        Ok(net) if net.network() != net.addr() => stack.error(
            "network",
            "cidr",
            &format!("`{net}` has host bits set"),
            &format!("use the network address `{}`", net.trunc()),
        ),
        Ok(_) => {}
        Err(_) => stack.error(
            "network",
            "cidr",
            &format!("`{}` is not an IPv4 CIDR", platform.network.cidr),
            "write it as a.b.c.d/len, for example 10.20.0.0/16",
        ),
    }
    if platform.network.zones == 0 {
        stack.error(
            "network",
            "zones",
            "zones is 0",
            "use at least 1 zone (3 for production)",
        );
    }
    let db = &platform.database;
    if !(1..=35).contains(&db.backup_retention_days) {
        stack.error(
            &db.name,
            "backup_retention_days",
            &format!("{} days is outside 1-35", db.backup_retention_days),
            "keep backups for 1 to 35 days (7 or more in production)",
        );
    }
    if db.max_storage_gb < db.storage_gb {
        stack.error(
            &db.name,
            "max_storage_gb",
            &format!(
                "max_storage_gb {} is below storage_gb {}",
                db.max_storage_gb, db.storage_gb
            ),
            "set max_storage_gb to at least storage_gb",
        );
    }
    let mut seen = BTreeSet::new();
    for database in &db.databases {
        if !is_identifier(database) {
            stack.error(
                &db.name,
                "databases",
                &format!("`{database}` is not a valid database name"),
                "use lowercase letters, digits and `_`, starting with a letter, at most 63 characters",
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
            stack.error(
                &platform.cluster.name,
                &format!("pools.{}.name", pool.name),
                &format!("node pool name `{}` is not portable", pool.name),
                "use 1-12 lowercase letters and digits starting with a letter (AKS's rule, the strictest)",
            );
        }
        if !(pool.min_nodes <= pool.desired_nodes && pool.desired_nodes <= pool.max_nodes)
            || pool.max_nodes == 0
        {
            stack.error(
                &platform.cluster.name,
                &format!("pools.{}.desired_nodes", pool.name),
                &format!(
                    "node counts min {} / desired {} / max {} are not ordered",
                    pool.min_nodes, pool.desired_nodes, pool.max_nodes
                ),
                "keep min <= desired <= max and max >= 1",
            );
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
            stack.error(
                &bucket.name,
                "name",
                &format!("bucket name `{}` is not valid", bucket.name),
                "use lowercase letters, digits and `-`, starting with a letter",
            );
        }
    }
    for workload in &platform.workloads {
        for (bucket, _) in &workload.buckets {
            if platform.bucket(bucket).is_none() {
                stack.error(
                    &workload.name,
                    "buckets",
                    &format!("workload `{}` is granted bucket `{bucket}`, which the platform does not define", workload.name),
                    &format!(
                        "use one of: {}",
                        platform.buckets.iter().map(|b| b.name.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                );
            }
        }
        for (database, _) in &workload.databases {
            if !platform.database.databases.contains(database) {
                stack.error(
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
                );
            }
        }
        if !is_dns_label(&workload.service_account) || !is_dns_label(&workload.namespace) {
            stack.error(
                &workload.name,
                "service_account",
                &format!(
                    "`{}/{}` is not a valid Kubernetes namespace/service account",
                    workload.namespace, workload.service_account
                ),
                "use lowercase letters, digits and `-`",
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
