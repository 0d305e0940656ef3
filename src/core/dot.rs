//! The dependency graph of a stack as Graphviz DOT, for reviewers: one node
//! per block, one edge per reference (`a -> b`: `a` reads `b`), blocks
//! grouped into clusters by component.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::stack::Stack;

/// A group of blocks drawn as one DOT cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Component {
    /// Networks, subnets, gateways, routes, firewalls, private DNS and endpoints.
    Network,
    /// Databases and caches.
    Data,
    /// Kubernetes clusters and node pools.
    Cluster,
    /// Buckets and storage accounts.
    Storage,
    /// Identities, roles, policies, keys and secrets.
    Identity,
    /// Providers' account-level settings, logs, and anything else.
    Other,
}

impl Component {
    /// The cluster's label.
    pub fn as_str(self) -> &'static str {
        match self {
            Component::Network => "network",
            Component::Data => "data",
            Component::Cluster => "cluster",
            Component::Storage => "storage",
            Component::Identity => "identity",
            Component::Other => "other",
        }
    }

    /// The component of a Terraform type, from the words of its name on
    /// every provider (`aws_db_instance`, `google_sql_database_instance`,
    /// `azurerm_postgresql_flexible_server` are all data). The first rule
    /// that matches wins, so `..._subnet_group` of a database is data, not
    /// network.
    pub fn of_type(resource_type: &str) -> Component {
        const RULES: &[(Component, &[&str])] = &[
            (
                Component::Data,
                &[
                    "_db_",
                    "_rds_",
                    "postgres",
                    "_sql_",
                    "elasticache",
                    "redis",
                    "memorystore",
                ],
            ),
            (
                Component::Cluster,
                &[
                    "eks_",
                    "container_cluster",
                    "container_node_pool",
                    "kubernetes_",
                ],
            ),
            (
                Component::Identity,
                &[
                    "iam_",
                    "_kms_",
                    "kms_",
                    "service_account",
                    "identity",
                    "role_",
                    "_role",
                    "key_vault",
                    "secret",
                    "_key",
                    "openid_connect",
                    "policy",
                ],
            ),
            (
                Component::Storage,
                &[
                    "s3_",
                    "storage_bucket",
                    "storage_account",
                    "storage_container",
                    "storage_management",
                ],
            ),
            (
                Component::Network,
                &[
                    "vpc",
                    "subnet",
                    "route",
                    "nat",
                    "internet_gateway",
                    "_eip",
                    "network",
                    "firewall",
                    "security_group",
                    "dns",
                    "private_endpoint",
                    "address",
                    "flow_log",
                ],
            ),
        ];
        RULES
            .iter()
            .find(|(_, words)| words.iter().any(|w| resource_type.contains(w)))
            .map(|(component, _)| *component)
            .unwrap_or(Component::Other)
    }
}

/// The stack's blocks and references as DOT, clustered by
/// [`Component::of_type`]. Deterministic: nodes and edges in address order.
pub fn to_dot(stack: &Stack) -> String {
    let mut clusters: BTreeMap<Component, Vec<String>> = BTreeMap::new();
    let mut edges: Vec<(String, String)> = Vec::new();
    for block in stack.blocks() {
        let address = block.address();
        let id = address.expression_path();
        clusters
            .entry(Component::of_type(address.resource_type()))
            .or_default()
            .push(id.clone());
        for dependency in block.dependencies() {
            edges.push((id.clone(), dependency.expression_path()));
        }
    }
    edges.sort();
    edges.dedup();
    let mut out = String::new();
    let _ = writeln!(out, "digraph \"{}\" {{", escape(stack.name()));
    out.push_str("  rankdir=LR;\n  node [shape=box, fontsize=10];\n");
    for (component, mut nodes) in clusters {
        nodes.sort();
        let _ = writeln!(out, "  subgraph \"cluster_{}\" {{", component.as_str());
        let _ = writeln!(out, "    label=\"{}\";", component.as_str());
        for node in nodes {
            let style = if node.starts_with("data.") {
                ", style=dashed"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "    \"{}\" [label=\"{}\"{style}];",
                escape(&node),
                escape(&node)
            );
        }
        out.push_str("  }\n");
    }
    for (from, to) in edges {
        let _ = writeln!(out, "  \"{}\" -> \"{}\";", escape(&from), escape(&to));
    }
    out.push_str("}\n");
    out
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::block::Attributes;
    use crate::core::reference::ResourceKind;

    enum Vpc {}
    impl ResourceKind for Vpc {
        const TYPE: &'static str = "aws_vpc";
    }
    enum Subnet {}
    impl ResourceKind for Subnet {
        const TYPE: &'static str = "aws_subnet";
    }
    enum Db {}
    impl ResourceKind for Db {
        const TYPE: &'static str = "aws_db_subnet_group";
    }

    #[test]
    fn components_follow_the_type_words_on_every_provider() {
        for (ty, component) in [
            ("aws_db_instance", Component::Data),
            ("aws_db_subnet_group", Component::Data),
            ("google_sql_database_instance", Component::Data),
            ("azurerm_postgresql_flexible_server", Component::Data),
            ("azurerm_redis_cache", Component::Data),
            ("aws_eks_node_group", Component::Cluster),
            ("google_container_node_pool", Component::Cluster),
            ("azurerm_kubernetes_cluster", Component::Cluster),
            ("aws_s3_bucket", Component::Storage),
            ("google_storage_bucket", Component::Storage),
            ("azurerm_storage_account", Component::Storage),
            ("aws_iam_role", Component::Identity),
            ("aws_kms_key", Component::Identity),
            ("google_service_account", Component::Identity),
            ("azurerm_user_assigned_identity", Component::Identity),
            ("aws_subnet", Component::Network),
            ("google_compute_network", Component::Network),
            ("azurerm_private_dns_zone", Component::Network),
            ("aws_cloudwatch_log_group", Component::Other),
        ] {
            assert_eq!(Component::of_type(ty), component, "{ty}");
        }
    }

    #[test]
    fn dot_has_one_node_per_block_and_one_edge_per_reference() {
        let mut stack = Stack::new("demo");
        let vpc = stack.resource::<Vpc>("main", Attributes::new());
        let subnet = stack.resource::<Subnet>("a", Attributes::new().set("vpc_id", vpc.id()));
        stack.resource::<Db>("db", Attributes::new().set("subnet_ids", vec![subnet.id()]));
        let dot = to_dot(&stack);
        assert!(dot.starts_with("digraph \"demo\" {"), "{dot}");
        assert!(dot.contains("subgraph \"cluster_network\""), "{dot}");
        assert!(dot.contains("subgraph \"cluster_data\""), "{dot}");
        assert!(
            dot.contains("\"aws_subnet.a\" -> \"aws_vpc.main\";"),
            "{dot}"
        );
        assert!(
            dot.contains("\"aws_db_subnet_group.db\" -> \"aws_subnet.a\";"),
            "{dot}"
        );
        assert_eq!(dot.matches(" -> ").count(), 2, "{dot}");
        assert_eq!(to_dot(&stack), dot, "deterministic");
    }
}
