//! Python workloads for real: `fixtures/python-ext` (a PyO3 crate) is built with maturin into the private
//! virtual environment under its target directory (maturin from PyPI on first use, pyo3 from crates.io), its
//! workloads are run on `ThreadPoolExecutor` and `ProcessPoolExecutor` (spawn), and the verdicts must be the
//! ones its source makes right by construction. Ignored by default (downloads); `.ci/run` runs it:
//! `cargo test --test it python_ext -- --ignored`.

use std::path::PathBuf;

use serde_json::Value;

fn manifest() -> PathBuf {
    crate::fixture("python-ext").join("Cargo.toml")
}

/// One `profile` (kept as JSON) and the `report` read from it: both documents of one measurement.
fn profile_and_report() -> (Value, Value, String) {
    let saved = crate::fixture("python-ext")
        .join("target")
        .join("concur-it-profile.json");
    let out = crate::concur()
        .args(["concur", "profile", "--manifest-path"])
        .arg(manifest())
        .args([
            "--no-tests",
            "--workers",
            "2",
            "--runs",
            "3",
            "--timeout",
            "60",
        ])
        .args(["--format", "json", "--output"])
        .arg(&saved)
        .output()
        .expect("run cargo-concur profile");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "profile failed: {stderr}");
    let text = std::fs::read_to_string(&saved).expect("profile written");
    let report = crate::concur()
        .args(["concur", "report", "--manifest-path"])
        .arg(manifest())
        .arg("--from")
        .arg(&saved)
        .args(["--format", "json"])
        .output()
        .expect("run cargo-concur report");
    let _ = std::fs::remove_file(&saved);
    assert_eq!(
        report.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&report.stderr)
    );
    let profile: Value = serde_json::from_str(&text).expect("profile JSON");
    let report: Value = serde_json::from_slice(&report.stdout).expect("report JSON");
    (profile, report, stderr)
}

/// The verdicts the fixture's source makes right (see its `src/lib.rs`).
const EXPECTED: [(&str, &str); 5] = [
    ("hash_held", "processes"),
    ("hash_released", "threads"),
    ("read_held", "processes"),
    ("shared_input", "threads"),
    ("tiny_held", "sequential"),
];

/// Checks that do not depend on timings: what was measured and how it was run.
fn check_measurements(profile: &Value, stderr: &str) {
    assert!(
        stderr.contains("maturin develop --release"),
        "the extension is built with maturin: {stderr}"
    );
    let workloads = profile["workloads"].as_array().expect("workloads");
    assert_eq!(workloads.len(), EXPECTED.len());
    for w in workloads {
        let name = w["name"].as_str().unwrap_or_default();
        assert_eq!(w["kind"], "python", "{name}");
        let py = &w["python"];
        assert_eq!(py["start_method"], "spawn", "{name}");
        assert_eq!(py["module"], "python_ext", "{name}");
        assert!(
            py["version"].as_str().is_some_and(|v| v.starts_with('3')),
            "{name}"
        );
        assert!(py["gil_enabled"].is_boolean(), "{name}");
        assert_eq!(
            w["errors"].as_array().map(Vec::len),
            Some(0),
            "{name}: {}",
            w["errors"]
        );
        let runs = w["runs"].as_array().expect("runs");
        for model in ["sequential", "threads", "processes"] {
            let run = runs
                .iter()
                .find(|r| r["model"] == model)
                .unwrap_or_else(|| panic!("{name} {model}"));
            assert_eq!(run["results_match_sequential"], true, "{name} {model}");
            assert!(run["samples"].as_u64().unwrap_or(0) >= 3, "{name} {model}");
            assert!(
                run["cpu_ns"]["median"].as_u64().unwrap_or(0) > 0,
                "{name} {model}"
            );
            let pool = run["pool_start_ns"].as_u64().unwrap_or(0);
            let pickled = run["pickled_bytes_per_job"].as_u64().unwrap_or(0);
            match model {
                "sequential" => assert_eq!((pool, pickled), (0, 0), "{name}"),
                "threads" => assert!(pool > 0 && pickled == 0, "{name}: {pool} {pickled}"),
                _ => {
                    assert!(pool > 0, "{name}: pool start-up measured");
                    if name == "shared_input" {
                        assert!(
                            pickled >= 16 << 20,
                            "{name}: the 16 MB input is pickled per job: {pickled}"
                        );
                    } else {
                        assert!(
                            (1..100).contains(&pickled),
                            "{name}: only the job id is pickled: {pickled}"
                        );
                    }
                }
            }
        }
    }
}

