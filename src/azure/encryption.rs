//! Customer-managed keys: a key in a Key Vault used through a user-assigned
//! identity, and the disk encryption set that applies one to managed disks.
//!
//! The key is given, not created here: creating a Key Vault key is a
//! data-plane call, which a private vault only answers from inside its
//! network. A disk encryption set that follows the key's newest version
//! makes the provider read the key through the data plane too (see
//! [`DiskEncryptionSet::key_version`], which avoids it).

use super::kind;
use super::resource_group::ResourceGroupHandle;
use crate::core::reference::{Address, Attr, Id, Ref};
use crate::core::stack::{Construct, Stack};
use crate::core::value::{Expr, TemplatePart, Value};
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
/// customer-managed key, either the key's newest version (the default) or a
/// pinned one ([`DiskEncryptionSet::key_version`]).
pub struct DiskEncryptionSet {
    logical_name: String,
    name: String,
    resource_group: ResourceGroupHandle,
    key: CustomerManagedKey,
    key_version: Option<Value>,
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
            key_version: None,
            depends_on: Vec::new(),
        }
    }

    /// Pins the set to one version of the key (the last segment of a
    /// versioned key id, such as `a1b2c3...`), instead of following the newest
    /// one.
    ///
    /// With `auto_key_rotation_enabled = true` azurerm 4.55 requires a
    /// versionless key id and, on create and on every change of the key id,
    /// reads the key's newest version through the Key Vault data plane with
    /// the runner's credentials (`GetKey` in
    /// `internal/services/compute/disk_encryption_set_resource.go`): a private
    /// vault answers that with a 403 unless Terraform runs inside its network.
    /// A pinned version is sent as is, with automatic rotation off, and the
    /// vault is only looked up through Azure Resource Manager. Moving to a
    /// new key version is then a change of this input and an apply.
    pub fn key_version(mut self, version: impl Into<Value>) -> Self {
        self.key_version = Some(version.into());
        self
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
        let literal_version = self
            .key
            .key_id
            .as_str()
            .and_then(key_version_of)
            .map(str::to_string);
        if let Some(version) = &literal_version {
            // azurerm refuses a versioned id with automatic rotation, and a
            // pinned version on top of one would name the version twice.
            stack.error(
                &self.logical_name,
                "key_vault_key_id",
                &format!("the key id names version `{version}`; the set takes a versionless key id"),
                "give the versionless id https://<vault>.vault.azure.net/keys/<name>, and the version with .key_version(...) to pin one",
            );
        }
        let (key_id, rotation) = match &self.key_version {
            None => (self.key.key_id.clone(), true),
            Some(version) => (versioned_key_id(&self.key.key_id, version), false),
        };
        let rg = &self.resource_group;
        let mut attributes = rg
            .attributes_for(self.name.as_str())
            .set("key_vault_key_id", key_id)
            .set("auto_key_rotation_enabled", rotation)
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

/// The version segment of a literal Key Vault key id
/// (`https://<vault>.vault.azure.net/keys/<name>/<version>`), if it has one.
fn key_version_of(key_id: &str) -> Option<&str> {
    let path = key_id.split_once("://").map_or(key_id, |(_, rest)| rest);
    let mut segments = path.trim_end_matches('/').split('/');
    let _host = segments.next();
    match (segments.next(), segments.next(), segments.next()) {
        (Some("keys"), Some(_name), Some(version)) if !version.is_empty() => Some(version),
        _ => None,
    }
}

/// `<key id>/<version>`, each part a literal or an expression.
fn versioned_key_id(key_id: &Value, version: &Value) -> Value {
    let part = |value: &Value| match value {
        Value::Expr(expr) => TemplatePart::Expr(expr.clone()),
        other => TemplatePart::Literal(other.as_str().unwrap_or_default().to_string()),
    };
    Value::Expr(Expr::concat([part(key_id), "/".into(), part(version)]))
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

    fn key(stack: &mut Stack, key_id: Value) -> (ResourceGroupHandle, CustomerManagedKey) {
        let rg = stack.add(ResourceGroup::new("main", "p", "westeurope"));
        let identity = stack.add(ManagedIdentity::new("cmk", "p-cmk", &rg));
        let key = CustomerManagedKey {
            key_id,
            identity_id: identity.id(),
        };
        (rg, key)
    }

    /// azurerm reads the newest key version through the Key Vault data plane
    /// only when `auto_key_rotation_enabled` is true
    /// (`disk_encryption_set_resource.go` at v4.55.0): a pinned version turns
    /// it off and sends `<key id>/<version>`.
    #[test]
    fn a_pinned_key_version_turns_rotation_off_and_names_the_version() {
        let mut stack = Stack::new("t");
        let (rg, cmk) = key(&mut stack, Value::Expr(Expr::raw("var.cmk_key_id")));
        stack.add(
            DiskEncryptionSet::new("nodes", "p-des", &rg, cmk)
                .key_version(Value::Expr(Expr::raw("var.cmk_key_version"))),
        );
        assert!(!stack.diagnostics().has_errors(), "{}", stack.diagnostics());
        let json: serde_json::Value = serde_json::from_slice(&stack.render_json()).expect("json");
        let set = &json["resource"]["azurerm_disk_encryption_set"]["nodes"];
        assert_eq!(set["auto_key_rotation_enabled"], false);
        assert_eq!(
            set["key_vault_key_id"],
            "${var.cmk_key_id}/${var.cmk_key_version}"
        );
    }

    #[test]
    fn a_versioned_literal_key_id_is_an_error() {
        let mut stack = Stack::new("t");
        let (rg, cmk) = key(
            &mut stack,
            Value::from("https://kv.vault.azure.net/keys/cmk/0123abcd"),
        );
        stack.add(DiskEncryptionSet::new("nodes", "p-des", &rg, cmk));
        let text = stack.diagnostics().to_string();
        assert!(text.contains("field `key_vault_key_id`"), "{text}");
        assert!(text.contains("`0123abcd`"), "{text}");
    }

    #[test]
    fn key_versions_are_read_from_literal_ids() {
        assert_eq!(key_version_of("https://kv.vault.azure.net/keys/cmk"), None);
        assert_eq!(key_version_of("https://kv.vault.azure.net/keys/cmk/"), None);
        assert_eq!(
            key_version_of("https://kv.vault.azure.net/keys/cmk/v1"),
            Some("v1")
        );
        assert_eq!(
            key_version_of("https://kv.vault.azure.net/secrets/x/v1"),
            None
        );
    }
}
