//! Live GCP facts of one project, as `lookup gcp` records them in the
//! context file ([`crate::core::context`]): the preflight of the GCS bucket
//! the stack's state backend names. With them on the stack
//! ([`crate::Stack::insert_facts`]), [`check_state_bucket`] fails a synth
//! whose state would go to a bucket that is missing, unversioned (a bad
//! apply's state could not be restored), without uniform bucket-level
//! access, or not closed to the public.
//!
//! Source: the Cloud Storage JSON API `buckets.get`
//! (`versioning.enabled`, `iamConfiguration.uniformBucketLevelAccess.enabled`,
//! `iamConfiguration.publicAccessPrevention`).

use serde::{Deserialize, Serialize};

use crate::core::stack::Stack;
use crate::core::value::Value;

/// What the preflight found of the state bucket.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateBucketFacts {
    /// The bucket's name.
    pub name: String,
    /// Whether it exists (and the credentials may read it).
    pub exists: bool,
    /// `versioning.enabled`.
    pub versioning: bool,
    /// `iamConfiguration.uniformBucketLevelAccess.enabled`.
    pub uniform_bucket_level_access: bool,
    /// `iamConfiguration.publicAccessPrevention`: `enforced` or `inherited`
    /// (`unspecified` on older buckets).
    pub public_access_prevention: String,
}

impl StateBucketFacts {
    /// Each problem of the bucket with its fix, in a fixed order; empty when
    /// it is fit to hold state.
    pub fn problems(&self) -> Vec<(String, String)> {
        self.problems_for("<env>")
    }

    /// [`StateBucketFacts::problems`], each fix naming environment `env`.
    pub fn problems_for(&self, env: &str) -> Vec<(String, String)> {
        let name = &self.name;
        if !self.exists {
            return vec![(
                format!("state bucket `{name}` does not exist"),
                format!("create it with `bootstrap gcp {env}` and apply that, or name an existing bucket in the stack's GcsBackend; then `lookup gcp {env} --refresh`"),
            )];
        }
        let mut problems = Vec::new();
        if !self.versioning {
            problems.push((
                format!("state bucket `{name}` has versioning off: a damaged state could not be restored"),
                format!("gcloud storage buckets update gs://{name} --versioning; then `lookup gcp {env} --refresh`"),
            ));
        }
        if !self.uniform_bucket_level_access {
            problems.push((
                format!("state bucket `{name}` has uniform bucket-level access off: object ACLs could expose the state"),
                format!("gcloud storage buckets update gs://{name} --uniform-bucket-level-access; then `lookup gcp {env} --refresh`"),
            ));
        }
        if self.public_access_prevention != "enforced" {
            problems.push((
                format!(
                    "state bucket `{name}` has public access prevention `{}`, not `enforced`: the state (with secrets) could be made public",
                    self.public_access_prevention
                ),
                format!("gcloud storage buckets update gs://{name} --public-access-prevention; then `lookup gcp {env} --refresh`"),
            ));
        }
        problems
    }
}

/// The GCP facts of one `<stack>/gcp/<env>`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GcpFacts {
    /// The preflight of the state bucket; `None` when the stack keeps its
    /// state elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_bucket: Option<StateBucketFacts>,
}

/// What `lookup gcp` asks of one stack: the bucket of its `gcs` state
/// backend, if it has one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GcpLookup {
    /// The backend's `bucket`.
    pub state_bucket: Option<String>,
}

impl GcpLookup {
    /// What `stack` needs looked up.
    pub fn of(stack: &Stack) -> Self {
        GcpLookup {
            state_bucket: stack
                .backend()
                .filter(|b| b.backend_type() == "gcs")
                .and_then(|b| b.setting("bucket"))
                .and_then(Value::as_str)
                .map(str::to_string),
        }
    }
}

/// Fails the stack when its `gcs` backend's bucket is the one the
/// [`GcpFacts`] on the stack checked and the check found problems: one error
/// per problem, on the backend's `bucket` field, with the command that fixes
/// it. Another backend, another bucket, or no facts: no check.
pub fn check_state_bucket(stack: &mut Stack) {
    let Some(bucket) = stack
        .facts::<GcpFacts>()
        .and_then(|f| f.state_bucket.clone())
    else {
        return;
    };
    let backend_bucket = stack
        .backend()
        .filter(|b| b.backend_type() == "gcs")
        .and_then(|b| b.setting("bucket"))
        .and_then(Value::as_str);
    if backend_bucket != Some(bucket.name.as_str()) {
        return;
    }
    let env = stack.environment().map_or("<env>", |e| e.name());
    for (message, hint) in bucket.problems_for(env) {
        stack.error("terraform.backend.gcs", "bucket", &message, &hint);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> StateBucketFacts {
        StateBucketFacts {
            name: "acme-tfstate".to_string(),
            exists: true,
            versioning: true,
            uniform_bucket_level_access: true,
            public_access_prevention: "enforced".to_string(),
        }
    }

    #[test]
    fn a_good_bucket_has_no_problems() {
        assert!(good().problems().is_empty());
    }

    #[test]
    fn each_problem_has_its_own_fix() {
        let bad = StateBucketFacts {
            versioning: false,
            uniform_bucket_level_access: false,
            public_access_prevention: "inherited".to_string(),
            ..good()
        };
        let problems = bad.problems();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].1.contains("--versioning"));
        assert!(problems[1].1.contains("--uniform-bucket-level-access"));
        assert!(problems[2].0.contains("`inherited`"));
        let missing = StateBucketFacts {
            exists: false,
            ..good()
        };
        assert_eq!(missing.problems().len(), 1);
        assert!(missing.problems()[0].0.contains("does not exist"));
    }
}
