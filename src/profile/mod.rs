//! The runtime profiler: builds a harness per package, then measures each workload sequentially, on N
//! threads and on N worker processes through a [`driver::Driver`] (the harness, or libtest binaries), on
//! the schedule of `schedule.rs` (rounds, early stopping, budgets, order check, result comparison). Only
//! profile/ runs workloads to measure them; it never prints: progress and warnings are [`Event`]s.

pub mod counters;
pub mod doc;
pub mod driver;
pub mod harness;
pub mod launcher;
pub mod protocol;
pub mod python;
pub mod runner;
pub mod schedule;
pub mod settings;
pub mod summary;
pub mod tests_workload;

pub use settings::MeasureSettings;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use crate::error::{Error, Result};
use crate::profile::doc::{CounterTier, Environment, ProfileDoc, WorkloadProfile};
use crate::workload::{Declared, Project, TestTarget, TestWorkload};
use driver::{CargoEnv, Driver, HarnessDriver};
use runner::Runner;
use schedule::{Measured, Plan};

/// What `profile` reports while it works; the front shows it (`render::status::Profiling`).
#[derive(Debug)]
pub enum Event<'a> {
    /// From the workload listing: a questionable declaration, test targets being built.
    Workload(crate::workload::Event<'a>),
    /// Hardware counters are unavailable (why): measuring with rusage, plus software perf events at
    /// [`CounterTier::Software`].
    CountersFallback { tier: CounterTier, note: &'a str },
    /// This process could not become a child subreaper (not Linux, or `prctl` refused): a process that
    /// leaves a run's process group is neither seen nor killed.
    NoSubreaper,
    /// Async workloads are built against this tokio version (`from_lock`: the one in the user's Cargo.lock).
    UsingTokio { version: &'a str, from_lock: bool },
    /// The harness of a package is being built.
    BuildingHarness { package: &'a str },
    /// Building a harness printed this many compiler warnings of the package's own code.
    PackageWarnings { package: &'a str, count: usize },
    /// The private virtual environment for Python workloads is being made.
    CreatingVenv { version: &'a str, venv: &'a Path },
    /// maturin is being installed into it (first use).
    InstallingMaturin,
    /// A package is being built as a Python extension.
    BuildingExtension { package: &'a str },
    /// The interpreter runs with the GIL disabled.
    FreeThreaded { version: &'a str },
    /// The measurement of a workload (`package/name`) starts.
    Measuring { label: &'a str },
    /// Progress of its schedule.
    Schedule {
        label: &'a str,
        event: schedule::Event,
    },
    /// Done: what the schedule measured (its notes included).
    Profiled {
        label: &'a str,
        measured: &'a Measured,
    },
    /// Its runs left this many processes behind (outside their process group); the runner killed them.
    Escaped { label: &'a str, processes: usize },
}

/// Profiles the selected workloads of an already discovered project.
pub fn run_in(
    project: &Project,
    measure: &MeasureSettings,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<ProfileDoc> {
    let (declared, warnings) = crate::workload::declared(project)?;
    for w in &warnings {
        events(Event::Workload(crate::workload::Event::Warning(w)));
    }
    let python_declared = crate::workload::python::declared(project)?;
    for name in &measure.workloads {
        if TestTarget::requested(name).is_none()
            && !declared.iter().any(|d| &d.spec.name == name)
            && !python_declared.iter().any(|d| &d.spec.name == name)
        {
            let known: Vec<&str> = declared
                .iter()
                .map(|d| d.spec.name.as_str())
                .chain(python_declared.iter().map(|d| d.spec.name.as_str()))
                .collect();
            return Err(Error::usage(format!(
                "--workload {name}: no such workload (declared: {})",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )));
        }
    }
    let selected: Vec<&Declared> = declared
        .iter()
        .filter(|d| measure.workloads.is_empty() || measure.workloads.contains(&d.spec.name))
        .collect();
    let tests: Vec<TestWorkload> = if measure.tests {
        crate::workload::test_workloads(project, &measure.workloads, &mut |e| {
            events(Event::Workload(e))
        })?
    } else {
        Vec::new()
    };
    for name in &measure.workloads {
        let Some(target) = TestTarget::requested(name) else {
            continue;
        };
        if !tests.iter().any(|t| &t.spec.name == name) {
            return Err(Error::usage(format!(
                "--workload {name}: no test target `{target}` with tests in the selected packages{}",
                if measure.tests {
                    ""
                } else {
                    " (--no-tests was given)"
                }
            )));
        }
    }
    let python_selected: Vec<&crate::workload::python::PythonWorkload> = python_declared
        .iter()
        .filter(|d| measure.workloads.is_empty() || measure.workloads.contains(&d.spec.name))
        .collect();
    if selected.is_empty() && tests.is_empty() && python_selected.is_empty() {
        return Err(Error::usage(
            "no workloads to profile: declare [[package.metadata.concur.workload]] in Cargo.toml \
             (name, run, jobs) or add tests",
        ));
    }
    // Build every harness before measuring anything.
    let mut harnesses = BTreeMap::new();
    for package in &project.packages {
        if !selected.iter().any(|d| d.spec.package == package.name) {
            continue;
        }
        // Every declared workload of the package, not only the selected ones: the generated source then
        // stays the same from one selection to the next and cargo has nothing to rebuild.
        let mine: Vec<&Declared> = declared
            .iter()
            .filter(|d| d.spec.package == package.name)
            .collect();
        let h = harness::build(project, package, &mine, events)?;
        harnesses.insert(package.name.clone(), h);
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut runner = Runner::new(
        measure.counters,
        project.target_dir.join("concur").join("run"),
    )?;
    runner.set_memory_limit(measure.memory_limit);
    if !runner.subreaper {
        events(Event::NoSubreaper);
    }
    if let Some(note) = &runner.counters.note {
        events(Event::CountersFallback {
            tier: runner.counters.tier,
            note,
        });
    }
    runner::install_interrupt_handler();
    let started = Instant::now();
    let mut workloads = Vec::new();
    for d in &selected {
        let Some(h) = harnesses.get(&d.spec.package) else {
            continue;
        };
        let env = project
            .packages
            .iter()
            .find(|p| p.name == d.spec.package)
            .map(|p| {
                let mut vars = p.cargo_pkg_env.clone();
                vars.push(("CARGO_MANIFEST_DIR".into(), p.root.display().to_string()));
                CargoEnv {
                    cwd: p.root.clone(),
                    vars,
                }
            })
            .unwrap_or_default();
        let mut driver = HarnessDriver {
            executable: h.executable.clone(),
            workload: d.spec.name.clone(),
            env,
            runner: &mut runner,
            timeout: measure.timeout,
        };
        let plan = Plan {
            jobs: d.spec.jobs,
            is_async: d.run_async,
            ..plan_for(measure, cores, started)
        };
        let mut w = profile_one(&d.spec, &mut driver, &plan, events)?;
        w.is_async = d.run_async;
        w.run_resolved = Some(d.run_resolved.clone()).filter(|r| *r != d.run_path);
        w.setup_resolved = d
            .setup_resolved
            .clone()
            .filter(|s| Some(s) != d.setup_path.as_ref());
        workloads.push(w);
    }
    for t in &tests {
        let plan = Plan {
            jobs: t.spec.jobs,
            ..plan_for(measure, cores, started)
        };
        let p = tests_workload::profile(t, &mut runner, measure, &plan, events)?;
        workloads.push(p);
    }
    workloads.extend(python::profile_all(
        project,
        &python_selected,
        &mut runner,
        measure,
        &plan_for(measure, cores, started),
        events,
    )?);
    Ok(ProfileDoc {
        schema_version: crate::vocab::SCHEMA_VERSION,
        environment: Environment {
            cores,
            counters: runner.counters.tier,
            os: std::env::consts::OS.to_string(),
            kernel: kernel_release(),
            counters_note: runner.counters.note.clone(),
        },
        workloads,
    })
}

fn kernel_release() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".to_string())
}

/// The schedule's plan for the next workload: the settings, and what is left of the run's budget.
pub(crate) fn plan_for(measure: &MeasureSettings, cores: usize, started: Instant) -> Plan {
    Plan {
        sampling: measure.sampling.clone(),
        remaining: measure
            .total_budget
            .unwrap_or(schedule::REPORT_BUDGET)
            .saturating_sub(started.elapsed()),
        cores,
        jobs: 1,
        is_async: false,
    }
}

/// Profiles one workload through its driver, reporting its progress as [`Event`]s.
pub fn profile_one(
    spec: &crate::workload::WorkloadSpec,
    driver: &mut dyn Driver,
    plan: &Plan,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<WorkloadProfile> {
    let label = format!("{}/{}", spec.package, spec.name);
    events(Event::Measuring { label: &label });
    let clock = schedule::Wall(Instant::now());
    let m = schedule::run(driver, plan, &clock, &mut |event| {
        events(Event::Schedule {
            label: &label,
            event,
        })
    })?;
    events(Event::Profiled {
        label: &label,
        measured: &m,
    });
    let escaped = driver.take_escaped();
    if escaped > 0 {
        events(Event::Escaped {
            label: &label,
            processes: escaped,
        });
    }
    Ok(WorkloadProfile {
        name: spec.name.clone(),
        package: spec.package.clone(),
        jobs: spec.jobs,
        runs: m.runs,
        errors: m.errors,
        kind: spec.kind,
        setup: spec.setup.clone(),
        run: spec.run.clone(),
        profiling_ns: m.profiling_ns,
        warmup_ns: m.warmup_ns,
        measured_ns: m.measured_ns,
        rounds: m.rounds,
        io_bound: m.io_bound,
        budget_ns: m.budget_ns,
        order_checked: m.order_checked,
        schedule_notes: m.notes,
        skipped: m.skipped,
        run_resolved: None,
        setup_resolved: None,
        is_async: false,
        python: None,
    })
}
