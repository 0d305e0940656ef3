//! The Helm releases as installed: the helmfile synth writes (parses,
//! orders every dependency), the pinned charts' key paths, CRDs and the
//! releases carrying their custom resources, retired components, encrypted
//! volumes, the edge, HA, and the metrics the alerts read.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use infrasynth::helm::helmfile::{Helmfile, HelmfileRelease};
use infrasynth::helm::releases::{self, CrdInstall};
use infrasynth::helm::{self, monitoring, ChartId, HelmError, HelmSettings};
use infrasynth::{Cloud, Environment, Synthesized};
use serde_json::Value as Json;

/// Every (cloud, environment) of the reference stack, synthesized once.
fn synthesized() -> Vec<(Cloud, Environment, Synthesized)> {
    let mut all = Vec::new();
    for cloud in Cloud::ALL {
        for env in Environment::DEFAULTS {
            all.push((cloud, env, common::synth(cloud, env)));
        }
    }
    all
}

fn text(out: &Synthesized, path: &str) -> String {
    let bytes = out
        .files()
        .get(path)
        .unwrap_or_else(|| panic!("{path} not synthesized"));
    String::from_utf8_lossy(bytes).into_owned()
}

/// A values file of a release, parsed; templates with their placeholders
/// replaced by a string (enough for key paths and kinds).
fn values_of(out: &Synthesized, release: &str) -> Json {
    let plain = format!("helm/{release}.values.yaml");
    let template = format!("{plain}.hbs");
    let body = if out.files().contains_key(&plain) {
        text(out, &plain)
    } else {
        let raw = text(out, &template);
        let mut cleaned = String::new();
        for line in raw.lines() {
            if line.starts_with("{{!--") {
                continue;
            }
            match line.find("{{output") {
                Some(at) => {
                    cleaned.push_str(&line[..at]);
                    cleaned.push_str("placeholder\n");
                }
                None => {
                    cleaned.push_str(&line.replace("\\{{", "{{"));
                    cleaned.push('\n');
                }
            }
        }
        cleaned
    };
    serde_saphyr::from_str(&body).unwrap_or_else(|e| panic!("{release}: {e}"))
}

fn helmfile(out: &Synthesized) -> Helmfile {
    Helmfile::parse(&text(out, "helm/helmfile.yaml")).unwrap_or_else(|e| panic!("{e}"))
}

