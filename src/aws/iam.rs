//! IAM policy documents and roles.
//!
//! A [`PolicyDocument`] is built from typed statements and written either as
//! JSON text (an expression, so ARNs of other resources stay references) with
//! [`PolicyDocument::to_json`], or as a `data "aws_iam_policy_document"` with
//! [`PolicyDocument::to_data_source`] when a condition key itself is computed
//! (IRSA trust policies) or the text needs Terraform functions.

use super::kind;
use super::provider::managed_policy_arn;
use crate::core::block::Attributes;
use crate::core::reference::{Arn, Attr, Input, Name, Ref};
use crate::core::stack::{Construct, Stack};
use crate::core::value::Value;

/// Allow or deny.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// `Allow`.
    Allow,
    /// `Deny`.
    Deny,
}

impl Effect {
    fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

/// One condition: `test` (`StringEquals`), the key (`aws:SecureTransport`) and
/// the accepted values.
#[derive(Clone, Debug)]
pub struct Condition {
    test: String,
    variable: Value,
    values: Vec<Value>,
}

/// One statement of a policy.
///
/// ```
/// use infrasynth::aws::Statement;
/// let s = Statement::allow(&["s3:GetObject"]).on("arn:aws:s3:::b/*");
/// ```
#[derive(Clone, Debug)]
pub struct Statement {
    sid: Option<String>,
    effect: Effect,
    actions: Vec<String>,
    resources: Vec<Value>,
    principals: Vec<(String, Vec<Value>)>,
    conditions: Vec<Condition>,
}

impl Statement {
    /// Allows `actions`.
    pub fn allow(actions: &[&str]) -> Self {
        Statement::new(Effect::Allow, actions)
    }

    /// Denies `actions`.
    pub fn deny(actions: &[&str]) -> Self {
        Statement::new(Effect::Deny, actions)
    }

    fn new(effect: Effect, actions: &[&str]) -> Self {
        Statement {
            sid: None,
            effect,
            actions: actions.iter().map(|a| a.to_string()).collect(),
            resources: Vec::new(),
            principals: Vec::new(),
            conditions: Vec::new(),
        }
    }

    /// Names the statement.
    pub fn sid(mut self, sid: &str) -> Self {
        self.sid = Some(sid.to_string());
        self
    }

    /// Adds a resource (an ARN, literal or reference).
    pub fn on(mut self, resource: impl Into<Value>) -> Self {
        self.resources.push(resource.into());
        self
    }

    /// Adds a principal of `kind` (`AWS`, `Service`, `Federated`, `*`).
    pub fn principal(mut self, kind: &str, identifier: impl Into<Value>) -> Self {
        let identifier = identifier.into();
        match self.principals.iter_mut().find(|(k, _)| k == kind) {
            Some((_, ids)) => ids.push(identifier),
            None => self.principals.push((kind.to_string(), vec![identifier])),
        }
        self
    }

    /// Adds a condition.
    pub fn condition(mut self, test: &str, variable: impl Into<Value>, values: Vec<Value>) -> Self {
        self.conditions.push(Condition {
            test: test.to_string(),
            variable: variable.into(),
            values,
        });
        self
    }

