//! IAM roles for Kubernetes service accounts (IRSA): a role only the named
//! service account of the named namespace can assume through the cluster's
//! OIDC provider, with least-privilege access to the buckets it needs.

use super::iam::{IamRole, IamRoleHandle, PolicyDocument, Statement};
use super::kind;
use crate::core::access::Access;
use crate::core::reference::{Arn, Attr, Input, Ref};
use crate::core::stack::{Construct, Stack};
use crate::core::value::{Expr, Value};

/// The cluster's OIDC identity provider, as IRSA trust policies need it.
#[derive(Clone, Debug)]
pub struct OidcHandle {
    /// The `aws_iam_openid_connect_provider`.
    pub provider: Ref<kind::OidcProvider>,
    /// The issuer URL (`https://oidc.eks.<region>.amazonaws.com/id/...`).
    pub issuer: Attr<String>,
}

impl OidcHandle {
    /// A condition key of the provider: `<issuer without https://>:<claim>`.
    fn claim(&self, claim: &str) -> Expr {
        self.issuer
            .expr()
            .call("replace", r#", "https://", """#)
            .suffix(&format!(":{claim}"))
    }
}

/// A replication group and the cache user a role may connect as.
type CacheGrant = (
    Attr<Arn<kind::CacheReplicationGroup>>,
    Attr<Arn<kind::CacheUser>>,
);

/// A bucket, the key encrypting it, and the access granted.
type BucketGrant = (Attr<Arn<kind::S3Bucket>>, Attr<Arn<kind::KmsKey>>, Access);

/// The required inputs of a [`WorkloadRole`].
///
/// `role_name` is anything text converts from (`N: Into<Input<String>>`): a
/// literal, checked against IAM's rules at synth, or text computed from
/// another resource, which is not checked at synth (IAM rejects a bad one at
/// apply).
#[derive(Clone, Debug)]
pub struct WorkloadRoleProps<'a, N> {
    /// The Terraform name of the role (`aws_iam_role.<logical_name>`) and the
    /// prefix of its policy documents (`<logical_name>_trust`, ...).
    pub logical_name: &'a str,
    /// The role's name in IAM (`name`): 1-64 letters, digits and `+=,.@_-`,
    /// unique in the account. Also its `Name` tag.
    pub role_name: N,
    /// The cluster's OIDC provider the service account's tokens come from:
    /// [`EksClusterHandle::oidc`](crate::aws::EksClusterHandle::oidc).
    pub oidc: &'a OidcHandle,
    /// The Kubernetes namespace of the service account, such as `apps`.
    pub namespace: &'a str,
    /// The Kubernetes service account allowed to assume the role (the token
    /// subject `system:serviceaccount:<namespace>:<service_account>`).
    pub service_account: &'a str,
}

/// A role for one Kubernetes service account.
///
/// ```no_run
/// # use infrasynth::aws::{OidcHandle, WorkloadRole, WorkloadRoleProps, BucketHandle};
/// # use infrasynth::platform::Access;
/// # fn f(stack: &mut infrasynth::Stack, oidc: OidcHandle, bucket: BucketHandle, key: infrasynth::aws::KmsKeyHandle) {
/// let role = stack.add(
///     WorkloadRole::new(WorkloadRoleProps {
///         logical_name: "api",
///         role_name: "demo-api",
///         oidc: &oidc,
///         namespace: "apps",
///         service_account: "api",
///     })
///     .bucket(bucket.arn(), key.arn(), Access::Read),
/// );
/// # }
/// ```
pub struct WorkloadRole {
    logical: String,
    role_name: Input<String>,
    oidc: OidcHandle,
    namespace: String,
    service_account: String,
    buckets: Vec<BucketGrant>,
    caches: Vec<CacheGrant>,
    database_users: Vec<Value>,
    secrets: Vec<(Attr<String>, Attr<Arn<kind::KmsKey>>)>,
    managed: Vec<String>,
    policies: Vec<(String, PolicyDocument)>,
}

