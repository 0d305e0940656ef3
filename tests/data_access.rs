//! Workloads reach exactly the data they declare, on every cloud, with their
//! own identity; the values never name a Secret, service account or identity
//! that nothing creates; the database bootstrap Job is an idempotent Helm hook.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use infrasynth::helm::{self, database_bootstrap, TerraformOutputs, ValuesFile};
use infrasynth::platform::{self, data_access, Access, Platform, WorkloadSpec};
use infrasynth::{Cloud, Environment};
use serde_json::Value as Json;

/// A platform with two databases, `orders` and `audit`: `reader` reads
/// `orders`, `writer` writes it and uses the cache, `idle` declares nothing.
fn two_databases(env: Environment) -> Platform {
    let mut p = common::stacks::mlops::platform(env);
    p.database.databases = vec!["orders".into(), "audit".into()];
    p.buckets.truncate(1);
    let bucket = p.buckets[0].name.clone();
    p.workloads = vec![
        WorkloadSpec::new("reader", "shop").database("orders", Access::Read),
        WorkloadSpec::new("writer", "shop")
            .database("orders", Access::ReadWrite)
            .cache(),
        WorkloadSpec::new("idle", "shop").bucket(&bucket, Access::Read),
    ];
    p
}

fn doc(platform: &Platform, cloud: Cloud) -> Json {
    let (stack, _) = platform::realize_as_of(platform, cloud, common::SUPPORT_DATE);
    let synthesized = stack
        .synth()
        .unwrap_or_else(|d| panic!("{cloud}: synth failed:\n{d}"));
    serde_json::from_str(synthesized.main_tf_json()).unwrap()
}

fn blocks<'a>(doc: &'a Json, kind: &str) -> BTreeMap<&'a str, &'a Json> {
    doc["resource"][kind]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.as_str(), v)).collect())
        .unwrap_or_default()
}

fn data<'a>(doc: &'a Json, kind: &str, name: &str) -> &'a Json {
    &doc["data"][kind][name]
}

/// The statements of an `aws_iam_policy_document` data source.
fn statements<'a>(doc: &'a Json, name: &str) -> Vec<&'a Json> {
    data(doc, "aws_iam_policy_document", name)["statement"]
        .as_array()
        .map(|s| s.iter().collect())
        .unwrap_or_default()
}

/// AWS: IAM database authentication is on (`iam_database_authentication_enabled`,
/// aws 5.100.0 `aws_db_instance`); a workload that uses a database gets
/// `rds-db:connect` on `arn:<partition>:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<its user>`
/// only (RDS User Guide, "Creating and using an IAM policy for IAM database
/// access"); `elasticache:Connect` only where the cache is declared; a
/// workload without a declaration gets neither.
#[test]
fn aws_grants_database_login_and_cache_only_where_declared() {
    let doc = doc(&two_databases(Environment::STAGING), Cloud::Aws);
    let instance = blocks(&doc, "aws_db_instance");
    assert_eq!(instance.len(), 1);
    assert_eq!(
        instance.values().next().unwrap()["iam_database_authentication_enabled"],
        true
    );
    for (workload, user, cache) in [("reader", "reader", false), ("writer", "writer", true)] {
        let login = statements(&doc, &format!("workload_{workload}_database"));
        assert_eq!(login.len(), 1, "{workload}");
        assert_eq!(login[0]["actions"], serde_json::json!(["rds-db:connect"]));
        let resource = login[0]["resources"].to_string();
        assert!(
            resource.contains(":rds-db:")
                && resource.contains(":dbuser:${aws_db_instance.")
                && resource.contains(&format!(".resource_id}}/{user}")),
            "{workload}: {resource}"
        );
        let policies = blocks(&doc, "aws_iam_role_policy");
        assert!(policies.contains_key(format!("workload_{workload}_database").as_str()));
        assert_eq!(
            policies.contains_key(format!("workload_{workload}_cache").as_str()),
            cache,
            "{workload}"
        );
    }
    // No data declaration: no database login, no cache.
    let policies = blocks(&doc, "aws_iam_role_policy");
    let idle: Vec<&&str> = policies
        .keys()
        .filter(|k| k.starts_with("workload_idle_"))
        .collect();
    assert_eq!(idle, [&"workload_idle_buckets"]);
    assert!(statements(&doc, "workload_idle_database").is_empty());
    // The bootstrap reads the master user secret, nothing else.
    let secrets = statements(&doc, "database_bootstrap_secrets");
    let actions: Vec<&Json> = secrets.iter().map(|s| &s["actions"]).collect();
    assert_eq!(
        actions,
        [
            &serde_json::json!(["secretsmanager:GetSecretValue"]),
            &serde_json::json!(["kms:Decrypt"])
        ]
    );
    assert!(secrets[0]["resources"]
        .to_string()
        .contains("master_user_secret[0].secret_arn"));
}

