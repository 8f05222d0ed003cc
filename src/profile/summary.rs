//! From samples to a run summary: medians, spreads, the noise flag.

use crate::profile::doc::{MedianOnly, RunKey, RunSummary, Sample, Spread};

/// A run is flagged noisy when (max - min) / median of its wall times exceeds this.
pub const NOISE_THRESHOLD: f64 = 0.10;

/// Median of the values (the lower middle for an even count); 0 when empty.
pub fn median(values: impl Iterator<Item = u64>) -> u64 {
    let mut v: Vec<u64> = values.collect();
    if v.is_empty() {
        return 0;
    }
    v.sort_unstable();
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2
    }
}

pub fn spread(values: impl Iterator<Item = u64> + Clone) -> Spread {
    Spread {
        median: median(values.clone()),
        min: values.clone().min().unwrap_or(0),
        max: values.max().unwrap_or(0),
    }
}

/// The summary of one measured configuration. An async run is oversubscribed when its runtime has more
/// worker threads than cores (jobs in flight are tasks, not threads).
pub fn summarize(
    key: RunKey,
    cores: usize,
    samples: &[Sample],
    results_match_sequential: bool,
) -> RunSummary {
    let m = |f: fn(&Sample) -> u64| median(samples.iter().map(f));
    let wall = spread(samples.iter().map(|s| s.wall_ns));
    let noisy =
        wall.median > 0 && (wall.max - wall.min) as f64 / wall.median as f64 > NOISE_THRESHOLD;
    let mut counters = samples
        .first()
        .map(|s| s.counters.clone())
        .unwrap_or_default();
    counters.instructions = m(|s| s.counters.instructions);
    counters.cycles = m(|s| s.counters.cycles);
    counters.cache_misses = m(|s| s.counters.cache_misses);
    counters.task_clock_ns = m(|s| s.counters.task_clock_ns);
    counters.context_switches = m(|s| s.counters.context_switches);
    counters.page_faults = m(|s| s.counters.page_faults);
    counters.measured = samples.iter().all(|s| s.counters.measured) && !samples.is_empty();
    counters.estimated = samples.iter().any(|s| s.counters.estimated);
    counters.running_fraction = samples
        .iter()
        .map(|s| s.counters.running_fraction)
        .fold(f64::INFINITY, f64::min);
    if !counters.running_fraction.is_finite() {
        counters.running_fraction = 0.0;
    }
    let RunKey {
        model,
        workers,
        runtime,
        in_flight,
    } = key;
    RunSummary {
        model,
        workers,
        runtime,
        in_flight,
        wall_ns: wall,
        cpu_ns: spread(samples.iter().map(|s| s.user_ns + s.sys_ns)),
        setup_ns: MedianOnly {
            median: m(|s| s.setup_ns),
        },
        peak_rss_kb_total: m(|s| s.peak_rss_kb_total),
        voluntary_switches: m(|s| s.voluntary_switches),
        involuntary_switches: m(|s| s.involuntary_switches),
        minor_faults: m(|s| s.minor_faults),
        counters,
        samples: samples.len(),
        results_match_sequential,
        sys_ns: MedianOnly {
            median: m(|s| s.sys_ns),
        },
        major_faults: m(|s| s.major_faults),
        oversubscribed: workers > cores,
        noisy,
        raw_samples: samples.to_vec(),
        jobs_wall_ns: MedianOnly {
            median: m(|s| s.jobs_wall_ns),
        },
        pool_start_ns: m(|s| s.pool_start_ns),
        pickled_bytes_per_job: m(|s| s.pickled_bytes_per_job),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::doc::AsyncRuntime;
    use crate::vocab::Model;

    fn sample(wall: u64) -> Sample {
        Sample {
            wall_ns: wall,
            user_ns: wall / 2,
            sys_ns: 1,
            ..Sample::default()
        }
    }

    #[test]
    fn medians_and_spread() {
        assert_eq!(median([5, 1, 3].into_iter()), 3);
        assert_eq!(median([4, 1, 3, 2].into_iter()), 2);
        assert_eq!(median(std::iter::empty()), 0);
        let s = spread([10, 30, 20].into_iter());
        assert_eq!((s.median, s.min, s.max), (20, 10, 30));
    }

    #[test]
    fn noise_flag_and_oversubscription() {
        let quiet = summarize(
            RunKey::plain(Model::Threads, 4),
            2,
            &[sample(100), sample(104), sample(102)],
            true,
        );
        assert!(!quiet.noisy && quiet.oversubscribed);
        assert_eq!(quiet.cpu_ns.median, 52);
        let noisy = summarize(
            RunKey::plain(Model::Threads, 2),
            2,
            &[sample(100), sample(150), sample(102)],
            true,
        );
        assert!(noisy.noisy && !noisy.oversubscribed);
        assert_eq!(noisy.samples, 3);
        assert_eq!(noisy.raw_samples.len(), 3);
        assert_eq!((noisy.runtime, noisy.in_flight), (None, None));
        // 256 tasks in flight on one thread are not oversubscription; 4 runtime workers on 2 cores are.
        let one = summarize(
            RunKey::tasks(AsyncRuntime::CurrentThread, 8, 256),
            2,
            &[sample(100)],
            true,
        );
        assert!(!one.oversubscribed);
        assert_eq!(
            (one.model, one.workers, one.in_flight),
            (Model::Async, 1, Some(256))
        );
        assert_eq!(
            one.key(),
            RunKey::tasks(AsyncRuntime::CurrentThread, 1, 256)
        );
        let multi = summarize(
            RunKey::tasks(AsyncRuntime::MultiThread, 4, 16),
            2,
            &[sample(100)],
            true,
        );
        assert!(multi.oversubscribed);
        assert_eq!(multi.runtime, Some(AsyncRuntime::MultiThread));
    }
}
