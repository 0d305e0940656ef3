//! Customer-managed keys: a key in a Key Vault used through a user-assigned
//! identity, and the disk encryption set that applies one to managed disks.
//!
//! The key is given, not created here: creating a Key Vault key is a
//! data-plane call, which a private vault only answers from inside its
//! network, while everything this module emits goes through Azure Resource
//! Manager.

use super::kind;
use super::resource_group::ResourceGroupHandle;
use crate::core::reference::{Address, Attr, Id, Ref};
use crate::core::stack::{Construct, Stack};
use crate::core::value::Value;
use crate::map;

/// A customer-managed key and the identity that wraps and unwraps with it.
#[derive(Clone, Debug)]
pub struct CustomerManagedKey {
    /// The versionless key id, `https://<vault>.vault.azure.net/keys/<name>`,
    /// so that services pick up rotated versions on their own.
    pub key_id: Value,
    /// A user-assigned identity holding `Key Vault Crypto Service Encryption
    /// User` on the key's vault.
    pub identity_id: Attr<Id<kind::UserAssignedIdentity>>,
}

/// A disk encryption set: managed disks attached to it are encrypted with a
/// customer-managed key, rotated automatically.
pub struct DiskEncryptionSet {
    logical_name: String,
    name: String,
    resource_group: ResourceGroupHandle,
    key: CustomerManagedKey,
    depends_on: Vec<Address>,
}

impl DiskEncryptionSet {
    /// A set `name` encrypting with `key` (its identity must already be able
    /// to use the key: see [`DiskEncryptionSet::depends_on`]).
    pub fn new(
        logical_name: &str,
        name: &str,
        resource_group: &ResourceGroupHandle,
        key: CustomerManagedKey,
    ) -> Self {
        DiskEncryptionSet {
            logical_name: logical_name.to_string(),
            name: name.to_string(),
            resource_group: resource_group.clone(),
            key,
            depends_on: Vec::new(),
        }
    }

    /// Waits for `address` (the identity's role on the key's vault: Azure
    /// checks the key when the set is created).
    pub fn depends_on(mut self, address: &Address) -> Self {
        self.depends_on.push(address.clone());
        self
    }
}

impl Construct for DiskEncryptionSet {
    type Output = Ref<kind::DiskEncryptionSet>;

    fn describe(&self) -> String {
        format!("azure::DiskEncryptionSet \"{}\"", self.logical_name)
    }

    fn build(self, stack: &mut Stack) -> Ref<kind::DiskEncryptionSet> {
        if !super::naming::is_resource_name(&self.name, 1..=80) {
            stack.error(
                &self.logical_name,
                "name",
                &format!("`{}` is not a valid disk encryption set name", self.name),
                "use 1-80 letters, digits, `-` and `_`, starting with a letter or digit",
            );
        }
        let rg = &self.resource_group;
        let mut attributes = rg
            .attributes_for(self.name.as_str())
            .set("key_vault_key_id", self.key.key_id.clone())
            .set("auto_key_rotation_enabled", true)
            .set("encryption_type", "EncryptionAtRestWithCustomerKey")
            .block(
                "identity",
                map! { "type" => "UserAssigned", "identity_ids" => vec![&self.key.identity_id] },
            )
            .tagged();
        for address in &self.depends_on {
            attributes = attributes.depends_on(address);
        }
        stack.resource::<kind::DiskEncryptionSet>(&self.logical_name, attributes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::{ManagedIdentity, ResourceGroup};

    #[test]
    fn disk_encryption_set_rotates_a_customer_key() {
        let mut stack = Stack::new("t");
        let rg = stack.add(ResourceGroup::new("main", "p", "westeurope"));
        let identity = stack.add(ManagedIdentity::new("cmk", "p-cmk", &rg));
        stack.add(DiskEncryptionSet::new(
            "nodes",
            "p-des",
            &rg,
            CustomerManagedKey {
                key_id: Value::from("https://kv.vault.azure.net/keys/cmk"),
                identity_id: identity.id(),
            },
        ));
        assert!(!stack.diagnostics().has_errors(), "{}", stack.diagnostics());
        let json = String::from_utf8(stack.render_json()).unwrap();
        assert!(json.contains("\"auto_key_rotation_enabled\": true"));
        assert!(json.contains("\"encryption_type\": \"EncryptionAtRestWithCustomerKey\""));
        assert!(json.contains("azurerm_user_assigned_identity.cmk.id"));
    }
}
