//! The GCP project the stack deploys into. Its id (and, where CMEK is used, its
//! number) is not part of the cloud-neutral platform spec, so the stack declares
//! them as required Terraform variables and builders read them through the typed
//! helpers here instead of writing `${var...}` strings.

use crate::core::reference::Attr;
use crate::core::stack::{Stack, Variable};
use crate::core::value::{Expr, TemplatePart};

/// The variable holding the project id.
pub const PROJECT_ID_VARIABLE: &str = "project_id";
/// The variable holding the project number (for Google service agents' e-mails).
pub const PROJECT_NUMBER_VARIABLE: &str = "project_number";

/// The marker type of a project id.
pub enum ProjectId {}

/// Typed access to the project variables.
///
/// ```
/// use infrasynth::gcp::Project;
/// assert_eq!(Project::id().expr().template(), "${var.project_id}");
/// assert_eq!(
///     Project::workload_pool().expr().template(),
///     "${var.project_id}.svc.id.goog"
/// );
/// ```
pub struct Project;

impl Project {
    /// Declares `project_id` (required, no default).
    pub fn declare(stack: &mut Stack) {
        stack.variable(
            PROJECT_ID_VARIABLE,
            Variable {
                type_expr: "string".to_string(),
                description: "The Google Cloud project id to deploy into.".to_string(),
                default: None,
                sensitive: false,
            },
        );
    }

    /// Declares `project_number` (required, no default): customer-managed
    /// encryption keys must grant Google's per-service agents, whose e-mails are
    /// built from the number, and the schema this project is checked against has no
    /// data sources to look it up.
    pub fn declare_number(stack: &mut Stack) {
        stack.variable(
            PROJECT_NUMBER_VARIABLE,
            Variable {
                type_expr: "string".to_string(),
                description:
                    "The Google Cloud project number (used to grant Google service agents access to the encryption keys)."
                        .to_string(),
                default: None,
                sensitive: false,
            },
        );
    }

    /// `var.project_id`.
    pub fn id() -> Attr<ProjectId> {
        Attr::from_expr(Expr::raw("var.project_id"))
    }

    /// The GKE workload identity pool: `<project>.svc.id.goog`.
    pub fn workload_pool() -> Attr<String> {
        Attr::from_expr(Expr::raw("var.project_id").suffix(".svc.id.goog"))
    }

    /// The workload identity member of a Kubernetes service account:
    /// `serviceAccount:<project>.svc.id.goog[<namespace>/<name>]`.
    pub fn kubernetes_member(namespace: &str, service_account: &str) -> Attr<String> {
        Attr::from_expr(Expr::concat([
            TemplatePart::from("serviceAccount:"),
            TemplatePart::from(Expr::raw("var.project_id")),
            TemplatePart::Literal(format!(".svc.id.goog[{namespace}/{service_account}]")),
        ]))
    }

    /// The IAM member of a Google service agent:
    /// `serviceAccount:service-<number>@<domain>`.
    pub fn service_agent(domain: &str) -> Attr<String> {
        Attr::from_expr(Expr::concat([
            TemplatePart::from("serviceAccount:service-"),
            TemplatePart::from(Expr::raw("var.project_number")),
            TemplatePart::Literal(format!("@{domain}")),
        ]))
    }

    /// Six hex characters derived from the project id, stable for a project and
    /// different across projects: what makes global names (buckets) unique
    /// without a random provider.
    pub fn suffix() -> Expr {
        Expr::raw("substr(sha256(var.project_id), 0, 6)")
    }

    /// Length of [`Project::suffix`], so name lengths can be checked at synth time.
    pub const SUFFIX_LEN: usize = 6;
}

/// The e-mail domain of Google's per-service agents (for CMEK grants).
pub mod service_agents {
    /// Cloud Storage.
    pub const STORAGE: &str = "gs-project-accounts.iam.gserviceaccount.com";
    /// Cloud SQL.
    pub const CLOUD_SQL: &str = "gcp-sa-cloud-sql.iam.gserviceaccount.com";
    /// Memorystore for Redis.
    pub const REDIS: &str = "cloud-redis.iam.gserviceaccount.com";
    /// GKE (application-layer secrets encryption).
    pub const GKE: &str = "container-engine-robot.iam.gserviceaccount.com";
    /// Compute Engine (persistent disks, node boot disks), created when
    /// `compute.googleapis.com` is enabled.
    pub const COMPUTE: &str = "compute-system.iam.gserviceaccount.com";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_templates_over_the_variables() {
        assert_eq!(
            Project::kubernetes_member("mlops", "api-server")
                .expr()
                .template(),
            "serviceAccount:${var.project_id}.svc.id.goog[mlops/api-server]"
        );
        assert_eq!(
            Project::service_agent(service_agents::STORAGE).expr().template(),
            "serviceAccount:service-${var.project_number}@gs-project-accounts.iam.gserviceaccount.com"
        );
    }
}
