//! The reference platform realized on Azure: snapshots per environment, the
//! azurerm schema check, determinism, outputs, and secure defaults.

mod common;

use std::collections::BTreeSet;

use infrasynth::schema::ProviderSchema;
use infrasynth::{Cloud, Environment};
use serde_json::Value as Json;

fn synth(env: Environment) -> String {
    common::synth(Cloud::Azure, env).main_tf_json().to_string()
}

fn doc(env: Environment) -> Json {
    serde_json::from_str(&synth(env)).expect("valid JSON")
}

/// The extracted azurerm schema plus the hand-written data source schemas
/// (the rebuilt azurerm schema has none).
fn azurerm_schema() -> ProviderSchema {
    let mut schema = common::schema(Cloud::Azure);
    let path = common::root().join("providers/azurerm/data_sources.json");
    let text = std::fs::read_to_string(&path).expect("providers/azurerm/data_sources.json");
    let json: Json = serde_json::from_str(&text).expect("data_sources.json is JSON");
    let extra = ProviderSchema::from_json(&json).expect("data source schema");
    schema.data_sources.extend(extra.data_sources);
    schema
}

/// The hand-written schema of the one `hashicorp/time` resource the Azure
/// builders emit (`time_sleep`; see the file's `_comment`).
fn time_schema() -> ProviderSchema {
    ProviderSchema::load(&common::root().join("providers/time/schema.json"))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn resource_count(doc: &Json) -> usize {
    doc["resource"]
        .as_object()
        .map(|types| {
            types
                .values()
                .filter_map(Json::as_object)
                .map(|b| b.len())
                .sum()
        })
        .unwrap_or(0)
}

fn blocks<'a>(doc: &'a Json, resource_type: &str) -> Vec<(&'a String, &'a Json)> {
    doc["resource"][resource_type]
        .as_object()
        .map(|blocks| blocks.iter().collect())
        .unwrap_or_default()
}

#[test]
fn snapshot_dev() {
    common::assert_snapshot("azure-dev", &synth(Environment::DEV));
}

#[test]
fn snapshot_staging() {
    common::assert_snapshot("azure-staging", &synth(Environment::STAGING));
}

#[test]
fn snapshot_production() {
    common::assert_snapshot("azure-production", &synth(Environment::PRODUCTION));
}

#[test]
fn every_env_passes_the_azurerm_schema_check() {
    println!(
        "note: the azurerm provider binary is not available offline, so the schema \
         ../shared/providers/azurerm-4.55.0.schema.json.gz (rebuilt from \
         @cdktf/provider-azurerm for azurerm 4.55.0, extracted into \
         providers/azurerm/schema.json) is the oracle; `terraform validate` is not run"
    );
    let schema = azurerm_schema();
    for env in Environment::DEFAULTS {
        let doc = doc(env);
        let mut violations = schema.check(&doc, "azurerm_", "azurerm");
        violations.extend(time_schema().check(&doc, "time_", "time"));
        let types: BTreeSet<&String> = doc["resource"]
            .as_object()
            .map(|t| t.keys().collect())
            .unwrap_or_default();
        println!(
            "schema check azure/{env}: {} resources of {} azurerm types, 1 data source, {} violation(s)",
            resource_count(&doc),
            types.len(),
            violations.len()
        );
        let list: Vec<String> = violations.iter().map(ToString::to_string).collect();
        assert!(
            violations.is_empty(),
            "azure/{env}: {} schema violation(s):\n  {}",
            list.len(),
            list.join("\n  ")
        );
    }
}

#[test]
fn every_emitted_type_is_listed_in_resources_txt() {
    let listed = std::fs::read_to_string(common::root().join("providers/azurerm/resources.txt"))
        .expect("resources.txt");
    let listed: BTreeSet<&str> = listed
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .collect();
    let time = time_schema();
    for env in Environment::DEFAULTS {
        let doc = doc(env);
        for resource_type in doc["resource"].as_object().expect("resources").keys() {
            // Managed Redis access policy assignments: an ARM type azurerm
            // 4.55.0 has no resource for, written with azapi (whose
            // `azapi_resource` takes any ARM type; checked in
            // tests/data_access.rs).
            if resource_type == "azapi_resource" {
                continue;
            }
            if resource_type.starts_with("time_") {
                assert!(
                    time.resources.contains_key(resource_type),
                    "{resource_type} is emitted but not in providers/time/schema.json"
                );
                continue;
            }
            assert!(
                listed.contains(resource_type.as_str()),
                "{resource_type} is emitted but not in providers/azurerm/resources.txt"
            );
        }
    }
}

