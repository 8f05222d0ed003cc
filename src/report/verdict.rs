//! The decision for one workload: correctness first (results that differ, process-global mutations on
//! the path), then speed (bootstrap comparison at each model's best worker count, ties decided on cost),
//! sequential when nothing beats it meaningfully, I/O-bound work to threads or async; every reason with
//! its numbers and every code-related reason with its file:line.

use crate::profile::doc::RunSummary;
use crate::vocab::FindingKind;
use crate::vocab::Model;

use super::evidence::{
    ci, duration, label, megabytes, times, Evidence, ModelPoint, PathFinding, LOCK_KINDS,
};
use super::stats::{ratio_of_medians, seed_for, Bootstrapped};
use crate::report::doc::Verdict;

/// Below this median speedup over sequential, parallelism is not worth it.
pub const MEANINGFUL_SPEEDUP: f64 = 1.15;
/// One-sided bootstrap probability of being faster than sequential needed to call a speedup real.
pub const BEATS_SEQUENTIAL_PROBABILITY: f64 = 0.9;
/// Sequential CPU / wall below this: the workload mostly waits (I/O-bound).
pub const IO_BOUND_CPU_SHARE: f64 = 0.5;
/// Two models within this factor of each other, or with an interval covering 1, are tied on speed.
pub const TIE_MARGIN: f64 = 1.05;
/// Concurrency at which async tasks beat threads.
pub const ASYNC_CONCURRENCY: usize = 1000;
/// Jobs shorter than this (sequential wall / jobs) are dominated by dispatch costs.
pub const SMALL_JOB_NS: f64 = 100_000.0;

/// The verdict with its evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub model: Verdict,
    pub workers: usize,
    pub confidence: f64,
    pub reasons: Vec<String>,
    /// The workload itself failed (sequential run or every model); the verdict is only a fallback.
    pub failed: bool,
    /// The reasons name globals of the crate that the analysis did not trace to the path.
    pub cites_untraced_globals: bool,
}

/// `1 worker`, `2 workers`
fn workers_text(n: usize) -> String {
    if n == 1 {
        "1 worker".into()
    } else {
        format!("{n} workers")
    }
}

/// Confidence from how far the lower end of a "better by" interval clears 1: 0.5 at 1, 0.95 at 1.3+.
fn decisiveness(low: f64) -> f64 {
    0.5 + 0.45 * ((low - 1.0) / 0.3).clamp(0.0, 1.0)
}

fn round2(x: f64) -> f64 {
    (x.clamp(0.0, 1.0) * 100.0).round() / 100.0
}

/// Why a parallel model cannot be used, and how sure that is.
struct Exclusion {
    reasons: Vec<String>,
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
        reasons.push(format!(
            "{} {} gave different results from the sequential run{digests}: {} ruled out whatever the timings",
            model.as_str(),
            which.join(", "),
            model.as_str()
        ));
    }
    for e in &ev.workload.errors {
        if e.model != Some(model) || (e.kind == "mismatch" && !mismatched.is_empty()) {
            continue;
        }
        measured = true;
        let at = e.workers.map(|n| format!(" ×{n}")).unwrap_or_default();
        let job = e.job.map(|j| format!(" in job {j}")).unwrap_or_default();
        reasons.push(format!(
            "{}{at} failed ({}{job}): {}",
            model.as_str(),
            e.kind,
            e.message
        ));
    }
    if model == Model::Threads {
        for f in ev.findings_of(&[FindingKind::ProcessGlobal]) {
            reasons.push(format!(
                "process-global mutation reachable from `{}` at {}{}: {}; threads share one process, so threads \
                 are ruled out whatever the timings",
                f.via,
                f.location(),
                f.finding
                    .function
                    .as_deref()
                    .map(|p| format!(" ({p})"))
                    .unwrap_or_default(),
                f.finding.message
            ));
        }
    }
    (!reasons.is_empty()).then_some(Exclusion { reasons, measured })
}

/// `threads ×2: 1.93x over sequential (95% CI 1.85-2.01)`
fn speedup_line(p: &ModelPoint<'_>) -> String {
    format!(
        "{}: {} over sequential ({}){}",
        label(p.run.model, p.run.workers),
        times(p.speedup.interval.estimate),
        ci(&p.speedup),
        if p.oversubscribed {
            ", more workers than cores"
        } else {
            ""
        }
    )
}

