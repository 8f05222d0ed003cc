//! The evidence for one workload: its measured runs with bootstrap speedups over sequential, and the
//! analysis findings on its path (reachable from its `run` and `setup`), plus the number formats the
//! reasons use.

use crate::analyze::doc::AnalysisDoc;
use crate::profile::doc::{AsyncRuntime, RunSummary, WorkloadProfile};
use crate::vocab::Model;
use crate::vocab::{Finding, FindingKind};

use super::stats::{ratio_of_medians_n, seed_for, Bootstrapped, BOOTSTRAP_RESAMPLES};

/// A finding reachable from the workload, and how: from `run` or `setup` (declared workloads), in a test
/// target's own files (`test`), or in library code its tests call (`test-call`).
#[derive(Debug, Clone, Copy)]
pub struct PathFinding<'a> {
    pub finding: &'a Finding,
    pub via: Via,
}

/// How a finding is on a workload's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// Reachable from the declared `run` function.
    Run,
    /// Reachable from the declared `setup` function.
    Setup,
    /// In a test target's own files.
    TestTarget,
    /// In library code a test target's functions call.
    TestCall,
}

impl Via {
    /// `run`, `setup`, `test`, `test-call`.
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Run => "run",
            Via::Setup => "setup",
            Via::TestTarget => "test",
            Via::TestCall => "test-call",
        }
    }
}

impl PathFinding<'_> {
    /// `src/lib.rs:12`
    pub fn location(&self) -> String {
        format!("{}:{}", self.finding.file, self.finding.line)
    }

    pub fn is(&self, kinds: &[FindingKind]) -> bool {
        kinds.contains(&self.finding.kind)
    }
}

/// Kinds that mean a lock (or lock-like global) the jobs may queue on.
pub const LOCK_KINDS: [FindingKind; 5] = [
    FindingKind::GlobalState,
    FindingKind::StaticMut,
    FindingKind::SharedLock,
    FindingKind::LockAcrossBlocking,
    FindingKind::DoubleLock,
];

/// One measured (model, workers) run and its speedup over sequential.
#[derive(Debug, Clone)]
pub struct ModelPoint<'a> {
    pub run: &'a RunSummary,
    pub speedup: Bootstrapped,
    pub oversubscribed: bool,
}

/// Everything the verdict looks at for one workload.
#[derive(Debug, Clone)]
pub struct Evidence<'a> {
    pub workload: &'a WorkloadProfile,
    pub cores: usize,
    pub sequential: Option<&'a RunSummary>,
    /// Sorted by workers.
    pub threads: Vec<ModelPoint<'a>>,
    pub processes: Vec<ModelPoint<'a>>,
    /// Async tasks (workloads whose `run` is an `async fn`): every runtime and K in flight, sorted by
    /// (runtime, workers, in flight).
    pub asynchronous: Vec<ModelPoint<'a>>,
    pub findings: Vec<PathFinding<'a>>,
    /// What the sequential run spends outside its jobs, left out of every comparison.
    pub baseline: Baseline,
    /// Global declarations of the workload's crate not traced to its path (see [`crate_globals`]).
    pub crate_globals: Vec<&'a Finding>,
    /// Bootstrap draws per comparison ([`BOOTSTRAP_RESAMPLES`]; fewer when only the verdict is wanted).
    pub bootstrap: usize,
}

/// What the sequential run spends outside its jobs, left out of every comparison.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Baseline {
    /// Median setup time (ns).
    pub setup_ns: u64,
    /// Median of the rest outside the job phase: process start and exit, dropping the shared input (ns),
    /// from the harness's own job-phase timer; 0 when the profile has none.
    pub serial_rest_ns: u64,
}

impl Baseline {
    pub fn of(sequential: &RunSummary) -> Baseline {
        let rests: Vec<f64> = sequential
            .raw_samples
            .iter()
            .filter(|s| s.jobs_wall_ns > 0)
            .map(|s| s.wall_ns.saturating_sub(s.setup_ns + s.jobs_wall_ns) as f64)
            .collect();
        let rest = super::stats::median(&rests);
        let after_setup = sequential
            .wall_ns
            .median
            .saturating_sub(sequential.setup_ns.median) as f64;
        // Never most of what is left: subtracting a rest that rivals tiny jobs would turn timer noise into
        // huge ratios.
        let usable = rest.is_finite() && rest <= 0.5 * after_setup;
        Baseline {
            setup_ns: sequential.setup_ns.median,
            serial_rest_ns: if usable { rest as u64 } else { 0 },
        }
    }
}

