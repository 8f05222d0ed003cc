//! The measurement schedule of one workload, over any [`Driver`]: warm-up, order-dependence check, worker
//! ladder, rounds, early stopping, time budget, failures and result comparison. It decides what to run and
//! when to stop; it never spawns anything itself (the driver does) and never prints (it emits [`Event`]s).
//!
//! 1. One warm-up sequential run: the reference digests, the sequential time the plan is derived from, and
//!    whether the workload is I/O-bound ([`io_bound`]).
//! 2. When the driver can reorder jobs: one sequential run with the jobs last to first; per-job digests that
//!    differ mean the results depend on the order jobs run in (`order-dependent`).
//! 3. The budget: `--budget`, else [`BUDGET_PER_SEQUENTIAL`] times the warm-up, within [`BUDGET_FLOOR`] and
//!    [`BUDGET_CAP`], and never past what is left of the report's budget. A round whose estimate (from the
//!    warm-up, then from the samples) does not fit it even once shrinks the default ladder to the core count.
//! 4. Rounds: each takes one sample of every (model, workers) pair in turn, so drift hits all alike. With
//!    `--runs N`, exactly N rounds. Otherwise at least `--min-rounds` (default [`DEFAULT_MIN_ROUNDS`], fewer
//!    when they would not fit the budget) and at most [`DEFAULT_MAX_ROUNDS`], stopping early once every
//!    pair's median moved by less than [`STABLE_MEDIAN`] in the last round, or when the next round would
//!    pass the budget.
//! 5. A pair that fails is recorded and not run again; a pair whose results differ from the reference is a
//!    `mismatch`, naming the jobs (tests) that differ.
//! 6. A hanging workload costs the timeout once per model, not once per pair: after a sequential run
//!    (warm-up or counted) times out nothing else runs, and after any other run times out the rest of that
//!    model (for `async`, of that runtime) is not run again; each such pair is a [`SkippedRun`] naming the
//!    run that timed out. One timed-out run is all the evidence that model needs.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::doc::{
    AsyncRuntime, FailureKind, RunKey, RunSummary, Sample, SkippedRun, WorkloadError,
};
use super::driver::{Driver, Order, RunSpec};
use super::settings::{Sampling, Workers};
use super::summary;
use crate::error::Result;
use crate::vocab::Model;

/// Rounds when `--runs` is not given: at least this many...
pub const DEFAULT_MIN_ROUNDS: usize = 3;
/// ...and at most this many.
pub const DEFAULT_MAX_ROUNDS: usize = 5;
/// Stop early when no pair's median moved by more than this share in the last round.
pub const STABLE_MEDIAN: f64 = 0.01;
/// A workload's budget is this many times its warm-up (sequential) time...
pub const BUDGET_PER_SEQUENTIAL: u32 = 30;
/// ...but at least this...
pub const BUDGET_FLOOR: Duration = Duration::from_secs(20);
/// ...and at most this.
pub const BUDGET_CAP: Duration = Duration::from_secs(180);
/// The whole `profile`/`report` run's default budget, shared by its workloads in turn.
pub const REPORT_BUDGET: Duration = Duration::from_secs(15 * 60);

/// Below this CPU/wall ratio of the sequential run a workload is I/O-bound: it mostly waits. The one
/// definition, used by the schedule (more workers for such workloads) and by the report's verdict.
pub const IO_BOUND_CPU_SHARE: f64 = 0.5;

/// Whether a run that used `cpu_ns` of CPU in `wall_ns` mostly waited.
pub fn io_bound(cpu_ns: u64, wall_ns: u64) -> bool {
    (cpu_ns as f64) < IO_BOUND_CPU_SHARE * wall_ns.max(1) as f64
}

/// What the user asked for, and the machine.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Worker counts, rounds and the workload's budget, as the user gave them.
    pub sampling: Sampling,
    /// What is left of the whole run's budget.
    pub remaining: Duration,
    pub cores: usize,
    /// The workload's number of jobs (the async in-flight ladder stops there).
    pub jobs: usize,
    /// `run` is an `async fn`: its jobs are also run as tasks (model `async`).
    pub is_async: bool,
}

