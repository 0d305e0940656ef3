//! Customer-managed KMS keys: rotation on, an alias, a deletion window, and an
//! explicit key policy letting the account root administer the key (so IAM
//! policies decide who uses it), plus any AWS service that needs the key
//! directly (CloudWatch Logs, S3 server access log delivery).
//!
//! The key policy is JSON text on `aws_kms_key_policy`, not a
//! `data "aws_iam_policy_document"`: in a key policy `"Resource": "*"` means
//! "this key", but scanners read policy-document data sources as IAM identity
//! policies and would report every key. Keeping the data-source form for IAM
//! policies only means the IAM checks stay on for every role policy.

use super::iam::{NameTag, PolicyDocument, Statement};
use super::kind;
use super::provider::arn_parts;
use crate::core::block::Attributes;
use crate::core::reference::{Arn, Attr, Input, Ref};
use crate::core::stack::{Construct, Stack};
use crate::core::value::{Expr, TemplatePart, Value};

/// A symmetric encryption key.
///
/// ```
/// use infrasynth::{aws::KmsKey, Stack};
/// let mut stack = Stack::new("demo");
/// let key = stack.add(KmsKey::new("data", "demo-data").description("Database storage"));
/// assert_eq!(key.arn().expr().template(), "${aws_kms_key.data.arn}");
/// ```
pub struct KmsKey {
    logical: String,
    alias: Input<String>,
    description: Option<String>,
    deletion_window_days: u32,
    services: Vec<ServiceGrant>,
}

struct ServiceGrant {
    principal: String,
    actions: Vec<String>,
    conditions: Vec<(String, String, Vec<Value>)>,
    same_account_only: bool,
}

/// What [`KmsKey`] created.
#[derive(Clone, Debug)]
pub struct KmsKeyHandle {
    /// The key.
    pub key: Ref<kind::KmsKey>,
    /// `alias/<name>`.
    pub alias: Ref<kind::KmsAlias>,
    /// The key policy; resources using the key through a service named in the
    /// policy depend on it.
    pub policy: Ref<kind::KmsKeyPolicy>,
    /// The account the key lives in (parsed from its ARN, no API call).
    pub account: Attr<String>,
}

impl KmsKeyHandle {
    /// The key's ARN.
    pub fn arn(&self) -> Attr<Arn<kind::KmsKey>> {
        self.key.arn()
    }
}

impl KmsKey {
    /// A key with alias `alias/<alias>`.
    ///
    /// `alias` is a literal (`"shop-data"`, checked against KMS's alias rules
    /// at synth) or text computed from another resource (such as a bucket's
    /// name), which is not checked at synth: KMS rejects a bad one at apply.
    /// The key's `Name` tag is the same value.
    pub fn new(logical: &str, alias: impl Into<Input<String>>) -> Self {
        KmsKey {
            logical: logical.to_string(),
            alias: alias.into(),
            description: None,
            deletion_window_days: 30,
            services: Vec::new(),
        }
    }

    /// What the key protects.
    pub fn description(mut self, text: &str) -> Self {
        self.description = Some(text.to_string());
        self
    }

    /// Days between scheduling deletion and deletion (7-30; default 30, the
    /// longest chance to cancel).
    pub fn deletion_window_days(mut self, days: u32) -> Self {
        self.deletion_window_days = days;
        self
    }

    /// Lets an AWS service principal (such as `logs.us-east-1.amazonaws.com`)
    /// use the key, restricted by `conditions` (`(test, key, values)`).
    pub fn allow_service(
        mut self,
        principal: &str,
        actions: &[&str],
        conditions: Vec<(String, String, Vec<Value>)>,
    ) -> Self {
        self.services.push(ServiceGrant {
            principal: principal.to_string(),
            actions: actions.iter().map(|a| a.to_string()).collect(),
            conditions,
            same_account_only: false,
        });
        self
    }

