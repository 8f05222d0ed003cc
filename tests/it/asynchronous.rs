//! Async workloads end to end: the real binary profiles `fixtures/async-workloads` (timers, blocking,
//! compute: right answers known by construction) and a scratch crate without tokio; plus the rendering of
//! the async model (snapshots, well-formed HTML). The end-to-end tests build tokio, so they fetch it from
//! crates.io once: they are `#[ignore]`d and run by `.ci/run` (`cargo test --test it async_ -- --ignored`).

use cargo_concur::profile::doc::ProfileDoc;
use cargo_concur::render::write_report;
use cargo_concur::render::ReportFormat;
use cargo_concur::report::recommend;
use serde_json::{json, Value};

use crate::report::{reasons_of, verdict};

/// Profiles the async fixture to a file, then reports from it: the profile (memory, digests per run)
/// and the verdicts of the same measurements.
fn profile_and_report(dir: &std::path::Path) -> (i32, Value, Value, String) {
    let manifest = crate::fixture("async-workloads").join("Cargo.toml");
    let profile_path = dir.join("profile.json");
    let out = crate::concur()
        .args(["concur", "profile", "--manifest-path"])
        .arg(&manifest)
        .args([
            "--no-tests",
            "--runs",
            "3",
            "--timeout",
            "20",
            "--format",
            "json",
            "--output",
        ])
        .arg(&profile_path)
        .output()
        .expect("run cargo-concur profile");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out.status.code().unwrap_or(-1);
    let profile: Value = std::fs::read(&profile_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_else(|| panic!("no profile written (exit {code}): {stderr}"));
    let out = crate::concur()
        .args(["concur", "report", "--manifest-path"])
        .arg(&manifest)
        .arg("--from")
        .arg(&profile_path)
        .args(["--format", "json"])
        .output()
        .expect("run cargo-concur report");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "report stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, profile, report, stderr)
}

/// The measured speedups of one model (and runtime) in a workload's report.
fn speedups(w: &Value, model: &str, runtime: Option<&str>) -> Vec<f64> {
    w["measured"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .filter(|p| p["model"] == model)
                .filter(|p| runtime.is_none_or(|rt| p["runtime"] == rt))
                .filter_map(|p| p["speedup"].as_f64())
                .collect()
        })
        .unwrap_or_default()
}

fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(0.0, f64::max)
}

macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        let holds: bool = $cond;
        if !holds {
            return Err(format!($($fmt)+));
        }
    };
}

/// Every run of every workload has the sequential digest (tasks give the same results as the other
/// models), and the async runs carry their runtime and K.
fn check_profile(profile: &Value) -> Result<(), String> {
    for w in profile["workloads"].as_array().into_iter().flatten() {
        ensure!(w["async"] == true, "{}: not marked async", w["name"]);
        let runs = w["runs"].as_array().cloned().unwrap_or_default();
        let tasks: Vec<&Value> = runs.iter().filter(|r| r["model"] == "async").collect();
        ensure!(
            tasks.len() >= 3,
            "{}: {} async runs",
            w["name"],
            tasks.len()
        );
        for r in &runs {
            ensure!(
                r["results_match_sequential"] == true,
                "{}: {} ×{} K={} differs",
                w["name"],
                r["model"],
                r["workers"],
                r["in_flight"]
            );
        }
        for r in tasks {
            ensure!(
                r["in_flight"].as_u64().is_some_and(|k| k >= 1)
                    && (r["runtime"] == "current-thread" || r["runtime"] == "multi-thread"),
                "{}: async run without runtime/in_flight: {r}",
                w["name"]
            );
        }
    }
    Ok(())
}

/// The peak memory of a workload's run, by model, workers and (for async) K.
fn rss_of(profile: &Value, name: &str, model: &str, workers: u64, k: Option<u64>) -> u64 {
    verdict(profile, name)["runs"]
        .as_array()
        .and_then(|runs| {
            runs.iter().find(|r| {
                r["model"] == model
                    && r["workers"] == workers
                    && k.is_none_or(|k| r["in_flight"] == k)
            })
        })
        .and_then(|r| r["peak_rss_kb_total"].as_u64())
        .unwrap_or(0)
}

