//! The scale stack: N copies of a realistic 41-resource AWS environment, for
//! measuring synth speed and memory against CDK for Terraform.
//!
//! ```text
//! cargo run --release --example scale -- --copies 250 --out /tmp/scale
//! ```
//!
//! writes `/tmp/scale/main.tf.json` (10,250 resources) and prints one line with
//! the time of each phase: build (constructing the stack), validate (reference,
//! cycle and policy checks), serialize (rendering Terraform JSON) and write
//! (the product's atomic writer).
//!
//! `--diff` writes nothing and instead compares the synth with
//! `DIR/main.tf.json` as `infrasynth diff` does (`core::diff` with the AWS
//! broadening rules, rendered as text); `--validate` writes nothing and
//! checks the document against the bundled AWS provider schema as
//! `infrasynth validate` does (the policies ran in the synth).
//!
//! Each copy mirrors `../shared/bench/cdktf/app.js` resource for resource, at
//! the same level of abstraction as cdktf's L1 classes: resource kinds declared
//! here, attributes set one by one, every cross-reference a typed `Ref`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use infrasynth::core::backend::Backend;
use infrasynth::core::output::write_atomically;
use infrasynth::core::policy::Policy;
use infrasynth::{map, Attributes, Cloud, Diagnostics, HasArn, HasName, Ref, ResourceKind, Stack};
use infrasynth::{Synthesized, Value};

/// The AWS resource kinds the scale stack uses, declared the way a user
/// declares kinds the library has no builder for.
pub mod kind {
    use super::{HasArn, HasName, ResourceKind};

    macro_rules! kinds {
        ($($name:ident => $tf:literal),+ $(,)?) => {$(
            #[doc = concat!("`", $tf, "`")]
            pub enum $name {}
            impl ResourceKind for $name {
                const TYPE: &'static str = $tf;
            }
        )+};
    }

    kinds! {
        Vpc => "aws_vpc",
        Subnet => "aws_subnet",
        InternetGateway => "aws_internet_gateway",
        Eip => "aws_eip",
        NatGateway => "aws_nat_gateway",
        RouteTable => "aws_route_table",
        RouteTableAssociation => "aws_route_table_association",
        SecurityGroup => "aws_security_group",
        DbSubnetGroup => "aws_db_subnet_group",
        DbInstance => "aws_db_instance",
        ElasticacheSubnetGroup => "aws_elasticache_subnet_group",
        ElasticacheReplicationGroup => "aws_elasticache_replication_group",
        S3Bucket => "aws_s3_bucket",
        S3BucketVersioning => "aws_s3_bucket_versioning",
        S3BucketSse => "aws_s3_bucket_server_side_encryption_configuration",
        S3BucketPublicAccessBlock => "aws_s3_bucket_public_access_block",
        IamRole => "aws_iam_role",
        IamRolePolicyAttachment => "aws_iam_role_policy_attachment",
        EksCluster => "aws_eks_cluster",
        EksNodeGroup => "aws_eks_node_group",
    }

    impl HasName for DbSubnetGroup {}
    impl HasName for ElasticacheSubnetGroup {}
    impl HasName for IamRole {}
    impl HasArn for IamRole {}
    impl HasName for EksCluster {}
}

use kind::*;

/// Resources in one copy of the environment.
pub const RESOURCES_PER_COPY: usize = 41;

const AZS: [&str; 3] = ["us-east-1a", "us-east-1b", "us-east-1c"];

const NODE_POLICIES: [&str; 4] = [
    "AmazonEKSClusterPolicy",
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
];

