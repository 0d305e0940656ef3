//! The security section of a diff: rules that say which changes broaden
//! access. The core knows no cloud; the cloud layers supply the rules
//! (`policy::broadening`), written with the table rules and helpers here.

use std::collections::BTreeSet;

use serde_json::Value as Json;

/// One resource (or data source: an IAM policy document is one) as a rule
/// sees it: its body before and after. `old` is
/// `None` for an added resource, `new` for a removed one; a moved resource
/// has its old address's body as `old`.
#[derive(Clone, Copy, Debug)]
pub struct ResourceDelta<'a> {
    /// The new address (the old one for a removed resource).
    pub address: &'a str,
    /// The Terraform type, such as `aws_security_group`.
    pub resource_type: &'a str,
    /// Whether it is a data source (`data.` address): it grants nothing by
    /// itself, but may render a document that does.
    pub data_source: bool,
    /// The body before, if the resource existed.
    pub old: Option<&'a Json>,
    /// The body after, if the resource still exists.
    pub new: Option<&'a Json>,
}

/// One change that broadens access.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Broadening {
    /// The resource's address.
    pub address: String,
    /// The attribute path (empty for the resource as a whole).
    pub path: String,
    /// What it opens, in words: `ingress tcp 22 from 0.0.0.0/0 (the whole
    /// internet)`, `allows s3:DeleteObject on *`.
    pub message: String,
}

/// A rule that finds the changes of one resource that broaden access.
pub trait BroadeningRule: Send + Sync {
    /// Pushes a [`Broadening`] for each way `delta` opens access.
    fn check(&self, delta: &ResourceDelta<'_>, findings: &mut Vec<Broadening>);
}

/// The value at a dotted `path` of a body; a list of blocks on the way is
/// read at its first element (`vpc_config.endpoint_public_access`).
pub fn lookup<'a>(body: &'a Json, path: &str) -> Option<&'a Json> {
    let mut at = body;
    for key in path.split('.') {
        if let Json::Array(items) = at {
            at = items.first()?;
        }
        at = at.get(key)?;
    }
    match at {
        Json::Null => None,
        other => Some(other),
    }
}

/// A JSON-encoded string's value (an IAM policy document); `None` for any
/// other value or text that is not JSON.
pub fn decode_json(value: &Json) -> Option<Json> {
    serde_json::from_str(value.as_str()?).ok()
}

/// A string or list of strings (numbers and booleans as their text), as a
/// set; empty for anything else.
pub fn strings(value: Option<&Json>) -> BTreeSet<String> {
    let one = |v: &Json| match v {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    match value {
        Some(Json::Array(items)) => items.iter().filter_map(one).collect(),
        Some(other) => one(other).into_iter().collect(),
        None => BTreeSet::new(),
    }
}

/// Which values of an attribute are the broad ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Broad {
    /// `true` (public access on).
    True,
    /// Anything but `true` (encryption, protection, a block flag off).
    NotTrue,
    /// `false` exactly (a protection that defaults to on, turned off).
    False,
    /// Exactly this string.
    Is(&'static str),
    /// Any of these strings.
    AnyOf(&'static [&'static str]),
    /// Any string but this one.
    IsNot(&'static str),
}

impl Broad {
    fn matches(self, value: &Json) -> bool {
        match self {
            Broad::True => value == &Json::Bool(true),
            Broad::NotTrue => value != &Json::Bool(true),
            Broad::False => value == &Json::Bool(false),
            Broad::Is(s) => value.as_str() == Some(s),
            Broad::AnyOf(list) => value.as_str().is_some_and(|v| list.contains(&v)),
            Broad::IsNot(s) => value.as_str() != Some(s),
        }
    }
}

/// A table rule: an attribute whose value turned broad. `absent_is_broad`
/// is the provider's default (an EKS endpoint is public unless said
/// otherwise); each table names its source.
#[derive(Clone, Copy, Debug)]
pub struct FlagRule {
    /// The Terraform type.
    pub resource_type: &'static str,
    /// Dotted path (see [`lookup`]).
    pub path: &'static str,
    /// Which values are broad.
    pub broad: Broad,
    /// Whether leaving the attribute unset is broad (the provider default).
    pub absent_is_broad: bool,
    /// What the change does, in words: `public endpoint turned on`.
    pub what: &'static str,
}

impl FlagRule {
    fn is_broad(&self, body: &Json) -> bool {
        match lookup(body, self.path) {
            Some(value) => self.broad.matches(value),
            None => self.absent_is_broad,
        }
    }
}

impl BroadeningRule for FlagRule {
    fn check(&self, delta: &ResourceDelta<'_>, findings: &mut Vec<Broadening>) {
        if delta.data_source || delta.resource_type != self.resource_type {
            return;
        }
        let Some(new) = delta.new else { return };
        let was = delta.old.is_some_and(|old| self.is_broad(old));
        if !was && self.is_broad(new) {
            findings.push(Broadening {
                address: delta.address.to_string(),
                path: self.path.to_string(),
                message: self.what.to_string(),
            });
        }
    }
}

/// A resource whose removal turns something off (a public access block,
/// a flow log, a trail).
#[derive(Clone, Copy, Debug)]
pub struct RemovedRule {
    /// The Terraform type.
    pub resource_type: &'static str,
    /// What removing it does, in words.
    pub what: &'static str,
}

impl BroadeningRule for RemovedRule {
    fn check(&self, delta: &ResourceDelta<'_>, findings: &mut Vec<Broadening>) {
        if !delta.data_source && delta.resource_type == self.resource_type && delta.new.is_none() {
            findings.push(Broadening {
                address: delta.address.to_string(),
                path: String::new(),
                message: self.what.to_string(),
            });
        }
    }
}
