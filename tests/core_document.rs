//! The Terraform JSON document's shape for the core sections.

mod common;

use infrasynth::{Stack, Value, Variable};

#[test]
fn variables_take_their_type_as_a_plain_type_expression() {
    let mut stack = Stack::new("demo");
    stack.variable(
        "project_id",
        Variable {
            type_expr: "list(string)".into(),
            description: "ids".into(),
            default: Some(Value::from(vec!["a"])),
            sensitive: false,
        },
    );
    let out = stack.synth().unwrap();
    let doc: serde_json::Value = serde_json::from_str(out.main_tf_json()).unwrap();
    assert_eq!(doc["variable"]["project_id"]["type"], "list(string)");
    assert_eq!(doc["variable"]["project_id"]["default"][0], "a");
}

#[test]
fn block_counts_match_the_rendered_document() {
    for cloud in infrasynth::Cloud::ALL {
        let out = common::synth(cloud, infrasynth::Environment::PRODUCTION);
        let doc: serde_json::Value = serde_json::from_str(out.main_tf_json()).unwrap();
        let blocks = |section: &str| -> usize {
            doc[section].as_object().map_or(0, |types| {
                types
                    .values()
                    .filter_map(|t| t.as_object())
                    .map(|t| t.len())
                    .sum()
            })
        };
        let counts = out.counts();
        assert_eq!(counts.resources, blocks("resource"), "{cloud}");
        assert_eq!(counts.data_sources, blocks("data"), "{cloud}");
        assert_eq!(
            counts.outputs,
            doc["output"].as_object().map_or(0, |o| o.len()),
            "{cloud}"
        );
    }
}
