//! `profile`, `report` and `workloads` on `fixtures/realtests`, whose tests pass only when run as cargo
//! runs them: the package root as current directory, `CARGO_MANIFEST_DIR`/`CARGO_PKG_*` at run time, a
//! `should_panic` and an ignored test; a failing test target; a test target that changes the current
//! directory; sibling statics; and a declared workload whose results depend on job order.

use std::path::PathBuf;

use serde_json::Value;

use crate::{concur, fixture, shared};

fn manifest() -> PathBuf {
    fixture("realtests").join("Cargo.toml")
}

/// Runs `verb --format json` with `args` (one round at ×2, rusage only); returns (exit code, doc, stderr).
fn run_json(verb: &str, args: &[&str]) -> (i32, Value, String) {
    let out = concur()
        .arg(verb)
        .arg("--manifest-path")
        .arg(manifest())
        .args([
            "--workers",
            "2",
            "--runs",
            "1",
            "--no-perf",
            "--format",
            "json",
        ])
        .args(args)
        .output()
        .expect("run cargo-concur");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}); stderr: {stderr}"));
    (out.status.code().unwrap_or(-1), doc, stderr)
}

fn workload<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["workloads"]
        .as_array()
        .and_then(|ws| ws.iter().find(|w| w["name"] == name))
        .unwrap_or_else(|| panic!("no workload {name} in {doc}"))
}

fn codes(w: &Value) -> Vec<String> {
    w["recommendation"]["reason_codes"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| c.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn reasons(w: &Value) -> String {
    w["recommendation"]["reasons"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

#[test]
fn tests_run_from_the_package_root_with_cargo_s_environment() {
    let _g = shared();
    let (code, doc, stderr) = run_json("profile", &["--workload", "test:cargo_env"]);
    assert_eq!(code, 0, "{stderr}");
    let w = workload(&doc, "test:cargo_env");
    assert_eq!(w["errors"], Value::Array(Vec::new()), "{w}");
    // Six tests, the ignored one included (it stays ignored in every model).
    assert_eq!(w["jobs"], 6);
    for (model, workers) in [("sequential", 1), ("threads", 2), ("processes", 2)] {
        let r = w["runs"]
            .as_array()
            .and_then(|rs| {
                rs.iter()
                    .find(|r| r["model"] == model && r["workers"] == workers)
            })
            .unwrap_or_else(|| panic!("{model} x{workers} missing: {w}"));
        // `should panic` printed two ways by libtest still compares equal.
        assert_eq!(r["results_match_sequential"], true, "{model}: {r}");
    }
    // libtest's threads ×1 is the sequential command: never measured as if it were another model.
    assert!(!w["runs"].as_array().is_some_and(|rs| rs
        .iter()
        .any(|r| r["model"] == "threads" && r["workers"] == 1)));
}

#[test]
fn a_failing_test_is_a_workload_failure_with_its_name_and_output() {
    let _g = shared();
    let (code, doc, stderr) = run_json("report", &["--workload", "test:failing"]);
    assert_eq!(code, 3, "{stderr}");
    let w = workload(&doc, "test:failing");
    assert_eq!(w["failed"], true, "{w}");
    assert_eq!(
        codes(w).first().map(String::as_str),
        Some("workload-failed")
    );
    let r = reasons(w);
    assert!(r.contains("test-failed"), "{r}");
    assert!(
        r.contains("1 of 2 tests failed: fails_with_a_message"),
        "{r}"
    );
    assert!(r.contains("arithmetic is broken"), "{r}");
}

#[test]
fn results_that_depend_on_job_order_rule_out_parallel_models_with_the_global_and_the_fix() {
    let _g = shared();
    let (code, doc, stderr) = run_json("report", &["--workload", "carried"]);
    assert_eq!(code, 3, "order dependence is a workload failure: {stderr}");
    let w = workload(&doc, "carried");
    assert_eq!(w["recommendation"]["model"], "sequential", "{w}");
    assert_eq!(w["failed"], false);
    let c = codes(w);
    assert_eq!(
        c.first().map(String::as_str),
        Some("order-dependent"),
        "{c:?}"
    );
    assert!(c.contains(&"carried-state".to_string()), "{c:?}");
    let r = reasons(w);
    assert!(r.contains("`TAKEN`") && r.contains("src/lib.rs:11"), "{r}");
    assert!(r.contains("derive it from the job id"), "{r}");
    let advice = w["recommendation"]["refactors"].to_string();
    assert!(
        advice.contains("derive this state from the job id"),
        "{advice}"
    );
}

#[test]
fn a_test_target_s_verdict_names_its_own_process_global_mutation_and_nothing_of_its_siblings() {
    let _g = shared();
    let (code, doc, stderr) = run_json(
        "report",
        &["--workload", "test:cwd", "--workload", "test:cargo_env"],
    );
    assert_eq!(code, 0, "{stderr}");
    let cwd = workload(&doc, "test:cwd");
    assert!(codes(cwd).contains(&"process-global".to_string()), "{cwd}");
    assert_ne!(cwd["recommendation"]["model"], "threads", "{cwd}");
    let r = reasons(cwd);
    assert!(
        r.contains("tests/cwd.rs:7") && r.contains("set_current_dir"),
        "{r}"
    );
    for w in [cwd, workload(&doc, "test:cargo_env")] {
        let all = format!("{}{}", reasons(w), w["recommendation"]["refactors"]);
        for foreign in [
            "SIBLING_CACHE",
            "EXAMPLE_STATE",
            "tests/sibling.rs",
            "examples/demo.rs",
        ] {
            assert!(!all.contains(foreign), "{}: {foreign} in {all}", w["name"]);
        }
    }
    let env = workload(&doc, "test:cargo_env");
    assert!(!codes(env).contains(&"process-global".to_string()), "{env}");
}

#[test]
fn workloads_lists_test_targets_without_building_and_names_unit_tests_apart() {
    let _g = shared();
    let target = std::env::temp_dir().join(format!("concur-list-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&target);
    let out = concur()
        .args(["workloads", "--format", "json", "--manifest-path"])
        .arg(manifest())
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !target.exists(),
        "workloads built something in {}",
        target.display()
    );
    let list: Value = serde_json::from_slice(&out.stdout).expect("json");
    let names: Vec<&str> = list
        .as_array()
        .map(|a| a.iter().filter_map(|w| w["name"].as_str()).collect())
        .unwrap_or_default();
    for want in [
        "carried",
        "reexported",
        "test:lib:realtests",
        "test:bin:realtests-cli",
        "test:cargo_env",
        "test:cwd",
        "test:failing",
        "test:sibling",
    ] {
        assert!(names.contains(&want), "{want} not in {names:?}");
    }
    let lib = list
        .as_array()
        .and_then(|a| a.iter().find(|w| w["name"] == "test:lib:realtests"))
        .expect("lib unit tests");
    assert_eq!(lib["declared_in"], "library unit tests of realtests");
}

#[test]
fn a_pub_use_re_export_is_followed_to_the_function_the_analysis_knows() {
    let _g = shared();
    let (code, doc, stderr) = run_json("profile", &["--workload", "reexported", "--no-tests"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("does not follow"), "{stderr}");
    let w = workload(&doc, "reexported");
    assert_eq!(w["run"], "realtests::reexported_job");
    assert_eq!(w["run_resolved"], "realtests::inner::job");
}
