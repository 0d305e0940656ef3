//! The database bootstrap Job of the app chart: the privileges only SQL can
//! grant, derived from the workloads' declared database use
//! ([`WorkloadSpec::databases`]), applied before every install and upgrade.
//!
//! The chart renders it as a Helm hook (`pre-install,pre-upgrade`), so the
//! workloads start only once their roles and grants exist; a failed Job fails
//! the release. It runs as the platform's one database administrator identity
//! ([`crate::platform::data_access`]): an init container fetches the admin
//! login with the Job's cloud identity (AWS: the RDS master user secret; GCP:
//! the built-in admin's password in Secret Manager; Azure: an Entra token of
//! the bootstrap identity, itself an Entra administrator) into a memory
//! volume, then `psql` runs [`sql`] with `ON_ERROR_STOP`.
//!
//! The SQL is idempotent (every run converges on the same grants): roles are
//! created inside `IF NOT EXISTS` (a `DO` block, or a guarded `SELECT` where a
//! psql variable is needed, which psql does not substitute inside `DO`),
//! `GRANT`s are no-ops when held, and every platform database is closed to
//! `PUBLIC` (PostgreSQL grants `CONNECT` to `PUBLIC` by default), so a
//! workload reaches exactly the databases it declares.
//!
//! | access | database | schema `public`, its tables and sequences |
//! |---|---|---|
//! | read | `CONNECT` | `USAGE`; `SELECT` on what exists at the run |
//! | read-write | `ALL` | `ALL` |
//!
//! Tables a read-write workload creates later become readable to the readers
//! at the next run (every `helm upgrade`): default privileges would need the
//! administrator to be a member of each workload's role, which PostgreSQL 16
//! no longer lets a non-superuser administrator take on roles it did not
//! create (Cloud SQL's IAM users).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::placeholder::{Deferred, FromOutput};
use super::wiring;
use super::workloads::{Image, ServiceAccountSettings};
use crate::core::environment::Cloud;
use crate::platform::{data_access, Access, Platform, WorkloadSpec};

/// The `psql` client image, pinned (PostgreSQL 17's client talks to servers
/// 9.2 and later).
pub const PSQL_IMAGE: (&str, &str) = ("docker.io/library/postgres", "17.6-alpine");

/// The AWS CLI image, pinned.
pub const AWS_CLI_IMAGE: (&str, &str) = ("public.ecr.aws/aws-cli/aws-cli", "2.27.50");

/// The Google Cloud CLI image, pinned.
pub const GCLOUD_IMAGE: (&str, &str) = (
    "gcr.io/google.com/cloudsdktool/google-cloud-cli",
    "530.0.0-slim",
);

/// The Azure CLI image, pinned.
pub const AZURE_CLI_IMAGE: (&str, &str) = ("mcr.microsoft.com/azure-cli", "2.75.0");

/// The database the script starts in: `postgres`, which every server has
/// (RDS, Cloud SQL and the flexible server create it), and the one where
/// Azure's `pgaadauth_create_principal_with_oid` must run (Azure Database for
/// PostgreSQL docs, "Manage Microsoft Entra roles": connect to `postgres`).
pub const ADMIN_DATABASE: &str = "postgres";

/// The Helm hook annotations of every bootstrap object: run before install
/// and upgrade, the ServiceAccount and SQL first (lower weight), the
/// previous run's objects deleted before a new one.
pub const HOOK_ANNOTATIONS: [(&str, &str); 3] = [
    ("helm.sh/hook", "pre-install,pre-upgrade"),
    ("helm.sh/hook-delete-policy", "before-hook-creation"),
    ("helm.sh/hook-weight", "0"),
];

/// The bootstrap Job (`databaseBootstrap` in the values); absent when no
/// workload uses a database.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseBootstrap {
    /// Render the Job.
    pub enabled: bool,
    /// Its namespace (the app's).
    pub namespace: String,
    /// The service account its cloud identity trusts (created by the chart).
    pub service_account: ServiceAccountSettings,
    /// Pod labels (workload identity on Azure).
    pub pod_labels: BTreeMap<String, String>,
    /// The `psql` image.
    pub image: Image,
    /// The init container writing `/credentials/user` and
    /// `/credentials/password`.
    pub credentials: Credentials,
    /// The database `psql` connects to first (`PGDATABASE`):
    /// [`ADMIN_DATABASE`].
    pub database: String,
    /// Values of the SQL's psql variables (`-v name=value`): GCP's IAM user
    /// names, Azure's Entra object ids, known only after apply.
    pub variables: BTreeMap<String, Deferred<String>>,
    /// The SQL ([`sql`]).
    pub sql: String,
    /// Run the Cloud SQL Auth Proxy beside `psql` (GCP), logging in with the
    /// password, not IAM.
    pub cloud_sql_proxy: bool,
}

