//! Container Insights for an AKS cluster: the data collection rule that tells
//! the monitoring agent what to collect and where to send it, and its
//! association with the cluster.
//!
//! With managed-identity authentication (`oms_agent.msi_auth_for_monitoring_enabled`)
//! the agent collects only what a data collection rule associated with the
//! cluster asks for; `az aks enable-addons` creates both, the AKS API behind
//! azurerm does not, so a cluster with only the `oms_agent` block sends
//! nothing (provider issue #23510; Microsoft's own Terraform onboarding,
//! microsoft/Docker-Provider `scripts/onboarding/aks/onboarding-msi-terraform`,
//! adds the rule and the association).

use super::kind;
use super::resource_group::ResourceGroupHandle;
use crate::core::block::Attributes;
use crate::core::reference::{Attr, Id, Ref};
use crate::core::stack::{Construct, Stack};
use crate::map;

/// The stream group of Container Insights' default tables (container logs
/// v2, Kubernetes inventory and events, performance): what the portal and
/// `az aks enable-addons` collect by default (Azure Monitor docs, "Configure
/// data collection in Container insights", stream values in DCR).
pub const DEFAULT_STREAMS: &str = "Microsoft-ContainerInsights-Group-Default";

/// The association's name: the one Azure's own onboarding gives it.
pub const ASSOCIATION_NAME: &str = "ContainerInsightsExtension";

/// The name of the rule's one destination (local to the rule).
const DESTINATION: &str = "ciworkspace";

/// Container Insights' data collection rule and its association with a
/// cluster, in the cluster's resource group and location (which must be the
/// workspace's region).
pub struct ContainerInsights {
    logical_name: String,
    name: String,
    resource_group: ResourceGroupHandle,
    workspace_id: Attr<Id<kind::LogAnalyticsWorkspace>>,
    cluster_id: Attr<Id<kind::KubernetesCluster>>,
    interval: String,
}

/// The rule and its association.
#[derive(Clone, Debug)]
pub struct ContainerInsightsHandle {
    /// The data collection rule (`azurerm_monitor_data_collection_rule`).
    pub rule: Ref<kind::DataCollectionRule>,
    /// Its association with the cluster.
    pub association: Ref<kind::DataCollectionRuleAssociation>,
}

impl ContainerInsights {
    /// Collects [`DEFAULT_STREAMS`] of `cluster_id` every minute into
    /// `workspace_id`, with ContainerLogV2, through a rule named `name`
    /// (1-64 characters: letters, digits, `-`, `_`, `.`).
    pub fn new(
        logical_name: &str,
        name: &str,
        resource_group: &ResourceGroupHandle,
        workspace_id: Attr<Id<kind::LogAnalyticsWorkspace>>,
        cluster_id: Attr<Id<kind::KubernetesCluster>>,
    ) -> Self {
        ContainerInsights {
            logical_name: logical_name.to_string(),
            name: name.to_string(),
            resource_group: resource_group.clone(),
            workspace_id,
            cluster_id,
            interval: "1m".to_string(),
        }
    }

    /// How often the agent collects (`1m` to `30m`; less often costs less).
    pub fn interval(mut self, interval: &str) -> Self {
        self.interval = interval.to_string();
        self
    }
}

/// The rule name Azure's onboarding gives a cluster's rule,
/// `MSCI-<location>-<cluster>`, cut to the 64 characters a rule name has.
pub fn rule_name(location: &str, cluster: &str) -> String {
    let name: String = format!("MSCI-{location}-{cluster}")
        .chars()
        .take(64)
        .collect();
    name.trim_end_matches(['-', '.']).to_string()
}

impl Construct for ContainerInsights {
    type Output = ContainerInsightsHandle;

    fn describe(&self) -> String {
        format!("azure::ContainerInsights \"{}\"", self.logical_name)
    }