/// GCP: a Cloud SQL IAM user and the Cloud SQL roles only for workloads that
/// use a database; the Redis AUTH secret readable only by the cache's users
/// (google_redis_instance has no IAM authentication at google 6.50.0: no such
/// argument in the provider schema); the bootstrap's built-in admin password
/// readable only by the bootstrap's service account.
#[test]
fn gcp_makes_iam_users_and_secret_readers_only_where_declared() {
    let doc = doc(&two_databases(Environment::STAGING), Cloud::Gcp);
    let users = blocks(&doc, "google_sql_user");
    let iam: BTreeSet<&str> = users
        .iter()
        .filter(|(_, u)| u["type"] == "CLOUD_IAM_SERVICE_ACCOUNT")
        .map(|(name, _)| *name)
        .collect();
    assert_eq!(iam, BTreeSet::from(["reader", "writer"]));
    let admin = users["database_admin"];
    assert_eq!(admin["type"], "BUILT_IN");
    assert_eq!(admin["name"], data_access::GCP_ADMIN_USER);
    let readers = blocks(&doc, "google_secret_manager_secret_iam_member");
    let of = |secret: &str| -> BTreeSet<String> {
        readers
            .iter()
            .filter(|(_, r)| r["secret_id"].to_string().contains(secret))
            .map(|(name, _)| name.to_string())
            .collect()
    };
    assert_eq!(
        of("redis_auth"),
        BTreeSet::from(["redis_auth_writer".to_string()])
    );
    assert_eq!(
        of("database_admin"),
        BTreeSet::from(["database_admin_database_bootstrap".to_string()])
    );
    let members = blocks(&doc, "google_project_iam_member");
    let roles_of = |sa: &str| -> Vec<&str> {
        members
            .values()
            .filter(|m| {
                m["member"]
                    .to_string()
                    .contains(&format!("google_service_account.{sa}."))
            })
            .map(|m| m["role"].as_str().unwrap())
            .collect()
    };
    assert!(roles_of("idle").is_empty(), "{:?}", roles_of("idle"));
    assert!(roles_of("reader").contains(&"roles/cloudsql.instanceUser"));
    assert_eq!(roles_of("database_bootstrap"), ["roles/cloudsql.client"]);
    assert_eq!(
        doc["terraform"]["required_providers"]["random"]["source"],
        "hashicorp/random"
    );
}

