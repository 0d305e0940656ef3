//! S3 buckets with secure defaults: versioning, SSE-KMS with a bucket key, all
//! four public access blocks, object ownership enforced (no ACLs), a policy
//! denying anything but TLS, lifecycle rules (including aborting incomplete
//! multipart uploads) and object events sent to EventBridge. `force_destroy`
//! stays off unless asked for (throw-away environments; a built-in policy
//! refuses it in production). Server access logs go to an [`crate::aws::AccessLogBucket`].

use std::net::Ipv4Addr;

use super::iam::{NameTag, PolicyDocument, Statement};
use super::kind;
use crate::core::block::Attributes;
use crate::core::refactor::Moved;
use crate::core::reference::{Arn, Attr, Input, Ref};
use crate::core::stack::{Construct, Stack};
use crate::core::value::Value;

/// A bucket.
///
/// ```
/// use infrasynth::aws::{Bucket, KmsKey};
/// use infrasynth::Stack;
/// let mut stack = Stack::new("demo");
/// let key = stack.add(KmsKey::new("storage", "demo-storage"));
/// let bucket = stack.add(Bucket::new("models", "demo-models-7f3a", key.arn()).expire_after_days(90));
/// ```
pub struct Bucket {
    logical: String,
    bucket: Input<String>,
    kms_key_arn: Attr<Arn<kind::KmsKey>>,
    versioning: bool,
    archive_after_days: Option<u32>,
    expire_after_days: Option<u32>,
    noncurrent_expire_days: Option<u32>,
    abort_multipart_days: u32,
    eventbridge: bool,
    force_destroy: bool,
    /// Set by [`crate::aws::AccessLogBucket`]: the source buckets S3 server
    /// access logging may deliver from, and their account.
    pub(crate) log_delivery: Option<LogDelivery>,
}

/// Who may deliver S3 server access logs into a bucket.
pub(crate) struct LogDelivery {
    pub(crate) sources: Vec<Attr<Arn<kind::S3Bucket>>>,
    pub(crate) account: Attr<String>,
}

/// What [`Bucket`] created.
#[derive(Clone, Debug)]
pub struct BucketHandle {
    /// The bucket.
    pub bucket: Ref<kind::S3Bucket>,
    /// Its public access block.
    pub public_access_block: Ref<kind::S3BucketPublicAccessBlock>,
    /// Its TLS-only policy.
    pub policy: Ref<kind::S3BucketPolicy>,
    /// Its event notification configuration (EventBridge), when on. S3 keeps
    /// one per bucket: add queues, topics or functions to this block.
    pub notification: Option<Ref<kind::S3BucketNotification>>,
    /// Its object ownership (`BucketOwnerEnforced`: ACLs off).
    pub ownership_controls: Ref<kind::S3BucketOwnershipControls>,
    /// Its versioning configuration.
    pub versioning: Ref<kind::S3BucketVersioning>,
    /// Its default encryption (SSE-KMS with a bucket key).
    pub encryption: Ref<kind::S3BucketEncryption>,
    /// Its lifecycle rules (abort incomplete uploads, archive, expiry).
    pub lifecycle: Ref<kind::S3BucketLifecycle>,
}

impl BucketHandle {
    /// The bucket's ARN.
    pub fn arn(&self) -> Attr<Arn<kind::S3Bucket>> {
        self.bucket.arn()
    }

    /// The bucket's name.
    pub fn name(&self) -> Attr<String> {
        self.bucket.attr("bucket")
    }

    /// Records that this bucket's builder was named `old_logical` before: one
    /// `moved` block per block the builder makes, so a rename keeps the
    /// bucket and its settings instead of destroying them.
    pub fn moved_from(&self, stack: &mut Stack, old_logical: &str) {
        stack.moved(Moved::from(old_logical), &self.bucket);
        stack.moved(Moved::from(old_logical), &self.public_access_block);
        stack.moved(Moved::from(old_logical), &self.policy);
        if let Some(notification) = &self.notification {
            stack.moved(Moved::from(old_logical), notification);
        }
        stack.moved(Moved::from(old_logical), &self.ownership_controls);
        stack.moved(Moved::from(old_logical), &self.versioning);
        stack.moved(Moved::from(old_logical), &self.encryption);
        stack.moved(Moved::from(old_logical), &self.lifecycle);
    }
}

