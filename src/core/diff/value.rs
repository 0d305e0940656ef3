//! Comparing two JSON values attribute by attribute.

use serde_json::Value as Json;

/// One attribute that differs between two bodies.
#[derive(Clone, Debug, PartialEq)]
pub struct AttributeChange {
    /// Where: `ingress[1].cidr_blocks`, `policy.Statement[0].Action`. An
    /// element only in one of two arrays is at its index in that array.
    pub path: String,
    /// The old value; `None` when the attribute was not set.
    pub old: Option<Json>,
    /// The new value; `None` when it is no longer set.
    pub new: Option<Json>,
}

/// Every attribute that differs between `old` and `new`, in path order.
///
/// Objects are compared key by key; `null` equals absent. Arrays of equal
/// length are compared element by element; arrays of different length, and
/// every array inside a JSON-encoded string, by their elements: what only
/// one side has is reported, and when both sides have the same number of
/// unmatched objects they are paired in order and compared in turn (so a
/// statement that gained an action shows as that action). A string holding
/// a JSON object or array is compared as that JSON, and there a scalar
/// equals a one-element array of it (IAM's `"Action": "s3:GetObject"`).
///
/// ```
/// use infrasynth::core::diff::diff_values;
/// use serde_json::json;
/// let old = json!({"policy": r#"{"Statement":[{"Action":"s3:GetObject"}]}"#});
/// let new = json!({"policy": r#"{"Statement":[{"Action":["s3:GetObject","s3:PutObject"]}]}"#});
/// let changes = diff_values(&old, &new);
/// assert_eq!(changes.len(), 1);
/// assert_eq!(changes[0].path, "policy.Statement[0].Action[1]");
/// assert_eq!(changes[0].new, Some(json!("s3:PutObject")));
/// ```
pub fn diff_values(old: &Json, new: &Json) -> Vec<AttributeChange> {
    let mut changes = Vec::new();
    walk("", old, new, false, &mut changes);
    changes
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn present(value: &Json) -> Option<Json> {
    (!value.is_null()).then(|| value.clone())
}

/// A string's JSON, when it holds an object or an array.
fn encoded(text: &str) -> Option<Json> {
    let trimmed = text.trim_start();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return None;
    }
    serde_json::from_str(text).ok()
}

fn walk(path: &str, old: &Json, new: &Json, unordered: bool, out: &mut Vec<AttributeChange>) {
    if old == new {
        return;
    }
    match (old, new) {
        (Json::Object(a), Json::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let (x, y) = (
                    a.get(key).unwrap_or(&Json::Null),
                    b.get(key).unwrap_or(&Json::Null),
                );
                walk(&join(path, key), x, y, unordered, out);
            }
        }
        (Json::Array(a), Json::Array(b)) if !unordered && a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                walk(&format!("{path}[{i}]"), x, y, unordered, out);
            }
        }
        (Json::Array(a), Json::Array(b)) => elements(path, a, b, unordered, out),
        // Inside encoded JSON a scalar is a one-element list (IAM).
        (Json::Array(a), scalar) if unordered && !scalar.is_object() && !scalar.is_null() => {
            elements(path, a, std::slice::from_ref(scalar), unordered, out)
        }
        (scalar, Json::Array(b)) if unordered && !scalar.is_object() && !scalar.is_null() => {
            elements(path, std::slice::from_ref(scalar), b, unordered, out)
        }
        (Json::String(a), Json::String(b)) => match (encoded(a), encoded(b)) {
            (Some(x), Some(y)) => walk(path, &x, &y, true, out),
            _ => out.push(AttributeChange {
                path: path.to_string(),
                old: present(old),
                new: present(new),
            }),
        },
        _ => out.push(AttributeChange {
            path: path.to_string(),
            old: present(old),
            new: present(new),
        }),
    }
}

/// Compares two arrays by their elements (see [`diff_values`]).
fn elements(path: &str, a: &[Json], b: &[Json], unordered: bool, out: &mut Vec<AttributeChange>) {
    let mut matched_new = vec![false; b.len()];
    let mut unmatched_old = Vec::new();
    for (i, x) in a.iter().enumerate() {
        match (0..b.len()).find(|&j| !matched_new[j] && equal(x, &b[j], unordered)) {
            Some(j) => matched_new[j] = true,
            None => unmatched_old.push(i),
        }
    }
    let unmatched_new: Vec<usize> = (0..b.len()).filter(|&j| !matched_new[j]).collect();
    let pair = unmatched_old.len() == unmatched_new.len()
        && unmatched_old
            .iter()
            .zip(&unmatched_new)
            .all(|(&i, &j)| a[i].is_object() && b[j].is_object());
    if pair {
        for (&i, &j) in unmatched_old.iter().zip(&unmatched_new) {
            walk(&format!("{path}[{j}]"), &a[i], &b[j], unordered, out);
        }
        return;
    }
    for &i in &unmatched_old {
        out.push(AttributeChange {
            path: format!("{path}[{i}]"),
            old: present(&a[i]),
            new: None,
        });
    }
    for &j in &unmatched_new {
        out.push(AttributeChange {
            path: format!("{path}[{j}]"),
            old: None,
            new: present(&b[j]),
        });
    }
}

/// Equality as [`diff_values`] sees it (`null` is absent; inside encoded
/// JSON arrays are sets).
fn equal(a: &Json, b: &Json, unordered: bool) -> bool {
    if a == b {
        return true;
    }
    let mut changes = Vec::new();
    walk("", a, b, unordered, &mut changes);
    changes.is_empty()
}