/// The whole benchmark stack: provider, backend and `copies` environments.
pub fn scale_stack(copies: usize) -> Stack {
    let mut stack = Stack::new("scale");
    stack.require_provider("aws", "hashicorp/aws", "5.100.0");
    stack.set_backend(
        Backend::new("local", map! { "path" => "terraform.tfstate" })
            .expect("a literal local backend"),
    );
    let mut provider = std::collections::BTreeMap::new();
    provider.insert("region".to_string(), Value::from("us-east-1"));
    provider.insert("access_key".to_string(), Value::from("test"));
    provider.insert("secret_key".to_string(), Value::from("test"));
    provider.insert("skip_credentials_validation".to_string(), Value::from(true));
    provider.insert("skip_requesting_account_id".to_string(), Value::from(true));
    provider.insert("skip_metadata_api_check".to_string(), Value::from("true"));
    provider.insert(
        "default_tags".to_string(),
        Value::List(vec![
            map! { "tags" => map! { "Project" => "infrasynth-bench" } },
        ]),
    );
    stack.provider("aws", provider);
    // Merged into every `.tagged()` block, under the block's own tags.
    stack.default_tag("ManagedBy", "infrasynth-bench");
    for index in 0..copies {
        environment(&mut stack, index);
    }
    stack
}

/// One environment's tags (`ManagedBy` comes from the stack's default tags).
fn tags(env: &str, name: &str) -> Value {
    map! { "Name" => name, "Environment" => env }
}

fn ids<K>(refs: &[Ref<K>]) -> Value {
    Value::List(refs.iter().map(|r| r.id().into()).collect())
}

