//! State in an Azure storage account container, reached with Entra ID
//! (`use_azuread_auth`; the account has shared keys off) and locked with blob
//! leases, and the bootstrap that creates the account with the Azure builders.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use super::{check_key_prefix, StateError, StateTarget};
use crate::azure::kind::{self, PrincipalId};
use crate::azure::naming::{storage_account_name_problem, STORAGE_ACCOUNT_NAME_RULE};
use crate::azure::{
    ClientConfig, ContainerSpec, DeleteLock, ResourceGroup, RoleAssignment, StorageAccount,
};
use crate::core::backend::Backend;
use crate::core::stack::{Stack, Variable};
use crate::core::value::{Expr, Value};
use crate::map;
use crate::platform::azure::PROVIDER_VERSION;

const TYPE: &str = "AzurermBackend";

/// State in a blob container, at `[<key_prefix>/]<stack>/<cloud>/<env>/terraform.tfstate`.
///
/// Terraform authenticates to the account with Entra ID
/// (`use_azuread_auth`): the bootstrap's account has shared keys off, so
/// whoever runs Terraform needs `Storage Blob Data Contributor` on the
/// container (the bootstrap grants it to the principal that applies it).
/// The account's firewall lets in only [`AzurermBackend::allow_ips`]; without
/// any, it is reachable only through a private endpoint.
///
/// ```
/// use infrasynth::state::AzurermBackend;
/// let state = AzurermBackend::new("acme-tfstate", "acmetfstateprod", "tfstate")
///     .allow_ips(["203.0.113.0/24"]);
/// assert!(state.check().is_empty());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AzurermBackend {
    resource_group: String,
    storage_account: String,
    container: String,
    key_prefix: Option<String>,
    subscription_id: Option<String>,
    allowed_ips: Vec<String>,
}

impl AzurermBackend {
    /// State in `container` of the storage account `storage_account` (3-24
    /// lowercase letters and digits, globally unique) in the resource group
    /// `resource_group`.
    pub fn new(
        resource_group: impl Into<String>,
        storage_account: impl Into<String>,
        container: impl Into<String>,
    ) -> Self {
        AzurermBackend {
            resource_group: resource_group.into(),
            storage_account: storage_account.into(),
            container: container.into(),
            key_prefix: None,
            subscription_id: None,
            allowed_ips: Vec::new(),
        }
    }

