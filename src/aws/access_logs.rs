//! The bucket S3 server access logs of other buckets go to: the same secure
//! defaults as every [`Bucket`] (SSE-KMS, versioning, no public access,
//! TLS only, EventBridge events), a policy letting only S3 log delivery write,
//! and only for the named source buckets of the key's account, and an
//! expiry. It does not log itself: logging a log bucket into itself loops.

use super::bucket::{Bucket, BucketHandle, LogDelivery};
use super::kind;
use super::kms::KmsKeyHandle;
use crate::core::block::Attributes;
use crate::core::reference::{Arn, Attr, Input, Ref};
use crate::core::stack::{Construct, Stack};

/// A bucket receiving the server access logs of `sources`.
///
/// The key must let S3 log delivery use it
/// ([`crate::aws::KmsKey::allow_s3_access_log_delivery`]): S3 writes the logs
/// itself and encrypts them with the bucket's default key.
///
/// ```
/// use infrasynth::aws::{AccessLogBucket, Bucket, KmsKey};
/// use infrasynth::Stack;
/// let mut stack = Stack::new("demo");
/// let storage = stack.add(KmsKey::new("storage", "demo-storage"));
/// let logs = stack.add(KmsKey::new("logs", "demo-logs").allow_s3_access_log_delivery());
/// let models = stack.add(Bucket::new("models", "demo-models-7f3a", storage.arn()));
/// let access = stack.add(
///     AccessLogBucket::new("access_logs", "demo-access-logs-7f3a", &logs)
///         .source(&models)
///         .expire_after_days(365),
/// );
/// assert_eq!(access.logging.len(), 1);
/// ```
pub struct AccessLogBucket {
    logical: String,
    bucket: Input<String>,
    kms_key_arn: Attr<Arn<kind::KmsKey>>,
    account: Attr<String>,
    sources: Vec<BucketHandle>,
    expire_after_days: u32,
    force_destroy: bool,
}

/// What [`AccessLogBucket`] created.
#[derive(Clone, Debug)]
pub struct AccessLogBucketHandle {
    /// The log bucket.
    pub bucket: BucketHandle,
    /// One `aws_s3_bucket_logging` per source bucket, in the order given.
    pub logging: Vec<Ref<kind::S3BucketLogging>>,
}

impl AccessLogBucket {
    /// A log bucket named `bucket` (globally unique), encrypted with `key`;
    /// `bucket` is a literal or computed, as in [`Bucket::new`].
    pub fn new(logical: &str, bucket: impl Into<Input<String>>, key: &KmsKeyHandle) -> Self {
        AccessLogBucket {
            logical: logical.to_string(),
            bucket: bucket.into(),
            kms_key_arn: key.arn(),
            account: key.account.clone(),
            sources: Vec::new(),
            expire_after_days: 365,
            force_destroy: false,
        }
    }

    /// Logs the requests made to `source` here, under `<source bucket>/`.
    pub fn source(mut self, source: &BucketHandle) -> Self {
        self.sources.push(source.clone());
        self
    }

    /// Let `terraform destroy` delete the bucket with its logs (default off;
    /// see [`Bucket::force_destroy`]). A log bucket keeps receiving logs
    /// until its sources are gone, so without this a throw-away environment
    /// cannot be destroyed in one run.
    pub fn force_destroy(mut self, on: bool) -> Self {
        self.force_destroy = on;
        self
    }

    /// Delete log objects (and their old versions) after `days` (default 365).
    pub fn expire_after_days(mut self, days: u32) -> Self {
        self.expire_after_days = days;
        self
    }
}

impl Construct for AccessLogBucket {
    type Output = AccessLogBucketHandle;

    fn describe(&self) -> String {
        format!("aws::AccessLogBucket \"{}\"", self.logical)
    }

