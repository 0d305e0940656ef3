//! `lookup aws` (issue 14, items 2 and 4, AWS): the live facts of the
//! reference dev stack read from emulated AWS APIs on 127.0.0.1, and each
//! failure a user meets, as the library returns it and as the command line
//! reports it.
//!
//! - EC2 (`DescribeAvailabilityZones`, `DescribeInstanceTypeOfferings`)
//!   comes from a moto server started by the test (moto's us-east-1: zones
//!   us-east-1a..f with ids `use1-az6`, `use1-az1`, ...; its offerings data
//!   leaves most types out of us-east-1e and offers `p4de.24xlarge` in
//!   us-east-1b and us-east-1c only).
//! - moto does not implement EKS `DescribeAddonVersions`: a small HTTP
//!   server in this file replays the response written in the EKS API's shape
//!   in `tests/fixtures/eks/describe-addon-versions.json` (see the README
//!   beside it), pointed to with `AWS_ENDPOINT_URL_EKS`.
//! - Throttling and access denied come from the same small server answering
//!   every EC2 call with the EC2 XML error `RequestLimitExceeded` or
//!   `UnauthorizedOperation`, counting the requests.
//!
//! Credentials are dummies (`AWS_ACCESS_KEY_ID=testing`); the SDK reads
//! endpoints and credentials from the process environment, so every test
//! holds one lock while it changes it ([`AwsEnv`]) and runs the command line
//! under that lock too.
//!
//! Needs a Python with moto[server] (`scripts/install-tools.sh`) for the two
//! moto tests; without it they print `SKIPPED` and pass, unless `CI` is set,
//! where they fail. The error tests need nothing but 127.0.0.1.

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use infrasynth::app::SynthOptions;
use infrasynth::aws::facts::{AwsFacts, AwsLookup};
use infrasynth::aws::live::client::NO_CREDENTIALS_FIX;
use infrasynth::aws::live::{lookup, AwsSession};
use infrasynth::core::context::{Context, CONTEXT_FILE};
use infrasynth::core::live::{LiveError, LiveErrorKind, RetryPolicy};
use infrasynth::{Cloud, Environment, Value};
use serde_json::Value as Json;

use common::moto::{python, Moto};
use common::{skip, SUPPORT_EPOCH};

/// The reference stack's AWS region (`Regions::default()`).
const REGION: &str = "us-east-1";

/// The key of the reference dev stack's AWS facts.
const KEY: &str = "mlops/aws/dev";

// ---------------------------------------------------------------------------
// The environment the SDK reads.

static ENV_LOCK: Mutex<()> = Mutex::new(());

/// The process environment as one test sets it for the SDK: every `AWS_*`
/// variable removed, then the test's set; restored when dropped. Holds the
/// lock for the test's whole run, so tests in this file run one at a time.
struct AwsEnv {
    saved: Vec<(String, String)>,
    _lock: MutexGuard<'static, ()>,
}

impl AwsEnv {
    fn set(vars: &[(&str, &str)]) -> AwsEnv {
        let lock = ENV_LOCK
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let saved: Vec<(String, String)> = std::env::vars()
            .filter(|(name, _)| name.starts_with("AWS_"))
            .collect();
        for (name, _) in &saved {
            std::env::remove_var(name);
        }
        for (name, value) in vars {
            std::env::set_var(name, value);
        }
        AwsEnv { saved, _lock: lock }
    }
}

impl Drop for AwsEnv {
    fn drop(&mut self) {
        let set: Vec<String> = std::env::vars()
            .map(|(name, _)| name)
            .filter(|name| name.starts_with("AWS_"))
            .collect();
        for name in set {
            std::env::remove_var(name);
        }
        for (name, value) in &self.saved {
            std::env::set_var(name, value);
        }
    }
}

