//! `lookup azure` live (feature `azure`): VM sizes and their zones from ARM
//! `Microsoft.Compute/skus`.
//!
//! No Azure emulator: a local server replays a recorded skus response. The
//! server (a thread on 127.0.0.1, started and stopped by each test) answers
//! the pages in tests/fixtures/azure-skus-westeurope-page{1,2}.json, in the
//! API's shape (api-version 2021-07-01): `Standard_D4ds_v5` and
//! `Standard_D2ds_v5` in zones 1, 2, 3; `Standard_NC4as_T4_v3` with a `Zone`
//! restriction removing zone 2; on the `nextLink` page, `Standard_M8ms`
//! with a `Location` restriction `NotAvailableForSubscription`. The lookup
//! reaches it through `INFRASYNTH_AZURE_ARM_ENDPOINT` with a static token
//! (`INFRASYNTH_AZURE_ACCESS_TOKEN`), so what is tested is the request, the
//! paging, the restrictions and the errors, not Azure's answers.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use infrasynth::app::{StackDefinition, SynthOptions};
use infrasynth::azure::facts::{AzureFacts, AzureLookup, VmSizeOffer};
use infrasynth::azure::live::{lookup, ACCESS_TOKEN_VAR, ARM_ENDPOINT_VAR};
use infrasynth::core::block::Attributes;
use infrasynth::core::context::Context;
use infrasynth::core::live::{LiveErrorKind, RetryPolicy};
use infrasynth::helm::HelmSettings;
use infrasynth::platform::Platform;
use infrasynth::{Cloud, Environment};

const SUBSCRIPTION: &str = "00000000-0000-0000-0000-000000000000";
const TOKEN: &str = "replay-token";

/// The endpoint and token variables are the process's: one test at a time.
static ENV: Mutex<()> = Mutex::new(());

fn env_lock() -> MutexGuard<'static, ()> {
    ENV.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn fixture(page: u8) -> String {
    std::fs::read_to_string(common::root().join(format!(
        "tests/fixtures/azure-skus-westeurope-page{page}.json"
    )))
    .expect("fixture")
}