/// Times of a run's counted samples in its job phase (ns). Sequential and threads: the harness's own
/// job-phase timer when the profile has it. Otherwise (and always for processes): each sample's wall time
/// less its own setup
/// time (so setup noise cancels) and less the serial rest of the sequential run (process start and exit,
/// dropping the input), plus how much longer this run's median setup took than the sequential one (so
/// worker processes that each build the input more slowly than one setup does are charged for it).
/// Setup and the rest are serial in every model: this is the part that parallelism can change.
/// From the min / median / max spread when the profile carries no raw samples.
pub fn job_phase_samples(run: &RunSummary, baseline: Baseline) -> Vec<f64> {
    let extra_setup = run.setup_ns.median.saturating_sub(baseline.setup_ns);
    // In one process (sequential, threads) the harness times the job phase itself: no start, exit or drop
    // noise. Worker processes' start is part of their cost, so they are measured from the outside.
    if run.model != Model::Processes {
        let timed: Vec<f64> = run
            .raw_samples
            .iter()
            .filter(|s| s.jobs_wall_ns > 0)
            .map(|s| (s.jobs_wall_ns + extra_setup) as f64)
            .collect();
        if !timed.is_empty() {
            return timed;
        }
    }
    let phase = |wall: u64, setup: u64| {
        (wall.saturating_sub(setup + baseline.serial_rest_ns) + extra_setup) as f64
    };
    let raw: Vec<f64> = run
        .raw_samples
        .iter()
        .map(|s| phase(s.wall_ns, s.setup_ns))
        .filter(|w| *w > 0.0)
        .collect();
    if !raw.is_empty() {
        return raw;
    }
    let setup = run.setup_ns.median;
    let s = run.wall_ns;
    if s.median <= setup {
        return Vec::new();
    }
    let spread: &[u64] = if run.samples <= 1 || s.min == s.max {
        &[s.median]
    } else {
        &[s.min, s.median, s.max]
    };
    spread
        .iter()
        .map(|w| phase(*w, setup))
        .filter(|w| *w > 0.0)
        .collect()
}

/// `crate_name::item` as the analyzer spells it: hyphens in the crate name become underscores and a
/// leading `crate::` becomes the package's crate name.
pub fn normalize_path(path: &str, package: &str) -> String {
    let krate = package.replace('-', "_");
    let path = path.trim().trim_start_matches("::");
    match path.split_once("::") {
        Some(("crate", rest)) => format!("{krate}::{rest}"),
        Some((first, rest)) => format!("{}::{rest}", first.replace('-', "_")),
        None => format!("{krate}::{path}"),
    }
}

/// The crate a test workload's binary is built from (`test:suite` -> `suite`, `test:lib:my-lib` -> `my_lib`).
pub fn test_crate(w: &WorkloadProfile) -> Option<String> {
    if w.kind != crate::workload::WorkloadKind::Test {
        return None;
    }
    let target = crate::workload::TestTarget::from_workload_name(&w.name)?;
    Some(target.name.replace('-', "_"))
}

/// Findings on the workload's path, each once, sorted by file and line. Declared workloads: reachable from
/// `run` and `setup`. Test workloads: everything in the test target's own files (its functions' files, so a
/// sibling test target or an example is never included) and what its functions reach in the library.
pub fn path_findings<'a>(analysis: &'a AnalysisDoc, w: &WorkloadProfile) -> Vec<PathFinding<'a>> {
    let mut out: Vec<PathFinding<'a>> = Vec::new();
    let push = |f: &'a Finding, via: Via, out: &mut Vec<PathFinding<'a>>| {
        if !out.iter().any(|p| std::ptr::eq(p.finding, f)) {
            out.push(PathFinding { finding: f, via });
        }
    };
    if let Some(krate) = test_crate(w) {
        let prefix = format!("{krate}::");
        let own: Vec<&crate::vocab::FunctionDoc> = analysis
            .functions
            .iter()
            .filter(|f| f.package == w.package && f.path.starts_with(&prefix))
            .collect();
        let files: std::collections::BTreeSet<&str> = own.iter().map(|f| f.file.as_str()).collect();
        for f in &analysis.findings {
            if f.package == w.package && files.contains(f.file.as_str()) {
                push(f, Via::TestTarget, &mut out);
            }
        }
        for d in &own {
            for &i in &d.reachable_findings {
                if let Some(f) = analysis.findings.get(i) {
                    push(f, Via::TestCall, &mut out);
                }
            }
        }
    }
    let run = w.run_resolved.as_ref().or(w.run.as_ref());
    let setup = w.setup_resolved.as_ref().or(w.setup.as_ref());
    for (via, path) in [(Via::Run, run), (Via::Setup, setup)] {
        let Some(path) = path else { continue };
        let normalized = normalize_path(path, &w.package);
        let mut found = analysis.findings_reachable_from(&normalized);
        if found.is_empty() && normalized != *path {
            found = analysis.findings_reachable_from(path);
        }
        for f in found {
            push(f, via, &mut out);
        }
    }
    out.sort_by(|a, b| {
        (
            &a.finding.file,
            a.finding.line,
            a.finding.column,
            a.finding.kind,
        )
            .cmp(&(
                &b.finding.file,
                b.finding.line,
                b.finding.column,
                b.finding.kind,
            ))
    });
    out
}