#[test]
fn synth_is_byte_identical_across_runs() {
    for env in Environment::DEFAULTS {
        let first = common::synth(Cloud::Azure, env);
        let second = common::synth(Cloud::Azure, env);
        assert_eq!(
            first.files(),
            second.files(),
            "azure/{env} differs between runs"
        );
    }
}

#[test]
fn declares_every_output_named_in_platform_outputs() {
    let platform = common::stacks::mlops::platform(Environment::PRODUCTION);
    let doc = doc(Environment::PRODUCTION);
    let declared = doc["output"].as_object().expect("outputs");
    for name in common::expected_outputs(&platform) {
        assert!(declared.contains_key(&name), "output `{name}` is missing");
    }
}

#[test]
fn provider_is_pinned_and_configured() {
    let doc = doc(Environment::DEV);
    assert_eq!(
        doc["terraform"]["required_providers"]["azurerm"]["version"],
        "~> 4.55"
    );
    assert_eq!(
        doc["terraform"]["required_providers"]["azurerm"]["source"],
        "hashicorp/azurerm"
    );
    let provider = &doc["provider"]["azurerm"];
    assert!(
        provider["features"].is_object(),
        "features block: {provider}"
    );
    assert_eq!(provider["subscription_id"], "${var.subscription_id}");
    assert!(doc["variable"]["subscription_id"].is_object());
    // azurerm 4.55 registers its "legacy" set of resource providers by
    // default (`resource_provider_registrations`, internal/provider/provider.go;
    // the set in internal/resourceproviders/required.go), which lacks
    // Microsoft.Insights: diagnostic settings and data collection rules.
    assert_eq!(
        provider["resource_providers_to_register"],
        serde_json::json!(["Microsoft.Insights"])
    );
}

/// azurerm 4.55 polls the blob, queue and static-website endpoints of a new
/// storage account, and reads queue and static-website properties on every
/// refresh, unless the provider feature `storage.data_plane_available` is
/// `false` (default `true`; `internal/provider/features.go` and
/// `internal/services/storage/storage_account_resource.go` at v4.55.0). The
/// account's public network access is off and only blob has a private
/// endpoint, so the runner gets a 403 that fails the create and taints the
/// account (provider issues #25978, #32474). With the feature off the
/// provider refuses `queue_properties` and `static_website`, so neither may
/// be set.
#[test]
fn storage_account_is_created_without_its_data_plane() {
    for env in Environment::DEFAULTS {
        let doc = doc(env);
        let storage = &doc["provider"]["azurerm"]["features"]["storage"];
        assert_eq!(
            storage[0]["data_plane_available"], false,
            "azure/{env}: features.storage.data_plane_available must be false: {storage}"
        );
        for (name, account) in blocks(&doc, "azurerm_storage_account") {
            assert_eq!(account["public_network_access_enabled"], false, "{name}");
            for data_plane_block in ["queue_properties", "static_website"] {
                assert!(
                    account.get(data_plane_block).is_none(),
                    "azure/{env}: {name} sets `{data_plane_block}`, which needs the data plane"
                );
            }
        }
        // Containers go through Azure Resource Manager (`storage_account_id`),
        // never the data plane (`storage_account_name`).
        for (name, container) in blocks(&doc, "azurerm_storage_container") {
            assert!(container["storage_account_id"].is_string(), "{name}");
            assert!(container.get("storage_account_name").is_none(), "{name}");
        }
    }
}

/// With `auto_key_rotation_enabled = true` azurerm 4.55 requires a
/// versionless key id and reads the key's newest version with `GetKey`
/// through the Key Vault data plane, as the runner, on create and on every key
/// change; with `false` it sends the versioned id as given and looks the vault
/// up through Azure Resource Manager only
/// (`internal/services/compute/disk_encryption_set_resource.go` at v4.55.0).
/// The CMK vault is private, so the set pins a version.
#[test]
fn disk_encryption_set_never_reads_the_key_through_the_vault_data_plane() {
    for env in Environment::DEFAULTS {
        let doc = doc(env);
        let sets = blocks(&doc, "azurerm_disk_encryption_set");
        assert_eq!(sets.len(), 1, "azure/{env}");
        for (name, des) in sets {
            assert_eq!(
                des["auto_key_rotation_enabled"], false,
                "azure/{env}: {name} would read the key through the data plane"
            );
            assert_eq!(
                des["key_vault_key_id"], "${var.cmk_key_id}/${var.cmk_key_version}",
                "azure/{env}: {name} must name a key version"
            );
        }
        assert!(
            doc["variable"]["cmk_key_version"].is_object(),
            "azure/{env}"
        );
        // The storage account follows the versionless key: the storage service
        // rotates it, and azurerm only looks the vault up through ARM
        // (storage_account_resource.go, expandAccountCustomerManagedKey).
        for (name, account) in blocks(&doc, "azurerm_storage_account") {
            assert_eq!(
                account["customer_managed_key"][0]["key_vault_key_id"], "${var.cmk_key_id}",
                "{name}"
            );
        }
    }
}

