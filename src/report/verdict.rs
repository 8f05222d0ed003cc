//! The decision for one workload, as a table: the situation is computed once ([`Situation`]), then an
//! ordered `match` with guards picks the row — failure, then correctness exclusions (order dependence,
//! neither model safe), then I/O-bound, then the comparison of the usable models, and sequential when
//! nothing pays off. Every reason carries a [`Code`] and its numbers; code-related reasons carry file:line.
//! Worker counts are only ever ones that were measured.

use crate::profile::doc::{FailureKind, RunSummary};
use crate::vocab::FindingKind;
use crate::vocab::Model;

use super::evidence::{
    ci, duration, label, megabytes, times, Evidence, ModelPoint, PathFinding, LOCK_KINDS,
};
use super::reason::*;
use super::stats::{ratio_of_medians_n, seed_for, Bootstrapped};
use crate::report::doc::Verdict;

/// Below this median speedup over sequential, parallelism is not worth it.
pub const MEANINGFUL_SPEEDUP: f64 = 1.15;
/// One-sided bootstrap probability of being faster than sequential needed to call a speedup real.
pub const BEATS_SEQUENTIAL_PROBABILITY: f64 = 0.9;
/// The one definition of I/O-bound, shared with the profiler's schedule.
pub use crate::profile::schedule::IO_BOUND_CPU_SHARE;
/// Two models within this factor of each other, or with an interval covering 1, are tied on speed.
pub const TIE_MARGIN: f64 = 1.05;
/// Concurrency at which async tasks beat threads.
pub const ASYNC_CONCURRENCY: usize = 1000;
/// Jobs shorter than this (sequential wall / jobs) are dominated by dispatch costs.
pub const SMALL_JOB_NS: f64 = 100_000.0;
/// Setup shorter than this is not worth a line.
pub const SETUP_WORTH_TELLING_NS: u64 = 1_000_000;

/// The verdict with its evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub model: Verdict,
    pub workers: usize,
    pub confidence: f64,
    pub reasons: Vec<Reason>,
    /// The workload itself failed (sequential run or every model); the verdict is only a fallback.
    pub failed: bool,
    /// The reasons name globals of the workload's code that the analysis did not trace to the path.
    pub cites_untraced_globals: bool,
}

impl Decision {
    fn sequential(confidence: f64, reasons: Vec<Reason>) -> Decision {
        Decision {
            model: Verdict::Sequential,
            workers: 1,
            confidence: round2(confidence),
            reasons,
            failed: false,
            cites_untraced_globals: false,
        }
    }

    /// The reason codes, in order.
    pub fn codes(&self) -> Vec<Code> {
        self.reasons.iter().map(|r| r.code).collect()
    }
}

/// `1 worker`, `2 workers`
fn workers_text(n: usize) -> String {
    if n == 1 {
        "1 worker".into()
    } else {
        format!("{n} workers")
    }
}

/// Confidence from how far the lower end of a "better by" interval clears 1.
fn decisiveness(low: f64) -> f64 {
    CONFIDENCE_BARELY
        + (CONFIDENCE_DECISIVE - CONFIDENCE_BARELY)
            * ((low - 1.0) / (DECISIVE_LOW - 1.0)).clamp(0.0, 1.0)
}

fn round2(x: f64) -> f64 {
    (x.clamp(0.0, 1.0) * 100.0).round() / 100.0
}

/// Why a parallel model cannot be used, and how sure that is.
#[derive(Debug, Clone)]
struct Exclusion {
    reasons: Vec<Reason>,
    /// A measured failure (different results, crash) rather than a static finding only.
    measured: bool,
}

fn short_digest(run: &RunSummary) -> Option<&str> {
    run.raw_samples
        .first()
        .map(|s| s.digest.as_str())
        .filter(|d| !d.is_empty())
        .map(|d| &d[..d.len().min(12)])
}

/// Errors that are about the workload as a whole, not one model.
fn is_order_error(kind: FailureKind) -> bool {
    kind == FailureKind::OrderDependent
}