/// Global-state and `static mut` declarations that the analysis did not trace to the workload's path (a
/// declaration sits outside any function), in the files the path reaches: the files of `run`/`setup` (or of
/// the test target's functions) and of the findings on the path. Candidates when the timings point at a
/// lock; never a sibling test target's, an example's or an unreached module's.
pub fn crate_globals<'a>(
    analysis: &'a AnalysisDoc,
    w: &WorkloadProfile,
    on_path: &[PathFinding<'a>],
) -> Vec<&'a Finding> {
    let mut files: std::collections::BTreeSet<&str> =
        on_path.iter().map(|p| p.finding.file.as_str()).collect();
    let entry: Vec<String> = [
        w.run_resolved.as_ref().or(w.run.as_ref()),
        w.setup_resolved.as_ref().or(w.setup.as_ref()),
    ]
    .into_iter()
    .flatten()
    .map(|p| normalize_path(p, &w.package))
    .collect();
    let test_prefix = test_crate(w).map(|k| format!("{k}::"));
    for d in &analysis.functions {
        let is_entry = entry.contains(&d.path);
        let is_test_fn = test_prefix
            .as_ref()
            .is_some_and(|p| d.package == w.package && d.path.starts_with(p));
        if is_entry || is_test_fn {
            files.insert(d.file.as_str());
        }
    }
    analysis
        .findings
        .iter()
        .filter(|f| matches!(f.kind, FindingKind::GlobalState | FindingKind::StaticMut))
        .filter(|f| f.function.is_none())
        .filter(|f| f.package == w.package || f.package.is_empty())
        .filter(|f| files.contains(f.file.as_str()))
        .filter(|f| !on_path.iter().any(|p| std::ptr::eq(p.finding, *f)))
        .collect()
}

