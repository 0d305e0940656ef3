//! IAM service accounts with project roles, and the workload identity binding
//! that lets one Kubernetes service account act as a Google service account.

use super::kind;
use super::project::Project;
use crate::core::block::Attributes;
use crate::core::reference::{Address, Attr, Name, Ref, ResourceKind};
use crate::core::stack::{Construct, Stack};
use crate::core::value::{Expr, TemplatePart};

/// Whether `id` is a valid service account id: 6-30 characters, lowercase
/// letters, digits and `-`, starting with a letter, not ending with `-`.
pub fn is_valid_account_id(id: &str) -> bool {
    (6..=30).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && !id.ends_with('-')
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// What [`ServiceAccount`] created.
#[derive(Clone, Debug)]
pub struct ServiceAccountHandles {
    /// The account.
    pub account: Ref<kind::ServiceAccount>,
    /// Its project role grants.
    pub roles: Vec<Ref<kind::ProjectIamMember>>,
    account_id: String,
}

impl ServiceAccountHandles {
    /// The account's Cloud SQL IAM user name: its e-mail without
    /// `.gserviceaccount.com` (`<id>@<project>.iam`).
    pub fn sql_user_name(&self) -> Attr<String> {
        Attr::from_expr(Expr::concat([
            TemplatePart::Literal(format!("{}@", self.account_id)),
            TemplatePart::from(Project::id().to_text()),
            TemplatePart::from(".iam"),
        ]))
    }
}

/// A service account, optionally granted project roles.
///
/// ```
/// use infrasynth::gcp::ServiceAccount;
/// use infrasynth::Stack;
/// let mut stack = Stack::new("demo");
/// let nodes = stack.add(
///     ServiceAccount::new("nodes", "demo-gke-nodes", "GKE nodes")
///         .project_role("roles/container.defaultNodeServiceAccount"),
/// );
/// assert_eq!(nodes.roles.len(), 1);
/// assert!(stack.diagnostics().is_empty());
/// ```
pub struct ServiceAccount {
    logical: String,
    account_id: String,
    display_name: String,
    roles: Vec<String>,
}

impl ServiceAccount {
    /// An account with id `account_id` (the part before `@`).
    pub fn new(logical: &str, account_id: &str, display_name: &str) -> Self {
        ServiceAccount {
            logical: logical.to_string(),
            account_id: account_id.to_string(),
            display_name: display_name.to_string(),
            roles: Vec::new(),
        }
    }

    /// Grants a project-level role.
    pub fn project_role(mut self, role: &str) -> Self {
        self.roles.push(role.to_string());
        self
    }
}

impl Construct for ServiceAccount {
    type Output = ServiceAccountHandles;

    fn describe(&self) -> String {
        format!("gcp::ServiceAccount \"{}\"", self.logical)
    }

    fn build(self, stack: &mut Stack) -> ServiceAccountHandles {
        if !is_valid_account_id(&self.account_id) {
            stack.error(
                &format!("{}.{}", kind::ServiceAccount::TYPE, self.logical),
                "account_id",
                &format!("`{}` is not a valid service account id", self.account_id),
                "use 6-30 lowercase letters, digits and `-`, starting with a letter and not ending with `-`",
            );
        }
        let account = stack.resource::<kind::ServiceAccount>(
            &self.logical,
            Attributes::new()
                .set("account_id", self.account_id.as_str())
                .set("display_name", self.display_name.as_str())
                .set("description", "Managed by infrasynth"),
        );
        let roles = self
            .roles
            .iter()
            .map(|role| {
                let short = role
                    .rsplit('/')
                    .next()
                    .unwrap_or(role)
                    .replace('.', "_")
                    .to_ascii_lowercase();
                stack.resource::<kind::ProjectIamMember>(
                    &format!("{}_{}", self.logical, short),
                    Attributes::new()
                        .set("project", Project::id())
                        .set("role", role.as_str())
                        .set("member", account.member()),
                )
            })
            .collect();
        ServiceAccountHandles {
            account,
            roles,
            account_id: self.account_id,
        }
    }
}

/// Lets the Kubernetes service account `namespace/name` impersonate a Google
/// service account through GKE workload identity.
pub struct WorkloadIdentityBinding {
    logical: String,
    service_account: Attr<Name<kind::ServiceAccount>>,
    namespace: String,
    kubernetes_service_account: String,
    depends_on: Vec<Address>,
}

impl WorkloadIdentityBinding {
    /// Binds `namespace/kubernetes_service_account` to `service_account` (its
    /// fully qualified `name`).
    pub fn new(
        logical: &str,
        service_account: Attr<Name<kind::ServiceAccount>>,
        namespace: &str,
        kubernetes_service_account: &str,
    ) -> Self {
        WorkloadIdentityBinding {
            logical: logical.to_string(),
            service_account,
            namespace: namespace.to_string(),
            kubernetes_service_account: kubernetes_service_account.to_string(),
            depends_on: Vec::new(),
        }
    }

    /// Waits for `address` (the cluster: the identity pool exists once it does).
    pub fn depends_on(mut self, address: &Address) -> Self {
        self.depends_on.push(address.clone());
        self
    }
}

impl Construct for WorkloadIdentityBinding {
    type Output = Ref<kind::ServiceAccountIamMember>;

    fn describe(&self) -> String {
        format!("gcp::WorkloadIdentityBinding \"{}\"", self.logical)
    }

    fn build(self, stack: &mut Stack) -> Ref<kind::ServiceAccountIamMember> {
        let mut attributes = Attributes::new()
            .set("service_account_id", self.service_account)
            .set("role", "roles/iam.workloadIdentityUser")
            .set(
                "member",
                Project::kubernetes_member(&self.namespace, &self.kubernetes_service_account),
            );
        for address in &self.depends_on {
            attributes = attributes.depends_on(address);
        }
        stack.resource::<kind::ServiceAccountIamMember>(&self.logical, attributes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Value;

    #[test]
    fn account_ids_follow_iam_rules() {
        assert!(is_valid_account_id("mlops-prd-api-server"));
        assert!(!is_valid_account_id("short"));
        assert!(!is_valid_account_id("mlops-production-model-server-x"));
        let mut stack = Stack::new("t");
        stack.add(ServiceAccount::new("x", "Bad_Id", "x"));
        let text = stack.diagnostics().to_string();
        assert!(
            text.contains("field `account_id`") && text.contains("6-30"),
            "{text}"
        );
    }

    #[test]
    fn binding_names_the_kubernetes_service_account() {
        let mut stack = Stack::new("t");
        let sa = stack.add(ServiceAccount::new("api", "demo-api-server", "api"));
        let binding = stack.add(WorkloadIdentityBinding::new(
            "api",
            sa.account.name(),
            "mlops",
            "api-server",
        ));
        let block = stack.block(binding.address()).unwrap();
        let Some(Value::Expr(member)) = block.get("member") else {
            panic!("member")
        };
        assert_eq!(
            member.template(),
            "serviceAccount:${var.project_id}.svc.id.goog[mlops/api-server]"
        );
        assert_eq!(
            sa.sql_user_name().expr().template(),
            "demo-api-server@${var.project_id}.iam"
        );
    }
}
