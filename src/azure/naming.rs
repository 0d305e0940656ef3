//! Resource names: the `<project>-<env>-<location>` prefix, the deterministic
//! suffix of globally unique names, and Azure's naming rules.
//!
//! Storage accounts, Key Vaults, PostgreSQL servers and Redis caches have
//! names that are DNS labels under a shared Azure domain, so they must be
//! unique across all of Azure. Their names end in [`stable_suffix`]: six base-36
//! characters of a FNV-1a 64-bit hash of `project/env/location`
//! ([`crate::core::naming::stable_suffix`], shared by every cloud). The same
//! inputs always give the same name (byte-identical synth, no state needed),
//! and different projects, environments or locations get different names.

/// The prefix of every resource name: `<project>-<env>-<location>`.
pub fn prefix(project: &str, env: &str, location: &str) -> String {
    format!("{project}-{env}-{location}")
}

/// Six lowercase base-36 characters derived from `project/env/location`.
///
/// ```
/// use infrasynth::azure::naming::stable_suffix;
/// assert_eq!(stable_suffix("mlops", "dev", "westeurope").len(), 6);
/// assert_eq!(
///     stable_suffix("mlops", "dev", "westeurope"),
///     stable_suffix("mlops", "dev", "westeurope")
/// );
/// ```
pub fn stable_suffix(project: &str, env: &str, location: &str) -> String {
    crate::core::naming::stable_suffix(&format!("{project}/{env}/{location}"))
}

/// A storage account name: `<project><env>` reduced to lowercase letters and
/// digits, cut to leave room for the suffix, then the suffix (at most 24).
pub fn storage_account_name(project: &str, env: &str, suffix: &str) -> String {
    let stem: String = format!("{project}{env}")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .take(24 - suffix.len())
        .collect();
    format!("{stem}{suffix}")
}

/// A Key Vault name: `<project>-<env>` cut to leave room for `-<suffix>` (at most 24).
pub fn key_vault_name(project: &str, env: &str, suffix: &str) -> String {
    let stem: String = format!("{project}-{env}")
        .chars()
        .take(24 - 1 - suffix.len())
        .collect();
    format!("{}-{suffix}", stem.trim_end_matches('-'))
}

/// Why `name` is not a valid storage account name, if it is not.
pub fn storage_account_name_problem(name: &str) -> Option<String> {
    if !(3..=24).contains(&name.len()) {
        return Some(format!(
            "storage account name `{name}` has {} characters",
            name.len()
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    {
        return Some(format!(
            "storage account name `{name}` has characters other than lowercase letters and digits"
        ));
    }
    None
}

/// What a valid storage account name looks like.
pub const STORAGE_ACCOUNT_NAME_RULE: &str =
    "use 3-24 lowercase letters and digits, globally unique (leave the name unset to get `<project><env><suffix>`)";

/// Why `name` is not a valid Key Vault name, if it is not.
pub fn key_vault_name_problem(name: &str) -> Option<String> {
    if !(3..=24).contains(&name.len()) {
        return Some(format!(
            "Key Vault name `{name}` has {} characters",
            name.len()
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Some(format!(
            "Key Vault name `{name}` does not start with a letter"
        ));
    }
    if name.ends_with('-') {
        return Some(format!("Key Vault name `{name}` ends with `-`"));
    }
    if name.contains("--") {
        return Some(format!("Key Vault name `{name}` has consecutive hyphens"));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Some(format!(
            "Key Vault name `{name}` has characters other than letters, digits and `-`"
        ));
    }
    None
}

/// What a valid Key Vault name looks like.
pub const KEY_VAULT_NAME_RULE: &str =
    "use 3-24 letters, digits and single hyphens, starting with a letter and ending with a letter or digit, globally unique";

/// Whether `name` is a name of `lengths` characters of letters, digits, `-`
/// and `_`, starting with a letter or digit: the rule Azure shares across
/// managed identities, disk encryption sets and AKS clusters.
pub fn is_resource_name(name: &str, lengths: std::ops::RangeInclusive<usize>) -> bool {
    lengths.contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Whether `name` is a DNS label Azure accepts for servers and caches:
/// 3-63 lowercase letters, digits and `-`, not starting or ending with `-`.
pub fn is_server_name(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && !name.starts_with('-')
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffix_is_stable_and_differs_per_env() {
        let dev = stable_suffix("mlops", "dev", "westeurope");
        assert_eq!(dev, stable_suffix("mlops", "dev", "westeurope"));
        assert_ne!(dev, stable_suffix("mlops", "production", "westeurope"));
        assert!(dev
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    }

    #[test]
    fn generated_names_follow_the_rules() {
        let suffix = stable_suffix("a-very-long-project1", "production", "westeurope");
        let account = storage_account_name("a-very-long-project1", "production", &suffix);
        assert_eq!(storage_account_name_problem(&account), None, "{account}");
        assert_eq!(account.len(), 24);
        let vault = key_vault_name("a-very-long-project1", "production", &suffix);
        assert_eq!(key_vault_name_problem(&vault), None, "{vault}");
    }

    #[test]
    fn invalid_names_are_explained() {
        assert!(storage_account_name_problem("My_Account").is_some());
        assert!(storage_account_name_problem("ab").is_some());
        assert!(storage_account_name_problem("abcdefghijklmnopqrstuvwxy").is_some());
        assert!(key_vault_name_problem("1vault").is_some());
        assert!(key_vault_name_problem("my--vault").is_some());
        assert!(key_vault_name_problem("vault-").is_some());
        assert!(key_vault_name_problem("my_vault").is_some());
        assert_eq!(key_vault_name_problem("my-vault-1"), None);
    }

    #[test]
    fn resource_names_start_with_a_letter_or_digit() {
        assert!(is_resource_name("p-dev_aks-1", 1..=63));
        assert!(!is_resource_name("-aks", 1..=63));
        assert!(!is_resource_name("aks.main", 1..=63));
        assert!(!is_resource_name("ab", 3..=128));
    }
}