fn check_verdicts(code: i32, profile: &Value, report: &Value, stderr: &str) -> Result<(), String> {
    ensure!(code == 0, "profile exit code {code}: {stderr}");
    ensure!(
        stderr.contains("tokio 1.54.1 for async workloads (the version in your Cargo.lock)"),
        "tokio version not taken from the fixture's lock file: {stderr}"
    );
    check_profile(profile)?;

    // Timers: async at high K, at a fraction of the threads model's memory.
    let w = verdict(report, "timers");
    let r = reasons_of(w);
    ensure!(
        w["recommendation"]["model"] == "async",
        "timers: {}: {r}",
        w["recommendation"]["model"]
    );
    let k = w["recommendation"]["in_flight"].as_u64().unwrap_or(0);
    ensure!(k >= 32, "timers: only {k} in flight: {r}");
    ensure!(r.contains("faster than threads ×"), "timers: {r}");
    let workers = w["recommendation"]["workers"].as_u64().unwrap_or(0);
    let tasks_rss = rss_of(profile, "timers", "async", workers, Some(k));
    let threads_rss = rss_of(profile, "timers", "threads", 16, None);
    ensure!(
        tasks_rss > 0 && (tasks_rss as f64) < 0.75 * threads_rss as f64,
        "timers: async peak memory {tasks_rss} KB vs threads ×16 {threads_rss} KB"
    );

    // Blocking in async jobs: async loses, the cause named with its line and the fix.
    let w = verdict(report, "blocking");
    let r = reasons_of(w);
    ensure!(
        w["recommendation"]["model"] == "threads",
        "blocking: {}: {r}",
        w["recommendation"]["model"]
    );
    ensure!(
        r.contains(
            "cause: a blocking call inside the async jobs stalls the runtime's worker thread: \
                    `std::thread::sleep` blocks inside an async body at src/lib.rs:34"
        ),
        "blocking: {r}"
    );
    ensure!(
        r.contains("fix: move it into `tokio::task::spawn_blocking`"),
        "blocking: {r}"
    );
    let advice_at_line = w["recommendation"]["refactors"]
        .as_array()
        .is_some_and(|a| {
            a.iter()
                .any(|f| f["line"] == 34 && f["file"] == "src/lib.rs")
        });
    ensure!(advice_at_line, "blocking: no advice at src/lib.rs:34: {w}");
    let current = max(&speedups(w, "async", Some("current-thread")));
    ensure!(
        current < 1.3,
        "blocking: current-thread runtime gained {current}x: {r}"
    );

    // Compute: multi-thread runtime ≈ threads, current-thread runtime = sequential.
    let w = verdict(report, "compute");
    let multi = max(&speedups(w, "async", Some("multi-thread")));
    let threads = max(&speedups(w, "threads", None));
    let current = max(&speedups(w, "async", Some("current-thread")));
    ensure!(threads > 1.3, "compute: threads only {threads}x");
    ensure!(
        (multi / threads - 1.0).abs() < 0.2,
        "compute: multi-thread runtime {multi}x vs threads {threads}x"
    );
    ensure!(
        (current - 1.0).abs() < 0.2,
        "compute: current-thread runtime {current}x"
    );
    Ok(())
}

