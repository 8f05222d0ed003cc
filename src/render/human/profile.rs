//! Human rendering of a `ProfileDoc`: one perf-stat/hyperfine-like table per workload.

use std::io::{self, Write};

use anstyle::{AnsiColor, Effects, Style};

use super::Human;
use crate::profile::doc::{CounterTier, ProfileDoc, RunSummary, WorkloadProfile};
use crate::render::Export;
use crate::vocab::Model;

const BOLD: Style = Style::new().effects(Effects::BOLD);
const DIM: Style = Style::new().effects(Effects::DIMMED);
const RED: Style = Style::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)))
    .effects(Effects::BOLD);
const YELLOW: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Yellow)));

impl Export<ProfileDoc> for Human {
    fn export(&self, doc: &ProfileDoc, out: &mut dyn Write) -> io::Result<()> {
        let env = &doc.environment;
        let tier = match env.counters {
            CounterTier::Hardware => "hardware perf counters",
            CounterTier::Software => "software perf events + rusage",
            CounterTier::Rusage => "rusage only",
        };
        writeln!(
            out,
            "{DIM}{} cores, {} {}, measured with {tier}{}{DIM:#}",
            env.cores,
            env.os,
            env.kernel,
            env.counters_note
                .as_ref()
                .map_or(String::new(), |n| format!(" ({n})"))
        )?;
        for w in &doc.workloads {
            writeln!(out)?;
            workload(w, doc.environment.counters == CounterTier::Hardware, out)?;
        }
        Ok(())
    }
}

fn workload(w: &WorkloadProfile, ipc: bool, out: &mut dyn Write) -> io::Result<()> {
    let what = match (&w.setup, &w.run) {
        (Some(s), Some(r)) => format!("setup = {s}, run = {r}"),
        (None, Some(r)) => format!("run = {r}"),
        _ => w.kind.to_string(),
    };
    writeln!(
        out,
        "{BOLD}{}/{}{BOLD:#}  {} jobs  {DIM}{what}{DIM:#}",
        w.package, w.name, w.jobs
    )?;
    if w.profiling_ns > 0 {
        let samples: usize = w.runs.iter().map(|r| r.samples).sum();
        writeln!(
            out,
            "{DIM}  profiled in {} (warm-up {}, {samples} samples in {} rounds {}, rest {}){}{DIM:#}",
            secs(w.profiling_ns),
            secs(w.warmup_ns),
            w.rounds,
            secs(w.measured_ns),
            secs(w.profiling_ns.saturating_sub(w.warmup_ns + w.measured_ns)),
            if w.io_bound {
                "; I/O-bound: more workers tried"
            } else {
                ""
            }
        )?;
    }
    let sequential = w.run(Model::Sequential, 1).map(|r| r.wall_ns.median);
    let mut header = vec![
        "model",
        "workers",
        "wall",
        "± range",
        "speedup",
        "effic.",
        "cpu",
        "setup",
        "peak mem",
        "ctx sw vol/inv",
        "faults min/maj",
    ];
    if ipc {
        header.push("IPC");
    }
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut notes = Vec::new();
    for r in &w.runs {
        let mut marks = String::new();
        if !r.results_match_sequential {
            marks.push('!');
            notes.push(format!(
                "! {}: results differ from the sequential run; timings not comparable",
                r.key().label()
            ));
        }
        if r.noisy {
            marks.push('~');
            notes.push(format!(
                "~ {}: noisy (wall spread {} over {} samples)",
                r.key().label(),
                range_pct(r),
                r.samples
            ));
        }
        if r.oversubscribed {
            marks.push('+');
        }
        rows.push(row(r, sequential, ipc, &marks));
    }
    if w.runs.iter().any(|r| r.oversubscribed) {
        notes.push("+ more workers than cores (oversubscribed)".to_string());
    }
    if w.runs.iter().any(|r| r.model == Model::Async) {
        notes.push(
            "async/ct: tasks on a current-thread runtime; async/mt: on a multi-thread runtime with `workers` \
             threads; K: jobs in flight"
                .to_string(),
        );
    }
    if !rows.is_empty() {
        table(&header, &rows, out)?;
    }
    for n in notes {
        writeln!(out, "  {YELLOW}{n}{YELLOW:#}")?;
    }
    for e in &w.errors {
        writeln!(
            out,
            "  {RED}error{RED:#} [{}]{}: {}",
            e.kind,
            error_tag(e),
            e.message
        )?;
    }
    for n in super::report::schedule_lines(w) {
        writeln!(out, "  {YELLOW}note{YELLOW:#}: {n}")?;
    }
    Ok(())
}

/// What an error names: ` (job 3)`; at a timeout the jobs still running, the async tasks waiting and the
/// tests running: ` (running: jobs 1, 2; waiting: job 0)`, ` (running: test a::slow)`.
fn error_tag(e: &crate::profile::doc::WorkloadError) -> String {
    let at = &e.at_timeout;
    let list = |what: &str, items: Vec<String>| {
        let s = if items.len() > 1 { "s" } else { "" };
        format!("{what}{s} {}", items.join(", "))
    };
    let nums = |v: &[usize]| v.iter().map(usize::to_string).collect::<Vec<_>>();
    let mut parts = Vec::new();
    if !at.running_jobs.is_empty() && (at.running_jobs.len() > 1 || !at.waiting_jobs.is_empty()) {
        parts.push(format!("running: {}", list("job", nums(&at.running_jobs))));
    }
    if !at.waiting_jobs.is_empty() {
        parts.push(format!("waiting: {}", list("job", nums(&at.waiting_jobs))));
    }
    if !at.running_tests.is_empty() {
        parts.push(format!(
            "running: {}",
            list("test", at.running_tests.clone())
        ));
    }
    match (parts.is_empty(), e.job) {
        (true, Some(j)) => format!(" (job {j})"),
        (true, None) => String::new(),
        (false, _) => format!(" ({})", parts.join("; ")),
    }
}

