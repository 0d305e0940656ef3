//! Fitting derived names into a cloud's length limit deterministically.
//!
//! Names the platform derives (`<project>-<env>-<workload>` and the like) can
//! be longer than a cloud allows: a GCP service-account id has at most 30
//! characters, a Memorystore instance or GKE cluster name 40, an IAM role
//! name 64. [`fit`] keeps a name that fits as it is and shortens one that
//! does not to its head and a [`stable_suffix`] of the whole name, so:
//!
//! - the same inputs always give the same name (byte-identical synth, no
//!   state needed), and a name that already fit never changes;
//! - two long names that share their head still differ (the suffix hashes
//!   the whole name, not the kept head).
//!
//! One helper for every cloud: Azure's globally unique names
//! (`azure::naming::stable_suffix`) use the same hash. [`is_lowercase_label`]
//! is the rule those names and the environment's share.

/// The characters a suffix is written in: lowercase base 36, valid in every
/// cloud's names (DNS labels, storage accounts, service-account ids).
const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";

/// How many characters [`stable_suffix`] has: 36^6 (about 2.2 billion)
/// values, so two names of one stack collide with negligible probability.
pub const SUFFIX_LEN: usize = 6;

/// Whether `name` is an RFC 1035 label of at most `max` characters:
/// lowercase letters, digits and `-`, starting with a letter, not ending
/// with `-` (most GCP resource names, and an environment's name).
///
/// ```
/// use infrasynth::core::naming::is_lowercase_label;
/// assert!(is_lowercase_label("shop-dev", 16));
/// assert!(!is_lowercase_label("shop-", 16) && !is_lowercase_label("1shop", 16));
/// ```
pub fn is_lowercase_label(name: &str, max: usize) -> bool {
    !name.is_empty()
        && name.len() <= max
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Six lowercase base-36 characters of a FNV-1a 64-bit hash of `input`.
///
/// ```
/// use infrasynth::core::naming::stable_suffix;
/// assert_eq!(stable_suffix("mlops/dev/westeurope").len(), 6);
/// assert_eq!(stable_suffix("a"), stable_suffix("a"));
/// assert_ne!(stable_suffix("a"), stable_suffix("b"));
/// ```
pub fn stable_suffix(input: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in input.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut out = String::with_capacity(SUFFIX_LEN);
    for _ in 0..SUFFIX_LEN {
        out.push(char::from(DIGITS[(hash % 36) as usize]));
        hash /= 36;
    }
    out
}

/// `name` if it has at most `max` characters; otherwise its first
/// `max - 7` characters (without a trailing `-`), `-` and the
/// [`stable_suffix`] of the whole `name`: exactly `max` characters or
/// fewer, valid wherever `name` was valid except for its length (lowercase
/// letters, digits and `-`, starting with what `name` starts with).
///
/// `max` must be at least 8 (one character of head, `-`, six of suffix);
/// below that the name is returned cut to `max`.
///
/// ```
/// use infrasynth::core::naming::fit;
/// assert_eq!(fit("mlops-dev-api", 30), "mlops-dev-api");
/// let long = fit("retail-recommender-prd-recommender-api", 30);
/// // 23 characters of head, its trailing `-` dropped, `-` and 6 of hash.
/// assert_eq!(long.len(), 29);
/// assert!(long.starts_with("retail-recommender-pr"));
/// assert_eq!(long, fit("retail-recommender-prd-recommender-api", 30));
/// assert_ne!(long, fit("retail-recommender-prd-recommender-web", 30));
/// ```
pub fn fit(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_string();
    }
    if max < SUFFIX_LEN + 2 {
        return name.chars().take(max).collect();
    }
    let head: String = name.chars().take(max - SUFFIX_LEN - 1).collect();
    format!(
        "{}-{}",
        head.trim_end_matches(['-', '_', '.']),
        stable_suffix(name)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_kept() {
        assert_eq!(fit("a", 8), "a");
        assert_eq!(fit(&"a".repeat(30), 30), "a".repeat(30));
    }

    #[test]
    fn long_names_are_cut_with_a_suffix_of_the_whole_name() {
        let name = "retail-recommender-prd-recommender-api";
        let fitted = fit(name, 30);
        assert_eq!(
            fitted,
            format!("retail-recommender-prd-{}", stable_suffix(name))
        );
        assert_eq!(fit("retail-recommender-production-api", 30).len(), 30);
    }

    #[test]
    fn a_head_ending_in_a_separator_is_trimmed() {
        // The head `abcdefghi-` would put two separators before the suffix.
        let fitted = fit("abcdefghi-jklmnopqrstu", 17);
        assert!(!fitted.contains("--"), "{fitted}");
        assert!(fitted.len() <= 17);
    }

    #[test]
    fn names_with_the_same_head_differ() {
        assert_ne!(
            fit("project-production-workload-one", 20),
            fit("project-production-workload-two", 20)
        );
    }
}
