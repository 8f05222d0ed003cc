//! The seam between the schedule and what runs a workload: a [`Driver`] runs one (model, workers) once and
//! returns a measured [`Sample`] or that run's [`WorkloadError`]. The real drivers here run the generated
//! harness ([`HarnessDriver`]) and libtest binaries ([`LibtestDriver`]) through the [`Runner`]; the
//! schedule (`schedule.rs`) is tested with a fake one. Drivers never decide how many runs to take.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use super::doc::{AsyncRuntime, AtTimeout, FailureKind, RunKey, Sample, WorkloadError};
use super::protocol;
use super::runner::{self, Ended, Outcome, Runner};
use crate::error::Result;
use crate::vocab::Model;

/// The order the jobs of a sequential run go in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Forward,
    Reverse,
}

/// One run to take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSpec {
    pub model: Model,
    pub workers: usize,
    /// Model `async` only: the runtime and the jobs in flight.
    pub runtime: Option<AsyncRuntime>,
    pub in_flight: Option<usize>,
    /// `Reverse` only for `Model::Sequential`, and only when the driver [`Driver::reorders`].
    pub order: Order,
}

impl RunSpec {
    pub fn new(model: Model, workers: usize) -> RunSpec {
        RunSpec::of(RunKey::plain(model, workers))
    }

    /// The run of a configuration, jobs in order.
    pub fn of(key: RunKey) -> RunSpec {
        RunSpec {
            model: key.model,
            workers: key.workers,
            runtime: key.runtime,
            in_flight: key.in_flight,
            order: Order::Forward,
        }
    }
}

/// What one run gives: a sample, or why this run failed (the schedule records it and goes on).
pub type RunResult = std::result::Result<Sample, WorkloadError>;

/// Runs a workload under a model. `Err` of the outer result only when the tool cannot go on (Ctrl-C,
/// cannot start a process at all).
pub trait Driver {
    fn run(&mut self, spec: RunSpec) -> Result<RunResult>;
    /// Whether `Order::Reverse` is supported (per-job digests in `Sample::job_digests`).
    fn reorders(&self) -> bool {
        false
    }
    /// Whether threads ×1 is a different command from sequential (libtest: `--test-threads 1` is both).
    fn threads_one_differs(&self) -> bool {
        true
    }
    /// How a job is named in messages, from its index and its entry in `Sample::job_digests`.
    fn job_name(&self, index: usize, _entry: &str) -> String {
        format!("job {index}")
    }
    /// Processes that the runs since the last call left behind (outside their process group), which the
    /// runner killed and reaped.
    fn take_escaped(&mut self) -> usize {
        0
    }
}

/// An error of one run.
pub fn run_error(
    spec: RunSpec,
    kind: FailureKind,
    job: Option<usize>,
    message: String,
) -> WorkloadError {
    WorkloadError::new(Some(spec.model), Some(spec.workers), kind, job, message)
}

/// The measured part of a sample: times and counters from the runner.
fn measured(o: &Outcome) -> Sample {
    Sample {
        wall_ns: o.wall_ns,
        user_ns: o.user_ns,
        sys_ns: o.sys_ns,
        setup_ns: 0,
        peak_rss_kb_total: o.maxrss_kb,
        voluntary_switches: o.voluntary_switches,
        involuntary_switches: o.involuntary_switches,
        minor_faults: o.minor_faults,
        major_faults: o.major_faults,
        counters: o.reading.to_counters(),
        digest: String::new(),
        jobs_wall_ns: 0,
        job_ns: Vec::new(),
        job_digests: Vec::new(),
        pool_start_ns: 0,
        pickled_bytes_per_job: 0,
    }
}

fn stderr_tail(o: &Outcome) -> String {
    let overflow = if o.stack_overflow {
        " (a thread overflowed its stack)"
    } else {
        ""
    };
    if o.stderr_tail.is_empty() {
        overflow.to_string()
    } else {
        format!("{overflow} (stderr: {})", o.stderr_tail)
    }
}

