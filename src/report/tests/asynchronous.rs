//! The verdict's handling of async tasks, on synthetic profiles that mimic the async fixtures: timers
//! (async at high K), `std::thread::sleep` in async jobs (async loses, the cause named), compute (the
//! multi-thread runtime ties with threads, the current-thread runtime equals sequential).

use super::*;
use crate::profile::doc::AsyncRuntime::{self, CurrentThread, MultiThread};

/// One async run: `rt` runtime (its `workers`), `k` in flight, with its wall and CPU times and peak memory.
fn tasks(rt: AsyncRuntime, workers: usize, k: usize, wall_ms: f64, rss_mb: u64) -> RunSummary {
    let mut spec = run(Model::Async, workers, wall_ms, 2.0);
    spec.rss_mb = rss_mb;
    let mut s = summary(&spec, 2);
    s.runtime = Some(rt);
    s.in_flight = Some(k);
    s
}

fn async_workload(
    name: &str,
    jobs: usize,
    sync: &[RunSpec],
    runs: Vec<RunSummary>,
) -> WorkloadProfile {
    let mut w = workload(name, jobs, sync, Vec::new());
    w.is_async = true;
    w.runs.extend(runs);
    w
}

fn with_rss(mut r: RunSpec, rss_mb: u64) -> RunSpec {
    r.rss_mb = rss_mb;
    r
}

/// 256 jobs that each await a 2 ms timer: threads gain up to 16 workers, tasks up to 256 in flight.
fn timers() -> WorkloadProfile {
    let mut sync = vec![with_rss(run(Sequential, 1, 512.0, 5.0), 3)];
    for (w, wall) in [(1, 512.0), (2, 256.0), (4, 128.0), (8, 64.0), (16, 32.0)] {
        sync.push(with_rss(run(Threads, w, wall, 6.0), 3 + w as u64));
        sync.push(with_rss(run(Processes, w, wall * 1.3, 12.0), 3 * w as u64));
    }
    let mut runs = Vec::new();
    for (k, wall) in [
        (1, 512.0),
        (2, 257.0),
        (4, 129.0),
        (16, 33.0),
        (64, 9.0),
        (256, 3.0),
    ] {
        runs.push(tasks(CurrentThread, 1, k, wall, 3));
        if k >= 2 {
            runs.push(tasks(MultiThread, 2, k, wall * 1.02, 4));
        }
    }
    async_workload("timers", 256, &sync, runs)
}

#[test]
fn async_jobs_awaiting_timers_go_async_at_high_k_with_less_memory() {
    let doc = recommend(&empty_analysis(), &profile(vec![timers()]));
    let w = only(&doc);
    let r = reasons(w);
    assert_eq!(w.recommendation.model, Verdict::Async, "{r}");
    assert_eq!(w.recommendation.runtime, Some(CurrentThread), "{r}");
    assert_eq!(w.recommendation.in_flight, Some(256), "{r}");
    assert_eq!(w.recommendation.workers, 1);
    assert!(
        r.contains("async current-thread, 256 in flight 10.67x faster than threads ×16"),
        "{r}"
    );
    assert!(
        r.contains(
            "peak memory 3.0 MB on async current-thread, 256 in flight vs 19 MB on threads ×16"
        ),
        "{r}"
    );
    assert!(
        r.contains("throughput grows with the jobs in flight: 1.00x at K=1 to 170.67x at K=256"),
        "{r}"
    );
    assert!(
        w.recommendation.confidence >= 0.9,
        "{}",
        w.recommendation.confidence
    );
    assert!(w.speedup.asynchronous.is_some_and(|s| s > 100.0));
    // The chart shows one async point per runtime, at its best K.
    let shown = w.measured_of(Model::Async);
    assert_eq!(shown.len(), 2);
    assert_eq!(shown[0].in_flight, Some(256));
    // Waiting already pays on one thread: no prediction in cores for async, and the note says why.
    assert!(w.prediction.iter().all(|p| p.asynchronous.is_none()));
    assert!(
        w.fit_notes
            .iter()
            .any(|n| n
                .starts_with("async: no prediction in cores: one current-thread runtime already")),
        "{:?}",
        w.fit_notes
    );
}