/// `path` (relative to `base`) without `.` and `..`.
fn normalize(base: &Path, path: &str) -> PathBuf {
    let mut out = PathBuf::new();
    for part in base.join(path).components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// helmfile's own syntax (the fields infrasynth writes, read back into a
/// typed document that refuses unknown fields), every `needs` naming a
/// release, no cycle, the order the issue asks for (storage and monitoring
/// CRDs, then cert-manager, its issuers, the Gateway, the app), every
/// values file and local chart present, and every third-party chart at its
/// pinned version from a declared repository. The helmfile binary is not
/// installable from the registries this project reaches (not on PyPI or
/// npm), so `helmfile lint` is not run.
#[test]
fn the_helmfile_parses_and_orders_every_release() {
    for (cloud, env, out) in synthesized() {
        let label = format!("{cloud} {env}");
        let document = helmfile(&out);
        let order = document
            .install_order()
            .unwrap_or_else(|p| panic!("{label}: {p:?}"));
        let position = |name: &str| {
            order
                .iter()
                .position(|id| id.ends_with(&format!("/{name}")))
                .unwrap_or_else(|| panic!("{label}: no release {name}"))
        };
        for (before, after) in [
            ("platform-storage", "kube-prometheus-stack"),
            ("kube-prometheus-stack", "cert-manager"),
            ("envoy-gateway", "cert-manager"),
            ("cert-manager", "cert-manager-issuers"),
            ("cert-manager-issuers", "platform-gateway"),
            ("platform-gateway", "mlops"),
        ] {
            assert!(
                position(before) < position(after),
                "{label}: {before} after {after}"
            );
        }
        // A `needs` edge is an order, not only a position in the list.
        let needs: BTreeMap<&str, &HelmfileRelease> = document
            .releases
            .iter()
            .map(|r| (r.name.as_str(), r))
            .collect();
        assert_eq!(
            needs["cert-manager-issuers"].needs,
            ["cert-manager/cert-manager"]
        );
        assert!(needs["mlops"]
            .needs
            .contains(&"envoy-gateway-system/platform-gateway".to_string()));
        let helm_dir = Path::new("out/mlops")
            .join(cloud.as_str())
            .join(env.as_str())
            .join("helm");
        for release in &document.releases {
            for values in &release.values {
                let plain = format!("helm/{values}");
                assert!(
                    out.files().contains_key(&plain)
                        || out.files().contains_key(&format!("{plain}.hbs")),
                    "{label}: {} reads {values}, which synth does not write",
                    release.name
                );
            }
            match &release.version {
                Some(version) => {
                    let pinned = releases::ALL
                        .iter()
                        .find(|p| p.reference() == release.chart)
                        .unwrap_or_else(|| panic!("{label}: {} is not pinned", release.chart));
                    assert_eq!(version, pinned.version, "{label}");
                }
                None if release.chart.starts_with("./") => {
                    let chart = format!("helm/{}/Chart.yaml", &release.chart[2..]);
                    assert!(out.files().contains_key(&chart), "{label}: {chart}");
                }
                None => {
                    // A path in the repository, relative to the helmfile
                    // with `--out out` at the root.
                    let path = normalize(&helm_dir, &release.chart);
                    assert!(
                        common::root().join(&path).join("Chart.yaml").is_file(),
                        "{label}: {} resolves to {}",
                        release.chart,
                        path.display()
                    );
                }
            }
        }
    }
}

#[test]
fn a_cycle_or_a_dangling_need_is_refused() {
    let out = common::synth(Cloud::Gcp, Environment::DEV);
    let mut document = helmfile(&out);
    document.releases[0]
        .needs
        .push("nowhere/nothing".to_string());
    let problems = document.install_order().unwrap_err();
    assert!(format!("{problems:?}").contains("nowhere/nothing"));
    let mut document = helmfile(&out);
    let last = document.releases.last().unwrap().id();
    document.releases[0].needs.push(last);
    let problems = document.install_order().unwrap_err();
    assert!(format!("{problems:?}").contains("cycle"), "{problems:?}");
    // A field helmfile does not have fails the typed parse.
    let text = text(&out, "helm/helmfile.yaml").replace("needs:", "needz:");
    assert!(Helmfile::parse(&text).is_err());
}

/// The API group of an `apiVersion` (`monitoring.coreos.com/v1`), `None`
/// for the core group (`v1`).
fn group(api_version: &str) -> Option<String> {
    api_version
        .split_once('/')
        .map(|(group, _)| group.to_string())
}

/// The API groups of the custom resources a release carries, read from its
/// values (the objects chart's `objects`, the charts' monitor and route
/// toggles) and, for the app chart, from its templates.
fn carried_groups(release: &HelmfileRelease, values: &Json) -> BTreeSet<String> {
    let mut groups = BTreeSet::new();
    if let Some(objects) = values["objects"].as_array() {
        for object in objects {
            groups.extend(group(object["apiVersion"].as_str().unwrap_or_default()));
        }
    }
    match release.name.as_str() {
        "kube-prometheus-stack" => {
            // The Prometheus and Alertmanager resources, the rules.
            groups.insert("monitoring.coreos.com".to_string());
            if values["grafana"]["route"]["main"]["enabled"] == true {
                groups.insert("gateway.networking.k8s.io".to_string());
            }
        }
        "cert-manager" if values["prometheus"]["servicemonitor"]["enabled"] == true => {
            groups.insert("monitoring.coreos.com".to_string());
        }
        "mlops" => {
            let templates = common::root().join("stacks/mlops/chart/templates");
            for entry in std::fs::read_dir(templates).unwrap() {
                let template = std::fs::read_to_string(entry.unwrap().path()).unwrap();
                for line in template.lines() {
                    if let Some(version) = line.strip_prefix("apiVersion: ") {
                        groups.extend(group(version.trim()));
                    }
                }
            }
        }
        _ => {}
    }
    // Built-in Kubernetes groups need no CRD.
    groups.retain(|g| !g.ends_with(".k8s.io") || g.starts_with("gateway.networking"));
    groups.retain(|g| !["apps", "autoscaling", "policy", "batch"].contains(&g.as_str()));
    groups
}

/// Helm builds every object of a release before it creates any, and CRDs it
/// installs as templates are such objects: a release must not carry a
/// custom resource whose CRD it installs that way (cert-manager#7096: the
/// ClusterIssuers beside `crds.enabled`). CRDs in a chart's `crds/`
/// directory are created first, so those are fine. And every custom
/// resource's CRD comes from the release itself (`crds/`) or one it needs,
/// directly or not.
#[test]
fn no_release_carries_a_custom_resource_whose_crd_it_installs() {
    let installs = |name: &str| -> CrdInstall {
        match name {
            "kube-prometheus-stack" => releases::KUBE_PROMETHEUS_STACK.crds,
            "cert-manager" => releases::CERT_MANAGER.crds,
            "envoy-gateway" => releases::ENVOY_GATEWAY.crds,
            _ => CrdInstall::None,
        }
    };
    for (cloud, env, out) in synthesized() {
        let document = helmfile(&out);
        let by_id: BTreeMap<String, &HelmfileRelease> =
            document.releases.iter().map(|r| (r.id(), r)).collect();
        for release in &document.releases {
            let label = format!("{cloud} {env} {}", release.name);
            let carried = carried_groups(release, &values_of(&out, &release.name));
            if let CrdInstall::Templates(groups) = installs(&release.name) {
                for group in groups {
                    assert!(!carried.contains(*group), "{label} carries {group}");
                }
            }
            // Everything this release waits for.
            let mut before: BTreeSet<String> = BTreeSet::new();
            let mut queue: Vec<String> = release.needs.clone();
            while let Some(id) = queue.pop() {
                if before.insert(id.clone()) {
                    queue.extend(by_id[&id].needs.iter().cloned());
                }
            }
            for group in &carried {
                let own = matches!(installs(&release.name), CrdInstall::CrdsDirectory(g) if g.contains(&group.as_str()));
                let earlier = before
                    .iter()
                    .any(|id| installs(&by_id[id].name).groups().contains(&group.as_str()));
                assert!(
                    own || earlier,
                    "{label} carries {group}, whose CRD no release before it installs"
                );
            }
        }
    }
}

/// A kind per key path of a pinned chart's defaults
/// (`src/helm/upstream/*.keys`, scripts/chart-keys.py).
fn upstream_keys(files: &[&str]) -> BTreeMap<String, String> {
    let mut keys = BTreeMap::new();
    for file in files {
        let path = common::root().join("src/helm/upstream").join(file);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(
            text.contains("# source: https://"),
            "{file} names no source"
        );
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (key, kind) = line.split_once('\t').unwrap();
            keys.insert(key.to_string(), kind.to_string());
        }
    }
    keys
}

