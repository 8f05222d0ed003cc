//! The verdict's handling of async tasks: for a workload whose `run` is an `async fn`, the best measured
//! async run (tasks on a tokio runtime, K in flight) is weighed against the sync verdict (correctness,
//! then speed with bootstrap intervals, then peak memory); when async loses or does not gain, a blocking
//! call inside the async jobs is named as the cause (the `blocking-in-async` findings on the path, and the
//! measured sign: throughput that stops growing with K) with the fix. Sync workloads are never given an
//! async verdict here: "an async version would fit" is advice only.

use crate::profile::doc::{AsyncRuntime, FailureKind, RunSummary};
use crate::vocab::FindingKind;
use crate::vocab::Model;

use super::doc::{Refactor, Verdict};
use super::evidence::{
    ci, job_phase_samples, megabytes, run_label, times, Evidence, ModelPoint, PathFinding,
};
use super::stats::{ratio_of_medians_n, seed_for, Bootstrapped};
use super::verdict::{Decision, ASYNC_CONCURRENCY, MEANINGFUL_SPEEDUP, TIE_MARGIN};

/// K at least this many times the runtime's workers, with a speedup still within this factor of the
/// workers' count: the throughput stopped growing with K.
const FLAT_GROWTH: f64 = 1.25;
/// Async peak memory below this share of the sync winner's is a cost win in a speed tie.
const MEMORY_WIN: f64 = 0.9;

use super::reason::{Code, Reason};

/// The async verdict's sentences, as reasons of code `async`.
trait AsyncReasons {
    fn push_text(&mut self, text: String);
    fn extend_text(&mut self, texts: Vec<String>);
}

impl AsyncReasons for Vec<Reason> {
    fn push_text(&mut self, text: String) {
        self.push(Reason::new(Code::Async, text));
    }
    fn extend_text(&mut self, texts: Vec<String>) {
        self.extend(texts.into_iter().map(|t| Reason::new(Code::Async, t)));
    }
}

/// The runtime and jobs in flight of an async verdict.
pub type Tasks = (AsyncRuntime, usize);

