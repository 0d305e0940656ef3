//! Managed identities: user-assigned identities, role assignments, and workload
//! identity (a Kubernetes service account trusted to act as an identity).

use std::collections::BTreeMap;

use super::kind;
use super::resource_group::ResourceGroupHandle;
use crate::core::block::Attributes;
use crate::core::reference::{Attr, Ref};
use crate::core::stack::{Construct, Stack};
use crate::core::value::Value;

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

/// What kind of Entra ID principal a role is granted to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrincipalType {
    /// A service principal: managed identities, applications (the default).
    ServicePrincipal,
    /// A security group: every member holds the role.
    Group,
    /// A user.
    User,
}

impl PrincipalType {
    fn as_str(self) -> &'static str {
        match self {
            PrincipalType::ServicePrincipal => "ServicePrincipal",
            PrincipalType::Group => "Group",
            PrincipalType::User => "User",
        }
    }
}

/// A built-in role granted to a principal on a scope.
pub struct RoleAssignment {
    logical_name: String,
    scope: Attr<kind::ScopeId>,
    role: String,
    principal_id: Attr<kind::PrincipalId>,
    principal_type: PrincipalType,
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
            principal_type: PrincipalType::ServicePrincipal,
        }
    }

    /// The kind of principal `principal_id` is (default: a service principal,
    /// which every managed identity is). Saying so lets Azure skip the Graph
    /// lookup that fails for a principal created seconds before.
    pub fn principal_type(mut self, principal_type: PrincipalType) -> Self {
        self.principal_type = principal_type;
        self
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
                // Saying what the principal is skips the Graph lookup that
                // fails right after a managed identity is created.
                .set("principal_type", self.principal_type.as_str()),
        )
    }
}

/// The `hashicorp/time` provider version constraint (for `time_sleep`).
pub const TIME_PROVIDER_VERSION: &str = "~> 0.13";

/// How long [`RolePropagation`] waits by default. Azure documents that a new
/// role assignment can take up to 10 minutes to take effect (Azure RBAC
/// troubleshooting, "Role assignment changes are not being detected"); in
/// practice the services this stack feeds (Key Vault key access for the
/// storage account and disk encryption set, AKS's checks of its identity on
/// the subnet and the disk encryption set) see it within one or two minutes.
pub const ROLE_PROPAGATION_WAIT: &str = "120s";

/// A pause after role assignments, for the resources that act through them
/// right after creation: Azure RBAC is eventually consistent, and a role used
/// seconds after it was assigned fails intermittently
/// (`KeyVaultAuthenticationFailure`, `LinkedAuthorizationFailed`).
///
/// Emits a `time_sleep` (provider `hashicorp/time`, pinned by the builder)
/// whose `triggers` name each assignment's id: it waits after they are
/// created, and again whenever one is replaced. Resources that use the roles
/// `depends_on` the sleep, never on the assignments directly.
///
/// ```
/// use infrasynth::azure::{ManagedIdentity, ResourceGroup, RoleAssignment, RolePropagation};
/// use infrasynth::Stack;
/// let mut stack = Stack::new("demo");
/// let rg = stack.add(ResourceGroup::new("main", "demo-rg", "westeurope"));
/// let identity = stack.add(ManagedIdentity::new("app", "demo-app", &rg));
/// let role = stack.add(RoleAssignment::new(
///     "app_reader",
///     infrasynth::azure::kind::scope_of(&rg.resource.id()),
///     "Reader",
///     identity.principal_id(),
/// ));
/// let ready = stack.add(RolePropagation::new("app_roles", &[&role]));
/// assert!(!stack.diagnostics().has_errors(), "{}", stack.diagnostics());
/// # let _ = ready;
/// ```
pub struct RolePropagation {
    logical_name: String,
    roles: Vec<Ref<kind::RoleAssignment>>,
    duration: String,
}

impl RolePropagation {
    /// A wait of [`ROLE_PROPAGATION_WAIT`] after `roles` are created.
    pub fn new(logical_name: &str, roles: &[&Ref<kind::RoleAssignment>]) -> Self {
        RolePropagation {
            logical_name: logical_name.to_string(),
            roles: roles.iter().map(|role| (*role).clone()).collect(),
            duration: ROLE_PROPAGATION_WAIT.to_string(),
        }
    }

    /// Another wait, written as `time_sleep` takes it: a number and `ms`,
    /// `s`, `m` or `h` (`90s`, `5m`).
    pub fn duration(mut self, duration: &str) -> Self {
        self.duration = duration.to_string();
        self
    }
}

