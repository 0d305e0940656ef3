//! A storage account (blob storage for the platform's buckets) and its
//! containers: TLS 1.2, HTTPS only, Entra ID only (shared keys off), no public
//! blobs, no public network access (reached through a private endpoint),
//! versioning and soft delete, optionally a customer-managed key and
//! read/write/delete logs in Log Analytics.

use std::collections::BTreeMap;

use super::encryption::CustomerManagedKey;
use super::kind;
use super::naming;
use super::private_dns::PrivateDnsZoneHandle;
use super::private_endpoint::{EndpointPlacement, EndpointTarget};
use super::resource_group::ResourceGroupHandle;
use crate::core::block::Attributes;
use crate::core::reference::{Address, Attr, Id, Input, Ref};
use crate::core::stack::{Construct, Stack};
use crate::core::value::Value;
use crate::map;

/// How the account's data is replicated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replication {
    /// Three copies in one datacenter.
    Lrs,
    /// Three zones of the region.
    Zrs,
    /// LRS plus an asynchronous copy in the paired region.
    Grs,
    /// ZRS plus an asynchronous copy in the paired region.
    Gzrs,
}

impl Replication {
    fn as_str(self) -> &'static str {
        match self {
            Replication::Lrs => "LRS",
            Replication::Zrs => "ZRS",
            Replication::Grs => "GRS",
            Replication::Gzrs => "GZRS",
        }
    }
}

/// One container and its lifecycle.
///
/// ```
/// use infrasynth::azure::ContainerSpec;
/// let models = ContainerSpec {
///     name: "models".into(),
///     cold_after_days: Some(30),
///     ..ContainerSpec::default()
/// };
/// ```
#[derive(Clone, Debug)]
pub struct ContainerSpec {
    /// The container's name (`name`): a literal of 3-63 lowercase letters,
    /// digits and single `-`, starting with a letter or digit (checked at
    /// synth), or text computed from another resource, which is not checked
    /// at synth (Azure rejects a bad one at apply).
    pub name: Input<String>,
    /// What the container is known by in this stack: the end of its Terraform
    /// name (`<account logical name>_<key>`, `-` written `_`) and its key in
    /// [`StorageHandle::containers`]. `None` takes the literal `name`; a
    /// computed `name` needs a key (an error otherwise).
    pub key: Option<String>,
    /// Move blobs to the cold tier after this many days since modification.
    pub cold_after_days: Option<u32>,
    /// Delete blobs this many days after modification.
    pub delete_after_days: Option<u32>,
    /// Delete previous versions this many days after they were superseded.
    pub noncurrent_delete_days: Option<u32>,
}

impl Default for ContainerSpec {
    /// No name yet (an empty name is reported as invalid) and no lifecycle
    /// rules, for `..ContainerSpec::default()`.
    fn default() -> Self {
        ContainerSpec {
            name: Input::from(""),
            key: None,
            cold_after_days: None,
            delete_after_days: None,
            noncurrent_delete_days: None,
        }
    }
}

impl ContainerSpec {
    /// The key given, or else the literal name.
    fn key(&self) -> Option<&str> {
        self.key.as_deref().or_else(|| self.name.literal())
    }
}

/// A storage account and its containers.
pub struct StorageAccount {
    logical_name: String,
    name: Input<String>,
    resource_group: ResourceGroupHandle,
    replication: Replication,
    soft_delete_days: u32,
    containers: Vec<ContainerSpec>,
    endpoint: Option<EndpointPlacement>,
    key: Option<CustomerManagedKey>,
    workspace_id: Option<Attr<Id<kind::LogAnalyticsWorkspace>>>,
    depends_on: Vec<Address>,
}

/// The account and its containers.
#[derive(Clone, Debug)]
pub struct StorageHandle {
    /// The account.
    pub account: Ref<kind::StorageAccount>,
    /// Containers by name.
    pub containers: BTreeMap<String, Ref<kind::StorageContainer>>,
    /// The blob private endpoint, if one was asked for.
    pub endpoint: Option<Ref<kind::PrivateEndpoint>>,
    /// The lifecycle rules of the containers (none when no container has
    /// one).
    pub management_policy: Option<Ref<kind::StorageManagementPolicy>>,
}

