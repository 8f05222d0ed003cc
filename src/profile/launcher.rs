//! The processes model of test binaries: cargo-concur re-executed as `cargo-concur __concur-run-tests N LIST
//! BINARY` starts one process per test (`BINARY --exact NAME --test-threads 1`), N at a time, directly (no
//! shell), in the directory and environment it was given, and prints each test's outcome as libtest does
//! (`test NAME ... ok`) once that process ended, then the failures' output. It is measured as one process
//! tree by the runner, which kills the whole group on timeout.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The hidden verb `main` dispatches here before parsing the command line.
pub const VERB: &str = "__concur-run-tests";

/// Runs the launcher with the arguments after the verb; returns the exit code (0: every test passed).
pub fn main(args: &[String]) -> i32 {
    let (Some(workers), Some(list), Some(exe)) = (
        args.first().and_then(|n| n.parse::<usize>().ok()),
        args.get(1),
        args.get(2),
    ) else {
        eprintln!("usage: cargo-concur {VERB} WORKERS LIST-FILE TEST-BINARY");
        return 2;
    };
    let tests: Vec<String> = match std::fs::read_to_string(list) {
        Ok(t) => t
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
        Err(e) => {
            eprintln!("cannot read {list}: {e}");
            return 2;
        }
    };
    let failures = run_all(Path::new(exe), &tests, workers.max(1));
    let mut out = std::io::stdout().lock();
    if !failures.is_empty() {
        let _ = writeln!(out, "\nfailures:\n");
        for (name, output) in &failures {
            let _ = writeln!(out, "---- {name} ----\n{}", output.trim_end());
        }
        let _ = writeln!(out, "\ntest result: FAILED. {} failed", failures.len());
        return 101;
    }
    0
}

/// Runs every test in its own process, `workers` at a time; prints outcomes as they end and returns the
/// failed tests with their output.
fn run_all(exe: &Path, tests: &[String], workers: usize) -> Vec<(String, String)> {
    let next = AtomicUsize::new(0);
    let failures: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..workers.min(tests.len()).max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(name) = tests.get(i) else { break };
                {
                    // Named before it starts, so a timeout can say which tests were running.
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(out, "{}{name}", super::protocol::TEST_STARTED_MARKER);
                    let _ = out.flush();
                }
                let (outcome, output) = run_one(exe, name);
                {
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(out, "test {name} ... {outcome}");
                    let _ = out.flush();
                }
                if outcome == "FAILED" {
                    failures
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((name.clone(), output));
                }
            });
        }
    });
    let mut v = failures.into_inner().unwrap_or_else(|e| e.into_inner());
    v.sort();
    v
}

/// One test in its own process: its outcome as libtest printed it (normalised), and its output.
fn run_one(exe: &Path, name: &str) -> (String, String) {
    let out = Command::new(exe)
        .args(["--exact", name, "--test-threads", "1"])
        .stdin(Stdio::null())
        .output();
    let Ok(out) = out else {
        return ("FAILED".into(), format!("cannot start {}", exe.display()));
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let printed = stdout
        .lines()
        .filter_map(super::driver::test_outcome)
        .find(|(n, _)| n == name)
        .map(|(_, o)| o);
    let outcome = match printed {
        // Printed `ok` but the process failed afterwards (a crash at exit): a failure.
        Some(o) if o == "ok" && !out.status.success() => "FAILED".to_string(),
        Some(o) => o,
        // No line for this test (not found, or killed before it printed): a failure.
        None => "FAILED".to_string(),
    };
    let output = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    (outcome, output)
}
