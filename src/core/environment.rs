//! The clouds and environments a stack is synthesized for.

use std::fmt;
use std::str::FromStr;

/// How production-like an environment is. The tier, not the environment's
/// name, drives the secure defaults: deletion protection, multiple zones,
/// retention periods, sizes and replica counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    /// Small, cheap, disposable (`dev`, `sandbox`, `qa`).
    Development,
    /// Production-shaped, smaller (`staging`, `preprod`).
    Staging,
    /// Highly available and protected (`production`, `prod-eu`).
    Production,
}

impl Tier {
    /// Every tier, in promotion order.
    pub const ALL: [Tier; 3] = [Tier::Development, Tier::Staging, Tier::Production];

    /// The lowercase name: `development`, `staging` or `production`.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Development => "development",
            Tier::Staging => "staging",
            Tier::Production => "production",
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A deployment environment the user declares: a name (used on the command
/// line, in output paths and as part of resource names), a [`Tier`] that drives
/// the secure defaults, and optionally its own region per cloud.
///
/// [`Environment::DEFAULTS`] (`dev`, `staging`, `production`) is the set a
/// program gets when it declares none. Environments are small `Copy` values,
/// declared once per program, so their names are `&'static str`.
///
/// ```
/// use infrasynth::{Cloud, Environment, Tier};
/// let eu = Environment::new("prod-eu", Tier::Production).with_region(Cloud::Aws, "eu-west-1");
/// assert!(eu.is_production());
/// assert_eq!(eu.region(Cloud::Aws), Some("eu-west-1"));
/// assert_eq!(eu.region(Cloud::Gcp), None);
/// assert_eq!(eu.pick(1, 2, 3), 3);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Environment {
    name: &'static str,
    tier: Tier,
    short_name: Option<&'static str>,
    // Indexed by `Cloud as usize`.
    regions: [Option<&'static str>; 3],
}

impl Environment {
    /// `dev`: the development tier.
    pub const DEV: Environment = Environment::new("dev", Tier::Development);
    /// `staging`: the staging tier.
    pub const STAGING: Environment = Environment::new("staging", Tier::Staging);
    /// `production`: the production tier.
    pub const PRODUCTION: Environment = Environment::new("production", Tier::Production);

    /// The environments of a program that declares none, in promotion order.
    pub const DEFAULTS: [Environment; 3] = [
        Environment::DEV,
        Environment::STAGING,
        Environment::PRODUCTION,
    ];

    /// An environment named `name` (lowercase letters, digits and `-`, starting
    /// with a letter, at most 16 characters; checked by [`Environment::check`],
    /// which the app runs for every declared environment) of `tier`.
    pub const fn new(name: &'static str, tier: Tier) -> Self {
        Environment {
            name,
            tier,
            short_name: None,
            regions: [None; 3],
        }
    }

    /// Places this environment in `region` on `cloud`, overriding the
    /// platform's region for that cloud (`prod-eu` in `eu-west-1`, `prod-us`
    /// in `us-east-1`).
    pub const fn with_region(mut self, cloud: Cloud, region: &'static str) -> Self {
        self.regions[cloud as usize] = Some(region);
        self
    }

    /// Sets the abbreviation used where a cloud's names are short (GCP service
    /// account ids have 30 characters). Default: `dev`, `stg`, `prd` for the
    /// default environments, the name itself otherwise.
    pub const fn with_short_name(mut self, short_name: &'static str) -> Self {
        self.short_name = Some(short_name);
        self
    }

    /// The name used on the command line, in output paths and resource names.
    pub fn as_str(self) -> &'static str {
        self.name
    }

    /// The name (same as [`Environment::as_str`]).
    pub fn name(self) -> &'static str {
        self.name
    }

    /// The tier that drives the defaults.
    pub fn tier(self) -> Tier {
        self.tier
    }