/// The sync decision `d`, revised for an async workload's measured async runs.
pub fn refine(ev: &Evidence<'_>, d: Decision) -> (Decision, Option<Tasks>) {
    if !ev.workload.is_async || d.failed || ev.asynchronous.is_empty() {
        return (d, None);
    }
    let mut d = d;
    if let Some(reasons) = exclusion(ev) {
        d.reasons.extend_text(reasons);
        return (d, None);
    }
    let Some(a) = ev.best(Model::Async) else {
        return (d, None);
    };
    let sync_point = match d.model {
        Verdict::Threads | Verdict::Processes => {
            let model = if d.model == Verdict::Threads {
                Model::Threads
            } else {
                Model::Processes
            };
            ev.points(model)
                .iter()
                .find(|p| p.run.workers == d.workers)
                .or_else(|| ev.best(model))
        }
        _ => None,
    };
    let blocked = blocking_cause(ev);
    let Some(s) = sync_point else {
        // Sequential (or nothing comparable): async wins when it beats sequential meaningfully.
        if meaningful(a) {
            let mut reasons = vec![
                format!(
                    "{}: {} over sequential ({})",
                    run_label(a.run),
                    times(a.speedup.interval.estimate),
                    ci(&a.speedup)
                ),
                "threads and processes do not beat sequential meaningfully; async tasks do"
                    .to_string(),
            ];
            reasons.extend(d.reasons.into_iter().map(|r| r.text));
            return (
                win(a, reasons, decisiveness(a.speedup.interval.low)),
                tasks_of(a.run),
            );
        }
        d.reasons.push_text(format!(
            "{}: {} over sequential ({}): async tasks do not beat sequential either",
            run_label(a.run),
            times(a.speedup.interval.estimate),
            ci(&a.speedup)
        ));
        d.reasons.extend_text(blocked);
        return (d, None);
    };
    let memory = format!(
        "peak memory {} on {} vs {} on {}",
        megabytes(a.run.peak_rss_kb_total),
        run_label(a.run),
        megabytes(s.run.peak_rss_kb_total),
        run_label(s.run)
    );
    let r = faster_by(ev, a, s);
    match r {
        Some(r) if r.interval.low > 1.0 && r.interval.estimate >= TIE_MARGIN => {
            let mut reasons = vec![
                format!(
                    "{} {} faster than {} ({})",
                    run_label(a.run),
                    times(r.interval.estimate),
                    run_label(s.run),
                    ci(&r)
                ),
                speedup_line(a),
                speedup_line(s),
                memory,
            ];
            reasons.extend(growth_line(ev, a));
            (
                win(a, reasons, decisiveness(r.interval.low)),
                tasks_of(a.run),
            )
        }
        Some(r) if r.interval.high < 1.0 && 1.0 / r.interval.estimate >= TIE_MARGIN => {
            d.reasons.push_text(format!(
                "async tasks lose: best {} is {} slower than {} ({} for async over it)",
                run_label(a.run),
                times(1.0 / r.interval.estimate),
                run_label(s.run),
                ci(&r)
            ));
            d.reasons.extend_text(blocked);
            (d, None)
        }
        _ => {
            let lighter =
                (a.run.peak_rss_kb_total as f64) < MEMORY_WIN * s.run.peak_rss_kb_total as f64;
            let ratio = r
                .as_ref()
                .map(|r| {
                    format!(
                        "async/{} speed ratio {:.2}, {}",
                        s.run.model.as_str(),
                        r.interval.estimate,
                        ci(r)
                    )
                })
                .unwrap_or_else(|| "no comparable samples".into());
            if lighter {
                let reasons = vec![
                    format!("no clear winner on speed ({ratio}); async tasks preferred on cost: {memory}"),
                    speedup_line(a),
                    speedup_line(s),
                ];
                (win(a, reasons, 0.6), tasks_of(a.run))
            } else {
                d.reasons.push_text(format!(
                    "async tasks are as fast within the noise ({ratio}) and not lighter ({memory}): {} kept",
                    s.run.model.as_str()
                ));
                d.reasons.extend_text(blocked);
                (d, None)
            }
        }
    }
}

/// Advice for the async model: the runtime and the bound on jobs in flight of an async verdict; for sync
/// I/O-bound workloads, that an async version would fit (advice, not a measured claim).
pub fn advice(ev: &Evidence<'_>, d: &Decision, tasks: Option<Tasks>) -> Vec<Refactor> {
    let mut out = Vec::new();
    if let (Verdict::Async, Some((runtime, k))) = (d.model, tasks) {
        out.push(Refactor {
            message: format!(
                "run the jobs as tokio tasks on a {} runtime{}, keeping at most {k} in flight (a `JoinSet` \
                 refilled as tasks finish, or a `Semaphore` of {k} permits)",
                runtime.as_str(),
                if runtime == AsyncRuntime::MultiThread {
                    format!(" with {} worker threads", d.workers)
                } else {
                    String::new()
                }
            ),
            file: None,
            line: None,
        });
    }
    // A blocking call in async jobs gets its advice from `advice` (the `blocking-in-async` finding's).
    if ev.workload.is_async {
        return out;
    }
    // Only where the verdict's reasons say so: many concurrent waits, or an async runtime on the path.
    let Some(share) = ev.sequential_cpu_share() else {
        return out;
    };
    let ideal = ev.cores.max(1) as f64 / share.max(1e-4);
    let many = ideal >= ASYNC_CONCURRENCY as f64 && ev.workload.jobs >= ASYNC_CONCURRENCY;
    let runtime = super::verdict::async_runtime_on_path(&ev.findings).is_some();
    if share < super::verdict::IO_BOUND_CPU_SHARE
        && (many || runtime)
        && d.model == Verdict::Threads
        && !d.failed
    {
        out.push(Refactor {
            message: format!(
                "advice, not measured: the jobs mostly wait, so an async version (`async fn` run on tokio, \
                 declared as the workload's `run`) would fit; cargo-concur then measures tasks against these \
                 {} threads",
                d.workers
            ),
            file: None,
            line: None,
        });
    }
    out
}