impl Bucket {
    /// A bucket named `bucket` (globally unique) encrypted with the key.
    ///
    /// `bucket` is a literal (`"shop-prod-models"`, checked against S3's
    /// naming rules at synth, see [`bucket_name_problem`]) or text computed
    /// from another resource (such as `other.name().suffixed("-replica")`),
    /// which is not checked at synth: S3 rejects a bad one at apply. The
    /// bucket's `Name` tag is the same value.
    pub fn new(
        logical: &str,
        bucket: impl Into<Input<String>>,
        kms_key_arn: Attr<Arn<kind::KmsKey>>,
    ) -> Self {
        Bucket {
            logical: logical.to_string(),
            bucket: bucket.into(),
            kms_key_arn,
            versioning: true,
            archive_after_days: None,
            expire_after_days: None,
            noncurrent_expire_days: None,
            abort_multipart_days: 7,
            eventbridge: true,
            force_destroy: false,
            log_delivery: None,
        }
    }

    /// Let `terraform destroy` delete the bucket with every object and old
    /// version in it (default off). For throw-away environments only: the
    /// `no-force-destroy` policy refuses it in production.
    pub fn force_destroy(mut self, on: bool) -> Self {
        self.force_destroy = on;
        self
    }

    /// Keep old versions of objects (default on).
    pub fn versioning(mut self, on: bool) -> Self {
        self.versioning = on;
        self
    }

    /// Move objects to Glacier Instant Retrieval after `days`.
    pub fn archive_after_days(mut self, days: u32) -> Self {
        self.archive_after_days = Some(days);
        self
    }

    /// Delete objects after `days`.
    pub fn expire_after_days(mut self, days: u32) -> Self {
        self.expire_after_days = Some(days);
        self
    }

    /// Delete non-current versions after `days`.
    pub fn noncurrent_expire_days(mut self, days: u32) -> Self {
        self.noncurrent_expire_days = Some(days);
        self
    }

    /// Send object events (created, deleted, restored, ...) to the account's
    /// default EventBridge bus (default on: a record of changes to the data,
    /// at no cost until a rule matches them).
    pub fn eventbridge_notifications(mut self, on: bool) -> Self {
        self.eventbridge = on;
        self
    }
}

/// Why `name` is not a valid S3 bucket name, if it is not.
pub fn bucket_name_problem(name: &str) -> Option<&'static str> {
    if !(3..=63).contains(&name.len()) {
        return Some("must be 3-63 characters long");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
    {
        return Some("may only hold lowercase letters, digits, `-` and `.`");
    }
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !edge(name.chars().next()) || !edge(name.chars().last()) {
        return Some("must start and end with a letter or digit");
    }
    if name.contains("..") || name.contains(".-") || name.contains("-.") {
        return Some("must not contain `..`, `.-` or `-.`");
    }
    if name.parse::<Ipv4Addr>().is_ok() {
        return Some("must not look like an IP address");
    }
    if name.starts_with("xn--") || name.starts_with("sthree-") || name.starts_with("amzn-s3-demo-")
    {
        return Some("must not start with `xn--`, `sthree-` or `amzn-s3-demo-`");
    }
    if name.ends_with("-s3alias")
        || name.ends_with("--ol-s3")
        || name.ends_with(".mrap")
        || name.ends_with("--x-s3")
    {
        return Some("must not end with `-s3alias`, `--ol-s3`, `.mrap` or `--x-s3`");
    }
    None
}

impl Bucket {
    /// Takes every block a bucket builder named `logical` made out of
    /// Terraform's state (`removed` blocks, Terraform 1.7), after the builder
    /// was deleted from the stack. `destroy: false` keeps the real bucket and
    /// its settings; `true` deletes them.
    pub fn removed(stack: &mut Stack, logical: &str, destroy: bool) {
        stack.removed::<kind::S3Bucket>(logical, destroy);
        stack.removed::<kind::S3BucketPublicAccessBlock>(logical, destroy);
        stack.removed::<kind::S3BucketPolicy>(logical, destroy);
        stack.removed::<kind::S3BucketNotification>(logical, destroy);
        stack.removed::<kind::S3BucketOwnershipControls>(logical, destroy);
        stack.removed::<kind::S3BucketVersioning>(logical, destroy);
        stack.removed::<kind::S3BucketEncryption>(logical, destroy);
        stack.removed::<kind::S3BucketLifecycle>(logical, destroy);
    }
}

impl Construct for Bucket {
    type Output = BucketHandle;

    fn describe(&self) -> String {
        format!("aws::Bucket \"{}\"", self.logical)
    }