    /// The abbreviation for short cloud names; see [`Environment::with_short_name`].
    pub fn short_name(self) -> &'static str {
        if let Some(short) = self.short_name {
            return short;
        }
        match self.name {
            "staging" => "stg",
            "production" => "prd",
            name => name,
        }
    }

    /// The region this environment declares for `cloud`, if any.
    pub fn region(self, cloud: Cloud) -> Option<&'static str> {
        self.regions[cloud as usize]
    }

    /// Whether this environment is of the production tier.
    pub fn is_production(self) -> bool {
        self.tier == Tier::Production
    }

    /// Whether this environment is of the development tier.
    pub fn is_development(self) -> bool {
        self.tier == Tier::Development
    }

    /// Pick a value by tier: development, staging, production.
    pub fn pick<T>(self, development: T, staging: T, production: T) -> T {
        match self.tier {
            Tier::Development => development,
            Tier::Staging => staging,
            Tier::Production => production,
        }
    }

    /// Checks the name: 1-16 lowercase letters, digits and `-`, starting with a
    /// letter and not ending with `-` (it becomes part of resource names on
    /// every cloud), and a short name of at most 4 characters of the same kind.
    ///
    /// # Errors
    ///
    /// [`EnvironmentError::InvalidName`] naming the rule that failed.
    pub fn check(self) -> Result<(), EnvironmentError> {
        let valid = super::naming::is_lowercase_label;
        if !valid(self.name, 16) {
            return Err(EnvironmentError::InvalidName {
                name: self.name.to_string(),
                rule: "1-16 lowercase letters, digits and `-`, starting with a letter and not ending with `-`",
            });
        }
        if let Some(short) = self.short_name {
            if !valid(short, 4) {
                return Err(EnvironmentError::InvalidName {
                    name: short.to_string(),
                    rule: "a short name has 1-4 lowercase letters, digits and `-`, starting with a letter",
                });
            }
        }
        Ok(())
    }

    /// Finds `name` among `declared`.
    ///
    /// # Errors
    ///
    /// [`EnvironmentError::Unknown`] listing the declared names and the
    /// closest one, when `name` is not declared.
    pub fn find(declared: &[Environment], name: &str) -> Result<Environment, EnvironmentError> {
        declared
            .iter()
            .copied()
            .find(|e| e.name == name)
            .ok_or_else(|| EnvironmentError::Unknown {
                name: name.to_string(),
                declared: declared.iter().map(|e| e.name.to_string()).collect(),
                suggestion: closest(name, declared.iter().map(|e| e.name)),
            })
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Environment {
    type Err = EnvironmentError;
    /// Parses one of [`Environment::DEFAULTS`]; a program with its own
    /// environments uses [`Environment::find`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Environment::find(&Environment::DEFAULTS, s)
    }
}

/// A bad environment name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnvironmentError {
    /// The name is not declared.
    Unknown {
        /// What was asked for.
        name: String,
        /// What is declared.
        declared: Vec<String>,
        /// The declared name closest to `name`, if one is close.
        suggestion: Option<String>,
    },
    /// The name breaks the naming rule.
    InvalidName {
        /// The name.
        name: String,
        /// The rule it breaks.
        rule: &'static str,
    },
}

impl fmt::Display for EnvironmentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EnvironmentError::Unknown {
                name,
                declared,
                suggestion,
            } => {
                write!(
                    f,
                    "unknown environment `{name}`; declared environments: {}",
                    declared.join(", ")
                )?;
                if let Some(suggestion) = suggestion {
                    write!(f, " (did you mean `{suggestion}`?)")?;
                }
                Ok(())
            }
            EnvironmentError::InvalidName { name, rule } => {
                write!(f, "invalid environment name `{name}`: {rule}")
            }
        }
    }
}

impl std::error::Error for EnvironmentError {}

/// The candidate closest to `name` by edit distance, if it is within a third
/// of the name's length (at least 2 edits) or one is a prefix of the other.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let mut best: Option<(usize, &str)> = None;
    // Case is never the difference that matters: `PROD-EU` means `prod-eu`.
    let name = name.to_ascii_lowercase();
    let name = name.as_str();
    for candidate in candidates {
        let lower = candidate.to_ascii_lowercase();
        let distance = edit_distance(name, &lower);
        let prefix = lower.starts_with(name) || name.starts_with(lower.as_str());
        let limit = (name.len().max(candidate.len()) / 3).max(2);
        if (distance <= limit || (prefix && !name.is_empty()))
            && best.is_none_or(|(d, _)| distance < d)
        {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, c)| c.to_string())
}

/// Levenshtein distance over characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = if ca == *cb {
                previous
            } else {
                1 + previous.min(row[j]).min(row[j + 1])
            };
            previous = current;
        }
    }
    row[b.len()]
}

/// A cloud provider the platform can be realized on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cloud {
    /// Amazon Web Services.
    Aws = 0,
    /// Google Cloud.
    Gcp = 1,
    /// Microsoft Azure.
    Azure = 2,
}

impl Cloud {
    /// Every cloud.
    pub const ALL: [Cloud; 3] = [Cloud::Aws, Cloud::Gcp, Cloud::Azure];

    /// The lowercase name used on the command line and in paths.
    pub fn as_str(self) -> &'static str {
        match self {
            Cloud::Aws => "aws",
            Cloud::Gcp => "gcp",
            Cloud::Azure => "azure",
        }
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Cloud {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "aws" => Ok(Cloud::Aws),
            "gcp" | "google" => Ok(Cloud::Gcp),
            "azure" | "azurerm" => Ok(Cloud::Azure),
            other => Err(format!(
                "unknown cloud `{other}`; expected one of: aws, gcp, azure"
            )),
        }
    }
}
