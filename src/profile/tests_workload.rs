//! libtest binaries as workloads, run as cargo runs them: from the package root, with `CARGO_MANIFEST_DIR`,
//! `CARGO_PKG_*`, `CARGO_CRATE_NAME`, `CARGO_BIN_EXE_<name>` and `CARGO` set. Sequential is
//! `--test-threads 1`, threads is `--test-threads N`, processes is one process per test (`--exact NAME`),
//! N at a time, started directly by cargo-concur's launcher (`launcher.rs`, no shell). Results compare each
//! test's pass/fail outcome ([`super::driver::test_outcomes`]).

use super::driver::{CargoEnv, LibtestDriver};
use super::runner::Runner;
use super::schedule::Plan;
use super::{Event, MeasureSettings};
use crate::error::{Error, Result};
use crate::profile::doc::WorkloadProfile;
use crate::workload::TestWorkload;

/// The environment cargo gives this test binary.
pub fn cargo_env(t: &TestWorkload) -> CargoEnv {
    let mut vars = t.cargo_pkg_env.clone();
    vars.push((
        "CARGO_MANIFEST_DIR".into(),
        t.package_root.display().to_string(),
    ));
    vars.push((
        "CARGO_MANIFEST_PATH".into(),
        t.manifest_path.display().to_string(),
    ));
    vars.push(("CARGO_CRATE_NAME".into(), t.target.name.replace('-', "_")));
    vars.push((
        "CARGO".into(),
        crate::workload::project::cargo()
            .to_string_lossy()
            .into_owned(),
    ));
    for (bin, exe) in &t.bins {
        vars.push((format!("CARGO_BIN_EXE_{bin}"), exe.display().to_string()));
    }
    CargoEnv {
        cwd: t.package_root.clone(),
        vars,
    }
}

/// Profiles one test binary.
pub fn profile(
    t: &TestWorkload,
    runner: &mut Runner,
    measure: &MeasureSettings,
    plan: &Plan,
    events: &mut dyn FnMut(Event<'_>),
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
    let mut driver = LibtestDriver {
        executable: t.executable.clone(),
        list_file: list.clone(),
        tests: t.tests.clone(),
        env: cargo_env(t),
        runner,
        timeout: measure.timeout,
    };
    let profiled = super::profile_one(&t.spec, &mut driver, plan, events);
    let _ = std::fs::remove_file(&list);
    profiled
}
