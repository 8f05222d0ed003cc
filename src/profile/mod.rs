//! The runtime profiler: builds a harness per package, runs each workload sequentially, on N threads and
//! on N worker processes, measures it (perf counters or rusage) and checks results. Only profile/ spawns
//! workload processes.
//!
//! Schedule of one workload: one warm-up sequential run (it also gives the reference digest, the
//! sequential time used to plan, and whether the workload is I/O-bound: CPU/wall < 0.5), then rounds; each
//! round takes one sample of every (model, workers) pair in turn, so drift hits every pair alike. At least
//! `min(3, --runs)` rounds, at most `--runs`; after the third, it stops early once every pair's median
//! moved by less than 1% in the last round, or when another round would pass the time budget (25 s per
//! workload). A pair that fails (timeout, crash, panic, early exit) is recorded and not run again.

pub mod counters;
pub mod doc;
pub mod harness;
pub mod python;
pub mod runner;
pub mod settings;
pub mod summary;
pub mod tests_workload;

pub use settings::MeasureSettings;

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::discover::PackageSelection;
use crate::error::{Error, Result};
use crate::profile::doc::{
    AsyncRuntime, Environment, ProfileDoc, RunKey, Sample, WorkloadError, WorkloadProfile,
};
use crate::vocab::Model;
use crate::workload::{Declared, Project, TestWorkload};
use runner::{Ended, Outcome, Runner};

/// Time budget per workload for the adaptive schedule.
pub const BUDGET: Duration = Duration::from_secs(25);
/// Below this CPU/wall ratio in the sequential run a workload counts as I/O-bound.
pub const IO_BOUND_RATIO: f64 = 0.5;
/// Stop early when no pair's median moved by more than this in the last round.
pub const STABLE_MEDIAN: f64 = 0.01;

/// `cargo concur profile`: the workloads of the selected packages, built with the selected features.
pub fn run(
    selection: &PackageSelection,
    features: &crate::discover::scope::FeatureSelection,
    measure: &MeasureSettings,
) -> Result<ProfileDoc> {
    run_in(&Project::load(selection, features)?, measure)
}

