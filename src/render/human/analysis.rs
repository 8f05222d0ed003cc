//! Human rendering of an `AnalysisDoc`: rustc-style diagnostics grouped by package, then a summary.

use std::collections::BTreeMap;
use std::io::{self, Write};

use anstyle::{AnsiColor, Effects, Style};

use super::Human;
use crate::analyze::doc::AnalysisDoc;
use crate::render::Export;
use crate::vocab::{Finding, FnClass, Level};

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

impl Export<AnalysisDoc> for Human {
    fn export(&self, doc: &AnalysisDoc, out: &mut dyn Write) -> io::Result<()> {
        for pkg in &doc.packages {
            let findings: Vec<&Finding> = doc
                .findings
                .iter()
                .filter(|f| f.package == pkg.name)
                .collect();
            writeln!(
                out,
                "{BOLD}{}{BOLD:#} ({} finding{}, edition {})",
                pkg.name,
                findings.len(),
                plural(findings.len()),
                pkg.edition
            )?;
            writeln!(out)?;
            for f in findings {
                diagnostic(f, out)?;
            }
        }
        for e in &doc.files.parse_errors {
            let st = level_style(Level::Warning);
            writeln!(
                out,
                "{st}warning[parse-error]{st:#}{BOLD}: file skipped: {}{BOLD:#}",
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
        "{BOLD}files{BOLD:#}: {} analyzed, {} unparsable, {} not reached from a target, {} macro call{} not looked into",
        f.analyzed,
        f.parse_errors.len(),
        f.not_reached,
        f.macros_not_expanded,
        plural(f.macros_not_expanded)
    )
}
