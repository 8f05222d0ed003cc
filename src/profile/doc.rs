//! The profile document: what `profile` measured, as serialized by `--format json` (contract section 4).

use serde::{Deserialize, Serialize};

use crate::vocab::Model;

/// Which counters could be opened: hardware PMU, software-only perf events, or plain rusage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CounterTier {
    Hardware,
    Software,
    Rusage,
}

/// The tokio runtime of an `async` run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AsyncRuntime {
    /// One thread runs every task (`workers` is 1).
    CurrentThread,
    /// `workers` worker threads share the tasks.
    MultiThread,
}

impl AsyncRuntime {
    pub fn as_str(self) -> &'static str {
        match self {
            AsyncRuntime::CurrentThread => "current-thread",
            AsyncRuntime::MultiThread => "multi-thread",
        }
    }
}

/// What one measured configuration is: the model, its workers, and for `async` the runtime and the number
/// of jobs in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RunKey {
    pub model: Model,
    pub workers: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<AsyncRuntime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_flight: Option<usize>,
}

/// A configuration the schedule did not run, or stopped running, because a run of the workload timed out:
/// after a sequential timeout every other configuration (each would wait for the timeout too), after any
/// other timeout the rest of that model (for `async`, of that runtime).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedRun {
    pub run: RunKey,
    /// The run that timed out.
    pub after: RunKey,
    /// Samples taken before it was skipped (0: never measured).
    pub samples: usize,
}

impl RunKey {
    /// A sync model at `workers`.
    pub fn plain(model: Model, workers: usize) -> RunKey {
        RunKey {
            model,
            workers,
            runtime: None,
            in_flight: None,
        }
    }

    /// Async tasks: `in_flight` jobs at a time on a current-thread runtime, or on `workers` worker threads.
    pub fn tasks(runtime: AsyncRuntime, workers: usize, in_flight: usize) -> RunKey {
        RunKey {
            model: Model::Async,
            workers: match runtime {
                AsyncRuntime::CurrentThread => 1,
                AsyncRuntime::MultiThread => workers,
            },
            runtime: Some(runtime),
            in_flight: Some(in_flight),
        }
    }

    /// `threads ×4`, `async current-thread ×1, 64 in flight`
    pub fn label(&self) -> String {
        match (self.runtime, self.in_flight) {
            (Some(rt), Some(k)) => format!(
                "{} {} ×{}, {k} in flight",
                self.model.as_str(),
                rt.as_str(),
                self.workers
            ),
            _ => format!("{} x{}", self.model.as_str(), self.workers),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    pub cores: usize,
    pub counters: CounterTier,
    pub os: String,
    pub kernel: String,
    /// Extension: why the tier is below `hardware` (perf_event_paranoid, `--no-perf`, no PMU...).
    #[serde(default)]
    pub counters_note: Option<String>,
}

/// median / min / max of one quantity over the counted samples, in its unit (ns).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub median: u64,
    pub min: u64,
    pub max: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct MedianOnly {
    pub median: u64,
}

/// perf counters summed over every thread and worker process of a run (medians over samples).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counters {
    pub instructions: u64,
    pub cycles: u64,
    pub cache_misses: u64,
    /// Extension: false when the tier is `rusage` (the numbers above are then 0, not measured).
    #[serde(default)]
    pub measured: bool,
    #[serde(default)]
    pub task_clock_ns: u64,
    #[serde(default)]
    pub context_switches: u64,
    #[serde(default)]
    pub page_faults: u64,
    /// Extension: some counter ran less than the whole run (multiplexed) and was scaled up.
    #[serde(default)]
    pub estimated: bool,
    /// Extension: the smallest share of the run any counter actually counted (time_running /
    /// time_enabled; 1.0 when none was multiplexed, 0 when nothing was measured).
    #[serde(default)]
    pub running_fraction: f64,
}

/// One counted run of one (model, workers) pair.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub wall_ns: u64,
    pub user_ns: u64,
    pub sys_ns: u64,
    /// Time spent in `setup` (max over worker processes; once for threads/sequential).
    pub setup_ns: u64,
    pub peak_rss_kb_total: u64,
    pub voluntary_switches: u64,
    pub involuntary_switches: u64,
    pub minor_faults: u64,
    pub major_faults: u64,
    pub counters: Counters,
    /// Order-independent digest over (job, Debug text of result).
    pub digest: String,
    /// Extension: wall time of the job phase inside the harness (setup and process start excluded).
    #[serde(default)]
    pub jobs_wall_ns: u64,
    /// Extension: each job's time in ns, indexed by job id (empty for test binaries).
    #[serde(default)]
    pub job_ns: Vec<u64>,
    /// Each job's result digest by job id (test binaries: `NAME ... OUTCOME` per test, sorted), for naming
    /// the jobs that differ and for the order-dependence check. Not serialised.
    #[serde(skip)]
    pub job_digests: Vec<String>,
    /// Extension (Python workloads): pool creation until every worker is ready, setup included (ns).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub pool_start_ns: u64,
    /// Extension (Python workloads, processes): bytes pickled to send one job to a worker.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub pickled_bytes_per_job: u64,
}