/// One 41-resource environment, `env<index>`.
fn environment(stack: &mut Stack, index: usize) {
    let env = format!("env{index}");
    let name = |local: &str| format!("{env}_{local}");
    // The second octet differs per copy, as in the cdktf app.
    let octet = index % 256;

    let vpc = stack.resource::<Vpc>(
        &name("vpc"),
        Attributes::new()
            .set("cidr_block", format!("10.{octet}.0.0/16"))
            .set("enable_dns_hostnames", true)
            .set("enable_dns_support", true)
            .set("tags", tags(&env, &format!("{env}-vpc")))
            .tagged(),
    );
    let igw = stack.resource::<InternetGateway>(
        &name("igw"),
        Attributes::new()
            .set("vpc_id", vpc.id())
            .set("tags", tags(&env, &format!("{env}-igw")))
            .tagged(),
    );

    let mut public = Vec::with_capacity(AZS.len());
    let mut private = Vec::with_capacity(AZS.len());
    for (i, az) in AZS.iter().enumerate() {
        public.push(
            stack.resource::<Subnet>(
                &name(&format!("public_{i}")),
                Attributes::new()
                    .set("vpc_id", vpc.id())
                    .set("cidr_block", format!("10.{octet}.{i}.0/24"))
                    .set("availability_zone", *az)
                    .set("map_public_ip_on_launch", true)
                    .set(
                        "tags",
                        tags(&env, &format!("{env}-public-{az}"))
                            .with("kubernetes.io/role/elb", "1"),
                    )
                    .tagged(),
            ),
        );
        private.push(
            stack.resource::<Subnet>(
                &name(&format!("private_{i}")),
                Attributes::new()
                    .set("vpc_id", vpc.id())
                    .set("cidr_block", format!("10.{octet}.{}.0/24", 100 + i))
                    .set("availability_zone", *az)
                    .set(
                        "tags",
                        tags(&env, &format!("{env}-private-{az}"))
                            .with("kubernetes.io/role/internal-elb", "1"),
                    )
                    .tagged(),
            ),
        );
    }

    let public_rt = stack.resource::<RouteTable>(
        &name("public_rt"),
        Attributes::new()
            .set("vpc_id", vpc.id())
            .blocks("route", vec![route("gateway_id", igw.id().into())])
            .set("tags", tags(&env, &format!("{env}-public-rt")))
            .tagged(),
    );
    for (i, subnet) in public.iter().enumerate() {
        stack.resource::<RouteTableAssociation>(
            &name(&format!("public_rta_{i}")),
            Attributes::new()
                .set("subnet_id", subnet.id())
                .set("route_table_id", public_rt.id()),
        );
    }

    for (i, az) in AZS.iter().enumerate() {
        let eip = stack.resource::<Eip>(
            &name(&format!("nat_eip_{i}")),
            Attributes::new()
                .set("domain", "vpc")
                .set("tags", tags(&env, &format!("{env}-nat-eip-{az}")))
                .tagged()
                .depends_on(igw.address()),
        );
        let nat = stack.resource::<NatGateway>(
            &name(&format!("nat_{i}")),
            Attributes::new()
                .set("allocation_id", eip.id())
                .set("subnet_id", public[i].id())
                .set("tags", tags(&env, &format!("{env}-nat-{az}")))
                .tagged()
                .depends_on(igw.address()),
        );
        let rt = stack.resource::<RouteTable>(
            &name(&format!("private_rt_{i}")),
            Attributes::new()
                .set("vpc_id", vpc.id())
                .blocks("route", vec![route("nat_gateway_id", nat.id().into())])
                .set("tags", tags(&env, &format!("{env}-private-rt-{az}")))
                .tagged(),
        );
        stack.resource::<RouteTableAssociation>(
            &name(&format!("private_rta_{i}")),
            Attributes::new()
                .set("subnet_id", private[i].id())
                .set("route_table_id", rt.id()),
        );
    }

    let app_sg = stack.resource::<SecurityGroup>(
        &name("app_sg"),
        Attributes::new()
            .set("name", format!("{env}-app"))
            .set("description", "app tier")
            .set("vpc_id", vpc.id())
            .blocks(
                "ingress",
                vec![sg_rule(
                    "https",
                    443,
                    "tcp",
                    Some(vec![Value::from("0.0.0.0/0")]),
                    None,
                )],
            )
            .blocks(
                "egress",
                vec![sg_rule(
                    "",
                    0,
                    "-1",
                    Some(vec![Value::from("0.0.0.0/0")]),
                    None,
                )],
            )
            .set("tags", tags(&env, &format!("{env}-app-sg")))
            .tagged(),
    );
    let data_sg = stack.resource::<SecurityGroup>(
        &name("data_sg"),
        Attributes::new()
            .set("name", format!("{env}-data"))
            .set("description", "data tier")
            .set("vpc_id", vpc.id())
            .blocks(
                "ingress",
                vec![
                    sg_rule("postgres", 5432, "tcp", None, Some(app_sg.id().into())),
                    sg_rule("redis", 6379, "tcp", None, Some(app_sg.id().into())),
                ],
            )
            .blocks(
                "egress",
                vec![sg_rule(
                    "",
                    0,
                    "-1",
                    Some(vec![vpc.attr::<String>("cidr_block").into()]),
                    None,
                )],
            )
            .set("tags", tags(&env, &format!("{env}-data-sg")))
            .tagged(),
    );

    let env_tags = || tags(&env, &env);
    let db_subnets = stack.resource::<DbSubnetGroup>(
        &name("db_subnets"),
        Attributes::new()
            .set("name", format!("{env}-db"))
            .set("subnet_ids", ids(&private))
            .set("tags", env_tags())
            .tagged(),
    );
    let db = stack.resource::<DbInstance>(
        &name("db"),
        Attributes::new()
            .set("identifier", format!("{env}-pg"))
            .set("engine", "postgres")
            .set("engine_version", "16.4")
            .set("instance_class", "db.m6g.large")
            .set("allocated_storage", 100)
            .set("max_allocated_storage", 500)
            .set("storage_type", "gp3")
            .set("storage_encrypted", true)
            .set("multi_az", true)
            .set("db_name", "app")
            .set("username", "appadmin")
            .set("manage_master_user_password", true)
            .set("db_subnet_group_name", db_subnets.name())
            .set(
                "vpc_security_group_ids",
                ids(std::slice::from_ref(&data_sg)),
            )
            .set("backup_retention_period", 7)
            .set("deletion_protection", false)
            .set("skip_final_snapshot", true)
            .set("tags", env_tags())
            .tagged(),
    );

    let cache_subnets = stack.resource::<ElasticacheSubnetGroup>(
        &name("cache_subnets"),
        Attributes::new()
            .set("name", format!("{env}-cache"))
            .set("subnet_ids", ids(&private))
            .set("tags", env_tags())
            .tagged(),
    );
    let cache = stack.resource::<ElasticacheReplicationGroup>(
        &name("cache"),
        Attributes::new()
            .set("replication_group_id", format!("{env}-redis"))
            .set("description", format!("{env} redis"))
            .set("engine", "redis")
            .set("engine_version", "7.1")
            .set("node_type", "cache.t4g.small")
            .set("num_cache_clusters", 2)
            .set("automatic_failover_enabled", true)
            .set("multi_az_enabled", true)
            .set("at_rest_encryption_enabled", true)
            .set("transit_encryption_enabled", true)
            .set("subnet_group_name", cache_subnets.name())
            .set("security_group_ids", ids(std::slice::from_ref(&data_sg)))
            .set("tags", env_tags())
            .tagged(),
    );

    let bucket = stack.resource::<S3Bucket>(
        &name("bucket"),
        Attributes::new()
            .set("bucket", format!("infrasynth-bench-{env}-artifacts"))
            .set("tags", env_tags())
            .tagged(),
    );
    stack.resource::<S3BucketVersioning>(
        &name("bucket_versioning"),
        Attributes::new()
            .set("bucket", bucket.id())
            .block("versioning_configuration", map! { "status" => "Enabled" }),
    );
    stack.resource::<S3BucketSse>(
        &name("bucket_sse"),
        Attributes::new().set("bucket", bucket.id()).block(
            "rule",
            map! {
                "apply_server_side_encryption_by_default" =>
                    Value::List(vec![map! { "sse_algorithm" => "aws:kms" }]),
                "bucket_key_enabled" => true,
            },
        ),
    );
    stack.resource::<S3BucketPublicAccessBlock>(
        &name("bucket_pab"),
        Attributes::new()
            .set("bucket", bucket.id())
            .set("block_public_acls", true)
            .set("block_public_policy", true)
            .set("ignore_public_acls", true)
            .set("restrict_public_buckets", true),
    );

    let role = stack.resource::<IamRole>(
        &name("eks_role"),
        Attributes::new()
            .set("name", format!("{env}-eks"))
            .set("assume_role_policy", assume_role_policy())
            .set("tags", env_tags())
            .tagged(),
    );
    let attachments: Vec<Ref<IamRolePolicyAttachment>> = NODE_POLICIES
        .iter()
        .map(|policy| {
            stack.resource::<IamRolePolicyAttachment>(
                &name(&format!("attach_{policy}")),
                Attributes::new()
                    .set("role", role.name())
                    .set("policy_arn", format!("arn:aws:iam::aws:policy/{policy}")),
            )
        })
        .collect();

    let cluster = stack.resource::<EksCluster>(
        &name("eks"),
        Attributes::new()
            .set("name", format!("{env}-eks"))
            .set("role_arn", role.arn())
            .set("version", "1.35")
            .block(
                "vpc_config",
                map! {
                    "subnet_ids" => ids(&private),
                    "security_group_ids" => ids(std::slice::from_ref(&app_sg)),
                    "endpoint_private_access" => true,
                    "endpoint_public_access" => false,
                },
            )
            .set(
                "enabled_cluster_log_types",
                Value::from(vec!["api", "audit"]),
            )
            .set("tags", env_tags())
            .tagged()
            .depends_on(attachments[0].address()),
    );
    let mut node_group = Attributes::new()
        .set("cluster_name", cluster.name())
        .set("node_group_name", format!("{env}-default"))
        .set("node_role_arn", role.arn())
        .set("subnet_ids", ids(&private))
        .set("instance_types", Value::from(vec!["m6i.large"]))
        .block(
            "scaling_config",
            map! { "desired_size" => 3, "min_size" => 3, "max_size" => 6 },
        )
        .block("update_config", map! { "max_unavailable" => 1 })
        .set("tags", env_tags())
        .tagged();
    for attachment in &attachments[1..] {
        node_group = node_group.depends_on(attachment.address());
    }
    stack.resource::<EksNodeGroup>(&name("eks_nodes"), node_group);

    stack.output(&name("vpc_id"), vpc.id(), "");
    stack.output(&name("db_endpoint"), db.attr::<String>("endpoint"), "");
    stack.output(
        &name("redis_endpoint"),
        cache.attr::<String>("primary_endpoint_address"),
        "",
    );
    stack.output(
        &name("eks_endpoint"),
        cluster.attr::<String>("endpoint"),
        "",
    );
}

