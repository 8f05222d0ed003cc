//! Python workloads: a private virtual environment under the target directory (made from the interpreter on
//! PATH or `--python`), maturin installed into it from PyPI on first use and kept, the extension built into
//! it with `maturin develop --release`, and each (model, workers) run as one process of the runner script
//! (`python_runner.py`: sequential, `ThreadPoolExecutor`, `ProcessPoolExecutor` with the spawn start
//! method), which prints the same JSON line as the Rust harness plus pool start-up and pickled bytes. Each
//! run's processes mark the jobs they start and end on a job board (a file of one byte per job, mapped
//! shared), so a timeout names the jobs that were running whatever they were doing.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::MeasureSettings;
use crate::error::{Error, Result};
use crate::workload::python::PythonWorkload;
use crate::workload::{Project, ProjectPackage};

use super::doc::{AtTimeout, PythonRun, WorkloadProfile};
use super::driver::{harness_sample, timeout_error, Driver, RunResult, RunSpec};
use super::runner::Runner;
use super::schedule::Plan;
use super::{profile_one, Event};

/// Python workloads through the runner script: one process per (model, workers) run, its JSON line read as
/// the harness's; the jobs running at a timeout are read from the run's job board.
struct PythonDriver<'r> {
    python: PathBuf,
    script: PathBuf,
    spec: PathBuf,
    jobs: usize,
    /// The job board of this tool's runs (`board-<pid>.bin` next to the script), made afresh for each run
    /// and removed after it.
    board: PathBuf,
    runner: &'r mut Runner,
    timeout: std::time::Duration,
}

impl Driver for PythonDriver<'_> {
    fn run(&mut self, spec: RunSpec) -> Result<RunResult> {
        std::fs::write(&self.board, vec![0u8; self.jobs])
            .map_err(|e| Error::internal(format!("cannot write {}: {e}", self.board.display())))?;
        let mut c = Command::new(&self.python);
        c.arg(&self.script)
            .arg(&self.spec)
            .arg(spec.model.as_str())
            .arg(spec.workers.to_string())
            .arg("--board")
            .arg(&self.board)
            // Unbuffered, no bytecode files written next to the user's sources.
            .env("PYTHONUNBUFFERED", "1")
            .env("PYTHONDONTWRITEBYTECODE", "1");
        let ran = self.runner.run(c, self.timeout);
        let board = std::fs::read(&self.board).unwrap_or_default();
        let _ = std::fs::remove_file(&self.board);
        let o = ran?;
        if o.timed_out {
            let at = AtTimeout {
                running_jobs: jobs_on_board(&board, BOARD_STARTED),
                ..AtTimeout::default()
            };
            return Ok(Err(timeout_error(spec, self.timeout, at)));
        }
        Ok(harness_sample(&o, spec, self.timeout))
    }

    fn take_escaped(&mut self) -> usize {
        self.runner.take_escaped()
    }
}

/// A job's byte on the board while it runs (`STARTED` in the runner script; `ENDED`, 2, once it returned
/// or raised).
const BOARD_STARTED: u8 = 1;

/// The jobs whose byte on the board is `state`, in order.
fn jobs_on_board(board: &[u8], state: u8) -> Vec<usize> {
    board
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == state)
        .map(|(job, _)| job)
        .collect()
}

/// The runner script, written next to the virtual environment.
pub const RUNNER: &str = include_str!("python_runner.py");

/// The multiprocessing start method of the process pool (stated in every report).
pub const START_METHOD: &str = "spawn";

/// A ready virtual environment.
#[derive(Debug, Clone)]
pub struct PythonEnv {
    /// The interpreter it was made from.
    pub base: PathBuf,
    /// `<dir>/venv`
    pub venv: PathBuf,
    /// `<dir>/venv/bin/python`
    pub python: PathBuf,
    pub version: String,
    pub gil_enabled: bool,
    /// Where the runner script and workload specs are written.
    pub dir: PathBuf,
}