fn is_zero(x: &u64) -> bool {
    *x == 0
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub model: Model,
    pub workers: usize,
    pub wall_ns: Spread,
    /// user + system CPU over all threads and worker processes.
    pub cpu_ns: Spread,
    pub setup_ns: MedianOnly,
    pub peak_rss_kb_total: u64,
    pub voluntary_switches: u64,
    pub involuntary_switches: u64,
    pub minor_faults: u64,
    pub counters: Counters,
    pub samples: usize,
    pub results_match_sequential: bool,
    /// Extension: median system CPU.
    #[serde(default)]
    pub sys_ns: MedianOnly,
    #[serde(default)]
    pub major_faults: u64,
    /// Extension: more workers than cores.
    #[serde(default)]
    pub oversubscribed: bool,
    /// Extension: (max-min)/median above the noise threshold.
    #[serde(default)]
    pub noisy: bool,
    /// Extension: every counted sample, in the order taken.
    #[serde(default)]
    pub raw_samples: Vec<Sample>,
    /// Extension: median wall time of the job phase inside the harness (setup excluded).
    #[serde(default)]
    pub jobs_wall_ns: MedianOnly,
    /// Extension (model `async` only): the tokio runtime the tasks ran on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<AsyncRuntime>,
    /// Extension (model `async` only): jobs started and not finished at any time (K).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_flight: Option<usize>,
    /// Extension (Python workloads): median pool start-up (pool creation until every worker is ready, ns).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub pool_start_ns: u64,
    /// Extension (Python workloads, processes): bytes pickled per job sent to a worker.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub pickled_bytes_per_job: u64,
}

impl RunSummary {
    /// The configuration this summary measured.
    pub fn key(&self) -> RunKey {
        RunKey {
            model: self.model,
            workers: self.workers,
            runtime: self.runtime,
            in_flight: self.in_flight,
        }
    }
}

/// What went wrong in a failed run (its wire name is the `kind` of the error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    /// Killed after the `--timeout` with its whole process group.
    Timeout,
    /// The process died or exited without a result (a signal, a non-zero exit, a worker that died).
    Crash,
    /// A job panicked.
    Panic,
    /// A worker process exited before it finished its jobs.
    EarlyExit,
    /// The run's results differ from the sequential run's.
    Mismatch,
    /// The sequential results change with the order of the jobs.
    OrderDependent,
    /// An allocation failed under `--memory-limit`.
    OutOfMemory,
    /// The run wrote past the output cap.
    OutputLimit,
    /// A test of a libtest workload failed.
    TestFailed,
    /// A Python workload's declaration did not resolve when the runner started (no job ran).
    Invalid,
}

impl FailureKind {
    pub const ALL: [FailureKind; 10] = [
        FailureKind::Timeout,
        FailureKind::Crash,
        FailureKind::Panic,
        FailureKind::EarlyExit,
        FailureKind::Mismatch,
        FailureKind::OrderDependent,
        FailureKind::OutOfMemory,
        FailureKind::OutputLimit,
        FailureKind::TestFailed,
        FailureKind::Invalid,
    ];