/// Profiles the selected workloads of an already discovered project.
pub fn run_in(project: &Project, measure: &MeasureSettings) -> Result<ProfileDoc> {
    let (declared, warnings) = crate::workload::declared(project)?;
    for w in &warnings {
        crate::render::status::warning(w);
    }
    let python_declared = crate::workload::python::declared(project)?;
    for name in &measure.workloads {
        if !name.starts_with("test:")
            && !declared.iter().any(|d| &d.spec.name == name)
            && !python_declared.iter().any(|d| &d.spec.name == name)
        {
            let known: Vec<&str> = declared
                .iter()
                .map(|d| d.spec.name.as_str())
                .chain(python_declared.iter().map(|d| d.spec.name.as_str()))
                .collect();
            return Err(Error::usage(format!(
                "--workload {name}: no such workload (declared: {})",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )));
        }
    }
    let selected: Vec<&Declared> = declared
        .iter()
        .filter(|d| measure.workloads.is_empty() || measure.workloads.contains(&d.spec.name))
        .collect();
    let tests: Vec<TestWorkload> = if measure.tests {
        crate::workload::test_workloads(project, &measure.workloads, &mut |e| {
            crate::render::status::workload(e)
        })?
    } else {
        Vec::new()
    };
    for name in measure.workloads.iter().filter(|n| n.starts_with("test:")) {
        if !tests.iter().any(|t| &t.spec.name == name) {
            return Err(Error::usage(format!(
                "--workload {name}: no test target `{}` with tests in the selected packages{}",
                &name["test:".len()..],
                if measure.tests {
                    ""
                } else {
                    " (--no-tests was given)"
                }
            )));
        }
    }
    let python_selected: Vec<&crate::workload::python::PythonWorkload> = python_declared
        .iter()
        .filter(|d| measure.workloads.is_empty() || measure.workloads.contains(&d.spec.name))
        .collect();
    if selected.is_empty() && tests.is_empty() && python_selected.is_empty() {
        return Err(Error::usage(
            "no workloads to profile: declare [[package.metadata.concur.workload]] in Cargo.toml \
             (name, run, jobs) or add tests",
        ));
    }
    // Build every harness before measuring anything.
    let mut harnesses = BTreeMap::new();
    for package in &project.packages {
        if !selected.iter().any(|d| d.spec.package == package.name) {
            continue;
        }
        // Every declared workload of the package, not only the selected ones: the generated source then
        // stays the same from one selection to the next and cargo has nothing to rebuild.
        let mine: Vec<&Declared> = declared
            .iter()
            .filter(|d| d.spec.package == package.name)
            .collect();
        let h = harness::build(project, package, &mine)?;
        harnesses.insert(package.name.clone(), h);
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut runner = Runner::new(measure.perf, project.target_dir.join("concur").join("run"))?;
    runner.set_memory_limit(measure.memory_limit);
    if let Some(note) = &runner.counters.note {
        crate::render::status::warning(&format!(
            "measuring with rusage{}: {note}",
            if runner.counters.tier == crate::profile::doc::CounterTier::Software {
                " and software perf events only"
            } else {
                " only"
            }
        ));
    }
    runner::install_interrupt_handler();
    let mut workloads = Vec::new();
    for d in &selected {
        let Some(h) = harnesses.get(&d.spec.package) else {
            continue;
        };
        let exe = h.executable.clone();
        let name = d.spec.name.clone();
        let mut command = move |key: &RunKey| {
            let mut c = Command::new(&exe);
            c.arg("run")
                .arg(&name)
                .args(["--model", key.model.as_str(), "--workers"])
                .arg(key.workers.to_string());
            if let (Some(rt), Some(k)) = (key.runtime, key.in_flight) {
                c.args(["--runtime", rt.as_str(), "--in-flight"])
                    .arg(k.to_string());
            }
            c
        };
        workloads.push(profile_one(
            &d.spec,
            d.run_async,
            &mut command,
            &Interpret::Harness,
            &mut runner,
            measure,
            cores,
        )?);
    }
    for t in &tests {
        let p = tests_workload::profile(t, &mut runner, measure, cores)?;
        workloads.push(p);
    }
    workloads.extend(python::profile_all(
        project,
        &python_selected,
        &mut runner,
        measure,
        cores,
    )?);
    Ok(ProfileDoc {
        schema_version: crate::vocab::SCHEMA_VERSION,
        environment: Environment {
            cores,
            counters: runner.counters.tier,
            os: std::env::consts::OS.to_string(),
            kernel: kernel_release(),
            counters_note: runner.counters.note.clone(),
        },
        workloads,
    })
}

fn kernel_release() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".to_string())
}

/// How to read a run's stdout into a sample (harness JSON, or libtest output).
pub enum Interpret {
    Harness,
    Libtest,
}

