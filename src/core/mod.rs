//! The cloud-neutral core: stacks, blocks, typed references, values, the
//! dependency graph, diagnostics, and the deterministic writer.

pub mod access;
pub mod backend;
pub mod block;
pub mod calendar;
pub mod capacity;
pub mod cidr;
mod commit;
pub mod context;
pub mod diagnostics;
pub mod diff;
pub mod dot;
pub mod drift;
pub mod environment;
pub mod graph;
mod json;
pub mod live;
pub mod naming;
pub mod output;
pub mod policy;
pub mod refactor;
pub mod reference;
pub mod stack;
pub mod support;
pub mod synth;
pub mod taint;
pub mod value;