/// Measured on a shared machine: taken again (up to 3 times) when a check fails; every check must hold in
/// one run.
#[test]
#[ignore = "builds tokio (fetched from crates.io once); run by .ci/run with --ignored"]
fn async_fixture_workloads_get_the_verdicts_that_are_right_by_construction() {
    let _g = crate::exclusive();
    let dir = std::env::temp_dir().join(format!("concur-async-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut failures = Vec::new();
    for attempt in 1..=3 {
        let (code, profile, report, stderr) = profile_and_report(&dir);
        match check_verdicts(code, &profile, &report, &stderr) {
            Ok(()) => {
                let _ = std::fs::remove_dir_all(&dir);
                return;
            }
            Err(e) => {
                eprintln!("attempt {attempt}: {e}");
                failures.push(e);
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    panic!("no run gave every right verdict:\n{}", failures.join("\n"));
}

/// A standalone crate under the temp directory (removed by the caller) with one declared workload: its
/// `[[package.metadata.concur.workload]]` keys after `name`, and `src/lib.rs`.
fn temp_crate(
    tag: &str,
    package: &str,
    workload: &str,
    keys: &str,
    lib: &str,
) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("concur-async-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("src")).expect("temp dir");
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"{package}\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[workspace]\n\n\
             [[package.metadata.concur.workload]]\nname = \"{workload}\"\n{keys}"
        ),
    )
    .expect("manifest");
    std::fs::write(dir.join("src/lib.rs"), lib).expect("lib.rs");
    dir
}

/// `profile --format json --no-perf ARGS` of a crate made by [`temp_crate`], which is then removed:
/// (exit code, stdout, stderr).
fn profile_temp(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, Vec<u8>, String) {
    let out = crate::concur()
        .args(["concur", "profile", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .args(args)
        .args(["--format", "json", "--no-perf"])
        .output()
        .expect("run cargo-concur");
    let _ = std::fs::remove_dir_all(dir);
    (
        out.status.code(),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A crate whose async `run` needs no tokio of its own: the harness gets the stated default version.
#[test]
#[ignore = "builds tokio (fetched from crates.io once); run by .ci/run with --ignored"]
fn async_workload_of_a_crate_without_tokio_uses_the_default_tokio() {
    let _g = crate::shared();
    let dir = temp_crate(
        "plain",
        "plain-async",
        "double",
        "setup = \"plain_async::table\"\nrun = \"plain_async::double\"\njobs = 8\n",
        "pub fn table() -> Vec<usize> { (0..8).collect() }\n\
         pub async fn double(t: &Vec<usize>, job: usize) -> usize { t[job] * 2 }\n",
    );
    let (code, stdout, stderr) = profile_temp(&dir, &["--runs", "1", "--workers", "2"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "tokio {} for async workloads (no tokio in your Cargo.lock: cargo-concur's default)",
            cargo_concur::profile::harness::DEFAULT_TOKIO
        )),
        "{stderr}"
    );
    let doc: Value = serde_json::from_slice(&stdout).expect("json");
    let runs = doc["workloads"][0]["runs"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let models: Vec<&str> = runs.iter().filter_map(|r| r["model"].as_str()).collect();
    for m in ["sequential", "threads", "processes", "async"] {
        assert!(models.contains(&m), "{m} missing: {models:?}");
    }
    assert!(
        runs.iter().all(|r| r["results_match_sequential"] == true),
        "{runs:?}"
    );
}

/// An async job that blocks its worker thread inside `poll` when another job is in flight at the same
/// time: the timeout of the task run names the job that was being polled (running, blocking its worker)
/// apart from the tasks in flight that were waiting.
#[test]
#[ignore = "builds tokio (fetched from crates.io once); run by .ci/run with --ignored"]
fn async_timeout_names_the_job_blocking_its_worker() {
    let _g = crate::exclusive();
    let dir = temp_crate(
        "hang",
        "hang-async",
        "together",
        "run = \"hang_async::together\"\njobs = 4\n",
        "use std::sync::atomic::{AtomicUsize, Ordering};\n\
         static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);\n\
         struct YieldOnce(bool);\n\
         impl std::future::Future for YieldOnce {\n\
             type Output = ();\n\
             fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {\n\
                 if self.0 { return std::task::Poll::Ready(()); }\n\
                 self.0 = true;\n\
                 cx.waker().wake_by_ref();\n\
                 std::task::Poll::Pending\n\
             }\n\
         }\n\
         /// Blocks its thread forever when another job is in flight at the same time.\n\
         pub async fn together(job: usize) -> usize {\n\
             IN_FLIGHT.fetch_add(1, Ordering::SeqCst);\n\
             YieldOnce(false).await;\n\
             while IN_FLIGHT.load(Ordering::SeqCst) > 1 { std::thread::sleep(std::time::Duration::from_secs(1)); }\n\
             IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);\n\
             job\n\
         }\n",
    );
    let (code, stdout, stderr) =
        profile_temp(&dir, &["--runs", "1", "--workers", "1,2", "--timeout", "2"]);
    assert_eq!(code, Some(3), "a timeout is a workload failure: {stderr}");
    let doc: Value = serde_json::from_slice(&stdout).expect("json");
    let errors = doc["workloads"][0]["errors"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let task_timeouts: Vec<&Value> = errors
        .iter()
        .filter(|e| e["model"] == "async" && e["kind"] == "timeout")
        .collect();
    assert!(!task_timeouts.is_empty(), "{errors:?}");
    let jobs = |e: &Value, key: &str| -> Vec<u64> {
        e[key]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_u64).collect())
            .unwrap_or_default()
    };
    for e in &task_timeouts {
        let (running, waiting) = (jobs(e, "running_jobs"), jobs(e, "waiting_jobs"));
        assert!(
            e["job"].as_u64().is_some_and(|j| j < 4)
                && e["job"].as_u64() == running.first().copied(),
            "no job named: {e}"
        );
        assert!(
            running.iter().chain(&waiting).all(|&j| j < 4)
                && waiting.iter().all(|j| !running.contains(j)),
            "{e}"
        );
        let m = e["message"].as_str().unwrap_or_default();
        assert!(m.contains("still running (being polled"), "{e}");
    }
    // On one thread, two jobs in flight: the one polled blocks the thread, the other waits behind it.
    let current = task_timeouts
        .iter()
        .find(|e| {
            e["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("async x1"))
                && e["workers"] == 1
        })
        .unwrap_or_else(|| panic!("no timeout on one thread: {task_timeouts:?}"));
    let (running, waiting) = (jobs(current, "running_jobs"), jobs(current, "waiting_jobs"));
    assert_eq!((running.len(), waiting.len()), (1, 1), "{current}");
    assert!(
        current["message"]
            .as_str()
            .is_some_and(|m| m.contains(&format!("; job {} was waiting (in flight", waiting[0]))),
        "{current}"
    );
}

/// A synthetic async workload (timers-like) beside a sync one, in contract JSON.
fn synthetic() -> ProfileDoc {
    let ns = |ms: f64| (ms * 1e6) as u64;
    let run = |model: &str, workers: usize, k: Option<(&str, usize)>, wall_ms: f64, rss_mb: u64| {
        let jitter = [1.0, 0.985, 1.012, 0.994, 1.015];
        let samples: Vec<Value> = jitter
            .iter()
            .map(|j| {
                json!({"wall_ns": ns(wall_ms * j), "user_ns": ns(3.0), "sys_ns": 0, "setup_ns": 0,
                       "peak_rss_kb_total": rss_mb * 1024, "voluntary_switches": 0, "involuntary_switches": 0,
                       "minor_faults": 0, "major_faults": 0,
                       "counters": {"instructions": 0, "cycles": 0, "cache_misses": 0}, "digest": "aa"})
            })
            .collect();
        let mut v = json!({
            "model": model, "workers": workers,
            "wall_ns": {"median": ns(wall_ms), "min": ns(wall_ms * 0.985), "max": ns(wall_ms * 1.015)},
            "cpu_ns": {"median": ns(3.0), "min": ns(3.0), "max": ns(3.0)}, "setup_ns": {"median": 0},
            "peak_rss_kb_total": rss_mb * 1024, "voluntary_switches": 0, "involuntary_switches": 0,
            "minor_faults": 0, "counters": {"instructions": 0, "cycles": 0, "cache_misses": 0},
            "samples": 5, "results_match_sequential": true, "oversubscribed": workers > 2,
            "raw_samples": samples
        });
        if let Some((rt, k)) = k {
            v["runtime"] = json!(rt);
            v["in_flight"] = json!(k);
        }
        v
    };
    serde_json::from_value(json!({
        "schema_version": 1,
        "environment": {"cores": 2, "counters": "software", "os": "linux", "kernel": "6.1.0"},
        "workloads": [{
            "name": "timers", "package": "async-workloads", "jobs": 128, "kind": "declared", "async": true,
            "run": "async_workloads::timer_job", "errors": [], "runs": [
                run("sequential", 1, None, 256.0, 3),
                run("threads", 2, None, 128.0, 4),
                run("threads", 16, None, 17.0, 7),
                run("processes", 2, None, 140.0, 8),
                run("async", 1, Some(("current-thread", 1)), 256.0, 3),
                run("async", 1, Some(("current-thread", 128)), 3.0, 3),
                run("async", 2, Some(("multi-thread", 128)), 3.2, 3)]
        }]
    }))
    .expect("synthetic profile matches the contract")
}

fn render(format: ReportFormat) -> String {
    let profile = synthetic();
    let analysis: cargo_concur::analyze::doc::AnalysisDoc = serde_json::from_value(json!({
        "schema_version": 1, "tool": {"name": "cargo-concur", "version": "0.1.0"},
        "workspace_root": "/ws", "packages": [], "files": {"analyzed": 1, "parse_errors": []},
        "findings": [], "functions": []
    }))
    .expect("analysis");
    let report = recommend(&analysis, &profile);
    let mut out = Vec::new();
    write_report(&report, &profile, format, &mut out).expect("render");
    anstream::adapter::strip_str(&String::from_utf8(out).expect("utf-8")).to_string()
}

#[test]
fn async_model_in_human_and_markdown_reports() {
    let _g = crate::shared();
    let human = render(ReportFormat::Human);
    assert!(
        human.contains("timers: async current-thread, 128 in flight (confidence"),
        "{human}"
    );
    assert!(human.contains("async current-thread ×1 K=128"), "{human}");
    assert!(
        human.contains("keeping at most 128 in flight (a `JoinSet` refilled as tasks finish"),
        "{human}"
    );
    assert!(
        human.contains("A measured async tasks at their best K"),
        "{human}"
    );
    insta::assert_snapshot!("report_async_human", human);
    let md = render(ReportFormat::Markdown);
    assert!(md.contains("| best async |"), "{md}");
    assert!(
        md.contains("| timers | **async current-thread, 128 in flight** |"),
        "{md}"
    );
    insta::assert_snapshot!("report_async_markdown", md);
}

#[test]
fn async_model_in_json_and_html_reports() {
    let _g = crate::shared();
    let v: Value = serde_json::from_str(&render(ReportFormat::Json)).expect("json");
    let w = &v["workloads"][0];
    assert_eq!(w["recommendation"]["model"], "async");
    assert_eq!(w["recommendation"]["in_flight"], 128);
    assert!(w["speedup"]["async"].as_f64().is_some_and(|s| s > 50.0));
    assert!(w["measured"].as_array().is_some_and(|m| m
        .iter()
        .any(|p| p["model"] == "async" && p["in_flight"] == 128)));
    let html = render(ReportFormat::Html);
    assert!(html.contains("<th>best async</th>"), "{html}");
    assert!(html.contains("async (best K)"), "{html}");
    let body = html.trim_start_matches("<!DOCTYPE html>");
    let names =
        crate::report::check_xml(body).unwrap_or_else(|e| panic!("html not well-formed: {e}"));
    assert_eq!(names.iter().filter(|n| *n == "svg").count(), 1);
    // The async points are drawn in their own colour.
    assert!(html.contains("stroke=\"#2ca02c\""), "{html}");
}
