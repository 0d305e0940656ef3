use serde_json::json;

use super::*;

fn doc(resources: Json) -> String {
    json!({ "resource": resources }).to_string()
}

#[test]
fn identical_documents_have_no_changes() {
    let text = doc(json!({"aws_sqs_queue": {"q": {"name": "a"}}}));
    let diff = diff_documents(Some(&text), &text, &[]).unwrap();
    assert!(diff.is_empty());
    assert_eq!(diff.summary(), "no changes");
}

#[test]
fn added_removed_and_changed_resources_are_reported_with_paths() {
    let old = doc(json!({
        "aws_sqs_queue": {"gone": {"name": "g"}, "kept": {"name": "a", "delay_seconds": 0}}
    }));
    let new = doc(json!({
        "aws_sqs_queue": {"kept": {"name": "a", "delay_seconds": 5}, "fresh": {"name": "f"}}
    }));
    let diff = diff_documents(Some(&old), &new, &[]).unwrap();
    let kinds: Vec<(&str, &str)> = diff
        .changes
        .iter()
        .map(|c| (c.address.as_str(), c.kind.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("aws_sqs_queue.fresh", "added"),
            ("aws_sqs_queue.gone", "removed"),
            ("aws_sqs_queue.kept", "changed"),
        ]
    );
    assert_eq!(
        diff.changes[2].attributes,
        [AttributeChange {
            path: "delay_seconds".into(),
            old: Some(json!(0)),
            new: Some(json!(5)),
        }]
    );
}

/// IAM evaluates a policy's statements and each element's action list as
/// sets (IAM JSON policy reference, "Grammar": `Statement` and `Action` are
/// arrays of independent entries): reordering them changes nothing.
#[test]
fn policy_documents_compare_as_json_with_statements_in_any_order() {
    let one = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"},{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}"#;
    let other = r#"{"Statement":[{"Action":"s3:DeleteObject","Effect":"Deny","Resource":["*"]},{"Resource":"*","Effect":"Allow","Action":["s3:ListBucket","s3:GetObject"]}],"Version":"2012-10-17"}"#;
    let old = doc(json!({"aws_iam_policy": {"p": {"policy": one}}}));
    let new = doc(json!({"aws_iam_policy": {"p": {"policy": other}}}));
    assert!(diff_documents(Some(&old), &new, &[]).unwrap().is_empty());
}

#[test]
fn a_declared_move_is_shown_as_a_move_not_a_removal_and_an_addition() {
    let old = doc(json!({"aws_s3_bucket": {"a": {"bucket": "x"}}}));
    let new = json!({
        "resource": {"aws_s3_bucket": {"b": {"bucket": "x"}}},
        "moved": [{"from": "aws_s3_bucket.a", "to": "aws_s3_bucket.b"}]
    })
    .to_string();
    let diff = diff_documents(Some(&old), &new, &[]).unwrap();
    assert_eq!(diff.changes.len(), 1);
    assert_eq!(
        diff.changes[0].kind,
        ChangeKind::Moved {
            from: "aws_s3_bucket.a".into(),
            declared: true
        }
    );
}

#[test]
fn an_undeclared_rename_is_a_move_with_a_note_naming_the_moved_block() {
    let old = doc(json!({"aws_s3_bucket": {"a": {"bucket": "x", "force_destroy": false}}}));
    let new = doc(json!({"aws_s3_bucket": {"b": {"bucket": "x", "force_destroy": false}}}));
    let diff = diff_documents(Some(&old), &new, &[]).unwrap();
    assert_eq!(diff.changes.len(), 1);
    assert!(matches!(
        diff.changes[0].kind,
        ChangeKind::Moved {
            declared: false,
            ..
        }
    ));
    let note = diff.changes[0].note.as_deref().unwrap();
    assert!(
        note.contains(r#"{"from": "aws_s3_bucket.a", "to": "aws_s3_bucket.b"}"#),
        "{note}"
    );
}

#[test]
fn nothing_on_disk_makes_everything_added_and_bad_json_is_an_error_naming_the_side() {
    let new = doc(json!({"aws_sqs_queue": {"q": {}}}));
    let diff = diff_documents(None, &new, &[]).unwrap();
    assert_eq!(diff.count("added"), 1);
    let error = diff_documents(Some("{not json"), &new, &[]).unwrap_err();
    assert_eq!(error.which, "old");
}

#[test]
fn a_flag_rule_reports_a_protection_turned_off_but_not_one_left_off() {
    let rule = FlagRule {
        resource_type: "aws_db_instance",
        path: "storage_encrypted",
        broad: Broad::NotTrue,
        absent_is_broad: true,
        what: "storage encryption turned off",
    };
    let rules: [&dyn BroadeningRule; 1] = [&rule];
    let old = doc(json!({"aws_db_instance": {"db": {"storage_encrypted": true, "port": 1}}}));
    let new = doc(json!({"aws_db_instance": {"db": {"storage_encrypted": false, "port": 1}}}));
    let diff = diff_documents(Some(&old), &new, &rules).unwrap();
    assert_eq!(diff.security.len(), 1);
    assert_eq!(diff.security[0].path, "storage_encrypted");
    let other = doc(json!({"aws_db_instance": {"db": {"storage_encrypted": false, "port": 2}}}));
    assert!(diff_documents(Some(&new), &other, &rules)
        .unwrap()
        .security
        .is_empty());
}

#[test]
fn text_is_plain_without_color_and_markdown_and_json_carry_the_same_changes() {
    let old = doc(json!({"aws_sqs_queue": {"q": {"name": "a"}}}));
    let new = doc(json!({"aws_sqs_queue": {"q": {"name": "b"}}}));
    let diff = diff_documents(Some(&old), &new, &[]).unwrap();
    let plain = diff.to_text("diff s/aws/dev", false);
    assert!(!plain.contains('\x1b'));
    assert!(
        plain.contains("~ aws_sqs_queue.q\n    name: \"a\" -> \"b\""),
        "{plain}"
    );
    assert!(diff
        .to_text("t", true)
        .contains("\x1b[33m~ aws_sqs_queue.q"));
    let markdown = diff.to_markdown("t");
    assert!(
        markdown.contains("```diff\n~ aws_sqs_queue.q"),
        "{markdown}"
    );
    let json = diff.to_json("t");
    assert_eq!(json["changes"][0]["attributes"][0]["new"], "b");
    assert_eq!(json["broadens_access"], false);
}