    /// Lets S3 server access logging (`logging.s3.amazonaws.com`) encrypt the
    /// log objects it delivers into a bucket whose default encryption is this
    /// key, for source buckets of this key's account only
    /// (`aws:SourceAccount`). See [`crate::aws::AccessLogBucket`].
    pub fn allow_s3_access_log_delivery(mut self) -> Self {
        self.services.push(ServiceGrant {
            principal: "logging.s3.amazonaws.com".to_string(),
            // Decrypt as well: S3 reuses bucket-level data keys.
            actions: vec![
                "kms:GenerateDataKey*".to_string(),
                "kms:Decrypt".to_string(),
            ],
            conditions: Vec::new(),
            same_account_only: true,
        });
        self
    }
}

impl Construct for KmsKey {
    type Output = KmsKeyHandle;

    fn describe(&self) -> String {
        format!("aws::KmsKey \"{}\"", self.logical)
    }

    fn build(self, stack: &mut Stack) -> KmsKeyHandle {
        let address = format!("aws_kms_key.{}", self.logical);
        if !(7..=30).contains(&self.deletion_window_days) {
            stack.error(
                &address,
                "deletion_window_days",
                &format!("{} days is outside 7-30", self.deletion_window_days),
                "use 7 to 30 days (30 gives the longest chance to cancel a deletion)",
            );
        }
        if let Some(alias) = self.alias.literal() {
            if alias.is_empty()
                || alias.starts_with("aws/")
                || !alias
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/_-".contains(c))
            {
                stack.error(
                    &address,
                    "alias",
                    &format!("`{alias}` is not a valid KMS alias name"),
                    "use letters, digits, `/`, `_` and `-`, not starting with `aws/`",
                );
            }
        }
        let key = stack.resource::<kind::KmsKey>(
            &self.logical,
            Attributes::new()
                .set("enable_key_rotation", true)
                .set("deletion_window_in_days", self.deletion_window_days)
                .set_opt("description", self.description.clone())
                .tagged_name(&self.alias),
        );
        let alias = stack.resource::<kind::KmsAlias>(
            &self.logical,
            Attributes::new()
                .set("name", self.alias.prefixed("alias/"))
                .set("target_key_id", key.id()),
        );
        // The account and partition come from the key's own ARN (parsed
        // locally), so neither STS nor a quoted function call is needed.
        let parts = arn_parts(stack, &format!("{}_key", self.logical), &key);
        let account = parts.attr::<String>("account");
        let root = Expr::concat([
            TemplatePart::from("arn:"),
            TemplatePart::from(parts.attr::<String>("partition").to_text()),
            TemplatePart::from(":iam::"),
            TemplatePart::from(account.to_text()),
            TemplatePart::from(":root"),
        ]);
        let mut document = PolicyDocument::new().statement(
            Statement::allow(&["kms:*"])
                .sid("AccountRootAdministers")
                .principal("AWS", root)
                .on("*"),
        );
        for grant in &self.services {
            let actions: Vec<&str> = grant.actions.iter().map(String::as_str).collect();
            let mut statement = Statement::allow(&actions)
                .principal("Service", grant.principal.as_str())
                .on("*");
            for (test, variable, values) in &grant.conditions {
                statement = statement.condition(test, variable.as_str(), values.clone());
            }
            if grant.same_account_only {
                // Confused-deputy guard: the service may use the key only for
                // resources of this key's account.
                statement = statement.condition(
                    "StringEquals",
                    "aws:SourceAccount",
                    vec![Value::from(&account)],
                );
            }
            document = document.statement(statement);
        }
        let policy = stack.resource::<kind::KmsKeyPolicy>(
            &self.logical,
            Attributes::new()
                .set("key_id", key.id())
                .set("policy", document.to_json()),
        );
        KmsKeyHandle {
            key,
            alias,
            policy,
            account,
        }
    }
}

