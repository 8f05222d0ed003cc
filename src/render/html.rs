//! Self-contained HTML exporter for `report` (inline CSS and SVG charts, no network needed).

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::render::human::report::{
    measurement_rows, model_text, schedule_lines, verdict_line, MEASUREMENT_HEADER,
};
use crate::render::{Export, ReportInput};
use crate::report::doc::{Band, BandPoint, WorkloadReport};
use crate::vocab::Model;

/// The HTML format.
pub struct Html;

const STYLE: &str = "body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;\
max-width:60rem;padding:0 1rem;color:#1b1b1b;background:#fff}\
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2.5rem;border-bottom:1px solid #ddd;padding-bottom:.3rem}\
table{border-collapse:collapse;margin:.8rem 0;font-size:.9rem}\
th,td{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}th{background:#f4f4f4}\
td.num{text-align:right;font-variant-numeric:tabular-nums}\
.verdict{font-weight:600}.failed{color:#b00020}.meta{color:#666;font-size:.9rem}\
code{background:#f4f4f4;padding:0 .25rem;border-radius:3px}\
svg{display:block;margin:1rem 0;max-width:100%;height:auto}\
.note{color:#555;font-size:.85rem;border-left:3px solid #ddd;padding-left:.6rem}";

const THREADS_COLOUR: &str = "#1f77b4";
const PROCESSES_COLOUR: &str = "#d62728";
const ASYNC_COLOUR: &str = "#2ca02c";

/// Escapes text for HTML/XML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

impl Export<ReportInput<'_>> for Html {
    fn export(&self, doc: &ReportInput<'_>, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(page(doc).as_bytes())
    }
}

fn page(doc: &ReportInput<'_>) -> String {
    let report = doc.report;
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n");
    h.push_str("<title>cargo concur report</title>\n");
    let _ = writeln!(h, "<style>{STYLE}</style>\n</head>\n<body>");
    h.push_str("<h1>cargo concur report</h1>\n");
    if let Some(env) = &report.environment {
        let _ = writeln!(
            h,
            "<p class=\"meta\">Measured on {} cores ({} {}, counters: {}); {} analysis finding{}.</p>",
            env.cores,
            escape(&env.os),
            escape(&env.kernel),
            escape(&format!("{:?}", env.counters).to_lowercase()),
            report.analysis.findings,
            if report.analysis.findings == 1 {
                ""
            } else {
                "s"
            }
        );
    }
    if report.workloads.is_empty() {
        h.push_str("<p>No workloads to report on.</p>\n");
    } else {
        h.push_str("<table>\n<thead><tr><th>workload</th><th>verdict</th><th>confidence</th>");
        // The async column only when some workload was run as async tasks.
        let with_async = report
            .workloads
            .iter()
            .any(|w| w.speedup.asynchronous.is_some());
        h.push_str("<th>best threads</th><th>best processes</th>");
        if with_async {
            h.push_str("<th>best async</th>");
        }
        h.push_str("</tr></thead>\n<tbody>\n");
        for w in &report.workloads {
            let _ = writeln!(
                h,
                "<tr><td><a href=\"#{}\">{}</a></td><td class=\"verdict{}\">{}</td><td class=\"num\">{:.2}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td>{}</tr>",
                anchor(w),
                escape(&w.name),
                if w.failed { " failed" } else { "" },
                escape(&verdict_text(w)),
                w.recommendation.confidence,
                speedup(w.speedup.threads),
                speedup(w.speedup.processes),
                if with_async {
                    format!("<td class=\"num\">{}</td>", speedup(w.speedup.asynchronous))
                } else {
                    String::new()
                }
            );
        }
        h.push_str("</tbody>\n</table>\n");
    }
    for w in &report.workloads {
        workload(doc, w, &mut h);
    }
    h.push_str("</body>\n</html>\n");
    h
}

fn anchor(w: &WorkloadReport) -> String {
    let id: String = format!("{}-{}", w.package, w.name)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("w-{id}")
}

fn verdict_text(w: &WorkloadReport) -> String {
    if w.failed {
        return "failed".into();
    }
    model_text(&w.recommendation)
}

fn speedup(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.2}x")).unwrap_or_else(|| "-".into())
}

fn band_cell(b: Option<Band>) -> String {
    b.map(|b| format!("{:.2} / {:.2} / {:.2}", b.low, b.estimate, b.high))
        .unwrap_or_else(|| "-".into())
}