/// The `depends_on` list of a block, as addresses.
fn depends_on(block: &Json) -> Vec<&str> {
    block["depends_on"]
        .as_array()
        .map(|d| d.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default()
}

/// Azure RBAC is eventually consistent: Azure documents that a new role
/// assignment can take up to 10 minutes to take effect (learn.microsoft.com,
/// "Troubleshoot Azure RBAC", role assignment changes not detected), and a
/// role used seconds after creation fails intermittently with
/// `KeyVaultAuthenticationFailure` (storage account and disk encryption set
/// checking the CMK as their identity) or `LinkedAuthorizationFailed` (AKS
/// joining the subnet as its control-plane identity). Every resource that acts
/// through a role the stack assigns waits on a `time_sleep` (hashicorp/time,
/// `create_duration`) whose `triggers` name those assignments.
#[test]
fn role_assignments_take_effect_before_the_resources_that_use_them() {
    for env in Environment::DEFAULTS {
        let doc = doc(env);
        assert_eq!(
            doc["terraform"]["required_providers"]["time"]["source"], "hashicorp/time",
            "azure/{env}"
        );
        assert!(
            doc["terraform"]["required_providers"]["time"]["version"]
                .as_str()
                .is_some_and(|v| v.starts_with("~> 0.")),
            "azure/{env}: the time provider is pinned"
        );
        let sleeps = &doc["resource"]["time_sleep"];
        // (the consumer, the wait it depends on, the roles that wait names)
        let cases = [
            (
                "azurerm_storage_account.objects",
                &doc["resource"]["azurerm_storage_account"]["objects"],
                "cmk_role_propagation",
                vec!["cmk_key_vault"],
            ),
            (
                "azurerm_disk_encryption_set.aks_nodes",
                &doc["resource"]["azurerm_disk_encryption_set"]["aks_nodes"],
                "cmk_role_propagation",
                vec!["cmk_key_vault"],
            ),
            (
                "azurerm_kubernetes_cluster.main",
                &doc["resource"]["azurerm_kubernetes_cluster"]["main"],
                "aks_roles_propagation",
                vec![
                    "aks_control_plane_network",
                    "aks_control_plane_disk_encryption",
                ],
            ),
        ];
        for (consumer, block, wait, roles) in cases {
            assert!(block.is_object(), "azure/{env}: {consumer} is missing");
            let sleep = &sleeps[wait];
            let duration = sleep["create_duration"].as_str().unwrap_or_default();
            assert!(
                duration.ends_with('s') || duration.ends_with('m'),
                "azure/{env}: time_sleep.{wait} has no create_duration: {sleep}"
            );
            for role in roles {
                assert_eq!(
                    sleep["triggers"][role],
                    format!("${{azurerm_role_assignment.{role}.id}}"),
                    "azure/{env}: time_sleep.{wait} does not wait for {role}"
                );
            }
            let deps = depends_on(block);
            assert!(
                deps.contains(&format!("time_sleep.{wait}").as_str()),
                "azure/{env}: {consumer} does not wait for time_sleep.{wait}: {deps:?}"
            );
            // Waiting on the assignment itself would be the race again.
            assert!(
                !deps
                    .iter()
                    .any(|d| d.starts_with("azurerm_role_assignment.")),
                "azure/{env}: {consumer} depends on a role assignment directly: {deps:?}"
            );
        }
    }
}

#[test]
fn everything_taggable_is_tagged() {
    let schema = common::schema(Cloud::Azure);
    for env in Environment::DEFAULTS {
        let doc = doc(env);
        for (resource_type, blocks) in doc["resource"].as_object().expect("resources") {
            let taggable = schema
                .resources
                .get(resource_type)
                .is_some_and(|s| s.attributes.contains_key("tags"));
            if !taggable {
                continue;
            }
            for (name, body) in blocks.as_object().expect("blocks") {
                assert_eq!(
                    body["tags"]["ManagedBy"], "infrasynth",
                    "{resource_type}.{name} in {env} is not tagged"
                );
                assert_eq!(body["tags"]["Environment"], env.as_str());
            }
        }
    }
}

#[test]
fn secure_defaults_hold_in_every_env() {
    for env in Environment::DEFAULTS {
        let doc = doc(env);
        let production = env.is_production();
        let text = doc.to_string();
        assert!(
            !text.contains("administrator_password"),
            "{env}: a password is emitted"
        );
        for (name, pg) in blocks(&doc, "azurerm_postgresql_flexible_server") {
            assert_eq!(pg["public_network_access_enabled"], false, "{name}");
            assert_eq!(pg["authentication"][0]["password_auth_enabled"], false);
            assert_eq!(
                pg["authentication"][0]["active_directory_auth_enabled"],
                true
            );
            let days = pg["backup_retention_days"].as_u64().expect("retention");
            assert!((7..=35).contains(&days));
            if production {
                assert_eq!(pg["high_availability"][0]["mode"], "ZoneRedundant");
                assert_eq!(pg["geo_redundant_backup_enabled"], true);
                assert_eq!(pg["lifecycle"]["prevent_destroy"], true);
            }
        }
        for (_, redis) in blocks(&doc, "azurerm_managed_redis") {
            assert_eq!(redis["public_network_access"], "Disabled");
            assert_eq!(redis["default_database"][0]["client_protocol"], "Encrypted");
            assert_eq!(
                redis["high_availability_enabled"],
                !env.is_development(),
                "{env}"
            );
        }
        for (_, account) in blocks(&doc, "azurerm_storage_account") {
            let name = account["name"].as_str().expect("name");
            assert!(
                name.len() <= 24
                    && name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            );
            assert_eq!(account["min_tls_version"], "TLS1_2");
            assert_eq!(account["https_traffic_only_enabled"], true);
            assert_eq!(account["allow_nested_items_to_be_public"], false);
            assert_eq!(account["shared_access_key_enabled"], false);
            assert_eq!(account["network_rules"][0]["default_action"], "Deny");
            assert_eq!(account["public_network_access_enabled"], false);
            assert_eq!(
                account["customer_managed_key"][0]["key_vault_key_id"],
                "${var.cmk_key_id}"
            );
            assert_eq!(account["blob_properties"][0]["versioning_enabled"], true);
            if production {
                assert_eq!(account["account_replication_type"], "GZRS");
            }
        }
        for (_, aks) in blocks(&doc, "azurerm_kubernetes_cluster") {
            assert_eq!(aks["local_account_disabled"], true);
            assert_eq!(aks["workload_identity_enabled"], true);
            assert_eq!(aks["oidc_issuer_enabled"], true);
            assert_eq!(aks["network_profile"][0]["network_plugin"], "azure");
            assert!(aks["network_profile"][0]["network_policy"].is_string());
            assert_eq!(
                aks["azure_active_directory_role_based_access_control"][0]["azure_rbac_enabled"],
                true
            );
            assert_eq!(aks["private_cluster_enabled"], production);
            let system = &aks["default_node_pool"][0];
            assert_eq!(system["os_disk_type"], "Ephemeral");
            assert_eq!(system["host_encryption_enabled"], true);
            assert!(system["max_pods"].as_u64().is_some_and(|n| n >= 50));
            assert!(aks["disk_encryption_set_id"]
                .as_str()
                .is_some_and(|id| id.contains("azurerm_disk_encryption_set.")));
            if !production {
                let ranges = &aks["api_server_access_profile"][0]["authorized_ip_ranges"];
                assert!(ranges.as_array().is_some_and(|r| !r.is_empty()));
            }
        }
        // The storage account is reached only through its blob private endpoint.
        assert!(blocks(&doc, "azurerm_private_endpoint")
            .iter()
            .any(|(_, pe)| {
                pe["private_service_connection"][0]["subresource_names"][0] == "blob"
            }));
        for (_, vault) in blocks(&doc, "azurerm_key_vault") {
            assert_eq!(vault["purge_protection_enabled"], true);
            assert_eq!(vault["rbac_authorization_enabled"], true);
        }
        // Inbound from the internet: denied everywhere, but for web traffic to
        // the node subnet (public_ingress_reaches_the_node_subnet).
        for (name, rule) in blocks(&doc, "azurerm_network_security_rule") {
            assert_eq!(rule["source_address_prefix"], "Internet", "{name}");
            if rule["access"] == "Allow" {
                assert_eq!(name, "main_aks_nodes_allow_internet_web_inbound");
            } else {
                assert_eq!(rule["access"], "Deny", "{name}");
            }
        }
        assert_eq!(
            blocks(&doc, "azurerm_subnet_network_security_group_association").len(),
            blocks(&doc, "azurerm_subnet").len(),
            "every subnet has a network security group"
        );
    }
}

#[test]
fn node_pools_follow_the_spec() {
    let doc = doc(Environment::PRODUCTION);
    let pools = blocks(&doc, "azurerm_kubernetes_cluster_node_pool");
    let names: BTreeSet<&str> = pools
        .iter()
        .filter_map(|(_, p)| p["name"].as_str())
        .collect();
    assert_eq!(names, BTreeSet::from(["general", "gpu", "spot"]));
    for (_, pool) in &pools {
        let name = pool["name"].as_str().expect("name");
        assert!(name.len() <= 12);
        match name {
            "spot" => {
                assert_eq!(pool["priority"], "Spot");
                assert_eq!(pool["eviction_policy"], "Delete");
                assert!(pool["node_taints"]
                    .to_string()
                    .contains("capacity=spot:NoSchedule"));
            }
            "gpu" => assert_eq!(pool["vm_size"], "Standard_NC4as_T4_v3"),
            _ => assert_eq!(pool["vm_size"], "Standard_D8ds_v5"),
        }
        // Every pool's VM size has a local disk for an ephemeral OS disk.
        assert_eq!(pool["os_disk_type"], "Ephemeral", "{name}");
        assert_eq!(pool["host_encryption_enabled"], true, "{name}");
        assert!(pool["max_pods"].as_u64().is_some_and(|n| n >= 50), "{name}");
    }
}

/// AKS adds `kubernetes.azure.com/scalesetpriority=spot` (label) and
/// `kubernetes.azure.com/scalesetpriority=spot:NoSchedule` (taint) to every
/// spot pool and reports both back, so a pool that does not declare them
/// never plans clean (the provider's own spot test declares both:
/// `internal/services/containers/kubernetes_cluster_node_pool_resource_test.go`,
/// `spotConfig`, v4.55.0; a label update without it strips it from the nodes,
/// Azure/AKS#3152).
#[test]
fn spot_pool_declares_the_label_and_taint_aks_adds() {
    for env in Environment::DEFAULTS {
        let doc = doc(env);
        let spot = blocks(&doc, "azurerm_kubernetes_cluster_node_pool")
            .into_iter()
            .find(|(_, pool)| pool["priority"] == "Spot")
            .map(|(_, pool)| pool)
            .expect("a spot pool");
        assert_eq!(
            spot["node_labels"]["kubernetes.azure.com/scalesetpriority"], "spot",
            "azure/{env}: {spot}"
        );
        assert_eq!(spot["node_labels"]["workload"], "batch", "azure/{env}");
        let taints: Vec<&str> = spot["node_taints"]
            .as_array()
            .map(|t| t.iter().filter_map(Json::as_str).collect())
            .unwrap_or_default();
        assert!(
            taints.contains(&"kubernetes.azure.com/scalesetpriority=spot:NoSchedule"),
            "azure/{env}: {taints:?}"
        );
    }
}

/// azurerm cycles a node pool through a temporary one to change `vm_size`,
/// `os_disk_*`, `zones`, `max_pods`, `host_encryption_enabled` and more, and
/// refuses the change when `temporary_name_for_rotation` is not set
/// (`kubernetes_cluster_node_pool_resource.go` update, v4.55.0); the name must
/// be a pool name, `^[a-z][a-z0-9]{0,11}$` (`validate.KubernetesAgentPoolName`).
#[test]
fn every_node_pool_can_be_cycled_through_a_temporary_pool() {
    let valid = |name: &str| {
        (1..=12).contains(&name.len())
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    };
    for env in Environment::DEFAULTS {
        let doc = doc(env);
        let pools = blocks(&doc, "azurerm_kubernetes_cluster_node_pool");
        let names: BTreeSet<&str> = pools
            .iter()
            .filter_map(|(_, p)| p["name"].as_str())
            .collect();
        let mut rotations = BTreeSet::new();
        for (_, aks) in blocks(&doc, "azurerm_kubernetes_cluster") {
            let system = aks["default_node_pool"][0]["temporary_name_for_rotation"]
                .as_str()
                .expect("system pool rotation name");
            rotations.insert(system);
        }
        for (key, pool) in &pools {
            let rotation = pool["temporary_name_for_rotation"]
                .as_str()
                .unwrap_or_else(|| panic!("azure/{env}: pool {key} cannot be cycled"));
            assert!(valid(rotation), "azure/{env}: {key}: `{rotation}`");
            assert!(
                !names.contains(rotation),
                "azure/{env}: {key}: `{rotation}` is a pool"
            );
            assert!(
                rotations.insert(rotation),
                "azure/{env}: `{rotation}` twice"
            );
        }
    }
}

/// With `node_os_upgrade_channel = "NodeImage"` AKS upgrades node images
/// whenever a new one ships unless the cluster has a
/// `maintenance_window_node_os` (azurerm `kubernetes_cluster` docs, v4.55.0);
/// it follows the same Sunday window as the cluster's own upgrades.
#[test]
fn node_image_upgrades_wait_for_the_sunday_window() {
    for env in Environment::DEFAULTS {
        let doc = doc(env);
        for (name, aks) in blocks(&doc, "azurerm_kubernetes_cluster") {
            assert_eq!(aks["node_os_upgrade_channel"], "NodeImage", "{name}");
            let node_os = &aks["maintenance_window_node_os"][0];
            assert_eq!(node_os["frequency"], "Weekly", "azure/{env}: {aks}");
            assert_eq!(node_os["day_of_week"], "Sunday", "azure/{env}");
            assert_eq!(
                node_os, &aks["maintenance_window_auto_upgrade"][0],
                "azure/{env}: node image upgrades and cluster upgrades share one window"
            );
        }
    }
}

/// With `oms_agent.msi_auth_for_monitoring_enabled = true` the monitoring
/// agent collects only what a data collection rule associated with the
/// cluster asks for, and azurerm creates neither (provider issue #23510;
/// Microsoft's Terraform onboarding, microsoft/Docker-Provider
/// `scripts/onboarding/aks/onboarding-msi-terraform/main.tf`, adds an
/// `azurerm_monitor_data_collection_rule` with the `ContainerInsights`
/// extension and an `azurerm_monitor_data_collection_rule_association`).
#[test]
fn container_insights_has_a_data_collection_rule_associated_with_the_cluster() {
    for env in Environment::DEFAULTS {
        let doc = doc(env);
        for (name, aks) in blocks(&doc, "azurerm_kubernetes_cluster") {
            let agent = &aks["oms_agent"][0];
            assert_eq!(agent["msi_auth_for_monitoring_enabled"], true, "{name}");
            let workspace = agent["log_analytics_workspace_id"]
                .as_str()
                .expect("workspace");
            let cluster_id = format!("${{azurerm_kubernetes_cluster.{name}.id}}");
            let associations: Vec<_> =
                blocks(&doc, "azurerm_monitor_data_collection_rule_association")
                    .into_iter()
                    .filter(|(_, a)| a["target_resource_id"] == cluster_id.as_str())
                    .collect();
            assert_eq!(
                associations.len(),
                1,
                "azure/{env}: {name} has no rule association"
            );
            let (_, association) = associations[0];
            let rule_ref = association["data_collection_rule_id"]
                .as_str()
                .expect("rule id");
            let rule_name = rule_ref
                .strip_prefix("${azurerm_monitor_data_collection_rule.")
                .and_then(|r| r.strip_suffix(".id}"))
                .expect("a rule of this document");
            let rule = &doc["resource"]["azurerm_monitor_data_collection_rule"][rule_name];
            let extension = &rule["data_sources"][0]["extension"][0];
            assert_eq!(
                extension["extension_name"], "ContainerInsights",
                "azure/{env}"
            );
            let streams = &extension["streams"];
            assert_eq!(
                streams[0], "Microsoft-ContainerInsights-Group-Default",
                "azure/{env}"
            );
            assert_eq!(&rule["data_flow"][0]["streams"], streams, "azure/{env}");
            let destination = rule["data_flow"][0]["destinations"][0]
                .as_str()
                .expect("destination");
            let log_analytics = &rule["destinations"][0]["log_analytics"][0];
            assert_eq!(log_analytics["name"], destination, "azure/{env}");
            assert_eq!(
                log_analytics["workspace_resource_id"], workspace,
                "azure/{env}: the rule sends to the agent's workspace"
            );
            assert_eq!(rule["location"], aks["location"], "azure/{env}");
        }
    }
}

/// The cluster has local accounts off and Kubernetes authorization through
/// Azure RBAC (`local_account_disabled`, `azure_rbac_enabled`), so only a
/// principal holding an AKS RBAC role can run kubectl or install the charts.
/// `Azure Kubernetes Service RBAC Cluster Admin` holds every Kubernetes data
/// action and `listClusterUserCredential/action` (`az aks get-credentials`)
/// (Azure built-in roles, b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b); it goes to
/// an Entra ID group given as input, like the PostgreSQL administrators.
#[test]
fn an_operator_group_administers_the_cluster_through_azure_rbac() {
    for env in Environment::DEFAULTS {
        let doc = doc(env);
        assert!(
            doc["variable"]["aks_admin_group_object_id"].is_object(),
            "azure/{env}: no operator group input"
        );
        let aks = &doc["resource"]["azurerm_kubernetes_cluster"]["main"];
        assert_eq!(aks["local_account_disabled"], true);
        let admin: Vec<_> = blocks(&doc, "azurerm_role_assignment")
            .into_iter()
            .filter(|(_, r)| r["scope"] == "${azurerm_kubernetes_cluster.main.id}")
            .collect();
        assert_eq!(admin.len(), 1, "azure/{env}: {admin:?}");
        let (_, role) = admin[0];
        assert_eq!(
            role["role_definition_name"],
            "Azure Kubernetes Service RBAC Cluster Admin"
        );
        assert_eq!(role["principal_id"], "${var.aks_admin_group_object_id}");
        assert_eq!(role["principal_type"], "Group");
    }
}

/// The stack's NSG on the AKS node subnet ends with `deny-internet-inbound`
/// (priority 4096). AKS opens the ports of a `LoadBalancer` service only in
/// the security group it manages in its node resource group and never edits a
/// security group on a custom subnet (AKS docs, "Use a custom subnet"/network
/// security groups), so the public ingress-nginx load balancer, and with it
/// every public host and cert-manager's HTTP-01 challenges, would get no
/// traffic. TCP 80 and 443 from the internet are allowed on the node subnet
/// (before the deny), and nothing else anywhere.
#[test]
fn public_ingress_reaches_the_node_subnet() {
    for env in Environment::DEFAULTS {
        let doc = doc(env);
        let rules = blocks(&doc, "azurerm_network_security_rule");
        let allows: Vec<_> = rules
            .iter()
            .filter(|(_, r)| r["access"] == "Allow")
            .collect();
        assert_eq!(allows.len(), 1, "azure/{env}: {allows:?}");
        let (_, allow) = allows[0];
        assert_eq!(allow["direction"], "Inbound");
        assert_eq!(allow["protocol"], "Tcp");
        assert_eq!(allow["source_address_prefix"], "Internet");
        assert_eq!(
            allow["destination_port_ranges"],
            serde_json::json!(["80", "443"])
        );
        assert!(allow.get("destination_port_range").is_none());
        assert_eq!(
            allow["network_security_group_name"],
            "${azurerm_network_security_group.main_aks_nodes.name}",
            "azure/{env}: only the node subnet"
        );
        let deny = &doc["resource"]["azurerm_network_security_rule"]
            ["main_aks_nodes_deny_internet_inbound"];
        let (allow_priority, deny_priority) = (
            allow["priority"].as_u64().expect("priority"),
            deny["priority"].as_u64().expect("priority"),
        );
        assert!(
            allow_priority < deny_priority,
            "azure/{env}: the allow comes first"
        );
        assert_eq!(deny["access"], "Deny");
        assert_eq!(deny["destination_port_range"], "*");
    }
}

/// Azure Cache for Redis (`azurerm_redis_cache`, Basic/Standard/Premium)
/// retires on 2028-09-30 and Azure stops creating new caches before then;
/// Azure Managed Redis (`azurerm_managed_redis`, in azurerm 4.55) succeeds it.
/// Facts of `azurerm_managed_redis` at v4.55.0
/// (`internal/services/managedredis/managed_redis_resource.go`, docs
/// `managed_redis.html.markdown`): `public_network_access` defaults to
/// `Enabled`; `default_database` holds `access_keys_authentication_enabled`
/// (default false), `client_protocol` (`Encrypted`), `clustering_policy`
/// (default `OSSCluster`, which needs cluster-aware clients) and the computed
/// `port`; private endpoints use sub-resource `redisEnterprise`
/// (`examples/private-endpoint/managed-redis`), registered in
/// `privatelink.redis.azure.net`.
#[test]
fn the_cache_is_azure_managed_redis_private_keyless_and_tls_only() {
    for env in Environment::DEFAULTS {
        let doc = doc(env);
        assert!(
            blocks(&doc, "azurerm_redis_cache").is_empty(),
            "azure/{env}: the retiring Azure Cache for Redis is emitted"
        );
        let caches = blocks(&doc, "azurerm_managed_redis");
        assert_eq!(caches.len(), 1, "azure/{env}");
        let (name, redis) = caches[0];
        assert!(
            redis["sku_name"]
                .as_str()
                .is_some_and(|s| s.starts_with("Balanced_B")),
            "azure/{env}: {redis}"
        );
        assert_eq!(redis["public_network_access"], "Disabled", "azure/{env}");
        let db = &redis["default_database"][0];
        assert_eq!(
            db["access_keys_authentication_enabled"], false,
            "azure/{env}"
        );
        assert_eq!(db["client_protocol"], "Encrypted", "azure/{env}");
        assert_eq!(
            db["clustering_policy"], "EnterpriseCluster",
            "azure/{env}: one endpoint for clients without cluster support"
        );
        let endpoint = blocks(&doc, "azurerm_private_endpoint")
            .into_iter()
            .find(|(_, pe)| {
                pe["private_service_connection"][0]["private_connection_resource_id"]
                    == format!("${{azurerm_managed_redis.{name}.id}}").as_str()
            })
            .map(|(_, pe)| pe)
            .expect("a private endpoint for the cache");
        assert_eq!(
            endpoint["private_service_connection"][0]["subresource_names"][0],
            "redisEnterprise"
        );
        let zones: Vec<&str> = blocks(&doc, "azurerm_private_dns_zone")
            .iter()
            .filter_map(|(_, z)| z["name"].as_str())
            .collect();
        assert!(
            zones.contains(&"privatelink.redis.azure.net"),
            "azure/{env}: {zones:?}"
        );
        assert!(
            !zones.contains(&"privatelink.redis.cache.windows.net"),
            "azure/{env}"
        );
        assert_eq!(
            doc["output"]["redis_port"]["value"],
            format!("${{azurerm_managed_redis.{name}.default_database[0].port}}")
        );
        assert_eq!(
            doc["output"]["redis_host"]["value"],
            format!("${{azurerm_managed_redis.{name}.hostname}}")
        );
    }
}

#[test]
fn bad_input_is_reported_all_at_once() {
    use infrasynth::platform::realize;
    let mut platform = common::stacks::mlops::platform(Environment::PRODUCTION);
    platform.regions.azure = "West Europe".to_string();
    platform.database.size = infrasynth::platform::Size::Small;
    platform.cluster.pools[0].name = "GeneralPurposePool".to_string();
    let (stack, _) = realize(&platform, Cloud::Azure);
    let text = stack.diagnostics().to_string();
    assert!(
        text.contains("`West Europe` is not an Azure location"),
        "{text}"
    );
    assert!(text.contains("GeneralPurposePool"), "{text}");
    assert_eq!(
        text.matches("error:").count(),
        2,
        "one error per mistake: {text}"
    );
    assert!(stack.synth().is_err());
    // What the builders check (the database tier) is judged once the input
    // they build from is valid: not before, where the derived names of a bad
    // location would repeat its mistake.
    platform.regions.azure = "westeurope".to_string();
    platform.cluster.pools[0].name = "general".to_string();
    let (stack, _) = realize(&platform, Cloud::Azure);
    let text = stack.diagnostics().to_string();
    assert!(text.contains("Burstable tier"), "{text}");
}

/// Terraform itself parses every document (`terraform providers` reads the
/// whole configuration without needing the azurerm binary).
#[test]
fn terraform_parses_the_configuration() {
    if !common::terraform_available() {
        return;
    }
    for env in Environment::DEFAULTS {
        let dir = tempfile::tempdir().expect("temp dir");
        // Without the backend block: `terraform providers` asks to
        // initialize any declared backend (even with the local override of
        // `synth --local-backend`), which needs the azurerm binary. The
        // azurerm backend block is checked in tests/state_terraform.rs.
        let mut document = doc(env);
        if let Some(terraform) = document["terraform"].as_object_mut() {
            terraform.remove("backend");
        }
        std::fs::write(dir.path().join("main.tf.json"), document.to_string()).expect("write");
        let (ok, text) = common::terraform(dir.path(), &["providers"], &[("NO_COLOR", "1")]);
        assert!(ok, "terraform rejects azure/{env}:\n{text}");
        assert!(text.contains("hashicorp/azurerm] ~> 4.55"), "{text}");
    }
}
