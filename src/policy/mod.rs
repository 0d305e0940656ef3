//! Built-in policies checked at synth time, per cloud: the invariants the
//! builders promise (encryption at rest and in transit, nothing public, no
//! `0.0.0.0/0` to data stores or the Kubernetes API, deletion protection in
//! production, IMDSv2, logs on), re-checked on the final blocks so an
//! escape-hatch override cannot weaken them unnoticed.
//!
//! A violation is an error in production and a warning elsewhere, unless the
//! user acknowledged it in code with `Stack::acknowledge(&resource, rule_id,
//! reason)`, which turns it into a warning that carries the reason. Rule ids
//! and their reasons are listed in `docs/security.md`.

mod aws;
mod azure;
pub mod broadening;
mod gcp;
pub mod rule;

use crate::core::diagnostics::{Diagnostics, Severity};
use crate::core::environment::Cloud;
use crate::core::policy::Policy;
use crate::core::stack::Stack;

pub use rule::{Expect, Rule, Scope};

/// A named table of rules.
pub struct RuleSet {
    name: &'static str,
    rules: Vec<Rule>,
}

impl RuleSet {
    /// A rule set.
    pub fn new(name: &'static str, rules: Vec<Rule>) -> Self {
        RuleSet { name, rules }
    }

    /// Its rules.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }
}

impl Policy for RuleSet {
    fn name(&self) -> &'static str {
        self.name
    }

    fn check(&self, stack: &Stack, findings: &mut Diagnostics) {
        let production = stack.is_production();
        for block in stack.blocks() {
            let resource_type = block.address().resource_type();
            for rule in self
                .rules
                .iter()
                .filter(|r| r.resource_type == resource_type)
            {
                if rule.scope == Scope::Production && !production {
                    continue;
                }
                let Some(found) = rule.violation(block) else {
                    continue;
                };
                let acknowledged = stack.is_acknowledged(block.address(), rule.id);
                let severity = if production && !acknowledged {
                    Severity::Error
                } else {
                    Severity::Warning
                };
                // An acknowledged exception says so, and what closing it takes.
                let mut hint = if acknowledged {
                    format!(
                        "acknowledged on the stack; to close the exception: {}",
                        rule.wanted()
                    )
                } else {
                    rule.wanted()
                };
                if severity == Severity::Error {
                    hint.push_str(&format!(
                        ", or acknowledge the exception with stack.acknowledge(&resource, \"{}\", reason)",
                        rule.id
                    ));
                }
                findings.push(stack.diagnostic(
                    severity,
                    &block.address().to_string(),
                    rule.path,
                    format!(
                        "policy {}/{}: {} is {found}{}",
                        self.name,
                        rule.id,
                        rule.why,
                        if acknowledged { " (acknowledged)" } else { "" }
                    ),
                    &hint,
                ));
            }
        }
    }
}

/// The built-in policies for `cloud`: the provider schema check of every
/// block ([`crate::schema::SchemaCheck`], every provider with a bundled
/// schema, whatever the cloud) and the cloud's secure-default rules.
pub fn for_cloud(cloud: Cloud) -> Vec<Box<dyn Policy>> {
    let rules = match cloud {
        Cloud::Aws => RuleSet::new("aws-secure-defaults", aws::rules()),
        Cloud::Gcp => RuleSet::new("gcp-secure-defaults", gcp::rules()),
        Cloud::Azure => RuleSet::new("azure-secure-defaults", azure::rules()),
    };
    // The provider schema check first: a misspelled attribute is the
    // mistake to fix before any rule about its value.
    vec![Box::new(crate::schema::SchemaCheck), Box::new(rules)]
}

/// Every rule of every cloud (for documentation and tests).
pub fn all_rules() -> Vec<(Cloud, Rule)> {
    let mut all = Vec::new();
    for (cloud, rules) in [
        (Cloud::Aws, aws::rules()),
        (Cloud::Gcp, gcp::rules()),
        (Cloud::Azure, azure::rules()),
    ] {
        all.extend(rules.into_iter().map(|r| (cloud, r)));
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::block::Attributes;
    use crate::core::environment::Environment;

    fn production() -> Stack {
        Stack::new("demo").with_environment(Environment::PRODUCTION)
    }

    /// Every built-in policy, the provider schema check included: the blocks
    /// below set the arguments hashicorp/aws 5.100.0 requires, so what is
    /// found is the rules' finding.
    fn check(stack: &Stack) -> Diagnostics {
        let mut findings = Diagnostics::new();
        for policy in for_cloud(Cloud::Aws) {
            policy.check(stack, &mut findings);
        }
        findings
    }

    #[test]
    fn an_override_that_weakens_encryption_is_an_error_in_production() {
        let mut stack = production();
        let db = stack.raw_resource(
            "aws_db_instance",
            "main",
            Attributes::new()
                .set("instance_class", "db.t4g.medium")
                .set("storage_encrypted", true)
                .set("deletion_protection", true)
                .set("multi_az", true)
                .set("manage_master_user_password", true)
                .set("enabled_cloudwatch_logs_exports", vec!["postgresql"]),
        );
        assert!(!check(&stack).has_errors(), "{}", check(&stack));
        stack.set_raw(&db, "storage_encrypted", false);
        let findings = check(&stack);
        assert!(findings.has_errors());
        assert!(findings.mentions("encryption-at-rest"), "{findings}");
        assert!(findings.mentions("aws_db_instance.main"), "{findings}");
        assert!(findings.mentions("field `storage_encrypted`"), "{findings}");

        stack.acknowledge(&db, "encryption-at-rest", "scratch database, no data");
        let findings = check(&stack);
        assert!(!findings.has_errors(), "{findings}");
        assert!(findings.mentions("(acknowledged)"));
    }

    #[test]
    fn the_same_override_is_a_warning_outside_production() {
        let mut stack = Stack::new("demo").with_environment(Environment::DEV);
        stack.raw_resource(
            "aws_vpc_security_group_ingress_rule",
            "db_from_anywhere",
            Attributes::new()
                .set("cidr_ipv4", "0.0.0.0/0")
                .set("ip_protocol", "tcp")
                .set("security_group_id", "sg-0123456789abcdef0"),
        );
        let findings = check(&stack);
        assert!(!findings.has_errors());
        assert_eq!(findings.warnings().count(), 1, "{findings}");
    }

    #[test]
    fn computed_values_are_not_judged() {
        let mut stack = production();
        let other = stack.raw_resource(
            "aws_ssm_parameter",
            "flag",
            Attributes::new().set("name", "flag").set("type", "String"),
        );
        stack.raw_resource(
            "aws_kms_key",
            "k",
            Attributes::new().set("enable_key_rotation", other.attr::<bool>("value")),
        );
        assert!(!check(&stack).has_errors());
    }

    #[test]
    fn docs_list_every_rule() {
        let docs = include_str!("../../docs/security.md");
        for (cloud, rule) in all_rules() {
            let row = format!(
                "| {cloud} | `{}` | `{}` | `{}` |",
                rule.id, rule.resource_type, rule.path
            );
            assert!(
                docs.contains(&row),
                "docs/security.md lacks {row}: run `cargo run --example policy_table`"
            );
        }
    }

    #[test]
    fn every_rule_has_an_id_and_a_reason() {
        for (cloud, rule) in all_rules() {
            assert!(
                !rule.id.is_empty() && !rule.why.is_empty(),
                "{cloud}: {rule:?}"
            );
        }
    }
}
