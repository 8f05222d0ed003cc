//! The private protocol between cargo-concur and its generated harness: field names of the harness's JSON
//! line, the worker-pipe line tags and the panic marker, defined once. The host reads them from here and
//! the harness template gets this very file (embedded as `mod protocol { ... }`), so the two cannot drift.
//! This file uses nothing but `core` items: it is compiled into both.

/// `setup_ns`: time in `setup` (max over worker processes; once for threads/sequential).
pub const SETUP_NS: &str = "setup_ns";
/// `setup_ns_per_worker`: each worker process's setup time (one entry in one process).
pub const SETUP_NS_PER_WORKER: &str = "setup_ns_per_worker";
/// `jobs_wall_ns`: wall time of the job phase, timed inside the harness.
pub const JOBS_WALL_NS: &str = "jobs_wall_ns";
/// `job_ns`: each job's time, indexed by job id.
pub const JOB_NS: &str = "job_ns";
/// `job_digests`: each job's result digest (hex), indexed by job id, for the order-dependence check.
pub const JOB_DIGESTS: &str = "job_digests";
/// `digest`: the order-independent digest of every (job, result) pair.
pub const DIGEST: &str = "digest";
/// `self_maxrss_kb`: the harness process's own peak resident set.
pub const SELF_MAXRSS_KB: &str = "self_maxrss_kb";
/// `self_hwm_kb`: the harness's own peak (VmHWM), without the pre-exec image rusage counts.
pub const SELF_HWM_KB: &str = "self_hwm_kb";
/// `workers_maxrss_kb`: the worker processes' peak resident sets, summed.
pub const WORKERS_MAXRSS_KB: &str = "workers_maxrss_kb";
/// `workers_spawned`: worker processes started.
pub const WORKERS_SPAWNED: &str = "workers_spawned";
/// `pool_start_ns`: Python workloads: pool creation until every worker is ready, setup included.
pub const POOL_START_NS: &str = "pool_start_ns";
/// `pickled_bytes_per_job`: Python workloads (processes): bytes pickled to send one job to a worker.
pub const PICKLED_BYTES_PER_JOB: &str = "pickled_bytes_per_job";
/// `error`: null, or an object with `kind`, `job` and `message`.
pub const ERROR: &str = "error";
pub const ERROR_KIND: &str = "kind";
pub const ERROR_JOB: &str = "job";
pub const ERROR_MESSAGE: &str = "message";
pub const WORKLOAD: &str = "workload";
pub const MODEL: &str = "model";
pub const WORKERS: &str = "workers";
pub const JOBS: &str = "jobs";

/// `--order`: the order the sequential model runs its jobs in (`forward` 0..jobs, `reverse`).
pub const ORDER_FLAG: &str = "--order";
pub const ORDER_FORWARD: &str = "forward";
pub const ORDER_REVERSE: &str = "reverse";

/// `--runtime` (`current-thread`, `multi-thread`) and `--in-flight K`: the async model's configuration.
pub const RUNTIME_FLAG: &str = "--runtime";
pub const IN_FLIGHT_FLAG: &str = "--in-flight";

/// Worker process to harness: setup done (`ready <setup_ns>`).
pub const WORKER_READY: &str = "ready";
/// Worker process to harness: a job done (`done <job> <digest hex> <nanos>`).
pub const WORKER_DONE: &str = "done";
/// Worker process to harness: a job panicked (`panic <job> <message>`).
pub const WORKER_PANIC: &str = "panic";

/// The line the harness's panic hook prints on stderr before the default hook: `<PANIC_MARKER><job>: <msg>`.
pub const PANIC_MARKER: &str = "concur-harness: panic in job ";

/// The line the harness writes on its protocol channel when a job ends the whole process, before it goes:
/// `<JOB_ENDED_MARKER><job> signal <n>` (SIGSEGV, SIGABRT, ...: a crash, a stack overflow, an abort) or
/// `<JOB_ENDED_MARKER><job> exit` (`process::exit` from the job).
pub const JOB_ENDED_MARKER: &str = "concur-harness: process ended in job ";
pub const JOB_ENDED_SIGNAL: &str = "signal";
pub const JOB_ENDED_EXIT: &str = "exit";
/// `<JOB_ENDED_MARKER><job> running-at-timeout`: on the host's SIGUSR1 (its timeout is up, SIGKILL follows),
/// one line per job still running.
pub const JOB_RUNNING_AT_TIMEOUT: &str = "running-at-timeout";
/// `<JOB_ENDED_MARKER><job> waiting-at-timeout`: on the same warning, one line per async task in flight
/// (spawned, not finished) that was not being polled.
pub const JOB_WAITING_AT_TIMEOUT: &str = "waiting-at-timeout";

/// The line the test launcher (the processes model of test binaries) prints on its stdout as it starts a
/// test's process: `<TEST_STARTED_MARKER><name>`; the test's outcome line follows when that process ended.
pub const TEST_STARTED_MARKER: &str = "concur-launcher: test started ";

/// Failure kinds the harness reports.
pub const KIND_PANIC: &str = "panic";
pub const KIND_CRASH: &str = "crash";
pub const KIND_EARLY_EXIT: &str = "early-exit";
