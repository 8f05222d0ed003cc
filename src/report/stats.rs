//! Statistics for the recommender: medians, percentiles, a deterministic RNG and bootstrap confidence
//! intervals of ratios of medians (speedup over sequential, one model against another).

/// Resamples drawn for each bootstrap interval.
pub const BOOTSTRAP_RESAMPLES: usize = 1000;

/// A point estimate with a 95% interval around it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
}

impl Interval {
    #[cfg(test)]
    pub fn contains(&self, value: f64) -> bool {
        self.low <= value && value <= self.high
    }
}

/// A ratio of medians with its bootstrap interval and the resampled ratios behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct Bootstrapped {
    pub interval: Interval,
    /// One ratio per resample, in the order drawn (not sorted): index `i` of two `Bootstrapped` values
    /// made with the same seed come from the same resample number.
    pub replicates: Vec<f64>,
}

impl Bootstrapped {
    /// Share of the resampled ratios above `x`: a one-sided bootstrap probability that the ratio exceeds it.
    pub fn share_above(&self, x: f64) -> f64 {
        if self.replicates.is_empty() {
            return if self.interval.estimate > x { 1.0 } else { 0.0 };
        }
        self.replicates.iter().filter(|r| **r > x).count() as f64 / self.replicates.len() as f64
    }
}

/// splitmix64: a small, fast, well-mixed generator; seeded with constants so every report is reproducible.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0), by multiply-shift (bias below 2^-32 for the small n used here).
    pub fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }

    /// Uniform in [0, 1).
    #[cfg(test)]
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Median of the values (mean of the two middle ones for an even count); NaN when empty.
pub fn median(values: &[f64]) -> f64 {
    median_in_place(&mut values.to_vec())
}

/// [`median`] of values it may reorder: no copy (the bootstrap's inner loop).
fn median_in_place(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let (len, mid) = (v.len(), v.len() / 2);
    let (below, m, _) = v.select_nth_unstable_by(mid, f64::total_cmp);
    let upper = *m;
    if len % 2 == 1 {
        upper
    } else {
        // The largest of the lower half is the other middle value.
        let lower = below.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lower + upper) / 2.0
    }
}

/// The `q` quantile (0..=1) of the values, by linear interpolation between order statistics.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    v[lo] + (v[hi] - v[lo]) * frac
}

fn resampled_median(values: &[f64], rng: &mut SplitMix64, scratch: &mut Vec<f64>) -> f64 {
    scratch.clear();
    scratch.extend((0..values.len()).map(|_| values[rng.below(values.len())]));
    median_in_place(scratch)
}

/// `median(numerator) / median(denominator)` with a 95% percentile-bootstrap interval: both sample sets
/// are resampled independently [`BOOTSTRAP_RESAMPLES`] times. Speedup over sequential is
/// `ratio_of_medians(sequential walls, model walls)`; "A is x times faster than B" is
/// `ratio_of_medians(B walls, A walls)`. `None` when a side has no positive sample.
pub fn ratio_of_medians(numerator: &[f64], denominator: &[f64], seed: u64) -> Option<Bootstrapped> {
    ratio_of_medians_n(numerator, denominator, seed, BOOTSTRAP_RESAMPLES)
}

/// [`ratio_of_medians`] with `resamples` bootstrap draws (fewer where only the verdict is wanted).
pub fn ratio_of_medians_n(
    numerator: &[f64],
    denominator: &[f64],
    seed: u64,
    resamples: usize,
) -> Option<Bootstrapped> {
    let num: Vec<f64> = numerator
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    let den: Vec<f64> = denominator
        .iter()
        .copied()
        .filter(|v| v.is_finite() && *v > 0.0)
        .collect();
    if num.is_empty() || den.is_empty() {
        return None;
    }
    let estimate = median(&num) / median(&den);
    let mut rng = SplitMix64::new(seed);
    let mut scratch = Vec::with_capacity(num.len().max(den.len()));
    let replicates: Vec<f64> = (0..resamples.max(1))
        .map(|_| {
            let n = resampled_median(&num, &mut rng, &mut scratch);
            let d = resampled_median(&den, &mut rng, &mut scratch);
            n / d
        })
        .collect();
    let low = quantile(&replicates, 0.025).min(estimate);
    let high = quantile(&replicates, 0.975).max(estimate);
    Some(Bootstrapped {
        interval: Interval {
            estimate,
            low,
            high,
        },
        replicates,
    })
}