    /// The wire name (`timeout`, `early-exit`, ...), as in the JSON and the harness protocol.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Timeout => "timeout",
            FailureKind::Crash => "crash",
            FailureKind::Panic => "panic",
            FailureKind::EarlyExit => "early-exit",
            FailureKind::Mismatch => "mismatch",
            FailureKind::OrderDependent => "order-dependent",
            FailureKind::OutOfMemory => "out-of-memory",
            FailureKind::OutputLimit => "output-limit",
            FailureKind::TestFailed => "test-failed",
            FailureKind::Invalid => "invalid",
        }
    }

    /// The kind of a wire name; `None` for a name that is not one.
    pub fn from_wire(name: &str) -> Option<FailureKind> {
        FailureKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl std::fmt::Display for FailureKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a run of a workload failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkloadError {
    pub model: Option<Model>,
    pub workers: Option<usize>,
    pub kind: FailureKind,
    pub job: Option<usize>,
    pub message: String,
    /// Extension (timeouts): what the run was doing when it was killed (fields flattened into the error).
    #[serde(flatten, default)]
    pub at_timeout: Box<AtTimeout>,
}

/// What a run killed at the timeout was doing, as far as its processes told (each list sorted; empty lists
/// are not written).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtTimeout {
    /// The jobs still running (the error's `job` is the first); for async runs, the tasks being polled,
    /// each blocking a worker thread.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub running_jobs: Vec<usize>,
    /// Async runs: the tasks in flight (spawned, not finished) that were not being polled: waiting for a
    /// wake-up, they held no worker thread.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waiting_jobs: Vec<usize>,
    /// Test binaries: the tests still running.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub running_tests: Vec<String>,
}

