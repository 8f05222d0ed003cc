//! Human rendering of an `AnalysisDoc`: hazards (warnings, errors) as rustc-style diagnostics grouped by package,
//! inventory notes summarised per kind (all of them in full with `--all-notes`), then a summary.

use std::collections::BTreeMap;
use std::io::{self, Write};

use anstyle::{AnsiColor, Effects, Style};

use crate::analyze::doc::{AnalysisDoc, Skipped};
use crate::render::{Export, NoteDetail};
use crate::vocab::{Finding, FnClass, Level};

/// The human format of `analyze`.
pub struct HumanAnalysis {
    pub notes: NoteDetail,
}

/// Files named per kind in the summary of notes not shown.
const TOP_FILES: usize = 3;

const BOLD: Style = Style::new().effects(Effects::BOLD);
const BLUE: Style = Style::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Blue)))
    .effects(Effects::BOLD);

pub(crate) fn level_style(level: Level) -> Style {
    let color = match level {
        Level::Error => AnsiColor::Red,
        Level::Warning => AnsiColor::Yellow,
        Level::Note => AnsiColor::Cyan,
    };
    Style::new()
        .fg_color(Some(anstyle::Color::Ansi(color)))
        .effects(Effects::BOLD)
}

impl Export<AnalysisDoc> for HumanAnalysis {
    fn export(&self, doc: &AnalysisDoc, out: &mut dyn Write) -> io::Result<()> {
        let all = self.notes == NoteDetail::All;
        for pkg in &doc.packages {
            let findings: Vec<&Finding> = doc
                .findings
                .iter()
                .filter(|f| f.package == pkg.name)
                .collect();
            let notes: Vec<&Finding> = findings
                .iter()
                .copied()
                .filter(|f| f.level == Level::Note)
                .collect();
            let hazards = findings.len() - notes.len();
            writeln!(
                out,
                "{BOLD}{}{BOLD:#} ({} finding{}: {hazards} hazard{}, {} note{}; edition {})",
                pkg.name,
                findings.len(),
                plural(findings.len()),
                plural(hazards),
                notes.len(),
                plural(notes.len()),
                pkg.edition
            )?;
            writeln!(out)?;
            for f in findings.iter().filter(|f| all || f.level != Level::Note) {
                diagnostic(f, out)?;
            }
            if !all && !notes.is_empty() {
                notes_summary(&notes, out)?;
            }
        }
        for e in &doc.files.parse_errors {
            let st = level_style(Level::Warning);
            let what = match e.skipped {
                Skipped::File => "file skipped",
                Skipped::Item => "item skipped",
            };
            writeln!(
                out,
                "{st}warning[parse-error]{st:#}{BOLD}: {what}: {}{BOLD:#}",
                e.message
            )?;
            writeln!(
                out,
                "  {BLUE}-->{BLUE:#} {}:{}:{}",
                e.file, e.line, e.column
            )?;
            writeln!(out)?;
        }
        summary(doc, out)
    }
}

fn diagnostic(f: &Finding, out: &mut dyn Write) -> io::Result<()> {
    let st = level_style(f.level);
    writeln!(
        out,
        "{st}{}[{}]{st:#}{BOLD}: {}{BOLD:#}",
        f.level.as_str(),
        f.kind.id(),
        f.message
    )?;
    let line_no = f.line.to_string();
    let pad = " ".repeat(line_no.len());
    writeln!(
        out,
        "{pad}{BLUE}-->{BLUE:#} {}:{}:{}",
        f.file, f.line, f.column
    )?;
    if let Some(src) = &f.snippet {
        let src = src.replace('\t', "    ");
        writeln!(out, "{pad} {BLUE}|{BLUE:#}")?;
        writeln!(out, "{BLUE}{line_no} |{BLUE:#} {}", src.trim_end())?;
        let col = (f.column.max(1) - 1) as usize;
        let width = token_width(&src, col);
        writeln!(
            out,
            "{pad} {BLUE}|{BLUE:#} {}{st}{}{st:#}",
            " ".repeat(col),
            "^".repeat(width)
        )?;
    }
    if let Some(func) = &f.function {
        if f.chain.len() > 1 {
            writeln!(
                out,
                "{pad} {BLUE}={BLUE:#} {BOLD}note{BOLD:#}: in `{func}`, via {}",
                f.chain.join(" → ")
            )?;
        } else {
            writeln!(out, "{pad} {BLUE}={BLUE:#} {BOLD}note{BOLD:#}: in `{func}`")?;
        }
    }
    if !f.help.is_empty() {
        writeln!(out, "{pad} {BLUE}={BLUE:#} {BOLD}help{BOLD:#}: {}", f.help)?;
    }
    writeln!(out)
}

