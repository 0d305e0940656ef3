//! The `terraform` and `provider "aws"` settings, and the partition data source
//! that ARNs are built from.

use std::collections::BTreeMap;

use super::kind;
use super::region::Region;
use crate::core::reference::{Address, Attr, Ref};
use crate::core::stack::{Construct, Stack};
use crate::core::value::{Expr, TemplatePart, Value};

/// The provider version infrasynth's AWS builders are written against (the
/// offline mirror holds 5.100.0).
pub const AWS_PROVIDER_VERSION: &str = "~> 5.100";
/// The Terraform versions the documents need (JSON `import`/`removed` blocks and
/// provider-defined functions are not used, so 1.5 is enough).
pub const TERRAFORM_VERSION: &str = ">= 1.5";

/// Pins `hashicorp/aws`, sets the region and `default_tags` (the stack's default
/// tags: `Project`, `Environment`, `ManagedBy` and the platform's own).
///
/// ```
/// use infrasynth::{aws::AwsProvider, Stack};
/// let mut stack = Stack::new("demo");
/// stack.default_tag("Project", "demo");
/// stack.add(AwsProvider::new("eu-west-1"));
/// assert!(stack.synth().is_ok());
/// ```
pub struct AwsProvider {
    region: String,
    allowed_account_ids: Vec<String>,
}

impl AwsProvider {
    /// The provider for `region`.
    pub fn new(region: &str) -> Self {
        AwsProvider {
            region: region.to_string(),
            allowed_account_ids: Vec::new(),
        }
    }

    /// Refuses to run against any other account (a guard against applying
    /// production to the wrong credentials).
    pub fn allowed_account_ids(mut self, ids: &[&str]) -> Self {
        self.allowed_account_ids = ids.iter().map(|s| s.to_string()).collect();
        self
    }
}

impl Construct for AwsProvider {
    type Output = ();

    fn describe(&self) -> String {
        format!("aws::AwsProvider \"{}\"", self.region)
    }

    fn build(self, stack: &mut Stack) {
        Region::resolve(stack, "provider.aws", "region", &self.region);
        for id in &self.allowed_account_ids {
            if id.len() != 12 || !id.chars().all(|c| c.is_ascii_digit()) {
                stack.error(
                    "provider.aws",
                    "allowed_account_ids",
                    &format!("`{id}` is not an AWS account id"),
                    "use the 12-digit account number",
                );
            }
        }
        stack.require_terraform(TERRAFORM_VERSION);
        stack.require_provider("aws", "hashicorp/aws", AWS_PROVIDER_VERSION);
        let mut attributes = BTreeMap::new();
        attributes.insert("region".to_string(), Value::from(self.region.as_str()));
        if !self.allowed_account_ids.is_empty() {
            attributes.insert(
                "allowed_account_ids".to_string(),
                Value::from(self.allowed_account_ids.clone()),
            );
        }
        let tags: BTreeMap<String, Value> = stack
            .default_tags()
            .iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect();
        if !tags.is_empty() {
            attributes.insert(
                "default_tags".to_string(),
                Value::List(vec![Value::map().with("tags", Value::Map(tags))]),
            );
        }
        stack.provider("aws", attributes);
        partition(stack);
    }
}

/// `data.aws_partition.current`, added on first use. It is answered by the
/// provider without an API call, so `terraform plan` works offline.
pub fn partition(stack: &mut Stack) -> Ref<kind::Partition> {
    let address = Address::data(stack.id(), "aws_partition", "current");
    if stack.block(&address).is_some() {
        return Ref::new(address);
    }
    stack.data::<kind::Partition>("current", crate::core::block::Attributes::new())
}

/// The partition name (`aws`, `aws-cn`, `aws-us-gov`).
pub fn partition_name(stack: &mut Stack) -> Attr<String> {
    partition(stack).attr("partition")
}

/// An AWS managed policy's ARN: `arn:<partition>:iam::aws:policy/<path>`.
pub fn managed_policy_arn(stack: &mut Stack, path: &str) -> Value {
    arn(stack, &format!("iam::aws:policy/{path}"))
}

/// `arn:<partition>:<rest>`.
pub fn arn(stack: &mut Stack, rest: &str) -> Value {
    let partition = partition_name(stack);
    Value::Expr(Expr::concat([
        TemplatePart::from("arn:"),
        TemplatePart::from(partition.to_text()),
        TemplatePart::Literal(format!(":{rest}")),
    ]))
}

/// The parts of a resource's ARN (`account`, `partition`, `region`, ...) as
/// `data "aws_arn" "<name>"`, which the provider parses locally. Used instead
/// of `data "aws_caller_identity"`, which needs an STS call even during `plan`,
/// and instead of a `replace(...)` call, whose quoted arguments cannot sit
/// inside a policy written as JSON text.
pub fn arn_parts<K: crate::core::reference::HasArn>(
    stack: &mut Stack,
    name: &str,
    resource: &Ref<K>,
) -> Ref<kind::ArnParts> {
    stack.data::<kind::ArnParts>(
        name,
        crate::core::block::Attributes::new().set("arn", resource.arn()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_the_provider_and_carries_default_tags() {
        let mut stack = Stack::new("t");
        stack.default_tag("Project", "demo");
        stack.default_tag("ManagedBy", "infrasynth");
        stack.add(AwsProvider::new("eu-west-1"));
        let text = stack.synth().unwrap().main_tf_json().to_string();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            doc["terraform"]["required_providers"]["aws"]["version"],
            "~> 5.100"
        );
        assert_eq!(doc["terraform"]["required_version"], ">= 1.5");
        assert_eq!(doc["provider"]["aws"]["region"], "eu-west-1");
        assert_eq!(
            doc["provider"]["aws"]["default_tags"][0]["tags"]["ManagedBy"],
            "infrasynth"
        );
        assert!(doc["data"]["aws_partition"]["current"].is_object());
    }

    #[test]
    fn bad_region_and_account_are_errors() {
        let mut stack = Stack::new("t");
        stack.add(AwsProvider::new("us-east-9").allowed_account_ids(&["12345"]));
        let text = stack.diagnostics().to_string();
        assert!(
            text.contains("resource `provider.aws`, field `region`"),
            "{text}"
        );
        assert!(
            text.contains("field `allowed_account_ids`") && text.contains("12-digit"),
            "{text}"
        );
    }

    #[test]
    fn account_is_read_from_the_arn() {
        let mut stack = Stack::new("t");
        let key = stack.resource::<kind::KmsKey>("k", crate::core::block::Attributes::new());
        let parts = arn_parts(&mut stack, "k_key", &key);
        assert_eq!(
            parts.attr::<String>("account").expr().template(),
            "${data.aws_arn.k_key.account}"
        );
        let block = stack.block(parts.address()).unwrap();
        assert_eq!(
            block.get("arn").and_then(|v| match v {
                Value::Expr(e) => Some(e.template().to_string()),
                _ => None,
            }),
            Some("${aws_kms_key.k.arn}".to_string())
        );
    }
}