fn exclusion(ev: &Evidence<'_>, model: Model) -> Option<Exclusion> {
    let mut reasons = Vec::new();
    let mut measured = false;
    let mismatched: Vec<&RunSummary> = ev
        .workload
        .runs
        .iter()
        .filter(|r| r.model == model && !r.results_match_sequential)
        .collect();
    if !mismatched.is_empty() {
        measured = true;
        let which: Vec<String> = mismatched
            .iter()
            .map(|r| format!("×{}", r.workers))
            .collect();
        let digests = match (
            ev.sequential.and_then(short_digest),
            short_digest(mismatched[0]),
        ) {
            (Some(seq), Some(par)) if seq != par => {
                format!(" (result digest {par} vs {seq} sequential)")
            }
            _ => String::new(),
        };
        let detail = ev
            .workload
            .errors
            .iter()
            .find(|e| e.model == Some(model) && e.kind == FailureKind::Mismatch)
            .and_then(|e| e.message.split_once(" in ").map(|(_, rest)| rest))
            .and_then(|rest| rest.split_once(" (shared").map(|(jobs, _)| jobs))
            .map(|jobs| format!(", in {jobs}"))
            .unwrap_or_default();
        reasons.push(Reason::new(
            Code::ResultsDiffer,
            format!(
                "{} {} gave different results from the sequential run{digests}{detail}: {} ruled out whatever \
                 the timings",
                model.as_str(),
                which.join(", "),
                model.as_str()
            ),
        ));
    }
    for e in &ev.workload.errors {
        if e.model != Some(model) || (e.kind == FailureKind::Mismatch && !mismatched.is_empty()) {
            continue;
        }
        measured = true;
        let at = e.workers.map(|n| format!(" ×{n}")).unwrap_or_default();
        let job = e.job.map(|j| format!(" in job {j}")).unwrap_or_default();
        reasons.push(Reason::new(
            Code::ModelFailed,
            format!(
                "{}{at} failed ({}{job}): {}",
                model.as_str(),
                e.kind,
                e.message
            ),
        ));
    }
    if model == Model::Threads {
        for f in ev.findings_of(&[FindingKind::ProcessGlobal]) {
            reasons.push(Reason::new(
                Code::ProcessGlobal,
                format!(
                    "process-global mutation {} at {}{}: {}; threads share one process, so threads are ruled \
                     out whatever the timings",
                    ev.reached_from(&f),
                    f.location(),
                    f.finding
                        .function
                        .as_deref()
                        .map(|p| format!(" ({p})"))
                        .unwrap_or_default(),
                    f.finding.message
                ),
            ));
        }
    }
    (!reasons.is_empty()).then_some(Exclusion { reasons, measured })
}

/// `threads ×2: 1.93x over sequential (95% CI 1.85-2.01)`
fn speedup_line(p: &ModelPoint<'_>) -> Reason {
    Reason::new(
        Code::Speedup,
        format!(
            "{}: {} over sequential in the job phase ({}){}",
            label(p.run.model, p.run.workers),
            times(p.speedup.interval.estimate),
            ci(&p.speedup),
            if p.oversubscribed {
                ", more workers than cores"
            } else {
                ""
            }
        ),
    )
}

fn samples_quality(ev: &Evidence<'_>) -> f64 {
    let runs = &ev.workload.runs;
    let few = runs.iter().any(|r| r.samples < 3);
    let noisy = runs.iter().any(|r| r.noisy);
    (if few { QUALITY_FEW_SAMPLES } else { 1.0 }) * (if noisy { QUALITY_NOISY } else { 1.0 })
}

fn failure(ev: &Evidence<'_>) -> Option<Vec<Reason>> {
    let w = ev.workload;
    let fail = |text: String| Reason::new(Code::WorkloadFailed, text);
    let mut reasons: Vec<Reason> = w
        .errors
        .iter()
        .filter(|e| matches!(e.model, None | Some(Model::Sequential)) && !is_order_error(e.kind))
        .map(|e| {
            let job = e.job.map(|j| format!(" in job {j}")).unwrap_or_default();
            fail(format!("workload failed ({}{job}): {}", e.kind, e.message))
        })
        .collect();
    let seq_measured = ev.sequential.is_some_and(|s| s.wall_ns.median > 0);
    if !seq_measured {
        if reasons.is_empty() {
            let others: Vec<String> = w
                .errors
                .iter()
                .map(|e| {
                    let model = e.model.map(|m| m.as_str()).unwrap_or("workload");
                    format!("{model} failed ({}): {}", e.kind, e.message)
                })
                .collect();
            if others.is_empty() {
                reasons.push(fail(
                    "workload failed: no sequential measurement to compare with".into(),
                ));
            } else {
                reasons.extend(
                    others
                        .into_iter()
                        .map(|o| fail(format!("workload failed: {o}"))),
                );
            }
        }
        return Some(reasons);
    }
    (!reasons.is_empty()).then_some(reasons)
}

/// Setup, beside the job-phase speedups and stated the same way in every run: once per process (sequential,
/// threads), once per worker process; what it costs each model and what the whole run gains.
fn setup_line(ev: &Evidence<'_>, winner: Option<&ModelPoint<'_>>) -> Option<Reason> {
    let seq = ev.sequential?;
    let setup = seq.setup_ns.median;
    if setup < SETUP_WORTH_TELLING_NS {
        return None;
    }
    let per_process = ev
        .best(Model::Processes)
        .map(|p| {
            format!(
                "; processes ×{} run it in every worker ({} each, {} of CPU in all)",
                p.run.workers,
                duration(p.run.setup_ns.median as f64),
                duration((p.run.setup_ns.median * p.run.workers as u64) as f64)
            )
        })
        .unwrap_or_default();
    let whole = winner
        .map(|w| {
            format!(
                "; the whole run goes from {} to {} on {} ({})",
                duration(seq.wall_ns.median as f64),
                duration(w.run.wall_ns.median as f64),
                label(w.run.model, w.run.workers),
                times(seq.wall_ns.median as f64 / w.run.wall_ns.median.max(1) as f64)
            )
        })
        .unwrap_or_default();
    Some(Reason::new(
        Code::Setup,
        format!(
            "setup takes {} once per process and is outside the speedups, which compare the job phase{per_process}{whole}",
            duration(setup as f64)
        ),
    ))
}

