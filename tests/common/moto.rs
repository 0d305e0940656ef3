//! A local moto server for tests that apply Terraform against emulated AWS
//! APIs: the Python that has it, the server (stopped by its own pid when
//! dropped), boto3 snippets against it, and the test-only provider override
//! that points the aws provider at it.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};

/// The Python with moto[server] and boto3: `E2E_PYTHON`, the venv
/// `scripts/install-tools.sh` makes, or `python3`.
pub fn python() -> Option<PathBuf> {
    super::python_with("import moto.server, boto3")
}

/// A moto server on a free port, stopped (by its own pid) when dropped.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    python: PathBuf,
}

impl Moto {
    /// Starts moto with `python`, logging to `log` (and `log` with the
    /// extension `err`), and waits until it accepts connections.
    pub fn start(python: &Path, log: &Path) -> Moto {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(python)
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(std::fs::File::create(log).expect("moto log"))
            .stderr(std::fs::File::create(log.with_extension("err")).expect("moto log"))
            .spawn()
            .expect("start moto");
        let endpoint = format!("http://127.0.0.1:{port}");
        let mut moto = Moto {
            child,
            endpoint,
            python: python.to_path_buf(),
        };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "moto did not start"
            );
            assert!(
                moto.child.try_wait().ok().flatten().is_none(),
                "moto exited"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        moto
    }

    /// Runs a boto3 snippet against this server and returns what it printed.
    /// `s3`, `rds` are clients, `client(name)` makes any other; `json` is
    /// imported.
    pub fn boto3(&self, code: &str) -> String {
        let script = format!(
            "import boto3, json\ndef client(name):\n    return boto3.client(name, endpoint_url='{}', region_name='us-east-1', aws_access_key_id='testing', aws_secret_access_key='testing')\ns3 = client('s3')\nrds = client('rds')\n{code}",
            self.endpoint
        );
        let out = Command::new(&self.python)
            .args(["-c", &script])
            .output()
            .expect("run python");
        assert!(
            out.status.success(),
            "boto3 failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The test-only provider settings pointing every service at moto, with
/// `resources` (test-only resource overrides, such as `count = 0` on a type
/// moto lacks) merged in when it is an object. Written beside a stack as
/// `zz_moto_override.tf.json`; never part of a synthesized document.
pub fn provider_override(endpoint: &str, resources: Json) -> String {
    let services = [
        "s3",
        "kms",
        "sts",
        "iam",
        "ec2",
        "logs",
        "eks",
        "rds",
        "elasticache",
        "secretsmanager",
    ];
    let endpoints: serde_json::Map<String, Json> = services
        .iter()
        .map(|s| (s.to_string(), json!(endpoint)))
        .collect();
    let mut doc = json!({"provider": {"aws": {
        "access_key": "testing",
        "secret_key": "testing",
        "skip_credentials_validation": true,
        "skip_metadata_api_check": true,
        "skip_requesting_account_id": true,
        "s3_use_path_style": true,
        "endpoints": [endpoints],
    }}});
    if resources.is_object() {
        doc["resource"] = resources;
    }
    serde_json::to_string_pretty(&doc).expect("JSON")
}

/// The test-only overrides for what moto 5 lacks in a synthesized AWS
/// document, as `(overrides, notes)`: `overrides` holds `resource` and
/// `data` to merge into [`provider_override`]'s document, `notes` one line
/// per gap (printed by the test, never silent). The same gaps as
/// `scripts/e2e-aws.sh` step 3:
/// - EKS `CreateAddon` and `DescribeAddonVersions` (404 on moto): every
///   `aws_eks_addon` and `data.aws_eks_addon_version` gets `count = 0`;
/// - moto's EKS leaves `vpc_config.cluster_security_group_id` empty, so an
///   ingress rule admitting the cluster's group is re-pointed at its own
///   group.
pub fn gaps(doc: &Json) -> (Json, Vec<String>) {
    let mut resources = serde_json::Map::new();
    let mut data = serde_json::Map::new();
    let mut notes = Vec::new();
    if let Some(rules) = doc["resource"]["aws_vpc_security_group_ingress_rule"].as_object() {
        let mut patched = serde_json::Map::new();
        for (name, rule) in rules {
            if rule["referenced_security_group_id"]
                .to_string()
                .contains("cluster_security_group_id")
            {
                patched.insert(
                    name.clone(),
                    json!({"referenced_security_group_id": rule["security_group_id"]}),
                );
            }
        }
        if !patched.is_empty() {
            notes.push(format!(
                "moto workaround: {} ingress rule(s) re-pointed from the EKS cluster security group",
                patched.len()
            ));
            resources.insert(
                "aws_vpc_security_group_ingress_rule".into(),
                Json::Object(patched),
            );
        }
    }
    if let Some(addons) = doc["resource"]["aws_eks_addon"].as_object() {
        let off: serde_json::Map<String, Json> = addons
            .keys()
            .map(|n| (n.clone(), json!({"count": 0, "addon_version": null})))
            .collect();
        notes.push(format!(
            "moto gap: {} aws_eks_addon left out of the apply (no CreateAddon)",
            off.len()
        ));
        resources.insert("aws_eks_addon".into(), Json::Object(off));
    }
    if let Some(versions) = doc["data"]["aws_eks_addon_version"].as_object() {
        let off: serde_json::Map<String, Json> = versions
            .keys()
            .map(|n| (n.clone(), json!({"count": 0})))
            .collect();
        notes.push(format!(
            "moto gap: {} data.aws_eks_addon_version left out of the apply (no DescribeAddonVersions)",
            off.len()
        ));
        data.insert("aws_eks_addon_version".into(), Json::Object(off));
    }
    (
        json!({"resource": Json::Object(resources), "data": Json::Object(data)}),
        notes,
    )
}

/// [`provider_override`] with the [`gaps`] of `doc` merged in, and the
/// gaps' notes.
pub fn provider_override_for(endpoint: &str, doc: &Json) -> (String, Vec<String>) {
    let (overrides, notes) = gaps(doc);
    let mut merged: Json =
        serde_json::from_str(&provider_override(endpoint, overrides["resource"].clone()))
            .expect("JSON");
    if overrides["data"].as_object().is_some_and(|d| !d.is_empty()) {
        merged["data"] = overrides["data"].clone();
    }
    (serde_json::to_string_pretty(&merged).expect("JSON"), notes)
}