/// A `route` entry: Terraform JSON needs every attribute of an
/// attributes-as-blocks list, so the unused ones are written as null.
fn route(target: &str, id: Value) -> Value {
    let mut route = map! { "cidr_block" => "0.0.0.0/0" };
    for key in [
        "carrier_gateway_id",
        "core_network_arn",
        "destination_prefix_list_id",
        "egress_only_gateway_id",
        "gateway_id",
        "ipv6_cidr_block",
        "local_gateway_id",
        "nat_gateway_id",
        "network_interface_id",
        "transit_gateway_id",
        "vpc_endpoint_id",
        "vpc_peering_connection_id",
    ] {
        route.insert(key, Value::Null);
    }
    route.insert(target, id);
    route
}

/// An ingress/egress entry, every attribute present (see [`route`]).
fn sg_rule(
    description: &str,
    port: u16,
    protocol: &str,
    cidr_blocks: Option<Vec<Value>>,
    security_group: Option<Value>,
) -> Value {
    map! {
        "description" => if description.is_empty() { Value::Null } else { Value::from(description) },
        "from_port" => port,
        "to_port" => port,
        "protocol" => protocol,
        "cidr_blocks" => cidr_blocks.map(Value::List),
        "security_groups" => security_group.map(|id| Value::List(vec![id])),
        "ipv6_cidr_blocks" => Value::Null,
        "prefix_list_ids" => Value::Null,
        "self" => Value::Null,
    }
}

