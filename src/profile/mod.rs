//! The runtime profiler: builds a harness per package, then measures each workload sequentially, on N
//! threads and on N worker processes through a [`driver::Driver`] (the harness, or libtest binaries), on
//! the schedule of `schedule.rs` (rounds, early stopping, budgets, order check, result comparison). Only
//! profile/ spawns workload processes.

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
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use crate::discover::PackageSelection;
use crate::error::{Error, Result};
use crate::profile::doc::{Environment, ProfileDoc, WorkloadProfile};
use crate::workload::{Declared, Project, TestWorkload};
use driver::{CargoEnv, Driver, HarnessDriver};
use runner::Runner;
use schedule::{Event, Plan};

/// Below this CPU/wall ratio in the sequential run a workload counts as I/O-bound (the one definition).
pub const IO_BOUND_RATIO: f64 = schedule::IO_BOUND_CPU_SHARE;

/// `cargo concur profile`: the workloads of the selected packages, built with the selected features.
pub fn run(
    selection: &PackageSelection,
    features: &crate::discover::scope::FeatureSelection,
    measure: &MeasureSettings,
) -> Result<ProfileDoc> {
    run_in(&Project::load(selection, features)?, measure)
}

/// Profiles the selected workloads of an already discovered project.
pub fn run_in(project: &Project, measure: &MeasureSettings) -> Result<ProfileDoc> {
    let (declared, warnings) = crate::workload::declared(project)?;
    for w in &warnings {
        crate::render::status::warning(w);
    }
    let python_declared = crate::workload::python::declared(project)?;
    for name in &measure.workloads {
        if !name.starts_with("test:")
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
            crate::render::status::workload(e)
        })?
    } else {
        Vec::new()
    };
    for name in measure.workloads.iter().filter(|n| n.starts_with("test:")) {
        if !tests.iter().any(|t| &t.spec.name == name) {
            return Err(Error::usage(format!(
                "--workload {name}: no test target `{}` with tests in the selected packages{}",
                &name["test:".len()..],
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
        let h = harness::build(project, package, &mine)?;
        harnesses.insert(package.name.clone(), h);
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut runner = Runner::new(measure.perf, project.target_dir.join("concur").join("run"))?;
    runner.set_memory_limit(measure.memory_limit);
    if let Some(note) = &runner.counters.note {
        crate::render::status::warning(&format!(
            "measuring with rusage{}: {note}",
            if runner.counters.tier == crate::profile::doc::CounterTier::Software {
                " and software perf events only"
            } else {
                " only"
            }
        ));
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
        let mut w = profile_one(&d.spec, &mut driver, &plan)?;
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
        let p = tests_workload::profile(t, &mut runner, measure, &plan)?;
        workloads.push(p);
    }
    workloads.extend(python::profile_all(
        project,
        &python_selected,
        &mut runner,
        measure,
        &plan_for(measure, cores, started),
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
        workers: measure.workers.clone(),
        runs: measure.runs,
        min_rounds: measure.min_rounds,
        budget: measure.budget,
        remaining: measure
            .total_budget
            .unwrap_or(schedule::REPORT_BUDGET)
            .saturating_sub(started.elapsed()),
        cores,
        jobs: 1,
        is_async: false,
    }
}

/// Profiles one workload through its driver, showing progress on stderr.
pub fn profile_one(
    spec: &crate::workload::WorkloadSpec,
    driver: &mut dyn Driver,
    plan: &Plan,
) -> Result<WorkloadProfile> {
    let label = format!("{}/{}", spec.package, spec.name);
    let mut progress = Progress::new(&label);
    let clock = schedule::Wall(Instant::now());
    let m = schedule::run(driver, plan, &clock, &mut |e| progress.show(&e))?;
    progress.finish();
    let n_samples: usize = m.runs.iter().map(|r| r.samples).sum();
    crate::render::status::progress(
        "Profiled",
        &format!(
            "{label} in {:.1} s: warm-up {:.1} s, {n_samples} samples in {} rounds {:.1} s, other {:.1} s \
             (budget {:.0} s)",
            m.profiling_ns as f64 / 1e9,
            m.warmup_ns as f64 / 1e9,
            m.rounds,
            m.measured_ns as f64 / 1e9,
            m.profiling_ns.saturating_sub(m.warmup_ns + m.measured_ns) as f64 / 1e9,
            m.budget_ns as f64 / 1e9
        ),
    );
    for note in &m.notes {
        crate::render::status::warning(&format!("{label}: {note}"));
    }
    Ok(WorkloadProfile {
        name: spec.name.clone(),
        package: spec.package.clone(),
        jobs: spec.jobs,
        runs: m.runs,
        errors: m.errors,
        kind: spec.kind.clone(),
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
        run_resolved: None,
        setup_resolved: None,
        is_async: false,
        python: None,
    })
}

/// Interval between progress lines when stderr is not a terminal.
const PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// Progress of one workload: a bar on a terminal, a line every [`PROGRESS_EVERY`] otherwise, both with
/// the estimated time left.
struct Progress {
    label: String,
    bar: Option<indicatif::ProgressBar>,
    last_line: Instant,
}

impl Progress {
    fn new(label: &str) -> Progress {
        let bar = progress_bar();
        if bar.is_none() {
            crate::render::status::progress("Profiling", label);
        }
        Progress {
            label: label.to_string(),
            bar,
            last_line: Instant::now(),
        }
    }

    fn show(&mut self, e: &Event) {
        let text = match e {
            Event::WarmUp => format!("{}: warm-up", self.label),
            Event::Sample {
                model,
                workers,
                round,
                rounds,
                done,
                total,
                left,
            } => format!(
                "{}: {} x{workers}, round {round}/{rounds}, {done}/{total} runs, about {} left",
                self.label,
                model.as_str(),
                eta(*left)
            ),
        };
        match &self.bar {
            Some(b) => {
                if let Event::Sample { done, total, .. } = e {
                    b.set_length(*total as u64);
                    b.set_position(*done as u64);
                }
                b.set_message(text);
                b.tick();
            }
            None => {
                if self.last_line.elapsed() >= PROGRESS_EVERY {
                    crate::render::status::progress("Profiling", &text);
                    self.last_line = Instant::now();
                }
            }
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// `45 s`, `3 min 10 s`
fn eta(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 60 {
        format!("{} min {} s", s / 60, s % 60)
    } else {
        format!("{s} s")
    }
}

fn progress_bar() -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    // No steady tick: a ticking thread would be counted by the inherited perf counters.
    let bar = indicatif::ProgressBar::new(0);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:30} {msg}") {
        bar.set_style(style);
    }
    Some(bar)
}
