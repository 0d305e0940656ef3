//! Key Vault: RBAC authorization, purge protection, soft delete, no public
//! network access (reached through a private endpoint).

use super::kind;
use super::naming;
use super::private_dns::PrivateDnsZoneHandle;
use super::private_endpoint::{EndpointPlacement, EndpointTarget};
use super::resource_group::ResourceGroupHandle;
use crate::core::reference::{Attr, Id, Ref};
use crate::core::stack::{Construct, Stack};
use crate::map;

/// The required inputs of a [`KeyVault`], named as in `azurerm_key_vault`.
#[derive(Clone, Debug)]
pub struct KeyVaultProps<'a> {
    /// The Terraform name of the vault (`azurerm_key_vault.<logical_name>`)
    /// and the prefix of its endpoint's (`<logical_name>_vault`).
    pub logical_name: &'a str,
    /// The vault name in Azure (`name`, its URI is
    /// `https://<name>.vault.azure.net`): 3-24 letters, digits and single
    /// hyphens, starting with a letter, globally unique; see
    /// [`naming::key_vault_name`].
    pub name: &'a str,
    /// The resource group the vault and its endpoint are created in (their
    /// `location` too).
    pub resource_group: &'a ResourceGroupHandle,
    /// The Entra ID tenant that authenticates the vault's callers
    /// (`tenant_id`), from
    /// [`ClientConfig`](crate::azure::ClientConfig)'s handle.
    pub tenant_id: Attr<kind::TenantId>,
    /// The subnet of the vault's private endpoint: the network's private
    /// endpoint subnet
    /// ([`NetworkHandle::private_endpoints`](crate::azure::NetworkHandle::private_endpoints)).
    pub endpoint_subnet_id: Attr<Id<kind::Subnet>>,
    /// The private DNS zone `privatelink.vaultcore.azure.net`, linked to the
    /// network, the endpoint registers in.
    pub dns_zone: &'a PrivateDnsZoneHandle,
}

/// A Key Vault with a private endpoint.
pub struct KeyVault {
    logical_name: String,
    name: String,
    resource_group: ResourceGroupHandle,
    tenant_id: Attr<kind::TenantId>,
    endpoint: EndpointPlacement,
    soft_delete_days: u32,
    premium: bool,
}

/// The vault and its private endpoint.
#[derive(Clone, Debug)]
pub struct KeyVaultHandle {
    /// The vault.
    pub vault: Ref<kind::KeyVault>,
    /// Its private endpoint.
    pub endpoint: Ref<kind::PrivateEndpoint>,
}

impl KeyVault {
    /// A vault reached only through its private endpoint (`<name>-pe`), with
    /// RBAC authorization. Defaults: standard SKU, 90 days of soft delete,
    /// purge protection on.
    pub fn new(props: KeyVaultProps<'_>) -> Self {
        KeyVault {
            logical_name: props.logical_name.to_string(),
            name: props.name.to_string(),
            resource_group: props.resource_group.clone(),
            tenant_id: props.tenant_id,
            endpoint: EndpointPlacement::new(props.endpoint_subnet_id, props.dns_zone),
            soft_delete_days: 90,
            premium: false,
        }
    }

    /// Days a deleted vault or secret stays recoverable (7-90).
    pub fn soft_delete_days(mut self, days: u32) -> Self {
        self.soft_delete_days = days;
        self
    }

    /// The private endpoint's name (default `<name>-pe`).
    pub fn endpoint_name(mut self, name: &str) -> Self {
        self.endpoint.name(name);
        self
    }

    /// The premium SKU (HSM-backed keys).
    pub fn premium(mut self, enabled: bool) -> Self {
        self.premium = enabled;
        self
    }
}

impl Construct for KeyVault {
    type Output = KeyVaultHandle;

    fn describe(&self) -> String {
        format!("azure::KeyVault \"{}\"", self.logical_name)
    }

    fn build(self, stack: &mut Stack) -> KeyVaultHandle {
        let ln = &self.logical_name;
        if let Some(problem) = naming::key_vault_name_problem(&self.name) {
            stack.error(ln, "name", &problem, naming::KEY_VAULT_NAME_RULE);
        }
        if !(7..=90).contains(&self.soft_delete_days) {
            stack.error(
                ln,
                "soft_delete_days",
                &format!("{} days is outside 7-90", self.soft_delete_days),
                "keep deleted vaults and secrets recoverable for 7 to 90 days",
            );
        }
        let rg = &self.resource_group;
        let vault = stack.resource::<kind::KeyVault>(
            ln,
            rg.attributes_for(self.name.as_str())
                .set("tenant_id", &self.tenant_id)
                .set(
                    "sku_name",
                    if self.premium { "premium" } else { "standard" },
                )
                .set("rbac_authorization_enabled", true)
                .set("purge_protection_enabled", true)
                .set("soft_delete_retention_days", self.soft_delete_days)
                .set("public_network_access_enabled", false)
                .block(
                    "network_acls",
                    map! { "default_action" => "Deny", "bypass" => "AzureServices" },
                )
                .tagged(),
        );
        let endpoint = self.endpoint.add(
            stack,
            EndpointTarget {
                logical_name: &format!("{ln}_vault"),
                default_name: format!("{}-pe", self.name).into(),
                resource_group: rg,
                id: vault.id(),
                subresource_name: "vault",
            },
        );
        KeyVaultHandle { vault, endpoint }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::private_endpoint::test_endpoint_network;
    use crate::azure::{ClientConfig, ResourceGroup};

    fn vault(stack: &mut Stack, name: &str) -> KeyVault {
        let rg = stack.add(ResourceGroup::new("main", "p", "westeurope"));
        let (subnet, zone) =
            test_endpoint_network(stack, &rg, "vault", "privatelink.vaultcore.azure.net");
        let client = stack.add(ClientConfig);
        KeyVault::new(KeyVaultProps {
            logical_name: "kv",
            name,
            resource_group: &rg,
            tenant_id: client.tenant_id(),
            endpoint_subnet_id: subnet,
            dns_zone: &zone,
        })
    }

    #[test]
    fn defaults_are_rbac_purge_protected_and_private() {
        let mut stack = Stack::new("t");
        let builder = vault(&mut stack, "p-dev-abc123");
        stack.add(builder);
        assert!(!stack.diagnostics().has_errors(), "{}", stack.diagnostics());
        let json = String::from_utf8(stack.render_json()).unwrap();
        assert!(json.contains("\"purge_protection_enabled\": true"));
        assert!(json.contains("\"rbac_authorization_enabled\": true"));
        assert!(json.contains("\"public_network_access_enabled\": false"));
    }

    #[test]
    fn invalid_vault_name_is_an_error_with_the_rule() {
        let mut stack = Stack::new("t");
        let builder = vault(&mut stack, "my--vault-that-is-way-too-long");
        stack.add(builder);
        let text = stack.diagnostics().to_string();
        assert!(text.contains("field `name`"), "{text}");
        assert!(
            text.contains("3-24 letters, digits and single hyphens"),
            "{text}"
        );
    }
}
