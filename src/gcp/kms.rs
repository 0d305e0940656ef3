//! Cloud KMS for customer-managed encryption keys (CMEK): a key ring and
//! symmetric keys that rotate, each granted to the Google service agents that
//! encrypt with it.

use super::kind;
use crate::core::block::Attributes;
use crate::core::reference::{Attr, Id, Ref, ResourceKind};
use crate::core::stack::{Construct, Stack};
use crate::map;

/// A key ring in one location (key rings cannot be deleted, only abandoned).
pub struct KeyRing {
    logical: String,
    name: String,
    location: String,
}

impl KeyRing {
    /// A key ring named `name` in `location` (the region of the data it protects).
    pub fn new(logical: &str, name: &str, location: &str) -> Self {
        KeyRing {
            logical: logical.to_string(),
            name: name.to_string(),
            location: location.to_string(),
        }
    }
}

impl Construct for KeyRing {
    type Output = Ref<kind::KeyRing>;

    fn describe(&self) -> String {
        format!("gcp::KeyRing \"{}\"", self.logical)
    }

    fn build(self, stack: &mut Stack) -> Ref<kind::KeyRing> {
        stack.resource::<kind::KeyRing>(
            &self.logical,
            Attributes::new()
                .set("name", self.name.as_str())
                .set("location", self.location.as_str()),
        )
    }
}

/// What [`CryptoKey`] created.
#[derive(Clone, Debug)]
pub struct CryptoKeyHandles {
    /// The key.
    pub key: Ref<kind::CryptoKey>,
    /// One grant per service agent; resources encrypted with the key depend on them.
    pub grants: Vec<Ref<kind::CryptoKeyIamMember>>,
}

/// A symmetric encryption key with automatic rotation.
///
/// ```
/// use infrasynth::gcp::{kind, CryptoKey, Project};
/// use infrasynth::{Attributes, Stack};
/// let mut stack = Stack::new("demo");
/// let ring = stack.resource::<kind::KeyRing>("main", Attributes::new());
/// let key = stack.add(
///     CryptoKey::new("storage", "storage", ring.id())
///         .grant_to("gcs", Project::service_agent("gs-project-accounts.iam.gserviceaccount.com")),
/// );
/// assert_eq!(key.grants.len(), 1);
/// ```
pub struct CryptoKey {
    logical: String,
    name: String,
    key_ring: Attr<Id<kind::KeyRing>>,
    rotation_days: u32,
    prevent_destroy: bool,
    grants: Vec<(String, Attr<String>)>,
}

impl CryptoKey {
    /// A key named `name` in `key_ring`, rotated every 90 days.
    pub fn new(logical: &str, name: &str, key_ring: Attr<Id<kind::KeyRing>>) -> Self {
        CryptoKey {
            logical: logical.to_string(),
            name: name.to_string(),
            key_ring,
            rotation_days: 90,
            prevent_destroy: false,
            grants: Vec::new(),
        }
    }

    /// Days between automatic rotations (1-90; default 90).
    pub fn rotation_days(mut self, days: u32) -> Self {
        self.rotation_days = days;
        self
    }

    /// Refuses `terraform destroy` of the key (data encrypted with a destroyed
    /// key is lost).
    pub fn prevent_destroy(mut self, prevent: bool) -> Self {
        self.prevent_destroy = prevent;
        self
    }

    /// Lets `member` (an IAM member string) encrypt and decrypt with the key;
    /// `label` names the grant's Terraform block.
    pub fn grant_to(mut self, label: &str, member: Attr<String>) -> Self {
        self.grants.push((label.to_string(), member));
        self
    }
}

impl Construct for CryptoKey {
    type Output = CryptoKeyHandles;

    fn describe(&self) -> String {
        format!("gcp::CryptoKey \"{}\"", self.logical)
    }

    fn build(self, stack: &mut Stack) -> CryptoKeyHandles {
        if !(1..=90).contains(&self.rotation_days) {
            stack.error(
                &format!("{}.{}", kind::CryptoKey::TYPE, self.logical),
                "rotation_period",
                &format!("rotation every {} days is outside 1-90", self.rotation_days),
                "rotate keys at least every 90 days (CIS GCP 1.10)",
            );
        }
        let mut attributes = Attributes::new()
            .set("name", self.name.as_str())
            .set("key_ring", &self.key_ring)
            .set("purpose", "ENCRYPT_DECRYPT")
            .set(
                "rotation_period",
                format!("{}s", u64::from(self.rotation_days) * 86_400),
            )
            .block(
                "version_template",
                map! { "algorithm" => "GOOGLE_SYMMETRIC_ENCRYPTION", "protection_level" => "SOFTWARE" },
            )
            .labelled();
        if self.prevent_destroy {
            attributes = attributes.set("lifecycle", map! { "prevent_destroy" => true });
        }
        let key = stack.resource::<kind::CryptoKey>(&self.logical, attributes);
        let grants = self
            .grants
            .into_iter()
            .map(|(label, member)| {
                stack.resource::<kind::CryptoKeyIamMember>(
                    &format!("{}_{}", self.logical, label),
                    Attributes::new()
                        .set("crypto_key_id", key.id())
                        .set("role", "roles/cloudkms.cryptoKeyEncrypterDecrypter")
                        .set("member", member),
                )
            })
            .collect();
        CryptoKeyHandles { key, grants }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotates_every_90_days_by_default() {
        let mut stack = Stack::new("t");
        let ring = stack.add(KeyRing::new("main", "demo", "us-central1"));
        let key = stack.add(CryptoKey::new("data", "data", ring.id()));
        let block = stack.block(key.key.address()).unwrap();
        assert_eq!(
            block.get("rotation_period").and_then(|v| v.as_str()),
            Some("7776000s")
        );
        assert!(stack.diagnostics().is_empty());
    }

    #[test]
    fn rotation_outside_1_to_90_days_is_an_error() {
        let mut stack = Stack::new("t");
        let ring = stack.add(KeyRing::new("main", "demo", "us-central1"));
        stack.add(CryptoKey::new("data", "data", ring.id()).rotation_days(365));
        let text = stack.diagnostics().to_string();
        assert!(text.contains("field `rotation_period`"), "{text}");
        assert!(text.contains("90 days"), "{text}");
    }
}
