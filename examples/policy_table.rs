//! Prints the built-in policy rules as a Markdown table (the one in
//! `docs/security.md`): `cargo run --example policy_table`.

use infrasynth::policy::{all_rules, Expect, Scope};

fn main() {
    println!("| cloud | rule id | resource type | attribute | requirement | environments |");
    println!("|---|---|---|---|---|---|");
    for (cloud, rule) in all_rules() {
        let requirement = match &rule.expect {
            Expect::Bool { value, .. } => format!("= {value}"),
            Expect::OneOf(allowed) => format!("one of {}", allowed.join(", ")),
            Expect::Present => "set".to_string(),
            Expect::Absent => "absent".to_string(),
            Expect::NoneOf(banned) => format!("never {}", banned.join(", ")),
            Expect::NonEmpty => "non-empty".to_string(),
        };
        let scope = match rule.scope {
            Scope::Always => "all",
            Scope::Production => "production",
        };
        println!(
            "| {cloud} | `{}` | `{}` | `{}` | {requirement} | {scope} |",
            rule.id, rule.resource_type, rule.path
        );
    }
}