/// Azure: the bootstrap identity is a second Entra administrator of the
/// server (principal type `ServicePrincipal`); a Managed Redis access policy
/// assignment only for the cache's users. azurerm 4.55.0 has no
/// `azurerm_managed_redis_access_policy_assignment` (it is in no resource of
/// ../shared/providers/azurerm-4.55.0.schema.json.gz; it arrived in 4.60), so
/// it is the ARM type `Microsoft.Cache/redisEnterprise/databases/accessPolicyAssignments`
/// through `azapi_resource`, parent the cache's `default` database.
#[test]
fn azure_makes_entra_admin_and_redis_assignments_only_where_declared() {
    let doc = doc(&two_databases(Environment::STAGING), Cloud::Azure);
    let admins = blocks(
        &doc,
        "azurerm_postgresql_flexible_server_active_directory_administrator",
    );
    assert_eq!(admins.len(), 2, "{admins:?}");
    let bootstrap = admins["database_bootstrap"];
    assert_eq!(bootstrap["principal_type"], "ServicePrincipal");
    assert_eq!(bootstrap["principal_name"], "mlops-staging-db-bootstrap");
    let assignments = blocks(&doc, "azapi_resource");
    assert_eq!(
        assignments.keys().copied().collect::<Vec<_>>(),
        ["redis_access_writer"]
    );
    let writer = assignments["redis_access_writer"];
    assert_eq!(
        writer["type"],
        "Microsoft.Cache/redisEnterprise/databases/accessPolicyAssignments@2025-07-01"
    );
    assert!(writer["parent_id"]
        .as_str()
        .unwrap()
        .ends_with("/databases/default"));
    assert_eq!(writer["body"]["properties"]["accessPolicyName"], "default");
    assert!(writer["body"]["properties"]["user"]["objectId"]
        .to_string()
        .contains("azurerm_user_assigned_identity.workload_writer.principal_id"));
    // The azapi resource is pinned; azurerm 4.55.0 never grows the resource.
    assert_eq!(
        doc["terraform"]["required_providers"]["azapi"]["source"],
        "Azure/azapi"
    );
    let schema = common::schema(Cloud::Azure);
    assert!(!schema
        .resources
        .contains_key("azurerm_managed_redis_access_policy_assignment"));
}

/// The bootstrap SQL (every cloud) grants `reader` CONNECT and SELECT on
/// `orders` only, `writer` everything on `orders` only, nothing to `idle`,
/// and closes both databases to PUBLIC (PostgreSQL grants CONNECT to PUBLIC
/// by default: "Privileges", PostgreSQL 16 docs, 5.7).
#[test]
fn the_bootstrap_grants_exactly_the_declared_databases() {
    let p = two_databases(Environment::DEV);
    for cloud in Cloud::ALL {
        let sql = database_bootstrap::sql(&p, cloud);
        let reader = match cloud {
            Cloud::Gcp => ":\"user_reader\"".to_string(),
            _ => "\"reader\"".to_string(),
        };
        let writer = reader.replace("reader", "writer");
        assert!(sql.contains(&format!(
            "GRANT CONNECT ON DATABASE \"orders\" TO {reader};"
        )));
        assert!(sql.contains(&format!(
            "GRANT SELECT ON ALL TABLES IN SCHEMA public TO {reader};"
        )));
        assert!(sql.contains(&format!(
            "GRANT ALL PRIVILEGES ON DATABASE \"orders\" TO {writer};"
        )));
        assert!(!sql.contains("ON DATABASE \"audit\" TO"), "{cloud}:\n{sql}");
        assert!(!sql.contains("idle"), "{cloud}:\n{sql}");
        // Reader gets no write privilege anywhere.
        for line in sql.lines().filter(|l| l.contains(&reader)) {
            assert!(
                !line.starts_with("GRANT ALL") && !line.contains("INSERT"),
                "{cloud}: {line}"
            );
        }
        for database in ["orders", "audit"] {
            assert!(sql.contains(&format!(
                "REVOKE ALL ON DATABASE \"{database}\" FROM PUBLIC;"
            )));
        }
    }
}