/// Elapsed time since the workload started (real: `Instant`; tests: a fake).
pub trait Clock {
    fn elapsed(&self) -> Duration;
}

/// The real clock.
pub struct Wall(pub std::time::Instant);

impl Clock for Wall {
    fn elapsed(&self) -> Duration {
        self.0.elapsed()
    }
}

/// Progress of a workload's schedule, for the front to show.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The warm-up run is starting.
    WarmUp,
    /// A counted run is starting: which, how far along, and the estimated time left.
    Sample {
        model: Model,
        workers: usize,
        round: usize,
        rounds: usize,
        done: usize,
        total: usize,
        left: Duration,
    },
}

/// What the schedule measured.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Measured {
    pub runs: Vec<RunSummary>,
    pub errors: Vec<WorkloadError>,
    pub rounds: usize,
    pub warmup_ns: u64,
    pub measured_ns: u64,
    pub profiling_ns: u64,
    pub io_bound: bool,
    /// The budget this workload was given (ns).
    pub budget_ns: u64,
    /// The jobs were also run last to first and their results compared.
    pub order_checked: bool,
    /// Why the schedule did less than asked (a shrunk ladder, fewer rounds).
    pub notes: Vec<String>,
    /// Pairs not run (or not run again) because a run of the workload timed out.
    pub skipped: Vec<SkippedRun>,
}

/// The pairs a timeout of `timed_out` says would hang too: after sequential, every one; else the same
/// model (and runtime).
fn hangs_with(timed_out: RunKey, other: RunKey) -> bool {
    timed_out.model == Model::Sequential
        || (other.model == timed_out.model && other.runtime == timed_out.runtime)
}

impl Measured {
    pub fn run_of(&self, model: Model, workers: usize) -> Option<&RunSummary> {
        self.runs
            .iter()
            .find(|r| r.model == model && r.workers == workers && r.in_flight.is_none())
    }
}