fn assume_role_policy() -> Value {
    map! {
        "Version" => "2012-10-17",
        "Statement" => Value::List(vec![map! {
            "Effect" => "Allow",
            "Principal" => map! {
                "Service" => Value::from(vec!["eks.amazonaws.com", "ec2.amazonaws.com"]),
            },
            "Action" => "sts:AssumeRole",
        }]),
    }
    .to_json_template()
}

/// The time spent in each phase of one synth.
#[derive(Clone, Copy, Debug, Default)]
pub struct Phases {
    /// Constructing the stack (the user's code plus `Stack::resource`).
    pub build: Duration,
    /// Reference, cycle and built-in policy checks.
    pub validate: Duration,
    /// Rendering the Terraform JSON document.
    pub serialize: Duration,
    /// Checking and rendering together, wall clock.
    pub synth: Duration,
    /// Writing it with the product's atomic writer.
    pub write: Duration,
}

impl Phases {
    /// All phases together, wall clock.
    pub fn total(&self) -> Duration {
        self.build + self.synth + self.write
    }
}

/// Checks and renders `stack` exactly as the CLI does (`Stack::synth_with`
/// with the built-in AWS policies), recording the time of each part.
pub fn synth(stack: &Stack, phases: &mut Phases) -> Result<Synthesized, Diagnostics> {
    let policies = infrasynth::policy::for_cloud(Cloud::Aws);
    let policies: Vec<&dyn Policy> = policies.iter().map(|p| p.as_ref()).collect();
    let (result, timings) = stack.synth_timed(&policies);
    phases.validate = timings.validate;
    phases.serialize = timings.serialize;
    phases.synth = timings.total;
    result
}

/// This process's peak resident set (Linux `VmHWM`), in KiB.
///
/// Read here rather than from the parent's `wait4`, whose `ru_maxrss` also
/// counts the memory of the process that forked us before `exec`.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

struct Args {
    copies: usize,
    out: PathBuf,
    mode: Mode,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Write,
    Diff,
    Validate,
}