/// Inventory notes not shown: the count per kind and the files with most of them.
fn notes_summary(notes: &[&Finding], out: &mut dyn Write) -> io::Result<()> {
    let st = level_style(Level::Note);
    writeln!(
        out,
        "{st}note{st:#}{BOLD}: {} inventory note{} not shown (`--all-notes` shows every one){BOLD:#}",
        notes.len(),
        plural(notes.len())
    )?;
    let mut per_kind: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
    for f in notes {
        *per_kind
            .entry(f.kind.id())
            .or_default()
            .entry(f.file.as_str())
            .or_default() += 1;
    }
    /// A kind, its count, and its files with their counts (most first).
    type KindRow<'a> = (&'a str, usize, Vec<(&'a str, usize)>);
    let mut kinds: Vec<KindRow> = per_kind
        .into_iter()
        .map(|(kind, files)| {
            let n = files.values().sum();
            let mut files: Vec<(&str, usize)> = files.into_iter().collect();
            files.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            (kind, n, files)
        })
        .collect();
    kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let width = kinds.iter().map(|k| k.0.len()).max().unwrap_or(0);
    for (kind, n, files) in kinds {
        let top: Vec<String> = files
            .iter()
            .take(TOP_FILES)
            .map(|(file, c)| format!("{file} ({c})"))
            .collect();
        let more = files.len().saturating_sub(TOP_FILES);
        let more = if more > 0 {
            format!(" and {more} more file{}", plural(more))
        } else {
            String::new()
        };
        writeln!(
            out,
            "  {BLUE}={BLUE:#} {kind:<width$} {n:>5}  in {}{more}",
            top.join(", ")
        )?;
    }
    writeln!(out)
}

/// Width of the token starting at `col` (identifier or path characters), at least 1.
fn token_width(src: &str, col: usize) -> usize {
    let n = src
        .chars()
        .skip(col)
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':' || *c == '!')
        .count();
    n.max(1)
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn summary(doc: &AnalysisDoc, out: &mut dyn Write) -> io::Result<()> {
    let mut by_kind: BTreeMap<(std::cmp::Reverse<Level>, &str), usize> = BTreeMap::new();
    for f in &doc.findings {
        *by_kind
            .entry((std::cmp::Reverse(f.level), f.kind.id()))
            .or_default() += 1;
    }
    writeln!(
        out,
        "{BOLD}summary{BOLD:#}: {} finding{}",
        doc.findings.len(),
        plural(doc.findings.len())
    )?;
    for ((level, kind), n) in &by_kind {
        let st = level_style(level.0);
        writeln!(out, "  {st}{:<7}{st:#} {n:>5}  {kind}", level.0.as_str())?;
    }
    let count = |c: FnClass| doc.functions.iter().filter(|f| f.class == c).count();
    writeln!(
        out,
        "{BOLD}functions{BOLD:#}: {} compute-bound, {} io-bound, {} mixed, {} trivial",
        count(FnClass::ComputeBound),
        count(FnClass::IoBound),
        count(FnClass::Mixed),
        count(FnClass::Trivial)
    )?;
    let f = &doc.files;
    writeln!(
        out,
        "{BOLD}files{BOLD:#}: {} analyzed, {} with parse errors ({} error{}), {} not reached from a target, {} macro call{} not looked into",
        f.analyzed,
        f.unparsable,
        f.parse_errors.len(),
        plural(f.parse_errors.len()),
        f.not_reached,
        f.macros_not_expanded,
        plural(f.macros_not_expanded)
    )?;
    let x = &f.excluded;
    if x.targets + x.files + x.test_items + x.feature_items + x.cfg_items > 0 {
        writeln!(
            out,
            "{BOLD}left out by scope{BOLD:#}: {} target{}, {} file{}, {} test item{}, {} item{} of disabled features, {} item{} of other cfgs (`--all-targets`, `--all-features`, `--all-cfgs` widen it)",
            x.targets,
            plural(x.targets),
            x.files,
            plural(x.files),
            x.test_items,
            plural(x.test_items),
            x.feature_items,
            plural(x.feature_items),
            x.cfg_items,
            plural(x.cfg_items),
        )?;
    }
    Ok(())
}