/// Every key path of `values` that the chart's defaults do not know: a path
/// is known when listed, or below a key the chart leaves free-form (`open`),
/// or a value set on a listed scalar or list.
fn unknown_paths(values: &Json, prefix: &str, keys: &BTreeMap<String, String>) -> Vec<String> {
    let mut unknown = Vec::new();
    let Some(map) = values.as_object() else {
        return unknown;
    };
    for (key, value) in map {
        let path = format!("{prefix}{key}");
        match keys.get(&path).map(String::as_str) {
            None => unknown.push(path),
            Some("map") => unknown.extend(unknown_paths(value, &format!("{path}."), keys)),
            Some(_) => {}
        }
    }
    unknown
}

/// Every key path infrasynth sets in a pinned chart's values exists in that
/// chart's defaults (and cert-manager's values.schema.json) at the pinned
/// version, kept as data with its source in `src/helm/upstream/`.
#[test]
fn every_key_path_we_set_exists_in_the_pinned_charts_defaults() {
    let charts: [(&str, Vec<&str>, &str); 4] = [
        (
            "kube-prometheus-stack",
            vec!["kube-prometheus-stack-88.5.3.keys", "grafana-12.11.1.keys"],
            releases::KUBE_PROMETHEUS_STACK.version,
        ),
        (
            "cert-manager",
            vec!["cert-manager-v1.21.1.keys"],
            releases::CERT_MANAGER.version,
        ),
        (
            "envoy-gateway",
            vec!["gateway-helm-v1.9.0.keys"],
            releases::ENVOY_GATEWAY.version,
        ),
        (
            "cluster-autoscaler",
            vec!["cluster-autoscaler-9.59.0.keys"],
            releases::CLUSTER_AUTOSCALER.version,
        ),
    ];
    for (release, files, version) in &charts {
        // The data is of the pinned version.
        assert!(
            files[0].contains(version),
            "{release}: {files:?} vs {version}"
        );
        let keys = upstream_keys(files);
        for (cloud, env, out) in synthesized() {
            // The Cluster Autoscaler runs on EKS only.
            if *release == "cluster-autoscaler" && cloud != Cloud::Aws {
                assert!(!out.files().keys().any(|f| f.contains(release)));
                continue;
            }
            let unknown = unknown_paths(&values_of(&out, release), "", &keys);
            assert!(
                unknown.is_empty(),
                "{cloud} {env} {release}: not in the chart's defaults: {unknown:?}"
            );
        }
    }
    // The check bites: a misspelt key is reported.
    let keys = upstream_keys(&["cert-manager-v1.21.1.keys"]);
    let typo = serde_json::json!({"webhook": {"replicas": 2}});
    assert_eq!(unknown_paths(&typo, "", &keys), ["webhook.replicas"]);
}