fn samples_quality(ev: &Evidence<'_>) -> f64 {
    let runs = &ev.workload.runs;
    let few = runs.iter().any(|r| r.samples < 3);
    let noisy = runs.iter().any(|r| r.noisy);
    (if few { 0.85 } else { 1.0 }) * (if noisy { 0.9 } else { 1.0 })
}

fn failure(ev: &Evidence<'_>) -> Option<Vec<String>> {
    let w = ev.workload;
    let mut reasons: Vec<String> = w
        .errors
        .iter()
        .filter(|e| matches!(e.model, None | Some(Model::Sequential)))
        .map(|e| {
            let job = e.job.map(|j| format!(" in job {j}")).unwrap_or_default();
            format!("workload failed ({}{job}): {}", e.kind, e.message)
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
                reasons.push("workload failed: no sequential measurement to compare with".into());
            } else {
                reasons.extend(others.into_iter().map(|o| format!("workload failed: {o}")));
            }
        }
        return Some(reasons);
    }
    (!reasons.is_empty()).then_some(reasons)
}

/// When setup is a large part of the run: speedups compare the job phase; say what the whole run gains.
fn setup_note(ev: &Evidence<'_>, winner: &ModelPoint<'_>) -> Option<String> {
    let seq = ev.sequential?;
    let (setup, wall) = (seq.setup_ns.median as f64, seq.wall_ns.median as f64);
    if wall <= 0.0 || setup < 0.2 * wall {
        return None;
    }
    let whole = wall / winner.run.wall_ns.median.max(1) as f64;
    Some(format!(
        "setup takes {} of the {} sequential run and is serial in every model, so speedups compare the \
         time after one setup (slower setups in worker processes count against them); the whole run goes \
         from {} to {} on {} ({})",
        duration(setup),
        duration(wall),
        duration(wall),
        duration(winner.run.wall_ns.median as f64),
        label(winner.run.model, winner.run.workers),
        times(whole)
    ))
}