    fn to_value(&self) -> Value {
        let mut statement = Value::map().with("Effect", self.effect.as_str()).with(
            "Action",
            one_or_many(
                self.actions
                    .iter()
                    .map(|a| Value::from(a.as_str()))
                    .collect(),
            ),
        );
        if let Some(sid) = &self.sid {
            statement.insert("Sid", sid.as_str());
        }
        if !self.resources.is_empty() {
            statement.insert("Resource", one_or_many(self.resources.clone()));
        }
        if !self.principals.is_empty() {
            let mut principal = Value::map();
            for (kind, ids) in &self.principals {
                if kind == "*" {
                    // Everyone, written as {"AWS": "*"}: AWS documents it as
                    // equivalent to "*", and every IAM parser (moto's bucket
                    // logging checks among them) reads the map form.
                    principal.insert("AWS", "*");
                } else {
                    principal.insert(kind, one_or_many(ids.clone()));
                }
            }
            statement.insert("Principal", principal);
        }
        if !self.conditions.is_empty() {
            let mut conditions = Value::map();
            for condition in &self.conditions {
                let key = match &condition.variable {
                    Value::String(text) => text.clone(),
                    Value::Expr(expr) => expr.template().to_string(),
                    other => format!("{other:?}"),
                };
                let mut test = conditions
                    .get_path(&condition.test)
                    .cloned()
                    .unwrap_or_else(Value::map);
                test.insert(&key, one_or_many(condition.values.clone()));
                conditions.insert(&condition.test, test);
            }
            statement.insert("Condition", conditions);
        }
        statement
    }

    fn to_block(&self) -> Value {
        let mut block = Value::map()
            .with("effect", self.effect.as_str())
            .with("actions", self.actions.clone());
        if let Some(sid) = &self.sid {
            block.insert("sid", sid.as_str());
        }
        if !self.resources.is_empty() {
            block.insert("resources", Value::List(self.resources.clone()));
        }
        if !self.principals.is_empty() {
            let principals: Vec<Value> = self
                .principals
                .iter()
                .map(|(kind, ids)| {
                    Value::map()
                        .with("type", kind.as_str())
                        .with("identifiers", Value::List(ids.clone()))
                })
                .collect();
            block.insert("principals", Value::List(principals));
        }
        if !self.conditions.is_empty() {
            let conditions: Vec<Value> = self
                .conditions
                .iter()
                .map(|c| {
                    Value::map()
                        .with("test", c.test.as_str())
                        .with("variable", c.variable.clone())
                        .with("values", Value::List(c.values.clone()))
                })
                .collect();
            block.insert("condition", Value::List(conditions));
        }
        block
    }
}

/// An IAM policy document.
#[derive(Clone, Debug, Default)]
pub struct PolicyDocument {
    statements: Vec<Statement>,
}

impl PolicyDocument {
    /// An empty document.
    pub fn new() -> Self {
        PolicyDocument::default()
    }

    /// Adds a statement.
    pub fn statement(mut self, statement: Statement) -> Self {
        self.statements.push(statement);
        self
    }

    /// Whether the document has no statement.
    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// The document as JSON text. Condition keys must be literal here; use
    /// [`PolicyDocument::to_data_source`] for computed keys.
    pub fn to_json(&self) -> Value {
        let statements: Vec<Value> = self.statements.iter().map(Statement::to_value).collect();
        Value::map()
            .with("Version", "2012-10-17")
            .with("Statement", Value::List(statements))
            .to_json_template()
    }

    /// The document as `data "aws_iam_policy_document" "<name>"`; returns its
    /// `json` attribute.
    pub fn to_data_source(&self, stack: &mut Stack, name: &str) -> Attr<String> {
        let statements: Vec<Value> = self.statements.iter().map(Statement::to_block).collect();
        let data = stack
            .data::<kind::PolicyDocument>(name, Attributes::new().blocks("statement", statements));
        data.attr("json")
    }
}

/// The trust policy letting an AWS service (`eks.amazonaws.com`) assume a role.
pub fn service_trust(service: &str) -> PolicyDocument {
    PolicyDocument::new()
        .statement(Statement::allow(&["sts:AssumeRole"]).principal("Service", service))
}

/// An IAM role with its managed policy attachments and inline policies.
///
/// ```
/// use infrasynth::aws::{service_trust, IamRole};
/// use infrasynth::Stack;
/// let mut stack = Stack::new("demo");
/// let role = stack.add(
///     IamRole::new("cluster", "demo-cluster", service_trust("eks.amazonaws.com").to_json())
///         .managed_policy("AmazonEKSClusterPolicy"),
/// );
/// assert_eq!(role.attachments.len(), 1);
/// ```
pub struct IamRole {
    logical: String,
    role_name: Input<String>,
    trust: Value,
    description: Option<String>,
    managed: Vec<String>,
    inline: Vec<(String, Value)>,
}

/// What [`IamRole`] created.
#[derive(Clone, Debug)]
pub struct IamRoleHandle {
    /// The role.
    pub role: Ref<kind::IamRole>,
    /// One attachment per managed policy, in the order given.
    pub attachments: Vec<Ref<kind::IamRolePolicyAttachment>>,
    /// One per inline policy.
    pub policies: Vec<Ref<kind::IamRolePolicy>>,
}

impl IamRoleHandle {
    /// The role's ARN.
    pub fn arn(&self) -> Attr<Arn<kind::IamRole>> {
        self.role.arn()
    }

