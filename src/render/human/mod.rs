//! Human exporter: rustc-style diagnostics for `analyze`, perf-stat-like tables for `profile`, verdicts
//! and terminal charts for `report`. Styles are ANSI; the sink strips them when colour is off.

mod analysis;
mod profile;
pub(crate) mod report;
mod workloads;

pub use analysis::HumanAnalysis;

/// The human-readable format.
pub struct Human;
