//! The clouds and environments a stack is synthesized for.

use std::fmt;
use std::str::FromStr;

/// A deployment environment. Production is multi-zone, deletion-protected and
/// larger; dev is small and cheap; staging sits between, shaped like production.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Environment {
    /// Small, cheap, disposable.
    Dev,
    /// Production-shaped, smaller.
    Staging,
    /// Highly available and protected.
    Production,
}

impl Environment {
    /// Every environment, in promotion order.
    pub const ALL: [Environment; 3] = [
        Environment::Dev,
        Environment::Staging,
        Environment::Production,
    ];

    /// The lowercase name used on the command line and in paths.
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Dev => "dev",
            Environment::Staging => "staging",
            Environment::Production => "production",
        }
    }

    /// Whether this is production.
    pub fn is_production(self) -> bool {
        self == Environment::Production
    }

    /// Pick a value per environment.
    pub fn pick<T>(self, dev: T, staging: T, production: T) -> T {
        match self {
            Environment::Dev => dev,
            Environment::Staging => staging,
            Environment::Production => production,
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Environment {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "dev" => Ok(Environment::Dev),
            "staging" => Ok(Environment::Staging),
            "production" | "prod" => Ok(Environment::Production),
            other => Err(format!(
                "unknown environment `{other}`; expected one of: dev, staging, production"
            )),
        }
    }
}

/// A cloud provider the platform can be realized on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cloud {
    /// Amazon Web Services.
    Aws,
    /// Google Cloud.
    Gcp,
    /// Microsoft Azure.
    Azure,
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
