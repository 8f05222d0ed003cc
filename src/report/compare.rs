//! `report --baseline OLD-report.json`: per workload, a verdict change, speedup regressions outside the
//! confidence intervals (the new interval entirely below the old one), and the analysis findings that
//! appeared on the workload's path since the baseline (by fingerprint). Pure data.

use serde::{Deserialize, Serialize};

use crate::analyze::doc::AnalysisDoc;
use crate::profile::doc::WorkloadProfile;
use crate::report::doc::{MeasuredPoint, ReportDoc, Verdict};
use crate::report::evidence;
use crate::vocab::{FindingKind, Model};

/// A finding on a workload's path, as the report keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathFindingDoc {
    pub kind: FindingKind,
    pub file: String,
    pub line: u32,
    pub fingerprint: String,
    pub message: String,
}

/// The findings on one workload's path (reached from `run`/`setup`, plus the crate's globals).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadPath {
    pub workload: String,
    pub package: String,
    pub findings: Vec<PathFindingDoc>,
}

/// `(verdict, workers)` before and after.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct VerdictChange {
    pub before: Verdict,
    pub before_workers: usize,
    pub after: Verdict,
    pub after_workers: usize,
}

/// A model whose best speedup fell below the baseline's confidence interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Regression {
    pub model: Model,
    pub before: MeasuredPoint,
    pub after: MeasuredPoint,
}

/// What changed for one workload since the baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkloadChange {
    pub workload: String,
    pub package: String,
    /// Not in the baseline at all.
    pub new_workload: bool,
    pub verdict: Option<VerdictChange>,
    pub regressions: Vec<Regression>,
    /// On the path now, not in the baseline's path.
    pub new_findings: Vec<PathFindingDoc>,
}

impl WorkloadChange {
    pub fn is_quiet(&self) -> bool {
        !self.new_workload
            && self.verdict.is_none()
            && self.regressions.is_empty()
            && self.new_findings.is_empty()
    }
}

/// The findings on `w`'s path in `analysis`.
pub fn path_of(analysis: &AnalysisDoc, w: &WorkloadProfile) -> WorkloadPath {
    let on_path = evidence::path_findings(analysis, w);
    let globals = evidence::crate_globals(analysis, w, &on_path);
    let mut findings: Vec<PathFindingDoc> = on_path
        .iter()
        .map(|p| p.finding)
        .chain(globals)
        .map(|f| PathFindingDoc {
            kind: f.kind,
            file: f.file.clone(),
            line: f.line,
            fingerprint: f.fingerprint.clone(),
            message: f.message.clone(),
        })
        .collect();
    findings.sort_by(|a, b| (&a.file, a.line, a.kind).cmp(&(&b.file, b.line, b.kind)));
    WorkloadPath {
        workload: w.name.clone(),
        package: w.package.clone(),
        findings,
    }
}

/// The best measured point of a model (highest median speedup).
fn best(points: &[MeasuredPoint], model: Model) -> Option<&MeasuredPoint> {
    points
        .iter()
        .filter(|p| p.model == model)
        .max_by(|a, b| a.speedup.total_cmp(&b.speedup))
}