/// The SQL can run again and again: every CREATE is guarded by `IF NOT
/// EXISTS` (or `WHERE NOT EXISTS` where psql must substitute a variable,
/// which it does not inside `DO`); GRANT and REVOKE are idempotent in
/// PostgreSQL. AWS: the role is IAM-authenticated (`GRANT rds_iam`, RDS User
/// Guide "Creating a database account using IAM authentication"). Azure:
/// `pgaadauth_create_principal_with_oid` (Azure Database for PostgreSQL
/// flexible server docs, "Manage Microsoft Entra roles").
#[test]
fn the_bootstrap_sql_is_idempotent() {
    let p = two_databases(Environment::DEV);
    for cloud in Cloud::ALL {
        let sql = database_bootstrap::sql(&p, cloud);
        for statement in sql.split(";\n").filter(|s| s.contains("CREATE ")) {
            assert!(
                statement.contains("IF NOT EXISTS") || statement.contains("WHERE NOT EXISTS"),
                "{cloud}: unguarded: {statement}"
            );
        }
        match cloud {
            Cloud::Aws => {
                assert!(sql.contains("DO $$ BEGIN\n  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'reader') THEN\n    CREATE ROLE \"reader\" LOGIN;"));
                assert!(sql.contains("GRANT rds_iam TO \"reader\";"));
                // RDS makes the first database; the bootstrap the others.
                assert!(sql.contains("SELECT 'CREATE DATABASE \"audit\"' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'audit')\\gexec"));
            }
            Cloud::Azure => assert!(sql.contains(
                "SELECT pgaadauth_create_principal_with_oid('reader', :'oid_reader', 'service', false, false) WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'reader');"
            )),
            // Terraform creates the IAM users; only GRANTs here.
            Cloud::Gcp => assert!(!sql.contains("CREATE ROLE")),
        }
    }
}

/// The Job is a `pre-install,pre-upgrade` hook, its ServiceAccount and SQL
/// first (weight -10 before 0), the previous run deleted before the next
/// (Helm docs, "Chart Hooks"); the same template in every chart copy.
#[test]
fn the_bootstrap_job_is_a_pre_install_and_pre_upgrade_hook() {
    let generic = common::root().join("charts/workloads/templates/database-bootstrap.yaml");
    let text = std::fs::read_to_string(&generic).unwrap();
    for (key, value) in database_bootstrap::HOOK_ANNOTATIONS {
        let line = format!("    {key}: {value}");
        let quoted = format!("    {key}: \"{value}\"");
        assert!(
            text.contains(&line) || text.contains(&quoted),
            "missing `{line}`"
        );
    }
    assert_eq!(text.matches("helm.sh/hook-weight: \"-10\"").count(), 2);
    assert!(text.contains("kind: Job") && text.contains("restartPolicy: Never"));
    assert!(text.contains("-v ON_ERROR_STOP=1"));
    for copy in [
        "examples/own-crate/charts/retail/templates/database-bootstrap.yaml",
        "stacks/mlops/chart/templates/database-bootstrap.yaml",
    ] {
        assert_eq!(
            std::fs::read_to_string(common::root().join(copy)).unwrap(),
            text,
            "{copy}"
        );
    }
}

/// A workload naming a database the server does not have is one error naming
/// the workload's field and the valid names.
#[test]
fn an_unknown_database_is_one_error_naming_the_valid_ones() {
    let mut p = common::stacks::mlops::platform(Environment::DEV);
    p.workloads[0].databases = vec![("ap".into(), Access::Read)];
    for cloud in Cloud::ALL {
        let diagnostics = common::synth_errors(&p, cloud, "unknown database");
        let text = diagnostics.to_string();
        let errors: Vec<&str> = text.lines().filter(|l| l.starts_with("error")).collect();
        assert_eq!(errors.len(), 1, "{cloud}:\n{text}");
        assert!(
            errors[0].contains("resource `api-server`, field `databases`")
                && errors[0].contains("database `ap`"),
            "{text}"
        );
        assert!(
            text.contains("use one of: mlflow, airflow, app, or add `ap`"),
            "{text}"
        );
    }
}

// The walk of the reference stack's values and rendered manifests.