fn workload(doc: &ReportInput<'_>, w: &WorkloadReport, h: &mut String) {
    let _ = writeln!(
        h,
        "<section id=\"{}\">\n<h2 class=\"{}\">{}</h2>",
        anchor(w),
        if w.failed { "failed" } else { "verdict" },
        escape(&verdict_line(w))
    );
    h.push_str("<h3>Why</h3>\n<ul>\n");
    for r in &w.recommendation.reasons {
        let _ = writeln!(h, "<li>{}</li>", escape(r));
    }
    h.push_str("</ul>\n");
    if !w.recommendation.refactors.is_empty() {
        h.push_str("<h3>Advice</h3>\n<ul>\n");
        for f in &w.recommendation.refactors {
            match (&f.file, f.line) {
                (Some(file), Some(line)) => {
                    let _ = writeln!(
                        h,
                        "<li><code>{}:{line}</code> {}</li>",
                        escape(file),
                        escape(&f.message)
                    );
                }
                _ => {
                    let _ = writeln!(h, "<li>{}</li>", escape(&f.message));
                }
            }
        }
        h.push_str("</ul>\n");
    }
    h.push_str("<h3>Speedup vs workers</h3>\n");
    h.push_str(&chart_svg(w));
    if let Some(p) = doc.profile_of(w) {
        let rows = measurement_rows(p);
        if !rows.is_empty() {
            h.push_str("<h3>Measurements</h3>\n<table>\n<thead><tr>");
            for head in MEASUREMENT_HEADER {
                let _ = write!(h, "<th>{}</th>", escape(head));
            }
            h.push_str("</tr></thead>\n<tbody>\n");
            for row in rows {
                h.push_str("<tr>");
                for (i, c) in row.iter().enumerate() {
                    let class = if i == 0 || i == 7 {
                        ""
                    } else {
                        " class=\"num\""
                    };
                    let _ = write!(h, "<td{class}>{}</td>", escape(c));
                }
                h.push_str("</tr>\n");
            }
            h.push_str("</tbody>\n</table>\n");
        }
    }
    if !w.prediction.is_empty() {
        h.push_str("<h3>Predicted speedup (low / estimate / high)</h3>\n<table>\n");
        let with_async = w.prediction.iter().any(|p| p.asynchronous.is_some());
        h.push_str(if with_async {
            "<thead><tr><th>cores</th><th>threads</th><th>processes</th><th>async</th></tr></thead>\n<tbody>\n"
        } else {
            "<thead><tr><th>cores</th><th>threads</th><th>processes</th></tr></thead>\n<tbody>\n"
        });
        for p in &w.prediction {
            let _ = writeln!(
                h,
                "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>{}</tr>",
                p.cores,
                band_cell(p.threads),
                band_cell(p.processes),
                if with_async {
                    format!("<td class=\"num\">{}</td>", band_cell(p.asynchronous))
                } else {
                    String::new()
                }
            );
        }
        h.push_str("</tbody>\n</table>\n");
        if let Some(c) = &w.crossover {
            let _ = writeln!(
                h,
                "<p>Predicted crossover: {} overtake from {} cores.</p>",
                c.leader.as_str(),
                c.cores
            );
        }
    }
    let schedule = doc.profile_of(w).map(schedule_lines).unwrap_or_default();
    for n in schedule.iter().chain(&w.fit_notes) {
        let _ = writeln!(h, "<p class=\"note\">{}</p>", escape(n));
    }
    h.push_str("</section>\n");
}

// Chart geometry (SVG user units).
const WIDTH: f64 = 560.0;
const HEIGHT: f64 = 320.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 150.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 44.0;
const MAX_WORKERS_EXP: f64 = 6.0;

struct Axes {
    bottom_exp: i32,
    top_exp: i32,
}

impl Axes {
    fn x(&self, workers: f64) -> f64 {
        LEFT + workers.max(1.0).log2() / MAX_WORKERS_EXP * (WIDTH - LEFT - RIGHT)
    }
    fn y(&self, speedup: f64) -> f64 {
        let (lo, hi) = (self.bottom_exp as f64, self.top_exp as f64);
        let v = speedup.max(1e-9).log2().clamp(lo, hi);
        HEIGHT - BOTTOM - (v - lo) / (hi - lo) * (HEIGHT - TOP - BOTTOM)
    }
}