    /// The role's name, as `aws_iam_role_policy.role` and
    /// `aws_iam_role_policy_attachment.role` take it.
    pub fn name(&self) -> Attr<Name<kind::IamRole>> {
        self.role.name()
    }
}

impl IamRole {
    /// A role named `role_name` (in IAM) and `logical` (in Terraform), assumable
    /// as `trust` says.
    ///
    /// `role_name` is a literal (`"shop-api"`, checked against IAM's rules at
    /// synth) or text computed from another resource (such as
    /// `bucket.name().suffixed("-reader")`), which is not checked at synth:
    /// IAM rejects a bad one at apply. Either way the role's `Name` tag is the
    /// same value.
    pub fn new(
        logical: &str,
        role_name: impl Into<Input<String>>,
        trust: impl Into<Value>,
    ) -> Self {
        IamRole {
            logical: logical.to_string(),
            role_name: role_name.into(),
            trust: trust.into(),
            description: None,
            managed: Vec::new(),
            inline: Vec::new(),
        }
    }

    /// Describes the role.
    pub fn description(mut self, text: &str) -> Self {
        self.description = Some(text.to_string());
        self
    }

    /// Attaches the AWS managed policy at `path` (such as
    /// `AmazonEKSClusterPolicy` or `service-role/AmazonRDSEnhancedMonitoringRole`).
    pub fn managed_policy(mut self, path: &str) -> Self {
        self.managed.push(path.to_string());
        self
    }

    /// Adds an inline policy.
    pub fn inline_policy(mut self, name: &str, document: impl Into<Value>) -> Self {
        self.inline.push((name.to_string(), document.into()));
        self
    }
}

impl Construct for IamRole {
    type Output = IamRoleHandle;

    fn describe(&self) -> String {
        format!("aws::IamRole \"{}\"", self.logical)
    }

