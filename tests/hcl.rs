//! `synth --format hcl`: `main.tf` in HCL native syntax instead of
//! `main.tf.json`, equivalent to it.
//!
//! Equivalence is checked two ways:
//! - with terraform (AWS, the only provider binary offline): `terraform
//!   validate` of production's `main.tf`, and for dev the plan of the HCL
//!   directory equals the plan of the JSON directory (`terraform plan
//!   -refresh=false -out`, then `terraform show -json`, compared without its
//!   timestamp), with dummy credentials as in tests/aws_terraform.rs;
//! - without terraform (every cloud): the HCL parsed back with hcl-rs and
//!   turned into Terraform's JSON shape equals `main.tf.json`.
//!
//! Needs `terraform` on PATH and hashicorp/aws in /opt/tf-plugins for the
//! first; without them those tests print `SKIPPED` and pass, unless `CI` is
//! set, where they fail.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use hcl::expr::{Expression, ObjectKey, TemplateExpr};
use infrasynth::app::{self as pipeline, DocumentFormat, SynthOptions, HCL_FILE};
use infrasynth::core::synth::MAIN_FILE;
use infrasynth::{Cloud, Environment};
use serde_json::{Map, Value as Json};

use common::terraform::{assert_valid, init, plugin_cache, PLAN_OFFLINE, PROVIDER_OVERRIDE};

/// One terraform at a time (see tests/aws_terraform.rs).
static TERRAFORM: Mutex<()> = Mutex::new(());