/// The init container fetching the admin login.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Credentials {
    /// The cloud's CLI image.
    pub image: Image,
    /// Its command (`sh -ec <script>`).
    pub command: Vec<String>,
    /// Its environment: where the secret is, the region, the admin's name.
    pub env: BTreeMap<String, Deferred<String>>,
}

fn image((repository, tag): (&str, &str)) -> Image {
    Image {
        repository: repository.to_string(),
        tag: tag.to_string(),
        pull_policy: "IfNotPresent".to_string(),
    }
}

/// The bootstrap Job of `platform` on `cloud`; `None` when it has nothing to
/// do ([`data_access::needs_bootstrap`]: no workload uses a database, and on
/// AWS the server has one database).
pub fn values(platform: &Platform, cloud: Cloud) -> Option<DatabaseBootstrap> {
    if !data_access::needs_bootstrap(platform, cloud) {
        return None;
    }
    let mut variables = BTreeMap::new();
    for workload in data_access::database_users(platform) {
        match cloud {
            Cloud::Aws => {}
            Cloud::Gcp => {
                variables.insert(
                    user_variable(workload),
                    Deferred::Output(FromOutput::string(data_access::database_user_output(
                        &workload.name,
                    ))),
                );
            }
            Cloud::Azure => {
                variables.insert(
                    oid_variable(workload),
                    Deferred::Output(FromOutput::string(data_access::principal_output(
                        &workload.name,
                    ))),
                );
            }
        }
    }
    let secret = || Deferred::Output(FromOutput::string(data_access::BOOTSTRAP_ADMIN_SECRET));
    let known = |text: &str| Deferred::Known(text.to_string());
    let (cli, script, env): (_, &str, Vec<(&str, Deferred<String>)>) = match cloud {
        Cloud::Aws => (
            AWS_CLI_IMAGE,
            // RDS's master user secret is JSON `{"username", "password"}`;
            // its generated passwords hold no `"` (RDS excludes it).
            r#"aws secretsmanager get-secret-value --secret-id "$ADMIN_SECRET" --query SecretString --output text > /tmp/secret.json
sed -n 's/.*"username" *: *"\([^"]*\)".*/\1/p' /tmp/secret.json > /credentials/user
sed -n 's/.*"password" *: *"\([^"]*\)".*/\1/p' /tmp/secret.json > /credentials/password
rm /tmp/secret.json"#,
            vec![
                ("ADMIN_SECRET", secret()),
                ("AWS_REGION", known(&platform.regions.aws)),
                ("HOME", known("/tmp")),
            ],
        ),
        Cloud::Gcp => (
            GCLOUD_IMAGE,
            r#"gcloud secrets versions access latest --secret="$ADMIN_SECRET" > /credentials/password
printf %s "$ADMIN_USER" > /credentials/user"#,
            vec![
                ("ADMIN_SECRET", secret()),
                ("ADMIN_USER", known(data_access::GCP_ADMIN_USER)),
                ("CLOUDSDK_CONFIG", known("/tmp/gcloud")),
            ],
        ),
        Cloud::Azure => (
            AZURE_CLI_IMAGE,
            // AZURE_CLIENT_ID, AZURE_TENANT_ID and the token file come from
            // the workload identity webhook.
            r#"az login --service-principal --username "$AZURE_CLIENT_ID" --tenant "$AZURE_TENANT_ID" --federated-token "$(cat "$AZURE_FEDERATED_TOKEN_FILE")" --allow-no-subscriptions > /dev/null
az account get-access-token --resource-type oss-rdbms --query accessToken --output tsv > /credentials/password
printf %s "$ADMIN_USER" > /credentials/user"#,
            vec![
                (
                    "ADMIN_USER",
                    known(&data_access::bootstrap_identity_name(platform)),
                ),
                ("AZURE_CONFIG_DIR", known("/tmp/azure")),
            ],
        ),
    };
    let annotations = BTreeMap::from([(
        wiring::identity_annotation_key(cloud).to_string(),
        FromOutput::string(data_access::BOOTSTRAP_IDENTITY),
    )]);
    Some(DatabaseBootstrap {
        enabled: true,
        namespace: data_access::bootstrap_namespace(platform),
        service_account: ServiceAccountSettings {
            name: data_access::bootstrap_service_account(platform),
            annotations,
            labels: wiring::identity_service_account_labels(cloud),
        },
        pod_labels: wiring::identity_pod_labels(cloud),
        image: image(PSQL_IMAGE),
        credentials: Credentials {
            image: image(cli),
            command: vec!["sh".to_string(), "-ec".to_string(), script.to_string()],
            env: env.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        },
        database: ADMIN_DATABASE.to_string(),
        variables,
        sql: sql(platform, cloud),
        cloud_sql_proxy: cloud == Cloud::Gcp,
    })
}

/// The psql variable holding a workload's IAM database user (GCP).
fn user_variable(workload: &WorkloadSpec) -> String {
    format!("user_{}", workload.database_user())
}

