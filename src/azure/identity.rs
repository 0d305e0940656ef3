//! Managed identities: user-assigned identities, role assignments, and workload
//! identity (a Kubernetes service account trusted to act as an identity).

use super::kind;
use super::resource_group::ResourceGroupHandle;
use crate::core::block::Attributes;
use crate::core::reference::{Attr, Ref};
use crate::core::stack::{Construct, Stack};

/// A user-assigned managed identity.
pub struct ManagedIdentity {
    logical_name: String,
    name: String,
    resource_group: ResourceGroupHandle,
}

impl ManagedIdentity {
    /// An identity named `name`.
    pub fn new(logical_name: &str, name: &str, resource_group: &ResourceGroupHandle) -> Self {
        ManagedIdentity {
            logical_name: logical_name.to_string(),
            name: name.to_string(),
            resource_group: resource_group.clone(),
        }
    }
}

impl Construct for ManagedIdentity {
    type Output = Ref<kind::UserAssignedIdentity>;

    fn describe(&self) -> String {
        format!("azure::ManagedIdentity \"{}\"", self.logical_name)
    }

    fn build(self, stack: &mut Stack) -> Ref<kind::UserAssignedIdentity> {
        if !super::naming::is_resource_name(&self.name, 3..=128) {
            stack.error(
                &self.logical_name,
                "name",
                &format!("`{}` is not a valid managed identity name", self.name),
                "use 3-128 letters, digits, `-` and `_`, starting with a letter or digit",
            );
        }
        let rg = &self.resource_group;
        stack.resource::<kind::UserAssignedIdentity>(
            &self.logical_name,
            rg.attributes_for(self.name.as_str()).tagged(),
        )
    }
}

/// A built-in role granted to a principal on a scope.
pub struct RoleAssignment {
    logical_name: String,
    scope: Attr<kind::ScopeId>,
    role: String,
    principal_id: Attr<kind::PrincipalId>,
}

impl RoleAssignment {
    /// Grants the built-in role `role` (such as `Storage Blob Data Reader`) on
    /// `scope` to the service principal `principal_id`.
    pub fn new(
        logical_name: &str,
        scope: Attr<kind::ScopeId>,
        role: &str,
        principal_id: Attr<kind::PrincipalId>,
    ) -> Self {
        RoleAssignment {
            logical_name: logical_name.to_string(),
            scope,
            role: role.to_string(),
            principal_id,
        }
    }
}

impl Construct for RoleAssignment {
    type Output = Ref<kind::RoleAssignment>;

    fn describe(&self) -> String {
        format!("azure::RoleAssignment \"{}\"", self.logical_name)
    }

    fn build(self, stack: &mut Stack) -> Ref<kind::RoleAssignment> {
        stack.resource::<kind::RoleAssignment>(
            &self.logical_name,
            Attributes::new()
                .set("scope", &self.scope)
                .set("role_definition_name", self.role.as_str())
                .set("principal_id", &self.principal_id)
                // Managed identities are service principals; saying so skips the
                // Graph lookup that fails right after the identity is created.
                .set("principal_type", "ServicePrincipal"),
        )
    }
}

/// The audience Entra ID expects in Kubernetes service account tokens.
pub const TOKEN_AUDIENCE: &str = "api://AzureADTokenExchange";

