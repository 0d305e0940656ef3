//! State in an S3 bucket: encrypted with a KMS key, locked with S3's own
//! lock file (`use_lockfile`, Terraform 1.10+; no DynamoDB table), and the
//! bootstrap that creates the bucket and key with the AWS builders.

use super::{check_key_prefix, dashed, StateError, StateTarget};
use crate::aws::bucket::bucket_name_problem;
use crate::aws::{AwsProvider, Bucket, KmsKey, Region};
use crate::core::backend::Backend;
use crate::core::refactor::TerraformRelease;
use crate::core::reference::Attr;
use crate::core::stack::Stack;
use crate::core::value::{Expr, TemplatePart, Value};

const TYPE: &str = "S3Backend";

/// The Terraform release whose S3 backend has `use_lockfile` (experimental
/// in 1.10, generally available in 1.11).
pub const LOCKFILE_TERRAFORM: TerraformRelease = TerraformRelease::new(1, 10);

/// State in an S3 bucket, at `[<key_prefix>/]<stack>/<cloud>/<env>/terraform.tfstate`.
///
/// Defaults: `encrypt` on, `use_lockfile` on (S3 conditional writes lock the
/// state; Terraform 1.10 or newer, which the document then requires), the
/// region of the environment's AWS platform. Add a KMS key with
/// [`S3Backend::kms_key_id`]: an alias (`alias/acme-tfstate`) lets the
/// bootstrap create the key under that alias.
///
/// ```
/// use infrasynth::state::S3Backend;
/// let state = S3Backend::new("acme-tfstate-prod")
///     .region("eu-west-1")
///     .kms_key_id("alias/acme-tfstate");
/// assert!(state.check().is_empty());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Backend {
    bucket: String,
    region: Option<String>,
    key_prefix: Option<String>,
    encrypt: bool,
    kms_key_id: Option<String>,
    use_lockfile: bool,
}

/// How a `kms_key_id` names its key.
#[derive(Clone, Debug, PartialEq, Eq)]
enum KmsKeyName<'a> {
    /// `alias/<name>` or an alias ARN: the bootstrap creates the key.
    Alias {
        name: &'a str,
        region: Option<&'a str>,
    },
    /// A key id or key ARN: the key exists already.
    Existing { region: Option<&'a str> },
}

impl S3Backend {
    /// State in `bucket` (3-63 lowercase letters, digits and `-`, globally
    /// unique).
    pub fn new(bucket: impl Into<String>) -> Self {
        S3Backend {
            bucket: bucket.into(),
            region: None,
            key_prefix: None,
            encrypt: true,
            kms_key_id: None,
            use_lockfile: true,
        }
    }

