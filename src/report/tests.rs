//! Verdict tests on synthetic profiles that mimic each fixture workload, built from known timings.

use crate::analyze::doc::{AnalysisDoc, ToolDoc};
use crate::profile::doc::{
    CounterTier, Environment, FailureKind, MedianOnly, ProfileDoc, RunSummary, Sample, Spread,
    WorkloadError, WorkloadProfile,
};
use crate::vocab::FunctionDoc;
use crate::vocab::Model;
use crate::vocab::{Finding, FindingData, FindingKind, FnClass, Level, SCHEMA_VERSION};

use super::reason::Code;
use super::recommend;
use crate::report::doc::{ReportDoc, Verdict, WorkloadReport};

/// Timings of one (model, workers) run, in milliseconds.
struct RunSpec {
    model: Model,
    workers: usize,
    wall_ms: f64,
    cpu_ms: f64,
    setup_ms: f64,
    rss_mb: u64,
    matches: bool,
    /// Wall times of the samples (ms), instead of the default five within ±1.5%.
    walls_ms: Option<Vec<f64>>,
}

fn run(model: Model, workers: usize, wall_ms: f64, cpu_ms: f64) -> RunSpec {
    RunSpec {
        model,
        workers,
        wall_ms,
        cpu_ms,
        setup_ms: 0.0,
        rss_mb: 4 * workers as u64,
        matches: true,
        walls_ms: None,
    }
}

/// Five samples within ±1.5% of the wall time, deterministic.
fn summary(spec: &RunSpec, cores: usize) -> RunSummary {
    let jitter = [1.0, 0.985, 1.012, 0.994, 1.015];
    let digest = if spec.matches { "aaaa1111" } else { "bbbb2222" };
    let walls: Vec<f64> = match &spec.walls_ms {
        Some(w) => w.clone(),
        None => jitter.iter().map(|j| spec.wall_ms * j).collect(),
    };
    let raw: Vec<Sample> = walls
        .iter()
        .zip(jitter.iter().cycle())
        .map(|(wall, j)| Sample {
            wall_ns: (wall * 1e6) as u64,
            user_ns: (spec.cpu_ms * 1e6 * j) as u64,
            sys_ns: 0,
            setup_ns: (spec.setup_ms * 1e6) as u64,
            peak_rss_kb_total: spec.rss_mb * 1024,
            digest: digest.into(),
            ..Default::default()
        })
        .collect();
    let ms = |x: f64| (x * 1e6) as u64;
    RunSummary {
        model: spec.model,
        workers: spec.workers,
        wall_ns: Spread {
            median: ms(spec.wall_ms),
            min: ms(spec.wall_ms * 0.985),
            max: ms(spec.wall_ms * 1.015),
        },
        cpu_ns: Spread {
            median: ms(spec.cpu_ms),
            min: ms(spec.cpu_ms * 0.985),
            max: ms(spec.cpu_ms * 1.015),
        },
        setup_ns: MedianOnly {
            median: ms(spec.setup_ms),
        },
        peak_rss_kb_total: spec.rss_mb * 1024,
        samples: raw.len(),
        results_match_sequential: spec.matches,
        oversubscribed: spec.workers > cores,
        raw_samples: raw,
        ..Default::default()
    }
}

fn workload(
    name: &str,
    jobs: usize,
    runs: &[RunSpec],
    errors: Vec<WorkloadError>,
) -> WorkloadProfile {
    // Through serde, so that fields other branches add (with defaults) need no change here.
    let mut w: WorkloadProfile = serde_json::from_value(serde_json::json!({
        "name": name, "package": "workloads", "jobs": jobs, "runs": [], "errors": [],
        "kind": "declared", "run": format!("workloads::{name}")
    }))
    .expect("contract fields");
    w.runs = runs.iter().map(|r| summary(r, 2)).collect();
    w.errors = errors;
    w
}

fn profile(workloads: Vec<WorkloadProfile>) -> ProfileDoc {
    ProfileDoc {
        schema_version: SCHEMA_VERSION,
        environment: Environment {
            cores: 2,
            counters: CounterTier::Rusage,
            os: "linux".into(),
            kernel: "6.1".into(),
            counters_note: None,
        },
        workloads,
    }
}

fn finding(kind: FindingKind, line: u32, function: &str, message: &str) -> Finding {
    Finding {
        kind,
        level: Level::Warning,
        file: "src/lib.rs".into(),
        line,
        column: 5,
        function: Some(function.into()),
        message: message.into(),
        help: String::new(),
        chain: vec![function.into()],
        package: "workloads".into(),
        target: "lib".into(),
        snippet: None,
        end_line: line,
        end_column: 6,
        fingerprint: format!("{}-{line}", kind.id()),
        related: Vec::new(),
        suppression: None,
        data: None,
    }
}