/// Compares every workload of `now` with the same workload in `old`.
pub fn compare(now: &ReportDoc, old: &ReportDoc) -> Vec<WorkloadChange> {
    let mut out = Vec::new();
    for w in &now.workloads {
        let before = old
            .workloads
            .iter()
            .find(|o| o.name == w.name && (o.package == w.package || o.package.is_empty()));
        let path_now = now
            .paths
            .iter()
            .find(|p| p.workload == w.name && p.package == w.package);
        let Some(b) = before else {
            out.push(WorkloadChange {
                workload: w.name.clone(),
                package: w.package.clone(),
                new_workload: true,
                verdict: None,
                regressions: Vec::new(),
                new_findings: Vec::new(),
            });
            continue;
        };
        let (r0, r1) = (&b.recommendation, &w.recommendation);
        let verdict = (r0.model != r1.model).then_some(VerdictChange {
            before: r0.model,
            before_workers: r0.workers,
            after: r1.model,
            after_workers: r1.workers,
        });
        let mut regressions = Vec::new();
        for model in [Model::Threads, Model::Processes] {
            if let (Some(p0), Some(p1)) = (best(&b.measured, model), best(&w.measured, model)) {
                if p1.high < p0.low {
                    regressions.push(Regression {
                        model,
                        before: p0.clone(),
                        after: p1.clone(),
                    });
                }
            }
        }
        let path_before = old
            .paths
            .iter()
            .find(|p| p.workload == w.name && (p.package == w.package || p.package.is_empty()));
        let new_findings = path_now
            .map(|p| {
                p.findings
                    .iter()
                    .filter(|f| {
                        !path_before.is_some_and(|pb| {
                            pb.findings.iter().any(|g| g.fingerprint == f.fingerprint)
                        })
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        out.push(WorkloadChange {
            workload: w.name.clone(),
            package: w.package.clone(),
            new_workload: false,
            verdict,
            regressions,
            new_findings,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::doc::{AnalysisSummary, WorkloadReport};

    fn point(model: Model, speedup: f64, low: f64, high: f64) -> MeasuredPoint {
        MeasuredPoint {
            model,
            workers: 2,
            speedup,
            low,
            high,
            oversubscribed: false,
            runtime: None,
            in_flight: None,
        }
    }

    fn doc(model: Verdict, threads: MeasuredPoint, finding: Option<&str>) -> ReportDoc {
        let w: WorkloadReport = serde_json::from_value(serde_json::json!({
            "name": "lookup", "package": "p",
            "recommendation": {"model": model.as_str(), "workers": 2, "confidence": 0.9, "reasons": [], "refactors": []},
            "speedup": {"threads": threads.speedup, "processes": 1.8},
            "prediction": [],
        }))
        .expect("a workload report");
        let mut w = w;
        w.measured = vec![threads, point(Model::Processes, 1.8, 1.7, 1.9)];
        ReportDoc {
            schema_version: crate::vocab::SCHEMA_VERSION,
            workloads: vec![w],
            analysis: AnalysisSummary::default(),
            environment: None,
            paths: vec![WorkloadPath {
                workload: "lookup".into(),
                package: "p".into(),
                findings: finding
                    .map(|fp| PathFindingDoc {
                        kind: FindingKind::GlobalState,
                        file: "src/lib.rs".into(),
                        line: 3,
                        fingerprint: fp.into(),
                        message: "`CACHE` is a static holding `std::sync::Mutex`".into(),
                    })
                    .into_iter()
                    .collect(),
            }],
            baseline: None,
        }
    }

    #[test]
    fn a_new_global_lock_changes_the_verdict_and_regresses_threads() {
        let old = doc(Verdict::Threads, point(Model::Threads, 1.9, 1.8, 2.0), None);
        let now = doc(
            Verdict::Processes,
            point(Model::Threads, 1.0, 0.95, 1.05),
            Some("abc"),
        );
        let c = &compare(&now, &old)[0];
        let v = c.verdict.expect("a verdict change");
        assert_eq!((v.before, v.after), (Verdict::Threads, Verdict::Processes));
        assert_eq!(c.regressions.len(), 1);
        assert_eq!(c.regressions[0].model, Model::Threads);
        assert_eq!(c.new_findings.len(), 1);
        assert!(!c.is_quiet());
    }

    #[test]
    fn overlapping_intervals_are_not_regressions() {
        let old = doc(
            Verdict::Threads,
            point(Model::Threads, 1.9, 1.5, 2.0),
            Some("abc"),
        );
        let now = doc(
            Verdict::Threads,
            point(Model::Threads, 1.6, 1.4, 1.8),
            Some("abc"),
        );
        let c = &compare(&now, &old)[0];
        assert!(c.is_quiet(), "{c:?}");
    }
}