/// `job 3` / `jobs 1, 2` / `test a::b` / `tests a, b`, and whether that is more than one.
fn named<T: std::fmt::Display>(what: &str, items: &[T]) -> (String, bool) {
    let list = items
        .iter()
        .map(T::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let plural = items.len() > 1;
    (
        format!("{what}{} {list}", if plural { "s" } else { "" }),
        plural,
    )
}

/// A run killed at the timeout; its `job` is the first job still running (else the first waiting), the
/// message and the typed fields name them all.
pub fn timeout_error(spec: RunSpec, timeout: Duration, at: AtTimeout) -> WorkloadError {
    let mut which = String::new();
    let verb = |plural: bool| if plural { "were" } else { "was" };
    if !at.running_jobs.is_empty() {
        let (names, plural) = named("job", &at.running_jobs);
        let how = if spec.model == Model::Async {
            if plural {
                " (being polled: each blocked its worker thread)"
            } else {
                " (being polled: it blocked its worker thread)"
            }
        } else {
            ""
        };
        which.push_str(&format!("; {names} {} still running{how}", verb(plural)));
    }
    if !at.waiting_jobs.is_empty() {
        let (names, plural) = named("job", &at.waiting_jobs);
        which.push_str(&format!(
            "; {names} {} waiting (in flight, not being polled: holding no thread)",
            verb(plural)
        ));
    }
    if !at.running_tests.is_empty() {
        let (names, plural) = named("test", &at.running_tests);
        which.push_str(&format!("; {names} {} still running", verb(plural)));
    }
    let mut e = run_error(
        spec,
        FailureKind::Timeout,
        at.running_jobs.first().or(at.waiting_jobs.first()).copied(),
        format!(
            "{} x{}: killed after the {:.1} s timeout with its whole process group{which}",
            spec.model.as_str(),
            spec.workers,
            timeout.as_secs_f64()
        ),
    );
    *e.at_timeout = at;
    e
}

/// What the harness named on its protocol channel when the host's timeout warned it: the jobs still
/// running and the async tasks waiting, each sorted.
pub fn harness_at_timeout(stdout: &str) -> AtTimeout {
    let mut at = AtTimeout::default();
    for l in stdout.lines() {
        let Some((job, how)) = l
            .strip_prefix(protocol::JOB_ENDED_MARKER)
            .and_then(|rest| rest.split_once(' '))
        else {
            continue;
        };
        let Ok(job) = job.parse::<usize>() else {
            continue;
        };
        if how == protocol::JOB_RUNNING_AT_TIMEOUT {
            at.running_jobs.push(job);
        } else if how == protocol::JOB_WAITING_AT_TIMEOUT {
            at.waiting_jobs.push(job);
        }
    }
    for v in [&mut at.running_jobs, &mut at.waiting_jobs] {
        v.sort_unstable();
        v.dedup();
    }
    // A task polled when the warning came is running, whatever else was said of it.
    let running = at.running_jobs.clone();
    at.waiting_jobs
        .retain(|j| running.binary_search(j).is_err());
    at
}

/// The environment cargo gives a package's test binaries and build scripts, applied to a command:
/// run from the package root, with `CARGO_MANIFEST_DIR`, `CARGO_PKG_*`, `CARGO_CRATE_NAME`,
/// `CARGO_BIN_EXE_<name>` and `CARGO`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CargoEnv {
    pub cwd: PathBuf,
    pub vars: Vec<(String, String)>,
}

impl CargoEnv {
    pub fn apply(&self, c: &mut Command) {
        if !self.cwd.as_os_str().is_empty() {
            c.current_dir(&self.cwd);
        }
        for (k, v) in &self.vars {
            c.env(k, v);
        }
    }
}

/// Declared workloads: the generated harness, `harness run NAME --model M --workers N`.
pub struct HarnessDriver<'r> {
    pub executable: PathBuf,
    pub workload: String,
    pub env: CargoEnv,
    pub runner: &'r mut Runner,
    pub timeout: Duration,
}