/// An analysis where each listed function reaches the given findings.
fn analysis(findings: Vec<Finding>, reach: &[(&str, &[usize])]) -> AnalysisDoc {
    AnalysisDoc {
        schema_version: SCHEMA_VERSION,
        tool: ToolDoc::this(),
        workspace_root: "/ws".into(),
        packages: Vec::new(),
        files: Default::default(),
        findings,
        functions: reach
            .iter()
            .map(|(path, idx)| FunctionDoc {
                path: (*path).into(),
                file: "src/lib.rs".into(),
                line: 1,
                class: FnClass::ComputeBound,
                package: "workloads".into(),
                reachable_findings: idx.to_vec(),
            })
            .collect(),
        suppressed: Vec::new(),
        baseline: None,
    }
}

fn empty_analysis() -> AnalysisDoc {
    analysis(Vec::new(), &[])
}

fn only(doc: &ReportDoc) -> &WorkloadReport {
    assert_eq!(doc.workloads.len(), 1);
    &doc.workloads[0]
}

fn reasons(w: &WorkloadReport) -> String {
    w.recommendation.reasons.join("\n")
}

use Model::{Processes, Sequential, Threads};

fn global_lock() -> WorkloadProfile {
    workload(
        "global_lock",
        64,
        &[
            run(Sequential, 1, 1000.0, 1000.0),
            run(Threads, 1, 1005.0, 1000.0),
            run(Threads, 2, 1010.0, 1150.0),
            run(Processes, 1, 1020.0, 1000.0),
            run(Processes, 2, 520.0, 1010.0),
        ],
        Vec::new(),
    )
}

#[test]
fn global_lock_goes_to_processes_and_names_the_lock() {
    let a = analysis(
        vec![finding(
            FindingKind::GlobalState,
            12,
            "workloads::global_lock",
            "static `TABLE` holds a Mutex",
        )],
        &[("workloads::global_lock", &[0])],
    );
    let doc = recommend(&a, &profile(vec![global_lock()]));
    let w = only(&doc);
    assert_eq!(w.recommendation.model, Verdict::Processes, "{}", reasons(w));
    assert_eq!(w.recommendation.workers, 2);
    assert!(
        w.recommendation.confidence > 0.8,
        "{}",
        w.recommendation.confidence
    );
    let r = reasons(w);
    assert!(
        r.contains("processes 1.94x faster than threads at 2 workers (95% CI"),
        "{r}"
    );
    assert!(r.contains("src/lib.rs:12"), "{r}");
    assert!(r.contains("static `TABLE` holds a Mutex"), "{r}");
    assert!(
        w.recommendation
            .refactors
            .iter()
            .any(|f| f.line == Some(12) && f.message.contains("shard")),
        "{:?}",
        w.recommendation.refactors
    );
    let sp = w.speedup.processes.expect("processes measured");
    assert!((sp - 1000.0 / 520.0).abs() < 0.01, "{sp}");
}

#[test]
fn global_lock_without_analysis_still_goes_to_processes() {
    let doc = recommend(&empty_analysis(), &profile(vec![global_lock()]));
    let w = only(&doc);
    assert_eq!(w.recommendation.model, Verdict::Processes);
    assert!(reasons(w).contains("no lock or contention counter explains the gap"));
}

#[test]
fn independent_cpu_goes_to_threads() {
    let w = workload(
        "independent_cpu",
        64,
        &[
            run(Sequential, 1, 1000.0, 1000.0),
            run(Threads, 2, 505.0, 1000.0),
            run(Processes, 2, 540.0, 1010.0),
        ],
        Vec::new(),
    );
    let doc = recommend(&empty_analysis(), &profile(vec![w]));
    let w = only(&doc);
    assert_eq!(w.recommendation.model, Verdict::Threads, "{}", reasons(w));
    assert_eq!(w.recommendation.workers, 2);
    assert!(
        reasons(w).contains("threads ×2: 1.98x over sequential"),
        "{}",
        reasons(w)
    );
}

#[test]
fn cpu_bound_work_is_not_advised_more_workers_than_cores_for_a_few_percent() {
    // 2 cores: threads x4 is 5% faster than x2 (samples are exact, so both intervals are tight).
    let w = workload(
        "independent_cpu",
        64,
        &[
            run(Sequential, 1, 1000.0, 1000.0),
            run(Threads, 2, 520.0, 1000.0),
            run(Threads, 4, 495.0, 1000.0),
            run(Processes, 2, 560.0, 1010.0),
        ],
        Vec::new(),
    );
    let doc = recommend(&empty_analysis(), &profile(vec![w]));
    let w = only(&doc);
    assert_eq!(w.recommendation.model, Verdict::Threads, "{}", reasons(w));
    assert_eq!(w.recommendation.workers, 2, "{}", reasons(w));
}