/// 64 async jobs that call `std::thread::sleep(2 ms)`: tasks never overlap beyond the runtime's threads.
fn blocking() -> (WorkloadProfile, AnalysisDoc) {
    let mut sync = vec![run(Sequential, 1, 128.0, 2.0)];
    for (w, wall) in [(1, 128.0), (2, 64.0), (4, 32.0), (8, 16.0), (16, 8.0)] {
        sync.push(run(Threads, w, wall, 3.0));
        sync.push(run(Processes, w, wall * 1.5 + 5.0, 8.0));
    }
    let mut runs = Vec::new();
    for k in [1, 2, 4, 8, 16, 64] {
        runs.push(tasks(CurrentThread, 1, k, 128.0, 3));
        if k >= 2 {
            runs.push(tasks(MultiThread, 2, k, 64.5, 4));
        }
    }
    let a = analysis(
        vec![finding(
            FindingKind::BlockingInAsync,
            25,
            "workloads::blocking",
            "`std::thread::sleep` blocks inside an async body",
        )],
        &[("workloads::blocking", &[0])],
    );
    (async_workload("blocking", 64, &sync, runs), a)
}

#[test]
fn async_jobs_that_block_lose_to_threads_and_the_cause_is_named_with_its_line() {
    let (w, a) = blocking();
    let doc = recommend(&a, &profile(vec![w]));
    let w = only(&doc);
    let r = reasons(w);
    assert_eq!(w.recommendation.model, Verdict::Threads, "{r}");
    assert!(w.recommendation.workers >= 16, "{r}");
    assert!(r.contains("slower than threads ×16"), "{r}");
    assert_eq!(
        (w.recommendation.runtime, w.recommendation.in_flight),
        (None, None)
    );
    assert!(
        r.contains("async tasks lose: best async multi-thread ×2"),
        "{r}"
    );
    assert!(
        r.contains(
            "cause: a blocking call inside the async jobs stalls the runtime's worker thread: \
             `std::thread::sleep` blocks inside an async body at src/lib.rs:25 (reached from `run`)"
        ),
        "{r}"
    );
    assert!(
        r.contains("measured: throughput stops growing with K on the current-thread runtime (1 worker thread): K=1 1.00x"),
        "{r}"
    );
    assert!(
        r.contains("measured: throughput stops growing with K on the multi-thread runtime (2 worker threads)"),
        "{r}"
    );
    assert!(
        r.contains("fix: move it into `tokio::task::spawn_blocking`"),
        "{r}"
    );
    assert!(r.contains("`tokio::task::block_in_place`"), "{r}");
    // The fix at the blocking call's line, once.
    let at_line = w
        .recommendation
        .refactors
        .iter()
        .filter(|f| f.line == Some(25) && f.message.contains("`spawn_blocking`"))
        .count();
    assert_eq!(at_line, 1, "{:?}", w.recommendation.refactors);
}

#[test]
fn without_a_finding_the_measured_stall_is_still_named() {
    let (w, _) = blocking();
    let doc = recommend(&empty_analysis(), &profile(vec![w]));
    let r = reasons(only(&doc));
    assert!(
        r.contains("cause: something inside the async jobs blocks the runtime's worker threads"),
        "{r}"
    );
    assert!(
        r.contains("measured: throughput stops growing with K"),
        "{r}"
    );
}

/// 32 async jobs that compute for 12.5 ms and never await.
fn compute(async_rss_mb: u64) -> WorkloadProfile {
    let sync = vec![
        with_rss(run(Sequential, 1, 400.0, 400.0), 8),
        with_rss(run(Threads, 1, 401.0, 401.0), 8),
        with_rss(run(Threads, 2, 202.0, 402.0), 8),
        with_rss(run(Threads, 4, 203.0, 404.0), 8),
        with_rss(run(Processes, 1, 410.0, 405.0), 10),
        with_rss(run(Processes, 2, 215.0, 410.0), 20),
        with_rss(run(Processes, 4, 216.0, 415.0), 40),
    ];
    let mut runs = Vec::new();
    for k in [1, 2, 4] {
        runs.push(tasks(CurrentThread, 1, k, 400.5, async_rss_mb));
        if k >= 2 {
            runs.push(tasks(MultiThread, 2, k, 202.5, async_rss_mb));
        }
    }
    async_workload("compute", 32, &sync, runs)
}

#[test]
fn async_compute_ties_threads_on_a_multi_thread_runtime_and_equals_sequential_on_one_thread() {
    let doc = recommend(&empty_analysis(), &profile(vec![compute(8)]));
    let w = only(&doc);
    let r = reasons(w);
    assert_eq!(w.recommendation.model, Verdict::Threads, "{r}");
    assert!(
        r.contains("async tasks are as fast within the noise"),
        "{r}"
    );
    // Computing is the cause, not a hidden blocking call; nothing to move into `spawn_blocking` for speed.
    assert!(
        r.contains("cause: the jobs compute (on CPU 100% of the sequential run's wall time)"),
        "{r}"
    );
    assert!(!r.contains("look for blocking calls"), "{r}");
    assert!(!r.contains("use the async API"), "{r}");
    let speed = |rt: AsyncRuntime| {
        w.measured
            .iter()
            .filter(|p| p.model == Model::Async && p.runtime == Some(rt))
            .map(|p| p.speedup)
            .fold(0.0f64, f64::max)
    };
    let threads = w.speedup.threads.unwrap_or(0.0);
    assert!((speed(MultiThread) / threads - 1.0).abs() < 0.05, "{r}");
    assert!((speed(CurrentThread) - 1.0).abs() < 0.05, "{r}");
    // One worker thread does not gain by waiting: async gets a prediction in cores like threads.
    assert!(
        w.prediction.iter().all(|p| p.asynchronous.is_some()),
        "{:?}",
        w.fit_notes
    );
}

