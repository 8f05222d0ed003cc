//! The recommender: joins static evidence and measurements into one verdict per workload, with
//! confidence, reasons, refactoring advice and a scaling prediction. Pure: report/ does no I/O.

pub mod advice;
pub mod compare;
pub mod doc;
pub mod evidence;
pub mod python;
pub mod reason;
pub mod scaling;
pub mod stability;
pub mod stats;
pub mod verdict;
pub mod verdict_async;

use crate::analyze::doc::AnalysisDoc;
use crate::profile::doc::{AsyncRuntime, ProfileDoc, WorkloadProfile};
use crate::report::doc::{
    AnalysisSummary, Crossover, MeasuredPoint, Prediction, Recommendation, ReportDoc, Speedup,
    WorkloadReport,
};
use crate::vocab::Model;
use evidence::{Evidence, ModelPoint};
use scaling::{ScalePoint, ScalingFit, PREDICTED_CORES};

pub fn recommend(analysis: &AnalysisDoc, profile: &ProfileDoc) -> ReportDoc {
    let cores = profile.environment.cores.max(1);
    let mut by_kind = std::collections::BTreeMap::new();
    for f in &analysis.findings {
        *by_kind.entry(f.kind.id().to_string()).or_insert(0) += 1;
    }
    ReportDoc {
        schema_version: crate::vocab::SCHEMA_VERSION,
        workloads: profile
            .workloads
            .iter()
            .map(|w| recommend_workload(analysis, w, cores))
            .collect(),
        analysis: AnalysisSummary {
            findings: analysis.findings.len(),
            by_kind,
        },
        environment: Some(profile.environment.clone()),
        paths: profile
            .workloads
            .iter()
            .map(|w| compare::path_of(analysis, w))
            .collect(),
        baseline: None,
    }
}

fn fit_model<'p, 'a: 'p>(
    points: impl IntoIterator<Item = &'p ModelPoint<'a>>,
) -> Option<ScalingFit> {
    let usable: Vec<ScalePoint> = points
        .into_iter()
        .filter(|p| !p.oversubscribed && p.run.results_match_sequential)
        .map(|p| ScalePoint {
            workers: p.run.workers,
            speedup: p.speedup.interval.estimate,
            low: p.speedup.interval.low,
            high: p.speedup.interval.high,
            replicates: p.speedup.replicates.clone(),
        })
        .collect();
    scaling::fit(&usable)
}

/// The findings on one workload's path, and its crate's globals not traced to it: they depend on the
/// analysis and the workload's identity, not on its samples.
fn path_of<'a>(
    analysis: &'a AnalysisDoc,
    w: &WorkloadProfile,
) -> (
    Vec<evidence::PathFinding<'a>>,
    Vec<&'a crate::vocab::Finding>,
) {
    let findings = match &w.python {
        Some(py) => python::path_findings(analysis, w, py),
        None => evidence::path_findings(analysis, w),
    };
    let globals = evidence::crate_globals(analysis, w, &findings);
    (findings, globals)
}

/// The verdict from the evidence: the decision table, Python's GIL reading, then async tasks.
fn decide_all(
    ev: &Evidence<'_>,
    w: &WorkloadProfile,
) -> (verdict::Decision, Option<(AsyncRuntime, usize)>) {
    let mut decision = verdict::decide(ev);
    if let Some(py) = &w.python {
        python::explain(ev, py, &mut decision);
    }
    verdict_async::refine(ev, decision)
}

/// `threads ×2`, `sequential`, `async multi-thread ×2`: what stability compares (the jobs in flight left out).
fn verdict_label(d: &verdict::Decision, tasks: Option<(AsyncRuntime, usize)>) -> String {
    match (d.model, tasks) {
        (crate::report::doc::Verdict::Sequential, _) => "sequential".to_string(),
        (_, Some((rt, _))) => format!("async {} ×{}", rt.as_str(), d.workers),
        (m, None) => format!("{} ×{}", m.as_str(), d.workers),
    }
}

