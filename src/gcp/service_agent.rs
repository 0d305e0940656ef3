//! Google service agents: the per-project accounts Google services act as
//! (`service-<number>@<domain>`), made to exist before anything grants them a
//! role. Granting a role to an agent that does not exist yet fails ("Service
//! account ... does not exist"), and on a fresh project most do not:
//!
//! - Cloud Storage's agent is created lazily, when something asks the
//!   storage API for it; the provider's `google_storage_project_service_account`
//!   data source does exactly that (provider docs,
//!   `website/docs/d/storage_project_service_account.html.markdown` at
//!   v6.50.0), so its `member` is the grant's member.
//! - Cloud SQL's agent is never created by enabling its API (the provider
//!   docs of `google_sql_database_instance.encryption_key_name` call it a
//!   manual step); Memorystore's and GKE's appear with their APIs, but not
//!   necessarily before the grant runs. Service Usage's
//!   `generateServiceIdentity` creates an agent on demand, and the provider
//!   resource for it, `google_project_service_identity`, exists only in
//!   google-beta at 6.50.0 (the google provider's file of that name is an
//!   empty stub, and its docs page says to use google-beta). Each such agent
//!   is therefore made with google-beta, pinned like google; the grant names
//!   the agent by its documented e-mail (the resource's own `member` may be
//!   empty: the API need not return it) and waits for the resource.
//!
//! - Compute Engine's agent (`compute-system.iam.gserviceaccount.com`) is
//!   created by Google when `compute.googleapis.com` is enabled; Service
//!   Usage's `generateServiceIdentity` does not make it. GKE's "Using
//!   customer-managed encryption keys (CMEK)" page has the user "grant the
//!   Compute Engine Service Agent the Cloud KMS CryptoKey Encrypter/Decrypter
//!   role" with no step to create it. Such an agent
//!   ([`ServiceAgent::enabled_with`]) is the enabled API itself: the grant
//!   names the agent by its documented e-mail and waits for the API.
//!
//! Either way the agent waits for its API (`after`), and what grants it a role
//! must wait for [`ServiceAgentHandle::block`].

use std::collections::BTreeMap;

use super::kind;
use super::project::Project;
use crate::core::block::Attributes;
use crate::core::reference::{Address, Attr, Ref};
use crate::core::stack::{Construct, Stack};
use crate::core::value::Value;

/// The version constraint of google-beta, the same minor as google's, for
/// `google_project_service_identity` only.
pub const GOOGLE_BETA_PROVIDER_VERSION: &str = "~> 6.50";

/// What [`ServiceAgent`] made.
#[derive(Clone, Debug)]
pub struct ServiceAgentHandle {
    /// The block that makes the agent exist: a grant to it must depend on it
    /// ([`ServiceAgentHandle::needed_by`]).
    pub block: Address,
    /// The agent as an IAM member, `serviceAccount:service-<number>@<domain>`.
    pub member: Attr<String>,
    made_by: MadeBy,
}

#[derive(Clone, Debug)]
enum MadeBy {
    Storage(Ref<kind::StorageProjectServiceAccount>),
    Identity(Ref<kind::ProjectServiceIdentity>),
    Api(Ref<kind::ProjectService>),
}

impl ServiceAgentHandle {
    /// Makes `grant` (or anything else that names the agent) wait until the
    /// agent exists.
    pub fn needed_by<K>(&self, stack: &mut Stack, grant: &Ref<K>) {
        match &self.made_by {
            MadeBy::Storage(account) => stack.depends_on(grant, account),
            MadeBy::Identity(identity) => stack.depends_on(grant, identity),
            MadeBy::Api(api) => stack.depends_on(grant, api),
        }
    }
}

enum Agent {
    /// Cloud Storage, through the data source.
    Storage,
    /// Any other service, through `google_project_service_identity`.
    Identity { service: String, domain: String },
    /// A service whose agent appears when its API is enabled.
    Api {
        api: Ref<kind::ProjectService>,
        domain: String,
    },
}