#[test]
fn a_speed_tie_goes_to_async_tasks_when_they_need_clearly_less_memory() {
    let doc = recommend(&empty_analysis(), &profile(vec![compute(4)]));
    let w = only(&doc);
    let r = reasons(w);
    assert_eq!(w.recommendation.model, Verdict::Async, "{r}");
    assert_eq!(w.recommendation.runtime, Some(MultiThread));
    assert_eq!(w.recommendation.workers, 2);
    assert!(r.contains("no clear winner on speed"), "{r}");
    assert!(
        r.contains("async tasks preferred on cost: peak memory 4.0 MB"),
        "{r}"
    );
}

#[test]
fn different_results_or_process_global_state_rule_async_out() {
    let mut w = timers();
    for r in w.runs.iter_mut().filter(|r| r.model == Model::Async) {
        r.results_match_sequential = false;
    }
    let doc = recommend(&empty_analysis(), &profile(vec![w]));
    let w = only(&doc);
    assert_eq!(w.recommendation.model, Verdict::Threads, "{}", reasons(w));
    assert!(reasons(w).contains("gave different results from the sequential run: async ruled out"));

    let a = analysis(
        vec![finding(
            FindingKind::ProcessGlobal,
            12,
            "workloads::timers",
            "`std::env::set_var` changes the process environment",
        )],
        &[("workloads::timers", &[0])],
    );
    let doc = recommend(&a, &profile(vec![timers()]));
    let w = only(&doc);
    let r = reasons(w);
    assert_ne!(w.recommendation.model, Verdict::Async, "{r}");
    assert!(
        r.contains("async tasks interleave in one process, so async is ruled out too"),
        "{r}"
    );
}

#[test]
fn json_has_model_async_with_in_flight_and_sync_workloads_are_unchanged() {
    let doc = recommend(&empty_analysis(), &profile(vec![timers()]));
    let v = serde_json::to_value(&doc).unwrap();
    let w = &v["workloads"][0];
    assert_eq!(w["recommendation"]["model"], "async");
    assert_eq!(w["recommendation"]["in_flight"], 256);
    assert_eq!(w["recommendation"]["runtime"], "current-thread");
    assert!(w["speedup"]["async"].as_f64().is_some_and(|s| s > 100.0));
    let point = w["measured"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["model"] == "async" && p["in_flight"] == 64)
        .cloned()
        .unwrap_or_default();
    assert_eq!(point["runtime"], "current-thread");
    // A sync workload's JSON carries none of the new fields.
    let sync = workload(
        "cpu",
        8,
        &[
            run(Sequential, 1, 100.0, 100.0),
            run(Threads, 2, 51.0, 100.0),
        ],
        Vec::new(),
    );
    let text = serde_json::to_string(&recommend(&empty_analysis(), &profile(vec![sync]))).unwrap();
    for field in ["in_flight", "runtime", "\"async\""] {
        assert!(!text.contains(field), "{field} in {text}");
    }
}

#[test]
fn async_advice_for_sync_waiting_jobs_only_where_threads_would_not_do() {
    let sleepy = workload(
        "sleepy",
        32,
        &[run(Sequential, 1, 320.0, 3.0), run(Threads, 2, 161.0, 3.0)],
        Vec::new(),
    );
    let doc = recommend(&empty_analysis(), &profile(vec![sleepy]));
    let w = only(&doc);
    assert_eq!(w.recommendation.model, Verdict::Threads);
    let advice = |w: &WorkloadReport| {
        w.recommendation
            .refactors
            .iter()
            .any(|f| f.message.starts_with("advice, not measured"))
    };
    // 32 waiting jobs: threads do; no async advice.
    assert!(!advice(w), "{:?}", w.recommendation.refactors);
    let fanout = workload(
        "fanout",
        5000,
        &[
            run(Sequential, 1, 5000.0, 4.0),
            run(Threads, 2, 2510.0, 4.0),
        ],
        Vec::new(),
    );
    let doc = recommend(&empty_analysis(), &profile(vec![fanout]));
    let w = only(&doc);
    assert_eq!(w.recommendation.model, Verdict::Threads);
    assert!(advice(w), "{:?}", w.recommendation.refactors);
}