/// The outputs a stack declares.
fn declared_outputs(doc: &Json) -> BTreeSet<String> {
    doc["output"]
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// Values for every placeholder, each the output's name: rendering then
/// shows which output fills which key.
fn outputs_named_after_themselves(files: &[ValuesFile]) -> TerraformOutputs {
    let mut map = serde_json::Map::new();
    for file in files {
        for placeholder in &file.yaml.placeholders {
            let value = match placeholder.kind {
                helm::OutputType::Integer => serde_json::json!(5432),
                helm::OutputType::String if placeholder.output.contains("endpoint") => {
                    serde_json::json!(format!("https://{}.example", placeholder.output))
                }
                helm::OutputType::String if placeholder.output == "database_connection_name" => {
                    serde_json::json!("project:region:instance")
                }
                helm::OutputType::String if placeholder.output == "redis_ca_certificate" => {
                    serde_json::json!(
                        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
                    )
                }
                helm::OutputType::String => serde_json::json!(placeholder.output.replace('_', "-")),
            };
            map.insert(
                placeholder.output.clone(),
                serde_json::json!({"sensitive": false, "type": "string", "value": value}),
            );
        }
    }
    TerraformOutputs::parse(&Json::Object(map).to_string(), "outputs").unwrap()
}

/// Every key of `value` named like a Secret reference, with its path.
fn secret_keys(value: &Json, path: &str, found: &mut Vec<(String, Json)>) {
    match value {
        Json::Object(map) => {
            for (key, child) in map {
                let here = format!("{path}.{key}");
                let lower = key.to_lowercase();
                if lower.contains("existingsecret") || lower.contains("secretref") {
                    found.push((here.clone(), child.clone()));
                }
                secret_keys(child, &here, found);
            }
        }
        Json::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                secret_keys(item, &format!("{path}[{i}]"), found);
            }
        }
        _ => {}
    }
}

/// The app chart's values of the reference stack on every cloud and
/// environment name no Secret at all, and every identity its service
/// accounts carry is a Terraform output the stack declares; rendered with
/// the chart (offline, helm-python-sdk via scripts/helm-lint.sh), every
/// ServiceAccount, Secret and ConfigMap a pod uses is one the chart creates
/// (TLS Secrets excepted: cert-manager creates those of an Ingress it
/// annotates).
#[test]
fn the_values_reference_only_what_the_stack_or_the_chart_creates() {
    let dir = tempfile::tempdir().unwrap();
    let mut rendered_paths = Vec::new();
    for cloud in Cloud::ALL {
        for env in Environment::DEFAULTS {
            let label = format!("{cloud} {env}");
            let synthesized = common::synth(cloud, env);
            let doc: Json = serde_json::from_str(synthesized.main_tf_json()).unwrap();
            let declared = declared_outputs(&doc);
            let p = common::stacks::mlops::platform(env);
            let settings = common::stacks::mlops::helm_settings(env);
            let files = helm::values(&p, cloud, &settings).unwrap();
            let app = files.iter().find(|f| f.chart == "mlops").unwrap();
            // Every output the values need exists (identities included).
            for placeholder in &app.yaml.placeholders {
                assert!(
                    declared.contains(&placeholder.output),
                    "{label}: `{}` needs undeclared output `{}`",
                    placeholder.key,
                    placeholder.output
                );
            }
            let identities: BTreeSet<&str> = app
                .yaml
                .placeholders
                .iter()
                .filter(|p| p.key.contains(".serviceAccount.annotations"))
                .map(|p| p.output.as_str())
                .collect();
            let mut expected: BTreeSet<String> = p
                .workloads
                .iter()
                .map(|w| platform::outputs::workload_identity(&w.name))
                .filter(|o| app.yaml.placeholders.iter().any(|p| &p.output == o))
                .collect();
            expected.insert(data_access::BOOTSTRAP_IDENTITY.to_string());
            assert_eq!(
                identities,
                expected.iter().map(String::as_str).collect(),
                "{label}"
            );
            let templates: BTreeMap<String, String> = files
                .iter()
                .map(|f| {
                    (
                        f.path().trim_start_matches("helm/").to_string(),
                        f.yaml.text.clone(),
                    )
                })
                .collect();
            let rendered =
                helm::render_all(&templates, &outputs_named_after_themselves(&files)).unwrap();
            let text = &rendered["mlops.values.yaml"];
            let values: Json = serde_saphyr::from_str(text).unwrap();
            let mut found = Vec::new();
            secret_keys(&values, "", &mut found);
            assert!(found.is_empty(), "{label}: {found:?}");
            let path = dir.path().join(format!("{cloud}-{env}.values.yaml"));
            std::fs::write(&path, text).unwrap();
            rendered_paths.push(path);
        }
    }
    let render = dir.path().join("manifests");
    let output = std::process::Command::new(common::root().join("scripts/helm-lint.sh"))
        .arg("--chart")
        .arg(common::root().join("stacks/mlops/chart"))
        .arg("--render")
        .arg(&render)
        .args(&rendered_paths)
        .output()
        .expect("run scripts/helm-lint.sh");
    let text = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    if text.contains("SKIPPED") {
        println!("{text}");
        return;
    }
    assert!(output.status.success(), "{text}");
    for path in &rendered_paths {
        let name = path.file_name().unwrap().to_string_lossy();
        let manifests: Vec<Json> = serde_json::from_str(
            &std::fs::read_to_string(render.join(format!("{name}.manifests.json"))).unwrap(),
        )
        .unwrap();
        check_manifests(&name, &manifests);
    }
}