/// ingress-nginx was retired by Kubernetes SIG Network and the Security
/// Response Committee (announced 2025-11-11; no releases after March 2026):
/// no file synth writes, and no chart of this repository, may name a
/// retired chart or image.
#[test]
fn no_values_file_uses_a_retired_chart_or_image() {
    let nginx = releases::RETIRED
        .iter()
        .find(|r| r.pattern == "ingress-nginx")
        .unwrap();
    assert_eq!(nginx.announced, "2025-11-11");
    for (cloud, env, out) in synthesized() {
        for (path, bytes) in out.files().iter().filter(|(p, _)| p.starts_with("helm/")) {
            let content = String::from_utf8_lossy(bytes);
            for retired in &releases::RETIRED {
                assert!(
                    !content.contains(retired.pattern),
                    "{cloud} {env} {path} uses `{}`, retired {}: {}",
                    retired.pattern,
                    retired.announced,
                    retired.reason
                );
            }
        }
    }
    for chart in [
        "charts/workloads",
        "stacks/mlops/chart",
        "examples/own-crate/charts/retail",
    ] {
        let mut stack = vec![common::root().join(chart)];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let content = std::fs::read_to_string(&path).unwrap();
                for retired in &releases::RETIRED {
                    assert!(
                        !content.contains(retired.pattern),
                        "{} uses `{}`",
                        path.display(),
                        retired.pattern
                    );
                }
            }
        }
    }
}

/// Every `storageClassName` anywhere in `values`.
fn storage_class_names(values: &Json, found: &mut Vec<String>) {
    match values {
        Json::Object(map) => {
            for (key, value) in map {
                if key == "storageClassName" {
                    found.push(value.as_str().unwrap_or_default().to_string());
                }
                storage_class_names(value, found);
            }
        }
        Json::Array(items) => items.iter().for_each(|v| storage_class_names(v, found)),
        _ => {}
    }
}

