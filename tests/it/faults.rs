//! `profile` on `fixtures/faults`, one misbehaving workload per fault, through the real binary: each fault
//! is recorded with its model, worker count and job (for a hang, the pairs skipped after it), the rest of the
//! profile completes, the exit code is 3, and afterwards no process the run started is alive (found by a
//! marker in their environment, escaped ones included) and no run file is left in the target directory.
//! SIGTERM during a profile kills everything and exits 143.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{concur, exclusive, fixture};

fn manifest() -> PathBuf {
    fixture("faults").join("Cargo.toml")
}

/// A marker only this test's processes carry in their environment.
fn marker(test: &str) -> String {
    format!("{test}-{}-{:?}", std::process::id(), Instant::now())
}

/// Processes whose environment holds `CONCUR_FAULTS_MARKER=<marker>` (escaped ones included: the
/// environment is inherited through `setsid` and forks).
pub fn marked_processes(marker: &str) -> Vec<(i32, String)> {
    let needle = format!("CONCUR_FAULTS_MARKER={marker}");
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in dir.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) else {
            continue;
        };
        if env.split(|&b| b == 0).any(|v| v == needle.as_bytes()) {
            let cmd = std::fs::read_to_string(format!("/proc/{pid}/cmdline"))
                .unwrap_or_default()
                .replace('\0', " ");
            out.push((pid, cmd));
        }
    }
    out
}

/// `profile` of the faults fixture with the processes of the run marked by `marker`, with `args`.
fn profile_marked(marker: &str, args: &[&str]) -> Command {
    let mut c = concur();
    c.arg("profile")
        .arg("--manifest-path")
        .arg(manifest())
        .args(["--no-tests", "--no-perf"])
        .args(args)
        .env("CONCUR_FAULTS_MARKER", marker);
    c
}

/// [`profile_marked`] at 2 workers, one run.
fn profile(marker: &str, args: &[&str]) -> Command {
    let mut c = profile_marked(marker, &["--workers", "2", "--runs", "1"]);
    c.args(args);
    c
}

/// The profile of `name` in a profile document.
fn workload<'a>(doc: &'a Value, name: &str) -> Option<&'a Value> {
    doc["workloads"]
        .as_array()
        .and_then(|ws| ws.iter().find(|w| w["name"] == name))
}

/// Whether the error's message ends with `suffix`.
fn message_ends(e: &Value, suffix: &str) -> bool {
    e["message"].as_str().is_some_and(|m| m.ends_with(suffix))
}

fn errors<'a>(doc: &'a Value, name: &str) -> Vec<&'a Value> {
    workload(doc, name)
        .and_then(|w| w["errors"].as_array())
        .map(|e| e.iter().collect())
        .unwrap_or_default()
}

