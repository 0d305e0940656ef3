//! What broadens access on Google Cloud (hashicorp/google 6.50.0; each
//! default quoted is from that release's `website/docs/r/*.html.markdown`).

use std::collections::BTreeSet;

use serde_json::Value as Json;

use super::ingress::{port_range, protocol, report_new_ingress, Ingress};
use super::{boxed, flag, ResourcesOnly};
use crate::core::diff::{
    lookup, strings, Broad, Broadening, BroadeningRule, FlagRule, RemovedRule, ResourceDelta,
};

/// Attributes turned to their open value.
const FLAGS: &[FlagRule] = &[
    // storage_bucket: public_access_prevention "inherited" unless set;
    // uniform_bucket_level_access defaults to false.
    flag(
        "google_storage_bucket",
        "public_access_prevention",
        Broad::IsNot("enforced"),
        true,
        "public access prevention turned off",
    ),
    flag(
        "google_storage_bucket",
        "uniform_bucket_level_access",
        Broad::NotTrue,
        true,
        "uniform bucket-level access turned off: object ACLs may make objects public",
    ),
    // container_cluster: no private_cluster_config means a public endpoint and
    // public node addresses; deletion_protection "Defaults to `true`".
    flag(
        "google_container_cluster",
        "private_cluster_config.enable_private_endpoint",
        Broad::NotTrue,
        true,
        "public endpoint turned on: the Kubernetes API is reachable from the internet",
    ),
    flag(
        "google_container_cluster",
        "private_cluster_config.enable_private_nodes",
        Broad::NotTrue,
        true,
        "nodes get public IP addresses",
    ),
    flag(
        "google_container_cluster",
        "deletion_protection",
        Broad::False,
        false,
        "deletion protection turned off",
    ),
    // sql_database_instance: ip_configuration.ipv4_enabled defaults to true;
    // deletion_protection "Defaults to `true`".
    flag(
        "google_sql_database_instance",
        "settings.ip_configuration.ipv4_enabled",
        Broad::True,
        true,
        "public IP turned on",
    ),
    flag(
        "google_sql_database_instance",
        "settings.ip_configuration.ssl_mode",
        Broad::Is("ALLOW_UNENCRYPTED_AND_ENCRYPTED"),
        false,
        "TLS no longer required",
    ),
    flag(
        "google_sql_database_instance",
        "deletion_protection",
        Broad::False,
        false,
        "deletion protection turned off",
    ),
    // redis_instance: transit_encryption_mode "Default value is `DISABLED`";
    // auth_enabled defaults to false.
    flag(
        "google_redis_instance",
        "transit_encryption_mode",
        Broad::IsNot("SERVER_AUTHENTICATION"),
        true,
        "TLS (encryption in transit) turned off",
    ),
    flag(
        "google_redis_instance",
        "auth_enabled",
        Broad::NotTrue,
        true,
        "AUTH turned off",
    ),
];

const REMOVED: &[RemovedRule] = &[RemovedRule {
    resource_type: "google_project_iam_audit_config",
    what: "audit logging configuration removed",
}];

/// Firewall ingress (`direction` "INGRESS" by default): each `allow` block
/// by each source. With no source at all, Google applies the rule to
/// `0.0.0.0/0` (compute_firewall docs, `source_ranges`).
fn firewall(body: &Json) -> BTreeSet<Ingress> {
    if body
        .get("direction")
        .and_then(Json::as_str)
        .is_some_and(|d| d != "INGRESS")
    {
        return BTreeSet::new();
    }
    let mut sources: Vec<String> = strings(lookup(body, "source_ranges")).into_iter().collect();
    sources.extend(
        strings(lookup(body, "source_tags"))
            .into_iter()
            .map(|t| format!("tag:{t}")),
    );
    sources.extend(
        strings(lookup(body, "source_service_accounts"))
            .into_iter()
            .map(|s| format!("serviceAccount:{s}")),
    );
    if sources.is_empty() {
        sources.push("0.0.0.0/0".into());
    }
    let mut found = BTreeSet::new();
    let allows: Vec<&Json> = match body.get("allow") {
        Some(Json::Array(items)) => items.iter().collect(),
        Some(one @ Json::Object(_)) => vec![one],
        _ => Vec::new(),
    };
    for allow in allows {
        let proto = protocol(
            allow
                .get("protocol")
                .and_then(Json::as_str)
                .unwrap_or("all"),
        );
        let ports = strings(allow.get("ports"));
        let ranges: Vec<(u32, u32)> = if ports.is_empty() {
            vec![port_range("")]
        } else {
            ports.iter().map(|p| port_range(p)).collect()
        };
        for range in ranges {
            for source in &sources {
                found.insert(Ingress {
                    protocol: proto.clone(),
                    ports: range,
                    source: source.clone(),
                });
            }
        }
    }
    found
}

/// GKE's authorized networks for the control plane (port 443).
fn authorized_networks(body: &Json) -> BTreeSet<Ingress> {
    let Some(Json::Array(config)) = body.get("master_authorized_networks_config") else {
        return BTreeSet::new();
    };
    config
        .iter()
        .filter_map(|c| c.get("cidr_blocks")?.as_array())
        .flatten()
        .filter_map(|b| b.get("cidr_block")?.as_str())
        .map(|cidr| Ingress {
            protocol: "tcp".into(),
            ports: (443, 443),
            source: cidr.to_string(),
        })
        .collect()
}

struct Ingresses;

impl BroadeningRule for Ingresses {
    fn check(&self, delta: &ResourceDelta<'_>, findings: &mut Vec<Broadening>) {
        match delta.resource_type {
            "google_compute_firewall" => {
                report_new_ingress(delta, "source_ranges", firewall, findings)
            }
            "google_container_cluster" => report_new_ingress(
                delta,
                "master_authorized_networks_config",
                authorized_networks,
                findings,
            ),
            _ => {}
        }
    }
}

/// Role grants: every `*_iam_member` and `*_iam_binding` (a role for one
/// member or a list). `allUsers` and `allAuthenticatedUsers` are public.
struct RoleGrants;

fn grants(body: Option<&Json>) -> BTreeSet<(String, String)> {
    let Some(body) = body else {
        return BTreeSet::new();
    };
    let role = body
        .get("role")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_string();
    let mut members = strings(body.get("member"));
    members.extend(strings(body.get("members")));
    members.into_iter().map(|m| (role.clone(), m)).collect()
}

impl BroadeningRule for RoleGrants {
    fn check(&self, delta: &ResourceDelta<'_>, findings: &mut Vec<Broadening>) {
        let t = delta.resource_type;
        if !(t.starts_with("google_")
            && (t.ends_with("_iam_member") || t.ends_with("_iam_binding")))
            || delta.new.is_none()
        {
            return;
        }
        let old = grants(delta.old);
        for (role, member) in grants(delta.new).difference(&old) {
            let public = if member == "allUsers" || member == "allAuthenticatedUsers" {
                " (public: anyone on the internet)"
            } else {
                ""
            };
            findings.push(Broadening {
                address: delta.address.to_string(),
                path: "member".into(),
                message: format!("IAM grants `{role}` to `{member}`{public}"),
            });
        }
    }
}

/// The Google Cloud rules.
pub(super) fn rules() -> Vec<Box<dyn BroadeningRule>> {
    let mut rules = boxed(FLAGS.iter().copied());
    rules.extend(boxed(REMOVED.iter().copied()));
    rules.push(Box::new(ResourcesOnly(Ingresses)));
    rules.push(Box::new(ResourcesOnly(RoleGrants)));
    rules
}
