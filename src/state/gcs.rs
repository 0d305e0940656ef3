//! State in a Cloud Storage bucket (GCS locks the state natively, with a
//! lock object written only if absent), optionally encrypted with a Cloud KMS
//! key, and the bootstrap that creates the bucket with the GCP builders.

use super::{check_key_prefix, dashed, StateError, StateTarget};
use crate::core::backend::Backend;
use crate::core::stack::{Stack, Variable};
use crate::core::value::Value;
use crate::gcp::bucket::bucket_name_problems;
use crate::gcp::project::service_agents;
use crate::gcp::services::ProjectServices;
use crate::gcp::{Bucket, CryptoKey, KeyRing, Project, Region};
use crate::platform::gcp::GOOGLE_PROVIDER_VERSION;

const TYPE: &str = "GcsBackend";

/// State in a GCS bucket, under the prefix `[<key_prefix>/]<stack>/<cloud>/<env>`
/// (the object is `<prefix>/default.tfstate`).
///
/// The bucket is in the environment's GCP region. With
/// [`GcsBackend::kms_key`] the state objects are encrypted with a Cloud KMS
/// key of that region, which needs the project ([`GcsBackend::project`]) to
/// name it; the bootstrap creates the key ring and key.
///
/// ```
/// use infrasynth::state::GcsBackend;
/// let state = GcsBackend::new("acme-tfstate-prod").project("acme-prod").kms_key("tfstate", "state");
/// assert!(state.check().is_empty());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GcsBackend {
    bucket: String,
    key_prefix: Option<String>,
    project: Option<String>,
    kms_key: Option<(String, String)>,
}

impl GcsBackend {
    /// State in `bucket` (globally unique; see GCS's naming rules).
    pub fn new(bucket: impl Into<String>) -> Self {
        GcsBackend {
            bucket: bucket.into(),
            key_prefix: None,
            project: None,
            kms_key: None,
        }
    }