fn recommend_workload(analysis: &AnalysisDoc, w: &WorkloadProfile, cores: usize) -> WorkloadReport {
    let (findings, globals) = path_of(analysis, w);
    let ev = Evidence::gather(w, findings.clone(), globals.clone(), cores);
    let (decision, tasks) = decide_all(&ev, w);
    let stability = if decision.failed {
        None
    } else {
        stability::of(w, cores, &verdict_label(&decision, tasks), |again| {
            let ev = Evidence::gather_with(
                again,
                findings.clone(),
                globals.clone(),
                cores,
                stability::REDRAW_BOOTSTRAP,
            );
            let (d, t) = decide_all(&ev, again);
            verdict_label(&d, t)
        })
    };
    let noise = (!decision.failed).then(|| stability::noise(w));
    let mut refactors = advice::advise(&ev, &decision);
    refactors.extend(verdict_async::advice(&ev, &decision, tasks));

    let measured: Vec<MeasuredPoint> = ev
        .threads
        .iter()
        .chain(ev.processes.iter())
        .chain(ev.asynchronous.iter())
        .map(|p| MeasuredPoint {
            model: p.run.model,
            workers: p.run.workers,
            speedup: p.speedup.interval.estimate,
            low: p.speedup.interval.low,
            high: p.speedup.interval.high,
            oversubscribed: p.oversubscribed,
            runtime: p.run.runtime,
            in_flight: p.run.in_flight,
        })
        .collect();
    let best = |m: Model| ev.best(m).map(|p| p.speedup.interval.estimate);

    let threads_fit = fit_model(&ev.threads);
    let processes_fit = fit_model(&ev.processes);
    let (async_fit, async_note) = async_fit(&ev);
    let mut fit_notes = Vec::new();
    for (model, fit, points) in [
        (Model::Threads, &threads_fit, &ev.threads),
        (Model::Processes, &processes_fit, &ev.processes),
    ] {
        match fit {
            Some(f) => fit_notes.push(f.note(model.as_str())),
            None if !points.is_empty() => fit_notes.push(format!(
                "{}: no prediction: no parallel point within the {cores} cores with matching results",
                model.as_str()
            )),
            None => {}
        }
    }
    if let Some(f) = &async_fit {
        fit_notes.push(f.note("async (current-thread as 1 worker, multi-thread at its best K)"));
    }
    fit_notes.extend(async_note);
    let prediction: Vec<Prediction> =
        if threads_fit.is_none() && processes_fit.is_none() && async_fit.is_none() {
            Vec::new()
        } else {
            PREDICTED_CORES
                .iter()
                .map(|&c| Prediction {
                    cores: c,
                    threads: threads_fit.as_ref().map(|f| f.band(c)),
                    processes: processes_fit.as_ref().map(|f| f.band(c)),
                    asynchronous: async_fit.as_ref().map(|f| f.band(c)),
                })
                .collect()
        };
    let crossover = match (&threads_fit, &processes_fit) {
        (Some(t), Some(p)) => {
            let from = t.max_workers.max(p.max_workers);
            scaling::crossover(t, p, from).map(|(cores, processes_lead)| Crossover {
                cores,
                leader: if processes_lead {
                    Model::Processes
                } else {
                    Model::Threads
                },
            })
        }
        _ => None,
    };
    if let Some(c) = &crossover {
        fit_notes.push(format!(
            "predicted crossover: {} overtake from {} cores on",
            c.leader.as_str(),
            c.cores
        ));
    }

    WorkloadReport {
        name: w.name.clone(),
        recommendation: Recommendation {
            model: decision.model,
            workers: decision.workers,
            confidence: decision.confidence,
            reason_codes: decision.codes(),
            reasons: decision.reasons.iter().map(|r| r.to_string()).collect(),
            refactors,
            runtime: tasks.map(|t| t.0),
            in_flight: tasks.map(|t| t.1),
        },
        speedup: Speedup {
            threads: best(Model::Threads),
            processes: best(Model::Processes),
            asynchronous: best(Model::Async),
        },
        prediction,
        package: w.package.clone(),
        measured,
        crossover,
        fit_notes,
        failed: decision.failed,
        stability,
        noise,
    }
}

/// The async prediction in cores: the multi-thread runtime (one worker per core) at its best K, with the
/// current-thread runtime as the 1-worker point. Only when waiting alone does not already speed the jobs up
/// on one thread (the laws start at 1x on 1 worker); otherwise a note says why there is none.
fn async_fit(ev: &Evidence<'_>) -> (Option<ScalingFit>, Option<String>) {
    let best_of = |rt: AsyncRuntime| {
        ev.async_points(rt)
            .into_iter()
            .filter(|p| p.run.results_match_sequential && !p.oversubscribed)
            .max_by(|a, b| {
                a.speedup
                    .interval
                    .estimate
                    .total_cmp(&b.speedup.interval.estimate)
            })
    };
    let (Some(one), Some(multi)) = (
        best_of(AsyncRuntime::CurrentThread),
        best_of(AsyncRuntime::MultiThread),
    ) else {
        return (None, None);
    };
    if one.speedup.interval.estimate >= verdict::MEANINGFUL_SPEEDUP {
        return (
            None,
            Some(format!(
                "async: no prediction in cores: one current-thread runtime already reaches {} with {} jobs in \
                 flight, so the jobs gain from overlapping their waits, not from cores",
                evidence::times(one.speedup.interval.estimate),
                one.run.in_flight.unwrap_or(1)
            )),
        );
    }
    (fit_model([multi]), None)
}

#[cfg(test)]
mod tests;