/// The psql variable holding a workload identity's Entra object id (Azure).
fn oid_variable(workload: &WorkloadSpec) -> String {
    format!("oid_{}", workload.database_user())
}

/// `name` as a PostgreSQL identifier, double-quoted.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `text` as a PostgreSQL string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The role a workload logs in as, as the SQL spells it: its
/// [`WorkloadSpec::database_user`] (AWS, Azure), or the psql variable with
/// its IAM user (GCP).
fn role(cloud: Cloud, workload: &WorkloadSpec) -> String {
    match cloud {
        Cloud::Gcp => format!(":\"{}\"", user_variable(workload)),
        Cloud::Aws | Cloud::Azure => ident(&workload.database_user()),
    }
}

/// The bootstrap's SQL for `platform` on `cloud`: a psql script, idempotent,
/// granting each workload exactly the databases it declares (see the
/// [module docs](self)).
///
/// ```
/// use infrasynth::helm::database_bootstrap::sql;
/// use infrasynth::platform::{Access, Platform, WorkloadSpec};
/// use infrasynth::{Cloud, Environment};
/// let mut p = Platform::new("shop", Environment::DEV);
/// p.database.databases = vec!["app".into(), "audit".into()];
/// p.workloads.push(WorkloadSpec::new("api", "shop").database("app", Access::Read));
/// let text = sql(&p, Cloud::Aws);
/// assert!(text.contains("GRANT CONNECT ON DATABASE \"app\" TO \"api\";"));
/// assert!(!text.contains("ON DATABASE \"audit\" TO"));
/// ```
pub fn sql(platform: &Platform, cloud: Cloud) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "-- Generated by infrasynth for {}: the database grants of the platform's workloads.\n-- Idempotent: every run converges on the same roles and grants.",
        platform.stack_name()
    );
    let databases = &platform.database.databases;
    let users: Vec<&WorkloadSpec> = data_access::database_users(platform).collect();
    if cloud == Cloud::Aws {
        out.push_str("\n-- RDS creates only the first database; the others here.\n");
        for database in databases.iter().skip(1) {
            let _ = writeln!(
                out,
                "SELECT 'CREATE DATABASE {}' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = {})\\gexec",
                ident(database).replace('\'', "''"),
                literal(database)
            );
        }
    }
    out.push_str("\n-- A role per workload that uses a database.\n");
    for workload in &users {
        let name = workload.database_user();
        match cloud {
            Cloud::Aws => {
                let _ = writeln!(
                    out,
                    "DO $$ BEGIN\n  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {}) THEN\n    CREATE ROLE {} LOGIN;\n  END IF;\nEND $$;",
                    literal(&name),
                    ident(&name)
                );
                // IAM database authentication: the role logs in with a token.
                let _ = writeln!(out, "GRANT rds_iam TO {};", ident(&name));
            }
            Cloud::Azure => {
                let _ = writeln!(
                    out,
                    "SELECT pgaadauth_create_principal_with_oid({}, :'{}', 'service', false, false) WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {});",
                    literal(&name),
                    oid_variable(workload),
                    literal(&name)
                );
            }
            Cloud::Gcp => {
                let _ = writeln!(
                    out,
                    "-- {}: the IAM database user Terraform created, {}",
                    workload.name,
                    role(cloud, workload)
                );
            }
        }
    }
    out.push_str("\n-- No database is open to every role.\n");
    for database in databases {
        let _ = writeln!(
            out,
            "REVOKE ALL ON DATABASE {} FROM PUBLIC;",
            ident(database)
        );
    }
    for database in databases {
        let granted: Vec<(&WorkloadSpec, Access)> = users
            .iter()
            .filter_map(|w| {
                w.databases
                    .iter()
                    .find(|(name, _)| name == database)
                    .map(|(_, access)| (*w, *access))
            })
            .collect();
        if granted.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n-- {database}");
        for (workload, access) in &granted {
            let privilege = match access {
                Access::Read => "CONNECT",
                Access::ReadWrite => "ALL PRIVILEGES",
            };
            let _ = writeln!(
                out,
                "GRANT {privilege} ON DATABASE {} TO {};",
                ident(database),
                role(cloud, workload)
            );
        }
        let _ = writeln!(out, "\\connect {}", ident(database));
        for (workload, access) in &granted {
            let role = role(cloud, workload);
            match access {
                Access::Read => {
                    let _ = writeln!(out, "GRANT USAGE ON SCHEMA public TO {role};");
                    let _ = writeln!(
                        out,
                        "GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role};"
                    );
                    let _ = writeln!(
                        out,
                        "GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO {role};"
                    );
                }
                Access::ReadWrite => {
                    let _ = writeln!(out, "GRANT ALL ON SCHEMA public TO {role};");
                    let _ = writeln!(out, "GRANT ALL ON ALL TABLES IN SCHEMA public TO {role};");
                    let _ = writeln!(
                        out,
                        "GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role};"
                    );
                }
            }
        }
    }
    out
}
