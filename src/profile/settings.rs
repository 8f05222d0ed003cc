//! The settings `profile` measures with: which workloads, worker counts, rounds, timeout, counters. Owned
//! here; `cli` only converts flags into them.

use std::path::PathBuf;

/// Settled measurement settings.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureSettings {
    /// `--workload` names (empty: all).
    pub workloads: Vec<String>,
    /// Empty: the default ladder (1..=cores, 2x cores, more for I/O-bound workloads); else sorted, non-zero.
    pub workers: Vec<usize>,
    /// `--runs`: exactly this many rounds (at least 1); `None`: adaptive, 3 to 5.
    pub runs: Option<usize>,
    /// `--min-rounds`: at least this many rounds, even past the budget.
    pub min_rounds: Option<usize>,
    /// `--budget`: per workload (default: derived from its sequential time).
    pub budget: Option<std::time::Duration>,
    /// `--total-budget`: for all workloads (default: `schedule::REPORT_BUDGET`).
    pub total_budget: Option<std::time::Duration>,
    pub timeout: std::time::Duration,
    /// Try perf counters (else rusage only).
    pub perf: bool,
    /// Profile libtest targets too.
    pub tests: bool,
    /// `--python`: the interpreter Python workloads' environment is made from.
    pub python: Option<PathBuf>,
    /// `--memory-limit`: address-space limit of each process of a run, bytes.
    pub memory_limit: Option<u64>,
}
