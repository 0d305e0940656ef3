//! `drift`, the part every build has: what changed outside Terraform in the
//! resources Terraform manages, from `terraform plan -refresh-only` in the
//! synthesized output directory, summarized per resource and attribute; the
//! ids of what the state holds (for the cloud's check of unmanaged objects,
//! behind its SDK feature); and the one report merging both.
//!
//! Terraform's refresh is the oracle for managed resources: the plan's
//! `resource_drift` holds, per resource, the state before the refresh
//! (`before`) and after it (`after`, `null` when the object is gone)
//! (Terraform's JSON output format, "Plan Representation",
//! developer.hashicorp.com/terraform/internals/json-format).

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value as Json};

use crate::aws::rule_keys::{inline_rule_keys, resource_rule_keys};
use crate::core::drift::{RuleKey, UnmanagedObject};
use crate::core::live::LiveError;

/// One attribute that changed outside Terraform.
#[derive(Clone, Debug, PartialEq)]
pub struct AttributeChange {
    /// The attribute's path, as `ingress[0].cidr_blocks` or `tags.Owner`.
    pub path: String,
    /// The value Terraform recorded; `None` when the attribute (or list
    /// element) was not there.
    pub before: Option<Json>,
    /// The value the cloud has now; `None` when it is gone.
    pub after: Option<Json>,
}

/// One managed resource whose object changed outside Terraform.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceDrift {
    /// The Terraform address, as `aws_security_group.cluster`.
    pub address: String,
    /// The resource type, as `aws_security_group`.
    pub resource_type: String,
    /// The object was deleted outside Terraform (the refresh found nothing).
    pub deleted: bool,
    /// The attributes that changed (empty when deleted).
    pub changes: Vec<AttributeChange>,
}

/// One managed resource as the state holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct StateResource {
    /// The Terraform address.
    pub address: String,
    /// The resource type.
    pub resource_type: String,
    /// Its attributes after the refresh (`null` when the object is gone).
    pub values: Json,
    /// Its attributes as Terraform recorded them before the refresh, when
    /// they differ (a resource in `resource_drift`).
    pub recorded: Option<Json>,
}

/// What `terraform plan -refresh-only` found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ManagedDrift {
    /// The resources that changed outside Terraform, by address.
    pub resources: Vec<ResourceDrift>,
    /// Every managed resource of the state (data sources left out), by
    /// address; deleted ones with `values` `null`.
    pub state: Vec<StateResource>,
}

/// Why `drift` could not run.
#[derive(Debug)]
pub enum DriftError {
    /// The stack, environment or document named does not exist or is
    /// incomplete (the message says what is declared).
    Usage(String),
    /// The output directory has no synthesized document, or was never
    /// initialized: nothing to compare.
    NotReady {
        /// The directory.
        dir: PathBuf,
        /// What is missing.
        missing: String,
    },
    /// The Terraform binary was not found.
    NoTerraform(String),
    /// A Terraform command failed.
    Terraform {
        /// The command, as `terraform plan -refresh-only`.
        command: String,
        /// Its exit code, when it exited.
        code: Option<i32>,
        /// The end of what it printed.
        output: String,
    },
    /// `terraform show -json` printed something this version cannot read.
    Unreadable(String),
    /// A live call of the check of unmanaged objects failed.
    Live(LiveError),
}