fn synth(cloud: Cloud, env: Environment, format: DocumentFormat) -> infrasynth::Synthesized {
    let options = SynthOptions::new().with_format(format);
    common::definition()
        .synthesize_with(cloud, env, &options)
        .unwrap_or_else(|d| panic!("synth {cloud} {env} {format:?} failed:\n{d}"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("hcl")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Runs terraform in `dir` with the plugin cache of this file.
fn terraform(dir: &Path, args: &[&str]) -> (bool, String) {
    common::terraform(dir, args, &[("TF_PLUGIN_CACHE_DIR", &plugin_cache("hcl"))])
}

/// The output holds `main.tf` and no `main.tf.json`: Terraform reads every
/// `.tf` and `.tf.json` of a directory, so both would declare everything twice.
#[test]
fn hcl_output_holds_main_tf_instead_of_main_tf_json() {
    let out = synth(Cloud::Aws, Environment::DEV, DocumentFormat::Hcl);
    assert!(out.file(HCL_FILE).is_some());
    assert!(out.file(MAIN_FILE).is_none());
    // Switching formats in one directory leaves one document: the manifest
    // removes the one this synth did not write.
    let dir = scratch("switch");
    let json = synth(Cloud::Aws, Environment::DEV, DocumentFormat::Json);
    pipeline::write(&dir, &json).expect("write json");
    assert!(dir.join(MAIN_FILE).is_file());
    pipeline::write(&dir, &out).expect("write hcl");
    assert!(dir.join(HCL_FILE).is_file());
    assert!(
        !dir.join(MAIN_FILE).exists(),
        "main.tf.json left beside main.tf"
    );
    pipeline::write(&dir, &json).expect("write json again");
    assert!(
        !dir.join(HCL_FILE).exists(),
        "main.tf left beside main.tf.json"
    );
}

/// The acceptance case: `synth aws production --format hcl` passes
/// `terraform validate` (hashicorp/aws 5.100.0 from the offline mirror).
#[test]
fn aws_production_in_hcl_passes_terraform_validate() {
    let _guard = TERRAFORM.lock().unwrap_or_else(|p| p.into_inner());
    if !common::terraform_available() {
        return;
    }
    let dir = scratch("validate-production");
    let out = synth(Cloud::Aws, Environment::PRODUCTION, DocumentFormat::Hcl);
    pipeline::write(&dir, &out).expect("write");
    let cache = plugin_cache("hcl");
    let env = [("TF_PLUGIN_CACHE_DIR", cache.as_str())];
    init(&dir, &["-backend=false"], &env);
    assert_valid(&dir, &env, "aws production (main.tf)");
    println!("aws production (main.tf): terraform validate: valid");
}

/// The plan of AWS dev from `main.tf` equals the plan from `main.tf.json`
/// (`terraform show -json` of each, without the timestamp): same resources,
/// same planned values, same configuration with the same references.
#[test]
fn aws_dev_plans_the_same_from_hcl_and_json() {
    let _guard = TERRAFORM.lock().unwrap_or_else(|p| p.into_inner());
    if !common::terraform_available() {
        return;
    }
    let mut plans = Vec::new();
    for format in [DocumentFormat::Json, DocumentFormat::Hcl] {
        let dir = scratch(&format!("plan-dev-{format:?}").to_lowercase());
        let out = synth(Cloud::Aws, Environment::DEV, format);
        pipeline::write(&dir, &out).expect("write");
        std::fs::write(dir.join("provider_override.tf.json"), PROVIDER_OVERRIDE)
            .expect("provider override");
        init(&dir, &[], &[("TF_PLUGIN_CACHE_DIR", &plugin_cache("hcl"))]);
        let (ok, text) = terraform(&dir, &[PLAN_OFFLINE, &["-out=plan.bin"]].concat());
        assert!(ok, "plan ({format:?}) failed:\n{text}");
        let (ok, shown) = terraform(&dir, &["show", "-json", "-no-color", "plan.bin"]);
        assert!(ok, "show ({format:?}) failed:\n{shown}");
        let mut plan: Json = serde_json::from_str(&shown).expect("plan JSON");
        plan.as_object_mut().expect("object").remove("timestamp");
        plans.push(plan);
    }
    let changes = plans[0]["resource_changes"].as_array().map_or(0, Vec::len);
    assert!(changes > 100, "{changes} resource changes");
    // The configuration section describes each expression: from JSON syntax
    // a template string is a `constant_value` (its text) with the references
    // found in it, from HCL the references alone; the references must match.
    // `relevant_attributes` is a set; its order follows the configuration's
    // traversal.
    for plan in &mut plans {
        drop_templated_constants(&mut plan["configuration"]);
        if let Some(items) = plan["relevant_attributes"].as_array_mut() {
            items.sort_by_key(ToString::to_string);
        }
    }
    if let Some(path) = first_difference(&plans[0], &plans[1], String::new()) {
        panic!("the plans of main.tf.json and main.tf differ at {path}");
    }
    println!(
        "aws dev: the plans of main.tf.json and main.tf are equal ({changes} resource changes)"
    );
}

/// Removes `constant_value` from expressions that also list references: how
/// JSON syntax describes a template, not a difference in meaning.
fn drop_templated_constants(value: &mut Json) {
    match value {
        Json::Object(map) => {
            if map.contains_key("references") {
                map.remove("constant_value");
            }
            map.values_mut().for_each(drop_templated_constants);
        }
        Json::Array(items) => items.iter_mut().for_each(drop_templated_constants),
        _ => {}
    }
}

/// The path of the first difference between two JSON values, with both
/// sides, or `None` when equal.
fn first_difference(a: &Json, b: &Json, path: String) -> Option<String> {
    match (a, b) {
        (Json::Object(x), Json::Object(y)) => {
            for key in x.keys().chain(y.keys()) {
                let (va, vb) = (
                    x.get(key).unwrap_or(&Json::Null),
                    y.get(key).unwrap_or(&Json::Null),
                );
                if let Some(found) = first_difference(va, vb, format!("{path}.{key}")) {
                    return Some(found);
                }
            }
            None
        }
        (Json::Array(x), Json::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (va, vb))| first_difference(va, vb, format!("{path}[{i}]"))),
        _ if a == b => None,
        _ => Some(format!("{path}: JSON {a} vs HCL {b}")),
    }
}

/// Without terraform, every cloud and environment: `main.tf` parsed back
/// with hcl-rs, in Terraform's JSON shape, equals `main.tf.json`.
#[test]
fn hcl_parses_back_to_the_json_document_on_every_cloud() {
    for cloud in Cloud::ALL {
        for env in Environment::DEFAULTS {
            let json = synth(cloud, env, DocumentFormat::Json);
            let hcl = synth(cloud, env, DocumentFormat::Hcl);
            let hcl_text =
                std::str::from_utf8(hcl.file(HCL_FILE).expect("main.tf")).expect("utf-8");
            let body: hcl::Body = hcl::parse(hcl_text)
                .unwrap_or_else(|e| panic!("{cloud} {env}: main.tf does not parse: {e}"));
            let expected: Json = serde_json::from_str(json.main_tf_json()).expect("JSON");
            if let Some(path) = first_difference(
                &normalize(&expected),
                &normalize(&body_to_json(&body)),
                String::new(),
            ) {
                panic!("{cloud} {env}: main.tf.json and main.tf differ at {path}");
            }
        }
    }
}

/// The arguments whose values are bare references or type expressions.
const BARE: &[&str] = &[
    "depends_on",
    "provider",
    "ignore_changes",
    "replace_triggered_by",
    "from",
    "to",
    "type",
];

/// A body as Terraform's JSON syntax writes it: labeled blocks nested by
/// label, unlabeled blocks as lists, expressions as `${...}` templates.
fn body_to_json(body: &hcl::Body) -> Json {
    let mut out = Map::new();
    for attribute in body.attributes() {
        let value = match attribute.expr() {
            // Meta-arguments hold bare references, which JSON syntax writes
            // as plain strings.
            Expression::Traversal(_) | Expression::Variable(_)
                if BARE.contains(&attribute.key()) =>
            {
                Json::String(hcl::format::to_string(attribute.expr()).expect("reference"))
            }
            Expression::Array(items) if BARE.contains(&attribute.key()) => Json::Array(
                items
                    .iter()
                    .map(|i| Json::String(hcl::format::to_string(i).expect("reference")))
                    .collect(),
            ),
            other => expression(other),
        };
        out.insert(attribute.key().to_string(), value);
    }
    for block in body.blocks() {
        let mut slot = out
            .entry(block.identifier().to_string())
            .or_insert_with(|| {
                if block.labels().is_empty() {
                    Json::Array(Vec::new())
                } else {
                    Json::Object(Map::new())
                }
            });
        for label in block.labels() {
            slot = slot
                .as_object_mut()
                .expect("labeled")
                .entry(label.as_str().to_string())
                .or_insert_with(|| Json::Object(Map::new()));
        }
        let content = body_to_json(block.body());
        match slot {
            Json::Array(items) => items.push(content),
            // A second block with the same labels (aliased providers): a list.
            Json::Object(existing) if !existing.is_empty() => {
                let first = Json::Object(std::mem::take(existing));
                *slot = Json::Array(vec![first, content]);
            }
            other => *other = content,
        }
    }
    Json::Object(out)
}

fn expression(expr: &Expression) -> Json {
    match expr {
        Expression::Null => Json::Null,
        Expression::Bool(b) => Json::Bool(*b),
        Expression::Number(n) => serde_json::to_value(n).expect("number"),
        // A literal: in JSON syntax a template, so `${` comes back escaped.
        Expression::String(s) => Json::String(s.replace("${", "$${").replace("%{", "%%{")),
        Expression::Array(items) => Json::Array(items.iter().map(expression).collect()),
        Expression::Object(object) => Json::Object(
            object
                .iter()
                .map(|(k, v)| {
                    let key = match k {
                        ObjectKey::Identifier(id) => id.to_string(),
                        ObjectKey::Expression(Expression::String(s)) => s.clone(),
                        ObjectKey::Expression(e) => hcl::format::to_string(e).expect("key"),
                        other => panic!("unexpected object key {other:?}"),
                    };
                    (key, expression(v))
                })
                .collect(),
        ),
        Expression::TemplateExpr(template) => match &**template {
            TemplateExpr::QuotedString(raw) => Json::String(unescape(raw)),
            TemplateExpr::Heredoc(heredoc) => Json::String(heredoc.template.clone()),
        },
        other => Json::String(format!(
            "${{{}}}",
            hcl::format::to_string(other).expect("expression")
        )),
    }
}

/// The text of an HCL quoted template as the JSON string holding the same
/// template: quoted-string escapes undone (in literal text and in the
/// interpolations alike: the comparison ignores whitespace and quotes inside
/// expressions are not escaped, so this is exact for these documents).
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some('u') => {
                let code: String = chars.by_ref().take(4).collect();
                let c = u32::from_str_radix(&code, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .expect("\\u escape");
                out.push(c);
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Both sides made comparable: a one-item list of an object equals that
/// object (the JSON writer gives `lifecycle` and the `terraform` block as
/// objects, nested blocks as lists; HCL blocks parse back as lists);
/// whitespace inside templates is ignored (the HCL side holds expressions as
/// hcl-rs formats them).
fn normalize(value: &Json) -> Json {
    match value {
        Json::Array(items) if items.len() == 1 && items[0].is_object() => normalize(&items[0]),
        Json::Array(items) => Json::Array(items.iter().map(normalize).collect()),
        Json::Object(map) => {
            Json::Object(map.iter().map(|(k, v)| (k.clone(), normalize(v))).collect())
        }
        Json::String(s) if s.contains("${") => {
            Json::String(s.chars().filter(|c| !c.is_whitespace()).collect())
        }
        other => other.clone(),
    }
}
