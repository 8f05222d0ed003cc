//! Markdown rendering of a report, for a pull-request comment.

use std::io::{self, Write};

use super::Markdown;
use crate::render::{Export, ReportInput};

impl Export<ReportInput<'_>> for Markdown {
    fn export(&self, doc: &ReportInput<'_>, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "{} workloads", doc.report.workloads.len())
    }
}