/// Whether `text` is a duration `time_sleep` accepts: the provider's own rule
/// `^[0-9]+(\.[0-9]+)?(ms|s|m|h)$` (terraform-provider-time v0.13,
/// `internal/provider/resource_time_sleep.go`).
fn is_sleep_duration(text: &str) -> bool {
    let number = ["ms", "s", "m", "h"]
        .iter()
        .find_map(|unit| text.strip_suffix(unit));
    let Some(number) = number else { return false };
    let (whole, fraction) = match number.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (number, None),
    };
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    digits(whole) && fraction.is_none_or(digits)
}

impl Construct for RolePropagation {
    type Output = Ref<kind::TimeSleep>;

    fn describe(&self) -> String {
        format!("azure::RolePropagation \"{}\"", self.logical_name)
    }

    fn build(self, stack: &mut Stack) -> Ref<kind::TimeSleep> {
        if !is_sleep_duration(&self.duration) {
            stack.error(
                &self.logical_name,
                "create_duration",
                &format!("`{}` is not a duration time_sleep accepts", self.duration),
                "write a number and ms, s, m or h, such as 120s or 5m",
            );
        }
        if self.roles.is_empty() {
            stack.error(
                &self.logical_name,
                "triggers",
                "a role propagation wait names no role assignment",
                "pass the role assignments the waiting resources use",
            );
        }
        stack.require_provider("time", "hashicorp/time", TIME_PROVIDER_VERSION);
        let triggers: BTreeMap<String, Value> = self
            .roles
            .iter()
            .map(|role| (role.address().name().to_string(), Value::from(role.id())))
            .collect();
        stack.resource::<kind::TimeSleep>(
            &self.logical_name,
            Attributes::new()
                .set("create_duration", self.duration.as_str())
                .set("triggers", Value::from(triggers)),
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
    fn role_propagation_waits_for_every_role_it_names() {
        let mut stack = Stack::new("t");
        let rg = stack.add(ResourceGroup::new("main", "p", "westeurope"));
        let identity = stack.add(ManagedIdentity::new("app", "p-app", &rg));
        let scope = crate::azure::kind::scope_of(&rg.resource.id());
        let reader = stack.add(RoleAssignment::new(
            "reader",
            scope.clone(),
            "Reader",
            identity.principal_id(),
        ));
        let network = stack.add(RoleAssignment::new(
            "network",
            scope,
            "Network Contributor",
            identity.principal_id(),
        ));
        stack.add(RolePropagation::new("app_roles", &[&reader, &network]));
        assert!(!stack.diagnostics().has_errors(), "{}", stack.diagnostics());
        let json: serde_json::Value = serde_json::from_slice(&stack.render_json()).expect("json");
        let sleep = &json["resource"]["time_sleep"]["app_roles"];
        assert_eq!(sleep["create_duration"], ROLE_PROPAGATION_WAIT);
        assert_eq!(
            sleep["triggers"]["reader"],
            "${azurerm_role_assignment.reader.id}"
        );
        assert_eq!(
            sleep["triggers"]["network"],
            "${azurerm_role_assignment.network.id}"
        );
        assert_eq!(
            json["terraform"]["required_providers"]["time"]["source"],
            "hashicorp/time"
        );
    }

    #[test]
    fn sleep_durations_follow_the_time_provider() {
        for good in ["120s", "2m", "1.5h", "500ms"] {
            assert!(is_sleep_duration(good), "{good}");
        }
        for bad in ["120", "2 m", "m", ".5s", "1.s", "2d", "-1s"] {
            assert!(!is_sleep_duration(bad), "{bad}");
        }
        let mut stack = Stack::new("t");
        let rg = stack.add(ResourceGroup::new("main", "p", "westeurope"));
        let identity = stack.add(ManagedIdentity::new("app", "p-app", &rg));
        let role = stack.add(RoleAssignment::new(
            "reader",
            crate::azure::kind::scope_of(&rg.resource.id()),
            "Reader",
            identity.principal_id(),
        ));
        stack.add(RolePropagation::new("wait", &[&role]).duration("2 minutes"));
        let text = stack.diagnostics().to_string();
        assert!(text.contains("field `create_duration`"), "{text}");
    }

    #[test]
    fn invalid_identity_name_is_an_error() {
        let mut stack = Stack::new("t");
        let rg = stack.add(ResourceGroup::new("main", "p", "westeurope"));
        stack.add(ManagedIdentity::new("x", "a b", &rg));
        assert!(stack.diagnostics().to_string().contains("field `name`"));
    }
}