/// The default worker counts: 1..=cores (powers of two and the core count above 8 cores) plus 2x cores,
/// and 4x and 8x cores when the workload is I/O-bound; or the explicit list.
pub fn worker_ladder(explicit: &[usize], cores: usize, io_bound: bool) -> Vec<usize> {
    if !explicit.is_empty() {
        return explicit.to_vec();
    }
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

/// This workload's budget from its warm-up time.
pub fn budget_for(plan: &Plan, warmup: Duration) -> Duration {
    let derived = (warmup * BUDGET_PER_SEQUENTIAL).clamp(BUDGET_FLOOR, BUDGET_CAP);
    plan.sampling.budget.unwrap_or(derived).min(plan.remaining)
}

/// Estimated time of one run of a pair: its last sample, else the sequential time spread over the
/// workers that can run at once.
fn estimate(
    samples: &BTreeMap<RunKey, Vec<Sample>>,
    pair: RunKey,
    seq: Duration,
    cores: usize,
) -> Duration {
    match samples.get(&pair).and_then(|v| v.last()) {
        Some(s) => Duration::from_nanos(s.wall_ns),
        None => seq / pair.workers.clamp(1, cores.max(1)) as u32,
    }
}

/// Where `other`'s per-job entries differ from the reference's, named by the driver (at most 3).
fn differing(driver: &dyn Driver, reference: &[String], other: &[String]) -> (usize, Vec<String>) {
    if reference.len() == other.len() {
        let idx: Vec<usize> = (0..reference.len())
            .filter(|&i| reference[i] != other[i])
            .collect();
        let names = idx
            .iter()
            .take(3)
            .map(|&i| driver.job_name(i, &reference[i]))
            .collect();
        return (idx.len(), names);
    }
    let a: BTreeSet<&String> = reference.iter().collect();
    let b: BTreeSet<&String> = other.iter().collect();
    let diff: Vec<&&String> = a.symmetric_difference(&b).collect();
    let names = diff.iter().take(3).map(|e| driver.job_name(0, e)).collect();
    (diff.len(), names)
}

/// Runs the schedule of one workload.
pub fn run(
    driver: &mut dyn Driver,
    plan: &Plan,
    clock: &dyn Clock,
    events: &mut dyn FnMut(Event),
) -> Result<Measured> {
    let mut m = Measured::default();
    let cores = plan.cores.max(1);
    events(Event::WarmUp);
    let warm = driver.run(RunSpec::new(Model::Sequential, 1))?;
    let warm_time = clock.elapsed();
    m.warmup_ns = warm_time.as_nanos() as u64;
    let mut failed: BTreeSet<RunKey> = BTreeSet::new();
    let warm_timed_out = matches!(&warm, Err(e) if e.kind == FailureKind::Timeout);
    let reference = match warm {
        Ok(s) => {
            m.io_bound = io_bound(s.user_ns + s.sys_ns, s.wall_ns);
            Some(s)
        }
        Err(e) => {
            m.errors.push(e);
            failed.insert(RunKey::plain(Model::Sequential, 1));
            None
        }
    };
    // The jobs in another order: state carried from one job to the next shows as per-job differences.
    if let Some(r) = &reference {
        if driver.reorders() && r.job_digests.len() > 1 {
            let spec = RunSpec {
                order: Order::Reverse,
                ..RunSpec::new(Model::Sequential, 1)
            };
            match driver.run(spec)? {
                Ok(rev) => {
                    m.order_checked = true;
                    let (n, names) = differing(&*driver, &r.job_digests, &rev.job_digests);
                    if n > 0 {
                        m.errors.push(WorkloadError {
                            model: None,
                            workers: None,
                            kind: FailureKind::OrderDependent,
                            job: None,
                            at_timeout: Box::default(),
                            message: format!(
                                "results depend on the order the jobs run in: run last to first, {n} of {} jobs \
                                 gave different results ({}); state is carried from one job to the next (a \
                                 global, a shared random stream, a counter)",
                                r.job_digests.len(),
                                names.join(", ")
                            ),
                        });
                    }
                }
                Err(e) => m.errors.push(WorkloadError {
                    model: None,
                    workers: None,
                    kind: FailureKind::OrderDependent,
                    job: e.job,
                    at_timeout: Box::default(),
                    message: format!(
                        "the jobs run last to first failed, first to last they did not: {}",
                        e.message
                    ),
                }),
            }
        }
    }
    let seq_time = reference
        .as_ref()
        .map_or(warm_time, |s| Duration::from_nanos(s.wall_ns));
    let budget = budget_for(plan, seq_time);
    m.budget_ns = budget.as_nanos() as u64;

    let threads_one = driver.threads_one_differs();
    let io = m.io_bound;
    let pairs_of = |ladder: &[usize]| -> Vec<RunKey> {
        configurations(ladder, cores, io, plan.jobs, plan.is_async)
            .into_iter()
            .filter(|k| threads_one || *k != RunKey::plain(Model::Threads, 1))
            .collect()
    };
    let mut samples: BTreeMap<RunKey, Vec<Sample>> = BTreeMap::new();
    let round_estimate = |pairs: &[RunKey], samples: &BTreeMap<_, _>| -> Duration {
        pairs
            .iter()
            .map(|&p| estimate(samples, p, seq_time, cores))
            .sum()
    };
    // The explicit worker counts, or none for the default ladders (whose in-flight ladder goes past the
    // worker ladder for I/O-bound async workloads).
    let mut pairs = pairs_of(&plan.sampling.workers.counts());
    if warm_timed_out {
        // The jobs hang however they are run: every other pair would only wait for the timeout too.
        let after = RunKey::plain(Model::Sequential, 1);
        m.skipped = pairs
            .iter()
            .filter(|&&k| k != after)
            .map(|&run| SkippedRun {
                run,
                after,
                samples: 0,
            })
            .collect();
        m.profiling_ns = clock.elapsed().as_nanos() as u64;
        return Ok(m);
    }
    let left_now = budget.saturating_sub(clock.elapsed());
    if plan.sampling.workers == Workers::Ladder
        && round_estimate(&pairs, &samples) > left_now
        && worker_ladder(&[], cores, m.io_bound) != [cores]
    {
        let full = round_estimate(&pairs, &samples);
        pairs = pairs_of(&[cores]);
        m.notes.push(format!(
            "one round of every worker count would take about {:.0} s, over the {:.0} s budget: measured \
             ×{cores} only (run with --workers or --budget for more)",
            full.as_secs_f64(),
            budget.as_secs_f64()
        ));
    }
    let (min_rounds, max_rounds) = match plan.sampling.runs.map(|n| n.get()) {
        Some(n) => (n, n),
        None => {
            let wanted = plan
                .sampling
                .min_rounds
                .map_or(DEFAULT_MIN_ROUNDS, |n| n.get());
            let fit = if plan.sampling.min_rounds.is_some() {
                wanted
            } else {
                let round = round_estimate(&pairs, &samples).max(Duration::from_nanos(1));
                let n = (left_now.as_nanos() / round.as_nanos()) as usize;
                n.clamp(1, wanted)
            };
            if fit < wanted {
                m.notes.push(format!(
                    "{fit} round{} instead of {wanted}: a round takes about {:.0} s of the {:.0} s budget",
                    if fit == 1 { "" } else { "s" },
                    round_estimate(&pairs, &samples).as_secs_f64(),
                    budget.as_secs_f64()
                ));
            }
            (fit, DEFAULT_MAX_ROUNDS.max(wanted))
        }
    };

    let mut previous: BTreeMap<RunKey, u64> = BTreeMap::new();
    let mut done = 0usize;
    for round in 0..max_rounds {
        let live: Vec<RunKey> = pairs
            .iter()
            .copied()
            .filter(|p| !failed.contains(p))
            .collect();
        if live.is_empty() {
            break;
        }
        let next = round_estimate(&live, &samples);
        if round >= min_rounds && clock.elapsed() + next > budget {
            break;
        }
        let planned_rounds = max_rounds.min(min_rounds.max(round + 1));
        for (i, &key) in live.iter().enumerate() {
            if failed.contains(&key) {
                // Skipped after a timeout earlier in this round.
                continue;
            }
            let (model, workers) = (key.model, key.workers);
            let rest_of_round: Duration = live[i..]
                .iter()
                .map(|&p| estimate(&samples, p, seq_time, cores))
                .sum();
            let later = next * (planned_rounds.saturating_sub(round + 1)) as u32;
            events(Event::Sample {
                model,
                workers,
                round: round + 1,
                rounds: planned_rounds,
                done,
                total: done
                    + (live.len() - i)
                    + live.len() * planned_rounds.saturating_sub(round + 1),
                left: rest_of_round + later,
            });
            match driver.run(RunSpec::of(key))? {
                Ok(s) => samples.entry(key).or_default().push(s),
                Err(e) => {
                    let timed_out = e.kind == FailureKind::Timeout;
                    m.errors.push(e);
                    failed.insert(key);
                    if timed_out {
                        for &run in &pairs {
                            if hangs_with(key, run) && failed.insert(run) {
                                let samples = samples.get(&run).map_or(0, Vec::len);
                                m.skipped.push(SkippedRun {
                                    run,
                                    after: key,
                                    samples,
                                });
                            }
                        }
                    }
                }
            }
            done += 1;
        }
        m.rounds = round + 1;
        let medians: BTreeMap<RunKey, u64> = samples
            .iter()
            .map(|(k, v)| (*k, summary::median(v.iter().map(|s| s.wall_ns))))
            .collect();
        if plan.sampling.runs.is_none() && m.rounds >= min_rounds && !previous.is_empty() {
            let stable = medians.iter().all(|(k, med)| {
                previous.get(k).is_some_and(|p| {
                    (*med as f64 - *p as f64).abs() <= STABLE_MEDIAN * (*med).max(1) as f64
                })
            });
            if stable {
                break;
            }
        }
        previous = medians;
    }

    for &key in &pairs {
        let (model, workers) = (key.model, key.workers);
        let Some(v) = samples.get(&key) else {
            continue;
        };
        let bad = reference
            .as_ref()
            .and_then(|r| v.iter().find(|s| s.digest != r.digest).map(|s| (r, s)));
        let matches = reference.is_some() && bad.is_none();
        if let Some((r, s)) = bad {
            let (n, names) = differing(&*driver, &r.job_digests, &s.job_digests);
            let which = if n > 0 {
                format!(
                    " in {n} job{} ({})",
                    if n == 1 { "" } else { "s" },
                    names.join(", ")
                )
            } else {
                String::new()
            };
            m.errors.push(WorkloadError {
                model: Some(model),
                workers: Some(workers),
                kind: FailureKind::Mismatch,
                job: None,
                at_timeout: Box::default(),
                message: format!(
                    "{}: results differ from the sequential run{which} (shared or process-global state); its \
                     timings are not comparable",
                    key.label()
                ),
            });
        }
        m.runs.push(summary::summarize(key, cores, v, matches));
    }
    m.profiling_ns = clock.elapsed().as_nanos() as u64;
    m.measured_ns = samples.values().flatten().map(|s| s.wall_ns).sum();
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::num::NonZeroUsize;
    use std::rc::Rc;

    /// A scripted workload: each (model, workers) takes a fixed time, gives a fixed digest, or fails.
    struct Fake {
        now: Rc<Cell<Duration>>,
        time: Box<dyn Fn(RunSpec) -> Duration>,
        digests: Box<dyn Fn(RunSpec) -> Vec<String>>,
        fail: Box<dyn Fn(RunSpec) -> Option<FailureKind>>,
        reorders: bool,
        log: Vec<RunSpec>,
    }

    struct FakeClock(Rc<Cell<Duration>>);

    impl Clock for FakeClock {
        fn elapsed(&self) -> Duration {
            self.0.get()
        }
    }

    impl Driver for Fake {
        fn run(&mut self, spec: RunSpec) -> Result<super::super::driver::RunResult> {
            self.log.push(spec);
            let t = (self.time)(spec);
            self.now.set(self.now.get() + t);
            if let Some(kind) = (self.fail)(spec) {
                return Ok(Err(super::super::driver::run_error(
                    spec,
                    kind,
                    Some(2),
                    format!("{kind} in job 2"),
                )));
            }
            let job_digests = (self.digests)(spec);
            Ok(Ok(Sample {
                wall_ns: t.as_nanos() as u64,
                user_ns: t.as_nanos() as u64 * spec.workers.min(2) as u64,
                digest: job_digests.concat(),
                job_digests,
                ..Sample::default()
            }))
        }
        fn reorders(&self) -> bool {
            self.reorders
        }
    }

    /// Perfect scaling to 2 cores from 1 s sequential, same digests everywhere.
    fn fake() -> Fake {
        Fake {
            now: Rc::new(Cell::new(Duration::ZERO)),
            time: Box::new(|s| Duration::from_millis(1000 / s.workers.min(2) as u64)),
            digests: Box::new(|_| vec!["a".into(), "b".into(), "c".into()]),
            fail: Box::new(|_| None),
            reorders: true,
            log: Vec::new(),
        }
    }

    fn plan() -> Plan {
        Plan {
            sampling: Sampling::default(),
            remaining: REPORT_BUDGET,
            cores: 2,
            jobs: 3,
            is_async: false,
        }
    }

    fn go(f: &mut Fake, p: &Plan) -> Measured {
        let clock = FakeClock(Rc::clone(&f.now));
        run(f, p, &clock, &mut |_| {}).unwrap()
    }

    fn counted(f: &Fake) -> Vec<RunSpec> {
        // Warm-up and order check first.
        f.log[2..].to_vec()
    }

    #[test]
    fn stable_medians_stop_after_the_minimum_rounds() {
        let mut f = fake();
        let m = go(&mut f, &plan());
        assert_eq!(m.rounds, DEFAULT_MIN_ROUNDS);
        assert!(m.errors.is_empty(), "{:?}", m.errors);
        assert!(m.order_checked);
        // sequential + threads and processes at 1, 2, 4 workers, every round.
        assert_eq!(m.runs.len(), 7);
        assert_eq!(counted(&f).len(), 7 * DEFAULT_MIN_ROUNDS);
        assert!(m
            .runs
            .iter()
            .all(|r| r.results_match_sequential && r.samples == 3));
        assert_eq!(f.log[0], RunSpec::new(Model::Sequential, 1));
        assert_eq!(f.log[1].order, Order::Reverse);
    }

    #[test]
    fn runs_means_exactly_that_many_rounds() {
        let mut f = fake();
        let m = go(
            &mut f,
            &Plan {
                sampling: Sampling {
                    runs: NonZeroUsize::new(10),
                    ..Sampling::default()
                },
                ..plan()
            },
        );
        assert_eq!(m.rounds, 10);
        assert!(m.runs.iter().all(|r| r.samples == 10));
        let mut f = fake();
        let m = go(
            &mut f,
            &Plan {
                sampling: Sampling {
                    runs: NonZeroUsize::new(1),
                    ..Sampling::default()
                },
                ..plan()
            },
        );
        assert_eq!(m.rounds, 1);
    }

    #[test]
    fn min_rounds_holds_even_past_the_budget() {
        let mut f = fake();
        let p = Plan {
            sampling: Sampling {
                min_rounds: NonZeroUsize::new(4),
                budget: Some(Duration::from_secs(1)),
                ..Sampling::default()
            },
            ..plan()
        };
        let m = go(&mut f, &p);
        assert_eq!(m.rounds, 4);
    }

    #[test]
    fn drifting_medians_take_more_rounds_up_to_the_maximum() {
        let mut f = fake();
        let n = Rc::new(Cell::new(0u64));
        let k = Rc::clone(&n);
        f.time = Box::new(move |_| {
            k.set(k.get() + 1);
            Duration::from_millis(100 + 7 * k.get())
        });
        let m = go(&mut f, &plan());
        assert_eq!(m.rounds, DEFAULT_MAX_ROUNDS);
    }

    #[test]
    fn a_long_workload_gets_fewer_rounds_and_a_shorter_ladder_within_its_budget() {
        let mut f = fake();
        f.time = Box::new(|s| Duration::from_secs(60 / s.workers.min(2) as u64));
        let m = go(&mut f, &plan());
        // Budget: 30 x 60 s capped at 180 s; the full ladder's round (~300 s) does not fit.
        assert_eq!(m.budget_ns, BUDGET_CAP.as_nanos() as u64);
        let workers: BTreeSet<usize> = m.runs.iter().map(|r| r.workers).collect();
        assert_eq!(workers, BTreeSet::from([1, 2]));
        assert_eq!(m.rounds, 1);
        assert_eq!(m.notes.len(), 2, "{:?}", m.notes);
        assert!(m.notes[0].contains("×2 only"), "{:?}", m.notes);
    }

    #[test]
    fn the_report_budget_caps_the_workload_budget() {
        let p = Plan {
            remaining: Duration::from_secs(5),
            ..plan()
        };
        assert_eq!(
            budget_for(&p, Duration::from_secs(1)),
            Duration::from_secs(5)
        );
        assert_eq!(budget_for(&plan(), Duration::from_millis(10)), BUDGET_FLOOR);
        assert_eq!(
            budget_for(&plan(), Duration::from_secs(2)),
            Duration::from_secs(60)
        );
    }

    #[test]
    fn a_failing_pair_is_recorded_once_and_not_run_again() {
        let mut f = fake();
        f.fail = Box::new(|s| {
            (s.model == Model::Processes && s.workers == 2).then_some(FailureKind::Panic)
        });
        let m = go(&mut f, &plan());
        let errs: Vec<&WorkloadError> = m
            .errors
            .iter()
            .filter(|e| e.kind == FailureKind::Panic)
            .collect();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].job, Some(2));
        let runs_of = counted(&f)
            .iter()
            .filter(|s| s.model == Model::Processes && s.workers == 2)
            .count();
        assert_eq!(runs_of, 1);
        assert!(m.run_of(Model::Processes, 2).is_none());
    }

    #[test]
    fn a_hanging_warm_up_costs_one_timeout_and_skips_every_other_pair() {
        let mut f = fake();
        f.time = Box::new(|_| Duration::from_secs(8));
        f.fail = Box::new(|_| Some(FailureKind::Timeout));
        let m = go(&mut f, &plan());
        // Only the warm-up ran: no order check, no counted run.
        assert_eq!(f.log, vec![RunSpec::new(Model::Sequential, 1)]);
        assert_eq!(m.errors.len(), 1, "{:?}", m.errors);
        assert_eq!(m.errors[0].kind, FailureKind::Timeout);
        assert!(m.runs.is_empty());
        let skipped: BTreeSet<RunKey> = m.skipped.iter().map(|s| s.run).collect();
        let expect: BTreeSet<RunKey> = [1, 2, 4]
            .into_iter()
            .flat_map(|w| {
                [
                    RunKey::plain(Model::Threads, w),
                    RunKey::plain(Model::Processes, w),
                ]
            })
            .collect();
        assert_eq!(skipped, expect);
        assert!(m
            .skipped
            .iter()
            .all(|s| s.samples == 0 && s.after == RunKey::plain(Model::Sequential, 1)));
        assert!(
            m.notes.is_empty(),
            "no ladder or round notes: {:?}",
            m.notes
        );
    }

    #[test]
    fn a_timeout_under_one_model_skips_the_rest_of_that_model_only() {
        let mut f = fake();
        f.fail = Box::new(|s| {
            (s.model == Model::Threads && s.workers == 2).then_some(FailureKind::Timeout)
        });
        let m = go(&mut f, &plan());
        let timeouts: Vec<&WorkloadError> = m
            .errors
            .iter()
            .filter(|e| e.kind == FailureKind::Timeout)
            .collect();
        assert_eq!(timeouts.len(), 1, "{:?}", m.errors);
        let runs_of = |model: Model, workers: usize| {
            counted(&f)
                .iter()
                .filter(|s| s.model == model && s.workers == workers)
                .count()
        };
        // threads x2 timed out in the first round: x4 (after it in the round) never ran, x1 (before it)
        // kept its one sample; processes and sequential ran every round.
        assert_eq!(runs_of(Model::Threads, 2), 1);
        assert_eq!(runs_of(Model::Threads, 4), 0);
        assert_eq!(runs_of(Model::Threads, 1), 1);
        for w in [1, 2, 4] {
            assert_eq!(runs_of(Model::Processes, w), m.rounds, "processes x{w}");
        }
        assert!(m.rounds >= DEFAULT_MIN_ROUNDS);
        let after = RunKey::plain(Model::Threads, 2);
        assert_eq!(
            m.skipped,
            vec![
                SkippedRun {
                    run: RunKey::plain(Model::Threads, 1),
                    after,
                    samples: 1
                },
                SkippedRun {
                    run: RunKey::plain(Model::Threads, 4),
                    after,
                    samples: 0
                },
            ]
        );
        assert_eq!(m.run_of(Model::Threads, 1).map(|r| r.samples), Some(1));
        assert!(m.run_of(Model::Threads, 4).is_none());
        // Another failure kind is only that pair's failure.
        let mut f = fake();
        f.fail = Box::new(|s| {
            (s.model == Model::Threads && s.workers == 2).then_some(FailureKind::Panic)
        });
        let m = go(&mut f, &plan());
        assert!(m.skipped.is_empty());
        assert!(m.run_of(Model::Threads, 4).is_some());
    }

    #[test]
    fn a_failing_warm_up_is_a_failure_and_no_order_check_runs() {
        let mut f = fake();
        f.fail = Box::new(|s| (s.model == Model::Sequential).then_some(FailureKind::Crash));
        let m = go(&mut f, &plan());
        assert!(!m.order_checked);
        assert!(m
            .errors
            .iter()
            .any(|e| e.kind == FailureKind::Crash && e.model == Some(Model::Sequential)));
        assert!(m.runs.iter().all(|r| !r.results_match_sequential));
        assert!(f.log.iter().all(|s| s.order == Order::Forward));
    }

    #[test]
    fn different_results_are_a_mismatch_naming_the_jobs() {
        let mut f = fake();
        f.digests = Box::new(|s| {
            if s.model == Model::Threads && s.workers >= 2 {
                vec!["a".into(), "x".into(), "c".into()]
            } else {
                vec!["a".into(), "b".into(), "c".into()]
            }
        });
        let m = go(&mut f, &plan());
        let mism: Vec<&WorkloadError> = m
            .errors
            .iter()
            .filter(|e| e.kind == FailureKind::Mismatch)
            .collect();
        assert_eq!(mism.len(), 2, "{mism:?}");
        assert!(mism.iter().all(|e| e.model == Some(Model::Threads)));
        assert!(
            mism[0].message.contains("1 job (job 1)"),
            "{}",
            mism[0].message
        );
        assert!(
            !m.run_of(Model::Threads, 2)
                .unwrap()
                .results_match_sequential
        );
        assert!(
            m.run_of(Model::Threads, 1)
                .unwrap()
                .results_match_sequential
        );
    }

    #[test]
    fn results_that_depend_on_job_order_are_found_by_the_reverse_run() {
        let mut f = fake();
        f.digests = Box::new(|s| {
            if s.order == Order::Reverse {
                vec!["c".into(), "b".into(), "a".into()]
            } else {
                vec!["a".into(), "b".into(), "c".into()]
            }
        });
        let m = go(&mut f, &plan());
        let e = m
            .errors
            .iter()
            .find(|e| e.kind == FailureKind::OrderDependent)
            .unwrap();
        assert!(e.message.contains("2 of 3 jobs"), "{}", e.message);
        assert!(e.message.contains("job 0, job 2"), "{}", e.message);
        // Without reordering support there is no check.
        let mut f = fake();
        f.reorders = false;
        let m = go(&mut f, &plan());
        assert!(!m.order_checked);
        assert_eq!(f.log[1].model, Model::Sequential);
        assert_eq!(f.log[1].order, Order::Forward);
    }

    #[test]
    fn io_bound_workloads_get_more_workers() {
        let mut f = fake();
        // user time 0: the fake's sequential run is entirely off-CPU.
        f.time = Box::new(|s| Duration::from_millis(200 / s.workers as u64));
        struct OffCpu(Fake);
        impl Driver for OffCpu {
            fn run(&mut self, spec: RunSpec) -> Result<super::super::driver::RunResult> {
                Ok(self.0.run(spec)?.map(|mut s| {
                    s.user_ns = 0;
                    s
                }))
            }
        }
        let clock = FakeClock(Rc::clone(&f.now));
        let mut d = OffCpu(f);
        let m = run(&mut d, &plan(), &clock, &mut |_| {}).unwrap();
        assert!(m.io_bound);
        let workers: BTreeSet<usize> = m.runs.iter().map(|r| r.workers).collect();
        assert_eq!(workers, BTreeSet::from([1, 2, 4, 8, 16]));
        assert!(io_bound(10, 100) && !io_bound(60, 100));
        // An I/O-bound async workload: tasks in flight go past the worker ladder (to 32x and 128x cores,
        // never more than the jobs), on the same default plan.
        let mut d = d;
        d.0.log.clear();
        let clock = FakeClock(Rc::clone(&d.0.now));
        let async_plan = Plan {
            jobs: 128,
            is_async: true,
            ..plan()
        };
        let m = run(&mut d, &async_plan, &clock, &mut |_| {}).unwrap();
        let in_flight: BTreeSet<usize> = m.runs.iter().filter_map(|r| r.in_flight).collect();
        assert_eq!(in_flight, BTreeSet::from([1, 2, 4, 8, 16, 64, 128]));
    }

    #[test]
    fn progress_events_count_down_to_zero() {
        let mut f = fake();
        let clock = FakeClock(Rc::clone(&f.now));
        let mut seen = Vec::new();
        run(&mut f, &plan(), &clock, &mut |e| seen.push(e)).unwrap();
        assert_eq!(seen[0], Event::WarmUp);
        let Some(Event::Sample {
            left, done, total, ..
        }) = seen.last()
        else {
            panic!("{seen:?}")
        };
        assert_eq!(*done + 1, *total);
        assert!(*left <= Duration::from_secs(1), "{left:?}");
        let Event::Sample { left: first, .. } = &seen[1] else {
            panic!()
        };
        assert!(*first > Duration::from_secs(5), "{first:?}");
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
    fn libtest_drivers_do_not_run_threads_one() {
        struct NoT1(Fake);
        impl Driver for NoT1 {
            fn run(&mut self, spec: RunSpec) -> Result<super::super::driver::RunResult> {
                self.0.run(spec)
            }
            fn threads_one_differs(&self) -> bool {
                false
            }
        }
        let f = fake();
        let clock = FakeClock(Rc::clone(&f.now));
        let mut d = NoT1(f);
        let m = run(&mut d, &plan(), &clock, &mut |_| {}).unwrap();
        assert!(m.run_of(Model::Threads, 1).is_none());
        assert!(m.run_of(Model::Processes, 1).is_some());
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
