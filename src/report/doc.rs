//! The report document: one recommendation per workload, as serialized by `--format json` (contract section 5).

use serde::{Deserialize, Serialize};

/// The execution model recommended for a workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Threads,
    Processes,
    Async,
    Sequential,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Threads => "threads",
            Verdict::Processes => "processes",
            Verdict::Async => "async",
            Verdict::Sequential => "sequential",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Refactor {
    pub message: String,
    pub file: Option<String>,
    pub line: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    pub model: Verdict,
    pub workers: usize,
    /// 0..=1
    pub confidence: f64,
    pub reasons: Vec<String>,
    pub refactors: Vec<Refactor>,
    /// Extension: the code of each reason, in the same order (`order-dependent`, `tie`, `measured-up-to`...).
    #[serde(default)]
    pub reason_codes: Vec<super::reason::Code>,
    /// Extension (verdict `async` only): the tokio runtime to use; `workers` is its worker threads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<crate::profile::doc::AsyncRuntime>,
    /// Extension (verdict `async` only): how many jobs to keep in flight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_flight: Option<usize>,
}

/// Best measured speedup over sequential for each parallel model (None when it could not be measured),
/// on the job phase: wall time less `setup`, which is serial in every model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Speedup {
    pub threads: Option<f64>,
    pub processes: Option<f64>,
    /// Extension: best async-tasks speedup (async workloads only).
    #[serde(default, rename = "async", skip_serializing_if = "Option::is_none")]
    pub asynchronous: Option<f64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Band {
    pub low: f64,
    pub estimate: f64,
    pub high: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    pub cores: usize,
    pub threads: Option<Band>,
    pub processes: Option<Band>,
    /// Extension: async tasks on a multi-thread runtime with one worker per core (async workloads whose
    /// current-thread runs do not already gain by waiting).
    #[serde(default, rename = "async", skip_serializing_if = "Option::is_none")]
    pub asynchronous: Option<Band>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkloadReport {
    pub name: String,
    pub recommendation: Recommendation,
    pub speedup: Speedup,
    pub prediction: Vec<Prediction>,
    /// Extension fields below.
    #[serde(default)]
    pub package: String,
    /// Measured speedup points per model: (workers, median speedup, low, high).
    #[serde(default)]
    pub measured: Vec<MeasuredPoint>,
    /// Where one model's predicted curve overtakes the other's, if within 64 cores.
    #[serde(default)]
    pub crossover: Option<Crossover>,
    /// Notes on the fit (e.g. "poorly constrained: 2 parallel points").
    #[serde(default)]
    pub fit_notes: Vec<String>,
    /// The workload itself failed (crash, timeout, panic in the sequential run): the verdict is a fallback.
    #[serde(default)]
    pub failed: bool,
    /// Extension: how often the same verdict comes out when each run's samples are drawn again; absent for
    /// failed workloads and profiles without raw samples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stability: Option<StabilityDoc>,
    /// Extension: how noisy the measurements were (runs whose wall-time spread passed the threshold).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise: Option<NoiseDoc>,
}

/// The verdict taken again on `resamples` redrawn profiles: the share that agreed, and what the others said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StabilityDoc {
    pub resamples: usize,
    /// Share (0-1) of redrawn profiles giving the same verdict (model and workers).
    pub same_share: f64,
    /// The other verdicts and their shares, most frequent first.
    pub alternatives: Vec<VerdictShare>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerdictShare {
    /// `threads ×2`, `sequential`, `async multi-thread ×2`.
    pub verdict: String,
    pub share: f64,
}

/// Runs whose wall-time spread over their samples ((max - min) / median) passed `threshold`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoiseDoc {
    pub runs: usize,
    pub noisy_runs: usize,
    pub threshold: f64,
    /// The noisiest run, with its spread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worst: Option<NoisyRun>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoisyRun {
    /// `threads ×4`.
    pub run: String,
    pub spread: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeasuredPoint {
    pub model: crate::vocab::Model,
    pub workers: usize,
    pub speedup: f64,
    pub low: f64,
    pub high: f64,
    pub oversubscribed: bool,
    /// Extension (model `async`): the runtime and the jobs in flight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<crate::profile::doc::AsyncRuntime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_flight: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Crossover {
    pub cores: usize,
    /// The model that is ahead from `cores` on.
    pub leader: crate::vocab::Model,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AnalysisSummary {
    pub findings: usize,
    /// Extension: findings per kind id.
    #[serde(default)]
    pub by_kind: std::collections::BTreeMap<String, usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportDoc {
    pub schema_version: u32,
    pub workloads: Vec<WorkloadReport>,
    pub analysis: AnalysisSummary,
    /// Extension: the environment the measurements come from.
    #[serde(default)]
    pub environment: Option<crate::profile::doc::Environment>,
    /// Extension: per workload, the analysis findings on its path (what `--baseline` diffs).
    #[serde(default)]
    pub paths: Vec<crate::report::compare::WorkloadPath>,
    /// Extension: present with `report --baseline`: what changed per workload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Vec<crate::report::compare::WorkloadChange>>,
}

/// One point of a speedup band: workers with low / estimate / high speedup.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandPoint {
    pub workers: usize,
    pub low: f64,
    pub estimate: f64,
    pub high: f64,
}

impl WorkloadReport {
    /// The measured points of one model, by workers.
    /// For async, one point per worker count (current-thread: 1, multi-thread: its workers): the one with
    /// the best K in flight.
    pub fn measured_of(&self, model: crate::vocab::Model) -> Vec<&MeasuredPoint> {
        let mut v: Vec<&MeasuredPoint> =
            self.measured.iter().filter(|p| p.model == model).collect();
        v.sort_by(|a, b| {
            a.workers
                .cmp(&b.workers)
                .then(b.speedup.total_cmp(&a.speedup))
        });
        if model == crate::vocab::Model::Async {
            v.dedup_by_key(|p| p.workers);
        }
        v
    }

    /// True when async tasks were measured (the workload's `run` is an `async fn`).
    pub fn has_async(&self) -> bool {
        self.measured
            .iter()
            .any(|p| p.model == crate::vocab::Model::Async)
    }

    /// The predicted band of one model, for charts: it starts at the largest measured worker count without
    /// oversubscription (its measured interval) and goes through every prediction.
    pub fn band_of(&self, model: crate::vocab::Model) -> Vec<BandPoint> {
        use crate::vocab::Model;
        let pick = |p: &Prediction| match model {
            Model::Threads => p.threads,
            Model::Processes => p.processes,
            Model::Async => p.asynchronous,
            Model::Sequential => None,
        };
        let predicted: Vec<BandPoint> = self
            .prediction
            .iter()
            .filter_map(|p| {
                pick(p).map(|b| BandPoint {
                    workers: p.cores,
                    low: b.low,
                    estimate: b.estimate,
                    high: b.high,
                })
            })
            .collect();
        if predicted.is_empty() {
            return predicted;
        }
        let start = self
            .measured_of(model)
            .into_iter()
            .filter(|p| !p.oversubscribed && p.workers > 1)
            .max_by_key(|p| p.workers)
            .map(|p| BandPoint {
                workers: p.workers,
                low: p.low,
                estimate: p.speedup,
                high: p.high,
            });
        start
            .into_iter()
            .chain(
                predicted
                    .into_iter()
                    .filter(|b| start.is_none_or(|s| b.workers > s.workers)),
            )
            .collect()
    }
}
