//! One policy rule: a condition on an attribute of every block of a type.

use crate::core::block::Block;
use crate::core::value::Value;

/// What an attribute must satisfy.
#[derive(Clone, Debug)]
pub enum Expect {
    /// Must equal this boolean; `missing_ok` says whether the provider's
    /// default (attribute absent) already satisfies the rule.
    Bool {
        /// The value the attribute must have.
        value: bool,
        /// Whether an absent attribute (the provider's default) passes.
        missing_ok: bool,
    },
    /// Must equal one of these strings.
    OneOf(&'static [&'static str]),
    /// Must be set (any value, including a computed one).
    Present,
    /// Must be absent (for example a literal password).
    Absent,
    /// A list (or single string) that must not contain any of these.
    NoneOf(&'static [&'static str]),
    /// A non-empty list.
    NonEmpty,
}

/// Which environments a rule applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every environment.
    Always,
    /// Production only (cost-driven guarantees such as deletion protection).
    Production,
}

/// A rule over every block of `resource_type`.
#[derive(Clone, Debug)]
pub struct Rule {
    /// Stable id used by `Stack::acknowledge` and the docs, such as
    /// `encryption-at-rest`.
    pub id: &'static str,
    /// The Terraform type the rule reads.
    pub resource_type: &'static str,
    /// Dotted attribute path (one-item block lists are looked through).
    pub path: &'static str,
    /// The condition.
    pub expect: Expect,
    /// Where it applies.
    pub scope: Scope,
    /// Why it matters, shown with the finding.
    pub why: &'static str,
    /// The rule applies only to blocks whose attributes at these paths hold
    /// these strings (for example only `Allow` + `Inbound` security rules);
    /// `"*"` means "set to anything".
    pub only_if: &'static [(&'static str, &'static str)],
}

impl Rule {
    /// Whether `block` satisfies the rule; `None` when it does (or cannot be
    /// judged because the value is computed), else the offending value as text.
    pub fn violation(&self, block: &Block) -> Option<String> {
        let applies = self
            .only_if
            .iter()
            .all(|(path, wanted)| match block.get(path) {
                Some(value) if *wanted == "*" => !matches!(value, Value::Null),
                Some(value) => value.as_str() == Some(*wanted),
                None => false,
            });
        if !applies {
            return None;
        }
        let value = block.get(self.path);
        match (&self.expect, value) {
            (_, Some(Value::Expr(_))) => None,
            (Expect::Bool { missing_ok, .. }, None) => (!missing_ok).then(|| "not set".to_string()),
            (Expect::Bool { value: want, .. }, Some(v)) => {
                (v.as_bool() != Some(*want)).then(|| describe(v))
            }
            (Expect::OneOf(_), None) => Some("not set".to_string()),
            (Expect::OneOf(allowed), Some(v)) => {
                (!v.as_str().is_some_and(|s| allowed.contains(&s))).then(|| describe(v))
            }
            (Expect::Present, None) => Some("not set".to_string()),
            (Expect::Present, Some(_)) => None,
            (Expect::Absent, None) | (Expect::Absent, Some(Value::Null)) => None,
            (Expect::Absent, Some(v)) => Some(describe(v)),
            (Expect::NoneOf(_), None) => None,
            (Expect::NoneOf(banned), Some(v)) => {
                let items: Vec<&Value> = match v {
                    Value::List(items) => items.iter().collect(),
                    other => vec![other],
                };
                items
                    .iter()
                    .find(|item| item.as_str().is_some_and(|s| banned.contains(&s)))
                    .map(|item| describe(item))
            }
            (Expect::NonEmpty, Some(Value::List(items))) if !items.is_empty() => None,
            (Expect::NonEmpty, other) => Some(other.map_or("not set".to_string(), describe)),
        }
    }

    /// What a passing value looks like, for the fix hint.
    pub fn wanted(&self) -> String {
        match &self.expect {
            Expect::Bool { value, .. } => format!("set `{}` to {value}", self.path),
            Expect::OneOf(allowed) => {
                format!("set `{}` to one of: {}", self.path, allowed.join(", "))
            }
            Expect::Present => format!("set `{}`", self.path),
            Expect::Absent => format!("remove `{}`", self.path),
            Expect::NoneOf(banned) => {
                format!("remove {} from `{}`", banned.join(" and "), self.path)
            }
            Expect::NonEmpty => format!("list at least one value in `{}`", self.path),
        }
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::String(s) => format!("\"{s}\""),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

/// A rule for every environment with no preconditions (the rule tables' shorthand).
pub fn on(
    id: &'static str,
    resource_type: &'static str,
    path: &'static str,
    expect: Expect,
    why: &'static str,
) -> Rule {
    Rule {
        id,
        resource_type,
        path,
        expect,
        scope: Scope::Always,
        why,
        only_if: &[],
    }
}

/// The same rule, checked in production only.
pub fn in_production(rule: Rule) -> Rule {
    Rule {
        scope: Scope::Production,
        ..rule
    }
}