    /// The bucket's region (default: the environment's AWS region).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Puts every key of this backend under `prefix/` (for a bucket shared
    /// with other teams); the rest of the key is still derived.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = Some(prefix.into());
        self
    }

    /// Server-side encryption of the state object (default on).
    pub fn encrypt(mut self, on: bool) -> Self {
        self.encrypt = on;
        self
    }

    /// The KMS key the state object is encrypted with: `alias/<name>`, an
    /// alias ARN, a key ARN or a key id. With an alias, the bootstrap creates
    /// the key (rotating) under that alias; with a key ARN or id it uses the
    /// existing key. Whoever runs Terraform needs `kms:Encrypt`,
    /// `kms:Decrypt` and `kms:GenerateDataKey` on it.
    pub fn kms_key_id(mut self, key: impl Into<String>) -> Self {
        self.kms_key_id = Some(key.into());
        self
    }

    /// Locks the state with a lock file beside it, written with S3's
    /// conditional writes (default on). Off means no locking at all: two
    /// concurrent applies can corrupt the state.
    pub fn use_lockfile(mut self, on: bool) -> Self {
        self.use_lockfile = on;
        self
    }

    /// The bucket's name.
    pub fn bucket_name(&self) -> &str {
        &self.bucket
    }

    /// The region the bucket is in, for `target`'s environment.
    pub fn region_for<'a>(&'a self, target: &StateTarget<'a>) -> &'a str {
        self.region.as_deref().unwrap_or(&target.regions.aws)
    }

    /// `[<key_prefix>/]<stack>/<cloud>/<env>/terraform.tfstate`.
    pub fn key(&self, target: &StateTarget<'_>) -> String {
        target.state_key(self.key_prefix.as_deref())
    }

    /// Every problem of the settings, each naming its field.
    pub fn check(&self) -> Vec<StateError> {
        let mut problems = Vec::new();
        if let Some(problem) = s3_state_bucket_problem(&self.bucket) {
            problems.push(
                StateError::error(
                    TYPE,
                    "bucket",
                    format!("`{}` is not a valid S3 bucket name: it {problem}", self.bucket),
                    "use 3-63 lowercase letters, digits and `-`, starting and ending with a letter or digit",
                )
                .suggest(Some(repair_bucket(&self.bucket)), |s| {
                    s3_state_bucket_problem(s).is_none()
                }),
            );
        }
        if let Some(region) = &self.region {
            if Region::find(region).is_none() {
                problems.push(StateError::error(
                    TYPE,
                    "region",
                    format!("`{region}` is not a known AWS region"),
                    &format!(
                        "use one of: {}",
                        crate::aws::region::REGIONS
                            .iter()
                            .map(|r| r.name())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
        problems.extend(check_key_prefix(TYPE, self.key_prefix.as_deref()));
        if let Some(key) = &self.kms_key_id {
            match kms_key_name(key) {
                None => problems.push(StateError::error(
                    TYPE,
                    "kms_key_id",
                    format!("`{key}` is not a KMS key id, key ARN, alias or alias ARN"),
                    "use `alias/<name>` (the bootstrap creates the key), `arn:aws:kms:<region>:<account>:alias/<name>`, `arn:aws:kms:<region>:<account>:key/<key id>` or the key id",
                )),
                Some(
                    KmsKeyName::Alias {
                        region: Some(region),
                        ..
                    }
                    | KmsKeyName::Existing {
                        region: Some(region),
                    },
                ) if self.region.as_deref().is_some_and(|r| r != region) => {
                    problems.push(StateError::error(
                        TYPE,
                        "kms_key_id",
                        format!(
                            "the key is in {region} but the bucket in {}",
                            self.region.as_deref().unwrap_or_default()
                        ),
                        "S3 encrypts with a key of the bucket's region: use a key there",
                    ));
                }
                Some(_) => {}
            }
            if !self.encrypt {
                problems.push(StateError::error(
                    TYPE,
                    "kms_key_id",
                    "a KMS key is set but `encrypt` is off".to_string(),
                    "turn `encrypt` on (the default) or drop the key",
                ));
            }
        }
        if !self.use_lockfile {
            problems.push(StateError::warning(
                TYPE,
                "use_lockfile",
                "the state is not locked: two concurrent plans or applies can overwrite each other's state".to_string(),
                "leave `use_lockfile` on (Terraform 1.10 or newer); DynamoDB locking is deprecated",
            ));
        }
        problems
    }

    /// The backend block (the settings are checked by the caller).
    pub(super) fn block(&self, target: &StateTarget<'_>) -> Backend {
        let mut settings = Value::map()
            .with("bucket", self.bucket.as_str())
            .with("key", self.key(target))
            .with("region", self.region_for(target))
            .with("encrypt", self.encrypt);
        if let Some(key) = &self.kms_key_id {
            settings.insert("kms_key_id", key.as_str());
        }
        if self.use_lockfile {
            settings.insert("use_lockfile", true);
        }
        // Every setting is a literal of a built-in type, which is all `new` checks.
        let backend = Backend::new("s3", settings).expect("literal settings of the s3 backend");
        if self.use_lockfile {
            backend.requiring(LOCKFILE_TERRAFORM, "the s3 backend's use_lockfile")
        } else {
            backend
        }
    }

    /// The bucket (versioned, SSE-KMS, all public access blocked, TLS-only
    /// policy, `prevent_destroy`) and, for an alias, its rotating key.
    pub(super) fn bootstrap(&self, target: &StateTarget<'_>, stack: &mut Stack) {
        let region = self.region_for(target).to_string();
        stack.add(AwsProvider::new(&region));
        let key_arn: Attr<crate::Arn<crate::aws::kind::KmsKey>> = match self
            .kms_key_id
            .as_deref()
            .and_then(|k| Some((k, kms_key_name(k)?)))
        {
            Some((_, KmsKeyName::Alias { name, .. })) => self.create_key(stack, name),
            // An existing key: S3 takes its id or ARN as the default key.
            Some((key, KmsKeyName::Existing { .. })) => {
                Attr::from_expr(Expr::concat([TemplatePart::Literal(key.to_string())]))
            }
            None => {
                // The bucket's default encryption needs a key even when
                // the backend writes with SSE-S3; say how to use it.
                let alias = format!(
                    "{}-tfstate",
                    dashed(&self.bucket, |c| c.is_ascii_alphanumeric())
                );
                if self.kms_key_id.is_none() {
                    stack.warning(
                            TYPE,
                            "kms_key_id",
                            &format!("the backend sets no KMS key, so state objects are written with SSE-S3 although the bucket's default key is `alias/{alias}`"),
                            &format!("add `.kms_key_id(\"alias/{alias}\")` to use the key this bootstrap creates"),
                        );
                }
                self.create_key(stack, &alias)
            }
        };
        let bucket = stack.add(
            Bucket::new("state", self.bucket.as_str(), key_arn.clone())
                // Old state versions are the way back from a bad apply; a
                // year of them, then they go (lock files add versions too).
                .noncurrent_expire_days(365),
        );
        // Deleting the bucket deletes every stack's state in it.
        stack.set_raw(&bucket.bucket, "lifecycle.prevent_destroy", true);
        stack.output(
            "state_bucket",
            bucket.name(),
            "The S3 bucket holding Terraform state",
        );
        stack.output(
            "state_bucket_arn",
            bucket.arn(),
            "The state bucket's ARN (for IAM policies of the roles that run Terraform)",
        );
        stack.output(
            "state_kms_key_arn",
            key_arn,
            "The KMS key state objects are encrypted with",
        );
        stack.output("state_region", region.as_str(), "The state bucket's region");
    }

    fn create_key(
        &self,
        stack: &mut Stack,
        alias: &str,
    ) -> Attr<crate::Arn<crate::aws::kind::KmsKey>> {
        let key = stack
            .add(KmsKey::new("state", alias).description("Terraform state (infrasynth bootstrap)"));
        // Without the key, no state in the bucket can be read again.
        stack.set_raw(&key.key, "lifecycle.prevent_destroy", true);
        key.arn()
    }
}

/// S3's naming rules, plus no `.`: a dotted name fails TLS certificate
/// validation of virtual-hosted requests, which the S3 backend makes.
fn s3_state_bucket_problem(name: &str) -> Option<&'static str> {
    bucket_name_problem(name).or_else(|| {
        name.contains('.')
            .then_some("contains `.`, which breaks TLS for virtual-hosted requests")
    })
}

/// A name following [`s3_state_bucket_problem`]'s rules made from `name`.
fn repair_bucket(name: &str) -> String {
    let mut fixed = dashed(name, |c| c.is_ascii_lowercase() || c.is_ascii_digit());
    for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] {
        if let Some(rest) = fixed.strip_prefix(prefix) {
            fixed = rest.to_string();
        }
    }
    for suffix in ["-s3alias", "--ol-s3", "--x-s3"] {
        if let Some(rest) = fixed.strip_suffix(suffix) {
            fixed = rest.to_string();
        }
    }
    if fixed.len() < 3 {
        fixed = format!("{fixed}-tfstate")
            .trim_start_matches('-')
            .to_string();
    }
    fixed.truncate(63);
    fixed.trim_end_matches('-').to_string()
}

/// How `key` names a KMS key, following the S3 backend's own validation
/// (Terraform's `validateKMSKey`): a v1-v5 UUID, a multi-Region key id
/// (`mrk-` and 32 hex digits), `alias/` and letters, digits, `/`, `_` and
/// `-`, or an ARN of a key or an alias. `None` when it is none of them.
fn kms_key_name(key: &str) -> Option<KmsKeyName<'_>> {
    let alias_name = |s: &str| -> bool {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-'))
    };
    let key_id = |s: &str| -> bool {
        let hex = |p: &str, n: usize| {
            p.len() == n
                && p.chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        };
        if let Some(rest) = s.strip_prefix("mrk-") {
            return hex(rest, 32);
        }
        let parts: Vec<&str> = s.split('-').collect();
        matches!(parts.as_slice(), [a, b, c, d, e]
            if hex(a, 8) && hex(b, 4) && hex(c, 4) && hex(d, 4) && hex(e, 12)
                && ('1'..='5').contains(&c.chars().next().unwrap_or('0'))
                && matches!(d.chars().next(), Some('8' | '9' | 'a' | 'b')))
    };
    if let Some(arn) = key.strip_prefix("arn:") {
        let parts: Vec<&str> = arn.splitn(5, ':').collect();
        let [partition, service, region, account, resource] = parts.as_slice() else {
            return None;
        };
        let account_ok = account.len() == 12 && account.chars().all(|c| c.is_ascii_digit());
        if partition.is_empty() || *service != "kms" || region.is_empty() || !account_ok {
            return None;
        }
        if let Some(name) = resource.strip_prefix("alias/").filter(|n| alias_name(n)) {
            return Some(KmsKeyName::Alias {
                name,
                region: Some(region),
            });
        }
        return resource
            .strip_prefix("key/")
            .filter(|id| key_id(id))
            .map(|_| KmsKeyName::Existing {
                region: Some(region),
            });
    }
    if let Some(name) = key.strip_prefix("alias/") {
        return alias_name(name).then_some(KmsKeyName::Alias { name, region: None });
    }
    key_id(key).then_some(KmsKeyName::Existing { region: None })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::environment::{Cloud, Environment};
    use crate::platform::Regions;

    fn block(backend: &S3Backend) -> serde_json::Value {
        let regions = Regions::default();
        let target = StateTarget::new("shop", Cloud::Aws, Environment::PRODUCTION, &regions);
        let mut stack = Stack::new("t");
        stack.require_terraform(">= 1.5");
        super::super::StateBackend::S3(backend.clone()).apply(&mut stack, &target);
        assert!(!stack.diagnostics().has_errors(), "{}", stack.diagnostics());
        let doc: serde_json::Value = serde_json::from_slice(&stack.render_json()).unwrap();
        doc["terraform"].clone()
    }

    #[test]
    fn renders_every_setting_and_raises_required_version_for_the_lock_file() {
        let terraform = block(
            &S3Backend::new("acme-tfstate")
                .region("eu-west-1")
                .kms_key_id("alias/acme-tfstate"),
        );
        assert_eq!(
            terraform["backend"],
            serde_json::json!({"s3": {
                "bucket": "acme-tfstate",
                "key": "shop/aws/production/terraform.tfstate",
                "region": "eu-west-1",
                "encrypt": true,
                "kms_key_id": "alias/acme-tfstate",
                "use_lockfile": true,
            }})
        );
        assert_eq!(terraform["required_version"], ">= 1.10");
    }

    #[test]
    fn without_the_lock_file_the_version_stays_and_a_warning_says_why() {
        let backend = S3Backend::new("acme-tfstate").use_lockfile(false);
        let terraform = block(&backend);
        assert_eq!(terraform["required_version"], ">= 1.5");
        assert!(terraform["backend"]["s3"].get("use_lockfile").is_none());
        assert_eq!(terraform["backend"]["s3"]["region"], Regions::default().aws);
        let problems = backend.check();
        assert_eq!(problems.len(), 1);
        assert!(!problems[0].is_error());
        assert_eq!(problems[0].field, "use_lockfile");
    }

    #[test]
    fn kms_keys_follow_the_backends_own_rules() {
        for good in [
            "alias/acme-tfstate",
            "alias/team/acme_tfstate",
            "arn:aws:kms:eu-west-1:123456789012:alias/acme-tfstate",
            "arn:aws:kms:eu-west-1:123456789012:key/0f9d8c7b-6a5e-4d3c-8b2a-1f0e9d8c7b6a",
            "arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/mrk-0f9d8c7b6a5e4d3c8b2a1f0e9d8c7b6a",
            "0f9d8c7b-6a5e-4d3c-8b2a-1f0e9d8c7b6a",
        ] {
            assert!(kms_key_name(good).is_some(), "{good}");
        }
        // Each refused by Terraform 1.11's S3 backend as well (checked by hand
        // with `terraform init`): not a v1-v5 UUID, a bad alias, not KMS.
        for bad in [
            "1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "alias/bad name",
            "alias/",
            "bogus",
            "arn:aws:s3:eu-west-1:123456789012:alias/x",
            "arn:aws:kms:eu-west-1:1234:alias/x",
        ] {
            assert!(kms_key_name(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn bad_names_name_the_field_and_the_suggested_fix_passes() {
        for (bucket, why) in [
            ("Acme_TFState", "lowercase"),
            ("ab", "3-63"),
            ("acme.tfstate", "TLS"),
            ("xn--acme-state", "`xn--`"),
            ("-acme-state-", "start and end"),
        ] {
            let problems = S3Backend::new(bucket).check();
            let error = problems
                .iter()
                .find(|p| p.field == "bucket")
                .unwrap_or_else(|| panic!("{bucket}: no bucket error in {problems:?}"));
            assert!(
                error.is_error() && error.message.contains(why),
                "{bucket}: {error}"
            );
            let fixed = error.suggestion.clone().expect("a suggestion");
            assert!(error.hint.contains(&fixed), "{error}");
            assert!(
                S3Backend::new(fixed.as_str()).check().is_empty(),
                "{bucket} -> {fixed}"
            );
        }
    }

    #[test]
    fn a_key_in_another_region_or_without_encryption_is_an_error() {
        let problems = S3Backend::new("acme-tfstate")
            .region("eu-west-1")
            .kms_key_id("arn:aws:kms:us-east-1:123456789012:alias/acme")
            .encrypt(false)
            .check();
        let fields: Vec<&str> = problems.iter().map(|p| p.field).collect();
        assert_eq!(fields, ["kms_key_id", "kms_key_id"], "{problems:?}");
        let unknown = S3Backend::new("acme-tfstate").region("eu-west-9").check();
        assert_eq!(unknown[0].field, "region");
    }
}