    fn build(self, stack: &mut Stack) -> BucketHandle {
        let address = format!("aws_s3_bucket.{}", self.logical);
        if let Some((name, problem)) = self
            .bucket
            .literal()
            .and_then(|name| Some((name, bucket_name_problem(name)?)))
        {
            stack.error(
                &address,
                "bucket",
                &format!("`{name}` is not a valid S3 bucket name: it {problem}"),
                "use 3-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit",
            );
        }
        for (field, days) in [
            ("archive_after_days", self.archive_after_days),
            ("expire_after_days", self.expire_after_days),
            ("noncurrent_expire_days", self.noncurrent_expire_days),
        ] {
            if days == Some(0) {
                stack.error(
                    &address,
                    field,
                    "0 days",
                    "use at least 1 day, or leave it unset",
                );
            }
        }
        if let (Some(archive), Some(expire)) = (self.archive_after_days, self.expire_after_days) {
            if expire <= archive {
                stack.warning(
                    &address,
                    "expire_after_days",
                    &format!("objects expire after {expire} days, before they are archived after {archive}"),
                    "expire after the archive transition, or drop the archive rule",
                );
            }
        }
        let l = &self.logical;
        let bucket = stack.resource::<kind::S3Bucket>(
            l,
            Attributes::new()
                .set("bucket", &self.bucket)
                .set("force_destroy", self.force_destroy)
                .tagged_name(&self.bucket),
        );
        let public_access_block = stack.resource::<kind::S3BucketPublicAccessBlock>(
            l,
            Attributes::new()
                .set("bucket", bucket.id())
                .set("block_public_acls", true)
                .set("block_public_policy", true)
                .set("ignore_public_acls", true)
                .set("restrict_public_buckets", true),
        );
        let ownership_controls = stack.resource::<kind::S3BucketOwnershipControls>(
            l,
            Attributes::new().set("bucket", bucket.id()).block(
                "rule",
                Value::map().with("object_ownership", "BucketOwnerEnforced"),
            ),
        );
        let versioning = stack.resource::<kind::S3BucketVersioning>(
            l,
            Attributes::new().set("bucket", bucket.id()).block(
                "versioning_configuration",
                Value::map().with(
                    "status",
                    if self.versioning {
                        "Enabled"
                    } else {
                        "Suspended"
                    },
                ),
            ),
        );
        let encryption = stack.resource::<kind::S3BucketEncryption>(
            l,
            Attributes::new().set("bucket", bucket.id()).block(
                "rule",
                Value::map().with("bucket_key_enabled", true).with(
                    "apply_server_side_encryption_by_default",
                    Value::List(vec![Value::map()
                        .with("sse_algorithm", "aws:kms")
                        .with("kms_master_key_id", &self.kms_key_arn)]),
                ),
            ),
        );
        let mut tls_only = PolicyDocument::new().statement(
            Statement::deny(&["s3:*"])
                .sid("DenyInsecureTransport")
                .principal("*", "*")
                .on(bucket.arn())
                .on(bucket.arn().suffixed("/*"))
                .condition("Bool", "aws:SecureTransport", vec![Value::from("false")]),
        );
        if let Some(delivery) = &self.log_delivery {
            // The documented grant for server access logs into a bucket with
            // object ownership enforced (no ACLs), limited to the named source
            // buckets of this account (confused deputy).
            tls_only = tls_only.statement(
                Statement::allow(&["s3:PutObject"])
                    .sid("S3ServerAccessLogDelivery")
                    .principal("Service", "logging.s3.amazonaws.com")
                    .on(bucket.arn().suffixed("/*"))
                    .condition(
                        "ArnLike",
                        "aws:SourceArn",
                        delivery.sources.iter().map(Value::from).collect(),
                    )
                    .condition(
                        "StringEquals",
                        "aws:SourceAccount",
                        vec![Value::from(&delivery.account)],
                    ),
            );
        }
        // Put after the public access block: both change the bucket policy
        // state and S3 rejects concurrent changes.
        let policy = stack.resource::<kind::S3BucketPolicy>(
            l,
            Attributes::new()
                .set("bucket", bucket.id())
                .set("policy", tls_only.to_json())
                .depends_on(public_access_block.address()),
        );
        let all_objects = || Value::List(vec![Value::map().with("prefix", "")]);
        let rule = |id: &str| {
            Value::map()
                .with("id", id)
                .with("status", "Enabled")
                .with("filter", all_objects())
        };
        let mut rules = vec![rule("abort-incomplete-multipart-uploads").with(
            "abort_incomplete_multipart_upload",
            Value::List(vec![
                Value::map().with("days_after_initiation", self.abort_multipart_days)
            ]),
        )];
        if let Some(days) = self.archive_after_days {
            rules.push(rule("archive").with(
                "transition",
                Value::List(vec![Value::map()
                    .with("days", days)
                    .with("storage_class", "GLACIER_IR")]),
            ));
        }
        if let Some(days) = self.expire_after_days {
            rules.push(rule("expire").with(
                "expiration",
                Value::List(vec![Value::map().with("days", days)]),
            ));
        }
        if let Some(days) = self.noncurrent_expire_days {
            rules.push(rule("expire-noncurrent-versions").with(
                "noncurrent_version_expiration",
                Value::List(vec![Value::map().with("noncurrent_days", days)]),
            ));
        }
        let lifecycle = stack.resource::<kind::S3BucketLifecycle>(
            l,
            Attributes::new()
                .set("bucket", bucket.id())
                .blocks("rule", rules)
                .depends_on(versioning.address()),
        );
        let notification = self.eventbridge.then(|| {
            stack.resource::<kind::S3BucketNotification>(
                l,
                Attributes::new()
                    .set("bucket", bucket.id())
                    .set("eventbridge", true),
            )
        });
        BucketHandle {
            bucket,
            public_access_block,
            policy,
            notification,
            ownership_controls,
            versioning,
            encryption,
            lifecycle,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::KmsKey;

    #[test]
    fn defaults_are_private_encrypted_and_tls_only() {
        let mut stack = Stack::new("t");
        let key = stack.add(KmsKey::new("storage", "t-storage"));
        stack.add(
            Bucket::new("models", "t-models", key.arn())
                .archive_after_days(30)
                .expire_after_days(365),
        );
        let out = stack.synth().unwrap();
        let text = out.main_tf_json();
        for needle in [
            "\"block_public_acls\": true",
            "\"restrict_public_buckets\": true",
            "\"object_ownership\": \"BucketOwnerEnforced\"",
            "\"bucket_key_enabled\": true",
            "\"sse_algorithm\": \"aws:kms\"",
            "aws:SecureTransport",
            "\"force_destroy\": false",
            "\"days_after_initiation\": 7",
            "\"storage_class\": \"GLACIER_IR\"",
            "\"status\": \"Enabled\"",
        ] {
            assert!(text.contains(needle), "{needle} missing from\n{text}");
        }
    }

    #[test]
    fn a_name_taken_from_another_bucket_is_the_name_and_the_name_tag() {
        let mut stack = Stack::new("t");
        let key = stack.add(KmsKey::new("storage", "t-storage"));
        let models = stack.add(Bucket::new("models", "t-models", key.arn()));
        stack.add(Bucket::new(
            "replica",
            models.name().suffixed("-replica"),
            key.arn(),
        ));
        assert!(stack.diagnostics().is_empty(), "{}", stack.diagnostics());
        let text = stack.synth().unwrap().main_tf_json().to_string();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let replica = &doc["resource"]["aws_s3_bucket"]["replica"];
        assert_eq!(replica["bucket"], "${aws_s3_bucket.models.bucket}-replica");
        assert_eq!(
            replica["tags"]["Name"],
            "${aws_s3_bucket.models.bucket}-replica"
        );
    }

    #[test]
    fn invalid_names_are_errors_saying_why() {
        for (name, why) in [
            ("ab", "3-63 characters"),
            ("My-Bucket", "lowercase"),
            ("a..b", "`..`"),
            ("192.168.1.10", "IP address"),
            ("xn--bucket", "`xn--`"),
            ("data-s3alias", "`-s3alias`"),
            ("-data", "start and end"),
        ] {
            let mut stack = Stack::new("t");
            let key = stack.add(KmsKey::new("storage", "t-storage"));
            stack.add(Bucket::new("b", name, key.arn()));
            let text = stack.diagnostics().to_string();
            assert!(
                text.contains("resource `aws_s3_bucket.b`, field `bucket`"),
                "{text}"
            );
            assert!(text.contains(why), "{name}: {text}");
            assert!(text.contains("help: use 3-63 lowercase letters"), "{text}");
        }
    }

    #[test]
    fn expiring_before_archiving_is_a_warning() {
        let mut stack = Stack::new("t");
        let key = stack.add(KmsKey::new("storage", "t-storage"));
        stack.add(
            Bucket::new("b", "t-b", key.arn())
                .archive_after_days(90)
                .expire_after_days(30),
        );
        assert!(stack
            .diagnostics()
            .to_string()
            .contains("field `expire_after_days`"));
    }

    #[test]
    fn zero_days_is_an_error() {
        let mut stack = Stack::new("t");
        let key = stack.add(KmsKey::new("storage", "t-storage"));
        stack.add(Bucket::new("b", "t-b", key.arn()).noncurrent_expire_days(0));
        let text = stack.diagnostics().to_string();
        assert!(
            text.contains("field `noncurrent_expire_days`: 0 days")
                && text.contains("at least 1 day"),
            "{text}"
        );
    }
}