impl fmt::Display for DriftError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DriftError::Usage(message) => f.write_str(message),
            DriftError::NotReady { dir, missing } => write!(
                f,
                "{} {missing}: nothing to compare with the cloud\n  fix: run `synth` for this stack, cloud and environment, then `terraform -chdir={} init` and `apply` (or the `apply` command), then `drift` again",
                dir.display(),
                dir.display()
            ),
            DriftError::NoTerraform(binary) => write!(
                f,
                "`{binary}` was not found\n  fix: install Terraform >= 1.5 (https://developer.hashicorp.com/terraform/install) or set TERRAFORM to its path"
            ),
            DriftError::Terraform {
                command,
                code,
                output,
            } => {
                let code = code.map_or("was killed".to_string(), |c| format!("exited with {c}"));
                write!(
                    f,
                    "`{command}` {code}:\n{output}\n  fix: what Terraform says above (credentials for the state backend and the provider, a state lock held by another run)"
                )
            }
            DriftError::Unreadable(why) => write!(
                f,
                "`terraform show -json` of the refresh-only plan: {why}\n  fix: use Terraform >= 1.5"
            ),
            DriftError::Live(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for DriftError {}

impl From<LiveError> for DriftError {
    fn from(error: LiveError) -> Self {
        DriftError::Live(error)
    }
}

/// Removes the saved plan however `refresh_only` ends.
struct TempPlan(PathBuf);

impl Drop for TempPlan {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs `terraform plan -refresh-only -input=false -lock=false -out=<temp>`
/// and `terraform show -json <temp>` in `dir` (a synthesized, initialized
/// output directory) with `terraform`, and returns the plan as JSON. The
/// saved plan is removed whatever happens; the state is not written
/// (`-refresh-only` plans, never applies, and `-lock=false` takes no lock).
///
/// # Errors
///
/// [`DriftError::NotReady`] when `dir` has no `main.tf.json`/`main.tf` or
/// no `.terraform` (never initialized), [`DriftError::NoTerraform`],
/// [`DriftError::Terraform`] when a command fails (its output's last 40
/// lines), [`DriftError::Unreadable`] when the JSON does not parse.
pub fn refresh_only(dir: &Path, terraform: &OsStr) -> Result<Json, DriftError> {
    let synthesized = dir.join("main.tf.json").is_file() || dir.join("main.tf").is_file();
    if !synthesized {
        return Err(DriftError::NotReady {
            dir: dir.to_path_buf(),
            missing: "has no synthesized document (main.tf.json)".to_string(),
        });
    }
    if !dir.join(".terraform").is_dir() {
        return Err(DriftError::NotReady {
            dir: dir.to_path_buf(),
            missing: "was never initialized (no .terraform: `terraform init` was not run there)"
                .to_string(),
        });
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let plan = TempPlan(std::env::temp_dir().join(format!(
        "infrasynth-drift-{}-{nanos}.tfplan",
        std::process::id()
    )));
    let out = format!("-out={}", plan.0.display());
    run(
        terraform,
        dir,
        &[
            "plan",
            "-refresh-only",
            "-input=false",
            "-lock=false",
            "-no-color",
            &out,
        ],
    )?;
    let plan_path = plan.0.to_string_lossy().into_owned();
    let shown = run(terraform, dir, &["show", "-json", &plan_path])?;
    serde_json::from_str(&shown).map_err(|e| DriftError::Unreadable(e.to_string()))
}

/// The `region` of `provider`'s default configuration (the one without
/// `alias`) in the document `main.tf.json` of `dir`; `None` when there is
/// no such document, provider or literal region (Terraform's JSON syntax:
/// `provider.<name>` is an object or an array of objects).
pub fn provider_region(dir: &Path, provider: &str) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("main.tf.json")).ok()?;
    let doc: Json = serde_json::from_str(&text).ok()?;
    let configs = match &doc["provider"][provider] {
        Json::Array(items) => items.clone(),
        object @ Json::Object(_) => vec![object.clone()],
        _ => return None,
    };
    configs
        .iter()
        .find(|c| c.get("alias").is_none())
        .and_then(|c| c["region"].as_str())
        .map(str::to_string)
}

/// Runs one Terraform command in `dir` and returns its standard output.
fn run(terraform: &OsStr, dir: &Path, args: &[&str]) -> Result<String, DriftError> {
    let shown: Vec<&str> = args
        .iter()
        .map(|a| {
            if a.starts_with("-out=") {
                "-out=<temp>"
            } else {
                a
            }
        })
        .collect();
    let command = format!("terraform {}", shown.join(" "));
    let output = Command::new(terraform)
        .args(args)
        .current_dir(dir)
        .env("TF_IN_AUTOMATION", "1")
        .output()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                DriftError::NoTerraform(terraform.to_string_lossy().into_owned())
            } else {
                DriftError::Terraform {
                    command: command.clone(),
                    code: None,
                    output: e.to_string(),
                }
            }
        })?;
    if !output.status.success() {
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(40)..].join("\n");
        return Err(DriftError::Terraform {
            command,
            code: output.status.code(),
            output: tail,
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Reads a refresh-only plan's JSON (`terraform show -json`): its
/// `resource_drift` into changes per resource and attribute, its
/// `prior_state` (the refreshed state) into [`ManagedDrift::state`].
/// Sensitive values (`before_sensitive`/`after_sensitive`) are shown as
/// `"(sensitive)"`. Then the inline rules of AWS security groups that the
/// state's own rule resources explain are dropped (see [`without_managed_rules`]).
///
/// # Errors
///
/// When the document is not a plan (no `format_version`).
pub fn parse_plan(plan: &Json) -> Result<ManagedDrift, String> {
    if !plan["format_version"].is_string() {
        return Err("not a Terraform plan (no format_version)".to_string());
    }
    let mut recorded: BTreeMap<String, Json> = BTreeMap::new();
    let mut resources = Vec::new();
    for entry in plan["resource_drift"].as_array().into_iter().flatten() {
        if entry["mode"] == "data" {
            continue;
        }
        let address = entry["address"].as_str().unwrap_or_default().to_string();
        let change = &entry["change"];
        let actions: Vec<&str> = change["actions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Json::as_str)
            .collect();
        let deleted = actions.contains(&"delete") || change["after"].is_null();
        let mut changes = Vec::new();
        if !deleted {
            diff(
                "",
                &change["before"],
                &change["after"],
                &change["before_sensitive"],
                &change["after_sensitive"],
                &mut changes,
            );
        }
        recorded.insert(address.clone(), change["before"].clone());
        if deleted || !changes.is_empty() {
            resources.push(ResourceDrift {
                address,
                resource_type: entry["type"].as_str().unwrap_or_default().to_string(),
                deleted,
                changes,
            });
        }
    }
    let mut state = Vec::new();
    collect_state(&plan["prior_state"]["values"]["root_module"], &mut state);
    for resource in &mut state {
        resource.recorded = recorded.remove(&resource.address);
    }
    // Deleted outside Terraform: gone from the refreshed state.
    for (address, before) in recorded {
        let resource_type = resources
            .iter()
            .find(|r| r.address == address)
            .map(|r| r.resource_type.clone())
            .unwrap_or_default();
        state.push(StateResource {
            address,
            resource_type,
            values: Json::Null,
            recorded: Some(before),
        });
    }
    state.sort_by(|a, b| a.address.cmp(&b.address));
    resources.sort_by(|a, b| a.address.cmp(&b.address));
    let managed = ManagedDrift { resources, state };
    Ok(without_companions(without_managed_rules(managed)))
}

/// The managed resources of a module and its children.
fn collect_state(module: &Json, out: &mut Vec<StateResource>) {
    for resource in module["resources"].as_array().into_iter().flatten() {
        if resource["mode"] != "managed" {
            continue;
        }
        out.push(StateResource {
            address: resource["address"].as_str().unwrap_or_default().to_string(),
            resource_type: resource["type"].as_str().unwrap_or_default().to_string(),
            values: resource["values"].clone(),
            recorded: None,
        });
    }
    for child in module["child_modules"].as_array().into_iter().flatten() {
        collect_state(child, out);
    }
}

fn child<'a>(mask: &'a Json, key: &str) -> &'a Json {
    match mask {
        Json::Object(map) => map.get(key).unwrap_or(&Json::Null),
        _ => mask,
    }
}

fn element(mask: &Json, index: usize) -> &Json {
    match mask {
        Json::Array(items) => items.get(index).unwrap_or(&Json::Null),
        _ => mask,
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn shown(value: &Json, sensitive: &Json) -> Option<Json> {
    if sensitive == &Json::Bool(true) {
        return Some(json!("(sensitive)"));
    }
    Some(value.clone())
}

/// The leaf changes between two values: objects key by key; lists of
/// objects (Terraform's blocks and sets of blocks) element by element,
/// equal elements matched wherever they are, the others paired in order
/// when as many went as came (`ingress[1].cidr_blocks`), else reported
/// whole (`ingress[2]` added); anything else as one value.
fn diff(
    path: &str,
    before: &Json,
    after: &Json,
    before_mask: &Json,
    after_mask: &Json,
    out: &mut Vec<AttributeChange>,
) {
    if before == after || (unset(before) && unset(after)) {
        return;
    }
    if before_mask == &Json::Bool(true) || after_mask == &Json::Bool(true) {
        out.push(AttributeChange {
            path: path.to_string(),
            before: shown(before, before_mask),
            after: shown(after, after_mask),
        });
        return;
    }
    match (before, after) {
        (Json::Object(b), Json::Object(a)) => {
            let keys: std::collections::BTreeSet<&String> = b.keys().chain(a.keys()).collect();
            for key in keys {
                let (bv, av) = (b.get(key), a.get(key));
                let path = join(path, key);
                match (bv, av) {
                    (Some(bv), Some(av)) => diff(
                        &path,
                        bv,
                        av,
                        child(before_mask, key),
                        child(after_mask, key),
                        out,
                    ),
                    (Some(bv), None) if !unset(bv) => out.push(AttributeChange {
                        path,
                        before: shown(bv, child(before_mask, key)),
                        after: None,
                    }),
                    (None, Some(av)) if !unset(av) => out.push(AttributeChange {
                        path,
                        before: None,
                        after: shown(av, child(after_mask, key)),
                    }),
                    _ => {}
                }
            }
        }
        (Json::Array(b), Json::Array(a))
            if b.iter().chain(a.iter()).all(Json::is_object) && !(b.is_empty() && a.is_empty()) =>
        {
            let (removed, added) = unmatched(b, a);
            if removed.len() == added.len() {
                for (&bi, &ai) in removed.iter().zip(&added) {
                    diff(
                        &format!("{path}[{ai}]"),
                        &b[bi],
                        &a[ai],
                        element(before_mask, bi),
                        element(after_mask, ai),
                        out,
                    );
                }
            } else {
                for &bi in &removed {
                    out.push(AttributeChange {
                        path: format!("{path}[{bi}]"),
                        before: shown(&b[bi], element(before_mask, bi)),
                        after: None,
                    });
                }
                for &ai in &added {
                    out.push(AttributeChange {
                        path: format!("{path}[{ai}]"),
                        before: None,
                        after: shown(&a[ai], element(after_mask, ai)),
                    });
                }
            }
        }
        _ => out.push(AttributeChange {
            path: path.to_string(),
            before: Some(before.clone()),
            after: Some(after.clone()),
        }),
    }
}

/// Whether a value is unset: `null`, or an empty list, map or string. The
/// provider fills in on read attributes it left `null` at create time
/// (`labels: null -> {}`); no object changed.
fn unset(value: &Json) -> bool {
    match value {
        Json::Null => true,
        Json::Array(a) => a.is_empty(),
        Json::Object(o) => o.is_empty(),
        Json::String(s) => s.is_empty(),
        _ => false,
    }
}

/// The indices of `before`'s elements with no equal element in `after`,
/// and of `after`'s with none in `before` (each element matched once).
fn unmatched(before: &[Json], after: &[Json]) -> (Vec<usize>, Vec<usize>) {
    let mut taken = vec![false; after.len()];
    let mut removed = Vec::new();
    for (bi, b) in before.iter().enumerate() {
        match (0..after.len()).find(|&ai| !taken[ai] && &after[ai] == b) {
            Some(ai) => taken[ai] = true,
            None => removed.push(bi),
        }
    }
    let added = (0..after.len()).filter(|&ai| !taken[ai]).collect();
    (removed, added)
}

/// Every rule the state's rule resources stand for, with the ones recorded
/// before the refresh (a rule resource deleted outside Terraform is
/// reported as deleted itself, not again in its group's `ingress`).
fn managed_rule_keys(state: &[StateResource]) -> std::collections::BTreeSet<RuleKey> {
    state
        .iter()
        .flat_map(|r| {
            let mut keys = resource_rule_keys(&r.resource_type, &r.values);
            if let Some(recorded) = &r.recorded {
                keys.extend(resource_rule_keys(&r.resource_type, recorded));
            }
            keys
        })
        .collect()
}

/// Drops the changes of a security group's computed `ingress`/`egress`
/// that rules in `explained` account for: a direction's changes go when
/// every block that came or went stands only for rules in `explained`.
/// Returns the addresses of the groups whose changes were dropped.
fn explain_rules(
    resources: &mut Vec<ResourceDrift>,
    state: &[StateResource],
    explained: &std::collections::BTreeSet<RuleKey>,
) -> Vec<String> {
    let mut dropped = Vec::new();
    for resource in resources.iter_mut() {
        if resource.resource_type != "aws_security_group" || resource.deleted {
            continue;
        }
        let Some(found) = state.iter().find(|s| s.address == resource.address) else {
            continue;
        };
        let group_id = found.values["id"].as_str().unwrap_or_default();
        let recorded = found.recorded.as_ref().unwrap_or(&found.values);
        for (direction, egress) in [("ingress", false), ("egress", true)] {
            let before = recorded[direction].as_array().cloned().unwrap_or_default();
            let after = found.values[direction]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let (removed, added) = unmatched(&before, &after);
            if removed.is_empty() && added.is_empty() {
                continue;
            }
            let blocks = removed
                .iter()
                .map(|&i| &before[i])
                .chain(added.iter().map(|&i| &after[i]));
            let all_explained = blocks.clone().all(|block| {
                let keys = inline_rule_keys(group_id, egress, block);
                !keys.is_empty() && keys.iter().all(|k| explained.contains(k))
            });
            if all_explained {
                let prefix = format!("{direction}[");
                let before_len = resource.changes.len();
                resource
                    .changes
                    .retain(|c| !(c.path == direction || c.path.starts_with(&prefix)));
                if resource.changes.len() != before_len {
                    dropped.push(resource.address.clone());
                }
            }
        }
    }
    resources.retain(|r| r.deleted || !r.changes.is_empty());
    dropped
}

/// Drops the changes of security groups' computed `ingress`/`egress`
/// that the state's own rule resources explain: the provider reads a
/// group's rules when it creates the group, before its
/// `aws_vpc_security_group_*_rule` resources exist, so the first refresh
/// after an apply finds them in `ingress` although Terraform made them.
pub fn without_managed_rules(mut managed: ManagedDrift) -> ManagedDrift {
    let keys = managed_rule_keys(&managed.state);
    explain_rules(&mut managed.resources, &managed.state, &keys);
    managed
}

/// The top-level attribute of a change's path: `route` of `route[0].cidr_block`.
fn top_attribute(path: &str) -> &str {
    let end = path.find(['.', '[']).unwrap_or(path.len());
    &path[..end]
}

/// Drops the attribute changes that another resource of the state made
/// (see [`crate::aws::companions`]): a route table's routes from
/// `aws_route`, a role's policies from attachments, a key's policy from
/// `aws_kms_key_policy`, an EIP's association from its NAT gateway.
pub fn without_companions(mut managed: ManagedDrift) -> ManagedDrift {
    let entries: Vec<(&str, &Json)> = managed
        .state
        .iter()
        .flat_map(|s| {
            std::iter::once((s.resource_type.as_str(), &s.values))
                .chain(s.recorded.iter().map(|r| (s.resource_type.as_str(), r)))
        })
        .collect();
    for resource in &mut managed.resources {
        if resource.deleted {
            continue;
        }
        let Some(found) = managed.state.iter().find(|s| s.address == resource.address) else {
            continue;
        };
        let recorded = found.recorded.as_ref().unwrap_or(&found.values);
        let attributes: std::collections::BTreeSet<String> = resource
            .changes
            .iter()
            .map(|c| top_attribute(&c.path).to_string())
            .collect();
        for attribute in attributes {
            let (before, after) = (&recorded[&attribute], &found.values[&attribute]);
            let blocks = |v: &Json| {
                v.is_null() || v.as_array().is_some_and(|a| a.iter().all(Json::is_object))
            };
            let explained =
                if blocks(before) && blocks(after) && !(before.is_null() && after.is_null()) {
                    let empty = Vec::new();
                    let b = before.as_array().unwrap_or(&empty);
                    let a = after.as_array().unwrap_or(&empty);
                    let (removed, added) = unmatched(b, a);
                    removed
                        .iter()
                        .map(|&i| &b[i])
                        .chain(added.iter().map(|&i| &a[i]))
                        .all(|element| {
                            crate::aws::companions::element_explained(
                                &resource.resource_type,
                                &attribute,
                                &found.values,
                                element,
                                &entries,
                            )
                        })
                } else {
                    crate::aws::companions::value_explained(
                        &resource.resource_type,
                        &attribute,
                        &found.values,
                        after,
                        &entries,
                    )
                };
            if explained {
                resource
                    .changes
                    .retain(|c| top_attribute(&c.path) != attribute);
            }
        }
    }
    managed
        .resources
        .retain(|r| r.deleted || !r.changes.is_empty());
    managed
}

/// Whether the check of unmanaged objects ran, and what it found.
#[derive(Clone, Debug, PartialEq)]
pub enum UnmanagedCheck {
    /// It ran: what it found (possibly nothing), and the parts it could not
    /// check (`eks:ListAddons (main): ...`), said in the report.
    Checked {
        /// The unmanaged objects.
        objects: Vec<UnmanagedObject>,
        /// What was not checked, and why.
        not_checked: Vec<String>,
    },
    /// It did not run; why, and how to make it run.
    Skipped(String),
}

/// What `drift` reports: the managed resources changed outside Terraform
/// and the unmanaged objects, each change once.
#[derive(Clone, Debug, PartialEq)]
pub struct DriftReport {
    /// `<stack>/<cloud>/<env>`.
    pub target: String,
    /// Managed resources changed or deleted outside Terraform.
    pub managed: Vec<ResourceDrift>,
    /// The check of unmanaged objects.
    pub unmanaged: UnmanagedCheck,
}

impl DriftReport {
    /// Merges the two checks: a rule added out of band to a managed security
    /// group shows in the group's refreshed `ingress` and as an unmanaged
    /// rule; it is reported once, as the unmanaged rule (whose description
    /// names the group), and the group's `ingress` change is dropped when
    /// such rules (and the state's own rule resources) account for all of it.
    pub fn merge(target: &str, managed: ManagedDrift, unmanaged: UnmanagedCheck) -> DriftReport {
        let mut resources = managed.resources;
        if let UnmanagedCheck::Checked { objects, .. } = &unmanaged {
            let mut keys = managed_rule_keys(&managed.state);
            keys.extend(objects.iter().filter_map(|o| o.rule.clone()));
            explain_rules(&mut resources, &managed.state, &keys);
        }
        DriftReport {
            target: target.to_string(),
            managed: resources,
            unmanaged,
        }
    }

    /// The unmanaged objects found (none when the check was skipped).
    pub fn unmanaged_objects(&self) -> &[UnmanagedObject] {
        match &self.unmanaged {
            UnmanagedCheck::Checked { objects, .. } => objects,
            UnmanagedCheck::Skipped(_) => &[],
        }
    }

    /// Whether anything drifted.
    pub fn has_drift(&self) -> bool {
        !self.managed.is_empty() || !self.unmanaged_objects().is_empty()
    }

    /// The readable report: one section for managed resources, one for
    /// unmanaged objects, and the verdict.
    pub fn text(&self) -> String {
        let mut out = format!("drift of {}\n", self.target);
        if self.managed.is_empty() {
            out.push_str("managed resources: no change outside Terraform\n");
        } else {
            out.push_str(&format!(
                "managed resources changed outside Terraform ({}):\n",
                self.managed.len()
            ));
            for resource in &self.managed {
                if resource.deleted {
                    out.push_str(&format!(
                        "  {}: deleted outside Terraform\n",
                        resource.address
                    ));
                    continue;
                }
                out.push_str(&format!("  {}:\n", resource.address));
                for change in &resource.changes {
                    out.push_str(&format!(
                        "    {}: {} -> {}\n",
                        change.path,
                        render(change.before.as_ref()),
                        render(change.after.as_ref())
                    ));
                }
            }
        }
        match &self.unmanaged {
            UnmanagedCheck::Skipped(why) => {
                out.push_str(&format!("unmanaged objects: NOT CHECKED: {why}\n"));
            }
            UnmanagedCheck::Checked {
                objects,
                not_checked,
            } => {
                if objects.is_empty() {
                    out.push_str("unmanaged objects: none\n");
                } else {
                    out.push_str(&format!(
                        "unmanaged objects, not in the Terraform state ({}):\n",
                        objects.len()
                    ));
                    for object in objects {
                        out.push_str(&format!(
                            "  {} {}: {}\n",
                            object.kind, object.id, object.description
                        ));
                    }
                }
                for what in not_checked {
                    out.push_str(&format!("  not checked: {what}\n"));
                }
            }
        }
        let count = self.managed.len() + self.unmanaged_objects().len();
        if count == 0 {
            out.push_str("no drift\n");
        } else {
            out.push_str(&format!("drift: {count} finding(s)\n"));
        }
        out
    }

    /// The report as a stable JSON document (`version` 1): `target`,
    /// `drift` (bool), `managed` (`address`, `type`, `deleted`, `changes`
    /// with `path`, `before`, `after`; `null` for absent), `unmanaged`
    /// (`checked`, `objects` with `kind`, `id`, `parent`, `description`;
    /// `not_checked`; `skipped` with the reason when not checked).
    pub fn json(&self) -> Json {
        let managed: Vec<Json> = self
            .managed
            .iter()
            .map(|r| {
                json!({
                    "address": r.address,
                    "type": r.resource_type,
                    "deleted": r.deleted,
                    "changes": r.changes.iter().map(|c| json!({
                        "path": c.path,
                        "before": c.before,
                        "after": c.after,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let unmanaged = match &self.unmanaged {
            UnmanagedCheck::Checked {
                objects,
                not_checked,
            } => json!({
                "checked": true,
                "objects": objects.iter().map(|o| json!({
                    "kind": o.kind.as_str().replace(' ', "_"),
                    "id": o.id,
                    "parent": o.parent,
                    "description": o.description,
                })).collect::<Vec<_>>(),
                "not_checked": not_checked,
            }),
            UnmanagedCheck::Skipped(why) => json!({
                "checked": false,
                "objects": [],
                "skipped": why,
            }),
        };
        json!({
            "version": 1,
            "target": self.target,
            "drift": self.has_drift(),
            "managed": managed,
            "unmanaged": unmanaged,
        })
    }
}

fn render(value: Option<&Json>) -> String {
    match value {
        None => "(none)".to_string(),
        Some(value) => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::drift::UnmanagedKind;

    const FIXTURE: &str = include_str!("../../tests/fixtures/drift/refresh_only_plan.json");

    fn fixture() -> ManagedDrift {
        parse_plan(&serde_json::from_str(FIXTURE).expect("fixture JSON")).expect("a plan")
    }

    /// Terraform's JSON plan format: `resource_drift[].change.before` is the
    /// recorded state, `after` the refreshed one, `actions` `["delete"]`
    /// with `after: null` for an object gone outside Terraform.
    #[test]
    fn a_refresh_only_plan_gives_changes_per_resource_and_attribute() {
        let managed = fixture();
        let summary: Vec<(String, bool, Vec<String>)> = managed
            .resources
            .iter()
            .map(|r| {
                (
                    r.address.clone(),
                    r.deleted,
                    r.changes
                        .iter()
                        .map(|c| {
                            format!(
                                "{}: {} -> {}",
                                c.path,
                                render(c.before.as_ref()),
                                render(c.after.as_ref())
                            )
                        })
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    "aws_s3_bucket.logs".to_string(),
                    false,
                    vec![
                        "tags.Owner: (none) -> \"someone\"".to_string(),
                        "tags_all.Owner: (none) -> \"someone\"".to_string(),
                    ]
                ),
                (
                    "aws_security_group.db".to_string(),
                    false,
                    vec![
                        "ingress[0].cidr_blocks: [\"10.0.0.0/16\"] -> [\"10.0.0.0/8\"]".to_string()
                    ]
                ),
                ("aws_subnet.private_b".to_string(), true, vec![]),
            ]
        );
    }

    /// The provider reads `aws_security_group.cluster`'s rules at create
    /// time, before its `aws_vpc_security_group_ingress_rule.cluster_https`
    /// exists: the refresh shows that rule in `ingress`, which is no drift.
    #[test]
    fn a_group_ingress_change_made_by_its_own_rule_resource_is_not_drift() {
        let managed = fixture();
        assert!(
            !managed
                .resources
                .iter()
                .any(|r| r.address == "aws_security_group.cluster"),
            "{:#?}",
            managed.resources
        );
    }

    #[test]
    fn the_state_lists_managed_resources_and_what_was_deleted() {
        let managed = fixture();
        let addresses: Vec<&str> = managed.state.iter().map(|s| s.address.as_str()).collect();
        assert_eq!(
            addresses,
            vec![
                "aws_s3_bucket.logs",
                "aws_security_group.cluster",
                "aws_security_group.db",
                "aws_subnet.private_b",
                "aws_vpc.main",
                "aws_vpc_security_group_ingress_rule.cluster_https",
            ]
        );
        let deleted = &managed.state[3];
        assert!(deleted.values.is_null());
        assert_eq!(
            deleted.recorded.as_ref().map(|r| r["id"].clone()),
            Some(json!("subnet-0b"))
        );
    }

    #[test]
    fn sensitive_values_are_masked() {
        let plan = json!({
            "format_version": "1.2",
            "resource_drift": [{
                "address": "aws_db_instance.main", "mode": "managed", "type": "aws_db_instance",
                "change": {
                    "actions": ["update"],
                    "before": {"password": "old", "port": 5432},
                    "after": {"password": "new", "port": 5433},
                    "before_sensitive": {"password": true},
                    "after_sensitive": {"password": true},
                }
            }],
        });
        let managed = parse_plan(&plan).expect("plan");
        let changes: Vec<String> = managed.resources[0]
            .changes
            .iter()
            .map(|c| {
                format!(
                    "{}: {} -> {}",
                    c.path,
                    render(c.before.as_ref()),
                    render(c.after.as_ref())
                )
            })
            .collect();
        assert_eq!(
            changes,
            vec![
                "password: \"(sensitive)\" -> \"(sensitive)\"",
                "port: 5432 -> 5433"
            ]
        );
    }

    /// A rule added out of band to a managed group: once, as the unmanaged
    /// rule; the group's `ingress` change is dropped.
    #[test]
    fn an_unmanaged_rule_on_a_managed_group_is_reported_once() {
        let plan = json!({
            "format_version": "1.2",
            "resource_drift": [{
                "address": "aws_security_group.app", "mode": "managed", "type": "aws_security_group",
                "change": {
                    "actions": ["update"],
                    "before": {"id": "sg-1", "ingress": []},
                    "after": {"id": "sg-1", "ingress": [{
                        "cidr_blocks": ["0.0.0.0/0"], "description": "", "from_port": 22,
                        "ipv6_cidr_blocks": [], "prefix_list_ids": [], "protocol": "tcp",
                        "security_groups": [], "self": false, "to_port": 22
                    }]},
                }
            }],
            "prior_state": {"values": {"root_module": {"resources": [{
                "address": "aws_security_group.app", "mode": "managed", "type": "aws_security_group",
                "values": {"id": "sg-1", "ingress": [{
                    "cidr_blocks": ["0.0.0.0/0"], "description": "", "from_port": 22,
                    "ipv6_cidr_blocks": [], "prefix_list_ids": [], "protocol": "tcp",
                    "security_groups": [], "self": false, "to_port": 22
                }]}
            }]}}},
        });
        let managed = parse_plan(&plan).expect("plan");
        assert_eq!(managed.resources.len(), 1, "before the merge: the group");
        let rule = UnmanagedObject {
            kind: UnmanagedKind::SecurityGroupRule,
            id: "sgr-9".into(),
            parent: "sg-1 (aws_security_group.app)".into(),
            description: "ingress tcp 22 from 0.0.0.0/0 on sg-1 (aws_security_group.app)".into(),
            rule: Some(RuleKey::new(
                "sg-1",
                false,
                "tcp",
                22,
                22,
                "cidr:0.0.0.0/0".into(),
            )),
        };
        let report = DriftReport::merge(
            "s/aws/dev",
            managed,
            UnmanagedCheck::Checked {
                objects: vec![rule],
                not_checked: vec![],
            },
        );
        assert!(report.managed.is_empty(), "{:#?}", report.managed);
        assert_eq!(report.unmanaged_objects().len(), 1);
        assert!(report.has_drift());
        assert_eq!(
            report.json()["unmanaged"]["objects"][0]["kind"],
            "security_group_rule"
        );
    }

    #[test]
    fn a_directory_never_synthesized_says_what_to_run() {
        let dir =
            std::env::temp_dir().join(format!("infrasynth-drift-none-{}", std::process::id()));
        let error = refresh_only(&dir, OsStr::new("terraform")).unwrap_err();
        let text = error.to_string();
        assert!(text.contains("has no synthesized document"), "{text}");
        assert!(text.contains("fix: run `synth`"), "{text}");
    }
}