/// The fix for a blocking call in async jobs.
pub const FIX: &str = "move it into `tokio::task::spawn_blocking`, use the async API (`tokio::time::sleep`, \
                       `tokio::fs`, an async client), or wrap it in `tokio::task::block_in_place` on a \
                       multi-thread runtime";

/// Async runs that gave different results or failed, and process-global state (tasks share one
/// process, as threads do): async is ruled out.
fn exclusion(ev: &Evidence<'_>) -> Option<Vec<String>> {
    let mut reasons = Vec::new();
    let mismatched: Vec<&RunSummary> = ev
        .asynchronous
        .iter()
        .filter(|p| !p.run.results_match_sequential)
        .map(|p| p.run)
        .collect();
    if let Some(first) = mismatched.first() {
        reasons.push(format!(
            "{}{} gave different results from the sequential run: async ruled out whatever the timings",
            run_label(first),
            if mismatched.len() > 1 {
                format!(" (and {} more async runs)", mismatched.len() - 1)
            } else {
                String::new()
            }
        ));
    }
    for e in ev
        .workload
        .errors
        .iter()
        .filter(|e| e.model == Some(Model::Async))
    {
        if e.kind == FailureKind::Mismatch && !mismatched.is_empty() {
            continue;
        }
        let job = e.job.map(|j| format!(" in job {j}")).unwrap_or_default();
        reasons.push(format!("async failed ({}{job}): {}", e.kind, e.message));
    }
    for f in ev.findings_of(&[FindingKind::ProcessGlobal]).iter().take(2) {
        reasons.push(format!(
            "process-global mutation reachable from `{}` at {}: {}; async tasks interleave in one process, so \
             async is ruled out too",
            f.via.as_str(),
            f.location(),
            f.finding.message
        ));
    }
    (!reasons.is_empty()).then_some(reasons)
}

/// Why async tasks do not gain: blocking calls in the async jobs (findings, with file:line) and the
/// measured sign that the runtime's workers are blocked (throughput flat in K).
pub fn blocking_cause(ev: &Evidence<'_>) -> Vec<String> {
    let findings: Vec<PathFinding<'_>> = ev.findings_of(&[FindingKind::BlockingInAsync]);
    let flat = flat_in_k(ev);
    let mut out = Vec::new();
    if findings.is_empty() && flat.is_empty() {
        return out;
    }
    for f in findings.iter().take(3) {
        out.push(format!(
            "cause: a blocking call inside the async jobs stalls the runtime's worker thread: {} at {} \
             (reached from `{}`)",
            f.finding.message,
            f.location(),
            f.via.as_str()
        ));
    }
    // Jobs that compute hold their worker thread by nature: that is no blocking call to move.
    let computing = ev
        .sequential_cpu_share()
        .filter(|&share| share >= super::verdict::IO_BOUND_CPU_SHARE);
    if let (true, Some(share)) = (findings.is_empty(), computing) {
        out.push(format!(
            "cause: the jobs compute (on CPU {:.0}% of the sequential run's wall time): a task holds its \
             worker thread while it computes, so tasks run no more jobs at once than the runtime has worker \
             threads, and a multi-thread runtime can at best match threads",
            share * 100.0
        ));
        out.extend(flat);
        out.push(
            "fix: none needed for speed: keep CPU-bound jobs on threads (`rayon`), or in \
             `tokio::task::spawn_blocking` where they must live beside async code"
                .to_string(),
        );
        return out;
    }
    if findings.is_empty() {
        out.push(
            "cause: something inside the async jobs blocks the runtime's worker threads (no \
             blocking-in-async finding on the path: look for blocking calls behind a library)"
                .to_string(),
        );
    }
    out.extend(flat);
    out.push(format!("fix: {FIX}"));
    out
}

