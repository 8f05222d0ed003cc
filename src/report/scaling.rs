//! Scaling prediction: fits Amdahl's law and the Universal Scalability Law to measured speedups (only
//! points without oversubscription), predicts low / estimate / high speedups for larger machines, widens
//! the band when the data constrain the curve poorly, and finds where one model overtakes the other.

use super::stats::quantile;
use crate::report::doc::Band;

/// Core counts the report predicts for.
pub const PREDICTED_CORES: [usize; 4] = [4, 8, 16, 64];

/// Largest core count considered for a crossover.
pub const CROSSOVER_LIMIT: usize = 64;

/// Bootstrap replicates refitted for the prediction band.
const REPLICATE_FITS: usize = 200;

/// A scaling law with fitted parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Law {
    /// `S(n) = 1 / ((1-p) + p/n)`, p the parallel fraction.
    Amdahl { p: f64 },
    /// `S(n) = n / (1 + a(n-1) + b n(n-1))`, a contention, b coherency (crosstalk).
    Usl { a: f64, b: f64 },
}

impl Law {
    pub fn speedup(&self, n: f64) -> f64 {
        match *self {
            Law::Amdahl { p } => 1.0 / ((1.0 - p) + p / n),
            Law::Usl { a, b } => n / (1.0 + a * (n - 1.0) + b * n * (n - 1.0)),
        }
    }

    pub fn describe(&self) -> String {
        match *self {
            Law::Amdahl { p } => format!("Amdahl, parallel fraction p = {p:.3}"),
            Law::Usl { a, b } => format!("USL, contention a = {a:.4}, coherency b = {b:.5}"),
        }
    }

    fn same_family(&self, points: &[(f64, f64)]) -> Law {
        match self {
            Law::Amdahl { .. } => Law::Amdahl {
                p: fit_amdahl(points),
            },
            Law::Usl { .. } => {
                let (a, b) = fit_usl(points);
                Law::Usl { a, b }
            }
        }
    }
}

/// One measured parallel point: workers, median speedup, its 95% interval and bootstrap replicates.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalePoint {
    pub workers: usize,
    pub speedup: f64,
    pub low: f64,
    pub high: f64,
    pub replicates: Vec<f64>,
}

/// A fitted curve for one model, able to give a band at any core count.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalingFit {
    pub law: Law,
    /// Distinct worker counts > 1 the fit rests on.
    pub parallel_points: usize,
    pub max_workers: usize,
    /// Residual standard deviation of the speedups (0 when the law has as many parameters as points).
    pub residual_sd: f64,
    /// Highest median speedup per worker (lets the band exceed linear only where the data did).
    max_efficiency: f64,
    replicate_laws: Vec<Law>,
    /// The other law fitted to the same points: the data may not tell them apart, so the band covers both.
    alternative: Law,
    alternative_replicates: Vec<Law>,
    /// For 1-2 points: the curve through the points' lower bounds with all loss put on coherency (it peaks
    /// and falls) and the one through their upper bounds with all loss put on contention (Amdahl).
    bounding_laws: Option<(Law, Law)>,
}

impl ScalingFit {
    /// True when the curve rests on too few points to tell contention from coherency.
    pub fn poorly_constrained(&self) -> bool {
        self.parallel_points <= 2
    }

    /// One line on the fit for the report's notes.
    pub fn note(&self, model: &str) -> String {
        let mut s = format!(
            "{model}: {} fitted on {} parallel point{} up to {} workers",
            self.law.describe(),
            self.parallel_points,
            if self.parallel_points == 1 { "" } else { "s" },
            self.max_workers
        );
        if self.residual_sd > 0.0 {
            s.push_str(&format!(" (residual sd {:.3})", self.residual_sd));
        }
        if self.poorly_constrained() {
            s.push_str(
                "; poorly constrained: too few points to separate contention from coherency, so the band \
                 spans both and widens with distance from the measured cores",
            );
        }
        s
    }

