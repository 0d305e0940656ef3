//! Cloud Storage buckets: uniform bucket-level access, public access prevention
//! enforced, versioning, lifecycle rules, optional CMEK, and GCS's naming rules
//! checked at synth time.

use super::kind;
use super::project::Project;
use crate::core::block::Attributes;
use crate::core::reference::{Address, Attr, Id, Input, Ref, ResourceKind};
use crate::core::stack::{Construct, Stack};
use crate::core::value::{Expr, TemplatePart};
use crate::map;
use crate::Value;

/// Every GCS naming rule `name` breaks (empty when valid).
///
/// ```
/// use infrasynth::gcp::bucket::bucket_name_problems;
/// assert!(bucket_name_problems("mlops-dev-models").is_empty());
/// assert!(!bucket_name_problems("goog-models").is_empty());
/// assert!(!bucket_name_problems("my-google-data").is_empty());
/// ```
pub fn bucket_name_problems(name: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let dotted = name.contains('.');
    let max = if dotted { 222 } else { 63 };
    if name.len() < 3 || name.len() > max {
        problems.push(format!(
            "is {} characters; bucket names have 3-63 characters (up to 222 with dots)",
            name.len()
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
    {
        problems.push("may contain only lowercase letters, digits, `-`, `_` and `.`".to_string());
    }
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !alnum(name.chars().next()) || !alnum(name.chars().last()) {
        problems.push("must start and end with a letter or digit".to_string());
    }
    if dotted {
        if name
            .split('.')
            .any(|part| part.is_empty() || part.len() > 63)
        {
            problems.push(
                "has a dot-separated part that is empty or longer than 63 characters".to_string(),
            );
        }
        if name.split('.').count() == 4 && name.split('.').all(|p| p.parse::<u8>().is_ok()) {
            problems.push("looks like an IP address".to_string());
        }
        problems.push(
            "contains dots, which need domain ownership verification; use `-` instead".to_string(),
        );
    }
    if name.starts_with("goog") {
        problems.push("starts with `goog`, which GCS reserves".to_string());
    }
    let folded = name.replace('0', "o");
    if folded.contains("google") || folded.contains("g00gle") {
        problems.push("contains `google` (or a look-alike), which GCS forbids".to_string());
    }
    problems
}

/// A lifecycle storage class transition for objects older than `days`:
/// NEARLINE before 90 days, COLDLINE before 365, ARCHIVE after (each class's
/// minimum storage duration).
pub fn archive_class(days: u32) -> &'static str {
    match days {
        0..=89 => "NEARLINE",
        90..=364 => "COLDLINE",
        _ => "ARCHIVE",
    }
}

/// A bucket.
///
/// ```
/// use infrasynth::gcp::Bucket;
/// use infrasynth::Stack;
/// let mut stack = Stack::new("demo");
/// let bucket = stack.add(Bucket::new("models", "acme-dev-models", "US-CENTRAL1").unique_suffix());
/// assert!(stack.diagnostics().is_empty());
/// ```
pub struct Bucket {
    logical: String,
    name: Input<String>,
    location: String,
    unique_suffix: bool,
    versioning: bool,
    archive_after_days: Option<u32>,
    expire_after_days: Option<u32>,
    noncurrent_expire_days: Option<u32>,
    encryption_key: Option<Attr<Id<kind::CryptoKey>>>,
    force_destroy: bool,
    depends_on: Vec<Address>,
}

impl Bucket {
    /// A bucket named `name` in `location` (a region such as `US-CENTRAL1`).
    ///
    /// `name` is a literal (`"acme-prod-models"`, checked against GCS's naming
    /// rules at synth, see [`bucket_name_problems`]) or text computed from
    /// another resource (such as `other.name()`), which is not checked at
    /// synth: GCS rejects a bad one at apply. With
    /// [`Bucket::unique_suffix`] the suffix follows either.
    pub fn new(logical: &str, name: impl Into<Input<String>>, location: &str) -> Self {
        Bucket {
            logical: logical.to_string(),
            name: name.into(),
            location: location.to_string(),
            unique_suffix: false,
            versioning: true,
            archive_after_days: None,
            expire_after_days: None,
            noncurrent_expire_days: None,
            encryption_key: None,
            force_destroy: false,
            depends_on: Vec::new(),
        }
    }

    /// Appends `-` and six hex characters derived from the project id, so the
    /// globally unique name does not collide with another project's.
    pub fn unique_suffix(mut self) -> Self {
        self.unique_suffix = true;
        self
    }

    /// Keep non-current object versions (default on).
    pub fn versioning(mut self, on: bool) -> Self {
        self.versioning = on;
        self
    }

    /// Move objects to a colder class after `days`.
    pub fn archive_after_days(mut self, days: Option<u32>) -> Self {
        self.archive_after_days = days;
        self
    }

    /// Delete objects after `days`.
    pub fn expire_after_days(mut self, days: Option<u32>) -> Self {
        self.expire_after_days = days;
        self
    }

    /// Delete non-current versions `days` after they were replaced.
    pub fn noncurrent_expire_days(mut self, days: Option<u32>) -> Self {
        self.noncurrent_expire_days = days;
        self
    }

    /// Default customer-managed key for new objects.
    pub fn encryption_key(mut self, key: Attr<Id<kind::CryptoKey>>) -> Self {
        self.encryption_key = Some(key);
        self
    }

    /// Let `terraform destroy` delete a non-empty bucket (default off).
    pub fn force_destroy(mut self, on: bool) -> Self {
        self.force_destroy = on;
        self
    }

    /// Waits for `address` (the key grant of the storage service agent).
    pub fn depends_on(mut self, address: &Address) -> Self {
        self.depends_on.push(address.clone());
        self
    }

    /// The literal name as GCS will see it, with the suffix's length
    /// accounted for; `None` when the name is computed.
    fn checked_name(&self) -> Option<String> {
        let name = self.name.literal()?;
        Some(if self.unique_suffix {
            format!("{name}-{}", "0".repeat(Project::SUFFIX_LEN))
        } else {
            name.to_string()
        })
    }
}

impl Construct for Bucket {
    type Output = Ref<kind::Bucket>;

    fn describe(&self) -> String {
        format!("gcp::Bucket \"{}\"", self.logical)
    }

    fn build(self, stack: &mut Stack) -> Ref<kind::Bucket> {
        let resource = format!("{}.{}", kind::Bucket::TYPE, self.logical);
        let problems = self
            .checked_name()
            .map(|checked| bucket_name_problems(&checked))
            .unwrap_or_default();
        if let (false, Some(name)) = (problems.is_empty(), self.name.literal()) {
            let shown = if self.unique_suffix {
                format!("{name}-<6 hex>")
            } else {
                name.to_string()
            };
            stack.error(
                &resource,
                "name",
                &format!("bucket name `{shown}` {}", problems.join("; ")),
                "use 3-63 lowercase letters, digits and `-`, starting and ending with a letter or digit, without `goog` at the start or `google` anywhere",
            );
        }
        for (field, days) in [
            ("lifecycle_rule.archive_after_days", self.archive_after_days),
            ("lifecycle_rule.expire_after_days", self.expire_after_days),
            (
                "lifecycle_rule.noncurrent_expire_days",
                self.noncurrent_expire_days,
            ),
        ] {
            if days == Some(0) {
                stack.error(
                    &resource,
                    field,
                    "0 days would act on every object at once",
                    "use at least 1 day, or None for no rule",
                );
            }
        }
        if let (Some(archive), Some(expire)) = (self.archive_after_days, self.expire_after_days) {
            if expire <= archive {
                stack.error(
                    &resource,
                    "lifecycle_rule.expire_after_days",
                    &format!("objects expire after {expire} days, before they are archived after {archive}"),
                    "expire after the archive transition, or drop the transition",
                );
            }
        }
        if self.noncurrent_expire_days.is_some() && !self.versioning {
            stack.error(
                &resource,
                "lifecycle_rule.noncurrent_expire_days",
                "non-current versions expire but versioning is off",
                "turn versioning on, or drop noncurrent_expire_days",
            );
        }
        let name: Value = if self.unique_suffix {
            Expr::concat([
                TemplatePart::from(&self.name.suffixed("-")),
                TemplatePart::from(Project::suffix()),
            ])
            .into()
        } else {
            (&self.name).into()
        };
        let mut rules = Vec::new();
        if let Some(days) = self.archive_after_days {
            rules.push(map! {
                "action" => vec![map! { "type" => "SetStorageClass", "storage_class" => archive_class(days) }],
                "condition" => vec![map! { "age" => days, "matches_storage_class" => vec!["STANDARD"] }],
            });
        }
        if let Some(days) = self.expire_after_days {
            rules.push(map! {
                "action" => vec![map! { "type" => "Delete" }],
                "condition" => vec![map! { "age" => days }],
            });
        }
        if let Some(days) = self.noncurrent_expire_days {
            rules.push(map! {
                "action" => vec![map! { "type" => "Delete" }],
                "condition" => vec![map! { "days_since_noncurrent_time" => days, "with_state" => "ARCHIVED" }],
            });
        }
        // Abandoned multipart uploads cost storage and never become objects.
        rules.push(map! {
            "action" => vec![map! { "type" => "AbortIncompleteMultipartUpload" }],
            "condition" => vec![map! { "age" => 7 }],
        });
        let mut attributes = Attributes::new()
            .set("name", name)
            .set("location", self.location.as_str())
            .set("storage_class", "STANDARD")
            .set("uniform_bucket_level_access", true)
            .set("public_access_prevention", "enforced")
            .set("force_destroy", self.force_destroy)
            .block("versioning", map! { "enabled" => self.versioning })
            .blocks("lifecycle_rule", rules)
            .labelled();
        if let Some(key) = &self.encryption_key {
            attributes = attributes.block("encryption", map! { "default_kms_key_name" => key });
        }
        for address in &self.depends_on {
            attributes = attributes.depends_on(address);
        }
        stack.resource::<kind::Bucket>(&self.logical, attributes)
    }
}

/// Grants `member` a role on a bucket: read (`roles/storage.objectViewer`) or
/// read-write (`roles/storage.objectUser`, which cannot change IAM).
pub struct BucketAccess {
    logical: String,
    bucket: Attr<crate::Name<kind::Bucket>>,
    member: Attr<String>,
    write: bool,
}

impl BucketAccess {
    /// Read-only access.
    pub fn read(
        logical: &str,
        bucket: Attr<crate::Name<kind::Bucket>>,
        member: Attr<String>,
    ) -> Self {
        BucketAccess {
            logical: logical.to_string(),
            bucket,
            member,
            write: false,
        }
    }

    /// Read-write access.
    pub fn read_write(
        logical: &str,
        bucket: Attr<crate::Name<kind::Bucket>>,
        member: Attr<String>,
    ) -> Self {
        BucketAccess {
            write: true,
            ..Self::read(logical, bucket, member)
        }
    }
}

impl Construct for BucketAccess {
    type Output = Ref<kind::BucketIamMember>;

    fn describe(&self) -> String {
        format!("gcp::BucketAccess \"{}\"", self.logical)
    }

    fn build(self, stack: &mut Stack) -> Ref<kind::BucketIamMember> {
        let role = if self.write {
            "roles/storage.objectUser"
        } else {
            "roles/storage.objectViewer"
        };
        stack.resource::<kind::BucketIamMember>(
            &self.logical,
            Attributes::new()
                .set("bucket", self.bucket)
                .set("role", role)
                .set("member", self.member),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_taken_from_another_bucket_is_the_name_with_or_without_suffix() {
        let mut stack = Stack::new("t");
        let models = stack.add(Bucket::new("models", "acme-dev-models", "US-CENTRAL1"));
        let replica = stack.add(Bucket::new("replica", models.name(), "US-EAST1"));
        let suffixed =
            stack.add(Bucket::new("suffixed", models.name(), "US-EAST1").unique_suffix());
        assert!(stack.diagnostics().is_empty(), "{}", stack.diagnostics());
        let name =
            |bucket: &Ref<kind::Bucket>| match stack.block(bucket.address()).unwrap().get("name") {
                Some(Value::Expr(name)) => name.template().to_string(),
                other => panic!("name is an expression, not {other:?}"),
            };
        assert_eq!(name(&replica), "${google_storage_bucket.models.name}");
        assert_eq!(
            name(&suffixed),
            "${google_storage_bucket.models.name}-${substr(sha256(var.project_id), 0, 6)}"
        );
        // The reference orders the buckets for Terraform.
        let deps = stack.block(replica.address()).unwrap().dependencies();
        assert_eq!(deps, [models.address()]);
    }

    #[test]
    fn defaults_are_private_and_versioned() {
        let mut stack = Stack::new("t");
        let bucket = stack.add(
            Bucket::new("models", "acme-dev-models", "US-CENTRAL1")
                .unique_suffix()
                .archive_after_days(Some(30))
                .noncurrent_expire_days(Some(7)),
        );
        let block = stack.block(bucket.address()).unwrap();
        assert_eq!(block.get("uniform_bucket_level_access"), Some(&true.into()));
        assert_eq!(
            block.get("public_access_prevention"),
            Some(&"enforced".into())
        );
        assert_eq!(block.get("versioning.enabled"), Some(&true.into()));
        let Some(Value::Expr(name)) = block.get("name") else {
            panic!("name is an expression")
        };
        assert_eq!(
            name.template(),
            "acme-dev-models-${substr(sha256(var.project_id), 0, 6)}"
        );
        assert_eq!(
            block
                .get("lifecycle_rule")
                .and_then(Value::as_list)
                .map(<[Value]>::len),
            Some(3)
        );
        assert!(stack.diagnostics().is_empty());
    }

    #[test]
    fn gcs_naming_rules_are_enforced() {
        for (name, says) in [
            ("goog-models", "starts with `goog`"),
            ("acme-google-models", "contains `google`"),
            ("acme-g00gle-models", "contains `google`"),
            ("ab", "3-63 characters"),
            (&"a".repeat(64), "3-63 characters"),
            ("acme.models", "dots"),
            ("Acme-Models", "lowercase"),
            ("-acme", "start and end"),
        ] {
            let mut stack = Stack::new("t");
            stack.add(Bucket::new("b", name, "US-CENTRAL1"));
            let text = stack.diagnostics().to_string();
            assert!(text.contains("field `name`"), "{name}: {text}");
            assert!(text.contains(says), "{name}: {text}");
        }
    }

    #[test]
    fn the_suffix_counts_toward_the_length() {
        let mut stack = Stack::new("t");
        stack.add(Bucket::new("b", "a".repeat(60), "US-CENTRAL1").unique_suffix());
        assert!(stack.diagnostics().to_string().contains("is 67 characters"));
    }

    #[test]
    fn lifecycle_contradictions_are_errors() {
        let mut stack = Stack::new("t");
        stack.add(
            Bucket::new("b", "acme-b", "US-CENTRAL1")
                .versioning(false)
                .archive_after_days(Some(90))
                .expire_after_days(Some(30))
                .noncurrent_expire_days(Some(7)),
        );
        let text = stack.diagnostics().to_string();
        assert!(text.contains("lifecycle_rule.expire_after_days"), "{text}");
        assert!(
            text.contains("lifecycle_rule.noncurrent_expire_days"),
            "{text}"
        );
    }

    #[test]
    fn archive_classes_respect_minimum_durations() {
        assert_eq!(archive_class(30), "NEARLINE");
        assert_eq!(archive_class(90), "COLDLINE");
        assert_eq!(archive_class(400), "ARCHIVE");
    }
}