impl KmsKey {
    /// A key CloudWatch Logs in `region` may use for log groups of this
    /// account (any log group ARN in the region, matched by the encryption
    /// context Logs sends). `alias` as in [`KmsKey::new`].
    pub fn for_logs(logical: &str, alias: impl Into<Input<String>>, region: &str) -> Self {
        KmsKey::new(logical, alias)
            .description("CloudWatch Logs encryption")
            .allow_service(
                &format!("logs.{region}.amazonaws.com"),
                &[
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                vec![(
                    "ArnLike".to_string(),
                    "kms:EncryptionContext:aws:logs:arn".to_string(),
                    vec![Value::from(format!("arn:*:logs:{region}:*:log-group:*"))],
                )],
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_rotate_and_keep_a_thirty_day_window() {
        let mut stack = Stack::new("t");
        let key = stack.add(KmsKey::new("data", "t-data"));
        let block = stack.block(key.key.address()).unwrap();
        assert_eq!(block.get("enable_key_rotation"), Some(&Value::Bool(true)));
        assert_eq!(
            block.get("deletion_window_in_days").and_then(Value::as_i64),
            Some(30)
        );
        let out = stack.synth().unwrap();
        let text = out.main_tf_json();
        assert!(
            text.contains(r#"\"AWS\":\"arn:${data.aws_arn.data_key.partition}:iam::${data.aws_arn.data_key.account}:root\""#),
            "{text}"
        );
        // JSON text on the key policy resource, not an IAM policy document.
        assert!(!text.contains("aws_iam_policy_document"), "{text}");
        let policy = stack.block(key.policy.address()).unwrap();
        assert!(
            policy
                .get("policy")
                .is_some_and(|p| matches!(p, Value::Expr(_))),
            "{policy:?}"
        );
        assert!(text.contains("\"name\": \"alias/t-data\""), "{text}");
    }

    #[test]
    fn key_policy_names_only_the_own_account_and_conditioned_services() {
        let mut stack = Stack::new("t");
        let key = stack
            .add(KmsKey::for_logs("logs", "t-logs", "eu-west-1").allow_s3_access_log_delivery());
        let text = stack.synth().unwrap().main_tf_json().to_string();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let policy = doc["resource"]["aws_kms_key_policy"]["logs"]["policy"]
            .as_str()
            .unwrap();
        let policy: serde_json::Value = serde_json::from_str(policy).unwrap();
        for statement in policy["Statement"].as_array().unwrap() {
            assert_eq!(statement["Effect"], "Allow");
            let principal = &statement["Principal"];
            if principal["Service"].is_string() {
                // Every service grant is narrowed by a condition.
                assert!(statement["Condition"].is_object(), "{statement}");
            } else {
                assert_eq!(
                    principal["AWS"],
                    serde_json::json!(
                        "arn:${data.aws_arn.logs_key.partition}:iam::${data.aws_arn.logs_key.account}:root"
                    ),
                    "{statement}"
                );
            }
        }
        assert_eq!(
            key.account.expr().template(),
            "${data.aws_arn.logs_key.account}"
        );
    }

    #[test]
    fn an_alias_taken_from_another_resource_is_the_alias_and_the_name_tag() {
        let mut stack = Stack::new("t");
        let bucket = stack.resource::<kind::S3Bucket>("data", Attributes::new());
        stack.add(KmsKey::new("data", bucket.attr::<String>("bucket")));
        assert!(stack.diagnostics().is_empty(), "{}", stack.diagnostics());
        let text = stack.synth().unwrap().main_tf_json().to_string();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            doc["resource"]["aws_kms_alias"]["data"]["name"],
            "alias/${aws_s3_bucket.data.bucket}"
        );
        assert_eq!(
            doc["resource"]["aws_kms_key"]["data"]["tags"]["Name"],
            "${aws_s3_bucket.data.bucket}"
        );
    }

    #[test]
    fn bad_window_and_alias_are_errors() {
        let mut stack = Stack::new("t");
        stack.add(KmsKey::new("data", "aws/mine").deletion_window_days(3));
        let text = stack.diagnostics().to_string();
        assert!(
            text.contains("field `deletion_window_days`: 3 days is outside 7-30"),
            "{text}"
        );
        assert!(
            text.contains("field `alias`") && text.contains("not starting with `aws/`"),
            "{text}"
        );
    }
}
