//! Status and progress lines on stderr, cargo-style (`error:`, `warning:`, right-aligned verbs): the
//! engines' typed events become text here and only here. Nothing here writes to stdout.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use anstyle::{AnsiColor, Effects, Style};

const ERROR: Style = Style::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)))
    .effects(Effects::BOLD);
const WARNING: Style = Style::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Yellow)))
    .effects(Effects::BOLD);
const NOTE: Style = Style::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Cyan)))
    .effects(Effects::BOLD);
const VERB: Style = Style::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green)))
    .effects(Effects::BOLD);

/// 0: quiet (`-q`), 1: normal, 2 and more: verbose (`-v`, `-vv`).
static VERBOSITY: AtomicU8 = AtomicU8::new(1);

/// Sets how much status goes to stderr (from `-q`/`-v`).
pub fn set_verbosity(v: u8) {
    VERBOSITY.store(v, Ordering::Relaxed);
}

pub fn verbosity() -> u8 {
    VERBOSITY.load(Ordering::Relaxed)
}

/// A `-v` line: `     Running cargo build ...` on stderr, only when verbose.
pub fn verbose(verb: &str, message: &str) {
    if verbosity() >= 2 {
        let mut e = anstream::stderr().lock();
        let _ = writeln!(e, "{VERB}{verb:>12}{VERB:#} {message}");
    }
}

/// A `-vv` line: `        Read src/lib.rs` on stderr, only when very verbose.
pub fn very_verbose(verb: &str, message: &str) {
    if verbosity() >= 3 {
        let mut e = anstream::stderr().lock();
        let _ = writeln!(e, "{VERB}{verb:>12}{VERB:#} {message}");
    }
}

/// `error: message` on stderr.
pub fn error(message: &str) {
    let mut e = anstream::stderr().lock();
    let _ = writeln!(e, "{ERROR}error{ERROR:#}: {message}");
}

/// `warning: message` on stderr (not with `-q`).
pub fn warning(message: &str) {
    if verbosity() == 0 {
        return;
    }
    let mut e = anstream::stderr().lock();
    let _ = writeln!(e, "{WARNING}warning{WARNING:#}: {message}");
}

/// `note: message` on stderr.
pub fn note(message: &str) {
    let mut e = anstream::stderr().lock();
    let _ = writeln!(e, "{NOTE}note{NOTE:#}: {message}");
}

/// `   Analyzing demo (3 targets)` on stderr, as cargo prints its progress.
pub fn progress(verb: &str, message: &str) {
    if verbosity() == 0 {
        return;
    }
    let mut e = anstream::stderr().lock();
    let _ = writeln!(e, "{VERB}{verb:>12}{VERB:#} {message}");
}

/// An `analyze` event as cargo-style lines; each parse error becomes a warning.
pub fn analysis(e: crate::analyze::Event<'_>) {
    use crate::analyze::doc::Skipped;
    match e {
        crate::analyze::Event::Started { packages } => progress("Analyzing", &packages.join(", ")),
        crate::analyze::Event::BuiltInCfg { why } => warning(&format!(
            "cannot run `rustc --print cfg` ({why}): deciding #[cfg] with the values cargo-concur was built for"
        )),
        crate::analyze::Event::Discovered { elapsed, cached } => very_verbose(
            "Discovered",
            &format!(
                "packages, targets and cfg in {:.1} ms ({})",
                elapsed.as_secs_f64() * 1e3,
                if cached {
                    "from the discovery cache"
                } else {
                    "cargo metadata, rustc --print cfg"
                }
            ),
        ),
        crate::analyze::Event::Finished {
            files: f,
            elapsed,
            phases,
            cache,
        } => {
            for path in &f.read {
                very_verbose("Read", path);
            }
            very_verbose(
                "Timing",
                &format!(
                    "files {:.1} ms, call graph and findings {:.1} ms",
                    phases.files.as_secs_f64() * 1e3,
                    phases.link.as_secs_f64() * 1e3
                ),
            );
            if let Some(c) = cache {
                very_verbose(
                    "Cache",
                    &format!(
                        "{} hits ({} files known unchanged, not read), {} misses",
                        c.hits, c.unread, c.misses
                    ),
                );
            }
            progress(
                "Finished",
                &format!(
                    "{} files ({} with parse errors, {} out of scope) in {:.2}s",
                    f.analyzed,
                    f.unparsable,
                    f.excluded.files + f.not_reached,
                    elapsed.as_secs_f64()
                ),
            );
            for e in &f.parse_errors {
                warning(&format!(
                    "{}:{}:{}: {} skipped: {}",
                    e.file,
                    e.line,
                    e.column,
                    match e.skipped {
                        Skipped::File => "file",
                        Skipped::Item => "item",
                    },
                    e.message
                ));
            }
        }
    }
}

/// A `workload` event as a cargo-style line.
pub fn workload(e: crate::workload::Event<'_>) {
    match e {
        crate::workload::Event::Warning(w) => warning(w),
        crate::workload::Event::BuildingTests { package } => {
            progress("Building", &format!("test targets of {package}"))
        }
    }
}