/// The required inputs of a [`WorkloadIdentity`], named as in
/// `azurerm_user_assigned_identity` and
/// `azurerm_federated_identity_credential`.
#[derive(Clone, Debug)]
pub struct WorkloadIdentityProps<'a> {
    /// The Terraform name of the identity and its federated credential
    /// (`azurerm_user_assigned_identity.<logical_name>`).
    pub logical_name: &'a str,
    /// The identity's name in Azure (`name`): 3-128 letters, digits, `-` and
    /// `_`, starting with a letter or digit.
    pub name: &'a str,
    /// The resource group the identity is created in (its `location` too).
    pub resource_group: &'a ResourceGroupHandle,
    /// The cluster's OIDC issuer the service account's tokens come from (the
    /// credential's `issuer`): the AKS attribute `oidc_issuer_url`, from
    /// [`AksCluster`](crate::azure::AksCluster)'s handle.
    pub oidc_issuer_url: Attr<String>,
    /// The Kubernetes namespace of the service account, such as `apps`.
    pub namespace: &'a str,
    /// The Kubernetes service account trusted to act as the identity (the
    /// credential's `subject`, `system:serviceaccount:<namespace>:<service_account>`).
    pub service_account: &'a str,
}

/// An identity for one Kubernetes service account: a user-assigned identity
/// and a federated credential trusting the cluster's OIDC issuer for
/// `system:serviceaccount:<namespace>:<service_account>`.
pub struct WorkloadIdentity {
    logical_name: String,
    name: String,
    resource_group: ResourceGroupHandle,
    oidc_issuer_url: Attr<String>,
    namespace: String,
    service_account: String,
}

impl WorkloadIdentity {
    /// An identity with no roles (grant them with [`RoleAssignment`]s to its
    /// principal), trusted for tokens with the audience [`TOKEN_AUDIENCE`].
    pub fn new(props: WorkloadIdentityProps<'_>) -> Self {
        WorkloadIdentity {
            logical_name: props.logical_name.to_string(),
            name: props.name.to_string(),
            resource_group: props.resource_group.clone(),
            oidc_issuer_url: props.oidc_issuer_url,
            namespace: props.namespace.to_string(),
            service_account: props.service_account.to_string(),
        }
    }
}

impl Construct for WorkloadIdentity {
    type Output = Ref<kind::UserAssignedIdentity>;

    fn describe(&self) -> String {
        format!("azure::WorkloadIdentity \"{}\"", self.logical_name)
    }

    fn build(self, stack: &mut Stack) -> Ref<kind::UserAssignedIdentity> {
        let identity = stack.add(ManagedIdentity::new(
            &self.logical_name,
            &self.name,
            &self.resource_group,
        ));
        stack.resource::<kind::FederatedIdentityCredential>(
            &self.logical_name,
            Attributes::new()
                .set(
                    "name",
                    format!("{}-{}", self.namespace, self.service_account),
                )
                .set("resource_group_name", &self.resource_group.name)
                .set("parent_id", identity.id())
                .set("issuer", &self.oidc_issuer_url)
                .set(
                    "subject",
                    format!(
                        "system:serviceaccount:{}:{}",
                        self.namespace, self.service_account
                    ),
                )
                .set("audience", vec![TOKEN_AUDIENCE]),
        );
        identity
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::ResourceGroup;

    #[test]
    fn workload_identity_trusts_exactly_one_service_account() {
        let mut stack = Stack::new("t");
        let rg = stack.add(ResourceGroup::new("main", "p", "westeurope"));
        let issuer = Attr::from_expr(crate::core::value::Expr::raw(
            "azurerm_kubernetes_cluster.main.oidc_issuer_url",
        ));
        stack.add(WorkloadIdentity::new(WorkloadIdentityProps {
            logical_name: "api",
            name: "p-api",
            resource_group: &rg,
            oidc_issuer_url: issuer,
            namespace: "mlops",
            service_account: "api",
        }));
        let json = String::from_utf8(stack.render_json()).unwrap();
        assert!(json.contains("system:serviceaccount:mlops:api"));
        assert!(json.contains(TOKEN_AUDIENCE));
    }

    #[test]
    fn invalid_identity_name_is_an_error() {
        let mut stack = Stack::new("t");
        let rg = stack.add(ResourceGroup::new("main", "p", "westeurope"));
        stack.add(ManagedIdentity::new("x", "a b", &rg));
        assert!(stack.diagnostics().to_string().contains("field `name`"));
    }
}