/// Every volume the platform causes to exist is encrypted (issue 13): the
/// platform's own StorageClass asks each cloud's CSI driver for encryption
/// (EBS `encrypted: "true"` with `kmsKeyId` the platform's storage key,
/// which the driver's IRSA role may use, aws-ebs-csi-driver
/// docs/parameters.md and docs/install.md; Azure
/// Disk `diskEncryptionSetID`, the platform's customer-managed-key set from
/// the synthesized document, azuredisk-csi-driver driver-parameters.md;
/// Persistent Disks are always encrypted at rest, GCP docs "Default
/// encryption at rest"), and every volume claim in every values file uses
/// that class. Read from the values and the Terraform document synth wrote.
/// GCP, where the environment's profile asks for CMEK (production): the
/// StorageClass names the platform's `disks` key as `disk-encryption-kms-key`
/// (GKE docs "Using the Compute Engine persistent disk CSI Driver"), the key is
/// the output `kms_key_disks`, the node boot disks use it
/// (`node_config.boot_disk_kms_key`, google 6.50.0), and the Compute Engine
/// service agent holds Encrypter/Decrypter on it after compute.googleapis.com
/// is enabled (GKE docs "Using customer-managed encryption keys (CMEK)":
/// "grant the Compute Engine Service Agent the Cloud KMS CryptoKey
/// Encrypter/Decrypter role"). Elsewhere: Google-managed keys, no key, no output.
fn gcp_volumes_use_the_disks_key_where_cmek_is_on(env: Environment, out: &Synthesized) {
    let cmek = infrasynth::platform::gcp::Profile::for_environment(env).cmek;
    assert_eq!(cmek, env == Environment::PRODUCTION, "{env}");
    // A values file that reads no output is plain YAML, not a template.
    let template = [
        "helm/platform-storage.values.yaml.hbs",
        "helm/platform-storage.values.yaml",
    ]
    .iter()
    .find(|path| out.files().contains_key(**path))
    .map(|path| text(out, path))
    .unwrap_or_else(|| panic!("gcp {env}: no platform-storage values"));
    let main: Json = serde_json::from_str(out.main_tf_json()).unwrap();
    let names_key = template.contains("disk-encryption-kms-key: {{output \"kms_key_disks\"");
    assert_eq!(names_key, cmek, "gcp {env}: {template}");
    let output = &main["output"]["kms_key_disks"];
    let pools = main["resource"]["google_container_node_pool"]
        .as_object()
        .unwrap_or_else(|| panic!("gcp {env}: no node pools"));
    let default_pool = &main["resource"]["google_container_cluster"]["main"]["node_config"][0];
    if !cmek {
        assert!(output.is_null(), "gcp {env}: {output}");
        assert!(main["resource"]["google_kms_crypto_key"]["disks"].is_null());
        for (name, pool) in pools {
            assert!(
                pool["node_config"][0]["boot_disk_kms_key"].is_null(),
                "{name}"
            );
        }
        assert!(default_pool["boot_disk_kms_key"].is_null());
        return;
    }
    let key = "${google_kms_crypto_key.disks.id}";
    assert_eq!(output["value"], key, "gcp {env}");
    assert_eq!(default_pool["boot_disk_kms_key"], key, "gcp {env}");
    assert!(!pools.is_empty());
    let grants = main["resource"]["google_kms_crypto_key_iam_member"]
        .as_object()
        .unwrap();
    let (grant_name, grant) = grants
        .iter()
        .find(|(_, g)| g["crypto_key_id"] == key)
        .unwrap_or_else(|| panic!("gcp {env}: no grant on the disks key: {grants:?}"));
    assert_eq!(
        grant["member"],
        "serviceAccount:service-${var.project_number}@compute-system.iam.gserviceaccount.com"
    );
    assert_eq!(grant["role"], "roles/cloudkms.cryptoKeyEncrypterDecrypter");
    let depends: Vec<&str> = grant["depends_on"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Json::as_str)
        .collect();
    assert!(
        depends
            .iter()
            .any(|d| d.starts_with("google_project_service.") && d.contains("compute")),
        "gcp {env}: {depends:?}"
    );
    let grant_address = format!("google_kms_crypto_key_iam_member.{grant_name}");
    for (name, pool) in pools {
        assert_eq!(pool["node_config"][0]["boot_disk_kms_key"], key, "{name}");
        let depends = pool["depends_on"].as_array().unwrap();
        assert!(
            depends.iter().any(|d| d == grant_address.as_str()),
            "gcp {env} pool {name}: {depends:?}"
        );
    }
}