/// What keeps parallel runs from paying off, with numbers and source lines.
/// `threads_usable`: threads are not ruled out (a lock only matters to threads that may run).
fn sequential_limits(
    ev: &Evidence<'_>,
    best: Option<&ModelPoint<'_>>,
    threads_usable: bool,
) -> Vec<Reason> {
    let mut out = Vec::new();
    for f in ev.findings_of(&LOCK_KINDS).iter().take(2) {
        out.push(Reason::new(
            Code::LockOnPath,
            format!(
                "a lock on the workload's path serialises the jobs: {} at {}",
                f.finding.message,
                f.location()
            ),
        ));
    }
    if let Some(seq) = ev.sequential {
        let jobs = ev.workload.jobs.max(1) as f64;
        let job_phase = seq.wall_ns.median.saturating_sub(seq.setup_ns.median) as f64;
        let per_job = job_phase / jobs;
        // CPU-bound jobs big enough to split that still do not scale on threads: maybe a lock the analysis
        // did not trace to the path.
        let cpu_bound = ev
            .sequential_cpu_share()
            .is_some_and(|s| s >= IO_BOUND_CPU_SHARE);
        let threads_flat = ev
            .best(Model::Threads)
            .is_none_or(|t| t.speedup.interval.estimate < MEANINGFUL_SPEEDUP);
        if threads_usable && cpu_bound && per_job >= SMALL_JOB_NS && threads_flat {
            out.extend(ev.untraced_lock_lines(2));
        }
        if per_job < SMALL_JOB_NS {
            out.push(Reason::new(
                Code::SmallJobs,
                format!(
                    "jobs too small for the dispatch cost: {} per job ({} jobs in {})",
                    duration(per_job),
                    ev.workload.jobs,
                    duration(job_phase)
                ),
            ));
        }
        if let Some(t) = ev.best(Model::Threads) {
            let ratio = t.run.cpu_ns.median as f64 / seq.cpu_ns.median.max(1) as f64;
            if ratio >= 1.3 {
                out.push(Reason::new(
                    Code::CpuContention,
                    format!(
                        "{} burns {} the sequential CPU time for the same jobs ({} vs {}): contention, not work",
                        label(Model::Threads, t.run.workers),
                        times(ratio),
                        duration(t.run.cpu_ns.median as f64),
                        duration(seq.cpu_ns.median as f64)
                    ),
                ));
            }
        }
        if let Some(p1) = ev.processes.iter().find(|p| p.run.workers == 1) {
            let spawn = p1.run.wall_ns.median as f64 - seq.wall_ns.median as f64;
            if spawn > 0.2 * seq.wall_ns.median as f64 {
                out.push(Reason::new(
                    Code::SpawnCost,
                    format!(
                        "starting worker processes costs about {} (processes ×1 vs sequential), {:.0}% of the \
                         sequential run",
                        duration(spawn),
                        100.0 * spawn / seq.wall_ns.median as f64
                    ),
                ));
            }
        }
    }
    match best {
        Some(b) => out.push(Reason::new(
            Code::NotWorthIt,
            format!(
                "neither model beats sequential by a meaningful margin: best is {} at {} ({}); {} needed",
                label(b.run.model, b.run.workers),
                times(b.speedup.interval.estimate),
                ci(&b.speedup),
                times(MEANINGFUL_SPEEDUP)
            ),
        )),
        None => out.push(Reason::new(
            Code::NotWorthIt,
            "no parallel run could be compared with the sequential one",
        )),
    }
    out
}

