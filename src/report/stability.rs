//! How stable a verdict is, and how noisy the measurements behind it were: the whole decision is taken
//! again on profiles whose samples are drawn again (a bootstrap over each run's own samples), and the share
//! of redraws that give the same verdict is the verdict's stability. Pure: no I/O, seeded per workload.

use crate::profile::doc::{RunKey, RunSummary, WorkloadProfile};
use crate::profile::summary::{summarize, NOISE_THRESHOLD};
use crate::report::doc::{NoiseDoc, NoisyRun, StabilityDoc, VerdictShare};
use crate::report::stats::{seed_for, SplitMix64};

/// Profiles drawn again per workload.
pub const RESAMPLES: usize = 40;

/// Bootstrap draws per comparison inside each redrawn decision (only its verdict is kept).
pub const REDRAW_BOOTSTRAP: usize = 200;

/// Below this share of redraws agreeing, the verdict rests on noise and the report says so.
pub const STABLE_SHARE: f64 = 0.8;

/// The profile with every run's samples drawn again, with replacement, and its summary made again from
/// them. Runs without raw samples (profiles from before they were kept) stay as they are.
pub fn redraw(w: &WorkloadProfile, cores: usize, rng: &mut SplitMix64) -> WorkloadProfile {
    let mut out = w.clone();
    for run in &mut out.runs {
        if run.raw_samples.len() < 2 {
            continue;
        }
        let drawn: Vec<_> = (0..run.raw_samples.len())
            .map(|_| run.raw_samples[rng.below(run.raw_samples.len())].clone())
            .collect();
        *run = resummarized(run, cores, &drawn);
    }
    out
}

fn resummarized(
    run: &RunSummary,
    cores: usize,
    drawn: &[crate::profile::doc::Sample],
) -> RunSummary {
    let key = RunKey {
        model: run.model,
        workers: run.workers,
        runtime: run.runtime,
        in_flight: run.in_flight,
    };
    let mut again = summarize(key, cores, drawn, run.results_match_sequential);
    // What the samples cannot redraw stays as measured.
    again.oversubscribed = run.oversubscribed;
    again
}

/// The stability of `verdict` (a label such as `threads ×2`): `decide` gives the verdict label of a
/// redrawn profile. `None` when nothing can be redrawn.
pub fn of(
    w: &WorkloadProfile,
    cores: usize,
    verdict: &str,
    decide: impl Fn(&WorkloadProfile) -> String,
) -> Option<StabilityDoc> {
    if w.runs.iter().all(|r| r.raw_samples.len() < 2) {
        return None;
    }
    let mut rng = SplitMix64::new(seed_for(&[&w.package, &w.name, "stability"]));
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for _ in 0..RESAMPLES {
        let again = redraw(w, cores, &mut rng);
        *counts.entry(decide(&again)).or_default() += 1;
    }
    let same = counts.get(verdict).copied().unwrap_or(0);
    let mut alternatives: Vec<VerdictShare> = counts
        .into_iter()
        .filter(|(v, _)| v != verdict)
        .map(|(verdict, n)| VerdictShare {
            verdict,
            share: share(n),
        })
        .collect();
    alternatives.sort_by(|a, b| b.share.total_cmp(&a.share).then(a.verdict.cmp(&b.verdict)));
    Some(StabilityDoc {
        resamples: RESAMPLES,
        same_share: share(same),
        alternatives,
    })
}

fn share(n: usize) -> f64 {
    (n as f64 / RESAMPLES as f64 * 100.0).round() / 100.0
}

/// The runs whose wall-time spread over their samples passed the noise threshold, noisiest first.
pub fn noise(w: &WorkloadProfile) -> NoiseDoc {
    let mut noisy: Vec<(f64, String)> = w
        .runs
        .iter()
        .filter(|r| r.noisy && r.wall_ns.median > 0)
        .map(|r| {
            (
                (r.wall_ns.max - r.wall_ns.min) as f64 / r.wall_ns.median as f64,
                crate::report::evidence::run_label(r),
            )
        })
        .collect();
    noisy.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    NoiseDoc {
        runs: w.runs.len(),
        noisy_runs: noisy.len(),
        threshold: NOISE_THRESHOLD,
        worst: noisy.first().map(|(spread, run)| NoisyRun {
            run: run.clone(),
            spread: (spread * 100.0).round() / 100.0,
        }),
    }
}
