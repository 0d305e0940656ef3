//! # infrasynth
//!
//! Typed infrastructure as code: describe a cloud platform with Rust builders and
//! synthesize Terraform JSON (plus Helm values) that `terraform apply` takes as is.
//!
//! - [`core`]: stacks, typed references, values, the dependency graph, diagnostics
//!   and the deterministic writer. No cloud knowledge.
//! - [`aws`], [`gcp`], [`azure`]: builders with secure defaults, and the
//!   realization of the cloud-neutral [`platform`] on each cloud.
//! - [`schema`]: checks a document against a provider schema.
//! - [`policy`]: built-in security policies run at synth time.
//! - [`state`]: where each stack keeps its Terraform state (typed S3, GCS,
//!   azurerm and local backends) and the bootstrap stacks creating that storage.
//! - [`cli`]: the `infrasynth` command line.

#![deny(missing_docs)]
// Every public fallible function says how it fails.
#![deny(clippy::missing_errors_doc)]

pub mod app;
pub mod aws;
pub mod azure;
#[cfg(feature = "cli")]
pub mod cli;
pub mod core;
pub mod gcp;
pub mod helm;
pub mod platform;
pub mod policy;
pub mod schema;
pub mod state;
pub mod testing;

pub use crate::core::access::Access;
pub use crate::core::block::{Attributes, Block, Tagging};
pub use crate::core::capacity::Capacity;
pub use crate::core::cidr;
pub use crate::core::diagnostics::{Diagnostic, Diagnostics, Severity};
pub use crate::core::environment::{Cloud, Environment, EnvironmentError, Tier};
pub use crate::core::refactor::{Moved, MovedFrom, Rename};
pub use crate::core::reference::{
    Address, Arn, Attr, HasArn, HasName, Id, Input, List, Name, Ref, ResourceKind,
};
pub use crate::core::stack::{Construct, Output, Stack, Variable};
pub use crate::core::synth::{BlockCounts, Synthesized};
pub use crate::core::taint::{Taint, TaintEffect};
pub use crate::core::value::{Expr, TemplatePart, Value};

/// The README's Rust examples, compiled and run as doc tests so they cannot rot.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// `docs/helm.md`'s Rust examples, compiled and run as doc tests.
#[doc = include_str!("../docs/helm.md")]
#[cfg(doctest)]
pub struct HelmDocDoctests;

/// `docs/operations.md`'s Rust examples, compiled and run as doc tests.
#[doc = include_str!("../docs/operations.md")]
#[cfg(doctest)]
pub struct OperationsDocDoctests;