#[test]
fn every_platform_volume_is_on_the_encrypted_storage_class() {
    for (cloud, env, out) in synthesized() {
        let label = format!("{cloud} {env}");
        let storage = values_of(&out, "platform-storage");
        let class = &storage["objects"][0];
        assert_eq!(class["kind"], "StorageClass", "{label}");
        assert_eq!(class["metadata"]["name"], helm::storage::STORAGE_CLASS);
        let parameters = &class["parameters"];
        match cloud {
            Cloud::Aws => {
                assert_eq!(class["provisioner"], "ebs.csi.aws.com");
                assert_eq!(parameters["encrypted"], "true", "{label}");
                assert_eq!(parameters["type"], "gp3");
                // The platform's own key, which the EBS CSI driver may use.
                let template = text(&out, "helm/platform-storage.values.yaml.hbs");
                assert!(
                    template.contains("kmsKeyId: {{output \"kms_key_arn_storage\""),
                    "{label}"
                );
                let main: Json = serde_json::from_str(out.main_tf_json()).unwrap();
                assert_eq!(
                    main["output"]["kms_key_arn_storage"]["value"],
                    "${aws_kms_key.storage.arn}"
                );
                let policy = &main["data"]["aws_iam_policy_document"]["main_ebs_csi_volumes"];
                let statements = policy["statement"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{label}: {policy}"));
                for statement in statements {
                    assert_eq!(
                        statement["resources"],
                        serde_json::json!(["${aws_kms_key.storage.arn}"]),
                        "{label}"
                    );
                }
            }
            Cloud::Gcp => {
                assert_eq!(class["provisioner"], "pd.csi.storage.gke.io");
                gcp_volumes_use_the_disks_key_where_cmek_is_on(env, &out);
            }
            Cloud::Azure => {
                assert_eq!(class["provisioner"], "disk.csi.azure.com");
                let template = text(&out, "helm/platform-storage.values.yaml.hbs");
                assert!(
                    template.contains("diskEncryptionSetID: {{output \"disk_encryption_set_id\""),
                    "{label}"
                );
                let main: Json = serde_json::from_str(out.main_tf_json()).unwrap();
                assert_eq!(
                    main["output"]["disk_encryption_set_id"]["value"],
                    "${azurerm_disk_encryption_set.aks_nodes.id}",
                    "{label}"
                );
                let set = &main["resource"]["azurerm_disk_encryption_set"]["aks_nodes"];
                assert!(set["key_vault_key_id"].is_string(), "{label}: {set}");
            }
        }
        let mut claims = Vec::new();
        for (path, _) in out
            .files()
            .iter()
            .filter(|(p, _)| p.contains(".values.yaml"))
        {
            let release = path
                .trim_start_matches("helm/")
                .split(".values")
                .next()
                .unwrap();
            storage_class_names(&values_of(&out, release), &mut claims);
        }
        // Prometheus, Alertmanager, Grafana.
        assert_eq!(claims.len(), 3, "{label}: {claims:?}");
        assert!(
            claims.iter().all(|c| c == helm::storage::STORAGE_CLASS),
            "{label}: {claims:?}"
        );
    }
}

/// Every metric an alert or a dashboard panel reads is produced by a
/// declared scrape target (`helm::monitoring::TARGETS`), and the app's
/// charts scrape every workload with a metrics path.
#[test]
fn every_alert_and_panel_reads_metrics_of_a_declared_scrape_target() {
    let declared: BTreeSet<&str> = monitoring::TARGETS
        .iter()
        .flat_map(|t| t.metrics.iter().copied())
        .chain([monitoring::UP])
        .collect();
    let out = common::synth(Cloud::Aws, Environment::PRODUCTION);
    let values = values_of(&out, "kube-prometheus-stack");
    let mut expressions = Vec::new();
    for file in values["additionalPrometheusRulesMap"]
        .as_object()
        .unwrap()
        .values()
    {
        for group in file["groups"].as_array().unwrap() {
            for rule in group["rules"].as_array().unwrap() {
                expressions.push((
                    rule["alert"].to_string(),
                    rule["expr"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    for dashboards in values["grafana"]["dashboards"]
        .as_object()
        .unwrap()
        .values()
    {
        for dashboard in dashboards.as_object().unwrap().values() {
            let model: Json = serde_json::from_str(dashboard["json"].as_str().unwrap()).unwrap();
            for panel in model["panels"].as_array().unwrap() {
                for target in panel["targets"].as_array().unwrap() {
                    expressions.push((
                        panel["title"].to_string(),
                        target["expr"].as_str().unwrap().to_string(),
                    ));
                }
            }
        }
    }
    assert_eq!(expressions.len(), 7 + 6);
    for (name, expr) in &expressions {
        let metrics = monitoring::metric_names(expr);
        assert!(!metrics.is_empty(), "{name}: {expr}");
        for metric in metrics {
            assert!(
                declared.contains(metric.as_str()),
                "{name} reads `{metric}`, which no declared scrape target produces"
            );
        }
    }
    // ServiceDown fires for a scrape job that never appeared.
    let service_down = &expressions[0].1;
    for job in ["api-server", "model-server", "mlflow"] {
        assert!(
            service_down.contains(&format!("absent(up{{namespace=\"mlops\",job=\"{job}\"}})")),
            "{service_down}"
        );
    }
    // The workloads' target is scraped by the charts' ServiceMonitors.
    for chart in [
        "charts/workloads",
        "stacks/mlops/chart",
        "examples/own-crate/charts/retail",
    ] {
        let monitor = common::root()
            .join(chart)
            .join("templates/servicemonitor.yaml");
        let template = std::fs::read_to_string(&monitor).unwrap();
        assert!(template.contains("kind: ServiceMonitor"), "{chart}");
    }
}

/// In production the cert-manager webhook and CA injector run two replicas
/// each, with a disruption budget (a single webhook pod being drained
/// blocks every certificate change); Grafana's ReadWriteOnce volume cannot
/// follow a rolling update to another node, so it is recreated.
#[test]
fn cert_manager_is_highly_available_in_production_and_grafana_is_recreated() {
    for (cloud, env, out) in synthesized() {
        let cert_manager = values_of(&out, "cert-manager");
        for component in ["webhook", "cainjector"] {
            let replicas = cert_manager[component]["replicaCount"].as_u64().unwrap();
            let budget = &cert_manager[component]["podDisruptionBudget"];
            if env.is_production() {
                assert!(replicas >= 2, "{cloud} {env} {component}");
                assert_eq!(budget["enabled"], true);
                assert_eq!(budget["minAvailable"], 1);
            }
        }
        assert_eq!(cert_manager["config"]["gatewayAPI"]["enabled"], true);
        assert!(cert_manager.get("extraObjects").is_none());
        let monitoring = values_of(&out, "kube-prometheus-stack");
        assert_eq!(
            monitoring["grafana"]["deploymentStrategy"]["type"], "Recreate",
            "{cloud} {env}"
        );
    }
}

/// The edge: every public host has an HTTPS listener with a certificate
/// from the tier's issuer, every route of the app attaches to its host's
/// listener only, the issuers solve HTTP-01 on the Gateway's HTTP listener,
/// and client addresses reach Envoy unchanged (`externalTrafficPolicy:
/// Local`) with no forwarded header trusted (Envoy Gateway's default:
/// `useRemoteAddress` and no trusted hop, envoyproxy/gateway v1.9.0
/// internal/xds/translator/listener.go).
#[test]
fn public_hosts_get_listeners_and_routes_attach_to_them_only() {
    for (cloud, env, out) in synthesized() {
        let label = format!("{cloud} {env}");
        let edge = values_of(&out, "platform-gateway");
        let objects = edge["objects"].as_array().unwrap();
        let of_kind = |kind: &str| objects.iter().find(|o| o["kind"] == kind).unwrap();
        let gateway = of_kind("Gateway");
        assert_eq!(
            gateway["metadata"]["annotations"]["cert-manager.io/cluster-issuer"],
            if env.is_production() {
                "letsencrypt-production"
            } else {
                "letsencrypt-staging"
            }
        );
        let listeners: BTreeMap<String, &Json> = gateway["spec"]["listeners"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| (l["name"].as_str().unwrap().to_string(), l))
            .collect();
        for (name, listener) in &listeners {
            if name != "http" {
                assert_eq!(listener["protocol"], "HTTPS", "{label}");
                assert!(listener["hostname"].is_string(), "{label} {name}");
                assert_eq!(listener["tls"]["mode"], "Terminate");
            }
        }
        let service = &of_kind("EnvoyProxy")["spec"]["provider"]["kubernetes"]["envoyService"];
        assert_eq!(service["externalTrafficPolicy"], "Local", "{label}");
        assert_eq!(service["type"], "LoadBalancer");
        let app = values_of(&out, "mlops");
        let mut public = 0;
        for (name, component) in app["components"].as_object().unwrap() {
            let route = &component["route"];
            if route["enabled"] == true {
                public += 1;
                let listener = listeners
                    .get(route["listener"].as_str().unwrap())
                    .unwrap_or_else(|| panic!("{label} {name}: no listener {route}"));
                assert_eq!(listener["hostname"], route["host"], "{label} {name}");
            }
        }
        assert_eq!(public, 3, "{label}: api, app and mlflow");
        let issuers = values_of(&out, "cert-manager-issuers");
        for issuer in issuers["objects"].as_array().unwrap() {
            let parent = &issuer["spec"]["acme"]["solvers"][0]["http01"]["gatewayHTTPRoute"]
                ["parentRefs"][0];
            assert_eq!(parent["name"], gateway["metadata"]["name"]);
            assert_eq!(parent["sectionName"], "http");
        }
        for (path, bytes) in out.files().iter().filter(|(p, _)| p.starts_with("helm/")) {
            let content = String::from_utf8_lossy(bytes).to_lowercase();
            for trusted in [
                "use-forwarded-headers",
                "clientipdetection",
                "numtrustedhops",
            ] {
                assert!(!content.contains(trusted), "{label} {path}: {trusted}");
            }
        }
    }
}

/// A hook asking for a host the Gateway has no listener for gets one error
/// naming the setting that declares it.
#[test]
fn a_public_host_the_gateway_does_not_serve_is_an_error() {
    let platform = common::stacks::mlops::platform(Environment::PRODUCTION);
    let settings = HelmSettings::new()
        .with_domain("mlops.dev")
        .with_chart(ChartId::App, infrasynth::helm::ChartSetting::Off);
    let ctx = helm::HelmContext::new(&platform, Cloud::Aws, &settings).unwrap();
    let error = ctx.public_host("app").unwrap_err();
    assert!(matches!(&error, HelmError::UndeclaredPublicHost { prefix } if prefix == "app"));
    assert!(
        error.to_string().contains("with_public_host(\"app\")"),
        "{error}"
    );
    let settings = settings.with_public_host("app");
    let ctx = helm::HelmContext::new(&platform, Cloud::Aws, &settings).unwrap();
    assert_eq!(
        ctx.public_host("app").unwrap().as_deref(),
        Some("app.mlops.dev")
    );
    assert_eq!(ctx.route("app").unwrap().listener, "https-app");
}

/// The monitoring release names only Secrets it creates: Alertmanager
/// mounts every Secret of `alertmanagerSpec.secrets` and its pod does not
/// start while one is missing (Prometheus Operator, Alertmanager spec
/// `secrets`), so each is one of the release's `extraManifests`; Grafana's
/// admin Secret is the one its chart makes when `admin.existingSecret` is
/// unset (grafana chart 12.11.1, `templates/secret.yaml`).
#[test]
fn the_monitoring_release_creates_every_secret_its_values_name() {
    for (cloud, env, out) in synthesized() {
        let values = values_of(&out, "kube-prometheus-stack");
        let mounted: Vec<&str> = values["alertmanager"]["alertmanagerSpec"]["secrets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert_eq!(mounted, ["alertmanager-receivers"], "{cloud} {env}");
        let created: Vec<&Json> = values["extraManifests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["kind"] == "Secret")
            .collect();
        for name in &mounted {
            let secret = created
                .iter()
                .find(|m| m["metadata"]["name"] == *name)
                .unwrap_or_else(|| panic!("{cloud} {env}: {name} is not created"));
            // Credentials are added out of band, never in values.
            assert!(secret.get("data").is_none() && secret.get("stringData").is_none());
            assert_eq!(
                secret["metadata"]["annotations"]["helm.sh/resource-policy"],
                "keep"
            );
        }
        assert!(
            values["grafana"].get("admin").is_none(),
            "{cloud} {env}: Grafana's admin Secret is the chart's own"
        );
    }
}