    fn build(self, stack: &mut Stack) -> ContainerInsightsHandle {
        let ln = &self.logical_name;
        let valid_name = (1..=64).contains(&self.name.len())
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !valid_name {
            stack.error(
                ln,
                "name",
                &format!("`{}` is not a valid data collection rule name", self.name),
                "use 1-64 letters, digits, `-`, `_` and `.`",
            );
        }
        let minutes = self
            .interval
            .strip_suffix('m')
            .and_then(|m| m.parse::<u32>().ok());
        if !minutes.is_some_and(|m| (1..=30).contains(&m)) {
            stack.error(
                ln,
                "interval",
                &format!("`{}` is not a collection interval", self.interval),
                "use 1m to 30m",
            );
        }
        let settings = serde_json::json!({
            "dataCollectionSettings": {
                "interval": self.interval,
                "namespaceFilteringMode": "Off",
                "enableContainerLogV2": true,
            }
        });
        let rg = &self.resource_group;
        let rule = stack.resource::<kind::DataCollectionRule>(
            ln,
            rg.attributes_for(self.name.as_str())
                .set(
                    "description",
                    "Container insights: what the AKS monitoring agent collects",
                )
                .block(
                    "destinations",
                    map! {
                        "log_analytics" => vec![map! {
                            "name" => DESTINATION,
                            "workspace_resource_id" => &self.workspace_id,
                        }],
                    },
                )
                .block(
                    "data_flow",
                    map! {
                        "streams" => vec![DEFAULT_STREAMS],
                        "destinations" => vec![DESTINATION],
                    },
                )
                .block(
                    "data_sources",
                    map! {
                        "extension" => vec![map! {
                            "name" => ASSOCIATION_NAME,
                            "extension_name" => "ContainerInsights",
                            "streams" => vec![DEFAULT_STREAMS],
                            "extension_json" => settings.to_string(),
                        }],
                    },
                )
                .tagged(),
        );
        let association = stack.resource::<kind::DataCollectionRuleAssociation>(
            ln,
            Attributes::new()
                .set("name", ASSOCIATION_NAME)
                .set("target_resource_id", &self.cluster_id)
                .set("data_collection_rule_id", rule.id())
                .set(
                    "description",
                    "Container insights of the cluster; without it the monitoring agent collects nothing",
                ),
        );
        ContainerInsightsHandle { rule, association }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::{LogAnalyticsWorkspace, ResourceGroup};
    use crate::core::reference::{Address, StackId};
    use crate::core::value::Expr;

    #[test]
    fn the_rule_sends_the_default_streams_to_the_workspace_and_is_associated() {
        let mut stack = Stack::new("t");
        let rg = stack.add(ResourceGroup::new("main", "p", "westeurope"));
        let workspace = stack.add(LogAnalyticsWorkspace::new("logs", "p-logs", &rg));
        let cluster = Address::resource(StackId::TEST, "azurerm_kubernetes_cluster", "main");
        stack.add(ContainerInsights::new(
            "main_insights",
            &rule_name("westeurope", "p-aks"),
            &rg,
            workspace.id(),
            Attr::from_expr(Expr::attribute(&cluster, "id")),
        ));
        assert!(!stack.diagnostics().has_errors(), "{}", stack.diagnostics());
        let json: serde_json::Value = serde_json::from_slice(&stack.render_json()).expect("json");
        let rule = &json["resource"]["azurerm_monitor_data_collection_rule"]["main_insights"];
        assert_eq!(rule["name"], "MSCI-westeurope-p-aks");
        let extension = &rule["data_sources"][0]["extension"][0];
        assert_eq!(extension["extension_name"], "ContainerInsights");
        assert_eq!(extension["streams"][0], DEFAULT_STREAMS);
        let settings: serde_json::Value =
            serde_json::from_str(extension["extension_json"].as_str().expect("json text"))
                .expect("extension_json is JSON");
        assert_eq!(
            settings["dataCollectionSettings"]["enableContainerLogV2"],
            true
        );
        assert_eq!(rule["data_flow"][0]["streams"][0], DEFAULT_STREAMS);
        assert_eq!(
            rule["destinations"][0]["log_analytics"][0]["workspace_resource_id"],
            "${azurerm_log_analytics_workspace.logs.id}"
        );
        let association =
            &json["resource"]["azurerm_monitor_data_collection_rule_association"]["main_insights"];
        assert_eq!(
            association["target_resource_id"],
            "${azurerm_kubernetes_cluster.main.id}"
        );
        assert_eq!(
            association["data_collection_rule_id"],
            "${azurerm_monitor_data_collection_rule.main_insights.id}"
        );
    }

    #[test]
    fn rule_names_fit_64_characters() {
        let long = "x".repeat(80);
        let name = rule_name("westeurope", &long);
        assert!(name.len() <= 64, "{name}");
        assert!(name.starts_with("MSCI-westeurope-"));
    }
}