impl WorkloadError {
    /// An error with no timeout details.
    pub fn new(
        model: Option<Model>,
        workers: Option<usize>,
        kind: FailureKind,
        job: Option<usize>,
        message: String,
    ) -> WorkloadError {
        WorkloadError {
            model,
            workers,
            kind,
            job,
            message,
            at_timeout: Box::default(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkloadProfile {
    pub name: String,
    pub package: String,
    pub jobs: usize,
    pub runs: Vec<RunSummary>,
    pub errors: Vec<WorkloadError>,
    /// Extension: `declared` (Cargo.toml), `test` (a libtest binary) or `python`; `declared` where absent.
    #[serde(default)]
    pub kind: crate::workload::WorkloadKind,
    /// Extension: the `setup` and `run` paths as declared.
    #[serde(default)]
    pub setup: Option<String>,
    #[serde(default)]
    pub run: Option<String>,
    /// Extension: wall time spent profiling this workload, warm-ups included (ns).
    #[serde(default)]
    pub profiling_ns: u64,
    /// Extension: of `profiling_ns`, the warm-up run (ns).
    #[serde(default)]
    pub warmup_ns: u64,
    /// Extension: of `profiling_ns`, the counted samples' wall times summed (ns).
    #[serde(default)]
    pub measured_ns: u64,
    /// Extension: rounds taken (each round samples every (model, workers) pair once).
    #[serde(default)]
    pub rounds: usize,
    /// Extension: the sequential run was mostly off-CPU (CPU/wall < 0.5), so more workers were tried.
    #[serde(default)]
    pub io_bound: bool,
    /// Extension: the time budget this workload was given (ns).
    #[serde(default)]
    pub budget_ns: u64,
    /// Extension: the jobs were also run last to first and their per-job results compared.
    #[serde(default)]
    pub order_checked: bool,
    /// Extension: where `run` and `setup` really are when a `pub use` re-export was followed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_resolved: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup_resolved: Option<String>,
    /// Extension: where the schedule did less than asked (fewer rounds, fewer worker counts) and why.
    #[serde(default)]
    pub schedule_notes: Vec<String>,
    /// Extension: configurations not run (or not run again) after a timeout, and which run timed out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<SkippedRun>,
    /// Extension: `run` is an `async fn`; its jobs were also run as tasks (runs of model `async`).
    #[serde(default, rename = "async", skip_serializing_if = "std::ops::Not::not")]
    pub is_async: bool,
    /// Extension: set for a Python workload (`kind` = `python`): interpreter and how it was run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python: Option<PythonRun>,
}

/// How a Python workload was run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PythonRun {
    /// The base interpreter the private virtual environment was made from.
    pub interpreter: String,
    /// `3.11.7`
    pub version: String,
    /// `sys._is_gil_enabled()`; false on a free-threaded build with the GIL off (threads then run Python
    /// code in parallel: a different experiment than on a default build).
    pub gil_enabled: bool,
    /// The extension module imported, the call and setup expressions as declared.
    pub module: String,
    pub call: String,
    #[serde(default)]
    pub setup: Option<String>,
    /// `shared` (each worker process builds `setup`) or `pickle` (each job receives it pickled).
    pub pass: String,
    /// The multiprocessing start method of the process pool (`spawn`).
    pub start_method: String,
    /// The functions the call expression calls (the Python entry points on the workload's path).
    #[serde(default)]
    pub entry_points: Vec<String>,
}

impl WorkloadProfile {
    /// The run of a sync model at `workers` (async runs are told apart by [`RunKey`]: see `run_at`).
    pub fn run(&self, model: Model, workers: usize) -> Option<&RunSummary> {
        self.runs
            .iter()
            .find(|r| r.model == model && r.workers == workers && r.in_flight.is_none())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileDoc {
    pub schema_version: u32,
    pub environment: Environment,
    pub workloads: Vec<WorkloadProfile>,
}

#[cfg(test)]
mod tests {
    use super::{AtTimeout, FailureKind, WorkloadError};

    #[test]
    fn timeout_details_are_flat_additions_absent_when_empty() {
        let plain = WorkloadError::new(
            Some(crate::vocab::Model::Async),
            Some(2),
            FailureKind::Timeout,
            Some(1),
            "m".into(),
        );
        let v = serde_json::to_value(&plain).expect("serialise");
        let keys: Vec<&String> = v
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        assert_eq!(keys, ["job", "kind", "message", "model", "workers"]);
        let mut detailed = plain.clone();
        *detailed.at_timeout = AtTimeout {
            running_jobs: vec![1],
            waiting_jobs: vec![0, 3],
            running_tests: vec!["t".into()],
        };
        let v = serde_json::to_value(&detailed).expect("serialise");
        assert_eq!(v["running_jobs"], serde_json::json!([1]));
        assert_eq!(v["waiting_jobs"], serde_json::json!([0, 3]));
        assert_eq!(v["running_tests"], serde_json::json!(["t"]));
        assert_eq!(v["job"], 1);
        let back: WorkloadError = serde_json::from_value(v).expect("read back");
        assert_eq!(back, detailed);
        // A profile written before these fields reads as no details.
        let old = serde_json::json!({"model": "threads", "workers": 2, "kind": "timeout", "job": null,
                                     "message": "m"});
        let back: WorkloadError = serde_json::from_value(old).expect("old profile");
        assert_eq!(*back.at_timeout, AtTimeout::default());
    }

    #[test]
    fn failure_kinds_serialise_as_their_wire_names_and_read_back() {
        for k in FailureKind::ALL {
            let json = serde_json::to_string(&k).expect("serialise");
            assert_eq!(json, format!("\"{}\"", k.as_str()));
            assert_eq!(serde_json::from_str::<FailureKind>(&json).ok(), Some(k));
            assert_eq!(FailureKind::from_wire(k.as_str()), Some(k));
        }
        assert_eq!(FailureKind::from_wire("segfault"), None);
    }

    #[test]
    fn the_harness_protocol_names_only_known_kinds() {
        use crate::profile::protocol::{KIND_CRASH, KIND_EARLY_EXIT, KIND_PANIC};
        assert_eq!(FailureKind::from_wire(KIND_PANIC), Some(FailureKind::Panic));
        assert_eq!(FailureKind::from_wire(KIND_CRASH), Some(FailureKind::Crash));
        assert_eq!(
            FailureKind::from_wire(KIND_EARLY_EXIT),
            Some(FailureKind::EarlyExit)
        );
    }
}