/// Why one model beat the other: code and counters.
fn gap_explanation(
    ev: &Evidence<'_>,
    winner: &ModelPoint<'_>,
    loser: &ModelPoint<'_>,
) -> Vec<Reason> {
    let mut out = Vec::new();
    let (threads, processes) = match winner.run.model {
        Model::Processes => (loser.run, winner.run),
        _ => (winner.run, loser.run),
    };
    let seq = ev.sequential;
    if winner.run.model == Model::Processes {
        for f in ev.findings_of(&LOCK_KINDS).iter().take(3) {
            out.push(Reason::new(
                Code::LockOnPath,
                format!(
                    "lock on the workload's path: {} at {} ({}): threads queue on one instance, each process has \
                     its own",
                    f.finding.message,
                    f.location(),
                    ev.reached_from(f)
                ),
            ));
        }
        if loser.speedup.interval.estimate < MEANINGFUL_SPEEDUP {
            out.extend(ev.untraced_lock_lines(2));
        }
        if let Some(seq) = seq {
            let (ts, ss) = (threads.sys_ns.median as f64, seq.sys_ns.median as f64);
            let tc = threads.cpu_ns.median.max(1) as f64;
            if ts > 2.0 * ss.max(1.0) && ts > 0.05 * tc {
                out.push(Reason::new(
                    Code::SysTime,
                    format!(
                        "system time grows with workers: {} sequential, {} on {} (allocator or mmap contention)",
                        duration(ss),
                        duration(ts),
                        label(Model::Threads, threads.workers)
                    ),
                ));
            }
            let (tf, sf) = (threads.minor_faults as f64, seq.minor_faults as f64);
            if tf > 1.5 * sf.max(1.0) && tf - sf > 1000.0 {
                out.push(Reason::new(
                    Code::PageFaults,
                    format!(
                        "minor page faults grow with workers: {} sequential, {} on {}",
                        seq.minor_faults,
                        threads.minor_faults,
                        label(Model::Threads, threads.workers)
                    ),
                ));
            }
            let cpu_ratio = tc / seq.cpu_ns.median.max(1) as f64;
            if cpu_ratio >= 1.3 {
                out.push(Reason::new(
                    Code::CpuContention,
                    format!(
                        "{} spends {} the sequential CPU time on the same jobs ({} vs {}): waiting on shared state",
                        label(Model::Threads, threads.workers),
                        times(cpu_ratio),
                        duration(tc),
                        duration(seq.cpu_ns.median as f64)
                    ),
                ));
            }
        }
        if out.is_empty() {
            out.push(Reason::new(
                Code::NoExplanation,
                format!(
                    "no lock or contention counter explains the gap ({} finding{} on the workload's path)",
                    ev.findings.len(),
                    if ev.findings.len() == 1 { "" } else { "s" }
                ),
            ));
        }
    } else {
        let setup_each = processes.setup_ns.median as f64;
        if setup_each > 0.05 * processes.wall_ns.median.max(1) as f64 {
            out.push(Reason::new(
                Code::SetupPerProcess,
                format!(
                    "setup is duplicated per process: {} and about {} resident in each of {} (threads run it \
                     once: {} in total)",
                    duration(setup_each),
                    megabytes(processes.peak_rss_kb_total / processes.workers.max(1) as u64),
                    workers_text(processes.workers),
                    megabytes(threads.peak_rss_kb_total)
                ),
            ));
        }
        if processes.peak_rss_kb_total > threads.peak_rss_kb_total * 5 / 4
            && processes.peak_rss_kb_total > threads.peak_rss_kb_total + 4096
        {
            out.push(Reason::new(
                Code::PeakMemory,
                format!(
                    "peak memory {} over {} processes vs {} with {}",
                    megabytes(processes.peak_rss_kb_total),
                    processes.workers,
                    megabytes(threads.peak_rss_kb_total),
                    label(Model::Threads, threads.workers)
                ),
            ));
        }
        if let (Some(seq), Some(p1)) = (seq, ev.processes.iter().find(|p| p.run.workers == 1)) {
            let spawn = p1.run.wall_ns.median as f64 - seq.wall_ns.median as f64;
            if spawn > 0.05 * seq.wall_ns.median as f64 {
                out.push(Reason::new(
                    Code::SpawnCost,
                    format!(
                        "spawn cost: processes ×1 takes {} longer than sequential",
                        duration(spawn)
                    ),
                ));
            }
        }
    }
    out
}

/// Compares two measured points: how many times faster `a` is than `b` (wall of b / wall of a).
fn faster_by(ev: &Evidence<'_>, a: &ModelPoint<'_>, b: &ModelPoint<'_>) -> Option<Bootstrapped> {
    let seed = seed_for(&[
        &ev.workload.name,
        a.run.model.as_str(),
        &a.run.workers.to_string(),
        b.run.model.as_str(),
        &b.run.workers.to_string(),
    ]);
    ratio_of_medians_n(
        &super::evidence::job_phase_samples(b.run, ev.baseline),
        &super::evidence::job_phase_samples(a.run, ev.baseline),
        seed,
        ev.bootstrap,
    )
}

/// Beats sequential by a meaningful margin: a median speedup of at least [`MEANINGFUL_SPEEDUP`] and, by
/// the bootstrap, faster than sequential with one-sided probability [`BEATS_SEQUENTIAL_PROBABILITY`].
pub(super) fn meaningful(p: &ModelPoint<'_>) -> bool {
    p.speedup.interval.estimate >= MEANINGFUL_SPEEDUP
        && p.speedup.share_above(1.0) >= BEATS_SEQUENTIAL_PROBABILITY
}

/// An async runtime already on the workload's path.
pub(super) fn async_runtime_on_path<'a>(findings: &[PathFinding<'a>]) -> Option<PathFinding<'a>> {
    findings.iter().copied().find(|f| {
        f.finding.kind == FindingKind::BlockingInAsync
            || (matches!(f.finding.kind, FindingKind::Spawn | FindingKind::Channel)
                && f.finding
                    .data
                    .as_ref()
                    .and_then(|d| d.api())
                    .is_some_and(crate::rules::spawn::is_async_runtime_api))
    })
}