    fn build(self, stack: &mut Stack) -> AccessLogBucketHandle {
        if self.sources.is_empty() {
            stack.warning(
                &format!("aws_s3_bucket.{}", self.logical),
                "sources",
                "an access log bucket without source buckets receives nothing",
                "add the buckets to log with `.source(&bucket)`",
            );
        }
        let mut log_bucket = Bucket::new(&self.logical, self.bucket, self.kms_key_arn)
            .expire_after_days(self.expire_after_days)
            .noncurrent_expire_days(self.expire_after_days.min(30))
            .force_destroy(self.force_destroy);
        log_bucket.log_delivery = Some(LogDelivery {
            sources: self.sources.iter().map(BucketHandle::arn).collect(),
            account: self.account,
        });
        let bucket = stack.add(log_bucket);
        let logging = self
            .sources
            .iter()
            .map(|source| {
                // Named like the source bucket it configures.
                stack.resource::<kind::S3BucketLogging>(
                    source.bucket.address().name(),
                    Attributes::new()
                        .set("bucket", source.bucket.id())
                        .set("target_bucket", bucket.bucket.id())
                        .set("target_prefix", source.name().suffixed("/"))
                        // Delivery is allowed by the log bucket's policy.
                        .depends_on(bucket.policy.address()),
                )
            })
            .collect();
        AccessLogBucketHandle { bucket, logging }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::KmsKey;

    #[test]
    fn delivery_is_limited_to_the_sources_of_this_account() {
        let mut stack = Stack::new("t");
        let storage = stack.add(KmsKey::new("storage", "t-storage"));
        let logs = stack
            .add(KmsKey::for_logs("logs", "t-logs", "us-east-1").allow_s3_access_log_delivery());
        let models = stack.add(Bucket::new("models", "t-models", storage.arn()));
        let data = stack.add(Bucket::new("data", "t-data", storage.arn()));
        stack.add(
            AccessLogBucket::new("access_logs", "t-access-logs", &logs)
                .source(&models)
                .source(&data)
                .expire_after_days(90),
        );
        assert!(stack.diagnostics().is_empty(), "{}", stack.diagnostics());
        let text = stack.synth().unwrap().main_tf_json().to_string();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let logging = &doc["resource"]["aws_s3_bucket_logging"];
        assert_eq!(logging["models"]["bucket"], "${aws_s3_bucket.models.id}");
        assert_eq!(
            logging["models"]["target_bucket"],
            "${aws_s3_bucket.access_logs.id}"
        );
        assert_eq!(
            logging["data"]["target_prefix"],
            "${aws_s3_bucket.data.bucket}/"
        );
        let policy = doc["resource"]["aws_s3_bucket_policy"]["access_logs"]["policy"]
            .as_str()
            .unwrap();
        let policy: serde_json::Value = serde_json::from_str(policy).unwrap();
        let delivery = policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Sid"] == "S3ServerAccessLogDelivery")
            .unwrap();
        assert_eq!(
            delivery["Principal"]["Service"],
            serde_json::json!("logging.s3.amazonaws.com")
        );
        assert_eq!(
            delivery["Condition"]["ArnLike"]["aws:SourceArn"],
            serde_json::json!(["${aws_s3_bucket.models.arn}", "${aws_s3_bucket.data.arn}"])
        );
        assert_eq!(
            delivery["Condition"]["StringEquals"]["aws:SourceAccount"],
            serde_json::json!("${data.aws_arn.logs_key.account}")
        );
        // The key lets log delivery encrypt, for this account only.
        let key_policy = doc["resource"]["aws_kms_key_policy"]["logs"]["policy"]
            .as_str()
            .unwrap();
        let key_policy: serde_json::Value = serde_json::from_str(key_policy).unwrap();
        let grant = key_policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Principal"]["Service"] == "logging.s3.amazonaws.com")
            .unwrap();
        assert_eq!(
            grant["Action"],
            serde_json::json!(["kms:GenerateDataKey*", "kms:Decrypt"])
        );
        assert_eq!(
            grant["Condition"]["StringEquals"]["aws:SourceAccount"],
            serde_json::json!("${data.aws_arn.logs_key.account}")
        );
        // Log objects expire; the log bucket keeps every other default.
        assert!(text.contains("\"expiration\""), "{text}");
        assert!(text.contains("\"sse_algorithm\": \"aws:kms\""), "{text}");
        assert!(doc["resource"]["aws_s3_bucket_logging"]["access_logs"].is_null());
    }

    #[test]
    fn a_name_taken_from_a_source_bucket_is_the_name_and_the_name_tag() {
        let mut stack = Stack::new("t");
        let storage = stack.add(KmsKey::new("storage", "t-storage"));
        let logs = stack.add(KmsKey::new("logs", "t-logs").allow_s3_access_log_delivery());
        let models = stack.add(Bucket::new("models", "t-models", storage.arn()));
        stack.add(
            AccessLogBucket::new("access_logs", models.name().suffixed("-access-logs"), &logs)
                .source(&models),
        );
        assert!(stack.diagnostics().is_empty(), "{}", stack.diagnostics());
        let text = stack.synth().unwrap().main_tf_json().to_string();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let bucket = &doc["resource"]["aws_s3_bucket"]["access_logs"];
        assert_eq!(
            bucket["bucket"],
            "${aws_s3_bucket.models.bucket}-access-logs"
        );
        assert_eq!(
            bucket["tags"]["Name"],
            "${aws_s3_bucket.models.bucket}-access-logs"
        );
    }

    #[test]
    fn no_sources_is_a_warning() {
        let mut stack = Stack::new("t");
        let logs = stack.add(KmsKey::new("logs", "t-logs").allow_s3_access_log_delivery());
        stack.add(AccessLogBucket::new("access_logs", "t-access-logs", &logs));
        let text = stack.diagnostics().to_string();
        assert!(text.contains("field `sources`"), "{text}");
    }
}
