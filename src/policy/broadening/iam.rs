//! AWS IAM policy documents as grants (effect, action, resource, principal,
//! condition), and which grants a new document adds.
//!
//! Facts (IAM JSON policy element reference): `Action`, `Resource` and each
//! `Principal` entry are a string or a list, matched with `*` and `?`
//! wildcards, actions case-insensitively; `Principal: "*"` is anyone; an
//! explicit `Deny` overrides any `Allow`, so a removed `Deny` broadens too.

use std::collections::BTreeSet;

use serde_json::Value as Json;

use crate::core::diff::{decode_json, strings, Broadening, ResourceDelta};

/// One (action, resource, principal) an `Allow` or `Deny` statement names.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Grant {
    deny: bool,
    action: String,
    resource: String,
    principal: String,
    condition: String,
}

fn principals(statement: &Json) -> BTreeSet<String> {
    match statement
        .get("Principal")
        .or_else(|| statement.get("NotPrincipal"))
    {
        None => [String::new()].into(),
        Some(Json::String(s)) => [s.clone()].into(),
        Some(Json::Object(map)) => map
            .iter()
            .flat_map(|(kind, ids)| {
                strings(Some(ids)).into_iter().map(move |id| {
                    if id == "*" {
                        "*".to_string()
                    } else {
                        format!("{kind}:{id}")
                    }
                })
            })
            .collect(),
        Some(other) => [other.to_string()].into(),
    }
}

fn grants(document: &Json) -> BTreeSet<Grant> {
    let statements: Vec<&Json> = match document.get("Statement") {
        Some(Json::Array(items)) => items.iter().collect(),
        Some(one @ Json::Object(_)) => vec![one],
        _ => Vec::new(),
    };
    let mut all = BTreeSet::new();
    for statement in statements {
        let deny = statement.get("Effect").and_then(Json::as_str) == Some("Deny");
        let actions = match statement.get("NotAction") {
            Some(not) => [format!(
                "every action except {}",
                strings(Some(not))
                    .into_iter()
                    .collect::<Vec<_>>()
                    .join(", ")
            )]
            .into(),
            None => strings(statement.get("Action")),
        };
        let resources = match statement.get("NotResource") {
            Some(not) => [format!(
                "every resource except {}",
                strings(Some(not))
                    .into_iter()
                    .collect::<Vec<_>>()
                    .join(", ")
            )]
            .into(),
            None => {
                let r = strings(statement.get("Resource"));
                if r.is_empty() {
                    [String::new()].into()
                } else {
                    r
                }
            }
        };
        let condition = statement
            .get("Condition")
            .map(Json::to_string)
            .unwrap_or_default();
        for principal in principals(statement) {
            for action in &actions {
                for resource in &resources {
                    all.insert(Grant {
                        deny,
                        action: action.clone(),
                        resource: resource.clone(),
                        principal: principal.clone(),
                        condition: condition.clone(),
                    });
                }
            }
        }
    }
    all
}