/// Dummy credentials, no profile files, no instance metadata: what every
/// test starts from (`missing` is a path that does not exist).
fn base_env(missing: &Path) -> Vec<(&'static str, String)> {
    let missing = missing.display().to_string();
    vec![
        ("AWS_ACCESS_KEY_ID", "testing".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ("AWS_CONFIG_FILE", missing.clone()),
        ("AWS_SHARED_CREDENTIALS_FILE", missing),
    ]
}

fn env_of(vars: &[(&'static str, String)]) -> AwsEnv {
    let borrowed: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    AwsEnv::set(&borrowed)
}

/// The default policy with short waits, so the library tests take no
/// seconds of backoff; attempts and time bound as the default.
fn quick() -> RetryPolicy {
    RetryPolicy {
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        attempt_timeout: Duration::from_secs(5),
        ..RetryPolicy::default()
    }
}

// ---------------------------------------------------------------------------
// A replaying HTTP server on 127.0.0.1.

/// One answer: status, content type, body.
type Answer = (u16, &'static str, String);

/// An HTTP/1.1 server on a free 127.0.0.1 port answering each request with
/// `respond(request line)`, one request per connection, counting them;
/// stopped when dropped.
struct Replay {
    endpoint: String,
    requests: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    port: u16,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Replay {
    fn start(respond: impl Fn(&str) -> Answer + Send + 'static) -> Replay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().expect("address").port();
        let requests = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, stopped) = (requests.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                let Some(request_line) = read_request(&mut stream) else {
                    continue;
                };
                count.fetch_add(1, Ordering::SeqCst);
                let (status, content_type, body) = respond(&request_line);
                let reason = match status {
                    200 => "OK",
                    400 => "Bad Request",
                    403 => "Forbidden",
                    _ => "Error",
                };
                let head = format!(
                    "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(body.as_bytes());
                let _ = stream.flush();
                let _ = stream.shutdown(Shutdown::Both);
            }
        });
        Replay {
            endpoint: format!("http://127.0.0.1:{port}"),
            requests,
            stop,
            port,
            thread: Some(thread),
        }
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for Replay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads one request (head and `Content-Length` body); its request line.
fn read_request(stream: &mut TcpStream) -> Option<String> {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut data = Vec::new();
    let mut buffer = [0u8; 4096];
    let head_end = loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let read = stream.read(&mut buffer).ok()?;
        if read == 0 {
            return None;
        }
        data.extend_from_slice(&buffer[..read]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    while data.len() < head_end + length {
        let read = stream.read(&mut buffer).ok()?;
        if read == 0 {
            break;
        }
        data.extend_from_slice(&buffer[..read]);
    }
    head.lines().next().map(str::to_string)
}

/// An EC2 (query protocol) error response, as EC2 sends it.
fn ec2_error(code: &str, message: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>8f7724cf-496f-496e-8fe3-example</RequestID></Response>"
    )
}

/// The EKS server: `DescribeAddonVersions` answered from the fixture with
/// the asked add-on's entry (`addonName` of the query string), as EKS
/// answers a call that names one add-on.
fn eks_replay() -> Replay {
    let fixture: Json = serde_json::from_str(
        &std::fs::read_to_string(
            common::root().join("tests/fixtures/eks/describe-addon-versions.json"),
        )
        .expect("fixture"),
    )
    .expect("fixture JSON");
    Replay::start(move |request_line| {
        let target = request_line.split(' ').nth(1).unwrap_or_default();
        if !target.starts_with("/addons/supported-versions") {
            return (
                404,
                "application/json",
                "{\"message\":\"not replayed\"}".to_string(),
            );
        }
        let addon = target
            .split(['?', '&'])
            .find_map(|pair| pair.strip_prefix("addonName="))
            .unwrap_or_default()
            .to_string();
        let addons: Vec<Json> = fixture["addons"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|a| addon.is_empty() || a["addonName"] == addon.as_str())
            .cloned()
            .collect();
        (
            200,
            "application/json",
            serde_json::json!({ "addons": addons }).to_string(),
        )
    })
}

// ---------------------------------------------------------------------------
// The command line.

/// Runs the repository's `infrasynth` binary in `dir` (where it reads and
/// writes the context file), with the environment the test set.
fn cli(dir: &Path, args: &[&str]) -> (Output, Duration) {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_infrasynth"))
        .current_dir(dir)
        .env(infrasynth::app::SOURCE_DATE_EPOCH, SUPPORT_EPOCH)
        .args(args)
        .output()
        .expect("run infrasynth");
    (output, started.elapsed())
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

/// A context file with facts for the dev stack already (as a previous
/// lookup left it), for the failure cases: its bytes must survive.
fn existing_context(dir: &Path) -> (PathBuf, Vec<u8>) {
    let mut context = Context::new();
    let facts = AwsFacts {
        region: REGION.to_string(),
        ..AwsFacts::default()
    };
    context.set(KEY, &facts).expect("set");
    let path = dir.join(CONTEXT_FILE);
    context.save(&path).expect("save");
    let bytes = std::fs::read(&path).expect("read");
    (path, bytes)
}

/// What the reference dev stack asks `lookup aws` for.
fn dev_query(definition: &infrasynth::app::StackDefinition) -> AwsLookup {
    let (_, stack) = definition.realize(Cloud::Aws, Environment::DEV);
    AwsLookup::of(&stack)
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

fn expect_error(result: Result<AwsFacts, LiveError>) -> LiveError {
    match result {
        Ok(facts) => panic!("lookup succeeded: {facts:?}"),
        Err(error) => error,
    }
}

// ---------------------------------------------------------------------------
// Against moto.

/// The zones of the `aws_subnet` resources of a synthesized document.
fn subnet_zones(main_tf_json: &str) -> BTreeSet<String> {
    let document: Json = serde_json::from_str(main_tf_json).expect("document JSON");
    document["resource"]["aws_subnet"]
        .as_object()
        .expect("subnets")
        .values()
        .filter_map(|subnet| subnet["availability_zone"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn lookup_aws_dev_against_moto_writes_the_context_file_and_synth_with_it_is_byte_identical() {
    let Some(python) = python() else {
        skip("lookup against moto needs a Python with moto[server] (scripts/install-tools.sh)");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let moto = Moto::start(&python, &dir.path().join("moto.log"));
    let eks = eks_replay();
    let mut vars = base_env(&dir.path().join("missing"));
    vars.push(("AWS_ENDPOINT_URL_EC2", moto.endpoint.clone()));
    vars.push(("AWS_ENDPOINT_URL_EKS", eks.endpoint.clone()));
    let _env = env_of(&vars);

    // The library: what the dev stack asks for, looked up.
    let definition = common::definition();
    let query = dev_query(&definition);
    assert_eq!(query.region.as_deref(), Some(REGION));
    println!("the dev stack asks for {query:?}");
    let started = Instant::now();
    let facts = lookup(&query, &quick()).unwrap_or_else(|e| panic!("lookup: {e}"));
    println!("lookup against moto: {:?}", started.elapsed());

    // moto's us-east-1 (moto/ec2/models/availability_zones_and_regions.py).
    let zones: Vec<(&str, &str)> = facts
        .zones
        .iter()
        .map(|z| (z.name.as_str(), z.zone_id.as_str()))
        .collect();
    assert_eq!(
        zones,
        vec![
            ("us-east-1a", "use1-az6"),
            ("us-east-1b", "use1-az1"),
            ("us-east-1c", "use1-az2"),
            ("us-east-1d", "use1-az4"),
            ("us-east-1e", "use1-az3"),
            ("us-east-1f", "use1-az5"),
        ]
    );
    // Every asked-for type is recorded; moto offers each of the dev
    // stack's (m6i.xlarge, m6i.2xlarge and the spot siblings m5.2xlarge,
    // m6a.2xlarge) in every us-east-1 zone but us-east-1e.
    assert_eq!(
        facts
            .instance_type_offerings
            .keys()
            .cloned()
            .collect::<BTreeSet<_>>(),
        query.instance_types
    );
    for (instance_type, offered) in &facts.instance_type_offerings {
        let offered: Vec<&str> = offered.iter().map(String::as_str).collect();
        assert_eq!(
            offered,
            vec![
                "us-east-1a",
                "us-east-1b",
                "us-east-1c",
                "us-east-1d",
                "us-east-1f"
            ],
            "{instance_type}"
        );
    }
    // The fixture's default for 1.35 of each add-on, not its newest version
    // nor the default for 1.34.
    let versions = &facts.addon_versions["1.35"];
    assert_eq!(versions["vpc-cni"], "v1.20.4-eksbuild.2");
    assert_eq!(versions["kube-proxy"], "v1.35.0-eksbuild.2");
    assert_eq!(versions["coredns"], "v1.12.4-eksbuild.1");
    assert_eq!(versions["aws-ebs-csi-driver"], "v1.52.1-eksbuild.1");
    assert_eq!(
        eks.requests(),
        query.addons.len() * query.kubernetes_versions.len()
    );

    // Recorded, then synthesized twice with the file as synth reads it.
    let library_dir = dir.path().join("library");
    std::fs::create_dir(&library_dir).expect("dir");
    let path = library_dir.join(CONTEXT_FILE);
    let mut context = Context::new();
    context.set(KEY, &facts).expect("set");
    context.save(&path).expect("save");
    let synth = || {
        let context = Context::load(&path).expect("load").expect("a file");
        let options = SynthOptions::default().with_context(Some(Arc::new(context)));
        definition
            .synthesize_with(Cloud::Aws, Environment::DEV, &options)
            .unwrap_or_else(|d| panic!("synth with the context: {d}"))
    };
    let first = synth();
    let second = synth();
    assert!(first.files() == second.files(), "the second synth differs");
    // The subnets are in zones moto reported, and the add-ons pinned to
    // the looked-up versions.
    let names: BTreeSet<String> = facts.zones.iter().map(|z| z.name.clone()).collect();
    let used = subnet_zones(first.main_tf_json());
    assert!(!used.is_empty() && used.is_subset(&names), "{used:?}");
    let document: Json = serde_json::from_str(first.main_tf_json()).expect("JSON");
    let pinned: BTreeSet<(String, String)> = document["resource"]["aws_eks_addon"]
        .as_object()
        .expect("add-ons")
        .values()
        .map(|a| {
            (
                a["addon_name"].as_str().unwrap_or_default().to_string(),
                a["addon_version"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    for (addon, version) in versions {
        assert!(
            pinned.contains(&(addon.clone(), version.clone())),
            "{addon} not pinned to {version}: {pinned:?}"
        );
    }

    // The command line: `lookup aws dev` writes the same facts.
    let cli_dir = dir.path().join("cli");
    std::fs::create_dir(&cli_dir).expect("dir");
    let (output, took) = cli(&cli_dir, &["lookup", "aws", "dev"]);
    println!(
        "infrasynth lookup aws dev: {took:?}\n{}",
        text(&output.stdout)
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let written = std::fs::read(cli_dir.join(CONTEXT_FILE)).expect("the context file");
    let file: Json = serde_json::from_slice(&written).expect("context JSON");
    assert_eq!(
        file["facts"][KEY],
        serde_json::to_value(&facts).expect("facts JSON")
    );
    // A refresh that finds the same facts leaves the file byte-identical.
    let (output, _) = cli(&cli_dir, &["lookup", "aws", "dev", "--refresh"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        std::fs::read(cli_dir.join(CONTEXT_FILE)).expect("file"),
        written
    );
    // Synth reads it (no "no context file" note), twice byte-identical.
    let synth_cli = |out: &str| {
        let (output, _) = cli(&cli_dir, &["synth", "aws", "dev", "--out", out]);
        assert!(output.status.success(), "{}", text(&output.stderr));
        assert!(
            !text(&output.stderr).contains("no context file"),
            "{}",
            text(&output.stderr)
        );
        std::fs::read(cli_dir.join(out).join("mlops/aws/dev/main.tf.json")).expect("document")
    };
    let one = synth_cli("out1");
    let two = synth_cli("out2");
    assert!(one == two, "the second command-line synth differs");
    assert_eq!(
        subnet_zones(&text(&one)),
        used,
        "command line and library disagree"
    );
}

#[test]
fn a_node_group_type_moto_does_not_offer_in_a_zone_fails_synth_naming_pool_type_and_zone() {
    let Some(python) = python() else {
        skip("lookup against moto needs a Python with moto[server] (scripts/install-tools.sh)");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let moto = Moto::start(&python, &dir.path().join("moto.log"));
    let eks = eks_replay();
    let mut vars = base_env(&dir.path().join("missing"));
    vars.push(("AWS_ENDPOINT_URL_EC2", moto.endpoint.clone()));
    vars.push(("AWS_ENDPOINT_URL_EKS", eks.endpoint.clone()));
    let _env = env_of(&vars);

    // moto's us-east-1 offerings data (moto/ec2/resources/
    // instance_type_offerings/availability-zone/us-east-1.json) has
    // p4de.24xlarge in us-east-1b and us-east-1c only: a customize hook
    // (public API) puts the dev stack's first node group on it.
    let definition = common::definition().customize(|ctx| {
        if let Some(aws) = ctx.realized.aws() {
            let group = aws.cluster.node_groups[0].clone();
            ctx.stack
                .set_raw(&group, "instance_types", vec!["p4de.24xlarge"]);
        }
    });
    let (_, stack) = definition.realize(Cloud::Aws, Environment::DEV);
    let pool = stack
        .blocks()
        .iter()
        .find(|b| {
            b.address().resource_type() == "aws_eks_node_group"
                && b.attributes().get("instance_types") == Some(&Value::from(vec!["p4de.24xlarge"]))
        })
        .and_then(|b| b.attributes().get("node_group_name"))
        .and_then(Value::as_str)
        .expect("the changed node group")
        .to_string();
    let query = AwsLookup::of(&stack);
    let facts = lookup(&query, &quick()).unwrap_or_else(|e| panic!("lookup: {e}"));
    assert_eq!(
        facts.instance_type_offerings["p4de.24xlarge"],
        BTreeSet::from(["us-east-1b".to_string(), "us-east-1c".to_string()])
    );
    let mut context = Context::new();
    context.set(KEY, &facts).expect("set");
    let options = SynthOptions::default().with_context(Some(Arc::new(context)));
    let diagnostics = match definition.synthesize_with(Cloud::Aws, Environment::DEV, &options) {
        Ok(_) => panic!("synth accepted p4de.24xlarge in us-east-1a"),
        Err(diagnostics) => diagnostics.to_string(),
    };
    assert!(
        diagnostics.contains(&format!(
            "node group `{pool}`: instance type `p4de.24xlarge` is not offered in us-east-1a"
        )),
        "{diagnostics}"
    );
    assert!(
        diagnostics.contains("field `instance_types`"),
        "{diagnostics}"
    );
}

// ---------------------------------------------------------------------------
// Failures: nothing written, each with its fix.

#[test]
fn no_credentials_is_reported_with_the_aws_fix_and_leaves_the_context_file_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("missing");
    // No keys, no profile files, no instance metadata; an endpoint nothing
    // listens on, so nothing could reach AWS even if credentials were found.
    let endpoint = format!("http://127.0.0.1:{}", closed_port());
    let vars: Vec<(&str, String)> = vec![
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ("AWS_CONFIG_FILE", missing.display().to_string()),
        ("AWS_SHARED_CREDENTIALS_FILE", missing.display().to_string()),
        ("AWS_ENDPOINT_URL", endpoint),
    ];
    let _env = env_of(&vars);
    let query = dev_query(&common::definition());
    let started = Instant::now();
    let error = expect_error(lookup(&query, &quick()));
    println!("no credentials: {:?}\n{error}", started.elapsed());
    assert_eq!(error.kind, LiveErrorKind::NoCredentials, "{error}");
    assert_eq!(error.call, "ec2:DescribeAvailabilityZones (us-east-1)");
    assert_eq!(error.fix, NO_CREDENTIALS_FIX);
    assert!(
        error.to_string().contains(
            "set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run `aws sso login`"
        ),
        "{error}"
    );

    let (path, before) = existing_context(dir.path());
    let (output, took) = cli(dir.path(), &["lookup", "aws", "dev", "--refresh"]);
    let stderr = text(&output.stderr);
    println!("infrasynth lookup aws dev --refresh (no credentials): {took:?}\n{stderr}");
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("ec2:DescribeAvailabilityZones (us-east-1): no credentials"),
        "{stderr}"
    );
    assert!(stderr.contains(NO_CREDENTIALS_FIX), "{stderr}");
    assert!(stderr.contains("is unchanged"), "{stderr}");
    assert_eq!(std::fs::read(&path).expect("file"), before);
}

#[test]
fn an_unreachable_endpoint_is_a_network_error_within_seconds() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut vars = base_env(&dir.path().join("missing"));
    vars.push((
        "AWS_ENDPOINT_URL",
        format!("http://127.0.0.1:{}", closed_port()),
    ));
    let _env = env_of(&vars);
    let query = dev_query(&common::definition());
    let started = Instant::now();
    let error = expect_error(lookup(&query, &quick()));
    let took = started.elapsed();
    println!("no network: {took:?}\n{error}");
    assert_eq!(error.kind, LiveErrorKind::Network, "{error}");
    assert_eq!(error.call, "ec2:DescribeAvailabilityZones (us-east-1)");
    assert!(error.fix.contains("AWS_ENDPOINT_URL"), "{error}");
    // Four quick attempts against a refused port: well under the bound.
    assert!(took < Duration::from_secs(10), "took {took:?}");

    // The command line, with the default policy (backoff 0.5 s, 1 s, 2 s
    // at most, jittered): exit 1 within seconds, the file untouched.
    let (path, before) = existing_context(dir.path());
    let (output, took) = cli(dir.path(), &["lookup", "aws", "dev", "--refresh"]);
    let stderr = text(&output.stderr);
    println!("infrasynth lookup aws dev --refresh (no network): {took:?}\n{stderr}");
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the endpoint cannot be reached"),
        "{stderr}"
    );
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert_eq!(std::fs::read(&path).expect("file"), before);
}

#[test]
fn throttling_is_retried_max_attempts_times_then_reported() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Replay::start(|_| {
        (
            400,
            "text/xml",
            ec2_error("RequestLimitExceeded", "Request limit exceeded."),
        )
    });
    let mut vars = base_env(&dir.path().join("missing"));
    vars.push(("AWS_ENDPOINT_URL", server.endpoint.clone()));
    let _env = env_of(&vars);
    let query = dev_query(&common::definition());
    let policy = quick();
    let started = Instant::now();
    let error = expect_error(lookup(&query, &policy));
    println!("throttled: {:?}\n{error}", started.elapsed());
    assert_eq!(error.kind, LiveErrorKind::Throttled, "{error}");
    assert_eq!(error.call, "ec2:DescribeAvailabilityZones (us-east-1)");
    assert!(
        error
            .detail
            .starts_with("RequestLimitExceeded: Request limit exceeded."),
        "{error}"
    );
    assert!(error.fix.contains("wait"), "{error}");
    assert_eq!(server.requests(), policy.max_attempts as usize);

    let (path, before) = existing_context(dir.path());
    let requests = server.requests();
    let (output, took) = cli(dir.path(), &["lookup", "aws", "dev", "--refresh"]);
    let stderr = text(&output.stderr);
    println!("infrasynth lookup aws dev --refresh (throttled): {took:?}\n{stderr}");
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("ec2:DescribeAvailabilityZones (us-east-1): throttled"),
        "{stderr}"
    );
    assert!(stderr.contains("is unchanged"), "{stderr}");
    assert_eq!(
        server.requests() - requests,
        RetryPolicy::default().max_attempts as usize
    );
    assert_eq!(std::fs::read(&path).expect("file"), before);
}

#[test]
fn a_call_with_no_answer_is_bounded_by_the_attempt_timeout() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Accepts, then answers nothing for 2 s: longer than the 300 ms bound.
    let server = Replay::start(|_| {
        std::thread::sleep(Duration::from_secs(2));
        (500, "text/xml", ec2_error("InternalError", "too late"))
    });
    let mut vars = base_env(&dir.path().join("missing"));
    vars.push(("AWS_ENDPOINT_URL", server.endpoint.clone()));
    let _env = env_of(&vars);
    let query = dev_query(&common::definition());
    let policy = RetryPolicy {
        attempt_timeout: Duration::from_millis(300),
        max_attempts: 2,
        ..quick()
    };
    let started = Instant::now();
    let error = expect_error(lookup(&query, &policy));
    let took = started.elapsed();
    println!("timeout: {took:?}\n{error}");
    assert_eq!(error.kind, LiveErrorKind::Timeout, "{error}");
    assert!(error.fix.contains("0.3 s per attempt"), "{error}");
    // Two attempts of 300 ms and a short backoff, not the server's 2 s.
    assert!(took < Duration::from_millis(1500), "took {took:?}");
}

#[test]
fn access_denied_names_the_iam_action_to_allow() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Replay::start(|_| {
        (
            403,
            "text/xml",
            ec2_error(
                "UnauthorizedOperation",
                "You are not authorized to perform this operation.",
            ),
        )
    });
    let mut vars = base_env(&dir.path().join("missing"));
    vars.push(("AWS_ENDPOINT_URL", server.endpoint.clone()));
    let _env = env_of(&vars);
    let query = dev_query(&common::definition());
    let error = expect_error(lookup(&query, &quick()));
    println!("access denied:\n{error}");
    assert_eq!(error.kind, LiveErrorKind::AccessDenied, "{error}");
    assert!(
        error
            .fix
            .contains("allow the IAM action `ec2:DescribeAvailabilityZones`"),
        "{error}"
    );
    // Not transient: one request, no retry.
    assert_eq!(server.requests(), 1);
}

#[test]
fn eks_json_error_codes_map_like_ec2s() {
    // EKS is a REST-JSON API: its error code is the body's `__type`
    // (EKS API reference, Common Errors: AccessDeniedException 403,
    // ThrottlingException 400).
    let dir = tempfile::tempdir().expect("temp dir");
    let denied = Replay::start(|_| {
        (
            403,
            "application/json",
            "{\"__type\":\"AccessDeniedException\",\"message\":\"User is not authorized to perform: eks:DescribeAddonVersions\"}".to_string(),
        )
    });
    let throttled = Replay::start(|_| {
        (
            400,
            "application/json",
            "{\"__type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"}".to_string(),
        )
    });
    let policy = quick();
    let call = |endpoint: &str| {
        let mut vars = base_env(&dir.path().join("missing"));
        vars.push(("AWS_ENDPOINT_URL_EKS", endpoint.to_string()));
        let _env = env_of(&vars);
        let session = AwsSession::new(REGION, &policy).expect("session");
        let result = session.block_on(
            session
                .eks()
                .describe_addon_versions()
                .kubernetes_version("1.35")
                .addon_name("vpc-cni")
                .send(),
        );
        match result {
            Ok(output) => panic!("the call succeeded: {output:?}"),
            Err(error) => session.error("eks:DescribeAddonVersions", error),
        }
    };
    let error = call(&denied.endpoint);
    assert_eq!(error.kind, LiveErrorKind::AccessDenied, "{error}");
    assert_eq!(error.call, "eks:DescribeAddonVersions (us-east-1)");
    assert!(
        error
            .fix
            .contains("allow the IAM action `eks:DescribeAddonVersions`"),
        "{error}"
    );
    assert_eq!(denied.requests(), 1);
    let error = call(&throttled.endpoint);
    assert_eq!(error.kind, LiveErrorKind::Throttled, "{error}");
    assert_eq!(throttled.requests(), policy.max_attempts as usize);
}