/// Everything the decision table looks at, computed once.
struct Situation<'e, 'a> {
    failure: Option<Vec<Reason>>,
    /// The order-dependence errors of the profile.
    order: Vec<&'a crate::profile::doc::WorkloadError>,
    t_excl: Option<Exclusion>,
    p_excl: Option<Exclusion>,
    t_best: Option<&'e ModelPoint<'a>>,
    p_best: Option<&'e ModelPoint<'a>>,
    /// The sequential run's CPU share when it is I/O-bound.
    io_share: Option<f64>,
    quality: f64,
}

impl<'e, 'a> Situation<'e, 'a> {
    fn of(ev: &'e Evidence<'a>) -> Situation<'e, 'a> {
        Situation {
            failure: failure(ev),
            order: ev
                .workload
                .errors
                .iter()
                .filter(|e| is_order_error(e.kind))
                .collect(),
            t_excl: exclusion(ev, Model::Threads),
            p_excl: exclusion(ev, Model::Processes),
            t_best: ev.best(Model::Threads),
            p_best: ev.best(Model::Processes),
            io_share: ev
                .sequential_cpu_share()
                .filter(|s| *s < IO_BOUND_CPU_SHARE),
            quality: samples_quality(ev),
        }
    }

    fn t_cand(&self) -> Option<&'e ModelPoint<'a>> {
        self.t_best.filter(|_| self.t_excl.is_none())
    }

    fn p_cand(&self) -> Option<&'e ModelPoint<'a>> {
        self.p_best.filter(|_| self.p_excl.is_none())
    }

    /// Exclusion reasons, correctness first in every verdict.
    fn exclusion_reasons(&self) -> Vec<Reason> {
        [&self.t_excl, &self.p_excl]
            .into_iter()
            .flatten()
            .flat_map(|e| e.reasons.iter().cloned())
            .collect()
    }

    /// I/O-bound and threads usable and paying off, processes not clearly faster: the threads point.
    fn io_bound_threads(&self, ev: &Evidence<'_>) -> Option<&'e ModelPoint<'a>> {
        self.io_share?;
        let t = self.t_cand().filter(|t| meaningful(t))?;
        let processes_clearly_faster = self
            .p_cand()
            .and_then(|p| faster_by(ev, p, t))
            .is_some_and(|r| r.interval.low > 1.1);
        (!processes_clearly_faster).then_some(t)
    }
}

pub fn decide(ev: &Evidence<'_>) -> Decision {
    let s = Situation::of(ev);
    let mut d = match &s {
        s if s.failure.is_some() => failed(s),
        s if !s.order.is_empty() => order_dependent(ev, s),
        s if s.t_excl.is_some() && s.p_excl.is_some() => no_safe_model(s),
        s if s.io_bound_threads(ev).is_some() => io_bound(ev, s),
        s if s.t_cand().is_some() || s.p_cand().is_some() => comparison(ev, s),
        s => not_worth_it(ev, s),
    };
    d.cites_untraced_globals = d.reasons.iter().any(|r| r.code == Code::UntracedGlobal);
    d
}

fn failed(s: &Situation<'_, '_>) -> Decision {
    Decision {
        model: Verdict::Sequential,
        workers: 1,
        confidence: CONFIDENCE_FAILED,
        reasons: s.failure.clone().unwrap_or_default(),
        failed: true,
        cites_untraced_globals: false,
    }
}

/// Results depend on the order jobs run in: threads or processes would only match by luck of scheduling.
fn order_dependent(ev: &Evidence<'_>, s: &Situation<'_, '_>) -> Decision {
    let mut reasons: Vec<Reason> = s
        .order
        .iter()
        .map(|e| {
            Reason::new(
                Code::OrderDependent,
                format!(
                    "{}: no parallel model is safe, whatever the timings (a match under threads would be luck of \
                     scheduling)",
                    e.message
                ),
            )
        })
        .collect();
    let globals = ev.findings_of(&LOCK_KINDS);
    for f in globals.iter().take(3) {
        reasons.push(Reason::new(
            Code::CarriedState,
            format!(
                "state on the path that can carry results from job to job: {} at {} ({}); derive it from the job \
                 id instead (e.g. seed a generator with the job id, index by job id)",
                f.finding.message,
                f.location(),
                ev.reached_from(f)
            ),
        ));
    }
    if globals.is_empty() {
        let untraced = ev.untraced_lock_lines(3);
        if untraced.is_empty() {
            reasons.push(Reason::new(
                Code::CarriedState,
                "no global on the path was found by the analysis: look for state kept between jobs (a static, \
                 a thread-local, a shared random stream, a counter) and derive it from the job id instead",
            ));
        }
        reasons.extend(untraced);
    }
    reasons.extend(s.exclusion_reasons());
    Decision::sequential(CONFIDENCE_ORDER_DEPENDENT * s.quality, reasons)
}