#[test]
fn a_tie_on_speed_is_decided_on_cost_for_threads() {
    // Shared read-only input: processes load it once each, in parallel, so wall times tie, memory does not.
    let mut p2 = run(Processes, 2, 402.0, 800.0);
    p2.setup_ms = 200.0;
    p2.rss_mb = 400;
    let mut t2 = run(Threads, 2, 400.0, 600.0);
    t2.setup_ms = 200.0;
    t2.rss_mb = 200;
    let mut s = run(Sequential, 1, 600.0, 600.0);
    s.setup_ms = 200.0;
    s.rss_mb = 200;
    let w = workload("shared_input", 32, &[s, t2, p2], Vec::new());
    let doc = recommend(&empty_analysis(), &profile(vec![w]));
    let w = only(&doc);
    assert_eq!(w.recommendation.model, Verdict::Threads, "{}", reasons(w));
    let r = reasons(w);
    assert!(r.contains("no clear winner on speed"), "{r}");
    assert!(r.contains("peak memory 200 MB vs 400 MB"), "{r}");
    assert!(
        r.contains("setup takes 200.0 ms once per process and is outside the speedups"),
        "{r}"
    );
    assert!(w.recommendation.reason_codes.contains(&Code::CostTie));
    assert!(w.recommendation.reason_codes.contains(&Code::Setup));
    // Speed is compared on the job phase: 400 ms of jobs in 200 ms.
    let st = w.speedup.threads.expect("threads measured");
    assert!((st - 2.0).abs() < 0.05, "{st}");
    assert!(w.recommendation.confidence <= 0.6);
}

#[test]
fn sleeping_jobs_get_more_threads_than_cores() {
    let w = workload(
        "sleepy",
        32,
        &[
            run(Sequential, 1, 320.0, 3.0),
            run(Threads, 1, 321.0, 3.0),
            run(Threads, 2, 161.0, 3.0),
            run(Processes, 2, 175.0, 8.0),
        ],
        Vec::new(),
    );
    let doc = recommend(&empty_analysis(), &profile(vec![w]));
    let w = only(&doc);
    assert_eq!(w.recommendation.model, Verdict::Threads, "{}", reasons(w));
    // Only measured counts are recommended: ×2 was the most measured, and the report says more may help.
    assert_eq!(w.recommendation.workers, 2);
    assert!(reasons(w).contains("I/O-bound: the sequential run is on CPU 0.9% of its wall time"));
    assert!(
        reasons(w).contains("measured up to ×2; more may help: run with --workers 2,4,32"),
        "{}",
        reasons(w)
    );
    let codes = &w.recommendation.reason_codes;
    assert_eq!(codes[0], Code::IoBound);
    assert!(codes.contains(&Code::MeasuredUpTo));
}

#[test]
fn io_bound_sync_code_on_an_async_runtime_keeps_threads_with_async_as_advice() {
    let w = workload(
        "fetch",
        32,
        &[run(Sequential, 1, 320.0, 3.0), run(Threads, 2, 161.0, 3.0)],
        Vec::new(),
    );
    let mut spawn = finding(
        FindingKind::Spawn,
        40,
        "workloads::fetch",
        "`tokio::spawn` starts concurrent work",
    );
    spawn.data = Some(FindingData::Spawn {
        api: "tokio::spawn".into(),
    });
    let a = analysis(vec![spawn], &[("workloads::fetch", &[0])]);
    let doc = recommend(&a, &profile(vec![w]));
    let w = only(&doc);
    // Only threads were measured: async is advice, never the verdict of a sync workload.
    assert_eq!(w.recommendation.model, Verdict::Threads, "{}", reasons(w));
    assert!(reasons(w).contains(
        "advice, not measured: the code already uses an async runtime on the workload's path (`tokio::spawn` \
         starts concurrent work at src/lib.rs:40)"
    ));
    assert!(w.speedup.asynchronous.is_none());
}

#[test]
fn env_pass_rules_threads_out_with_the_source_line() {
    let mut t2 = run(Threads, 2, 505.0, 1000.0);
    t2.matches = false;
    let mut w = workload(
        "env_pass",
        32,
        &[
            run(Sequential, 1, 1000.0, 1000.0),
            t2,
            run(Processes, 2, 540.0, 1010.0),
        ],
        Vec::new(),
    );
    w.setup = Some("workloads::env_setup".into());
    let a = analysis(
        vec![finding(
            FindingKind::ProcessGlobal,
            77,
            "workloads::env_setup",
            "`std::env::set_var` changes the process environment",
        )],
        &[("workloads::env_setup", &[0]), ("workloads::env_pass", &[])],
    );
    let doc = recommend(&a, &profile(vec![w]));
    let w = only(&doc);
    assert_eq!(w.recommendation.model, Verdict::Processes, "{}", reasons(w));
    let r = reasons(w);
    assert!(r.contains("threads ×2 gave different results from the sequential run (result digest bbbb2222 vs aaaa1111 sequential)"), "{r}");
    assert!(r.contains("reachable from `setup` at src/lib.rs:77"), "{r}");
    assert!(
        w.recommendation.confidence >= 0.9,
        "{}",
        w.recommendation.confidence
    );
    assert!(w
        .recommendation
        .refactors
        .iter()
        .any(|f| f.line == Some(77) && f.message.contains("pass the values explicitly")));
}

#[test]
fn a_process_global_finding_alone_rules_threads_out() {
    // Threads look fastest and their results happened to match: the static finding still wins.
    let w = workload(
        "env_pass",
        32,
        &[
            run(Sequential, 1, 1000.0, 1000.0),
            run(Threads, 2, 500.0, 1000.0),
            run(Processes, 2, 560.0, 1010.0),
        ],
        Vec::new(),
    );
    let a = analysis(
        vec![finding(
            FindingKind::ProcessGlobal,
            9,
            "workloads::env_pass",
            "`set_current_dir` call",
        )],
        &[("workloads::env_pass", &[0])],
    );
    let doc = recommend(&a, &profile(vec![w]));
    let w = only(&doc);
    assert_eq!(w.recommendation.model, Verdict::Processes, "{}", reasons(w));
    assert!(reasons(w).contains("src/lib.rs:9"));
}

