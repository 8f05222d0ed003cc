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
    /// Counted rounds at most (at least 1).
    pub runs: usize,
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