    fn build(self, stack: &mut Stack) -> IamRoleHandle {
        if let Some(role_name) = self.role_name.literal() {
            if role_name.is_empty()
                || role_name.len() > 64
                || !role_name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
            {
                stack.error(
                    &format!("aws_iam_role.{}", self.logical),
                    "name",
                    &format!("`{role_name}` is not a valid IAM role name"),
                    "use 1-64 letters, digits and +=,.@_-",
                );
            }
        }
        let role = stack.resource::<kind::IamRole>(
            &self.logical,
            Attributes::new()
                .set("name", &self.role_name)
                .set("assume_role_policy", self.trust)
                .set_opt("description", self.description)
                .tagged_name(&self.role_name),
        );
        let attachments = self
            .managed
            .iter()
            .map(|path| {
                let short = path.rsplit('/').next().unwrap_or(path);
                let arn = managed_policy_arn(stack, path);
                stack.resource::<kind::IamRolePolicyAttachment>(
                    &format!("{}_{}", self.logical, snake(short)),
                    Attributes::new()
                        .set("role", role.name())
                        .set("policy_arn", arn),
                )
            })
            .collect();
        let policies = self
            .inline
            .into_iter()
            .map(|(name, document)| {
                stack.resource::<kind::IamRolePolicy>(
                    &format!("{}_{}", self.logical, snake(&name)),
                    Attributes::new()
                        .set("name", name.as_str())
                        .set("role", role.id())
                        .set("policy", document),
                )
            })
            .collect();
        IamRoleHandle {
            role,
            attachments,
            policies,
        }
    }
}

/// `AmazonEKSClusterPolicy` -> `amazon_eks_cluster_policy`.
pub(crate) fn snake(name: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let prev_upper = i > 0 && chars[i - 1].is_ascii_uppercase();
            if i > 0 && (prev_lower || (prev_upper && next_lower)) {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c == '-' || c == '.' || c == ' ' {
            out.push('_');
        } else {
            out.push(c);
        }
    }
    out
}

/// Adds a `Name` tag (the stack's default tags come from the provider's
/// `default_tags`).
pub(crate) trait NameTag {
    /// Sets `tags = { Name = name }`; a computed name is tagged as the same
    /// expression the resource is named with.
    fn tagged_name(self, name: impl Into<Value>) -> Self;
}

impl NameTag for Attributes {
    fn tagged_name(self, name: impl Into<Value>) -> Self {
        self.set("tags", Value::map().with("Name", name))
    }
}

/// A single value written as a scalar, several as a list: the canonical IAM
/// form (what `aws_iam_policy_document` and AWS itself write), which strict
/// policy readers such as moto's S3 log-delivery check compare against.
fn one_or_many(mut values: Vec<Value>) -> Value {
    if values.len() == 1 {
        values.remove(0)
    } else {
        Value::List(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_of_managed_policy_names() {
        assert_eq!(snake("AmazonEKSClusterPolicy"), "amazon_eks_cluster_policy");
        assert_eq!(
            snake("AmazonEC2ContainerRegistryReadOnly"),
            "amazon_ec2_container_registry_read_only"
        );
        assert_eq!(snake("AmazonEKS_CNI_Policy"), "amazon_eks_cni_policy");
    }

    #[test]
    fn policy_json_keeps_references() {
        let mut stack = Stack::new("t");
        let role = stack.add(IamRole::new(
            "r",
            "t-role",
            service_trust("eks.amazonaws.com").to_json(),
        ));
        let doc = PolicyDocument::new()
            .statement(Statement::allow(&["iam:PassRole"]).on(role.role.arn()))
            .to_json();
        let Value::Expr(expr) = doc else {
            panic!("expected an expression")
        };
        assert!(
            expr.template()
                .contains(r#""Resource":"${aws_iam_role.r.arn}""#),
            "{}",
            expr.template()
        );
    }

    #[test]
    fn a_role_named_after_another_resource_is_named_and_tagged_with_the_reference() {
        let mut stack = Stack::new("t");
        let cluster = stack.resource::<kind::EksCluster>("main", Attributes::new());
        stack.add(IamRole::new(
            "r",
            cluster.attr::<String>("name").suffixed("-reader"),
            service_trust("eks.amazonaws.com").to_json(),
        ));
        assert!(stack.diagnostics().is_empty(), "{}", stack.diagnostics());
        let text = stack.synth().unwrap().main_tf_json().to_string();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let role = &doc["resource"]["aws_iam_role"]["r"];
        assert_eq!(role["name"], "${aws_eks_cluster.main.name}-reader");
        assert_eq!(role["tags"]["Name"], "${aws_eks_cluster.main.name}-reader");
    }

    #[test]
    fn invalid_role_name_is_an_error() {
        let mut stack = Stack::new("t");
        stack.add(IamRole::new("r", "has space", service_trust("x").to_json()));
        let text = stack.diagnostics().to_string();
        assert!(
            text.contains("field `name`") && text.contains("use 1-64 letters"),
            "{text}"
        );
    }
}