impl<'a> Evidence<'a> {
    pub fn gather(
        w: &'a WorkloadProfile,
        findings: Vec<PathFinding<'a>>,
        crate_globals: Vec<&'a Finding>,
        cores: usize,
    ) -> Evidence<'a> {
        Self::gather_with(w, findings, crate_globals, cores, BOOTSTRAP_RESAMPLES)
    }

    /// [`Evidence::gather`] with `bootstrap` draws per comparison.
    pub fn gather_with(
        w: &'a WorkloadProfile,
        findings: Vec<PathFinding<'a>>,
        crate_globals: Vec<&'a Finding>,
        cores: usize,
        bootstrap: usize,
    ) -> Evidence<'a> {
        let sequential = w
            .runs
            .iter()
            .filter(|r| r.model == Model::Sequential)
            .min_by_key(|r| r.workers);
        let baseline = sequential.map(Baseline::of).unwrap_or_default();
        let seq_walls = sequential
            .map(|s| job_phase_samples(s, baseline))
            .unwrap_or_default();
        let points = |model: Model| -> Vec<ModelPoint<'a>> {
            let mut runs: Vec<&RunSummary> = w.runs.iter().filter(|r| r.model == model).collect();
            runs.sort_by_key(|r| (r.runtime, r.workers, r.in_flight));
            runs.into_iter()
                .filter_map(|run| {
                    let mut parts = vec![
                        w.name.clone(),
                        model.as_str().into(),
                        run.workers.to_string(),
                    ];
                    if let (Some(rt), Some(k)) = (run.runtime, run.in_flight) {
                        parts.push(rt.as_str().into());
                        parts.push(k.to_string());
                    }
                    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
                    let seed = seed_for(&parts);
                    let speedup = ratio_of_medians_n(
                        &seq_walls,
                        &job_phase_samples(run, baseline),
                        seed,
                        bootstrap,
                    )?;
                    Some(ModelPoint {
                        run,
                        speedup,
                        oversubscribed: run.oversubscribed || run.workers > cores,
                    })
                })
                .collect()
        };
        Evidence {
            workload: w,
            cores,
            sequential,
            threads: points(Model::Threads),
            processes: points(Model::Processes),
            asynchronous: points(Model::Async),
            findings,
            baseline,
            crate_globals,
            bootstrap,
        }
    }

    pub fn points(&self, model: Model) -> &[ModelPoint<'a>] {
        match model {
            Model::Threads => &self.threads,
            Model::Processes => &self.processes,
            Model::Async => &self.asynchronous,
            Model::Sequential => &[],
        }
    }

    /// The async points of one runtime, sorted by (workers, in flight).
    pub fn async_points(&self, runtime: AsyncRuntime) -> Vec<&ModelPoint<'a>> {
        self.asynchronous
            .iter()
            .filter(|p| p.run.runtime == Some(runtime))
            .collect()
    }

    /// The worker count with the highest median speedup, among runs whose results matched (all runs when
    /// none did); within 3% of it, the fewest workers (as fast, and cheaper).
    pub fn best(&self, model: Model) -> Option<&ModelPoint<'a>> {
        let points = self.points(model);
        let matching: Vec<&ModelPoint<'a>> = points
            .iter()
            .filter(|p| p.run.results_match_sequential)
            .collect();
        let pool: Vec<&ModelPoint<'a>> = if matching.is_empty() {
            points.iter().collect()
        } else {
            matching
        };
        let top_of = |pool: &[&ModelPoint<'a>]| {
            pool.iter()
                .map(|p| p.speedup.interval.estimate)
                .fold(f64::NEG_INFINITY, f64::max)
        };
        // More workers than cores only when that gains more than 10% (waiting jobs): a few percent is not
        // worth the oversubscription.
        let within_cores: Vec<&ModelPoint<'a>> =
            pool.iter().copied().filter(|p| !p.oversubscribed).collect();
        let pool = if !within_cores.is_empty() && top_of(&pool) <= 1.10 * top_of(&within_cores) {
            within_cores
        } else {
            pool
        };
        let top = top_of(&pool);
        // Points are sorted by workers: the fewest workers not meaningfully slower than the best — within
        // 3% of its speedup, or with the best estimate inside their own 95% interval (a difference in the
        // noise does not justify more workers, least of all more workers than cores).
        pool.into_iter()
            .find(|p| p.speedup.interval.estimate >= 0.97 * top || p.speedup.interval.high >= top)
    }

    /// Sequential CPU time over wall time (None without a sequential run).
    pub fn sequential_cpu_share(&self) -> Option<f64> {
        let s = self.sequential?;
        (s.wall_ns.median > 0).then(|| s.cpu_ns.median as f64 / s.wall_ns.median as f64)
    }

    /// Reasons naming candidate locks when none is on the path: untraced globals in the files it reaches.
    pub fn untraced_lock_lines(&self, limit: usize) -> Vec<super::reason::Reason> {
        if !self.findings_of(&LOCK_KINDS).is_empty() {
            return Vec::new();
        }
        self.crate_globals
            .iter()
            .take(limit)
            .map(|f| {
                super::reason::Reason::new(
                    super::reason::Code::UntracedGlobal,
                    format!(
                        "a global in a file the workload reaches, not traced to its path by the analysis: {} at \
                         {}:{}",
                        f.message, f.file, f.line
                    ),
                )
            })
            .collect()
    }

    /// `reachable from `run``, `in the test target`, `called from the test target`.
    pub fn reached_from(&self, f: &PathFinding<'_>) -> String {
        match f.via {
            Via::TestTarget => "in the test target's own code".to_string(),
            Via::TestCall => "in code the tests call".to_string(),
            via @ (Via::Run | Via::Setup) => format!("reachable from `{}`", via.as_str()),
        }
    }

    pub fn findings_of(&self, kinds: &[FindingKind]) -> Vec<PathFinding<'a>> {
        self.findings
            .iter()
            .filter(|f| f.is(kinds))
            .copied()
            .collect()
    }
}

/// `1.93x`
pub fn times(x: f64) -> String {
    format!("{x:.2}x")
}

/// `95% CI 1.85-2.01`
pub fn ci(b: &Bootstrapped) -> String {
    format!("95% CI {:.2}-{:.2}", b.interval.low, b.interval.high)
}

/// `0.42 s`, `12.3 ms`, `850 µs`
pub fn duration(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.1} ms", ns / 1e6)
    } else {
        format!("{:.0} µs", ns / 1e3)
    }
}