/// One answer of the replay server: status, extra headers, body.
type Answer = (u16, Vec<(&'static str, String)>, String);

/// A one-thread HTTP/1.1 server on 127.0.0.1 answering each request with
/// `answer(request line, Authorization header, index)`; it records the
/// request lines and stops when dropped.
struct Replay {
    endpoint: String,
    requests: Arc<Mutex<Vec<(String, String)>>>,
    stop: Arc<AtomicUsize>,
    port: u16,
    thread: Option<JoinHandle<()>>,
}

impl Replay {
    fn start(answer: impl Fn(&str, usize) -> Answer + Send + 'static) -> Replay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicUsize::new(0));
        let (seen, stopped) = (requests.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for (index, stream) in listener.incoming().enumerate() {
                if stopped.load(Ordering::SeqCst) == 1 {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (line, auth) = read_request(&stream);
                seen.lock().unwrap().push((line.clone(), auth));
                let (status, headers, body) = answer(&line, index);
                respond(stream, status, &headers, &body);
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

    fn requests(&self) -> Vec<(String, String)> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Replay {
    fn drop(&mut self) {
        self.stop.store(1, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The request line and the `Authorization` header; the body (a GET has
/// none) is not read.
fn read_request(stream: &TcpStream) -> (String, String) {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    let _ = reader.read_line(&mut line);
    let mut auth = String::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("authorization") {
                auth = value.trim().to_string();
            }
        }
    }
    (line.trim().to_string(), auth)
}

fn respond(mut stream: TcpStream, status: u16, headers: &[(&str, String)], body: &str) {
    let reason = match status {
        200 => "OK",
        403 => "Forbidden",
        429 => "Too Many Requests",
        _ => "Error",
    };
    let mut text = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    let _ = stream.write_all(text.as_bytes());
}

/// The recorded pages: the second when the request carries the first's
/// `$skiptoken`.
fn pages(line: &str) -> Answer {
    let page = if line.contains("skiptoken") { 2 } else { 1 };
    (200, Vec::new(), fixture(page))
}

fn quick() -> RetryPolicy {
    RetryPolicy {
        attempt_timeout: Duration::from_secs(5),
        max_attempts: 3,
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_secs(2),
    }
}

fn query(sizes: &[&str]) -> AzureLookup {
    AzureLookup {
        location: Some("westeurope".to_string()),
        subscription_id: Some(SUBSCRIPTION.to_string()),
        vm_sizes: sizes.iter().map(|s| s.to_string()).collect(),
    }
}

/// Runs `lookup` against `replay` with the static token.
fn lookup_at(
    replay: &Replay,
    query: &AzureLookup,
) -> Result<AzureFacts, infrasynth::core::live::LiveError> {
    std::env::set_var(ARM_ENDPOINT_VAR, &replay.endpoint);
    std::env::set_var(ACCESS_TOKEN_VAR, TOKEN);
    let result = lookup(query, &quick());
    std::env::remove_var(ARM_ENDPOINT_VAR);
    std::env::remove_var(ACCESS_TOKEN_VAR);
    result
}

fn zones(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|z| z.to_string()).collect()
}

#[test]
fn skus_give_zones_less_zone_restrictions_across_pages() {
    let _env = env_lock();
    let replay = Replay::start(|line, _| pages(line));
    let facts = lookup_at(
        &replay,
        &query(&[
            "Standard_D4ds_v5",
            "Standard_NC4as_T4_v3",
            "Standard_M8ms",
            "Standard_E4s_v5",
        ]),
    )
    .expect("lookup");
    assert_eq!(
        facts,
        AzureFacts {
            location: "westeurope".to_string(),
            vm_sizes: BTreeMap::from([
                (
                    "Standard_D4ds_v5".to_string(),
                    VmSizeOffer {
                        unavailable: None,
                        zones: zones(&["1", "2", "3"]),
                    }
                ),
                // The `Zone` restriction removes zone 2.
                (
                    "Standard_NC4as_T4_v3".to_string(),
                    VmSizeOffer {
                        unavailable: None,
                        zones: zones(&["1", "3"]),
                    }
                ),
                // On the `nextLink` page, restricted for the location.
                (
                    "Standard_M8ms".to_string(),
                    VmSizeOffer {
                        unavailable: Some("NotAvailableForSubscription".to_string()),
                        zones: BTreeSet::new(),
                    }
                ),
                // Listed on neither page.
                (
                    "Standard_E4s_v5".to_string(),
                    VmSizeOffer {
                        unavailable: Some("not offered in westeurope".to_string()),
                        zones: BTreeSet::new(),
                    }
                ),
            ]),
        }
    );
    let requests = replay.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert!(
        requests[0].0.starts_with(&format!(
            "GET /subscriptions/{SUBSCRIPTION}/providers/Microsoft.Compute/skus?api-version=2021-07-01&%24filter=location+eq+%27westeurope%27 "
        )),
        "{requests:?}"
    );
    assert!(requests[1].0.contains("skiptoken"), "{requests:?}");
    assert!(requests
        .iter()
        .all(|(_, auth)| auth == &format!("Bearer {TOKEN}")));
}

/// A small stack on Azure (its AKS cluster's system pool) with a GPU pool
/// `gpu` of `Standard_NC4as_T4_v3` in `gpu_zones`, added by a hook as a
/// user would.
fn stack(gpu_zones: &'static [&'static str]) -> StackDefinition {
    StackDefinition::new("shop", |env| Platform::new("shop", env))
        .helm(|_| HelmSettings::new().with_acme_contact("platform@acme.dev"))
        .customize(move |c| {
            let cluster = c.realized.azure().expect("on Azure").cluster.cluster.id();
            c.stack.raw_resource(
                "azurerm_kubernetes_cluster_node_pool",
                "gpu",
                Attributes::new()
                    .set("name", "gpu")
                    .set("kubernetes_cluster_id", cluster)
                    .set("vm_size", "Standard_NC4as_T4_v3")
                    .set(
                        "zones",
                        gpu_zones.iter().map(|z| z.to_string()).collect::<Vec<_>>(),
                    ),
            );
        })
}

#[test]
fn a_pool_in_a_restricted_zone_fails_synth_naming_pool_size_and_zone() {
    let _env = env_lock();
    let replay = Replay::start(|line, _| pages(line));
    let env = Environment::DEV;
    let synth = |gpu_zones: &'static [&'static str]| {
        let definition = stack(gpu_zones);
        // What `lookup azure dev` asks of the stack, from the stack itself.
        let (_, realized) = definition.realize(Cloud::Azure, env);
        let mut asked = AzureLookup::of(&realized);
        assert_eq!(asked.location.as_deref(), Some("westeurope"));
        assert!(asked.vm_sizes.contains("Standard_NC4as_T4_v3"), "{asked:?}");
        asked.subscription_id = Some(SUBSCRIPTION.to_string());
        let facts = lookup_at(&replay, &asked).expect("lookup");
        let mut context = Context::new();
        context
            .set(&Context::key("shop", Cloud::Azure, env), &facts)
            .expect("record");
        definition.synthesize_with(
            Cloud::Azure,
            env,
            &SynthOptions::new().with_context(Some(Arc::new(context))),
        )
    };
    let text = synth(&["1", "2", "3"])
        .expect_err("zone 2 is restricted for the GPU size")
        .to_string();
    assert!(
        text.contains("node pool `gpu`: VM size `Standard_NC4as_T4_v3` is not offered in zone 2 of westeurope (offered in: 1, 3)"),
        "{text}"
    );
    if let Err(diagnostics) = synth(&["1", "3"]) {
        panic!("zones 1 and 3 must synthesize:\n{diagnostics}");
    }
}

#[test]
fn throttling_then_success_succeeds_after_a_retry_honouring_retry_after() {
    let _env = env_lock();
    let replay = Replay::start(|line, index| {
        if index == 0 {
            (
                429,
                vec![("retry-after", "1".to_string())],
                r#"{"error":{"code":"TooManyRequests","message":"The request is being throttled."}}"#
                    .to_string(),
            )
        } else {
            pages(line)
        }
    });
    let started = Instant::now();
    let facts = lookup_at(&replay, &query(&["Standard_D4ds_v5"])).expect("after a retry");
    let took = started.elapsed();
    assert_eq!(
        facts.vm_sizes["Standard_D4ds_v5"].zones,
        zones(&["1", "2", "3"])
    );
    // 429, then the two pages.
    assert_eq!(replay.requests().len(), 3);
    // Retry-After: 1 s waited (more than the 20 ms backoff), within the
    // policy's 2 s bound.
    assert!(took >= Duration::from_millis(900), "took {took:?}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn forbidden_is_access_denied_naming_the_permission() {
    let _env = env_lock();
    let replay = Replay::start(|_, _| {
        (
            403,
            Vec::new(),
            r#"{"error":{"code":"AuthorizationFailed","message":"The client does not have authorization to perform action 'Microsoft.Compute/skus/read'."}}"#.to_string(),
        )
    });
    let error = lookup_at(&replay, &query(&["Standard_D4ds_v5"])).expect_err("403");
    assert_eq!(error.kind, LiveErrorKind::AccessDenied, "{error}");
    assert_eq!(
        error.call,
        format!("GET Microsoft.Compute/skus (westeurope, subscription {SUBSCRIPTION})")
    );
    assert!(error.fix.contains("Microsoft.Compute/skus/read"), "{error}");
    assert!(error.detail.contains("AuthorizationFailed"), "{error}");
    // Not retried: the same on every try.
    assert_eq!(replay.requests().len(), 1);
}

#[test]
fn an_unreachable_endpoint_is_a_network_error_in_bounded_time() {
    let _env = env_lock();
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    std::env::set_var(ARM_ENDPOINT_VAR, format!("http://127.0.0.1:{port}"));
    std::env::set_var(ACCESS_TOKEN_VAR, TOKEN);
    let started = Instant::now();
    let result = lookup(&query(&["Standard_D4ds_v5"]), &quick());
    let took = started.elapsed();
    std::env::remove_var(ARM_ENDPOINT_VAR);
    std::env::remove_var(ACCESS_TOKEN_VAR);
    let error = result.expect_err("nothing listens");
    assert_eq!(error.kind, LiveErrorKind::Network, "{error}");
    assert!(error.detail.contains("(after 3 attempts)"), "{error}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn no_location_or_subscription_is_a_clear_error_before_any_call() {
    let _env = env_lock();
    let no_location = AzureLookup {
        location: None,
        ..query(&["Standard_D4ds_v5"])
    };
    let error = lookup(&no_location, &quick()).expect_err("no location");
    assert!(error.detail.contains("no literal location"), "{error}");
    let previous: Vec<_> = ["ARM_SUBSCRIPTION_ID", "AZURE_SUBSCRIPTION_ID"]
        .iter()
        .map(|v| (*v, std::env::var_os(v)))
        .collect();
    for (name, _) in &previous {
        std::env::remove_var(name);
    }
    let no_subscription = AzureLookup {
        subscription_id: None,
        ..query(&["Standard_D4ds_v5"])
    };
    let result = lookup(&no_subscription, &quick());
    for (name, value) in previous {
        if let Some(value) = value {
            std::env::set_var(name, value);
        }
    }
    let error = result.expect_err("no subscription");
    assert!(error.fix.contains("ARM_SUBSCRIPTION_ID"), "{error}");
}

#[test]
fn no_credential_is_no_credentials_with_the_az_login_fix() {
    let _env = env_lock();
    // With the Azure CLI installed and logged in, a token would be found.
    let cli = std::process::Command::new("az").arg("version").output();
    if cli.is_ok_and(|o| o.status.success()) {
        println!(
            "SKIPPED: the Azure CLI is installed; this case needs a machine without credentials"
        );
        return;
    }
    let replay = Replay::start(|line, _| pages(line));
    let saved: Vec<_> = [
        ACCESS_TOKEN_VAR,
        "AZURE_CLIENT_ID",
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_SECRET",
    ]
    .iter()
    .map(|v| (*v, std::env::var_os(v)))
    .collect();
    for (name, _) in &saved {
        std::env::remove_var(name);
    }
    std::env::set_var(ARM_ENDPOINT_VAR, &replay.endpoint);
    let result = lookup(&query(&["Standard_D4ds_v5"]), &quick());
    std::env::remove_var(ARM_ENDPOINT_VAR);
    for (name, value) in saved {
        if let Some(value) = value {
            std::env::set_var(name, value);
        }
    }
    let error = result.expect_err("no credential");
    assert_eq!(error.kind, LiveErrorKind::NoCredentials, "{error}");
    assert!(error.fix.contains("az login"), "{error}");
    assert!(error.fix.contains("AZURE_CLIENT_SECRET"), "{error}");
    assert!(replay.requests().is_empty(), "no request without a token");
}