    /// Puts every key of this backend under `prefix/`.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = Some(prefix.into());
        self
    }

    /// The subscription the account is in (default: the one Terraform's
    /// credentials select, such as `ARM_SUBSCRIPTION_ID`).
    pub fn subscription_id(mut self, id: impl Into<String>) -> Self {
        self.subscription_id = Some(id.into());
        self
    }

    /// Public addresses or ranges (`203.0.113.7`, `203.0.113.0/24`) the
    /// account's firewall admits: where CI runners and operators run
    /// Terraform from. Used by the bootstrap; the backend block does not
    /// carry them.
    pub fn allow_ips<I, S>(mut self, ranges: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowed_ips.extend(ranges.into_iter().map(Into::into));
        self
    }

    /// The storage account's name.
    pub fn storage_account_name(&self) -> &str {
        &self.storage_account
    }

    /// The container's name.
    pub fn container_name(&self) -> &str {
        &self.container
    }

    /// `[<key_prefix>/]<stack>/<cloud>/<env>/terraform.tfstate`.
    pub fn key(&self, target: &StateTarget<'_>) -> String {
        target.state_key(self.key_prefix.as_deref())
    }

    /// Every problem of the settings, each naming its field.
    pub fn check(&self) -> Vec<StateError> {
        let mut problems = Vec::new();
        if let Some(problem) = resource_group_problem(&self.resource_group) {
            problems.push(
                StateError::error(
                    TYPE,
                    "resource_group",
                    format!(
                        "`{}` is not a resource group name: it {problem}",
                        self.resource_group
                    ),
                    "use 1-90 letters, digits, `-`, `_`, `.`, `(` and `)`, not ending with `.`",
                )
                .suggest(Some(repair_resource_group(&self.resource_group)), |s| {
                    resource_group_problem(s).is_none()
                }),
            );
        }
        if let Some(problem) = storage_account_name_problem(&self.storage_account) {
            let repaired: String = self
                .storage_account
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .map(|c| c.to_ascii_lowercase())
                .take(24)
                .collect();
            problems.push(
                StateError::error(TYPE, "storage_account", problem, STORAGE_ACCOUNT_NAME_RULE)
                    .suggest(Some(repaired), |s| {
                        storage_account_name_problem(s).is_none()
                    }),
            );
        }
        if let Some(problem) = container_problem(&self.container) {
            problems.push(
                StateError::error(
                    TYPE,
                    "container",
                    format!("`{}` is not a container name: it {problem}", self.container),
                    "use 3-63 lowercase letters, digits and single `-`, starting and ending with a letter or digit",
                )
                .suggest(
                    Some(super::dashed(&self.container, |c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit()
                    })),
                    |s| container_problem(s).is_none(),
                ),
            );
        }
        problems.extend(check_key_prefix(TYPE, self.key_prefix.as_deref()));
        if let Some(id) = &self.subscription_id {
            if !is_guid(id) {
                problems.push(StateError::error(
                    TYPE,
                    "subscription_id",
                    format!("`{id}` is not a subscription id"),
                    "use the subscription's GUID, such as 00000000-0000-0000-0000-000000000000",
                ));
            }
        }
        for range in &self.allowed_ips {
            if let Some(problem) = ip_rule_problem(range) {
                problems.push(StateError::error(
                    TYPE,
                    "allow_ips",
                    format!("`{range}` {problem}"),
                    "use public IPv4 addresses (`203.0.113.7`) or ranges up to /30 (`203.0.113.0/24`)",
                ));
            }
        }
        problems
    }

    /// The backend block (the settings are checked by the caller).
    pub(super) fn block(&self, target: &StateTarget<'_>) -> Backend {
        let mut settings = Value::map()
            .with("resource_group_name", self.resource_group.as_str())
            .with("storage_account_name", self.storage_account.as_str())
            .with("container_name", self.container.as_str())
            .with("key", self.key(target))
            // Shared keys are off on the account: Entra ID is the only way in.
            .with("use_azuread_auth", true);
        if let Some(id) = &self.subscription_id {
            settings.insert("subscription_id", id.as_str());
        }
        // Every setting here predates Terraform 1.5.
        // Every setting is a literal of a built-in type, which is all `new` checks.
        Backend::new("azurerm", settings).expect("literal settings of the azurerm backend")
    }

    /// The resource group, the account (TLS 1.2, HTTPS only, shared keys
    /// off, no public blobs, versioning and soft delete, infrastructure
    /// encryption, firewall denying all but [`AzurermBackend::allow_ips`]),
    /// the private container, a delete lock, and the blob data role for the
    /// principal applying it.
    pub(super) fn bootstrap(&self, target: &StateTarget<'_>, stack: &mut Stack) {
        let location = target.regions.azure.as_str();
        stack.require_terraform(">= 1.6");
        stack.require_provider("azurerm", "hashicorp/azurerm", PROVIDER_VERSION);
        stack.variable(
            "subscription_id",
            Variable {
                type_expr: String::new(),
                description: "Azure subscription the state account is created in".to_string(),
                default: self.subscription_id.as_deref().map(Value::from),
                sensitive: false,
            },
        );
        let mut provider = std::collections::BTreeMap::new();
        provider.insert("features".to_string(), map! {});
        provider.insert(
            "subscription_id".to_string(),
            Value::Expr(Expr::raw("var.subscription_id")),
        );
        // Shared keys are off, so the provider's data-plane calls use Entra ID.
        provider.insert("storage_use_azuread".to_string(), Value::Bool(true));
        stack.provider("azurerm", provider);
        let rg = stack.add(ResourceGroup::new("state", &self.resource_group, location));
        let storage = stack.add(
            StorageAccount::new("state", self.storage_account.as_str(), &rg)
                // Old versions and deleted blobs of the state stay restorable.
                .soft_delete_days(30)
                .container(ContainerSpec {
                    name: self.container.as_str().into(),
                    noncurrent_delete_days: Some(365),
                    ..ContainerSpec::default()
                }),
        );
        if self.allowed_ips.is_empty() {
            stack.warning(
                TYPE,
                "allow_ips",
                "the state account's firewall admits no address, so Terraform reaches it only from a network with a private endpoint to it",
                "add `.allow_ips([..])` with the public ranges of your CI runners and operators",
            );
        } else {
            // The backend talks to the blob endpoint; the firewall still
            // denies every address not listed.
            stack.set_raw(&storage.account, "public_network_access_enabled", true);
            let ranges: Vec<Value> = self
                .allowed_ips
                .iter()
                .map(|r| Value::from(r.strip_suffix("/32").unwrap_or(r)))
                .collect();
            stack.set_raw(
                &storage.account,
                "network_rules.ip_rules",
                Value::List(ranges),
            );
        }
        stack.add(
            DeleteLock::new("state_delete_lock", kind::scope_of(&storage.account.id()))
                .notes("Terraform state; remove this lock deliberately before deleting."),
        );
        stack.set_raw(&storage.account, "lifecycle.prevent_destroy", true);
        if let Some(container) = storage.containers.get(self.container.as_str()) {
            let client = stack.add(ClientConfig);
            let role = stack.add(RoleAssignment::new(
                "state_blob_data",
                container.resource_manager_id(),
                "Storage Blob Data Contributor",
                client.attr::<PrincipalId>("object_id"),
            ));
            // The principal applying this may be a user or a service
            // principal: let Azure look it up.
            stack.set_raw(&role, "principal_type", Value::Null);
        }
        stack.output(
            "state_storage_account",
            storage.account.attr::<String>("name"),
            "The storage account holding Terraform state",
        );
        stack.output(
            "state_resource_group",
            rg.name.clone(),
            "The state account's resource group",
        );
    }
}