/// One SVG chart: log-log speedup vs workers, both models' measured points with their intervals, the
/// predicted band and estimate, and the linear ideal.
pub fn chart_svg(w: &WorkloadReport) -> String {
    let mut models = vec![
        (Model::Threads, THREADS_COLOUR),
        (Model::Processes, PROCESSES_COLOUR),
    ];
    if w.has_async() {
        models.push((Model::Async, ASYNC_COLOUR));
    }
    let bands: Vec<Vec<BandPoint>> = models.iter().map(|m| w.band_of(m.0)).collect();
    let values: Vec<f64> = w
        .measured
        .iter()
        .flat_map(|p| [p.low, p.speedup, p.high])
        .chain(bands.iter().flatten().flat_map(|b| [b.low, b.high]))
        .filter(|v| v.is_finite() && *v > 0.0)
        .collect();
    let axes = Axes {
        top_exp: values
            .iter()
            .copied()
            .fold(2.0f64, f64::max)
            .log2()
            .ceil()
            .clamp(1.0, 6.0) as i32,
        bottom_exp: values
            .iter()
            .copied()
            .fold(1.0f64, f64::min)
            .log2()
            .floor()
            .clamp(-2.0, 0.0) as i32,
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"{WIDTH}\" \
         height=\"{HEIGHT}\" role=\"img\" aria-label=\"{}\">",
        escape(&format!("speedup vs workers for {}", w.name))
    );
    let _ = writeln!(
        s,
        "<title>{}</title>",
        escape(&format!("{}: speedup over sequential vs workers", w.name))
    );
    // Grid and tick labels.
    let (x0, x1) = (axes.x(1.0), axes.x(64.0));
    let (y0, y1) = (
        axes.y(2f64.powi(axes.bottom_exp)),
        axes.y(2f64.powi(axes.top_exp)),
    );
    for e in 0..=6 {
        let n = 2f64.powi(e);
        let x = axes.x(n);
        let _ = writeln!(
            s,
            "<line x1=\"{x:.1}\" y1=\"{y0:.1}\" x2=\"{x:.1}\" y2=\"{y1:.1}\" stroke=\"#e5e5e5\"/>\
             <text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\">{n}</text>",
            y0 + 16.0
        );
    }
    for e in axes.bottom_exp..=axes.top_exp {
        let v = 2f64.powi(e);
        let y = axes.y(v);
        let label = if v < 1.0 {
            format!("{v}x")
        } else {
            format!("{v:.0}x")
        };
        let _ = writeln!(
            s,
            "<line x1=\"{x0:.1}\" y1=\"{y:.1}\" x2=\"{x1:.1}\" y2=\"{y:.1}\" stroke=\"#e5e5e5\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{label}</text>",
            x0 - 6.0,
            y + 4.0
        );
    }
    let _ = writeln!(
        s,
        "<line x1=\"{x0:.1}\" y1=\"{y0:.1}\" x2=\"{x1:.1}\" y2=\"{y0:.1}\" stroke=\"#333\"/>\
         <line x1=\"{x0:.1}\" y1=\"{y0:.1}\" x2=\"{x0:.1}\" y2=\"{y1:.1}\" stroke=\"#333\"/>"
    );
    let _ = writeln!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"middle\">workers</text>",
        (x0 + x1) / 2.0,
        HEIGHT - 6.0
    );
    // Linear ideal, up to the top of the axis.
    let ideal_end = 2f64.powi(axes.top_exp).min(64.0);
    let _ = writeln!(
        s,
        "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#999\" stroke-dasharray=\"2 3\"/>",
        axes.x(1.0),
        axes.y(1.0),
        axes.x(ideal_end),
        axes.y(ideal_end)
    );
    for ((model, colour), band) in models.iter().zip(&bands) {
        if band.len() >= 2 {
            let upper = band
                .iter()
                .map(|b| format!("{:.1},{:.1}", axes.x(b.workers as f64), axes.y(b.high)));
            let lower = band
                .iter()
                .rev()
                .map(|b| format!("{:.1},{:.1}", axes.x(b.workers as f64), axes.y(b.low)));
            let points: Vec<String> = upper.chain(lower).collect();
            let _ = writeln!(
                s,
                "<polygon points=\"{}\" fill=\"{colour}\" fill-opacity=\"0.15\" stroke=\"none\"/>",
                points.join(" ")
            );
            let line: Vec<String> = band
                .iter()
                .map(|b| format!("{:.1},{:.1}", axes.x(b.workers as f64), axes.y(b.estimate)))
                .collect();
            let _ = writeln!(
                s,
                "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-dasharray=\"6 4\"/>",
                line.join(" ")
            );
        }
        let measured = w.measured_of(*model);
        if !measured.is_empty() {
            let line: Vec<String> =
                std::iter::once(format!("{:.1},{:.1}", axes.x(1.0), axes.y(1.0)))
                    .chain(measured.iter().map(|p| {
                        format!("{:.1},{:.1}", axes.x(p.workers as f64), axes.y(p.speedup))
                    }))
                    .collect();
            let _ = writeln!(
                s,
                "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\"/>",
                line.join(" ")
            );
        }
        for p in measured {
            let x = axes.x(p.workers as f64);
            let _ = writeln!(
                s,
                "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"{colour}\"/>\
                 <circle cx=\"{x:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"{}\" stroke=\"{colour}\" stroke-width=\"1.5\">\
                 <title>{}</title></circle>",
                axes.y(p.low),
                axes.y(p.high),
                axes.y(p.speedup),
                if p.oversubscribed { "#fff" } else { colour },
                escape(&format!(
                    "{} ×{}{}: {:.2}x (95% CI {:.2}-{:.2}){}",
                    model.as_str(),
                    p.workers,
                    match (p.runtime, p.in_flight) {
                        (Some(rt), Some(k)) => format!(" ({}, {k} in flight)", rt.as_str()),
                        _ => String::new(),
                    },
                    p.speedup,
                    p.low,
                    p.high,
                    if p.oversubscribed {
                        ", more workers than cores"
                    } else {
                        ""
                    }
                ))
            );
        }
    }
    if let Some(c) = &w.crossover {
        let x = axes.x(c.cores as f64);
        let _ = writeln!(
            s,
            "<line x1=\"{x:.1}\" y1=\"{y0:.1}\" x2=\"{x:.1}\" y2=\"{y1:.1}\" stroke=\"#555\" stroke-dasharray=\"1 3\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"#555\">{} ahead from {} cores</text>",
            x + 3.0,
            y1 + 10.0,
            c.leader.as_str(),
            c.cores
        );
    }
    // Legend.
    let lx = WIDTH - RIGHT + 14.0;
    for (i, (model, colour)) in models.iter().enumerate() {
        let y = TOP + 12.0 + i as f64 * 20.0;
        let _ = writeln!(
            s,
            "<circle cx=\"{lx:.1}\" cy=\"{y:.1}\" r=\"4\" fill=\"{colour}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\">{}</text>",
            lx + 10.0,
            y + 4.0,
            if *model == Model::Async {
                "async (best K)"
            } else {
                model.as_str()
            }
        );
    }
    // Below the model entries (three with async).
    let notes_top = TOP + (models.len() as f64 - 2.0) * 20.0;
    let _ = writeln!(
        s,
        "<text x=\"{lx:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"#555\">dashed: predicted</text>\
         <text x=\"{lx:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"#555\">shaded: predicted band</text>\
         <text x=\"{lx:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"#555\">dotted: linear</text>\
         <text x=\"{lx:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"#555\">hollow: oversubscribed</text>",
        notes_top + 60.0,
        notes_top + 74.0,
        notes_top + 88.0,
        notes_top + 102.0
    );
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::doc::{
        Crossover, MeasuredPoint, Prediction, Recommendation, Speedup, Verdict,
    };

    fn report_with_crossover() -> WorkloadReport {
        let band = |e: f64| Band {
            low: e * 0.8,
            estimate: e,
            high: e * 1.2,
        };
        WorkloadReport {
            name: "a<b>".into(),
            recommendation: Recommendation {
                model: Verdict::Threads,
                workers: 2,
                confidence: 0.9,
                reasons: vec!["x".into()],
                refactors: Vec::new(),
                reason_codes: Vec::new(),
                runtime: None,
                in_flight: None,
            },
            speedup: Speedup {
                threads: Some(1.9),
                processes: Some(1.8),
                asynchronous: None,
            },
            prediction: vec![Prediction {
                cores: 16,
                threads: Some(band(5.0)),
                processes: Some(band(9.0)),
                asynchronous: None,
            }],
            package: "p".into(),
            measured: vec![
                MeasuredPoint {
                    model: Model::Threads,
                    workers: 2,
                    speedup: 1.9,
                    low: 1.8,
                    high: 2.0,
                    oversubscribed: false,
                    runtime: None,
                    in_flight: None,
                },
                MeasuredPoint {
                    model: Model::Processes,
                    workers: 2,
                    speedup: 1.8,
                    low: 1.7,
                    high: 1.9,
                    oversubscribed: false,
                    runtime: None,
                    in_flight: None,
                },
            ],
            crossover: Some(Crossover {
                cores: 6,
                leader: Model::Processes,
            }),
            fit_notes: Vec::new(),
            failed: false,
            stability: None,
            noise: None,
        }
    }

    #[test]
    fn chart_marks_the_crossover_and_escapes_names() {
        let svg = chart_svg(&report_with_crossover());
        assert!(svg.contains("processes ahead from 6 cores"), "{svg}");
        assert!(svg.contains("a&lt;b&gt;"), "{svg}");
        assert_eq!(svg.matches("<polygon").count(), 2);
        assert_eq!(svg.matches("<circle").count(), 2 + 2);
    }

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