impl WorkloadRole {
    /// A role assumable only by `namespace`/`service_account`, with no
    /// permissions until [`WorkloadRole::bucket`], [`WorkloadRole::cache`] or
    /// [`WorkloadRole::managed_policy`] grant some.
    pub fn new<N: Into<Input<String>>>(props: WorkloadRoleProps<'_, N>) -> Self {
        WorkloadRole {
            logical: props.logical_name.to_string(),
            role_name: props.role_name.into(),
            oidc: props.oidc.clone(),
            namespace: props.namespace.to_string(),
            service_account: props.service_account.to_string(),
            buckets: Vec::new(),
            caches: Vec::new(),
            database_users: Vec::new(),
            secrets: Vec::new(),
            managed: Vec::new(),
            policies: Vec::new(),
        }
    }

    /// Grants `access` to a bucket encrypted with `key`: Read is
    /// `s3:ListBucket` + `s3:GetObject` + `kms:Decrypt`; ReadWrite adds
    /// `s3:PutObject`, `s3:DeleteObject` and `kms:GenerateDataKey`.
    pub fn bucket(
        mut self,
        bucket: Attr<Arn<kind::S3Bucket>>,
        key: Attr<Arn<kind::KmsKey>>,
        access: Access,
    ) -> Self {
        self.buckets.push((bucket, key, access));
        self
    }

    /// Lets the service account connect to an ElastiCache replication group
    /// as `user` with an IAM token (`elasticache:Connect` on both, nothing
    /// else); see [`crate::aws::RedisHandle`].
    pub fn cache(
        mut self,
        group: Attr<Arn<kind::CacheReplicationGroup>>,
        user: Attr<Arn<kind::CacheUser>>,
    ) -> Self {
        self.caches.push((group, user));
        self
    }

    /// Lets the service account log in to an RDS instance as one database
    /// user with an IAM token: `rds-db:connect` on `dbuser`, the ARN
    /// `arn:<partition>:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<user>`
    /// (RDS User Guide, "Creating and using an IAM policy for IAM database
    /// access"), and nothing else. What the user may do inside the database
    /// is PostgreSQL's `GRANT`s.
    pub fn database_login(mut self, dbuser: impl Into<Value>) -> Self {
        self.database_users.push(dbuser.into());
        self
    }

    /// Lets the service account read one Secrets Manager secret encrypted with
    /// `key`: `secretsmanager:GetSecretValue` on it and `kms:Decrypt` on the
    /// key (the database bootstrap reads RDS's master user secret so).
    pub fn secret(mut self, secret: Attr<String>, key: Attr<Arn<kind::KmsKey>>) -> Self {
        self.secrets.push((secret, key));
        self
    }

    /// Attaches an AWS managed policy (such as
    /// `service-role/AmazonEBSCSIDriverPolicy`).
    pub fn managed_policy(mut self, path: &str) -> Self {
        self.managed.push(path.to_string());
        self
    }

    /// Adds an inline policy `name` with `document`, written as
    /// `data "aws_iam_policy_document" "<logical_name>_<name>"`: for
    /// permissions of a system component, such as
    /// [`cluster_autoscaler::policy`](super::cluster_autoscaler::policy).
    /// `name` is 1-128 letters, digits and `+=,.@_-`, unique on the role
    /// (IAM `PutRolePolicy`); `buckets` and `cache` are taken.
    pub fn policy(mut self, name: &str, document: PolicyDocument) -> Self {
        self.policies.push((name.to_string(), document));
        self
    }