#[test]
fn nothing_beating_sequential_gives_sequential_with_the_limit() {
    let w = workload(
        "tiny",
        10_000,
        &[
            run(Sequential, 1, 5.0, 5.0),
            run(Threads, 2, 5.2, 9.0),
            run(Processes, 1, 30.0, 6.0),
            run(Processes, 2, 25.0, 9.0),
        ],
        Vec::new(),
    );
    let doc = recommend(&empty_analysis(), &profile(vec![w]));
    let w = only(&doc);
    assert_eq!(
        w.recommendation.model,
        Verdict::Sequential,
        "{}",
        reasons(w)
    );
    assert_eq!(w.recommendation.workers, 1);
    let r = reasons(w);
    assert!(r.contains("jobs too small for the dispatch cost"), "{r}");
    assert!(
        r.contains("neither model beats sequential by a meaningful margin"),
        "{r}"
    );
    assert!(w.recommendation.confidence >= 0.8);
}

#[test]
fn a_failed_workload_is_reported_as_failed() {
    let w = workload(
        "panics",
        8,
        &[],
        vec![WorkloadError {
            model: Some(Sequential),
            workers: Some(1),
            kind: FailureKind::Panic,
            job: Some(3),
            at_timeout: Box::default(),
            message: "job 3 panicked: boom".into(),
        }],
    );
    let doc = recommend(&empty_analysis(), &profile(vec![w]));
    let w = only(&doc);
    assert!(w.failed);
    assert!(
        w.stability.is_none() && w.noise.is_none(),
        "no stability for a failure"
    );
    assert_eq!(w.recommendation.confidence, 0.0);
    assert!(reasons(w).contains("workload failed (panic in job 3): job 3 panicked: boom"));
    assert!(w.prediction.is_empty());
}

#[test]
fn a_crash_under_one_model_excludes_only_that_model() {
    let w = workload(
        "crashy",
        8,
        &[
            run(Sequential, 1, 1000.0, 1000.0),
            run(Threads, 2, 510.0, 1000.0),
        ],
        vec![WorkloadError {
            model: Some(Processes),
            workers: Some(2),
            kind: FailureKind::Crash,
            job: None,
            at_timeout: Box::default(),
            message: "worker killed by SIGSEGV".into(),
        }],
    );
    let doc = recommend(&empty_analysis(), &profile(vec![w]));
    let w = only(&doc);
    assert_eq!(w.recommendation.model, Verdict::Threads);
    assert!(reasons(w).contains("processes ×2 failed (crash): worker killed by SIGSEGV"));
}

#[test]
fn predictions_cover_the_standard_core_counts_and_say_the_fit_is_poor() {
    let doc = recommend(&empty_analysis(), &profile(vec![global_lock()]));
    let w = only(&doc);
    let cores: Vec<usize> = w.prediction.iter().map(|p| p.cores).collect();
    assert_eq!(cores, vec![4, 8, 16, 64]);
    for p in &w.prediction {
        let t = p.threads.expect("threads band");
        let pr = p.processes.expect("processes band");
        assert!(t.low <= t.estimate && t.estimate <= t.high);
        assert!(pr.estimate > t.estimate, "{p:?}");
    }
    assert!(w.fit_notes.iter().any(|n| n.contains("poorly constrained")));
    // Measured points are all there, workers=1 included.
    assert_eq!(w.measured.len(), 4);
}

#[test]
fn reports_are_deterministic() {
    let a = recommend(&empty_analysis(), &profile(vec![global_lock()]));
    let b = recommend(&empty_analysis(), &profile(vec![global_lock()]));
    assert_eq!(a, b);
}

#[test]
fn human_output_starts_each_workload_with_its_verdict_line() {
    let p = profile(vec![global_lock()]);
    let a = empty_analysis();
    let doc = recommend(&a, &p);
    let mut out = Vec::new();
    crate::render::write_report(&doc, &p, crate::render::ReportFormat::Human, &mut out)
        .expect("render");
    let text = anstream::adapter::strip_str(&String::from_utf8_lossy(&out)).to_string();
    let first = text.lines().nth(2).expect("verdict line");
    assert!(
        first.starts_with("global_lock: processes ×2 (confidence 0."),
        "{first}"
    );
}

