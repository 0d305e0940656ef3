//! The Terraform JSON document's shape for the core sections.

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
