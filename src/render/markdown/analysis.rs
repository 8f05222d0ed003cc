//! Markdown rendering of an `AnalysisDoc`, for a pull-request comment: counts per kind, then findings
//! grouped by level, each with its location.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::Markdown;
use crate::analyze::doc::AnalysisDoc;
use crate::render::Export;
use crate::vocab::Level;

impl Export<AnalysisDoc> for Markdown {
    fn export(&self, doc: &AnalysisDoc, out: &mut dyn Write) -> io::Result<()> {
        let names: Vec<&str> = doc.packages.iter().map(|p| p.name.as_str()).collect();
        writeln!(out, "## cargo concur analyze: {}", names.join(", "))?;
        writeln!(out)?;
        let f = &doc.files;
        writeln!(
            out,
            "{} findings in {} files ({} unparsable, {} not reached from a target).",
            doc.findings.len(),
            f.analyzed,
            f.parse_errors.len(),
            f.not_reached
        )?;
        writeln!(out)?;
        if !doc.findings.is_empty() {
            let mut by_kind: BTreeMap<(std::cmp::Reverse<Level>, &str), usize> = BTreeMap::new();
            for f in &doc.findings {
                *by_kind
                    .entry((std::cmp::Reverse(f.level), f.kind.id()))
                    .or_default() += 1;
            }
            writeln!(out, "| level | kind | count |")?;
            writeln!(out, "| --- | --- | ---: |")?;
            for ((level, kind), n) in &by_kind {
                writeln!(out, "| {} | `{kind}` | {n} |", level.0.as_str())?;
            }
            writeln!(out)?;
        }
        for level in [Level::Error, Level::Warning, Level::Note] {
            let list: Vec<_> = doc.findings.iter().filter(|f| f.level == level).collect();
            if list.is_empty() {
                continue;
            }
            let title = match level {
                Level::Error => "Errors",
                Level::Warning => "Warnings",
                Level::Note => "Notes",
            };
            if level == Level::Note {
                writeln!(out, "<details><summary>{title} ({})</summary>", list.len())?;
                writeln!(out)?;
            } else {
                writeln!(out, "### {title} ({})", list.len())?;
                writeln!(out)?;
            }
            for f in list {
                let func = f
                    .function
                    .as_deref()
                    .map(|p| format!(" in `{p}`"))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "- **`{}`** `{}:{}:{}`{func}: {}",
                    f.kind.id(),
                    f.file,
                    f.line,
                    f.column,
                    escape(&f.message)
                )?;
                if f.chain.len() > 1 {
                    writeln!(
                        out,
                        "  - via {}",
                        f.chain
                            .iter()
                            .map(|c| format!("`{c}`"))
                            .collect::<Vec<_>>()
                            .join(" → ")
                    )?;
                }
                if !f.help.is_empty() {
                    writeln!(out, "  - help: {}", escape(&f.help))?;
                }
            }
            writeln!(out)?;
            if level == Level::Note {
                writeln!(out, "</details>")?;
                writeln!(out)?;
            }
        }
        for e in &doc.files.parse_errors {
            writeln!(
                out,
                "- :warning: `{}:{}:{}` skipped, does not parse: {}",
                e.file,
                e.line,
                e.column,
                escape(&e.message)
            )?;
        }
        Ok(())
    }
}

/// Keeps table and HTML syntax out of free text.
fn escape(s: &str) -> String {
    s.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
