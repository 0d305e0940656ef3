//! `drift aws dev` against a local moto server (issue 14's acceptance):
//! a stack applied with Terraform 1.11 and hashicorp/aws 5.100.0 on moto
//! has no drift; after an ingress rule is added out of band (boto3) to one
//! of its security groups and a security group is created out of band in
//! its VPC, `drift` reports exactly those two, in text and in JSON, and
//! exits 1.
//!
//! The stack is built with the public AWS builders, as a user's crate
//! builds it: a VPC (2 zones, one NAT gateway, flow logs), an EKS cluster
//! with one managed node group (IAM roles, OIDC provider, launch template,
//! KMS keys, log group) and a security group guarding a database port.
//! It is smaller than the reference dev stack (no database, cache or
//! buckets), which keeps the apply to about a minute; the objects `drift`
//! lists live in the VPC and the cluster, which it has.
//!
//! Needs `terraform` on PATH with hashicorp/aws in /opt/tf-plugins and a
//! Python with moto[server] and boto3 (`scripts/install-tools.sh`); without
//! them the test prints `SKIPPED` and passes, unless `CI` is set, where it
//! fails.

mod common;

use std::path::PathBuf;
use std::time::Instant;

use infrasynth::app::{output_dir, write, App, StackDefinition};
use infrasynth::aws::{
    AwsProvider, EksCluster, EksClusterProps, KmsKey, NodeGroup, NodeGroupProps, SecurityGroup, Vpc,
};
use infrasynth::platform::Platform;
use infrasynth::{Cloud, Environment, Stack};
use serde_json::Value as Json;

use common::moto::{provider_override_for, python, Moto};
use common::{skip, terraform, PLUGIN_DIR, SUPPORT_DATE};

const STACK: &str = "drift";

/// The stack: VPC, EKS cluster and node group, and a database's group.
fn stack() -> Stack {
    let mut stack = Stack::new(STACK)
        .with_environment(Environment::DEV)
        .with_support_date(SUPPORT_DATE);
    stack.add(AwsProvider::new("us-east-1"));
    let vpc = stack.add(
        Vpc::new("main", "drift", "10.0.0.0/16", "us-east-1")
            .zones(2)
            .single_nat_gateway(true),
    );
    let secrets = stack.add(KmsKey::new("eks", "drift-eks"));
    let logs = stack.add(KmsKey::for_logs("logs", "drift-logs", "us-east-1"));
    stack.add(
        EksCluster::new(EksClusterProps {
            logical_name: "main",
            name: "drift",
            kubernetes_version: "1.35",
            subnet_ids: vpc.private_subnet_ids(),
            secrets_key: &secrets,
            logs_key: &logs,
        })
        .node_group(NodeGroup::new(NodeGroupProps {
            node_group_name: "general",
            instance_types: &["m6i.large"],
            min_size: 1,
            desired_size: 1,
            max_size: 3,
        })),
    );
    stack.add(
        SecurityGroup::new("db", "drift-db", vpc.id())
            .description("PostgreSQL of the drift test")
            .data_store()
            .allow_cidr("10.0.0.0/16", 5432, "PostgreSQL from the VPC"),
    );
    stack
}

/// The program `drift` runs in: the stack's name is what places its output
/// directory (`OUT/drift/aws/dev`); `drift` reads that directory and never
/// synthesizes, so the definition's platform is not used.
fn app() -> App {
    App::new("drift-test")
        .environments([Environment::DEV])
        .stack(
            StackDefinition::new(STACK, |env| Platform::new("drift", env))
                .support_date(SUPPORT_DATE),
        )
}

fn say(line: &str) {
    println!("drift on moto: {line}");
}