#[test]
fn slower_setups_in_worker_processes_count_against_processes() {
    // Each worker process builds the input at once and they slow each other down: 330 ms instead of 200.
    let mut s = run(Sequential, 1, 600.0, 600.0);
    s.setup_ms = 200.0;
    let mut t2 = run(Threads, 2, 400.0, 600.0);
    t2.setup_ms = 200.0;
    let mut p2 = run(Processes, 2, 470.0, 860.0);
    p2.setup_ms = 330.0;
    p2.rss_mb = 400;
    let w = workload("shared_input", 64, &[s, t2, p2], Vec::new());
    let doc = recommend(&empty_analysis(), &profile(vec![w]));
    let w = only(&doc);
    assert_eq!(w.recommendation.model, Verdict::Threads, "{}", reasons(w));
    let r = reasons(w);
    // (470 - 200) / (400 - 200) = 1.35
    assert!(
        r.contains("threads 1.35x faster than processes at 2 workers"),
        "{r}"
    );
    assert!(
        r.contains("setup is duplicated per process: 330.0 ms and about 200 MB resident in each of 2 workers"),
        "{r}"
    );
}

#[test]
fn thousands_of_waiting_sync_jobs_get_threads_and_async_only_as_advice() {
    let w = workload(
        "fanout",
        5000,
        &[
            run(Sequential, 1, 5000.0, 4.0),
            run(Threads, 2, 2510.0, 4.0),
            run(Processes, 2, 2600.0, 9.0),
        ],
        Vec::new(),
    );
    let doc = recommend(&empty_analysis(), &profile(vec![w]));
    let w = only(&doc);
    assert_eq!(w.recommendation.model, Verdict::Threads, "{}", reasons(w));
    assert_eq!(w.recommendation.workers, 2, "only measured counts");
    assert!(w.recommendation.reason_codes.contains(&Code::MeasuredUpTo));
    assert!(
        reasons(w).contains("advice, not measured: 2500 concurrent waits are many for OS threads"),
        "{}",
        reasons(w)
    );
    assert!(w.recommendation.refactors.iter().any(|f| f
        .message
        .starts_with("advice, not measured: the jobs mostly wait, so an async version")));
}

#[test]
fn an_untraced_global_of_the_crate_is_named_as_a_candidate() {
    // The analysis found the static's declaration but did not link it to the job.
    let mut decl = finding(
        FindingKind::GlobalState,
        31,
        "unused",
        "`GLOBAL_LOCK` is a static holding `std::sync::Mutex`",
    );
    decl.function = None;
    decl.chain.clear();
    let a = analysis(vec![decl], &[("workloads::global_lock", &[])]);
    let doc = recommend(&a, &profile(vec![global_lock()]));
    let w = only(&doc);
    assert_eq!(w.recommendation.model, Verdict::Processes);
    let r = reasons(w);
    assert!(
        r.contains("not traced to its path by the analysis: `GLOBAL_LOCK` is a static holding `std::sync::Mutex` at src/lib.rs:31"),
        "{r}"
    );
    assert!(
        !r.contains("no lock or contention counter explains the gap"),
        "{r}"
    );
    assert!(w
        .recommendation
        .refactors
        .iter()
        .any(|f| f.line == Some(31) && f.message.starts_with("if the jobs use this global")));
}

#[test]
fn cost_does_not_pick_a_model_that_does_not_pay_off() {
    // Noisy samples: threads do not beat sequential, processes do (one slow sample of five).
    let mut t2 = run(Threads, 2, 980.0, 1000.0);
    t2.walls_ms = Some(vec![800.0, 700.0, 1100.0, 1050.0, 980.0]);
    let mut p2 = run(Processes, 2, 530.0, 1000.0);
    p2.walls_ms = Some(vec![520.0, 530.0, 540.0, 1000.0, 515.0]);
    let w = workload(
        "noisy",
        32,
        &[run(Sequential, 1, 1000.0, 1000.0), t2, p2],
        Vec::new(),
    );
    let doc = recommend(&empty_analysis(), &profile(vec![w]));
    let w = only(&doc);
    assert_eq!(w.recommendation.model, Verdict::Processes, "{}", reasons(w));
    assert!(
        w.recommendation.confidence <= 0.7,
        "{}",
        w.recommendation.confidence
    );
    let r = reasons(w);
    assert!(r.contains("no clear winner on speed"), "{r}");
    assert!(
        r.contains("threads does not beat sequential by a meaningful margin, processes does"),
        "{r}"
    );
}

#[test]
fn a_tie_lets_one_model_confirm_the_other_s_speedup() {
    // Threads' samples are noisy, processes' are steady, both at 1.33x: threads keep the cost tie-break.
    let mut t2 = run(Threads, 2, 750.0, 1000.0);
    t2.walls_ms = Some(vec![600.0, 750.0, 1050.0, 1100.0, 740.0]);
    let mut p2 = run(Processes, 2, 750.0, 1000.0);
    p2.walls_ms = Some(vec![750.0, 760.0, 745.0, 755.0, 750.0]);
    let w = workload(
        "shared",
        32,
        &[run(Sequential, 1, 1000.0, 1000.0), t2, p2],
        Vec::new(),
    );
    let doc = recommend(&empty_analysis(), &profile(vec![w]));
    let w = only(&doc);
    let r = reasons(w);
    assert_eq!(w.recommendation.model, Verdict::Threads, "{r}");
    assert!(r.contains("no clear winner on speed"), "{r}");
    assert!(
        r.contains("the speedup is confirmed by the processes runs, as fast within the noise"),
        "{r}"
    );
}