impl Driver for HarnessDriver<'_> {
    fn run(&mut self, spec: RunSpec) -> Result<RunResult> {
        let mut c = Command::new(&self.executable);
        c.arg("run")
            .arg(&self.workload)
            .args(["--model", spec.model.as_str(), "--workers"])
            .arg(spec.workers.to_string());
        if spec.order == Order::Reverse {
            c.args([protocol::ORDER_FLAG, protocol::ORDER_REVERSE]);
        }
        if let (Some(rt), Some(k)) = (spec.runtime, spec.in_flight) {
            c.args([
                protocol::RUNTIME_FLAG,
                rt.as_str(),
                protocol::IN_FLIGHT_FLAG,
            ])
            .arg(k.to_string());
        }
        self.env.apply(&mut c);
        let o = self.runner.run(c, self.timeout)?;
        Ok(harness_sample(&o, spec, self.timeout))
    }

    fn reorders(&self) -> bool {
        true
    }

    fn take_escaped(&mut self) -> usize {
        self.runner.take_escaped()
    }
}

/// The harness's JSON line, read by the protocol's field names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HarnessLine {
    pub setup_ns: u64,
    pub jobs_wall_ns: u64,
    pub job_ns: Vec<u64>,
    pub job_digests: Vec<String>,
    pub digest: String,
    pub self_maxrss_kb: u64,
    /// The harness's own VmHWM (0 where /proc has none).
    pub self_hwm_kb: u64,
    pub workers_maxrss_kb: u64,
    pub pool_start_ns: u64,
    pub pickled_bytes_per_job: u64,
    /// (kind, job, message); a kind the protocol does not name is a crash.
    pub error: Option<(FailureKind, Option<usize>, String)>,
}

impl HarnessLine {
    /// The last line of `stdout` that is a JSON object with a `digest` or an `error` field.
    pub fn parse(stdout: &str) -> Option<HarnessLine> {
        let v: serde_json::Value = stdout.lines().rev().find_map(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .ok()
                .filter(|v| v.get(protocol::DIGEST).is_some() || v.get(protocol::ERROR).is_some())
        })?;
        let num = |k: &str| v[k].as_u64().unwrap_or(0);
        let error = v[protocol::ERROR].as_object().map(|e| {
            (
                e.get(protocol::ERROR_KIND)
                    .and_then(|k| k.as_str())
                    .and_then(FailureKind::from_wire)
                    .unwrap_or(FailureKind::Crash),
                e.get(protocol::ERROR_JOB)
                    .and_then(|j| j.as_u64())
                    .map(|j| j as usize),
                e.get(protocol::ERROR_MESSAGE)
                    .and_then(|m| m.as_str())
                    .unwrap_or_default()
                    .to_string(),
            )
        });
        Some(HarnessLine {
            setup_ns: num(protocol::SETUP_NS),
            jobs_wall_ns: num(protocol::JOBS_WALL_NS),
            job_ns: v[protocol::JOB_NS]
                .as_array()
                .map(|a| a.iter().map(|x| x.as_u64().unwrap_or(0)).collect())
                .unwrap_or_default(),
            job_digests: v[protocol::JOB_DIGESTS]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|x| x.as_str().unwrap_or_default().to_string())
                        .collect()
                })
                .unwrap_or_default(),
            digest: v[protocol::DIGEST].as_str().unwrap_or_default().to_string(),
            self_maxrss_kb: num(protocol::SELF_MAXRSS_KB),
            self_hwm_kb: num(protocol::SELF_HWM_KB),
            workers_maxrss_kb: num(protocol::WORKERS_MAXRSS_KB),
            pool_start_ns: num(protocol::POOL_START_NS),
            pickled_bytes_per_job: num(protocol::PICKLED_BYTES_PER_JOB),
            error,
        })
    }
}

/// A run that passed `--memory-limit` (`out-of-memory`) or wrote past the output cap (`output-limit`).
fn resource_error(o: &Outcome, spec: RunSpec) -> Option<super::doc::WorkloadError> {
    let what = format!("{} x{}", spec.model.as_str(), spec.workers);
    if o.out_of_memory {
        return Some(run_error(
            spec,
            FailureKind::OutOfMemory,
            o.panic_marker.as_ref().map(|p| p.0),
            format!(
                "{what}: out of memory: an allocation failed under --memory-limit (the address-space limit of \
                 each process){}",
                stderr_tail(o)
            ),
        ));
    }
    if o.output_dropped > 0 {
        return Some(run_error(
            spec,
            FailureKind::OutputLimit,
            None,
            format!(
                "{what}: wrote {:.1} MB to stdout/stderr; {:.1} MB of it were cut (each stream is kept to {} MiB; \
                 a job printing this much measures its printing)",
                o.output_bytes as f64 / 1e6,
                o.output_dropped as f64 / 1e6,
                runner::OUTPUT_CAP >> 20
            ),
        ));
    }
    None
}