fn run_files() -> Vec<PathBuf> {
    let dir = fixture("faults").join("target/concur/run");
    std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

#[test]
fn every_fault_is_recorded_and_nothing_outlives_the_run() {
    let _g = exclusive();
    let marker = marker("faults");
    let out = profile(
        &marker,
        &[
            "--timeout",
            "8",
            "--memory-limit",
            "512M",
            "--format",
            "json",
        ],
    )
    .stdin(Stdio::null())
    .output()
    .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}); stderr: {stderr}"));
    assert_eq!(out.status.code(), Some(3), "{stderr}");

    // (workload, kind, text in the message) that must be among its errors.
    let expect: &[(&str, &str, &str)] = &[
        ("segfault", "crash", "SIGSEGV"),
        ("stack_overflow", "crash", "overflowed its stack"),
        ("exit_in_job", "crash", "exited with code 7"),
        ("never_returns", "timeout", "killed after the 8.0 s timeout"),
        ("flood", "output-limit", "MB of it were cut"),
        ("hog", "out-of-memory", "--memory-limit"),
    ];
    for (workload, kind, text) in expect {
        let es = errors(&doc, workload);
        assert!(
            es.iter()
                .any(|e| e["kind"] == *kind
                    && e["message"].as_str().is_some_and(|m| m.contains(text))),
            "{workload}: no {kind} error saying {text:?}: {es:?}"
        );
        // Every error names its model and worker count.
        for e in &es {
            assert!(
                e["model"].is_string() && e["workers"].is_u64(),
                "{workload}: {e}"
            );
        }
    }
    // Every model names the job that ended the process: worker processes through the harness (which
    // knows the job its dead worker had), sequential and threads through the marker the harness writes on
    // its protocol channel from the fatal signal's handler or from `exit`.
    for workload in ["segfault", "stack_overflow", "exit_in_job"] {
        let es = errors(&doc, workload);
        for model in ["sequential", "threads", "processes"] {
            assert!(
                es.iter().any(|e| e["model"] == model && e["job"] == 1),
                "{workload}: no {model} error naming job 1: {es:?}"
            );
        }
        assert!(es.iter().all(|e| e["job"] == 1), "{workload}: {es:?}");
    }
    let seg = errors(&doc, "segfault");
    assert!(
        seg.iter().any(|e| e["model"] == "threads"
            && e["message"]
                .as_str()
                .is_some_and(|m| m.contains("job 1 crashed: the harness was killed by SIGSEGV"))),
        "segfault: {seg:?}"
    );
    // `process::exit` in a job under threads ends the harness: recorded, not taken as success.
    let exit = errors(&doc, "exit_in_job");
    assert!(
        exit.iter().any(|e| e["model"] == "threads"),
        "exit_in_job: threads: {exit:?}"
    );
    // The escaping workload and the one whose jobs start a child that keeps their streams: every model
    // completes (no timeout: the harness's protocol descriptors are close-on-exec, so no sleeper holds a
    // worker's pipe open), the results match, and the children's output never reaches the protocol.
    for name in ["escape", "spawn_child"] {
        let es = errors(&doc, name);
        assert!(es.is_empty(), "{name}: {es:?}");
        let runs = workload(&doc, name)
            .and_then(|w| w["runs"].as_array())
            .cloned()
            .unwrap_or_default();
        for model in ["sequential", "threads", "processes"] {
            assert!(
                runs.iter()
                    .any(|r| r["model"] == model && r["results_match_sequential"] == true),
                "{name}: no matching {model} run: {runs:?}"
            );
        }
    }
    assert!(
        stderr.contains("process") && stderr.contains("behind"),
        "no note of escaped processes: {stderr}"
    );
    // On Linux the tool is a child subreaper; the fallback's warning would say that escapes go unkilled.
    assert!(
        !stderr.contains("cannot become a child subreaper"),
        "{stderr}"
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("concur-faults-child-noise"),
        "a job's child wrote to stdout"
    );

    std::thread::sleep(Duration::from_millis(300));
    let left = marked_processes(&marker);
    assert!(left.is_empty(), "processes outlived the profile: {left:?}");
    assert!(run_files().is_empty(), "run files left: {:?}", run_files());
}