/// What a run of a harness printed (its one JSON line).
#[derive(Debug, Clone, Default, serde::Deserialize)]
struct HarnessLine {
    #[serde(default)]
    setup_ns: u64,
    #[serde(default)]
    jobs_wall_ns: u64,
    #[serde(default)]
    job_ns: Vec<u64>,
    #[serde(default)]
    digest: String,
    #[serde(default)]
    self_maxrss_kb: u64,
    /// The harness's own peak (VmHWM), without the pre-exec image of cargo-concur that rusage counts.
    #[serde(default)]
    self_hwm_kb: u64,
    #[serde(default)]
    workers_maxrss_kb: u64,
    /// Python workloads: pool start-up and bytes pickled per job.
    #[serde(default)]
    pool_start_ns: u64,
    #[serde(default)]
    pickled_bytes_per_job: u64,
    #[serde(default)]
    error: Option<HarnessError>,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
struct HarnessError {
    kind: String,
    job: Option<usize>,
    message: String,
}

/// Turns an outcome into a sample, or the error of that run.
fn to_sample(
    o: &Outcome,
    how: &Interpret,
    key: &RunKey,
    timeout: Duration,
) -> std::result::Result<Sample, WorkloadError> {
    let (model, workers) = (key.model, key.workers);
    let what = key.label();
    let err = |kind: &str, job: Option<usize>, message: String| WorkloadError {
        model: Some(model),
        workers: Some(workers),
        kind: kind.to_string(),
        job,
        message,
    };
    let tail = if o.stderr_tail.is_empty() {
        String::new()
    } else {
        format!(" (stderr: {})", o.stderr_tail)
    };
    if o.timed_out {
        return Err(err(
            "timeout",
            None,
            format!(
                "{what}: killed after the {:.1} s timeout with its whole process group",
                timeout.as_secs_f64()
            ),
        ));
    }
    if o.out_of_memory {
        return Err(err(
            "out-of-memory",
            o.panic_marker.as_ref().map(|p| p.0),
            format!(
                "{what}: out of memory: an allocation failed under --memory-limit (the address-space limit of \
                 each process){tail}"
            ),
        ));
    }
    if o.output_dropped > 0 {
        return Err(err(
            "output-limit",
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
    let tail = if o.stack_overflow {
        format!(" (a thread overflowed its stack){tail}")
    } else {
        tail
    };
    let mut sample = Sample {
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
        pool_start_ns: 0,
        pickled_bytes_per_job: 0,
    };
    match how {
        Interpret::Harness => {
            let line: Option<HarnessLine> = o
                .stdout
                .lines()
                .rev()
                .find_map(|l| serde_json::from_str(l).ok());
            if let Some(mut e) = line.as_ref().and_then(|l| l.error.clone()) {
                if let Some((job, message)) = &o.panic_marker {
                    // A worker process aborted on a panic (`panic = "abort"`): say it was a panic.
                    if e.kind == "early-exit" && e.job == Some(*job) {
                        e.kind = "panic".to_string();
                        e.message = format!("{message} (worker aborted: panic = \"abort\")");
                    }
                }
                let job = e.job.map_or(String::new(), |j| format!(" in job {j}"));
                return Err(err(
                    &e.kind,
                    e.job,
                    format!("{what}: {}{job}: {}", e.kind, e.message),
                ));
            }
            if let (Ended::Signaled(_), Some((job, message))) = (o.ended, &o.panic_marker) {
                // `panic = "abort"`: the hook named the job before the process aborted.
                return Err(err(
                    "panic",
                    Some(*job),
                    format!("{what}: panic in job {job} (aborted: panic = \"abort\"): {message}"),
                ));
            }
            match (o.ended, line) {
                (Ended::Exited(0), Some(l)) => {
                    sample.setup_ns = l.setup_ns;
                    sample.jobs_wall_ns = l.jobs_wall_ns;
                    sample.job_ns = l.job_ns;
                    sample.digest = l.digest;
                    // The harness's own VmHWM where /proc has it: rusage's maxrss of a child includes
                    // the image of the process that forked it (cargo-concur), a floor that would hide
                    // what the model itself uses (threads' stacks, tasks' futures).
                    let own = if l.self_hwm_kb > 0 {
                        l.self_hwm_kb
                    } else {
                        o.maxrss_kb
                    };
                    sample.peak_rss_kb_total = own;
                    sample.pool_start_ns = l.pool_start_ns;
                    sample.pickled_bytes_per_job = l.pickled_bytes_per_job;
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
                (Ended::Signaled(sig), _) => Err(err(
                    "crash",
                    None,
                    format!(
                        "{what}: the harness was killed by {}{tail}",
                        runner::signal_name(sig)
                    ),
                )),
                (Ended::Exited(code), _) => Err(err(
                    "crash",
                    None,
                    format!("{what}: the harness exited with code {code}{tail}"),
                )),
            }
        }
        Interpret::Libtest => match tests_workload::outcome_digest(&o.stdout) {
            Some(d) => {
                sample.digest = d;
                Ok(sample)
            }
            None => Err(err(
                "crash",
                None,
                format!(
                    "{what}: the test binary printed no results ({:?}){tail}",
                    o.ended
                ),
            )),
        },
    }
}

/// Whether to take round `round` (0-based): always below `min_rounds`, then only while the round is
/// expected (from the last one) to end within the budget.
pub fn another_round(
    round: usize,
    min_rounds: usize,
    elapsed: Duration,
    last_round: Duration,
) -> bool {
    round < min_rounds || elapsed + last_round <= BUDGET
}

/// The worker counts to measure: the explicit list, or 1..=cores (powers of two and the core count above
/// 8 cores) plus 2x cores, and 4x and 8x cores when the workload is I/O-bound.
pub fn worker_ladder(explicit: &[usize], cores: usize, io_bound: bool) -> Vec<usize> {
    if !explicit.is_empty() {
        return explicit.to_vec();
    }
    // Every count up to 8 cores; above that, powers of two and the core count (a 64-core ladder of 64
    // steps would not fit the time budget).
    let mut v: Vec<usize> = if cores <= 8 {
        (1..=cores).collect()
    } else {
        let mut p: Vec<usize> = std::iter::successors(Some(1usize), |n| Some(n * 2))
            .take_while(|&n| n < cores)
            .collect();
        p.push(cores);
        p
    };
    v.push(2 * cores);
    if io_bound {
        v.push(4 * cores);
        v.push(8 * cores);
    }
    v.sort_unstable();
    v.dedup();
    v
}

/// The numbers of async jobs in flight to measure: the worker ladder, and for I/O-bound workloads also
/// 32x and 128x cores (tasks are cheap where threads are not), never more than the jobs.
pub fn in_flight_ladder(
    explicit: &[usize],
    cores: usize,
    io_bound: bool,
    jobs: usize,
) -> Vec<usize> {
    let mut v = worker_ladder(explicit, cores, io_bound);
    if explicit.is_empty() && io_bound {
        v.push(32 * cores);
        v.push(128 * cores);
    }
    let mut v: Vec<usize> = v.into_iter().map(|k| k.clamp(1, jobs.max(1))).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Every configuration to sample: sequential; threads and processes at each worker count; for async
/// workloads, tasks on a current-thread runtime at each K in flight and on a multi-thread runtime with
/// one worker per core at each K of at least 2.
pub fn configurations(
    explicit: &[usize],
    cores: usize,
    io_bound: bool,
    jobs: usize,
    is_async: bool,
) -> Vec<RunKey> {
    let mut keys = vec![RunKey::plain(Model::Sequential, 1)];
    for w in worker_ladder(explicit, cores, io_bound) {
        keys.push(RunKey::plain(Model::Threads, w));
        keys.push(RunKey::plain(Model::Processes, w));
    }
    if is_async {
        let ladder = in_flight_ladder(explicit, cores, io_bound, jobs);
        for &k in &ladder {
            keys.push(RunKey::tasks(AsyncRuntime::CurrentThread, 1, k));
        }
        for &k in ladder.iter().filter(|&&k| k >= 2) {
            keys.push(RunKey::tasks(AsyncRuntime::MultiThread, cores, k));
        }
    }
    keys
}

/// Profiles one workload with `command(key)` building each run's command.
#[allow(clippy::too_many_arguments)]
pub fn profile_one(
    spec: &crate::workload::WorkloadSpec,
    is_async: bool,
    command: &mut dyn FnMut(&RunKey) -> Command,
    how: &Interpret,
    runner: &mut Runner,
    measure: &MeasureSettings,
    cores: usize,
) -> Result<WorkloadProfile> {
    let started = Instant::now();
    let bar = progress_bar();
    let label = format!("{}/{}", spec.package, spec.name);
    let mut errors: Vec<WorkloadError> = Vec::new();
    set_bar(&bar, &label, "warm-up", 0, 0);
    if bar.is_none() {
        crate::render::status::progress("Profiling", &label);
    }
    let sequential = RunKey::plain(Model::Sequential, 1);
    let warm = runner.run(command(&sequential), measure.timeout)?;
    let warmup_ns = started.elapsed().as_nanos() as u64;
    let mut failed: std::collections::BTreeSet<RunKey> = Default::default();
    let (reference, io_bound) = match to_sample(&warm, how, &sequential, measure.timeout) {
        Ok(s) => {
            let cpu = (s.user_ns + s.sys_ns) as f64;
            (
                Some(s.digest.clone()),
                cpu < IO_BOUND_RATIO * s.wall_ns.max(1) as f64,
            )
        }
        Err(e) => {
            errors.push(e);
            failed.insert(sequential);
            (None, false)
        }
    };
    let pairs = configurations(&measure.workers, cores, io_bound, spec.jobs, is_async);
    let mut samples: BTreeMap<RunKey, Vec<Sample>> = BTreeMap::new();
    let min_rounds = measure.runs.min(3);
    let mut previous_medians: BTreeMap<RunKey, u64> = BTreeMap::new();
    let mut rounds_done = 0;
    let mut last_round = Duration::ZERO;
    for round in 0..measure.runs {
        if !another_round(round, min_rounds, started.elapsed(), last_round) {
            break;
        }
        let round_start = Instant::now();
        let mut any = false;
        for key in &pairs {
            if failed.contains(key) {
                continue;
            }
            any = true;
            set_bar(&bar, &label, &key.label(), round + 1, measure.runs);
            let o = runner.run(command(key), measure.timeout)?;
            match to_sample(&o, how, key, measure.timeout) {
                Ok(s) => samples.entry(*key).or_default().push(s),
                Err(e) => {
                    errors.push(e);
                    failed.insert(*key);
                }
            }
        }
        if !any {
            break;
        }
        rounds_done = round + 1;
        last_round = round_start.elapsed();
        let medians: BTreeMap<RunKey, u64> = samples
            .iter()
            .map(|(k, v)| (*k, summary::median(v.iter().map(|s| s.wall_ns))))
            .collect();
        if rounds_done >= min_rounds.max(3) && !previous_medians.is_empty() {
            let stable = medians.iter().all(|(k, m)| {
                previous_medians.get(k).is_some_and(|p| {
                    (*m as f64 - *p as f64).abs() <= STABLE_MEDIAN * (*m).max(1) as f64
                })
            });
            if stable {
                break;
            }
        }
        previous_medians = medians;
    }
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let mut runs = Vec::new();
    for key in &pairs {
        let Some(v) = samples.get(key) else {
            continue;
        };
        let (model, workers) = (key.model, key.workers);
        let matches = reference
            .as_ref()
            .is_some_and(|r| v.iter().all(|s| &s.digest == r));
        if !matches && reference.is_some() {
            errors.push(WorkloadError {
                model: Some(model),
                workers: Some(workers),
                kind: "mismatch".to_string(),
                job: None,
                message: format!(
                    "{}: results differ from the sequential run (shared or process-global state); \
                     its timings are not comparable",
                    key.label()
                ),
            });
        }
        runs.push(summary::summarize(*key, cores, v, matches));
    }
    let profiling_ns = started.elapsed().as_nanos() as u64;
    let measured_ns: u64 = samples.values().flatten().map(|s| s.wall_ns).sum();
    let n_samples: usize = samples.values().map(Vec::len).sum();
    crate::render::status::progress(
        "Profiled",
        &format!(
            "{label} in {:.1} s: warm-up {:.1} s, {n_samples} samples in {rounds_done} rounds {:.1} s, \
             other {:.1} s",
            profiling_ns as f64 / 1e9,
            warmup_ns as f64 / 1e9,
            measured_ns as f64 / 1e9,
            profiling_ns.saturating_sub(warmup_ns + measured_ns) as f64 / 1e9
        ),
    );
    Ok(WorkloadProfile {
        name: spec.name.clone(),
        package: spec.package.clone(),
        jobs: spec.jobs,
        runs,
        errors,
        kind: spec.kind.clone(),
        setup: spec.setup.clone(),
        run: spec.run.clone(),
        profiling_ns,
        warmup_ns,
        measured_ns,
        rounds: rounds_done,
        io_bound,
        is_async,
        python: None,
    })
}

fn progress_bar() -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    // No steady tick: a ticking thread would be counted by the inherited perf counters.
    Some(bar)
}

fn set_bar(bar: &Option<indicatif::ProgressBar>, label: &str, what: &str, run: usize, runs: usize) {
    if let Some(b) = bar {
        if runs == 0 {
            b.set_message(format!("{label}: {what}"));
        } else {
            b.set_message(format!("{label}: {what}, run {run}/{runs}"));
        }
        b.tick();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The budget promise: default settings (5 runs, workers 1, 2, 4 on 2 cores) on a workload whose
    /// sequential run takes 1 s and scales perfectly finish in under 30 s.
    #[test]
    fn one_second_workload_fits_the_time_budget_on_two_cores() {
        let cores = 2;
        let seconds_of = |model: Model, workers: usize| match model {
            Model::Sequential => 1.0,
            _ => 1.0 / workers.min(cores) as f64,
        };
        let pairs = configurations(&[], cores, false, 64, false);
        let round: f64 = pairs.iter().map(|k| seconds_of(k.model, k.workers)).sum();
        let mut elapsed = 1.0; // the warm-up
        let mut last = 0.0;
        let mut rounds = 0;
        for r in 0..5 {
            let go = another_round(
                r,
                3,
                Duration::from_secs_f64(elapsed),
                Duration::from_secs_f64(last),
            );
            if !go {
                break;
            }
            elapsed += round;
            last = round;
            rounds += 1;
        }
        assert!(rounds >= 3, "at least 3 samples per pair");
        assert!(elapsed < 30.0, "{elapsed} s in {rounds} rounds");
        // Short workloads get every requested run.
        assert!(another_round(
            4,
            3,
            Duration::from_secs(3),
            Duration::from_millis(700)
        ));
    }

    #[test]
    fn ladder_defaults_and_io_bound_extension() {
        assert_eq!(worker_ladder(&[], 2, false), vec![1, 2, 4]);
        assert_eq!(worker_ladder(&[], 2, true), vec![1, 2, 4, 8, 16]);
        assert_eq!(worker_ladder(&[], 4, false), vec![1, 2, 3, 4, 8]);
        assert_eq!(worker_ladder(&[3, 5], 2, true), vec![3, 5]);
        assert_eq!(worker_ladder(&[], 12, false), vec![1, 2, 4, 8, 12, 24]);
    }

    #[test]
    fn async_workloads_add_task_configurations_with_k_in_flight() {
        assert_eq!(in_flight_ladder(&[], 2, false, 64), vec![1, 2, 4]);
        assert_eq!(
            in_flight_ladder(&[], 2, true, 1000),
            vec![1, 2, 4, 8, 16, 64, 256]
        );
        // Never more in flight than jobs.
        assert_eq!(in_flight_ladder(&[], 2, true, 48), vec![1, 2, 4, 8, 16, 48]);
        assert_eq!(in_flight_ladder(&[3, 500], 2, true, 64), vec![3, 64]);
        let sync = configurations(&[], 2, true, 256, false);
        assert!(sync.iter().all(|k| k.model != Model::Async));
        assert_eq!(sync.len(), 1 + 2 * 5);
        let keys = configurations(&[], 2, true, 256, true);
        let current: Vec<usize> = keys
            .iter()
            .filter(|k| k.runtime == Some(AsyncRuntime::CurrentThread))
            .map(|k| k.in_flight.unwrap_or(0))
            .collect();
        assert_eq!(current, vec![1, 2, 4, 8, 16, 64, 256]);
        let multi: Vec<&RunKey> = keys
            .iter()
            .filter(|k| k.runtime == Some(AsyncRuntime::MultiThread))
            .collect();
        assert_eq!(multi.len(), 6);
        assert!(multi
            .iter()
            .all(|k| k.workers == 2 && k.in_flight.unwrap_or(0) >= 2));
        // The sync models are still all there, sequential first.
        assert_eq!(keys[0], RunKey::plain(Model::Sequential, 1));
        assert_eq!(keys.len(), 1 + 2 * 5 + 7 + 6);
    }
}