/// The timing-dependent part: every verdict, and threads only where the GIL is released.
fn check_verdicts(report: &Value) -> Result<(), String> {
    let workloads = report["workloads"].as_array().ok_or("no workloads")?;
    let mut problems = Vec::new();
    for (name, want) in EXPECTED {
        let w = workloads
            .iter()
            .find(|w| w["name"] == name)
            .ok_or(format!("no {name}"))?;
        let got = w["recommendation"]["model"].as_str().unwrap_or_default();
        let reasons: Vec<&str> = w["recommendation"]["reasons"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let all = reasons.join(" | ");
        if got != want {
            problems.push(format!("{name}: {got}, expected {want}: {all}"));
        }
        let held = all.contains("the GIL is held");
        if got == "threads" && held {
            problems.push(format!("{name}: threads although the GIL is held: {all}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// Checks on the reasons that hold whatever the timings.
fn check_reasons(report: &Value) {
    let reasons = |name: &str| -> String {
        report["workloads"]
            .as_array()
            .and_then(|ws| ws.iter().find(|w| w["name"] == name))
            .map(|w| w["recommendation"]["reasons"].to_string())
            .unwrap_or_default()
    };
    let held = reasons("hash_held");
    // The line of the held call, from the fixture's own marker.
    let source =
        std::fs::read_to_string(crate::fixture("python-ext").join("src/lib.rs")).expect("lib.rs");
    let line = source
        .lines()
        .position(|l| l.contains("mix(job, rounds) // expect: gil-held"))
        .expect("marker")
        + 1;
    assert!(
        held.contains(&format!("src/lib.rs:{line}, via hash_held → mix")),
        "{held}"
    );
    assert!(held.contains("spawn start method"), "{held}");
    let read = reasons("read_held");
    assert!(
        read.contains("blocks on I/O (`std::fs::read`) while holding the GIL"),
        "{read}"
    );
    let released = reasons("hash_released");
    assert!(
        released.contains("the GIL is released on the path"),
        "{released}"
    );
    assert!(
        reasons("shared_input").contains("16.0 MB pickled per job"),
        "{}",
        reasons("shared_input")
    );
}

/// Measured on a shared machine: a busy neighbour can turn a speedup into a tie, so the measurement is taken
/// again (up to 3 times) when a verdict is off; every verdict must hold in one run.
#[test]
#[ignore]
fn python_ext_verdicts_follow_the_gil() {
    let _g = crate::exclusive();
    let mut failures = Vec::new();
    for attempt in 1..=3 {
        let (profile, report, stderr) = profile_and_report();
        check_measurements(&profile, &stderr);
        check_reasons(&report);
        match check_verdicts(&report) {
            Ok(()) => return,
            Err(e) => {
                eprintln!("attempt {attempt}: {e}");
                failures.push(e);
            }
        }
    }
    panic!("no run gave every right verdict:\n{}", failures.join("\n"));
}

#[test]
fn python_workload_declarations_are_checked_before_anything_is_built() {
    let _g = crate::shared();
    let dir = crate::root().join("target").join("it-python-bad");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).expect("dir");
    std::fs::write(dir.join("src/lib.rs"), "pub fn f() {}\n").expect("lib");
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"bad\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n\n\
         [[package.metadata.concur.python-workload]]\nname = \"x\"\nmodule = \"bad\"\ncall = \"m.f(job)\"\n\
         pass = \"copy\"\nsetup = \"1\"\njobs = 2\n",
    )
    .expect("manifest");
    let out = crate::concur()
        .args(["concur", "profile", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .arg("--no-tests")
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("pass = \"copy\""), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    // A valid declaration with an interpreter that does not exist: a usage error, nothing built.
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).expect("manifest");
    std::fs::write(dir.join("Cargo.toml"), manifest.replace("copy", "shared")).expect("manifest");
    let out = crate::concur()
        .args(["concur", "profile", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .args(["--no-tests", "--python", "/nonexistent/python3"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let built = dir.join("target").join("concur").join("python").exists();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--python /nonexistent/python3: no such interpreter"),
        "{stderr}"
    );
    assert!(!built, "no environment made for a missing interpreter");
}

/// The runner script on its own, with a standard-library module as the "extension" (no build, no download):
/// every model gives the same digests, pools report their start-up, `pass = "pickle"` pickles the input to
/// every job, and a failing job or a missing module is a one-line error naming it.
#[test]
fn runner_script_runs_every_model_with_the_same_results() {
    let _g = crate::shared();
    let Some(python) = ["python3", "python"].into_iter().find(|p| {
        std::process::Command::new(p)
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success())
    }) else {
        panic!("a Python 3 interpreter on PATH is needed (see .ci/run)");
    };
    let dir = crate::root().join("target").join("it-python-runner");
    std::fs::create_dir_all(&dir).expect("dir");
    let script = crate::root().join("src/profile/python_runner.py");
    let run_with =
        |name: &str, spec: Value, model: &str, workers: usize, extra: &[&str]| -> (i32, Value) {
            let path = dir.join(format!("{name}.json"));
            std::fs::write(&path, spec.to_string()).expect("spec");
            let out = std::process::Command::new(python)
                .arg(&script)
                .arg(&path)
                .arg(model)
                .arg(workers.to_string())
                .args(extra)
                .output()
                .expect("run the runner");
            let line = String::from_utf8_lossy(&out.stdout);
            let doc = serde_json::from_str(line.trim()).unwrap_or_else(|e| {
                panic!(
                    "{model}: not one JSON line ({e}): {line} {}",
                    String::from_utf8_lossy(&out.stderr)
                )
            });
            (out.status.code().unwrap_or(-1), doc)
        };
    let run = |name: &str, spec: Value, model: &str, workers: usize| {
        run_with(name, spec, model, workers, &[])
    };
    let spec = |pass: &str| {
        serde_json::json!({"module": "hashlib", "call": "m.sha256(data + bytes([job])).hexdigest()",
                           "setup": "bytes(100_000)", "pass": pass, "jobs": 6})
    };
    let (code, seq) = run("shared", spec("shared"), "sequential", 1);
    assert_eq!(code, 0, "{seq}");
    let digest = seq["digest"].as_str().expect("digest").to_string();
    assert_eq!(digest.len(), 16);
    assert_eq!(seq["job_ns"].as_array().map(Vec::len), Some(6));
    let job_digests = seq["job_digests"].clone();
    assert_eq!(job_digests.as_array().map(Vec::len), Some(6));
    let (_, reversed) = run_with(
        "shared",
        spec("shared"),
        "sequential",
        1,
        &["--order", "reverse"],
    );
    assert_eq!(reversed["digest"].as_str(), Some(digest.as_str()));
    assert_eq!(
        reversed["job_digests"], job_digests,
        "per-job digests are by job id, whatever the order"
    );
    assert!(
        seq["gil_enabled"].is_boolean()
            && seq["python"].as_str().is_some_and(|v| v.starts_with('3'))
    );
    for (pass, model) in [
        ("shared", "threads"),
        ("shared", "processes"),
        ("pickle", "processes"),
    ] {
        let (code, doc) = run(pass, spec(pass), model, 2);
        assert_eq!(code, 0, "{pass} {model}: {doc}");
        assert_eq!(
            doc["digest"].as_str(),
            Some(digest.as_str()),
            "{pass} {model}"
        );
        assert!(
            doc["pool_start_ns"].as_u64().unwrap_or(0) > 0,
            "{pass} {model}: {doc}"
        );
        let pickled = doc["pickled_bytes_per_job"].as_u64().unwrap_or(0);
        match (pass, model) {
            ("shared", "threads") => assert_eq!(pickled, 0),
            ("shared", _) => assert!((1..100).contains(&pickled), "{pickled}"),
            _ => assert!(
                pickled > 100_000,
                "the input goes with every job: {pickled}"
            ),
        }
        if model == "processes" {
            assert_eq!(doc["start_method"], "spawn");
            assert!(doc["workers_maxrss_kb"].as_u64().unwrap_or(0) > 0, "{doc}");
        }
    }
    let failing = serde_json::json!({"module": "math", "call": "1 / (job - 2)", "setup": null,
                                     "pass": "shared", "jobs": 4});
    for model in ["sequential", "threads", "processes"] {
        let (code, doc) = run("failing", failing.clone(), model, 2);
        assert_eq!(code, 1, "{model}");
        assert_eq!(doc["error"]["job"], 2, "{model}: {doc}");
        assert!(
            doc["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("ZeroDivisionError")),
            "{doc}"
        );
    }
    let missing = serde_json::json!({"module": "no_such_ext", "call": "1", "setup": null,
                                     "pass": "shared", "jobs": 1});
    let (code, doc) = run("missing", missing, "threads", 2);
    assert_eq!(code, 1);
    assert_eq!(doc["error"]["kind"], "invalid");
    assert!(
        doc["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("`no_such_ext`")),
        "{doc}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