/// Turns a harness run's outcome into a sample, or the error of that run.
pub fn harness_sample(o: &Outcome, spec: RunSpec, timeout: Duration) -> RunResult {
    let (model, workers) = (spec.model, spec.workers);
    if o.timed_out {
        return Err(timeout_error(spec, timeout, harness_at_timeout(&o.stdout)));
    }
    if let Some(e) = resource_error(o, spec) {
        return Err(e);
    }
    let line = HarnessLine::parse(&o.stdout);
    if let Some((mut kind, job, mut message)) = line.as_ref().and_then(|l| l.error.clone()) {
        if let Some((pjob, pmessage)) = &o.panic_marker {
            // A worker process aborted on a panic (`panic = "abort"`): say it was a panic.
            if kind == FailureKind::EarlyExit && job == Some(*pjob) {
                kind = FailureKind::Panic;
                message = format!("{pmessage} (worker aborted: panic = \"abort\")");
            }
        }
        let at = job.map_or(String::new(), |j| format!(" in job {j}"));
        let text = format!("{} x{workers}: {kind}{at}: {message}", model.as_str());
        return Err(run_error(spec, kind, job, text));
    }
    if let (Ended::Signaled(_), Some((job, message))) = (o.ended, &o.panic_marker) {
        // `panic = "abort"`: the hook named the job before the process aborted.
        return Err(run_error(
            spec,
            FailureKind::Panic,
            Some(*job),
            format!(
                "{} x{workers}: panic in job {job} (aborted: panic = \"abort\"): {message}",
                model.as_str()
            ),
        ));
    }
    let tail = stderr_tail(o);
    match (o.ended, line) {
        (Ended::Exited(0), Some(l)) => {
            let mut sample = measured(o);
            sample.setup_ns = l.setup_ns;
            sample.jobs_wall_ns = l.jobs_wall_ns;
            sample.job_ns = l.job_ns;
            sample.job_digests = l.job_digests;
            sample.digest = l.digest;
            sample.pool_start_ns = l.pool_start_ns;
            sample.pickled_bytes_per_job = l.pickled_bytes_per_job;
            // The harness's own VmHWM where /proc has it: rusage's maxrss of a child includes the image of
            // the process that forked it (cargo-concur), a floor that would hide what the model itself uses.
            let own = if l.self_hwm_kb > 0 {
                l.self_hwm_kb
            } else {
                o.maxrss_kb
            };
            sample.peak_rss_kb_total = own;
            if model == Model::Processes {
                let main = if l.self_hwm_kb > 0 {
                    l.self_hwm_kb
                } else {
                    l.self_maxrss_kb
                };
                sample.peak_rss_kb_total = main + l.workers_maxrss_kb;
            }
            Ok(sample)
        }
        (ended, _) => {
            let job = job_that_ended_the_process(&o.stdout);
            let (who, how) = match ended {
                Ended::Signaled(sig) => (
                    "crashed",
                    format!("was killed by {}", runner::signal_name(sig)),
                ),
                Ended::Exited(code) => ("called process::exit", format!("exited with code {code}")),
            };
            Err(run_error(
                spec,
                FailureKind::Crash,
                job,
                format!(
                    "{} x{workers}: {}the harness {how}{tail}",
                    model.as_str(),
                    job.map_or(String::new(), |j| format!("job {j} {who}: ")),
                ),
            ))
        }
    }
}