    fn permissions(&self) -> PolicyDocument {
        let mut document = PolicyDocument::new();
        for access in [Access::Read, Access::ReadWrite] {
            let granted: Vec<_> = self.buckets.iter().filter(|b| b.2 == access).collect();
            if granted.is_empty() {
                continue;
            }
            let (suffix, object_actions, key_actions): (&str, &[&str], &[&str]) = match access {
                Access::Read => ("Read", &["s3:GetObject"], &["kms:Decrypt"]),
                Access::ReadWrite => (
                    "ReadWrite",
                    &["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                    &["kms:Decrypt", "kms:GenerateDataKey"],
                ),
            };
            let mut list = Statement::allow(&["s3:ListBucket", "s3:GetBucketLocation"])
                .sid(&format!("List{suffix}Buckets"));
            let mut objects = Statement::allow(object_actions).sid(&format!("{suffix}Objects"));
            let mut keys = Statement::allow(key_actions).sid(&format!("{suffix}BucketKeys"));
            let mut seen_keys: Vec<String> = Vec::new();
            for (bucket, key, _) in granted {
                list = list.on(bucket);
                objects = objects.on(bucket.suffixed("/*"));
                let template = key.expr().template().to_string();
                if !seen_keys.contains(&template) {
                    seen_keys.push(template);
                    keys = keys.on(key);
                }
            }
            document = document.statement(list).statement(objects).statement(keys);
        }
        document
    }
}

impl Construct for WorkloadRole {
    /// The role with its inline policies (`buckets`, `cache`) and managed
    /// policy attachments, so each can be overridden with `Stack::set_raw`.
    type Output = IamRoleHandle;

    fn describe(&self) -> String {
        format!("aws::WorkloadRole \"{}\"", self.logical)
    }