fn no_safe_model(s: &Situation<'_, '_>) -> Decision {
    let mut reasons = s.exclusion_reasons();
    reasons.push(Reason::new(
        Code::NoSafeModel,
        "neither threads nor processes can be used safely: the jobs stay sequential",
    ));
    let both_measured = s.t_excl.as_ref().is_some_and(|e| e.measured)
        && s.p_excl.as_ref().is_some_and(|e| e.measured);
    let c = if both_measured {
        CONFIDENCE_BOTH_EXCLUDED_MEASURED
    } else {
        CONFIDENCE_BOTH_EXCLUDED
    };
    Decision::sequential(c * s.quality, reasons)
}

/// Nothing usable pays off: sequential, saying what limits it.
fn not_worth_it(ev: &Evidence<'_>, s: &Situation<'_, '_>) -> Decision {
    let best_any = [s.t_best, s.p_best].into_iter().flatten().max_by(|a, b| {
        a.speedup
            .interval
            .estimate
            .total_cmp(&b.speedup.interval.estimate)
    });
    let mut reasons = s.exclusion_reasons();
    reasons.extend(sequential_limits(ev, best_any, s.t_excl.is_none()));
    reasons.extend(setup_line(ev, None));
    Decision::sequential(CONFIDENCE_NOTHING_COMPARABLE * s.quality, reasons)
}

/// The usable models compared with sequential and with each other.
fn comparison(ev: &Evidence<'_>, s: &Situation<'_, '_>) -> Decision {
    let mut reasons = s.exclusion_reasons();
    let (t_cand, p_cand) = (s.t_cand(), s.p_cand());
    let (winner, c_other, speed_reasons, confirmed) = match (t_cand, p_cand) {
        (Some(t), Some(p)) => {
            let (winner, c, mut lines, tie) = compare(ev, t, p);
            let other = if winner.run.model == Model::Threads {
                p
            } else {
                t
            };
            if tie && !meaningful(winner) && meaningful(other) {
                if winner.speedup.interval.estimate >= MEANINGFUL_SPEEDUP {
                    // Same speed within the noise: the other model's runs confirm the speedup.
                    lines.push(Reason::new(
                        Code::Confirmed,
                        format!(
                            "the speedup is confirmed by the {} runs, as fast within the noise",
                            other.run.model.as_str()
                        ),
                    ));
                    (winner, c, lines, true)
                } else {
                    // Cost only breaks ties between models that both pay off.
                    lines.push(Reason::new(
                        Code::OnlyOtherPays,
                        format!(
                            "{} does not beat sequential by a meaningful margin, {} does",
                            winner.run.model.as_str(),
                            other.run.model.as_str()
                        ),
                    ));
                    lines.extend(gap_explanation(ev, other, winner));
                    (other, c.min(CONFIDENCE_ONLY_OTHER_PAYS), lines, false)
                }
            } else {
                (winner, c, lines, false)
            }
        }
        (Some(only), None) | (None, Some(only)) => {
            let other = if only.run.model == Model::Threads {
                &s.p_excl
            } else {
                &s.t_excl
            };
            let c = match other {
                Some(e) if e.measured => CONFIDENCE_OTHER_FAILED,
                Some(_) => CONFIDENCE_OTHER_EXCLUDED,
                None => CONFIDENCE_UNCONTESTED,
            };
            let mut lines = vec![speedup_line(only)];
            let other_best = if only.run.model == Model::Threads {
                s.p_best
            } else {
                s.t_best
            };
            lines.extend(other_best.map(speedup_line));
            (only, c, lines, false)
        }
        (None, None) => return not_worth_it(ev, s),
    };

    if !(meaningful(winner) || confirmed) {
        let spawn_told = speed_reasons.iter().any(|r| r.code == Code::SpawnCost);
        reasons.extend(speed_reasons);
        // The interval reaches the meaningful speedup: the evidence cannot separate the two answers.
        let undecided = winner.speedup.interval.high >= MEANINGFUL_SPEEDUP;
        if undecided {
            reasons.push(Reason::new(
                Code::Tie,
                format!(
                    "a tie: the evidence cannot separate sequential from {} ({}, {}, across the {} needed); \
                     sequential until more rounds (--runs 10) or longer jobs decide it",
                    label(winner.run.model, winner.run.workers),
                    times(winner.speedup.interval.estimate),
                    ci(&winner.speedup),
                    times(MEANINGFUL_SPEEDUP)
                ),
            ));
        }
        reasons.extend(
            sequential_limits(ev, Some(winner), s.t_excl.is_none())
                .into_iter()
                .filter(|r| !(spawn_told && r.code == Code::SpawnCost)),
        );
        reasons.extend(setup_line(ev, None));
        let c = if undecided {
            CONFIDENCE_TIE
        } else {
            CONFIDENCE_CLEARLY_NOT_WORTH
        };
        return Decision::sequential(c * s.quality, reasons);
    }
    let confidence = decisiveness(winner.speedup.interval.low).min(c_other) * s.quality;
    reasons.extend(speed_reasons);
    reasons.extend(setup_line(ev, Some(winner)));
    reasons.extend(more_may_help(ev, winner));
    Decision {
        model: match winner.run.model {
            Model::Processes => Verdict::Processes,
            _ => Verdict::Threads,
        },
        workers: winner.run.workers,
        confidence: round2(confidence),
        reasons,
        failed: false,
        cites_untraced_globals: false,
    }
}

