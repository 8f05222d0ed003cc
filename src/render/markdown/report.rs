//! Markdown rendering of a report, for a pull-request comment.

use std::io::{self, Write};

use super::Markdown;
use crate::render::human::report::{
    chart_lines, measurement_rows, model_text, schedule_lines, verdict_line, MEASUREMENT_HEADER,
};
use crate::render::{Export, ReportInput};
use crate::report::doc::{Band, WorkloadReport};

/// Escapes text for a table cell or list item: pipes, and outside `code spans` the characters that start
/// HTML or emphasis (inside code spans they show literally anyway).
fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_code = false;
    for c in text.chars() {
        match c {
            '`' => {
                in_code = !in_code;
                out.push(c);
            }
            '|' => out.push_str("\\|"),
            c if in_code => out.push(c),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '*' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn verdict_cell(w: &WorkloadReport) -> String {
    let r = &w.recommendation;
    if w.failed {
        return "**failed**".into();
    }
    format!("**{}**", model_text(r))
}

fn speedup(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.2}x")).unwrap_or_else(|| "-".into())
}

fn band(b: Option<Band>) -> String {
    b.map(|b| format!("{:.2} / {:.2} / {:.2}", b.low, b.estimate, b.high))
        .unwrap_or_else(|| "-".into())
}

impl Export<ReportInput<'_>> for Markdown {
    fn export(&self, doc: &ReportInput<'_>, out: &mut dyn Write) -> io::Result<()> {
        let report = doc.report;
        writeln!(out, "## cargo concur report")?;
        writeln!(out)?;
        if let Some(env) = &report.environment {
            writeln!(
                out,
                "Measured on {} cores ({} {}); {} analysis finding{}.",
                env.cores,
                cell(&env.os),
                cell(&env.kernel),
                report.analysis.findings,
                if report.analysis.findings == 1 {
                    ""
                } else {
                    "s"
                }
            )?;
            writeln!(out)?;
        }
        if report.workloads.is_empty() {
            writeln!(out, "No workloads to report on.")?;
            return Ok(());
        }
        // The async column only when some workload was run as async tasks.
        let with_async = report
            .workloads
            .iter()
            .any(|w| w.speedup.asynchronous.is_some());
        writeln!(
            out,
            "| workload | verdict | confidence | best threads | best processes |{}",
            if with_async { " best async |" } else { "" }
        )?;
        writeln!(
            out,
            "| --- | --- | ---: | ---: | ---: |{}",
            if with_async { " ---: |" } else { "" }
        )?;
        for w in &report.workloads {
            writeln!(
                out,
                "| {} | {} | {:.2} | {} | {} |{}",
                cell(&w.name),
                verdict_cell(w),
                w.recommendation.confidence,
                speedup(w.speedup.threads),
                speedup(w.speedup.processes),
                if with_async {
                    format!(" {} |", speedup(w.speedup.asynchronous))
                } else {
                    String::new()
                }
            )?;
        }
        if let Some(changes) = &report.baseline {
            let lines = crate::render::report_baseline::lines(changes);
            writeln!(out)?;
            writeln!(out, "**Since the baseline**")?;
            writeln!(out)?;
            if lines.is_empty() {
                writeln!(out, "No verdict change, no speedup regression.")?;
            }
            for l in lines {
                writeln!(out, "- {}", cell(&l))?;
            }
        }
        for w in &report.workloads {
            writeln!(out)?;
            workload(doc, w, out)?;
        }
        Ok(())
    }
}

fn workload(doc: &ReportInput<'_>, w: &WorkloadReport, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "### {}", cell(&verdict_line(w)))?;
    writeln!(out)?;
    writeln!(out, "**Why**")?;
    writeln!(out)?;
    for r in &w.recommendation.reasons {
        writeln!(out, "- {}", cell(r))?;
    }
    let stability = crate::render::human::report::stability_lines(w);
    if !stability.is_empty() {
        writeln!(out)?;
        writeln!(out, "**Stability**")?;
        writeln!(out)?;
        for line in stability {
            writeln!(out, "- {}", cell(&line))?;
        }
    }
    if !w.recommendation.refactors.is_empty() {
        writeln!(out)?;
        writeln!(out, "**Advice**")?;
        writeln!(out)?;
        for f in &w.recommendation.refactors {
            match (&f.file, f.line) {
                (Some(file), Some(line)) => {
                    writeln!(out, "- `{file}:{line}` {}", cell(&f.message))?
                }
                _ => writeln!(out, "- {}", cell(&f.message))?,
            }
        }
    }
    let chart = chart_lines(w);
    if !chart.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "<details><summary>Speedup vs workers (log-log)</summary>"
        )?;
        writeln!(out)?;
        writeln!(out, "```text")?;
        for line in chart {
            writeln!(out, "{line}")?;
        }
        writeln!(out, "```")?;
        writeln!(out)?;
        writeln!(out, "</details>")?;
    }
    if let Some(p) = doc.profile_of(w) {
        let rows = measurement_rows(p);
        if !rows.is_empty() {
            writeln!(out)?;
            writeln!(out, "**Measurements**")?;
            writeln!(out)?;
            writeln!(out, "| {} |", MEASUREMENT_HEADER.join(" | "))?;
            writeln!(out, "|{}", " --- |".repeat(MEASUREMENT_HEADER.len()))?;
            for row in rows {
                let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
                writeln!(out, "| {} |", cells.join(" | "))?;
            }
        }
    }
    if !w.prediction.is_empty() {
        writeln!(out)?;
        writeln!(out, "**Predicted speedup** (low / estimate / high)")?;
        writeln!(out)?;
        let with_async = w.prediction.iter().any(|p| p.asynchronous.is_some());
        let extra = |text: String| if with_async { text } else { String::new() };
        writeln!(
            out,
            "| cores | threads | processes |{}",
            extra(" async |".into())
        )?;
        writeln!(out, "| ---: | --- | --- |{}", extra(" --- |".into()))?;
        for p in &w.prediction {
            writeln!(
                out,
                "| {} | {} | {} |{}",
                p.cores,
                band(p.threads),
                band(p.processes),
                extra(format!(" {} |", band(p.asynchronous)))
            )?;
        }
        if let Some(c) = &w.crossover {
            writeln!(out)?;
            writeln!(
                out,
                "Predicted crossover: {} overtake from {} cores.",
                c.leader.as_str(),
                c.cores
            )?;
        }
    }
    let notes: Vec<String> = doc
        .profile_of(w)
        .map(schedule_lines)
        .unwrap_or_default()
        .into_iter()
        .chain(w.fit_notes.iter().cloned())
        .collect();
    if !notes.is_empty() {
        writeln!(out)?;
        for n in &notes {
            writeln!(out, "> {}", cell(n))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_escape_pipes_everywhere_and_markup_outside_code() {
        assert_eq!(cell("a | b"), "a \\| b");
        assert_eq!(cell("<x> *y*"), "&lt;x&gt; \\*y\\*");
        // Inside a code span `<` shows literally; a pipe still ends a table cell.
        assert_eq!(cell("`Mutex<u8>|x`"), "`Mutex<u8>\\|x`");
        assert_eq!(cell("a\nb"), "a b");
    }
}