fn error(model: Option<Model>, kind: FailureKind) -> WorkloadError {
    WorkloadError {
        model,
        workers: model.map(|_| 2),
        kind,
        job: None,
        at_timeout: Box::default(),
        message: format!("{kind} happened"),
    }
}

/// The decision table, row by row: scenario -> verdict, first reason code, codes that must (and must not)
/// be among the reasons.
#[test]
fn decision_table() {
    struct Row {
        name: &'static str,
        runs: Vec<RunSpec>,
        errors: Vec<WorkloadError>,
        verdict: Verdict,
        first: Code,
        has: &'static [Code],
        not: &'static [Code],
    }
    let mismatch = |mut r: RunSpec| {
        r.matches = false;
        r
    };
    let walls = |mut r: RunSpec, w: &[f64]| {
        r.walls_ms = Some(w.to_vec());
        r
    };
    let rows = vec![
        Row {
            name: "failure first",
            runs: vec![],
            errors: vec![error(Some(Sequential), FailureKind::Crash)],
            verdict: Verdict::Sequential,
            first: Code::WorkloadFailed,
            has: &[],
            not: &[Code::Speedup],
        },
        Row {
            name: "order dependence before any speed",
            runs: vec![
                run(Sequential, 1, 400.0, 400.0),
                run(Threads, 2, 200.0, 400.0),
                run(Processes, 2, 205.0, 400.0),
            ],
            errors: vec![error(None, FailureKind::OrderDependent)],
            verdict: Verdict::Sequential,
            first: Code::OrderDependent,
            has: &[Code::CarriedState],
            not: &[Code::Speedup, Code::WorkloadFailed],
        },
        Row {
            name: "threads differ: processes",
            runs: vec![
                run(Sequential, 1, 400.0, 400.0),
                mismatch(run(Threads, 2, 210.0, 400.0)),
                run(Processes, 2, 205.0, 400.0),
            ],
            errors: vec![error(Some(Threads), FailureKind::Mismatch)],
            verdict: Verdict::Processes,
            first: Code::ResultsDiffer,
            has: &[Code::Speedup],
            not: &[Code::CostTie],
        },
        Row {
            name: "neither model safe",
            runs: vec![
                run(Sequential, 1, 400.0, 400.0),
                mismatch(run(Threads, 2, 210.0, 400.0)),
            ],
            errors: vec![
                error(Some(Threads), FailureKind::Mismatch),
                error(Some(Processes), FailureKind::Crash),
            ],
            verdict: Verdict::Sequential,
            first: Code::ResultsDiffer,
            has: &[Code::ModelFailed, Code::NoSafeModel],
            not: &[Code::Speedup],
        },
        Row {
            name: "I/O-bound before the comparison",
            runs: vec![
                run(Sequential, 1, 320.0, 3.0),
                run(Threads, 2, 161.0, 3.0),
                run(Processes, 2, 175.0, 8.0),
            ],
            errors: vec![],
            verdict: Verdict::Threads,
            first: Code::IoBound,
            has: &[Code::MeasuredUpTo],
            not: &[Code::CostTie],
        },
        Row {
            name: "processes clearly faster",
            runs: vec![
                run(Sequential, 1, 400.0, 400.0),
                run(Threads, 2, 400.0, 420.0),
                run(Processes, 2, 210.0, 410.0),
            ],
            errors: vec![],
            verdict: Verdict::Processes,
            first: Code::Faster,
            has: &[Code::Speedup],
            not: &[Code::Tie],
        },
        Row {
            name: "same speed: decided on cost",
            runs: vec![
                run(Sequential, 1, 400.0, 400.0),
                run(Threads, 2, 200.0, 400.0),
                run(Processes, 2, 201.0, 420.0),
            ],
            errors: vec![],
            verdict: Verdict::Threads,
            first: Code::CostTie,
            has: &[Code::Speedup],
            not: &[Code::NotWorthIt],
        },
        Row {
            name: "nothing pays off, clearly",
            runs: vec![
                run(Sequential, 1, 400.0, 400.0),
                run(Threads, 2, 395.0, 400.0),
                run(Processes, 2, 398.0, 410.0),
            ],
            errors: vec![],
            verdict: Verdict::Sequential,
            first: Code::CostTie,
            has: &[Code::NotWorthIt],
            not: &[Code::Tie],
        },
        Row {
            name: "the evidence cannot separate: an explicit tie",
            runs: vec![
                run(Sequential, 1, 400.0, 400.0),
                walls(
                    run(Threads, 2, 360.0, 400.0),
                    &[290.0, 430.0, 360.0, 395.0, 330.0],
                ),
            ],
            errors: vec![error(Some(Processes), FailureKind::Crash)],
            verdict: Verdict::Sequential,
            first: Code::ModelFailed,
            has: &[Code::Tie, Code::NotWorthIt],
            not: &[Code::Faster],
        },
    ];
    for row in rows {
        let w = workload("w", 32, &row.runs, row.errors);
        let doc = recommend(&empty_analysis(), &profile(vec![w]));
        let w = only(&doc);
        let codes = &w.recommendation.reason_codes;
        assert_eq!(
            w.recommendation.model,
            row.verdict,
            "{}: {}",
            row.name,
            reasons(w)
        );
        assert_eq!(codes.first(), Some(&row.first), "{}: {codes:?}", row.name);
        for c in row.has {
            assert!(codes.contains(c), "{}: {c:?} not in {codes:?}", row.name);
        }
        for c in row.not {
            assert!(!codes.contains(c), "{}: {c:?} in {codes:?}", row.name);
        }
        assert_eq!(codes.len(), w.recommendation.reasons.len(), "{}", row.name);
    }
}