/// A workload that hangs in every model costs one timeout, not one per (model, workers) pair: the warm-up
/// times out, the other pairs are not run, and the profile names them.
#[test]
fn a_hanging_workload_times_out_once_and_names_the_skipped_pairs() {
    let _g = exclusive();
    let marker = marker("hang");
    let run = |format: &str| {
        profile(
            &marker,
            &[
                "--workload",
                "never_returns",
                "--timeout",
                "2",
                "--format",
                format,
            ],
        )
        .stdin(Stdio::null())
        .output()
        .expect("runs")
    };
    let out = run("json");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}); stderr: {stderr}"));
    let es = errors(&doc, "never_returns");
    let timeouts: Vec<&&Value> = es.iter().filter(|e| e["kind"] == "timeout").collect();
    assert_eq!(timeouts.len(), 1, "one timeout, not one per pair: {es:?}");
    assert_eq!(timeouts[0]["model"], "sequential");
    // Warned before the kill, the harness named the job that never returns.
    assert_eq!(timeouts[0]["job"], 1, "{es:?}");
    assert!(
        message_ends(timeouts[0], "; job 1 was still running"),
        "{es:?}"
    );
    let w = workload(&doc, "never_returns").expect("the workload is in the profile");
    // Pairs attempted: the warm-up only.
    assert_eq!(w["runs"].as_array().map(Vec::len), Some(0), "{w}");
    let skipped: Vec<(String, u64)> = w["skipped"]
        .as_array()
        .map(|v| {
            v.iter()
                .map(|s| {
                    assert_eq!(s["after"]["model"], "sequential", "{s}");
                    assert_eq!(s["samples"], 0, "{s}");
                    (
                        s["run"]["model"].as_str().unwrap_or_default().to_string(),
                        s["run"]["workers"].as_u64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        skipped,
        vec![("threads".to_string(), 2), ("processes".to_string(), 2)],
        "{w}"
    );
    // The human profile says which pairs were skipped, and why.
    let out = run("human");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches("error [timeout]").count(), 1, "{text}");
    assert!(
        text.contains(
            "sequential x1 timed out, so 2 configurations were not run (each would only wait for the \
             timeout too): threads x2, processes x2"
        ),
        "{text}"
    );
    std::thread::sleep(Duration::from_millis(300));
    let left = marked_processes(&marker);
    assert!(left.is_empty(), "processes outlived the profile: {left:?}");
}

/// A workload that hangs only when two jobs share a process: threads x2 times out once, naming the two jobs
/// still running; the rest of threads is not run again (x1 keeps its one sample), processes and sequential
/// run every round. Pairs attempted: 8, not the 10 of two full rounds.
#[test]
fn a_hang_under_one_model_skips_only_that_model_and_names_the_running_jobs() {
    let _g = exclusive();
    let marker = marker("hang-threads");
    let mut c = profile_marked(
        &marker,
        &[
            "--workers",
            "1,2",
            "--runs",
            "2",
            "--workload",
            "hangs_in_parallel",
            "--timeout",
            "2",
            "--format",
            "json",
        ],
    );
    c.stdin(Stdio::null());
    let out = c.output().expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}); stderr: {stderr}"));
    let es = errors(&doc, "hangs_in_parallel");
    assert_eq!(es.len(), 1, "{es:?}");
    let e = es[0];
    assert_eq!(
        (&e["kind"], &e["model"], &e["workers"], &e["job"]),
        (
            &Value::from("timeout"),
            &Value::from("threads"),
            &Value::from(2),
            &Value::from(0)
        ),
        "{e}"
    );
    assert!(message_ends(e, "; jobs 0, 1 were still running"), "{e}");
    let w = workload(&doc, "hangs_in_parallel").expect("the workload is in the profile");
    let samples = |model: &str, workers: u64| {
        w["runs"].as_array().and_then(|rs| {
            rs.iter()
                .find(|r| r["model"] == model && r["workers"] == workers)
                .and_then(|r| r["samples"].as_u64())
        })
    };
    assert_eq!(samples("sequential", 1), Some(2), "{w}");
    assert_eq!(samples("threads", 1), Some(1), "{w}");
    assert_eq!(samples("threads", 2), None, "{w}");
    assert_eq!(samples("processes", 1), Some(2), "{w}");
    assert_eq!(samples("processes", 2), Some(2), "{w}");
    let skipped = w["skipped"].as_array().cloned().unwrap_or_default();
    assert_eq!(skipped.len(), 1, "{w}");
    assert_eq!(
        (
            &skipped[0]["run"]["model"],
            &skipped[0]["run"]["workers"],
            &skipped[0]["after"]["model"],
            &skipped[0]["after"]["workers"],
            &skipped[0]["samples"]
        ),
        (
            &Value::from("threads"),
            &Value::from(1),
            &Value::from("threads"),
            &Value::from(2),
            &Value::from(1)
        ),
        "{w}"
    );
    std::thread::sleep(Duration::from_millis(300));
    let left = marked_processes(&marker);
    assert!(left.is_empty(), "processes outlived the profile: {left:?}");
}

#[test]
fn sigterm_during_a_profile_kills_everything_and_exits_143() {
    let _g = exclusive();
    let marker = marker("sigterm");
    // The escaping workload, then one that never returns: SIGTERM arrives while processes have escaped.
    let mut child = profile(
        &marker,
        &[
            "--workload",
            "escape",
            "--workload",
            "never_returns",
            "--timeout",
            "60",
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(240);
    // Wait until the hanging workload runs (the harness may be built first).
    while Instant::now() < deadline {
        let procs = marked_processes(&marker);
        if procs
            .iter()
            .any(|(_, c)| c.contains("concur-harness") && c.contains("never_returns"))
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        marked_processes(&marker)
            .iter()
            .any(|(_, c)| c.contains("concur-harness") && c.contains("never_returns")),
        "the hanging workload never started"
    );
    let sent = Instant::now();
    // SAFETY: plain kill(2) of our own child.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let status = child.wait().expect("wait");
    let took = sent.elapsed();
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut stderr);
    }
    assert_eq!(status.code(), Some(143), "{stderr}");
    assert!(stderr.contains("interrupted by SIGTERM"), "{stderr}");
    assert!(took < Duration::from_secs(5), "took {took:?} to exit");
    std::thread::sleep(Duration::from_millis(300));
    let left = marked_processes(&marker);
    assert!(left.is_empty(), "processes outlived SIGTERM: {left:?}");
    assert!(run_files().is_empty(), "run files left: {:?}", run_files());
}