    /// Puts every prefix of this backend under `prefix/`.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = Some(prefix.into());
        self
    }

    /// The project the bucket is in: needed to name a KMS key, and the
    /// bootstrap's default for its `project_id` variable.
    pub fn project(mut self, project_id: impl Into<String>) -> Self {
        self.project = Some(project_id.into());
        self
    }

    /// Encrypts state objects with the key `key` of the key ring `key_ring`
    /// in the project and the environment's region (customer-managed
    /// encryption; the bootstrap creates both and lets Cloud Storage use the
    /// key). Whoever runs Terraform needs nothing more than object access.
    pub fn kms_key(mut self, key_ring: impl Into<String>, key: impl Into<String>) -> Self {
        self.kms_key = Some((key_ring.into(), key.into()));
        self
    }

    /// The bucket's name.
    pub fn bucket_name(&self) -> &str {
        &self.bucket
    }

    /// `[<key_prefix>/]<stack>/<cloud>/<env>`.
    pub fn prefix(&self, target: &StateTarget<'_>) -> String {
        target.prefixed_path(self.key_prefix.as_deref())
    }

    /// The region the bucket (and key) are in.
    fn region<'a>(&self, target: &StateTarget<'a>) -> &'a str {
        &target.regions.gcp
    }

    /// `projects/<project>/locations/<region>/keyRings/<ring>/cryptoKeys/<key>`.
    fn kms_key_name(&self, target: &StateTarget<'_>) -> Option<String> {
        let (ring, key) = self.kms_key.as_ref()?;
        let project = self.project.as_deref()?;
        Some(format!(
            "projects/{project}/locations/{}/keyRings/{ring}/cryptoKeys/{key}",
            self.region(target)
        ))
    }

    /// Every problem of the settings, each naming its field.
    pub fn check(&self) -> Vec<StateError> {
        let mut problems = Vec::new();
        let bucket_problems = bucket_name_problems(&self.bucket);
        if !bucket_problems.is_empty() {
            problems.push(
                StateError::error(
                    TYPE,
                    "bucket",
                    format!("bucket name `{}` {}", self.bucket, bucket_problems.join("; ")),
                    "use 3-63 lowercase letters, digits and `-`, starting and ending with a letter or digit, without `goog` at the start or `google` anywhere",
                )
                .suggest(Some(repair_bucket(&self.bucket)), |s| {
                    bucket_name_problems(s).is_empty()
                }),
            );
        }
        problems.extend(check_key_prefix(TYPE, self.key_prefix.as_deref()));
        if let Some(project) = &self.project {
            if let Some(problem) = project_id_problem(project) {
                problems.push(
                    StateError::error(
                        TYPE,
                        "project",
                        format!("`{project}` is not a GCP project id: it {problem}"),
                        "use 6-30 lowercase letters, digits and `-`, starting with a letter and not ending with `-`",
                    )
                    .suggest(Some(dashed(project, |c| c.is_ascii_lowercase() || c.is_ascii_digit())), |s| {
                        project_id_problem(s).is_none()
                    }),
                );
            }
        }
        if let Some((ring, key)) = &self.kms_key {
            if self.project.is_none() {
                problems.push(StateError::error(
                    TYPE,
                    "project",
                    "a KMS key is named but not the project it is in".to_string(),
                    "add `.project(\"<project id>\")`: the key's name starts with `projects/<project id>/`",
                ));
            }
            for (field, name) in [("kms_key.key_ring", ring), ("kms_key.key", key)] {
                if !kms_name_ok(name) {
                    problems.push(
                        StateError::error(
                            TYPE,
                            field,
                            format!("`{name}` is not a Cloud KMS name"),
                            "use 1-63 letters, digits, `_` and `-`",
                        )
                        .suggest(
                            Some(dashed(name, |c| c.is_ascii_alphanumeric() || c == '_')),
                            kms_name_ok,
                        ),
                    );
                }
            }
        }
        problems
    }

    /// The backend block (the settings are checked by the caller).
    pub(super) fn block(&self, target: &StateTarget<'_>) -> Backend {
        let mut settings = Value::map()
            .with("bucket", self.bucket.as_str())
            .with("prefix", self.prefix(target));
        if let Some(key) = self.kms_key_name(target) {
            settings.insert("kms_encryption_key", key);
        }
        // `kms_encryption_key` dates from Terraform 1.3, older than the 1.5
        // every document needs, so it raises nothing.
        // Every setting is a literal of a built-in type, which is all `new` checks.
        Backend::new("gcs", settings).expect("literal settings of the gcs backend")
    }

    /// The bucket (versioned, uniform access, public access prevention
    /// enforced, `prevent_destroy`; Cloud Storage only serves HTTPS) and,
    /// with a key, the key ring and rotating key the storage agent may use.
    pub(super) fn bootstrap(&self, target: &StateTarget<'_>, stack: &mut Stack) {
        let region_name = self.region(target);
        let region = Region::parse(region_name).unwrap_or_else(|error| {
            stack.error(
                "platform",
                "regions.gcp",
                &error.to_string(),
                "pick a GCP region",
            );
            Region::stand_in()
        });
        Project::declare(stack);
        if let Some(project) = &self.project {
            stack.variable(
                crate::gcp::project::PROJECT_ID_VARIABLE,
                Variable {
                    type_expr: "string".to_string(),
                    description: "The Google Cloud project the state bucket is in.".to_string(),
                    default: Some(Value::from(project.as_str())),
                    sensitive: false,
                },
            );
        }
        stack.require_terraform(">= 1.5.0");
        stack.require_provider("google", "hashicorp/google", GOOGLE_PROVIDER_VERSION);
        let mut provider = std::collections::BTreeMap::new();
        provider.insert("project".to_string(), Value::from(Project::id()));
        provider.insert("region".to_string(), Value::from(region.name()));
        provider.insert(
            "default_labels".to_string(),
            Value::from(crate::gcp::names::default_labels(stack)),
        );
        stack.provider("google", provider);
        let mut apis = vec!["storage.googleapis.com"];
        if self.kms_key.is_some() {
            apis.push("cloudkms.googleapis.com");
        }
        let services = stack.add(ProjectServices::new(&apis));
        let mut bucket = Bucket::new("state", self.bucket.as_str(), &region.storage_location())
            // A year of old state versions to go back to.
            .noncurrent_expire_days(Some(365));
        if let Some((ring_name, key_name)) = &self.kms_key {
            Project::declare_number(stack);
            let ring = stack.add(KeyRing::new("state", ring_name, region.name()));
            if let Some(api) = services.get("cloudkms.googleapis.com") {
                stack.depends_on(&ring, api);
            }
            let key = stack.add(
                CryptoKey::new("state", key_name, ring.id())
                    // Without the key no state in the bucket can be read.
                    .prevent_destroy(true)
                    .grant_to("storage", Project::service_agent(service_agents::STORAGE)),
            );
            bucket = bucket.encryption_key(key.key.id());
            for grant in &key.grants {
                bucket = bucket.depends_on(grant.address());
            }
            stack.output(
                "state_kms_key",
                key.key.id(),
                "The Cloud KMS key state objects are encrypted with",
            );
        }
        if let Some(api) = services.get("storage.googleapis.com") {
            bucket = bucket.depends_on(api.address());
        }
        let bucket = stack.add(bucket);
        // Deleting the bucket deletes every stack's state in it.
        stack.set_raw(&bucket, "lifecycle.prevent_destroy", true);
        stack.output(
            "state_bucket",
            bucket.attr::<String>("name"),
            "The Cloud Storage bucket holding Terraform state",
        );
    }
}