    /// low / estimate / high speedup predicted for `cores` workers.
    pub fn band(&self, cores: usize) -> Band {
        let n = cores.max(1) as f64;
        let estimate = self.law.speedup(n);
        let replicates: Vec<f64> = self
            .replicate_laws
            .iter()
            .map(|l| l.speedup(n))
            .filter(|s| s.is_finite())
            .collect();
        let (mut low, mut high) = if replicates.is_empty() {
            (estimate, estimate)
        } else {
            (quantile(&replicates, 0.025), quantile(&replicates, 0.975))
        };
        // The other law's own bootstrap spread: the data may not tell the two apart.
        let alternatives: Vec<f64> = self
            .alternative_replicates
            .iter()
            .map(|l| l.speedup(n))
            .filter(|s| s.is_finite())
            .collect();
        if !alternatives.is_empty() {
            low = low.min(quantile(&alternatives, 0.025));
            high = high.max(quantile(&alternatives, 0.975));
        }
        // Residual noise, growing with how far the prediction reaches beyond the data.
        let reach = if self.max_workers > 1 {
            (n.log2() / (self.max_workers as f64).log2()).max(1.0)
        } else {
            1.0
        };
        low = low.min(estimate - 2.0 * self.residual_sd * reach);
        high = high.max(estimate + 2.0 * self.residual_sd * reach);
        let other = self.alternative.speedup(n);
        if other.is_finite() {
            low = low.min(other);
            high = high.max(other);
        }
        if let Some((pessimistic, optimistic)) = self.bounding_laws {
            low = low.min(pessimistic.speedup(n));
            high = high.max(optimistic.speedup(n));
            let per_doubling = if self.parallel_points == 1 {
                0.15
            } else {
                0.08
            };
            let widen = per_doubling * (n / self.max_workers as f64).log2().max(0.0);
            low /= 1.0 + widen;
            high *= 1.0 + widen;
        }
        let ceiling = n * self.max_efficiency.max(1.0);
        let high = high.min(ceiling).max(estimate);
        let low = low.max(0.0).min(estimate);
        Band {
            low,
            estimate,
            high,
        }
    }
}

/// Sum of squared speedup residuals of a law over the points.
fn sse(law: &Law, points: &[(f64, f64)]) -> f64 {
    points
        .iter()
        .map(|&(n, s)| (s - law.speedup(n)).powi(2))
        .sum()
}

/// Least-squares parallel fraction p in [0, 1] (grid, then golden-section refinement).
pub fn fit_amdahl(points: &[(f64, f64)]) -> f64 {
    let cost = |p: f64| sse(&Law::Amdahl { p }, points);
    let steps = 400;
    let best = (0..=steps)
        .map(|i| i as f64 / steps as f64)
        .min_by(|a, b| cost(*a).total_cmp(&cost(*b)))
        .unwrap_or(0.0);
    let step = 1.0 / steps as f64;
    let (mut lo, mut hi) = ((best - step).max(0.0), (best + step).min(1.0));
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..60 {
        let m1 = hi - ratio * (hi - lo);
        let m2 = lo + ratio * (hi - lo);
        if cost(m1) <= cost(m2) {
            hi = m2;
        } else {
            lo = m1;
        }
    }
    (lo + hi) / 2.0
}

type UslRow = (f64, f64, f64, f64);