fn parse_args() -> Result<Args, String> {
    let mut copies = 1;
    let mut out = PathBuf::from("out/scale");
    let mut mode = Mode::Write;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--copies" | "-n" => {
                let value = args.next().ok_or("--copies needs a number")?;
                copies = value
                    .parse()
                    .map_err(|_| format!("--copies: `{value}` is not a whole number"))?;
            }
            "--out" => out = PathBuf::from(args.next().ok_or("--out needs a directory")?),
            "--diff" => mode = Mode::Diff,
            "--validate" => mode = Mode::Validate,
            "-h" | "--help" => {
                return Err(
                    "usage: scale [--copies N] [--out DIR] [--diff | --validate]  (writes DIR/main.tf.json, or compares with it, or validates)".into(),
                )
            }
            other => return Err(format!("unknown argument `{other}`; try --help")),
        }
    }
    Ok(Args { copies, out, mode })
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let mut phases = Phases::default();
    let started = Instant::now();
    let stack = scale_stack(args.copies);
    phases.build = started.elapsed();
    let synthesized = match synth(&stack, &mut phases) {
        Ok(synthesized) => synthesized,
        Err(diagnostics) => {
            eprintln!("{diagnostics}");
            return ExitCode::FAILURE;
        }
    };
    if args.mode != Mode::Write {
        return check(&args, &stack, &synthesized, &phases);
    }
    let started = Instant::now();
    let bytes = synthesized.main_tf_json().len();
    if let Err(error) = write_atomically(&args.out, synthesized.files()) {
        eprintln!("writing {}: {error}", args.out.display());
        return ExitCode::FAILURE;
    }
    phases.write = started.elapsed();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "scale copies={} resources={} bytes={} build_ms={:.2} validate_ms={:.2} serialize_ms={:.2} synth_ms={:.2} write_ms={:.2} total_ms={:.2} peak_rss_kb={}",
        args.copies,
        stack.blocks().len(),
        bytes,
        ms(phases.build),
        ms(phases.validate),
        ms(phases.serialize),
        ms(phases.synth),
        ms(phases.write),
        ms(phases.total()),
        peak_rss_kb().unwrap_or(0),
    );
    // The process ends here: returning the stack's memory block by block would
    // only delay the exit (about a tenth of the run at 10,000 resources).
    std::mem::forget(stack);
    std::mem::forget(synthesized);
    ExitCode::SUCCESS
}

/// `--diff` / `--validate`: what the CLI commands do after the synth.
fn check(args: &Args, stack: &Stack, synthesized: &Synthesized, phases: &Phases) -> ExitCode {
    let started = Instant::now();
    let (what, found) = if args.mode == Mode::Diff {
        let old = match std::fs::read_to_string(args.out.join("main.tf.json")) {
            Ok(old) => old,
            Err(error) => {
                eprintln!("reading {}/main.tf.json: {error}", args.out.display());
                return ExitCode::from(2);
            }
        };
        let rules = infrasynth::policy::broadening::for_cloud(Cloud::Aws);
        let rules: Vec<&dyn infrasynth::core::diff::BroadeningRule> =
            rules.iter().map(|r| r.as_ref()).collect();
        match infrasynth::core::diff::diff_documents(Some(&old), synthesized.main_tf_json(), &rules)
        {
            Ok(diff) => {
                let text = diff.to_text("diff scale", false);
                (
                    "diff",
                    format!("changes={} text_bytes={}", diff.changes.len(), text.len()),
                )
            }
            Err(error) => {
                eprintln!("{error}");
                return ExitCode::from(2);
            }
        }
    } else {
        let document: serde_json::Value = match serde_json::from_str(synthesized.main_tf_json()) {
            Ok(document) => document,
            Err(error) => {
                eprintln!("{error}");
                return ExitCode::from(2);
            }
        };
        let violations = infrasynth::schema::bundled(Cloud::Aws).check(&document, "aws_", "aws");
        ("validate", format!("violations={}", violations.len()))
    };
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "scale {what} copies={} resources={} build_ms={:.2} synth_ms={:.2} {what}_ms={:.2} {found}",
        args.copies,
        stack.blocks().len(),
        ms(phases.build),
        ms(phases.synth),
        ms(started.elapsed()),
    );
    ExitCode::SUCCESS
}

// The same allocator as the `infrasynth` binary, so the benchmark measures
// what users run.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