/// A scratch crate whose test target `hang` has a test, `b_hangs`, that never returns when another test
/// runs in its process at the same time (threads), when it runs alone in a process of its own (`--exact`:
/// processes), or always with `HANG_ALWAYS` set; `a_quick`, `c_quick` and `d_quick` pass in 300 ms.
fn hanging_tests_crate() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("hanging-tests");
    std::fs::create_dir_all(dir.join("src")).expect("mkdir");
    std::fs::create_dir_all(dir.join("tests")).expect("mkdir");
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"hanging-tests\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .expect("manifest");
    std::fs::write(dir.join("src/lib.rs"), "").expect("lib");
    std::fs::write(
        dir.join("tests/hang.rs"),
        "use std::sync::atomic::{AtomicUsize, Ordering};\n\
         use std::time::Duration;\n\
         static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);\n\
         fn quick() {\n\
             IN_FLIGHT.fetch_add(1, Ordering::SeqCst);\n\
             std::thread::sleep(Duration::from_millis(300));\n\
             IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);\n\
         }\n\
         #[test]\nfn a_quick() { quick() }\n\
         #[test]\nfn b_hangs() {\n\
             IN_FLIGHT.fetch_add(1, Ordering::SeqCst);\n\
             std::thread::sleep(Duration::from_millis(100));\n\
             let alone = std::env::args().any(|a| a == \"--exact\");\n\
             if IN_FLIGHT.load(Ordering::SeqCst) > 1 || alone || std::env::var_os(\"HANG_ALWAYS\").is_some() {\n\
                 loop { std::thread::sleep(Duration::from_secs(1)); }\n\
             }\n\
             IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);\n\
         }\n\
         #[test]\nfn c_quick() { quick() }\n\
         #[test]\nfn d_quick() { quick() }\n",
    )
    .expect("tests/hang.rs");
    dir.join("Cargo.toml")
}

/// A test that never returns is named at the timeout under each model that ran it: under threads (libtest
/// announces a test only with its outcome) as the test libtest had started and not finished, under
/// processes as the one process of the launcher still running, under sequential as the test libtest
/// announced; nothing of the runs outlives the profile.
#[test]
fn a_hanging_test_is_named_at_the_timeout() {
    let _g = exclusive();
    let manifest = hanging_tests_crate();
    let marker = marker("hanging-test");
    let run = |hang_always: bool| {
        let mut c = concur();
        c.arg("profile")
            .arg("--manifest-path")
            .arg(&manifest)
            .args(["--workload", "test:hang", "--no-perf", "--workers", "2"])
            .args(["--runs", "1", "--timeout", "3", "--format", "json"])
            .env("CONCUR_FAULTS_MARKER", &marker)
            .stdin(Stdio::null());
        if hang_always {
            c.env("HANG_ALWAYS", "1");
        }
        let out = c.output().expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(3), "{stderr}");
        let doc: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}); stderr: {stderr}"));
        errors(&doc, "test:hang")
            .into_iter()
            .cloned()
            .collect::<Vec<Value>>()
    };
    let es = run(false);
    let timeouts: Vec<(String, &Value)> = es
        .iter()
        .filter(|e| e["kind"] == "timeout")
        .map(|e| (e["model"].as_str().unwrap_or_default().to_string(), e))
        .collect();
    let models: Vec<&str> = timeouts.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(models, ["threads", "processes"], "{es:?}");
    for (_, e) in &timeouts {
        assert_eq!(e["running_tests"], serde_json::json!(["b_hangs"]), "{e}");
        assert!(message_ends(e, "; test b_hangs was still running"), "{e}");
    }
    let es = run(true);
    assert_eq!(
        es.len(),
        1,
        "after the sequential timeout nothing else runs: {es:?}"
    );
    assert_eq!(
        (&es[0]["kind"], &es[0]["model"], &es[0]["running_tests"]),
        (
            &Value::from("timeout"),
            &Value::from("sequential"),
            &serde_json::json!(["b_hangs"])
        ),
        "{es:?}"
    );
    std::thread::sleep(Duration::from_millis(300));
    let left = marked_processes(&marker);
    assert!(left.is_empty(), "processes outlived the profile: {left:?}");
}