/// `threads`, or for async runs `async/ct K=64` / `async/mt K=64`.
fn model_cell(r: &RunSummary) -> String {
    use crate::profile::doc::AsyncRuntime;
    match (r.runtime, r.in_flight) {
        (Some(AsyncRuntime::CurrentThread), Some(k)) => format!("async/ct K={k}"),
        (Some(AsyncRuntime::MultiThread), Some(k)) => format!("async/mt K={k}"),
        _ => r.model.as_str().to_string(),
    }
}

fn row(r: &RunSummary, sequential: Option<u64>, ipc: bool, marks: &str) -> Vec<String> {
    let speedup = sequential
        .filter(|_| r.wall_ns.median > 0)
        .map(|s| s as f64 / r.wall_ns.median as f64);
    let mut v = vec![
        format!("{}{marks}", model_cell(r)),
        r.workers.to_string(),
        duration(r.wall_ns.median),
        range_pct(r),
        speedup.map_or("-".into(), |s| format!("{s:.2}x")),
        speedup.map_or("-".into(), |s| {
            format!("{:.0}%", 100.0 * s / r.workers.max(1) as f64)
        }),
        duration(r.cpu_ns.median),
        duration(r.setup_ns.median),
        memory(r.peak_rss_kb_total),
        format!("{}/{}", r.voluntary_switches, r.involuntary_switches),
        format!("{}/{}", r.minor_faults, r.major_faults),
    ];
    if ipc {
        v.push(if r.counters.cycles > 0 {
            format!(
                "{:.2}{}",
                r.counters.instructions as f64 / r.counters.cycles as f64,
                if r.counters.estimated { "*" } else { "" }
            )
        } else {
            "-".into()
        });
    }
    v
}

fn range_pct(r: &RunSummary) -> String {
    if r.wall_ns.median == 0 {
        return "-".into();
    }
    format!(
        "{:.1}%",
        100.0 * (r.wall_ns.max - r.wall_ns.min) as f64 / r.wall_ns.median as f64
    )
}

fn table(header: &[&str], rows: &[Vec<String>], out: &mut dyn Write) -> io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| -> String {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == 0 {
                    format!("{c:<w$}", w = widths[i])
                } else {
                    format!("{c:>w$}", w = widths[i])
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    writeln!(
        out,
        "  {BOLD}{}{BOLD:#}",
        line(header.iter().map(|s| s.to_string()).collect())
    )?;
    for r in rows {
        writeln!(out, "  {}", line(r.clone()))?;
    }
    Ok(())
}

fn secs(ns: u64) -> String {
    format!("{:.1} s", ns as f64 / 1e9)
}

/// `527.0 ms`, `1.234 s`, `12.0 µs`.
pub fn duration(ns: u64) -> String {
    let n = ns as f64;
    if n >= 1e9 {
        format!("{:.3} s", n / 1e9)
    } else if n >= 1e6 {
        format!("{:.1} ms", n / 1e6)
    } else if n >= 1e3 {
        format!("{:.1} µs", n / 1e3)
    } else {
        format!("{ns} ns")
    }
}

/// `9.8 MiB` from KiB.
pub fn memory(kb: u64) -> String {
    let k = kb as f64;
    if k >= 1024.0 * 1024.0 {
        format!("{:.2} GiB", k / 1024.0 / 1024.0)
    } else if k >= 1024.0 {
        format!("{:.1} MiB", k / 1024.0)
    } else {
        format!("{kb} KiB")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(duration(527_000_000), "527.0 ms");
        assert_eq!(duration(1_234_000_000), "1.234 s");
        assert_eq!(duration(12_000), "12.0 µs");
        assert_eq!(memory(10_035), "9.8 MiB");
        assert_eq!(memory(512), "512 KiB");
    }

    #[test]
    fn an_error_names_its_job_or_what_ran_and_waited_at_the_timeout() {
        use crate::profile::doc::{AtTimeout, FailureKind, WorkloadError};
        let with = |job: Option<usize>, at: AtTimeout| {
            let mut e = WorkloadError::new(None, None, FailureKind::Timeout, job, String::new());
            *e.at_timeout = at;
            error_tag(&e)
        };
        assert_eq!(with(None, AtTimeout::default()), "");
        assert_eq!(with(Some(3), AtTimeout::default()), " (job 3)");
        let running = |v: Vec<usize>| AtTimeout {
            running_jobs: v,
            ..AtTimeout::default()
        };
        assert_eq!(with(Some(3), running(vec![3])), " (job 3)");
        assert_eq!(with(Some(1), running(vec![1, 2])), " (running: jobs 1, 2)");
        let async_at = AtTimeout {
            running_jobs: vec![0],
            waiting_jobs: vec![1, 2],
            ..AtTimeout::default()
        };
        assert_eq!(
            with(Some(0), async_at),
            " (running: job 0; waiting: jobs 1, 2)"
        );
        let tests = AtTimeout {
            running_tests: vec!["a::slow".into()],
            ..AtTimeout::default()
        };
        assert_eq!(with(None, tests), " (running: test a::slow)");
    }
}