/// Every ServiceAccount, Secret and ConfigMap a pod of `manifests` uses is
/// created among them (Secrets: or by cert-manager for an Ingress's TLS).
fn check_manifests(label: &str, manifests: &[Json]) {
    let created = |kind: &str| -> BTreeSet<(String, String)> {
        manifests
            .iter()
            .filter(|m| m["kind"] == kind)
            .map(|m| {
                (
                    m["metadata"]["namespace"]
                        .as_str()
                        .unwrap_or("")
                        .to_string(),
                    m["metadata"]["name"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let accounts = created("ServiceAccount");
    let configmaps = created("ConfigMap");
    let mut secrets = created("Secret");
    for ingress in manifests.iter().filter(|m| m["kind"] == "Ingress") {
        assert!(ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"].is_string());
        for tls in ingress["spec"]["tls"].as_array().into_iter().flatten() {
            secrets.insert((
                ingress["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                tls["secretName"].as_str().unwrap().to_string(),
            ));
        }
    }
    let mut pods = 0;
    for workload in manifests
        .iter()
        .filter(|m| m["kind"] == "Deployment" || m["kind"] == "Job")
    {
        pods += 1;
        let namespace = workload["metadata"]["namespace"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let pod = &workload["spec"]["template"]["spec"];
        let account = pod["serviceAccountName"].as_str().unwrap().to_string();
        assert!(
            accounts.contains(&(namespace.clone(), account.clone())),
            "{label}: {} runs as service account `{account}`, which nothing creates",
            workload["metadata"]["name"]
        );
        let mut refs = Vec::new();
        collect_refs(pod, &mut refs);
        for (kind, name) in refs {
            let pool = if kind == "Secret" {
                &secrets
            } else {
                &configmaps
            };
            assert!(
                pool.contains(&(namespace.clone(), name.clone())),
                "{label}: {} references {kind} `{name}`, which nothing creates",
                workload["metadata"]["name"]
            );
        }
    }
    // The Job passes each psql variable its value, named as the SQL uses it.
    for job in manifests.iter().filter(|m| m["kind"] == "Job") {
        let psql = &job["spec"]["template"]["spec"]["containers"][0];
        let command = psql["command"][2].as_str().unwrap();
        assert!(command.contains("-v ON_ERROR_STOP=1"), "{label}: {command}");
        let sql = manifests
            .iter()
            .find(|m| m["kind"] == "ConfigMap" && m["data"]["bootstrap.sql"].is_string())
            .map(|m| m["data"]["bootstrap.sql"].as_str().unwrap())
            .unwrap_or_else(|| panic!("{label}: no SQL ConfigMap"));
        let variables: Vec<&str> = psql["env"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["name"].as_str().unwrap().strip_prefix("VAR_"))
            .collect();
        // GCP's IAM user names and Azure's object ids are known after apply.
        assert_eq!(variables.is_empty(), label.starts_with("aws"), "{label}");
        for variable in variables {
            assert!(
                command.contains(&format!("-v {variable}=\"$VAR_{variable}\"")),
                "{label}: {command}"
            );
            assert!(
                sql.contains(&format!(":'{variable}'"))
                    || sql.contains(&format!(":\"{variable}\""))
            );
        }
    }
    assert!(pods > 0, "{label}: nothing rendered");
    assert!(
        manifests.iter().any(|m| m["kind"] == "Job"),
        "{label}: no bootstrap Job"
    );
}

/// The Secrets and ConfigMaps a pod spec references (env, envFrom, volumes).
fn collect_refs(value: &Json, refs: &mut Vec<(&'static str, String)>) {
    match value {
        Json::Object(map) => {
            for (key, child) in map {
                let kind = match key.as_str() {
                    "secretKeyRef" | "secretRef" => Some(("Secret", "name")),
                    "secret" => Some(("Secret", "secretName")),
                    "configMapKeyRef" | "configMapRef" | "configMap" => Some(("ConfigMap", "name")),
                    _ => None,
                };
                if let Some((kind, field)) = kind {
                    if let Some(name) = child[field].as_str() {
                        refs.push((kind, name.to_string()));
                    }
                }
                collect_refs(child, refs);
            }
        }
        Json::Array(items) => items.iter().for_each(|i| collect_refs(i, refs)),
        _ => {}
    }
}

/// The case: `database.databases = ["orders", "features"]` and no
/// workload that uses a database. Every database exists after deploy on
/// every cloud, and each `database_name_*` output names one that does:
/// GCP and Azure create each with Terraform (`google_sql_database`,
/// `azurerm_postgresql_flexible_server_database`); RDS creates only
/// `db_name`, the first (aws 5.100.0 `aws_db_instance`: "The name of the
/// database to create when the DB instance is created"), so the bootstrap
/// Job runs even without database users and creates `features`. Before,
/// AWS declared `database_name_features` for a database that never existed.
#[test]
fn every_declared_database_exists_after_deploy_on_every_cloud() {
    let mut p = common::stacks::mlops::platform(Environment::DEV);
    p.database.databases = vec!["orders".into(), "features".into()];
    for workload in &mut p.workloads {
        workload.databases.clear();
    }
    for cloud in Cloud::ALL {
        let doc = doc(&p, cloud);
        let outputs = declared_outputs(&doc);
        let created: BTreeSet<String> = match cloud {
            Cloud::Aws => {
                let instance = blocks(&doc, "aws_db_instance");
                let first = instance.values().next().unwrap()["db_name"]
                    .as_str()
                    .unwrap()
                    .to_string();
                let bootstrap = database_bootstrap::values(&p, cloud);
                assert!(bootstrap.is_some(), "no bootstrap Job to create the others");
                let sql = database_bootstrap::sql(&p, cloud);
                let mut created = BTreeSet::from([first]);
                for database in &p.database.databases {
                    if sql.contains(&format!("'CREATE DATABASE \"{database}\"'")) {
                        created.insert(database.clone());
                    }
                }
                created
            }
            Cloud::Gcp => blocks(&doc, "google_sql_database")
                .values()
                .map(|b| b["name"].as_str().unwrap().to_string())
                .collect(),
            Cloud::Azure => blocks(&doc, "azurerm_postgresql_flexible_server_database")
                .values()
                .map(|b| b["name"].as_str().unwrap().to_string())
                .collect(),
        };
        let wanted: BTreeSet<String> = p.database.databases.iter().cloned().collect();
        assert_eq!(created, wanted, "{cloud}: databases created");
        let declared: BTreeSet<String> = outputs
            .iter()
            .filter_map(|o| o.strip_prefix("database_name_"))
            .map(str::to_string)
            .collect();
        assert_eq!(declared, wanted, "{cloud}: database_name_* outputs");
    }
    // With one database and no users, AWS needs no Job either.
    p.database.databases.truncate(1);
    assert!(database_bootstrap::values(&p, Cloud::Aws).is_none());
}