/// A name following GCS's rules made from `name`.
fn repair_bucket(name: &str) -> String {
    let mut fixed = dashed(name, |c| c.is_ascii_lowercase() || c.is_ascii_digit());
    fixed = fixed.replace("google", "gcp").replace("g00gle", "gcp");
    while let Some(rest) = fixed.strip_prefix("goog") {
        fixed = rest.trim_start_matches('-').to_string();
    }
    if fixed.len() < 3 {
        fixed = format!("{fixed}-tfstate")
            .trim_start_matches('-')
            .to_string();
    }
    fixed.truncate(63);
    fixed.trim_end_matches('-').to_string()
}

/// Why `id` is not a GCP project id: 6-30 characters of lowercase letters,
/// digits and `-`, starting with a letter, not ending with `-`.
fn project_id_problem(id: &str) -> Option<&'static str> {
    if !(6..=30).contains(&id.len()) {
        return Some("must be 6-30 characters long");
    }
    if !id
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Some("may only hold lowercase letters, digits and `-`");
    }
    if !id.starts_with(|c: char| c.is_ascii_lowercase()) || id.ends_with('-') {
        return Some("must start with a letter and not end with `-`");
    }
    None
}

/// Cloud KMS key ring and key names: 1-63 letters, digits, `_` and `-`.
fn kms_name_ok(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::environment::{Cloud, Environment};
    use crate::platform::Regions;

    #[test]
    fn renders_the_bucket_the_derived_prefix_and_the_key() {
        let regions = Regions::default();
        let target = StateTarget::new("shop", Cloud::Gcp, Environment::STAGING, &regions);
        let backend = GcsBackend::new("acme-tfstate")
            .key_prefix("team-a")
            .project("acme-staging")
            .kms_key("tfstate", "state");
        let block = super::super::StateBackend::Gcs(backend)
            .backend(&target)
            .unwrap();
        assert_eq!(block.backend_type(), "gcs");
        let settings: Vec<(&str, String)> = block
            .settings()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or_default().to_string()))
            .collect();
        assert_eq!(
            settings,
            [
                ("bucket", "acme-tfstate".to_string()),
                (
                    "kms_encryption_key",
                    format!(
                        "projects/acme-staging/locations/{}/keyRings/tfstate/cryptoKeys/state",
                        regions.gcp
                    )
                ),
                ("prefix", "team-a/shop/gcp/staging".to_string()),
            ]
        );
        assert_eq!(block.required_terraform(), None);
    }

    #[test]
    fn bad_names_name_the_field_and_the_suggested_fix_passes() {
        for (bucket, why) in [
            ("Acme_TFState", "lowercase"),
            ("goog-tfstate", "`goog`"),
            ("my-google-state", "`google`"),
            ("a", "3-63"),
        ] {
            let problems = GcsBackend::new(bucket).check();
            assert_eq!(problems.len(), 1, "{problems:?}");
            let error = &problems[0];
            assert_eq!(error.field, "bucket");
            assert!(error.message.contains(why), "{error}");
            let fixed = error.suggestion.clone().expect("a suggestion");
            assert!(
                GcsBackend::new(fixed.as_str()).check().is_empty(),
                "{bucket} -> {fixed}"
            );
        }
        let problems = GcsBackend::new("acme-tfstate").project("Acme_Prod").check();
        assert_eq!(problems[0].field, "project");
        let fixed = problems[0].suggestion.clone().expect("a suggestion");
        assert!(GcsBackend::new("acme-tfstate")
            .project(fixed)
            .check()
            .is_empty());
    }

    #[test]
    fn a_key_needs_its_project_and_valid_names() {
        let problems = GcsBackend::new("acme-tfstate")
            .kms_key("bad ring", "state")
            .check();
        let fields: Vec<&str> = problems.iter().map(|p| p.field).collect();
        assert_eq!(fields, ["project", "kms_key.key_ring"]);
    }
}
