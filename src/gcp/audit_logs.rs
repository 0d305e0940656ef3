//! Cloud Audit Logs Data Access logging for the project's services.
//!
//! Admin Activity audit logs are always on; the Data Access ones (who read
//! which object, who read a secret, what pgAudit saw) are off until the
//! project's IAM policy asks for them, per service. Without them a "we use
//! Cloud Audit Logs instead of bucket usage logs" argument is simply false.

use std::collections::BTreeMap;

use super::kind;
use super::project::Project;
use crate::core::block::Attributes;
use crate::core::reference::{Ref, ResourceKind};
use crate::core::stack::{Construct, Stack};
use crate::map;
use crate::Value;

/// The kinds of Data Access audit log a service can write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogType {
    /// Reads of configuration or metadata (bucket IAM policies, bucket lists).
    AdminRead,
    /// Reads of user data (objects, secret payloads, pgAudit read entries).
    DataRead,
    /// Writes of user data (object uploads and deletes).
    DataWrite,
}

impl LogType {
    /// The API's name for the log type.
    pub fn as_str(self) -> &'static str {
        match self {
            LogType::AdminRead => "ADMIN_READ",
            LogType::DataRead => "DATA_READ",
            LogType::DataWrite => "DATA_WRITE",
        }
    }
}

/// Data Access audit logging for services of the project, one
/// `google_project_iam_audit_config` a service, with no exempted members (the
/// builder offers no way to exempt anyone: an exemption is a blind spot).
///
/// Each resource is authoritative for its service's audit configuration in the
/// project: a project-level setting made elsewhere for the same service is
/// replaced. Folder and organization settings still add to it.
///
/// ```
/// use infrasynth::gcp::audit_logs::{DataAccessAuditLogs, LogType};
/// use infrasynth::Stack;
/// let mut stack = Stack::new("demo");
/// let configs = stack.add(
///     DataAccessAuditLogs::new()
///         .service("storage.googleapis.com", &[LogType::DataRead, LogType::DataWrite]),
/// );
/// assert!(configs.contains_key("storage.googleapis.com"));
/// assert!(stack.diagnostics().is_empty());
/// ```
#[derive(Default)]
pub struct DataAccessAuditLogs {
    services: Vec<(String, Vec<LogType>)>,
}

impl DataAccessAuditLogs {
    /// No services yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Logs `log_types` for `service` (`storage.googleapis.com`, or
    /// `allServices`).
    pub fn service(mut self, service: &str, log_types: &[LogType]) -> Self {
        self.services
            .push((service.to_string(), log_types.to_vec()));
        self
    }
}

/// The logical name of a service's audit config: the API's own
/// (`storage` for `storage.googleapis.com`), or `all_services`.
fn logical_name(service: &str) -> String {
    if service == "allServices" {
        return "all_services".to_string();
    }
    super::services::logical_name(service)
}

impl Construct for DataAccessAuditLogs {
    type Output = BTreeMap<String, Ref<kind::ProjectIamAuditConfig>>;

    fn describe(&self) -> String {
        "gcp::DataAccessAuditLogs".to_string()
    }

    fn build(self, stack: &mut Stack) -> Self::Output {
        let mut configs = BTreeMap::new();
        for (service, mut log_types) in self.services {
            let resource = format!(
                "{}.{}",
                kind::ProjectIamAuditConfig::TYPE,
                logical_name(&service)
            );
            if service != "allServices" && !service.ends_with(".googleapis.com") {
                stack.error(
                    &resource,
                    "service",
                    &format!("`{service}` is not a Google API name"),
                    "use the API's service name, such as storage.googleapis.com, or allServices",
                );
                continue;
            }
            if configs.contains_key(&service) {
                stack.error(
                    &resource,
                    "service",
                    &format!("`{service}` is configured twice; each config replaces the service's whole audit configuration"),
                    "list every log type of the service in one call",
                );
                continue;
            }
            log_types.sort_unstable();
            log_types.dedup();
            if log_types.is_empty() {
                stack.error(
                    &resource,
                    "audit_log_config",
                    &format!("no log types for `{service}`"),
                    "name at least one of ADMIN_READ, DATA_READ, DATA_WRITE",
                );
                continue;
            }
            let log_configs: Vec<Value> = log_types
                .iter()
                .map(|t| map! { "log_type" => t.as_str() })
                .collect();
            let config = stack.resource::<kind::ProjectIamAuditConfig>(
                &logical_name(&service),
                Attributes::new()
                    .set("project", Project::id())
                    .set("service", service.as_str())
                    .set("audit_log_config", log_configs),
            );
            configs.insert(service, config);
        }
        configs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_config_per_service_without_exemptions() {
        let mut stack = Stack::new("t");
        let configs = stack.add(DataAccessAuditLogs::new().service(
            "storage.googleapis.com",
            &[LogType::DataWrite, LogType::DataRead, LogType::DataWrite],
        ));
        let config = &configs["storage.googleapis.com"];
        assert_eq!(
            config.address().to_string(),
            "google_project_iam_audit_config.storage"
        );
        let block = stack.block(config.address()).unwrap();
        let entries = block
            .get("audit_log_config")
            .and_then(Value::as_list)
            .unwrap();
        let types: Vec<&str> = entries
            .iter()
            .map(|e| e.get_path("log_type").and_then(Value::as_str).unwrap())
            .collect();
        // Sorted, deduplicated, and nobody exempted.
        assert_eq!(types, ["DATA_READ", "DATA_WRITE"]);
        assert!(entries
            .iter()
            .all(|e| e.get_path("exempted_members").is_none()));
        assert!(stack.diagnostics().is_empty());
    }

    #[test]
    fn bad_names_duplicates_and_empty_types_are_errors() {
        let mut stack = Stack::new("t");
        stack.add(
            DataAccessAuditLogs::new()
                .service("storage", &[LogType::DataRead])
                .service("cloudsql.googleapis.com", &[LogType::DataRead])
                .service("cloudsql.googleapis.com", &[LogType::DataWrite])
                .service("secretmanager.googleapis.com", &[]),
        );
        let text = stack.diagnostics().to_string();
        assert!(
            text.contains("`storage` is not a Google API name"),
            "{text}"
        );
        assert!(text.contains("configured twice"), "{text}");
        assert!(
            text.contains("no log types for `secretmanager.googleapis.com`"),
            "{text}"
        );
    }
}
