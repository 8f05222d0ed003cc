//! Human rendering of a report: verdict line, reasons, advice, a terminal speedup chart, key numbers.

use std::io::{self, Write};

use anstyle::{AnsiColor, Effects, Style};

use super::Human;
use crate::profile::doc::{RunSummary, WorkloadProfile};
use crate::render::{Export, ReportInput};
use crate::report::doc::{Verdict, WorkloadReport};
use crate::vocab::Model;

const BOLD: Style = Style::new().effects(Effects::BOLD);
const DIM: Style = Style::new().effects(Effects::DIMMED);
const GREEN: Style = Style::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green)))
    .effects(Effects::BOLD);
const RED: Style = Style::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)))
    .effects(Effects::BOLD);
const CYAN: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Cyan)));

impl Export<ReportInput<'_>> for Human {
    fn export(&self, doc: &ReportInput<'_>, out: &mut dyn Write) -> io::Result<()> {
        if let Some(env) = &doc.report.environment {
            writeln!(
                out,
                "{DIM}{} cores, {} {}; {} analysis finding{}{DIM:#}",
                env.cores,
                env.os,
                env.kernel,
                doc.report.analysis.findings,
                if doc.report.analysis.findings == 1 {
                    ""
                } else {
                    "s"
                }
            )?;
        }
        if doc.report.workloads.is_empty() {
            writeln!(out, "no workloads to report on")?;
        }
        if let Some(changes) = &doc.report.baseline {
            let lines = crate::render::report_baseline::lines(changes);
            writeln!(out)?;
            if lines.is_empty() {
                writeln!(out, "since the baseline: no verdict change, no regression")?;
            } else {
                writeln!(out, "since the baseline:")?;
                for l in lines {
                    writeln!(out, "  {}", l.replace('`', ""))?;
                }
            }
        }
        for w in &doc.report.workloads {
            writeln!(out)?;
            let profile = doc.profile_of(w);
            workload(w, profile, out)?;
        }
        Ok(())
    }
}

/// `lookup: threads ×2 (confidence 0.91)`, or `lookup: FAILED ...`.
pub(crate) fn verdict_line(w: &WorkloadReport) -> String {
    let r = &w.recommendation;
    if w.failed {
        return format!("{}: failed: no verdict (falls back to sequential)", w.name);
    }
    format!(
        "{}: {} (confidence {:.2})",
        w.name,
        model_text(r),
        r.confidence
    )
}

/// How stable the verdict is and how noisy its measurements were, as report lines (none for a failed
/// workload or a profile without raw samples).
pub(crate) fn stability_lines(w: &WorkloadReport) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(s) = &w.stability {
        let pct = |x: f64| format!("{:.0}%", x * 100.0);
        if s.same_share >= crate::report::stability::STABLE_SHARE {
            out.push(format!(
                "the same verdict in {} of {} profiles redrawn from the samples",
                pct(s.same_share),
                s.resamples
            ));
        } else {
            let others: Vec<String> = s
                .alternatives
                .iter()
                .take(2)
                .map(|a| format!("{} in {}", a.verdict, pct(a.share)))
                .collect();
            out.push(format!(
                "the verdict rests on noise: {} in {} of {} profiles redrawn from the samples, {}; measure \
                 again with more rounds (--runs 10) or longer jobs before acting on it",
                model_text(&w.recommendation),
                pct(s.same_share),
                s.resamples,
                others.join(", ")
            ));
        }
    }
    if let Some(n) = &w.noise {
        let threshold = format!("{:.0}%", n.threshold * 100.0);
        out.push(match &n.worst {
            Some(worst) if n.noisy_runs > 0 => format!(
                "noisy: {} of {} runs varied by more than {threshold} between samples (most: {}, {:.0}%)",
                n.noisy_runs,
                n.runs,
                worst.run,
                worst.spread * 100.0
            ),
            _ => format!("every run within {threshold} between samples"),
        });
    }
    out
}