/// A stable seed for one comparison, so an interval does not depend on the order others were drawn in.
pub fn seed_for(parts: &[&str]) -> u64 {
    // FNV-1a over the parts, separated.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01B3);
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn quantile_interpolates_between_order_statistics() {
        let v = [10.0, 0.0, 5.0];
        assert_eq!(quantile(&v, 0.0), 0.0);
        assert_eq!(quantile(&v, 1.0), 10.0);
        assert_eq!(quantile(&v, 0.25), 2.5);
    }

    #[test]
    fn splitmix_is_deterministic_and_covers_its_range() {
        let mut a = SplitMix64::new(7);
        let mut b = SplitMix64::new(7);
        let mut seen = [0usize; 5];
        for _ in 0..5000 {
            let x = a.below(5);
            assert_eq!(x, b.below(5));
            seen[x] += 1;
        }
        // Each of 5 buckets gets about 1000; a broken generator would skew far off.
        assert!(seen.iter().all(|&c| (850..1150).contains(&c)), "{seen:?}");
        let u = a.unit();
        assert!((0.0..1.0).contains(&u));
    }

    /// Samples with known spread: the interval covers the true ratio, and is tighter with more samples.
    fn noisy(mean: f64, rel_sd: f64, n: usize, rng: &mut SplitMix64) -> Vec<f64> {
        (0..n)
            .map(|_| {
                // Sum of 4 uniforms: roughly normal, sd = sqrt(4/12).
                let z: f64 = (0..4).map(|_| rng.unit()).sum::<f64>() - 2.0;
                mean * (1.0 + rel_sd * z / (4.0f64 / 12.0).sqrt())
            })
            .collect()
    }

    #[test]
    fn bootstrap_interval_covers_the_true_ratio_and_narrows_with_samples() {
        let mut rng = SplitMix64::new(99);
        let seq_few = noisy(2.0, 0.03, 5, &mut rng);
        let par_few = noisy(1.0, 0.03, 5, &mut rng);
        let seq_many = noisy(2.0, 0.03, 60, &mut rng);
        let par_many = noisy(1.0, 0.03, 60, &mut rng);
        let few = ratio_of_medians(&seq_few, &par_few, 1).expect("samples");
        let many = ratio_of_medians(&seq_many, &par_many, 1).expect("samples");
        assert!(few.interval.contains(2.0), "{:?}", few.interval);
        assert!(many.interval.contains(2.0), "{:?}", many.interval);
        assert!((many.interval.estimate - 2.0).abs() < 0.05);
        let width = |i: Interval| i.high - i.low;
        assert!(width(many.interval) < width(few.interval));
        assert_eq!(few.replicates.len(), BOOTSTRAP_RESAMPLES);
    }

    #[test]
    fn bootstrap_is_reproducible_and_rejects_empty_sides() {
        let a = ratio_of_medians(&[3.0, 3.1, 2.9], &[1.0, 1.2, 0.9], 5).expect("samples");
        let b = ratio_of_medians(&[3.0, 3.1, 2.9], &[1.0, 1.2, 0.9], 5).expect("samples");
        assert_eq!(a, b);
        assert!(ratio_of_medians(&[], &[1.0], 5).is_none());
        assert!(ratio_of_medians(&[1.0], &[0.0], 5).is_none());
        // With three samples per side the interval spans the extreme ratios: 2.9/1.2 .. 3.1/0.9.
        assert!(a.interval.low >= 2.9 / 1.2 - 1e-12);
        assert!(a.interval.high <= 3.1 / 0.9 + 1e-12);
        assert!(a.interval.low < a.interval.estimate && a.interval.estimate < a.interval.high);
        assert_eq!(a.share_above(0.0), 1.0);
        assert_eq!(a.share_above(10.0), 0.0);
        let mid = a.share_above(a.interval.estimate);
        assert!(mid > 0.0 && mid < 1.0, "{mid}");
    }

    #[test]
    fn seeds_differ_per_comparison() {
        assert_ne!(seed_for(&["a", "threads"]), seed_for(&["a", "processes"]));
        assert_ne!(seed_for(&["ab", "c"]), seed_for(&["a", "bc"]));
    }
}