/// When the chosen count is the largest measured, below the core count (CPU-bound work gains nothing past
/// the cores), and still gaining: say so instead of guessing more.
fn more_may_help(ev: &Evidence<'_>, winner: &ModelPoint<'_>) -> Option<Reason> {
    let points = ev.points(winner.run.model);
    let max = points.iter().map(|p| p.run.workers).max()?;
    if winner.run.workers < max || points.len() < 2 || max >= ev.cores {
        return None;
    }
    let below = points
        .iter()
        .filter(|p| p.run.workers < max)
        .map(|p| p.speedup.interval.estimate)
        .fold(f64::NEG_INFINITY, f64::max);
    let still_gaining = winner.speedup.interval.estimate > TIE_MARGIN * below;
    still_gaining.then(|| {
        Reason::new(
            Code::MeasuredUpTo,
            format!(
                "measured up to ×{max}; more may help: run with --workers {max},{}",
                ev.cores
            ),
        )
    })
}

/// Both models usable: the faster one when the difference is outside the noise, else the cheaper one
/// (the last item: true for such a tie).
fn compare<'e, 'a>(
    ev: &'e Evidence<'a>,
    t: &'e ModelPoint<'a>,
    p: &'e ModelPoint<'a>,
) -> (&'e ModelPoint<'a>, f64, Vec<Reason>, bool) {
    let mut lines = Vec::new();
    // Compare at one worker count when a model's run there is as good as its best (within 3%).
    let common = t.run.workers.max(p.run.workers);
    let aligned = |best: &'e ModelPoint<'a>| -> &'e ModelPoint<'a> {
        ev.points(best.run.model)
            .iter()
            .find(|q| {
                q.run.workers == common
                    && q.run.results_match_sequential
                    && q.speedup.interval.estimate >= 0.97 * best.speedup.interval.estimate
            })
            .unwrap_or(best)
    };
    let (t, p) = (aligned(t), aligned(p));
    let p_over_t = faster_by(ev, p, t);
    let describe = |winner: &ModelPoint<'_>, loser: &ModelPoint<'_>, r: &Bootstrapped| {
        let (wm, lm) = (winner.run.model.as_str(), loser.run.model.as_str());
        let text = if winner.run.workers == loser.run.workers {
            format!(
                "{wm} {} faster than {lm} at {} ({})",
                times(r.interval.estimate),
                workers_text(winner.run.workers),
                ci(r)
            )
        } else {
            format!(
                "{} {} faster than {} ({}), each at its best worker count",
                label(winner.run.model, winner.run.workers),
                times(r.interval.estimate),
                label(loser.run.model, loser.run.workers),
                ci(r)
            )
        };
        Reason::new(Code::Faster, text)
    };
    if let Some(r) = &p_over_t {
        let i = r.interval;
        if i.low > 1.0 && i.estimate >= TIE_MARGIN {
            lines.push(describe(p, t, r));
            lines.push(speedup_line(p));
            lines.push(speedup_line(t));
            lines.extend(gap_explanation(ev, p, t));
            return (p, decisiveness(i.low), lines, false);
        }
        if i.high < 1.0 && 1.0 / i.estimate >= TIE_MARGIN {
            let inverted = Bootstrapped {
                interval: super::stats::Interval {
                    estimate: 1.0 / i.estimate,
                    low: 1.0 / i.high,
                    high: 1.0 / i.low,
                },
                replicates: Vec::new(),
            };
            lines.push(describe(t, p, &inverted));
            lines.push(speedup_line(t));
            lines.push(speedup_line(p));
            lines.extend(gap_explanation(ev, t, p));
            return (t, decisiveness(inverted.interval.low), lines, false);
        }
    }
    // A tie on speed: decide on cost (CPU including each process's setup, peak memory), favouring threads.
    let (tr, pr) = (t.run, p.run);
    let ratio_text = p_over_t
        .as_ref()
        .map(|r| {
            format!(
                "processes/threads speed ratio {:.2}, {}",
                r.interval.estimate,
                ci(r)
            )
        })
        .unwrap_or_else(|| "no comparable samples".into());
    let cpu_cheaper =
        |a: &RunSummary, b: &RunSummary| (a.cpu_ns.median as f64) < 0.9 * b.cpu_ns.median as f64;
    let mem_cheaper = |a: &RunSummary, b: &RunSummary| {
        (a.peak_rss_kb_total as f64) < 0.9 * b.peak_rss_kb_total as f64
    };
    let processes_cheaper = cpu_cheaper(pr, tr) && mem_cheaper(pr, tr);
    let winner = if processes_cheaper { p } else { t };
    let setup = if tr.setup_ns.median.max(pr.setup_ns.median) >= SETUP_WORTH_TELLING_NS {
        format!(
            ", setup {} once on threads vs {} per process on processes ×{}",
            duration(tr.setup_ns.median as f64),
            duration(pr.setup_ns.median as f64),
            pr.workers
        )
    } else {
        String::new()
    };
    lines.push(Reason::new(
        Code::CostTie,
        format!(
            "no clear winner on speed ({ratio_text}); {} preferred on cost: CPU {} on threads vs {} on processes, \
             peak memory {} vs {}{setup}",
            winner.run.model.as_str(),
            duration(tr.cpu_ns.median as f64),
            duration(pr.cpu_ns.median as f64),
            megabytes(tr.peak_rss_kb_total),
            megabytes(pr.peak_rss_kb_total),
        ),
    ));
    lines.push(speedup_line(winner));
    lines.push(speedup_line(if processes_cheaper { t } else { p }));
    (winner, CONFIDENCE_COST_TIE, lines, true)
}

