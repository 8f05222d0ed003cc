//! Human exporter: rustc-style diagnostics for `analyze`, perf-stat-like tables for `profile`, verdicts
//! and terminal charts for `report`. Styles are ANSI; the sink strips them when colour is off.

mod analysis;
pub(crate) use analysis::diagnostic;
mod profile;
pub(crate) mod report;
mod workloads;

/// The human-readable format.
pub struct Human;