/// The job the harness named on its protocol channel before the process died (a fatal signal or
/// `process::exit` on a thread running a job); the last one when several did.
pub fn job_that_ended_the_process(stdout: &str) -> Option<usize> {
    stdout.lines().rev().find_map(|l| {
        let rest = l.strip_prefix(protocol::JOB_ENDED_MARKER)?;
        let (job, how) = rest.split_once(' ')?;
        (!how.starts_with(protocol::JOB_RUNNING_AT_TIMEOUT)
            && !how.starts_with(protocol::JOB_WAITING_AT_TIMEOUT))
        .then(|| job.parse().ok())
        .flatten()
    })
}

/// Test binaries: sequential is `--test-threads 1`, threads `--test-threads N`, processes one process per
/// test (`--exact NAME`), N at a time, started directly by cargo-concur's own test launcher (no shell).
/// Every command runs as cargo runs test binaries ([`CargoEnv`]).
pub struct LibtestDriver<'r> {
    pub executable: PathBuf,
    /// A file listing the tests, one a line (the launcher's input).
    pub list_file: PathBuf,
    /// The tests the binary listed (`--list`), to name the ones running at a timeout.
    pub tests: Vec<String>,
    pub env: CargoEnv,
    pub runner: &'r mut Runner,
    pub timeout: Duration,
}

impl Driver for LibtestDriver<'_> {
    fn run(&mut self, spec: RunSpec) -> Result<RunResult> {
        let mut c = match spec.model {
            // Test binaries have no async runs; `Async` is never asked for.
            Model::Sequential | Model::Threads | Model::Async => {
                let n = if spec.model == Model::Sequential {
                    1
                } else {
                    spec.workers
                };
                let mut c = Command::new(&self.executable);
                c.args(["--test-threads", &n.to_string()]);
                c
            }
            Model::Processes => {
                let me = std::env::current_exe().map_err(|e| {
                    crate::error::Error::internal(format!("cannot find cargo-concur itself: {e}"))
                })?;
                let mut c = Command::new(me);
                c.arg(super::launcher::VERB)
                    .arg(spec.workers.to_string())
                    .arg(&self.list_file)
                    .arg(&self.executable);
                c
            }
        };
        self.env.apply(&mut c);
        let o = self.runner.run(c, self.timeout)?;
        Ok(libtest_sample(&o, spec, self.timeout, &self.tests))
    }

    fn threads_one_differs(&self) -> bool {
        false
    }

    fn job_name(&self, _index: usize, entry: &str) -> String {
        format!("test {}", entry.split(" ... ").next().unwrap_or(entry))
    }

    fn take_escaped(&mut self) -> usize {
        self.runner.take_escaped()
    }
}

/// One test's outcome in libtest's output, normalised over its output forms: `NAME - should panic`
/// (printed when the whole binary runs, not with `--exact`) is `NAME`; `ignored, reason` is `ignored`.
pub fn test_outcome(line: &str) -> Option<(String, String)> {
    let rest = line.strip_prefix("test ")?;
    let (name, outcome) = rest.rsplit_once(" ... ")?;
    let name = name.trim();
    let name = name.strip_suffix(" - should panic").unwrap_or(name).trim();
    let outcome = outcome.trim();
    let outcome = if outcome.starts_with("ignored") {
        "ignored"
    } else if outcome == "ok" || outcome.starts_with("FAILED") {
        outcome.split_whitespace().next().unwrap_or(outcome)
    } else {
        // `bench: ...` lines and anything else are not test outcomes.
        return None;
    };
    Some((name.to_string(), outcome.to_string()))
}

/// The sorted (name, outcome) pairs a libtest run printed.
pub fn test_outcomes(stdout: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = stdout.lines().filter_map(test_outcome).collect();
    v.sort();
    v.dedup();
    v
}