/// How the agent of a service comes to exist, for tables of agents such as
/// the platform's customer-managed keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgentOrigin {
    /// Cloud Storage's: made when asked for ([`ServiceAgent::storage`]).
    StorageLookup,
    /// Made on demand through google-beta's `google_project_service_identity`
    /// ([`ServiceAgent::for_service`]); the agent's e-mail domain.
    Identity(&'static str),
    /// Made by Google when the service's API is enabled
    /// ([`ServiceAgent::enabled_with`]); the agent's e-mail domain.
    EnabledApi(&'static str),
}

/// A service agent made to exist before it is granted anything.
///
/// ```
/// use infrasynth::gcp::project::service_agents;
/// use infrasynth::gcp::service_agent::ServiceAgent;
/// use infrasynth::Stack;
/// let mut stack = Stack::new("demo");
/// let sql = stack.add(ServiceAgent::for_service(
///     "sql",
///     "sqladmin.googleapis.com",
///     service_agents::CLOUD_SQL,
/// ));
/// assert_eq!(sql.block.to_string(), "google_project_service_identity.sql");
/// let gcs = stack.add(ServiceAgent::storage("gcs"));
/// assert_eq!(gcs.member.expr().template(), "${data.google_storage_project_service_account.gcs.member}");
/// ```
pub struct ServiceAgent {
    logical: String,
    agent: Agent,
    after: Option<Address>,
}

impl ServiceAgent {
    /// Cloud Storage's agent, through `data.google_storage_project_service_account`.
    pub fn storage(logical: &str) -> Self {
        ServiceAgent {
            logical: logical.to_string(),
            agent: Agent::Storage,
            after: None,
        }
    }

    /// The agent of `service` (`sqladmin.googleapis.com`), whose e-mail domain
    /// is `domain` (see [`service_agents`](super::project::service_agents)), through google-beta's
    /// `google_project_service_identity`.
    pub fn for_service(logical: &str, service: &str, domain: &str) -> Self {
        ServiceAgent {
            logical: logical.to_string(),
            agent: Agent::Identity {
                service: service.to_string(),
                domain: domain.to_string(),
            },
            after: None,
        }
    }

    /// The agent Google creates when `api` is enabled (Compute Engine's:
    /// domain [`service_agents::COMPUTE`](super::project::service_agents::COMPUTE)):
    /// no resource makes it, so the enabled API is its [`ServiceAgentHandle::block`].
    pub fn enabled_with(logical: &str, api: &Ref<kind::ProjectService>, domain: &str) -> Self {
        ServiceAgent {
            logical: logical.to_string(),
            agent: Agent::Api {
                api: api.clone(),
                domain: domain.to_string(),
            },
            after: Some(api.address().clone()),
        }
    }

    /// Waits for the service's API to be enabled (an agent is asked of the
    /// service, which refuses while its API is off).
    pub fn after(mut self, api: &Ref<kind::ProjectService>) -> Self {
        self.after = Some(api.address().clone());
        self
    }
}

impl Construct for ServiceAgent {
    type Output = ServiceAgentHandle;

    fn describe(&self) -> String {
        format!("gcp::ServiceAgent \"{}\"", self.logical)
    }

    fn build(self, stack: &mut Stack) -> ServiceAgentHandle {
        let wait = |attributes: Attributes| match &self.after {
            Some(api) => attributes.depends_on(api),
            None => attributes,
        };
        match &self.agent {
            Agent::Storage => {
                let account = stack.data::<kind::StorageProjectServiceAccount>(
                    &self.logical,
                    wait(Attributes::new().set("project", Project::id())),
                );
                ServiceAgentHandle {
                    block: account.address().clone(),
                    member: account.attr("member"),
                    made_by: MadeBy::Storage(account),
                }
            }
            Agent::Identity { service, domain } => {
                declare_google_beta(stack);
                let identity = stack.resource::<kind::ProjectServiceIdentity>(
                    &self.logical,
                    wait(
                        Attributes::new()
                            .set("provider", "google-beta")
                            .set("project", Project::id())
                            .set("service", service.as_str()),
                    ),
                );
                ServiceAgentHandle {
                    block: identity.address().clone(),
                    member: Project::service_agent(domain),
                    made_by: MadeBy::Identity(identity),
                }
            }
            Agent::Api { api, domain } => ServiceAgentHandle {
                block: api.address().clone(),
                member: Project::service_agent(domain),
                made_by: MadeBy::Api(api.clone()),
            },
        }
    }
}

/// Requires and configures google-beta once per stack (the project only: the
/// identity resource is global).
fn declare_google_beta(stack: &mut Stack) {
    stack.require_provider(
        "google-beta",
        "hashicorp/google-beta",
        GOOGLE_BETA_PROVIDER_VERSION,
    );
    if !stack.providers().iter().any(|p| p.name == "google-beta") {
        let mut config = BTreeMap::new();
        config.insert("project".to_string(), Value::from(Project::id()));
        stack.provider("google-beta", config);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gcp::project::service_agents;

    #[test]
    fn identities_use_google_beta_once_and_wait_for_their_api() {
        let mut stack = Stack::new("t");
        let api = stack.resource::<kind::ProjectService>("sqladmin", Attributes::new());
        let a = stack.add(
            ServiceAgent::for_service("sql", "sqladmin.googleapis.com", service_agents::CLOUD_SQL)
                .after(&api),
        );
        stack.add(ServiceAgent::for_service(
            "redis",
            "redis.googleapis.com",
            service_agents::REDIS,
        ));
        let block = stack.block(&a.block).unwrap();
        assert_eq!(
            block.get("provider").and_then(Value::as_str),
            Some("google-beta")
        );
        assert_eq!(block.depends_on(), [api.address().clone()]);
        assert_eq!(
            a.member.expr().template(),
            "serviceAccount:service-${var.project_number}@gcp-sa-cloud-sql.iam.gserviceaccount.com"
        );
        let betas = stack
            .providers()
            .iter()
            .filter(|p| p.name == "google-beta")
            .count();
        assert_eq!(betas, 1);
        assert!(stack
            .terraform_settings()
            .required_providers
            .contains_key("google-beta"));
    }

    /// Compute Engine's agent is created by enabling compute.googleapis.com
    /// (GKE docs "Using customer-managed encryption keys (CMEK)" grant it with
    /// no creation step): no block makes it, a grant to it waits for the API.
    #[test]
    fn an_agent_made_by_its_api_is_granted_after_the_api() {
        let mut stack = Stack::new("t");
        let api = stack.resource::<kind::ProjectService>("compute", Attributes::new());
        let agent = stack.add(ServiceAgent::enabled_with(
            "disks",
            &api,
            service_agents::COMPUTE,
        ));
        assert_eq!(&agent.block, api.address());
        assert_eq!(
            agent.member.expr().template(),
            "serviceAccount:service-${var.project_number}@compute-system.iam.gserviceaccount.com"
        );
        let grant = stack.resource::<kind::CryptoKeyIamMember>("grant", Attributes::new());
        agent.needed_by(&mut stack, &grant);
        assert_eq!(
            stack.block(grant.address()).unwrap().depends_on(),
            [api.address().clone()]
        );
        assert!(!stack
            .terraform_settings()
            .required_providers
            .contains_key("google-beta"));
    }
}
