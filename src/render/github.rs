//! `--format github`: GitHub Actions workflow commands, one annotation per finding
//! (`::warning file=src/lib.rs,line=3,endLine=3,col=5,endColumn=18,title=concur(io)::message`), parse errors as
//! warnings, and a `::notice` line with the counts. Paths are relative to the repository root.

use std::io::{self, Write};

use crate::render::{AnalysisView, Export};
use crate::vocab::Level;

/// The GitHub Actions annotation format.
pub struct Github;

/// Escapes a workflow command's message.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Note => "notice",
    }
}

impl Export<AnalysisView<'_>> for Github {
    fn export(&self, view: &AnalysisView<'_>, out: &mut dyn Write) -> io::Result<()> {
        let doc = view.doc;
        for f in &doc.findings {
            let mut message = f.message.clone();
            if !f.help.is_empty() {
                message.push_str(&format!("\nhelp: {}", f.help));
            }
            if f.chain.len() > 1 {
                message.push_str(&format!("\nvia {}", f.chain.join(" -> ")));
            }
            writeln!(
                out,
                "::{} file={},line={},endLine={},col={},endColumn={},title={}::{}",
                command(f.level),
                escape_property(&view.repo_path(&f.file)),
                f.line,
                f.end_line.max(f.line),
                f.column,
                f.end_column.max(f.column),
                escape_property(&format!("concur({})", f.kind.id())),
                escape_data(&message)
            )?;
        }
        for e in &doc.files.parse_errors {
            writeln!(
                out,
                "::warning file={},line={},col={},title={}::{}",
                escape_property(&view.repo_path(&e.file)),
                e.line,
                e.column,
                escape_property("concur(parse-error)"),
                escape_data(&format!("file skipped: {}", e.message))
            )?;
        }
        let mut summary = format!(
            "cargo concur: {} finding{}, {} suppressed",
            doc.findings.len(),
            if doc.findings.len() == 1 { "" } else { "s" },
            doc.suppressed.len()
        );
        if let Some(b) = &doc.baseline {
            summary.push_str(&format!("; {}", crate::render::baseline_summary(b)));
        }
        writeln!(
            out,
            "::notice title=cargo concur::{}",
            escape_data(&summary)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_follow_the_workflow_command_rules() {
        assert_eq!(escape_data("50% a\nb\r"), "50%25 a%0Ab%0D");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }
}