/// `sequential`, `threads ×2`, `async current-thread, 256 in flight`, `async multi-thread ×2, 64 in flight`.
pub(crate) fn model_text(r: &crate::report::doc::Recommendation) -> String {
    use crate::profile::doc::AsyncRuntime;
    match (r.model, r.runtime, r.in_flight) {
        (Verdict::Sequential, _, _) => "sequential".to_string(),
        (Verdict::Async, Some(AsyncRuntime::CurrentThread), Some(k)) => {
            format!("async current-thread, {k} in flight")
        }
        (Verdict::Async, Some(rt), Some(k)) => {
            format!("async {} ×{}, {k} in flight", rt.as_str(), r.workers)
        }
        (m, _, _) => format!("{} ×{}", m.as_str(), r.workers),
    }
}

fn workload(
    w: &WorkloadReport,
    profile: Option<&WorkloadProfile>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let style = if w.failed { RED } else { GREEN };
    writeln!(out, "{style}{}{style:#}", verdict_line(w))?;
    if let Some(p) = profile {
        let what = match (&p.setup, &p.run) {
            (Some(s), Some(r)) => format!(", setup {s}, run {r}"),
            (None, Some(r)) => format!(", run {r}"),
            _ => String::new(),
        };
        writeln!(out, "{DIM}  {} · {} jobs{what}{DIM:#}", w.package, p.jobs)?;
    }
    writeln!(out, "{BOLD}  why{BOLD:#}")?;
    for r in &w.recommendation.reasons {
        writeln!(out, "    - {r}")?;
    }
    let stability = stability_lines(w);
    if !stability.is_empty() {
        writeln!(out, "{BOLD}  stability{BOLD:#}")?;
        for line in stability {
            writeln!(out, "    - {line}")?;
        }
    }
    if !w.recommendation.refactors.is_empty() {
        writeln!(out, "{BOLD}  advice{BOLD:#}")?;
        for f in &w.recommendation.refactors {
            match (&f.file, f.line) {
                (Some(file), Some(line)) => {
                    writeln!(out, "    - {CYAN}{file}:{line}{CYAN:#} {}", f.message)?
                }
                _ => writeln!(out, "    - {}", f.message)?,
            }
        }
    }
    let chart = chart_lines(w);
    if !chart.is_empty() {
        writeln!(out, "{BOLD}  speedup vs workers{BOLD:#}")?;
        for line in chart {
            writeln!(out, "    {line}")?;
        }
    }
    if let Some(p) = profile {
        let table = measurement_lines(p);
        if !table.is_empty() {
            writeln!(out, "{BOLD}  measurements{BOLD:#}")?;
            for line in table {
                writeln!(out, "    {line}")?;
            }
        }
    }
    if !w.prediction.is_empty() {
        writeln!(
            out,
            "{BOLD}  prediction{BOLD:#} {DIM}(speedup low / estimate / high){DIM:#}"
        )?;
        for line in prediction_lines(w) {
            writeln!(out, "    {line}")?;
        }
    }
    for n in profile.map(schedule_lines).unwrap_or_default() {
        writeln!(out, "{DIM}  note: {n}{DIM:#}")?;
    }
    for n in &w.fit_notes {
        writeln!(out, "{DIM}  note: {n}{DIM:#}")?;
    }
    Ok(())
}

/// `1.00 s`, `12.3 ms`, `850 µs`
pub(crate) fn duration(ns: u64) -> String {
    crate::report::evidence::duration(ns as f64)
}

fn run_label(r: &RunSummary) -> String {
    match (r.runtime, r.in_flight) {
        (Some(rt), Some(k)) => format!("async {} ×{} K={k}", rt.as_str(), r.workers),
        _ => format!("{} ×{}", r.model.as_str(), r.workers),
    }
}