/// Terraform JSON plan format and hashicorp/aws 5.100.0 on moto 5: a fresh
/// apply has no drift (the provider reads a group's rules before its rule
/// resources exist; `drift` does not count those); a rule authorized out of
/// band (EC2 AuthorizeSecurityGroupIngress) on the managed group and a group
/// created out of band (EC2 CreateSecurityGroup) are the two findings, the
/// rule reported once although the group's refreshed `ingress` shows it too.
#[test]
fn on_moto_drift_reports_exactly_an_out_of_band_rule_and_security_group() {
    if !common::terraform_available() {
        return;
    }
    let Some(python) = python() else {
        skip("no Python with moto[server] and boto3 (scripts/install-tools.sh)");
        return;
    };
    let started = Instant::now();
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("drift-aws");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).expect("scratch dir");
    // moto attaches AWS managed IAM policies only when told to.
    std::env::set_var("MOTO_IAM_LOAD_MANAGED_POLICIES", "true");
    let moto = Moto::start(&python, &root.join("moto.log"));

    // What the SDK and the in-process Terraform read: moto, dummy keys, and
    // nothing from the user's files.
    let tfrc = root.join("empty.tfrc");
    std::fs::write(&tfrc, "").expect("empty CLI config");
    for (name, value) in [
        ("AWS_ENDPOINT_URL", moto.endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_CONFIG_FILE", "/nonexistent/aws-config"),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/aws-credentials",
        ),
        ("CHECKPOINT_DISABLE", "1"),
    ] {
        std::env::set_var(name, value);
    }
    std::env::set_var("TF_CLI_CONFIG_FILE", &tfrc);
    std::env::remove_var("AWS_PROFILE");

    let out = root.join("out");
    let dir = output_dir(&out, STACK, Cloud::Aws, Environment::DEV);
    let app = app();

    // Before anything is synthesized: a usage error naming the fix.
    let error = app
        .drift_report(Cloud::Aws, "dev", Some(STACK), &out)
        .unwrap_err()
        .to_string();
    assert!(error.contains("fix: run `synth`"), "{error}");

    let synthesized = stack().synth().unwrap_or_else(|d| panic!("{d}"));
    write(&dir, &synthesized).expect("write the stack");
    let doc: Json = serde_json::from_str(
        &std::fs::read_to_string(dir.join("main.tf.json")).expect("main.tf.json"),
    )
    .expect("JSON");
    let (override_doc, notes) = provider_override_for(&moto.endpoint, &doc);
    std::fs::write(dir.join("zz_moto_override.tf.json"), override_doc).expect("override");
    for note in &notes {
        say(note);
    }
    let resources: usize = doc["resource"].as_object().map_or(0, |r| {
        r.values()
            .filter_map(Json::as_object)
            .map(|m| m.len())
            .sum()
    });

    let env = [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ];
    let plugin_dir = format!("-plugin-dir={PLUGIN_DIR}");
    let (ok, text) = terraform(
        &dir,
        &["init", "-input=false", "-no-color", &plugin_dir],
        &env,
    );
    assert!(ok, "terraform init failed:\n{text}");
    let apply_started = Instant::now();
    let (ok, text) = terraform(
        &dir,
        &["apply", "-input=false", "-no-color", "-auto-approve"],
        &env,
    );
    assert!(ok, "terraform apply failed:\n{text}");
    say(&format!(
        "{resources} resource blocks; {} ({:.0}s)",
        text.lines()
            .find(|l| l.starts_with("Apply complete!"))
            .unwrap_or_default(),
        apply_started.elapsed().as_secs_f64()
    ));

    // 1. Right after the apply: no drift.
    let drift_started = Instant::now();
    let report = app
        .drift_report(Cloud::Aws, "dev", Some(STACK), &out)
        .unwrap_or_else(|e| panic!("drift failed: {e}"));
    say(&format!(
        "drift after the apply ({:.1}s):\n{}",
        drift_started.elapsed().as_secs_f64(),
        report.text()
    ));
    assert!(!report.has_drift(), "{}", report.text());
    let code = app.run_with(
        ["drift-test", "drift", "aws", "dev", "--out"]
            .map(String::from)
            .into_iter()
            .chain([out.display().to_string()]),
    );
    assert_eq!(code, std::process::ExitCode::SUCCESS);

    // 2. Out of band: an SSH rule on the managed group, a group of its own.
    let changed = moto.boto3(
        "ec2 = client('ec2')\n\
         db = ec2.describe_security_groups(Filters=[{'Name': 'group-name', 'Values': ['drift-db']}])['SecurityGroups'][0]\n\
         rule = ec2.authorize_security_group_ingress(GroupId=db['GroupId'], IpPermissions=[{'IpProtocol': 'tcp', 'FromPort': 22, 'ToPort': 22, 'IpRanges': [{'CidrIp': '0.0.0.0/0', 'Description': 'debugging'}]}])\n\
         other = ec2.create_security_group(GroupName='hand-made', Description='made by hand', VpcId=db['VpcId'])\n\
         print(json.dumps({'db': db['GroupId'], 'rule': rule['SecurityGroupRules'][0]['SecurityGroupRuleId'], 'group': other['GroupId'], 'vpc': db['VpcId']}))",
    );
    let ids: Json = serde_json::from_str(&changed).expect("boto3 output");
    say(&format!("out of band with boto3: {ids}"));
    let (db, rule, group) = (
        ids["db"].as_str().expect("db"),
        ids["rule"].as_str().expect("rule"),
        ids["group"].as_str().expect("group"),
    );

    // 3. drift reports exactly those two.
    let drift_started = Instant::now();
    let report = app
        .drift_report(Cloud::Aws, "dev", Some(STACK), &out)
        .unwrap_or_else(|e| panic!("drift failed: {e}"));
    let text = report.text();
    let json = report.json();
    say(&format!(
        "drift after the out-of-band changes ({:.1}s):\n{text}",
        drift_started.elapsed().as_secs_f64()
    ));
    say(&format!("drift --format json:\n{json:#}"));
    assert!(report.has_drift());
    assert!(
        report.managed.is_empty(),
        "the rule is reported once: {text}"
    );
    let found: Vec<(String, String)> = json["unmanaged"]["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .map(|o| {
            (
                o["kind"].as_str().unwrap_or_default().to_string(),
                o["id"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            ("security_group".to_string(), group.to_string()),
            ("security_group_rule".to_string(), rule.to_string()),
        ],
        "{json:#}"
    );
    assert_eq!(json["drift"], true);
    assert_eq!(json["managed"], serde_json::json!([]));
    assert!(
        text.contains(&format!(
            "security group rule {rule}: ingress tcp 22 from 0.0.0.0/0 on {db} (aws_security_group.db)"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "security group {group}: \"hand-made\" (made by hand) in {}",
            ids["vpc"].as_str().unwrap_or_default()
        )),
        "{text}"
    );
    assert!(text.contains("drift: 2 finding(s)"), "{text}");
    let code = app.run_with(
        [
            "drift-test",
            "drift",
            "aws",
            "dev",
            "--format",
            "json",
            "--out",
        ]
        .map(String::from)
        .into_iter()
        .chain([out.display().to_string()]),
    );
    assert_eq!(code, std::process::ExitCode::FAILURE);

    // 4. Managed resources changed outside Terraform: a tag on the VPC, and
    // the group's own rule revoked (its resource is deleted outside
    // Terraform; the group's shrunken `ingress` is not reported again).
    moto.boto3(&format!(
        "ec2 = client('ec2')\n\
         ec2.create_tags(Resources=['{vpc}'], Tags=[{{'Key': 'Owner', 'Value': 'someone'}}])\n\
         rules = ec2.describe_security_group_rules(Filters=[{{'Name': 'group-id', 'Values': ['{db}']}}])['SecurityGroupRules']\n\
         own = [r['SecurityGroupRuleId'] for r in rules if r.get('FromPort') == 5432]\n\
         ec2.revoke_security_group_ingress(GroupId='{db}', SecurityGroupRuleIds=own)",
        vpc = ids["vpc"].as_str().unwrap_or_default()
    ));
    say(
        "out of band with boto3: tag Owner=someone on the VPC, the group's PostgreSQL rule revoked",
    );
    let report = app
        .drift_report(Cloud::Aws, "dev", Some(STACK), &out)
        .unwrap_or_else(|e| panic!("drift failed: {e}"));
    let text = report.text();
    say(&format!("drift after the managed changes:\n{text}"));
    let managed: Vec<(String, bool, Vec<String>)> = report
        .managed
        .iter()
        .map(|r| {
            (
                r.address.clone(),
                r.deleted,
                r.changes.iter().map(|c| c.path.clone()).collect(),
            )
        })
        .collect();
    assert_eq!(
        managed,
        vec![
            (
                "aws_vpc.main".to_string(),
                false,
                vec!["tags.Owner".to_string(), "tags_all.Owner".to_string()]
            ),
            (
                "aws_vpc_security_group_ingress_rule.db_5432_0".to_string(),
                true,
                vec![]
            ),
        ],
        "{text}"
    );
    assert!(
        text.contains("aws_vpc_security_group_ingress_rule.db_5432_0: deleted outside Terraform"),
        "{text}"
    );
    assert!(text.contains("tags.Owner: (none) -> \"someone\""), "{text}");
    assert_eq!(report.unmanaged_objects().len(), 2, "{text}");
    say(&format!(
        "whole test {:.0}s",
        started.elapsed().as_secs_f64()
    ));
}