/// Digest over the sorted (test name, outcome) pairs; `None` when there are none.
pub fn outcome_digest(outcomes: &[(String, String)]) -> Option<String> {
    if outcomes.is_empty() {
        return None;
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (name, outcome) in outcomes {
        for b in name
            .bytes()
            .chain([0])
            .chain(outcome.bytes())
            .chain([b'\n'])
        {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    Some(format!("{h:016x}"))
}

/// The failure report libtest printed (`failures:` ... up to `test result:`), at most `limit` bytes.
pub fn failure_output(stdout: &str, limit: usize) -> String {
    let start = stdout
        .find("\nfailures:\n")
        .map(|i| i + 1)
        .unwrap_or(stdout.len());
    let section = &stdout[start..];
    let end = section.find("\ntest result:").unwrap_or(section.len());
    let mut text = section[..end].trim().to_string();
    if text.len() > limit {
        let mut cut = limit;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str(" [...]");
    }
    text
}

/// The tests a libtest run killed at the timeout was running, sorted. Processes: each test the launcher
/// said it started ([`protocol::TEST_STARTED_MARKER`]) and did not report ended. Sequential: the test
/// libtest announced (`test NAME ... ` before it runs one at a time) without its outcome. Threads (libtest
/// announces a test only with its outcome): of the listed tests not reported ended, the first `workers`
/// in the order libtest starts them (by name), the ones it had started.
pub fn tests_running_at_timeout(stdout: &str, listed: &[String], spec: RunSpec) -> Vec<String> {
    let ended: std::collections::HashSet<String> =
        test_outcomes(stdout).into_iter().map(|(n, _)| n).collect();
    let mut running: Vec<String> = match spec.model {
        Model::Processes => stdout
            .lines()
            .filter_map(|l| l.strip_prefix(protocol::TEST_STARTED_MARKER))
            .map(str::to_string)
            .filter(|n| !ended.contains(n))
            .collect(),
        Model::Sequential | Model::Threads | Model::Async => {
            let announced: Vec<String> = stdout
                .lines()
                .filter_map(|l| {
                    let name = l.strip_prefix("test ")?.trim_end().strip_suffix(" ...")?;
                    let name = name.strip_suffix(" - should panic").unwrap_or(name).trim();
                    (!ended.contains(name)).then(|| name.to_string())
                })
                .collect();
            if announced.is_empty() {
                let mut left: Vec<&String> =
                    listed.iter().filter(|n| !ended.contains(*n)).collect();
                left.sort();
                let n = if spec.model == Model::Sequential {
                    1
                } else {
                    spec.workers.max(1)
                };
                left.into_iter().take(n).cloned().collect()
            } else {
                announced
            }
        }
    };
    running.sort();
    running.dedup();
    running
}

/// Turns a libtest run's outcome into a sample, or the error of that run (a timeout names the tests of
/// `listed` still running). A test that fails is a failure of the run (`test-failed`, with the tests'
/// names and output), never a result.
pub fn libtest_sample(
    o: &Outcome,
    spec: RunSpec,
    timeout: Duration,
    listed: &[String],
) -> RunResult {
    let (model, workers) = (spec.model, spec.workers);
    if o.timed_out {
        let at = AtTimeout {
            running_tests: tests_running_at_timeout(&o.stdout, listed, spec),
            ..AtTimeout::default()
        };
        return Err(timeout_error(spec, timeout, at));
    }
    if let Some(e) = resource_error(o, spec) {
        return Err(e);
    }
    let outcomes = test_outcomes(&o.stdout);
    let Some(digest) = outcome_digest(&outcomes) else {
        return Err(run_error(
            spec,
            FailureKind::Crash,
            None,
            format!(
                "{} x{workers}: the test binary printed no results ({:?}){}",
                model.as_str(),
                o.ended,
                stderr_tail(o)
            ),
        ));
    };
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|(_, r)| r == "FAILED")
        .map(|(n, _)| n.as_str())
        .collect();
    if !failed.is_empty() {
        let shown: Vec<&str> = failed.iter().take(5).copied().collect();
        let more = if failed.len() > shown.len() {
            format!(" and {} more", failed.len() - shown.len())
        } else {
            String::new()
        };
        let output = failure_output(&o.stdout, 1500);
        return Err(run_error(
            spec,
            FailureKind::TestFailed,
            None,
            format!(
                "{} x{workers}: {} of {} tests failed: {}{more}{}",
                model.as_str(),
                failed.len(),
                outcomes.len(),
                shown.join(", "),
                if output.is_empty() {
                    String::new()
                } else {
                    format!("\n{output}")
                }
            ),
        ));
    }
    let mut sample = measured(o);
    sample.digest = digest;
    sample.job_digests = outcomes
        .iter()
        .map(|(n, r)| format!("{n} ... {r}"))
        .collect();
    Ok(sample)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libtest_output_forms_normalise_to_one_name_and_outcome() {
        let check = |line: &str, expect: Option<(&str, &str)>| {
            assert_eq!(
                test_outcome(line),
                expect.map(|(n, o)| (n.to_string(), o.to_string())),
                "{line}"
            );
        };
        check("test a::b ... ok", Some(("a::b", "ok")));
        check("test a::b - should panic ... ok", Some(("a::b", "ok")));
        check("test slow ... ignored", Some(("slow", "ignored")));
        check(
            "test slow ... ignored, needs network",
            Some(("slow", "ignored")),
        );
        check("test x ... FAILED", Some(("x", "FAILED")));
        check("test b ... bench:   12 ns/iter (+/- 1)", None);
        check("test result: ok. 3 passed; 0 failed", None);
        check("running 3 tests", None);
    }

    #[test]
    fn digest_ignores_order_and_should_panic_form_and_sees_outcomes() {
        let whole = "running 2 tests\ntest a::x - should panic ... ok\ntest b ... ok\n";
        let one_each = "test b ... ok\nnoise\ntest a::x ... ok\n";
        let failing = "test b ... FAILED\ntest a::x ... ok\n";
        let d = |s: &str| outcome_digest(&test_outcomes(s));
        assert_eq!(d(whole), d(one_each));
        assert_ne!(d(whole), d(failing));
        assert_eq!(d("nothing here"), None);
    }

    #[test]
    fn failure_output_is_the_failures_section() {
        let out = "running 1 test\ntest t ... FAILED\n\nfailures:\n\n---- t stdout ----\nboom\n\nfailures:\n    t\n\ntest result: FAILED. 0 passed; 1 failed\n";
        let f = failure_output(out, 1000);
        assert!(f.starts_with("failures:"), "{f}");
        assert!(f.contains("boom") && !f.contains("test result"), "{f}");
        assert!(failure_output(out, 12).ends_with("[...]"));
    }

    #[test]
    fn the_job_that_ended_the_process_is_read_from_the_protocol_channel() {
        let check = |stdout: &str, expect: Option<usize>| {
            assert_eq!(job_that_ended_the_process(stdout), expect, "{stdout:?}");
        };
        let m = protocol::JOB_ENDED_MARKER;
        check("", None);
        check("{\"digest\":\"ff\"}\n", None);
        check(&format!("\n{m}3 signal 11\n"), Some(3));
        check(&format!("\n{m}12 exit\n"), Some(12));
        // A stack overflow: SIGSEGV, then Rust's handler aborts (SIGABRT); the same job twice.
        check(&format!("\n{m}1 signal 11\n\n{m}1 signal 6\n"), Some(1));
        check(&format!("{m}x signal 11\n"), None);
        let t = protocol::JOB_RUNNING_AT_TIMEOUT;
        assert_eq!(
            harness_at_timeout(&format!("\n{m}3 {t}\n\n{m}1 {t}\n{m}2 exit\n{m}1 {t}\n"))
                .running_jobs,
            vec![1, 3]
        );
        assert_eq!(
            harness_at_timeout(&format!("{m}1 signal 11\n")),
            AtTimeout::default()
        );
        // Async: a task named both ways was being polled (running); the others in flight were waiting.
        let w = protocol::JOB_WAITING_AT_TIMEOUT;
        let at = harness_at_timeout(&format!("{m}2 {t}\n{m}0 {w}\n{m}2 {w}\n{m}5 {w}\n"));
        assert_eq!((at.running_jobs, at.waiting_jobs), (vec![2], vec![0, 5]));
        check(&format!("{m}0 {w}\n"), None);
    }

    #[test]
    fn a_timeout_error_names_what_was_running_and_what_was_waiting() {
        let t = Duration::from_secs(2);
        let at = |running_jobs: Vec<usize>, waiting_jobs: Vec<usize>| AtTimeout {
            running_jobs,
            waiting_jobs,
            running_tests: Vec::new(),
        };
        let e = timeout_error(RunSpec::new(Model::Threads, 2), t, at(vec![1, 3], vec![]));
        assert_eq!((e.kind, e.job), (FailureKind::Timeout, Some(1)));
        assert_eq!(e.at_timeout.running_jobs, vec![1, 3]);
        assert!(
            e.message.ends_with("; jobs 1, 3 were still running"),
            "{}",
            e.message
        );
        let e = timeout_error(RunSpec::new(Model::Async, 1), t, at(vec![0], vec![1, 2]));
        assert_eq!(
            (e.job, e.at_timeout.waiting_jobs.clone()),
            (Some(0), vec![1, 2])
        );
        assert!(
            e.message
                .contains("job 0 was still running (being polled: it blocked its worker thread)")
                && e.message
                    .contains("jobs 1, 2 were waiting (in flight, not being polled"),
            "{}",
            e.message
        );
        // Only waiting tasks (a deadlock on an async lock): the first is the error's job.
        let e = timeout_error(RunSpec::new(Model::Async, 2), t, at(vec![], vec![4]));
        assert_eq!((e.job, e.at_timeout.running_jobs.len()), (Some(4), 0));
        let e = timeout_error(
            RunSpec::new(Model::Sequential, 1),
            t,
            AtTimeout {
                running_tests: vec!["a::slow".into()],
                ..AtTimeout::default()
            },
        );
        assert_eq!(
            (e.job, e.at_timeout.running_tests.clone()),
            (None, vec!["a::slow".to_string()])
        );
        assert!(
            e.message.ends_with("; test a::slow was still running"),
            "{}",
            e.message
        );
        let e = timeout_error(RunSpec::new(Model::Threads, 2), t, AtTimeout::default());
        assert!(e.message.ends_with("process group"), "{}", e.message);
    }

    #[test]
    fn the_tests_running_at_a_timeout_are_read_from_libtest_and_the_launcher() {
        let listed: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        // One thread: libtest announces the test before it runs it.
        let seq = "running 4 tests\ntest a ... ok\ntest b ... ";
        assert_eq!(
            tests_running_at_timeout(seq, &listed, RunSpec::new(Model::Sequential, 1)),
            names(&["b"])
        );
        let should_panic = "test a ... ok\ntest c - should panic ... ";
        assert_eq!(
            tests_running_at_timeout(should_panic, &listed, RunSpec::new(Model::Sequential, 1)),
            names(&["c"])
        );
        // N threads: libtest prints a test with its outcome only; it starts them by name, N at a time.
        let threads = "running 4 tests\ntest b ... ok\n";
        assert_eq!(
            tests_running_at_timeout(threads, &listed, RunSpec::new(Model::Threads, 2)),
            names(&["a", "c"])
        );
        // Processes: what the launcher started and did not report ended.
        let s = protocol::TEST_STARTED_MARKER;
        let launcher = format!("{s}a\n{s}b\ntest a ... ok\n{s}c\n");
        assert_eq!(
            tests_running_at_timeout(&launcher, &listed, RunSpec::new(Model::Processes, 2)),
            names(&["b", "c"])
        );
        assert!(
            tests_running_at_timeout("", &listed, RunSpec::new(Model::Processes, 2)).is_empty()
        );
    }

    #[test]
    fn harness_line_is_read_by_protocol_names() {
        let line = format!(
            "noise\n{{\"{}\":5,\"{}\":7,\"{}\":[1,2],\"{}\":[\"aa\",\"bb\"],\"{}\":\"ff\",\"{}\":null}}",
            protocol::SETUP_NS,
            protocol::JOBS_WALL_NS,
            protocol::JOB_NS,
            protocol::JOB_DIGESTS,
            protocol::DIGEST,
            protocol::ERROR
        );
        let l = HarnessLine::parse(&line).unwrap();
        assert_eq!((l.setup_ns, l.jobs_wall_ns), (5, 7));
        assert_eq!(l.job_ns, vec![1, 2]);
        assert_eq!(l.job_digests, vec!["aa", "bb"]);
        assert_eq!(l.digest, "ff");
        assert!(l.error.is_none());
        assert!(HarnessLine::parse("{\"other\":1}").is_none());
    }
}