/// Mostly waiting and threads pay off: threads at the best measured count (or async when the waits are
/// too many for OS threads or an async runtime is already there), never an unmeasured count.
fn io_bound(ev: &Evidence<'_>, s: &Situation<'_, '_>) -> Decision {
    let (Some(t), Some(share)) = (s.io_bound_threads(ev), s.io_share) else {
        return not_worth_it(ev, s);
    };
    let seq = ev.sequential.map(|s| (s.cpu_ns.median, s.wall_ns.median));
    let jobs = ev.workload.jobs.max(1);
    let cores = ev.cores.max(1);
    // Each worker is on a CPU `share` of the time: cores / share workers keep every core busy.
    let ideal = (cores as f64 / share.max(1e-4)).ceil() as usize;
    let measured_max = ev.threads.iter().map(|p| p.run.workers).max().unwrap_or(1);
    let mut reasons = Vec::new();
    if let Some((cpu, wall)) = seq {
        reasons.push(Reason::new(
            Code::IoBound,
            format!(
                "I/O-bound: the sequential run is on CPU {:.1}% of its wall time ({} of {})",
                100.0 * share,
                duration(cpu as f64),
                duration(wall as f64)
            ),
        ));
    }
    reasons.push(speedup_line(t));
    if let Some(p) = s.p_best {
        reasons.push(speedup_line(p));
    }
    let runtime = async_runtime_on_path(&ev.findings);
    let want_async = runtime.is_some() || (ideal >= ASYNC_CONCURRENCY && jobs >= ASYNC_CONCURRENCY);
    if t.run.workers < measured_max {
        reasons.push(Reason::new(
            Code::Saturates,
            format!(
                "threads stop gaining past {} workers (measured up to {measured_max})",
                t.run.workers
            ),
        ));
    } else {
        reasons.push(Reason::new(
            Code::WaitingOverlaps,
            format!(
                "waiting overlaps: about cores / CPU share = {cores} / {share:.3} = {ideal} workers would keep \
                 the cores busy{}",
                if ideal > jobs {
                    format!(", capped at the {jobs} jobs")
                } else {
                    String::new()
                }
            ),
        ));
        if ideal.min(jobs) > measured_max {
            reasons.push(Reason::new(
                Code::MeasuredUpTo,
                format!(
                    "measured up to ×{measured_max}; more may help: run with --workers {measured_max},{},{}",
                    (2 * measured_max).min(ideal.min(jobs).max(measured_max)),
                    ideal.min(jobs)
                ),
            ));
        }
    }
    // Threads are what was measured; async tasks only where they were measured too (verdict_async).
    if want_async && !ev.workload.is_async {
        match runtime {
            Some(f) => reasons.push(Reason::new(
                Code::AsyncRuntime,
                format!(
                    "advice, not measured: the code already uses an async runtime on the workload's path ({} at \
                     {}): an async version of the jobs would fit",
                    f.finding.message,
                    f.location()
                ),
            )),
            None => reasons.push(Reason::new(
                Code::ManyWaits,
                format!(
                    "advice, not measured: {ideal} concurrent waits are many for OS threads: an async version \
                     of the jobs would fit"
                ),
            )),
        }
    }
    let model = Verdict::Threads;
    reasons.extend(setup_line(ev, Some(t)));
    reasons.extend(s.exclusion_reasons());
    Decision {
        model,
        workers: t.run.workers,
        confidence: round2(
            decisiveness(t.speedup.interval.low).max(CONFIDENCE_IO_FLOOR) * s.quality,
        ),
        reasons,
        failed: false,
        cites_untraced_globals: false,
    }
}