/// `180 MB` from kB.
pub fn megabytes(kb: u64) -> String {
    let mb = kb as f64 / 1024.0;
    if mb >= 10.0 {
        format!("{mb:.0} MB")
    } else {
        format!("{mb:.1} MB")
    }
}

/// `threads ×2`
pub fn label(model: Model, workers: usize) -> String {
    format!("{} ×{workers}", model.as_str())
}

/// `threads ×2`, or for async tasks `async current-thread, 64 in flight` / `async multi-thread ×2, 64 in
/// flight`.
pub fn run_label(run: &RunSummary) -> String {
    match (run.runtime, run.in_flight) {
        (Some(AsyncRuntime::CurrentThread), Some(k)) => {
            format!("async current-thread, {k} in flight")
        }
        (Some(AsyncRuntime::MultiThread), Some(k)) => {
            format!("async multi-thread ×{}, {k} in flight", run.workers)
        }
        _ => label(run.model, run.workers),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::doc::Spread;

    #[test]
    fn paths_are_normalized_like_the_analyzer_spells_them() {
        assert_eq!(
            normalize_path("my-crate::jobs::run", "my-crate"),
            "my_crate::jobs::run"
        );
        assert_eq!(normalize_path("crate::run", "my-crate"), "my_crate::run");
        assert_eq!(normalize_path("run", "demo"), "demo::run");
    }

    fn setup(ns: u64) -> Baseline {
        Baseline {
            setup_ns: ns,
            serial_rest_ns: 0,
        }
    }

    #[test]
    fn the_serial_rest_of_the_sequential_run_is_measured_and_left_out() {
        let sample = |wall, setup, jobs| crate::profile::doc::Sample {
            wall_ns: wall,
            setup_ns: setup,
            jobs_wall_ns: jobs,
            ..Default::default()
        };
        let ms = 1_000_000;
        let mut seq = RunSummary {
            setup_ns: crate::profile::doc::MedianOnly { median: 300 * ms },
            wall_ns: Spread {
                median: 405 * ms,
                min: 400 * ms,
                max: 410 * ms,
            },
            raw_samples: vec![
                sample(400 * ms, 300 * ms, 80 * ms),
                sample(410 * ms, 300 * ms, 88 * ms),
                sample(405 * ms, 300 * ms, 80 * ms),
            ],
            ..Default::default()
        };
        let b = Baseline::of(&seq);
        assert_eq!(b.setup_ns, 300 * ms);
        assert_eq!(b.serial_rest_ns, 22 * ms);
        // In one process the job timer is taken as it is.
        assert_eq!(job_phase_samples(&seq, b), vec![80e6, 88e6, 80e6]);
        // Worker processes are timed from the outside: wall less own setup less the sequential rest.
        seq.model = Model::Processes;
        assert_eq!(job_phase_samples(&seq, b), vec![78e6, 88e6, 83e6]);
        // A rest that rivals the jobs is not subtracted.
        seq.raw_samples = vec![sample(400 * ms, 300 * ms, 20 * ms)];
        assert_eq!(Baseline::of(&seq).serial_rest_ns, 0);
    }

    #[test]
    fn job_phase_samples_leave_setup_out_and_fall_back_to_the_spread() {
        let mut run = RunSummary {
            wall_ns: Spread {
                median: 10,
                min: 8,
                max: 13,
            },
            samples: 5,
            ..Default::default()
        };
        assert_eq!(job_phase_samples(&run, setup(0)), vec![8.0, 10.0, 13.0]);
        run.setup_ns.median = 3;
        assert_eq!(job_phase_samples(&run, setup(3)), vec![5.0, 7.0, 10.0]);
        // A median setup 2 longer than the baseline is charged to every sample.
        assert_eq!(job_phase_samples(&run, setup(1)), vec![7.0, 9.0, 12.0]);
        assert!(job_phase_samples(&RunSummary::default(), setup(0)).is_empty());
        // Raw samples: each sample's own setup comes off, the run's extra median setup goes on.
        run.setup_ns.median = 70;
        run.raw_samples = vec![crate::profile::doc::Sample {
            wall_ns: 100,
            setup_ns: 75,
            ..Default::default()
        }];
        assert_eq!(job_phase_samples(&run, setup(40)), vec![55.0]);
    }

    #[test]
    fn formats() {
        assert_eq!(times(1.934), "1.93x");
        assert_eq!(duration(4.2e8), "420.0 ms");
        assert_eq!(duration(1.5e9), "1.50 s");
        assert_eq!(megabytes(2048), "2.0 MB");
        assert_eq!(label(Model::Threads, 2), "threads ×2");
    }
}