/// `*` and `?` wildcard matching.
fn glob(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], t) || (!t.is_empty() && go(p, &t[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

impl Grant {
    /// Whether this (old) allow already allowed everything `new` allows.
    fn covers(&self, new: &Grant) -> bool {
        !self.deny
            && glob(
                &self.action.to_ascii_lowercase(),
                &new.action.to_ascii_lowercase(),
            )
            && glob(&self.resource, &new.resource)
            && (self.principal == "*" || self.principal == new.principal)
            && (self.condition.is_empty() || self.condition == new.condition)
    }

    fn describe(&self) -> String {
        let mut text = format!("`{}`", self.action);
        if !self.resource.is_empty() {
            text.push_str(&format!(" on `{}`", self.resource));
        }
        match self.principal.as_str() {
            "" => {}
            "*" => text.push_str(" to anyone (`Principal: *`)"),
            p => text.push_str(&format!(" to `{p}`")),
        }
        // An object path ending in `/*` is ordinary; an action pattern or a
        // resource of `*` is the wildcard a reviewer must see.
        if self.action.contains('*') || self.resource == "*" {
            text.push_str(" (wildcard)");
        }
        text
    }
}

/// The JSON policy document an `aws_iam_policy_document` data source
/// renders (data source docs: `statement` blocks with `effect` "Allow" by
/// default, `actions`, `not_actions`, `resources`, `not_resources`,
/// `principals {type, identifiers}`, `condition {test, variable, values}`).
fn rendered(body: &Json) -> Json {
    let statements: Vec<Json> = match body.get("statement") {
        Some(Json::Array(items)) => items.iter().collect::<Vec<_>>(),
        _ => Vec::new(),
    }
    .into_iter()
    .map(|block| {
        let mut statement = serde_json::Map::new();
        let effect = block
            .get("effect")
            .and_then(Json::as_str)
            .unwrap_or("Allow");
        statement.insert("Effect".into(), Json::from(effect));
        for (from, to) in [
            ("actions", "Action"),
            ("not_actions", "NotAction"),
            ("resources", "Resource"),
            ("not_resources", "NotResource"),
        ] {
            if let Some(value) = block.get(from).filter(|v| !v.is_null()) {
                statement.insert(to.into(), value.clone());
            }
        }
        if let Some(Json::Array(principals)) = block.get("principals") {
            let mut map = serde_json::Map::new();
            for p in principals {
                let kind = p.get("type").and_then(Json::as_str).unwrap_or("AWS");
                map.insert(
                    kind.into(),
                    p.get("identifiers").cloned().unwrap_or(Json::Null),
                );
            }
            statement.insert("Principal".into(), Json::Object(map));
        }
        if let Some(condition) = block.get("condition").filter(|c| !c.is_null()) {
            statement.insert("Condition".into(), condition.clone());
        }
        Json::Object(statement)
    })
    .collect();
    serde_json::json!({ "Statement": statements })
}

/// Every policy document of a body: top-level attributes whose value is a
/// JSON document with a `Statement` (`policy`, `assume_role_policy`), and
/// those of nested blocks (`inline_policy`), with their paths.
fn documents(body: &Json) -> Vec<(String, Json)> {
    let mut found = Vec::new();
    let Some(map) = body.as_object() else {
        return found;
    };
    for (key, value) in map {
        match value {
            Json::String(_) => {
                if let Some(doc) = decode_json(value).filter(|d| d.get("Statement").is_some()) {
                    found.push((key.clone(), doc));
                }
            }
            Json::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    for (path, doc) in documents(item) {
                        found.push((format!("{key}[{i}].{path}"), doc));
                    }
                }
            }
            _ => {}
        }
    }
    found
}

/// Reports each grant the new body's documents add that no old grant
/// covers, and each `Deny` the old documents had that is gone.
pub(super) fn check(delta: &ResourceDelta<'_>, findings: &mut Vec<Broadening>) {
    let documents = |body: &Json| {
        if delta.resource_type == "aws_iam_policy_document" {
            vec![("statement".to_string(), rendered(body))]
        } else {
            documents(body)
        }
    };
    let old_docs = delta.old.map(documents).unwrap_or_default();
    let new_docs = delta.new.map(documents).unwrap_or_default();
    if new_docs.is_empty() && old_docs.is_empty() {
        return;
    }
    // Compared per attribute path: an assume-role policy never covers a
    // permissions policy.
    let paths: BTreeSet<&String> = old_docs.iter().chain(&new_docs).map(|(p, _)| p).collect();
    for path in paths {
        let pick = |docs: &[(String, Json)]| -> BTreeSet<Grant> {
            docs.iter()
                .filter(|(p, _)| p == path)
                .flat_map(|(_, d)| grants(d))
                .collect()
        };
        let (old, new) = (pick(&old_docs), pick(&new_docs));
        for grant in new.iter().filter(|g| !g.deny) {
            if !old.iter().any(|o| o.covers(grant)) {
                findings.push(Broadening {
                    address: delta.address.to_string(),
                    path: path.clone(),
                    message: format!("IAM allows {}", grant.describe()),
                });
            }
        }
        if delta.new.is_some() {
            for gone in old.iter().filter(|g| g.deny && !new.contains(g)) {
                findings.push(Broadening {
                    address: delta.address.to_string(),
                    path: path.clone(),
                    message: format!("IAM no longer denies {}", gone.describe()),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(old: Option<Json>, new: Json) -> Vec<String> {
        let mut findings = Vec::new();
        check(
            &ResourceDelta {
                address: "aws_iam_policy.p",
                resource_type: "aws_iam_policy",
                data_source: false,
                old: old.as_ref(),
                new: Some(&new),
            },
            &mut findings,
        );
        findings.into_iter().map(|f| f.message).collect()
    }

    fn policy(statements: Json) -> Json {
        json!({"policy": json!({"Version": "2012-10-17", "Statement": statements}).to_string()})
    }

    #[test]
    fn an_added_action_is_reported_and_a_reordered_one_is_not() {
        let old = policy(
            json!([{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::b/*"}]),
        );
        let new = policy(
            json!([{"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": "arn:aws:s3:::b/*"}]),
        );
        assert_eq!(
            run(Some(old.clone()), new),
            ["IAM allows `s3:PutObject` on `arn:aws:s3:::b/*`"]
        );
        assert!(run(Some(old.clone()), old).is_empty());
    }

    #[test]
    fn a_wildcard_widening_is_reported_and_a_narrowing_is_not() {
        let narrow = policy(
            json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]),
        );
        let wide = policy(json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]));
        assert_eq!(
            run(Some(narrow.clone()), wide.clone()),
            ["IAM allows `s3:*` on `*` (wildcard)"]
        );
        assert!(run(Some(wide), narrow).is_empty());
    }

    #[test]
    fn a_removed_deny_and_an_open_principal_are_reported() {
        let old = policy(
            json!([{"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Principal": "*"}]),
        );
        let new = policy(
            json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Principal": {"AWS": "*"}}]),
        );
        let found = run(Some(old), new);
        assert!(found.iter().any(|m| m.contains("to anyone")), "{found:?}");
        assert!(
            found
                .iter()
                .any(|m| m.starts_with("IAM no longer denies `s3:*`")),
            "{found:?}"
        );
    }
}