/// The interpreter: `--python` (must exist), else `python3` or `python` on PATH.
pub fn find_interpreter(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        if p.components().count() == 1 {
            if let Some(found) = on_path(&p.to_string_lossy()) {
                return Ok(found);
            }
        }
        if !p.is_file() {
            return Err(Error::usage(format!(
                "--python {}: no such interpreter",
                p.display()
            )));
        }
        return Ok(p.to_path_buf());
    }
    on_path("python3")
        .or_else(|| on_path("python"))
        .ok_or_else(|| {
            Error::usage(
                "Python workloads need a Python 3 interpreter: none (`python3`, `python`) is on PATH; \
                 install one or pass --python PATH",
            )
        })
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// What the interpreter says about itself: (`3.11.7`, GIL enabled, `sys.prefix` of the base install).
fn probe(python: &Path) -> Result<(String, bool, String)> {
    let out = Command::new(python)
        .args([
            "-c",
            "import sys; print('%d.%d.%d' % sys.version_info[:3], \
             int(getattr(sys, '_is_gil_enabled', lambda: True)()), sys.base_prefix)",
        ])
        .output()
        .map_err(|e| Error::usage(format!("cannot run {}: {e}", python.display())))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split_whitespace();
    match (parts.next(), parts.next(), parts.next()) {
        (Some(v), Some(g), Some(prefix)) if out.status.success() && v.starts_with('3') => {
            Ok((v.to_string(), g == "1", prefix.to_string()))
        }
        _ => Err(Error::usage(format!(
            "{} is not a working Python 3 interpreter (it printed `{}`)",
            python.display(),
            text.trim()
        ))),
    }
}

/// Makes (or reuses) the virtual environment for `base` under `<target>/concur/python/` and installs maturin
/// into it on first use.
pub fn prepare(
    target_dir: &Path,
    base: &Path,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<PythonEnv> {
    let (version, gil_enabled, prefix) = probe(base)?;
    // One environment per base installation and version: `--python` elsewhere gets its own.
    let key = format!("py{version}-{:08x}", fnv32(&prefix));
    let dir = target_dir.join("concur").join("python").join(key);
    let venv = dir.join("venv");
    let python = venv.join("bin").join("python");
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::internal(format!("cannot create {}: {e}", dir.display())))?;
    if !python.is_file() {
        events(Event::CreatingVenv {
            version: &version,
            venv: &venv,
        });
        run_step(
            Command::new(base).args(["-m", "venv"]).arg(&venv),
            "python -m venv",
        )?;
    }
    if !venv.join("bin").join("maturin").is_file() {
        events(Event::InstallingMaturin);
        run_step(
            Command::new(&python).args([
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--quiet",
                "maturin",
            ]),
            "pip install maturin",
        )?;
    }
    let runner = dir.join("runner.py");
    if std::fs::read_to_string(&runner).ok().as_deref() != Some(RUNNER) {
        std::fs::write(&runner, RUNNER)
            .map_err(|e| Error::internal(format!("cannot write {}: {e}", runner.display())))?;
    }
    Ok(PythonEnv {
        base: base.to_path_buf(),
        venv,
        python,
        version,
        gil_enabled,
        dir,
    })
}

/// FNV-1a of a text: a short stable directory key.
fn fnv32(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// Runs one setup step; a failure is exit code 4 with the step's last line of output.
fn run_step(cmd: &mut Command, what: &str) -> Result<()> {
    let out = cmd
        .output()
        .map_err(|e| Error::internal(format!("{what}: cannot start: {e}")))?;
    if out.status.success() {
        return Ok(());
    }
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let last = text
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with("error") || l.starts_with("ERROR") || l.contains("rror:"))
        .or_else(|| text.lines().rev().map(str::trim).find(|l| !l.is_empty()))
        .unwrap_or("no output");
    Err(Error::internal(format!("{what} failed: {last}")))
}