/// Least-squares USL parameters (a, b >= 0), from the linear form `n/S - 1 = a(n-1) + b n(n-1)`
/// weighted by `(S²/n)²` so that residuals count as speedup residuals (delta method).
pub fn fit_usl(points: &[(f64, f64)]) -> (f64, f64) {
    // (x = n-1, z = n(n-1), y = n/S - 1, weight)
    let rows: Vec<UslRow> = points
        .iter()
        .filter(|&&(n, s)| n > 1.0 && s > 0.0)
        .map(|&(n, s)| {
            let w = (s * s / n).powi(2);
            (n - 1.0, n * (n - 1.0), n / s - 1.0, w)
        })
        .collect();
    if rows.is_empty() {
        return (0.0, 0.0);
    }
    let sum = |f: &dyn Fn(&UslRow) -> f64| rows.iter().map(f).sum::<f64>();
    let sxx = sum(&|r| r.3 * r.0 * r.0);
    let szz = sum(&|r| r.3 * r.1 * r.1);
    let sxz = sum(&|r| r.3 * r.0 * r.1);
    let sxy = sum(&|r| r.3 * r.0 * r.2);
    let szy = sum(&|r| r.3 * r.1 * r.2);
    let a_only = || (sxy / sxx).max(0.0);
    let b_only = || (szy / szz).max(0.0);
    let det = sxx * szz - sxz * sxz;
    let distinct = {
        let mut ns: Vec<f64> = rows.iter().map(|r| r.0).collect();
        ns.sort_by(f64::total_cmp);
        ns.dedup();
        ns.len()
    };
    if distinct < 2 || det.abs() <= 1e-12 * sxx * szz {
        return (a_only(), 0.0);
    }
    let a = (sxy * szz - szy * sxz) / det;
    let b = (szy * sxx - sxy * sxz) / det;
    if a >= 0.0 && b >= 0.0 {
        return (a, b);
    }
    // The unconstrained optimum leaves the feasible region: the best feasible fit has one of them at 0.
    let candidates = [(a_only(), 0.0), (0.0, b_only())];
    candidates
        .into_iter()
        .min_by(|x, y| {
            sse(&Law::Usl { a: x.0, b: x.1 }, points)
                .total_cmp(&sse(&Law::Usl { a: y.0, b: y.1 }, points))
        })
        .unwrap_or((0.0, 0.0))
}

/// Fits one model's parallel points (workers > 1, none oversubscribed); `None` without any.
pub fn fit(points: &[ScalePoint]) -> Option<ScalingFit> {
    let usable: Vec<&ScalePoint> = points
        .iter()
        .filter(|p| p.workers > 1 && p.speedup.is_finite() && p.speedup > 0.0)
        .collect();
    if usable.is_empty() {
        return None;
    }
    let with_anchor = |values: &dyn Fn(&ScalePoint) -> f64| -> Vec<(f64, f64)> {
        std::iter::once((1.0, 1.0))
            .chain(usable.iter().map(|p| (p.workers as f64, values(p))))
            .collect()
    };
    let medians = with_anchor(&|p| p.speedup);
    let amdahl = Law::Amdahl {
        p: fit_amdahl(&medians),
    };
    let (a, b) = fit_usl(&medians);
    let usl = Law::Usl { a, b };
    let (sse_amdahl, sse_usl) = (sse(&amdahl, &medians), sse(&usl, &medians));
    // USL has one parameter more: take it only when it explains clearly more.
    let (law, alternative) = if sse_usl < 0.8 * sse_amdahl - 1e-12 {
        (usl, amdahl)
    } else {
        (amdahl, usl)
    };
    let mut distinct: Vec<usize> = usable.iter().map(|p| p.workers).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let parallel_points = distinct.len();
    let params = match law {
        Law::Amdahl { .. } => 1,
        Law::Usl { .. } => 2,
    };
    let residual_sd = if usable.len() > params {
        (sse(&law, &medians) / (usable.len() - params) as f64).sqrt()
    } else {
        0.0
    };
    let replicate_count = usable.iter().map(|p| p.replicates.len()).min().unwrap_or(0);
    let stride = (replicate_count / REPLICATE_FITS).max(1);
    let refit = |family: Law| -> Vec<Law> {
        (0..replicate_count)
            .step_by(stride)
            .map(|r| family.same_family(&with_anchor(&|p| p.replicates[r])))
            .collect()
    };
    let replicate_laws = refit(law);
    let alternative_replicates = refit(alternative);
    let bounding_laws = (parallel_points <= 2).then(|| {
        let lows = with_anchor(&|p| p.low.min(p.speedup));
        let highs = with_anchor(&|p| p.high.max(p.speedup));
        let b_only = {
            let rows: Vec<(f64, f64, f64)> = lows
                .iter()
                .filter(|&&(n, s)| n > 1.0 && s > 0.0)
                .map(|&(n, s)| (n * (n - 1.0), n / s - 1.0, (s * s / n).powi(2)))
                .collect();
            let szz: f64 = rows.iter().map(|r| r.2 * r.0 * r.0).sum();
            let szy: f64 = rows.iter().map(|r| r.2 * r.0 * r.1).sum();
            if szz > 0.0 {
                (szy / szz).max(0.0)
            } else {
                0.0
            }
        };
        let pessimistic = Law::Usl { a: 0.0, b: b_only };
        // An optimistic curve must not fall below the measured trend: Amdahl through the upper bounds,
        // or the fitted law itself when that is above it (a slowdown fitted by USL).
        let optimistic = Law::Amdahl {
            p: fit_amdahl(&highs),
        };
        (pessimistic, optimistic)
    });
    let max_workers = distinct.last().copied().unwrap_or(1);
    let max_efficiency = usable
        .iter()
        .map(|p| p.speedup / p.workers as f64)
        .fold(0.0, f64::max);
    Some(ScalingFit {
        law,
        parallel_points,
        max_workers,
        residual_sd,
        max_efficiency,
        replicate_laws,
        alternative,
        alternative_replicates,
        bounding_laws,
    })
}

