//! libtest binaries as workloads: sequential is `--test-threads 1`, threads is `--test-threads N`, processes
//! is one process per test (`--exact NAME`), N at a time, as cargo-nextest runs them (through `xargs -P`).
//! The processes model needs `xargs` and `sh` (POSIX) on PATH.
//! Results compare the pass/fail outcome of every test.

use std::process::Command;

use super::runner::Runner;
use super::MeasureSettings;
use super::{profile_one, Interpret};
use crate::error::{Error, Result};
use crate::profile::doc::{RunKey, WorkloadProfile};
use crate::vocab::Model;
use crate::workload::TestWorkload;

/// Profiles one test binary.
pub fn profile(
    t: &TestWorkload,
    runner: &mut Runner,
    measure: &MeasureSettings,
    cores: usize,
) -> Result<WorkloadProfile> {
    let list_dir = t
        .executable
        .parent()
        .map(|p| p.join("concur-test-lists"))
        .unwrap_or_default();
    std::fs::create_dir_all(&list_dir)
        .map_err(|e| Error::internal(format!("cannot create {}: {e}", list_dir.display())))?;
    let list = list_dir.join(format!(
        "{}-{}.list",
        t.spec.name.replace([':', '/'], "_"),
        std::process::id()
    ));
    std::fs::write(&list, t.tests.join("\n") + "\n")
        .map_err(|e| Error::internal(format!("cannot write {}: {e}", list.display())))?;
    let exe = t.executable.clone();
    let list_file = list.clone();
    let mut command = move |key: &RunKey| match key.model {
        // Test binaries have no async runs; `Async` is never asked for.
        Model::Sequential | Model::Threads | Model::Async => {
            let mut c = Command::new(&exe);
            let n = if key.model == Model::Sequential {
                1
            } else {
                key.workers
            };
            c.args(["--test-threads", &n.to_string()]);
            c
        }
        Model::Processes => {
            // Each test's outcome is printed as one short line after its process ended: concurrent
            // processes would interleave libtest's own partial lines.
            let mut c = Command::new("xargs");
            c.arg("-a")
                .arg(&list_file)
                .args([
                    "-d",
                    "\n",
                    "-P",
                    &key.workers.to_string(),
                    "-I{}",
                    "sh",
                    "-c",
                ])
                .arg(
                    "if \"$0\" --exact \"$1\" --test-threads 1 >/dev/null 2>&1; \
                     then echo \"test $1 ... ok\"; else echo \"test $1 ... FAILED\"; fi",
                )
                .arg(&exe)
                .arg("{}");
            c
        }
    };
    let profiled = profile_one(
        &t.spec,
        false,
        &mut command,
        &Interpret::Libtest,
        runner,
        measure,
        cores,
    );
    let _ = std::fs::remove_file(&list);
    profiled
}

/// Digest over the sorted (test name, outcome) lines a libtest run printed; `None` when it printed none.
pub fn outcome_digest(stdout: &str) -> Option<String> {
    let mut outcomes: Vec<(&str, &str)> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("test "))
        .filter_map(|rest| rest.rsplit_once(" ... "))
        .map(|(name, outcome)| (name.trim(), outcome.trim()))
        .collect();
    if outcomes.is_empty() {
        return None;
    }
    outcomes.sort_unstable();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (name, outcome) in outcomes {
        for b in name
            .bytes()
            .chain([0])
            .chain(outcome.bytes())
            .chain([b'\n'])
        {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    Some(format!("{h:016x}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_ignores_order_and_sees_outcomes() {
        let a = "running 2 tests\ntest a::x ... ok\ntest b ... FAILED\n";
        let b = "test b ... FAILED\nnoise\ntest a::x ... ok\n";
        let c = "test b ... ok\ntest a::x ... ok\n";
        assert_eq!(outcome_digest(a), outcome_digest(b));
        assert_ne!(outcome_digest(a), outcome_digest(c));
        assert_eq!(outcome_digest("nothing here"), None);
    }
}
