//! What broadens access on Azure (hashicorp/azurerm 4.55.0; each default
//! quoted is from that release's `website/docs/r/*.html.markdown`).

use std::collections::BTreeSet;

use serde_json::Value as Json;

use super::ingress::{port_range, protocol, report_new_ingress, Ingress};
use super::{boxed, flag, ResourcesOnly};
use crate::core::diff::{
    lookup, strings, Broad, Broadening, BroadeningRule, FlagRule, RemovedRule, ResourceDelta,
};

/// Attributes turned to their open value.
const FLAGS: &[FlagRule] = &[
    // storage_account: public_network_access_enabled and
    // allow_nested_items_to_be_public "Defaults to `true`";
    // https_traffic_only_enabled "Defaults to `true`"; min_tls_version "TLS1_2".
    flag(
        "azurerm_storage_account",
        "public_network_access_enabled",
        Broad::True,
        true,
        "public network access turned on",
    ),
    flag(
        "azurerm_storage_account",
        "allow_nested_items_to_be_public",
        Broad::True,
        true,
        "public access turned on: containers and blobs may be made public",
    ),
    flag(
        "azurerm_storage_account",
        "https_traffic_only_enabled",
        Broad::False,
        false,
        "TLS no longer required (HTTP allowed)",
    ),
    flag(
        "azurerm_storage_account",
        "min_tls_version",
        Broad::AnyOf(&["TLS1_0", "TLS1_1"]),
        false,
        "TLS minimum lowered below 1.2",
    ),
    // kubernetes_cluster: private_cluster_enabled "Defaults to `false`".
    flag(
        "azurerm_kubernetes_cluster",
        "private_cluster_enabled",
        Broad::NotTrue,
        true,
        "public endpoint turned on: the Kubernetes API is reachable from the internet",
    ),
    // postgresql_flexible_server, key_vault, redis_cache:
    // public_network_access_enabled "Defaults to `true`".
    flag(
        "azurerm_postgresql_flexible_server",
        "public_network_access_enabled",
        Broad::True,
        true,
        "public network access turned on",
    ),
    flag(
        "azurerm_key_vault",
        "public_network_access_enabled",
        Broad::True,
        true,
        "public network access turned on",
    ),
    flag(
        "azurerm_key_vault",
        "purge_protection_enabled",
        Broad::NotTrue,
        true,
        "purge protection turned off",
    ),
    flag(
        "azurerm_redis_cache",
        "public_network_access_enabled",
        Broad::True,
        true,
        "public network access turned on",
    ),
    flag(
        "azurerm_redis_cache",
        "non_ssl_port_enabled",
        Broad::True,
        false,
        "TLS no longer required (the non-TLS port is open)",
    ),
    flag(
        "azurerm_redis_cache",
        "minimum_tls_version",
        Broad::AnyOf(&["1.0", "1.1"]),
        false,
        "TLS minimum lowered below 1.2",
    ),
];

const REMOVED: &[RemovedRule] = &[
    RemovedRule {
        resource_type: "azurerm_monitor_diagnostic_setting",
        what: "diagnostic logging removed",
    },
    RemovedRule {
        resource_type: "azurerm_management_lock",
        what: "delete lock removed (deletion protection off)",
    },
];

/// An inbound `Allow` rule's entries (network_security_rule docs: prefixes
/// are a CIDR, `*` or a service tag such as `Internet`).
fn rule_entries(rule: &Json) -> BTreeSet<Ingress> {
    let get = |key: &str| rule.get(key).and_then(Json::as_str);
    if get("direction") != Some("Inbound") || get("access") != Some("Allow") {
        return BTreeSet::new();
    }
    let proto = protocol(get("protocol").unwrap_or("*"));
    let mut ports = strings(rule.get("destination_port_range"));
    ports.extend(strings(rule.get("destination_port_ranges")));
    let mut sources = strings(rule.get("source_address_prefix"));
    sources.extend(strings(rule.get("source_address_prefixes")));
    sources.extend(strings(rule.get("source_application_security_group_ids")));
    let mut found = BTreeSet::new();
    for port in &ports {
        for source in &sources {
            found.insert(Ingress {
                protocol: proto.clone(),
                ports: port_range(port),
                source: source.clone(),
            });
        }
    }
    found
}

fn group_entries(body: &Json) -> BTreeSet<Ingress> {
    match body.get("security_rule") {
        Some(Json::Array(rules)) => rules.iter().flat_map(rule_entries).collect(),
        _ => BTreeSet::new(),
    }
}

/// AKS's authorized IP ranges for the API server (port 443).
fn authorized_ranges(body: &Json) -> BTreeSet<Ingress> {
    strings(lookup(
        body,
        "api_server_access_profile.authorized_ip_ranges",
    ))
    .into_iter()
    .map(|cidr| Ingress {
        protocol: "tcp".into(),
        ports: (443, 443),
        source: cidr,
    })
    .collect()
}

struct Ingresses;

impl BroadeningRule for Ingresses {
    fn check(&self, delta: &ResourceDelta<'_>, findings: &mut Vec<Broadening>) {
        match delta.resource_type {
            "azurerm_network_security_rule" => {
                report_new_ingress(delta, "source_address_prefix", rule_entries, findings)
            }
            "azurerm_network_security_group" => {
                report_new_ingress(delta, "security_rule", group_entries, findings)
            }
            "azurerm_kubernetes_cluster" => report_new_ingress(
                delta,
                "api_server_access_profile.authorized_ip_ranges",
                authorized_ranges,
                findings,
            ),
            _ => {}
        }
    }
}

/// Role assignments added or re-pointed.
struct RoleAssignments;

impl BroadeningRule for RoleAssignments {
    fn check(&self, delta: &ResourceDelta<'_>, findings: &mut Vec<Broadening>) {
        if delta.resource_type != "azurerm_role_assignment" {
            return;
        }
        let Some(new) = delta.new else { return };
        let key = |body: &Json| {
            let get = |k: &str| {
                body.get(k)
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let role = [get("role_definition_name"), get("role_definition_id")].concat();
            (role, get("principal_id"), get("scope"))
        };
        let now = key(new);
        if delta.old.map(key) != Some(now.clone()) {
            findings.push(Broadening {
                address: delta.address.to_string(),
                path: "role_definition_name".into(),
                message: format!("role `{}` granted to `{}` on `{}`", now.0, now.1, now.2),
            });
        }
    }
}

/// The Azure rules.
pub(super) fn rules() -> Vec<Box<dyn BroadeningRule>> {
    let mut rules = boxed(FLAGS.iter().copied());
    rules.extend(boxed(REMOVED.iter().copied()));
    rules.push(Box::new(ResourcesOnly(Ingresses)));
    rules.push(Box::new(ResourcesOnly(RoleAssignments)));
    rules
}
