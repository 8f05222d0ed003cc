//! The settings `profile` measures with: which workloads, worker counts, rounds, timeout, counters, typed
//! and validated here (each check a one-line usage error); `cli` only converts flags into them.

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Error, Result};

/// Which worker counts each parallel model is measured at.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Workers {
    /// 1..=cores, 2x cores, and more for I/O-bound workloads (`schedule.rs`).
    #[default]
    Ladder,
    /// `--workers`: exactly these, sorted, each once.
    Counts(Vec<NonZeroUsize>),
}

impl Workers {
    /// `--workers LIST`: empty is the ladder; a zero is an error.
    pub fn from_counts(counts: &[usize]) -> Result<Workers> {
        if counts.is_empty() {
            return Ok(Workers::Ladder);
        }
        let mut out = counts
            .iter()
            .map(|&n| {
                NonZeroUsize::new(n)
                    .ok_or_else(|| Error::usage("--workers: worker counts must be at least 1"))
            })
            .collect::<Result<Vec<_>>>()?;
        out.sort_unstable();
        out.dedup();
        Ok(Workers::Counts(out))
    }

    /// The explicit counts; empty for the ladder (the schedule's plan).
    pub fn counts(&self) -> Vec<usize> {
        match self {
            Workers::Ladder => Vec::new(),
            Workers::Counts(c) => c.iter().map(|n| n.get()).collect(),
        }
    }
}

/// What runs are measured with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CounterChoice {
    /// perf-event counters where the kernel allows them (hardware, else software), rusage always.
    #[default]
    Perf,
    /// `--no-perf`: rusage only.
    Rusage,
}

/// How each workload is sampled: at which worker counts, for how many rounds, within which budget. The
/// schedule's [`Plan`](super::schedule::Plan) carries it as given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sampling {
    pub workers: Workers,
    /// `--runs`: exactly this many rounds; `None`: adaptive, 3 to 5.
    pub runs: Option<NonZeroUsize>,
    /// `--min-rounds`: at least this many rounds, even past the budget.
    pub min_rounds: Option<NonZeroUsize>,
    /// `--budget`: per workload (default: derived from its sequential time).
    pub budget: Option<Duration>,
}

/// Settled measurement settings.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureSettings {
    /// `--workload` names (empty: all).
    pub workloads: Vec<String>,
    pub sampling: Sampling,
    /// `--total-budget`: for all workloads (default: `schedule::REPORT_BUDGET`).
    pub total_budget: Option<Duration>,
    /// `--timeout`: a run is killed with its process tree after this long.
    pub timeout: Duration,
    pub counters: CounterChoice,
    /// Profile libtest targets too.
    pub tests: bool,
    /// `--python`: the interpreter Python workloads' environment is made from.
    pub python: Option<PathBuf>,
    /// `--memory-limit`: address-space limit of each process of a run, bytes.
    pub memory_limit: Option<u64>,
}

/// A count flag (`--runs`, `--min-rounds`): absent, or at least 1 (`what` says what one is).
pub fn count(flag: &str, what: &str, v: Option<usize>) -> Result<Option<NonZeroUsize>> {
    match v {
        None => Ok(None),
        Some(n) => NonZeroUsize::new(n)
            .map(Some)
            .ok_or_else(|| Error::usage(format!("{flag}: at least one {what} is needed"))),
    }
}

/// A duration flag in seconds (`--timeout`, `--budget`): a positive finite number.
pub fn seconds(flag: &str, secs: f64) -> Result<Duration> {
    if secs.is_finite() && secs > 0.0 {
        Duration::try_from_secs_f64(secs)
            .map_err(|_| Error::usage(format!("{flag}: {secs} seconds is too long")))
    } else {
        Err(Error::usage(format!(
            "{flag}: must be a positive number of seconds"
        )))
    }
}

/// `512M`, `2G`, `65536K`, `1048576` (bytes; binary units) for `--memory-limit`; at least 16M.
pub fn memory_size(text: &str) -> Result<u64> {
    let bad = || {
        Error::usage(format!(
            "--memory-limit {text}: use a size such as 512M or 2G"
        ))
    };
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let shift = match unit
        .to_ascii_uppercase()
        .trim_end_matches("IB")
        .trim_end_matches('B')
    {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return Err(bad()),
    };
    let n: u64 = digits.parse().map_err(|_| bad())?;
    match n.checked_mul(1u64 << shift) {
        Some(bytes) if bytes >= 16 << 20 => Ok(bytes),
        _ => Err(Error::usage(format!(
            "--memory-limit {text}: at least 16M (the harness itself needs some)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nz(n: usize) -> NonZeroUsize {
        NonZeroUsize::new(n).expect("non-zero")
    }

    #[test]
    fn worker_lists_become_the_ladder_or_sorted_distinct_counts() {
        assert_eq!(Workers::from_counts(&[]).ok(), Some(Workers::Ladder));
        assert_eq!(
            Workers::from_counts(&[8, 2, 8, 1]).ok(),
            Some(Workers::Counts(vec![nz(1), nz(2), nz(8)]))
        );
        assert_eq!(
            Workers::from_counts(&[8, 2, 8, 1]).map(|w| w.counts()).ok(),
            Some(vec![1, 2, 8])
        );
        assert!(Workers::Ladder.counts().is_empty());
        let e = Workers::from_counts(&[2, 0]).expect_err("zero workers");
        assert_eq!(e.code, crate::exit::USAGE);
        assert_eq!(e.message, "--workers: worker counts must be at least 1");
    }

    #[test]
    fn counts_and_seconds_are_checked() {
        assert_eq!(count("--runs", "run", None).ok(), Some(None));
        assert_eq!(count("--runs", "run", Some(3)).ok(), Some(Some(nz(3))));
        let e = count("--runs", "run", Some(0)).expect_err("zero runs");
        assert_eq!(e.message, "--runs: at least one run is needed");
        assert_eq!(
            seconds("--timeout", 1.5).ok(),
            Some(Duration::from_millis(1500))
        );
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let e = seconds("--timeout", bad).expect_err("not a duration");
            assert_eq!(e.code, crate::exit::USAGE);
            assert_eq!(e.message, "--timeout: must be a positive number of seconds");
        }
        assert!(seconds("--timeout", 1e300).is_err());
    }

    #[test]
    fn memory_sizes_parse_in_binary_units() {
        for (text, want) in [
            ("512M", Some(512u64 << 20)),
            ("2G", Some(2 << 30)),
            ("65536K", Some(64 << 20)),
            ("2gib", Some(2 << 30)),
            ("16777216", Some(16 << 20)),
            ("1M", None),
            ("lots", None),
            ("99999999999T", None),
        ] {
            assert_eq!(memory_size(text).ok(), want, "{text}");
        }
    }
}