/// Why `name` is not a resource group name.
fn resource_group_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() || name.len() > 90 {
        return Some("must be 1-90 characters long");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.()".contains(c))
    {
        return Some("may only hold letters, digits, `-`, `_`, `.`, `(` and `)`");
    }
    if name.ends_with('.') {
        return Some("must not end with `.`");
    }
    None
}

fn repair_resource_group(name: &str) -> String {
    let fixed: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.()".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(90)
        .collect();
    fixed.trim_end_matches('.').to_string()
}

/// Why `name` is not a blob container name: 3-63 lowercase letters, digits
/// and `-`, starting and ending with a letter or digit, no `--`.
fn container_problem(name: &str) -> Option<&'static str> {
    if !(3..=63).contains(&name.len()) {
        return Some("must be 3-63 characters long");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Some("may only hold lowercase letters, digits and `-`");
    }
    if name.starts_with('-') || name.ends_with('-') || name.contains("--") {
        return Some("must start and end with a letter or digit, with no `--`");
    }
    None
}

/// Whether `id` is a GUID (8-4-4-4-12 hex digits).
fn is_guid(id: &str) -> bool {
    let parts: Vec<&str> = id.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Why `range` cannot be a storage firewall IP rule: Azure takes public IPv4
/// addresses and CIDR ranges up to /30 (a single address is written without
/// `/32`; /31 is refused), never private ranges.
fn ip_rule_problem(range: &str) -> Option<&'static str> {
    let (address, prefix) = match range.parse::<Ipv4Net>() {
        Ok(net) => (net.network(), net.prefix_len()),
        Err(_) => match range.parse::<Ipv4Addr>() {
            Ok(address) => (address, 32),
            Err(_) => return Some("is not an IPv4 address or CIDR range"),
        },
    };
    if prefix == 31 {
        return Some("is a /31, which the storage firewall refuses");
    }
    if address.is_private() || address.is_loopback() || address.is_link_local() {
        return Some("is a private range; the storage firewall takes public addresses only");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::environment::{Cloud, Environment};
    use crate::platform::Regions;

    #[test]
    fn renders_entra_auth_and_the_derived_key() {
        let regions = Regions::default();
        let target = StateTarget::new("shop", Cloud::Azure, Environment::PRODUCTION, &regions);
        let block = super::super::StateBackend::Azurerm(
            AzurermBackend::new("acme-tfstate", "acmetfstateprd", "tfstate")
                .subscription_id("00000000-0000-0000-0000-000000000000"),
        )
        .backend(&target)
        .unwrap();
        let mut stack = Stack::new("t");
        stack.set_backend(block);
        let doc: serde_json::Value = serde_json::from_slice(&stack.render_json()).unwrap();
        assert_eq!(
            doc["terraform"]["backend"],
            serde_json::json!({"azurerm": {
                "resource_group_name": "acme-tfstate",
                "storage_account_name": "acmetfstateprd",
                "container_name": "tfstate",
                "key": "shop/azure/production/terraform.tfstate",
                "subscription_id": "00000000-0000-0000-0000-000000000000",
                "use_azuread_auth": true,
            }})
        );
    }

    #[test]
    fn bad_names_name_the_field_and_the_suggested_fix_passes() {
        let backend = AzurermBackend::new("acme state!", "Acme-TF-State", "TF_State");
        let problems = backend.check();
        let fields: Vec<&str> = problems.iter().map(|p| p.field).collect();
        assert_eq!(fields, ["resource_group", "storage_account", "container"]);
        let fix = |field: &str| {
            problems
                .iter()
                .find(|p| p.field == field)
                .and_then(|p| p.suggestion.clone())
                .unwrap_or_else(|| panic!("no suggestion for {field}"))
        };
        for p in &problems {
            assert!(
                p.hint.contains(p.suggestion.as_deref().unwrap_or("-")),
                "{p}"
            );
        }
        let fixed = AzurermBackend::new(
            fix("resource_group"),
            fix("storage_account"),
            fix("container"),
        );
        assert!(fixed.check().is_empty(), "{:?}", fixed.check());
        assert_eq!(fix("storage_account"), "acmetfstate");
        assert_eq!(fix("container"), "tf-state");
    }

    #[test]
    fn firewall_ranges_and_subscription_ids_are_checked() {
        let problems = AzurermBackend::new("rg", "acmetfstate", "tfstate")
            .allow_ips([
                "10.0.0.0/8",
                "203.0.113.0/31",
                "nope",
                "203.0.113.7",
                "198.51.100.0/24",
            ])
            .subscription_id("not-a-guid")
            .check();
        let fields: Vec<&str> = problems.iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            ["subscription_id", "allow_ips", "allow_ips", "allow_ips"]
        );
    }
}