fn python_workload(name: &str, runs: &[RunSpec], gil_enabled: bool) -> WorkloadProfile {
    let mut w = workload(name, 16, runs, Vec::new());
    w.package = "python-ext".into();
    w.kind = crate::workload::WorkloadKind::Python;
    w.run = Some(format!("m.{name}(job)"));
    for r in &mut w.runs {
        if r.model == Processes {
            r.pool_start_ns = 60_000_000;
            r.pickled_bytes_per_job = if name == "shared_input" { 16 << 20 } else { 5 };
        }
    }
    w.python = Some(crate::profile::doc::PythonRun {
        interpreter: "/usr/bin/python3".into(),
        version: "3.13.1".into(),
        gil_enabled,
        module: "python_ext".into(),
        call: format!("m.{name}(job)"),
        setup: None,
        pass: "shared".into(),
        start_method: "spawn".into(),
        entry_points: vec![name.into()],
    });
    w
}

fn gil_analysis() -> AnalysisDoc {
    let mut held = finding(
        FindingKind::GilHeld,
        33,
        "python_ext::hash_held",
        "`hash_held` computes in `mix` while holding the GIL",
    );
    held.package = "python-ext".into();
    held.chain = vec!["python_ext::hash_held".into(), "python_ext::mix".into()];
    let mut a = analysis(
        vec![held],
        &[
            ("python_ext::hash_held", &[0]),
            ("python_ext::hash_released", &[]),
        ],
    );
    for f in &mut a.functions {
        f.package = "python-ext".into();
    }
    a
}

#[test]
fn python_gil_held_goes_to_processes_with_the_finding_and_the_costs() {
    let w = python_workload(
        "hash_held",
        &[
            run(Sequential, 1, 1000.0, 1000.0),
            run(Threads, 2, 1010.0, 1000.0),
            run(Processes, 2, 560.0, 1050.0),
        ],
        true,
    );
    let doc = recommend(&gil_analysis(), &profile(vec![w]));
    let w = only(&doc);
    assert_eq!(w.recommendation.model, Verdict::Processes, "{}", reasons(w));
    let first = &w.recommendation.reasons[0];
    assert!(
        first.starts_with("processes: the GIL is held: `hash_held` computes in `mix`"),
        "{first}"
    );
    assert!(
        first.contains("src/lib.rs:33, via hash_held → mix"),
        "{first}"
    );
    assert!(
        first.contains("threads serialise on it (threads ×2 0.99x)"),
        "{first}"
    );
    assert!(
        first.contains("60.0 ms of pool start-up (spawn start method"),
        "{first}"
    );
    assert!(first.contains("5 bytes pickled per job"), "{first}");
    assert!(first.contains("release the GIL"), "{first}");
    // The advice names Python's own pool, not a Rust job queue.
    let advice: Vec<&str> = w
        .recommendation
        .refactors
        .iter()
        .map(|r| r.message.as_str())
        .collect();
    assert!(
        advice
            .iter()
            .any(|m| m.contains("concurrent.futures.ProcessPoolExecutor(max_workers=2)")),
        "{advice:?}"
    );
    assert!(
        !advice.iter().any(|m| m.contains("pipes or files")),
        "{advice:?}"
    );
    assert!(
        !reasons(w).contains("no lock or contention counter"),
        "{}",
        reasons(w)
    );
    assert!(!reasons(w).contains("free-threaded"));
}

#[test]
fn python_gil_released_goes_to_threads_and_a_free_threaded_build_is_said() {
    let w = python_workload(
        "hash_released",
        &[
            run(Sequential, 1, 1000.0, 1000.0),
            run(Threads, 2, 510.0, 1000.0),
            run(Processes, 2, 600.0, 1050.0),
        ],
        false,
    );
    let doc = recommend(&gil_analysis(), &profile(vec![w]));
    let w = only(&doc);
    assert_eq!(w.recommendation.model, Verdict::Threads, "{}", reasons(w));
    let r = reasons(w);
    assert!(
        r.contains("free-threaded Python 3.13.1 with the GIL disabled"),
        "{r}"
    );
    assert!(
        r.contains("threads: the GIL is released on the path (no `gil-held` finding)"),
        "{r}"
    );
    assert!(
        !r.contains("src/lib.rs:33"),
        "the other entry point's finding is not on this path: {r}"
    );
    assert!(
        w.recommendation
            .refactors
            .iter()
            .any(|f| f.message.contains("ThreadPoolExecutor(max_workers=2)")),
        "{:?}",
        w.recommendation.refactors
    );
}