/// Interval between profiling progress lines when stderr is not a terminal.
const PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// Shows `profile` events: cargo-style lines, and for each workload a bar on a terminal (a line every
/// [`PROGRESS_EVERY`] otherwise), both with the estimated time left.
#[derive(Default)]
pub struct Profiling {
    bar: Option<indicatif::ProgressBar>,
    last_line: Option<Instant>,
}

impl Profiling {
    pub fn new() -> Profiling {
        Profiling::default()
    }

    pub fn show(&mut self, e: crate::profile::Event<'_>) {
        use crate::profile::Event;
        match e {
            Event::Workload(e) => workload(e),
            Event::CountersFallback { tier, note } => warning(&format!(
                "measuring with rusage{}: {note}",
                if tier == crate::profile::doc::CounterTier::Software {
                    " and software perf events only"
                } else {
                    " only"
                }
            )),
            Event::NoSubreaper => warning(
                "cannot become a child subreaper: a process that leaves a run's process group is not \
                 killed after the run",
            ),
            Event::UsingTokio { version, from_lock } => progress(
                "Using",
                &format!(
                    "tokio {version} for async workloads ({})",
                    if from_lock {
                        "the version in your Cargo.lock"
                    } else {
                        "no tokio in your Cargo.lock: cargo-concur's default"
                    }
                ),
            ),
            Event::BuildingHarness { package } => {
                progress("Building", &format!("harness for {package}"))
            }
            Event::PackageWarnings { package, count } => note(&format!(
                "building {package} printed {count} compiler warning{} of the package's own code (not \
                 cargo-concur's); `cargo build --release` shows them",
                if count == 1 { "" } else { "s" }
            )),
            Event::CreatingVenv { version, venv } => progress(
                "Creating",
                &format!(
                    "a virtual environment for Python {version} in {}",
                    venv.display()
                ),
            ),
            Event::InstallingMaturin => progress(
                "Installing",
                "maturin from PyPI into the private environment (first use; kept for later runs)",
            ),
            Event::BuildingExtension { package } => progress(
                "Building",
                &format!("{package} as a Python extension (maturin develop --release)"),
            ),
            Event::FreeThreaded { version } => warning(&format!(
                "Python {version} is free-threaded with the GIL disabled: threads run Python code in \
                 parallel, so these measurements answer a different question than on a default build"
            )),
            Event::Measuring { label } => {
                self.bar = progress_bar();
                if self.bar.is_none() {
                    progress("Profiling", label);
                }
                self.last_line = Some(Instant::now());
            }
            Event::Schedule { label, event } => self.schedule(label, &event),
            Event::Profiled { label, measured: m } => {
                if let Some(b) = self.bar.take() {
                    b.finish_and_clear();
                }
                let n_samples: usize = m.runs.iter().map(|r| r.samples).sum();
                progress(
                    "Profiled",
                    &format!(
                        "{label} in {:.1} s: warm-up {:.1} s, {n_samples} samples in {} rounds {:.1} s, \
                         other {:.1} s (budget {:.0} s)",
                        m.profiling_ns as f64 / 1e9,
                        m.warmup_ns as f64 / 1e9,
                        m.rounds,
                        m.measured_ns as f64 / 1e9,
                        m.profiling_ns.saturating_sub(m.warmup_ns + m.measured_ns) as f64 / 1e9,
                        m.budget_ns as f64 / 1e9
                    ),
                );
                for n in &m.notes {
                    warning(&format!("{label}: {n}"));
                }
            }
            Event::Escaped { label, processes } => warning(&format!(
                "{label}: its runs left {processes} process{} behind (outside their process group); \
                 killed and reaped",
                if processes == 1 { "" } else { "es" }
            )),
        }
    }

    fn schedule(&mut self, label: &str, e: &crate::profile::schedule::Event) {
        use crate::profile::schedule::Event;
        let text = match e {
            Event::WarmUp => format!("{label}: warm-up"),
            Event::Sample {
                model,
                workers,
                round,
                rounds,
                done,
                total,
                left,
            } => format!(
                "{label}: {} x{workers}, round {round}/{rounds}, {done}/{total} runs, about {} left",
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
                if self
                    .last_line
                    .is_some_and(|t| t.elapsed() >= PROGRESS_EVERY)
                {
                    progress("Profiling", &text);
                    self.last_line = Some(Instant::now());
                }
            }
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

/// A bar on a terminal; none otherwise.
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

/// With `-v`: the settings a package's findings are judged with (`   Settings demo: fail-on warning; ...`).
pub fn config(
    package: &str,
    c: &crate::config::PackageConfig,
    fail_on: Option<crate::vocab::Level>,
) {
    if verbosity() < 2 {
        return;
    }
    let levels: Vec<String> = c
        .levels
        .iter()
        .map(|(k, l)| {
            let l = match l {
                crate::config::LevelSetting::Allow => "allow",
                crate::config::LevelSetting::Report(l) => l.as_str(),
            };
            format!("{}={l}", k.id())
        })
        .collect();
    verbose(
        "Settings",
        &format!(
            "{package}: fail-on {}; levels {}; {} extra API entr{}",
            fail_on.map(|l| l.as_str()).unwrap_or("never"),
            if levels.is_empty() {
                "default".to_string()
            } else {
                levels.join(", ")
            },
            c.apis.entries.len(),
            if c.apis.entries.len() == 1 {
                "y"
            } else {
                "ies"
            }
        ),
    );
}