/// Builds the package's extension into the environment (`maturin develop --release`).
pub fn build(
    env: &PythonEnv,
    package: &ProjectPackage,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<()> {
    events(Event::BuildingExtension {
        package: &package.name,
    });
    let bin = env.venv.join("bin");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![bin.clone()];
    paths.extend(std::env::split_paths(&path));
    let joined = std::env::join_paths(paths).unwrap_or(path);
    run_step(
        Command::new(bin.join("maturin"))
            .args(["develop", "--release", "--quiet", "--manifest-path"])
            .arg(&package.manifest_path)
            .env("VIRTUAL_ENV", &env.venv)
            .env("PATH", joined)
            .env_remove("CONDA_PREFIX"),
        &format!("maturin develop for {}", package.name),
    )
}

/// The spec file the runner reads.
fn write_spec(env: &PythonEnv, w: &PythonWorkload) -> Result<PathBuf> {
    let spec = serde_json::json!({
        "module": w.module,
        "call": w.call,
        "setup": w.setup,
        "pass": w.pass.as_str(),
        "jobs": w.spec.jobs,
    });
    let path = env
        .dir
        .join(format!("spec-{}-{}.json", w.spec.package, w.spec.name));
    std::fs::write(&path, spec.to_string())
        .map_err(|e| Error::internal(format!("cannot write {}: {e}", path.display())))?;
    Ok(path)
}

/// Profiles the selected Python workloads: one environment, one build per package, then the same schedule,
/// samples and checks as Rust workloads.
pub fn profile_all(
    project: &Project,
    workloads: &[&PythonWorkload],
    runner: &mut Runner,
    measure: &MeasureSettings,
    plan: &Plan,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<Vec<WorkloadProfile>> {
    if workloads.is_empty() {
        return Ok(Vec::new());
    }
    let base = find_interpreter(measure.python.as_deref())?;
    let env = prepare(&project.target_dir, &base, events)?;
    if !env.gil_enabled {
        events(Event::FreeThreaded {
            version: &env.version,
        });
    }
    for package in &project.packages {
        if workloads.iter().any(|w| w.spec.package == package.name) {
            build(&env, package, events)?;
        }
    }
    let runner_path = env.dir.join("runner.py");
    let mut out = Vec::new();
    for w in workloads {
        let mut driver = PythonDriver {
            python: env.python.clone(),
            script: runner_path.clone(),
            spec: write_spec(&env, w)?,
            jobs: w.spec.jobs,
            board: env.dir.join(format!("board-{}.bin", std::process::id())),
            runner,
            timeout: measure.timeout,
        };
        let mut p = profile_one(&w.spec, &mut driver, plan, events)?;
        p.python = Some(PythonRun {
            interpreter: env.base.display().to_string(),
            version: env.version.clone(),
            gil_enabled: env.gil_enabled,
            module: w.module.clone(),
            call: w.call.clone(),
            setup: w.setup.clone(),
            pass: w.pass.as_str().to_string(),
            start_method: START_METHOD.to_string(),
            entry_points: PythonWorkload::called_names(&w.call),
        });
        out.push(p);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::doc::FailureKind;
    use crate::vocab::Model;
    use std::time::Duration;

    #[test]
    fn the_board_names_the_jobs_started_and_not_ended() {
        assert_eq!(jobs_on_board(&[2, 1, 0, 1, 2], BOARD_STARTED), vec![1, 3]);
        assert!(jobs_on_board(&[2, 2, 0], BOARD_STARTED).is_empty());
    }

    /// A real interpreter runs the real runner script with a standard-library module as the "extension":
    /// job 2 sleeps past the timeout under every model, and the timeout names it (and no other job, the
    /// ones that finished nor the one never started); the board file is gone after each run.
    #[test]
    fn a_python_timeout_names_the_job_that_was_running_under_every_model() {
        let python = find_interpreter(None).expect("a Python 3 interpreter on PATH (see .ci/run)");
        let dir = std::env::temp_dir().join(format!("concur-python-board-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let script = dir.join("runner.py");
        std::fs::write(&script, RUNNER).expect("script");
        let spec = dir.join("spec.json");
        let json = serde_json::json!({"module": "time", "call": "m.sleep(600) if job == 2 else job",
                                      "setup": null, "pass": "shared", "jobs": 4});
        std::fs::write(&spec, json.to_string()).expect("spec");
        let mut runner = Runner::new(
            crate::profile::settings::CounterChoice::Rusage,
            dir.join("runs"),
        )
        .expect("runner");
        let board = dir.join("board.bin");
        for (model, workers, secs) in [
            (Model::Sequential, 1, 2),
            (Model::Threads, 2, 2),
            // Spawned workers start an interpreter each before any job runs.
            (Model::Processes, 2, 5),
        ] {
            let mut driver = PythonDriver {
                python: python.clone(),
                script: script.clone(),
                spec: spec.clone(),
                jobs: 4,
                board: board.clone(),
                runner: &mut runner,
                timeout: Duration::from_secs(secs),
            };
            let run = driver.run(RunSpec::new(model, workers)).expect("run");
            let e = run.expect_err("job 2 never returns");
            assert_eq!(e.kind, FailureKind::Timeout, "{model:?}: {e:?}");
            assert_eq!(e.job, Some(2), "{model:?}: {e:?}");
            assert_eq!(e.at_timeout.running_jobs, vec![2], "{model:?}: {e:?}");
            assert!(
                e.message.contains("job 2 was still running"),
                "{model:?}: {}",
                e.message
            );
            assert!(!board.exists(), "the board outlived the run");
        }
        drop(runner);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
