//! Secret Manager secrets holding values Terraform learns (the Memorystore AUTH
//! string), so applications read them through workload identity instead of
//! through Terraform outputs or Helm values.

use super::kind;
use crate::core::block::Attributes;
use crate::core::reference::{Attr, Ref, ResourceKind};
use crate::core::stack::{Construct, Stack};
use crate::map;

/// What [`Secret`] created.
#[derive(Clone, Debug)]
pub struct SecretHandles {
    /// The secret.
    pub secret: Ref<kind::Secret>,
    /// Its current version.
    pub version: Ref<kind::SecretVersion>,
    /// One accessor grant per reader.
    pub readers: Vec<Ref<kind::SecretIamMember>>,
}

/// A secret replicated only to `location`, with one version holding `value`.
///
/// ```
/// use infrasynth::gcp::{kind, Secret};
/// use infrasynth::{Attributes, Stack};
/// let mut stack = Stack::new("demo");
/// let redis = stack.resource::<kind::RedisInstance>("main", Attributes::new());
/// let secret = stack.add(Secret::new("redis_auth", "demo-redis-auth", "us-central1", redis.auth_string()));
/// assert!(stack.diagnostics().is_empty());
/// ```
pub struct Secret {
    logical: String,
    secret_id: String,
    location: String,
    value: Attr<String>,
    readers: Vec<(String, Attr<String>)>,
}

impl Secret {
    /// A secret `secret_id` in `location` holding `value`.
    pub fn new(logical: &str, secret_id: &str, location: &str, value: Attr<String>) -> Self {
        Secret {
            logical: logical.to_string(),
            secret_id: secret_id.to_string(),
            location: location.to_string(),
            value,
            readers: Vec::new(),
        }
    }

    /// Lets `member` read the secret's versions; `label` names the grant.
    pub fn reader(mut self, label: &str, member: Attr<String>) -> Self {
        self.readers.push((label.to_string(), member));
        self
    }
}

impl Construct for Secret {
    type Output = SecretHandles;

    fn describe(&self) -> String {
        format!("gcp::Secret \"{}\"", self.logical)
    }

    fn build(self, stack: &mut Stack) -> SecretHandles {
        let valid = !self.secret_id.is_empty()
            && self.secret_id.len() <= 255
            && self
                .secret_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            stack.error(
                &format!("{}.{}", kind::Secret::TYPE, self.logical),
                "secret_id",
                &format!("`{}` is not a valid secret id", self.secret_id),
                "use 1-255 letters, digits, `-` and `_`",
            );
        }
        let secret = stack.resource::<kind::Secret>(
            &self.logical,
            Attributes::new()
                .set("secret_id", self.secret_id.as_str())
                .block(
                    "replication",
                    map! {
                        "user_managed" => vec![map! {
                            "replicas" => vec![map! { "location" => self.location.as_str() }],
                        }],
                    },
                )
                .labelled(),
        );
        let version = stack.resource::<kind::SecretVersion>(
            &self.logical,
            Attributes::new()
                .set("secret", secret.id())
                .set("secret_data", self.value),
        );
        let readers = self
            .readers
            .into_iter()
            .map(|(label, member)| {
                stack.resource::<kind::SecretIamMember>(
                    &format!("{}_{}", self.logical, label),
                    Attributes::new()
                        .set("secret_id", secret.id())
                        .set("role", "roles/secretmanager.secretAccessor")
                        .set("member", member),
                )
            })
            .collect();
        SecretHandles {
            secret,
            version,
            readers,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_stay_in_the_region_and_grant_readers() {
        let mut stack = Stack::new("t");
        let redis = stack.resource::<kind::RedisInstance>("main", Attributes::new());
        let sa = stack.resource::<kind::ServiceAccount>("app", Attributes::new());
        let secret = stack.add(
            Secret::new("auth", "demo-auth", "europe-west1", redis.auth_string())
                .reader("app", sa.member()),
        );
        let block = stack.block(secret.secret.address()).unwrap();
        assert_eq!(
            block.get("replication.user_managed.replicas.location"),
            Some(&"europe-west1".into())
        );
        assert_eq!(secret.readers.len(), 1);
        assert!(stack.diagnostics().is_empty());
    }

    #[test]
    fn invalid_secret_ids_are_errors() {
        let mut stack = Stack::new("t");
        let redis = stack.resource::<kind::RedisInstance>("main", Attributes::new());
        stack.add(Secret::new(
            "auth",
            "demo auth!",
            "europe-west1",
            redis.auth_string(),
        ));
        let text = stack.diagnostics().to_string();
        assert!(
            text.contains("field `secret_id`") && text.contains("1-255"),
            "{text}"
        );
    }
}