/// Per runtime: the throughput stopped growing with K while K far exceeds the worker threads.
fn flat_in_k(ev: &Evidence<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for rt in [AsyncRuntime::CurrentThread, AsyncRuntime::MultiThread] {
        let points = ev.async_points(rt);
        let Some(top) = points.iter().max_by_key(|p| p.run.in_flight.unwrap_or(0)) else {
            continue;
        };
        let workers = top.run.workers.max(1) as f64;
        let k = top.run.in_flight.unwrap_or(1) as f64;
        let best = points
            .iter()
            .map(|p| p.speedup.interval.estimate)
            .fold(f64::NEG_INFINITY, f64::max);
        if k >= 4.0 * workers && best <= FLAT_GROWTH * workers {
            let curve: Vec<String> = points
                .iter()
                .map(|p| {
                    format!(
                        "K={} {}",
                        p.run.in_flight.unwrap_or(1),
                        times(p.speedup.interval.estimate)
                    )
                })
                .collect();
            out.push(format!(
                "measured: throughput stops growing with K on the {} runtime ({} worker thread{}): {} over \
                 sequential; each job holds a worker thread while it runs",
                rt.as_str(),
                top.run.workers,
                if top.run.workers == 1 { "" } else { "s" },
                curve.join(", ")
            ));
        }
    }
    out
}

/// `async current-thread, 64 in flight: 40.1x as fast as sequential, and 3.2x from K=1 to K=64`
fn growth_line(ev: &Evidence<'_>, a: &ModelPoint<'_>) -> Option<String> {
    let rt = a.run.runtime?;
    let points = ev.async_points(rt);
    let first = points.first()?;
    let k1 = first.run.in_flight?;
    let k = a.run.in_flight?;
    (k > k1).then(|| {
        format!(
            "throughput grows with the jobs in flight: {} at K={k1} to {} at K={k} on the {} runtime",
            times(first.speedup.interval.estimate),
            times(a.speedup.interval.estimate),
            rt.as_str()
        )
    })
}

fn speedup_line(p: &ModelPoint<'_>) -> String {
    format!(
        "{}: {} over sequential ({})",
        run_label(p.run),
        times(p.speedup.interval.estimate),
        ci(&p.speedup)
    )
}

fn tasks_of(run: &RunSummary) -> Option<Tasks> {
    Some((run.runtime?, run.in_flight?))
}

fn win(a: &ModelPoint<'_>, reasons: Vec<String>, confidence: f64) -> Decision {
    Decision {
        model: Verdict::Async,
        workers: a.run.workers,
        confidence: (confidence.clamp(0.0, 1.0) * 100.0).round() / 100.0,
        reasons: reasons
            .into_iter()
            .map(|t| Reason::new(Code::Async, t))
            .collect(),
        failed: false,
        cites_untraced_globals: false,
    }
}

fn decisiveness(low: f64) -> f64 {
    0.5 + 0.45 * ((low - 1.0) / 0.3).clamp(0.0, 1.0)
}

fn meaningful(p: &ModelPoint<'_>) -> bool {
    p.speedup.interval.estimate >= MEANINGFUL_SPEEDUP
        && p.speedup.share_above(1.0) >= super::verdict::BEATS_SEQUENTIAL_PROBABILITY
}

/// How many times faster `a` is than `b` on the job phase (bootstrap over the samples).
fn faster_by(ev: &Evidence<'_>, a: &ModelPoint<'_>, b: &ModelPoint<'_>) -> Option<Bootstrapped> {
    let seed = seed_for(&[&ev.workload.name, &run_label(a.run), &run_label(b.run)]);
    ratio_of_medians_n(
        &job_phase_samples(b.run, ev.baseline),
        &job_phase_samples(a.run, ev.baseline),
        seed,
        ev.bootstrap,
    )
}
