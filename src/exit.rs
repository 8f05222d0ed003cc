//! Exit codes of `cargo concur`, as documented constants (contract section 1).

/// Success.
pub const SUCCESS: i32 = 0;
/// `analyze` produced findings at or above `--fail-on`.
pub const FINDINGS: i32 = 1;
/// Usage error, or a manifest that is missing, rejected by cargo, or has a bad workload declaration.
pub const USAGE: i32 = 2;
/// A workload failed: crashed, timed out, or gave different results under a model. The report is still written.
pub const WORKLOAD_FAILED: i32 = 3;
/// Extension: the tool could not finish (harness build failed, output file not writable, I/O error).
pub const INTERNAL: i32 = 4;
/// Extension: interrupted by SIGINT (Ctrl-C) during a profile; every process of the run was killed.
pub const INTERRUPTED: i32 = 130;
/// Extension: terminated by SIGTERM during a profile; every process of the run was killed.
pub const TERMINATED: i32 = 143;