impl StorageAccount {
    /// An account named `name` (3-24 lowercase letters and digits, globally
    /// unique; see [`naming::storage_account_name`]). Defaults: ZRS, 7 days of
    /// soft delete, public network access off (add
    /// [`StorageAccount::private_endpoint`] to reach it), Microsoft-managed keys.
    ///
    /// `name` is a literal (checked against Azure's rule at synth) or text
    /// computed from another resource, which is not checked at synth (Azure
    /// rejects a bad one at apply); the default private endpoint name
    /// `<name>-blob-pe` follows either.
    pub fn new(
        logical_name: &str,
        name: impl Into<Input<String>>,
        resource_group: &ResourceGroupHandle,
    ) -> Self {
        StorageAccount {
            logical_name: logical_name.to_string(),
            name: name.into(),
            resource_group: resource_group.clone(),
            replication: Replication::Zrs,
            soft_delete_days: 7,
            containers: Vec::new(),
            endpoint: None,
            key: None,
            workspace_id: None,
            depends_on: Vec::new(),
        }
    }

    /// Replication.
    pub fn replication(mut self, replication: Replication) -> Self {
        self.replication = replication;
        self
    }

    /// Reaches the blob service through a private endpoint in `subnet_id`,
    /// registered in `dns_zone` (`privatelink.blob.core.windows.net`), named
    /// `endpoint_name` (default `<account>-blob-pe`).
    pub fn private_endpoint(
        mut self,
        subnet_id: Attr<Id<kind::Subnet>>,
        dns_zone: &PrivateDnsZoneHandle,
        endpoint_name: Option<&str>,
    ) -> Self {
        let mut endpoint = EndpointPlacement::new(subnet_id, dns_zone);
        if let Some(name) = endpoint_name {
            endpoint.name(name);
        }
        self.endpoint = Some(endpoint);
        self
    }

    /// Encrypts blobs, queues and tables with a customer-managed key (on top
    /// of the infrastructure encryption layer).
    pub fn customer_managed_key(mut self, key: CustomerManagedKey) -> Self {
        self.key = Some(key);
        self
    }

    /// Sends the blob and queue services' read, write and delete logs to a
    /// Log Analytics workspace (diagnostic settings; the classic Storage
    /// Analytics logs would need the account's data plane).
    pub fn diagnostics(mut self, workspace_id: Attr<Id<kind::LogAnalyticsWorkspace>>) -> Self {
        self.workspace_id = Some(workspace_id);
        self
    }

    /// Waits for `address` (the key identity's role on the vault).
    pub fn depends_on(mut self, address: &Address) -> Self {
        self.depends_on.push(address.clone());
        self
    }

    /// Days deleted blobs and containers stay restorable (1-365).
    pub fn soft_delete_days(mut self, days: u32) -> Self {
        self.soft_delete_days = days;
        self
    }

    /// Adds a private container.
    pub fn container(mut self, container: ContainerSpec) -> Self {
        self.containers.push(container);
        self
    }

    fn validate(&self, stack: &mut Stack) {
        let ln = &self.logical_name;
        if let Some(problem) = self
            .name
            .literal()
            .and_then(naming::storage_account_name_problem)
        {
            stack.error(ln, "name", &problem, naming::STORAGE_ACCOUNT_NAME_RULE);
        }
        if !(1..=365).contains(&self.soft_delete_days) {
            stack.error(
                ln,
                "soft_delete_days",
                &format!("{} days is outside 1-365", self.soft_delete_days),
                "keep deleted blobs 1 to 365 days (7 or more recommended)",
            );
        }
        for container in &self.containers {
            let Some(name) = container.name.literal() else {
                if container.key.is_none() {
                    stack.error(
                        ln,
                        "containers",
                        "a container whose name is computed has no key",
                        "give it a `key`, the name it goes by in this stack",
                    );
                }
                continue;
            };
            let valid = (3..=63).contains(&name.len())
                && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                && !name.ends_with('-')
                && !name.contains("--")
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !valid {
                stack.error(
                    ln,
                    &format!("containers.{name}"),
                    &format!("`{name}` is not a valid container name"),
                    "use 3-63 lowercase letters, digits and single `-`, starting with a letter or digit",
                );
            }
        }
    }
}