/// What keeps parallel runs from paying off, with numbers and source lines.
/// `threads_usable`: threads are not ruled out (a lock only matters to threads that may run).
fn sequential_limits(
    ev: &Evidence<'_>,
    best: Option<&ModelPoint<'_>>,
    threads_usable: bool,
) -> Vec<String> {
    let mut out = Vec::new();
    for f in ev.findings_of(&LOCK_KINDS).iter().take(2) {
        out.push(format!(
            "a lock on the workload's path serialises the jobs: {} at {}",
            f.finding.message,
            f.location()
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
            out.push(format!(
                "jobs too small for the dispatch cost: {} per job ({} jobs in {})",
                duration(per_job),
                ev.workload.jobs,
                duration(job_phase)
            ));
        }
        if let Some(t) = ev.best(Model::Threads) {
            let ratio = t.run.cpu_ns.median as f64 / seq.cpu_ns.median.max(1) as f64;
            if ratio >= 1.3 {
                out.push(format!(
                    "{} burns {} the sequential CPU time for the same jobs ({} vs {}): contention, not work",
                    label(Model::Threads, t.run.workers),
                    times(ratio),
                    duration(t.run.cpu_ns.median as f64),
                    duration(seq.cpu_ns.median as f64)
                ));
            }
        }
        if let Some(p1) = ev.processes.iter().find(|p| p.run.workers == 1) {
            let spawn = p1.run.wall_ns.median as f64 - seq.wall_ns.median as f64;
            if spawn > 0.2 * seq.wall_ns.median as f64 {
                out.push(format!(
                    "starting worker processes costs about {} (processes ×1 vs sequential), {:.0}% of the \
                     sequential run",
                    duration(spawn),
                    100.0 * spawn / seq.wall_ns.median as f64
                ));
            }
        }
    }
    match best {
        Some(b) => out.push(format!(
            "neither model beats sequential by a meaningful margin: best is {} at {} ({}); {} needed",
            label(b.run.model, b.run.workers),
            times(b.speedup.interval.estimate),
            ci(&b.speedup),
            times(MEANINGFUL_SPEEDUP)
        )),
        None => out.push("no parallel run could be compared with the sequential one".into()),
    }
    out
}

/// Why one model beat the other: code and counters.
fn gap_explanation(
    ev: &Evidence<'_>,
    winner: &ModelPoint<'_>,
    loser: &ModelPoint<'_>,
) -> Vec<String> {
    let mut out = Vec::new();
    let (threads, processes) = match winner.run.model {
        Model::Processes => (loser.run, winner.run),
        _ => (winner.run, loser.run),
    };
    let seq = ev.sequential;
    if winner.run.model == Model::Processes {
        for f in ev.findings_of(&LOCK_KINDS).iter().take(3) {
            out.push(format!(
                "lock on the workload's path: {} at {} (reached from `{}`): threads queue on one instance, \
                 each process has its own",
                f.finding.message,
                f.location(),
                f.via
            ));
        }
        if loser.speedup.interval.estimate < MEANINGFUL_SPEEDUP {
            out.extend(ev.untraced_lock_lines(2));
        }
        if let Some(seq) = seq {
            let (ts, ss) = (threads.sys_ns.median as f64, seq.sys_ns.median as f64);
            let tc = threads.cpu_ns.median.max(1) as f64;
            if ts > 2.0 * ss.max(1.0) && ts > 0.05 * tc {
                out.push(format!(
                    "system time grows with workers: {} sequential, {} on {} (allocator or mmap contention)",
                    duration(ss),
                    duration(ts),
                    label(Model::Threads, threads.workers)
                ));
            }
            let (tf, sf) = (threads.minor_faults as f64, seq.minor_faults as f64);
            if tf > 1.5 * sf.max(1.0) && tf - sf > 1000.0 {
                out.push(format!(
                    "minor page faults grow with workers: {} sequential, {} on {}",
                    seq.minor_faults,
                    threads.minor_faults,
                    label(Model::Threads, threads.workers)
                ));
            }
            let cpu_ratio = tc / seq.cpu_ns.median.max(1) as f64;
            if cpu_ratio >= 1.3 {
                out.push(format!(
                    "{} spends {} the sequential CPU time on the same jobs ({} vs {}): waiting on shared state",
                    label(Model::Threads, threads.workers),
                    times(cpu_ratio),
                    duration(tc),
                    duration(seq.cpu_ns.median as f64)
                ));
            }
        }
        if out.is_empty() {
            out.push(format!(
                "no lock or contention counter explains the gap ({} finding{} on the workload's path)",
                ev.findings.len(),
                if ev.findings.len() == 1 { "" } else { "s" }
            ));
        }
    } else {
        let setup_each = processes.setup_ns.median as f64;
        if setup_each > 0.05 * processes.wall_ns.median.max(1) as f64 {
            out.push(format!(
                "setup is duplicated per process: {} and about {} resident in each of {} (threads run it \
                 once: {} in total)",
                duration(setup_each),
                megabytes(processes.peak_rss_kb_total / processes.workers.max(1) as u64),
                workers_text(processes.workers),
                megabytes(threads.peak_rss_kb_total)
            ));
        }
        if processes.peak_rss_kb_total > threads.peak_rss_kb_total * 5 / 4
            && processes.peak_rss_kb_total > threads.peak_rss_kb_total + 4096
        {
            out.push(format!(
                "peak memory {} over {} processes vs {} with {}",
                megabytes(processes.peak_rss_kb_total),
                processes.workers,
                megabytes(threads.peak_rss_kb_total),
                label(Model::Threads, threads.workers)
            ));
        }
        if let (Some(seq), Some(p1)) = (seq, ev.processes.iter().find(|p| p.run.workers == 1)) {
            let spawn = p1.run.wall_ns.median as f64 - seq.wall_ns.median as f64;
            if spawn > 0.05 * seq.wall_ns.median as f64 {
                out.push(format!(
                    "spawn cost: processes ×1 takes {} longer than sequential",
                    duration(spawn)
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
    ratio_of_medians(
        &super::evidence::job_phase_samples(b.run, ev.baseline),
        &super::evidence::job_phase_samples(a.run, ev.baseline),
        seed,
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

pub fn decide(ev: &Evidence<'_>) -> Decision {
    let mut d = decide_from_evidence(ev);
    let untraced = ev.untraced_lock_lines(usize::MAX);
    d.cites_untraced_globals = d.reasons.iter().any(|r| untraced.contains(r));
    d
}

fn decide_from_evidence(ev: &Evidence<'_>) -> Decision {
    if let Some(reasons) = failure(ev) {
        return Decision {
            model: Verdict::Sequential,
            workers: 1,
            confidence: 0.0,
            reasons,
            failed: true,
            cites_untraced_globals: false,
        };
    }
    let quality = samples_quality(ev);
    let t_excl = exclusion(ev, Model::Threads);
    let p_excl = exclusion(ev, Model::Processes);
    let mut reasons: Vec<String> = Vec::new();
    for e in [&t_excl, &p_excl].into_iter().flatten() {
        reasons.extend(e.reasons.iter().cloned());
    }
    let t_best = ev.best(Model::Threads);
    let p_best = ev.best(Model::Processes);
    let t_cand = t_best.filter(|_| t_excl.is_none());
    let p_cand = p_best.filter(|_| p_excl.is_none());

    // I/O-bound: mostly off-CPU, threads scale: more threads than cores, or async.
    if let (Some(share), Some(t)) = (ev.sequential_cpu_share(), t_cand) {
        let processes_clearly_faster = p_cand
            .and_then(|p| faster_by(ev, p, t))
            .is_some_and(|r| r.interval.low > 1.1);
        if share < IO_BOUND_CPU_SHARE && meaningful(t) && !processes_clearly_faster {
            return io_bound(ev, t, share, quality, reasons);
        }
    }

    let (winner, c_other, speed_reasons, confirmed) = match (t_cand, p_cand) {
        (None, None) => {
            let best_any = [t_best, p_best].into_iter().flatten().max_by(|a, b| {
                a.speedup
                    .interval
                    .estimate
                    .total_cmp(&b.speedup.interval.estimate)
            });
            if t_excl.is_some() && p_excl.is_some() {
                reasons.push(
                    "neither threads nor processes can be used safely: the jobs stay sequential"
                        .into(),
                );
            } else {
                reasons.extend(sequential_limits(ev, best_any, t_excl.is_none()));
            }
            let confidence = if t_excl.as_ref().is_some_and(|e| e.measured)
                && p_excl.as_ref().is_some_and(|e| e.measured)
            {
                0.9
            } else {
                0.7
            };
            return Decision {
                model: Verdict::Sequential,
                workers: 1,
                confidence: round2(confidence * quality),
                reasons,
                failed: false,
                cites_untraced_globals: false,
            };
        }
        (Some(only), None) | (None, Some(only)) => {
            let other = if only.run.model == Model::Threads {
                &p_excl
            } else {
                &t_excl
            };
            let c = match other {
                Some(e) if e.measured => 0.95,
                Some(_) => 0.85,
                None => 0.7,
            };
            let mut lines = vec![speedup_line(only)];
            let other_best = if only.run.model == Model::Threads {
                p_best
            } else {
                t_best
            };
            if let Some(o) = other_best {
                lines.push(speedup_line(o));
            }
            (only, c, lines, false)
        }
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
                    lines.push(format!(
                        "the speedup is confirmed by the {} runs, as fast within the noise",
                        other.run.model.as_str()
                    ));
                    (winner, c, lines, true)
                } else {
                    // Cost only breaks ties between models that both pay off.
                    lines.push(format!(
                        "{} does not beat sequential by a meaningful margin, {} does",
                        winner.run.model.as_str(),
                        other.run.model.as_str()
                    ));
                    lines.extend(gap_explanation(ev, other, winner));
                    (other, c.min(0.7), lines, false)
                }
            } else {
                (winner, c, lines, false)
            }
        }
    };

    if !(meaningful(winner) || confirmed) {
        let spawn_told = speed_reasons.iter().any(|r| r.starts_with("spawn cost:"));
        reasons.extend(speed_reasons);
        reasons.extend(
            sequential_limits(ev, Some(winner), t_excl.is_none())
                .into_iter()
                .filter(|r| !(spawn_told && r.starts_with("starting worker processes costs"))),
        );
        let clearly_not = winner.speedup.interval.high < MEANINGFUL_SPEEDUP;
        return Decision {
            model: Verdict::Sequential,
            workers: 1,
            confidence: round2(if clearly_not { 0.9 } else { 0.6 } * quality),
            reasons,
            failed: false,
            cites_untraced_globals: false,
        };
    }
    let confidence = decisiveness(winner.speedup.interval.low).min(c_other) * quality;
    let speed_reasons = {
        let mut v = speed_reasons;
        v.extend(setup_note(ev, winner));
        v
    };
    // Correctness first: exclusions lead, then the speed evidence.
    let mut all = reasons;
    all.extend(speed_reasons);
    Decision {
        model: match winner.run.model {
            Model::Processes => Verdict::Processes,
            _ => Verdict::Threads,
        },
        workers: winner.run.workers,
        confidence: round2(confidence),
        reasons: all,
        failed: false,
        cites_untraced_globals: false,
    }
}

/// Both models usable: the faster one when the difference is outside the noise, else the cheaper one
/// (the last item: true for such a tie).
fn compare<'e, 'a>(
    ev: &'e Evidence<'a>,
    t: &'e ModelPoint<'a>,
    p: &'e ModelPoint<'a>,
) -> (&'e ModelPoint<'a>, f64, Vec<String>, bool) {
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
        if winner.run.workers == loser.run.workers {
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
        }
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
    // A tie on speed: decide on cost, favouring threads.
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
    let setup = if tr.setup_ns.median.max(pr.setup_ns.median) >= 1_000_000 {
        format!(
            ", setup {} once on threads vs {} per process on processes ×{}",
            duration(tr.setup_ns.median as f64),
            duration(pr.setup_ns.median as f64),
            pr.workers
        )
    } else {
        String::new()
    };
    lines.push(format!(
        "no clear winner on speed ({ratio_text}); {} preferred on cost: CPU {} on threads vs {} on processes, \
         peak memory {} vs {}{setup}",
        winner.run.model.as_str(),
        duration(tr.cpu_ns.median as f64),
        duration(pr.cpu_ns.median as f64),
        megabytes(tr.peak_rss_kb_total),
        megabytes(pr.peak_rss_kb_total),
    ));
    lines.push(speedup_line(winner));
    lines.push(speedup_line(if processes_cheaper { t } else { p }));
    (winner, 0.6, lines, true)
}

fn io_bound(
    ev: &Evidence<'_>,
    t: &ModelPoint<'_>,
    share: f64,
    quality: f64,
    earlier: Vec<String>,
) -> Decision {
    let seq = ev.sequential.map(|s| (s.cpu_ns.median, s.wall_ns.median));
    let jobs = ev.workload.jobs.max(1);
    let cores = ev.cores.max(1);
    // Each worker is on a CPU `share` of the time: cores / share workers keep every core busy.
    let ideal = (cores as f64 / share.max(1e-4)).ceil() as usize;
    let suggested = ideal.min(jobs).max(cores.min(jobs));
    let measured_max = ev.threads.iter().map(|p| p.run.workers).max().unwrap_or(1);
    let saturated = t.run.workers < measured_max && t.oversubscribed;
    let workers = if saturated {
        t.run.workers
    } else {
        suggested.max(t.run.workers)
    };
    let mut reasons = Vec::new();
    if let Some((cpu, wall)) = seq {
        reasons.push(format!(
            "I/O-bound: the sequential run is on CPU {:.1}% of its wall time ({} of {})",
            100.0 * share,
            duration(cpu as f64),
            duration(wall as f64)
        ));
    }
    reasons.push(speedup_line(t));
    if let Some(p) = ev.best(Model::Processes) {
        reasons.push(speedup_line(p));
    }
    let runtime = async_runtime_on_path(&ev.findings);
    let want_async = runtime.is_some() || (ideal >= ASYNC_CONCURRENCY && jobs >= ASYNC_CONCURRENCY);
    if saturated {
        reasons.push(format!(
            "threads stop gaining past {} workers (measured up to {measured_max})",
            t.run.workers
        ));
    } else {
        reasons.push(format!(
            "waiting overlaps: about cores / CPU share = {cores} / {share:.3} = {ideal} workers keep the \
             cores busy{}",
            if ideal > jobs {
                format!(", capped at the {jobs} jobs")
            } else {
                String::new()
            }
        ));
    }
    // Threads are what was measured; async tasks only where they were measured too (verdict_async).
    if want_async && !ev.workload.is_async {
        match runtime {
            Some(f) => reasons.push(format!(
                "advice, not measured: the code already uses an async runtime on the workload's path ({} at \
                 {}): an async version of the jobs would fit",
                f.finding.message,
                f.location()
            )),
            None => reasons.push(format!(
                "advice, not measured: {ideal} concurrent waits are many for OS threads: an async version \
                 of the jobs would fit"
            )),
        }
    }
    let model = Verdict::Threads;
    reasons.extend(earlier);
    Decision {
        model,
        workers,
        confidence: round2(decisiveness(t.speedup.interval.low).max(0.6) * quality),
        reasons,
        failed: false,
        cites_untraced_globals: false,
    }
}
