//! [`Match`]: what a test expects of a value in a synthesized document.

use std::fmt;

use serde_json::Value as Json;

/// What a test expects of one JSON value of a synthesized document. Modeled on
/// AWS CDK's `Match` (assertions module): a plain JSON value converted with
/// `Match::from` matches *like an object*: every key it names must be present
/// and match, other keys are ignored, recursively.
///
/// ```
/// use infrasynth::testing::Match;
/// use serde_json::json;
///
/// let bucket = json!({"bucket": "shop-prod-uploads", "force_destroy": false, "tags": {"Team": "web"}});
/// assert!(Match::from(json!({"tags": {"Team": "web"}})).matches(&bucket));
/// assert!(Match::string_like("shop-*-uploads").matches(&bucket["bucket"]));
/// assert!(!Match::exact(json!({"bucket": "shop-prod-uploads"})).matches(&bucket));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Match {
    /// Equal to this value, with no keys or items more or fewer.
    Exact(Json),
    /// An object with at least these keys, each matching.
    ObjectLike(Vec<(String, Match)>),
    /// An array with, for each of these, at least one item matching it.
    ArrayWith(Vec<Match>),
    /// A string matching a pattern in which `*` stands for any run of
    /// characters (possibly empty).
    StringLike(String),
    /// The key is absent (only meaningful as the value of an object key).
    Absent,
    /// Anything, as long as the key is present.
    Anything,
}

impl Match {
    /// Equal to `value` exactly.
    pub fn exact(value: impl Into<Json>) -> Self {
        Match::Exact(value.into())
    }

    /// An object with at least the keys of `value`, each matching like an
    /// object in turn.
    pub fn object_like(value: impl Into<Json>) -> Self {
        Match::from(value.into())
    }

    /// An object with at least these keys, each matching its own [`Match`]:
    /// for patterns a JSON value cannot hold (a `string_like` inside an
    /// object, an `array_with` inside another).
    ///
    /// ```
    /// use infrasynth::testing::Match;
    /// use serde_json::json;
    /// let m = Match::object([
    ///     ("name", Match::string_like("shop-*-events")),
    ///     ("tags", Match::from(json!({"Team": "web"}))),
    /// ]);
    /// assert!(m.matches(&json!({"name": "shop-prod-events", "tags": {"Team": "web", "X": 1}})));
    /// ```
    pub fn object<'k>(entries: impl IntoIterator<Item = (&'k str, Match)>) -> Self {
        Match::ObjectLike(
            entries
                .into_iter()
                .map(|(key, m)| (key.to_string(), m))
                .collect(),
        )
    }

    /// An array with at least one item matching each of `items`.
    pub fn array_with(items: impl IntoIterator<Item = Match>) -> Self {
        Match::ArrayWith(items.into_iter().collect())
    }

    /// A string matching `pattern`, where `*` is any run of characters.
    pub fn string_like(pattern: impl Into<String>) -> Self {
        Match::StringLike(pattern.into())
    }

    /// The key must be absent.
    pub fn absent() -> Self {
        Match::Absent
    }

    /// Any value.
    pub fn anything() -> Self {
        Match::Anything
    }

    /// Whether `value` matches.
    pub fn matches(&self, value: &Json) -> bool {
        self.mismatch(value, "").is_none()
    }

    /// The first mismatch as `path: why`, or `None` when `value` matches.
    pub fn mismatch(&self, value: &Json, path: &str) -> Option<String> {
        let here = if path.is_empty() { "(root)" } else { path };
        match self {
            Match::Exact(expected) => (expected != value).then(|| {
                let hint = if expected.is_array() {
                    " (arrays match exactly; Match::array_with matches some items)"
                } else {
                    ""
                };
                format!("{here}: expected {expected}, found {value}{hint}")
            }),
            Match::Anything => None,
            Match::Absent => Some(format!("{here}: expected no value, found {value}")),
            Match::StringLike(pattern) => match value.as_str() {
                Some(text) if glob(pattern, text) => None,
                _ => Some(format!(
                    "{here}: expected a string like `{pattern}`, found {value}"
                )),
            },
            Match::ObjectLike(entries) => {
                let Some(object) = value.as_object() else {
                    return Some(format!("{here}: expected an object, found {value}"));
                };
                entries.iter().find_map(|(key, expected)| {
                    let child = if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    };
                    match (object.get(key), expected) {
                        (None, Match::Absent) => None,
                        (None, _) => Some(format!("{child}: missing")),
                        (Some(actual), expected) => expected.mismatch(actual, &child),
                    }
                })
            }
            Match::ArrayWith(items) => {
                let Some(array) = value.as_array() else {
                    return Some(format!("{here}: expected an array, found {value}"));
                };
                items.iter().find_map(|expected| {
                    (!array.iter().any(|item| expected.matches(item)))
                        .then(|| format!("{here}: no item matches {expected}"))
                })
            }
        }
    }
}

impl From<Json> for Match {
    /// Objects become [`Match::ObjectLike`] (recursively); arrays and scalars
    /// must be equal (use [`Match::array_with`] for a partial array).
    fn from(value: Json) -> Self {
        match value {
            Json::Object(map) => {
                Match::ObjectLike(map.into_iter().map(|(k, v)| (k, Match::from(v))).collect())
            }
            other => Match::Exact(other),
        }
    }
}

impl fmt::Display for Match {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Match::Exact(value) => write!(f, "{value}"),
            Match::Anything => f.write_str("anything"),
            Match::Absent => f.write_str("absent"),
            Match::StringLike(pattern) => write!(f, "string like `{pattern}`"),
            Match::ObjectLike(entries) => {
                f.write_str("object like {")?;
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{key}: {value}")?;
                }
                f.write_str("}")
            }
            Match::ArrayWith(items) => {
                f.write_str("array with [")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// `*` matches any run of characters; everything else literally.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn globs() {
        assert!(glob("a*c", "abc"));
        assert!(glob("a*", "a"));
        assert!(glob("*-models", "shop-prod-models"));
        assert!(glob("a*b*c", "a-b-c"));
        assert!(!glob("a*b*c", "a-c"));
        assert!(!glob("abc", "abcd"));
        assert!(!glob("ab*ba", "aba"));
    }

    #[test]
    fn mismatches_name_the_path() {
        let doc = json!({"a": {"b": [1, {"c": "x"}]}});
        let m = Match::from(json!({"a": {"b": [1, {"c": "y"}]}}));
        assert_eq!(
            m.mismatch(&doc, "").as_deref(),
            Some(
                "a.b: expected [1,{\"c\":\"y\"}], found [1,{\"c\":\"x\"}] \
                 (arrays match exactly; Match::array_with matches some items)"
            )
        );
        let m = Match::ObjectLike(vec![(
            "a".into(),
            Match::ObjectLike(vec![(
                "b".into(),
                Match::array_with([Match::from(json!({"c": "x"}))]),
            )]),
        )]);
        assert!(m.matches(&doc));
        let m = Match::ObjectLike(vec![("z".into(), Match::absent())]);
        assert!(m.matches(&doc));
        let m = Match::ObjectLike(vec![("a".into(), Match::absent())]);
        assert!(!m.matches(&doc));
    }
}
