//! The recommender: joins static evidence and measurements into one verdict per workload, with
//! confidence, reasons, refactoring advice and a scaling prediction. Pure: report/ does no I/O.

pub mod advice;
pub mod doc;
pub mod evidence;
pub mod python;
pub mod scaling;
pub mod stats;
pub mod verdict;

use crate::analyze::doc::AnalysisDoc;
use crate::profile::doc::{ProfileDoc, WorkloadProfile};
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
    }
}

fn fit_model(points: &[ModelPoint<'_>]) -> Option<ScalingFit> {
    let usable: Vec<ScalePoint> = points
        .iter()
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

fn recommend_workload(analysis: &AnalysisDoc, w: &WorkloadProfile, cores: usize) -> WorkloadReport {
    let findings = match &w.python {
        Some(py) => python::path_findings(analysis, w, py),
        None => evidence::path_findings(analysis, w),
    };
    let globals = evidence::crate_globals(analysis, w, &findings);
    let ev = Evidence::gather(w, findings, globals, cores);
    let mut decision = verdict::decide(&ev);
    if let Some(py) = &w.python {
        python::explain(&ev, py, &mut decision);
    }
    let refactors = advice::advise(&ev, &decision);

    let measured: Vec<MeasuredPoint> = ev
        .threads
        .iter()
        .chain(ev.processes.iter())
        .map(|p| MeasuredPoint {
            model: p.run.model,
            workers: p.run.workers,
            speedup: p.speedup.interval.estimate,
            low: p.speedup.interval.low,
            high: p.speedup.interval.high,
            oversubscribed: p.oversubscribed,
        })
        .collect();
    let best = |m: Model| ev.best(m).map(|p| p.speedup.interval.estimate);

    let threads_fit = fit_model(&ev.threads);
    let processes_fit = fit_model(&ev.processes);
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
    let prediction: Vec<Prediction> = if threads_fit.is_none() && processes_fit.is_none() {
        Vec::new()
    } else {
        PREDICTED_CORES
            .iter()
            .map(|&c| Prediction {
                cores: c,
                threads: threads_fit.as_ref().map(|f| f.band(c)),
                processes: processes_fit.as_ref().map(|f| f.band(c)),
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
            reasons: decision.reasons,
            refactors,
        },
        speedup: Speedup {
            threads: best(Model::Threads),
            processes: best(Model::Processes),
        },
        prediction,
        package: w.package.clone(),
        measured,
        crossover,
        fit_notes,
        failed: decision.failed,
    }
}

#[cfg(test)]
mod tests;