    fn build(self, stack: &mut Stack) -> IamRoleHandle {
        let subject = format!(
            "system:serviceaccount:{}:{}",
            self.namespace, self.service_account
        );
        let trust = PolicyDocument::new().statement(
            Statement::allow(&["sts:AssumeRoleWithWebIdentity"])
                .principal("Federated", self.oidc.provider.arn())
                .condition(
                    "StringEquals",
                    self.oidc.claim("sub"),
                    vec![Value::from(subject)],
                )
                .condition(
                    "StringEquals",
                    self.oidc.claim("aud"),
                    vec![Value::from("sts.amazonaws.com")],
                ),
        );
        let trust_json = trust.to_data_source(stack, &format!("{}_trust", self.logical));
        let permissions = self.permissions();
        let mut role = IamRole::new(&self.logical, self.role_name, trust_json).description(
            &format!("IRSA role of {}/{}", self.namespace, self.service_account),
        );
        for path in &self.managed {
            role = role.managed_policy(path);
        }
        if !permissions.is_empty() {
            // A policy-document data source, which scanners analyse as an
            // IAM policy (JSON text they only see as a string).
            let document = permissions.to_data_source(stack, &format!("{}_buckets", self.logical));
            role = role.inline_policy("buckets", document);
        }
        if !self.caches.is_empty() {
            let mut connect = Statement::allow(&["elasticache:Connect"]).sid("ConnectAsCacheUser");
            for (group, user) in &self.caches {
                connect = connect.on(group).on(user);
            }
            let document = PolicyDocument::new()
                .statement(connect)
                .to_data_source(stack, &format!("{}_cache", self.logical));
            role = role.inline_policy("cache", document);
        }
        if !self.database_users.is_empty() {
            let connect = self.database_users.iter().fold(
                Statement::allow(&["rds-db:connect"]).sid("ConnectAsDatabaseUser"),
                |statement, user| statement.on(user.clone()),
            );
            let document = PolicyDocument::new()
                .statement(connect)
                .to_data_source(stack, &format!("{}_database", self.logical));
            role = role.inline_policy("database", document);
        }
        if !self.secrets.is_empty() {
            let mut read = Statement::allow(&["secretsmanager:GetSecretValue"]).sid("ReadSecrets");
            let mut decrypt = Statement::allow(&["kms:Decrypt"]).sid("DecryptSecrets");
            for (secret, key) in &self.secrets {
                read = read.on(secret);
                decrypt = decrypt.on(key);
            }
            let document = PolicyDocument::new()
                .statement(read)
                .statement(decrypt)
                .to_data_source(stack, &format!("{}_secrets", self.logical));
            role = role.inline_policy("secrets", document);
        }
        for (name, document) in self.policies {
            let document = document.to_data_source(stack, &format!("{}_{name}", self.logical));
            role = role.inline_policy(&name, document);
        }
        stack.add(role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::{Bucket, KmsKey};
    use crate::core::block::Attributes;

    fn oidc(stack: &mut Stack) -> OidcHandle {
        let provider = stack.resource::<kind::OidcProvider>(
            "main",
            Attributes::new()
                .set("url", "https://oidc.example")
                .set("client_id_list", vec!["sts.amazonaws.com"]),
        );
        let issuer = provider.attr("url");
        OidcHandle { provider, issuer }
    }

    #[test]
    fn read_access_is_least_privilege() {
        let mut stack = Stack::new("t");
        let oidc = oidc(&mut stack);
        let key = stack.add(KmsKey::new("storage", "t-storage"));
        let models = stack.add(Bucket::new("models", "t-models", key.arn()));
        let data = stack.add(Bucket::new("data", "t-data", key.arn()));
        let role = stack.add(
            WorkloadRole::new(WorkloadRoleProps {
                logical_name: "api",
                role_name: "t-api",
                oidc: &oidc,
                namespace: "apps",
                service_account: "api",
            })
            .bucket(models.arn(), key.arn(), Access::Read)
            .bucket(data.arn(), key.arn(), Access::ReadWrite),
        );
        let text = stack.synth().unwrap().main_tf_json().to_string();
        assert!(text.contains("system:serviceaccount:apps:api"), "{text}");
        assert!(text.contains(":aud"), "{text}");
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            doc["resource"]["aws_iam_role_policy"]["api_buckets"]["policy"],
            "${data.aws_iam_policy_document.api_buckets.json}"
        );
        let statements = doc["data"]["aws_iam_policy_document"]["api_buckets"]["statement"]
            .as_array()
            .unwrap();
        let find = |sid: &str| statements.iter().find(|s| s["sid"] == sid).unwrap();
        let read_objects = find("ReadObjects");
        assert_eq!(read_objects["actions"], serde_json::json!(["s3:GetObject"]));
        assert_eq!(
            read_objects["resources"],
            serde_json::json!(["${aws_s3_bucket.models.arn}/*"])
        );
        assert_eq!(
            find("ReadBucketKeys")["actions"],
            serde_json::json!(["kms:Decrypt"])
        );
        assert_eq!(
            find("ReadWriteObjects")["actions"],
            serde_json::json!(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"])
        );
        assert_eq!(role.role.address().to_string(), "aws_iam_role.api");
        assert_eq!(
            role.policies[0].address().to_string(),
            "aws_iam_role_policy.api_buckets"
        );
    }

    #[test]
    fn a_role_without_buckets_has_no_inline_policy() {
        let mut stack = Stack::new("t");
        let oidc = oidc(&mut stack);
        stack.add(WorkloadRole::new(WorkloadRoleProps {
            logical_name: "idle",
            role_name: "t-idle",
            oidc: &oidc,
            namespace: "apps",
            service_account: "idle",
        }));
        let text = stack.synth().unwrap().main_tf_json().to_string();
        assert!(!text.contains("aws_iam_role_policy\""), "{text}");
    }

    #[test]
    fn a_role_name_taken_from_another_resource_is_the_name_and_the_name_tag() {
        let mut stack = Stack::new("t");
        let oidc = oidc(&mut stack);
        let key = stack.add(KmsKey::new("storage", "t-storage"));
        let models = stack.add(Bucket::new("models", "t-models", key.arn()));
        stack.add(WorkloadRole::new(WorkloadRoleProps {
            logical_name: "reader",
            role_name: models.name().suffixed("-reader"),
            oidc: &oidc,
            namespace: "apps",
            service_account: "reader",
        }));
        assert!(stack.diagnostics().is_empty(), "{}", stack.diagnostics());
        let text = stack.synth().unwrap().main_tf_json().to_string();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let role = &doc["resource"]["aws_iam_role"]["reader"];
        assert_eq!(role["name"], "${aws_s3_bucket.models.bucket}-reader");
        assert_eq!(
            role["tags"]["Name"],
            "${aws_s3_bucket.models.bucket}-reader"
        );
    }
}