/// The first core count in `(from, CROSSOVER_LIMIT]` at which the trailing curve overtakes the leading
/// one by more than 2%: `Some((cores, true))` when `second` takes the lead, `(cores, false)` for `first`.
pub fn crossover(first: &ScalingFit, second: &ScalingFit, from: usize) -> Option<(usize, bool)> {
    let at = |n: usize| (first.law.speedup(n as f64), second.law.speedup(n as f64));
    let (f0, s0) = at(from.max(1));
    let second_leads = s0 > f0;
    (from.max(1) + 1..=CROSSOVER_LIMIT).find_map(|n| {
        let (f, s) = at(n);
        if second_leads && f > s * 1.02 {
            Some((n, false))
        } else if !second_leads && s > f * 1.02 {
            Some((n, true))
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::stats::SplitMix64;

    fn exact_points(law: Law, workers: &[usize]) -> Vec<ScalePoint> {
        workers
            .iter()
            .map(|&n| {
                let s = law.speedup(n as f64);
                ScalePoint {
                    workers: n,
                    speedup: s,
                    low: s,
                    high: s,
                    replicates: vec![s; 50],
                }
            })
            .collect()
    }

    /// Points with multiplicative noise and replicates drawn around them (as a bootstrap would give).
    fn noisy_points(law: Law, workers: &[usize], rel: f64, seed: u64) -> Vec<ScalePoint> {
        let mut rng = SplitMix64::new(seed);
        workers
            .iter()
            .map(|&n| {
                let truth = law.speedup(n as f64);
                let mut jitter = || 1.0 + rel * (2.0 * rng.unit() - 1.0);
                let s = truth * jitter();
                let replicates: Vec<f64> = (0..400).map(|_| s * jitter()).collect();
                ScalePoint {
                    workers: n,
                    speedup: s,
                    low: quantile(&replicates, 0.025),
                    high: quantile(&replicates, 0.975),
                    replicates,
                }
            })
            .collect()
    }

    #[test]
    fn amdahl_fit_recovers_the_parallel_fraction() {
        for p in [0.5, 0.9, 0.99] {
            let points: Vec<(f64, f64)> = [1usize, 2, 4, 8, 16]
                .iter()
                .map(|&n| (n as f64, Law::Amdahl { p }.speedup(n as f64)))
                .collect();
            let fitted = fit_amdahl(&points);
            assert!((fitted - p).abs() < 1e-6, "p {p} fitted {fitted}");
        }
    }

    #[test]
    fn usl_fit_recovers_contention_and_coherency() {
        let (a, b) = (0.05, 0.002);
        let points: Vec<(f64, f64)> = [1usize, 2, 4, 8, 16, 32]
            .iter()
            .map(|&n| (n as f64, Law::Usl { a, b }.speedup(n as f64)))
            .collect();
        let (fa, fb) = fit_usl(&points);
        assert!((fa - a).abs() < 1e-9, "a {fa}");
        assert!((fb - b).abs() < 1e-9, "b {fb}");
        // And the model choice picks USL for retrograde data, Amdahl for Amdahl data.
        let usl_fit = fit(&exact_points(Law::Usl { a, b }, &[2, 4, 8, 16, 32])).expect("fit");
        assert!(matches!(usl_fit.law, Law::Usl { .. }), "{:?}", usl_fit.law);
        let amdahl_fit = fit(&exact_points(Law::Amdahl { p: 0.9 }, &[2, 4, 8])).expect("fit");
        assert!(
            matches!(amdahl_fit.law, Law::Amdahl { p } if (p - 0.9).abs() < 1e-6),
            "{:?}",
            amdahl_fit.law
        );
    }

    #[test]
    fn noisy_fit_stays_near_the_truth_and_its_band_covers_it() {
        let truth = Law::Amdahl { p: 0.95 };
        let fit = fit(&noisy_points(truth, &[2, 3, 4, 6, 8], 0.02, 11)).expect("fit");
        let band = fit.band(64);
        let actual = truth.speedup(64.0);
        assert!(
            band.low <= actual && actual <= band.high,
            "{band:?} vs {actual}"
        );
        assert!(!fit.poorly_constrained());
    }

    #[test]
    fn band_widens_with_fewer_points() {
        let truth = Law::Amdahl { p: 0.9 };
        let many = fit(&noisy_points(truth, &[2, 4, 8, 16], 0.02, 3)).expect("fit");
        let two = fit(&noisy_points(truth, &[2, 4], 0.02, 3)).expect("fit");
        let one = fit(&noisy_points(truth, &[2], 0.02, 3)).expect("fit");
        assert!(one.poorly_constrained() && two.poorly_constrained());
        assert!(one.note("threads").contains("poorly constrained"));
        let width = |f: &ScalingFit| {
            let b = f.band(64);
            b.high - b.low
        };
        assert!(
            width(&one) > width(&many),
            "{} vs {}",
            width(&one),
            width(&many)
        );
        assert!(
            width(&two) > width(&many),
            "{} vs {}",
            width(&two),
            width(&many)
        );
        // Farther predictions are less certain.
        let b8 = one.band(8);
        let b64 = one.band(64);
        assert!(b64.high - b64.low > b8.high - b8.low);
        // Every band brackets its estimate.
        for f in [&one, &two, &many] {
            for c in PREDICTED_CORES {
                let b = f.band(c);
                assert!(b.low <= b.estimate && b.estimate <= b.high, "{b:?}");
            }
        }
    }

    #[test]
    fn a_single_exact_point_still_gets_a_band() {
        let fit = fit(&exact_points(Law::Amdahl { p: 0.9 }, &[2])).expect("fit");
        let b = fit.band(16);
        assert!(b.high - b.low > 1.0, "{b:?}");
        assert!(b.high <= 16.0);
    }

    #[test]
    fn slowdown_is_fitted_as_contention() {
        // 0.9x at two workers: a lock that costs more than it saves.
        let fit = fit(&exact_points(Law::Usl { a: 1.2, b: 0.0 }, &[2])).expect("fit");
        assert!(fit.band(16).estimate < 1.0);
    }

    #[test]
    fn crossover_finds_where_the_leader_changes() {
        let steep = fit(&exact_points(Law::Amdahl { p: 0.97 }, &[2])).expect("fit");
        // Faster at 2 workers but saturating early.
        let early = fit(&exact_points(Law::Usl { a: 0.0, b: 0.005 }, &[2, 4, 8, 16])).expect("fit");
        assert!(early.law.speedup(2.0) > steep.law.speedup(2.0));
        let (cores, second_takes_lead) = crossover(&early, &steep, 2).expect("crossover");
        assert!(second_takes_lead);
        assert!(cores > 2 && cores <= 64);
        assert!(steep.law.speedup(cores as f64) > early.law.speedup(cores as f64));
        assert!(crossover(&steep, &steep, 2).is_none());
    }

    #[test]
    fn no_points_no_fit() {
        assert!(fit(&[]).is_none());
        assert!(fit(&exact_points(Law::Amdahl { p: 0.5 }, &[1])).is_none());
    }
}