#[test]
fn python_pickling_that_eats_the_gain_is_said() {
    let w = python_workload(
        "shared_input",
        &[
            run(Sequential, 1, 1000.0, 1000.0),
            run(Threads, 2, 1000.0, 1000.0),
            run(Processes, 2, 1100.0, 1500.0),
        ],
        true,
    );
    let doc = recommend(&gil_analysis(), &profile(vec![w]));
    let w = only(&doc);
    assert_eq!(
        w.recommendation.model,
        Verdict::Sequential,
        "{}",
        reasons(w)
    );
    assert!(
        reasons(w).contains("sequential: pickling eats the gain: 16.0 MB pickled to every job"),
        "{}",
        reasons(w)
    );
}

#[test]
fn python_threads_are_ruled_out_where_the_gil_is_held() {
    // Noise made threads look fast; the GIL held on the path says they take turns.
    let w = python_workload(
        "hash_held",
        &[
            run(Sequential, 1, 1000.0, 1000.0),
            run(Threads, 2, 520.0, 1000.0),
            run(Processes, 2, 560.0, 1050.0),
        ],
        true,
    );
    let doc = recommend(&gil_analysis(), &profile(vec![w.clone()]));
    let r = only(&doc);
    assert_eq!(r.recommendation.model, Verdict::Processes, "{}", reasons(r));
    assert!(
        reasons(r).contains("threads ruled out: the GIL is held on the path"),
        "{}",
        reasons(r)
    );
    // On a free-threaded build the same finding does not decide: the measurement does.
    let mut free = w;
    if let Some(py) = &mut free.python {
        py.gil_enabled = false;
    }
    free.runs = [
        run(Sequential, 1, 1000.0, 1000.0),
        run(Threads, 2, 510.0, 1000.0),
        run(Processes, 2, 600.0, 1050.0),
    ]
    .iter()
    .map(|r| summary(r, 2))
    .collect();
    let doc = recommend(&gil_analysis(), &profile(vec![free]));
    assert_eq!(
        only(&doc).recommendation.model,
        Verdict::Threads,
        "{}",
        reasons(only(&doc))
    );
}

#[test]
fn a_clear_verdict_is_stable_and_quiet_runs_are_said() {
    let w = workload(
        "clear",
        8,
        &[
            run(Sequential, 1, 1000.0, 1000.0),
            run(Threads, 2, 500.0, 1000.0),
            run(Processes, 2, 520.0, 1000.0),
        ],
        Vec::new(),
    );
    let doc = recommend(&empty_analysis(), &profile(vec![w]));
    let w = only(&doc);
    let s = w.stability.as_ref().expect("stability");
    assert_eq!(s.resamples, crate::report::stability::RESAMPLES);
    assert_eq!(s.same_share, 1.0, "{s:?}");
    assert!(s.alternatives.is_empty());
    let noise = w.noise.as_ref().expect("noise");
    assert_eq!((noise.runs, noise.noisy_runs), (3, 0));
    let lines = crate::render::human::report::stability_lines(w);
    assert_eq!(
        lines,
        [
            "the same verdict in 100% of 40 profiles redrawn from the samples",
            "every run within 10% between samples"
        ]
    );
}

#[test]
fn a_verdict_that_rests_on_noise_says_so() {
    // Threads around the 1.15x line with samples all over the place: redrawn, the verdict flips.
    let mut threads = run(Threads, 2, 860.0, 1000.0);
    threads.walls_ms = Some(vec![700.0, 1100.0, 860.0, 1000.0, 760.0]);
    let mut w = workload(
        "borderline",
        8,
        &[
            run(Sequential, 1, 1000.0, 1000.0),
            threads,
            run(Processes, 2, 990.0, 1000.0),
        ],
        Vec::new(),
    );
    for r in &mut w.runs {
        if r.model == Threads {
            r.noisy = true;
            r.wall_ns.min = 700_000_000;
            r.wall_ns.max = 1_100_000_000;
        }
    }
    let doc = recommend(&empty_analysis(), &profile(vec![w.clone()]));
    let report = only(&doc);
    let s = report.stability.as_ref().expect("stability");
    assert!(
        s.same_share < crate::report::stability::STABLE_SHARE,
        "{s:?}: {}",
        reasons(report)
    );
    assert!(!s.alternatives.is_empty(), "{s:?}");
    let shares: f64 = s.same_share + s.alternatives.iter().map(|a| a.share).sum::<f64>();
    assert!((shares - 1.0).abs() < 0.02, "{s:?}");
    let lines = crate::render::human::report::stability_lines(report);
    assert!(
        lines[0].starts_with("the verdict rests on noise: "),
        "{lines:?}"
    );
    assert!(lines[0].contains("--runs 10"), "{lines:?}");
    assert!(
        lines[1].starts_with(
            "noisy: 1 of 3 runs varied by more than 10% between samples (most: threads ×2, 47%)"
        ),
        "{lines:?}"
    );
    // Deterministic: the same profile gives the same stability.
    let again = recommend(&empty_analysis(), &profile(vec![w]));
    assert_eq!(only(&again).stability, report.stability);
}

mod asynchronous;