/// What the schedule did less than asked, one line each: its notes (a shrunk ladder, fewer rounds), then
/// the configurations skipped after a timeout, grouped by the run that timed out.
pub(crate) fn schedule_lines(p: &WorkloadProfile) -> Vec<String> {
    let mut lines = p.schedule_notes.clone();
    let mut afters: Vec<crate::profile::doc::RunKey> = Vec::new();
    for s in &p.skipped {
        if !afters.contains(&s.after) {
            afters.push(s.after);
        }
    }
    for after in afters {
        let runs: Vec<String> = p
            .skipped
            .iter()
            .filter(|s| s.after == after)
            .map(|s| match s.samples {
                0 => s.run.label(),
                n => format!(
                    "{} (after {n} sample{})",
                    s.run.label(),
                    if n == 1 { "" } else { "s" }
                ),
            })
            .collect();
        lines.push(format!(
            "{} timed out, so {} {} not run (each would only wait for the timeout too): {}",
            after.label(),
            runs.len(),
            if runs.len() == 1 {
                "configuration was"
            } else {
                "configurations were"
            },
            runs.join(", ")
        ));
    }
    lines
}

/// Rows of text table cells: run, wall (median and range), cpu, sys, setup, peak RSS, faults, results.
pub(crate) fn measurement_rows(p: &WorkloadProfile) -> Vec<[String; 8]> {
    let mut runs: Vec<&RunSummary> = p.runs.iter().collect();
    runs.sort_by_key(|r| (r.model, r.runtime, r.workers, r.in_flight));
    runs.into_iter()
        .map(|r| {
            [
                format!(
                    "{}{}",
                    run_label(r),
                    if r.oversubscribed { "*" } else { "" }
                ),
                format!(
                    "{} ({}-{})",
                    duration(r.wall_ns.median),
                    duration(r.wall_ns.min),
                    duration(r.wall_ns.max)
                ),
                duration(r.cpu_ns.median),
                duration(r.sys_ns.median),
                duration(r.setup_ns.median),
                crate::report::evidence::megabytes(r.peak_rss_kb_total),
                r.minor_faults.to_string(),
                if r.model == Model::Sequential {
                    "reference".into()
                } else if r.results_match_sequential {
                    "match".into()
                } else {
                    "DIFFER".into()
                },
            ]
        })
        .collect()
}

pub(crate) const MEASUREMENT_HEADER: [&str; 8] = [
    "run", "wall", "cpu", "sys", "setup", "peak RSS", "faults", "results",
];

fn measurement_lines(p: &WorkloadProfile) -> Vec<String> {
    let rows = measurement_rows(p);
    if rows.is_empty() {
        return Vec::new();
    }
    let mut widths = MEASUREMENT_HEADER.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = vec![line(MEASUREMENT_HEADER.to_vec())];
    for row in &rows {
        out.push(line(row.iter().map(String::as_str).collect()));
    }
    if rows.iter().any(|r| r[0].ends_with('*')) {
        out.push("* more workers than cores".into());
    }
    out
}

fn band_text(b: Option<crate::report::doc::Band>) -> String {
    b.map(|b| format!("{:.2} / {:.2} / {:.2}", b.low, b.estimate, b.high))
        .unwrap_or_else(|| "-".into())
}

fn prediction_lines(w: &WorkloadReport) -> Vec<String> {
    let with_async = w.prediction.iter().any(|p| p.asynchronous.is_some());
    let mut out = vec![if with_async {
        format!(
            "{:<6} {:<22} {:<22} {}",
            "cores", "threads", "processes", "async"
        )
    } else {
        format!("{:<6} {:<22} {}", "cores", "threads", "processes")
    }];
    for p in &w.prediction {
        out.push(if with_async {
            format!(
                "{:<6} {:<22} {:<22} {}",
                p.cores,
                band_text(p.threads),
                band_text(p.processes),
                band_text(p.asynchronous)
            )
        } else {
            format!(
                "{:<6} {:<22} {}",
                p.cores,
                band_text(p.threads),
                band_text(p.processes)
            )
        });
    }
    if let Some(c) = &w.crossover {
        out.push(format!(
            "{} predicted to overtake from {} cores",
            c.leader.as_str(),
            c.cores
        ));
    }
    out
}