impl Construct for StorageAccount {
    type Output = StorageHandle;

    fn describe(&self) -> String {
        format!("azure::StorageAccount \"{}\"", self.logical_name)
    }

    fn build(self, stack: &mut Stack) -> StorageHandle {
        self.validate(stack);
        let rg = &self.resource_group;
        let mut attributes = rg.attributes_for(&self.name)
                .set("account_kind", "StorageV2")
                .set("account_tier", "Standard")
                .set("account_replication_type", self.replication.as_str())
                .set("access_tier", "Hot")
                .set("min_tls_version", "TLS1_2")
                .set("https_traffic_only_enabled", true)
                .set("public_network_access_enabled", false)
                .set("allow_nested_items_to_be_public", false)
                .set("shared_access_key_enabled", false)
                .set("default_to_oauth_authentication", true)
                .set("cross_tenant_replication_enabled", false)
                .set("infrastructure_encryption_enabled", true)
                .set("local_user_enabled", false)
                .set("sftp_enabled", false)
                .block(
                    "blob_properties",
                    map! {
                        "versioning_enabled" => true,
                        "change_feed_enabled" => true,
                        "delete_retention_policy" => vec![map! { "days" => self.soft_delete_days }],
                        "container_delete_retention_policy" => vec![map! { "days" => self.soft_delete_days }],
                    },
                )
                .block(
                    "network_rules",
                    map! { "default_action" => "Deny", "bypass" => vec!["AzureServices"] },
                )
                .tagged();
        if let Some(key) = &self.key {
            attributes = attributes
                // Queues and tables use the account key (the CMK), not a
                // service-managed one.
                .set("queue_encryption_key_type", "Account")
                .set("table_encryption_key_type", "Account")
                .block(
                    "identity",
                    map! { "type" => "UserAssigned", "identity_ids" => vec![&key.identity_id] },
                )
                .block(
                    "customer_managed_key",
                    map! {
                        "key_vault_key_id" => key.key_id.clone(),
                        "user_assigned_identity_id" => &key.identity_id,
                    },
                );
        }
        for address in &self.depends_on {
            attributes = attributes.depends_on(address);
        }
        let account = stack.resource::<kind::StorageAccount>(&self.logical_name, attributes);
        let ln = &self.logical_name;
        let endpoint = self.endpoint.as_ref().map(|endpoint| {
            endpoint.add(
                stack,
                EndpointTarget {
                    logical_name: &format!("{ln}_blob"),
                    default_name: self.name.suffixed("-blob-pe"),
                    resource_group: rg,
                    id: account.id(),
                    subresource_name: "blob",
                },
            )
        });
        if let Some(workspace) = &self.workspace_id {
            for service in ["blob", "queue"] {
                stack.resource::<kind::DiagnosticSetting>(
                    &format!("{ln}_{service}"),
                    Attributes::new()
                        .set("name", "log-analytics")
                        .set(
                            "target_resource_id",
                            account
                                .id()
                                .suffixed(&format!("/{service}Services/default")),
                        )
                        .set("log_analytics_workspace_id", workspace)
                        .blocks(
                            "enabled_log",
                            ["StorageRead", "StorageWrite", "StorageDelete"]
                                .into_iter()
                                .map(|category| map! { "category" => category })
                                .collect(),
                        ),
                );
            }
        }
        let mut containers = BTreeMap::new();
        let mut rules = Vec::new();
        for spec in &self.containers {
            // Reported by `validate`.
            let Some(key) = spec.key() else { continue };
            // Created through Azure Resource Manager (storage_account_id), which
            // works with shared keys off and the data-plane firewall closed.
            let container = stack.resource::<kind::StorageContainer>(
                &format!("{}_{}", self.logical_name, key.replace('-', "_")),
                Attributes::new()
                    .set("name", &spec.name)
                    .set("storage_account_id", account.id())
                    .set("container_access_type", "private"),
            );
            containers.insert(key.to_string(), container);
            let mut base_blob = Value::map();
            if let Some(days) = spec.cold_after_days {
                base_blob.insert(
                    "tier_to_cold_after_days_since_modification_greater_than",
                    days,
                );
            }
            if let Some(days) = spec.delete_after_days {
                base_blob.insert("delete_after_days_since_modification_greater_than", days);
            }
            let mut actions = Value::map();
            if base_blob.as_map().is_some_and(|m| !m.is_empty()) {
                actions.insert("base_blob", vec![base_blob]);
            }
            if let Some(days) = spec.noncurrent_delete_days {
                actions.insert(
                    "version",
                    vec![map! { "delete_after_days_since_creation" => days }],
                );
            }
            if actions.as_map().is_some_and(|m| !m.is_empty()) {
                rules.push(map! {
                    "name" => &spec.name,
                    "enabled" => true,
                    "filters" => vec![map! {
                        "blob_types" => vec!["blockBlob"],
                        "prefix_match" => vec![spec.name.suffixed("/")],
                    }],
                    "actions" => vec![actions],
                });
            }
        }
        let management_policy = (!rules.is_empty()).then(|| {
            stack.resource::<kind::StorageManagementPolicy>(
                &self.logical_name,
                Attributes::new()
                    .set("storage_account_id", account.id())
                    .blocks("rule", rules),
            )
        });
        StorageHandle {
            account,
            containers,
            endpoint,
            management_policy,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::private_endpoint::test_endpoint_network;
    use crate::azure::ResourceGroup;

    fn rg(stack: &mut Stack) -> ResourceGroupHandle {
        stack.add(ResourceGroup::new("main", "p", "westeurope"))
    }

    #[test]
    fn defaults_lock_the_account_down() {
        let mut stack = Stack::new("t");
        let rg = rg(&mut stack);
        let handle = stack.add(StorageAccount::new("data", "pdevabc123", &rg).container(
            ContainerSpec {
                name: "models".into(),
                cold_after_days: Some(30),
                ..ContainerSpec::default()
            },
        ));
        assert!(!stack.diagnostics().has_errors(), "{}", stack.diagnostics());
        assert!(handle.containers.contains_key("models"));
        let json = String::from_utf8(stack.render_json()).unwrap();
        for expected in [
            "\"min_tls_version\": \"TLS1_2\"",
            "\"shared_access_key_enabled\": false",
            "\"allow_nested_items_to_be_public\": false",
            "\"default_action\": \"Deny\"",
            "\"public_network_access_enabled\": false",
            "\"versioning_enabled\": true",
            "\"tier_to_cold_after_days_since_modification_greater_than\": 30",
            "\"prefix_match\"",
        ] {
            assert!(json.contains(expected), "missing {expected}");
        }
    }

    #[test]
    fn private_endpoint_customer_key_and_logs() {
        use crate::azure::{LogAnalyticsWorkspace, ManagedIdentity};
        let mut stack = Stack::new("t");
        let rg = rg(&mut stack);
        let (subnet, zone) =
            test_endpoint_network(&mut stack, &rg, "blob", "privatelink.blob.core.windows.net");
        let workspace = stack.add(LogAnalyticsWorkspace::new("logs", "p-logs", &rg));
        let identity = stack.add(ManagedIdentity::new("cmk", "p-cmk", &rg));
        let handle = stack.add(
            StorageAccount::new("data", "pdevabc123", &rg)
                .private_endpoint(subnet, &zone, None)
                .customer_managed_key(CustomerManagedKey {
                    key_id: Value::from("https://kv.vault.azure.net/keys/cmk"),
                    identity_id: identity.id(),
                })
                .diagnostics(workspace.id()),
        );
        assert!(!stack.diagnostics().has_errors(), "{}", stack.diagnostics());
        assert!(handle.endpoint.is_some());
        let json: serde_json::Value = serde_json::from_slice(&stack.render_json()).expect("json");
        let resources = &json["resource"];
        let account = &resources["azurerm_storage_account"]["data"];
        assert_eq!(
            account["customer_managed_key"][0]["key_vault_key_id"],
            "https://kv.vault.azure.net/keys/cmk"
        );
        assert_eq!(account["queue_encryption_key_type"], "Account");
        let endpoint = &resources["azurerm_private_endpoint"]["data_blob"];
        assert_eq!(endpoint["name"], "pdevabc123-blob-pe");
        assert_eq!(
            endpoint["private_service_connection"][0]["subresource_names"][0],
            "blob"
        );
        for service in ["blob", "queue"] {
            let setting =
                &resources["azurerm_monitor_diagnostic_setting"][format!("data_{service}")];
            assert!(setting["target_resource_id"]
                .as_str()
                .is_some_and(|id| id.ends_with(&format!("/{service}Services/default"))));
            assert_eq!(setting["enabled_log"].as_array().map(Vec::len), Some(3));
        }
    }

    #[test]
    fn names_taken_from_another_resource_flow_into_every_name_derived_from_them() {
        let mut stack = Stack::new("t");
        let rg = rg(&mut stack);
        let (subnet, zone) =
            test_endpoint_network(&mut stack, &rg, "blob", "privatelink.blob.core.windows.net");
        let source = stack.add(StorageAccount::new("source", "pdevabc123", &rg).container(
            ContainerSpec {
                name: "models".into(),
                ..ContainerSpec::default()
            },
        ));
        let copy = stack.add(
            StorageAccount::new("copy", source.account.name().suffixed("copy"), &rg)
                .private_endpoint(subnet, &zone, None)
                .container(ContainerSpec {
                    name: source.containers["models"].name().into(),
                    key: Some("models".into()),
                    cold_after_days: Some(30),
                    ..ContainerSpec::default()
                }),
        );
        assert!(!stack.diagnostics().has_errors(), "{}", stack.diagnostics());
        assert!(copy.containers.contains_key("models"));
        let json: serde_json::Value = serde_json::from_slice(&stack.render_json()).expect("json");
        let resources = &json["resource"];
        let account = "${azurerm_storage_account.source.name}copy";
        assert_eq!(
            resources["azurerm_storage_account"]["copy"]["name"],
            account
        );
        let endpoint = &resources["azurerm_private_endpoint"]["copy_blob"];
        assert_eq!(endpoint["name"], format!("{account}-blob-pe"));
        assert_eq!(
            endpoint["private_service_connection"][0]["name"],
            format!("{account}-blob-pe-connection")
        );
        let container = "${azurerm_storage_container.source_models.name}";
        assert_eq!(
            resources["azurerm_storage_container"]["copy_models"]["name"],
            container
        );
        let rule = &resources["azurerm_storage_management_policy"]["copy"]["rule"][0];
        assert_eq!(rule["name"], container);
        assert_eq!(
            rule["filters"][0]["prefix_match"][0],
            format!("{container}/")
        );
    }

    #[test]
    fn a_computed_container_name_needs_a_key() {
        let mut stack = Stack::new("t");
        let rg = rg(&mut stack);
        let source = stack.add(StorageAccount::new("source", "pdevabc123", &rg));
        let copy = stack.add(StorageAccount::new("copy", "pdevdef456", &rg).container(
            ContainerSpec {
                name: source.account.name().into(),
                ..ContainerSpec::default()
            },
        ));
        let text = stack.diagnostics().to_string();
        assert!(
            text.contains("field `containers`") && text.contains("give it a `key`"),
            "{text}"
        );
        assert!(copy.containers.is_empty());
    }

    #[test]
    fn invalid_account_name_is_an_error_with_the_rule() {
        let mut stack = Stack::new("t");
        let rg = rg(&mut stack);
        stack.add(StorageAccount::new("data", "My-Storage-Account", &rg));
        let text = stack.diagnostics().to_string();
        assert!(text.contains("field `name`"), "{text}");
        assert!(text.contains("3-24 lowercase letters and digits"), "{text}");
    }

    #[test]
    fn too_long_account_name_is_an_error() {
        let mut stack = Stack::new("t");
        let rg = rg(&mut stack);
        stack.add(StorageAccount::new(
            "data",
            "abcdefghijklmnopqrstuvwxyz",
            &rg,
        ));
        assert!(stack
            .diagnostics()
            .to_string()
            .contains("has 26 characters"));
    }
}