/// Columns per doubling of workers, and rows per doubling of speedup, in the terminal chart.
const COLS_PER_DOUBLING: usize = 4;
const ROWS_PER_DOUBLING: usize = 2;
const CHART_MAX_WORKERS: usize = 64;

fn column_of(workers: usize) -> usize {
    ((workers.max(1) as f64).log2() * COLS_PER_DOUBLING as f64).round() as usize
}

/// Low / high of a band at a column, by linear interpolation between its anchors (None outside them).
fn band_at(band: &[crate::report::doc::BandPoint], col: usize) -> Option<(f64, f64)> {
    band.windows(2).find_map(|pair| {
        let (c0, c1) = (column_of(pair[0].workers), column_of(pair[1].workers));
        if col < c0 || col > c1 || c1 == c0 {
            return None;
        }
        let t = (col - c0) as f64 / (c1 - c0) as f64;
        Some((
            pair[0].low + (pair[1].low - pair[0].low) * t,
            pair[0].high + (pair[1].high - pair[0].high) * t,
        ))
    })
}

/// A small log-log speedup-vs-workers chart: measured points (`T` threads, `P` processes), predicted
/// estimates (`t`, `p`), the prediction band (`:` threads, `.` processes, `#` both) and the linear
/// ideal (`/`). Plain text, so it also works inside a Markdown code block. Empty when nothing was measured.
pub(crate) fn chart_lines(w: &WorkloadReport) -> Vec<String> {
    if w.measured.is_empty() {
        return Vec::new();
    }
    let mut models = vec![
        (Model::Threads, 'T', 't', ':'),
        (Model::Processes, 'P', 'p', '.'),
    ];
    if w.has_async() {
        models.push((Model::Async, 'A', 'a', '~'));
    }
    let bands: Vec<_> = models.iter().map(|m| w.band_of(m.0)).collect();
    let values = || {
        w.measured
            .iter()
            .flat_map(|p| [p.low, p.speedup, p.high])
            .chain(bands.iter().flatten().flat_map(|b| [b.low, b.high]))
            .filter(|v| v.is_finite() && *v > 0.0)
    };
    // Powers of two from below the lowest value (at least 1/4) to above the highest (at most 64).
    let top_exp = values()
        .fold(2.0f64, f64::max)
        .log2()
        .ceil()
        .clamp(1.0, 6.0) as i32;
    let bottom_exp = values()
        .fold(1.0f64, f64::min)
        .log2()
        .floor()
        .clamp(-2.0, 0.0) as i32;
    let rows = (top_exp - bottom_exp) as usize * ROWS_PER_DOUBLING + 1;
    let width = column_of(CHART_MAX_WORKERS) + 1;
    let mut grid = vec![vec![' '; width]; rows];
    let row_of = |s: f64| -> usize {
        let from_bottom =
            ((s.max(1e-9).log2() - bottom_exp as f64) * ROWS_PER_DOUBLING as f64).round();
        let r = rows as f64 - 1.0 - from_bottom;
        r.clamp(0.0, rows as f64 - 1.0) as usize
    };
    // Linear ideal first, so everything else draws over it.
    let ideal: Vec<(usize, usize)> = (0..width)
        .map(|col| (col, 2f64.powf(col as f64 / COLS_PER_DOUBLING as f64)))
        .filter(|(_, n)| n.log2() <= top_exp as f64)
        .map(|(col, n)| (row_of(n), col))
        .collect();
    for (row, col) in ideal {
        grid[row][col] = '/';
    }
    for ((_, _, _, fill), band) in models.iter().zip(&bands) {
        for col in 0..width {
            let Some((lo, hi)) = band_at(band, col) else {
                continue;
            };
            let (r_hi, r_lo) = (row_of(hi), row_of(lo));
            for line in grid.iter_mut().take(r_lo + 1).skip(r_hi) {
                let cell = &mut line[col];
                *cell = match *cell {
                    ' ' | '/' => *fill,
                    c if c == *fill => c,
                    _ => '#',
                };
            }
        }
    }
    for ((model, measured_mark, predicted_mark, _), band) in models.iter().zip(&bands) {
        for b in band.iter().skip(1) {
            grid[row_of(b.estimate)][column_of(b.workers)] = *predicted_mark;
        }
        for p in w.measured_of(*model) {
            if p.workers <= CHART_MAX_WORKERS {
                let cell = &mut grid[row_of(p.speedup)][column_of(p.workers)];
                // Both models measured at the same spot.
                *cell = if *cell == 'T' { '*' } else { *measured_mark };
            }
        }
    }
    let mut out = Vec::with_capacity(rows + 3);
    for (i, row) in grid.iter().enumerate() {
        let from_bottom = rows - 1 - i;
        let label = if from_bottom.is_multiple_of(ROWS_PER_DOUBLING) {
            let exp = bottom_exp + (from_bottom / ROWS_PER_DOUBLING) as i32;
            let value = 2f64.powi(exp);
            if value < 1.0 {
                format!("{value:>5.2}")
            } else {
                format!("{value:>5.0}")
            }
        } else {
            " ".repeat(5)
        };
        let line: String = row.iter().collect();
        out.push(format!("{label} |{}", line.trim_end()));
    }
    out.push(format!("{} +{}", " ".repeat(5), "-".repeat(width)));
    let mut axis = vec![' '; width + 2];
    for n in [1usize, 2, 4, 8, 16, 32, 64] {
        let start = column_of(n);
        for (k, ch) in n.to_string().chars().enumerate() {
            if let Some(cell) = axis.get_mut(start + k) {
                *cell = ch;
            }
        }
    }
    out.push(format!(
        "{}  {}  workers",
        " ".repeat(5),
        axis.iter().collect::<String>().trim_end()
    ));
    out.push(
        "T/P measured threads/processes (* both), t/p predicted, :/. band (# both), / linear"
            .into(),
    );
    if w.has_async() {
        out.push(
            "A measured async tasks at their best K in flight (current-thread at 1 worker, multi-thread at \
             its workers), a predicted, ~ band"
                .into(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::schedule_lines;
    use crate::profile::doc::{RunKey, SkippedRun, WorkloadProfile};
    use crate::vocab::Model;

    #[test]
    fn skipped_runs_are_one_line_per_timed_out_run_after_the_schedule_notes() {
        let check = |skipped: Vec<SkippedRun>, expect: &[&str]| {
            let p = WorkloadProfile {
                schedule_notes: vec!["2 rounds instead of 3".into()],
                skipped,
                ..WorkloadProfile::default()
            };
            let mut want = vec!["2 rounds instead of 3".to_string()];
            want.extend(expect.iter().map(|s| s.to_string()));
            assert_eq!(schedule_lines(&p), want);
        };
        let key = RunKey::plain;
        let skip = |run: RunKey, after: RunKey, samples: usize| SkippedRun {
            run,
            after,
            samples,
        };
        check(Vec::new(), &[]);
        let seq = key(Model::Sequential, 1);
        check(
            vec![skip(key(Model::Threads, 2), seq, 0)],
            &["sequential x1 timed out, so 1 configuration was not run (each would only wait for the timeout \
               too): threads x2"],
        );
        let t2 = key(Model::Threads, 2);
        let p4 = key(Model::Processes, 4);
        check(
            vec![
                skip(key(Model::Threads, 1), t2, 1),
                skip(key(Model::Threads, 4), t2, 0),
                skip(key(Model::Processes, 8), p4, 3),
            ],
            &[
                "threads x2 timed out, so 2 configurations were not run (each would only wait for the timeout \
                 too): threads x1 (after 1 sample), threads x4",
                "processes x4 timed out, so 1 configuration was not run (each would only wait for the timeout \
                 too): processes x8 (after 3 samples)",
            ],
        );
    }
}
